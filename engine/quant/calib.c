/* calib: calibration images, the statistics our executor gathers over them, and the 8-bit
 * arithmetic INT8 writers share (see calib.h).
 *
 * The default method, CALIB_METHOD_DEFAULT, is percentile: it kept COCO8's mAP50-95 best when
 * the three were compared on the same statistics (bench/int8.sh; mAP50-95 change against fp32,
 * QDQ / FakeQuantize, at 640):
 *                     calibrated on val                   calibrated on train
 *                     yolov8n         yolov8s             yolov8n         yolov8s
 *     min/max         +0.008/+0.010   -0.026/-0.027       +0.008/-0.009   -0.014/-0.012
 *     percentile      -0.005/-0.005   -0.001/-0.001       +0.004/+0.003   +0.000/-0.003
 *     entropy         -0.057/-0.063   -0.016/-0.025       -0.129/-0.139   -0.009/-0.010
 * Min/max spends the 256 levels on rare outliers (yolov8n's model.1 SiLU reaches 133.7 where
 * 99.99% of its values are below 79.3), which coarsens the step for every other value; entropy
 * clips hardest (model.0 at 13.9 of 56.6) and costs box precision, which mAP50-95 measures.
 * Percentile clips only the outermost 0.01% on each side.  COCO8's val split has 4 images, so
 * single figures move by a few thousandths from run to run of the method; the ranking held in
 * every case. */
#include "engine/quant/calib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/core/image.h"
#include "engine/core/util.h"
#include "engine/exec/exec.h"
#include "engine/predict/sources.h"
#include "engine/val/dataset.h"
#include "engine/val/val.h"

#define CALIB_BINS 2048

static const char *const method_names[CALIB_METHOD_COUNT] = {
#define CALIB_METHOD_NAME_(id, name) name,
    CALIB_METHODS(CALIB_METHOD_NAME_)
#undef CALIB_METHOD_NAME_
};

const char *calib_method_name(CalibMethod m) { return (unsigned)m < CALIB_METHOD_COUNT ? method_names[m] : "?"; }

int calib_method_find(const char *name)
{
    for (int i = 0; name && i < CALIB_METHOD_COUNT; i++)
        if (!strcmp(name, method_names[i])) return i;
    return -1;
}

/* ---- data ------------------------------------------------------------------------------- */

void calib_set_free(CalibSet *s)
{
    if (!s) return;
    free(s->data);
    free(s->yaml);
    free(s->split);
    for (int i = 0; i < s->n_images; i++) free(s->images[i]);
    free(s->images);
    memset(s, 0, sizeof *s);
}

int calib_set_open(const char *data, const char *split, double fraction, CalibSet *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!data || !*data) return err_set(err, errlen, "no calibration data given");
    out->data = xstrdup(data);
    struct stat sb;
    if (stat(data, &sb) != 0) return err_set(err, errlen, "data=%s: no such dataset yaml or folder of images", data);
    char **paths = NULL;
    int n = 0;
    if (S_ISDIR(sb.st_mode)) {
        out->kind = CALIB_FOLDER;
        char msg[1024];
        if (sources_list(data, &paths, &n, msg, sizeof msg) != 0) return err_set(err, errlen, "data=%s", msg);
        out->fraction = 1.0;
    } else {
        out->kind = CALIB_DATASET;
        Dataset d;
        if (dataset_load(data, split, &d, err, errlen) != 0) return -1;
        out->yaml = xstrdup(d.yaml_path);
        out->split = xstrdup(d.split);
        paths = d.images;
        n = d.n_images;
        d.images = NULL;
        d.n_images = 0;
        dataset_free(&d);
        out->fraction = fraction > 0 && fraction <= 1 ? fraction : 1.0;
    }
    out->n_found = n;
    /* the peer's YOLODataset: im_files[:round(len(im_files) * fraction)] (Python rounds half
     * to even, as nearbyint does); one image at least */
    int keep = (int)nearbyint((double)n * out->fraction);
    if (keep < 1) keep = 1;
    if (keep > n) keep = n;
    for (int i = keep; i < n; i++) free(paths[i]);
    out->images = paths;
    out->n_images = keep;
    return 0;
}

float *calib_input(const CalibSet *s, int i, int h, int w, char *err, size_t errlen)
{
    if (i < 0 || i >= s->n_images || h < 1 || w < 1) {
        err_set(err, errlen, "calibration image %d is out of range", i);
        return NULL;
    }
    Image im;
    if (image_load(s->images[i], &im, err, errlen) != 0) return NULL;
    float *x = val_input(&im, h > w ? h : w, h, w);
    image_free(&im);
    return x;
}

