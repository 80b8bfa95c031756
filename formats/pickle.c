/* pickle: the safe unpickler (see pickle.h).  One pass over the opcodes with a value
 * stack, a mark stack and a memo; every read is bounds-checked against the input and
 * nothing is ever called — REDUCE and friends only record what would have been called. */
#include "formats/pickle.h"

#include "engine/core/hash.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the allowlist ----------------------------------------------------------------- */

/* Exact module.name pairs a checkpoint may reference. */
static const struct {
    const char *module, *name;
} allowed_exact[] = {
    {"torch._utils", "_rebuild_tensor_v2"},
    {"torch._utils", "_rebuild_parameter"},
    {"torch._utils", "_rebuild_parameter_with_state"},
    {"torch._tensor", "_rebuild_from_type_v2"},
    {"torch", "FloatStorage"},
    {"torch", "HalfStorage"},
    {"torch", "BFloat16Storage"},
    {"torch", "LongStorage"},
    {"torch", "BoolStorage"},
    {"torch", "IntStorage"},
    {"torch", "DoubleStorage"},
    {"torch", "ByteStorage"},
    {"torch", "CharStorage"},
    {"torch", "ShortStorage"},
    {"torch", "Size"},
    {"torch", "Tensor"}, /* the type argument of _rebuild_from_type_v2 */
    {"torch._tensor", "Tensor"},
    {"collections", "OrderedDict"},
    {"builtins", "set"},
    {"__builtin__", "set"},
    {"builtins", "frozenset"},
    {"__builtin__", "frozenset"},
    /* Segment stores `detect = Detect.forward` as getattr(Detect, 'forward'): it stays
     * a recorded object; a REDUCE whose callable is not a class reference is refused, so
     * the result of getattr can never be called either. */
    {"builtins", "getattr"},
    {"__builtin__", "getattr"},
    {"ultralytics.utils", "IterableSimpleNamespace"},
    /* the one Ultralytics module class whose name is not capitalised (YOLOv10's head) */
    {"ultralytics.nn.modules.head", "v10Detect"},
    {"ultralytics.nn.modules", "v10Detect"},
};

/* Module prefixes whose *classes* (capitalised names) are plain module definitions. */
static const char *const allowed_class_modules[] = {
    "torch.nn", "torch.nn.modules", "torchvision", "ultralytics.nn.modules", "ultralytics.nn.tasks",
};

static bool is_identifier(const char *s, bool dots)
{
    if (!*s) return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9') ||
                  (dots && c == '.');
        if (!ok) return false;
    }
    return !(s[0] >= '0' && s[0] <= '9') && s[0] != '.';
}

/* module == prefix, or module starts with "prefix." */
static bool module_under(const char *module, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(module, prefix, n) && (module[n] == '\0' || module[n] == '.');
}

bool pickle_class_allowed(const char *module, const char *name)
{
    if (!module || !name || !is_identifier(module, true) || !is_identifier(name, false)) return false;
    for (size_t i = 0; i < ARRAY_LEN(allowed_exact); i++)
        if (!strcmp(module, allowed_exact[i].module) && !strcmp(name, allowed_exact[i].name)) return true;
    if (!(name[0] >= 'A' && name[0] <= 'Z')) return false; /* classes only, never functions */
    if (module_under(module, "torch.nn.functional") || module_under(module, "torchvision.io") ||
        module_under(module, "torchvision.datasets"))
        return false;
    for (size_t i = 0; i < ARRAY_LEN(allowed_class_modules); i++)
        if (module_under(module, allowed_class_modules[i])) return true;
    return false;
}

const char *pickle_kind_name(PickleKind k)
{
    static const char *const names[PK_KIND_COUNT] = {
        [PK_NONE] = "None",   [PK_BOOL] = "bool",   [PK_INT] = "int",          [PK_FLOAT] = "float",
        [PK_STR] = "str",     [PK_BYTES] = "bytes", [PK_TUPLE] = "tuple",      [PK_LIST] = "list",
        [PK_DICT] = "dict",   [PK_SET] = "set",     [PK_FROZENSET] = "frozenset", [PK_CLASS] = "class",
        [PK_OBJECT] = "object", [PK_PERSID] = "persistent id",
    };
    return (unsigned)k < PK_KIND_COUNT ? names[k] : "?";
}

/* ---- the parser state ---------------------------------------------------------------- */

/* Hard limits.  The input length bounds everything already (each opcode adds at most a
 * few values); these keep a hostile pickle from asking for absurd tables. */
enum {
    MAX_STACK = 1 << 22,
    MAX_MARKS = 1 << 20,
    MAX_VALUES = 1 << 22, /* ~200 MB of values; a large checkpoint's data.pkl makes ~50k */
    DICT_INDEX_FROM = 8, /* dicts with more entries get a hash index */
};

typedef struct {
    const uint8_t *buf;
    size_t len, pos, op_pos;
    Arena *arena;
    char *err;
    size_t errlen;
    bool failed;
    PickleValue **stack;
    size_t sp, stack_cap;
    size_t *marks;
    size_t n_marks, marks_cap;
    PickleValue **memo;
    size_t memo_cap, memo_count, memo_limit;
    PickleValue *none, *true_v, *false_v;
    size_t n_values;
    const char *extra_class_module; /* pickle_load_allowing: an extra class module prefix */
} Parser;

__attribute__((format(printf, 2, 3))) static void fail(Parser *p, const char *fmt, ...)
{
    if (p->failed) return;
    p->failed = true;
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err_set(p->err, p->errlen, "offset %zu: %s", p->op_pos, msg);
}

static PickleValue *new_value(Parser *p, PickleKind kind)
{
    /* past the limit the value is still made (callers need no NULL checks) but the parse
     * stops at the end of this opcode */
    if (++p->n_values == MAX_VALUES) fail(p, "more than %d values", MAX_VALUES);
    PickleValue *v = arena_alloc(p->arena, sizeof *v);
    v->kind = kind;
    return v;
}

