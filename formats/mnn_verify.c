/* mnn_verify: is a buffer an MNN model MNN can load?  The flatbuffer against the Net schema
 * (formats/mnn_schema.c), then every op: a type MNN has, the parameter table its type takes,
 * tensor indices in range and produced once before use, parameters in range and weights of
 * the size the parameters imply (quantised encodings decoded far enough to count them).
 * And the cheap look at a file's first bytes that recognises one. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "formats/flatbuf.h"
#include "formats/mnn.h"
#include "formats/mnn_impl.h"

typedef struct {
    char *err;
    size_t errlen;
    uint32_t index;
    int type;
    const char *name;
    uint32_t name_len;
} V;

static int vfail(V *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vfail(V *v, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *tn = mnn_op_type_name(v->type);
    return err_set(v->err, v->errlen, "op %u '%.*s' (%s): %s", v->index, (int)(v->name_len > 80 ? 80 : v->name_len),
                   v->name ? v->name : "", tn ? tn : "?", msg);
}

/* The parameter table each op type this code knows takes. */
static int expected_param(int type)
{
    switch (type) {
    case MNN_OP_INPUT: return MNN_P_INPUT;
    case MNN_OP_CONST: return MNN_P_BLOB;
    case MNN_OP_CONVOLUTION: case MNN_OP_CONVOLUTION_DW: case MNN_OP_DECONVOLUTION: case MNN_OP_DECONVOLUTION_DW:
        return MNN_P_CONV2D;
    case MNN_OP_UNARY: return MNN_P_UNARY;
    case MNN_OP_RELU: return MNN_P_RELU;
    case MNN_OP_RELU6: return MNN_P_RELU6;
    case MNN_OP_ELU: return MNN_P_ELU;
    case MNN_OP_BINARY: return MNN_P_BINARY;
    case MNN_OP_CONCAT: case MNN_OP_SOFTMAX: return MNN_P_AXIS;
    case MNN_OP_SLICE: return MNN_P_SLICE;
    case MNN_OP_STRIDED_SLICE: return MNN_P_STRIDED_SLICE;
    case MNN_OP_POOLING: return MNN_P_POOL;
    case MNN_OP_INTERP: return MNN_P_INTERP;
    case MNN_OP_RESHAPE: return MNN_P_RESHAPE;
    case MNN_OP_FLATTEN: return MNN_P_FLATTEN;
    case MNN_OP_PERMUTE: return MNN_P_PERMUTE;
    case MNN_OP_MATMUL: return MNN_P_MATMUL;
    case MNN_OP_REDUCTION: return MNN_P_REDUCTION;
    case MNN_OP_CONVERT_TENSOR: return MNN_P_TENSOR_CONVERT;
    case MNN_OP_CUMSUM: return MNN_P_CUMSUM;
    default: return -1;
    }
}

