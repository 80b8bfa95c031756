/* exec_elementwise: the executor's pointwise and reduction ops — activations (SiLU,
 * Sigmoid, ...), numpy-broadcasting arithmetic and comparisons, Where, Cast, Clip,
 * Softmax, MatMul and Gemm (exec_gemm.c), Reduce*, ArgMax.  Float32 compute; int64
 * operands stay int64 so that shape arithmetic in dynamic graphs is exact.  Arithmetic,
 * Sigmoid and SiLU also read and write a half graph's float16 activations, converting a
 * block at a time (the other ops get float32 copies from the run loop). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec_impl.h"
#include "engine/core/util.h"

/* Elements a task of a parallel elementwise loop gets at least. */
#define ELEMWISE_GRAIN 16384

/* ---- vectorised activations (the kernel table's), on the pool ------------------------ */

typedef struct {
    const ExecKernels *k;
    float *y;
    int kind; /* 0 sigmoid, 1 silu, 2 exp */
} ActJob;

static void act_range(void *ctx, int64_t b, int64_t end)
{
    const ActJob *j = ctx;
    if (j->kind == 2) j->k->exp(j->y + b, j->y + b, end - b);
    else j->k->sigmoid(j->y + b, j->y + b, end - b, j->kind == 1);
}

static void act_inplace(Exec *e, float *y, int64_t n, int kind)
{
    ActJob j = {e->kern, y, kind};
    exec_parallel_range(e, n, ELEMWISE_GRAIN, act_range, &j);
}

/* The same over float16 input (a half graph's activation), in float32 a block at a time. */
typedef struct {
    const ExecKernels *k;
    const uint16_t *x;
    void *y; /* float * or, when y16, uint16_t * (may be x: each block is read before it is written) */
    bool y16;
    int kind;
} ActJob16;

#define ACT_BLOCK 512

static void act_range16(void *ctx, int64_t b, int64_t end)
{
    const ActJob16 *j = ctx;
    float buf[ACT_BLOCK];
    for (int64_t i = b; i < end; i += ACT_BLOCK) {
        int64_t m = end - i < ACT_BLOCK ? end - i : ACT_BLOCK;
        j->k->f16_to_f32(j->x + i, buf, m);
        if (j->kind == 2) j->k->exp(buf, buf, m);
        else j->k->sigmoid(buf, buf, m, j->kind == 1);
        if (j->y16) j->k->f32_to_f16(buf, (uint16_t *)j->y + i, m);
        else memcpy((float *)j->y + i, buf, sizeof(float) * (size_t)m);
    }
}

/* Activation kind of float16 x into y: float16 when the graph stores y so (in x's buffer
 * when nobody reads x later), else float32. */
static int act_f16(Exec *e, const Node *n, Value *x, Value *y, int kind, char *err, size_t errlen)
{
    bool y16 = value_stores_f16(e, y);
    const uint16_t *src = x->data;
    if (y16 && value_consumable(e, n, x)) {
        if (value_forward(e, n, y, x, x->rank, x->dims, err, errlen)) return -1;
    } else if (value_alloc(e, y, y16 ? VT_F16 : VT_F32, x->rank, x->dims, err, errlen)) {
        return -1;
    }
    ActJob16 j = {e->kern, src, y->data, y16, kind};
    exec_parallel_range(e, y->numel, ELEMWISE_GRAIN, act_range16, &j);
    return 0;
}

/* ---- unary ------------------------------------------------------------------------- */

/* Output buffer for a float unary op: the input's own buffer when nobody reads it later. */
static int unary_out(Exec *e, const Node *n, Value *x, Value *y, char *err, size_t errlen)
{
    if (x->type == VT_F32 && value_consumable(e, n, x))
        return value_forward(e, n, y, x, x->rank, x->dims, err, errlen);
    if (value_alloc(e, y, VT_F32, x->rank, x->dims, err, errlen)) return -1;
    if (x->type == VT_F32) {
        if (y->data != x->data) memcpy(y->data, x->data, (size_t)x->numel * sizeof(float));
    } else
        for (int64_t i = 0; i < x->numel; i++) vf(y)[i] = (float)vi(x)[i];
    return 0;
}

int exec_op_sigmoid(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    if (in[0]->type == VT_F16) return act_f16(e, n, in[0], out[0], 0, err, errlen);
    if (unary_out(e, n, in[0], out[0], err, errlen)) return -1;
    act_inplace(e, vf(out[0]), out[0]->numel, 0);
    return 0;
}

int exec_op_silu(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    if (in[0]->type == VT_F16) return act_f16(e, n, in[0], out[0], 1, err, errlen);
    if (unary_out(e, n, in[0], out[0], err, errlen)) return -1;
    act_inplace(e, vf(out[0]), out[0]->numel, 1);
    return 0;
}

int exec_op_exp(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    if (unary_out(e, n, in[0], out[0], err, errlen)) return -1;
    act_inplace(e, vf(out[0]), out[0]->numel, 2);
    return 0;
}

