/* tflite_read: a .tflite into the IR.  The flatbuffer is verified whole first (formats/
 * flatbuf.h), then every index it holds (tensors, buffers, operator codes) is checked before
 * use.  TF Lite's tensors are plain N-d arrays, so most builtins map one to one; the NHWC
 * ones (convolutions, pools, resize) are read as the IR's NCHW ops between Transposes.
 * Constants are decoded as stored; float16 and quantised int8/uint8 constants feeding a
 * DEQUANTIZE become float32 constants.  A computed tensor's dims that its shape_signature marks
 * -1 (a dynamic input) read as unknown.  The appended metadata.json (the peer's) fills the
 * graph's metadata.  See formats/tflite.h. */
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/core/fileio.h"
#include "formats/tflite.h"
#include "formats/tflite_schema.h"

#define TFLITE_MAX_FILE ((size_t)2 << 30)

typedef struct {
    const uint8_t *buf;
    size_t len;
    const char *name;
    Graph *g;
    FbTable model, sg;
    FbVector tensors, buffers, opcodes;
    int n_tensors;
    int *tmap;          /* TF Lite tensor -> IR tensor */
    float **qscale;     /* per TF Lite tensor: its scales (NULL when none) */
    int64_t **qzero;
    int *qcount, *qaxis;
    int *deq_src;       /* per IR tensor: the stored constant a DEQUANTIZE made it from, -1 when none */
    int n_deq;          /* entries of deq_src (the TF Lite tensors' IR tensors come first) */
    int *deq_act;       /* per TF Lite tensor: its dequantised float form, -1 when none yet */
    Vec stands_for;     /* int pairs {used, stored}: a re-laid weight the IR uses for a stored one */
    StrMap modules;
    int root_module;
    const char *cur;    /* the operator being read (messages) */
    char *err;
    size_t errlen;
} Rd;

