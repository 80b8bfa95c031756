/* yolo_rtdetr: RT-DETR's modules — the HGNetv2 backbone (HGStem, HGBlock, LightConv), the
 * neck's RepC3, AIFI (a transformer encoder layer over the stride-32 map with a 2D sine-cosine
 * position embedding) and RTDETRDecoder: the encoder's query selection (the top-k positions by
 * their best class score, with their anchors), then decoder layers of self-attention,
 * multi-scale deformable attention (value maps sampled with GridSample at points predicted
 * around each query's box) and a feed-forward block, each refining the boxes.  Export form:
 * [B, queries, 4 + nc], boxes cx cy w h as fractions of the input, class scores after sigmoid.
 * Every shape is static (the position embedding and anchors are constants of the build). */
#include "engine/builder/yolo_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EMIT_ARGS Builder *b, const ModNode *m, const char *path, const Scope *sc, int mod, const int *x, int nx, int *out

static int one_input(Builder *b, const ModNode *m, const char *path, int nx)
{
    if (nx != 1) return yb_fail(b, path, "%s takes one input, the layer gives it %d", m->type, nx);
    return 0;
}

/* ---- backbone and neck ---- */

/* HGStem: stem1; pad right/bottom by one; stem2b(pad(stem2a(x))) beside pool(x); stem3, stem4. */
int emit_hgstem(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    const char *s = sc->scope;
    int64_t rb[4] = {0, 0, 1, 1};
    int y, a, p;
    if (yb_call(b, m, path, sc, "stem1", x, 1, &y)) return -1;
    y = yb_pad(b, s, mod, y, rb);
    if (y < 0 || yb_call(b, m, path, sc, "stem2a", &y, 1, &a)) return -1;
    a = yb_pad(b, s, mod, a, rb);
    if (a < 0 || yb_call(b, m, path, sc, "stem2b", &a, 1, &a) || yb_call(b, m, path, sc, "pool", &y, 1, &p)) return -1;
    int xs[2] = {p, a};
    int cat = yb_concat(b, s, mod, xs, 2, 1);
    if (cat < 0 || yb_call(b, m, path, sc, "stem3", &cat, 1, &y)) return -1;
    return yb_call(b, m, path, sc, "stem4", &y, 1, out);
}

/* HGBlock: y = [x]; each m[i] on the last; ec(sc(cat(y))), plus x when `add`. */
int emit_hgblock(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    const ModNode *list = yb_child(m, "m");
    if (!list || list->n_children < 1 || list->n_children > 62) return yb_fail(b, path, "HGBlock needs 1 to 62 blocks in 'm'");
    int ys[64];
    ys[0] = x[0];
    const char *mpath = yb_path(b, path, "m");
    for (int i = 0; i < list->n_children; i++) {
        const ModNode *blk = list->children[i];
        if (yb_call_node(b, blk, yb_path(b, mpath, blk->name), sc, &ys[i], 1, &ys[i + 1])) return -1;
    }
    int cat = yb_concat(b, sc->scope, mod, ys, list->n_children + 1, 1), y;
    if (cat < 0 || yb_call(b, m, path, sc, "sc", &cat, 1, &y) || yb_call(b, m, path, sc, "ec", &y, 1, &y)) return -1;
    if (modtree_attr_int(m, "add", 0)) {
        if (yb_dim(b, y, 1) != yb_dim(b, x[0], 1)) return yb_fail(b, path, "HGBlock shortcut with unequal channels");
        y = yb_binary(b, sc->scope, mod, OP_ADD, y, x[0]);
    }
    *out = y;
    return y < 0 ? -1 : 0;
}

/* LightConv: conv2(conv1(x)). */
int emit_lightconv(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int y;
    if (yb_call(b, m, path, sc, "conv1", x, 1, &y)) return -1;
    return yb_call(b, m, path, sc, "conv2", &y, 1, out);
}

