/* help: contextual, filterable command list that runs commands (see help.h). */
#include "tui/help.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/prompt.h"
#include "widgets/list.h"
#include "widgets/text.h"

struct Help {
    bool active;
    Scope scope;
    char filter[64];
    Command rows[CMD_COUNT];
    int n;
    ListState list;
    int bx, by, bw, bh;
};

Help *help_new(void) { return xcalloc(1, sizeof(Help)); }
void help_free(Help *h) { free(h); }
bool help_active(const Help *h) { return h && h->active; }
void help_close(Help *h) { h->active = false; }
int help_count(const Help *h) { return h->n; }
Command help_command_at(const Help *h, int i) { return (i >= 0 && i < h->n) ? h->rows[i] : CMD_NONE; }

static void rebuild(Help *h, App *app)
{
    h->n = 0;
    /* the screen's own commands first, then global ones */
    for (int pass = 0; pass < 2; pass++)
        for (int c = 1; c < CMD_COUNT; c++) {
            const CommandInfo *ci = command_info((Command)c);
            bool own = ci->scope == h->scope && h->scope != SCOPE_GLOBAL;
            if ((pass == 0) != own) continue;
            if (!own && ci->scope != SCOPE_GLOBAL) continue;
            if (h->filter[0]) {
                char keys[128];
                keymap_keys_for(&app->keymap, (Command)c, h->scope, keys, sizeof keys);
                if (!str_find_ci(ci->name, h->filter) && !str_find_ci(ci->help, h->filter) && strcmp(keys, h->filter) != 0)
                    continue;
            }
            h->rows[h->n++] = (Command)c;
        }
    h->list.count = h->n;
    list_fix(&h->list);
}

void help_open(Help *h, App *app, Scope scope)
{
    h->active = true;
    h->scope = scope;
    h->filter[0] = 0;
    h->list.sel = 0;
    h->list.top = 0;
    h->list.height = 10;
    rebuild(h, app);
}

static int run_selected(Help *h, App *app)
{
    Command c = help_command_at(h, h->list.sel);
    h->active = false;
    if (c == CMD_NONE) return R_HANDLED | R_REDRAW;
    const CommandInfo *ci = command_info(c);
    if (ci->arg != CARG_NONE) {
        char init[80];
        snprintf(init, sizeof init, "%s ", ci->name);
        prompt_begin(app->prompt, PROMPT_COMMAND, init);
        return R_HANDLED | R_REDRAW;
    }
    return R_HANDLED | R_REDRAW | app_run_command(app, c, "");
}

int help_key(Help *h, App *app, wint_t ch, bool is_key)
{
    if (is_key) {
        switch (ch) {
        case KEY_UP: list_move(&h->list, LIST_UP); break;
        case KEY_DOWN: list_move(&h->list, LIST_DOWN); break;
        case KEY_PPAGE: list_move(&h->list, LIST_PAGE_UP); break;
        case KEY_NPAGE: list_move(&h->list, LIST_PAGE_DOWN); break;
        case KEY_HOME: list_move(&h->list, LIST_TOP); break;
        case KEY_END: list_move(&h->list, LIST_BOTTOM); break;
        case KEY_F(1): h->active = false; break;
        case KEY_ENTER: return run_selected(h, app);
        case KEY_BACKSPACE: {
            size_t n = strlen(h->filter);
            if (n) {
                /* drop one UTF-8 character */
                while (n > 0 && ((unsigned char)h->filter[n - 1] & 0xC0) == 0x80) n--;
                h->filter[n ? n - 1 : 0] = 0;
                rebuild(h, app);
            }
            break;
        }
        default: break;
        }
        return R_HANDLED | R_REDRAW;
    }
    if (ch == 27) {
        if (h->filter[0]) {
            h->filter[0] = 0;
            rebuild(h, app);
        } else {
            h->active = false;
        }
        return R_HANDLED | R_REDRAW;
    }
    if (ch == '\n' || ch == '\r') return run_selected(h, app);
    if (ch == 14) list_move(&h->list, LIST_DOWN);      /* C-n */
    else if (ch == 16) list_move(&h->list, LIST_UP);   /* C-p */
    else if (ch == 127 || ch == 8) return help_key(h, app, KEY_BACKSPACE, true);
    else if (ch == '?' && !h->filter[0]) h->active = false;
    else if (ch >= 32) {
        char mb[8];
        mbstate_t st;
        memset(&st, 0, sizeof st);
        size_t k = wcrtomb(mb, (wchar_t)ch, &st);
        size_t n = strlen(h->filter);
        if (k != (size_t)-1 && n + k < sizeof h->filter) {
            memcpy(h->filter + n, mb, k);
            h->filter[n + k] = 0;
            h->list.sel = 0;
            rebuild(h, app);
        }
    }
    return R_HANDLED | R_REDRAW;
}

