/* bars: tabs, status line, function bar, progress bar, rules (see bars.h). */
#include "widgets/bars.h"

#include <stdio.h>
#include <string.h>

#include "widgets/text.h"

void clickbar_clear(ClickBar *b) { b->n = 0; }

void clickbar_add(ClickBar *b, const char *key, const char *label, int id)
{
    if (b->n >= BAR_MAX_ITEMS) return;
    b->items[b->n] = (BarItem){key, label, id, NULL};
    b->x0[b->n] = b->x1[b->n] = -1;
    b->n++;
}

int clickbar_hit(const ClickBar *b, int xoff)
{
    for (int i = 0; i < b->n; i++)
        if (xoff >= b->x0[i] && xoff < b->x1[i]) return b->items[i].id;
    return -1;
}

void tabs_draw(ClickBar *b, WINDOW *win, int y, int x, int w, int active_id, const Theme *th)
{
    attr_t bg = theme_attr(th, SLOT_TABS_BG);
    int cx = 0;
    /* full labels when they fit, else key + first letters */
    int need = 0;
    for (int i = 0; i < b->n; i++) need += textwidth_str(b->items[i].key) + textwidth_str(b->items[i].label) + 3;
    bool short_labels = need > w;
    char buf[128];
    for (int i = 0; i < b->n; i++) {
        const BarItem *it = &b->items[i];
        if (short_labels) snprintf(buf, sizeof buf, " %s:%.3s ", it->key, it->label);
        else snprintf(buf, sizeof buf, " %s:%s%s%s ", it->key, it->label, it->badge ? " " : "", it->badge ? it->badge : "");
        int bw = textwidth_str(buf);
        b->x0[i] = cx;
        if (cx + bw > w) bw = w - cx;
        if (bw <= 0) {
            b->x1[i] = cx;
            continue;
        }
        attr_t a = it->id == active_id ? theme_attr(th, SLOT_TAB_ACTIVE) : theme_attr(th, SLOT_TAB);
        text_draw(win, y, x + cx, buf, bw, a);
        cx += bw;
        b->x1[i] = cx;
        if (cx < w) {
            text_fill(win, y, x + cx, 1, bg);
            cx++;
        }
    }
    if (cx < w) text_fill(win, y, x + cx, w - cx, bg);
}

void funcbar_draw(ClickBar *b, WINDOW *win, int y, int x, int w, const Theme *th)
{
    attr_t ka = theme_attr(th, SLOT_FUNC_KEY), la = theme_attr(th, SLOT_FUNC_LABEL);
    int total = 0;
    for (int i = 0; i < b->n; i++) total += textwidth_str(b->items[i].key) + textwidth_str(b->items[i].label) + 1 + (textwidth_str(b->items[i].key) > 1);
    /* shrink labels evenly when they do not fit */
    int maxlabel = 32;
    while (total > w && maxlabel > 1) {
        maxlabel--;
        total = 0;
        for (int i = 0; i < b->n; i++) {
            int lw = textwidth_str(b->items[i].label);
            total += textwidth_str(b->items[i].key) + (lw < maxlabel ? lw : maxlabel) + 1 + (textwidth_str(b->items[i].key) > 1);
        }
    }
    int cx = 0;
    for (int i = 0; i < b->n && cx < w; i++) {
        b->x0[i] = cx;
        cx += text_draw(win, y, x + cx, b->items[i].key, w - cx, ka);
        if (textwidth_str(b->items[i].key) > 1 && cx < w) text_fill(win, y, x + cx++, 1, la); /* "Tab Pane", "?Help" */
        if (cx < w) {
            int lw = textwidth_str(b->items[i].label);
            if (lw > maxlabel) lw = maxlabel;
            if (lw > w - cx) lw = w - cx;
            char buf[128];
            textwidth_fit(buf, sizeof buf, b->items[i].label, lw, -1, NULL);
            text_draw(win, y, x + cx, buf, lw, la);
            cx += lw;
        }
        if (cx < w) {
            text_fill(win, y, x + cx, 1, ka);
            cx++;
        }
        b->x1[i] = cx;
    }
    if (cx < w) text_fill(win, y, x + cx, w - cx, la);
}

void status_draw(WINDOW *win, int y, int x, int w, const char *msg, ThemeSlot slot, const char *right, const Theme *th)
{
    attr_t base = theme_attr(th, SLOT_STATUS);
    int rw = right ? textwidth_str(right) : 0;
    if (rw > w / 2) rw = 0;
    int lw = w - (rw ? rw + 1 : 0);
    attr_t ma = theme_attr(th, slot);
    int d = text_draw(win, y, x, msg ? msg : "", lw, ma);
    text_fill(win, y, x + d, lw - d, base);
    if (rw) {
        text_fill(win, y, x + lw, 1, base);
        text_draw(win, y, x + lw + 1, right, rw, base);
    }
}

void progress_draw(WINDOW *win, int y, int x, int w, double fraction, const char *label, const Theme *th, int tick)
{
    if (w <= 0) return;
    attr_t da = theme_attr(th, SLOT_PROGRESS_DONE), ta = theme_attr(th, SLOT_PROGRESS_TODO);
    char lab[256] = "";
    textwidth_fit(lab, sizeof lab, label ? label : "", w, 0, th->g.ellipsis);
    int done, from = 0;
    if (fraction < 0) { /* unknown: a block of w/5 moving with tick */
        int bw = w / 5 ? w / 5 : 1;
        from = (tick % (w + bw)) - bw;
        done = from + bw;
    } else {
        if (fraction > 1) fraction = 1;
        done = (int)(fraction * w + 0.5);
    }
    /* draw the centred label cell by cell, switching attributes at the boundary */
    int pos = 0;
    const char *p = lab;
    size_t n = strlen(p);
    while (pos < w) {
        uint32_t glyph;
        int cw;
        int k = n ? (int)textwidth_glyph(p, n, &glyph, &cw) : 0;
        char one[8] = " ";
        if (k > 0) {
            memcpy(one, p, (size_t)k);
            one[k] = 0;
            p += k;
            n -= (size_t)k;
        } else {
            cw = 1;
        }
        if (cw == 0) continue;
        if (pos + cw > w) break;
        bool in = pos >= from && pos < done;
        text_draw(win, y, x + pos, one, cw, in ? da : ta);
        pos += cw;
    }
    if (pos < w) text_fill(win, y, x + pos, w - pos, ta);
}

void rule_draw(WINDOW *win, int y, int x, int w, const char *title, bool focused, const Theme *th)
{
    attr_t ba = theme_attr(th, SLOT_BORDER);
    int cx = 0;
    if (title && *title && w > 6) {
        cx += text_draw(win, y, x, th->g.hline, 1, ba);
        cx += text_draw(win, y, x + cx, " ", 1, ba);
        cx += text_draw(win, y, x + cx, title, w - cx - 2, theme_attr(th, focused ? SLOT_TITLE_FOCUS : SLOT_TITLE));
        cx += text_draw(win, y, x + cx, " ", 1, ba);
    }
    for (; cx < w; cx++) text_draw(win, y, x + cx, th->g.hline, 1, ba);
}