/* RepC3: cv3(m(cv1(x)) + cv2(x)). */
int emit_repc3(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    int a, c;
    if (yb_call(b, m, path, sc, "cv1", x, 1, &a) || yb_call(b, m, path, sc, "m", &a, 1, &a) ||
        yb_call(b, m, path, sc, "cv2", x, 1, &c))
        return -1;
    int y = yb_binary(b, sc->scope, mod, OP_ADD, a, c);
    if (y < 0) return -1;
    return yb_call(b, m, path, sc, "cv3", &y, 1, out);
}

/* nn.GELU (exact): x * 0.5 * (1 + erf(x / sqrt(2))). */
int emit_gelu(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    const ModAttr *ap = modtree_attr(m, "approximate");
    if (ap && ap->kind == MA_STR && ap->s && strcmp(ap->s, "none"))
        return yb_fail(b, path, "GELU approximate='%s' is not supported", ap->s);
    const char *s = sc->scope;
    int e = yb_unary(b, s, mod, OP_ERF, NULL, yb_binary(b, s, mod, OP_MUL, x[0], yb_scalar_f32(b, s, 0.70710678118654752f)));
    e = yb_binary(b, s, mod, OP_ADD, e, yb_scalar_f32(b, s, 1.f));
    *out = yb_binary(b, s, mod, OP_MUL, yb_binary(b, s, mod, OP_MUL, x[0], yb_scalar_f32(b, s, 0.5f)), e);
    return *out < 0 ? -1 : 0;
}

/* MLP: each Linear of `layers`, with the act module between them. */
int emit_mlp(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    const ModNode *layers = yb_child(m, "layers");
    if (!layers || layers->n_children < 1) return yb_fail(b, path, "MLP needs 'layers'");
    if (modtree_attr_int(m, "sigmoid", 0)) return yb_fail(b, path, "MLP with a final sigmoid is not supported");
    const char *lpath = yb_path(b, path, "layers");
    int y = x[0];
    for (int i = 0; i < layers->n_children; i++) {
        const ModNode *l = layers->children[i];
        if (yb_call_node(b, l, yb_path(b, lpath, l->name), sc, &y, 1, &y)) return -1;
        if (i + 1 < layers->n_children) {
            if (yb_child(m, "act")) {
                if (yb_call(b, m, path, sc, "act", &y, 1, &y)) return -1;
            } else {
                y = yb_unary(b, sc->scope, mod, OP_RELU, NULL, y);
            }
        }
    }
    *out = y;
    return y < 0 ? -1 : 0;
}

/* ---- attention ---- */

/* Rows [r0, r0 + n) of a parameter as a parameter of their own, "<name>.<part>" (the packed
 * in-projection's q, k and v): the exported graph holds the three weights, as it would after
 * folding a Slice of the packed one, and the written graph stays the source's node for node. */
static int param_rows(Builder *b, int p, char part, int64_t r0, int64_t n)
{
    if (b->failed) return -1;
    Tensor *P = yb_t(b, p);
    int64_t dims[GRAPH_MAX_RANK], row = 1;
    memcpy(dims, P->dims, sizeof(int64_t) * (size_t)P->rank);
    for (int i = 1; i < P->rank; i++) row *= dims[i];
    dims[0] = n;
    const char *name = arena_printf(b->g->arena, "%s.%c", P->name, part);
    int t = P->data ? graph_add_const(b->g, name, DT_F32, P->rank, dims, (const float *)P->data + r0 * row)
                    : graph_add_tensor(b->g, name, DT_F32, P->rank, dims);
    P = yb_t(b, p);
    yb_t(b, t)->is_param = P->is_param;
    yb_t(b, t)->requires_grad = P->requires_grad;
    return t;
}

/* nn.MultiheadAttention(q, k, v) on [B, L, E] inputs (batch first; a batch-second module is
 * the same computation on transposed inputs): the packed in-projection split in three, heads of
 * E / nh, softmax(q k^T / sqrt(hd)) v, the out projection. */
