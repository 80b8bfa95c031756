/* torchscript_code: the per-op emitters that turn the Graph IR into TorchScript source, one
 * straight-line statement per node, and their table (torchscript_module.c drives them over a
 * whole graph; see torchscript.h).
 *
 * Every IR value has a kind in the generated code: a Tensor variable, a constant (a data
 * tensor: a module attribute when used as a tensor, a literal when used as a scalar or an
 * integer list), a List[int] (a Shape result and what is computed from it), an int or a
 * float (an element of such a list).  Emitters check ranks, axes and operand kinds, and
 * fail with the node's name and op when something has no faithful translation. */
#include <assert.h>
#include "formats/torchscript_code_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages, text ---- */

int tsc_fail(Gen *G, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (G->node)
        return err_set(G->err, G->errlen, "%s (%s): %s", G->node->name ? G->node->name : "?",
                       node_op_name(G->node), msg);
    return err_set(G->err, G->errlen, "%s", msg);
}

void tsc_put(Vec *v, const char *s)
{
    for (; *s; s++) vec_push(v, 1, s);
}

__attribute__((format(printf, 2, 3))) static void line(Gen *G, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        fprintf(stderr, "yoloport: out of memory\n");
        abort();
    }
    va_end(ap);
    tsc_put(&G->body, "    ");
    tsc_put(&G->body, s);
    tsc_put(&G->body, "\n");
    free(s);
}

/* A float literal TorchScript parses back to the same value ("2.", "0.0625", "1e-05"). */
static const char *lit_float(Gen *G, double v, bool single)
{
    if (isnan(v)) return "float(\"nan\")";
    if (isinf(v)) return v > 0 ? "float(\"inf\")" : "float(\"-inf\")";
    char buf[64];
    for (int prec = single ? 6 : 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (single ? (float)back == (float)v : back == v) break;
    }
    if (!strpbrk(buf, ".eEn")) strcat(buf, ".");
    return arena_strdup(G->arena, buf);
}

static const char *lit_ints(Gen *G, const int64_t *v, int n)
{
    if (n == 0) return "annotate(List[int], [])";
    Vec s = {0};
    tsc_put(&s, "[");
    for (int i = 0; i < n; i++) {
        char b[32];
        snprintf(b, sizeof b, "%s%" PRId64, i ? ", " : "", v[i]);
        tsc_put(&s, b);
    }
    tsc_put(&s, "]");
    vec_push(&s, 1, "");
    const char *r = arena_strdup(G->arena, s.items);
    vec_free(&s);
    return r;
}

static bool attr_name_used(const Gen *G, const char *s)
{
    const TorchScriptAttr *at = G->attrs.items;
    for (size_t i = 0; i < G->attrs.len; i++)
        if (!strcmp(at[i].name, s)) return true;
    return false;
}

/* ---- operands ---- */

static const Tensor *T(const Gen *G, int t) { return &G->g->tensors[t]; }

/* Input k of n, or -1 when absent (omitted optional). */
static int in_opt(const Node *n, int k) { return k < n->n_inputs ? n->inputs[k] : -1; }

static int in_req(Gen *G, const Node *n, int k)
{
    int t = in_opt(n, k);
    if (t < 0) return tsc_fail(G, "input %d is missing", k + 1);
    return t;
}

static bool is_const(const Gen *G, int t) { return G->vals[t].kind == VK_CONST; }

/* The tensor holding a constant's data (through Identity/Constant aliases). */
static const Tensor *const_tensor(const Gen *G, int t) { return T(G, G->vals[t].data); }

static bool is_int_dtype(DType d)
{
    return d == DT_I64 || d == DT_I32 || d == DT_I16 || d == DT_I8 || d == DT_U8 || d == DT_U16 || d == DT_U32;
}

static bool is_float_dtype(DType d) { return d == DT_F32 || d == DT_F16 || d == DT_F64 || d == DT_BF16; }

/* The module attribute for a constant tensor (created on first use). */
static const char *attr_expr(Gen *G, int t)
{
    int d = G->vals[t].data;
    if (G->attr_of[d] < 0) {
        const Tensor *X = T(G, d);
        const char *base = tsc_identifier(G->arena, X->name, "w");
        const char *name = base;
        for (int k = 1; tsc_is_reserved(name) || attr_name_used(G, name); k++)
            name = arena_printf(G->arena, "%s_%d", base, k);
        /* torch keeps only floating tensors as parameters */
        TorchScriptAttr at = {.tensor = d, .name = name, .parameter = X->is_param && is_float_dtype(X->dtype)};
        G->attr_of[d] = (int)G->attrs.len;
        vec_push(&G->attrs, sizeof at, &at);
    }
    const TorchScriptAttr *at = G->attrs.items;
    return arena_printf(G->arena, "self.%s", at[G->attr_of[d]].name);
}

/* A tensor operand: a variable, or a constant's attribute.  NULL + message otherwise. */
const char *tsc_tensor_expr(Gen *G, int t)
{
    const Value *v = &G->vals[t];
    switch (v->kind) {
    case VK_TENSOR: return v->expr;
    case VK_CONST: return attr_expr(G, t);
    case VK_UNSET: tsc_fail(G, "tensor '%s' is used before it is computed", T(G, t)->name); return NULL;
    default:
        tsc_fail(G, "'%s' is a shape value (a list or number) and cannot be used as a tensor here", T(G, t)->name);
        return NULL;
    }
}

static double element_as_double(const Tensor *X, int64_t i)
{
    const uint8_t *p = X->data;
    switch (X->dtype) {
    case DT_F32: { float f; memcpy(&f, p + 4 * i, 4); return f; }
    case DT_F64: { double f; memcpy(&f, p + 8 * i, 8); return f; }
    case DT_F16: { uint16_t h; memcpy(&h, p + 2 * i, 2); return half_to_float(h); }
    case DT_BF16: { uint16_t h; memcpy(&h, p + 2 * i, 2); return bf16_to_float(h); }
    default: return 0;
    }
}

static bool element_as_int(const Tensor *X, int64_t i, int64_t *out)
{
    const uint8_t *p = X->data;
    switch (X->dtype) {
    case DT_I64: memcpy(out, p + 8 * i, 8); return true;
    case DT_I32: { int32_t v; memcpy(&v, p + 4 * i, 4); *out = v; return true; }
    case DT_I16: { int16_t v; memcpy(&v, p + 2 * i, 2); *out = v; return true; }
    case DT_I8: *out = (int8_t)p[i]; return true;
    case DT_U8: *out = p[i]; return true;
    case DT_U16: { uint16_t v; memcpy(&v, p + 2 * i, 2); *out = v; return true; }
    case DT_U32: { uint32_t v; memcpy(&v, p + 4 * i, 4); *out = v; return true; }
    default: return false;
    }
}

/* A constant's data is present and as large as its shape says. */
static bool const_data_ok(const Tensor *X, int64_t *numel)
{
    int64_t n = tensor_numel(X);
    size_t es = dtype_size(X->dtype), need;
    if (n < 0 || !X->data || !es || !size_mul((size_t)n, es, &need) || X->nbytes < need) return false;
    *numel = n;
    return true;
}

/* Integer constant values (any rank), at most max.  Count, or -1 + message. */
static int const_ints(Gen *G, int t, int64_t *out, int max, const char *what)
{
    if (!is_const(G, t)) return tsc_fail(G, "%s must be a constant (it is computed at run time)", what);
    const Tensor *X = const_tensor(G, t);
    int64_t n;
    if (!is_int_dtype(X->dtype)) return tsc_fail(G, "%s must be integers, not %s", what, dtype_name(X->dtype));
    if (!const_data_ok(X, &n)) return tsc_fail(G, "%s: constant '%s' has no data", what, X->name);
    if (n > max) return tsc_fail(G, "%s has %" PRId64 " values (at most %d)", what, n, max);
    for (int64_t i = 0; i < n; i++) element_as_int(X, i, &out[i]);
    return (int)n;
}

/* A constant with exactly one element: its value; false when t is not one. */
static bool const_scalar(const Gen *G, int t, double *v, int64_t *iv, bool *is_float)
{
    if (!is_const(G, t)) return false;
    const Tensor *X = const_tensor(G, t);
    int64_t n;
    if (!const_data_ok(X, &n) || n != 1) return false;
    if (is_float_dtype(X->dtype)) {
        *v = element_as_double(X, 0);
        *is_float = true;
        return true;
    }
    if (is_int_dtype(X->dtype) && element_as_int(X, 0, iv)) {
        *v = (double)*iv;
        *is_float = false;
        return true;
    }
    return false;
}

