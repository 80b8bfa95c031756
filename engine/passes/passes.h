/* passes: every graph rewrite, in one header.  Each takes a Graph the caller owns, rewrites it
 * in place (new tensors, nodes and data live in the graph's arena) and leaves it valid for
 * graph_validate(): nodes in topological order, every tensor with at most one producer.
 * Those that can fail return 0, or -1 with a message in err (the graph is then unusable and
 * should be freed).
 *
 *   passes.c        pass_fuse_bn, pass_fuse_rep, pass_compact (model loading: the peer's fuse())
 *   passes_half.c   pass_half (half=True) and the small surgery helpers the passes share
 *   passes_nms.c    pass_nms (nms=True)
 *   passes_fold.c   pass_simplify (simplify=True), pass_fold_static (TF.js)
 *   graph_equiv.c   graph_equiv (graph_equiv.h: comparing two graphs, not a rewrite)
 *
 * pass_fuse_bn folds every BatchNormalization whose input is a Conv output used by
 * nothing else into that Conv, as the peer's fuse() does (reference section 6):
 *   s = gamma / sqrt(var + eps);  W' = s[o] * W[o, ...];  b' = s * (b_conv - mean) + beta
 * computed in float32 in the peer's order.  The Conv takes over the BN's output tensor
 * (names downstream do not change), gains a bias "<weight prefix>.bias" when it had none,
 * and its weight and bias become frozen (requires_grad false), as the peer's fused conv
 * is.  The BN nodes, their parameter tensors, the Conv's old output and the BN's Module
 * entries are removed; module node ranges, parameter counts and out tensors are updated.
 * Works on shapes-only graphs too (no data is touched then).
 */
#ifndef YOLOPORT_PASSES_H
#define YOLOPORT_PASSES_H

#include <stdbool.h>

#include "engine/core/graph.h"

/* Returns the number of BatchNormalization nodes folded (0 when none), or -1 + message
 * (a BN whose parameters do not fit its conv; the graph is left unchanged then). */
int pass_fuse_bn(Graph *g, char *err, size_t errlen);

/* Merge parallel convolutions of the same input whose outputs are only summed (RepConv's 3x3
 * and 1x1 branches, RepVGGDW's 7x7 and 3x3), as the peer's fuse() does: the smaller kernel is
 * added at the centre of the bigger one, the biases summed; the bigger conv produces the sum,
 * frozen.  Run after pass_fuse_bn (the branches' BatchNorms folded first).  Returns the number
 * of merges, or -1 + message. */
int pass_fuse_rep(Graph *g, char *err, size_t errlen);

/* Drop nodes flagged in dead[] (n_nodes entries, may be NULL) and every tensor no node,
 * graph input/output or module refers to any more; remap all indices.  Module entries
 * flagged in dead_modules[] (n_modules entries, may be NULL) are dropped as well. */
void pass_compact(Graph *g, const unsigned char *dead, const unsigned char *dead_modules);

/* ---- export passes ---------------------------------------------------------------------- */


/* ---- half (engine/passes/passes_half.c) ---------------------------------------------------- */

typedef struct {
    int initializers_converted; /* f32 initializers stored as f16 */
    int initializers_kept_f32;  /* f32 initializers an op requires as float (Resize scales, ...) */
    int casts_inserted;         /* Cast nodes added around ops that only take float32 */
} HalfStats;

/* Convert the graph to float16 as the peer's GPU half export does: every float32
 * initializer becomes float16, every float32 activation (inputs and outputs included)
 * becomes float16, Cast-to-float nodes cast to float16.  Slots that ONNX types as float32
 * only (Resize roi/scales, NonMaxSuppression boxes/scores/thresholds, float Range) keep
 * float32, with Cast nodes inserted around them.  stats may be NULL. */
int pass_half(Graph *g, HalfStats *stats, char *err, size_t errlen);