static int mha(Builder *b, const ModNode *m, const char *path, const char *s, int mod, int q, int k, int v)
{
    int64_t E = modtree_attr_int(m, "embed_dim", yb_dim(b, q, -1)), nh = modtree_attr_int(m, "num_heads", 0);
    if (nh <= 0 || E <= 0 || E % nh || yb_dim(b, q, -1) != E)
        return yb_fail(b, path, "MultiheadAttention needs heads dividing %lld features", (long long)E);
    if (modtree_tensor(m, "bias_k") || modtree_tensor(m, "q_proj_weight"))
        return yb_fail(b, path, "MultiheadAttention with separate projections or key/value biases is not supported");
    int64_t hd = E / nh;
    int W = yb_param(b, m, path, "in_proj_weight", true), Bi = yb_param(b, m, path, "in_proj_bias", false);
    if (W < 0) return -1;
    if (yb_dim(b, W, 0) != 3 * E || yb_dim(b, W, 1) != E) return yb_fail(b, path, "MultiheadAttention in_proj_weight is not [3E, E]");
    int proj[3], in[3] = {q, k, v};
    for (int i = 0; i < 3; i++) {
        int w = param_rows(b, W, "qkv"[i], i * E, E);
        int bias = Bi >= 0 ? param_rows(b, Bi, "qkv"[i], i * E, E) : -1;
        proj[i] = yb_gemm_nd(b, s, mod, in[i], w, bias);
    }
    int64_t B = yb_dim(b, q, 0), Lq = yb_dim(b, q, 1), Lk = yb_dim(b, k, 1);
    int64_t q4[4] = {B, Lq, nh, hd}, k4[4] = {B, Lk, nh, hd};
    int64_t p0213[4] = {0, 2, 1, 3}, p0231[4] = {0, 2, 3, 1};
    int qh = yb_transpose(b, s, mod, yb_reshape(b, s, mod, proj[0], q4, 4), p0213, 4); /* [B, nh, Lq, hd] */
    qh = yb_binary(b, s, mod, OP_DIV, qh, yb_scalar_f32(b, s, (float)sqrt((double)hd)));
    int kh = yb_transpose(b, s, mod, yb_reshape(b, s, mod, proj[1], k4, 4), p0231, 4); /* [B, nh, hd, Lk] */
    int vh = yb_transpose(b, s, mod, yb_reshape(b, s, mod, proj[2], k4, 4), p0213, 4); /* [B, nh, Lk, hd] */
    int attn = yb_softmax(b, s, mod, yb_matmul(b, s, mod, qh, kh), -1);
    int o = yb_matmul(b, s, mod, attn, vh);
    int64_t o3[3] = {B, Lq, E};
    o = yb_reshape(b, s, mod, yb_transpose(b, s, mod, o, p0213, 4), o3, 3);
    const ModNode *op = yb_child(m, "out_proj");
    if (!op) return yb_fail(b, path, "MultiheadAttention has no out_proj");
    int ow = yb_param(b, op, yb_path(b, path, "out_proj"), "weight", true);
    int ob = yb_param(b, op, yb_path(b, path, "out_proj"), "bias", false);
    return ow < 0 ? -1 : yb_gemm_nd(b, s, mod, o, ow, ob);
}

/* The 2D sine-cosine position embedding of AIFI for an h x w map and c channels, [1, h*w, c],
 * as the peer builds it: token n has grid_w = n / h and grid_h = n % h (its meshgrid is
 * indexed w first), channels [sin(gw * o), cos(gw * o), sin(gh * o), cos(gh * o)] with
 * o_d = 1 / 10000^(d / (c / 4)). */
static int sincos_embedding(Builder *b, const char *s, int64_t h, int64_t w, int64_t c)
{
    int64_t dims[3] = {1, h * w, c};
    if (!b->with_data) return yb_const_f32_opt(b, s, "pos_embed", 3, dims, NULL);
    int64_t pd = c / 4;
    float *omega = xmalloc(sizeof(float) * (size_t)pd);
    for (int64_t d = 0; d < pd; d++) omega[d] = 1.f / powf(10000.f, (float)d / (float)pd);
    float *pe = xmalloc(sizeof(float) * (size_t)(h * w * c));
    for (int64_t n = 0; n < h * w; n++) {
        float gw = (float)(n / h), gh = (float)(n % h);
        float *row = pe + n * c;
        for (int64_t d = 0; d < pd; d++) {
            float aw = gw * omega[d], ah = gh * omega[d];
            row[d] = sinf(aw);
            row[pd + d] = cosf(aw);
            row[2 * pd + d] = sinf(ah);
            row[3 * pd + d] = cosf(ah);
        }
    }
    int t = yb_const_f32_opt(b, s, "pos_embed", 3, dims, pe);
    free(pe);
    free(omega);
    return t;
}

