/* matrix_render: the matrix as a width-fitted terminal table (or stacked blocks when narrow),
 * GitHub markdown, JSON and CSV (tui/matrix_render.h).  Uses only the public
 * accessors of matrix.c. */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui/matrix_render.h"
#include "engine/core/textwidth.h"
#include "engine/core/util.h"
#include "engine/export/report.h"

/* ---- a growable string ---- */

typedef struct {
    char *s;
    size_t len, cap;
} Buf;

static void buf_addn(Buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void buf_add(Buf *b, const char *s) { buf_addn(b, s, strlen(s)); }

static void buf_spaces(Buf *b, int n)
{
    for (; n > 0; n--) buf_addn(b, " ", 1);
}

static void buf_rep(Buf *b, const char *s, int n)
{
    for (; n > 0; n--) buf_add(b, s);
}

/* Drop trailing spaces before ending a line. */
static void buf_endline(Buf *b, const char *eol)
{
    while (b->len && b->s[b->len - 1] == ' ') b->s[--b->len] = '\0';
    buf_add(b, eol);
}

/* ---- live-column texts ---- */

/* The size as every other screen and the log write it: the peer's "MB" (MiB, report_mib). */
static void format_size(int64_t bytes, char *buf, size_t len) { snprintf(buf, len, "%.1f MB", report_mib(bytes)); }

const char *matrix_live_avail_text(const Matrix *m, const MatrixLive *row, char *buf, size_t len)
{
    if (!len) return buf;
    buf[0] = '\0';
    const MatrixLabels *L = matrix_labels(m);
    switch (row->avail) {
    case MATRIX_AVAIL_BUILTIN: snprintf(buf, len, "%s", L->avail_builtin); break;
    case MATRIX_AVAIL_TOOL: {
        const char *t = row->tool ? row->tool : "";
        const char *slash = strrchr(t, '/');
        if (slash) t = slash + 1;
        snprintf(buf, len, "%s%s%s", L->avail_tool, *t ? ": " : "", t);
        break;
    }
    case MATRIX_AVAIL_MISSING: snprintf(buf, len, "%s", L->avail_missing); break;
    case MATRIX_AVAIL_SOURCE: snprintf(buf, len, "%s", L->avail_source); break;
    case MATRIX_AVAIL_UNKNOWN: break;
    }
    return buf;
}

const char *matrix_live_run_text(const Matrix *m, const MatrixLive *row, char *buf, size_t len)
{
    (void)m;
    if (!len) return buf;
    buf[0] = '\0';
    const char *mark = "";
    switch (row->status) {
    case MATRIX_RUN_NONE: return buf;
    case MATRIX_RUN_RUNNING: snprintf(buf, len, "…"); return buf;
    case MATRIX_RUN_PASSED: mark = "✅"; break;
    case MATRIX_RUN_CHECK_FAILED: mark = "❎"; break;
    case MATRIX_RUN_FAILED: mark = "❌"; break;
    case MATRIX_RUN_UNCHECKED: mark = "–"; break;
    }
    char size[32] = "", secs[32] = "";
    if (row->size_bytes >= 0) format_size(row->size_bytes, size, sizeof size);
    if (row->seconds >= 0) snprintf(secs, sizeof secs, "%.1f s", row->seconds);
    snprintf(buf, len, "%s%s%s%s%s", mark, *size ? " " : "", size, *secs ? " " : "", secs);
    return buf;
}

static const char *avail_key(MatrixAvail a)
{
    switch (a) {
    case MATRIX_AVAIL_BUILTIN: return "builtin";
    case MATRIX_AVAIL_TOOL: return "tool";
    case MATRIX_AVAIL_MISSING: return "missing";
    case MATRIX_AVAIL_SOURCE: return "source";
    case MATRIX_AVAIL_UNKNOWN: break;
    }
    return NULL;
}

static const char *run_key(MatrixRunStatus s)
{
    switch (s) {
    case MATRIX_RUN_RUNNING: return "running";
    case MATRIX_RUN_PASSED: return "passed";
    case MATRIX_RUN_CHECK_FAILED: return "check_failed";
    case MATRIX_RUN_FAILED: return "failed";
    case MATRIX_RUN_UNCHECKED: return "unchecked";
    case MATRIX_RUN_NONE: break;
    }
    return NULL;
}

/* ---- the selection being rendered ---- */

typedef struct {
    const Matrix *m;
    const MatrixRenderOpts *o;
    int crit[MATRIX_CRITERION_COUNT * 4];
    int n_crit;
    int *opt;
    int n_opt;
    bool live;                  /* live rows given */
    bool show_here, show_last;  /* ...and at least one selected row fills that column */
} Sel;

static void sel_init(Sel *s, const Matrix *m, const MatrixRenderOpts *o)
{
    s->m = m;
    s->o = o;
    s->n_crit = 0;
    if (o->criteria) {
        for (int i = 0; i < o->n_criteria && s->n_crit < (int)ARRAY_LEN(s->crit); i++)
            if (matrix_criterion(m, o->criteria[i])) s->crit[s->n_crit++] = o->criteria[i];
    } else {
        for (int i = 0; i < matrix_criterion_count(m); i++) s->crit[s->n_crit++] = i;
    }
    int n = matrix_option_count(m);
    s->opt = xmalloc((size_t)(o->options ? (o->n_options > 0 ? o->n_options : 1) : n) * sizeof *s->opt);
    s->n_opt = 0;
    if (o->options) {
        for (int i = 0; i < o->n_options; i++)
            if (matrix_option(m, o->options[i])) s->opt[s->n_opt++] = o->options[i];
    } else {
        for (int i = 0; i < n; i++) s->opt[s->n_opt++] = i;
    }
    s->live = o->live != NULL;
    s->show_here = s->show_last = false;
    for (int r = 0; s->live && r < s->n_opt; r++) {
        const MatrixLive *lv = &o->live[s->opt[r]];
        s->show_here |= lv->avail != MATRIX_AVAIL_UNKNOWN;
        s->show_last |= lv->status != MATRIX_RUN_NONE;
    }
}

/* The option column shows the name and, below it, the `format=` argument (the suffix for PyTorch). */
static char *option_cell(const MatrixOption *op)
{
    return xasprintf("%s\n%s", op->name, strcmp(op->argument, "-") ? op->argument : op->suffix);
}

/* ---- table ---- */

enum { TABLE_MIN_COL = 12, TABLE_MAX_WORD = 16, TABLE_SEP = 3 /* " | " */ };

/* Widest line of a text when not wrapped. */
static int natural_width(const char *s)
{
    int best = 0;
    for (;;) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        int w = textwidth_n(s, n);
        if (w > best) best = w;
        if (!nl) return best;
        s = nl + 1;
    }
}

