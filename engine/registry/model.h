/* model: the one front door for opening a model file of any supported kind.
 *
 * The format is detected from the file's content, never its name: a zip holding
 * data.pkl is a PyTorch checkpoint, a protobuf whose fields parse as an ONNX ModelProto is
 * ONNX, an XML <net> with a .bin beside it (or a folder holding one) is an OpenVINO IR, a
 * YAML mapping with backbone/head is a model config.  A bare config name such as
 * "yolov8n.yaml" that is not a file is looked up among the built-in configs
 * (share/models/).  Loading never executes anything from the file.
 */
#ifndef YOLOPORT_MODEL_H
#define YOLOPORT_MODEL_H

#include "engine/core/graph.h"

typedef enum {
    MODEL_FMT_UNKNOWN,
    MODEL_FMT_PT,          /* Ultralytics / PyTorch checkpoint (zip + pickle) */
    MODEL_FMT_ONNX,
    MODEL_FMT_YAML,        /* model config: builds an untrained model */
    MODEL_FMT_TORCHSCRIPT, /* zip with code/ and constants.pkl: recognised, not loaded */
    MODEL_FMT_OPENVINO,    /* OpenVINO IR: an .xml with its .bin, or a *_openvino_model/ folder */
} ModelFormat;

typedef struct {
    int imgsz[2];      /* h, w to build for; 0 = the checkpoint's training imgsz, else 640 */
    int batch;         /* input batch; 0 = 1 */
    bool fuse;         /* fold BatchNorm into Conv after building */
    bool dynamic;      /* symbolic batch/height/width input; anchors computed in the graph */
    bool shapes_only;  /* read no weight data (browsing, info): tensors keep dtype and shape,
                          data stays NULL; summaries are still exact */
} LoadOptions;

/* Detect the format of path by content.  MODEL_FMT_UNKNOWN + message when it is none of
 * ours (the message names the file and says what it looks like). */
ModelFormat model_detect(const char *path, char *err, size_t errlen);
const char *model_format_name(ModelFormat f);

/* Open a model and build its Graph: shapes inferred for opt->imgsz, metadata filled,
 * meta.summary and meta.fused_summary computed (for .pt and .yaml).  NULL + a message
 * naming the file and the problem on any error.  opt may be NULL (defaults). */
Graph *model_load(const char *path, const LoadOptions *opt, char *err, size_t errlen);

#endif
