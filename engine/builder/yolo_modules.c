/* yolo_modules: emitters for the backbone and neck module kinds (torch.nn leaves and
 * Ultralytics blocks).  Each mirrors the module's forward in eval mode, with C2f/C3k2 in
 * their export form (forward_split). */
#include "engine/builder/yolo_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define EMIT_ARGS Builder *b, const ModNode *m, const char *path, const Scope *sc, int mod, const int *x, int nx, int *out

/* Geometry read from a checkpoint is untrusted: keep it in a range no real model leaves. */
#define MAX_GEOMETRY 4096

static bool geometry_ok(const int64_t *v, int n, int64_t lo)
{
    for (int i = 0; i < n; i++)
        if (v[i] < lo || v[i] > MAX_GEOMETRY) return false;
    return true;
}

static int need_inputs(Builder *b, const ModNode *m, const char *path, int nx, int want)
{
    if (nx != want) return yb_fail(b, path, "%s takes %d input(s), the layer gives it %d", m->type, want, nx);
    return 0;
}

int emit_sequential(EMIT_ARGS)
{
    if (!m->n_children) return yb_fail(b, path, "empty Sequential");
    int cur[16];
    int n = nx < 16 ? nx : 16;
    memcpy(cur, x, sizeof(int) * (size_t)n);
    for (int i = 0; i < m->n_children; i++) {
        int y;
        if (yb_call_node(b, m->children[i], yb_path(b, path, m->children[i]->name), sc, cur, n, &y)) return -1;
        cur[0] = y;
        n = 1;
    }
    *out = cur[0];
    return 0;
}

/* Conv / DWConv: act(bn(conv(x))); a fused checkpoint has no bn, act may be Identity. */
int emit_conv_block(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int y;
    if (yb_call(b, m, path, sc, "conv", x, 1, &y)) return -1;
    if (yb_child(m, "bn") && yb_call(b, m, path, sc, "bn", &y, 1, &y)) return -1;
    if (yb_child(m, "act") && yb_call(b, m, path, sc, "act", &y, 1, &y)) return -1;
    *out = y;
    return 0;
}

static void attr_pair(const ModNode *m, const char *name, int64_t dflt, int64_t out[2])
{
    out[0] = modtree_attr_int_at(m, name, 0, dflt);
    out[1] = modtree_attr_int_at(m, name, 1, dflt);
}

int emit_conv2d(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int w = yb_param(b, m, path, "weight", true);
    int bias = yb_param(b, m, path, "bias", false);
    if (w < 0) return -1;
    Tensor *W = yb_t(b, w);
    if (W->rank != 4) return yb_fail(b, path, "Conv2d weight is not 4-d");
    int64_t stride[2], pad[2], dil[2];
    attr_pair(m, "stride", 1, stride);
    attr_pair(m, "dilation", 1, dil);
    /* padding: as recorded, else "same" padding for the kernel (autopad) */
    const ModAttr *pa = modtree_attr(m, "padding");
    if (pa && pa->kind == MA_STR)
        return yb_fail(b, path, "Conv2d padding '%s' is not supported", pa->s ? pa->s : "");
    pad[0] = modtree_attr_int_at(m, "padding", 0, dil[0] * (W->dims[2] - 1) / 2);
    pad[1] = modtree_attr_int_at(m, "padding", 1, dil[1] * (W->dims[3] - 1) / 2);
    const ModAttr *pm = modtree_attr(m, "padding_mode");
    if (pm && pm->kind == MA_STR && pm->s && strcmp(pm->s, "zeros"))
        return yb_fail(b, path, "Conv2d padding_mode '%s' is not supported", pm->s);
    int64_t cin = yb_dim(b, x[0], 1);
    int64_t group = modtree_attr_int(m, "groups", W->dims[1] > 0 && cin > 0 ? cin / W->dims[1] : 1);
    if (!geometry_ok(stride, 2, 1) || !geometry_ok(dil, 2, 1) || !geometry_ok(pad, 2, 0))
        return yb_fail(b, path, "Conv2d has an invalid stride, padding or dilation");
    int64_t pads[4] = {pad[0], pad[1], pad[0], pad[1]};
    *out = yb_conv(b, sc->scope, mod, x[0], w, bias, stride, pads, dil, group);
    return *out < 0 ? -1 : 0;
}