/* AIFI: the map as h*w tokens through a transformer encoder layer with the position embedding
 * added to the queries and keys (post-norm unless normalize_before), back to [B, c, h, w]. */
int emit_aifi(EMIT_ARGS)
{
    if (one_input(b, m, path, nx)) return -1;
    if (b->dynamic) return yb_fail(b, path, "AIFI with dynamic shapes is not supported (export with dynamic=False)");
    const char *s = sc->scope;
    int64_t B = yb_dim(b, x[0], 0), c = yb_dim(b, x[0], 1), h = yb_dim(b, x[0], 2), w = yb_dim(b, x[0], 3);
    if (c <= 0 || c % 4) return yb_fail(b, path, "AIFI needs channels that are a multiple of 4 (%lld)", (long long)c);
    int pos = sincos_embedding(b, s, h, w, c);
    int64_t f3[3] = {B, c, h * w}, p021[3] = {0, 2, 1};
    int src = yb_transpose(b, s, mod, yb_reshape(b, s, mod, x[0], f3, 3), p021, 3); /* [B, hw, c] */
    const ModNode *ma = yb_child(m, "ma");
    if (!ma || pos < 0 || src < 0) return ma ? -1 : yb_fail(b, path, "AIFI has no 'ma'");
    const char *mpath = yb_path(b, path, "ma");
    int mmod = strmap_get(&b->modules, mpath);
    bool pre = modtree_attr_int(m, "normalize_before", 0) != 0;
    int t = src, y;
    if (pre && yb_call(b, m, path, sc, "norm1", &src, 1, &t)) return -1;
    int q = yb_binary(b, s, mod, OP_ADD, t, pos);
    int a = mha(b, ma, mpath, s, mmod, q, q, t);
    y = yb_binary(b, s, mod, OP_ADD, src, a);
    if (y < 0) return -1;
    if (!pre && yb_call(b, m, path, sc, "norm1", &y, 1, &y)) return -1;
    int f = y;
    if (pre && yb_call(b, m, path, sc, "norm2", &y, 1, &f)) return -1;
    if (yb_call(b, m, path, sc, "fc1", &f, 1, &f) || yb_call(b, m, path, sc, "act", &f, 1, &f) ||
        yb_call(b, m, path, sc, "fc2", &f, 1, &f))
        return -1;
    y = yb_binary(b, s, mod, OP_ADD, y, f);
    if (y < 0) return -1;
    if (!pre && yb_call(b, m, path, sc, "norm2", &y, 1, &y)) return -1;
    int64_t back[4] = {B, c, h, w};
    *out = yb_reshape(b, s, mod, yb_transpose(b, s, mod, y, p021, 3), back, 4);
    return *out < 0 ? -1 : 0;
}

/* MSDeformAttn(query [B, nq, d], boxes [B, nq, 4] (cx cy w h, 0..1), value [B, L, d]): per
 * head, level and point, a sampling location box_xy + offset / n_points * box_wh * 0.5; the
 * value maps sampled there bilinearly (GridSample, zeros outside) and summed with the softmax
 * attention weights; the output projection. */
