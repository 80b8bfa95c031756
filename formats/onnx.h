/* onnx: read any ONNX model into the Graph IR, and write the Graph IR as ONNX.
 * Bindings are generated at build time by protoc-c from Debian's onnx.proto. */
#ifndef YOLOPORT_ONNX_H
#define YOLOPORT_ONNX_H

#include <stdint.h>

#include "engine/graph.h"

/* Read an ONNX file: nodes (name, op_type, domain, attributes), initializers (data
 * adopted, not copied twice), inputs/outputs with symbolic dims, value_info shapes,
 * opset/ir_version/producer and metadata_props into g->meta (task, names, stride, imgsz
 * parsed from the Ultralytics keys when present).  Modules are built from node name paths
 * ("/model.2/cv1/conv/Conv" -> model.2 > cv1 > conv).  External-data initializers are
 * read from beside the file when present and safe, else reported by name.
 * NULL + "<path>: <problem>" on error. */
Graph *onnx_read(const char *path, char *err, size_t errlen);
/* The same from memory (name used in messages).  The buffer must outlive nothing: data
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

/* Serialise g as an ONNX ModelProto into a heap buffer (*out, *len; caller frees).
 * IR ops are lowered for the opset (SiLU -> Sigmoid+Mul, Split sizes as attribute or
 * input, Resize scales, Squeeze/Unsqueeze axes, ...); g->meta.props become
 * metadata_props in order.  -1 + message when an op cannot be expressed. */
int onnx_serialize(const Graph *g, const OnnxWriteOptions *opt, uint8_t **out, size_t *len, char *err,
                   size_t errlen);

#endif
