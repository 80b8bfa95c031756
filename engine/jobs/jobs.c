/* jobs: worker threads running job bodies; per-job log ring, progress, results, temporary
 * paths and child processes; events to the UI through a locked queue plus a self-pipe.
 *
 * Locks, always taken in this order: runner->mu (job list, queue, released flags) ->
 * job->mu (everything inside one job) -> runner->ev_mu (event queue).  No callback into
 * user code runs with a lock held. */
#include "engine/jobs/jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"

extern char **environ;

typedef struct {
    JobLogLevel level;
    double time, elapsed;
    char *text;
} LogEntry;

/* A running child's process group and the signal that asks it to stop. */
typedef struct {
    pid_t pgid;
    int stop_signal;
} ChildGroup;

struct Job {
    JobRunner *runner;
    int id;
    char *title;
    JobBodyFn body;
    void *user;
    JobFreeFn free_user;

    _Atomic int state;   /* JobState; written under runner->mu or job->mu, read anywhere */
    atomic_bool cancel;  /* polled by stages */

    pthread_mutex_t mu;
    pthread_cond_t cond; /* log appended or job finished */
    bool finishing;      /* the body returned or committed: cancel can no longer change the outcome */

    LogEntry *ring;
    int cap;
    uint64_t next_seq;

    char stage[128];
    double fraction;
    double t_start, t_end; /* monotonic seconds; 0 until set */

    Vec artifacts, checks, timings; /* JobArtifact, JobCheck, JobTiming */
    char *error;

    char **temps;
    int n_temps, cap_temps;
    ChildGroup *children; /* process groups of running children (job_spawn) */
    int n_children, cap_children;

    /* under runner->ev_mu */
    bool log_pending, progress_pending;
    /* under runner->mu */
    bool released; /* the worker (or cancel) no longer touches the job: it may be freed */
};

typedef struct {
    JobEventKind kind;
    Job *job; /* NULL once the job is forgotten */
    int job_id;
    JobState state;
} QueuedEvent;

struct JobRunner {
    pthread_mutex_t mu;
    pthread_cond_t work_cv, released_cv;
    Job **jobs;
    int n_jobs, cap_jobs;
    Job **queue; /* FIFO of queued jobs */
    int q_len, q_cap;
    bool stopping;
    pthread_t *threads;
    int n_threads;
    int next_id;          /* the jobs the user sees: 1, 2, 3 ... with no gaps */
    int next_internal_id; /* the workbench's own work (loading, discovery): -1, -2 ... */
    int log_cap, grace_ms;

    pthread_mutex_t ev_mu;
    QueuedEvent *events;
    int ev_head, ev_len, ev_cap; /* ring */
    int pipe_r, pipe_w;
};

const char *job_state_name(JobState s)
{
    static const char *const names[] = {"queued", "running", "done", "failed", "cancelled"};
    return (unsigned)s < ARRAY_LEN(names) ? names[s] : "?";
}

const char *job_log_level_name(JobLogLevel l)
{
    switch (l) {
    case JOB_LOG_DEBUG: return "debug";
    case JOB_LOG_INFO: return "info";
    case JOB_LOG_WARNING: return "warning";
    case JOB_LOG_ERROR: return "error";
    }
    return "?";
}

