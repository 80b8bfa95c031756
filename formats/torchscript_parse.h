/* torchscript_parse: the tokeniser and expression parser of the TorchScript reader
 * (formats/torchscript_parse.c), shared with its lowering to the IR
 * (formats/torchscript_graph.c).  Internal to those two files.  Nothing is executed: the
 * code text is untrusted, and every length, count and nesting depth is bounded here. */
#ifndef YOLOPORT_TORCHSCRIPT_PARSE_H
#define YOLOPORT_TORCHSCRIPT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/util.h"

enum {
    MAX_CODE = 64 << 20,     /* code file bytes */
    MAX_TOKENS = 1 << 20,
    MAX_NAME = 256,          /* identifier / dotted name / string bytes */
    MAX_DEPTH = 32,          /* nesting of calls and lists in one expression */
    MAX_ITEMS = 4096,        /* items of one list, arguments of one call */
    MAX_TARGETS = 64,        /* names on the left of one assignment */
    MAX_INPUTS = 16,         /* forward's tensor arguments */
    MAX_OPERATORS = 64,      /* binary operators (+ - * / //) in one expression */
    MAX_ARANGE = 1 << 24,    /* elements of a torch.arange with literal bounds */
};

typedef enum { TK_END, TK_NAME, TK_INT, TK_FLOAT, TK_STRING, TK_PUNCT, TK_NEWLINE } TokKind;

typedef struct {
    TokKind kind;
    int line;
    char punct;       /* TK_PUNCT: ( ) [ ] , = : . - + * / % and '>' for "->" */
    const char *text; /* TK_NAME / TK_STRING: NUL-terminated (arena) */
    int64_t i;
    double f;
} Tok;

typedef struct {
    const char *what; /* names the text in messages */
    Arena *arena;
    Tok *toks;
    size_t n, cap, pos;
    char *err;
    size_t errlen;
} Parser;

/* E_INDEX: items[0][i]; E_SLICE: items[0][i:hi] (hi absent: to the end); E_BINOP: items[0]
 * <s> items[1], s one of + - * / // (Python arithmetic on sizes and size lists). */
typedef enum {
    E_NAME, E_SELF, E_INT, E_FLOAT, E_NONE, E_BOOL, E_STR, E_LIST, E_CALL, E_INDEX, E_SLICE, E_BINOP
} ExprKind;

typedef struct Expr {
    ExprKind kind;
    int line;
    const char *s;      /* E_NAME, E_SELF (attribute), E_STR, E_CALL (dotted callee) */
    int64_t i;          /* E_INT, E_BOOL; E_INDEX's index, E_SLICE's start */
    int64_t hi;         /* E_SLICE's end */
    bool has_hi;        /* E_SLICE: an end was given */
    double f;           /* E_FLOAT */
    struct Expr **items; /* E_LIST items, E_CALL arguments */
    const char **kw;     /* E_CALL: each argument's keyword, NULL when positional */
    int n;
} Expr;

/* "<what>: code line N: <message>" into P's err; -1. */
__attribute__((format(printf, 3, 4))) int ts_perr(Parser *P, int line, const char *fmt, ...);
/* Tokens of s[0..len) from line first_line on, appended to P (newlines inside brackets join
 * lines, as in Python; '#' starts a comment).  0, or -1 + message. */
int ts_tokenise(Parser *P, const char *s, size_t len, int first_line);
Tok *ts_peek(Parser *P);
Tok *ts_next(Parser *P);
bool ts_is_punct(const Tok *t, char c);
bool ts_is_name(const Tok *t, const char *s);
/* A token as messages quote it. */
const char *ts_tok_desc(const Tok *t);
/* The punctuation c next, consumed; else -1 + message. */
int ts_expect(Parser *P, char c);
/* One expression (names, self.attr, numbers, None/True/False, strings, lists, calls with
 * keywords, subscripts and slices, + - * / //), nested at most MAX_DEPTH; NULL + message. */
Expr *ts_parse_expr(Parser *P, int depth);
/* Skip a type annotation (Tensor, List[int], Optional[...], dotted class names). */
int ts_skip_type(Parser *P, int depth);

#endif
