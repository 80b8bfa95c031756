/* yolo_head: emitters for the output heads — Detect (with DFL and the anchor decode),
 * Segment (+ Proto), Pose, OBB and Classify — in the form the peer exports them:
 * boxes as pixel xywh, class scores after sigmoid, one output tensor [B, 4+nc+extra, A]
 * (Classify: softmax scores [B, nc]). */
#include "engine/builder/yolo_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMIT_ARGS Builder *b, const ModNode *m, const char *path, const Scope *sc, int mod, const int *x, int nx, int *out
#define MAX_LEVELS 8

/* What the shared Detect part hands to the subclasses. */
typedef struct {
    int anchors;  /* static: [1, 2, A] constant; dynamic: [2, A] computed */
    int strides;  /* [1, A] */
    const float *anchor_data; /* static: 2*A values (x row, then y row) */
    int64_t A;
} Anchors;

/* ---- small op helpers used only here ---- */

static int op_cast_f32(Builder *b, const char *scope, int mod, int x)
{
    int y = yb_unary(b, scope, mod, OP_CAST, NULL, x);
    if (y < 0) return -1;
    yb_t(b, y)->dtype = DT_F32;
    node_set_int(b->g, yb_t(b, y)->producer, "to", 1);
    return y;
}

static int op_gather_scalar(Builder *b, const char *scope, int mod, int x, int64_t index)
{
    int idx = yb_const_i64(b, scope, "Constant", 0, NULL, &index);
    int in[2] = {x, idx};
    int y;
    int ranks[1] = {0};
    int64_t dims[1][GRAPH_MAX_RANK] = {{0}};
    int ni = yb_node(b, scope, mod, OP_GATHER, NULL, in, 2, 1, (const int64_t(*)[GRAPH_MAX_RANK])dims, ranks, &y);
    if (ni < 0) return -1;
    node_set_int(b->g, ni, "axis", 0);
    return y;
}

static int op_unsqueeze(Builder *b, const char *scope, int mod, int x, int64_t axis)
{
    Tensor *X = yb_t(b, x);
    int r = X->rank + 1;
    int64_t dims[1][GRAPH_MAX_RANK] = {{0}};
    if (axis < 0) axis += r;
    for (int i = 0, j = 0; i < r; i++) dims[0][i] = i == axis ? 1 : X->dims[j++];
    int y;
    int ni = yb_node(b, scope, mod, OP_UNSQUEEZE, NULL, &x, 1, 1, (const int64_t(*)[GRAPH_MAX_RANK])dims, &r, &y);
    if (ni < 0) return -1;
    node_set_ints(b->g, ni, "axes", &axis, 1);
    return y;
}

static int op_shaped(Builder *b, const char *scope, int mod, OpKind op, const int *in, int nin, int rank,
                     const int64_t *dims)
{
    int64_t d[1][GRAPH_MAX_RANK] = {{0}};
    for (int i = 0; i < rank; i++) d[0][i] = dims[i];
    int y;
    int ni = yb_node(b, scope, mod, op, NULL, in, nin, 1, (const int64_t(*)[GRAPH_MAX_RANK])d, &rank, &y);
    return ni < 0 ? -1 : y;
}

/* ---- anchors ---- */

/* Constant anchors and strides for feature maps of the given sizes (make_anchors with
 * offset 0.5). */
static int static_anchors(Builder *b, const char *scope, int nl, const int64_t *hs, const int64_t *ws,
                          const int *strides, Anchors *an)
{
    int64_t A = 0;
    for (int i = 0; i < nl; i++) A += hs[i] * ws[i];
    if (A <= 0 || A > (1 << 28)) return yb_fail(b, scope, "feature maps give an invalid anchor count");
    float *anc = xmalloc(sizeof(float) * (size_t)(2 * A));
    float *st = xmalloc(sizeof(float) * (size_t)A);
    int64_t k = 0;
    for (int i = 0; i < nl; i++)
        for (int64_t y = 0; y < hs[i]; y++)
            for (int64_t xx = 0; xx < ws[i]; xx++, k++) {
                anc[k] = (float)xx + 0.5f;
                anc[A + k] = (float)y + 0.5f;
                st[k] = (float)strides[i];
            }
    int64_t ad[3] = {1, 2, A}, sd[2] = {1, A};
    an->anchors = yb_const_f32(b, scope, "anchors", 3, ad, anc);
    an->strides = yb_const_f32(b, scope, "strides", 2, sd, st);
    an->anchor_data = yb_t(b, an->anchors)->data;
    an->A = A;
    free(anc);
    free(st);
    return 0;
}

