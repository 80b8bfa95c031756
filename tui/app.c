/* app: the workbench -- `yoloport [MODEL] [key=value ...] [--theme NAME] [--no-color]`.
 *
 * One UI thread poll()s the terminal and the job runner's event pipe together; keys map
 * to commands through the keymap, panes answer with reaction flags, and only this file
 * draws a frame (wnoutrefresh + doupdate: curses sends just the cells that changed), at
 * once after a key and at most `refresh` times a second for job events.  The terminal is
 * restored on every exit path: normal, error, and fatal signals.
 */
#include "tui/app.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "engine/registry/model.h"
#include "engine/core/paths.h"
#include "tui/cli.h"
#include "tui/config.h"
#include "tui/help.h"
#include "tui/prompt.h"
#include "tui/session.h"
#include "widgets/text.h"

/* Signal handlers can reach only file-scope state: these three are all of it. */
static volatile sig_atomic_t quit_signal; /* SIGTERM/SIGINT/SIGHUP received */
static volatile sig_atomic_t curses_on;   /* endwin() still owed */
static int saved_stderr = -1;             /* the real stderr while curses runs */

static const PaneOps *const pane_table[SCREEN_COUNT] = {&pane_graph_ops, &pane_export_ops, &pane_jobs_ops,
                                                        &pane_compare_ops, &pane_matrix_ops, &pane_predict_ops};
static const char *const screen_keys[SCREEN_COUNT] = {"1", "2", "3", "4", "5", "6"};
static const char *const screen_names[SCREEN_COUNT] = {"graph", "export", "jobs", "compare", "matrix", "predict"};

/* ---- terminal restore ----------------------------------------------------------------- */

static void restore_terminal(void)
{
    if (curses_on) {
        curses_on = 0;
        endwin();
    }
    if (saved_stderr >= 0) {
        dup2(saved_stderr, 2);
        close(saved_stderr);
        saved_stderr = -1;
    }
}

