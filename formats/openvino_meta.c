/* openvino_meta: the peer's metadata.yaml, both ways.  Writing renders the exporter's
 * metadata (each value the peer's str(v)) the way yaml.safe_dump(sort_keys=False,
 * allow_unicode=True) writes the Python values; reading (libyaml) fills g->meta and puts each
 * value back into g->meta.props as str(v).  Every directory format with a metadata.yaml can
 * use it. */
#include "formats/openvino.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include <yaml.h>

#include "engine/core/util.h"
#include "engine/core/yamlguard.h"

enum {
    MAX_NAMES = 1 << 17,     /* class names */
    MAX_META_DEPTH = 16,
    MAX_META_TEXT = 1 << 20, /* one rendered value */
};

/* ---- Python values (the peer's str(v) metadata) -> YAML ------------------------------- */

typedef enum { PV_NONE, PV_BOOL, PV_INT, PV_FLOAT, PV_STR, PV_LIST, PV_DICT } PvKind;

typedef struct PyVal {
    PvKind kind;
    char *text;          /* int/float literal text, string value, "true"/"false" */
    struct PyVal *items; /* list items; dict: key, value, key, value, ... */
    int n;
} PyVal;

static void pv_free(PyVal *v)
{
    for (int i = 0; i < v->n; i++) pv_free(&v->items[i]);
    free(v->items);
    free(v->text);
}

static void py_skip(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n') (*p)++;
}

static bool py_parse(const char **p, PyVal *v, int depth);

static bool py_string(const char **p, PyVal *v)
{
    char q = **p;
    StrBuf b = {0};
    strbuf_puts(&b, "");
    for ((*p)++; **p && **p != q; (*p)++) {
        char c = **p;
        if (c == '\\' && (*p)[1]) {
            (*p)++;
            c = **p;
            static const char esc[][2] = {{'n', '\n'}, {'t', '\t'}, {'r', '\r'}, {'\\', '\\'}, {'\'', '\''}, {'"', '"'}, {'0', '\0'}};
            bool done = false;
            for (size_t i = 0; i < ARRAY_LEN(esc) && !done; i++)
                if (c == esc[i][0]) {
                    if (esc[i][1]) strbuf_add(&b, &esc[i][1], 1);
                    done = true;
                }
            if (done) continue;
            if (c == 'x' || c == 'u' || c == 'U') {
                int len = c == 'x' ? 2 : c == 'u' ? 4 : 8;
                unsigned long cp = 0;
                for (int i = 0; i < len; i++) {
                    char h = (*p)[1 + i];
                    int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
                    if (d < 0) { free(b.p); return false; }
                    cp = cp * 16 + (unsigned long)d;
                }
                *p += len;
                unsigned char u[4];
                int k = 0;
                if (cp < 0x80) u[k++] = (unsigned char)cp;
                else if (cp < 0x800) { u[k++] = (unsigned char)(0xc0 | (cp >> 6)); u[k++] = (unsigned char)(0x80 | (cp & 0x3f)); }
                else if (cp < 0x10000) { u[k++] = (unsigned char)(0xe0 | (cp >> 12)); u[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)); u[k++] = (unsigned char)(0x80 | (cp & 0x3f)); }
                else if (cp < 0x110000) { u[k++] = (unsigned char)(0xf0 | (cp >> 18)); u[k++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f)); u[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)); u[k++] = (unsigned char)(0x80 | (cp & 0x3f)); }
                if (cp) strbuf_add(&b, u, (size_t)k);
                continue;
            }
            strbuf_add(&b, "\\", 1);
        }
        strbuf_add(&b, &c, 1);
    }
    if (**p != q) {
        free(b.p);
        return false;
    }
    (*p)++;
    v->kind = PV_STR;
    v->text = b.p;
    return true;
}

