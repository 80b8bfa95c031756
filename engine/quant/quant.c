/* quant: the INT8 placement plan (NNCF's, for YOLO models) and the QDQ and FakeQuantize
 * rewrites (see quant.h). */
#include "engine/quant/quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "engine/passes/passes.h"

/* Ops that only move values (a quantiser on their input is one on their output): a
 * requirement on their output moves up to their data input(s). */
static const bool moves_values[OP_COUNT] = {
    [OP_SPLIT] = true,   [OP_CONCAT] = true,  [OP_MAXPOOL] = true, [OP_RESHAPE] = true,  [OP_TRANSPOSE] = true,
    [OP_FLATTEN] = true, [OP_SQUEEZE] = true, [OP_UNSQUEEZE] = true, [OP_IDENTITY] = true, [OP_SLICE] = true,
};

/* ---- the plan ----------------------------------------------------------------------------- */

void quant_plan_free(QuantPlan *p)
{
    if (!p) return;
    free(p->act);
    free(p->group);
    free(p->conv);
    free(p->keep_float);
    memset(p, 0, sizeof *p);
}

/* The head: the layer with the highest index among node names "/model.N/...". */
static int head_layer(const Graph *g)
{
    int best = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const char *n = g->nodes[i].name;
        if (!n || strncmp(n, "/model.", 7) != 0) continue;
        char *end;
        long v = strtol(n + 7, &end, 10);
        if (end != n + 7 && *end == '/' && v >= 0 && v < 100000 && v > best) best = (int)v;
    }
    return best;
}

/* Is node n the head's decode: directly in the head ("/model.22/Concat") or in its DFL
 * ("/model.22/dfl/...")? */
static bool in_decode(const Node *n, const char *prefix, size_t plen)
{
    if (!n->name || strncmp(n->name, prefix, plen) != 0) return false;
    const char *rest = n->name + plen;
    return !strchr(rest, '/') || !strncmp(rest, "dfl/", 4);
}

static bool is_const(const Tensor *t) { return t->data && t->producer < 0 && !t->is_input; }

typedef struct {
    const Graph *g;
    QuantPlan *p;
    int *uf;             /* union-find parent per tensor */
    signed char *state;  /* 0 not seen, 1 being resolved, 2 resolved */
    int *rep;            /* per resolved tensor: its quantiser's tensor, -1 none */
} Planner;

static int uf_find(int *uf, int x)
{
    while (uf[x] != x) x = uf[x] = uf[uf[x]];
    return x;
}

static void uf_union(int *uf, int a, int b)
{
    a = uf_find(uf, a);
    b = uf_find(uf, b);
    if (a != b) uf[b] = a;
}

/* Tensor t must reach its readers quantised: the tensor whose quantiser serves it, or -1
 * (a constant, a graph output, an integer, or a value the decode computes). */
static int request(Planner *pl, int t)
{
    if (t < 0 || t >= pl->g->n_tensors) return -1;
    if (pl->state[t] == 2) return pl->rep[t];
    if (pl->state[t] == 1) return -1;
    pl->state[t] = 1;
    const Tensor *T = &pl->g->tensors[t];
    int r = -1;
    if (T->dtype == DT_F32 && !is_const(T) && !T->is_output) {
        int pn = T->producer;
        const Node *n = pn >= 0 ? &pl->g->nodes[pn] : NULL;
        if (n && pl->p->keep_float[pn]) {
            r = -1;
        } else if (n && moves_values[n->op]) {
            int k_end = n->op == OP_CONCAT ? n->n_inputs : 1;
            for (int k = 0; k < k_end; k++) {
                int rr = request(pl, n->inputs[k]);
                if (rr < 0) continue;
                if (r < 0) r = rr;
                else uf_union(pl->uf, r, rr); /* inputs that meet in a Concat share one range */
            }
        } else {
            pl->p->act[t] = true;
            r = t;
        }
    }
    pl->state[t] = 2;
    pl->rep[t] = r;
    return r;
}

static bool quantisable_conv(const Graph *g, const Node *n)
{
    if (n->op != OP_CONV || n->n_inputs < 2 || n->inputs[0] < 0 || n->inputs[1] < 0) return false;
    const Tensor *w = &g->tensors[n->inputs[1]];
    return is_const(w) && w->dtype == DT_F32 && w->rank >= 3 && w->dims[0] > 0 && tensor_numel(w) > 0 &&
           w->nbytes == (size_t)tensor_numel(w) * sizeof(float) && g->tensors[n->inputs[0]].dtype == DT_F32;
}

