/* passes: graph rewrites (see passes.h). */
#include "engine/passes/passes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void pass_compact(Graph *g, const unsigned char *dead, const unsigned char *dead_modules)
{
    int nt = g->n_tensors, nn = g->n_nodes, nm = g->n_modules;
    unsigned char *used = xcalloc((size_t)(nt ? nt : 1), 1);
    int *tmap = xmalloc(sizeof(int) * (size_t)(nt ? nt : 1));
    int *mmap = xmalloc(sizeof(int) * (size_t)(nm ? nm : 1));

    /* modules first: survivors keep their order, children of a dropped module move up */
    int mo = 0;
    for (int i = 0; i < nm; i++) {
        if (dead_modules && dead_modules[i]) {
            mmap[i] = -1;
            continue;
        }
        mmap[i] = mo;
        Module m = g->modules[i];
        int p = m.parent;
        while (p >= 0 && mmap[p] < 0) p = g->modules[p].parent;
        m.parent = p >= 0 ? mmap[p] : -1;
        m.first_node = m.last_node = -1;
        g->modules[mo++] = m;
    }
    g->n_modules = mo;

    /* nodes */
    int no = 0;
    for (int i = 0; i < nn; i++) {
        if (dead && dead[i]) continue;
        Node n = g->nodes[i];
        /* a node of a dropped module belongs to none */
        n.module = (n.module >= 0 && n.module < nm) ? mmap[n.module] : -1;
        for (int k = 0; k < n.n_inputs; k++)
            if (n.inputs[k] >= 0 && n.inputs[k] < nt) used[n.inputs[k]] = 1;
        for (int k = 0; k < n.n_outputs; k++)
            if (n.outputs[k] >= 0 && n.outputs[k] < nt) used[n.outputs[k]] = 1;
        for (int k = 0; k < n.n_attrs; k++)
            if (n.attrs[k].type == ATTR_TENSOR && n.attrs[k].tensor >= 0 && n.attrs[k].tensor < nt)
                used[n.attrs[k].tensor] = 1;
        g->nodes[no++] = n;
    }
    g->n_nodes = no;
    for (int i = 0; i < g->n_inputs; i++) used[g->inputs[i]] = 1;
    for (int i = 0; i < g->n_outputs; i++) used[g->outputs[i]] = 1;
    for (int i = 0; i < g->n_modules; i++) {
        int t = g->modules[i].out_tensor;
        if (t >= 0 && t < nt && !used[t]) g->modules[i].out_tensor = -1; /* its tensor is gone */
    }

    /* tensors */
    int to = 0;
    for (int i = 0; i < nt; i++) {
        if (!used[i]) {
            tmap[i] = -1;
            continue;
        }
        tmap[i] = to;
        g->tensors[to] = g->tensors[i];
        g->tensors[to].producer = -1;
        to++;
    }
    g->n_tensors = to;
#define REMAP(x) ((x) >= 0 && (x) < nt ? tmap[(x)] : (x))
    for (int i = 0; i < g->n_nodes; i++) {
        Node *n = &g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) n->inputs[k] = REMAP(n->inputs[k]);
        for (int k = 0; k < n->n_outputs; k++) {
            n->outputs[k] = REMAP(n->outputs[k]);
            if (n->outputs[k] >= 0) g->tensors[n->outputs[k]].producer = i;
        }
        for (int k = 0; k < n->n_attrs; k++)
            if (n->attrs[k].type == ATTR_TENSOR) n->attrs[k].tensor = REMAP(n->attrs[k].tensor);
        for (int m = n->module; m >= 0; m = g->modules[m].parent) {
            if (g->modules[m].first_node < 0) g->modules[m].first_node = i;
            g->modules[m].last_node = i;
        }
    }
    for (int i = 0; i < g->n_inputs; i++) g->inputs[i] = REMAP(g->inputs[i]);
    for (int i = 0; i < g->n_outputs; i++) g->outputs[i] = REMAP(g->outputs[i]);
    for (int i = 0; i < g->n_modules; i++) g->modules[i].out_tensor = REMAP(g->modules[i].out_tensor);
#undef REMAP
    free(used);
    free(tmap);
    free(mmap);
}

static bool is_vec(const Tensor *t, int64_t c)
{
    return t && t->rank == 1 && t->dims[0] == c;
}

static const float *f32(const Tensor *t, int64_t n)
{
    return t && t->dtype == DT_F32 && t->data && t->nbytes >= (size_t)n * 4 ? t->data : NULL;
}