/* ---- nms (engine/passes/passes_nms.c) ------------------------------------------------------ */

typedef struct {
    float conf;      /* keep score > conf (the peer's default when unset: 0.25) */
    float iou;       /* suppress IoU > iou */
    int max_det;     /* rows per image (clamped to the anchor count) */
    bool agnostic;   /* one class for NMS (no class offset) */
    int64_t anchors; /* anchors at the export imgsz, for a graph whose anchor axis is symbolic
                        (dynamic): rows = min(max_det, anchors) as the peer's traced model has;
                        0 = unknown (rows = max_det) */
} NmsOptions;

/* Append the peer's NMSModel to a detect/segment/pose graph: output0 (B, 4+nc+extra, A)
 * becomes (B, min(max_det, A), 6+extra) rows [x1, y1, x2, y2, score, cls, extra...],
 * zero-padded, sorted by score; other outputs (segment protos) are kept.  Uses only ONNX
 * ops of opset 11 that our executor also runs (Transpose, Slice, TopK, NonMaxSuppression,
 * Gather, Equal, Where, ConstantOfShape, Range, Greater, Cast, ...).  -1 + message for a task it does not handle
 * (classify; obb needs rotated NMS). */
int pass_nms(Graph *g, const NmsOptions *opt, char *err, size_t errlen);

/* ---- simplify and static folding (engine/passes/passes_fold.c) ------------------------------ */

typedef struct {
    int nodes_before, nodes_after;
    int folded;        /* nodes replaced by constants */
    int removed_dead;  /* nodes whose outputs nothing uses */
    int identities;    /* Identity nodes bypassed */
} SimplifyStats;

/* Fold every node whose inputs are all constants (or whose result only depends on known
 * static shapes, such as Shape of a fully known tensor) into an initializer, bypass
 * Identity nodes, and remove nodes and initializers that no graph output depends on.  The
 * values are computed by the executor's kernels (exec_eval_node) for the ops listed in the
 * pass's fold table; other ops are left as they are.  stats may be NULL. */
int pass_simplify(Graph *g, SimplifyStats *stats, char *err, size_t errlen);

/* For writers that need every shape static (TF.js): when the graph has tensors without a
 * shape or values computed from shapes and constants, and every input is static, run the
 * executor once on zeros; every tensor gets the shape of the run, and every node whose
 * outputs depend only on constants and shapes leaves the graph, its outputs becoming
 * constants with the run's values (float types as float32, others as int64).  Returns the
 * number of tensors folded (0: nothing to do, or the graph does not run; it is then left
 * unchanged). */
int pass_fold_static(Graph *g);

/* ---- shape inference (engine/passes/passes_shapes.c) ------------------------------------------ */

/* Every tensor a node produces whose element type or shape the file left out (an ONNX file
 * without value_info, as the peer's exports are) gets them: the graph runs once in the
 * executor on zeros bound to its one input at in_dims (every shape, axis and index checked
 * as in any run), and twice when that input has dynamic dims, so that a dim that follows the
 * input's size stays dynamic (-1).  Element types: integers as the producer says (Cast's
 * target, comparisons bool, else int64), floats as the producer's float inputs (float32 by
 * default).  Declared tensors keep their declaration; a tensor the run did not produce is
 * left as it is.  *n_inferred (may be NULL) counts the tensors filled.  0 (also when nothing
 * is unknown), or -1 + message (the graph does not run at in_dims). */
int pass_infer_shapes(Graph *g, const int64_t *in_dims, int in_rank, int *n_inferred, char *err, size_t errlen);

/* ---- box coordinates and the TF Lite layout (engine/passes/passes_boxes.c) ------------------ */