int exec_op_unary(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    int kind = exec_op_variant(n->op);
    /* integer Neg/Abs/Relu on int64 stay integer (shape arithmetic) */
    if (in[0]->type == VT_I64 && (kind == U_NEG || kind == U_ABS || kind == U_RELU || kind == U_SIGN)) {
        if (value_alloc(e, out[0], VT_I64, in[0]->rank, in[0]->dims, err, errlen)) return -1;
        for (int64_t i = 0; i < in[0]->numel; i++) {
            int64_t v = vi(in[0])[i];
            int64_t neg = (int64_t)(0 - (uint64_t)v); /* wraps for INT64_MIN, as numpy does */
            vi(out[0])[i] = kind == U_NEG ? neg : kind == U_ABS ? (v < 0 ? neg : v) : kind == U_RELU ? (v > 0 ? v : 0)
                                                                                   : (v > 0) - (v < 0);
        }
        return 0;
    }
    if (unary_out(e, n, in[0], out[0], err, errlen)) return -1;
    float alpha = (float)node_attr_float(n, "alpha", kind == U_LEAKY ? 0.01 : kind == U_HSIG ? 0.2 : 1.0);
    float beta = (float)node_attr_float(n, "beta", 0.5);
    const char *approx = node_attr_str(n, "approximate", "none");
    float *y = vf(out[0]);
    int64_t cnt = out[0]->numel;
    for (int64_t i = 0; i < cnt; i++) {
        float v = y[i];
        switch ((UnaryKind)kind) {
        case U_RELU: v = v > 0 ? v : 0; break;
        case U_LOG: v = logf(v); break;
        case U_SQRT: v = sqrtf(v); break;
        case U_NEG: v = -v; break;
        case U_ABS: v = fabsf(v); break;
        case U_TANH: v = tanhf(v); break;
        case U_FLOOR: v = floorf(v); break;
        case U_CEIL: v = ceilf(v); break;
        case U_ROUND: v = nearbyintf(v); break; /* half to even, as ONNX says */
        case U_RECIP: v = 1.0f / v; break;
        case U_ERF: v = erff(v); break;
        case U_LEAKY: v = v >= 0 ? v : alpha * v; break;
        case U_HSIG: v = fmaxf(0.f, fminf(1.f, alpha * v + beta)); break;
        case U_HSWISH: v = v * fmaxf(0.f, fminf(1.f, v / 6.f + 0.5f)); break;
        case U_SIN: v = sinf(v); break;
        case U_COS: v = cosf(v); break;
        case U_SOFTPLUS: v = v > 20.f ? v : log1pf(expf(v)); break;
        case U_GELU:
            v = strcmp(approx, "tanh") ? 0.5f * v * (1.f + erff(v * 0.70710678118654752f))
                                       : 0.5f * v * (1.f + tanhf(0.7978845608f * (v + 0.044715f * v * v * v)));
            break;
        case U_ELU: v = v >= 0 ? v : alpha * (expf(v) - 1.f); break;
        case U_SIGN: v = (float)((v > 0) - (v < 0)); break;
        case U_MISH: v = v * tanhf(v > 20.f ? v : log1pf(expf(v))); break;
        }
        y[i] = v;
    }
    return 0;
}

/* ---- broadcasting binary ops ------------------------------------------------------ */

static bool bin_is_compare(BinKind k) { return k >= B_EQ; }

static inline float bin_f(BinKind k, float a, float b, int fmod_attr)
{
    switch (k) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return powf(a, b);
    case B_MIN: return a < b ? a : b;
    case B_MAX: return a > b ? a : b;
    case B_MOD: {
        float r = fmodf(a, b);
        if (!fmod_attr && r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
    }
    case B_EQ: return a == b;
    case B_LT: return a < b;
    case B_GT: return a > b;
    case B_LE: return a <= b;
    case B_GE: return a >= b;
    case B_AND: return (a != 0) && (b != 0);
    case B_OR: return (a != 0) || (b != 0);
    case B_XOR: return (a != 0) != (b != 0);
    }
    return 0;
}

static inline int64_t bin_i(BinKind k, int64_t a, int64_t b)
{
    switch (k) {
    case B_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
    case B_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
    case B_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
    case B_DIV: return b == 0 || (a == INT64_MIN && b == -1) ? 0 : a / b; /* ONNX: truncation */
    case B_POW: {
        int64_t r = 1;
        for (int64_t i = 0; i < b && i < 64; i++) r = (int64_t)((uint64_t)r * (uint64_t)a);
        return b < 0 ? 0 : r;
    }
    case B_MIN: return a < b ? a : b;
    case B_MAX: return a > b ? a : b;
    case B_MOD: {
        if (b == 0 || (a == INT64_MIN && b == -1)) return 0;
        int64_t r = a % b;
        if (r != 0 && ((r < 0) != (b < 0))) r += b; /* sign of the divisor, as numpy */
        return r;
    }
    case B_EQ: return a == b;
    case B_LT: return a < b;
    case B_GT: return a > b;
    case B_LE: return a <= b;
    case B_GE: return a >= b;
    case B_AND: return a && b;
    case B_OR: return a || b;
    case B_XOR: return (a != 0) != (b != 0);
    }
    return 0;
}

/* Element strides of an input broadcast to the output shape (0 on broadcast dims). */
static void bcast_strides(const Value *v, const int64_t *odims, int orank, int64_t *st)
{
    int64_t s = 1;
    for (int i = orank - 1; i >= 0; i--) {
        int vi_ = i - (orank - v->rank);
        if (vi_ < 0 || v->dims[vi_] == 1) st[i] = 0;
        else {
            st[i] = s;
            s *= v->dims[vi_];
        }
        (void)odims;
    }
}

