/* form: labelled fields with inline validation notes (see form.h). */
#define _XOPEN_SOURCE_EXTENDED 1
#include "widgets/form.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/core/util.h"
#include "widgets/text.h"

void form_init(Form *f)
{
    memset(f, 0, sizeof *f);
    f->list.sel = -1;
    f->list.height = 1;
    f->changed = -1;
}

void form_free(Form *f)
{
    free(f->fields);
    f->fields = NULL;
    f->n_fields = f->cap_fields = 0;
}

void form_clear(Form *f)
{
    f->n_fields = 0;
    f->list.count = 0;
    f->list.sel = -1;
    f->editing = false;
}

FormField *form_add(Form *f, const char *key, FieldKind kind, const char *value)
{
    if (f->n_fields == f->cap_fields) {
        int cap = f->cap_fields ? f->cap_fields * 2 : 32;
        f->fields = xrealloc(f->fields, (size_t)cap * sizeof *f->fields);
        f->cap_fields = cap;
    }
    FormField *fd = &f->fields[f->n_fields++];
    memset(fd, 0, sizeof *fd);
    snprintf(fd->key, sizeof fd->key, "%s", key);
    snprintf(fd->label, sizeof fd->label, "%s", key);
    fd->kind = kind;
    snprintf(fd->value, sizeof fd->value, "%s", value ? value : "");
    fd->note_slot = SLOT_DIM;
    f->list.count = f->n_fields;
    if (f->list.sel < 0 && kind != FIELD_HEADING) f->list.sel = f->n_fields - 1;
    return fd;
}

FormField *form_field(Form *f, const char *key)
{
    for (int i = 0; i < f->n_fields; i++)
        if (!strcmp(f->fields[i].key, key)) return &f->fields[i];
    return NULL;
}

FormField *form_selected(Form *f)
{
    return (f->list.sel >= 0 && f->list.sel < f->n_fields) ? &f->fields[f->list.sel] : NULL;
}

