/* export_stage: the parts every writer stage shares — start line, output path, the
 * writer's graph (peer names, dynamic axes, NMS), temporaries and commits, the numeric check
 * against the source (a node-for-node proof first, else both run; the peer's NMSModel in C
 * is the reference for in-graph NMS),
 * the report's artifact, and the metadata as JSON.  See export_stage.h. */
#include "engine/export/export_stage.h"

#include <errno.h>
#include <json.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/exec/exec.h"
#include "engine/core/fileio.h"
#include "engine/core/imgsz.h"
#include "engine/passes/graph_equiv.h"
#include "engine/runtime/runtime.h"

/* ======================================================================================
 * the peer's NMSModel in C, the reference in-graph NMS is checked against
 * ==================================================================================== */

typedef struct {
    float score;
    int64_t index;
} ScoreIdx;

static int score_desc(const void *a, const void *b)
{
    const ScoreIdx *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* pred (B, C, A) -> rows (B, k, 6+extra), k = min(max_det, A). */
static void reference_nms(const float *pred, int64_t B, int64_t C, int64_t A, int nc, float maxhw,
                          const NmsOptions *o, float *rows, int64_t k)
{
    int64_t extra = C - 4 - nc, R = 6 + extra;
    memset(rows, 0, sizeof(float) * (size_t)(B * k * R));
    ScoreIdx *cand = xmalloc(sizeof *cand * (size_t)(A ? A : 1));
    float *nb = xmalloc(sizeof(float) * 4 * (size_t)(A ? A : 1));
    int64_t *cls = xmalloc(sizeof(int64_t) * (size_t)(A ? A : 1));
    int64_t *keep = xmalloc(sizeof(int64_t) * (size_t)(k ? k : 1));
    for (int64_t b = 0; b < B; b++) {
        const float *p = pred + b * C * A;
        int64_t nc_ = 0;
        for (int64_t a = 0; a < A; a++) {
            float best = p[4 * A + a];
            int64_t bc = 0;
            for (int c = 1; c < nc; c++)
                if (p[(4 + c) * A + a] > best) {
                    best = p[(4 + c) * A + a];
                    bc = c;
                }
            cls[a] = bc;
            float cx = p[a], cy = p[A + a], w = p[2 * A + a], h = p[3 * A + a];
            float off = o->agnostic ? 0.0f : (float)bc;
            nb[4 * a + 0] = (cx - w * 0.5f) / maxhw + off;
            nb[4 * a + 1] = (cy - h * 0.5f) / maxhw + off;
            nb[4 * a + 2] = (cx + w * 0.5f) / maxhw + off;
            nb[4 * a + 3] = (cy + h * 0.5f) / maxhw + off;
            if (best > o->conf) cand[nc_++] = (ScoreIdx){best, a};
        }
        qsort(cand, (size_t)nc_, sizeof *cand, score_desc);
        int64_t nk = 0;
        for (int64_t i = 0; i < nc_ && nk < k; i++) {
            const float *x = &nb[4 * cand[i].index];
            bool suppressed = false;
            for (int64_t j = 0; j < nk && !suppressed; j++) {
                const float *y = &nb[4 * keep[j]];
                float ix1 = fmaxf(x[0], y[0]), iy1 = fmaxf(x[1], y[1]);
                float ix2 = fminf(x[2], y[2]), iy2 = fminf(x[3], y[3]);
                float inter = fmaxf(ix2 - ix1, 0) * fmaxf(iy2 - iy1, 0);
                float ua = (x[2] - x[0]) * (x[3] - x[1]) + (y[2] - y[0]) * (y[3] - y[1]) - inter;
                if (inter > 0 && ua > 0 && inter / ua > o->iou) suppressed = true;
            }
            if (!suppressed) keep[nk++] = cand[i].index;
        }
        for (int64_t i = 0; i < nk; i++) {
            int64_t a = keep[i];
            float *r = rows + (b * k + i) * R;
            float cx = p[a], cy = p[A + a], w = p[2 * A + a], h = p[3 * A + a];
            r[0] = cx - w * 0.5f;
            r[1] = cy - h * 0.5f;
            r[2] = cx + w * 0.5f;
            r[3] = cy + h * 0.5f;
            r[4] = p[(4 + cls[a]) * A + a];
            r[5] = (float)cls[a];
            for (int64_t e = 0; e < extra; e++) r[6 + e] = p[(4 + nc + e) * A + a];
        }
    }
    free(cand);
    free(nb);
    free(cls);
    free(keep);
}

NmsOptions export_stage_nms_options(const ExportArgs *a, const Graph *src)
{
    NmsOptions no = {.conf = export_args_is_none(a, EXPORT_KEY_CONF) || a->conf == 0 ? 0.25f : (float)a->conf,
                     .iou = (float)a->iou,
                     .max_det = a->max_det,
                     .agnostic = a->agnostic_nms};
    no.anchors = imgsz_anchors(src->meta.strides, src->meta.n_strides, a->imgsz.v[0], a->imgsz.v[1]);
    return no;
}

/* ======================================================================================
 * running graphs and comparing their outputs
 * ==================================================================================== */

static void outputs_free(StageOutput *o, int n)
{
    for (int i = 0; i < n; i++) {
        free(o[i].data);
        o[i].data = NULL;
    }
}

/* The check's progress as the written model runs: from 0.7 to 0.95 of the stage, in steps of
 * 1% (each a job event). */
typedef struct {
    Job *job;
    const char *label;
    int last;
} RunProgress;

static void run_progress(void *ctx, int done, int total)
{
    RunProgress *rp = ctx;
    int pct = total > 0 ? 70 + (int)(25.0 * done / total) : 70;
    if (pct <= rp->last) return;
    rp->last = pct;
    job_progress(rp->job, rp->label, pct / 100.0);
}

/* Run g on input (dims in_dims) and copy its outputs (all of them, up to max), on threads
 * threads (0: half the cores); progress (may be NULL) follows the run. */
static int run_graph(const Graph *g, const char *in_name, const float *input, const int64_t *in_dims, int threads,
                     StageOutput *outs, int max, int *n_outs, const volatile int *cancel, RunProgress *progress,
                     char *err, size_t errlen)
{
    *n_outs = 0;
    Exec *e = exec_new(g, err, errlen);
    if (!e) return -1;
    if (progress) exec_set_progress(e, run_progress, progress);
    /* the source and the written model run side by side: half the cores each */
    exec_set_threads(e, threads > 0 ? threads : (exec_threads(e) + 1) / 2);
    int rc = exec_set_input(e, in_name, input, in_dims, 4, err, errlen);
    if (rc == 0) rc = exec_run(e, cancel, err, errlen);
    for (int i = 0; rc == 0 && i < g->n_outputs && i < max; i++) {
        StageOutput *o = &outs[i];
        const float *y = exec_output(e, i, o->dims, &o->rank);
        if (!y) {
            rc = err_set(err, errlen, "the executor gave no output %d", i);
            break;
        }
        int64_t n = 1;
        for (int k = 0; k < o->rank; k++) n *= o->dims[k];
        o->n = n;
        o->data = xmalloc(sizeof(float) * (size_t)(n ? n : 1));
        memcpy(o->data, y, sizeof(float) * (size_t)n);
        (*n_outs)++;
    }
    exec_free(e);
    return rc;
}

static bool same_dims(const StageOutput *a, const StageOutput *b)
{
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

static double max_abs_delta(const float *a, const float *b, int64_t n, double *ref_max)
{
    double m = 0, r = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m || isnan(d)) m = isnan(d) ? INFINITY : d;
        if (fabs((double)a[i]) > r) r = fabs((double)a[i]);
    }
    if (ref_max) *ref_max = r;
    return m;
}

