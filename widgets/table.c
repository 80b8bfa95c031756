/* table: sortable, horizontally scrolling table (see table.h). */
#include "widgets/table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "widgets/text.h"

void table_init(Table *t, TableCellFn cell_fn, void *ctx)
{
    memset(t, 0, sizeof *t);
    t->cell_fn = cell_fn;
    t->ctx = ctx;
    t->focus_col = -1;
    t->sort_col = -1;
    t->list.sel = -1;
    t->list.height = 1;
}

void table_free(Table *t)
{
    free(t->order);
    t->order = NULL;
    t->n_order = t->cap_order = 0;
}

void table_add_column(Table *t, const char *title, int width, int align)
{
    if (t->n_cols >= TABLE_MAX_COLS) return;
    t->cols[t->n_cols++] = (TableColumn){.title = title, .width = width, .align = align};
}

static void get_cell(Table *t, int row, int col, char *buf, size_t len, ThemeSlot *slot, double *fraction)
{
    TableCell c = {buf, len, SLOT_NORMAL, 0};
    buf[0] = 0;
    if (t->cell_fn) t->cell_fn(t->ctx, row, col, &c);
    if (slot) *slot = c.slot;
    if (fraction) *fraction = c.fraction;
}

static double sort_value(Table *t, int row, int col)
{
    if (t->sort_fn) return t->sort_fn(t->ctx, row, col);
    char buf[256];
    double fr;
    get_cell(t, row, col, buf, sizeof buf, NULL, &fr);
    if (t->cols[col].kind == COL_BAR) return fr;
    char *end;
    double v = strtod(buf, &end);
    return end == buf ? NAN : v;
}

static int cmp_rows(const void *a, const void *b, void *ctx)
{
    Table *t = ctx;
    int ra = *(const int *)a, rb = *(const int *)b, col = t->sort_col, r = 0;
    if (t->cols[col].numeric || t->cols[col].kind == COL_BAR) {
        double va = sort_value(t, ra, col), vb = sort_value(t, rb, col);
        if (isnan(va) && isnan(vb)) r = 0;
        else if (isnan(va)) return 1; /* missing values last in both directions */
        else if (isnan(vb)) return -1;
        else r = va < vb ? -1 : va > vb;
    } else {
        char ba[256], bb[256];
        get_cell(t, ra, col, ba, sizeof ba, NULL, NULL);
        get_cell(t, rb, col, bb, sizeof bb, NULL, NULL);
        r = strcoll(ba, bb);
    }
    if (t->sort_desc) r = -r;
    return r ? r : (ra > rb) - (ra < rb);
}

static void apply_sort(Table *t)
{
    int keep = table_selected(t);
    for (int i = 0; i < t->n_order; i++) t->order[i] = i;
    if (t->sort_col >= 0 && t->sort_col < t->n_cols && t->n_order > 1) {
        qsort_r(t->order, (size_t)t->n_order, sizeof *t->order, cmp_rows, t);
    }
    if (keep >= 0) table_select_row(t, keep);
}

void table_set_rows(Table *t, int n)
{
    if (n < 0) n = 0;
    if (n > t->cap_order) {
        int cap = t->cap_order ? t->cap_order : 16;
        while (cap < n) cap *= 2;
        t->order = xrealloc(t->order, (size_t)cap * sizeof *t->order);
        t->cap_order = cap;
    }
    int keep = t->n_order == n ? table_selected(t) : -1;
    t->n_order = n;
    t->list.count = n;
    for (int i = 0; i < n; i++) t->order[i] = i;
    apply_sort(t);
    if (keep >= 0) table_select_row(t, keep);
    list_fix(&t->list);
}

int table_row_at_display(const Table *t, int d) { return (d >= 0 && d < t->n_order) ? t->order[d] : -1; }

int table_selected(const Table *t) { return table_row_at_display(t, t->list.sel); }

void table_select_row(Table *t, int r)
{
    for (int i = 0; i < t->n_order; i++)
        if (t->order[i] == r) {
            list_select(&t->list, i);
            return;
        }
}

