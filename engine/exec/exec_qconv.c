/* exec_qconv: QDQ convolutions in integers.  A chain
 *     x_q --DequantizeLinear--> x --Conv(DequantizeLinear(w_q int8) [, bias])--> y --QuantizeLinear--> y_q
 * with per-tensor activation scales, per-tensor or per-channel symmetric int8 weights and a
 * float bias (or an int32 one through DequantizeLinear) runs as one integer convolution:
 * x_q stays bytes (the QuantizeLinear that makes it stores bytes when its only readers are
 * DequantizeLinear nodes and such convolutions), sums are exact int32, and the epilogue
 * requantizes straight into y_q's bytes.  The DequantizeLinear nodes whose only readers
 * are fused convolutions are skipped; the QuantizeLinear after the conv passes its buffer
 * on.  Everything else of a QDQ graph keeps the reference float semantics.
 * Planned at exec_new with fusion on (exec_plan_qconvs); run by the run loop. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec_conv.h"
#include "engine/core/util.h"

struct QConvPlan {
    int64_t M, C, kh, kw, K, Kq, panels;
    int8_t *A;          /* [panels][Kq][EXEC_MR8][4] */
    int32_t *zsum;      /* per output channel (padded to whole panels) */
    float *scale, *bias;
    int32_t x_zp;       /* the input zero point, in the unsigned view of its bytes */
    bool x_signed;      /* int8 input: packing flips the top bit (x + 128) */
    float y_scale;
    int32_t y_zp, y_lo, y_hi;
    bool y_signed;
    ExecGemm8Fn gemm;
    const char *kname;
    double last_macs;
    int x_q;            /* the quantized input tensor (bytes) */
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
    if (C < 1 || kh < 1 || kw < 1 || kh > 64 || kw > 64 || K > (1 << 22)) {
        free(wscale);
        free(bias);
        return NULL;
    }
    QConvPlan *p = xcalloc(1, sizeof *p);
    p->M = M;
    p->C = C;
    p->kh = kh;
    p->kw = kw;
    p->K = K;
    p->Kq = (K + 3) / 4;
    p->panels = (M + EXEC_MR8 - 1) / EXEC_MR8;
    int64_t Mp = p->panels * EXEC_MR8;
    p->A = xmalloc_aligned(64, (size_t)(p->panels * p->Kq * EXEC_MR8 * 4));
    p->zsum = xcalloc((size_t)Mp, sizeof(int32_t));
    p->scale = xcalloc((size_t)Mp, sizeof(float));
    p->bias = xcalloc((size_t)Mp, sizeof(float));
    p->x_signed = xsig;
    p->x_zp = xsig ? xzp + 128 : xzp;
    p->y_scale = ys;
    p->y_zp = yzp;
    p->y_signed = ysig;
    p->y_lo = ysig ? -128 : 0;
    p->y_hi = ysig ? 127 : 255;
    int8_t *dst = p->A;
    for (int64_t pn = 0; pn < p->panels; pn++)
        for (int64_t kq = 0; kq < p->Kq; kq++)
            for (int r = 0; r < EXEC_MR8; r++)
                for (int kk = 0; kk < 4; kk++) {
                    int64_t m = pn * EXEC_MR8 + r, k = kq * 4 + kk;
                    *dst++ = m < M && k < K ? (int8_t)value_get_i64(wq, m * K + k) : 0;
                }
    for (int64_t m = 0; m < M; m++) {
        int64_t s = 0;
        for (int64_t k = 0; k < K; k++) s += value_get_i64(wq, m * K + k);
        p->zsum[m] = (int32_t)(s * p->x_zp);
        p->scale[m] = xs * wscale[m];
        p->bias[m] = bias[m];
    }
    free(wscale);
    free(bias);
    p->x_q = dqx->inputs[0];
    *q_in = (int)(qx - g->nodes);
    *q_out = (int)(qy - g->nodes);
    return p;
}

void qconv_plan_free(QConvPlan *p)
{
    if (!p) return;
    free(p->A);
    free(p->zsum);
    free(p->scale);
    free(p->bias);
    free(p);
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
        e->qconv[ni]->gemm = exec_gemm8(e->kern == &exec_kernels_portable ? EXEC_ISA_PORTABLE : exec_cpu_isa(), &kname);
        e->qconv[ni]->kname = kname;
        /* the quantized input is read here now, not by the DequantizeLinear */
        int xq = e->qconv[ni]->x_q;
        if (e->last_use[xq] < ni) e->last_use[xq] = ni;
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
    uint8_t *y;
    int64_t tiles; /* per image */
    int64_t tpt, n_chunks;
    uint8_t flip;  /* xor for the bytes' unsigned view */
} QJob;