static int rd_fail(Rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rd_fail(Rd *r, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(r->err, r->errlen, "%s: %s%s%s", r->name, r->cur ? r->cur : "", r->cur ? ": " : "", msg);
}

static Tensor *T(Rd *r, int i) { return &r->g->tensors[i]; }

/* A tensor's type, shape and data as values: a Tensor pointer goes stale when the graph grows. */
typedef struct {
    DType dtype;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    const void *data;
} Shp;

static Shp S(Rd *r, int i)
{
    const Tensor *t = T(r, i);
    Shp s = {.dtype = t->dtype, .rank = t->rank, .data = t->data};
    memcpy(s.dims, t->dims, sizeof s.dims);
    return s;
}

/* A constant an operator uses as its weights or bias is a parameter: the stored tensor (the
 * float16 or int8 one a DEQUANTIZE reads, when there is one) counts, in its stored type. */
static int stored_of(Rd *r, int ti)
{
    int src = ti >= 0 && ti < r->n_deq ? r->deq_src[ti] : -1;
    return src >= 0 ? src : ti;
}

static void mark_param(Rd *r, int ti)
{
    if (ti < 0 || !T(r, ti)->data) return;
    T(r, stored_of(r, ti))->is_param = true;
}

/* The IR uses `used` (a re-laid or decoded copy) where the file stores `stored`: the modules'
 * parameter counts follow the copy (see count_module_params). */
static void stands_for(Rd *r, int used, int stored)
{
    int pair[2] = {used, stored};
    vec_push(&r->stands_for, sizeof pair, pair);
    T(r, used)->derived = true;
}

/* Module parameter counts go to the module of the node that uses a parameter: for the time of
 * the count, the copies the nodes use carry the stored tensors' flags. */
static void count_module_params(Rd *r)
{
    int(*pairs)[2] = r->stands_for.items;
    size_t n = r->stands_for.len;
    bool *was = xcalloc(n + 1, sizeof(bool));
    for (size_t i = 0; i < n; i++) was[i] = T(r, pairs[i][1])->is_param;
    for (size_t i = 0; i < n; i++) T(r, pairs[i][0])->is_param = was[i];
    for (size_t i = 0; i < n; i++) T(r, pairs[i][1])->is_param = false;
    graph_count_module_params(r->g);
    for (size_t i = 0; i < n; i++) T(r, pairs[i][0])->is_param = false;
    for (size_t i = 0; i < n; i++) T(r, pairs[i][1])->is_param |= was[i];
    free(was);
}

/* ---- tensors --------------------------------------------------------------------------- */
static int read_quant(Rd *r, int i, FbTable q)
{
    FbVector sc = fb_table_vector(q, TFL_QUANT_SCALE, 4), zp = fb_table_vector(q, TFL_QUANT_ZERO_POINT, 8);
    if (!sc.n) return 0;
    if (zp.n && zp.n != sc.n) return rd_fail(r, "tensor %d: %u scales but %u zero points", i, sc.n, zp.n);
    r->qcount[i] = (int)sc.n;
    r->qaxis[i] = fb_table_i32(q, TFL_QUANT_QUANTIZED_DIMENSION, 0);
    r->qscale[i] = arena_alloc(r->g->arena, sizeof(float) * sc.n);
    r->qzero[i] = arena_alloc(r->g->arena, sizeof(int64_t) * sc.n);
    for (uint32_t k = 0; k < sc.n; k++) {
        r->qscale[i][k] = fb_vec_f32(sc, k);
        r->qzero[i][k] = zp.n ? fb_vec_i64(zp, k) : 0;
        /* No TF Lite type has a zero point wider than int32; a wider one is a hostile file. */
        if (r->qzero[i][k] < INT32_MIN || r->qzero[i][k] > INT32_MAX)
            return rd_fail(r, "tensor %d: zero point %lld is outside int32", i, (long long)r->qzero[i][k]);
    }
    return 0;
}

/* The data of buffer b for a tensor of nbytes (NULL when the buffer is empty; -1 on error). */
static int buffer_data(Rd *r, int ti, uint32_t b, size_t nbytes, const uint8_t **out)
{
    *out = NULL;
    if (b == 0) return 0;
    if (b >= r->buffers.n) return rd_fail(r, "tensor %d names buffer %u of %u", ti, b, r->buffers.n);
    FbTable bt = fb_vec_table(r->buffers, b);
    FbVector d = fb_table_vector(bt, TFL_BUFFER_DATA, 1);
    uint64_t off = fb_table_u64(bt, TFL_BUFFER_OFFSET, 0), size = fb_table_u64(bt, TFL_BUFFER_SIZE, 0);
    const uint8_t *p = NULL;
    uint64_t n = 0;
    if (d.n) {
        p = fb_vec_data(d, 1);
        n = d.n;
    } else if (off > 1) { /* large models keep their data after the flatbuffer */
        if (off > r->len || size > r->len - off) return rd_fail(r, "buffer %u lies outside the file (offset %llu, %llu bytes)",
                                                                  b, (unsigned long long)off, (unsigned long long)size);
        p = r->buf + off;
        n = size;
    }
    if (!n) return 0;
    if (n != nbytes)
        return rd_fail(r, "tensor %d: buffer %u holds %llu bytes, its shape and type want %zu", ti, b, (unsigned long long)n, nbytes);
    *out = p;
    return 0;
}

static int read_tensors(Rd *r)
{
    r->n_tensors = (int)r->tensors.n;
    size_t n = (size_t)r->n_tensors + 1;
    r->tmap = xcalloc(n, sizeof(int));
    r->qscale = xcalloc(n, sizeof(float *));
    r->qzero = xcalloc(n, sizeof(int64_t *));
    r->qcount = xcalloc(n, sizeof(int));
    r->qaxis = xcalloc(n, sizeof(int));
    r->deq_src = xmalloc(n * sizeof(int));
    r->n_deq = r->n_tensors;
    r->deq_act = xmalloc(n * sizeof(int));
    for (size_t i = 0; i < n; i++) r->deq_src[i] = -1, r->deq_act[i] = -1;
    for (int i = 0; i < r->n_tensors; i++) {
        FbTable t = fb_vec_table(r->tensors, (uint32_t)i);
        FbVector sh = fb_table_vector(t, TFL_TENSOR_SHAPE, 4);
        if (sh.n > GRAPH_MAX_RANK) return rd_fail(r, "tensor %d has rank %u (at most %d)", i, sh.n, GRAPH_MAX_RANK);
        int64_t dims[GRAPH_MAX_RANK];
        int64_t numel = 1;
        for (uint32_t k = 0; k < sh.n; k++) {
            dims[k] = fb_vec_i32(sh, k);
            if (dims[k] < 0) return rd_fail(r, "tensor %d has a negative dimension", i);
            if (!dims_product(dims, (int)k + 1, &numel) || numel > (int64_t)1 << 40)
                return rd_fail(r, "tensor %d is too large", i);
        }
        /* a computed tensor whose shape_signature holds -1 there follows the input's size: the
         * dim reads as unknown (the file's `shape` is one size it was converted at) */
        FbVector sig = fb_table_vector(t, TFL_TENSOR_SHAPE_SIGNATURE, 4);
        bool has_data = fb_table_u32(t, TFL_TENSOR_BUFFER, 0) != 0;
        for (uint32_t k = 0; sig.n == sh.n && !has_data && k < sh.n; k++)
            if (fb_vec_i32(sig, k) == -1) dims[k] = -1;
        int type = fb_table_i8(t, TFL_TENSOR_TYPE, 0);
        DType dt = tflite_type_dtype(type);
        if (dt == DT_UNDEFINED || dt == DT_STRING) return rd_fail(r, "tensor %d has type %s, which is not read", i, tflite_type_name(type));
        uint32_t nl = 0;
        const char *nm = fb_table_string(t, TFL_TENSOR_NAME, &nl);
        char *name = nm ? arena_strndup(r->g->arena, nm, nl) : arena_printf(r->g->arena, "tensor_%d", i);
        FbTable q = fb_table_table(t, TFL_TENSOR_QUANTIZATION);
        if (q.pos && read_quant(r, i, q)) return -1;
        const uint8_t *data;
        size_t nbytes = (size_t)numel * dtype_size(dt);
        if (buffer_data(r, i, fb_table_u32(t, TFL_TENSOR_BUFFER, 0), nbytes, &data)) return -1;
        int ti = data ? graph_add_const(r->g, name, dt, (int)sh.n, dims, data)
                      : graph_add_tensor(r->g, name, dt, (int)sh.n, dims);
        r->tmap[i] = ti; /* parameters are marked where operators use them as weights (mark_param) */
    }
    return 0;
}

/* ---- building blocks ------------------------------------------------------------------- */
static int add_act(Rd *r, const char *name, DType dt, int rank, const int64_t *dims)
{
    return graph_add_tensor(r->g, name, dt, rank, dims);
}

static int node(Rd *r, OpKind op, const char *op_type, const char *name, const int *in, int nin, const int *out, int nout)
{
    /* TensorFlow names are paths without the leading slash ("model.2/cv1/conv/Conv2D") */
    const char *path = name && name[0] != '/' && strchr(name, '/') ? arena_printf(r->g->arena, "/%s", name) : name;
    int mod = graph_module_for_name(r->g, &r->modules, path, "tflite", &r->root_module);
    return graph_add_node(r->g, op, op_type, name, mod, in, nin, out, nout);
}

static int const_i64(Rd *r, const char *name, const int64_t *v, int n)
{
    int64_t d = n;
    return graph_add_const(r->g, name, DT_I64, 1, &d, v);
}

static int transpose(Rd *r, const char *name, int x, const int64_t *perm, int out)
{
    Shp X = S(r, x);
    int rank = X.rank;
    if (out < 0) {
        int64_t d[GRAPH_MAX_RANK];
        for (int i = 0; i < rank; i++) d[i] = X.dims[perm[i]];
        out = add_act(r, name, X.dtype, rank, d);
    }
    int ni = node(r, OP_TRANSPOSE, NULL, name, &x, 1, &out, 1);
    node_set_ints(r->g, ni, "perm", perm, rank);
    return out;
}

static const int64_t TO_NCHW[4] = {0, 3, 1, 2}, TO_NHWC[4] = {0, 2, 3, 1};

/* A fused activation after t into y (y < 0: a new tensor); returns the result. */
static int activation(Rd *r, const char *name, int t, int act, int y)
{
    if (act == TFL_ACT_NONE) return t;
    Shp X = S(r, t);
    if (y < 0) y = add_act(r, arena_printf(r->g->arena, "%s/act", name), X.dtype, X.rank, X.dims);
    int ni;
    switch (act) {
    case TFL_ACT_RELU:
        node(r, OP_RELU, NULL, arena_printf(r->g->arena, "%s/Relu", name), &t, 1, &y, 1);
        return y;
    case TFL_ACT_RELU6:
    case TFL_ACT_RELU_N1_TO_1:
        ni = node(r, OP_CLIP, NULL, arena_printf(r->g->arena, "%s/Clip", name), &t, 1, &y, 1);
        node_set_float(r->g, ni, "min", act == TFL_ACT_RELU6 ? 0.0 : -1.0);
        node_set_float(r->g, ni, "max", act == TFL_ACT_RELU6 ? 6.0 : 1.0);
        return y;
    case TFL_ACT_TANH:
        node(r, OP_TANH, NULL, arena_printf(r->g->arena, "%s/Tanh", name), &t, 1, &y, 1);
        return y;
    default:
        rd_fail(r, "fused activation %d is not read", act);
        return -1;
    }
}

/* An NCHW op's result t (NCHW) back to the TF Lite output y (NHWC), through act. */
static int finish_nhwc(Rd *r, const char *name, int t, int act, int y)
{
    Shp Y = S(r, y);
    int a = t;
    if (act != TFL_ACT_NONE) {
        Shp X = S(r, t);
        a = add_act(r, arena_printf(r->g->arena, "%s/act", name), X.dtype, X.rank, X.dims);
        if (activation(r, name, t, act, a) < 0) return -1;
    }
    (void)Y;
    transpose(r, arena_printf(r->g->arena, "%s/to_nhwc", name), a, TO_NHWC, y);
    return 0;
}

static int nchw_of(Rd *r, const char *name, int x)
{
    return transpose(r, arena_printf(r->g->arena, "%s/to_nchw", name), x, TO_NCHW, -1);
}

/* TF Lite's SAME padding in total along one axis; an unknown size (-1) with stride 1 pads
 * (k - 1) * d whatever it is (the caller refuses a larger stride then). */
static int64_t same_pad_total(int64_t in, int64_t out, int64_t k, int64_t s, int64_t d)
{
    if (in < 0 || out < 0) return s == 1 ? (k - 1) * d : 0;
    int64_t t = (out - 1) * s + (k - 1) * d + 1 - in;
    return t > 0 ? t : 0;
}

/* The constant data of IR tensor ti as int64 values (count, or -1 when not an integer constant). */
static int const_ints(Rd *r, int ti, int64_t *out, int max)
{
    if (ti < 0) return -1;
    Tensor *t = T(r, ti);
    if (!t->data) return -1;
    int64_t n = tensor_numel(t);
    if (n < 0 || n > max) return -1;
    for (int64_t i = 0; i < n; i++) {
        if (t->dtype == DT_I32) out[i] = ((const int32_t *)t->data)[i];
        else if (t->dtype == DT_I64) out[i] = ((const int64_t *)t->data)[i];
        else return -1;
    }
    return (int)n;
}

/* ---- operators ------------------------------------------------------------------------- */
typedef struct {
    int32_t code;
    FbTable opt;
    const int *in;  /* IR tensors (-1 for an omitted input) */
    int nin;
    const int *out;
    int nout;
    const char *name;
} OpCtx;

typedef int (*ReadFn)(Rd *r, const OpCtx *c);

static int need_in(Rd *r, const OpCtx *c, int n)
{
    if (c->nin < n || c->nout < 1) return rd_fail(r, "needs %d inputs and an output", n);
    for (int i = 0; i < n; i++)
        if (c->in[i] < 0) return rd_fail(r, "input %d is missing", i);
    return 0;
}

static int rd_conv(Rd *r, const OpCtx *c)
{
    bool dw = c->code == TFL_DEPTHWISE_CONV_2D;
    if (need_in(r, c, 2)) return -1;
    Shp X = S(r, c->in[0]), W = S(r, c->in[1]), Y = S(r, c->out[0]);
    if (X.rank != 4 || W.rank != 4 || Y.rank != 4 || !W.data || W.dtype != DT_F32)
        return rd_fail(r, "wants NHWC input and output and a float32 constant filter of rank 4");
    int64_t O = W.dims[0], kh = W.dims[1], kw = W.dims[2], I = W.dims[3];
    int64_t Cin = X.dims[3];
    int64_t cout = dw ? I : O;
    float *wd = xmalloc(sizeof(float) * (size_t)(O * kh * kw * I));
    const float *src = W.data;
    int64_t wdims[4];
    if (dw) { /* [1, kh, kw, C*M] -> [C*M, 1, kh, kw] */
        for (int64_t o = 0; o < I; o++)
            for (int64_t k = 0; k < kh * kw; k++) wd[o * kh * kw + k] = src[k * I + o];
        wdims[0] = I, wdims[1] = 1, wdims[2] = kh, wdims[3] = kw;
    } else { /* OHWI -> OIHW */
        for (int64_t o = 0; o < O; o++)
            for (int64_t k = 0; k < kh * kw; k++)
                for (int64_t i = 0; i < I; i++) wd[(o * I + i) * kh * kw + k] = src[(o * kh * kw + k) * I + i];
        wdims[0] = O, wdims[1] = I, wdims[2] = kh, wdims[3] = kw;
    }
    int64_t group = dw ? Cin : (I > 0 && Cin % I == 0 ? Cin / I : 0);
    if (group <= 0) {
        free(wd);
        return rd_fail(r, "input channels %lld do not fit the filter's %lld", (long long)Cin, (long long)I);
    }
    int w = graph_add_const(r->g, arena_printf(r->g->arena, "%s/weight", c->name), DT_F32, 4, wdims, wd);
    free(wd);
    mark_param(r, c->in[1]); /* the stored filter counts; its re-laid copy is not the file's */
    stands_for(r, w, stored_of(r, c->in[1]));
    int b = c->nin > 2 ? c->in[2] : -1;
    mark_param(r, b);
    int64_t sw = fb_table_i32(c->opt, dw ? TFL_DW_STRIDE_W : TFL_CONV_STRIDE_W, 1);
    int64_t sh = fb_table_i32(c->opt, dw ? TFL_DW_STRIDE_H : TFL_CONV_STRIDE_H, 1);
    int64_t dw_ = fb_table_i32(c->opt, dw ? TFL_DW_DILATION_W : TFL_CONV_DILATION_W, 1);
    int64_t dh = fb_table_i32(c->opt, dw ? TFL_DW_DILATION_H : TFL_CONV_DILATION_H, 1);
    int pad = fb_table_i8(c->opt, dw ? TFL_DW_PADDING : TFL_CONV_PADDING, 0);
    int act = fb_table_i8(c->opt, dw ? TFL_DW_ACTIVATION : TFL_CONV_ACTIVATION, 0);
    if (sw < 1 || sh < 1 || dw_ < 1 || dh < 1) return rd_fail(r, "strides and dilations must be positive");
    int64_t ph = pad == TFL_PADDING_SAME ? same_pad_total(X.dims[1], Y.dims[1], kh, sh, dh) : 0;
    int64_t pw = pad == TFL_PADDING_SAME ? same_pad_total(X.dims[2], Y.dims[2], kw, sw, dw_) : 0;
    if (pad == TFL_PADDING_SAME && (sh > 1 || sw > 1) && (X.dims[1] < 0 || X.dims[2] < 0))
        return rd_fail(r, "SAME padding with a stride above 1 on an input of unknown size is not read");
    int xn = nchw_of(r, c->name, c->in[0]);
    int64_t yd[4] = {Y.dims[0], cout, Y.dims[1], Y.dims[2]};
    int t = add_act(r, arena_printf(r->g->arena, "%s/nchw", c->name), DT_F32, 4, yd);
    int ins[3] = {xn, w, b};
    int ni = node(r, OP_CONV, NULL, c->name, ins, b >= 0 ? 3 : 2, &t, 1);
    node_set_ints(r->g, ni, "strides", (int64_t[]){sh, sw}, 2);
    node_set_ints(r->g, ni, "dilations", (int64_t[]){dh, dw_}, 2);
    node_set_ints(r->g, ni, "pads", (int64_t[]){ph / 2, pw / 2, ph - ph / 2, pw - pw / 2}, 4);
    node_set_ints(r->g, ni, "kernel_shape", (int64_t[]){kh, kw}, 2);
    node_set_int(r->g, ni, "group", group);
    return finish_nhwc(r, c->name, t, act, c->out[0]);
}

static int rd_transpose_conv(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 3)) return -1;
    Shp W = S(r, c->in[1]), X = S(r, c->in[2]), Y = S(r, c->out[0]);
    if (X.rank != 4 || W.rank != 4 || Y.rank != 4 || !W.data || W.dtype != DT_F32)
        return rd_fail(r, "wants NHWC input and output and a float32 constant filter of rank 4");
    int64_t Co = W.dims[0], kh = W.dims[1], kw = W.dims[2], Ci = W.dims[3];
    float *wd = xmalloc(sizeof(float) * (size_t)(Co * kh * kw * Ci));
    const float *src = W.data; /* [Co, kh, kw, Ci] -> [Ci, Co, kh, kw] */
    for (int64_t o = 0; o < Co; o++)
        for (int64_t k = 0; k < kh * kw; k++)
            for (int64_t i = 0; i < Ci; i++) wd[(i * Co + o) * kh * kw + k] = src[(o * kh * kw + k) * Ci + i];
    int w = graph_add_const(r->g, arena_printf(r->g->arena, "%s/weight", c->name), DT_F32, 4,
                            (int64_t[]){Ci, Co, kh, kw}, wd);
    free(wd);
    mark_param(r, c->in[1]);
    stands_for(r, w, stored_of(r, c->in[1]));
    if (c->nin > 3) mark_param(r, c->in[3]);
    int64_t sh = fb_table_i32(c->opt, TFL_TCONV_STRIDE_H, 1), sw = fb_table_i32(c->opt, TFL_TCONV_STRIDE_W, 1);
    if (sh < 1 || sw < 1) return rd_fail(r, "strides must be positive");
    int64_t th = (X.dims[1] - 1) * sh + kh - Y.dims[1], tw = (X.dims[2] - 1) * sw + kw - Y.dims[2];
    if (th < 0 || tw < 0) return rd_fail(r, "the output shape does not fit the input");
    int b = c->nin > 3 ? c->in[3] : -1;
    int xn = nchw_of(r, c->name, c->in[2]);
    int64_t yd[4] = {Y.dims[0], Co, Y.dims[1], Y.dims[2]};
    int t = add_act(r, arena_printf(r->g->arena, "%s/nchw", c->name), DT_F32, 4, yd);
    int ins[3] = {xn, w, b};
    int ni = node(r, OP_CONV_TRANSPOSE, NULL, c->name, ins, b >= 0 ? 3 : 2, &t, 1);
    node_set_ints(r->g, ni, "strides", (int64_t[]){sh, sw}, 2);
    node_set_ints(r->g, ni, "pads", (int64_t[]){th / 2, tw / 2, th - th / 2, tw - tw / 2}, 4);
    node_set_ints(r->g, ni, "kernel_shape", (int64_t[]){kh, kw}, 2);
    return finish_nhwc(r, c->name, t, fb_table_i8(c->opt, TFL_TCONV_ACTIVATION, 0), c->out[0]);
}

