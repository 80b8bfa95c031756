/* tfjs_ops: one lowering per IR op into TF GraphDef nodes that TF.js's converter executor
 * runs (Conv2D, _FusedConv2D, DepthwiseConv2dNative, Conv2DBackpropInput, MaxPool, AvgPool,
 * Mean, ResizeNearestNeighbor, AddV2/Sub/Mul/RealDiv, ConcatV2, SplitV, StridedSlice,
 * Softmax, Reshape, Transpose, MatMul/BatchMatMulV2, Cast, Max, ArgMax, Cumsum, unary math;
 * Shape for a resize whose input size is unknown).
 * Spatial ops work in NHWC; the rest follow their input's layout (see tfjs.h). */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/tfjs_impl.h"

typedef int (*LowerFn)(TfjsWriter *w, const Node *n);

static const Tensor *tns(TfjsWriter *w, int ti) { return &w->g->tensors[ti]; }
static int in_at(const Node *n, int k) { return k < n->n_inputs ? n->inputs[k] : -1; }
static int out0(const Node *n) { return n->n_outputs > 0 ? n->outputs[0] : -1; }

static bool dims_known(const Tensor *t)
{
    for (int i = 0; i < t->rank; i++)
        if (t->dims[i] < 0) return false;
    return true;
}

/* An attribute's ints, or the constant input at slot k, or nothing (0).  -1 when the
 * input exists but is computed, or there are more than max values. */
static int ints_from(TfjsWriter *w, const Node *n, const char *attr, int k, int64_t *out, int max)
{
    const Attr *a = node_attr(n, attr);
    if (a && a->type == ATTR_INT) {
        out[0] = a->i;
        return 1;
    }
    if (a && a->type == ATTR_INTS) return a->count <= max ? node_attr_ints(n, attr, out, max) : -1;
    int ti = in_at(n, k);
    if (ti < 0) return 0;
    int c = tw_const_ints(w, ti, out, max);
    return c < 0 ? -1 : c;
}

static const char *attr_str(const Node *n, const char *name, const char *dflt)
{
    const Attr *a = node_attr(n, name);
    return a && a->type == ATTR_STRING && a->s ? a->s : dflt;
}

static void set_out(TfjsWriter *w, const Node *n, const char *ref, const Layout *l)
{
    if (out0(n) >= 0) tw_set(w, out0(n), ref, l);
}

/* ---- convolution ----------------------------------------------------------------------- */
typedef enum { PAD_VALID, PAD_SAME, PAD_EXPLICIT } PadMode;

/* TF's SAME padding along one axis: (before, after) for size n, effective kernel k, stride s. */
static void same_pads(int64_t n, int64_t k, int64_t s, int64_t *before, int64_t *after)
{
    int64_t out = (n + s - 1) / s;
    int64_t total = (out - 1) * s + k - n;
    if (total < 0) total = 0;
    *before = total / 2;
    *after = total - *before;
}

/* pads = {top, left, bottom, right} (ONNX order); hw = input H, W; keff = effective kernel. */
static PadMode pad_mode(const int64_t *pads, const int64_t *hw, const int64_t *keff, const int64_t *stride)
{
    if (!pads[0] && !pads[1] && !pads[2] && !pads[3]) return PAD_VALID;
    /* with stride 1, SAME pads k - 1 whatever the size: an unknown (dynamic) size keeps it;
     * with a larger stride SAME depends on the size, so an unknown one gets explicit pads */
    bool unit = stride[0] == 1 && stride[1] == 1;
    if ((hw[0] >= 0 && hw[1] >= 0) || unit) {
        int64_t t, b, l, r;
        same_pads(hw[0] >= 0 ? hw[0] : keff[0], keff[0], stride[0], &t, &b);
        same_pads(hw[1] >= 0 ? hw[1] : keff[1], keff[1], stride[1], &l, &r);
        if (t == pads[0] && b == pads[2] && l == pads[1] && r == pads[3]) return PAD_SAME;
    }
    return PAD_EXPLICIT;
}

static void conv_attrs(json_object *node, DType dt, const int64_t *stride, const int64_t *dil, PadMode pm,
                       const int64_t *pads)
{
    static const char *const pad_names[] = {"VALID", "SAME", "EXPLICIT"};
    tw_attr_type(node, "T", dt);
    tw_attr_ints(node, "strides", (int64_t[]){1, stride[0], stride[1], 1}, 4);
    tw_attr_string(node, "padding", pad_names[pm]);
    if (pm == PAD_EXPLICIT)
        tw_attr_ints(node, "explicit_paddings", (int64_t[]){0, 0, pads[0], pads[2], pads[1], pads[3], 0, 0}, 8);
    tw_attr_string(node, "data_format", "NHWC");
    tw_attr_ints(node, "dilations", (int64_t[]){1, dil[0], dil[1], 1}, 4);
}

/* Spatial attributes shared by Conv, ConvTranspose and the pools. */
typedef struct {
    int64_t k[2], stride[2], dil[2], pads[4];
} Spatial;

static int spatial_attrs(TfjsWriter *w, const Node *n, const int64_t *kernel, const Tensor *x, Spatial *sp)
{
    int64_t v[4];
    sp->k[0] = kernel[0], sp->k[1] = kernel[1];
    sp->stride[0] = sp->stride[1] = 1;
    sp->dil[0] = sp->dil[1] = 1;
    memset(sp->pads, 0, sizeof sp->pads);
    int c = node_attr_ints(n, "strides", v, 4);
    if (c == 2) sp->stride[0] = v[0], sp->stride[1] = v[1];
    else if (c) return tw_fail(w, "strides must have 2 values");
    c = node_attr_ints(n, "dilations", v, 4);
    if (c == 2) sp->dil[0] = v[0], sp->dil[1] = v[1];
    else if (c) return tw_fail(w, "dilations must have 2 values");
    c = node_attr_ints(n, "pads", v, 4);
    if (c == 4) memcpy(sp->pads, v, sizeof sp->pads);
    else if (c) return tw_fail(w, "pads must have 4 values");
    for (int i = 0; i < 2; i++)
        if (sp->k[i] < 1 || sp->stride[i] < 1 || sp->dil[i] < 1 || sp->k[i] > 4096 || sp->stride[i] > 4096 ||
            sp->dil[i] > 4096)
            return tw_fail(w, "kernel, stride and dilation must be in 1..4096");
    for (int i = 0; i < 4; i++)
        if (sp->pads[i] < 0 || sp->pads[i] > 4096) return tw_fail(w, "pads must be in 0..4096");
    const char *ap = attr_str(n, "auto_pad", "NOTSET");
    if (!strcmp(ap, "VALID")) {
        memset(sp->pads, 0, sizeof sp->pads);
    } else if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        if (x->dims[2] < 0 || x->dims[3] < 0) return tw_fail(w, "auto_pad %s needs a static input shape", ap);
        for (int i = 0; i < 2; i++) {
            int64_t b, e;
            same_pads(x->dims[2 + i], (sp->k[i] - 1) * sp->dil[i] + 1, sp->stride[i], &b, &e);
            if (!strcmp(ap, "SAME_LOWER")) { int64_t t = b; b = e; e = t; }
            sp->pads[i] = b, sp->pads[2 + i] = e;
        }
    } else if (strcmp(ap, "NOTSET")) {
        return tw_fail(w, "auto_pad %s is not an ONNX value", ap);
    }
    return 0;
}

