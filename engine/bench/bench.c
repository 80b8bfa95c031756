/* bench: export (or reuse), check, time and validate every format; the peer's table and the
 * result files (see bench.h). */
#include "engine/bench/bench.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/bench/provenance.h"
#include "engine/core/fileio.h"
#include "engine/core/textwidth.h"
#include "engine/core/util.h"
#include "engine/export/export.h"
#include "engine/export/report.h"
#include "engine/predict/predict.h"
#include "engine/predict/sources.h"
#include "engine/registry/model.h"
#include "engine/registry/registry.h"
#include "engine/runtime/runtime.h"
#include "engine/tools/tools.h"
#include "engine/tools/trt.h"
#include "engine/val/val.h"
#include "formats/engine.h"

void bench_args_init(BenchArgs *a)
{
    memset(a, 0, sizeof *a);
    a->warmup = 2;
    a->runs = 10;
    a->reuse = true;
    a->write_files = true;
    a->dynamic = true;
}

BenchRun *bench_run_new(const BenchArgs *args)
{
    BenchRun *r = xcalloc(1, sizeof *r);
    r->args = *args;
    return r;
}

void bench_run_free(BenchRun *run)
{
    if (!run) return;
    free(run->result.rows);
    free(run);
}

int bench_parse_formats(const char *list, int *out, int max, char *err, size_t errlen)
{
    int n = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list ? list : "");
    char *save = NULL;
    for (char *w = strtok_r(buf, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
        int id;
        if (!strcasecmp(w, "pt") || !strcasecmp(w, "pytorch") || !strcmp(w, "-")) id = FMT_PYTORCH;
        else {
            const FormatInfo *fi = registry_find(w);
            if (!fi) {
                const char *close = registry_suggest(w);
                if (close) return err_set(err, errlen, "format=%s: unknown format '%s'; did you mean '%s'?", list, w, close);
                return err_set(err, errlen, "format=%s: unknown format '%s' (valid: pt, %s)", list, w,
                               registry_valid_formats_text());
            }
            id = fi->id;
        }
        bool dup = false;
        for (int k = 0; k < n; k++) dup |= out[k] == id;
        if (!dup && n < max) out[n++] = id;
    }
    return n;
}

/* ---- children: an export as its own job, its log forwarded ---------------------------------- */

static JobState wait_child(Job *parent, Job *child)
{
    uint64_t next = 0;
    const struct timespec tick = {0, 20 * 1000 * 1000};
    for (;;) {
        JobLogLine lines[64];
        uint64_t nx = next;
        int n = job_log_read(child, next, lines, 64, &nx);
        for (int i = 0; i < n; i++) job_log(parent, lines[i].level, "%s", lines[i].text);
        job_log_lines_free(lines, n);
        next = nx;
        JobState st = job_state(child);
        if (job_state_finished(st) && n == 0) return st;
        if (job_cancelled(parent)) job_cancel(child);
        if (n == 0) nanosleep(&tick, NULL);
    }
}

/* Exported with dynamic=True in a dynamic benchmark: the format takes the argument (but TF
 * Lite with int8, whose activations are calibrated at one size: the export refuses the pair). */
static bool takes_dynamic(const FormatInfo *fi, const BenchArgs *a)
{
    if (a->int8 && fi->id == FMT_TFLITE) return false;
    return (format_honours(fi) & EXPORT_ARG_BIT(EXPORT_KEY_DYNAMIC)) != 0;
}

/* The export arguments as the provenance record keeps them. */
static void export_args_text(const BenchArgs *a, const FormatInfo *fi, int imgsz, bool dynamic, char *buf, size_t len)
{
    snprintf(buf, len, "format=%s imgsz=%d half=%s int8=%s dynamic=%s data=%s", fi->argument, imgsz,
             a->half ? "True" : "False", a->int8 ? "True" : "False", dynamic ? "True" : "False",
             a->int8 && a->data[0] ? a->data : "None");
}

/* Export model to fi in a child job (dynamic=True when dynamic).  The run (caller frees), or
 * NULL when the words did not parse (the reason in err). */
static ExportRun *export_child(Job *job, const BenchArgs *ba, const FormatInfo *fi, int imgsz, bool dynamic, char *err,
                               size_t errlen)
{
    ExportArgs a;
    export_args_init(&a);
    ExportMsgs m;
    export_msgs_clear(&m);
    char v[64];
    snprintf(v, sizeof v, "%d", imgsz);
    int rc = export_args_set(&a, "model", ba->model, &m);
    if (rc == 0) rc = export_args_set(&a, "format", fi->argument, &m);
    if (rc == 0) rc = export_args_set(&a, "imgsz", v, &m);
    if (rc == 0 && ba->half) rc = export_args_set(&a, "half", "True", &m);
    if (rc == 0 && ba->int8) rc = export_args_set(&a, "int8", "True", &m);
    if (rc == 0 && dynamic) rc = export_args_set(&a, "dynamic", "True", &m);
    if (rc == 0 && ba->data[0] && ba->int8) rc = export_args_set(&a, "data", ba->data, &m);
    if (rc == 0 && ba->remote && fi->id == FMT_ENGINE) rc = export_args_set(&a, "host", ba->host.name, &m);
    if (rc != 0) {
        err_set(err, errlen, "%s", m.n ? m.items[m.n - 1].text : "bad export arguments");
        return NULL;
    }
    ExportRun *run = export_run_new(&a, false);
    if (ba->remote && fi->id == FMT_ENGINE) { /* resolved already: the run takes a copy */
        run->host = xmalloc(sizeof *run->host);
        *run->host = ba->host;
    }
    snprintf(run->runtime, sizeof run->runtime, "%s", ba->runtime);
    run->threads = ba->threads;
    JobRunnerOptions ro = {.workers = 1};
    JobRunner *runner = jobs_new(&ro);
    Job *child = export_submit(runner, run);
    wait_child(job, child);
    jobs_free(runner);
    return run;
}

