/* Tests for the job runner (run under ASan and under ThreadSanitizer): lifecycle, events and
 * the self-pipe, the log ring, external tools, cancellation with temporary files and child
 * processes, the commit point, 50 concurrent jobs, and shutdown with work in flight. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "engine/jobs/jobs.h"
#include "engine/core/util.h"
#include "tests/check.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool path_exists(const char *p)
{
    struct stat st;
    return lstat(p, &st) == 0;
}

/* No child of this process is left, reaped or not. */
static bool no_children_left(void)
{
    return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* ---- lifecycle and events --------------------------------------------------------------- */

/* job_wait returns once the state is final; the FINISHED event follows a moment later.
 * Collect events (draining `step` at a time) until `want` FINISHED events arrived. */
static int collect_events(JobRunner *r, JobEvent *ev, int max, int step, int want)
{
    int n = 0, finished = 0;
    double t0 = now_seconds();
    while (finished < want && n < max && now_seconds() - t0 < 10) {
        struct pollfd p = {jobs_event_fd(r), POLLIN, 0};
        if (poll(&p, 1, 100) != 1) continue;
        int k;
        while (n < max && (k = jobs_drain_events(r, ev + n, step < max - n ? step : max - n)) > 0) {
            for (int i = n; i < n + k; i++) finished += ev[i].kind == JOB_EV_FINISHED;
            n += k;
        }
    }
    return n;
}

static atomic_int frees;
static void count_free(void *p)
{
    atomic_fetch_add(&frees, 1);
    free(p);
}

static int body_ok(Job *job, void *user, char *err, size_t errlen)
{
    EXPECT_EQ_INT(*(int *)user, 42);
    job_progress(job, "writing", 0.5);
    job_log(job, JOB_LOG_INFO, "first line");
    job_log(job, JOB_LOG_WARNING, "two\nlines\n");
    job_add_artifact(job, "/tmp/x.onnx", 1234, "FP16", 0.5);
    job_add_check(job, "outputs vs source", JOB_CHECK_PASS, "max |d| 1e-4", 1e-4);
    job_add_timing(job, "write", 0.25);
    job_progress(job, "verifying", 1.0);
    return 0;
}

static void test_lifecycle_and_events(void)
{
    JobRunnerOptions o = {.workers = 2};
    JobRunner *r = jobs_new(&o);
    int *u = xmalloc(sizeof *u);
    *u = 42;
    atomic_store(&frees, 0);
    Job *job = job_submit(r, "export onnx", body_ok, u, count_free);
    EXPECT(job_id(job) > 0);
    EXPECT_EQ_STR(job_title(job), "export onnx");
    EXPECT_EQ_INT(job_wait(job, 0, NULL, NULL, NULL), JOB_DONE);
    EXPECT_EQ_INT(atomic_load(&frees), 1);
    EXPECT(job_user(job) == NULL);
    JobInfo info;
    job_get_info(job, &info);
    EXPECT_EQ_INT(info.state, JOB_DONE);
    EXPECT_EQ_STR(info.stage, "verifying");
    EXPECT_NEAR(info.fraction, 1.0, 0);
    EXPECT_EQ_INT(info.log_next, 3);
    EXPECT(info.elapsed >= 0);
    JobLogLine lines[8];
    uint64_t next;
    int n = job_log_read(job, 0, lines, 8, &next);
    EXPECT_EQ_INT(n, 3);
    EXPECT_EQ_INT(next, 3);
    EXPECT_EQ_STR(lines[0].text, "first line");
    EXPECT_EQ_INT(lines[0].level, JOB_LOG_INFO);
    EXPECT_EQ_STR(lines[1].text, "two");
    EXPECT_EQ_STR(lines[2].text, "lines");
    EXPECT_EQ_INT(lines[2].level, JOB_LOG_WARNING);
    EXPECT(lines[0].time > 1.6e9);
    job_log_lines_free(lines, n);
    JobResults *res = job_results_copy(job);
    EXPECT_EQ_INT(res->n_artifacts, 1);
    EXPECT_EQ_STR(res->artifacts[0].path, "/tmp/x.onnx");
    EXPECT_EQ_INT(res->artifacts[0].bytes, 1234);
    EXPECT_EQ_STR(res->artifacts[0].precision, "FP16");
    EXPECT_EQ_INT(res->n_checks, 1);
    EXPECT_EQ_INT(res->checks[0].status, JOB_CHECK_PASS);
    EXPECT_NEAR(res->checks[0].max_abs_diff, 1e-4, 0);
    EXPECT_EQ_INT(res->n_timings, 1);
    EXPECT(res->error == NULL);
    job_results_free(res);

    /* events: STARTED first, FINISHED last, LOG and PROGRESS coalesced in between */
    JobEvent ev[64];
    int ne = collect_events(r, ev, 64, 64, 1);
    EXPECT(ne >= 3 && ne <= 4);
    EXPECT_EQ_INT(ev[0].kind, JOB_EV_STARTED);
    EXPECT_EQ_INT(ev[ne - 1].kind, JOB_EV_FINISHED);
    EXPECT_EQ_INT(ev[ne - 1].state, JOB_DONE);
    for (int i = 0; i < ne; i++) EXPECT_EQ_INT(ev[i].job_id, job_id(job));
    EXPECT(jobs_find(r, job_id(job)) == job);
    EXPECT(jobs_find(r, 999) == NULL);
    EXPECT_EQ_INT(jobs_count(r), 1);
    EXPECT(jobs_at(r, 0) == job);
    EXPECT(jobs_at(r, 1) == NULL);
    EXPECT(!job_cancel(job)); /* already finished */
    EXPECT_EQ_INT(job_forget(r, job), 0);
    EXPECT_EQ_INT(jobs_count(r), 0);
    jobs_free(r);
}

static int body_fail(Job *job, void *user, char *err, size_t errlen)
{
    const char *tmp = user;
    job_add_temp(job, tmp);
    FILE *f = fopen(tmp, "w");
    if (f) {
        fputs("partial", f);
        fclose(f);
    }
    snprintf(err, errlen, "%s: disk full", tmp);
    return -1;
}

static void test_failure_removes_temps(void)
{
    JobRunner *r = jobs_new(NULL);
    char *tmp = xasprintf("/tmp/yoloport-jobs-fail-%d.tmp", (int)getpid());
    atomic_store(&frees, 0);
    Job *job = job_submit(r, "fails", body_fail, xstrdup(tmp), count_free);
    EXPECT_EQ_INT(job_wait(job, 0, NULL, NULL, NULL), JOB_FAILED);
    EXPECT(!path_exists(tmp));
    EXPECT_EQ_INT(atomic_load(&frees), 1);
    JobResults *res = job_results_copy(job);
    EXPECT(res->error && strstr(res->error, "disk full"));
    job_results_free(res);
    JobLogLine line;
    uint64_t next;
    JobInfo info;
    job_get_info(job, &info);
    EXPECT_EQ_INT(job_log_read(job, info.log_next - 1, &line, 1, &next), 1);
    EXPECT_EQ_INT(line.level, JOB_LOG_ERROR);
    EXPECT_CONTAINS(line.text, "disk full");
    job_log_lines_free(&line, 1);
    jobs_free(r);
    free(tmp);
}

/* ---- the log ring -------------------------------------------------------------------- */

static int body_many_lines(Job *job, void *user, char *err, size_t errlen)
{
    int n = *(int *)user;
    for (int i = 0; i < n; i++) job_log(job, JOB_LOG_INFO, "line %d", i);
    char *big = xmalloc(JOB_LOG_LINE_MAX + 100);
    memset(big, 'a', JOB_LOG_LINE_MAX + 99);
    big[JOB_LOG_LINE_MAX - 1] = '\xc3'; /* a two-byte character across the cut */
    big[JOB_LOG_LINE_MAX] = '\xa9';
    big[JOB_LOG_LINE_MAX + 99] = '\0';
    job_log(job, JOB_LOG_INFO, "%s", big);
    free(big);
    return 0;
}

static void test_log_ring_capping(void)
{
    JobRunnerOptions o = {.workers = 1, .log_cap = 100};
    JobRunner *r = jobs_new(&o);
    int *n = xmalloc(sizeof *n);
    *n = 249;
    Job *job = job_submit(r, "chatty", body_many_lines, n, free);
    EXPECT_EQ_INT(job_wait(job, 0, NULL, NULL, NULL), JOB_DONE);
    JobLogLine *lines = xcalloc(200, sizeof *lines);
    uint64_t next = 0;
    int got = job_log_read(job, 0, lines, 200, &next);
    EXPECT_EQ_INT(got, 100); /* the cap */
    EXPECT_EQ_INT(lines[0].seq, 150);
    EXPECT_EQ_STR(lines[0].text, "line 150");
    EXPECT_EQ_STR(lines[98].text, "line 248");
    EXPECT_EQ_INT(next, 250);
    /* the over-long line: cut before the split character, with an ellipsis */
    size_t len = strlen(lines[99].text);
    EXPECT_EQ_INT(len, JOB_LOG_LINE_MAX - 1 + 3);
    EXPECT(strcmp(lines[99].text + len - 3, "\xe2\x80\xa6") == 0);
    job_log_lines_free(lines, got);
    /* reading on from a sequence number gives only what is new */
    got = job_log_read(job, 245, lines, 200, &next);
    EXPECT_EQ_INT(got, 5);
    EXPECT_EQ_INT(lines[0].seq, 245);
    job_log_lines_free(lines, got);
    got = job_log_read(job, 250, lines, 200, &next);
    EXPECT_EQ_INT(got, 0);
    EXPECT_EQ_INT(next, 250);
    got = job_log_read(job, 1000, lines, 200, &next); /* past the end: nothing, next clamps */
    EXPECT_EQ_INT(got, 0);
    EXPECT_EQ_INT(next, 250);
    free(lines);
    jobs_free(r);
}

/* ---- the event pipe ------------------------------------------------------------------ */

static atomic_bool gate;
static int body_gated(Job *job, void *user, char *err, size_t errlen)
{
    while (!atomic_load(&gate) && !job_cancelled(job)) sleep_ms(2);
    for (int i = 0; i < 1000; i++) job_log(job, JOB_LOG_INFO, "tick %d", i);
    return 0;
}

static void test_event_pipe_wakeups(void)
{
    JobRunnerOptions o = {.workers = 1};
    JobRunner *r = jobs_new(&o);
    int fd = jobs_event_fd(r);
    struct pollfd p = {fd, POLLIN, 0};
    EXPECT_EQ_INT(poll(&p, 1, 0), 0); /* nothing yet */
    atomic_store(&gate, false);
    Job *job = job_submit(r, "gated", body_gated, NULL, NULL);
    p.revents = 0;
    EXPECT_EQ_INT(poll(&p, 1, 5000), 1); /* STARTED wakes the loop */
    JobEvent ev[16];
    int n = jobs_drain_events(r, ev, 16);
    EXPECT_EQ_INT(n, 1);
    EXPECT_EQ_INT(ev[0].kind, JOB_EV_STARTED);
    EXPECT_EQ_INT(ev[0].state, JOB_RUNNING);
    p.revents = 0;
    EXPECT_EQ_INT(poll(&p, 1, 0), 0); /* drained: quiet again */
    atomic_store(&gate, true);
    EXPECT_EQ_INT(job_wait(job, 0, NULL, NULL, NULL), JOB_DONE);
    /* 1000 lines undrained: one LOG notice, then FINISHED */
    n = collect_events(r, ev, 16, 16, 1);
    EXPECT_EQ_INT(n, 2);
    EXPECT_EQ_INT(ev[0].kind, JOB_EV_LOG);
    EXPECT_EQ_INT(ev[1].kind, JOB_EV_FINISHED);
    /* draining in small steps keeps the fd readable while events remain */
    atomic_store(&gate, true);
    Job *a = job_submit(r, "a", body_gated, NULL, NULL);
    Job *b = job_submit(r, "b", body_gated, NULL, NULL);
    job_wait(a, 0, NULL, NULL, NULL);
    job_wait(b, 0, NULL, NULL, NULL);
    int total = collect_events(r, ev, 16, 1, 2);
    EXPECT_EQ_INT(total, 6); /* 2 x (STARTED, LOG, FINISHED) */
    p.revents = 0;
    EXPECT_EQ_INT(poll(&p, 1, 0), 0);
    jobs_free(r);
}

/* ---- external tools ------------------------------------------------------------------ */

typedef struct {
    int rc[8];
    char err[8][256];
    JobSpawnResult res[8];
    int lines_seen;
} SpawnOut;

static void count_line(Job *job, bool is_stderr, const char *line, void *user)
{
    SpawnOut *o = user;
    o->lines_seen++;
}

static int body_spawns(Job *job, void *user, char *err, size_t errlen)
{
    SpawnOut *o = user;
    char *echo[] = {"sh", "-c", "echo out1; echo err1 >&2; printf 'a\\rb\\n'; printf 'tail'", NULL};
    JobSpawnOptions opt = {.log_prefix = "sh: ", .stderr_level = JOB_LOG_WARNING, .on_line = count_line, .on_line_user = o};
    o->rc[0] = job_spawn(job, echo, &opt, &o->res[0], o->err[0], sizeof o->err[0]);
    char *fail[] = {"sh", "-c", "exit 3", NULL};
    o->rc[1] = job_spawn(job, fail, NULL, &o->res[1], o->err[1], sizeof o->err[1]);
    char *missing[] = {"yoloport-no-such-tool", NULL};
    o->rc[2] = job_spawn(job, missing, NULL, &o->res[2], o->err[2], sizeof o->err[2]);
    char *killed[] = {"sh", "-c", "kill -9 $$", NULL};
    o->rc[3] = job_spawn(job, killed, NULL, &o->res[3], o->err[3], sizeof o->err[3]);
    char *slow[] = {"sleep", "5", NULL};
    JobSpawnOptions t = {.timeout_s = 0.2};
    o->rc[4] = job_spawn(job, slow, &t, &o->res[4], o->err[4], sizeof o->err[4]);
    char *pwd[] = {"pwd", NULL};
    JobSpawnOptions c = {.cwd = "/"};
    o->rc[5] = job_spawn(job, pwd, &c, &o->res[5], o->err[5], sizeof o->err[5]);
    JobSpawnOptions bad = {.cwd = "/nonexistent-yoloport-dir"};
    o->rc[6] = job_spawn(job, pwd, &bad, &o->res[6], o->err[6], sizeof o->err[6]);
    return 0;
}

static void test_spawn(void)
{
    JobRunner *r = jobs_new(NULL);
    SpawnOut *o = xcalloc(1, sizeof *o);
    Job *job = job_submit(r, "tools", body_spawns, o, NULL);
    EXPECT_EQ_INT(job_wait(job, 0, NULL, NULL, NULL), JOB_DONE);
    EXPECT_EQ_INT(o->rc[0], 0);
    EXPECT(o->res[0].started && o->res[0].exited && o->res[0].exit_code == 0);
    EXPECT_EQ_INT(o->lines_seen, 5); /* out1, err1, a, b, tail */
    EXPECT_EQ_INT(o->rc[1], -1);
    EXPECT_EQ_STR(o->err[1], "sh exited with status 3");
    EXPECT_EQ_INT(o->res[1].exit_code, 3);
    EXPECT_EQ_INT(o->rc[2], -1);
    EXPECT_EQ_STR(o->err[2], "yoloport-no-such-tool: command not found");
    EXPECT(!o->res[2].started);
    EXPECT_EQ_INT(o->rc[3], -1);
    EXPECT_CONTAINS(o->err[3], "sh was killed by signal 9");
    EXPECT_EQ_INT(o->res[3].signal, 9);
    EXPECT_EQ_INT(o->rc[4], -1);
    EXPECT(o->res[4].timed_out);
    EXPECT_EQ_STR(o->err[4], "sleep: timed out after 0.2 s");
    EXPECT(o->res[4].seconds < 3.0);
    EXPECT_EQ_INT(o->rc[5], 0);
    EXPECT_EQ_INT(o->rc[6], -1);
    EXPECT_EQ_STR(o->err[6], "pwd: cannot run in /nonexistent-yoloport-dir: No such file or directory");
    JobLogLine lines[32];
    uint64_t next;
    int n = job_log_read(job, 0, lines, 32, &next);
    /* the first tool's lines, in order, with prefix and levels; stdout and stderr may interleave */
    int found = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(lines[i].text, "sh: out1") && lines[i].level == JOB_LOG_INFO) found |= 1;
        if (!strcmp(lines[i].text, "sh: err1") && lines[i].level == JOB_LOG_WARNING) found |= 2;
        if (!strcmp(lines[i].text, "sh: a")) found |= 4;
        if (!strcmp(lines[i].text, "sh: b")) found |= 8;
        if (!strcmp(lines[i].text, "sh: tail")) found |= 16;
        if (!strcmp(lines[i].text, "/")) found |= 32; /* pwd ran in cwd "/" */
    }
    EXPECT_EQ_INT(found, 63);
    job_log_lines_free(lines, n);
    EXPECT(no_children_left());
    free(o);
    jobs_free(r);
}