/* Widest unbreakable piece: a run of narrow non-space characters (wide characters may break
 * anywhere).  A column narrower than this would cut a word in two. */
static int longest_word(const char *s)
{
    int best = 0, run = 0;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += textwidth_decode(s + i, len - i, &cp);
        int w = textwidth_char(cp);
        if (cp == ' ' || cp == '\n' || w != 1) run = 0;
        else if (++run > best) best = run;
    }
    return best;
}

typedef struct {
    int ncols, nrows;   /* rows include the header row */
    char ***cells;      /* [row][col] heap strings */
    int *width;         /* chosen width per column */
} Grid;

static void grid_free(Grid *g)
{
    for (int r = 0; r < g->nrows; r++) {
        for (int c = 0; c < g->ncols; c++) free(g->cells[r][c]);
        free(g->cells[r]);
    }
    free(g->cells);
    free(g->width);
}

static void grid_build(Grid *g, const Sel *s)
{
    const MatrixLabels *L = matrix_labels(s->m);
    g->ncols = 1 + s->n_crit + s->show_here + s->show_last;
    g->nrows = 1 + s->n_opt;
    g->cells = xcalloc((size_t)g->nrows, sizeof *g->cells);
    g->width = xcalloc((size_t)g->ncols, sizeof *g->width);
    for (int r = 0; r < g->nrows; r++) g->cells[r] = xcalloc((size_t)g->ncols, sizeof **g->cells);
    g->cells[0][0] = xstrdup(L->option);
    for (int c = 0; c < s->n_crit; c++) g->cells[0][1 + c] = xstrdup(matrix_criterion(s->m, s->crit[c])->title);
    int here_col = 1 + s->n_crit, last_col = here_col + s->show_here;
    if (s->show_here) g->cells[0][here_col] = xstrdup(L->here);
    if (s->show_last) g->cells[0][last_col] = xstrdup(L->last);
    for (int r = 0; r < s->n_opt; r++) {
        int oi = s->opt[r];
        char **row = g->cells[1 + r];
        row[0] = option_cell(matrix_option(s->m, oi));
        for (int c = 0; c < s->n_crit; c++) row[1 + c] = xstrdup(matrix_cell(s->m, oi, s->crit[c]));
        char buf[256];
        if (s->show_here) row[here_col] = xstrdup(matrix_live_avail_text(s->m, &s->o->live[oi], buf, sizeof buf));
        if (s->show_last) row[last_col] = xstrdup(matrix_live_run_text(s->m, &s->o->live[oi], buf, sizeof buf));
    }
}