static void fatal_signal(int sig)
{
    /* endwin() is not async-signal-safe, but the process is dying and a terminal left in raw
     * mode is worse (htop does the same) */
    if (curses_on) {
        curses_on = 0;
        endwin();
    }
    if (saved_stderr >= 0) dup2(saved_stderr, 2);
    static const char msg[] = "yoloport: fatal signal; the terminal was restored\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void quit_signal_handler(int sig)
{
    if (quit_signal) fatal_signal(sig); /* a second one: stop now */
    quit_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = fatal_signal;
    int fatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGQUIT};
    for (size_t i = 0; i < ARRAY_LEN(fatal); i++) sigaction(fatal[i], &sa, NULL);
    sa.sa_handler = quit_signal_handler; /* no SA_RESTART: poll() returns EINTR */
    int soft[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < ARRAY_LEN(soft); i++) sigaction(soft[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void restore_signals(void)
{
    int all[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGQUIT, SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < ARRAY_LEN(all); i++) signal(all[i], SIG_DFL);
}

/* ---- status, screens, dialogs ---------------------------------------------------------- */

void app_status(App *app, MsgLevel level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->status, sizeof app->status, fmt, ap);
    va_end(ap);
    /* one line: newlines would break the status row */
    for (char *p = app->status; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
    app->status_level = level;
    app->status_time = now_seconds();
    app->status_screen = app->screen; /* it belongs to the screen it was said on (app_status_global: all) */
    app->dirty = true;
}

void app_status_global(App *app) { app->status_screen = -1; }

void app_show(App *app, int screen)
{
    if (screen < 0 || screen >= SCREEN_COUNT || screen == app->screen) return;
    /* a screen's message (a filter's count, a search miss) does not follow to the next one */
    if (app->status_screen == app->screen) app->status[0] = '\0';
    app->prev_screen = app->screen;
    app->screen = screen;
    Pane *p = &app->panes[screen];
    if (p->state && p->ops->update) p->ops->update(p, app);
    app->dirty = true;
}

void app_confirm(App *app, int purpose, int tag, const char *title, const char *text)
{
    static const char *const yes_no[] = {"Yes", "No", NULL};
    dialog_open(&app->dialog, title, text, yes_no, purpose, tag);
    app->dialog.button = 1; /* "No" is the default: Enter never destroys by accident */
    app->dirty = true;
}

int app_update_panes(App *app)
{
    int r = 0;
    for (int i = 0; i < SCREEN_COUNT; i++)
        if (app->panes[i].ops && app->panes[i].state && app->panes[i].ops->update) r |= app->panes[i].ops->update(&app->panes[i], app);
    return r;
}

/* ---- model -------------------------------------------------------------------------------- */

int app_open_model(App *app, const char *path)
{
    char err[512] = "";
    LoadOptions opt;
    memset(&opt, 0, sizeof opt);
    opt.shapes_only = true; /* browsing needs shapes; the weights follow in the background */
    double t0 = now_seconds();
    Graph *g = model_load(path, &opt, err, sizeof err);
    if (!g) {
        app_status(app, MSG_ERROR, "%s", err[0] ? err : "cannot open the model");
        if (!app->graph) snprintf(app->model_error, sizeof app->model_error, "%s", err);
        return -1;
    }
    app_adopt_model(app, path, g, (now_seconds() - t0) * 1000);
    return 0;
}

void app_adopt_model(App *app, const char *path, Graph *g, double t_ms)
{
    if (app->graph) graph_free(app->graph);
    if (app->weights) graph_free(app->weights);
    app->weights = NULL;
    app->graph = g;
    app->model_serial++;
    app->model_error[0] = 0;
    session_load_weights(app, path);
    if (path != app->model_path) snprintf(app->model_path, sizeof app->model_path, "%s", path);
    export_args_set(&app->args, "model", app->model_path, NULL);
    app_update_panes(app);
    app_status(app, MSG_OK, "opened %s in %.0f ms", app->model_path, t_ms);
    app_status_global(app);
}

/* ---- commands ------------------------------------------------------------------------------ */

/* Split a command argument into words (single and double quotes group). */
static int split_words(const char *s, char **out, int max, char *buf, size_t buflen)
{
    int n = 0;
    size_t o = 0;
    while (*s && n < max) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        out[n++] = buf + o;
        char q = 0;
        while (*s && (q || (*s != ' ' && *s != '\t'))) {
            if (!q && (*s == '\'' || *s == '"')) q = *s;
            else if (q && *s == q) q = 0;
            else if (o + 1 < buflen) buf[o++] = *s;
            s++;
        }
        if (o + 1 < buflen) buf[o++] = 0;
    }
    return n;
}

/* Apply key=value words to args; messages into the status line.  0 or -1. */
static int apply_words(App *app, ExportArgs *args, const char *words)
{
    char buf[2048], *argv[64];
    int argc = split_words(words ? words : "", argv, 64, buf, sizeof buf);
    ExportMsgs m;
    export_msgs_clear(&m);
    int rc = argc ? export_args_parse_argv(args, argc, argv, &m) : 0;
    for (int i = 0; i < m.n; i++)
        if (m.items[i].level == EXPORT_MSG_ERROR) {
            app_status(app, MSG_ERROR, "%s", m.items[i].text);
            return -1;
        }
    return rc;
}

/* :predict IMAGE [model=PATH]: a prediction job; the Predict screen shows it. */
static int run_predict_command(App *app, const char *arg)
{
    char image[4096] = "", model[4096] = "";
    char buf[8192], *argv[16];
    int argc = split_words(arg, argv, 16, buf, sizeof buf);
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "model=", 6)) snprintf(model, sizeof model, "%s", argv[i] + 6);
        else if (!strncmp(argv[i], "source=", 7)) snprintf(image, sizeof image, "%s", argv[i] + 7);
        else snprintf(image, sizeof image, "%s", argv[i]);
    }
    if (!image[0]) {
        prompt_begin(app->prompt, PROMPT_COMMAND, "predict ");
        return R_REDRAW;
    }
    int id = session_predict(app, model[0] ? model : app->model_path, image);
    if (id > 0) app_show(app, SCREEN_PREDICT);
    return R_REDRAW;
}

/* :benchmark [data= runs= warmup= runtime=]: the Compare screen's marked artifacts (all when
 * none is marked) timed and validated in a job. */
static int run_benchmark_command(App *app, const char *arg)
{
    Pane *cp = &app->panes[SCREEN_COMPARE];
    const char *paths[64];
    int n = pane_compare_targets(cp, app, paths, 64);
    if (n == 0) {
        app_status(app, MSG_WARN, "nothing to benchmark: export first (Export screen, or :export format=onnx)");
        return R_REDRAW;
    }
    if (*arg) snprintf(app->bench_words, sizeof app->bench_words, "%s", arg);
    session_benchmark(app, paths, n, *arg ? arg : app->bench_words);
    return R_REDRAW;
}

static int run_export_command(App *app, const char *arg)
{
    ExportArgs a = app->args;
    if (apply_words(app, &a, arg) != 0) return R_REDRAW;
    int id = session_queue(app, &a);
    if (id > 0) {
        app_show(app, SCREEN_JOBS);
        pane_jobs_select(&app->panes[SCREEN_JOBS], app, id);
    }
    return R_REDRAW;
}

