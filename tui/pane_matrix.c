/* pane_matrix: the Matrix screen -- deployment options (rows) against the criteria plus two
 * live columns (can this host export it; how did this session's last export of it go).
 * Column focus with h/Left/Right or < >, horizontal scroll follows it; Enter shows the full
 * description; `s` sorts by the focused column; `/` filters rows; `l` switches English /
 * Chinese; `e` jumps to Export with the option's format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "tui/app.h"
#include "tui/matrix_render.h"
#include "widgets/table.h"
#include "widgets/text.h"

typedef struct {
    Table table;
    App *app;
    int lang;              /* index into app->matrix */
    int rows[64];          /* table row -> option index (after the filter) */
    int n_rows;
    char filter[128];
    MatrixLive live[64];
    char titles[MATRIX_CRITERION_COUNT + 4][96];
    int colmap[MATRIX_CRITERION_COUNT + 4]; /* table column -> logical column (COL_HERE, 1 + criterion, ...) */
} MatrixPane;

static MatrixPane *mp_of(Pane *p) { return p->state; }
static const char *const langs[MATRIX_LANG_COUNT] = {MATRIX_LANGS};

static Matrix *cur(MatrixPane *mp) { return mp->app->matrix[mp->lang]; }

/* Column layout: 0 option, 1..7 criteria, 8 here, 9 last export, 10 format= */
#define COL_HERE (1 + MATRIX_CRITERION_COUNT)
#define COL_LAST (COL_HERE + 1)
#define COL_ARG (COL_LAST + 1)

/* The logical column (0 option, 1..7 criteria, COL_HERE, COL_LAST, COL_ARG) of table column c. */
static int logical(const MatrixPane *mp, int c)
{
    return c >= 0 && c < mp->table.n_cols ? mp->colmap[c] : -1;
}

static void cell_fn(void *ctx, int row, int col, TableCell *c)
{
    MatrixPane *mp = ctx;
    Matrix *m = cur(mp);
    if (!m || row < 0 || row >= mp->n_rows) return;
    col = logical(mp, col);
    int o = mp->rows[row];
    const MatrixOption *opt = matrix_option(m, o);
    if (col == 0) {
        snprintf(c->buf, c->len, "%s", opt->name);
        c->slot = SLOT_LABEL;
    } else if (col <= MATRIX_CRITERION_COUNT) {
        snprintf(c->buf, c->len, "%s", matrix_cell(m, o, col - 1));
    } else if (col == COL_HERE) {
        matrix_live_avail_text(m, &mp->live[o], c->buf, c->len);
        c->slot = mp->live[o].avail == MATRIX_AVAIL_BUILTIN ? SLOT_OK : mp->live[o].avail == MATRIX_AVAIL_TOOL ? SLOT_WARNING : SLOT_DIM;
    } else if (col == COL_LAST) {
        matrix_live_run_text(m, &mp->live[o], c->buf, c->len);
    } else if (col == COL_ARG) {
        snprintf(c->buf, c->len, "%s", opt->argument);
        c->slot = SLOT_DIM;
    }
}

static void fill_live(MatrixPane *mp, App *app)
{
    Matrix *m = cur(mp);
    if (!m) return;
    int n = matrix_option_count(m);
    if (n > 64) n = 64;
    matrix_live_init(mp->live, n);
    if (app->host_ready) matrix_live_fill_avail(m, &app->host, mp->live);
    /* the last export of each format in this session */
    for (int i = 0; i < app->n_exports; i++) {
        const ExportRecord *rec = &app->exports[i];
        if (!rec->run) continue;
        int o = matrix_option_find(m, rec->format);
        if (o < 0 || o >= n) continue;
        MatrixLive *l = &mp->live[o];
        if (!rec->finished) {
            l->status = MATRIX_RUN_RUNNING;
            continue;
        }
        const ExportRun *run = rec->run;
        l->status = rec->state == JOB_CANCELLED ? MATRIX_RUN_NONE : run->status == EXPORT_OK ? MATRIX_RUN_PASSED
                    : run->status == EXPORT_CHECK_FAILED ? MATRIX_RUN_CHECK_FAILED
                    : run->status == EXPORT_UNCHECKED ? MATRIX_RUN_UNCHECKED : MATRIX_RUN_FAILED;
        l->size_bytes = run->report.n_artifacts ? run->report.artifacts[run->report.n_artifacts - 1].bytes : -1;
        l->seconds = run->report.total_seconds > 0 ? run->report.total_seconds : -1;
    }
}

