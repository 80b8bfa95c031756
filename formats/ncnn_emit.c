/* ncnn_emit: the ncnn writer's op table and one emitter per IR op — the layers, parameters
 * and weights each op becomes (formats/ncnn.h lists them), built through the helpers of
 * formats/ncnn_write.c. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/ncnn.h"
#include "formats/ncnn_write_impl.h"

/* ---- activations fused into convolutions ----------------------------------------------- */

/* When the only reader of n's output is an activation ncnn fuses (activation_type 1..6),
 * set it on layer L and take over its output: the tensor whose blob L's output becomes. */
static int fuse_activation(W *w, const Node *n, int L)
{
    int t = n->outputs[0];
    const Tensor *x = nw_T(w, t);
    if (x->is_output || w->uses[t] != 1) return t;
    const Node *a = &w->g->nodes[w->first_use[t]];
    if (a->n_outputs != 1 || a->inputs[0] != t) return t;
    double p[2] = {0, 0};
    int type = 0, np = 0;
    switch (a->op) {
    case OP_RELU: type = 1; break;
    case OP_LEAKY_RELU: type = 2; p[0] = node_attr_float(a, "alpha", 0.01); np = 1; break;
    case OP_SIGMOID: type = 4; break;
    case OP_MISH: type = 5; break;
    case OP_HARD_SWISH: type = 6; p[0] = 1.0 / 6; p[1] = 0.5; np = 2; break;
    case OP_CLIP: {
        p[0] = -FLT_MAX, p[1] = FLT_MAX;
        p[0] = node_attr_float(a, "min", p[0]);
        p[1] = node_attr_float(a, "max", p[1]);
        for (int k = 1; k < 3 && k < a->n_inputs; k++) {
            if (a->inputs[k] < 0) continue;
            int64_t cnt;
            float *v = nw_const_floats(w, a->inputs[k], &cnt);
            if (!v || cnt != 1) {
                free(v);
                return t;
            }
            p[k - 1] = v[0];
            free(v);
        }
        type = 3, np = 2;
        break;
    }
    default: return t;
    }
    nw_p_int(w, L, 9, type);
    if (np) nw_p_floats(w, L, 10, p, np);
    w->done[w->first_use[t]] = true;
    return a->outputs[0];
}

/* ---- convolutions ----------------------------------------------------------------------- */

typedef struct {
    int64_t kernel[2], stride[2], dilation[2], pads[4]; /* pads: top, left, bottom, right */
} Geometry;

/* Kernel, strides, dilations and explicit pads of a 2-D conv or pool node, auto_pad
 * resolved from the static input and output sizes.  0 or -1 + message. */
static int geometry(W *w, const Node *n, const Tensor *x, const Tensor *y, const int64_t *kernel_dims,
                    Geometry *geo)
{
    int64_t v[4];
    for (int i = 0; i < 2; i++) geo->kernel[i] = kernel_dims ? kernel_dims[i] : 0, geo->stride[i] = 1,
                                 geo->dilation[i] = 1;
    if (node_attr_ints(n, "kernel_shape", v, 4) == 2) geo->kernel[0] = v[0], geo->kernel[1] = v[1];
    if (node_attr_ints(n, "strides", v, 4) == 2) geo->stride[0] = v[0], geo->stride[1] = v[1];
    if (node_attr_ints(n, "dilations", v, 4) == 2) geo->dilation[0] = v[0], geo->dilation[1] = v[1];
    memset(geo->pads, 0, sizeof geo->pads);
    if (node_attr_ints(n, "pads", v, 4) == 4) memcpy(geo->pads, v, sizeof v);
    for (int i = 0; i < 2; i++)
        if (geo->kernel[i] <= 0 || geo->kernel[i] > 1 << 16 || geo->stride[i] <= 0 || geo->stride[i] > 1 << 16 ||
            geo->dilation[i] <= 0 || geo->dilation[i] > 1 << 16)
            return nw_fail(w, n, "kernel, stride or dilation out of range");
    for (int i = 0; i < 4; i++)
        if (geo->pads[i] < 0 || geo->pads[i] > 1 << 16) return nw_fail(w, n, "pads out of range");
    const Attr *ap = node_attr(n, "auto_pad");
    if (ap && ap->type == ATTR_STRING && ap->s && strcmp(ap->s, "NOTSET") && strcmp(ap->s, "VALID")) {
        bool lower = !strcmp(ap->s, "SAME_LOWER");
        if (!lower && strcmp(ap->s, "SAME_UPPER")) return nw_fail(w, n, "auto_pad '%s' is not known", ap->s);
        for (int i = 0; i < 2; i++) {
            int64_t in = x->dims[2 + i], out = y->dims[2 + i];
            if (in < 0 || out < 0) return nw_fail(w, n, "auto_pad %s on a size that depends on the input has no ncnn form", ap->s);
            int64_t total = (out - 1) * geo->stride[i] + (geo->kernel[i] - 1) * geo->dilation[i] + 1 - in;
            if (total < 0) total = 0;
            geo->pads[i] = lower ? total - total / 2 : total / 2;
            geo->pads[2 + i] = total - geo->pads[i];
        }
    } else if (ap && ap->type == ATTR_STRING && ap->s && !strcmp(ap->s, "VALID")) {
        memset(geo->pads, 0, sizeof geo->pads);
    }
    return 0;
}

static void p_geometry(W *w, int L, const Geometry *g, int id_kernel, int id_dilation, int id_stride, int id_pad)
{
    nw_p_int(w, L, id_kernel, g->kernel[1]);
    nw_p_int(w, L, id_kernel + 10, g->kernel[0]);
    if (id_dilation >= 0) {
        nw_p_int(w, L, id_dilation, g->dilation[1]);
        nw_p_int(w, L, id_dilation + 10, g->dilation[0]);
    }
    nw_p_int(w, L, id_stride, g->stride[1]);
    nw_p_int(w, L, id_stride + 10, g->stride[0]);
}

