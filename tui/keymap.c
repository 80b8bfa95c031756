/* keymap: key names, default bindings from the command table, config overrides. */
#include "tui/keymap.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/core/util.h"

static const struct {
    const char *name;
    int key;
} named_keys[] = {
    {"Space", ' '},
    {"Enter", '\n'},
    {"Tab", '\t'},
    {"Esc", 27},
    {"BTab", KEYMAP_FN + KEY_BTAB},
    {"Backspace", KEYMAP_FN + KEY_BACKSPACE},
    {"Del", KEYMAP_FN + KEY_DC},
    {"Up", KEYMAP_FN + KEY_UP},
    {"Down", KEYMAP_FN + KEY_DOWN},
    {"Left", KEYMAP_FN + KEY_LEFT},
    {"Right", KEYMAP_FN + KEY_RIGHT},
    {"PgUp", KEYMAP_FN + KEY_PPAGE},
    {"PgDn", KEYMAP_FN + KEY_NPAGE},
    {"Home", KEYMAP_FN + KEY_HOME},
    {"End", KEYMAP_FN + KEY_END},
};

int keymap_parse_key(const char *name)
{
    if (!name || !*name) return -1;
    for (size_t i = 0; i < sizeof named_keys / sizeof named_keys[0]; i++)
        if (!strcasecmp(name, named_keys[i].name)) return named_keys[i].key;
    if ((name[0] == 'F' || name[0] == 'f') && name[1] >= '1' && name[1] <= '9') {
        int n = atoi(name + 1);
        if (n >= 1 && n <= 12) return KEYMAP_FN + KEY_F(n);
    }
    if ((name[0] == 'C' || name[0] == 'c') && name[1] == '-' && name[2] && !name[3]) {
        char c = name[2];
        if (c >= 'a' && c <= 'z') return c - 'a' + 1;
        if (c >= 'A' && c <= 'Z') return c - 'A' + 1;
        return -1;
    }
    /* one character (UTF-8 allowed) */
    wchar_t wc;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t k = mbrtowc(&wc, name, strlen(name), &st);
    if (k == strlen(name) && k > 0) return (int)wc;
    return -1;
}

const char *keymap_key_name(int key, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof named_keys / sizeof named_keys[0]; i++)
        if (named_keys[i].key == key) {
            snprintf(buf, len, "%s", named_keys[i].name);
            return buf;
        }
    if (key >= KEYMAP_FN + KEY_F(1) && key <= KEYMAP_FN + KEY_F(12)) {
        snprintf(buf, len, "F%d", key - KEYMAP_FN - KEY_F(0));
        return buf;
    }
    if (key >= 1 && key <= 26) {
        snprintf(buf, len, "C-%c", 'a' + key - 1);
        return buf;
    }
    if (key > 0 && key < KEYMAP_FN) {
        wchar_t w[2] = {(wchar_t)key, 0};
        char mb[16];
        size_t n = wcstombs(mb, w, sizeof mb);
        snprintf(buf, len, "%s", n == (size_t)-1 ? "?" : mb);
        return buf;
    }
    snprintf(buf, len, "key%d", key);
    return buf;
}

void keymap_bind(KeyTable *km, Scope scope, int key, Command cmd)
{
    for (int i = 0; i < km->n; i++)
        if (km->b[i].key == key && km->b[i].scope == scope) {
            km->b[i].cmd = cmd;
            return;
        }
    if (km->n == km->cap) {
        km->cap = km->cap ? km->cap * 2 : 128;
        km->b = xrealloc(km->b, (size_t)km->cap * sizeof *km->b);
    }
    km->b[km->n++] = (KeyBinding){key, scope, cmd};
}

void keymap_unbind(KeyTable *km, Scope scope, int key)
{
    for (int i = 0; i < km->n; i++)
        if (km->b[i].key == key && km->b[i].scope == scope) {
            km->b[i] = km->b[--km->n];
            return;
        }
}