static bool row_matches(MatrixPane *mp, int o)
{
    if (!mp->filter[0]) return true;
    Matrix *m = cur(mp);
    const MatrixOption *opt = matrix_option(m, o);
    if (str_find_ci(opt->name, mp->filter) || str_find_ci(opt->argument, mp->filter) || str_find_ci(opt->summary, mp->filter) ||
        str_find_ci(opt->hardware, mp->filter) || str_find_ci(opt->runtime, mp->filter))
        return true;
    for (int c = 0; c < matrix_criterion_count(m); c++)
        if (str_find_ci(matrix_cell(m, o, c), mp->filter) || str_find_ci(matrix_detail(m, o, c), mp->filter)) return true;
    return false;
}

static void rebuild(MatrixPane *mp, App *app)
{
    Matrix *m = cur(mp);
    Table *t = &mp->table;
    int keep_focus = logical(mp, t->focus_col), keep_sort = logical(mp, t->sort_col);
    bool keep_desc = t->sort_desc;
    int keep_sel = table_selected(t) >= 0 && table_selected(t) < mp->n_rows ? mp->rows[table_selected(t)] : -1;
    t->n_cols = 0;
    if (!m) return;
    const MatrixLabels *lb = matrix_labels(m);
    fill_live(mp, app);
    /* "Here" and "Last export" come first (kept in view beside the option) when they say
     * something: what this host can do, what this session exported */
    bool here = app->host_ready, last = false;
    for (int o = 0; o < matrix_option_count(m) && o < 64; o++) last |= mp->live[o].status != MATRIX_RUN_NONE;
    int order[MATRIX_CRITERION_COUNT + 4], n = 0;
    order[n++] = 0;
    if (here) order[n++] = COL_HERE;
    if (last) order[n++] = COL_LAST;
    for (int c = 0; c < matrix_criterion_count(m) && c < MATRIX_CRITERION_COUNT; c++) order[n++] = 1 + c;
    if (!here) order[n++] = COL_HERE;
    if (!last) order[n++] = COL_LAST;
    order[n++] = COL_ARG;
    for (int i = 0; i < n; i++) {
        int lc = order[i];
        const char *title = lc == 0 ? lb->option : lc == COL_HERE ? lb->here : lc == COL_LAST ? lb->last
                          : lc == COL_ARG ? lb->argument : matrix_criterion(m, lc - 1)->title;
        snprintf(mp->titles[i], sizeof mp->titles[i], "%s", title);
        table_add_column(t, mp->titles[i], 0, -1);
        mp->colmap[i] = lc;
        /* whole cells: the widest (35 characters, Chinese ones twice as wide) fits; the table
         * scrolls sideways to the focused column */
        t->cols[i].max_width = lc == 0 ? 16 : 64;
    }
    t->frozen = 1 + here + last;
    int first_criterion = 1 + here + last;
    t->focus_col = first_criterion;
    t->sort_col = -1;
    for (int i = 0; i < n; i++) {
        if (mp->colmap[i] == keep_focus && keep_focus > 0) t->focus_col = i;
        if (mp->colmap[i] == keep_sort && keep_sort >= 0) t->sort_col = i;
    }
    t->sort_desc = keep_desc;
    mp->n_rows = 0;
    for (int o = 0; o < matrix_option_count(m) && mp->n_rows < 64; o++)
        if (row_matches(mp, o)) mp->rows[mp->n_rows++] = o;
    table_set_rows(t, mp->n_rows);
    if (keep_sel >= 0)
        for (int r = 0; r < mp->n_rows; r++)
            if (mp->rows[r] == keep_sel) table_select_row(t, r);
}

static bool ensure_lang(MatrixPane *mp, App *app, int lang)
{
    if (app->matrix[lang]) return true;
    char err[512] = "";
    app->matrix[lang] = matrix_load(langs[lang], err, sizeof err);
    if (!app->matrix[lang]) {
        app_status(app, MSG_ERROR, "%s", err);
        return false;
    }
    return true;
}

static void matrix_open(Pane *p, App *app)
{
    MatrixPane *mp = xcalloc(1, sizeof *mp);
    p->state = mp;
    mp->app = app;
    table_init(&mp->table, cell_fn, mp);
    if (!app->host_ready) {
        host_detect(&app->host); /* a few /proc reads and PATH stats, well under 10 ms */
        app->host_ready = true;
    }
    /* the language follows the locale: Chinese when LANG/LC_ALL says zh */
    const char *l = getenv("LC_ALL");
    if (!l || !*l) l = getenv("LC_MESSAGES");
    if (!l || !*l) l = getenv("LANG");
    mp->lang = (l && !strncmp(l, "zh", 2)) ? 1 : 0;
    if (ensure_lang(mp, app, mp->lang)) rebuild(mp, app);
}

static void matrix_close(Pane *p, App *app)
{
    MatrixPane *mp = mp_of(p);
    if (!mp) return;
    table_free(&mp->table);
    free(mp);
    p->state = NULL;
}

