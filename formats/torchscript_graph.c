/* torchscript_graph: an archive yoloport wrote, read back into the IR (see torchscript.h).
 * The forward() of the code file is tokenised and parsed (nothing is executed), and each
 * torch call becomes the IR op torchscript_code.c emitted it from, with its arguments turned
 * back into that op's attributes and constant inputs.  Dynamic-shape code (dynamic=True)
 * also computes with sizes: torch.size, Python ints, floats and lists of ints and the
 * arithmetic on them become the int64/float32 shape ops an ONNX graph holds (Shape, Gather,
 * Slice, Concat, Unsqueeze, Cast, Add/Sub/Mul/Div, Range).  The text is untrusted: lengths, token
 * counts, nesting and list sizes are bounded, and anything this reader does not know is
 * refused with the line it is on. */
#include "formats/torchscript.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/openvino.h"
#include "formats/torchscript_parse.h"

/* ---- lowering: calls to IR nodes ------------------------------------------------------- */

typedef struct {
    Parser *P;
    Graph *g;
    StrMap vars;      /* local name -> tensor */
    StrMap attrs;     /* self attribute -> tensor */
    Vec info;         /* ValueInfo per tensor */
    const char *stmt; /* the statement's first target (names nodes and tensors) */
    int n_in_stmt;    /* nodes made for this statement so far */
} Lower;

/* What a value of the code is.  Besides tensors, dynamic-shape code computes with Python
 * ints and floats (sizes read by torch.size, and what is computed from them) and List[int]s
 * (shapes); these are int64 / float32 IR tensors, 0-D for numbers and 1-D for lists, as an
 * ONNX graph holds them. */
typedef enum { V_TENSOR, V_INT, V_FLOAT, V_LIST } ValueKind;

static const char *const value_kind_names[] = {"a tensor", "an int", "a float", "a list of ints"};

typedef struct {
    int rank;       /* when known, -1 otherwise */
    bool isint;     /* holds integers (literals next to it are integers) */
    ValueKind kind;
    int len;        /* V_LIST: its length when known, -1 otherwise */
} ValueInfo;

static ValueInfo *info_of(Lower *L, int t) { return &((ValueInfo *)L->info.items)[t]; }
static int rank_of(Lower *L, int t) { return info_of(L, t)->rank; }
static bool int_of(Lower *L, int t) { return info_of(L, t)->isint; }
static ValueKind kind_of(Lower *L, int t) { return info_of(L, t)->kind; }

static void track(Lower *L, int t, int rank, bool isint)
{
    while ((int)L->info.len <= t) {
        ValueInfo v = {.rank = -1, .kind = V_TENSOR, .len = -1};
        vec_push(&L->info, sizeof v, &v);
    }
    *info_of(L, t) = (ValueInfo){.rank = rank, .isint = isint, .kind = V_TENSOR, .len = -1};
}

/* Mark t as a number or list value (after track). */
static void set_kind(Lower *L, int t, ValueKind kind, int len)
{
    ValueInfo *v = info_of(L, t);
    v->kind = kind;
    v->rank = kind == V_LIST ? 1 : 0;
    v->isint = kind != V_FLOAT;
    v->len = kind == V_LIST ? len : -1;
}

static int new_tensor(Lower *L, int rank, bool isint)
{
    char name[MAX_NAME + 32];
    if (L->n_in_stmt++) snprintf(name, sizeof name, "%s.%d", L->stmt, L->n_in_stmt - 1);
    else snprintf(name, sizeof name, "%s", L->stmt);
    int t = graph_add_tensor(L->g, name, DT_UNDEFINED, 0, NULL);
    track(L, t, rank, isint);
    return t;
}

static int new_const(Lower *L, DType dt, int rank, const int64_t *dims, const void *data)
{
    char name[MAX_NAME + 40];
    snprintf(name, sizeof name, "%s.const%d", L->stmt, L->n_in_stmt++);
    int t = graph_add_const(L->g, name, dt, rank, dims, data);
    track(L, t, rank, dt != DT_F32);
    return t;
}

static int const_i64s(Lower *L, const int64_t *v, int n)
{
    int64_t d = n;
    return new_const(L, DT_I64, 1, &d, v);
}

static int const_i64_scalar(Lower *L, int64_t v) { return new_const(L, DT_I64, 0, NULL, &v); }

static int node(Lower *L, OpKind op, const int *in, int nin, const int *out, int nout)
{
    char name[MAX_NAME + 64];
    snprintf(name, sizeof name, "/%s/%s", L->stmt, op_name(op));
    return graph_add_node(L->g, op, op_name(op), name, -1, in, nin, out, nout);
}

/* A call's arguments: positional k, or the keyword; NULL when absent. */
typedef struct {
    const Expr *call;
    const char *fn; /* "conv2d" (after "torch.") */
} Call;

static const Expr *arg(const Call *c, int k, const char *kw)
{
    int pos = 0;
    for (int i = 0; i < c->call->n; i++) {
        if (c->call->kw[i]) {
            if (kw && !strcmp(c->call->kw[i], kw)) return c->call->items[i];
        } else if (pos++ == k) {
            return c->call->items[i];
        }
    }
    return NULL;
}

#define FAIL(L, e, ...) ts_perr((L)->P, (e)->line, __VA_ARGS__)

static int need(Lower *L, const Call *c, int k, const char *kw, const Expr **out)
{
    *out = arg(c, k, kw);
    if (!*out) return FAIL(L, c->call, "torch.%s: argument %d (%s) is missing", c->fn, k + 1, kw ? kw : "positional");
    return 0;
}

static int get_int(Lower *L, const Call *c, int k, const char *kw, int64_t *v)
{
    const Expr *e;
    if (need(L, c, k, kw, &e)) return -1;
    if (e->kind != E_INT) return FAIL(L, e, "torch.%s: argument %d must be an integer", c->fn, k + 1);
    *v = e->i;
    return 0;
}

static int get_bool(Lower *L, const Call *c, int k, const char *kw, bool *v)
{
    const Expr *e;
    if (need(L, c, k, kw, &e)) return -1;
    if (e->kind != E_BOOL) return FAIL(L, e, "torch.%s: argument %d must be True or False", c->fn, k + 1);
    *v = e->i != 0;
    return 0;
}

static int get_float(Lower *L, const Call *c, int k, const char *kw, double *v)
{
    const Expr *e;
    if (need(L, c, k, kw, &e)) return -1;
    if (e->kind == E_FLOAT) *v = e->f;
    else if (e->kind == E_INT) *v = (double)e->i;
    else return FAIL(L, e, "torch.%s: argument %d must be a number", c->fn, k + 1);
    return 0;
}

/* A list of exactly want integers (want < 0: any count up to max); the count. */
static int get_ints(Lower *L, const Call *c, int k, const char *kw, int64_t *v, int want, int max)
{
    const Expr *e;
    if (need(L, c, k, kw, &e)) return -1;
    if (e->kind != E_LIST) return FAIL(L, e, "torch.%s: argument %d must be a list of integers", c->fn, k + 1);
    if ((want >= 0 && e->n != want) || e->n > max)
        return FAIL(L, e, "torch.%s: argument %d has %d values, expected %d", c->fn, k + 1, e->n, want >= 0 ? want : max);
    for (int i = 0; i < e->n; i++) {
        if (e->items[i]->kind != E_INT)
            return FAIL(L, e, "torch.%s: argument %d must be a list of integers", c->fn, k + 1);
        v[i] = e->items[i]->i;
    }
    return e->n;
}

static int get_none(Lower *L, const Call *c, int k, const char *kw)
{
    const Expr *e = arg(c, k, kw);
    if (e && e->kind != E_NONE) return FAIL(L, e, "torch.%s: argument %d must be None here", c->fn, k + 1);
    return 0;
}

static int lower_expr(Lower *L, const Expr *e, int *outs, int n_outs);

/* A tensor operand (a name, self.<attr>, or a nested call); -1 + message. */
static int value_of(Lower *L, const Expr *e);

/* A tensor operand (a name, self.<attr>, or a nested call); -1 + message. */
static int tensor_of(Lower *L, const Expr *e)
{
    if (e->kind != E_NAME && e->kind != E_SELF && e->kind != E_CALL) return FAIL(L, e, "expected a tensor here");
    int t = value_of(L, e);
    if (t >= 0 && kind_of(L, t) != V_TENSOR)
        return FAIL(L, e, "%s is %s (a size), not a tensor", e->kind == E_NAME ? e->s : "the call",
                    value_kind_names[kind_of(L, t)]);
    return t;
}

static int tensor_arg(Lower *L, const Call *c, int k, const char *kw)
{
    const Expr *e;
    return need(L, c, k, kw, &e) ? -1 : tensor_of(L, e);
}