/* ---- reading ---- */

static bool need(Parser *p, size_t n, const char *what)
{
    if (p->len - p->pos < n) {
        fail(p, "truncated %s (needs %zu bytes, %zu left)", what, n, p->len - p->pos);
        return false;
    }
    return true;
}

static uint64_t read_le(Parser *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p->buf[p->pos + (size_t)i] << (8 * i);
    p->pos += (size_t)n;
    return v;
}

/* A text argument ending in '\n' (protocol 0 opcodes).  Returns its start and length
 * (without the newline) or NULL. */
static const char *read_line(Parser *p, size_t *n, const char *what)
{
    const uint8_t *start = p->buf + p->pos;
    const uint8_t *nl = memchr(start, '\n', p->len - p->pos);
    if (!nl) {
        fail(p, "truncated %s (no end of line)", what);
        return NULL;
    }
    *n = (size_t)(nl - start);
    p->pos += *n + 1;
    return (const char *)start;
}

/* ---- the stack ---- */

static void push(Parser *p, PickleValue *v)
{
    if (p->failed) return;
    if (p->sp == p->stack_cap) {
        if (p->stack_cap >= MAX_STACK) {
            fail(p, "stack deeper than %d values", MAX_STACK);
            return;
        }
        p->stack_cap = p->stack_cap ? p->stack_cap * 2 : 256;
        p->stack = xrealloc(p->stack, p->stack_cap * sizeof *p->stack);
    }
    p->stack[p->sp++] = v;
}

static size_t stack_floor(const Parser *p)
{
    return p->n_marks ? p->marks[p->n_marks - 1] : 0;
}

static PickleValue *pop(Parser *p, const char *what)
{
    if (p->failed) return NULL;
    if (p->sp <= stack_floor(p)) {
        fail(p, "%s: stack underflow", what);
        return NULL;
    }
    return p->stack[--p->sp];
}

static PickleValue *top(Parser *p, const char *what)
{
    if (p->failed) return NULL;
    if (p->sp <= stack_floor(p)) {
        fail(p, "%s: stack underflow", what);
        return NULL;
    }
    return p->stack[p->sp - 1];
}

static void push_mark(Parser *p)
{
    if (p->n_marks == p->marks_cap) {
        if (p->marks_cap >= MAX_MARKS) {
            fail(p, "more than %d nested marks", MAX_MARKS);
            return;
        }
        p->marks_cap = p->marks_cap ? p->marks_cap * 2 : 64;
        p->marks = xrealloc(p->marks, p->marks_cap * sizeof *p->marks);
    }
    p->marks[p->n_marks++] = p->sp;
}

/* Pop back to the last mark: the items above it are stack[*first .. *first + *count).
 * They stay readable until the next push. */
static bool pop_mark(Parser *p, size_t *first, size_t *count, const char *what)
{
    if (p->failed) return false;
    if (!p->n_marks) {
        fail(p, "%s without a MARK", what);
        return false;
    }
    size_t m = p->marks[--p->n_marks];
    *first = m;
    *count = p->sp - m;
    p->sp = m;
    return true;
}

/* ---- containers ---- */

static void seq_push(Parser *p, PickleValue *seq, PickleValue *item)
{
    if (seq->seq.n == seq->seq.cap) {
        size_t cap = seq->seq.cap ? seq->seq.cap * 2 : 4;
        PickleValue **items = arena_alloc(p->arena, cap * sizeof *items);
        if (seq->seq.n) memcpy(items, seq->seq.items, seq->seq.n * sizeof *items);
        seq->seq.items = items;
        seq->seq.cap = cap;
    }
    seq->seq.items[seq->seq.n++] = item;
}

static PickleValue *new_seq(Parser *p, PickleKind kind, PickleValue **items, size_t n)
{
    PickleValue *v = new_value(p, kind);
    if (n) {
        v->seq.items = arena_alloc(p->arena, n * sizeof *items);
        memcpy(v->seq.items, items, n * sizeof *items);
    }
    v->seq.n = v->seq.cap = n;
    return v;
}

/* Keys compare the way Python's do for the kinds a checkpoint uses: text by content,
 * numbers by value (1 == 1.0 == True), None with None, anything else by identity. */
static bool is_number(const PickleValue *v)
{
    return v->kind == PK_INT || v->kind == PK_BOOL || v->kind == PK_FLOAT;
}

static double number_of(const PickleValue *v)
{
    return v->kind == PK_FLOAT ? v->f : v->kind == PK_INT ? (double)v->i : (double)v->b;
}

static bool key_equal(const PickleValue *a, const PickleValue *b)
{
    if (a == b) return true;
    if ((a->kind == PK_STR || a->kind == PK_BYTES) && a->kind == b->kind)
        return a->str.len == b->str.len && !memcmp(a->str.s, b->str.s, a->str.len);
    if (is_number(a) && is_number(b)) {
        if (a->kind != PK_FLOAT && b->kind != PK_FLOAT)
            return (a->kind == PK_INT ? a->i : a->b) == (b->kind == PK_INT ? b->i : b->b);
        return number_of(a) == number_of(b);
    }
    return a->kind == PK_NONE && b->kind == PK_NONE;
}

/* The keyed hash (engine/core/hash.h) of a key's value as key_equal compares it: numbers by
 * value, so 1, 1.0 and True share a hash; text and bytes by content. */