/* Choose column widths that fit `width`; false when even the minimum does not fit. */
static bool grid_fit(Grid *g, int width)
{
    int *natural = xcalloc((size_t)g->ncols, sizeof *natural), *minimum = xcalloc((size_t)g->ncols, sizeof *minimum);
    for (int c = 0; c < g->ncols; c++) {
        int word = 0;
        for (int r = 0; r < g->nrows; r++) {
            int w = natural_width(g->cells[r][c]), lw = longest_word(g->cells[r][c]);
            if (w > natural[c]) natural[c] = w;
            if (lw > word) word = lw;
        }
        if (natural[c] < 1) natural[c] = 1;
        if (word > TABLE_MAX_WORD) word = TABLE_MAX_WORD;
        minimum[c] = word > TABLE_MIN_COL ? word : TABLE_MIN_COL;
        if (minimum[c] > natural[c] || c == 0) minimum[c] = natural[c];
    }
    int avail = width - TABLE_SEP * (g->ncols - 1), total = 0;
    for (int c = 0; c < g->ncols; c++) total += natural[c];
    bool ok = true;
    if (total <= avail) {
        memcpy(g->width, natural, (size_t)g->ncols * sizeof *natural);
    } else {
        /* The option column keeps its natural width (names stay whole); the others start at a
         * readable minimum (whole words where they are not too long) and then share what is left, one column at a time, to whichever
         * column is furthest from its natural width. */
        int used = 0;
        for (int c = 0; c < g->ncols; c++) {
            g->width[c] = minimum[c];
            used += g->width[c];
        }
        if (used > avail) ok = false;
        while (ok && used < avail) {
            int best = -1, best_gap = 0;
            for (int c = 1; c < g->ncols; c++) {
                int gap = natural[c] - g->width[c];
                if (gap > best_gap) best = c, best_gap = gap;
            }
            if (best < 0) break;
            g->width[best]++;
            used++;
        }
    }
    free(natural);
    free(minimum);
    return ok;
}

static void rule_line(Buf *b, const Grid *g)
{
    for (int c = 0; c < g->ncols; c++) {
        if (c) buf_add(b, "-+-");
        buf_rep(b, "-", g->width[c]);
    }
    buf_endline(b, "\n");
}

static void grid_row(Buf *b, const Grid *g, int r)
{
    char **lines[64] = {0};
    int n[64] = {0}, height = 1;
    int ncols = g->ncols < 64 ? g->ncols : 64;
    for (int c = 0; c < ncols; c++) {
        n[c] = textwidth_wrap(g->cells[r][c], g->width[c], &lines[c]);
        if (n[c] > height) height = n[c];
    }
    for (int l = 0; l < height; l++) {
        for (int c = 0; c < ncols; c++) {
            if (c) buf_add(b, " | ");
            const char *text = l < n[c] ? lines[c][l] : "";
            buf_add(b, text);
            buf_spaces(b, g->width[c] - textwidth_str(text));
        }
        buf_endline(b, "\n");
    }
    for (int c = 0; c < ncols; c++) textwidth_free_lines(lines[c], n[c]);
}

