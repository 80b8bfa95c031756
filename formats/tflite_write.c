/* tflite_write: the TensorFlow graph of the IR (formats/tfgraph.h) as a TF Lite flatbuffer,
 * each TF op mapped to its builtin as TensorFlow's converter maps it; and the peer's metadata
 * appended as a zip entry.  See formats/tflite.h. */
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "engine/core/fileio.h"
#include "formats/flatbuf.h"
#include "formats/tfgraph.h"
#include "formats/tflite.h"
#include "formats/tflite_schema.h"

#include "formats/tflite_write_int.h"


int tl_fail(Tl *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tl_fail(Tl *t, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(t->err, t->errlen, "%s%s%s", t->node ? t->node : "", t->node ? ": " : "", msg);
}

TlTensor *tl_tens(Tl *t, int i) { return &((TlTensor *)t->tensors.items)[i]; }

void *tl_own(Tl *t, void *p)
{
    vec_push(&t->owned, sizeof p, &p);
    return p;
}

int tl_add_buffer(Tl *t, const void *data, size_t nbytes)
{
    TlBuffer b = {data, nbytes};
    vec_push(&t->buffers, sizeof b, &b);
    return (int)t->buffers.len - 1;
}

int tl_add_tensor(Tl *t, const char *name, int type, int rank, const int64_t *dims, int buffer)
{
    TlTensor x = {.name = arena_strdup(t->arena, name), .type = type, .rank = rank, .buffer = buffer};
    for (int i = 0; i < rank; i++) x.shape[i] = (int32_t)dims[i];
    vec_push(&t->tensors, sizeof x, &x);
    return (int)t->tensors.len - 1;
}

static void set_ref(Tl *t, const char *ref, int ti) { strmap_put(&t->refs, ref, ti); }

static int make_const(Tl *t, const char *name);

/* The tensor a TF input reference names ("node", "node:k"); a Const becomes a tensor on its
 * first use, so that constants the conversion re-lays out (filters) are stored once. */
static int ref_tensor(Tl *t, const char *ref)
{
    int ti = strmap_get(&t->refs, ref);
    if (ti < 0 && strlen(ref) > 2 && !strcmp(ref + strlen(ref) - 2, ":0")) {
        char *base = arena_strndup(t->arena, ref, strlen(ref) - 2);
        ti = strmap_get(&t->refs, base);
        if (ti < 0) ref = base;
    }
    if (ti < 0 && strmap_get(&t->weights, ref) >= 0) ti = make_const(t, ref);
    return ti;
}

int tl_opcode_index(Tl *t, int32_t code, int version)
{
    TlOpcode *oc = t->opcodes.items;
    for (size_t i = 0; i < t->opcodes.len; i++)
        if (oc[i].code == code) {
            if (version > oc[i].version) oc[i].version = version;
            return (int)i;
        }
    TlOpcode n = {code, version};
    vec_push(&t->opcodes, sizeof n, &n);
    return (int)t->opcodes.len - 1;
}

TlOp *tl_add_op(Tl *t, int32_t code, const int *in, int n_in, const int *out, int n_out)
{
    TlOp op = {.opcode = tl_opcode_index(t, code, code == TFL_DEQUANTIZE ? 3 : code == TFL_QUANTIZE ? 2 : 1), .n_in = n_in,
               .n_out = n_out};
    op.in = arena_alloc(t->arena, sizeof(int) * (size_t)(n_in ? n_in : 1));
    op.out = arena_alloc(t->arena, sizeof(int) * (size_t)(n_out ? n_out : 1));
    memcpy(op.in, in, sizeof(int) * (size_t)n_in);
    memcpy(op.out, out, sizeof(int) * (size_t)n_out);
    return vec_push(&t->ops, sizeof op, &op);
}

static void opt_int(TlOp *op, int id, int size, int64_t v)
{
    if (op->n_f < 8) op->f[op->n_f++] = (TlField){id, size, (double)v};
}

static void opt_float(TlOp *op, int id, double v)
{
    if (op->n_f < 8) op->f[op->n_f++] = (TlField){id, -4, v};
}

/* ---- JSON node access ------------------------------------------------------------------ */
static json_object *attr(json_object *node, const char *key)
{
    json_object *a, *v;
    if (!json_object_object_get_ex(node, "attr", &a) || !json_object_object_get_ex(a, key, &v)) return NULL;
    return v;
}

static int64_t attr_int(json_object *node, const char *key, int64_t dflt)
{
    json_object *a = attr(node, key), *i;
    if (!a || !json_object_object_get_ex(a, "i", &i)) return dflt;
    return json_object_get_int64(i);
}

static double attr_float(json_object *node, const char *key, double dflt)
{
    json_object *a = attr(node, key), *f;
    if (!a || !json_object_object_get_ex(a, "f", &f)) return dflt;
    return json_object_get_double(f);
}

static bool attr_bool(json_object *node, const char *key, bool dflt)
{
    json_object *a = attr(node, key), *b;
    if (!a || !json_object_object_get_ex(a, "b", &b)) return dflt;
    return json_object_get_boolean(b);
}

/* A list(int) attribute: count (up to max) or -1 when absent. */
static int attr_ints(json_object *node, const char *key, int64_t *out, int max)
{
    json_object *a = attr(node, key), *l, *i;
    if (!a || !json_object_object_get_ex(a, "list", &l)) return -1;
    if (!json_object_object_get_ex(l, "i", &i)) return 0;
    int n = (int)json_object_array_length(i);
    for (int k = 0; k < n && k < max; k++) out[k] = json_object_get_int64(json_object_array_get_idx(i, (size_t)k));
    return n < max ? n : max;
}

static int b64v(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* A string attribute (TF.js JSON carries it base64) decoded into buf. */
static const char *attr_string(json_object *node, const char *key, char *buf, size_t len)
{
    json_object *a = attr(node, key), *s;
    buf[0] = 0;
    if (!a || !json_object_object_get_ex(a, "s", &s)) return buf;
    const char *p = json_object_get_string(s);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (; p && *p && *p != '=' && o + 1 < len; p++) {
        int v = b64v((unsigned char)*p);
        if (v < 0) break;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    buf[o] = 0;
    return buf;
}

static int n_inputs(json_object *node)
{
    json_object *in;
    return json_object_object_get_ex(node, "input", &in) ? (int)json_object_array_length(in) : 0;
}

static const char *input_ref(json_object *node, int k)
{
    json_object *in;
    if (!json_object_object_get_ex(node, "input", &in)) return "";
    json_object *e = json_object_array_get_idx(in, (size_t)k);
    return e ? json_object_get_string(e) : "";
}

/* Input k's tensor, or -1 + message. */
static int in_tensor(Tl *t, json_object *node, int k)
{
    const char *ref = input_ref(node, k);
    int ti = ref_tensor(t, ref);
    if (ti < 0) tl_fail(t, "input %d (%s) is not produced before it is used", k, ref);
    return ti;
}

/* Input k as constant integers (a Const node): count, or -1 + message. */
static int in_ints(Tl *t, json_object *node, int k, int64_t *out, int max)
{
    const char *ref = input_ref(node, k);
    int wi = strmap_get(&t->weights, ref);
    const TfWeight *w = wi >= 0 ? tfgraph_weight(t->tg, (size_t)wi) : NULL;
    if (!w || w->dtype != DT_I32) return tl_fail(t, "input %d (%s) must be an int32 constant", k, ref);
    int n = (int)(w->nbytes / 4);
    if (n > max) return tl_fail(t, "input %d (%s) has more values than TF Lite allows here", k, ref);
    for (int i = 0; i < n; i++) out[i] = ((const int32_t *)w->data)[i];
    return n;
}

/* The values of int32 tensor ti when known while converting: a constant's data, or what the
 * shape arithmetic before it gives at this size (TlTensor.ivals).  Count, or -1. */
static int tensor_ints(Tl *t, int ti, int64_t *out, int max)
{
    TlTensor *x = tl_tens(t, ti);
    if (x->ivals) {
        if (x->n_ivals > max) return -1;
        for (int i = 0; i < x->n_ivals; i++) out[i] = x->ivals[i];
        return x->n_ivals;
    }
    const TlBuffer *b = x->buffer > 0 ? &((const TlBuffer *)t->buffers.items)[x->buffer] : NULL;
    if (x->type != 2 || !b || !b->data || b->nbytes / 4 > (size_t)max) return -1;
    for (size_t i = 0; i < b->nbytes / 4; i++) out[i] = ((const int32_t *)b->data)[i];
    return (int)(b->nbytes / 4);
}

/* Record n known values on int32 tensor ti (copied). */
static void set_ints(Tl *t, int ti, const int64_t *v, int n)
{
    int64_t *c = arena_alloc(t->arena, sizeof(int64_t) * (size_t)(n ? n : 1));
    memcpy(c, v, sizeof(int64_t) * (size_t)n);
    tl_tens(t, ti)->ivals = c;
    tl_tens(t, ti)->n_ivals = n;
}

/* ---- tensors --------------------------------------------------------------------------- */
int tl_new_out(Tl *t, const char *name, int type, int rank, const int64_t *dims)
{
    return tl_add_tensor(t, name, type, rank, dims, 0);
}

void tl_dims_of(Tl *t, int ti, int64_t *d)
{
    TlTensor *x = tl_tens(t, ti);
    for (int i = 0; i < x->rank; i++) d[i] = x->shape[i];
}

static int const_i32(Tl *t, const char *name, const int64_t *v, int n)
{
    int32_t *d = tl_own(t, xmalloc(sizeof(int32_t) * (size_t)(n ? n : 1)));
    for (int i = 0; i < n; i++) d[i] = (int32_t)v[i];
    int64_t dim = n;
    return tl_add_tensor(t, name, 2, 1, &dim, tl_add_buffer(t, d, sizeof(int32_t) * (size_t)n));
}

static int const_f32(Tl *t, const char *name, const float *v, int rank, const int64_t *dims, int64_t n)
{
    float *d = tl_own(t, xmalloc(sizeof(float) * (size_t)(n ? n : 1)));
    memcpy(d, v, sizeof(float) * (size_t)n);
    return tl_add_tensor(t, name, 0, rank, dims, tl_add_buffer(t, d, sizeof(float) * (size_t)n));
}

/* A float constant as the model stores it: float32, or with half float16 + DEQUANTIZE, as the
 * converter's float16 quantisation stores float constants: the learned weights (quantize), and
 * every other constant of 16 values or more that float16 holds exactly (anchors and strides:
 * integers and halves); the rest (the box normalisation's 1/width, ...) stays float32. */
int tl_set_quant(Tl *t, int ti, int n_q, int qdim, const float *scale, const int64_t *zero)
{
    TlTensor *x = tl_tens(t, ti);
    x->qscale = arena_alloc(t->arena, sizeof(float) * (size_t)n_q);
    x->qzero = arena_alloc(t->arena, sizeof(int64_t) * (size_t)n_q);
    memcpy(x->qscale, scale, sizeof(float) * (size_t)n_q);
    memcpy(x->qzero, zero, sizeof(int64_t) * (size_t)n_q);
    x->n_q = n_q;
    x->qdim = qdim;
    return ti;
}

/* A learned weight as int8, symmetric per channel along axis (per tensor when axis < 0):
 * scale max|w|/127 (1 for a zero channel), values in [-127, 127]; DEQUANTIZE to float32. */
static int int8_weight(Tl *t, const char *name, const float *v, int rank, const int64_t *dims, int64_t n, int axis)
{
    int64_t ch = axis >= 0 ? dims[axis] : 1, inner = 1;
    for (int k = axis + 1; axis >= 0 && k < rank; k++) inner *= dims[k];
    float *scale = xcalloc((size_t)ch, sizeof(float));
    int64_t *zero = xcalloc((size_t)ch, sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) {
        int64_t c = (i / inner) % ch;
        float a = fabsf(v[i]);
        if (a > scale[c]) scale[c] = a;
    }
    for (int64_t c = 0; c < ch; c++) scale[c] = scale[c] > 0 ? scale[c] / 127.0f : 1.0f;
    int8_t *q = tl_own(t, xmalloc((size_t)(n ? n : 1)));
    for (int64_t i = 0; i < n; i++) {
        float r = roundf(v[i] / scale[(i / inner) % ch]);
        q[i] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
    int qt = tl_add_tensor(t, arena_printf(t->arena, "%s_int8", name), 9, rank, dims, tl_add_buffer(t, q, (size_t)n));
    tl_set_quant(t, qt, (int)ch, axis >= 0 ? axis : 0, scale, zero);
    free(scale);
    free(zero);
    int f = tl_new_out(t, name, 0, rank, dims);
    tl_add_op(t, TFL_DEQUANTIZE, &qt, 1, &f, 1);
    return f;
}

/* weight_tensor with the output channel's axis for the int8 modes (-1: per tensor). */
static int weight_tensor_ax(Tl *t, const char *name, const float *v, int rank, const int64_t *dims, int64_t n,
                            bool quantize, int axis);

static int weight_tensor(Tl *t, const char *name, const float *v, int rank, const int64_t *dims, int64_t n,
                         bool quantize)
{
    return weight_tensor_ax(t, name, v, rank, dims, n, quantize, -1);
}

static int weight_tensor_ax(Tl *t, const char *name, const float *v, int rank, const int64_t *dims, int64_t n,
                            bool quantize, int axis)
{
    if (t->opt->int8 != TFLITE_INT8_NONE) {
        if (quantize && rank >= 2 && n >= 16) return int8_weight(t, name, v, rank, dims, n, axis);
        return const_f32(t, name, v, rank, dims, n);
    }
    bool exact = n >= 16;
    for (int64_t i = 0; exact && !quantize && i < n; i++) exact = half_to_float(float_to_half(v[i])) == v[i];
    if (!t->opt->half || !(quantize || exact)) return const_f32(t, name, v, rank, dims, n);
    uint16_t *h = tl_own(t, xmalloc(sizeof(uint16_t) * (size_t)(n ? n : 1)));
    for (int64_t i = 0; i < n; i++) h[i] = float_to_half(v[i]);
    int q = tl_add_tensor(t, arena_printf(t->arena, "%s_fp16", name), 1, rank, dims,
                       tl_add_buffer(t, h, sizeof(uint16_t) * (size_t)n));
    int f = tl_new_out(t, name, 0, rank, dims);
    tl_add_op(t, TFL_DEQUANTIZE, &q, 1, &f, 1);
    return f;
}

/* The input k when it is a float Const: its data, shape and quantize flag; NULL otherwise. */
static const TfWeight *in_weight(Tl *t, json_object *node, int k)
{
    int wi = strmap_get(&t->weights, input_ref(node, k));
    const TfWeight *w = wi >= 0 ? tfgraph_weight(t->tg, (size_t)wi) : NULL;
    return w && w->dtype == DT_F32 ? w : NULL;
}

/* ---- shape rules ----------------------------------------------------------------------- */
static int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t d, bool same)
{
    int64_t keff = d * (k - 1) + 1;
    return same ? (in + s - 1) / s : (in - keff) / s + 1;
}

static int broadcast(Tl *t, int a, int b, int *rank, int64_t *out)
{
    TlTensor *x = tl_tens(t, a), *y = tl_tens(t, b);
    int r = x->rank > y->rank ? x->rank : y->rank;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - x->rank), ib = i - (r - y->rank);
        int64_t da = ia >= 0 ? x->shape[ia] : 1, db = ib >= 0 ? y->shape[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return tl_fail(t, "shapes do not broadcast (axis %d: %lld vs %lld)", i, (long long)da, (long long)db);
        out[i] = da == 1 ? db : da;
    }
    *rank = r;
    return 0;
}

/* Padding "EXPLICIT": a PAD node in front (zeros), then VALID.  Returns the padded tensor. */
static int explicit_pad(Tl *t, json_object *node, int x, const char *name)
{
    int64_t ep[8];
    if (attr_ints(node, "explicit_paddings", ep, 8) != 8) {
        tl_fail(t, "EXPLICIT padding without 8 explicit_paddings");
        return -1;
    }
    int64_t d[4];
    tl_dims_of(t, x, d);
    for (int i = 0; i < 4; i++) d[i] += ep[2 * i] + ep[2 * i + 1];
    int64_t pdims[2] = {4, 2};
    int32_t *p = tl_own(t, xmalloc(sizeof(int32_t) * 8));
    for (int i = 0; i < 8; i++) p[i] = (int32_t)ep[i];
    int pt = tl_add_tensor(t, arena_printf(t->arena, "%s/paddings", name), 2, 2, pdims, tl_add_buffer(t, p, 32));
    int y = tl_new_out(t, arena_printf(t->arena, "%s/pad", name), tl_tens(t, x)->type, 4, d);
    tl_add_op(t, TFL_PAD, (int[]){x, pt}, 2, &y, 1);
    return y;
}

/* ---- op conversions -------------------------------------------------------------------- */
typedef int (*ConvertFn)(Tl *t, json_object *node, const char *name, int32_t code);

static int cv_unary(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0);
    if (x < 0) return -1;
    int64_t d[GRAPH_MAX_RANK];
    tl_dims_of(t, x, d);
    int y = tl_new_out(t, name, tl_tens(t, x)->type, tl_tens(t, x)->rank, d);
    TlOp *op = tl_add_op(t, code, &x, 1, &y, 1);
    if (code == TFL_LEAKY_RELU) {
        op->opt_type = TFL_OPT_LEAKY_RELU;
        opt_float(op, 0, attr_float(node, "alpha", 0.2));
    }
    set_ref(t, name, y);
    return 0;
}

static int binary(Tl *t, const char *name, int32_t code, int a, int b)
{
    int rank = 0;
    int64_t d[GRAPH_MAX_RANK] = {0};
    if (broadcast(t, a, b, &rank, d)) return -1;
    int y = tl_new_out(t, name, tl_tens(t, a)->type, rank, d);
    int64_t va[GRAPH_MAX_RANK], vb[GRAPH_MAX_RANK], vy[GRAPH_MAX_RANK];
    int na = tl_tens(t, a)->type == 2 && rank == 1 ? tensor_ints(t, a, va, GRAPH_MAX_RANK) : -1;
    int nb = na >= 1 ? tensor_ints(t, b, vb, GRAPH_MAX_RANK) : -1;
    if (nb >= 1 && (na == nb || na == 1 || nb == 1) && (code == TFL_MUL || code == TFL_ADD || code == TFL_SUB)) {
        int n = na > nb ? na : nb; /* shape arithmetic: its values at this size */
        for (int i = 0; i < n; i++) {
            int64_t u = va[na == 1 ? 0 : i], v = vb[nb == 1 ? 0 : i];
            vy[i] = code == TFL_MUL ? u * v : code == TFL_ADD ? u + v : u - v;
        }
        set_ints(t, y, vy, n);
    }
    TlOp *op = tl_add_op(t, code, (int[]){a, b}, 2, &y, 1);
    op->opt_type = code == TFL_ADD ? TFL_OPT_ADD : code == TFL_SUB ? TFL_OPT_SUB : code == TFL_MUL ? TFL_OPT_MUL
                 : code == TFL_DIV ? TFL_OPT_DIV : (code == TFL_MAXIMUM || code == TFL_MINIMUM) ? TFL_OPT_MAXIMUM_MINIMUM : 0;
    set_ref(t, name, y);
    return y;
}

static int cv_binary(Tl *t, json_object *node, const char *name, int32_t code)
{
    int a = in_tensor(t, node, 0), b = a >= 0 ? in_tensor(t, node, 1) : -1;
    if (b < 0) return -1;
    return binary(t, name, code, a, b) < 0 ? -1 : 0;
}

static int cv_reciprocal(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0);
    if (x < 0) return -1;
    float one = 1.0f;
    int c = const_f32(t, arena_printf(t->arena, "%s/one", name), &one, 0, NULL, 1);
    return binary(t, name, TFL_DIV, c, x) < 0 ? -1 : 0;
}