int quant_plan(const Graph *g, QuantPlan *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    int nt = g->n_tensors, nn = g->n_nodes;
    p->n_tensors = nt;
    p->n_nodes = nn;
    p->act = xcalloc((size_t)(nt ? nt : 1), sizeof *p->act);
    p->group = xmalloc(sizeof(int) * (size_t)(nt ? nt : 1));
    p->conv = xcalloc((size_t)(nn ? nn : 1), sizeof *p->conv);
    p->keep_float = xcalloc((size_t)(nn ? nn : 1), sizeof *p->keep_float);
    /* the head's decode, and every node that reads what it computes */
    int head = head_layer(g);
    char prefix[64] = "";
    if (head >= 0) {
        snprintf(p->head, sizeof p->head, "model.%d", head);
        snprintf(prefix, sizeof prefix, "/model.%d/", head);
    }
    bool *float_t = xcalloc((size_t)(nt ? nt : 1), sizeof *float_t);
    for (int i = 0; i < nn; i++) {
        const Node *n = &g->nodes[i];
        bool keep = prefix[0] && in_decode(n, prefix, strlen(prefix));
        for (int k = 0; !keep && k < n->n_inputs; k++) keep = n->inputs[k] >= 0 && float_t[n->inputs[k]];
        if (!keep) continue;
        p->keep_float[i] = true;
        p->n_keep_float++;
        for (int k = 0; k < n->n_outputs; k++)
            if (n->outputs[k] >= 0) float_t[n->outputs[k]] = true;
    }
    free(float_t);
    Planner pl = {.g = g, .p = p};
    pl.uf = xmalloc(sizeof(int) * (size_t)(nt ? nt : 1));
    pl.state = xcalloc((size_t)(nt ? nt : 1), 1);
    pl.rep = xmalloc(sizeof(int) * (size_t)(nt ? nt : 1));
    for (int i = 0; i < nt; i++) pl.uf[i] = i, pl.rep[i] = -1;
    for (int i = 0; i < nn; i++) {
        const Node *n = &g->nodes[i];
        if (p->keep_float[i]) continue;
        if (quantisable_conv(g, n)) {
            p->conv[i] = true;
            p->n_conv++;
            request(&pl, n->inputs[0]);
        } else if (n->op == OP_ADD && n->n_inputs == 2 && n->inputs[0] >= 0 && n->inputs[1] >= 0 &&
                   !is_const(&g->tensors[n->inputs[0]]) && !is_const(&g->tensors[n->inputs[1]])) {
            request(&pl, n->inputs[0]);
            request(&pl, n->inputs[1]);
        } else if (n->op == OP_RESIZE && n->n_inputs >= 1) {
            request(&pl, n->inputs[0]);
        }
    }
    for (int t = 0; t < nt; t++) {
        p->group[t] = p->act[t] ? uf_find(pl.uf, t) : -1;
        p->n_act += p->act[t];
    }
    free(pl.uf);
    free(pl.state);
    free(pl.rep);
    if (p->n_conv == 0) {
        quant_plan_free(p);
        return err_set(err, errlen, "nothing to quantise: the model has no convolution with constant float32 weights");
    }
    return 0;
}

/* ---- the rewrite ---------------------------------------------------------------------------- */

/* A new activation tensor shaped like tensor t (symbolic dims kept), of type dt. */
static int tensor_like(Graph *g, int t, const char *name, DType dt)
{
    int64_t dims[GRAPH_MAX_RANK];
    const char *dn[GRAPH_MAX_RANK];
    int rank = g->tensors[t].rank;
    memcpy(dims, g->tensors[t].dims, sizeof dims);
    memcpy(dn, g->tensors[t].dim_names, sizeof dn);
    int k = graph_add_tensor(g, name, dt, rank, dims);
    memcpy(g->tensors[k].dim_names, dn, sizeof dn);
    return k;
}

static int const_scalar(Graph *g, const char *name, DType dt, const void *v)
{
    int64_t none[1] = {0};
    return graph_add_const(g, name, dt, 0, none, v);
}

static int node_module(const Graph *g, int t)
{
    int pn = g->tensors[t].producer;
    return pn >= 0 ? g->nodes[pn].module : -1;
}

/* The name a quantiser of tensor t gets: its producer's name and output slot, as NNCF names
 * FakeQuantize ("/model.0/act/SiLU/fq_output_0"); the tensor's name for a graph input. */
static char *fq_name(const Graph *g, int t)
{
    int pn = g->tensors[t].producer;
    if (pn < 0 || !g->nodes[pn].name || !*g->nodes[pn].name) return xasprintf("%s/fq_output_0", g->tensors[t].name);
    const Node *n = &g->nodes[pn];
    int slot = 0;
    for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] == t) slot = k;
    return xasprintf("%s/fq_output_%d", n->name, slot);
}

