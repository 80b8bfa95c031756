/* logview: ring-buffered log scrollback (see logview.h). */
#include "widgets/logview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "widgets/text.h"

void logview_init(LogView *v, int cap)
{
    memset(v, 0, sizeof *v);
    v->cap = cap > 16 ? cap : 16;
    v->ring = xcalloc((size_t)v->cap, sizeof *v->ring);
    v->follow = true;
    v->list.sel = -1;
    v->list.height = 1;
}

void logview_clear(LogView *v)
{
    for (int i = 0; i < v->n; i++) {
        free(v->ring[(v->start + i) % v->cap].text);
        v->ring[(v->start + i) % v->cap].text = NULL;
    }
    v->n = v->start = 0;
    v->dropped = 0;
    v->list.count = 0;
    v->list.sel = -1;
    v->list.top = 0;
    v->follow = true;
}

void logview_free(LogView *v)
{
    if (!v->ring) return;
    logview_clear(v);
    free(v->ring);
    v->ring = NULL;
}

void logview_append(LogView *v, LogViewLevel level, const char *text)
{
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r')) len--;
    char *copy = xstrndup(text, len);
    if (v->n == v->cap) {
        free(v->ring[v->start].text);
        v->ring[v->start] = (LogViewLine){copy, (unsigned char)level};
        v->start = (v->start + 1) % v->cap;
        v->dropped++;
        /* the view stays on the same text while lines fall off the top */
        if (!v->follow) {
            if (v->list.sel > 0) v->list.sel--;
            if (v->list.top > 0) v->list.top--;
        }
    } else {
        v->ring[(v->start + v->n) % v->cap] = (LogViewLine){copy, (unsigned char)level};
        v->n++;
    }
    v->list.count = v->n;
    if (v->follow) list_select(&v->list, v->n - 1);
}

const char *logview_line(const LogView *v, int i)
{
    if (i < 0 || i >= v->n) return NULL;
    return v->ring[(v->start + i) % v->cap].text;
}

void logview_set_follow(LogView *v, bool follow)
{
    v->follow = follow;
    if (follow) list_select(&v->list, v->n - 1);
}

void logview_move(LogView *v, ListMove m)
{
    v->list.count = v->n;
    list_move(&v->list, m);
    v->follow = v->list.sel >= v->n - 1 && (m == LIST_BOTTOM || m == LIST_DOWN || m == LIST_PAGE_DOWN || m == LIST_HALF_DOWN);
}

bool logview_search(LogView *v, int dir)
{
    if (!v->search[0] || v->n == 0) return false;
    int start = v->list.sel < 0 ? 0 : v->list.sel;
    for (int k = 1; k <= v->n; k++) {
        int i = ((start + dir * k) % v->n + v->n) % v->n;
        if (str_find_ci(logview_line(v, i), v->search)) {
            v->follow = false;
            list_select(&v->list, i);
            return true;
        }
    }
    return false;
}

void logview_draw(LogView *v, WINDOW *win, int y, int x, int h, int w, const Theme *th, bool focused)
{
    if (h <= 0 || w <= 0) return;
    v->list.height = h;
    v->list.count = v->n;
    if (v->follow) v->list.sel = v->n - 1;
    list_fix(&v->list);
    static const ThemeSlot slots[] = {SLOT_LOG_DEBUG, SLOT_LOG_INFO, SLOT_LOG_WARNING, SLOT_LOG_ERROR};
    for (int i = 0; i < h; i++) {
        int r = v->list.top + i;
        const char *line = logview_line(v, r);
        if (!line) {
            text_fill(win, y + i, x, w, theme_attr(th, SLOT_NORMAL));
            continue;
        }
        const LogViewLine *ll = &v->ring[(v->start + r) % v->cap];
        attr_t a = theme_attr(th, slots[ll->level & 3]);
        if (r == v->list.sel && !v->follow) a = theme_attr(th, focused ? SLOT_SELECTED : SLOT_SELECTED_INACTIVE);
        else if (v->search[0] && str_find_ci(line, v->search)) a = theme_attr(th, SLOT_MATCH);
        int d = text_draw_from(win, y + i, x, line, v->hscroll, w, a);
        text_fill(win, y + i, x + d, w - d, a);
    }
}