static void module_params_add(Graph *g, int m, int64_t delta)
{
    for (; m >= 0 && m < g->n_modules; m = g->modules[m].parent) g->modules[m].params += delta;
}

int pass_fuse_bn(Graph *g, char *err, size_t errlen)
{
    int nn = g->n_nodes;
    unsigned char *dead = xcalloc((size_t)(nn ? nn : 1), 1);
    unsigned char *dead_mod = xcalloc((size_t)(g->n_modules ? g->n_modules : 1), 1);
    int *uses = xcalloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof(int));
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0) uses[g->nodes[i].inputs[k]]++;
    int folded = 0, rc = 0;
    for (int i = 0; i < nn && rc == 0; i++) {
        Node *bn = &g->nodes[i];
        if (bn->op != OP_BATCHNORM || bn->n_inputs < 5 || bn->n_outputs < 1) continue;
        int x = bn->inputs[0];
        if (x < 0 || uses[x] != 1 || g->tensors[x].is_output) continue;
        int p = g->tensors[x].producer;
        if (p < 0 || g->nodes[p].op != OP_CONV || g->nodes[p].n_inputs < 2) continue;
        Node *conv = &g->nodes[p];
        int wi = conv->inputs[1];
        int bi = conv->n_inputs >= 3 ? conv->inputs[2] : -1;
        Tensor *W = &g->tensors[wi];
        if (W->rank < 1 || uses[wi] != 1 || (bi >= 0 && uses[bi] != 1)) continue;
        int64_t C = W->dims[0];
        Tensor *gam = &g->tensors[bn->inputs[1]], *bet = &g->tensors[bn->inputs[2]];
        Tensor *mean = &g->tensors[bn->inputs[3]], *var = &g->tensors[bn->inputs[4]];
        if (!is_vec(gam, C) || !is_vec(bet, C) || !is_vec(mean, C) || !is_vec(var, C) ||
            (bi >= 0 && !is_vec(&g->tensors[bi], C))) {
            rc = err_set(err, errlen, "%s: BatchNormalization parameters do not match the %lld outputs of %s", bn->name,
                         (long long)C, conv->name);
            break;
        }
        int64_t wn = tensor_numel(W);
        int64_t per = C > 0 ? wn / C : 0;
        bool have_data = W->data != NULL;
        /* data pointers stay valid when the tensor array grows (the data lives elsewhere) */
        const float *pg = f32(gam, C), *pb = f32(bet, C), *pm = f32(mean, C), *pv = f32(var, C);
        if (have_data && (!f32(W, wn) || !pg || !pb || !pm || !pv || (bi >= 0 && !f32(&g->tensors[bi], C)))) {
            rc = err_set(err, errlen, "%s: cannot fold: weights are not float32 data", bn->name);
            break;
        }
        /* the bias tensor: the conv's own, or a new "<prefix>.bias" */
        bool new_bias = bi < 0;
        if (new_bias) {
            const char *wname = W->name;
            size_t wl = strlen(wname);
            char *bname = (wl > 7 && !strcmp(wname + wl - 7, ".weight"))
                              ? arena_printf(g->arena, "%.*s.bias", (int)(wl - 7), wname)
                              : arena_printf(g->arena, "%s.bias", wname);
            bi = graph_add_tensor(g, bname, DT_F32, 1, &C);
            Tensor *B = &g->tensors[bi];
            B->is_param = true;
            if (have_data) {
                B->data = arena_alloc(g->arena, (size_t)C * 4);
                B->nbytes = (size_t)C * 4;
            }
            /* the tensor array may have moved */
            W = &g->tensors[wi];
            gam = &g->tensors[bn->inputs[1]];
            bet = &g->tensors[bn->inputs[2]];
            int *in = arena_alloc(g->arena, sizeof(int) * 3);
            in[0] = conv->inputs[0];
            in[1] = wi;
            in[2] = bi;
            conv->inputs = in;
            conv->n_inputs = 3;
        }
        if (have_data) {
            float *w = W->data, *bias = g->tensors[bi].data;
            float eps = (float)node_attr_float(bn, "epsilon", 1e-5);
            for (int64_t o = 0; o < C; o++) {
                float s = pg[o] / sqrtf(eps + pv[o]);
                float b_bn = pb[o] - pg[o] * pm[o] / sqrtf(pv[o] + eps);
                float b_conv = new_bias ? 0.f : bias[o];
                for (int64_t k = 0; k < per; k++) w[o * per + k] = s * w[o * per + k];
                bias[o] = s * b_conv + b_bn;
            }
        }
        W->requires_grad = false;
        g->tensors[bi].requires_grad = false;
        /* the conv now produces what the BN produced */
        int y = bn->outputs[0];
        conv->outputs[0] = y;
        g->tensors[y].producer = p;
        dead[i] = 1;
        folded++;
        /* modules: the BN's entry goes; parameter counts follow the tensors */
        int cm = conv->module, bm = bn->module;
        if (cm >= 0 && g->modules[cm].out_tensor == x) g->modules[cm].out_tensor = y;
        if (new_bias) module_params_add(g, cm, C);
        if (bm >= 0 && bm != cm && !strcmp(g->modules[bm].type, "BatchNorm2d")) {
            module_params_add(g, bm, -(tensor_numel(gam) + tensor_numel(bet)));
            dead_mod[bm] = 1;
        }
    }
    if (rc == 0 && folded) pass_compact(g, dead, dead_mod);
    free(dead);
    free(dead_mod);
    free(uses);
    return rc ? -1 : folded;
}

