/* export_fixture.h: what the export tests share — running `export WORDS...` as a job to
 * completion with its log captured, counting temporaries left in a directory, and
 * cancelling an export as soon as it runs. */
#ifndef YOLOPORT_EXPORT_FIXTURE_H
#define YOLOPORT_EXPORT_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/export/export.h"
#include "engine/jobs/jobs.h"

typedef struct {
    char text[65536];
    size_t len;
} Captured;

static inline void capture(const JobLogLine *line, void *user)
{
    Captured *c = user;
    int n = snprintf(c->text + c->len, sizeof c->text - c->len, "%s\n", line->text);
    if (n > 0 && c->len + (size_t)n < sizeof c->text) c->len += (size_t)n;
}

/* Run `export WORDS...` on runner to completion: the run (caller frees; NULL when the
 * words do not parse, their messages printed as comments), its log and its end state. */
static inline ExportRun *export_words(JobRunner *runner, Captured *log, JobState *state, const char *const *words,
                                      int n)
{
    ExportArgs a;
    export_args_init(&a);
    ExportMsgs m;
    export_msgs_clear(&m);
    if (export_args_parse_argv(&a, n, (char *const *)words, &m) != 0) {
        for (int i = 0; i < m.n; i++) printf("# %s\n", m.items[i].text);
        return NULL;
    }
    ExportRun *run = export_run_new(&a, false);
    Job *job = export_submit(runner, run);
    memset(log, 0, sizeof *log);
    *state = job_wait(job, 0, capture, log, NULL);
    return run;
}

/* Entries of dir whose names mark a temporary (fileio's ".<name>.tmp.XXXXXX"); -1 when
 * dir cannot be read. */
static inline int count_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    closedir(d);
    return n;
}

/* Export the built-in yolov8s at imgsz 320 to `format` and cancel it as soon as it runs
 * (building it takes a while under the sanitizers).  A cancel the job accepts must end it
 * CANCELLED with nothing at `out` and no temporary; one it refuses (it had passed its commit
 * point) must leave a DONE job and a complete `out`.  NULL when the outcome is one of those,
 * else what is wrong; *committed: the cancel was refused.  `out` is removed after. */
static inline const char *export_cancel_once_running(JobRunner *runner, const char *format, const char *out,
                                                     bool *committed)
{
    unlink(out);
    char fmt[64];
    snprintf(fmt, sizeof fmt, "format=%s", format);
    const char *w[] = {"model=yolov8s.yaml", fmt, "imgsz=320"};
    ExportArgs a;
    export_args_init(&a);
    ExportMsgs m;
    export_msgs_clear(&m);
    if (export_args_parse_argv(&a, 3, (char *const *)w, &m) != 0) return "the arguments do not parse";
    ExportRun *run = export_run_new(&a, false);
    Job *job = export_submit(runner, run);
    for (int spin = 0; spin < 20000 && job_state(job) == JOB_QUEUED; spin++) usleep(1000);
    *committed = !job_cancel(job);
    JobState st = job_wait(job, 0, NULL, NULL, NULL);
    const char *bad = NULL;
    if (st != (*committed ? JOB_DONE : JOB_CANCELLED))
        bad = *committed ? "a refused cancel did not leave a DONE job" : "an accepted cancel did not end CANCELLED";
    else if ((access(out, F_OK) == 0) != *committed)
        bad = *committed ? "a DONE job left no output" : "a cancelled job left its output";
    else if (count_temporaries(".") != 0)
        bad = "a temporary was left";
    export_run_free(run);
    unlink(out);
    return bad;
}

#endif
