/* export_onnx: the ONNX writer stage — graph transforms (nms, simplify, half), the peer's
 * metadata, onnx_serialize, an atomic write, then the checks: the file is read back with
 * our reader, its interface compared with what we meant to write, and (verify=True) the
 * source graph and the read-back graph run through our executor on one fixed input
 * (engine/export/export_stage.c, shared with the other stages).
 * Also the simplify pass (constant folding and dead-node removal). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/passes/export_passes.h"
#include "engine/export/export_stage.h"
#include "engine/core/fileio.h"
#include "formats/onnx.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

/* ======================================================================================
 * simplify: constant folding over a small evaluator (values held as doubles, which is
 * exact for every float32/float16 and for int64 up to 2^53 — shapes and indices), then
 * Identity bypass and dead-node removal.
 * ==================================================================================== */

#define FOLD_MAX_ELEMS (1 << 22)

typedef struct {
    DType dt;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    int64_t n;
    double *v; /* heap */
} CVal;

static void cval_free(CVal *c)
{
    free(c->v);
    c->v = NULL;
}

static bool cval_alloc(CVal *c, DType dt, int rank, const int64_t *dims)
{
    c->dt = dt;
    c->rank = rank;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || (dims[i] && n > FOLD_MAX_ELEMS / dims[i])) return false;
        c->dims[i] = dims[i];
        n *= dims[i];
    }
    if (n > FOLD_MAX_ELEMS) return false;
    c->n = n;
    c->v = xcalloc((size_t)(n ? n : 1), sizeof(double));
    return true;
}

static bool dtype_foldable(DType t)
{
    return t == DT_F32 || t == DT_F16 || t == DT_F64 || t == DT_I64 || t == DT_I32 || t == DT_I8 || t == DT_U8 ||
           t == DT_BOOL || t == DT_I16 || t == DT_U16;
}

static bool dtype_is_int(DType t) { return t != DT_F32 && t != DT_F16 && t != DT_F64 && t != DT_BF16; }

static bool cval_from_tensor(const Tensor *t, CVal *c)
{
    if (!t->data || !dtype_foldable(t->dtype)) return false;
    if (!cval_alloc(c, t->dtype, t->rank, t->dims)) return false;
    size_t need = (size_t)c->n * dtype_size(t->dtype);
    if (t->nbytes < need) {
        cval_free(c);
        return false;
    }
    const unsigned char *p = t->data;
    for (int64_t i = 0; i < c->n; i++) {
        double v = 0;
        switch (t->dtype) {
        case DT_F32: { float f; memcpy(&f, p + i * 4, 4); v = f; break; }
        case DT_F16: { uint16_t h; memcpy(&h, p + i * 2, 2); v = half_to_float(h); break; }
        case DT_F64: memcpy(&v, p + i * 8, 8); break;
        case DT_I64: { int64_t x; memcpy(&x, p + i * 8, 8); v = (double)x; break; }
        case DT_I32: { int32_t x; memcpy(&x, p + i * 4, 4); v = x; break; }
        case DT_I16: { int16_t x; memcpy(&x, p + i * 2, 2); v = x; break; }
        case DT_U16: { uint16_t x; memcpy(&x, p + i * 2, 2); v = x; break; }
        case DT_I8: v = (int8_t)p[i]; break;
        case DT_U8: v = p[i]; break;
        case DT_BOOL: v = p[i] != 0; break;
        default: break;
        }
        c->v[i] = v;
    }
    return true;
}

/* Store c as t's data (t becomes an initializer). */
static void cval_store(Graph *g, int ti, const CVal *c)
{
    Tensor *t = &g->tensors[ti];
    size_t es = dtype_size(c->dt);
    unsigned char *d = arena_alloc(g->arena, (size_t)(c->n ? c->n : 1) * es);
    for (int64_t i = 0; i < c->n; i++) {
        double v = c->v[i];
        switch (c->dt) {
        case DT_F32: { float f = (float)v; memcpy(d + i * 4, &f, 4); break; }
        case DT_F16: { uint16_t h = float_to_half((float)v); memcpy(d + i * 2, &h, 2); break; }
        case DT_F64: memcpy(d + i * 8, &v, 8); break;
        case DT_I64: { int64_t x = (int64_t)v; memcpy(d + i * 8, &x, 8); break; }
        case DT_I32: { int32_t x = (int32_t)v; memcpy(d + i * 4, &x, 4); break; }
        case DT_I16: { int16_t x = (int16_t)v; memcpy(d + i * 2, &x, 2); break; }
        case DT_U16: { uint16_t x = (uint16_t)v; memcpy(d + i * 2, &x, 2); break; }
        case DT_I8: d[i] = (unsigned char)(int8_t)v; break;
        case DT_U8: d[i] = (unsigned char)v; break;
        case DT_BOOL: d[i] = v != 0; break;
        default: break;
        }
    }
    t->dtype = c->dt;
    t->rank = c->rank;
    for (int i = 0; i < c->rank; i++) {
        t->dims[i] = c->dims[i];
        t->dim_names[i] = NULL;
    }
    t->data = d;
    t->nbytes = (size_t)c->n * es;
    t->producer = -1;
    t->is_param = false;
}

