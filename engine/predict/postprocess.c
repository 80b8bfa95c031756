/* postprocess: confidence filter, NMS and letterbox undo for YOLO outputs (see postprocess.h). */
#include "engine/predict/postprocess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"

#define MAX_WH 7680.0f /* the peer's class offset for class-aware NMS */

void post_defaults(PostOptions *o)
{
    memset(o, 0, sizeof *o);
    o->conf = 0.25f;
    o->iou = 0.7f;
    o->max_det = 300;
    o->max_nms = 30000;
}

float post_iou(const Detection *a, const Detection *b)
{
    float w = fminf(a->x2, b->x2) - fmaxf(a->x1, b->x1), h = fminf(a->y2, b->y2) - fmaxf(a->y1, b->y1);
    if (w <= 0 || h <= 0) return 0;
    float inter = w * h, uni = (a->x2 - a->x1) * (a->y2 - a->y1) + (b->x2 - b->x1) * (b->y2 - b->y1) - inter;
    return uni > 0 ? inter / uni : 0;
}

/* highest score first; equal scores keep anchor order (a stable sort) */
static int det_cmp(const void *pa, const void *pb)
{
    const Detection *a = pa, *b = pb;
    if (a->conf != b->conf) return a->conf > b->conf ? -1 : 1;
    return a->anchor < b->anchor ? -1 : a->anchor > b->anchor;
}

/* The peer's batch_probiou on one pair: Gaussian covariance (w²/12, h²/12 rotated by the
 * angle), Bhattacharyya distance clamped to [eps, 100], 1 - Hellinger distance. */
float post_probiou(const float *a, const float *b)
{
    const float eps = 1e-7f;
    float ca = cosf(a[4]), sa = sinf(a[4]), cb = cosf(b[4]), sb = sinf(b[4]);
    float wa = a[2] * a[2] / 12, ha = a[3] * a[3] / 12, wb = b[2] * b[2] / 12, hb = b[3] * b[3] / 12;
    float a1 = wa * ca * ca + ha * sa * sa, b1 = wa * sa * sa + ha * ca * ca, c1 = (wa - ha) * ca * sa;
    float a2 = wb * cb * cb + hb * sb * sb, b2 = wb * sb * sb + hb * cb * cb, c2 = (wb - hb) * cb * sb;
    float dx = a[0] - b[0], dy = a[1] - b[1];
    float den = (a1 + a2) * (b1 + b2) - (c1 + c2) * (c1 + c2) + eps;
    float t1 = ((a1 + a2) * dy * dy + (b1 + b2) * dx * dx) / den * 0.25f;
    float t2 = ((c1 + c2) * (-dx) * dy) / den * 0.5f;
    float d1 = a1 * b1 - c1 * c1, d2 = a2 * b2 - c2 * c2;
    if (d1 < 0) d1 = 0;
    if (d2 < 0) d2 = 0;
    float t3 = logf(((a1 + a2) * (b1 + b2) - (c1 + c2) * (c1 + c2)) / (4 * sqrtf(d1 * d2) + eps) + eps) * 0.5f;
    float bd = t1 + t2 + t3;
    if (!(bd >= eps)) bd = eps;
    if (bd > 100) bd = 100;
    float hd = sqrtf(1 - expf(-bd) + eps);
    return 1 - hd;
}

static void rotated_bounds(Detection *d)
{
    float c = fabsf(cosf(d->r[4])), s = fabsf(sinf(d->r[4]));
    float hw = (d->r[2] * c + d->r[3] * s) / 2, hh = (d->r[2] * s + d->r[3] * c) / 2;
    d->x1 = d->r[0] - hw;
    d->y1 = d->r[1] - hh;
    d->x2 = d->r[0] + hw;
    d->y2 = d->r[1] + hh;
}

