/* yolo: the model builder.  It turns an Ultralytics model — a ModTree read from a
 * checkpoint (formats/pt.c) or built from a model config (yolo_cfg.c) — into the Graph IR,
 * walking model.model layer by layer the way the peer's _predict_once does, with one
 * emitter per module kind.  It also computes the peer's summary numbers.
 *
 * The graph it emits (conventions the executor and the writers rely on):
 *   - input "images" [B, C, H, W] float32; outputs "output0" (and "output1" for
 *     segmentation protos), as the peer's ONNX export names them;
 *   - node names follow the peer's ONNX scopes ("/model.2/m.0/cv1/conv/Conv"), output
 *     tensors are "<node name>_output_<k>", parameters "<module path>.<name>"
 *     ("model.0.conv.weight");
 *   - Conv: inputs X, W[, B]; ints kernel_shape, strides, pads (4), dilations; int group;
 *   - BatchNormalization: X, scale, B, mean, var; float epsilon, momentum (unfused: the
 *     fuse pass in passes.h folds it into the Conv before it);
 *   - SiLU is one op (x * sigmoid(x));
 *   - Split: attribute "split" (ints) and "axis"; Concat / Softmax / Flatten: "axis";
 *   - Reshape: X and an int64 shape initializer (0 copies the input dim, -1 is inferred);
 *   - Resize: X, roi omitted (-1), float32 scales initializer [4]; strings mode "nearest",
 *     coordinate_transformation_mode "asymmetric", nearest_mode "floor";
 *   - Slice: X, starts, ends, axes[, steps] as int64 initializers;
 *   - MaxPool: kernel_shape, strides, pads, ceil_mode 0; Transpose: perm;
 *   - Gemm: A, B, C with transB 1 (a Linear layer); ConvTranspose like Conv;
 *   - Cos, Sin (OBB angle), Range, Expand (dynamic anchors) with ONNX semantics;
 *   - constants are initializers (tensors with data, is_param false); learned weights are
 *     float32 tensors with is_param true and the checkpoint's requires_grad; BatchNorm
 *     running statistics are initializers with is_param false.
 * With LoadOptions.dynamic the input dims are named batch/height/width, the anchors and
 * strides of the detection heads are computed in the graph from Shape of the feature maps,
 * and every dim that depends on the input size is -1 (outputs name them "anchors",
 * "mask_height", "mask_width").  With shapes_only no weight data is read: parameter and
 * buffer tensors keep dtype float32 and shape, data NULL.
 */
#ifndef YOLOPORT_YOLO_H
#define YOLOPORT_YOLO_H

#include "engine/core/graph.h"
#include "engine/registry/model.h"
#include "engine/core/modtree.h"

/* Build the graph for t.  opt may be NULL (imgsz: imgsz_default of t's train args, i.e. its
 * training imgsz else 640; batch 1).
 * The graph copies (converting to float32) every weight it uses: t may be freed
 * afterwards.  Metadata (task, names, stride, imgsz, source, summaries) is filled in.
 * NULL + a message naming the module and the problem on error (an unsupported module
 * kind, a missing tensor, shapes that do not fit, an imgsz that is not a multiple of the
 * model's stride). */
Graph *yolo_build(const ModTree *t, const LoadOptions *opt, char *err, size_t errlen);

/* The same, but takes ownership of t's data blobs (t must be freed by the caller right
 * after): float32 tensors that live in them are used in place instead of copied.  The
 * config builder keeps its synthesized weights in such a blob. */
Graph *yolo_build_take(ModTree *t, const LoadOptions *opt, char *err, size_t errlen);

/* A graph without nodes whose metadata is what yolo_build(t, NULL) would fill (task, names,
 * strides, train args, imgsz = the default size, source), found without building: the
 * strides are the checkpoint's (model.stride, what the peer's exporter checks imgsz
 * against), else the head's from a shapes-only probe.  No summaries.  Never NULL; the
 * caller frees it with graph_free. */
Graph *yolo_describe(const ModTree *t);

/* The peer's summary numbers for t at imgsz (h, w): layers, parameters, gradients and
 * GFLOPs (reference section 7), unfused and as after fuse().  0 or -1 + message. */
int yolo_summary(const ModTree *t, int imgsz_h, int imgsz_w, ModelSummary *unfused, ModelSummary *fused,
                 char *err, size_t errlen);

/* "detect", "segment", "pose", "obb" or "classify" from the model's head (NULL when the
 * model has none we know). */
const char *yolo_task(const ModTree *t);
/* Largest output stride (32 for P5 models, 64 for P6; 32 for classifiers, as the
 * peer's FLOPs probe uses).  Computed from the layer structure. */
int yolo_max_stride(const ModTree *t);
/* "YOLOv8n" from "yolov8n.yaml" (the peer's summary-line name); "Model" when unknown.
 * Writes into buf and returns it. */
const char *yolo_model_name(const char *yaml_file, char *buf, size_t len);

/* ---- model configs (yolo_cfg.c) ---- */

/* Load a model config: a YAML file path, or a built-in name ("yolov8n.yaml",
 * "yolo11s-seg.yaml", "yolov8n6.yaml") resolved through paths_share("models/...") the
 * way the peer unifies names (the scale letter picks a row of `scales`).  With with_data
 * the weights are synthesized deterministically (seeded by tensor path): conv weights
 * He-uniform (+-sqrt(6/fan_in), so activations keep their scale), conv biases and linear
 * layers uniform in +-1/sqrt(fan_in); BatchNorm weight 1, bias 0, mean 0, var 1, eps 0.001; Detect biases as the peer's bias_init; the DFL conv arange(16), frozen.
 * NULL + "<file>: <problem>" on error. */
ModTree *yolo_cfg_load(const char *path_or_name, bool with_data, char *err, size_t errlen);
/* Parse config text (name is used for messages and, when scale is 0, to guess the scale
 * letter; yaml_file becomes the tree's yaml_file).  scale: 'n', 's', ... or 0. */
ModTree *yolo_cfg_parse(const char *text, size_t len, const char *name, const char *yaml_file, char scale,
                        bool with_data, char *err, size_t errlen);
/* The built-in config file a bare name resolves to (heap string, caller frees), or NULL
 * when there is none.  *scale receives the scale letter guessed from the name (or 0). */
char *yolo_cfg_builtin_path(const char *name, char *scale);
/* True when text is a YAML mapping with `backbone` and `head` (a model config).  The _why
 * form says what the text is otherwise ("not valid YAML (line 3: ...)", "a YAML file
 * without 'backbone' and 'head' ..."); why may be NULL. */
bool yolo_cfg_sniff(const char *text, size_t len);
bool yolo_cfg_sniff_why(const char *text, size_t len, char *why, size_t whylen);

#endif