static int cv_conv(Tl *t, json_object *node, const char *name, int32_t code)
{
    bool depthwise = code == TFL_DEPTHWISE_CONV_2D;
    int x = in_tensor(t, node, 0);
    if (x < 0) return -1;
    const TfWeight *f = in_weight(t, node, 1);
    if (!f || f->rank != 4) return tl_fail(t, "the filter must be a float32 constant of rank 4");
    int n_in = n_inputs(node);
    const TfWeight *bw = n_in > 2 ? in_weight(t, node, 2) : NULL;
    if (n_in > 2 && (!bw || bw->rank != 1)) return tl_fail(t, "the bias must be a float32 constant of rank 1");
    char pad[16];
    attr_string(node, "padding", pad, sizeof pad);
    int64_t st[4] = {1, 1, 1, 1}, dl[4] = {1, 1, 1, 1};
    attr_ints(node, "strides", st, 4);
    attr_ints(node, "dilations", dl, 4);
    if (!strcmp(pad, "EXPLICIT") && (x = explicit_pad(t, node, x, name)) < 0) return -1;
    bool same = !strcmp(pad, "SAME");
    int64_t kh = f->dims[0], kw = f->dims[1], cin = f->dims[2], m = f->dims[3];
    int64_t cout = depthwise ? cin * m : m;
    int64_t numel = kh * kw * cin * m;
    float *fd = tl_own(t, xmalloc(sizeof(float) * (size_t)numel));
    int64_t fdims[4];
    if (depthwise) { /* HWCM is [1, H, W, C*M] as it lies */
        memcpy(fd, f->data, sizeof(float) * (size_t)numel);
        fdims[0] = 1, fdims[1] = kh, fdims[2] = kw, fdims[3] = cout;
    } else { /* HWIO -> OHWI */
        const float *src = f->data;
        for (int64_t o = 0; o < cout; o++)
            for (int64_t i = 0; i < kh * kw; i++)
                for (int64_t c = 0; c < cin; c++) fd[(o * kh * kw + i) * cin + c] = src[(i * cin + c) * cout + o];
        fdims[0] = cout, fdims[1] = kh, fdims[2] = kw, fdims[3] = cin;
    }
    int ft = weight_tensor_ax(t, arena_printf(t->arena, "%s/filter", name), fd, 4, fdims, numel, f->quantize,
                              depthwise ? 3 : 0);
    /* no bias: zeros, as the converter writes them (LiteRT's XNNPACK path computes a two-input
     * convolution wrongly) */
    int bt = bw ? weight_tensor(t, arena_printf(t->arena, "%s/bias", name), bw->data, 1, bw->dims, bw->dims[0], bw->quantize)
                : const_f32(t, arena_printf(t->arena, "%s/bias", name), tl_own(t, xcalloc((size_t)cout, sizeof(float))), 1,
                            &cout, cout);
    int64_t xd[4];
    tl_dims_of(t, x, xd);
    int64_t yd[4] = {xd[0], conv_out(xd[1], kh, st[1], dl[1], same), conv_out(xd[2], kw, st[2], dl[2], same), cout};
    if (yd[1] <= 0 || yd[2] <= 0) return tl_fail(t, "the kernel is larger than the padded input");
    int y = tl_new_out(t, name, 0, 4, yd);
    TlOp *op = tl_add_op(t, code, (int[]){x, ft, bt}, 3, &y, 1);
    int p = same ? TFL_PADDING_SAME : TFL_PADDING_VALID;
    if (depthwise) {
        op->opt_type = TFL_OPT_DEPTHWISE_CONV2D;
        opt_int(op, TFL_DW_PADDING, 1, p);
        opt_int(op, TFL_DW_STRIDE_W, 4, st[2]);
        opt_int(op, TFL_DW_STRIDE_H, 4, st[1]);
        opt_int(op, TFL_DW_DEPTH_MULTIPLIER, 4, m);
        opt_int(op, TFL_DW_DILATION_W, 4, dl[2]);
        opt_int(op, TFL_DW_DILATION_H, 4, dl[1]);
    } else {
        op->opt_type = TFL_OPT_CONV2D;
        opt_int(op, TFL_CONV_PADDING, 1, p);
        opt_int(op, TFL_CONV_STRIDE_W, 4, st[2]);
        opt_int(op, TFL_CONV_STRIDE_H, 4, st[1]);
        opt_int(op, TFL_CONV_DILATION_W, 4, dl[2]);
        opt_int(op, TFL_CONV_DILATION_H, 4, dl[1]);
    }
    set_ref(t, name, y);
    return 0;
}

