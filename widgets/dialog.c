/* dialog: modal message / text / confirmation box (see dialog.h). */
#include "widgets/dialog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "widgets/text.h"

void dialog_open(Dialog *d, const char *title, const char *text, const char *const *buttons, int purpose, int tag)
{
    dialog_close(d);
    d->open = true;
    snprintf(d->title, sizeof d->title, "%s", title ? title : "");
    d->text = xstrdup(text ? text : "");
    d->n_buttons = 0;
    static const char *const ok[] = {"OK", NULL};
    if (!buttons) buttons = ok;
    for (int i = 0; buttons[i] && i < DIALOG_MAX_BUTTONS; i++) d->buttons[d->n_buttons++] = buttons[i];
    d->button = 0;
    d->result = -1;
    d->scroll = 0;
    d->purpose = purpose;
    d->tag = tag;
}

void dialog_close(Dialog *d)
{
    free(d->text);
    d->text = NULL;
    d->open = false;
}

int text_wrap(const char *text, int w, void (*emit)(const char *line, int len, void *ctx), void *ctx)
{
    if (!text || !*text) return 0;
    /* one trailing newline ends the last line rather than starting an empty one */
    size_t len = strlen(text);
    char *copy = len && text[len - 1] == '\n' ? xstrndup(text, len - 1) : NULL;
    char **lines;
    int n = textwidth_wrap(copy ? copy : text, w, &lines);
    for (int i = 0; emit && i < n; i++) emit(lines[i], (int)strlen(lines[i]), ctx);
    textwidth_free_lines(lines, n);
    free(copy);
    return n;
}

typedef struct {
    WINDOW *win;
    int y, x, w, first, shown, max, n;
    attr_t a;
} DrawCtx;

static void draw_line(const char *line, int len, void *vctx)
{
    DrawCtx *c = vctx;
    int i = c->n++;
    if (i < c->first || c->shown >= c->max) return;
    char buf[2048];
    if (len > (int)sizeof buf - 1) len = (int)sizeof buf - 1;
    memcpy(buf, line, (size_t)len);
    buf[len] = 0;
    text_draw_pad(c->win, c->y + c->shown, c->x, buf, c->w, c->a);
    c->shown++;
}

DialogState dialog_key(Dialog *d, wint_t ch, bool is_key)
{
    if (!d->open) return DIALOG_DONE;
    int page = d->bh > 6 ? d->bh - 5 : 1;
    if (is_key) {
        switch (ch) {
        case KEY_LEFT: case KEY_BTAB: d->button = (d->button + d->n_buttons - 1) % d->n_buttons; return DIALOG_OPEN;
        case KEY_RIGHT: d->button = (d->button + 1) % d->n_buttons; return DIALOG_OPEN;
        case KEY_UP: if (d->scroll > 0) d->scroll--; return DIALOG_OPEN;
        case KEY_DOWN: d->scroll++; return DIALOG_OPEN;
        case KEY_PPAGE: d->scroll -= page; if (d->scroll < 0) d->scroll = 0; return DIALOG_OPEN;
        case KEY_NPAGE: d->scroll += page; return DIALOG_OPEN;
        case KEY_HOME: d->scroll = 0; return DIALOG_OPEN;
        case KEY_ENTER: d->result = d->button; return DIALOG_DONE;
        default: return DIALOG_OPEN;
        }
    }
    switch (ch) {
    case '\t': d->button = (d->button + 1) % d->n_buttons; return DIALOG_OPEN;
    case 'h': d->button = (d->button + d->n_buttons - 1) % d->n_buttons; return DIALOG_OPEN;
    case 'l': d->button = (d->button + 1) % d->n_buttons; return DIALOG_OPEN;
    case 'k': if (d->scroll > 0) d->scroll--; return DIALOG_OPEN;
    case 'j': d->scroll++; return DIALOG_OPEN;
    case ' ': d->scroll += page; return DIALOG_OPEN;
    case '\n': case '\r': d->result = d->button; return DIALOG_DONE;
    case 27: case 'q': d->result = -1; return DIALOG_DONE;
    case 'y': case 'Y':
        if (d->n_buttons == 2) {
            d->result = 0;
            return DIALOG_DONE;
        }
        return DIALOG_OPEN;
    case 'n': case 'N':
        if (d->n_buttons == 2) {
            d->result = 1;
            return DIALOG_DONE;
        }
        return DIALOG_OPEN;
    default: return DIALOG_OPEN;
    }
}

