/* passes_layout: Transposes sunk through the ops that do not care about layout, so that pairs
 * meet and cancel.  A graph read from an NHWC format (TF Lite) wraps every NCHW op of the IR
 * in a Transpose to NCHW and one back; between two convolutions the activation, the residual
 * Add, C2f's Split and Concat and the Pad of a strided convolution then run in NHWC, and every
 * convolution pays two full copies of its activations.  Sinking a Transpose below such an op
 * (the op rewritten for the other layout: Concat's and Split's axis, Pad's per-axis amounts)
 * brings it next to the Transpose that undoes it; both go.  The arithmetic is unchanged: only
 * the order in which the same values are stored differs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/passes/passes.h"

/* Ops computed element by element on their first input, any further inputs being scalars. */
static bool unary_like(OpKind op)
{
    switch (op) {
    case OP_SIGMOID: case OP_RELU: case OP_SILU: case OP_SWISH: case OP_TANH: case OP_LEAKY_RELU:
    case OP_HARD_SIGMOID: case OP_HARD_SWISH: case OP_ELU: case OP_GELU: case OP_MISH: case OP_SOFTPLUS:
    case OP_EXP: case OP_NEG: case OP_ABS: case OP_SQRT: case OP_RECIPROCAL: case OP_CLIP: case OP_IDENTITY:
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_POW: case OP_MIN: case OP_MAX:
        return true;
    default:
        return false;
    }
}

static bool is_const(const Graph *g, int t)
{
    return t >= 0 && g->tensors[t].data && !g->tensors[t].is_input;
}

/* t is one of g's outputs (by the list, which every pass keeps, not the tensor's flag) */
static bool graph_output(const Graph *g, int t)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t) return true;
    return false;
}

static bool scalar_const(const Graph *g, int t)
{
    return is_const(g, t) && tensor_numel(&g->tensors[t]) == 1;
}

/* The perm of Transpose node ni (rank entries), or false. */
static bool transpose_perm(const Graph *g, int ni, int64_t *perm, int rank)
{
    const Node *n = &g->nodes[ni];
    if (n->op != OP_TRANSPOSE || n->n_inputs < 1 || n->n_outputs != 1) return false;
    if (node_attr_ints(n, "perm", perm, GRAPH_MAX_RANK) != rank) return false;
    unsigned seen = 0;
    for (int k = 0; k < rank; k++) {
        if (perm[k] < 0 || perm[k] >= rank || (seen >> perm[k] & 1)) return false;
        seen |= 1u << perm[k];
    }
    return true;
}

/* The Transpose producing tensor t with its perm, or -1. */
static int producing_transpose(const Graph *g, int t, int64_t *perm)
{
    if (t < 0 || is_const(g, t)) return -1;
    int p = g->tensors[t].producer;
    int rank = g->tensors[t].rank;
    if (p < 0 || rank < 1 || rank > GRAPH_MAX_RANK || !transpose_perm(g, p, perm, rank)) return -1;
    return p;
}

/* Node ni reads, for every non-scalar input, the output of a Transpose with one perm P (into
 * perm); its inputs then read the Transposes' inputs, and each output comes back through a
 * new Transpose with P.  Ops handled: unary_like (scalar extras), Concat, Split (axis mapped),
 * Pad (per-axis amounts mapped), Slice (constant axes mapped; a slice taken before the
 * Transpose moves fewer values through it).  True when rewritten. */