void keymap_init_defaults(KeyTable *km)
{
    memset(km, 0, sizeof *km);
    for (int c = 1; c < CMD_COUNT; c++) {
        const CommandInfo *ci = command_info((Command)c);
        char keys[128];
        snprintf(keys, sizeof keys, "%s", ci->keys);
        char *save = NULL;
        for (char *t = strtok_r(keys, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
            int k = keymap_parse_key(t);
            if (k >= 0) keymap_bind(km, ci->scope, k, (Command)c);
        }
    }
    /* keys curses may report in two ways */
    keymap_bind(km, SCOPE_GLOBAL, KEYMAP_FN + KEY_ENTER, CMD_ENTER);
    keymap_bind(km, SCOPE_GLOBAL, '\r', CMD_ENTER);
}

void keymap_free(KeyTable *km)
{
    free(km->b);
    memset(km, 0, sizeof *km);
}

Command keymap_lookup(const KeyTable *km, Scope scope, int key)
{
    Command global = CMD_NONE;
    for (int i = 0; i < km->n; i++) {
        if (km->b[i].key != key) continue;
        if (km->b[i].scope == scope && scope != SCOPE_GLOBAL) return km->b[i].cmd;
        if (km->b[i].scope == SCOPE_GLOBAL) global = km->b[i].cmd;
    }
    return global;
}

const char *keymap_keys_for(const KeyTable *km, Command cmd, Scope scope, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < km->n; i++) {
        if (km->b[i].cmd != cmd) continue;
        if (km->b[i].scope != SCOPE_GLOBAL && km->b[i].scope != scope) continue;
        /* a global key shadowed by this scope's binding does not run cmd here */
        if (km->b[i].scope == SCOPE_GLOBAL && scope != SCOPE_GLOBAL && keymap_lookup(km, scope, km->b[i].key) != cmd) continue;
        if (km->b[i].key == '\r' || km->b[i].key == KEYMAP_FN + KEY_ENTER) continue;
        char name[32];
        keymap_key_name(km->b[i].key, name, sizeof name);
        int n = snprintf(buf + o, len - o, "%s%s", o ? " " : "", name);
        if (n < 0 || (size_t)n >= len - o) break;
        o += (size_t)n;
    }
    return buf;
}

int keymap_config_line(KeyTable *km, const char *line, char *err, size_t errlen)
{
    char buf[256], *tok[5];
    snprintf(buf, sizeof buf, "%s", line);
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, " \t", &save); t && n < 5; t = strtok_r(NULL, " \t", &save)) tok[n++] = t;
    bool bind = n >= 1 && !strcmp(tok[0], "bind");
    if (n < 3 || (bind && n != 4) || (!bind && n != 3)) {
        snprintf(err, errlen, "expected 'bind SCOPE KEY COMMAND' or 'unbind SCOPE KEY'");
        return -1;
    }
    int scope = scope_find(tok[1]);
    if (scope < 0) {
        snprintf(err, errlen, "unknown scope '%s' (global or *, graph, export, jobs, compare, matrix, predict)", tok[1]);
        return -1;
    }
    int key = keymap_parse_key(tok[2]);
    if (key < 0) {
        snprintf(err, errlen, "unknown key '%s'", tok[2]);
        return -1;
    }
    if (!bind) {
        keymap_unbind(km, (Scope)scope, key);
        return 0;
    }
    Command c = command_find(tok[3]);
    if (c == CMD_NONE) {
        snprintf(err, errlen, "unknown command '%s'", tok[3]);
        return -1;
    }
    keymap_bind(km, (Scope)scope, key, c);
    return 0;
}

void keymap_print_defaults(FILE *out)
{
    fputs("# yoloport default key bindings (generated from tui/commands.h: yoloport --dump-keymap).\n"
          "# The workbench reads this file, then your config ($XDG_CONFIG_HOME/yoloport/config),\n"
          "# where the same lines rebind keys:  bind SCOPE KEY COMMAND  /  unbind SCOPE KEY\n"
          "# SCOPE is * (everywhere) or a screen: graph export jobs compare matrix.\n", out);
    for (int c = 1; c < CMD_COUNT; c++) {
        const CommandInfo *ci = command_info((Command)c);
        char keys[128];
        snprintf(keys, sizeof keys, "%s", ci->keys);
        char *save = NULL;
        for (char *t = strtok_r(keys, " ", &save); t; t = strtok_r(NULL, " ", &save))
            fprintf(out, "bind %-7s %-9s %s\n", ci->scope == SCOPE_GLOBAL ? "*" : scope_name(ci->scope), t, ci->name);
    }
}

int keymap_load_text(KeyTable *km, const char *text, char *err, size_t errlen)
{
    int rc = 0, lineno = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        p += len + (nl ? 1 : 0);
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '#') continue;
        char msg[200];
        if (keymap_config_line(km, s, msg, sizeof msg) != 0 && rc == 0) {
            snprintf(err, errlen, "line %d: %s", lineno, msg);
            rc = -1;
        }
    }
    return rc;
}