const char *job_check_status_name(JobCheckStatus s)
{
    static const char *const names[] = {"pass", "warn", "fail"};
    return (unsigned)s < ARRAY_LEN(names) ? names[s] : "?";
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- events --------------------------------------------------------------------------- */

static void post_event(JobRunner *r, Job *job, JobEventKind kind)
{
    pthread_mutex_lock(&r->ev_mu);
    bool *pending = kind == JOB_EV_LOG ? &job->log_pending : kind == JOB_EV_PROGRESS ? &job->progress_pending : NULL;
    if (pending && *pending) { /* one LOG / PROGRESS notice per job until drained */
        pthread_mutex_unlock(&r->ev_mu);
        return;
    }
    if (pending) *pending = true;
    if (r->ev_len == r->ev_cap) {
        int ncap = r->ev_cap ? r->ev_cap * 2 : 64;
        QueuedEvent *ne = xmalloc(sizeof *ne * (size_t)ncap);
        for (int i = 0; i < r->ev_len; i++) ne[i] = r->events[(r->ev_head + i) % r->ev_cap];
        free(r->events);
        r->events = ne;
        r->ev_cap = ncap;
        r->ev_head = 0;
    }
    QueuedEvent *e = &r->events[(r->ev_head + r->ev_len) % r->ev_cap];
    e->kind = kind;
    e->job = job;
    e->job_id = job->id;
    e->state = (JobState)atomic_load(&job->state);
    r->ev_len++;
    pthread_mutex_unlock(&r->ev_mu);
    /* One byte wakes poll(); a full pipe is already readable, so EAGAIN is fine. */
    ssize_t w = write(r->pipe_w, "j", 1);
    (void)w;
}

int jobs_event_fd(const JobRunner *r)
{
    return r->pipe_r;
}

int jobs_drain_events(JobRunner *r, JobEvent *out, int max)
{
    char buf[256];
    while (read(r->pipe_r, buf, sizeof buf) > 0) {
    }
    int n = 0;
    pthread_mutex_lock(&r->ev_mu);
    while (n < max && r->ev_len > 0) {
        QueuedEvent *e = &r->events[r->ev_head];
        if (e->job && e->kind == JOB_EV_LOG) e->job->log_pending = false;
        if (e->job && e->kind == JOB_EV_PROGRESS) e->job->progress_pending = false;
        out[n].kind = e->kind;
        out[n].job_id = e->job_id;
        out[n].state = e->state;
        n++;
        r->ev_head = (r->ev_head + 1) % r->ev_cap;
        r->ev_len--;
    }
    bool more = r->ev_len > 0;
    pthread_mutex_unlock(&r->ev_mu);
    if (more) { /* keep the fd readable for what is left */
        ssize_t w = write(r->pipe_w, "j", 1);
        (void)w;
    }
    return n;
}

/* ---- the log -------------------------------------------------------------------------- */

/* Append one line (no newline inside) under job->mu. */
static void log_append_locked(Job *job, JobLogLevel level, const char *text, size_t len)
{
    char *t;
    if (len > JOB_LOG_LINE_MAX) {
        size_t cut = JOB_LOG_LINE_MAX;
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80) cut--; /* not inside a UTF-8 sequence */
        t = xmalloc(cut + 4);
        memcpy(t, text, cut);
        memcpy(t + cut, "\xe2\x80\xa6", 4); /* … */
    } else {
        t = xstrndup(text, len);
    }
    LogEntry *e = &job->ring[job->next_seq % (uint64_t)job->cap];
    free(e->text);
    e->text = t;
    e->level = level;
    e->time = wall_seconds();
    e->elapsed = job->t_start > 0 ? now_seconds() - job->t_start : 0;
    job->next_seq++;
}

static void log_text(Job *job, JobLogLevel level, const char *text)
{
    pthread_mutex_lock(&job->mu);
    const char *p = text;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n && p[n - 1] == '\r') n--;
        if (nl || n || p == text) log_append_locked(job, level, p, n);
        if (!nl || !nl[1]) break; /* a trailing newline adds no empty line */
        p = nl + 1;
    }
    pthread_cond_broadcast(&job->cond);
    pthread_mutex_unlock(&job->mu);
    post_event(job->runner, job, JOB_EV_LOG);
}

void job_log(Job *job, JobLogLevel level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    if (!s) {
        fprintf(stderr, "yoloport: out of memory formatting a log line\n");
        abort();
    }
    log_text(job, level, s);
    free(s);
}

int job_log_read(Job *job, uint64_t from, JobLogLine *out, int max, uint64_t *next)
{
    pthread_mutex_lock(&job->mu);
    uint64_t first = job->next_seq > (uint64_t)job->cap ? job->next_seq - (uint64_t)job->cap : 0;
    uint64_t s = from > first ? from : first;
    if (s > job->next_seq) s = job->next_seq;
    int n = 0;
    for (; s < job->next_seq && n < max; s++, n++) {
        const LogEntry *e = &job->ring[s % (uint64_t)job->cap];
        out[n].seq = s;
        out[n].level = e->level;
        out[n].time = e->time;
        out[n].elapsed = e->elapsed;
        out[n].text = xstrdup(e->text ? e->text : "");
    }
    if (next) *next = s;
    pthread_mutex_unlock(&job->mu);
    return n;
}

void job_log_lines_free(JobLogLine *lines, int n)
{
    for (int i = 0; i < n; i++) {
        free(lines[i].text);
        lines[i].text = NULL;
    }
}

/* ---- progress, results, temps ------------------------------------------------------- */

void job_progress(Job *job, const char *stage, double fraction)
{
    pthread_mutex_lock(&job->mu);
    snprintf(job->stage, sizeof job->stage, "%s", stage ? stage : "");
    job->fraction = fraction < 0 ? -1.0 : fraction > 1 ? 1.0 : fraction;
    pthread_mutex_unlock(&job->mu);
    post_event(job->runner, job, JOB_EV_PROGRESS);
}

bool job_cancelled(const Job *job)
{
    return atomic_load_explicit(&((Job *)job)->cancel, memory_order_acquire);
}

bool job_commit(Job *job)
{
    pthread_mutex_lock(&job->mu);
    bool ok = !atomic_load_explicit(&job->cancel, memory_order_acquire);
    if (ok) job->finishing = true; /* job_cancel refuses from here */
    pthread_mutex_unlock(&job->mu);
    return ok;
}

