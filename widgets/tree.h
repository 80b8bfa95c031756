/* tree: an expandable tree view with right-hand columns.  The widget holds only structure
 * (parent/children/expanded); the text of a row is asked from the owner's callback for the
 * rows actually drawn, so trees of many thousands of nodes cost nothing until shown.
 *
 * Build: tree_add(t, parent, user) appends a child (parent -1 = top level) and returns the
 * node index; `user` is the owner's id for the row (a module or node index).  Visible rows
 * are recomputed lazily after any expand/collapse.
 */
#ifndef YOLOPORT_WIDGETS_TREE_H
#define YOLOPORT_WIDGETS_TREE_H

#include <stdbool.h>
#include <curses.h>

#include "widgets/list.h"
#include "widgets/theme.h"

#define TREE_MAX_COLS 4

typedef struct {
    int parent, first_child, last_child, next_sibling;
    int depth;
    int user;
    bool expanded;
} TreeNode;

/* What the owner says about one row.  Strings are copied before the next call. */
typedef struct {
    char name[256];
    char col[TREE_MAX_COLS][96];
    ThemeSlot name_slot;
    ThemeSlot col_slot[TREE_MAX_COLS];
    bool match;  /* highlight the name (search hit) */
} TreeRow;

typedef void (*TreeRowFn)(void *ctx, int user, TreeRow *row);

typedef struct {
    const char *title;
    int width;  /* display columns */
    int align;  /* -1 left, 1 right */
} TreeColumn;

typedef struct {
    TreeNode *nodes;
    int n_nodes, cap_nodes;
    int first_top, last_top; /* top-level sibling chain */
    int *rows; /* visible node indices */
    int n_rows, cap_rows;
    bool rows_dirty;
    ListState list;
    TreeColumn cols[TREE_MAX_COLS];
    int n_cols;
    bool show_header;
    int name_need;     /* display columns the visible rows' names need (-1: not measured) */
    unsigned char *filter; /* tree_set_filter's copy (n_nodes flags), NULL when not filtering */
    TreeRowFn row_fn;
    void *ctx;
} Tree;

void tree_init(Tree *t, TreeRowFn row_fn, void *ctx);
void tree_free(Tree *t);
void tree_clear(Tree *t);
int tree_add(Tree *t, int parent, int user);
void tree_set_column(Tree *t, int i, const char *title, int width, int align);
/* Filter mode: only the nodes whose keep[node] is set are rows (keep has one flag per node,
 * copied; a kept node's ancestors should be kept too), all of them whatever is expanded.
 * NULL ends it: the rows follow the expanded state again.  tree_clear ends it as well. */
void tree_set_filter(Tree *t, const unsigned char *keep);

/* Visible rows (recomputed if needed). */
int tree_row_count(Tree *t);
int tree_row_node(Tree *t, int row); /* node at a visible row, -1 out of range */
int tree_selected(Tree *t);          /* selected node, -1 when empty */
int tree_find_user(const Tree *t, int user); /* node for a user id, -1 (linear scan) */

bool tree_has_children(const Tree *t, int node);
void tree_set_expanded(Tree *t, int node, bool expanded);
void tree_expand_all(Tree *t, bool expanded);
/* Expand the ancestors of node and select it. */
void tree_reveal(Tree *t, int node);

/* Left: collapse, or go to the parent.  Right: expand, or go to the first child.
 * Toggle: flip expansion.  Each returns true when something changed. */
bool tree_left(Tree *t);
bool tree_right(Tree *t);
bool tree_toggle(Tree *t);

/* Draw into (y, x, h, w) of win; the header (when shown) takes the first line. */
void tree_draw(Tree *t, WINDOW *win, int y, int x, int h, int w, const Theme *th, bool focused);
/* Visible row under window line `line` (relative to the tree's y), -1 for none. */
int tree_row_at(Tree *t, int line);

#endif
