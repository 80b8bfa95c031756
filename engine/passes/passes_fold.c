/* passes_fold: constant folding with the executor's kernels — pass_simplify (fold nodes
 * whose inputs are constants, bypass Identity, drop dead nodes; the ONNX stage's simplify=True)
 * and pass_fold_static (one executor run on zeros gives every shape and every value that
 * depends only on constants and shapes; the TF.js stage runs it before the writer). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/passes/passes.h"

/* Largest tensor simplify folds (elements). */
#define FOLD_MAX_ELEMS (1 << 22)

/* Which ops simplify folds, and the element type of the result: that of the first input,
 * bool (comparisons), Cast's "to", the value attribute's (Constant, ConstantOfShape; float32
 * when absent), or int64 (Shape of a fully known tensor, which needs no constant input).
 * min_in/max_in bound the inputs present (trailing omitted optionals do not count). */
enum { FOLD_NO = 0, FOLD_LIKE_INPUT, FOLD_BOOL, FOLD_CAST, FOLD_VALUE, FOLD_SHAPE };
static const struct {
    unsigned char rule, min_in, max_in;
} fold_ops[OP_COUNT] = {
    [OP_NEG] = {FOLD_LIKE_INPUT, 1, 1},        [OP_SQRT] = {FOLD_LIKE_INPUT, 1, 1},
    [OP_EXP] = {FOLD_LIKE_INPUT, 1, 1},        [OP_SIGMOID] = {FOLD_LIKE_INPUT, 1, 1},
    [OP_FLOOR] = {FOLD_LIKE_INPUT, 1, 1},      [OP_CEIL] = {FOLD_LIKE_INPUT, 1, 1},
    [OP_ABS] = {FOLD_LIKE_INPUT, 1, 1},        [OP_RECIPROCAL] = {FOLD_LIKE_INPUT, 1, 1},
    [OP_IDENTITY] = {FOLD_LIKE_INPUT, 1, 1},   [OP_ADD] = {FOLD_LIKE_INPUT, 2, 2},
    [OP_SUB] = {FOLD_LIKE_INPUT, 2, 2},        [OP_MUL] = {FOLD_LIKE_INPUT, 2, 2},
    [OP_DIV] = {FOLD_LIKE_INPUT, 2, 2},        [OP_MIN] = {FOLD_LIKE_INPUT, 2, 2},
    [OP_MAX] = {FOLD_LIKE_INPUT, 2, 2},        [OP_POW] = {FOLD_LIKE_INPUT, 2, 2},
    [OP_EQUAL] = {FOLD_BOOL, 2, 2},            [OP_GREATER] = {FOLD_BOOL, 2, 2},
    [OP_LESS] = {FOLD_BOOL, 2, 2},             [OP_CAST] = {FOLD_CAST, 1, 1},
    [OP_GATHER] = {FOLD_LIKE_INPUT, 2, 2},     [OP_CONCAT] = {FOLD_LIKE_INPUT, 1, 8},
    [OP_RESHAPE] = {FOLD_LIKE_INPUT, 2, 2},    [OP_UNSQUEEZE] = {FOLD_LIKE_INPUT, 1, 8},
    [OP_SQUEEZE] = {FOLD_LIKE_INPUT, 1, 8},    [OP_SLICE] = {FOLD_LIKE_INPUT, 3, 8},
    [OP_RANGE] = {FOLD_LIKE_INPUT, 3, 3},      [OP_TRANSPOSE] = {FOLD_LIKE_INPUT, 1, 1},
    [OP_CONSTANT_OF_SHAPE] = {FOLD_VALUE, 1, 1}, [OP_CONSTANT] = {FOLD_VALUE, 0, 0},
    [OP_SHAPE] = {FOLD_SHAPE, 1, 1},
};

static bool dtype_foldable(DType t)
{
    return t == DT_F32 || t == DT_F16 || t == DT_F64 || t == DT_I64 || t == DT_I32 || t == DT_I8 || t == DT_U8 ||
           t == DT_BOOL || t == DT_I16 || t == DT_U16;
}

