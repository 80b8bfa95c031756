/* export_stage: what every writer stage (engine/export_<format>.c) shares — the peer's
 * "starting export" line, the output path and the refusal to overwrite the model, the graph
 * the writer gets (a private clone with the peer's input/output names, dynamic axis names
 * and in-graph NMS), temporaries that the job removes on failure or cancel, committing a
 * file or a directory into place, the numeric check against the source model (the written
 * model, read back, is first compared with the source node for node (graph_equiv): when
 * it is the source's graph, it computes the source's outputs and nothing needs to run;
 * otherwise the source and the written model run side by side on the same fixed input and
 * their outputs are compared channel by channel, NMS rows against the peer's NMSModel in
 * C), the report's artifact, and the metadata as JSON for the formats that store it that
 * way.
 *
 * A stage's life:
 *   ExportStage st;
 *   export_stage_begin(&st, ctx, "TorchScript", true) before any file work
 *   export_stage_log_start(&st, "torch yoloport-%s", v) "\nTorchScript: starting export with ..."
 *   export_stage_out_path(&st, ".torchscript", ...)     ctx->out_path
 *   Graph *g = export_stage_graph(&st, ...)             names, dynamic axes, nms
 *   export_stage_temp_dir(&st, ...)                     write in st.temp_dir, check it
 *   export_stage_numeric(&st, readback, ...)            report check "numeric"
 *   export_stage_commit_file / _commit_dir(&st, ...)    into place (old output replaced now)
 *   export_stage_done(&st, status, &precision, worst)   ctx->seconds/status, report artifact
 *   export_stage_end(&st, rc)                           always: joins the source run, removes
 *                                                       whatever temporary is left
 * The success/failure lines are the pipeline's (engine/export/export.c), not the stage's. */
#ifndef YOLOPORT_EXPORT_STAGE_H
#define YOLOPORT_EXPORT_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/export/export.h"
#include "engine/passes/passes.h"

struct json_object;

/* One output of a run, float32, row-major. */
typedef struct {
    float *data;
    int64_t dims[GRAPH_MAX_RANK];
    int rank;
    int64_t n;
} StageOutput;

typedef struct ExportStageSource ExportStageSource; /* the source run (export_stage.c) */

typedef struct ExportStage {
    ExportCtx *ctx;
    const char *label;       /* "TorchScript": progress labels */
    char prefix[64];         /* "TorchScript:" as logged (colour codes when ctx->color) */
    double t0;
    char *temp_dir;          /* a registered temporary directory, NULL when none */
    bool numeric;            /* the stage will call export_stage_numeric, and verify=True */
    ExportStageSource *src;  /* the source run, once started (NULL when none or over) */
    const char *run_path;    /* the written artifact as the format's own runtime opens it (its temporary),
                                set by a stage before export_stage_numeric: the check then runs in that
                                runtime when the host has it (registry row's `run`); NULL: not tried */
    const char *suffix;      /* the suffix export_stage_out_path put after ctx->out_base */
    CheckStatus check;       /* what export_stage_numeric said (CHECK_SKIPPED until then) */
    bool replace_logged;     /* export_stage_final_path said which earlier artifact goes */
    const Graph *reference;  /* NULL, or what the numeric check compares with instead of the
                                source: the source as a lossy storage (int8 weights) made it, set
                                by the stage (it owns the graph; within 1e-4 per channel) */
    bool int8_steps;         /* the numeric check compares an INT8 model in 8-bit steps of each
                                output channel's range (max(1, max |ref|) / 255): it passes when
                                the mean |Δ| of every channel is within one step.  Two runtimes
                                (or two graphs) that round a value lying on a rounding boundary
                                differently give it one step apart, and such flips grow through
                                the layers after it, so single values may differ by more: the
                                check line says how many are within one step, and the max |Δ| */
    double map, map_ref;     /* an INT8 artifact's accuracy check (engine/export/export_int8.h):
                                its mAP50-95 and the source's on the same images; negative when
                                none, else export_stage_done gives them to the report's artifact */
    const char *map_data;    /* what they were measured on ("coco8.yaml val, 4 images"), static
                                or owned by the stage's caller until export_stage_done */
} ExportStage;

