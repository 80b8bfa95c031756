/* ncnn_map: the third part of the ncnn reader — each layer of the parsed .param becomes IR
 * nodes, its outputs tensors whose shapes are computed as ncnn computes them: a blob of k
 * dims is the tensor [1, ...k dims], ncnn's axis a the IR axis a + 1.  One handler per
 * layer type (the table at the bottom); a type ncnn has but this reader does not map is
 * refused by name by the caller. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/ncnn.h"
#include "formats/ncnn_impl.h"

#define MAX_DIM (1 << 30)
#define MAX_NUMEL (INT64_C(1) << 40)

typedef NcReader R;

/* ---- tensors and nodes ---------------------------------------------------------------------- */

static int module_for(R *r, const char *name)
{
    return graph_module_for_name(r->g, &r->modules, name, "graph", &r->root_module);
}

static const char *uname(R *r, const char *base)
{
    if (graph_find_tensor(r->g, base) < 0) return base;
    for (;;) {
        const char *s = arena_printf(r->g->arena, "%s_%d", base, ++r->uniq);
        if (graph_find_tensor(r->g, s) < 0) return s;
    }
}

/* An activation tensor [1, s...] (k ncnn dims). */
static int act_tensor(R *r, const char *name, int k, const int *s)
{
    int64_t d[5] = {1};
    for (int i = 0; i < k; i++) d[i + 1] = s[i];
    return graph_add_tensor(r->g, uname(r, name), DT_F32, k + 1, d);
}

/* Check an ncnn shape: every dim in 1..2^30, the product under 2^40. */
static int check_shape(R *r, const NcLayer *L, int k, const int *s)
{
    int64_t n = 1;
    if (k < 1 || k > 4) return ncnn_fail(&r->m, L, "its output would have %d dims", k);
    for (int i = 0; i < k; i++) {
        if (s[i] < 1 || s[i] > MAX_DIM) return ncnn_fail(&r->m, L, "an output dim of %d", s[i]);
        if (n > MAX_NUMEL / s[i]) return ncnn_fail(&r->m, L, "its output is too large");
        n *= s[i];
    }
    return 0;
}

/* Output k of L: the tensor named after its blob. */
static int out_t(R *r, const NcLayer *L, int k, int nk, const int *s)
{
    if (check_shape(r, L, nk, s)) return -1;
    int b = L->out[k];
    r->bt[b] = act_tensor(r, r->m.blobs[b].name, nk, s);
    r->bk[b] = nk;
    memcpy(r->bs[b], s, sizeof(int) * (size_t)nk);
    return r->bt[b];
}

static int in_t(const R *r, const NcLayer *L, int k) { return r->bt[L->in[k]]; }
static int in_k(const R *r, const NcLayer *L, int k) { return r->bk[L->in[k]]; }
static const int *in_s(const R *r, const NcLayer *L, int k) { return r->bs[L->in[k]]; }

static int node(R *r, const NcLayer *L, const char *suffix, OpKind op, const int *ins, int nin, const int *outs, int nout)
{
    const char *name = suffix ? arena_printf(r->g->arena, "%s%s", L->name, suffix) : L->name;
    int ni = graph_add_node(r->g, op, NULL, name, module_for(r, name), ins, nin, outs, nout);
    r->g->nodes[ni].op = op;
    return ni;
}

/* A constant (data copied into the arena). */
static int konst(R *r, const char *name, DType dt, int rank, const int64_t *dims, const void *data)
{
    return graph_add_const(r->g, uname(r, name), dt, rank, dims, data);
}

static int k_scalar(R *r, const NcLayer *L, const char *what, float v)
{
    return konst(r, arena_printf(r->g->arena, "%s.%s", L->name, what), DT_F32, 0, NULL, &v);
}

static int k_i64(R *r, const NcLayer *L, const char *what, const int64_t *v, int n)
{
    int64_t d = n;
    return konst(r, arena_printf(r->g->arena, "%s.%s", L->name, what), DT_I64, 1, &d, v);
}

/* A weight array read from the .bin (float32 or float16 data in place, not copied). */
static int weight(R *r, const NcLayer *L, const char *what, int rank, const int64_t *dims, const void *data, DType dt)
{
    int t = graph_add_tensor(r->g, uname(r, arena_printf(r->g->arena, "%s.%s", L->name, what)), dt, rank, dims);
    Tensor *x = &r->g->tensors[t];
    int64_t n;
    dims_product(dims, rank, &n);
    x->data = (void *)data;
    x->nbytes = (size_t)n * dtype_size(dt);
    x->is_param = true;
    return t;
}

static int load_weight(R *r, const NcLayer *L, const char *what, int type, int rank, const int64_t *dims, int *t)
{
    int64_t n;
    if (!dims_product(dims, rank, &n)) return ncnn_fail(&r->m, L, "%s out of range", what);
    const void *data;
    DType dt;
    if (ncnn_bin_load(&r->m, L, what, n, type, &data, &dt)) return -1;
    *t = weight(r, L, what, rank, dims, data, dt);
    return 0;
}

static int need_io(R *r, const NcLayer *L, int nin, int nout)
{
    if (nin >= 0 && L->n_in != nin) return ncnn_fail(&r->m, L, "has %d inputs (expected %d)", L->n_in, nin);
    if (nout >= 0 && L->n_out != nout) return ncnn_fail(&r->m, L, "has %d outputs (expected %d)", L->n_out, nout);
    return 0;
}

#define P_INT(id, dflt, var) \
    int var;                 \
    if (ncnn_p_int(&r->m, L, id, dflt, &var)) return -1
#define P_FLOAT(id, dflt, var) \
    float var;                 \
    if (ncnn_p_float(&r->m, L, id, dflt, &var)) return -1

/* One-input, one-output elementwise layer as IR op (no attributes). */
static int map_unary_op(R *r, const NcLayer *L, OpKind op)
{
    if (need_io(r, L, 1, 1)) return -1;
    int x = in_t(r, L, 0), y = out_t(r, L, 0, in_k(r, L, 0), in_s(r, L, 0));
    if (y < 0) return -1;
    node(r, L, NULL, op, &x, 1, &y, 1);
    return 0;
}

/* ncnn's fused activation (activation_type 9, activation_params 10) from pre to out. */
static int activation(R *r, const NcLayer *L, int pre, int out)
{
    P_INT(9, 0, type);
    float ap[2] = {0, 0};
    int np;
    if (ncnn_p_floats(&r->m, L, 10, ap, 2, &np)) return -1;
    int ni;
    switch (type) {
    case 1: node(r, L, "/relu", OP_RELU, &pre, 1, &out, 1); return 0;
    case 2:
        if (np < 1) return ncnn_fail(&r->m, L, "leaky ReLU needs its slope in parameter 10");
        ni = node(r, L, "/leakyrelu", OP_LEAKY_RELU, &pre, 1, &out, 1);
        node_set_float(r->g, ni, "alpha", ap[0]);
        return 0;
    case 3: {
        if (np < 2) return ncnn_fail(&r->m, L, "clip needs min and max in parameter 10");
        int ins[3] = {pre, k_scalar(r, L, "clip_min", ap[0]), k_scalar(r, L, "clip_max", ap[1])};
        node(r, L, "/clip", OP_CLIP, ins, 3, &out, 1);
        return 0;
    }
    case 4: node(r, L, "/sigmoid", OP_SIGMOID, &pre, 1, &out, 1); return 0;
    case 5: node(r, L, "/mish", OP_MISH, &pre, 1, &out, 1); return 0;
    case 6: {
        if (np < 2) return ncnn_fail(&r->m, L, "hard swish needs alpha and beta in parameter 10");
        if (fabsf(ap[0] - 1.f / 6) < 1e-6f && fabsf(ap[1] - 0.5f) < 1e-6f) {
            node(r, L, "/hardswish", OP_HARD_SWISH, &pre, 1, &out, 1);
            return 0;
        }
        int k = r->g->tensors[pre].rank - 1, s[4];
        for (int i = 0; i < k; i++) s[i] = (int)r->g->tensors[pre].dims[i + 1];
        int hs = act_tensor(r, arena_printf(r->g->arena, "%s/hardsigmoid", L->name), k, s);
        ni = node(r, L, "/hardsigmoid", OP_HARD_SIGMOID, &pre, 1, &hs, 1);
        node_set_float(r->g, ni, "alpha", ap[0]);
        node_set_float(r->g, ni, "beta", ap[1]);
        int ins[2] = {pre, hs};
        node(r, L, "/mul", OP_MUL, ins, 2, &out, 1);
        return 0;
    }
    case 0: return 0;
    default: return ncnn_fail(&r->m, L, "activation_type %d is not one ncnn has", type);
    }
}

