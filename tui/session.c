/* session: exports queued from the workbench as jobs, and their results (see session.h). */
#include "tui/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/core/fileio.h"
#include "engine/diff/diff.h"
#include "engine/export/export.h"
#include "engine/passes/passes.h"
#include "engine/registry/model.h"
#include "engine/runtime/runtime.h"
#include "engine/remote/remote.h"
#include "engine/tools/tools.h"

/* What the session says (a job queued or finished, a model opened) concerns every screen. */
#define session_status(app, ...) (app_status(app, __VA_ARGS__), app_status_global(app))

/* The external tools and their versions, found once at start-up on a worker (their version
 * commands may take seconds: the peer's yolo imports Python), published to the UI thread by
 * the job's FINISHED event. */
typedef struct {
    int job_id;
    ToolFacts facts;
} ToolsDiscovery;

static bool discovery_stop(void *job) { return job_cancelled(job); }

static int discovery_body(Job *job, void *user, char *err, size_t errlen)
{
    ToolsDiscovery *d = user;
    job_progress(job, "looking for tools", -1);
    tools_discover(&d->facts, TOOLS_ALL, 0, 10, discovery_stop, job);
    return 0;
}

void session_start(App *app)
{
    JobRunnerOptions opt = {.workers = 2, .log_cap = 0, .kill_grace_ms = 0};
    app->jobs = jobs_new(&opt);
    ToolsDiscovery *d = xcalloc(1, sizeof *d);
    Job *job = job_submit_internal(app->jobs, "find tools", discovery_body, d, NULL);
    d->job_id = job_id(job);
    app->tools_discovery = d;
}

typedef struct {
    int job_id;
    char path[4096];
    Graph *graph;   /* set by the worker before the job finishes */
    char err[512];
} WeightsLoad;

/* A `:open` in flight: the worker fills graph (or err) before the job finishes. */
typedef struct {
    int job_id;
    char path[4096];
    Graph *graph;
    char err[1024];
    double ms;
} ModelOpen;

static void model_open_free(ModelOpen *mo)
{
    if (mo->graph) graph_free(mo->graph);
    free(mo);
}

static void weights_load_free(WeightsLoad *wl)
{
    if (!wl) return;
    if (wl->graph) graph_free(wl->graph);
    free(wl);
}

static ExportRecord *add_record(App *app, Job *job);
static ExportRecord *add_side_record(App *app, Job *job, const char *kind);

/* A diff in flight: the worker fills text (or err) before the job finishes. */
typedef struct {
    char a[4096], b[4096];
    char *text;
    char err[1024];
    bool same;
} DiffJob;

static void diff_job_free(DiffJob *dj)
{
    if (!dj) return;
    free(dj->text);
    free(dj);
}

static bool diff_cancelled(Job *job) { return job_cancelled(job); }

static int diff_body(Job *job, void *user, char *err, size_t errlen)
{
    DiffJob *dj = user;
    job_progress(job, "diff: reading both models", -1);
    job_log(job, JOB_LOG_INFO, "diff %s %s", dj->a, dj->b);
    volatile int cancel = 0;
    ModelDiff *d = model_diff(dj->a, dj->b, &cancel, dj->err, sizeof dj->err);
    if (!d) return err_set(err, errlen, "%s", dj->err);
    if (diff_cancelled(job)) {
        model_diff_free(d);
        return err_set(err, errlen, "cancelled");
    }
    dj->same = model_diff_same(d);
    dj->text = model_diff_text(d, 40); /* published to the UI thread by the job's FINISHED event */
    job_log(job, JOB_LOG_INFO, "%s", dj->same ? "the same computation, node for node" : "they differ: the report is open");
    model_diff_free(d);
    return 0;
}

int session_diff(App *app, const char *a, const char *b)
{
    if (!app->jobs) return -1;
    if (!a || !*a || !b || !*b) {
        session_status(app, MSG_ERROR, "diff: two models are needed (:diff [A] B)");
        return -1;
    }
    DiffJob *dj = xcalloc(1, sizeof *dj);
    snprintf(dj->a, sizeof dj->a, "%s", a);
    snprintf(dj->b, sizeof dj->b, "%s", b);
    char title[600];
    const char *ab = strrchr(a, '/'), *bb = strrchr(b, '/');
    snprintf(title, sizeof title, "diff %s %s", ab ? ab + 1 : a, bb ? bb + 1 : b);
    Job *job = job_submit(app->jobs, title, diff_body, dj, NULL);
    ExportRecord *rec = add_side_record(app, job, "diff");
    rec->diff = dj;
    session_status(app, MSG_INFO, "queued job %d: %s", rec->job_id, title);
    app_update_panes(app);
    return rec->job_id;
}

