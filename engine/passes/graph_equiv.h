/* graph_equiv: proves that a graph read back from an exported file computes what its
 * source graph computes, node for node, without running either.
 *
 * Every tensor of the written graph is mapped to the source tensor that holds the same
 * value on the same inputs: graph inputs by position (same declared type), constants by
 * content (type, shape and every byte equal), and a node's outputs when a source node has
 * the same op, domain, attributes (values equal, order aside), mapped inputs and declared
 * output types.  The rewrites writers make are recognised: SiLU written as Sigmoid + Mul,
 * constants held in Constant nodes instead of initializers, attributes a later opset moved
 * into inputs (Split's split, Squeeze's axes...), and attributes written out at the default
 * the executor uses when they are left out (strides and dilations of ones, zero pads,
 * group 1, allowzero 0...).  The executor's
 * opset-dependent semantics (exec_opset_class) must agree too.
 *
 * When every written output maps to the source output at the same position, the written
 * graph's outputs on any input are the source's (up to the rounding of SiLU against
 * Sigmoid·Mul), so a numeric comparison of the two has nothing left to find.  Anything
 * else (float16 weights, folded constants, added NMS, a writer bug) leaves a node
 * unmatched, and the caller runs both graphs instead. */
#ifndef YOLOPORT_GRAPH_EQUIV_H
#define YOLOPORT_GRAPH_EQUIV_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/core/graph.h"

typedef struct {
    bool equivalent;        /* every written output maps to the source output at its position */
    int nodes, matched;     /* written nodes, and those with a source counterpart */
    int silu_pairs;         /* Sigmoid + Mul pairs matched as one SiLU (the Mul counts as matched) */
    int64_t const_bytes;    /* constant bytes found equal to the source's */
    /* the first written node (in graph order) feeding an output that has no counterpart,
     * and why ("" when equivalent) */
    char first_diff[256];
} GraphEquiv;

/* Compare written against src.  Never fails; the verdict is in *eq. */
void graph_equiv(const Graph *src, const Graph *written, GraphEquiv *eq);

/* The same, and which nodes have a counterpart (a two-model diff shows the others): in_w has
 * one flag per node of written (1: it computes what a source node computes; a SiLU's Mul
 * counts, its Sigmoid does not), in_src one per node of src (1: some written node computes what
 * it does).  Either may be NULL.  When the graphs cannot be compared at all (their inputs,
 * outputs or opsets differ) every flag is 0. */
void graph_equiv_nodes(const Graph *src, const Graph *written, GraphEquiv *eq, unsigned char *in_src, unsigned char *in_w);

#endif
