/* app: the workbench's shared state and the pane interface.
 *
 * Panes are structs with an ops table (like tig's view_ops): open, draw, key, mouse,
 * resize, close, plus optional search and refresh hooks.  Handlers never refresh the
 * screen: they return reaction flags (R_HANDLED | R_REDRAW | R_RELAYOUT | R_QUIT) and the
 * one main loop in app.c applies them (wnoutrefresh + doupdate, capped rate).
 * Only the UI thread touches an App.
 */
#ifndef YOLOPORT_TUI_APP_H
#define YOLOPORT_TUI_APP_H

#include <stdbool.h>
#include <stdio.h>
#include <curses.h>

#include "engine/export/export_args.h"
#include "engine/core/graph.h"
#include "engine/host/host.h"
#include "engine/jobs/jobs.h"
#include "engine/matrix/matrix.h"
#include "engine/remote/remote.h"
#include "engine/tools/tools.h"
#include "tui/commands.h"
#include "tui/keymap.h"
#include "widgets/bars.h"
#include "widgets/dialog.h"
#include "widgets/theme.h"

enum { R_NONE = 0, R_HANDLED = 1, R_REDRAW = 2, R_RELAYOUT = 4, R_QUIT = 8 };

typedef enum { SCREEN_GRAPH, SCREEN_EXPORT, SCREEN_JOBS, SCREEN_COMPARE, SCREEN_MATRIX, SCREEN_PREDICT, SCREEN_COUNT } ScreenId;

#define APP_MIN_COLS 60
#define APP_MIN_ROWS 16

typedef struct App App;
typedef struct Pane Pane;

typedef struct {
    const char *name;  /* tab title: "Graph" */
    Scope scope;       /* keymap scope */
    void (*open)(Pane *p, App *app);
    void (*draw)(Pane *p, App *app, WINDOW *win); /* draw the whole rect p->y,x,h,w */
    int (*key)(Pane *p, App *app, Command cmd, wint_t ch, bool is_key);
    int (*mouse)(Pane *p, App *app, const MEVENT *ev); /* ev coordinates are screen-absolute */
    void (*resize)(Pane *p, App *app);                 /* p's rect changed */
    void (*close)(Pane *p, App *app);
    /* optional: run a search (dir 0: new pattern, 1 next, -1 previous); reaction flags */
    int (*search)(Pane *p, App *app, const char *pattern, int dir);
    /* optional: the app's data changed (model reloaded, job events); reaction flags */
    int (*update)(Pane *p, App *app);
} PaneOps;

struct Pane {
    const PaneOps *ops;
    void *state;
    int y, x, h, w;
};

/* What a file or folder was when an export wrote it: a later look tells whether it is still
 * that one (same device, inode, size and modification time). */
typedef struct {
    bool have;
    unsigned long long dev, ino;
    long long size, mtime_s, mtime_ns;
} ArtifactStamp;

/* One export of this session (for Jobs and Compare). */
typedef struct {
    int job_id;
    char format[32];        /* format= argument */
    char format_name[48];   /* "ONNX" */
    ExportArgs args;        /* as queued */
    JobState state;
    void *run;              /* ExportRun * (engine/export/export.h), owned by the session */
    void *bench;            /* a benchmark job instead: BenchRun * (engine/bench/bench.h), owned */
    void *predict;          /* a prediction job instead: PredictJob * (tui/session.h), owned */
    void *diff;             /* a two-model diff instead: DiffJob * (tui/session.c), owned */
    bool finished;          /* the run's results may be read */
    double queued_at;
    uint64_t log_seen;      /* log lines already copied into the Jobs pane's view */
    char host[64];          /* where its tools ran: host= as given, "" for this machine */
    char variant[256];      /* the arguments that make it a variant, as typed ("half dynamic opset=12"; "" the
                               default export): export_args_variant */
    char replaces[4096];    /* the file or folder its commit replaces (export_replaced_path) */
    ArtifactStamp stamp;    /* its artifact as the job left it (Compare: still there, gone or replaced) */
} ExportRecord;

typedef enum { MSG_INFO, MSG_OK, MSG_WARN, MSG_ERROR } MsgLevel;

typedef struct Prompt Prompt; /* tui/prompt.c */
typedef struct Help Help;     /* tui/help.c */

struct App {
    /* options */
    char model_path[4096];
    char theme_name[64];
    bool no_color, mouse, ascii;
    int fps;                /* frame-rate cap for job-driven redraws */
    char config_path[4096], state_path[4096], log_path[4096];
    char default_args[1024]; /* export arguments from the config file */

    Theme theme;
    KeyTable keymap;

    /* data */
    Graph *graph;           /* opened with shapes only: the first frame never waits for weights */
    Graph *weights;         /* the same model with its weights, loaded by a background job */
    void *weights_load;     /* the load in flight (session.c), NULL when none */
    Vec weights_loads;      /* every load started (WeightsLoad *), freed once the runner stopped */
    void *model_open;       /* the `:open` in flight (session.c), NULL when none */
    Vec model_opens;        /* every `:open` started, freed once the runner stopped */
    char model_error[512];
    unsigned model_serial;  /* bumped by every model opened: panes redo model-dependent work */
    ExportArgs args;        /* the Export form's arguments (also :set / :export) */
    JobRunner *jobs;
    ExportRecord *exports;
    int n_exports, cap_exports;
    Matrix *matrix[MATRIX_LANG_COUNT];
    HostFacts host;
    bool host_ready;
    RemoteHosts hosts;      /* build hosts named in the config file (host.NAME = user@box) */
    ToolFacts tools;        /* the external tools found at start-up, with versions (a background job) */
    bool tools_ready;
    void *tools_discovery;  /* that job's record (session.c), NULL once the runner stopped */