static void predict_job_free(PredictJob *pj)
{
    if (!pj) return;
    image_free(&pj->im);
    predict_result_free(&pj->res);
    for (int i = 0; i < pj->nc; i++) free(pj->names[i]);
    free(pj->names);
    free(pj);
}

void session_stop(App *app)
{
    if (app->jobs) jobs_free(app->jobs); /* cancels, joins, removes temporary files */
    app->jobs = NULL;
    free(app->tools_discovery); /* the worker is gone */
    app->tools_discovery = NULL;
    /* the workers are gone: every load record (finished or cancelled) can go */
    for (size_t i = 0; i < app->weights_loads.len; i++) weights_load_free(((WeightsLoad **)app->weights_loads.items)[i]);
    vec_free(&app->weights_loads);
    app->weights_load = NULL;
    for (size_t i = 0; i < app->model_opens.len; i++) model_open_free(((ModelOpen **)app->model_opens.items)[i]);
    vec_free(&app->model_opens);
    app->model_open = NULL;
    if (app->weights) graph_free(app->weights);
    app->weights = NULL;
    for (int i = 0; i < app->n_exports; i++) {
        if (app->exports[i].run) export_run_free(app->exports[i].run);
        if (app->exports[i].bench) bench_run_free(app->exports[i].bench);
        if (app->exports[i].predict) predict_job_free(app->exports[i].predict);
        if (app->exports[i].diff) diff_job_free(app->exports[i].diff);
    }
    free(app->exports);
    app->exports = NULL;
    vec_free(&app->pending_exports);
    app->n_exports = app->cap_exports = 0;
}

ExportRecord *app_export_by_job(App *app, int job_id)
{
    for (int i = 0; i < app->n_exports; i++)
        if (app->exports[i].job_id == job_id) return &app->exports[i];
    return NULL;
}

int session_active_jobs(App *app)
{
    int n = 0;
    for (int i = 0; i < app->n_exports; i++)
        if (!job_state_finished(app->exports[i].state)) n++;
    return n;
}