static void strides_of(const int64_t *dims, int rank, int64_t *st)
{
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        st[i] = s;
        s *= dims[i];
    }
}

/* numpy broadcasting of a and b into out (dims only). */
static bool broadcast_dims(const CVal *a, const CVal *b, int *rank, int64_t *dims)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) return false;
        dims[i] = da == 1 ? db : da;
    }
    *rank = r;
    return true;
}

static int64_t bcast_index(const CVal *x, int r, const int64_t *idx)
{
    int64_t off = 0, s = 1;
    for (int i = x->rank - 1; i >= 0; i--) {
        int oi = i + (r - x->rank);
        int64_t k = x->dims[i] == 1 ? 0 : idx[oi];
        off += k * s;
        s *= x->dims[i];
    }
    return off;
}

static double apply_binary(const char *op, double x, double y, bool integer)
{
    if (!strcmp(op, "Add")) return x + y;
    if (!strcmp(op, "Sub")) return x - y;
    if (!strcmp(op, "Mul")) return x * y;
    if (!strcmp(op, "Div")) return integer ? (y != 0 ? trunc(x / y) : 0) : x / y;
    if (!strcmp(op, "Min")) return x < y ? x : y;
    if (!strcmp(op, "Max")) return x > y ? x : y;
    if (!strcmp(op, "Pow")) return pow(x, y);
    if (!strcmp(op, "Equal")) return x == y;
    if (!strcmp(op, "Greater")) return x > y;
    if (!strcmp(op, "Less")) return x < y;
    return NAN;
}

static bool is_binary(const char *op)
{
    static const char *const ops[] = {"Add", "Sub", "Mul", "Div", "Min", "Max", "Pow", "Equal", "Greater", "Less"};
    for (size_t i = 0; i < ARRAY_LEN(ops); i++)
        if (!strcmp(op, ops[i])) return true;
    return false;
}

static bool is_unary(const char *op)
{
    static const char *const ops[] = {"Neg", "Sqrt", "Exp", "Sigmoid", "Floor", "Ceil", "Abs", "Reciprocal", "Identity"};
    for (size_t i = 0; i < ARRAY_LEN(ops); i++)
        if (!strcmp(op, ops[i])) return true;
    return false;
}

static double apply_unary(const char *op, double x)
{
    if (!strcmp(op, "Neg")) return -x;
    if (!strcmp(op, "Sqrt")) return sqrt(x);
    if (!strcmp(op, "Exp")) return exp(x);
    if (!strcmp(op, "Sigmoid")) return 1.0 / (1.0 + exp(-x));
    if (!strcmp(op, "Floor")) return floor(x);
    if (!strcmp(op, "Ceil")) return ceil(x);
    if (!strcmp(op, "Abs")) return fabs(x);
    if (!strcmp(op, "Reciprocal")) return 1.0 / x;
    return x;
}

/* Round-trip a value through its storage type (float32 ops round at each step). */
static double as_dtype(DType dt, double v)
{
    switch (dt) {
    case DT_F32: return (float)v;
    case DT_F16: return half_to_float(float_to_half((float)v));
    case DT_I64: case DT_I32: case DT_I16: case DT_I8: return trunc(v);
    case DT_U8: case DT_U16: return trunc(v);
    case DT_BOOL: return v != 0;
    default: return v;
    }
}

static int64_t norm_axis(int64_t axis, int rank) { return axis < 0 ? axis + rank : axis; }

/* The axes of Unsqueeze/Squeeze/Reduce: attribute (older opsets) or second input. */
static int axes_of(const Node *nd, const CVal *in, int n_in, int64_t *axes, int max)
{
    int n = node_attr_ints(nd, "axes", axes, max);
    if (n > 0) return n;
    if (n_in >= 2 && in[1].v) {
        n = (int)in[1].n < max ? (int)in[1].n : max;
        for (int i = 0; i < n; i++) axes[i] = (int64_t)in[1].v[i];
        return n;
    }
    return 0;
}