static bool sink_through(Graph *g, int ni)
{
    const Node *n = &g->nodes[ni];
    OpKind op = n->op;
    if (!unary_like(op) && op != OP_CONCAT && op != OP_SPLIT && op != OP_PAD && op != OP_SLICE) return false;
    if (n->n_inputs < 1 || n->n_outputs < 1 || n->n_outputs > 64) return false;
    int rank = 0;
    int64_t perm[GRAPH_MAX_RANK] = {0}, p2[GRAPH_MAX_RANK];
    int data_inputs = op == OP_CONCAT ? n->n_inputs : unary_like(op) ? n->n_inputs : 1;
    bool found = false;
    for (int k = 0; k < data_inputs; k++) {
        int t = n->inputs[k];
        if (t < 0) return false;
        if (unary_like(op) && scalar_const(g, t)) continue;
        if (producing_transpose(g, t, p2) < 0) return false;
        int r = g->tensors[t].rank;
        if (found && (r != rank || memcmp(perm, p2, sizeof(int64_t) * (size_t)r))) return false;
        rank = r;
        memcpy(perm, p2, sizeof perm);
        found = true;
    }
    if (!found) return false;
    for (int k = 0; k < n->n_outputs; k++) {
        int o = n->outputs[k];
        if (o < 0 || g->tensors[o].rank != rank) return false;
    }
    /* the op in the Transposes' input layout: y axis k is x axis perm[k] */
    int64_t axis = 0, pads[2 * GRAPH_MAX_RANK], saxes[GRAPH_MAX_RANK];
    int pads_t = -1, n_saxes = 0;
    if (op == OP_SLICE) { /* starts, ends (, axes, steps) as inputs, the axes constant */
        if (node_attr(n, "starts") || node_attr(n, "ends") || node_attr(n, "axes") || n->n_inputs < 3 || n->n_inputs > 5)
            return false;
        int st = n->inputs[1], at = n->n_inputs > 3 ? n->inputs[3] : -1;
        if (st < 0 || g->tensors[st].rank != 1) return false;
        n_saxes = (int)g->tensors[st].dims[0];
        if (n_saxes < 1 || n_saxes > rank) return false;
        if (at >= 0) {
            const Tensor *A = &g->tensors[at];
            if (!is_const(g, at) || A->rank != 1 || A->dims[0] != n_saxes || (A->dtype != DT_I64 && A->dtype != DT_I32))
                return false;
            for (int k = 0; k < n_saxes; k++)
                saxes[k] = A->dtype == DT_I64 ? ((const int64_t *)A->data)[k] : ((const int32_t *)A->data)[k];
        } else {
            for (int k = 0; k < n_saxes; k++) saxes[k] = k;
        }
        for (int k = 0; k < n_saxes; k++) {
            if (saxes[k] < 0) saxes[k] += rank;
            if (saxes[k] < 0 || saxes[k] >= rank) return false;
            saxes[k] = perm[saxes[k]];
        }
    }
    if (op == OP_CONCAT || op == OP_SPLIT) {
        axis = node_attr_int(n, "axis", op == OP_SPLIT ? 0 : -1 - rank);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis >= rank) return false;
    }
    if (op == OP_PAD) {
        if (node_attr(n, "pads") || node_attr(n, "axes") || n->n_inputs < 2 || n->n_inputs > 3) return false;
        pads_t = n->inputs[1];
        if (!is_const(g, pads_t) || g->tensors[pads_t].dtype != DT_I64 ||
            tensor_numel(&g->tensors[pads_t]) != 2 * rank || (n->n_inputs == 3 && n->inputs[2] >= 0 && !scalar_const(g, n->inputs[2])))
            return false;
        const int64_t *pv = g->tensors[pads_t].data;
        for (int k = 0; k < rank; k++) {
            pads[perm[k]] = pv[k];
            pads[rank + perm[k]] = pv[rank + k];
        }
    }
    /* rewrite: inputs from before the Transposes */
    int n_out = n->n_outputs;
    int outs[64];
    memcpy(outs, n->outputs, sizeof(int) * (size_t)n_out);
    for (int k = 0; k < data_inputs; k++) {
        int t = g->nodes[ni].inputs[k];
        if (unary_like(op) && scalar_const(g, t)) continue;
        g->nodes[ni].inputs[k] = g->nodes[g->tensors[t].producer].inputs[0];
    }
    if (op == OP_CONCAT || op == OP_SPLIT) node_set_int(g, ni, "axis", perm[axis]);
    if (op == OP_SLICE) {
        int64_t d = n_saxes;
        int at = graph_add_const(g, arena_printf(g->arena, "%s/axes_relaid", g->nodes[ni].name), DT_I64, 1, &d, saxes);
        Node *m = &g->nodes[ni]; /* graph_add_const may have moved the nodes */
        if (m->n_inputs < 4) { /* no axes input yet: the node gains one */
            int *in = arena_alloc(g->arena, sizeof(int) * 4);
            memcpy(in, m->inputs, sizeof(int) * 3);
            in[3] = at;
            m->inputs = in;
            m->n_inputs = 4;
        } else {
            g->nodes[ni].inputs[3] = at;
        }
    }
    if (op == OP_PAD) {
        const char *nm = arena_printf(g->arena, "%s/pads_%s", g->tensors[pads_t].name, "relaid");
        int64_t d = 2 * rank;
        g->nodes[ni].inputs[1] = graph_add_const(g, nm, DT_I64, 1, &d, pads);
    }
    for (int k = 0; k < n_out; k++) {
        int o = outs[k];
        Tensor *ot = &g->tensors[o];
        int64_t xd[GRAPH_MAX_RANK];
        for (int j = 0; j < rank; j++) xd[perm[j]] = ot->dims[j];
        const char *nm = arena_printf(g->arena, "%s/relaid", ot->name);
        int x = graph_add_tensor(g, nm, ot->dtype, rank, xd);
        g->nodes[ni].outputs[k] = x;
        g->tensors[x].producer = ni;
        int tn = graph_add_node(g, OP_TRANSPOSE, NULL, arena_printf(g->arena, "%s/sunk", g->tensors[o].name), -1, &x, 1,
                                &o, 1);
        node_set_ints(g, tn, "perm", perm, rank);
    }
    return true;
}

