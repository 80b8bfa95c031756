/* tree: expandable tree view with lazily computed rows (see tree.h). */
#include "widgets/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "widgets/text.h"

static void *grow(void *p, int *cap, int need, size_t item)
{
    if (need <= *cap) return p;
    int n = *cap ? *cap * 2 : 64;
    while (n < need) n *= 2;
    void *q = xrealloc(p, (size_t)n * item);
    *cap = n;
    return q;
}

void tree_init(Tree *t, TreeRowFn row_fn, void *ctx)
{
    memset(t, 0, sizeof *t);
    t->row_fn = row_fn;
    t->ctx = ctx;
    t->list.sel = -1;
    t->list.height = 1;
    t->show_header = true;
    t->name_need = -1;
    t->first_top = t->last_top = -1;
}

void tree_free(Tree *t)
{
    free(t->nodes);
    free(t->rows);
    free(t->filter);
    t->filter = NULL;
    t->nodes = NULL;
    t->rows = NULL;
    t->n_nodes = t->n_rows = t->cap_nodes = t->cap_rows = 0;
}

void tree_clear(Tree *t)
{
    free(t->filter);
    t->filter = NULL;
    t->n_nodes = 0;
    t->n_rows = 0;
    t->first_top = t->last_top = -1;
    t->rows_dirty = true;
    t->list.sel = -1;
    t->list.top = 0;
}

int tree_add(Tree *t, int parent, int user)
{
    if (t->filter) { /* its flags cover the nodes there were: a new node ends filter mode */
        free(t->filter);
        t->filter = NULL;
    }
    t->nodes = grow(t->nodes, &t->cap_nodes, t->n_nodes + 1, sizeof *t->nodes);
    int i = t->n_nodes++;
    TreeNode *n = &t->nodes[i];
    n->parent = (parent >= 0 && parent < i) ? parent : -1;
    n->first_child = n->last_child = n->next_sibling = -1;
    n->depth = n->parent >= 0 ? t->nodes[n->parent].depth + 1 : 0;
    n->user = user;
    n->expanded = false;
    if (n->parent >= 0) {
        TreeNode *p = &t->nodes[n->parent];
        if (p->last_child >= 0) t->nodes[p->last_child].next_sibling = i;
        else p->first_child = i;
        p->last_child = i;
    } else {
        if (t->last_top >= 0 && t->last_top < i) t->nodes[t->last_top].next_sibling = i;
        else t->first_top = i;
        t->last_top = i;
    }
    t->rows_dirty = true;
    return i;
}

void tree_set_filter(Tree *t, const unsigned char *keep)
{
    free(t->filter);
    t->filter = NULL;
    if (keep) {
        t->filter = xmalloc((size_t)(t->n_nodes ? t->n_nodes : 1));
        memcpy(t->filter, keep, (size_t)t->n_nodes);
    }
    t->rows_dirty = true;
}

void tree_set_column(Tree *t, int i, const char *title, int width, int align)
{
    if (i < 0 || i >= TREE_MAX_COLS) return;
    t->cols[i] = (TreeColumn){title, width, align};
    if (i + 1 > t->n_cols) t->n_cols = i + 1;
}

static void push_row(Tree *t, int node)
{
    t->rows = grow(t->rows, &t->cap_rows, t->n_rows + 1, sizeof *t->rows);
    t->rows[t->n_rows++] = node;
}

/* Depth-first over expanded nodes, without recursion (trees can be deep). */
static void rebuild(Tree *t)
{
    int keep = (t->list.sel >= 0 && t->list.sel < t->n_rows) ? t->rows[t->list.sel] : -1;
    t->n_rows = 0;
    int cur = t->n_nodes ? t->first_top : -1;
    const unsigned char *keep_only = t->filter;
    while (cur >= 0) {
        TreeNode *n = &t->nodes[cur];
        bool shown = !keep_only || keep_only[cur];
        if (shown) push_row(t, cur);
        /* filtered: every kept node's kept children, whatever is expanded */
        bool down = keep_only ? shown && n->first_child >= 0 : n->expanded && n->first_child >= 0;
        if (down) {
            cur = n->first_child;
            continue;
        }
        while (cur >= 0 && t->nodes[cur].next_sibling < 0) cur = t->nodes[cur].parent;
        if (cur >= 0) cur = t->nodes[cur].next_sibling;
    }
    t->rows_dirty = false;
    t->list.count = t->n_rows;
    if (keep >= 0) {
        /* keep the selection on the same node, or on its nearest visible ancestor */
        int want = keep;
        for (;;) {
            int found = -1;
            for (int r = 0; r < t->n_rows; r++)
                if (t->rows[r] == want) {
                    found = r;
                    break;
                }
            if (found >= 0) {
                t->list.sel = found;
                break;
            }
            want = t->nodes[want].parent;
            if (want < 0) break;
        }
    }
    list_fix(&t->list);
}