void job_commit_end(Job *job)
{
    pthread_mutex_lock(&job->mu);
    job->finishing = false;
    pthread_mutex_unlock(&job->mu);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void job_add_artifact(Job *job, const char *path, int64_t bytes, const char *precision, double ratio)
{
    JobArtifact a = {dup_or_null(path), bytes, dup_or_null(precision), ratio};
    pthread_mutex_lock(&job->mu);
    vec_push(&job->artifacts, sizeof a, &a);
    pthread_mutex_unlock(&job->mu);
}

void job_add_check(Job *job, const char *name, JobCheckStatus status, const char *detail, double max_abs_diff)
{
    JobCheck c = {dup_or_null(name), status, dup_or_null(detail), max_abs_diff};
    pthread_mutex_lock(&job->mu);
    vec_push(&job->checks, sizeof c, &c);
    pthread_mutex_unlock(&job->mu);
}

void job_add_timing(Job *job, const char *name, double seconds)
{
    JobTiming t = {dup_or_null(name), seconds};
    pthread_mutex_lock(&job->mu);
    vec_push(&job->timings, sizeof t, &t);
    pthread_mutex_unlock(&job->mu);
}

void job_add_temp(Job *job, const char *path)
{
    if (!path) return;
    pthread_mutex_lock(&job->mu);
    if (job->n_temps == job->cap_temps) {
        job->cap_temps = job->cap_temps ? job->cap_temps * 2 : 8;
        job->temps = xrealloc(job->temps, sizeof *job->temps * (size_t)job->cap_temps);
    }
    job->temps[job->n_temps++] = xstrdup(path);
    pthread_mutex_unlock(&job->mu);
}

void job_release_temp(Job *job, const char *path)
{
    if (!path) return;
    pthread_mutex_lock(&job->mu);
    for (int i = job->n_temps - 1; i >= 0; i--) {
        if (strcmp(job->temps[i], path) == 0) {
            free(job->temps[i]);
            job->temps[i] = job->temps[--job->n_temps];
            break;
        }
    }
    pthread_mutex_unlock(&job->mu);
}

static double elapsed_locked(const Job *job)
{
    if (job->t_start <= 0) return 0;
    return (job->t_end > 0 ? job->t_end : now_seconds()) - job->t_start;
}

JobResults *job_results_copy(Job *job)
{
    JobResults *res = xcalloc(1, sizeof *res);
    pthread_mutex_lock(&job->mu);
    const JobArtifact *as = job->artifacts.items;
    res->n_artifacts = (int)job->artifacts.len;
    res->artifacts = xcalloc(job->artifacts.len, sizeof *res->artifacts);
    for (int i = 0; i < res->n_artifacts; i++) {
        res->artifacts[i] = as[i];
        res->artifacts[i].path = dup_or_null(as[i].path);
        res->artifacts[i].precision = dup_or_null(as[i].precision);
    }
    const JobCheck *cs = job->checks.items;
    res->n_checks = (int)job->checks.len;
    res->checks = xcalloc(job->checks.len, sizeof *res->checks);
    for (int i = 0; i < res->n_checks; i++) {
        res->checks[i] = cs[i];
        res->checks[i].name = dup_or_null(cs[i].name);
        res->checks[i].detail = dup_or_null(cs[i].detail);
    }
    const JobTiming *ts = job->timings.items;
    res->n_timings = (int)job->timings.len;
    res->timings = xcalloc(job->timings.len, sizeof *res->timings);
    for (int i = 0; i < res->n_timings; i++) {
        res->timings[i] = ts[i];
        res->timings[i].name = dup_or_null(ts[i].name);
    }
    res->error = dup_or_null(job->error);
    res->elapsed = elapsed_locked(job);
    pthread_mutex_unlock(&job->mu);
    return res;
}

void job_results_free(JobResults *res)
{
    if (!res) return;
    for (int i = 0; i < res->n_artifacts; i++) {
        free(res->artifacts[i].path);
        free(res->artifacts[i].precision);
    }
    for (int i = 0; i < res->n_checks; i++) {
        free(res->checks[i].name);
        free(res->checks[i].detail);
    }
    for (int i = 0; i < res->n_timings; i++) free(res->timings[i].name);
    free(res->artifacts);
    free(res->checks);
    free(res->timings);
    free(res->error);
    free(res);
}

/* ---- reading a job -------------------------------------------------------------------- */

int job_id(const Job *job)
{
    return job->id;
}

const char *job_title(const Job *job)
{
    return job->title;
}

JobState job_state(const Job *job)
{
    return (JobState)atomic_load(&((Job *)job)->state);
}

void *job_user(const Job *job)
{
    Job *j = (Job *)job;
    pthread_mutex_lock(&j->mu);
    void *u = j->user;
    pthread_mutex_unlock(&j->mu);
    return u;
}

void job_get_info(Job *job, JobInfo *out)
{
    pthread_mutex_lock(&job->mu);
    out->id = job->id;
    out->state = (JobState)atomic_load(&job->state);
    snprintf(out->stage, sizeof out->stage, "%s", job->stage);
    out->fraction = job->fraction;
    out->elapsed = elapsed_locked(job);
    out->log_next = job->next_seq;
    out->cancel_requested = atomic_load(&job->cancel);
    pthread_mutex_unlock(&job->mu);
}

/* ---- the runner ----------------------------------------------------------------------- */

static void free_user_data(Job *job)
{
    pthread_mutex_lock(&job->mu);
    void *u = job->user;
    job->user = NULL;
    pthread_mutex_unlock(&job->mu);
    if (u && job->free_user) job->free_user(u);
}

static void remove_temps(Job *job)
{
    pthread_mutex_lock(&job->mu);
    char **temps = job->temps;
    int n = job->n_temps;
    job->temps = NULL;
    job->n_temps = job->cap_temps = 0;
    pthread_mutex_unlock(&job->mu);
    /* newest first: a file registered inside a registered directory goes before it */
    for (int i = n - 1; i >= 0; i--) {
        if (fileio_remove_tree(temps[i]) != 0)
            job_log(job, JOB_LOG_WARNING, "could not remove the temporary %s: %s", temps[i], strerror(errno));
        free(temps[i]);
    }
    free(temps);
}

static void finish_job(Job *job, JobState final)
{
    JobRunner *r = job->runner;
    pthread_mutex_lock(&job->mu);
    job->t_end = job->t_start > 0 ? now_seconds() : 0;
    atomic_store(&job->state, final);
    pthread_cond_broadcast(&job->cond);
    pthread_mutex_unlock(&job->mu);
    post_event(r, job, JOB_EV_FINISHED);
    pthread_mutex_lock(&r->mu);
    job->released = true;
    pthread_cond_broadcast(&r->released_cv);
    pthread_mutex_unlock(&r->mu);
}

static void run_job(Job *job)
{
    pthread_mutex_lock(&job->mu);
    job->t_start = now_seconds();
    pthread_mutex_unlock(&job->mu);
    post_event(job->runner, job, JOB_EV_STARTED);

    char err[1024] = "";
    int rc = atomic_load(&job->cancel) ? -1 : job->body(job, job->user, err, sizeof err);

    pthread_mutex_lock(&job->mu);
    job->finishing = true; /* from here job_cancel returns false */
    bool cancelled = atomic_load(&job->cancel);
    pthread_mutex_unlock(&job->mu);
    JobState final = cancelled ? JOB_CANCELLED : rc == 0 ? JOB_DONE : JOB_FAILED;
    if (final == JOB_FAILED) {
        if (!err[0]) snprintf(err, sizeof err, "failed (status %d)", rc);
        job_log(job, JOB_LOG_ERROR, "%s", err);
        pthread_mutex_lock(&job->mu);
        job->error = xstrdup(err);
        pthread_mutex_unlock(&job->mu);
    } else if (final == JOB_CANCELLED) {
        job_log(job, JOB_LOG_WARNING, "cancelled");
    }
    free_user_data(job);
    if (final != JOB_DONE) remove_temps(job);
    finish_job(job, final);
}

static void *worker_main(void *arg)
{
    JobRunner *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (!r->stopping && r->q_len == 0) pthread_cond_wait(&r->work_cv, &r->mu);
        if (r->q_len == 0) { /* stopping */
            pthread_mutex_unlock(&r->mu);
            return NULL;
        }
        Job *job = r->queue[0];
        memmove(r->queue, r->queue + 1, sizeof *r->queue * (size_t)(r->q_len - 1));
        r->q_len--;
        atomic_store(&job->state, JOB_RUNNING);
        pthread_mutex_unlock(&r->mu);
        run_job(job);
    }
}