static const char *const_scalar_lit(Gen *G, int t)
{
    double v;
    int64_t iv;
    bool fl;
    if (!const_scalar(G, t, &v, &iv, &fl)) return NULL;
    if (fl) return lit_float(G, v, const_tensor(G, t)->dtype != DT_F64);
    return arena_printf(G->arena, "%" PRId64, iv);
}

/* A Python number operand: an int/float variable or a one-element constant; NULL if t is
 * neither (no message). */
static const char *scalar_expr(Gen *G, int t)
{
    const Value *v = &G->vals[t];
    if (v->kind == VK_INT || v->kind == VK_FLOAT) return v->expr;
    return const_scalar_lit(G, t);
}

/* Integer attribute list or constant input (the two forms ONNX uses across opsets). */
static int ints_attr_or_input(Gen *G, const Node *n, const char *attr, int input, int64_t *out, int max)
{
    const Attr *a = node_attr(n, attr);
    if (a) {
        if (a->type == ATTR_INT) {
            out[0] = a->i;
            return 1;
        }
        if (a->type != ATTR_INTS) return tsc_fail(G, "attribute '%s' is not a list of integers", attr);
        if (a->count > max) return tsc_fail(G, "attribute '%s' has %d values (at most %d)", attr, a->count, max);
        for (int i = 0; i < a->count; i++) out[i] = a->ints[i];
        return a->count;
    }
    int t = in_opt(n, input);
    if (t < 0) return 0;
    return const_ints(G, t, out, max, attr);
}

static int normalize_axis(Gen *G, int64_t axis, int rank, const char *what)
{
    if (axis < -rank || axis >= rank) return tsc_fail(G, "%s %" PRId64 " is out of range for rank %d", what, axis, rank);
    return (int)(axis < 0 ? axis + rank : axis);
}

/* ---- results ---- */

static const char *new_var(Gen *G, int t, ValueKind kind)
{
    const char *name = arena_printf(G->arena, "x%d", G->next_var++);
    if (t >= 0) {
        G->vals[t].kind = kind;
        G->vals[t].expr = name;
    }
    return name;
}

static int out_req(Gen *G, const Node *n, int k)
{
    if (k >= n->n_outputs || n->outputs[k] < 0) return tsc_fail(G, "output %d is missing", k + 1);
    return n->outputs[k];
}

/* One-output op: "<var> = <fmt...>". */
__attribute__((format(printf, 3, 4))) static int assign(Gen *G, const Node *n, const char *fmt, ...)
{
    int o = out_req(G, n, 0);
    if (o < 0) return -1;
    va_list ap;
    va_start(ap, fmt);
    char rhs[4096];
    int len = vsnprintf(rhs, sizeof rhs, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof rhs) return tsc_fail(G, "statement too long");
    line(G, "%s = %s", new_var(G, o, VK_TENSOR), rhs);
    return 0;
}

static int rank_of(const Gen *G, int t)
{
    const Value *v = &G->vals[t];
    if (v->kind == VK_CONST) return const_tensor(G, t)->rank;
    return T(G, t)->rank;
}

/* ---- emitters ---- */

/* strides / dilations / pads for `spatial` dims with their defaults. */
static int window_attrs(Gen *G, const Node *n, int spatial, int64_t *strides, int64_t *dil, int64_t *pads)
{
    int64_t tmp[16];
    int c;
    for (int i = 0; i < spatial; i++) strides[i] = dil[i] = 1;
    for (int i = 0; i < 2 * spatial; i++) pads[i] = 0;
    if ((c = ints_attr_or_input(G, n, "strides", 99, tmp, 16)) < 0) return -1;
    if (c && c != spatial) return tsc_fail(G, "strides has %d values for %d spatial dims", c, spatial);
    for (int i = 0; i < c; i++) strides[i] = tmp[i];
    if ((c = ints_attr_or_input(G, n, "dilations", 99, tmp, 16)) < 0) return -1;
    if (c && c != spatial) return tsc_fail(G, "dilations has %d values for %d spatial dims", c, spatial);
    for (int i = 0; i < c; i++) dil[i] = tmp[i];
    if ((c = ints_attr_or_input(G, n, "pads", 99, tmp, 16)) < 0) return -1;
    if (c && c != 2 * spatial) return tsc_fail(G, "pads has %d values for %d spatial dims", c, spatial);
    for (int i = 0; i < c; i++) pads[i] = tmp[i];
    const Attr *ap = node_attr(n, "auto_pad");
    if (ap && ap->type == ATTR_STRING && ap->s && strcmp(ap->s, "NOTSET")) {
        if (strcmp(ap->s, "VALID")) return tsc_fail(G, "auto_pad %s is not supported (explicit pads are)", ap->s);
        for (int i = 0; i < 2 * spatial; i++) pads[i] = 0;
    }
    for (int i = 0; i < spatial; i++) {
        if (strides[i] <= 0 || dil[i] <= 0) return tsc_fail(G, "strides and dilations must be positive");
        if (pads[i] < 0 || pads[i + spatial] < 0) return tsc_fail(G, "negative pads are not supported");
    }
    return 0;
}

static bool pads_symmetric(const int64_t *pads, int spatial)
{
    for (int i = 0; i < spatial; i++)
        if (pads[i] != pads[i + spatial]) return false;
    return true;
}

static int emit_conv(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), w = x < 0 ? -1 : in_req(G, n, 1), b = in_opt(n, 2);
    if (w < 0) return -1;
    int wr = rank_of(G, w), xr = rank_of(G, x);
    if (wr != 3 && wr != 4) return tsc_fail(G, "only 1-D and 2-D convolutions are supported (weight rank %d)", wr);
    if (xr != wr) return tsc_fail(G, "input rank %d does not match weight rank %d", xr, wr);
    int sp = wr - 2;
    int64_t st[2], dl[2], pd[4];
    if (window_attrs(G, n, sp, st, dl, pd)) return -1;
    int64_t group = node_attr_int(n, "group", 1);
    const Tensor *W = is_const(G, w) ? const_tensor(G, w) : T(G, w);
    int64_t cin = T(G, x)->dims[1];
    if (group <= 0 || (W->dims[0] > 0 && W->dims[0] % group) ||
        (cin > 0 && W->dims[1] > 0 && cin != W->dims[1] * group))
        return tsc_fail(G, "weight [%" PRId64 ", %" PRId64 ", ...] with group %" PRId64 " does not fit %" PRId64
                       " input channels",
                    W->dims[0], W->dims[1], group, cin);
    const char *xs = tsc_tensor_expr(G, x), *ws = tsc_tensor_expr(G, w), *bs = b >= 0 ? tsc_tensor_expr(G, b) : "None";
    if (!xs || !ws || !bs) return -1;
    if (!pads_symmetric(pd, sp)) {
        /* asymmetric padding: pad explicitly (torch's order is last dim first) */
        int64_t tp[4];
        for (int i = 0; i < sp; i++) {
            tp[2 * i] = pd[sp - 1 - i];
            tp[2 * i + 1] = pd[2 * sp - 1 - i];
        }
        const char *v = new_var(G, -1, VK_TENSOR);
        line(G, "%s = torch.constant_pad_nd(%s, %s, 0.)", v, xs, lit_ints(G, tp, 2 * sp));
        xs = v;
        for (int i = 0; i < 2 * sp; i++) pd[i] = 0;
    }
    return assign(G, n, "torch.conv%dd(%s, %s, %s, %s, %s, %s, %" PRId64 ")", sp, xs, ws, bs, lit_ints(G, st, sp),
                  lit_ints(G, pd, sp), lit_ints(G, dl, sp), group);
}

static int emit_conv_transpose(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), w = x < 0 ? -1 : in_req(G, n, 1), b = in_opt(n, 2);
    if (w < 0) return -1;
    int wr = rank_of(G, w);
    if ((wr != 3 && wr != 4) || rank_of(G, x) != wr)
        return tsc_fail(G, "only 1-D and 2-D transposed convolutions are supported");
    int sp = wr - 2;
    int64_t st[2], dl[2], pd[4], op[2] = {0, 0};
    if (window_attrs(G, n, sp, st, dl, pd)) return -1;
    if (!pads_symmetric(pd, sp)) return tsc_fail(G, "asymmetric pads are not supported");
    if (node_attr(n, "output_shape")) return tsc_fail(G, "output_shape is not supported (give pads)");
    int c = ints_attr_or_input(G, n, "output_padding", 99, op, 2);
    if (c < 0) return -1;
    if (c && c != sp) return tsc_fail(G, "output_padding has %d values for %d spatial dims", c, sp);
    int64_t group = node_attr_int(n, "group", 1);
    if (group <= 0) return tsc_fail(G, "group must be positive");
    const char *xs = tsc_tensor_expr(G, x), *ws = tsc_tensor_expr(G, w), *bs = b >= 0 ? tsc_tensor_expr(G, b) : "None";
    if (!xs || !ws || !bs) return -1;
    return assign(G, n, "torch.conv_transpose%dd(%s, %s, %s, %s, %s, %s, %" PRId64 ", %s)", sp, xs, ws, bs,
                  lit_ints(G, st, sp), lit_ints(G, pd, sp), lit_ints(G, op, sp), group, lit_ints(G, dl, sp));
}

