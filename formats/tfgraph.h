/* tfgraph: the TensorFlow graph the TF.js writer lowers the IR to, shared by the other
 * TensorFlow formats (TF Lite, GraphDef, SavedModel) so that all of them carry one lowering:
 * NHWC TensorFlow ops (see formats/tfjs.h "Layout" and "Interface"), every constant a Const
 * node whose data is held beside the graph.
 *
 * The graph is GraphDef as JSON, as TF.js's model.json has it: an array of nodes
 * {"name", "op", "input": ["node", "node:1"], "attr": {"T": {"type": "DT_FLOAT"},
 * "strides": {"list": {"i": ["1", ...]}}, "padding": {"s": <base64>}, ...}}, in an order where
 * every node's inputs come before it.  Fused ops appear as TF.js runs them (_FusedConv2D and
 * FusedDepthwiseConv2dNative with fused_ops ["BiasAdd"]); a consumer that wants plain
 * TensorFlow ops splits them. */
#ifndef YOLOPORT_TFGRAPH_H
#define YOLOPORT_TFGRAPH_H

#include <stddef.h>

#include "formats/tfjs.h"

struct json_object;

typedef struct TfGraph TfGraph;

/* One Const node's data (float32, int32 or bool; little-endian; heap-owned by the TfGraph). */
typedef struct {
    const char *name;   /* the Const node's name */
    DType dtype;        /* DT_F32, DT_I32 or DT_BOOL */
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    void *data;
    size_t nbytes;
    bool quantize;      /* a learned parameter (conv/linear weights and biases): what reduced-precision
                           storage applies to; anchors, strides and shapes stay exact */
} TfWeight;

/* Lower g to TensorFlow ops (opt as for tfjs_write; only input_name is used here, and the
 * weights stay float32 whatever opt->half says).  NULL + "<node>: <problem>" when an op has
 * no lowering.  The result holds references into g: g must outlive it. */
TfGraph *tfgraph_lower(const Graph *g, const TfjsOptions *opt, char *err, size_t errlen);
void tfgraph_free(TfGraph *t);

/* The node array (owned by t) and the signature {"inputs": {name: {"name": "x:0", "dtype",
 * "tensorShape"}}, "outputs": {"Identity:0": {...}, ...}} (owned by t). */
struct json_object *tfgraph_nodes(const TfGraph *t);
struct json_object *tfgraph_signature(const TfGraph *t);
/* The Const nodes' data, in the order they were created. */
size_t tfgraph_n_weights(const TfGraph *t);
const TfWeight *tfgraph_weight(const TfGraph *t, size_t i);

/* The export metadata the TF formats carry (formats/tfjs_meta.c). */
/* metadata.yaml: YAML text of a JSON object, heap; NULL + message. */
char *tfjs_metadata_yaml(const struct json_object *meta, size_t *len, char *err, size_t errlen);
/* A JSON object from key/JSON-text pairs (new reference); NULL + message. */
struct json_object *tfjs_metadata_from_kv(const KeyValue *kv, int n, char *err, size_t errlen);
/* Does text parse as one YAML document whose root is a mapping? 0 / -1 + message. */
int tfjs_yaml_is_mapping(const char *text, size_t len, char *err, size_t errlen);

#endif
