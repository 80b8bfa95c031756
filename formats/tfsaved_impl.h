/* tfsaved_impl: what formats/tfsaved.c, tfsaved_read.c and tfjs_read.c share -- the protobuf
 * messages a JSON GraphDef becomes, and the reader's entry on a decoded GraphDef. */
#ifndef YOLOPORT_TFSAVED_IMPL_H
#define YOLOPORT_TFSAVED_IMPL_H

#include "engine/core/format_id.h"
#include "formats/tfgraph.h"
#include "tensorflow/saved_model.pb-c.h"

/* The GraphDef of JSON nodes (model.json's modelTopology.node, tfgraph_nodes), every message
 * allocated in a (the node list in *keep, a Vec the caller frees with vec_free after the
 * GraphDef): a Const's tensor_content is the weight of its name in w (not copied; a Const
 * without one has no data), fused convolutions are split as TensorFlow writes them.  The JSON
 * may come from a file: anything not of the expected JSON type is skipped or empty, and a node
 * without a string name and op, or with an input that is not a string, gives NULL. */
Tensorflow__GraphDef *tfsaved_graphdef_from_json(Arena *a, struct json_object *nodes, const TfWeight *const *w,
                                                 size_t n_w, Vec *keep);

/* gd read into the IR (formats/tfsaved.h "reading"): outputs by tensor name ("Identity:0"),
 * or NULL/0 for every node nobody reads; meta: metadata.yaml's text (may be NULL); fmt the
 * source format recorded. */
Graph *tfsaved_read_graphdef(const Tensorflow__GraphDef *gd, const char *const *outputs, int n_outputs, FormatId fmt,
                             const char *name, const char *meta, size_t meta_len, char *err, size_t errlen);

#endif