static uint64_t key_hash(const PickleValue *k)
{
    int64_t iv;
    switch (k->kind) {
    case PK_STR:
    case PK_BYTES:
        /* a key string is hashed once: the memo shares it among every dict that uses it */
        if (!k->str.hash) ((PickleValue *)k)->str.hash = (hash_bytes(k->str.s, k->str.len) ^ (uint64_t)k->kind) | 1;
        return k->str.hash;
    case PK_INT: iv = k->i; break;
    case PK_BOOL: iv = k->b; break;
    case PK_FLOAT:
        if (k->f == floor(k->f) && fabs(k->f) < 9.2e18) {
            iv = (int64_t)k->f;
            break;
        }
        return hash_bytes(&k->f, sizeof k->f) ^ 0x5bd1e995u;
    case PK_NONE: return 0x9e3779b97f4a7c15ULL;
    default: {
        uintptr_t id = (uintptr_t)k;
        return hash_bytes(&id, sizeof id) ^ 0x27d4eb2fu;
    }
    }
    return hash_bytes(&iv, sizeof iv);
}

/* The index probes linearly from a key's home slot, never more than dict.max_probe slots
 * (an insertion that would go past HASH_MAX_PROBE doubles the index instead): lookups stay
 * bounded whatever keys the file holds. */
static long index_find(const PickleValue *d, const PickleValue *key)
{
    size_t mask = d->dict.index_cap - 1, i = (size_t)key_hash(key) & mask;
    for (size_t dist = 0; dist <= d->dict.max_probe && d->dict.index[i]; dist++, i = (i + 1) & mask)
        if (key_equal(d->dict.keys[d->dict.index[i] - 1], key)) return (long)d->dict.index[i] - 1;
    return -1;
}

/* Index entry e (whose key is not in the index yet); false when that would need a probe
 * past HASH_MAX_PROBE while the index could still grow. */
static bool index_put(PickleValue *d, size_t e)
{
    size_t mask = d->dict.index_cap - 1, i = (size_t)key_hash(d->dict.keys[e]) & mask, dist = 0;
    while (d->dict.index[i]) i = (i + 1) & mask, dist++;
    if (dist > HASH_MAX_PROBE && d->dict.index_cap < 8 * (d->dict.n + 1)) return false;
    d->dict.index[i] = (uint32_t)(e + 1);
    if (dist > d->dict.max_probe) d->dict.max_probe = (uint32_t)dist;
    return true;
}

static void index_rebuild(Parser *p, PickleValue *d, size_t cap)
{
    for (;;) {
        d->dict.index = arena_alloc(p->arena, cap * sizeof *d->dict.index);
        d->dict.index_cap = cap;
        d->dict.max_probe = 0;
        size_t e = 0;
        while (e < d->dict.n && index_put(d, e)) e++;
        if (e == d->dict.n) return;
        cap *= 2;
    }
}

/* Entry number of key, or -1. */
static long dict_find(const PickleValue *d, const PickleValue *key)
{
    if (d->dict.index) return index_find(d, key);
    for (size_t e = d->dict.n; e-- > 0;)
        if (key_equal(d->dict.keys[e], key)) return (long)e;
    return -1;
}

static void dict_set(Parser *p, PickleValue *d, PickleValue *key, PickleValue *val)
{
    long e = dict_find(d, key);
    if (e >= 0) { /* Python keeps the first key's position and takes the new value */
        d->dict.vals[e] = val;
        return;
    }
    if (d->dict.n >= UINT32_MAX - 1) {
        fail(p, "dict too large");
        return;
    }
    if (d->dict.n == d->dict.cap) {
        size_t cap = d->dict.cap ? d->dict.cap * 2 : 4;
        PickleValue **keys = arena_alloc(p->arena, cap * sizeof *keys);
        PickleValue **vals = arena_alloc(p->arena, cap * sizeof *vals);
        if (d->dict.n) {
            memcpy(keys, d->dict.keys, d->dict.n * sizeof *keys);
            memcpy(vals, d->dict.vals, d->dict.n * sizeof *vals);
        }
        d->dict.keys = keys;
        d->dict.vals = vals;
        d->dict.cap = cap;
    }
    d->dict.keys[d->dict.n] = key;
    d->dict.vals[d->dict.n] = val;
    d->dict.n++;
    if (d->dict.index) {
        if (d->dict.n * 2 > d->dict.index_cap || !index_put(d, d->dict.n - 1)) index_rebuild(p, d, d->dict.index_cap * 2);
    } else if (d->dict.n > DICT_INDEX_FROM) {
        index_rebuild(p, d, 32);
    }
}

/* ---- values ---- */

static PickleValue *new_int(Parser *p, int64_t i)
{
    PickleValue *v = new_value(p, PK_INT);
    v->i = i;
    return v;
}

static PickleValue *new_float(Parser *p, double f)
{
    PickleValue *v = new_value(p, PK_FLOAT);
    v->f = f;
    return v;
}

static PickleValue *new_text(Parser *p, PickleKind kind, const char *s, size_t n)
{
    PickleValue *v = new_value(p, kind);
    v->str.s = arena_strndup(p->arena, s, n);
    v->str.len = n;
    return v;
}

/* "module.name" made printable (NUL and control bytes shown as '?') and short. */
static void class_label(const char *module, size_t mlen, const char *name, size_t nlen, char *out, size_t outlen)
{
    size_t j = 0, limit = outlen - 4;
    for (size_t part = 0; part < 2; part++) {
        const char *s = part ? name : module;
        size_t n = part ? nlen : mlen;
        if (part && j < limit) out[j++] = '.';
        for (size_t i = 0; i < n && j < limit; i++) {
            unsigned char c = (unsigned char)s[i];
            out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
        }
    }
    if (j >= limit && mlen + nlen + 1 > j) memcpy(out + j, "...", 3), j += 3;
    out[j] = '\0';
}

/* The pickle_load_allowing allowance: a class (capitalised) under the extra module prefix. */
static bool extra_allowed(const Parser *p, const char *module, const char *name)
{
    return p->extra_class_module && is_identifier(module, true) && is_identifier(name, false) && name[0] >= 'A' &&
           name[0] <= 'Z' && module_under(module, p->extra_class_module);
}