/* Start a stage for ctx (label: the format's display name, a static string); numeric: the
 * stage will call export_stage_numeric. */
void export_stage_begin(ExportStage *st, ExportCtx *ctx, const char *label, bool numeric);

/* "\n<prefix> starting export with <text>..." (printf-style text). */
void export_stage_log_start(ExportStage *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ctx->out_path = out_base + suffix.  -1 + message when that is the model file itself.
 * Temporaries that an export killed outright left in that folder (fileio_clean_stale: ours,
 * orphaned) are removed now, and the log says how many. */
int export_stage_out_path(ExportStage *st, const char *suffix, char *err, size_t errlen);

/* Where the artifact goes: ctx->out_path, unless the numeric check failed (st->check is
 * CHECK_WRITTEN_FAILED) and something is already there -- then the previous artifact stays
 * as it is, byte for byte, and the new one is kept beside it as out_base + "-check-failed" +
 * suffix ("yolov8n-check-failed.onnx", "yolov8n-check-failed_openvino_model"), which a
 * later failed export replaces; ctx->out_path is changed to that name and a warning logged.
 * Otherwise, when something is there, a warning says that this earlier artifact is replaced
 * (its size and time; once per stage).
 * Both commits below call it; a stage that commits by itself calls it before. */
const char *export_stage_final_path(ExportStage *st);

/* The graph the writer gets: a clone of the source with the peer's names (input "images",
 * outputs "output0", "output1"), the peer's dynamic axis names when dynamic=True, and the
 * peer's NMSModel appended when nms=True.  NULL + message (pass_nms's refusal). */
Graph *export_stage_graph(ExportStage *st, char *err, size_t errlen);

/* "<prefix> NMS in the graph: conf 0.25, iou 0.70, max_det 300" (with nms=True; a stage logs
 * it once its writer has accepted the NMS ops). */
void export_stage_log_nms(ExportStage *st);

/* NmsOptions from the effective args (conf None -> 0.25; anchors at the export imgsz). */
NmsOptions export_stage_nms_options(const ExportArgs *a, const Graph *src);

/* A temporary directory beside ctx->out_path (fileio_temp_dir), registered with the job
 * so that a failed or cancelled job removes it: st->temp_dir.  0 or -1 + message. */
int export_stage_temp_dir(ExportStage *st, char *err, size_t errlen);

/* Rename st->temp_dir/<name> onto export_stage_final_path() (replacing an existing file only now), then
 * remove the temporary directory.  0 or -1 + message (the old file is then untouched).
 * Both commits first take the job's commit point (job_commit): a job cancelled before it
 * gets "cancelled" and writes nothing; after it, the cancel is refused. */
int export_stage_commit_file(ExportStage *st, const char *name, char *err, size_t errlen);

/* Replace export_stage_final_path() with st->temp_dir (fileio_commit_dir: an existing
 * directory is removed only once the new one is in place, and only when it holds nothing but
 * what an export of this kind writes).  0 or -1 + message. */
int export_stage_commit_dir(ExportStage *st, char *err, size_t errlen);

/* Every occurrence of the temporary path tmp in msg replaced by ctx->out_path, so that a
 * writer's message names the output the user asked for. */
void export_stage_name_output(ExportStage *st, const char *tmp, char *msg, size_t len);

/* A writer's failure as the stage reports it (into err): the temporary path tmp in msg
 * named as ctx->out_path, and with nms=True a failure on one of the NMS pass's nodes
 * ("/nms/...") said as "nms=True is not available for <label> in this build: <msg>". */
void export_stage_writer_error(ExportStage *st, const char *tmp, char *msg, size_t len, char *err, size_t errlen);

/* The interface check every reader-backed stage makes: `got` (read back) has `want`'s
 * inputs and outputs, in order, with the same names and types, and the same shapes —
 * symbolic dim names included when dim_names, else only which dims are dynamic (a format
 * that keeps no names).  0 or -1 + the first difference.  Metadata is the format's own. */
int export_stage_check_io(const Graph *want, const Graph *got, bool dim_names, char *err, size_t errlen);

/* The numeric check of `written` (the artifact as read back, or a graph built from what the
 * artifact stores).  When st->run_path is set and the format's own runtime is on this host
 * (ctx->runtime auto or naming it), the artifact runs there against the source run in our
 * executor, and the check line names the runtime ("checked in onnxruntime 1.30.0: ...");
 * when that runtime is not found the check goes on as below and its line says what was
 * looked for.  When graph_equiv finds it node for node the source's graph, its outputs
 * are the source's on every input: the check passes with max |Δ| 0 and says so, and nothing
 * runs.  Otherwise the source starts on a thread of its own while `written` runs here on the
 * same fixed input bound to input_name, and the check compares every source output with
 * the written graph's output of the same index, within rtol of each channel's range (half:
 * 2e-2, else 1e-4; st->reference, when set, stands for the source).  With nms=True the written graph's
 * tensor "output0_raw" (the predictions before NMS) is compared with the source's output0
 * and the NMS rows with the peer's NMSModel computed in C on those predictions.  `what`
 * (may be NULL) is added to the detail: what the written run stands for.  Adds the report's
 * "numeric" check (skipped when verify=False), logs "<prefix> check against the source ...",
 * stores the max |Δ| in *worst (negative when none) and returns the check's status
 * (CHECK_PASSED, CHECK_WRITTEN_FAILED, CHECK_SKIPPED); a cancelled job gives CHECK_FAILED
 * with "cancelled" in err. */
CheckStatus export_stage_numeric(ExportStage *st, Graph *written, const char *input_name, const char *what,
                                 double *worst, char *err, size_t errlen);

/* dynamic=True, a file whose input leaves height and width open (FormatInfo.dynamic_hw_only):
 * the numeric check ran at imgsz, and the file must hold at another size too.  The graph
 * written and the one read back (the same input_name) both run at three quarters of the height
 * (rounded down to 32), and every output must agree within 1e-4 of its largest magnitude (2e-2
 * with half).  Report check "other size"; nothing for a fixed input or verify=False.  0, or -1
 * + message when they differ or the model read back does not run there. */
int export_stage_check_other_size(ExportStage *st, const Graph *written, const Graph *back, const char *input_name,
                                  char *err, size_t errlen);

/* The report's "numeric" check as skipped, for a format this build cannot run: why says
 * what is checked instead; logged as "<prefix> check against the source – skipped: why". */
void export_stage_numeric_skipped(ExportStage *st, const char *why);

/* The stage succeeded: ctx->seconds and ctx->status set, the artifact (ctx->out_path, its
 * size on disk) added to the report with its precision, status and max |Δ|. */
void export_stage_done(ExportStage *st, CheckStatus status, const PrecisionInfo *precision, double worst);

/* Always, last: stops and joins the source run (early when rc != 0), removes and releases
 * a temporary directory that is still there. */
void export_stage_end(ExportStage *st, int rc);

/* Is the job cancelled?  (sets err to "cancelled" and returns true when so) */
bool export_stage_cancelled(ExportStage *st, char *err, size_t errlen);

/* ---- metadata as JSON ------------------------------------------------------------------ */

/* The metadata export_set_metadata put in g->meta.props (the peer's str(v) of each value)
 * as JSON texts, in order: string keys (description, author, date, version, license,
 * docs, task, dla) as JSON strings, the others read as the Python literals they are and
 * written as json.dumps writes them ({"0": "person"}, true/false/null, [640, 640]).  The
 * KeyValue array and its strings live in arena; *n receives the count.  NULL + a message
 * naming the key whose value is not a literal. */
KeyValue *export_stage_meta_json(const Graph *g, Arena *arena, int *n, char *err, size_t errlen);

/* The same as one JSON object (members in order); the caller json_object_put()s it. */
struct json_object *export_stage_meta_object(const Graph *g, char *err, size_t errlen);

/* One Python literal (dict, list, tuple, str, int, float, True, False, None) as JSON text
 * (heap string); NULL + message when text is not one.  Dict keys must be int or str (JSON
 * keys are strings: 0 -> "0").  Exposed for tests. */
char *export_stage_py_to_json(const char *text, char *err, size_t errlen);

#endif
