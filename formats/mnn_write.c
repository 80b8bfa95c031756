/* mnn_write: the Graph IR as an MNN model (formats/mnn.h says which op each IR op becomes).
 * The graph is walked once in its topological order; each emitter builds its parameter
 * table in the flatbuffer and records the op; then data layouts are assigned and
 * ConvertTensor ops inserted where an op needs the other layout, and the Net is finished. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fileio.h"
#include "formats/flatbuf.h"
#include "formats/mnn.h"
#include "formats/mnn_impl.h"

#define MAX_IO 64

typedef struct {
    int type;  /* OpType */
    int ptype; /* OpParameter */
    FbRef param;
    const char *name;
    int in[MAX_IO], n_in;
    int out[MAX_IO], n_out;
} MOp;

typedef struct {
    const Graph *g;
    MnnOptions opt;
    FbBuilder fb;
    Vec ops;    /* MOp */
    Vec names;  /* const char * per MNN tensor */
    Vec consts; /* bool per MNN tensor: made by a Const op */
    int *tmt;   /* per IR tensor: its MNN tensor, -1 */
    int *uses;  /* per IR tensor: node inputs reading it */
    StrMap cache; /* constants already made, by IR tensor */
    StrMap tnames; /* tensor names in use */
    bool unknown_hw; /* an input has unknown dims (dynamic=True): -1 dims are written shape-agnostic */
    Arena *arena;
    char *err;
    size_t errlen;
} MW;

#define OPS(w) ((MOp *)(w)->ops.items)

static int fail(MW *w, const Node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(MW *w, const Node *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n) return err_set(w->err, w->errlen, "node '%s' (%s): %s", n->name, node_op_name(n), msg);
    return err_set(w->err, w->errlen, "%s", msg);
}

static const Tensor *T(const MW *w, int t) { return (t >= 0 && t < w->g->n_tensors) ? &w->g->tensors[t] : NULL; }

/* ---- tensors and ops ------------------------------------------------------------------ */

static int new_tensor(MW *w, const char *want, bool is_const)
{
    const char *name = want && *want ? want : "t";
    for (int k = 0; strmap_get(&w->tnames, name) >= 0; k++) name = arena_printf(w->arena, "%s_%d", want, k + 1);
    name = arena_strdup(w->arena, name);
    strmap_put(&w->tnames, name, 1);
    vec_push(&w->names, sizeof name, &name);
    vec_push(&w->consts, sizeof is_const, &is_const);
    return (int)w->names.len - 1;
}

static int add_op(MW *w, int type, int ptype, FbRef param, const char *name, const int *in, int n_in, const int *out,
                  int n_out)
{
    MOp op = {.type = type, .ptype = ptype, .param = param, .name = arena_strdup(w->arena, name ? name : ""),
              .n_in = n_in, .n_out = n_out};
    if (n_in) memcpy(op.in, in, sizeof(int) * (size_t)n_in);
    memcpy(op.out, out, sizeof(int) * (size_t)n_out);
    vec_push(&w->ops, sizeof op, &op);
    return (int)w->ops.len - 1;
}

/* ---- constants -------------------------------------------------------------------------- */

static const Tensor *const_of(const MW *w, int t)
{
    const Tensor *x = T(w, t);
    if (!x) return NULL;
    if (x->data && x->producer < 0 && !x->is_input) return x;
    if (x->producer >= 0 && w->g->nodes[x->producer].op == OP_CONSTANT) {
        const Attr *a = node_attr(&w->g->nodes[x->producer], "value");
        if (a && a->type == ATTR_TENSOR && T(w, a->tensor) && T(w, a->tensor)->data) return T(w, a->tensor);
    }
    return NULL;
}

/* A constant's values as doubles (heap; *n elements), NULL when not numeric. */
static double *const_values(const MW *w, int t, int64_t *n)
{
    const Tensor *c = const_of(w, t);
    if (!c) return NULL;
    int64_t numel = tensor_numel(c);
    size_t es = dtype_size(c->dtype);
    if (numel < 0 || !es || (size_t)numel * es != c->nbytes || numel > (INT64_C(1) << 31)) return NULL;
    double *v = xmalloc((size_t)(numel ? numel : 1) * sizeof *v);
    const uint8_t *p = c->data;
    for (int64_t i = 0; i < numel; i++, p += es) {
        switch (c->dtype) {
        case DT_F32: { float f; memcpy(&f, p, 4); v[i] = f; break; }
        case DT_F16: { uint16_t h; memcpy(&h, p, 2); v[i] = half_to_float(h); break; }
        case DT_BF16: { uint16_t h; memcpy(&h, p, 2); v[i] = bf16_to_float(h); break; }
        case DT_F64: memcpy(&v[i], p, 8); break;
        case DT_I64: { int64_t x; memcpy(&x, p, 8); v[i] = (double)x; break; }
        case DT_I32: { int32_t x; memcpy(&x, p, 4); v[i] = x; break; }
        case DT_I8: v[i] = (int8_t)*p; break;
        case DT_U8: case DT_BOOL: v[i] = *p; break;
        default: free(v); return NULL;
        }
    }
    *n = numel;
    return v;
}

static float *const_floats(const MW *w, int t, int64_t *n)
{
    double *v = const_values(w, t, n);
    if (!v) return NULL;
    float *f = xmalloc((size_t)(*n ? *n : 1) * sizeof *f);
    for (int64_t i = 0; i < *n; i++) f[i] = (float)v[i];
    free(v);
    return f;
}

static bool dtype_is_int(DType t) { return t == DT_I64 || t == DT_I32 || t == DT_I16 || t == DT_I8 || t == DT_U8 || t == DT_BOOL; }

/* A Const op holding values (float32, float16 with half; int32 when ints). */
static int const_op(MW *w, const char *name, int rank, const int64_t *dims, const double *v, int64_t n, bool ints)
{
    int32_t d[GRAPH_MAX_RANK];
    for (int i = 0; i < rank; i++) d[i] = (int32_t)dims[i];
    FbRef dv = fb_create_vector(&w->fb, d, (size_t)rank, 4, 4), data;
    int dtype = MNN_DT_FLOAT, field = BLOB_FLOAT32S;
    if (ints) {
        int32_t *iv = xmalloc((size_t)(n ? n : 1) * 4);
        for (int64_t i = 0; i < n; i++) iv[i] = (int32_t)(v[i] > INT32_MAX ? INT32_MAX : v[i] < INT32_MIN ? INT32_MIN : v[i]);
        data = fb_create_vector(&w->fb, iv, (size_t)n, 4, 4);
        free(iv);
        dtype = MNN_DT_INT32, field = BLOB_INT32S;
    } else if (w->opt.weights == MNN_WEIGHTS_F16) {
        uint16_t *hv = xmalloc((size_t)(n ? n : 1) * 2);
        for (int64_t i = 0; i < n; i++) hv[i] = float_to_half((float)fmax(fmin(v[i], 65504.0), -65504.0));
        data = fb_create_vector(&w->fb, hv, (size_t)n * 2, 1, 4);
        free(hv);
        dtype = MNN_DT_HALF, field = BLOB_UINT8S;
    } else {
        float *fv = xmalloc((size_t)(n ? n : 1) * 4);
        for (int64_t i = 0; i < n; i++) fv[i] = (float)v[i];
        data = fb_create_vector(&w->fb, fv, (size_t)n, 4, 4);
        free(fv);
    }
    fb_table_start(&w->fb);
    fb_add_ref(&w->fb, BLOB_DIMS, dv);
    fb_add_i8(&w->fb, BLOB_DATA_FORMAT, MNN_NCHW, -1);
    fb_add_i32(&w->fb, BLOB_DATA_TYPE, dtype, 0);
    fb_add_ref(&w->fb, field, data);
    FbRef blob = fb_table_end(&w->fb);
    int t = new_tensor(w, name, true);
    add_op(w, MNN_OP_CONST, MNN_P_BLOB, blob, name, NULL, 0, &t, 1);
    return t;
}

/* The MNN tensor of IR tensor t (a constant becomes a Const op the first time). */
static int mt(MW *w, const Node *n, int t, int *out)
{
    const Tensor *x = T(w, t);
    if (!x) return fail(w, n, "an input is missing");
    if (w->tmt[t] >= 0) return *out = w->tmt[t], 0;
    char key[32];
    snprintf(key, sizeof key, "%d", t);
    int c = strmap_get(&w->cache, key);
    if (c >= 0) return *out = c, 0;
    const Tensor *cv = const_of(w, t);
    if (!cv) return fail(w, n, "tensor '%s' is used before it is produced", x->name);
    int64_t cnt;
    double *v = const_values(w, t, &cnt);
    if (!v) return fail(w, n, "constant '%s' (%s) has no value MNN can hold", x->name, dtype_name(cv->dtype));
    for (int i = 0; i < cv->rank; i++)
        if (cv->dims[i] < 0 || cv->dims[i] > INT32_MAX) {
            free(v);
            return fail(w, n, "constant '%s' has a dim out of range", x->name);
        }
    *out = const_op(w, x->name, cv->rank, cv->dims, v, cnt, dtype_is_int(cv->dtype));
    free(v);
    strmap_put(&w->cache, arena_strdup(w->arena, key), *out);
    return 0;
}

static int in_t(MW *w, const Node *n, int k, int *out)
{
    if (k >= n->n_inputs || n->inputs[k] < 0) return fail(w, n, "input %d is missing", k);
    return mt(w, n, n->inputs[k], out);
}

static int out_t(MW *w, const Node *n, int k)
{
    int t = n->outputs[k];
    const Tensor *x = T(w, t);
    if (!x) return fail(w, n, "an output is missing");
    char sh[96];
    for (int i = 0; i < x->rank; i++)
        if ((x->dims[i] <= 0 && !(x->dims[i] == -1 && w->unknown_hw)) || x->dims[i] > INT32_MAX)
            return fail(w, n, "tensor '%s' %s is not static (MNN's export is at a fixed size)", x->name,
                        shape_str(x, sh, sizeof sh));
    w->tmt[t] = new_tensor(w, x->name, false);
    return w->tmt[t];
}

