/* exec_qconv: QDQ convolutions in integers.  A chain
 *     x_q --DequantizeLinear--> x --Conv(DequantizeLinear(w_q int8) [, bias])--> y --QuantizeLinear--> y_q
 * with per-tensor activation scales, per-tensor or per-channel symmetric int8 weights and a
 * float bias (or an int32 one through DequantizeLinear) runs as one integer convolution:
 * x_q stays bytes (the QuantizeLinear that makes it stores bytes when its only readers are
 * DequantizeLinear nodes and such convolutions), sums are exact int32, and the epilogue
 * requantizes straight into y_q's bytes.  The DequantizeLinear nodes whose only readers
 * are fused convolutions are skipped; the QuantizeLinear after the conv passes its buffer
 * on.  Everything else of a QDQ graph keeps the reference float semantics.
 * OpenVINO's int8 form runs the same way where it maps exactly: a Conv reading a
 * FakeQuantize (256 levels, per tensor, zero on the grid; or a Split, Concat, MaxPool or
 * nearest Resize of such values on one grid) with weights that are int8 steps
 * per output channel sums its input's levels in int32 and ends in float (scale, bias, the
 * fused activation), for the next FakeQuantize and any other reader -- where the AVX-512
 * VNNI int8 kernel runs (elsewhere the float kernels are the faster ones).
 * Planned at exec_new with fusion on (exec_plan_qconvs); run by the run loop. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec_conv.h"
#include "engine/core/util.h"

struct QConvPlan {
    int64_t M, C, group, Mg, Cg; /* M = group * Mg outputs, C = group * Cg inputs */
    int64_t kh, kw, K, Kq, panels; /* K = Cg * kh * kw taps per group; panels per group */
    int8_t *A;          /* [group][panels][Kq][EXEC_MR8][4] */
    int32_t *zsum;      /* per output row, rows padded to whole panels per group */
    float *scale, *bias;
    int32_t x_zp;       /* the input zero point, in the unsigned view of its bytes */
    bool x_signed;      /* int8 input: packing flips the top bit (x + 128) */
    float y_scale;
    int32_t y_zp, y_lo, y_hi;
    bool y_signed;
    /* A FakeQuantize input (float_out): its float values are on a 256-level grid; they are
     * turned back into their levels (bytes) once per run, and the sums end in float. */
    bool float_out;
    float fq_lo, fq_range;  /* the FakeQuantize's output range: level = round((x - lo) / range * 255) */
    ExecEpi epi;            /* bias and the fused activation */
    uint8_t *xbytes;        /* the levels of the last run's input */
    size_t xbytes_len;
    ExecGemm8Fn gemm;
    const char *kname;
    double last_macs;
    int x_q;            /* the quantized input tensor (bytes), or the FakeQuantize's output (float) */
};

/* ---- planning ------------------------------------------------------------------------------ */

static bool is_const(const Exec *e, int t)
{
    const Tensor *tt = t >= 0 ? &e->g->tensors[t] : NULL;
    return tt && ((tt->producer < 0 && !tt->is_input) || (e->folded && e->folded[t])) && e->vals[t].ready;
}

static const Node *producer(const Exec *e, int t, OpKind op)
{
    if (t < 0 || e->g->tensors[t].producer < 0) return NULL;
    const Node *n = &e->g->nodes[e->g->tensors[t].producer];
    return n->op == op ? n : NULL;
}

/* A constant scalar float. */
static bool const_scalar(const Exec *e, int t, float *v)
{
    if (!is_const(e, t) || e->vals[t].type != VT_F32 || e->vals[t].numel != 1) return false;
    *v = vf(&e->vals[t])[0];
    return *v > 0 && isfinite(*v);
}

/* A quantization's zero point: absent (uint8 0) or a constant uint8/int8 scalar. */
static bool const_zero_point(const Exec *e, int t, int32_t *zp, bool *is_signed)
{
    *zp = 0;
    *is_signed = false;
    if (t < 0) return true;
    DType dt = e->g->tensors[t].dtype;
    if (!is_const(e, t) || e->vals[t].numel != 1 || (dt != DT_U8 && dt != DT_I8)) return false;
    *zp = (int32_t)value_get_i64(&e->vals[t], 0);
    *is_signed = dt == DT_I8;
    return true;
}

/* Whether every reader of t is a DequantizeLinear (reading it as its data) or one of the
 * convolutions in conv_ok; t is not a graph output. */
static bool readers_take_bytes(const Exec *e, int t, const bool *conv_ok)
{
    if (t < 0 || e->pinned[t]) return false;
    int cons[64];
    int n = graph_consumers(e->g, t, cons, 64);
    if (n < 1 || n > 64) return false;
    for (int i = 0; i < n; i++) {
        const Node *c = &e->g->nodes[cons[i]];
        bool dq = c->op == OP_DEQUANTIZE_LINEAR && c->inputs[0] == t;
        for (int k = 1; dq && k < c->n_inputs; k++) dq = c->inputs[k] != t;
        if (!dq && !(conv_ok && conv_ok[cons[i]])) return false;
    }
    return true;
}

/* The weight DequantizeLinear's constants: int8 weights, per-tensor or per-channel scales
 * and zero points that are all zero. */
static bool weight_chain(const Exec *e, int wt, int64_t M, const Value **wq, float *wscale)
{
    const Node *dq = producer(e, wt, OP_DEQUANTIZE_LINEAR);
    if (!dq || dq->n_inputs < 2 || !is_const(e, dq->inputs[0]) || e->g->tensors[dq->inputs[0]].dtype != DT_I8)
        return false;
    const Value *s = is_const(e, dq->inputs[1]) ? &e->vals[dq->inputs[1]] : NULL;
    if (!s || s->type != VT_F32 || (s->numel != 1 && s->numel != M)) return false;
    if (s->numel == M && node_attr_int(dq, "axis", 1) != 0) return false;
    if (dq->n_inputs > 2 && dq->inputs[2] >= 0) {
        const Value *z = is_const(e, dq->inputs[2]) ? &e->vals[dq->inputs[2]] : NULL;
        if (!z) return false;
        for (int64_t i = 0; i < z->numel; i++)
            if (value_get_i64(z, i)) return false;
    }
    for (int64_t m = 0; m < M; m++) {
        wscale[m] = vf(s)[s->numel == 1 ? 0 : m];
        if (!(wscale[m] > 0) || !isfinite(wscale[m])) return false;
    }
    *wq = &e->vals[dq->inputs[0]];
    return true;
}