static bool is_true(const char *v) { return !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"); }

const char *form_check_value(const FormField *fd, const char *v)
{
    if (!*v) return (fd->kind == FIELD_TEXT || fd->allow_empty) ? NULL : "a value is required";
    char *end;
    errno = 0;
    switch (fd->kind) {
    case FIELD_INT:
        strtoll(v, &end, 10);
        return (end == v || *end || errno) ? "not a whole number" : NULL;
    case FIELD_FLOAT:
        strtod(v, &end);
        return (end == v || *end || errno) ? "not a number" : NULL;
    case FIELD_CHOICE:
        for (int i = 0; i < fd->n_choices; i++)
            if (!strcasecmp(fd->choices[i], v)) return NULL;
        return "not one of the choices";
    default: return NULL;
    }
}

static void move_sel(Form *f, ListMove m)
{
    int dir = (m == LIST_UP || m == LIST_PAGE_UP || m == LIST_HALF_UP || m == LIST_BOTTOM) ? -1 : 1;
    list_move(&f->list, m);
    /* skip headings in the direction of travel, then the other way at an end */
    int s = f->list.sel;
    while (s >= 0 && s < f->n_fields && f->fields[s].kind == FIELD_HEADING) s += dir;
    if (s < 0 || s >= f->n_fields) {
        s = f->list.sel;
        while (s >= 0 && s < f->n_fields && f->fields[s].kind == FIELD_HEADING) s -= dir;
    }
    if (s >= 0 && s < f->n_fields) {
        int top = f->list.top;
        list_select(&f->list, s);
        /* keep a heading just above the selection visible */
        if (s > 0 && f->fields[s - 1].kind == FIELD_HEADING && f->list.top == s && top < s) f->list.top = s - 1;
    }
}

static void edit_begin(Form *f, FormField *fd, bool clear)
{
    f->editing = true;
    f->error[0] = 0;
    f->edit_len = 0;
    if (!clear) {
        mbstate_t st;
        memset(&st, 0, sizeof st);
        const char *src = fd->value;
        size_t n = mbsrtowcs(f->edit, &src, FORM_VALUE_MAX - 1, &st);
        f->edit_len = n == (size_t)-1 ? 0 : (int)n;
    }
    f->edit[f->edit_len] = 0;
    f->edit_cur = f->edit_len;
}

/* Set fd to value if the owner's check (or, without one, the kind's syntax) accepts it:
 * true, with f->changed set; false with the reason in f->error and fd unchanged. */
static bool accept(Form *f, FormField *fd, const char *value)
{
    int field = (int)(fd - f->fields);
    if (!f->check) {
        const char *msg = form_check_value(fd, value);
        if (msg) {
            snprintf(f->error, sizeof f->error, "%s: %s", fd->key, msg);
            return false;
        }
    }
    char old[FORM_VALUE_MAX];
    snprintf(old, sizeof old, "%s", fd->value);
    snprintf(fd->value, sizeof fd->value, "%s", value);
    f->error[0] = 0;
    if (f->check) {
        char msg[sizeof f->error] = "";
        if (f->check(f, field, fd->value, msg, sizeof msg, f->check_user) != 0) {
            fd = &f->fields[field];
            snprintf(fd->value, sizeof fd->value, "%s", old);
            snprintf(f->error, sizeof f->error, "%s", msg[0] ? msg : "invalid value");
            return false;
        }
    }
    f->changed = field;
    return true;
}

static FormResult edit_commit(Form *f, FormField *fd)
{
    char buf[FORM_VALUE_MAX * 4];
    f->edit[f->edit_len] = 0;
    const wchar_t *src = f->edit;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = wcsrtombs(buf, &src, sizeof buf - 1, &st);
    if (n == (size_t)-1) n = 0;
    buf[n] = 0;
    /* trim spaces */
    char *s = buf;
    while (*s == ' ') s++;
    size_t l = strlen(s);
    while (l && s[l - 1] == ' ') s[--l] = 0;
    if (!strcmp(fd->value, s)) {
        f->editing = false;
        f->error[0] = 0;
        return FORM_EDIT_END;
    }
    if (!accept(f, fd, s)) return FORM_HANDLED; /* stay in edit mode, showing why */
    f->editing = false;
    return FORM_CHANGED;
}

static FormResult cycle(Form *f, FormField *fd, int dir)
{
    const char *next;
    if (fd->kind == FIELD_BOOL) {
        next = is_true(fd->value) ? "False" : "True";
    } else if (fd->kind == FIELD_CHOICE && fd->n_choices > 0) {
        int cur = -1;
        for (int i = 0; i < fd->n_choices; i++)
            if (!strcasecmp(fd->choices[i], fd->value)) cur = i;
        cur = (cur + dir + fd->n_choices) % fd->n_choices;
        next = fd->choices[cur];
    } else {
        return FORM_IGNORED;
    }
    return accept(f, fd, next) ? FORM_CHANGED : FORM_HANDLED;
}

FormResult form_key(Form *f, wint_t ch, bool is_key)
{
    FormField *fd = form_selected(f);
    if (f->editing && fd) {
        if (is_key) {
            switch (ch) {
            case KEY_LEFT: if (f->edit_cur > 0) f->edit_cur--; return FORM_HANDLED;
            case KEY_RIGHT: if (f->edit_cur < f->edit_len) f->edit_cur++; return FORM_HANDLED;
            case KEY_HOME: f->edit_cur = 0; return FORM_HANDLED;
            case KEY_END: f->edit_cur = f->edit_len; return FORM_HANDLED;
            case KEY_BACKSPACE:
                if (f->edit_cur > 0) {
                    memmove(&f->edit[f->edit_cur - 1], &f->edit[f->edit_cur], (size_t)(f->edit_len - f->edit_cur) * sizeof(wchar_t));
                    f->edit_cur--;
                    f->edit_len--;
                }
                return FORM_HANDLED;
            case KEY_DC:
                if (f->edit_cur < f->edit_len) {
                    memmove(&f->edit[f->edit_cur], &f->edit[f->edit_cur + 1], (size_t)(f->edit_len - f->edit_cur - 1) * sizeof(wchar_t));
                    f->edit_len--;
                }
                return FORM_HANDLED;
            case KEY_ENTER: return edit_commit(f, fd);
            default: return FORM_HANDLED; /* swallow other keys while editing */
            }
        }
        if (ch == '\n' || ch == '\r') return edit_commit(f, fd);
        if (ch == 27) {
            f->editing = false;
            f->error[0] = 0;
            return FORM_EDIT_END;
        }
        if (ch == 127 || ch == 8) return form_key(f, KEY_BACKSPACE, true);
        if (ch == 21) { /* Ctrl-U: clear */
            f->edit_len = f->edit_cur = 0;
            return FORM_HANDLED;
        }
        if (ch < 32) return FORM_HANDLED;
        if (f->edit_len < FORM_VALUE_MAX - 2) {
            memmove(&f->edit[f->edit_cur + 1], &f->edit[f->edit_cur], (size_t)(f->edit_len - f->edit_cur) * sizeof(wchar_t));
            f->edit[f->edit_cur++] = (wchar_t)ch;
            f->edit_len++;
        }
        return FORM_HANDLED;
    }
    if (is_key) {
        switch (ch) {
        case KEY_UP: move_sel(f, LIST_UP); return FORM_HANDLED;
        case KEY_DOWN: move_sel(f, LIST_DOWN); return FORM_HANDLED;
        case KEY_PPAGE: move_sel(f, LIST_PAGE_UP); return FORM_HANDLED;
        case KEY_NPAGE: move_sel(f, LIST_PAGE_DOWN); return FORM_HANDLED;
        case KEY_HOME: move_sel(f, LIST_TOP); return FORM_HANDLED;
        case KEY_END: move_sel(f, LIST_BOTTOM); return FORM_HANDLED;
        case KEY_ENTER: ch = '\n'; break;
        case KEY_BACKSPACE: ch = 127; break;
        case KEY_LEFT: ch = '-'; break;
        case KEY_RIGHT: ch = '+'; break;
        default: return FORM_IGNORED;
        }
    }
    switch (ch) {
    case 'j': move_sel(f, LIST_DOWN); return FORM_HANDLED;
    case 'k': move_sel(f, LIST_UP); return FORM_HANDLED;
    default: break;
    }
    if (!fd || fd->kind == FIELD_HEADING) return FORM_IGNORED;
    bool toggles = fd->kind == FIELD_BOOL || fd->kind == FIELD_CHOICE;
    if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '+' || ch == '-' || ch == 127) {
        if (fd->disabled) {
            snprintf(f->error, sizeof f->error, "%s: %s", fd->key, fd->reason[0] ? fd->reason : "not used here");
            return FORM_HANDLED;
        }
        if (toggles) return cycle(f, fd, (ch == '-' || ch == 127) ? -1 : 1);
        if (ch == '\n' || ch == '\r') {
            edit_begin(f, fd, false);
            return FORM_EDIT_START;
        }
        return FORM_IGNORED;
    }
    /* typing a digit on a number field starts a fresh edit with it */
    if ((fd->kind == FIELD_INT || fd->kind == FIELD_FLOAT) && ((ch >= '0' && ch <= '9') || ch == '.') && !fd->disabled) {
        edit_begin(f, fd, true);
        f->edit[f->edit_len++] = (wchar_t)ch;
        f->edit[f->edit_len] = 0;
        f->edit_cur = f->edit_len;
        return FORM_EDIT_START;
    }
    return FORM_IGNORED;
}