static int rd_pool(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 1)) return -1;
    Shp X = S(r, c->in[0]), Y = S(r, c->out[0]);
    if (X.rank != 4 || Y.rank != 4) return rd_fail(r, "wants NHWC input and output");
    int64_t sw = fb_table_i32(c->opt, TFL_POOL_STRIDE_W, 1), sh = fb_table_i32(c->opt, TFL_POOL_STRIDE_H, 1);
    int64_t kw = fb_table_i32(c->opt, TFL_POOL_FILTER_W, 1), kh = fb_table_i32(c->opt, TFL_POOL_FILTER_H, 1);
    if (sw < 1 || sh < 1 || kw < 1 || kh < 1) return rd_fail(r, "strides and filter sizes must be positive");
    bool same = fb_table_i8(c->opt, TFL_POOL_PADDING, 0) == TFL_PADDING_SAME;
    int64_t ph = same ? same_pad_total(X.dims[1], Y.dims[1], kh, sh, 1) : 0;
    int64_t pw = same ? same_pad_total(X.dims[2], Y.dims[2], kw, sw, 1) : 0;
    if (same && (sh > 1 || sw > 1) && (X.dims[1] < 0 || X.dims[2] < 0))
        return rd_fail(r, "SAME padding with a stride above 1 on an input of unknown size is not read");
    int xn = nchw_of(r, c->name, c->in[0]);
    int64_t yd[4] = {Y.dims[0], Y.dims[3], Y.dims[1], Y.dims[2]};
    int t = add_act(r, arena_printf(r->g->arena, "%s/nchw", c->name), DT_F32, 4, yd);
    int ni = node(r, c->code == TFL_MAX_POOL_2D ? OP_MAXPOOL : OP_AVGPOOL, NULL, c->name, &xn, 1, &t, 1);
    node_set_ints(r->g, ni, "kernel_shape", (int64_t[]){kh, kw}, 2);
    node_set_ints(r->g, ni, "strides", (int64_t[]){sh, sw}, 2);
    node_set_ints(r->g, ni, "pads", (int64_t[]){ph / 2, pw / 2, ph - ph / 2, pw - pw / 2}, 4);
    return finish_nhwc(r, c->name, t, fb_table_i8(c->opt, TFL_POOL_ACTIVATION, 0), c->out[0]);
}

static int rd_resize(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 1)) return -1;
    Shp X = S(r, c->in[0]), Y = S(r, c->out[0]);
    if (X.rank != 4 || Y.rank != 4) return rd_fail(r, "wants NHWC input and output");
    if (fb_table_bool(c->opt, 0, false) || fb_table_bool(c->opt, 1, false))
        return rd_fail(r, "align_corners and half_pixel_centers are not read");
    int xn = nchw_of(r, c->name, c->in[0]);
    int64_t yd[4] = {Y.dims[0], Y.dims[3], Y.dims[1], Y.dims[2]};
    int64_t four = 4;
    int sizes;
    if (yd[2] >= 0 && yd[3] >= 0) {
        sizes = graph_add_const(r->g, arena_printf(r->g->arena, "%s/sizes", c->name), DT_I64, 1, &four, yd);
    } else { /* a size computed in the graph (dynamic): the input's batch and channels, then it */
        if (c->nin < 2 || c->in[1] < 0 || T(r, c->in[1])->rank != 1) return rd_fail(r, "the size must be a vector of 2 integers");
        int64_t two = 2;
        int nc = add_act(r, arena_printf(r->g->arena, "%s/batch_channels", c->name), DT_I64, 1, &two);
        int sn = node(r, OP_SHAPE, NULL, arena_printf(r->g->arena, "%s/Shape", c->name), &xn, 1, &nc, 1);
        node_set_int(r->g, sn, "start", 0);
        node_set_int(r->g, sn, "end", 2);
        int hw = add_act(r, arena_printf(r->g->arena, "%s/size_i64", c->name), DT_I64, 1, &two);
        int cn = node(r, OP_CAST, NULL, arena_printf(r->g->arena, "%s/size_i64", c->name), &c->in[1], 1, &hw, 1);
        node_set_int(r->g, cn, "to", dtype_to_onnx(DT_I64));
        sizes = add_act(r, arena_printf(r->g->arena, "%s/sizes", c->name), DT_I64, 1, &four);
        int ct = node(r, OP_CONCAT, NULL, arena_printf(r->g->arena, "%s/sizes", c->name), (int[]){nc, hw}, 2, &sizes, 1);
        node_set_int(r->g, ct, "axis", 0);
    }
    int t = add_act(r, arena_printf(r->g->arena, "%s/nchw", c->name), DT_F32, 4, yd);
    int ins[4] = {xn, -1, -1, sizes};
    int ni = node(r, OP_RESIZE, NULL, c->name, ins, 4, &t, 1);
    node_set_string(r->g, ni, "mode", "nearest");
    node_set_string(r->g, ni, "coordinate_transformation_mode", "asymmetric");
    node_set_string(r->g, ni, "nearest_mode", "floor");
    return finish_nhwc(r, c->name, t, TFL_ACT_NONE, c->out[0]);
}

static const struct {
    int32_t code;
    OpKind op;
    int opt_act; /* field of the fused activation in the options, -1 when none */
} binary_ops[] = {
    {TFL_ADD, OP_ADD, 0}, {TFL_SUB, OP_SUB, 0}, {TFL_MUL, OP_MUL, 0}, {TFL_DIV, OP_DIV, 0},
    {TFL_MAXIMUM, OP_MAX, -1}, {TFL_MINIMUM, OP_MIN, -1}, {TFL_POW, OP_POW, -1},
};