/* ---- measuring --------------------------------------------------------------------------- */

static float *fixed_input(int64_t n)
{
    float *x = xmalloc(sizeof(float) * (size_t)(n ? n : 1));
    uint32_t s = 0xBE4Cu;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(s >> 8) / 16777216.0f;
    }
    return x;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* warm-up, then the median of `runs` timed runs, in ms; < 0 + message on failure */
static double time_runs(Job *job, RuntimeSession *s, const float *x, const int64_t *dims, int warmup, int runs,
                        const char *label, double f0, double f1, char *err, size_t errlen)
{
    char stage[160];
    for (int i = 0; i < warmup; i++) {
        if (job_cancelled(job)) return err_set(err, errlen, "cancelled");
        if (runtime_run(s, x, dims, 4, err, errlen) != 0) return -1;
    }
    if (runs < 1) runs = 1;
    double *t = xmalloc(sizeof(double) * (size_t)runs);
    for (int i = 0; i < runs; i++) {
        if (job_cancelled(job)) {
            free(t);
            return err_set(err, errlen, "cancelled");
        }
        snprintf(stage, sizeof stage, "%s: time %d/%d", label, i + 1, runs);
        job_progress(job, stage, f0 + (f1 - f0) * i / runs);
        double t0 = now_seconds();
        if (runtime_run(s, x, dims, 4, err, errlen) != 0) {
            free(t);
            return -1;
        }
        t[i] = (now_seconds() - t0) * 1e3;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    double med = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    free(t);
    return med;
}

typedef struct {
    Job *job;
    const char *label;
    double f0, f1;
    volatile int cancel;
} ValProgress;

static void val_progress(void *user, int done, int total)
{
    ValProgress *vp = user;
    char stage[160];
    snprintf(stage, sizeof stage, "%s: val %d/%d", vp->label, done, total);
    job_progress(vp->job, stage, vp->f0 + (vp->f1 - vp->f0) * done / (total ? total : 1));
    if (job_cancelled(vp->job)) __atomic_store_n((int *)&vp->cancel, 1, __ATOMIC_RELEASE);
}

/* Reference output0 of the source on the fixed input. */
typedef struct {
    float *y;
    int64_t dims[GRAPH_MAX_RANK];
    int rank;
    int64_t n;
} RefOut;

static double output_delta(RuntimeSession *s, const RefOut *ref)
{
    int64_t d[GRAPH_MAX_RANK];
    int rank;
    const float *y = runtime_output(s, 0, d, &rank);
    if (!y || !ref->y || rank != ref->rank) return -1;
    for (int i = 0; i < rank; i++)
        if (d[i] != ref->dims[i]) return -1;
    double m = 0;
    for (int64_t i = 0; i < ref->n; i++) {
        double df = fabs((double)y[i] - ref->y[i]);
        if (df > m || df != df) m = df != df ? INFINITY : df;
    }
    return m;
}

static const char *task_metric(const char *task)
{
    Task t = predict_task_from_name(task);
    return t == TASK_SEGMENT ? "metrics/mAP50-95(M)" : t == TASK_POSE ? "metrics/mAP50-95(P)" : "metrics/mAP50-95(B)";
}

/* Open, check, time and validate one artifact into row.  timing_session (may be NULL): time
 * in that session instead (the source row: a build at the fixed size). */
static void measure(Job *job, const BenchArgs *a, BenchRow *row, const char *path, int imgsz, const RefOut *ref,
                    const Dataset *ds, RuntimeSession *timing_session, double f0, double f1)
{
    char err[1400];
    /* runtime= names one runtime: it applies to the rows it runs (onnxruntime: ONNX); the others
     * keep their own (auto) */
    int want = -1;
    const char *spec = a->runtime;
    if (runtime_parse_spec(spec, &want, NULL, 0, err, sizeof err) == 0 && want == RUNTIME_ONNXRUNTIME &&
        row->format != FMT_ONNX)
        spec = "";
    RuntimeOpenOptions ro = {.runtime = spec, .imgsz = {imgsz, imgsz}, .threads = a->threads};
    RuntimeSession *s = runtime_open(path, &ro, err, sizeof err);
    if (!s) {
        row->status = BENCH_NOT_VALIDATED;
        snprintf(row->note, sizeof row->note, "not run: nothing on this host runs it (%s)", err);
        job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ Benchmark: %s not run: %s", row->name, err);
        return;
    }
    snprintf(row->runtime, sizeof row->runtime, "%s", s->runtime == RUNTIME_BUILTIN ? "yoloport executor" : s->label);
    if (ro.fallback[0]) job_log(job, JOB_LOG_INFO, "Benchmark: %s: %s; running in the yoloport executor", row->name, ro.fallback);
    if (s->model && !row->precision[0]) {
        PrecisionInfo pi;
        report_scan_precision(s->model, &pi);
        snprintf(row->precision, sizeof row->precision, "%s", pi.text);
    }
    RuntimeSession *ts = timing_session ? timing_session : s;
    int64_t dims[4] = {1, 3, ts->input.dims[2] > 0 ? ts->input.dims[2] : imgsz, ts->input.dims[3] > 0 ? ts->input.dims[3] : imgsz};
    int64_t n = dims[0] * dims[1] * dims[2] * dims[3];
    float *x = fixed_input(n);
    /* the check on the fixed input, in the runtime that runs it */
    if (ref && ref->y && runtime_run(s, x, dims, 4, err, sizeof err) == 0) row->max_delta = output_delta(s, ref);
    double span = f1 - f0;
    double ms = time_runs(job, ts, x, dims, a->warmup, a->runs, row->name, f0, f0 + span * (ds ? 0.3 : 1.0), err, sizeof err);
    free(x);
    if (ms < 0) {
        row->status = BENCH_NOT_VALIDATED;
        snprintf(row->note, sizeof row->note, "did not run: %s", err);
        runtime_close(s);
        return;
    }
    row->ms = ms;
    row->fps = round(1000.0 / (ms + 1e-3) * 100) / 100;
    char on[48] = "";
    if (ts->threads > 0) snprintf(on, sizeof on, " on %d thread%s", ts->threads, ts->threads > 1 ? "s" : "");
    job_log(job, JOB_LOG_INFO, "Benchmark: %s in %s%s: %.2f ms/im (median of %d after %d warm-up), %.2f FPS", row->name,
            ts->runtime == RUNTIME_BUILTIN ? "the yoloport executor" : ts->label, on, ms, a->runs, a->warmup, row->fps);
    if (ds) {
        ValOptions vo;
        val_defaults(&vo);
        vo.imgsz = imgsz;
        vo.batch = 1;
        ValProgress vp = {.job = job, .label = row->name, .f0 = f0 + span * 0.3, .f1 = f1};
        vo.progress = val_progress;
        vo.user = &vp;
        vo.cancel = &vp.cancel;
        ValResult vr;
        if (val_run(s, ds, &vo, &vr, err, sizeof err) == 0) {
            row->map = vr.n_kinds == 2 ? vr.map[1] : vr.map[0];
            row->square = !vr.rect;
            job_log(job, JOB_LOG_INFO, "Benchmark: %s val: mAP50-95 %.4f, mAP50 %.4f (%d images)", row->name, row->map,
                    vr.n_kinds == 2 ? vr.map50[1] : vr.map50[0], vr.seen);
            val_result_free(&vr);
        } else {
            row->status = BENCH_NOT_VALIDATED;
            snprintf(row->note, sizeof row->note, "val failed: %s", err);
            job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ Benchmark failure for %s: %s", row->name, err);
        }
    }
    runtime_close(s);
}

/* ---- TensorRT: built and timed by trtexec ---------------------------------------------------- */

static bool stop_when_cancelled(void *user) { return job_cancelled(user); }

/* Can this host build and time an engine?  When not, the row is ❌ with what is missing.  On
 * host= the export's own probe there decides (its failure names what is missing). */
static bool engine_available(Job *job, const BenchArgs *a, BenchRow *row)
{
    if (a->remote) return true;
    ToolFacts facts;
    tools_discover(&facts, TOOL_BIT(TOOL_TRTEXEC) | TOOL_BIT(TOOL_NVIDIA_SMI), 0, 0, stop_when_cancelled, job);
    char missing[512];
    if (!*trt_missing(&facts, missing, sizeof missing)) return true;
    row->status = BENCH_FAILED;
    snprintf(row->note, sizeof row->note, "not available on this host: %s", missing);
    job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ Benchmark: TensorRT %s", row->note);
    return false;
}

/* Time the engine at row->path with trtexec --loadEngine where it was built. */
static void time_engine(Job *job, const BenchArgs *a, BenchRow *row, int imgsz, bool dynamic, bool have_ds)
{
    char shapes[64], err[1400];
    snprintf(shapes, sizeof shapes, "images:1x3x%dx%d", imgsz, imgsz);
    if (!row->precision[0]) { /* reused: the precision its header records */
        EngineHeader h;
        if (engine_header_read(row->path, &h, err, sizeof err) == 0) {
            snprintf(row->precision, sizeof row->precision, "%s", h.int8 ? "int8" : h.half ? "fp16" : "fp32");
            engine_header_free(&h);
        }
    }
    TrtBenchOptions o = {.shapes = dynamic ? shapes : NULL, .iterations = a->runs};
    TrtBenchResult r;
    job_log(job, JOB_LOG_INFO, "Benchmark: TensorRT: timing %s with trtexec", row->path);
    if (trt_benchmark(job, row->path, a->remote ? &a->host : NULL, &o, &r, err, sizeof err) != 0) {
        row->status = BENCH_NOT_VALIDATED;
        snprintf(row->note, sizeof row->note, "not timed: %s", err);
        job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ Benchmark failure for TensorRT: %s", err);
        return;
    }
    row->ms = r.median_ms;
    row->fps = round(1000.0 / (r.median_ms + 1e-3) * 100) / 100;
    snprintf(row->runtime, sizeof row->runtime, "TensorRT %s (trtexec%s%s)", r.tensorrt[0] ? r.tensorrt : "?",
             a->remote ? " on " : "", a->remote ? r.host : "");
    job_log(job, JOB_LOG_INFO, "Benchmark: TensorRT in trtexec on %s (%s): %.2f ms/im (GPU compute time, median), %.2f FPS",
            r.host, r.gpu, row->ms, row->fps);
    if (have_ds) {
        row->status = BENCH_NOT_VALIDATED;
        snprintf(row->note, sizeof row->note, "timed with trtexec --loadEngine on %s; not validated on the data: "
                 "yoloport does not run a TensorRT plan's outputs", r.host);
    } else if (row->status != BENCH_NOT_VALIDATED) {
        snprintf(row->note, sizeof row->note, "timed with trtexec --loadEngine on %s (GPU compute time, median); "
                 "its outputs are not compared: yoloport does not run a TensorRT plan", r.host);
    }
}

/* ---- the job ------------------------------------------------------------------------------ */

static void row_init(BenchRow *r, int fmt, const char *name)
{
    memset(r, 0, sizeof *r);
    r->format = fmt;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->size_mb = r->map = r->ms = r->fps = r->max_delta = r->export_s = -1;
}

int bench_job_body(Job *job, void *user, char *err, size_t errlen)
{
    BenchRun *run = user;
    const BenchArgs *a = &run->args;
    BenchResult *res = &run->result;
    double t0 = now_seconds();
    snprintf(res->model, sizeof res->model, "%s", a->model);
    snprintf(res->data, sizeof res->data, "%s", a->data);
    res->source_square_map = -1;
    job_progress(job, "benchmark: host", 0);
    hoststamp_take(&res->stamp, a->runtime);
    char line[600];
    job_log(job, JOB_LOG_INFO, "Benchmark host: %s", hoststamp_line(&res->stamp, line, sizeof line));
    int ids[FMT_COUNT];
    int n_ids = 0;
    if (a->n_artifacts == 0) {
        if (a->formats[0]) {
            n_ids = bench_parse_formats(a->formats, ids, FMT_COUNT, err, errlen);
            if (n_ids < 0) {
                snprintf(run->error, sizeof run->error, "%s", err);
                return -1;
            }
        } else {
            for (int i = 0; i < registry_count(); i++) ids[n_ids++] = i;
        }
    }
    /* the source, built once at the fixed size: the reference output and the PyTorch row's timing */
    RuntimeSession *src = NULL;
    RefOut ref = {0};
    char msg[1400];
    if (a->model[0]) {
        RuntimeOpenOptions so = {.runtime = "builtin", .fixed = true, .imgsz = {a->imgsz, a->imgsz}, .threads = a->threads};
        src = runtime_open(a->model, &so, msg, sizeof msg);
        if (!src) {
            snprintf(run->error, sizeof run->error, "%s", msg);
            return err_set(err, errlen, "%s", msg);
        }
    }
    int imgsz = a->imgsz > 0 ? a->imgsz : src && src->input.dims[2] > 0 ? (int)src->input.dims[2] : 640;
    res->imgsz = imgsz;
    snprintf(res->metric, sizeof res->metric, "%s", task_metric(src && src->model ? src->model->meta.task : NULL));
    if (src) {
        int64_t dims[4] = {1, 3, imgsz, imgsz};
        float *x = fixed_input(3 * (int64_t)imgsz * imgsz);
        if (runtime_run(src, x, dims, 4, msg, sizeof msg) == 0) {
            const float *y = runtime_output(src, 0, ref.dims, &ref.rank);
            ref.n = 1;
            for (int i = 0; i < ref.rank; i++) ref.n *= ref.dims[i];
            ref.y = xmalloc(sizeof(float) * (size_t)(ref.n ? ref.n : 1));
            memcpy(ref.y, y, sizeof(float) * (size_t)ref.n);
        }
        free(x);
    }
    Dataset ds;
    bool have_ds = false;
    if (a->data[0]) {
        if (dataset_load(a->data, "val", &ds, msg, sizeof msg) != 0) {
            runtime_close(src);
            free(ref.y);
            snprintf(run->error, sizeof run->error, "%s", msg);
            return err_set(err, errlen, "%s", msg);
        }
        have_ds = true;
    }
    int n_rows = a->n_artifacts > 0 ? a->n_artifacts : n_ids;
    res->rows = xcalloc((size_t)(n_rows ? n_rows : 1), sizeof *res->rows);
    for (int k = 0; k < n_rows && !job_cancelled(job); k++) {
        double f0 = (double)k / n_rows, f1 = (double)(k + 1) / n_rows;
        BenchRow *row = &res->rows[res->n++];
        if (a->n_artifacts > 0) {
            const char *p = a->artifacts[k];
            FormatId fid = model_detect(p, msg, sizeof msg);
            const FormatInfo *fi = registry_row(fid);
            row_init(row, fid, fi ? fi->name : "?");
            snprintf(row->path, sizeof row->path, "%s", p);
            row->size_mb = report_mib(path_size(p));
            row->reused = true;
            measure(job, a, row, p, imgsz, &ref, have_ds ? &ds : NULL, NULL, f0, f1);
            continue;
        }
        const FormatInfo *fi = registry_get(ids[k]);
        row_init(row, fi->id, fi->name);
        job_progress(job, fi->name, f0);
        if (fi->id == FMT_PYTORCH) {
            FormatId sf = model_detect(a->model, msg, sizeof msg);
            if (sf != FMT_PYTORCH) {
                row->status = BENCH_FAILED;
                snprintf(row->note, sizeof row->note, "the model is %s, not a PyTorch checkpoint",
                         registry_row(sf) ? registry_row(sf)->name : "something else");
                continue;
            }
            snprintf(row->path, sizeof row->path, "%s", a->model);
            row->size_mb = report_mib(path_size(a->model));
            row->max_delta = 0;
            job_log(job, JOB_LOG_INFO, "\nBenchmark: PyTorch, the source, in the yoloport executor");
            measure(job, a, row, a->model, imgsz, NULL, have_ds ? &ds : NULL, src, f0, f1);
            row->max_delta = row->status == BENCH_OK ? 0 : -1;
            continue;
        }
        bool trt = fi->id == FMT_ENGINE; /* built and timed by trtexec, here or on host= */
        if (trt && !engine_available(job, a, row)) continue;
        if (!fi->write && !trt) {
            row->status = BENCH_FAILED;
            snprintf(row->note, sizeof row->note, "%s", fi->unavailable_reason ? fi->unavailable_reason : "not available");
            continue;
        }
        if (!fi->cpu && !trt) {
            row->status = BENCH_FAILED;
            snprintf(row->note, sizeof row->note, "inference not supported on CPU");
            continue;
        }
        char *base = export_out_base(a->model);
        snprintf(row->path, sizeof row->path, "%s%s", base, fi->suffix);
        free(base);
        char args_text[4600], why[512];
        bool dyn = a->dynamic && takes_dynamic(fi, a);
        export_args_text(a, fi, imgsz, dyn, args_text, sizeof args_text);
        bool reusable = a->reuse && provenance_reusable(row->path, a->model, args_text, why, sizeof why);
        char fallback[600] = "", fb_text[4500] = "";
        if (dyn && fi->dynamic_hw_only) {
            /* the provenance of a fixed-shape export made because this model has no dynamic form
             * in the format: reused as such, without trying dynamic=True again */
            export_args_text(a, fi, imgsz, false, fb_text, sizeof fb_text);
            size_t l = strlen(fb_text);
            snprintf(fb_text + l, sizeof fb_text - l, " (dynamic=True has no form of this model)");
            char w2[512];
            if (!reusable && a->reuse && provenance_reusable(row->path, a->model, fb_text, w2, sizeof w2)) {
                snprintf(args_text, sizeof args_text, "%s", fb_text);
                reusable = true;
            }
        }
        if (reusable) {
            row->reused = true;
            snprintf(row->note, sizeof row->note, "reused: written earlier from the same source and arguments (%s)",
                     args_text);
            job_log(job, JOB_LOG_INFO, "\nBenchmark: %s: reusing %s (written from the same source and arguments: %s)",
                    fi->name, row->path, args_text);
        } else {
            job_log(job, JOB_LOG_INFO, "\nBenchmark: %s: exporting (%s%s%s)", fi->name, args_text,
                    file_exists(row->path) ? "; the one on disk cannot be reused: " : "",
                    file_exists(row->path) ? why : "");
            double te = now_seconds();
            ExportRun *er = export_child(job, a, fi, imgsz, dyn, msg, sizeof msg);
            if (dyn && fi->dynamic_hw_only && er && er->status == EXPORT_FAILED) {
                /* our dynamic form of this format has no way to express the model (a layer that
                 * reads its input's size): the fixed-shape export, as the peer makes it */
                snprintf(fallback, sizeof fallback, "exported fixed-shape: dynamic=True failed (%.480s)", er->error);
                job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ Benchmark: %s: dynamic=True failed: %s; exporting with "
                        "dynamic=False", fi->name, er->error);
                export_run_free(er);
                snprintf(args_text, sizeof args_text, "%s", fb_text);
                er = export_child(job, a, fi, imgsz, false, msg, sizeof msg);
            }
            row->export_s = now_seconds() - te;
            if (!er || er->status == EXPORT_FAILED || er->status == EXPORT_CANCELLED) {
                row->status = BENCH_FAILED;
                snprintf(row->note, sizeof row->note, "export failed: %s", er ? er->error : msg);
                job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ Benchmark failure for %s: %s", fi->name, row->note);
                export_run_free(er);
                continue;
            }
            if (er->report.n_artifacts > 0)
                snprintf(row->precision, sizeof row->precision, "%s", er->report.artifacts[er->report.n_artifacts - 1].precision.text);
            snprintf(row->path, sizeof row->path, "%s", er->last_path);
            if (er->status == EXPORT_CHECK_FAILED) {
                row->status = BENCH_NOT_VALIDATED;
                snprintf(row->note, sizeof row->note, "written, but its check against the source failed");
            } else if (provenance_record(row->path, a->model, args_text, msg, sizeof msg) != 0) {
                job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ Benchmark: %s: no provenance record: %s", fi->name, msg);
            }
            if (fallback[0]) {
                size_t l = strlen(row->note);
                snprintf(row->note + l, sizeof row->note - l, "%s%s", l ? "; " : "", fallback);
            }
            export_run_free(er);
        }
        row->size_mb = report_mib(path_size(row->path));
        if (trt) {
            time_engine(job, a, row, imgsz, a->dynamic && takes_dynamic(fi, a), have_ds);
            continue;
        }
        BenchStatus before = row->status;
        measure(job, a, row, row->path, imgsz, &ref, have_ds ? &ds : NULL, NULL, f0, f1);
        if (before == BENCH_NOT_VALIDATED) row->status = BENCH_NOT_VALIDATED;
    }
    /* rows validated on square letterboxes (fixed-shape models, as the peer validates them),
     * while the source is validated on rectangular ones (its own row, or val of it elsewhere):
     * the source on the squares too, so that the lower figure is seen for what it is -- the
     * letterbox, not the export */
    bool squares = false, source_square = false;
    for (int i = 0; i < res->n; i++) {
        squares |= res->rows[i].square && res->rows[i].map >= 0;
        source_square |= res->rows[i].format == FMT_PYTORCH && res->rows[i].square;
    }
    if (squares && !source_square && src && have_ds && !job_cancelled(job)) {
        ValOptions vo;
        val_defaults(&vo);
        vo.imgsz = imgsz;
        vo.batch = 1;
        ValResult vr;
        if (val_run(src, &ds, &vo, &vr, msg, sizeof msg) == 0) {
            res->source_square_map = vr.n_kinds == 2 ? vr.map[1] : vr.map[0];
            val_result_free(&vr);
            job_log(job, JOB_LOG_INFO, "Benchmark: the source on %dx%d square letterboxes, as fixed-shape formats are "
                                       "validated: mAP50-95 %.4f", imgsz, imgsz, res->source_square_map);
            for (int i = 0; i < res->n; i++) {
                BenchRow *w = &res->rows[i];
                if (!w->square || w->map < 0) continue;
                size_t l = strlen(w->note);
                snprintf(w->note + l, sizeof w->note - l, "%svalidated on %dx%d square letterboxes (a fixed-shape model); "
                         "the source on the same: %.4f", l ? "; " : "", imgsz, imgsz, res->source_square_map);
            }
        } else {
            job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ Benchmark: the source on square letterboxes: %s", msg);
        }
    }
    runtime_close(src);
    free(ref.y);
    if (have_ds) dataset_free(&ds);
    res->seconds = now_seconds() - t0;
    if (job_cancelled(job)) return err_set(err, errlen, "cancelled");
    if (a->write_files) {
        char *dir = NULL;
        const char *stem = strrchr(a->model, '/');
        stem = stem ? stem + 1 : a->model;
        char nm[256];
        snprintf(nm, sizeof nm, "%s", a->name[0] ? a->name : stem);
        char *dot = strrchr(nm, '.');
        if (!a->name[0] && dot) *dot = '\0';
        dir = sources_run_dir(a->project[0] ? a->project : "runs/benchmark", nm, "benchmark", nm, true, msg, sizeof msg);
        /* the figures are measured: a folder that cannot be written costs the files, not them */
        if (!dir || bench_write_files(res, dir, msg, sizeof msg) != 0)
            job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ Benchmark: the result files were not written: %s", msg);
        else snprintf(res->dir, sizeof res->dir, "%s", dir);
        free(dir);
    }
    job_progress(job, "benchmark: done", 1.0);
    return 0;
}