JobRunner *jobs_new(const JobRunnerOptions *opt)
{
    JobRunner *r = xcalloc(1, sizeof *r);
    int workers = opt ? opt->workers : 0;
    if (workers <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        workers = n < 1 ? 1 : n > 4 ? 4 : (int)n;
    }
    r->log_cap = opt && opt->log_cap > 0 ? opt->log_cap : JOB_LOG_CAP_DEFAULT;
    r->grace_ms = opt && opt->kill_grace_ms > 0 ? opt->kill_grace_ms : 2000;
    r->next_id = 1;
    r->next_internal_id = -1;
    pthread_mutex_init(&r->mu, NULL);
    pthread_mutex_init(&r->ev_mu, NULL);
    pthread_cond_init(&r->work_cv, NULL);
    pthread_cond_init(&r->released_cv, NULL);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        fprintf(stderr, "yoloport: cannot create the job event pipe: %s\n", strerror(errno));
        abort();
    }
    r->pipe_r = fds[0];
    r->pipe_w = fds[1];
    r->threads = xcalloc((size_t)workers, sizeof *r->threads);
    for (int i = 0; i < workers; i++) {
        int e = pthread_create(&r->threads[i], NULL, worker_main, r);
        if (e != 0) {
            fprintf(stderr, "yoloport: cannot start a worker thread: %s\n", strerror(e));
            abort();
        }
        r->n_threads++;
    }
    return r;
}