static int rd_binary(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 2)) return -1;
    for (size_t i = 0; i < ARRAY_LEN(binary_ops); i++) {
        if (binary_ops[i].code != c->code) continue;
        int act = binary_ops[i].opt_act >= 0 ? fb_table_i8(c->opt, binary_ops[i].opt_act, 0) : 0;
        int y = c->out[0];
        if (act != TFL_ACT_NONE) {
            Shp Y = S(r, y);
            int t = add_act(r, arena_printf(r->g->arena, "%s/pre", c->name), Y.dtype, Y.rank, Y.dims);
            node(r, binary_ops[i].op, NULL, c->name, c->in, 2, &t, 1);
            return activation(r, c->name, t, act, y) < 0 ? -1 : 0;
        }
        node(r, binary_ops[i].op, NULL, c->name, c->in, 2, &y, 1);
        return 0;
    }
    return rd_fail(r, "not a binary op");
}

static const struct {
    int32_t code;
    OpKind op;
} unary_ops[] = {
    {TFL_LOGISTIC, OP_SIGMOID}, {TFL_RELU, OP_RELU}, {TFL_TANH, OP_TANH}, {TFL_EXP, OP_EXP}, {TFL_LOG, OP_LOG},
    {TFL_SQRT, OP_SQRT}, {TFL_NEG, OP_NEG}, {TFL_ABS, OP_ABS}, {TFL_FLOOR, OP_FLOOR}, {TFL_SIN, OP_SIN},
    {TFL_COS, OP_COS}, {TFL_HARD_SWISH, OP_HARD_SWISH}, {TFL_LEAKY_RELU, OP_LEAKY_RELU},
};

static int rd_unary(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 1)) return -1;
    if (c->code == TFL_RSQRT) {
        Shp Y = S(r, c->out[0]);
        int t = add_act(r, arena_printf(r->g->arena, "%s/sqrt", c->name), Y.dtype, Y.rank, Y.dims);
        node(r, OP_SQRT, NULL, arena_printf(r->g->arena, "%s/Sqrt", c->name), c->in, 1, &t, 1);
        node(r, OP_RECIPROCAL, NULL, c->name, &t, 1, c->out, 1);
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(unary_ops); i++)
        if (unary_ops[i].code == c->code) {
            int ni = node(r, unary_ops[i].op, NULL, c->name, c->in, 1, c->out, 1);
            if (c->code == TFL_LEAKY_RELU) node_set_float(r->g, ni, "alpha", fb_table_f32(c->opt, 0, 0.0f));
            return 0;
        }
    return rd_fail(r, "not a unary op");
}

static int rd_concat(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, c->nin) || c->nin < 1) return -1;
    int ni = node(r, OP_CONCAT, NULL, c->name, c->in, c->nin, c->out, 1);
    node_set_int(r->g, ni, "axis", fb_table_i32(c->opt, 0, 0));
    return 0;
}

static int rd_split(Rd *r, const OpCtx *c)
{
    bool v = c->code == TFL_SPLIT_V;
    if (need_in(r, c, v ? 3 : 2)) return -1;
    int x = v ? c->in[0] : c->in[1], axis_t = v ? c->in[2] : c->in[0];
    int64_t axis;
    if (const_ints(r, axis_t, &axis, 1) != 1) return rd_fail(r, "the axis must be one constant");
    int rank = T(r, x)->rank;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return rd_fail(r, "axis out of range");
    int64_t *sizes = xmalloc(sizeof(int64_t) * (size_t)c->nout);
    for (int k = 0; k < c->nout; k++) sizes[k] = c->out[k] >= 0 ? T(r, c->out[k])->dims[axis] : 0;
    int64_t nd = c->nout;
    int st = graph_add_const(r->g, arena_printf(r->g->arena, "%s/split", c->name), DT_I64, 1, &nd, sizes);
    free(sizes);
    int ins[2] = {x, st};
    int ni = node(r, OP_SPLIT, NULL, c->name, ins, 2, c->out, c->nout);
    node_set_int(r->g, ni, "axis", axis);
    return 0;
}

static int rd_strided_slice(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 4)) return -1;
    int x = c->in[0];
    Shp X = S(r, x);
    int rank = X.rank;
    int64_t b[GRAPH_MAX_RANK], e[GRAPH_MAX_RANK], s[GRAPH_MAX_RANK], axes[GRAPH_MAX_RANK];
    if (const_ints(r, c->in[1], b, GRAPH_MAX_RANK) != rank || const_ints(r, c->in[2], e, GRAPH_MAX_RANK) != rank ||
        const_ints(r, c->in[3], s, GRAPH_MAX_RANK) != rank)
        return rd_fail(r, "begin, end and strides must be constants with one value per axis");
    int32_t bm = fb_table_i32(c->opt, 0, 0), em = fb_table_i32(c->opt, 1, 0), shrink = fb_table_i32(c->opt, 4, 0);
    if (fb_table_i32(c->opt, 2, 0) || fb_table_i32(c->opt, 3, 0)) return rd_fail(r, "ellipsis and new-axis masks are not read");
    for (int i = 0; i < rank; i++) {
        if (!s[i]) return rd_fail(r, "a stride of 0");
        if ((bm >> i) & 1) b[i] = s[i] > 0 ? 0 : INT64_MAX;
        if ((em >> i) & 1) e[i] = s[i] > 0 ? INT64_MAX : INT64_MIN;
        if ((shrink >> i) & 1) e[i] = b[i] == -1 ? INT64_MAX : b[i] + 1, s[i] = 1;
        axes[i] = i;
    }
    int ins[5] = {x, const_i64(r, arena_printf(r->g->arena, "%s/starts", c->name), b, rank),
                  const_i64(r, arena_printf(r->g->arena, "%s/ends", c->name), e, rank),
                  const_i64(r, arena_printf(r->g->arena, "%s/axes", c->name), axes, rank),
                  const_i64(r, arena_printf(r->g->arena, "%s/steps", c->name), s, rank)};
    if (!shrink) {
        node(r, OP_SLICE, NULL, c->name, ins, 5, c->out, 1);
        return 0;
    }
    int64_t d[GRAPH_MAX_RANK];
    Shp Y = S(r, c->out[0]);
    for (int i = 0; i < rank; i++) d[i] = (shrink >> i) & 1 ? 1 : -1;
    int t = add_act(r, arena_printf(r->g->arena, "%s/slice", c->name), X.dtype, rank, d);
    node(r, OP_SLICE, NULL, arena_printf(r->g->arena, "%s/Slice", c->name), ins, 5, &t, 1);
    int sh = const_i64(r, arena_printf(r->g->arena, "%s/shape", c->name), Y.dims, Y.rank);
    node(r, OP_RESHAPE, NULL, c->name, (int[]){t, sh}, 2, c->out, 1);
    return 0;
}

static int rd_slice(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 3)) return -1;
    int rank = T(r, c->in[0])->rank;
    int64_t b[GRAPH_MAX_RANK], sz[GRAPH_MAX_RANK], e[GRAPH_MAX_RANK];
    if (const_ints(r, c->in[1], b, GRAPH_MAX_RANK) != rank || const_ints(r, c->in[2], sz, GRAPH_MAX_RANK) != rank)
        return rd_fail(r, "begin and size must be constants with one value per axis");
    for (int i = 0; i < rank; i++) e[i] = sz[i] < 0 ? INT64_MAX : b[i] + sz[i];
    int ins[3] = {c->in[0], const_i64(r, arena_printf(r->g->arena, "%s/starts", c->name), b, rank),
                  const_i64(r, arena_printf(r->g->arena, "%s/ends", c->name), e, rank)};
    node(r, OP_SLICE, NULL, c->name, ins, 3, c->out, 1);
    return 0;
}

/* RESHAPE, EXPAND_DIMS, SQUEEZE: the output's static shape says it all. */
static int rd_reshape(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 1)) return -1;
    Shp Y = S(r, c->out[0]);
    int unknown = 0;
    for (int i = 0; i < Y.rank; i++) unknown += Y.dims[i] < 0;
    if (unknown > 1) { /* dynamic: the new shape as written (one -1 in it) */
        int64_t ns[GRAPH_MAX_RANK];
        if (c->nin < 2 || const_ints(r, c->in[1], ns, GRAPH_MAX_RANK) != Y.rank)
            return rd_fail(r, "a reshape to %d unknown dims needs its new shape as a constant", unknown);
        memcpy(Y.dims, ns, sizeof(int64_t) * (size_t)Y.rank);
    }
    int sh = const_i64(r, arena_printf(r->g->arena, "%s/shape", c->name), Y.dims, Y.rank);
    node(r, OP_RESHAPE, NULL, c->name, (int[]){c->in[0], sh}, 2, c->out, 1);
    return 0;
}

static int rd_transpose(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 2)) return -1;
    int64_t perm[GRAPH_MAX_RANK];
    int n = const_ints(r, c->in[1], perm, GRAPH_MAX_RANK);
    if (n != T(r, c->in[0])->rank) return rd_fail(r, "the permutation must be a constant of the input's rank");
    for (int i = 0; i < n; i++)
        if (perm[i] < 0 || perm[i] >= n) return rd_fail(r, "a permutation entry out of range");
    transpose(r, c->name, c->in[0], perm, c->out[0]);
    return 0;
}