Job *bench_submit(JobRunner *runner, BenchRun *run)
{
    char title[4200];
    snprintf(title, sizeof title, "benchmark %s", run->args.model[0] ? run->args.model : "artifacts");
    return job_submit(runner, title, bench_job_body, run, NULL);
}

/* ---- the table and the files --------------------------------------------------------------- */

static const char *status_mark(BenchStatus s)
{
    return s == BENCH_OK ? "✅" : s == BENCH_NOT_VALIDATED ? "❎" : "❌";
}

#define BENCH_COLS 10

static void cell(const BenchRow *r, int c, char *buf, size_t len)
{
    buf[0] = '\0';
    switch (c) {
    case 0: snprintf(buf, len, "%s", r->name); break;
    case 1: snprintf(buf, len, "%s", status_mark(r->status)); break;
    case 2: r->size_mb >= 0 ? snprintf(buf, len, "%.1f", r->size_mb) : snprintf(buf, len, "-"); break;
    case 3: r->map >= 0 ? snprintf(buf, len, "%.4f", r->map) : snprintf(buf, len, "-"); break;
    case 4: r->ms >= 0 ? snprintf(buf, len, "%.2f", r->ms) : snprintf(buf, len, "-"); break;
    case 5: r->fps >= 0 ? snprintf(buf, len, "%.2f", r->fps) : snprintf(buf, len, "-"); break;
    case 6: snprintf(buf, len, "%s", r->runtime[0] ? r->runtime : "-"); break;
    case 7: snprintf(buf, len, "%s", r->precision[0] ? r->precision : "-"); break;
    case 8: r->max_delta >= 0 ? snprintf(buf, len, "%.3g", r->max_delta) : snprintf(buf, len, "-"); break;
    case 9:
        if (r->export_s >= 0) snprintf(buf, len, "%.1f", r->export_s);
        else snprintf(buf, len, "%s", r->reused ? "reused" : "-");
        break;
    }
}

