/* prompt: readline inside curses for `:` and `/` (see prompt.h). */
#include "tui/prompt.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "engine/core/paths.h"
#include "widgets/text.h"

#define QUEUE_MAX 64

/* Completion candidates for the word being completed (pointers into the scratch below or
 * into constant tables). */
typedef struct {
    const char **items;
    int n, cap, idx;
} Cands;

struct Prompt {
    App *app;
    bool active;
    PromptKind kind;
    unsigned char queue[QUEUE_MAX];
    int qhead, qlen;
    bool done;
    char *accepted; /* heap (readline's), NULL when cancelled */
    char matches[512];
    int hist_pos;
    Cands cands;
    char theme_names[16][64];
    char keyeq[EXPORT_KEY_COUNT][48];
    char vals[40][80];
    char keyed_prefix[64];
};

/* readline's callbacks carry no user pointer: the one active prompt, UI thread only. */
static Prompt *active_prompt;

static int prompt_getc(FILE *f)
{
    (void)f;
    Prompt *p = active_prompt;
    if (!p || p->qlen == 0) return 0; /* never asked for more than was queued */
    int c = p->queue[p->qhead];
    p->qhead = (p->qhead + 1) % QUEUE_MAX;
    p->qlen--;
    return c;
}

static void prompt_redisplay(void)
{
    if (active_prompt) active_prompt->app->dirty = true;
}

static void prep_noop(int meta) { (void)meta; }
static void deprep_noop(void) {}

static void on_line(char *line)
{
    Prompt *p = active_prompt;
    if (!p) {
        free(line);
        return;
    }
    p->done = true;
    p->accepted = line;
    /* remove the handler now so readline does not print a new prompt */
    rl_callback_handler_remove();
}

/* ---- completion ------------------------------------------------------------------- */

static void cand_add(Prompt *p, const char *s)
{
    Cands *c = &p->cands;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->items = xrealloc(c->items, sizeof *c->items * (size_t)c->cap);
    }
    c->items[c->n++] = s;
}

static char *cand_generator(const char *text, int state)
{
    if (!active_prompt) return NULL;
    Cands *cs = &active_prompt->cands;
    if (state == 0) cs->idx = 0;
    size_t n = strlen(text);
    while (cs->idx < cs->n) {
        const char *c = cs->items[cs->idx++];
        if (!strncmp(c, text, n)) return xstrdup(c);
    }
    return NULL;
}

static const char *const screen_names[] = {"graph", "export", "jobs", "compare", "matrix"};
static const char *const bool_values[] = {"True", "False"};
static void collect_themes(Prompt *p)
{
    int n = 0;
    DIR *d = opendir(paths_themes_dir());
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && n < 16) {
            size_t l = strlen(e->d_name);
            if (l > 6 && !strcmp(e->d_name + l - 6, ".theme")) {
                snprintf(p->theme_names[n], sizeof p->theme_names[n], "%.*s", (int)(l - 6), e->d_name);
                cand_add(p, p->theme_names[n]);
                n++;
            }
        }
        closedir(d);
    }
    if (n == 0) cand_add(p, "dark");
}

/* Fill cands for completing `text` (the word at start..end) in line. */
static int fill_candidates(Prompt *p, const char *line, int start, const char *text, bool *use_files, bool *no_space)
{
    p->cands.n = 0;
    *use_files = false;
    *no_space = false;
    /* first word: command names */
    int ws = 0;
    while (line[ws] == ' ') ws++;
    if (start <= ws) {
        for (int c = 1; c < CMD_COUNT; c++) cand_add(p, command_info((Command)c)->name);
        return p->cands.n;
    }
    char cmdname[64];
    int k = 0;
    while (line[ws + k] && line[ws + k] != ' ' && k < 63) {
        cmdname[k] = line[ws + k];
        k++;
    }
    cmdname[k] = 0;
    Command cmd = command_find(cmdname);
    const CommandInfo *ci = command_info(cmd);
    if (!ci) return 0;
    switch (ci->arg) {
    case CARG_SCREEN:
        for (size_t i = 0; i < 5; i++) cand_add(p, screen_names[i]);
        break;
    case CARG_THEME: collect_themes(p); break;
    case CARG_PATH: *use_files = true; break;
    case CARG_EXPORT_ARGS: {
        const char *eq = strchr(text, '=');
        if (!eq) {
            for (int i = 0; i < EXPORT_KEY_COUNT; i++) {
                snprintf(p->keyeq[i], sizeof p->keyeq[i], "%s=", export_arg_info[i].name);
                cand_add(p, p->keyeq[i]);
            }
            *no_space = true;
        } else {
            char key[48];
            snprintf(key, sizeof key, "%.*s", (int)(eq - text), text);
            int ki = export_arg_find(key);
            int nv = 0;
            if (ki == EXPORT_KEY_FORMAT) {
                for (int i = 0; i < registry_count() && nv < 40; i++) {
                    const FormatInfo *fi = registry_get(i);
                    if (!fi || !strcmp(fi->argument, "-")) continue;
                    snprintf(p->vals[nv], sizeof p->vals[nv], "%s=%s", key, fi->argument);
                    cand_add(p, p->vals[nv++]);
                }
            } else if (ki >= 0 && export_arg_info[ki].type == ARG_BOOL) {
                for (int i = 0; i < 2; i++) {
                    snprintf(p->vals[nv], sizeof p->vals[nv], "%s=%s", key, bool_values[i]);
                    cand_add(p, p->vals[nv++]);
                }
            } else if (ki == EXPORT_KEY_MODEL || ki == EXPORT_KEY_DATA) {
                *use_files = true; /* readline completes the path after '=' */
            }
        }
        break;
    }
    default: break;
    }
    return p->cands.n;
}

