/* yolo_world: YOLO-World's modules — C2fAttn and its MaxSigmoidAttnBlock (features gated by
 * their best match with the class text embeddings), ImagePoolingAttn (v1: the text embeddings
 * refined by pooled image features), WorldDetect and its contrastive heads (class scores as the
 * similarity of each position's embedding with each class text).
 *
 * The text embeddings are the ones the checkpoint holds (WorldModel.txt_feats, [1, nc, 512]);
 * they are constants of the graph, so the normalised class texts a contrastive head compares
 * with are computed here once and become a 1x1 convolution's weights.  Einsums are written
 * as MatMuls over transposed views. */
#include "engine/builder/yolo_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EMIT_ARGS Builder *b, const ModNode *m, const char *path, const Scope *sc, int mod, const int *x, int nx, int *out

/* t (B x ... elements) back to the shape of `like` [B, C, H, W]. */
static int like_map(Builder *b, const char *s, int mod, int t, int like)
{
    Tensor *L = yb_t(b, like);
    int64_t nominal[4] = {L->dims[0], L->dims[1], L->dims[2], L->dims[3]};
    if (b->dynamic) return yb_reshape_dyn(b, s, mod, t, yb_shape(b, s, mod, like), 4, nominal);
    return yb_reshape(b, s, mod, t, nominal, 4);
}

/* MaxSigmoidAttnBlock(x, guide):
 *   guide = gl(guide).view(B, nc, nh, hc); embed = ec(x) (or x).view(B, nh, hc, H, W)
 *   aw = max over classes of <embed, guide> / sqrt(hc) + bias; sigmoid(aw) * scale
 *   proj_conv(x).view(B, nh, -1, H, W) * aw, back to [B, C, H, W]. */
int emit_maxsigmoid_attn(EMIT_ARGS)
{
    if (nx != 2) return yb_fail(b, path, "MaxSigmoidAttnBlock takes features and text embeddings");
    const char *s = sc->scope;
    int64_t nh = modtree_attr_int(m, "nh", 0), hc = modtree_attr_int(m, "hc", 0);
    if (nh <= 0 || hc <= 0) return yb_fail(b, path, "MaxSigmoidAttnBlock needs nh and hc");
    int guide;
    if (yb_call(b, m, path, sc, "gl", &x[1], 1, &guide)) return -1;
    int64_t nc = yb_dim(b, guide, 1);
    if (yb_dim(b, guide, 2) != nh * hc)
        return yb_fail(b, path, "MaxSigmoidAttnBlock: %lld guide channels for %lld heads of %lld", (long long)yb_dim(b, guide, 2),
                       (long long)nh, (long long)hc);
    int64_t g4[4] = {0, nc, nh, hc}, p0231[4] = {0, 2, 3, 1};
    guide = yb_transpose(b, s, mod, yb_reshape(b, s, mod, guide, g4, 4), p0231, 4); /* [Bt, nh, hc, nc] */
    int embed = x[0];
    if (yb_child(m, "ec") && yb_call(b, m, path, sc, "ec", x, 1, &embed)) return -1;
    if (yb_dim(b, embed, 1) != nh * hc) return yb_fail(b, path, "MaxSigmoidAttnBlock: embedding width is not heads x hc");
    int64_t e4[4] = {yb_bdim(b) ? 0 : yb_dim(b, embed, 0), nh, hc, -1}, p0132[4] = {0, 1, 3, 2};
    int et = yb_transpose(b, s, mod, yb_reshape(b, s, mod, embed, e4, 4), p0132, 4); /* [B, nh, HW, hc] */
    int aw = yb_matmul_bc(b, s, mod, et, guide);                                      /* [B, nh, HW, nc] */
    int64_t last = -1;
    aw = yb_reduce(b, s, mod, OP_REDUCE_MAX, aw, &last, 1, false); /* [B, nh, HW] */
    aw = yb_binary(b, s, mod, OP_DIV, aw, yb_scalar_f32(b, s, (float)sqrt((double)hc)));
    int bias = yb_param(b, m, path, "bias", true);
    if (bias < 0) return -1;
    int64_t b3[3] = {1, nh, 1};
    aw = yb_binary(b, s, mod, OP_ADD, aw, yb_reshape(b, s, mod, bias, b3, 3));
    aw = yb_unary(b, s, mod, OP_SIGMOID, NULL, aw);
    if (modtree_tensor(m, "scale")) {
        int sc4 = yb_param(b, m, path, "scale", true);
        if (sc4 < 0) return -1;
        aw = yb_binary(b, s, mod, OP_MUL, aw, yb_reshape(b, s, mod, sc4, b3, 3));
    } else {
        double scale = modtree_attr_float(m, "scale", 1.0);
        if (scale != 1.0) aw = yb_binary(b, s, mod, OP_MUL, aw, yb_scalar_f32(b, s, (float)scale));
    }
    int px;
    if (aw < 0 || yb_call(b, m, path, sc, "proj_conv", x, 1, &px)) return -1;
    int64_t c2 = yb_dim(b, px, 1);
    if (c2 % nh) return yb_fail(b, path, "MaxSigmoidAttnBlock: %lld channels do not split into %lld heads", (long long)c2, (long long)nh);
    int64_t x4[4] = {yb_bdim(b) ? 0 : yb_dim(b, px, 0), nh, c2 / nh, -1};
    int64_t a4[4] = {yb_bdim(b) ? 0 : yb_dim(b, px, 0), nh, 1, -1};
    int y = yb_binary(b, s, mod, OP_MUL, yb_reshape(b, s, mod, px, x4, 4), yb_reshape(b, s, mod, aw, a4, 4));
    if (y < 0) return -1;
    *out = like_map(b, s, mod, y, px);
    return *out < 0 ? -1 : 0;
}