/* The bias: absent, a float constant, or DequantizeLinear of an int32 constant. */
static bool bias_chain(const Exec *e, int bt, int64_t M, float *bias)
{
    for (int64_t m = 0; m < M; m++) bias[m] = 0.f;
    if (bt < 0) return true;
    if (is_const(e, bt)) {
        const Value *b = &e->vals[bt];
        if (b->type != VT_F32 || b->numel != M) return false;
        memcpy(bias, vf(b), sizeof(float) * (size_t)M);
        return true;
    }
    const Node *dq = producer(e, bt, OP_DEQUANTIZE_LINEAR);
    if (!dq || dq->n_inputs < 2 || !is_const(e, dq->inputs[0]) || !is_const(e, dq->inputs[1])) return false;
    const Value *q = &e->vals[dq->inputs[0]], *s = &e->vals[dq->inputs[1]];
    const Value *z = dq->n_inputs > 2 && dq->inputs[2] >= 0 && is_const(e, dq->inputs[2]) ? &e->vals[dq->inputs[2]] : NULL;
    if (dq->n_inputs > 2 && dq->inputs[2] >= 0 && !z) return false;
    if (q->numel != M || s->type != VT_F32 || (s->numel != 1 && s->numel != M) || (z && z->numel != s->numel))
        return false;
    for (int64_t m = 0; m < M; m++) {
        int64_t k = s->numel == 1 ? 0 : m;
        bias[m] = ((float)value_get(q, m) - (z ? (float)value_get(z, k) : 0.f)) * vf(s)[k];
    }
    return true;
}

/* Sums of K products of a byte (at most 255) and an int8 weight (at most 128 in size) stay
 * exact in int32 up to this many taps. */
#define QCONV_MAX_K ((int64_t)1 << 16)

/* Fill p's geometry and pack integer weights wi ([M][Cg][kh][kw], group groups of M / group
 * rows) with the per-row constants: zsum (x_zp, already set, times the row's weight sum),
 * scale (input scale xs times the row's weight scale) and bias. */
static void qconv_pack(QConvPlan *p, int64_t M, int64_t Cg, int64_t group, int64_t kh, int64_t kw, const int8_t *wi,
                       float xs, const float *wscale, const float *bias)
{
    p->M = M;
    p->group = group;
    p->Mg = M / group;
    p->Cg = Cg;
    p->C = Cg * group;
    p->kh = kh;
    p->kw = kw;
    p->K = Cg * kh * kw;
    p->Kq = (p->K + 3) / 4;
    p->panels = (p->Mg + EXEC_MR8 - 1) / EXEC_MR8;
    int64_t rows = p->panels * EXEC_MR8, K = p->K;
    p->A = xmalloc_aligned(64, (size_t)(group * p->panels * p->Kq * EXEC_MR8 * 4));
    p->zsum = xcalloc((size_t)(group * rows), sizeof(int32_t));
    p->scale = xcalloc((size_t)(group * rows), sizeof(float));
    p->bias = xcalloc((size_t)(group * rows), sizeof(float));
    int8_t *dst = p->A;
    for (int64_t gi = 0; gi < group; gi++)
        for (int64_t pn = 0; pn < p->panels; pn++)
            for (int64_t kq = 0; kq < p->Kq; kq++)
                for (int r = 0; r < EXEC_MR8; r++)
                    for (int kk = 0; kk < 4; kk++) {
                        int64_t m = pn * EXEC_MR8 + r, k = kq * 4 + kk;
                        *dst++ = m < p->Mg && k < K ? wi[(gi * p->Mg + m) * K + k] : 0;
                    }
    for (int64_t gi = 0; gi < group; gi++)
        for (int64_t m = 0; m < p->Mg; m++) {
            int64_t gm = gi * p->Mg + m, row = gi * rows + m, s = 0;
            for (int64_t k = 0; k < K; k++) s += wi[gm * K + k];
            p->zsum[row] = (int32_t)(s * p->x_zp);
            p->scale[row] = xs * wscale[gm];
            p->bias[row] = bias[gm];
        }
}

/* A conv node's integer plan, or NULL when the node is not the pattern. */
static QConvPlan *qconv_try(const Exec *e, int ni, int *q_in, int *q_out)
{
    const Graph *g = e->g;
    const Node *n = &g->nodes[ni];
    if (n->op != OP_CONV || n->n_inputs < 2 || n->n_outputs != 1 || n->outputs[0] < 0) return NULL;
    if (node_attr_int(n, "group", 1) != 1) return NULL;
    /* the input: DequantizeLinear of a QuantizeLinear's output, per tensor */
    const Node *dqx = producer(e, n->inputs[0], OP_DEQUANTIZE_LINEAR);
    float xs, ys;
    int32_t xzp, yzp;
    bool xsig, ysig;
    if (!dqx || dqx->n_inputs < 2 || !const_scalar(e, dqx->inputs[1], &xs) ||
        !const_zero_point(e, dqx->n_inputs > 2 ? dqx->inputs[2] : -1, &xzp, &xsig))
        return NULL;
    const Node *qx = producer(e, dqx->inputs[0], OP_QUANTIZE_LINEAR);
    if (!qx) return NULL;
    /* the output: read only by a QuantizeLinear, per tensor */
    int cons[2];
    if (e->pinned[n->outputs[0]] || graph_consumers(g, n->outputs[0], cons, 2) != 1) return NULL;
    const Node *qy = &g->nodes[cons[0]];
    if (qy->op != OP_QUANTIZE_LINEAR || qy->inputs[0] != n->outputs[0] || qy->n_outputs != 1 || qy->outputs[0] < 0 ||
        qy->n_inputs < 2 || !const_scalar(e, qy->inputs[1], &ys) ||
        !const_zero_point(e, qy->n_inputs > 2 ? qy->inputs[2] : -1, &yzp, &ysig))
        return NULL;
    /* the quantized input's zero point must be what its QuantizeLinear wrote with */
    int32_t qzp;
    bool qsig;
    if (qx->n_inputs > 2 ? !const_zero_point(e, qx->inputs[2], &qzp, &qsig) || qsig != xsig : xsig) return NULL;
    /* the weights */
    int wt = n->inputs[1];
    const Node *dqw = producer(e, wt, OP_DEQUANTIZE_LINEAR);
    const Value *wv = dqw && dqw->n_inputs > 0 && is_const(e, dqw->inputs[0]) ? &e->vals[dqw->inputs[0]] : NULL;
    int64_t M = wv && wv->rank == 4 ? wv->dims[0] : 0;
    if (M < 1 || M > (1 << 20)) return NULL;
    float *wscale = xmalloc(sizeof(float) * (size_t)M), *bias = xmalloc(sizeof(float) * (size_t)M);
    const Value *wq = NULL;
    if (!weight_chain(e, wt, M, &wq, wscale) || wq->rank != 4 || wq->dims[0] != M ||
        !bias_chain(e, n->n_inputs > 2 ? n->inputs[2] : -1, M, bias)) {
        free(wscale);
        free(bias);
        return NULL;
    }
    int64_t C = wq->dims[1], kh = wq->dims[2], kw = wq->dims[3], K = C * kh * kw;
    if (C < 1 || kh < 1 || kw < 1 || kh > 64 || kw > 64 || K > QCONV_MAX_K) {
        free(wscale);
        free(bias);
        return NULL;
    }
    int8_t *wi = xmalloc((size_t)(M * K));
    for (int64_t i = 0; i < M * K; i++) wi[i] = (int8_t)value_get_i64(wq, i);
    QConvPlan *p = xcalloc(1, sizeof *p);
    p->x_signed = xsig;
    p->x_zp = xsig ? xzp + 128 : xzp;
    p->y_scale = ys;
    p->y_zp = yzp;
    p->y_signed = ysig;
    p->y_lo = ysig ? -128 : 0;
    p->y_hi = ysig ? 127 : 255;
    qconv_pack(p, M, C, 1, kh, kw, wi, xs, wscale, bias);
    free(wi);
    free(wscale);
    free(bias);
    p->x_q = dqx->inputs[0];
    *q_in = (int)(qx - g->nodes);
    *q_out = (int)(qy - g->nodes);
    return p;
}