/* The tensor a layer with a fused activation computes into (its output's own tensor when
 * there is no activation). */
static int pre_activation(R *r, const NcLayer *L, int out)
{
    P_INT(9, 0, type);
    if (type == 0) return out;
    const Tensor *y = &r->g->tensors[out];
    int s[4], k = y->rank - 1;
    for (int i = 0; i < k; i++) s[i] = (int)y->dims[i + 1];
    return act_tensor(r, arena_printf(r->g->arena, "%s/preact", L->name), k, s);
}

/* ---- convolutions ------------------------------------------------------------------------------ */

/* Padding of one axis as ncnn's make_padding resolves it (-233: SAME upper, -234: SAME
 * lower), for input size in, kernel extent ext and stride s. */
static int resolve_pad(R *r, const NcLayer *L, int *lo, int *hi, int in, int ext, int s)
{
    if (*lo == -233 || *lo == -234) {
        int64_t pad = (int64_t)ext + (int64_t)(in - 1) / s * s - in;
        if (pad < 0) pad = 0;
        int a = (int)(pad / 2), b = (int)(pad - pad / 2);
        if (*lo == -233) *lo = a, *hi = b;
        else *lo = b, *hi = a;
        return 0;
    }
    if (*lo < 0 || *hi < 0 || *lo > MAX_DIM || *hi > MAX_DIM) return ncnn_fail(&r->m, L, "pads %d, %d are out of range", *lo, *hi);
    return 0;
}

static int map_conv(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    bool dw = !strcmp(L->type, "ConvolutionDepthWise");
    P_INT(0, 0, O);
    P_INT(1, 0, kw);
    P_INT(11, kw, kh);
    P_INT(2, 1, dlw);
    P_INT(12, dlw, dlh);
    P_INT(3, 1, sw);
    P_INT(13, sw, sh);
    P_INT(4, 0, pl);
    P_INT(15, pl, pr);
    P_INT(14, pl, pt);
    P_INT(16, pt, pb);
    P_FLOAT(18, 0.f, pad_value);
    P_INT(5, 0, bias);
    P_INT(6, 0, wsize);
    P_INT(7, 1, group);
    P_INT(8, 0, int8);
    P_INT(19, 0, dynamic);
    if (!dw) group = 1;
    if (int8) return ncnn_fail(&r->m, L, "an int8 inference layer (int8_scale_term %d): this reader does not run ncnn int8 models", int8);
    if (dynamic) return ncnn_fail(&r->m, L, "weights given as an input (dynamic_weight) are not supported");
    if (pad_value != 0.f) return ncnn_fail(&r->m, L, "padding with %g (not 0) is not supported", pad_value);
    if (in_k(r, L, 0) != 3) return ncnn_fail(&r->m, L, "its input has %d dims (a 2-D convolution takes c, h, w)", in_k(r, L, 0));
    if (O < 1 || O > MAX_DIM || kw < 1 || kh < 1 || kw > 65536 || kh > 65536 || dlw < 1 || dlh < 1 || dlw > 65536 ||
        dlh > 65536 || sw < 1 || sh < 1 || sw > 65536 || sh > 65536 || group < 1 || O % group)
        return ncnn_fail(&r->m, L, "num_output %d, kernel %dx%d, dilation %dx%d, stride %dx%d or group %d out of range", O,
                         kw, kh, dlw, dlh, sw, sh, group);
    const int *s = in_s(r, L, 0);
    int C = s[0], H = s[1], Wd = s[2];
    if (C % group) return ncnn_fail(&r->m, L, "its %d input channels do not divide into %d groups", C, group);
    int64_t want = (int64_t)O * (C / group) * kh * kw;
    if (wsize != want)
        return ncnn_fail(&r->m, L, "weight_data_size %d, but %d outputs x %d inputs x %dx%d kernel make %lld", wsize, O,
                         C / group, kw, kh, (long long)want);
    int ekw = dlw * (kw - 1) + 1, ekh = dlh * (kh - 1) + 1;
    if (resolve_pad(r, L, &pl, &pr, Wd, ekw, sw) || resolve_pad(r, L, &pt, &pb, H, ekh, sh)) return -1;
    int64_t oh = ((int64_t)H + pt + pb - ekh) / sh + 1, ow = ((int64_t)Wd + pl + pr - ekw) / sw + 1;
    if ((int64_t)H + pt + pb < ekh || (int64_t)Wd + pl + pr < ekw) return ncnn_fail(&r->m, L, "kernel larger than the padded input");
    int os[3] = {O, (int)oh, (int)ow};
    int y = out_t(r, L, 0, 3, os);
    if (y < 0) return -1;
    int64_t wd[4] = {O, C / group, kh, kw}, bd = O;
    int wt, bt = -1;
    if (load_weight(r, L, "weight", 0, 4, wd, &wt)) return -1;
    if (bias && load_weight(r, L, "bias", 1, 1, &bd, &bt)) return -1;
    int pre = pre_activation(r, L, y);
    if (pre < 0) return -1;
    int ins[3] = {in_t(r, L, 0), wt, bt};
    int ni = node(r, L, NULL, OP_CONV, ins, bias ? 3 : 2, &pre, 1);
    int64_t v[4] = {kh, kw};
    node_set_ints(r->g, ni, "kernel_shape", v, 2);
    v[0] = sh, v[1] = sw;
    node_set_ints(r->g, ni, "strides", v, 2);
    v[0] = dlh, v[1] = dlw;
    node_set_ints(r->g, ni, "dilations", v, 2);
    int64_t pads[4] = {pt, pl, pb, pr};
    node_set_ints(r->g, ni, "pads", pads, 4);
    node_set_int(r->g, ni, "group", group);
    return activation(r, L, pre, y);
}

static int map_deconv(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    bool dw = !strcmp(L->type, "DeconvolutionDepthWise");
    P_INT(0, 0, O);
    P_INT(1, 0, kw);
    P_INT(11, kw, kh);
    P_INT(2, 1, dlw);
    P_INT(12, dlw, dlh);
    P_INT(3, 1, sw);
    P_INT(13, sw, sh);
    P_INT(4, 0, pl);
    P_INT(15, pl, pr);
    P_INT(14, pl, pt);
    P_INT(16, pt, pb);
    P_INT(18, 0, opr);
    P_INT(19, opr, opb);
    P_INT(20, 0, outw);
    P_INT(21, outw, outh);
    P_INT(5, 0, bias);
    P_INT(6, 0, wsize);
    P_INT(7, 1, group);
    P_INT(28, 0, dynamic);
    if (!dw) group = 1;
    if (dynamic) return ncnn_fail(&r->m, L, "weights given as an input (dynamic_weight) are not supported");
    if (outw > 0 || outh > 0) return ncnn_fail(&r->m, L, "a fixed output size (parameters 20, 21) is not supported");
    if (in_k(r, L, 0) != 3) return ncnn_fail(&r->m, L, "its input has %d dims (c, h, w expected)", in_k(r, L, 0));
    if (O < 1 || O > MAX_DIM || kw < 1 || kh < 1 || kw > 65536 || kh > 65536 || dlw < 1 || dlh < 1 || dlw > 65536 ||
        dlh > 65536 || sw < 1 || sh < 1 || sw > 65536 || sh > 65536 || group < 1 || O % group || pl < 0 || pr < 0 ||
        pt < 0 || pb < 0 || opr < 0 || opb < 0 || pl > MAX_DIM || pr > MAX_DIM || pt > MAX_DIM || pb > MAX_DIM ||
        opr > MAX_DIM || opb > MAX_DIM)
        return ncnn_fail(&r->m, L, "its geometry is out of range");
    const int *s = in_s(r, L, 0);
    int C = s[0];
    if (C % group) return ncnn_fail(&r->m, L, "its %d input channels do not divide into %d groups", C, group);
    int Og = O / group, Cg = C / group;
    int64_t want = (int64_t)O * Cg * kh * kw;
    if (wsize != want) return ncnn_fail(&r->m, L, "weight_data_size %d, but the shapes make %lld", wsize, (long long)want);
    int64_t oh = (int64_t)(s[1] - 1) * sh + (int64_t)dlh * (kh - 1) + 1 - pt - pb + opb;
    int64_t ow = (int64_t)(s[2] - 1) * sw + (int64_t)dlw * (kw - 1) + 1 - pl - pr + opr;
    if (oh < 1 || ow < 1 || oh > MAX_DIM || ow > MAX_DIM) return ncnn_fail(&r->m, L, "its output size is out of range");
    int os[3] = {O, (int)oh, (int)ow};
    int y = out_t(r, L, 0, 3, os);
    if (y < 0) return -1;
    const void *data;
    DType dt;
    if (ncnn_bin_load(&r->m, L, "weight", want, 0, &data, &dt)) return -1;
    /* [g][out/g][in/g][k] -> the IR's [in, out/g, kh, kw] */
    size_t es = dtype_size(dt), maxk = (size_t)kh * kw;
    uint8_t *re = arena_alloc(r->g->arena, (size_t)want * es);
    for (int g = 0; g < group; g++)
        for (int p = 0; p < Og; p++)
            for (int q = 0; q < Cg; q++)
                memcpy(re + ((((size_t)g * Cg + q) * Og + p) * maxk) * es,
                       (const uint8_t *)data + ((((size_t)g * Og + p) * Cg + q) * maxk) * es, maxk * es);
    int64_t wd[4] = {C, Og, kh, kw}, bd = O;
    int wt = weight(r, L, "weight", 4, wd, re, dt), bt = -1;
    if (bias && load_weight(r, L, "bias", 1, 1, &bd, &bt)) return -1;
    int pre = pre_activation(r, L, y);
    if (pre < 0) return -1;
    int ins[3] = {in_t(r, L, 0), wt, bt};
    int ni = node(r, L, NULL, OP_CONV_TRANSPOSE, ins, bias ? 3 : 2, &pre, 1);
    int64_t v[4] = {kh, kw};
    node_set_ints(r->g, ni, "kernel_shape", v, 2);
    v[0] = sh, v[1] = sw;
    node_set_ints(r->g, ni, "strides", v, 2);
    v[0] = dlh, v[1] = dlw;
    node_set_ints(r->g, ni, "dilations", v, 2);
    int64_t pads[4] = {pt, pl, pb, pr};
    node_set_ints(r->g, ni, "pads", pads, 4);
    v[0] = opb, v[1] = opr;
    node_set_ints(r->g, ni, "output_padding", v, 2);
    node_set_int(r->g, ni, "group", group);
    return activation(r, L, pre, y);
}