static int emit_batchnorm(Gen *G, const Node *n)
{
    const char *e[5];
    for (int k = 0; k < 5; k++) {
        int t = in_req(G, n, k);
        if (t < 0 || !(e[k] = tsc_tensor_expr(G, t))) return -1;
    }
    if (rank_of(G, n->inputs[0]) < 2) return tsc_fail(G, "input rank must be at least 2");
    double eps = node_attr_float(n, "epsilon", 1e-5);
    if (!(eps >= 0) || !isfinite(eps)) return tsc_fail(G, "epsilon %g is not valid", eps);
    return assign(G, n, "torch.batch_norm(%s, %s, %s, %s, %s, False, 0.10000000000000001, %s, True)", e[0], e[1], e[2],
                  e[3], e[4], lit_float(G, eps, false));
}

/* A row of the op table (below): how the writer translates one op. */

/* Ops that take one tensor and map it elementwise to one tensor (the torch function in
 * the op table). */
static int emit_unary(Gen *G, const Node *n)
{
    const char *fn = tsc_op(n->op)->torch_fn;
    int x = in_req(G, n, 0);
    if (!fn) return tsc_fail(G, "no TorchScript translation");
    const char *xs = x < 0 ? NULL : tsc_tensor_expr(G, x);
    if (!xs) return -1;
    return assign(G, n, "%s(%s)", fn, xs);
}

static bool number_is_float(const Gen *G, int t)
{
    double v;
    int64_t iv;
    bool fl = false;
    if (G->vals[t].kind == VK_FLOAT) return true;
    if (G->vals[t].kind == VK_INT) return false;
    return const_scalar(G, t, &v, &iv, &fl) && fl;
}

static int emit_binary(Gen *G, const Node *n)
{
    static const struct {
        OpKind op;
        const char *fn, *py;
    } ops[] = {{OP_ADD, "add", "+"}, {OP_SUB, "sub", "-"}, {OP_MUL, "mul", "*"}, {OP_DIV, "div", "/"}};
    const char *fn = NULL, *py = NULL;
    for (size_t i = 0; i < ARRAY_LEN(ops); i++)
        if (ops[i].op == n->op) fn = ops[i].fn, py = ops[i].py;
    int a = in_req(G, n, 0), b = a < 0 ? -1 : in_req(G, n, 1);
    if (b < 0) return -1;
    ValueKind ka = G->vals[a].kind, kb = G->vals[b].kind;
    bool num_a = ka == VK_INT || ka == VK_FLOAT, num_b = kb == VK_INT || kb == VK_FLOAT;
    if (num_a || num_b) {
        /* arithmetic on shape numbers stays Python arithmetic when both sides are numbers */
        const char *sa = scalar_expr(G, a), *sb = scalar_expr(G, b);
        if (sa && sb) {
            int o = out_req(G, n, 0);
            if (o < 0) return -1;
            bool fl = number_is_float(G, a) || number_is_float(G, b);
            if (n->op == OP_DIV && !fl) py = "//"; /* shapes are non-negative: floor == trunc */
            line(G, "%s = %s %s %s", new_var(G, o, fl ? VK_FLOAT : VK_INT), sa, py, sb);
            return 0;
        }
    }
    if (n->op == OP_DIV) G->uses_div = true;
    /* integer tensors divide as ONNX does (truncating), not as torch.div's true division */
    const char *tail = n->op == OP_DIV && n->n_outputs > 0 && n->outputs[0] >= 0 &&
                               is_int_dtype(T(G, n->outputs[0])->dtype)
                           ? ", rounding_mode=\"trunc\""
                           : "";
    /* a one-element constant becomes a literal when it cannot change the result's rank */
    const char *lb = (is_const(G, b) && rank_of(G, b) <= rank_of(G, a)) || num_b ? scalar_expr(G, b) : NULL;
    const char *la = (is_const(G, a) && rank_of(G, a) <= rank_of(G, b)) || num_a ? scalar_expr(G, a) : NULL;
    if (lb) {
        const char *sa = tsc_tensor_expr(G, a);
        return sa ? assign(G, n, "torch.%s(%s, %s%s)", fn, sa, lb, tail) : -1;
    }
    if (la && n->op != OP_DIV) {
        const char *sb = tsc_tensor_expr(G, b);
        if (!sb) return -1;
        if (n->op == OP_SUB) return assign(G, n, "torch.rsub(%s, %s)", sb, la);
        return assign(G, n, "torch.%s(%s, %s)", fn, sb, la);
    }
    const char *sa = tsc_tensor_expr(G, a), *sb = sa ? tsc_tensor_expr(G, b) : NULL;
    return sb ? assign(G, n, "torch.%s(%s, %s%s)", fn, sa, sb, tail) : -1;
}

/* A List[int] operand: a list variable or an integer constant vector (as a literal). */
static const char *ints_expr(Gen *G, int t)
{
    const Value *v = &G->vals[t];
    if (v->kind == VK_INTS) return v->expr;
    if (v->kind == VK_INT) return arena_printf(G->arena, "[%s]", v->expr);
    if (v->kind == VK_CONST) {
        const Tensor *X = const_tensor(G, t);
        int64_t vals[64], n;
        if (!is_int_dtype(X->dtype) || X->rank > 1 || !const_data_ok(X, &n) || n > 64) return NULL;
        for (int64_t i = 0; i < n; i++) element_as_int(X, i, &vals[i]);
        return lit_ints(G, vals, (int)n);
    }
    return NULL;
}

static int emit_concat(Gen *G, const Node *n)
{
    if (n->n_inputs < 1) return tsc_fail(G, "no inputs");
    int64_t axis = node_attr_int(n, "axis", 0);
    bool any_list = false, all_listable = true;
    for (int k = 0; k < n->n_inputs; k++) {
        int t = in_req(G, n, k);
        if (t < 0) return -1;
        ValueKind kd = G->vals[t].kind;
        if (kd == VK_INTS || kd == VK_INT) any_list = true;
        else if (!(kd == VK_CONST && ints_expr(G, t))) all_listable = false;
    }
    if (any_list) {
        /* shape arithmetic: concatenating integer lists */
        if (!all_listable || axis != 0) return tsc_fail(G, "mixes shape values with tensors");
        Vec s = {0};
        for (int k = 0; k < n->n_inputs; k++) {
            if (k) tsc_put(&s, " + ");
            tsc_put(&s, ints_expr(G, n->inputs[k]));
        }
        vec_push(&s, 1, "");
        int o = out_req(G, n, 0);
        if (o >= 0) line(G, "%s = %s", new_var(G, o, VK_INTS), (char *)s.items);
        vec_free(&s);
        return o < 0 ? -1 : 0;
    }
    int rank = rank_of(G, n->inputs[0]);
    int ax = normalize_axis(G, axis, rank, "axis");
    if (ax < 0) return -1;
    for (int k = 1; k < n->n_inputs; k++)
        if (rank_of(G, n->inputs[k]) != rank) return tsc_fail(G, "inputs differ in rank");
    Vec s = {0};
    tsc_put(&s, "[");
    for (int k = 0; k < n->n_inputs; k++) {
        const char *e = tsc_tensor_expr(G, n->inputs[k]);
        if (!e) {
            vec_free(&s);
            return -1;
        }
        if (k) tsc_put(&s, ", ");
        tsc_put(&s, e);
    }
    tsc_put(&s, "]");
    vec_push(&s, 1, "");
    int r = assign(G, n, "torch.cat(%s, %d)", (char *)s.items, ax);
    vec_free(&s);
    return r;
}

