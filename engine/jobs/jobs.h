/* jobs: background work (exports, benchmarks) on worker threads, with logs, progress,
 * results, cancellation and external tools, reported to the UI through events.
 *
 * Threads.  jobs_new() starts N worker threads.  A Job runs its body on one worker.  The
 * body and its stages may call every job_* function marked (body) below; the UI or CLI
 * thread calls the others.  Functions marked (any) are safe from any thread.
 *
 * Events.  Workers never call back into the UI: they push small events (started, log,
 * progress, finished) onto a locked queue and write one byte into a non-blocking pipe.
 * The UI loop poll()s jobs_event_fd() beside the terminal and calls jobs_drain_events()
 * when it is readable.  LOG and PROGRESS events are coalesced (at most one pending per job):
 * they say "something new", and the UI then pulls lines with job_log_read() from the last
 * sequence number it saw, and progress with job_get_info().  The CLI uses job_wait().
 *
 * Lifetime.  The runner owns every Job: a Job * stays valid until job_forget() (finished
 * jobs only) or jobs_free().  Events carry job ids, resolve them with jobs_find().
 *
 * Cancellation.  job_cancel() sets an atomic flag that stages poll (job_cancelled()), and
 * sends the process group of every child started by job_spawn() its stop signal (SIGTERM,
 * or the one the spawn asked for); job_spawn() escalates to SIGKILL after the grace period
 * and always reaps its child.  A cancelled or
 * failed job's registered temporary paths are removed before it is reported finished. */
#ifndef YOLOPORT_JOBS_H
#define YOLOPORT_JOBS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Job Job;
typedef struct JobRunner JobRunner;

typedef enum { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_CANCELLED } JobState;
/* "queued", "running", "done", "failed", "cancelled" */
const char *job_state_name(JobState s);
static inline bool job_state_finished(JobState s) { return s >= JOB_DONE; }

/* INFO is 0 so that zeroed options mean INFO; levels compare by severity. */
typedef enum { JOB_LOG_DEBUG = -1, JOB_LOG_INFO = 0, JOB_LOG_WARNING = 1, JOB_LOG_ERROR = 2 } JobLogLevel;
/* "debug", "info", "warning", "error" */
const char *job_log_level_name(JobLogLevel l);

#define JOB_LOG_CAP_DEFAULT 20000 /* lines kept per job; older ones are dropped */
#define JOB_LOG_LINE_MAX 4096     /* longer lines are cut (with "…" appended) */

/* The job body: runs on a worker thread.  Return 0 on success; non-zero on failure with a
 * one-line reason in err (logged as an ERROR line and kept in the results).  Poll
 * job_cancelled() between steps and return promptly once it is true (the return value is
 * then ignored: the job ends CANCELLED). */
typedef int (*JobBodyFn)(Job *job, void *user, char *err, size_t errlen);
/* Frees the body's user data; called once, after the body ran or when a queued job is
 * cancelled or the runner is freed before it ran.  May be NULL. */
typedef void (*JobFreeFn)(void *user);

typedef struct {
    int workers;        /* worker threads; <= 0: the number of CPUs, at most 4 */
    int log_cap;        /* log lines kept per job; <= 0: JOB_LOG_CAP_DEFAULT */
    int kill_grace_ms;  /* SIGTERM -> SIGKILL delay for children; <= 0: 2000 */
} JobRunnerOptions;

/* Start a runner (opt may be NULL for defaults).  Never NULL (aborts if threads or the
 * pipe cannot be created: the program cannot work without them). */
JobRunner *jobs_new(const JobRunnerOptions *opt);

/* Cancel every job, wait for the workers to finish (children killed and reaped, temporary
 * paths removed), free every job, close the pipe.  Events not yet drained are dropped. */
void jobs_free(JobRunner *r);

/* Queue a job (any).  title is copied.  Returns the job (never NULL); its id is > 0 and
 * unique within the runner.  The runner owns user and releases it with free_user. */
Job *job_submit(JobRunner *r, const char *title, JobBodyFn body, void *user, JobFreeFn free_user);
/* The same for work the user did not ask for as a job (opening a model, loading its weights,
 * finding tools): its id is < 0, from a sequence of its own, so that the ids of the user's
 * jobs run 1, 2, 3 ... without gaps. */
Job *job_submit_internal(JobRunner *r, const char *title, JobBodyFn body, void *user, JobFreeFn free_user);

/* ---- UI side: listing and events ---------------------------------------------------- */

/* Jobs in submission order (any).  jobs_at returns NULL when out of range. */
int jobs_count(JobRunner *r);
Job *jobs_at(JobRunner *r, int i);
Job *jobs_find(JobRunner *r, int id); /* NULL when unknown or forgotten */

/* Remove a finished job and free it (UI).  -1 (and nothing done) when it is not finished.
 * The caller must hold no other pointer to it. */
