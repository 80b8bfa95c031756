/* exec_quant: quantization ops with their reference semantics — ONNX QuantizeLinear and
 * DequantizeLinear (per tensor or per axis) and OpenVINO FakeQuantize.  Quantized values
 * are integers held as int64 (the executor's integer type); the range they saturate to is
 * the zero point's element type (or the output's, when the graph declares one), uint8 when
 * neither says.  Rounding is to nearest, ties to even, as both specifications say.  The
 * integer convolution path (exec_qconv.c) runs DequantizeLinear -> Conv -> QuantizeLinear
 * chains without going through these, and turns a FakeQuantize's float output back into
 * its levels for the convolutions that read it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec_conv.h"
#include "engine/core/util.h"

/* The integer range of a quantized element type; false when it is not one we quantize to. */
static bool quant_range(DType t, double *lo, double *hi)
{
    switch (t) {
    case DT_U8: *lo = 0, *hi = 255; return true;
    case DT_I8: *lo = -128, *hi = 127; return true;
    case DT_U16: *lo = 0, *hi = 65535; return true;
    case DT_I16: *lo = -32768, *hi = 32767; return true;
    case DT_I32: *lo = -2147483648.0, *hi = 2147483647.0; return true;
    default: return false;
    }
}

/* Scale (and zero point) of a per-tensor or per-axis quantization: for element i of x,
 * parameter index (i / inner) % count, count being 1 (per tensor) or dims[axis]. */
typedef struct {
    int64_t count, inner;
} QuantAxis;

static int quant_axis(const Node *n, const Value *x, const Value *scale, const Value *zp, QuantAxis *qa, char *err,
                      size_t errlen)
{
    if (node_attr_int(n, "block_size", 0)) return err_set(err, errlen, "blocked quantization is not supported");
    if (scale->type != VT_F32) return err_set(err, errlen, "the scale must be float");
    qa->count = 1;
    qa->inner = 1;
    if (scale->numel != 1 || scale->rank > 1) {
        if (scale->rank != 1) return err_set(err, errlen, "the scale must be a scalar or 1-D");
        int axis;
        if (axis_norm(node_attr_int(n, "axis", 1), x->rank ? x->rank : 1, &axis, err, errlen)) return -1;
        if (x->rank == 0 || x->dims[axis] != scale->numel)
            return err_set(err, errlen, "the scale has %lld entries for axis %d of size %lld", (long long)scale->numel,
                           axis, (long long)(x->rank ? x->dims[axis] : 0));
        qa->count = scale->numel;
        for (int i = axis + 1; i < x->rank; i++) qa->inner *= x->dims[i];
    }
    if (zp && zp->numel != scale->numel)
        return err_set(err, errlen, "the zero point has %lld entries, the scale %lld", (long long)zp->numel,
                       (long long)scale->numel);
    return 0;
}

/* ---- per-tensor QuantizeLinear to bytes and DequantizeLinear of bytes, on the pool -------------
 * The reference arithmetic of the ops below, element by element: q = round_even(x / s) + z
 * saturated to [lo, hi] (NaN to lo), y = (q - z) * s.  Sixteen at a time with AVX-512 where
 * the Exec's kernels are AVX-512 (the same IEEE operations, so the same bits). */
typedef struct {
    const float *x;
    const void *q8;
    float *y;
    uint8_t *out8;
    int64_t n, per_task;
    float s, z, lo, hi;
    bool is_signed, avx512;
} QdqJob;

#ifdef EXEC_HAVE_X86_KERNELS
#include <immintrin.h>

__attribute__((target("avx512f,avx512bw,avx512vl"))) static int64_t q_row_avx512(const QdqJob *j, int64_t a, int64_t b)
{
    __m512 vs = _mm512_set1_ps(j->s), vz = _mm512_set1_ps(j->z), vlo = _mm512_set1_ps(j->lo), vhi = _mm512_set1_ps(j->hi);
    int64_t i = a;
    for (; i + 16 <= b; i += 16) {
        __m512 q = _mm512_roundscale_ps(_mm512_div_ps(_mm512_loadu_ps(j->x + i), vs),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(q, vz), vlo), vhi); /* max(NaN, lo) is lo */
        _mm_storeu_si128((__m128i *)(j->out8 + i), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(q)));
    }
    return i;
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) static int64_t dq_row_avx512(const QdqJob *j, int64_t a, int64_t b)
{
    __m512 vs = _mm512_set1_ps(j->s), vz = _mm512_set1_ps(j->z);
    int64_t i = a;
    for (; i + 16 <= b; i += 16) {
        __m128i q = _mm_loadu_si128((const __m128i *)((const uint8_t *)j->q8 + i));
        __m512i w = j->is_signed ? _mm512_cvtepi8_epi32(q) : _mm512_cvtepu8_epi32(q);
        _mm512_storeu_ps(j->y + i, _mm512_mul_ps(_mm512_sub_ps(_mm512_cvtepi32_ps(w), vz), vs));
    }
    return i;
}
#endif