/* One tile's columns, interleaved by four taps; padding reads as the zero point. */
static void pack_tile(const QJob *j, int64_t bn, int64_t p0, int cols, uint8_t *B)
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
    const uint8_t *xb = j->x + bn * p->C * g->H * g->W;
    for (int64_t k = 0; k < p->Kq * 4; k++) {
        uint8_t *dst = B + (k / 4) * EXEC_NR8 * 4 + k % 4;
        if (k >= p->K) {
            for (int c = 0; c < EXEC_NR8; c++) dst[c * 4] = 0;
            continue;
        }
        int64_t ch = k / (p->kh * p->kw), r = k % (p->kh * p->kw), ky = r / p->kw, kx = r % p->kw;
        const uint8_t *xc = xb + ch * g->H * g->W;
        for (int c = 0; c < EXEC_NR8; c++) {
            int64_t iy = iy0[c] + ky * g->dh, ix = ix0[c] + kx * g->dw;
            dst[c * 4] = iy >= 0 && iy < g->H && ix >= 0 && ix < g->W ? (uint8_t)(xc[iy * g->W + ix] ^ j->flip) : zp;
        }
    }
}

static void qconv_task(void *ctx, int64_t task, int worker)
{
    const QJob *j = ctx;
    const QConvPlan *p = j->p;
    const Geom *g = j->g;
    int64_t bn = task / j->n_chunks, ch = task % j->n_chunks, OHW = g->OH * g->OW;
    int64_t t0 = ch * j->tpt, t1 = t0 + j->tpt < j->tiles ? t0 + j->tpt : j->tiles;
    uint8_t *B = (uint8_t *)j->e->wscr[worker];
    for (int64_t t = t0; t < t1; t++) {
        int64_t p0 = t * EXEC_NR8;
        int cols = (int)(OHW - p0 < EXEC_NR8 ? OHW - p0 : EXEC_NR8);
        pack_tile(j, bn, p0, cols, B);
        for (int64_t pn = 0; pn < p->panels; pn++) {
            int64_t m0 = pn * EXEC_MR8;
            ExecTile8 tile = {.Kq = p->Kq,
                              .A = p->A + pn * p->Kq * EXEC_MR8 * 4,
                              .B = B,
                              .C = j->y + (bn * p->M + m0) * OHW + p0,
                              .ldc = OHW,
                              .rows = (int)(p->M - m0 < EXEC_MR8 ? p->M - m0 : EXEC_MR8),
                              .cols = cols,
                              .zsum = p->zsum + m0,
                              .scale = p->scale + m0,
                              .bias = p->bias + m0,
                              .y_scale = p->y_scale,
                              .y_zp = p->y_zp,
                              .y_lo = p->y_lo,
                              .y_hi = p->y_hi};
            p->gemm(&tile);
        }
    }
}

static int qconv_run(Exec *e, const Node *n, QConvPlan *p, const Value *x, Value *out, char *err, size_t errlen)
{
    if ((x->type != VT_U8 && x->type != VT_I8) || (x->type == VT_I8) != p->x_signed)
        return err_set(err, errlen, "the quantized input is not held as bytes");
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
    if (value_alloc(e, out, p->y_signed ? VT_I8 : VT_U8, 4, d, err, errlen)) return -1;
    p->last_macs = (double)g.N * (double)p->M * (double)OHW * (double)p->K;
    if (!out->numel || !OHW) return 0;
    QJob j = {.e = e, .p = p, .g = &g, .x = x->data, .y = out->data, .flip = p->x_signed ? 0x80 : 0};
    j.tiles = (OHW + EXEC_NR8 - 1) / EXEC_NR8;
    int threads = exec_pool_size(e->pool);
    double tile_macs = (double)(p->M * p->K * EXEC_NR8);
    int64_t want = (int64_t)threads * 6, by_size = (int64_t)(1000000.0 / tile_macs) + 1;
    j.tpt = threads > 1 ? (g.N * j.tiles) / want : j.tiles;
    if (j.tpt < by_size) j.tpt = by_size;
    if (j.tpt > j.tiles) j.tpt = j.tiles;
    if (j.tpt < 1) j.tpt = 1;
    j.n_chunks = (j.tiles + j.tpt - 1) / j.tpt;
    exec_worker_scratch_reserve(e, (size_t)(p->Kq * EXEC_NR8)); /* Kq * nr * 4 bytes */
    exec_pool_for(e->pool, g.N * j.n_chunks, qconv_task, &j);
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
    snprintf(buf, len, "int8 gemm %s", p->kname ? p->kname : "");
    *macs = p->last_macs;
}