static int emit_conv(W *w, const Node *n)
{
    const Tensor *x = nw_T(w, n->inputs[0]), *y = nw_T(w, n->outputs[0]);
    const Tensor *wt = n->n_inputs > 1 ? nw_const_of(w, n->inputs[1]) : NULL;
    if (!x || !y) return nw_fail(w, n, "an input or output is missing");
    if (!wt) return nw_fail(w, n, "its weights are not a constant (ncnn convolutions hold their weights)");
    if (wt->rank != 4 || x->rank != 4 || y->rank != 4)
        return nw_fail(w, n, "only 2-D convolutions are written (weights of rank %d)", wt->rank);
    int64_t group = node_attr_int(n, "group", 1);
    int64_t O = wt->dims[0], Cg = wt->dims[1];
    if (group <= 0 || O <= 0 || Cg <= 0 || O % group || x->dims[1] != Cg * group || y->dims[1] != O)
        return nw_fail(w, n, "channels (%lld in, %lld out, group %lld) do not fit its weights", (long long)x->dims[1],
                    (long long)y->dims[1], (long long)group);
    Geometry geo;
    if (geometry(w, n, x, y, wt->dims + 2, &geo)) return -1;
    int64_t nw;
    float *wv = nw_const_floats(w, n->inputs[1], &nw);
    if (!wv || nw != O * Cg * geo.kernel[0] * geo.kernel[1]) {
        free(wv);
        return nw_fail(w, n, "weights %lld values, not what the kernel %lldx%lld implies", (long long)nw,
                    (long long)geo.kernel[0], (long long)geo.kernel[1]);
    }
    float *bv = NULL;
    int64_t nb = 0;
    if (n->n_inputs > 2 && n->inputs[2] >= 0) {
        bv = nw_const_floats(w, n->inputs[2], &nb);
        if (!bv || nb != O) {
            free(wv), free(bv);
            return nw_fail(w, n, "its bias is not a constant of %lld values", (long long)O);
        }
    }
    int b;
    if (nw_in_blob(w, n, 0, &b)) {
        free(wv), free(bv);
        return -1;
    }
    int L = nw_layer(w, group == 1 ? "Convolution" : "ConvolutionDepthWise", n->name);
    nw_layer_in(w, L, b);
    nw_p_int(w, L, 0, O);
    p_geometry(w, L, &geo, 1, 2, 3, 4);
    nw_p_int(w, L, 4, geo.pads[1]);
    nw_p_int(w, L, 15, geo.pads[3]);
    nw_p_int(w, L, 14, geo.pads[0]);
    nw_p_int(w, L, 16, geo.pads[2]);
    nw_p_int(w, L, 5, bv != NULL);
    nw_p_int(w, L, 6, nw);
    if (group != 1) nw_p_int(w, L, 7, group);
    int t = fuse_activation(w, n, L);
    nw_bin_tagged(w, wv, (size_t)nw);
    if (bv) nw_bin_raw(w, bv, (size_t)nb);
    free(wv), free(bv);
    return nw_out_tensor(w, n, L, t);
}

static int emit_conv_transpose(W *w, const Node *n)
{
    const Tensor *x = nw_T(w, n->inputs[0]), *y = nw_T(w, n->outputs[0]);
    const Tensor *wt = n->n_inputs > 1 ? nw_const_of(w, n->inputs[1]) : NULL;
    if (!x || !y) return nw_fail(w, n, "an input or output is missing");
    if (!wt) return nw_fail(w, n, "its weights are not a constant");
    if (wt->rank != 4 || x->rank != 4 || y->rank != 4) return nw_fail(w, n, "only 2-D transposed convolutions are written");
    int64_t group = node_attr_int(n, "group", 1);
    int64_t Cin = wt->dims[0], Og = wt->dims[1], kh = wt->dims[2], kw = wt->dims[3];
    if (group <= 0 || Cin % group || x->dims[1] != Cin || y->dims[1] != Og * group)
        return nw_fail(w, n, "channels do not fit its weights");
    Geometry geo;
    int64_t kd[2] = {kh, kw};
    if (geometry(w, n, x, y, kd, &geo)) return -1;
    int64_t op[2] = {0, 0}, v[4];
    if (node_attr_ints(n, "output_padding", v, 4) == 2) op[0] = v[0], op[1] = v[1];
    for (int i = 0; i < 2 && x->dims[2 + i] >= 0; i++) { /* an unknown size: the same formula in ncnn */
        int64_t out = (x->dims[2 + i] - 1) * geo.stride[i] + geo.dilation[i] * (geo.kernel[i] - 1) + 1 -
                      geo.pads[i] - geo.pads[2 + i] + op[i];
        if (out != y->dims[2 + i])
            return nw_fail(w, n, "its output size %lld is not what ncnn computes (%lld)", (long long)y->dims[2 + i],
                        (long long)out);
    }
    int64_t nw;
    float *wv = nw_const_floats(w, n->inputs[1], &nw);
    if (!wv || nw != Cin * Og * kh * kw) {
        free(wv);
        return nw_fail(w, n, "weights do not match their shape");
    }
    float *bv = NULL;
    int64_t nb = 0, O = Og * group;
    if (n->n_inputs > 2 && n->inputs[2] >= 0) {
        bv = nw_const_floats(w, n->inputs[2], &nb);
        if (!bv || nb != O) {
            free(wv), free(bv);
            return nw_fail(w, n, "its bias is not a constant of %lld values", (long long)O);
        }
    }
    /* [in, out/g, kh, kw] -> per group [out/g][in/g][kh][kw], as ncnn's deconvolutions read */
    int64_t Cig = Cin / group, maxk = kh * kw;
    float *re = xmalloc((size_t)nw * sizeof *re);
    size_t o = 0;
    for (int64_t g = 0; g < group; g++)
        for (int64_t p = 0; p < Og; p++)
            for (int64_t q = 0; q < Cig; q++)
                for (int64_t k = 0; k < maxk; k++) re[o++] = wv[((g * Cig + q) * Og + p) * maxk + k];
    free(wv);
    int b;
    if (nw_in_blob(w, n, 0, &b)) {
        free(re), free(bv);
        return -1;
    }
    int L = nw_layer(w, group == 1 ? "Deconvolution" : "DeconvolutionDepthWise", n->name);
    nw_layer_in(w, L, b);
    nw_p_int(w, L, 0, O);
    p_geometry(w, L, &geo, 1, 2, 3, 4);
    nw_p_int(w, L, 4, geo.pads[1]);
    nw_p_int(w, L, 15, geo.pads[3]);
    nw_p_int(w, L, 14, geo.pads[0]);
    nw_p_int(w, L, 16, geo.pads[2]);
    nw_p_int(w, L, 18, op[1]);
    nw_p_int(w, L, 19, op[0]);
    nw_p_int(w, L, 5, bv != NULL);
    nw_p_int(w, L, 6, nw);
    if (group != 1) nw_p_int(w, L, 7, group);
    int t = fuse_activation(w, n, L);
    nw_bin_tagged(w, re, (size_t)nw);
    if (bv) nw_bin_raw(w, bv, (size_t)nb);
    free(re), free(bv);
    return nw_out_tensor(w, n, L, t);
}

