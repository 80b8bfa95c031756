/* yolo_blocks: emitters for the blocks of YOLOv3u (ZeroPad2d, SPP), the Ghost variants
 * (GhostConv, GhostBottleneck), YOLOv9 (RepConv, RepNCSPELAN4/ELAN1, AConv, ADown, SPPELAN,
 * CBLinear, CBFuse), YOLOv10 (SCDown, CIB, RepVGGDW, PSA) and YOLO12 (A2C2f, ABlock, AAttn).
 * Each mirrors the module's eval-mode forward (the export form where the peer switches one,
 * e.g. split instead of chunk); the containers that only chain children (C3Ghost, RepCSP,
 * RepBottleneck, C2fCIB) reuse the C3 / Bottleneck / C2f emitters. */
#include "engine/builder/yolo_impl.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define EMIT_ARGS Builder *b, const ModNode *m, const char *path, const Scope *sc, int mod, const int *x, int nx, int *out

static int one_input(Builder *b, const ModNode *m, const char *path, int nx)
{
    if (nx != 1) return yb_fail(b, path, "%s takes one input, the layer gives it %d", m->type, nx);
    return 0;
}

static int split2(Builder *b, const char *path, const char *scope, int mod, int y, int *halves)
{
    int64_t c = yb_dim(b, y, 1);
    if (c <= 0 || c % 2) return yb_fail(b, path, "cannot split %lld channels into two halves", (long long)c);
    int64_t sizes[2] = {c / 2, c / 2};
    return yb_split(b, scope, mod, y, 1, sizes, 2, halves) < 0 ? -1 : 0;
}

/* nn.ZeroPad2d(padding): padding (left, right, top, bottom), or one number for all sides. */
int emit_zeropad2d(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    const ModAttr *p = modtree_attr(m, "padding");
    int64_t lrtb[4];
    if (p && p->kind == MA_INTS && p->count == 4) {
        memcpy(lrtb, p->ints, sizeof lrtb);
    } else if (p && p->kind == MA_INT) {
        lrtb[0] = lrtb[1] = lrtb[2] = lrtb[3] = p->i;
    } else {
        return yb_fail(b, path, "ZeroPad2d needs a padding of 1 or 4 integers");
    }
    for (int i = 0; i < 4; i++)
        if (lrtb[i] < 0 || lrtb[i] > 4096) return yb_fail(b, path, "ZeroPad2d padding out of range");
    int64_t pads[4] = {lrtb[2], lrtb[0], lrtb[3], lrtb[1]};
    *out = yb_pad(b, sc->scope, mod, x[0], pads);
    return *out < 0 ? -1 : 0;
}

/* GhostConv: y = cv1(x); cat(y, cv2(y)). */
int emit_ghostconv(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int ys[2];
    if (yb_call(b, m, path, sc, "cv1", x, 1, &ys[0]) || yb_call(b, m, path, sc, "cv2", &ys[0], 1, &ys[1])) return -1;
    *out = yb_concat(b, sc->scope, mod, ys, 2, 1);
    return *out < 0 ? -1 : 0;
}

/* GhostBottleneck: conv(x) + shortcut(x) (both Sequential, or Identity). */
int emit_ghostbottleneck(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int a, s;
    if (yb_call(b, m, path, sc, "conv", x, 1, &a) || yb_call(b, m, path, sc, "shortcut", x, 1, &s)) return -1;
    *out = yb_binary(b, sc->scope, mod, OP_ADD, a, s);
    return *out < 0 ? -1 : 0;
}