int emit_msdeform_attn(EMIT_ARGS)
{
    if (nx != 3) return yb_fail(b, path, "MSDeformAttn takes queries, boxes and values");
    const char *s = sc->scope;
    int64_t d = modtree_attr_int(m, "d_model", 0), nl = modtree_attr_int(m, "n_levels", 0);
    int64_t nh = modtree_attr_int(m, "n_heads", 0), np = modtree_attr_int(m, "n_points", 0);
    if (d <= 0 || nh <= 0 || d % nh || nl != b->n_levels || np <= 0 || np > 64)
        return yb_fail(b, path, "MSDeformAttn needs heads dividing d_model and as many levels as the decoder's inputs");
    int64_t dh = d / nh, B = yb_dim(b, x[0], 0), nq = yb_dim(b, x[0], 1), L = yb_dim(b, x[2], 1);
    int64_t total = 0;
    for (int i = 0; i < nl; i++) total += b->level_h[i] * b->level_w[i];
    if (total != L || yb_dim(b, x[1], 2) != 4) return yb_fail(b, path, "MSDeformAttn: values or boxes do not fit the levels");
    int value;
    if (yb_call(b, m, path, sc, "value_proj", &x[2], 1, &value)) return -1;
    int64_t sizes[8];
    int lv[8];
    for (int i = 0; i < nl; i++) sizes[i] = b->level_h[i] * b->level_w[i];
    if (yb_split(b, s, mod, value, 1, sizes, (int)nl, lv) < 0) return -1;
    int so, aw;
    if (yb_call(b, m, path, sc, "sampling_offsets", &x[0], 1, &so) || yb_call(b, m, path, sc, "attention_weights", &x[0], 1, &aw))
        return -1;
    int64_t so6[6] = {B, nq, nh, nl, np, 2}, aw4[4] = {B, nq, nh, nl * np}, p0213[4] = {0, 2, 1, 3};
    so = yb_reshape(b, s, mod, so, so6, 6);
    aw = yb_softmax(b, s, mod, yb_reshape(b, s, mod, aw, aw4, 4), -1);
    int64_t aw_b[4] = {B * nh, 1, nq, nl * np};
    aw = yb_reshape(b, s, mod, yb_transpose(b, s, mod, aw, p0213, 4), aw_b, 4);
    int64_t r6[6] = {B, nq, 1, 1, 1, 2};
    int xy = yb_reshape(b, s, mod, yb_slice(b, s, mod, x[1], 2, 0, 2, 1), r6, 6);
    int wh = yb_reshape(b, s, mod, yb_slice(b, s, mod, x[1], 2, 2, 4, 1), r6, 6);
    int add = yb_binary(b, s, mod, OP_DIV, so, yb_scalar_f32(b, s, (float)np));
    add = yb_binary(b, s, mod, OP_MUL, yb_binary(b, s, mod, OP_MUL, add, wh), yb_scalar_f32(b, s, 0.5f));
    int grid = yb_binary(b, s, mod, OP_ADD, xy, add);
    grid = yb_binary(b, s, mod, OP_SUB, yb_binary(b, s, mod, OP_MUL, grid, yb_scalar_f32(b, s, 2.f)), yb_scalar_f32(b, s, 1.f));
    int sampled[8];
    int64_t p021[3] = {0, 2, 1}, p02134[5] = {0, 2, 1, 3, 4};
    for (int i = 0; i < nl && !b->failed; i++) {
        int64_t vmap[4] = {B * nh, dh, b->level_h[i], b->level_w[i]};
        int vl = yb_reshape(b, s, mod, yb_transpose(b, s, mod, lv[i], p021, 3), vmap, 4);
        int64_t g5[5] = {B, nq, nh, np, 2}, g4[4] = {B * nh, nq, np, 2};
        int gl = yb_reshape(b, s, mod, yb_slice(b, s, mod, grid, 3, i, i + 1, 1), g5, 5);
        gl = yb_reshape(b, s, mod, yb_transpose(b, s, mod, gl, p02134, 5), g4, 4);
        int in2[2] = {vl, gl};
        int64_t od[4] = {B * nh, dh, nq, np};
        int sv = yb_op(b, s, mod, OP_GRID_SAMPLE, in2, 2, 4, od);
        if (sv < 0) return -1;
        node_set_int(b->g, yb_t(b, sv)->producer, "align_corners", 0);
        node_set_string(b->g, yb_t(b, sv)->producer, "mode", "bilinear");
        node_set_string(b->g, yb_t(b, sv)->producer, "padding_mode", "zeros");
        sampled[i] = yb_unsqueeze(b, s, mod, sv, 3);
    }
    int st = yb_concat(b, s, mod, sampled, (int)nl, 3); /* [B*nh, dh, nq, nl, np] */
    int64_t s4[4] = {B * nh, dh, nq, nl * np};
    st = yb_binary(b, s, mod, OP_MUL, yb_reshape(b, s, mod, st, s4, 4), aw);
    int64_t last = -1;
    int o = yb_reduce(b, s, mod, OP_REDUCE_SUM, st, &last, 1, false); /* [B*nh, dh, nq] */
    int64_t o3[3] = {B, d, nq};
    o = yb_transpose(b, s, mod, yb_reshape(b, s, mod, o, o3, 3), p021, 3);
    if (o < 0) return -1;
    return yb_call(b, m, path, sc, "output_proj", &o, 1, out);
}

