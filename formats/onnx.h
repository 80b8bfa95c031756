/* onnx: read any ONNX model into the Graph IR, and write the Graph IR as ONNX.
 * Bindings are generated at build time by protoc-c from Debian's onnx.proto. */
#ifndef YOLOPORT_ONNX_H
#define YOLOPORT_ONNX_H

#include <stdint.h>

#include "engine/core/graph.h"

/* Read an ONNX file: nodes (name, op_type, domain, attributes), initializers (data
 * adopted, not copied twice), inputs/outputs with symbolic dims, value_info shapes,
 * opset/ir_version/producer and metadata_props into g->meta (task, names, stride, imgsz
 * parsed from the Ultralytics keys when present).  Modules are built from node name paths
 * ("/model.2/cv1/conv/Conv" -> model.2 > cv1 > conv).  External-data initializers are
 * read from beside the file when present and safe, else reported by name.
 * NULL + "<path>: <problem>" on error. */
Graph *onnx_read(const char *path, char *err, size_t errlen);
/* Reader notes: operands keep the file's form (Split sizes are an attribute before opset 13
 * and an input after, and so on: see the writer's list below).  Attribute tensors (a
 * Constant's value) are tensors with data that are not params and not graph-scope names
 * (named "<node>:<attr>" when the file leaves them unnamed).  ATTR_GRAPH records a subgraph
 * without descending: s = its name, count = how many, i = its node count.  A Softmax from
 * before opset 13 whose 2-D coercion differs from a per-axis softmax stays OP_OTHER.
 * Modules: a "group" per name-path component; nodes without a path go to one root-level
 * group named after the graph.  Module params count each float initializer once.
 * The same from memory (name used in messages).  The buffer must outlive nothing: data
 * the graph needs is copied or adopted from a private copy. */
Graph *onnx_read_buffer(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen);

typedef struct {
    bool shapes_only;     /* leave external-data initializers unread (data NULL, external set) */
    const char *base_dir; /* where external data lives; onnx_read_opts defaults to the file's
                             directory, onnx_read_buffer_opts to none (external data refused) */
} OnnxReadOptions;
/* onnx_read / onnx_read_buffer with options (opt may be NULL). */
Graph *onnx_read_opts(const char *path, const OnnxReadOptions *opt, char *err, size_t errlen);
Graph *onnx_read_buffer_opts(const uint8_t *buf, size_t len, const char *name, const OnnxReadOptions *opt,
                             char *err, size_t errlen);

/* Cheap content check used by format detection: does buf look like an ONNX ModelProto?
 * buf may be the whole file or its first bytes (4 KiB is plenty): every top-level field
 * must be one ModelProto declares, with its wire type, and the graph field must start. */
int onnx_sniff(const uint8_t *buf, size_t len);

typedef struct {
    int opset;               /* default ONNX_DEFAULT_OPSET */
    const char *producer_name;    /* "yoloport" */
    const char *producer_version;
} OnnxWriteOptions;

#define ONNX_DEFAULT_OPSET 17
#define ONNX_MIN_OPSET 11
#define ONNX_MAX_OPSET 19

/* The ONNX writer's op table (formats/onnx_write.c): how it handles op — OP_WRITE_YES for
 * every op the IR models, OP_WRITE_VERBATIM for OP_OTHER (ops read from an ONNX file are
 * copied as read; another reader's, such as an OpenVINO type, are refused by name).  The
 * writer checks every node against it before it builds anything. */
OpWriteSupport onnx_write_op_support(OpKind op);

/* Serialise g as an ONNX ModelProto into a heap buffer (*out, *len; caller frees).
 * IR ops are lowered for the opset (SiLU -> Sigmoid+Mul, Split sizes as attribute or
 * input, Resize scales, Squeeze/Unsqueeze axes, ...); g->meta.props become
 * metadata_props in order.  -1 + message when an op cannot be expressed.
 *
 * IR forms the writer accepts (either form; it emits what the opset wants):
 *   Split "split", Squeeze/Unsqueeze/ReduceSum "axes" (input from 13), Reduce{Max,Min,Mean,
 *   Prod,...} "axes" (input from 18), TopK "k", Reshape/Expand "shape", Slice "starts" "ends"
 *   "axes" "steps", Pad "pads": an INT/INTS attribute or the ONNX input (a constant, i.e. an
 *   initializer or a Constant node's output, when it must become an attribute);
 *   Resize: inputs (X, roi, scales, sizes) or X plus a "scales" FLOATS / "sizes" INTS
 *   attribute; mode defaults to nearest with asymmetric/floor as torch exports upsampling;
 *   NonMaxSuppression: inputs or "max_output_boxes_per_class"/"iou_threshold"/
 *   "score_threshold" attributes; Clip: inputs or "min"/"max" attributes;
 *   Softmax: per-axis (opset-13 meaning), "axis" default -1; before 13 a non-last axis needs
 *   the input's rank and is written as Transpose, Softmax, Transpose;
 *   Cast "to" is the ONNX TensorProto type number; Constant holds a "value" tensor attribute.
 * Initializers (tensors with data, no producer, used by a node or as an output) are written
 * as little-endian raw_data; graph inputs/outputs carry dtype and dims, dim_names become
 * dim_param.  ir_version follows the opset (6 for 11, 7 for 12-14, 8 for 15-18, 9 for 19).
 * Node and tensor names are kept (empty or duplicate tensor names get a suffix). */
int onnx_serialize(const Graph *g, const OnnxWriteOptions *opt, uint8_t **out, size_t *len, char *err,
                   size_t errlen);

#endif