/* ---- statistics --------------------------------------------------------------------------- */

typedef struct {
    bool seen;
    float min, max;      /* over every value seen */
    float h_lo, h_hi;    /* the histogram's range */
    uint64_t count;
    uint64_t *hist;      /* CALIB_BINS counts over [h_lo, h_hi] */
} TensorStats;

struct CalibStats {
    const Graph *g;
    int n_tensors;       /* g's tensors when calibrated (a graph rewritten later may have more) */
    TensorStats *t;      /* per tensor of g */
    bool *watch;
    int images;
    double seconds;
};

/* Move the counts into a histogram over [lo, hi] (which holds the old range): each old bin's
 * count goes to the new bin holding its centre. */
static void rebin(TensorStats *s, float lo, float hi)
{
    uint64_t *h = xcalloc(CALIB_BINS, sizeof *h);
    double ow = ((double)s->h_hi - s->h_lo) / CALIB_BINS, nw = ((double)hi - lo) / CALIB_BINS;
    for (int b = 0; b < CALIB_BINS; b++) {
        if (!s->hist[b]) continue;
        double c = s->h_lo + (b + 0.5) * ow;
        int k = (int)((c - lo) / nw);
        k = k < 0 ? 0 : k >= CALIB_BINS ? CALIB_BINS - 1 : k;
        h[k] += s->hist[b];
    }
    free(s->hist);
    s->hist = h;
    s->h_lo = lo;
    s->h_hi = hi;
}

static void observe(void *ctx, int tensor, const float *data, const int64_t *dims, int rank)
{
    CalibStats *cs = ctx;
    if (tensor < 0 || tensor >= cs->n_tensors || !cs->watch[tensor]) return;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    if (n <= 0) return;
    float mn = INFINITY, mx = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        float v = data[i];
        if (v < mn) mn = v;
        if (v > mx) mx = v;
    }
    if (!(mn <= mx) || !isfinite(mn) || !isfinite(mx)) return; /* NaN or infinite values: no range */
    TensorStats *s = &cs->t[tensor];
    if (!s->seen) {
        s->seen = true;
        s->min = mn;
        s->max = mx;
        s->hist = xcalloc(CALIB_BINS, sizeof *s->hist);
        float pad = fmaxf(1e-6f, 1e-6f * fmaxf(fabsf(mn), fabsf(mx)));
        s->h_lo = mn;
        s->h_hi = mx > mn ? mx : mn + pad;
    } else {
        if (mn < s->min) s->min = mn;
        if (mx > s->max) s->max = mx;
        if (mn < s->h_lo || mx > s->h_hi) {
            /* widen with a margin, so that a slowly growing range is not rebinned every image */
            float w = s->h_hi - s->h_lo;
            float lo = mn < s->h_lo ? mn - 0.1f * w : s->h_lo, hi = mx > s->h_hi ? mx + 0.1f * w : s->h_hi;
            rebin(s, lo, hi);
        }
    }
    double inv = CALIB_BINS / ((double)s->h_hi - s->h_lo);
    double lo = s->h_lo;
    uint64_t *h = s->hist;
    for (int64_t i = 0; i < n; i++) {
        int k = (int)(((double)data[i] - lo) * inv);
        k = k < 0 ? 0 : k >= CALIB_BINS ? CALIB_BINS - 1 : k;
        h[k]++;
    }
    s->count += (uint64_t)n;
}

