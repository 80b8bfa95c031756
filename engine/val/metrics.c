/* metrics: matching, AP and the means as the peer computes them (see metrics.h). */
#include "engine/val/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"

float metrics_iou_threshold(int i)
{
    /* torch.linspace(0.5, 0.95, 10) in float32 */
    return (float)(0.5 + (0.95 - 0.5) * i / 9.0);
}

float metrics_box_iou(const float *a, const float *b)
{
    float iw = fminf(a[2], b[2]) - fmaxf(a[0], b[0]), ih = fminf(a[3], b[3]) - fmaxf(a[1], b[1]);
    float inter = (iw > 0 ? iw : 0) * (ih > 0 ? ih : 0);
    float aa = (a[2] - a[0]) * (a[3] - a[1]), ab = (b[2] - b[0]) * (b[3] - b[1]);
    return inter / (aa + ab - inter + 1e-7f);
}

typedef struct {
    int t, p;  /* target, prediction */
    float iou;
    int order; /* position in numpy's nonzero order (row-major) */
} Match;

/* highest IoU first; equal IoUs: the later pair first (argsort()[::-1] of a stable sort) */
static int match_iou_desc(const void *pa, const void *pb)
{
    const Match *a = pa, *b = pb;
    if (a->iou != b->iou) return a->iou > b->iou ? -1 : 1;
    return b->order - a->order;
}

void metrics_match(const float *iou, int nl, int np, unsigned char *correct)
{
    memset(correct, 0, (size_t)np * METRICS_NT);
    if (nl <= 0 || np <= 0) return;
    Match *m = xmalloc(sizeof *m * (size_t)nl * (size_t)np);
    unsigned char *used_p = xmalloc((size_t)np), *used_t = xmalloc((size_t)nl);
    int *first_p = xmalloc(sizeof(int) * (size_t)np);
    for (int t = 0; t < METRICS_NT; t++) {
        float thr = metrics_iou_threshold(t);
        int n = 0;
        for (int i = 0; i < nl; i++)
            for (int j = 0; j < np; j++)
                if (iou[(size_t)i * np + j] >= thr) {
                    m[n] = (Match){i, j, iou[(size_t)i * np + j], n};
                    n++;
                }
        if (n == 0) continue;
        if (n > 1) qsort(m, (size_t)n, sizeof *m, match_iou_desc);
        /* np.unique on the prediction column keeps each prediction's best pair, ordered by
         * prediction; np.unique on the target column then keeps, per target, the pair with the
         * lowest prediction index among those */
        for (int j = 0; j < np; j++) first_p[j] = -1;
        for (int k = 0; k < n; k++)
            if (first_p[m[k].p] < 0) first_p[m[k].p] = k;
        memset(used_t, 0, (size_t)nl);
        memset(used_p, 0, (size_t)np);
        for (int j = 0; j < np; j++) {
            int k = first_p[j];
            if (k < 0 || used_t[m[k].t]) continue;
            used_t[m[k].t] = 1;
            correct[(size_t)j * METRICS_NT + t] = 1;
        }
    }
    free(m);
    free(used_p);
    free(used_t);
    free(first_p);
}

/* numpy.interp(x, xp, fp, left, right) for one x; xp non-decreasing. */
static double interp1(double x, const double *xp, const double *fp, int n, double left, double right)
{
    if (n <= 0) return 0;
    if (x < xp[0]) return left;
    if (x > xp[n - 1]) return right;
    if (x == xp[n - 1]) return fp[n - 1];
    /* the last j with xp[j] <= x */
    int lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (xp[mid] <= x) lo = mid;
        else hi = mid;
    }
    int j = lo;
    if (xp[j] == x) return fp[j];
    double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    double v = slope * (x - xp[j]) + fp[j];
    if (v != v) v = slope * (x - xp[j + 1]) + fp[j + 1];
    return v;
}