bool form_click(Form *f, int line)
{
    int i = f->list.top + line;
    if (line < 0 || i >= f->n_fields || f->fields[i].kind == FIELD_HEADING) return false;
    if (f->editing) f->editing = false;
    list_select(&f->list, i);
    return true;
}

void form_draw(Form *f, WINDOW *win, int y, int x, int h, int w, const Theme *th, bool focused)
{
    if (h <= 0 || w <= 0) return;
    int footer = h >= 6 ? 2 : 0;
    int body = h - footer;
    f->list.height = body;
    f->list.count = f->n_fields;
    list_fix(&f->list);
    int lw = 6;
    for (int i = 0; i < f->n_fields; i++) {
        if (f->fields[i].kind == FIELD_HEADING) continue;
        int k = textwidth_str(f->fields[i].label);
        if (k > lw) lw = k;
    }
    f->caret_y = f->caret_x = -1;
    if (lw > 16) lw = 16;
    if (lw > w / 3) lw = w / 3;
    int vw = 14;
    if (vw > (w - lw - 4) / 2) vw = (w - lw - 4) / 2;
    if (vw < 4) vw = 4;
    char cell[FORM_VALUE_MAX * 4];
    attr_t normal = theme_attr(th, SLOT_NORMAL);
    for (int i = 0; i < body; i++) {
        int r = f->list.top + i, yy = y + i;
        text_fill(win, yy, x, w, normal);
        if (r >= f->n_fields) continue;
        FormField *fd = &f->fields[r];
        bool sel = r == f->list.sel;
        if (fd->kind == FIELD_HEADING) {
            text_draw(win, yy, x, fd->label, w, theme_attr(th, SLOT_TITLE));
            continue;
        }
        attr_t la = sel ? theme_attr(th, focused ? SLOT_SELECTED : SLOT_SELECTED_INACTIVE)
                        : fd->disabled ? theme_attr(th, SLOT_FIELD_DISABLED) : theme_attr(th, SLOT_LABEL);
        text_fill(win, yy, x, 1, la);
        text_draw(win, yy, x + 1, fd->modified ? "*" : " ", 1, la);
        textwidth_fit(cell, sizeof cell, fd->label, lw, -1, th->g.ellipsis);
        text_draw_pad(win, yy, x + 2, cell, lw + 1, la);
        int vx = x + lw + 4;
        if (vx >= x + w) continue;
        int avail = w - (vx - x);
        int vwid = vw < avail ? vw : avail;
        if (sel && f->editing) {
            /* the edit buffer, scrolled so the cursor shows */
            char tmp[FORM_VALUE_MAX * 4];
            wchar_t save = f->edit[f->edit_len];
            f->edit[f->edit_len] = 0;
            const wchar_t *src = f->edit;
            mbstate_t st;
            memset(&st, 0, sizeof st);
            size_t n = wcsrtombs(tmp, &src, sizeof tmp - 1, &st);
            tmp[n == (size_t)-1 ? 0 : n] = 0;
            f->edit[f->edit_len] = save;
            int curcol = 0;
            for (int k = 0; k < f->edit_cur; k++) {
                curcol += textwidth_char((uint32_t)f->edit[k]);
            }
            int skip = curcol >= vwid ? curcol - vwid + 1 : 0;
            attr_t ea = theme_attr(th, SLOT_FIELD_EDIT);
            text_fill(win, yy, vx, vwid, ea);
            text_draw_from(win, yy, vx, tmp, skip, vwid, ea);
            f->caret_y = yy;
            f->caret_x = vx + curcol - skip;
        } else {
            const char *shown = fd->value;
            if (!*shown) shown = fd->kind == FIELD_TEXT ? "" : "None";
            attr_t va = fd->disabled ? theme_attr(th, SLOT_FIELD_DISABLED) : theme_attr(th, SLOT_FIELD);
            if (fd->kind == FIELD_BOOL) {
                snprintf(cell, sizeof cell, "[%s] %s", !strcasecmp(fd->value, "true") ? "x" : " ", fd->value);
                shown = cell;
            } else if (fd->kind == FIELD_CHOICE) {
                char tmp[FORM_VALUE_MAX + 8];
                snprintf(tmp, sizeof tmp, "<%s>", fd->value);
                snprintf(cell, sizeof cell, "%s", tmp);
                shown = cell;
            }
            char fit[FORM_VALUE_MAX * 4];
            textwidth_fit(fit, sizeof fit, shown, vwid, -1, th->g.ellipsis);
            text_draw(win, yy, vx, fit, vwid, va);
        }
        int nx = vx + vwid + 1;
        if (nx < x + w) {
            const char *note = fd->disabled && fd->reason[0] ? fd->reason : fd->note;
            ThemeSlot ns = fd->disabled ? SLOT_FIELD_DISABLED : fd->note_slot;
            textwidth_fit(cell, sizeof cell, note, x + w - nx, -1, th->g.ellipsis);
            text_draw(win, yy, nx, cell, x + w - nx, theme_attr(th, ns));
        }
    }
    if (footer) {
        FormField *fd = form_selected(f);
        const char *l1 = "", *l2 = "";
        ThemeSlot s1 = SLOT_DIM, s2 = SLOT_DIM;
        if (f->error[0]) l1 = f->error, s1 = SLOT_ERROR;
        else if (fd && fd->disabled) l1 = fd->reason, s1 = SLOT_FIELD_DISABLED;
        else if (fd && fd->note[0]) l1 = fd->note, s1 = fd->note_slot;
        if (fd) l2 = fd->help;
        text_draw_pad(win, y + h - 2, x, l1, w, theme_attr(th, s1));
        text_draw_pad(win, y + h - 1, x, l2, w, theme_attr(th, s2));
    }
    if (f->editing && f->caret_y >= 0) wmove(win, f->caret_y, f->caret_x); /* leave the cursor at the caret */
}