int post_detect(const float *pred, int64_t channels, int64_t anchors, const PostOptions *o, Detection **out, int *n,
                char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    PostOptions def;
    if (!o) {
        post_defaults(&def);
        o = &def;
    }
    int64_t nc = o->nc ? o->nc : channels - 4 - o->extra;
    if (channels < 5 || anchors < 0 || nc < 1 || o->extra < 0 || 4 + nc + o->extra != channels ||
        (o->rotated && o->extra < 1))
        return err_set(err, errlen, "output has %lld channels, which is not 4 + %lld classes + %d extra",
                       (long long)channels, (long long)nc, o->extra);
    if (anchors > (int64_t)1 << 26) return err_set(err, errlen, "too many anchors (%lld)", (long long)anchors);
    bool multi = o->multi_label && nc > 1;
    Vec cv = {0};
    for (int64_t a = 0; a < anchors; a++) {
        float best = pred[4 * anchors + a];
        int bc = 0;
        for (int64_t c = 1; c < nc; c++) {
            float s = pred[(4 + c) * anchors + a];
            if (s > best) { /* first maximum, as torch.max */
                best = s;
                bc = (int)c;
            }
        }
        if (!(best > o->conf)) continue;
        float cx = pred[a], cy = pred[anchors + a], w = pred[2 * anchors + a], h = pred[3 * anchors + a];
        for (int64_t c = multi ? 0 : bc; c < (multi ? nc : bc + 1); c++) {
            float s = multi ? pred[(4 + c) * anchors + a] : best;
            if (!(s > o->conf)) continue;
            if (o->class_ok && !o->class_ok[c]) continue;
            Detection d = {.conf = s, .cls = (int)c, .anchor = a};
            if (o->rotated) {
                d.r[0] = cx, d.r[1] = cy, d.r[2] = w, d.r[3] = h;
                d.r[4] = pred[(channels - 1) * anchors + a];
                rotated_bounds(&d);
            } else {
                d.x1 = cx - w / 2;
                d.y1 = cy - h / 2;
                d.x2 = cx + w / 2;
                d.y2 = cy + h / 2;
            }
            vec_push(&cv, sizeof d, &d);
        }
    }
    Detection *cand = cv.items;
    int64_t nc_ = (int64_t)cv.len;
    if (nc_ > 1) qsort(cand, (size_t)nc_, sizeof *cand, det_cmp);
    if (nc_ > o->max_nms && o->max_nms > 0) nc_ = o->max_nms;
    /* NMS on class-offset boxes, in float as the peer computes them */
    Detection *shifted = xmalloc(sizeof *shifted * (size_t)(nc_ ? nc_ : 1));
    for (int64_t i = 0; i < nc_; i++) {
        shifted[i] = cand[i];
        float off = o->agnostic ? 0.f : (float)cand[i].cls * MAX_WH;
        shifted[i].x1 += off;
        shifted[i].y1 += off;
        shifted[i].x2 += off;
        shifted[i].y2 += off;
        shifted[i].r[0] += off;
        shifted[i].r[1] += off;
    }
    unsigned char *gone = xcalloc((size_t)(nc_ ? nc_ : 1), 1);
    Detection *keep = xmalloc(sizeof *keep * (size_t)(nc_ ? nc_ : 1));
    int nk = 0;
    int max_det = o->max_det > 0 ? o->max_det : 300;
    if (o->rotated) {
        /* the peer's fast NMS: a box goes when any higher-scoring box, kept or not, overlaps it
         * by probiou >= iou */
        for (int64_t j = 0; j < nc_; j++)
            for (int64_t i = 0; i < j && !gone[j]; i++)
                if (post_probiou(shifted[i].r, shifted[j].r) >= o->iou) gone[j] = 1;
        for (int64_t i = 0; i < nc_ && nk < max_det; i++)
            if (!gone[i]) keep[nk++] = cand[i];
    } else {
        for (int64_t i = 0; i < nc_ && nk < max_det; i++) {
            if (gone[i]) continue;
            keep[nk++] = cand[i];
            for (int64_t j = i + 1; j < nc_; j++)
                if (!gone[j] && post_iou(&shifted[i], &shifted[j]) > o->iou) gone[j] = 1;
        }
    }
    free(gone);
    free(shifted);
    free(cand);
    *out = keep;
    *n = nk;
    return 0;
}

int post_rows(const float *pred, int64_t rows, int64_t cols, const PostOptions *o, Detection **out, int *n, char *err,
              size_t errlen)
{
    *out = NULL;
    *n = 0;
    PostOptions def;
    if (!o) {
        post_defaults(&def);
        o = &def;
    }
    if (rows < 0 || cols < 6 || rows > (1 << 20))
        return err_set(err, errlen, "end-to-end output of %lld rows x %lld values: rows of x1, y1, x2, y2, conf, "
                       "class expected", (long long)rows, (long long)cols);
    int max_det = o->max_det > 0 ? o->max_det : 300;
    Detection *keep = xmalloc(sizeof *keep * (size_t)(rows ? rows : 1));
    int nk = 0, taken = 0;
    for (int64_t r = 0; r < rows && taken < max_det; r++) {
        const float *p = pred + r * cols;
        if (!(p[4] > o->conf)) continue;
        taken++; /* max_det counts before the class filter, as the peer slices before it */
        int cls = (int)p[5];
        if (!(p[5] >= 0) || p[5] > 1e6f) continue;
        if (o->class_ok && (o->nc <= 0 || cls >= o->nc || !o->class_ok[cls])) continue;
        Detection d = {.x1 = p[0], .y1 = p[1], .x2 = p[2], .y2 = p[3], .conf = p[4], .cls = cls, .anchor = r};
        keep[nk++] = d;
    }
    *out = keep;
    *n = nk;
    return 0;
}