double metrics_compute_ap(const double *recall, const double *precision, int n)
{
    double *mrec = xmalloc(sizeof(double) * (size_t)(n + 2)), *mpre = xmalloc(sizeof(double) * (size_t)(n + 2));
    mrec[0] = 0.0, mpre[0] = 1.0;
    for (int i = 0; i < n; i++) mrec[i + 1] = recall[i], mpre[i + 1] = precision[i];
    mrec[n + 1] = 1.0, mpre[n + 1] = 0.0;
    /* the precision envelope: flip(maximum.accumulate(flip(mpre))) */
    for (int i = n; i >= 0; i--)
        if (mpre[i + 1] > mpre[i]) mpre[i] = mpre[i + 1];
    /* 101-point interpolation, trapezoid rule */
    double ap = 0, prev_x = 0, prev_y = 0;
    for (int k = 0; k <= 100; k++) {
        double x = k / 100.0;
        double y = interp1(x, mrec, mpre, n + 2, mpre[0], mpre[n + 1]);
        if (k > 0) ap += (x - prev_x) * (y + prev_y) / 2;
        prev_x = x, prev_y = y;
    }
    free(mrec);
    free(mpre);
    return ap;
}

typedef struct {
    float conf;
    int idx;
} ConfIdx;

/* np.argsort(-conf): a quicksort, ties in no promised order; stable here */
static int conf_desc(const void *pa, const void *pb)
{
    const ConfIdx *a = pa, *b = pb;
    if (a->conf != b->conf) return a->conf > b->conf ? -1 : 1;
    return a->idx - b->idx;
}

static int int_cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

#define CURVE 1000