/* Anchors computed in the graph from the feature maps' shapes (dynamic export). */
static int dynamic_anchors(Builder *b, const char *s, int mod, int nl, const int *feats, const int *strides,
                           Anchors *an)
{
    int ancs[MAX_LEVELS], sts[MAX_LEVELS];
    int64_t A = 0;
    for (int i = 0; i < nl; i++) {
        int64_t h = yb_dim(b, feats[i], 2), w = yb_dim(b, feats[i], 3);
        A += h * w;
        int shp = yb_shape(b, s, mod, feats[i]);
        int hi = op_gather_scalar(b, s, mod, shp, 2), wi = op_gather_scalar(b, s, mod, shp, 3);
        int zero = yb_scalar_f32(b, s, 0.f), one = yb_scalar_f32(b, s, 1.f), half = yb_scalar_f32(b, s, 0.5f);
        int rx[3] = {zero, op_cast_f32(b, s, mod, wi), one};
        int ry[3] = {zero, op_cast_f32(b, s, mod, hi), one};
        int xs = op_shaped(b, s, mod, OP_RANGE, rx, 3, 1, &w);
        int ys = op_shaped(b, s, mod, OP_RANGE, ry, 3, 1, &h);
        if (xs < 0 || ys < 0) return -1;
        xs = yb_binary(b, s, mod, OP_ADD, xs, half);
        ys = yb_binary(b, s, mod, OP_ADD, ys, half);
        int hw_parts[2] = {op_unsqueeze(b, s, mod, hi, 0), op_unsqueeze(b, s, mod, wi, 0)};
        int hw = yb_concat(b, s, mod, hw_parts, 2, 0);
        int64_t hwd[2] = {h, w};
        int ex[2] = {op_unsqueeze(b, s, mod, xs, 0), hw};
        int ey[2] = {op_unsqueeze(b, s, mod, ys, 1), hw};
        int X = op_shaped(b, s, mod, OP_EXPAND, ex, 2, 2, hwd);
        int Y = op_shaped(b, s, mod, OP_EXPAND, ey, 2, 2, hwd);
        int64_t flat[2] = {1, -1};
        int xf = yb_reshape(b, s, mod, X, flat, 2), yf = yb_reshape(b, s, mod, Y, flat, 2);
        int pair[2] = {xf, yf};
        ancs[i] = yb_concat(b, s, mod, pair, 2, 0);
        float sv = (float)strides[i];
        int64_t one1[2] = {1, 1};
        int sc1 = yb_const_f32(b, s, "Constant", 2, one1, &sv);
        int es[2] = {sc1, yb_shape(b, s, mod, xf)};
        int64_t sdim[2] = {1, h * w};
        sts[i] = op_shaped(b, s, mod, OP_EXPAND, es, 2, 2, sdim);
        if (b->failed) return -1;
    }
    an->anchors = yb_concat(b, s, mod, ancs, nl, 1);
    an->strides = yb_concat(b, s, mod, sts, nl, 1);
    an->anchor_data = NULL;
    an->A = A;
    return b->failed ? -1 : 0;
}

/* Anchors computed from the feature maps themselves, with no shape arithmetic (a dynamic
 * height and width in formats whose runtimes resize convolutions but cannot read a shape):
 * per level, ones over the map's positions ([1, 1, h, w] = slice * 0 + 1) summed along the
 * width and the height give x + 1 and y + 1 (CumSum), so anchors = cumsum - 0.5, [1, 2, A]
 * like the constant ones; strides = ones * stride, [1, A]. */