static int emit_batchnorm(W *w, const Node *n)
{
    if (n->n_inputs < 5 || n->n_outputs < 1) return nw_fail(w, n, "needs 5 inputs");
    const Tensor *x = nw_T(w, n->inputs[0]);
    if (!x || x->rank < 2) return nw_fail(w, n, "input of rank < 2");
    int64_t C = x->dims[1];
    float *v[4] = {NULL};
    int64_t cnt[4];
    int order[4] = {1, 3, 4, 2}; /* ncnn: slope, mean, var, bias */
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        v[i] = nw_const_floats(w, n->inputs[order[i]], &cnt[i]);
        if (!v[i] || cnt[i] != C) rc = nw_fail(w, n, "its parameters are not constants of %lld values", (long long)C);
    }
    int L = -1, b;
    if (!rc && !(rc = nw_in_blob(w, n, 0, &b))) {
        L = nw_layer(w, "BatchNorm", n->name);
        nw_layer_in(w, L, b);
        nw_p_int(w, L, 0, C);
        nw_p_float(w, L, 1, node_attr_float(n, "epsilon", 1e-5));
        for (int i = 0; i < 4; i++) nw_bin_raw(w, v[i], (size_t)C);
        rc = nw_out_tensor(w, n, L, n->outputs[0]);
    }
    for (int i = 0; i < 4; i++) free(v[i]);
    return rc;
}

/* ---- elementwise ------------------------------------------------------------------------ */

/* ncnn BinaryOp op_type for an IR op, and its reversed form (constant first). */
static int binary_type(OpKind op, bool reversed)
{
    switch (op) {
    case OP_ADD: return 0;
    case OP_SUB: return reversed ? 7 : 1;
    case OP_MUL: return 2;
    case OP_DIV: return reversed ? 8 : 3;
    case OP_MAX: return 4;
    case OP_MIN: return 5;
    case OP_POW: return reversed ? 9 : 6;
    default: return -1;
    }
}

static int emit_binary(W *w, const Node *n)
{
    if (n->n_inputs != 2 || n->n_outputs != 1) return nw_fail(w, n, "ncnn's BinaryOp takes exactly two inputs");
    int R = nw_rank_of(w, n->outputs[0]);
    for (int k = 0; k < 2; k++) {
        int64_t cnt;
        float *v = nw_const_of(w, n->inputs[k]) ? nw_const_floats(w, n->inputs[k], &cnt) : NULL;
        if (v && cnt == 1 && !nw_const_of(w, n->inputs[1 - k])) {
            float s = v[0];
            free(v);
            int b;
            if (nw_rank_of(w, n->inputs[1 - k]) != R) break; /* the scalar would change the shape */
            if (nw_in_blob(w, n, 1 - k, &b)) return -1;
            int L = nw_layer(w, "BinaryOp", n->name);
            nw_layer_in(w, L, b);
            nw_p_int(w, L, 0, binary_type(n->op, k == 0));
            nw_p_int(w, L, 1, 1);
            nw_p_float(w, L, 2, s);
            return nw_out_tensor(w, n, L, n->outputs[0]);
        }
        free(v);
    }
    int a, b;
    if (nw_in_blob_at(w, n, n->inputs[0], R, &a) || nw_in_blob_at(w, n, n->inputs[1], R, &b)) return -1;
    int L = nw_layer(w, "BinaryOp", n->name);
    nw_layer_in(w, L, a);
    nw_layer_in(w, L, b);
    nw_p_int(w, L, 0, binary_type(n->op, false));
    return nw_out_tensor(w, n, L, n->outputs[0]);
}

/* Ops that are one ncnn layer of their own with fixed parameters. */
static int emit_activation(W *w, const Node *n)
{
    int L;
    switch (n->op) {
    case OP_SILU: case OP_SWISH: return nw_simple(w, n, "Swish", &L);
    case OP_SIGMOID: return nw_simple(w, n, "Sigmoid", &L);
    case OP_RELU: return nw_simple(w, n, "ReLU", &L);
    case OP_TANH: return nw_simple(w, n, "TanH", &L);
    case OP_MISH: return nw_simple(w, n, "Mish", &L);
    case OP_SOFTPLUS: return nw_simple(w, n, "Softplus", &L);
    case OP_ERF: return nw_simple(w, n, "Erf", &L);
    case OP_LEAKY_RELU:
        if (nw_simple(w, n, "ReLU", &L)) return -1;
        nw_p_float(w, L, 0, node_attr_float(n, "alpha", 0.01));
        return 0;
    case OP_ELU:
        if (nw_simple(w, n, "ELU", &L)) return -1;
        nw_p_float(w, L, 0, node_attr_float(n, "alpha", 1.0));
        return 0;
    case OP_HARD_SIGMOID:
        if (nw_simple(w, n, "HardSigmoid", &L)) return -1;
        nw_p_float(w, L, 0, node_attr_float(n, "alpha", 0.2));
        nw_p_float(w, L, 1, node_attr_float(n, "beta", 0.5));
        return 0;
    case OP_HARD_SWISH:
        if (nw_simple(w, n, "HardSwish", &L)) return -1;
        nw_p_float(w, L, 0, 1.0 / 6);
        nw_p_float(w, L, 1, 0.5);
        return 0;
    case OP_GELU: {
        const Attr *a = node_attr(n, "approximate");
        bool tanh_form = a && a->type == ATTR_STRING && a->s && !strcmp(a->s, "tanh");
        if (nw_simple(w, n, "GELU", &L)) return -1;
        if (tanh_form) nw_p_int(w, L, 0, 1);
        return 0;
    }
    case OP_CLIP: {
        double lo = node_attr_float(n, "min", -FLT_MAX), hi = node_attr_float(n, "max", FLT_MAX);
        for (int k = 1; k < 3 && k < n->n_inputs; k++) {
            if (n->inputs[k] < 0) continue;
            int64_t cnt;
            float *v = nw_const_floats(w, n->inputs[k], &cnt);
            if (!v || cnt != 1) {
                free(v);
                return nw_fail(w, n, "its bounds are not constants");
            }
            if (k == 1) lo = v[0];
            else hi = v[0];
            free(v);
        }
        if (nw_simple(w, n, "Clip", &L)) return -1;
        nw_p_float(w, L, 0, lo);
        nw_p_float(w, L, 1, hi);
        return 0;
    }
    default: return nw_fail(w, n, "no ncnn activation layer");
    }
}

static int emit_unaryop(W *w, const Node *n)
{
    static const struct {
        OpKind op;
        int type;
    } map[] = {{OP_ABS, 0}, {OP_NEG, 1}, {OP_FLOOR, 2}, {OP_CEIL, 3}, {OP_SQRT, 5}, {OP_EXP, 7}, {OP_LOG, 8},
               {OP_SIN, 9}, {OP_COS, 10}, {OP_RECIPROCAL, 15}, {OP_ROUND, 18}};
    for (size_t i = 0; i < ARRAY_LEN(map); i++)
        if (map[i].op == n->op) {
            int L;
            if (nw_simple(w, n, "UnaryOp", &L)) return -1;
            nw_p_int(w, L, 0, map[i].type);
            return 0;
        }
    return nw_fail(w, n, "no ncnn UnaryOp");
}

/* Identity, Dropout, a float32 Cast: the output is the input's blob.  A graph output that
 * would share its blob with another output or the input gets a copy (Noop). */