/* One op for node n: inputs (IR input indices ins[0..n_in)), its outputs n's first n_out. */
static int simple_op(MW *w, const Node *n, int type, int ptype, FbRef param, int n_in, int n_out)
{
    int in[MAX_IO], out[MAX_IO];
    if (n_in > MAX_IO || n_out > MAX_IO || n_out > n->n_outputs) return fail(w, n, "too many inputs or outputs");
    for (int k = 0; k < n_in; k++)
        if (in_t(w, n, k, &in[k])) return -1;
    for (int k = 0; k < n_out; k++)
        if ((out[k] = out_t(w, n, k)) < 0) return -1;
    add_op(w, type, ptype, param, n->name, in, n_in, out, n_out);
    return 0;
}

/* ---- convolutions ------------------------------------------------------------------------ */

void mnn_quantize_int8(const float *w, int64_t blocks, int64_t area, float *out, float *scales, int8_t *q)
{
    for (int64_t o = 0; o < blocks; o++) {
        float amax = 0;
        for (int64_t j = 0; j < area; j++) amax = fmaxf(amax, fabsf(w[o * area + j]));
        float alpha = amax / 127.f;
        if (scales) scales[o] = alpha;
        for (int64_t j = 0; j < area; j++) {
            int v = 0;
            if (alpha > 1e-6f) v = (int)fmaxf(fminf(roundf(w[o * area + j] / alpha), 127.f), -128.f);
            if (q) q[o * area + j] = (int8_t)v;
            if (out) out[o * area + j] = (float)v * alpha;
        }
    }
}

/* The converter's IDSTQuan type 1 for weights w[oc * area]: per block symmetric scales
 * (max |w| / 127), the value set -128..127 and one index byte (value + 128) per weight. */
static FbRef quant_int8(MW *w, const float *wv, int64_t oc, int64_t area)
{
    bool wide = oc > 65535 || area > 65535;
    size_t head = 1 + (wide ? 8 : 4) + 1 + 256, n = (size_t)(oc * area);
    uint8_t *buf = xmalloc(head + n);
    size_t p = 0;
    buf[p++] = 2;
    uint32_t dims[2] = {(uint32_t)oc, (uint32_t)area};
    for (int i = 0; i < 2; i++) {
        if (wide) {
            memcpy(buf + p, &dims[i], 4);
            p += 4;
        } else {
            uint16_t s = (uint16_t)dims[i];
            memcpy(buf + p, &s, 2);
            p += 2;
        }
    }
    buf[p++] = 0; /* 256 values */
    for (int v = -128; v <= 127; v++) buf[p++] = (uint8_t)(int8_t)v;
    float *alpha = xmalloc((size_t)oc * sizeof *alpha);
    int8_t *q = xmalloc(n ? n : 1);
    mnn_quantize_int8(wv, oc, area, NULL, alpha, q);
    for (size_t i = 0; i < n; i++) buf[p++] = (uint8_t)(q[i] + 128);
    free(q);
    FbRef bv = fb_create_vector(&w->fb, buf, p, 1, 4), av = fb_create_vector(&w->fb, alpha, (size_t)oc, 4, 4);
    free(buf);
    free(alpha);
    fb_table_start(&w->fb);
    fb_add_ref(&w->fb, QUAN_BUFFER, bv);
    fb_add_ref(&w->fb, QUAN_ALPHA, av);
    fb_add_i32(&w->fb, QUAN_TYPE, 1, 0);
    fb_add_f32(&w->fb, QUAN_QUANT_SCALE, 1.f, 0.f);
    fb_add_i32(&w->fb, QUAN_AMAX_OR_BITS, 8, 0);
    fb_add_bool(&w->fb, QUAN_SHAPE_INT32, wide, false);
    return fb_table_end(&w->fb);
}

/* The converter's --fp16 for convolution weights: IDSTQuan type 3, float16 bytes. */
static FbRef quant_half(MW *w, const float *wv, int64_t n)
{
    uint16_t *h = xmalloc((size_t)(n ? n : 1) * 2);
    for (int64_t i = 0; i < n; i++) h[i] = float_to_half(fmaxf(fminf(wv[i], 65504.f), -65504.f));
    FbRef bv = fb_create_vector(&w->fb, h, (size_t)n * 2, 1, 4);
    free(h);
    fb_table_start(&w->fb);
    fb_add_ref(&w->fb, QUAN_BUFFER, bv);
    fb_add_i32(&w->fb, QUAN_TYPE, 3, 0);
    return fb_table_end(&w->fb);
}

typedef struct {
    int64_t kernel[2], stride[2], dilation[2], pads[4]; /* pads: top, left, bottom, right */
} Geo;

static int geometry(MW *w, const Node *n, const Tensor *x, const Tensor *y, const int64_t *kdims, Geo *g)
{
    int64_t v[4];
    for (int i = 0; i < 2; i++) g->kernel[i] = kdims ? kdims[i] : 0, g->stride[i] = 1, g->dilation[i] = 1;
    if (node_attr_ints(n, "kernel_shape", v, 4) == 2) g->kernel[0] = v[0], g->kernel[1] = v[1];
    if (node_attr_ints(n, "strides", v, 4) == 2) g->stride[0] = v[0], g->stride[1] = v[1];
    if (node_attr_ints(n, "dilations", v, 4) == 2) g->dilation[0] = v[0], g->dilation[1] = v[1];
    memset(g->pads, 0, sizeof g->pads);
    if (node_attr_ints(n, "pads", v, 4) == 4) memcpy(g->pads, v, sizeof v);
    for (int i = 0; i < 2; i++)
        if (g->kernel[i] <= 0 || g->kernel[i] > 65536 || g->stride[i] <= 0 || g->stride[i] > 65536 ||
            g->dilation[i] <= 0 || g->dilation[i] > 65536)
            return fail(w, n, "kernel, stride or dilation out of range");
    for (int i = 0; i < 4; i++)
        if (g->pads[i] < 0 || g->pads[i] > 65536) return fail(w, n, "pads out of range");
    const Attr *ap = node_attr(n, "auto_pad");
    if (ap && ap->type == ATTR_STRING && ap->s && !strcmp(ap->s, "VALID")) memset(g->pads, 0, sizeof g->pads);
    else if (ap && ap->type == ATTR_STRING && ap->s && strcmp(ap->s, "NOTSET")) {
        bool lower = !strcmp(ap->s, "SAME_LOWER");
        if (!lower && strcmp(ap->s, "SAME_UPPER")) return fail(w, n, "auto_pad '%s' is not known", ap->s);
        if (x->dims[2] < 0 || x->dims[3] < 0 || y->dims[2] < 0 || y->dims[3] < 0)
            return fail(w, n, "auto_pad %s over an unknown height or width has no fixed pads for MNN", ap->s);
        for (int i = 0; i < 2; i++) {
            int64_t total = (y->dims[2 + i] - 1) * g->stride[i] + (g->kernel[i] - 1) * g->dilation[i] + 1 - x->dims[2 + i];
            if (total < 0) total = 0;
            g->pads[i] = lower ? total - total / 2 : total / 2;
            g->pads[2 + i] = total - g->pads[i];
        }
    }
    return 0;
}

static FbRef common_table(MW *w, const Geo *g, int64_t group, int64_t out_count, int64_t in_count, const int64_t *out_pads)
{
    int32_t pads[4] = {(int32_t)g->pads[0], (int32_t)g->pads[1], (int32_t)g->pads[2], (int32_t)g->pads[3]};
    FbRef pv = fb_create_vector(&w->fb, pads, 4, 4, 4), opv = 0;
    if (out_pads) {
        int32_t op[2] = {(int32_t)out_pads[0], (int32_t)out_pads[1]};
        opv = fb_create_vector(&w->fb, op, 2, 4, 4);
    }
    fb_table_start(&w->fb);
    fb_add_i32(&w->fb, CC_PAD_X, (int32_t)g->pads[1], 0);
    fb_add_i32(&w->fb, CC_PAD_Y, (int32_t)g->pads[0], 0);
    fb_add_i32(&w->fb, CC_KERNEL_X, (int32_t)g->kernel[1], 1);
    fb_add_i32(&w->fb, CC_KERNEL_Y, (int32_t)g->kernel[0], 1);
    fb_add_i32(&w->fb, CC_STRIDE_X, (int32_t)g->stride[1], 1);
    fb_add_i32(&w->fb, CC_STRIDE_Y, (int32_t)g->stride[0], 1);
    fb_add_i32(&w->fb, CC_DILATE_X, (int32_t)g->dilation[1], 1);
    fb_add_i32(&w->fb, CC_DILATE_Y, (int32_t)g->dilation[0], 1);
    fb_add_i32(&w->fb, CC_GROUP, (int32_t)group, 1);
    fb_add_i32(&w->fb, CC_OUTPUT_COUNT, (int32_t)out_count, 0);
    fb_add_i32(&w->fb, CC_INPUT_COUNT, (int32_t)in_count, 0);
    fb_add_ref(&w->fb, CC_PADS, pv);
    if (opv) fb_add_ref(&w->fb, CC_OUT_PADS, opv);
    return fb_table_end(&w->fb);
}

/* Convolution2D: common, the weights as float32 / float16 / int8, the bias (zeros when none). */
static FbRef conv2d_table(MW *w, FbRef common, const float *wv, int64_t nw, int64_t blocks, const float *bv, int64_t nb)
{
    FbRef weight = 0, quan = 0;
    if (w->opt.weights == MNN_WEIGHTS_F16) quan = quant_half(w, wv, nw);
    else if (w->opt.weights == MNN_WEIGHTS_INT8) quan = quant_int8(w, wv, blocks, nw / blocks);
    else weight = fb_create_vector(&w->fb, wv, (size_t)nw, 4, 4);
    float *zero = bv ? NULL : xcalloc((size_t)(nb ? nb : 1), sizeof(float));
    FbRef bias = fb_create_vector(&w->fb, bv ? bv : zero, (size_t)nb, 4, 4);
    free(zero);
    fb_table_start(&w->fb);
    fb_add_ref(&w->fb, CONV_COMMON, common);
    if (weight) fb_add_ref(&w->fb, CONV_WEIGHT, weight);
    fb_add_ref(&w->fb, CONV_BIAS, bias);
    if (quan) fb_add_ref(&w->fb, CONV_QUAN, quan);
    return fb_table_end(&w->fb);
}