static bool in_range(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

/* Weights of a convolution: count values stored as float32, float16 (type 3) or the 8-bit
 * linear encoding (type 1) in blocks blocks. */
static int check_conv_weights(V *v, FbTable conv, int64_t count, int64_t blocks)
{
    FbVector w = fb_table_vector(conv, CONV_WEIGHT, 4);
    FbTable q = fb_table_table(conv, CONV_QUAN);
    if (!q.pos) {
        if (w.n != (uint64_t)count) return vfail(v, "%u weights, its parameters imply %lld", w.n, (long long)count);
        return 0;
    }
    int type = fb_table_i32(q, QUAN_TYPE, 0);
    FbVector buf = fb_table_vector(q, QUAN_BUFFER, 1);
    const uint8_t *b = fb_vec_data(buf, 1);
    if (type == 3) {
        if (buf.n != (uint64_t)count * 2) return vfail(v, "%u float16 weight bytes, its parameters imply %lld", buf.n, (long long)(count * 2));
        return 0;
    }
    if (type != 1) return 0; /* other encodings: not checked here (the reader refuses them) */
    bool wide = fb_table_bool(q, QUAN_SHAPE_INT32, false);
    size_t p = 0;
    if (!b || buf.n < 2 || b[0] < 1 || b[0] > 4) return vfail(v, "its quantised weights have no valid shape");
    int nd = b[p++];
    int64_t cnt = 1, first = 0;
    for (int i = 0; i < nd; i++) {
        if (p + (wide ? 4u : 2u) > buf.n) return vfail(v, "its quantised weights end inside their shape");
        uint32_t d = 0;
        if (wide) memcpy(&d, b + p, 4), p += 4;
        else { uint16_t s; memcpy(&s, b + p, 2); d = s; p += 2; }
        if (i == 0) first = d;
        if (d && cnt > (INT64_C(1) << 40) / d) return vfail(v, "its quantised weights are too large");
        cnt *= d;
    }
    if (cnt != count || first != blocks)
        return vfail(v, "its quantised weights hold %lld values in %lld blocks, its parameters imply %lld in %lld",
                     (long long)cnt, (long long)first, (long long)count, (long long)blocks);
    if (p >= buf.n) return vfail(v, "its quantised weights end before their value set");
    int samples = b[p++];
    if (samples == 0) samples = 256;
    int bits = 1;
    while ((1 << bits) < samples) bits++;
    size_t need = p + (size_t)samples + (size_t)((cnt * bits + 7) / 8);
    if (need > buf.n) return vfail(v, "its quantised weights need %zu bytes, the buffer has %u", need, buf.n);
    FbVector alpha = fb_table_vector(q, QUAN_ALPHA, 4);
    int readtype = fb_table_i32(q, QUAN_READ_TYPE, 0);
    if (alpha.n != (uint32_t)(blocks * (readtype ? 2 : 1)))
        return vfail(v, "%u scales for %lld blocks", alpha.n, (long long)blocks);
    return 0;
}

static int check_conv(V *v, FbTable p)
{
    FbTable c = fb_table_table(p, CONV_COMMON);
    if (!c.pos) return vfail(v, "has no Convolution2DCommon");
    int kx = fb_table_i32(c, CC_KERNEL_X, 1), ky = fb_table_i32(c, CC_KERNEL_Y, 1), sx = fb_table_i32(c, CC_STRIDE_X, 1),
        sy = fb_table_i32(c, CC_STRIDE_Y, 1), dx = fb_table_i32(c, CC_DILATE_X, 1), dy = fb_table_i32(c, CC_DILATE_Y, 1),
        group = fb_table_i32(c, CC_GROUP, 1), O = fb_table_i32(c, CC_OUTPUT_COUNT, 0), I = fb_table_i32(c, CC_INPUT_COUNT, 0),
        mode = fb_table_i8(c, CC_PAD_MODE, 0);
    if (!in_range(kx, 1, 65536) || !in_range(ky, 1, 65536) || !in_range(sx, 1, 65536) || !in_range(sy, 1, 65536) ||
        !in_range(dx, 1, 65536) || !in_range(dy, 1, 65536))
        return vfail(v, "kernel %dx%d, stride %dx%d or dilation %dx%d out of range", kx, ky, sx, sy, dx, dy);
    if (!in_range(group, 1, 1 << 30) || !in_range(O, 1, 1 << 30) || !in_range(I, 0, 1 << 30) || O % group)
        return vfail(v, "%d outputs, %d inputs or group %d out of range", O, I, group);
    if (!in_range(mode, 0, 2)) return vfail(v, "padMode %d is not one MNN has", mode);
    FbVector pads = fb_table_vector(c, CC_PADS, 4);
    for (uint32_t i = 0; i < pads.n; i++)
        if (!in_range(fb_vec_i32(pads, i), 0, 65536)) return vfail(v, "pad %d out of range", fb_vec_i32(pads, i));
    bool deconv = v->type == MNN_OP_DECONVOLUTION || v->type == MNN_OP_DECONVOLUTION_DW;
    bool dw = v->type == MNN_OP_CONVOLUTION_DW || v->type == MNN_OP_DECONVOLUTION_DW;
    FbVector bias = fb_table_vector(p, CONV_BIAS, 4);
    if (bias.n && bias.n != (uint32_t)O) return vfail(v, "%u biases for %d outputs", bias.n, O);
    if (I == 0) return 0; /* the weight count needs the input channels */
    int64_t k = (int64_t)kx * ky, count;
    if (dw) count = (int64_t)O * k;
    else if (deconv) count = (int64_t)I * (O / group) * k;
    else {
        if (I % group) return vfail(v, "group %d does not divide %d inputs", group, I);
        count = (int64_t)O * (I / group) * k;
    }
    return check_conv_weights(v, p, count, O);
}

static int check_blob(V *v, FbTable b)
{
    FbVector dims = fb_table_vector(b, BLOB_DIMS, 4);
    int64_t n = 1;
    if (dims.n > 8) return vfail(v, "a constant of %u dims", dims.n);
    for (uint32_t i = 0; i < dims.n; i++) {
        int d = fb_vec_i32(dims, i);
        if (!in_range(d, 0, 1 << 30)) return vfail(v, "a constant dim of %d", d);
        if (d && n > (INT64_C(1) << 40) / d) return vfail(v, "a constant too large");
        n *= d;
    }
    int dt = fb_table_i32(b, BLOB_DATA_TYPE, MNN_DT_FLOAT);
    uint64_t have;
    switch (dt) {
    case MNN_DT_FLOAT: have = fb_table_vector(b, BLOB_FLOAT32S, 4).n; break;
    case MNN_DT_HALF: have = fb_table_vector(b, BLOB_UINT8S, 1).n / 2; break;
    case MNN_DT_INT32: have = fb_table_vector(b, BLOB_INT32S, 4).n; break;
    case MNN_DT_INT64: have = fb_table_vector(b, BLOB_INT64S, 8).n; break;
    default: return 0; /* other types: not checked here */
    }
    if (fb_table_has(b, BLOB_EXTERNAL)) return 0;
    if (have != (uint64_t)n) return vfail(v, "its data holds %llu values, its dims %lld", (unsigned long long)have, (long long)n);
    return 0;
}

static int check_params(V *v, FbTable p)
{
    switch (v->type) {
    case MNN_OP_CONVOLUTION: case MNN_OP_CONVOLUTION_DW: case MNN_OP_DECONVOLUTION: case MNN_OP_DECONVOLUTION_DW:
        return check_conv(v, p);
    case MNN_OP_CONST: return check_blob(v, p);
    case MNN_OP_INPUT: {
        FbVector d = fb_table_vector(p, INPUT_DIMS, 4);
        if (d.n > 8) return vfail(v, "an input of %u dims", d.n);
        for (uint32_t i = 0; i < d.n; i++)
            if (!in_range(fb_vec_i32(d, i), -1, 1 << 30) || fb_vec_i32(d, i) == 0) return vfail(v, "an input dim of %d", fb_vec_i32(d, i));
        if (!in_range(fb_table_i8(p, INPUT_DFORMAT, MNN_NC4HW4), 0, 4)) return vfail(v, "an unknown data format");
        return 0;
    }
    case MNN_OP_POOLING: {
        if (fb_table_bool(p, POOL_IS_GLOBAL, false)) return 0;
        int kx = fb_table_i32(p, POOL_KERNEL_X, 0), ky = fb_table_i32(p, POOL_KERNEL_Y, 0), sx = fb_table_i32(p, POOL_STRIDE_X, 0),
            sy = fb_table_i32(p, POOL_STRIDE_Y, 0);
        if (!in_range(kx, 1, 65536) || !in_range(ky, 1, 65536) || !in_range(sx, 1, 65536) || !in_range(sy, 1, 65536))
            return vfail(v, "kernel %dx%d or stride %dx%d out of range", kx, ky, sx, sy);
        if (!in_range(fb_table_i8(p, POOL_PAD_TYPE, 0), 0, 2) || !in_range(fb_table_i8(p, POOL_TYPE, 0), 0, 1))
            return vfail(v, "an unknown pool or pad type");
        return 0;
    }
    case MNN_OP_INTERP: {
        int t = fb_table_i32(p, INTERP_RESIZE_TYPE, 0);
        float ws = fb_table_f32(p, INTERP_WIDTH_SCALE, 0.f), hs = fb_table_f32(p, INTERP_HEIGHT_SCALE, 0.f);
        if (!in_range(t, 1, 4)) return vfail(v, "resize type %d", t);
        if (!in_range(fb_table_i32(p, INTERP_OUTPUT_WIDTH, 0), 0, 1 << 30) || !in_range(fb_table_i32(p, INTERP_OUTPUT_HEIGHT, 0), 0, 1 << 30) ||
            !(ws >= 0 && ws < 65536) || !(hs >= 0 && hs < 65536))
            return vfail(v, "output size or scales out of range");
        return 0;
    }
    case MNN_OP_CONCAT: case MNN_OP_SOFTMAX:
        return in_range(fb_table_i32(p, AXIS_AXIS, 0), -8, 7) ? 0 : vfail(v, "axis %d out of range", fb_table_i32(p, AXIS_AXIS, 0));
    case MNN_OP_SLICE: {
        FbVector pts = fb_table_vector(p, SLICE_POINTS, 4);
        if (!in_range(fb_table_i32(p, SLICE_AXIS, 0), -8, 7)) return vfail(v, "axis out of range");
        for (uint32_t i = 0; i < pts.n; i++)
            if (!in_range(fb_vec_i32(pts, i), -1, 1 << 30)) return vfail(v, "slice point %d out of range", fb_vec_i32(pts, i));
        return 0;
    }
    case MNN_OP_PERMUTE: {
        FbVector d = fb_table_vector(p, PERMUTE_DIMS, 4);
        bool seen[8] = {false};
        if (d.n > 8) return vfail(v, "a permutation of %u dims", d.n);
        for (uint32_t i = 0; i < d.n; i++) {
            int a = fb_vec_i32(d, i);
            if (!in_range(a, 0, (int)d.n - 1) || seen[a]) return vfail(v, "not a permutation");
            seen[a] = true;
        }
        return 0;
    }
    case MNN_OP_RESHAPE: {
        FbVector d = fb_table_vector(p, RESHAPE_DIMS, 4);
        if (d.n > 8) return vfail(v, "a shape of %u dims", d.n);
        for (uint32_t i = 0; i < d.n; i++)
            if (!in_range(fb_vec_i32(d, i), -1, 1 << 30)) return vfail(v, "a target dim of %d", fb_vec_i32(d, i));
        return 0;
    }
    case MNN_OP_BINARY:
        return in_range(fb_table_i32(p, BINARY_OP_TYPE, 0), 0, 29) ? 0 : vfail(v, "BinaryOp type %d", fb_table_i32(p, BINARY_OP_TYPE, 0));
    case MNN_OP_UNARY:
        return in_range(fb_table_i32(p, UNARY_OP_TYPE, 0), 0, 34) ? 0 : vfail(v, "UnaryOp type %d", fb_table_i32(p, UNARY_OP_TYPE, 0));
    case MNN_OP_CONVERT_TENSOR:
        return in_range(fb_table_i8(p, CONVERT_SOURCE, 0), 0, 4) && in_range(fb_table_i8(p, CONVERT_DEST, 0), 0, 4)
                   ? 0
                   : vfail(v, "an unknown data format");
    case MNN_OP_REDUCTION: {
        FbVector d = fb_table_vector(p, REDUCTION_DIM, 4);
        if (!in_range(fb_table_i8(p, REDUCTION_OPERATION, 0), 0, 8)) return vfail(v, "an unknown reduction");
        for (uint32_t i = 0; i < d.n; i++)
            if (!in_range(fb_vec_i32(d, i), -8, 7)) return vfail(v, "axis %d out of range", fb_vec_i32(d, i));
        return 0;
    }
    default: return 0;
    }
}

int mnn_verify(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    char why[512];
    if (len >= 8 && !memcmp(buf + 4, "TFL3", 4)) return err_set(err, errlen, "a TensorFlow Lite model, not MNN");
    if (fb_verify(buf, len, &mnn_net_def, NULL, NULL, why, sizeof why))
        return err_set(err, errlen, "not a flatbuffer of MNN's Net: %s", why);
    FbTable net = fb_root(buf, len);
    FbVector names = fb_table_vector(net, NET_TENSOR_NAME, 4), ops = fb_table_vector(net, NET_OPLISTS, 4);
    if (!ops.n) return err_set(err, errlen, "the Net has no ops");
    if (!names.n) return err_set(err, errlen, "the Net names no tensors");
    if (fb_table_vector(net, NET_SUBGRAPHS, 4).n) return err_set(err, errlen, "subgraphs (control flow) are not read");
    uint32_t nt = names.n;
    uint8_t *made = xcalloc(nt, 1);
    int rc = 0;
    V v = {.err = err, .errlen = errlen};
    for (uint32_t i = 0; i < ops.n && !rc; i++) {
        FbTable op = fb_vec_table(ops, i);
        v.index = i;
        v.type = fb_table_i32(op, OP_TYPE, 0);
        v.name = fb_table_string(op, OP_NAME, &v.name_len);
        if (!mnn_op_type_name(v.type)) {
            rc = vfail(&v, "type %d is not an MNN op type", v.type);
            break;
        }
        int want = expected_param(v.type), have = fb_table_u8(op, OP_MAIN_TYPE, 0);
        FbTable p = fb_table_table(op, OP_MAIN);
        if (want >= 0 && (have != want || !p.pos)) {
            rc = vfail(&v, "its parameters are union type %d, its op type takes %d", have, want);
            break;
        }
        FbVector in = fb_table_vector(op, OP_INPUT_INDEXES, 4), out = fb_table_vector(op, OP_OUTPUT_INDEXES, 4);
        for (uint32_t k = 0; k < in.n && !rc; k++) {
            int t = fb_vec_i32(in, k);
            if (t < 0 || (uint32_t)t >= nt) rc = vfail(&v, "input %u is tensor %d of %u", k, t, nt);
            else if (!made[t]) rc = vfail(&v, "reads tensor %d before any op makes it", t);
        }
        /* CumSum reads its axis from its second input (MNN's geometry takes it as an int) */
        if (!rc && v.type == MNN_OP_CUMSUM && in.n != 2) rc = vfail(&v, "has %u inputs (data and axis expected)", in.n);
        if (!rc && !out.n) rc = vfail(&v, "makes no tensor");
        for (uint32_t k = 0; k < out.n && !rc; k++) {
            int t = fb_vec_i32(out, k);
            if (t < 0 || (uint32_t)t >= nt) rc = vfail(&v, "output %u is tensor %d of %u", k, t, nt);
            else if (made[t]) rc = vfail(&v, "makes tensor %d, which an earlier op made", t);
            else made[t] = 1;
        }
        if (!rc && p.pos) rc = check_params(&v, p);
    }
    FbVector outs = fb_table_vector(net, NET_OUTPUT_NAME, 4);
    for (uint32_t i = 0; i < outs.n && !rc; i++) {
        uint32_t sl;
        const char *s = fb_vec_string(outs, i, &sl);
        bool found = false;
        for (uint32_t t = 0; t < nt && !found; t++) {
            uint32_t tl;
            const char *tn = fb_vec_string(names, t, &tl);
            found = made[t] && tn && s && tl == sl && !memcmp(tn, s, sl);
        }
        if (!found) rc = err_set(err, errlen, "output '%.*s' is not a tensor any op makes", (int)(sl > 80 ? 80 : sl), s ? s : "");
    }
    free(made);
    return rc;
}

bool mnn_sniff(const uint8_t *buf, size_t len, uint64_t file_size)
{
    if (!buf || len < 16 || file_size < 16) return false;
    if (!memcmp(buf + 4, "TFL3", 4)) return false;
    uint32_t root;
    memcpy(&root, buf, 4);
    if (root < 4 || (uint64_t)root + 4 > file_size || (size_t)root + 4 > len || root % 4) return false;
    int32_t so;
    memcpy(&so, buf + root, 4);
    int64_t vt = (int64_t)root - so;
    if (vt < 0 || (uint64_t)vt + 4 > len || vt % 2) return false;
    uint16_t vsize, tsize;
    memcpy(&vsize, buf + vt, 2);
    memcpy(&tsize, buf + vt + 2, 2);
    if (vsize < 4 || vsize % 2 || (uint64_t)vt + vsize > len || tsize < 4 || (uint64_t)root + tsize > file_size) return false;
    int slots = (vsize - 4) / 2;
    if (slots <= NET_TENSOR_NAME) return false;
    uint16_t ops_off, names_off;
    memcpy(&ops_off, buf + vt + 4 + 2 * NET_OPLISTS, 2);
    memcpy(&names_off, buf + vt + 4 + 2 * NET_TENSOR_NAME, 2);
    if (ops_off < 4 || names_off < 4 || ops_off + 4 > tsize || names_off + 4 > tsize) return false;
    /* both are offsets to vectors somewhere in the file */
    for (int k = 0; k < 2; k++) {
        uint16_t off = k ? names_off : ops_off;
        if ((size_t)root + off + 4 > len) return false;
        uint32_t rel;
        memcpy(&rel, buf + root + off, 4);
        if (rel == 0 || (uint64_t)root + off + rel + 4 > file_size) return false;
    }
    return true;
}