/* x as a number value of the given type (V_INT or V_FLOAT): a Cast node when it is not. */
static int number_as(Lower *L, int x, ValueKind kind)
{
    if (kind_of(L, x) == kind) return x;
    int o = new_tensor(L, 0, kind == V_INT);
    int n = node(L, OP_CAST, &x, 1, &o, 1);
    if (n < 0) return -1;
    node_set_int(L->g, n, "to", dtype_to_onnx(kind == V_INT ? DT_I64 : DT_F32));
    set_kind(L, o, kind, -1);
    return o;
}

/* A tensor, or a number next to tensor `like` as a scalar of its kind: a literal as a
 * constant, an int or float of the code as that value (cast to float next to a float
 * tensor). */
static int operand(Lower *L, const Expr *e, int like)
{
    if (e->kind == E_INT || e->kind == E_FLOAT) {
        if (e->kind == E_INT && like >= 0 && int_of(L, like)) return const_i64_scalar(L, e->i);
        float f = (float)(e->kind == E_INT ? (double)e->i : e->f);
        return new_const(L, DT_F32, 0, NULL, &f);
    }
    if (e->kind == E_NAME) {
        int t = strmap_get(&L->vars, e->s);
        if (t >= 0 && (kind_of(L, t) == V_INT || kind_of(L, t) == V_FLOAT))
            return number_as(L, t, like >= 0 && int_of(L, like) ? kind_of(L, t) : V_FLOAT);
    }
    return tensor_of(L, e);
}

/* ---- sizes, numbers and lists (dynamic-shape code) ---- */

/* A list value from the pieces parts[0..n) (1-D int64), concatenated; len: its length or -1. */
static int concat_lists(Lower *L, const int *parts, int n, int len)
{
    if (n == 1) return parts[0];
    int o = new_tensor(L, 1, true);
    int k = node(L, OP_CONCAT, parts, n, &o, 1);
    if (k < 0) return -1;
    node_set_int(L->g, k, "axis", 0);
    set_kind(L, o, V_LIST, len);
    return o;
}

static int const_list(Lower *L, const int64_t *v, int n)
{
    int t = const_i64s(L, v, n);
    set_kind(L, t, V_LIST, n);
    return t;
}

/* A list display [a, b, ...] as a list value: a constant when every item is a literal,
 * else its literals and ints computed at run time (each Unsqueezed to one element)
 * concatenated.  expand: a literal -1 becomes 1 (torch.expand keeps that dim; ONNX's
 * Expand does so with a 1). */
static int list_of(Lower *L, const Expr *e, bool expand)
{
    int64_t *run = xmalloc(((size_t)e->n + 1) * sizeof *run);
    int *parts = xmalloc(((size_t)e->n + 1) * sizeof *parts);
    int n_run = 0, n_parts = 0, rc = 0;
    for (int i = 0; i <= e->n && !rc; i++) {
        const Expr *it = i < e->n ? e->items[i] : NULL;
        if (it && it->kind == E_INT) {
            run[n_run++] = expand && it->i == -1 ? 1 : it->i;
            continue;
        }
        if (n_run || (!it && !n_parts)) parts[n_parts++] = const_list(L, run, n_run);
        n_run = 0;
        if (!it) break;
        int t = value_of(L, it);
        if (t < 0) rc = -1;
        else if (kind_of(L, t) != V_INT)
            rc = FAIL(L, it, "a list item must be an int, not %s", value_kind_names[kind_of(L, t)]);
        else {
            int o = new_tensor(L, 1, true);
            int64_t axis = 0;
            int k = node(L, OP_UNSQUEEZE, &t, 1, &o, 1);
            if (k < 0) rc = -1;
            else {
                node_set_ints(L->g, k, "axes", &axis, 1);
                set_kind(L, o, V_LIST, 1);
                parts[n_parts++] = o;
            }
        }
    }
    int r = rc ? -1 : concat_lists(L, parts, n_parts, e->n);
    free(run);
    free(parts);
    return r;
}

/* Element i of list value x (0-D int64); -1 + message when i is out of its known length. */
static int list_element(Lower *L, const Expr *at, int x, int64_t i)
{
    int len = info_of(L, x)->len;
    if (len >= 0 && (i < -len || i >= len))
        return FAIL(L, at, "index %" PRId64 " is out of range for a list of %d", i, len);
    int in[2] = {x, const_i64_scalar(L, i)};
    int o = new_tensor(L, 0, true);
    int k = node(L, OP_GATHER, in, 2, &o, 1);
    if (k < 0) return -1;
    node_set_int(L->g, k, "axis", 0);
    set_kind(L, o, V_INT, -1);
    return o;
}

/* x[i] and x[lo:hi] of a list value: Gather and Slice along its one axis. */
static int lower_subscript(Lower *L, const Expr *e)
{
    int x = value_of(L, e->items[0]);
    if (x < 0) return -1;
    if (kind_of(L, x) != V_LIST)
        return FAIL(L, e, "a subscript of %s (only lists of ints are subscripted)", value_kind_names[kind_of(L, x)]);
    if (e->kind == E_INDEX) return list_element(L, e, x, e->i);
    int64_t lo = e->i, hi = e->has_hi ? e->hi : INT64_MAX, axis = 0, step = 1;
    int len = info_of(L, x)->len, n = -1;
    if (len >= 0) { /* Python's clamping */
        int64_t a = lo < 0 ? lo + len : lo, b = hi < 0 ? hi + len : hi;
        a = a < 0 ? 0 : a > len ? len : a;
        b = b < 0 ? 0 : b > len ? len : b;
        n = b > a ? (int)(b - a) : 0;
    }
    int in[5] = {x, const_i64s(L, &lo, 1), const_i64s(L, &hi, 1), const_i64s(L, &axis, 1), const_i64s(L, &step, 1)};
    int o = new_tensor(L, 1, true);
    if (node(L, OP_SLICE, in, 5, &o, 1) < 0) return -1;
    set_kind(L, o, V_LIST, n);
    return o;
}

/* A number literal as a 0-D constant of the given kind. */
static int number_const(Lower *L, const Expr *e, ValueKind kind)
{
    if (kind == V_INT) return const_i64_scalar(L, e->i);
    float f = (float)(e->kind == E_INT ? (double)e->i : e->f);
    return new_const(L, DT_F32, 0, NULL, &f);
}

/* Python arithmetic: list + list concatenates; + - * / // on ints and floats (at least one
 * computed at run time) as the IR's 0-D arithmetic, ints promoted to float as Python does. */
static int lower_binop(Lower *L, const Expr *e)
{
    const Expr *ex[2] = {e->items[0], e->items[1]};
    int v[2] = {-1, -1};
    ValueKind k[2];
    for (int i = 0; i < 2; i++) {
        if (ex[i]->kind == E_INT || ex[i]->kind == E_FLOAT) {
            k[i] = ex[i]->kind == E_INT ? V_INT : V_FLOAT;
            continue;
        }
        if ((v[i] = value_of(L, ex[i])) < 0) return -1;
        k[i] = kind_of(L, v[i]);
    }
    if (k[0] == V_LIST || k[1] == V_LIST) {
        if (strcmp(e->s, "+") || k[0] != k[1])
            return FAIL(L, e, "'%s' of %s and %s (a list only concatenates with a list)", e->s, value_kind_names[k[0]],
                        value_kind_names[k[1]]);
        int l0 = info_of(L, v[0])->len, l1 = info_of(L, v[1])->len;
        return concat_lists(L, v, 2, l0 >= 0 && l1 >= 0 ? l0 + l1 : -1);
    }
    if (k[0] == V_TENSOR || k[1] == V_TENSOR)
        return FAIL(L, e, "'%s' of %s and %s (tensors compute through torch.<op> calls)", e->s, value_kind_names[k[0]],
                    value_kind_names[k[1]]);
    if (v[0] < 0 && v[1] < 0) return FAIL(L, e, "'%s' of two literals is not read", e->s);
    bool fl = k[0] == V_FLOAT || k[1] == V_FLOAT || !strcmp(e->s, "/");
    if (fl && !strcmp(e->s, "//")) return FAIL(L, e, "'//' of floats is not read");
    ValueKind kind = fl ? V_FLOAT : V_INT;
    int in[2];
    for (int i = 0; i < 2; i++)
        if ((in[i] = v[i] < 0 ? number_const(L, ex[i], kind) : number_as(L, v[i], kind)) < 0) return -1;
    OpKind op = e->s[0] == '+' ? OP_ADD : e->s[0] == '-' ? OP_SUB : e->s[0] == '*' ? OP_MUL : OP_DIV;
    int o = new_tensor(L, 0, !fl);
    if (node(L, op, in, 2, &o, 1) < 0) return -1;
    set_kind(L, o, kind, -1);
    return o;
}

