/* pane_compare: the Compare screen -- every export of this session side by side: format,
 * status in the peer's legend (✅ passed, ❎ written but check failed, ❌ failed, – not
 * checked), size, size against the source, precision, export time, max |Δ| of the check, and
 * from benchmark runs (:benchmark, or b: the marked rows, Space marks, all when none is
 * marked) ms/img, FPS, mAP50-95 and the runtime that ran it (an INT8 export's mAP50-95 from its
 * own accuracy check until a benchmark measures it: "0.618 (−0.007 vs fp32)"), with bar
 * charts of size, time and speed; each row's arguments (what makes it a variant) and whether
 * its file is still the one it wrote (on disk, gone, replaced); D deletes it after a question.
 * p predicts the last image with the selected artifact (the Predict screen).  `s`
 * sorts by the focused column (< > or h/l move the focus). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "tui/app.h"
#include "tui/prompt.h"
#include "tui/session.h"
#include "widgets/table.h"
#include "widgets/text.h"

/* the measured figures come right after the size so that they show in 80 columns */
enum {
    C_MARK, C_JOB, C_FORMAT, C_STATUS, C_SIZE, C_SPEED, C_FPS, C_MAP, C_ARGS, C_FILE, C_RATIO, C_PREC, C_TIME, C_DELTA,
    C_RUNTIME, C_HOST,
    C_SIZE_BAR, C_TIME_BAR, C_FPS_BAR, C_PATH, C_COUNT
};

typedef struct {
    Table table;
    App *app;
    int64_t max_bytes;
    double max_secs;
    double max_fps;
    int *rows;        /* table row -> index into app->exports (exports only, not other jobs) */
    int n_rows, cap_rows;
    int *marked;      /* job ids marked for a benchmark */
    int n_marked, cap_marked;
} ComparePane;

static bool is_marked(const ComparePane *cp, int job_id)
{
    for (int i = 0; i < cp->n_marked; i++)
        if (cp->marked[i] == job_id) return true;
    return false;
}

static const char *artifact_path(const ExportRecord *rec)
{
    const ExportRun *run = rec->run;
    if (!rec->finished || !run || !run->last_path[0]) return NULL;
    return run->status == EXPORT_FAILED || run->status == EXPORT_CANCELLED ? NULL : run->last_path;
}

static ComparePane *cp_of(Pane *p) { return p->state; }

static const ReportArtifact *artifact(const ExportRecord *rec)
{
    if (!rec->finished || !rec->run) return NULL;
    const ExportRun *run = rec->run;
    return run->report.n_artifacts > 0 ? &run->report.artifacts[run->report.n_artifacts - 1] : NULL;
}

static double row_seconds(App *app, const ExportRecord *rec)
{
    if (!rec->finished || !rec->run) return NAN;
    const ExportRun *run = rec->run;
    if (run->report.total_seconds > 0) return run->report.total_seconds;
    const ReportArtifact *a = artifact(rec);
    return a ? a->seconds : NAN;
}

/* The format's name without the "@host" the Jobs list adds (the host has its own column). */
static const char *eff_name(const ExportRecord *rec)
{
    static char buf[64];
    snprintf(buf, sizeof buf, "%s", rec->format_name);
    char *at = rec->host[0] ? strrchr(buf, '@') : NULL;
    if (at) *at = '\0';
    return buf;
}