static int emit_conv(MW *w, const Node *n)
{
    bool deconv = n->op == OP_CONV_TRANSPOSE;
    const Tensor *x = T(w, n->inputs[0]), *y = T(w, n->outputs[0]);
    const Tensor *wt = n->n_inputs > 1 ? const_of(w, n->inputs[1]) : NULL;
    if (!x || !y) return fail(w, n, "an input or output is missing");
    if (!wt) return fail(w, n, "its weights are not a constant (MNN convolutions hold their weights)");
    if (wt->rank != 4 || x->rank != 4 || y->rank != 4) return fail(w, n, "only 2-D convolutions are written");
    int64_t group = node_attr_int(n, "group", 1);
    int64_t Cin = x->dims[1], O = y->dims[1];
    if (group <= 0 || Cin % group || O % group) return fail(w, n, "group %lld does not divide the channels", (long long)group);
    bool depthwise = group > 1 && group == Cin && group == O;
    if (group > 1 && !depthwise)
        return fail(w, n, "a grouped convolution (group %lld of %lld channels) that is not depthwise has no MNN form "
                          "in this writer", (long long)group, (long long)Cin);
    if (!deconv && (wt->dims[0] != O || wt->dims[1] * group != Cin))
        return fail(w, n, "its weights %lldx%lld do not fit %lld -> %lld channels", (long long)wt->dims[0],
                    (long long)wt->dims[1], (long long)Cin, (long long)O);
    if (deconv && (wt->dims[0] != Cin || wt->dims[1] * group != O))
        return fail(w, n, "its weights do not fit its channels");
    Geo geo;
    if (geometry(w, n, x, y, wt->dims + 2, &geo)) return -1;
    int64_t outpad[2] = {0, 0}, v[4];
    if (deconv && node_attr_ints(n, "output_padding", v, 4) == 2) outpad[0] = v[0], outpad[1] = v[1];
    for (int i = 0; i < 2; i++) {
        int64_t ext = geo.dilation[i] * (geo.kernel[i] - 1) + 1, out;
        if (deconv) out = (x->dims[2 + i] - 1) * geo.stride[i] + ext - geo.pads[i] - geo.pads[2 + i] + outpad[i];
        else out = (x->dims[2 + i] + geo.pads[i] + geo.pads[2 + i] - ext) / geo.stride[i] + 1;
        if (x->dims[2 + i] < 0 && y->dims[2 + i] < 0) continue; /* unknown in, unknown out: MNN computes it */
        if (out != y->dims[2 + i])
            return fail(w, n, "its output size %lld is not what MNN computes (%lld)", (long long)y->dims[2 + i], (long long)out);
    }
    int64_t nw, nb = 0;
    float *wv = const_floats(w, n->inputs[1], &nw), *bv = NULL;
    if (!wv || nw != tensor_numel(wt)) {
        free(wv);
        return fail(w, n, "its weights have no float value");
    }
    if (n->n_inputs > 2 && n->inputs[2] >= 0 && (!(bv = const_floats(w, n->inputs[2], &nb)) || nb != O)) {
        free(wv), free(bv);
        return fail(w, n, "its bias is not a constant of %lld values", (long long)O);
    }
    int in;
    if (in_t(w, n, 0, &in)) {
        free(wv), free(bv);
        return -1;
    }
    /* the converter: a convolution's inputCount is its input channels, a deconvolution's
     * the weights' first dim; a depthwise one's the group */
    FbRef common = common_table(w, &geo, group, O, deconv ? wt->dims[0] : Cin, deconv ? outpad : NULL);
    FbRef param = conv2d_table(w, common, wv, nw, O, bv, O);
    free(wv), free(bv);
    int out = out_t(w, n, 0);
    if (out < 0) return -1;
    int type = deconv ? (depthwise ? MNN_OP_DECONVOLUTION_DW : MNN_OP_DECONVOLUTION)
                      : (depthwise ? MNN_OP_CONVOLUTION_DW : MNN_OP_CONVOLUTION);
    add_op(w, type, MNN_P_CONV2D, param, n->name, &in, 1, &out, 1);
    return 0;
}

/* ---- elementwise ------------------------------------------------------------------------ */

static FbRef unary_param(MW *w, int op)
{
    fb_table_start(&w->fb);
    fb_add_i32(&w->fb, UNARY_OP_TYPE, op, -1);
    fb_add_i32(&w->fb, UNARY_T, MNN_DT_FLOAT, 0);
    return fb_table_end(&w->fb);
}

static int emit_unary(MW *w, const Node *n)
{
    static const struct {
        OpKind op;
        int type;
    } map[] = {{OP_SILU, MNN_UN_SILU},   {OP_SWISH, MNN_UN_SILU},      {OP_SIGMOID, MNN_UN_SIGMOID},
               {OP_TANH, MNN_UN_TANH},   {OP_EXP, MNN_UN_EXP},         {OP_LOG, MNN_UN_LOG},
               {OP_SQRT, MNN_UN_SQRT},   {OP_NEG, MNN_UN_NEG},         {OP_ABS, MNN_UN_ABS},
               {OP_FLOOR, MNN_UN_FLOOR}, {OP_CEIL, MNN_UN_CEIL},       {OP_RECIPROCAL, MNN_UN_RECIPROCAL},
               {OP_SIN, MNN_UN_SIN},     {OP_COS, MNN_UN_COS},         {OP_ERF, MNN_UN_ERF},
               {OP_SIGN, MNN_UN_SIGN},   {OP_HARD_SWISH, MNN_UN_HARDSWISH}};
    int type = -1;
    for (size_t i = 0; i < ARRAY_LEN(map); i++)
        if (map[i].op == n->op) type = map[i].type;
    if (n->op == OP_GELU) {
        const Attr *a = node_attr(n, "approximate");
        type = a && a->type == ATTR_STRING && a->s && !strcmp(a->s, "tanh") ? MNN_UN_GELU : MNN_UN_GELU_STANDARD;
    }
    if (type < 0) return fail(w, n, "no MNN UnaryOp");
    return simple_op(w, n, MNN_OP_UNARY, MNN_P_UNARY, unary_param(w, type), 1, 1);
}

static int emit_relu(MW *w, const Node *n)
{
    fb_table_start(&w->fb);
    fb_add_f32(&w->fb, RELU_SLOPE, n->op == OP_LEAKY_RELU ? (float)node_attr_float(n, "alpha", 0.01) : 0.f, 1.f);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_RELU, MNN_P_RELU, p, 1, 1);
}

static int emit_elu(MW *w, const Node *n)
{
    fb_table_start(&w->fb);
    fb_add_f32(&w->fb, ELU_ALPHA, (float)node_attr_float(n, "alpha", 1.0), 0.5f);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_ELU, MNN_P_ELU, p, 1, 1);
}

/* Clip -> ReLU6 with its bounds (what MNN's converter makes of a Clip). */
static int emit_clip(MW *w, const Node *n)
{
    double lo = node_attr_float(n, "min", -FLT_MAX), hi = node_attr_float(n, "max", FLT_MAX);
    for (int k = 1; k < 3 && k < n->n_inputs; k++) {
        if (n->inputs[k] < 0) continue;
        int64_t cnt;
        double *v = const_values(w, n->inputs[k], &cnt);
        if (!v || cnt != 1) {
            free(v);
            return fail(w, n, "its bounds are not constants");
        }
        if (k == 1) lo = v[0];
        else hi = v[0];
        free(v);
    }
    fb_table_start(&w->fb);
    fb_add_f32(&w->fb, RELU6_MIN, (float)fmax(lo, -FLT_MAX), 1.f);
    fb_add_f32(&w->fb, RELU6_MAX, (float)fmin(hi, FLT_MAX), 1.f);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_RELU6, MNN_P_RELU6, p, 1, 1);
}

static FbRef binary_param(MW *w, int op)
{
    fb_table_start(&w->fb);
    fb_add_i32(&w->fb, BINARY_OP_TYPE, op, -1);
    fb_add_i32(&w->fb, BINARY_T, MNN_DT_FLOAT, 0);
    return fb_table_end(&w->fb);
}

static int emit_binary(MW *w, const Node *n)
{
    int op;
    switch (n->op) {
    case OP_ADD: op = MNN_BIN_ADD; break;
    case OP_SUB: op = MNN_BIN_SUB; break;
    case OP_MUL: op = MNN_BIN_MUL; break;
    case OP_DIV: op = MNN_BIN_REALDIV; break;
    case OP_POW: op = MNN_BIN_POW; break;
    case OP_MIN: op = MNN_BIN_MINIMUM; break;
    default: op = MNN_BIN_MAXIMUM; break;
    }
    if (n->n_inputs != 2) return fail(w, n, "MNN's BinaryOp takes exactly two inputs");
    return simple_op(w, n, MNN_OP_BINARY, MNN_P_BINARY, binary_param(w, op), 2, 1);
}

/* Identity, Dropout, a float32 Cast: the output is the input's tensor (a graph output that
 * is also the input or another output gets a copy through a ReLU6 of infinite bounds). */
static int emit_alias(MW *w, const Node *n)
{
    for (int k = 1; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0 && w->uses[n->outputs[k]] > 0) return fail(w, n, "its mask output has no MNN form");
    const Tensor *y = T(w, n->outputs[0]);
    if (n->op == OP_CAST && (node_attr_int(n, "to", 1) != 1 || y->dtype != DT_F32))
        return fail(w, n, "a cast to %s is not written for MNN", dtype_name(y->dtype));
    int in;
    if (in_t(w, n, 0, &in)) return -1;
    const Tensor *x = T(w, n->inputs[0]);
    if (!y->is_output || !(x->is_input || x->is_output)) {
        w->tmt[n->outputs[0]] = in;
        return 0;
    }
    fb_table_start(&w->fb);
    fb_add_f32(&w->fb, RELU6_MIN, -FLT_MAX, 1.f);
    fb_add_f32(&w->fb, RELU6_MAX, FLT_MAX, 1.f);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_RELU6, MNN_P_RELU6, p, 1, 1);
}