/* float(x) / int(x) of an int or float of the code. */
static int lower_number_cast(Lower *L, const Expr *e, int *outs, int n_outs)
{
    if (n_outs != 1) return FAIL(L, e, "%s() gives one number, assigned to %d names", e->s, n_outs);
    if (e->n != 1 || e->kw[0]) return FAIL(L, e, "%s() takes 1 positional argument", e->s);
    const Expr *a = e->items[0];
    if (a->kind == E_INT || a->kind == E_FLOAT) return FAIL(L, a, "%s() of a literal is not read", e->s);
    int x = value_of(L, a);
    if (x < 0) return -1;
    ValueKind k = kind_of(L, x);
    if (k != V_INT && k != V_FLOAT)
        return FAIL(L, a, "%s() of %s (only an int or a float is converted)", e->s, value_kind_names[k]);
    ValueKind to = e->s[0] == 'f' ? V_FLOAT : V_INT;
    return (outs[0] = number_as(L, x, to)) < 0 ? -1 : 0;
}

/* Any value: a tensor, an int, a float or a list of ints. */
static int value_of(Lower *L, const Expr *e)
{
    switch (e->kind) {
    case E_NAME: {
        int t = strmap_get(&L->vars, e->s);
        if (t < 0) return FAIL(L, e, "'%.100s' is used before it is assigned", e->s);
        return t;
    }
    case E_SELF: {
        int t = strmap_get(&L->attrs, e->s);
        if (t < 0) return FAIL(L, e, "self.%.100s is not a tensor of the module (data.pkl has no such attribute)", e->s);
        return t;
    }
    case E_CALL: {
        int t;
        return lower_expr(L, e, &t, 1) ? -1 : t;
    }
    case E_LIST: return list_of(L, e, false);
    case E_INDEX:
    case E_SLICE: return lower_subscript(L, e);
    case E_BINOP: return lower_binop(L, e);
    default: return FAIL(L, e, "expected a value here (a tensor, an int, a float or a list of ints)");
    }
}

/* A shape argument: a list display or a list value; *len its length (-1: unknown). */
static int shape_arg(Lower *L, const Call *c, int k, const char *kw, bool expand, int *len)
{
    const Expr *e;
    if (need(L, c, k, kw, &e)) return -1;
    if (e->kind == E_LIST) {
        if (e->n > GRAPH_MAX_RANK)
            return FAIL(L, e, "torch.%s: argument %d has %d values, expected %d", c->fn, k + 1, e->n, GRAPH_MAX_RANK);
        *len = e->n;
        return list_of(L, e, expand);
    }
    int t = value_of(L, e);
    if (t < 0) return -1;
    if (kind_of(L, t) != V_LIST) return FAIL(L, e, "torch.%s: argument %d must be a list of integers", c->fn, k + 1);
    *len = info_of(L, t)->len;
    if (*len > GRAPH_MAX_RANK) return FAIL(L, e, "torch.%s: a shape of %d dims", c->fn, *len);
    return t;
}

/* Whether argument k is a list display of integer literals only. */
static bool literal_ints_arg(const Call *c, int k, const char *kw)
{
    const Expr *e = arg(c, k, kw);
    if (!e || e->kind != E_LIST) return false;
    for (int i = 0; i < e->n; i++)
        if (e->items[i]->kind != E_INT) return false;
    return true;
}

static int max_rank(Lower *L, int a, int b)
{
    int ra = rank_of(L, a), rb = rank_of(L, b);
    return ra < 0 || rb < 0 ? -1 : ra > rb ? ra : rb;
}

/* One op: how its call lowers.  outs receives n_outs tensors (1 unless the call is the whole
 * right side of a tuple assignment). */
typedef int (*LowerFn)(Lower *L, const Call *c, int *outs, int n_outs);

static int one_out(Lower *L, const Call *c, int n_outs)
{
    if (n_outs != 1) return FAIL(L, c->call, "torch.%s gives one tensor, assigned to %d names", c->fn, n_outs);
    return 0;
}

/* A node with inputs in[0..nin) and one new output of the given rank. */
static int simple(Lower *L, const Call *c, OpKind op, const int *in, int nin, int rank, bool isint, int *outs,
                  int n_outs)
{
    if (one_out(L, c, n_outs)) return -1;
    outs[0] = new_tensor(L, rank, isint);
    return node(L, op, in, nin, outs, 1) < 0 ? -1 : 0;
}

static int lower_conv(Lower *L, const Call *c, int *outs, int n_outs)
{
    bool transpose = !strncmp(c->fn, "conv_transpose", 14);
    int sp = c->fn[strlen(c->fn) - 2] - '0'; /* conv1d / conv2d */
    int x = tensor_arg(L, c, 0, "input"), w = x < 0 ? -1 : tensor_arg(L, c, 1, "weight");
    if (w < 0) return -1;
    const Expr *be;
    if (need(L, c, 2, "bias", &be)) return -1;
    int b = be->kind == E_NONE ? -1 : tensor_of(L, be);
    if (be->kind != E_NONE && b < 0) return -1;
    int64_t st[2], pd[2], dl[2], op[2] = {0, 0}, group, pads[4];
    if (get_ints(L, c, 3, "stride", st, sp, 2) < 0 || get_ints(L, c, 4, "padding", pd, sp, 2) < 0) return -1;
    if (transpose ? get_ints(L, c, 5, "output_padding", op, sp, 2) < 0 || get_int(L, c, 6, "groups", &group) ||
                        get_ints(L, c, 7, "dilation", dl, sp, 2) < 0
                  : get_ints(L, c, 5, "dilation", dl, sp, 2) < 0 || get_int(L, c, 6, "groups", &group))
        return -1;
    if (group < 1) return FAIL(L, c->call, "torch.%s: groups %" PRId64 " must be positive", c->fn, group);
    for (int i = 0; i < sp; i++) pads[i] = pads[i + sp] = pd[i];
    int in[3] = {x, w, b};
    if (simple(L, c, transpose ? OP_CONV_TRANSPOSE : OP_CONV, in, b >= 0 ? 3 : 2, rank_of(L, x), false, outs, n_outs))
        return -1;
    int n = L->g->n_nodes - 1;
    node_set_ints(L->g, n, "strides", st, sp);
    node_set_ints(L->g, n, "pads", pads, 2 * sp);
    node_set_ints(L->g, n, "dilations", dl, sp);
    node_set_int(L->g, n, "group", group);
    const Tensor *W = &L->g->tensors[w];
    if (W->data && W->rank == sp + 2) node_set_ints(L->g, n, "kernel_shape", W->dims + 2, sp);
    if (transpose) node_set_ints(L->g, n, "output_padding", op, sp);
    return 0;
}

static int lower_batch_norm(Lower *L, const Call *c, int *outs, int n_outs)
{
    int in[5];
    for (int k = 0; k < 5; k++)
        if ((in[k] = tensor_arg(L, c, k, NULL)) < 0) return -1;
    bool training, cudnn;
    double momentum, eps;
    if (get_bool(L, c, 5, "training", &training) || get_float(L, c, 6, "momentum", &momentum) ||
        get_float(L, c, 7, "eps", &eps) || get_bool(L, c, 8, "cudnn_enabled", &cudnn))
        return -1;
    if (training) return FAIL(L, c->call, "torch.batch_norm in training mode is not read");
    if (!(eps >= 0) || !isfinite(eps)) return FAIL(L, c->call, "torch.batch_norm: eps %g is not valid", eps);
    if (simple(L, c, OP_BATCHNORM, in, 5, rank_of(L, in[0]), false, outs, n_outs)) return -1;
    node_set_float(L->g, L->g->n_nodes - 1, "epsilon", eps);
    return 0;
}

static int lower_unary(Lower *L, const Call *c, int *outs, int n_outs)
{
    char full[MAX_NAME + 8];
    snprintf(full, sizeof full, "torch.%s", c->fn);
    OpKind op = torchscript_unary_op(full);
    if (c->call->n != 1) return FAIL(L, c->call, "torch.%s takes 1 argument, not %d", c->fn, c->call->n);
    int x = tensor_arg(L, c, 0, NULL);
    return x < 0 ? -1 : simple(L, c, op, &x, 1, rank_of(L, x), int_of(L, x), outs, n_outs);
}

