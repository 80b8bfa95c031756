/* torchscript_parse: the TorchScript reader's tokeniser and expression parser (see
 * torchscript_parse.h).  The text is untrusted: lengths, token counts, nesting, list sizes and
 * operator counts are bounded, and what is not understood is refused with its line. */
#include "formats/torchscript_parse.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ---------------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) int ts_perr(Parser *P, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(P->err, P->errlen, "%s: code line %d: %s", P->what, line, msg);
}

static void push_tok(Parser *P, Tok t)
{
    if (P->n == P->cap) {
        P->cap = P->cap ? 2 * P->cap : 256;
        P->toks = xrealloc(P->toks, P->cap * sizeof *P->toks);
    }
    P->toks[P->n++] = t;
}

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Tokens of s[0..len) from line first_line on.  Newlines inside brackets join lines, as in
 * Python; '#' starts a comment. */
int ts_tokenise(Parser *P, const char *s, size_t len, int first_line)
{
    int line = first_line, depth = 0;
    size_t i = 0;
    while (i < len) {
        if (P->n >= MAX_TOKENS) return ts_perr(P, line, "more than %d tokens", MAX_TOKENS);
        char c = s[i];
        Tok t = {.line = line};
        if (c == '\n') {
            if (depth == 0 && P->n && P->toks[P->n - 1].kind != TK_NEWLINE) {
                t.kind = TK_NEWLINE;
                push_tok(P, t);
            }
            line++;
            i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        if (c == '#') {
            while (i < len && s[i] != '\n') i++;
            continue;
        }
        if (is_alpha(c)) {
            size_t j = i;
            while (j < len && (is_alpha(s[j]) || is_digit(s[j]))) j++;
            if (j - i > MAX_NAME) return ts_perr(P, line, "a name longer than %d characters", MAX_NAME);
            t.kind = TK_NAME;
            t.text = arena_strndup(P->arena, s + i, j - i);
            push_tok(P, t);
            i = j;
            continue;
        }
        if (is_digit(c) || (c == '.' && i + 1 < len && is_digit(s[i + 1]))) {
            size_t j = i;
            bool fl = false;
            while (j < len && is_digit(s[j])) j++;
            if (j < len && s[j] == '.') {
                fl = true;
                j++;
                while (j < len && is_digit(s[j])) j++;
            }
            if (j < len && (s[j] == 'e' || s[j] == 'E')) {
                size_t k = j + 1;
                if (k < len && (s[k] == '+' || s[k] == '-')) k++;
                if (k < len && is_digit(s[k])) {
                    fl = true;
                    j = k;
                    while (j < len && is_digit(s[j])) j++;
                }
            }
            if (j - i > 64) return ts_perr(P, line, "a number longer than 64 characters");
            char buf[72];
            memcpy(buf, s + i, j - i);
            buf[j - i] = '\0';
            errno = 0;
            char *end;
            if (fl) {
                t.kind = TK_FLOAT;
                t.f = strtod(buf, &end);
                if (errno == ERANGE && isinf(t.f)) return ts_perr(P, line, "the number %s is out of range", buf);
            } else {
                t.kind = TK_INT;
                unsigned long long u = strtoull(buf, &end, 10);
                if (errno == ERANGE || u > (unsigned long long)INT64_MAX)
                    return ts_perr(P, line, "the integer %s is out of range", buf);
                t.i = (int64_t)u;
            }
            if (j < len && is_alpha(s[j])) return ts_perr(P, line, "a malformed number near '%.20s'", buf);
            push_tok(P, t);
            i = j;
            continue;
        }
        if (c == '"' || c == '\'') {
            size_t j = i + 1;
            while (j < len && s[j] != c && s[j] != '\n' && s[j] != '\\') j++;
            if (j >= len || s[j] != c) return ts_perr(P, line, "an unterminated or escaped string");
            if (j - i - 1 > MAX_NAME) return ts_perr(P, line, "a string longer than %d characters", MAX_NAME);
            t.kind = TK_STRING;
            t.text = arena_strndup(P->arena, s + i + 1, j - i - 1);
            push_tok(P, t);
            i = j + 1;
            continue;
        }
        if (c == '-' && i + 1 < len && s[i + 1] == '>') {
            t.kind = TK_PUNCT;
            t.punct = '>';
            push_tok(P, t);
            i += 2;
            continue;
        }
        if (strchr("()[],=:.-+*/%", c) && c) {
            if (c == '(' || c == '[') {
                if (++depth > 4 * MAX_DEPTH) return ts_perr(P, line, "brackets nest more than %d deep", 4 * MAX_DEPTH);
            } else if (c == ')' || c == ']') {
                if (--depth < 0) return ts_perr(P, line, "an unbalanced '%c'", c);
            }
            t.kind = TK_PUNCT;
            t.punct = c;
            push_tok(P, t);
            i++;
            continue;
        }
        if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f) return ts_perr(P, line, "unexpected character '%c'", c);
        return ts_perr(P, line, "unexpected byte 0x%02x", (unsigned char)c);
    }
    if (!P->n || P->toks[P->n - 1].kind != TK_NEWLINE) push_tok(P, (Tok){.kind = TK_NEWLINE, .line = line});
    push_tok(P, (Tok){.kind = TK_END, .line = line});
    return 0;
}