/* The external-tool driver's cancel: the tool's group gets the spawn's stop signal (SIGINT,
 * which the tool may clean up on: this one prints and exits 3), not SIGTERM; without one it
 * gets SIGTERM, and the exit status or signal is recorded either way. */
static void cancel_when_ready(Job *job, bool is_stderr, const char *line, void *user)
{
    if (!is_stderr && !strcmp(line, "ready")) job_cancel(job);
}

static int body_stop_signals(Job *job, void *user, char *err, size_t errlen)
{
    SpawnOut *o = user;
    char *argv[] = {"sh", "-c", "trap 'echo got INT; exit 3' INT; echo ready; while :; do sleep 0.05; done", NULL};
    JobSpawnOptions opt = {.stop_signal = o->lines_seen ? SIGINT : 0, .on_line = cancel_when_ready};
    o->rc[0] = job_spawn(job, argv, &opt, &o->res[0], o->err[0], sizeof o->err[0]);
    return -1;
}

static void test_spawn_stop_signal(void)
{
    JobRunnerOptions ro = {.workers = 1, .kill_grace_ms = 5000};
    for (int with_int = 1; with_int >= 0; with_int--) {
        JobRunner *r = jobs_new(&ro);
        SpawnOut *o = xcalloc(1, sizeof *o);
        o->lines_seen = with_int; /* which signal to ask for */
        Job *job = job_submit(r, "tool", body_stop_signals, o, NULL);
        EXPECT_EQ_INT(job_wait(job, 0, NULL, NULL, NULL), JOB_CANCELLED);
        EXPECT(o->res[0].started && o->res[0].cancelled);
        EXPECT(o->res[0].seconds < 4.0); /* stopped by the signal, not by the SIGKILL after the grace */
        EXPECT_CONTAINS(o->err[0], "sh: cancelled");
        JobLogLine lines[16];
        uint64_t next;
        int n = job_log_read(job, 0, lines, 16, &next);
        bool got_int = false;
        for (int i = 0; i < n; i++) got_int |= !strcmp(lines[i].text, "got INT");
        job_log_lines_free(lines, n);
        if (with_int) {
            EXPECT(o->res[0].exited && o->res[0].exit_code == 3);
            EXPECT(got_int);
        } else {
            EXPECT_EQ_INT(o->res[0].signal, SIGTERM);
            EXPECT(!got_int);
        }
        free(o);
        jobs_free(r);
    }
    EXPECT(no_children_left());
}