static int lower_binary(Lower *L, const Call *c, int *outs, int n_outs)
{
    static const struct {
        const char *fn;
        OpKind op;
    } ops[] = {{"add", OP_ADD}, {"sub", OP_SUB}, {"mul", OP_MUL}, {"div", OP_DIV}, {"rsub", OP_SUB}};
    OpKind op = OP_OTHER;
    for (size_t i = 0; i < ARRAY_LEN(ops); i++)
        if (!strcmp(c->fn, ops[i].fn)) op = ops[i].op;
    const Expr *ea, *eb;
    if (need(L, c, 0, NULL, &ea) || need(L, c, 1, NULL, &eb)) return -1;
    int positional = 0;
    for (int i = 0; i < c->call->n; i++) positional += !c->call->kw[i];
    if (positional != 2) return FAIL(L, c->call, "torch.%s takes 2 arguments, not %d", c->fn, positional);
    for (int i = 0; i < c->call->n; i++) {
        const char *kw = c->call->kw[i];
        const Expr *v = c->call->items[i];
        if (kw && !(op == OP_DIV && !strcmp(kw, "rounding_mode") && v->kind == E_STR && !strcmp(v->s, "trunc")))
            return FAIL(L, v, "torch.%s: the argument %.60s= is not read", c->fn, kw);
    }
    if (ea->kind == E_INT || ea->kind == E_FLOAT)
        return FAIL(L, ea, "torch.%s: the first argument must be a tensor", c->fn);
    int a = tensor_of(L, ea), b = a < 0 ? -1 : operand(L, eb, a);
    if (b < 0) return -1;
    int in[2] = {a, b};
    if (!strcmp(c->fn, "rsub")) in[0] = b, in[1] = a; /* rsub(x, k) = k - x */
    return simple(L, c, op, in, 2, max_rank(L, a, b), int_of(L, a), outs, n_outs);
}

static int lower_cat(Lower *L, const Call *c, int *outs, int n_outs)
{
    const Expr *list;
    int64_t axis;
    if (need(L, c, 0, "tensors", &list) || get_int(L, c, 1, "dim", &axis)) return -1;
    if (list->kind != E_LIST || list->n < 1) return FAIL(L, c->call, "torch.cat takes a non-empty list of tensors");
    if (list->n > 64) return FAIL(L, c->call, "torch.cat of %d tensors (at most 64)", list->n);
    int in[64];
    for (int i = 0; i < list->n; i++)
        if ((in[i] = tensor_of(L, list->items[i])) < 0) return -1;
    if (simple(L, c, OP_CONCAT, in, list->n, rank_of(L, in[0]), int_of(L, in[0]), outs, n_outs)) return -1;
    node_set_int(L->g, L->g->n_nodes - 1, "axis", axis);
    return 0;
}

static int lower_split(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    if (x < 0) return -1;
    int64_t sizes[64], axis;
    int ns = get_ints(L, c, 1, "split_sizes", sizes, -1, 64);
    if (ns < 0 || get_int(L, c, 2, "dim", &axis)) return -1;
    if (ns != n_outs) return FAIL(L, c->call, "torch.split_with_sizes gives %d tensors, assigned to %d names", ns, n_outs);
    for (int i = 0; i < ns; i++) {
        if (sizes[i] < 0) return FAIL(L, c->call, "torch.split_with_sizes: a negative size");
        outs[i] = new_tensor(L, rank_of(L, x), int_of(L, x));
    }
    int n = node(L, OP_SPLIT, &x, 1, outs, ns);
    node_set_int(L->g, n, "axis", axis);
    node_set_ints(L->g, n, "split", sizes, ns);
    return 0;
}

static int lower_slice(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    if (x < 0) return -1;
    int64_t dim, start, end, step;
    if (get_int(L, c, 1, "dim", &dim) || get_int(L, c, 2, "start", &start) || get_int(L, c, 3, "end", &end) ||
        get_int(L, c, 4, "step", &step))
        return -1;
    if (step <= 0) return FAIL(L, c->call, "torch.slice: step %" PRId64 " must be positive", step);
    int in[5] = {x, const_i64s(L, &start, 1), const_i64s(L, &end, 1), const_i64s(L, &dim, 1), const_i64s(L, &step, 1)};
    return simple(L, c, OP_SLICE, in, 5, rank_of(L, x), int_of(L, x), outs, n_outs);
}

static int lower_pool(Lower *L, const Call *c, int *outs, int n_outs)
{
    bool max = !strcmp(c->fn, "max_pool2d");
    int x = tensor_arg(L, c, 0, NULL);
    if (x < 0) return -1;
    int64_t k[2], st[2], pd[2], dl[2] = {1, 1}, pads[4];
    bool ceil_mode, include_pad = false;
    if (get_ints(L, c, 1, "kernel_size", k, 2, 2) < 0 || get_ints(L, c, 2, "stride", st, 2, 2) < 0 ||
        get_ints(L, c, 3, "padding", pd, 2, 2) < 0)
        return -1;
    if (max ? get_ints(L, c, 4, "dilation", dl, 2, 2) < 0 || get_bool(L, c, 5, "ceil_mode", &ceil_mode)
            : get_bool(L, c, 4, "ceil_mode", &ceil_mode) || get_bool(L, c, 5, "count_include_pad", &include_pad) ||
                  get_none(L, c, 6, "divisor_override"))
        return -1;
    for (int i = 0; i < 2; i++) pads[i] = pads[i + 2] = pd[i];
    if (simple(L, c, max ? OP_MAXPOOL : OP_AVGPOOL, &x, 1, rank_of(L, x), false, outs, n_outs)) return -1;
    int n = L->g->n_nodes - 1;
    node_set_ints(L->g, n, "kernel_shape", k, 2);
    node_set_ints(L->g, n, "strides", st, 2);
    node_set_ints(L->g, n, "pads", pads, 4);
    node_set_int(L->g, n, "ceil_mode", ceil_mode);
    if (max) node_set_ints(L->g, n, "dilations", dl, 2);
    else node_set_int(L->g, n, "count_include_pad", include_pad);
    return 0;
}

static int lower_adaptive_pool(Lower *L, const Call *c, int *outs, int n_outs)
{
    int sp = c->fn[strlen(c->fn) - 2] - '0';
    int x = tensor_arg(L, c, 0, NULL);
    int64_t size[2];
    if (x < 0 || get_ints(L, c, 1, "output_size", size, sp, 2) < 0) return -1;
    for (int i = 0; i < sp; i++)
        if (size[i] != 1) return FAIL(L, c->call, "torch.%s to a size other than 1 is not read", c->fn);
    return simple(L, c, OP_GLOBAL_AVGPOOL, &x, 1, rank_of(L, x), false, outs, n_outs);
}

static int lower_upsample(Lower *L, const Call *c, int *outs, int n_outs)
{
    bool linear = !strcmp(c->fn, "upsample_bilinear2d");
    int x = tensor_arg(L, c, 0, NULL);
    if (x < 0) return -1;
    const Expr *size = arg(c, 1, "output_size"), *scales = arg(c, linear ? 3 : 2, "scale_factors");
    bool align = false;
    if (linear && get_bool(L, c, 2, "align_corners", &align)) return -1;
    if (!size || !scales) return FAIL(L, c->call, "torch.%s: the size and scale arguments are missing", c->fn);
    if (size->kind != E_NONE) return FAIL(L, size, "torch.%s to a fixed size is not read (scales are)", c->fn);
    if (scales->kind != E_LIST || scales->n != 2) return FAIL(L, scales, "torch.%s: scales must be 2 numbers", c->fn);
    float sc[4] = {1, 1, 0, 0};
    for (int i = 0; i < 2; i++) {
        const Expr *s = scales->items[i];
        double v = s->kind == E_FLOAT ? s->f : s->kind == E_INT ? (double)s->i : -1;
        if (!(v > 0) || v > 1e4) return FAIL(L, s, "torch.%s: scale %g is not valid", c->fn, v);
        sc[2 + i] = (float)v;
    }
    int64_t four = 4;
    int in[3] = {x, -1, new_const(L, DT_F32, 1, &four, sc)};
    if (simple(L, c, OP_RESIZE, in, 3, rank_of(L, x), false, outs, n_outs)) return -1;
    int n = L->g->n_nodes - 1;
    node_set_string(L->g, n, "mode", linear ? "linear" : "nearest");
    node_set_string(L->g, n, "coordinate_transformation_mode",
                    linear ? (align ? "align_corners" : "half_pixel") : "asymmetric");
    if (!linear) node_set_string(L->g, n, "nearest_mode", "floor");
    return 0;
}