static int map_innerproduct(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    P_INT(0, 0, N);
    P_INT(1, 0, bias);
    P_INT(2, 0, wsize);
    P_INT(8, 0, int8);
    if (int8) return ncnn_fail(&r->m, L, "an int8 inference layer: this reader does not run ncnn int8 models");
    if (N < 1 || N > MAX_DIM || wsize < 1 || wsize % N) return ncnn_fail(&r->m, L, "num_output %d and weight_data_size %d do not fit", N, wsize);
    int K = wsize / N, k = in_k(r, L, 0);
    const int *s = in_s(r, L, 0);
    int64_t numel = 1;
    for (int i = 0; i < k; i++) numel *= s[i];
    bool rows = k == 2 && s[1] == K; /* ncnn applies it to each row of a 2-D blob */
    if (!rows && numel != K) return ncnn_fail(&r->m, L, "its input holds %lld values, its weights take %d", (long long)numel, K);
    int os[2] = {rows ? s[0] : N, N};
    int y = out_t(r, L, 0, rows ? 2 : 1, os);
    if (y < 0) return -1;
    int64_t wd[2] = {N, K}, bd = N;
    int wt, bt = -1;
    if (load_weight(r, L, "weight", 0, 2, wd, &wt)) return -1;
    if (bias && load_weight(r, L, "bias", 1, 1, &bd, &bt)) return -1;
    int pre = pre_activation(r, L, y);
    if (pre < 0) return -1;
    int x = in_t(r, L, 0);
    if (rows) { /* [1, h, K] x W^T + b */
        int64_t td[2] = {K, N};
        int wtt = graph_add_tensor(r->g, uname(r, arena_printf(r->g->arena, "%s.weight_t", L->name)), DT_F32, 2, td);
        int ni = node(r, L, "/transpose", OP_TRANSPOSE, &wt, 1, &wtt, 1);
        int64_t perm[2] = {1, 0};
        node_set_ints(r->g, ni, "perm", perm, 2);
        int mm = bias ? act_tensor(r, arena_printf(r->g->arena, "%s/matmul", L->name), 2, os) : pre;
        int ins[2] = {x, wtt};
        node(r, L, NULL, OP_MATMUL, ins, 2, &mm, 1);
        if (bias) {
            int ab[2] = {mm, bt};
            node(r, L, "/bias", OP_ADD, ab, 2, &pre, 1);
        }
        return activation(r, L, pre, y);
    }
    if (k != 1) {
        int flat = act_tensor(r, arena_printf(r->g->arena, "%s/flatten", L->name), 1, &K);
        int ni = node(r, L, "/flatten", OP_FLATTEN, &x, 1, &flat, 1);
        node_set_int(r->g, ni, "axis", 1);
        x = flat;
    }
    int ins[3] = {x, wt, bt};
    int ni = node(r, L, NULL, OP_GEMM, ins, bias ? 3 : 2, &pre, 1);
    node_set_int(r->g, ni, "transB", 1);
    return activation(r, L, pre, y);
}

static int map_batchnorm(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    P_INT(0, 0, C);
    P_FLOAT(1, 0.f, eps);
    if (C != in_s(r, L, 0)[0]) return ncnn_fail(&r->m, L, "channels %d, but its input has %d", C, in_s(r, L, 0)[0]);
    int y = out_t(r, L, 0, in_k(r, L, 0), in_s(r, L, 0));
    if (y < 0) return -1;
    int64_t d = C;
    int slope, mean, var, bias;
    if (load_weight(r, L, "slope", 1, 1, &d, &slope) || load_weight(r, L, "mean", 1, 1, &d, &mean) ||
        load_weight(r, L, "var", 1, 1, &d, &var) || load_weight(r, L, "bias", 1, 1, &d, &bias))
        return -1;
    int ins[5] = {in_t(r, L, 0), slope, bias, mean, var};
    int ni = node(r, L, NULL, OP_BATCHNORM, ins, 5, &y, 1);
    node_set_float(r->g, ni, "epsilon", eps);
    return 0;
}

/* ---- elementwise ------------------------------------------------------------------------------ */

static int map_simple(R *r, const NcLayer *L)
{
    static const struct {
        const char *type;
        OpKind op;
    } map[] = {{"Swish", OP_SILU}, {"Sigmoid", OP_SIGMOID}, {"TanH", OP_TANH}, {"Mish", OP_MISH},
               {"Softplus", OP_SOFTPLUS}, {"Erf", OP_ERF}, {"AbsVal", OP_ABS}};
    for (size_t i = 0; i < ARRAY_LEN(map); i++)
        if (!strcmp(map[i].type, L->type)) return map_unary_op(r, L, map[i].op);
    return ncnn_fail(&r->m, L, "not mapped");
}

/* An elementwise layer with float attributes: ReLU (slope), ELU, GELU, HardSigmoid,
 * HardSwish, Clip. */
static int map_param_act(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    int x = in_t(r, L, 0), y = out_t(r, L, 0, in_k(r, L, 0), in_s(r, L, 0)), ni;
    if (y < 0) return -1;
    if (!strcmp(L->type, "ReLU")) {
        P_FLOAT(0, 0.f, slope);
        if (slope == 0.f) {
            node(r, L, NULL, OP_RELU, &x, 1, &y, 1);
            return 0;
        }
        ni = node(r, L, NULL, OP_LEAKY_RELU, &x, 1, &y, 1);
        node_set_float(r->g, ni, "alpha", slope);
    } else if (!strcmp(L->type, "ELU")) {
        P_FLOAT(0, 0.1f, alpha);
        ni = node(r, L, NULL, OP_ELU, &x, 1, &y, 1);
        node_set_float(r->g, ni, "alpha", alpha);
    } else if (!strcmp(L->type, "GELU")) {
        P_INT(0, 0, fast);
        ni = node(r, L, NULL, OP_GELU, &x, 1, &y, 1);
        if (fast) node_set_string(r->g, ni, "approximate", "tanh");
    } else if (!strcmp(L->type, "HardSigmoid")) {
        P_FLOAT(0, 0.2f, alpha);
        P_FLOAT(1, 0.5f, beta);
        ni = node(r, L, NULL, OP_HARD_SIGMOID, &x, 1, &y, 1);
        node_set_float(r->g, ni, "alpha", alpha);
        node_set_float(r->g, ni, "beta", beta);
    } else if (!strcmp(L->type, "HardSwish")) {
        P_FLOAT(0, 0.2f, alpha);
        P_FLOAT(1, 0.5f, beta);
        if (fabsf(alpha - 1.f / 6) < 1e-6f && fabsf(beta - 0.5f) < 1e-6f) {
            node(r, L, NULL, OP_HARD_SWISH, &x, 1, &y, 1);
            return 0;
        }
        int hs = act_tensor(r, arena_printf(r->g->arena, "%s/hardsigmoid", L->name), in_k(r, L, 0), in_s(r, L, 0));
        ni = node(r, L, "/hardsigmoid", OP_HARD_SIGMOID, &x, 1, &hs, 1);
        node_set_float(r->g, ni, "alpha", alpha);
        node_set_float(r->g, ni, "beta", beta);
        int ins[2] = {x, hs};
        node(r, L, NULL, OP_MUL, ins, 2, &y, 1);
    } else { /* Clip */
        P_FLOAT(0, -FLT_MAX, lo);
        P_FLOAT(1, FLT_MAX, hi);
        int ins[3] = {x, k_scalar(r, L, "min", lo), k_scalar(r, L, "max", hi)};
        node(r, L, NULL, OP_CLIP, ins, 3, &y, 1);
    }
    return 0;
}

