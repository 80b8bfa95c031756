/* model: the one front door for opening a model file of any supported kind.
 *
 * The kind is found by asking each registry row's recogniser in the table's order
 * (engine/registry/registry.h), from the file's content, never its name: a zip holding
 * data.pkl is a PyTorch checkpoint, a protobuf whose fields parse as an ONNX ModelProto is
 * ONNX, an XML <net> with a .bin beside it (or a folder holding one) is an OpenVINO IR, a
 * YAML mapping with backbone/head is a model config.  A bare config name such as
 * "yolov8n.yaml" that is not a file is looked up among the built-in configs
 * (share/models/).  The row that recognises the path reads it.  Loading never executes
 * anything from the file.
 */
#ifndef YOLOPORT_MODEL_H
#define YOLOPORT_MODEL_H

#include "engine/core/graph.h"
#include "engine/registry/registry.h"

struct LoadOptions;

/* A caller's decision of how to build, made once the file is read and before anything is
 * built: meta is the model's metadata as a default build would fill it (task, names,
 * strides, train args, imgsz = the default size, engine/core/imgsz.h; for a file read as a
 * graph, the graph's own), builds says whether the build options apply (checkpoints and
 * configs: the reader builds; false: the file fixes its graph).  The callback may set
 * opt's imgsz, batch and dynamic (the export puts the effective values its checks derive
 * from these facts there, so the model is read and built once), or return non-zero with a
 * message in err to stop the load (model_load then returns NULL with that message). */
typedef int (*LoadDecideFn)(const GraphMeta *meta, bool builds, struct LoadOptions *opt, void *user, char *err,
                            size_t errlen);

typedef struct LoadOptions {
    int imgsz[2];      /* h, w to build for; 0 = the model's default (imgsz_default: the
                          checkpoint's training imgsz, else 640) */
    int batch;         /* input batch; 0 = 1 */
    bool fuse;         /* fold BatchNorm into Conv after building */
    bool dynamic;      /* symbolic batch/height/width input; anchors computed in the graph */
    bool dynamic_hw_only; /* with dynamic: the batch stays fixed and the graph reads no shape
                          (anchors by CumSum over the feature maps), for the formats whose
                          FormatInfo.dynamic_hw_only is set */
    bool shapes_only;  /* read no weight data (browsing, info): tensors keep dtype and shape,
                          data stays NULL; summaries are still exact */
    LoadDecideFn decide; /* optional, called once per load (see LoadDecideFn) */
    void *decide_user;
} LoadOptions;

/* The registry id of the row that recognises path, by content.  FMT_NONE + a message when no
 * row does (the message names the file and says what it looks like).  A recognised kind that
 * this build does not read (a TorchScript archive) returns its id with the row's
 * unreadable_reason in err. */
FormatId model_detect(const char *path, char *err, size_t errlen);

/* Open a model and build its Graph through the recognising row's reader: the file is read
 * once, opt->decide (when set) sees its metadata and settles the build options, and the graph
 * is built once -- shapes inferred for opt->imgsz, metadata filled (GraphMeta.source_format
 * is the row's id), meta.summary and meta.fused_summary computed (for the rows whose reader
 * builds: .pt and .yaml).  NULL + a message naming the file and the problem on any error.
 * opt may be NULL (defaults). */
Graph *model_load(const char *path, const LoadOptions *opt, char *err, size_t errlen);

#endif