static int emit_alias(W *w, const Node *n)
{
    if (n->n_outputs < 1) return nw_fail(w, n, "has no output");
    for (int k = 1; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0 && w->uses[n->outputs[k]] > 0)
            return nw_fail(w, n, "its second output (the mask) has no ncnn form");
    const Tensor *y = nw_T(w, n->outputs[0]);
    if (n->op == OP_CAST && (node_attr_int(n, "to", 1) != 1 || y->dtype != DT_F32))
        return nw_fail(w, n, "ncnn blobs are float32: a cast to %s has no ncnn form", dtype_name(y->dtype));
    int t = n->inputs[0], b;
    if (nw_rank_of(w, t) != y->rank) return nw_fail(w, n, "changes the rank");
    if (nw_in_blob(w, n, 0, &b)) return -1;
    const NBlob *src = NB(w, b);
    bool copy = y->is_output && (src->graph_in >= 0 || nw_T(w, t)->is_output);
    if (!copy) {
        w->tblob[n->outputs[0]] = b;
        return 0;
    }
    int L = nw_layer(w, "Noop", n->name);
    nw_layer_in(w, L, b);
    return nw_out_tensor(w, n, L, n->outputs[0]);
}

/* ---- shape ops ------------------------------------------------------------------------ */

static int emit_concat(W *w, const Node *n)
{
    int R = nw_rank_of(w, n->outputs[0]), axis;
    if (nw_nc_axis(w, n, node_attr_int(n, "axis", 0), R, &axis)) return -1;
    for (int k = 0; k < n->n_inputs; k++)
        if (nw_rank_of(w, n->inputs[k]) != R) return nw_fail(w, n, "inputs of different ranks");
    int *in = xmalloc(sizeof(int) * (size_t)(n->n_inputs + 1));
    for (int k = 0; k < n->n_inputs; k++)
        if (nw_in_blob(w, n, k, &in[k])) {
            free(in);
            return -1;
        }
    int L = nw_layer(w, "Concat", n->name);
    for (int k = 0; k < n->n_inputs; k++) nw_layer_in(w, L, in[k]);
    free(in);
    nw_p_int(w, L, 0, axis);
    return nw_out_tensor(w, n, L, n->outputs[0]);
}

static int emit_split(W *w, const Node *n)
{
    int R = nw_rank_of(w, n->inputs[0]), axis, b;
    int64_t a = node_attr_int(n, "axis", 0);
    if (nw_nc_axis(w, n, a, R, &axis)) return -1;
    if (a < 0) a += R;
    long long *sizes = xmalloc(sizeof(long long) * (size_t)(n->n_outputs + 1));
    int64_t total = 0;
    for (int k = 0; k < n->n_outputs; k++) {
        const Tensor *y = nw_T(w, n->outputs[k]);
        if (!y || y->rank != R || y->dims[a] < 0) {
            free(sizes);
            return nw_fail(w, n, "an output's shape is unknown");
        }
        sizes[k] = y->dims[a];
        total += y->dims[a];
    }
    if (total != nw_T(w, n->inputs[0])->dims[a]) {
        free(sizes);
        return nw_fail(w, n, "its parts do not add up to the input");
    }
    if (nw_in_blob(w, n, 0, &b)) {
        free(sizes);
        return -1;
    }
    int L = nw_layer(w, "Slice", n->name);
    nw_layer_in(w, L, b);
    nw_p_ints(w, L, 0, sizes, n->n_outputs);
    nw_p_int(w, L, 1, axis);
    free(sizes);
    for (int k = 0; k < n->n_outputs; k++)
        if (nw_out_tensor(w, n, L, n->outputs[k])) return -1;
    return 0;
}

/* ONNX Slice (data, starts, ends, axes, steps) with constant bounds and step 1 -> Crop. */
static int emit_slice(W *w, const Node *n)
{
    const Tensor *x = nw_T(w, n->inputs[0]);
    if (!x || n->n_inputs < 3) return nw_fail(w, n, "needs data, starts and ends");
    int R = x->rank;
    int64_t st[GRAPH_MAX_RANK], en[GRAPH_MAX_RANK], ax[GRAPH_MAX_RANK], sp[GRAPH_MAX_RANK];
    int ns = nw_const_ints(w, n->inputs[1], st, GRAPH_MAX_RANK), ne = nw_const_ints(w, n->inputs[2], en, GRAPH_MAX_RANK);
    int na = n->n_inputs > 3 && n->inputs[3] >= 0 ? nw_const_ints(w, n->inputs[3], ax, GRAPH_MAX_RANK) : ns;
    int nsp = n->n_inputs > 4 && n->inputs[4] >= 0 ? nw_const_ints(w, n->inputs[4], sp, GRAPH_MAX_RANK) : ns;
    if (ns < 0 || ne != ns || na != ns || nsp != ns) return nw_fail(w, n, "its bounds are not constants");
    if (!(n->n_inputs > 3 && n->inputs[3] >= 0))
        for (int i = 0; i < ns; i++) ax[i] = i;
    if (!(n->n_inputs > 4 && n->inputs[4] >= 0))
        for (int i = 0; i < ns; i++) sp[i] = 1;
    long long s[GRAPH_MAX_RANK], e[GRAPH_MAX_RANK], a[GRAPH_MAX_RANK];
    int k = 0;
    for (int i = 0; i < ns; i++) {
        int64_t axis = ax[i] < 0 ? ax[i] + R : ax[i];
        if (axis < 0 || axis >= R) return nw_fail(w, n, "axis out of range");
        if (sp[i] != 1) return nw_fail(w, n, "slices with step %lld (ncnn's Crop takes step 1)", (long long)sp[i]);
        int64_t d = x->dims[axis], b = st[i], f = en[i];
        if (d < 0) { /* a size that depends on the input: only the whole of it has a fixed form */
            if (b == 0 && f >= INT_MAX) continue;
            return nw_fail(w, n, "slices %lld..%lld of a dim that depends on the input size (export with "
                           "dynamic=False)", (long long)b, (long long)f);
        }
        if (b < 0) b += d;
        if (f < 0) f += d;
        b = b < 0 ? 0 : b > d ? d : b;
        f = f < 0 ? 0 : f > d ? d : f;
        if (f <= b) return nw_fail(w, n, "an empty slice has no ncnn form");
        if (axis == 0) {
            if (b != 0 || f != d) return nw_fail(w, n, "slices the batch axis");
            continue;
        }
        s[k] = b, e[k] = f, a[k] = axis - 1;
        k++;
    }
    int b;
    if (nw_in_blob(w, n, 0, &b)) return -1;
    if (k == 0) {
        w->tblob[n->outputs[0]] = b;
        return 0;
    }
    int L = nw_layer(w, "Crop", n->name);
    nw_layer_in(w, L, b);
    nw_p_ints(w, L, 9, s, k);
    nw_p_ints(w, L, 10, e, k);
    nw_p_ints(w, L, 11, a, k);
    return nw_out_tensor(w, n, L, n->outputs[0]);
}