/* Merge adjacent output dims where every operand's strides allow, so inner loops run long. */
static int coalesce(int64_t *dims, int rank, int64_t (*st)[GRAPH_MAX_RANK], int nops)
{
    if (rank == 0) {
        dims[0] = 1;
        for (int k = 0; k < nops; k++) st[k][0] = 0;
        return 1;
    }
    int r = 0;
    for (int i = 0; i < rank; i++) {
        if (r > 0) {
            bool ok = true;
            for (int k = 0; k < nops; k++)
                if (st[k][r - 1] != st[k][i] * dims[i]) ok = false;
            if (ok) {
                dims[r - 1] *= dims[i];
                for (int k = 0; k < nops; k++) st[k][r - 1] = st[k][i];
                continue;
            }
        }
        dims[r] = dims[i];
        for (int k = 0; k < nops; k++) st[k][r] = st[k][i];
        r++;
    }
    return r;
}

#define BIN_FLOAT_LOOP(OP)                                                                               \
    do {                                                                                                 \
        if (sa == 1 && sb == 1)                                                                          \
            for (int64_t j = 0; j < inner; j++) { float x_ = pa[j], y_ = pb[j]; po[j] = (OP); }         \
        else if (sa == 1 && sb == 0) {                                                                   \
            float y_ = pb[0];                                                                            \
            for (int64_t j = 0; j < inner; j++) { float x_ = pa[j]; po[j] = (OP); }                     \
        } else if (sa == 0 && sb == 1) {                                                                 \
            float x_ = pa[0];                                                                            \
            for (int64_t j = 0; j < inner; j++) { float y_ = pb[j]; po[j] = (OP); }                     \
        } else                                                                                           \
            for (int64_t j = 0; j < inner; j++) { float x_ = pa[j * sa], y_ = pb[j * sb]; po[j] = (OP); } \
    } while (0)

static void bin_inner_f(BinKind k, const float *pa, int64_t sa, const float *pb, int64_t sb, float *po,
                        int64_t inner, int fm)
{
    switch (k) {
    case B_ADD: BIN_FLOAT_LOOP(x_ + y_); break;
    case B_SUB: BIN_FLOAT_LOOP(x_ - y_); break;
    case B_MUL: BIN_FLOAT_LOOP(x_ * y_); break;
    case B_DIV: BIN_FLOAT_LOOP(x_ / y_); break;
    default:
        for (int64_t j = 0; j < inner; j++) po[j] = bin_f(k, pa[j * sa], pb[j * sb], fm);
    }
}

/* A float binary op over coalesced dims, run in ranges of the flat output index.  Float16
 * operands and outputs (a half graph's activations) are converted a block at a time. */
typedef struct {
    BinKind k;
    int fm;
    const void *a, *b; /* float *, or uint16_t * when a16 / b16 */
    void *o;           /* float *, or uint16_t * when o16 */
    bool a16, b16, o16;
    const ExecKernels *kern;
    int r;
    int64_t dims[GRAPH_MAX_RANK];
    int64_t st[2][GRAPH_MAX_RANK];
    int64_t inner;
} BinJob;

#define F16_BLOCK 512

/* n elements of an operand from element off with stride s, as floats: the operand's own
 * (*stride = s) or converted into buf (*stride 1, or 0 for a broadcast scalar). */
static const float *bin_operand(const BinJob *j, const void *v, bool h, int64_t off, int64_t s, int64_t n,
                                float *buf, int64_t *stride)
{
    *stride = s;
    if (!h) return (const float *)v + off;
    const uint16_t *p = (const uint16_t *)v + off;
    if (s == 1) j->kern->f16_to_f32(p, buf, n);
    else if (s == 0) buf[0] = half_to_float(p[0]);
    else
        for (int64_t i = 0; i < n; i++) buf[i] = half_to_float(p[i * s]);
    *stride = s != 0;
    return buf;
}

/* bin_inner_f over n outputs from p with float16 operands or output. */
static void bin_inner_f16(const BinJob *j, int64_t offa, int64_t sa, int64_t offb, int64_t sb, int64_t p, int64_t n)
{
    float fa[F16_BLOCK], fb[F16_BLOCK], fo[F16_BLOCK];
    for (int64_t q = 0; q < n; q += F16_BLOCK) {
        int64_t m = n - q < F16_BLOCK ? n - q : F16_BLOCK, ssa, ssb;
        const float *pa = bin_operand(j, j->a, j->a16, offa + q * sa, sa, m, fa, &ssa);
        const float *pb = bin_operand(j, j->b, j->b16, offb + q * sb, sb, m, fb, &ssb);
        float *po = j->o16 ? fo : (float *)j->o + p + q;
        bin_inner_f(j->k, pa, ssa, pb, ssb, po, m, j->fm);
        if (j->o16) j->kern->f32_to_f16(fo, (uint16_t *)j->o + p + q, m);
    }
}

static void bin_range(void *ctx, int64_t p0, int64_t p1)
{
    const BinJob *j = ctx;
    int r = j->r;
    int64_t inner = j->inner, it = p0 / inner, col = p0 % inner, sa = j->st[0][r - 1], sb = j->st[1][r - 1];
    int64_t idx[GRAPH_MAX_RANK] = {0}, offa = 0, offb = 0;
    for (int d = r - 2; d >= 0; d--) {
        idx[d] = it % j->dims[d];
        it /= j->dims[d];
        offa += idx[d] * j->st[0][d];
        offb += idx[d] * j->st[1][d];
    }
    for (int64_t p = p0; p < p1;) {
        int64_t len = inner - col < p1 - p ? inner - col : p1 - p;
        if (j->a16 || j->b16 || j->o16)
            bin_inner_f16(j, offa + col * sa, sa, offb + col * sb, sb, p, len);
        else
            bin_inner_f(j->k, (const float *)j->a + offa + col * sa, sa, (const float *)j->b + offb + col * sb, sb,
                        (float *)j->o + p, len, j->fm);
        p += len;
        col = 0;
        for (int d = r - 2; d >= 0; d--) {
            idx[d]++;
            offa += j->st[0][d];
            offb += j->st[1][d];
            if (idx[d] < j->dims[d]) break;
            offa -= j->st[0][d] * j->dims[d];
            offb -= j->st[1][d] * j->dims[d];
            idx[d] = 0;
        }
    }
}

