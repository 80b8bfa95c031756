/* session: the exports of this workbench session -- queueing them as jobs (engine/export/export.h),
 * following their events, and keeping their results for the Jobs and Compare screens.
 * UI thread only. */
#ifndef YOLOPORT_TUI_SESSION_H
#define YOLOPORT_TUI_SESSION_H

#include "engine/bench/bench.h"
#include "engine/core/image.h"
#include "engine/predict/predict.h"
#include "tui/app.h"

/* Start the job runner (app->jobs).  Called once before the loop. */
void session_start(App *app);
/* Cancel everything, wait for the workers (temporary files removed), free the records. */
void session_stop(App *app);
/* Drain job events (the event fd was readable).  Returns reaction flags. */
int session_drain(App *app);
/* Number of jobs queued or running. */
int session_active_jobs(App *app);
/* Validate args for format and queue an export.  Unless name= is given, the export is named
 * by the arguments that differ from the defaults (yolov8n-half-dynamic-opset12.onnx: the
 * variants of a session stand side by side).  When that would replace a file or folder this
 * session did not write, the workbench asks first (a dialog; session_answer_replace).  Job
 * id, 0 when it asks, or -1 with the reason in the status line (the peer's messages). */
int session_queue(App *app, const ExportArgs *args);
/* The answer to the replace question about the first pending export: yes queues it, no drops
 * it; then the next pending one is asked about.  Reaction flags. */
int session_answer_replace(App *app, bool yes);

/* The name the workbench gives an export of args (effective values eff: export_args_validate)
 * of the loaded model: "yolov8n-half-dynamic-opset12", NULL when the defaults' name stands
 * (no argument differs, name= given, or RKNN).  Heap string.  variant (may be NULL) gets the
 * words ("half dynamic opset=12"). */
char *session_variant_name(App *app, const ExportArgs *args, const ExportEffective *eff, char *variant, size_t len);

typedef enum { ARTIFACT_NONE, ARTIFACT_PRESENT, ARTIFACT_GONE, ARTIFACT_REPLACED } ArtifactState;
/* Take the stamp of the record's artifact as it is now (done when its job finishes). */
void session_stamp_artifact(ExportRecord *rec);
/* Is the record's artifact still the one its job wrote?  NONE when it wrote none. */
ArtifactState session_artifact_state(const ExportRecord *rec);
/* Delete the record's artifact (a file, or the folder a directory format wrote) when it is
 * still the one its job wrote; the status line says what happened.  0 or -1. */
int session_delete_artifact(App *app, ExportRecord *rec);
/* The artifact path a Delete would remove for rec ("" when none). */
const char *session_artifact_target(const ExportRecord *rec);

/* Open path in the background (`:open`): the model is read, shapes only, by a job on a
 * worker thread, so the workbench keeps drawing and taking keys however long a file takes;
 * when it is in, it replaces the current model as app_open_model would (then its weights
 * follow); when it cannot be read, the status line says why and the current model stays.
 * A newer open replaces one in flight (whose result is dropped). */
void session_open_model(App *app, const char *path);

/* Load path's weights in the background (app->weights once done); replaces any load in
 * flight.  The Graph screen's weight statistics use them. */
void session_load_weights(App *app, const char *path);

/* A prediction of image with model (any format the runtimes open) as a job; the Predict screen
 * shows it once finished (app->predict_job).  Job id, or -1 with the reason in the status line. */
int session_predict(App *app, const char *model, const char *image);

/* What a prediction job produced (owned by its record; read on the UI thread once finished). */
typedef struct {
    char model[4096], image[4096];
    char runtime[128];          /* "onnxruntime 1.30.0", "the yoloport executor" */
    char err[1024];             /* why it failed, "" when it did not */
    Image im;                   /* the image as decoded */
    PredictResult res;
    char **names;               /* the model's class names, nc of them */
    int nc;
    bool done;
} PredictJob;

/* A benchmark of the artifacts paths[0..n) (against the workbench's model) as a job; words:
 * data=, runs=, warmup=, runtime=.  Job id, or -1 with the reason in the status line. */
int session_benchmark(App *app, const char *const *paths, int n, const char *words);

/* The latest finished benchmark's row for an artifact path, NULL when none measured it. */
const BenchRow *session_bench_row(App *app, const char *path);
/* The benchmark job in flight (its record), NULL when none. */
const ExportRecord *session_bench_running(App *app);

/* Two models side by side (engine/diff/diff.h) as a job; once finished, its report opens in a
 * scrollable view.  Job id, or -1 with the reason in the status line. */
int session_diff(App *app, const char *a, const char *b);

/* A synthetic job that logs `rate` lines a second for `seconds` (tests and bench: the UI
 * must stay responsive while a job floods its log).  Job id or -1. */
int session_stress(App *app, int rate, double seconds);

#endif