/* ---- cancellation ------------------------------------------------------------------- */

typedef struct {
    atomic_int pid;      /* the child's pid, learned from its first line */
    atomic_bool ran;
    char tmp[256], final_[256];
    bool cancel_me;
    int spawn_rc;
    JobSpawnResult res;
    char err[256];
    const char *script;
} Work;

static void learn_pid(Job *job, bool is_stderr, const char *line, void *user)
{
    Work *w = user;
    if (!is_stderr && atomic_load(&w->pid) == 0) atomic_store(&w->pid, atoi(line));
}

static int body_work(Job *job, void *user, char *err, size_t errlen)
{
    Work *w = user;
    atomic_store(&w->ran, true);
    job_add_temp(job, w->tmp);
    FILE *f = fopen(w->tmp, "w");
    if (!f) return err_set(err, errlen, "%s: cannot create", w->tmp);
    for (int i = 0; i < 20; i++) {
        job_log(job, JOB_LOG_INFO, "step %d", i);
        fprintf(f, "chunk %d\n", i);
    }
    fclose(f);
    char *argv[] = {"sh", "-c", (char *)w->script, NULL};
    JobSpawnOptions opt = {.on_line = learn_pid, .on_line_user = w};
    w->spawn_rc = job_spawn(job, argv, &opt, &w->res, w->err, sizeof w->err);
    if (job_cancelled(job)) return -1;
    if (w->spawn_rc != 0) return err_set(err, errlen, "%s", w->err);
    if (rename(w->tmp, w->final_) != 0) return err_set(err, errlen, "rename failed");
    job_release_temp(job, w->tmp);
    job_add_artifact(job, w->final_, 160, "FP32", 1.0);
    return 0;
}