int emit_conv_transpose2d(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int w = yb_param(b, m, path, "weight", true);
    int bias = yb_param(b, m, path, "bias", false);
    if (w < 0) return -1;
    int64_t stride[2], pad[2], dil[2], opad[2];
    attr_pair(m, "stride", 1, stride);
    attr_pair(m, "padding", 0, pad);
    attr_pair(m, "dilation", 1, dil);
    attr_pair(m, "output_padding", 0, opad);
    int64_t group = modtree_attr_int(m, "groups", 1);
    if (!geometry_ok(stride, 2, 1) || !geometry_ok(dil, 2, 1) || !geometry_ok(pad, 2, 0) || !geometry_ok(opad, 2, 0))
        return yb_fail(b, path, "ConvTranspose2d has an invalid stride, padding or dilation");
    int64_t pads[4] = {pad[0], pad[1], pad[0], pad[1]};
    *out = yb_conv_transpose(b, sc->scope, mod, x[0], w, bias, stride, pads, dil, group, opad);
    return *out < 0 ? -1 : 0;
}

int emit_batchnorm2d(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int s = yb_param(b, m, path, "weight", true);
    int bi = yb_param(b, m, path, "bias", true);
    int mean = yb_param(b, m, path, "running_mean", true);
    int var = yb_param(b, m, path, "running_var", true);
    if (s < 0 || bi < 0 || mean < 0 || var < 0) return -1;
    double eps = modtree_attr_float(m, "eps", 1e-5);
    double momentum = modtree_attr_float(m, "momentum", 0.1);
    *out = yb_batchnorm(b, sc->scope, mod, x[0], s, bi, mean, var, eps, momentum);
    return *out < 0 ? -1 : 0;
}

int emit_silu(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    *out = yb_unary(b, sc->scope, mod, OP_SILU, NULL, x[0]);
    return *out < 0 ? -1 : 0;
}

int emit_relu(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    *out = yb_unary(b, sc->scope, mod, OP_RELU, NULL, x[0]);
    return *out < 0 ? -1 : 0;
}

int emit_sigmoid(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    *out = yb_unary(b, sc->scope, mod, OP_SIGMOID, NULL, x[0]);
    return *out < 0 ? -1 : 0;
}

/* Identity, and Dropout (a no-op in eval mode). */
int emit_identity(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    *out = x[0];
    return 0;
}

int emit_maxpool2d(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int64_t k = modtree_attr_int_at(m, "kernel_size", 0, 0);
    int64_t s = modtree_attr_int_at(m, "stride", 0, k);
    int64_t p = modtree_attr_int_at(m, "padding", 0, 0);
    int64_t d = modtree_attr_int_at(m, "dilation", 0, 1);
    /* ceil_mode changes nothing with stride 1 (HGStem's pool) */
    if (modtree_attr_int(m, "ceil_mode", 0) && modtree_attr_int_at(m, "stride", 0, k) != 1)
        return yb_fail(b, path, "MaxPool2d ceil_mode is not supported");
    if (k <= 0 || k > MAX_GEOMETRY || s <= 0 || s > MAX_GEOMETRY || p < 0 || p > k / 2 || d != 1 ||
        modtree_attr_int_at(m, "kernel_size", 1, k) != k)
        return yb_fail(b, path, "MaxPool2d needs a square kernel, positive stride and dilation 1");
    *out = yb_maxpool(b, sc->scope, mod, x[0], k, s, p);
    return *out < 0 ? -1 : 0;
}

int emit_upsample(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    const ModAttr *mode = modtree_attr(m, "mode");
    if (mode && mode->kind == MA_STR && mode->s && strcmp(mode->s, "nearest"))
        return yb_fail(b, path, "Upsample mode '%s' is not supported (only nearest)", mode->s);
    const ModAttr *sf = modtree_attr(m, "scale_factor");
    double scale = 0;
    if (sf && (sf->kind == MA_FLOAT || sf->kind == MA_INT)) scale = modtree_attr_float(m, "scale_factor", 0);
    else if (sf && sf->kind == MA_INTS && sf->count > 0) scale = (double)sf->ints[0];
    if (scale <= 0 || scale > 64 || scale != floor(scale))
        return yb_fail(b, path, "Upsample needs an integer scale_factor (a fixed output size is not supported)");
    *out = yb_resize_nearest(b, sc->scope, mod, x[0], (float)scale);
    return *out < 0 ? -1 : 0;
}