static int binary(Exec *e, const Node *n, BinKind k, Value *a, Value *b, Value *o, char *err, size_t errlen)
{
    int64_t od[GRAPH_MAX_RANK];
    int orank;
    if (broadcast_shape(a->dims, a->rank, b->dims, b->rank, od, &orank, err, errlen)) return -1;
    bool ints = a->type == VT_I64 && b->type == VT_I64;
    int fm = (int)node_attr_int(n, "fmod", 0);
    ValueType ot = (ints || bin_is_compare(k)) ? VT_I64 : VT_F32;
    Value a32, b32; /* comparisons read float16 operands from float32 copies */
    if (ot != VT_F32 && (!(a = value_staged_f32(e, a, &a32, err, errlen)) || !(b = value_staged_f32(e, b, &b32, err, errlen))))
        return -1;
    if (ot == VT_F32 && value_stores_f16(e, o)) ot = VT_F16; /* a half graph's activation, stored as such */
    int64_t st[3][GRAPH_MAX_RANK];
    bcast_strides(a, od, orank, st[0]);
    bcast_strides(b, od, orank, st[1]);
    /* write into an input's buffer when it has the output's shape and nobody reads it later */
    Value tmp = {0};
    Value *dst = o;
    bool same_a = a->rank == orank && !memcmp(a->dims, od, sizeof(int64_t) * (size_t)orank);
    bool same_b = b->rank == orank && !memcmp(b->dims, od, sizeof(int64_t) * (size_t)orank);
    if (!ints && ot != VT_I64 && a->type == ot && same_a && value_consumable(e, n, a)) {
        if (value_forward(e, n, &tmp, a, orank, od, err, errlen)) return -1;
        a = &tmp;
    } else if (!ints && ot != VT_I64 && b->type == ot && same_b && value_consumable(e, n, b)) {
        if (value_forward(e, n, &tmp, b, orank, od, err, errlen)) return -1;
        b = &tmp;
    }
    Value ca = {0}, cb = {0}; /* float copies of int operands in mixed arithmetic */
    if (!ints && a->type == VT_I64) {
        ca = *a; ca.owned = false; ca.fshadow = NULL;
        value_to_f32(&ca);
        a = &ca;
    }
    if (!ints && b->type == VT_I64) {
        cb = *b; cb.owned = false; cb.fshadow = NULL;
        value_to_f32(&cb);
        b = &cb;
    }
    int64_t dims[GRAPH_MAX_RANK];
    memcpy(dims, od, sizeof dims);
    st[2][0] = 0;
    int r = coalesce(dims, orank, st, 2);
    if (tmp.ready) {
        /* the output aliases tmp's buffer: element j of the output sits where operand a/b's
         * element j sits, so in-place evaluation is safe */
        *dst = tmp;
    } else if (value_alloc(e, dst, ot, orank, od, err, errlen)) {
        value_clear(&ca); value_clear(&cb);
        return -1;
    }
    int64_t total = dst->numel, inner = dims[r - 1];
    if (!ints && ot != VT_I64 && inner > 0) {
        BinJob j = {k, fm, a->data, b->data, dst->data, a->type == VT_F16, b->type == VT_F16, ot == VT_F16, e->kern,
                    r, {0}, {{0}}, inner};
        memcpy(j.dims, dims, sizeof j.dims);
        memcpy(j.st[0], st[0], sizeof j.st[0]);
        memcpy(j.st[1], st[1], sizeof j.st[1]);
        exec_parallel_range(e, total, ELEMWISE_GRAIN, bin_range, &j);
        value_clear(&ca);
        value_clear(&cb);
        return 0;
    }
    int64_t idx[GRAPH_MAX_RANK] = {0};
    int64_t offa = 0, offb = 0;
    for (int64_t done = 0; done < total && inner > 0; done += inner) {
        if (ints) {
            const int64_t *pa = vi(a) + offa, *pb = vi(b) + offb;
            int64_t *po = vi(dst) + done;
            for (int64_t j = 0; j < inner; j++) po[j] = bin_i(k, pa[j * st[0][r - 1]], pb[j * st[1][r - 1]]);
        } else {
            const float *pa = vf(a) + offa, *pb = vf(b) + offb;
            int64_t *po = vi(dst) + done;
            for (int64_t j = 0; j < inner; j++) po[j] = (int64_t)bin_f(k, pa[j * st[0][r - 1]], pb[j * st[1][r - 1]], fm);
        }
        for (int d = r - 2; d >= 0; d--) {
            idx[d]++;
            offa += st[0][d];
            offb += st[1][d];
            if (idx[d] < dims[d]) break;
            offa -= st[0][d] * dims[d];
            offb -= st[1][d] * dims[d];
            idx[d] = 0;
        }
    }
    value_clear(&ca);
    value_clear(&cb);
    return 0;
}