/* Transpose node ni reading another Transpose's output: one Transpose of the composed perm
 * from the first one's input, or none at all (its output's readers read that input) when the
 * two undo each other -- an Identity when its output is a graph output.  True when rewritten. */
static bool fold_pair(Graph *g, int ni)
{
    const Node *n = &g->nodes[ni];
    if (n->op != OP_TRANSPOSE || n->n_inputs < 1 || n->n_outputs != 1) return false;
    int y = n->outputs[0], t = n->inputs[0];
    int rank = g->tensors[y].rank;
    int64_t p1[GRAPH_MAX_RANK], p2[GRAPH_MAX_RANK], c[GRAPH_MAX_RANK];
    if (!transpose_perm(g, ni, p2, rank)) return false;
    int first = producing_transpose(g, t, p1);
    if (first < 0 || g->tensors[t].rank != rank) return false;
    bool identity = true;
    for (int k = 0; k < rank; k++) {
        c[k] = p1[p2[k]];
        identity &= c[k] == k;
    }
    int x = g->nodes[first].inputs[0];
    if (identity && !graph_output(g, y)) {
        passes_replace_uses(g, y, x, false);
        return true;
    }
    if (identity) { /* a graph output keeps its tensor: a copy of x under its name */
        Node *m = &g->nodes[ni];
        m->op = OP_IDENTITY;
        m->op_type = "Identity";
        m->inputs[0] = x;
        m->n_inputs = 1;
        m->n_attrs = 0;
        return true;
    }
    g->nodes[ni].inputs[0] = x;
    node_set_ints(g, ni, "perm", c, rank);
    return true;
}

int pass_sink_transposes(Graph *g, int *removed, char *err, size_t errlen)
{
    int before = 0;
    for (int i = 0; i < g->n_nodes; i++) before += g->nodes[i].op == OP_TRANSPOSE;
    /* each sink moves Transposes towards the outputs and each fold removes one, so the rounds
     * end; the cap bounds a graph built to defeat that */
    int cap = 4 * g->n_nodes + 16;
    for (int round = 0; round < cap; round++) {
        bool changed = false;
        if (passes_toposort(g, err, errlen) != 0) return -1;
        for (int ni = 0; ni < g->n_nodes; ni++) {
            if (fold_pair(g, ni)) changed = true;
            else if (g->nodes[ni].op != OP_TRANSPOSE && sink_through(g, ni)) changed = true;
        }
        /* Transposes nobody reads any more */
        unsigned char *dead = xcalloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
        int *used = xcalloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof(int));
        for (int i = 0; i < g->n_nodes; i++)
            for (int k = 0; k < g->nodes[i].n_inputs; k++)
                if (g->nodes[i].inputs[k] >= 0) used[g->nodes[i].inputs[k]]++;
        bool any_dead = false;
        for (int i = 0; i < g->n_nodes; i++) {
            const Node *n = &g->nodes[i];
            if (n->op != OP_TRANSPOSE || n->n_outputs != 1) continue;
            int y = n->outputs[0];
            if (y >= 0 && !used[y] && !graph_output(g, y)) dead[i] = 1, any_dead = true;
        }
        free(used);
        if (any_dead) pass_compact(g, dead, NULL);
        free(dead);
        if (!changed && !any_dead) break;
    }
    if (passes_toposort(g, err, errlen) != 0) return -1;
    int after = 0;
    for (int i = 0; i < g->n_nodes; i++) after += g->nodes[i].op == OP_TRANSPOSE;
    if (removed) *removed = before - after;
    return graph_validate(g, err, errlen);
}

