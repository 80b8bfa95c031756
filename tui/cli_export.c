/* cli_export: `yoloport export model=yolov8n.pt format=onnx [key=value ...]` — the same
 * words a `yolo export` user types.  Parses the arguments, runs the export pipeline as a
 * job on a worker thread, streams its log lines as they come, prints the size report and
 * returns the exit status (0 exported and checked, 1 failed or check failed, 2 usage). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/textwidth.h"
#include "engine/core/util.h"
#include "engine/export/export.h"
#include "engine/export/report.h"
#include "engine/jobs/jobs.h"
#include "engine/remote/remote.h"
#include "tui/cli.h"
#include "tui/cli_args.h"
#include "tui/config.h"

static volatile sig_atomic_t interrupted;

static volatile sig_atomic_t stop_signal; /* the signal that stopped the job: exit 128 + it, as the shell's */

static void on_sigint(int sig)
{
    stop_signal = sig;
    interrupted = 1;
}

JobState cli_wait_job(Job *job, JobFollowFn follow, void *user, int *stop_sig)
{
    static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa, old[ARRAY_LEN(stop_signals)];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    stop_signal = 0;
    for (size_t i = 0; i < ARRAY_LEN(stop_signals); i++) sigaction(stop_signals[i], &sa, &old[i]);
    JobState st = job_wait(job, 0, follow, user, &interrupted);
    for (size_t i = 0; i < ARRAY_LEN(stop_signals); i++) sigaction(stop_signals[i], &old[i], NULL);
    if (stop_sig) *stop_sig = stop_signal;
    return st;
}

/* Log lines go to stdout as they come, except the job runner's closing ERROR line with
 * the body's error: that one goes to stderr once, after the run (the run's error is set
 * before the runner logs it, so it can be recognised here). */
static void print_line(const JobLogLine *line, void *user)
{
    const ExportRun *run = user;
    if (line->level == JOB_LOG_ERROR && run->error[0] && !strcmp(line->text, run->error)) return;
    /* the log quotes the model's names, paths and metadata: terminal text, never commands
     * (yoloport's own colour codes and line breaks pass) */
    textwidth_fputs(line->text, TEXTWIDTH_KEEP_NEWLINE | TEXTWIDTH_KEEP_COLOUR, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

bool cli_color_enabled(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc) return false;
    const char *term = getenv("TERM");
    if (term && !strcmp(term, "dumb")) return false;
    return isatty(fileno(f)) != 0;
}

void cli_printf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    textwidth_fputs(text, TEXTWIDTH_KEEP_NEWLINE | TEXTWIDTH_KEEP_COLOUR, f);
    free(text);
}

char *cli_report_text(const Report *r, bool color)
{
    StrBuf b = {0};
    char title[64];
    report_colorstr(title, sizeof title, "bold", "Size report", color);
    const char *slash = strrchr(r->source_path, '/');
    const char *src_name = slash ? slash + 1 : r->source_path;
    if (r->source_bytes > 0)
        strbuf_printf(&b, "%s (source %s, %.1f MB)\n", title, src_name, report_mib(r->source_bytes));
    else
        strbuf_printf(&b, "%s (source %s, built from the config: no file)\n", title, src_name);
    int w = 8, fw = 6, pw = 9; /* column widths: the widest path, format name and precision */
    for (int i = 0; i < r->n_artifacts; i++) {
        int c = textwidth_str(r->artifacts[i].path);
        if (c > w) w = c;
        c = textwidth_str(r->artifacts[i].format);
        if (c > fw) fw = c;
        c = textwidth_str(r->artifacts[i].precision.text);
        if (c > pw) pw = c;
    }
    strbuf_printf(&b, "  %-*s  %-*s  %-*s  %9s  %9s  %s\n", w, "artifact", fw, "format", pw, "precision", "size",
                  "vs source", "check");
    for (int i = 0; i < r->n_artifacts; i++) {
        const ReportArtifact *a = &r->artifacts[i];
        char ratio[32] = "-";
        if (r->source_bytes > 0 && a->bytes > 0)
            snprintf(ratio, sizeof ratio, "%.2fx", (double)a->bytes / (double)r->source_bytes);
        char size[32];
        snprintf(size, sizeof size, "%.1f MB", report_mib(a->bytes));
        char delta[48] = "";
        if (a->max_abs_delta >= 0) snprintf(delta, sizeof delta, " max |Δ| %.2g", a->max_abs_delta);
        int pad = w - textwidth_str(a->path);
        char acc[160] = "";
        if (a->accuracy) snprintf(acc, sizeof acc, "%s%s", delta[0] ? ", " : " ", a->accuracy);
        strbuf_printf(&b, "  %s%*s  %-*s  %-*s  %9s  %9s  %s %s%s%s\n", a->path, pad > 0 ? pad : 0, "", fw, a->format,
                      pw, a->precision.text, size, ratio, check_status_mark(a->status), artifact_status_word(a->status),
                      delta, acc);
        if (a->built_on) strbuf_printf(&b, "    built on %s\n", a->built_on);
    }
    for (int i = 0; i < r->n_checks; i++) {
        const ReportCheck *c = &r->checks[i];
        strbuf_printf(&b, "  %s check %s: %s%s%s\n", check_status_mark(c->status), c->name,
                      check_status_word(c->status), c->detail[0] ? ", " : "", c->detail);
    }
    return b.p ? b.p : xstrdup("");
}