int exec_op_binary(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_OUT(0);
    int kind = exec_op_variant(n->op);
    /* Min/Max take any number of inputs; the rest exactly two */
    if ((kind == B_MIN || kind == B_MAX) && nin != 2) {
        if (nin < 1 || !in[0]) return err_set(err, errlen, "needs at least one input");
        Value acc = {0};
        if (value_copy_reshaped(e, &acc, in[0], in[0]->rank, in[0]->dims, err, errlen)) return -1;
        for (int i = 1; i < nin; i++) {
            if (!in[i]) continue;
            Value next = {0};
            if (binary(e, n, (BinKind)kind, &acc, in[i], &next, err, errlen)) {
                value_clear(&acc);
                return -1;
            }
            value_clear(&acc);
            acc = next;
        }
        *out[0] = acc;
        return 0;
    }
    NEED_IN(0); NEED_IN(1);
    return binary(e, n, (BinKind)kind, in[0], in[1], out[0], err, errlen);
}

int exec_op_not(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    if (value_alloc(e, out[0], VT_I64, in[0]->rank, in[0]->dims, err, errlen)) return -1;
    for (int64_t i = 0; i < in[0]->numel; i++) vi(out[0])[i] = value_get(in[0], i) == 0;
    return 0;
}

/* Generic 3-way broadcasting (Where): slow, for the small tensors it meets. */
int exec_op_where(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_IN(2); NEED_OUT(0);
    int64_t d1[GRAPH_MAX_RANK], od[GRAPH_MAX_RANK];
    int r1, orank;
    if (broadcast_shape(in[0]->dims, in[0]->rank, in[1]->dims, in[1]->rank, d1, &r1, err, errlen)) return -1;
    if (broadcast_shape(d1, r1, in[2]->dims, in[2]->rank, od, &orank, err, errlen)) return -1;
    bool ints = in[1]->type == VT_I64 && in[2]->type == VT_I64;
    if (value_alloc(e, out[0], ints ? VT_I64 : VT_F32, orank, od, err, errlen)) return -1;
    int64_t st[3][GRAPH_MAX_RANK];
    for (int k = 0; k < 3; k++) bcast_strides(in[k], od, orank, st[k]);
    int64_t idx[GRAPH_MAX_RANK] = {0};
    for (int64_t i = 0; i < out[0]->numel; i++) {
        int64_t o[3] = {0, 0, 0};
        for (int d = 0; d < orank; d++)
            for (int k = 0; k < 3; k++) o[k] += idx[d] * st[k][d];
        bool c = value_get(in[0], o[0]) != 0;
        if (ints) vi(out[0])[i] = c ? vi(in[1])[o[1]] : vi(in[2])[o[2]];
        else vf(out[0])[i] = (float)(c ? value_get(in[1], o[1]) : value_get(in[2], o[2]));
        for (int d = orank - 1; d >= 0; d--) {
            if (++idx[d] < od[d]) break;
            idx[d] = 0;
        }
    }
    return 0;
}

/* ---- Cast, Clip ------------------------------------------------------------------- */

int exec_op_cast(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    int to_onnx = (int)node_attr_int(n, "to", 1);
    DType to = dtype_from_onnx(to_onnx);
    if (to == DT_UNDEFINED || to == DT_STRING) return err_set(err, errlen, "cannot cast to type %d", to_onnx);
    Value *x = in[0], *y = out[0];
    bool to_float = to == DT_F32 || to == DT_F16 || to == DT_BF16 || to == DT_F64;
    if (value_alloc(e, y, to_float ? VT_F32 : VT_I64, x->rank, x->dims, err, errlen)) return -1;
    for (int64_t i = 0; i < x->numel; i++) {
        if (to_float) {
            float f = (float)value_get(x, i);
            if (to == DT_F16) f = half_to_float(float_to_half(f));
            else if (to == DT_BF16) {
                uint32_t b;
                memcpy(&b, &f, 4);
                b = (b + 0x7fff + ((b >> 16) & 1)) & 0xffff0000u; /* round to nearest even */
                memcpy(&f, &b, 4);
            }
            vf(y)[i] = f;
            continue;
        }
        int64_t v;
        if (to == DT_BOOL) v = value_get(x, i) != 0;
        else v = value_get_i64(x, i); /* float -> int truncates toward zero */
        switch (to) {
        case DT_U8: v = (uint8_t)v; break;
        case DT_I8: v = (int8_t)v; break;
        case DT_U16: v = (uint16_t)v; break;
        case DT_I16: v = (int16_t)v; break;
        case DT_I32: v = (int32_t)v; break;
        case DT_U32: v = (uint32_t)v; break;
        default: break;
        }
        vi(y)[i] = v;
    }
    return 0;
}

int exec_op_clip(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    double lo = node_attr_float(n, "min", -INFINITY), hi = node_attr_float(n, "max", INFINITY);
    if (nin > 1 && in[1] && in[1]->numel) lo = value_get(in[1], 0);
    if (nin > 2 && in[2] && in[2]->numel) hi = value_get(in[2], 0);
    if (in[0]->type == VT_I64) {
        if (value_alloc(e, out[0], VT_I64, in[0]->rank, in[0]->dims, err, errlen)) return -1;
        for (int64_t i = 0; i < in[0]->numel; i++) {
            double v = (double)vi(in[0])[i];
            vi(out[0])[i] = v < lo ? (int64_t)lo : v > hi ? (int64_t)hi : vi(in[0])[i];
        }
        return 0;
    }
    if (unary_out(e, n, in[0], out[0], err, errlen)) return -1;
    float l = (float)lo, h = (float)hi;
    float *y = vf(out[0]);
    for (int64_t i = 0; i < out[0]->numel; i++) y[i] = y[i] < l ? l : y[i] > h ? h : y[i];
    return 0;
}