/* RepConv: act(conv1(x) + conv2(x) [+ bn(x)]), or act(conv(x)) once fused. */
int emit_repconv(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int y;
    if (yb_child(m, "conv")) {
        if (yb_call(b, m, path, sc, "conv", x, 1, &y)) return -1;
    } else {
        int a, c;
        if (yb_call(b, m, path, sc, "conv1", x, 1, &a) || yb_call(b, m, path, sc, "conv2", x, 1, &c)) return -1;
        y = yb_binary(b, sc->scope, mod, OP_ADD, a, c);
        if (y < 0) return -1;
        if (yb_child(m, "bn")) {
            int id;
            if (yb_call(b, m, path, sc, "bn", x, 1, &id)) return -1;
            y = yb_binary(b, sc->scope, mod, OP_ADD, y, id);
        }
    }
    if (y >= 0 && yb_child(m, "act") && yb_call(b, m, path, sc, "act", &y, 1, &y)) return -1;
    *out = y;
    return y < 0 ? -1 : 0;
}

/* RepNCSPELAN4 and ELAN1 (forward_split): y = split(cv1(x)); y += cv2(y[-1]), cv3(y[-1]);
 * cv4(cat(y)). */
int emit_elan(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int ys[4];
    if (yb_call(b, m, path, sc, "cv1", x, 1, &ys[0]) || split2(b, path, sc->scope, mod, ys[0], ys) ||
        yb_call(b, m, path, sc, "cv2", &ys[1], 1, &ys[2]) || yb_call(b, m, path, sc, "cv3", &ys[2], 1, &ys[3]))
        return -1;
    int cat = yb_concat(b, sc->scope, mod, ys, 4, 1);
    if (cat < 0) return -1;
    return yb_call(b, m, path, sc, "cv4", &cat, 1, out);
}

/* avg_pool2d(x, 2, 1, 0, ceil_mode=False, count_include_pad=True), as AConv and ADown open. */
static int avgpool2(Builder *b, const char *scope, int mod, int x)
{
    int64_t k[2] = {2, 2}, s[2] = {1, 1}, p[4] = {0, 0, 0, 0};
    return yb_pool(b, scope, mod, OP_AVGPOOL, x, k, s, p, false, true);
}

/* AConv: cv1(avg_pool2d(x, 2, 1)). */
int emit_aconv(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int y = avgpool2(b, sc->scope, mod, x[0]);
    if (y < 0) return -1;
    return yb_call(b, m, path, sc, "cv1", &y, 1, out);
}

/* ADown: x = avg_pool2d(x, 2, 1); a, c = chunk(x, 2); cat(cv1(a), cv2(max_pool2d(c, 3, 2, 1))). */
int emit_adown(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int y = avgpool2(b, sc->scope, mod, x[0]), h[2];
    if (y < 0 || split2(b, path, sc->scope, mod, y, h)) return -1;
    int ys[2];
    if (yb_call(b, m, path, sc, "cv1", &h[0], 1, &ys[0])) return -1;
    int64_t k[2] = {3, 3}, s[2] = {2, 2}, p[4] = {1, 1, 1, 1};
    int mp = yb_pool(b, sc->scope, mod, OP_MAXPOOL, h[1], k, s, p, false, false);
    if (mp < 0 || yb_call(b, m, path, sc, "cv2", &mp, 1, &ys[1])) return -1;
    *out = yb_concat(b, sc->scope, mod, ys, 2, 1);
    return *out < 0 ? -1 : 0;
}

/* SPPELAN: y = [cv1(x)]; cv2..cv4 (max pools) each on the last; cv5(cat(y)). */
int emit_sppelan(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    static const char *const pools[3] = {"cv2", "cv3", "cv4"};
    int ys[4];
    if (yb_call(b, m, path, sc, "cv1", x, 1, &ys[0])) return -1;
    for (int i = 0; i < 3; i++)
        if (yb_call(b, m, path, sc, pools[i], &ys[i], 1, &ys[i + 1])) return -1;
    int cat = yb_concat(b, sc->scope, mod, ys, 4, 1);
    if (cat < 0) return -1;
    return yb_call(b, m, path, sc, "cv5", &cat, 1, out);
}

