/* export_int8: calibration inside an export job, the quantisation of a stage's graph, and the
 * accuracy check of an INT8 artifact (see export_int8.h). */
#include "engine/export/export_int8.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/core/util.h"
#include "engine/runtime/runtime.h"
#include "engine/val/dataset.h"
#include "engine/val/val.h"

/* ---- the job's cancel as the int the executor polls ------------------------------------------ */

typedef struct {
    Job *job;
    volatile int cancel;
    int stop;
    pthread_t thread;
    bool running;
} CancelWatch;

static void *watch_main(void *arg)
{
    CancelWatch *w = arg;
    const struct timespec tick = {0, 20 * 1000 * 1000};
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        if (job_cancelled(w->job)) {
            __atomic_store_n((int *)&w->cancel, 1, __ATOMIC_RELEASE);
            break;
        }
        nanosleep(&tick, NULL);
    }
    return NULL;
}

static void watch_start(CancelWatch *w, Job *job)
{
    memset(w, 0, sizeof *w);
    w->job = job;
    w->running = pthread_create(&w->thread, NULL, watch_main, w) == 0;
}

static void watch_stop(CancelWatch *w)
{
    if (!w->running) return;
    __atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
    pthread_join(w->thread, NULL);
    w->running = false;
}

/* ---- calibration ----------------------------------------------------------------------------- */

typedef struct {
    ExportStage *st;
    char label[96];
    double t0, last_line;
} CalibLog;

static void calib_progress(void *user, int done, int total)
{
    CalibLog *c = user;
    job_progress(c->st->ctx->job, c->label, total > 0 ? (double)done / total : -1);
    double now = now_seconds();
    if (done < total && now - c->last_line >= 5.0) { /* long runs: a line now and then for the CLI */
        c->last_line = now;
        job_log(c->st->ctx->job, JOB_LOG_INFO, "%s calibrating: %d/%d images (%.0fs)", c->st->prefix, done, total,
                now - c->t0);
    }
}

static void calib_skipped(void *user, const char *path, const char *why)
{
    CalibLog *c = user;
    /* the peer's verify_image_label warning, then it goes on without the image */
    job_log(c->st->ctx->job, JOB_LOG_WARNING, "WARNING ⚠️ %s: ignoring corrupt image/label: %s", path, why);
}

int export_int8_calibrate(ExportStage *st, const Graph *g, const bool *watch, ExportInt8 *q, char *err, size_t errlen)
{
    ExportCtx *ctx = st->ctx;
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    q->method = CALIB_METHOD_DEFAULT;
    const char *data = export_args_is_none(a, EXPORT_KEY_DATA) ? "" : a->data;
    job_log(job, JOB_LOG_INFO, "%s collecting INT8 calibration images from 'data=%s'", st->prefix, data);
    char msg[1200];
    if (calib_set_open(data, a->split, a->fraction, &q->set, msg, sizeof msg) != 0)
        return err_set(err, errlen, "INT8 calibration: %s", msg);
    const CalibSet *s = &q->set;
    int h = a->imgsz.v[0], w = a->imgsz.v[1];
    char frac[32]; /* as Python prints the float: 1.0, 0.5 */
    snprintf(frac, sizeof frac, "%g", s->fraction);
    if (!strpbrk(frac, ".e")) strncat(frac, ".0", sizeof frac - strlen(frac) - 1);
    if (s->kind == CALIB_DATASET)
        job_log(job, JOB_LOG_INFO, "%s calibration data: %d image%s of split '%s' of %s (fraction=%s of %d), letterboxed "
                "to %dx%d", st->prefix, s->n_images, s->n_images == 1 ? "" : "s", s->split, s->yaml, frac, s->n_found,
                h, w);
    else
        job_log(job, JOB_LOG_INFO, "%s calibration data: %d image%s of the folder %s (split and fraction are for "
                "dataset yamls), letterboxed to %dx%d", st->prefix, s->n_images, s->n_images == 1 ? "" : "s", s->data,
                h, w);
    if (s->n_images < CALIB_RECOMMENDED_IMAGES)
        job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ %s >%d images recommended for INT8 calibration, found %d images.",
                st->prefix, CALIB_RECOMMENDED_IMAGES, s->n_images);
    CalibLog cl = {.st = st, .t0 = now_seconds()};
    cl.last_line = cl.t0;
    snprintf(cl.label, sizeof cl.label, "%s: calibrate", st->label);
    job_progress(job, cl.label, 0);
    CancelWatch cw;
    watch_start(&cw, job);
    CalibOptions co = {.watch = watch, .h = h, .w = w, .threads = ctx->threads, .cancel = &cw.cancel,
                       .progress = calib_progress, .skipped = calib_skipped, .user = &cl};
    q->stats = calib_collect(g, s, &co, msg, sizeof msg);
    watch_stop(&cw);
    if (!q->stats) {
        if (job_cancelled(job)) return err_set(err, errlen, "cancelled");
        return err_set(err, errlen, "INT8 calibration: %s", msg);
    }
    double sec = calib_stats_seconds(q->stats);
    int n = calib_stats_images(q->stats);
    job_log(job, JOB_LOG_INFO, "%s calibrated on %d image%s in %.1fs (%.1f images/s)", st->prefix, n, n == 1 ? "" : "s",
            sec, sec > 0 ? n / sec : 0.0);
    return 0;
}