static int lower_reshape(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    if (x < 0) return -1;
    if (!literal_ints_arg(c, 1, "shape")) { /* a shape computed at run time (dynamic=True) */
        int ns, shape = shape_arg(L, c, 1, "shape", false, &ns);
        int in[2] = {x, shape};
        return shape < 0 ? -1 : simple(L, c, OP_RESHAPE, in, 2, ns, int_of(L, x), outs, n_outs);
    }
    int64_t shp[GRAPH_MAX_RANK];
    int ns = get_ints(L, c, 1, "shape", shp, -1, GRAPH_MAX_RANK);
    if (ns < 0) return -1;
    int in[2] = {x, const_i64s(L, shp, ns)};
    return simple(L, c, OP_RESHAPE, in, 2, ns, int_of(L, x), outs, n_outs);
}

static int lower_permute(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    int64_t perm[GRAPH_MAX_RANK];
    int np = x < 0 ? -1 : get_ints(L, c, 1, "dims", perm, -1, GRAPH_MAX_RANK);
    if (np < 0 || simple(L, c, OP_TRANSPOSE, &x, 1, np, int_of(L, x), outs, n_outs)) return -1;
    node_set_ints(L->g, L->g->n_nodes - 1, "perm", perm, np);
    return 0;
}

static int lower_t(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    int64_t perm[2] = {1, 0};
    if (x < 0 || simple(L, c, OP_TRANSPOSE, &x, 1, 2, int_of(L, x), outs, n_outs)) return -1;
    node_set_ints(L->g, L->g->n_nodes - 1, "perm", perm, 2);
    return 0;
}

/* torch.<fn>(x, int) -> op with that int as the attribute `attr`. */
static int lower_axis_op(Lower *L, const Call *c, OpKind op, const char *attr, int rank_delta, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    int64_t v;
    if (x < 0 || get_int(L, c, 1, NULL, &v)) return -1;
    int r = rank_of(L, x) < 0 ? -1 : rank_of(L, x) + rank_delta;
    if (simple(L, c, op, &x, 1, r, int_of(L, x), outs, n_outs)) return -1;
    if (op == OP_UNSQUEEZE || op == OP_SQUEEZE) node_set_ints(L->g, L->g->n_nodes - 1, attr, &v, 1);
    else node_set_int(L->g, L->g->n_nodes - 1, attr, v);
    return 0;
}

static int lower_softmax(Lower *L, const Call *c, int *outs, int n_outs)
{
    return lower_axis_op(L, c, OP_SOFTMAX, "axis", 0, outs, n_outs);
}

static int lower_unsqueeze(Lower *L, const Call *c, int *outs, int n_outs)
{
    return lower_axis_op(L, c, OP_UNSQUEEZE, "axes", 1, outs, n_outs);
}

static int lower_squeeze(Lower *L, const Call *c, int *outs, int n_outs)
{
    if (arg(c, 1, NULL)) return lower_axis_op(L, c, OP_SQUEEZE, "axes", -1, outs, n_outs);
    int x = tensor_arg(L, c, 0, NULL);
    return x < 0 ? -1 : simple(L, c, OP_SQUEEZE, &x, 1, -1, int_of(L, x), outs, n_outs);
}

static int lower_matmul(Lower *L, const Call *c, int *outs, int n_outs)
{
    int a = tensor_arg(L, c, 0, NULL), b = a < 0 ? -1 : tensor_arg(L, c, 1, NULL);
    if (b < 0) return -1;
    int in[2] = {a, b};
    return simple(L, c, OP_MATMUL, in, 2, max_rank(L, a, b), false, outs, n_outs);
}

/* torch.linear(a, w, b) = Gemm(transB=1); torch.addmm(c, a, b, beta=, alpha=) = Gemm(a, b, c). */
static int lower_gemm(Lower *L, const Call *c, int *outs, int n_outs)
{
    bool linear = !strcmp(c->fn, "linear");
    int a = tensor_arg(L, c, linear ? 0 : 1, NULL), b = a < 0 ? -1 : tensor_arg(L, c, linear ? 1 : 2, NULL);
    if (b < 0) return -1;
    const Expr *ce;
    if (need(L, c, linear ? 2 : 0, NULL, &ce)) return -1;
    int bias = ce->kind == E_NONE ? -1 : tensor_of(L, ce);
    if (ce->kind != E_NONE && bias < 0) return -1;
    double alpha = 1, beta = 1;
    if (!linear && (get_float(L, c, 3, "beta", &beta) || get_float(L, c, 4, "alpha", &alpha))) return -1;
    int in[3] = {a, b, bias};
    if (simple(L, c, OP_GEMM, in, bias >= 0 ? 3 : 2, 2, false, outs, n_outs)) return -1;
    int n = L->g->n_nodes - 1;
    if (linear) node_set_int(L->g, n, "transB", 1);
    node_set_float(L->g, n, "alpha", alpha);
    node_set_float(L->g, n, "beta", beta);
    return 0;
}

static int lower_flatten(Lower *L, const Call *c, int *outs, int n_outs)
{
    int64_t start, end;
    const Expr *xe;
    if (need(L, c, 0, NULL, &xe) || get_int(L, c, 1, "start_dim", &start) || get_int(L, c, 2, "end_dim", &end))
        return -1;
    int64_t axis;
    if (start == 1 && end == -1) {
        axis = 1; /* flatten(x, 1, -1) */
    } else if (start == 0 && xe->kind == E_CALL && !strcmp(xe->s, "torch.flatten") && xe->n == 3 &&
               xe->items[1]->kind == E_INT && xe->items[2]->kind == E_INT && xe->items[2]->i == -1 &&
               xe->items[1]->i == end + 1 && end >= 1) {
        /* flatten(flatten(x, k, -1), 0, k - 1): Flatten at axis k */
        axis = end + 1;
        xe = xe->items[0];
    } else {
        return FAIL(L, c->call, "torch.flatten(x, %" PRId64 ", %" PRId64 ") is not a form the writer emits", start, end);
    }
    int x = tensor_of(L, xe);
    if (x < 0 || simple(L, c, OP_FLATTEN, &x, 1, 2, int_of(L, x), outs, n_outs)) return -1;
    node_set_int(L->g, L->g->n_nodes - 1, "axis", axis);
    return 0;
}

static const struct {
    int torch_code;
    DType dt;
} torch_dtypes[] = {{0, DT_U8}, {1, DT_I8}, {2, DT_I16}, {3, DT_I32}, {4, DT_I64}, {5, DT_F16},
                    {6, DT_F32}, {7, DT_F64}, {11, DT_BOOL}, {15, DT_BF16}};

static int lower_to(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    int64_t code;
    if (x < 0 || get_int(L, c, 1, "dtype", &code)) return -1;
    DType dt = DT_UNDEFINED;
    for (size_t i = 0; i < ARRAY_LEN(torch_dtypes); i++)
        if (torch_dtypes[i].torch_code == code) dt = torch_dtypes[i].dt;
    if (dt == DT_UNDEFINED) return FAIL(L, c->call, "torch.to: dtype code %" PRId64 " is not one this reader knows", code);
    bool isint = !(dt == DT_F32 || dt == DT_F16 || dt == DT_F64 || dt == DT_BF16);
    if (simple(L, c, OP_CAST, &x, 1, rank_of(L, x), isint, outs, n_outs)) return -1;
    node_set_int(L->g, L->g->n_nodes - 1, "to", dtype_to_onnx(dt));
    return 0;
}

static int lower_select(Lower *L, const Call *c, int *outs, int n_outs)
{
    bool index_select = !strcmp(c->fn, "index_select");
    int x = tensor_arg(L, c, 0, NULL);
    int64_t dim, idx = 0;
    if (x < 0 || get_int(L, c, 1, "dim", &dim)) return -1;
    int it;
    if (index_select) {
        it = tensor_arg(L, c, 2, "index");
    } else {
        if (get_int(L, c, 2, "index", &idx)) return -1;
        it = const_i64_scalar(L, idx);
    }
    if (it < 0) return -1;
    int in[2] = {x, it}, r = rank_of(L, x) < 0 ? -1 : rank_of(L, x) - !index_select;
    if (simple(L, c, OP_GATHER, in, 2, r, int_of(L, x), outs, n_outs)) return -1;
    node_set_int(L->g, L->g->n_nodes - 1, "axis", dim);
    return 0;
}

static int lower_reduce(Lower *L, const Call *c, int *outs, int n_outs)
{
    OpKind op = !strcmp(c->fn, "mean") ? OP_REDUCE_MEAN : !strcmp(c->fn, "sum") ? OP_REDUCE_SUM : OP_REDUCE_MAX;
    int x = tensor_arg(L, c, 0, NULL);
    int64_t axes[GRAPH_MAX_RANK];
    int na = x < 0 ? -1 : get_ints(L, c, 1, "dim", axes, -1, GRAPH_MAX_RANK);
    bool keep;
    if (na < 0 || get_bool(L, c, 2, "keepdim", &keep)) return -1;
    int r = rank_of(L, x) < 0 ? -1 : keep ? rank_of(L, x) : rank_of(L, x) - na;
    if (simple(L, c, op, &x, 1, r, int_of(L, x), outs, n_outs)) return -1;
    node_set_ints(L->g, L->g->n_nodes - 1, "axes", axes, na);
    node_set_int(L->g, L->g->n_nodes - 1, "keepdims", keep);
    return 0;
}