static void free_work(void *p)
{
    atomic_fetch_add(&frees, 1);
    (void)p; /* owned by the test */
}

#define N_JOBS 50

static void test_fifty_concurrent_half_cancelled(void)
{
    char dir[] = "/tmp/yoloport-jobs50-XXXXXX";
    if (!mkdtemp(dir)) {
        SKIP("mkdtemp failed");
        return;
    }
    JobRunnerOptions o = {.workers = N_JOBS, .kill_grace_ms = 500};
    JobRunner *r = jobs_new(&o);
    Work *w = xcalloc(N_JOBS, sizeof *w);
    Job *jobs[N_JOBS];
    atomic_store(&frees, 0);
    for (int i = 0; i < N_JOBS; i++) {
        snprintf(w[i].tmp, sizeof w[i].tmp, "%s/job%02d.tmp", dir, i);
        snprintf(w[i].final_, sizeof w[i].final_, "%s/job%02d.out", dir, i);
        w[i].cancel_me = i % 2 == 0;
        /* every fourth cancelled child ignores SIGTERM (inherited by sleep): SIGKILL after the grace */
        w[i].script = !w[i].cancel_me ? "echo $$; sleep 0.3"
                      : i % 4 == 0    ? "trap '' TERM; echo $$; sleep 30"
                                      : "echo $$; sleep 30";
        char title[32];
        snprintf(title, sizeof title, "job %d", i);
        jobs[i] = job_submit(r, title, body_work, &w[i], free_work);
    }
    /* cancel the even ones once their child runs */
    double t0 = now_seconds();
    for (int i = 0; i < N_JOBS; i += 2) {
        while (atomic_load(&w[i].pid) == 0 && now_seconds() - t0 < 30) sleep_ms(5);
        EXPECT_MSG(atomic_load(&w[i].pid) > 0, "job %d never started its child", i);
        EXPECT(job_cancel(jobs[i]));
    }
    for (int i = 0; i < N_JOBS; i++) {
        JobState s = job_wait(jobs[i], 0, NULL, NULL, NULL);
        EXPECT_MSG(s == (w[i].cancel_me ? JOB_CANCELLED : JOB_DONE), "job %d ended %s", i, job_state_name(s));
    }
    double took = now_seconds() - t0;
    EXPECT_MSG(took < 20, "took %.1f s", took);
    EXPECT_EQ_INT(atomic_load(&frees), N_JOBS);
    int done = 0, cancelled = 0, files = 0, temps = 0;
    for (int i = 0; i < N_JOBS; i++) {
        JobState s = job_state(jobs[i]);
        done += s == JOB_DONE;
        cancelled += s == JOB_CANCELLED;
        temps += path_exists(w[i].tmp);
        files += path_exists(w[i].final_);
        if (w[i].cancel_me) {
            EXPECT_CONTAINS(w[i].err, "cancelled");
            EXPECT(w[i].res.cancelled);
            /* SIGTERM ends the group; one that ignores it gets SIGKILL after the grace period */
            EXPECT_MSG(w[i].res.signal == (i % 4 == 0 ? SIGKILL : SIGTERM), "job %d: signal %d", i, w[i].res.signal);
        } else {
            EXPECT(w[i].res.exited && w[i].res.exit_code == 0);
        }
        /* the child is gone: not running, not a zombie (kill(pid, 0) succeeds on zombies) */
        int pid = atomic_load(&w[i].pid);
        EXPECT_MSG(pid > 0 && kill(pid, 0) == -1 && errno == ESRCH, "job %d: child %d still exists", i, pid);
        JobResults *res = job_results_copy(jobs[i]);
        EXPECT_EQ_INT(res->n_artifacts, w[i].cancel_me ? 0 : 1);
        job_results_free(res);
    }
    EXPECT_EQ_INT(done, N_JOBS / 2);
    EXPECT_EQ_INT(cancelled, N_JOBS / 2);
    EXPECT_EQ_INT(temps, 0);
    EXPECT_EQ_INT(files, N_JOBS / 2);
    EXPECT(no_children_left());
    printf("# %d jobs on %d workers: %d done, %d cancelled, %d temporaries left, %.2f s\n", N_JOBS, N_JOBS, done,
           cancelled, temps, took);
    jobs_free(r);
    for (int i = 0; i < N_JOBS; i++) unlink(w[i].final_);
    rmdir(dir);
    free(w);
}