int emit_concat(EMIT_ARGS)
{
    int64_t d = modtree_attr_int(m, "d", 1);
    if (nx < 1) return yb_fail(b, path, "Concat takes a list of inputs");
    *out = yb_concat(b, sc->scope, mod, x, nx, (int)d);
    return *out < 0 ? -1 : 0;
}

/* x + cv2(cv1(x)) when `add` (shortcut and c1 == c2), else cv2(cv1(x)). */
int emit_bottleneck(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int y;
    if (yb_call(b, m, path, sc, "cv1", x, 1, &y) || yb_call(b, m, path, sc, "cv2", &y, 1, &y)) return -1;
    if (modtree_attr_int(m, "add", 0)) {
        if (yb_dim(b, x[0], 1) != yb_dim(b, y, 1)) return yb_fail(b, path, "Bottleneck shortcut with unequal channels");
        y = yb_binary(b, sc->scope, mod, OP_ADD, x[0], y);
    }
    *out = y;
    return y < 0 ? -1 : 0;
}

/* Split cv1's output into two halves along channels. */
static int split_halves(Builder *b, const char *path, const char *scope, int mod, int y, int *halves)
{
    int64_t c = yb_dim(b, y, 1);
    if (c <= 0 || c % 2) return yb_fail(b, path, "cannot split %lld channels into two halves", (long long)c);
    int64_t sizes[2] = {c / 2, c / 2};
    return yb_split(b, scope, mod, y, 1, sizes, 2, halves) < 0 ? -1 : 0;
}

/* C2f and C3k2 (forward_split): y = split(cv1(x)); each m[i] applied to the last piece
 * and appended; cv2(cat(y)). */
int emit_c2f(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int y;
    if (yb_call(b, m, path, sc, "cv1", x, 1, &y)) return -1;
    const ModNode *list = yb_child(m, "m");
    if (!list) return yb_fail(b, path, "%s has no 'm' submodule", m->type);
    int n = list->n_children;
    if (n > 64) return yb_fail(b, path, "%s has too many blocks", m->type);
    int ys[66];
    if (split_halves(b, path, sc->scope, mod, y, ys)) return -1;
    const char *mpath = yb_path(b, path, "m");
    for (int i = 0; i < n; i++) {
        const ModNode *blk = list->children[i];
        if (yb_call_node(b, blk, yb_path(b, mpath, blk->name), sc, &ys[i + 1], 1, &ys[i + 2])) return -1;
    }
    int cat = yb_concat(b, sc->scope, mod, ys, n + 2, 1);
    if (cat < 0) return -1;
    return yb_call(b, m, path, sc, "cv2", &cat, 1, out);
}

/* C3 and C3k: cv3(cat(m(cv1(x)), cv2(x))). */
int emit_c3(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int a, c;
    if (yb_call(b, m, path, sc, "cv1", x, 1, &a) || yb_call(b, m, path, sc, "m", &a, 1, &a) ||
        yb_call(b, m, path, sc, "cv2", x, 1, &c))
        return -1;
    int xs[2] = {a, c};
    int cat = yb_concat(b, sc->scope, mod, xs, 2, 1);
    if (cat < 0) return -1;
    return yb_call(b, m, path, sc, "cv3", &cat, 1, out);
}

/* C2: a, b = cv1(x).chunk(2); cv2(cat(m(a), b)). */
int emit_c2(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int y, h[2];
    if (yb_call(b, m, path, sc, "cv1", x, 1, &y) || split_halves(b, path, sc->scope, mod, y, h)) return -1;
    int a;
    if (yb_call(b, m, path, sc, "m", &h[0], 1, &a)) return -1;
    int xs[2] = {a, h[1]};
    int cat = yb_concat(b, sc->scope, mod, xs, 2, 1);
    if (cat < 0) return -1;
    return yb_call(b, m, path, sc, "cv2", &cat, 1, out);
}

/* SPPF: y0 = cv1(x); y1..y3 = m applied in series; cv2(cat(y0..y3)). */
int emit_sppf(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int ys[4];
    if (yb_call(b, m, path, sc, "cv1", x, 1, &ys[0])) return -1;
    for (int i = 1; i < 4; i++)
        if (yb_call(b, m, path, sc, "m", &ys[i - 1], 1, &ys[i])) return -1;
    int cat = yb_concat(b, sc->scope, mod, ys, 4, 1);
    if (cat < 0) return -1;
    return yb_call(b, m, path, sc, "cv2", &cat, 1, out);
}