static int cv_transpose_conv(Tl *t, json_object *node, const char *name, int32_t code)
{
    int64_t oshape[4];
    if (in_ints(t, node, 0, oshape, 4) != 4) return tl_fail(t, "the output shape must be 4 constant values");
    const TfWeight *f = in_weight(t, node, 1);
    int x = in_tensor(t, node, 2);
    if (x < 0) return -1;
    if (!f || f->rank != 4) return tl_fail(t, "the filter must be a float32 constant of rank 4");
    char pad[16];
    attr_string(node, "padding", pad, sizeof pad);
    if (strcmp(pad, "VALID") && strcmp(pad, "SAME")) return tl_fail(t, "TF Lite's TRANSPOSE_CONV has no explicit padding");
    int64_t st[4] = {1, 1, 1, 1};
    attr_ints(node, "strides", st, 4);
    int64_t kh = f->dims[0], kw = f->dims[1], co = f->dims[2], ci = f->dims[3], n = kh * kw * co * ci;
    float *fd = tl_own(t, xmalloc(sizeof(float) * (size_t)n));
    const float *src = f->data; /* [kh, kw, Co, Ci] -> [Co, kh, kw, Ci] */
    for (int64_t o = 0; o < co; o++)
        for (int64_t i = 0; i < kh * kw; i++)
            for (int64_t c = 0; c < ci; c++) fd[(o * kh * kw + i) * ci + c] = src[(i * co + o) * ci + c];
    int ft = weight_tensor_ax(t, arena_printf(t->arena, "%s/filter", name), fd, 4, (int64_t[]){co, kh, kw, ci}, n,
                              f->quantize, 0);
    int os = const_i32(t, arena_printf(t->arena, "%s/output_shape", name), oshape, 4);
    int y = tl_new_out(t, name, 0, 4, oshape);
    TlOp *op = tl_add_op(t, TFL_TRANSPOSE_CONV, (int[]){os, ft, x}, 3, &y, 1);
    op->opt_type = TFL_OPT_TRANSPOSE_CONV;
    opt_int(op, TFL_TCONV_PADDING, 1, strcmp(pad, "SAME") ? TFL_PADDING_VALID : TFL_PADDING_SAME);
    opt_int(op, TFL_TCONV_STRIDE_W, 4, st[2]);
    opt_int(op, TFL_TCONV_STRIDE_H, 4, st[1]);
    set_ref(t, name, y);
    return 0;
}

static int cv_pool(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0);
    if (x < 0) return -1;
    int64_t k[4] = {1, 1, 1, 1}, st[4] = {1, 1, 1, 1}, xd[4];
    attr_ints(node, "ksize", k, 4);
    attr_ints(node, "strides", st, 4);
    char pad[16];
    attr_string(node, "padding", pad, sizeof pad);
    bool same = !strcmp(pad, "SAME");
    tl_dims_of(t, x, xd);
    int64_t yd[4] = {xd[0], conv_out(xd[1], k[1], st[1], 1, same), conv_out(xd[2], k[2], st[2], 1, same), xd[3]};
    int y = tl_new_out(t, name, 0, 4, yd);
    TlOp *op = tl_add_op(t, code, &x, 1, &y, 1);
    op->opt_type = TFL_OPT_POOL2D;
    opt_int(op, TFL_POOL_PADDING, 1, same ? TFL_PADDING_SAME : TFL_PADDING_VALID);
    opt_int(op, TFL_POOL_STRIDE_W, 4, st[2]);
    opt_int(op, TFL_POOL_STRIDE_H, 4, st[1]);
    opt_int(op, TFL_POOL_FILTER_W, 4, k[2]);
    opt_int(op, TFL_POOL_FILTER_H, 4, k[1]);
    set_ref(t, name, y);
    return 0;
}