/* ---- Softmax ---------------------------------------------------------------------- */

/* Softmax of many rows at once: the vector exp, rows side by side in columns of inner
 * (for inner > 1 the axis is strided: whole rows of inner values are walked in order). */
typedef struct {
    const ExecKernels *k;
    float *y;
    int64_t len, inner, chunk, chunks_per_outer;
    bool logsm;
    double **sums; /* per worker: chunk doubles */
} SoftmaxJob;

static void softmax_block(const SoftmaxJob *j, float *p, int64_t cols, double *sum)
{
    int64_t len = j->len, inner = j->inner;
    if (inner == 1) { /* one row, contiguous */
        float mx = -INFINITY;
        for (int64_t i = 0; i < len; i++) mx = p[i] > mx ? p[i] : mx;
        double s = 0;
        for (int64_t i = 0; i < len; i++) p[i] -= mx;
        if (j->logsm) {
            for (int64_t i = 0; i < len; i++) s += exp((double)p[i]);
            float ls = (float)log(s);
            for (int64_t i = 0; i < len; i++) p[i] -= ls;
            return;
        }
        j->k->exp(p, p, len);
        for (int64_t i = 0; i < len; i++) s += p[i];
        float inv = (float)(1.0 / s);
        for (int64_t i = 0; i < len; i++) p[i] *= inv;
        return;
    }
    float *mx = (float *)(sum + cols); /* cols floats after the sums */
    for (int64_t c = 0; c < cols; c++) mx[c] = -INFINITY, sum[c] = 0;
    for (int64_t r = 0; r < len; r++) {
        const float *row = p + r * inner;
        for (int64_t c = 0; c < cols; c++) mx[c] = row[c] > mx[c] ? row[c] : mx[c];
    }
    for (int64_t r = 0; r < len; r++) {
        float *row = p + r * inner;
        for (int64_t c = 0; c < cols; c++) row[c] -= mx[c];
        if (j->logsm) {
            for (int64_t c = 0; c < cols; c++) sum[c] += exp((double)row[c]);
        } else {
            j->k->exp(row, row, cols);
            for (int64_t c = 0; c < cols; c++) sum[c] += row[c];
        }
    }
    for (int64_t c = 0; c < cols; c++) mx[c] = j->logsm ? (float)log(sum[c]) : (float)(1.0 / sum[c]);
    for (int64_t r = 0; r < len; r++) {
        float *row = p + r * inner;
        if (j->logsm)
            for (int64_t c = 0; c < cols; c++) row[c] -= mx[c];
        else
            for (int64_t c = 0; c < cols; c++) row[c] *= mx[c];
    }
}

static void softmax_task(void *ctx, int64_t task, int worker)
{
    const SoftmaxJob *j = ctx;
    int64_t o = task / j->chunks_per_outer, ch = task % j->chunks_per_outer;
    int64_t c0 = ch * j->chunk, cols = j->inner - c0 < j->chunk ? j->inner - c0 : j->chunk;
    softmax_block(j, j->y + o * j->len * j->inner + c0, cols, j->sums[worker]);
}

int exec_op_softmax(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    bool logsm = n->op == OP_LOG_SOFTMAX;
    Value *x = in[0];
    bool old = e->opset > 0 && e->opset < 13; /* opsets 1-12: softmax over the flattened trailing dims */
    int axis;
    int rank = x->rank ? x->rank : 1;
    if (axis_norm(node_attr_int(n, "axis", old ? 1 : -1), rank, &axis, err, errlen)) return -1;
    if (unary_out(e, n, x, out[0], err, errlen)) return -1;
    int64_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < axis) outer *= x->dims[i];
        else if (i == axis || old) len *= x->dims[i];
        else inner *= x->dims[i];
    }
    float *y = vf(out[0]);
    if (outer * inner >= 64 && len > 0 && e->kern) {
        /* many rows: the vector exp, on the pool (libm's expf below keeps small tensors exact) */
        SoftmaxJob j = {.k = e->kern, .y = y, .len = len, .inner = inner, .logsm = logsm};
        j.chunk = inner == 1 ? 1 : inner < 1024 ? inner : 1024;
        j.chunks_per_outer = (inner + j.chunk - 1) / j.chunk;
        int64_t tasks = outer * j.chunks_per_outer;
        exec_worker_scratch_reserve(e, (size_t)(3 * j.chunk + 16));
        j.sums = (double **)e->wscr;
        if (inner == 1 && outer * len < ELEMWISE_GRAIN) {
            for (int64_t t = 0; t < tasks; t++) softmax_task(&j, t, 0);
        } else {
            exec_pool_for(e->pool, tasks, softmax_task, &j);
        }
        return 0;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in_ = 0; in_ < inner; in_++) {
            float *p = y + o * len * inner + in_;
            float mx = -INFINITY;
            for (int64_t j = 0; j < len; j++) mx = p[j * inner] > mx ? p[j * inner] : mx;
            double sum = 0;
            for (int64_t j = 0; j < len; j++) {
                float v = expf(p[j * inner] - mx);
                sum += v;
                if (!logsm) p[j * inner] = v;
            }
            if (logsm) {
                float ls = (float)log(sum);
                for (int64_t j = 0; j < len; j++) p[j * inner] = p[j * inner] - mx - ls;
            } else {
                float inv = (float)(1.0 / sum);
                for (int64_t j = 0; j < len; j++) p[j * inner] *= inv;
            }
        }
    return 0;
}