static bool py_collection(const char **p, PyVal *v, int depth)
{
    char open = **p, close = open == '[' ? ']' : open == '(' ? ')' : '}';
    v->kind = open == '{' ? PV_DICT : PV_LIST;
    int cap = 0;
    (*p)++;
    for (;;) {
        py_skip(p);
        if (**p == close) break;
        int need = v->kind == PV_DICT ? 2 : 1;
        if (v->n + need > cap) {
            cap = cap ? cap * 2 : 8;
            v->items = xrealloc(v->items, sizeof *v->items * (size_t)cap);
        }
        memset(&v->items[v->n], 0, sizeof *v->items * (size_t)need);
        if (!py_parse(p, &v->items[v->n++], depth + 1)) return false;
        if (v->kind == PV_DICT) {
            py_skip(p);
            if (**p != ':') return false;
            (*p)++;
            if (!py_parse(p, &v->items[v->n++], depth + 1)) return false;
        }
        py_skip(p);
        if (**p == ',') (*p)++;
        else if (**p != close) return false;
    }
    (*p)++;
    return true;
}

static bool py_parse(const char **p, PyVal *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (depth > 32) return false;
    py_skip(p);
    const char *s = *p;
    if (*s == '\'' || *s == '"') return py_string(p, v);
    if (*s == '[' || *s == '(' || *s == '{') return py_collection(p, v, depth);
    static const struct { const char *word; PvKind kind; const char *text; } words[] = {
        {"None", PV_NONE, "null"}, {"True", PV_BOOL, "true"}, {"False", PV_BOOL, "false"},
        {"inf", PV_FLOAT, ".inf"}, {"-inf", PV_FLOAT, "-.inf"}, {"nan", PV_FLOAT, ".nan"},
    };
    for (size_t i = 0; i < ARRAY_LEN(words); i++) {
        size_t n = strlen(words[i].word);
        if (!strncmp(s, words[i].word, n) && !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_')) {
            v->kind = words[i].kind;
            v->text = xstrdup(words[i].text);
            *p += n;
            return true;
        }
    }
    const char *q = s;
    if (*q == '-' || *q == '+') q++;
    if (!(*q >= '0' && *q <= '9') && *q != '.') return false;
    bool is_float = false;
    while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '_' ||
           ((*q == '-' || *q == '+') && (q[-1] == 'e' || q[-1] == 'E'))) {
        if (*q == '.' || *q == 'e' || *q == 'E') is_float = true;
        q++;
    }
    char *end;
    if (is_float) strtod(s, &end);
    else strtoll(s, &end, 10);
    if (end != q) return false;
    v->kind = is_float ? PV_FLOAT : PV_INT;
    v->text = xstrndup(s, (size_t)(q - s));
    if (is_float) {
        /* PyYAML writes repr(float).lower() with ".0" before an exponent that has no dot */
        for (char *c = v->text; *c; c++) *c = (char)(*c == 'E' ? 'e' : *c);
        char *e = strchr(v->text, 'e');
        if (e && !strchr(v->text, '.')) {
            char *t = xasprintf("%.*s.0%s", (int)(e - v->text), v->text, e);
            free(v->text);
            v->text = t;
        }
    }
    *p = q;
    return true;
}

/* A metadata value: the Python literal when it parses as one, else the text as a string. */
static void pv_from_value(const char *s, PyVal *v)
{
    const char *p = s;
    if (py_parse(&p, v, 0)) {
        py_skip(&p);
        if (!*p) return;
    }
    pv_free(v);
    memset(v, 0, sizeof *v);
    v->kind = PV_STR;
    v->text = xstrdup(s);
}

/* YAML 1.1 implicit types as PyYAML resolves plain scalars: a string that matches one of
 * these must be quoted to stay a string. */
static const char *const yaml_implicit[] = {
    "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
    "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
    "^([-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+][0-9]+)?|\\.[0-9][0-9_]*([eE][-+][0-9]+)?|"
    "[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
    "^(~|null|Null|NULL)?$",
    "^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
    "(\\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)$",
    "^(<<|=)$",
};