/* Compare got with ref channel by channel (axis 1): channel c may differ by
 * rtol * max(1, max |ref| over that channel), so box coordinates in pixels and scores in
 * [0, 1] each get a tolerance on their own scale.  Returns max |Δ|; *ratio receives the
 * worst |Δ| / tolerance (<= 1 passes) and *tol_out the tolerance of the worst channel. */
static double channel_delta(const StageOutput *ref, const StageOutput *got, double rtol, double *ratio,
                            double *tol_out)
{
    int64_t C = ref->rank >= 2 ? ref->dims[1] : 1;
    int64_t outer = ref->rank >= 2 ? ref->dims[0] : 1;
    int64_t inner = C > 0 && outer > 0 ? ref->n / (outer * C) : 0;
    double worst = 0, wr = 0, wt = rtol;
    for (int64_t c = 0; c < C; c++) {
        double m = 0, d = 0;
        for (int64_t o = 0; o < outer; o++) {
            const float *x = ref->data + (o * C + c) * inner, *y = got->data + (o * C + c) * inner;
            for (int64_t i = 0; i < inner; i++) {
                double v = fabs((double)x[i]);
                if (v > m) m = v;
                double dd = fabs((double)x[i] - (double)y[i]);
                if (isnan(dd)) dd = INFINITY;
                if (dd > d) d = dd;
            }
        }
        double tol = rtol * (m > 1 ? m : 1);
        if (d > worst) worst = d;
        if (d / tol > wr) {
            wr = d / tol;
            wt = tol;
        }
    }
    *ratio = wr;
    *tol_out = wt;
    return worst;
}

/* The fixed input every check uses: a deterministic pseudo-random image in [0, 1). */
static float *fixed_input(const int64_t *dims)
{
    int64_t n = dims[0] * dims[1] * dims[2] * dims[3];
    float *x = xmalloc(sizeof(float) * (size_t)(n ? n : 1));
    uint32_t s = 0x5EEDu;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(s >> 8) / 16777216.0f;
    }
    return x;
}

/* ======================================================================================
 * the source run: on its own thread, with a watcher that turns the job's cancel request
 * into the int the executor polls
 * ==================================================================================== */

struct ExportStageSource {
    Job *job;
    const Graph *g;
    const char *in_name;
    float *x;
    int64_t dims[4];
    volatile int cancel;
    int stop; /* atomic: the watcher ends */
    StageOutput outs[4];
    int n, rc;
    int threads;
    double seconds;
    char msg[512];
    pthread_t thread, watcher;
    bool started, watching, joined;
};

static void *source_main(void *arg)
{
    ExportStageSource *r = arg;
    double t = now_seconds();
    r->rc = run_graph(r->g, r->in_name, r->x, r->dims, r->threads, r->outs, 4, &r->n, &r->cancel, NULL, r->msg,
                      sizeof r->msg);
    r->seconds = now_seconds() - t;
    return NULL;
}

static void *watcher_main(void *arg)
{
    ExportStageSource *r = arg;
    const struct timespec tick = {0, 20 * 1000 * 1000};
    while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
        if (job_cancelled(r->job)) {
            __atomic_store_n((int *)&r->cancel, 1, __ATOMIC_RELEASE);
            break;
        }
        nanosleep(&tick, NULL);
    }
    return NULL;
}

static ExportStageSource *source_start(ExportCtx *ctx, const Graph *reference)
{
    const ExportArgs *a = ctx->args;
    const Graph *src = reference ? reference : ctx->source;
    ExportStageSource *r = xcalloc(1, sizeof *r);
    r->job = ctx->job;
    r->g = src;
    r->in_name = src->n_inputs ? src->tensors[src->inputs[0]].name : "images";
    r->dims[0] = a->batch;
    r->dims[1] = src->meta.channels > 0 ? src->meta.channels : 3;
    r->dims[2] = a->imgsz.v[0];
    r->dims[3] = a->imgsz.v[1];
    r->x = fixed_input(r->dims);
    r->threads = ctx->threads;
    r->watching = pthread_create(&r->watcher, NULL, watcher_main, r) == 0;
    r->started = pthread_create(&r->thread, NULL, source_main, r) == 0;
    if (!r->started) {
        source_main(r); /* no thread: run it here */
        r->joined = true;
    }
    return r;
}

static void source_join(ExportStageSource *r)
{
    if (r->started && !r->joined) pthread_join(r->thread, NULL);
    r->joined = true;
}

static void source_free(ExportStageSource *r, bool stop_early)
{
    if (!r) return;
    if (stop_early) __atomic_store_n((int *)&r->cancel, 1, __ATOMIC_RELEASE);
    source_join(r);
    if (r->watching) {
        __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
        pthread_join(r->watcher, NULL);
    }
    outputs_free(r->outs, r->n);
    free(r->x);
    free(r);
}

/* ======================================================================================
 * the stage
 * ==================================================================================== */

void export_stage_begin(ExportStage *st, ExportCtx *ctx, const char *label, bool numeric)
{
    memset(st, 0, sizeof *st);
    st->ctx = ctx;
    st->label = label;
    st->t0 = now_seconds();
    char plain[64];
    snprintf(plain, sizeof plain, "%s:", label);
    report_colorstr(st->prefix, sizeof st->prefix, NULL, plain, ctx->color);
    st->numeric = numeric && ctx->args->verify;
    st->check = CHECK_SKIPPED;
    st->suffix = "";
    st->map = st->map_ref = -1;
}

void export_stage_log_start(ExportStage *st, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    job_log(st->ctx->job, JOB_LOG_INFO, "\n%s starting export with %s...", st->prefix, text);
}

bool export_stage_cancelled(ExportStage *st, char *err, size_t errlen)
{
    if (!job_cancelled(st->ctx->job)) return false;
    err_set(err, errlen, "cancelled");
    return true;
}