static int map_unaryop(R *r, const NcLayer *L)
{
    static const OpKind ops[] = {[0] = OP_ABS, [1] = OP_NEG, [2] = OP_FLOOR, [3] = OP_CEIL, [5] = OP_SQRT,
                                 [7] = OP_EXP, [8] = OP_LOG, [9] = OP_SIN, [10] = OP_COS, [15] = OP_RECIPROCAL,
                                 [16] = OP_TANH, [18] = OP_ROUND};
    P_INT(0, 0, type);
    if (need_io(r, L, 1, 1)) return -1;
    int x = in_t(r, L, 0);
    if (type == 4) { /* square */
        int y = out_t(r, L, 0, in_k(r, L, 0), in_s(r, L, 0));
        if (y < 0) return -1;
        int ins[2] = {x, x};
        node(r, L, NULL, OP_MUL, ins, 2, &y, 1);
        return 0;
    }
    if (type == 6) { /* rsqrt */
        int y = out_t(r, L, 0, in_k(r, L, 0), in_s(r, L, 0));
        if (y < 0) return -1;
        int sq = act_tensor(r, arena_printf(r->g->arena, "%s/sqrt", L->name), in_k(r, L, 0), in_s(r, L, 0));
        node(r, L, "/sqrt", OP_SQRT, &x, 1, &sq, 1);
        node(r, L, NULL, OP_RECIPROCAL, &sq, 1, &y, 1);
        return 0;
    }
    if (type < 0 || type >= (int)ARRAY_LEN(ops) || (!ops[type] && type != 0))
        return ncnn_fail(&r->m, L, "UnaryOp op_type %d is not supported by this reader", type);
    return map_unary_op(r, L, ops[type]);
}

/* The operand shape ncnn's BinaryOp makes of a lower-rank blob (its "expand inner axes"
 * rule), outermost first, at rank outk. */
static void binary_expand(int k, const int *s, int outk, const int *other, int *out)
{
    int w = s[k - 1], h = k >= 2 ? s[k - 2] : 1, c = k >= 3 ? s[0] : 1;
    for (int i = 0; i < outk; i++) out[i] = 1;
    if (outk == 2) { /* 1 -> 2: a column when it matches the other's h, else a row */
        if (w == other[0]) out[0] = w;
        else out[1] = w;
    } else if (outk == 3 && k == 1) {
        if (w == other[0]) out[0] = w;
        else out[2] = w;
    } else if (outk == 3 && k == 2) {
        out[0] = h, out[1] = w; /* reshape(1, w, h): c = h, h = w */
    } else if (outk == 4 && k == 1) {
        if (w == other[0]) out[0] = w;
        else out[3] = w;
    } else if (outk == 4 && k == 2) {
        out[0] = h, out[1] = w;
    } else if (outk == 4 && k == 3) {
        out[0] = c, out[1] = h, out[2] = w;
    }
}

/* Tensor x (ncnn shape k, s) reshaped to shape (outk, es) for a binary operation. */
static int reshape_to(R *r, const NcLayer *L, int x, int outk, const int *es, const char *suffix)
{
    int t = act_tensor(r, arena_printf(r->g->arena, "%s%s", L->name, suffix), outk, es);
    int64_t shape[5] = {1};
    for (int i = 0; i < outk; i++) shape[i + 1] = es[i];
    int sh = k_i64(r, L, arena_printf(r->g->arena, "%s_shape", suffix + 1), shape, outk + 1);
    int ins[2] = {x, sh};
    node(r, L, suffix, OP_RESHAPE, ins, 2, &t, 1);
    return t;
}

static const OpKind binary_ops[] = {OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_POW, OP_SUB, OP_DIV, OP_POW};

static int map_binaryop(R *r, const NcLayer *L)
{
    P_INT(0, 0, type);
    P_INT(1, 0, with_scalar);
    P_FLOAT(2, 0.f, b);
    if (type < 0 || type > 9) return ncnn_fail(&r->m, L, "BinaryOp op_type %d is not supported by this reader", type);
    OpKind op = binary_ops[type];
    bool reversed = type >= 7;
    if (with_scalar) {
        if (need_io(r, L, 1, 1)) return -1;
        int x = in_t(r, L, 0), y = out_t(r, L, 0, in_k(r, L, 0), in_s(r, L, 0));
        if (y < 0) return -1;
        int k = k_scalar(r, L, "b", b);
        int ins[2] = {reversed ? k : x, reversed ? x : k};
        node(r, L, NULL, op, ins, 2, &y, 1);
        return 0;
    }
    if (need_io(r, L, 2, 1)) return -1;
    int a = in_t(r, L, 0), bb = in_t(r, L, 1), ka = in_k(r, L, 0), kb = in_k(r, L, 1), sa[4], sb[4];
    memcpy(sa, in_s(r, L, 0), sizeof sa);
    memcpy(sb, in_s(r, L, 1), sizeof sb);
    int k = ka > kb ? ka : kb;
    if (ka < k) {
        int e[4];
        binary_expand(ka, sa, k, sb, e);
        a = reshape_to(r, L, a, k, e, "/expand_a");
        memcpy(sa, e, sizeof e);
    }
    if (kb < k) {
        int e[4];
        binary_expand(kb, sb, k, sa, e);
        bb = reshape_to(r, L, bb, k, e, "/expand_b");
        memcpy(sb, e, sizeof e);
    }
    int os[4];
    for (int i = 0; i < k; i++) {
        if (sa[i] != sb[i] && sa[i] != 1 && sb[i] != 1)
            return ncnn_fail(&r->m, L, "its operands do not broadcast (%d against %d on axis %d)", sa[i], sb[i], i);
        os[i] = sa[i] > sb[i] ? sa[i] : sb[i];
    }
    int y = out_t(r, L, 0, k, os);
    if (y < 0) return -1;
    int ins[2] = {reversed ? bb : a, reversed ? a : bb};
    node(r, L, NULL, op, ins, 2, &y, 1);
    return 0;
}

static int same_shape(R *r, const NcLayer *L, int i, int j)
{
    if (in_k(r, L, i) != in_k(r, L, j) || memcmp(in_s(r, L, i), in_s(r, L, j), sizeof(int) * (size_t)in_k(r, L, i)))
        return ncnn_fail(&r->m, L, "its inputs differ in shape");
    return 0;
}

static int map_eltwise(R *r, const NcLayer *L)
{
    P_INT(0, 0, type);
    float coeffs[NCNN_MAX_BLOBS_PER_LAYER];
    int nc;
    if (ncnn_p_floats(&r->m, L, 1, coeffs, NCNN_MAX_BLOBS_PER_LAYER, &nc)) return -1;
    if (L->n_in < 2 || L->n_out != 1) return ncnn_fail(&r->m, L, "Eltwise takes two or more inputs");
    for (int i = 1; i < L->n_in; i++)
        if (same_shape(r, L, 0, i)) return -1;
    if (type < 0 || type > 2) return ncnn_fail(&r->m, L, "Eltwise op_type %d is not one ncnn has", type);
    if (nc && (type != 1 || nc != L->n_in)) return ncnn_fail(&r->m, L, "coefficients that do not fit its inputs");
    int k = in_k(r, L, 0);
    const int *s = in_s(r, L, 0);
    int y = out_t(r, L, 0, k, s);
    if (y < 0) return -1;
    OpKind op = type == 0 ? OP_MUL : type == 1 ? OP_ADD : OP_MAX;
    int acc = -1;
    for (int i = 0; i < L->n_in; i++) {
        int x = in_t(r, L, i);
        if (nc && coeffs[i] != 1.f) {
            int t = act_tensor(r, arena_printf(r->g->arena, "%s/scale%d", L->name, i), k, s);
            int ins[2] = {x, k_scalar(r, L, arena_printf(r->g->arena, "coeff%d", i), coeffs[i])};
            node(r, L, arena_printf(r->g->arena, "/scale%d", i), OP_MUL, ins, 2, &t, 1);
            x = t;
        }
        if (acc < 0) {
            acc = x;
            continue;
        }
        int t = i == L->n_in - 1 ? y : act_tensor(r, arena_printf(r->g->arena, "%s/acc%d", L->name, i), k, s);
        int ins[2] = {acc, x};
        node(r, L, i == L->n_in - 1 ? NULL : arena_printf(r->g->arena, "/acc%d", i), op, ins, 2, &t, 1);
        acc = t;
    }
    return 0;
}