typedef struct {
    regex_t re[ARRAY_LEN(yaml_implicit)];
    int n;
} YamlEmitter;

static bool yaml_resolves(const YamlEmitter *y, const char *s)
{
    for (int i = 0; i < y->n; i++)
        if (!regexec(&y->re[i], s, 0, NULL, 0)) return true;
    return false;
}

typedef enum { STYLE_PLAIN, STYLE_SINGLE, STYLE_DOUBLE } ScalarStyle;

static ScalarStyle yaml_style(const YamlEmitter *y, const char *s)
{
    size_t len = strlen(s);
    if (!len) return STYLE_SINGLE;
    bool block_ind = false;
    for (size_t i = 0; i < len;) {
        const unsigned char *u = (const unsigned char *)s + i;
        size_t n = utf8_seq_len(u);
        if (!n || *u < 0x20 || *u == 0x7f) return STYLE_DOUBLE;
        if (n == 2 && u[0] == 0xc2 && u[1] < 0xa0) return STYLE_DOUBLE; /* C1 controls */
        if (n == 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) return STYLE_DOUBLE; /* BOM */
        char c = s[i], next = s[i + n];
        bool ws_after = next == '\0' || next == ' ';
        if (i == 0) {
            if (strchr("#,[]{}&*!|>'\"%@`", c)) block_ind = true;
            if ((c == '?' || c == ':' || c == '-') && ws_after) block_ind = true;
        } else {
            if (c == ':' && ws_after) block_ind = true;
            if (c == '#' && s[i - 1] == ' ') block_ind = true;
        }
        i += n;
    }
    if (s[0] == ' ' || s[len - 1] == ' ') block_ind = true;
    if (!strncmp(s, "---", 3) || !strncmp(s, "...", 3)) block_ind = true;
    if (block_ind || yaml_resolves(y, s)) return STYLE_SINGLE;
    return STYLE_PLAIN;
}

/* Write scalar text, folding at single spaces once the line is past 80 columns as
 * PyYAML does (keys are never folded). */
static void yaml_text(StrBuf *b, const char *s, ScalarStyle st, size_t *col, int indent, bool fold)
{
    if (st == STYLE_DOUBLE) {
        strbuf_puts(b, "\"");
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
            static const char esc[][3] = {{'\n', 'n'}, {'\t', 't'}, {'\r', 'r'}, {'"', '"'}, {'\\', '\\'}, {'\0', '0'}};
            bool done = false;
            for (size_t i = 0; i < ARRAY_LEN(esc) && !done; i++)
                if (*p == (unsigned char)esc[i][0] && *p) {
                    strbuf_printf(b, "\\%c", esc[i][1]);
                    done = true;
                }
            if (done) continue;
            size_t n = utf8_seq_len(p);
            if (!n || *p < 0x20 || *p == 0x7f) strbuf_printf(b, "\\x%02X", *p);
            else {
                strbuf_add(b, p, n);
                p += n - 1;
            }
        }
        strbuf_puts(b, "\"");
        *col += strlen(s) + 2;
        return;
    }
    if (st == STYLE_SINGLE) {
        strbuf_puts(b, "'");
        (*col)++;
    }
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        bool single_space = s[i] == ' ' && (i == 0 || s[i - 1] != ' ') && s[i + 1] != ' ';
        if (fold && single_space && *col > 80 && i != 0 && i + 1 != len) {
            strbuf_printf(b, "\n%*s", indent, "");
            *col = (size_t)indent;
            continue;
        }
        if (st == STYLE_SINGLE && s[i] == '\'') {
            strbuf_puts(b, "''");
            *col += 2;
            continue;
        }
        strbuf_add(b, &s[i], 1);
        if (((unsigned char)s[i] & 0xc0) != 0x80) (*col)++;
    }
    if (st == STYLE_SINGLE) {
        strbuf_puts(b, "'");
        (*col)++;
    }
}