/* ---- shape ops -------------------------------------------------------------------------- */

static int norm_axis(MW *w, const Node *n, int64_t a, int rank, int *out)
{
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return fail(w, n, "axis out of range");
    *out = (int)a;
    return 0;
}

static int emit_concat(MW *w, const Node *n)
{
    int axis = 0;
    if (norm_axis(w, n, node_attr_int(n, "axis", 0), T(w, n->outputs[0])->rank, &axis)) return -1;
    fb_table_start(&w->fb);
    fb_add_i32(&w->fb, AXIS_AXIS, axis, -1);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_CONCAT, MNN_P_AXIS, p, n->n_inputs, 1);
}

static int emit_split(MW *w, const Node *n)
{
    const Tensor *x = T(w, n->inputs[0]);
    int axis = 0;
    if (!x || norm_axis(w, n, node_attr_int(n, "axis", 0), x->rank, &axis)) return -1;
    if (n->n_outputs > MAX_IO) return fail(w, n, "too many outputs");
    int32_t sizes[MAX_IO];
    int64_t total = 0;
    for (int k = 0; k < n->n_outputs; k++) {
        const Tensor *y = T(w, n->outputs[k]);
        if (!y || y->rank != x->rank) return fail(w, n, "an output's shape is unknown");
        sizes[k] = (int32_t)y->dims[axis];
        total += y->dims[axis];
    }
    if (x->dims[axis] < 0) return fail(w, n, "a split of axis %d, whose size is unknown, has no MNN form here", axis);
    if (total != x->dims[axis]) return fail(w, n, "its parts do not add up to the input");
    /* one output of the whole axis has no Torch-style Slice form (its one point is a size) */
    if (n->n_outputs < 2) return fail(w, n, "a split into one part is not written for MNN");
    FbRef pts = fb_create_vector(&w->fb, sizes, (size_t)n->n_outputs, 4, 4);
    fb_table_start(&w->fb);
    fb_add_i32(&w->fb, SLICE_AXIS, axis, -1);
    fb_add_ref(&w->fb, SLICE_POINTS, pts);
    fb_add_i8(&w->fb, SLICE_SOURCE_TYPE, MNN_SOURCE_TORCH, 0);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_SLICE, MNN_P_SLICE, p, 1, n->n_outputs);
}

/* ONNX Slice with constant bounds and step 1 -> StridedSlice(x, begin, end, strides) over
 * every axis (int32 constants).  An axis of unknown size (dynamic=True) that is not cut, or
 * is cut to its end, takes the begin and end mask bits instead of its size. */
static int emit_slice(MW *w, const Node *n)
{
    const Tensor *x = T(w, n->inputs[0]);
    if (!x || n->n_inputs < 3) return fail(w, n, "needs data, starts and ends");
    int R = x->rank;
    int64_t st[GRAPH_MAX_RANK], en[GRAPH_MAX_RANK], ax[GRAPH_MAX_RANK], sp[GRAPH_MAX_RANK];
    int64_t cnt[4];
    double *v[4] = {NULL};
    for (int k = 1; k < 5; k++)
        if (k < n->n_inputs && n->inputs[k] >= 0) v[k - 1] = const_values(w, n->inputs[k], &cnt[k - 1]);
    int ns = v[0] ? (int)cnt[0] : -1;
    bool ok = v[0] && v[1] && cnt[1] == ns && ns <= GRAPH_MAX_RANK && (!v[2] || cnt[2] == ns) && (!v[3] || cnt[3] == ns);
    if (ok)
        for (int i = 0; i < ns; i++)
            st[i] = (int64_t)v[0][i], en[i] = v[1][i] > 9e18 ? INT64_MAX : v[1][i] < -9e18 ? INT64_MIN : (int64_t)v[1][i],
            ax[i] = v[2] ? (int64_t)v[2][i] : i, sp[i] = v[3] ? (int64_t)v[3][i] : 1;
    for (int k = 0; k < 4; k++) free(v[k]);
    if (!ok) return fail(w, n, "its bounds are not constants");
    double begin[GRAPH_MAX_RANK], end[GRAPH_MAX_RANK], stride[GRAPH_MAX_RANK];
    int32_t begin_mask = 0, end_mask = 0;
    for (int a = 0; a < R; a++) {
        begin[a] = 0, end[a] = (double)x->dims[a], stride[a] = 1;
        if (x->dims[a] < 0) begin_mask |= 1 << a, end_mask |= 1 << a, end[a] = 0;
    }
    for (int i = 0; i < ns; i++) {
        int a = 0;
        if (norm_axis(w, n, ax[i], R, &a)) return -1;
        if (sp[i] != 1) return fail(w, n, "slices with step %lld are not written for MNN", (long long)sp[i]);
        int64_t d = x->dims[a], b = st[i], e = en[i];
        if (d < 0) { /* unknown size: only bounds that do not count from the end */
            if (b < 0 || e < 0 || b >= INT32_MAX)
                return fail(w, n, "a slice of axis %d, whose size is unknown, from its end has no MNN form", a);
            if (e <= b) return fail(w, n, "an empty slice has no MNN form");
            begin[a] = (double)b;
            begin_mask &= ~(1 << a);
            if (e < INT32_MAX) end[a] = (double)e, end_mask &= ~(1 << a);
            continue;
        }
        if (b < 0) b += d;
        if (e < 0) e += d;
        b = b < 0 ? 0 : b > d ? d : b;
        e = e < 0 ? 0 : e > d ? d : e;
        if (e <= b) return fail(w, n, "an empty slice has no MNN form");
        begin[a] = (double)b, end[a] = (double)e;
    }
    int64_t rd = R;
    int in[4];
    if (in_t(w, n, 0, &in[0])) return -1;
    in[1] = const_op(w, arena_printf(w->arena, "%s/begin", n->name), 1, &rd, begin, R, true);
    in[2] = const_op(w, arena_printf(w->arena, "%s/end", n->name), 1, &rd, end, R, true);
    in[3] = const_op(w, arena_printf(w->arena, "%s/strides", n->name), 1, &rd, stride, R, true);
    fb_table_start(&w->fb);
    fb_add_i32(&w->fb, STRIDED_INDEX, MNN_DT_INT32, 0);
    fb_add_i32(&w->fb, STRIDED_T, MNN_DT_FLOAT, 0);
    fb_add_i32(&w->fb, STRIDED_BEGIN_MASK, begin_mask, 0);
    fb_add_i32(&w->fb, STRIDED_END_MASK, end_mask, 0);
    FbRef p = fb_table_end(&w->fb);
    int out = out_t(w, n, 0);
    if (out < 0) return -1;
    add_op(w, MNN_OP_STRIDED_SLICE, MNN_P_STRIDED_SLICE, p, n->name, in, 4, &out, 1);
    return 0;
}

/* The dims of a Reshape whose output has unknown dims (dynamic=True), shape-agnostic as MNN
 * reads them (0 copies the input's dim, -1 is inferred): the IR Reshape's own shape when it
 * fits the output, else the output's dims with its one unknown dim as -1.  0 or -1 + message
 * (two unknown dims that no 0 copies need a shape computed at run time, which MNN's export
 * here does not write). */
static int agnostic_shape(MW *w, const Node *n, const Tensor *x, const Tensor *y, int32_t *dims)
{
    int64_t cnt = 0;
    double *v = n->op == OP_RESHAPE && n->n_inputs > 1 && !node_attr_int(n, "allowzero", 0)
                    ? const_values(w, n->inputs[1], &cnt)
                    : NULL;
    bool fits = v && cnt == y->rank;
    int infer = 0;
    for (int i = 0; fits && i < y->rank; i++) {
        if (v[i] == 0) fits = i < x->rank && x->dims[i] == y->dims[i];
        else if (v[i] == -1) fits = ++infer == 1;
        else fits = v[i] == (double)y->dims[i];
        dims[i] = (int32_t)v[i];
    }
    free(v);
    if (fits) return 0;
    int unknown = 0;
    for (int i = 0; i < y->rank; i++) {
        dims[i] = y->dims[i] < 0 ? -1 : (int32_t)y->dims[i];
        unknown += y->dims[i] < 0;
    }
    if (unknown > 1)
        return fail(w, n, "its output has %d dims that depend on the input's height and width; MNN's Reshape "
                          "infers one", unknown);
    return 0;
}

/* Reshape, Flatten, Squeeze, Unsqueeze: Reshape to the output's static dims (shape-agnostic
 * dims when some are unknown). */
static int emit_reshape(MW *w, const Node *n)
{
    const Tensor *y = T(w, n->outputs[0]), *x = T(w, n->inputs[0]);
    if (!y || !x || y->rank < 1) return fail(w, n, "its output has no shape");
    int32_t dims[GRAPH_MAX_RANK];
    bool unknown = false;
    for (int i = 0; i < y->rank; i++) {
        dims[i] = (int32_t)y->dims[i];
        unknown |= y->dims[i] < 0;
    }
    if (unknown && w->unknown_hw && agnostic_shape(w, n, x, y, dims)) return -1;
    FbRef dv = fb_create_vector(&w->fb, dims, (size_t)y->rank, 4, 4);
    fb_table_start(&w->fb);
    fb_add_ref(&w->fb, RESHAPE_DIMS, dv);
    fb_add_i8(&w->fb, RESHAPE_DIM_TYPE, MNN_NCHW, -1);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_RESHAPE, MNN_P_RESHAPE, p, 1, 1);
}