char *bench_table_text(const BenchResult *r, bool ours)
{
    const char *heads[BENCH_COLS] = {"Format", "Status❔", "Size (MB)", r->metric[0] ? r->metric : "metrics/mAP50-95(B)",
                                     "Inference time (ms/im)", "FPS", "Runtime", "Precision", "max |Δ|", "Export (s)"};
    int ncol = ours ? BENCH_COLS : 6;
    int w[BENCH_COLS], iw = 1;
    char buf[1400];
    for (int c = 0; c < ncol; c++) w[c] = textwidth_str(heads[c]);
    for (int i = 0; i < r->n; i++) {
        snprintf(buf, sizeof buf, "%d", i);
        if ((int)strlen(buf) > iw) iw = (int)strlen(buf);
        for (int c = 0; c < ncol; c++) {
            cell(&r->rows[i], c, buf, sizeof buf);
            int tw = textwidth_str(buf);
            if (tw > w[c]) w[c] = tw;
        }
    }
    StrBuf b = {0};
    const char *slash = strrchr(r->model, '/');
    const char *dslash = strrchr(r->data, '/');
    strbuf_printf(&b, "Benchmarks complete for %s on %s at imgsz=%d (%.2fs)\n", slash ? slash + 1 : r->model,
                  r->data[0] ? (dslash ? dslash + 1 : r->data) : "None", r->imgsz, r->seconds);
    strbuf_puts(&b, "Benchmarks legend:  - ✅ Success  - ❎ Export passed but validation failed  - ❌️ Export failed\n");
    strbuf_printf(&b, "%*s", iw, "");
    for (int c = 0; c < ncol; c++) strbuf_printf(&b, "  %*s%s", w[c] - textwidth_str(heads[c]), "", heads[c]);
    strbuf_puts(&b, "\n");
    for (int i = 0; i < r->n; i++) {
        strbuf_printf(&b, "%-*d", iw, i);
        for (int c = 0; c < ncol; c++) {
            cell(&r->rows[i], c, buf, sizeof buf);
            int pad = w[c] - textwidth_str(buf);
            strbuf_printf(&b, "  %*s%s", pad > 0 ? pad : 0, "", buf);
        }
        strbuf_puts(&b, "\n");
    }
    if (ours) {
        bool any = false;
        for (int i = 0; i < r->n; i++)
            if (r->rows[i].note[0]) {
                if (!any) strbuf_puts(&b, "\nNotes:\n");
                any = true;
                strbuf_printf(&b, "  %d %s %s: %s\n", i, status_mark(r->rows[i].status), r->rows[i].name, r->rows[i].note);
            }
        char host[600];
        strbuf_printf(&b, "\nHost: %s (%s)\n", hoststamp_line(&r->stamp, host, sizeof host), r->stamp.when);
    }
    return b.p ? b.p : xstrdup("");
}