static void yaml_scalar(const YamlEmitter *y, StrBuf *b, const PyVal *v, size_t *col, int indent, bool fold)
{
    if (v->kind == PV_STR) yaml_text(b, v->text, yaml_style(y, v->text), col, indent, fold);
    else if (v->kind == PV_LIST || v->kind == PV_DICT) {
        strbuf_puts(b, v->kind == PV_LIST ? "[]" : "{}");
        *col += 2;
    } else {
        strbuf_puts(b, v->text);
        *col += strlen(v->text);
    }
}

static bool pv_block(const PyVal *v) { return (v->kind == PV_LIST || v->kind == PV_DICT) && v->n > 0; }

static void yaml_node(const YamlEmitter *y, StrBuf *b, const PyVal *v, int indent, bool inline_first);

/* Block mapping/sequence at indent; inline_first: the first entry continues the current
 * line ("- " was just written). */
static void yaml_node(const YamlEmitter *y, StrBuf *b, const PyVal *v, int indent, bool inline_first)
{
    int step = v->kind == PV_DICT ? 2 : 1;
    for (int i = 0; i < v->n; i += step) {
        if (i > 0 || !inline_first) strbuf_printf(b, "%*s", indent, "");
        size_t col = (size_t)indent + (inline_first && i == 0 ? 0 : 0);
        if (v->kind == PV_DICT) {
            const PyVal *k = &v->items[i], *val = &v->items[i + 1];
            yaml_scalar(y, b, k, &col, indent, false);
            strbuf_puts(b, ":");
            col++;
            if (!pv_block(val)) {
                strbuf_puts(b, " ");
                col++;
                yaml_scalar(y, b, val, &col, indent + 2, true);
                strbuf_puts(b, "\n");
            } else if (val->kind == PV_DICT) {
                strbuf_puts(b, "\n");
                yaml_node(y, b, val, indent + 2, false);
            } else {
                strbuf_puts(b, "\n");
                yaml_node(y, b, val, indent, false);
            }
        } else {
            const PyVal *it = &v->items[i];
            strbuf_puts(b, "- ");
            col += 2;
            if (!pv_block(it)) {
                yaml_scalar(y, b, it, &col, indent + 2, true);
                strbuf_puts(b, "\n");
            } else {
                yaml_node(y, b, it, indent + 2, true);
            }
        }
    }
}

char *openvino_metadata_yaml(const KeyValue *kv, int n)
{
    YamlEmitter y = {0};
    for (size_t i = 0; i < ARRAY_LEN(yaml_implicit); i++)
        if (!regcomp(&y.re[y.n], yaml_implicit[i], REG_EXTENDED | REG_NOSUB)) y.n++;
    PyVal top = {.kind = PV_DICT, .n = 2 * n};
    top.items = xcalloc((size_t)(2 * n + 1), sizeof *top.items);
    for (int i = 0; i < n; i++) {
        top.items[2 * i] = (PyVal){.kind = PV_STR, .text = xstrdup(kv[i].key ? kv[i].key : "")};
        pv_from_value(kv[i].value ? kv[i].value : "", &top.items[2 * i + 1]);
    }
    StrBuf b = {0};
    strbuf_puts(&b, "");
    if (n == 0) strbuf_puts(&b, "{}\n");
    else yaml_node(&y, &b, &top, 0, false);
    pv_free(&top);
    for (int i = 0; i < y.n; i++) regfree(&y.re[i]);
    return b.p;
}

/* ---- reading metadata.yaml (libyaml) ------------------------------------------------------ */

typedef struct {
    yaml_document_t doc;
    bool loaded;
} YDoc;

