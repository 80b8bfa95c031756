/* mnn_read: an MNN model into the Graph IR.  The flatbuffer is verified (mnn_verify), then
 * each op in file order becomes IR nodes, its outputs tensors whose shapes are computed as
 * MNN computes them (NCHW; the NC4HW4 layout and its ConvertTensor ops change nothing the
 * IR sees).  One handler per op type (the table at the bottom); a type this reader does not
 * map is refused by name.  bizCode, the peer's metadata JSON, fills the graph's metadata. */
#include <float.h>
#include <json.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/core/fileio.h"
#include "engine/core/membudget.h"
#include "formats/flatbuf.h"
#include "formats/mnn.h"
#include "formats/mnn_impl.h"
#include "formats/openvino.h"

#define MAX_MNN_BYTES (2ull << 30)
#define MAX_DIM (1 << 30)
#define MAX_NUMEL (INT64_C(1) << 40)

typedef struct {
    const uint8_t *buf;
    size_t len;
    const char *file;
    Graph *g;
    uint32_t n_tensors;
    FbVector names;
    int *tt;       /* per MNN tensor: IR tensor, -1 before it is produced */
    int *consumers; /* per MNN tensor: ops reading it */
    StrMap modules;
    int root_module;
    int uniq;
    char *err;
    size_t errlen;
} MR;

typedef struct {
    FbTable op, param;
    int type, index;
    const char *name;
    FbVector in, out;
} MOpView;