int export_int8_quantise(ExportStage *st, Graph *g, QuantStyle style, ExportInt8 *q, char *err, size_t errlen)
{
    char msg[512];
    if (quant_plan(g, &q->plan, msg, sizeof msg) != 0) return err_set(err, errlen, "int8=True: %s", msg);
    if (export_int8_calibrate(st, g, q->plan.act, q, err, errlen) != 0) return -1;
    q->float_graph = export_graph_clone(g); /* what the accuracy check compares with */
    if (quant_apply(g, &q->plan, q->stats, q->method, style, &q->q, msg, sizeof msg) != 0)
        return err_set(err, errlen, "int8=True: %s", msg);
    char keep[160] = "";
    if (q->plan.head[0])
        snprintf(keep, sizeof keep, "; the head's decode (%s: DFL, box arithmetic, class sigmoid, final concat) kept in "
                 "float", q->plan.head);
    job_log(st->ctx->job, JOB_LOG_INFO,
            "%s INT8: %d activations quantised (ranges by %s, uint8 with zero points), %d convolutions with int8 "
            "weights per output channel (%.1f MB -> %.1f MB)%s%s",
            st->prefix, q->q.activations, calib_method_name(q->method), q->q.weights,
            (double)q->q.weight_bytes_f32 / (1 << 20), (double)q->q.weight_bytes_i8 / (1 << 20), keep,
            q->q.missing ? "; some planned activations were never computed and stay float" : "");
    return 0;
}

/* ---- accuracy ---------------------------------------------------------------------------------- */

typedef struct {
    Job *job;
    char label[96];
} ValLog;

static void val_progress(void *user, int done, int total)
{
    ValLog *v = user;
    job_progress(v->job, v->label, total > 0 ? (double)done / total : -1);
}

static void accuracy_skipped(ExportStage *st, const char *why)
{
    report_add_check(st->ctx->report, "accuracy", CHECK_SKIPPED, -1, 0, why);
    job_log(st->ctx->job, JOB_LOG_INFO, "%s accuracy against the source %s skipped: %s", st->prefix,
            check_status_mark(CHECK_SKIPPED), why);
}

/* val of g on d in our executor; 0 or -1 + message. */
static int val_graph(ExportStage *st, const Graph *g, const Dataset *d, const char *what, volatile int *cancel,
                     ValResult *r, char *err, size_t errlen)
{
    RuntimeSession *s = runtime_open_graph(g, st->ctx->threads, cancel, err, errlen);
    if (!s) return -1;
    ValOptions vo;
    val_defaults(&vo);
    vo.imgsz = st->ctx->args->imgsz.v[0];
    ValLog vl = {.job = st->ctx->job};
    snprintf(vl.label, sizeof vl.label, "%s: accuracy (%s)", st->label, what);
    vo.progress = val_progress;
    vo.user = &vl;
    vo.cancel = cancel;
    int rc = val_run(s, d, &vo, r, err, errlen);
    runtime_close(s);
    return rc;
}