Tok *ts_peek(Parser *P) { return &P->toks[P->pos < P->n ? P->pos : P->n - 1]; }
Tok *ts_next(Parser *P)
{
    Tok *t = ts_peek(P);
    if (t->kind != TK_END) P->pos++;
    return t;
}
bool ts_is_punct(const Tok *t, char c) { return t->kind == TK_PUNCT && t->punct == c; }
bool ts_is_name(const Tok *t, const char *s) { return t->kind == TK_NAME && !strcmp(t->text, s); }

const char *ts_tok_desc(const Tok *t)
{
    static __thread char buf[80];
    switch (t->kind) {
    case TK_END: return "the end of the code";
    case TK_NEWLINE: return "the end of the line";
    case TK_NAME: snprintf(buf, sizeof buf, "'%.60s'", t->text); return buf;
    case TK_STRING: snprintf(buf, sizeof buf, "a string"); return buf;
    case TK_INT:
    case TK_FLOAT: return "a number";
    case TK_PUNCT: snprintf(buf, sizeof buf, "'%s'", t->punct == '>' ? "->" : (char[2]){t->punct, 0}); return buf;
    }
    return "?";
}

int ts_expect(Parser *P, char c)
{
    Tok *t = ts_next(P);
    if (!ts_is_punct(t, c)) return ts_perr(P, t->line, "expected '%c', found %s", c, ts_tok_desc(t));
    return 0;
}

/* ---- expressions ----------------------------------------------------------------------- */

static Expr *new_expr(Parser *P, ExprKind k, int line)
{
    Expr *e = arena_alloc(P->arena, sizeof *e);
    memset(e, 0, sizeof *e);
    e->kind = k;
    e->line = line;
    return e;
}

/* A type in annotate(T, v): a name with optional [T, ...]; skipped. */
int ts_skip_type(Parser *P, int depth)
{
    Tok *t = ts_next(P);
    if (t->kind != TK_NAME) return ts_perr(P, t->line, "expected a type, found %s", ts_tok_desc(t));
    if (!ts_is_punct(ts_peek(P), '[')) return 0;
    if (depth > MAX_DEPTH) return ts_perr(P, t->line, "types nest more than %d deep", MAX_DEPTH);
    ts_next(P);
    for (;;) {
        if (ts_skip_type(P, depth + 1)) return -1;
        Tok *u = ts_next(P);
        if (ts_is_punct(u, ']')) return 0;
        if (!ts_is_punct(u, ',')) return ts_perr(P, u->line, "expected ',' or ']' in a type, found %s", ts_tok_desc(u));
    }
}

/* Items up to the closing bracket: expressions, and for calls keyword=expression too. */
static int parse_items(Parser *P, Expr *e, char close, bool keywords, int depth)
{
    Vec items = {0}, kws = {0};
    int rc = 0;
    while (!ts_is_punct(ts_peek(P), close)) {
        if (items.len >= MAX_ITEMS) {
            rc = ts_perr(P, ts_peek(P)->line, "more than %d items in one list or call", MAX_ITEMS);
            break;
        }
        const char *kw = NULL;
        if (keywords && ts_peek(P)->kind == TK_NAME && P->pos + 1 < P->n && ts_is_punct(&P->toks[P->pos + 1], '=')) {
            kw = ts_next(P)->text;
            ts_next(P);
        }
        Expr *it = ts_parse_expr(P, depth + 1);
        if (!it) {
            rc = -1;
            break;
        }
        vec_push(&items, sizeof it, &it);
        vec_push(&kws, sizeof kw, &kw);
        Tok *t = ts_peek(P);
        if (ts_is_punct(t, ',')) {
            ts_next(P);
            continue;
        }
        if (!ts_is_punct(t, close)) {
            rc = ts_perr(P, t->line, "expected ',' or '%c', found %s", close, ts_tok_desc(t));
            break;
        }
    }
    if (!rc) {
        ts_next(P);
        e->n = (int)items.len;
        e->items = arena_alloc(P->arena, (items.len + 1) * sizeof *e->items);
        e->kw = arena_alloc(P->arena, (items.len + 1) * sizeof *e->kw);
        if (items.len) {
            memcpy(e->items, items.items, items.len * sizeof *e->items);
            memcpy(e->kw, kws.items, items.len * sizeof *e->kw);
        }
    }
    vec_free(&items);
    vec_free(&kws);
    return rc;
}