int export_stage_out_path(ExportStage *st, const char *suffix, char *err, size_t errlen)
{
    ExportCtx *ctx = st->ctx;
    if ((size_t)snprintf(ctx->out_path, sizeof ctx->out_path, "%s%s", ctx->out_base, suffix) >= sizeof ctx->out_path)
        return err_set(err, errlen, "%s%s: the output path is too long", ctx->out_base, suffix);
    if (!strcmp(ctx->out_path, ctx->model_path))
        return err_set(err, errlen, "%s: the export would replace the model it was made from; copy the model elsewhere first",
                       ctx->out_path);
    st->suffix = suffix;
    const char *slash = strrchr(ctx->out_path, '/');
    size_t base_len = strlen(slash ? slash + 1 : ctx->out_path);
    if (base_len > NAME_MAX)
        return err_set(err, errlen, "%s: the output's name would be %zu bytes long, more than a file name may be (%d): "
                       "rename the model first", ctx->out_path, base_len, NAME_MAX);
    char *dir = slash ? xstrndup(ctx->out_path, (size_t)(slash - ctx->out_path) + (slash == ctx->out_path)) : xstrdup(".");
    int stale = fileio_clean_stale(dir);
    if (stale > 0)
        job_log(ctx->job, JOB_LOG_INFO, "%s removed %d temporar%s an interrupted export left in %s", st->prefix, stale,
                stale == 1 ? "y" : "ies", dir);
    free(dir);
    return 0;
}

const char *export_stage_final_path(ExportStage *st)
{
    ExportCtx *ctx = st->ctx;
    struct stat lst;
    if (lstat(ctx->out_path, &lst) != 0) return ctx->out_path;
    if (st->check != CHECK_WRITTEN_FAILED) {
        if (!st->replace_logged) { /* an earlier artifact (ours or anyone's) goes: the log says so */
            char when[64];
            struct tm tm;
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&lst.st_mtime, &tm));
            job_log(ctx->job, JOB_LOG_WARNING, "%s replacing the earlier %s (%.1f MB, written %s)", st->prefix,
                    ctx->out_path, report_mib(path_size(ctx->out_path)), when);
            st->replace_logged = true;
        }
        return ctx->out_path;
    }
    char kept[sizeof ctx->out_path];
    snprintf(kept, sizeof kept, "%s", ctx->out_path);
    if ((size_t)snprintf(ctx->out_path, sizeof ctx->out_path, "%s-check-failed%s", ctx->out_base, st->suffix) >=
        sizeof ctx->out_path)
        snprintf(ctx->out_path, sizeof ctx->out_path, "%s", kept); /* no room for the name: commit fails below */
    job_log(ctx->job, JOB_LOG_WARNING, "%s the check failed: the previous %s is kept as it was; this export is %s",
            st->prefix, kept, ctx->out_path);
    return ctx->out_path;
}

/* Rename the graph input/outputs to the peer's names (images; output0, output1). */
static void peer_io_names(Graph *g)
{
    if (g->n_inputs >= 1) g->tensors[g->inputs[0]].name = "images";
    for (int i = 0; i < g->n_outputs; i++) {
        const char *want = arena_printf(g->arena, "output%d", i);
        Tensor *t = &g->tensors[g->outputs[i]];
        if (strcmp(t->name, want) == 0) continue;
        int clash = graph_find_tensor(g, want);
        if (clash >= 0) g->tensors[clash].name = arena_printf(g->arena, "%s_", want);
        t->name = want;
    }
}

/* The peer's dynamic axis names (engine/registry/model.h gives batch/height/width on the input;
 * the outputs get anchors / mask_height / mask_width, and nms keeps only batch).  hw_only (the
 * formats of FormatInfo.dynamic_hw_only): the batch stays as built, only height and width and
 * what follows them are dynamic. */
