/* keymap: keys -> commands, per scope.  Built from the command table's default keys, then
 * changed by `bind SCOPE KEY COMMAND` / `unbind SCOPE KEY` lines from the config file.
 *
 * A key is an int: a character's code point, or KEYMAP_FN + a curses KEY_* code.  Names:
 * single characters ("q", "?", "<"), "Space", "Enter", "Tab", "BTab", "Esc", "Backspace",
 * "Del", "Up", "Down", "Left", "Right", "PgUp", "PgDn", "Home", "End", "F1".."F12", "C-x"
 * (Ctrl + letter). */
#ifndef YOLOPORT_TUI_KEYMAP_H
#define YOLOPORT_TUI_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <wchar.h>

#include "tui/commands.h"

#define KEYMAP_FN 0x200000

typedef struct {
    int key;
    Scope scope;
    Command cmd;
} KeyBinding;

typedef struct {
    KeyBinding *b;
    int n, cap;
} KeyTable;

/* The key code for a wget_wch() result. */
static inline int keymap_code(wint_t ch, bool is_key) { return is_key ? KEYMAP_FN + (int)ch : (int)ch; }

int keymap_parse_key(const char *name);              /* -1 when not a key name */
const char *keymap_key_name(int key, char *buf, size_t len);

void keymap_init_defaults(KeyTable *km);
void keymap_free(KeyTable *km);
void keymap_bind(KeyTable *km, Scope scope, int key, Command cmd); /* replaces an existing binding */
void keymap_unbind(KeyTable *km, Scope scope, int key);
/* The command for key in scope (the scope's own binding first, then global). */
Command keymap_lookup(const KeyTable *km, Scope scope, int key);
/* Keys bound to cmd (in any scope applicable to `scope`) as "k Up", into buf. */
const char *keymap_keys_for(const KeyTable *km, Command cmd, Scope scope, char *buf, size_t len);
/* Apply one config line "bind SCOPE KEY COMMAND" or "unbind SCOPE KEY".  0 or -1 + message. */
int keymap_config_line(KeyTable *km, const char *line, char *err, size_t errlen);

/* The default bindings as config lines ("bind graph * expand-all"), as shipped in
 * share/keymap. */
void keymap_print_defaults(FILE *out);
/* Apply a keymap file's text (bind/unbind lines, # comments).  0 or -1 + first problem. */
int keymap_load_text(KeyTable *km, const char *text, char *err, size_t errlen);

#endif