static int cumsum_anchors(Builder *b, const char *s, int mod, int nl, const int *feats, const int *strides,
                          Anchors *an)
{
    int ancs[MAX_LEVELS], sts[MAX_LEVELS];
    int64_t A = 0;
    for (int i = 0; i < nl; i++) {
        int64_t h = yb_dim(b, feats[i], 2), w = yb_dim(b, feats[i], 3);
        A += h * w;
        int one = yb_slice(b, s, mod, yb_slice(b, s, mod, feats[i], 0, 0, 1, 1), 1, 0, 1, 1);
        one = yb_binary(b, s, mod, OP_MUL, one, yb_scalar_f32(b, s, 0.f));
        one = yb_binary(b, s, mod, OP_ADD, one, yb_scalar_f32(b, s, 1.f));
        int64_t d4[4] = {1, 1, h, w};
        int xy[2];
        for (int k = 0; k < 2; k++) {
            int64_t axis = 3 - k;
            int in[2] = {one, yb_const_i64(b, s, "Constant", 0, NULL, &axis)};
            int c = yb_op(b, s, mod, OP_CUMSUM, in, 2, 4, d4);
            xy[k] = yb_binary(b, s, mod, OP_SUB, c, yb_scalar_f32(b, s, 0.5f));
        }
        int64_t flat3[3] = {1, 2, -1}, flat2[2] = {1, -1};
        ancs[i] = yb_reshape(b, s, mod, yb_concat(b, s, mod, xy, 2, 1), flat3, 3);
        int st = yb_binary(b, s, mod, OP_MUL, one, yb_scalar_f32(b, s, (float)strides[i]));
        sts[i] = yb_reshape(b, s, mod, st, flat2, 2);
        if (b->failed) return -1;
    }
    an->anchors = yb_concat(b, s, mod, ancs, nl, 2);
    an->strides = yb_concat(b, s, mod, sts, nl, 1);
    an->anchor_data = NULL;
    an->A = A;
    return b->failed ? -1 : 0;
}

/* Reshape [B, C, H, W] -> [B, C, H*W] ("view(bs, C, -1)"). */
static int flatten_hw(Builder *b, const char *scope, int mod, int x)
{
    int64_t shp[3] = {yb_bdim(b) ? 0 : yb_dim(b, x, 0), yb_dim(b, x, 1), -1};
    return yb_reshape(b, scope, mod, x, shp, 3);
}

/* cv4-style branch over all levels: cat([branch[i](x[i]).view(bs, c, -1)], 2). */
static int level_branch(Builder *b, const ModNode *m, const char *path, const Scope *sc, int mod, const char *name,
                        const int *x, int nx)
{
    const ModNode *list = yb_child(m, name);
    if (!list || list->n_children != nx)
        return yb_fail(b, path, "%s needs '%s' with one branch per input level (%d)", m->type, name, nx);
    const char *lpath = yb_path(b, path, name);
    int parts[MAX_LEVELS];
    for (int i = 0; i < nx; i++) {
        int y;
        const ModNode *br = list->children[i];
        if (yb_call_node(b, br, yb_path(b, lpath, br->name), sc, &x[i], 1, &y)) return -1;
        parts[i] = flatten_hw(b, sc->scope, mod, y);
        if (parts[i] < 0) return -1;
    }
    return yb_concat(b, sc->scope, mod, parts, nx, 2);
}

/* ---- Detect ---- */

/* Detect.forward + _inference (export form): y = cat(dbox * strides, sigmoid(cls)), the
 * branches, box decode and (YOLO-World) class text as spec says. */