/* Evaluate node nd on constant inputs; 1 folded into out[0..n_outputs), 0 not foldable. */
static int fold_eval(const Graph *g, const Node *nd, CVal *in, int n_in, CVal *out)
{
    const char *op = nd->op_type;
    if (nd->n_outputs != 1 || (nd->domain && *nd->domain)) return 0;
    const Tensor *ot = &g->tensors[nd->outputs[0]];
    if (is_unary(op) && n_in == 1) {
        if (!cval_alloc(out, in[0].dt, in[0].rank, in[0].dims)) return 0;
        for (int64_t i = 0; i < out->n; i++) out->v[i] = as_dtype(out->dt, apply_unary(op, in[0].v[i]));
        return 1;
    }
    if (is_binary(op) && n_in == 2) {
        int r;
        int64_t d[GRAPH_MAX_RANK];
        if (!broadcast_dims(&in[0], &in[1], &r, d)) return 0;
        bool cmp = !strcmp(op, "Equal") || !strcmp(op, "Greater") || !strcmp(op, "Less");
        if (!cval_alloc(out, cmp ? DT_BOOL : in[0].dt, r, d)) return 0;
        int64_t idx[GRAPH_MAX_RANK] = {0};
        bool integer = dtype_is_int(in[0].dt);
        for (int64_t i = 0; i < out->n; i++) {
            int64_t rem = i;
            for (int k = r - 1; k >= 0; k--) {
                idx[k] = d[k] ? rem % d[k] : 0;
                rem = d[k] ? rem / d[k] : 0;
            }
            double x = in[0].v[bcast_index(&in[0], r, idx)], y = in[1].v[bcast_index(&in[1], r, idx)];
            out->v[i] = as_dtype(out->dt, apply_binary(op, x, y, integer));
        }
        return 1;
    }
    if (!strcmp(op, "Cast") && n_in == 1) {
        DType to = dtype_from_onnx((int)node_attr_int(nd, "to", 0));
        if (!dtype_foldable(to)) return 0;
        if (!cval_alloc(out, to, in[0].rank, in[0].dims)) return 0;
        for (int64_t i = 0; i < out->n; i++) out->v[i] = as_dtype(to, in[0].v[i]);
        return 1;
    }
    if (!strcmp(op, "Gather") && n_in == 2) {
        const CVal *x = &in[0], *ix = &in[1];
        int64_t axis = norm_axis(node_attr_int(nd, "axis", 0), x->rank);
        if (axis < 0 || axis >= x->rank) return 0;
        int64_t d[GRAPH_MAX_RANK];
        int r = 0;
        for (int i = 0; i < axis; i++) d[r++] = x->dims[i];
        for (int i = 0; i < ix->rank; i++) d[r++] = ix->dims[i];
        for (int i = (int)axis + 1; i < x->rank; i++) d[r++] = x->dims[i];
        if (r > GRAPH_MAX_RANK || !cval_alloc(out, x->dt, r, d)) return 0;
        int64_t outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= x->dims[i];
        for (int i = (int)axis + 1; i < x->rank; i++) inner *= x->dims[i];
        int64_t ax = x->dims[axis], o = 0;
        for (int64_t a = 0; a < outer; a++)
            for (int64_t j = 0; j < ix->n; j++) {
                int64_t k = (int64_t)ix->v[j];
                if (k < 0) k += ax;
                if (k < 0 || k >= ax) return 0;
                for (int64_t b = 0; b < inner; b++) out->v[o++] = x->v[(a * ax + k) * inner + b];
            }
        return 1;
    }
    if (!strcmp(op, "Concat") && n_in >= 1) {
        int rank = in[0].rank;
        int64_t axis = norm_axis(node_attr_int(nd, "axis", 0), rank);
        if (axis < 0 || axis >= rank) return 0;
        int64_t d[GRAPH_MAX_RANK];
        for (int i = 0; i < rank; i++) d[i] = in[0].dims[i];
        d[axis] = 0;
        for (int k = 0; k < n_in; k++) {
            if (in[k].rank != rank) return 0;
            d[axis] += in[k].dims[axis];
        }
        if (!cval_alloc(out, in[0].dt, rank, d)) return 0;
        int64_t outer = 1;
        for (int i = 0; i < axis; i++) outer *= d[i];
        int64_t o = 0;
        for (int64_t a = 0; a < outer; a++)
            for (int k = 0; k < n_in; k++) {
                int64_t chunk = in[k].n / (outer ? outer : 1);
                for (int64_t b = 0; b < chunk; b++) out->v[o++] = in[k].v[a * chunk + b];
            }
        return 1;
    }
    if (!strcmp(op, "Reshape") && n_in == 2) {
        int64_t d[GRAPH_MAX_RANK];
        int r = (int)in[1].n;
        if (r > GRAPH_MAX_RANK) return 0;
        int64_t known = 1;
        int infer = -1;
        bool allowzero = node_attr_int(nd, "allowzero", 0) != 0;
        for (int i = 0; i < r; i++) {
            d[i] = (int64_t)in[1].v[i];
            if (d[i] == 0 && !allowzero) {
                if (i >= in[0].rank) return 0;
                d[i] = in[0].dims[i];
            }
            if (d[i] == -1) {
                if (infer >= 0) return 0;
                infer = i;
            } else {
                known *= d[i];
            }
        }
        if (infer >= 0) d[infer] = known ? in[0].n / known : 0;
        int64_t tot = 1;
        for (int i = 0; i < r; i++) tot *= d[i];
        if (tot != in[0].n || !cval_alloc(out, in[0].dt, r, d)) return 0;
        memcpy(out->v, in[0].v, sizeof(double) * (size_t)in[0].n);
        return 1;
    }
    if ((!strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze")) && n_in >= 1) {
        int64_t axes[GRAPH_MAX_RANK];
        int na = axes_of(nd, in, n_in, axes, GRAPH_MAX_RANK);
        int64_t d[GRAPH_MAX_RANK];
        int r = 0;
        if (!strcmp(op, "Unsqueeze")) {
            int outr = in[0].rank + na;
            if (outr > GRAPH_MAX_RANK) return 0;
            bool ins[GRAPH_MAX_RANK] = {false};
            for (int i = 0; i < na; i++) {
                int64_t a = norm_axis(axes[i], outr);
                if (a < 0 || a >= outr) return 0;
                ins[a] = true;
            }
            int src = 0;
            for (int i = 0; i < outr; i++) d[r++] = ins[i] ? 1 : in[0].dims[src++];
        } else {
            for (int i = 0; i < in[0].rank; i++) {
                bool drop = false;
                if (na == 0) drop = in[0].dims[i] == 1;
                for (int k = 0; k < na; k++)
                    if (norm_axis(axes[k], in[0].rank) == i) drop = true;
                if (!drop) d[r++] = in[0].dims[i];
            }
        }
        if (!cval_alloc(out, in[0].dt, r, d)) return 0;
        memcpy(out->v, in[0].v, sizeof(double) * (size_t)in[0].n);
        return 1;
    }
    if (!strcmp(op, "Slice") && n_in >= 3) {
        const CVal *x = &in[0];
        int64_t st[GRAPH_MAX_RANK], en[GRAPH_MAX_RANK];
        for (int i = 0; i < x->rank; i++) {
            st[i] = 0;
            en[i] = x->dims[i];
        }
        for (int64_t k = 0; k < in[1].n; k++) {
            int64_t axis = n_in >= 4 && in[3].v ? norm_axis((int64_t)in[3].v[k], x->rank) : k;
            if (axis < 0 || axis >= x->rank) return 0;
            int64_t s = (int64_t)in[1].v[k], e = (int64_t)fmin(fmax(in[2].v[k], -9e15), 9e15);
            int64_t sp = n_in >= 5 && in[4].v ? (int64_t)in[4].v[k] : 1;
            if (sp != 1) return 0; /* positive unit steps only */
            int64_t dim = x->dims[axis];
            if (s < 0) s += dim;
            if (e < 0) e += dim;
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            st[axis] = s;
            en[axis] = e > s ? e : s;
        }
        int64_t d[GRAPH_MAX_RANK];
        for (int i = 0; i < x->rank; i++) d[i] = en[i] - st[i];
        if (!cval_alloc(out, x->dt, x->rank, d)) return 0;
        int64_t xs[GRAPH_MAX_RANK];
        strides_of(x->dims, x->rank, xs);
        for (int64_t i = 0; i < out->n; i++) {
            int64_t rem = i, off = 0;
            for (int k = x->rank - 1; k >= 0; k--) {
                int64_t c = d[k] ? rem % d[k] : 0;
                rem = d[k] ? rem / d[k] : 0;
                off += (st[k] + c) * xs[k];
            }
            out->v[i] = x->v[off];
        }
        return 1;
    }
    if (!strcmp(op, "Range") && n_in == 3) {
        double s = in[0].v[0], l = in[1].v[0], dl = in[2].v[0];
        if (dl == 0) return 0;
        double cnt = ceil((l - s) / dl);
        int64_t n = cnt > 0 ? (int64_t)cnt : 0;
        if (!cval_alloc(out, in[0].dt, 1, &n)) return 0;
        for (int64_t i = 0; i < n; i++) out->v[i] = as_dtype(in[0].dt, s + (double)i * dl);
        return 1;
    }
    if (!strcmp(op, "Transpose") && n_in == 1) {
        const CVal *x = &in[0];
        int64_t perm[GRAPH_MAX_RANK];
        int np = node_attr_ints(nd, "perm", perm, GRAPH_MAX_RANK);
        if (np == 0) {
            np = x->rank;
            for (int i = 0; i < np; i++) perm[i] = np - 1 - i;
        }
        if (np != x->rank) return 0;
        int64_t d[GRAPH_MAX_RANK], xs[GRAPH_MAX_RANK];
        for (int i = 0; i < np; i++) {
            if (perm[i] < 0 || perm[i] >= np) return 0;
            d[i] = x->dims[perm[i]];
        }
        strides_of(x->dims, x->rank, xs);
        if (!cval_alloc(out, x->dt, np, d)) return 0;
        for (int64_t i = 0; i < out->n; i++) {
            int64_t rem = i, off = 0;
            for (int k = np - 1; k >= 0; k--) {
                int64_t c = d[k] ? rem % d[k] : 0;
                rem = d[k] ? rem / d[k] : 0;
                off += c * xs[perm[k]];
            }
            out->v[i] = x->v[off];
        }
        return 1;
    }
    if (!strcmp(op, "ConstantOfShape") && n_in == 1) {
        int64_t d[GRAPH_MAX_RANK];
        if (in[0].n > GRAPH_MAX_RANK) return 0;
        for (int64_t i = 0; i < in[0].n; i++) d[i] = (int64_t)in[0].v[i];
        DType dt = DT_F32;
        double value = 0;
        const Attr *a = node_attr(nd, "value");
        if (a && a->type == ATTR_TENSOR && a->tensor >= 0 && a->tensor < g->n_tensors) {
            CVal vv = {0};
            if (!cval_from_tensor(&g->tensors[a->tensor], &vv)) return 0;
            dt = vv.dt;
            value = vv.n ? vv.v[0] : 0;
            cval_free(&vv);
        }
        if (!cval_alloc(out, dt, (int)in[0].n, d)) return 0;
        for (int64_t i = 0; i < out->n; i++) out->v[i] = value;
        return 1;
    }
    (void)ot;
    return 0;
}

/* Shape of a fully known tensor, and Constant nodes: no constant inputs needed. */
static int fold_sourceless(const Graph *g, const Node *nd, CVal *out)
{
    const char *op = nd->op_type;
    if (!strcmp(op, "Shape") && nd->n_inputs == 1 && nd->inputs[0] >= 0) {
        const Tensor *x = &g->tensors[nd->inputs[0]];
        if (x->rank == 0) return 0; /* rank 0 may mean "shape unknown" */
        for (int i = 0; i < x->rank; i++)
            if (x->dims[i] < 0 || x->dim_names[i]) return 0;
        int64_t start = node_attr_int(nd, "start", 0), end = node_attr_int(nd, "end", x->rank);
        if (start < 0) start += x->rank;
        if (end < 0) end += x->rank;
        start = start < 0 ? 0 : start > x->rank ? x->rank : start;
        end = end < start ? start : end > x->rank ? x->rank : end;
        int64_t n = end - start;
        if (!cval_alloc(out, DT_I64, 1, &n)) return 0;
        for (int64_t i = 0; i < n; i++) out->v[i] = (double)x->dims[start + i];
        return 1;
    }
    if (!strcmp(op, "Constant") && nd->n_inputs == 0) {
        const Attr *a = node_attr(nd, "value");
        if (a && a->type == ATTR_TENSOR && a->tensor >= 0 && a->tensor < g->n_tensors)
            return cval_from_tensor(&g->tensors[a->tensor], out) ? 1 : 0;
        if ((a = node_attr(nd, "value_float"))) {
            if (!cval_alloc(out, DT_F32, 0, NULL)) return 0;
            out->v[0] = (float)a->f;
            return 1;
        }
        if ((a = node_attr(nd, "value_int"))) {
            if (!cval_alloc(out, DT_I64, 0, NULL)) return 0;
            out->v[0] = (double)a->i;
            return 1;
        }
        if ((a = node_attr(nd, "value_ints"))) {
            int64_t n = a->count;
            if (!cval_alloc(out, DT_I64, 1, &n)) return 0;
            for (int i = 0; i < a->count; i++) out->v[i] = (double)a->ints[i];
            return 1;
        }
        if ((a = node_attr(nd, "value_floats"))) {
            int64_t n = a->count;
            if (!cval_alloc(out, DT_F32, 1, &n)) return 0;
            for (int i = 0; i < a->count; i++) out->v[i] = (float)a->floats[i];
            return 1;
        }
    }
    return 0;
}

static void remove_nodes(Graph *g, const unsigned char *dead)
{
    int w = 0;
    for (int ni = 0; ni < g->n_nodes; ni++)
        if (!dead[ni]) g->nodes[w++] = g->nodes[ni];
    g->n_nodes = w;
    for (int i = 0; i < g->n_tensors; i++)
        if (!g->tensors[i].data) g->tensors[i].producer = -1;
    for (int ni = 0; ni < g->n_nodes; ni++)
        for (int k = 0; k < g->nodes[ni].n_outputs; k++)
            if (g->nodes[ni].outputs[k] >= 0) g->tensors[g->nodes[ni].outputs[k]].producer = ni;
    for (int m = 0; m < g->n_modules; m++) g->modules[m].first_node = g->modules[m].last_node = -1;
    for (int ni = 0; ni < g->n_nodes; ni++)
        for (int m = g->nodes[ni].module; m >= 0 && m < g->n_modules; m = g->modules[m].parent) {
            if (g->modules[m].first_node < 0) g->modules[m].first_node = ni;
            g->modules[m].last_node = ni;
        }
}

int pass_simplify(Graph *g, SimplifyStats *stats, char *err, size_t errlen)
{
    SimplifyStats st = {0};
    st.nodes_before = g->n_nodes;
    unsigned char *dead = xcalloc((size_t)(g->n_nodes ? g->n_nodes : 1), 1);
    /* 1. fold, in topological order so folded results feed later folds */
    for (int ni = 0; ni < g->n_nodes; ni++) {
        Node *nd = &g->nodes[ni];
        if (nd->n_outputs != 1 || nd->outputs[0] < 0) continue;
        int ot = nd->outputs[0];
        if (g->tensors[ot].is_output) continue; /* a graph output stays computed */
        CVal out = {0};
        int ok = fold_sourceless(g, nd, &out);
        if (!ok && nd->n_inputs > 0 && nd->n_inputs <= 8) {
            CVal in[8];
            memset(in, 0, sizeof in);
            bool all = true;
            int n_in = nd->n_inputs;
            while (n_in > 0 && nd->inputs[n_in - 1] < 0) n_in--; /* trailing omitted optionals */
            for (int k = 0; k < n_in && all; k++) {
                int t = nd->inputs[k];
                if (t < 0 || !cval_from_tensor(&g->tensors[t], &in[k])) all = false;
            }
            if (all) ok = fold_eval(g, nd, in, n_in, &out);
            for (int k = 0; k < n_in; k++) cval_free(&in[k]);
        }
        if (ok == 1) {
            cval_store(g, ot, &out);
            dead[ni] = 1;
            st.folded++;
        }
        cval_free(&out);
    }
    /* 2. bypass Identity nodes whose output is not a graph output */
    for (int ni = 0; ni < g->n_nodes; ni++) {
        Node *nd = &g->nodes[ni];
        if (dead[ni] || strcmp(nd->op_type, "Identity") != 0 || nd->n_inputs != 1 || nd->n_outputs != 1) continue;
        int in = nd->inputs[0], out = nd->outputs[0];
        if (in < 0 || out < 0 || g->tensors[out].is_output) continue;
        passes_replace_uses(g, out, in, false);
        dead[ni] = 1;
        st.identities++;
    }
    /* 3. dead nodes: nothing a graph output depends on */
    unsigned char *live = xcalloc((size_t)(g->n_tensors ? g->n_tensors : 1), 1);
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] >= 0) live[g->outputs[i]] = 1;
    for (int ni = g->n_nodes - 1; ni >= 0; ni--) {
        if (dead[ni]) continue;
        Node *nd = &g->nodes[ni];
        bool used = false;
        for (int k = 0; k < nd->n_outputs; k++)
            if (nd->outputs[k] >= 0 && live[nd->outputs[k]]) used = true;
        if (!used) {
            dead[ni] = 1;
            st.removed_dead++;
            continue;
        }
        for (int k = 0; k < nd->n_inputs; k++)
            if (nd->inputs[k] >= 0) live[nd->inputs[k]] = 1;
        for (int a = 0; a < nd->n_attrs; a++)
            if (nd->attrs[a].type == ATTR_TENSOR && nd->attrs[a].tensor >= 0) live[nd->attrs[a].tensor] = 1;
    }
    /* folded constants that nothing uses any more stop counting as weights */
    for (int i = 0; i < g->n_tensors; i++)
        if (!live[i] && g->tensors[i].data && !g->tensors[i].is_input) g->tensors[i].is_param = false;
    remove_nodes(g, dead);
    free(live);
    free(dead);
    st.nodes_after = g->n_nodes;
    if (stats) *stats = st;
    return graph_validate(g, err, errlen);
}

