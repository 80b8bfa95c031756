/* cli_benchmark: `yoloport benchmark model=M [data=] [imgsz=] [half=] [int8=] [format=a,b,...]
 * [runtime=] [warmup=2 runs=10 reuse=True project= name=] [host=]` -- the peer's `yolo benchmark`:
 * every format this build produces (or those named) exported or reused, checked, timed in its
 * own runtime on this host and validated on `data` (TensorRT: built and timed by trtexec, here
 * or, with format=engine host=, on that host); the log as it goes, then the peer's table with
 * yoloport's columns after it, the notes and the host stamp; the results written as CSV, JSON
 * and Markdown.  Exit status: 0 when the benchmark ran (rows may show ❌ or ❎), 1 when it could
 * not run at all, 2 on a usage error. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/bench/bench.h"
#include "engine/core/util.h"
#include "engine/registry/registry.h"
#include "tui/cli.h"
#include "tui/cli_args.h"
#include "tui/config.h"

static void print_line(const JobLogLine *line, void *user)
{
    (void)user;
    cli_printf(stdout, "%s", line->text); /* quotes the model's names and paths */
    fputc('\n', stdout);
    fflush(stdout);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: yoloport benchmark model=MODEL [data=DATASET.yaml] [key=value ...]\n");
    cli_wrap(out, "  MODEL  ", registry_sources_text(), 80);
    fprintf(out, "  keys   imgsz=640 half=False int8=False dynamic=True format=onnx,openvino (default: every format)\n"
                 "         runtime=auto|builtin|onnxruntime[:PATH] warmup=2 runs=10 reuse=True project= name=\n"
                 "         threads=N (threads each runtime runs one image on; default every core)\n"
                 "         host=user@box (with format=engine: trtexec builds and times the engine there)\n"
                 "example: yoloport benchmark model=yolov8n.pt data=coco8.yaml\n");
}

int cli_benchmark(int argc, char **argv)
{
    if (argc == 0 || (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))) {
        usage(argc == 0 ? stderr : stdout);
        return argc == 0 ? 2 : 0;
    }
    static BenchArgs a;
    bench_args_init(&a);
    static char host[CLI_ARG_STR], formats[CLI_ARG_STR], runtime[CLI_ARG_STR], model[CLI_ARG_STR], data[CLI_ARG_STR],
        project[CLI_ARG_STR], name[CLI_ARG_STR];
    host[0] = formats[0] = runtime[0] = model[0] = data[0] = project[0] = name[0] = '\0';
    int imgsz[2] = {0, 0};
    CliArg spec[] = {
        {"model", CA_STR, model, false},    {"data", CA_STR, data, false},       {"imgsz", CA_IMGSZ, imgsz, false},
        {"half", CA_BOOL, &a.half, false},  {"int8", CA_BOOL, &a.int8, false},   {"format", CA_STR, formats, false},
        {"dynamic", CA_BOOL, &a.dynamic, false},
        {"runtime", CA_STR, runtime, false}, {"host", CA_STR, host, false},      {"warmup", CA_INT, &a.warmup, false},
        {"runs", CA_INT, &a.runs, false},   {"reuse", CA_BOOL, &a.reuse, false}, {"project", CA_STR, project, false},
        {"name", CA_STR, name, false},      {"threads", CA_THREADS, &a.threads, false},
    };
    if (cli_args_parse(spec, (int)ARRAY_LEN(spec), NULL, NULL, 0, argc, argv, "benchmark") != 0) return 2;
    if (!model[0]) {
        cli_printf(stderr, "yoloport benchmark: no model given: add model=FILE (a .pt checkpoint, ...)\n");
        return 2;
    }
    if (imgsz[0] != imgsz[1]) {
        cli_printf(stderr, "yoloport benchmark: benchmark() requires a square imgsz: use imgsz=%d\n",
                imgsz[0] > imgsz[1] ? imgsz[0] : imgsz[1]);
        return 2;
    }
    char err[1024];
    int ids[64], id;
    int n_ids = formats[0] ? bench_parse_formats(formats, ids, 64, err, sizeof err) : 0;
    if (n_ids < 0) {
        cli_printf(stderr, "yoloport benchmark: %s\n", err);
        return 2;
    }
    if (host[0]) { /* only the TensorRT row runs elsewhere: trtexec builds and times the engine there */
        bool engine_only = n_ids > 0;
        for (int i = 0; i < n_ids; i++) engine_only &= ids[i] == FMT_ENGINE;
        if (!engine_only) {
            cli_printf(stderr, "yoloport benchmark: host=%s: benchmarking on another machine is not available for the "
                            "formats yoloport runs itself (run yoloport there); host= builds and times the TensorRT "
                            "engine there: add format=engine\n", host);
            return 2;
        }
        RemoteHosts *hosts = xcalloc(1, sizeof *hosts);
        int hrc = config_load_hosts(hosts, err, sizeof err);
        if (hrc == 0) hrc = remote_resolve(hosts, host, &a.host, err, sizeof err);
        free(hosts);
        if (hrc != 0) {
            cli_printf(stderr, "yoloport benchmark: %s\n", err);
            return 2;
        }
        a.remote = true;
    }
    if (runtime[0] && runtime_parse_spec(runtime, &id, NULL, 0, err, sizeof err) != 0) {
        cli_printf(stderr, "yoloport benchmark: %s\n", err);
        return 2;
    }
    if (a.runs < 1 || a.runs > 10000 || a.warmup > 10000) {
        cli_printf(stderr, "yoloport benchmark: runs must be 1..10000 and warmup 0..10000\n");
        return 2;
    }
    snprintf(a.model, sizeof a.model, "%s", model);
    snprintf(a.data, sizeof a.data, "%s", data);
    snprintf(a.formats, sizeof a.formats, "%s", formats);
    snprintf(a.runtime, sizeof a.runtime, "%s", runtime);
    snprintf(a.project, sizeof a.project, "%s", project);
    snprintf(a.name, sizeof a.name, "%s", name);
    a.imgsz = imgsz[0];

    JobRunnerOptions ro = {.workers = 1};
    JobRunner *runner = jobs_new(&ro);
    BenchRun *run = bench_run_new(&a);
    Job *job = bench_submit(runner, run);
    int stop_sig;
    JobState st = cli_wait_job(job, print_line, NULL, &stop_sig);
    int status = 0;
    if (st == JOB_CANCELLED) {
        cli_printf(stderr, "yoloport benchmark: cancelled\n");
        status = stop_sig ? 128 + stop_sig : 1; /* Ctrl-C: 130, as the workbench */
    } else if (st != JOB_DONE) {
        cli_printf(stderr, "yoloport benchmark: %s\n", run->error[0] ? run->error : "failed");
        status = 1;
    } else {
        char *t = bench_table_text(&run->result, true);
        cli_printf(stdout, "\n%s", t);
        free(t);
        if (run->result.dir[0])
            printf("Results saved to %s (benchmarks.csv, benchmarks.json, benchmarks.md, benchmarks.log)\n", run->result.dir);
    }
    jobs_free(runner);
    bench_run_free(run);
    return status;
}