/* DeformableTransformerDecoderLayer(embed, boxes, values, query_pos): self-attention with the
 * query position added to queries and keys, deformable cross-attention over the values, a
 * feed-forward block; each with a residual sum and LayerNorm. */
int emit_deform_layer(EMIT_ARGS)
{
    if (nx != 4) return yb_fail(b, path, "a decoder layer takes queries, boxes, values and query positions");
    const char *s = sc->scope;
    int embed = x[0], qpos = x[3];
    const ModNode *sa = yb_child(m, "self_attn");
    if (!sa) return yb_fail(b, path, "decoder layer has no self_attn");
    const char *spath = yb_path(b, path, "self_attn");
    int q = yb_binary(b, s, mod, OP_ADD, embed, qpos);
    int t = mha(b, sa, spath, s, strmap_get(&b->modules, spath), q, q, embed);
    int y = yb_binary(b, s, mod, OP_ADD, embed, t);
    if (y < 0 || yb_call(b, m, path, sc, "norm1", &y, 1, &y)) return -1;
    int in3[3] = {yb_binary(b, s, mod, OP_ADD, y, qpos), x[1], x[2]};
    if (in3[0] < 0 || yb_call(b, m, path, sc, "cross_attn", in3, 3, &t)) return -1;
    y = yb_binary(b, s, mod, OP_ADD, y, t);
    if (y < 0 || yb_call(b, m, path, sc, "norm2", &y, 1, &y)) return -1;
    int f;
    if (yb_call(b, m, path, sc, "linear1", &y, 1, &f) || yb_call(b, m, path, sc, "act", &f, 1, &f) ||
        yb_call(b, m, path, sc, "linear2", &f, 1, &f))
        return -1;
    y = yb_binary(b, s, mod, OP_ADD, y, f);
    if (y < 0) return -1;
    return yb_call(b, m, path, sc, "norm3", &y, 1, out);
}

/* inverse_sigmoid(x) = log(max(x, eps) / max(1 - x, eps)) with x clamped to [0, 1], eps 1e-5. */
static int clip(Builder *b, const char *s, int mod, int x, float lo, float hi)
{
    int in[3] = {x, yb_scalar_f32(b, s, lo), hi > lo ? yb_scalar_f32(b, s, hi) : -1};
    Tensor *X = yb_t(b, x);
    return yb_op(b, s, mod, OP_CLIP, in, hi > lo ? 3 : 2, X->rank, X->dims);
}

static int inverse_sigmoid(Builder *b, const char *s, int mod, int x)
{
    const float eps = 1e-5f;
    x = clip(b, s, mod, x, 0.f, 1.f);
    int x1 = clip(b, s, mod, x, eps, 0.f);
    int x2 = clip(b, s, mod, yb_binary(b, s, mod, OP_SUB, yb_scalar_f32(b, s, 1.f), x), eps, 0.f);
    return yb_unary(b, s, mod, OP_LOG, NULL, yb_binary(b, s, mod, OP_DIV, x1, x2));
}

/* Anchors of the decoder's query selection for the levels' sizes: per position
 * [(x + 0.5) / w, (y + 0.5) / h, 0.05 * 2^level, same] as log-odds, +inf where any coordinate
 * is outside (0.01, 0.99), and the valid mask (1/0). */