static PickleValue *new_class(Parser *p, const char *module, size_t mlen, const char *name, size_t nlen)
{
    char *m = arena_strndup(p->arena, module, mlen);
    char *n = arena_strndup(p->arena, name, nlen);
    /* an embedded NUL would make the C string differ from what Python would import */
    if (strlen(m) != mlen || strlen(n) != nlen || !(pickle_class_allowed(m, n) || extra_allowed(p, m, n))) {
        char label[200];
        class_label(module, mlen, name, nlen, label, sizeof label);
        fail(p, "refuses to load class '%s' (not on the allowlist)", label);
        return NULL;
    }
    if (!strcmp(m, "__builtin__")) m = "builtins"; /* Python 2 spelling */
    PickleValue *v = new_value(p, PK_CLASS);
    v->cls.module = m;
    v->cls.name = n;
    return v;
}

static bool class_is(const PickleValue *c, const char *module, const char *name)
{
    return c && c->kind == PK_CLASS && !strcmp(c->cls.module, module) && !strcmp(c->cls.name, name);
}

/* What calling cls(*args, **kwargs) would have built — recorded, never called.  A few
 * containers become the plain values they stand for. */
static PickleValue *make_object(Parser *p, PickleValue *cls, PickleValue *args, PickleValue *kwargs,
                                const char *what)
{
    if (p->failed) return NULL;
    if (!cls || cls->kind != PK_CLASS) {
        fail(p, "%s: calls a %s, not a class reference", what, cls ? pickle_kind_name(cls->kind) : "nothing");
        return NULL;
    }
    if (!args || args->kind != PK_TUPLE) {
        fail(p, "%s: arguments are a %s, not a tuple", what, args ? pickle_kind_name(args->kind) : "nothing");
        return NULL;
    }
    bool no_kwargs = !kwargs || (kwargs->kind == PK_DICT && kwargs->dict.n == 0);
    if (class_is(cls, "collections", "OrderedDict") && no_kwargs && args->seq.n <= 1) {
        PickleValue *d = new_value(p, PK_DICT);
        if (args->seq.n == 1) {
            PickleValue *src = args->seq.items[0];
            if (src->kind == PK_DICT) {
                for (size_t i = 0; i < src->dict.n && !p->failed; i++) dict_set(p, d, src->dict.keys[i], src->dict.vals[i]);
            } else if (src->kind == PK_LIST || src->kind == PK_TUPLE) {
                for (size_t i = 0; i < src->seq.n && !p->failed; i++) {
                    PickleValue *pair = src->seq.items[i];
                    if ((pair->kind != PK_TUPLE && pair->kind != PK_LIST) || pair->seq.n != 2) {
                        fail(p, "%s: OrderedDict item %zu is not a (key, value) pair", what, i);
                        return NULL;
                    }
                    dict_set(p, d, pair->seq.items[0], pair->seq.items[1]);
                }
            } else {
                fail(p, "%s: OrderedDict from a %s", what, pickle_kind_name(src->kind));
                return NULL;
            }
        }
        return d;
    }
    bool is_set = class_is(cls, "builtins", "set"), is_frozen = class_is(cls, "builtins", "frozenset");
    if ((is_set || is_frozen) && no_kwargs && args->seq.n <= 1) {
        PickleValue *s = new_value(p, is_set ? PK_SET : PK_FROZENSET);
        if (args->seq.n == 1) {
            PickleValue *src = args->seq.items[0];
            if (src->kind != PK_LIST && src->kind != PK_TUPLE && src->kind != PK_SET && src->kind != PK_FROZENSET) {
                fail(p, "%s: set from a %s", what, pickle_kind_name(src->kind));
                return NULL;
            }
            for (size_t i = 0; i < src->seq.n; i++) seq_push(p, s, src->seq.items[i]);
        }
        return s;
    }
    PickleValue *o = new_value(p, PK_OBJECT);
    o->obj.cls = cls;
    o->obj.args = args;
    o->obj.kwargs = kwargs;
    return o;
}

/* ---- memo ---- */

static void memo_put(Parser *p, uint64_t idx, PickleValue *v)
{
    if (p->failed || !v) return;
    if (idx >= p->memo_limit) {
        fail(p, "memo index %llu out of range", (unsigned long long)idx);
        return;
    }
    if (idx >= p->memo_cap) {
        size_t cap = p->memo_cap ? p->memo_cap : 256;
        while (cap <= idx) cap *= 2;
        if (cap > p->memo_limit) cap = p->memo_limit;
        p->memo = xrealloc(p->memo, cap * sizeof *p->memo);
        memset(p->memo + p->memo_cap, 0, (cap - p->memo_cap) * sizeof *p->memo);
        p->memo_cap = cap;
    }
    if (!p->memo[idx]) p->memo_count++;
    p->memo[idx] = v;
}

static PickleValue *memo_get(Parser *p, uint64_t idx)
{
    if (idx >= p->memo_cap || !p->memo[idx]) {
        fail(p, "memo entry %llu used before it was stored", (unsigned long long)idx);
        return NULL;
    }
    return p->memo[idx];
}

/* ---- protocol-0 text arguments ---- */