/* C2fAttn (forward_split): y = split(cv1(x)); each m[i] on the last; attn(last, text) appended;
 * cv2(cat(y)). */
int emit_c2fattn(EMIT_ARGS)
{
    if (nx != 1) return yb_fail(b, path, "C2fAttn takes one input");
    if (b->text < 0) return yb_fail(b, path, "C2fAttn needs the class text embeddings (WorldModel.txt_feats)");
    int y;
    if (yb_call(b, m, path, sc, "cv1", x, 1, &y)) return -1;
    const ModNode *list = yb_child(m, "m");
    if (!list || list->n_children > 60) return yb_fail(b, path, "C2fAttn needs 'm' with at most 60 blocks");
    int64_t c = yb_dim(b, y, 1);
    if (c <= 0 || c % 2) return yb_fail(b, path, "cannot split %lld channels into two halves", (long long)c);
    int64_t sizes[2] = {c / 2, c / 2};
    int ys[64];
    if (yb_split(b, sc->scope, mod, y, 1, sizes, 2, ys) < 0) return -1;
    int n = list->n_children;
    const char *mpath = yb_path(b, path, "m");
    for (int i = 0; i < n; i++) {
        const ModNode *blk = list->children[i];
        if (yb_call_node(b, blk, yb_path(b, mpath, blk->name), sc, &ys[i + 1], 1, &ys[i + 2])) return -1;
    }
    int in2[2] = {ys[n + 1], b->text};
    if (yb_call(b, m, path, sc, "attn", in2, 2, &ys[n + 2])) return -1;
    int cat = yb_concat(b, sc->scope, mod, ys, n + 3, 1);
    if (cat < 0) return -1;
    return yb_call(b, m, path, sc, "cv2", &cat, 1, out);
}

/* The window of adaptive pooling cell i of k over n positions: [start, end). */
static void adaptive_window(int64_t n, int64_t k, int64_t i, int64_t *start, int64_t *end)
{
    *start = (i * n) / k;
    *end = ((i + 1) * n + k - 1) / k;
}

/* ImagePoolingAttn(x[], text): each level projected (1x1) and max-pooled to k x k cells; the
 * text embeddings attend over those cells (nh heads of hc); the result, projected back to the
 * text width and scaled, is added to the text.  The layer refines the text (Builder.text); its
 * own output is its first input, as the peer's layer leaves x. */