static int detect_core(Builder *b, const ModNode *m, const char *path, const Scope *sc, int mod, const int *x,
                       int nx, const DetectSpec *spec, Anchors *an, int *out)
{
    const char *s = sc->scope;
    if (nx < 1 || nx > MAX_LEVELS) return yb_fail(b, path, "%s takes 1 to %d feature maps, got %d", m->type, MAX_LEVELS, nx);
    const ModNode *cv2 = yb_child(m, spec->box_branch), *cv3 = yb_child(m, spec->cls_branch);
    if (!cv2 || !cv3 || cv2->n_children != nx || cv3->n_children != nx)
        return yb_fail(b, path, "%s needs %s and %s with one branch per input level (%d)", m->type, spec->box_branch,
                       spec->cls_branch, nx);
    const ModNode *cv4 = NULL;
    if (spec->text >= 0) {
        cv4 = yb_child(m, "cv4");
        if (!cv4 || cv4->n_children != nx) return yb_fail(b, path, "%s needs cv4 with one head per input level (%d)", m->type, nx);
    }
    const char *p2 = yb_path(b, path, spec->box_branch), *p3 = yb_path(b, path, spec->cls_branch);
    const char *p4 = cv4 ? yb_path(b, path, "cv4") : NULL;
    int cats[MAX_LEVELS];
    int64_t hs[MAX_LEVELS], ws[MAX_LEVELS];
    int strides[MAX_LEVELS];
    int64_t nbox = -1, ncls = -1;
    for (int i = 0; i < nx; i++) {
        int a, c;
        const ModNode *b2 = cv2->children[i], *b3 = cv3->children[i];
        if (yb_call_node(b, b2, yb_path(b, p2, b2->name), sc, &x[i], 1, &a) ||
            yb_call_node(b, b3, yb_path(b, p3, b3->name), sc, &x[i], 1, &c))
            return -1;
        if (cv4) {
            const ModNode *h4 = cv4->children[i];
            int in2[2] = {c, spec->text};
            if (yb_call_node(b, h4, yb_path(b, p4, h4->name), sc, in2, 2, &c)) return -1;
        }
        if (i == 0) {
            nbox = yb_dim(b, a, 1);
            ncls = yb_dim(b, c, 1);
        } else if (yb_dim(b, a, 1) != nbox || yb_dim(b, c, 1) != ncls) {
            return yb_fail(b, path, "%s levels disagree in their channel counts", m->type);
        }
        int pair[2] = {a, c};
        cats[i] = yb_concat(b, s, mod, pair, 2, 1);
        if (cats[i] < 0) return -1;
        hs[i] = yb_dim(b, cats[i], 2);
        ws[i] = yb_dim(b, cats[i], 3);
        if (hs[i] <= 0 || ws[i] <= 0 || b->height % hs[i] || b->width % ws[i] ||
            b->height / hs[i] != b->width / ws[i])
            return yb_fail(b, path, "image size %dx%d is not a multiple of the head's strides", b->height, b->width);
        strides[i] = (int)(b->height / hs[i]);
    }
    if (nbox % 4) return yb_fail(b, path, "%s box branch has %lld channels, not a multiple of 4", m->type, (long long)nbox);
    b->g->meta.n_strides = nx;
    for (int i = 0; i < nx; i++) b->g->meta.strides[i] = strides[i];

    int flat[MAX_LEVELS];
    for (int i = 0; i < nx; i++) {
        flat[i] = flatten_hw(b, s, mod, cats[i]);
        if (flat[i] < 0) return -1;
    }
    int xcat = yb_concat(b, s, mod, flat, nx, 2);
    int64_t sizes[2] = {nbox, ncls};
    int parts[2];
    if (xcat < 0 || yb_split(b, s, mod, xcat, 1, sizes, 2, parts) < 0) return -1;
    int dist = parts[0];
    if (yb_child(m, "dfl") && yb_call(b, m, path, sc, "dfl", &parts[0], 1, &dist)) return -1;
    if (yb_dim(b, dist, 1) != 4) return yb_fail(b, path, "%s DFL gives %lld box values, not 4", m->type, (long long)yb_dim(b, dist, 1));

    if (b->hw_only ? cumsum_anchors(b, s, mod, nx, cats, strides, an)
        : b->dynamic ? dynamic_anchors(b, s, mod, nx, cats, strides, an)
                     : static_anchors(b, s, nx, hs, ws, strides, an))
        return -1;
    int64_t two[2] = {2, 2};
    int lr[2];
    if (yb_split(b, s, mod, dist, 1, two, 2, lr) < 0) return -1;
    int box;
    if (spec->decode == DECODE_XYWH || spec->decode == DECODE_XYXY) {
        int x1y1 = yb_binary(b, s, mod, OP_SUB, an->anchors, lr[0]);
        int x2y2 = yb_binary(b, s, mod, OP_ADD, an->anchors, lr[1]);
        if (spec->decode == DECODE_XYXY) {
            int xx[2] = {x1y1, x2y2};
            box = yb_concat(b, s, mod, xx, 2, 1);
        } else {
            int sum = yb_binary(b, s, mod, OP_ADD, x1y1, x2y2);
            int cxy = yb_binary(b, s, mod, OP_DIV, sum, yb_scalar_f32(b, s, 2.f));
            int wh = yb_binary(b, s, mod, OP_SUB, x2y2, x1y1);
            int xw[2] = {cxy, wh};
            box = yb_concat(b, s, mod, xw, 2, 1);
        }
    } else {
        /* dist2rbox: rotate the centre offset by the predicted angle */
        int angle = spec->angle;
        int cosv = yb_unary(b, s, mod, OP_COS, NULL, angle);
        int sinv = yb_unary(b, s, mod, OP_SIN, NULL, angle);
        int d = yb_binary(b, s, mod, OP_SUB, lr[1], lr[0]);
        d = yb_binary(b, s, mod, OP_DIV, d, yb_scalar_f32(b, s, 2.f));
        int64_t ones[2] = {1, 1};
        int xy[2];
        if (d < 0 || yb_split(b, s, mod, d, 1, ones, 2, xy) < 0) return -1;
        int rx = yb_binary(b, s, mod, OP_SUB, yb_binary(b, s, mod, OP_MUL, xy[0], cosv),
                           yb_binary(b, s, mod, OP_MUL, xy[1], sinv));
        int ry = yb_binary(b, s, mod, OP_ADD, yb_binary(b, s, mod, OP_MUL, xy[0], sinv),
                           yb_binary(b, s, mod, OP_MUL, xy[1], cosv));
        int rxy[2] = {rx, ry};
        int c = yb_binary(b, s, mod, OP_ADD, yb_concat(b, s, mod, rxy, 2, 1), an->anchors);
        int wh = yb_binary(b, s, mod, OP_ADD, lr[0], lr[1]);
        int cw[2] = {c, wh};
        box = yb_concat(b, s, mod, cw, 2, 1);
    }
    int dbox = yb_binary(b, s, mod, OP_MUL, box, an->strides);
    int cls = yb_unary(b, s, mod, OP_SIGMOID, NULL, parts[1]);
    int yy[2] = {dbox, cls};
    *out = yb_concat(b, s, mod, yy, 2, 1);
    return *out < 0 ? -1 : 0;
}