/* ---- FakeQuantize convolutions ---------------------------------------------------------------- */

/* How far (in steps) a zero or a weight may sit from its grid and still count as on it: the
 * float graph's own roundings put them about 1e-6 steps away. */
#define QCONV_GRID_TOL 1e-4

/* A constant float tensor t holding one value, or one per output channel of M shaped
 * [M, 1, 1, 1] (as numpy broadcasting lines it up with [M, Cg, kh, kw] weights). */
static const float *fq_range(const Exec *e, int t, int64_t M)
{
    if (!is_const(e, t) || e->vals[t].type != VT_F32) return NULL;
    const Value *v = &e->vals[t];
    if (v->numel == 1) return vf(v);
    if (M < 1 || v->numel != M || v->rank != 4 || v->dims[0] != M) return NULL;
    return vf(v);
}

/* The activation FakeQuantize node fq: levels 256, per-tensor constant ranges, the output
 * range equal to the input range, zero on the grid.  Its scale and zero point. */
static bool fq_activation(const Exec *e, const Node *fq, float *lo, float *range, float *scale, int32_t *zp)
{
    if (!fq || fq->n_inputs != 5 || fq->n_outputs != 1 || exec_fq_levels(fq) != 256) return false;
    float r[4];
    for (int k = 0; k < 4; k++) {
        const float *v = fq_range(e, fq->inputs[k + 1], 0);
        if (!v || !isfinite(*v)) return false;
        r[k] = *v;
    }
    if (r[0] != r[2] || r[1] != r[3] || !(r[1] > r[0])) return false;
    double s = ((double)r[1] - (double)r[0]) / 255.0, z = -(double)r[0] / s, zr = nearbyint(z);
    if (!(s > 0) || zr < 0 || zr > 255 || fabs(z - zr) > QCONV_GRID_TOL) return false;
    *lo = r[0];
    *range = r[1] - r[0];
    *scale = (float)s;
    *zp = (int32_t)zr;
    return true;
}

/* An activation DequantizeLinear (a QDQ graph's, per tensor, uint8 or int8): its values
 * (q - z) * s lie on the 256-level grid from (qmin - z) * s in steps of s, so it serves as
 * such a FakeQuantize; *zp is the level of zero in the unsigned view of the bytes. */
static bool dq_activation(const Exec *e, const Node *dq, float *lo, float *range, float *scale, int32_t *zp)
{
    float s;
    int32_t z;
    bool sig;
    if (dq->n_inputs < 2 || dq->n_outputs != 1 || !const_scalar(e, dq->inputs[1], &s) ||
        !const_zero_point(e, dq->n_inputs > 2 ? dq->inputs[2] : -1, &z, &sig))
        return false;
    DType xt = e->g->tensors[dq->inputs[0]].dtype;
    if (xt != (sig ? DT_I8 : DT_U8) && !(xt == DT_UNDEFINED && dq->n_inputs > 2)) return false;
    int32_t level0 = sig ? z + 128 : z;
    *lo = (float)(-level0) * s;
    *range = 255.0f * s;
    *scale = s;
    *zp = level0;
    return true;
}

/* The activation FakeQuantize whose grid every value of t lies on: t is its output, or
 * copies of its values through ops that only move or select values (Split, MaxPool, a
 * nearest Resize/Upsample, Reshape, Identity), or a Concat of such tensors on one same grid
 * (as NNCF unifies the ranges of a Concat's inputs).  Its grid in *lo, *range, *scale, *zp;
 * NULL when there is none. */
static const Node *grid_of(const Exec *e, int t, int *budget, float *lo, float *range, float *scale, int32_t *zp)
{
    if (t < 0 || --*budget < 0 || e->g->tensors[t].producer < 0) return NULL; /* a bounded walk */
    const Node *n = &e->g->nodes[e->g->tensors[t].producer];
    if (n->n_inputs < 1) return NULL;
    switch (n->op) {
    case OP_FAKE_QUANTIZE: return fq_activation(e, n, lo, range, scale, zp) ? n : NULL;
    case OP_DEQUANTIZE_LINEAR: return dq_activation(e, n, lo, range, scale, zp) ? n : NULL;
    case OP_RESIZE: case OP_UPSAMPLE:
        if (strcmp(node_attr_str(n, "mode", "nearest"), "nearest")) return NULL;
        return grid_of(e, n->inputs[0], budget, lo, range, scale, zp);
    case OP_SPLIT: case OP_MAXPOOL: case OP_RESHAPE: case OP_IDENTITY:
        return grid_of(e, n->inputs[0], budget, lo, range, scale, zp);
    case OP_CONCAT: {
        const Node *first = grid_of(e, n->inputs[0], budget, lo, range, scale, zp);
        for (int k = 1; first && k < n->n_inputs; k++) {
            float l2, r2, s2;
            int32_t z2;
            if (!grid_of(e, n->inputs[k], budget, &l2, &r2, &s2, &z2) || l2 != *lo || r2 != *range) return NULL;
        }
        return first;
    }
    default: return NULL;
    }
}

/* Whether the float weights w (M rows of K) are int8 multiples of step[m]: their integers
 * into wi. */
static bool on_int8_grid(const float *w, int64_t M, int64_t K, const float *step, int8_t *wi)
{
    for (int64_t m = 0; m < M; m++) {
        if (!(step[m] > 0) || !isfinite(step[m])) return false;
        for (int64_t k = 0; k < K; k++) {
            double q = (double)w[m * K + k] / step[m], qr = nearbyint(q);
            if (!(fabs(q - qr) <= QCONV_GRID_TOL) || qr < -128 || qr > 127) return false;
            wi[m * K + k] = (int8_t)qr;
        }
    }
    return true;
}

/* Follow t back through Reshape, a Subtract of zeros and Convert to an int8 constant. */
static bool from_int8(const Exec *e, int t, int depth)
{
    const Tensor *tt = t >= 0 ? &e->g->tensors[t] : NULL;
    if (!tt || depth > 4) return false;
    if (tt->producer < 0) return tt->dtype == DT_I8 && is_const(e, t);
    const Node *n = &e->g->nodes[tt->producer];
    if (n->n_inputs < 1) return false;
    if (n->op == OP_CAST || n->op == OP_RESHAPE) return from_int8(e, n->inputs[0], depth + 1);
    if (n->op == OP_SUB && n->n_inputs == 2 && is_const(e, n->inputs[1])) {
        const Value *z = &e->vals[n->inputs[1]];
        for (int64_t i = 0; i < z->numel; i++)
            if (value_get(z, i) != 0) return false; /* weights with a zero point are not symmetric */
        return from_int8(e, n->inputs[0], depth + 1);
    }
    return false;
}