static int matrix_update(Pane *p, App *app)
{
    MatrixPane *mp = mp_of(p);
    fill_live(mp, app);
    Matrix *m = cur(mp);
    bool last = false;
    for (int o = 0; m && o < matrix_option_count(m) && o < 64; o++) last |= mp->live[o].status != MATRIX_RUN_NONE;
    bool shown = mp->table.n_cols > 2 && (mp->colmap[1] == COL_LAST || mp->colmap[2] == COL_LAST);
    if (m && last != shown) rebuild(mp, app); /* the first export: its column comes to the front */
    return R_REDRAW;
}

typedef struct {
    char line[8][1024];
    int n, max;
} DescLines;

static void desc_line(const char *line, int len, void *ctx)
{
    DescLines *d = ctx;
    if (d->n >= d->max || d->n >= 8) return;
    snprintf(d->line[d->n++], sizeof d->line[0], "%.*s", len, line);
}

static void matrix_draw(Pane *p, App *app, WINDOW *win)
{
    MatrixPane *mp = mp_of(p);
    const Theme *th = &app->theme;
    Matrix *m = cur(mp);
    if (!m) {
        for (int i = 0; i < p->h; i++) text_fill(win, p->y + i, p->x, p->w, theme_attr(th, SLOT_NORMAL));
        text_draw(win, p->y + 1, p->x + 1, "the deployment matrix could not be loaded (see the status line)", p->w - 2,
                  theme_attr(th, SLOT_ERROR));
        return;
    }
    const MatrixLabels *lb = matrix_labels(m);
    char head[512];
    snprintf(head, sizeof head, "%s  [%s]%s%s%s", lb->title, matrix_lang(m), mp->filter[0] ? "  filter: " : "", mp->filter,
             app->host_ready ? "" : "");
    text_draw_pad(win, p->y, p->x, head, p->w, theme_attr(th, SLOT_TITLE));
    /* the table, then the focused cell's description below it */
    int desc_h = p->h >= 18 ? 4 : 2;
    int th_h = p->h - 1 - desc_h;
    table_draw(&mp->table, win, p->y + 1, p->x, th_h, p->w, th, true);
    int r = table_selected(&mp->table);
    int o = r >= 0 && r < mp->n_rows ? mp->rows[r] : -1;
    int col = logical(mp, mp->table.focus_col);
    const char *text = "";
    char buf[2048];
    if (o >= 0) {
        const MatrixOption *opt = matrix_option(m, o);
        if (col >= 1 && col <= MATRIX_CRITERION_COUNT) text = matrix_detail(m, o, col - 1);
        else if (col == COL_HERE || col == COL_LAST) {
            snprintf(buf, sizeof buf, "%s: %s  |  %s: %s", lb->hardware, opt->hardware, lb->runtime, opt->runtime);
            text = buf;
        } else text = opt->summary;
    }
    rule_draw(win, p->y + 1 + th_h, p->x, p->w, o >= 0 ? matrix_option(m, o)->name : "", false, th);
    /* wrap the description into the lines left; the last one ends with an ellipsis when cut */
    int y0 = p->y + 2 + th_h, lines = desc_h - 1;
    for (int i = 0; i < lines; i++) text_fill(win, y0 + i, p->x, p->w, theme_attr(th, SLOT_NORMAL));
    DescLines dl = {.n = 0, .max = lines};
    int total = text_wrap(text, p->w - 2, desc_line, &dl);
    for (int i = 0; i < dl.n; i++) {
        char fit[1100];
        if (i == dl.n - 1 && total > dl.n) {
            char more[1100];
            snprintf(more, sizeof more, "%s%s", dl.line[i], "          ");
            textwidth_fit(fit, sizeof fit, more, p->w - 2, -1, th->g.ellipsis);
        } else snprintf(fit, sizeof fit, "%s", dl.line[i]);
        text_draw(win, y0 + i, p->x + 1, fit, p->w - 1, theme_attr(th, SLOT_DIM));
    }
}