static int emit_transpose(MW *w, const Node *n)
{
    const Tensor *x = T(w, n->inputs[0]);
    int64_t perm[GRAPH_MAX_RANK];
    int np = node_attr_ints(n, "perm", perm, GRAPH_MAX_RANK);
    if (!x) return fail(w, n, "has no input");
    if (np == 0) {
        np = x->rank;
        for (int i = 0; i < np; i++) perm[i] = np - 1 - i;
    }
    if (np != x->rank) return fail(w, n, "perm does not fit the input's rank");
    int32_t d[GRAPH_MAX_RANK];
    bool seen[GRAPH_MAX_RANK] = {false};
    for (int i = 0; i < np; i++) {
        if (perm[i] < 0 || perm[i] >= np || seen[perm[i]]) return fail(w, n, "perm is not a permutation");
        seen[perm[i]] = true;
        d[i] = (int32_t)perm[i];
    }
    FbRef dv = fb_create_vector(&w->fb, d, (size_t)np, 4, 4);
    fb_table_start(&w->fb);
    fb_add_ref(&w->fb, PERMUTE_DIMS, dv);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_PERMUTE, MNN_P_PERMUTE, p, 1, 1);
}

static int emit_softmax(MW *w, const Node *n)
{
    int axis = 0;
    if (norm_axis(w, n, node_attr_int(n, "axis", -1), T(w, n->inputs[0])->rank, &axis)) return -1;
    fb_table_start(&w->fb);
    fb_add_i32(&w->fb, AXIS_AXIS, axis, -1);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_SOFTMAX, MNN_P_AXIS, p, 1, 1);
}

static int emit_pool(MW *w, const Node *n)
{
    const Tensor *x = T(w, n->inputs[0]), *y = T(w, n->outputs[0]);
    if (!x || !y || x->rank != 4 || y->rank != 4) return fail(w, n, "only 2-D pooling is written");
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && w->uses[n->outputs[1]] > 0)
        return fail(w, n, "its indices output is not written for MNN");
    bool global = n->op == OP_GLOBAL_AVGPOOL || n->op == OP_GLOBAL_MAXPOOL;
    bool avg = n->op == OP_AVGPOOL || n->op == OP_GLOBAL_AVGPOOL;
    Geo geo;
    memset(&geo, 0, sizeof geo);
    bool ceil_mode = false;
    if (!global) {
        if (geometry(w, n, x, y, NULL, &geo)) return -1;
        if (geo.dilation[0] != 1 || geo.dilation[1] != 1) return fail(w, n, "dilated pooling has no MNN form");
        ceil_mode = node_attr_int(n, "ceil_mode", 0) != 0;
        for (int i = 0; i < 2; i++) {
            if (x->dims[2 + i] < 0 && y->dims[2 + i] < 0) continue; /* unknown: MNN computes it */
            int64_t span = x->dims[2 + i] + geo.pads[i] + geo.pads[2 + i] - geo.kernel[i];
            int64_t out = ceil_mode ? (span + geo.stride[i] - 1) / geo.stride[i] + 1 : span / geo.stride[i] + 1;
            if (span < 0 || out != y->dims[2 + i])
                return fail(w, n, "its output size %lld is not what MNN computes", (long long)y->dims[2 + i]);
        }
    }
    FbRef pv = 0;
    if (!global) {
        int32_t pads[4] = {(int32_t)geo.pads[0], (int32_t)geo.pads[1], (int32_t)geo.pads[2], (int32_t)geo.pads[3]};
        pv = fb_create_vector(&w->fb, pads, 4, 4, 4);
    }
    fb_table_start(&w->fb);
    fb_add_bool(&w->fb, POOL_IS_GLOBAL, global, false);
    if (!global) {
        fb_add_i32(&w->fb, POOL_PAD_X, (int32_t)geo.pads[1], -1);
        fb_add_i32(&w->fb, POOL_PAD_Y, (int32_t)geo.pads[0], -1);
        fb_add_i32(&w->fb, POOL_KERNEL_X, (int32_t)geo.kernel[1], -1);
        fb_add_i32(&w->fb, POOL_KERNEL_Y, (int32_t)geo.kernel[0], -1);
        fb_add_i32(&w->fb, POOL_STRIDE_X, (int32_t)geo.stride[1], -1);
        fb_add_i32(&w->fb, POOL_STRIDE_Y, (int32_t)geo.stride[0], -1);
        fb_add_ref(&w->fb, POOL_PADS, pv);
    }
    fb_add_i8(&w->fb, POOL_TYPE, avg ? 1 : 0, -1);
    fb_add_i8(&w->fb, POOL_PAD_TYPE, 0, -1);
    fb_add_bool(&w->fb, POOL_CEIL, ceil_mode, true);
    if (avg && !global) fb_add_i8(&w->fb, POOL_COUNT_TYPE, node_attr_int(n, "count_include_pad", 0) ? 1 : 2, 0);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_POOLING, MNN_P_POOL, p, 1, 1);
}

static bool attr_is(const Node *n, const char *name, const char *dflt, const char *want)
{
    const Attr *a = node_attr(n, name);
    const char *v = a && a->type == ATTR_STRING && a->s ? a->s : dflt;
    return !strcmp(v, want);
}

/* The height and width scales of a resize whose input size is unknown: its scales constant
 * (Resize's third input, Upsample's second or its attribute), 1 on the batch and channels.
 * A resize to fixed sizes has none: 0 or -1 + message. */
static int resize_scales(MW *w, const Node *n, float *hs, float *ws)
{
    int k = n->op == OP_UPSAMPLE ? 1 : 2;
    int64_t cnt = 0;
    double *v = k < n->n_inputs && n->inputs[k] >= 0 ? const_values(w, n->inputs[k], &cnt) : NULL;
    double a[4];
    const Attr *sa = node_attr(n, "scales"); /* Upsample-7 */
    if (!v && n->op == OP_UPSAMPLE && sa && sa->type == ATTR_FLOATS && sa->count == 4) {
        memcpy(a, sa->floats, sizeof a);
        cnt = 4;
    } else if (v && cnt == 4) {
        memcpy(a, v, sizeof a);
    }
    free(v);
    if (cnt != 4)
        return fail(w, n, "a resize to fixed sizes over an unknown height or width has no MNN form (it needs "
                          "scales)");
    if (a[0] != 1 || a[1] != 1) return fail(w, n, "resizes the batch or channel axis");
    *hs = (float)a[2], *ws = (float)a[3];
    return 0;
}

static int emit_resize(MW *w, const Node *n)
{
    const Tensor *x = T(w, n->inputs[0]), *y = T(w, n->outputs[0]);
    if (!x || !y || x->rank != 4 || y->rank != 4) return fail(w, n, "only 2-D (NCHW) resizes are written");
    if (x->dims[0] != y->dims[0] || x->dims[1] != y->dims[1]) return fail(w, n, "resizes the batch or channel axis");
    const char *ctm_s = n->op == OP_UPSAMPLE ? "asymmetric" : NULL;
    static const struct {
        const char *name;
        int value;
    } ctms[] = {{"align_corners", 1}, {"half_pixel", 2}, {"pytorch_half_pixel", 3}, {"asymmetric", 4}};
    int ctm = -1;
    for (size_t i = 0; i < ARRAY_LEN(ctms); i++)
        if (ctm_s ? !strcmp(ctm_s, ctms[i].name) : attr_is(n, "coordinate_transformation_mode", "half_pixel", ctms[i].name))
            ctm = ctms[i].value;
    if (ctm < 0) return fail(w, n, "this coordinate transformation has no MNN form");
    int type;
    if (attr_is(n, "mode", "nearest", "nearest")) {
        if (n->op == OP_UPSAMPLE || attr_is(n, "nearest_mode", "round_prefer_floor", "floor")) type = 1;
        else if (attr_is(n, "nearest_mode", "round_prefer_floor", "round_prefer_floor")) type = 4;
        else return fail(w, n, "this nearest rounding has no MNN form");
    } else if (attr_is(n, "mode", "nearest", "linear")) {
        type = 2;
    } else if (attr_is(n, "mode", "nearest", "cubic")) {
        type = 3;
    } else {
        return fail(w, n, "this resize mode has no MNN form");
    }
    /* the verifier's bounds: sizes up to 2^30, scales below 65536 */
    bool by_scale = x->dims[2] < 0 || x->dims[3] < 0;
    float ws = 0.f, hs = 0.f;
    if (by_scale) { /* unknown height or width: no output size, MNN multiplies by the scales */
        if (resize_scales(w, n, &hs, &ws)) return -1;
    } else {
        ws = (float)y->dims[3] / (float)x->dims[3], hs = (float)y->dims[2] / (float)x->dims[2];
    }
    if ((!by_scale && (x->dims[2] <= 0 || x->dims[3] <= 0 || y->dims[2] <= 0 || y->dims[3] <= 0 ||
                       y->dims[2] > (1 << 30) || y->dims[3] > (1 << 30))) ||
        !(ws > 0.f && hs > 0.f && ws < 65536.f && hs < 65536.f))
        return fail(w, n, "an output size or scale MNN cannot hold");
    fb_table_start(&w->fb);
    if (!by_scale) {
        fb_add_i32(&w->fb, INTERP_OUTPUT_WIDTH, (int32_t)y->dims[3], 0);
        fb_add_i32(&w->fb, INTERP_OUTPUT_HEIGHT, (int32_t)y->dims[2], 0);
    }
    fb_add_f32(&w->fb, INTERP_WIDTH_SCALE, ws, 0.f);
    fb_add_f32(&w->fb, INTERP_HEIGHT_SCALE, hs, 0.f);
    fb_add_i32(&w->fb, INTERP_RESIZE_TYPE, type, 0);
    fb_add_bool(&w->fb, INTERP_ALIGN_CORNERS, ctm == 1, false);
    fb_add_bool(&w->fb, INTERP_HALF_PIXEL, ctm == 2, false);
    if (type == 3) fb_add_f32(&w->fb, INTERP_CUBIC_A, (float)node_attr_float(n, "cubic_coeff_a", -0.75), 0.f);
    fb_add_i8(&w->fb, INTERP_CTM, (int8_t)ctm, 0);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_INTERP, MNN_P_INTERP, p, 1, 1);
}