/* Reshape, Flatten, Squeeze, Unsqueeze: the output's static shape. */
static int emit_reshape(W *w, const Node *n)
{
    const Tensor *y = nw_T(w, n->outputs[0]);
    int s[4], b;
    if (!y) return nw_fail(w, n, "has no output");
    int k = nw_nc_shape(w, n, y, y->rank, s);
    if (k < 0 || nw_shape_param(w, n, y, s, k) || nw_in_blob(w, n, 0, &b)) return -1;
    if (n->op == OP_FLATTEN && k == 1) {
        int L = nw_layer(w, "Flatten", n->name);
        nw_layer_in(w, L, b);
        return nw_out_tensor(w, n, L, n->outputs[0]);
    }
    int L = nw_layer(w, "Reshape", n->name);
    nw_layer_in(w, L, b);
    nw_p_shape(w, L, s, k);
    return nw_out_tensor(w, n, L, n->outputs[0]);
}

/* ncnn Permute order types: for each, the input axis (w, h, d or c) that becomes the
 * output's w, h, (d,) c — as ncnn's permute.cpp lists them. */
static const char *const permute3[] = {"whc", "hwc", "wch", "cwh", "hcw", "chw"};
static const char *const permute4[] = {"whdc", "hwdc", "wdhc", "dwhc", "hdwc", "dhwc", "whcd", "hwcd",
                                       "wchd", "cwhd", "hcwd", "chwd", "wdch", "dwch", "wcdh", "cwdh",
                                       "dcwh", "cdwh", "hdcw", "dhcw", "hcdw", "chdw", "dchw", "cdhw"};

/* The order type whose numpy permutation (outermost first, without the batch) is perm[0..k). */
static int permute_type(const int *perm, int k)
{
    if (k == 1) return perm[0] == 0 ? 0 : -1;
    if (k == 2) return perm[0] == 0 ? 0 : 1;
    const char *const *table = k == 3 ? permute3 : permute4;
    int count = k == 3 ? 6 : 24;
    const char *axes = k == 3 ? "chw" : "cdhw"; /* numpy index of each letter */
    for (int t = 0; t < count; t++) {
        bool ok = true;
        for (int i = 0; i < k && ok; i++) {
            char letter = table[t][k - 1 - i]; /* output axis i (outermost first) */
            ok = (int)(strchr(axes, letter) - axes) == perm[i];
        }
        if (ok) return t;
    }
    return -1;
}

static int emit_transpose(W *w, const Node *n)
{
    const Tensor *x = nw_T(w, n->inputs[0]);
    if (!x) return nw_fail(w, n, "has no input");
    int R = x->rank, b;
    int64_t perm[GRAPH_MAX_RANK];
    int np = node_attr_ints(n, "perm", perm, GRAPH_MAX_RANK);
    if (np == 0) {
        np = R;
        for (int i = 0; i < R; i++) perm[i] = R - 1 - i;
    }
    if (np != R || R < 2 || R > 5) return nw_fail(w, n, "perm does not fit the input's rank");
    if (perm[0] != 0) return nw_fail(w, n, "moves the batch axis, which ncnn blobs do not have");
    int p[4];
    for (int i = 1; i < R; i++) {
        if (perm[i] < 1 || perm[i] >= R) return nw_fail(w, n, "perm out of range");
        p[i - 1] = (int)perm[i] - 1;
    }
    int type = permute_type(p, R - 1);
    if (type < 0) return nw_fail(w, n, "no ncnn Permute order for this perm");
    if (nw_in_blob(w, n, 0, &b)) return -1;
    int L = nw_layer(w, "Permute", n->name);
    nw_layer_in(w, L, b);
    nw_p_int(w, L, 0, type);
    return nw_out_tensor(w, n, L, n->outputs[0]);
}

static int emit_softmax(W *w, const Node *n)
{
    int R = nw_rank_of(w, n->inputs[0]), axis, L;
    if (nw_nc_axis(w, n, node_attr_int(n, "axis", -1), R, &axis)) return -1;
    if (nw_simple(w, n, "Softmax", &L)) return -1;
    nw_p_int(w, L, 0, axis);
    nw_p_int(w, L, 1, 1);
    return 0;
}

static int emit_pool(W *w, const Node *n)
{
    const Tensor *x = nw_T(w, n->inputs[0]), *y = nw_T(w, n->outputs[0]);
    if (!x || !y || x->rank != 4 || y->rank != 4) return nw_fail(w, n, "only 2-D pooling is written");
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && w->uses[n->outputs[1]] > 0)
        return nw_fail(w, n, "its indices output has no ncnn form");
    Geometry geo;
    if (geometry(w, n, x, y, NULL, &geo)) return -1;
    if (geo.dilation[0] != 1 || geo.dilation[1] != 1) return nw_fail(w, n, "dilated pooling has no ncnn form");
    bool avg = n->op == OP_AVGPOOL;
    bool ceil_mode = node_attr_int(n, "ceil_mode", 0) != 0;
    /* ncnn: pad_mode 1 pads as given (floor); pad_mode 0 pads the tail up to a whole stride */
    int pad_mode = 1;
    for (int i = 0; i < 2; i++) {
        if (x->dims[2 + i] < 0) { /* an unknown size: floor rounding, as ncnn's pad_mode 1 */
            if (ceil_mode && geo.stride[i] > 1)
                return nw_fail(w, n, "ceil_mode pooling on a size that depends on the input has no fixed ncnn form");
            continue;
        }
        int64_t span = x->dims[2 + i] + geo.pads[i] + geo.pads[2 + i] - geo.kernel[i];
        if (span < 0) return nw_fail(w, n, "kernel larger than the padded input");
        int64_t floor_out = span / geo.stride[i] + 1, full_out = (span + geo.stride[i] - 1) / geo.stride[i] + 1;
        if (y->dims[2 + i] == floor_out) continue;
        if (ceil_mode && y->dims[2 + i] == full_out && !avg) pad_mode = 0;
        else return nw_fail(w, n, "its output size %lld is not what ncnn computes", (long long)y->dims[2 + i]);
    }
    if (pad_mode == 0)
        for (int i = 0; i < 2 && x->dims[2 + i] >= 0; i++) {
            int64_t span = x->dims[2 + i] + geo.pads[i] + geo.pads[2 + i] - geo.kernel[i];
            int64_t full_out = (span + geo.stride[i] - 1) / geo.stride[i] + 1;
            if (y->dims[2 + i] != full_out) return nw_fail(w, n, "ceil_mode output sizes differ from ncnn's");
        }
    int b;
    if (nw_in_blob(w, n, 0, &b)) return -1;
    int L = nw_layer(w, "Pooling", n->name);
    nw_layer_in(w, L, b);
    nw_p_int(w, L, 0, avg ? 1 : 0);
    nw_p_int(w, L, 1, geo.kernel[1]);
    nw_p_int(w, L, 11, geo.kernel[0]);
    nw_p_int(w, L, 2, geo.stride[1]);
    nw_p_int(w, L, 12, geo.stride[0]);
    nw_p_int(w, L, 3, geo.pads[1]);
    nw_p_int(w, L, 14, geo.pads[3]);
    nw_p_int(w, L, 13, geo.pads[0]);
    nw_p_int(w, L, 15, geo.pads[2]);
    nw_p_int(w, L, 5, pad_mode);
    if (avg) nw_p_int(w, L, 6, node_attr_int(n, "count_include_pad", 0) != 0);
    return nw_out_tensor(w, n, L, n->outputs[0]);
}