/* SPP: y = cv1(x); cv2(cat(y, m[0](y), m[1](y), ...)). */
int emit_spp(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    const ModNode *list = yb_child(m, "m");
    if (!list || list->n_children < 1 || list->n_children > 15) return yb_fail(b, path, "SPP needs 1 to 15 pools in 'm'");
    int ys[16];
    if (yb_call(b, m, path, sc, "cv1", x, 1, &ys[0])) return -1;
    const char *mpath = yb_path(b, path, "m");
    for (int i = 0; i < list->n_children; i++) {
        const ModNode *p = list->children[i];
        if (yb_call_node(b, p, yb_path(b, mpath, p->name), sc, &ys[0], 1, &ys[i + 1])) return -1;
    }
    int cat = yb_concat(b, sc->scope, mod, ys, list->n_children + 1, 1);
    if (cat < 0) return -1;
    return yb_call(b, m, path, sc, "cv2", &cat, 1, out);
}

/* CBLinear: conv(x).split(c2s): the layer's output is the tuple of parts (CBFuse picks one). */
int emit_cblinear(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    const ModAttr *c2s = modtree_attr(m, "c2s");
    if (!c2s || c2s->kind != MA_INTS || c2s->count < 1 || c2s->count > 16)
        return yb_fail(b, path, "CBLinear needs c2s, a list of 1 to 16 channel counts");
    int y;
    if (yb_call(b, m, path, sc, "conv", x, 1, &y)) return -1;
    int parts[16];
    if (c2s->count == 1) {
        parts[0] = y;
    } else if (yb_split(b, sc->scope, mod, y, 1, c2s->ints, c2s->count, parts) < 0) {
        return -1;
    }
    yb_tuple_set(b, y, parts, c2s->count);
    *out = y;
    return b->failed ? -1 : 0;
}

/* CBFuse(idx): sum of the chosen part of each earlier CBLinear tuple, resized (nearest) to the
 * last input's size, and the last input. */
int emit_cbfuse(EMIT_ARGS)
{
    const ModAttr *idx = modtree_attr(m, "idx");
    if (nx < 2 || !idx || idx->kind != MA_INTS || idx->count != nx - 1)
        return yb_fail(b, path, "CBFuse needs one index per tuple input and a last input");
    const char *s = sc->scope;
    int last = x[nx - 1];
    int64_t th = yb_dim(b, last, 2), tw = yb_dim(b, last, 3);
    int acc = -1;
    for (int i = 0; i < nx - 1; i++) {
        int n;
        const int *parts = yb_tuple_get(b, x[i], &n);
        if (!parts) return yb_fail(b, path, "CBFuse input %d is not a CBLinear layer", i);
        if (idx->ints[i] < 0 || idx->ints[i] >= n) return yb_fail(b, path, "CBFuse index %lld out of range", (long long)idx->ints[i]);
        int p = parts[idx->ints[i]];
        int64_t h = yb_dim(b, p, 2), w = yb_dim(b, p, 3);
        if (h <= 0 || w <= 0 || th <= 0 || tw <= 0) return yb_fail(b, path, "CBFuse needs static feature map sizes");
        double fh = (double)th / (double)h, fw = (double)tw / (double)w;
        if (fh != fw || (fh >= 1 ? fh != floor(fh) : 1.0 / fh != floor(1.0 / fh)))
            return yb_fail(b, path, "CBFuse resizes %lldx%lld to %lldx%lld, not by a power of two", (long long)h,
                           (long long)w, (long long)th, (long long)tw);
        int r = fh == 1.0 ? p : yb_resize_nearest(b, s, mod, p, (float)fh);
        acc = acc < 0 ? r : yb_binary(b, s, mod, OP_ADD, acc, r);
        if (acc < 0) return -1;
    }
    *out = yb_binary(b, s, mod, OP_ADD, acc, last);
    return *out < 0 ? -1 : 0;
}