int app_run_command(App *app, Command cmd, const char *arg)
{
    Pane *pane = &app->panes[app->screen];
    if (!arg) arg = "";
    switch (cmd) {
    case CMD_QUIT:
        if (session_active_jobs(app) > 0) {
            char text[256];
            snprintf(text, sizeof text, "%d export job(s) are still running or queued.  Quit and cancel them?\n"
                     "(unfinished files are removed)", session_active_jobs(app));
            app_confirm(app, DLG_CONFIRM_QUIT, 0, "Quit", text);
        } else {
            app->quit = true;
        }
        return R_REDRAW;
    case CMD_HELP: help_open(app->help, app, pane->ops->scope); return R_REDRAW;
    case CMD_PROMPT: prompt_begin(app->prompt, PROMPT_COMMAND, arg); return R_REDRAW;
    case CMD_SEARCH:
        if (*arg && pane->ops->search) return pane->ops->search(pane, app, arg, 0);
        if (!pane->ops->search) {
            app_status(app, MSG_WARN, "no search on this screen");
            return R_REDRAW;
        }
        prompt_begin(app->prompt, PROMPT_SEARCH, "");
        return R_REDRAW;
    case CMD_SEARCH_NEXT:
    case CMD_SEARCH_PREV:
        if (pane->ops->search) return pane->ops->search(pane, app, NULL, cmd == CMD_SEARCH_NEXT ? 1 : -1);
        return 0;
    case CMD_REDRAW: app->full_redraw = true; return R_REDRAW | R_RELAYOUT;
    case CMD_SHOW_GRAPH: app_show(app, SCREEN_GRAPH); return R_REDRAW;
    case CMD_SHOW_EXPORT: app_show(app, SCREEN_EXPORT); return R_REDRAW;
    case CMD_SHOW_JOBS: app_show(app, SCREEN_JOBS); return R_REDRAW;
    case CMD_SHOW_COMPARE: app_show(app, SCREEN_COMPARE); return R_REDRAW;
    case CMD_SHOW_MATRIX: app_show(app, SCREEN_MATRIX); return R_REDRAW;
    case CMD_SHOW_PREDICT: app_show(app, SCREEN_PREDICT); return R_REDRAW;
    case CMD_PREDICT: return run_predict_command(app, arg);
    case CMD_DIFF: {
        char buf[8400], *argv[4];
        int argc = split_words(arg, argv, 4, buf, sizeof buf);
        if (argc == 0) {
            prompt_begin(app->prompt, PROMPT_COMMAND, "diff ");
            return R_REDRAW;
        }
        if (argc > 2) {
            app_status(app, MSG_ERROR, "diff: at most two models (:diff [A] B; A is the open model)");
            return R_REDRAW;
        }
        session_diff(app, argc == 2 ? argv[0] : app->model_path, argv[argc - 1]);
        return R_REDRAW;
    }
    case CMD_BENCHMARK: return run_benchmark_command(app, arg);
    case CMD_SCREEN:
        for (int i = 0; i < SCREEN_COUNT; i++)
            if (*arg && !strncasecmp(screen_names[i], arg, strlen(arg))) {
                app_show(app, i);
                return R_REDRAW;
            }
        app_status(app, MSG_ERROR, "unknown screen '%s' (graph, export, jobs, compare, matrix, predict)", arg);
        return R_REDRAW;
    case CMD_BACK:
        if (app->screen != SCREEN_GRAPH) app_show(app, app->prev_screen != app->screen ? app->prev_screen : SCREEN_GRAPH);
        return R_REDRAW;
    case CMD_OPEN: {
        char path[4096];
        snprintf(path, sizeof path, "%s", arg);
        size_t n = strlen(path); /* completion leaves a space after the path */
        while (n && (path[n - 1] == ' ' || path[n - 1] == '\t')) path[--n] = '\0';
        const char *p = path;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) {
            prompt_begin(app->prompt, PROMPT_COMMAND, "open ");
            return R_REDRAW;
        }
        session_open_model(app, p); /* read by a job: the workbench keeps running */
        return R_REDRAW;
    }
    case CMD_THEME: {
        char err[256] = "";
        const char *name = *arg ? arg : "dark";
        if (theme_load(&app->theme, paths_themes_dir(), name, app->theme.mode, err, sizeof err) != 0) {
            app_status(app, MSG_ERROR, "%s; the theme stays %s", err, app->theme_name); /* nothing changed */
            return R_REDRAW;
        }
        app_status(app, MSG_OK, "theme %s%s", name, app->theme.mode == COLOR_MODE_MONO ? " (no colour: attributes only)" : "");
        snprintf(app->theme_name, sizeof app->theme_name, "%s", name);
        app->full_redraw = true;
        return R_REDRAW;
    }
    case CMD_EXPORT: return run_export_command(app, arg);
    case CMD_STRESS_LOG: {
        int rate = 10000;
        double secs = 5;
        sscanf(arg, "%d %lf", &rate, &secs);
        int id = session_stress(app, rate, secs);
        if (id > 0) {
            app_show(app, SCREEN_JOBS);
            pane_jobs_select(&app->panes[SCREEN_JOBS], app, id);
        }
        return R_REDRAW;
    }
    case CMD_SET:
        if (apply_words(app, &app->args, arg) == 0) {
            pane_export_sync(&app->panes[SCREEN_EXPORT], app);
            app_status(app, MSG_OK, "set %s", arg);
        }
        return R_REDRAW;
    default: break;
    }
    /* everything else is the current pane's business (navigation, run, cancel, ...) */
    if (pane->ops->key) {
        int r = pane->ops->key(pane, app, cmd, 0, false);
        if (r & R_HANDLED) return r;
    }
    if (cmd == CMD_RUN) { /* run from any screen: the Export pane's marked formats */
        Pane *ep = &app->panes[SCREEN_EXPORT];
        return ep->ops->key(ep, app, CMD_RUN, 0, false);
    }
    return 0;
}