/* Global pooling gives ncnn a 1-D [C]; a Reshape brings it back to the IR's [C, 1, 1]. */
static int emit_global_pool(W *w, const Node *n)
{
    const Tensor *x = nw_T(w, n->inputs[0]), *y = nw_T(w, n->outputs[0]);
    if (!x || !y || x->rank != 4 || y->rank != 4) return nw_fail(w, n, "only 2-D global pooling is written");
    int b;
    if (nw_in_blob(w, n, 0, &b)) return -1;
    int L = nw_layer(w, "Pooling", n->name);
    nw_layer_in(w, L, b);
    nw_p_int(w, L, 0, n->op == OP_GLOBAL_AVGPOOL ? 1 : 0);
    nw_p_int(w, L, 4, 1);
    int flat = nw_layer_out(w, L);
    int R = nw_layer(w, "Reshape", arena_printf(w->arena, "%s/reshape", n->name));
    nw_layer_in(w, R, flat);
    int s[3] = {(int)x->dims[1], 1, 1};
    nw_p_shape(w, R, s, 3);
    return nw_out_tensor(w, n, R, n->outputs[0]);
}

static bool attr_is(const Node *n, const char *name, const char *dflt, const char *want)
{
    const Attr *a = node_attr(n, name);
    const char *v = a && a->type == ATTR_STRING && a->s ? a->s : dflt;
    return !strcmp(v, want);
}

/* The height and width scales of a Resize (inputs x, roi, scales, sizes) or Upsample (x,
 * scales) given as constants [1, 1, sh, sw]: 0, or -1 + message (sizes alone fix the output
 * size, which a dynamic ncnn Interp cannot take). */
static int resize_scales(W *w, const Node *n, double out[2])
{
    int k = n->op == OP_UPSAMPLE ? 1 : 2;
    int64_t cnt = 0;
    float *v = n->n_inputs > k && n->inputs[k] >= 0 ? nw_const_floats(w, n->inputs[k], &cnt) : NULL;
    bool ok = v && cnt == 4 && v[0] == 1.f && v[1] == 1.f && v[2] > 0 && v[3] > 0 && v[2] < 65536 && v[3] < 65536;
    if (ok) out[0] = v[2], out[1] = v[3];
    free(v);
    if (!ok)
        return nw_fail(w, n, "resizes a size that depends on the input without constant scales [1, 1, h, w] "
                       "(ncnn's Interp scales it; export with dynamic=False)");
    return 0;
}

static int emit_resize(W *w, const Node *n)
{
    const Tensor *x = nw_T(w, n->inputs[0]), *y = nw_T(w, n->outputs[0]);
    if (!x || !y || x->rank != 4 || y->rank != 4) return nw_fail(w, n, "only 2-D (NCHW) resizes are written");
    if (x->dims[1] != y->dims[1]) return nw_fail(w, n, "resizes the channel axis");
    int64_t ih = x->dims[2], iw = x->dims[3], oh = y->dims[2], ow = y->dims[3];
    double scale[2] = {0, 0};
    if (ih < 0 || iw < 0 || oh < 0 || ow < 0) { /* sizes that depend on the input: by the node's scales */
        if (resize_scales(w, n, scale)) return -1;
    } else if (oh % ih == 0 && ow % iw == 0) { /* an integer upscale on both axes */
        scale[0] = (double)(oh / ih), scale[1] = (double)(ow / iw);
    }
    bool whole = scale[0] >= 1 && scale[1] >= 1 && scale[0] == floor(scale[0]) && scale[1] == floor(scale[1]);
    int type, align = 0;
    if (attr_is(n, "mode", "nearest", "nearest")) {
        type = 1;
        /* ncnn picks floor(x * in / out): PyTorch's asymmetric/floor, and for an integer
         * upscale also half-pixel with either rounding (the same source pixels) */
        bool asym_floor = attr_is(n, "coordinate_transformation_mode", "half_pixel", "asymmetric") &&
                          attr_is(n, "nearest_mode", "round_prefer_floor", "floor");
        bool half_round = (attr_is(n, "coordinate_transformation_mode", "half_pixel", "half_pixel") ||
                           attr_is(n, "coordinate_transformation_mode", "half_pixel", "pytorch_half_pixel")) &&
                          !attr_is(n, "nearest_mode", "round_prefer_floor", "floor") &&
                          !attr_is(n, "nearest_mode", "round_prefer_floor", "ceil");
        if (n->op != OP_UPSAMPLE && !asym_floor && !(whole && half_round))
            return nw_fail(w, n, "this nearest resize (coordinate transformation and rounding) has no ncnn form");
    } else if (attr_is(n, "mode", "nearest", "linear") || attr_is(n, "mode", "nearest", "cubic")) {
        type = attr_is(n, "mode", "nearest", "linear") ? 2 : 3;
        if (attr_is(n, "coordinate_transformation_mode", "half_pixel", "align_corners")) align = 1;
        else if (!attr_is(n, "coordinate_transformation_mode", "half_pixel", "half_pixel") &&
                 !attr_is(n, "coordinate_transformation_mode", "half_pixel", "pytorch_half_pixel"))
            return nw_fail(w, n, "this coordinate transformation has no ncnn form");
        if (type == 3 && fabs(node_attr_float(n, "cubic_coeff_a", -0.75) + 0.75) > 1e-6)
            return nw_fail(w, n, "cubic_coeff_a other than -0.75 has no ncnn form");
    } else {
        return nw_fail(w, n, "this resize mode has no ncnn form");
    }
    int b;
    if (nw_in_blob(w, n, 0, &b)) return -1;
    int L = nw_layer(w, "Interp", n->name);
    nw_layer_in(w, L, b);
    nw_p_int(w, L, 0, type);
    if (scale[0] > 0) {
        nw_p_float(w, L, 1, scale[0]);
        nw_p_float(w, L, 2, scale[1]);
    } else {
        nw_p_int(w, L, 3, oh);
        nw_p_int(w, L, 4, ow);
    }
    if (align) nw_p_int(w, L, 6, 1);
    return nw_out_tensor(w, n, L, n->outputs[0]);
}