static int lower_argmax(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    int64_t axis;
    bool keep;
    if (x < 0 || get_int(L, c, 1, "dim", &axis) || get_bool(L, c, 2, "keepdim", &keep)) return -1;
    int r = rank_of(L, x) < 0 ? -1 : rank_of(L, x) - !keep;
    if (simple(L, c, OP_ARGMAX, &x, 1, r, true, outs, n_outs)) return -1;
    node_set_int(L->g, L->g->n_nodes - 1, "axis", axis);
    node_set_int(L->g, L->g->n_nodes - 1, "keepdims", keep);
    return 0;
}

static int lower_topk(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    int64_t k, axis;
    bool largest, sorted;
    if (x < 0 || get_int(L, c, 1, "k", &k) || get_int(L, c, 2, "dim", &axis) || get_bool(L, c, 3, "largest", &largest) ||
        get_bool(L, c, 4, "sorted", &sorted))
        return -1;
    if (n_outs != 2) return FAIL(L, c->call, "torch.topk gives 2 tensors, assigned to %d names", n_outs);
    if (k < 0) return FAIL(L, c->call, "torch.topk: k %" PRId64 " is negative", k);
    if (!sorted) return FAIL(L, c->call, "torch.topk with sorted=False is not read");
    outs[0] = new_tensor(L, rank_of(L, x), int_of(L, x));
    outs[1] = new_tensor(L, rank_of(L, x), true);
    int in[2] = {x, const_i64s(L, &k, 1)};
    int n = node(L, OP_TOPK, in, 2, outs, 2);
    node_set_int(L->g, n, "axis", axis);
    node_set_int(L->g, n, "largest", largest);
    return 0;
}

static int lower_expand(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    if (x >= 0 && !literal_ints_arg(c, 1, "size")) { /* sizes read at run time (dynamic=True) */
        int ns, size = shape_arg(L, c, 1, "size", true, &ns);
        int in[2] = {x, size};
        return size < 0 ? -1 : simple(L, c, OP_EXPAND, in, 2, ns, int_of(L, x), outs, n_outs);
    }
    int64_t shp[GRAPH_MAX_RANK];
    int ns = x < 0 ? -1 : get_ints(L, c, 1, "size", shp, -1, GRAPH_MAX_RANK);
    if (ns < 0) return -1;
    for (int i = 0; i < ns; i++) {
        if (shp[i] == -1) shp[i] = 1; /* torch keeps the dim; ONNX's 1 broadcasts to it */
        else if (shp[i] < 1) return FAIL(L, c->call, "torch.expand: size %" PRId64 " is not valid", shp[i]);
    }
    int in[2] = {x, const_i64s(L, shp, ns)};
    return simple(L, c, OP_EXPAND, in, 2, ns, int_of(L, x), outs, n_outs);
}

static int lower_clamp(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    if (x < 0) return -1;
    int in[3] = {x, -1, -1};
    for (int k = 0; k < 2; k++) {
        const Expr *e;
        if (need(L, c, k + 1, k ? "max" : "min", &e)) return -1;
        if (e->kind == E_NONE) continue;
        if (e->kind != E_INT && e->kind != E_FLOAT) return FAIL(L, e, "torch.clamp: limits must be numbers");
        if ((in[k + 1] = operand(L, e, x)) < 0) return -1;
    }
    return simple(L, c, OP_CLIP, in, 3, rank_of(L, x), int_of(L, x), outs, n_outs);
}

static int lower_pow(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    const Expr *ye;
    if (x < 0 || need(L, c, 1, "exponent", &ye)) return -1;
    int y = operand(L, ye, x);
    int in[2] = {x, y};
    return y < 0 ? -1 : simple(L, c, OP_POW, in, 2, max_rank(L, x, y), int_of(L, x), outs, n_outs);
}

static int lower_leaky_relu(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    double alpha;
    if (x < 0 || get_float(L, c, 1, "negative_slope", &alpha)) return -1;
    if (simple(L, c, OP_LEAKY_RELU, &x, 1, rank_of(L, x), false, outs, n_outs)) return -1;
    node_set_float(L->g, L->g->n_nodes - 1, "alpha", alpha);
    return 0;
}

static int lower_pad(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL);
    int64_t tp[2 * GRAPH_MAX_RANK], pads[2 * GRAPH_MAX_RANK] = {0};
    int np = x < 0 ? -1 : get_ints(L, c, 1, "pad", tp, -1, 2 * GRAPH_MAX_RANK);
    double value;
    if (np < 0 || get_float(L, c, 2, "value", &value)) return -1;
    int r = rank_of(L, x);
    if (r < 0) return FAIL(L, c->call, "torch.constant_pad_nd on a value whose rank this reader cannot tell");
    if (np % 2 || np > 2 * r) return FAIL(L, c->call, "torch.constant_pad_nd: %d pads for rank %d", np, r);
    /* torch's list runs from the last axis back as (begin, end) pairs */
    for (int i = 0; i < np / 2; i++) {
        pads[r - 1 - i] = tp[2 * i];
        pads[2 * r - 1 - i] = tp[2 * i + 1];
    }
    if (simple(L, c, OP_PAD, &x, 1, r, int_of(L, x), outs, n_outs)) return -1;
    int n = L->g->n_nodes - 1;
    node_set_ints(L->g, n, "pads", pads, 2 * r);
    node_set_float(L->g, n, "value", value);
    return 0;
}

static int lower_grid_sampler(Lower *L, const Call *c, int *outs, int n_outs)
{
    int x = tensor_arg(L, c, 0, NULL), grid = x < 0 ? -1 : tensor_arg(L, c, 1, NULL);
    int64_t im, pm;
    bool align;
    if (grid < 0 || get_int(L, c, 2, NULL, &im) || get_int(L, c, 3, NULL, &pm) || get_bool(L, c, 4, NULL, &align))
        return -1;
    static const char *const modes[] = {"bilinear", "nearest"}, *const pads[] = {"zeros", "border", "reflection"};
    if (im < 0 || im > 1 || pm < 0 || pm > 2) return FAIL(L, c->call, "torch.grid_sampler: mode %" PRId64 " / padding %" PRId64 " is not read", im, pm);
    int in[2] = {x, grid};
    if (simple(L, c, OP_GRID_SAMPLE, in, 2, rank_of(L, x), false, outs, n_outs)) return -1;
    int n = L->g->n_nodes - 1;
    node_set_string(L->g, n, "mode", modes[im]);
    node_set_string(L->g, n, "padding_mode", pads[pm]);
    node_set_int(L->g, n, "align_corners", align);
    return 0;
}

/* torch.arange(start, end, step): bounds are literals or numbers of the code (sizes read at
 * run time); ints with floats are promoted to float.  Literal bounds are checked here (the
 * executor bounds the others when it runs). */
static int lower_arange(Lower *L, const Call *c, int *outs, int n_outs)
{
    const Expr *e[3];
    int v[3] = {-1, -1, -1};
    bool isint = true, literal = true;
    double b[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        if (need(L, c, k, NULL, &e[k])) return -1;
        if (e[k]->kind == E_INT || e[k]->kind == E_FLOAT) {
            isint &= e[k]->kind == E_INT;
            b[k] = e[k]->kind == E_INT ? (double)e[k]->i : e[k]->f;
            continue;
        }
        literal = false;
        if ((v[k] = value_of(L, e[k])) < 0) return -1;
        ValueKind kind = kind_of(L, v[k]);
        if (kind != V_INT && kind != V_FLOAT)
            return FAIL(L, e[k], "torch.arange: bounds must be numbers, not %s", value_kind_names[kind]);
        isint &= kind == V_INT;
    }
    if (literal) {
        double n = (b[1] - b[0]) / b[2];
        if (!isfinite(b[0]) || !isfinite(b[1]) || !isfinite(b[2]) || b[2] == 0 || !(n <= MAX_ARANGE))
            return FAIL(L, c->call, "torch.arange(%g, %g, %g) is not a range of at most %d values", b[0], b[1], b[2],
                        MAX_ARANGE);
    }
    for (int i = 0; i < c->call->n; i++) /* dtype=None, layout=None, device=..., pin_memory=None */
        if (c->call->kw[i] && strcmp(c->call->kw[i], "device") && c->call->items[i]->kind != E_NONE)
            return FAIL(L, c->call->items[i], "torch.arange: %.60s= is not read", c->call->kw[i]);
    int in[3];
    ValueKind kind = isint ? V_INT : V_FLOAT;
    for (int k = 0; k < 3; k++)
        if ((in[k] = v[k] < 0 ? number_const(L, e[k], kind) : number_as(L, v[k], kind)) < 0) return -1;
    return simple(L, c, OP_RANGE, in, 3, 1, isint, outs, n_outs);
}

