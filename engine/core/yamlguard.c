/* yamlguard: the nesting pre-scan run before libyaml (see yamlguard.h).  One pass, no
 * allocation: the block indentation stack is bounded by the limit itself. */
#include "engine/core/yamlguard.h"

#include <stdbool.h>

#include "engine/core/util.h"

_Static_assert(YAMLGUARD_MAX_DEPTH < 1024, "the indentation stack lives on the stack");

typedef struct {
    const char *t;
    size_t len, i, line;
    int max;
    long nodes;
    char *why;
    size_t whylen;
} Scan;

static int too_deep(Scan *s)
{
    return err_set(s->why, s->whylen, "nested deeper than %d levels at line %zu", s->max, s->line);
}

/* One more node (a collection, an entry, a scalar, an alias); false past the limit. */
static bool node(Scan *s)
{
    if (++s->nodes <= YAMLGUARD_MAX_NODES) return true;
    err_set(s->why, s->whylen, "more than %d values by line %zu", YAMLGUARD_MAX_NODES, s->line);
    return false;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }
static bool is_eol(char c) { return c == '\n' || c == '\r'; }

/* Past the end of the current line (its newline included). */
static void skip_line(Scan *s)
{
    while (s->i < s->len && s->t[s->i] != '\n') s->i++;
    if (s->i < s->len) s->i++, s->line++;
}

int yamlguard_check(const char *text, size_t len, char *why, size_t whylen)
{
    Scan s = {.t = text, .len = len, .line = 1, .max = YAMLGUARD_MAX_DEPTH, .why = why, .whylen = whylen};
    if (!text) return 0;
    int indents[YAMLGUARD_MAX_DEPTH + 1];
    int n_ind = 0, flow = 0;
    int block_scalar = -1; /* lines indented past this column are a block scalar's text */
    char quote = 0;        /* inside a quoted scalar: its quote character */
    while (s.i < len) {
        /* ---- a line starts ---- */
        int col = 0;
        if (!quote && !flow) {
            while (s.i < len && text[s.i] == ' ') s.i++, col++;
            if (s.i >= len) break;
            char c = text[s.i];
            if (is_eol(c) || c == '#') { /* blank or comment-only: no structure */
                skip_line(&s);
                continue;
            }
            if (block_scalar >= 0 && col > block_scalar) {
                skip_line(&s);
                continue;
            }
            block_scalar = -1;
            if (col == 0 && s.i + 3 <= len && (!__builtin_memcmp(text + s.i, "---", 3) || !__builtin_memcmp(text + s.i, "...", 3)) &&
                (s.i + 3 == len || is_blank(text[s.i + 3]) || is_eol(text[s.i + 3]))) {
                n_ind = 0; /* a new document */
                s.i += 3;
            } else {
                while (n_ind > 0 && indents[n_ind - 1] > col) n_ind--;
                if (n_ind == 0 || indents[n_ind - 1] < col) {
                    if (n_ind >= s.max) return too_deep(&s);
                    indents[n_ind++] = col;
                }
            }
        }
        /* ---- the rest of the line (or of a quoted scalar / flow collection across lines) ---- */
        int line_depth = 0;   /* compact "- - -" and "? " entries opened on this line */
        bool node_start = true; /* where a node may begin: [ { quotes | > mean something */
        while (s.i < len) {
            char c = text[s.i];
            if (quote) {
                if (c == '\n') s.line++;
                if (quote == '"' && c == '\\' && s.i + 1 < len) {
                    s.i += 2;
                    continue;
                }
                if (c == quote) {
                    if (quote == '\'' && s.i + 1 < len && text[s.i + 1] == '\'') {
                        s.i += 2;
                        continue;
                    }
                    quote = 0;
                    node_start = false;
                }
                s.i++;
                continue;
            }
            if (c == '\n') {
                s.i++;
                s.line++;
                if (!flow) break; /* the next line's indentation decides */
                node_start = true;
                continue;
            }
            if (is_blank(c) || c == '\r') {
                s.i++;
                continue;
            }
            bool after_blank = s.i == 0 || is_blank(text[s.i - 1]) || is_eol(text[s.i - 1]);
            if (c == '#' && after_blank) {
                while (s.i < len && text[s.i] != '\n') s.i++;
                continue;
            }
            bool next_blank = s.i + 1 >= len || is_blank(text[s.i + 1]) || is_eol(text[s.i + 1]);
            if (node_start && (c == '-' || c == '?') && next_blank && !flow) {
                if (n_ind + ++line_depth > s.max) return too_deep(&s);
                if (!node(&s)) return -1;
                s.i++;
                continue;
            }
            if (node_start && (c == '[' || c == '{')) {
                if (n_ind + line_depth + ++flow > s.max) return too_deep(&s);
                if (!node(&s)) return -1;
                s.i++;
                continue;
            }
            if (flow && (c == ']' || c == '}')) {
                flow--;
                node_start = false;
                s.i++;
                continue;
            }
            if (flow && c == ',') {
                node_start = true;
                s.i++;
                continue;
            }
            if (c == ':' && (next_blank || (flow && s.i + 1 < len && (text[s.i + 1] == ',' || text[s.i + 1] == ']' ||
                                                                    text[s.i + 1] == '}')))) {
                node_start = true;
                s.i++;
                continue;
            }
            if (node_start && (c == '"' || c == '\'')) {
                if (!node(&s)) return -1;
                quote = c;
                s.i++;
                continue;
            }
            if (node_start && !flow && (c == '|' || c == '>')) {
                if (!node(&s)) return -1;
                /* a block scalar: the lines indented past this one are its text */
                block_scalar = col;
                skip_line(&s);
                break;
            }
            if (node_start && (c == '&' || c == '*' || c == '!')) { /* anchor, alias, tag: a name */
                if (c == '*' && !node(&s)) return -1;
                while (s.i < len && !is_blank(text[s.i]) && !is_eol(text[s.i]) &&
                       !(flow && (text[s.i] == ',' || text[s.i] == ']' || text[s.i] == '}')))
                    s.i++;
                continue;
            }
            /* a plain scalar: to the end of the line, or to a flow indicator in a collection */
            if (node_start && !node(&s)) return -1;
            node_start = false;
            s.i++;
        }
    }
    return 0;
}