static void peer_dynamic_axes(Graph *g, bool nms, bool hw_only)
{
    if (g->n_inputs >= 1) {
        Tensor *t = &g->tensors[g->inputs[0]];
        if (t->rank == 4) {
            static const char *const names[4] = {"batch", NULL, "height", "width"};
            for (int i = hw_only ? 1 : 0; i < 4; i++)
                if (names[i]) {
                    t->dim_names[i] = names[i];
                    t->dims[i] = -1;
                }
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        Tensor *t = &g->tensors[g->outputs[i]];
        for (int k = 0; k < t->rank; k++) t->dim_names[k] = NULL;
        if (t->rank >= 1 && !hw_only) {
            t->dim_names[0] = "batch";
            t->dims[0] = -1;
        }
        if (i == 0 && t->rank == 3 && !nms) {
            t->dim_names[2] = "anchors";
            t->dims[2] = -1;
        } else if (i == 1 && t->rank == 4) {
            t->dim_names[2] = "mask_height";
            t->dim_names[3] = "mask_width";
            t->dims[2] = t->dims[3] = -1;
        }
    }
}

Graph *export_stage_graph(ExportStage *st, char *err, size_t errlen)
{
    ExportCtx *ctx = st->ctx;
    const ExportArgs *a = ctx->args;
    Graph *g = export_graph_clone(ctx->source);
    peer_io_names(g);
    bool hw_only = ctx->fmt && ctx->fmt->dynamic_hw_only;
    if (a->dynamic) peer_dynamic_axes(g, false, hw_only);
    if (a->nms) {
        NmsOptions no = export_stage_nms_options(a, ctx->source);
        char msg[1024];
        if (pass_nms(g, &no, msg, sizeof msg) != 0) {
            graph_free(g);
            err_set(err, errlen, "%s", msg);
            return NULL;
        }
        if (a->dynamic) peer_dynamic_axes(g, true, hw_only);
    }
    return g;
}

void export_stage_log_nms(ExportStage *st)
{
    const ExportArgs *a = st->ctx->args;
    if (!a->nms) return;
    NmsOptions no = export_stage_nms_options(a, st->ctx->source);
    job_log(st->ctx->job, JOB_LOG_INFO, "%s NMS in the graph: conf %.2f, iou %.2f, max_det %d%s", st->prefix, no.conf,
            no.iou, no.max_det, no.agnostic ? ", class-agnostic" : "");
}

void export_stage_name_output(ExportStage *st, const char *tmp, char *msg, size_t len)
{
    size_t n = tmp ? strlen(tmp) : 0;
    if (!n || !len) return;
    char *out = xmalloc(len);
    size_t o = 0;
    for (const char *p = msg; *p && o + 1 < len;) {
        if (!strncmp(p, tmp, n)) {
            for (const char *r = st->ctx->out_path; *r && o + 1 < len; r++) out[o++] = *r;
            p += n;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
    free(out);
}

void export_stage_writer_error(ExportStage *st, const char *tmp, char *msg, size_t len, char *err, size_t errlen)
{
    export_stage_name_output(st, tmp, msg, len);
    const char *out = st->ctx->out_path;
    size_t pl = strlen(out);
    const char *why = !strncmp(msg, out, pl) && !strncmp(msg + pl, ": ", 2) ? msg + pl + 2 : msg;
    if (st->ctx->args->nms && (!strncmp(why, "/nms/", 5) || strstr(why, "NonMaxSuppression")))
        err_set(err, errlen, "nms=True is not available for %s in this build: %s", st->label, why);
    else
        err_set(err, errlen, "%s", msg);
}

int export_stage_temp_dir(ExportStage *st, char *err, size_t errlen)
{
    if (st->temp_dir) return 0;
    char *dir = fileio_temp_dir(st->ctx->out_path, err, errlen);
    if (!dir) return -1;
    job_add_temp(st->ctx->job, dir);
    chmod(dir, 0755); /* mkdtemp's 0700 would stay on a committed directory (files get 0644) */
    st->temp_dir = dir;
    return 0;
}

static void temp_dir_drop(ExportStage *st)
{
    if (!st->temp_dir) return;
    fileio_remove_tree(st->temp_dir);
    job_release_temp(st->ctx->job, st->temp_dir);
    free(st->temp_dir);
    st->temp_dir = NULL;
}

int export_stage_commit_file(ExportStage *st, const char *name, char *err, size_t errlen)
{
    if (!st->temp_dir) return err_set(err, errlen, "%s: nothing was written", st->ctx->out_path);
    if (st->ctx->nested ? job_cancelled(st->ctx->job) : !job_commit(st->ctx->job)) return err_set(err, errlen, "cancelled");
    char *from = xasprintf("%s/%s", st->temp_dir, name);
    int rc = 0;
    export_stage_final_path(st);
    if (rename(from, st->ctx->out_path) != 0)
        rc = err_set(err, errlen, "%s: cannot rename into place: %s", st->ctx->out_path, strerror(errno));
    free(from);
    temp_dir_drop(st);
    return rc;
}

int export_stage_commit_dir(ExportStage *st, char *err, size_t errlen)
{
    if (!st->temp_dir) return err_set(err, errlen, "%s: nothing was written", st->ctx->out_path);
    if (st->ctx->nested ? job_cancelled(st->ctx->job) : !job_commit(st->ctx->job)) return err_set(err, errlen, "cancelled");
    export_stage_final_path(st);
    if (fileio_commit_dir(st->temp_dir, st->ctx->out_path, err, errlen) != 0) return -1;
    job_release_temp(st->ctx->job, st->temp_dir);
    free(st->temp_dir);
    st->temp_dir = NULL;
    return 0;
}

/* Same dims; a dynamic dim (-1 or named) matches only a dynamic dim. */
static bool same_dynamic_shape(const Tensor *x, const Tensor *y)
{
    if (x->rank != y->rank) return false;
    for (int i = 0; i < x->rank; i++) {
        bool dx = x->dims[i] < 0 || x->dim_names[i], dy = y->dims[i] < 0 || y->dim_names[i];
        if (dx != dy || (!dx && x->dims[i] != y->dims[i])) return false;
    }
    return true;
}

int export_stage_check_io(const Graph *want, const Graph *got, bool dim_names, char *err, size_t errlen)
{
    char a[160], b[160];
    if (got->n_inputs != want->n_inputs)
        return err_set(err, errlen, "%d inputs read back, %d written", got->n_inputs, want->n_inputs);
    if (got->n_outputs != want->n_outputs)
        return err_set(err, errlen, "%d outputs read back, %d written", got->n_outputs, want->n_outputs);
    for (int pass = 0; pass < 2; pass++) {
        int n = pass ? want->n_outputs : want->n_inputs;
        for (int i = 0; i < n; i++) {
            const Tensor *x = &want->tensors[pass ? want->outputs[i] : want->inputs[i]];
            const Tensor *y = &got->tensors[pass ? got->outputs[i] : got->inputs[i]];
            if (strcmp(x->name, y->name) != 0)
                return err_set(err, errlen, "%s %d is named '%s', expected '%s'", pass ? "output" : "input", i, y->name,
                               x->name);
            if (x->dtype != y->dtype)
                return err_set(err, errlen, "'%s' is %s, expected %s", x->name, dtype_name(y->dtype),
                               dtype_name(x->dtype));
            shape_str(x, a, sizeof a);
            shape_str(y, b, sizeof b);
            if (dim_names ? strcmp(a, b) != 0 : !same_dynamic_shape(x, y))
                return err_set(err, errlen, "'%s' has shape %s, expected %s", x->name, b, a);
        }
    }
    return 0;
}

/* Compare the source run with the written graph's run; fills why, *worst, *tol_used.
 * raw: the written graph has NMS, and its raw predictions are its last output. */
/* An INT8 model's output against its reference in 8-bit steps of each channel's range
 * (max(1, max |ref|) / 255): the worst channel's mean |Δ| in steps (*mean_steps), the share of
 * values within one step (*within, 0..1); returns max |Δ|. */
static double channel_steps(const StageOutput *ref, const StageOutput *got, double *mean_steps, double *within)
{
    int64_t C = ref->rank >= 2 ? ref->dims[1] : 1;
    int64_t outer = ref->rank >= 2 ? ref->dims[0] : 1;
    int64_t inner = C > 0 && outer > 0 ? ref->n / (outer * C) : 0;
    double worst = 0, wmean = 0;
    int64_t in = 0, all = 0;
    for (int64_t c = 0; c < C; c++) {
        double m = 0;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) m = fmax(m, fabs((double)ref->data[(o * C + c) * inner + i]));
        double step = (m > 1 ? m : 1) / 255.0, sum = 0;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t k = (o * C + c) * inner + i;
                double d = fabs((double)ref->data[k] - (double)got->data[k]);
                if (isnan(d)) d = INFINITY;
                worst = fmax(worst, d);
                sum += d / step;
                in += d <= step;
                all++;
            }
        int64_t count = outer * inner;
        double mean = count > 0 ? sum / (double)count : 0;
        if (!(mean <= wmean)) wmean = mean;
    }
    *mean_steps = wmean;
    *within = all ? (double)in / (double)all : 1;
    return worst;
}

static CheckStatus compare_runs(const ExportArgs *a, bool int8_steps, const Graph *src, const ExportStageSource *sr,
                                const StageOutput *wo, int n_wo, int n_written_outputs, bool raw, char *why,
                                size_t whylen, double *worst, double *tol_used)
{
    CheckStatus nst = CHECK_PASSED;
    /* float32: the written graph computes what the source does, up to folding rounding;
     * float16: weights rounded to 11 bits accumulate through ~100 layers (measured: boxes
     * ~0.25%, segment protos ~1.2% of their channel's range on the official models);
     * a stage's own (INT8: one 8-bit step) when it sets one */
    double rtol = a->half ? 2e-2 : 1e-4;
    size_t used = 0;
    int h = a->imgsz.v[0], w = a->imgsz.v[1];
    why[0] = '\0';
    for (int i = 0; i < sr->n && nst == CHECK_PASSED; i++) {
        const StageOutput *ref = &sr->outs[i];
        const StageOutput *got = (i == 0 && raw && n_wo > n_written_outputs) ? &wo[n_wo - 1] : &wo[i];
        if (i >= n_wo || !same_dims(ref, got)) {
            snprintf(why, whylen, "output %d has a different shape from the source's", i);
            return CHECK_WRITTEN_FAILED;
        }
        double ratio, tol;
        if (int8_steps) {
            double mean, within;
            double d = channel_steps(ref, got, &mean, &within);
            if (d > *worst) *worst = d;
            used += (size_t)snprintf(why + used, whylen - used,
                                     "%soutput%d%s mean |Δ| %.2f of an 8-bit step in its worst channel (at most 1), "
                                     "%.2f%% of values within one step, max |Δ| %.3g",
                                     i ? ", " : "", i, i == 0 && raw ? " (before NMS)" : "", mean, 100.0 * within, d);
            if (!(mean <= 1)) nst = CHECK_WRITTEN_FAILED;
            if (used >= whylen) used = whylen - 1;
            continue;
        }
        double d = channel_delta(ref, got, rtol, &ratio, &tol);
        if (d > *worst) *worst = d;
        if (tol > *tol_used) *tol_used = tol;
        used += (size_t)snprintf(why + used, whylen - used,
                                 "%soutput%d%s max |Δ| %.3g (%.0f%% of the tolerance, rtol %g per channel)",
                                 i ? ", " : "", i, i == 0 && raw ? " (before NMS)" : "", d, 100.0 * ratio, rtol);
        if (!(ratio <= 1)) nst = CHECK_WRITTEN_FAILED;
        if (used >= whylen) used = whylen - 1;
    }
    if (nst == CHECK_PASSED && raw && n_wo > n_written_outputs) {
        /* the in-graph NMS against the peer's NMSModel in C on the same raw predictions */
        const StageOutput *rawb = &wo[n_wo - 1], *rows = &wo[0];
        if (rawb->rank != 3 || rows->rank != 3 || rows->dims[0] != rawb->dims[0] || rawb->dims[1] < 4 + src->meta.nc ||
            rows->dims[2] != 6 + rawb->dims[1] - 4 - src->meta.nc) {
            snprintf(why + used, whylen - used, "; the NMS rows do not have the shape the predictions give");
            return CHECK_WRITTEN_FAILED;
        }
        NmsOptions no = export_stage_nms_options(a, src);
        int64_t k = rows->dims[1];
        float *want = xmalloc(sizeof(float) * (size_t)(rows->n ? rows->n : 1));
        reference_nms(rawb->data, rawb->dims[0], rawb->dims[1], rawb->dims[2], src->meta.nc, (float)(h > w ? h : w),
                      &no, want, k);
        double rmax;
        double d = max_abs_delta(want, rows->data, rows->n, &rmax);
        double tol = (a->half ? 1e-2 : 1e-4) * (rmax > 1 ? rmax : 1);
        int dets = 0;
        for (int64_t r = 0; r < rows->dims[0] * k; r++)
            if (want[r * rows->dims[2] + 4] > 0) dets++;
        if (d > *worst) *worst = d;
        snprintf(why + used, whylen - used, "; NMS rows vs the reference NMS max |Δ| %.3g (%d detections)", d, dets);
        if (!(d <= tol)) nst = CHECK_WRITTEN_FAILED;
        free(want);
    }
    return nst;
}

/* The check in the format's own runtime (st->run_path through the row's `run` adapter) against
 * the source run in our executor.  true: the check was made (or the runtime failed on the
 * file: the check fails), *status set; false: the runtime is not on this host (or refused),
 * `note` says what was looked for and the caller checks as before. */
static bool numeric_in_runtime(ExportStage *st, const char *what, double *worst, CheckStatus *status, char *note,
                               size_t notelen, char *err, size_t errlen)
{
    ExportCtx *ctx = st->ctx;
    const ExportArgs *a = ctx->args;
    int want = -1;
    char lib[4096] = "", msg[1400];
    if (ctx->runtime && runtime_parse_spec(ctx->runtime, &want, lib, sizeof lib, msg, sizeof msg) != 0) want = -1;
    struct FormatRun fr = {.path = st->run_path, .library = lib[0] ? lib : NULL, .threads = ctx->threads};
    if (ctx->fmt->run(&fr, msg, sizeof msg) != 0) {
        if (fr.probe.status != RUNTIME_FOUND) {
            snprintf(note, notelen, "%s", msg);
            return false;
        }
        char line[1600];
        snprintf(line, sizeof line, "%s%sthe written model does not run in %s %s: %s", what ? what : "", what ? ": " : "",
                 runtime_info(fr.runtime)->name, fr.probe.version, msg);
        export_stage_name_output(st, st->run_path, line, sizeof line);
        report_add_check(ctx->report, "numeric", CHECK_WRITTEN_FAILED, -1, 0, line);
        job_log(ctx->job, JOB_LOG_WARNING, "%s check against the source %s %s: %s", st->prefix,
                check_status_mark(CHECK_WRITTEN_FAILED), check_status_word(CHECK_WRITTEN_FAILED), line);
        *status = CHECK_WRITTEN_FAILED;
        return true;
    }
    RuntimeSession *s = fr.session;
    st->src = source_start(ctx, st->reference);
    ExportStageSource *sr = st->src;
    StageOutput wo[6];
    memset(wo, 0, sizeof wo);
    int n_wo = 0;
    double tv = now_seconds();
    int out_rc = runtime_run(s, sr->x, sr->dims, 4, msg, sizeof msg);
    for (int i = 0; out_rc == 0 && i < s->n_outputs && i < 5; i++) {
        StageOutput *o = &wo[i];
        const float *y = runtime_output(s, i, o->dims, &o->rank);
        if (!y) break;
        o->n = 1;
        for (int k = 0; k < o->rank; k++) o->n *= o->dims[k];
        o->data = xmalloc(sizeof(float) * (size_t)(o->n ? o->n : 1));
        memcpy(o->data, y, sizeof(float) * (size_t)o->n);
        n_wo++;
    }
    double wsec = now_seconds() - tv;
    source_join(sr);
    int n_outputs = n_wo;
    if (export_stage_cancelled(st, err, errlen)) {
        outputs_free(wo, n_wo);
        runtime_close(s);
        *status = CHECK_FAILED;
        return true;
    }
    char why[1024] = "";
    double tol_used = 0;
    CheckStatus nst;
    if (sr->rc != 0) {
        snprintf(why, sizeof why, "the source model did not run: %s", sr->msg);
        nst = CHECK_WRITTEN_FAILED;
    } else if (out_rc != 0) {
        snprintf(why, sizeof why, "the written model did not run: %s", msg);
        nst = CHECK_WRITTEN_FAILED;
    } else {
        if (a->nms && sr->n > 0 && n_wo < 6) { /* the rows against the peer's NMS on the source's predictions */
            StageOutput *raw = &wo[n_wo++];
            *raw = sr->outs[0];
            raw->data = xmalloc(sizeof(float) * (size_t)(raw->n ? raw->n : 1));
            memcpy(raw->data, sr->outs[0].data, sizeof(float) * (size_t)raw->n);
        }
        nst = compare_runs(a, st->int8_steps, ctx->source, sr, wo, n_wo, n_outputs, a->nms, why, sizeof why, worst, &tol_used);
    }
    char line[1800];
    snprintf(line, sizeof line, "%s%schecked in %s: %s (fixed input %lldx%lldx%lldx%lld; source %.2fs in the yoloport "
             "executor, written %.2fs in %s %s, %s)", what ? what : "", what ? ": " : "", s->label, why,
             (long long)sr->dims[0], (long long)sr->dims[1], (long long)sr->dims[2], (long long)sr->dims[3], sr->seconds,
             wsec, runtime_info(s->runtime)->name, s->version, s->library);
    report_add_check(ctx->report, "numeric", nst, *worst, tol_used, line);
    job_log(ctx->job, nst == CHECK_PASSED ? JOB_LOG_INFO : JOB_LOG_WARNING, "%s check against the source %s %s: %s",
            st->prefix, check_status_mark(nst), check_status_word(nst), line);
    outputs_free(wo, n_wo);
    runtime_close(s);
    *status = nst;
    return true;
}

CheckStatus export_stage_numeric(ExportStage *st, Graph *written, const char *input_name, const char *what,
                                 double *worst, char *err, size_t errlen)
{
    ExportCtx *ctx = st->ctx;
    const ExportArgs *a = ctx->args;
    *worst = -1;
    st->check = CHECK_SKIPPED;
    if (!a->verify || !st->numeric) {
        report_add_check(ctx->report, "numeric", CHECK_SKIPPED, -1, 0, "verify=False");
        return CHECK_SKIPPED;
    }
    char label[160];
    snprintf(label, sizeof label, "%s: verify", st->label);
    job_progress(ctx->job, label, 0.7);
    if (export_stage_cancelled(st, err, errlen)) return CHECK_FAILED;
    /* the format's own runtime first, when the host has it */
    char note[1400] = "";
    bool builtin_only = ctx->runtime && !strcmp(ctx->runtime, "builtin");
    if (st->run_path && ctx->fmt->run && !builtin_only) {
        CheckStatus rs;
        if (numeric_in_runtime(st, what, worst, &rs, note, sizeof note, err, errlen)) return st->check = rs;
    }
    char tail[1500] = "";
    if (note[0]) snprintf(tail, sizeof tail, "; not checked in the format's own runtime: %s", note);
    GraphEquiv eq;
    graph_equiv(st->reference ? st->reference : ctx->source, written, &eq);
    if (eq.equivalent) {
        char line[2800], outs[256] = "";
        size_t used = 0;
        for (int i = 0; i < written->n_outputs && used < sizeof outs; i++)
            used += (size_t)snprintf(outs + used, sizeof outs - used, "%soutput%d", i ? ", " : "", i);
        const char *whose = st->reference ? "the graph it was written from" : "the source's graph";
        const char *whom = st->reference ? "that graph's" : "the source's";
        snprintf(line, sizeof line, "%s%s%s max |Δ| 0 (node for node %s: %d nodes%s, %.1f MB of "
                 "constants byte-identical, so it computes %s outputs on every input; nothing needed to run)%s",
                 what ? what : "", what ? ": " : "", outs, whose, eq.matched, eq.silu_pairs ? ", SiLU as Sigmoid·Mul" : "",
                 (double)eq.const_bytes / (1024.0 * 1024.0), whom, tail);
        *worst = 0;
        report_add_check(ctx->report, "numeric", CHECK_PASSED, 0, 0, line);
        job_log(ctx->job, JOB_LOG_INFO, "%s check against the source %s %s: %s", st->prefix,
                check_status_mark(CHECK_PASSED), check_status_word(CHECK_PASSED), line);
        return st->check = CHECK_PASSED;
    }
    /* not the same graph (half precision, folded constants, NMS...): run both */
    st->src = source_start(ctx, st->reference);
    ExportStageSource *sr = st->src;
    /* with nms, the written graph's raw predictions become an extra output */
    int raw = a->nms ? graph_find_tensor(written, "output0_raw") : -1;
    int n_outputs = written->n_outputs;
    if (raw >= 0) graph_add_output(written, raw);
    StageOutput wo[5];
    memset(wo, 0, sizeof wo);
    int n_wo = 0;
    char msg[512];
    double tv = now_seconds();
    RunProgress rp = {.job = ctx->job, .label = label, .last = 70};
    int out_rc = run_graph(written, input_name, sr->x, sr->dims, ctx->threads, wo, 5, &n_wo, &sr->cancel, &rp, msg,
                           sizeof msg);
    double wsec = now_seconds() - tv;
    source_join(sr);
    if (export_stage_cancelled(st, err, errlen)) {
        outputs_free(wo, n_wo);
        return CHECK_FAILED;
    }
    char why[1024] = "";
    double tol_used = 0;
    CheckStatus nst;
    if (sr->rc != 0) {
        snprintf(why, sizeof why, "the source model did not run: %s", sr->msg);
        nst = CHECK_WRITTEN_FAILED;
    } else if (out_rc != 0) {
        snprintf(why, sizeof why, "the written model did not run in our executor: %s", msg);
        nst = CHECK_WRITTEN_FAILED;
    } else if (a->nms && raw < 0) {
        snprintf(why, sizeof why, "the written model has no output0_raw (the predictions before NMS) to compare");
        nst = CHECK_WRITTEN_FAILED;
    } else {
        nst = compare_runs(a, st->int8_steps, ctx->source, sr, wo, n_wo, n_outputs, raw >= 0, why, sizeof why, worst, &tol_used);
    }
    char line[3000];
    snprintf(line, sizeof line, "%s%s%s (fixed input %lldx%lldx%lldx%lld; not %s node for node: %s; "
             "source %.2fs and written %.2fs side by side in the yoloport executor)%s", what ? what : "", what ? ": " : "",
             why, (long long)sr->dims[0], (long long)sr->dims[1], (long long)sr->dims[2], (long long)sr->dims[3],
             st->reference ? "the graph it was written from" : "the source's graph", eq.first_diff, sr->seconds, wsec, tail);
    report_add_check(ctx->report, "numeric", nst, *worst, tol_used, line);
    job_log(ctx->job, nst == CHECK_PASSED ? JOB_LOG_INFO : JOB_LOG_WARNING, "%s check against the source %s %s: %s",
            st->prefix, check_status_mark(nst), check_status_word(nst), line);
    outputs_free(wo, n_wo);
    return st->check = nst;
}

int export_stage_check_other_size(ExportStage *st, const Graph *written, const Graph *back, const char *input_name,
                                  char *err, size_t errlen)
{
    ExportCtx *ctx = st->ctx;
    const ExportArgs *a = ctx->args;
    if (back->n_inputs < 1) return 0;
    const Tensor *in = &back->tensors[back->inputs[0]];
    if (!a->verify || in->rank != 4 || (in->dims[2] > 0 && in->dims[3] > 0)) return 0;
    int stride = 32, h = a->imgsz.v[0] * 3 / 4 / stride * stride, w = a->imgsz.v[1];
    if (h < stride) h = stride;
    int64_t dims[4] = {1, in->dims[1] > 0 ? in->dims[1] : 3, h, w}, numel = dims[1] * h * w;
    float *x = xmalloc(sizeof(float) * (size_t)numel);
    uint32_t seed = 2463534242u;
    for (int64_t i = 0; i < numel; i++) {
        seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
        x[i] = (float)(seed >> 8) / 16777216.f;
    }
    StageOutput want[4] = {{0}}, got[4] = {{0}};
    int n_want = 0, n_got = 0, rc = 0;
    char msg[512] = "";
    double tol_rel = a->half ? 2e-2 : 1e-4, worst = 0;
    if (run_graph(written, input_name, x, dims, ctx->threads, want, 4, &n_want, NULL, NULL, msg, sizeof msg) != 0)
        rc = err_set(err, errlen, "%s: at %dx%d the graph written does not run: %s", ctx->out_path, h, w, msg);
    else if (run_graph(back, input_name, x, dims, ctx->threads, got, 4, &n_got, NULL, NULL, msg, sizeof msg) != 0)
        rc = err_set(err, errlen, "%s: at %dx%d the model as read back does not run: %s", ctx->out_path, h, w, msg);
    for (int k = 0; rc == 0 && k < n_want && k < n_got; k++) {
        if (want[k].n != got[k].n) {
            rc = err_set(err, errlen, "%s: at %dx%d output%d has %lld values read back, %lld written", ctx->out_path, h,
                         w, k, (long long)got[k].n, (long long)want[k].n);
            break;
        }
        double mag;
        double d = max_abs_delta(want[k].data, got[k].data, want[k].n, &mag);
        worst = fmax(worst, d);
        if (!(d <= tol_rel * fmax(mag, 1)))
            rc = err_set(err, errlen, "%s: at %dx%d output%d read back differs from the graph written by %.3g "
                         "(tolerance %.3g)", ctx->out_path, h, w, k, d, tol_rel * fmax(mag, 1));
    }
    outputs_free(want, n_want);
    outputs_free(got, n_got);
    free(x);
    if (rc) {
        report_add_check(ctx->report, "other size", CHECK_FAILED, worst, 0, err);
        return -1;
    }
    char detail[600];
    snprintf(detail, sizeof detail, "the model as read back at %dx%d (any size: its input is [1, %lld, height, width]) "
             "against the graph written: max |Δ| %.3g", h, w, (long long)dims[1], worst);
    report_add_check(ctx->report, "other size", CHECK_PASSED, worst, 0, detail);
    job_log(ctx->job, JOB_LOG_INFO, "%s check at another size %s %s: %s", st->prefix, check_status_mark(CHECK_PASSED),
            check_status_word(CHECK_PASSED), detail);
    return 0;
}

void export_stage_numeric_skipped(ExportStage *st, const char *why)
{
    report_add_check(st->ctx->report, "numeric", CHECK_SKIPPED, -1, 0, why);
    job_log(st->ctx->job, JOB_LOG_INFO, "%s check against the source %s skipped: %s", st->prefix,
            check_status_mark(CHECK_SKIPPED), why);
}

void export_stage_done(ExportStage *st, CheckStatus status, const PrecisionInfo *precision, double worst)
{
    ExportCtx *ctx = st->ctx;
    ctx->seconds = now_seconds() - st->t0;
    ctx->status = status;
    ReportArtifact *art = report_add_artifact(ctx->report, ctx->out_path, ctx->fmt->name, path_size(ctx->out_path),
                                              precision, ctx->seconds);
    art->status = status;
    art->max_abs_delta = worst;
    if (st->map >= 0 && st->map_ref >= 0) report_set_accuracy(art, st->map, st->map_ref, st->map_data);
    char label[160];
    snprintf(label, sizeof label, "%s: done", st->label);
    job_progress(ctx->job, label, 1.0);
}

void export_stage_end(ExportStage *st, int rc)
{
    source_free(st->src, rc != 0);
    st->src = NULL;
    temp_dir_drop(st);
}

/* ======================================================================================
 * metadata: Python literals (the peer's str(v)) as JSON
 * ==================================================================================== */

typedef struct {
    const char *s;  /* the text */
    const char *p;  /* where we are */
    Vec out;
    char *err;
    size_t errlen;
    int depth;
} PyReader;

static void out_text(PyReader *r, const char *s)
{
    for (; *s; s++) vec_push(&r->out, 1, s);
}

static int py_fail(PyReader *r, const char *what)
{
    return err_set(r->err, r->errlen, "%s at offset %zu", what, (size_t)(r->p - r->s));
}

static void skip_space(PyReader *r)
{
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r') r->p++;
}

/* One UTF-8 code point into the output as JSON (control characters escaped). */
static void put_codepoint(PyReader *r, uint32_t cp)
{
    char buf[8];
    if (cp == '"' || cp == '\\') {
        buf[0] = '\\', buf[1] = (char)cp, buf[2] = 0;
    } else if (cp < 0x20 || cp == 0x7f) {
        snprintf(buf, sizeof buf, "\\u%04x", cp);
    } else if (cp < 0x80) {
        buf[0] = (char)cp, buf[1] = 0;
    } else if (cp < 0x800) {
        buf[0] = (char)(0xc0 | (cp >> 6)), buf[1] = (char)(0x80 | (cp & 0x3f)), buf[2] = 0;
    } else if (cp < 0x10000) {
        buf[0] = (char)(0xe0 | (cp >> 12)), buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[2] = (char)(0x80 | (cp & 0x3f)), buf[3] = 0;
    } else {
        buf[0] = (char)(0xf0 | (cp >> 18)), buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), buf[3] = (char)(0x80 | (cp & 0x3f)), buf[4] = 0;
    }
    out_text(r, buf);
}

