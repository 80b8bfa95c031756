/* export_passes: graph rewrites the exporter applies before writing a file — float16
 * conversion (half=True), in-graph NMS (nms=True) and simplification (constant folding and
 * dead-node removal, simplify=True) — plus the small graph-surgery helpers they share.
 *
 * Every pass takes a Graph the caller owns, rewrites it in place (new tensors, nodes and
 * data live in the graph's arena) and leaves it valid for graph_validate(): nodes in
 * topological order, every tensor with at most one producer.  They return 0, or -1 with a
 * message in err (the graph is then unusable and should be freed).
 */
#ifndef YOLOPORT_EXPORT_PASSES_H
#define YOLOPORT_EXPORT_PASSES_H

#include <stdbool.h>

#include "engine/core/graph.h"

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

/* ---- simplify (engine/export/export_onnx.c: part of the ONNX stage) ------------------------ */

typedef struct {
    int nodes_before, nodes_after;
    int folded;        /* nodes replaced by constants */
    int removed_dead;  /* nodes whose outputs nothing uses */
    int identities;    /* Identity nodes bypassed */
} SimplifyStats;

/* Fold every node whose inputs are all constants (or whose result only depends on known
 * static shapes, such as Shape of a fully known tensor) into an initializer, bypass
 * Identity nodes, and remove nodes and initializers that no graph output depends on.
 * Ops it cannot evaluate are left as they are.  stats may be NULL. */
int pass_simplify(Graph *g, SimplifyStats *stats, char *err, size_t errlen);

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