int post_queries(const float *pred, int64_t rows, int64_t cols, const PostOptions *o, float in_sx, float in_sy,
                 float out_sx, float out_sy, Detection **out, int *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    PostOptions def;
    if (!o) {
        post_defaults(&def);
        o = &def;
    }
    if (rows < 0 || cols < 5 || rows > (1 << 20) || cols > (1 << 20))
        return err_set(err, errlen, "query output of %lld rows x %lld values: rows of cx, cy, w, h and class scores "
                       "expected", (long long)rows, (long long)cols);
    Detection *keep = xmalloc(sizeof *keep * (size_t)(rows ? rows : 1));
    int nk = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *p = pred + r * cols;
        float best = p[4];
        int bc = 0;
        for (int64_t c = 5; c < cols; c++)
            if (p[c] > best) { /* the first maximum, as torch.max */
                best = p[c];
                bc = (int)(c - 4);
            }
        if (!(best > o->conf)) continue;
        if (o->class_ok && (o->nc <= 0 || bc >= o->nc || !o->class_ok[bc])) continue;
        /* xywh2xyxy on the (scaled) rows, then the output scale, in float as the peer's tensors */
        float cx = p[0] * in_sx, cy = p[1] * in_sy, hw = p[2] * in_sx / 2, hh = p[3] * in_sy / 2;
        Detection d = {.x1 = (cx - hw) * out_sx, .y1 = (cy - hh) * out_sy, .x2 = (cx + hw) * out_sx,
                       .y2 = (cy + hh) * out_sy, .conf = best, .cls = bc, .anchor = r};
        keep[nk++] = d;
    }
    if (nk > 1) qsort(keep, (size_t)nk, sizeof *keep, det_cmp);
    if (o->max_det > 0 && nk > o->max_det) nk = o->max_det;
    *out = keep;
    *n = nk;
    return 0;
}

void post_scale_boxes(Detection *d, int n, int net_h, int net_w, int img_h, int img_w)
{
    if (img_h <= 0 || img_w <= 0 || net_h <= 0 || net_w <= 0) return;
    double gain = fmin((double)net_h / img_h, (double)net_w / img_w);
    double pad_x = nearbyint((net_w - nearbyint(img_w * gain)) / 2 - 0.1);
    double pad_y = nearbyint((net_h - nearbyint(img_h * gain)) / 2 - 0.1);
    for (int i = 0; i < n; i++) {
        float *c[4] = {&d[i].x1, &d[i].y1, &d[i].x2, &d[i].y2};
        for (int k = 0; k < 4; k++) {
            bool is_x = k % 2 == 0;
            /* float32 arithmetic, as the peer's tensors */
            float v = (*c[k] - (float)(is_x ? pad_x : pad_y)) / (float)gain;
            float hi = (float)(is_x ? img_w : img_h);
            *c[k] = v < 0 ? 0 : v > hi ? hi : v;
        }
    }
}

void post_scale_rotated(Detection *d, int n, int net_h, int net_w, int img_h, int img_w)
{
    if (img_h <= 0 || img_w <= 0 || net_h <= 0 || net_w <= 0) return;
    const float pi = 3.14159265358979f;
    double gain = fmin((double)net_h / img_h, (double)net_w / img_w);
    double pad_x = nearbyint((net_w - nearbyint(img_w * gain)) / 2 - 0.1);
    double pad_y = nearbyint((net_h - nearbyint(img_h * gain)) / 2 - 0.1);
    for (int i = 0; i < n; i++) {
        float *r = d[i].r;
        /* regularize_rboxes: t % pi >= pi/2 swaps w and h; t % (pi/2) */
        float t = fmodf(r[4], pi);
        if (t < 0) t += pi;
        if (t >= pi / 2) {
            float w = r[2];
            r[2] = r[3];
            r[3] = w;
        }
        t = fmodf(r[4], pi / 2);
        if (t < 0) t += pi / 2;
        r[4] = t;
        r[0] = (r[0] - (float)pad_x) / (float)gain;
        r[1] = (r[1] - (float)pad_y) / (float)gain;
        r[2] /= (float)gain;
        r[3] /= (float)gain;
        /* clip_boxes on xywh, as the peer applies it */
        r[0] = fminf(fmaxf(r[0], 0), (float)img_w);
        r[2] = fminf(fmaxf(r[2], 0), (float)img_w);
        r[1] = fminf(fmaxf(r[1], 0), (float)img_h);
        r[3] = fminf(fmaxf(r[3], 0), (float)img_h);
        rotated_bounds(&d[i]);
        d[i].x1 = fmaxf(d[i].x1, 0), d[i].y1 = fmaxf(d[i].y1, 0);
        d[i].x2 = fminf(d[i].x2, (float)img_w), d[i].y2 = fminf(d[i].y2, (float)img_h);
    }
}