int exec_op_matmul(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *a = in[0], *b = in[1];
    if (a->rank < 1 || b->rank < 1) return err_set(err, errlen, "MatMul needs operands of rank 1 or more");
    Value ca = {0}, cb = {0};
    if (a->type != VT_F32) { ca = *a; ca.owned = false; ca.fshadow = NULL; value_to_f32(&ca); a = &ca; }
    if (b->type != VT_F32) { cb = *b; cb.owned = false; cb.fshadow = NULL; value_to_f32(&cb); b = &cb; }
    /* numpy: a 1-D a is a row, a 1-D b a column; batch dims broadcast */
    int64_t M = a->rank == 1 ? 1 : a->dims[a->rank - 2], K = a->dims[a->rank - 1];
    int64_t K2 = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2], N = b->rank == 1 ? 1 : b->dims[b->rank - 1];
    int rc = 0;
    if (K != K2) {
        rc = err_set(err, errlen, "inner dimensions differ (%lld vs %lld)", (long long)K, (long long)K2);
        goto done;
    }
    int64_t ba[GRAPH_MAX_RANK], bb[GRAPH_MAX_RANK], bo[GRAPH_MAX_RANK];
    int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0, ro;
    memcpy(ba, a->dims, sizeof(int64_t) * (size_t)ra);
    memcpy(bb, b->dims, sizeof(int64_t) * (size_t)rb);
    if ((rc = broadcast_shape(ba, ra, bb, rb, bo, &ro, err, errlen))) goto done;
    int64_t od[GRAPH_MAX_RANK];
    int orank = ro;
    memcpy(od, bo, sizeof(int64_t) * (size_t)ro);
    if (a->rank > 1) od[orank++] = M;
    if (b->rank > 1) od[orank++] = N;
    if (orank > GRAPH_MAX_RANK) { rc = err_set(err, errlen, "result rank too large"); goto done; }
    if ((rc = value_alloc(e, out[0], VT_F32, orank, od, err, errlen))) goto done;
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) { rc = err_set(err, errlen, "matrix too large"); goto done; }
    int64_t nb = 1;
    for (int i = 0; i < ro; i++) nb *= bo[i];
    Value va = {.rank = ra}, vb = {.rank = rb};
    memcpy(va.dims, ba, sizeof ba);
    memcpy(vb.dims, bb, sizeof bb);
    int64_t sa[GRAPH_MAX_RANK], sb[GRAPH_MAX_RANK];
    bcast_strides(&va, bo, ro, sa);
    bcast_strides(&vb, bo, ro, sb);
    int64_t idx[GRAPH_MAX_RANK] = {0};
    for (int64_t bi = 0; bi < nb; bi++) {
        int64_t oa = 0, ob = 0;
        for (int d = 0; d < ro; d++) { oa += idx[d] * sa[d]; ob += idx[d] * sb[d]; }
        const float *pa = vf(a) + oa * M * K, *pb = vf(b) + ob * K * N;
        float *po = vf(out[0]) + bi * M * N;
        if (K == 0) memset(po, 0, sizeof(float) * (size_t)(M * N));
        else if (M && N)
            exec_sgemm(e, false, false, M, N, K, 1.0f, pa, K, pb, N, 0.0f, po, N);
        for (int d = ro - 1; d >= 0; d--) {
            if (++idx[d] < bo[d]) break;
            idx[d] = 0;
        }
    }
done:
    value_clear(&ca);
    value_clear(&cb);
    return rc;
}

int exec_op_gemm(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *a = in[0], *b = in[1], *c = nin > 2 ? in[2] : NULL;
    if (a->rank != 2 || b->rank != 2 || a->type != VT_F32 || b->type != VT_F32)
        return err_set(err, errlen, "Gemm needs two float matrices");
    int ta = (int)node_attr_int(n, "transA", 0), tb = (int)node_attr_int(n, "transB", 0);
    float alpha = (float)node_attr_float(n, "alpha", 1.0), beta = (float)node_attr_float(n, "beta", 1.0);
    int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
    int64_t K2 = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
    if (K != K2) return err_set(err, errlen, "inner dimensions differ (%lld vs %lld)", (long long)K, (long long)K2);
    if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) return err_set(err, errlen, "matrix too large");
    int64_t od[2] = {M, N};
    if (value_alloc(e, out[0], VT_F32, 2, od, err, errlen)) return -1;
    float *y = vf(out[0]);
    if (c && beta != 0) {
        int64_t bd[GRAPH_MAX_RANK];
        int br;
        if (broadcast_shape(od, 2, c->dims, c->rank, bd, &br, err, errlen) || br != 2 || bd[0] != M || bd[1] != N)
            return err_set(err, errlen, "C does not broadcast to [%lld, %lld]", (long long)M, (long long)N);
        int64_t st[GRAPH_MAX_RANK];
        bcast_strides(c, od, 2, st);
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) y[i * N + j] = (float)value_get(c, i * st[0] + j * st[1]);
    } else {
        memset(y, 0, sizeof(float) * (size_t)(M * N));
        beta = 0;
    }
    if (M && N && K)
        exec_sgemm(e, ta, tb, M, N, K, alpha, vf(a), a->dims[1], vf(b), b->dims[1], beta, y, N);
    return 0;
}

/* ---- reductions ------------------------------------------------------------------- */