int session_drain(App *app)
{
    if (!app->jobs) return 0;
    JobEvent ev[64];
    int n, r = 0;
    while ((n = jobs_drain_events(app->jobs, ev, 64)) > 0) {
        for (int i = 0; i < n; i++) {
            ModelOpen *mo = app->model_open;
            if (mo && ev[i].job_id == mo->job_id) {
                if (ev[i].kind == JOB_EV_FINISHED) {
                    app->model_open = NULL;
                    if (mo->graph) {
                        Graph *g = mo->graph;
                        mo->graph = NULL;
                        app_adopt_model(app, mo->path, g, mo->ms);
                    } else {
                        session_status(app, MSG_ERROR, "%s", mo->err[0] ? mo->err : "cannot open the model");
                    }
                    r |= R_REDRAW;
                }
                continue;
            }
            ToolsDiscovery *td = app->tools_discovery;
            if (td && ev[i].job_id == td->job_id) {
                if (ev[i].kind == JOB_EV_FINISHED) {
                    app->tools = td->facts; /* written by the worker before the job finished */
                    app->tools_ready = true;
                    r |= R_REDRAW;
                }
                continue;
            }
            if (ev[i].kind == JOB_EV_FINISHED) /* an open replaced by a newer one: its model goes */
                for (size_t k = 0; k < app->model_opens.len; k++) {
                    ModelOpen *old = ((ModelOpen **)app->model_opens.items)[k];
                    if (old->job_id == ev[i].job_id && old->graph) {
                        graph_free(old->graph);
                        old->graph = NULL;
                    }
                }
            WeightsLoad *wl = app->weights_load;
            if (wl && ev[i].job_id == wl->job_id) {
                if (ev[i].kind == JOB_EV_FINISHED) {
                    if (wl->graph && app->graph && app->graph->n_tensors == wl->graph->n_tensors) {
                        for (int t = 0; t < app->graph->n_tensors; t++) { /* shapes the file left out, inferred */
                            Tensor *a = &app->graph->tensors[t];
                            const Tensor *b = &wl->graph->tensors[t];
                            if ((a->dtype == DT_UNDEFINED || a->rank == 0) && b->rank > 0 && !a->data) {
                                a->dtype = b->dtype;
                                a->rank = b->rank;
                                memcpy(a->dims, b->dims, sizeof a->dims);
                                for (int k = 0; k < GRAPH_MAX_RANK; k++) a->dim_names[k] = NULL;
                            }
                        }
                        if (app->weights) graph_free(app->weights);
                        app->weights = wl->graph;
                        wl->graph = NULL;
                    } else if (!wl->graph && wl->err[0]) {
                        session_status(app, MSG_WARN, "weights not loaded: %s", wl->err);
                    }
                    app->weights_load = NULL; /* the record itself is freed at session_stop */
                    r |= R_REDRAW;           /* the panes are updated once, below */
                }
                continue;
            }
            ExportRecord *rec = app_export_by_job(app, ev[i].job_id);
            if (!rec) continue;
            Job *job = jobs_find(app->jobs, ev[i].job_id);
            rec->state = job ? job_state(job) : ev[i].state;
            if (ev[i].kind == JOB_EV_FINISHED) {
                rec->finished = true;
                rec->state = ev[i].state;
                ExportRun *run = rec->run;
                PredictJob *pj = rec->predict;
                BenchRun *br = rec->bench;
                DiffJob *dj = rec->diff;
                if (run) session_stamp_artifact(rec);
                if (dj) {
                    if (dj->text) {
                        char title[128];
                        snprintf(title, sizeof title, "diff: %s", dj->same ? "the same computation" : "they differ");
                        dialog_open(&app->dialog, title, dj->text, NULL, DLG_INFO, rec->job_id);
                        session_status(app, MSG_OK, "job %d: diff done (j/k scroll, Esc closes)", rec->job_id);
                    } else {
                        session_status(app, MSG_ERROR, "diff failed: %s", dj->err[0] ? dj->err : job_state_name(rec->state));
                    }
                } else if (pj) {
                    if (pj->done) {
                        app->predict_job = rec->job_id;
                        char sum[512] = "";
                        session_status(app, MSG_OK, "predicted %s with %s: %d detection%s", pj->image, pj->model, pj->res.n,
                                   pj->res.n == 1 ? "" : "s");
                        (void)sum;
                    } else {
                        session_status(app, MSG_ERROR, "predict failed: %s", pj->err[0] ? pj->err : job_state_name(rec->state));
                    }
                } else if (br) {
                    if (rec->state == JOB_DONE)
                        session_status(app, MSG_OK, "job %d: benchmark of %d artifact%s done%s%s", rec->job_id, br->result.n,
                                   br->result.n == 1 ? "" : "s", br->result.dir[0] ? ": " : "", br->result.dir);
                    else session_status(app, MSG_ERROR, "job %d: benchmark %s: %s", rec->job_id, job_state_name(rec->state), br->error);
                } else if (!run) session_status(app, MSG_INFO, "job %d (%s) %s", rec->job_id, rec->format_name, job_state_name(rec->state));
                else if (rec->state == JOB_CANCELLED) session_status(app, MSG_WARN, "job %d (%s) cancelled", rec->job_id, rec->format_name);
                else if (run->status == EXPORT_OK)
                    session_status(app, MSG_OK, "job %d: %s export success: %s", rec->job_id, rec->format_name, run->last_path);
                else if (run->status == EXPORT_UNCHECKED)
                    session_status(app, MSG_INFO, "job %d: %s written, not checked (its check did not run): %s", rec->job_id,
                               rec->format_name, run->last_path);
                else if (run->status == EXPORT_CHECK_FAILED)
                    session_status(app, MSG_WARN, "job %d: %s written but its check failed: %s", rec->job_id, rec->format_name, run->last_path);
                else session_status(app, MSG_ERROR, "job %d: %s export failed: %s", rec->job_id, rec->format_name, run->error);
            }
            r |= R_REDRAW;
        }
        if (n < 64) break;
    }
    if (r) r |= app_update_panes(app);
    return r;
}

/* A new record of the session for job (zeroed, then id, state and queue time). */
static ExportRecord *add_record(App *app, Job *job)
{
    if (app->n_exports == app->cap_exports) {
        app->cap_exports = app->cap_exports ? app->cap_exports * 2 : 16;
        app->exports = xrealloc(app->exports, sizeof *app->exports * (size_t)app->cap_exports);
    }
    ExportRecord *rec = &app->exports[app->n_exports++];
    memset(rec, 0, sizeof *rec);
    rec->job_id = job_id(job);
    rec->state = job_state(job);
    rec->queued_at = now_seconds();
    return rec;
}