static bool parse_decimal(Parser *p, const char *s, size_t n, bool allow_l, int64_t *out, const char *what)
{
    char tmp[32];
    if (allow_l && n && s[n - 1] == 'L') n--;
    if (n == 0 || n >= sizeof tmp) {
        fail(p, "%s: bad or out-of-range integer", what);
        return false;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (errno || *end || end == tmp) {
        fail(p, "%s: bad or out-of-range integer", what);
        return false;
    }
    *out = v;
    return true;
}

static void put_utf8(uint8_t *out, size_t *o, uint32_t cp)
{
    if (cp > 0x10ffff) cp = 0xfffd;
    if (cp < 0x80) out[(*o)++] = (uint8_t)cp;
    else if (cp < 0x800) {
        out[(*o)++] = (uint8_t)(0xc0 | (cp >> 6));
        out[(*o)++] = (uint8_t)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*o)++] = (uint8_t)(0xe0 | (cp >> 12));
        out[(*o)++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (uint8_t)(0x80 | (cp & 0x3f));
    } else {
        out[(*o)++] = (uint8_t)(0xf0 | (cp >> 18));
        out[(*o)++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        out[(*o)++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (uint8_t)(0x80 | (cp & 0x3f));
    }
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Read n hex digits at s[i..]; -1 when they are not all there. */
static long read_hex(const char *s, size_t len, size_t i, int n)
{
    if (len - i < (size_t)n) return -1;
    long v = 0;
    for (int k = 0; k < n; k++) {
        int d = hex_digit(s[i + (size_t)k]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* UNICODE argument: raw-unicode-escape (only \uXXXX and \UXXXXXXXX are escapes; other
 * bytes are Latin-1 code points). */
static PickleValue *decode_raw_unicode(Parser *p, const char *s, size_t n)
{
    size_t cap;
    if (!size_mul(n, 4, &cap)) return NULL;
    uint8_t *out = arena_alloc(p->arena, cap + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
            int digits = s[i + 1] == 'u' ? 4 : 8;
            long cp = read_hex(s, n, i + 2, digits);
            if (cp < 0) {
                fail(p, "UNICODE: bad \\%c escape", s[i + 1]);
                return NULL;
            }
            put_utf8(out, &o, (uint32_t)cp);
            i += 1 + (size_t)digits;
        } else {
            put_utf8(out, &o, c);
        }
    }
    PickleValue *v = new_value(p, PK_STR);
    out[o] = '\0';
    v->str.s = (const char *)out;
    v->str.len = o;
    return v;
}

/* STRING argument: a Python 2 str literal in quotes with backslash escapes. */
static PickleValue *decode_quoted(Parser *p, const char *s, size_t n)
{
    if (n < 2 || (s[0] != '\'' && s[0] != '"') || s[n - 1] != s[0]) {
        fail(p, "STRING: argument is not quoted");
        return NULL;
    }
    s++;
    n -= 2;
    char *out = arena_alloc(p->arena, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 == n) {
            out[o++] = s[i];
            continue;
        }
        char e = s[++i];
        long x;
        switch (e) {
        case 'n': out[o++] = '\n'; break;
        case 't': out[o++] = '\t'; break;
        case 'r': out[o++] = '\r'; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            int v = 0, k = 0;
            while (k < 3 && i < n && s[i] >= '0' && s[i] <= '7') v = v * 8 + (s[i++] - '0'), k++;
            i--;
            out[o++] = (char)(v & 0xff);
            break;
        }
        case 'x':
            x = read_hex(s, n, i + 1, 2);
            if (x < 0) {
                fail(p, "STRING: bad \\x escape");
                return NULL;
            }
            out[o++] = (char)x;
            i += 2;
            break;
        default: out[o++] = e; break; /* \\ \' \" and unknown escapes keep the character */
        }
    }
    PickleValue *v = new_value(p, PK_STR);
    out[o] = '\0';
    v->str.s = out;
    v->str.len = o;
    return v;
}

/* LONG1 / LONG4 payload: little-endian two's complement, refused beyond int64. */
static PickleValue *decode_long(Parser *p, size_t n)
{
    const uint8_t *b = p->buf + p->pos;
    p->pos += n;
    if (n == 0) return new_int(p, 0);
    bool negative = b[n - 1] & 0x80;
    for (size_t i = 8; i < n; i++) {
        if (b[i] != (negative ? 0xff : 0x00)) {
            fail(p, "integer does not fit in 64 bits");
            return NULL;
        }
    }
    size_t used = n < 8 ? n : 8;
    uint64_t u = 0;
    for (size_t i = 0; i < used; i++) u |= (uint64_t)b[i] << (8 * i);
    if (n > 8 && ((u >> 63) != (uint64_t)negative)) {
        fail(p, "integer does not fit in 64 bits");
        return NULL;
    }
    if (negative && used < 8) u |= ~(uint64_t)0 << (8 * used);
    int64_t v;
    memcpy(&v, &u, sizeof v);
    return new_int(p, v);
}

/* ---- the opcode loop ---- */

static void op_setitems(Parser *p, size_t first, size_t count, const char *what)
{
    PickleValue *d = top(p, what);
    if (!d) return;
    if (d->kind != PK_DICT) {
        fail(p, "%s on a %s", what, pickle_kind_name(d->kind));
        return;
    }
    if (count % 2) {
        fail(p, "%s with an odd number of items", what);
        return;
    }
    for (size_t i = 0; i < count && !p->failed; i += 2) dict_set(p, d, p->stack[first + i], p->stack[first + i + 1]);
}

static void op_appends(Parser *p, size_t first, size_t count, PickleKind want, const char *what)
{
    PickleValue *l = top(p, what);
    if (!l) return;
    if (l->kind != want) {
        fail(p, "%s on a %s", what, pickle_kind_name(l->kind));
        return;
    }
    for (size_t i = 0; i < count; i++) seq_push(p, l, p->stack[first + i]);
}

static void op_build(Parser *p)
{
    PickleValue *state = pop(p, "BUILD");
    PickleValue *target = top(p, "BUILD");
    if (!target) return;
    if (target->kind != PK_OBJECT) {
        /* instance attributes of a dict subclass (a state_dict's _metadata): a plain
         * dict has nowhere to keep them, and nothing here needs them */
        if (state->kind == PK_NONE || (target->kind == PK_DICT && state->kind == PK_DICT)) return;
        fail(p, "BUILD on a %s", pickle_kind_name(target->kind));
        return;
    }
    PickleValue *old = target->obj.state;
    if (old && old->kind == PK_DICT && state->kind == PK_DICT) { /* __dict__.update() */
        for (size_t i = 0; i < state->dict.n && !p->failed; i++) dict_set(p, old, state->dict.keys[i], state->dict.vals[i]);
        return;
    }
    target->obj.state = state;
}

static bool step(Parser *p, PickleValue **result)
{
    p->op_pos = p->pos;
    if (!need(p, 1, "pickle (no STOP opcode)")) return false;
    uint8_t op = p->buf[p->pos++];
    size_t first, count, n;
    const char *line, *line2;
    size_t n2;
    int64_t iv;
    PickleValue *v, *w, *x;

    switch (op) {
    case 0x80: /* PROTO */
        if (!need(p, 1, "PROTO")) return false;
        if (p->buf[p->pos] > 5) {
            fail(p, "unsupported pickle protocol %d", p->buf[p->pos]);
            return false;
        }
        p->pos++;
        break;
    case 0x95: /* FRAME: framing is only a hint for readers; skip its length */
        if (!need(p, 8, "FRAME")) return false;
        p->pos += 8;
        break;
    case '.': /* STOP */
        *result = pop(p, "STOP");
        return false;
    case '(': push_mark(p); break;
    case '0': /* POP: the top value, or a mark that has nothing above it */
        if (p->sp > stack_floor(p)) p->sp--;
        else if (p->n_marks) p->n_marks--;
        else fail(p, "POP: stack underflow");
        break;
    case '1': pop_mark(p, &first, &count, "POP_MARK"); break;
    case '2': /* DUP */
        if ((v = top(p, "DUP"))) push(p, v);
        break;

    /* -- scalars -- */
    case 'N': push(p, p->none); break;
    case 0x88: push(p, p->true_v); break;
    case 0x89: push(p, p->false_v); break;
    case 'J':
        if (!need(p, 4, "BININT")) return false;
        push(p, new_int(p, (int32_t)(uint32_t)read_le(p, 4)));
        break;
    case 'K':
        if (!need(p, 1, "BININT1")) return false;
        push(p, new_int(p, (int64_t)read_le(p, 1)));
        break;
    case 'M':
        if (!need(p, 2, "BININT2")) return false;
        push(p, new_int(p, (int64_t)read_le(p, 2)));
        break;
    case 0x8a: /* LONG1 */
        if (!need(p, 1, "LONG1")) return false;
        n = (size_t)read_le(p, 1);
        if (!need(p, n, "LONG1")) return false;
        push(p, decode_long(p, n));
        break;
    case 0x8b: /* LONG4 */
        if (!need(p, 4, "LONG4")) return false;
        iv = (int32_t)(uint32_t)read_le(p, 4);
        if (iv < 0) {
            fail(p, "LONG4: negative length");
            return false;
        }
        if (!need(p, (size_t)iv, "LONG4")) return false;
        push(p, decode_long(p, (size_t)iv));
        break;
    case 'I': /* INT: decimal text; "00" / "01" are False / True */
        if (!(line = read_line(p, &n, "INT"))) return false;
        if (n == 2 && line[0] == '0' && (line[1] == '0' || line[1] == '1')) {
            push(p, line[1] == '1' ? p->true_v : p->false_v);
            break;
        }
        if (parse_decimal(p, line, n, false, &iv, "INT")) push(p, new_int(p, iv));
        break;
    case 'L':
        if (!(line = read_line(p, &n, "LONG"))) return false;
        if (parse_decimal(p, line, n, true, &iv, "LONG")) push(p, new_int(p, iv));
        break;
    case 'G': { /* BINFLOAT: big-endian double */
        if (!need(p, 8, "BINFLOAT")) return false;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++) bits = bits << 8 | p->buf[p->pos++];
        double d;
        memcpy(&d, &bits, sizeof d);
        push(p, new_float(p, d));
        break;
    }
    case 'F': {
        if (!(line = read_line(p, &n, "FLOAT"))) return false;
        char tmp[64];
        if (n == 0 || n >= sizeof tmp) {
            fail(p, "FLOAT: bad number");
            return false;
        }
        memcpy(tmp, line, n);
        tmp[n] = '\0';
        char *end;
        double d = strtod(tmp, &end);
        if (*end) {
            fail(p, "FLOAT: bad number");
            return false;
        }
        push(p, new_float(p, d));
        break;
    }

    /* -- text and bytes -- */
    case 0x8c: /* SHORT_BINUNICODE */
    case 'U':  /* SHORT_BINSTRING */
    case 'C':  /* SHORT_BINBYTES */
        if (!need(p, 1, "string length")) return false;
        n = (size_t)read_le(p, 1);
        if (!need(p, n, "string")) return false;
        push(p, new_text(p, op == 'C' ? PK_BYTES : PK_STR, (const char *)p->buf + p->pos, n));
        p->pos += n;
        break;
    case 'X': /* BINUNICODE */
    case 'T': /* BINSTRING */
    case 'B': /* BINBYTES */
        if (!need(p, 4, "string length")) return false;
        n = (size_t)read_le(p, 4);
        if (op == 'T' && n > INT32_MAX) {
            fail(p, "BINSTRING: negative length");
            return false;
        }
        if (!need(p, n, op == 'X' ? "BINUNICODE" : op == 'T' ? "BINSTRING" : "BINBYTES")) return false;
        push(p, new_text(p, op == 'B' ? PK_BYTES : PK_STR, (const char *)p->buf + p->pos, n));
        p->pos += n;
        break;
    case 0x8d: /* BINUNICODE8 */
    case 0x8e: /* BINBYTES8 */
    case 0x96: { /* BYTEARRAY8 */
        if (!need(p, 8, "string length")) return false;
        uint64_t n64 = read_le(p, 8);
        if (n64 > p->len - p->pos) {
            fail(p, "truncated string (%llu bytes announced, %zu left)", (unsigned long long)n64, p->len - p->pos);
            return false;
        }
        n = (size_t)n64;
        push(p, new_text(p, op == 0x8d ? PK_STR : PK_BYTES, (const char *)p->buf + p->pos, n));
        p->pos += n;
        break;
    }
    case 'V':
        if (!(line = read_line(p, &n, "UNICODE"))) return false;
        push(p, decode_raw_unicode(p, line, n));
        break;
    case 'S':
        if (!(line = read_line(p, &n, "STRING"))) return false;
        if (n && line[n - 1] == '\r') n--;
        push(p, decode_quoted(p, line, n));
        break;

    /* -- containers -- */
    case ')': push(p, new_seq(p, PK_TUPLE, NULL, 0)); break;
    case ']': push(p, new_value(p, PK_LIST)); break;
    case '}': push(p, new_value(p, PK_DICT)); break;
    case 0x8f: push(p, new_value(p, PK_SET)); break;
    case 0x85: case 0x86: case 0x87: { /* TUPLE1..3 */
        size_t k = (size_t)(op - 0x84);
        if (p->sp < stack_floor(p) + k) {
            fail(p, "TUPLE%zu: stack underflow", k);
            return false;
        }
        p->sp -= k;
        push(p, new_seq(p, PK_TUPLE, p->stack + p->sp, k));
        break;
    }
    case 't':
        if (pop_mark(p, &first, &count, "TUPLE")) push(p, new_seq(p, PK_TUPLE, p->stack + first, count));
        break;
    case 'l':
        if (pop_mark(p, &first, &count, "LIST")) push(p, new_seq(p, PK_LIST, p->stack + first, count));
        break;
    case 0x91:
        if (pop_mark(p, &first, &count, "FROZENSET")) push(p, new_seq(p, PK_FROZENSET, p->stack + first, count));
        break;
    case 'd':
        if (pop_mark(p, &first, &count, "DICT")) {
            if (count % 2) {
                fail(p, "DICT with an odd number of items");
                return false;
            }
            v = new_value(p, PK_DICT);
            for (size_t i = 0; i < count && !p->failed; i += 2) dict_set(p, v, p->stack[first + i], p->stack[first + i + 1]);
            push(p, v);
        }
        break;
    case 'a':
        /* the popped value stays in its slot, which op_appends reads */
        if (pop(p, "APPEND")) op_appends(p, p->sp, 1, PK_LIST, "APPEND");
        break;
    case 'e':
        if (pop_mark(p, &first, &count, "APPENDS")) op_appends(p, first, count, PK_LIST, "APPENDS");
        break;
    case 0x90:
        if (pop_mark(p, &first, &count, "ADDITEMS")) op_appends(p, first, count, PK_SET, "ADDITEMS");
        break;
    case 's':
        if (p->sp < stack_floor(p) + 2) {
            fail(p, "SETITEM: stack underflow");
            return false;
        }
        p->sp -= 2;
        op_setitems(p, p->sp, 2, "SETITEM");
        break;
    case 'u':
        if (pop_mark(p, &first, &count, "SETITEMS")) op_setitems(p, first, count, "SETITEMS");
        break;

    /* -- memo -- */
    case 'q':
        if (!need(p, 1, "BINPUT")) return false;
        memo_put(p, read_le(p, 1), top(p, "BINPUT"));
        break;
    case 'r':
        if (!need(p, 4, "LONG_BINPUT")) return false;
        memo_put(p, read_le(p, 4), top(p, "LONG_BINPUT"));
        break;
    case 'p':
        if (!(line = read_line(p, &n, "PUT"))) return false;
        if (parse_decimal(p, line, n, false, &iv, "PUT")) {
            if (iv < 0) fail(p, "PUT: negative memo index");
            else memo_put(p, (uint64_t)iv, top(p, "PUT"));
        }
        break;
    case 0x94: memo_put(p, p->memo_count, top(p, "MEMOIZE")); break;
    case 'h':
        if (!need(p, 1, "BINGET")) return false;
        push(p, memo_get(p, read_le(p, 1)));
        break;
    case 'j':
        if (!need(p, 4, "LONG_BINGET")) return false;
        push(p, memo_get(p, read_le(p, 4)));
        break;
    case 'g':
        if (!(line = read_line(p, &n, "GET"))) return false;
        if (parse_decimal(p, line, n, false, &iv, "GET")) {
            if (iv < 0) fail(p, "GET: negative memo index");
            else push(p, memo_get(p, (uint64_t)iv));
        }
        break;

    /* -- classes and objects -- */
    case 'c': /* GLOBAL module\nname\n */
        if (!(line = read_line(p, &n, "GLOBAL")) || !(line2 = read_line(p, &n2, "GLOBAL"))) return false;
        push(p, new_class(p, line, n, line2, n2));
        break;
    case 0x93: /* STACK_GLOBAL */
        w = pop(p, "STACK_GLOBAL");
        v = pop(p, "STACK_GLOBAL");
        if (!v) return false;
        if (v->kind != PK_STR || w->kind != PK_STR) {
            fail(p, "STACK_GLOBAL: module and name are not strings");
            return false;
        }
        push(p, new_class(p, v->str.s, v->str.len, w->str.s, w->str.len));
        break;
    case 'i': /* INST module\nname\n: MARK args... */
        if (!(line = read_line(p, &n, "INST")) || !(line2 = read_line(p, &n2, "INST"))) return false;
        if (!(v = new_class(p, line, n, line2, n2))) return false;
        if (pop_mark(p, &first, &count, "INST"))
            push(p, make_object(p, v, new_seq(p, PK_TUPLE, p->stack + first, count), NULL, "INST"));
        break;
    case 'o': /* OBJ: MARK class args... */
        if (!pop_mark(p, &first, &count, "OBJ")) return false;
        if (count == 0) {
            fail(p, "OBJ: no class");
            return false;
        }
        push(p, make_object(p, p->stack[first], new_seq(p, PK_TUPLE, p->stack + first + 1, count - 1), NULL, "OBJ"));
        break;
    case 'R': /* REDUCE */
        w = pop(p, "REDUCE");
        v = pop(p, "REDUCE");
        if (!v) return false;
        push(p, make_object(p, v, w, NULL, "REDUCE"));
        break;
    case 0x81: /* NEWOBJ */
        w = pop(p, "NEWOBJ");
        v = pop(p, "NEWOBJ");
        if (!v) return false;
        push(p, make_object(p, v, w, NULL, "NEWOBJ"));
        break;
    case 0x92: /* NEWOBJ_EX */
        x = pop(p, "NEWOBJ_EX");
        w = pop(p, "NEWOBJ_EX");
        v = pop(p, "NEWOBJ_EX");
        if (!v) return false;
        if (x->kind != PK_DICT) {
            fail(p, "NEWOBJ_EX: keyword arguments are a %s, not a dict", pickle_kind_name(x->kind));
            return false;
        }
        push(p, make_object(p, v, w, x, "NEWOBJ_EX"));
        break;
    case 'b': op_build(p); break;
    case 'P':
        if (!(line = read_line(p, &n, "PERSID"))) return false;
        v = new_value(p, PK_PERSID);
        v->pid = new_text(p, PK_STR, line, n);
        push(p, v);
        break;
    case 'Q':
        if (!(w = pop(p, "BINPERSID"))) return false;
        v = new_value(p, PK_PERSID);
        v->pid = w;
        push(p, v);
        break;
    case 0x82: case 0x83: case 0x84:
        fail(p, "EXT%d: the copyreg extension registry is not supported", op == 0x82 ? 1 : op == 0x83 ? 2 : 4);
        return false;
    case 0x97:
        fail(p, "NEXT_BUFFER: out-of-band buffers are not supported");
        return false;
    case 0x98: /* READONLY_BUFFER: only marks the top buffer read-only */
        top(p, "READONLY_BUFFER");
        break;
    default:
        fail(p, "unknown opcode 0x%02x", op);
        return false;
    }
    return !p->failed;
}

PickleValue *pickle_load(const uint8_t *buf, size_t len, Arena *arena, char *err, size_t errlen)
{
    return pickle_load_allowing(buf, len, arena, NULL, err, errlen);
}

PickleValue *pickle_load_allowing(const uint8_t *buf, size_t len, Arena *arena, const char *extra_class_module,
                                  char *err, size_t errlen)
{
    Parser p = {.buf = buf, .len = buf ? len : 0, .arena = arena, .err = err, .errlen = errlen};
    p.extra_class_module = extra_class_module && *extra_class_module ? extra_class_module : NULL;
    /* each memo store needs an opcode of at least two bytes: a genuine writer never uses
     * an index beyond the input length */
    p.memo_limit = p.len / 2 + 256;
    /* the stack always exists: `stack + first` for an empty MARK...LIST is then well defined */
    p.stack_cap = 256;
    p.stack = xmalloc(p.stack_cap * sizeof *p.stack);
    p.none = new_value(&p, PK_NONE);
    p.true_v = new_value(&p, PK_BOOL);
    p.true_v->b = true;
    p.false_v = new_value(&p, PK_BOOL);
    PickleValue *result = NULL;
    if (p.len == 0) fail(&p, "empty pickle");
    while (!p.failed && step(&p, &result)) {
    }
    free(p.stack);
    free(p.marks);
    free(p.memo);
    if (p.failed) return NULL;
    if (!result) {
        err_set(err, errlen, "offset %zu: pickle has no result", p.op_pos);
        return NULL;
    }
    return result;
}

/* ---- accessors ---- */

PickleValue *pickle_dict_get(const PickleValue *dict, const char *key)
{
    if (!dict || dict->kind != PK_DICT || !key) return NULL;
    PickleValue k = {.kind = PK_STR};
    k.str.s = key;
    k.str.len = strlen(key);
    long e = dict_find(dict, &k);
    return e >= 0 ? dict->dict.vals[e] : NULL;
}

PickleValue *pickle_dict_get_int(const PickleValue *dict, int64_t key)
{
    if (!dict || dict->kind != PK_DICT) return NULL;
    PickleValue k = {.kind = PK_INT};
    k.i = key;
    long e = dict_find(dict, &k);
    return e >= 0 ? dict->dict.vals[e] : NULL;
}

static bool is_seq(const PickleValue *v)
{
    return v && (v->kind == PK_TUPLE || v->kind == PK_LIST || v->kind == PK_SET || v->kind == PK_FROZENSET);
}

PickleValue *pickle_item(const PickleValue *seq, size_t i)
{
    return is_seq(seq) && i < seq->seq.n ? seq->seq.items[i] : NULL;
}

size_t pickle_len(const PickleValue *v)
{
    if (is_seq(v)) return v->seq.n;
    if (v && v->kind == PK_DICT) return v->dict.n;
    return 0;
}

bool pickle_is(const PickleValue *v, PickleKind k)
{
    return v && v->kind == k;
}

const char *pickle_str(const PickleValue *v)
{
    return v && v->kind == PK_STR ? v->str.s : NULL;
}

int64_t pickle_int(const PickleValue *v, int64_t dflt)
{
    if (!v) return dflt;
    if (v->kind == PK_INT) return v->i;
    if (v->kind == PK_BOOL) return v->b;
    return dflt;
}

double pickle_float(const PickleValue *v, double dflt)
{
    if (!v) return dflt;
    if (v->kind == PK_FLOAT) return v->f;
    if (v->kind == PK_INT) return (double)v->i;
    if (v->kind == PK_BOOL) return v->b;
    return dflt;
}

const PickleValue *pickle_class_of(const PickleValue *v)
{
    if (!v) return NULL;
    if (v->kind == PK_CLASS) return v;
    if (v->kind == PK_OBJECT) return v->obj.cls;
    return NULL;
}

bool pickle_is_class(const PickleValue *v, const char *module, const char *name)
{
    return class_is(pickle_class_of(v), module, name);
}