static FbRef matmul_param(MW *w, bool ta, bool tb)
{
    fb_table_start(&w->fb);
    fb_add_i32(&w->fb, MATMUL_T, MNN_DT_FLOAT, 0);
    fb_add_bool(&w->fb, MATMUL_TRANSPOSE_A, ta, false);
    fb_add_bool(&w->fb, MATMUL_TRANSPOSE_B, tb, false);
    return fb_table_end(&w->fb);
}

static int emit_matmul(MW *w, const Node *n)
{
    const Tensor *a = T(w, n->inputs[0]), *b = T(w, n->inputs[1]);
    if (!a || !b || a->rank < 2 || b->rank < 2) return fail(w, n, "products with a 1-D operand are not written for MNN");
    return simple_op(w, n, MNN_OP_MATMUL, MNN_P_MATMUL, matmul_param(w, false, false), 2, 1);
}

/* Gemm: MatMul(A, B) (transposes as the attributes say; alpha folded into B) + beta * C. */
static int emit_gemm(MW *w, const Node *n)
{
    const Tensor *a = T(w, n->inputs[0]), *b = n->n_inputs > 1 ? T(w, n->inputs[1]) : NULL;
    if (!a || !b || a->rank != 2 || b->rank != 2) return fail(w, n, "Gemm needs two matrices");
    double alpha = node_attr_float(n, "alpha", 1), beta = node_attr_float(n, "beta", 1);
    bool ta = node_attr_int(n, "transA", 0) != 0, tb = node_attr_int(n, "transB", 0) != 0;
    int in[2];
    if (in_t(w, n, 0, &in[0])) return -1;
    if (alpha != 1) {
        int64_t cnt;
        double *bv = const_values(w, n->inputs[1], &cnt);
        if (!bv) return fail(w, n, "alpha %g needs a constant B", alpha);
        for (int64_t i = 0; i < cnt; i++) bv[i] *= alpha;
        in[1] = const_op(w, T(w, n->inputs[1])->name, b->rank, b->dims, bv, cnt, false);
        free(bv);
    } else if (in_t(w, n, 1, &in[1])) {
        return -1;
    }
    bool has_c = n->n_inputs > 2 && n->inputs[2] >= 0;
    int mm = has_c ? new_tensor(w, arena_printf(w->arena, "%s/matmul", n->name), false) : out_t(w, n, 0);
    if (mm < 0) return -1;
    add_op(w, MNN_OP_MATMUL, MNN_P_MATMUL, matmul_param(w, ta, tb), has_c ? arena_printf(w->arena, "%s/matmul", n->name) : n->name,
           in, 2, &mm, 1);
    if (!has_c) return 0;
    int c;
    if (beta != 1) {
        int64_t cnt;
        double *cv = const_values(w, n->inputs[2], &cnt);
        if (!cv) return fail(w, n, "beta %g needs a constant C", beta);
        for (int64_t i = 0; i < cnt; i++) cv[i] *= beta;
        const Tensor *ct = T(w, n->inputs[2]);
        c = const_op(w, ct->name, ct->rank, ct->dims, cv, cnt, false);
        free(cv);
    } else if (in_t(w, n, 2, &c)) {
        return -1;
    }
    int ins[2] = {mm, c}, out = out_t(w, n, 0);
    if (out < 0) return -1;
    add_op(w, MNN_OP_BINARY, MNN_P_BINARY, binary_param(w, MNN_BIN_ADD), n->name, ins, 2, &out, 1);
    return 0;
}

static int emit_reduce(MW *w, const Node *n)
{
    const Tensor *x = T(w, n->inputs[0]);
    if (!x) return fail(w, n, "has no input");
    int64_t axes[GRAPH_MAX_RANK];
    int na = node_attr_ints(n, "axes", axes, GRAPH_MAX_RANK);
    if (na == 0 && n->n_inputs > 1 && n->inputs[1] >= 0) {
        int64_t cnt;
        double *v = const_values(w, n->inputs[1], &cnt);
        if (!v || cnt > GRAPH_MAX_RANK) {
            free(v);
            return fail(w, n, "its axes are not constant");
        }
        for (int64_t i = 0; i < cnt; i++) axes[i] = (int64_t)v[i];
        na = (int)cnt;
        free(v);
    }
    if (na == 0)
        for (int i = 0; i < x->rank; i++) axes[na++] = i;
    int32_t dims[GRAPH_MAX_RANK];
    for (int i = 0; i < na; i++) {
        int a = 0;
        if (norm_axis(w, n, axes[i], x->rank, &a)) return -1;
        dims[i] = a;
    }
    int op = n->op == OP_REDUCE_SUM ? MNN_RED_SUM : n->op == OP_REDUCE_MEAN ? MNN_RED_MEAN
             : n->op == OP_REDUCE_MAX ? MNN_RED_MAXIMUM : n->op == OP_REDUCE_MIN ? MNN_RED_MINIMUM : MNN_RED_PROD;
    FbRef dv = fb_create_vector(&w->fb, dims, (size_t)na, 4, 4);
    fb_table_start(&w->fb);
    fb_add_i8(&w->fb, REDUCTION_OPERATION, (int8_t)op, -1);
    fb_add_ref(&w->fb, REDUCTION_DIM, dv);
    fb_add_f32(&w->fb, REDUCTION_COEFF, 1.f, 0.f);
    fb_add_bool(&w->fb, REDUCTION_KEEP_DIMS, node_attr_int(n, "keepdims", 1) != 0, false);
    fb_add_i32(&w->fb, REDUCTION_DTYPE, MNN_DT_FLOAT, 0);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_REDUCTION, MNN_P_REDUCTION, p, 1, 1);
}

/* CumSum (ONNX) -> MNN's CumSum: data and the axis as an int32 constant input, exclusive and
 * reverse as its parameters. */
static int emit_cumsum(MW *w, const Node *n)
{
    const Tensor *x = T(w, n->inputs[0]);
    int64_t cnt = 0;
    double *v = n->n_inputs > 1 && n->inputs[1] >= 0 ? const_values(w, n->inputs[1], &cnt) : NULL;
    int64_t axis = v && cnt == 1 ? (int64_t)v[0] : INT64_MIN;
    free(v);
    if (!x || n->n_inputs != 2 || axis == INT64_MIN) return fail(w, n, "its axis is not a constant scalar");
    int a = 0;
    if (norm_axis(w, n, axis, x->rank, &a)) return -1;
    fb_table_start(&w->fb);
    fb_add_bool(&w->fb, CUMSUM_EXCLUSIVE, node_attr_int(n, "exclusive", 0) != 0, false);
    fb_add_bool(&w->fb, CUMSUM_REVERSE, node_attr_int(n, "reverse", 0) != 0, false);
    FbRef p = fb_table_end(&w->fb);
    return simple_op(w, n, MNN_OP_CUMSUM, MNN_P_CUMSUM, p, 2, 1);
}

static int emit_constant(MW *w, const Node *n) { return 0; /* made where it is used */ }

/* ---- the op table ------------------------------------------------------------------------ */

typedef int (*EmitFn)(MW *w, const Node *n);
#define YES(fn) {OP_WRITE_YES, emit_##fn}
#define NO {OP_WRITE_NO, NULL}
static const struct {
    OpWriteSupport support;
    EmitFn fn;
} mnn_ops[] = {
    [OP_CONV] = YES(conv),           [OP_CONV_TRANSPOSE] = YES(conv), [OP_BATCHNORM] = NO,
    [OP_SILU] = YES(unary),          [OP_SIGMOID] = YES(unary),     [OP_RELU] = YES(relu),
    [OP_ADD] = YES(binary),          [OP_SUB] = YES(binary),        [OP_MUL] = YES(binary),
    [OP_DIV] = YES(binary),          [OP_CONCAT] = YES(concat),     [OP_SPLIT] = YES(split),
    [OP_SLICE] = YES(slice),         [OP_MAXPOOL] = YES(pool),      [OP_AVGPOOL] = YES(pool),
    [OP_GLOBAL_AVGPOOL] = YES(pool), [OP_RESIZE] = YES(resize),     [OP_RESHAPE] = YES(reshape),
    [OP_TRANSPOSE] = YES(transpose), [OP_SOFTMAX] = YES(softmax),   [OP_MATMUL] = YES(matmul),
    [OP_GEMM] = YES(gemm),           [OP_FLATTEN] = YES(reshape),   [OP_IDENTITY] = YES(alias),
    [OP_CONSTANT] = YES(constant),   [OP_CAST] = YES(alias),        [OP_SHAPE] = NO,
    [OP_GATHER] = NO,                [OP_UNSQUEEZE] = YES(reshape), [OP_SQUEEZE] = YES(reshape),
    [OP_REDUCE_MAX] = YES(reduce),   [OP_ARGMAX] = NO,              [OP_TOPK] = NO,
    [OP_NMS] = NO,                   [OP_GLOBAL_MAXPOOL] = YES(pool), [OP_UPSAMPLE] = YES(resize),
    [OP_SWISH] = YES(unary),         [OP_EXP] = YES(unary),         [OP_LOG] = YES(unary),
    [OP_SQRT] = YES(unary),          [OP_NEG] = YES(unary),         [OP_ABS] = YES(unary),
    [OP_TANH] = YES(unary),          [OP_FLOOR] = YES(unary),       [OP_CEIL] = YES(unary),
    [OP_ROUND] = NO,                 [OP_RECIPROCAL] = YES(unary),  [OP_ERF] = YES(unary),
    [OP_LEAKY_RELU] = YES(relu),     [OP_HARD_SIGMOID] = NO,        [OP_HARD_SWISH] = YES(unary),
    [OP_SIN] = YES(unary),           [OP_COS] = YES(unary),         [OP_SOFTPLUS] = NO,
    [OP_GELU] = YES(unary),          [OP_ELU] = YES(elu),           [OP_SIGN] = YES(unary),
    [OP_MISH] = NO,                  [OP_POW] = YES(binary),        [OP_MIN] = YES(binary),
    [OP_MAX] = YES(binary),          [OP_MOD] = NO,                 [OP_EQUAL] = NO,
    [OP_LESS] = NO,                  [OP_GREATER] = NO,             [OP_LESS_OR_EQUAL] = NO,
    [OP_GREATER_OR_EQUAL] = NO,      [OP_AND] = NO,                 [OP_OR] = NO,
    [OP_XOR] = NO,                   [OP_NOT] = NO,                 [OP_WHERE] = NO,
    [OP_CLIP] = YES(clip),           [OP_LOG_SOFTMAX] = NO,         [OP_HARDMAX] = NO,
    [OP_REDUCE_MIN] = YES(reduce),   [OP_REDUCE_SUM] = YES(reduce), [OP_REDUCE_MEAN] = YES(reduce),
    [OP_REDUCE_PROD] = YES(reduce),  [OP_REDUCE_SUM_SQUARE] = NO,   [OP_REDUCE_LOG_SUM] = NO,
    [OP_REDUCE_LOG_SUM_EXP] = NO,    [OP_REDUCE_L1] = NO,           [OP_REDUCE_L2] = NO,
    [OP_ARGMIN] = NO,                [OP_DROPOUT] = YES(alias),     [OP_SIZE] = NO,
    [OP_GATHER_ELEMENTS] = NO,       [OP_EXPAND] = NO,              [OP_TILE] = NO,
    [OP_RANGE] = NO,                 [OP_CONSTANT_OF_SHAPE] = NO,   [OP_PAD] = NO,
    [OP_QUANTIZE_LINEAR] = NO,       [OP_DEQUANTIZE_LINEAR] = NO,   [OP_FAKE_QUANTIZE] = NO,
    [OP_GRID_SAMPLE] = NO,           [OP_SCATTER_UPDATE] = NO,
    [OP_CUMSUM] = YES(cumsum),
    [OP_OTHER] = NO,
};
#undef YES
#undef NO
_Static_assert(ARRAY_LEN(mnn_ops) == OP_COUNT, "the MNN writer's op table has a row per OpKind");