/* The conv's weights wt as integers wi ([M][K]) and per-row steps: int8 constants through
 * Convert [-> Subtract of zeros] -> Multiply by a per-tensor or per-row scale (the folded
 * float weights checked against that grid), or a FakeQuantize with levels 255/256 on float
 * constants (evaluated here as the op does, then checked).  *fq_node is the weights'
 * FakeQuantize (a node the fused conv makes unnecessary), else -1. */
static bool fq_weights(const Exec *e, int wt, int64_t M, int64_t K, int8_t *wi, float *step, int *fq_node)
{
    const Graph *g = e->g;
    *fq_node = -1;
    const Value *wq = NULL;
    if (weight_chain(e, wt, M, &wq, step)) { /* a QDQ graph's: DequantizeLinear of int8 constants */
        if (wq->numel != M * K) return false;
        for (int64_t i = 0; i < M * K; i++) wi[i] = (int8_t)value_get_i64(wq, i);
        return true;
    }
    const Node *mul = producer(e, wt, OP_MUL);
    if (mul && mul->n_inputs == 2 && is_const(e, wt) && e->vals[wt].type == VT_F32 && e->vals[wt].numel == M * K) {
        for (int side = 0; side < 2; side++) {
            const float *s = fq_range(e, mul->inputs[side], M);
            if (!s || !from_int8(e, mul->inputs[1 - side], 0)) continue;
            bool per_row = e->vals[mul->inputs[side]].numel == M;
            for (int64_t m = 0; m < M; m++) step[m] = s[per_row ? m : 0];
            return on_int8_grid(vf(&e->vals[wt]), M, K, step, wi);
        }
        return false;
    }
    const Node *fq = producer(e, wt, OP_FAKE_QUANTIZE);
    if (!fq || fq->n_inputs != 5 || fq->n_outputs != 1 || !is_const(e, fq->inputs[0])) return false;
    const Value *w = &e->vals[fq->inputs[0]];
    int64_t levels = exec_fq_levels(fq);
    if (w->type != VT_F32 || w->numel != M * K || (levels != 255 && levels != 256)) return false;
    const float *r[4];
    for (int k = 0; k < 4; k++)
        if (!(r[k] = fq_range(e, fq->inputs[k + 1], M))) return false;
    float steps = (float)(levels - 1), *y = xmalloc(sizeof(float) * (size_t)(M * K));
    for (int64_t m = 0; m < M; m++) {
        float v4[4];
        for (int k = 0; k < 4; k++) v4[k] = r[k][e->vals[fq->inputs[k + 1]].numel == 1 ? 0 : m];
        float il = v4[0], ih = v4[1], ol = v4[2], oh = v4[3];
        step[m] = (oh - ol) / steps;
        for (int64_t k = 0; k < K; k++) { /* exec_op_fake_quantize's arithmetic */
            float v = vf(w)[m * K + k];
            if (v <= fminf(il, ih)) y[m * K + k] = ol;
            else if (v > fmaxf(il, ih)) y[m * K + k] = oh;
            else y[m * K + k] = nearbyintf((v - il) / (ih - il) * steps) / steps * (oh - ol) + ol;
        }
    }
    bool ok = on_int8_grid(y, M, K, step, wi);
    free(y);
    int cons[2];
    if (ok && !e->pinned[wt] && graph_consumers(g, wt, cons, 2) == 1) *fq_node = g->tensors[wt].producer;
    return ok;
}

/* A conv reading a FakeQuantize (levels 256, per tensor) with int8-representable weights:
 * its plan (float output), or NULL.  *w_fq: the weights' FakeQuantize node the plan makes
 * unnecessary, or -1. */
static QConvPlan *qconv_try_fq(const Exec *e, int ni, int *w_fq)
{
    const Graph *g = e->g;
    const Node *n = &g->nodes[ni];
    *w_fq = -1;
    if (n->op != OP_CONV || n->n_inputs < 2 || n->n_outputs != 1 || n->outputs[0] < 0) return NULL;
    int out = n->outputs[0];
    if (g->tensors[out].dtype != DT_F32 && g->tensors[out].dtype != DT_UNDEFINED) return NULL;
    float lo, range, xs;
    int32_t zp;
    int budget = 256;
    if (!grid_of(e, n->inputs[0], &budget, &lo, &range, &xs, &zp)) return NULL;
    /* the weights' shape: the folded weights', or the float constants under their FakeQuantize */
    int wt = n->inputs[1];
    const Node *wfq = producer(e, wt, OP_FAKE_QUANTIZE), *wdq = producer(e, wt, OP_DEQUANTIZE_LINEAR);
    const Value *wv = is_const(e, wt) ? &e->vals[wt]
                      : wfq && wfq->n_inputs == 5 && is_const(e, wfq->inputs[0]) ? &e->vals[wfq->inputs[0]]
                      : wdq && wdq->n_inputs >= 2 && is_const(e, wdq->inputs[0]) ? &e->vals[wdq->inputs[0]]
                                                                                : NULL;
    int64_t group = node_attr_int(n, "group", 1);
    if (!wv || wv->rank != 4 || group < 1) return NULL;
    int64_t M = wv->dims[0], Cg = wv->dims[1], kh = wv->dims[2], kw = wv->dims[3], K = Cg * kh * kw;
    if (M < 1 || M > (1 << 20) || M % group || Cg < 1 || kh < 1 || kw < 1 || kh > 64 || kw > 64 || K > QCONV_MAX_K)
        return NULL;
    /* the input is copied with its padding in place: padding wider than the kernel reads
     * nothing and would only inflate the copy (the float path takes such a graph) */
    int64_t pads[4] = {0, 0, 0, 0}, dil[2] = {1, 1}, str[2] = {1, 1};
    int np = attr_ints(n, "pads", pads, 4), nd = attr_ints(n, "dilations", dil, 2), ns = attr_ints(n, "strides", str, 2);
    bool same = !strncmp(node_attr_str(n, "auto_pad", "NOTSET"), "SAME", 4);
    if (np < 0 || nd < 0 || ns < 0) return NULL;
    for (int i = 0; i < 4; i++) {
        int64_t extent = i % 2 ? kw * dil[1] : kh * dil[0];
        if (pads[i] < 0 || pads[i] > extent || dil[i % 2] < 1 || dil[i % 2] > 64 || (same && str[i % 2] > extent))
            return NULL; /* SAME pads at most stride - 1 + extent */
    }
    int8_t *wi = xmalloc((size_t)(M * K));
    float *step = xmalloc(sizeof(float) * (size_t)M), *bias = xmalloc(sizeof(float) * (size_t)M);
    QConvPlan *p = NULL;
    if (fq_weights(e, n->inputs[1], M, K, wi, step, w_fq) && bias_chain(e, n->n_inputs > 2 ? n->inputs[2] : -1, M, bias)) {
        p = xcalloc(1, sizeof *p);
        p->float_out = true;
        p->x_zp = zp;
        p->fq_lo = lo;
        p->fq_range = range;
        qconv_pack(p, M, Cg, group, kh, kw, wi, xs, step, bias);
        p->x_q = n->inputs[0];
    }
    free(wi);
    free(step);
    free(bias);
    if (!p) *w_fq = -1;
    return p;
}