/* Axes to reduce (from the attribute or, in newer opsets, input 1) as a mask. */
static int reduce_axes(const Node *n, Value **in, int nin, int rank, bool *mask, char *err, size_t errlen)
{
    int64_t axes[GRAPH_MAX_RANK * 2];
    int na = attr_ints(n, "axes", axes, (int)ARRAY_LEN(axes));
    if (na < 0) return err_set(err, errlen, "too many axes");
    if (nin > 1 && in[1]) {
        if (value_int_list(in[1], axes, (int)ARRAY_LEN(axes), &na, "axes", err, errlen)) return -1;
    }
    memset(mask, 0, sizeof(bool) * GRAPH_MAX_RANK);
    if (na == 0) {
        if (node_attr_int(n, "noop_with_empty_axes", 0)) return 0;
        for (int i = 0; i < rank; i++) mask[i] = true;
        return 0;
    }
    for (int i = 0; i < na; i++) {
        int ax;
        if (axis_norm(axes[i], rank, &ax, err, errlen)) return -1;
        mask[ax] = true;
    }
    return 0;
}

typedef enum { R_MAX, R_MIN, R_SUM, R_MEAN, R_PROD } ReduceKind;

int exec_op_reduce(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    ReduceKind k = n->op == OP_REDUCE_MAX ? R_MAX : n->op == OP_REDUCE_MIN ? R_MIN
                 : n->op == OP_REDUCE_SUM ? R_SUM : n->op == OP_REDUCE_MEAN ? R_MEAN : R_PROD;
    Value *x = in[0];
    bool mask[GRAPH_MAX_RANK];
    if (reduce_axes(n, in, nin, x->rank, mask, err, errlen)) return -1;
    bool keep = node_attr_int(n, "keepdims", 1) != 0;
    int64_t kd[GRAPH_MAX_RANK], od[GRAPH_MAX_RANK];
    int orank = 0;
    int64_t count = 1;
    for (int i = 0; i < x->rank; i++) {
        kd[i] = mask[i] ? 1 : x->dims[i];
        if (mask[i]) count *= x->dims[i];
        if (!mask[i] || keep) od[orank++] = kd[i];
    }
    if ((k == R_MAX || k == R_MIN) && count == 0) return err_set(err, errlen, "reducing an empty tensor");
    bool ints = x->type == VT_I64;
    if (value_alloc(e, out[0], ints ? VT_I64 : VT_F32, orank, od, err, errlen)) return -1;
    int64_t on = out[0]->numel;
    double *acc = xmalloc(sizeof(double) * (size_t)(on ? on : 1));
    for (int64_t i = 0; i < on; i++) acc[i] = k == R_MAX ? -INFINITY : k == R_MIN ? INFINITY : k == R_PROD ? 1 : 0;
    /* output strides over the input's index space (0 on reduced dims) */
    int64_t ost[GRAPH_MAX_RANK], s = 1;
    for (int i = x->rank - 1; i >= 0; i--) {
        ost[i] = mask[i] ? 0 : s;
        s *= kd[i];
    }
    int64_t idx[GRAPH_MAX_RANK] = {0}, o = 0;
    for (int64_t i = 0; i < x->numel; i++) {
        double v = value_get(x, i);
        double *a = &acc[o];
        switch (k) {
        case R_MAX: if (v > *a || v != v) *a = v; break;
        case R_MIN: if (v < *a || v != v) *a = v; break;
        case R_SUM: case R_MEAN: *a += v; break;
        case R_PROD: *a *= v; break;
        }
        for (int d = x->rank - 1; d >= 0; d--) {
            o += ost[d];
            if (++idx[d] < x->dims[d]) break;
            o -= ost[d] * x->dims[d];
            idx[d] = 0;
        }
    }
    for (int64_t i = 0; i < on; i++) {
        double v = k == R_MEAN ? (count ? acc[i] / (double)count : NAN) : acc[i];
        if (ints) vi(out[0])[i] = (int64_t)v;
        else vf(out[0])[i] = (float)v;
    }
    free(acc);
    return 0;
}

int exec_op_argmax(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    Value *x = in[0];
    bool is_min = n->op == OP_ARGMIN;
    int axis;
    if (axis_norm(node_attr_int(n, "axis", 0), x->rank ? x->rank : 1, &axis, err, errlen)) return -1;
    bool keep = node_attr_int(n, "keepdims", 1) != 0, last = node_attr_int(n, "select_last_index", 0) != 0;
    int64_t od[GRAPH_MAX_RANK];
    int orank = 0;
    int64_t outer = 1, len = x->rank ? x->dims[axis] : 1, inner = 1;
    for (int i = 0; i < x->rank; i++) {
        if (i < axis) outer *= x->dims[i];
        if (i > axis) inner *= x->dims[i];
        if (i != axis) od[orank++] = x->dims[i];
        else if (keep) od[orank++] = 1;
    }
    if (len == 0) return err_set(err, errlen, "ArgMax over an empty axis");
    if (value_alloc(e, out[0], VT_I64, orank, od, err, errlen)) return -1;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            int64_t best = 0;
            double bv = value_get(x, o * len * inner + j);
            for (int64_t a = 1; a < len; a++) {
                double v = value_get(x, (o * len + a) * inner + j);
                bool better = is_min ? (last ? v <= bv : v < bv) : (last ? v >= bv : v > bv);
                if (better) { bv = v; best = a; }
            }
            vi(out[0])[o * inner + j] = best;
        }
    return 0;
}

