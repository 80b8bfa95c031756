/* passes_half: half=True — store weights and compute in float16, as the peer's GPU half
 * export does, but on any host (nothing is traced, so no GPU is needed).  Also the small
 * graph-surgery helpers the export passes share (topological sort, use replacement,
 * constants).  See passes.h. */
#include "engine/passes/passes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------ */

int passes_toposort(Graph *g, char *err, size_t errlen)
{
    int n = g->n_nodes;
    if (n == 0) return 0;
    /* producer of each tensor as the node array stands now (some may be stale after
     * rewrites, so recompute from the outputs) */
    int *producer = xmalloc(sizeof(int) * (size_t)(g->n_tensors ? g->n_tensors : 1));
    for (int i = 0; i < g->n_tensors; i++) producer[i] = -1;
    for (int ni = 0; ni < n; ni++)
        for (int k = 0; k < g->nodes[ni].n_outputs; k++) {
            int t = g->nodes[ni].outputs[k];
            if (t >= 0 && t < g->n_tensors) producer[t] = ni;
        }
    unsigned char *emitted = xcalloc((size_t)n, 1);
    int *order = xmalloc(sizeof(int) * (size_t)n);
    int n_order = 0;
    bool progress = true;
    while (n_order < n && progress) {
        progress = false;
        for (int ni = 0; ni < n; ni++) {
            if (emitted[ni]) continue;
            const Node *nd = &g->nodes[ni];
            bool ready = true;
            for (int k = 0; k < nd->n_inputs && ready; k++) {
                int t = nd->inputs[k];
                if (t < 0 || t >= g->n_tensors) continue;
                int p = producer[t];
                if (p >= 0 && p != ni && !emitted[p] && !g->tensors[t].data) ready = false;
            }
            if (ready) {
                emitted[ni] = 1;
                order[n_order++] = ni;
                progress = true;
            }
        }
    }
    int rc = 0;
    if (n_order < n) {
        for (int ni = 0; ni < n; ni++)
            if (!emitted[ni]) {
                rc = err_set(err, errlen, "graph has a cycle through node '%s' (%s)", g->nodes[ni].name,
                             g->nodes[ni].op_type);
                break;
            }
    } else {
        Node *sorted = xmalloc(sizeof(Node) * (size_t)g->cap_nodes);
        for (int i = 0; i < n; i++) sorted[i] = g->nodes[order[i]];
        free(g->nodes);
        g->nodes = sorted;
        for (int i = 0; i < g->n_tensors; i++) g->tensors[i].producer = -1;
        for (int ni = 0; ni < n; ni++)
            for (int k = 0; k < g->nodes[ni].n_outputs; k++) {
                int t = g->nodes[ni].outputs[k];
                if (t >= 0 && t < g->n_tensors) g->tensors[t].producer = ni;
            }
        for (int m = 0; m < g->n_modules; m++) g->modules[m].first_node = g->modules[m].last_node = -1;
        for (int ni = 0; ni < n; ni++)
            for (int m = g->nodes[ni].module; m >= 0 && m < g->n_modules; m = g->modules[m].parent) {
                if (g->modules[m].first_node < 0) g->modules[m].first_node = ni;
                g->modules[m].last_node = ni;
            }
    }
    free(producer);
    free(emitted);
    free(order);
    return rc;
}

void passes_replace_uses(Graph *g, int from, int to, bool also_outputs)
{
    for (int ni = 0; ni < g->n_nodes; ni++) {
        Node *nd = &g->nodes[ni];
        for (int k = 0; k < nd->n_inputs; k++)
            if (nd->inputs[k] == from) nd->inputs[k] = to;
    }
    if (also_outputs) {
        for (int i = 0; i < g->n_outputs; i++)
            if (g->outputs[i] == from) {
                g->outputs[i] = to;
                g->tensors[to].is_output = true;
                g->tensors[from].is_output = false;
            }
    }
}

/* A tensor name not yet used in g: base, or base_2, base_3, ... */
static const char *unique_name(Graph *g, const char *base)
{
    if (graph_find_tensor(g, base) < 0) return base;
    for (int i = 2;; i++) {
        const char *cand = arena_printf(g->arena, "%s_%d", base, i);
        if (graph_find_tensor(g, cand) < 0) return cand;
    }
}