static Job *submit(JobRunner *r, const char *title, JobBodyFn body, void *user, JobFreeFn free_user, bool internal);

Job *job_submit(JobRunner *r, const char *title, JobBodyFn body, void *user, JobFreeFn free_user)
{
    return submit(r, title, body, user, free_user, false);
}

Job *job_submit_internal(JobRunner *r, const char *title, JobBodyFn body, void *user, JobFreeFn free_user)
{
    return submit(r, title, body, user, free_user, true);
}

static Job *submit(JobRunner *r, const char *title, JobBodyFn body, void *user, JobFreeFn free_user, bool internal)
{
    Job *job = xcalloc(1, sizeof *job);
    job->runner = r;
    job->title = xstrdup(title ? title : "");
    job->body = body;
    job->user = user;
    job->free_user = free_user;
    atomic_init(&job->state, JOB_QUEUED);
    atomic_init(&job->cancel, false);
    pthread_mutex_init(&job->mu, NULL);
    pthread_cond_init(&job->cond, NULL);
    job->cap = r->log_cap;
    job->ring = xcalloc((size_t)job->cap, sizeof *job->ring);
    job->fraction = -1.0;

    pthread_mutex_lock(&r->mu);
    job->id = internal ? r->next_internal_id-- : r->next_id++;
    if (r->n_jobs == r->cap_jobs) {
        r->cap_jobs = r->cap_jobs ? r->cap_jobs * 2 : 16;
        r->jobs = xrealloc(r->jobs, sizeof *r->jobs * (size_t)r->cap_jobs);
    }
    r->jobs[r->n_jobs++] = job;
    if (r->stopping) { /* submitted during shutdown: never runs */
        pthread_mutex_unlock(&r->mu);
        atomic_store(&job->cancel, true);
        free_user_data(job);
        finish_job(job, JOB_CANCELLED);
        return job;
    }
    if (r->q_len == r->q_cap) {
        r->q_cap = r->q_cap ? r->q_cap * 2 : 16;
        r->queue = xrealloc(r->queue, sizeof *r->queue * (size_t)r->q_cap);
    }
    r->queue[r->q_len++] = job;
    pthread_cond_signal(&r->work_cv);
    pthread_mutex_unlock(&r->mu);
    return job;
}

int jobs_count(JobRunner *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->n_jobs;
    pthread_mutex_unlock(&r->mu);
    return n;
}

Job *jobs_at(JobRunner *r, int i)
{
    pthread_mutex_lock(&r->mu);
    Job *j = i >= 0 && i < r->n_jobs ? r->jobs[i] : NULL;
    pthread_mutex_unlock(&r->mu);
    return j;
}

Job *jobs_find(JobRunner *r, int id)
{
    Job *found = NULL;
    pthread_mutex_lock(&r->mu);
    for (int i = 0; i < r->n_jobs && !found; i++)
        if (r->jobs[i]->id == id) found = r->jobs[i];
    pthread_mutex_unlock(&r->mu);
    return found;
}

/* Send every registered child process group its stop signal (under job->mu). */
static void stop_children_locked(Job *job)
{
    for (int i = 0; i < job->n_children; i++) kill(-job->children[i].pgid, job->children[i].stop_signal);
}

/* Cancel with runner->mu held.  Returns true when the request changed something. */
static bool cancel_locked(JobRunner *r, Job *job, bool *dequeued)
{
    *dequeued = false;
    JobState st = (JobState)atomic_load(&job->state);
    if (st == JOB_QUEUED) {
        /* Only the caller that takes it off the queue finishes it (a second, concurrent
         * cancel finds it gone and changes nothing). */
        for (int i = 0; i < r->q_len; i++) {
            if (r->queue[i] == job) {
                memmove(r->queue + i, r->queue + i + 1, sizeof *r->queue * (size_t)(r->q_len - i - 1));
                r->q_len--;
                atomic_store(&job->cancel, true);
                *dequeued = true;
                return true;
            }
        }
        return false;
    }
    if (st != JOB_RUNNING) return false;
    pthread_mutex_lock(&job->mu);
    bool ok = !job->finishing;
    if (ok) {
        atomic_store_explicit(&job->cancel, true, memory_order_release);
        stop_children_locked(job);
    }
    pthread_mutex_unlock(&job->mu);
    return ok;
}

bool job_cancel(Job *job)
{
    JobRunner *r = job->runner;
    bool dequeued;
    pthread_mutex_lock(&r->mu);
    bool ok = cancel_locked(r, job, &dequeued);
    pthread_mutex_unlock(&r->mu);
    if (dequeued) {
        free_user_data(job);
        finish_job(job, JOB_CANCELLED);
    }
    return ok;
}