static int lower_conv(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0), W = in_at(n, 1), B = in_at(n, 2);
    if (X < 0 || W < 0) return tw_fail(w, "needs an input and weights");
    const Tensor *x = tns(w, X), *wt = tw_const_tensor(w, W);
    if (x->rank != 4) return tw_fail(w, "only 2-D convolutions are supported (input rank %d)", x->rank);
    if (!wt || wt->rank != 4) return tw_fail(w, "the weights must be a constant of rank 4");
    int64_t O = wt->dims[0], Ig = wt->dims[1], kh = wt->dims[2], kw = wt->dims[3];
    int64_t group = node_attr_int(n, "group", 1);
    int64_t C = x->dims[1] >= 0 ? x->dims[1] : Ig * group;
    if (group < 1 || O % group || C != Ig * group)
        return tw_fail(w, "weights [%lld, %lld, %lld, %lld] do not fit %lld input channels in %lld groups",
                       (long long)O, (long long)Ig, (long long)kh, (long long)kw, (long long)C, (long long)group);
    Spatial sp;
    if (spatial_attrs(w, n, (int64_t[]){kh, kw}, x, &sp)) return -1;
    int64_t count;
    float *wd = tw_const_floats(w, W, &count);
    if (!wd || count != O * Ig * kh * kw) {
        free(wd);
        return tw_fail(w, "the weights' data does not match their shape");
    }
    float *bd = NULL;
    if (B >= 0) {
        bd = tw_const_floats(w, B, &count);
        if (!bd || count != O) {
            free(wd);
            free(bd);
            return tw_fail(w, "the bias must be a constant of %lld values", (long long)O);
        }
    }
    Layout nhwc = layout_nhwc();
    const char *xref;
    if (tw_use(w, X, &nhwc, &xref)) {
        free(wd);
        free(bd);
        return -1;
    }
    const char *base = tw_node_base(w);
    bool quant = wt->is_param;
    PadMode pm = pad_mode(sp.pads, &x->dims[2], (int64_t[]){(kh - 1) * sp.dil[0] + 1, (kw - 1) * sp.dil[1] + 1},
                          sp.stride);
    DType dt = DT_F32;
    const char *bias = NULL;
    if (bd) bias = tw_const(w, tns(w, B)->name, DT_F32, 1, &O, bd, tns(w, B)->is_param);
    const char *result;
    bool depthwise = group > 1 && group == C && Ig == 1;
    if (group == 1 || depthwise) {
        int64_t dims[4] = {O, Ig, kh, kw};
        int64_t fd[4];
        float *f = xmalloc(sizeof(float) * (size_t)(O * Ig * kh * kw));
        if (group == 1) { /* OIHW -> HWIO */
            tfjs_permute(wd, f, sizeof(float), 4, dims, (int[]){2, 3, 1, 0});
            fd[0] = kh, fd[1] = kw, fd[2] = Ig, fd[3] = O;
        } else { /* [C*M, 1, kh, kw] seen as [C, M, kh, kw] -> HWCM */
            int64_t M = O / C;
            int64_t cm[4] = {C, M, kh, kw};
            tfjs_permute(wd, f, sizeof(float), 4, cm, (int[]){2, 3, 0, 1});
            fd[0] = kh, fd[1] = kw, fd[2] = C, fd[3] = M;
        }
        const char *filter = tw_const(w, tns(w, W)->name, DT_F32, 4, fd, f, quant);
        const char *op = group == 1 ? (bias ? "_FusedConv2D" : "Conv2D")
                                    : (bias ? "FusedDepthwiseConv2dNative" : "DepthwiseConv2dNative");
        result = tw_name(w, base);
        json_object *node = tw_node(w, result, op);
        tw_input(node, xref);
        tw_input(node, filter);
        conv_attrs(node, dt, sp.stride, sp.dil, pm, sp.pads);
        if (bias) {
            tw_input(node, bias);
            tw_attr_int(node, "num_args", 1);
            tw_attr_strings(node, "fused_ops", (const char *const[]){"BiasAdd"}, 1);
            tw_attr_float(node, "epsilon", 0);
        }
    } else if (group > 1024) {
        free(wd);
        return tw_fail(w, "%lld groups: more than the 1024 a split into per-group convolutions allows", (long long)group);
    } else { /* grouped: split the channels, one Conv2D per group, concatenate */
        int64_t Og = O / group;
        const char *split = tw_subname(w, base, "split");
        int64_t *sizes = xmalloc(sizeof(int64_t) * (size_t)group);
        for (int64_t g = 0; g < group; g++) sizes[g] = Ig;
        const char *sz = tw_const_i32(w, arena_printf(w->arena, "%s/size_splits", split), sizes, (int)group, false);
        free(sizes);
        int64_t three = 3;
        const char *ax = tw_const_i32(w, arena_printf(w->arena, "%s/axis", split), &three, 1, true);
        json_object *sn = tw_node(w, split, "SplitV");
        tw_input(sn, xref);
        tw_input(sn, sz);
        tw_input(sn, ax);
        tw_attr_int(sn, "num_split", group);
        tw_attr_type(sn, "T", dt);
        tw_attr_type(sn, "Tlen", DT_I32);
        const char **parts = xmalloc(sizeof(char *) * (size_t)group);
        for (int64_t g = 0; g < group; g++) {
            int64_t dims[4] = {Og, Ig, kh, kw}, fd[4] = {kh, kw, Ig, Og};
            float *f = xmalloc(sizeof(float) * (size_t)(Og * Ig * kh * kw));
            tfjs_permute(wd + g * Og * Ig * kh * kw, f, sizeof(float), 4, dims, (int[]){2, 3, 1, 0});
            const char *filter =
                tw_const(w, arena_printf(w->arena, "%s/group%lld", tns(w, W)->name, (long long)g), DT_F32, 4, fd, f, quant);
            parts[g] = tw_subname(w, base, arena_printf(w->arena, "group%lld", (long long)g));
            json_object *cn = tw_node(w, parts[g], "Conv2D");
            tw_input(cn, tw_ref(w, split, (int)g));
            tw_input(cn, filter);
            conv_attrs(cn, dt, sp.stride, sp.dil, pm, sp.pads);
        }
        const char *cat = bias ? tw_subname(w, base, "concat") : tw_name(w, base);
        const char *cax = tw_const_i32(w, arena_printf(w->arena, "%s/axis", cat), &three, 1, true);
        json_object *cc = tw_node(w, cat, "ConcatV2");
        for (int64_t g = 0; g < group; g++) tw_input(cc, parts[g]);
        tw_input(cc, cax);
        tw_attr_int(cc, "N", group);
        tw_attr_type(cc, "T", dt);
        tw_attr_type(cc, "Tidx", DT_I32);
        free(parts);
        result = cat;
        if (bias) {
            result = tw_name(w, base);
            json_object *bn = tw_node(w, result, "BiasAdd");
            tw_input(bn, cat);
            tw_input(bn, bias);
            tw_attr_type(bn, "T", dt);
            tw_attr_string(bn, "data_format", "NHWC");
        }
    }
    free(wd);
    set_out(w, n, result, &nhwc);
    return 0;
}

static int lower_conv_transpose(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0), W = in_at(n, 1), B = in_at(n, 2), Y = out0(n);
    if (X < 0 || W < 0 || Y < 0) return tw_fail(w, "needs an input, weights and an output");
    const Tensor *x = tns(w, X), *wt = tw_const_tensor(w, W), *y = tns(w, Y);
    if (x->rank != 4 || y->rank != 4) return tw_fail(w, "only 2-D transposed convolutions are supported");
    if (!wt || wt->rank != 4) return tw_fail(w, "the weights must be a constant of rank 4");
    if (node_attr_int(n, "group", 1) != 1) return tw_fail(w, "TF.js has no grouped transposed convolution");
    if (!dims_known(y)) return tw_fail(w, "needs a static output shape");
    int64_t Ci = wt->dims[0], Co = wt->dims[1], kh = wt->dims[2], kw = wt->dims[3];
    if ((x->dims[1] >= 0 && x->dims[1] != Ci) || y->dims[1] != Co)
        return tw_fail(w, "weights do not fit the input/output channels");
    Spatial sp;
    if (spatial_attrs(w, n, (int64_t[]){kh, kw}, x, &sp)) return -1;
    if (sp.dil[0] != 1 || sp.dil[1] != 1) return tw_fail(w, "TF.js has no dilated transposed convolution");
    int64_t count;
    float *wd = tw_const_floats(w, W, &count);
    if (!wd || count != Ci * Co * kh * kw) {
        free(wd);
        return tw_fail(w, "the weights' data does not match their shape");
    }
    Layout nhwc = layout_nhwc();
    const char *xref;
    if (tw_use(w, X, &nhwc, &xref)) {
        free(wd);
        return -1;
    }
    const char *base = tw_node_base(w);
    float *f = xmalloc(sizeof(float) * (size_t)count);
    tfjs_permute(wd, f, sizeof(float), 4, (int64_t[]){Ci, Co, kh, kw}, (int[]){2, 3, 1, 0}); /* -> [kh, kw, Co, Ci] */
    free(wd);
    const char *filter = tw_const(w, tns(w, W)->name, DT_F32, 4, (int64_t[]){kh, kw, Co, Ci}, f, wt->is_param);
    int64_t oshape[4] = {y->dims[0], y->dims[2], y->dims[3], y->dims[1]};
    const char *conv = B >= 0 ? tw_subname(w, base, "conv") : tw_name(w, base);
    const char *os = tw_const_i32(w, arena_printf(w->arena, "%s/output_shape", conv), oshape, 4, false);
    PadMode pm = (sp.pads[0] || sp.pads[1] || sp.pads[2] || sp.pads[3]) ? PAD_EXPLICIT : PAD_VALID;
    json_object *node = tw_node(w, conv, "Conv2DBackpropInput");
    tw_input(node, os);
    tw_input(node, filter);
    tw_input(node, xref);
    conv_attrs(node, DT_F32, sp.stride, sp.dil, pm, sp.pads);
    const char *result = conv;
    if (B >= 0) {
        float *bd = tw_const_floats(w, B, &count);
        if (!bd || count != Co) {
            free(bd);
            return tw_fail(w, "the bias must be a constant of %lld values", (long long)Co);
        }
        const char *bias = tw_const(w, tns(w, B)->name, DT_F32, 1, &Co, bd, tns(w, B)->is_param);
        result = tw_name(w, base);
        json_object *bn = tw_node(w, result, "BiasAdd");
        tw_input(bn, conv);
        tw_input(bn, bias);
        tw_attr_type(bn, "T", DT_F32);
        tw_attr_string(bn, "data_format", "NHWC");
    }
    set_out(w, n, result, &nhwc);
    return 0;
}