static void csv_field(StrBuf *b, const char *s, bool last)
{
    bool quote = strpbrk(s, ",\"\n") != NULL;
    if (quote) {
        strbuf_puts(b, "\"");
        for (const char *p = s; *p; p++) {
            if (*p == '"') strbuf_puts(b, "\"");
            strbuf_add(b, p, 1);
        }
        strbuf_puts(b, "\"");
    } else {
        strbuf_puts(b, s);
    }
    strbuf_puts(b, last ? "\n" : ",");
}

static json_object *num_or_null(double v, int decimals)
{
    if (v < 0) return NULL;
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return json_object_new_double_s(v, buf);
}

int bench_write_files(const BenchResult *r, const char *dir, char *err, size_t errlen)
{
    const char *heads[BENCH_COLS] = {"Format", "Status", "Size (MB)", r->metric, "Inference time (ms/im)", "FPS",
                                     "Runtime", "Precision", "max |Δ|", "Export (s)"};
    char buf[1400];
    /* CSV */
    StrBuf csv = {0};
    for (int c = 0; c < BENCH_COLS; c++) csv_field(&csv, heads[c], false);
    csv_field(&csv, "Note", true);
    for (int i = 0; i < r->n; i++) {
        for (int c = 0; c < BENCH_COLS; c++) {
            cell(&r->rows[i], c, buf, sizeof buf);
            csv_field(&csv, buf, false);
        }
        csv_field(&csv, r->rows[i].note, true);
    }
    /* Markdown */
    StrBuf md = {0};
    const char *slash = strrchr(r->model, '/');
    strbuf_printf(&md, "# Benchmarks: %s on %s at imgsz=%d\n\n", slash ? slash + 1 : r->model, r->data[0] ? r->data : "None",
                  r->imgsz);
    strbuf_puts(&md, "|");
    for (int c = 0; c < BENCH_COLS; c++) strbuf_printf(&md, " %s |", heads[c]);
    strbuf_puts(&md, "\n|");
    for (int c = 0; c < BENCH_COLS; c++) strbuf_puts(&md, c == 0 || c == 6 || c == 7 ? " --- |" : " ---: |");
    strbuf_puts(&md, "\n");
    for (int i = 0; i < r->n; i++) {
        strbuf_puts(&md, "|");
        for (int c = 0; c < BENCH_COLS; c++) {
            cell(&r->rows[i], c, buf, sizeof buf);
            strbuf_printf(&md, " %s |", buf);
        }
        strbuf_puts(&md, "\n");
    }
    char host[600];
    strbuf_puts(&md, "\nLegend: ✅ success, ❎ export passed but validation failed, ❌ export failed.\n\n");
    for (int i = 0; i < r->n; i++)
        if (r->rows[i].note[0]) strbuf_printf(&md, "- %s: %s\n", r->rows[i].name, r->rows[i].note);
    strbuf_printf(&md, "\nHost: %s, %s.\n", hoststamp_line(&r->stamp, host, sizeof host), r->stamp.when);
    /* JSON */
    json_object *o = json_object_new_object();
    json_object_object_add(o, "model", json_object_new_string(r->model));
    json_object_object_add(o, "data", r->data[0] ? json_object_new_string(r->data) : NULL);
    json_object_object_add(o, "imgsz", json_object_new_int(r->imgsz));
    json_object_object_add(o, "metric", json_object_new_string(r->metric));
    json_object_object_add(o, "seconds", num_or_null(r->seconds, 2));
    json_object_object_add(o, "source_square_map", num_or_null(r->source_square_map, 4));
    json_object *rows = json_object_new_array();
    for (int i = 0; i < r->n; i++) {
        const BenchRow *w = &r->rows[i];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "format", json_object_new_string(w->name));
        json_object_object_add(j, "status", json_object_new_string(status_mark(w->status)));
        json_object_object_add(j, "size_mb", num_or_null(w->size_mb, 1));
        json_object_object_add(j, r->metric, num_or_null(w->map, 4));
        json_object_object_add(j, "ms_per_image", num_or_null(w->ms, 2));
        json_object_object_add(j, "fps", num_or_null(w->fps, 2));
        json_object_object_add(j, "runtime", w->runtime[0] ? json_object_new_string(w->runtime) : NULL);
        json_object_object_add(j, "precision", w->precision[0] ? json_object_new_string(w->precision) : NULL);
        json_object_object_add(j, "max_abs_delta", w->max_delta >= 0 ? json_object_new_double(w->max_delta) : NULL);
        json_object_object_add(j, "export_seconds", num_or_null(w->export_s, 1));
        json_object_object_add(j, "reused", json_object_new_boolean(w->reused));
        json_object_object_add(j, "path", w->path[0] ? json_object_new_string(w->path) : NULL);
        json_object_object_add(j, "letterbox", w->map >= 0 ? json_object_new_string(w->square ? "square" : "rect") : NULL);
        json_object_object_add(j, "note", w->note[0] ? json_object_new_string(w->note) : NULL);
        json_object_array_add(rows, j);
    }
    json_object_object_add(o, "rows", rows);
    char *stamp = hoststamp_json(&r->stamp);
    json_object_object_add(o, "host", json_tokener_parse(stamp));
    free(stamp);
    const char *js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *table = bench_table_text(r, true);
    const struct {
        const char *name;
        const char *text;
    } files[] = {{"benchmarks.csv", csv.p}, {"benchmarks.md", md.p}, {"benchmarks.json", js}, {"benchmarks.log", table}};
    int rc = 0;
    for (size_t i = 0; i < ARRAY_LEN(files) && rc == 0; i++) {
        char *p = xasprintf("%s/%s", dir, files[i].name);
        rc = fileio_write_atomic(p, files[i].text, strlen(files[i].text), err, errlen);
        free(p);
    }
    free(table);
    json_object_put(o);
    free(csv.p);
    free(md.p);
    return rc;
}