    /* screen */
    Pane panes[SCREEN_COUNT];
    int screen, prev_screen;
    int rows, cols;
    bool too_small;
    bool dirty, full_redraw;
    ClickBar tabs, funcbar;
    Dialog dialog;
    Prompt *prompt;
    Help *help;
    char status[512];
    MsgLevel status_level;
    int status_screen;      /* the screen the message belongs to (-1: every screen) */
    double status_time;
    int tick;               /* animation counter for indeterminate progress */
    bool quit;
    double last_frame;
    long frames;
    char funcbar_keys[12][16]; /* key labels the function bar points at */
    char predict_image[4096];  /* the last image of :predict (Compare's p predicts it again) */
    int predict_job;        /* the prediction shown on the Predict screen (its job id), 0 none */
    char bench_words[1024]; /* the last :benchmark's words (Compare's b runs them again) */
    Vec pending_exports;    /* ExportArgs waiting for "replace a file not written in this session?" */
    char jobs_badge[16];
    int cursor_y, cursor_x; /* where a pane wants the caret after the frame (-1: hidden) */
    FILE *bench;            /* $YOLOPORT_BENCH_LOG: frame timings for bench/tui.sh */
    double t_start, t_key;  /* process start; when the last key batch was read */
};

/* The app's data changed (a model opened, job events, an export queued): every open pane's
 * update hook, once.  Returns the reaction flags they asked for. */
int app_update_panes(App *app);
/* Status line message (printf-style).  Replaces the previous one. */
void app_status(App *app, MsgLevel level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The status message just set is about the whole workbench (a job finished, a model opened):
 * it stays when the screen changes.  Otherwise a message belongs to the screen it was set on,
 * and leaving that screen clears it. */
void app_status_global(App *app);
/* Switch screens (remembers the previous one for `back`). */
void app_show(App *app, int screen);
/* Run a command by id with an optional argument string (from keys, help or `:`). */
int app_run_command(App *app, Command cmd, const char *arg);
/* Open a model file (replacing the current graph); 0 or -1 with the error in the status.
 * Reads the file on the calling thread: the one at startup.  `:open` uses
 * session_open_model (a job), so the workbench never waits on a file. */
int app_open_model(App *app, const char *path);
/* Make g (read shapes-only from path, t_ms to read) the model: replaces the current graph
 * and weights, starts the weights' load, updates the panes and the status.  Takes g. */
void app_adopt_model(App *app, const char *path, Graph *g, double t_ms);
/* Queue an export of the given format with app->args (adjusted); returns the job id or -1. */
int app_queue_export(App *app, const char *format);
ExportRecord *app_export_by_job(App *app, int job_id);
/* Modal dialogs: purposes the app understands. */
enum { DLG_INFO = 1, DLG_CONFIRM_QUIT, DLG_CONFIRM_CANCEL, DLG_CONFIRM_REPLACE, DLG_CONFIRM_DELETE };
void app_confirm(App *app, int purpose, int tag, const char *title, const char *text);

/* Panes (tui/pane_*.c). */
extern const PaneOps pane_graph_ops, pane_export_ops, pane_jobs_ops, pane_compare_ops, pane_matrix_ops, pane_predict_ops;
/* Graph pane: select the module/node whose name matches (used by tests and :commands). */
int pane_graph_search(Pane *p, App *app, const char *pattern, int dir);
/* Graph pane: the selected tree row's id (module index >= 0, node n as -(n)-2, -1 none)
 * and the number of visible rows (tests). */
int pane_graph_selected(Pane *p, int *visible_rows);
/* Export pane: how many times it ran the export checks (tests: once per change). */
long pane_export_validations(Pane *p);
/* Export pane: its argument form (tests). */
void *pane_export_form(Pane *p);
/* Export pane: select format (argument) in the list; false when unknown. */
bool pane_export_select_format(Pane *p, App *app, const char *format);
/* Export pane: reload the form from app->args (after :set). */
void pane_export_sync(Pane *p, App *app);
/* Jobs pane: select a job (the workbench's choice: while it waits in the queue, the job that
 * runs is shown, and the selection moves on to the next one that starts, until a key moves it). */
void pane_jobs_select(Pane *p, App *app, int job_id);
/* Jobs pane: the selected job's id, -1 when none. */
int pane_jobs_selected(Pane *p, App *app);
/* Compare pane: the artifacts a benchmark takes -- the marked rows, or every finished export
 * with an artifact when none is marked -- up to max paths into out (valid until the next
 * update).  Returns how many. */
int pane_compare_targets(Pane *p, App *app, const char **out, int max);
/* Compare pane: the artifact of the selected row, NULL when none. */
const char *pane_compare_selected_artifact(Pane *p, App *app);

#endif