static int dialog_done(App *app)
{
    Dialog *d = &app->dialog;
    int purpose = d->purpose, tag = d->tag, result = d->result;
    dialog_close(d);
    if (purpose == DLG_CONFIRM_QUIT && result == 0) app->quit = true;
    else if (purpose == DLG_CONFIRM_CANCEL && result == 0) {
        Job *job = app->jobs ? jobs_find(app->jobs, tag) : NULL;
        if (job && job_cancel(job)) app_status(app, MSG_WARN, "cancelling job %d ...", tag);
        else app_status(app, MSG_INFO, "job %d had already finished", tag);
    } else if (purpose == DLG_CONFIRM_REPLACE) {
        return session_answer_replace(app, result == 0) | R_REDRAW;
    } else if (purpose == DLG_CONFIRM_DELETE && result == 0) {
        ExportRecord *rec = app_export_by_job(app, tag);
        if (rec) session_delete_artifact(app, rec);
    }
    return R_REDRAW;
}

/* ---- layout and drawing -------------------------------------------------------------------- */

static void layout(App *app)
{
    app->rows = LINES;
    app->cols = COLS;
    app->too_small = app->cols < APP_MIN_COLS || app->rows < APP_MIN_ROWS;
    for (int i = 0; i < SCREEN_COUNT; i++) {
        Pane *p = &app->panes[i];
        p->y = 1;
        p->x = 0;
        p->h = app->rows - 3;
        p->w = app->cols;
        if (!app->too_small && p->ops->resize) p->ops->resize(p, app);
    }
}

static const char *first_key(App *app, Command cmd, Scope scope, char *buf, size_t len)
{
    char keys[128];
    keymap_keys_for(&app->keymap, cmd, scope, keys, sizeof keys);
    char *sp = strchr(keys, ' ');
    if (sp) *sp = 0;
    snprintf(buf, len, "%s", keys[0] ? keys : ":");
    return buf;
}

static void build_funcbar(App *app)
{
    ClickBar *b = &app->funcbar;
    clickbar_clear(b);
    Scope sc = app->panes[app->screen].ops->scope;
    int k = 0;
#define ITEM(cmd, label) clickbar_add(b, first_key(app, cmd, sc, app->funcbar_keys[k], sizeof app->funcbar_keys[k]), label, cmd), k++
    ITEM(CMD_HELP, "Help");
    switch (app->screen) {
    case SCREEN_GRAPH: ITEM(CMD_TOGGLE, "Fold"); ITEM(CMD_NEXT_PANE, "Pane"); ITEM(CMD_SUMMARY, "Info"); ITEM(CMD_SEARCH, "Find"); break;
    case SCREEN_EXPORT: ITEM(CMD_TOGGLE, "Mark"); ITEM(CMD_NEXT_PANE, "Pane"); ITEM(CMD_RUN, "Run"); ITEM(CMD_RESET_ARGS, "Reset"); break;
    case SCREEN_JOBS: ITEM(CMD_NEXT_PANE, "Pane"); ITEM(CMD_CANCEL, "Cancel"); ITEM(CMD_FOLLOW, "Follow"); ITEM(CMD_SEARCH, "Find"); break;
    case SCREEN_COMPARE: ITEM(CMD_TOGGLE, "Mark"); ITEM(CMD_BENCHMARK, "Bench"); ITEM(CMD_PREDICT_SELECTED, "Predict"); ITEM(CMD_SORT, "Sort"); break;
    case SCREEN_MATRIX: ITEM(CMD_SORT, "Sort"); ITEM(CMD_SEARCH, "Filter"); ITEM(CMD_LANGUAGE, "Lang"); ITEM(CMD_JUMP_EXPORT, "Export"); ITEM(CMD_ENTER, "Detail"); break;
    case SCREEN_PREDICT: ITEM(CMD_PREDICT, "Image"); ITEM(CMD_SHOW_COMPARE, "Compare"); break;
    default: break;
    }
    ITEM(CMD_PROMPT, "Cmd");
    ITEM(CMD_QUIT, "Quit");
#undef ITEM
}

