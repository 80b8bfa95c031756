/* openvino_read_impl: what the OpenVINO IR reader's two files share and nothing else
 * includes — the parsed file (layers, ports, limits) that openvino_read.c builds from the
 * XML and checks, and the entry into openvino_map.c, which turns the checked layers into
 * IR nodes. */
#ifndef YOLOPORT_OPENVINO_READ_IMPL_H
#define YOLOPORT_OPENVINO_READ_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "engine/core/graph.h"
#include "engine/core/util.h"

enum {
    MAX_XML_BYTES = 1 << 30,
    MAX_BIN_BYTES = INT_MAX,     /* 2 GiB: larger weights files are out of scope */
    MAX_META_BYTES = 16 << 20,
    MAX_LAYERS = 1 << 22,
    MAX_PORTS = 1 << 14,         /* per layer and direction */
};
#define MAX_DIM ((int64_t)1 << 40)

/* ---- the parsed file -------------------------------------------------------------------- */

typedef struct {
    int id;
    DType dtype;                 /* from precision; DT_UNDEFINED when absent */
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    const char *name;            /* first entry of names="", unescaped; NULL when none */
    int src_layer, src_port;     /* input ports: the edge's source (layer index, output index) */
    int tensor;                  /* output ports: the tensor once created */
    int consumers;               /* output ports: edges leaving */
    int first_consumer, first_consumer_port;
} RPort;

typedef struct {
    int id;
    const char *name, *type, *version;
    xmlNode *data;
    RPort *in, *out;
    int n_in, n_out;
    int *in_order, *out_order;   /* port indices sorted by id, for edge lookup */
    /* Const */
    DType ctype;
    int crank;
    int64_t cdims[GRAPH_MAX_RANK];
    size_t offset, size;
    bool skip;                   /* absorbed into a neighbour (a Conv's bias Add) */
    int indeg;
} RLayer;

typedef struct {
    Graph *g;
    const char *file;
    const uint8_t *bin;          /* the graph's adopted copy */
    size_t bin_len;
    RLayer *layers;
    int n_layers;
    int *by_id;                  /* layer indices sorted by id */
    StrMap tensor_names, modules;
    int root_module;
    char *err;
    size_t errlen;
} R;

/* "<file>: layer <id> ('<name>', <type>): <message>" (or "<file>: <message>" without L)
 * into r->err; returns -1. */
int ovr_fail(R *r, const RLayer *L, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "1, 2, 3" (or "") -> up to max ints; -1 when malformed or too many. */
int ovr_parse_ints(const char *s, int64_t *out, int max);
/* A layer's <data> attribute (arena copy), NULL when absent. */
const char *ovr_attr(R *r, const RLayer *L, const char *key);
/* Phase 2 (openvino_map.c): the checked layers, in topological order, into r->g's tensors
 * and nodes through the op mapping table.  0 or -1 + message. */
int ovr_convert_layers(R *r, const int *order);

#endif