/* File names after "key=" (model=, data=): readline's filename generator on the part
 * after '=', with the key put back in front. */
static char *keyed_file_generator(const char *text, int state)
{
    const char *eq = strchr(text, '=');
    char *f = rl_filename_completion_function(eq ? eq + 1 : text, state);
    if (!f || !active_prompt) {
        free(f);
        return NULL;
    }
    char *r = xasprintf("%s%s", active_prompt->keyed_prefix, f);
    free(f);
    return r;
}

static char **prompt_completion(const char *text, int start, int end)
{
    (void)end;
    Prompt *p = active_prompt;
    rl_attempted_completion_over = 1;
    if (!p || p->kind != PROMPT_COMMAND) return NULL;
    bool files, no_space;
    fill_candidates(p, rl_line_buffer, start, text, &files, &no_space);
    if (files) {
        const char *eq = strchr(text, '=');
        if (eq) {
            snprintf(p->keyed_prefix, sizeof p->keyed_prefix, "%.*s", (int)(eq - text + 1), text);
            return rl_completion_matches(text, keyed_file_generator);
        }
        rl_attempted_completion_over = 0; /* readline's own filename completion */
        return NULL;
    }
    rl_completion_append_character = no_space ? '\0' : ' ';
    return rl_completion_matches(text, cand_generator);
}

static void prompt_display_matches(char **matches, int n, int maxlen)
{
    (void)maxlen;
    Prompt *p = active_prompt;
    if (!p) return;
    size_t o = 0;
    p->matches[0] = 0;
    for (int i = 1; i <= n && o < sizeof p->matches - 4; i++)
        o += (size_t)snprintf(p->matches + o, sizeof p->matches - o, "%s%s", i > 1 ? "  " : "", matches[i]);
    p->app->dirty = true;
}

const char *prompt_matches(const Prompt *p) { return p && p->active ? p->matches : ""; }

int prompt_complete_line(Prompt *p, const char *line, char **out, int max)
{
    Prompt *save = active_prompt;
    active_prompt = p;
    PromptKind kind = p->kind;
    p->kind = PROMPT_COMMAND;
    size_t len = strlen(line);
    size_t start = len;
    while (start > 0 && line[start - 1] != ' ') start--;
    bool files, no_space;
    fill_candidates(p, line, (int)start, line + start, &files, &no_space);
    int n = 0;
    const char *text = line + start;
    for (int i = 0; i < p->cands.n && n < max; i++)
        if (!strncmp(p->cands.items[i], text, strlen(text))) out[n++] = xstrdup(p->cands.items[i]);
    p->kind = kind;
    active_prompt = save;
    return n;
}

/* ---- lifecycle -------------------------------------------------------------------- */

Prompt *prompt_new(App *app)
{
    Prompt *p = xcalloc(1, sizeof *p);
    p->app = app;
    static bool rl_ready;
    if (!rl_ready) {
        rl_readline_name = "yoloport";
        rl_change_environment = 0;
        rl_catch_signals = 0;
        rl_catch_sigwinch = 0;
        rl_getc_function = prompt_getc;
        rl_redisplay_function = prompt_redisplay;
        rl_prep_term_function = prep_noop;
        rl_deprep_term_function = deprep_noop;
        rl_instream = fopen("/dev/null", "r");
        rl_outstream = fopen("/dev/null", "w");
        rl_attempted_completion_function = prompt_completion;
        rl_completion_display_matches_hook = prompt_display_matches;
        rl_inhibit_completion = 0;
        /* words are split at blanks only: "format=on" is one word to complete */
        rl_completer_word_break_characters = (char *)" \t";
        using_history();
        rl_ready = true;
    }
    return p;
}

void prompt_free(Prompt *p)
{
    if (!p) return;
    if (p->active) rl_callback_handler_remove();
    if (active_prompt == p) active_prompt = NULL;
    free(p->cands.items);
    free(p);
}

bool prompt_active(const Prompt *p) { return p && p->active; }
PromptKind prompt_kind(const Prompt *p) { return p->kind; }