void table_sort(Table *t, int col)
{
    if (col < 0 || col >= t->n_cols) return;
    if (t->sort_col == col) t->sort_desc = !t->sort_desc;
    else {
        t->sort_col = col;
        t->sort_desc = t->cols[col].numeric || t->cols[col].kind == COL_BAR;
    }
    apply_sort(t);
}

void table_layout(Table *t, int w)
{
    t->last_w = w;
    for (int c = 0; c < t->n_cols; c++) {
        TableColumn *col = &t->cols[c];
        int cw = col->width;
        if (cw <= 0) {
            int cap = col->max_width > 0 ? col->max_width : 40;
            cw = textwidth_str(col->title) + (t->sort_col == c ? 1 : 0);
            char buf[512];
            for (int r = 0; r < t->n_order && cw < cap; r++) {
                get_cell(t, r, c, buf, sizeof buf, NULL, NULL);
                int k = textwidth_str(buf);
                if (k > cw) cw = k;
            }
            if (cw > cap) cw = cap;
            if (col->kind == COL_BAR && cw < 10) cw = 10;
        }
        if (cw < 1) cw = 1;
        t->widths[c] = cw;
    }
}

/* Which columns are visible for width w: frozen ones, then from hscroll on. */
static int visible_cols(const Table *t, int w, int *out)
{
    int n = 0, used = 0;
    for (int c = 0; c < t->frozen && c < t->n_cols; c++) {
        if (n && used + t->widths[c] > w) break;
        out[n++] = c;
        used += t->widths[c] + 1;
    }
    for (int c = t->hscroll < t->frozen ? t->frozen : t->hscroll; c < t->n_cols; c++) {
        if (used >= w) break;
        out[n++] = c; /* the last one may be cut */
        used += t->widths[c] + 1;
    }
    return n;
}

static bool col_fully_visible(const Table *t, int col, int w)
{
    int vis[TABLE_MAX_COLS], n = visible_cols(t, w, vis), used = 0;
    for (int i = 0; i < n; i++) {
        used += t->widths[vis[i]];
        if (vis[i] == col) return used <= w;
        used++;
    }
    return false;
}

void table_hscroll(Table *t, int delta)
{
    t->hscroll += delta;
    if (t->hscroll > t->n_cols - 1) t->hscroll = t->n_cols - 1;
    if (t->hscroll < t->frozen) t->hscroll = t->frozen;
}

void table_focus_col(Table *t, int delta)
{
    if (t->n_cols == 0) return;
    int f = t->focus_col < 0 ? 0 : t->focus_col + delta;
    if (f < 0) f = 0;
    if (f >= t->n_cols) f = t->n_cols - 1;
    t->focus_col = f;
    if (f < t->frozen) return;
    if (f < t->hscroll) t->hscroll = f;
    int w = t->last_w > 0 ? t->last_w : 80;
    while (t->hscroll < f && !col_fully_visible(t, f, w)) t->hscroll++;
    if (t->hscroll < t->frozen) t->hscroll = t->frozen;
}

static void draw_bar(WINDOW *win, int y, int x, int w, double fraction, const char *label, const Theme *th, attr_t base)
{
    if (fraction < 0 || isnan(fraction)) fraction = 0;
    if (fraction > 1) fraction = 1;
    int lw = label && *label ? textwidth_str(label) + 1 : 0;
    if (lw > w / 2) lw = 0;
    int bw = w - lw;
    double cells = fraction * bw;
    int full = (int)cells;
    bool half = cells - full >= 0.5 && full < bw;
    attr_t ba = theme_attr(th, SLOT_BAR);
    wmove(win, y, x);
    for (int i = 0; i < full; i++) text_draw(win, y, x + i, th->g.bar_full, 1, ba);
    if (half) text_draw(win, y, x + full, th->g.bar_half, 1, ba);
    int used = full + (half ? 1 : 0);
    text_fill(win, y, x + used, bw - used, base);
    if (lw) {
        text_fill(win, y, x + bw, 1, base);
        text_draw(win, y, x + bw + 1, label, lw - 1, base);
    }
}