static void draw_too_small(App *app)
{
    const Theme *th = &app->theme;
    attr_t a = theme_attr(th, SLOT_NORMAL);
    for (int y = 0; y < app->rows; y++) text_fill(stdscr, y, 0, app->cols, a);
    char l1[96], l2[96];
    snprintf(l1, sizeof l1, "Terminal too small: %dx%d", app->cols, app->rows);
    snprintf(l2, sizeof l2, "need at least %dx%d", APP_MIN_COLS, APP_MIN_ROWS);
    const char *lines[] = {l1, l2, "enlarge it, or q to quit"};
    int y0 = app->rows / 2 - 1;
    if (y0 < 0) y0 = 0;
    for (int i = 0; i < 3 && y0 + i < app->rows; i++) {
        int w = textwidth_str(lines[i]);
        int x = w < app->cols ? (app->cols - w) / 2 : 0;
        text_draw(stdscr, y0 + i, x, lines[i], app->cols - x, i == 0 ? theme_attr(th, SLOT_WARNING) : a);
    }
}

static void draw_frame(App *app)
{
    const Theme *th = &app->theme;
    app->cursor_y = app->cursor_x = -1;
    if (app->too_small) {
        draw_too_small(app);
    } else {
        /* tabs bar, with the model at the right */
        ClickBar *t = &app->tabs;
        clickbar_clear(t);
        for (int i = 0; i < SCREEN_COUNT; i++) clickbar_add(t, screen_keys[i], app->panes[i].ops->name, i);
        int active = session_active_jobs(app);
        if (active > 0) {
            snprintf(app->jobs_badge, sizeof app->jobs_badge, "(%d)", active);
            t->items[SCREEN_JOBS].badge = app->jobs_badge;
        }
        tabs_draw(t, stdscr, 0, 0, app->cols, app->screen, th);
        int used = t->n ? t->x1[t->n - 1] : 0;
        const char *model = app->model_path[0] ? app->model_path : "";
        const char *base = strrchr(model, '/');
        base = base ? base + 1 : model;
        int mw = textwidth_str(base);
        if (mw + 2 < app->cols - used) text_draw(stdscr, 0, app->cols - mw - 1, base, mw, theme_attr(th, SLOT_TABS_BG) | A_BOLD);
        /* the pane */
        Pane *p = &app->panes[app->screen];
        p->ops->draw(p, app, stdscr);
        /* status line or prompt */
        int sy = app->rows - 2;
        if (prompt_active(app->prompt)) {
            prompt_draw(app->prompt, stdscr, sy, app->cols);
        } else {
            static const ThemeSlot lv[] = {SLOT_STATUS, SLOT_STATUS_OK, SLOT_STATUS_WARN, SLOT_STATUS_ERROR};
            char right[128];
            int run = session_active_jobs(app);
            if (run) snprintf(right, sizeof right, "%d job%s active  %s", run, run == 1 ? "" : "s", th->mode == COLOR_MODE_MONO ? "" : "");
            else snprintf(right, sizeof right, "%s", app->theme.name);
            status_draw(stdscr, sy, 0, app->cols, app->status, lv[app->status_level], right, th);
        }
        build_funcbar(app);
        const char *matches = prompt_matches(app->prompt);
        if (matches[0]) text_draw_pad(stdscr, app->rows - 1, 0, matches, app->cols, theme_attr(th, SLOT_DIM));
        else funcbar_draw(&app->funcbar, stdscr, app->rows - 1, 0, app->cols, th);
        if (help_active(app->help)) help_draw(app->help, app, stdscr);
        if (app->dialog.open) dialog_draw(&app->dialog, stdscr, app->rows, app->cols, th);
        if (prompt_active(app->prompt)) {
            int cy, cx;
            prompt_draw(app->prompt, stdscr, sy, app->cols); /* leaves the cursor at the caret */
            getyx(stdscr, cy, cx);
            app->cursor_y = cy, app->cursor_x = cx;
        }
    }
    if (app->cursor_y >= 0 && !app->dialog.open && !help_active(app->help)) {
        wmove(stdscr, app->cursor_y, app->cursor_x);
        curs_set(1);
    } else {
        curs_set(0);
    }
    if (app->full_redraw) {
        clearok(curscr, TRUE);
        app->full_redraw = false;
    }
    wnoutrefresh(stdscr);
    doupdate();
    app->dirty = false;
    app->last_frame = now_seconds();
    app->frames++;
    if (app->bench) {
        fprintf(app->bench, "frame %ld %.6f %.6f %.6f\n", app->frames, app->last_frame - app->t_start,
                app->t_key > 0 ? app->last_frame - app->t_key : -1.0, app->last_frame);
        fflush(app->bench);
        app->t_key = 0;
    }
}

/* ---- input ------------------------------------------------------------------------------- */