int metrics_ap_per_class(const unsigned char *tp, const float *conf, const int *pred_cls, int n, const int *target_cls,
                         int nt, ApResult *out)
{
    memset(out, 0, sizeof *out);
    if (n < 0 || nt < 0 || n > (1 << 26) || nt > (1 << 26)) return -1;
    const double eps = 1e-16;
    /* unique target classes with their counts */
    int *tc = xmalloc(sizeof(int) * (size_t)(nt ? nt : 1));
    memcpy(tc, target_cls, sizeof(int) * (size_t)nt);
    qsort(tc, (size_t)nt, sizeof(int), int_cmp);
    int nc = 0;
    int *classes = xmalloc(sizeof(int) * (size_t)(nt ? nt : 1)), *counts = xcalloc((size_t)(nt ? nt : 1), sizeof(int));
    for (int i = 0; i < nt; i++) {
        if (i == 0 || tc[i] != tc[i - 1]) classes[nc++] = tc[i];
        counts[nc - 1]++;
    }
    free(tc);
    out->n = nc;
    out->classes = classes;
    out->p = xcalloc((size_t)(nc ? nc : 1), sizeof(double));
    out->r = xcalloc((size_t)(nc ? nc : 1), sizeof(double));
    out->f1 = xcalloc((size_t)(nc ? nc : 1), sizeof(double));
    out->ap = xcalloc((size_t)(nc ? nc : 1) * METRICS_NT, sizeof(double));
    if (nc == 0) {
        free(counts);
        return 0;
    }
    ConfIdx *order = xmalloc(sizeof *order * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) order[i] = (ConfIdx){conf[i], i};
    qsort(order, (size_t)n, sizeof *order, conf_desc);
    double *p_curve = xcalloc((size_t)nc * CURVE, sizeof(double)), *r_curve = xcalloc((size_t)nc * CURVE, sizeof(double));
    double *rec = xmalloc(sizeof(double) * (size_t)(n ? n : 1) * METRICS_NT),
           *pre = xmalloc(sizeof(double) * (size_t)(n ? n : 1) * METRICS_NT);
    double *negconf = xmalloc(sizeof(double) * (size_t)(n ? n : 1)), *col_r = xmalloc(sizeof(double) * (size_t)(n ? n : 1)),
           *col_p = xmalloc(sizeof(double) * (size_t)(n ? n : 1));
    for (int ci = 0; ci < nc; ci++) {
        int c = classes[ci], n_l = counts[ci], n_p = 0;
        double tpc[METRICS_NT] = {0}, fpc[METRICS_NT] = {0};
        for (int k = 0; k < n; k++) {
            int j = order[k].idx;
            if (pred_cls[j] != c) continue;
            negconf[n_p] = -(double)conf[j];
            for (int t = 0; t < METRICS_NT; t++) {
                double hit = tp[(size_t)j * METRICS_NT + t] ? 1 : 0;
                tpc[t] += hit;
                fpc[t] += 1 - hit;
                rec[(size_t)n_p * METRICS_NT + t] = tpc[t] / (n_l + eps);
                pre[(size_t)n_p * METRICS_NT + t] = tpc[t] / (tpc[t] + fpc[t]);
            }
            n_p++;
        }
        if (n_p == 0 || n_l == 0) continue;
        for (int k = 0; k < n_p; k++) col_r[k] = rec[(size_t)k * METRICS_NT], col_p[k] = pre[(size_t)k * METRICS_NT];
        for (int x = 0; x < CURVE; x++) {
            double nx = -(double)x / (CURVE - 1);
            r_curve[(size_t)ci * CURVE + x] = interp1(nx, negconf, col_r, n_p, 0, col_r[n_p - 1]);
            p_curve[(size_t)ci * CURVE + x] = interp1(nx, negconf, col_p, n_p, 1, col_p[n_p - 1]);
        }
        for (int t = 0; t < METRICS_NT; t++) {
            for (int k = 0; k < n_p; k++) col_r[k] = rec[(size_t)k * METRICS_NT + t], col_p[k] = pre[(size_t)k * METRICS_NT + t];
            out->ap[(size_t)ci * METRICS_NT + t] = metrics_compute_ap(col_r, col_p, n_p);
        }
    }
    /* the class-mean F1 curve, smoothed (box filter of 101 points, edges padded), its argmax */
    double *f1m = xcalloc(CURVE, sizeof(double));
    for (int x = 0; x < CURVE; x++) {
        double s = 0;
        for (int ci = 0; ci < nc; ci++) {
            double p = p_curve[(size_t)ci * CURVE + x], r = r_curve[(size_t)ci * CURVE + x];
            s += 2 * p * r / (p + r + eps);
        }
        f1m[x] = s / nc;
    }
    const int nf = 101, half = nf / 2;
    int best = 0;
    double best_v = -1;
    for (int x = 0; x < CURVE; x++) {
        double s = 0;
        for (int k = x - half; k <= x + half; k++) s += f1m[k < 0 ? 0 : k >= CURVE ? CURVE - 1 : k];
        s /= nf;
        if (s > best_v) best_v = s, best = x;
    }
    double sp = 0, sr = 0, s50 = 0, s75 = 0, sall = 0;
    for (int ci = 0; ci < nc; ci++) {
        double p = p_curve[(size_t)ci * CURVE + best], r = r_curve[(size_t)ci * CURVE + best];
        out->p[ci] = p;
        out->r[ci] = r;
        out->f1[ci] = 2 * p * r / (p + r + eps);
        sp += p, sr += r;
        s50 += out->ap[(size_t)ci * METRICS_NT];
        s75 += out->ap[(size_t)ci * METRICS_NT + 5];
        for (int t = 0; t < METRICS_NT; t++) sall += out->ap[(size_t)ci * METRICS_NT + t];
    }
    out->mp = sp / nc, out->mr = sr / nc, out->map50 = s50 / nc, out->map75 = s75 / nc;
    out->map = sall / (nc * METRICS_NT);
    free(f1m);
    free(order);
    free(p_curve);
    free(r_curve);
    free(rec);
    free(pre);
    free(negconf);
    free(col_r);
    free(col_p);
    free(counts);
    return 0;
}

void metrics_ap_free(ApResult *r)
{
    if (!r) return;
    free(r->classes);
    free(r->p);
    free(r->r);
    free(r->f1);
    free(r->ap);
    memset(r, 0, sizeof *r);
}

/* COCO's keypoint sigmas (the COCO evaluation's per-keypoint constants). */
static const float coco_sigmas[17] = {.026f, .025f, .025f, .035f, .035f, .079f, .079f, .072f, .072f,
                                      .062f, .062f, .107f, .107f, .087f, .087f, .089f, .089f};

float metrics_oks(const float *g, int gdim, const float *p, int pdim, int nkpt, float area)
{
    const float eps = 1e-7f;
    float s = 0, vis = 0;
    for (int k = 0; k < nkpt; k++) {
        const float *a = g + (size_t)k * gdim, *b = p + (size_t)k * pdim;
        bool on = gdim < 3 || a[2] != 0;
        if (!on) continue;
        float sigma = nkpt == 17 ? coco_sigmas[k] : 1.0f / nkpt;
        float d = (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]);
        float e = d / ((2 * sigma) * (2 * sigma) * (area + eps) * 2);
        s += expf(-e);
        vis += 1;
    }
    return s / (vis + eps);
}