static int ydoc_load(YDoc *y, const char *text, size_t len, char *why, size_t whylen)
{
    yaml_parser_t p;
    memset(y, 0, sizeof *y);
    if (yamlguard_check(text, len, why, whylen) != 0) return -1; /* before libyaml */
    if (!yaml_parser_initialize(&p)) return err_set(why, whylen, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int ok = yaml_parser_load(&p, &y->doc);
    if (!ok) {
        err_set(why, whylen, "line %zu: %s", p.problem_mark.line + 1, p.problem ? p.problem : "malformed YAML");
        yaml_parser_delete(&p);
        return -1;
    }
    y->loaded = true;
    yaml_parser_delete(&p);
    return 0;
}

static void ydoc_free(YDoc *y)
{
    if (y->loaded) yaml_document_delete(&y->doc);
}

static const char *yscalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool yplain(const yaml_node_t *n) { return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE; }

/* A plain scalar that YAML reads as a number / bool / null: its Python spelling. */
static const char *yaml_plain_py(const char *s)
{
    static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const f[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    for (size_t i = 0; i < ARRAY_LEN(t); i++) {
        if (!strcmp(s, t[i])) return "True";
        if (!strcmp(s, f[i])) return "False";
    }
    if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL")) return "None";
    char *end;
    strtod(s, &end);
    if (end != s && !*end) return s;
    return NULL;
}

/* Render a YAML node as the Python value's str(): top-level strings bare, nested ones
 * quoted.  false when too deep or too long. */
static bool yaml_py(yaml_document_t *d, yaml_node_t *n, StrBuf *b, int depth, bool top)
{
    if (!n || depth > MAX_META_DEPTH || b->len > MAX_META_TEXT) return false;
    if (n->type == YAML_SCALAR_NODE) {
        const char *s = yscalar(n), *py = yplain(n) ? yaml_plain_py(s) : NULL;
        if (py || top) {
            strbuf_puts(b, py ? py : s);
            return true;
        }
        char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
        strbuf_add(b, &q, 1);
        for (; *s; s++) {
            if (*s == q || *s == '\\') strbuf_add(b, "\\", 1);
            if (*s == '\n') strbuf_puts(b, "\\n");
            else strbuf_add(b, s, 1);
        }
        strbuf_add(b, &q, 1);
        return true;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        strbuf_puts(b, "[");
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            if (it != n->data.sequence.items.start) strbuf_puts(b, ", ");
            if (!yaml_py(d, yaml_document_get_node(d, *it), b, depth + 1, false)) return false;
        }
        strbuf_puts(b, "]");
        return true;
    }
    if (n->type == YAML_MAPPING_NODE) {
        strbuf_puts(b, "{");
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            if (p != n->data.mapping.pairs.start) strbuf_puts(b, ", ");
            if (!yaml_py(d, yaml_document_get_node(d, p->key), b, depth + 1, false)) return false;
            strbuf_puts(b, ": ");
            if (!yaml_py(d, yaml_document_get_node(d, p->value), b, depth + 1, false)) return false;
        }
        strbuf_puts(b, "}");
        return true;
    }
    return false;
}

static bool yint(const yaml_node_t *n, int *out)
{
    int64_t v;
    const char *s = yscalar(n);
    if (!s || !str_to_i64(s, &v) || v < INT_MIN || v > INT_MAX) return false;
    *out = (int)v;
    return true;
}

/* Up to max ints from a scalar or a sequence of scalars. */
static int yints(yaml_document_t *d, yaml_node_t *n, int *out, int max)
{
    if (n && n->type == YAML_SCALAR_NODE) return yint(n, out) ? 1 : 0;
    if (!n || n->type != YAML_SEQUENCE_NODE) return 0;
    int c = 0;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
        if (c >= max || !yint(yaml_document_get_node(d, *it), &out[c++])) return 0;
    return c;
}