/* C2PSA: a, b = cv1(x).split((c, c)); cv2(cat(a, m(b))). */
int emit_c2psa(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int y, h[2];
    if (yb_call(b, m, path, sc, "cv1", x, 1, &y) || split_halves(b, path, sc->scope, mod, y, h)) return -1;
    int r;
    if (yb_call(b, m, path, sc, "m", &h[1], 1, &r)) return -1;
    int xs[2] = {h[0], r};
    int cat = yb_concat(b, sc->scope, mod, xs, 2, 1);
    if (cat < 0) return -1;
    return yb_call(b, m, path, sc, "cv2", &cat, 1, out);
}

/* PSABlock: x = x + attn(x); x = x + ffn(x) (without the sums when not `add`). */
int emit_psablock(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    bool add = modtree_attr_int(m, "add", 1) != 0;
    int a;
    if (yb_call(b, m, path, sc, "attn", x, 1, &a)) return -1;
    int y = add ? yb_binary(b, sc->scope, mod, OP_ADD, x[0], a) : a;
    if (y < 0) return -1;
    int f;
    if (yb_call(b, m, path, sc, "ffn", &y, 1, &f)) return -1;
    *out = add ? yb_binary(b, sc->scope, mod, OP_ADD, y, f) : f;
    return *out < 0 ? -1 : 0;
}

/* Attention (dim C, nh heads, key_dim kd, head_dim hd) over N = H*W positions. */
int emit_attention(EMIT_ARGS)
{
    if (need_inputs(b, m, path, nx, 1)) return -1;
    int64_t B = yb_dim(b, x[0], 0), C = yb_dim(b, x[0], 1), H = yb_dim(b, x[0], 2), W = yb_dim(b, x[0], 3);
    int64_t nh = modtree_attr_int(m, "num_heads", 0);
    if (nh <= 0 || C <= 0 || C % nh) return yb_fail(b, path, "Attention needs num_heads dividing %lld channels", (long long)C);
    int64_t hd = modtree_attr_int(m, "head_dim", C / nh);
    int64_t kd = modtree_attr_int(m, "key_dim", -1);
    int qkv;
    if (yb_call(b, m, path, sc, "qkv", x, 1, &qkv)) return -1;
    int64_t qc = yb_dim(b, qkv, 1);
    if (kd < 0) kd = (qc - C) / (2 * nh);
    if (kd <= 0 || qc != nh * (2 * kd + hd) || hd * nh != C)
        return yb_fail(b, path, "Attention qkv has %lld channels, expected %lld", (long long)qc,
                       (long long)(nh * (2 * kd + hd)));
    double scale = modtree_attr_float(m, "scale", pow((double)kd, -0.5));
    const char *s = sc->scope;
    int64_t shp[4] = {yb_bdim(b) ? 0 : B, nh, 2 * kd + hd, -1};
    int r = yb_reshape(b, s, mod, qkv, shp, 4);
    int64_t sizes[3] = {kd, kd, hd};
    int qkv3[3];
    if (r < 0 || yb_split(b, s, mod, r, 2, sizes, 3, qkv3) < 0) return -1;
    int64_t perm[4] = {0, 1, 3, 2};
    int qt = yb_transpose(b, s, mod, qkv3[0], perm, 4);
    int attn = yb_matmul(b, s, mod, qt, qkv3[1]);
    attn = yb_binary(b, s, mod, OP_MUL, attn, yb_scalar_f32(b, s, (float)scale));
    attn = yb_softmax(b, s, mod, attn, -1);
    int at = yb_transpose(b, s, mod, attn, perm, 4);
    int o = yb_matmul(b, s, mod, qkv3[2], at);
    if (o < 0) return -1;
    int o4, v4;
    int64_t nominal[4] = {B, C, H, W};
    if (b->dynamic) {
        int xs = yb_shape(b, s, mod, x[0]);
        o4 = yb_reshape_dyn(b, s, mod, o, xs, 4, nominal);
        v4 = yb_reshape_dyn(b, s, mod, qkv3[2], xs, 4, nominal);
    } else {
        o4 = yb_reshape(b, s, mod, o, nominal, 4);
        v4 = yb_reshape(b, s, mod, qkv3[2], nominal, 4);
    }
    int pe;
    if (o4 < 0 || v4 < 0 || yb_call(b, m, path, sc, "pe", &v4, 1, &pe)) return -1;
    int sum = yb_binary(b, s, mod, OP_ADD, o4, pe);
    if (sum < 0) return -1;
    return yb_call(b, m, path, sc, "proj", &sum, 1, out);
}