static int cv_padv2(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0), p = x >= 0 ? in_tensor(t, node, 1) : -1, c = p >= 0 ? in_tensor(t, node, 2) : -1;
    if (c < 0) return -1;
    int64_t pads[2 * GRAPH_MAX_RANK], xd[GRAPH_MAX_RANK];
    int np = in_ints(t, node, 1, pads, 2 * GRAPH_MAX_RANK);
    int r = tl_tens(t, x)->rank;
    if (np != 2 * r) return tl_fail(t, "paddings must hold 2 values per axis");
    tl_dims_of(t, x, xd);
    for (int i = 0; i < r; i++) xd[i] += pads[2 * i] + pads[2 * i + 1];
    int y = tl_new_out(t, name, tl_tens(t, x)->type, r, xd);
    tl_add_op(t, TFL_PADV2, (int[]){x, p, c}, 3, &y, 1)->opt_type = TFL_OPT_PADV2;
    set_ref(t, name, y);
    return 0;
}

static int cv_reduce(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0), a = x >= 0 ? in_tensor(t, node, 1) : -1;
    if (a < 0) return -1;
    int64_t axes[GRAPH_MAX_RANK], xd[GRAPH_MAX_RANK], yd[GRAPH_MAX_RANK];
    int na = in_ints(t, node, 1, axes, GRAPH_MAX_RANK);
    if (na < 0) return -1;
    bool keep = attr_bool(node, "keep_dims", false);
    int r = tl_tens(t, x)->rank, yr = 0;
    tl_dims_of(t, x, xd);
    for (int i = 0; i < r; i++) {
        bool red = false;
        for (int k = 0; k < na; k++) red |= (axes[k] < 0 ? axes[k] + r : axes[k]) == i;
        if (!red) yd[yr++] = xd[i];
        else if (keep) yd[yr++] = 1;
    }
    int y = tl_new_out(t, name, tl_tens(t, x)->type, yr, yd);
    TlOp *op = tl_add_op(t, code, (int[]){x, a}, 2, &y, 1);
    op->opt_type = TFL_OPT_REDUCER;
    opt_int(op, 0, 1, keep);
    set_ref(t, name, y);
    return 0;
}

static int cv_resize(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0), s = x >= 0 ? in_tensor(t, node, 1) : -1;
    if (s < 0) return -1;
    int64_t size[2], xd[4];
    if (tensor_ints(t, s, size, 2) != 2) return tl_fail(t, "the size must be 2 values known when converting");
    if (attr_bool(node, "align_corners", false) || attr_bool(node, "half_pixel_centers", false))
        return tl_fail(t, "only the plain nearest-neighbour resize is written");
    tl_dims_of(t, x, xd);
    int64_t yd[4] = {xd[0], size[0], size[1], xd[3]};
    int y = tl_new_out(t, name, tl_tens(t, x)->type, 4, yd);
    tl_add_op(t, TFL_RESIZE_NEAREST_NEIGHBOR, (int[]){x, s}, 2, &y, 1)->opt_type = TFL_OPT_RESIZE_NEAREST_NEIGHBOR;
    set_ref(t, name, y);
    return 0;
}

/* RESHAPE of x to dims; spec (NULL: dims) is the new shape as written, -1 kept where the
 * input's size decides it (a dynamic input). */
static int reshape_spec(Tl *t, const char *name, int x, int rank, const int64_t *dims, const int64_t *spec)
{
    if (!spec) spec = dims;
    int s = const_i32(t, arena_printf(t->arena, "%s/shape", name), spec, rank);
    int y = tl_new_out(t, name, tl_tens(t, x)->type, rank, dims);
    TlOp *op = tl_add_op(t, TFL_RESHAPE, (int[]){x, s}, 2, &y, 1);
    op->opt_type = TFL_OPT_RESHAPE;
    op->vec = arena_alloc(t->arena, sizeof(int32_t) * (size_t)(rank ? rank : 1));
    for (int i = 0; i < rank; i++) op->vec[i] = (int32_t)spec[i];
    op->n_vec = rank;
    set_ref(t, name, y);
    return 0;
}

static int reshape_to(Tl *t, const char *name, int x, int rank, const int64_t *dims)
{
    return reshape_spec(t, name, x, rank, dims, NULL);
}

static int64_t numel_of(Tl *t, int ti)
{
    int64_t n = 1;
    for (int i = 0; i < tl_tens(t, ti)->rank; i++) n *= tl_tens(t, ti)->shape[i];
    return n;
}

static int cv_reshape(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0);
    if (x < 0) return -1;
    int64_t d[GRAPH_MAX_RANK];
    int r = in_ints(t, node, 1, d, GRAPH_MAX_RANK);
    if (r < 0) return -1;
    int64_t known = 1, total = numel_of(t, x);
    int unknown = -1;
    for (int i = 0; i < r; i++) {
        if (d[i] == -1 && unknown < 0) unknown = i;
        else if (d[i] <= 0) return tl_fail(t, "a shape dimension of %lld", (long long)d[i]);
        else known *= d[i];
    }
    int64_t spec[GRAPH_MAX_RANK];
    memcpy(spec, d, sizeof(int64_t) * (size_t)r);
    if (unknown >= 0) d[unknown] = known ? total / known : 0;
    else if (known != total) return tl_fail(t, "the new shape holds %lld values, the input %lld", (long long)known, (long long)total);
    return reshape_spec(t, name, x, r, d, t->dynamic ? spec : NULL);
}

static int cv_expand_dims(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0);
    if (x < 0) return -1;
    int64_t ax, xd[GRAPH_MAX_RANK], yd[GRAPH_MAX_RANK];
    if (in_ints(t, node, 1, &ax, 1) != 1) return tl_fail(t, "the axis must be one constant");
    int r = tl_tens(t, x)->rank;
    if (ax < 0) ax += r + 1;
    if (ax < 0 || ax > r || r + 1 > GRAPH_MAX_RANK) return tl_fail(t, "axis %lld is out of range", (long long)ax);
    tl_dims_of(t, x, xd);
    for (int i = 0, k = 0; i <= r; i++) yd[i] = i == ax ? 1 : xd[k++];
    return reshape_to(t, name, x, r + 1, yd);
}

static int cv_transpose(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0), p = x >= 0 ? in_tensor(t, node, 1) : -1;
    if (p < 0) return -1;
    int64_t perm[GRAPH_MAX_RANK], xd[GRAPH_MAX_RANK], yd[GRAPH_MAX_RANK];
    int r = in_ints(t, node, 1, perm, GRAPH_MAX_RANK);
    if (r != tl_tens(t, x)->rank) return tl_fail(t, "the permutation does not match the input's rank");
    tl_dims_of(t, x, xd);
    for (int i = 0; i < r; i++) {
        if (perm[i] < 0 || perm[i] >= r) return tl_fail(t, "a permutation entry out of range");
        yd[i] = xd[perm[i]];
    }
    int y = tl_new_out(t, name, tl_tens(t, x)->type, r, yd);
    tl_add_op(t, TFL_TRANSPOSE, (int[]){x, p}, 2, &y, 1)->opt_type = TFL_OPT_TRANSPOSE;
    set_ref(t, name, y);
    return 0;
}

static int cv_softmax(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0);
    if (x < 0) return -1;
    int64_t d[GRAPH_MAX_RANK];
    tl_dims_of(t, x, d);
    int y = tl_new_out(t, name, 0, tl_tens(t, x)->rank, d);
    TlOp *op = tl_add_op(t, TFL_SOFTMAX, &x, 1, &y, 1);
    op->opt_type = TFL_OPT_SOFTMAX;
    opt_float(op, 0, 1.0);
    set_ref(t, name, y);
    return 0;
}

static int cv_concat(Tl *t, json_object *node, const char *name, int32_t code)
{
    int n = n_inputs(node) - 1;
    if (n < 1) return tl_fail(t, "a concatenation of nothing");
    int64_t ax;
    if (in_ints(t, node, n, &ax, 1) != 1) return tl_fail(t, "the axis must be one constant");
    int *ins = xmalloc(sizeof(int) * (size_t)n);
    int64_t yd[GRAPH_MAX_RANK];
    int r = 0;
    for (int i = 0; i < n; i++) {
        ins[i] = in_tensor(t, node, i);
        if (ins[i] < 0) {
            free(ins);
            return -1;
        }
        if (i == 0) {
            r = tl_tens(t, ins[0])->rank;
            if (ax < 0) ax += r;
            if (ax < 0 || ax >= r) {
                free(ins);
                return tl_fail(t, "axis out of range");
            }
            tl_dims_of(t, ins[0], yd);
        } else {
            if (tl_tens(t, ins[i])->rank != r) {
                free(ins);
                return tl_fail(t, "inputs of different ranks");
            }
            yd[ax] += tl_tens(t, ins[i])->shape[ax];
        }
    }
    int y = tl_new_out(t, name, tl_tens(t, ins[0])->type, r, yd);
    TlOp *op = tl_add_op(t, TFL_CONCATENATION, ins, n, &y, 1);
    op->opt_type = TFL_OPT_CONCATENATION;
    opt_int(op, 0, 4, ax);
    free(ins);
    set_ref(t, name, y);
    return 0;
}