/* ---- parallel convolutions (RepConv, RepVGGDW) ---- */

/* Conv attributes that must agree for two convolutions to merge. */
static bool same_geometry(const Node *a, const Node *b)
{
    int64_t sa[2] = {1, 1}, sb[2] = {1, 1}, da[2] = {1, 1}, db[2] = {1, 1};
    node_attr_ints(a, "strides", sa, 2);
    node_attr_ints(b, "strides", sb, 2);
    node_attr_ints(a, "dilations", da, 2);
    node_attr_ints(b, "dilations", db, 2);
    return sa[0] == sb[0] && sa[1] == sb[1] && da[0] == 1 && da[1] == 1 && db[0] == 1 && db[1] == 1 &&
           node_attr_int(a, "group", 1) == node_attr_int(b, "group", 1) && !node_attr(a, "auto_pad") &&
           !node_attr(b, "auto_pad");
}

/* The module subtree rooted at m (m and every module below it) flagged in dead. */
static void mark_module_tree(const Graph *g, int m, unsigned char *dead)
{
    if (m < 0 || m >= g->n_modules) return;
    dead[m] = 1;
    for (int i = m + 1; i < g->n_modules; i++)
        for (int p = g->modules[i].parent; p >= 0; p = g->modules[p].parent)
            if (p == m) {
                dead[i] = 1;
                break;
            }
}