/* A constant of a foldable type whose data covers its shape. */
static bool const_ok(const Graph *g, int t)
{
    if (t < 0 || t >= g->n_tensors) return false;
    const Tensor *x = &g->tensors[t];
    int64_t n;
    size_t need;
    return x->data && x->producer < 0 && !x->is_input && dtype_foldable(x->dtype) && dims_product(x->dims, x->rank, &n) &&
           n <= FOLD_MAX_ELEMS && size_mul((size_t)n, dtype_size(x->dtype), &need) && x->nbytes >= need;
}

/* The element type a folded node's output is stored as; DT_UNDEFINED: not folded. */
static DType fold_dtype(const Graph *g, const Node *nd)
{
    switch (fold_ops[nd->op].rule) {
    case FOLD_LIKE_INPUT: return g->tensors[nd->inputs[0]].dtype;
    case FOLD_BOOL: return DT_BOOL;
    case FOLD_CAST: {
        DType to = dtype_from_onnx((int)node_attr_int(nd, "to", 0));
        return dtype_foldable(to) ? to : DT_UNDEFINED;
    }
    case FOLD_VALUE: {
        const Attr *a = node_attr(nd, "value");
        if (a && a->type == ATTR_TENSOR) return const_ok(g, a->tensor) ? g->tensors[a->tensor].dtype : DT_UNDEFINED;
        if (nd->op == OP_CONSTANT_OF_SHAPE) return a ? DT_UNDEFINED : DT_F32;
        if (node_attr(nd, "value_float") || node_attr(nd, "value_floats")) return DT_F32;
        if (node_attr(nd, "value_int") || node_attr(nd, "value_ints")) return DT_I64;
        return DT_UNDEFINED;
    }
    default: return DT_UNDEFINED;
    }
}

/* v as output tensor ti's data, stored as dt (ti becomes an initializer). */
static void store_value(Graph *g, int ti, const ExecValue *v, DType dt)
{
    Tensor *t = &g->tensors[ti];
    size_t es = dtype_size(dt);
    unsigned char *d = arena_alloc(g->arena, (size_t)(v->numel ? v->numel : 1) * es);
    for (int64_t i = 0; i < v->numel; i++) {
        double f = v->is_int ? (double)((const int64_t *)v->data)[i] : (double)((const float *)v->data)[i];
        int64_t x = v->is_int ? ((const int64_t *)v->data)[i] : (int64_t)f;
        switch (dt) {
        case DT_F32: { float y = (float)f; memcpy(d + i * 4, &y, 4); break; }
        case DT_F16: { uint16_t h = float_to_half((float)f); memcpy(d + i * 2, &h, 2); break; }
        case DT_F64: memcpy(d + i * 8, &f, 8); break;
        case DT_I64: memcpy(d + i * 8, &x, 8); break;
        case DT_I32: { int32_t y = (int32_t)x; memcpy(d + i * 4, &y, 4); break; }
        case DT_I16: { int16_t y = (int16_t)x; memcpy(d + i * 2, &y, 2); break; }
        case DT_U16: { uint16_t y = (uint16_t)x; memcpy(d + i * 2, &y, 2); break; }
        case DT_I8: d[i] = (unsigned char)(int8_t)x; break;
        case DT_U8: d[i] = (unsigned char)x; break;
        case DT_BOOL: d[i] = f != 0; break;
        default: break;
        }
    }
    t->dtype = dt;
    t->rank = v->rank;
    for (int i = 0; i < v->rank; i++) {
        t->dims[i] = v->dims[i];
        t->dim_names[i] = NULL;
    }
    t->data = d;
    t->nbytes = (size_t)v->numel * es;
    t->producer = -1;
    t->is_param = false;
}