static int cv_split_v(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0), s = x >= 0 ? in_tensor(t, node, 1) : -1, a = s >= 0 ? in_tensor(t, node, 2) : -1;
    if (a < 0) return -1;
    int64_t sizes[1024], ax;
    int n = in_ints(t, node, 1, sizes, 1024);
    if (n < 1 || in_ints(t, node, 2, &ax, 1) != 1) return tl_fail(t, "sizes and axis must be constants");
    int r = tl_tens(t, x)->rank;
    if (ax < 0) ax += r;
    if (ax < 0 || ax >= r) return tl_fail(t, "axis out of range");
    int *outs = xmalloc(sizeof(int) * (size_t)n);
    int64_t d[GRAPH_MAX_RANK];
    for (int k = 0; k < n; k++) {
        tl_dims_of(t, x, d);
        d[ax] = sizes[k];
        const char *ref = k ? arena_printf(t->arena, "%s:%d", name, k) : name;
        outs[k] = tl_new_out(t, ref, tl_tens(t, x)->type, r, d);
        set_ref(t, ref, outs[k]);
    }
    TlOp *op = tl_add_op(t, TFL_SPLIT_V, (int[]){x, s, a}, 3, outs, n);
    op->opt_type = TFL_OPT_SPLIT_V;
    opt_int(op, 0, 4, n);
    free(outs);
    return 0;
}

static int cv_strided_slice(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0);
    int b = x >= 0 ? in_tensor(t, node, 1) : -1, e = b >= 0 ? in_tensor(t, node, 2) : -1;
    int s = e >= 0 ? in_tensor(t, node, 3) : -1;
    if (s < 0) return -1;
    int64_t bv[GRAPH_MAX_RANK], ev[GRAPH_MAX_RANK], sv[GRAPH_MAX_RANK], xd[GRAPH_MAX_RANK], yd[GRAPH_MAX_RANK];
    int r = tl_tens(t, x)->rank;
    if (in_ints(t, node, 1, bv, GRAPH_MAX_RANK) != r || in_ints(t, node, 2, ev, GRAPH_MAX_RANK) != r ||
        in_ints(t, node, 3, sv, GRAPH_MAX_RANK) != r)
        return tl_fail(t, "begin, end and strides must hold one constant per axis");
    int64_t bm = attr_int(node, "begin_mask", 0), em = attr_int(node, "end_mask", 0);
    if (attr_int(node, "ellipsis_mask", 0) || attr_int(node, "new_axis_mask", 0) || attr_int(node, "shrink_axis_mask", 0))
        return tl_fail(t, "ellipsis, new-axis and shrink masks are not written");
    tl_dims_of(t, x, xd);
    for (int i = 0; i < r; i++) {
        int64_t n = xd[i], st = sv[i];
        if (!st) return tl_fail(t, "a stride of 0");
        int64_t lo = st > 0 ? 0 : -1, hi = st > 0 ? n : n - 1;
        int64_t bb = bv[i] < 0 ? bv[i] + n : bv[i], ee = ev[i] < 0 ? ev[i] + n : ev[i];
        bb = (bm >> i) & 1 ? (st > 0 ? 0 : n - 1) : bb < lo ? lo : bb > hi ? hi : bb;
        ee = (em >> i) & 1 ? (st > 0 ? n : -1) : ee < lo ? lo : ee > hi ? hi : ee;
        int64_t len = st > 0 ? (ee - bb + st - 1) / st : (bb - ee - st - 1) / -st;
        yd[i] = len > 0 ? len : 0;
    }
    int y = tl_new_out(t, name, tl_tens(t, x)->type, r, yd);
    int64_t xv[GRAPH_MAX_RANK], yv[GRAPH_MAX_RANK];
    if (r == 1 && tensor_ints(t, x, xv, GRAPH_MAX_RANK) == xd[0]) { /* shape arithmetic */
        int64_t bb = (bm & 1) ? (sv[0] > 0 ? 0 : xd[0] - 1) : bv[0] < 0 ? bv[0] + xd[0] : bv[0];
        for (int64_t i = 0; i < yd[0]; i++) yv[i] = xv[bb + i * sv[0]];
        set_ints(t, y, yv, (int)yd[0]);
    }
    TlOp *op = tl_add_op(t, TFL_STRIDED_SLICE, (int[]){x, b, e, s}, 4, &y, 1);
    op->opt_type = TFL_OPT_STRIDED_SLICE;
    opt_int(op, 0, 4, bm);
    opt_int(op, 1, 4, em);
    set_ref(t, name, y);
    return 0;
}

static int tf_type(json_object *node, const char *key)
{
    json_object *a = attr(node, key), *ty;
    if (!a || !json_object_object_get_ex(a, "type", &ty)) return -1;
    const char *s = json_object_get_string(ty);
    return !strcmp(s, "DT_FLOAT") ? 0 : !strcmp(s, "DT_INT32") ? 2 : !strcmp(s, "DT_BOOL") ? 6 : -1;
}

static int cv_cast(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0);
    if (x < 0) return -1;
    int to = tf_type(node, "DstT");
    if (to < 0) return tl_fail(t, "a cast to a type TF Lite is not given here");
    int64_t d[GRAPH_MAX_RANK];
    tl_dims_of(t, x, d);
    int y = tl_new_out(t, name, to, tl_tens(t, x)->rank, d);
    TlOp *op = tl_add_op(t, TFL_CAST, &x, 1, &y, 1);
    op->opt_type = TFL_OPT_CAST;
    opt_int(op, 0, 1, tl_tens(t, x)->type);
    opt_int(op, 1, 1, to);
    set_ref(t, name, y);
    return 0;
}

static int cv_matmul(Tl *t, json_object *node, const char *name, int32_t code)
{
    int a = in_tensor(t, node, 0), b = a >= 0 ? in_tensor(t, node, 1) : -1;
    if (b < 0) return -1;
    bool plain = !strcmp(json_object_get_string(json_object_object_get(node, "op")), "MatMul");
    bool ta = attr_bool(node, plain ? "transpose_a" : "adj_x", false), tb = attr_bool(node, plain ? "transpose_b" : "adj_y", false);
    TlTensor *x = tl_tens(t, a), *w = tl_tens(t, b);
    if (x->rank < 2 || w->rank < 2) return tl_fail(t, "matrix products need rank 2 or more");
    int64_t m = ta ? x->shape[x->rank - 1] : x->shape[x->rank - 2];
    int64_t n = tb ? w->shape[w->rank - 2] : w->shape[w->rank - 1];
    int r = x->rank > w->rank ? x->rank : w->rank;
    int64_t yd[GRAPH_MAX_RANK];
    for (int i = 0; i < r - 2; i++) {
        int ia = i - (r - x->rank), ib = i - (r - w->rank);
        int64_t da = ia >= 0 ? x->shape[ia] : 1, db = ib >= 0 ? w->shape[ib] : 1;
        yd[i] = da == 1 ? db : da;
    }
    yd[r - 2] = m, yd[r - 1] = n;
    int y = tl_new_out(t, name, 0, r, yd);
    TlOp *op = tl_add_op(t, TFL_BATCH_MATMUL, (int[]){a, b}, 2, &y, 1);
    op->opt_type = TFL_OPT_BATCH_MATMUL;
    opt_int(op, 0, 1, ta);
    opt_int(op, 1, 1, tb);
    set_ref(t, name, y);
    return 0;
}

static int cv_argmax(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0), a = x >= 0 ? in_tensor(t, node, 1) : -1;
    if (a < 0) return -1;
    int64_t ax, xd[GRAPH_MAX_RANK], yd[GRAPH_MAX_RANK];
    if (in_ints(t, node, 1, &ax, 1) != 1) return tl_fail(t, "the axis must be one constant");
    int r = tl_tens(t, x)->rank, k = 0;
    if (ax < 0) ax += r;
    tl_dims_of(t, x, xd);
    for (int i = 0; i < r; i++)
        if (i != ax) yd[k++] = xd[i];
    int y = tl_new_out(t, name, 2, k, yd);
    TlOp *op = tl_add_op(t, TFL_ARG_MAX, (int[]){x, a}, 2, &y, 1);
    op->opt_type = TFL_OPT_ARG_MAX;
    opt_int(op, 0, 1, 2);
    set_ref(t, name, y);
    return 0;
}

static int cv_identity(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0);
    if (x < 0) return -1;
    set_ref(t, name, x);
    return 0;
}

static int cv_placeholder(Tl *t, json_object *node, const char *name, int32_t code)
{
    json_object *a = attr(node, "shape"), *sh, *dim;
    int64_t d[GRAPH_MAX_RANK];
    int r = 0;
    if (a && json_object_object_get_ex(a, "shape", &sh) && json_object_object_get_ex(sh, "dim", &dim)) {
        r = (int)json_object_array_length(dim);
        if (r > GRAPH_MAX_RANK) return tl_fail(t, "rank %d", r);
        for (int i = 0; i < r; i++) {
            json_object *s;
            d[i] = json_object_object_get_ex(json_object_array_get_idx(dim, (size_t)i), "size", &s) ? json_object_get_int64(s) : -1;
            if (d[i] < 0 && r == 4 && (i == 1 || i == 2)) { /* NHWC height or width: converted at in_hw */
                t->dynamic = true;
                d[i] = t->in_hw[i - 1];
            }
            if (d[i] <= 0) return tl_fail(t, "TF Lite is written for static input shapes, but for the height and width");
        }
    }
    int ty = tf_type(node, "dtype");
    if (ty < 0) return tl_fail(t, "an input type TF Lite is not given here");
    int x = tl_add_tensor(t, arena_printf(t->arena, "serving_default_%s:0", name), ty, r, d, 0);
    if (t->input_tensor >= 0) return tl_fail(t, "more than one input");
    t->input_tensor = x;
    set_ref(t, name, x);
    return 0;
}