int emit_image_pooling_attn(EMIT_ARGS)
{
    const char *s = sc->scope;
    int64_t k = modtree_attr_int(m, "k", 3), nh = modtree_attr_int(m, "nh", 8), ec = modtree_attr_int(m, "ec", 256);
    int64_t hc = modtree_attr_int(m, "hc", nh > 0 ? ec / nh : 0);
    const ModNode *projs = yb_child(m, "projections");
    if (b->text < 0) return yb_fail(b, path, "ImagePoolingAttn needs the class text embeddings (WorldModel.txt_feats)");
    if (b->dynamic) return yb_fail(b, path, "ImagePoolingAttn with dynamic shapes is not supported");
    if (!projs || projs->n_children != nx || nx < 1 || nx > 8 || k < 1 || k > 16 || nh < 1 || hc * nh != ec)
        return yb_fail(b, path, "ImagePoolingAttn needs one projection per input and ec = nh x hc");
    const char *ppath = yb_path(b, path, "projections");
    int cells[8 * 256];
    int nc_cells = 0;
    for (int i = 0; i < nx; i++) {
        int p;
        const ModNode *pr = projs->children[i];
        if (yb_call_node(b, pr, yb_path(b, ppath, pr->name), sc, &x[i], 1, &p)) return -1;
        int64_t H = yb_dim(b, p, 2), W = yb_dim(b, p, 3);
        for (int64_t r = 0; r < k; r++)
            for (int64_t q = 0; q < k; q++) {
                int64_t h0, h1, w0, w1;
                adaptive_window(H, k, r, &h0, &h1);
                adaptive_window(W, k, q, &w0, &w1);
                int cell = yb_slice(b, s, mod, yb_slice(b, s, mod, p, 2, h0, h1, 1), 3, w0, w1, 1);
                int64_t axes[2] = {2, 3};
                cell = yb_reduce(b, s, mod, OP_REDUCE_MAX, cell, axes, 2, false); /* [B, ec] */
                cells[nc_cells++] = yb_unsqueeze(b, s, mod, cell, -1);
            }
    }
    int xs = yb_concat(b, s, mod, cells, nc_cells, 2); /* [B, ec, nf*k*k] */
    int64_t p021[3] = {0, 2, 1};
    xs = yb_transpose(b, s, mod, xs, p021, 3); /* [B, cells, ec] */
    int q, kk, v;
    if (xs < 0 || yb_call(b, m, path, sc, "query", &b->text, 1, &q) || yb_call(b, m, path, sc, "key", &xs, 1, &kk) ||
        yb_call(b, m, path, sc, "value", &xs, 1, &v))
        return -1;
    int64_t nc = yb_dim(b, q, 1), B = yb_dim(b, xs, 0);
    int64_t q4[4] = {0, nc, nh, hc}, k4[4] = {B, nc_cells, nh, hc};
    int64_t p0213[4] = {0, 2, 1, 3}, p0231[4] = {0, 2, 3, 1};
    int qt = yb_transpose(b, s, mod, yb_reshape(b, s, mod, q, q4, 4), p0213, 4);   /* [Bt, nh, nc, hc] */
    int kt = yb_transpose(b, s, mod, yb_reshape(b, s, mod, kk, k4, 4), p0231, 4);  /* [B, nh, hc, cells] */
    int vt = yb_transpose(b, s, mod, yb_reshape(b, s, mod, v, k4, 4), p0213, 4);   /* [B, nh, cells, hc] */
    int aw = yb_matmul_bc(b, s, mod, qt, kt);                                       /* [B, nh, nc, cells] */
    aw = yb_binary(b, s, mod, OP_DIV, aw, yb_scalar_f32(b, s, (float)sqrt((double)hc)));
    aw = yb_softmax(b, s, mod, aw, -1);
    int o = yb_matmul_bc(b, s, mod, aw, vt); /* [B, nh, nc, hc] */
    int64_t o3[3] = {B, nc, ec};
    o = yb_reshape(b, s, mod, yb_transpose(b, s, mod, o, p0213, 4), o3, 3);
    if (o < 0 || yb_call(b, m, path, sc, "proj", &o, 1, &o)) return -1;
    if (modtree_tensor(m, "scale")) {
        int sp = yb_param(b, m, path, "scale", true);
        o = yb_binary(b, s, mod, OP_MUL, o, sp);
    } else {
        double scale = modtree_attr_float(m, "scale", 1.0);
        if (scale != 1.0) o = yb_binary(b, s, mod, OP_MUL, o, yb_scalar_f32(b, s, (float)scale));
    }
    b->text = yb_binary(b, s, mod, OP_ADD, o, b->text);
    *out = x[0];
    return b->text < 0 ? -1 : 0;
}

/* F.normalize(text, dim=-1) of the constant class texts [1, nc, C] as conv weights
 * [nc, C, 1, 1]: computed once here (the texts are the checkpoint's). */