static void job_destroy(Job *job)
{
    for (int i = 0; i < job->cap; i++) free(job->ring[i].text);
    free(job->ring);
    JobArtifact *as = job->artifacts.items;
    for (size_t i = 0; i < job->artifacts.len; i++) {
        free(as[i].path);
        free(as[i].precision);
    }
    JobCheck *cs = job->checks.items;
    for (size_t i = 0; i < job->checks.len; i++) {
        free(cs[i].name);
        free(cs[i].detail);
    }
    JobTiming *ts = job->timings.items;
    for (size_t i = 0; i < job->timings.len; i++) free(ts[i].name);
    vec_free(&job->artifacts);
    vec_free(&job->checks);
    vec_free(&job->timings);
    for (int i = 0; i < job->n_temps; i++) free(job->temps[i]);
    free(job->temps);
    free(job->children);
    free(job->error);
    free(job->title);
    pthread_mutex_destroy(&job->mu);
    pthread_cond_destroy(&job->cond);
    free(job);
}

static void forget_events(JobRunner *r, Job *job)
{
    pthread_mutex_lock(&r->ev_mu);
    for (int i = 0; i < r->ev_len; i++) {
        QueuedEvent *e = &r->events[(r->ev_head + i) % r->ev_cap];
        if (e->job == job) e->job = NULL;
    }
    pthread_mutex_unlock(&r->ev_mu);
}

int job_forget(JobRunner *r, Job *job)
{
    pthread_mutex_lock(&r->mu);
    if (!job_state_finished(job_state(job))) {
        pthread_mutex_unlock(&r->mu);
        return -1;
    }
    while (!job->released) pthread_cond_wait(&r->released_cv, &r->mu); /* the worker's last microseconds */
    int idx = -1;
    for (int i = 0; i < r->n_jobs; i++)
        if (r->jobs[i] == job) idx = i;
    if (idx < 0) {
        pthread_mutex_unlock(&r->mu);
        return -1;
    }
    memmove(r->jobs + idx, r->jobs + idx + 1, sizeof *r->jobs * (size_t)(r->n_jobs - idx - 1));
    r->n_jobs--;
    pthread_mutex_unlock(&r->mu);
    forget_events(r, job);
    job_destroy(job);
    return 0;
}

void jobs_free(JobRunner *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    Job **dequeued = xcalloc((size_t)(r->n_jobs ? r->n_jobs : 1), sizeof *dequeued);
    int nd = 0;
    for (int i = 0; i < r->n_jobs; i++) {
        bool dq;
        cancel_locked(r, r->jobs[i], &dq);
        if (dq) dequeued[nd++] = r->jobs[i];
    }
    pthread_cond_broadcast(&r->work_cv);
    pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < nd; i++) {
        free_user_data(dequeued[i]);
        finish_job(dequeued[i], JOB_CANCELLED);
    }
    free(dequeued);
    for (int i = 0; i < r->n_threads; i++) pthread_join(r->threads[i], NULL);
    for (int i = 0; i < r->n_jobs; i++) job_destroy(r->jobs[i]);
    free(r->jobs);
    free(r->queue);
    free(r->threads);
    free(r->events);
    close(r->pipe_r);
    close(r->pipe_w);
    pthread_mutex_destroy(&r->mu);
    pthread_mutex_destroy(&r->ev_mu);
    pthread_cond_destroy(&r->work_cv);
    pthread_cond_destroy(&r->released_cv);
    free(r);
}

/* ---- waiting (CLI) ------------------------------------------------------------------- */

JobState job_wait(Job *job, uint64_t from, JobFollowFn follow, void *user, volatile sig_atomic_t *interrupt)
{
    uint64_t seq = from;
    bool interrupted = false;
    JobLogLine lines[64];
    for (;;) {
        if (follow) {
            int n = job_log_read(job, seq, lines, (int)ARRAY_LEN(lines), &seq);
            for (int i = 0; i < n; i++) follow(&lines[i], user);
            job_log_lines_free(lines, n);
            if (n > 0) continue;
        }
        if (interrupt && *interrupt && !interrupted) {
            interrupted = true;
            job_cancel(job);
        }
        pthread_mutex_lock(&job->mu);
        bool finished = job_state_finished((JobState)atomic_load(&job->state));
        bool caught_up = !follow || seq >= job->next_seq;
        if (finished && caught_up) {
            pthread_mutex_unlock(&job->mu);
            break;
        }
        if (caught_up) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&job->cond, &job->mu, &ts);
        }
        pthread_mutex_unlock(&job->mu);
    }
    return job_state(job);
}

/* ---- external tools -------------------------------------------------------------------- */

typedef struct {
    int fd;
    bool is_stderr;
    char buf[JOB_LOG_LINE_MAX + 1];
    size_t len;
} LineReader;