/* Scale output0's box rows (x, y, w, h; for pose also every keypoint's x and y) by the input
 * size: to_unit divides (fractions of imgw/imgh, as the peer's TF Lite export gives them),
 * otherwise multiplies back.  A Div (Mul) after output0 that takes over its name; classify and a
 * graph without outputs are left as they are.  meta gives the task, nc and kpt_shape.  imgh and
 * imgw 0 with an input of unknown height and width (dynamic): the size is computed in the graph
 * from the input (CumSum over ones along one line, its largest value; no shape read).  -1 +
 * message when output0 is not (batch, 4+classes, anchors). */
int pass_scale_boxes(Graph *g, const GraphMeta *meta, int imgh, int imgw, bool to_unit, char *err, size_t errlen);

/* Whether g's boxes were made fractions by pass_scale_boxes(to_unit) when it was written: a
 * Div named "/output0/normalize" (TensorFlow's node names drop the leading slash) survives in
 * every file our TensorFlow writers make, so a SavedModel or GraphDef written by format=tflite
 * (whose boxes are fractions, as its TF Lite files beside it) is told from one written by
 * format=saved_model or pb (pixels). */
bool pass_boxes_normalised(const Graph *g);

/* A TF Lite file read back (tflite_read) made runnable as the source runs: a float NCHW input
 * "images" (Transposed to the file's NHWC, and quantised as the writer quantises 0..1 when the
 * file's input is int8), int8 outputs dequantised by their QUANTIZE's parameters, rank-4
 * outputs back to NCHW; toposorted.  Boxes stay as the file gives them.  0 or -1 + message. */
int pass_tflite_runnable(Graph *run, char *err, size_t errlen);

/* ---- layout (engine/passes/passes_layout.c) ----------------------------------------------- */

/* Sink Transposes through the ops that do not care about layout (elementwise ops with scalar
 * extras, Concat, Split, Pad: axes and per-axis amounts mapped) until Transposes that undo each
 * other meet; those pairs are removed, others composed.  For graphs read from NHWC formats.
 * Graph outputs keep their tensors; intermediate tensors may be renamed or dropped.
 * *removed (may be NULL): Transposes fewer.  0, or -1 + message. */
int pass_sink_transposes(Graph *g, int *removed, char *err, size_t errlen);

/* Fold each zero-valued constant Pad of the spatial axes that only a Conv reads into that
 * Conv's pads.  The number folded. */
int pass_fold_pads(Graph *g);

/* A graph read from a TensorFlow-family file (NHWC image input: TF Lite, SavedModel,
 * GraphDef) made to run as its source runs: shapes the file left out inferred at its input
 * size, pass_tflite_runnable, pass_sink_transposes, pass_fold_pads; with boxes_normalised
 * (TF Lite), output0's boxes back in pixels (pass_scale_boxes).  0, or -1 + message. */
int pass_nhwc_as_source(Graph *g, bool boxes_normalised, char *err, size_t errlen);

/* Shape inference (pass_infer_shapes) at the graph's one input's own size when some tensor's
 * shape is not known; an image batch [N, C, H, W] or [N, H, W, C] whose batch, height or width
 * is open runs at batch 1 and its metadata's imgsz (else 640), and at a second size, so the
 * dims that follow the input's stay unknown.  Nothing for other inputs.  0, or -1 + message. */
int pass_infer_shapes_at_input(Graph *g, char *err, size_t errlen);

/* ---- helpers shared by the passes (engine/passes/passes_half.c) ---------------------------- */

/* Reorder g->nodes topologically (stable: keeps the existing order where it is valid),
 * fixing tensor producers and module node ranges.  -1 + message on a cycle. */
int passes_toposort(Graph *g, char *err, size_t errlen);
/* Replace every use of tensor `from` as a node input with `to` (graph outputs too when
 * also_outputs). */
void passes_replace_uses(Graph *g, int from, int to, bool also_outputs);
/* Add a 1-D int64 constant / a scalar float constant with a unique name. */
int passes_const_i64(Graph *g, const char *name, const int64_t *v, int n);
int passes_const_f32_scalar(Graph *g, const char *name, float v);

#endif