/* Shape of a fully known tensor: its dims (start/end applied) as an int64 constant. */
static bool fold_shape(Graph *g, const Node *nd)
{
    if (nd->inputs[0] < 0) return false;
    const Tensor *x = &g->tensors[nd->inputs[0]];
    if (x->rank == 0) return false; /* rank 0 may mean "shape unknown" */
    for (int i = 0; i < x->rank; i++)
        if (x->dims[i] < 0 || x->dim_names[i]) return false;
    int64_t start = node_attr_int(nd, "start", 0), end = node_attr_int(nd, "end", x->rank);
    if (start < 0) start += x->rank;
    if (end < 0) end += x->rank;
    start = start < 0 ? 0 : start > x->rank ? x->rank : start;
    end = end < start ? start : end > x->rank ? x->rank : end;
    int64_t dims[GRAPH_MAX_RANK];
    ExecValue v = {.is_int = true, .rank = 1, .numel = end - start, .data = dims};
    v.dims[0] = v.numel;
    for (int64_t i = 0; i < v.numel; i++) dims[i] = x->dims[start + i];
    store_value(g, nd->outputs[0], &v, DT_I64);
    return true;
}

/* Fold node ni into its output's data when the table says so and its inputs are constants:
 * evaluated by the executor's kernel for the op.  True when folded. */
static bool fold_node(Graph *g, int ni)
{
    const Node *nd = &g->nodes[ni];
    if ((unsigned)nd->op >= OP_COUNT || !fold_ops[nd->op].rule || (nd->domain && *nd->domain)) return false;
    int n_in = nd->n_inputs;
    while (n_in > 0 && nd->inputs[n_in - 1] < 0) n_in--; /* trailing omitted optionals */
    if (n_in < fold_ops[nd->op].min_in || n_in > fold_ops[nd->op].max_in) return false;
    if (fold_ops[nd->op].rule == FOLD_SHAPE) return fold_shape(g, nd);
    for (int k = 0; k < n_in; k++)
        if (!const_ok(g, nd->inputs[k])) return false;
    DType dt = fold_dtype(g, nd);
    if (dt == DT_UNDEFINED) return false;
    ExecValue v;
    char why[256];
    if (exec_eval_node(g, ni, &v, 1, FOLD_MAX_ELEMS, why, sizeof why)) return false;
    store_value(g, nd->outputs[0], &v, dt);
    exec_value_free(&v);
    return true;
}

static void remove_nodes(Graph *g, const unsigned char *dead)
{
    int w = 0;
    for (int ni = 0; ni < g->n_nodes; ni++)
        if (!dead[ni]) g->nodes[w++] = g->nodes[ni];
    g->n_nodes = w;
    for (int i = 0; i < g->n_tensors; i++)
        if (!g->tensors[i].data) g->tensors[i].producer = -1;
    for (int ni = 0; ni < g->n_nodes; ni++)
        for (int k = 0; k < g->nodes[ni].n_outputs; k++)
            if (g->nodes[ni].outputs[k] >= 0) g->tensors[g->nodes[ni].outputs[k]].producer = ni;
    for (int m = 0; m < g->n_modules; m++) g->modules[m].first_node = g->modules[m].last_node = -1;
    for (int ni = 0; ni < g->n_nodes; ni++)
        for (int m = g->nodes[ni].module; m >= 0 && m < g->n_modules; m = g->modules[m].parent) {
            if (g->modules[m].first_node < 0) g->modules[m].first_node = ni;
            g->modules[m].last_node = ni;
        }
}