OpWriteSupport mnn_write_op_support(OpKind op) { return (unsigned)op < OP_COUNT ? mnn_ops[op].support : OP_WRITE_UNSET; }

static OpWriteSupport node_support(const Node *n)
{
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx")) return OP_WRITE_NO;
    if (n->op == OP_MAX || n->op == OP_MIN) return n->n_inputs == 2 ? OP_WRITE_YES : OP_WRITE_NO;
    return mnn_write_op_support(n->op);
}

/* ---- data layouts ----------------------------------------------------------------------- */

/* The layout rules, as MNN's converter applies them to an ONNX model (a safe subset):
 * convolutions, pooling and Interp take and give NC4HW4; elementwise ops keep their input's
 * layout; BinaryOp, Concat and Slice over 4-D activations use NC4HW4 when most of their
 * activation inputs have it (a constant input of more than one value keeps them in NCHW);
 * everything else works in NCHW.  A ConvertTensor goes wherever an input's layout differs,
 * and graph outputs end in NCHW. */
static bool is_c4_op(int type)
{
    return type == MNN_OP_CONVOLUTION || type == MNN_OP_CONVOLUTION_DW || type == MNN_OP_DECONVOLUTION ||
           type == MNN_OP_DECONVOLUTION_DW || type == MNN_OP_POOLING || type == MNN_OP_INTERP;
}

static bool is_keep_op(int type)
{
    return type == MNN_OP_UNARY || type == MNN_OP_RELU || type == MNN_OP_RELU6 || type == MNN_OP_ELU;
}

static bool is_full_op(int type) { return type == MNN_OP_BINARY || type == MNN_OP_CONCAT || type == MNN_OP_SLICE; }

static int convert(MW *w, Vec *out, int t, int dest, int *cache_nchw, int *cache_c4, const int *fmt)
{
    int *cache = dest == MNN_NC4HW4 ? cache_c4 : cache_nchw;
    if (cache[t] >= 0) return cache[t];
    fb_table_start(&w->fb);
    fb_add_i8(&w->fb, CONVERT_SOURCE, (int8_t)fmt[t], -1);
    fb_add_i8(&w->fb, CONVERT_DEST, (int8_t)dest, -1);
    FbRef p = fb_table_end(&w->fb);
    const char *name = arena_printf(w->arena, "%s___tr4%s", ((const char **)w->names.items)[t],
                                    dest == MNN_NC4HW4 ? "nc4hw4" : "nchw");
    int nt = new_tensor(w, name, false);
    MOp op = {.type = MNN_OP_CONVERT_TENSOR, .ptype = MNN_P_TENSOR_CONVERT, .param = p, .name = name, .n_in = 1, .n_out = 1};
    op.in[0] = t;
    op.out[0] = nt;
    vec_push(out, sizeof op, &op);
    cache[t] = nt;
    return nt;
}

static void assign_layouts(MW *w, const int *rank, const int *first_consumer_type)
{
    int cap = (int)w->names.len * 2 + 16;
    int *fmt = xmalloc(sizeof(int) * (size_t)cap), *cn = xmalloc(sizeof(int) * (size_t)cap),
        *cc = xmalloc(sizeof(int) * (size_t)cap);
    for (int i = 0; i < cap; i++) fmt[i] = MNN_NCHW, cn[i] = cc[i] = -1;
    int n_orig = (int)w->names.len;
    /* the original tensors' constness, copied: a ConvertTensor's new tensor moves w->consts */
    bool *is_const = xmalloc(sizeof(bool) * (size_t)(n_orig ? n_orig : 1));
    memcpy(is_const, w->consts.items, sizeof(bool) * (size_t)n_orig);
    Vec out = {0};
    for (size_t i = 0; i < w->ops.len; i++) {
        MOp op = OPS(w)[i];
        if (w->names.len + (size_t)op.n_in + 4 >= (size_t)cap) {
            int nc = cap * 2;
            fmt = xrealloc(fmt, sizeof(int) * (size_t)nc), cn = xrealloc(cn, sizeof(int) * (size_t)nc),
            cc = xrealloc(cc, sizeof(int) * (size_t)nc);
            for (int k = cap; k < nc; k++) fmt[k] = MNN_NCHW, cn[k] = cc[k] = -1;
            cap = nc;
        }
        int want = MNN_NCHW;
        if (op.type == MNN_OP_INPUT) {
            int t = op.out[0];
            fmt[t] = rank[t] == 4 && first_consumer_type[t] >= 0 && is_c4_op(first_consumer_type[t]) ? MNN_NC4HW4 : MNN_NCHW;
            vec_push(&out, sizeof op, &op);
            continue;
        }
        if (op.type == MNN_OP_CONST) {
            vec_push(&out, sizeof op, &op);
            continue;
        }
        if (is_c4_op(op.type)) {
            want = MNN_NC4HW4;
        } else if (is_keep_op(op.type) && op.in[0] < n_orig) {
            want = fmt[op.in[0]];
        } else if (is_full_op(op.type)) {
            int c4 = 0, plain = 0;
            bool blocked = false;
            for (int k = 0; k < op.n_in; k++) {
                int t = op.in[k];
                if (t < n_orig && is_const[t]) {
                    blocked |= rank[t] != -2; /* a constant of more than one value keeps NCHW */
                    continue;
                }
                blocked |= rank[t] != 4;
                if (fmt[t] == MNN_NC4HW4) c4++;
                else plain++;
            }
            want = !blocked && c4 > plain ? MNN_NC4HW4 : MNN_NCHW;
        }
        for (int k = 0; k < op.n_in; k++) {
            int t = op.in[k];
            bool is_c = t < n_orig && is_const[t];
            int need = (is_c4_op(op.type) && k > 0) ? MNN_NCHW : want;
            if (is_c) continue; /* constants are read in their own (NCHW) layout */
            if (fmt[t] != need) op.in[k] = convert(w, &out, t, need, cn, cc, fmt), fmt[op.in[k]] = need;
        }
        for (int k = 0; k < op.n_out; k++) fmt[op.out[k]] = want;
        vec_push(&out, sizeof op, &op);
    }
    /* graph outputs in NCHW: the producer's tensor is renamed, a ConvertTensor makes the output */
    for (int i = 0; i < w->g->n_outputs; i++) {
        int t = w->tmt[w->g->outputs[i]];
        if (t < 0 || fmt[t] != MNN_NC4HW4) continue;
        const char *name = ((const char **)w->names.items)[t];
        ((const char **)w->names.items)[t] = arena_printf(w->arena, "%s__before_tr", name);
        bool c = false;
        vec_push(&w->names, sizeof name, &name);
        vec_push(&w->consts, sizeof c, &c);
        int nt = (int)w->names.len - 1;
        fb_table_start(&w->fb);
        fb_add_i8(&w->fb, CONVERT_SOURCE, MNN_NC4HW4, -1);
        fb_add_i8(&w->fb, CONVERT_DEST, MNN_NCHW, -1);
        FbRef p = fb_table_end(&w->fb);
        MOp op = {.type = MNN_OP_CONVERT_TENSOR, .ptype = MNN_P_TENSOR_CONVERT, .param = p, .name = name, .n_in = 1, .n_out = 1};
        op.in[0] = t;
        op.out[0] = nt;
        vec_push(&out, sizeof op, &op);
        w->tmt[w->g->outputs[i]] = nt;
    }
    free(w->ops.items);
    w->ops = out;
    free(is_const);
    free(fmt);
    free(cn);
    free(cc);
}

/* ---- building --------------------------------------------------------------------------- */