int pass_fuse_rep(Graph *g, char *err, size_t errlen)
{
    int nn = g->n_nodes;
    unsigned char *dead = xcalloc((size_t)(nn ? nn : 1), 1);
    unsigned char *dead_mod = xcalloc((size_t)(g->n_modules ? g->n_modules : 1), 1);
    int *uses = xcalloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof(int));
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0) uses[g->nodes[i].inputs[k]]++;
    int merged = 0, rc = 0;
    for (int i = 0; i < nn && rc == 0; i++) {
        Node *add = &g->nodes[i];
        if (add->op != OP_ADD || add->n_inputs != 2 || add->n_outputs != 1) continue;
        int p[2];
        bool ok = true;
        for (int k = 0; k < 2 && ok; k++) {
            int t = add->inputs[k];
            p[k] = t >= 0 ? g->tensors[t].producer : -1;
            ok = p[k] >= 0 && !dead[p[k]] && g->nodes[p[k]].op == OP_CONV && g->nodes[p[k]].n_inputs >= 2 &&
                 uses[t] == 1 && !g->tensors[t].is_output;
        }
        if (!ok || p[0] == p[1]) continue;
        Node *c0 = &g->nodes[p[0]], *c1 = &g->nodes[p[1]];
        if (c0->inputs[0] != c1->inputs[0] || !same_geometry(c0, c1)) continue;
        /* the bigger kernel keeps going; the smaller one must sit at its centre */
        Tensor *W0 = &g->tensors[c0->inputs[1]], *W1 = &g->tensors[c1->inputs[1]];
        if (W0->rank != 4 || W1->rank != 4) continue;
        int big = W0->dims[2] >= W1->dims[2] ? 0 : 1;
        Node *cb = big ? c1 : c0, *cs = big ? c0 : c1;
        int wbi = cb->inputs[1], wsi = cs->inputs[1];
        Tensor *Wb = &g->tensors[wbi], *Ws = &g->tensors[wsi];
        int64_t kh = Wb->dims[2], kw = Wb->dims[3], sh = Ws->dims[2], sw = Ws->dims[3];
        int64_t pb[4] = {0}, ps[4] = {0};
        node_attr_ints(cb, "pads", pb, 4);
        node_attr_ints(cs, "pads", ps, 4);
        int64_t oh = (kh - sh) / 2, ow = (kw - sw) / 2;
        if (Wb->dims[0] != Ws->dims[0] || Wb->dims[1] != Ws->dims[1] || sh > kh || sw > kw || (kh - sh) % 2 ||
            (kw - sw) % 2 || pb[0] - ps[0] != oh || pb[2] - ps[2] != oh || pb[1] - ps[1] != ow || pb[3] - ps[3] != ow)
            continue;
        if (uses[wbi] != 1 || uses[wsi] != 1) continue;
        int bbi = cb->n_inputs >= 3 ? cb->inputs[2] : -1, bsi = cs->n_inputs >= 3 ? cs->inputs[2] : -1;
        if ((bbi >= 0 && uses[bbi] != 1) || (bsi >= 0 && uses[bsi] != 1)) continue;
        int64_t C = Wb->dims[0], per = Wb->dims[1];
        bool have_data = Wb->data != NULL;
        if (have_data && (!f32(Wb, tensor_numel(Wb)) || !f32(Ws, tensor_numel(Ws)) ||
                          (bbi >= 0 && !f32(&g->tensors[bbi], C)) || (bsi >= 0 && !f32(&g->tensors[bsi], C)))) {
            rc = err_set(err, errlen, "%s: cannot merge: weights are not float32 data", add->name);
            break;
        }
        if (have_data) {
            float *wb = Wb->data;
            const float *ws = Ws->data;
            for (int64_t o = 0; o < C; o++)
                for (int64_t c = 0; c < per; c++)
                    for (int64_t y = 0; y < sh; y++)
                        for (int64_t x = 0; x < sw; x++)
                            wb[((o * per + c) * kh + y + oh) * kw + x + ow] += ws[((o * per + c) * sh + y) * sw + x];
        }
        if (bsi >= 0) {
            if (bbi < 0) {
                /* the small conv's bias becomes the merged conv's */
                int *in = arena_alloc(g->arena, sizeof(int) * 3);
                in[0] = cb->inputs[0];
                in[1] = wbi;
                in[2] = bsi;
                cb->inputs = in;
                cb->n_inputs = 3;
                bbi = bsi;
            } else if (have_data) {
                float *bb = g->tensors[bbi].data;
                const float *bs = g->tensors[bsi].data;
                for (int64_t o = 0; o < C; o++) bb[o] += bs[o];
            }
        }
        Wb->requires_grad = false;
        if (bbi >= 0) g->tensors[bbi].requires_grad = false;
        /* the big conv now produces the sum */
        int y = add->outputs[0], old = cb->outputs[0];
        int pbn = big ? p[1] : p[0];
        cb->outputs[0] = y;
        g->tensors[y].producer = pbn;
        dead[i] = 1;
        dead[big ? p[0] : p[1]] = 1;
        merged++;
        int cm = cb->module;
        if (cm >= 0 && g->modules[cm].out_tensor == old) g->modules[cm].out_tensor = y;
        /* the small conv's module (and the block around it, when it holds nothing else) goes */
        int sm = cs->module;
        if (sm >= 0) {
            int blk = g->modules[sm].parent;
            bool only = blk >= 0 && blk != cm && blk != g->modules[cm].parent;
            for (int k = 0; only && k < nn; k++)
                if (!dead[k] && k != (big ? p[0] : p[1]) && g->nodes[k].module >= 0)
                    for (int q = g->nodes[k].module; q >= 0; q = g->modules[q].parent)
                        if (q == blk) {
                            only = false;
                            break;
                        }
            int64_t gone = tensor_numel(Ws) + (bsi >= 0 && bbi != bsi ? C : 0);
            module_params_add(g, sm, -gone);
            mark_module_tree(g, only ? blk : sm, dead_mod);
        }
    }
    if (rc == 0 && merged) pass_compact(g, dead, dead_mod);
    free(dead);
    free(dead_mod);
    free(uses);
    return rc ? -1 : merged;
}