static int rd_softmax(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 1)) return -1;
    float beta = fb_table_f32(c->opt, 0, 1.0f);
    int x = c->in[0];
    if (beta != 1.0f) {
        Shp X = S(r, x);
        int bt = graph_add_const(r->g, arena_printf(r->g->arena, "%s/beta", c->name), DT_F32, 0, NULL, &beta);
        int t = add_act(r, arena_printf(r->g->arena, "%s/scaled", c->name), X.dtype, X.rank, X.dims);
        node(r, OP_MUL, NULL, arena_printf(r->g->arena, "%s/Mul", c->name), (int[]){x, bt}, 2, &t, 1);
        x = t;
    }
    int ni = node(r, OP_SOFTMAX, NULL, c->name, &x, 1, c->out, 1);
    node_set_int(r->g, ni, "axis", -1);
    return 0;
}

static int swap_last(Rd *r, const char *name, int x)
{
    int rank = T(r, x)->rank;
    int64_t perm[GRAPH_MAX_RANK];
    for (int i = 0; i < rank; i++) perm[i] = i;
    perm[rank - 1] = rank - 2, perm[rank - 2] = rank - 1;
    return transpose(r, name, x, perm, -1);
}

static int rd_batch_matmul(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 2)) return -1;
    int a = c->in[0], b = c->in[1];
    if (T(r, a)->rank < 2 || T(r, b)->rank < 2) return rd_fail(r, "matrix products need rank 2 or more");
    if (fb_table_bool(c->opt, 0, false)) a = swap_last(r, arena_printf(r->g->arena, "%s/adj_x", c->name), a);
    if (fb_table_bool(c->opt, 1, false)) b = swap_last(r, arena_printf(r->g->arena, "%s/adj_y", c->name), b);
    node(r, OP_MATMUL, NULL, c->name, (int[]){a, b}, 2, c->out, 1);
    return 0;
}

static int rd_fully_connected(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 2)) return -1;
    int x = c->in[0], w = c->in[1], b = c->nin > 2 ? c->in[2] : -1;
    mark_param(r, w);
    mark_param(r, b);
    Shp W = S(r, w), Y = S(r, c->out[0]);
    if (W.rank != 2) return rd_fail(r, "the weights must have rank 2");
    int64_t I = W.dims[1];
    int64_t n = tensor_numel(T(r, x));
    if (I <= 0 || n < 0 || n % I) return rd_fail(r, "the input does not divide into rows of %lld", (long long)I);
    if (T(r, x)->rank != 2) {
        int64_t d[2] = {n / I, I};
        int sh = const_i64(r, arena_printf(r->g->arena, "%s/rows", c->name), d, 2);
        int t = add_act(r, arena_printf(r->g->arena, "%s/flat", c->name), T(r, x)->dtype, 2, d);
        node(r, OP_RESHAPE, NULL, arena_printf(r->g->arena, "%s/Reshape", c->name), (int[]){x, sh}, 2, &t, 1);
        x = t;
    }
    int act = fb_table_i8(c->opt, 0, 0);
    int y = c->out[0];
    int t = y;
    if (act != TFL_ACT_NONE || Y.rank != 2)
        t = add_act(r, arena_printf(r->g->arena, "%s/gemm", c->name), DT_F32, 2, (int64_t[]){n / I, W.dims[0]});
    int ins[3] = {x, w, b};
    int ni = node(r, OP_GEMM, NULL, c->name, ins, b >= 0 ? 3 : 2, &t, 1);
    node_set_int(r->g, ni, "transB", 1);
    if (act != TFL_ACT_NONE) {
        int u = Y.rank != 2 ? -1 : y;
        t = activation(r, c->name, t, act, u);
        if (t < 0) return -1;
    }
    if (t != y) {
        int sh = const_i64(r, arena_printf(r->g->arena, "%s/shape", c->name), Y.dims, Y.rank);
        node(r, OP_RESHAPE, NULL, arena_printf(r->g->arena, "%s/Reshape_out", c->name), (int[]){t, sh}, 2, &y, 1);
    }
    return 0;
}

static int rd_reduce(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 2)) return -1;
    int64_t axes[GRAPH_MAX_RANK];
    int n = const_ints(r, c->in[1], axes, GRAPH_MAX_RANK);
    if (n < 0) return rd_fail(r, "the axes must be constants");
    OpKind op = c->code == TFL_MEAN ? OP_REDUCE_MEAN : c->code == TFL_SUM ? OP_REDUCE_SUM : OP_REDUCE_MAX;
    int ni = node(r, op, NULL, c->name, c->in, 1, c->out, 1);
    node_set_ints(r->g, ni, "axes", axes, n);
    node_set_int(r->g, ni, "keepdims", fb_table_bool(c->opt, 0, false));
    return 0;
}

static int rd_pad(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 2)) return -1;
    int rank = T(r, c->in[0])->rank;
    int64_t p[2 * GRAPH_MAX_RANK], onnx[2 * GRAPH_MAX_RANK];
    if (const_ints(r, c->in[1], p, 2 * GRAPH_MAX_RANK) != 2 * rank) return rd_fail(r, "paddings must be constants, 2 per axis");
    for (int i = 0; i < rank; i++) onnx[i] = p[2 * i], onnx[rank + i] = p[2 * i + 1];
    int ins[3] = {c->in[0], const_i64(r, arena_printf(r->g->arena, "%s/pads", c->name), onnx, 2 * rank),
                  c->code == TFL_PADV2 && c->nin > 2 ? c->in[2] : -1};
    node(r, OP_PAD, NULL, c->name, ins, ins[2] >= 0 ? 3 : 2, c->out, 1);
    return 0;
}

/* SHAPE: the input's dims (OP_SHAPE gives int64), as the output's type. */
static int rd_shape(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 1)) return -1;
    const Tensor *y = T(r, c->out[0]);
    if (y->dtype != DT_I32 && y->dtype != DT_I64) return rd_fail(r, "the shape must be int32 or int64");
    if (y->dtype == DT_I64) {
        node(r, OP_SHAPE, NULL, c->name, c->in, 1, c->out, 1);
        return 0;
    }
    int64_t rk = S(r, c->in[0]).rank;
    int s64 = add_act(r, arena_printf(r->g->arena, "%s/i64", c->name), DT_I64, 1, &rk);
    node(r, OP_SHAPE, NULL, arena_printf(r->g->arena, "%s/i64", c->name), c->in, 1, &s64, 1);
    int ni = node(r, OP_CAST, NULL, c->name, &s64, 1, c->out, 1);
    node_set_int(r->g, ni, "to", dtype_to_onnx(DT_I32));
    return 0;
}

/* CUMSUM(x, axis): running sums (exclusive, reverse from CumsumOptions). */
static int rd_cumsum(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 2)) return -1;
    int64_t ax;
    int rk = S(r, c->in[0]).rank;
    if (const_ints(r, c->in[1], &ax, 1) != 1 || ax < -rk || ax >= rk) return rd_fail(r, "the axis must be one constant in range");
    int a = graph_add_const(r->g, arena_printf(r->g->arena, "%s/axis", c->name), DT_I64, 0, NULL, &ax);
    int ni = node(r, OP_CUMSUM, NULL, c->name, (int[]){c->in[0], a}, 2, c->out, 1);
    node_set_int(r->g, ni, "exclusive", fb_table_bool(c->opt, 0, false));
    node_set_int(r->g, ni, "reverse", fb_table_bool(c->opt, 1, false));
    return 0;
}

static int rd_cast(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 1)) return -1;
    int ni = node(r, OP_CAST, NULL, c->name, c->in, 1, c->out, 1);
    node_set_int(r->g, ni, "to", dtype_to_onnx(T(r, c->out[0])->dtype));
    return 0;
}

static int rd_argmax(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 2)) return -1;
    int64_t axis;
    if (const_ints(r, c->in[1], &axis, 1) != 1) return rd_fail(r, "the axis must be one constant");
    int ni = node(r, OP_ARGMAX, NULL, c->name, c->in, 1, c->out, 1);
    node_set_int(r->g, ni, "axis", axis);
    node_set_int(r->g, ni, "keepdims", 0);
    return 0;
}

static int rd_gather(Rd *r, const OpCtx *c)
{
    if (need_in(r, c, 2)) return -1;
    int ni = node(r, OP_GATHER, NULL, c->name, c->in, 2, c->out, 1);
    node_set_int(r->g, ni, "axis", fb_table_i32(c->opt, 0, 0));
    return 0;
}

/* An int8/uint8 activation's QUANTIZE or DEQUANTIZE (per tensor) as QuantizeLinear /
 * DequantizeLinear with its scale and zero point (of the quantised tensor q) as constants. */
static int qdq_node(Rd *r, const OpCtx *c, OpKind op, int q)
{
    DType qt = T(r, op == OP_QUANTIZE_LINEAR ? c->out[0] : c->in[0])->dtype;
    float sc = r->qscale[q][0];
    int64_t z = r->qzero[q][0];
    if (!(sc > 0) || !isfinite(sc)) return rd_fail(r, "tensor %d has a scale of %g", q, (double)sc);
    if (qt == DT_I8 ? (z < -128 || z > 127) : (z < 0 || z > 255))
        return rd_fail(r, "tensor %d has a zero point of %lld outside its type", q, (long long)z);
    int8_t zi8 = (int8_t)z;
    uint8_t zu8 = (uint8_t)z;
    int st = graph_add_const(r->g, arena_printf(r->g->arena, "%s/scale", c->name), DT_F32, 0, NULL, &sc);
    int zt = graph_add_const(r->g, arena_printf(r->g->arena, "%s/zero_point", c->name), qt, 0, NULL,
                             qt == DT_I8 ? (const void *)&zi8 : (const void *)&zu8);
    int in[3] = {c->in[0], st, zt};
    node(r, op, NULL, c->name, in, 3, c->out, 1);
    return 0;
}