/* ---- pools ----------------------------------------------------------------------------- */
static const char *pad_node(TfjsWriter *w, const char *base, const char *xref, const int64_t *tblr, float value)
{
    const char *name = tw_subname(w, base, "pad");
    int32_t *p = xcalloc(8, sizeof(int32_t));
    p[2] = (int32_t)tblr[0], p[3] = (int32_t)tblr[2], p[4] = (int32_t)tblr[1], p[5] = (int32_t)tblr[3];
    const char *pc = tw_const(w, arena_printf(w->arena, "%s/paddings", name), DT_I32, 2, (int64_t[]){4, 2}, p, false);
    const char *cv = tw_const_f32_scalar(w, arena_printf(w->arena, "%s/constant_values", name), value);
    json_object *node = tw_node(w, name, "PadV2");
    tw_input(node, xref);
    tw_input(node, pc);
    tw_input(node, cv);
    tw_attr_type(node, "T", DT_F32);
    tw_attr_type(node, "Tpaddings", DT_I32);
    return name;
}

static int lower_pool(TfjsWriter *w, const Node *n, bool is_max)
{
    int X = in_at(n, 0), Y = out0(n);
    if (X < 0 || Y < 0) return tw_fail(w, "needs an input and an output");
    const Tensor *x = tns(w, X), *y = tns(w, Y);
    if (x->rank != 4) return tw_fail(w, "only 2-D pooling is supported (input rank %d)", x->rank);
    if (n->n_outputs > 1 && n->outputs[1] >= 0) return tw_fail(w, "TF.js has no MaxPool indices output");
    int64_t ks[4];
    if (node_attr_ints(n, "kernel_shape", ks, 4) != 2) return tw_fail(w, "kernel_shape must have 2 values");
    Spatial sp;
    if (spatial_attrs(w, n, ks, x, &sp)) return -1;
    if (sp.dil[0] != 1 || sp.dil[1] != 1) return tw_fail(w, "TF.js has no dilated pooling");
    bool ceil_mode = node_attr_int(n, "ceil_mode", 0) != 0;
    bool count_pad = node_attr_int(n, "count_include_pad", 0) != 0;
    const int64_t *hw = &x->dims[2];
    int64_t out[2];
    for (int i = 0; i < 2; i++) {
        if (hw[i] < 0) {
            out[i] = -1;
            continue;
        }
        int64_t span = hw[i] + sp.pads[i] + sp.pads[2 + i] - sp.k[i];
        out[i] = (ceil_mode ? (span + sp.stride[i] - 1) / sp.stride[i] : span / sp.stride[i]) + 1;
        /* ONNX (as torch) drops a last window that would start inside the end padding */
        if (ceil_mode && (out[i] - 1) * sp.stride[i] >= hw[i] + sp.pads[i]) out[i]--;
        if (span < 0 || out[i] < 1) return tw_fail(w, "the window is larger than the padded input");
    }
    if (y->rank == 4 && ((y->dims[2] >= 0 && out[0] >= 0 && y->dims[2] != out[0]) ||
                         (y->dims[3] >= 0 && out[1] >= 0 && y->dims[3] != out[1])))
        return tw_fail(w, "the output shape does not follow from the attributes");
    Layout nhwc = layout_nhwc();
    const char *xref;
    if (tw_use(w, X, &nhwc, &xref)) return -1;
    const char *base = tw_node_base(w);
    /* padding that plain VALID pooling then needs to give `out` (end side grows for ceil_mode) */
    int64_t need[4] = {sp.pads[0], sp.pads[1], sp.pads[2], sp.pads[3]};
    bool extra = false;
    for (int i = 0; i < 2; i++) {
        if (hw[i] < 0) {
            if (ceil_mode) return tw_fail(w, "ceil_mode needs a static input shape");
            continue;
        }
        int64_t e = (out[i] - 1) * sp.stride[i] + sp.k[i] - hw[i] - sp.pads[i];
        if (e < 0) e = 0;
        if (e != need[2 + i]) extra = true;
        need[2 + i] = e;
    }
    PadMode pm = pad_mode(need, hw, sp.k, sp.stride);
    if (pm == PAD_SAME && !is_max && count_pad) pm = PAD_EXPLICIT; /* TF's SAME excludes the padding */
    if (pm == PAD_VALID && extra && !is_max) return tw_fail(w, "average pooling with ceil_mode is not supported");
    if (pm == PAD_EXPLICIT) {
        if (!is_max && (!count_pad || extra))
            return tw_fail(w, "average pooling with this padding has no TF.js equivalent");
        xref = pad_node(w, base, xref, need, is_max ? -FLT_MAX : 0.0f);
        pm = PAD_VALID;
    }
    const char *name = tw_name(w, base);
    json_object *node = tw_node(w, name, is_max ? "MaxPool" : "AvgPool");
    tw_input(node, xref);
    tw_attr_type(node, "T", DT_F32);
    tw_attr_ints(node, "ksize", (int64_t[]){1, sp.k[0], sp.k[1], 1}, 4);
    tw_attr_ints(node, "strides", (int64_t[]){1, sp.stride[0], sp.stride[1], 1}, 4);
    tw_attr_string(node, "padding", pm == PAD_SAME ? "SAME" : "VALID");
    tw_attr_string(node, "data_format", "NHWC");
    set_out(w, n, name, &nhwc);
    return 0;
}

static int lower_maxpool(TfjsWriter *w, const Node *n) { return lower_pool(w, n, true); }

/* Pad: constant padding of the spatial axes of a 4-d tensor, as PadV2 in NHWC. */
static int lower_pad(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0 || tns(w, X)->rank != 4) return tw_fail(w, "only 4-d padding is supported");
    if (strcmp(attr_str(n, "mode", "constant"), "constant")) return tw_fail(w, "only constant padding is supported");
    if (in_at(n, 3) >= 0) return tw_fail(w, "padding only some axes is not supported");
    int64_t p[8];
    if (ints_from(w, n, "pads", 1, p, 8) != 8) return tw_fail(w, "the pads must be 8 constant integers");
    if (p[0] || p[1] || p[4] || p[5]) return tw_fail(w, "only the spatial axes may be padded");
    float value = (float)node_attr_float(n, "value", 0.0);
    int V = in_at(n, 2);
    if (V >= 0) {
        const Tensor *v = tns(w, V);
        if (!v->data || v->dtype != DT_F32 || tensor_numel(v) != 1) return tw_fail(w, "the pad value must be a float constant");
        memcpy(&value, v->data, 4);
    }
    Layout nhwc = layout_nhwc();
    const char *xref;
    if (tw_use(w, X, &nhwc, &xref)) return -1;
    int64_t tblr[4] = {p[2], p[3], p[6], p[7]};
    const char *name = pad_node(w, tw_node_base(w), xref, tblr, value);
    set_out(w, n, name, &nhwc);
    return 0;
}
static int lower_avgpool(TfjsWriter *w, const Node *n) { return lower_pool(w, n, false); }

static int lower_gap(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0 || tns(w, X)->rank != 4) return tw_fail(w, "only rank-4 inputs are supported");
    Layout nhwc = layout_nhwc();
    const char *xref;
    if (tw_use(w, X, &nhwc, &xref)) return -1;
    const char *name = tw_name(w, tw_node_base(w));
    const char *axes = tw_const_i32(w, arena_printf(w->arena, "%s/reduction_indices", name), (int64_t[]){1, 2}, 2, false);
    json_object *node = tw_node(w, name, "Mean");
    tw_input(node, xref);
    tw_input(node, axes);
    tw_attr_type(node, "T", DT_F32);
    tw_attr_type(node, "Tidx", DT_I32);
    tw_attr_bool(node, "keep_dims", true);
    set_out(w, n, name, &nhwc);
    return 0;
}

/* The size [h * scale[0], w * scale[1]] of NHWC tensor xref computed in the graph (Shape ->
 * StridedSlice [1:3] -> Mul, int32), for a resize whose input size is not known when
 * writing; returns the Mul's name. */