int pass_simplify(Graph *g, SimplifyStats *stats, char *err, size_t errlen)
{
    SimplifyStats st = {0};
    st.nodes_before = g->n_nodes;
    unsigned char *dead = xcalloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    /* 1. fold, in topological order so folded results feed later folds */
    for (int ni = 0; ni < g->n_nodes; ni++) {
        Node *nd = &g->nodes[ni];
        if (nd->n_outputs != 1 || nd->outputs[0] < 0) continue;
        int ot = nd->outputs[0];
        if (g->tensors[ot].is_output) continue; /* a graph output stays computed */
        if (fold_node(g, ni)) {
            dead[ni] = 1;
            st.folded++;
        }
    }
    /* 2. bypass Identity nodes whose output is not a graph output */
    for (int ni = 0; ni < g->n_nodes; ni++) {
        Node *nd = &g->nodes[ni];
        if (dead[ni] || nd->op != OP_IDENTITY || nd->n_inputs != 1 || nd->n_outputs != 1) continue;
        int in = nd->inputs[0], out = nd->outputs[0];
        if (in < 0 || out < 0 || g->tensors[out].is_output) continue;
        passes_replace_uses(g, out, in, false);
        dead[ni] = 1;
        st.identities++;
    }
    /* 3. dead nodes: nothing a graph output depends on */
    unsigned char *live = xcalloc((size_t)(g->n_tensors ? g->n_tensors : 1), 1);
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] >= 0) live[g->outputs[i]] = 1;
    for (int ni = g->n_nodes - 1; ni >= 0; ni--) {
        if (dead[ni]) continue;
        Node *nd = &g->nodes[ni];
        bool used = false;
        for (int k = 0; k < nd->n_outputs; k++)
            if (nd->outputs[k] >= 0 && live[nd->outputs[k]]) used = true;
        if (!used) {
            dead[ni] = 1;
            st.removed_dead++;
            continue;
        }
        for (int k = 0; k < nd->n_inputs; k++)
            if (nd->inputs[k] >= 0) live[nd->inputs[k]] = 1;
        for (int a = 0; a < nd->n_attrs; a++)
            if (nd->attrs[a].type == ATTR_TENSOR && nd->attrs[a].tensor >= 0) live[nd->attrs[a].tensor] = 1;
    }
    /* folded constants that nothing uses any more stop counting as weights */
    for (int i = 0; i < g->n_tensors; i++)
        if (!live[i] && g->tensors[i].data && !g->tensors[i].is_input) g->tensors[i].is_param = false;
    remove_nodes(g, dead);
    free(live);
    free(dead);
    st.nodes_after = g->n_nodes;
    if (stats) *stats = st;
    return graph_validate(g, err, errlen);
}


/* ---- static folding for writers that need every shape (TF.js) ---------------------------- */

/* Is there anything to do: a produced tensor without a shape, a Shape node, or a node whose
 * inputs are all constants? */
static bool fold_static_wanted(const Graph *g)
{
    for (int i = 0; i < g->n_tensors; i++) {
        const Tensor *t = &g->tensors[i];
        if (t->producer >= 0 && !t->data && t->rank == 0 && g->nodes[t->producer].op != OP_CONSTANT) return true;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = &g->nodes[i];
        if (n->op == OP_SHAPE) return true;
        bool all = n->op != OP_CONSTANT && n->n_inputs > 0;
        for (int k = 0; k < n->n_inputs && all; k++) {
            int ti = n->inputs[k];
            if (ti < 0) continue;
            const Tensor *t = &g->tensors[ti];
            all = (t->producer < 0 && t->data) || (t->producer >= 0 && g->nodes[t->producer].op == OP_CONSTANT);
        }
        if (all) return true;
    }
    return false;
}

/* A constant whose data covers its shape. */
static bool static_const(const Tensor *t)
{
    int64_t n;
    size_t es = dtype_size(t->dtype), need;
    return t->data && t->producer < 0 && es && dims_product(t->dims, t->rank, &n) && size_mul((size_t)n, es, &need) &&
           need <= t->nbytes;
}

