/* tfsaved: TensorFlow's protobuf formats, written natively — a frozen GraphDef (`.pb`) and a
 * SavedModel (`saved_model.pb` + `variables/`) — from the TensorFlow graph the TF.js writer
 * lowers the IR to (formats/tfgraph.h: NHWC TensorFlow ops, weights as Const).
 *
 * The messages are TensorFlow's (GraphDef, NodeDef, AttrValue, TensorProto, TensorShapeProto,
 * DataType, VersionDef, SavedModel, MetaGraphDef, SignatureDef, TensorInfo), declared in
 * the .proto files of formats/proto/tensorflow/ with TensorFlow's field numbers and compiled with protoc-c
 * at build time.
 *
 * GraphDef.  A frozen graph as TensorFlow's convert_variables_to_constants_v2 leaves it: a
 * Placeholder "images" (float32 NHWC), Const nodes holding the weights (tensor_content),
 * plain TensorFlow ops (the lowering's fused convolutions are split into Conv2D /
 * DepthwiseConv2dNative + BiasAdd, as TensorFlow writes them), and Identity outputs
 * "Identity", "Identity_1", ...; versions.producer is a TensorFlow 2 GraphDef version.
 *
 * SavedModel.  saved_model.pb holds one MetaGraphDef tagged "serve" with that GraphDef and a
 * "serving_default" SignatureDef (method tensorflow/serving/predict): input "images" ->
 * images:0, outputs "output_0", "output_1", ... -> Identity:0, Identity_1:0, ....  The graph
 * holds no variables, so `variables/` is an empty directory: TensorFlow's loaders restore a
 * checkpoint only when the MetaGraphDef has a saver (v1 loader: "no variables; no checkpoints
 * were restored"; the v2 loader goes through its v1 path for a SavedModel without an object
 * graph and restores only with a saver_def).
 */
#ifndef YOLOPORT_TFSAVED_H
#define YOLOPORT_TFSAVED_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"
#include "formats/tfjs.h"

/* What a written (or any) GraphDef / SavedModel holds. */
typedef struct {
    int n_nodes, n_consts;
    int64_t const_bytes;
    char input_key[64];     /* the serving signature's input key ("images"); GraphDef: the Placeholder */
    char output_keys[256];  /* "output_0, output_1"; GraphDef: the Identity outputs */
} TfSavedSummary;

/* The GraphDef of g (heap, *len bytes; the caller frees it).  opt as for tfgraph_lower (only
 * input_name is used; NULL: "images").  NULL + "<node>: <problem>". */
uint8_t *tfsaved_graphdef_buffer(const Graph *g, const TfjsOptions *opt, size_t *len, char *err, size_t errlen);
/* The GraphDef written to path (temporary + rename).  0 or -1 + message. */
int tfsaved_write_pb(const Graph *g, const TfjsOptions *opt, const char *path, TfSavedSummary *sum, char *err,
                     size_t errlen);
/* saved_model.pb and variables/ written into the existing directory dir.  0 or -1 + message. */
int tfsaved_write_dir(const Graph *g, const TfjsOptions *opt, const char *dir, TfSavedSummary *sum, char *err,
                      size_t errlen);

/* Structural checks (bounded, for untrusted files): the GraphDef parses, every node has a
 * name and an op, names are unique, every input names a node, every Const's tensor_content
 * matches its shape and type.  For a SavedModel directory also: saved_model.pb parses, one
 * meta graph tagged "serve", a "serving_default" signature whose tensors name nodes of the
 * graph, and a variables/ directory.  0 (summary filled) or -1 + "<path>: <problem>". */
int tfsaved_check_pb(const char *path, TfSavedSummary *sum, char *err, size_t errlen);
int tfsaved_check_dir(const char *dir, TfSavedSummary *sum, char *err, size_t errlen);

/* Recognisers (content, never the name): a file whose bytes parse as a GraphDef opening
 * with a NodeDef that has a name and an op; a directory holding a saved_model.pb whose bytes
 * open as a SavedModel (schema version, then a meta graph).  1 or 0. */
int tfsaved_sniff_pb(const char *path);
int tfsaved_sniff_saved_model(const char *path);

/* ---- reading (formats/tfsaved_read.c) ------------------------------------------------------
 * A frozen GraphDef of the op set yoloport's lowering writes (and the same ops written by
 * TensorFlow) into the IR: NHWC kept, each NCHW op of the IR between Transposes, shapes left to
 * inference.  The .pb's outputs are its nodes nobody reads; a SavedModel's are its
 * serving_default outputs (output_0, output_1, ...), its metadata.yaml read beside it.  NULL +
 * "<file>: <problem>" (naming the node) for anything else. */
Graph *tfsaved_read_pb(const char *path, char *err, size_t errlen);
Graph *tfsaved_read_dir(const char *dir, char *err, size_t errlen);
/* The same from memory (meta: metadata.yaml's text, may be NULL). */
Graph *tfsaved_read_pb_buffer(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen);
Graph *tfsaved_read_saved_model_buffer(const uint8_t *buf, size_t len, const char *meta, size_t meta_len, const char *name,
                                       char *err, size_t errlen);

#endif