static void meta_names(Graph *g, yaml_document_t *d, yaml_node_t *v)
{
    int n = 0;
    const char **names = NULL;
    if (v->type == YAML_SEQUENCE_NODE) {
        n = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
        if (n > MAX_NAMES) return;
        names = xcalloc((size_t)(n ? n : 1), sizeof *names);
        for (int i = 0; i < n; i++)
            if (!(names[i] = yscalar(yaml_document_get_node(d, v->data.sequence.items.start[i])))) {
                free(names);
                return;
            }
    } else if (v->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
            int k;
            if (!yint(yaml_document_get_node(d, p->key), &k) || k < 0 || k >= MAX_NAMES) return;
            if (k + 1 > n) n = k + 1;
        }
        names = xcalloc((size_t)(n ? n : 1), sizeof *names);
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
            int k;
            yint(yaml_document_get_node(d, p->key), &k);
            if (!(names[k] = yscalar(yaml_document_get_node(d, p->value)))) {
                free(names);
                return;
            }
        }
    } else {
        return;
    }
    for (int i = 0; i < n; i++)
        if (!names[i]) names[i] = arena_printf(g->arena, "%d", i);
    graph_meta_set_names(g, names, n);
    free(names);
}

/* One metadata key: into props (as str(v)) and the typed GraphMeta fields. */
static void meta_apply(Graph *g, yaml_document_t *d, const char *key, yaml_node_t *v)
{
    GraphMeta *m = &g->meta;
    StrBuf b = {0};
    strbuf_puts(&b, "");
    if (yaml_py(d, v, &b, 0, true)) graph_meta_add_prop(g, key, b.p);
    free(b.p);
    const char *s = yscalar(v);
    int ints[8], c;
    if (!strcmp(key, "task") && s) m->task = graph_meta_prop(g, key);
    else if (!strcmp(key, "version") && s) m->version = graph_meta_prop(g, key);
    else if (!strcmp(key, "date") && s) m->date = graph_meta_prop(g, key);
    else if (!strcmp(key, "names")) meta_names(g, d, v);
    else if (!strcmp(key, "stride") && (c = yints(d, v, ints, 8)) > 0) {
        m->n_strides = c;
        for (int i = 0; i < c; i++) m->strides[i] = ints[i];
    } else if (!strcmp(key, "imgsz") && (c = yints(d, v, ints, 2)) > 0) {
        m->imgsz[0] = ints[0];
        m->imgsz[1] = c == 2 ? ints[1] : ints[0];
    } else if (!strcmp(key, "channels") && yints(d, v, ints, 1) == 1 && ints[0] > 0) {
        m->channels = ints[0];
    } else if (!strcmp(key, "kpt_shape") && yints(d, v, ints, 2) == 2) {
        m->kpt_shape[0] = ints[0];
        m->kpt_shape[1] = ints[1];
    } else if (!strcmp(key, "description") && s) {
        const char *a = strstr(s, "Ultralytics "), *e = a ? strstr(a, " model") : NULL;
        if (a && e && e > a + 12) m->model_name = arena_strndup(g->arena, a + 12, (size_t)(e - a - 12));
        const char *on = strstr(s, " trained on ");
        if (on && on[12]) m->data = arena_strdup(g->arena, on + 12);
    }
}

int openvino_metadata_read(Graph *g, const char *text, size_t len, const char *what, char *err, size_t errlen)
{
    YDoc y;
    char why[256];
    if (ydoc_load(&y, text, len, why, sizeof why)) return err_set(err, errlen, "%s: %s", what, why);
    yaml_node_t *root = yaml_document_get_root_node(&y.doc);
    if (root && root->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
            const char *k = yscalar(yaml_document_get_node(&y.doc, p->key));
            yaml_node_t *v = yaml_document_get_node(&y.doc, p->value);
            if (k && v) meta_apply(g, &y.doc, k, v);
        }
    } else if (root && !(root->type == YAML_SCALAR_NODE && !*yscalar(root))) {
        ydoc_free(&y);
        return err_set(err, errlen, "%s: the top level is not a mapping", what);
    }
    ydoc_free(&y);
    return 0;
}

