/* query: the Graph screen's search terms, parsed once and matched against nodes and
 * modules (see query.h). */
#include "engine/query/query.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/core/util.h"

typedef enum { T_TEXT, T_OP, T_TYPE, T_NAME, T_SHAPE, T_OUT, T_IN, T_PARAMS, T_ATTR } TermKind;
typedef enum { CMP_EQ, CMP_GT, CMP_GE, CMP_LT, CMP_LE } Cmp;

#define QUERY_MAX_VALUES 8
#define QUERY_ANY_DIM (-1.0) /* shape:1x?x20x20 */

typedef struct {
    TermKind kind;
    Cmp cmp;
    char text[128];                /* the word (T_TEXT, T_OP, T_TYPE, T_NAME) or the attribute's name */
    double v[QUERY_MAX_VALUES];    /* numbers (T_SHAPE: dims, QUERY_ANY_DIM for ?) */
    int n;
} Term;

struct Query {
    Term *terms;
    int n;
};

/* The keys a term may start with; the letters are the attributes' short names. */
static const struct {
    const char *key;
    TermKind kind;
    const char *attr;
} keys[] = {
    {"op", T_OP, NULL},           {"type", T_TYPE, NULL},         {"name", T_NAME, NULL},
    {"shape", T_SHAPE, NULL},     {"out", T_OUT, NULL},           {"in", T_IN, NULL},
    {"params", T_PARAMS, NULL},   {"k", T_ATTR, "kernel_shape"},  {"s", T_ATTR, "strides"},
    {"p", T_ATTR, "pads"},        {"d", T_ATTR, "dilations"},     {"g", T_ATTR, "group"},
};

/* "3", "100k", "1.5M", "2G" -> value; false when it is not one. */
static bool parse_number(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf) return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end = NULL;
    double v = strtod(buf, &end);
    if (end == buf || !isfinite(v)) return false;
    double scale = 1;
    if (*end == 'k' || *end == 'K') scale = 1e3, end++;
    else if (*end == 'M' || *end == 'm') scale = 1e6, end++;
    else if (*end == 'G' || *end == 'g') scale = 1e9, end++;
    if (*end) return false;
    *out = v * scale;
    return true;
}

/* "3", "3x3", "3,3", "[3, 3]", shapes "1x?x20x20" -> values; false when it is not a list. */
static bool parse_values(const char *s, Term *t, bool any_dim)
{
    t->n = 0;
    while (*s == '[' || *s == '(') s++;
    size_t len = strlen(s);
    while (len && (s[len - 1] == ']' || s[len - 1] == ')')) len--;
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *q = p;
        while (q < end && *q != 'x' && *q != 'X' && *q != ',') q++;
        if (t->n >= QUERY_MAX_VALUES) return false;
        while (p < q && *p == ' ') p++;
        if (any_dim && q - p == 1 && (*p == '?' || *p == '*')) t->v[t->n++] = QUERY_ANY_DIM;
        else if (!parse_number(p, (size_t)(q - p), &t->v[t->n++])) return false;
        p = q < end ? q + 1 : q;
    }
    return t->n > 0;
}

static int parse_term(const char *word, Term *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    /* key, then : = > >= < <= */
    size_t k = 0;
    while (word[k] && (isalnum((unsigned char)word[k]) || word[k] == '_')) k++;
    const char *op = word + k;
    Cmp cmp = CMP_EQ;
    size_t oplen = 0;
    if (k > 0 && (*op == ':' || *op == '=')) oplen = 1;
    else if (k > 0 && (*op == '>' || *op == '<')) {
        cmp = *op == '>' ? CMP_GT : CMP_LT;
        oplen = 1;
        if (op[1] == '=') cmp = cmp == CMP_GT ? CMP_GE : CMP_LE, oplen = 2;
    }
    if (!oplen || !op[oplen]) { /* a plain word (or "key:" with nothing after it) */
        t->kind = T_TEXT;
        snprintf(t->text, sizeof t->text, "%s", word);
        return 0;
    }
    const char *val = op + oplen;
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(k < sizeof key ? k : sizeof key - 1), word);
    int known = -1;
    for (size_t i = 0; i < ARRAY_LEN(keys); i++)
        if (!strcasecmp(key, keys[i].key)) known = (int)i;
    t->cmp = cmp;
    if (known < 0) { /* another attribute by its name, when the value is a number or list */
        if (!parse_values(val, t, false)) {
            t->kind = T_TEXT; /* "aten::conv" and such: a word */
            snprintf(t->text, sizeof t->text, "%s", word);
            return 0;
        }
        t->kind = T_ATTR;
        snprintf(t->text, sizeof t->text, "%s", key);
        return 0;
    }
    t->kind = keys[known].kind;
    switch (t->kind) {
    case T_OP:
    case T_TYPE:
    case T_NAME:
        if (cmp != CMP_EQ) return err_set(err, errlen, "'%s': %s takes a name (%s:NAME)", word, key, key);
        snprintf(t->text, sizeof t->text, "%s", val);
        return 0;
    case T_SHAPE:
        if (cmp != CMP_EQ || !parse_values(val, t, true))
            return err_set(err, errlen, "'%s': a shape is dims joined by x (shape:1x256x20x20, ? for any one)", word);
        return 0;
    case T_ATTR:
        snprintf(t->text, sizeof t->text, "%s", keys[known].attr);
        /* fall through */
    default:
        if (!parse_values(val, t, false))
            return err_set(err, errlen, "'%s': %s takes a number (%s:3, %s>100k)%s", word, key, key, key,
                           t->kind == T_ATTR ? " or one per axis (3x3)" : "");
        if (t->n > 1 && cmp != CMP_EQ) return err_set(err, errlen, "'%s': only one number compares with > or <", word);
        if (t->n > 1 && t->kind != T_ATTR) return err_set(err, errlen, "'%s': %s takes one number", word, key);
        return 0;
    }
}