int yolo_detect_decode(Builder *b, const ModNode *m, const char *path, const Scope *sc, int mod, const int *x,
                       int nx, const DetectSpec *spec, int *out)
{
    Anchors an;
    return detect_core(b, m, path, sc, mod, x, nx, spec, &an, out);
}

static const DetectSpec detect_plain = {"cv2", "cv3", DECODE_XYWH, -1, -1};

int emit_detect(EMIT_ARGS)
{
    Anchors an;
    return detect_core(b, m, path, sc, mod, x, nx, &detect_plain, &an, out);
}

/* v10Detect.postprocess over y [B, 4+nc, A] (boxes x1 y1 x2 y2): the k best anchors by their
 * best class, then the k best (anchor, class) pairs among those:
 *   out[b, j] = [box of the pair's anchor, score, class] -> [B, k, 6], k = min(max_det, A).
 * Rows are gathered from flattened batches (index + b * rows), so only Gather is needed. */
static int end2end_postprocess(Builder *b, const char *s, int mod, int y, int64_t max_det, int *out)
{
    int64_t B = yb_dim(b, y, 0), C = yb_dim(b, y, 1), A = yb_dim(b, y, 2);
    int64_t nc = C - 4;
    if (B <= 0 || A <= 0 || nc <= 0) return yb_fail(b, s, "the end-to-end head needs static shapes");
    int64_t k = max_det < A ? max_det : A;
    if (k * nc >= ((int64_t)1 << 31)) return yb_fail(b, s, "too many classes for the end-to-end head");
    int64_t p021[3] = {0, 2, 1};
    int preds = yb_transpose(b, s, mod, y, p021, 3); /* [B, A, 4+nc] */
    int64_t sz[2] = {4, nc};
    int bs[2];
    if (preds < 0 || yb_split(b, s, mod, preds, 2, sz, 2, bs) < 0) return -1;
    int64_t last = -1;
    int best = yb_reduce(b, s, mod, OP_REDUCE_MAX, bs[1], &last, 1, false); /* [B, A] */
    int tv, ti;
    if (yb_topk(b, s, mod, best, k, 1, &tv, &ti)) return -1; /* [B, k] */
    /* the k anchors' boxes and scores: rows of [B*A, .] at index + b*A */
    int64_t off[1024];
    if (B > (int64_t)ARRAY_LEN(off)) return yb_fail(b, s, "batch too large for the end-to-end head");
    for (int64_t i = 0; i < B; i++) off[i] = i * A;
    int64_t od[2] = {B, 1};
    int64_t flat1 = B * k, bk4[3] = {B, k, 4}, bkc[3] = {B, k, nc};
    int rows = yb_binary(b, s, mod, OP_ADD, ti, yb_const_i64(b, s, "Constant", 2, od, off));
    rows = yb_reshape(b, s, mod, rows, &flat1, 1);
    int64_t f4[2] = {B * A, 4}, fc[2] = {B * A, nc};
    int boxes = yb_reshape(b, s, mod, yb_gather(b, s, mod, yb_reshape(b, s, mod, bs[0], f4, 2), rows, 0), bk4, 3);
    int scores = yb_reshape(b, s, mod, yb_gather(b, s, mod, yb_reshape(b, s, mod, bs[1], fc, 2), rows, 0), bkc, 3);
    int64_t fl[2] = {B, k * nc};
    int sv, si;
    if (yb_topk(b, s, mod, yb_reshape(b, s, mod, scores, fl, 2), k, 1, &sv, &si)) return -1; /* [B, k] */
    int ncv = yb_const_i64(b, s, "Constant", 0, NULL, &nc);
    int anchor = yb_binary(b, s, mod, OP_DIV, si, ncv); /* index // nc (non-negative) */
    int cls = yb_binary(b, s, mod, OP_SUB, si, yb_binary(b, s, mod, OP_MUL, anchor, ncv)); /* index % nc */
    for (int64_t i = 0; i < B; i++) off[i] = i * k;
    int rows2 = yb_binary(b, s, mod, OP_ADD, anchor, yb_const_i64(b, s, "Constant", 2, od, off));
    rows2 = yb_reshape(b, s, mod, rows2, &flat1, 1);
    int64_t fk[2] = {B * k, 4};
    int sel = yb_reshape(b, s, mod, yb_gather(b, s, mod, yb_reshape(b, s, mod, boxes, fk, 2), rows2, 0), bk4, 3);
    int parts[3] = {sel, yb_unsqueeze(b, s, mod, sv, -1), yb_unsqueeze(b, s, mod, yb_cast(b, s, mod, cls, DT_F32), -1)};
    *out = yb_concat(b, s, mod, parts, 3, 2);
    return *out < 0 ? -1 : 0;
}