/* torch.size(x): its shape as a list; torch.size(x, d): one dim as an int. */
static int lower_size(Lower *L, const Call *c, int *outs, int n_outs)
{
    if (one_out(L, c, n_outs)) return -1;
    if (c->call->n > 2) return FAIL(L, c->call, "torch.size takes 1 or 2 arguments, not %d", c->call->n);
    int x = tensor_arg(L, c, 0, NULL);
    if (x < 0) return -1;
    int64_t d = 0;
    bool one = arg(c, 1, "dim") != NULL;
    if (one && get_int(L, c, 1, "dim", &d)) return -1;
    int s = new_tensor(L, 1, true);
    if (node(L, OP_SHAPE, &x, 1, &s, 1) < 0) return -1;
    set_kind(L, s, V_LIST, rank_of(L, x));
    outs[0] = one ? list_element(L, c->call, s, d) : s;
    return outs[0] < 0 ? -1 : 0;
}

/* Every torch function the writer (torchscript_code.c) emits, and how it reads back. */
static const struct {
    const char *fn;
    LowerFn lower;
} lowerings[] = {
    {"conv1d", lower_conv},         {"conv2d", lower_conv},          {"conv_transpose1d", lower_conv},
    {"conv_transpose2d", lower_conv}, {"batch_norm", lower_batch_norm}, {"add", lower_binary},
    {"sub", lower_binary},          {"mul", lower_binary},           {"div", lower_binary},
    {"rsub", lower_binary},         {"cat", lower_cat},              {"split_with_sizes", lower_split},
    {"slice", lower_slice},         {"max_pool2d", lower_pool},      {"avg_pool2d", lower_pool},
    {"adaptive_avg_pool2d", lower_adaptive_pool}, {"adaptive_avg_pool1d", lower_adaptive_pool},
    {"upsample_nearest2d", lower_upsample}, {"upsample_bilinear2d", lower_upsample},
    {"reshape", lower_reshape},     {"permute", lower_permute},      {"t", lower_t},
    {"softmax", lower_softmax},     {"matmul", lower_matmul},        {"mm", lower_matmul},
    {"linear", lower_gemm},         {"addmm", lower_gemm},           {"flatten", lower_flatten},
    {"to", lower_to},               {"select", lower_select},        {"index_select", lower_select},
    {"unsqueeze", lower_unsqueeze}, {"squeeze", lower_squeeze},      {"amax", lower_reduce},
    {"mean", lower_reduce},         {"sum", lower_reduce},           {"argmax", lower_argmax},
    {"topk", lower_topk},           {"expand", lower_expand},        {"clamp", lower_clamp},
    {"pow", lower_pow},             {"leaky_relu", lower_leaky_relu}, {"constant_pad_nd", lower_pad},
    {"grid_sampler", lower_grid_sampler}, {"arange", lower_arange}, {"size", lower_size},
};

static int lower_expr(Lower *L, const Expr *e, int *outs, int n_outs)
{
    if (e->kind != E_CALL) {
        if (n_outs != 1) return FAIL(L, e, "a tuple assignment needs a call that gives several tensors");
        int t = value_of(L, e); /* x = y: an alias; x = [a, b], a + b, a[i]: shape arithmetic */
        if (t < 0) return -1;
        outs[0] = t;
        return 0;
    }
    if (!strcmp(e->s, "float") || !strcmp(e->s, "int")) return lower_number_cast(L, e, outs, n_outs);
    if (strncmp(e->s, "torch.", 6) || strchr(e->s + 6, '.'))
        return FAIL(L, e, "%.100s(...) is not a call this reader knows (only torch.<op> calls are read)", e->s);
    Call c = {.call = e, .fn = e->s + 6};
    if (torchscript_unary_op(e->s) != OP_OTHER) return lower_unary(L, &c, outs, n_outs);
    for (size_t i = 0; i < ARRAY_LEN(lowerings); i++)
        if (!strcmp(c.fn, lowerings[i].fn)) return lowerings[i].lower(L, &c, outs, n_outs);
    return FAIL(L, e, "%.100s is not an op this reader knows", e->s);
}

/* ---- statements ------------------------------------------------------------------------ */

/* def forward(self: <class>, name: Tensor, ...) -> <type>:  -- the inputs. */
static int parse_signature(Parser *P, Lower *L)
{
    Tok *t = ts_next(P);
    if (!ts_is_name(t, "def") || !ts_is_name(ts_next(P), "forward") || ts_expect(P, '('))
        return ts_perr(P, t->line, "expected 'def forward('");
    if (!ts_is_name(ts_next(P), "self")) return ts_perr(P, t->line, "forward's first argument is not self");
    if (ts_is_punct(ts_peek(P), ':')) {
        ts_next(P);
        while (ts_peek(P)->kind == TK_NAME || ts_is_punct(ts_peek(P), '.')) ts_next(P);
    }
    while (ts_is_punct(ts_peek(P), ',')) {
        ts_next(P);
        if (ts_is_punct(ts_peek(P), ')')) break;
        Tok *name = ts_next(P);
        if (name->kind != TK_NAME) return ts_perr(P, name->line, "expected an argument name, found %s", ts_tok_desc(name));
        if (ts_expect(P, ':')) return -1;
        Tok *type = ts_next(P);
        if (!ts_is_name(type, "Tensor")) return ts_perr(P, type->line, "forward's argument %.60s is not a Tensor", name->text);
        if (L->g->n_inputs >= MAX_INPUTS) return ts_perr(P, name->line, "forward takes more than %d tensors", MAX_INPUTS);
        if (strmap_get(&L->vars, name->text) >= 0) return ts_perr(P, name->line, "argument %.60s is repeated", name->text);
        int x = graph_add_tensor(L->g, name->text, DT_F32, 0, NULL);
        track(L, x, 4, false);
        graph_add_input(L->g, x);
        strmap_put(&L->vars, name->text, x);
    }
    if (ts_expect(P, ')')) return -1;
    if (!ts_is_punct(ts_next(P), '>')) return ts_perr(P, ts_peek(P)->line, "forward has no return type");
    if (ts_skip_type(P, 0) || ts_expect(P, ':')) return -1;
    Tok *nl = ts_next(P);
    if (nl->kind != TK_NEWLINE) return ts_perr(P, nl->line, "expected the end of the line, found %s", ts_tok_desc(nl));
    if (!L->g->n_inputs) return ts_perr(P, t->line, "forward takes no tensors");
    return 0;
}

static int parse_return(Parser *P, Lower *L, int line)
{
    bool tuple = ts_is_punct(ts_peek(P), '(');
    if (tuple) ts_next(P);
    for (;;) {
        Expr *e = ts_parse_expr(P, 0);
        if (!e) return -1;
        L->stmt = "return";
        L->n_in_stmt = 0;
        int t;
        if (lower_expr(L, e, &t, 1)) return -1;
        if (L->g->n_outputs >= 64) return ts_perr(P, line, "forward returns more than 64 tensors");
        graph_add_output(L->g, t);
        if (!ts_is_punct(ts_peek(P), ',')) break;
        ts_next(P);
        if (tuple && ts_is_punct(ts_peek(P), ')')) break;
    }
    if (tuple && ts_expect(P, ')')) return -1;
    Tok *nl = ts_next(P);
    if (nl->kind != TK_NEWLINE) return ts_perr(P, nl->line, "expected the end of the line, found %s", ts_tok_desc(nl));
    Tok *end = ts_peek(P);
    if (end->kind != TK_END)
        return ts_perr(P, end->line, "code after forward's return (only straight-line forward code is read)");
    return 0;
}