void qconv_plan_free(QConvPlan *p)
{
    if (!p) return;
    free(p->A);
    free(p->zsum);
    free(p->scale);
    free(p->bias);
    free(p->xbytes);
    free(p);
}

/* Whether e runs the AVX-512 kernels (the CPU has them and the options allow them). */
static bool kern_avx512(const Exec *e)
{
    return exec_cpu_isa() == EXEC_ISA_AVX512 && e->kern == exec_kernels(EXEC_ISA_AVX512);
}

/* The instruction set of e's kernel set (the int8 kernels follow the float ones: a forced
 * AVX2 or portable set takes the int8 kernel of that set). */
static ExecIsa kern_isa(const Exec *e)
{
    return e->kern == &exec_kernels_portable          ? EXEC_ISA_PORTABLE
           : e->kern == exec_kernels(EXEC_ISA_AVX512) ? EXEC_ISA_AVX512
                                                      : EXEC_ISA_AVX2;
}

/* ---- int32 sums for the float epilogue ------------------------------------------------------- */

/* The int8 kernel for e's kernel set (the micro-kernels' sums-only mode) where it beats the
 * float kernels, else NULL and those convolutions stay float.  Measured on the peer's yolov8n
 * IR (bench/int8.sh): AVX-512 VNNI about 1.4x faster than the float convolutions, the AVX2
 * int8 kernel about 0.55x (against AVX2 float), portable C about 0.1x. */
static ExecGemm8Fn fq_sums_kernel(const Exec *e, const char **name)
{
    ExecGemm8Fn fn = exec_gemm8(kern_isa(e), name);
    return !strcmp(*name, "avx512-vnni") ? fn : NULL;
}

/* A following activation (SiLU, Swish of one input, Relu, Sigmoid), the conv output's only
 * reader, or the Sigmoid and Mul that make a SiLU, becomes p's epilogue (the node giving the
 * activation's output then passes the conv's buffer on). */
static void fuse_activation(Exec *e, int ni, QConvPlan *p)
{
    const Graph *g = e->g;
    int out = g->nodes[ni].outputs[0], cons[2];
    if (e->pinned[out]) return;
    int nc = graph_consumers(g, out, cons, 2);
    if (nc == 2) { /* Sigmoid(y) and Mul(y, Sigmoid(y)), as ONNX spells SiLU */
        int sig = g->nodes[cons[0]].op == OP_SIGMOID ? cons[0] : g->nodes[cons[1]].op == OP_SIGMOID ? cons[1] : -1;
        int mul = sig == cons[0] ? cons[1] : cons[0];
        const Node *sn = sig >= 0 ? &g->nodes[sig] : NULL, *mn = &g->nodes[mul];
        int so = sn && sn->n_inputs == 1 && sn->n_outputs == 1 ? sn->outputs[0] : -1, sc[2];
        if (so < 0 || sig <= ni || mul <= sig || e->pinned[so] || mn->op != OP_MUL || mn->n_inputs != 2 ||
            mn->n_outputs != 1 || mn->outputs[0] < 0 || graph_consumers(g, so, sc, 2) != 1 || sc[0] != mul ||
            !((mn->inputs[0] == out && mn->inputs[1] == so) || (mn->inputs[0] == so && mn->inputs[1] == out)))
            return;
        DType dt = g->tensors[mn->outputs[0]].dtype;
        if (dt != DT_F32 && dt != DT_UNDEFINED) return;
        p->epi.act = ACT_SILU;
        e->node_plan[sig] = PLAN_SKIP;
        e->node_plan[mul] = PLAN_ALIAS;
        e->alias_src[mul] = out;
        return;
    }
    if (nc != 1 || cons[0] <= ni) return;
    const Node *a = &g->nodes[cons[0]];
    if (a->n_inputs != 1 || a->n_outputs != 1 || a->inputs[0] != out || a->outputs[0] < 0) return;
    DType dt = g->tensors[a->outputs[0]].dtype;
    if (dt != DT_F32 && dt != DT_UNDEFINED) return;
    ExecAct act = a->op == OP_SILU || a->op == OP_SWISH ? ACT_SILU
                  : a->op == OP_RELU                    ? ACT_RELU
                  : a->op == OP_SIGMOID                 ? ACT_SIGMOID
                                                        : ACT_NONE;
    if (act == ACT_NONE) return;
    p->epi.act = act;
    e->node_plan[cons[0]] = PLAN_ALIAS;
    e->alias_src[cons[0]] = out;
}

void exec_plan_qconvs(Exec *e)
{
    const Graph *g = e->g;
    int nn = g->n_nodes ? g->n_nodes : 1;
    if (!e->qconv) e->qconv = xcalloc((size_t)nn, sizeof *e->qconv);
    if (!e->q_bytes) e->q_bytes = xcalloc((size_t)nn, sizeof(bool));
    for (int ni = 0; ni < g->n_nodes; ni++) {
        qconv_plan_free(e->qconv[ni]);
        e->qconv[ni] = NULL;
        e->q_bytes[ni] = false;
    }
    if (!e->fusion) return;
    bool *ok = xcalloc((size_t)nn, sizeof(bool));
    int *q_in = xmalloc(sizeof(int) * (size_t)nn), *q_out = xmalloc(sizeof(int) * (size_t)nn);
    for (int ni = 0; ni < g->n_nodes; ni++) {
        e->qconv[ni] = qconv_try(e, ni, &q_in[ni], &q_out[ni]);
        ok[ni] = e->qconv[ni] != NULL;
    }
    /* both ends must be able to hold bytes: the input's readers and the output's */
    for (bool changed = true; changed;) {
        changed = false;
        for (int ni = 0; ni < g->n_nodes; ni++) {
            if (!ok[ni]) continue;
            const Node *qx = &g->nodes[q_in[ni]], *qy = &g->nodes[q_out[ni]];
            if (!readers_take_bytes(e, qx->outputs[0], ok) || !readers_take_bytes(e, qy->outputs[0], NULL)) {
                ok[ni] = false;
                qconv_plan_free(e->qconv[ni]);
                e->qconv[ni] = NULL;
                changed = true;
            }
        }
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (!ok[ni]) continue;
        const Node *n = &g->nodes[ni];
        e->q_bytes[q_in[ni]] = true;
        e->node_plan[ni] = PLAN_QCONV;
        e->node_plan[q_out[ni]] = PLAN_ALIAS;
        e->alias_src[q_out[ni]] = n->outputs[0];
        const char *kname;
        e->qconv[ni]->gemm = exec_gemm8(kern_isa(e), &kname);
        e->qconv[ni]->kname = kname;
        /* the quantized input is read here now, not by the DequantizeLinear */
        int xq = e->qconv[ni]->x_q;
        if (e->last_use[xq] < ni) e->last_use[xq] = ni;
    }
    /* convolutions reading a FakeQuantize: integer sums, float out */
    const char *fq_kname = "";
    ExecGemm8Fn fq_sums = fq_sums_kernel(e, &fq_kname);
    for (int ni = 0; ni < g->n_nodes && fq_sums; ni++) {
        if (ok[ni] || g->nodes[ni].op != OP_CONV) continue;
        int w_fq;
        QConvPlan *p = qconv_try_fq(e, ni, &w_fq);
        if (!p) continue;
        e->qconv[ni] = p;
        e->node_plan[ni] = PLAN_QCONV;
        if (w_fq >= 0) e->node_plan[w_fq] = PLAN_SKIP; /* the plan holds the weights' levels */
        p->gemm = fq_sums;
        p->kname = fq_kname;
        fuse_activation(e, ni, p);
    }
    /* any other QuantizeLinear read only by DequantizeLinear nodes stores bytes too (a QDQ
     * pair around a float-read convolution or another op) */
    for (int qi = 0; qi < g->n_nodes; qi++) {
        const Node *q = &g->nodes[qi];
        if (q->op == OP_QUANTIZE_LINEAR && q->n_outputs == 1 && readers_take_bytes(e, q->outputs[0], ok))
            e->q_bytes[qi] = true;
    }
    /* DequantizeLinear nodes read only by fused convolutions are not run */
    for (int di = 0; di < g->n_nodes; di++) {
        const Node *d = &g->nodes[di];
        if (d->op != OP_DEQUANTIZE_LINEAR || d->n_outputs != 1 || d->outputs[0] < 0 || e->pinned[d->outputs[0]])
            continue;
        int cons[64];
        int c = graph_consumers(g, d->outputs[0], cons, 64);
        bool all = c > 0 && c <= 64;
        for (int i = 0; i < c && all; i++) all = ok[cons[i]];
        if (all) e->node_plan[di] = PLAN_SKIP;
    }
    free(ok);
    free(q_in);
    free(q_out);
}

