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