static void ensure(Tree *t)
{
    if (t->rows_dirty) {
        rebuild(t);
        t->name_need = -1; /* measured again at the next draw */
    }
}

/* The widest visible row's indentation, expander and name, plus a space. */
static int name_need(Tree *t)
{
    if (t->name_need >= 0) return t->name_need;
    int need = 0;
    TreeRow row;
    for (int r = 0; r < t->n_rows; r++) {
        const TreeNode *tn = &t->nodes[t->rows[r]];
        memset(&row, 0, sizeof row);
        if (t->row_fn) t->row_fn(t->ctx, tn->user, &row);
        int w = tn->depth * 2 + 2 + textwidth_str(row.name) + 1;
        if (w > need) need = w;
    }
    return t->name_need = need;
}

int tree_row_count(Tree *t)
{
    ensure(t);
    return t->n_rows;
}

int tree_row_node(Tree *t, int row)
{
    ensure(t);
    return (row >= 0 && row < t->n_rows) ? t->rows[row] : -1;
}

int tree_selected(Tree *t)
{
    ensure(t);
    return tree_row_node(t, t->list.sel);
}

int tree_find_user(const Tree *t, int user)
{
    for (int i = 0; i < t->n_nodes; i++)
        if (t->nodes[i].user == user) return i;
    return -1;
}

bool tree_has_children(const Tree *t, int node)
{
    return node >= 0 && node < t->n_nodes && t->nodes[node].first_child >= 0;
}

void tree_set_expanded(Tree *t, int node, bool expanded)
{
    if (node < 0 || node >= t->n_nodes || !tree_has_children(t, node)) return;
    if (t->nodes[node].expanded == expanded) return;
    ensure(t);
    t->nodes[node].expanded = expanded;
    t->rows_dirty = true;
}

void tree_expand_all(Tree *t, bool expanded)
{
    ensure(t);
    for (int i = 0; i < t->n_nodes; i++)
        if (t->nodes[i].first_child >= 0) t->nodes[i].expanded = expanded;
    t->rows_dirty = true;
}

void tree_reveal(Tree *t, int node)
{
    if (node < 0 || node >= t->n_nodes) return;
    ensure(t);
    for (int p = t->nodes[node].parent; p >= 0; p = t->nodes[p].parent)
        if (!t->nodes[p].expanded) {
            t->nodes[p].expanded = true;
            t->rows_dirty = true;
        }
    ensure(t);
    for (int r = 0; r < t->n_rows; r++)
        if (t->rows[r] == node) {
            list_select(&t->list, r);
            /* put a revealed row a little below the top edge so its context shows */
            if (t->list.sel - t->list.top < t->list.height / 4 && t->list.sel > t->list.height / 4) {
                t->list.top = t->list.sel - t->list.height / 4;
                list_fix(&t->list);
            }
            return;
        }
}

bool tree_left(Tree *t)
{
    int n = tree_selected(t);
    if (n < 0) return false;
    if (t->nodes[n].expanded) {
        tree_set_expanded(t, n, false);
        ensure(t);
        return true;
    }
    int p = t->nodes[n].parent;
    if (p < 0) return false;
    tree_reveal(t, p);
    return true;
}

bool tree_right(Tree *t)
{
    int n = tree_selected(t);
    if (n < 0 || !tree_has_children(t, n)) return false;
    if (!t->nodes[n].expanded) {
        tree_set_expanded(t, n, true);
        ensure(t);
        return true;
    }
    tree_reveal(t, t->nodes[n].first_child);
    return true;
}

bool tree_toggle(Tree *t)
{
    int n = tree_selected(t);
    if (n < 0 || !tree_has_children(t, n)) return false;
    tree_set_expanded(t, n, !t->nodes[n].expanded);
    ensure(t);
    return true;
}

int tree_row_at(Tree *t, int line)
{
    ensure(t);
    int r = t->list.top + line - (t->show_header ? 1 : 0);
    if (line < (t->show_header ? 1 : 0) || r < 0 || r >= t->n_rows) return -1;
    return r;
}