/* Elements [task * per_task, ...) of the job: quantized when it has x, dequantized otherwise. */
static void qdq_task(void *ctx, int64_t task, int worker)
{
    (void)worker;
    const QdqJob *j = ctx;
    int64_t a = task * j->per_task, b = a + j->per_task < j->n ? a + j->per_task : j->n, i = a;
    if (j->x) {
#ifdef EXEC_HAVE_X86_KERNELS
        if (j->avx512) i = q_row_avx512(j, a, b);
#endif
        for (; i < b; i++) {
            float q = fminf(fmaxf(nearbyintf(j->x[i] / j->s) + j->z, j->lo), j->hi); /* fmaxf(NaN, lo) is lo */
            j->out8[i] = j->is_signed ? (uint8_t)(int8_t)q : (uint8_t)q;
        }
        return;
    }
#ifdef EXEC_HAVE_X86_KERNELS
    if (j->avx512) i = dq_row_avx512(j, a, b);
#endif
    if (j->is_signed)
        for (; i < b; i++) j->y[i] = ((float)((const int8_t *)j->q8)[i] - j->z) * j->s;
    else
        for (; i < b; i++) j->y[i] = ((float)((const uint8_t *)j->q8)[i] - j->z) * j->s;
}

static void qdq_run(Exec *e, QdqJob *j)
{
    j->avx512 = exec_cpu_isa() == EXEC_ISA_AVX512 && e->kern == exec_kernels(EXEC_ISA_AVX512);
    j->per_task = 1 << 15;
    int64_t tasks = (j->n + j->per_task - 1) / j->per_task;
    if (tasks > 0) exec_pool_for(e->pool, tasks, qdq_task, j);
}

int exec_op_quantize_linear(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err,
                            size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *x = in[0], *scale = in[1], *zp = nin > 2 ? in[2] : NULL;
    QuantAxis qa;
    if (quant_axis(n, x, scale, zp, &qa, err, errlen)) return -1;
    /* the integer type: the output's when the graph declares one, else the zero point's */
    DType t = DT_U8;
    int ot = n->outputs[0], zt = nin > 2 ? n->inputs[2] : -1;
    double lo, hi;
    if (ot >= 0 && quant_range(e->g->tensors[ot].dtype, &lo, &hi)) t = e->g->tensors[ot].dtype;
    else if (zt >= 0 && quant_range(e->g->tensors[zt].dtype, &lo, &hi)) t = e->g->tensors[zt].dtype;
    else if (zt >= 0 && e->g->tensors[zt].dtype != DT_UNDEFINED)
        return err_set(err, errlen, "quantizing to %s is not supported", dtype_name(e->g->tensors[zt].dtype));
    quant_range(t, &lo, &hi);
    /* bytes when every reader takes them (integer convolutions, DequantizeLinear) */
    bool bytes = exec_q_bytes(e, n) && (t == DT_U8 || t == DT_I8) && x->type == VT_F32;
    if (value_alloc(e, out[0], bytes ? (t == DT_I8 ? VT_I8 : VT_U8) : VT_I64, x->rank, x->dims, err, errlen)) return -1;
    if (bytes && qa.count == 1) {
        QdqJob j = {.x = vf(x), .out8 = out[0]->data, .n = x->numel, .s = vf(scale)[0],
                    .z = zp ? (float)value_get(zp, 0) : 0.f, .lo = (float)lo, .hi = (float)hi, .is_signed = t == DT_I8};
        qdq_run(e, &j);
        return 0;
    }
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t k = qa.count == 1 ? 0 : (i / qa.inner) % qa.count;
        double z = zp ? value_get(zp, k) : 0;
        double v = (double)nearbyintf((float)value_get(x, i) / vf(scale)[k]) + z;
        v = v >= lo ? (v > hi ? hi : v) : lo; /* NaN to lo */
        if (!bytes) vi(out[0])[i] = (int64_t)v;
        else if (t == DT_I8) ((int8_t *)out[0]->data)[i] = (int8_t)v;
        else ((uint8_t *)out[0]->data)[i] = (uint8_t)v;
    }
    return 0;
}