static int body_blocks(Job *job, void *user, char *err, size_t errlen)
{
    atomic_store((atomic_bool *)user, true);
    while (!job_cancelled(job)) sleep_ms(2);
    return 0;
}

static int body_never(Job *job, void *user, char *err, size_t errlen)
{
    atomic_store((atomic_bool *)user, true);
    return 0;
}

static void test_cancel_queued(void)
{
    JobRunnerOptions o = {.workers = 1};
    JobRunner *r = jobs_new(&o);
    atomic_bool started = false, ran = false;
    Job *a = job_submit(r, "blocks", body_blocks, &started, NULL);
    Job *b = job_submit(r, "queued", body_never, &ran, NULL);
    while (!atomic_load(&started)) sleep_ms(1);
    EXPECT_EQ_INT(job_state(b), JOB_QUEUED);
    EXPECT(job_cancel(b));
    EXPECT_EQ_INT(job_state(b), JOB_CANCELLED); /* at once */
    JobEvent ev[8];
    int fin = 0, ne = jobs_drain_events(r, ev, 8);
    for (int i = 0; i < ne; i++) fin += ev[i].job_id == job_id(b) && ev[i].kind == JOB_EV_FINISHED;
    EXPECT_EQ_INT(fin, 1);
    EXPECT(!job_cancel(b));
    EXPECT(job_cancel(a));
    EXPECT_EQ_INT(job_wait(a, 0, NULL, NULL, NULL), JOB_CANCELLED);
    EXPECT(!atomic_load(&ran));
    EXPECT(job_id(b) == job_id(a) + 1);
    jobs_free(r);
}