/* cv2(cv1(x)): SCDown. */
int emit_chain2(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int y;
    if (yb_call(b, m, path, sc, "cv1", x, 1, &y)) return -1;
    return yb_call(b, m, path, sc, "cv2", &y, 1, out);
}

/* CIB: x + cv1(x) when `add`, else cv1(x). */
int emit_cib(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int y;
    if (yb_call(b, m, path, sc, "cv1", x, 1, &y)) return -1;
    if (modtree_attr_int(m, "add", 0)) {
        if (yb_dim(b, x[0], 1) != yb_dim(b, y, 1)) return yb_fail(b, path, "CIB shortcut with unequal channels");
        y = yb_binary(b, sc->scope, mod, OP_ADD, x[0], y);
    }
    *out = y;
    return y < 0 ? -1 : 0;
}

/* RepVGGDW: act(conv(x) + conv1(x)), or act(conv(x)) once fused. */
int emit_repvggdw(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int y;
    if (yb_call(b, m, path, sc, "conv", x, 1, &y)) return -1;
    if (yb_child(m, "conv1")) {
        int c;
        if (yb_call(b, m, path, sc, "conv1", x, 1, &c)) return -1;
        y = yb_binary(b, sc->scope, mod, OP_ADD, y, c);
    }
    if (y >= 0 && yb_call(b, m, path, sc, "act", &y, 1, &y)) return -1;
    *out = y;
    return y < 0 ? -1 : 0;
}

/* PSA: a, c = cv1(x).split(2); c = c + attn(c); c = c + ffn(c); cv2(cat(a, c)). */
int emit_psa(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    const char *s = sc->scope;
    int y, h[2], t;
    if (yb_call(b, m, path, sc, "cv1", x, 1, &y) || split2(b, path, s, mod, y, h)) return -1;
    if (yb_call(b, m, path, sc, "attn", &h[1], 1, &t)) return -1;
    int c = yb_binary(b, s, mod, OP_ADD, h[1], t);
    if (c < 0 || yb_call(b, m, path, sc, "ffn", &c, 1, &t)) return -1;
    c = yb_binary(b, s, mod, OP_ADD, c, t);
    int xs[2] = {h[0], c};
    int cat = yb_concat(b, s, mod, xs, 2, 1);
    if (cat < 0) return -1;
    return yb_call(b, m, path, sc, "cv2", &cat, 1, out);
}

/* A2C2f: y = [cv1(x)]; each m[i] on the last; y = cv2(cat(y)); with gamma (residual):
 * x + gamma.view(1, C, 1, 1) * y. */
int emit_a2c2f(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    const char *s = sc->scope;
    const ModNode *list = yb_child(m, "m");
    if (!list || list->n_children > 62) return yb_fail(b, path, "A2C2f needs 'm' with at most 62 blocks");
    int ys[64];
    if (yb_call(b, m, path, sc, "cv1", x, 1, &ys[0])) return -1;
    const char *mpath = yb_path(b, path, "m");
    for (int i = 0; i < list->n_children; i++) {
        const ModNode *blk = list->children[i];
        if (yb_call_node(b, blk, yb_path(b, mpath, blk->name), sc, &ys[i], 1, &ys[i + 1])) return -1;
    }
    int cat = yb_concat(b, s, mod, ys, list->n_children + 1, 1);
    int y;
    if (cat < 0 || yb_call(b, m, path, sc, "cv2", &cat, 1, &y)) return -1;
    if (modtree_tensor(m, "gamma")) {
        int g = yb_param(b, m, path, "gamma", true);
        int64_t c = yb_dim(b, y, 1);
        if (g < 0 || tensor_numel(yb_t(b, g)) != c || yb_dim(b, x[0], 1) != c)
            return yb_fail(b, path, "A2C2f gamma does not match %lld channels", (long long)c);
        int64_t shp[4] = {1, c, 1, 1};
        int g4 = yb_reshape(b, s, mod, g, shp, 4);
        y = yb_binary(b, s, mod, OP_ADD, x[0], yb_binary(b, s, mod, OP_MUL, g4, y));
    }
    *out = y;
    return y < 0 ? -1 : 0;
}

