/* yolo_summary: the peer's summary numbers (reference section 7).
 *   layers      distinct leaf module objects (ModNode uid), each counted once;
 *   parameters  elements of every parameter of every distinct module object;
 *   gradients   the same over parameters whose requires_grad is set;
 *   GFLOPs      leaf-module counts on a probe input [1, C, s, s] with s = max(32, largest
 *               stride), times 2 / 1e9, scaled by (h / s) * (w / s).
 * The fused figures are what fuse() leaves: each Conv/DWConv's BatchNorm folded into its
 * conv (a leaf fewer; BN weight and bias gone, a conv bias added when it had none; the
 * fused conv frozen; the BN's FLOPs gone). */
#include "engine/builder/yolo_impl.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 48

typedef struct {
    unsigned char *seen; /* by uid */
    int n_uids;
    int64_t layers, params, grads;
    int64_t f_layers, f_params, f_grads; /* deltas for the fused model */
} Count;

static int64_t numel(const ModTensor *t)
{
    int64_t n;
    return dims_product(t->dims, t->rank, &n) ? n : 0;
}

/* Counts of a hostile checkpoint's views can be anything a tensor's dims allow: sums
 * saturate instead of overflowing. */
static void sat_add(int64_t *acc, int64_t v)
{
    if (__builtin_add_overflow(*acc, v, acc)) *acc = v < 0 ? INT64_MIN : INT64_MAX;
}

static bool is_conv_block(const char *type)
{
    return !strcmp(type, "Conv") || !strcmp(type, "DWConv");
}

static void count(Count *c, const ModNode *n, int depth)
{
    if (depth > MAX_DEPTH) return;
    if (n->uid >= 0 && n->uid < c->n_uids) {
        if (c->seen[n->uid]) return;
        c->seen[n->uid] = 1;
    }
    if (n->n_children == 0) c->layers++;
    for (int i = 0; i < n->n_tensors; i++) {
        const ModTensor *t = &n->tensors[i];
        if (t->is_buffer) continue;
        sat_add(&c->params, numel(t));
        if (t->requires_grad) sat_add(&c->grads, numel(t));
    }
    if (is_conv_block(n->type)) {
        const ModNode *conv = modtree_child(n, "conv"), *bn = modtree_child(n, "bn");
        if (conv && bn && !strcmp(conv->type, "Conv2d") && !strcmp(bn->type, "BatchNorm2d")) {
            c->f_layers -= 1;
            const ModTensor *w = modtree_tensor(conv, "weight"), *cb = modtree_tensor(conv, "bias");
            for (int i = 0; i < bn->n_tensors; i++) {
                const ModTensor *t = &bn->tensors[i];
                if (t->is_buffer) continue;
                sat_add(&c->f_params, -numel(t));
                if (t->requires_grad) sat_add(&c->f_grads, -numel(t));
            }
            if (!cb && w && w->rank >= 1) sat_add(&c->f_params, w->dims[0]);
            /* the fused conv is created with requires_grad off */
            if (w && w->requires_grad) sat_add(&c->f_grads, -numel(w));
            if (cb && cb->requires_grad) sat_add(&c->f_grads, -numel(cb));
        }
    }
    for (int i = 0; i < n->n_children; i++) count(c, n->children[i], depth + 1);
}

static int64_t elems(const Tensor *t)
{
    int64_t n = tensor_numel(t);
    return n > 0 ? n : 0;
}

/* FLOPs (multiply-accumulates, the peer's unit before its x2) of one node of the probe
 * graph, by the leaf module kind that emitted it.  *is_bn marks a BatchNorm inside a
 * Conv block (gone after fusing). */