static int handle_mouse(App *app)
{
    MEVENT ev;
    if (getmouse(&ev) != OK) return 0;
    if (app->too_small) return 0;
    if (app->dialog.open) {
        if ((ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_RELEASED)) && dialog_click(&app->dialog, ev.y, ev.x) == DIALOG_DONE)
            return dialog_done(app);
        return R_REDRAW;
    }
    if (help_active(app->help)) return help_mouse(app->help, app, &ev);
    if (prompt_active(app->prompt)) return 0;
    bool click = ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_DOUBLE_CLICKED);
    if (ev.y == 0 && click) {
        int id = clickbar_hit(&app->tabs, ev.x);
        if (id >= 0) app_show(app, id);
        return R_REDRAW;
    }
    if (ev.y == app->rows - 1 && click) {
        int id = clickbar_hit(&app->funcbar, ev.x);
        if (id > 0) return app_run_command(app, (Command)id, "");
        return 0;
    }
    Pane *p = &app->panes[app->screen];
    if (p->ops->mouse && ev.y >= p->y && ev.y < p->y + p->h) return p->ops->mouse(p, app, &ev);
    return 0;
}

static int handle_key(App *app, wint_t ch, bool is_key)
{
    if (is_key && ch == KEY_MOUSE) return handle_mouse(app);
    if (app->too_small) {
        if (!is_key && (ch == 'q' || ch == 'Q')) return app_run_command(app, CMD_QUIT, "");
        if (!is_key && ch == 12) app->full_redraw = true;
        return R_REDRAW;
    }
    if (app->dialog.open) {
        if (dialog_key(&app->dialog, ch, is_key) == DIALOG_DONE) return dialog_done(app);
        return R_REDRAW;
    }
    if (prompt_active(app->prompt)) return prompt_key(app->prompt, ch, is_key);
    if (help_active(app->help)) return help_key(app->help, app, ch, is_key);
    Pane *p = &app->panes[app->screen];
    Command cmd = keymap_lookup(&app->keymap, p->ops->scope, keymap_code(ch, is_key));
    int r = p->ops->key ? p->ops->key(p, app, cmd, ch, is_key) : 0;
    if (!(r & R_HANDLED) && cmd != CMD_NONE) r |= app_run_command(app, cmd, "");
    return r;
}

/* ---- start-up ------------------------------------------------------------------------------ */

static void usage(FILE *out)
{
    char model[1024];
    snprintf(model, sizeof model, "%s; default: the built-in yolov8n.yaml", registry_sources_text());
    fprintf(out, "usage: yoloport [MODEL] [key=value ...] [--theme NAME] [--no-color]\n");
    cli_wrap(out, "  MODEL        ", model, 80); /* the kinds come from the registry's table */
    fprintf(out, "  key=value    export arguments for the Export screen (imgsz=320 half=True ...)\n"
                 "  --theme NAME dark, light, high-contrast, mono, or a .theme file\n"
                 "  --no-color   attributes only (also NO_COLOR=1 or TERM=dumb)\n"
                 "  --dump-commands  print the command and key list as man-page text\n"
                 "  --dump-keymap    print the default key bindings (config syntax)\n");
}

static int open_log(App *app)
{
    if (config_mkdirs_for(app->log_path) != 0) snprintf(app->log_path, sizeof app->log_path, "/dev/null");
    int fd = open(app->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    return fd;
}

static bool start_curses(App *app, char *err, size_t errlen)
{
    const char *term = getenv("TERM");
    if (!isatty(0) || !isatty(1)) {
        snprintf(err, errlen, "the workbench needs a terminal (stdin and stdout); use the command-line verbs: yoloport info|export|matrix");
        return false;
    }
    if (!getenv("ESCDELAY")) set_escdelay(25);
    SCREEN *s = newterm(NULL, stdout, stdin);
    if (!s) {
        snprintf(err, errlen, "cannot drive this terminal (TERM=%s); use the command-line verbs: yoloport info|export|matrix",
                 term ? term : "");
        return false;
    }
    set_term(s);
    curses_on = 1;
    char *cup = tigetstr("cup");
    if (!cup || cup == (char *)-1) { /* TERM=dumb and friends: a full-screen UI cannot work */
        endwin();
        curses_on = 0;
        delscreen(s);
        snprintf(err, errlen, "this terminal (TERM=%s) cannot place the cursor, so the workbench cannot run here; "
                 "use the command-line verbs: yoloport info|export|matrix", term ? term : "");
        return false;
    }
    if (getenv("ESCDELAY") == NULL) set_escdelay(25);
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    if (app->mouse) {
        mouseinterval(0);
        mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    }
    bool ascii = app->ascii || !textwidth_locale_utf8();
    app->theme.g.ascii = ascii;
    theme_glyphs(&app->theme, ascii);
    ColorMode mode = theme_detect_mode(app->no_color);
    char terr[256] = "";
    if (theme_load(&app->theme, paths_themes_dir(), app->theme_name, mode, terr, sizeof terr) != 0)
        app_status(app, MSG_ERROR, "%s", terr);
    return true;
}

static int parse_cli(App *app, int argc, char **argv, char **kv, int *nkv, bool *theme_given)
{
    *nkv = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-color") || !strcmp(a, "--no-colour")) app->no_color = true;
        else if (!strcmp(a, "--ascii")) app->ascii = true;
        else if (!strcmp(a, "--no-mouse")) app->mouse = false;
        else if (!strcmp(a, "--theme") && i + 1 < argc) {
            snprintf(app->theme_name, sizeof app->theme_name, "%s", argv[++i]);
            *theme_given = true;
        } else if (!strncmp(a, "--theme=", 8)) {
            snprintf(app->theme_name, sizeof app->theme_name, "%s", a + 8);
            *theme_given = true;
        } else if (!strcmp(a, "--dump-commands")) {
            tui_print_commands_man(stdout);
            return 1;
        } else if (!strcmp(a, "--dump-keymap")) {
            keymap_print_defaults(stdout);
            return 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "yoloport: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (strchr(a, '=') || export_arg_find(a) >= 0) {
            kv[(*nkv)++] = argv[i];
        } else if (!app->model_path[0]) {
            snprintf(app->model_path, sizeof app->model_path, "%s", a);
        } else {
            fprintf(stderr, "yoloport: unexpected argument '%s' (one MODEL, then key=value pairs)\n", a);
            return 2;
        }
    }
    return 0;
}