int pass_fold_static(Graph *g)
{
    if (!fold_static_wanted(g)) return 0;
    for (int i = 0; i < g->n_inputs; i++) {
        const Tensor *t = &g->tensors[g->inputs[i]];
        int64_t n;
        if (t->rank < 1 || !dims_product(t->dims, t->rank, &n) || n > ((int64_t)1 << 28)) return 0;
    }
    char why[256];
    Exec *e = exec_new(g, why, sizeof why);
    if (!e) return 0;
    exec_keep_all(e, 1);
    int rc = 0;
    for (int i = 0; i < g->n_inputs && !rc; i++) {
        const Tensor *t = &g->tensors[g->inputs[i]];
        int64_t n;
        dims_product(t->dims, t->rank, &n);
        float *zeros = xcalloc((size_t)(n > 0 ? n : 1), sizeof(float));
        rc = exec_set_input(e, t->name, zeros, t->dims, t->rank, why, sizeof why);
        free(zeros);
    }
    if (rc || exec_run(e, NULL, why, sizeof why)) {
        exec_free(e);
        return 0;
    }
    /* every shape from the run */
    const float **vals = xcalloc((size_t)g->n_tensors + 1, sizeof *vals);
    for (int i = 0; i < g->n_tensors; i++) {
        Tensor *t = &g->tensors[i];
        if (t->producer < 0 || t->data || !t->name) continue;
        int64_t dims[GRAPH_MAX_RANK];
        int rank;
        vals[i] = exec_tensor(e, t->name, dims, &rank);
        if (!vals[i] || rank < 0 || rank > GRAPH_MAX_RANK) {
            vals[i] = NULL;
            continue;
        }
        t->rank = rank;
        memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
        for (int k = 0; k < rank; k++) t->dim_names[k] = NULL;
    }
    /* static tensors, in node order (producers come first); a node all of whose outputs are
     * static leaves the graph, its outputs becoming constants with the values of the run
     * (Constant nodes stay: writers read them as constants) */
    unsigned char *st = xcalloc((size_t)g->n_tensors + 1, 1);
    unsigned char *dead = xcalloc((size_t)g->n_nodes + 1, 1);
    for (int i = 0; i < g->n_tensors; i++) st[i] = static_const(&g->tensors[i]);
    int folded = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = &g->nodes[i];
        bool all = n->n_inputs > 0 || n->op == OP_CONSTANT;
        for (int k = 0; k < n->n_inputs && all; k++) all = n->inputs[k] < 0 || st[n->inputs[k]];
        if (n->op == OP_SHAPE && n->n_inputs > 0 && n->inputs[0] >= 0) {
            const Tensor *x = &g->tensors[n->inputs[0]];
            all = x->rank > 0;
            for (int k = 0; k < x->rank; k++) all = all && x->dims[k] >= 0;
        }
        if (!all) continue;
        if (n->op == OP_CONSTANT) {
            for (int o = 0; o < n->n_outputs; o++)
                if (n->outputs[o] >= 0) st[n->outputs[o]] = 1;
            continue;
        }
        bool every = n->n_outputs > 0;
        for (int o = 0; o < n->n_outputs && every; o++) {
            int ti = n->outputs[o];
            int64_t numel;
            every = ti >= 0 && vals[ti] && dims_product(g->tensors[ti].dims, g->tensors[ti].rank, &numel) &&
                    numel <= ((int64_t)1 << 24) && !g->tensors[ti].is_output;
        }
        if (!every) continue;
        for (int o = 0; o < n->n_outputs; o++) {
            int ti = n->outputs[o];
            Tensor *t = &g->tensors[ti];
            int64_t numel;
            dims_product(t->dims, t->rank, &numel);
            bool fl = t->dtype == DT_F32 || t->dtype == DT_F16 || t->dtype == DT_BF16 || t->dtype == DT_F64;
            void *d = arena_alloc(g->arena, (size_t)(numel > 0 ? numel : 1) * (fl ? 4 : 8));
            for (int64_t k = 0; k < numel; k++) {
                if (fl) ((float *)d)[k] = vals[ti][k];
                else ((int64_t *)d)[k] = (int64_t)llround(vals[ti][k]);
            }
            t->data = d;
            t->nbytes = (size_t)numel * (fl ? 4 : 8);
            t->dtype = fl ? DT_F32 : DT_I64;
            t->producer = -1;
            t->is_param = false;
            st[ti] = 1;
            folded++;
        }
        dead[i] = 1;
    }
    if (folded) remove_nodes(g, dead);
    free(dead);
    free(st);
    free(vals);
    exec_free(e);
    return folded;
}