static int hex_value(const char *p, int n, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        *v = *v * 16 + (uint32_t)d;
    }
    return 0;
}

/* A Python str literal ('...' or "...", as repr writes it) as a JSON string. */
static int py_string(PyReader *r)
{
    char q = *r->p++;
    out_text(r, "\"");
    for (;;) {
        unsigned char c = (unsigned char)*r->p;
        if (!c) return py_fail(r, "unterminated string");
        if (c == (unsigned char)q) {
            r->p++;
            break;
        }
        if (c != '\\') {
            if (c < 0x20) return py_fail(r, "control character in a string");
            if (c == '"') out_text(r, "\\\"");
            else vec_push(&r->out, 1, r->p);
            r->p++;
            continue;
        }
        char e = r->p[1];
        uint32_t cp;
        static const char from[] = "\\'\"nrtbfa0", to[] = {'\\', '\'', '"', '\n', '\r', '\t', '\b', '\f', '\a', '\0'};
        const char *k = e ? strchr(from, e) : NULL;
        if (k) {
            put_codepoint(r, (unsigned char)to[k - from]);
            r->p += 2;
        } else if (e == 'x' && hex_value(r->p + 2, 2, &cp) == 0) {
            put_codepoint(r, cp);
            r->p += 4;
        } else if (e == 'u' && hex_value(r->p + 2, 4, &cp) == 0) {
            if (cp >= 0xd800 && cp <= 0xdfff) return py_fail(r, "surrogate escape in a string");
            put_codepoint(r, cp);
            r->p += 6;
        } else if (e == 'U' && hex_value(r->p + 2, 8, &cp) == 0 && cp <= 0x10ffff) {
            if (cp >= 0xd800 && cp <= 0xdfff) return py_fail(r, "surrogate escape in a string");
            put_codepoint(r, cp);
            r->p += 10;
        } else {
            return py_fail(r, "unknown escape in a string");
        }
    }
    out_text(r, "\"");
    return 0;
}