/* ABlock: x = x + attn(x); x + mlp(x). */
int emit_ablock(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int a, f;
    if (yb_call(b, m, path, sc, "attn", x, 1, &a)) return -1;
    int y = yb_binary(b, sc->scope, mod, OP_ADD, x[0], a);
    if (y < 0 || yb_call(b, m, path, sc, "mlp", &y, 1, &f)) return -1;
    *out = yb_binary(b, sc->scope, mod, OP_ADD, y, f);
    return *out < 0 ? -1 : 0;
}

/* [B, N, C] -> [B, C, H, W] (x.reshape(B, H, W, C).permute(0, 3, 1, 2)), with B/H/W from
 * the shape of `like` in a dynamic build. */
static int tokens_to_map(Builder *b, const char *s, int mod, int t, int like)
{
    int64_t B = yb_dim(b, like, 0), C = yb_dim(b, like, 1), H = yb_dim(b, like, 2), W = yb_dim(b, like, 3);
    int64_t nominal[4] = {B, H, W, C};
    int y;
    if (b->dynamic) {
        int shp = yb_shape(b, s, mod, like);
        int64_t order[4] = {0, 2, 3, 1};
        int64_t four = 4;
        int idx = yb_const_i64(b, s, "Constant", 1, &four, order);
        int bhwc = yb_gather(b, s, mod, shp, idx, 0);
        y = yb_reshape_dyn(b, s, mod, t, bhwc, 4, nominal);
    } else {
        y = yb_reshape(b, s, mod, t, nominal, 4);
    }
    int64_t perm[4] = {0, 3, 1, 2};
    return yb_transpose(b, s, mod, y, perm, 4);
}

/* AAttn (area attention) over N = H*W positions split into `area` groups of N/area, nh heads
 * of hd channels:
 *   qkv = qkv(x).flatten(2).transpose(1, 2)            [B, N, 3C]
 *   per area and head: q, k, v = view(.., nh, 3hd).permute -> [.., nh, hd, N/area] each
 *   x = v @ softmax(q^T k * hd^-0.5)^T, back to [B, C, H, W]; proj(x + pe(v)).
 * With static shapes the areas fold into the batch (4-d products); with dynamic ones they
 * stay an axis of their own (5-d products). */