static Expr *parse_atom(Parser *P, int depth)
{
    Tok *t = ts_next(P);
    if (depth > MAX_DEPTH) {
        ts_perr(P, t->line, "an expression nests more than %d deep", MAX_DEPTH);
        return NULL;
    }
    Expr *e;
    switch (t->kind) {
    case TK_INT:
        e = new_expr(P, E_INT, t->line);
        e->i = t->i;
        return e;
    case TK_FLOAT:
        e = new_expr(P, E_FLOAT, t->line);
        e->f = t->f;
        return e;
    case TK_STRING:
        e = new_expr(P, E_STR, t->line);
        e->s = t->text;
        return e;
    case TK_PUNCT:
        if (t->punct == '-') {
            Tok *u = ts_next(P);
            if (u->kind == TK_INT) {
                e = new_expr(P, E_INT, t->line);
                e->i = -u->i;
                return e;
            }
            if (u->kind == TK_FLOAT) {
                e = new_expr(P, E_FLOAT, t->line);
                e->f = -u->f;
                return e;
            }
            ts_perr(P, t->line, "'-' before %s (only numbers are negated)", ts_tok_desc(u));
            return NULL;
        }
        if (t->punct == '[') {
            e = new_expr(P, E_LIST, t->line);
            return parse_items(P, e, ']', false, depth) ? NULL : e;
        }
        ts_perr(P, t->line, "unexpected %s", ts_tok_desc(t));
        return NULL;
    case TK_NAME: break;
    default: ts_perr(P, t->line, "expected a value, found %s", ts_tok_desc(t)); return NULL;
    }
    if (!strcmp(t->text, "None")) return new_expr(P, E_NONE, t->line);
    if (!strcmp(t->text, "True") || !strcmp(t->text, "False")) {
        e = new_expr(P, E_BOOL, t->line);
        e->i = t->text[0] == 'T';
        return e;
    }
    /* a dotted name: a variable, self.<attr>, or a callee */
    char dotted[MAX_NAME + 1];
    snprintf(dotted, sizeof dotted, "%s", t->text);
    int parts = 1;
    while (ts_is_punct(ts_peek(P), '.')) {
        ts_next(P);
        Tok *u = ts_next(P);
        if (u->kind != TK_NAME) {
            ts_perr(P, u->line, "expected a name after '.', found %s", ts_tok_desc(u));
            return NULL;
        }
        size_t l = strlen(dotted);
        if (l + 1 + strlen(u->text) > MAX_NAME) {
            ts_perr(P, u->line, "a dotted name longer than %d characters", MAX_NAME);
            return NULL;
        }
        snprintf(dotted + l, sizeof dotted - l, ".%s", u->text);
        parts++;
    }
    if (ts_is_punct(ts_peek(P), '(')) {
        ts_next(P);
        if (!strcmp(dotted, "annotate")) {
            /* annotate(List[int], []): the value */
            if (ts_skip_type(P, depth) || ts_expect(P, ',')) return NULL;
            Expr *v = ts_parse_expr(P, depth + 1);
            return v && !ts_expect(P, ')') ? v : NULL;
        }
        e = new_expr(P, E_CALL, t->line);
        e->s = arena_strdup(P->arena, dotted);
        if (parse_items(P, e, ')', true, depth)) return NULL;
        if (!strcmp(dotted, "float") && e->n == 1 && e->items[0]->kind == E_STR) {
            /* float("nan"), float("inf"), float("-inf") */
            const char *s = e->items[0]->s;
            Expr *f = new_expr(P, E_FLOAT, t->line);
            if (!strcmp(s, "nan")) f->f = NAN;
            else if (!strcmp(s, "inf")) f->f = INFINITY;
            else if (!strcmp(s, "-inf")) f->f = -INFINITY;
            else {
                ts_perr(P, t->line, "float(\"%.40s\") is not a number", s);
                return NULL;
            }
            return f;
        }
        return e;
    }
    if (parts == 2 && !strncmp(dotted, "self.", 5)) {
        e = new_expr(P, E_SELF, t->line);
        e->s = arena_strdup(P->arena, dotted + 5);
        return e;
    }
    if (parts == 1) {
        e = new_expr(P, E_NAME, t->line);
        e->s = t->text;
        return e;
    }
    ts_perr(P, t->line, "'%.100s' is not a value this reader knows (a local name or self.<attribute>)", dotted);
    return NULL;
}