/* A zero-valued constant Pad of the two spatial axes read by one Conv only: the Conv pads by
 * those amounts itself (its "pads" grow; no copy of the map).  NHWC formats pad explicitly
 * before a strided convolution (TF Lite's PAD, then a VALID CONV_2D). */
int pass_fold_pads(Graph *g)
{
    int count = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *p = &g->nodes[ni];
        if (p->op != OP_PAD || p->n_inputs < 2 || p->n_outputs != 1 || p->outputs[0] < 0) continue;
        const Attr *mode = node_attr(p, "mode");
        if ((mode && (mode->type != ATTR_STRING || strcmp(mode->s, "constant"))) || node_attr(p, "pads") ||
            (p->n_inputs > 3 && p->inputs[3] >= 0))
            continue;
        int y = p->outputs[0], pt = p->inputs[1];
        if (graph_output(g, y) || g->tensors[y].rank != 4 || !is_const(g, pt) || g->tensors[pt].dtype != DT_I64 ||
            tensor_numel(&g->tensors[pt]) != 8)
            continue;
        if (p->n_inputs > 2 && p->inputs[2] >= 0) { /* the value: a zero */
            const Tensor *v = &g->tensors[p->inputs[2]];
            if (!scalar_const(g, p->inputs[2]) || v->dtype != DT_F32 || *(const float *)v->data != 0.0f) continue;
        }
        const int64_t *pv = g->tensors[pt].data;
        if (pv[0] || pv[1] || pv[4] || pv[5] || pv[2] < 0 || pv[3] < 0 || pv[6] < 0 || pv[7] < 0) continue;
        int cons[2];
        if (graph_consumers(g, y, cons, 2) != 1) continue;
        const Node *c = &g->nodes[cons[0]];
        if (c->op != OP_CONV || c->n_inputs < 2 || c->inputs[0] != y) continue;
        const Attr *ap = node_attr(c, "auto_pad");
        if (ap && (ap->type != ATTR_STRING || strcmp(ap->s, "NOTSET"))) continue;
        int64_t pads[4] = {0, 0, 0, 0};
        int np = node_attr_ints(c, "pads", pads, 4);
        if (np != 0 && np != 4) continue;
        pads[0] += pv[2], pads[1] += pv[3], pads[2] += pv[6], pads[3] += pv[7];
        int x = p->inputs[0], ci = cons[0];
        g->nodes[ci].inputs[0] = x;
        node_set_ints(g, ci, "pads", pads, 4);
        count++;
    }
    if (count) { /* the Pads folded read nothing now that nobody reads their outputs */
        unsigned char *dead = xcalloc((size_t)g->n_nodes, 1);
        for (int ni = 0; ni < g->n_nodes; ni++) {
            const Node *p = &g->nodes[ni];
            int cons[1];
            if (p->op == OP_PAD && p->n_outputs == 1 && p->outputs[0] >= 0 && !graph_output(g, p->outputs[0]) &&
                graph_consumers(g, p->outputs[0], cons, 1) == 0)
                dead[ni] = 1;
        }
        pass_compact(g, dead, NULL);
        free(dead);
    }
    return count;
}

/* A TensorFlow-family file (TF Lite, SavedModel, GraphDef: NHWC input) read as the source
 * model runs: shapes the file left out inferred at its input size, an NCHW float input, float
 * outputs (rank-4 ones NCHW), the NHWC Transposes sunk and cancelled, Pads in the convolutions;
 * for TF Lite, boxes (output0 of every task but classify) back in pixels from the fractions of
 * the input size the file gives, as the peer's predictor multiplies them. */
int pass_nhwc_as_source(Graph *g, bool boxes_normalised, char *err, size_t errlen)
{
    if (pass_infer_shapes_at_input(g, err, errlen) != 0) return -1;
    if (pass_tflite_runnable(g, err, errlen) != 0 || pass_sink_transposes(g, NULL, err, errlen) != 0) return -1;
    pass_fold_pads(g);
    if (!boxes_normalised) return 0;
    const char *task = g->meta.task && *g->meta.task ? g->meta.task : "detect";
    if (!strcmp(task, "classify") || g->n_outputs < 1 || g->tensors[g->outputs[0]].rank != 3) return 0;
    if (g->meta.end2end || g->meta.output_layout != OUTPUT_GRID)
        return err_set(err, errlen, "an end-to-end head's boxes in a TF Lite file are not read by this build");
    const Tensor *in = &g->tensors[g->inputs[0]];
    return pass_scale_boxes(g, &g->meta, (int)in->dims[2], (int)in->dims[3], false, err, errlen);
}