static int parse_body(Parser *P, Lower *L)
{
    for (;;) {
        Tok *t = ts_peek(P);
        if (t->kind == TK_END) return ts_perr(P, t->line, "forward ends without a return");
        if (t->kind == TK_NEWLINE) {
            ts_next(P);
            continue;
        }
        if (ts_is_name(t, "return")) {
            ts_next(P);
            return parse_return(P, L, t->line);
        }
        /* targets = call */
        const char *targets[MAX_TARGETS];
        int n = 0;
        for (;;) {
            Tok *name = ts_next(P);
            if (name->kind != TK_NAME || ts_is_name(name, "self") || ts_is_name(name, "None") || ts_is_name(name, "True") ||
                ts_is_name(name, "False"))
                return ts_perr(P, name->line, "%s is not a statement this reader knows (only straight-line forward "
                                           "code of 'name = torch.<op>(...)' lines is read)",
                            ts_tok_desc(name));
            if (n == MAX_TARGETS) return ts_perr(P, name->line, "more than %d names on the left", MAX_TARGETS);
            targets[n++] = name->text;
            Tok *u = ts_next(P);
            if (ts_is_punct(u, '=')) break;
            if (!ts_is_punct(u, ','))
                return ts_perr(P, u->line, "expected '=' after %.60s, found %s (only straight-line forward code of "
                                        "'name = torch.<op>(...)' lines is read)",
                            name->text, ts_tok_desc(u));
            if (ts_is_punct(ts_peek(P), '=')) {
                ts_next(P);
                break;
            }
        }
        Expr *e = ts_parse_expr(P, 0);
        if (!e) return -1;
        Tok *nl = ts_next(P);
        if (nl->kind != TK_NEWLINE) return ts_perr(P, nl->line, "expected the end of the line, found %s", ts_tok_desc(nl));
        L->stmt = targets[0];
        L->n_in_stmt = 0;
        int outs[MAX_TARGETS];
        if (lower_expr(L, e, outs, n)) return -1;
        for (int i = 0; i < n; i++) strmap_put(&L->vars, targets[i], outs[i]);
    }
}

Graph *torchscript_graph_from_code(const char *what, const char *code, size_t len, const TorchScriptWeight *weights,
                                   int n_weights, char *err, size_t errlen)
{
    if (len > MAX_CODE) {
        err_set(err, errlen, "%s: the code is larger than %d bytes", what, MAX_CODE);
        return NULL;
    }
    if (memchr(code, '\0', len)) {
        err_set(err, errlen, "%s: the code is not text", what);
        return NULL;
    }
    Parser P = {.what = what, .arena = arena_new(), .err = err, .errlen = errlen};
    Graph *g = graph_new();
    Lower L = {.P = &P, .g = g, .vars = {.arena = P.arena}, .attrs = {.arena = P.arena}};
    StrMap params = {.arena = P.arena};
    int rc = ts_tokenise(&P, code, len, 1);
    /* the class header: __parameters__ = ["name", ...] says which tensors are learned (the
     * rest are buffers); forward() starts at "def forward" */
    size_t start = 0;
    bool found = false;
    for (size_t i = 0; !rc && i + 1 < P.n && !found; i++) {
        if (ts_is_name(&P.toks[i], "def") && ts_is_name(&P.toks[i + 1], "forward")) start = i, found = true;
        else if (ts_is_name(&P.toks[i], "__parameters__") && i + 2 < P.n && ts_is_punct(&P.toks[i + 1], '=') &&
                 ts_is_punct(&P.toks[i + 2], '['))
            for (size_t j = i + 3; j < P.n && P.toks[j].kind == TK_STRING; j += 2) {
                strmap_put(&params, P.toks[j].text, 1);
                if (!ts_is_punct(&P.toks[j + 1], ',')) break;
            }
    }
    if (!rc && !found) rc = err_set(err, errlen, "%s: the code has no forward()", what);
    P.pos = start;
    for (int i = 0; !rc && i < n_weights; i++) {
        const TorchScriptWeight *w = &weights[i];
        if (strmap_get(&L.attrs, w->name) >= 0) continue;
        DType dt = w->dtype;
        int t;
        if (dt == DT_F16) {
            /* float16 storages: float32 in the graph; torchscript_read converts the whole graph back */
            int64_t n = w->nbytes / 2;
            float *f32 = arena_alloc(g->arena, (size_t)(n ? n : 1) * sizeof *f32);
            for (int64_t k = 0; k < n; k++) {
                uint16_t h;
                memcpy(&h, (const uint8_t *)w->data + 2 * k, 2);
                f32[k] = half_to_float(h);
            }
            t = graph_add_tensor(g, w->name, DT_F32, w->rank, w->dims);
            g->tensors[t].data = f32;
            g->tensors[t].nbytes = (size_t)n * sizeof *f32;
        } else {
            t = graph_add_const(g, w->name, dt, w->rank, w->dims, w->data);
        }
        bool fl = dt == DT_F32 || dt == DT_F16 || dt == DT_F64 || dt == DT_BF16;
        g->tensors[t].is_param = fl && strmap_get(&params, w->name) >= 0;
        track(&L, t, w->rank, !fl);
        strmap_put(&L.attrs, w->name, t);
    }
    if (!rc) rc = parse_signature(&P, &L) || parse_body(&P, &L) ? -1 : 0;
    if (!rc) {
        char why[512];
        if (graph_validate(g, why, sizeof why)) rc = err_set(err, errlen, "%s: %s", what, why);
    }
    strmap_free(&L.vars);
    strmap_free(&L.attrs);
    strmap_free(&params);
    vec_free(&L.info);
    free(P.toks);
    arena_free(P.arena);
    if (rc) {
        graph_free(g);
        return NULL;
    }
    return g;
}

/* ---- the archive ----------------------------------------------------------------------- */

Graph *torchscript_read(const char *path, TorchScriptRead *how, char *err, size_t errlen)
{
    memset(how, 0, sizeof *how);
    TorchScriptArchive A;
    if (torchscript_open(path, &A, err, errlen)) return NULL;
    Graph *g = NULL;
    const char *cls = A.info.class_name;
    if (strncmp(cls, TORCHSCRIPT_MODULE ".", strlen(TORCHSCRIPT_MODULE) + 1)) {
        err_set(err, errlen,
                "%s: the module is %s, not one yoloport wrote: only the straight-line forward code of yoloport's "
                "TorchScript export is read (torch.jit archives call submodules); open the .pt checkpoint instead",
                path, cls);
        goto out;
    }
    if (A.info.dtype == DT_UNDEFINED && A.n_weights) {
        err_set(err, errlen, "%s: the weights mix float types", path);
        goto out;
    }
    if (A.info.imgsz[0] <= 0 || A.info.imgsz[1] <= 0 || A.info.imgsz[0] > 1 << 15 || A.info.imgsz[1] > 1 << 15) {
        err_set(err, errlen, "%s: extra/config.txt gives no usable imgsz, so the input's size is unknown", path);
        goto out;
    }
    g = torchscript_graph_from_code(path, A.code, A.code_len, A.weights, A.n_weights, err, errlen);
    if (!g) goto out;
    if (A.info.metadata) openvino_metadata_apply_json(g, A.info.metadata, strlen(A.info.metadata));
    int batch = A.info.batch > 0 && A.info.batch <= 1024 ? A.info.batch : 1;
    int ch = A.info.channels > 0 && A.info.channels <= 64 ? A.info.channels : 3;
    int64_t d[4] = {batch, ch, A.info.imgsz[0], A.info.imgsz[1]};
    /* code that reads sizes at run time (a dynamic=True export) takes any batch and image
     * size, as the dynamic ONNX export's symbolic batch/height/width do */
    bool dynamic = A.info.dynamic;
    for (int i = 0; i < g->n_nodes; i++) dynamic |= g->nodes[i].op == OP_SHAPE;
    static const char *const dim_names[4] = {"batch", NULL, "height", "width"};
    for (int i = 0; i < g->n_inputs; i++) {
        Tensor *x = &g->tensors[g->inputs[i]];
        x->rank = 4;
        memcpy(x->dims, d, sizeof d);
        for (int k = 0; dynamic && k < 4; k++)
            if (dim_names[k]) x->dims[k] = -1, x->dim_names[k] = dim_names[k];
    }
    /* outputs under the export's names (the code's are locals) */
    for (int i = 0; i < g->n_outputs; i++) {
        Tensor *y = &g->tensors[g->outputs[i]];
        if (y->producer >= 0 && !y->is_input) y->name = arena_printf(g->arena, "output%d", i);
    }
    g->meta.source_path = arena_strdup(g->arena, path);
    g->meta.producer = "TorchScript";
    g->meta.source_format = FMT_TORCHSCRIPT;
    if (!g->meta.imgsz[0]) g->meta.imgsz[0] = A.info.imgsz[0], g->meta.imgsz[1] = A.info.imgsz[1];
    if (!g->meta.channels) g->meta.channels = ch;
    memcpy(how->dims, d, sizeof d);
    how->dynamic = dynamic;
    how->half = A.info.dtype == DT_F16;
out:
    torchscript_archive_free(&A);
    return g;
}
