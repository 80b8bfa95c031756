/* yolo_summary: the peer's summary numbers (reference section 7).
 *   layers      distinct leaf module objects (ModNode uid), each counted once;
 *   parameters  elements of every parameter of every distinct module object;
 *   gradients   the same over parameters whose requires_grad is set;
 *   GFLOPs      leaf-module counts on a probe input [1, C, s, s] with s = max(32, largest
 *               stride), times 2 / 1e9, scaled by (h / s) * (w / s).
 * The fused figures are what fuse() leaves: each Conv/DWConv's BatchNorm folded into its
 * conv (a leaf fewer; BN weight and bias gone, a conv bias added when it had none; the
 * fused conv frozen; the BN's FLOPs gone); RepConv and RepVGGDW as one conv; v10Detect
 * without its one-to-many branches.  norms counts the normalisation leaves left (the
 * peer's "(fused)" label needs fewer than 10). */
#include "engine/builder/yolo_impl.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 48

typedef struct {
    unsigned char *seen; /* by uid */
    int n_uids;
    int64_t layers, params, grads, norms;
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

/* False when n's uid was counted already (a module object reachable from several places). */
static bool first_visit(Count *c, const ModNode *n)
{
    if (n->uid < 0 || n->uid >= c->n_uids) return true;
    if (c->seen[n->uid]) return false;
    c->seen[n->uid] = 1;
    return true;
}

static void count_tensors(Count *c, const ModNode *n)
{
    for (int i = 0; i < n->n_tensors; i++) {
        const ModTensor *t = &n->tensors[i];
        if (t->is_buffer) continue;
        sat_add(&c->params, numel(t));
        if (t->requires_grad) sat_add(&c->grads, numel(t));
    }
}

/* A leaf: a layer, and a normalisation one when it is torch.nn's *Norm* class. */
static void count_leaf(Count *c, const ModNode *n)
{
    c->layers++;
    if (strstr(n->type, "Norm") && n->module && !strncmp(n->module, "torch.nn.modules.", 17)) c->norms++;
}

/* The model as the checkpoint holds it. */
static void count(Count *c, const ModNode *n, int depth)
{
    if (depth > MAX_DEPTH || !first_visit(c, n)) return;
    if (n->n_children == 0) count_leaf(c, n);
    count_tensors(c, n);
    for (int i = 0; i < n->n_children; i++) count(c, n->children[i], depth + 1);
}

/* A fused conv as fuse_conv_and_bn / RepConv / RepVGGDW make it: one Conv2d leaf, the given
 * weight plus a bias of one per output, frozen. */
static void count_fused_conv(Count *c, const ModTensor *w)
{
    c->layers++;
    if (w && w->rank == 4) {
        sat_add(&c->params, numel(w));
        sat_add(&c->params, w->dims[0]);
    }
}

static const ModTensor *conv_weight(const ModNode *conv_block)
{
    const ModNode *conv = conv_block ? modtree_child(conv_block, "conv") : NULL;
    return conv ? modtree_tensor(conv, "weight") : NULL;
}

/* The model after the peer's fuse(): each Conv/DWConv with a BatchNorm becomes its conv (the
 * BN folded, bias added, frozen) and its act; an unfused RepConv becomes one 3x3 conv and its
 * act; an unfused RepVGGDW its 7x7 conv and act; v10Detect's one-to-many branches (cv2, cv3)
 * become one shared nn.Identity. */
static void count_fused(Count *c, const ModNode *n, int depth)
{
    if (depth > MAX_DEPTH || !first_visit(c, n)) return;
    const ModNode *conv = modtree_child(n, "conv"), *bn = modtree_child(n, "bn");
    if (is_conv_block(n->type) && conv && bn && !strcmp(conv->type, "Conv2d") && !strcmp(bn->type, "BatchNorm2d")) {
        first_visit(c, conv);
        first_visit(c, bn);
        count_fused_conv(c, modtree_tensor(conv, "weight"));
        for (int i = 0; i < n->n_children; i++)
            if (n->children[i] != conv && n->children[i] != bn) count_fused(c, n->children[i], depth + 1);
        return;
    }
    const ModNode *conv1 = modtree_child(n, "conv1"), *conv2 = modtree_child(n, "conv2");
    if (!strcmp(n->type, "RepConv") && !conv && conv1 && conv2) {
        count_fused_conv(c, conv_weight(conv1));
        const ModNode *act = modtree_child(n, "act");
        if (act) count_fused(c, act, depth + 1);
        return;
    }
    if (!strcmp(n->type, "RepVGGDW") && conv && conv1 && is_conv_block(conv->type)) {
        count_fused_conv(c, conv_weight(conv));
        const ModNode *act = modtree_child(n, "act");
        if (act) count_fused(c, act, depth + 1);
        return;
    }
    bool v10 = !strcmp(n->type, "v10Detect") && modtree_child(n, "cv2");
    if (n->n_children == 0) count_leaf(c, n);
    count_tensors(c, n);
    if (v10) c->layers++; /* the Identity standing in for cv2 and cv3 */
    for (int i = 0; i < n->n_children; i++) {
        const ModNode *ch = n->children[i];
        if (v10 && (!strcmp(ch->name, "cv2") || !strcmp(ch->name, "cv3"))) continue;
        count_fused(c, ch, depth + 1);
    }
}

/* True when module mi of the probe graph is gone after fuse(): a BatchNorm folded into its
 * Conv block, the branches a RepConv / RepVGGDW merges into its main conv, v10Detect's
 * one-to-many head. */
static bool fused_away(const Graph *g, int mi)
{
    for (int depth = 0; mi >= 0 && mi < g->n_modules && depth < 64; depth++) {
        const Module *m = &g->modules[mi];
        int pi = m->parent;
        if (pi < 0) return false;
        const char *pt = g->modules[pi].type, *name = m->name ? m->name : "";
        if (!strcmp(m->type, "BatchNorm2d") && is_conv_block(pt)) return true;
        if (!strcmp(pt, "RepConv") && (!strcmp(name, "conv2") || !strcmp(name, "bn"))) return true;
        if (!strcmp(pt, "RepVGGDW") && !strcmp(name, "conv1")) return true;
        if (!strcmp(pt, "v10Detect") && (!strcmp(name, "cv2") || !strcmp(name, "cv3"))) return true;
        mi = pi;
    }
    return false;
}

static int64_t elems(const Tensor *t)
{
    int64_t n = tensor_numel(t);
    return n > 0 ? n : 0;
}

/* FLOPs (multiply-accumulates, the peer's unit before its x2) of one node of the probe
 * graph, by the leaf module kind that emitted it.  *removed marks a node whose module
 * fuse() removes (fused_away). */
static double node_macs(const Graph *g, const Node *n, bool *removed)
{
    *removed = false;
    if (n->module < 0 || n->module >= g->n_modules) return 0;
    *removed = fused_away(g, n->module);
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
    if (!strcmp(m->type, "BatchNorm2d") && n->op == OP_BATCHNORM) return 4.0 * (double)elems(in);
    if (!strcmp(m->type, "Upsample") && n->op == OP_RESIZE) return (double)elems(out);
    if (!strcmp(m->type, "Linear") && (n->op == OP_GEMM || n->op == OP_MATMUL))
        return (double)in->dims[in->rank - 1] * (double)elems(out);
    if (!strcmp(m->type, "AdaptiveAvgPool2d") && n->op == OP_GLOBAL_AVGPOOL) {
        double in_area = (double)in->dims[2] * (double)in->dims[3];
        double out_area = (double)out->dims[2] * (double)out->dims[3];
        return (in_area / (out_area > 0 ? out_area : 1) + 1) * (double)elems(out);
    }
    /* LayerNorm (written as mean, Sub, ...): 2 x input elements, twice with its affine weights */
    if (!strcmp(m->type, "LayerNorm") && n->op == OP_SUB) return 4.0 * (double)elems(in);
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
    Count c, cf;
    memset(&c, 0, sizeof c);
    c.n_uids = t->n_uids;
    c.seen = xcalloc((size_t)(t->n_uids > 0 ? t->n_uids : 1), 1);
    count(&c, t->root, 0);
    cf = (Count){.n_uids = c.n_uids, .seen = c.seen};
    memset(cf.seen, 0, (size_t)(t->n_uids > 0 ? t->n_uids : 1));
    count_fused(&cf, t->root, 0);
    free(c.seen);

    int s = max_stride > 32 ? max_stride : 32;
    Graph *g = yolo_build_probe(t, s, s, err, errlen);
    double scale = ((double)imgsz_h / s) * ((double)imgsz_w / s);
    if (!g) {
        /* the peer's fallback when the small probe fails (RT-DETR: fewer positions than
         * queries): the full-size input, not scaled */
        g = yolo_build_probe(t, imgsz_h, imgsz_w, err, errlen);
        scale = 1;
    }
    if (!g) return -1;
    double macs = 0, bn_macs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        bool fusable;
        double v = node_macs(g, &g->nodes[i], &fusable);
        macs += v;
        if (fusable) bn_macs += v;
    }
    graph_free(g);
    u.valid = f.valid = true;
    u.layers = c.layers;
    u.parameters = c.params;
    u.gradients = c.grads;
    u.gflops = macs * 2.0 / 1e9 * scale;
    f.layers = cf.layers;
    f.parameters = cf.params;
    f.gradients = cf.grads;
    u.norms = c.norms;
    f.norms = cf.norms;
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