static const char *dynamic_size(TfjsWriter *w, const char *name, const char *xref, const int64_t *scale)
{
    const char *shape = tw_subname(w, name, "shape");
    json_object *sn = tw_node(w, shape, "Shape");
    tw_input(sn, xref);
    tw_attr_type(sn, "T", DT_F32);
    tw_attr_type(sn, "out_type", DT_I32);
    const char *hw = tw_subname(w, name, "hw");
    const char *b = tw_const_i32(w, arena_printf(w->arena, "%s/begin", hw), (int64_t[]){1}, 1, false);
    const char *e = tw_const_i32(w, arena_printf(w->arena, "%s/end", hw), (int64_t[]){3}, 1, false);
    const char *st = tw_const_i32(w, arena_printf(w->arena, "%s/strides", hw), (int64_t[]){1}, 1, false);
    json_object *ss = tw_node(w, hw, "StridedSlice");
    tw_input(ss, shape);
    tw_input(ss, b);
    tw_input(ss, e);
    tw_input(ss, st);
    tw_attr_type(ss, "T", DT_I32);
    tw_attr_type(ss, "Index", DT_I32);
    tw_attr_int(ss, "begin_mask", 0);
    tw_attr_int(ss, "end_mask", 0);
    tw_attr_int(ss, "ellipsis_mask", 0);
    tw_attr_int(ss, "new_axis_mask", 0);
    tw_attr_int(ss, "shrink_axis_mask", 0);
    const char *size = tw_subname(w, name, "size");
    const char *k = tw_const_i32(w, arena_printf(w->arena, "%s/scale", size), scale, 2, false);
    json_object *mn = tw_node(w, size, "Mul");
    tw_input(mn, hw);
    tw_input(mn, k);
    tw_attr_type(mn, "T", DT_I32);
    return size;
}

static int lower_resize(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0), Y = out0(n);
    if (X < 0 || Y < 0) return tw_fail(w, "needs an input and an output");
    const Tensor *x = tns(w, X), *y = tns(w, Y);
    if (x->rank != 4 || y->rank != 4) return tw_fail(w, "only rank-4 resizing is supported");
    const char *mode = attr_str(n, "mode", "nearest");
    const char *ctm = attr_str(n, "coordinate_transformation_mode", "half_pixel");
    const char *nm = attr_str(n, "nearest_mode", "round_prefer_floor");
    if (strcmp(mode, "nearest") || strcmp(ctm, "asymmetric") || strcmp(nm, "floor"))
        return tw_fail(w, "only nearest/asymmetric/floor resizing (torch's Upsample) has a TF.js equivalent, not %s/%s/%s",
                       mode, ctm, nm);
    bool dynamic = x->dims[2] < 0 || x->dims[3] < 0;
    if (!dynamic && (y->dims[2] < 0 || y->dims[3] < 0)) return tw_fail(w, "needs static input and output shapes");
    /* TF.js samples floor(dst * in / out); ONNX floor(dst / scale): equal when out = in * scale */
    double sc[4] = {0};
    int ns = 0;
    const Attr *a = node_attr(n, "scales");
    if (a && a->type == ATTR_FLOATS && a->count == 4) {
        for (int i = 0; i < 4; i++) sc[i] = a->floats[i];
        ns = 4;
    } else if (in_at(n, 2) >= 0) {
        int64_t cnt;
        float *f = tw_const_floats(w, in_at(n, 2), &cnt);
        if (f && cnt == 4)
            for (int i = 0; i < 4; i++) sc[i] = f[i];
        ns = f ? (int)cnt : -1;
        free(f);
    }
    if (dynamic && ns != 4) return tw_fail(w, "an input of unknown height or width needs constant scales, not sizes");
    if (ns == 4) {
        if (sc[0] != 1 || sc[1] != 1) return tw_fail(w, "resizing the batch or channel axis is not supported");
        for (int i = 0; dynamic && i < 2; i++)
            if (sc[2 + i] != floor(sc[2 + i]) || sc[2 + i] < 1 || sc[2 + i] > 4096)
                return tw_fail(w, "scale %g: an input of unknown height or width takes whole scales 1..4096 only", sc[2 + i]);
        for (int i = 0; !dynamic && i < 2; i++)
            if (fabs((double)x->dims[2 + i] * sc[2 + i] - (double)y->dims[2 + i]) > 1e-6)
                return tw_fail(w, "scale %g does not map %lld to %lld exactly", sc[2 + i], (long long)x->dims[2 + i],
                               (long long)y->dims[2 + i]);
    } else if (ns > 0 || ns < 0) {
        return tw_fail(w, "the scales must be 4 constant values");
    }
    if (y->dims[0] != x->dims[0] || y->dims[1] != x->dims[1])
        return tw_fail(w, "resizing the batch or channel axis is not supported");
    Layout nhwc = layout_nhwc();
    const char *xref;
    if (tw_use(w, X, &nhwc, &xref)) return -1;
    const char *name = tw_name(w, tw_node_base(w));
    const char *size;
    if (dynamic) { /* the size in the graph: Shape(x)[1:3] * scales (int32) */
        int64_t whole[2] = {(int64_t)sc[2], (int64_t)sc[3]};
        size = dynamic_size(w, name, xref, whole);
    } else {
        size = tw_const_i32(w, arena_printf(w->arena, "%s/size", name), &y->dims[2], 2, false);
    }
    json_object *node = tw_node(w, name, "ResizeNearestNeighbor");
    tw_input(node, xref);
    tw_input(node, size);
    tw_attr_type(node, "T", DT_F32);
    tw_attr_bool(node, "align_corners", false);
    tw_attr_bool(node, "half_pixel_centers", false);
    set_out(w, n, name, &nhwc);
    return 0;
}

/* ---- element-wise ---------------------------------------------------------------------- */
static int unary_named(TfjsWriter *w, const Node *n, const char *op)
{
    const char *ref;
    Layout l;
    if (in_at(n, 0) < 0 || tw_use_any(w, in_at(n, 0), &ref, &l)) return in_at(n, 0) < 0 ? tw_fail(w, "no input") : -1;
    const char *name = tw_name(w, tw_node_base(w));
    json_object *node = tw_node(w, name, op);
    tw_input(node, ref);
    tw_attr_type(node, "T", tns(w, in_at(n, 0))->dtype);
    if (!strcmp(op, "LeakyRelu")) tw_attr_float(node, "alpha", node_attr_float(n, "alpha", 0.01));
    set_out(w, n, name, &l);
    return 0;
}

static int lower_sigmoid(TfjsWriter *w, const Node *n) { return unary_named(w, n, "Sigmoid"); }
static int lower_relu(TfjsWriter *w, const Node *n) { return unary_named(w, n, "Relu"); }

static int lower_silu(TfjsWriter *w, const Node *n)
{
    const char *ref;
    Layout l;
    if (in_at(n, 0) < 0) return tw_fail(w, "no input");
    if (tw_use_any(w, in_at(n, 0), &ref, &l)) return -1;
    const char *base = tw_node_base(w);
    const char *sig = tw_subname(w, base, "Sigmoid");
    json_object *s = tw_node(w, sig, "Sigmoid");
    tw_input(s, ref);
    tw_attr_type(s, "T", DT_F32);
    const char *name = tw_name(w, base);
    json_object *m = tw_node(w, name, "Mul");
    tw_input(m, ref);
    tw_input(m, sig);
    tw_attr_type(m, "T", DT_F32);
    set_out(w, n, name, &l);
    return 0;
}

/* Element-wise op of n_in operands with broadcasting: operands meet in one layout. */
static int elementwise(TfjsWriter *w, const Node *n, const char *op, int n_in)
{
    int Y = out0(n);
    if (Y < 0 || n->n_inputs < n_in) return tw_fail(w, "needs %d inputs and an output", n_in);
    int r = tns(w, Y)->rank;
    Layout L = layout_identity(r);
    for (int k = 0; k < n_in; k++) {
        int ti = in_at(n, k);
        if (ti < 0 || tw_const_tensor(w, ti) || tns(w, ti)->rank != r) continue;
        Layout l = tw_layout(w, ti);
        if (!layout_is_identity(&l)) {
            L = l;
            break;
        }
    }
    const char *refs[4];
    for (int k = 0; k < n_in; k++) {
        int ti = in_at(n, k);
        if (ti < 0) return tw_fail(w, "missing input %d", k);
        const Tensor *ct = tw_const_tensor(w, ti);
        if (ct && tw_const_numel(ct) == 1) {
            if (tw_use_scalar(w, ti, &refs[k])) return -1;
            continue;
        }
        int rk = tns(w, ti)->rank;
        Layout want = layout_is_identity(&L) && rk < r ? layout_identity(rk) : L;
        if (tw_use(w, ti, &want, &refs[k])) return -1;
    }
    const char *name = tw_name(w, tw_node_base(w));
    json_object *node = tw_node(w, name, op);
    for (int k = 0; k < n_in; k++) tw_input(node, refs[k]);
    tw_attr_type(node, "T", tns(w, in_at(n, 0))->dtype);
    set_out(w, n, name, &L);
    return 0;
}