int job_forget(JobRunner *r, Job *job);

/* The read end of the event pipe (non-blocking, close-on-exec), for poll(POLLIN). */
int jobs_event_fd(const JobRunner *r);

typedef enum { JOB_EV_STARTED, JOB_EV_LOG, JOB_EV_PROGRESS, JOB_EV_FINISHED } JobEventKind;
typedef struct {
    JobEventKind kind;
    int job_id;
    JobState state; /* the job's state when the event was posted */
} JobEvent;

/* Empty the pipe and move up to max queued events into out, oldest first (any; normally
 * the UI thread).  Returns how many; more may remain when it returns max.  Never blocks. */
int jobs_drain_events(JobRunner *r, JobEvent *out, int max);

/* ---- the job, read side (any) ------------------------------------------------------- */

int job_id(const Job *job);
const char *job_title(const Job *job); /* valid while the job lives */
JobState job_state(const Job *job);
void *job_user(const Job *job);         /* the body's user data (NULL once freed) */

typedef struct {
    int id;
    JobState state;
    char stage[128];   /* current progress stage label, "" before the first */
    double fraction;   /* 0..1, or < 0 when the stage has no measurable progress */
    double elapsed;    /* seconds running so far (final once finished), 0 while queued */
    uint64_t log_next; /* sequence number the next log line will get (= lines ever logged) */
    bool cancel_requested;
} JobInfo;
void job_get_info(Job *job, JobInfo *out);

typedef struct {
    uint64_t seq;       /* 0, 1, 2, ... over the job's whole life */
    JobLogLevel level;
    double time;        /* wall clock, seconds since the epoch */
    double elapsed;     /* seconds since the job started running */
    char *text;         /* heap copy, no trailing newline */
} JobLogLine;

/* Copy up to max lines with seq >= from into out, oldest first (any).  Lines already
 * dropped from the ring are skipped (out[0].seq tells).  *next receives the seq to pass
 * next time.  Returns the count.  Free the texts with job_log_lines_free. */
int job_log_read(Job *job, uint64_t from, JobLogLine *out, int max, uint64_t *next);
void job_log_lines_free(JobLogLine *lines, int n);

/* ---- results ------------------------------------------------------------------------ */

typedef enum { JOB_CHECK_PASS, JOB_CHECK_WARN, JOB_CHECK_FAIL } JobCheckStatus;
const char *job_check_status_name(JobCheckStatus s); /* "pass", "warn", "fail" */

typedef struct {
    char *path;
    int64_t bytes;     /* size of the file, or of every file below a directory */
    char *precision;   /* "FP32", "FP16", "INT8", "mixed" (free text) */
    double ratio;      /* bytes / source model bytes; 0 when unknown */
} JobArtifact;

typedef struct {
    char *name;        /* "ONNX outputs vs source" */
    JobCheckStatus status;
    char *detail;      /* one line */
    double max_abs_diff; /* max |Δ| of the compared outputs; NAN when not applicable */
} JobCheck;

typedef struct {
    char *name;        /* "write", "verify" */
    double seconds;
} JobTiming;

typedef struct {
    JobArtifact *artifacts;
    int n_artifacts;
    JobCheck *checks;
    int n_checks;
    JobTiming *timings;
    int n_timings;
    char *error;       /* the failure reason, NULL unless FAILED */
    double elapsed;    /* seconds from start to finish (or so far) */
} JobResults;

/* A deep copy of the results so far (any).  Free with job_results_free. */
JobResults *job_results_copy(Job *job);
void job_results_free(JobResults *res);

/* ---- the job, write side (body) ------------------------------------------------------ */

/* Append a log line (body; in fact any thread).  Text with newlines becomes several
 * lines; each is cut at JOB_LOG_LINE_MAX.  Wakes job_wait followers, posts a LOG event. */
