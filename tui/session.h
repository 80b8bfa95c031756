/* session: the exports of this workbench session -- queueing them as jobs (engine/export/export.h),
 * following their events, and keeping their results for the Jobs and Compare screens.
 * UI thread only. */
#ifndef YOLOPORT_TUI_SESSION_H
#define YOLOPORT_TUI_SESSION_H

#include "tui/app.h"

/* Start the job runner (app->jobs).  Called once before the loop. */
void session_start(App *app);
/* Cancel everything, wait for the workers (temporary files removed), free the records. */
void session_stop(App *app);
/* Drain job events (the event fd was readable).  Returns reaction flags. */
int session_drain(App *app);
/* Number of jobs queued or running. */
int session_active_jobs(App *app);
/* Validate args for format and queue an export.  Job id, or -1 with the reason in the
 * status line (the peer's messages).  */
int session_queue(App *app, const ExportArgs *args);

/* Load path's weights in the background (app->weights once done); replaces any load in
 * flight.  The Graph screen's weight statistics use them. */
void session_load_weights(App *app, const char *path);

/* A synthetic job that logs `rate` lines a second for `seconds` (tests and bench: the UI
 * must stay responsive while a job floods its log).  Job id or -1. */
int session_stress(App *app, int rate, double seconds);

#endif
