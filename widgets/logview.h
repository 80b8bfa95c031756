/* logview: a scrollback of log lines (a capped ring the widget owns), coloured by level,
 * with follow mode (stick to the newest line), a cursor line for scrolling back, and
 * search with n/N.  Appending is O(1); drawing touches only the visible lines.
 */
#ifndef YOLOPORT_WIDGETS_LOGVIEW_H
#define YOLOPORT_WIDGETS_LOGVIEW_H

#include <stdbool.h>
#include <curses.h>

#include "widgets/list.h"
#include "widgets/theme.h"

typedef enum { LOGV_DEBUG, LOGV_INFO, LOGV_WARNING, LOGV_ERROR } LogViewLevel;

typedef struct {
    char *text;
    unsigned char level;
} LogViewLine;

typedef struct {
    LogViewLine *ring;
    int cap, start, n;  /* ring[(start + i) % cap], i < n */
    long long dropped;  /* lines that fell off the ring */
    ListState list;
    bool follow;
    int hscroll;
    char search[128];
} LogView;

void logview_init(LogView *v, int cap);
void logview_free(LogView *v);
void logview_clear(LogView *v);
/* Append a copy of text (one line; a trailing newline is dropped). */
void logview_append(LogView *v, LogViewLevel level, const char *text);
const char *logview_line(const LogView *v, int i); /* NULL out of range */
/* Scrolling: anything but reaching the end turns follow off; LIST_BOTTOM turns it on. */
void logview_move(LogView *v, ListMove m);
void logview_set_follow(LogView *v, bool follow);
/* Search for v->search from the cursor: dir 1 forward, -1 backward.  True when found. */
bool logview_search(LogView *v, int dir);
void logview_draw(LogView *v, WINDOW *win, int y, int x, int h, int w, const Theme *th, bool focused);

#endif