static void insert_qdq(Graph *g, int t, float scale, int32_t zp)
{
    char *base = xstrdup(g->tensors[t].name);
    int module = node_module(g, t);
    char *n_s = xasprintf("%s_scale", base), *n_z = xasprintf("%s_zero_point", base);
    char *n_q = xasprintf("%s_QuantizeLinear_Output", base), *n_dq = xasprintf("%s_DequantizeLinear_Output", base);
    char *n_qn = xasprintf("%s_QuantizeLinear", base), *n_dqn = xasprintf("%s_DequantizeLinear", base);
    uint8_t z = (uint8_t)zp;
    int s = const_scalar(g, n_s, DT_F32, &scale), zt = const_scalar(g, n_z, DT_U8, &z);
    int q = tensor_like(g, t, n_q, DT_U8), dq = tensor_like(g, t, n_dq, DT_F32);
    passes_replace_uses(g, t, dq, false);
    int qi[3] = {t, s, zt}, di[3] = {q, s, zt};
    graph_add_node(g, OP_QUANTIZE_LINEAR, "QuantizeLinear", n_qn, module, qi, 3, &q, 1);
    graph_add_node(g, OP_DEQUANTIZE_LINEAR, "DequantizeLinear", n_dqn, module, di, 3, &dq, 1);
    free(base), free(n_s), free(n_z), free(n_q), free(n_dq), free(n_qn), free(n_dqn);
}

static void insert_fq(Graph *g, int t, float lo, float hi)
{
    char *base = fq_name(g, t);
    int module = node_module(g, t);
    char *n_il = xasprintf("%s/input_low", base), *n_ih = xasprintf("%s/input_high", base);
    char *n_ol = xasprintf("%s/output_low", base), *n_oh = xasprintf("%s/output_high", base);
    int il = const_scalar(g, n_il, DT_F32, &lo), ih = const_scalar(g, n_ih, DT_F32, &hi);
    int ol = const_scalar(g, n_ol, DT_F32, &lo), oh = const_scalar(g, n_oh, DT_F32, &hi);
    int y = tensor_like(g, t, base, DT_F32);
    passes_replace_uses(g, t, y, false);
    int in[5] = {t, il, ih, ol, oh};
    int ni = graph_add_node(g, OP_FAKE_QUANTIZE, "FakeQuantize", base, module, in, 5, &y, 1);
    node_set_string(g, ni, "levels", "256"); /* as an IR carries it (a string attribute) */
    node_set_string(g, ni, "auto_broadcast", "numpy");
    free(base), free(n_il), free(n_ih), free(n_ol), free(n_oh);
}

/* Convolution ni's weights as int8 per output channel, through DequantizeLinear (QDQ) or
 * Convert + Multiply (FakeQuantize style).  Bytes before/after into *f32, *i8. */
static int quantise_weights(Graph *g, int ni, QuantStyle style, int64_t *f32, int64_t *i8, char *err, size_t errlen)
{
    int wt = g->nodes[ni].inputs[1];
    const Tensor *W = &g->tensors[wt];
    int rank = W->rank;
    int64_t dims[GRAPH_MAX_RANK];
    memcpy(dims, W->dims, sizeof dims);
    int64_t M = dims[0], numel = tensor_numel(W);
    if (M <= 0 || numel <= 0 || numel % M)
        return err_set(err, errlen, "%s: weights '%s' cannot be split into %lld output channels", g->nodes[ni].name,
                       W->name, (long long)M);
    int8_t *q = xmalloc((size_t)numel);
    float *scales = xmalloc(sizeof(float) * (size_t)M);
    calib_weights_per_channel((const float *)W->data, M, numel / M, q, scales);
    *f32 += numel * 4;
    *i8 += numel;
    char *base = xstrdup(W->name);
    int module = g->nodes[ni].module;
    int out;
    if (style == QUANT_QDQ) {
        char *n_q = xasprintf("%s_quantized", base), *n_s = xasprintf("%s_scale", base);
        char *n_z = xasprintf("%s_zero_point", base), *n_o = xasprintf("%s_DequantizeLinear_Output", base);
        char *n_n = xasprintf("%s_DequantizeLinear", base);
        int8_t *zeros = xcalloc((size_t)M, 1);
        int wq = graph_add_const(g, n_q, DT_I8, rank, dims, q);
        int ws = graph_add_const(g, n_s, DT_F32, 1, &M, scales);
        int wz = graph_add_const(g, n_z, DT_I8, 1, &M, zeros);
        out = graph_add_tensor(g, n_o, DT_F32, rank, dims);
        int in[3] = {wq, ws, wz};
        int dn = graph_add_node(g, OP_DEQUANTIZE_LINEAR, "DequantizeLinear", n_n, module, in, 3, &out, 1);
        node_set_int(g, dn, "axis", 0);
        free(zeros), free(n_q), free(n_s), free(n_z), free(n_o), free(n_n);
    } else {
        char *n_q = xasprintf("%s/int8", base), *n_c = xasprintf("%s/convert", base);
        char *n_s = xasprintf("%s/scale", base), *n_m = xasprintf("%s/decompress", base);
        char *n_co = xasprintf("%s/converted", base);
        int64_t sd[GRAPH_MAX_RANK];
        sd[0] = M;
        for (int i = 1; i < rank; i++) sd[i] = 1;
        int wq = graph_add_const(g, n_q, DT_I8, rank, dims, q);
        int ws = graph_add_const(g, n_s, DT_F32, rank, sd, scales);
        int conv = graph_add_tensor(g, n_co, DT_F32, rank, dims);
        int cn = graph_add_node(g, OP_CAST, "Cast", n_c, module, &wq, 1, &conv, 1);
        node_set_int(g, cn, "to", 1); /* ONNX's FLOAT */
        out = graph_add_tensor(g, n_m, DT_F32, rank, dims);
        int mi[2] = {conv, ws};
        graph_add_node(g, OP_MUL, "Mul", n_m, module, mi, 2, &out, 1);
        free(n_q), free(n_c), free(n_s), free(n_m), free(n_co);
    }
    g->nodes[ni].inputs[1] = out;
    free(base);
    free(q);
    free(scales);
    return 0;
}