void post_scale_points(float *pts, int k, int kdim, int net_h, int net_w, int img_h, int img_w)
{
    if (img_h <= 0 || img_w <= 0 || net_h <= 0 || net_w <= 0 || kdim < 2) return;
    double gain = fmin((double)net_h / img_h, (double)net_w / img_w);
    double pad_x = nearbyint((net_w - nearbyint(img_w * gain)) / 2 - 0.1);
    double pad_y = nearbyint((net_h - nearbyint(img_h * gain)) / 2 - 0.1);
    for (int i = 0; i < k; i++) {
        float *p = pts + (size_t)i * kdim;
        float x = (p[0] - (float)pad_x) / (float)gain, y = (p[1] - (float)pad_y) / (float)gain;
        p[0] = x < 0 ? 0 : x > img_w ? (float)img_w : x;
        p[1] = y < 0 ? 0 : y > img_h ? (float)img_h : y;
    }
}

unsigned char *post_masks(const float *pred, int64_t channels, int64_t anchors, int nc, const Detection *d, int n,
                          const float *protos, int nm, int mh, int mw, int net_h, int net_w, char *err, size_t errlen)
{
    if (nc < 1 || nm < 1 || 4 + (int64_t)nc + nm > channels || mh < 1 || mw < 1 || net_h < 1 || net_w < 1 || n < 0 ||
        (int64_t)mh * mw > (1 << 24) || (int64_t)net_h * net_w > (1 << 26)) {
        err_set(err, errlen, "mask sizes do not fit: %lld channels, %d classes, %d prototypes of %dx%d",
                (long long)channels, nc, nm, mw, mh);
        return NULL;
    }
    size_t plane = (size_t)net_h * net_w, pp = (size_t)mh * mw;
    unsigned char *out = xcalloc((size_t)(n ? n : 1), plane);
    float *logit = xmalloc(sizeof(float) * pp);
    /* source coordinates of the bilinear upsample (PyTorch, align_corners=False) */
    int *x0 = xmalloc(sizeof(int) * (size_t)net_w * 2), *y0 = xmalloc(sizeof(int) * (size_t)net_h * 2);
    float *fx = xmalloc(sizeof(float) * (size_t)net_w), *fy = xmalloc(sizeof(float) * (size_t)net_h);
    for (int axis = 0; axis < 2; axis++) {
        int len = axis ? net_h : net_w, in = axis ? mh : mw;
        int *i01 = axis ? y0 : x0;
        float *f = axis ? fy : fx, scale = (float)in / (float)len;
        for (int o = 0; o < len; o++) {
            float s = scale * ((float)o + 0.5f) - 0.5f;
            if (s < 0) s = 0;
            int i = (int)s;
            if (i > in - 1) i = in - 1;
            i01[2 * o] = i;
            i01[2 * o + 1] = i < in - 1 ? i + 1 : i;
            f[o] = s - (float)i;
        }
    }
    for (int k = 0; k < n; k++) {
        if (d[k].anchor < 0 || d[k].anchor >= anchors) continue;
        for (size_t i = 0; i < pp; i++) logit[i] = 0;
        for (int c = 0; c < nm; c++) {
            float coef = pred[(4 + nc + c) * anchors + d[k].anchor];
            const float *pc = protos + (size_t)c * pp;
            for (size_t i = 0; i < pp; i++) logit[i] += coef * pc[i];
        }
        /* crop at prototype resolution: r >= x1 && r < x2 && c >= y1 && c < y2 */
        float bx1 = d[k].x1 * ((float)mw / net_w), bx2 = d[k].x2 * ((float)mw / net_w);
        float by1 = d[k].y1 * ((float)mh / net_h), by2 = d[k].y2 * ((float)mh / net_h);
        for (int y = 0; y < mh; y++)
            for (int x = 0; x < mw; x++)
                if (!((float)x >= bx1 && (float)x < bx2 && (float)y >= by1 && (float)y < by2)) logit[(size_t)y * mw + x] = 0;
        unsigned char *m = out + (size_t)k * plane;
        for (int y = 0; y < net_h; y++) {
            const float *r0 = logit + (size_t)y0[2 * y] * mw, *r1 = logit + (size_t)y0[2 * y + 1] * mw;
            for (int x = 0; x < net_w; x++) {
                /* PyTorch's upsample_bilinear2d arithmetic */
                float w1 = fx[x], w0 = 1.f - w1, h1 = fy[y], h0 = 1.f - h1;
                float v = h0 * (w0 * r0[x0[2 * x]] + w1 * r0[x0[2 * x + 1]]) + h1 * (w0 * r1[x0[2 * x]] + w1 * r1[x0[2 * x + 1]]);
                m[(size_t)y * net_w + x] = v > 0.f;
            }
        }
    }
    free(logit);
    free(x0);
    free(y0);
    free(fx);
    free(fy);
    return out;
}