static void cell_fn(void *ctx, int row, int col, TableCell *c)
{
    ComparePane *cp = ctx;
    App *app = cp->app;
    if (row < 0 || row >= cp->n_rows) return;
    const ExportRecord *rec = &app->exports[cp->rows[row]];
    const ExportRun *run = rec->run;
    const ReportArtifact *a = artifact(rec);
    const Theme *th = &app->theme;
    char tmp[64];
    const char *ap = artifact_path(rec);
    const BenchRow *br = ap ? session_bench_row(app, ap) : NULL;
    switch (col) {
    case C_MARK: snprintf(c->buf, c->len, "%s", is_marked(cp, rec->job_id) ? "*" : " "); break;
    case C_JOB: snprintf(c->buf, c->len, "%d", rec->job_id); break;
    case C_FORMAT: snprintf(c->buf, c->len, "%s", eff_name(rec)); break;
    case C_HOST: snprintf(c->buf, c->len, "%s", rec->host[0] ? rec->host : "here"); break;
    case C_ARGS: snprintf(c->buf, c->len, "%s", rec->variant[0] ? rec->variant : "defaults"); break;
    case C_FILE: {
        static const char *const words[] = {"-", "on disk", "gone", "replaced"};
        ArtifactState st = session_artifact_state(rec);
        snprintf(c->buf, c->len, "%s", words[st]);
        if (st == ARTIFACT_GONE || st == ARTIFACT_REPLACED) c->slot = SLOT_WARNING;
        break;
    }
    case C_STATUS:
        if (!rec->finished || !run) snprintf(c->buf, c->len, "%s", job_state_name(rec->state));
        else if (rec->state == JOB_CANCELLED) snprintf(c->buf, c->len, "cancelled"), c->slot = SLOT_DIM;
        else if (run->status == EXPORT_OK) snprintf(c->buf, c->len, "%s", th->g.ok), c->slot = SLOT_OK;
        else if (run->status == EXPORT_CHECK_FAILED) snprintf(c->buf, c->len, "%s", th->g.check_failed), c->slot = SLOT_WARNING;
        else if (run->status == EXPORT_UNCHECKED) snprintf(c->buf, c->len, "%s", th->g.unchecked), c->slot = SLOT_DIM;
        else snprintf(c->buf, c->len, "%s", th->g.failed), c->slot = SLOT_ERROR;
        break;
    case C_SIZE:
        if (a) snprintf(c->buf, c->len, "%.1f MB", report_mib(a->bytes));
        else snprintf(c->buf, c->len, "-");
        c->slot = SLOT_NUMBER;
        break;
    case C_RATIO:
        if (a && run->report.source_bytes > 0) snprintf(c->buf, c->len, "%.2fx", (double)a->bytes / (double)run->report.source_bytes);
        else snprintf(c->buf, c->len, "-");
        break;
    case C_PREC:
        /* the precision as the artifact computes ("int8 (QDQ, per-channel)", "uint8 weights, float
         * compute"); a storage breakdown ("mixed (fp16 97%, ...)") by its kind alone */
        if (!a) snprintf(c->buf, c->len, "-");
        else if (strncmp(a->precision.text, "mixed (", 7) != 0 && a->precision.text[0])
            snprintf(c->buf, c->len, "%s", a->precision.text);
        else snprintf(c->buf, c->len, "%s", precision_name(a->precision.kind));
        break;
    case C_TIME: {
        double s = row_seconds(app, rec);
        if (isnan(s)) snprintf(c->buf, c->len, "-");
        else snprintf(c->buf, c->len, "%.1f s", s);
        break;
    }
    case C_DELTA:
        if (a && a->max_abs_delta >= 0) snprintf(c->buf, c->len, "%.2g", a->max_abs_delta);
        else snprintf(c->buf, c->len, "-");
        break;
    case C_SPEED:
        if (br && br->ms >= 0) snprintf(c->buf, c->len, "%.1f", br->ms);
        else snprintf(c->buf, c->len, "-");
        c->slot = SLOT_NUMBER;
        break;
    case C_FPS:
        if (br && br->fps >= 0) snprintf(c->buf, c->len, "%.2f", br->fps);
        else snprintf(c->buf, c->len, "-");
        c->slot = SLOT_NUMBER;
        break;
    case C_MAP:
        if (br && br->map >= 0) snprintf(c->buf, c->len, "%.4f", br->map);
        else if (a && a->accuracy && a->map >= 0) /* an INT8 export's own accuracy check */
            snprintf(c->buf, c->len, "%.3f (%s%.3f vs fp32)", a->map, a->map < a->map_ref - 0.0005 ? "\u2212" : "+",
                     fabs(a->map - a->map_ref));
        else snprintf(c->buf, c->len, br && br->status != BENCH_OK ? "%s" : "-", th->g.check_failed);
        c->slot = SLOT_NUMBER;
        break;
    case C_RUNTIME: snprintf(c->buf, c->len, "%s", br && br->runtime[0] ? br->runtime : br ? br->note : "-"); break;
    case C_FPS_BAR:
        c->fraction = (br && br->fps > 0 && cp->max_fps > 0) ? br->fps / cp->max_fps : 0;
        c->buf[0] = 0;
        break;
    case C_SIZE_BAR:
        c->fraction = (a && cp->max_bytes > 0) ? (double)a->bytes / (double)cp->max_bytes : 0;
        c->buf[0] = 0;
        break;
    case C_TIME_BAR: {
        double s = row_seconds(app, rec);
        c->fraction = (!isnan(s) && cp->max_secs > 0) ? s / cp->max_secs : 0;
        c->buf[0] = 0;
        break;
    }
    case C_PATH: snprintf(c->buf, c->len, "%s", rec->finished && run ? (run->last_path[0] ? run->last_path : run->error) : ""); break;
    }
    (void)tmp;
}