/* Split, Noop, Dropout (scale 1): the outputs are the input; an output nothing reads (a
 * graph output) gets an Identity so that it keeps its blob's name. */
static int map_alias(R *r, const NcLayer *L)
{
    if (L->n_in != 1) return ncnn_fail(&r->m, L, "takes one input");
    float scale = 1.f;
    if (!strcmp(L->type, "Dropout") && ncnn_p_float(&r->m, L, 0, 1.f, &scale)) return -1;
    if (strcmp(L->type, "Split") && L->n_out != 1) return ncnn_fail(&r->m, L, "has %d outputs", L->n_out);
    int x = in_t(r, L, 0);
    for (int k = 0; k < L->n_out; k++) {
        int b = L->out[k];
        if (r->m.blobs[b].consumers > 0 && scale == 1.f) {
            r->bt[b] = x;
            r->bk[b] = in_k(r, L, 0);
            memcpy(r->bs[b], in_s(r, L, 0), sizeof r->bs[b]);
            continue;
        }
        int y = out_t(r, L, k, in_k(r, L, 0), in_s(r, L, 0));
        if (y < 0) return -1;
        if (scale != 1.f) {
            int ins[2] = {x, k_scalar(r, L, "scale", scale)};
            node(r, L, NULL, OP_MUL, ins, 2, &y, 1);
        } else {
            node(r, L, arena_printf(r->g->arena, "/%d", k), OP_IDENTITY, &x, 1, &y, 1);
        }
    }
    return 0;
}

/* ---- shape layers ------------------------------------------------------------------------------ */

static int norm_axis(R *r, const NcLayer *L, int axis, int k, int *out)
{
    int a = axis < 0 ? axis + k : axis;
    if (a < 0 || a >= k) return ncnn_fail(&r->m, L, "axis %d is out of range for %d dims", axis, k);
    *out = a;
    return 0;
}

static int map_concat(R *r, const NcLayer *L)
{
    if (L->n_in < 1 || L->n_out != 1) return ncnn_fail(&r->m, L, "needs inputs and one output");
    P_INT(0, 0, axis);
    int k = in_k(r, L, 0), a = 0;
    if (norm_axis(r, L, axis, k, &a)) return -1;
    int os[4];
    memcpy(os, in_s(r, L, 0), sizeof os);
    int64_t total = 0;
    int *ins = xmalloc(sizeof(int) * (size_t)L->n_in);
    for (int i = 0; i < L->n_in; i++) {
        const int *s = in_s(r, L, i);
        bool ok = in_k(r, L, i) == k;
        for (int d = 0; d < k && ok; d++) ok = d == a || s[d] == os[d];
        if (!ok) {
            free(ins);
            return ncnn_fail(&r->m, L, "input %d does not fit the others off the concat axis", i);
        }
        total += s[a];
        ins[i] = in_t(r, L, i);
    }
    if (total > MAX_DIM) {
        free(ins);
        return ncnn_fail(&r->m, L, "its output is too large");
    }
    os[a] = (int)total;
    int y = out_t(r, L, 0, k, os);
    if (y >= 0) node_set_int(r->g, node(r, L, NULL, OP_CONCAT, ins, L->n_in, &y, 1), "axis", a + 1);
    free(ins);
    return y < 0 ? -1 : 0;
}

static int slice_node(R *r, const NcLayer *L, int x, int axis, int64_t start, int64_t end, int y, const char *suffix)
{
    int64_t ax = axis + 1;
    int ins[5] = {x, k_i64(r, L, arena_printf(r->g->arena, "%s_starts", suffix + 1), &start, 1),
                  k_i64(r, L, arena_printf(r->g->arena, "%s_ends", suffix + 1), &end, 1),
                  k_i64(r, L, arena_printf(r->g->arena, "%s_axes", suffix + 1), &ax, 1)};
    node(r, L, suffix, OP_SLICE, ins, 4, &y, 1);
    return 0;
}

static int map_slice(R *r, const NcLayer *L)
{
    if (L->n_in != 1) return ncnn_fail(&r->m, L, "takes one input");
    int slices[NCNN_MAX_BLOBS_PER_LAYER], indices[NCNN_MAX_BLOBS_PER_LAYER], ns, ni;
    if (ncnn_p_ints(&r->m, L, 0, slices, NCNN_MAX_BLOBS_PER_LAYER, &ns) ||
        ncnn_p_ints(&r->m, L, 2, indices, NCNN_MAX_BLOBS_PER_LAYER, &ni))
        return -1;
    P_INT(1, 0, axis);
    int k = in_k(r, L, 0), a = 0;
    if (norm_axis(r, L, axis, k, &a)) return -1;
    const int *s = in_s(r, L, 0);
    int n = L->n_out, dim = s[a];
    if (ni ? ni < n - 1 : ns < n) return ncnn_fail(&r->m, L, "gives %d sizes for %d outputs", ni ? ni : ns, n);
    int64_t *size = xmalloc(sizeof(int64_t) * (size_t)n), q = 0;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        int64_t sz;
        if (ni) {
            if (i == n - 1) sz = dim - q;
            else sz = (indices[i] < 0 ? (int64_t)dim + indices[i] : indices[i]) - q;
        } else {
            sz = slices[i];
            if (sz == -233) sz = (dim - q) / (n - i);
        }
        if (sz < 1 || q + sz > dim) rc = ncnn_fail(&r->m, L, "part %d (size %lld) does not fit the %d along its axis", i, (long long)sz, dim);
        size[i] = sz;
        q += sz;
    }
    int *outs = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n && !rc; i++) {
        int os[4];
        memcpy(os, s, sizeof os);
        os[a] = (int)size[i];
        if ((outs[i] = out_t(r, L, i, k, os)) < 0) rc = -1;
    }
    if (!rc) {
        int x = in_t(r, L, 0);
        if (q == dim) {
            int sn = node(r, L, NULL, OP_SPLIT, &x, 1, outs, n);
            node_set_int(r->g, sn, "axis", a + 1);
            node_set_ints(r->g, sn, "split", size, n);
        } else {
            int64_t at = 0;
            for (int i = 0; i < n; i++) {
                slice_node(r, L, x, a, at, at + size[i], outs[i], arena_printf(r->g->arena, "/slice%d", i));
                at += size[i];
            }
        }
    }
    free(size);
    free(outs);
    return rc;
}

static int map_crop(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    int st[8], en[8], ax[8], ns, ne, na;
    if (ncnn_p_ints(&r->m, L, 9, st, 8, &ns) || ncnn_p_ints(&r->m, L, 10, en, 8, &ne) || ncnn_p_ints(&r->m, L, 11, ax, 8, &na))
        return -1;
    if (ncnn_p_set(L, 19) || ncnn_p_set(L, 20) || ncnn_p_set(L, 21))
        return ncnn_fail(&r->m, L, "crop bounds given as expressions are not supported");
    if (!ns || !ne) return ncnn_fail(&r->m, L, "only numpy-style crops (starts, ends, axes: parameters 9, 10, 11) are supported");
    int k = in_k(r, L, 0);
    const int *s = in_s(r, L, 0);
    int n = na ? na : k;
    if (ns < n || ne < n) return ncnn_fail(&r->m, L, "fewer starts or ends than axes");
    int os[4], lo[4] = {0};
    memcpy(os, s, sizeof os);
    bool seen[4] = {false};
    for (int i = 0; i < n; i++) {
        int a = na ? ax[i] : i;
        if (norm_axis(r, L, a, k, &a)) return -1;
        if (seen[a]) return ncnn_fail(&r->m, L, "axis %d is cropped twice", a);
        seen[a] = true;
        int64_t d = s[a], b = st[i], e = en[i];
        if (b == -233) b = 0;
        if (e == -233) e = d;
        b = b >= 0 ? b : d + b;
        e = e > 0 ? e : d + e;
        if (e > d) e = d;
        if (b < 0 || b >= d || e <= b) return ncnn_fail(&r->m, L, "crop %lld..%lld of axis %d (size %lld) is empty", (long long)b, (long long)e, a, (long long)d);
        lo[a] = (int)b;
        os[a] = (int)(e - b);
    }
    int y = out_t(r, L, 0, k, os);
    if (y < 0) return -1;
    int64_t starts[4], ends[4], axes[4];
    int m = 0;
    for (int a = 0; a < k; a++)
        if (seen[a]) starts[m] = lo[a], ends[m] = lo[a] + os[a], axes[m] = a + 1, m++;
    int ins[4] = {in_t(r, L, 0), k_i64(r, L, "starts", starts, m), k_i64(r, L, "ends", ends, m), k_i64(r, L, "axes", axes, m)};
    node(r, L, NULL, OP_SLICE, ins, 4, &y, 1);
    return 0;
}