/* The record of a job that exports nothing (a diff, a prediction, a benchmark): no format,
 * kind in the format column. */
static ExportRecord *add_side_record(App *app, Job *job, const char *kind)
{
    ExportRecord *rec = add_record(app, job);
    snprintf(rec->format, sizeof rec->format, "-");
    snprintf(rec->format_name, sizeof rec->format_name, "%s", kind);
    return rec;
}

/* ---- variants and their files ------------------------------------------------------------ */

static void stamp_path(const char *path, ArtifactStamp *st)
{
    memset(st, 0, sizeof *st);
    struct stat sb;
    if (!path || !path[0] || lstat(path, &sb) != 0) return;
    st->have = true;
    st->dev = (unsigned long long)sb.st_dev;
    st->ino = (unsigned long long)sb.st_ino;
    st->size = (long long)sb.st_size;
    st->mtime_s = (long long)sb.st_mtim.tv_sec;
    st->mtime_ns = (long long)sb.st_mtim.tv_nsec;
}

static bool stamp_same(const ArtifactStamp *a, const ArtifactStamp *b)
{
    return a->have && b->have && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns;
}

/* The artifact a finished export record wrote ("" when none). */
static const char *record_artifact(const ExportRecord *rec)
{
    const ExportRun *run = rec->run;
    if (!rec->finished || !run || !run->last_path[0]) return "";
    return run->status == EXPORT_FAILED || run->status == EXPORT_CANCELLED ? "" : run->last_path;
}

void session_stamp_artifact(ExportRecord *rec) { stamp_path(record_artifact(rec), &rec->stamp); }

ArtifactState session_artifact_state(const ExportRecord *rec)
{
    if (!rec->stamp.have) return ARTIFACT_NONE;
    ArtifactStamp now;
    stamp_path(record_artifact(rec), &now);
    if (!now.have) return ARTIFACT_GONE;
    return stamp_same(&rec->stamp, &now) ? ARTIFACT_PRESENT : ARTIFACT_REPLACED;
}

const char *session_artifact_target(const ExportRecord *rec)
{
    const char *art = record_artifact(rec);
    size_t n = strlen(rec->replaces);
    /* a file the export put in a folder it wrote whole (TF Lite's _saved_model/): that folder */
    if (n && !strncmp(art, rec->replaces, n) && art[n] == '/') return rec->replaces;
    return art;
}

int session_delete_artifact(App *app, ExportRecord *rec)
{
    const char *target = session_artifact_target(rec);
    ArtifactState st = session_artifact_state(rec);
    if (!target[0] || st == ARTIFACT_NONE) {
        session_status(app, MSG_WARN, "job %d wrote no artifact", rec->job_id);
        return -1;
    }
    if (st == ARTIFACT_GONE) {
        session_status(app, MSG_INFO, "%s is already gone", target);
        return -1;
    }
    if (st == ARTIFACT_REPLACED) {
        session_status(app, MSG_WARN, "%s was replaced since job %d wrote it: not deleted", target, rec->job_id);
        return -1;
    }
    if (fileio_remove_tree(target) != 0) {
        session_status(app, MSG_ERROR, "cannot delete %s: %s", target, strerror(errno));
        return -1;
    }
    session_status(app, MSG_OK, "deleted %s", target);
    app_update_panes(app);
    return 0;
}

/* Did an export of this session write what is at path now (and nothing replaced it since)? */
static bool session_wrote(App *app, const char *path)
{
    for (int i = 0; i < app->n_exports; i++) {
        const ExportRecord *rec = &app->exports[i];
        if (!rec->run || strcmp(rec->replaces, path) != 0) continue;
        const char *art = record_artifact(rec);
        size_t n = strlen(path);
        if ((!strcmp(art, path) || (!strncmp(art, path, n) && art[n] == '/')) &&
            session_artifact_state(rec) == ARTIFACT_PRESENT)
            return true;
    }
    return false;
}

