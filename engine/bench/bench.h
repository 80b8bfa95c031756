/* bench: `yolo benchmark` for yoloport -- for every format this build produces (or those
 * named), export the model (or reuse an artifact written from the same source and arguments:
 * engine/bench/provenance.h), check it against the source in the runtime it will run in, time
 * its inference in the format's own runtime on this host (warm-up runs, then the median of the
 * timed runs; ms per image and FPS), and with a dataset run val on it (batch 1, conf 0.001, as
 * the peer's benchmark does).  Formats this build cannot produce get ❌ and the reason, as the
 * peer shows them; a format written but that nothing here can run (or whose check fails) gets ❎.
 * The results carry a host stamp (engine/bench/hoststamp.h) and are written as CSV, JSON and
 * Markdown beside a copy of the printed table.
 *
 * Unlike the peer, whose benchmark exports static models (validated on a square letterbox while
 * the .pt gets rect batches, so that on coco8 yolov8n's ONNX scores 0.609 against the .pt's
 * 0.638 with identical numerics), formats that take `dynamic` are exported with dynamic=True by
 * default and validated as their source is; dynamic=False gives the peer's artifacts.
 *
 * TensorRT (format=engine) is the one row yoloport neither writes nor runs itself: trtexec
 * builds the engine (engine/tools/trt.h), on this host or on BenchArgs.host, and times it
 * there with `trtexec --loadEngine` (ms/image: its GPU compute time, the median).  Its outputs
 * are not compared (no max |Δ|, no mAP: with a dataset the row is ❎ and says why); without
 * trtexec or an NVIDIA GPU the row is ❌ and names what is missing.
 *
 * The same engine measures artifacts already written (the workbench's :benchmark on the
 * Compare screen): BenchArgs.artifacts instead of formats.
 *
 * A benchmark is a Job (engine/jobs): every export runs as a job of its own on a private
 * runner, its log lines forwarded into the benchmark's, and cancelling the benchmark cancels
 * the export in flight.  Call order as for exports:
 *   BenchRun *run = bench_run_new(&args);  Job *job = bench_submit(runner, run);
 *   job_wait / events ...  run->result (once finished) ...  bench_run_free(run). */
#ifndef YOLOPORT_BENCH_H
#define YOLOPORT_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/bench/hoststamp.h"
#include "engine/jobs/jobs.h"
#include "engine/remote/remote.h"

#define BENCH_MAX_ARTIFACTS 32

typedef struct {
    char model[4096];        /* the source model (a .pt, or anything the registry reads) */
    char data[4096];         /* dataset yaml for val; "" none */
    int imgsz;               /* 0: the model's default */
    bool half, int8;
    bool dynamic;            /* export with dynamic axes where the format takes them (default true): such
                                artifacts are validated with the rect letterbox their source gets, so the
                                mAP column compares numerics, not the val loader's padding; false: the
                                peer's static artifacts, validated on the square letterbox */
    char formats[512];       /* "onnx,openvino" (format= arguments or aliases; "pt" for the source); "" all */
    char runtime[4200];      /* runtime= for every row: "" auto, "builtin", "onnxruntime[:PATH]" */
    int threads;             /* threads= for every runtime (RuntimeOpenOptions.threads); 0: every core */
    int warmup;              /* untimed runs first (default 2) */
    int runs;                /* timed runs, the median is kept (default 10) */
    bool reuse;              /* reuse artifacts written from the same source and arguments (default true) */
    bool write_files;        /* write the CSV/JSON/Markdown files (default true) */
    char project[4096];      /* the files go to project/name: default runs/benchmark/<model stem> */
    char name[256];
    char artifacts[BENCH_MAX_ARTIFACTS][4096]; /* measure these (no export); n_artifacts > 0 */
    int n_artifacts;
    bool remote;             /* host= given: the TensorRT row's engine is built and timed there
                                (the rows yoloport runs itself run here; callers ask for the
                                TensorRT row alone) */
    RemoteHost host;         /* host= resolved (engine/remote/remote.h), when remote */
} BenchArgs;

void bench_args_init(BenchArgs *a);

typedef enum {
    BENCH_OK,           /* ✅ exported, checked, timed (and validated with data) */
    BENCH_NOT_VALIDATED,/* ❎ written, but its check failed or nothing here runs it */
    BENCH_FAILED,       /* ❌ not exported (this build has no writer, or the export failed) */
} BenchStatus;

typedef struct {
    int format;              /* FormatId (FMT_NONE for an artifact not recognised) */
    char name[64];           /* the peer's Format column: "ONNX" */
    BenchStatus status;
    double size_mb;          /* MiB as the peer's file_size; < 0 none */
    double map;              /* metrics/mAP50-95(B) (or the task's metric); < 0 none */
    double ms;               /* inference ms/image (median); < 0 none */
    double fps;              /* round(1000 / (ms + 1e-3), 2); < 0 none */
    char runtime[128];       /* "onnxruntime 1.30.0", "yoloport executor"; "" none */
    char precision[64];      /* weights as stored: "fp32", "fp16", ... */
    double max_delta;        /* max |Δ| of output0 against the source on the fixed input; < 0 none */
    double export_s;         /* export time; < 0 when reused or not exported */
    bool reused;
    bool square;             /* validated on square letterboxes (a fixed-shape model), not the
                                rectangular ones the source gets */
    char path[4096];         /* the artifact */
    char note[1024];         /* why ❌/❎, or how it was reused */
} BenchRow;

typedef struct {
    BenchRow *rows;
    int n;
    HostStamp stamp;
    char model[4096], data[4096];
    int imgsz;
    char metric[64];         /* "metrics/mAP50-95(B)" */
    double source_square_map;/* the source validated on the square letterboxes fixed-shape rows
                                get (their like-for-like figure); < 0 when no row needed it */
    double seconds;
    char dir[4096];          /* where the files went ("" when not written) */
} BenchResult;

typedef struct {
    BenchArgs args;
    BenchResult result;      /* valid once the job finished */
    char error[1024];        /* why the benchmark could not run at all, "" otherwise */
} BenchRun;

/* A run for args (copied).  Never NULL. */
BenchRun *bench_run_new(const BenchArgs *args);
void bench_run_free(BenchRun *run);
/* Queue it as a job titled "benchmark <model>"; the runner does not own run. */
Job *bench_submit(JobRunner *runner, BenchRun *run);
/* The job body (user: a BenchRun *). */
int bench_job_body(Job *job, void *user, char *err, size_t errlen);

/* The legend and the peer's table ("Format  Status❔  Size (MB)  metrics/mAP50-95(B)  Inference
 * time (ms/im)  FPS", index first, '-' for none) with yoloport's columns after it (Runtime,
 * Precision, max |Δ|, Export (s)) when ours, then one line per row with a note.  Columns are
 * aligned by display width.  Heap string. */
char *bench_table_text(const BenchResult *r, bool ours);

/* The results as CSV, JSON (rows and host stamp) and Markdown into dir (created), written
 * atomically: benchmarks.csv, benchmarks.json, benchmarks.md, benchmarks.log (the table).
 * 0, or -1 + message. */
int bench_write_files(const BenchResult *r, const char *dir, char *err, size_t errlen);

/* Parse a formats= list into registry ids (out, at most max); "pt"/"pytorch"/"-" is the source
 * row.  The count, or -1 + message naming the unknown word (with the closest format). */
int bench_parse_formats(const char *list, int *out, int max, char *err, size_t errlen);

#endif