static double sort_fn(void *ctx, int row, int col)
{
    ComparePane *cp = ctx;
    App *app = cp->app;
    if (row < 0 || row >= cp->n_rows) return NAN;
    const ExportRecord *rec = &app->exports[cp->rows[row]];
    const ReportArtifact *a = artifact(rec);
    const char *ap = artifact_path(rec);
    const BenchRow *br = ap ? session_bench_row(app, ap) : NULL;
    switch (col) {
    case C_JOB: return rec->job_id;
    case C_SPEED: return br && br->ms >= 0 ? br->ms : NAN;
    case C_FPS: case C_FPS_BAR: return br && br->fps >= 0 ? br->fps : NAN;
    case C_MAP: return br && br->map >= 0 ? br->map : a && a->map >= 0 ? a->map : NAN;
    case C_SIZE: case C_SIZE_BAR: case C_RATIO: return a ? (double)a->bytes : NAN;
    case C_TIME: case C_TIME_BAR: return row_seconds(app, rec);
    case C_DELTA: return a && a->max_abs_delta >= 0 ? a->max_abs_delta : NAN;
    case C_STATUS: return rec->finished && rec->run ? (double)((const ExportRun *)rec->run)->status : -1.0;
    default: return NAN;
    }
}

static void compare_open(Pane *p, App *app)
{
    ComparePane *cp = xcalloc(1, sizeof *cp);
    p->state = cp;
    cp->app = app;
    Table *t = &cp->table;
    table_init(t, cell_fn, cp);
    t->sort_fn = sort_fn;
    static const struct {
        const char *title;
        int width, align;
        bool numeric;
        ColumnKind kind;
    } cols[C_COUNT] = {
        {"", 1, -1, false, COL_TEXT},
        {"job", 0, 1, true, COL_TEXT},        {"format", 0, -1, false, COL_TEXT}, {"status", 0, -1, true, COL_TEXT},
        {"size", 9, 1, true, COL_TEXT},       {"ms/img", 6, 1, true, COL_TEXT},     {"FPS", 6, 1, true, COL_TEXT},
        {"mAP50-95", 0, 1, true, COL_TEXT},   {"args", 0, -1, false, COL_TEXT},    {"file", 0, -1, false, COL_TEXT},
        {"vs source", 9, 1, true, COL_TEXT},  {"precision", 0, -1, false, COL_TEXT},
        {"export", 8, 1, true, COL_TEXT},     {"max |Δ|", 8, 1, true, COL_TEXT},   {"runtime", 0, -1, false, COL_TEXT},
        {"host", 0, -1, false, COL_TEXT},
        {"size", 14, -1, true, COL_BAR},      {"time", 14, -1, true, COL_BAR},     {"FPS", 14, -1, true, COL_BAR},
        {"artifact", 0, -1, false, COL_TEXT},
    };
    for (int i = 0; i < C_COUNT; i++) {
        table_add_column(t, cols[i].title, cols[i].width, cols[i].align);
        t->cols[i].numeric = cols[i].numeric;
        t->cols[i].kind = cols[i].kind;
        t->cols[i].max_width = i == C_PATH ? 60 : i == C_ARGS ? 40 : 24;
    }
    t->frozen = 3;
    t->focus_col = C_SIZE;
}

static void compare_close(Pane *p, App *app)
{
    ComparePane *cp = cp_of(p);
    if (!cp) return;
    table_free(&cp->table);
    free(cp->rows);
    free(cp->marked);
    free(cp);
    p->state = NULL;
}