static int build(MW *w)
{
    const Graph *g = w->g;
    if (g->n_inputs < 1) return fail(w, NULL, "the graph has no input");
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        const Tensor *x = T(w, t);
        if (!x || (x->dtype != DT_F32 && x->dtype != DT_F16)) return fail(w, NULL, "input %d is not a float tensor", i);
        int32_t d[GRAPH_MAX_RANK];
        for (int k = 0; k < x->rank; k++) {
            /* -1: unknown (dynamic=True), as MNN's converter writes an ONNX input's symbolic dim */
            if ((x->dims[k] <= 0 && x->dims[k] != -1) || x->dims[k] > INT32_MAX)
                return fail(w, NULL, "input '%s' is not static", x->name);
            d[k] = (int32_t)x->dims[k];
            w->unknown_hw |= x->dims[k] == -1;
        }
        FbRef dv = fb_create_vector(&w->fb, d, (size_t)x->rank, 4, 4);
        fb_table_start(&w->fb);
        fb_add_ref(&w->fb, INPUT_DIMS, dv);
        fb_add_i32(&w->fb, INPUT_DTYPE, MNN_DT_FLOAT, 0);
        fb_add_i8(&w->fb, INPUT_DFORMAT, MNN_NCHW, -1); /* set by the layout pass */
        FbRef p = fb_table_end(&w->fb);
        w->tmt[t] = new_tensor(w, x->name, false);
        add_op(w, MNN_OP_INPUT, MNN_P_INPUT, p, x->name, NULL, 0, &w->tmt[t], 1);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = &g->nodes[i];
        if (n->op != OP_CONSTANT && n->n_inputs < 1) return fail(w, n, "has no input");
        if (mnn_ops[n->op].fn(w, n)) return -1;
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (w->tmt[g->outputs[i]] < 0) return fail(w, NULL, "output '%s' is not computed by any op", T(w, g->outputs[i])->name);
    return 0;
}

/* The Input ops' dformat: rebuilt with the layout the pass chose. */
static FbRef input_param(MW *w, const Tensor *x, int fmt)
{
    int32_t d[GRAPH_MAX_RANK];
    for (int k = 0; k < x->rank; k++) d[k] = (int32_t)x->dims[k];
    FbRef dv = fb_create_vector(&w->fb, d, (size_t)x->rank, 4, 4);
    fb_table_start(&w->fb);
    fb_add_ref(&w->fb, INPUT_DIMS, dv);
    fb_add_i32(&w->fb, INPUT_DTYPE, MNN_DT_FLOAT, 0);
    fb_add_i8(&w->fb, INPUT_DFORMAT, (int8_t)fmt, -1);
    return fb_table_end(&w->fb);
}

static int finish(MW *w, uint8_t **buf, size_t *len)
{
    const Graph *g = w->g;
    int nt = (int)w->names.len;
    /* ranks and first consumers, for the layout rules */
    int *rank = xmalloc(sizeof(int) * (size_t)(nt + 1)), *first = xmalloc(sizeof(int) * (size_t)(nt + 1));
    for (int t = 0; t < nt; t++) rank[t] = -1, first[t] = -1;
    for (int t = 0; t < g->n_tensors; t++)
        if (w->tmt[t] >= 0) rank[w->tmt[t]] = g->tensors[t].rank;
    for (size_t i = 0; i < w->ops.len; i++) {
        const MOp *op = &OPS(w)[i];
        for (int k = 0; k < op->n_in; k++)
            if (first[op->in[k]] < 0) first[op->in[k]] = op->type;
    }
    /* constants: -2 marks a single value (free to go with either layout) */
    char key[32];
    for (int t = 0; t < g->n_tensors; t++) {
        snprintf(key, sizeof key, "%d", t);
        int c = strmap_get(&w->cache, key);
        if (c >= 0) rank[c] = tensor_numel(&g->tensors[t]) == 1 ? -2 : g->tensors[t].rank;
    }
    assign_layouts(w, rank, first);
    free(rank);
    free(first);
    /* the Input ops' dformat: NC4HW4 when the layout pass gave the input that layout (its
     * first reader is a convolution, pooling or Interp) */
    for (size_t i = 0; i < w->ops.len; i++) {
        MOp *op = &OPS(w)[i];
        if (op->type != MNN_OP_INPUT) continue;
        int t = op->out[0];
        bool c4 = false;
        for (size_t j = i + 1; j < w->ops.len; j++) {
            const MOp *c = &OPS(w)[j];
            bool reads = false;
            for (int k = 0; k < c->n_in; k++) reads |= c->in[k] == t;
            if (reads) {
                c4 = is_c4_op(c->type);
                break;
            }
        }
        for (int gi = 0; gi < g->n_inputs; gi++)
            if (w->tmt[g->inputs[gi]] == t)
                op->param = input_param(w, &g->tensors[g->inputs[gi]], c4 && g->tensors[g->inputs[gi]].rank == 4 ? MNN_NC4HW4 : MNN_NCHW);
    }
    /* ops */
    int n_ops = (int)w->ops.len;
    FbRef *refs = xmalloc(sizeof(FbRef) * (size_t)(n_ops + 1));
    for (int i = 0; i < n_ops; i++) {
        const MOp *op = &OPS(w)[i];
        FbRef iv = op->n_in ? fb_create_vector(&w->fb, op->in, (size_t)op->n_in, 4, 4) : 0;
        FbRef ov = fb_create_vector(&w->fb, op->out, (size_t)op->n_out, 4, 4);
        FbRef name = fb_create_string(&w->fb, op->name, strlen(op->name));
        fb_table_start(&w->fb);
        if (iv) fb_add_ref(&w->fb, OP_INPUT_INDEXES, iv);
        fb_add_u8(&w->fb, OP_MAIN_TYPE, (uint8_t)op->ptype, 0);
        if (op->param) fb_add_ref(&w->fb, OP_MAIN, op->param);
        fb_add_ref(&w->fb, OP_NAME, name);
        fb_add_ref(&w->fb, OP_OUTPUT_INDEXES, ov);
        fb_add_i32(&w->fb, OP_TYPE, op->type, -1);
        fb_add_i8(&w->fb, OP_DEFAULT_FORMAT, MNN_NCHW, -1);
        refs[i] = fb_table_end(&w->fb);
    }
    FbRef oplists = fb_create_ref_vector(&w->fb, refs, (size_t)n_ops);
    free(refs);
    nt = (int)w->names.len;
    FbRef *names = xmalloc(sizeof(FbRef) * (size_t)(nt + 1));
    for (int t = 0; t < nt; t++) {
        const char *s = ((const char **)w->names.items)[t];
        names[t] = fb_create_string(&w->fb, s, strlen(s));
    }
    FbRef tensor_names = fb_create_ref_vector(&w->fb, names, (size_t)nt);
    free(names);
    FbRef outs[64];
    int n_out = g->n_outputs < 64 ? g->n_outputs : 64;
    for (int i = 0; i < n_out; i++) {
        const char *s = ((const char **)w->names.items)[w->tmt[g->outputs[i]]];
        outs[i] = fb_create_string(&w->fb, s, strlen(s));
    }
    FbRef output_names = fb_create_ref_vector(&w->fb, outs, (size_t)n_out);
    FbRef biz = w->opt.biz_code ? fb_create_string(&w->fb, w->opt.biz_code, strlen(w->opt.biz_code)) : 0;
    fb_table_start(&w->fb);
    if (biz) fb_add_ref(&w->fb, NET_BIZCODE, biz);
    fb_add_ref(&w->fb, NET_OPLISTS, oplists);
    fb_add_ref(&w->fb, NET_OUTPUT_NAME, output_names);
    fb_add_i8(&w->fb, NET_SOURCE_TYPE, MNN_SOURCE_ONNX, 0);
    fb_add_ref(&w->fb, NET_TENSOR_NAME, tensor_names);
    fb_add_i32(&w->fb, NET_TENSOR_NUMBER, 0, -1);
    FbRef root = fb_table_end(&w->fb);
    if (fb_finish(&w->fb, root, NULL, w->err, w->errlen)) return -1;
    *buf = fb_builder_take(&w->fb, len);
    return 0;
}

static void w_free(MW *w)
{
    fb_builder_free(&w->fb);
    vec_free(&w->ops);
    vec_free(&w->names);
    vec_free(&w->consts);
    free(w->tmt);
    free(w->uses);
    strmap_free(&w->cache);
    strmap_free(&w->tnames);
    arena_free(w->arena);
}

/* Is n shape arithmetic in a graph whose input size is unknown (what dynamic=True builds for a
 * model whose layers read their input's size)? */
static bool reads_shape(const Graph *g, const Node *n)
{
    bool unknown = false;
    for (int i = 0; i < g->n_inputs; i++)
        for (int k = 0; k < g->tensors[g->inputs[i]].rank; k++) unknown |= g->tensors[g->inputs[i]].dims[k] < 0;
    return unknown && (n->op == OP_SHAPE || n->op == OP_SIZE || n->op == OP_GATHER || n->op == OP_RANGE ||
                       n->op == OP_EXPAND || n->op == OP_CONSTANT_OF_SHAPE);
}

int mnn_serialize(const Graph *g, const MnnOptions *opt, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    if (err && errlen) *err = '\0';
    MW w = {.g = g, .err = err, .errlen = errlen, .arena = arena_new()};
    if (opt) w.opt = *opt;
    fb_builder_init(&w.fb);
    int bad = graph_first_unwritable(g, node_support);
    if (bad >= 0) {
        fail(&w, &g->nodes[bad], "MNN has no op for '%s' in this writer%s", node_op_name(&g->nodes[bad]),
             reads_shape(g, &g->nodes[bad]) ? " (with dynamic=True this model reads its input's size here, which "
                                              "MNN's export does not write: export it with dynamic=False)"
                                            : "");
        w_free(&w);
        return -1;
    }
    int nt = g->n_tensors > 0 ? g->n_tensors : 1;
    w.tmt = xmalloc(sizeof(int) * (size_t)nt);
    w.uses = xcalloc((size_t)nt, sizeof(int));
    for (int t = 0; t < g->n_tensors; t++) w.tmt[t] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0 && g->nodes[i].inputs[k] < g->n_tensors) w.uses[g->nodes[i].inputs[k]]++;
    int rc = build(&w);
    if (!rc) rc = finish(&w, buf, len);
    w_free(&w);
    return rc;
}

int mnn_write(const Graph *g, const MnnOptions *opt, const char *path, char *err, size_t errlen)
{
    uint8_t *buf;
    size_t len;
    if (mnn_serialize(g, opt, &buf, &len, err, errlen)) return -1;
    int rc = fileio_write_atomic(path, buf, len, err, errlen);
    free(buf);
    return rc;
}