void openvino_metadata_apply(Graph *g, const char *key, const char *value)
{
    YDoc y;
    char why[64];
    /* str(v) of the peer's values is valid YAML flow syntax ("{0: 'person'}", "[640, 640]") */
    if (!ydoc_load(&y, value, strlen(value), why, sizeof why)) {
        yaml_node_t *root = yaml_document_get_root_node(&y.doc);
        if (root) meta_apply(g, &y.doc, key, root);
        ydoc_free(&y);
    }
    /* the prop keeps the value exactly as given */
    const char *kept = NULL;
    for (int i = 0; i < g->meta.n_props; i++)
        if (!strcmp(g->meta.props[i].key, key)) kept = g->meta.props[i].value = arena_strdup(g->arena, value);
    if (!kept) graph_meta_add_prop(g, key, value);
    if (!strcmp(key, "task") && g->meta.task) g->meta.task = graph_meta_prop(g, key);
    if (!strcmp(key, "version") && g->meta.version) g->meta.version = graph_meta_prop(g, key);
    if (!strcmp(key, "date") && g->meta.date) g->meta.date = graph_meta_prop(g, key);
}

/* ---- the peer's metadata as JSON (TorchScript's extra/config.txt, MNN's bizCode) ------ */

static void json_py_float(StrBuf *b, double v)
{
    char s[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(s, sizeof s, "%.*g", p, v);
        if (strtod(s, NULL) == v) break;
    }
    strbuf_puts(b, s);
    if (!strpbrk(s, ".eEn")) strbuf_puts(b, ".0");
}

static void json_py_string(StrBuf *b, const char *s)
{
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    strbuf_add(b, &q, 1);
    for (const char *p = s; *p; p++) {
        if (*p == '\\' || *p == q) strbuf_add(b, "\\", 1);
        strbuf_add(b, p, 1);
    }
    strbuf_add(b, &q, 1);
}

static bool json_digits_key(const char *s)
{
    if (!*s || strlen(s) > 9) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

/* A JSON value as Python's str() of what json.dumps was given: strings quoted, numeric
 * object keys as ints (the peer's names dict), true/false/null as True/False/None. */
static void json_py_repr(StrBuf *b, json_object *v, int depth)
{
    if (depth > 32) return strbuf_puts(b, "...");
    switch (json_object_get_type(v)) {
    case json_type_null: strbuf_puts(b, "None"); break;
    case json_type_boolean: strbuf_puts(b, json_object_get_boolean(v) ? "True" : "False"); break;
    case json_type_int: strbuf_printf(b, "%lld", (long long)json_object_get_int64(v)); break;
    case json_type_double: json_py_float(b, json_object_get_double(v)); break;
    case json_type_string: json_py_string(b, json_object_get_string(v)); break;
    case json_type_array: {
        strbuf_puts(b, "[");
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            if (i) strbuf_puts(b, ", ");
            json_py_repr(b, json_object_array_get_idx(v, i), depth + 1);
        }
        strbuf_puts(b, "]");
        break;
    }
    case json_type_object: {
        strbuf_puts(b, "{");
        bool first = true;
        json_object_object_foreach(v, key, val) {
            if (!first) strbuf_puts(b, ", ");
            first = false;
            if (json_digits_key(key)) strbuf_printf(b, "%ld", strtol(key, NULL, 10));
            else json_py_string(b, key);
            strbuf_puts(b, ": ");
            json_py_repr(b, val, depth + 1);
        }
        strbuf_puts(b, "}");
        break;
    }
    }
}

int openvino_metadata_apply_json(Graph *g, const char *text, size_t len)
{
    if (len > INT_MAX) return -1;
    json_tokener *tok = json_tokener_new_ex(64);
    json_object *o = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    if (tok) json_tokener_free(tok);
    if (!o || !json_object_is_type(o, json_type_object)) {
        if (o) json_object_put(o);
        return -1;
    }
    json_object_object_foreach(o, key, val) {
        StrBuf b = {0};
        if (json_object_is_type(val, json_type_string)) strbuf_puts(&b, json_object_get_string(val));
        else json_py_repr(&b, val, 0);
        openvino_metadata_apply(g, key, b.p ? b.p : "");
        free(b.p);
    }
    json_object_put(o);
    return 0;
}