static int compare_update(Pane *p, App *app)
{
    ComparePane *cp = cp_of(p);
    cp->max_bytes = 0;
    cp->max_secs = 0;
    cp->max_fps = 0;
    cp->n_rows = 0;
    for (int i = 0; i < app->n_exports; i++) {
        if (!app->exports[i].run) continue;
        if (cp->n_rows == cp->cap_rows) {
            cp->cap_rows = cp->cap_rows ? cp->cap_rows * 2 : 16;
            cp->rows = xrealloc(cp->rows, sizeof *cp->rows * (size_t)cp->cap_rows);
        }
        cp->rows[cp->n_rows++] = i;
        const ReportArtifact *a = artifact(&app->exports[i]);
        if (a && a->bytes > cp->max_bytes) cp->max_bytes = a->bytes;
        double s = row_seconds(app, &app->exports[i]);
        if (!isnan(s) && s > cp->max_secs) cp->max_secs = s;
        const char *ap = artifact_path(&app->exports[i]);
        const BenchRow *br = ap ? session_bench_row(app, ap) : NULL;
        if (br && br->fps > cp->max_fps) cp->max_fps = br->fps;
    }
    table_set_rows(&cp->table, cp->n_rows);
    return R_REDRAW;
}

static void compare_draw(Pane *p, App *app, WINDOW *win)
{
    ComparePane *cp = cp_of(p);
    const Theme *th = &app->theme;
    compare_update(p, app);
    char head[256];
    int done = 0;
    for (int i = 0; i < cp->n_rows; i++) done += app->exports[cp->rows[i]].finished;
    const ExportRecord *bench = session_bench_running(app);
    char progress[200] = "";
    if (bench) {
        Job *job = app->jobs ? jobs_find(app->jobs, bench->job_id) : NULL;
        JobInfo info;
        memset(&info, 0, sizeof info);
        if (job) job_get_info(job, &info);
        snprintf(progress, sizeof progress, "   benchmark job %d: %s %d%%", bench->job_id, info.stage,
                 info.fraction >= 0 ? (int)(info.fraction * 100 + 0.5) : 0);
    }
    snprintf(head, sizeof head, "Exports of this session: %d (%d finished)%s   legend: %s passed  %s written, check failed  %s failed  %s not checked   Space marks, b benchmarks, p predicts, = diffs, D deletes",
             cp->n_rows, done, progress, th->g.ok, th->g.check_failed, th->g.failed, th->g.unchecked);
    text_draw_pad(win, p->y, p->x, head, p->w, theme_attr(th, SLOT_TITLE));
    if (cp->n_rows == 0) {
        for (int i = 1; i < p->h; i++) text_fill(win, p->y + i, p->x, p->w, theme_attr(th, SLOT_NORMAL));
        text_draw(win, p->y + 2, p->x + 1, "nothing exported yet: mark formats on the Export screen (2) with Space, then r", p->w - 2,
                  theme_attr(th, SLOT_DIM));
        return;
    }
    table_draw(&cp->table, win, p->y + 1, p->x, p->h - 1, p->w, th, true);
}