DialogState dialog_click(Dialog *d, int y, int x)
{
    if (y == d->by + d->bh - 2) {
        /* buttons are laid out right to left from the box's right edge; recompute */
        int bx = d->bx + d->bw - 2;
        for (int i = d->n_buttons - 1; i >= 0; i--) {
            int bw = textwidth_str(d->buttons[i]) + 4;
            bx -= bw;
            if (x >= bx && x < bx + bw) {
                d->result = i;
                return DIALOG_DONE;
            }
            bx--;
        }
    }
    return DIALOG_OPEN;
}

void dialog_draw(Dialog *d, WINDOW *win, int scr_h, int scr_w, const Theme *th)
{
    if (!d->open) return;
    int w = scr_w - 4 < 72 ? scr_w - 4 : 72;
    if (w < 10) w = scr_w;
    int inner = w - 4;
    int lines = text_wrap(d->text, inner, NULL, NULL);
    d->lines = lines;
    int h = lines + 5;
    if (h > scr_h - 2) h = scr_h - 2;
    if (h < 5) h = scr_h < 5 ? scr_h : 5;
    int by = (scr_h - h) / 2, bx = (scr_w - w) / 2;
    if (by < 0) by = 0;
    if (bx < 0) bx = 0;
    d->bx = bx, d->by = by, d->bw = w, d->bh = h;
    int body = h - 5 > 0 ? h - 5 : 0;
    if (d->scroll > lines - body) d->scroll = lines - body;
    if (d->scroll < 0) d->scroll = 0;
    attr_t da = theme_attr(th, SLOT_DIALOG), ta = theme_attr(th, SLOT_DIALOG_TITLE);
    for (int i = 0; i < h; i++) text_fill(win, by + i, bx, w, da);
    /* frame */
    const char *hl = th->g.hline, *vl = th->g.vline;
    for (int i = 1; i < w - 1; i++) {
        text_draw(win, by, bx + i, hl, 1, da);
        text_draw(win, by + h - 1, bx + i, hl, 1, da);
    }
    for (int i = 1; i < h - 1; i++) {
        text_draw(win, by + i, bx, vl, 1, da);
        text_draw(win, by + i, bx + w - 1, vl, 1, da);
    }
    const char *corners = th->g.ascii ? "++++" : NULL;
    if (corners) {
        text_draw(win, by, bx, "+", 1, da);
        text_draw(win, by, bx + w - 1, "+", 1, da);
        text_draw(win, by + h - 1, bx, "+", 1, da);
        text_draw(win, by + h - 1, bx + w - 1, "+", 1, da);
    } else {
        text_draw(win, by, bx, "┌", 1, da);
        text_draw(win, by, bx + w - 1, "┐", 1, da);
        text_draw(win, by + h - 1, bx, "└", 1, da);
        text_draw(win, by + h - 1, bx + w - 1, "┘", 1, da);
    }
    char title[160];
    snprintf(title, sizeof title, " %s ", d->title);
    text_draw(win, by, bx + 2, title, w - 4, ta);
    DrawCtx c = {win, by + 2, bx + 2, inner, d->scroll, 0, body, 0, da};
    text_wrap(d->text, inner, draw_line, &c);
    if (lines > body && body > 0) {
        char more[48];
        snprintf(more, sizeof more, " %d-%d/%d ", d->scroll + 1, d->scroll + c.shown, lines);
        text_draw(win, by + h - 1, bx + 2, more, w - 4, da);
    }
    /* buttons, right-aligned */
    int bxp = bx + w - 2;
    for (int i = d->n_buttons - 1; i >= 0; i--) {
        char b[64];
        snprintf(b, sizeof b, "[ %s ]", d->buttons[i]);
        int bw = textwidth_str(b);
        bxp -= bw;
        if (bxp < bx + 1) break;
        text_draw(win, by + h - 2, bxp, b, bw, i == d->button ? theme_attr(th, SLOT_SELECTED) : da);
        bxp--;
    }
}