bool exec_q_bytes(const Exec *e, const Node *n)
{
    if (!e->fusion || !e->q_bytes || n < e->g->nodes || n >= e->g->nodes + e->g->n_nodes) return false;
    return e->q_bytes[n - e->g->nodes];
}

/* ---- running ---------------------------------------------------------------------------------- */

typedef struct {
    Exec *e;
    const QConvPlan *p;
    const Geom *g;
    const uint8_t *x;
    uint8_t *y;    /* bytes, or (float_out) floats */
    int64_t tiles; /* per image */
    int64_t tpt, n_chunks;
    uint8_t flip;  /* xor for the bytes' unsigned view */
    bool padded;   /* x is the input with its padding in place (g has no pads): no bounds to check */
    bool vector_pack; /* padded, stride 1, AVX-512 */
} QJob;


/* The offsets in a padded input plane stack of the four taps of group kq (t[kk]; taps past
 * K read offset 0) and the byte mask that zeroes those past K in a packed word. */
static uint32_t tap_offsets(const QConvPlan *p, const Geom *g, int64_t kq, int64_t t[4])
{
    uint32_t mask = 0;
    for (int kk = 0; kk < 4; kk++) {
        int64_t k = kq * 4 + kk, ch = k / (p->kh * p->kw), r = k % (p->kh * p->kw);
        t[kk] = k < p->K ? ch * g->H * g->W + (r / p->kw) * g->dh * g->W + (r % p->kw) * g->dw : 0;
        if (k < p->K) mask |= 0xffu << (8 * kk);
    }
    return mask;
}

#ifdef EXEC_HAVE_X86_KERNELS
#include <immintrin.h>

/* A padded stride-1 tile's first cols columns, sixteen at a time: the columns of one output
 * row read consecutive bytes, so each run of them is four (masked) loads, widened to words
 * and merged; the columns past cols are zero. */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void pack_runs_avx512(const QConvPlan *p, const Geom *g, const uint8_t *xb, const int64_t *off, int cols,
                             uint8_t *B)
{
    int run0[EXEC_NR8], runlen[EXEC_NR8], nr = 0;
    for (int c = 0; c < cols;) {
        int c1 = c + 1;
        while (c1 < cols && off[c1] == off[c1 - 1] + 1) c1++;
        run0[nr] = c;
        runlen[nr++] = c1 - c;
        c = c1;
    }
    for (int64_t kq = 0; kq < p->Kq; kq++) {
        int64_t t[4];
        uint32_t mask = tap_offsets(p, g, kq, t);
        uint8_t *dst = B + kq * EXEC_NR8 * 4;
        __m512i vmask = _mm512_set1_epi32((int)mask);
        for (int ri = 0; ri < nr; ri++)
            for (int c = run0[ri]; c < run0[ri] + runlen[ri]; c += 16) {
                int l = run0[ri] + runlen[ri] - c < 16 ? run0[ri] + runlen[ri] - c : 16;
                __mmask16 m = (__mmask16)(l == 16 ? 0xffffu : (1u << l) - 1u);
                const uint8_t *x = xb + off[c];
                __m512i w = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x + t[0]));
                w = _mm512_or_si512(w, _mm512_slli_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x + t[1])), 8));
                w = _mm512_or_si512(w, _mm512_slli_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x + t[2])), 16));
                w = _mm512_or_si512(w, _mm512_slli_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x + t[3])), 24));
                _mm512_mask_storeu_epi32(dst + c * 4, m, _mm512_and_si512(w, vmask));
            }
        if (cols < EXEC_NR8) memset(dst + cols * 4, 0, (size_t)(EXEC_NR8 - cols) * 4);
    }
}
#endif

/* One tile's columns of group gi, interleaved by four taps; padding reads as the zero point.
 * Four taps whose columns all read inside the input (one output row, or a plain 1x1
 * convolution whose columns are consecutive pixels) are copied as 32-bit words without
 * bounds checks; the others, and the last taps, go one byte at a time. */
