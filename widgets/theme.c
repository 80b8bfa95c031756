/* theme: colour slots -> curses attributes, from theme files (see theme.h). */
#include "widgets/theme.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/core/util.h"

static const char *const slot_names[SLOT_COUNT] = {
#define X(id, name, mono) name,
    THEME_SLOTS(X)
#undef X
};
static const attr_t slot_mono[SLOT_COUNT] = {
#define X(id, name, mono) mono,
    THEME_SLOTS(X)
#undef X
};

/* The built-in theme when no file is found: the same text as themes/dark.theme. */
static const char builtin_dark[] =
    "normal default default\n"
    "dim 245/white default dim\n"
    "border 240/blue default\n"
    "title 75/cyan default bold\n"
    "title_focus 81/bright-cyan default bold underline\n"
    "header 117/cyan default bold\n"
    "tab 250/white 236/black\n"
    "tab_active black 75/cyan bold\n"
    "tabs_bg 250/white 236/black\n"
    "status 252/white 238/blue\n"
    "status_ok black 114/green bold\n"
    "status_warn black 221/yellow bold\n"
    "status_error 231/bright-white 160/red bold\n"
    "func_key 231/bright-white 236/black bold\n"
    "func_label black 75/cyan\n"
    "selected black 75/cyan bold\n"
    "selected_inactive 252/white 239/blue\n"
    "tree_guide 240/blue default\n"
    "tree_name default default\n"
    "tree_type 180/yellow default bold\n"
    "tree_node 250/white default\n"
    "shape 114/green default\n"
    "number 147/magenta default\n"
    "label 75/cyan default bold\n"
    "link 117/cyan default underline\n"
    "match black 221/yellow\n"
    "field default 237/black\n"
    "field_edit black 229/yellow bold\n"
    "field_disabled 242/white default dim\n"
    "warning 221/yellow default bold\n"
    "error 203/red default bold\n"
    "ok 114/green default bold\n"
    "log_debug 243/white default\n"
    "log_info default default\n"
    "log_warning 221/yellow default\n"
    "log_error 203/red default bold\n"
    "progress_done black 75/cyan\n"
    "progress_todo 250/white 237/black\n"
    "bar 75/cyan default\n"
    "dialog default 236/black\n"
    "dialog_title black 75/cyan bold\n"
    "cmdline default default\n";

int theme_slot_from_name(const char *name)
{
    for (int i = 0; i < SLOT_COUNT; i++)
        if (!strcasecmp(name, slot_names[i])) return i;
    return -1;
}

const char *theme_slot_name(ThemeSlot s) { return (s >= 0 && s < SLOT_COUNT) ? slot_names[s] : "?"; }

ColorMode theme_detect_mode(bool no_color)
{
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if (no_color || (nc && *nc) || !term || !*term || !strcmp(term, "dumb")) return COLOR_MODE_MONO;
    if (!has_colors()) return COLOR_MODE_MONO;
    start_color();
    if (COLORS >= 256) return COLOR_MODE_256;
    if (COLORS >= 8) return COLOR_MODE_16;
    return COLOR_MODE_MONO;
}

void theme_glyphs(Theme *th, bool ascii)
{
    Glyphs *g = &th->g;
    g->ascii = ascii;
    if (ascii) {
        *g = (Glyphs){true, "~", "-", "+", " ", "|", "-", "#", "=", "ok", "chk", "ERR", "->", "^", "v", "--"};
    } else {
        *g = (Glyphs){false, "…", "▾", "▸", "·", "│", "─", "█", "▌", "✅", "❎", "❌", "→", "▲", "▼", "–"};
    }
}

static const struct {
    const char *name;
    int value;
} color_names[] = {
    {"black", 0}, {"red", 1}, {"green", 2}, {"yellow", 3}, {"blue", 4}, {"magenta", 5}, {"cyan", 6}, {"white", 7},
};