Query *query_parse(const char *text, char *err, size_t errlen)
{
    Query *q = xcalloc(1, sizeof *q);
    char *copy = xstrdup(text ? text : "");
    char *save = NULL;
    bool structured = false;
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        q->terms = xrealloc(q->terms, sizeof *q->terms * (size_t)(q->n + 1));
        if (parse_term(w, &q->terms[q->n], err, errlen) != 0) {
            free(copy);
            query_free(q);
            return NULL;
        }
        structured |= q->terms[q->n].kind != T_TEXT;
        q->n++;
    }
    free(copy);
    if (!structured && q->n > 1) { /* words alone: one phrase, as typed ("[1, 256, 20, 20]", "cv2 conv") */
        const char *b = text;
        while (*b == ' ' || *b == '\t') b++;
        size_t len = strlen(b);
        while (len && (b[len - 1] == ' ' || b[len - 1] == '\t')) len--;
        q->n = 1;
        memset(&q->terms[0], 0, sizeof q->terms[0]);
        q->terms[0].kind = T_TEXT;
        snprintf(q->terms[0].text, sizeof q->terms[0].text, "%.*s", (int)len, b);
    }
    return q;
}

void query_free(Query *q)
{
    if (!q) return;
    free(q->terms);
    free(q);
}

/* ---- matching --------------------------------------------------------------------------- */

static bool compare(double have, Cmp cmp, double want)
{
    switch (cmp) {
    case CMP_EQ: return have == want;
    case CMP_GT: return have > want;
    case CMP_GE: return have >= want;
    case CMP_LT: return have < want;
    case CMP_LE: return have <= want;
    }
    return false;
}

static const Tensor *tensor_at(const Graph *g, int t) { return t >= 0 && t < g->n_tensors ? &g->tensors[t] : NULL; }

/* Channels: dim 1 of a tensor of rank 2 or more, dim 0 of a vector; false when unknown. */
static bool channels(const Tensor *t, double *c)
{
    if (!t || t->rank < 1) return false;
    int64_t d = t->rank >= 2 ? t->dims[1] : t->dims[0];
    if (d < 0) return false;
    *c = (double)d;
    return true;
}

static bool shape_is(const Tensor *t, const Term *term)
{
    if (!t || t->rank != term->n) return false;
    for (int i = 0; i < t->rank; i++)
        if (term->v[i] != QUERY_ANY_DIM && (t->dims[i] < 0 || (double)t->dims[i] != term->v[i])) return false;
    return true;
}

static bool attr_is(const Node *n, const Term *term)
{
    const Attr *a = node_attr(n, term->text);
    if (!a) return false;
    switch (a->type) {
    case ATTR_INT: return term->n == 1 && compare((double)a->i, term->cmp, term->v[0]);
    case ATTR_FLOAT: return term->n == 1 && compare(a->f, term->cmp, term->v[0]);
    case ATTR_INTS:
    case ATTR_FLOATS: {
        if (a->count < 1) return false;
        if (term->n == 1) { /* every value */
            for (int i = 0; i < a->count; i++)
                if (!compare(a->type == ATTR_INTS ? (double)a->ints[i] : a->floats[i], term->cmp, term->v[0])) return false;
            return true;
        }
        if (a->count != term->n) return false;
        for (int i = 0; i < a->count; i++)
            if ((a->type == ATTR_INTS ? (double)a->ints[i] : a->floats[i]) != term->v[i]) return false;
        return true;
    }
    default: return false;
    }
}

