/* export_fixture.h: what the export tests share — running `export WORDS...` as a job to
 * completion with its log captured, and counting temporaries left in a directory. */
#ifndef YOLOPORT_EXPORT_FIXTURE_H
#define YOLOPORT_EXPORT_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "engine/export.h"
#include "engine/jobs.h"

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

#endif