void tree_draw(Tree *t, WINDOW *win, int y, int x, int h, int w, const Theme *th, bool focused)
{
    ensure(t);
    if (h <= 0 || w <= 0) return;
    int body_y = y, body_h = h;
    /* right-hand columns that fit: keep at least 16 columns for names */
    int ncols = t->n_cols, colw = 0;
    while (ncols > 0) {
        colw = 0;
        for (int c = 0; c < ncols; c++) colw += t->cols[c].width + 1;
        if (w - colw >= 16) break;
        ncols--;
    }
    if (ncols == 0) colw = 0;
    int namew = w - colw;
    /* on a wide terminal the name column stops at its content: the columns follow it */
    int need = name_need(t);
    if (need < 16) need = 16;
    if (ncols > 0 && namew > need) namew = need;
    if (t->show_header && h > 1) {
        attr_t ha = theme_attr(th, SLOT_HEADER);
        text_draw_pad(win, y, x, "name", namew, ha);
        int cx = x + namew;
        char buf[128];
        for (int c = 0; c < ncols; c++) {
            text_fill(win, y, cx, 1, ha);
            textwidth_fit(buf, sizeof buf, t->cols[c].title ? t->cols[c].title : "", t->cols[c].width, t->cols[c].align, th->g.ellipsis);
            text_draw(win, y, cx + 1, buf, t->cols[c].width, ha);
            cx += t->cols[c].width + 1;
        }
        if (cx < x + w) text_fill(win, y, cx, x + w - cx, ha);
        body_y++;
        body_h--;
    }
    t->list.height = body_h;
    list_fix(&t->list);
    TreeRow row;
    char cell[512];
    for (int i = 0; i < body_h; i++) {
        int r = t->list.top + i, yy = body_y + i;
        if (r >= t->n_rows) {
            text_fill(win, yy, x, w, theme_attr(th, SLOT_NORMAL));
            continue;
        }
        int node = t->rows[r];
        const TreeNode *tn = &t->nodes[node];
        memset(&row, 0, sizeof row);
        row.name_slot = SLOT_TREE_NAME;
        for (int c = 0; c < TREE_MAX_COLS; c++) row.col_slot[c] = SLOT_NORMAL;
        if (t->row_fn) t->row_fn(t->ctx, tn->user, &row);
        bool sel = r == t->list.sel;
        attr_t base = sel ? theme_attr(th, focused ? SLOT_SELECTED : SLOT_SELECTED_INACTIVE) : theme_attr(th, SLOT_NORMAL);
        int cx = x;
        /* indentation and expander */
        int indent = tn->depth * 2;
        if (indent > namew / 2) indent = namew / 2;
        text_fill(win, yy, cx, indent, sel ? base : theme_attr(th, SLOT_TREE_GUIDE));
        cx += indent;
        bool open = tn->expanded;
        if (t->filter) { /* filtered: open when a kept child follows, a leaf of the filter otherwise */
            open = r + 1 < t->n_rows && t->nodes[t->rows[r + 1]].parent == node;
            if (!open && tn->first_child >= 0) open = false;
        }
        const char *mark = tn->first_child >= 0 ? (open ? th->g.expanded : t->filter ? th->g.leaf : th->g.collapsed) : th->g.leaf;
        int left = namew - indent;
        if (left >= 2) {
            text_draw(win, yy, cx, mark, 1, sel ? base : theme_attr(th, SLOT_TREE_GUIDE));
            text_fill(win, yy, cx + 1, 1, base);
            cx += 2;
            left -= 2;
        }
        attr_t na = sel ? base : row.match ? theme_attr(th, SLOT_MATCH) : theme_attr(th, row.name_slot);
        textwidth_fit(cell, sizeof cell, row.name, left, -1, th->g.ellipsis);
        int d = text_draw(win, yy, cx, cell, left, na);
        text_fill(win, yy, cx + d, left - d, base);
        cx = x + namew;
        for (int c = 0; c < ncols; c++) {
            text_fill(win, yy, cx, 1, base);
            textwidth_fit(cell, sizeof cell, row.col[c], t->cols[c].width, t->cols[c].align, th->g.ellipsis);
            text_draw(win, yy, cx + 1, cell, t->cols[c].width, sel ? base : theme_attr(th, row.col_slot[c]));
            cx += t->cols[c].width + 1;
        }
        if (cx < x + w) text_fill(win, yy, cx, x + w - cx, base); /* the width the names did not need */
    }
}