int passes_const_i64(Graph *g, const char *name, const int64_t *v, int n)
{
    int64_t dims[1] = {n};
    return graph_add_const(g, unique_name(g, name), DT_I64, 1, dims, v);
}

int passes_const_f32_scalar(Graph *g, const char *name, float v)
{
    return graph_add_const(g, unique_name(g, name), DT_F32, 0, NULL, &v);
}

/* ---- half --------------------------------------------------------------------------- */

/* Input slots ONNX types as float32 only (or that we keep float32 on purpose), per op: a
 * bit mask of slots (Resize roi, scales; NonMaxSuppression boxes, scores, thresholds; every
 * slot of Range, which has no float16 form). */
static const unsigned f32_only_slots[OP_COUNT] = {
    [OP_RESIZE] = 1u << 1 | 1u << 2,
    [OP_NMS] = 1u << 0 | 1u << 1 | 1u << 3 | 1u << 4,
    [OP_RANGE] = ~0u,
};

static bool slot_needs_f32(const Node *nd, int slot)
{
    return (unsigned)nd->op < OP_COUNT && slot >= 0 && slot < 32 && (f32_only_slots[nd->op] >> slot & 1u);
}

/* Ops whose float outputs stay float32 (a Cast to float16 follows them). */
static bool op_outputs_f32(const Node *nd) { return nd->op == OP_RANGE; }

static void *f32_to_f16_data(Graph *g, const Tensor *t, size_t *nbytes)
{
    size_t n = t->nbytes / 4;
    uint16_t *out = arena_alloc(g->arena, n ? n * 2 : 2);
    const float *in = t->data;
    floats_to_halves(out, in, n);
    *nbytes = n * 2;
    return out;
}

static int add_cast(Graph *g, int src, DType to, const char *suffix, int module)
{
    const Tensor *s = &g->tensors[src];
    const char *name = unique_name(g, arena_printf(g->arena, "%s_%s", s->name, suffix));
    int out = graph_add_tensor(g, name, to, s->rank, s->dims);
    for (int i = 0; i < s->rank; i++) g->tensors[out].dim_names[i] = g->tensors[src].dim_names[i];
    const char *node_name = arena_printf(g->arena, "%s/Cast", name);
    int ni = graph_add_node(g, OP_CAST, NULL, node_name, module, &src, 1, &out, 1);
    node_set_int(g, ni, "to", dtype_to_onnx(to));
    return out;
}

