/* table: rows x columns with a header, sortable columns, frozen leading columns,
 * horizontal scroll by column, an optional focused column, and bar-chart columns.
 * Cell text comes from the owner's callback for drawn rows only; widths are display
 * widths (engine/core/textwidth), so CJK cells keep the columns aligned.
 */
#ifndef YOLOPORT_WIDGETS_TABLE_H
#define YOLOPORT_WIDGETS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <curses.h>

#include "widgets/list.h"
#include "widgets/theme.h"

#define TABLE_MAX_COLS 32

typedef enum { COL_TEXT, COL_BAR } ColumnKind;

typedef struct {
    const char *title;
    int width;      /* fixed display width; 0 = fit the content (up to max_width) */
    int max_width;  /* cap for width 0 (0 = 40) */
    int align;      /* -1 left, 1 right */
    ColumnKind kind;
    bool numeric;   /* sort by the cell's number (the sort_value callback, else strtod) */
} TableColumn;

/* Cell text for (row, col) into buf; *slot may be set to colour the cell.  For COL_BAR
 * columns the callback sets *fraction in [0, 1] and may give a label in buf. */
typedef struct {
    char *buf;
    size_t len;
    ThemeSlot slot;
    double fraction;
} TableCell;
typedef void (*TableCellFn)(void *ctx, int row, int col, TableCell *cell);
/* Optional numeric sort key; NAN sorts last. */
typedef double (*TableSortFn)(void *ctx, int row, int col);

typedef struct {
    TableColumn cols[TABLE_MAX_COLS];
    int n_cols;
    int frozen;        /* leading columns that never scroll away */
    int hscroll;       /* first scrolled column (index >= frozen) */
    int focus_col;     /* highlighted column (-1 none): kept visible */
    int sort_col;      /* -1 = owner's order */
    bool sort_desc;
    int *order;        /* display row -> owner row */
    int n_order, cap_order;
    int widths[TABLE_MAX_COLS]; /* computed by table_layout */
    ListState list;
    TableCellFn cell_fn;
    TableSortFn sort_fn;
    void *ctx;
    int last_w;
} Table;

void table_init(Table *t, TableCellFn cell_fn, void *ctx);
void table_free(Table *t);
void table_add_column(Table *t, const char *title, int width, int align);
/* Set the number of owner rows; resets the order (then re-sorts when a sort is set). */
void table_set_rows(Table *t, int n);
/* Owner row at the selected display row, -1 when empty. */
int table_selected(const Table *t);
int table_row_at_display(const Table *t, int display_row);
/* Select the display row showing owner row r. */
void table_select_row(Table *t, int r);
/* Sort by column (toggle direction when it is already the sort column). */
void table_sort(Table *t, int col);
/* Move the focused column by delta, scrolling to keep it visible. */
void table_focus_col(Table *t, int delta);
/* Scroll by whole columns. */
void table_hscroll(Table *t, int delta);
/* Compute the widths (content fit) for a width w.  Called by table_draw. */
void table_layout(Table *t, int w);
void table_draw(Table *t, WINDOW *win, int y, int x, int h, int w, const Theme *th, bool focused);
/* Display row under window line `line` (relative to the table's y), -1 for header/none. */
int table_row_at(const Table *t, int line);
/* Column under x offset (relative to the table's x), -1 for none. */
int table_col_at(const Table *t, int xoff, int w);
/* Render one display row as plain text (the tests check alignment with it). */
void table_render_row(Table *t, int display_row, int w, char *out, size_t outlen);

#endif
