/* openvino_write_impl: what the OpenVINO writer's two files share — the layer list under
 * construction (W) and its helpers (openvino_write.c), and the per-op emitters
 * (openvino_emit.c, entered through ovw_emit_node).  Not part of the format's API. */
#ifndef YOLOPORT_OPENVINO_WRITE_IMPL_H
#define YOLOPORT_OPENVINO_WRITE_IMPL_H

#include "formats/openvino.h"

#include "engine/core/util.h"

typedef struct {
    DType dtype;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    char *names; /* tensor names joined with ',' (a ',' inside a name escaped as "\,"), or NULL */
} WPort;

typedef struct {
    char *name;
    const char *type, *version;
    bool own_type;       /* type and version are heap copies (a passed-through layer) */
    StrBuf data;            /* the <data> element's attributes, already escaped */
    bool decompression;  /* a Convert that decompresses an f16 constant */
    WPort *in, *out;
    int n_in, n_out, cap_in, cap_out;
} WLayer;

typedef struct {
    int layer, port; /* port: output index within the layer (its id is n_in + port) */
} Src;

typedef struct {
    int from_layer, from_port, to_layer, to_port;
} WEdge;

/* Constant bytes already in the .bin, for deduplication. */
typedef struct {
    uint64_t hash;
    size_t offset, size;
} BinEntry;

typedef struct {
    const Graph *g;
    OpenVinoOptions opt;
    WLayer *layers;
    int n_layers, cap_layers;
    WEdge *edges;
    int n_edges, cap_edges;
    StrBuf bin;
    BinEntry *bins;
    size_t n_bins, cap_bins; /* open addressing, cap a power of two */
    Src *tsrc;               /* per graph tensor: where its value comes from (layer -1: not yet) */
    int uniq;                /* counter for generated layer names */
    char *err;
    size_t errlen;
} W;

/* Helpers over W (openvino_write.c). */
int ovw_w_layer(W *w, const char *name, const char *type, const char *version);
void ovw_w_attr(W *w, int L, const char *key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ovw_w_attr_ints(W *w, int L, const char *key, const int64_t *v, int n);
Src ovw_w_out(W *w, int L, DType dt, int rank, const int64_t *dims, const char *names);
const WPort *ovw_src_port(const W *w, Src s);
void ovw_w_port_add_name(W *w, Src s, const char *name);
void ovw_w_in(W *w, int L, Src s);
Src ovw_w_const(W *w, const char *name, DType dt, int rank, const int64_t *dims, const void *data, size_t nbytes, bool compressible);
Src ovw_w_const_i64(W *w, const char *name, const int64_t *v, int n, bool scalar);
Src ovw_w_const_f32(W *w, const char *name, const float *v, int n, bool scalar, bool compressible);
int ovw_fail(W *w, const Node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const Tensor *ovw_T(const W *w, int t);
const Tensor *ovw_const_tensor(const Graph *g, int t);
int ovw_const_ints(const Tensor *c, int64_t *out, int max);
int ovw_operand_ints(const W *w, const Node *n, int k, const char *attr, int64_t *out, int max);
int ovw_w_src(W *w, const Node *n, int t, bool compressible, Src *out);
int ovw_w_in_tensor(W *w, int L, const Node *n, int t, bool compressible);
Src ovw_w_out_tensor(W *w, int L, int t);
const char *ovw_bool_str(bool b);
bool ovw_xml_type_ok(const char *s);
bool ovw_dtype_is_floaty(DType t);

/* Emit IR node n as one or more layers (openvino_emit.c).  0, or -1 with w->err set. */
int ovw_emit_node(W *w, const Node *n);
/* How the writer handles node n, from the op table (OP_OTHER resolved by its domain). */
OpWriteSupport ovw_node_support(const Node *n);

#endif