void job_log(Job *job, JobLogLevel level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Set the progress stage label (copied, cut at 127 bytes) and fraction (0..1, or -1 for
 * "no measurable progress"); posts a PROGRESS event. */
void job_progress(Job *job, const char *stage, double fraction);

/* Has cancellation been requested? (any; an atomic read, cheap enough for inner loops) */
bool job_cancelled(const Job *job);

/* The body is about to make its result permanent (an export renamed into place).  False
 * when cancellation was already requested: the body must not commit and should return -1.
 * True: from now on job_cancel refuses (returns false) and the job ends DONE or FAILED by
 * the body's return value, so a cancelled job never leaves a committed result behind. */
bool job_commit(Job *job);
/* The step committed with job_commit is in place and the body goes on with further steps
 * (an engine or a converted model made from an ONNX export it has just committed): cancel is
 * honoured again; what was committed stays. */
void job_commit_end(Job *job);

void job_add_artifact(Job *job, const char *path, int64_t bytes, const char *precision, double ratio);
void job_add_check(Job *job, const char *name, JobCheckStatus status, const char *detail, double max_abs_diff);
void job_add_timing(Job *job, const char *name, double seconds);

/* Register a temporary file or directory: removed (recursively) if the job ends
 * CANCELLED or FAILED.  Call it before creating the path.  job_release_temp forgets a
 * path (e.g. once it was renamed into place); unknown paths are ignored. */
void job_add_temp(Job *job, const char *path);
void job_release_temp(Job *job, const char *path);

/* ---- external tools ------------------------------------------------------------------ */

typedef struct {
    const char *cwd;        /* working directory; NULL = inherit */
    char *const *envp;      /* environment; NULL = inherit */
    const char *log_prefix; /* prepended to every logged line, e.g. "trtexec: "; NULL = none */
    JobLogLevel stdout_level; /* level of stdout lines (0 = JOB_LOG_INFO) */
    JobLogLevel stderr_level; /* level of stderr lines (0 = JOB_LOG_INFO: tools print progress there) */
    double timeout_s;       /* > 0: stop the tool (stop_signal, then KILL after the grace)
                               when it runs longer */
    int stop_signal;        /* first signal to the tool's process group on cancel or timeout;
                               0 = SIGTERM.  Interactive tools (trtexec, the peer's yolo)
                               clean up on SIGINT, as after Ctrl-C. */
    double quiet_warn_s;    /* > 0: log a WARNING when no line came for this long (then again
                               after each further period of silence); the tool keeps running */
    bool stdin_pipe;        /* stdin is a pipe held open while the child runs (closed on cancel,
                               timeout or exit) instead of /dev/null: a child that watches its
                               stdin (ssh forwarding EOF to a remote watcher) learns that we
                               stopped waiting */
    bool no_log;            /* lines go to on_line only, not into the log (a probe's answers) */
    /* Optional: sees every line too (on the body's thread), e.g. to parse progress. */
    void (*on_line)(Job *job, bool is_stderr, const char *line, void *user);
    void *on_line_user;
} JobSpawnOptions;

typedef struct {
    bool started;     /* the program was found and started */
    bool exited;      /* it exited normally, with exit_code */
    int exit_code;
    int signal;       /* the signal that ended it, 0 when it exited */
    bool cancelled;   /* it was stopped because the job was cancelled */
    bool timed_out;   /* it was stopped because timeout_s passed */
    double seconds;   /* wall time it ran */
} JobSpawnResult;

/* Run argv[0] (looked up in PATH) as a child in its own process group, stdin from
 * /dev/null, stdout and stderr piped and logged line by line as they arrive (body).
 *
 * This is the base of the external-tool driver (trtexec, edgetpu_compiler, ovc, pnnx,
 * MNNConvert, the peer's yolo): an argument vector (no shell), its own process group, both
 * streams into the job log line by line, cancel = stop_signal (SIGINT for the driver) then
 * SIGKILL to the whole group after the grace, exit status or signal recorded in
 * JobSpawnResult -- everything the driver (engine/tools/driver.h) needs; it adds the stage
 * name, the exact command, remote hosts and the silence warning on top.
 * Returns when the child has exited and been reaped: 0 when it exited with status 0;
 * otherwise -1 + a message in err: "trtexec: command not found", "trtexec: cannot run in
 * DIR: No such file or directory", "trtexec exited with status 1", "trtexec was killed by
 * signal 9 (Killed)", "trtexec: cancelled", "trtexec: timed out after 600 s".  res may be
 * NULL; opt may be NULL.  While it runs the child is registered with
 * the job so that job_cancel() signals its process group. */
int job_spawn(Job *job, char *const argv[], const JobSpawnOptions *opt, JobSpawnResult *res, char *err,
              size_t errlen);

/* ---- control (UI/CLI) ------------------------------------------------------------------ */

/* Request cancellation (any; not async-signal-safe).  A queued job ends CANCELLED at once
 * (its body never runs); a running one gets its flag set and its children SIGTERM.
 * Returns false when the job had already finished. */
bool job_cancel(Job *job);

/* Called by job_wait for every log line as it arrives, on the waiting thread. */
typedef void (*JobFollowFn)(const JobLogLine *line, void *user);

/* Block until the job finishes and return its final state (CLI).  When follow is non-NULL
 * every log line from seq `from` on is passed to it, in order, as it arrives (lines that
 * fell out of the ring before they were read are skipped).  When interrupt is non-NULL it
 * is checked at least every 100 ms and the job is cancelled once when it becomes non-zero
 * (set it from a SIGINT handler); the wait then continues until the job has finished. */
JobState job_wait(Job *job, uint64_t from, JobFollowFn follow, void *user, volatile sig_atomic_t *interrupt);

#endif