CalibStats *calib_collect(const Graph *g, const CalibSet *set, const CalibOptions *opt, char *err, size_t errlen)
{
    CalibOptions o;
    if (opt) o = *opt;
    else memset(&o, 0, sizeof o);
    if (g->n_inputs < 1) {
        err_set(err, errlen, "the model has no input to calibrate");
        return NULL;
    }
    const Tensor *in = &g->tensors[g->inputs[0]];
    int h = in->rank == 4 && in->dims[2] > 0 ? (int)in->dims[2] : o.h;
    int w = in->rank == 4 && in->dims[3] > 0 ? (int)in->dims[3] : o.w;
    if (in->rank != 4 || h < 1 || w < 1) {
        err_set(err, errlen, "calibration needs an image input [batch, 3, h, w] and its size; '%s' is not one", in->name);
        return NULL;
    }
    int64_t batch = in->dims[0] > 1 ? in->dims[0] : 1;
    if (batch > 64) {
        err_set(err, errlen, "calibration runs one image at a time: a fixed batch of %lld is too large", (long long)batch);
        return NULL;
    }
    double t0 = now_seconds();
    CalibStats *cs = xcalloc(1, sizeof *cs);
    cs->g = g;
    cs->n_tensors = g->n_tensors;
    cs->t = xcalloc((size_t)g->n_tensors, sizeof *cs->t);
    cs->watch = xcalloc((size_t)g->n_tensors, sizeof *cs->watch);
    for (int i = 0; i < g->n_tensors; i++) {
        const Tensor *t = &g->tensors[i];
        if (o.watch) cs->watch[i] = o.watch[i];
        else cs->watch[i] = (t->dtype == DT_F32 || t->dtype == DT_F16) && (t->producer >= 0 || t->is_input);
    }
    ExecOptions eo = {.threads = o.threads};
    Exec *e = exec_new_with(g, &eo, err, errlen);
    if (!e) {
        calib_stats_free(cs);
        return NULL;
    }
    exec_set_observer(e, observe, cs);
    int64_t dims[4] = {batch, in->dims[1] > 0 ? in->dims[1] : 3, h, w};
    size_t plane = (size_t)dims[1] * (size_t)h * (size_t)w;
    char msg[1024];
    int rc = 0;
    for (int i = 0; i < set->n_images && rc == 0; i++) {
        if (o.cancel && __atomic_load_n(o.cancel, __ATOMIC_ACQUIRE)) {
            rc = err_set(err, errlen, "cancelled");
            break;
        }
        float *x = calib_input(set, i, h, w, msg, sizeof msg);
        if (x && batch > 1) { /* a fixed batch: the image in every slot */
            x = xrealloc(x, sizeof(float) * plane * (size_t)batch);
            for (int64_t b = 1; b < batch; b++) memcpy(x + (size_t)b * plane, x, sizeof(float) * plane);
        }
        if (!x) {
            if (o.skipped) o.skipped(o.user, set->images[i], msg);
        } else {
            /* the observer sees what nodes produce; the input is the image itself */
            observe(cs, g->inputs[0], x, dims, 4);
            if (exec_set_input(e, in->name, x, dims, 4, msg, sizeof msg) != 0 || exec_run(e, o.cancel, msg, sizeof msg) != 0)
                rc = err_set(err, errlen, "%s", msg);
            else
                cs->images++;
            free(x);
        }
        if (rc == 0 && o.progress) o.progress(o.user, i + 1, set->n_images);
    }
    exec_free(e);
    if (rc == 0 && cs->images == 0)
        rc = err_set(err, errlen, "no image of data=%s could be decoded: nothing to calibrate on", set->data);
    if (rc != 0) {
        calib_stats_free(cs);
        return NULL;
    }
    cs->seconds = now_seconds() - t0;
    return cs;
}

void calib_stats_free(CalibStats *s)
{
    if (!s) return;
    if (s->t)
        for (int i = 0; i < s->n_tensors; i++) free(s->t[i].hist);
    free(s->t);
    free(s->watch);
    free(s);
}

int calib_stats_images(const CalibStats *s) { return s ? s->images : 0; }
double calib_stats_seconds(const CalibStats *s) { return s ? s->seconds : 0; }

int calib_minmax(const CalibStats *s, int tensor, float *min, float *max)
{
    if (!s || tensor < 0 || tensor >= s->n_tensors || !s->t[tensor].seen) return -1;
    *min = s->t[tensor].min;
    *max = s->t[tensor].max;
    return 0;
}

/* The value below which a fraction q of the histogram's counts lie (linear in the bin). */
static float quantile(const TensorStats *s, double q)
{
    double want = q * (double)s->count, cum = 0, w = ((double)s->h_hi - s->h_lo) / CALIB_BINS;
    for (int b = 0; b < CALIB_BINS; b++) {
        double c = (double)s->hist[b];
        if (cum + c >= want && c > 0) return (float)(s->h_lo + (b + (want - cum) / c) * w);
        cum += c;
    }
    return s->h_hi;
}

/* KL(P || Q), TensorRT's way: P is the histogram's first n bins with the counts beyond them
 * (the values the range would clip) folded into the last; Q is the same n bins without that
 * fold, quantised into `levels` levels -- each level's count spread evenly over its non-empty
 * bins -- so clipping costs through P's last bin, and coarse levels through Q. */
static double kl_divergence(const double *p, const double *h, int n, int levels, double *q)
{
    for (int i = 0; i < n; i++) q[i] = 0;
    for (int j = 0; j < levels; j++) {
        int a = (int)((int64_t)j * n / levels), b = (int)((int64_t)(j + 1) * n / levels);
        if (b <= a) continue;
        double sum = 0;
        int nz = 0;
        for (int i = a; i < b; i++) {
            sum += h[i];
            nz += p[i] > 0;
        }
        if (!nz) continue;
        for (int i = a; i < b; i++)
            if (p[i] > 0) q[i] = sum / nz;
    }
    double ps = 0, qs = 0;
    for (int i = 0; i < n; i++) ps += p[i], qs += q[i];
    if (ps <= 0 || qs <= 0) return INFINITY;
    double kl = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] <= 0) continue;
        double pp = p[i] / ps, qq = q[i] > 0 ? q[i] / qs : 1e-12;
        kl += pp * log(pp / qq);
    }
    return kl;
}