static int emit_split(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    const Tensor *X = T(G, x);
    int ax = normalize_axis(G, node_attr_int(n, "axis", 0), rank_of(G, x), "axis");
    if (ax < 0) return -1;
    if (n->n_outputs < 1 || n->n_outputs > 64) return tsc_fail(G, "%d outputs", n->n_outputs);
    int64_t sizes[64];
    int c = ints_attr_or_input(G, n, "split", 1, sizes, 64);
    if (c < 0) return -1;
    if (c == 0) {
        int64_t d = X->dims[ax];
        if (d < 0 || d % n->n_outputs) return tsc_fail(G, "cannot split dim %" PRId64 " into %d equal parts", d, n->n_outputs);
        for (int i = 0; i < n->n_outputs; i++) sizes[i] = d / n->n_outputs;
        c = n->n_outputs;
    }
    if (c != n->n_outputs) return tsc_fail(G, "%d sizes for %d outputs", c, n->n_outputs);
    int64_t total = 0;
    for (int i = 0; i < c; i++) {
        if (sizes[i] < 0) return tsc_fail(G, "negative split size");
        total += sizes[i];
    }
    if (X->dims[ax] >= 0 && !G->dynamic && total != X->dims[ax])
        return tsc_fail(G, "sizes add up to %" PRId64 ", the dim is %" PRId64, total, X->dims[ax]);
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    Vec s = {0};
    for (int i = 0; i < c; i++) {
        tsc_put(&s, new_var(G, n->outputs[i] >= 0 ? n->outputs[i] : -1, VK_TENSOR));
        tsc_put(&s, ", ");
    }
    vec_push(&s, 1, "");
    line(G, "%s= torch.split_with_sizes(%s, %s, %d)", (char *)s.items, xs, lit_ints(G, sizes, c), ax);
    vec_free(&s);
    return 0;
}

static int emit_slice(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    int64_t st[8], en[8], ax[8], sp[8];
    int ns = ints_attr_or_input(G, n, "starts", 1, st, 8);
    int ne = ns < 0 ? -1 : ints_attr_or_input(G, n, "ends", 2, en, 8);
    int na = ne < 0 ? -1 : ints_attr_or_input(G, n, "axes", 3, ax, 8);
    int nst = na < 0 ? -1 : ints_attr_or_input(G, n, "steps", 4, sp, 8);
    if (nst < 0) return -1;
    if (ns != ne || ns == 0) return tsc_fail(G, "starts and ends must have the same, non-zero count");
    int rank = rank_of(G, x);
    if (na == 0)
        for (int i = 0; i < ns; i++) ax[i] = i;
    else if (na != ns) return tsc_fail(G, "axes count differs from starts");
    if (nst == 0)
        for (int i = 0; i < ns; i++) sp[i] = 1;
    else if (nst != ns) return tsc_fail(G, "steps count differs from starts");
    if (G->vals[x].kind == VK_INTS) {
        /* a piece of a shape list */
        int o = out_req(G, n, 0);
        if (o < 0) return -1;
        if (ns != 1 || (ax[0] != 0 && ax[0] != -1) || sp[0] != 1) return tsc_fail(G, "a shape list slices only along axis 0, step 1");
        if (en[0] >= INT32_MAX) line(G, "%s = %s[%" PRId64 ":]", new_var(G, o, VK_INTS), G->vals[x].expr, st[0]);
        else line(G, "%s = %s[%" PRId64 ":%" PRId64 "]", new_var(G, o, VK_INTS), G->vals[x].expr, st[0], en[0]);
        return 0;
    }
    const char *cur = tsc_tensor_expr(G, x);
    if (!cur) return -1;
    Vec s = {0};
    tsc_put(&s, cur);
    for (int i = 0; i < ns; i++) {
        int a = normalize_axis(G, ax[i], rank, "axis");
        if (a < 0) {
            vec_free(&s);
            return -1;
        }
        if (sp[i] <= 0) {
            vec_free(&s);
            return tsc_fail(G, "step %" PRId64 " is not supported (only positive steps)", sp[i]);
        }
        char *inner = xstrndup(s.items, s.len);
        s.len = 0;
        char buf[200];
        snprintf(buf, sizeof buf, ", %d, %" PRId64 ", %" PRId64 ", %" PRId64 ")", a, st[i], en[i], sp[i]);
        tsc_put(&s, "torch.slice(");
        tsc_put(&s, inner);
        tsc_put(&s, buf);
        free(inner);
    }
    vec_push(&s, 1, "");
    int r = assign(G, n, "%s", (char *)s.items);
    vec_free(&s);
    return r;
}

static int emit_pool(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    if (n->n_outputs > 1 && n->outputs[1] >= 0) return tsc_fail(G, "the indices output is not supported");
    if (rank_of(G, x) != 4) return tsc_fail(G, "only 2-D pooling is supported (input rank %d)", rank_of(G, x));
    int64_t k[4], st[2], dl[2], pd[4];
    int c = ints_attr_or_input(G, n, "kernel_shape", 99, k, 4);
    if (c < 0) return -1;
    if (c != 2) return tsc_fail(G, "kernel_shape must have 2 values");
    if (k[0] <= 0 || k[1] <= 0) return tsc_fail(G, "kernel_shape must be positive");
    if (window_attrs(G, n, 2, st, dl, pd)) return -1;
    if (!pads_symmetric(pd, 2)) return tsc_fail(G, "asymmetric pads are not supported");
    if (2 * pd[0] > k[0] || 2 * pd[1] > k[1]) return tsc_fail(G, "pads larger than half the kernel");
    const char *ceil = node_attr_int(n, "ceil_mode", 0) ? "True" : "False";
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    if (n->op == OP_MAXPOOL)
        return assign(G, n, "torch.max_pool2d(%s, %s, %s, %s, %s, %s)", xs, lit_ints(G, k, 2), lit_ints(G, st, 2),
                      lit_ints(G, pd, 2), lit_ints(G, dl, 2), ceil);
    if (dl[0] != 1 || dl[1] != 1) return tsc_fail(G, "dilated average pooling is not supported");
    return assign(G, n, "torch.avg_pool2d(%s, %s, %s, %s, %s, %s, None)", xs, lit_ints(G, k, 2), lit_ints(G, st, 2),
                  lit_ints(G, pd, 2), ceil, node_attr_int(n, "count_include_pad", 0) ? "True" : "False");
}

static int emit_global_avgpool(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    const char *xs = x < 0 ? NULL : tsc_tensor_expr(G, x);
    if (!xs) return -1;
    int r = rank_of(G, x);
    if (r == 4) return assign(G, n, "torch.adaptive_avg_pool2d(%s, [1, 1])", xs);
    if (r == 3) return assign(G, n, "torch.adaptive_avg_pool1d(%s, [1])", xs);
    return tsc_fail(G, "input rank %d is not supported", r);
}

static const char *str_attr(const Node *n, const char *name, const char *dflt)
{
    const Attr *a = node_attr(n, name);
    return a && a->type == ATTR_STRING && a->s ? a->s : dflt;
}

static int emit_resize(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    if (rank_of(G, x) != 4) return tsc_fail(G, "only 4-D (NCHW) resizing is supported");
    /* scales: input 2 or a "scales" attribute; sizes: input 3 or "sizes" */
    double sc[4] = {0};
    int nsc = 0;
    int64_t sz[4];
    int nsz = 0;
    const Attr *as = node_attr(n, "scales");
    int ts = in_opt(n, 2), tz = in_opt(n, 3);
    if (as && as->type == ATTR_FLOATS && as->count == 4) {
        for (int i = 0; i < 4; i++) sc[i] = as->floats[i];
        nsc = 4;
    } else if (ts >= 0 && is_const(G, ts) && tensor_numel(const_tensor(G, ts)) > 0) {
        const Tensor *S = const_tensor(G, ts);
        int64_t cnt;
        if (!is_float_dtype(S->dtype) || !const_data_ok(S, &cnt) || cnt != 4) return tsc_fail(G, "scales must be 4 floats");
        for (int i = 0; i < 4; i++) sc[i] = element_as_double(S, i);
        nsc = 4;
    } else if (ts >= 0 && !is_const(G, ts)) {
        return tsc_fail(G, "scales computed at run time are not supported");
    }
    if (!nsc) {
        nsz = tz >= 0 ? const_ints(G, tz, sz, 4, "sizes") : ints_attr_or_input(G, n, "sizes", 99, sz, 4);
        if (nsz < 0) return -1;
        if (nsz != 4) return tsc_fail(G, "needs scales or sizes for 4 dims");
    }
    if (nsc && (sc[0] != 1 || sc[1] != 1 || !(sc[2] > 0) || !(sc[3] > 0) || !isfinite(sc[2]) || !isfinite(sc[3])))
        return tsc_fail(G, "only spatial scales are supported (scales %g, %g, %g, %g)", sc[0], sc[1], sc[2], sc[3]);
    const Tensor *X = T(G, x);
    if (nsz && ((X->dims[0] >= 0 && sz[0] != X->dims[0]) || (X->dims[1] >= 0 && sz[1] != X->dims[1]) || sz[2] <= 0 ||
                sz[3] <= 0))
        return tsc_fail(G, "only spatial sizes are supported");
    const char *mode = str_attr(n, "mode", "nearest");
    const char *ctm = str_attr(n, "coordinate_transformation_mode", "half_pixel");
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    const char *size_arg = nsz ? lit_ints(G, sz + 2, 2) : "None";
    const char *scale_arg =
        nsc ? arena_printf(G->arena, "[%s, %s]", lit_float(G, sc[2], false), lit_float(G, sc[3], false)) : "None";
    if (!strcmp(mode, "nearest")) {
        const char *nm = str_attr(n, "nearest_mode", "round_prefer_floor");
        if (strcmp(ctm, "asymmetric") || strcmp(nm, "floor"))
            return tsc_fail(G, "nearest resizing with %s/%s has no torch equivalent (asymmetric/floor does)", ctm, nm);
        return assign(G, n, "torch.upsample_nearest2d(%s, %s, %s)", xs, size_arg, scale_arg);
    }
    if (!strcmp(mode, "linear")) {
        const char *align;
        if (!strcmp(ctm, "align_corners")) align = "True";
        else if (!strcmp(ctm, "half_pixel") || !strcmp(ctm, "pytorch_half_pixel")) align = "False";
        else return tsc_fail(G, "linear resizing with %s has no torch equivalent", ctm);
        return assign(G, n, "torch.upsample_bilinear2d(%s, %s, %s, %s)", xs, size_arg, align, scale_arg);
    }
    return tsc_fail(G, "resize mode '%s' is not supported", mode);
}