/* ---- waiting with follow and interrupt --------------------------------------------------- */

static int body_slow_lines(Job *job, void *user, char *err, size_t errlen)
{
    for (int i = 0; i < 5; i++) {
        job_log(job, JOB_LOG_INFO, "slow %d", i);
        sleep_ms(20);
    }
    return 0;
}

typedef struct {
    int n;
    uint64_t last_seq;
    bool in_order;
} Followed;

static void follow_line(const JobLogLine *line, void *user)
{
    Followed *f = user;
    char want[32];
    snprintf(want, sizeof want, "slow %d", f->n);
    if (strcmp(line->text, want) != 0 || (f->n && line->seq != f->last_seq + 1)) f->in_order = false;
    f->last_seq = line->seq;
    f->n++;
}

static int body_sleeps(Job *job, void *user, char *err, size_t errlen)
{
    char *argv[] = {"sleep", "30", NULL};
    return job_spawn(job, argv, NULL, NULL, err, errlen);
}

/* As the CLI does it: a SIGINT-style handler on the waiting (main) thread sets the flag. */
static volatile sig_atomic_t interrupt_flag;
static void on_sigusr1(int sig)
{
    interrupt_flag = 1;
}
static void *send_interrupt(void *arg)
{
    sleep_ms(150);
    pthread_kill(*(pthread_t *)arg, SIGUSR1);
    return NULL;
}