/* One colour name or number; -1 = terminal default; -2 = invalid. */
static int color_one(const char *s, ColorMode mode)
{
    if (!strcasecmp(s, "default")) return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s && !*end) {
        if (v < 0 || v > 255) return -2;
        if (mode == COLOR_MODE_16 && v >= 16) return -3; /* caller uses the fallback */
        return (int)v;
    }
    bool bright = false;
    if (!strncasecmp(s, "bright-", 7)) {
        bright = true;
        s += 7;
    }
    for (size_t i = 0; i < sizeof color_names / sizeof color_names[0]; i++)
        if (!strcasecmp(s, color_names[i].name)) {
            int c = color_names[i].value;
            if (bright) c = (mode == COLOR_MODE_16 && COLORS < 16) ? c : c + 8;
            return c;
        }
    return -2;
}

/* "N/name" or one colour.  Returns the colour for mode, -1 default, -2 invalid. */
static int color_parse(const char *tok, ColorMode mode)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", tok);
    char *slash = strchr(buf, '/');
    if (slash) {
        *slash = 0;
        int hi = color_one(buf, COLOR_MODE_256), lo = color_one(slash + 1, COLOR_MODE_16);
        if (hi == -2 || lo == -2 || lo == -3) return -2;
        return mode == COLOR_MODE_256 ? hi : lo;
    }
    int c = color_one(buf, mode);
    if (c == -3) return 7; /* a bare 256-colour number on a 16-colour terminal: plain white */
    return c;
}

static attr_t attr_parse(const char *s, bool *ok)
{
    static const struct {
        const char *name;
        attr_t a;
    } attrs[] = {{"bold", A_BOLD},         {"dim", A_DIM},         {"underline", A_UNDERLINE}, {"reverse", A_REVERSE},
                 {"italic", A_ITALIC},     {"standout", A_STANDOUT}, {"normal", A_NORMAL},   {"blink", A_BLINK}};
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++)
        if (!strcasecmp(s, attrs[i].name)) {
            *ok = true;
            return attrs[i].a;
        }
    *ok = false;
    return 0;
}

/* Pair allocation for the current load: (fg, bg) -> pair number, reused across slots. */
typedef struct {
    short fg[256], bg[256];
    int n;
} PairTable;

static int pair_for(PairTable *pt, int fg, int bg)
{
    if (fg == -1 && bg == -1) return 0;
    for (int i = 0; i < pt->n; i++)
        if (pt->fg[i] == fg && pt->bg[i] == bg) return i + 1;
    if (pt->n >= 255 || pt->n + 1 >= COLOR_PAIRS) return -1;
    pt->fg[pt->n] = (short)fg;
    pt->bg[pt->n] = (short)bg;
    pt->n++;
    init_pair((short)pt->n, (short)fg, (short)bg);
    return pt->n;
}

static int parse_into(Theme *th, const char *text, ColorMode mode, PairTable *pt, char *err, size_t errlen)
{
    int lineno = 0, rc = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *next = p + len + (nl ? 1 : 0);
        char line[512];
        if (len >= sizeof line) len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = 0;
        p = next;
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *tok[8];
        int nt = 0;
        for (char *t = strtok(line, " \t\r"); t && nt < 8; t = strtok(NULL, " \t\r")) tok[nt++] = t;
        if (nt == 0) continue;
        int slot = theme_slot_from_name(tok[0]);
        if (slot < 0 || nt < 3) {
            if (rc == 0)
                snprintf(err, errlen, "line %d: %s", lineno,
                         slot < 0 ? "unknown slot name" : "expected: slot fg bg [attributes]");
            rc = -1;
            continue;
        }
        attr_t a = 0;
        bool bad = false;
        for (int i = 3; i < nt; i++) {
            bool ok;
            a |= attr_parse(tok[i], &ok);
            if (!ok) bad = true;
        }
        int fg = color_parse(tok[1], mode == COLOR_MODE_MONO ? COLOR_MODE_16 : mode);
        int bg = color_parse(tok[2], mode == COLOR_MODE_MONO ? COLOR_MODE_16 : mode);
        if (bad || fg == -2 || bg == -2) {
            if (rc == 0)
                snprintf(err, errlen, "line %d: %s", lineno, bad ? "unknown attribute" : "unknown colour");
            rc = -1;
            continue;
        }
        if (mode == COLOR_MODE_MONO) {
            th->attr[slot] = a;
            continue;
        }
        int pair = pt ? pair_for(pt, fg, bg) : 0;
        th->attr[slot] = pair < 0 ? slot_mono[slot] : (a | (attr_t)COLOR_PAIR(pair));
    }
    return rc;
}