/* ======================================================================================
 * the ONNX file: written to a temporary beside the destination, read back
 * ==================================================================================== */

/* Interface of the read-back graph against the one we serialised: inputs and outputs
 * (symbolic names included), opset and metadata keys in order.  0 or -1 + message. */
static int check_interface(const Graph *want, const Graph *got, int opset, char *err, size_t errlen)
{
    if (export_stage_check_io(want, got, true, err, errlen) != 0) return -1;
    if (got->meta.opset != opset)
        return err_set(err, errlen, "opset %lld read back, %d written", (long long)got->meta.opset, opset);
    if (got->meta.n_props != want->meta.n_props)
        return err_set(err, errlen, "%d metadata_props read back, %d written", got->meta.n_props, want->meta.n_props);
    for (int i = 0; i < want->meta.n_props; i++)
        if (strcmp(got->meta.props[i].key, want->meta.props[i].key) != 0 ||
            strcmp(got->meta.props[i].value, want->meta.props[i].value) != 0)
            return err_set(err, errlen, "metadata '%s' did not read back as written", want->meta.props[i].key);
    return 0;
}

static int write_file(ExportCtx *ctx, const char *path, const uint8_t *buf, size_t len, AtomicFile **out, char *err,
                      size_t errlen)
{
    AtomicFile *f = fileio_open_atomic(path, err, errlen);
    if (!f) return -1;
    job_add_temp(ctx->job, f->tmp_path);
    const size_t chunk = 1u << 20;
    for (size_t off = 0; off < len; off += chunk) {
        if (job_cancelled(ctx->job)) {
            job_release_temp(ctx->job, f->tmp_path);
            fileio_abort(f);
            return err_set(err, errlen, "cancelled");
        }
        size_t n = len - off < chunk ? len - off : chunk;
        if (fileio_write_all(f->fd, buf + off, n) != 0) {
            err_set(err, errlen, "%s: write failed: %s", path, strerror(errno));
            job_release_temp(ctx->job, f->tmp_path);
            fileio_abort(f);
            return -1;
        }
        job_progress(ctx->job, "ONNX: write", 0.4 + 0.2 * (double)(off + n) / (double)len);
    }
    *out = f;
    return 0;
}