static int rtdetr_anchors(Builder *b, const char *s, int *anchors, int *valid)
{
    int64_t L = 0;
    for (int i = 0; i < b->n_levels; i++) L += b->level_h[i] * b->level_w[i];
    int64_t ad[2] = {L, 4}, vd[3] = {1, L, 1};
    float *an = xmalloc(sizeof(float) * (size_t)(4 * L)), *vm = xmalloc(sizeof(float) * (size_t)L);
    int64_t k = 0;
    for (int i = 0; i < b->n_levels; i++) {
        int64_t h = b->level_h[i], w = b->level_w[i];
        float wh = 0.05f * (float)ldexp(1.0, i);
        for (int64_t y = 0; y < h; y++)
            for (int64_t xx = 0; xx < w; xx++, k++) {
                float a[4] = {((float)xx + 0.5f) / (float)w, ((float)y + 0.5f) / (float)h, wh, wh};
                bool ok = true;
                for (int c = 0; c < 4; c++) ok = ok && a[c] > 0.01f && a[c] < 1 - 0.01f;
                for (int c = 0; c < 4; c++) an[k * 4 + c] = ok ? logf(a[c] / (1 - a[c])) : INFINITY;
                vm[k] = ok ? 1.f : 0.f;
            }
    }
    *anchors = yb_const_f32(b, s, "anchors", 2, ad, an);
    *valid = yb_const_f32(b, s, "valid_mask", 3, vd, vm);
    free(an);
    free(vm);
    return 0;
}