/* The MODEL and FMT lists come from the registry's table. */
static void usage(FILE *out)
{
    char fmt[1024];
    fprintf(out, "usage: yoloport export model=MODEL format=FMT [key=value ...]\n");
    cli_wrap(out, "  MODEL  ", registry_sources_text(), 80);
    snprintf(fmt, sizeof fmt, "%s (see `yoloport matrix --here` for every format)", registry_writable_text());
    cli_wrap(out, "  FMT    ", fmt, 80);
    fprintf(out, "  keys   imgsz batch half dynamic simplify opset nms conf iou max_det agnostic_nms verify ...\n"
                 "  tools  engine through trtexec (workspace, min_shape/opt_shape/max_shape, device=dla:N);\n"
                 "         coreml paddle imx rknn through yolo export; backend=ultralytics|ovc|pnnx|mnnconvert;\n"
                 "         host=user@box or a host.NAME of the config file runs the tool there over ssh\n"
                 "  threads=N  the threads the check's two sides, INT8 calibration and its val run on\n"
                 "example: yoloport export model=yolov8n.pt format=onnx half=True\n");
}

int cli_export(int argc, char **argv)
{
    if (argc == 0 || (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))) {
        usage(argc == 0 ? stderr : stdout);
        return argc == 0 ? 2 : 0;
    }
    /* threads=N is yoloport's own (the peer's exporter has no such key): the threads the
     * check's two sides, INT8 calibration and its val each run on */
    int threads = 0, kept = 0;
    CliArg threads_arg = {"threads", CA_THREADS, &threads, false};
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "threads=", 8) != 0) rest[kept++] = argv[i];
        else if (cli_arg_set(&threads_arg, argv[i] + 8, "export") != 0) {
            free(rest);
            return 2;
        }
    }
    ExportArgs args;
    export_args_init(&args);
    ExportMsgs msgs;
    export_msgs_clear(&msgs);
    int rc = export_args_parse_argv(&args, kept, rest, &msgs);
    free(rest);
    for (int i = 0; i < msgs.n; i++) {
        const ExportMsg *m = &msgs.items[i];
        FILE *out = m->level == EXPORT_MSG_ERROR ? stderr : stdout;
        textwidth_fputs(export_msg_prefix(m->level), 0, out); /* LANG=C: its symbol in ASCII */
        textwidth_fputs(m->text, TEXTWIDTH_KEEP_NEWLINE, out); /* quotes the arguments as given */
        fputc('\n', out);
    }
    if (rc != 0) return 2;
    if (export_args_is_none(&args, EXPORT_KEY_MODEL) || !args.model[0]) {
        fprintf(stderr, "yoloport: no model given: add model=FILE (a .pt checkpoint, or a config such as "
                        "yolov8n.yaml)\n");
        return 2;
    }

    bool color = cli_color_enabled(stdout);
    ExportRun *run = export_run_new(&args, color);
    run->threads = threads;
    if (!export_args_is_none(&args, EXPORT_KEY_HOST) && args.host[0]) { /* a host named in the config file */
        RemoteHosts *hosts = xcalloc(1, sizeof *hosts);
        char err[512];
        int hrc = config_load_hosts(hosts, err, sizeof err);
        if (hrc != 0) fprintf(stderr, "yoloport: %s\n", err);
        if (hrc != 0 || export_run_set_host(run, hosts, err, sizeof err) != 0) {
            if (hrc == 0) fprintf(stderr, "yoloport: %s\n", err);
            free(hosts);
            export_run_free(run);
            return 2;
        }
        free(hosts);
    }
    JobRunnerOptions ro = {.workers = 1};
    JobRunner *runner = jobs_new(&ro);
    Job *job = export_submit(runner, run);

    int stop_sig;
    JobState st = cli_wait_job(job, print_line, run, &stop_sig);

    if (run->report.n_artifacts > 0) {
        char *text = cli_report_text(&run->report, color);
        printf("\n");
        textwidth_fputs(text, TEXTWIDTH_KEEP_NEWLINE | TEXTWIDTH_KEEP_COLOUR, stdout);
        free(text);
    }
    fflush(stdout);
    int status;
    if (st == JOB_CANCELLED || run->status == EXPORT_CANCELLED) {
        fprintf(stderr, "yoloport: export cancelled; nothing was written\n");
        status = stop_sig ? 128 + stop_sig : 1; /* Ctrl-C: 130, as the workbench */
    } else if ((run->status == EXPORT_OK || run->status == EXPORT_UNCHECKED) && st == JOB_DONE) {
        status = 0;
    } else {
        fputs("yoloport: ", stderr);
        textwidth_fputs(run->error[0] ? run->error : "export failed", 0, stderr);
        fputc('\n', stderr);
        status = 1;
    }
    jobs_free(runner);
    export_run_free(run);
    return status;
}