/* ---- products and reductions ------------------------------------------------------------- */

/* [1, K] x constant [N, K] (+ bias [N]) -> InnerProduct. */
static int inner_product(W *w, const Node *n, int in_tensor, const float *wv, int64_t N, int64_t K, const float *bv)
{
    int b;
    if (nw_in_blob_at(w, n, in_tensor, 2, &b)) return -1;
    int L = nw_layer(w, "InnerProduct", n->name);
    nw_layer_in(w, L, b);
    nw_p_int(w, L, 0, N);
    nw_p_int(w, L, 1, bv != NULL);
    nw_p_int(w, L, 2, N * K);
    int t = fuse_activation(w, n, L);
    nw_bin_tagged(w, wv, (size_t)(N * K));
    if (bv) nw_bin_raw(w, bv, (size_t)N);
    return nw_out_tensor(w, n, L, t);
}

static int emit_gemm(W *w, const Node *n)
{
    const Tensor *a = nw_T(w, n->inputs[0]), *bt = n->n_inputs > 1 ? nw_const_of(w, n->inputs[1]) : NULL;
    if (!a || a->rank != 2 || node_attr_int(n, "transA", 0)) return nw_fail(w, n, "only [1, K] x constant is written");
    if (!bt || bt->rank != 2) return nw_fail(w, n, "its second input is not a constant matrix");
    bool transB = node_attr_int(n, "transB", 0) != 0;
    int64_t K = a->dims[1], N = transB ? bt->dims[0] : bt->dims[1];
    if ((transB ? bt->dims[1] : bt->dims[0]) != K) return nw_fail(w, n, "shapes do not fit");
    double alpha = node_attr_float(n, "alpha", 1), beta = node_attr_float(n, "beta", 1);
    int64_t cnt;
    float *bv = nw_const_floats(w, n->inputs[1], &cnt);
    if (!bv || cnt != N * K) {
        free(bv);
        return nw_fail(w, n, "weights do not match their shape");
    }
    float *wv = xmalloc((size_t)(N * K) * sizeof *wv);
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < K; j++) wv[i * K + j] = (float)(alpha * (transB ? bv[i * K + j] : bv[j * N + i]));
    free(bv);
    float *cv = NULL;
    if (n->n_inputs > 2 && n->inputs[2] >= 0) {
        int64_t nc;
        float *c = nw_const_floats(w, n->inputs[2], &nc);
        if (!c || (nc != N && nc != 1)) {
            free(c), free(wv);
            return nw_fail(w, n, "its bias is not a constant of %lld values", (long long)N);
        }
        cv = xmalloc((size_t)N * sizeof *cv);
        for (int64_t i = 0; i < N; i++) cv[i] = (float)(beta * c[nc == 1 ? 0 : i]);
        free(c);
    }
    int rc = inner_product(w, n, n->inputs[0], wv, N, K, cv);
    free(wv), free(cv);
    return rc;
}

static int emit_matmul(W *w, const Node *n)
{
    const Tensor *a = nw_T(w, n->inputs[0]), *bt = nw_T(w, n->inputs[1]);
    if (!a || !bt) return nw_fail(w, n, "an input is missing");
    const Tensor *bc = nw_const_of(w, n->inputs[1]);
    if (bc && bc->rank == 2 && a->rank == 2) { /* [1, K] x [K, N] */
        int64_t K = bc->dims[0], N = bc->dims[1], cnt;
        float *bv = nw_const_floats(w, n->inputs[1], &cnt);
        if (!bv || cnt != K * N || a->dims[1] != K) {
            free(bv);
            return nw_fail(w, n, "shapes do not fit");
        }
        float *wv = xmalloc((size_t)(K * N) * sizeof *wv);
        for (int64_t i = 0; i < N; i++)
            for (int64_t j = 0; j < K; j++) wv[i * K + j] = bv[j * N + i];
        free(bv);
        int rc = inner_product(w, n, n->inputs[0], wv, N, K, NULL);
        free(wv);
        return rc;
    }
    int ba, bb;
    if (a->rank < 3) return nw_fail(w, n, "a [1, K] left operand needs a constant right operand");
    if (bc && bc->rank == 2) { /* a constant matrix shared by every batch: ncnn broadcasts a 2-D B */
        int64_t cnt;
        float *bv = nw_const_floats(w, n->inputs[1], &cnt);
        if (!bv || bc->dims[0] > INT_MAX || bc->dims[1] > INT_MAX) {
            free(bv);
            return nw_fail(w, n, "its right operand is not a float constant");
        }
        int M = nw_layer(w, "MemoryData", bc->name);
        int s[2] = {(int)bc->dims[0], (int)bc->dims[1]};
        nw_p_shape(w, M, s, 2);
        nw_bin_raw(w, bv, (size_t)cnt);
        free(bv);
        bb = nw_layer_out(w, M);
    } else {
        if (bt->rank != a->rank) return nw_fail(w, n, "operands of different ranks");
        if (nw_in_blob(w, n, 1, &bb)) return -1;
    }
    if (nw_in_blob(w, n, 0, &ba)) return -1;
    int L = nw_layer(w, "MatMul", n->name);
    nw_layer_in(w, L, ba);
    nw_layer_in(w, L, bb);
    return nw_out_tensor(w, n, L, n->outputs[0]);
}

static int emit_reduce(W *w, const Node *n)
{
    const Tensor *x = nw_T(w, n->inputs[0]), *y = nw_T(w, n->outputs[0]);
    if (!x || !y) return nw_fail(w, n, "an input or output is missing");
    int64_t axes[GRAPH_MAX_RANK];
    int na = node_attr_ints(n, "axes", axes, GRAPH_MAX_RANK);
    if (na == 0 && n->n_inputs > 1 && n->inputs[1] >= 0) na = nw_const_ints(w, n->inputs[1], axes, GRAPH_MAX_RANK);
    if (na <= 0) return nw_fail(w, n, "reduces over all axes or axes that are not constant");
    int64_t keep = node_attr_int(n, "keepdims", 1);
    long long nax[GRAPH_MAX_RANK];
    for (int i = 0; i < na; i++) {
        int ax;
        if (nw_nc_axis(w, n, axes[i], x->rank, &ax)) return -1;
        nax[i] = ax;
    }
    int op = n->op == OP_REDUCE_SUM ? 0 : n->op == OP_REDUCE_MEAN ? 3 : n->op == OP_REDUCE_MAX ? 4 : 5;
    int L;
    if (!keep && y->rank < 2) return nw_fail(w, n, "reduces every axis but the batch without keepdims");
    if (nw_simple(w, n, "Reduction", &L)) return -1;
    nw_p_int(w, L, 0, op);
    nw_p_int(w, L, 1, 0);
    nw_p_ints(w, L, 3, nax, na);
    nw_p_int(w, L, 4, keep != 0);
    nw_p_int(w, L, 5, 1);
    return 0;
}