CheckStatus export_int8_accuracy(ExportStage *st, ExportInt8 *q, const Graph *written, char *err, size_t errlen)
{
    ExportCtx *ctx = st->ctx;
    const ExportArgs *a = ctx->args;
    if (!a->verify) {
        accuracy_skipped(st, "verify=False");
        return CHECK_SKIPPED;
    }
    char why[1400];
    if (q->set.kind == CALIB_FOLDER) {
        snprintf(why, sizeof why, "data=%s is a folder of images without labels: give a dataset yaml (data=coco8.yaml) "
                 "to measure what INT8 costs in mAP", q->set.data);
        accuracy_skipped(st, why);
        return CHECK_SKIPPED;
    }
    const Tensor *in = written->n_inputs ? &written->tensors[written->inputs[0]] : NULL;
    if (in && in->rank == 4 && in->dims[0] > 1) {
        snprintf(why, sizeof why, "val runs one image at a time and this export's batch is fixed at %lld: export it "
                 "with batch=1 (or dynamic=True) to measure what INT8 costs", (long long)in->dims[0]);
        accuracy_skipped(st, why);
        return CHECK_SKIPPED;
    }
    if (a->imgsz.v[0] != a->imgsz.v[1]) {
        snprintf(why, sizeof why, "val needs a square input and this export is %dx%d", a->imgsz.v[0], a->imgsz.v[1]);
        accuracy_skipped(st, why);
        return CHECK_SKIPPED;
    }
    Dataset d;
    char msg[1024];
    if (dataset_load(q->set.yaml, "val", &d, msg, sizeof msg) != 0) {
        snprintf(why, sizeof why, "no val split to measure on: %s", msg);
        accuracy_skipped(st, why);
        return CHECK_SKIPPED;
    }
    const char *slash = strrchr(d.yaml_path, '/');
    snprintf(q->data_text, sizeof q->data_text, "%s val, %d image%s", slash ? slash + 1 : d.yaml_path, d.n_images,
             d.n_images == 1 ? "" : "s");
    CancelWatch cw;
    watch_start(&cw, ctx->job);
    ValResult r8, r32;
    memset(&r8, 0, sizeof r8);
    memset(&r32, 0, sizeof r32);
    double t0 = now_seconds();
    int rc = val_graph(st, q->float_graph ? q->float_graph : ctx->source, &d, "fp32", &cw.cancel, &r32, msg,
                       sizeof msg);
    if (rc == 0) rc = val_graph(st, written, &d, "int8", &cw.cancel, &r8, msg, sizeof msg);
    double sec = now_seconds() - t0;
    watch_stop(&cw);
    dataset_free(&d);
    if (job_cancelled(ctx->job)) {
        val_result_free(&r8);
        val_result_free(&r32);
        err_set(err, errlen, "cancelled");
        return CHECK_FAILED;
    }
    if (rc != 0) {
        val_result_free(&r8);
        val_result_free(&r32);
        /* a model val cannot score (a task it does not handle, or calibration data without
         * the labels its task needs: a pose model on a detection set) is not measured; one
         * that does not run is a failed check */
        bool unsupported = strstr(msg, "not available in this build") != NULL || strstr(msg, "needs a dataset with") != NULL;
        snprintf(why, sizeof why, "%s%s", unsupported ? "" : "val did not run: ", msg);
        if (unsupported) {
            accuracy_skipped(st, why);
            return CHECK_SKIPPED;
        }
        report_add_check(ctx->report, "accuracy", CHECK_WRITTEN_FAILED, -1, 0, why);
        job_log(ctx->job, JOB_LOG_WARNING, "%s accuracy against the source %s %s: %s", st->prefix,
                check_status_mark(CHECK_WRITTEN_FAILED), check_status_word(CHECK_WRITTEN_FAILED), why);
        return CHECK_WRITTEN_FAILED;
    }
    double m8 = r8.map[0], m32 = r32.map[0], drop = m32 - m8;
    CheckStatus status = drop > REPORT_MAX_MAP_DROP ? CHECK_WRITTEN_FAILED : CHECK_PASSED;
    char line[1600];
    const char *scheme = quant_scheme(written);
    snprintf(line, sizeof line,
             "mAP50-95 %.3f (%s%.3f vs fp32 %.3f), mAP50 %.3f (fp32 %.3f) on %s at %d: the model as written (%s) and "
             "the fp32 model, both in the yoloport executor (%.1fs)%s",
             m8, drop > 0.0005 ? "\u2212" : "+", fabs(drop), m32, r8.map50[0], r32.map50[0], q->data_text,
             a->imgsz.v[0], scheme ? scheme : "int8", sec, status == CHECK_PASSED ? "" : "; it drops by more than 0.05");
    report_add_check(ctx->report, "accuracy", status, -1, REPORT_MAX_MAP_DROP, line);
    job_log(ctx->job, status == CHECK_PASSED ? JOB_LOG_INFO : JOB_LOG_WARNING, "%s accuracy against the source %s %s: %s",
            st->prefix, check_status_mark(status), check_status_word(status), line);
    st->map = m8;
    st->map_ref = m32;
    st->map_data = q->data_text;
    val_result_free(&r8);
    val_result_free(&r32);
    return status;
}

void export_int8_free(ExportInt8 *q)
{
    if (!q) return;
    calib_stats_free(q->stats);
    calib_set_free(&q->set);
    graph_free(q->float_graph);
    quant_plan_free(&q->plan);
    memset(q, 0, sizeof *q);
}