/* v10Detect in export form: the one-to-one branches decoded with x1y1x2y2 boxes, then the
 * top-k postprocess in the graph.  The one-to-many branches (cv2, cv3) feed nothing the
 * export returns, and the peer's fuse() drops them: they are emitted only in the FLOPs probe
 * (where the unfused count includes them). */
int emit_v10detect(EMIT_ARGS)
{
    if (b->dynamic) return yb_fail(b, path, "v10Detect with dynamic shapes is not supported (export with dynamic=False)");
    int64_t max_det = modtree_attr_int(m, "max_det", 300);
    if (max_det <= 0 || max_det > 100000) return yb_fail(b, path, "v10Detect max_det %lld out of range", (long long)max_det);
    if (b->probe && yb_child(m, "cv2") && yb_child(m, "cv3") && yb_child(m, "cv2")->n_children == nx &&
        !strcmp(yb_child(m, "cv2")->children[0]->type, "Sequential")) {
        Anchors an;
        int many;
        if (detect_core(b, m, path, sc, mod, x, nx, &detect_plain, &an, &many)) return -1;
    }
    static const DetectSpec one2one = {"one2one_cv2", "one2one_cv3", DECODE_XYXY, -1, -1};
    Anchors an;
    int y;
    if (detect_core(b, m, path, sc, mod, x, nx, &one2one, &an, &y)) return -1;
    if (end2end_postprocess(b, sc->scope, mod, y, max_det, out)) return -1;
    b->g->meta.end2end = true;
    b->g->meta.output_layout = OUTPUT_E2E_XYXY;
    b->g->meta.max_det = (int)(max_det < an.A ? max_det : an.A);
    return 0;
}