char *session_variant_name(App *app, const ExportArgs *args, const ExportEffective *eff, char *variant, size_t len)
{
    if (variant && len) variant[0] = '\0';
    if (!eff->fmt) return NULL;
    ExportArgs d;
    export_args_init(&d);
    export_args_set(&d, "model", args->model, NULL);
    export_args_set(&d, "format", eff->fmt->argument, NULL);
    ModelFacts facts;
    memset(&facts, 0, sizeof facts);
    if (app->graph) export_facts_from_meta(&app->graph->meta, &facts);
    ExportEffective deff;
    ExportMsgs m;
    export_msgs_clear(&m);
    export_args_validate(&d, app->graph ? &facts : NULL, &deff, &m);
    char file[256];
    if (variant) export_args_variant(&eff->args, &deff.args, eff->fmt->id, EXPORT_VARIANT_WORDS, variant, len);
    ExportArgs named = eff->args; /* a suffix that says int8 (_int8.onnx) says it for the name too */
    if (strstr(export_suffix(eff->fmt, &eff->args), "_int8")) named.int8 = deff.args.int8;
    export_args_variant(&named, &deff.args, eff->fmt->id, EXPORT_VARIANT_FILE, file, sizeof file);
    if (!file[0] || !export_args_is_none(args, EXPORT_KEY_NAME) || eff->fmt->id == FMT_RKNN) return NULL;
    char *base = export_out_base(args->model);
    const char *slash = strrchr(base, '/');
    char *name = xasprintf("%s-%s", slash ? slash + 1 : base, file);
    free(base);
    return name;
}

/* Ask about the first pending export (its file is there, and this session did not write it). */
static void ask_replace(App *app)
{
    if (app->pending_exports.len == 0 || app->dialog.open) return;
    const ExportArgs *a = app->pending_exports.items;
    const FormatInfo *fi = registry_find(a->format);
    char *target = export_replaced_path(a->model, a, fi);
    struct stat sb;
    char when[64] = "?";
    if (lstat(target, &sb) == 0) {
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&sb.st_mtime, &tm));
    }
    char text[4600];
    snprintf(text, sizeof text, "%s is already there (%.1f MB, %s), and this session did not write it.\n"
             "Replace it with this %s export?", target, report_mib(path_size(target)), when, fi ? fi->name : a->format);
    app_confirm(app, DLG_CONFIRM_REPLACE, 0, "Replace a file", text);
    free(target);
}

static int queue_export(App *app, const ExportArgs *args, bool confirmed);

int session_answer_replace(App *app, bool yes)
{
    if (app->pending_exports.len == 0) return R_REDRAW;
    ExportArgs a = *(const ExportArgs *)app->pending_exports.items;
    ExportArgs *items = app->pending_exports.items;
    memmove(items, items + 1, (app->pending_exports.len - 1) * sizeof *items);
    app->pending_exports.len--;
    if (yes) {
        int id = queue_export(app, &a, true);
        if (id > 0) {
            app_show(app, SCREEN_JOBS);
            pane_jobs_select(&app->panes[SCREEN_JOBS], app, id);
        }
    } else {
        session_status(app, MSG_INFO, "not exported: the file stays as it is");
    }
    ask_replace(app);
    return R_REDRAW;
}

int session_queue(App *app, const ExportArgs *args) { return queue_export(app, args, false); }