static void show_description(MatrixPane *mp, App *app)
{
    Matrix *m = cur(mp);
    int r = table_selected(&mp->table);
    if (!m || r < 0 || r >= mp->n_rows) return;
    int o = mp->rows[r], col = logical(mp, mp->table.focus_col);
    const MatrixOption *opt = matrix_option(m, o);
    const MatrixLabels *lb = matrix_labels(m);
    char *text;
    char title[256];
    if (col >= 1 && col <= MATRIX_CRITERION_COUNT) {
        snprintf(title, sizeof title, "%s: %s", opt->name, matrix_criterion(m, col - 1)->title);
        text = xasprintf("%s\n\n%s", matrix_cell(m, o, col - 1), matrix_detail(m, o, col - 1));
    } else {
        snprintf(title, sizeof title, "%s (%s %s)", opt->name, lb->argument, opt->argument);
        char args[1024] = "";
        size_t k = 0;
        for (int i = 0; i < opt->n_arguments && k < sizeof args - 64; i++)
            k += (size_t)snprintf(args + k, sizeof args - k, "%s%s", i ? ", " : "", opt->arguments[i]);
        text = xasprintf("%s\n\n%s: %s\n%s: %s\n%s: %s\n%s: %s / %s: %s\n%s: %s", opt->summary, lb->hardware, opt->hardware,
                         lb->runtime, opt->runtime, lb->suffix, opt->suffix, lb->cpu, opt->cpu ? lb->yes : lb->no, lb->gpu,
                         opt->gpu ? lb->yes : lb->no, lb->arguments, k ? args : lb->none);
    }
    dialog_open(&app->dialog, title, text, NULL, DLG_INFO, 0);
    free(text);
}

static int matrix_key(Pane *p, App *app, Command cmd, wint_t ch, bool is_key)
{
    MatrixPane *mp = mp_of(p);
    Table *t = &mp->table;
    ListMove move;
    if (command_list_move(cmd, &move)) {
        list_move(&t->list, move);
        return R_HANDLED | R_REDRAW;
    }
    switch (cmd) {
    case CMD_LEFT: case CMD_COLUMN_LEFT: table_focus_col(t, -1); break;
    case CMD_RIGHT: case CMD_COLUMN_RIGHT: table_focus_col(t, 1); break;
    case CMD_SORT: table_sort(t, t->focus_col >= 0 ? t->focus_col : 0); break;
    case CMD_ENTER: show_description(mp, app); break;
    case CMD_LANGUAGE: {
        int next = (mp->lang + 1) % MATRIX_LANG_COUNT;
        if (ensure_lang(mp, app, next)) {
            mp->lang = next;
            rebuild(mp, app);
            app_status(app, MSG_INFO, "matrix language: %s", langs[next]);
        }
        break;
    }
    case CMD_JUMP_EXPORT: {
        int r = table_selected(t);
        if (r < 0 || r >= mp->n_rows) break;
        const MatrixOption *opt = matrix_option(cur(mp), mp->rows[r]);
        if (!strcmp(opt->argument, "-")) {
            app_status(app, MSG_INFO, "%s is the source format", opt->name);
            break;
        }
        if (pane_export_select_format(&app->panes[SCREEN_EXPORT], app, opt->argument)) app_show(app, SCREEN_EXPORT);
        break;
    }
    case CMD_BACK:
        if (mp->filter[0]) {
            mp->filter[0] = 0;
            rebuild(mp, app);
            break;
        }
        return 0;
    default: return 0;
    }
    return R_HANDLED | R_REDRAW;
}

static int matrix_search(Pane *p, App *app, const char *pattern, int dir)
{
    MatrixPane *mp = mp_of(p);
    if (!pattern) return R_HANDLED; /* n/N: the filter already shows every match */
    snprintf(mp->filter, sizeof mp->filter, "%s", pattern);
    rebuild(mp, app);
    app_status(app, mp->n_rows ? MSG_INFO : MSG_WARN, "filter '%s': %d option%s (Esc clears)", pattern, mp->n_rows, mp->n_rows == 1 ? "" : "s");
    return R_HANDLED | R_REDRAW;
}

static int matrix_mouse(Pane *p, App *app, const MEVENT *ev)
{
    MatrixPane *mp = mp_of(p);
    Table *t = &mp->table;
    if (ev->bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
        list_scroll(&t->list, (ev->bstate & BUTTON4_PRESSED) ? -3 : 3);
        return R_HANDLED | R_REDRAW;
    }
    int line = ev->y - (p->y + 1);
    int col = table_col_at(t, ev->x - p->x, p->w);
    if (line == 0 && col >= 0) {
        t->focus_col = col;
        table_sort(t, col);
    } else {
        int d = table_row_at(t, line);
        if (d >= 0) {
            bool again = d == t->list.sel && col == t->focus_col;
            list_select(&t->list, d);
            if (col >= 0) t->focus_col = col;
            if (again) show_description(mp, app);
        }
    }
    return R_HANDLED | R_REDRAW;
}

const PaneOps pane_matrix_ops = {
    .name = "Matrix",
    .scope = SCOPE_MATRIX,
    .open = matrix_open,
    .draw = matrix_draw,
    .key = matrix_key,
    .mouse = matrix_mouse,
    .resize = NULL,
    .close = matrix_close,
    .search = matrix_search,
    .update = matrix_update,
};