/* Log the buffered line (with the prefix) and hand it to on_line. */
static void emit_line(Job *job, const JobSpawnOptions *opt, LineReader *lr)
{
    if (lr->len == 0) return;
    lr->buf[lr->len] = '\0';
    JobLogLevel level = lr->is_stderr ? opt->stderr_level : opt->stdout_level;
    if (opt->no_log) {
    } else if (opt->log_prefix && *opt->log_prefix) {
        char *line = xasprintf("%s%s", opt->log_prefix, lr->buf);
        log_text(job, level, line);
        free(line);
    } else {
        log_text(job, level, lr->buf);
    }
    if (opt->on_line) opt->on_line(job, lr->is_stderr, lr->buf, opt->on_line_user);
    lr->len = 0;
}

/* Read what is available; lines end at \n or \r (progress bars redraw with \r).
 * Returns false at EOF or on an error. */
static bool pump(Job *job, const JobSpawnOptions *opt, LineReader *lr)
{
    char chunk[4096];
    ssize_t n = read(lr->fd, chunk, sizeof chunk);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) return false;
    for (ssize_t i = 0; i < n; i++) {
        char c = chunk[i];
        if (c == '\n' || c == '\r') {
            emit_line(job, opt, lr);
            continue;
        }
        if (lr->len >= JOB_LOG_LINE_MAX) emit_line(job, opt, lr); /* an over-long line is split */
        lr->buf[lr->len++] = c;
    }
    return true;
}

static void register_child(Job *job, pid_t pgid, int stop_signal)
{
    pthread_mutex_lock(&job->mu);
    if (job->n_children == job->cap_children) {
        job->cap_children = job->cap_children ? job->cap_children * 2 : 4;
        job->children = xrealloc(job->children, sizeof *job->children * (size_t)job->cap_children);
    }
    job->children[job->n_children++] = (ChildGroup){pgid, stop_signal};
    pthread_mutex_unlock(&job->mu);
}

static void unregister_child(Job *job, pid_t pgid)
{
    pthread_mutex_lock(&job->mu);
    for (int i = 0; i < job->n_children; i++) {
        if (job->children[i].pgid == pgid) {
            job->children[i] = job->children[--job->n_children];
            break;
        }
    }
    pthread_mutex_unlock(&job->mu);
}

/* Has the child exited?  Leaves it a zombie (WNOWAIT) so its pid and group stay ours. */
static bool child_exited(pid_t pid)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
    return info.si_pid == pid;
}