static int emit_reshape(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    int st = in_opt(n, 1);
    if (st >= 0 && (G->vals[st].kind == VK_INTS))
        return assign(G, n, "torch.reshape(%s, %s)", xs, G->vals[st].expr);
    int64_t shp[GRAPH_MAX_RANK];
    int c = st >= 0 ? const_ints(G, st, shp, GRAPH_MAX_RANK, "shape")
                    : ints_attr_or_input(G, n, "shape", 99, shp, GRAPH_MAX_RANK);
    if (c < 0) return -1;
    bool allowzero = node_attr_int(n, "allowzero", 0) != 0;
    const Tensor *X = T(G, x);
    int infer = 0;
    Vec s = {0};
    tsc_put(&s, c ? "[" : "annotate(List[int], [])");
    for (int i = 0; i < c; i++) {
        char b[96];
        if (shp[i] == -1) infer++;
        if (shp[i] < -1) {
            vec_free(&s);
            return tsc_fail(G, "shape value %" PRId64 " is not valid", shp[i]);
        }
        if (shp[i] == 0 && !allowzero) {
            /* 0 copies the input's dim */
            if (i >= X->rank) {
                vec_free(&s);
                return tsc_fail(G, "shape copies dim %d of a rank-%d input", i, X->rank);
            }
            if (G->dynamic || X->dims[i] < 0) snprintf(b, sizeof b, "torch.size(%s, %d)", xs, i);
            else snprintf(b, sizeof b, "%" PRId64, X->dims[i]);
        } else {
            snprintf(b, sizeof b, "%" PRId64, shp[i]);
        }
        if (i) tsc_put(&s, ", ");
        tsc_put(&s, b);
    }
    if (c) tsc_put(&s, "]");
    vec_push(&s, 1, "");
    int r = infer > 1 ? tsc_fail(G, "more than one -1 in the shape") : assign(G, n, "torch.reshape(%s, %s)", xs, (char *)s.items);
    vec_free(&s);
    return r;
}

static int emit_transpose(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    int r = rank_of(G, x);
    int64_t perm[GRAPH_MAX_RANK];
    int c = ints_attr_or_input(G, n, "perm", 99, perm, GRAPH_MAX_RANK);
    if (c < 0) return -1;
    if (c == 0) {
        for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
        c = r;
    }
    if (c != r) return tsc_fail(G, "perm has %d values for rank %d", c, r);
    bool seen[GRAPH_MAX_RANK] = {false};
    for (int i = 0; i < c; i++) {
        if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]) return tsc_fail(G, "perm is not a permutation of 0..%d", r - 1);
        seen[perm[i]] = true;
    }
    const char *xs = tsc_tensor_expr(G, x);
    return xs ? assign(G, n, "torch.permute(%s, %s)", xs, lit_ints(G, perm, c)) : -1;
}

static int emit_softmax(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    int ax = normalize_axis(G, node_attr_int(n, "axis", -1), rank_of(G, x), "axis");
    const char *xs = ax < 0 ? NULL : tsc_tensor_expr(G, x);
    return xs ? assign(G, n, "torch.softmax(%s, %d)", xs, ax) : -1;
}

static int emit_matmul(Gen *G, const Node *n)
{
    int a = in_req(G, n, 0), b = a < 0 ? -1 : in_req(G, n, 1);
    if (b < 0) return -1;
    if (rank_of(G, a) < 1 || rank_of(G, b) < 1) return tsc_fail(G, "operands must have rank 1 or more");
    const char *sa = tsc_tensor_expr(G, a), *sb = sa ? tsc_tensor_expr(G, b) : NULL;
    return sb ? assign(G, n, "torch.matmul(%s, %s)", sa, sb) : -1;
}

static int emit_gemm(Gen *G, const Node *n)
{
    int a = in_req(G, n, 0), b = a < 0 ? -1 : in_req(G, n, 1), c = in_opt(n, 2);
    if (b < 0) return -1;
    if (rank_of(G, a) != 2 || rank_of(G, b) != 2) return tsc_fail(G, "Gemm operands must be 2-D");
    int64_t ta = node_attr_int(n, "transA", 0), tb = node_attr_int(n, "transB", 0);
    double alpha = node_attr_float(n, "alpha", 1.0), beta = node_attr_float(n, "beta", 1.0);
    const char *sa = tsc_tensor_expr(G, a), *sb = sa ? tsc_tensor_expr(G, b) : NULL;
    const char *sc = c >= 0 && sb ? tsc_tensor_expr(G, c) : "None";
    if (!sb || !sc) return -1;
    if (!ta && tb && alpha == 1.0 && (c < 0 || beta == 1.0)) return assign(G, n, "torch.linear(%s, %s, %s)", sa, sb, sc);
    const char *A = ta ? arena_printf(G->arena, "torch.t(%s)", sa) : sa;
    const char *B = tb ? arena_printf(G->arena, "torch.t(%s)", sb) : sb;
    if (c >= 0)
        return assign(G, n, "torch.addmm(%s, %s, %s, beta=%s, alpha=%s)", sc, A, B, lit_float(G, beta, false),
                      lit_float(G, alpha, false));
    if (alpha == 1.0) return assign(G, n, "torch.mm(%s, %s)", A, B);
    return assign(G, n, "torch.mul(torch.mm(%s, %s), %s)", A, B, lit_float(G, alpha, false));
}

static int emit_flatten(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    int r = rank_of(G, x);
    int64_t axis = node_attr_int(n, "axis", 1);
    if (axis < -r || axis > r) return tsc_fail(G, "axis %" PRId64 " is out of range for rank %d", axis, r);
    if (axis < 0) axis += r;
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    if (axis == 0) return assign(G, n, "torch.reshape(%s, [1, -1])", xs);
    if (axis == r) return assign(G, n, "torch.reshape(%s, [-1, 1])", xs);
    if (axis == 1) return assign(G, n, "torch.flatten(%s, 1, -1)", xs);
    return assign(G, n, "torch.flatten(torch.flatten(%s, %d, -1), 0, %d)", xs, (int)axis, (int)axis - 1);
}

/* Identity passes its operand on under the output's name (no code). */
static int emit_identity(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), o = x < 0 ? -1 : out_req(G, n, 0);
    if (o < 0) return -1;
    G->vals[o] = G->vals[x];
    return 0;
}

static int emit_constant(Gen *G, const Node *n)
{
    int o = out_req(G, n, 0);
    const Attr *v = node_attr(n, "value");
    if (o < 0) return -1;
    if (!v || v->type != ATTR_TENSOR || v->tensor < 0 || v->tensor >= G->g->n_tensors)
        return tsc_fail(G, "only a 'value' tensor constant is supported");
    G->vals[o] = (Value){.kind = VK_CONST, .data = v->tensor};
    return 0;
}

static const struct {
    DType dt;
    int torch_code;
} torch_dtypes[] = {{DT_U8, 0}, {DT_I8, 1}, {DT_I16, 2}, {DT_I32, 3}, {DT_I64, 4},  {DT_F16, 5},
                    {DT_F32, 6}, {DT_F64, 7}, {DT_BOOL, 11}, {DT_BF16, 15}};

