/* session: exports queued from the workbench as jobs, and their results (see session.h). */
#include "tui/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/export/export.h"
#include "engine/registry/model.h"

void session_start(App *app)
{
    JobRunnerOptions opt = {.workers = 2, .log_cap = 0, .kill_grace_ms = 0};
    app->jobs = jobs_new(&opt);
}

typedef struct {
    int job_id;
    char path[4096];
    Graph *graph;   /* set by the worker before the job finishes */
    char err[512];
} WeightsLoad;

static void weights_load_free(WeightsLoad *wl)
{
    if (!wl) return;
    if (wl->graph) graph_free(wl->graph);
    free(wl);
}

void session_stop(App *app)
{
    if (app->jobs) jobs_free(app->jobs); /* cancels, joins, removes temporary files */
    app->jobs = NULL;
    /* the workers are gone: every load record (finished or cancelled) can go */
    for (size_t i = 0; i < app->weights_loads.len; i++) weights_load_free(((WeightsLoad **)app->weights_loads.items)[i]);
    vec_free(&app->weights_loads);
    app->weights_load = NULL;
    if (app->weights) graph_free(app->weights);
    app->weights = NULL;
    for (int i = 0; i < app->n_exports; i++)
        if (app->exports[i].run) export_run_free(app->exports[i].run);
    free(app->exports);
    app->exports = NULL;
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
            WeightsLoad *wl = app->weights_load;
            if (wl && ev[i].job_id == wl->job_id) {
                if (ev[i].kind == JOB_EV_FINISHED) {
                    if (wl->graph && app->graph && app->graph->n_tensors == wl->graph->n_tensors) {
                        if (app->weights) graph_free(app->weights);
                        app->weights = wl->graph;
                        wl->graph = NULL;
                    } else if (!wl->graph && wl->err[0]) {
                        app_status(app, MSG_WARN, "weights not loaded: %s", wl->err);
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
                if (!run) app_status(app, MSG_INFO, "job %d (%s) %s", rec->job_id, rec->format_name, job_state_name(rec->state));
                else if (rec->state == JOB_CANCELLED) app_status(app, MSG_WARN, "job %d (%s) cancelled", rec->job_id, rec->format_name);
                else if (run->status == EXPORT_OK)
                    app_status(app, MSG_OK, "job %d: %s export success: %s", rec->job_id, rec->format_name, run->last_path);
                else if (run->status == EXPORT_UNCHECKED)
                    app_status(app, MSG_INFO, "job %d: %s written, not checked (its check did not run): %s", rec->job_id,
                               rec->format_name, run->last_path);
                else if (run->status == EXPORT_CHECK_FAILED)
                    app_status(app, MSG_WARN, "job %d: %s written but its check failed: %s", rec->job_id, rec->format_name, run->last_path);
                else app_status(app, MSG_ERROR, "job %d: %s export failed: %s", rec->job_id, rec->format_name, run->error);
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

int session_queue(App *app, const ExportArgs *args)
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
                app_status(app, MSG_ERROR, "%s", m.items[i].text);
                break;
            }
        return -1;
    }
    if (!app->jobs) return -1;
    ExportRun *run = export_run_new(&a, false);
    Job *job = export_submit(app->jobs, run);
    ExportRecord *rec = add_record(app, job);
    rec->args = a;
    rec->run = run;
    snprintf(rec->format, sizeof rec->format, "%s", eff.fmt ? eff.fmt->argument : a.format);
    snprintf(rec->format_name, sizeof rec->format_name, "%s", eff.fmt ? eff.fmt->name : a.format);
    app_status(app, MSG_INFO, "queued job %d: %s", rec->job_id, job_title(job));
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
    ExportRecord *rec = add_record(app, job);
    snprintf(rec->format, sizeof rec->format, "-");
    snprintf(rec->format_name, sizeof rec->format_name, "log stress");
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
    wl->graph = g; /* published to the UI thread by the job's FINISHED event */
    if (!g) snprintf(err, errlen, "%s", wl->err);
    return g ? 0 : -1;
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
    Job *job = job_submit(app->jobs, "load weights", weights_body, wl, NULL);
    wl->job_id = job_id(job);
    app->weights_load = wl;
}