static int rd_quantize(Rd *r, const OpCtx *c, int tfl_out)
{
    if (need_in(r, c, 1)) return -1;
    if (c->nout < 1) return rd_fail(r, "no output");
    const Tensor *X = T(r, c->in[0]), *Y = T(r, c->out[0]);
    if (X->dtype != DT_F32 || (Y->dtype != DT_I8 && Y->dtype != DT_U8) || r->qcount[tfl_out] != 1) {
        node(r, OP_OTHER, "QUANTIZE", c->name, c->in, 1, c->out, 1);
        return 0;
    }
    return qdq_node(r, c, OP_QUANTIZE_LINEAR, tfl_out);
}

/* The float32 values of constant X (TF Lite tensor tfl) into *out: float16, or int8/uint8/
 * int32 with its scales (per tensor or per axis).  0 when decoded, 1 when X is none of these,
 * -1 + message when the scales do not fit it. */
static int decode_const(Rd *r, int tfl, const Tensor *X, float **out)
{
    int64_t n = tensor_numel(X);
    int nq = r->qcount[tfl], ax = r->qaxis[tfl];
    bool q8 = (X->dtype == DT_I8 || X->dtype == DT_U8 || X->dtype == DT_I32) && nq > 0;
    if (!X->data || n < 0 || (X->dtype != DT_F16 && !q8)) return 1;
    if (q8 && nq > 1 && (ax < 0 || ax >= X->rank || X->dims[ax] != nq)) return rd_fail(r, "per-axis scales do not match the tensor");
    float *f = arena_alloc(r->g->arena, sizeof(float) * (size_t)(n ? n : 1));
    *out = f;
    if (X->dtype == DT_F16) {
        for (int64_t i = 0; i < n; i++) f[i] = half_to_float(((const uint16_t *)X->data)[i]);
        return 0;
    }
    int64_t inner = 1;
    for (int k = ax + 1; nq > 1 && k < X->rank; k++) inner *= X->dims[k];
    for (int64_t i = 0; i < n; i++) {
        int q = nq > 1 ? (int)((i / inner) % nq) : 0;
        int64_t v = X->dtype == DT_I8 ? ((const int8_t *)X->data)[i] : X->dtype == DT_U8 ? ((const uint8_t *)X->data)[i]
                                                                       : ((const int32_t *)X->data)[i];
        f[i] = r->qscale[tfl][q] * (float)(v - r->qzero[tfl][q]);
    }
    return 0;
}

/* DEQUANTIZE of a constant (float16, or int8/uint8 with its scales): the output becomes a
 * float32 constant.  Of an activation: kept by name (the executor refuses it). */
static int rd_dequantize(Rd *r, const OpCtx *c, int tfl_in)
{
    if (need_in(r, c, 1)) return -1;
    Tensor *X = T(r, c->in[0]), *Y = T(r, c->out[0]);
    int64_t n = tensor_numel(X);
    if (!X->data && (X->dtype == DT_I8 || X->dtype == DT_U8) && r->qcount[tfl_in] == 1 && Y->dtype == DT_F32)
        return qdq_node(r, c, OP_DEQUANTIZE_LINEAR, tfl_in);
    if (!X->data || n < 0 || Y->dtype != DT_F32 || tensor_numel(Y) != n) {
        node(r, OP_OTHER, "DEQUANTIZE", c->name, c->in, 1, c->out, 1);
        return 0;
    }
    float *f = NULL;
    int dc = X->dtype == DT_I32 ? 1 : decode_const(r, tfl_in, X, &f);
    if (dc < 0) return -1;
    if (dc) {
        node(r, OP_OTHER, "DEQUANTIZE", c->name, c->in, 1, c->out, 1);
        return 0;
    }
    Y->data = f;
    Y->nbytes = sizeof(float) * (size_t)n;
    if (c->out[0] < r->n_deq) r->deq_src[c->out[0]] = c->in[0];
    stands_for(r, c->out[0], c->in[0]);
    return 0;
}

static const struct {
    int32_t code;
    ReadFn fn;
} read_ops[] = {
    {TFL_CONV_2D, rd_conv},
    {TFL_DEPTHWISE_CONV_2D, rd_conv},
    {TFL_TRANSPOSE_CONV, rd_transpose_conv},
    {TFL_MAX_POOL_2D, rd_pool},
    {TFL_AVERAGE_POOL_2D, rd_pool},
    {TFL_RESIZE_NEAREST_NEIGHBOR, rd_resize},
    {TFL_ADD, rd_binary},
    {TFL_SUB, rd_binary},
    {TFL_MUL, rd_binary},
    {TFL_DIV, rd_binary},
    {TFL_MAXIMUM, rd_binary},
    {TFL_MINIMUM, rd_binary},
    {TFL_POW, rd_binary},
    {TFL_LOGISTIC, rd_unary},
    {TFL_RELU, rd_unary},
    {TFL_TANH, rd_unary},
    {TFL_EXP, rd_unary},
    {TFL_LOG, rd_unary},
    {TFL_SQRT, rd_unary},
    {TFL_RSQRT, rd_unary},
    {TFL_NEG, rd_unary},
    {TFL_ABS, rd_unary},
    {TFL_FLOOR, rd_unary},
    {TFL_SIN, rd_unary},
    {TFL_COS, rd_unary},
    {TFL_HARD_SWISH, rd_unary},
    {TFL_LEAKY_RELU, rd_unary},
    {TFL_CONCATENATION, rd_concat},
    {TFL_SPLIT, rd_split},
    {TFL_SPLIT_V, rd_split},
    {TFL_STRIDED_SLICE, rd_strided_slice},
    {TFL_SLICE, rd_slice},
    {TFL_RESHAPE, rd_reshape},
    {TFL_EXPAND_DIMS, rd_reshape},
    {TFL_SQUEEZE, rd_reshape},
    {TFL_TRANSPOSE, rd_transpose},
    {TFL_SOFTMAX, rd_softmax},
    {TFL_BATCH_MATMUL, rd_batch_matmul},
    {TFL_FULLY_CONNECTED, rd_fully_connected},
    {TFL_MEAN, rd_reduce},
    {TFL_SUM, rd_reduce},
    {TFL_REDUCE_MAX, rd_reduce},
    {TFL_PAD, rd_pad},
    {TFL_PADV2, rd_pad},
    {TFL_CAST, rd_cast},
    {TFL_SHAPE, rd_shape},
    {TFL_CUMSUM, rd_cumsum},
    {TFL_ARG_MAX, rd_argmax},
    {TFL_GATHER, rd_gather},
};

/* Notes that IR tensor used is decoded from stored (the parameter counts follow it). */
static void note_decoded(Rd *r, int used, int stored)
{
    if (used >= r->n_deq) {
        r->deq_src = xrealloc(r->deq_src, sizeof(int) * (size_t)(used + 1));
        for (int i = r->n_deq; i <= used; i++) r->deq_src[i] = -1;
        r->n_deq = used + 1;
    }
    r->deq_src[used] = stored;
    stands_for(r, used, stored);
}

/* A QuantizeLinear or DequantizeLinear from x to y at the (per-tensor) scale and zero point of
 * TF Lite tensor q, named name. */
static int qdq_between(Rd *r, OpKind op, int x, int y, int q, const char *name)
{
    OpCtx c = {.in = &x, .nin = 1, .out = &y, .nout = 1, .name = name};
    return qdq_node(r, &c, op, q);
}

/* A quantised tensor an operator computes on: an int8/uint8 activation with one scale. */
static bool quantised_act(Rd *r, int tfl)
{
    const Tensor *x = T(r, r->tmap[tfl]);
    return !x->data && (x->dtype == DT_I8 || x->dtype == DT_U8) && r->qcount[tfl] == 1;
}

/* An operator on quantised tensors (TF Lite's int8 kernels) is read as the float operator
 * between DequantizeLinear of its quantised inputs and QuantizeLinear of its outputs, its
 * quantised constants (int8 weights, int32 biases) decoded to float32: the IR's QDQ form,
 * which the executor runs in integers where it can.  Rewrites in[] and out[] for the float
 * operator; `quant[j]` is set for each output to quantise after it (its float stand-in in
 * out[j]).  The activations' dequantised forms are shared (deq_act, per TF Lite tensor). */
static int wrap_quantised(Rd *r, FbVector vin, FbVector vout, int *in, int *out, bool *quant, bool outputs)
{
    for (uint32_t j = 0; j < vin.n; j++) {
        int32_t ti = fb_vec_i32(vin, j);
        if (ti < 0) continue;
        const Tensor *X = T(r, r->tmap[ti]);
        Shp xs = S(r, r->tmap[ti]); /* the graph's tensors move as it grows */
        const char *xname = X->name;
        if (quantised_act(r, ti)) {
            if (r->deq_act[ti] < 0) {
                int f = add_act(r, arena_printf(r->g->arena, "%s/dequantize", xname), DT_F32, xs.rank, xs.dims);
                if (qdq_between(r, OP_DEQUANTIZE_LINEAR, r->tmap[ti], f, ti, T(r, f)->name)) return -1;
                r->deq_act[ti] = f;
            }
            in[j] = r->deq_act[ti];
        } else if (X->data && X->dtype != DT_F32 && X->dtype != DT_F16 && r->qcount[ti] > 0) {
            if (r->deq_act[ti] < 0) {
                float *f = NULL;
                int dc = decode_const(r, ti, X, &f);
                if (dc < 0) return -1;
                if (dc) continue;
                int c = graph_add_const(r->g, arena_printf(r->g->arena, "%s/dequantized", xname), DT_F32, xs.rank, xs.dims, f);
                note_decoded(r, c, r->tmap[ti]);
                r->deq_act[ti] = c;
            }
            in[j] = r->deq_act[ti];
        }
    }
    for (uint32_t j = 0; outputs && j < vout.n; j++) {
        int32_t ti = fb_vec_i32(vout, j);
        quant[j] = quantised_act(r, ti);
        if (!quant[j]) continue;
        Shp ys = S(r, r->tmap[ti]);
        out[j] = add_act(r, arena_printf(r->g->arena, "%s/float", T(r, r->tmap[ti])->name), DT_F32, ys.rank, ys.dims);
    }
    return 0;
}