void prompt_begin(Prompt *p, PromptKind kind, const char *initial)
{
    active_prompt = p;
    p->active = true;
    p->kind = kind;
    p->done = false;
    p->accepted = NULL;
    p->qlen = p->qhead = 0;
    p->matches[0] = 0;
    rl_callback_handler_install(kind == PROMPT_COMMAND ? ":" : "/", on_line);
    if (initial && *initial) {
        rl_insert_text(initial);
        rl_point = rl_end;
    }
    p->app->dirty = true;
    curs_set(1);
}

static void feed(Prompt *p, const char *bytes, size_t n)
{
    for (size_t i = 0; i < n && !p->done; i++) {
        if (p->qlen >= QUEUE_MAX) break;
        p->queue[(p->qhead + p->qlen) % QUEUE_MAX] = (unsigned char)bytes[i];
        p->qlen++;
        while (p->qlen > 0 && !p->done) rl_callback_read_char();
    }
}

static int finish(Prompt *p)
{
    App *app = p->app;
    char *line = p->accepted;
    PromptKind kind = p->kind;
    p->active = false;
    p->accepted = NULL;
    active_prompt = NULL;
    curs_set(0);
    int r = R_HANDLED | R_REDRAW;
    if (!line) return r;
    char *s = line;
    while (*s == ' ') s++;
    if (kind == PROMPT_COMMAND) {
        if (*s) {
            add_history(s);
            char name[64];
            int k = 0;
            while (s[k] && s[k] != ' ' && k < 63) {
                name[k] = s[k];
                k++;
            }
            name[k] = 0;
            const char *arg = s + k;
            while (*arg == ' ') arg++;
            Command c = command_find(name);
            if (c == CMD_NONE) app_status(app, MSG_ERROR, "unknown command: %s (Tab completes, ? lists them)", name);
            else r |= app_run_command(app, c, arg);
        }
    } else {
        Pane *pane = &app->panes[app->screen];
        if (pane->ops->search) r |= pane->ops->search(pane, app, s, 0);
        else app_status(app, MSG_WARN, "no search on this screen");
    }
    free(line);
    return r;
}

int prompt_key(Prompt *p, wint_t ch, bool is_key)
{
    if (!p->active) return 0;
    if (is_key || ch != '\t') p->matches[0] = 0; /* the list shows until the next key */
    if (is_key) {
        switch (ch) {
        case KEY_LEFT: feed(p, "\x02", 1); break;
        case KEY_RIGHT: feed(p, "\x06", 1); break;
        case KEY_UP: feed(p, "\x10", 1); break;
        case KEY_DOWN: feed(p, "\x0e", 1); break;
        case KEY_HOME: feed(p, "\x01", 1); break;
        case KEY_END: feed(p, "\x05", 1); break;
        case KEY_BACKSPACE:
            if (rl_end == 0) { /* backspace on an empty line leaves, as in vim */
                rl_callback_handler_remove();
                p->done = true;
                p->accepted = NULL;
                break;
            }
            feed(p, "\x7f", 1);
            break;
        case KEY_DC: rl_delete(1, 0); break;
        case KEY_ENTER: feed(p, "\r", 1); break;
        default: break;
        }
    } else if (ch == 27 || ch == 7 || ch == 3) { /* Esc, C-g, C-c: cancel */
        rl_callback_handler_remove();
        p->done = true;
        p->accepted = NULL;
    } else if (ch == 4 && rl_end == 0) { /* C-d on an empty line would be EOF */
        rl_callback_handler_remove();
        p->done = true;
        p->accepted = NULL;
    } else if (ch == 127 || ch == 8) {
        if (rl_end == 0) {
            rl_callback_handler_remove();
            p->done = true;
            p->accepted = NULL;
        } else {
            feed(p, "\x7f", 1);
        }
    } else if (ch == '\n' || ch == '\r') {
        feed(p, "\r", 1);
    } else {
        char mb[MB_LEN_MAX + 1];
        mbstate_t st;
        memset(&st, 0, sizeof st);
        size_t n = wcrtomb(mb, (wchar_t)ch, &st);
        if (n != (size_t)-1) feed(p, mb, n);
    }
    p->app->dirty = true;
    if (p->done) return finish(p);
    return R_HANDLED | R_REDRAW;
}

void prompt_draw(Prompt *p, WINDOW *win, int y, int w)
{
    const Theme *th = &p->app->theme;
    attr_t a = theme_attr(th, SLOT_CMDLINE);
    const char *lead = p->kind == PROMPT_COMMAND ? ":" : "/";
    const char *buf = rl_line_buffer ? rl_line_buffer : "";
    /* column of the caret */
    char before[4096];
    int pt = rl_point < 0 ? 0 : rl_point;
    snprintf(before, sizeof before, "%.*s", pt, buf);
    int caret = textwidth_str(before);
    int avail = w - 1;
    int skip = caret >= avail ? caret - avail + 1 : 0;
    text_fill(win, y, 0, w, a);
    text_draw(win, y, 0, lead, 1, a | A_BOLD);
    text_draw_from(win, y, 1, buf, skip, avail, a);
    wmove(win, y, 1 + caret - skip);
}
