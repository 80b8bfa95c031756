/* pane_compare: the Compare screen -- every export of this session side by side: format,
 * status in the peer's legend (✅ passed, ❎ written but check failed, ❌ failed), size, size
 * against the source, precision, export time, max |Δ| of the check, and bar charts of size
 * and time.  `s` sorts by the focused column (< > or h/l move the focus). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "tui/app.h"
#include "widgets/table.h"
#include "widgets/text.h"

enum { C_JOB, C_FORMAT, C_STATUS, C_SIZE, C_RATIO, C_PREC, C_TIME, C_DELTA, C_SPEED, C_SIZE_BAR, C_TIME_BAR, C_PATH, C_COUNT };

typedef struct {
    Table table;
    App *app;
    int64_t max_bytes;
    double max_secs;
    int *rows;        /* table row -> index into app->exports (exports only, not other jobs) */
    int n_rows, cap_rows;
} ComparePane;

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
    switch (col) {
    case C_JOB: snprintf(c->buf, c->len, "%d", rec->job_id); break;
    case C_FORMAT: snprintf(c->buf, c->len, "%s", rec->format_name); break;
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
    case C_PREC: snprintf(c->buf, c->len, "%s", a ? precision_name(a->precision.kind) : "-"); break;
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
    case C_SPEED: snprintf(c->buf, c->len, "-"); break; /* benchmark figures are not measured by exports */
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
    switch (col) {
    case C_JOB: return rec->job_id;
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
        {"job", 0, 1, true, COL_TEXT},        {"format", 0, -1, false, COL_TEXT}, {"status", 0, -1, true, COL_TEXT},
        {"size", 9, 1, true, COL_TEXT},       {"vs source", 9, 1, true, COL_TEXT}, {"precision", 0, -1, false, COL_TEXT},
        {"export", 8, 1, true, COL_TEXT},     {"max |Δ|", 8, 1, true, COL_TEXT},   {"ms/img", 6, 1, true, COL_TEXT},
        {"size", 14, -1, true, COL_BAR},      {"time", 14, -1, true, COL_BAR},     {"artifact", 0, -1, false, COL_TEXT},
    };
    for (int i = 0; i < C_COUNT; i++) {
        table_add_column(t, cols[i].title, cols[i].width, cols[i].align);
        t->cols[i].numeric = cols[i].numeric;
        t->cols[i].kind = cols[i].kind;
        t->cols[i].max_width = i == C_PATH ? 60 : 24;
    }
    t->frozen = 2;
    t->focus_col = C_SIZE;
}

static void compare_close(Pane *p, App *app)
{
    ComparePane *cp = cp_of(p);
    if (!cp) return;
    table_free(&cp->table);
    free(cp->rows);
    free(cp);
    p->state = NULL;
}

static int compare_update(Pane *p, App *app)
{
    ComparePane *cp = cp_of(p);
    cp->max_bytes = 0;
    cp->max_secs = 0;
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
    snprintf(head, sizeof head, "Exports of this session: %d (%d finished)   legend: %s passed  %s written, check failed  %s failed  %s not checked",
             cp->n_rows, done, th->g.ok, th->g.check_failed, th->g.failed, th->g.unchecked);
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