/* int or float: copied as JSON writes it (json.dumps keeps Python's repr of numbers). */
static int py_number(PyReader *r, bool *is_int)
{
    const char *start = r->p;
    if (*r->p == '-' || *r->p == '+') r->p++;
    bool digits = false, frac = false;
    while (*r->p >= '0' && *r->p <= '9') r->p++, digits = true;
    if (*r->p == '.') {
        frac = true;
        r->p++;
        while (*r->p >= '0' && *r->p <= '9') r->p++, digits = true;
    }
    if (digits && (*r->p == 'e' || *r->p == 'E')) {
        frac = true;
        r->p++;
        if (*r->p == '-' || *r->p == '+') r->p++;
        if (!(*r->p >= '0' && *r->p <= '9')) return py_fail(r, "bad exponent");
        while (*r->p >= '0' && *r->p <= '9') r->p++;
    }
    if (!digits) {
        r->p = start;
        return py_fail(r, "not a value");
    }
    /* JSON: no leading '+', no "1." or ".5" */
    const char *s = start;
    if (*s == '+') s++;
    bool neg = *s == '-';
    if (neg) {
        out_text(r, "-");
        s++;
    }
    if (*s == '.') out_text(r, "0");
    for (; s < r->p; s++) {
        vec_push(&r->out, 1, s);
        if (*s == '.' && !(s[1] >= '0' && s[1] <= '9')) out_text(r, "0");
    }
    if (is_int) *is_int = !frac;
    return 0;
}