static int text_weights(Builder *b, const char *s, int text, int64_t *nc_out, int64_t *c_out)
{
    Tensor *T = yb_t(b, text);
    if (!T || T->rank != 3 || T->dims[0] != 1) return yb_fail(b, s, "the class text embeddings must be [1, nc, C]");
    int64_t nc = T->dims[1], C = T->dims[2];
    *nc_out = nc;
    *c_out = C;
    int64_t wd[4] = {nc, C, 1, 1};
    if (!T->data) return yb_const_f32_opt(b, s, "text_weights", 4, wd, NULL);
    if (T->dtype != DT_F32 || T->nbytes < (size_t)(nc * C) * 4)
        return yb_fail(b, s, "the class text embeddings hold %zu bytes, %lld x %lld floats expected", T->nbytes,
                       (long long)nc, (long long)C);
    const float *src = T->data;
    float *w = xmalloc(sizeof(float) * (size_t)(nc * C));
    for (int64_t i = 0; i < nc; i++) {
        double ss = 0;
        for (int64_t c = 0; c < C; c++) ss += (double)src[i * C + c] * src[i * C + c];
        double norm = sqrt(ss);
        if (norm < 1e-12) norm = 1e-12;
        for (int64_t c = 0; c < C; c++) w[i * C + c] = (float)(src[i * C + c] / norm);
    }
    int t = yb_const_f32_opt(b, s, "text_weights", 4, wd, w);
    free(w);
    return t;
}

/* ContrastiveHead / BNContrastiveHead(x, text): region-text similarity
 *   x = norm(x) (BatchNorm2d) or F.normalize(x, dim=1); w = F.normalize(text, dim=-1)
 *   einsum('bchw,bkc->bkhw', x, w) * exp(logit_scale) + bias. */
int emit_contrastive_head(EMIT_ARGS)
{
    if (nx != 2) return yb_fail(b, path, "%s takes features and text embeddings", m->type);
    const char *s = sc->scope;
    int y = x[0];
    if (yb_child(m, "norm")) {
        if (yb_call(b, m, path, sc, "norm", x, 1, &y)) return -1;
    } else {
        /* x / max(||x||_2 over channels, 1e-12) */
        int sq = yb_binary(b, s, mod, OP_MUL, y, y);
        int64_t ch = 1;
        int ss = yb_reduce(b, s, mod, OP_REDUCE_SUM, sq, &ch, 1, true);
        int nrm = yb_unary(b, s, mod, OP_SQRT, NULL, ss);
        int in2[2] = {nrm, yb_scalar_f32(b, s, 1e-12f)};
        Tensor *N = yb_t(b, nrm);
        nrm = nrm < 0 ? -1 : yb_op(b, s, mod, OP_CLIP, in2, 2, N->rank, N->dims);
        y = yb_binary(b, s, mod, OP_DIV, y, nrm);
    }
    int64_t nc = 0, C = 0;
    int w = text_weights(b, s, x[1], &nc, &C);
    if (w < 0 || y < 0) return -1;
    if (yb_dim(b, y, 1) != C) return yb_fail(b, path, "%lld features against %lld-wide text embeddings", (long long)yb_dim(b, y, 1), (long long)C);
    int64_t st[2] = {1, 1}, pads[4] = {0, 0, 0, 0}, dil[2] = {1, 1};
    y = yb_conv(b, s, mod, y, w, -1, st, pads, dil, 1);
    int ls = yb_param(b, m, path, "logit_scale", true), bias = yb_param(b, m, path, "bias", true);
    if (y < 0 || ls < 0 || bias < 0) return -1;
    const Tensor *L = yb_t(b, ls);
    int scale;
    if (L->data && tensor_numel(L) == 1) { /* exp(logit_scale) as a constant, as simplify would fold it */
        float e = expf(((const float *)L->data)[0]);
        scale = yb_const_f32(b, s, "exp_logit_scale", L->rank, L->dims, &e);
    } else {
        scale = yb_unary(b, s, mod, OP_EXP, NULL, ls);
    }
    y = yb_binary(b, s, mod, OP_MUL, y, scale);
    *out = yb_binary(b, s, mod, OP_ADD, y, bias);
    return *out < 0 ? -1 : 0;
}

/* WorldDetect(x[], text): Detect whose class branch (cv3) ends in text-embedding space and is
 * scored against the checkpoint's class texts by cv4, then decoded as Detect is. */
int emit_world_detect(EMIT_ARGS)
{
    if (b->text_orig < 0) return yb_fail(b, path, "WorldDetect needs the class text embeddings (WorldModel.txt_feats)");
    DetectSpec spec = {"cv2", "cv3", DECODE_XYWH, -1, b->text_orig};
    return yolo_detect_decode(b, m, path, sc, mod, x, nx, &spec, out);
}