static int emit_cast(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), o = x < 0 ? -1 : out_req(G, n, 0);
    if (o < 0) return -1;
    DType to = dtype_from_onnx((int)node_attr_int(n, "to", 0));
    ValueKind k = G->vals[x].kind;
    if (k == VK_INT || k == VK_FLOAT || k == VK_INTS) {
        if (k == VK_INTS) {
            if (!is_int_dtype(to)) return tsc_fail(G, "a shape list cast to %s is not supported", dtype_name(to));
            G->vals[o] = G->vals[x];
            return 0;
        }
        if (is_float_dtype(to)) line(G, "%s = float(%s)", new_var(G, o, VK_FLOAT), G->vals[x].expr);
        else if (is_int_dtype(to)) line(G, "%s = int(%s)", new_var(G, o, VK_INT), G->vals[x].expr);
        else return tsc_fail(G, "a number cast to %s is not supported", dtype_name(to));
        return 0;
    }
    for (size_t i = 0; i < ARRAY_LEN(torch_dtypes); i++)
        if (torch_dtypes[i].dt == to) {
            const char *xs = tsc_tensor_expr(G, x);
            return xs ? assign(G, n, "torch.to(%s, %d, False, False, None)", xs, torch_dtypes[i].torch_code) : -1;
        }
    return tsc_fail(G, "cast to %s is not supported", dtype_name(to));
}

static int emit_shape(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), o = x < 0 ? -1 : out_req(G, n, 0);
    if (o < 0) return -1;
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    const Attr *s = node_attr(n, "start"), *e = node_attr(n, "end");
    if (s || e) {
        int r = rank_of(G, x);
        int64_t a = s ? s->i : 0, b = e ? e->i : r;
        if (a < 0) a += r;
        if (b < 0) b += r;
        a = a < 0 ? 0 : (a > r ? r : a);
        b = b < 0 ? 0 : (b > r ? r : b);
        line(G, "%s = torch.size(%s)[%d:%d]", new_var(G, o, VK_INTS), xs, (int)a, (int)b);
        return 0;
    }
    line(G, "%s = torch.size(%s)", new_var(G, o, VK_INTS), xs);
    return 0;
}

static int emit_gather(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), idx = x < 0 ? -1 : in_req(G, n, 1), o = idx < 0 ? -1 : out_req(G, n, 0);
    if (o < 0) return -1;
    int64_t iv[64];
    if (G->vals[x].kind == VK_INTS) {
        /* an element (or elements) of a shape list */
        if (node_attr_int(n, "axis", 0) != 0) return tsc_fail(G, "a shape list has only axis 0");
        int c = const_ints(G, idx, iv, 64, "indices");
        if (c < 0) return -1;
        if (const_tensor(G, idx)->rank == 0) {
            line(G, "%s = %s[%" PRId64 "]", new_var(G, o, VK_INT), G->vals[x].expr, iv[0]);
            return 0;
        }
        Vec s = {0};
        tsc_put(&s, "[");
        for (int i = 0; i < c; i++) {
            char b[128];
            snprintf(b, sizeof b, "%s%s[%" PRId64 "]", i ? ", " : "", G->vals[x].expr, iv[i]);
            tsc_put(&s, b);
        }
        tsc_put(&s, "]");
        vec_push(&s, 1, "");
        line(G, "%s = %s", new_var(G, o, VK_INTS), (char *)s.items);
        vec_free(&s);
        return 0;
    }
    int ax = normalize_axis(G, node_attr_int(n, "axis", 0), rank_of(G, x), "axis");
    if (ax < 0) return -1;
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    if (is_const(G, idx) && const_tensor(G, idx)->rank == 0) {
        if (const_ints(G, idx, iv, 1, "index") < 0) return -1;
        return assign(G, n, "torch.select(%s, %d, %" PRId64 ")", xs, ax, iv[0]);
    }
    if (rank_of(G, idx) != 1) return tsc_fail(G, "only scalar or 1-D indices are supported");
    const char *is = tsc_tensor_expr(G, idx);
    return is ? assign(G, n, "torch.index_select(%s, %d, %s)", xs, ax, is) : -1;
}

static int sort_axes(Gen *G, int64_t *axes, int c, int rank)
{
    for (int i = 0; i < c; i++) {
        int a = normalize_axis(G, axes[i], rank, "axis");
        if (a < 0) return -1;
        axes[i] = a;
    }
    for (int i = 1; i < c; i++)
        for (int j = i; j > 0 && axes[j - 1] > axes[j]; j--) {
            int64_t t = axes[j];
            axes[j] = axes[j - 1];
            axes[j - 1] = t;
        }
    for (int i = 1; i < c; i++)
        if (axes[i] == axes[i - 1]) return tsc_fail(G, "axis %" PRId64 " repeats", axes[i]);
    return 0;
}

static int emit_unsqueeze(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), o = x < 0 ? -1 : out_req(G, n, 0);
    if (o < 0) return -1;
    int64_t axes[GRAPH_MAX_RANK];
    int c = ints_attr_or_input(G, n, "axes", 1, axes, GRAPH_MAX_RANK);
    if (c < 0) return -1;
    if (c == 0) return tsc_fail(G, "no axes");
    if (G->vals[x].kind == VK_INT) {
        if (c != 1 || (axes[0] != 0 && axes[0] != -1)) return tsc_fail(G, "a number unsqueezes only to a 1-element list");
        line(G, "%s = [%s]", new_var(G, o, VK_INTS), G->vals[x].expr);
        return 0;
    }
    int r = rank_of(G, x) + c;
    if (r > GRAPH_MAX_RANK) return tsc_fail(G, "result rank %d is too large", r);
    if (sort_axes(G, axes, c, r)) return -1;
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    for (int i = 0; i < c; i++) xs = arena_printf(G->arena, "torch.unsqueeze(%s, %d)", xs, (int)axes[i]);
    return assign(G, n, "%s", xs);
}

static int emit_squeeze(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), o = x < 0 ? -1 : out_req(G, n, 0);
    if (o < 0) return -1;
    int64_t axes[GRAPH_MAX_RANK];
    int c = ints_attr_or_input(G, n, "axes", 1, axes, GRAPH_MAX_RANK);
    if (c < 0) return -1;
    if (G->vals[x].kind == VK_INTS) {
        if (c > 1 || (c == 1 && axes[0] != 0 && axes[0] != -1) || T(G, x)->rank != 1 || T(G, x)->dims[0] != 1)
            return tsc_fail(G, "only a 1-element shape list squeezes to a number");
        line(G, "%s = %s[0]", new_var(G, o, VK_INT), G->vals[x].expr);
        return 0;
    }
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    if (c == 0) return assign(G, n, "torch.squeeze(%s)", xs);
    if (sort_axes(G, axes, c, rank_of(G, x))) return -1;
    for (int i = c - 1; i >= 0; i--) xs = arena_printf(G->arena, "torch.squeeze(%s, %d)", xs, (int)axes[i]);
    return assign(G, n, "%s", xs);
}

/* ReduceMax / ReduceMean / ReduceSum over constant axes: torch.amax / mean / sum. */
static int emit_reduce(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    int64_t axes[GRAPH_MAX_RANK];
    int r = rank_of(G, x);
    int c = ints_attr_or_input(G, n, "axes", 1, axes, GRAPH_MAX_RANK);
    if (c < 0) return -1;
    if (c == 0) {
        if (node_attr_int(n, "noop_with_empty_axes", 0)) return emit_identity(G, n);
        for (int i = 0; i < r; i++) axes[i] = i;
        c = r;
    }
    if (sort_axes(G, axes, c, r)) return -1;
    const char *xs = tsc_tensor_expr(G, x);
    const char *fn = n->op == OP_REDUCE_MEAN ? "mean" : n->op == OP_REDUCE_SUM ? "sum" : "amax";
    return xs ? assign(G, n, "torch.%s(%s, %s, %s)", fn, xs, lit_ints(G, axes, c),
                       node_attr_int(n, "keepdims", 1) ? "True" : "False")
              : -1;
}

static int emit_argmax(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    if (node_attr_int(n, "select_last_index", 0)) return tsc_fail(G, "select_last_index is not supported");
    int ax = normalize_axis(G, node_attr_int(n, "axis", 0), rank_of(G, x), "axis");
    const char *xs = ax < 0 ? NULL : tsc_tensor_expr(G, x);
    return xs ? assign(G, n, "torch.argmax(%s, %d, %s)", xs, ax, node_attr_int(n, "keepdims", 1) ? "True" : "False")
              : -1;
}