/* Wrap `text` after a label: "  Label: text…" with continuation lines indented under the text. */
static void labelled(Buf *b, int width, int indent, const char *label, const char *text)
{
    int lw = textwidth_str(label) + 2; /* "label: " */
    char **lines;
    int n;
    if (indent + lw + 16 > width) { /* too narrow to hang: label on its own line */
        n = textwidth_wrap(label, width - indent, &lines);
        for (int i = 0; i < n; i++) {
            buf_spaces(b, indent);
            buf_add(b, lines[i]);
            if (i == n - 1) buf_add(b, ":");
            buf_endline(b, "\n");
        }
        textwidth_free_lines(lines, n);
        n = textwidth_wrap(text, width - indent - 2, &lines);
        for (int i = 0; i < n; i++) {
            buf_spaces(b, indent + 2);
            buf_add(b, lines[i]);
            buf_endline(b, "\n");
        }
        textwidth_free_lines(lines, n);
        return;
    }
    n = textwidth_wrap(text, width - indent - lw, &lines);
    for (int i = 0; i < n; i++) {
        buf_spaces(b, indent);
        if (i == 0) {
            buf_add(b, label);
            buf_add(b, ": ");
        } else {
            buf_spaces(b, lw);
        }
        buf_add(b, lines[i]);
        buf_endline(b, "\n");
    }
    textwidth_free_lines(lines, n);
}

static void wrapped(Buf *b, int width, int indent, const char *text)
{
    char **lines;
    int n = textwidth_wrap(text, width - indent, &lines);
    for (int i = 0; i < n; i++) {
        buf_spaces(b, indent);
        buf_add(b, lines[i]);
        buf_endline(b, "\n");
    }
    textwidth_free_lines(lines, n);
}

/* One block per option: used when a table would not fit, and for --details. */
static void render_stacked(Buf *b, const Sel *s, int width, bool details, bool narrow)
{
    const Matrix *m = s->m;
    const MatrixLabels *L = matrix_labels(m);
    wrapped(b, width, 0, L->title);
    if (narrow) wrapped(b, width, 0, L->narrow_note);
    for (int r = 0; r < s->n_opt; r++) {
        int oi = s->opt[r];
        const MatrixOption *op = matrix_option(m, oi);
        buf_add(b, "\n");
        char *head = xasprintf("%s  (%s%s, %s; %s %s, %s %s)", op->name, L->argument, op->argument, op->suffix, L->cpu,
                               op->cpu ? L->yes : L->no, L->gpu, op->gpu ? L->yes : L->no);
        wrapped(b, width, 0, head);
        free(head);
        if (details) {
            wrapped(b, width, 2, op->summary);
            Buf args = {0};
            for (int i = 0; i < op->n_arguments; i++) {
                if (i) buf_add(&args, ", ");
                buf_add(&args, op->arguments[i]);
            }
            labelled(b, width, 2, L->arguments, op->n_arguments ? args.s : L->none);
            free(args.s);
            labelled(b, width, 2, L->hardware, op->hardware);
            labelled(b, width, 2, L->runtime, op->runtime);
        }
        for (int c = 0; c < s->n_crit; c++)
            labelled(b, width, 2, matrix_criterion(m, s->crit[c])->title,
                     details ? matrix_detail(m, oi, s->crit[c]) : matrix_cell(m, oi, s->crit[c]));
        if (s->live) {
            char buf[256];
            const char *t = matrix_live_avail_text(m, &s->o->live[oi], buf, sizeof buf);
            if (*t) labelled(b, width, 2, L->here, t);
            t = matrix_live_run_text(m, &s->o->live[oi], buf, sizeof buf);
            if (*t) labelled(b, width, 2, L->last, t);
        }
    }
}

static void render_table(Buf *b, const Sel *s)
{
    int width = s->o->width > 0 ? s->o->width : 100;
    if (width < 20) width = 20;
    if (s->o->details) {
        render_stacked(b, s, width, true, false);
        return;
    }
    Grid g;
    grid_build(&g, s);
    if (!grid_fit(&g, width)) {
        grid_free(&g);
        render_stacked(b, s, width, false, true);
        return;
    }
    wrapped(b, width, 0, matrix_labels(s->m)->title);
    buf_add(b, "\n");
    grid_row(b, &g, 0);
    rule_line(b, &g);
    for (int r = 1; r < g.nrows; r++) {
        if (r > 1) rule_line(b, &g);
        grid_row(b, &g, r);
    }
    grid_free(&g);
}

/* ---- markdown ---- */

static void md_cell(Buf *b, const char *s, bool code)
{
    buf_add(b, " ");
    if (code) buf_add(b, "`");
    for (; *s; s++) {
        if (*s == '|') buf_add(b, "\\|");
        else if (*s == '\\' && !code) buf_add(b, "\\\\");
        else if (*s == '\n') buf_add(b, "<br>");
        else if (*s == '\r') continue;
        else buf_addn(b, s, 1);
    }
    if (code) buf_add(b, "`");
    buf_add(b, " |");
}

