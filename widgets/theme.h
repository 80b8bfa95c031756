/* theme: semantic colour slots (what a cell *means*: TREE_SELECTED, LOG_WARNING) mapped to
 * curses attributes by a theme file.  Panes and widgets only ever name slots.
 *
 * Theme files (themes/NAME.theme) are lines `slot  fg  bg  [attr ...]`, `#` comments.
 * A colour is a name (default black red green yellow blue magenta cyan white, bright-NAME),
 * a number 0-255, or `N/NAME`: the 256-colour value N with a hand-picked 16-colour fallback.
 * attrs: bold dim underline reverse italic standout normal.
 * In mono mode (NO_COLOR, --no-color, TERM=dumb, no colour support) colours are ignored and
 * every slot takes the built-in attribute-only style, so selection stays visible.
 */
#ifndef YOLOPORT_WIDGETS_THEME_H
#define YOLOPORT_WIDGETS_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <curses.h>

/* slot id, config name, attribute-only style used in mono mode */
#define THEME_SLOTS(X)                                        \
    X(SLOT_NORMAL, "normal", A_NORMAL)                        \
    X(SLOT_DIM, "dim", A_DIM)                                 \
    X(SLOT_BORDER, "border", A_NORMAL)                        \
    X(SLOT_TITLE, "title", A_BOLD)                            \
    X(SLOT_TITLE_FOCUS, "title_focus", A_BOLD | A_UNDERLINE)  \
    X(SLOT_HEADER, "header", A_BOLD | A_UNDERLINE)            \
    X(SLOT_TAB, "tab", A_NORMAL)                              \
    X(SLOT_TAB_ACTIVE, "tab_active", A_REVERSE | A_BOLD)      \
    X(SLOT_TABS_BG, "tabs_bg", A_NORMAL)                      \
    X(SLOT_STATUS, "status", A_REVERSE)                       \
    X(SLOT_STATUS_OK, "status_ok", A_REVERSE | A_BOLD)        \
    X(SLOT_STATUS_WARN, "status_warn", A_REVERSE | A_BOLD)    \
    X(SLOT_STATUS_ERROR, "status_error", A_REVERSE | A_BOLD)  \
    X(SLOT_FUNC_KEY, "func_key", A_BOLD)                      \
    X(SLOT_FUNC_LABEL, "func_label", A_REVERSE)               \
    X(SLOT_SELECTED, "selected", A_REVERSE)                   \
    X(SLOT_SELECTED_INACTIVE, "selected_inactive", A_UNDERLINE) \
    X(SLOT_TREE_GUIDE, "tree_guide", A_DIM)                   \
    X(SLOT_TREE_NAME, "tree_name", A_NORMAL)                  \
    X(SLOT_TREE_TYPE, "tree_type", A_BOLD)                    \
    X(SLOT_TREE_NODE, "tree_node", A_NORMAL)                  \
    X(SLOT_SHAPE, "shape", A_NORMAL)                          \
    X(SLOT_NUMBER, "number", A_NORMAL)                        \
    X(SLOT_LABEL, "label", A_BOLD)                            \
    X(SLOT_LINK, "link", A_UNDERLINE)                         \
    X(SLOT_MATCH, "match", A_STANDOUT | A_UNDERLINE)          \
    X(SLOT_FIELD, "field", A_UNDERLINE)                       \
    X(SLOT_FIELD_EDIT, "field_edit", A_REVERSE)               \
    X(SLOT_FIELD_DISABLED, "field_disabled", A_DIM)           \
    X(SLOT_WARNING, "warning", A_BOLD)                        \
    X(SLOT_ERROR, "error", A_BOLD | A_UNDERLINE)              \
    X(SLOT_OK, "ok", A_BOLD)                                  \
    X(SLOT_LOG_DEBUG, "log_debug", A_DIM)                     \
    X(SLOT_LOG_INFO, "log_info", A_NORMAL)                    \
    X(SLOT_LOG_WARNING, "log_warning", A_BOLD)                \
    X(SLOT_LOG_ERROR, "log_error", A_BOLD | A_UNDERLINE)      \
    X(SLOT_PROGRESS_DONE, "progress_done", A_REVERSE)         \
    X(SLOT_PROGRESS_TODO, "progress_todo", A_DIM)             \
    X(SLOT_BAR, "bar", A_REVERSE)                             \
    X(SLOT_DIALOG, "dialog", A_NORMAL)                        \
    X(SLOT_DIALOG_TITLE, "dialog_title", A_BOLD | A_REVERSE)  \
    X(SLOT_CMDLINE, "cmdline", A_NORMAL)

typedef enum {
#define X(id, name, mono) id,
    THEME_SLOTS(X)
#undef X
        SLOT_COUNT
} ThemeSlot;

typedef enum { COLOR_MODE_MONO, COLOR_MODE_16, COLOR_MODE_256 } ColorMode;

/* Glyphs that depend on the locale: UTF-8 box drawing and symbols, or ASCII. */
typedef struct {
    bool ascii;
    const char *ellipsis;   /* "…" or "~" */
    const char *expanded;   /* "▾" or "-" */
    const char *collapsed;  /* "▸" or "+" */
    const char *leaf;       /* "·" or " " */
    const char *vline;      /* "│" or "|" */
    const char *hline;      /* "─" or "-" */
    const char *bar_full;   /* "█" or "#" */
    const char *bar_half;   /* "▌" or "=" */
    const char *ok, *check_failed, *failed; /* "✅" "❎" "❌" or "ok" "chk" "ERR" */
    const char *arrow;      /* "→" or "->" */
    const char *sort_up, *sort_down; /* "▲" "▼" or "^" "v" */
    const char *unchecked;  /* "–" or "--": written, but its check did not run */
} Glyphs;

typedef struct {
    char name[64];
    ColorMode mode;
    attr_t attr[SLOT_COUNT]; /* complete attribute (with COLOR_PAIR) per slot */
    Glyphs g;
} Theme;

/* Slot name <-> id; -1 when unknown. */
int theme_slot_from_name(const char *name);
const char *theme_slot_name(ThemeSlot s);

/* Decide the colour mode from the environment and the terminal: mono when no_color is
 * set, NO_COLOR is set and non-empty, TERM is dumb or unset, or the terminal has no
 * colours; 256 when it has 256 or more; else 16.  Call after initscr(). */
ColorMode theme_detect_mode(bool no_color);

/* Fill th->g for UTF-8 or ASCII. */
void theme_glyphs(Theme *th, bool ascii);

/* Is `name` a theme that loads: the built-in dark, or a file NAME.theme in dir (or a path
 * ending in .theme) whose every line parses?  0, or -1 + a message ("theme nope: no such
 * theme (dark, high-contrast, light, mono)", or the file and the line).  Needs no terminal. */
int theme_check(const char *dir, const char *name, char *err, size_t errlen);

/* Load theme `name` (a file NAME.theme in dir, or a path ending in .theme) in the given
 * mode: sets up colour pairs (call after start_color() when mode != MONO).  Falls back to
 * built-in defaults for slots the file does not name.  In MONO mode only the attributes
 * apply (the file is still checked).  Returns 0, or -1 with a message (theme_check's): then
 * nothing changed, neither th nor the terminal's colour pairs. */
int theme_load(Theme *th, const char *dir, const char *name, ColorMode mode, char *err, size_t errlen);

/* Parse one theme file's text into th (used by theme_load and the tests).  0 or -1 +
 * message naming the line. */
int theme_parse(Theme *th, const char *text, ColorMode mode, char *err, size_t errlen);

static inline attr_t theme_attr(const Theme *th, ThemeSlot s) { return th->attr[s]; }

#endif