int emit_aattn(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    const char *s = sc->scope;
    int64_t B = yb_dim(b, x[0], 0), C = yb_dim(b, x[0], 1), H = yb_dim(b, x[0], 2), W = yb_dim(b, x[0], 3);
    int64_t nh = modtree_attr_int(m, "num_heads", 0), area = modtree_attr_int(m, "area", 1);
    int64_t hd = modtree_attr_int(m, "head_dim", nh > 0 ? C / nh : 0);
    if (nh <= 0 || hd <= 0 || nh * hd != C || area < 1 || area > 4096)
        return yb_fail(b, path, "AAttn needs num_heads x head_dim = %lld channels and a positive area", (long long)C);
    int qkv;
    if (yb_call(b, m, path, sc, "qkv", x, 1, &qkv)) return -1;
    if (yb_dim(b, qkv, 1) != 3 * C) return yb_fail(b, path, "AAttn qkv gives %lld channels, not %lld", (long long)yb_dim(b, qkv, 1), (long long)(3 * C));
    bool fold = !b->dynamic;
    if (fold && (H * W) % area) return yb_fail(b, path, "AAttn: %lldx%lld positions do not split into %lld areas", (long long)H, (long long)W, (long long)area);
    int64_t Np = fold ? H * W / area : -1;
    /* [B, 3C, H, W] -> [B, 3C, N] -> [B, N, 3C] */
    int64_t flat[3] = {fold ? B : 0, 3 * C, -1};
    int t = yb_reshape(b, s, mod, qkv, flat, 3);
    int64_t p021[3] = {0, 2, 1};
    t = yb_transpose(b, s, mod, t, p021, 3);
    int q3[3];
    int64_t sizes[3] = {hd, hd, hd};
    int attn, o;
    double scale = pow((double)hd, -0.5);
    if (fold) {
        int64_t v4[4] = {B * area, Np, nh, 3 * hd};
        int64_t p0231[4] = {0, 2, 3, 1};
        t = yb_reshape(b, s, mod, t, v4, 4);
        t = yb_transpose(b, s, mod, t, p0231, 4); /* [B*area, nh, 3hd, N'] */
        if (t < 0 || yb_split(b, s, mod, t, 2, sizes, 3, q3) < 0) return -1;
        int64_t pt[4] = {0, 1, 3, 2};
        int qt = yb_transpose(b, s, mod, q3[0], pt, 4);
        attn = yb_matmul(b, s, mod, qt, q3[1]);
        attn = yb_binary(b, s, mod, OP_MUL, attn, yb_scalar_f32(b, s, (float)scale));
        attn = yb_softmax(b, s, mod, attn, -1);
        int at = yb_transpose(b, s, mod, attn, pt, 4);
        o = yb_matmul(b, s, mod, q3[2], at); /* [B*area, nh, hd, N'] */
        int64_t p0312[4] = {0, 3, 1, 2};
        int64_t bnc[3] = {B, H * W, C};
        o = yb_reshape(b, s, mod, yb_transpose(b, s, mod, o, p0312, 4), bnc, 3);
        int vv = yb_reshape(b, s, mod, yb_transpose(b, s, mod, q3[2], p0312, 4), bnc, 3);
        o = tokens_to_map(b, s, mod, o, x[0]);
        vv = tokens_to_map(b, s, mod, vv, x[0]);
        q3[2] = vv;
    } else {
        int64_t v5[5] = {0, area, -1, nh, 3 * hd};
        int64_t p5[5] = {0, 1, 3, 4, 2};
        t = yb_reshape(b, s, mod, t, v5, 5);
        t = yb_transpose(b, s, mod, t, p5, 5); /* [B, area, nh, 3hd, N'] */
        if (t < 0 || yb_split(b, s, mod, t, 3, sizes, 3, q3) < 0) return -1;
        int64_t pt[5] = {0, 1, 2, 4, 3};
        int qt = yb_transpose(b, s, mod, q3[0], pt, 5);
        attn = yb_matmul(b, s, mod, qt, q3[1]);
        attn = yb_binary(b, s, mod, OP_MUL, attn, yb_scalar_f32(b, s, (float)scale));
        attn = yb_softmax(b, s, mod, attn, -1);
        int at = yb_transpose(b, s, mod, attn, pt, 5);
        o = yb_matmul(b, s, mod, q3[2], at); /* [B, area, nh, hd, N'] */
        int64_t back[5] = {0, 1, 4, 2, 3};
        int64_t bnc[3] = {0, -1, C};
        o = yb_reshape(b, s, mod, yb_transpose(b, s, mod, o, back, 5), bnc, 3);
        int vv = yb_reshape(b, s, mod, yb_transpose(b, s, mod, q3[2], back, 5), bnc, 3);
        o = tokens_to_map(b, s, mod, o, x[0]);
        q3[2] = tokens_to_map(b, s, mod, vv, x[0]);
    }
    int pe;
    if (o < 0 || q3[2] < 0 || yb_call(b, m, path, sc, "pe", &q3[2], 1, &pe)) return -1;
    int sum = yb_binary(b, s, mod, OP_ADD, o, pe);
    if (sum < 0) return -1;
    return yb_call(b, m, path, sc, "proj", &sum, 1, out);
}