int help_mouse(Help *h, App *app, const MEVENT *ev)
{
    if (ev->bstate & BUTTON4_PRESSED) list_scroll(&h->list, -3);
    else if (ev->bstate & BUTTON5_PRESSED) list_scroll(&h->list, 3);
    else if (ev->y >= h->by + 3 && ev->y < h->by + h->bh - 1 && ev->x >= h->bx && ev->x < h->bx + h->bw) {
        int r = h->list.top + ev->y - (h->by + 3);
        if (r < h->n) {
            if (r == h->list.sel) return run_selected(h, app);
            list_select(&h->list, r);
        }
    } else {
        h->active = false; /* a click outside closes */
    }
    return R_HANDLED | R_REDRAW;
}

void help_draw(Help *h, App *app, WINDOW *win)
{
    const Theme *th = &app->theme;
    int W = app->cols, H = app->rows - 2;
    int w = W - 4 < 96 ? W - 4 : 96, hh = H - 2;
    if (w < 20) w = W;
    if (hh < 6) hh = H;
    int bx = (W - w) / 2, by = 1 + (H - hh) / 2;
    h->bx = bx, h->by = by, h->bw = w, h->bh = hh;
    attr_t da = theme_attr(th, SLOT_DIALOG);
    for (int i = 0; i < hh; i++) text_fill(win, by + i, bx, w, da);
    char title[160];
    const char *scr = app->panes[app->screen].ops->name;
    snprintf(title, sizeof title, " Keys and commands: %s ", scr);
    text_draw_pad(win, by, bx, title, w, theme_attr(th, SLOT_DIALOG_TITLE));
    char filt[128];
    snprintf(filt, sizeof filt, " filter: %s", h->filter);
    int fw = text_draw(win, by + 1, bx, filt, w, theme_attr(th, SLOT_FIELD_EDIT));
    text_fill(win, by + 1, bx + fw, w - fw, da);
    text_draw_pad(win, by + 2, bx, " type to filter, Enter runs, Esc closes", w, theme_attr(th, SLOT_DIM));
    int body = hh - 4;
    h->list.height = body > 0 ? body : 1;
    h->list.count = h->n;
    list_fix(&h->list);
    int kw = w >= 70 ? 16 : 10, nw = w >= 70 ? 16 : 12;
    for (int i = 0; i < body; i++) {
        int r = h->list.top + i, yy = by + 3 + i;
        if (r >= h->n) {
            text_fill(win, yy, bx, w, da);
            continue;
        }
        const CommandInfo *ci = command_info(h->rows[r]);
        char keys[128], cell[256], line[512];
        keymap_keys_for(&app->keymap, h->rows[r], h->scope, keys, sizeof keys);
        if (!keys[0]) snprintf(keys, sizeof keys, ":%s", ci->name);
        char k2[64], n2[64];
        textwidth_fit(k2, sizeof k2, keys, kw, -1, th->g.ellipsis);
        textwidth_fit(n2, sizeof n2, ci->name, nw, -1, th->g.ellipsis);
        snprintf(line, sizeof line, " %s %s %s", k2, n2, ci->help);
        textwidth_fit(cell, sizeof cell, line, w, -1, th->g.ellipsis);
        attr_t a = r == h->list.sel ? theme_attr(th, SLOT_SELECTED) : da;
        text_draw_pad(win, yy, bx, cell, w, a);
        if (r != h->list.sel) text_draw(win, yy, bx + 1, k2, kw, da | A_BOLD);
    }
    text_fill(win, by + hh - 1, bx, w, da);
    char foot[64];
    snprintf(foot, sizeof foot, " %d commands ", h->n);
    text_draw(win, by + hh - 1, bx + 1, foot, w - 2, theme_attr(th, SLOT_DIM));
}