int emit_dfl(EMIT_ARGS)
{
    if (nx != 1) return yb_fail(b, path, "DFL takes one input");
    const ModNode *conv = yb_child(m, "conv");
    const ModTensor *w = conv ? modtree_tensor(conv, "weight") : NULL;
    if (!w || w->rank != 4 || w->dims[0] != 1) return yb_fail(b, path, "DFL needs a 1-output conv");
    int64_t reg = w->dims[1];
    int64_t B = yb_dim(b, x[0], 0), C = yb_dim(b, x[0], 1), A = yb_dim(b, x[0], 2);
    if (reg <= 0 || C != 4 * reg) return yb_fail(b, path, "DFL expects %lld channels, got %lld", (long long)(4 * reg), (long long)C);
    const char *s = sc->scope;
    int64_t bdim = yb_bdim(b) ? 0 : B;
    int64_t s1[4] = {bdim, 4, reg, b->dynamic ? -1 : A};
    int64_t perm[4] = {0, 2, 1, 3};
    int y = yb_reshape(b, s, mod, x[0], s1, 4);
    y = yb_transpose(b, s, mod, y, perm, 4);
    y = yb_softmax(b, s, mod, y, 1);
    if (y < 0 || yb_call(b, m, path, sc, "conv", &y, 1, &y)) return -1;
    int64_t s2[3] = {bdim, 4, b->dynamic ? -1 : A};
    *out = yb_reshape(b, s, mod, y, s2, 3);
    return *out < 0 ? -1 : 0;
}

int emit_proto(EMIT_ARGS)
{
    if (nx != 1) return yb_fail(b, path, "Proto takes one input");
    int y;
    if (yb_call(b, m, path, sc, "cv1", x, 1, &y) || yb_call(b, m, path, sc, "upsample", &y, 1, &y) ||
        yb_call(b, m, path, sc, "cv2", &y, 1, &y) || yb_call(b, m, path, sc, "cv3", &y, 1, &y))
        return -1;
    *out = y;
    return 0;
}

int emit_segment(EMIT_ARGS)
{
    int p;
    if (nx < 1 || yb_call(b, m, path, sc, "proto", x, 1, &p)) return nx < 1 ? yb_fail(b, path, "Segment needs inputs") : -1;
    int mc = level_branch(b, m, path, sc, mod, "cv4", x, nx);
    if (mc < 0) return -1;
    Anchors an;
    int det;
    if (detect_core(b, m, path, sc, mod, x, nx, &detect_plain, &an, &det)) return -1;
    int pair[2] = {det, mc};
    *out = yb_concat(b, sc->scope, mod, pair, 2, 1);
    if (*out < 0) return -1;
    b->outputs[0] = *out;
    b->outputs[1] = p;
    b->n_outputs = 2;
    return 0;
}

int emit_pose(EMIT_ARGS)
{
    const char *s = sc->scope;
    int64_t nkpt = modtree_attr_int_at(m, "kpt_shape", 0, b->t->kpt_shape[0]);
    int64_t ndim = modtree_attr_int_at(m, "kpt_shape", 1, b->t->kpt_shape[1]);
    int kpt = level_branch(b, m, path, sc, mod, "cv4", x, nx);
    if (kpt < 0) return -1;
    int64_t nk = yb_dim(b, kpt, 1);
    if (nkpt <= 0 || (ndim != 2 && ndim != 3) || nk != nkpt * ndim)
        return yb_fail(b, path, "Pose kpt_shape (%lld, %lld) does not match %lld keypoint channels", (long long)nkpt,
                       (long long)ndim, (long long)nk);
    Anchors an;
    int det;
    if (detect_core(b, m, path, sc, mod, x, nx, &detect_plain, &an, &det)) return -1;
    /* kpts_decode (export): y = kpts.view(bs, K, ndim, -1);
     * a = (y[:, :, :2] * 2 + (anchors - 0.5)) * strides; cat(a, sigmoid(y[:, :, 2:3])) */
    int64_t B = yb_dim(b, kpt, 0);
    int64_t shp[4] = {yb_bdim(b) ? 0 : B, nkpt, ndim, -1};
    int y = yb_reshape(b, s, mod, kpt, shp, 4);
    int xy = yb_slice(b, s, mod, y, 2, 0, 2, 1);
    int a = yb_binary(b, s, mod, OP_MUL, xy, yb_scalar_f32(b, s, 2.f));
    int grid;
    if (an.anchor_data) {
        float *g = xmalloc(sizeof(float) * (size_t)(2 * an.A));
        for (int64_t i = 0; i < 2 * an.A; i++) g[i] = an.anchor_data[i] - 0.5f;
        int64_t gd[2] = {2, an.A};
        grid = yb_const_f32(b, s, "Constant", 2, gd, g);
        free(g);
    } else {
        grid = yb_binary(b, s, mod, OP_SUB, an.anchors, yb_scalar_f32(b, s, 0.5f));
    }
    a = yb_binary(b, s, mod, OP_ADD, a, grid);
    a = yb_binary(b, s, mod, OP_MUL, a, an.strides);
    if (ndim == 3) {
        int v = yb_unary(b, s, mod, OP_SIGMOID, NULL, yb_slice(b, s, mod, y, 2, 2, 3, 1));
        int av[2] = {a, v};
        a = yb_concat(b, s, mod, av, 2, 2);
    }
    if (a < 0) return -1;
    int64_t shp2[3] = {yb_bdim(b) ? 0 : B, nk, -1};
    int pred = yb_reshape(b, s, mod, a, shp2, 3);
    int pair[2] = {det, pred};
    *out = yb_concat(b, s, mod, pair, 2, 1);
    return *out < 0 ? -1 : 0;
}