/* ncnn Reshape: w (0), h (1), d (11), c (2); -233 unset, 0 the input's, -1 inferred. */
static int map_reshape(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    P_INT(0, -233, w);
    P_INT(1, -233, h);
    P_INT(11, -233, d);
    P_INT(2, -233, c);
    if (ncnn_p_set(L, 6)) return ncnn_fail(&r->m, L, "shapes given as expressions are not supported");
    if (ncnn_p_set(L, 12) || ncnn_p_set(L, 13)) return ncnn_fail(&r->m, L, "batch axes (parameters 12, 13) are not supported");
    int ndim = 4;
    if (d == -233) ndim = 3;
    if (c == -233) ndim = 2;
    if (h == -233) ndim = 1;
    if (w == -233) return ncnn_fail(&r->m, L, "gives no shape");
    int k = in_k(r, L, 0);
    const int *s = in_s(r, L, 0);
    int64_t bw = s[k - 1], bh = k >= 2 ? s[k - 2] : 1, bd = k == 4 ? s[1] : 1, bc = k >= 3 ? s[0] : 1;
    int64_t total = bw * bh * bd * bc;
    int64_t v[4] = {w, h, d, c}, in[4] = {bw, bh, bd, bc}; /* w h d c */
    int used[4] = {1, ndim >= 2, ndim == 4, ndim >= 3};
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < 4; i++) {
        if (!used[i]) {
            v[i] = 1;
            continue;
        }
        if (v[i] == 0) v[i] = in[i];
        if (v[i] == -1) {
            if (infer >= 0) return ncnn_fail(&r->m, L, "more than one dim to infer");
            infer = i;
            continue;
        }
        if (v[i] < 1 || v[i] > MAX_DIM) return ncnn_fail(&r->m, L, "a target dim of %lld", (long long)v[i]);
        if (known > MAX_NUMEL / v[i]) return ncnn_fail(&r->m, L, "a target shape too large");
        known *= v[i];
    }
    if (infer >= 0) {
        if (known < 1 || total % known) return ncnn_fail(&r->m, L, "%lld values do not divide by %lld", (long long)total, (long long)known);
        v[infer] = total / known;
    }
    if (v[0] * v[1] * v[2] * v[3] != total)
        return ncnn_fail(&r->m, L, "reshapes %lld values to %lld", (long long)total, (long long)(v[0] * v[1] * v[2] * v[3]));
    int os[4];
    if (ndim == 1) os[0] = (int)v[0];
    if (ndim == 2) os[0] = (int)v[1], os[1] = (int)v[0];
    if (ndim == 3) os[0] = (int)v[3], os[1] = (int)v[1], os[2] = (int)v[0];
    if (ndim == 4) os[0] = (int)v[3], os[1] = (int)v[2], os[2] = (int)v[1], os[3] = (int)v[0];
    int y = out_t(r, L, 0, ndim, os);
    if (y < 0) return -1;
    /* the dim ncnn infers stays -1 in the IR's shape: the same constant at any input size */
    static const int slot_of[4][4] = {{0}, {1, 0}, {3, 1, 0}, {3, 2, 1, 0}}; /* outermost first -> w h d c */
    int64_t shape[5] = {1};
    for (int i = 0; i < ndim; i++) shape[i + 1] = slot_of[ndim - 1][i] == infer ? -1 : os[i];
    int ins[2] = {in_t(r, L, 0), k_i64(r, L, "shape", shape, ndim + 1)};
    node(r, L, NULL, OP_RESHAPE, ins, 2, &y, 1);
    return 0;
}

static int map_flatten(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    int64_t n = 1;
    for (int i = 0; i < in_k(r, L, 0); i++) n *= in_s(r, L, 0)[i];
    if (n > MAX_DIM) return ncnn_fail(&r->m, L, "its output is too large");
    int os[1] = {(int)n}, x = in_t(r, L, 0);
    int y = out_t(r, L, 0, 1, os);
    if (y < 0) return -1;
    node_set_int(r->g, node(r, L, NULL, OP_FLATTEN, &x, 1, &y, 1), "axis", 1);
    return 0;
}

static const char *const permute3[] = {"whc", "hwc", "wch", "cwh", "hcw", "chw"};
static const char *const permute4[] = {"whdc", "hwdc", "wdhc", "dwhc", "hdwc", "dhwc", "whcd", "hwcd",
                                       "wchd", "cwhd", "hcwd", "chwd", "wdch", "dwch", "wcdh", "cwdh",
                                       "dcwh", "cdwh", "hdcw", "dhcw", "hcdw", "chdw", "dchw", "cdhw"};

static int map_permute(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    P_INT(0, 0, type);
    int k = in_k(r, L, 0), perm[4];
    const int *s = in_s(r, L, 0);
    if (k == 1) {
        if (type != 0) return ncnn_fail(&r->m, L, "order_type %d for a 1-D blob", type);
        perm[0] = 0;
    } else if (k == 2) {
        if (type < 0 || type > 1) return ncnn_fail(&r->m, L, "order_type %d for a 2-D blob", type);
        perm[0] = type, perm[1] = 1 - type;
    } else {
        int count = k == 3 ? 6 : 24;
        if (type < 0 || type >= count) return ncnn_fail(&r->m, L, "order_type %d for a %d-D blob", type, k);
        const char *order = (k == 3 ? permute3 : permute4)[type], *axes = k == 3 ? "chw" : "cdhw";
        for (int i = 0; i < k; i++) perm[i] = (int)(strchr(axes, order[k - 1 - i]) - axes);
    }
    int os[4];
    for (int i = 0; i < k; i++) os[i] = s[perm[i]];
    int x = in_t(r, L, 0), y = out_t(r, L, 0, k, os);
    if (y < 0) return -1;
    int64_t p[5] = {0};
    for (int i = 0; i < k; i++) p[i + 1] = perm[i] + 1;
    node_set_ints(r->g, node(r, L, NULL, OP_TRANSPOSE, &x, 1, &y, 1), "perm", p, k + 1);
    return 0;
}

static int map_softmax(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    P_INT(0, 0, axis);
    P_INT(1, 0, fixbug0);
    if (!fixbug0 && axis != 0)
        return ncnn_fail(&r->m, L, "a Softmax over axis %d without fixbug0 (1=1): ncnn refuses such old params", axis);
    int a = 0;
    if (norm_axis(r, L, axis, in_k(r, L, 0), &a)) return -1;
    int x = in_t(r, L, 0), y = out_t(r, L, 0, in_k(r, L, 0), in_s(r, L, 0));
    if (y < 0) return -1;
    node_set_int(r->g, node(r, L, NULL, OP_SOFTMAX, &x, 1, &y, 1), "axis", a + 1);
    return 0;
}