static void render_markdown(Buf *b, const Sel *s)
{
    const Matrix *m = s->m;
    const MatrixLabels *L = matrix_labels(m);
    int ncols = 3 + s->n_crit + s->show_here + s->show_last;
    buf_add(b, "|");
    md_cell(b, L->option, false);
    md_cell(b, L->argument, false);
    md_cell(b, L->suffix, false);
    for (int c = 0; c < s->n_crit; c++) md_cell(b, matrix_criterion(m, s->crit[c])->title, false);
    if (s->show_here) md_cell(b, L->here, false);
    if (s->show_last) md_cell(b, L->last, false);
    buf_add(b, "\n|");
    for (int c = 0; c < ncols; c++) buf_add(b, " --- |");
    buf_add(b, "\n");
    for (int r = 0; r < s->n_opt; r++) {
        int oi = s->opt[r];
        const MatrixOption *op = matrix_option(m, oi);
        buf_add(b, "|");
        md_cell(b, op->name, false);
        md_cell(b, op->argument, true);
        md_cell(b, op->suffix, true);
        for (int c = 0; c < s->n_crit; c++) md_cell(b, matrix_cell(m, oi, s->crit[c]), false);
        char buf[256];
        if (s->show_here) md_cell(b, matrix_live_avail_text(m, &s->o->live[oi], buf, sizeof buf), false);
        if (s->show_last) md_cell(b, matrix_live_run_text(m, &s->o->live[oi], buf, sizeof buf), false);
        buf_add(b, "\n");
    }
}

/* ---- CSV (RFC 4180) ---- */

static void csv_field(Buf *b, const char *s, bool first)
{
    if (!first) buf_add(b, ",");
    if (!strpbrk(s, ",\"\r\n")) {
        buf_add(b, s);
        return;
    }
    buf_add(b, "\"");
    for (; *s; s++) {
        if (*s == '"') buf_add(b, "\"\"");
        else buf_addn(b, s, 1);
    }
    buf_add(b, "\"");
}

static void render_csv(Buf *b, const Sel *s)
{
    const Matrix *m = s->m;
    const MatrixLabels *L = matrix_labels(m);
    csv_field(b, L->option, true);
    csv_field(b, L->argument, false);
    csv_field(b, L->suffix, false);
    csv_field(b, L->cpu, false);
    csv_field(b, L->gpu, false);
    for (int c = 0; c < s->n_crit; c++) csv_field(b, matrix_criterion(m, s->crit[c])->title, false);
    if (s->show_here) csv_field(b, L->here, false);
    if (s->show_last) csv_field(b, L->last, false);
    buf_add(b, "\r\n");
    for (int r = 0; r < s->n_opt; r++) {
        int oi = s->opt[r];
        const MatrixOption *op = matrix_option(m, oi);
        csv_field(b, op->name, true);
        csv_field(b, op->argument, false);
        csv_field(b, op->suffix, false);
        csv_field(b, op->cpu ? "true" : "false", false);
        csv_field(b, op->gpu ? "true" : "false", false);
        for (int c = 0; c < s->n_crit; c++) csv_field(b, matrix_cell(m, oi, s->crit[c]), false);
        char buf[256];
        if (s->show_here) csv_field(b, matrix_live_avail_text(m, &s->o->live[oi], buf, sizeof buf), false);
        if (s->show_last) csv_field(b, matrix_live_run_text(m, &s->o->live[oi], buf, sizeof buf), false);
        buf_add(b, "\r\n");
    }
}

/* ---- JSON ---- */

static json_object *string_array(const char *const *items, int n)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++) json_object_array_add(a, json_object_new_string(items[i]));
    return a;
}

