/* passes: graph rewrites that keep a Graph valid (graph_validate passes before and after).
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

#include "engine/core/graph.h"

/* Returns the number of BatchNormalization nodes folded (0 when none), or -1 + message
 * (a BN whose parameters do not fit its conv; the graph is left unchanged then). */
int pass_fuse_bn(Graph *g, char *err, size_t errlen);

/* Drop nodes flagged in dead[] (n_nodes entries, may be NULL) and every tensor no node,
 * graph input/output or module refers to any more; remap all indices.  Module entries
 * flagged in dead_modules[] (n_modules entries, may be NULL) are dropped as well. */
void pass_compact(Graph *g, const unsigned char *dead, const unsigned char *dead_modules);

#endif