static int map_pooling(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    P_INT(0, 0, type);
    P_INT(1, 0, kw);
    P_INT(11, kw, kh);
    P_INT(2, 1, sw);
    P_INT(12, sw, sh);
    P_INT(3, 0, pl);
    P_INT(14, pl, pr);
    P_INT(13, pl, pt);
    P_INT(15, pt, pb);
    P_INT(4, 0, global);
    P_INT(5, 0, pad_mode);
    P_INT(6, 0, include_pad);
    P_INT(7, 0, adaptive);
    P_INT(8, 0, aw);
    P_INT(18, aw, ah);
    if (type != 0 && type != 1) return ncnn_fail(&r->m, L, "pooling_type %d is not one ncnn has", type);
    int k = in_k(r, L, 0), x = in_t(r, L, 0);
    const int *s = in_s(r, L, 0);
    if (k != 3) return ncnn_fail(&r->m, L, "its input has %d dims (c, h, w expected)", k);
    if (global || (adaptive && aw == 1 && ah == 1)) {
        int gs[3] = {s[0], 1, 1}, flat[1] = {s[0]};
        int y = out_t(r, L, 0, global ? 1 : 3, global ? flat : gs);
        if (y < 0) return -1;
        int pooled = global ? act_tensor(r, arena_printf(r->g->arena, "%s/pool", L->name), 3, gs) : y;
        node(r, L, global ? "/pool" : NULL, type ? OP_GLOBAL_AVGPOOL : OP_GLOBAL_MAXPOOL, &x, 1, &pooled, 1);
        if (global) node_set_int(r->g, node(r, L, NULL, OP_FLATTEN, &pooled, 1, &y, 1), "axis", 1);
        return 0;
    }
    if (adaptive) return ncnn_fail(&r->m, L, "adaptive pooling to %dx%d is not supported", aw, ah);
    if (kw < 1 || kh < 1 || sw < 1 || sh < 1 || kw > 65536 || kh > 65536 || sw > 65536 || sh > 65536 || pl < 0 ||
        pr < 0 || pt < 0 || pb < 0 || pl > MAX_DIM || pr > MAX_DIM || pt > MAX_DIM || pb > MAX_DIM)
        return ncnn_fail(&r->m, L, "its geometry is out of range");
    int64_t H = s[1], Wd = s[2];
    if (pad_mode == 0) { /* full padding: the tail padded up to a whole stride */
        int64_t wt = (Wd + pl + pr - kw) % sw, ht = (H + pt + pb - kh) % sh;
        if (Wd + pl + pr < kw || H + pt + pb < kh) return ncnn_fail(&r->m, L, "kernel larger than the padded input");
        if ((wt || ht) && type == 1) return ncnn_fail(&r->m, L, "average pooling with full padding is not supported");
        if (wt) pr += (int)(sw - wt);
        if (ht) pb += (int)(sh - ht);
    } else if (pad_mode == 2 || pad_mode == 3) {
        int64_t wpad = kw + (Wd - 1) / sw * sw - Wd, hpad = kh + (H - 1) / sh * sh - H;
        if (wpad < 0) wpad = 0;
        if (hpad < 0) hpad = 0;
        pl = (int)(pad_mode == 2 ? wpad / 2 : wpad - wpad / 2), pr = (int)(wpad - pl);
        pt = (int)(pad_mode == 2 ? hpad / 2 : hpad - hpad / 2), pb = (int)(hpad - pt);
    } else if (pad_mode != 1) {
        return ncnn_fail(&r->m, L, "pad_mode %d is not one ncnn has", pad_mode);
    }
    if (Wd + pl + pr < kw || H + pt + pb < kh) return ncnn_fail(&r->m, L, "kernel larger than the padded input");
    int os[3] = {s[0], (int)((H + pt + pb - kh) / sh + 1), (int)((Wd + pl + pr - kw) / sw + 1)};
    int y = out_t(r, L, 0, 3, os);
    if (y < 0) return -1;
    int ni = node(r, L, NULL, type ? OP_AVGPOOL : OP_MAXPOOL, &x, 1, &y, 1);
    int64_t v[4] = {kh, kw};
    node_set_ints(r->g, ni, "kernel_shape", v, 2);
    v[0] = sh, v[1] = sw;
    node_set_ints(r->g, ni, "strides", v, 2);
    int64_t pads[4] = {pt, pl, pb, pr};
    node_set_ints(r->g, ni, "pads", pads, 4);
    if (type) node_set_int(r->g, ni, "count_include_pad", include_pad != 0);
    return 0;
}

static int map_interp(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    P_INT(0, 0, type);
    P_FLOAT(1, 1.f, hs);
    P_FLOAT(2, 1.f, ws);
    P_INT(3, 0, oh);
    P_INT(4, 0, ow);
    P_INT(5, 0, dynamic);
    P_INT(6, 0, align);
    if (dynamic || ncnn_p_set(L, 9)) return ncnn_fail(&r->m, L, "a target size from another blob or an expression is not supported");
    if (type < 1 || type > 3) return ncnn_fail(&r->m, L, "resize_type %d is not supported", type);
    if (in_k(r, L, 0) != 3) return ncnn_fail(&r->m, L, "only resizes of c, h, w blobs are supported");
    const int *s = in_s(r, L, 0);
    bool by_size = oh != 0 && ow != 0;
    if (!by_size) {
        if (!(hs > 0 && ws > 0 && hs < 65536 && ws < 65536)) return ncnn_fail(&r->m, L, "scales %g, %g are out of range", hs, ws);
        double fh = (double)s[1] * hs, fw = (double)s[2] * ws; /* converted only once in range */
        if (!(fh < (double)(1 << 24) && fw < (double)(1 << 24)))
            return ncnn_fail(&r->m, L, "scales %g, %g make an output of %.0f x %.0f", hs, ws, fh, fw);
        oh = (int)fh;
        ow = (int)fw;
    }
    int os[3] = {s[0], oh, ow};
    int x = in_t(r, L, 0), y = out_t(r, L, 0, 3, os);
    if (y < 0) return -1;
    int k;
    if (by_size) {
        int64_t sizes[4] = {1, s[0], oh, ow}, d4 = 4;
        k = konst(r, arena_printf(r->g->arena, "%s.sizes", L->name), DT_I64, 1, &d4, sizes);
    } else {
        float scales[4] = {1, 1, hs, ws};
        int64_t d4 = 4;
        k = konst(r, arena_printf(r->g->arena, "%s.scales", L->name), DT_F32, 1, &d4, scales);
    }
    int ins[4] = {x, -1, by_size ? -1 : k, by_size ? k : -1};
    int ni = node(r, L, NULL, OP_RESIZE, ins, by_size ? 4 : 3, &y, 1);
    if (type == 1) {
        node_set_string(r->g, ni, "mode", "nearest");
        node_set_string(r->g, ni, "coordinate_transformation_mode", "asymmetric");
        node_set_string(r->g, ni, "nearest_mode", "floor");
    } else {
        node_set_string(r->g, ni, "mode", type == 2 ? "linear" : "cubic");
        node_set_string(r->g, ni, "coordinate_transformation_mode", align ? "align_corners" : "half_pixel");
        if (type == 3) node_set_float(r->g, ni, "cubic_coeff_a", -0.75);
    }
    return 0;
}

/* CumulativeSum (0=axis, ncnn's; a 1-D blob ignores it): inclusive running sums -> CumSum
 * with the IR axis as a scalar constant. */
static int map_cumsum(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    P_INT(0, 0, axis);
    int k = in_k(r, L, 0), a = 0;
    if (k > 1 && norm_axis(r, L, axis, k, &a)) return -1;
    int x = in_t(r, L, 0), y = out_t(r, L, 0, k, in_s(r, L, 0));
    if (y < 0) return -1;
    int64_t ir_axis = a + 1;
    int ins[2] = {x, konst(r, arena_printf(r->g->arena, "%s.axis", L->name), DT_I64, 0, NULL, &ir_axis)};
    node(r, L, NULL, OP_CUMSUM, ins, 2, &y, 1);
    return 0;
}

static int map_memorydata(R *r, const NcLayer *L)
{
    if (need_io(r, L, 0, 1)) return -1;
    P_INT(0, 0, w);
    P_INT(1, 0, h);
    P_INT(11, 0, d);
    P_INT(2, 0, c);
    P_INT(21, 1, load_type);
    int k, s[4];
    if (d) k = 4, s[0] = c, s[1] = d, s[2] = h, s[3] = w;
    else if (c) k = 3, s[0] = c, s[1] = h, s[2] = w;
    else if (h) k = 2, s[0] = h, s[1] = w;
    else if (w) k = 1, s[0] = w;
    else return ncnn_fail(&r->m, L, "gives no shape");
    if (load_type != 0 && load_type != 1) return ncnn_fail(&r->m, L, "load_type %d is not one ncnn has", load_type);
    if (check_shape(r, L, k, s)) return -1;
    int64_t dims[5] = {1};
    for (int i = 0; i < k; i++) dims[i + 1] = s[i];
    int t;
    if (load_weight(r, L, "data", load_type, k + 1, dims, &t)) return -1;
    Tensor *x = &r->g->tensors[t];
    x->is_param = false;
    x->name = r->m.blobs[L->out[0]].name; /* the blob is the constant */
    r->bt[L->out[0]] = t;
    r->bk[L->out[0]] = k;
    memcpy(r->bs[L->out[0]], s, sizeof s);
    return 0;
}