/* An integer literal in a subscript (optionally negative); false + message otherwise. */
static bool subscript_int(Parser *P, int64_t *v)
{
    Tok *t = ts_next(P);
    bool neg = ts_is_punct(t, '-');
    if (neg) t = ts_next(P);
    if (t->kind != TK_INT) {
        ts_perr(P, t->line, "a subscript must be an integer literal, found %s", ts_tok_desc(t));
        return false;
    }
    *v = neg ? -t->i : t->i;
    return true;
}

/* An atom followed by subscripts: x[2], x[1:3], x[2:] (elements and pieces of size lists). */
static Expr *parse_postfix(Parser *P, int depth)
{
    Expr *e = parse_atom(P, depth);
    while (e && ts_is_punct(ts_peek(P), '[')) {
        Tok *open = ts_next(P);
        if (++depth > MAX_DEPTH) {
            ts_perr(P, open->line, "an expression nests more than %d deep", MAX_DEPTH);
            return NULL;
        }
        Expr *s = new_expr(P, E_INDEX, open->line);
        s->items = arena_alloc(P->arena, sizeof *s->items);
        s->items[0] = e;
        s->n = 1;
        if (!ts_is_punct(ts_peek(P), ':') && !subscript_int(P, &s->i)) return NULL;
        if (ts_is_punct(ts_peek(P), ':')) {
            ts_next(P);
            s->kind = E_SLICE;
            if (!ts_is_punct(ts_peek(P), ']')) {
                if (!subscript_int(P, &s->hi)) return NULL;
                s->has_hi = true;
            }
        }
        if (ts_expect(P, ']')) return NULL;
        e = s;
    }
    return e;
}

static int binop_level(Parser *P, const char **op)
{
    Tok *t = ts_peek(P);
    if (t->kind != TK_PUNCT) return 0;
    if (t->punct == '+' || t->punct == '-') {
        *op = t->punct == '+' ? "+" : "-";
        return 1;
    }
    if (t->punct == '*') {
        *op = "*";
        return 2;
    }
    if (t->punct == '/') {
        bool floor = P->pos + 1 < P->n && ts_is_punct(&P->toks[P->pos + 1], '/');
        *op = floor ? "//" : "/";
        return 2;
    }
    return 0;
}

/* Binary operators at precedence level >= min (1: + -, 2: * / //), left-associative;
 * *n_ops counts them against MAX_OPERATORS. */
static Expr *parse_binary(Parser *P, int depth, int min, int *n_ops)
{
    Expr *left = parse_postfix(P, depth);
    const char *op = NULL;
    int level;
    while (left && (level = binop_level(P, &op)) > 0 && level >= min) {
        Tok *t = ts_next(P);
        if (!strcmp(op, "//")) ts_next(P);
        if (++*n_ops > MAX_OPERATORS) {
            ts_perr(P, t->line, "more than %d operators in one expression", MAX_OPERATORS);
            return NULL;
        }
        Expr *right = level == 1 ? parse_binary(P, depth + 1, 2, n_ops) : parse_postfix(P, depth + 1);
        if (!right) return NULL;
        Expr *b = new_expr(P, E_BINOP, t->line);
        b->s = op;
        b->items = arena_alloc(P->arena, 2 * sizeof *b->items);
        b->items[0] = left;
        b->items[1] = right;
        b->n = 2;
        left = b;
    }
    return left;
}

Expr *ts_parse_expr(Parser *P, int depth)
{
    int n_ops = 0;
    return parse_binary(P, depth, 1, &n_ops);
}