/* ======================================================================================
 * the stage
 * ==================================================================================== */

int export_onnx_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    char msg[1024];
    int opset = export_args_is_none(a, EXPORT_KEY_OPSET) || a->opset == 0 ? ONNX_DEFAULT_OPSET : a->opset;
    if (opset < ONNX_MIN_OPSET || opset > ONNX_MAX_OPSET)
        return err_set(err, errlen, "opset=%d is not one this build writes: use opset=%d..%d (default %d)", opset,
                       ONNX_MIN_OPSET, ONNX_MAX_OPSET, ONNX_DEFAULT_OPSET);
    ExportStage st;
    export_stage_begin(&st, ctx, "ONNX", true);
    export_stage_log_start(&st, "onnx yoloport-%s opset %d", YOLOPORT_VERSION, opset);
    if (a->half)
        job_log(job, JOB_LOG_INFO,
                "%s half=True: float16 weights and compute, converted from the graph on the CPU (nothing is traced, "
                "so no GPU is needed)",
                st.prefix);

    int rc = -1;
    Graph *g = NULL, *rb = NULL;
    AtomicFile *f = NULL;
    uint8_t *buf = NULL;

    /* 1. transforms on a private copy */
    job_progress(job, "ONNX: transform", 0.05);
    if (!(g = export_stage_graph(&st, err, errlen))) goto out;
    export_stage_log_nms(&st);
    if (a->simplify) {
        SimplifyStats ss;
        if (pass_simplify(g, &ss, msg, sizeof msg) != 0) goto fail_msg;
        job_log(job, JOB_LOG_INFO,
                "%s simplifying with yoloport-%s: %d -> %d nodes (%d folded to constants, %d identities, %d unused)",
                st.prefix, YOLOPORT_VERSION, ss.nodes_before, ss.nodes_after, ss.folded, ss.identities,
                ss.removed_dead);
    }
    if (a->half) {
        HalfStats hs;
        if (pass_half(g, &hs, msg, sizeof msg) != 0) goto fail_msg;
        job_log(job, JOB_LOG_INFO, "%s float16: %d initializers converted, %d kept float32 (%d Cast nodes added)",
                st.prefix, hs.initializers_converted, hs.initializers_kept_f32, hs.casts_inserted);
    }
    export_set_metadata(g, ctx);
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 2. serialise and write to a temporary beside the destination */
    job_progress(job, "ONNX: serialise", 0.3);
    OnnxWriteOptions wopt = {.opset = opset, .producer_name = "yoloport", .producer_version = YOLOPORT_VERSION};
    size_t len = 0;
    if (onnx_serialize(g, &wopt, &buf, &len, msg, sizeof msg) != 0) goto fail_msg;
    if (export_stage_out_path(&st, ctx->fmt->suffix, err, errlen) != 0) goto out;
    if (write_file(ctx, ctx->out_path, buf, len, &f, err, errlen) != 0) goto out;
    free(buf);
    buf = NULL;

    /* 3. read the written file back: interface */
    job_progress(job, "ONNX: check", 0.6);
    rb = onnx_read(f->tmp_path, msg, sizeof msg);
    if (!rb || check_interface(g, rb, opset, msg, sizeof msg) != 0) {
        char why[1100];
        snprintf(why, sizeof why, "%s: the written file does not read back as written: %s", ctx->out_path, msg);
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, why);
        err_set(err, errlen, "%s", why);
        goto out;
    }
    {
        char in_s[96], out_s[256] = "", detail[512];
        shape_str(&g->tensors[g->inputs[0]], in_s, sizeof in_s);
        size_t used = 0;
        for (int i = 0; i < g->n_outputs && used < sizeof out_s; i++) {
            char sh[96];
            used += (size_t)snprintf(out_s + used, sizeof out_s - used, "%s%s %s %s", i ? ", " : "",
                                     g->tensors[g->outputs[i]].name, dtype_name(g->tensors[g->outputs[i]].dtype),
                                     shape_str(&g->tensors[g->outputs[i]], sh, sizeof sh));
        }
        snprintf(detail, sizeof detail, "read back: images %s %s -> %s; opset %d; %d metadata keys",
                 dtype_name(g->tensors[g->inputs[0]].dtype), in_s, out_s, opset, g->meta.n_props);
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
    }
    PrecisionInfo prec; /* what the file really stores */
    report_scan_precision(rb, &prec);

    /* 4. numeric: the read-back graph on the same fixed input, against the source run */
    double worst = -1;
    CheckStatus status = export_stage_numeric(&st, rb, "images", NULL, &worst, err, errlen);
    if (status == CHECK_FAILED) goto out; /* cancelled */
    if (status == CHECK_SKIPPED) status = CHECK_PASSED;

    /* 5. into place */
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    {
        char *tmp = xstrdup(f->tmp_path);
        int crc = fileio_commit(f, msg, sizeof msg);
        f = NULL;
        job_release_temp(job, tmp);
        free(tmp);
        if (crc != 0) goto fail_msg;
    }
    export_stage_done(&st, status, &prec, worst);
    rc = 0;
    goto out;

fail_msg:
    err_set(err, errlen, "%s", msg);
out:
    export_stage_end(&st, rc);
    free(buf);
    if (f) {
        job_release_temp(job, f->tmp_path);
        fileio_abort(f);
    }
    graph_free(rb);
    graph_free(g);
    return rc;
}
