/* tfsaved_impl: what formats/tfsaved.c, tfsaved_read.c and tfjs_read.c share -- the protobuf
 * messages a JSON GraphDef becomes, and the reader's entry on a decoded GraphDef. */
#ifndef YOLOPORT_TFSAVED_IMPL_H
#define YOLOPORT_TFSAVED_IMPL_H

#include <string.h>

#include "engine/core/format_id.h"
#include "formats/tfgraph.h"
#include "tensorflow/saved_model.pb-c.h"

#include <json-c/json.h>

/* JSON from a file is untrusted: arrays and strings are asked for only where they are (json-c
 * asserts on an array call on anything else). */
static inline size_t tf_json_len(json_object *j) { return json_object_is_type(j, json_type_array) ? json_object_array_length(j) : 0; }
static inline const char *tf_json_str(json_object *j) { return json_object_is_type(j, json_type_string) ? json_object_get_string(j) : NULL; }
static inline json_object *tf_json_member(json_object *j, const char *key)
{
    json_object *v = NULL;
    return json_object_is_type(j, json_type_object) && json_object_object_get_ex(j, key, &v) ? v : NULL;
}

/* Output keys in the order TensorFlow numbers them: "output_2" before "output_10" (shorter
 * first, then by text). */
static inline int tf_key_order(const char *x, const char *y)
{
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

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