static int emit_topk(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    int64_t k[1];
    int c = ints_attr_or_input(G, n, "k", 1, k, 1);
    if (c < 0) return -1;
    if (c != 1 || k[0] < 0) return tsc_fail(G, "k must be one non-negative constant");
    int ax = normalize_axis(G, node_attr_int(n, "axis", -1), rank_of(G, x), "axis");
    if (ax < 0) return -1;
    if (n->n_outputs != 2) return tsc_fail(G, "TopK has two outputs");
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    const char *v = new_var(G, n->outputs[0], VK_TENSOR), *i = new_var(G, n->outputs[1], VK_TENSOR);
    line(G, "%s, %s = torch.topk(%s, %" PRId64 ", %d, %s, %s)", v, i, xs, k[0], ax,
         node_attr_int(n, "largest", 1) ? "True" : "False", node_attr_int(n, "sorted", 1) ? "True" : "False");
    return 0;
}

static int emit_nms(Gen *G, const Node *n)
{
    return tsc_fail(G, "has no TorchScript equivalent without torchvision (export without nms)");
}

/* ---- OP_OTHER ---- */

static int emit_range(Gen *G, const Node *n)
{
    const char *e[3];
    for (int k = 0; k < 3; k++) {
        int t = in_req(G, n, k);
        if (t < 0) return -1;
        if (!(e[k] = scalar_expr(G, t))) return tsc_fail(G, "input %d must be a number", k + 1);
    }
    if (G->device_of)
        return assign(G, n, "torch.arange(%s, %s, %s, dtype=None, layout=None, device=ops.prim.device(%s), "
                            "pin_memory=None)",
                      e[0], e[1], e[2], G->device_of);
    return assign(G, n, "torch.arange(%s, %s, %s)", e[0], e[1], e[2]);
}

static int emit_expand(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), s = x < 0 ? -1 : in_req(G, n, 1);
    if (s < 0) return -1;
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    if (G->vals[s].kind == VK_INTS) return assign(G, n, "torch.expand(%s, %s)", xs, G->vals[s].expr);
    int64_t shp[GRAPH_MAX_RANK];
    int c = const_ints(G, s, shp, GRAPH_MAX_RANK, "shape");
    if (c < 0) return -1;
    int r = rank_of(G, x);
    if (c < r) return tsc_fail(G, "shape has fewer dims than the input");
    /* ONNX broadcasts both ways: a 1 in the shape keeps the input's dim (-1 for torch) */
    for (int i = 0; i < c; i++) {
        if (shp[i] < 1) return tsc_fail(G, "shape value %" PRId64 " is not valid", shp[i]);
        if (shp[i] == 1 && i >= c - r) shp[i] = -1;
    }
    return assign(G, n, "torch.expand(%s, %s)", xs, lit_ints(G, shp, c));
}

static int emit_clip(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    const char *lim[2] = {"None", "None"};
    const char *names[2] = {"min", "max"};
    for (int k = 0; k < 2; k++) {
        int t = in_opt(n, k + 1);
        const Attr *a = node_attr(n, names[k]);
        if (t >= 0) {
            if (!(lim[k] = scalar_expr(G, t))) return tsc_fail(G, "%s must be a number", names[k]);
        } else if (a && a->type == ATTR_FLOAT) {
            lim[k] = lit_float(G, a->f, true);
        }
    }
    const char *xs = tsc_tensor_expr(G, x);
    return xs ? assign(G, n, "torch.clamp(%s, %s, %s)", xs, lim[0], lim[1]) : -1;
}

static int emit_pow(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), y = x < 0 ? -1 : in_req(G, n, 1);
    if (y < 0) return -1;
    const char *xs = tsc_tensor_expr(G, x);
    if (!xs) return -1;
    const char *ys = is_const(G, y) && rank_of(G, y) <= rank_of(G, x) ? scalar_expr(G, y) : NULL;
    if (!ys && !(ys = tsc_tensor_expr(G, y))) return -1;
    return assign(G, n, "torch.pow(%s, %s)", xs, ys);
}

static int emit_leaky_relu(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    const char *xs = x < 0 ? NULL : tsc_tensor_expr(G, x);
    return xs ? assign(G, n, "torch.leaky_relu(%s, %s)", xs, lit_float(G, node_attr_float(n, "alpha", 0.01), true))
              : -1;
}

static int emit_hard_sigmoid(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    const char *xs = x < 0 ? NULL : tsc_tensor_expr(G, x);
    if (!xs) return -1;
    return assign(G, n, "torch.clamp(torch.add(torch.mul(%s, %s), %s), 0., 1.)", xs,
                  lit_float(G, node_attr_float(n, "alpha", 0.2), true),
                  lit_float(G, node_attr_float(n, "beta", 0.5), true));
}

/* Every op: how the TorchScript writer translates it (OP_WRITE_NO: no TorchScript
 * translation, refused by name before anything is written; so is every op yoloport does not
 * know). */

/* Pad (constant mode, constant pads): torch.constant_pad_nd, whose pads list runs from the last
 * axis back as (begin, end) pairs. */
static int emit_pad(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0);
    if (x < 0) return -1;
    if (strcmp(str_attr(n, "mode", "constant"), "constant")) return tsc_fail(G, "only constant padding is supported");
    if (in_opt(n, 3) >= 0) return tsc_fail(G, "padding only some axes is not supported");
    int r = rank_of(G, x);
    int64_t pads[2 * GRAPH_MAX_RANK], tp[2 * GRAPH_MAX_RANK];
    int c = ints_attr_or_input(G, n, "pads", 1, pads, 2 * GRAPH_MAX_RANK);
    if (c < 0) return -1;
    if (r < 1 || c != 2 * r) return tsc_fail(G, "pads must hold two values per axis");
    for (int i = 0; i < r; i++) {
        tp[2 * i] = pads[r - 1 - i];
        tp[2 * i + 1] = pads[2 * r - 1 - i];
    }
    const char *value = "0.0";
    int vt = in_opt(n, 2);
    if (vt >= 0 && !(value = scalar_expr(G, vt))) return tsc_fail(G, "the pad value must be a number");
    const char *xs = tsc_tensor_expr(G, x);
    return xs ? assign(G, n, "torch.constant_pad_nd(%s, %s, %s)", xs, lit_ints(G, tp, 2 * r), value) : -1;
}

/* GridSample: torch.grid_sampler(x, grid, interpolation, padding, align_corners). */
static int emit_grid_sample(Gen *G, const Node *n)
{
    int x = in_req(G, n, 0), grid = x < 0 ? -1 : in_req(G, n, 1);
    if (grid < 0) return -1;
    const char *mode = str_attr(n, "mode", "bilinear"), *pad = str_attr(n, "padding_mode", "zeros");
    int im = !strcmp(mode, "bilinear") || !strcmp(mode, "linear") ? 0 : !strcmp(mode, "nearest") ? 1 : -1;
    int pm = !strcmp(pad, "zeros") ? 0 : !strcmp(pad, "border") ? 1 : !strcmp(pad, "reflection") ? 2 : -1;
    if (im < 0 || pm < 0) return tsc_fail(G, "GridSample mode '%s' / padding '%s' is not supported", mode, pad);
    const char *xs = tsc_tensor_expr(G, x), *gs = xs ? tsc_tensor_expr(G, grid) : NULL;
    return gs ? assign(G, n, "torch.grid_sampler(%s, %s, %d, %d, %s)", xs, gs, im, pm,
                       node_attr_int(n, "align_corners", 0) ? "True" : "False")
              : -1;
}