static int py_value(PyReader *r);

/* A dict key: an int or a str, written as a JSON string. */
static int py_key(PyReader *r)
{
    skip_space(r);
    if (*r->p == '\'' || *r->p == '"') return py_string(r);
    bool is_int = false;
    size_t mark = r->out.len;
    out_text(r, "\"");
    if (py_number(r, &is_int) != 0) return -1;
    if (!is_int) {
        r->out.len = mark;
        return py_fail(r, "a dict key that is not an int or a str");
    }
    out_text(r, "\"");
    return 0;
}

static int py_sequence(PyReader *r, char close, bool dict)
{
    r->p++;
    out_text(r, dict ? "{" : "[");
    bool first = true;
    for (;;) {
        skip_space(r);
        if (*r->p == close) {
            r->p++;
            break;
        }
        if (!first) {
            if (*r->p != ',') return py_fail(r, "expected ','");
            r->p++;
            skip_space(r);
            if (*r->p == close) { /* trailing comma: (1,) */
                r->p++;
                break;
            }
            out_text(r, ", ");
        }
        first = false;
        if (dict) {
            if (py_key(r) != 0) return -1;
            skip_space(r);
            if (*r->p != ':') return py_fail(r, "expected ':'");
            r->p++;
            out_text(r, ": ");
        }
        if (py_value(r) != 0) return -1;
    }
    out_text(r, dict ? "}" : "]");
    return 0;
}