static int map_matmul(R *r, const NcLayer *L)
{
    if (need_io(r, L, 2, 1)) return -1;
    P_INT(0, 0, transB);
    int ka = in_k(r, L, 0), kb = in_k(r, L, 1), sa[4], sb[4];
    memcpy(sa, in_s(r, L, 0), sizeof sa);
    memcpy(sb, in_s(r, L, 1), sizeof sb);
    if (ka < 2 || kb < 2) return ncnn_fail(&r->m, L, "products with a 1-D operand are not supported");
    int b = in_t(r, L, 1);
    if (transB) {
        int t = sb[kb - 1];
        sb[kb - 1] = sb[kb - 2], sb[kb - 2] = t;
        int bt = act_tensor(r, arena_printf(r->g->arena, "%s/transB", L->name), kb, sb);
        int64_t perm[5];
        for (int i = 0; i <= kb; i++) perm[i] = i;
        perm[kb] = kb - 1, perm[kb - 1] = kb;
        node_set_ints(r->g, node(r, L, "/transB", OP_TRANSPOSE, &b, 1, &bt, 1), "perm", perm, kb + 1);
        b = bt;
    }
    if (sa[ka - 1] != sb[kb - 2]) return ncnn_fail(&r->m, L, "inner dims %d and %d differ", sa[ka - 1], sb[kb - 2]);
    int k = ka > kb ? ka : kb, os[4];
    for (int i = 0; i < k - 2; i++) {
        int ia = i - (k - ka), ib = i - (k - kb);
        int da = ia >= 0 ? sa[ia] : 1, db = ib >= 0 ? sb[ib] : 1;
        if (da != db && da != 1 && db != 1) return ncnn_fail(&r->m, L, "batch dims %d and %d do not broadcast", da, db);
        os[i] = da > db ? da : db;
    }
    os[k - 2] = sa[ka - 2];
    os[k - 1] = sb[kb - 1];
    int y = out_t(r, L, 0, k, os);
    if (y < 0) return -1;
    int ins[2] = {in_t(r, L, 0), b};
    node(r, L, NULL, OP_MATMUL, ins, 2, &y, 1);
    return 0;
}

static int map_reduction(R *r, const NcLayer *L)
{
    if (need_io(r, L, 1, 1)) return -1;
    P_INT(0, 0, op);
    P_INT(1, 1, all);
    P_FLOAT(2, 1.f, coeff);
    P_INT(4, 0, keep);
    P_INT(5, 0, fixbug0);
    int axes[8], na;
    if (ncnn_p_ints(&r->m, L, 3, axes, 8, &na)) return -1;
    if (!fixbug0 && na) return ncnn_fail(&r->m, L, "a Reduction with axes but without fixbug0 (5=1): ncnn refuses such old params");
    OpKind kind = op == 0 ? OP_REDUCE_SUM : op == 3 ? OP_REDUCE_MEAN : op == 4 ? OP_REDUCE_MAX : op == 5 ? OP_REDUCE_MIN
                  : op == 6 ? OP_REDUCE_PROD : OP_OTHER;
    if (kind == OP_OTHER) return ncnn_fail(&r->m, L, "reduction operation %d is not supported by this reader", op);
    int k = in_k(r, L, 0);
    const int *s = in_s(r, L, 0);
    bool red[4] = {false};
    if (all || !na)
        for (int i = 0; i < k; i++) red[i] = true;
    else
        for (int i = 0; i < na; i++) {
            int a = 0;
            if (norm_axis(r, L, axes[i], k, &a)) return -1;
            red[a] = true;
        }
    int ks[4], os[4], ok = 0;
    int64_t ax[4];
    int nax = 0;
    for (int i = 0; i < k; i++) {
        ks[i] = red[i] ? 1 : s[i];
        if (red[i]) ax[nax++] = i + 1;
        else os[ok++] = s[i];
    }
    if (ok == 0) os[ok++] = 1; /* ncnn keeps one value */
    int x = in_t(r, L, 0);
    int y = keep ? out_t(r, L, 0, k, ks) : out_t(r, L, 0, ok, os);
    if (y < 0) return -1;
    bool scale = coeff != 1.f;
    int kept = keep && !scale ? y : act_tensor(r, arena_printf(r->g->arena, "%s/reduce", L->name), k, ks);
    int ni = node(r, L, kept == y ? NULL : "/reduce", kind, &x, 1, &kept, 1);
    node_set_ints(r->g, ni, "axes", ax, nax);
    node_set_int(r->g, ni, "keepdims", 1);
    int cur = kept;
    if (scale) {
        int t = keep ? y : act_tensor(r, arena_printf(r->g->arena, "%s/scaled", L->name), k, ks);
        int ins[2] = {cur, k_scalar(r, L, "coeff", coeff)};
        node(r, L, keep ? NULL : "/scale", OP_MUL, ins, 2, &t, 1);
        cur = t;
    }
    if (!keep) {
        int64_t shape[5] = {1};
        for (int i = 0; i < ok; i++) shape[i + 1] = os[i];
        int ins[2] = {cur, k_i64(r, L, "shape", shape, ok + 1)};
        node(r, L, NULL, OP_RESHAPE, ins, 2, &y, 1);
    }
    return 0;
}

static int map_input(R *r, const NcLayer *L)
{
    if (need_io(r, L, 0, 1)) return -1;
    P_INT(0, 0, w);
    P_INT(1, 0, h);
    P_INT(11, 0, d);
    P_INT(2, 0, c);
    int k, s[4];
    const GraphMeta *m = &r->g->meta;
    if (d > 0 && c > 0) k = 4, s[0] = c, s[1] = d, s[2] = h, s[3] = w;
    else if (c > 0 && h == 0 && w == 0 && d == 0) { /* an image of any size: read at the probe size */
        k = 3, s[0] = c;
        s[1] = r->probe[0] > 0 ? r->probe[0] : m->imgsz[0] > 0 ? m->imgsz[0] : 640;
        s[2] = r->probe[1] > 0 ? r->probe[1] : m->imgsz[1] > 0 ? m->imgsz[1] : 640;
        if (r->dynamic_input) return ncnn_fail(&r->m, L, "a second Input of any size (only one may leave its size open)");
        r->dynamic_input = true;
    } else if (c > 0) k = 3, s[0] = c, s[1] = h, s[2] = w;
    else if (h > 0) k = 2, s[0] = h, s[1] = w;
    else if (w > 0) k = 1, s[0] = w;
    else if (m->imgsz[0] > 0 && m->imgsz[1] > 0)
        k = 3, s[0] = m->channels > 0 ? m->channels : 3, s[1] = m->imgsz[0], s[2] = m->imgsz[1];
    else
        return ncnn_fail(&r->m, L, "the Input gives no shape (w, h, c) and no metadata.yaml gives imgsz");
    int y = out_t(r, L, 0, k, s);
    if (y < 0) return -1;
    r->g->tensors[y].is_input = true;
    graph_add_input(r->g, y);
    return 0;
}

/* ---- the table ------------------------------------------------------------------------------- */

static const struct {
    const char *type;
    NcMapFn fn;
} maps[] = {
    {"Input", map_input},
    {"Convolution", map_conv},
    {"ConvolutionDepthWise", map_conv},
    {"Deconvolution", map_deconv},
    {"DeconvolutionDepthWise", map_deconv},
    {"InnerProduct", map_innerproduct},
    {"BatchNorm", map_batchnorm},
    {"Swish", map_simple},
    {"Sigmoid", map_simple},
    {"TanH", map_simple},
    {"Mish", map_simple},
    {"Softplus", map_simple},
    {"Erf", map_simple},
    {"AbsVal", map_simple},
    {"ReLU", map_param_act},
    {"ELU", map_param_act},
    {"GELU", map_param_act},
    {"HardSigmoid", map_param_act},
    {"HardSwish", map_param_act},
    {"Clip", map_param_act},
    {"UnaryOp", map_unaryop},
    {"BinaryOp", map_binaryop},
    {"Eltwise", map_eltwise},
    {"Split", map_alias},
    {"Noop", map_alias},
    {"Dropout", map_alias},
    {"Concat", map_concat},
    {"Slice", map_slice},
    {"Crop", map_crop},
    {"Reshape", map_reshape},
    {"Flatten", map_flatten},
    {"Permute", map_permute},
    {"Softmax", map_softmax},
    {"Pooling", map_pooling},
    {"Interp", map_interp},
    {"MemoryData", map_memorydata},
    {"CumulativeSum", map_cumsum},
    {"MatMul", map_matmul},
    {"Reduction", map_reduction},
};

NcMapFn ncnn_map_for(const char *type)
{
    for (size_t i = 0; i < ARRAY_LEN(maps); i++)
        if (!strcmp(maps[i].type, type)) return maps[i].fn;
    return NULL;
}