static int rfail(MR *r, const MOpView *o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int rfail(MR *r, const MOpView *o, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (o) {
        const char *tn = mnn_op_type_name(o->type);
        return err_set(r->err, r->errlen, "%s: op %d '%.80s' (%s): %s", r->file, o->index, o->name, tn ? tn : "?", msg);
    }
    return err_set(r->err, r->errlen, "%s: %s", r->file, msg);
}

/* ---- tensors and nodes ---------------------------------------------------------------- */

static const char *uname(MR *r, const char *base)
{
    if (graph_find_tensor(r->g, base) < 0) return base;
    for (;;) {
        const char *s = arena_printf(r->g->arena, "%s_%d", base, ++r->uniq);
        if (graph_find_tensor(r->g, s) < 0) return s;
    }
}

static const char *tensor_name(MR *r, int idx)
{
    uint32_t len;
    const char *s = fb_vec_string(r->names, (uint32_t)idx, &len);
    return s && len ? arena_strndup(r->g->arena, s, len) : arena_printf(r->g->arena, "tensor%d", idx);
}

/* A tensor's dims: each 1..MAX_DIM, or -1 (unknown: an Input dim MNN's converter wrote as -1,
 * the height and width of a dynamic=True export, and what follows from it). */
static int check_dims(MR *r, const MOpView *o, int rank, const int64_t *d)
{
    int64_t n = 1;
    if (rank < 0 || rank > GRAPH_MAX_RANK) return rfail(r, o, "a tensor of rank %d", rank);
    for (int i = 0; i < rank; i++) {
        if (d[i] == -1) continue;
        if (d[i] < 1 || d[i] > MAX_DIM) return rfail(r, o, "a dim of %lld", (long long)d[i]);
        if (n > MAX_NUMEL / d[i]) return rfail(r, o, "a tensor too large");
        n *= d[i];
    }
    return 0;
}

/* Output k of op o: a new IR tensor named as the file names it. */
static int out_t(MR *r, const MOpView *o, int k, int rank, const int64_t *dims)
{
    if ((uint32_t)k >= o->out.n) return rfail(r, o, "has no output %d", k);
    if (check_dims(r, o, rank, dims)) return -1;
    int idx = fb_vec_i32(o->out, (uint32_t)k);
    int t = graph_add_tensor(r->g, uname(r, tensor_name(r, idx)), DT_F32, rank, dims);
    r->tt[idx] = t;
    return t;
}

static int in_t(const MR *r, const MOpView *o, int k) { return r->tt[fb_vec_i32(o->in, (uint32_t)k)]; }
static const Tensor *in_T(const MR *r, const MOpView *o, int k) { return &r->g->tensors[in_t(r, o, k)]; }

static int act(MR *r, const char *name, int rank, const int64_t *dims)
{
    return graph_add_tensor(r->g, uname(r, name), DT_F32, rank, dims);
}

static int node(MR *r, const MOpView *o, const char *suffix, OpKind op, const int *ins, int nin, const int *outs, int nout)
{
    const char *name = suffix ? arena_printf(r->g->arena, "%s%s", o->name, suffix) : o->name;
    int ni = graph_add_node(r->g, op, NULL, name, graph_module_for_name(r->g, &r->modules, name, "graph", &r->root_module),
                            ins, nin, outs, nout);
    r->g->nodes[ni].op = op;
    return ni;
}

static int k_f32(MR *r, const MOpView *o, const char *what, float v)
{
    return graph_add_const(r->g, uname(r, arena_printf(r->g->arena, "%s.%s", o->name, what)), DT_F32, 0, NULL, &v);
}

static int k_i64(MR *r, const MOpView *o, const char *what, const int64_t *v, int n)
{
    int64_t d = n;
    return graph_add_const(r->g, uname(r, arena_printf(r->g->arena, "%s.%s", o->name, what)), DT_I64, 1, &d, v);
}

static int need_io(MR *r, const MOpView *o, int nin, int nout)
{
    if ((int)o->in.n < nin) return rfail(r, o, "has %u inputs (needs %d)", o->in.n, nin);
    if ((int)o->out.n < nout) return rfail(r, o, "has %u outputs (needs %d)", o->out.n, nout);
    return 0;
}

/* Integer values of a constant input (an initializer of ints): count or -1. */
static int const_ints(MR *r, int t, int64_t *out, int max)
{
    const Tensor *c = &r->g->tensors[t];
    if (!c->data || c->producer >= 0) return -1;
    int64_t n = tensor_numel(c);
    if (n < 0 || n > max) return -1;
    for (int64_t i = 0; i < n; i++) {
        if (c->dtype == DT_I64) memcpy(&out[i], (const uint8_t *)c->data + 8 * i, 8);
        else if (c->dtype == DT_I32) { int32_t v; memcpy(&v, (const uint8_t *)c->data + 4 * i, 4); out[i] = v; }
        else return -1;
    }
    return (int)n;
}

/* ---- ops ---------------------------------------------------------------------------------- */

static int rank_dims(const Tensor *x, int64_t *d)
{
    memcpy(d, x->dims, sizeof(int64_t) * (size_t)x->rank);
    return x->rank;
}

static int map_input(MR *r, const MOpView *o)
{
    FbVector dv = fb_table_vector(o->param, INPUT_DIMS, 4);
    int fmt = fb_table_i8(o->param, INPUT_DFORMAT, MNN_NC4HW4);
    if (fb_table_i32(o->param, INPUT_DTYPE, MNN_DT_FLOAT) != MNN_DT_FLOAT) return rfail(r, o, "only float inputs are read");
    if (fmt == MNN_NHWC) return rfail(r, o, "an NHWC input (a model converted from TensorFlow) is not read");
    if (dv.n < 1 || dv.n > GRAPH_MAX_RANK) return rfail(r, o, "its dims are missing");
    int64_t d[GRAPH_MAX_RANK];
    for (uint32_t i = 0; i < dv.n; i++) d[i] = fb_vec_i32(dv, i);
    int t = out_t(r, o, 0, (int)dv.n, d);
    if (t < 0) return -1;
    r->g->tensors[t].is_input = true;
    graph_add_input(r->g, t);
    return 0;
}

static int map_const(MR *r, const MOpView *o)
{
    FbTable b = o->param;
    FbVector dv = fb_table_vector(b, BLOB_DIMS, 4);
    if (dv.n > GRAPH_MAX_RANK) return rfail(r, o, "a constant of rank %u", dv.n);
    int64_t d[GRAPH_MAX_RANK], n = 1;
    for (uint32_t i = 0; i < dv.n; i++) {
        d[i] = fb_vec_i32(dv, i);
        if (d[i] < 0 || d[i] > MAX_DIM) return rfail(r, o, "a constant dim of %lld", (long long)d[i]);
        if (d[i] && n > MAX_NUMEL / d[i]) return rfail(r, o, "a constant too large");
        n *= d[i];
    }
    int dt = fb_table_i32(b, BLOB_DATA_TYPE, MNN_DT_FLOAT);
    DType dtype;
    FbVector data;
    size_t es;
    if (dt == MNN_DT_FLOAT) dtype = DT_F32, es = 4, data = fb_table_vector(b, BLOB_FLOAT32S, 4);
    else if (dt == MNN_DT_HALF) dtype = DT_F16, es = 2, data = fb_table_vector(b, BLOB_UINT8S, 1);
    else if (dt == MNN_DT_INT32) dtype = DT_I32, es = 4, data = fb_table_vector(b, BLOB_INT32S, 4);
    else if (dt == MNN_DT_INT64) dtype = DT_I64, es = 8, data = fb_table_vector(b, BLOB_INT64S, 8);
    else return rfail(r, o, "constants of data type %d are not read", dt);
    size_t bytes = (size_t)data.n * (dt == MNN_DT_HALF ? 1 : es);
    if (bytes != (size_t)n * es) return rfail(r, o, "its data holds %zu bytes, its dims %lld values", bytes, (long long)n);
    const uint8_t *p = n ? fb_vec_data(data, dt == MNN_DT_HALF ? 1 : es) : NULL;
    if (n && !p) return rfail(r, o, "its data is out of range");
    if ((uint32_t)0 >= o->out.n) return rfail(r, o, "has no output");
    int idx = fb_vec_i32(o->out, 0);
    int t = graph_add_const(r->g, uname(r, tensor_name(r, idx)), dtype, (int)dv.n, d, p ? p : (const void *)"\0\0\0\0\0\0\0");
    r->tt[idx] = t;
    return 0;
}

/* Convolution weights as IR tensors: float32, float16 (IDSTQuan type 3) or int8 with
 * per-block scales (type 1, the 8-bit linear encoding), dequantised in the graph. */
static int conv_weight(MR *r, const MOpView *o, FbTable conv, int O, int rank, const int64_t *dims, int *out)
{
    int64_t n;
    dims_product(dims, rank, &n);
    FbVector wv = fb_table_vector(conv, CONV_WEIGHT, 4);
    FbTable q = fb_table_table(conv, CONV_QUAN);
    const char *wname = arena_printf(r->g->arena, "%s.weight", o->name);
    if (!q.pos) {
        if (wv.n != (uint64_t)n) return rfail(r, o, "%u weights, its shapes take %lld", wv.n, (long long)n);
        *out = graph_add_const(r->g, uname(r, wname), DT_F32, rank, dims, fb_vec_data(wv, 4));
        r->g->tensors[*out].is_param = true;
        return 0;
    }
    int type = fb_table_i32(q, QUAN_TYPE, 0);
    FbVector buf = fb_table_vector(q, QUAN_BUFFER, 1);
    const uint8_t *b = fb_vec_data(buf, 1);
    if (type == 3) {
        if (buf.n != (uint64_t)n * 2) return rfail(r, o, "%u float16 bytes, its shapes take %lld", buf.n, (long long)(n * 2));
        *out = graph_add_const(r->g, uname(r, wname), DT_F16, rank, dims, b);
        r->g->tensors[*out].is_param = true;
        return 0;
    }
    if (type != 1)
        return rfail(r, o, "weights quantised as IDSTQuan type %d are not read (float32, float16 type 3 and 8-bit type 1 "
                           "are)", type);
    /* dims: u8 count, u16 each (u32 with shapeInt32); u8 value count (0 = 256); the values; indexes */
    bool wide = fb_table_bool(q, QUAN_SHAPE_INT32, false);
    size_t p = 0;
    if (!b || buf.n < 1 || b[0] < 1 || b[0] > 4) return rfail(r, o, "its quantised weights have no valid shape");
    int nd = b[p++];
    int64_t cnt = 1, shape[4];
    for (int i = 0; i < nd; i++) {
        if (p + (wide ? 4u : 2u) > buf.n) return rfail(r, o, "its quantised weights end inside their shape");
        uint32_t v = 0;
        if (wide) memcpy(&v, b + p, 4), p += 4;
        else { uint16_t s; memcpy(&s, b + p, 2); v = s; p += 2; }
        shape[i] = v;
        if (v && cnt > (INT64_C(1) << 40) / v) return rfail(r, o, "its quantised weights are too large");
        cnt *= v;
    }
    if (cnt != n || nd != 2 || shape[0] != O)
        return rfail(r, o, "its quantised weights hold %lld values in %d blocks, its shapes take %lld in %d", (long long)cnt,
                     nd == 2 ? (int)shape[0] : -1, (long long)n, O);
    if (p >= buf.n) return rfail(r, o, "its quantised weights end before their value set");
    int samples = b[p++];
    if (samples == 0) samples = 256;
    if (samples != 256 || p + 256 + (size_t)n > buf.n)
        return rfail(r, o, "only the 8-bit linear encoding (256 values, one byte per weight) is read");
    for (int v = 0; v < 256; v++)
        if ((int8_t)b[p + v] != v - 128) return rfail(r, o, "its value set is not -128..127");
    p += 256;
    FbVector alpha = fb_table_vector(q, QUAN_ALPHA, 4);
    if (alpha.n != (uint32_t)O) return rfail(r, o, "%u scales for %d blocks", alpha.n, O);
    if (fb_table_i32(q, QUAN_READ_TYPE, 0) != 0 || fb_table_bool(q, QUAN_HAS_SCALE_INT, false))
        return rfail(r, o, "asymmetric or integer-scaled quantisation is not read");
    float qs = fb_table_f32(q, QUAN_QUANT_SCALE, 0.f);
    int64_t K = n / O, d2[2] = {O, K}, d1[2] = {O, 1};
    int8_t *iv = arena_alloc(r->g->arena, (size_t)n);
    for (int64_t i = 0; i < n; i++) iv[i] = (int8_t)(b[p + (size_t)i] - 128);
    int qt = graph_add_tensor(r->g, uname(r, arena_printf(r->g->arena, "%s.weight_int8", o->name)), DT_I8, 2, d2);
    r->g->tensors[qt].data = iv;
    r->g->tensors[qt].nbytes = (size_t)n;
    r->g->tensors[qt].is_param = true;
    float *sc = arena_alloc(r->g->arena, sizeof(float) * (size_t)O);
    for (int i = 0; i < O; i++) sc[i] = fb_vec_f32(alpha, (uint32_t)i) * (qs != 0.f && qs != 1.f ? qs : 1.f);
    int st = graph_add_const(r->g, uname(r, arena_printf(r->g->arena, "%s.weight_scale", o->name)), DT_F32, 2, d1, sc);
    int fl = act(r, arena_printf(r->g->arena, "%s.weight_float", o->name), 2, d2);
    node_set_int(r->g, node(r, o, "/dequantize/cast", OP_CAST, &qt, 1, &fl, 1), "to", 1);
    int sc_out = act(r, arena_printf(r->g->arena, "%s.weight_scaled", o->name), 2, d2);
    int ins[2] = {fl, st};
    node(r, o, "/dequantize/scale", OP_MUL, ins, 2, &sc_out, 1);
    *out = act(r, wname, rank, dims);
    int64_t shp[GRAPH_MAX_RANK];
    memcpy(shp, dims, sizeof(int64_t) * (size_t)rank);
    int rs[2] = {sc_out, k_i64(r, o, "weight_shape", shp, rank)};
    node(r, o, "/dequantize/reshape", OP_RESHAPE, rs, 2, out, 1);
    return 0;
}

static int map_conv(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    bool deconv = o->type == MNN_OP_DECONVOLUTION || o->type == MNN_OP_DECONVOLUTION_DW;
    bool dw = o->type == MNN_OP_CONVOLUTION_DW || o->type == MNN_OP_DECONVOLUTION_DW;
    if (o->in.n > 1) return rfail(r, o, "weights given as inputs are not read");
    FbTable c = fb_table_table(o->param, CONV_COMMON);
    if (!c.pos) return rfail(r, o, "has no Convolution2DCommon");
    if (fb_table_has(o->param, CONV_SYMMETRIC_QUAN) || fb_table_has(o->param, CONV_SPARSE) ||
        fb_table_has(o->param, CONV_EXTERNAL))
        return rfail(r, o, "int8 inference, sparse or external weights are not read");
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    if (x->rank != 4) return rfail(r, o, "its input has rank %d (NCHW expected)", x->rank);
    int kx = fb_table_i32(c, CC_KERNEL_X, 1), ky = fb_table_i32(c, CC_KERNEL_Y, 1), sx = fb_table_i32(c, CC_STRIDE_X, 1),
        sy = fb_table_i32(c, CC_STRIDE_Y, 1), dx = fb_table_i32(c, CC_DILATE_X, 1), dy = fb_table_i32(c, CC_DILATE_Y, 1),
        group = fb_table_i32(c, CC_GROUP, 1), O = fb_table_i32(c, CC_OUTPUT_COUNT, 0), mode = fb_table_i8(c, CC_PAD_MODE, 0);
    int64_t C = x->dims[1], H = x->dims[2], W = x->dims[3];
    if (C < 1) return rfail(r, o, "its input's channels are unknown");
    if (kx < 1 || ky < 1 || sx < 1 || sy < 1 || dx < 1 || dy < 1 || kx > 65536 || ky > 65536 || sx > 65536 ||
        sy > 65536 || dx > 65536 || dy > 65536 || O < 1 || O > MAX_DIM)
        return rfail(r, o, "kernel %dx%d, stride %dx%d, dilation %dx%d or %d outputs out of range", kx, ky, sx, sy, dx, dy, O);
    if (dw) group = deconv ? O : (int)C;
    if (group < 1 || C % group || O % group) return rfail(r, o, "group %d does not divide %lld -> %d channels", group, (long long)C, O);
    if (dw && (C != O)) return rfail(r, o, "a depthwise op from %lld to %d channels", (long long)C, O);
    int64_t pads[4] = {fb_table_i32(c, CC_PAD_Y, 0), fb_table_i32(c, CC_PAD_X, 0), fb_table_i32(c, CC_PAD_Y, 0),
                       fb_table_i32(c, CC_PAD_X, 0)};
    FbVector pv = fb_table_vector(c, CC_PADS, 4);
    if (pv.n == 4)
        for (int i = 0; i < 4; i++) pads[i] = fb_vec_i32(pv, (uint32_t)i);
    int64_t ek[2] = {(int64_t)dy * (ky - 1) + 1, (int64_t)dx * (kx - 1) + 1}, s[2] = {sy, sx}, in[2] = {H, W};
    if (mode == 1) memset(pads, 0, sizeof pads); /* VALID */
    else if (mode == 2) {                        /* SAME */
        for (int i = 0; i < 2; i++) {
            /* over an unknown size the pads are fixed only for a deconvolution or stride 1 */
            if (in[i] < 0 && !deconv && s[i] > 1) return rfail(r, o, "SAME padding over an unknown size is not read");
            int64_t out = deconv ? in[i] * s[i] : (in[i] + s[i] - 1) / s[i];
            int64_t total = deconv ? (in[i] - 1) * s[i] + ek[i] - out : (out - 1) * s[i] + ek[i] - in[i];
            if (in[i] < 0) total = deconv ? ek[i] - s[i] : ek[i] - 1;
            if (total < 0) total = 0;
            pads[i] = total / 2, pads[2 + i] = total - total / 2;
        }
    } else if (mode != 0) {
        return rfail(r, o, "padMode %d is not one MNN has", mode);
    }
    for (int i = 0; i < 4; i++)
        if (pads[i] < 0 || pads[i] > 65536) return rfail(r, o, "pads out of range");
    int64_t op[2] = {0, 0};
    FbVector opv = fb_table_vector(c, CC_OUT_PADS, 4);
    if (deconv && opv.n == 2) op[0] = fb_vec_i32(opv, 0), op[1] = fb_vec_i32(opv, 1);
    if (op[0] < 0 || op[1] < 0 || op[0] > 65536 || op[1] > 65536) return rfail(r, o, "output pads out of range");
    int64_t od[4] = {x->dims[0], O, 0, 0};
    for (int i = 0; i < 2; i++) {
        if (in[i] < 0) od[2 + i] = -1; /* unknown in, unknown out */
        else if (deconv) od[2 + i] = (in[i] - 1) * s[i] + ek[i] - pads[i] - pads[2 + i] + op[i];
        else {
            if (in[i] + pads[i] + pads[2 + i] < ek[i]) return rfail(r, o, "kernel larger than the padded input");
            od[2 + i] = (in[i] + pads[i] + pads[2 + i] - ek[i]) / s[i] + 1;
        }
    }
    int y = out_t(r, o, 0, 4, od);
    if (y < 0) return -1;
    int64_t wd[4] = {deconv ? C : O, deconv ? O / group : C / group, ky, kx};
    int wt;
    if (conv_weight(r, o, o->param, O, 4, wd, &wt)) return -1;
    FbVector bv = fb_table_vector(o->param, CONV_BIAS, 4);
    int bt = -1;
    if (bv.n) {
        if (bv.n != (uint32_t)O) return rfail(r, o, "%u biases for %d outputs", bv.n, O);
        int64_t bd = O;
        bt = graph_add_const(r->g, uname(r, arena_printf(r->g->arena, "%s.bias", o->name)), DT_F32, 1, &bd, fb_vec_data(bv, 4));
        r->g->tensors[bt].is_param = true;
    }
    bool relu = fb_table_bool(c, CC_RELU, false), relu6 = fb_table_bool(c, CC_RELU6, false);
    int pre = relu || relu6 ? act(r, arena_printf(r->g->arena, "%s/preact", o->name), 4, od) : y;
    int ins[3] = {in_t(r, o, 0), wt, bt};
    int ni = node(r, o, NULL, deconv ? OP_CONV_TRANSPOSE : OP_CONV, ins, bt >= 0 ? 3 : 2, &pre, 1);
    int64_t v[4] = {ky, kx};
    node_set_ints(r->g, ni, "kernel_shape", v, 2);
    v[0] = sy, v[1] = sx;
    node_set_ints(r->g, ni, "strides", v, 2);
    v[0] = dy, v[1] = dx;
    node_set_ints(r->g, ni, "dilations", v, 2);
    node_set_ints(r->g, ni, "pads", pads, 4);
    node_set_int(r->g, ni, "group", group);
    if (deconv) node_set_ints(r->g, ni, "output_padding", op, 2);
    if (relu6) {
        int cl[3] = {pre, k_f32(r, o, "min", 0.f), k_f32(r, o, "max", 6.f)};
        node(r, o, "/relu6", OP_CLIP, cl, 3, &y, 1);
    } else if (relu) {
        node(r, o, "/relu", OP_RELU, &pre, 1, &y, 1);
    }
    return 0;
}

static int map_unary(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    int64_t d[GRAPH_MAX_RANK];
    int rank = rank_dims(x, d), xi = in_t(r, o, 0);
    int type = o->type == MNN_OP_SIGMOID ? MNN_UN_SIGMOID : o->type == MNN_OP_TANH ? MNN_UN_TANH
               : fb_table_i32(o->param, UNARY_OP_TYPE, 0);
    static const struct {
        int type;
        OpKind op;
    } map[] = {{MNN_UN_ABS, OP_ABS},     {MNN_UN_NEG, OP_NEG},       {MNN_UN_FLOOR, OP_FLOOR},
               {MNN_UN_CEIL, OP_CEIL},   {MNN_UN_SQRT, OP_SQRT},     {MNN_UN_EXP, OP_EXP},
               {MNN_UN_LOG, OP_LOG},     {MNN_UN_SIN, OP_SIN},       {MNN_UN_COS, OP_COS},
               {MNN_UN_RECIPROCAL, OP_RECIPROCAL}, {MNN_UN_SIGN, OP_SIGN}, {MNN_UN_ERF, OP_ERF},
               {MNN_UN_SIGMOID, OP_SIGMOID}, {MNN_UN_TANH, OP_TANH}, {MNN_UN_HARDSWISH, OP_HARD_SWISH},
               {MNN_UN_GELU, OP_GELU},   {MNN_UN_GELU_STANDARD, OP_GELU}, {MNN_UN_SILU, OP_SILU}};
    int y = out_t(r, o, 0, rank, d);
    if (y < 0) return -1;
    if (type == MNN_UN_SQUARE) {
        int ins[2] = {xi, xi};
        node(r, o, NULL, OP_MUL, ins, 2, &y, 1);
        return 0;
    }
    if (type == MNN_UN_RSQRT) {
        int sq = act(r, arena_printf(r->g->arena, "%s/sqrt", o->name), rank, d);
        node(r, o, "/sqrt", OP_SQRT, &xi, 1, &sq, 1);
        node(r, o, NULL, OP_RECIPROCAL, &sq, 1, &y, 1);
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(map); i++)
        if (map[i].type == type) {
            int ni = node(r, o, NULL, map[i].op, &xi, 1, &y, 1);
            if (type == MNN_UN_GELU) node_set_string(r->g, ni, "approximate", "tanh");
            return 0;
        }
    return rfail(r, o, "UnaryOp operation %d is not read", type);
}

static int map_relu(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    int64_t d[GRAPH_MAX_RANK];
    int rank = rank_dims(in_T(r, o, 0), d), xi = in_t(r, o, 0), y = out_t(r, o, 0, rank, d);
    if (y < 0) return -1;
    if (o->type == MNN_OP_RELU6) {
        float lo = fb_table_f32(o->param, RELU6_MIN, 0.f), hi = fb_table_f32(o->param, RELU6_MAX, 6.f);
        int ins[3] = {xi, k_f32(r, o, "min", lo), k_f32(r, o, "max", hi)};
        node(r, o, NULL, OP_CLIP, ins, 3, &y, 1);
    } else if (o->type == MNN_OP_ELU) {
        node_set_float(r->g, node(r, o, NULL, OP_ELU, &xi, 1, &y, 1), "alpha", fb_table_f32(o->param, ELU_ALPHA, 0.f));
    } else {
        float slope = fb_table_f32(o->param, RELU_SLOPE, 0.f);
        if (slope == 0.f) node(r, o, NULL, OP_RELU, &xi, 1, &y, 1);
        else node_set_float(r->g, node(r, o, NULL, OP_LEAKY_RELU, &xi, 1, &y, 1), "alpha", slope);
    }
    return 0;
}

/* One broadcast dim of da and db (-1 unknown: it fits any size, and a size of 1 leaves it
 * unknown).  false when they do not broadcast. */
static bool broadcast_dim(int64_t da, int64_t db, int64_t *out)
{
    if (da < 0 || db < 0) {
        int64_t known = da < 0 ? db : da;
        *out = known < 0 || known == 1 ? -1 : known;
        return true;
    }
    if (da != db && da != 1 && db != 1) return false;
    *out = da > db ? da : db;
    return true;
}

/* numpy broadcasting of two shapes into out: its rank, or -1. */
static int broadcast(const Tensor *a, const Tensor *b, int64_t *out)
{
    int rank = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < rank; i++) {
        int ia = i - (rank - a->rank), ib = i - (rank - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (!broadcast_dim(da, db, &out[i])) return -1;
    }
    return rank;
}

static int map_binary(MR *r, const MOpView *o)
{
    if (need_io(r, o, 2, 1)) return -1;
    int type = fb_table_i32(o->param, BINARY_OP_TYPE, 0);
    if (fb_table_i32(o->param, BINARY_ACTIVATION, 0) != 0) return rfail(r, o, "a fused activation on a BinaryOp is not read");
    OpKind op;
    switch (type) {
    case MNN_BIN_ADD: op = OP_ADD; break;
    case MNN_BIN_SUB: op = OP_SUB; break;
    case MNN_BIN_MUL: op = OP_MUL; break;
    case MNN_BIN_REALDIV: op = OP_DIV; break;
    case MNN_BIN_POW: op = OP_POW; break;
    case MNN_BIN_MINIMUM: op = OP_MIN; break;
    case MNN_BIN_MAXIMUM: op = OP_MAX; break;
    default: return rfail(r, o, "BinaryOp operation %d is not read", type);
    }
    int64_t d[GRAPH_MAX_RANK];
    int rank = broadcast(in_T(r, o, 0), in_T(r, o, 1), d);
    if (rank < 0) return rfail(r, o, "its operands do not broadcast");
    int y = out_t(r, o, 0, rank, d);
    if (y < 0) return -1;
    int ins[2] = {in_t(r, o, 0), in_t(r, o, 1)};
    node(r, o, NULL, op, ins, 2, &y, 1);
    return 0;
}

static int norm_axis(MR *r, const MOpView *o, int64_t a, int rank, int *out)
{
    if (a < 0) a += rank;
    if (a < 0 || a >= rank) return rfail(r, o, "axis %lld out of range for rank %d", (long long)a, rank);
    *out = (int)a;
    return 0;
}

static int map_concat(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    const Tensor x0v = *in_T(r, o, 0), *x0 = &x0v;
    int a = 0;
    if (norm_axis(r, o, fb_table_i32(o->param, AXIS_AXIS, 0), x0->rank, &a)) return -1;
    int64_t d[GRAPH_MAX_RANK];
    rank_dims(x0, d);
    d[a] = 0;
    int *ins = xmalloc(sizeof(int) * o->in.n);
    bool unknown = false; /* a part of unknown size along the axis */
    for (uint32_t k = 0; k < o->in.n; k++) {
        const Tensor *x = in_T(r, o, (int)k);
        bool ok = x->rank == x0->rank;
        for (int i = 0; i < x0->rank && ok; i++) {
            ok = i == a || x->dims[i] == d[i] || x->dims[i] < 0 || d[i] < 0;
            if (ok && i != a && d[i] < 0) d[i] = x->dims[i];
        }
        if (!ok) {
            free(ins);
            return rfail(r, o, "input %u does not fit the others", k);
        }
        if (x->dims[a] < 0) unknown = true;
        else d[a] += x->dims[a];
        ins[k] = in_t(r, o, (int)k);
    }
    if (unknown) d[a] = -1;
    int y = out_t(r, o, 0, x0->rank, d);
    if (y >= 0) node_set_int(r->g, node(r, o, NULL, OP_CONCAT, ins, (int)o->in.n, &y, 1), "axis", a);
    free(ins);
    return y < 0 ? -1 : 0;
}

static int map_slice(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    int a = 0, n = (int)o->out.n;
    if (norm_axis(r, o, fb_table_i32(o->param, SLICE_AXIS, 0), x->rank, &a)) return -1;
    if (n > 4096) return rfail(r, o, "too many outputs");
    FbVector pts = fb_table_vector(o->param, SLICE_POINTS, 4);
    int src = fb_table_i8(o->param, SLICE_SOURCE_TYPE, 0);
    if (x->dims[a] < 0) return rfail(r, o, "a split of axis %d, whose size is unknown, is not read", a);
    int64_t dim = x->dims[a], *size = xmalloc(sizeof(int64_t) * (size_t)n), q = 0;
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if (src == 0) { /* Caffe: split points */
            int64_t end = i < (int)pts.n ? fb_vec_i32(pts, (uint32_t)i) : dim;
            size[i] = end - q;
        } else if (pts.n <= 1) {
            size[i] = pts.n == 1 && src == MNN_SOURCE_TORCH ? fb_vec_i32(pts, 0) : dim / n;
        } else {
            size[i] = i < (int)pts.n ? fb_vec_i32(pts, (uint32_t)i) : 0;
            if (size[i] == -1) size[i] = dim - q;
        }
        if (size[i] < 1 || q + size[i] > dim) rc = rfail(r, o, "part %d (size %lld) does not fit the %lld along its axis", i, (long long)size[i], (long long)dim);
        q += size[i];
    }
    int *outs = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n && !rc; i++) {
        int64_t d[GRAPH_MAX_RANK];
        rank_dims(x, d);
        d[a] = size[i];
        if ((outs[i] = out_t(r, o, i, x->rank, d)) < 0) rc = -1;
    }
    if (!rc) {
        int xi = in_t(r, o, 0);
        if (q == dim) {
            int ni = node(r, o, NULL, OP_SPLIT, &xi, 1, outs, n);
            node_set_int(r->g, ni, "axis", a);
            node_set_ints(r->g, ni, "split", size, n);
        } else {
            int64_t at = 0, ax = a;
            for (int i = 0; i < n; i++) {
                int64_t end = at + size[i];
                int ins[4] = {xi, k_i64(r, o, arena_printf(r->g->arena, "starts%d", i), &at, 1),
                              k_i64(r, o, arena_printf(r->g->arena, "ends%d", i), &end, 1), k_i64(r, o, "axes", &ax, 1)};
                node(r, o, arena_printf(r->g->arena, "/slice%d", i), OP_SLICE, ins, 4, &outs[i], 1);
                at = end;
            }
        }
    }
    free(size);
    free(outs);
    return rc;
}