int pass_half(Graph *g, HalfStats *stats, char *err, size_t errlen)
{
    HalfStats st = {0};
    int n_tensors0 = g->n_tensors, n_nodes0 = g->n_nodes;
    /* For every f32 tensor: is it used in a float16 slot, in a float32-only slot? */
    unsigned char *use16 = xcalloc((size_t)(n_tensors0 ? n_tensors0 : 1), 1);
    unsigned char *use32 = xcalloc((size_t)(n_tensors0 ? n_tensors0 : 1), 1);
    unsigned char *keep32 = xcalloc((size_t)(n_tensors0 ? n_tensors0 : 1), 1); /* Range outputs */
    for (int ni = 0; ni < n_nodes0; ni++) {
        const Node *nd = &g->nodes[ni];
        for (int k = 0; k < nd->n_inputs; k++) {
            int t = nd->inputs[k];
            if (t < 0 || t >= n_tensors0 || g->tensors[t].dtype != DT_F32) continue;
            if (slot_needs_f32(nd, k)) use32[t] = 1;
            else use16[t] = 1;
        }
        if (op_outputs_f32(nd))
            for (int k = 0; k < nd->n_outputs; k++)
                if (nd->outputs[k] >= 0 && g->tensors[nd->outputs[k]].dtype == DT_F32) keep32[nd->outputs[k]] = 1;
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] >= 0 && g->outputs[i] < n_tensors0) use16[g->outputs[i]] = 1;

    /* Attribute tensors (Constant value, ConstantOfShape value) convert with their node. */
    for (int ni = 0; ni < n_nodes0; ni++) {
        Node *nd = &g->nodes[ni];
        for (int a = 0; a < nd->n_attrs; a++) {
            Attr *at = &nd->attrs[a];
            if (at->type == ATTR_TENSOR && at->tensor >= 0 && at->tensor < g->n_tensors &&
                g->tensors[at->tensor].dtype == DT_F32 && g->tensors[at->tensor].data) {
                Tensor *t = &g->tensors[at->tensor];
                t->data = f32_to_f16_data(g, t, &t->nbytes);
                t->dtype = DT_F16;
            }
        }
        if (nd->op == OP_CAST) {
            /* a Cast to float32 whose result only feeds float32-only slots (a float Range's
             * limit, say) stays as it is */
            int out = nd->n_outputs == 1 ? nd->outputs[0] : -1;
            if (out >= 0 && out < n_tensors0 && use32[out] && !use16[out]) {
                keep32[out] = 1;
                continue;
            }
            for (int a = 0; a < nd->n_attrs; a++)
                if (!strcmp(nd->attrs[a].name, "to") && nd->attrs[a].type == ATTR_INT && nd->attrs[a].i == 1)
                    nd->attrs[a].i = dtype_to_onnx(DT_F16);
        }
    }

    for (int t = 0; t < n_tensors0; t++) {
        Tensor *x = &g->tensors[t];
        if (x->dtype != DT_F32) continue;
        if (x->data) { /* initializer */
            if (use16[t] && use32[t]) {
                /* used both ways: the float32 original stays for the float32 slots, a
                 * float16 copy serves the rest */
                Tensor copy = *x;
                size_t nb;
                void *d16 = f32_to_f16_data(g, &copy, &nb);
                const char *name = unique_name(g, arena_printf(g->arena, "%s_fp16", copy.name));
                int c = graph_add_tensor(g, name, DT_F16, copy.rank, copy.dims);
                g->tensors[c].data = d16;
                g->tensors[c].nbytes = nb;
                g->tensors[c].is_param = g->tensors[t].is_param;
                for (int ni = 0; ni < n_nodes0; ni++) {
                    Node *nd = &g->nodes[ni];
                    for (int k = 0; k < nd->n_inputs; k++)
                        if (nd->inputs[k] == t && !slot_needs_f32(nd, k)) nd->inputs[k] = c;
                }
                st.initializers_converted++;
                st.initializers_kept_f32++;
            } else if (use32[t]) {
                st.initializers_kept_f32++;
            } else {
                x->data = f32_to_f16_data(g, x, &x->nbytes);
                x->dtype = DT_F16;
                st.initializers_converted++;
            }
            continue;
        }
        if (keep32[t]) continue; /* handled below */
        x->dtype = DT_F16;       /* activation, graph input or output */
    }

    /* Outputs of float32-only ops: a Cast to float16 for their float16 consumers. */
    for (int t = 0; t < n_tensors0; t++) {
        if (!keep32[t] || !use16[t]) continue;
        int module = g->tensors[t].producer >= 0 ? g->nodes[g->tensors[t].producer].module : -1;
        int c16 = add_cast(g, t, DT_F16, "fp16", module);
        st.casts_inserted++;
        for (int ni = 0; ni < n_nodes0; ni++) {
            Node *nd = &g->nodes[ni];
            for (int k = 0; k < nd->n_inputs; k++)
                if (nd->inputs[k] == t && !slot_needs_f32(nd, k)) nd->inputs[k] = c16;
        }
        for (int i = 0; i < g->n_outputs; i++)
            if (g->outputs[i] == t) {
                g->outputs[i] = c16;
                g->tensors[c16].is_output = true;
                g->tensors[t].is_output = false;
            }
    }

    /* Float32-only slots fed by what is now a float16 activation: Cast back to float32. */
    for (int ni = 0; ni < n_nodes0; ni++) {
        for (int k = 0; k < g->nodes[ni].n_inputs; k++) {
            int t = g->nodes[ni].inputs[k];
            if (t < 0 || t >= g->n_tensors || !slot_needs_f32(&g->nodes[ni], k)) continue;
            if (g->tensors[t].dtype != DT_F16 || g->tensors[t].data) continue;
            int c32 = add_cast(g, t, DT_F32, "fp32", g->nodes[ni].module);
            st.casts_inserted++;
            g->nodes[ni].inputs[k] = c32; /* g->nodes may have moved: index again */
        }
    }
    free(use16);
    free(use32);
    free(keep32);
    if (stats) *stats = st;
    if (st.casts_inserted && passes_toposort(g, err, errlen) != 0) return -1;
    return graph_validate(g, err, errlen);
}