static int lower_add(TfjsWriter *w, const Node *n) { return elementwise(w, n, "AddV2", 2); }
static int lower_sub(TfjsWriter *w, const Node *n) { return elementwise(w, n, "Sub", 2); }
static int lower_mul(TfjsWriter *w, const Node *n) { return elementwise(w, n, "Mul", 2); }

static int lower_div(TfjsWriter *w, const Node *n)
{
    if (in_at(n, 0) >= 0 && tw_tf_dtype(tns(w, in_at(n, 0))->dtype) != DT_F32)
        return tw_fail(w, "integer division (truncating in ONNX) has no TF.js equivalent");
    return elementwise(w, n, "RealDiv", 2);
}

static int lower_batchnorm(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0 || n->n_inputs < 5) return tw_fail(w, "needs an input, scale, bias, mean and variance");
    const Tensor *x = tns(w, X);
    if (x->rank < 2) return tw_fail(w, "the input needs a channel axis");
    int64_t C = x->dims[1], c[4];
    float *v[4];
    for (int k = 0; k < 4; k++) v[k] = tw_const_floats(w, in_at(n, k + 1), &c[k]);
    int rc = 0;
    for (int k = 0; k < 4; k++)
        if (!v[k] || (C >= 0 && c[k] != C) || c[k] != c[0]) rc = tw_fail(w, "scale, bias, mean and variance must be constants of one value per channel");
    const char *ref;
    Layout l;
    if (!rc) rc = tw_use_any(w, X, &ref, &l);
    if (!rc) {
        C = c[0];
        double eps = node_attr_float(n, "epsilon", 1e-5);
        float *scale = xmalloc(sizeof(float) * (size_t)C), *shift = xmalloc(sizeof(float) * (size_t)C);
        for (int64_t i = 0; i < C; i++) {
            scale[i] = v[0][i] / sqrtf(v[3][i] + (float)eps);
            shift[i] = v[1][i] - v[2][i] * scale[i];
        }
        int64_t dims[GRAPH_MAX_RANK];
        for (int i = 0; i < x->rank; i++) dims[i] = i == 1 ? C : 1;
        const char *base = tw_node_base(w);
        const char *sc = tw_const_f32_layout(w, arena_printf(w->arena, "%s/scale", base), x->rank, dims, scale, &l, false);
        const char *sh = tw_const_f32_layout(w, arena_printf(w->arena, "%s/shift", base), x->rank, dims, shift, &l, false);
        free(scale);
        free(shift);
        const char *mul = tw_subname(w, base, "mul");
        json_object *m = tw_node(w, mul, "Mul");
        tw_input(m, ref);
        tw_input(m, sc);
        tw_attr_type(m, "T", DT_F32);
        const char *name = tw_name(w, base);
        json_object *a = tw_node(w, name, "AddV2");
        tw_input(a, mul);
        tw_input(a, sh);
        tw_attr_type(a, "T", DT_F32);
        set_out(w, n, name, &l);
    }
    for (int k = 0; k < 4; k++) free(v[k]);
    return rc;
}

/* ---- shape and layout ops -------------------------------------------------------------- */
static int lower_concat(TfjsWriter *w, const Node *n)
{
    int Y = out0(n);
    if (Y < 0 || n->n_inputs < 1) return tw_fail(w, "needs inputs and an output");
    int r = tns(w, Y)->rank;
    int64_t axis = node_attr_int(n, "axis", 0);
    if (axis < -r || axis >= r) return tw_fail(w, "axis %lld is out of range for rank %d", (long long)axis, r);
    Layout L = layout_identity(r);
    for (int k = 0; k < n->n_inputs; k++) {
        int ti = in_at(n, k);
        if (ti >= 0 && !tw_const_tensor(w, ti) && tns(w, ti)->rank == r) {
            L = tw_layout(w, ti);
            break;
        }
    }
    const char **refs = xmalloc(sizeof(char *) * (size_t)n->n_inputs);
    int m = 0;
    for (int k = 0; k < n->n_inputs; k++) {
        int ti = in_at(n, k);
        if (ti < 0) continue;
        if (tns(w, ti)->rank != r) {
            free(refs);
            return tw_fail(w, "input %s has rank %d, not %d", tns(w, ti)->name, tns(w, ti)->rank, r);
        }
        if (tw_use(w, ti, &L, &refs[m++])) {
            free(refs);
            return -1;
        }
    }
    const char *name = tw_name(w, tw_node_base(w));
    json_object *node;
    if (m == 1) {
        node = tw_node(w, name, "Identity");
        tw_input(node, refs[0]);
    } else {
        int64_t pa = layout_phys_axis(&L, axis);
        const char *ax = tw_const_i32(w, arena_printf(w->arena, "%s/axis", name), &pa, 1, true);
        node = tw_node(w, name, "ConcatV2");
        for (int k = 0; k < m; k++) tw_input(node, refs[k]);
        tw_input(node, ax);
        tw_attr_int(node, "N", m);
        tw_attr_type(node, "Tidx", DT_I32);
    }
    tw_attr_type(node, "T", tns(w, Y)->dtype);
    free(refs);
    set_out(w, n, name, &L);
    return 0;
}

static int lower_split(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0 || n->n_outputs < 1) return tw_fail(w, "needs an input and outputs");
    const char *ref;
    Layout L;
    if (tw_use_any(w, X, &ref, &L)) return -1;
    const Tensor *x = tns(w, X);
    int64_t axis = node_attr_int(n, "axis", 0);
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis >= x->rank) return tw_fail(w, "axis out of range");
    int64_t sizes[64];
    int ns = n->n_outputs;
    if (ns > 64) return tw_fail(w, "more than 64 outputs");
    int c = ints_from(w, n, "split", 1, sizes, 64);
    if (c < 0) return tw_fail(w, "the split sizes must be constant");
    if (c == 0) {
        if (x->dims[axis] < 0 || x->dims[axis] % ns) return tw_fail(w, "cannot split axis %lld evenly", (long long)axis);
        for (int i = 0; i < ns; i++) sizes[i] = x->dims[axis] / ns;
    } else if (c != ns) {
        return tw_fail(w, "%d split sizes for %d outputs", c, ns);
    }
    const char *name = tw_name(w, tw_node_base(w));
    int64_t pa = layout_phys_axis(&L, axis);
    const char *sz = tw_const_i32(w, arena_printf(w->arena, "%s/size_splits", name), sizes, ns, false);
    const char *ax = tw_const_i32(w, arena_printf(w->arena, "%s/split_dim", name), &pa, 1, true);
    json_object *node = tw_node(w, name, "SplitV");
    tw_input(node, ref);
    tw_input(node, sz);
    tw_input(node, ax);
    tw_attr_int(node, "num_split", ns);
    tw_attr_type(node, "T", x->dtype);
    tw_attr_type(node, "Tlen", DT_I32);
    for (int k = 0; k < ns; k++)
        if (n->outputs[k] >= 0) tw_set(w, n->outputs[k], tw_ref(w, name, k), &L);
    return 0;
}