static void pack_tile(const QJob *j, int64_t bn, int64_t gi, int64_t p0, int cols, uint8_t *B)
{
    const QConvPlan *p = j->p;
    const Geom *g = j->g;
    int64_t iy0[EXEC_NR8], ix0[EXEC_NR8];
    for (int c = 0; c < EXEC_NR8; c++) {
        int64_t q = p0 + (c < cols ? c : cols - 1), oy = q / g->OW, ox = q % g->OW;
        iy0[c] = oy * g->sh - g->pt;
        ix0[c] = ox * g->sw - g->pl;
    }
    uint8_t zp = (uint8_t)p->x_zp;
    const uint8_t *xb = j->x + (bn * p->C + gi * p->Cg) * g->H * g->W;
    if (j->padded) { /* every tap of every column reads inside x */
        int64_t off[EXEC_NR8];
        for (int c = 0; c < EXEC_NR8; c++) off[c] = iy0[c] * g->W + ix0[c];
#ifdef EXEC_HAVE_X86_KERNELS
        if (j->vector_pack) {
            pack_runs_avx512(p, g, xb, off, cols, B);
            return;
        }
#endif
        for (int64_t kq = 0; kq < p->Kq; kq++) {
            int64_t t[4];
            uint32_t mask = tap_offsets(p, g, kq, t);
            uint8_t *dst = B + kq * EXEC_NR8 * 4;
            for (int c = 0; c < EXEC_NR8; c++) {
                const uint8_t *x = xb + off[c];
                uint32_t w = ((uint32_t)x[t[0]] | (uint32_t)x[t[1]] << 8 | (uint32_t)x[t[2]] << 16 |
                              (uint32_t)x[t[3]] << 24) & mask;
                memcpy(dst + c * 4, &w, 4);
            }
        }
        return;
    }
    bool flat = p->kh == 1 && p->kw == 1 && g->sh == 1 && g->sw == 1 && !g->pt && !g->pl && !g->pb && !g->pr &&
                g->OW == g->W;
    bool one_row = p0 / g->OW == (p0 + cols - 1) / g->OW;
    int64_t step = flat ? 1 : g->sw;
    uint32_t flip4 = (uint32_t)j->flip * 0x01010101u;
    for (int64_t kq = 0; kq < p->Kq; kq++) {
        uint8_t *dst = B + kq * EXEC_NR8 * 4;
        const uint8_t *src[4];
        bool fast = (flat || one_row) && kq * 4 + 3 < p->K;
        for (int kk = 0; kk < 4 && fast; kk++) {
            int64_t k = kq * 4 + kk, ch = k / (p->kh * p->kw), r = k % (p->kh * p->kw), ky = r / p->kw, kx = r % p->kw;
            const uint8_t *xc = xb + ch * g->H * g->W;
            if (flat) {
                src[kk] = xc + p0;
                continue;
            }
            int64_t iy = iy0[0] + ky * g->dh, ixa = ix0[0] + kx * g->dw, ixb = ix0[cols - 1] + kx * g->dw;
            fast = iy >= 0 && iy < g->H && ixa >= 0 && ixb < g->W;
            src[kk] = xc + iy * g->W + ixa;
        }
        if (fast) {
            for (int c = 0; c < cols; c++) {
                int64_t o = c * step;
                uint32_t w = (uint32_t)src[0][o] | (uint32_t)src[1][o] << 8 | (uint32_t)src[2][o] << 16 |
                             (uint32_t)src[3][o] << 24;
                w ^= flip4;
                memcpy(dst + c * 4, &w, 4);
            }
            if (cols < EXEC_NR8) memset(dst + cols * 4, 0, (size_t)(EXEC_NR8 - cols) * 4);
            continue;
        }
        for (int kk = 0; kk < 4; kk++) {
            int64_t k = kq * 4 + kk;
            if (k >= p->K) {
                for (int c = 0; c < EXEC_NR8; c++) dst[c * 4 + kk] = 0;
                continue;
            }
            int64_t ch = k / (p->kh * p->kw), r = k % (p->kh * p->kw), ky = r / p->kw, kx = r % p->kw;
            const uint8_t *xc = xb + ch * g->H * g->W;
            for (int c = 0; c < EXEC_NR8; c++) {
                int64_t iy = iy0[c] + ky * g->dh, ix = ix0[c] + kx * g->dw;
                dst[c * 4 + kk] =
                    iy >= 0 && iy < g->H && ix >= 0 && ix < g->W ? (uint8_t)(xc[iy * g->W + ix] ^ j->flip) : zp;
            }
        }
    }
}

/* The float epilogue of a FakeQuantize convolution's tile: (sum - zsum) * scale, then bias
 * and the activation as the float convolutions apply them. */
static void float_tile(const QJob *j, const int8_t *A, const uint8_t *B, int64_t row0, float *y, int64_t ldy, int rows,
                       int cols)
{
    const QConvPlan *p = j->p;
    int32_t acc[EXEC_MR8 * EXEC_NR8];
    ExecTile8 tile = {.Kq = p->Kq, .A = A, .B = B, .rows = rows, .cols = cols, .S = acc};
    p->gemm(&tile);
    for (int r = 0; r < rows; r++) {
        float *yr = y + r * ldy, s = p->scale[row0 + r];
        int32_t z = p->zsum[row0 + r];
        for (int c = 0; c < cols; c++) yr[c] = (float)(acc[r * EXEC_NR8 + c] - z) * s;
        j->e->kern->epilogue(yr, cols, p->bias[row0 + r], &p->epi);
    }
}

static void qconv_task(void *ctx, int64_t task, int worker)
{
    const QJob *j = ctx;
    const QConvPlan *p = j->p;
    const Geom *g = j->g;
    int64_t per_image = p->group * j->n_chunks, OHW = g->OH * g->OW;
    int64_t bn = task / per_image, gi = task % per_image / j->n_chunks, ch = task % j->n_chunks;
    int64_t t0 = ch * j->tpt, t1 = t0 + j->tpt < j->tiles ? t0 + j->tpt : j->tiles;
    uint8_t *B = (uint8_t *)j->e->wscr[worker];
    for (int64_t t = t0; t < t1; t++) {
        int64_t p0 = t * EXEC_NR8;
        int cols = (int)(OHW - p0 < EXEC_NR8 ? OHW - p0 : EXEC_NR8);
        pack_tile(j, bn, gi, p0, cols, B);
        for (int64_t pn = 0; pn < p->panels; pn++) {
            int64_t m0 = pn * EXEC_MR8, row0 = (gi * p->panels + pn) * EXEC_MR8;
            int64_t out_off = (bn * p->M + gi * p->Mg + m0) * OHW + p0;
            const int8_t *A = p->A + (gi * p->panels + pn) * p->Kq * EXEC_MR8 * 4;
            int rows = (int)(p->Mg - m0 < EXEC_MR8 ? p->Mg - m0 : EXEC_MR8);
            if (p->float_out) {
                float_tile(j, A, B, row0, (float *)(void *)j->y + out_off, OHW, rows, cols);
                continue;
            }
            ExecTile8 tile = {.Kq = p->Kq,
                              .A = A,
                              .B = B,
                              .C = j->y + out_off,
                              .ldc = OHW,
                              .rows = rows,
                              .cols = cols,
                              .zsum = p->zsum + row0,
                              .scale = p->scale + row0,
                              .bias = p->bias + row0,
                              .y_scale = p->y_scale,
                              .y_zp = p->y_zp,
                              .y_lo = p->y_lo,
                              .y_hi = p->y_hi};
            p->gemm(&tile);
        }
    }
}

/* Turning a FakeQuantize's float output (N, C, H, W) back into its levels, laid out with
 * the convolution's padding in place (the zero point's level), one plane per task: the
 * values are lo + level * range / 255 up to float rounding, so the nearest level is the
 * one.  Rounded by adding and taking away 1.5 * 2^23 (exact for these magnitudes, and
 * vectorizable). */
typedef struct {
    const QConvPlan *p;
    const Geom *g;
    const float *x;
    bool avx512;
} LevelsJob;