/* RTDETRDecoder in export form (see the file's comment). */
int emit_rtdetr_decoder(EMIT_ARGS)
{
    const char *s = sc->scope;
    if (b->dynamic) return yb_fail(b, path, "RTDETRDecoder with dynamic shapes is not supported (export with dynamic=False)");
    if (nx < 1 || nx > 8) return yb_fail(b, path, "RTDETRDecoder takes 1 to 8 feature maps");
    int64_t nq = modtree_attr_int(m, "num_queries", 300), hd = modtree_attr_int(m, "hidden_dim", 256);
    const ModNode *ip = yb_child(m, "input_proj"), *dec = yb_child(m, "decoder");
    const ModNode *layers = dec ? yb_child(dec, "layers") : NULL;
    const ModNode *dbh = yb_child(m, "dec_bbox_head"), *dsh = yb_child(m, "dec_score_head");
    if (!ip || ip->n_children != nx || !layers || layers->n_children < 1 || !dbh || !dsh ||
        dbh->n_children < layers->n_children || dsh->n_children < layers->n_children)
        return yb_fail(b, path, "RTDETRDecoder needs input_proj per level, decoder layers and their heads");
    if (modtree_attr_int(m, "learnt_init_query", 0)) return yb_fail(b, path, "RTDETRDecoder with learnt queries is not supported");
    /* encoder input: each level projected and flattened, [B, L, hd] */
    const char *ipath = yb_path(b, path, "input_proj");
    int toks[8];
    int64_t B = yb_dim(b, x[0], 0);
    int64_t p021[3] = {0, 2, 1};
    b->n_levels = nx;
    for (int i = 0; i < nx; i++) {
        int f;
        const ModNode *p = ip->children[i];
        if (yb_call_node(b, p, yb_path(b, ipath, p->name), sc, &x[i], 1, &f)) return -1;
        b->level_h[i] = yb_dim(b, f, 2);
        b->level_w[i] = yb_dim(b, f, 3);
        if (yb_dim(b, f, 1) != hd) return yb_fail(b, path, "input_proj gives %lld channels, not %lld", (long long)yb_dim(b, f, 1), (long long)hd);
        int64_t f3[3] = {B, hd, b->level_h[i] * b->level_w[i]};
        toks[i] = yb_transpose(b, s, mod, yb_reshape(b, s, mod, f, f3, 3), p021, 3);
    }
    int feats = yb_concat(b, s, mod, toks, nx, 1);
    int64_t L = yb_dim(b, feats, 1);
    if (feats < 0) return -1;
    if (L < nq) return yb_fail(b, path, "%lld positions for %lld queries: the image is too small for the model", (long long)L, (long long)nq);
    int anchors, valid;
    rtdetr_anchors(b, s, &anchors, &valid);
    /* query selection */
    int features, scores;
    int vf = yb_binary(b, s, mod, OP_MUL, valid, feats);
    if (vf < 0 || yb_call(b, m, path, sc, "enc_output", &vf, 1, &features) ||
        yb_call(b, m, path, sc, "enc_score_head", &features, 1, &scores))
        return -1;
    int64_t last = -1;
    int best = yb_reduce(b, s, mod, OP_REDUCE_MAX, scores, &last, 1, false);
    int tv, ti;
    if (yb_topk(b, s, mod, best, nq, 1, &tv, &ti)) return -1;
    int64_t flat = B * nq, od[2] = {B, 1};
    int64_t *off = xmalloc(sizeof(int64_t) * (size_t)B);
    for (int64_t i = 0; i < B; i++) off[i] = i * L;
    int rows = yb_reshape(b, s, mod, yb_binary(b, s, mod, OP_ADD, ti, yb_const_i64(b, s, "Constant", 2, od, off)), &flat, 1);
    free(off);
    int64_t fl[2] = {B * L, hd}, bqh[3] = {B, nq, hd}, bq4[3] = {B, nq, 4};
    int topf = yb_reshape(b, s, mod, yb_gather(b, s, mod, yb_reshape(b, s, mod, features, fl, 2), rows, 0), bqh, 3);
    int topa = yb_reshape(b, s, mod, yb_gather(b, s, mod, anchors, yb_reshape(b, s, mod, ti, &flat, 1), 0), bq4, 3);
    int refer;
    if (topf < 0 || topa < 0 || yb_call(b, m, path, sc, "enc_bbox_head", &topf, 1, &refer)) return -1;
    refer = yb_unary(b, s, mod, OP_SIGMOID, NULL, yb_binary(b, s, mod, OP_ADD, refer, topa));
    /* decoder */
    int64_t eval_idx = modtree_attr_int(dec, "eval_idx", layers->n_children - 1);
    if (eval_idx < 0) eval_idx += layers->n_children;
    if (eval_idx < 0 || eval_idx >= layers->n_children) return yb_fail(b, path, "decoder eval_idx out of range");
    const char *dpath = yb_path(b, path, "decoder"), *lpath = yb_path(b, dpath, "layers");
    const char *bpath = yb_path(b, path, "dec_bbox_head"), *spath = yb_path(b, path, "dec_score_head");
    int embed = topf, boxes = -1, cls = -1;
    for (int i = 0; i <= eval_idx && !b->failed; i++) {
        int qpos;
        if (yb_call(b, m, path, sc, "query_pos_head", &refer, 1, &qpos)) return -1;
        const ModNode *layer = layers->children[i];
        int in4[4] = {embed, refer, feats, qpos};
        if (yb_call_node(b, layer, yb_path(b, lpath, layer->name), sc, in4, 4, &embed)) return -1;
        int bb;
        const ModNode *bh = dbh->children[i];
        if (yb_call_node(b, bh, yb_path(b, bpath, bh->name), sc, &embed, 1, &bb)) return -1;
        boxes = yb_unary(b, s, mod, OP_SIGMOID, NULL, yb_binary(b, s, mod, OP_ADD, bb, inverse_sigmoid(b, s, mod, refer)));
        if (i == eval_idx) {
            const ModNode *sh = dsh->children[i];
            if (yb_call_node(b, sh, yb_path(b, spath, sh->name), sc, &embed, 1, &cls)) return -1;
        }
        refer = boxes;
    }
    int parts[2] = {boxes, yb_unary(b, s, mod, OP_SIGMOID, NULL, cls)};
    *out = yb_concat(b, s, mod, parts, 2, 2);
    if (*out < 0) return -1;
    b->g->meta.end2end = true;
    b->g->meta.output_layout = OUTPUT_E2E_CXCYWH_NORM;
    b->g->meta.max_det = (int)nq;
    return 0;
}
