/* list: shared scrolling arithmetic (see list.h). */
#include "widgets/list.h"

void list_fix(ListState *l)
{
    if (l->height < 1) l->height = 1;
    if (l->count <= 0) {
        l->count = 0;
        l->sel = -1;
        l->top = 0;
        return;
    }
    if (l->sel < 0) l->sel = 0;
    if (l->sel >= l->count) l->sel = l->count - 1;
    if (l->top > l->sel) l->top = l->sel;
    if (l->sel >= l->top + l->height) l->top = l->sel - l->height + 1;
    if (l->top > l->count - l->height) l->top = l->count - l->height;
    if (l->top < 0) l->top = 0;
}

bool list_select(ListState *l, int i)
{
    int old = l->sel, oldtop = l->top;
    l->sel = i;
    list_fix(l);
    return l->sel != old || l->top != oldtop;
}

bool list_move(ListState *l, ListMove m)
{
    int h = l->height < 1 ? 1 : l->height, s = l->sel;
    switch (m) {
    case LIST_UP: s--; break;
    case LIST_DOWN: s++; break;
    case LIST_PAGE_UP: s -= h; l->top -= h; break;
    case LIST_PAGE_DOWN: s += h; l->top += h; break;
    case LIST_HALF_UP: s -= h / 2 ? h / 2 : 1; l->top -= h / 2; break;
    case LIST_HALF_DOWN: s += h / 2 ? h / 2 : 1; l->top += h / 2; break;
    case LIST_TOP: s = 0; break;
    case LIST_BOTTOM: s = l->count - 1; break;
    }
    if (l->top < 0) l->top = 0;
    return list_select(l, s);
}

void list_scroll(ListState *l, int n)
{
    l->top += n;
    if (l->top > l->count - l->height) l->top = l->count - l->height;
    if (l->top < 0) l->top = 0;
    if (l->sel < l->top) l->sel = l->top;
    if (l->sel >= l->top + l->height) l->sel = l->top + l->height - 1;
    list_fix(l);
}