static int lower_slice(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0) return tw_fail(w, "no input");
    const Tensor *x = tns(w, X);
    int r = x->rank;
    int64_t st[GRAPH_MAX_RANK], en[GRAPH_MAX_RANK], ax[GRAPH_MAX_RANK], sp[GRAPH_MAX_RANK];
    int ns = ints_from(w, n, "starts", 1, st, GRAPH_MAX_RANK), ne = ints_from(w, n, "ends", 2, en, GRAPH_MAX_RANK);
    int na = ints_from(w, n, "axes", 3, ax, GRAPH_MAX_RANK), nst = ints_from(w, n, "steps", 4, sp, GRAPH_MAX_RANK);
    if (ns < 0 || ne < 0 || na < 0 || nst < 0) return tw_fail(w, "starts, ends, axes and steps must be constant");
    if (ns != ne || ns < 1 || (na && na != ns) || (nst && nst != ns)) return tw_fail(w, "inconsistent slice operands");
    int64_t b[GRAPH_MAX_RANK] = {0}, e[GRAPH_MAX_RANK] = {0}, s[GRAPH_MAX_RANK];
    bool full[GRAPH_MAX_RANK], open_end[GRAPH_MAX_RANK] = {false};
    for (int i = 0; i < r; i++) full[i] = true, s[i] = 1;
    for (int k = 0; k < ns; k++) {
        int64_t a = na ? ax[k] : k;
        if (a < 0) a += r;
        if (a < 0 || a >= r) return tw_fail(w, "slice axis out of range");
        int64_t step = nst ? sp[k] : 1, d = x->dims[a], sb = st[k], se = en[k];
        if (step == 0) return tw_fail(w, "slice step 0");
        if (d < 0) {
            if (step < 0 || sb < 0 || se < 0) return tw_fail(w, "a negative slice bound needs a static shape");
            b[a] = sb;
            if (se >= INT32_MAX) open_end[a] = true;
            else e[a] = se;
        } else {
            if (sb < 0) sb += d;
            if (se < 0) se += d;
            if (step > 0) {
                sb = sb < 0 ? 0 : sb > d ? d : sb;
                se = se < 0 ? 0 : se > d ? d : se;
            } else {
                sb = sb < 0 ? 0 : sb > d - 1 ? d - 1 : sb;
                se = se < -1 ? -1 : se > d - 1 ? d - 1 : se;
                if (se == -1) open_end[a] = true;
            }
            b[a] = sb, e[a] = se;
        }
        if (b[a] > INT32_MAX || e[a] > INT32_MAX || step > INT32_MAX || step < INT32_MIN)
            return tw_fail(w, "slice bounds outside int32");
        s[a] = step;
        full[a] = false;
    }
    const char *ref;
    Layout L;
    if (tw_use_any(w, X, &ref, &L)) return -1;
    int64_t pb[GRAPH_MAX_RANK], pe[GRAPH_MAX_RANK], ps[GRAPH_MAX_RANK];
    int64_t bmask = 0, emask = 0;
    for (int k = 0; k < r; k++) {
        int a = L.perm[k];
        pb[k] = b[a], pe[k] = e[a], ps[k] = s[a];
        if (full[a]) bmask |= 1 << k, emask |= 1 << k, pb[k] = 0, pe[k] = 0, ps[k] = 1;
        if (open_end[a]) emask |= 1 << k, pe[k] = 0;
    }
    const char *name = tw_name(w, tw_node_base(w));
    const char *cb = tw_const_i32(w, arena_printf(w->arena, "%s/begin", name), pb, r, false);
    const char *ce = tw_const_i32(w, arena_printf(w->arena, "%s/end", name), pe, r, false);
    const char *cs = tw_const_i32(w, arena_printf(w->arena, "%s/strides", name), ps, r, false);
    json_object *node = tw_node(w, name, "StridedSlice");
    tw_input(node, ref);
    tw_input(node, cb);
    tw_input(node, ce);
    tw_input(node, cs);
    tw_attr_type(node, "T", x->dtype);
    tw_attr_type(node, "Index", DT_I32);
    tw_attr_int(node, "begin_mask", bmask);
    tw_attr_int(node, "end_mask", emask);
    tw_attr_int(node, "ellipsis_mask", 0);
    tw_attr_int(node, "new_axis_mask", 0);
    tw_attr_int(node, "shrink_axis_mask", 0);
    set_out(w, n, name, &L);
    return 0;
}

/* Transpose relabels: the data stays, the layout records the permutation. */
static int lower_transpose(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0 || out0(n) < 0) return tw_fail(w, "needs an input and an output");
    int r = tns(w, X)->rank;
    int64_t perm[GRAPH_MAX_RANK];
    int c = node_attr_ints(n, "perm", perm, GRAPH_MAX_RANK);
    if (!c)
        for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
    else if (c != r) return tw_fail(w, "perm has %d values for rank %d", c, r);
    int inv[GRAPH_MAX_RANK], seen[GRAPH_MAX_RANK] = {0};
    for (int i = 0; i < r; i++) {
        if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]++) return tw_fail(w, "perm is not a permutation");
        inv[perm[i]] = i;
    }
    const char *ref;
    Layout in;
    if (tw_use_any(w, X, &ref, &in)) return -1;
    Layout out = {.rank = r};
    for (int k = 0; k < r; k++) out.perm[k] = inv[in.perm[k]];
    set_out(w, n, ref, &out);
    return 0;
}

static int lower_softmax(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0) return tw_fail(w, "no input");
    int r = tns(w, X)->rank;
    int64_t axis = node_attr_int(n, "axis", -1);
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r) return tw_fail(w, "axis out of range");
    Layout L = tw_layout(w, X);
    if (tw_const_tensor(w, X)) L = layout_identity(r);
    if (L.perm[r - 1] != axis) { /* move the axis last, keep the others' order */
        Layout q = {.rank = r};
        int j = 0;
        for (int k = 0; k < r; k++)
            if (L.perm[k] != axis) q.perm[j++] = L.perm[k];
        q.perm[r - 1] = (int)axis;
        L = q;
    }
    const char *ref;
    if (tw_use(w, X, &L, &ref)) return -1;
    const char *name = tw_name(w, tw_node_base(w));
    json_object *node = tw_node(w, name, "Softmax");
    tw_input(node, ref);
    tw_attr_type(node, "T", DT_F32);
    set_out(w, n, name, &L);
    return 0;
}

/* Reshape, Flatten, Squeeze, Unsqueeze: a Reshape to the output's static shape. */
static int lower_reshape(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0), Y = out0(n);
    if (X < 0 || Y < 0) return tw_fail(w, "needs an input and an output");
    const Tensor *x = tns(w, X), *y = tns(w, Y);
    int64_t dims[GRAPH_MAX_RANK];
    int r = y->rank;
    if (dims_known(y)) {
        memcpy(dims, y->dims, sizeof(int64_t) * (size_t)r);
    } else if (n->op == OP_RESHAPE) {
        int c = ints_from(w, n, "shape", 1, dims, GRAPH_MAX_RANK);
        if (c != r) return tw_fail(w, "the target shape must be constant");
        bool allowzero = node_attr_int(n, "allowzero", 0) != 0;
        for (int i = 0; i < r; i++)
            if (dims[i] == 0 && !allowzero) {
                if (i >= x->rank || x->dims[i] < 0) return tw_fail(w, "a copied dimension is not static");
                dims[i] = x->dims[i];
            }
    } else {
        return tw_fail(w, "needs a static output shape");
    }
    Layout id = layout_identity(x->rank);
    const char *ref;
    if (tw_use(w, X, &id, &ref)) return -1;
    const char *name = tw_name(w, tw_node_base(w));
    const char *sc = tw_const_i32(w, arena_printf(w->arena, "%s/shape", name), dims, r, false);
    json_object *node = tw_node(w, name, "Reshape");
    tw_input(node, ref);
    tw_input(node, sc);
    tw_attr_type(node, "T", x->dtype);
    tw_attr_type(node, "Tshape", DT_I32);
    Layout out = layout_identity(r);
    set_out(w, n, name, &out);
    return 0;
}

static int lower_identity(TfjsWriter *w, const Node *n)
{
    const char *ref;
    Layout l;
    if (in_at(n, 0) < 0) return tw_fail(w, "no input");
    if (tw_use_any(w, in_at(n, 0), &ref, &l)) return -1;
    set_out(w, n, ref, &l);
    return 0;
}

/* Constants are materialised where they are used, in the layout each use wants. */
static int lower_constant(TfjsWriter *w, const Node *n)
{
    if (out0(n) >= 0 && !tw_const_tensor(w, out0(n))) return tw_fail(w, "only a tensor 'value' is supported");
    return 0;
}

static int lower_cast(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0) return tw_fail(w, "no input");
    DType to = dtype_from_onnx((int)node_attr_int(n, "to", 1));
    if (to == DT_UNDEFINED || to == DT_STRING) return tw_fail(w, "cannot cast to that type in TF.js");
    const char *ref;
    Layout l;
    if (tw_use_any(w, X, &ref, &l)) return -1;
    DType from = tns(w, X)->dtype;
    if (tw_tf_dtype(from) == tw_tf_dtype(to)) { /* e.g. float16 -> float32: one type in TF.js */
        set_out(w, n, ref, &l);
        return 0;
    }
    const char *name = tw_name(w, tw_node_base(w));
    json_object *node = tw_node(w, name, "Cast");
    tw_input(node, ref);
    tw_attr_type(node, "SrcT", from);
    tw_attr_type(node, "DstT", to);
    tw_attr_bool(node, "Truncate", false);
    set_out(w, n, name, &l);
    return 0;
}

/* An operand for MatMul: plain, or plain with its last two axes swapped (-> a transpose flag). */
static int matmul_operand(TfjsWriter *w, int ti, const char **ref, bool *flip)
{
    int r = tns(w, ti)->rank;
    Layout id = layout_identity(r);
    *flip = false;
    if (!tw_const_tensor(w, ti)) {
        Layout l = tw_layout(w, ti);
        Layout sw = id;
        sw.perm[r - 1] = r - 2, sw.perm[r - 2] = r - 1;
        if (r >= 2 && layout_equal(&l, &sw)) {
            *flip = true;
            return tw_use(w, ti, &sw, ref);
        }
    }
    return tw_use(w, ti, &id, ref);
}