static int make_const(Tl *t, const char *name)
{
    const TfWeight *w = tfgraph_weight(t->tg, (size_t)strmap_get(&t->weights, name));
    int64_t n = 1;
    for (int i = 0; i < w->rank; i++) n *= w->dims[i];
    int x;
    if (w->dtype == DT_F32) x = weight_tensor(t, name, w->data, w->rank, w->dims, n, w->quantize);
    else x = tl_add_tensor(t, name, w->dtype == DT_I32 ? 2 : 6, w->rank, w->dims, tl_add_buffer(t, w->data, w->nbytes));
    set_ref(t, name, x);
    return x;
}

/* A Const: made into a tensor when first used (ref_tensor). */
static int cv_const(Tl *t, json_object *node, const char *name, int32_t code)
{
    return strmap_get(&t->weights, name) >= 0 ? 0 : tl_fail(t, "a constant without data");
}

/* Shape: the input's dims as int32 (known while converting: the shape arithmetic after it). */
static int cv_shape(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0);
    if (x < 0) return -1;
    if (tf_type(node, "out_type") != 2) return tl_fail(t, "only an int32 shape is written");
    int64_t xd[GRAPH_MAX_RANK], r = tl_tens(t, x)->rank;
    tl_dims_of(t, x, xd);
    int y = tl_new_out(t, name, 2, 1, &r);
    set_ints(t, y, xd, (int)r);
    TlOp *op = tl_add_op(t, TFL_SHAPE, &x, 1, &y, 1);
    op->opt_type = TFL_OPT_SHAPE;
    opt_int(op, 0, 1, 2);
    set_ref(t, name, y);
    return 0;
}

static int cv_cumsum(Tl *t, json_object *node, const char *name, int32_t code)
{
    int x = in_tensor(t, node, 0), a = x >= 0 ? in_tensor(t, node, 1) : -1;
    if (a < 0) return -1;
    int64_t ax, d[GRAPH_MAX_RANK];
    if (in_ints(t, node, 1, &ax, 1) != 1) return tl_fail(t, "the axis must be one constant");
    int r = tl_tens(t, x)->rank;
    if (ax < -r || ax >= r) return tl_fail(t, "axis %lld is out of range", (long long)ax);
    tl_dims_of(t, x, d);
    int y = tl_new_out(t, name, tl_tens(t, x)->type, r, d);
    TlOp *op = tl_add_op(t, TFL_CUMSUM, (int[]){x, a}, 2, &y, 1);
    op->opt_type = TFL_OPT_CUMSUM;
    opt_int(op, 0, 1, attr_bool(node, "exclusive", false));
    opt_int(op, 1, 1, attr_bool(node, "reverse", false));
    set_ref(t, name, y);
    return 0;
}

typedef struct {
    const char *tf_op;
    ConvertFn fn;
    int32_t code;
} TfMap;

static const TfMap tf_map[] = {
    {"Placeholder", cv_placeholder, 0},
    {"Const", cv_const, 0},
    {"Identity", cv_identity, 0},
    {"AddV2", cv_binary, TFL_ADD},
    {"BiasAdd", cv_binary, TFL_ADD},
    {"Sub", cv_binary, TFL_SUB},
    {"Mul", cv_binary, TFL_MUL},
    {"RealDiv", cv_binary, TFL_DIV},
    {"Maximum", cv_binary, TFL_MAXIMUM},
    {"Minimum", cv_binary, TFL_MINIMUM},
    {"Pow", cv_binary, TFL_POW},
    {"Sigmoid", cv_unary, TFL_LOGISTIC},
    {"Relu", cv_unary, TFL_RELU},
    {"Tanh", cv_unary, TFL_TANH},
    {"Exp", cv_unary, TFL_EXP},
    {"Log", cv_unary, TFL_LOG},
    {"Sqrt", cv_unary, TFL_SQRT},
    {"Neg", cv_unary, TFL_NEG},
    {"Abs", cv_unary, TFL_ABS},
    {"Floor", cv_unary, TFL_FLOOR},
    {"Sin", cv_unary, TFL_SIN},
    {"Cos", cv_unary, TFL_COS},
    {"LeakyRelu", cv_unary, TFL_LEAKY_RELU},
    {"Reciprocal", cv_reciprocal, 0},
    {"Conv2D", cv_conv, TFL_CONV_2D},
    {"_FusedConv2D", cv_conv, TFL_CONV_2D},
    {"DepthwiseConv2dNative", cv_conv, TFL_DEPTHWISE_CONV_2D},
    {"FusedDepthwiseConv2dNative", cv_conv, TFL_DEPTHWISE_CONV_2D},
    {"Conv2DBackpropInput", cv_transpose_conv, TFL_TRANSPOSE_CONV},
    {"MaxPool", cv_pool, TFL_MAX_POOL_2D},
    {"AvgPool", cv_pool, TFL_AVERAGE_POOL_2D},
    {"PadV2", cv_padv2, TFL_PADV2},
    {"Mean", cv_reduce, TFL_MEAN},
    {"Max", cv_reduce, TFL_REDUCE_MAX},
    {"ResizeNearestNeighbor", cv_resize, TFL_RESIZE_NEAREST_NEIGHBOR},
    {"Reshape", cv_reshape, TFL_RESHAPE},
    {"ExpandDims", cv_expand_dims, TFL_RESHAPE},
    {"Transpose", cv_transpose, TFL_TRANSPOSE},
    {"Softmax", cv_softmax, TFL_SOFTMAX},
    {"ConcatV2", cv_concat, TFL_CONCATENATION},
    {"SplitV", cv_split_v, TFL_SPLIT_V},
    {"StridedSlice", cv_strided_slice, TFL_STRIDED_SLICE},
    {"Cast", cv_cast, TFL_CAST},
    {"MatMul", cv_matmul, TFL_BATCH_MATMUL},
    {"BatchMatMulV2", cv_matmul, TFL_BATCH_MATMUL},
    {"ArgMax", cv_argmax, TFL_ARG_MAX},
    {"Shape", cv_shape, TFL_SHAPE},
    {"Cumsum", cv_cumsum, TFL_CUMSUM},
};

/* IR ops whose TensorFlow lowering has no TF Lite builtin here. */
OpWriteSupport tflite_write_op_support(OpKind op)
{
    switch (op) {
    case OP_ERF:
    case OP_SOFTPLUS:
        return OP_WRITE_NO;
    default:
        return tfjs_write_op_support(op);
    }
}

/* ---- serialising ----------------------------------------------------------------------- */
static FbRef ivec(FbBuilder *b, const int *v, int n)
{
    int32_t *d = xmalloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) d[i] = v[i];
    FbRef r = fb_create_vector(b, d, (size_t)n, 4, 4);
    free(d);
    return r;
}

static FbRef tensor_map(FbBuilder *b, const char *name, int index)
{
    FbRef s = fb_create_string(b, name, strlen(name));
    fb_table_start(b);
    fb_add_ref(b, TFL_TENSORMAP_NAME, s);
    fb_add_u32(b, TFL_TENSORMAP_TENSOR_INDEX, (uint32_t)index, 0);
    return fb_table_end(b);
}