static int queue_export(App *app, const ExportArgs *args, bool confirmed)
{
    ExportArgs a = *args;
    if (export_args_is_none(&a, EXPORT_KEY_MODEL) && app->model_path[0]) export_args_set(&a, "model", app->model_path, NULL);
    /* validate first: a bad argument is reported here, not in a failed job */
    ModelFacts facts;
    memset(&facts, 0, sizeof facts);
    if (app->graph) export_facts_from_meta(&app->graph->meta, &facts);
    ExportEffective eff;
    ExportMsgs m;
    export_msgs_clear(&m);
    if (export_args_validate(&a, app->graph ? &facts : NULL, &eff, &m) != 0) {
        for (int i = 0; i < m.n; i++)
            if (m.items[i].level == EXPORT_MSG_ERROR) {
                session_status(app, MSG_ERROR, "%s", m.items[i].text);
                break;
            }
        return -1;
    }
    if (!app->jobs) return -1;
    char variant[256];
    char *auto_name = session_variant_name(app, &a, &eff, variant, sizeof variant);
    if (auto_name) { /* the variants of a session stand side by side */
        export_args_set(&a, "name", auto_name, NULL); /* too long for a name: the defaults' (and the question) */
        free(auto_name);
    }
    char *replaces = export_replaced_path(a.model, &a, eff.fmt);
    struct stat sb;
    /* the model itself is never replaced: the pipeline says so (nothing to ask) */
    if (!confirmed && strcmp(replaces, a.model) != 0 && lstat(replaces, &sb) == 0 && !session_wrote(app, replaces)) {
        vec_push(&app->pending_exports, sizeof a, &a);
        ask_replace(app);
        free(replaces);
        return 0;
    }
    ExportRun *run = export_run_new(&a, false);
    char herr[512];
    if (export_run_set_host(run, &app->hosts, herr, sizeof herr) != 0) { /* a named host from the config */
        session_status(app, MSG_ERROR, "%s", herr);
        export_run_free(run);
        free(replaces);
        return -1;
    }
    Job *job = export_submit(app->jobs, run);
    ExportRecord *rec = add_record(app, job);
    rec->args = a;
    rec->run = run;
    snprintf(rec->variant, sizeof rec->variant, "%s", variant);
    snprintf(rec->replaces, sizeof rec->replaces, "%s", replaces);
    free(replaces);
    bool on_host = run->host && eff.fmt && export_uses_tool(eff.fmt, &eff.args);
    if (on_host) snprintf(rec->host, sizeof rec->host, "%s", a.host);
    snprintf(rec->format, sizeof rec->format, "%s", eff.fmt ? eff.fmt->argument : a.format);
    snprintf(rec->format_name, sizeof rec->format_name, "%s%s%s", eff.fmt ? eff.fmt->name : a.format, on_host ? "@" : "",
             on_host ? rec->host : "");
    session_status(app, MSG_INFO, "queued job %d: %s", rec->job_id, job_title(job));
    app_update_panes(app);
    return rec->job_id;
}

int app_queue_export(App *app, const char *format)
{
    ExportArgs a = app->args;
    if (format && export_args_set(&a, "format", format, NULL) != 0) return -1;
    return session_queue(app, &a);
}

typedef struct {
    int rate;
    double seconds;
} StressArgs;