static int py_value(PyReader *r)
{
    if (++r->depth > 64) return py_fail(r, "nesting too deep");
    skip_space(r);
    int rc;
    static const struct {
        const char *py, *json;
    } words[] = {{"True", "true"}, {"False", "false"}, {"None", "null"}};
    char c = *r->p;
    if (c == '{') rc = py_sequence(r, '}', true);
    else if (c == '[') rc = py_sequence(r, ']', false);
    else if (c == '(') rc = py_sequence(r, ')', false);
    else if (c == '\'' || c == '"') rc = py_string(r);
    else {
        rc = 1;
        for (size_t i = 0; i < ARRAY_LEN(words) && rc == 1; i++) {
            size_t n = strlen(words[i].py);
            if (!strncmp(r->p, words[i].py, n) && !((r->p[n] >= 'a' && r->p[n] <= 'z') || (r->p[n] >= 'A' && r->p[n] <= 'Z') ||
                                                      (r->p[n] >= '0' && r->p[n] <= '9') || r->p[n] == '_')) {
                out_text(r, words[i].json);
                r->p += n;
                rc = 0;
            }
        }
        if (rc == 1) rc = py_number(r, NULL);
    }
    r->depth--;
    return rc;
}

char *export_stage_py_to_json(const char *text, char *err, size_t errlen)
{
    PyReader r = {.s = text, .p = text, .err = err, .errlen = errlen};
    if (py_value(&r) != 0) {
        vec_free(&r.out);
        return NULL;
    }
    skip_space(&r);
    if (*r.p) {
        py_fail(&r, "unexpected text after the value");
        vec_free(&r.out);
        return NULL;
    }
    vec_push(&r.out, 1, "");
    return r.out.items;
}

/* Keys whose values the peer stores as str (everything else is an int, a list or a dict). */
static const char *const string_keys[] = {"description", "author", "date", "version", "license", "docs", "task", "dla"};

static bool is_string_key(const char *key)
{
    for (size_t i = 0; i < ARRAY_LEN(string_keys); i++)
        if (!strcmp(key, string_keys[i])) return true;
    return false;
}

/* A plain text as a JSON string. */
static char *json_string(const char *s, char *err, size_t errlen)
{
    json_object *o = json_object_new_string(s);
    const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *out = t ? xstrdup(t) : NULL;
    json_object_put(o);
    if (!out) err_set(err, errlen, "cannot encode a string as JSON");
    return out;
}

KeyValue *export_stage_meta_json(const Graph *g, Arena *arena, int *n, char *err, size_t errlen)
{
    *n = 0;
    KeyValue *kv = arena_alloc(arena, sizeof *kv * (size_t)(g->meta.n_props ? g->meta.n_props : 1));
    for (int i = 0; i < g->meta.n_props; i++) {
        const char *key = g->meta.props[i].key, *val = g->meta.props[i].value ? g->meta.props[i].value : "";
        char msg[256];
        char *json = is_string_key(key) ? json_string(val, msg, sizeof msg) : export_stage_py_to_json(val, msg, sizeof msg);
        if (!json) {
            err_set(err, errlen, "metadata '%s': %s", key, msg);
            return NULL;
        }
        kv[i].key = arena_strdup(arena, key);
        kv[i].value = arena_strdup(arena, json);
        free(json);
    }
    *n = g->meta.n_props;
    return kv;
}

struct json_object *export_stage_meta_object(const Graph *g, char *err, size_t errlen)
{
    Arena *a = arena_new();
    int n = 0;
    KeyValue *kv = export_stage_meta_json(g, a, &n, err, errlen);
    json_object *obj = kv ? json_object_new_object() : NULL;
    for (int i = 0; obj && i < n; i++) {
        enum json_tokener_error jerr = json_tokener_success;
        json_object *v = json_tokener_parse_verbose(kv[i].value, &jerr);
        if (jerr != json_tokener_success) {
            err_set(err, errlen, "metadata '%s': %s", kv[i].key, json_tokener_error_desc(jerr));
            json_object_put(obj);
            obj = NULL;
            break;
        }
        json_object_object_add(obj, kv[i].key, v); /* v NULL: JSON null */
    }
    arena_free(a);
    return obj;
}