int theme_parse(Theme *th, const char *text, ColorMode mode, char *err, size_t errlen)
{
    char dummy[8];
    if (!err) err = dummy, errlen = sizeof dummy;
    return parse_into(th, text, mode, NULL, err, errlen);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 8192, n = 0;
    char *buf = xmalloc(cap);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 >= cap) break; /* theme files are small; the rest is ignored */
    }
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void theme_path(const char *dir, const char *name, char *path, size_t len)
{
    size_t nl = strlen(name);
    if (strchr(name, '/') || (nl > 6 && !strcmp(name + nl - 6, ".theme"))) snprintf(path, len, "%s", name);
    else snprintf(path, len, "%s/%s.theme", dir ? dir : ".", name);
}

/* The theme names in dir, "dark, high-contrast, light, mono", sorted. */
static void theme_names(const char *dir, char *buf, size_t len)
{
    char names[32][64];
    int n = 0;
    DIR *d = opendir(dir ? dir : ".");
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 32) {
        size_t l = strlen(e->d_name);
        if (l > 6 && l - 6 < sizeof names[0] && !strcmp(e->d_name + l - 6, ".theme"))
            snprintf(names[n++], sizeof names[0], "%.*s", (int)(l - 6), e->d_name);
    }
    if (d) closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < n && o < len; i++) o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", names[i]);
}

int theme_check(const char *dir, const char *name, char *err, size_t errlen)
{
    char dummy[8];
    if (!err) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    if (!name || !*name || !strcmp(name, "dark")) return 0; /* built in */
    char path[4096];
    theme_path(dir, name, path, sizeof path);
    char *text = read_text(path);
    if (!text) {
        char names[512];
        theme_names(dir, names, sizeof names);
        snprintf(err, errlen, "theme %s: no such theme (%s)", name, names[0] ? names : "dark");
        return -1;
    }
    Theme scratch;
    memset(&scratch, 0, sizeof scratch);
    char msg[256] = "";
    int rc = parse_into(&scratch, text, COLOR_MODE_MONO, NULL, msg, sizeof msg); /* syntax only: no colour pairs */
    free(text);
    if (rc) snprintf(err, errlen, "theme %s: %s", path, msg);
    return rc;
}

int theme_load(Theme *th, const char *dir, const char *name, ColorMode mode, char *err, size_t errlen)
{
    char dummy[8];
    if (!err) err = dummy, errlen = sizeof dummy;
    err[0] = 0;
    if (theme_check(dir, name, err, errlen) != 0) return -1; /* refused: th and the colour pairs unchanged */
    bool ascii = th->g.ascii;
    memset(th, 0, sizeof *th);
    theme_glyphs(th, ascii);
    th->mode = mode;
    if (!name || !*name) name = "dark";
    snprintf(th->name, sizeof th->name, "%s", name);
    for (int i = 0; i < SLOT_COUNT; i++) th->attr[i] = slot_mono[i];
    if (mode == COLOR_MODE_MONO) return 0; /* attributes only, whatever the theme */
    if (mode != COLOR_MODE_MONO) use_default_colors();
    PairTable pt = {.n = 0};
    /* built-in first, so that a file naming only some slots still gets a full theme */
    parse_into(th, builtin_dark, mode, &pt, err, errlen);
    err[0] = 0;
    char path[4096];
    theme_path(dir, name, path, sizeof path);
    char *text = read_text(path);
    if (!text) {
        if (!strcmp(name, "dark")) return 0; /* built-in */
        snprintf(err, errlen, "theme %s: cannot read %s", name, path);
        return -1;
    }
    char msg[256] = "";
    int rc = parse_into(th, text, mode, &pt, msg, sizeof msg);
    free(text);
    if (rc) snprintf(err, errlen, "theme %s: %s", path, msg);
    return rc;
}