/* An index vector of the subgraph (inputs/outputs) mapped to IR tensors. */
static int index_list(Rd *r, FbVector v, int *out, const char *what)
{
    for (uint32_t k = 0; k < v.n; k++) {
        int32_t i = fb_vec_i32(v, k);
        if (i < -1 || i >= r->n_tensors) return rd_fail(r, "%s %u names tensor %d of %d", what, k, i, r->n_tensors);
        out[k] = i < 0 ? -1 : r->tmap[i];
    }
    return 0;
}

static int read_operators(Rd *r, int *op_counts, int *op_int8, int32_t *op_codes, int *n_kinds)
{
    FbVector ops = fb_table_vector(r->sg, TFL_SUBGRAPH_OPERATORS, 4);
    for (uint32_t i = 0; i < ops.n; i++) {
        FbTable op = fb_vec_table(ops, i);
        uint32_t oc = fb_table_u32(op, TFL_OP_OPCODE_INDEX, 0);
        if (oc >= r->opcodes.n) return rd_fail(r, "operator %u names operator code %u of %u", i, oc, r->opcodes.n);
        FbTable code_t = fb_vec_table(r->opcodes, oc);
        int32_t dep = fb_table_i8(code_t, TFL_OPCODE_DEPRECATED_BUILTIN_CODE, 0);
        int32_t code = fb_table_i32(code_t, TFL_OPCODE_BUILTIN_CODE, 0);
        if (dep > code) code = dep;
        FbVector vin = fb_table_vector(op, TFL_OP_INPUTS, 4), vout = fb_table_vector(op, TFL_OP_OUTPUTS, 4);
        if (vin.n > 1024 || vout.n > 1024) return rd_fail(r, "operator %u has more than 1024 inputs or outputs", i);
        int in[1024], out[1024];
        if (index_list(r, vin, in, "an input") || index_list(r, vout, out, "an output")) return -1;
        for (uint32_t j = 0; j < vout.n; j++) /* only inputs may be omitted (-1) */
            if (out[j] < 0) return rd_fail(r, "operator %u: output %u names no tensor", i, j);
        int k;
        for (k = 0; k < *n_kinds && op_codes[k] != code; k++) {}
        if (k == *n_kinds && k < 64) op_codes[(*n_kinds)++] = code, op_counts[k] = 0, op_int8[k] = 0;
        if (k < 64) op_counts[k]++;
        bool on_int8 = false; /* an operator computing on quantised activations (not a conversion) */
        for (uint32_t j = 0; j < vin.n + vout.n && code != TFL_QUANTIZE && code != TFL_DEQUANTIZE && !on_int8; j++) {
            int32_t ti = j < vin.n ? fb_vec_i32(vin, j) : fb_vec_i32(vout, j - vin.n);
            on_int8 = ti >= 0 && quantised_act(r, ti);
        }
        if (k < 64 && on_int8) op_int8[k]++;
        const char *opname = tflite_op_name(code);
        char numbered[32];
        if (!opname) {
            uint32_t cl = 0;
            const char *custom = fb_table_string(code_t, TFL_OPCODE_CUSTOM_CODE, &cl);
            if (custom && code == 32) opname = arena_strndup(r->g->arena, custom, cl);
            else snprintf(numbered, sizeof numbered, "BUILTIN_%d", code), opname = numbered;
        }
        const char *name = vout.n && out[0] >= 0 ? T(r, out[0])->name : arena_printf(r->g->arena, "op_%u", i);
        r->cur = arena_printf(r->g->arena, "operator %u (%s)", i, opname);
        for (uint32_t j = 0; j < vout.n; j++)
            if (out[j] >= 0 && (T(r, out[j])->producer >= 0 || T(r, out[j])->data))
                return rd_fail(r, "output %u is already produced (or a constant)", j);
        OpCtx c = {.code = code, .opt = fb_table_table(op, TFL_OP_BUILTIN_OPTIONS), .in = in, .nin = (int)vin.n,
                   .out = out, .nout = (int)vout.n, .name = name};
        int rc = 0;
        if (code == TFL_DEQUANTIZE) {
            int32_t tin = vin.n ? fb_vec_i32(vin, 0) : -1;
            rc = tin >= 0 ? rd_dequantize(r, &c, tin) : rd_fail(r, "no input");
        } else if (code == TFL_QUANTIZE) {
            rc = !vout.n ? rd_fail(r, "no output") : wrap_quantised(r, vin, vout, in, out, NULL, false);
            if (!rc) rc = rd_quantize(r, &c, fb_vec_i32(vout, 0));
        } else {
            bool quant[1024];
            int qout[1024];
            memcpy(qout, out, sizeof(int) * vout.n);
            rc = wrap_quantised(r, vin, vout, in, out, quant, true);
            size_t m;
            for (m = 0; m < ARRAY_LEN(read_ops) && read_ops[m].code != code; m++) {}
            if (rc) {
            } else if (m < ARRAY_LEN(read_ops)) {
                rc = read_ops[m].fn(r, &c);
            } else {
                node(r, OP_OTHER, arena_strdup(r->g->arena, opname), name, in, (int)vin.n, out, (int)vout.n);
            }
            for (uint32_t j = 0; j < vout.n && !rc; j++)
                if (quant[j])
                    rc = qdq_between(r, OP_QUANTIZE_LINEAR, out[j], qout[j], fb_vec_i32(vout, j),
                                     arena_printf(r->g->arena, "%s/quantize", T(r, qout[j])->name));
        }
        if (rc) return -1;
        r->cur = NULL;
    }
    return 0;
}

/* ---- the appended metadata ------------------------------------------------------------- */
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

char *tflite_metadata_json(const uint8_t *buf, size_t len)
{
    /* the end-of-central-directory record in the last 64 KiB + 22 bytes */
    if (len < 22) return NULL;
    size_t lo = len > 65557 ? len - 65557 : 0;
    for (size_t e = len - 22 + 1; e-- > lo;) {
        if (le32(buf + e) != 0x06054b50) continue;
        uint32_t cd_size = le32(buf + e + 12), cd_off = le32(buf + e + 16);
        if ((uint64_t)cd_size > e) return NULL;
        size_t cd = e - cd_size; /* where the central directory really is */
        int64_t shift = (int64_t)cd - (int64_t)cd_off; /* bytes before the archive, beyond its own offsets */
        for (size_t p = cd; p + 46 <= e;) {
            if (le32(buf + p) != 0x02014b50) return NULL;
            uint16_t method = le16(buf + p + 10), nl = le16(buf + p + 28), xl = le16(buf + p + 30), cl = le16(buf + p + 32);
            uint32_t csize = le32(buf + p + 20), usize = le32(buf + p + 24), loc = le32(buf + p + 42);
            if (p + 46 + (size_t)nl > e) return NULL;
            bool is_meta = nl == 13 && !memcmp(buf + p + 46, "metadata.json", 13);
            int64_t lh = (int64_t)loc + shift;
            if (is_meta && lh >= 0 && (uint64_t)lh + 30 <= len && le32(buf + lh) == 0x04034b50 && usize < (64u << 20)) {
                uint64_t data = (uint64_t)lh + 30 + le16(buf + lh + 26) + le16(buf + lh + 28);
                if (data > len || csize > len - data) return NULL;
                char *out = xmalloc((size_t)usize + 1);
                if (method == 0 && csize == usize) {
                    memcpy(out, buf + data, usize);
                } else if (method == 8) {
                    z_stream zs = {0};
                    if (inflateInit2(&zs, -15) != Z_OK) {
                        free(out);
                        return NULL;
                    }
                    zs.next_in = (Bytef *)(buf + data);
                    zs.avail_in = csize;
                    zs.next_out = (Bytef *)out;
                    zs.avail_out = usize;
                    int zr = inflate(&zs, Z_FINISH);
                    size_t got = zs.total_out;
                    inflateEnd(&zs);
                    if (zr != Z_STREAM_END || got != usize) {
                        free(out);
                        return NULL;
                    }
                } else {
                    free(out);
                    return NULL;
                }
                out[usize] = 0;
                return out;
            }
            p += 46 + (size_t)nl + xl + cl;
        }
        return NULL;
    }
    return NULL;
}