/* "name=value" of one attribute, as a word search sees it. */
static void attr_words(const Graph *g, const Attr *a, char *buf, size_t len)
{
    size_t o = (size_t)snprintf(buf, len, "%s=", a->name ? a->name : "");
    if (o >= len) return;
    switch (a->type) {
    case ATTR_INT: snprintf(buf + o, len - o, "%lld", (long long)a->i); break;
    case ATTR_FLOAT: snprintf(buf + o, len - o, "%g", a->f); break;
    case ATTR_STRING: snprintf(buf + o, len - o, "%s", a->s ? a->s : ""); break;
    case ATTR_INTS:
    case ATTR_FLOATS:
        o += (size_t)snprintf(buf + o, len - o, "[");
        for (int i = 0; i < a->count && o + 24 < len; i++) {
            if (a->type == ATTR_INTS) o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? ", " : "", (long long)a->ints[i]);
            else o += (size_t)snprintf(buf + o, len - o, "%s%g", i ? ", " : "", a->floats[i]);
        }
        if (o < len) snprintf(buf + o, len - o, "]");
        break;
    default: break;
    }
    (void)g;
}

static bool text_in_tensor(const Tensor *t, const char *w)
{
    if (!t) return false;
    char shape[256];
    return (t->name && str_find_ci(t->name, w)) || (t->rank > 0 && str_find_ci(shape_str(t, shape, sizeof shape), w));
}

static bool node_has_text(const Graph *g, const Node *n, const char *w)
{
    if ((n->name && str_find_ci(n->name, w)) || (n->op_type && str_find_ci(n->op_type, w))) return true;
    for (int k = 0; k < n->n_outputs; k++)
        if (text_in_tensor(tensor_at(g, n->outputs[k]), w)) return true;
    for (int k = 0; k < n->n_inputs; k++) {
        const Tensor *t = tensor_at(g, n->inputs[k]);
        if (t && t->name && str_find_ci(t->name, w)) return true;
    }
    char buf[512];
    for (int k = 0; k < n->n_attrs; k++) {
        attr_words(g, &n->attrs[k], buf, sizeof buf);
        if (str_find_ci(buf, w)) return true;
    }
    return false;
}

int64_t query_node_params(const Graph *g, int ni)
{
    const Node *n = &g->nodes[ni];
    int64_t p = 0;
    for (int k = 0; k < n->n_inputs; k++) {
        const Tensor *t = tensor_at(g, n->inputs[k]);
        int64_t e = t && t->is_param ? tensor_numel(t) : 0;
        if (e > 0) p += e;
    }
    return p;
}

bool query_match_node(const Query *q, const Graph *g, int ni)
{
    if (!q || ni < 0 || ni >= g->n_nodes) return false;
    const Node *n = &g->nodes[ni];
    const Tensor *out0 = n->n_outputs > 0 ? tensor_at(g, n->outputs[0]) : NULL;
    const Tensor *in0 = n->n_inputs > 0 ? tensor_at(g, n->inputs[0]) : NULL;
    for (int i = 0; i < q->n; i++) {
        const Term *t = &q->terms[i];
        double c;
        bool ok = false;
        switch (t->kind) {
        case T_TEXT: ok = node_has_text(g, n, t->text); break;
        case T_OP:
        case T_TYPE: ok = n->op_type && !strcasecmp(n->op_type, t->text); break;
        case T_NAME: ok = n->name && str_find_ci(n->name, t->text); break;
        case T_SHAPE:
            for (int k = 0; k < n->n_outputs && !ok; k++) ok = shape_is(tensor_at(g, n->outputs[k]), t);
            break;
        case T_OUT: ok = channels(out0, &c) && compare(c, t->cmp, t->v[0]); break;
        case T_IN: ok = channels(in0, &c) && compare(c, t->cmp, t->v[0]); break;
        case T_PARAMS: ok = compare((double)query_node_params(g, ni), t->cmp, t->v[0]); break;
        case T_ATTR: ok = attr_is(n, t); break;
        }
        if (!ok) return false;
    }
    return true;
}

bool query_match_module(const Query *q, const Graph *g, int mi, const char *type, int out_tensor)
{
    if (!q || mi < 0 || mi >= g->n_modules) return false;
    const Module *m = &g->modules[mi];
    const Tensor *out = tensor_at(g, out_tensor >= 0 ? out_tensor : m->out_tensor);
    const char *mtype = type ? type : m->type;
    for (int i = 0; i < q->n; i++) {
        const Term *t = &q->terms[i];
        double c;
        bool ok = false;
        switch (t->kind) {
        case T_TEXT:
            ok = (m->path && str_find_ci(m->path, t->text)) || (m->name && str_find_ci(m->name, t->text)) ||
                 (mtype && str_find_ci(mtype, t->text)) || text_in_tensor(out, t->text);
            break;
        case T_TYPE: ok = mtype && !strcasecmp(mtype, t->text); break;
        case T_NAME: ok = (m->path && str_find_ci(m->path, t->text)) || (m->name && str_find_ci(m->name, t->text)); break;
        case T_SHAPE: ok = shape_is(out, t); break;
        case T_OUT: ok = channels(out, &c) && compare(c, t->cmp, t->v[0]); break;
        case T_PARAMS: ok = compare((double)m->params, t->cmp, t->v[0]); break;
        default: ok = false; break; /* op:, in:, attributes: nodes only */
        }
        if (!ok) return false;
    }
    return true;
}
