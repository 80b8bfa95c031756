/* export: the export pipeline — `yoloport export model=yolov8n.pt format=onnx ...` as a Job.
 *
 * The pipeline reads the model once (model_load), runs the peer's argument checks
 * (engine/export/export_args.h) against its facts as soon as it is read (LoadOptions.decide)
 * and logs their warnings, builds and fuses it once at the effective imgsz/batch/dynamic,
 * then calls the format's writer stage from the registry (engine/registry/registry.h) with an
 * ExportCtx.  A stage writes its artifact to a temporary name beside the destination and
 * renames it into place only when it is complete (engine/core/fileio.h): on failure or cancel
 * nothing is left behind and an existing file of the same name is untouched.  The log lines
 * are the peer's (PyTorch:/ONNX: prefixes, sizes in MB, "Export complete", the
 * Predict/Validate hints), so users and their scripts recognise them.
 *
 * Call order (CLI or workbench thread):
 *   ExportRun *run = export_run_new(&args, color);   args as parsed (not yet validated)
 *   Job *job = export_submit(runner, run);           the run must outlive the job
 *   job_wait(job, ...) / events ...                  log lines stream through the job
 *   run->status, run->report, run->last_path, run->error   read once the job finished
 *   export_run_free(run);
 */
#ifndef YOLOPORT_EXPORT_H
#define YOLOPORT_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/export/export_args.h"
#include "engine/core/graph.h"
#include "engine/jobs/jobs.h"
#include "engine/registry/model.h"
#include "engine/export/report.h"
#include "engine/registry/registry.h"

/* What a writer stage gets.  Everything is owned by the pipeline; a stage may read it all,
 * must not modify `source` (clone it with export_graph_clone before rewriting), and fills
 * the `out_*` fields. */
struct ExportCtx {
    Job *job;                     /* log, progress, cancel flag, temp registry, results */
    const ExportArgs *args;       /* effective values (after the peer's coercions) */
    const ExportArgs *given;      /* as the user gave them (None stays None: metadata 'args') */
    const FormatInfo *fmt;        /* the row being written */
    const Graph *source;          /* the loaded, fused model at the effective imgsz/batch/dynamic */
    const char *model_path;       /* the model= value as given */
    const char *out_base;         /* artifact base path without suffix: "dir/yolov8n" next to a .pt
                                     (as given: relative stays relative), "yolov8n" in the CWD for
                                     a config */
    const char *pretty_name;      /* "YOLOv8n" for descriptions */
    int64_t source_bytes;         /* size of the model file (0 for a config) */
    bool color;                   /* log lines may carry colour codes */
    Report *report;               /* the stage adds its artifact and checks */
    const char *runtime;          /* runtime= for the check: NULL or "" (auto: the format's own runtime
                                     when the host has it), "builtin", or "NAME[:PATH]" */
    const struct RemoteHost *host; /* host=: where a tool-driven stage runs its tools; NULL here */
    int threads;                  /* threads each side of the check runs on (the source and the
                                     written model run at once); 0: half the cores each */
    /* set by the stage */
    char out_path[4096];          /* the artifact written (as printed) */
    double seconds;               /* the stage's own time (start line to written) */
    CheckStatus status;           /* worst check status of the artifact */
    bool nested;                  /* a stage run inside another (Edge TPU's TF Lite stage): its commits
                                     do not take the job's commit point, the outer stage's do, so a
                                     cancel still stops the outer stage's tool */
};
typedef struct ExportCtx ExportCtx;

typedef enum {
    EXPORT_OK,             /* every artifact written and checked: exit 0 */
    EXPORT_CHECK_FAILED,   /* written, but a check failed (❎): exit 1, the file stays */
    EXPORT_FAILED,         /* nothing written (❌): exit 1 */
    EXPORT_CANCELLED,      /* nothing written: exit 1 */
    EXPORT_UNCHECKED,      /* written, but its check against the source did not run (verify=False, or
                              nothing on this host runs the format): shown "–", never as passed; exit 0 */
} ExportStatus;

typedef struct {
    ExportArgs args;       /* as given */
    bool color;            /* colour codes in log lines (CLI on a tty without NO_COLOR) */
    char runtime[4200];    /* the check's runtime= ("" auto); set by the caller after export_run_new */
    int threads;           /* the check's threads per side (ExportCtx.threads); 0 default; set likewise */
    struct RemoteHost *host; /* host= resolved (export_run_set_host), NULL: none or not yet */
    /* results, valid once the job has finished */
    ExportStatus status;
    Report report;
    char last_path[4096];  /* the last artifact written, "" when none */
    char error[1024];      /* the failing stage's error, "" when none */
    int model_loads;       /* times the model file was read and built: 1 (once, at the
                              effective imgsz; the tests hold the pipeline to it) */
} ExportRun;