int quant_apply(Graph *g, const QuantPlan *p, const CalibStats *s, CalibMethod m, QuantStyle style, QuantStats *st,
                char *err, size_t errlen)
{
    QuantStats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    int nt = p->n_tensors;
    if (g->n_tensors < nt || g->n_nodes < p->n_nodes)
        return err_set(err, errlen, "the graph changed since it was planned");
    /* each group's range: the union of its members' */
    float *glo = xmalloc(sizeof(float) * (size_t)(nt ? nt : 1)), *ghi = xmalloc(sizeof(float) * (size_t)(nt ? nt : 1));
    bool *have = xcalloc((size_t)(nt ? nt : 1), sizeof *have);
    for (int t = 0; t < nt; t++) {
        float lo, hi;
        if (!p->act[t] || calib_range(s, t, m, &lo, &hi) != 0) continue;
        int r = p->group[t];
        if (!have[r]) glo[r] = lo, ghi[r] = hi, have[r] = true;
        else glo[r] = fminf(glo[r], lo), ghi[r] = fmaxf(ghi[r], hi);
    }
    int rc = 0;
    for (int ni = 0; ni < p->n_nodes && rc == 0; ni++)
        if (p->conv[ni]) {
            if (quantise_weights(g, ni, style, &st->weight_bytes_f32, &st->weight_bytes_i8, err, errlen) != 0) rc = -1;
            else st->weights++;
        }
    for (int t = 0; t < nt && rc == 0; t++) {
        if (!p->act[t]) continue;
        float lo, hi;
        if (calib_range(s, t, m, &lo, &hi) != 0 || !have[p->group[t]]) {
            st->missing++;
            continue;
        }
        float scale;
        int32_t zp;
        calib_affine(glo[p->group[t]], ghi[p->group[t]], false, &scale, &zp);
        if (style == QUANT_QDQ) {
            insert_qdq(g, t, scale, zp);
        } else {
            float rlo, rhi;
            calib_affine_range(scale, zp, false, &rlo, &rhi);
            insert_fq(g, t, rlo, rhi);
        }
        st->activations++;
    }
    free(glo);
    free(ghi);
    free(have);
    if (rc != 0) return -1;
    if (passes_toposort(g, err, errlen) != 0) return -1;
    pass_compact(g, NULL, NULL); /* the float weights the int8 ones replace */
    return 0;
}

const char *quant_scheme(const Graph *g)
{
    bool fq = false, per_channel = false, per_tensor = false;
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = &g->nodes[i];
        if (n->op == OP_FAKE_QUANTIZE) fq = true;
        if (n->op != OP_DEQUANTIZE_LINEAR || n->n_inputs < 2 || n->inputs[0] < 0 || n->inputs[1] < 0) continue;
        const Tensor *x = &g->tensors[n->inputs[0]], *sc = &g->tensors[n->inputs[1]];
        if (!is_const(x)) continue;
        if (tensor_numel(sc) > 1) per_channel = true;
        else per_tensor = true;
    }
    if (fq) return "int8 (FakeQuantize)";
    if (per_channel) return "int8 (QDQ, per-channel)";
    if (per_tensor) return "int8 (QDQ, per-tensor)";
    return NULL;
}