static int compare_key(Pane *p, App *app, Command cmd, wint_t ch, bool is_key)
{
    ComparePane *cp = cp_of(p);
    Table *t = &cp->table;
    ListMove move;
    if (command_list_move(cmd, &move)) {
        list_move(&t->list, move);
        return R_HANDLED | R_REDRAW;
    }
    switch (cmd) {
    case CMD_LEFT: case CMD_COLUMN_LEFT: table_focus_col(t, -1); break;
    case CMD_RIGHT: case CMD_COLUMN_RIGHT: table_focus_col(t, 1); break;
    case CMD_SORT: table_sort(t, t->focus_col >= 0 ? t->focus_col : C_SIZE); break;
    case CMD_TOGGLE: {
        int r = table_selected(t);
        if (r < 0 || r >= cp->n_rows) break;
        int id = app->exports[cp->rows[r]].job_id;
        bool was = false;
        for (int i = 0; i < cp->n_marked; i++)
            if (cp->marked[i] == id) {
                cp->marked[i] = cp->marked[--cp->n_marked];
                was = true;
                break;
            }
        if (!was) {
            if (cp->n_marked == cp->cap_marked) {
                cp->cap_marked = cp->cap_marked ? cp->cap_marked * 2 : 8;
                cp->marked = xrealloc(cp->marked, sizeof *cp->marked * (size_t)cp->cap_marked);
            }
            cp->marked[cp->n_marked++] = id;
        }
        list_move(&t->list, LIST_DOWN);
        break;
    }
    case CMD_PREDICT_SELECTED: {
        const char *ap = pane_compare_selected_artifact(p, app);
        if (!ap) {
            app_status(app, MSG_WARN, "no artifact on this row to predict with");
            break;
        }
        if (!app->predict_image[0]) {
            char pre[4200];
            snprintf(pre, sizeof pre, "predict model=%s ", ap);
            prompt_begin(app->prompt, PROMPT_COMMAND, pre);
            break;
        }
        if (session_predict(app, ap, app->predict_image) > 0) app_show(app, SCREEN_PREDICT);
        break;
    }
    case CMD_DELETE_ARTIFACT: {
        int r = table_selected(t);
        if (r < 0 || r >= cp->n_rows) break;
        const ExportRecord *rec = &app->exports[cp->rows[r]];
        const char *target = session_artifact_target(rec);
        ArtifactState st = session_artifact_state(rec);
        if (!target[0] || st == ARTIFACT_NONE) app_status(app, MSG_WARN, "no artifact on this row to delete");
        else if (st == ARTIFACT_GONE) app_status(app, MSG_INFO, "%s is already gone", target);
        else if (st == ARTIFACT_REPLACED)
            app_status(app, MSG_WARN, "%s was replaced since job %d wrote it: not deleting another export's file", target,
                       rec->job_id);
        else {
            char text[4600];
            snprintf(text, sizeof text, "Delete %s (%.1f MB) from disk?\nThe row stays in Compare, marked gone.", target,
                     report_mib(path_size(target)));
            app_confirm(app, DLG_CONFIRM_DELETE, rec->job_id, "Delete an artifact", text);
        }
        break;
    }
    case CMD_DIFF_SELECTED: { /* the two marked rows, else the selected row against the model */
        const char *paths[2] = {NULL, NULL};
        int n = 0;
        for (int i = 0; i < cp->n_rows && n < 2; i++) {
            const ExportRecord *rec = &app->exports[cp->rows[i]];
            if (is_marked(cp, rec->job_id) && artifact_path(rec)) paths[n++] = artifact_path(rec);
        }
        if (n == 2) session_diff(app, paths[0], paths[1]);
        else {
            const char *ap = pane_compare_selected_artifact(p, app);
            if (ap) session_diff(app, app->model_path, ap);
            else app_status(app, MSG_WARN, "diff: no artifact on this row (mark two rows with Space, or pick one)");
        }
        break;
    }
    case CMD_ENTER: {
        int r = table_selected(t);
        if (r >= 0 && r < cp->n_rows) {
            app_show(app, SCREEN_JOBS);
            pane_jobs_select(&app->panes[SCREEN_JOBS], app, app->exports[cp->rows[r]].job_id);
        }
        break;
    }
    default: return 0;
    }
    return R_HANDLED | R_REDRAW;
}

static int compare_mouse(Pane *p, App *app, const MEVENT *ev)
{
    ComparePane *cp = cp_of(p);
    Table *t = &cp->table;
    if (ev->bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
        list_scroll(&t->list, (ev->bstate & BUTTON4_PRESSED) ? -3 : 3);
        return R_HANDLED | R_REDRAW;
    }
    int line = ev->y - (p->y + 1);
    int col = table_col_at(t, ev->x - p->x, p->w);
    if (line == 0 && col >= 0) table_sort(t, col); /* a click on a heading sorts */
    else {
        int d = table_row_at(t, line);
        if (d >= 0) list_select(&t->list, d);
        if (col >= 0) t->focus_col = col;
    }
    return R_HANDLED | R_REDRAW;
}

int pane_compare_targets(Pane *p, App *app, const char **out, int max)
{
    ComparePane *cp = cp_of(p);
    if (!cp) return 0;
    compare_update(p, app);
    int n = 0;
    for (int pass = 0; pass < 2 && n == 0; pass++) /* the marked rows; when none, every artifact */
        for (int i = 0; i < cp->n_rows && n < max; i++) {
            const ExportRecord *rec = &app->exports[cp->rows[i]];
            const char *ap = artifact_path(rec);
            if (ap && (pass == 1 || is_marked(cp, rec->job_id))) out[n++] = ap;
        }
    return n;
}

const char *pane_compare_selected_artifact(Pane *p, App *app)
{
    ComparePane *cp = cp_of(p);
    if (!cp) return NULL;
    int r = table_selected(&cp->table);
    return r >= 0 && r < cp->n_rows ? artifact_path(&app->exports[cp->rows[r]]) : NULL;
}

const PaneOps pane_compare_ops = {
    .name = "Compare",
    .scope = SCOPE_COMPARE,
    .open = compare_open,
    .draw = compare_draw,
    .key = compare_key,
    .mouse = compare_mouse,
    .resize = NULL,
    .close = compare_close,
    .update = compare_update,
};