#ifdef EXEC_HAVE_X86_KERNELS
/* The first n - n % 16 levels of a row: the same clamps (max(t, 0) gives 0 for NaN) and
 * the same rounding (to nearest even) as the scalar loop. */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static int64_t levels_row_avx512(const float *x, uint8_t *q, int64_t n, float lo, float k)
{
    __m512 vlo = _mm512_set1_ps(lo), vk = _mm512_set1_ps(k), zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255.f);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 t = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vlo), vk);
        t = _mm512_min_ps(_mm512_max_ps(t, zero), top);
        _mm_storeu_si128((__m128i *)(void *)(q + i), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(t)));
    }
    return i;
}
#endif

static void levels_task(void *ctx, int64_t plane, int worker)
{
    (void)worker;
    const LevelsJob *j = ctx;
    const Geom *g = j->g;
    int64_t Hp = g->H + g->pt + g->pb, Wp = g->W + g->pl + g->pr;
    uint8_t zp = (uint8_t)j->p->x_zp, *dst = j->p->xbytes + plane * Hp * Wp;
    float lo = j->p->fq_lo, k = 255.f / j->p->fq_range;
    const float magic = 12582912.f;
    memset(dst, zp, (size_t)(g->pt * Wp));
    memset(dst + (g->pt + g->H) * Wp, zp, (size_t)(g->pb * Wp));
    for (int64_t y = 0; y < g->H; y++) {
        const float *xr = j->x + (plane * g->H + y) * g->W;
        uint8_t *q = dst + (g->pt + y) * Wp;
        memset(q, zp, (size_t)g->pl);
        memset(q + g->pl + g->W, zp, (size_t)g->pr);
        q += g->pl;
        int64_t i = 0;
#ifdef EXEC_HAVE_X86_KERNELS
        if (j->avx512) i = levels_row_avx512(xr, q, g->W, lo, k);
#endif
        for (; i < g->W; i++) {
            float t = (xr[i] - lo) * k;
            t = t > 0.f ? t : 0.f; /* NaN reads as level 0 */
            t = t < 255.f ? t : 255.f;
            q[i] = (uint8_t)(int32_t)((t + magic) - magic);
        }
    }
}

static const uint8_t *fq_levels_of(Exec *e, QConvPlan *p, const Value *x, const Geom *g)
{
    int64_t planes = x->dims[0] * x->dims[1];
    size_t need = (size_t)(planes * (g->H + g->pt + g->pb) * (g->W + g->pl + g->pr)); /* bounded by the caller */
    if (need > p->xbytes_len) {
        free(p->xbytes);
        p->xbytes = xmalloc(need ? need : 1);
        p->xbytes_len = need;
    }
    LevelsJob j = {.p = p, .g = g, .x = vf(x), .avx512 = kern_avx512(e)};
    exec_pool_for(e->pool, planes, levels_task, &j);
    return p->xbytes;
}

static int qconv_run(Exec *e, const Node *n, QConvPlan *p, const Value *x, Value *out, char *err, size_t errlen)
{
    if (p->float_out ? x->type != VT_F32
                     : (x->type != VT_U8 && x->type != VT_I8) || (x->type == VT_I8) != p->x_signed)
        return err_set(err, errlen, p->float_out ? "the FakeQuantize's output is not float" :
                                                   "the quantized input is not held as bytes");
    if (x->rank != 4 || x->dims[1] != p->C)
        return err_set(err, errlen, "input of shape rank %d with %lld channels; the weights take %lld", x->rank,
                       (long long)(x->rank > 1 ? x->dims[1] : 0), (long long)p->C);
    int64_t ks[2];
    int nk = attr_ints(n, "kernel_shape", ks, 2);
    if (nk < 0 || (nk && (nk != 2 || ks[0] != p->kh || ks[1] != p->kw)))
        return err_set(err, errlen, "kernel_shape does not match the weight's shape");
    Geom g;
    if (conv_geom_init(n, x, p->kh, p->kw, false, &g, err, errlen)) return -1;
    int64_t d[4] = {g.N, p->M, g.OH, g.OW}, OHW = g.OH * g.OW;
    if (value_alloc(e, out, p->float_out ? VT_F32 : p->y_signed ? VT_I8 : VT_U8, 4, d, err, errlen)) return -1;
    p->last_macs = (double)g.N * (double)p->M * (double)OHW * (double)p->K;
    if (!out->numel || !OHW) return 0;
    QJob j = {.e = e, .p = p, .g = &g, .x = x->data, .y = out->data, .flip = p->x_signed ? 0x80 : 0};
    Geom gp = g; /* the padded input's geometry */
    if (p->float_out) {
        if (g.pt + g.pb > 2 * g.kh * g.dh || g.pl + g.pr > 2 * g.kw * g.dw) /* planned only for narrower */
            return err_set(err, errlen, "padding of %lld+%lld x %lld+%lld for a %lldx%lld kernel", (long long)g.pt,
                           (long long)g.pb, (long long)g.pl, (long long)g.pr, (long long)g.kh, (long long)g.kw);
        j.x = fq_levels_of(e, p, x, &g);
        gp.H += g.pt + g.pb;
        gp.W += g.pl + g.pr;
        gp.pt = gp.pl = gp.pb = gp.pr = 0;
        j.g = &gp;
        j.padded = true;
        j.vector_pack = g.sw == 1 && kern_avx512(e);
    }
    j.tiles = (OHW + EXEC_NR8 - 1) / EXEC_NR8;
    int threads = exec_pool_size(e->pool);
    double tile_macs = (double)(p->Mg * p->K * EXEC_NR8);
    int64_t want = (int64_t)threads * 6, by_size = (int64_t)(1000000.0 / tile_macs) + 1;
    j.tpt = threads > 1 ? (g.N * p->group * j.tiles) / want : j.tiles;
    if (j.tpt < by_size) j.tpt = by_size;
    if (j.tpt > j.tiles) j.tpt = j.tiles;
    if (j.tpt < 1) j.tpt = 1;
    j.n_chunks = (j.tiles + j.tpt - 1) / j.tpt;
    exec_worker_scratch_reserve(e, (size_t)(p->Kq * EXEC_NR8)); /* Kq * nr * 4 bytes */
    exec_pool_for(e->pool, g.N * p->group * j.n_chunks, qconv_task, &j);
    return 0;
}

int exec_qconv_run_node(Exec *e, int ni, char *err, size_t errlen)
{
    QConvPlan *p = e->qconv ? e->qconv[ni] : NULL;
    const Node *n = &e->g->nodes[ni];
    if (!p) return err_set(err, errlen, "no integer plan");
    const Value *x = &e->vals[p->x_q];
    if (!x->ready) return err_set(err, errlen, "input '%s' has no value", e->g->tensors[p->x_q].name);
    return qconv_run(e, n, p, x, &e->vals[n->outputs[0]], err, errlen);
}

void qconv_describe(const QConvPlan *p, char *buf, size_t len, double *macs)
{
    snprintf(buf, len, "int8 gemm %s%s", p->kname ? p->kname : "", p->float_out ? ", float out" : "");
    *macs = p->last_macs;
}