static int emit_constant(W *w, const Node *n) { return 0; /* its value is read where it is used */ }

/* CumSum (x, constant axis) -> CumulativeSum (0=axis, ncnn's; inclusive, forward only). */
static int emit_cumsum(W *w, const Node *n)
{
    int64_t axis;
    if (n->n_inputs != 2 || nw_const_ints(w, n->inputs[1], &axis, 1) != 1)
        return nw_fail(w, n, "its axis is not a constant scalar");
    if (node_attr_int(n, "exclusive", 0) || node_attr_int(n, "reverse", 0))
        return nw_fail(w, n, "exclusive or reverse sums have no ncnn form (CumulativeSum sums forward, inclusively)");
    int R = nw_rank_of(w, n->inputs[0]), a, L;
    if (nw_nc_axis(w, n, axis, R, &a)) return -1;
    if (nw_simple(w, n, "CumulativeSum", &L)) return -1;
    nw_p_int(w, L, 0, a);
    return 0;
}

/* ---- the op table ----------------------------------------------------------------------- */

typedef int (*EmitFn)(W *w, const Node *n);

#define YES(fn) {OP_WRITE_YES, emit_##fn}
#define NO {OP_WRITE_NO, NULL}
static const struct {
    OpWriteSupport support;
    EmitFn fn;
} ncnn_ops[] = {
    [OP_CONV] = YES(conv),
    [OP_CONV_TRANSPOSE] = YES(conv_transpose),
    [OP_BATCHNORM] = YES(batchnorm),
    [OP_SILU] = YES(activation),
    [OP_SIGMOID] = YES(activation),
    [OP_RELU] = YES(activation),
    [OP_ADD] = YES(binary),
    [OP_SUB] = YES(binary),
    [OP_MUL] = YES(binary),
    [OP_DIV] = YES(binary),
    [OP_CONCAT] = YES(concat),
    [OP_SPLIT] = YES(split),
    [OP_SLICE] = YES(slice),
    [OP_MAXPOOL] = YES(pool),
    [OP_AVGPOOL] = YES(pool),
    [OP_GLOBAL_AVGPOOL] = YES(global_pool),
    [OP_RESIZE] = YES(resize),
    [OP_RESHAPE] = YES(reshape),
    [OP_TRANSPOSE] = YES(transpose),
    [OP_SOFTMAX] = YES(softmax),
    [OP_MATMUL] = YES(matmul),
    [OP_GEMM] = YES(gemm),
    [OP_FLATTEN] = YES(reshape),
    [OP_IDENTITY] = YES(alias),
    [OP_CONSTANT] = YES(constant),
    [OP_CAST] = YES(alias),
    [OP_SHAPE] = NO,
    [OP_GATHER] = NO,
    [OP_UNSQUEEZE] = YES(reshape),
    [OP_SQUEEZE] = YES(reshape),
    [OP_REDUCE_MAX] = YES(reduce),
    [OP_ARGMAX] = NO,
    [OP_TOPK] = NO,
    [OP_NMS] = NO,
    [OP_GLOBAL_MAXPOOL] = YES(global_pool),
    [OP_UPSAMPLE] = YES(resize),
    [OP_SWISH] = YES(activation),
    [OP_EXP] = YES(unaryop),
    [OP_LOG] = YES(unaryop),
    [OP_SQRT] = YES(unaryop),
    [OP_NEG] = YES(unaryop),
    [OP_ABS] = YES(unaryop),
    [OP_TANH] = YES(activation),
    [OP_FLOOR] = YES(unaryop),
    [OP_CEIL] = YES(unaryop),
    [OP_ROUND] = YES(unaryop),
    [OP_RECIPROCAL] = YES(unaryop),
    [OP_ERF] = YES(activation),
    [OP_LEAKY_RELU] = YES(activation),
    [OP_HARD_SIGMOID] = YES(activation),
    [OP_HARD_SWISH] = YES(activation),
    [OP_SIN] = YES(unaryop),
    [OP_COS] = YES(unaryop),
    [OP_SOFTPLUS] = YES(activation),
    [OP_GELU] = YES(activation),
    [OP_ELU] = YES(activation),
    [OP_SIGN] = NO,
    [OP_MISH] = YES(activation),
    [OP_POW] = YES(binary),
    [OP_MIN] = YES(binary),
    [OP_MAX] = YES(binary),
    [OP_MOD] = NO,
    [OP_EQUAL] = NO,
    [OP_LESS] = NO,
    [OP_GREATER] = NO,
    [OP_LESS_OR_EQUAL] = NO,
    [OP_GREATER_OR_EQUAL] = NO,
    [OP_AND] = NO,
    [OP_OR] = NO,
    [OP_XOR] = NO,
    [OP_NOT] = NO,
    [OP_WHERE] = NO,
    [OP_CLIP] = YES(activation),
    [OP_LOG_SOFTMAX] = NO,
    [OP_HARDMAX] = NO,
    [OP_REDUCE_MIN] = YES(reduce),
    [OP_REDUCE_SUM] = YES(reduce),
    [OP_REDUCE_MEAN] = YES(reduce),
    [OP_REDUCE_PROD] = NO,
    [OP_REDUCE_SUM_SQUARE] = NO,
    [OP_REDUCE_LOG_SUM] = NO,
    [OP_REDUCE_LOG_SUM_EXP] = NO,
    [OP_REDUCE_L1] = NO,
    [OP_REDUCE_L2] = NO,
    [OP_ARGMIN] = NO,
    [OP_DROPOUT] = YES(alias),
    [OP_SIZE] = NO,
    [OP_GATHER_ELEMENTS] = NO,
    [OP_EXPAND] = NO,
    [OP_TILE] = NO,
    [OP_RANGE] = NO,
    [OP_CONSTANT_OF_SHAPE] = NO,
    [OP_PAD] = NO,
    [OP_QUANTIZE_LINEAR] = NO,
    [OP_DEQUANTIZE_LINEAR] = NO,
    [OP_FAKE_QUANTIZE] = NO,
    [OP_GRID_SAMPLE] = NO,
    [OP_SCATTER_UPDATE] = NO,
    [OP_CUMSUM] = YES(cumsum),
    [OP_OTHER] = NO,
};
#undef YES
#undef NO
_Static_assert(ARRAY_LEN(ncnn_ops) == OP_COUNT, "the ncnn writer's op table has a row per OpKind");

int nw_emit_node(W *w, const Node *n) { return ncnn_ops[n->op].fn(w, n); }

OpWriteSupport ncnn_write_op_support(OpKind op) { return (unsigned)op < OP_COUNT ? ncnn_ops[op].support : OP_WRITE_UNSET; }

OpWriteSupport nw_node_support(const Node *n)
{
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx")) return OP_WRITE_NO;
    return ncnn_write_op_support(n->op);
}