/* The peer's metadata keys into the graph's metadata (as the ONNX reader takes metadata_props). */
static void read_metadata(Rd *r)
{
    char *text = tflite_metadata_json(r->buf, r->len);
    if (!text) return;
    json_object *j = json_tokener_parse(text);
    free(text);
    if (!j || !json_object_is_type(j, json_type_object)) {
        json_object_put(j);
        return;
    }
    GraphMeta *m = &r->g->meta;
    json_object_object_foreach(j, key, val)
    {
        const char *v = json_object_is_type(val, json_type_string) ? json_object_get_string(val)
                                                                    : json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
        graph_meta_add_prop(r->g, key, v);
        if (!strcmp(key, "task") && json_object_is_type(val, json_type_string)) m->task = arena_strdup(r->g->arena, v);
        if (!strcmp(key, "stride") && json_object_is_type(val, json_type_int)) {
            int s = json_object_get_int(val);
            if (s > 0 && s <= 1024) {
                m->n_strides = 0;
                for (int st = 8; st <= s && m->n_strides < 8; st *= 2) m->strides[m->n_strides++] = st;
            }
        }
        if (!strcmp(key, "version") && json_object_is_type(val, json_type_string)) m->version = arena_strdup(r->g->arena, v);
        if (!strcmp(key, "date") && json_object_is_type(val, json_type_string)) m->date = arena_strdup(r->g->arena, v);
        if (!strcmp(key, "names") && json_object_is_type(val, json_type_object)) {
            int n = json_object_object_length(val);
            if (n > 0 && n <= 100000) {
                const char **names = xcalloc((size_t)n, sizeof(char *));
                json_object_object_foreach(val, k2, v2)
                {
                    int64_t idx;
                    if (str_to_i64(k2, &idx) && idx >= 0 && idx < n) names[idx] = json_object_get_string(v2);
                }
                bool full = true;
                for (int i = 0; i < n; i++) full &= names[i] != NULL;
                if (full) graph_meta_set_names(r->g, names, n);
                free(names);
            }
        }
        if (!strcmp(key, "imgsz") && json_object_is_type(val, json_type_array) && json_object_array_length(val) == 2) {
            m->imgsz[0] = json_object_get_int(json_object_array_get_idx(val, 0));
            m->imgsz[1] = json_object_get_int(json_object_array_get_idx(val, 1));
        }
        if (!strcmp(key, "kpt_shape") && json_object_is_type(val, json_type_array) && json_object_array_length(val) == 2) {
            m->kpt_shape[0] = json_object_get_int(json_object_array_get_idx(val, 0));
            m->kpt_shape[1] = json_object_get_int(json_object_array_get_idx(val, 1));
        }
    }
    json_object_put(j);
}

/* ---- entry ----------------------------------------------------------------------------- */
Graph *tflite_read_buffer(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen)
{
    Rd r = {.buf = buf, .len = len, .name = name ? name : "(memory)", .root_module = -1, .err = err, .errlen = errlen};
    char why[400];
    if (len < 8 || memcmp(buf + 4, TFLITE_FILE_ID, 4) != 0) {
        err_set(err, errlen, "%s: not a TF Lite model (no \"TFL3\" identifier)", r.name);
        return NULL;
    }
    FbLimits lim = {.max_depth = 16, .max_objects = len / 4 + 1024};
    if (fb_verify(buf, len, &tflite_model_def, TFLITE_FILE_ID, &lim, why, sizeof why)) {
        err_set(err, errlen, "%s: malformed TF Lite flatbuffer: %s", r.name, why);
        return NULL;
    }
    r.model = fb_root(buf, len);
    FbVector sgs = fb_table_vector(r.model, TFL_MODEL_SUBGRAPHS, 4);
    if (sgs.n < 1) {
        err_set(err, errlen, "%s: the model has no subgraph", r.name);
        return NULL;
    }
    r.sg = fb_vec_table(sgs, 0);
    r.tensors = fb_table_vector(r.sg, TFL_SUBGRAPH_TENSORS, 4);
    r.buffers = fb_table_vector(r.model, TFL_MODEL_BUFFERS, 4);
    r.opcodes = fb_table_vector(r.model, TFL_MODEL_OPERATOR_CODES, 4);
    r.g = graph_new();
    r.modules.arena = r.g->arena;
    int op_counts[64], op_int8[64];
    int32_t op_codes[64];
    int n_kinds = 0;
    int rc = read_tensors(&r);
    if (!rc) rc = read_operators(&r, op_counts, op_int8, op_codes, &n_kinds);
    FbVector vin = fb_table_vector(r.sg, TFL_SUBGRAPH_INPUTS, 4), vout = fb_table_vector(r.sg, TFL_SUBGRAPH_OUTPUTS, 4);
    for (uint32_t k = 0; !rc && k < vin.n; k++) {
        int32_t i = fb_vec_i32(vin, k);
        if (i < 0 || i >= r.n_tensors) rc = rd_fail(&r, "subgraph input %u names tensor %d of %d", k, i, r.n_tensors);
        else if (T(&r, r.tmap[i])->producer >= 0 || T(&r, r.tmap[i])->data) rc = rd_fail(&r, "subgraph input %u is computed", k);
        else graph_add_input(r.g, r.tmap[i]);
    }
    for (uint32_t k = 0; !rc && k < vout.n; k++) {
        int32_t i = fb_vec_i32(vout, k);
        if (i < 0 || i >= r.n_tensors) rc = rd_fail(&r, "subgraph output %u names tensor %d of %d", k, i, r.n_tensors);
        else graph_add_output(r.g, r.tmap[i]);
    }
    if (!rc && graph_validate(r.g, why, sizeof why)) rc = err_set(err, errlen, "%s: %s", r.name, why);
    if (!rc) {
        GraphMeta *m = &r.g->meta;
        m->source_format = FMT_TFLITE;
        m->source_path = arena_strdup(r.g->arena, r.name);
        m->ir_version = fb_table_u32(r.model, TFL_MODEL_VERSION, 0);
        uint32_t dl = 0;
        const char *d = fb_table_string(r.model, TFL_MODEL_DESCRIPTION, &dl);
        if (d) m->producer = arena_strndup(r.g->arena, d, dl);
        /* what `info` shows of the file itself: operator counts, tensor types, quantisation */
        StrBuf ops = {0};
        for (int k = 0; k < n_kinds; k++) {
            const char *nm = tflite_op_name(op_codes[k]);
            if (nm) strbuf_printf(&ops, "%s%s %d", k ? ", " : "", nm, op_counts[k]);
            else strbuf_printf(&ops, "%sBUILTIN_%d %d", k ? ", " : "", op_codes[k], op_counts[k]);
        }
        graph_meta_add_prop(r.g, "tflite.operators", ops.p ? ops.p : "");
        free(ops.p);
        /* the operators TF Lite runs on int8 (or uint8) tensors: what an Edge TPU can take */
        StrBuf o8 = {0};
        for (int k = 0; k < n_kinds; k++) {
            if (!op_int8[k]) continue;
            const char *nm = tflite_op_name(op_codes[k]);
            if (nm) strbuf_printf(&o8, "%s%s %d", o8.p ? ", " : "", nm, op_int8[k]);
            else strbuf_printf(&o8, "%sBUILTIN_%d %d", o8.p ? ", " : "", op_codes[k], op_int8[k]);
        }
        if (o8.p) graph_meta_add_prop(r.g, "tflite.int8_operators", o8.p);
        free(o8.p);
        int types[32] = {0}, nq = 0;
        StrBuf q = {0};
        for (int i = 0; i < r.n_tensors; i++) {
            int ty = fb_table_i8(fb_vec_table(r.tensors, (uint32_t)i), TFL_TENSOR_TYPE, 0);
            if (ty >= 0 && ty < 32) types[ty]++;
            if (r.qcount[i] > 0) {
                if (nq < 8)
                    strbuf_printf(&q, "%s%s: scale %g zero_point %lld%s", nq ? "; " : "", T(&r, r.tmap[i])->name,
                                  (double)r.qscale[i][0], (long long)r.qzero[i][0],
                                  r.qcount[i] > 1 ? arena_printf(r.g->arena, " (+%d more along axis %d)", r.qcount[i] - 1, r.qaxis[i]) : "");
                nq++;
            }
        }
        StrBuf ty = {0};
        for (int k = 0; k < 32; k++)
            if (types[k]) strbuf_printf(&ty, "%s%s %d", ty.p ? ", " : "", tflite_type_name(k), types[k]);
        graph_meta_add_prop(r.g, "tflite.tensor_types", ty.p ? ty.p : "");
        free(ty.p);
        if (nq) {
            strbuf_printf(&q, "%s", nq > 8 ? arena_printf(r.g->arena, "; ... (%d quantised tensors)", nq) : "");
            graph_meta_add_prop(r.g, "tflite.quantization", q.p);
        }
        free(q.p);
        /* the quantised inputs and outputs in full: what a caller feeding or reading them needs */
        StrBuf io = {0};
        for (int side = 0; side < 2; side++) {
            int n_io = side ? r.g->n_outputs : r.g->n_inputs;
            for (int k = 0; k < n_io; k++) {
                int ti = side ? r.g->outputs[k] : r.g->inputs[k];
                for (int i = 0; i < r.n_tensors; i++)
                    if (r.tmap[i] == ti && r.qcount[i] == 1)
                        strbuf_printf(&io, "%s%s %s: scale %.9g zero_point %lld", io.p ? "; " : "", side ? "output" : "input",
                                      T(&r, ti)->name, (double)r.qscale[i][0], (long long)r.qzero[i][0]);
            }
        }
        if (io.p) graph_meta_add_prop(r.g, "tflite.io_quantization", io.p);
        free(io.p);
        read_metadata(&r);
        count_module_params(&r);
    }
    free(r.tmap);
    free(r.qscale);
    free(r.qzero);
    free(r.qcount);
    free(r.qaxis);
    free(r.deq_src);
    free(r.deq_act);
    vec_free(&r.stands_for);
    strmap_free(&r.modules);
    if (rc) {
        graph_free(r.g);
        return NULL;
    }
    return r.g;
}

Graph *tflite_read(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *buf = file_read_all(path, TFLITE_MAX_FILE, &len, err, errlen);
    if (!buf) return NULL;
    Graph *g = tflite_read_buffer((const uint8_t *)buf, len, path, err, errlen);
    free(buf); /* the graph holds copies of everything it needs */
    return g;
}

int tflite_sniff(const char *path)
{
    int fd = fileio_open_regular(path, NULL, NULL, 0); /* never blocks on a FIFO */
    if (fd < 0) return 0;
    unsigned char head[8];
    ssize_t n = read(fd, head, 8);
    close(fd);
    return n == 8 && !memcmp(head + 4, TFLITE_FILE_ID, 4);
}