int exec_op_dequantize_linear(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err,
                              size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *x = in[0], *scale = in[1], *zp = nin > 2 ? in[2] : NULL;
    QuantAxis qa;
    if (quant_axis(n, x, scale, zp, &qa, err, errlen)) return -1;
    if (value_alloc(e, out[0], VT_F32, x->rank, x->dims, err, errlen)) return -1;
    float *y = vf(out[0]);
    if (qa.count == 1 && (x->type == VT_U8 || x->type == VT_I8)) { /* bytes, per tensor */
        QdqJob j = {.q8 = x->data, .y = y, .n = x->numel, .s = vf(scale)[0], .z = zp ? (float)value_get(zp, 0) : 0.f,
                    .is_signed = x->type == VT_I8};
        qdq_run(e, &j);
        return 0;
    }
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t k = qa.count == 1 ? 0 : (i / qa.inner) % qa.count;
        float z = zp ? (float)value_get(zp, k) : 0.f;
        y[i] = ((float)value_get(x, i) - z) * vf(scale)[k];
    }
    return 0;
}

/* FakeQuantize's levels: an integer attribute, or the string an OpenVINO IR carries (exec_conv.h). */
int64_t exec_fq_levels(const Node *n)
{
    const Attr *a = node_attr(n, "levels");
    if (a && a->type == ATTR_STRING && a->s) return strtoll(a->s, NULL, 10);
    return node_attr_int(n, "levels", 0);
}

/* One row of FakeQuantize with its four range values fixed over the row: the reference
 * arithmetic of exec_op_fake_quantize, element by element. */
static void fq_row(const float *x, float *y, int64_t n, float il, float ih, float ol, float oh, float steps)
{
    float mn = fminf(il, ih), mx = fmaxf(il, ih);
    for (int64_t j = 0; j < n; j++) {
        float v = x[j];
        if (v <= mn) y[j] = ol;
        else if (v > mx) y[j] = oh;
        else y[j] = nearbyintf((v - il) / (ih - il) * steps) / steps * (oh - ol) + ol;
    }
}

#ifdef EXEC_HAVE_X86_KERNELS
#include <immintrin.h>

/* fq_row sixteen at a time: the same IEEE operations in the same order (no fused
 * multiply-add), rounding to nearest even, so the same bits; returns how many it did. */
__attribute__((target("avx512f,avx512dq"))) static int64_t fq_row_avx512(const float *x, float *y, int64_t n, float il,
                                                                         float ih, float ol, float oh, float steps)
{
    __m512 vil = _mm512_set1_ps(il), vrange = _mm512_set1_ps(ih - il), vsteps = _mm512_set1_ps(steps),
           vout = _mm512_set1_ps(oh - ol), vol = _mm512_set1_ps(ol), voh = _mm512_set1_ps(oh),
           vmn = _mm512_set1_ps(fminf(il, ih)), vmx = _mm512_set1_ps(fmaxf(il, ih));
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512 v = _mm512_loadu_ps(x + j);
        __m512 t = _mm512_mul_ps(_mm512_div_ps(_mm512_sub_ps(v, vil), vrange), vsteps);
        t = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        t = _mm512_add_ps(_mm512_mul_ps(_mm512_div_ps(t, vsteps), vout), vol);
        t = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, vmx, _CMP_GT_OQ), t, voh);
        t = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, vmn, _CMP_LE_OQ), t, vol);
        _mm512_storeu_ps(y + j, t);
    }
    return j;
}
#endif

typedef struct {
    const float *x, *range[4];
    float *y;
    int64_t st[4][GRAPH_MAX_RANK], od[GRAPH_MAX_RANK]; /* each range's strides over the output's dims */
    int orank;
    int64_t inner, rows, per_task;
    float steps;
    bool avx512;
} FqJob;

