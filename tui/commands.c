/* commands: the command table and its man-page rendering (see commands.h). */
#include "tui/commands.h"

#include <string.h>

#include "tui/keymap.h"

static const CommandInfo command_table[CMD_COUNT] = {
    [CMD_NONE] = {CMD_NONE, "", SCOPE_GLOBAL, "", CARG_NONE, ""},
#define X(id, name, scope, keys, arg, help) [id] = {id, name, scope, keys, arg, help},
    COMMANDS(X)
#undef X
};

static const char *const scope_names[SCOPE_COUNT] = {"global", "graph", "export", "jobs", "compare", "matrix", "predict"};

const CommandInfo *command_info(Command c) { return (c > CMD_NONE && c < CMD_COUNT) ? &command_table[c] : NULL; }

Command command_find(const char *name)
{
    if (!name || !*name) return CMD_NONE;
    size_t n = strlen(name);
    Command found = CMD_NONE;
    int matches = 0;
    for (int c = 1; c < CMD_COUNT; c++) {
        if (!strcmp(command_table[c].name, name)) return (Command)c;
        if (!strncmp(command_table[c].name, name, n)) {
            found = (Command)c;
            matches++;
        }
    }
    return matches == 1 ? found : CMD_NONE;
}

const char *scope_name(Scope s) { return (s >= 0 && s < SCOPE_COUNT) ? scope_names[s] : "?"; }

int scope_find(const char *name)
{
    if (!strcmp(name, "*")) return SCOPE_GLOBAL;
    for (int i = 0; i < SCOPE_COUNT; i++)
        if (!strcmp(name, scope_names[i])) return i;
    return -1;
}

/* roff-escape: backslashes and leading dots/quotes. */
static void roff(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') fputs("\\e", out);
        else if (*s == '-') fputs("\\-", out);
        else fputc(*s, out);
    }
}

void tui_print_commands_man(FILE *out)
{
    static const char *const titles[SCOPE_COUNT] = {"Everywhere", "Graph screen", "Export screen", "Jobs screen",
                                                    "Compare screen", "Matrix screen", "Predict screen"};
    fputs(".\\\" Generated from tui/commands.h by tui_print_commands_man(); do not edit.\n", out);
    for (int s = 0; s < SCOPE_COUNT; s++) {
        fprintf(out, ".SS %s\n", titles[s]);
        for (int c = 1; c < CMD_COUNT; c++) {
            const CommandInfo *ci = &command_table[c];
            if ((int)ci->scope != s) continue;
            fputs(".TP\n.B ", out);
            if (ci->keys[0]) {
                roff(out, ci->keys);
                fputs("\n(:", out);
            } else {
                fputs(":", out);
            }
            roff(out, ci->name);
            if (ci->arg == CARG_EXPORT_ARGS) fputs(" \\fIkey=value ...\\fP", out);
            else if (ci->arg == CARG_PATH) fputs(" \\fIPATH\\fP", out);
            else if (ci->arg == CARG_THEME) fputs(" \\fINAME\\fP", out);
            else if (ci->arg == CARG_SCREEN) fputs(" \\fISCREEN\\fP", out);
            fputs(ci->keys[0] ? ")\n" : "\n", out);
            roff(out, ci->help);
            fputc('\n', out);
        }
    }
}

bool command_list_move(Command cmd, ListMove *out)
{
    static const struct {
        Command cmd;
        ListMove move;
    } moves[] = {
        {CMD_UP, LIST_UP},           {CMD_DOWN, LIST_DOWN},           {CMD_PAGE_UP, LIST_PAGE_UP},
        {CMD_PAGE_DOWN, LIST_PAGE_DOWN}, {CMD_HALF_UP, LIST_HALF_UP}, {CMD_HALF_DOWN, LIST_HALF_DOWN},
        {CMD_TOP, LIST_TOP},         {CMD_BOTTOM, LIST_BOTTOM},
    };
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        if (moves[i].cmd == cmd) {
            *out = moves[i].move;
            return true;
        }
    }
    return false;
}