/* The upper end by entropy calibration over the histogram's non-negative side. */
static float entropy_hi(const TensorStats *s)
{
    double w = ((double)s->h_hi - s->h_lo) / CALIB_BINS;
    int z = s->h_lo >= 0 ? 0 : (int)((-s->h_lo) / w);
    if (z >= CALIB_BINS) return s->max;
    int n = CALIB_BINS - z;
    const int levels = 255;
    if (n <= levels) return s->max;
    double *p = xmalloc(sizeof(double) * (size_t)n), *q = xmalloc(sizeof(double) * (size_t)n);
    double *h = xmalloc(sizeof(double) * (size_t)n);
    for (int k = 0; k < n; k++) h[k] = (double)s->hist[z + k];
    double best = INFINITY;
    int best_i = n;
    /* thresholds from `levels` bins to all of them; beyond = the counts of bin i and after */
    double beyond = 0;
    for (int i = n - 1; i >= levels; i--) beyond += (double)s->hist[z + i];
    for (int i = levels; i <= n; i++) {
        memcpy(p, h, sizeof(double) * (size_t)i);
        p[i - 1] += beyond;
        double kl = kl_divergence(p, h, i, levels, q);
        if (kl < best) {
            best = kl;
            best_i = i;
        }
        if (i < n) beyond -= (double)s->hist[z + i];
    }
    free(p);
    free(q);
    free(h);
    float hi = (float)(s->h_lo + (z + best_i) * w);
    return hi < s->max ? hi : s->max;
}

int calib_range(const CalibStats *s, int tensor, CalibMethod m, float *lo, float *hi)
{
    if (!s || tensor < 0 || tensor >= s->n_tensors || !s->t[tensor].seen) return -1;
    const TensorStats *t = &s->t[tensor];
    float a = t->min, b = t->max;
    switch (m) {
    case CALIB_PERCENTILE:
        a = fmaxf(quantile(t, 1e-4), t->min);
        b = fminf(quantile(t, 1.0 - 1e-4), t->max);
        break;
    case CALIB_ENTROPY: b = entropy_hi(t); break;
    default: break;
    }
    if (a > b) a = b = 0.5f * (a + b);
    *lo = a < 0 ? a : 0;
    *hi = b > 0 ? b : 0;
    return 0;
}

int calib_range_by_name(const CalibStats *s, const char *name, CalibMethod m, float *lo, float *hi)
{
    if (!s || !name) return -1;
    int t = graph_find_tensor(s->g, name);
    return calib_range(s, t, m, lo, hi);
}

/* ---- arithmetic --------------------------------------------------------------------------- */

void calib_affine(float lo, float hi, bool signed8, float *scale, int32_t *zero_point)
{
    if (lo > 0) lo = 0;
    if (hi < 0) hi = 0;
    int32_t qmin = signed8 ? -128 : 0, qmax = signed8 ? 127 : 255;
    float s = (hi - lo) / 255.0f;
    if (!(s > 0) || !isfinite(s)) {
        *scale = 1.0f;
        *zero_point = 0;
        return;
    }
    double z = nearbyint((double)qmin - (double)lo / s);
    if (z < qmin) z = qmin;
    if (z > qmax) z = qmax;
    *scale = s;
    *zero_point = (int32_t)z;
}

void calib_affine_range(float scale, int32_t zero_point, bool signed8, float *lo, float *hi)
{
    int32_t qmin = signed8 ? -128 : 0, qmax = signed8 ? 127 : 255;
    *lo = (float)(qmin - zero_point) * scale;
    *hi = (float)(qmax - zero_point) * scale;
}

void calib_weights_per_channel(const float *w, int64_t channels, int64_t per_channel, int8_t *q, float *scales)
{
    for (int64_t c = 0; c < channels; c++) {
        const float *wc = w + c * per_channel;
        float m = 0;
        for (int64_t i = 0; i < per_channel; i++) m = fmaxf(m, fabsf(wc[i]));
        float s = m > 0 && isfinite(m) ? m / 127.0f : 1.0f;
        scales[c] = s;
        for (int64_t i = 0; i < per_channel; i++) {
            float v = nearbyintf(wc[i] / s);
            q[c * per_channel + i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
        }
    }
}