static int lower_matmul(TfjsWriter *w, const Node *n)
{
    int A = in_at(n, 0), B = in_at(n, 1);
    if (A < 0 || B < 0) return tw_fail(w, "needs two inputs");
    int ra = tns(w, A)->rank, rb = tns(w, B)->rank;
    if (ra < 2 || rb < 2) return tw_fail(w, "rank-1 operands are not supported");
    const char *a, *b;
    bool ta, tb;
    if (matmul_operand(w, A, &a, &ta) || matmul_operand(w, B, &b, &tb)) return -1;
    const char *name = tw_name(w, tw_node_base(w));
    bool plain = ra == 2 && rb == 2;
    json_object *node = tw_node(w, name, plain ? "MatMul" : "BatchMatMulV2");
    tw_input(node, a);
    tw_input(node, b);
    tw_attr_type(node, "T", DT_F32);
    tw_attr_bool(node, plain ? "transpose_a" : "adj_x", ta);
    tw_attr_bool(node, plain ? "transpose_b" : "adj_y", tb);
    Layout out = layout_identity(tns(w, out0(n))->rank);
    set_out(w, n, name, &out);
    return 0;
}

static int lower_gemm(TfjsWriter *w, const Node *n)
{
    int A = in_at(n, 0), B = in_at(n, 1), C = in_at(n, 2);
    if (A < 0 || B < 0) return tw_fail(w, "needs two inputs");
    if (tns(w, A)->rank != 2 || tns(w, B)->rank != 2) return tw_fail(w, "operands must have rank 2");
    const char *a, *b;
    bool fa, fb;
    if (matmul_operand(w, A, &a, &fa) || matmul_operand(w, B, &b, &fb)) return -1;
    bool ta = (node_attr_int(n, "transA", 0) != 0) != fa, tb = (node_attr_int(n, "transB", 0) != 0) != fb;
    double alpha = node_attr_float(n, "alpha", 1.0), beta = node_attr_float(n, "beta", 1.0);
    const char *base = tw_node_base(w);
    bool more = C >= 0 || alpha != 1.0;
    const char *mm = more ? tw_subname(w, base, "MatMul") : tw_name(w, base);
    json_object *node = tw_node(w, mm, "MatMul");
    tw_input(node, a);
    tw_input(node, b);
    tw_attr_type(node, "T", DT_F32);
    tw_attr_bool(node, "transpose_a", ta);
    tw_attr_bool(node, "transpose_b", tb);
    const char *cur = mm;
    if (alpha != 1.0) {
        const char *k = tw_const_f32_scalar(w, arena_printf(w->arena, "%s/alpha", base), (float)alpha);
        const char *name = C >= 0 ? tw_subname(w, base, "alpha") : tw_name(w, base);
        json_object *m = tw_node(w, name, "Mul");
        tw_input(m, cur);
        tw_input(m, k);
        tw_attr_type(m, "T", DT_F32);
        cur = name;
    }
    if (C >= 0) {
        const char *cref;
        const Tensor *ct = tw_const_tensor(w, C);
        if (ct) {
            int64_t cnt;
            float *cv = tw_const_floats(w, C, &cnt);
            if (!cv) return tw_fail(w, "bad bias constant");
            for (int64_t i = 0; i < cnt; i++) cv[i] = (float)(cv[i] * beta);
            cref = tw_const_f32_layout(w, tns(w, C)->name, ct->rank, ct->dims, cv, NULL, ct->is_param);
            free(cv);
        } else {
            if (beta != 1.0) return tw_fail(w, "beta with a computed C is not supported");
            Layout id = layout_identity(tns(w, C)->rank);
            if (tw_use(w, C, &id, &cref)) return -1;
        }
        const char *name = tw_name(w, base);
        json_object *ad = tw_node(w, name, "AddV2");
        tw_input(ad, cur);
        tw_input(ad, cref);
        tw_attr_type(ad, "T", DT_F32);
        cur = name;
    }
    Layout out = layout_identity(2);
    set_out(w, n, cur, &out);
    return 0;
}

/* The layout left after removing the IR axes flagged in drop (and renumbering). */
static Layout drop_axes(const Layout *l, const bool *drop)
{
    int map[GRAPH_MAX_RANK], j = 0;
    for (int a = 0; a < l->rank; a++) map[a] = drop[a] ? -1 : j++;
    Layout o = {.rank = j};
    int k2 = 0;
    for (int k = 0; k < l->rank; k++)
        if (!drop[l->perm[k]]) o.perm[k2++] = map[l->perm[k]];
    return o;
}

static int lower_reduce_max(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0) return tw_fail(w, "no input");
    int r = tns(w, X)->rank;
    int64_t axes[GRAPH_MAX_RANK];
    int c = ints_from(w, n, "axes", 1, axes, GRAPH_MAX_RANK);
    if (c < 0) return tw_fail(w, "the axes must be constant");
    bool keep = node_attr_int(n, "keepdims", 1) != 0, drop[GRAPH_MAX_RANK] = {false};
    if (c == 0) {
        if (node_attr_int(n, "noop_with_empty_axes", 0)) return lower_identity(w, n);
        for (int i = 0; i < r; i++) axes[i] = i;
        c = r;
    }
    const char *ref;
    Layout L;
    if (tw_use_any(w, X, &ref, &L)) return -1;
    int64_t pa[GRAPH_MAX_RANK];
    for (int i = 0; i < c; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
        if (a < 0 || a >= r) return tw_fail(w, "axis out of range");
        pa[i] = layout_phys_axis(&L, a);
        drop[a] = true;
    }
    const char *name = tw_name(w, tw_node_base(w));
    const char *ac = tw_const_i32(w, arena_printf(w->arena, "%s/reduction_indices", name), pa, c, false);
    json_object *node = tw_node(w, name, "Max");
    tw_input(node, ref);
    tw_input(node, ac);
    tw_attr_type(node, "T", tns(w, X)->dtype);
    tw_attr_type(node, "Tidx", DT_I32);
    tw_attr_bool(node, "keep_dims", keep);
    Layout out = keep ? L : drop_axes(&L, drop);
    set_out(w, n, name, &out);
    return 0;
}

static int lower_argmax(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0) return tw_fail(w, "no input");
    if (node_attr_int(n, "select_last_index", 0)) return tw_fail(w, "select_last_index is not supported");
    int r = tns(w, X)->rank;
    int64_t axis = node_attr_int(n, "axis", 0);
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r) return tw_fail(w, "axis out of range");
    bool keep = node_attr_int(n, "keepdims", 1) != 0, drop[GRAPH_MAX_RANK] = {false};
    drop[axis] = true;
    const char *ref;
    Layout L;
    if (tw_use_any(w, X, &ref, &L)) return -1;
    int64_t pa = layout_phys_axis(&L, axis);
    const char *base = tw_node_base(w);
    const char *name = keep ? tw_subname(w, base, "ArgMax") : tw_name(w, base);
    const char *ac = tw_const_i32(w, arena_printf(w->arena, "%s/dimension", name), &pa, 1, true);
    json_object *node = tw_node(w, name, "ArgMax");
    tw_input(node, ref);
    tw_input(node, ac);
    tw_attr_type(node, "T", tns(w, X)->dtype);
    tw_attr_type(node, "Tidx", DT_I32);
    tw_attr_type(node, "output_type", DT_I32);
    const char *res = name;
    Layout out = drop_axes(&L, drop);
    if (keep) { /* put the axis back where it was, as size 1 */
        res = tw_name(w, base);
        const char *ec = tw_const_i32(w, arena_printf(w->arena, "%s/dim", res), &pa, 1, true);
        json_object *ex = tw_node(w, res, "ExpandDims");
        tw_input(ex, name);
        tw_input(ex, ec);
        tw_attr_type(ex, "T", DT_I32);
        tw_attr_type(ex, "Tdim", DT_I32);
        out = L;
    }
    set_out(w, n, res, &out);
    return 0;
}

