/* tfjs_impl: what the TF.js writer's files share (tfjs.c: writer state, names, GraphDef JSON
 * nodes, constants, layouts, weights and the directory; tfjs_ops.c: one lowering per IR op;
 * tfjs_meta.c: metadata.yaml and the directory check).  Not part of the API. */
#ifndef YOLOPORT_TFJS_IMPL_H
#define YOLOPORT_TFJS_IMPL_H

#include <json-c/json.h>

#include "formats/tfgraph.h"
#include "formats/tfjs.h"

/* A tensor's layout: physical axis k holds IR axis perm[k].  Identity = the IR's layout;
 * {0, 2, 3, 1} = NHWC for an NCHW IR tensor. */
typedef struct {
    int rank;
    int perm[GRAPH_MAX_RANK];
} Layout;

Layout layout_identity(int rank);
Layout layout_nhwc(void);
bool layout_equal(const Layout *a, const Layout *b);
bool layout_is_identity(const Layout *l);
/* The physical axis holding IR axis ir_axis (negative counts from the end); -1 if out of range. */
int layout_phys_axis(const Layout *l, int64_t ir_axis);
/* Physical dims of IR dims under l. */
void layout_phys_dims(const Layout *l, const int64_t *ir_dims, int64_t *out);

/* A TF tensor reference for an IR tensor in one layout ("node" or "node:k"). */
typedef struct {
    Layout layout;
    const char *ref;
} TfRef;

typedef struct {
    TfRef *items;
    int n, cap;
} TfRefList;

typedef struct {
    StrMap index; /* key (not copied: it must outlive the map) -> slot in vals */
    Vec vals;     /* const char * */
    StrMap next;  /* names: base -> the next "_k" suffix to try (keeps naming linear) */
} TfNameMap;



typedef struct {
    const Graph *g;
    const TfjsOptions *opt;
    Arena *arena;             /* names and refs */
    json_object *nodes;       /* modelTopology.node */
    TfNameMap names;          /* TF node names in use (value unused) */
    TfNameMap consts;         /* cache key -> Const node name */
    TfRefList *refs;          /* per IR tensor */
    Vec weights;              /* TfWeight */
    const Node *cur;          /* the IR node being lowered (messages) */
    bool int32_overflow;      /* an int32 constant got a value outside int32 (checked per node) */
    char *err;
    size_t errlen;
} TfjsWriter;

/* "<current node>: <message>" into the caller's buffer; returns -1. */
int tw_fail(TfjsWriter *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A fresh TF node name from base (sanitised to TF's name alphabet, made unique). */
const char *tw_name(TfjsWriter *w, const char *base);
/* "<prefix>/<suffix>" fresh name. */
const char *tw_subname(TfjsWriter *w, const char *prefix, const char *suffix);
/* The TF name prefix for the current node (its sanitised IR name). */
const char *tw_node_base(TfjsWriter *w);

/* Append a node to the GraphDef; returns its JSON object (owned by the node list). */
json_object *tw_node(TfjsWriter *w, const char *name, const char *op);
void tw_input(json_object *node, const char *ref);
void tw_attr_type(json_object *node, const char *key, DType dt);
void tw_attr_int(json_object *node, const char *key, int64_t v);
void tw_attr_float(json_object *node, const char *key, double v);
void tw_attr_bool(json_object *node, const char *key, bool v);
void tw_attr_string(json_object *node, const char *key, const char *s);
void tw_attr_ints(json_object *node, const char *key, const int64_t *v, int n);
void tw_attr_strings(json_object *node, const char *key, const char *const *s, int n);
/* "name:k" (k > 0) or "name". */
const char *tw_ref(TfjsWriter *w, const char *node, int k);
/* The TF dtype an IR dtype travels as (float kinds -> DT_F32, integer kinds -> DT_I32). */
DType tw_tf_dtype(DType dt);

/* Constants.  tw_const takes ownership of data (heap) and adds a Const node + manifest
 * entry; returns the node name. */
const char *tw_const(TfjsWriter *w, const char *base, DType dt, int rank, const int64_t *dims, void *data,
                     bool quantize);
const char *tw_const_i32(TfjsWriter *w, const char *base, const int64_t *v, int n, bool scalar);
const char *tw_const_f32_scalar(TfjsWriter *w, const char *base, float v);
/* Float IR-space data (rank, dims) materialised in layout l after padding the rank with
 * leading 1s to l->rank (l NULL: as is).  data is copied. */
const char *tw_const_f32_layout(TfjsWriter *w, const char *base, int rank, const int64_t *dims, const float *data,
                                const Layout *l, bool quantize);

/* The tensor holding constant data for IR tensor ti (an initializer, or the value of a
 * Constant node's output), NULL when ti is computed. */
const Tensor *tw_const_tensor(TfjsWriter *w, int ti);
/* Constant integer values of ti; count, or -1 when ti is not an integer constant or has
 * more than max values. */
int tw_const_ints(TfjsWriter *w, int ti, int64_t *out, int max);
/* Constant values of ti as float32 (heap, caller frees); NULL when not a numeric constant. */
float *tw_const_floats(TfjsWriter *w, int ti, int64_t *count);

/* A one-element numeric constant ti as a scalar Const (cached); -1 when ti is not one. */
int tw_use_scalar(TfjsWriter *w, int ti, const char **ref);
/* Element count of a constant (-1 when its data does not cover its shape). */
int64_t tw_const_numel(const Tensor *t);

/* Activations. */
void tw_set(TfjsWriter *w, int ti, const char *ref, const Layout *l);
/* The layout ti was produced in (constants: identity of their rank). */
Layout tw_layout(TfjsWriter *w, int ti);
/* A reference to ti in layout want (rank may exceed ti's: leading 1s are added).  Constants
 * are materialised, activations transposed/reshaped once and cached.  0 / -1. */
int tw_use(TfjsWriter *w, int ti, const Layout *want, const char **ref);
/* A reference to ti in whatever layout it has (*l receives it). */
int tw_use_any(TfjsWriter *w, int ti, const char **ref, Layout *l);
/* A Transpose node of ref by perm (physical axes); returns the node name. */
const char *tw_transpose(TfjsWriter *w, const char *base, const char *ref, DType dt, const int *perm, int rank);

/* Generic N-d transpose of elem-byte elements: dst axis k = src axis perm[k]. */
void tfjs_permute(const void *src, void *dst, size_t elem, int rank, const int64_t *dims, const int *perm);

/* Lower IR node ni (tfjs_ops.c). */
int tfjs_lower_node(TfjsWriter *w, int ni);
/* How the writer handles node n, from its op table. */
OpWriteSupport tfjs_node_support(const Node *n);


/* Base64 of n bytes (heap, NUL-terminated). */
char *tfjs_base64(const unsigned char *p, size_t n);

#endif