/* TF StridedSlice with constant bounds, step 1, no ellipsis/new/shrink axes. */
static int map_strided_slice(MR *r, const MOpView *o)
{
    if (need_io(r, o, 4, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    int R = x->rank;
    int64_t b[GRAPH_MAX_RANK], e[GRAPH_MAX_RANK], s[GRAPH_MAX_RANK];
    int nb = const_ints(r, in_t(r, o, 1), b, GRAPH_MAX_RANK), ne = const_ints(r, in_t(r, o, 2), e, GRAPH_MAX_RANK),
        ns = const_ints(r, in_t(r, o, 3), s, GRAPH_MAX_RANK);
    if (o->in.n > 4 || nb < 0 || ne != nb || ns != nb || nb > R) return rfail(r, o, "only constant begin, end and strides are read");
    int bm = fb_table_i32(o->param, STRIDED_BEGIN_MASK, 0), em = fb_table_i32(o->param, STRIDED_END_MASK, 0);
    if (fb_table_i32(o->param, STRIDED_ELLIPSIS_MASK, 0) || fb_table_i32(o->param, STRIDED_NEW_AXIS_MASK, 0) ||
        fb_table_i32(o->param, STRIDED_SHRINK_AXIS_MASK, 0) || fb_table_i32(o->param, STRIDED_FROM_TYPE, 0))
        return rfail(r, o, "ellipsis, new-axis, shrink masks or non-TF slices are not read");
    int64_t d[GRAPH_MAX_RANK], st[GRAPH_MAX_RANK], en[GRAPH_MAX_RANK], ax[GRAPH_MAX_RANK];
    int ncut = 0; /* the axes the IR Slice lists (all but the unknown ones left whole) */
    rank_dims(x, d);
    for (int i = 0; i < nb; i++) {
        if (s[i] != 1) return rfail(r, o, "stride %lld is not read (step 1 is)", (long long)s[i]);
        int64_t dim = x->dims[i], lo = bm >> i & 1 ? 0 : b[i], hi = em >> i & 1 ? INT64_MAX : e[i];
        if (dim < 0) { /* unknown size: bounds from its start only; the size cut stays unknown */
            if (lo < 0 || hi < 0) return rfail(r, o, "a slice of an unknown size from its end is not read");
            if (hi <= lo) return rfail(r, o, "an empty slice of axis %d", i);
            d[i] = -1;
            if (lo == 0 && hi == INT64_MAX) continue;
            st[ncut] = lo, en[ncut] = hi, ax[ncut++] = i;
            continue;
        }
        if (hi == INT64_MAX) hi = dim;
        if (lo < 0) lo += dim;
        if (hi < 0) hi += dim;
        lo = lo < 0 ? 0 : lo > dim ? dim : lo;
        hi = hi < 0 ? 0 : hi > dim ? dim : hi;
        if (hi <= lo) return rfail(r, o, "an empty slice of axis %d", i);
        st[ncut] = lo, en[ncut] = hi, ax[ncut++] = i, d[i] = hi - lo;
    }
    int y = out_t(r, o, 0, R, d);
    if (y < 0) return -1;
    int ins[4] = {in_t(r, o, 0), k_i64(r, o, "starts", st, ncut), k_i64(r, o, "ends", en, ncut),
                  k_i64(r, o, "axes", ax, ncut)};
    node(r, o, NULL, OP_SLICE, ins, 4, &y, 1);
    return 0;
}

static int map_pool(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    if (x->rank != 4) return rfail(r, o, "its input has rank %d (NCHW expected)", x->rank);
    FbTable p = o->param;
    int type = fb_table_i8(p, POOL_TYPE, 0), xi = in_t(r, o, 0);
    if (type != 0 && type != 1) return rfail(r, o, "pool type %d is not one MNN has", type);
    int64_t od[4] = {x->dims[0], x->dims[1], 1, 1};
    if (fb_table_bool(p, POOL_IS_GLOBAL, false)) {
        int y = out_t(r, o, 0, 4, od);
        if (y < 0) return -1;
        node(r, o, NULL, type ? OP_GLOBAL_AVGPOOL : OP_GLOBAL_MAXPOOL, &xi, 1, &y, 1);
        return 0;
    }
    int kx = fb_table_i32(p, POOL_KERNEL_X, 0), ky = fb_table_i32(p, POOL_KERNEL_Y, 0), sx = fb_table_i32(p, POOL_STRIDE_X, 0),
        sy = fb_table_i32(p, POOL_STRIDE_Y, 0), pad_type = fb_table_i8(p, POOL_PAD_TYPE, 0);
    bool ceil_mode = fb_table_bool(p, POOL_CEIL, true);
    if (kx < 1 || ky < 1 || sx < 1 || sy < 1 || kx > 65536 || ky > 65536 || sx > 65536 || sy > 65536)
        return rfail(r, o, "kernel %dx%d or stride %dx%d out of range", kx, ky, sx, sy);
    int64_t pads[4] = {fb_table_i32(p, POOL_PAD_Y, 0), fb_table_i32(p, POOL_PAD_X, 0), fb_table_i32(p, POOL_PAD_Y, 0),
                       fb_table_i32(p, POOL_PAD_X, 0)};
    FbVector pv = fb_table_vector(p, POOL_PADS, 4);
    if (pv.n == 4)
        for (int i = 0; i < 4; i++) pads[i] = fb_vec_i32(pv, (uint32_t)i);
    else if (pv.n == 2)
        pads[0] = fb_vec_i32(pv, 0), pads[2] = fb_vec_i32(pv, 1), pads[1] = pads[3] = 0;
    for (int i = 0; i < 4; i++)
        if (pads[i] < 0 || pads[i] > 65536) return rfail(r, o, "pads out of range");
    int64_t k[2] = {ky, kx}, s[2] = {sy, sx};
    for (int i = 0; i < 2; i++) {
        int64_t in = x->dims[2 + i];
        if (in < 0) { /* unknown in, unknown out; SAME pads are fixed only at stride 1 */
            if (pad_type == 2 && s[i] > 1) return rfail(r, o, "SAME padding over an unknown size is not read");
            if (pad_type < 0 || pad_type > 2) return rfail(r, o, "pad type %d is not one MNN has", pad_type);
            if (pad_type == 2) pads[i] = (k[i] - 1) / 2, pads[2 + i] = k[i] - 1 - (k[i] - 1) / 2;
            if (pad_type == 1) pads[i] = pads[2 + i] = 0;
            od[2 + i] = -1;
            continue;
        }
        if (pad_type == 2) { /* SAME */
            int64_t out = (in + s[i] - 1) / s[i], total = (out - 1) * s[i] + k[i] - in;
            if (total < 0) total = 0;
            pads[i] = total / 2, pads[2 + i] = total - total / 2;
            od[2 + i] = out;
        } else if (pad_type == 1) { /* VALID */
            if (in < k[i]) return rfail(r, o, "kernel larger than the input");
            pads[i] = pads[2 + i] = 0;
            od[2 + i] = (in - k[i]) / s[i] + 1;
        } else if (pad_type == 0) {
            int64_t span = in + pads[i] + pads[2 + i] - k[i];
            if (span < 0) return rfail(r, o, "kernel larger than the padded input");
            od[2 + i] = ceil_mode ? (span + s[i] - 1) / s[i] + 1 : span / s[i] + 1;
        } else {
            return rfail(r, o, "pad type %d is not one MNN has", pad_type);
        }
    }
    int y = out_t(r, o, 0, 4, od);
    if (y < 0) return -1;
    int ni = node(r, o, NULL, type ? OP_AVGPOOL : OP_MAXPOOL, &xi, 1, &y, 1);
    node_set_ints(r->g, ni, "kernel_shape", k, 2);
    node_set_ints(r->g, ni, "strides", s, 2);
    node_set_ints(r->g, ni, "pads", pads, 4);
    node_set_int(r->g, ni, "ceil_mode", pad_type == 0 && ceil_mode);
    if (type) node_set_int(r->g, ni, "count_include_pad", fb_table_i8(p, POOL_COUNT_TYPE, 0) == 1);
    return 0;
}

static int map_interp(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    if (x->rank != 4) return rfail(r, o, "only NCHW resizes are read");
    if (o->in.n > 1) return rfail(r, o, "a target size from another tensor is not read");
    FbTable p = o->param;
    int ow = fb_table_i32(p, INTERP_OUTPUT_WIDTH, 0), oh = fb_table_i32(p, INTERP_OUTPUT_HEIGHT, 0);
    float ws = 0.f, hs = 0.f;
    bool by_scale = false; /* an unknown input size: the IR Resize takes the scales */
    if (ow == 0 || oh == 0) {
        ws = fb_table_f32(p, INTERP_WIDTH_SCALE, 0.f), hs = fb_table_f32(p, INTERP_HEIGHT_SCALE, 0.f);
        if (!(ws > 0 && hs > 0 && ws < 65536 && hs < 65536)) return rfail(r, o, "scales %g, %g out of range", ws, hs);
        by_scale = x->dims[2] < 0 || x->dims[3] < 0;
        ow = x->dims[3] < 0 ? -1 : (int)(x->dims[3] * ws), oh = x->dims[2] < 0 ? -1 : (int)(x->dims[2] * hs);
    }
    int64_t od[4] = {x->dims[0], x->dims[1], oh, ow};
    int y = out_t(r, o, 0, 4, od);
    if (y < 0) return -1;
    int type = fb_table_i32(p, INTERP_RESIZE_TYPE, 0), ctm = fb_table_i8(p, INTERP_CTM, 0);
    bool align = fb_table_bool(p, INTERP_ALIGN_CORNERS, false), half = fb_table_bool(p, INTERP_HALF_PIXEL, false);
    if (ctm == 0) ctm = align ? 1 : half && type != 1 ? 2 : 4;
    static const char *const ctm_names[] = {NULL, "align_corners", "half_pixel", "pytorch_half_pixel", "asymmetric"};
    if (ctm < 1 || ctm > 4) return rfail(r, o, "coordinate transformation %d is not read", ctm);
    if (type < 1 || type > 4) return rfail(r, o, "resize type %d is not read", type);
    int64_t sizes[4] = {x->dims[0], x->dims[1], oh, ow};
    int ins[4] = {in_t(r, o, 0), -1, -1, -1};
    if (by_scale) {
        float sc[4] = {1.f, 1.f, hs, ws};
        int64_t four = 4;
        ins[2] = graph_add_const(r->g, uname(r, arena_printf(r->g->arena, "%s.scales", o->name)), DT_F32, 1, &four, sc);
    } else {
        ins[3] = k_i64(r, o, "sizes", sizes, 4);
    }
    int ni = node(r, o, NULL, OP_RESIZE, ins, by_scale ? 3 : 4, &y, 1);
    node_set_string(r->g, ni, "mode", type == 2 ? "linear" : type == 3 ? "cubic" : "nearest");
    node_set_string(r->g, ni, "coordinate_transformation_mode", ctm_names[ctm]);
    if (type == 1) node_set_string(r->g, ni, "nearest_mode", "floor");
    if (type == 4) node_set_string(r->g, ni, "nearest_mode", "round_prefer_floor");
    if (type == 3) node_set_float(r->g, ni, "cubic_coeff_a", fb_table_f32(p, INTERP_CUBIC_A, -0.75f));
    return 0;
}

static int map_reshape(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    int64_t want[GRAPH_MAX_RANK];
    int n;
    if (o->in.n > 1) {
        n = const_ints(r, in_t(r, o, 1), want, GRAPH_MAX_RANK);
        if (n < 0) return rfail(r, o, "only constant shapes are read");
    } else {
        FbVector dv = fb_table_vector(o->param, RESHAPE_DIMS, 4);
        if (dv.n > GRAPH_MAX_RANK) return rfail(r, o, "a shape of %u dims", dv.n);
        n = (int)dv.n;
        for (int i = 0; i < n; i++) want[i] = fb_vec_i32(dv, (uint32_t)i);
    }
    if (fb_table_i8(o->param, RESHAPE_DIM_TYPE, 0) == MNN_NHWC) return rfail(r, o, "NHWC reshapes are not read");
    /* an input of unknown size (-1 dims) keeps the file's 0 (copy) and -1 (infer) in the IR's
     * shape, and the dims they give stay unknown */
    int64_t total = tensor_numel(x), known = 1, ir[GRAPH_MAX_RANK];
    int infer = -1;
    for (int i = 0; i < n; i++) {
        ir[i] = want[i];
        if (want[i] == 0) {
            if (i >= x->rank) return rfail(r, o, "0 in dim %d copies a dim the input does not have", i);
            want[i] = x->dims[i];
            if (want[i] < 0) continue; /* an unknown dim copied */
            if (total >= 0) ir[i] = want[i];
        }
        if (want[i] == -1) {
            if (infer >= 0) return rfail(r, o, "two dims to infer");
            infer = i;
            continue;
        }
        if (want[i] < 1 || want[i] > MAX_DIM) return rfail(r, o, "a target dim of %lld", (long long)want[i]);
        if (known > MAX_NUMEL / want[i]) return rfail(r, o, "a target shape too large");
        known *= want[i];
    }
    if (total >= 0) { /* an unknown input size leaves the dim to infer unknown */
        if (infer >= 0) {
            if (total % known) return rfail(r, o, "%lld values do not divide by %lld", (long long)total, (long long)known);
            want[infer] = total / known;
            ir[infer] = want[infer];
            known = total;
        }
        if (known != total) return rfail(r, o, "reshapes %lld values to %lld", (long long)total, (long long)known);
    }
    int y = out_t(r, o, 0, n, want);
    if (y < 0) return -1;
    int ins[2] = {in_t(r, o, 0), k_i64(r, o, "shape", ir, n)};
    node(r, o, NULL, OP_RESHAPE, ins, 2, &y, 1);
    return 0;
}

static int map_flatten(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    int a = 0, e = 0;
    if (norm_axis(r, o, fb_table_i32(o->param, FLATTEN_AXIS, 1), x->rank, &a)) return -1;
    int end = fb_table_i32(o->param, FLATTEN_END_AXIS, 0);
    if (end == 0) e = x->rank - 1;
    else if (norm_axis(r, o, end, x->rank, &e)) return -1;
    if (e < a) return rfail(r, o, "end axis before the axis");
    if (tensor_numel(x) < 0) return rfail(r, o, "a Flatten of unknown size is not read");
    int64_t d[GRAPH_MAX_RANK], n = 0;
    for (int i = 0; i < x->rank; i++) {
        if (i > a && i <= e) d[n - 1] *= x->dims[i];
        else d[n++] = x->dims[i];
    }
    int y = out_t(r, o, 0, (int)n, d);
    if (y < 0) return -1;
    int ins[2] = {in_t(r, o, 0), k_i64(r, o, "shape", d, (int)n)};
    node(r, o, NULL, OP_RESHAPE, ins, 2, &y, 1);
    return 0;
}

static int map_permute(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    int64_t perm[GRAPH_MAX_RANK];
    int n;
    if (o->type == MNN_OP_TRANSPOSE) {
        if (o->in.n < 2 || (n = const_ints(r, in_t(r, o, 1), perm, GRAPH_MAX_RANK)) < 0)
            return rfail(r, o, "only a constant permutation is read");
    } else {
        FbVector dv = fb_table_vector(o->param, PERMUTE_DIMS, 4);
        if (dv.n > GRAPH_MAX_RANK) return rfail(r, o, "a permutation of %u dims", dv.n);
        n = (int)dv.n;
        for (int i = 0; i < n; i++) perm[i] = fb_vec_i32(dv, (uint32_t)i);
    }
    if (n != x->rank) return rfail(r, o, "a permutation of %d dims for rank %d", n, x->rank);
    bool seen[GRAPH_MAX_RANK] = {false};
    int64_t d[GRAPH_MAX_RANK];
    for (int i = 0; i < n; i++) {
        if (perm[i] < 0 || perm[i] >= n || seen[perm[i]]) return rfail(r, o, "not a permutation");
        seen[perm[i]] = true;
        d[i] = x->dims[perm[i]];
    }
    int xi = in_t(r, o, 0), y = out_t(r, o, 0, n, d);
    if (y < 0) return -1;
    node_set_ints(r->g, node(r, o, NULL, OP_TRANSPOSE, &xi, 1, &y, 1), "perm", perm, n);
    return 0;
}

static int map_softmax(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    int a = 0;
    if (norm_axis(r, o, fb_table_i32(o->param, AXIS_AXIS, 0), x->rank, &a)) return -1;
    int64_t d[GRAPH_MAX_RANK];
    int rank = rank_dims(x, d), xi = in_t(r, o, 0), y = out_t(r, o, 0, rank, d);
    if (y < 0) return -1;
    node_set_int(r->g, node(r, o, NULL, OP_SOFTMAX, &xi, 1, &y, 1), "axis", a);
    return 0;
}

static int transposed(MR *r, const MOpView *o, int t, const char *what)
{
    const Tensor *x = &r->g->tensors[t];
    int64_t d[GRAPH_MAX_RANK], perm[GRAPH_MAX_RANK];
    int rank = rank_dims(x, d);
    for (int i = 0; i < rank; i++) perm[i] = i;
    perm[rank - 1] = rank - 2, perm[rank - 2] = rank - 1;
    int64_t tmp = d[rank - 1];
    d[rank - 1] = d[rank - 2], d[rank - 2] = tmp;
    int y = act(r, arena_printf(r->g->arena, "%s/%s", o->name, what), rank, d);
    node_set_ints(r->g, node(r, o, arena_printf(r->g->arena, "/%s", what), OP_TRANSPOSE, &t, 1, &y, 1), "perm", perm, rank);
    return y;
}

static int map_matmul(MR *r, const MOpView *o)
{
    if (need_io(r, o, 2, 1)) return -1;
    if (fb_table_has(o->param, MATMUL_WEIGHT)) return rfail(r, o, "weights inside the MatMul are not read");
    int a = in_t(r, o, 0), b = in_t(r, o, 1);
    if (r->g->tensors[a].rank < 2 || r->g->tensors[b].rank < 2) return rfail(r, o, "1-D operands are not read");
    if (fb_table_bool(o->param, MATMUL_TRANSPOSE_A, false)) a = transposed(r, o, a, "transA");
    if (fb_table_bool(o->param, MATMUL_TRANSPOSE_B, false)) b = transposed(r, o, b, "transB");
    const Tensor *A = &r->g->tensors[a], *B = &r->g->tensors[b];
    int64_t ka = A->dims[A->rank - 1], kb = B->dims[B->rank - 2];
    if (ka != kb && ka >= 0 && kb >= 0) return rfail(r, o, "inner dims differ");
    int rank = A->rank > B->rank ? A->rank : B->rank;
    int64_t d[GRAPH_MAX_RANK];
    for (int i = 0; i < rank - 2; i++) {
        int ia = i - (rank - A->rank), ib = i - (rank - B->rank);
        int64_t da = ia >= 0 ? A->dims[ia] : 1, db = ib >= 0 ? B->dims[ib] : 1;
        if (!broadcast_dim(da, db, &d[i])) return rfail(r, o, "batch dims do not broadcast");
    }
    d[rank - 2] = A->dims[A->rank - 2], d[rank - 1] = B->dims[B->rank - 1];
    int y = out_t(r, o, 0, rank, d);
    if (y < 0) return -1;
    int ins[2] = {a, b};
    node(r, o, NULL, OP_MATMUL, ins, 2, &y, 1);
    return 0;
}

static int map_reduction(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    int op = fb_table_i8(o->param, REDUCTION_OPERATION, 0);
    OpKind kind = op == MNN_RED_SUM ? OP_REDUCE_SUM : op == MNN_RED_MEAN ? OP_REDUCE_MEAN : op == MNN_RED_MAXIMUM ? OP_REDUCE_MAX
                  : op == MNN_RED_MINIMUM ? OP_REDUCE_MIN : op == MNN_RED_PROD ? OP_REDUCE_PROD : OP_OTHER;
    if (kind == OP_OTHER) return rfail(r, o, "reduction %d is not read", op);
    float coeff = fb_table_f32(o->param, REDUCTION_COEFF, 0.f);
    if (coeff != 0.f && coeff != 1.f) return rfail(r, o, "a reduction with coefficient %g is not read", coeff);
    FbVector dv = fb_table_vector(o->param, REDUCTION_DIM, 4);
    bool keep = fb_table_bool(o->param, REDUCTION_KEEP_DIMS, false), red[GRAPH_MAX_RANK] = {false};
    if (dv.n == 0 || dv.n > GRAPH_MAX_RANK) return rfail(r, o, "%u axes", dv.n);
    int64_t axes[GRAPH_MAX_RANK], d[GRAPH_MAX_RANK];
    int n = 0;
    for (uint32_t i = 0; i < dv.n; i++) {
        int a = 0;
        if (norm_axis(r, o, fb_vec_i32(dv, i), x->rank, &a)) return -1;
        red[a] = true;
        axes[i] = a;
    }
    for (int i = 0; i < x->rank; i++)
        if (!red[i] || keep) d[n++] = red[i] ? 1 : x->dims[i];
    int xi = in_t(r, o, 0), y = out_t(r, o, 0, n, d);
    if (y < 0) return -1;
    int ni = node(r, o, NULL, kind, &xi, 1, &y, 1);
    node_set_ints(r->g, ni, "axes", axes, (int)dv.n);
    node_set_int(r->g, ni, "keepdims", keep);
    return 0;
}

/* CumSum: running sums along the axis its second input holds (a constant), exclusive and
 * reverse from its parameters; the IR's CumSum takes the axis as an int64 scalar. */
static int map_cumsum(MR *r, const MOpView *o)
{
    if (need_io(r, o, 2, 1)) return -1;
    const Tensor xv = *in_T(r, o, 0), *x = &xv;
    int64_t axis;
    int a = 0;
    if (const_ints(r, in_t(r, o, 1), &axis, 1) != 1) return rfail(r, o, "only a constant axis is read");
    if (norm_axis(r, o, axis, x->rank, &a)) return -1;
    int64_t d[GRAPH_MAX_RANK], av = a;
    int rank = rank_dims(x, d), xi = in_t(r, o, 0), y = out_t(r, o, 0, rank, d);
    if (y < 0) return -1;
    int ins[2] = {xi, graph_add_const(r->g, uname(r, arena_printf(r->g->arena, "%s.axis", o->name)), DT_I64, 0, NULL, &av)};
    int ni = node(r, o, NULL, OP_CUMSUM, ins, 2, &y, 1);
    node_set_int(r->g, ni, "exclusive", fb_table_bool(o->param, CUMSUM_EXCLUSIVE, false));
    node_set_int(r->g, ni, "reverse", fb_table_bool(o->param, CUMSUM_REVERSE, false));
    return 0;
}

/* ConvertTensor, Identity, Dropout: the output is the input (an Identity when the output is
 * a graph output, so that it keeps its name). */
static int map_alias(MR *r, const MOpView *o)
{
    if (need_io(r, o, 1, 1)) return -1;
    for (uint32_t k = 0; k < o->out.n; k++) {
        int idx = fb_vec_i32(o->out, k), x = in_t(r, o, k < o->in.n ? (int)k : 0);
        if (r->consumers[idx] > 0) {
            r->tt[idx] = x;
            continue;
        }
        int64_t d[GRAPH_MAX_RANK];
        int rank = rank_dims(&r->g->tensors[x], d), y = out_t(r, o, (int)k, rank, d);
        if (y < 0) return -1;
        node(r, o, NULL, OP_IDENTITY, &x, 1, &y, 1);
    }
    return 0;
}

typedef int (*MapFn)(MR *r, const MOpView *o);
static const struct {
    int type, ptype; /* the op type and the parameter table it takes (-1: none needed) */
    MapFn fn;
} maps[] = {
    {MNN_OP_INPUT, MNN_P_INPUT, map_input},
    {MNN_OP_CONST, MNN_P_BLOB, map_const},
    {MNN_OP_CONVOLUTION, MNN_P_CONV2D, map_conv},
    {MNN_OP_CONVOLUTION_DW, MNN_P_CONV2D, map_conv},
    {MNN_OP_DECONVOLUTION, MNN_P_CONV2D, map_conv},
    {MNN_OP_DECONVOLUTION_DW, MNN_P_CONV2D, map_conv},
    {MNN_OP_UNARY, MNN_P_UNARY, map_unary},
    {MNN_OP_SIGMOID, -1, map_unary},
    {MNN_OP_TANH, -1, map_unary},
    {MNN_OP_RELU, MNN_P_RELU, map_relu},
    {MNN_OP_RELU6, MNN_P_RELU6, map_relu},
    {MNN_OP_ELU, MNN_P_ELU, map_relu},
    {MNN_OP_BINARY, MNN_P_BINARY, map_binary},
    {MNN_OP_CONCAT, MNN_P_AXIS, map_concat},
    {MNN_OP_SLICE, MNN_P_SLICE, map_slice},
    {MNN_OP_STRIDED_SLICE, MNN_P_STRIDED_SLICE, map_strided_slice},
    {MNN_OP_POOLING, MNN_P_POOL, map_pool},
    {MNN_OP_INTERP, MNN_P_INTERP, map_interp},
    {MNN_OP_RESHAPE, MNN_P_RESHAPE, map_reshape},
    {MNN_OP_FLATTEN, MNN_P_FLATTEN, map_flatten},
    {MNN_OP_PERMUTE, MNN_P_PERMUTE, map_permute},
    {MNN_OP_TRANSPOSE, -1, map_permute},
    {MNN_OP_SOFTMAX, MNN_P_AXIS, map_softmax},
    {MNN_OP_MATMUL, MNN_P_MATMUL, map_matmul},
    {MNN_OP_REDUCTION, MNN_P_REDUCTION, map_reduction},
    {MNN_OP_CUMSUM, MNN_P_CUMSUM, map_cumsum},
    {MNN_OP_CONVERT_TENSOR, MNN_P_TENSOR_CONVERT, map_alias},
    {MNN_OP_IDENTITY, -1, map_alias},
    {MNN_OP_DROPOUT, -1, map_alias},
};

/* bizCode, the peer's metadata as JSON (openvino_metadata_apply_json); text that is not a
 * JSON object is kept as the prop "bizCode". */
static void read_biz_code(Graph *g, const char *text, uint32_t len)
{
    if (openvino_metadata_apply_json(g, text, len) != 0 && len)
        graph_meta_add_prop(g, "bizCode", arena_strndup(g->arena, text, len));
}

/* ---- reading ----------------------------------------------------------------------------- */

static Graph *read_impl(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen)
{
    char why[512];
    if (len > MAX_MNN_BYTES) {
        err_set(err, errlen, "%s: too large for an MNN model (%zu bytes)", name, len);
        return NULL;
    }
    if (mnn_verify(buf, len, why, sizeof why)) {
        err_set(err, errlen, "%s: not a valid MNN model: %s", name, why);
        return NULL;
    }
    FbTable net = fb_root(buf, len);
    MR r = {.buf = buf, .len = len, .file = name, .g = graph_new(), .root_module = -1, .err = err, .errlen = errlen};
    r.names = fb_table_vector(net, NET_TENSOR_NAME, 4);
    r.n_tensors = r.names.n;
    FbVector ops = fb_table_vector(net, NET_OPLISTS, 4);
    r.tt = xmalloc(sizeof(int) * (r.n_tensors + 1));
    r.consumers = xcalloc(r.n_tensors + 1, sizeof(int));
    for (uint32_t i = 0; i < r.n_tensors; i++) r.tt[i] = -1;
    for (uint32_t i = 0; i < ops.n; i++) {
        FbVector in = fb_table_vector(fb_vec_table(ops, i), OP_INPUT_INDEXES, 4);
        for (uint32_t k = 0; k < in.n; k++) r.consumers[fb_vec_i32(in, k)]++;
    }
    int rc = 0;
    uint32_t blen;
    const char *biz = fb_table_string(net, NET_BIZCODE, &blen);
    if (biz) read_biz_code(r.g, biz, blen);
    for (uint32_t i = 0; i < ops.n && !rc; i++) {
        MOpView o = {.op = fb_vec_table(ops, i), .index = (int)i};
        o.type = fb_table_i32(o.op, OP_TYPE, 0);
        o.param = fb_table_table(o.op, OP_MAIN);
        uint32_t nl;
        const char *nm = fb_table_string(o.op, OP_NAME, &nl);
        o.name = nm && nl ? arena_strndup(r.g->arena, nm, nl) : arena_printf(r.g->arena, "op%u", i);
        o.in = fb_table_vector(o.op, OP_INPUT_INDEXES, 4);
        o.out = fb_table_vector(o.op, OP_OUTPUT_INDEXES, 4);
        if (fb_table_i8(o.op, OP_DEFAULT_FORMAT, MNN_NHWC) == MNN_NHWC && o.type != MNN_OP_CONST && o.type != MNN_OP_INPUT &&
            o.type != MNN_OP_CONVERT_TENSOR && o.type != MNN_OP_CONVOLUTION && o.type != MNN_OP_CONVOLUTION_DW)
            rc = rfail(&r, &o, "an op in NHWC order (a model converted from TensorFlow) is not read");
        MapFn fn = NULL;
        for (size_t k = 0; k < ARRAY_LEN(maps) && !rc; k++)
            if (maps[k].type == o.type) {
                fn = maps[k].fn;
                if (maps[k].ptype >= 0 && (!o.param.pos || fb_table_u8(o.op, OP_MAIN_TYPE, 0) != maps[k].ptype))
                    rc = rfail(&r, &o, "its parameters are not the table its type takes");
            }
        if (!rc && !fn) rc = rfail(&r, &o, "an MNN op type this reader does not map to the IR");
        if (!rc) rc = fn(&r, &o);
        for (uint32_t k = 0; k < o.out.n && !rc; k++)
            if (r.tt[fb_vec_i32(o.out, k)] < 0) rc = rfail(&r, &o, "output %u was not made", k);
    }
    if (!rc && r.g->n_inputs == 0) rc = rfail(&r, NULL, "the model has no Input op");
    if (!rc) {
        FbVector outs = fb_table_vector(net, NET_OUTPUT_NAME, 4);
        for (uint32_t i = 0; i < outs.n && !rc; i++) {
            uint32_t sl;
            const char *s = fb_vec_string(outs, i, &sl);
            int found = -1;
            for (uint32_t t = 0; t < r.n_tensors && found < 0 && s; t++) {
                uint32_t tl;
                const char *tn = fb_vec_string(r.names, t, &tl);
                if (tn && tl == sl && !memcmp(tn, s, sl) && r.tt[t] >= 0) found = r.tt[t];
            }
            if (found < 0) rc = rfail(&r, NULL, "output '%.*s' is not a tensor any op makes", (int)(sl > 80 ? 80 : sl), s ? s : "");
            else {
                r.g->tensors[found].is_output = true;
                graph_add_output(r.g, found);
            }
        }
        for (uint32_t t = 0; t < r.n_tensors && !outs.n; t++)
            if (r.tt[t] >= 0 && !r.consumers[t] && r.g->tensors[r.tt[t]].producer >= 0) {
                r.g->tensors[r.tt[t]].is_output = true;
                graph_add_output(r.g, r.tt[t]);
            }
        if (!rc && r.g->n_outputs == 0) rc = rfail(&r, NULL, "the model has no output");
    }
    if (!rc && graph_validate(r.g, why, sizeof why)) rc = rfail(&r, NULL, "%s", why);
    if (!rc) {
        Graph *g = r.g;
        g->meta.source_format = FMT_MNN;
        g->meta.producer = "MNN";
        const Tensor *in = &g->tensors[g->inputs[0]];
        if (!g->meta.imgsz[0] && in->rank == 4 && in->dims[2] > 0 && in->dims[3] > 0)
            g->meta.imgsz[0] = (int)in->dims[2], g->meta.imgsz[1] = (int)in->dims[3];
        if (in->rank == 4 && in->dims[1] > 0 && in->dims[1] <= 64 && !graph_meta_prop(g, "channels"))
            g->meta.channels = (int)in->dims[1];
        graph_count_module_params(g);
    }
    free(r.tt);
    free(r.consumers);
    strmap_free(&r.modules);
    if (rc) {
        graph_free(r.g);
        return NULL;
    }
    return r.g;
}

Graph *mnn_read_memory(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen)
{
    /* past the reader's limit, only the size is looked at (read_impl refuses it) */
    uint64_t n = len && len <= MAX_MNN_BYTES ? len : 1;
    uint8_t *copy = membudget_alloc(n, name ? name : "(memory)", NULL, err, errlen);
    if (!copy) return NULL;
    if (n == len) memcpy(copy, buf, len);
    Graph *g = read_impl(copy, len, name, err, errlen);
    if (g) graph_adopt_blob(g, copy, membudget_free);
    else membudget_free(copy);
    return g;
}

Graph *mnn_read(const char *path, char *err, size_t errlen)
{
    /* the file the user named (a link they chose is followed), never waited on: a FIFO or a
     * device is refused; the whole file stays charged to the memory budget while the graph
     * points into it */
    struct stat st;
    size_t len = 0;
    int fd = fileio_open_regular(path, &st, err, errlen);
    uint8_t *buf = fd < 0 ? NULL : fileio_read_fd(fd, &st, MAX_MNN_BYTES, path, &len, err, errlen);
    if (!buf) return NULL;
    Graph *g = read_impl(buf, len, path, err, errlen);
    if (g) {
        graph_adopt_blob(g, buf, membudget_free);
        g->meta.source_path = arena_strdup(g->arena, path);
    } else {
        membudget_free(buf);
    }
    return g;
}