/* CumSum(x, axis): TF's Cumsum, the axis a constant remapped to x's layout. */
static int lower_cumsum(TfjsWriter *w, const Node *n)
{
    int X = in_at(n, 0);
    if (X < 0 || in_at(n, 1) < 0) return tw_fail(w, "needs an input and an axis");
    int64_t axis;
    if (tw_const_ints(w, in_at(n, 1), &axis, 1) != 1) return tw_fail(w, "the axis must be one constant integer");
    const char *ref;
    Layout L;
    if (tw_use_any(w, X, &ref, &L)) return -1;
    int64_t pa = layout_phys_axis(&L, axis);
    if (pa < 0) return tw_fail(w, "axis %lld is out of range for rank %d", (long long)axis, L.rank);
    const char *name = tw_name(w, tw_node_base(w));
    const char *ac = tw_const_i32(w, arena_printf(w->arena, "%s/axis", name), &pa, 1, true);
    json_object *node = tw_node(w, name, "Cumsum");
    tw_input(node, ref);
    tw_input(node, ac);
    tw_attr_type(node, "T", tns(w, X)->dtype);
    tw_attr_type(node, "Tidx", DT_I32);
    tw_attr_bool(node, "exclusive", node_attr_int(n, "exclusive", 0) != 0);
    tw_attr_bool(node, "reverse", node_attr_int(n, "reverse", 0) != 0);
    set_out(w, n, name, &L);
    return 0;
}

/* ---- the op table ---------------------------------------------------------------------- */
typedef struct {
    OpWriteSupport support;
    LowerFn fn;
    const char *tf; /* lower_named: the TF op */
    int n_in;       /* lower_named: 1 unary, 2 binary */
} TfjsOp;

static const TfjsOp tfjs_ops[OP_COUNT];

/* Ops that are one TF op of the same inputs (TF's name in the table). */
static int lower_named(TfjsWriter *w, const Node *n)
{
    const TfjsOp *t = &tfjs_ops[n->op];
    if (t->n_in == 1) return unary_named(w, n, t->tf);
    if (n->n_inputs != 2) return tw_fail(w, "only the two-input form is supported");
    return elementwise(w, n, t->tf, 2);
}

/* Every op: how the TF.js writer lowers it (OP_WRITE_NO: TF.js has no equivalent, refused
 * by name before anything is written; so is every op yoloport does not know). */
static const TfjsOp tfjs_ops[OP_COUNT] = {
    [OP_CONV] = {OP_WRITE_YES, lower_conv, NULL, 0},
    [OP_CONV_TRANSPOSE] = {OP_WRITE_YES, lower_conv_transpose, NULL, 0},
    [OP_BATCHNORM] = {OP_WRITE_YES, lower_batchnorm, NULL, 0},
    [OP_SILU] = {OP_WRITE_YES, lower_silu, NULL, 0},
    [OP_SIGMOID] = {OP_WRITE_YES, lower_sigmoid, NULL, 0},
    [OP_RELU] = {OP_WRITE_YES, lower_relu, NULL, 0},
    [OP_ADD] = {OP_WRITE_YES, lower_add, NULL, 0},
    [OP_SUB] = {OP_WRITE_YES, lower_sub, NULL, 0},
    [OP_MUL] = {OP_WRITE_YES, lower_mul, NULL, 0},
    [OP_DIV] = {OP_WRITE_YES, lower_div, NULL, 0},
    [OP_CONCAT] = {OP_WRITE_YES, lower_concat, NULL, 0},
    [OP_SPLIT] = {OP_WRITE_YES, lower_split, NULL, 0},
    [OP_SLICE] = {OP_WRITE_YES, lower_slice, NULL, 0},
    [OP_MAXPOOL] = {OP_WRITE_YES, lower_maxpool, NULL, 0},
    [OP_AVGPOOL] = {OP_WRITE_YES, lower_avgpool, NULL, 0},
    [OP_GLOBAL_AVGPOOL] = {OP_WRITE_YES, lower_gap, NULL, 0},
    [OP_RESIZE] = {OP_WRITE_YES, lower_resize, NULL, 0},
    [OP_RESHAPE] = {OP_WRITE_YES, lower_reshape, NULL, 0},
    [OP_TRANSPOSE] = {OP_WRITE_YES, lower_transpose, NULL, 0},
    [OP_SOFTMAX] = {OP_WRITE_YES, lower_softmax, NULL, 0},
    [OP_MATMUL] = {OP_WRITE_YES, lower_matmul, NULL, 0},
    [OP_GEMM] = {OP_WRITE_YES, lower_gemm, NULL, 0},
    [OP_FLATTEN] = {OP_WRITE_YES, lower_reshape, NULL, 0},
    [OP_IDENTITY] = {OP_WRITE_YES, lower_identity, NULL, 0},
    [OP_CONSTANT] = {OP_WRITE_YES, lower_constant, NULL, 0},
    [OP_CAST] = {OP_WRITE_YES, lower_cast, NULL, 0},
    [OP_SHAPE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_GATHER] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_UNSQUEEZE] = {OP_WRITE_YES, lower_reshape, NULL, 0},
    [OP_SQUEEZE] = {OP_WRITE_YES, lower_reshape, NULL, 0},
    [OP_REDUCE_MAX] = {OP_WRITE_YES, lower_reduce_max, NULL, 0},
    [OP_ARGMAX] = {OP_WRITE_YES, lower_argmax, NULL, 0},
    [OP_TOPK] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_NMS] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_GLOBAL_MAXPOOL] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_UPSAMPLE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_SWISH] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_EXP] = {OP_WRITE_YES, lower_named, "Exp", 1},
    [OP_LOG] = {OP_WRITE_YES, lower_named, "Log", 1},
    [OP_SQRT] = {OP_WRITE_YES, lower_named, "Sqrt", 1},
    [OP_NEG] = {OP_WRITE_YES, lower_named, "Neg", 1},
    [OP_ABS] = {OP_WRITE_YES, lower_named, "Abs", 1},
    [OP_TANH] = {OP_WRITE_YES, lower_named, "Tanh", 1},
    [OP_FLOOR] = {OP_WRITE_YES, lower_named, "Floor", 1},
    [OP_CEIL] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_ROUND] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_RECIPROCAL] = {OP_WRITE_YES, lower_named, "Reciprocal", 1},
    [OP_ERF] = {OP_WRITE_YES, lower_named, "Erf", 1},
    [OP_LEAKY_RELU] = {OP_WRITE_YES, lower_named, "LeakyRelu", 1},
    [OP_HARD_SIGMOID] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_HARD_SWISH] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_SIN] = {OP_WRITE_YES, lower_named, "Sin", 1},
    [OP_COS] = {OP_WRITE_YES, lower_named, "Cos", 1},
    [OP_SOFTPLUS] = {OP_WRITE_YES, lower_named, "Softplus", 1},
    [OP_GELU] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_ELU] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_SIGN] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_MISH] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_POW] = {OP_WRITE_YES, lower_named, "Pow", 2},
    [OP_MIN] = {OP_WRITE_YES, lower_named, "Minimum", 2},
    [OP_MAX] = {OP_WRITE_YES, lower_named, "Maximum", 2},
    [OP_MOD] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_EQUAL] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_LESS] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_GREATER] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_LESS_OR_EQUAL] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_GREATER_OR_EQUAL] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_AND] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_OR] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_XOR] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_NOT] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_WHERE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_CLIP] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_LOG_SOFTMAX] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_HARDMAX] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_REDUCE_MIN] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_REDUCE_SUM] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_REDUCE_MEAN] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_REDUCE_PROD] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_REDUCE_SUM_SQUARE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_REDUCE_LOG_SUM] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_REDUCE_LOG_SUM_EXP] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_REDUCE_L1] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_REDUCE_L2] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_ARGMIN] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_DROPOUT] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_SIZE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_GATHER_ELEMENTS] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_EXPAND] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_TILE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_RANGE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_CONSTANT_OF_SHAPE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_PAD] = {OP_WRITE_YES, lower_pad, NULL, 0},
    [OP_QUANTIZE_LINEAR] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_DEQUANTIZE_LINEAR] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_FAKE_QUANTIZE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_GRID_SAMPLE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_SCATTER_UPDATE] = {OP_WRITE_NO, NULL, NULL, 0},
    [OP_CUMSUM] = {OP_WRITE_YES, lower_cumsum, NULL, 0},
    [OP_OTHER] = {OP_WRITE_NO, NULL, NULL, 0},
};
static_assert(ARRAY_LEN(tfjs_ops) == OP_COUNT, "the TF.js writer's op table has a row per OpKind");

OpWriteSupport tfjs_write_op_support(OpKind op) { return (unsigned)op < OP_COUNT ? tfjs_ops[op].support : OP_WRITE_UNSET; }

OpWriteSupport tfjs_node_support(const Node *n) { return tfjs_write_op_support(n->op); }

int tfjs_lower_node(TfjsWriter *w, int ni)
{
    const Node *n = &w->g->nodes[ni];
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
        return tw_fail(w, "ops of domain %s have no TF.js equivalent", n->domain);
    if (tfjs_node_support(n) != OP_WRITE_YES) return tw_fail(w, "TF.js has no equivalent for this op");
    return tfjs_ops[n->op].fn(w, n);
}