static int serialise(Tl *t, const int *outs, int n_outs, const char *input_name, uint8_t **out, size_t *len)
{
    FbBuilder b;
    fb_builder_init(&b);
    /* buffers: the large data first (it ends up at the end of the file) */
    TlBuffer *bufs = t->buffers.items;
    FbRef *buf_refs = xmalloc(sizeof(FbRef) * t->buffers.len);
    for (size_t i = 0; i < t->buffers.len; i++) {
        FbRef data = bufs[i].nbytes ? fb_create_vector(&b, bufs[i].data, bufs[i].nbytes, 1, 16) : 0;
        fb_table_start(&b);
        fb_add_ref(&b, TFL_BUFFER_DATA, data);
        buf_refs[i] = fb_table_end(&b);
    }
    FbRef buffers = fb_create_ref_vector(&b, buf_refs, t->buffers.len);
    free(buf_refs);

    TlTensor *ts = t->tensors.items;
    FbRef *tref = xmalloc(sizeof(FbRef) * (t->tensors.len ? t->tensors.len : 1));
    for (size_t i = 0; i < t->tensors.len; i++) {
        int shape[GRAPH_MAX_RANK];
        for (int k = 0; k < ts[i].rank; k++) shape[k] = ts[i].shape[k];
        FbRef sh = ivec(&b, shape, ts[i].rank);
        FbRef nm = fb_create_string(&b, ts[i].name, strlen(ts[i].name));
        FbRef qp = 0;
        if (ts[i].n_q > 0) {
            FbRef sc = fb_create_vector(&b, ts[i].qscale, (size_t)ts[i].n_q, 4, 4);
            FbRef zp = fb_create_vector(&b, ts[i].qzero, (size_t)ts[i].n_q, 8, 8);
            fb_table_start(&b);
            fb_add_ref(&b, TFL_QUANT_SCALE, sc);
            fb_add_ref(&b, TFL_QUANT_ZERO_POINT, zp);
            fb_add_i32(&b, TFL_QUANT_QUANTIZED_DIMENSION, ts[i].qdim, 0);
            qp = fb_table_end(&b);
        }
        FbRef sig = 0;
        if (t->dynamic) {
            int sv[GRAPH_MAX_RANK];
            for (int k = 0; k < ts[i].rank; k++) sv[k] = ts[i].sig[k];
            sig = ivec(&b, sv, ts[i].rank);
        }
        fb_table_start(&b);
        if (qp) fb_add_ref(&b, TFL_TENSOR_QUANTIZATION, qp);
        if (sig) fb_add_ref(&b, TFL_TENSOR_SHAPE_SIGNATURE, sig);
        fb_add_ref(&b, TFL_TENSOR_SHAPE, sh);
        fb_add_i8(&b, TFL_TENSOR_TYPE, (int8_t)ts[i].type, 0);
        fb_add_u32(&b, TFL_TENSOR_BUFFER, (uint32_t)ts[i].buffer, 0);
        fb_add_ref(&b, TFL_TENSOR_NAME, nm);
        tref[i] = fb_table_end(&b);
    }
    FbRef tensors = fb_create_ref_vector(&b, tref, t->tensors.len);
    free(tref);

    TlOp *ops = t->ops.items;
    FbRef *oref = xmalloc(sizeof(FbRef) * (t->ops.len ? t->ops.len : 1));
    for (size_t i = 0; i < t->ops.len; i++) {
        TlOp *op = &ops[i];
        FbRef in = ivec(&b, op->in, op->n_in), ou = ivec(&b, op->out, op->n_out);
        FbRef opts = 0;
        if (op->opt_type) {
            FbRef vec = op->n_vec ? fb_create_vector(&b, op->vec, (size_t)op->n_vec, 4, 4) : 0;
            fb_table_start(&b);
            if (vec) fb_add_ref(&b, 0, vec);
            for (int k = 0; k < op->n_f; k++) {
                const TlField *f = &op->f[k];
                if (f->size == -4) fb_add_f32(&b, f->id, (float)f->v, 0.0f);
                else if (f->size == 1) fb_add_i8(&b, f->id, (int8_t)f->v, 0);
                else fb_add_i32(&b, f->id, (int32_t)f->v, f->id >= 4 && op->opt_type <= TFL_OPT_DEPTHWISE_CONV2D ? 1 : 0);
            }
            opts = fb_table_end(&b);
        }
        fb_table_start(&b);
        fb_add_u32(&b, TFL_OP_OPCODE_INDEX, (uint32_t)op->opcode, 0);
        fb_add_ref(&b, TFL_OP_INPUTS, in);
        fb_add_ref(&b, TFL_OP_OUTPUTS, ou);
        if (opts) {
            fb_add_u8(&b, TFL_OP_BUILTIN_OPTIONS_TYPE, (uint8_t)op->opt_type, 0);
            fb_add_ref(&b, TFL_OP_BUILTIN_OPTIONS, opts);
        }
        oref[i] = fb_table_end(&b);
    }
    FbRef operators = fb_create_ref_vector(&b, oref, t->ops.len);
    free(oref);

    FbRef sg_in = ivec(&b, &t->input_tensor, 1), sg_out = ivec(&b, outs, n_outs);
    FbRef sg_name = fb_create_string(&b, "main", 4);
    fb_table_start(&b);
    fb_add_ref(&b, TFL_SUBGRAPH_TENSORS, tensors);
    fb_add_ref(&b, TFL_SUBGRAPH_INPUTS, sg_in);
    fb_add_ref(&b, TFL_SUBGRAPH_OUTPUTS, sg_out);
    fb_add_ref(&b, TFL_SUBGRAPH_OPERATORS, operators);
    fb_add_ref(&b, TFL_SUBGRAPH_NAME, sg_name);
    FbRef sg = fb_table_end(&b);
    FbRef subgraphs = fb_create_ref_vector(&b, &sg, 1);

    TlOpcode *ocs = t->opcodes.items;
    FbRef *cref = xmalloc(sizeof(FbRef) * (t->opcodes.len ? t->opcodes.len : 1));
    for (size_t i = 0; i < t->opcodes.len; i++) {
        fb_table_start(&b);
        int8_t dep = ocs[i].code < TFLITE_PLACEHOLDER_FOR_GREATER_OP_CODES ? (int8_t)ocs[i].code
                                                                          : TFLITE_PLACEHOLDER_FOR_GREATER_OP_CODES;
        fb_add_i8(&b, TFL_OPCODE_DEPRECATED_BUILTIN_CODE, dep, 0);
        fb_add_i32(&b, TFL_OPCODE_VERSION, ocs[i].version, 0);
        fb_add_i32(&b, TFL_OPCODE_BUILTIN_CODE, ocs[i].code, 0);
        cref[i] = fb_table_end(&b);
    }
    FbRef opcodes = fb_create_ref_vector(&b, cref, t->opcodes.len);
    free(cref);

    /* the serving signature: input "images", outputs output_0, output_1, ... */
    FbRef sin = tensor_map(&b, input_name, t->input_tensor);
    FbRef *souts = xmalloc(sizeof(FbRef) * (size_t)n_outs);
    for (int i = 0; i < n_outs; i++) {
        char key[32];
        snprintf(key, sizeof key, "output_%d", i);
        souts[i] = tensor_map(&b, key, outs[i]);
    }
    FbRef sig_in = fb_create_ref_vector(&b, &sin, 1), sig_out = fb_create_ref_vector(&b, souts, (size_t)n_outs);
    free(souts);
    FbRef key = fb_create_string(&b, "serving_default", 15);
    fb_table_start(&b);
    fb_add_ref(&b, TFL_SIGDEF_INPUTS, sig_in);
    fb_add_ref(&b, TFL_SIGDEF_OUTPUTS, sig_out);
    fb_add_ref(&b, TFL_SIGDEF_SIGNATURE_KEY, key);
    fb_add_u32(&b, TFL_SIGDEF_SUBGRAPH_INDEX, 0, 0);
    FbRef sigdef = fb_table_end(&b);
    FbRef sigdefs = fb_create_ref_vector(&b, &sigdef, 1);

    const char *desc = "yoloport " YOLOPORT_VERSION;
    FbRef description = fb_create_string(&b, desc, strlen(desc));
    fb_table_start(&b);
    fb_add_u32(&b, TFL_MODEL_VERSION, TFLITE_SCHEMA_VERSION, 0);
    fb_add_ref(&b, TFL_MODEL_OPERATOR_CODES, opcodes);
    fb_add_ref(&b, TFL_MODEL_SUBGRAPHS, subgraphs);
    fb_add_ref(&b, TFL_MODEL_DESCRIPTION, description);
    fb_add_ref(&b, TFL_MODEL_BUFFERS, buffers);
    fb_add_ref(&b, TFL_MODEL_SIGNATURE_DEFS, sigdefs);
    FbRef model = fb_table_end(&b);
    int rc = fb_finish(&b, model, TFLITE_FILE_ID, t->err, t->errlen);
    if (!rc) *out = fb_builder_take(&b, len);
    fb_builder_free(&b);
    return rc;
}

/* ---- the metadata archive -------------------------------------------------------------- */
static void put16(StrBuf *s, unsigned v)
{
    unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    strbuf_add(s, b, 2);
}

static void put32(StrBuf *s, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    strbuf_add(s, b, 4);
}

/* Append a zip archive holding one deflated entry `name` = data after the `base` bytes already
 * in s (offsets are from the file's start, as Python's zipfile writes them in "a" mode). */
static int append_zip_entry(StrBuf *s, const char *name, const void *data, size_t n, char *err, size_t errlen)
{
    uLongf cap = compressBound((uLong)n) + 64;
    unsigned char *z = xmalloc(cap);
    z_stream zs = {0};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        return err_set(err, errlen, "metadata.json: deflate failed");
    }
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)n;
    zs.next_out = z;
    zs.avail_out = (uInt)cap;
    int zr = deflate(&zs, Z_FINISH);
    size_t zn = zs.total_out;
    deflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        free(z);
        return err_set(err, errlen, "metadata.json: deflate failed");
    }
    uint32_t crc = (uint32_t)crc32(0L, data, (uInt)n);
    size_t nl = strlen(name);
    uint32_t local_at = (uint32_t)s->len;
    /* local file header: version 20, no flags, deflate, time 0:00, date 1980-01-01 */
    put32(s, 0x04034b50), put16(s, 20), put16(s, 0), put16(s, 8), put16(s, 0), put16(s, 0x21);
    put32(s, crc), put32(s, (uint32_t)zn), put32(s, (uint32_t)n), put16(s, (unsigned)nl), put16(s, 0);
    strbuf_add(s, name, nl);
    strbuf_add(s, z, zn);
    free(z);
    uint32_t cd_at = (uint32_t)s->len;
    put32(s, 0x02014b50), put16(s, 20), put16(s, 20), put16(s, 0), put16(s, 8), put16(s, 0), put16(s, 0x21);
    put32(s, crc), put32(s, (uint32_t)zn), put32(s, (uint32_t)n), put16(s, (unsigned)nl), put16(s, 0), put16(s, 0);
    put16(s, 0), put16(s, 0), put32(s, 0644u << 16), put32(s, local_at);
    strbuf_add(s, name, nl);
    uint32_t cd_len = (uint32_t)s->len - cd_at;
    put32(s, 0x06054b50), put16(s, 0), put16(s, 0), put16(s, 1), put16(s, 1), put32(s, cd_len), put32(s, cd_at), put16(s, 0);
    return 0;
}