/* Rows [task * per_task, ...) of a FakeQuantize. */
static void fq_task(void *ctx, int64_t task, int worker)
{
    (void)worker;
    const FqJob *j = ctx;
    int last = j->orank - 1;
    int64_t r0 = task * j->per_task, r1 = r0 + j->per_task < j->rows ? r0 + j->per_task : j->rows;
    for (int64_t r = r0; r < r1; r++) {
        int64_t idx[GRAPH_MAX_RANK] = {0}, rest = r;
        for (int d = last - 1; d >= 0; d--) {
            idx[d] = rest % j->od[d];
            rest /= j->od[d];
        }
        const float *p[4];
        int64_t ps[4];
        for (int k = 0; k < 4; k++) {
            int64_t o = 0;
            for (int d = 0; d < last; d++) o += idx[d] * j->st[k][d];
            p[k] = j->range[k] + o;
            ps[k] = j->orank ? j->st[k][last] : 0;
        }
        const float *xr = j->x + r * j->inner;
        float *yr = j->y + r * j->inner;
        if (!ps[0] && !ps[1] && !ps[2] && !ps[3]) { /* the ranges are fixed over the row */
            int64_t k = 0;
#ifdef EXEC_HAVE_X86_KERNELS
            if (j->avx512) k = fq_row_avx512(xr, yr, j->inner, p[0][0], p[1][0], p[2][0], p[3][0], j->steps);
#endif
            fq_row(xr + k, yr + k, j->inner - k, p[0][0], p[1][0], p[2][0], p[3][0], j->steps);
            continue;
        }
        for (int64_t k = 0; k < j->inner; k++) {
            float v = xr[k], il = p[0][k * ps[0]], ih = p[1][k * ps[1]], ol = p[2][k * ps[2]], oh = p[3][k * ps[3]];
            if (v <= fminf(il, ih)) yr[k] = ol;
            else if (v > fmaxf(il, ih)) yr[k] = oh;
            else yr[k] = nearbyintf((v - il) / (ih - il) * j->steps) / j->steps * (oh - ol) + ol;
        }
    }
}

int exec_op_fake_quantize(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err,
                          size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_IN(2); NEED_IN(3); NEED_IN(4); NEED_OUT(0);
    Value *x = in[0];
    int64_t levels = exec_fq_levels(n);
    if (levels < 2 || levels > ((int64_t)1 << 32)) return err_set(err, errlen, "levels %lld is out of range", (long long)levels);
    const char *bc = node_attr_str(n, "auto_broadcast", "numpy");
    if (strcmp(bc, "numpy") && strcmp(bc, "none")) return err_set(err, errlen, "auto_broadcast '%s' is not supported", bc);
    if (x->type != VT_F32) return err_set(err, errlen, "the input must be float");
    int64_t od[GRAPH_MAX_RANK];
    int orank = x->rank;
    memcpy(od, x->dims, sizeof od);
    /* each range broadcasts to the input's shape (numpy rules) */
    int64_t st[4][GRAPH_MAX_RANK];
    for (int k = 0; k < 4; k++) {
        const Value *r = in[k + 1];
        if (r->type != VT_F32) return err_set(err, errlen, "input %d must be float", k + 1);
        int64_t bd[GRAPH_MAX_RANK];
        int br;
        if (broadcast_shape(x->dims, x->rank, r->dims, r->rank, bd, &br, err, errlen)) return -1;
        if (br != orank || memcmp(bd, od, sizeof(int64_t) * (size_t)orank))
            return err_set(err, errlen, "input %d does not broadcast to the data's shape", k + 1);
        int64_t s = 1;
        for (int i = orank - 1; i >= 0; i--) {
            int ri = i - (orank - r->rank);
            if (ri < 0 || r->dims[ri] == 1) st[k][i] = 0;
            else {
                st[k][i] = s;
                s *= r->dims[ri];
            }
        }
    }
    if (value_alloc(e, out[0], VT_F32, x->rank, x->dims, err, errlen)) return -1;
    if (!x->numel) return 0;
    FqJob j = {.x = vf(x), .y = vf(out[0]), .orank = orank, .steps = (float)(levels - 1)};
    memcpy(j.st, st, sizeof st);
    memcpy(j.od, od, sizeof od);
    for (int k = 0; k < 4; k++) j.range[k] = vf(in[k + 1]);
#ifdef EXEC_HAVE_X86_KERNELS
    j.avx512 = exec_cpu_isa() == EXEC_ISA_AVX512 && e->kern == exec_kernels(EXEC_ISA_AVX512);
#endif
    /* row by row along the last dim; a range whose last-dim stride is 0 is constant over a row */
    j.inner = orank ? od[orank - 1] : 1;
    j.rows = x->numel / (j.inner ? j.inner : 1);
    int64_t want = (int64_t)exec_pool_size(e->pool) * 4, min_rows = 16384 / (j.inner ? j.inner : 1) + 1;
    j.per_task = (j.rows + want - 1) / want;
    if (j.per_task < min_rows) j.per_task = min_rows;
    exec_pool_for(e->pool, (j.rows + j.per_task - 1) / j.per_task, fq_task, &j);
    return 0;
}