int emit_obb(EMIT_ARGS)
{
    const char *s = sc->scope;
    int angle = level_branch(b, m, path, sc, mod, "cv4", x, nx);
    if (angle < 0) return -1;
    if (yb_dim(b, angle, 1) != 1) return yb_fail(b, path, "OBB predicts %lld angles per box; only 1 is supported", (long long)yb_dim(b, angle, 1));
    /* angle = (sigmoid(angle) - 0.25) * pi */
    angle = yb_unary(b, s, mod, OP_SIGMOID, NULL, angle);
    angle = yb_binary(b, s, mod, OP_SUB, angle, yb_scalar_f32(b, s, 0.25f));
    angle = yb_binary(b, s, mod, OP_MUL, angle, yb_scalar_f32(b, s, (float)M_PI));
    if (angle < 0) return -1;
    Anchors an;
    int det;
    DetectSpec rot = {"cv2", "cv3", DECODE_ROTATED, angle, -1};
    if (detect_core(b, m, path, sc, mod, x, nx, &rot, &an, &det)) return -1;
    int pair[2] = {det, angle};
    *out = yb_concat(b, s, mod, pair, 2, 1);
    return *out < 0 ? -1 : 0;
}

/* ---- Classify ---- */

int emit_adaptive_avgpool2d(EMIT_ARGS)
{
    if (nx != 1) return yb_fail(b, path, "AdaptiveAvgPool2d takes one input");
    if (modtree_attr_int_at(m, "output_size", 0, 1) != 1 || modtree_attr_int_at(m, "output_size", 1, 1) != 1)
        return yb_fail(b, path, "AdaptiveAvgPool2d output size other than 1 is not supported");
    *out = yb_gap(b, sc->scope, mod, x[0]);
    return *out < 0 ? -1 : 0;
}

int emit_linear(EMIT_ARGS)
{
    if (nx != 1) return yb_fail(b, path, "Linear takes one input");
    *out = yb_linear_nd(b, m, path, sc->scope, mod, x[0]);
    return *out < 0 ? -1 : 0;
}

int emit_layernorm(EMIT_ARGS)
{
    if (nx != 1) return yb_fail(b, path, "LayerNorm takes one input");
    *out = yb_layernorm(b, m, path, sc->scope, mod, x[0]);
    return *out < 0 ? -1 : 0;
}

/* Classify: softmax(linear(flatten(pool(conv(x))))) — dropout is a no-op in eval. */
int emit_classify(EMIT_ARGS)
{
    const char *s = sc->scope;
    int in = nx == 1 ? x[0] : yb_concat(b, s, mod, x, nx, 1);
    int y;
    if (in < 0 || yb_call(b, m, path, sc, "conv", &in, 1, &y) || yb_call(b, m, path, sc, "pool", &y, 1, &y)) return -1;
    y = yb_flatten(b, s, mod, y, 1);
    if (y < 0) return -1;
    if (yb_child(m, "drop") && yb_call(b, m, path, sc, "drop", &y, 1, &y)) return -1;
    if (yb_call(b, m, path, sc, "linear", &y, 1, &y)) return -1;
    *out = yb_softmax(b, s, mod, y, 1);
    b->g->meta.n_strides = 1;
    b->g->meta.strides[0] = 1;
    return *out < 0 ? -1 : 0;
}