int job_spawn(Job *job, char *const argv[], const JobSpawnOptions *opt_in, JobSpawnResult *res_out, char *err,
              size_t errlen)
{
    JobSpawnOptions opt = {0};
    if (opt_in) opt = *opt_in;
    JobSpawnResult res_local, *res = res_out ? res_out : &res_local;
    memset(res, 0, sizeof *res);
    if (!argv || !argv[0]) return err_set(err, errlen, "no program to run");
    const char *prog = argv[0];
    const char *slash = strrchr(prog, '/');
    const char *pname = slash ? slash + 1 : prog;
    if (job_cancelled(job)) {
        res->cancelled = true;
        return err_set(err, errlen, "%s: cancelled", pname);
    }

    if (opt.cwd) {
        struct stat st;
        int e = stat(opt.cwd, &st) != 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
        if (e) return err_set(err, errlen, "%s: cannot run in %s: %s", pname, opt.cwd, strerror(e));
    }
    int out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, in_p[2] = {-1, -1};
    if (pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0 || (opt.stdin_pipe && pipe2(in_p, O_CLOEXEC) != 0)) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (out_p[i] >= 0) close(out_p[i]);
            if (err_p[i] >= 0) close(err_p[i]);
            if (in_p[i] >= 0) close(in_p[i]);
        }
        return err_set(err, errlen, "%s: cannot create a pipe: %s", pname, strerror(e));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (opt.stdin_pipe) posix_spawn_file_actions_adddup2(&fa, in_p[0], 0);
    else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err_p[1], 2);
    if (opt.cwd) posix_spawn_file_actions_addchdir_np(&fa, opt.cwd);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0); /* its own process group: cancel kills the whole tree */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    double t0 = now_seconds();
    int e = posix_spawnp(&pid, prog, &fa, &attr, argv, opt.envp ? opt.envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(out_p[1]);
    close(err_p[1]);
    if (in_p[0] >= 0) close(in_p[0]); /* the child's end; in_p[1] is held until it is done */
    if (e != 0) {
        close(out_p[0]);
        close(err_p[0]);
        if (in_p[1] >= 0) close(in_p[1]);
        if (e == ENOENT) return err_set(err, errlen, "%s: command not found", pname);
        return err_set(err, errlen, "%s: cannot start: %s", pname, strerror(e));
    }
    res->started = true;
    int stop_signal = opt.stop_signal > 0 ? opt.stop_signal : SIGTERM;
    register_child(job, pid, stop_signal);
    fcntl(out_p[0], F_SETFL, fcntl(out_p[0], F_GETFL) | O_NONBLOCK);
    fcntl(err_p[0], F_SETFL, fcntl(err_p[0], F_GETFL) | O_NONBLOCK);

    LineReader *readers = xcalloc(2, sizeof *readers);
    readers[0].fd = out_p[0];
    readers[1].fd = err_p[0];
    readers[1].is_stderr = true;
    bool open_[2] = {true, true};
    int grace_ms = job->runner->grace_ms;
    enum { RUNNING, STOPPING_CANCEL, STOPPING_TIMEOUT } stop = RUNNING;
    double term_at = 0, exited_at = 0;
    bool killed = false, exited = false;
    double last_line_at = t0, quiet_warned_at = 0; /* for the silence warning */
    uint64_t lines_before = 0;
    if (opt.quiet_warn_s > 0) {
        pthread_mutex_lock(&job->mu);
        lines_before = job->next_seq;
        pthread_mutex_unlock(&job->mu);
    }

    for (;;) {
        double now = now_seconds();
        if (stop == RUNNING && job_cancelled(job)) stop = STOPPING_CANCEL;
        if (stop == RUNNING && opt.timeout_s > 0 && now - t0 > opt.timeout_s) stop = STOPPING_TIMEOUT;
        if (stop != RUNNING && term_at == 0) {
            if (in_p[1] >= 0) { /* EOF on its stdin first: a remote watcher stops the remote side */
                close(in_p[1]);
                in_p[1] = -1;
            }
            kill(-pid, stop_signal);
            term_at = now;
        }
        if (opt.quiet_warn_s > 0 && stop == RUNNING && !exited) {
            pthread_mutex_lock(&job->mu);
            uint64_t lines_now = job->next_seq;
            pthread_mutex_unlock(&job->mu);
            if (lines_now != lines_before) {
                lines_before = lines_now;
                last_line_at = now;
            } else if (now - (quiet_warned_at > last_line_at ? quiet_warned_at : last_line_at) >= opt.quiet_warn_s) {
                job_log(job, JOB_LOG_WARNING, "%s: no output for %.0f s (still running; cancel stops it)", pname,
                        now - last_line_at);
                pthread_mutex_lock(&job->mu);
                lines_before = job->next_seq;
                pthread_mutex_unlock(&job->mu);
                quiet_warned_at = now;
            }
        }
        if (stop != RUNNING && !killed && now - term_at >= grace_ms / 1000.0) {
            kill(-pid, SIGKILL);
            killed = true;
        }
        if (!exited && child_exited(pid)) {
            exited = true;
            exited_at = now;
        }
        /* Once the child is gone, read what is left; stop waiting for pipes that something it
         * left behind keeps open (after 1 s, or at once when stopping). */
        if (exited && (!(open_[0] || open_[1]) || now - exited_at > 1.0 || stop != RUNNING)) {
            for (int i = 0; i < 2; i++)
                while (open_[i] && pump(job, &opt, &readers[i])) {
                    struct pollfd p = {readers[i].fd, POLLIN, 0};
                    if (poll(&p, 1, 0) <= 0) break;
                }
            break;
        }
        struct pollfd pfd[2];
        int np = 0, which[2];
        for (int i = 0; i < 2; i++)
            if (open_[i]) {
                pfd[np].fd = readers[i].fd;
                pfd[np].events = POLLIN;
                pfd[np].revents = 0;
                which[np++] = i;
            }
        if (np == 0) {
            sleep_ms(10);
            continue;
        }
        int pr = poll(pfd, (nfds_t)np, 50);
        if (pr > 0) {
            for (int k = 0; k < np; k++)
                if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR))
                    if (!pump(job, &opt, &readers[which[k]])) open_[which[k]] = false;
        }
    }
    for (int i = 0; i < 2; i++) {
        emit_line(job, &opt, &readers[i]); /* a last line without a newline */
        close(readers[i].fd);
    }
    if (in_p[1] >= 0) close(in_p[1]);
    free(readers);
    /* Whatever the child left in its group goes too when we stopped it; then reap.  The
     * group cannot have been reused: its leader is still our unreaped zombie. */
    if (stop != RUNNING) kill(-pid, SIGKILL);
    unregister_child(job, pid);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    res->seconds = now_seconds() - t0;
    if (WIFEXITED(status)) {
        res->exited = true;
        res->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res->signal = WTERMSIG(status);
    }
    if (stop == STOPPING_CANCEL) {
        res->cancelled = true;
        return err_set(err, errlen, "%s: cancelled", pname);
    }
    if (stop == STOPPING_TIMEOUT) {
        res->timed_out = true;
        return err_set(err, errlen, "%s: timed out after %g s", pname, opt.timeout_s);
    }
    if (res->exited && res->exit_code == 0) return 0;
    if (res->exited) return err_set(err, errlen, "%s exited with status %d", pname, res->exit_code);
    return err_set(err, errlen, "%s was killed by signal %d (%s)", pname, res->signal, strsignal(res->signal));
}