static double node_macs(const Graph *g, const Node *n, bool *fusable_bn)
{
    *fusable_bn = false;
    if (n->module < 0 || n->module >= g->n_modules) return 0;
    const Module *m = &g->modules[n->module];
    const Tensor *in = n->n_inputs > 0 && n->inputs[0] >= 0 ? &g->tensors[n->inputs[0]] : NULL;
    const Tensor *out = n->n_outputs > 0 && n->outputs[0] >= 0 ? &g->tensors[n->outputs[0]] : NULL;
    if (!in || !out) return 0;
    if (!strcmp(m->type, "Conv2d") && n->op == OP_CONV) {
        const Tensor *w = &g->tensors[n->inputs[1]];
        int64_t group = node_attr_int(n, "group", 1);
        return (double)elems(out) * (double)(in->dims[1] / (group > 0 ? group : 1)) * (double)w->dims[2] *
               (double)w->dims[3];
    }
    if (!strcmp(m->type, "ConvTranspose2d") && n->op == OP_CONV_TRANSPOSE) {
        const Tensor *w = &g->tensors[n->inputs[1]];
        int64_t group = node_attr_int(n, "group", 1);
        return (double)elems(in) * (double)(out->dims[1] / (group > 0 ? group : 1)) * (double)w->dims[2] *
               (double)w->dims[3];
    }
    if (!strcmp(m->type, "BatchNorm2d") && n->op == OP_BATCHNORM) {
        if (m->parent >= 0 && is_conv_block(g->modules[m->parent].type)) *fusable_bn = true;
        return 4.0 * (double)elems(in);
    }
    if (!strcmp(m->type, "Upsample") && n->op == OP_RESIZE) return (double)elems(out);
    if (!strcmp(m->type, "Linear") && n->op == OP_GEMM) return (double)in->dims[1] * (double)elems(out);
    if (!strcmp(m->type, "AdaptiveAvgPool2d") && n->op == OP_GLOBAL_AVGPOOL) {
        double in_area = (double)in->dims[2] * (double)in->dims[3];
        double out_area = (double)out->dims[2] * (double)out->dims[3];
        return (in_area / (out_area > 0 ? out_area : 1) + 1) * (double)elems(out);
    }
    if (!strcmp(m->type, "Softmax") && n->op == OP_SOFTMAX) {
        int64_t f = out->rank ? out->dims[out->rank - 1] : 1;
        return (double)(elems(out) / (f > 0 ? f : 1)) * (3.0 * (double)f - 1);
    }
    return 0;
}

int yolo_summary_stride(const ModTree *t, int max_stride, int imgsz_h, int imgsz_w, ModelSummary *unfused,
                        ModelSummary *fused, char *err, size_t errlen)
{
    ModelSummary u = {0}, f = {0};
    Count c;
    memset(&c, 0, sizeof c);
    c.n_uids = t->n_uids;
    c.seen = xcalloc((size_t)(t->n_uids > 0 ? t->n_uids : 1), 1);
    count(&c, t->root, 0);
    free(c.seen);

    int s = max_stride > 32 ? max_stride : 32;
    Graph *g = yolo_build_probe(t, s, err, errlen);
    if (!g) return -1;
    double macs = 0, bn_macs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        bool fusable;
        double v = node_macs(g, &g->nodes[i], &fusable);
        macs += v;
        if (fusable) bn_macs += v;
    }
    graph_free(g);
    double scale = ((double)imgsz_h / s) * ((double)imgsz_w / s);
    u.valid = f.valid = true;
    u.layers = c.layers;
    u.parameters = c.params;
    u.gradients = c.grads;
    u.gflops = macs * 2.0 / 1e9 * scale;
    f.layers = c.layers;
    f.parameters = c.params;
    f.gradients = c.grads;
    sat_add(&f.layers, c.f_layers);
    sat_add(&f.parameters, c.f_params);
    sat_add(&f.gradients, c.f_grads);
    f.gflops = (macs - bn_macs) * 2.0 / 1e9 * scale;
    if (unfused) *unfused = u;
    if (fused) *fused = f;
    return 0;
}

int yolo_summary(const ModTree *t, int imgsz_h, int imgsz_w, ModelSummary *unfused, ModelSummary *fused, char *err,
                 size_t errlen)
{
    if (!t || !t->root) return err_set(err, errlen, "empty model tree");
    return yolo_summary_stride(t, yolo_max_stride(t), imgsz_h, imgsz_w, unfused, fused, err, errlen);
}