static int stress_body(Job *job, void *user, char *err, size_t errlen)
{
    StressArgs *sa = user;
    double t0 = now_seconds();
    long n = 0;
    job_progress(job, "logging", 0);
    while (!job_cancelled(job)) {
        double el = now_seconds() - t0;
        if (el >= sa->seconds) break;
        long due = (long)(el * sa->rate);
        for (; n < due; n++) job_log(job, n % 97 == 0 ? JOB_LOG_WARNING : JOB_LOG_INFO, "stress line %ld: the quick brown fox jumps over the lazy dog", n);
        job_progress(job, "logging", el / sa->seconds);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    job_log(job, JOB_LOG_INFO, "stress done: %ld lines", n);
    (void)err;
    (void)errlen;
    return 0;
}

int session_stress(App *app, int rate, double seconds)
{
    if (!app->jobs) return -1;
    StressArgs *sa = xmalloc(sizeof *sa);
    sa->rate = rate > 0 ? rate : 10000;
    sa->seconds = seconds > 0 ? seconds : 5;
    Job *job = job_submit(app->jobs, "log stress", stress_body, sa, free);
    ExportRecord *rec = add_side_record(app, job, "log stress");
    app_update_panes(app);
    return rec->job_id;
}

static int weights_body(Job *job, void *user, char *err, size_t errlen)
{
    WeightsLoad *wl = user;
    LoadOptions opt;
    memset(&opt, 0, sizeof opt);
    job_progress(job, "loading weights", -1);
    Graph *g = model_load(wl->path, &opt, wl->err, sizeof wl->err);
    if (job_cancelled(job)) {
        if (g) graph_free(g);
        return 0;
    }
    const FormatInfo *row = g ? registry_row(g->meta.source_format) : NULL;
    if (g && row && !row->read_builds && g->n_inputs == 1) { /* a file without shapes: one run finds them */
        const Tensor *x = &g->tensors[g->inputs[0]];
        int64_t dims[GRAPH_MAX_RANK];
        for (int i = 0; i < x->rank; i++) {
            bool dyn = x->dims[i] < 0 || x->dim_names[i];
            dims[i] = !dyn ? x->dims[i] : i == 0 ? 1 : i == 1 ? (g->meta.channels > 0 ? g->meta.channels : 3)
                    : g->meta.imgsz[i - 2] > 0 && i - 2 < 2 ? g->meta.imgsz[i - 2] : 640;
        }
        char why[256];
        job_progress(job, "inferring shapes", -1);
        if (x->rank == 4) pass_infer_shapes(g, dims, 4, NULL, why, sizeof why); /* when it cannot run: unknown stays */
    }
    wl->graph = g; /* published to the UI thread by the job's FINISHED event */
    if (!g) snprintf(err, errlen, "%s", wl->err);
    return g ? 0 : -1;
}

static int open_body(Job *job, void *user, char *err, size_t errlen)
{
    ModelOpen *mo = user;
    LoadOptions opt;
    memset(&opt, 0, sizeof opt);
    opt.shapes_only = true;
    job_progress(job, "opening the model", -1);
    double t0 = now_seconds();
    Graph *g = model_load(mo->path, &opt, mo->err, sizeof mo->err);
    mo->ms = (now_seconds() - t0) * 1000;
    mo->graph = g; /* published to the UI thread by the job's FINISHED event */
    if (!g) snprintf(err, errlen, "%s", mo->err);
    return g ? 0 : -1;
}

void session_open_model(App *app, const char *path)
{
    if (!app->jobs) {
        app_open_model(app, path);
        return;
    }
    ModelOpen *mo = xcalloc(1, sizeof *mo);
    snprintf(mo->path, sizeof mo->path, "%s", path);
    /* records live until the runner stops (a worker may still fill one); an open in flight
     * is forgotten: its FINISHED event no longer matches app->model_open */
    if (app->model_open) {
        Job *old = jobs_find(app->jobs, ((ModelOpen *)app->model_open)->job_id);
        if (old) job_cancel(old);
    }
    vec_push(&app->model_opens, sizeof mo, &mo);
    Job *job = job_submit_internal(app->jobs, "open model", open_body, mo, NULL);
    mo->job_id = job_id(job);
    app->model_open = mo;
    session_status(app, MSG_INFO, "opening %s ...", path);
}

void session_load_weights(App *app, const char *path)
{
    if (!app->jobs) return;
    WeightsLoad *old = app->weights_load;
    if (old) { /* its result is of no use any more; it is freed with the others at the end */
        Job *j = jobs_find(app->jobs, old->job_id);
        if (j) job_cancel(j);
    }
    WeightsLoad *wl = xcalloc(1, sizeof *wl);
    snprintf(wl->path, sizeof wl->path, "%s", path);
    vec_push(&app->weights_loads, sizeof wl, &wl);
    Job *job = job_submit_internal(app->jobs, "load weights", weights_body, wl, NULL);
    wl->job_id = job_id(job);
    app->weights_load = wl;
}

/* ---- prediction and benchmark jobs ---------------------------------------------------------- */

static int predict_body(Job *job, void *user, char *err, size_t errlen)
{
    PredictJob *pj = user;
    job_progress(job, "predict: load", 0.1);
    job_log(job, JOB_LOG_INFO, "predict %s with %s", pj->image, pj->model);
    if (image_load(pj->image, &pj->im, pj->err, sizeof pj->err) != 0) return err_set(err, errlen, "%s", pj->err);
    RuntimeOpenOptions ro = {.runtime = ""};
    RuntimeSession *s = runtime_open(pj->model, &ro, pj->err, sizeof pj->err);
    if (!s) return err_set(err, errlen, "%s", pj->err);
    if (ro.fallback[0]) job_log(job, JOB_LOG_INFO, "%s; running in the yoloport executor", ro.fallback);
    snprintf(pj->runtime, sizeof pj->runtime, "%s", s->label);
    int rc = -1;
    Predictor *p = predictor_new(s, NULL, pj->err, sizeof pj->err);
    if (p && !job_cancelled(job)) {
        job_progress(job, "predict: run", 0.5);
        rc = predictor_run(p, &pj->im, &pj->res, pj->err, sizeof pj->err);
    }
    if (rc == 0) {
        pj->nc = predictor_nc(p);
        pj->names = xcalloc((size_t)(pj->nc ? pj->nc : 1), sizeof *pj->names);
        for (int i = 0; i < pj->nc; i++) pj->names[i] = xstrdup(predictor_class_name(p, i));
        char sum[1024];
        job_log(job, JOB_LOG_INFO, "image 1/1 %s: %dx%d %s%.1fms (%s)", pj->image, pj->res.net_h, pj->res.net_w,
                predict_summary(p, &pj->res, sum, sizeof sum), pj->res.ms_inf, pj->runtime);
        pj->done = true; /* published to the UI thread by the job's FINISHED event */
    } else {
        err_set(err, errlen, "%s", pj->err);
    }
    predictor_free(p);
    runtime_close(s);
    return rc;
}

int session_predict(App *app, const char *model, const char *image)
{
    if (!app->jobs) return -1;
    if (!model || !*model) {
        session_status(app, MSG_ERROR, "no model to predict with: open one (:open PATH)");
        return -1;
    }
    PredictJob *pj = xcalloc(1, sizeof *pj);
    snprintf(pj->model, sizeof pj->model, "%s", model);
    snprintf(pj->image, sizeof pj->image, "%s", image);
    snprintf(app->predict_image, sizeof app->predict_image, "%s", image);
    char title[512];
    const char *mb = strrchr(model, '/'), *ib = strrchr(image, '/');
    snprintf(title, sizeof title, "predict %s with %s", ib ? ib + 1 : image, mb ? mb + 1 : model);
    Job *job = job_submit(app->jobs, title, predict_body, pj, NULL);
    ExportRecord *rec = add_side_record(app, job, "predict");
    rec->predict = pj;
    session_status(app, MSG_INFO, "queued job %d: %s", rec->job_id, title);
    app_update_panes(app);
    return rec->job_id;
}

int session_benchmark(App *app, const char *const *paths, int n, const char *words)
{
    if (!app->jobs || n <= 0) return -1;
    BenchArgs a;
    bench_args_init(&a);
    a.write_files = true;
    snprintf(a.model, sizeof a.model, "%s", app->model_path);
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", words ? words : "");
    char *save = NULL;
    for (char *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(w, '=');
        char *end = NULL;
        if (!eq) {
            session_status(app, MSG_ERROR, "benchmark: '%s': use key=value (data=, runs=, warmup=, runtime=, imgsz=, threads=)", w);
            return -1;
        }
        *eq = '\0';
        const char *v = eq + 1;
        long x = strtol(v, &end, 10);
        bool num = *v && !*end && x >= 0 && x <= 100000;
        if (!strcmp(w, "data")) snprintf(a.data, sizeof a.data, "%s", v);
        else if (!strcmp(w, "runtime")) snprintf(a.runtime, sizeof a.runtime, "%s", v);
        else if (!strcmp(w, "runs") && num && x > 0) a.runs = (int)x;
        else if (!strcmp(w, "warmup") && num) a.warmup = (int)x;
        else if (!strcmp(w, "imgsz") && num && x > 0) a.imgsz = (int)x;
        else if (!strcmp(w, "threads") && num && x > 0 && x <= 256) a.threads = (int)x;
        else {
            session_status(app, MSG_ERROR, "benchmark: '%s=%s' is not one of data=, runs=N, warmup=N, runtime=, imgsz=N, "
                       "threads=1..256", w, v);
            return -1;
        }
    }
    if (a.data[0] && !file_exists(a.data)) {
        session_status(app, MSG_ERROR, "benchmark: data=%s: no such file", a.data);
        return -1;
    }
    for (int i = 0; i < n && i < BENCH_MAX_ARTIFACTS; i++) snprintf(a.artifacts[a.n_artifacts++], sizeof a.artifacts[0], "%s", paths[i]);
    BenchRun *br = bench_run_new(&a);
    Job *job = bench_submit(app->jobs, br);
    ExportRecord *rec = add_side_record(app, job, "benchmark");
    rec->bench = br;
    session_status(app, MSG_INFO, "queued job %d: benchmark of %d artifact%s", rec->job_id, a.n_artifacts,
               a.n_artifacts == 1 ? "" : "s");
    app_update_panes(app);
    return rec->job_id;
}

const BenchRow *session_bench_row(App *app, const char *path)
{
    for (int i = app->n_exports - 1; i >= 0; i--) {
        const ExportRecord *rec = &app->exports[i];
        const BenchRun *br = rec->bench;
        if (!br || !rec->finished || rec->state != JOB_DONE) continue;
        for (int k = 0; k < br->result.n; k++)
            if (!strcmp(br->result.rows[k].path, path)) return &br->result.rows[k];
    }
    return NULL;
}

const ExportRecord *session_bench_running(App *app)
{
    for (int i = app->n_exports - 1; i >= 0; i--)
        if (app->exports[i].bench && !app->exports[i].finished) return &app->exports[i];
    return NULL;
}
