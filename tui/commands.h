/* commands: every workbench command, declared once.  The one list feeds the keymap
 * (default keys), the `?` help overlay, the `:` command line (names, completion) and the
 * man page (tui_print_commands_man).
 *
 * X(id, name, scope, default keys, argument kind, help)
 *   scope: where the default keys apply (a screen, or SCOPE_GLOBAL everywhere); a screen's
 *          binding wins over a global one for the same key.
 *   keys:  space-separated key names (see keymap.h): "q F10", "C-l", "Enter", "?".
 *   argument kind: what `:name ...` takes, for completion.
 */
#ifndef YOLOPORT_TUI_COMMANDS_H
#define YOLOPORT_TUI_COMMANDS_H

#include <stdio.h>

#include "widgets/list.h"

typedef enum { SCOPE_GLOBAL, SCOPE_GRAPH, SCOPE_EXPORT, SCOPE_JOBS, SCOPE_COMPARE, SCOPE_MATRIX, SCOPE_PREDICT, SCOPE_COUNT } Scope;

typedef enum { CARG_NONE, CARG_EXPORT_ARGS, CARG_PATH, CARG_THEME, CARG_SCREEN } CommandArg;

#define COMMANDS(X)                                                                                              \
    /* moving around */                                                                                          \
    X(CMD_UP, "up", SCOPE_GLOBAL, "k Up", CARG_NONE, "move up")                                                  \
    X(CMD_DOWN, "down", SCOPE_GLOBAL, "j Down", CARG_NONE, "move down")                                          \
    X(CMD_LEFT, "left", SCOPE_GLOBAL, "h Left", CARG_NONE, "collapse / go to parent / previous column")          \
    X(CMD_RIGHT, "right", SCOPE_GLOBAL, "l Right", CARG_NONE, "expand / go to first child / next column")        \
    X(CMD_PAGE_UP, "page-up", SCOPE_GLOBAL, "PgUp C-b", CARG_NONE, "one page up")                                \
    X(CMD_PAGE_DOWN, "page-down", SCOPE_GLOBAL, "PgDn C-f", CARG_NONE, "one page down")                          \
    X(CMD_HALF_UP, "half-page-up", SCOPE_GLOBAL, "C-u", CARG_NONE, "half a page up")                             \
    X(CMD_HALF_DOWN, "half-page-down", SCOPE_GLOBAL, "C-d", CARG_NONE, "half a page down")                       \
    X(CMD_TOP, "top", SCOPE_GLOBAL, "g Home", CARG_NONE, "go to the first row")                                  \
    X(CMD_BOTTOM, "bottom", SCOPE_GLOBAL, "G End", CARG_NONE, "go to the last row (logs: follow)")               \
    X(CMD_NEXT_PANE, "next-pane", SCOPE_GLOBAL, "Tab", CARG_NONE, "focus the next pane")                         \
    X(CMD_PREV_PANE, "prev-pane", SCOPE_GLOBAL, "BTab", CARG_NONE, "focus the previous pane")                    \
    X(CMD_ENTER, "enter", SCOPE_GLOBAL, "Enter", CARG_NONE, "open / follow a link / edit the selected item")     \
    X(CMD_TOGGLE, "toggle", SCOPE_GLOBAL, "Space", CARG_NONE, "expand or collapse / toggle / mark for a run")    \
    X(CMD_SEARCH, "search", SCOPE_GLOBAL, "/ F7", CARG_NONE, "search (Graph: op:Conv out:256 shape:1x256x20x20 params>100k k:3 s:2; Matrix: filter)") \
    X(CMD_SEARCH_NEXT, "search-next", SCOPE_GLOBAL, "n", CARG_NONE, "next search match")                         \
    X(CMD_SEARCH_PREV, "search-prev", SCOPE_GLOBAL, "N", CARG_NONE, "previous search match")                     \
    /* screens */                                                                                                \
    X(CMD_SHOW_GRAPH, "show-graph", SCOPE_GLOBAL, "1 F2", CARG_NONE, "Graph screen: module tree and node details") \
    X(CMD_SHOW_EXPORT, "show-export", SCOPE_GLOBAL, "2 F3", CARG_NONE, "Export screen: formats and arguments")    \
    X(CMD_SHOW_JOBS, "show-jobs", SCOPE_GLOBAL, "3 F4", CARG_NONE, "Jobs screen: queue, live log, artifacts")    \
    X(CMD_SHOW_COMPARE, "show-compare", SCOPE_GLOBAL, "4 F5", CARG_NONE, "Compare screen: every export of the session") \
    X(CMD_SHOW_MATRIX, "show-matrix", SCOPE_GLOBAL, "5 F6", CARG_NONE, "Matrix screen: deployment options")      \
    X(CMD_SHOW_PREDICT, "show-predict", SCOPE_GLOBAL, "6", CARG_NONE, "Predict screen: an image, its boxes and detections") \
    X(CMD_SCREEN, "screen", SCOPE_GLOBAL, "", CARG_SCREEN, "switch screen: :screen graph|export|jobs|compare|matrix|predict") \
    /* the app */                                                                                                \
    X(CMD_HELP, "help", SCOPE_GLOBAL, "? F1", CARG_NONE, "keys and commands (type to filter, Enter runs one)")    \
    X(CMD_PROMPT, "prompt", SCOPE_GLOBAL, ":", CARG_NONE, "command line (Tab completes)")                        \
    X(CMD_BACK, "back", SCOPE_GLOBAL, "Esc", CARG_NONE, "leave a mode, clear the search, or go back a screen")    \
    X(CMD_QUIT, "quit", SCOPE_GLOBAL, "q F10", CARG_NONE, "quit (asks first while jobs run)")                    \
    X(CMD_REDRAW, "redraw", SCOPE_GLOBAL, "C-l", CARG_NONE, "redraw the whole screen")                           \
    X(CMD_OPEN, "open", SCOPE_GLOBAL, "o", CARG_PATH, "open a model: :open PATH (.pt, .onnx, .yaml)")            \
    X(CMD_THEME, "theme", SCOPE_GLOBAL, "", CARG_THEME, "switch theme: :theme dark|light|high-contrast|mono")    \
    /* exporting */                                                                                              \
    X(CMD_EXPORT, "export", SCOPE_GLOBAL, "", CARG_EXPORT_ARGS, "queue an export: :export format=onnx half")      \
    X(CMD_SET, "set", SCOPE_GLOBAL, "", CARG_EXPORT_ARGS, "set export arguments in the form: :set imgsz=320 half")\
    X(CMD_RUN, "run", SCOPE_GLOBAL, "r F8", CARG_NONE, "export the marked formats (or the selected one)")        \
    X(CMD_RESET_ARGS, "reset-args", SCOPE_EXPORT, "R", CARG_NONE, "reset every argument to its default")         \
    X(CMD_STRESS_LOG, "stress-log", SCOPE_GLOBAL, "", CARG_NONE, "testing: a job logging RATE lines/s for SECONDS (:stress-log 10000 5)") \
    X(CMD_CANCEL, "cancel", SCOPE_JOBS, "x F9", CARG_NONE, "cancel the selected job (asks first)")              \
    X(CMD_FOLLOW, "follow", SCOPE_JOBS, "f", CARG_NONE, "follow the log (stick to the newest line) on/off")      \
    /* measuring */                                                                                              \
    X(CMD_PREDICT, "predict", SCOPE_GLOBAL, "", CARG_PATH, "predict an image with the model: :predict IMAGE [model=PATH]") \
    X(CMD_PREDICT_SELECTED, "predict-selected", SCOPE_COMPARE, "p", CARG_NONE, "predict the last image with the selected artifact") \
    X(CMD_BENCHMARK, "benchmark", SCOPE_COMPARE, "b", CARG_EXPORT_ARGS, "time and validate the marked artifacts (all when none): :benchmark data=coco8.yaml runs=10") \
    X(CMD_DELETE_ARTIFACT, "delete-artifact", SCOPE_COMPARE, "D", CARG_NONE, "delete the selected row's artifact from disk (asks first)") \
    X(CMD_DIFF, "diff", SCOPE_GLOBAL, "", CARG_PATH, "two models side by side, and the nodes that differ: :diff [A] B (A: the open model)") \
    X(CMD_DIFF_SELECTED, "diff-selected", SCOPE_COMPARE, "=", CARG_NONE, "diff the two marked rows, or the selected row's artifact against the model") \
    /* graph */                                                                                                  \
    X(CMD_EXPAND_ALL, "expand-all", SCOPE_GRAPH, "*", CARG_NONE, "expand every module")                          \
    X(CMD_COLLAPSE_ALL, "collapse-all", SCOPE_GRAPH, "_", CARG_NONE, "collapse every module")                    \
    X(CMD_SUMMARY, "summary", SCOPE_GRAPH, "i", CARG_NONE, "show the model summary and metadata")                \
    X(CMD_DETAILS, "details", SCOPE_GRAPH, "d", CARG_NONE, "hide or show the details pane (hidden: the tree takes its rows)") \
    X(CMD_FILTER, "filter", SCOPE_GRAPH, "f", CARG_NONE, "show only the rows the search finds, with their ancestors (again: every row)") \
    /* tables */                                                                                                 \
    X(CMD_SORT, "sort", SCOPE_GLOBAL, "s", CARG_NONE, "sort by the focused column (again: reverse)")            \
    X(CMD_LANGUAGE, "language", SCOPE_MATRIX, "l L", CARG_NONE, "Matrix language: English / 中文")               \
    X(CMD_JUMP_EXPORT, "jump-export", SCOPE_MATRIX, "e", CARG_NONE, "go to Export with this option's format")    \
    X(CMD_COLUMN_LEFT, "column-left", SCOPE_GLOBAL, "<", CARG_NONE, "focus the previous column")                 \
    X(CMD_COLUMN_RIGHT, "column-right", SCOPE_GLOBAL, ">", CARG_NONE, "focus the next column")

typedef enum {
    CMD_NONE = 0,
#define X(id, name, scope, keys, arg, help) id,
    COMMANDS(X)
#undef X
        CMD_COUNT
} Command;

typedef struct {
    Command id;
    const char *name;
    Scope scope;
    const char *keys;
    CommandArg arg;
    const char *help;
} CommandInfo;

const CommandInfo *command_info(Command c); /* NULL for CMD_NONE / out of range */
Command command_find(const char *name);     /* CMD_NONE when unknown; accepts unique prefixes */
const char *scope_name(Scope s);            /* "global", "graph", ... */
int scope_find(const char *name);           /* -1 when unknown; "*" = global */

/* The command list as man-page text (roff): one .TP entry per command with its keys as
 * currently bound by default and its help, grouped by scope.  The lead includes this in
 * yoloport(1) (`yoloport --dump-commands` style). */
void tui_print_commands_man(FILE *out);


/* The list motion a navigation command stands for (up/down/page/half-page/top/bottom):
 * true and *out set, or false for any other command.  Every list-like pane uses it. */
bool command_list_move(Command cmd, ListMove *out);

#endif