/* ---- entry ----------------------------------------------------------------------------- */
/* Tl t (its tg, opt, err set) built from the TensorFlow graph with the input's unknown height
 * and width at hw: tensors, operators and *outs (heap, *n_outs).  0, or -1 + message. */
static int convert(Tl *t, const int64_t *hw, int **outs, int *n_outs)
{
    t->arena = arena_new();
    t->input_tensor = -1;
    t->in_hw[0] = hw[0], t->in_hw[1] = hw[1];
    t->refs.arena = t->arena;
    t->weights.arena = t->arena;
    tl_add_buffer(t, NULL, 0); /* buffer 0: the empty sentinel every tensor without data names */
    for (size_t i = 0; i < tfgraph_n_weights(t->tg); i++) strmap_put(&t->weights, tfgraph_weight(t->tg, i)->name, (int)i);
    json_object *nodes = tfgraph_nodes(t->tg);
    int rc = 0;
    for (size_t i = 0; i < json_object_array_length(nodes) && !rc; i++) {
        json_object *n = json_object_array_get_idx(nodes, i);
        const char *name = json_object_get_string(json_object_object_get(n, "name"));
        const char *op = json_object_get_string(json_object_object_get(n, "op"));
        t->node = name;
        const TfMap *m = NULL;
        for (size_t k = 0; k < ARRAY_LEN(tf_map) && !m; k++)
            if (!strcmp(tf_map[k].tf_op, op)) m = &tf_map[k];
        rc = m ? m->fn(t, n, name, m->code) : tl_fail(t, "TF Lite has no builtin for TensorFlow's %s here", op);
    }
    t->node = NULL;
    /* outputs: the signature's Identity nodes, in order, named as the converter names them */
    json_object *souts = json_object_object_get(tfgraph_signature(t->tg), "outputs");
    *n_outs = souts ? (int)json_object_object_length(souts) : 0;
    *outs = xcalloc((size_t)(*n_outs ? *n_outs : 1), sizeof(int));
    for (int i = 0; i < *n_outs && !rc; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, i ? "Identity_%d" : "Identity", i);
        (*outs)[i] = ref_tensor(t, ref);
        if ((*outs)[i] < 0 || (*outs)[i] == t->input_tensor || tl_tens(t, (*outs)[i])->buffer)
            rc = tl_fail(t, "output %d is not computed by the graph", i);
        else
            tl_tens(t, (*outs)[i])->name = arena_printf(t->arena, "StatefulPartitionedCall:%d", i);
    }
    if (!rc && t->input_tensor < 0) rc = tl_fail(t, "the graph has no input");
    return rc;
}

static void tl_free(Tl *t)
{
    void **owned = t->owned.items;
    for (size_t i = 0; i < t->owned.len; i++) free(owned[i]);
    vec_free(&t->owned);
    vec_free(&t->tensors);
    vec_free(&t->ops);
    vec_free(&t->buffers);
    vec_free(&t->opcodes);
    strmap_free(&t->refs);
    strmap_free(&t->weights);
    arena_free(t->arena);
}

/* A dynamic input: t (converted at its in_hw) against u (the same graph at another size).
 * The tensors' shape_signature: -1 where their shapes differ; everything else must match --
 * a constant or an operator's new_shape that differs was computed from the size, which the
 * file cannot hold.  0, or -1 + message. */
static int mark_signature(Tl *t, const Tl *u)
{
    if (t->tensors.len != u->tensors.len || t->ops.len != u->ops.len || t->buffers.len != u->buffers.len)
        return tl_fail(t, "the graph's structure depends on the input size");
    TlTensor *a = t->tensors.items;
    const TlTensor *b = u->tensors.items;
    for (size_t i = 0; i < t->tensors.len; i++) {
        if (a[i].rank != b[i].rank || a[i].buffer != b[i].buffer)
            return tl_fail(t, "tensor %s depends on the input size in its rank", a[i].name);
        for (int k = 0; k < a[i].rank; k++) a[i].sig[k] = a[i].shape[k] == b[i].shape[k] ? a[i].shape[k] : -1;
    }
    const TlBuffer *ba = t->buffers.items, *bb = u->buffers.items;
    for (size_t i = 1; i < t->buffers.len; i++)
        if (ba[i].nbytes != bb[i].nbytes || (ba[i].nbytes && memcmp(ba[i].data, bb[i].data, ba[i].nbytes))) {
            const char *who = "?";
            for (size_t k = 0; k < t->tensors.len; k++)
                if (a[k].buffer == (int)i) who = a[k].name;
            return tl_fail(t, "constant %s holds values computed from the input size: a dynamic input cannot be "
                              "written in TF Lite with it", who);
        }
    const TlOp *oa = t->ops.items, *ob = u->ops.items;
    for (size_t i = 0; i < t->ops.len; i++)
        if (oa[i].n_vec != ob[i].n_vec || (oa[i].n_vec && memcmp(oa[i].vec, ob[i].vec, sizeof(int32_t) * (size_t)oa[i].n_vec)))
            return tl_fail(t, "operator %zu's new_shape depends on the input size", i);
    return 0;
}

uint8_t *tflite_write_buffer(const Graph *g, const TfliteOptions *opt, size_t *len, char *err, size_t errlen)
{
    static const TfliteOptions defaults = {0};
    if (!opt) opt = &defaults;
    if (!g) {
        err_set(err, errlen, "tflite: no graph given");
        return NULL;
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (tflite_write_op_support(g->nodes[i].op) != OP_WRITE_YES) {
            err_set(err, errlen, "%s (%s): TF Lite has no equivalent for this op%s", g->nodes[i].name,
                    node_op_name(&g->nodes[i]),
                    g->nodes[i].op == OP_SHAPE ? " here (the graph reads a size, as a dynamic=True model whose blocks "
                                                 "need their input's size does: export it with dynamic=False)" : "");
            return NULL;
        }
    const char *input_name = opt->input_name ? opt->input_name : TFLITE_DEFAULT_INPUT;
    TfjsOptions topt = {.input_name = input_name};
    TfGraph *tg = tfgraph_lower(g, &topt, err, errlen);
    if (!tg) return NULL;
    int64_t hw[2] = {opt->dynamic_hw[0] > 0 ? opt->dynamic_hw[0] : 640, opt->dynamic_hw[1] > 0 ? opt->dynamic_hw[1] : 640};
    Tl t = {.tg = tg, .opt = opt, .err = err, .errlen = errlen};
    int *outs = NULL, n_outs = 0;
    int rc = convert(&t, hw, &outs, &n_outs);
    if (!rc && t.dynamic) { /* again at another size (multiples of 64 apart): what differs follows the input */
        if (opt->int8 == TFLITE_INT8_INTEGER || opt->int8 == TFLITE_INT8_FULL)
            rc = err_set(err, errlen, "int8 activations are written for a static input shape only (dynamic=False)");
        Tl u = {.tg = tg, .opt = opt, .err = err, .errlen = errlen};
        int *uouts = NULL, n_u = 0;
        int64_t hw2[2] = {hw[0] + 64, hw[1] + 128};
        if (!rc) rc = convert(&u, hw2, &uouts, &n_u);
        if (!rc) rc = mark_signature(&t, &u);
        free(uouts);
        tl_free(&u);
    }
    uint8_t *out = NULL;
    size_t flen = 0;
    if (!rc && (opt->int8 == TFLITE_INT8_INTEGER || opt->int8 == TFLITE_INT8_FULL)) rc = tflite_lower_int8(&t, outs, n_outs);
    if (!rc) rc = serialise(&t, outs, n_outs, input_name, &out, &flen);
    free(outs);
    if (!rc && opt->n_metadata_kv > 0) {
        json_object *meta = tfjs_metadata_from_kv(opt->metadata_kv, opt->n_metadata_kv, err, errlen);
        if (!meta) {
            rc = -1;
        } else {
            const char *text = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                        JSON_C_TO_STRING_NOSLASHESCAPE);
            StrBuf sb = {0};
            strbuf_add(&sb, out, flen);
            free(out);
            rc = append_zip_entry(&sb, "metadata.json", text, strlen(text), err, errlen);
            out = (uint8_t *)sb.p;
            flen = sb.len;
            json_object_put(meta);
        }
    }
    tl_free(&t);
    tfgraph_free(tg);
    if (rc) {
        free(out);
        return NULL;
    }
    *len = flen;
    return out;
}

int tflite_write(const Graph *g, const TfliteOptions *opt, const char *path, char *err, size_t errlen)
{
    size_t len;
    uint8_t *buf = tflite_write_buffer(g, opt, &len, err, errlen);
    if (!buf) return -1;
    int rc = fileio_write_atomic(path, buf, len, err, errlen);
    free(buf);
    return rc;
}