/* A run for args (copied).  Never NULL. */
ExportRun *export_run_new(const ExportArgs *args, bool color);

/* Resolve the run's host= against the hosts of the config file (configured may be NULL: a
 * literal user@box only) before it is submitted.  0 (also when no host= is given), or -1 +
 * a message.  A run submitted without it resolves host= as a literal. */
struct RemoteHosts;
int export_run_set_host(ExportRun *run, const struct RemoteHosts *configured, char *err, size_t errlen);
void export_run_free(ExportRun *run);

/* Queue the run as a job titled "export <model> format=<fmt>".  The runner does not own
 * run (the caller frees it after the job has finished). */
Job *export_submit(JobRunner *runner, ExportRun *run);

/* The job body (exposed for tests that drive a Job directly): user is an ExportRun *. */
int export_job_body(Job *job, void *user, char *err, size_t errlen);

/* Output base path for a model path: "a/b/yolov8n.pt" -> "a/b/yolov8n"; a .yaml/.yml
 * config (or a bare config name) -> its stem alone (the CWD).  Heap string. */
char *export_out_base(const char *model_path);

/* Where an export of model under a (effective args: export_args_validate) to fi goes, without
 * its suffix: project/<stem> when project= is given, else beside the model as
 * export_out_base says; the stem is name= (but for RKNN, whose name= is the chip) or the
 * model's.  fi may be NULL (name= then counts).  Heap string. */
char *export_out_base_for(const char *model, const ExportArgs *a, const FormatInfo *fi);

/* What follows the base name in the artifact's name: the format's suffix, or with int8=True
 * the peer's int8 names ("_int8.onnx", "_int8_openvino_model").  Static string. */
const char *export_suffix(const FormatInfo *fi, const ExportArgs *a);

/* The file or folder that export replaces when it commits: export_out_base_for + export_suffix,
 * the _saved_model folder for TF Lite (its .tflite files live there).  Heap string. */
char *export_replaced_path(const char *model, const ExportArgs *a, const FormatInfo *fi);

/* A shallow copy of g that passes may rewrite: tensors, nodes (inputs, outputs and
 * attributes deep-copied), modules, inputs, outputs and metadata are the clone's own;
 * tensor *data* and strings are shared with g, so g must outlive the clone and nothing may
 * write into shared data in place (the export passes allocate new data instead). */
Graph *export_graph_clone(const Graph *g);

/* The writer stages, each the `write` of its row in engine/registry/registry.c (shared parts in
 * engine/export/export_stage.h):
 *   ONNX         engine/export/export_onnx.c         <stem>.onnx
 *   TorchScript  engine/export/export_torchscript.c  <stem>.torchscript (metadata in extra/config.txt)
 *   OpenVINO     engine/export/export_openvino.c     <stem>_openvino_model/ (.xml, .bin, metadata.yaml)
 *   TF.js        engine/export/export_tfjs.c         <stem>_web_model/ (model.json, shards, metadata.yaml)
 *   TF Lite      engine/export/export_tflite.c       <stem>_saved_model/<stem>_float32.tflite (or _float16)
 *   SavedModel   engine/export/export_saved_model.c  <stem>_saved_model/ (saved_model.pb, variables/, metadata.yaml,
 *                                                    the TF Lite files; shared with TF Lite: export_tf.c)
 *   GraphDef     engine/export/export_pb.c           <stem>.pb
 *   MNN          engine/export/export_mnn.c          <stem>.mnn (metadata as bizCode JSON)
 *   NCNN         engine/export/export_ncnn.c         <stem>_ncnn_model/ (model.ncnn.param/.bin, metadata.yaml) */
int export_onnx_stage(struct ExportCtx *ctx, char *err, size_t errlen);
int export_torchscript_stage(struct ExportCtx *ctx, char *err, size_t errlen);
int export_openvino_stage(struct ExportCtx *ctx, char *err, size_t errlen);
int export_tfjs_stage(struct ExportCtx *ctx, char *err, size_t errlen);
int export_tflite_stage(struct ExportCtx *ctx, char *err, size_t errlen);
int export_saved_model_stage(struct ExportCtx *ctx, char *err, size_t errlen);
int export_pb_stage(struct ExportCtx *ctx, char *err, size_t errlen);
int export_mnn_stage(struct ExportCtx *ctx, char *err, size_t errlen);
int export_ncnn_stage(struct ExportCtx *ctx, char *err, size_t errlen);

/* The peer's metadata dict for ctx, in the peer's key order, as metadata_props strings
 * (str(v) of each value), into g->meta.props (replacing any there).  format_keys_text is
 * the format's peer_args ("batch, dynamic, half, opset, simplify, nms"). */
void export_set_metadata(Graph *g, const ExportCtx *ctx);

#endif