void table_draw(Table *t, WINDOW *win, int y, int x, int h, int w, const Theme *th, bool focused)
{
    if (h <= 0 || w <= 0) return;
    table_layout(t, w);
    int vis[TABLE_MAX_COLS], nv = visible_cols(t, w, vis);
    attr_t ha = theme_attr(th, SLOT_HEADER), normal = theme_attr(th, SLOT_NORMAL);
    char buf[1024], cell[1024];
    /* header */
    int cx = 0;
    for (int i = 0; i < nv && cx < w; i++) {
        int c = vis[i], cw = t->widths[c];
        if (cw > w - cx) cw = w - cx;
        const char *arrow = t->sort_col == c ? (t->sort_desc ? th->g.sort_down : th->g.sort_up) : "";
        snprintf(buf, sizeof buf, "%s%s", t->cols[c].title ? t->cols[c].title : "", arrow);
        textwidth_fit(cell, sizeof cell, buf, cw, t->cols[c].align, th->g.ellipsis);
        attr_t a = ha;
        if (c == t->focus_col) a = theme_attr(th, SLOT_TITLE_FOCUS) | A_REVERSE;
        text_draw_pad(win, y, x + cx, cell, cw, a);
        cx += cw;
        if (cx < w) text_fill(win, y, x + cx, 1, ha);
        cx++;
    }
    if (cx < w) text_fill(win, y, x + cx, w - cx, ha);
    int body_h = h - 1;
    t->list.height = body_h > 0 ? body_h : 1;
    t->list.count = t->n_order;
    list_fix(&t->list);
    for (int i = 0; i < body_h; i++) {
        int d = t->list.top + i, yy = y + 1 + i;
        if (d >= t->n_order) {
            text_fill(win, yy, x, w, normal);
            continue;
        }
        int r = t->order[d];
        bool sel = d == t->list.sel;
        attr_t base = sel ? theme_attr(th, focused ? SLOT_SELECTED : SLOT_SELECTED_INACTIVE) : normal;
        cx = 0;
        for (int k = 0; k < nv && cx < w; k++) {
            int c = vis[k], cw = t->widths[c];
            if (cw > w - cx) cw = w - cx;
            ThemeSlot slot;
            double fr;
            get_cell(t, r, c, buf, sizeof buf, &slot, &fr);
            attr_t a = sel ? base : theme_attr(th, slot);
            if (!sel && c == t->focus_col) a |= A_BOLD;
            if (t->cols[c].kind == COL_BAR) {
                draw_bar(win, yy, x + cx, cw, fr, buf, th, base);
            } else {
                textwidth_fit(cell, sizeof cell, buf, cw, t->cols[c].align, th->g.ellipsis);
                text_draw_pad(win, yy, x + cx, cell, cw, a);
            }
            cx += cw;
            if (cx < w) text_fill(win, yy, x + cx, 1, base);
            cx++;
        }
        if (cx < w) text_fill(win, yy, x + cx, w - cx, base);
    }
}

int table_row_at(const Table *t, int line)
{
    if (line < 1) return -1;
    int d = t->list.top + line - 1;
    return d < t->n_order ? d : -1;
}

int table_col_at(const Table *t, int xoff, int w)
{
    int vis[TABLE_MAX_COLS], nv = visible_cols(t, w, vis), cx = 0;
    for (int i = 0; i < nv; i++) {
        if (xoff >= cx && xoff < cx + t->widths[vis[i]]) return vis[i];
        cx += t->widths[vis[i]] + 1;
    }
    return -1;
}

void table_render_row(Table *t, int d, int w, char *out, size_t outlen)
{
    table_layout(t, w);
    int vis[TABLE_MAX_COLS], nv = visible_cols(t, w, vis);
    size_t o = 0;
    out[0] = 0;
    char buf[1024], cell[1024];
    int r = table_row_at_display(t, d);
    for (int k = 0; k < nv; k++) {
        int c = vis[k];
        if (r < 0) snprintf(buf, sizeof buf, "%s", t->cols[c].title ? t->cols[c].title : "");
        else get_cell(t, r, c, buf, sizeof buf, NULL, NULL);
        textwidth_fit(cell, sizeof cell, buf, t->widths[c], t->cols[c].align, "~");
        int n = snprintf(out + o, outlen - o, "%s%s", k ? "|" : "", cell);
        if (n < 0 || (size_t)n >= outlen - o) break;
        o += (size_t)n;
    }
}
