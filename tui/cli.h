/* cli: the command-line verbs.  Each takes the arguments after the verb and returns the
 * process exit status (0 success, 1 failure, 2 usage error).  Errors go to stderr as one
 * line naming the file and the problem. */
#ifndef YOLOPORT_CLI_H
#define YOLOPORT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/export/report.h"
#include "engine/jobs/jobs.h"

int cli_info(int argc, char **argv);      /* tui/cli_info.c */
int cli_export(int argc, char **argv);    /* tui/cli_export.c */
int cli_matrix(int argc, char **argv);    /* tui/cli_matrix.c */
int cli_predict(int argc, char **argv);   /* tui/cli_predict.c */
int cli_val(int argc, char **argv);       /* tui/cli_val.c */
int cli_checks(int argc, char **argv);    /* tui/cli_checks.c */
int cli_benchmark(int argc, char **argv); /* tui/cli_benchmark.c */
int cli_diff(int argc, char **argv);      /* tui/cli_diff.c */

/* The size report `export` prints after the log, as text lines (heap string, caller frees):
 *   Size report (source yolov8n.pt, 6.2 MB)
 *     artifact      format  precision  size  vs source  check
 *     yolov8n.onnx  ONNX    fp32  12.2 MB  2.00x  ✅ passed max |Δ| 1.2e-05
 * and one line per check; columns padded by display width.  Bold title when color. */
char *cli_report_text(const Report *r, bool color);
/* The colour rule for a stream: a terminal, NO_COLOR unset (or empty), TERM not dumb. */
bool cli_color_enabled(FILE *f);
/* printf to f with the text made terminal-safe (engine/core/textwidth.h: a control character a
 * file supplied -- a class name, a path, a message quoting either -- prints as a visible
 * escape; yoloport's own line breaks and colour codes pass).  Every verb prints what comes from
 * a file through it. */
void cli_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Follow a command-line job to its end (job_wait with follow/user), with Ctrl-C, a terminal
 * hang-up and a polite kill (SIGINT, SIGHUP, SIGTERM) cancelling it: the job stops and its
 * temporaries are removed before the process exits.  *stop_sig (may be NULL) gets the signal
 * that stopped it, 0 when none: exit with 128 + it, as the shell and the workbench do. */
JobState cli_wait_job(Job *job, JobFollowFn follow, void *user, int *stop_sig);
/* The workbench: `yoloport [MODEL] [key=value ...] [--theme NAME] [--no-color]` (tui/app.c). */
int tui_main(int argc, char **argv);

/* ---- the format lists, generated from the registry's table (tui/cli_formats.c) ---- */

/* text printed after lead, wrapped at width columns, continuation lines indented as wide
 * as lead; ends with a newline. */
void cli_wrap(FILE *out, const char *lead, const char *text, int width);
/* The man page's format list, the text between its FORMATS markers (`yoloport
 * --dump-formats`): the model kinds recognised and opened, and every export format with its
 * output naming, arguments and availability in this build. */
void cli_formats_man(FILE *out);

#endif
