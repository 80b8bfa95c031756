/* list: the scrolling state every list-like widget shares (tree, table, log, menus):
 * a count of rows, a selected row and the first visible row.  Pure arithmetic, no curses. */
#ifndef YOLOPORT_WIDGETS_LIST_H
#define YOLOPORT_WIDGETS_LIST_H

#include <stdbool.h>

typedef struct {
    int count;  /* rows */
    int sel;    /* selected row, -1 when count == 0 */
    int top;    /* first visible row */
    int height; /* visible rows (set by the owner's draw/resize) */
} ListState;

/* Navigation requests understood by list_move. */
typedef enum { LIST_UP, LIST_DOWN, LIST_PAGE_UP, LIST_PAGE_DOWN, LIST_HALF_UP, LIST_HALF_DOWN, LIST_TOP, LIST_BOTTOM } ListMove;

/* Clamp sel and top to count/height and keep sel visible. */
void list_fix(ListState *l);
/* Move the selection; returns true when it changed. */
bool list_move(ListState *l, ListMove m);
/* Select row i (clamped) and scroll it into view; true when changed. */
bool list_select(ListState *l, int i);
/* Scroll the view by n rows without moving the selection beyond the view (mouse wheel). */
void list_scroll(ListState *l, int n);

#endif