static void render_json(Buf *b, const Sel *s)
{
    const Matrix *m = s->m;
    json_object *root = json_object_new_object();
    json_object_object_add(root, "lang", json_object_new_string(matrix_lang(m)));
    json_object *crit = json_object_new_array();
    for (int c = 0; c < s->n_crit; c++) {
        const MatrixCriterion *mc = matrix_criterion(m, s->crit[c]);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "key", json_object_new_string(mc->key));
        json_object_object_add(o, "title", json_object_new_string(mc->title));
        json_object_array_add(crit, o);
    }
    json_object_object_add(root, "criteria", crit);
    json_object *opts = json_object_new_array();
    for (int r = 0; r < s->n_opt; r++) {
        int oi = s->opt[r];
        const MatrixOption *op = matrix_option(m, oi);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "name", json_object_new_string(op->name));
        json_object_object_add(o, "argument", json_object_new_string(op->argument));
        json_object_object_add(o, "suffix", json_object_new_string(op->suffix));
        json_object_object_add(o, "cpu", json_object_new_boolean(op->cpu));
        json_object_object_add(o, "gpu", json_object_new_boolean(op->gpu));
        json_object_object_add(o, "arguments", string_array(op->arguments, op->n_arguments));
        json_object *cells = json_object_new_object(), *details = json_object_new_object();
        for (int c = 0; c < s->n_crit; c++) {
            const char *key = matrix_criterion(m, s->crit[c])->key;
            json_object_object_add(cells, key, json_object_new_string(matrix_cell(m, oi, s->crit[c])));
            json_object_object_add(details, key, json_object_new_string(matrix_detail(m, oi, s->crit[c])));
        }
        json_object_object_add(o, "cells", cells);
        json_object_object_add(o, "details", details);
        json_object_object_add(o, "summary", json_object_new_string(op->summary));
        json_object_object_add(o, "hardware", json_object_new_string(op->hardware));
        json_object_object_add(o, "runtime", json_object_new_string(op->runtime));
        json_object_object_add(o, "tools", string_array(op->tools, op->n_tools));
        if (s->live) {
            const MatrixLive *lv = &s->o->live[oi];
            const char *here = avail_key(lv->avail), *run = run_key(lv->status);
            if (here) {
                json_object_object_add(o, "here", json_object_new_string(here));
                if (lv->avail == MATRIX_AVAIL_TOOL && lv->tool)
                    json_object_object_add(o, "tool", json_object_new_string(lv->tool));
            }
            if (run) {
                json_object *last = json_object_new_object();
                json_object_object_add(last, "status", json_object_new_string(run));
                if (lv->size_bytes >= 0) json_object_object_add(last, "size_bytes", json_object_new_int64(lv->size_bytes));
                if (lv->seconds >= 0) json_object_object_add(last, "seconds", json_object_new_double(lv->seconds));
                json_object_object_add(o, "last", last);
            }
        }
        json_object_array_add(opts, o);
    }
    json_object_object_add(root, "options", opts);
    buf_add(b, json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                        JSON_C_TO_STRING_NOSLASHESCAPE));
    buf_add(b, "\n");
    json_object_put(root);
}

char *matrix_render(const Matrix *m, const MatrixRenderOpts *opts)
{
    MatrixRenderOpts def = {0};
    if (!opts) opts = &def;
    Sel s;
    sel_init(&s, m, opts);
    Buf b = {0};
    buf_add(&b, ""); /* never NULL */
    switch (opts->format) {
    case MATRIX_FMT_TABLE: render_table(&b, &s); break;
    case MATRIX_FMT_MARKDOWN: render_markdown(&b, &s); break;
    case MATRIX_FMT_JSON: render_json(&b, &s); break;
    case MATRIX_FMT_CSV: render_csv(&b, &s); break;
    }
    free(s.opt);
    return b.s;
}

int matrix_format_parse(const char *s, MatrixFormat *out)
{
    static const struct {
        const char *name;
        MatrixFormat f;
    } names[] = {{"table", MATRIX_FMT_TABLE}, {"markdown", MATRIX_FMT_MARKDOWN}, {"md", MATRIX_FMT_MARKDOWN},
                 {"json", MATRIX_FMT_JSON},   {"csv", MATRIX_FMT_CSV}};
    for (size_t i = 0; s && i < ARRAY_LEN(names); i++)
        if (!strcasecmp(s, names[i].name)) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

const char *matrix_format_name(MatrixFormat f)
{
    switch (f) {
    case MATRIX_FMT_TABLE: return "table";
    case MATRIX_FMT_MARKDOWN: return "markdown";
    case MATRIX_FMT_JSON: return "json";
    case MATRIX_FMT_CSV: return "csv";
    }
    return "?";
}