int tui_main(int argc, char **argv)
{
    App *app = xcalloc(1, sizeof *app);
    app->t_start = now_seconds();
    app->fps = 30;
    app->mouse = true;
    snprintf(app->theme_name, sizeof app->theme_name, "dark");
    char **kv = xcalloc((size_t)argc + 1, sizeof *kv);
    int nkv = 0, rc = 0;
    bool theme_given = false;
    int pr = parse_cli(app, argc, argv, kv, &nkv, &theme_given);
    if (pr) {
        free(kv);
        free(app);
        return pr == 1 ? 0 : 2;
    }
    if (theme_given) { /* --theme NAME: refused before anything starts */
        char terr[512];
        if (theme_check(paths_themes_dir(), app->theme_name, terr, sizeof terr) != 0) {
            fprintf(stderr, "yoloport: %s\n", terr);
            free(kv);
            free(app);
            return 2;
        }
    }
    config_paths(app);
    keymap_init_defaults(&app->keymap);
    char cfg_err[512] = "";
    /* the shipped keymap (data: an installation may edit it), then the user's config */
    char *km_path = paths_share("keymap");
    char *km_text = file_read_all(km_path, 1 << 20, NULL, NULL, 0);
    if (km_text && keymap_load_text(&app->keymap, km_text, cfg_err, sizeof cfg_err) != 0) {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s: %s", km_path, cfg_err);
        snprintf(cfg_err, sizeof cfg_err, "%s", tmp);
    }
    free(km_text);
    free(km_path);
    config_load(app, theme_given, cfg_err, sizeof cfg_err);
    /* export arguments: defaults, then the config's, then the command line's */
    export_args_init(&app->args);
    if (app->default_args[0]) {
        ExportArgs save = app->args;
        if (apply_words(app, &app->args, app->default_args) != 0) {
            app->args = save;
            snprintf(cfg_err, sizeof cfg_err, "config: export = %s: %s", app->default_args, app->status);
        }
    }
    if (nkv) {
        ExportMsgs m;
        export_msgs_clear(&m);
        if (export_args_parse_argv(&app->args, nkv, kv, &m) != 0) {
            for (int i = 0; i < m.n; i++)
                if (m.items[i].level == EXPORT_MSG_ERROR) fprintf(stderr, "yoloport: %s\n", m.items[i].text);
            free(kv);
            keymap_free(&app->keymap);
            free(app);
            return 2;
        }
    }
    free(kv);
    if (!app->model_path[0] && !export_args_is_none(&app->args, EXPORT_KEY_MODEL))
        snprintf(app->model_path, sizeof app->model_path, "%s", app->args.model);
    if (!app->model_path[0]) snprintf(app->model_path, sizeof app->model_path, "yolov8n.yaml");

    /* curses first, so that the first frame shows as soon as the model is in */
    char err[512] = "";
    saved_stderr = dup(2);
    int logfd = open_log(app);
    install_signals();
    if (!start_curses(app, err, sizeof err)) {
        restore_terminal();
        restore_signals();
        if (logfd >= 0) close(logfd);
        fprintf(stderr, "yoloport: %s\n", err);
        keymap_free(&app->keymap);
        free(app);
        return 1;
    }
    if (logfd >= 0) {
        dup2(logfd, 2); /* stray library messages must not scribble over the screen */
        close(logfd);
    }
    app->prompt = prompt_new(app);
    app->help = help_new();
    const char *bench = getenv("YOLOPORT_BENCH_LOG");
    if (bench && *bench) app->bench = fopen(bench, "w");
    session_start(app);
    app_open_model(app, app->model_path);
    if (cfg_err[0]) app_status(app, MSG_ERROR, "%s", cfg_err);
    for (int i = 0; i < SCREEN_COUNT; i++) {
        app->panes[i].ops = pane_table[i];
        app->panes[i].ops->open(&app->panes[i], app);
    }
    layout(app);
    app->dirty = true;
    if (!app->status[0] || app->status_level == MSG_OK) {
        if (app->graph) app_status(app, MSG_OK, "%s  |  ? help  : command  q quit", app->model_path);
    }

    struct pollfd fds[2];
    fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = app->jobs ? jobs_event_fd(app->jobs) : -1, .events = POLLIN};
    bool pending_job_frame = false;
    double last_tick = now_seconds();
    while (!app->quit && !quit_signal) {
        double now = now_seconds();
        double min_gap = 1.0 / (app->fps > 0 ? app->fps : 30);
        if (app->dirty && (!pending_job_frame || now - app->last_frame >= min_gap)) {
            draw_frame(app);
            pending_job_frame = false;
        }
        int timeout = -1;
        if (app->dirty) {
            double wait = min_gap - (now_seconds() - app->last_frame);
            timeout = wait > 0 ? (int)(wait * 1000) + 1 : 0;
        }
        /* while jobs run, elapsed times and "since last line" move: one frame a second */
        if (session_active_jobs(app) > 0) {
            int t = (int)((last_tick + 1.0 - now_seconds()) * 1000);
            if (t < 0) t = 0;
            if (timeout < 0 || t < timeout) timeout = t;
        }
        int n = poll(fds, fds[1].fd >= 0 ? 2 : 1, timeout);
        if (n < 0 && errno != EINTR) break;
        if (session_active_jobs(app) > 0 && now_seconds() - last_tick >= 1.0) {
            last_tick = now_seconds();
            app->tick++;
            app->dirty = true;
            pending_job_frame = true;
        }
        if (n > 0 && fds[1].fd >= 0 && (fds[1].revents & POLLIN)) {
            int r = session_drain(app);
            if (r & (R_REDRAW | R_RELAYOUT)) {
                app->dirty = true;
                pending_job_frame = true;
            }
        }
        /* a signal (SIGWINCH: ncurses turns it into KEY_RESIZE) interrupts poll: read then too */
        bool interrupted = n < 0 && errno == EINTR;
        if (interrupted || (n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))) {
            bool resized = false, any = false;
            wint_t ch;
            int kr, guard = 0;
            while ((kr = wget_wch(stdscr, &ch)) != ERR && guard++ < 4096) {
                if (!any) app->t_key = now_seconds();
                any = true;
                if (kr == KEY_CODE_YES && ch == KEY_RESIZE) {
                    resized = true; /* bursts of SIGWINCH: one layout after the batch */
                    continue;
                }
                int r = handle_key(app, ch, kr == KEY_CODE_YES);
                if (r & R_RELAYOUT) resized = true;
                if (r & R_QUIT) app->quit = true;
                if (app->quit) break;
            }
            if (!interrupted && (fds[0].revents & (POLLHUP | POLLERR)) && !any) break; /* the terminal went away */
            if (resized) layout(app);
            if (any || resized) {
                app->dirty = true;
                pending_job_frame = false; /* keys are answered at once */
            }
        }
    }
    /* the state file remembers what this session ended with */
    UiState st;
    memset(&st, 0, sizeof st);
    snprintf(st.model, sizeof st.model, "%s", app->model_path);
    char *cmdline = export_args_command(&app->args, EXPORT_CMD_YOLOPORT);
    const char *rest = cmdline ? strstr(cmdline, " format=") : NULL;
    snprintf(st.args, sizeof st.args, "%s", rest ? rest + 1 : "");
    free(cmdline);
    st.screen = app->screen;
    for (int i = 0; i < SCREEN_COUNT; i++)
        if (app->panes[i].ops && app->panes[i].ops->close) app->panes[i].ops->close(&app->panes[i], app);
    restore_terminal();
    restore_signals();
    session_stop(app);
    state_save(app, &st);
    if (quit_signal) rc = 128 + quit_signal;
    prompt_free(app->prompt);
    help_free(app->help);
    dialog_close(&app->dialog);
    keymap_free(&app->keymap);
    if (app->graph) graph_free(app->graph);
    for (int i = 0; i < MATRIX_LANG_COUNT; i++)
        if (app->matrix[i]) matrix_free(app->matrix[i]);
    if (app->bench) fclose(app->bench);
    free(app);
    return rc;
}
