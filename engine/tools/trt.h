/* trt: NVIDIA TensorRT through its command-line builder, trtexec -- the exact command lines
 * (flags by TensorRT version), the build (engine/tools/trt_stage.c, the engine row's
 * drive_tool), the INT8 calibration-cache hook, and timing an engine with
 * `trtexec --loadEngine` for `benchmark`.
 *
 * The flags, in this order:
 *   trtexec --onnx=<stem>.onnx --saveEngine=<stem>.engine
 *     [--minShapes=images:1x3x32x32 --optShapes=images:BxCxHxW --maxShapes=images:BxCx2Hx2W]
 *                                                 dynamic=True (the peer's profile, or the
 *                                                 min/opt/max_shape arguments)
 *     [--fp16]                                    half=True
 *     [--int8 --calib=<stem>.cache]               int8=True, the cache from our calibration
 *     [--memPoolSize=workspace:<MiB>]             workspace=<GiB>, TensorRT >= 8.5
 *     [--workspace=<MiB>]                         workspace=<GiB>, TensorRT < 8.5
 *     [--useDLACore=N --allowGPUFallback]         device=dla:N
 *     [--device=N]                                device=N, N > 0
 *     [--timingCacheFile=<cache>]                 the persistent per-GPU timing cache
 *     [--verbose]                                 verbose=True
 * workspace=None (or 0) passes no workspace flag: TensorRT sizes it itself. */
#ifndef YOLOPORT_TRT_H
#define YOLOPORT_TRT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/export/export.h"
#include "engine/jobs/jobs.h"
#include "engine/remote/remote.h"

typedef struct {
    int version[3];            /* TensorRT on the build host; {0,0,0}: unknown, flags for >= 8.5 */
    const char *onnx;          /* "yolov8n.onnx" */
    const char *engine;        /* "yolov8n.engine" */
    const char *input_name;    /* "images" */
    bool half, int8, dynamic, verbose;
    double workspace_gib;      /* <= 0: None */
    int min[4], opt[4], max[4];/* the dynamic profile (dynamic only) */
    int dla_core;              /* -1: none */
    int device;                /* GPU index */
    const char *calib_cache;   /* int8: the calibration cache file */
    const char *timing_cache;  /* NULL: none */
} TrtBuildSpec;

/* The trtexec argument vector for spec (see above), NULL-terminated; free with
 * remote_argv_free (engine/remote/remote.h). */
char **trt_build_argv(const TrtBuildSpec *spec);

/* device= as the user gave it: "dla:1" -> *dla 1 (*gpu 0); "1", "cuda:1", "0,1" -> *gpu the
 * first listed (*dla -1); None -> 0, -1. */
void trt_device_of(const ExportArgs *given, int *gpu, int *dla);

/* The spec an export makes: effective args a (given: as typed, for device=), the build
 * host's facts (NULL: unknown, current flags), the model's channels, the work-directory
 * names and the timing cache (may be NULL).  The strings are borrowed. */
void trt_spec_for_export(TrtBuildSpec *spec, const ExportArgs *a, const ExportArgs *given, const ToolFacts *facts,
                         int channels, const char *onnx_name, const char *engine_name, const char *timing_cache);

/* workspace in GiB as trtexec's MiB: round(gib * 1024); 0 for None / <= 0. */
long trt_workspace_mib(double gib);

/* TensorRT's version as its NV_TENSORRT_VERSION number (10.3.0 -> 100300, 8.6.1 -> 8601;
 * 0 when unknown): the calibration cache's first line carries it. */
long trt_version_number(const int trt[3]);

/* Write the INT8 calibration cache trtexec's --calib reads (a "TRT-<version>-EntropyCalibration2"
 * line, then one "<tensor>: <scale as 8 hex digits>" line per float tensor, scales symmetric as
 * TensorRT takes them) for the ONNX at onnx_path, from yoloport's INT8 calibration on st's
 * data= (engine/export/export_int8.h: the peer's log lines, progress and cancel in st's job),
 * to cache_path.  trt: TensorRT's major, minor, patch.  0 or -1 + a message. */
struct ExportStage;
int trt_calib_cache_write(struct ExportStage *st, const char *onnx_path, const int trt[3], const char *cache_path,
                          char *err, size_t errlen);

/* ---- benchmark ---------------------------------------------------------------------- */

typedef struct {
    const char *shapes;        /* "images:1x3x640x640" for a dynamic engine; NULL: none */
    int warmup_ms;             /* --warmUp (0: trtexec's default) */
    double duration_s;         /* --duration (0: trtexec's default) */
    int iterations;            /* --iterations (0: trtexec's default) */
    bool use_cuda_graph;       /* --useCudaGraph */
    bool no_data_transfers;    /* --noDataTransfers */
} TrtBenchOptions;

typedef struct {
    bool have_latency;         /* the "GPU Compute Time" line was read */
    double min_ms, max_ms, mean_ms, median_ms, p99_ms;
    double throughput_qps;     /* "Throughput: N qps" (0 when absent) */
    char host[128];            /* where it ran: "this host" or the remote host's name */
    char tensorrt[32];         /* TensorRT version there */
    char gpu[256];             /* the GPU summary there */
    char command[2048];        /* the exact command that ran */
} TrtBenchResult;

/* Time an engine (a file with the peer's header, or a bare plan) with trtexec --loadEngine
 * on this host (host NULL) or on host, streamed into job's log like every tool step.  The
 * header is stripped to a temporary plan first when there is one.  0 and *out filled, or
 * -1 + a message ("not available on this host: trtexec is not on PATH ..."). */
int trt_benchmark(Job *job, const char *engine_path, const RemoteHost *host, const TrtBenchOptions *opt,
                  TrtBenchResult *out, char *err, size_t errlen);

/* Parse trtexec's performance summary lines into *out (fields found are set).  Exposed for
 * tests.  Returns the number of figures read. */
int trt_parse_performance(const char *line, TrtBenchResult *out);

/* What a host lacks for TensorRT, from its facts: "" when it has trtexec and an NVIDIA GPU,
 * else "trtexec is not on PATH (...)" and/or "no NVIDIA GPU (nvidia-smi ...)".  Returns buf. */
const char *trt_missing(const ToolFacts *f, char *buf, size_t len);

#endif