static const struct TsOp ts_ops[OP_COUNT] = {
    [OP_CONV] = {OP_WRITE_YES, emit_conv, NULL},
    [OP_CONV_TRANSPOSE] = {OP_WRITE_YES, emit_conv_transpose, NULL},
    [OP_BATCHNORM] = {OP_WRITE_YES, emit_batchnorm, NULL},
    [OP_SILU] = {OP_WRITE_YES, emit_unary, "torch.silu"},
    [OP_SIGMOID] = {OP_WRITE_YES, emit_unary, "torch.sigmoid"},
    [OP_RELU] = {OP_WRITE_YES, emit_unary, "torch.relu"},
    [OP_ADD] = {OP_WRITE_YES, emit_binary, NULL},
    [OP_SUB] = {OP_WRITE_YES, emit_binary, NULL},
    [OP_MUL] = {OP_WRITE_YES, emit_binary, NULL},
    [OP_DIV] = {OP_WRITE_YES, emit_binary, NULL},
    [OP_CONCAT] = {OP_WRITE_YES, emit_concat, NULL},
    [OP_SPLIT] = {OP_WRITE_YES, emit_split, NULL},
    [OP_SLICE] = {OP_WRITE_YES, emit_slice, NULL},
    [OP_MAXPOOL] = {OP_WRITE_YES, emit_pool, NULL},
    [OP_AVGPOOL] = {OP_WRITE_YES, emit_pool, NULL},
    [OP_GLOBAL_AVGPOOL] = {OP_WRITE_YES, emit_global_avgpool, NULL},
    [OP_RESIZE] = {OP_WRITE_YES, emit_resize, NULL},
    [OP_RESHAPE] = {OP_WRITE_YES, emit_reshape, NULL},
    [OP_TRANSPOSE] = {OP_WRITE_YES, emit_transpose, NULL},
    [OP_SOFTMAX] = {OP_WRITE_YES, emit_softmax, NULL},
    [OP_MATMUL] = {OP_WRITE_YES, emit_matmul, NULL},
    [OP_GEMM] = {OP_WRITE_YES, emit_gemm, NULL},
    [OP_FLATTEN] = {OP_WRITE_YES, emit_flatten, NULL},
    [OP_IDENTITY] = {OP_WRITE_YES, emit_identity, NULL},
    [OP_CONSTANT] = {OP_WRITE_YES, emit_constant, NULL},
    [OP_CAST] = {OP_WRITE_YES, emit_cast, NULL},
    [OP_SHAPE] = {OP_WRITE_YES, emit_shape, NULL},
    [OP_GATHER] = {OP_WRITE_YES, emit_gather, NULL},
    [OP_UNSQUEEZE] = {OP_WRITE_YES, emit_unsqueeze, NULL},
    [OP_SQUEEZE] = {OP_WRITE_YES, emit_squeeze, NULL},
    [OP_REDUCE_MAX] = {OP_WRITE_YES, emit_reduce, NULL},
    [OP_ARGMAX] = {OP_WRITE_YES, emit_argmax, NULL},
    [OP_TOPK] = {OP_WRITE_YES, emit_topk, NULL},
    [OP_NMS] = {OP_WRITE_YES, emit_nms, NULL},
    [OP_GLOBAL_MAXPOOL] = {OP_WRITE_NO, NULL, NULL},
    [OP_UPSAMPLE] = {OP_WRITE_NO, NULL, NULL},
    [OP_SWISH] = {OP_WRITE_NO, NULL, NULL},
    [OP_EXP] = {OP_WRITE_YES, emit_unary, "torch.exp"},
    [OP_LOG] = {OP_WRITE_YES, emit_unary, "torch.log"},
    [OP_SQRT] = {OP_WRITE_YES, emit_unary, "torch.sqrt"},
    [OP_NEG] = {OP_WRITE_YES, emit_unary, "torch.neg"},
    [OP_ABS] = {OP_WRITE_YES, emit_unary, "torch.abs"},
    [OP_TANH] = {OP_WRITE_YES, emit_unary, "torch.tanh"},
    [OP_FLOOR] = {OP_WRITE_YES, emit_unary, "torch.floor"},
    [OP_CEIL] = {OP_WRITE_YES, emit_unary, "torch.ceil"},
    [OP_ROUND] = {OP_WRITE_NO, NULL, NULL},
    [OP_RECIPROCAL] = {OP_WRITE_YES, emit_unary, "torch.reciprocal"},
    [OP_ERF] = {OP_WRITE_YES, emit_unary, "torch.erf"},
    [OP_LEAKY_RELU] = {OP_WRITE_YES, emit_leaky_relu, NULL},
    [OP_HARD_SIGMOID] = {OP_WRITE_YES, emit_hard_sigmoid, NULL},
    [OP_HARD_SWISH] = {OP_WRITE_YES, emit_unary, "torch.hardswish"},
    [OP_SIN] = {OP_WRITE_YES, emit_unary, "torch.sin"},
    [OP_COS] = {OP_WRITE_YES, emit_unary, "torch.cos"},
    [OP_SOFTPLUS] = {OP_WRITE_NO, NULL, NULL},
    [OP_GELU] = {OP_WRITE_NO, NULL, NULL},
    [OP_ELU] = {OP_WRITE_NO, NULL, NULL},
    [OP_SIGN] = {OP_WRITE_NO, NULL, NULL},
    [OP_MISH] = {OP_WRITE_YES, emit_unary, "torch.mish"},
    [OP_POW] = {OP_WRITE_YES, emit_pow, NULL},
    [OP_MIN] = {OP_WRITE_NO, NULL, NULL},
    [OP_MAX] = {OP_WRITE_NO, NULL, NULL},
    [OP_MOD] = {OP_WRITE_NO, NULL, NULL},
    [OP_EQUAL] = {OP_WRITE_NO, NULL, NULL},
    [OP_LESS] = {OP_WRITE_NO, NULL, NULL},
    [OP_GREATER] = {OP_WRITE_NO, NULL, NULL},
    [OP_LESS_OR_EQUAL] = {OP_WRITE_NO, NULL, NULL},
    [OP_GREATER_OR_EQUAL] = {OP_WRITE_NO, NULL, NULL},
    [OP_AND] = {OP_WRITE_NO, NULL, NULL},
    [OP_OR] = {OP_WRITE_NO, NULL, NULL},
    [OP_XOR] = {OP_WRITE_NO, NULL, NULL},
    [OP_NOT] = {OP_WRITE_NO, NULL, NULL},
    [OP_WHERE] = {OP_WRITE_NO, NULL, NULL},
    [OP_CLIP] = {OP_WRITE_YES, emit_clip, NULL},
    [OP_LOG_SOFTMAX] = {OP_WRITE_NO, NULL, NULL},
    [OP_HARDMAX] = {OP_WRITE_NO, NULL, NULL},
    [OP_REDUCE_MIN] = {OP_WRITE_NO, NULL, NULL},
    [OP_REDUCE_SUM] = {OP_WRITE_YES, emit_reduce, NULL},
    [OP_REDUCE_MEAN] = {OP_WRITE_YES, emit_reduce, NULL},
    [OP_REDUCE_PROD] = {OP_WRITE_NO, NULL, NULL},
    [OP_REDUCE_SUM_SQUARE] = {OP_WRITE_NO, NULL, NULL},
    [OP_REDUCE_LOG_SUM] = {OP_WRITE_NO, NULL, NULL},
    [OP_REDUCE_LOG_SUM_EXP] = {OP_WRITE_NO, NULL, NULL},
    [OP_REDUCE_L1] = {OP_WRITE_NO, NULL, NULL},
    [OP_REDUCE_L2] = {OP_WRITE_NO, NULL, NULL},
    [OP_ARGMIN] = {OP_WRITE_NO, NULL, NULL},
    [OP_DROPOUT] = {OP_WRITE_NO, NULL, NULL},
    [OP_SIZE] = {OP_WRITE_NO, NULL, NULL},
    [OP_GATHER_ELEMENTS] = {OP_WRITE_NO, NULL, NULL},
    [OP_EXPAND] = {OP_WRITE_YES, emit_expand, NULL},
    [OP_TILE] = {OP_WRITE_NO, NULL, NULL},
    [OP_RANGE] = {OP_WRITE_YES, emit_range, NULL},
    [OP_CONSTANT_OF_SHAPE] = {OP_WRITE_NO, NULL, NULL},
    [OP_PAD] = {OP_WRITE_YES, emit_pad, NULL},
    [OP_QUANTIZE_LINEAR] = {OP_WRITE_NO, NULL, NULL},
    [OP_DEQUANTIZE_LINEAR] = {OP_WRITE_NO, NULL, NULL},
    [OP_FAKE_QUANTIZE] = {OP_WRITE_NO, NULL, NULL},
    [OP_GRID_SAMPLE] = {OP_WRITE_YES, emit_grid_sample, NULL},
    [OP_SCATTER_UPDATE] = {OP_WRITE_NO, NULL, NULL},
    [OP_CUMSUM] = {OP_WRITE_NO, NULL, NULL},
    [OP_OTHER] = {OP_WRITE_NO, NULL, NULL},
};
static_assert(ARRAY_LEN(ts_ops) == OP_COUNT, "the TorchScript writer's op table has a row per OpKind");

const struct TsOp *tsc_op(OpKind op) { return &ts_ops[(unsigned)op < OP_COUNT ? op : OP_OTHER]; }

OpKind torchscript_unary_op(const char *torch_fn)
{
    for (int op = 0; torch_fn && op < OP_COUNT; op++)
        if (ts_ops[op].emit == emit_unary && ts_ops[op].torch_fn && !strcmp(ts_ops[op].torch_fn, torch_fn))
            return (OpKind)op;
    return OP_OTHER;
}

OpWriteSupport torchscript_write_op_support(OpKind op) { return (unsigned)op < OP_COUNT ? ts_ops[op].support : OP_WRITE_UNSET; }