static void test_wait_follow_and_interrupt(void)
{
    JobRunner *r = jobs_new(NULL);
    Job *job = job_submit(r, "slow", body_slow_lines, NULL, NULL);
    Followed f = {0, 0, true};
    EXPECT_EQ_INT(job_wait(job, 0, follow_line, &f, NULL), JOB_DONE);
    EXPECT_EQ_INT(f.n, 5);
    EXPECT(f.in_order);

    interrupt_flag = 0;
    Job *s = job_submit(r, "sleeps", body_sleeps, NULL, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t, self = pthread_self();
    pthread_create(&t, NULL, send_interrupt, &self);
    double t0 = now_seconds();
    EXPECT_EQ_INT(job_wait(s, 0, NULL, NULL, &interrupt_flag), JOB_CANCELLED);
    EXPECT(now_seconds() - t0 < 10);
    pthread_join(t, NULL);
    EXPECT(no_children_left());
    jobs_free(r);
}

/* ---- shutdown with work in flight ---------------------------------------------------- */

static void test_free_with_work_in_flight(void)
{
    JobRunnerOptions o = {.workers = 2};
    JobRunner *r = jobs_new(&o);
    atomic_store(&frees, 0);
    for (int i = 0; i < 6; i++) job_submit(r, "sleeps", body_sleeps, xmalloc(16), count_free);
    sleep_ms(100);
    double t0 = now_seconds();
    jobs_free(r); /* cancels running (kills their sleeps) and queued jobs, frees everything */
    EXPECT(now_seconds() - t0 < 10);
    EXPECT_EQ_INT(atomic_load(&frees), 6);
    EXPECT(no_children_left());
}

/* ---- the commit point --------------------------------------------------------------- */

/* Commits once the gate opens (or sees the cancel first); user: where to record what
 * job_commit answered (1 committed, 0 refused).  After committing it waits for the test's
 * cancel attempt, then finishes. */
static atomic_int commit_answer, after_commit;
static int body_commits(Job *job, void *user, char *err, size_t errlen)
{
    while (!atomic_load(&gate) && !job_cancelled(job)) sleep_ms(1);
    bool ok = job_commit(job);
    atomic_store(&commit_answer, ok ? 1 : 0);
    if (!ok) return err_set(err, errlen, "cancelled");
    while (!atomic_load(&after_commit)) sleep_ms(1);
    return 0;
}

static void test_commit_point(void)
{
    JobRunnerOptions o = {.workers = 1};
    JobRunner *r = jobs_new(&o);
    for (int cancel_first = 0; cancel_first < 2; cancel_first++) {
        atomic_store(&gate, false);
        atomic_store(&after_commit, false);
        atomic_store(&commit_answer, -1);
        Job *job = job_submit(r, "commits", body_commits, NULL, NULL);
        for (int spin = 0; spin < 5000 && job_state(job) == JOB_QUEUED; spin++) sleep_ms(1);
        if (cancel_first) {
            /* cancelled before the commit point: the commit is refused, the job is CANCELLED */
            EXPECT(job_cancel(job));
            EXPECT_EQ_INT(job_wait(job, 0, NULL, NULL, NULL), JOB_CANCELLED);
            EXPECT_EQ_INT(atomic_load(&commit_answer), 0);
        } else {
            /* committed first: the cancel is refused and the job ends by its body, DONE */
            atomic_store(&gate, true);
            for (int spin = 0; spin < 5000 && atomic_load(&commit_answer) < 0; spin++) sleep_ms(1);
            EXPECT_EQ_INT(atomic_load(&commit_answer), 1);
            EXPECT(!job_cancel(job));
            EXPECT(!job_cancelled(job));
            atomic_store(&after_commit, true);
            EXPECT_EQ_INT(job_wait(job, 0, NULL, NULL, NULL), JOB_DONE);
        }
    }
    jobs_free(r);
}

/* The workbench's own work (opening a model, finding tools) takes no id from the user's jobs:
 * theirs run 1, 2, 3 without gaps. */
static void test_internal_jobs_leave_no_gaps(void)
{
    JobRunnerOptions o = {.workers = 1};
    JobRunner *r = jobs_new(&o);
    static int v = 42; /* what body_ok expects */
    Job *a = job_submit_internal(r, "find tools", body_ok, &v, NULL);
    Job *b = job_submit(r, "export", body_ok, &v, NULL);
    Job *c = job_submit_internal(r, "load weights", body_ok, &v, NULL);
    Job *d = job_submit(r, "export", body_ok, &v, NULL);
    EXPECT(job_id(a) < 0 && job_id(c) < 0 && job_id(a) != job_id(c));
    EXPECT_EQ_INT(job_id(b), 1);
    EXPECT_EQ_INT(job_id(d), 2);
    EXPECT(jobs_find(r, job_id(c)) == c);
    EXPECT_EQ_INT(job_wait(c, 0, NULL, NULL, NULL), JOB_DONE);
    EXPECT_EQ_INT(job_wait(d, 0, NULL, NULL, NULL), JOB_DONE);
    jobs_free(r);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    RUN(test_lifecycle_and_events);
    RUN(test_failure_removes_temps);
    RUN(test_log_ring_capping);
    RUN(test_event_pipe_wakeups);
    RUN(test_spawn);
    RUN(test_spawn_stop_signal);
    RUN(test_cancel_queued);
    RUN(test_commit_point);
    RUN(test_wait_follow_and_interrupt);
    RUN(test_fifty_concurrent_half_cancelled);
    RUN(test_free_with_work_in_flight);
    RUN(test_internal_jobs_leave_no_gaps);
    return check_done();
}
