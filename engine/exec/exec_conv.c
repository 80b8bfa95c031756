/* exec_conv: the executor's spatial ops — Conv (the planned paths of exec_convplan.c and
 * exec_convrun.c; for what they do not take, the reference: 1x1 straight into a gemm,
 * depthwise direct, the rest im2col + gemm), ConvTranspose (gemm + col2im),
 * BatchNormalization, Max/Average/Global pooling and Resize (nearest and linear).
 * 1-D and 2-D spatial layouts (NCW, NCHW); every attribute is checked against the
 * input's shape before use. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec_conv.h"
#include "engine/core/util.h"

static int64_t out_len(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1, bool ceil_mode)
{
    int64_t eff = d * (k - 1) + 1, span = in + p0 + p1 - eff;
    if (span < 0) return 0;
    int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (o - 1) * s >= in + p0) o--; /* the last window must start inside the input */
    return o;
}

int conv_geom_init(const Node *n, const Value *x, int64_t kh, int64_t kw, bool ceil_mode, Geom *g, char *err,
                   size_t errlen)
{
    if (x->rank != 3 && x->rank != 4)
        return err_set(err, errlen, "only 1-D and 2-D inputs (rank 3 or 4) are supported, got rank %d", x->rank);
    memset(g, 0, sizeof *g);
    g->spatial = x->rank - 2;
    g->N = x->dims[0];
    g->C = x->dims[1];
    g->H = g->spatial == 2 ? x->dims[2] : 1;
    g->W = x->dims[x->rank - 1];
    int64_t v[8];
    int sp = g->spatial;
    g->kh = kh;
    g->kw = kw;
    g->sh = g->sw = g->dh = g->dw = 1;
    int c = attr_ints(n, "strides", v, 8);
    if (c) {
        if (c != sp) return err_set(err, errlen, "strides has %d entries for %d spatial dims", c, sp);
        g->sh = sp == 2 ? v[0] : 1;
        g->sw = v[sp - 1];
    }
    c = attr_ints(n, "dilations", v, 8);
    if (c) {
        if (c != sp) return err_set(err, errlen, "dilations has %d entries for %d spatial dims", c, sp);
        g->dh = sp == 2 ? v[0] : 1;
        g->dw = v[sp - 1];
    }
    if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->sh > 1 << 20 || g->sw > 1 << 20 || g->dh > 1 << 20 ||
        g->dw > 1 << 20)
        return err_set(err, errlen, "strides and dilations must be between 1 and 2^20");
    if (kh < 1 || kw < 1 || kh > 1 << 16 || kw > 1 << 16) return err_set(err, errlen, "kernel size out of range");
    const char *ap = node_attr_str(n, "auto_pad", "NOTSET");
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        int64_t ins[2] = {g->H, g->W}, ks[2] = {kh, kw}, ss[2] = {g->sh, g->sw}, ds[2] = {g->dh, g->dw}, p0[2], p1[2];
        for (int i = 0; i < 2; i++) {
            int64_t o = (ins[i] + ss[i] - 1) / ss[i];
            int64_t tot = (o - 1) * ss[i] + ds[i] * (ks[i] - 1) + 1 - ins[i];
            if (tot < 0) tot = 0;
            p0[i] = ap[5] == 'U' ? tot / 2 : tot - tot / 2;
            p1[i] = tot - p0[i];
        }
        g->pt = p0[0]; g->pb = p1[0]; g->pl = p0[1]; g->pr = p1[1];
        if (sp == 1) g->pt = g->pb = 0;
    } else if (!strcmp(ap, "VALID")) {
        /* no padding */
    } else if (!strcmp(ap, "NOTSET")) {
        c = attr_ints(n, "pads", v, 8);
        if (c) {
            if (c != 2 * sp) return err_set(err, errlen, "pads has %d entries for %d spatial dims", c, sp);
            if (sp == 2) { g->pt = v[0]; g->pl = v[1]; g->pb = v[2]; g->pr = v[3]; }
            else { g->pl = v[0]; g->pr = v[1]; }
        }
    } else {
        return err_set(err, errlen, "unknown auto_pad '%s'", ap);
    }
    if (g->pt < 0 || g->pl < 0 || g->pb < 0 || g->pr < 0 || g->pt > 1 << 20 || g->pl > 1 << 20 || g->pb > 1 << 20 ||
        g->pr > 1 << 20)
        return err_set(err, errlen, "pads must be between 0 and 2^20");
    g->OH = out_len(g->H, kh, g->sh, g->dh, g->pt, g->pb, ceil_mode);
    g->OW = out_len(g->W, kw, g->sw, g->dw, g->pl, g->pr, ceil_mode);
    return 0;
}

static int alloc_spatial_out(Exec *e, Value *y, const Geom *g, int64_t channels, char *err, size_t errlen)
{
    int64_t d[4] = {g->N, channels, g->OH, g->OW};
    if (g->spatial == 1) {
        d[2] = g->OW;
        return value_alloc(e, y, VT_F32, 3, d, err, errlen);
    }
    return value_alloc(e, y, VT_F32, 4, d, err, errlen);
}

/* ---- Conv -------------------------------------------------------------------------- */

/* Columns for output rows [oy0, oy1): col is [C*kh*kw, (oy1-oy0)*OW]. */
static void im2col(const float *x, int64_t C, const Geom *g, int64_t oy0, int64_t oy1, float *col)
{
    int64_t OHW = (oy1 - oy0) * g->OW;
    for (int64_t c = 0; c < C; c++)
        for (int64_t ky = 0; ky < g->kh; ky++)
            for (int64_t kx = 0; kx < g->kw; kx++) {
                float *row = col + ((c * g->kh + ky) * g->kw + kx) * OHW;
                const float *xc = x + c * g->H * g->W;
                /* output columns whose input column is inside the image: [ox0, ox1) */
                int64_t off = kx * g->dw - g->pl;
                int64_t ox0 = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
                int64_t ox1 = g->W - off <= 0 ? 0 : (g->W - off + g->sw - 1) / g->sw;
                if (ox1 > g->OW) ox1 = g->OW;
                if (ox0 > ox1) ox0 = ox1;
                for (int64_t oy = oy0; oy < oy1; oy++) {
                    float *r = row + (oy - oy0) * g->OW;
                    int64_t iy = oy * g->sh - g->pt + ky * g->dh;
                    if (iy < 0 || iy >= g->H) {
                        memset(r, 0, sizeof(float) * (size_t)g->OW);
                        continue;
                    }
                    const float *xr = xc + iy * g->W + off;
                    for (int64_t ox = 0; ox < ox0; ox++) r[ox] = 0;
                    if (g->sw == 1) memcpy(r + ox0, xr + ox0, sizeof(float) * (size_t)(ox1 - ox0));
                    else
                        for (int64_t ox = ox0; ox < ox1; ox++) r[ox] = xr[ox * g->sw];
                    for (int64_t ox = ox1; ox < g->OW; ox++) r[ox] = 0;
                }
            }
}

/* One channel of a depthwise conv: y (OH x OW, holding the bias) += w (kh x kw) * x. */
static void depthwise_channel(const float *x, const float *w, float *y, const Geom *g)
{
    for (int64_t oy = 0; oy < g->OH; oy++) {
        float *yr = y + oy * g->OW;
        for (int64_t ky = 0; ky < g->kh; ky++) {
            int64_t iy = oy * g->sh - g->pt + ky * g->dh;
            if (iy < 0 || iy >= g->H) continue;
            const float *xr = x + iy * g->W;
            for (int64_t kx = 0; kx < g->kw; kx++) {
                float wv = w[ky * g->kw + kx];
                int64_t off = kx * g->dw - g->pl;
                int64_t ox0 = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
                int64_t ox1 = g->W - off <= 0 ? 0 : (g->W - off + g->sw - 1) / g->sw;
                if (ox1 > g->OW) ox1 = g->OW;
                const float *xs = xr + off;
                if (g->sw == 1)
                    for (int64_t ox = ox0; ox < ox1; ox++) yr[ox] += wv * xs[ox];
                else if (g->sw == 2)
                    for (int64_t ox = ox0; ox < ox1; ox++) yr[ox] += wv * xs[2 * ox];
                else
                    for (int64_t ox = ox0; ox < ox1; ox++) yr[ox] += wv * xs[ox * g->sw];
            }
        }
    }
}

int exec_op_conv(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *x = in[0], *w = in[1], *b = nin > 2 ? in[2] : NULL;
    ConvPlan *plan = NULL;
    if (e->conv && n >= e->g->nodes && n < e->g->nodes + e->g->n_nodes) plan = e->conv[n - e->g->nodes];
    if (plan && plan->path != CONV_PATH_REFERENCE) {
        int rc = conv_plan_run(e, n, plan, x, out[0], err, errlen);
        if (rc <= 0) return rc;
    }
    if (plan) plan->last_path = CONV_PATH_REFERENCE;
    Value x32, w32, b32; /* float16 activations (a weight computed by the graph, too) */
    if (!(x = value_staged_f32(e, x, &x32, err, errlen)) || !(w = value_staged_f32(e, w, &w32, err, errlen)) ||
        (b && !(b = value_staged_f32(e, b, &b32, err, errlen))))
        return -1;
    if (x->type != VT_F32 || w->type != VT_F32) return err_set(err, errlen, "Conv needs float input and weight");
    if (x->rank != 3 && x->rank != 4)
        return err_set(err, errlen, "only 1-D and 2-D inputs (rank 3 or 4) are supported, got rank %d", x->rank);
    if (w->rank != x->rank) return err_set(err, errlen, "weight rank %d differs from input rank %d", w->rank, x->rank);
    int64_t kh = x->rank == 4 ? w->dims[2] : 1, kw = w->dims[w->rank - 1];
    int64_t ks[2];
    int nk = attr_ints(n, "kernel_shape", ks, 2);
    if (nk < 0 || (nk && (nk != x->rank - 2 || ks[nk - 1] != kw || (nk == 2 && ks[0] != kh))))
        return err_set(err, errlen, "kernel_shape does not match the weight's shape");
    Geom g;
    if (conv_geom_init(n, x, kh, kw, false, &g, err, errlen)) return -1;
    int64_t group = node_attr_int(n, "group", 1), M = w->dims[0];
    if (group < 1 || g.C % group || M % group || w->dims[1] != g.C / group)
        return err_set(err, errlen, "group %lld does not fit input channels %lld and weight [%lld, %lld, ...]",
                       (long long)group, (long long)g.C, (long long)M, (long long)w->dims[1]);
    if (b && (b->type != VT_F32 || b->numel != M)) return err_set(err, errlen, "bias must hold %lld floats", (long long)M);
    if (alloc_spatial_out(e, out[0], &g, M, err, errlen)) return -1;
    int64_t Cg = g.C / group, Mg = M / group, OHW = g.OH * g.OW, HW = g.H * g.W, K = Cg * kh * kw;
    if (plan) plan->last_macs = (double)g.N * (double)M * (double)OHW * (double)K;
    if (OHW > INT32_MAX || K > INT32_MAX || Mg > INT32_MAX) return err_set(err, errlen, "conv too large");
    float *y = vf(out[0]);
    const float *xd = vf(x), *wd = vf(w);
    for (int64_t m = 0; m < g.N * M; m++) {
        float bv = b ? vf(b)[m % M] : 0.f;
        float *ym = y + m * OHW;
        for (int64_t i = 0; i < OHW; i++) ym[i] = bv;
    }
    if (!OHW) return 0;
    bool pointwise = kh == 1 && kw == 1 && g.sh == 1 && g.sw == 1 && !g.pt && !g.pl && !g.pb && !g.pr;
    bool depthwise = Cg == 1 && Mg == 1;
    /* im2col a band of output rows at a time (about 2048 columns) so that the column
     * buffer stays in cache and memory use stays small */
    float *col = NULL;
    int64_t band = g.OW ? (2048 + g.OW - 1) / g.OW : 1;
    if (band > g.OH) band = g.OH;
    if (band < 1) band = 1;
    if (!pointwise && !depthwise) {
        size_t need;
        if (!size_mul((size_t)K, (size_t)(band * g.OW), &need) || need > (size_t)e->max_elems)
            return err_set(err, errlen, "im2col buffer too large");
        col = exec_scratch(e, need);
    }
    for (int64_t bn = 0; bn < g.N; bn++)
        for (int64_t gr = 0; gr < group; gr++) {
            const float *xg = xd + (bn * g.C + gr * Cg) * HW;
            const float *wg = wd + gr * Mg * K;
            float *yg = y + (bn * M + gr * Mg) * OHW;
            if (depthwise) {
                depthwise_channel(xg, wg, yg, &g);
                continue;
            }
            if (pointwise) {
                exec_sgemm(e, false, false, Mg, OHW, K, 1.0f, wg, K, xg, OHW, 1.0f, yg, OHW);
                continue;
            }
            for (int64_t oy0 = 0; oy0 < g.OH; oy0 += band) {
                int64_t oy1 = oy0 + band < g.OH ? oy0 + band : g.OH, cols = (oy1 - oy0) * g.OW;
                im2col(xg, Cg, &g, oy0, oy1, col);
                exec_sgemm(e, false, false, Mg, cols, K, 1.0f, wg, K, col, cols, 1.0f, yg + oy0 * g.OW, OHW);
            }
        }
    if (plan) { /* what the plan folded and fused: batch norm, then the epilogue */
        const ExecEpi *epi = e->fusion ? &plan->epi : &plan->epi_plain;
        for (int64_t bn = 0; bn < g.N; bn++)
            for (int64_t m = 0; m < M; m++) {
                float *ym = y + (bn * M + m) * OHW;
                if (plan->bn_scale)
                    for (int64_t i = 0; i < OHW; i++) ym[i] = ym[i] * plan->bn_scale[m] + plan->bn_shift[m];
                plan->kern->epilogue(ym, OHW, 0.f, epi);
            }
    }
    return 0;
}

/* ---- ConvTranspose ---------------------------------------------------------------- */

typedef struct {
    const Geom *g;
    const float *col;  /* [Mg * kh * kw, HW]: every input pixel's contribution per tap */
    const float *bias; /* NULL: none */
    float *y;          /* the group's first output plane */
    int64_t m0;        /* the group's first output channel (for the bias) */
    int64_t kh, kw, HW;
} ConvTJob;

/* Output channel m of the group: its plane set to the bias, then each tap's column added at
 * the positions it lands on (the planes are disjoint: one task each). */
static void convt_task(void *ctx, int64_t m, int worker)
{
    (void)worker;
    const ConvTJob *j = ctx;
    const Geom *g = j->g;
    int64_t OHW = g->OH * g->OW;
    float *ym = j->y + m * OHW, bv = j->bias ? j->bias[j->m0 + m] : 0.f;
    for (int64_t i = 0; i < OHW; i++) ym[i] = bv;
    for (int64_t ky = 0; ky < j->kh; ky++)
        for (int64_t kx = 0; kx < j->kw; kx++) {
            const float *cr = j->col + ((m * j->kh + ky) * j->kw + kx) * j->HW;
            for (int64_t iy = 0; iy < g->H; iy++) {
                int64_t oy = iy * g->sh - g->pt + ky * g->dh;
                if (oy < 0 || oy >= g->OH) continue;
                for (int64_t ix = 0; ix < g->W; ix++) {
                    int64_t ox = ix * g->sw - g->pl + kx * g->dw;
                    if (ox >= 0 && ox < g->OW) ym[oy * g->OW + ox] += cr[iy * g->W + ix];
                }
            }
        }
}

int exec_op_conv_transpose(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err,
                             size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *x = in[0], *w = in[1], *b = nin > 2 ? in[2] : NULL;
    if (x->type != VT_F32 || w->type != VT_F32) return err_set(err, errlen, "ConvTranspose needs float input and weight");
    if (w->rank != x->rank || (x->rank != 3 && x->rank != 4))
        return err_set(err, errlen, "ConvTranspose supports 1-D and 2-D inputs with a weight of the same rank");
    int sp = x->rank - 2;
    int64_t kh = sp == 2 ? w->dims[2] : 1, kw = w->dims[w->rank - 1];
    /* geometry: read strides/dilations/pads with geom_init (its output size is not used) */
    Geom g;
    Node tmp = *n; /* auto_pad is handled below for the transposed direction */
    Attr attrs[32];
    int na = 0;
    for (int i = 0; i < n->n_attrs && na < 32; i++)
        if (strcmp(n->attrs[i].name, "auto_pad")) attrs[na++] = n->attrs[i];
    tmp.attrs = attrs;
    tmp.n_attrs = na;
    if (conv_geom_init(&tmp, x, kh, kw, false, &g, err, errlen)) return -1;
    int64_t group = node_attr_int(n, "group", 1);
    if (group < 1 || g.C % group || w->dims[0] != g.C)
        return err_set(err, errlen, "weight [%lld, ...] does not fit input channels %lld with group %lld",
                       (long long)w->dims[0], (long long)g.C, (long long)group);
    int64_t Cg = g.C / group, Mg = w->dims[1], M = Mg * group;
    if (b && (b->type != VT_F32 || b->numel != M)) return err_set(err, errlen, "bias must hold %lld floats", (long long)M);
    int64_t v[4] = {0, 0, 0, 0}, opad[2] = {0, 0}, oshape[2] = {-1, -1};
    int c = attr_ints(n, "output_padding", v, 4);
    if (c) {
        if (c != sp) return err_set(err, errlen, "output_padding has %d entries", c);
        opad[0] = sp == 2 ? v[0] : 0;
        opad[1] = v[sp - 1];
    }
    c = attr_ints(n, "output_shape", v, 4);
    const char *ap = node_attr_str(n, "auto_pad", "NOTSET");
    if (c || strcmp(ap, "NOTSET")) {
        int64_t ins[2] = {g.H, g.W}, ks[2] = {kh, kw}, ss[2] = {g.sh, g.sw}, ds[2] = {g.dh, g.dw};
        for (int i = 0; i < 2; i++) {
            oshape[i] = c ? (c == sp ? (sp == 2 ? v[i] : (i ? v[0] : 1)) : -1) : ins[i] * ss[i];
            if (oshape[i] < 0) return err_set(err, errlen, "output_shape has %d entries", c);
            if (sp == 1 && i == 0) { oshape[0] = 1; continue; }
            int64_t tot = ss[i] * (ins[i] - 1) + opad[i] + (ks[i] - 1) * ds[i] + 1 - oshape[i];
            if (tot < 0) tot = 0;
            int64_t p0 = !strcmp(ap, "SAME_UPPER") ? tot / 2 : tot - tot / 2;
            if (i == 0) { g.pt = p0; g.pb = tot - p0; }
            else { g.pl = p0; g.pr = tot - p0; }
        }
    }
    g.OH = g.sh * (g.H - 1) + opad[0] + (kh - 1) * g.dh + 1 - g.pt - g.pb;
    g.OW = g.sw * (g.W - 1) + opad[1] + (kw - 1) * g.dw + 1 - g.pl - g.pr;
    if (sp == 1) g.OH = 1;
    if (g.OH < 0 || g.OW < 0) return err_set(err, errlen, "pads leave a negative output size");
    if (alloc_spatial_out(e, out[0], &g, M, err, errlen)) return -1;
    int64_t HW = g.H * g.W, OHW = g.OH * g.OW, R = Mg * kh * kw;
    if (HW > INT32_MAX || R > INT32_MAX || Cg > INT32_MAX) return err_set(err, errlen, "too large");
    size_t need;
    if (!size_mul((size_t)R, (size_t)(HW ? HW : 1), &need) || need > (size_t)e->max_elems)
        return err_set(err, errlen, "column buffer too large");
    float *col = exec_scratch(e, need), *y = vf(out[0]);
    ConvTJob j = {.g = &g, .col = col, .bias = b ? vf(b) : NULL, .kh = kh, .kw = kw, .HW = HW};
    if (!HW || !Cg) { /* the bias alone */
        for (int64_t m = 0; m < g.N * M; m++)
            for (int64_t i = 0; i < OHW; i++) y[m * OHW + i] = b ? vf(b)[m % M] : 0.f;
        return 0;
    }
    for (int64_t bn = 0; bn < g.N; bn++)
        for (int64_t gr = 0; gr < group; gr++) {
            const float *xg = vf(x) + (bn * g.C + gr * Cg) * HW;
            const float *wg = vf(w) + gr * Cg * R; /* [Cg, Mg*kh*kw] */
            /* col[R, HW] = wg^T [R, Cg] x xg [Cg, HW] */
            exec_sgemm(e, true, false, R, HW, Cg, 1.0f, wg, R, xg, HW, 0.0f, col, HW);
            j.y = y + (bn * M + gr * Mg) * OHW;
            j.m0 = gr * Mg;
            exec_pool_for(e->pool, Mg, convt_task, &j); /* each output channel's plane: bias, then its taps */
        }
    return 0;
}

/* ---- BatchNormalization ------------------------------------------------------------ */

int exec_op_batchnorm(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_IN(2); NEED_IN(3); NEED_IN(4); NEED_OUT(0);
    Value *x = in[0];
    if (x->type != VT_F32 || x->rank < 2) return err_set(err, errlen, "input must be float with rank >= 2");
    int64_t C = x->dims[1];
    for (int k = 1; k < 5; k++)
        if (in[k]->type != VT_F32 || in[k]->numel != C)
            return err_set(err, errlen, "input %d must hold %lld floats", k, (long long)C);
    if (node_attr_int(n, "training_mode", 0)) return err_set(err, errlen, "training_mode is not supported");
    double eps = node_attr_float(n, "epsilon", 1e-5);
    if (value_consumable(e, n, x)) {
        if (value_forward(e, n, out[0], x, x->rank, x->dims, err, errlen)) return -1;
    } else if (value_copy_reshaped(e, out[0], x, x->rank, x->dims, err, errlen)) {
        return -1;
    }
    int64_t inner = 1;
    for (int i = 2; i < x->rank; i++) inner *= x->dims[i];
    float *y = vf(out[0]);
    for (int64_t bn = 0; bn < x->dims[0]; bn++)
        for (int64_t c = 0; c < C; c++) {
            float s = (float)(vf(in[1])[c] / sqrt((double)vf(in[4])[c] + eps));
            float t = vf(in[2])[c] - vf(in[3])[c] * s;
            float *p = y + (bn * C + c) * inner;
            for (int64_t i = 0; i < inner; i++) p[i] = p[i] * s + t;
        }
    return 0;
}

/* ---- pooling ----------------------------------------------------------------------- */

/* Kernel taps [k0, k1) of a window starting at input coordinate start (dilation d, k taps)
 * that land inside [0, len), and how many land inside [.., len + pad_end) (for
 * count_include_pad).  Computed, not searched: kernels from a graph can be huge. */
static void window_range(int64_t start, int64_t d, int64_t k, int64_t len, int64_t pad_end, int64_t *k0, int64_t *k1,
                         int64_t *n_padded)
{
    int64_t lo = start >= 0 ? 0 : (-start + d - 1) / d;
    int64_t hi = len - start <= 0 ? 0 : (len - start + d - 1) / d;
    int64_t hp = len + pad_end - start <= 0 ? 0 : (len + pad_end - start + d - 1) / d;
    if (hi > k) hi = k;
    if (hp > k) hp = k;
    if (lo > hi) lo = hi;
    *k0 = lo;
    *k1 = hi;
    *n_padded = hp;
}

typedef struct {
    const Geom *g;
    const float *x;
    float *y;
    const uint16_t *xh; /* float16 input (x NULL), or NULL */
    uint16_t *yh;       /* float16 output (y NULL), or NULL */
    const ExecKernels *kern;
    bool is_max, incl, separable;
    float **scr;        /* per worker scratch: [rows][in][out], as used */
    int64_t rows_len, in_len; /* floats of the separable max's rows (a row of window maxima per
                                 input row) and of a float16 input's plane in float32 */
} PoolJob;

static void pool_plane(const PoolJob *j, const float *xp, float *yp);

/* Max over a kh x kw window with stride 1 and dilation 1: a horizontal pass (each input
 * row's window maxima) then a vertical one, both over contiguous rows. */
static void maxpool_separable(const PoolJob *j, const float *xp, float *yp, float *hm)
{
    const Geom *g = j->g;
    /* hm[iy][ox] = max over the row's window for output column ox (-inf where it is empty) */
    for (int64_t iy = 0; iy < g->H; iy++) {
        const float *xr = xp + iy * g->W;
        float *hr = hm + iy * g->OW;
        for (int64_t ox = 0; ox < g->OW; ox++) {
            int64_t x0 = ox - g->pl, x1 = x0 + g->kw;
            if (x0 < 0) x0 = 0;
            if (x1 > g->W) x1 = g->W;
            float m = -INFINITY;
            for (int64_t ix = x0; ix < x1; ix++) m = xr[ix] > m ? xr[ix] : m;
            hr[ox] = m;
        }
    }
    for (int64_t oy = 0; oy < g->OH; oy++) {
        int64_t y0 = oy - g->pt, y1 = y0 + g->kh;
        if (y0 < 0) y0 = 0;
        if (y1 > g->H) y1 = g->H;
        float *yr = yp + oy * g->OW;
        for (int64_t ox = 0; ox < g->OW; ox++) yr[ox] = -INFINITY;
        for (int64_t iy = y0; iy < y1; iy++) {
            const float *hr = hm + iy * g->OW;
            for (int64_t ox = 0; ox < g->OW; ox++) yr[ox] = hr[ox] > yr[ox] ? hr[ox] : yr[ox];
        }
    }
}

static void pool_task(void *ctx, int64_t p, int worker)
{
    const PoolJob *j = ctx;
    const Geom *g = j->g;
    float *w = j->scr ? j->scr[worker] : NULL;
    const float *xp = j->x ? j->x + p * g->H * g->W : w + j->rows_len;
    float *yp = j->y ? j->y + p * g->OH * g->OW : w + j->rows_len + j->in_len;
    if (j->xh) j->kern->f16_to_f32(j->xh + p * g->H * g->W, w + j->rows_len, g->H * g->W);
    if (j->separable) maxpool_separable(j, xp, yp, w);
    else pool_plane(j, xp, yp);
    if (j->yh) j->kern->f32_to_f16(yp, j->yh + p * g->OH * g->OW, g->OH * g->OW);
}

/* Pool one plane, window by window. */
static void pool_plane(const PoolJob *j, const float *xp, float *yp)
{
    const Geom *g = j->g;
    for (int64_t oy = 0; oy < g->OH; oy++) {
        int64_t ky0, ky1, ny_pad;
        window_range(oy * g->sh - g->pt, g->dh, g->kh, g->H, g->pb, &ky0, &ky1, &ny_pad);
        for (int64_t ox = 0; ox < g->OW; ox++) {
            int64_t kx0, kx1, nx_pad;
            window_range(ox * g->sw - g->pl, g->dw, g->kw, g->W, g->pr, &kx0, &kx1, &nx_pad);
            float acc = j->is_max ? -INFINITY : 0.f;
            for (int64_t ky = ky0; ky < ky1; ky++) {
                const float *xr = xp + (oy * g->sh - g->pt + ky * g->dh) * g->W + (ox * g->sw - g->pl);
                for (int64_t kx = kx0; kx < kx1; kx++) {
                    float v = xr[kx * g->dw];
                    if (j->is_max) acc = v > acc ? v : acc;
                    else acc += v;
                }
            }
            if (!j->is_max) {
                /* count_include_pad counts the window cells on the padding too (not past it,
                 * which only ceil_mode windows reach) */
                int64_t cnt = j->incl ? ny_pad * nx_pad : (ky1 - ky0) * (kx1 - kx0);
                acc = cnt ? acc / (float)cnt : 0.f;
            }
            yp[oy * g->OW + ox] = acc;
        }
    }
}

int exec_op_pool(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    Value *x = in[0];
    if (x->type != VT_F32 && x->type != VT_F16) return err_set(err, errlen, "input must be float");
    bool is_max = n->op == OP_MAXPOOL;
    int64_t ks[2];
    int nk = attr_ints(n, "kernel_shape", ks, 2);
    if (x->rank != 3 && x->rank != 4) return err_set(err, errlen, "only 1-D and 2-D pooling (rank 3 or 4)");
    if (nk != x->rank - 2) return err_set(err, errlen, "kernel_shape has %d entries for rank %d", nk, x->rank);
    if (nout > 1 && out[1]) return err_set(err, errlen, "MaxPool indices output is not supported");
    Geom g;
    bool ceil_mode = node_attr_int(n, "ceil_mode", 0) != 0;
    if (conv_geom_init(n, x, nk == 2 ? ks[0] : 1, ks[nk - 1], ceil_mode, &g, err, errlen)) return -1;
    bool incl = node_attr_int(n, "count_include_pad", 0) != 0;
    bool to16 = value_stores_f16(e, out[0]);
    if (to16) {
        int64_t d[4] = {g.N, g.C, g.OH, g.OW};
        if (g.spatial == 1) d[2] = g.OW;
        if (value_alloc(e, out[0], VT_F16, g.spatial + 2, d, err, errlen)) return -1;
    } else if (alloc_spatial_out(e, out[0], &g, g.C, err, errlen)) {
        return -1;
    }
    PoolJob j = {.g = &g, .kern = e->kern, .is_max = is_max, .incl = incl};
    if (x->type == VT_F16) j.xh = x->data, j.in_len = g.H * g.W;
    else j.x = vf(x);
    if (to16) j.yh = out[0]->data;
    else j.y = vf(out[0]);
    /* the separable path needs a row of maxima per input row (skip it for huge planes); a
     * float16 plane is pooled in float32 in the worker's scratch */
    j.separable = is_max && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.H * g.OW <= ((int64_t)1 << 24);
    j.rows_len = j.separable ? g.H * g.OW + 1 : 0;
    int64_t scr = j.rows_len + j.in_len + (to16 ? g.OH * g.OW : 0);
    if (scr > 0) {
        exec_worker_scratch_reserve(e, (size_t)scr);
        j.scr = e->wscr;
    }
    int64_t planes = g.N * g.C, per_plane = g.OH * g.OW * g.kh * g.kw;
    if (exec_pool_size(e->pool) > 1 && planes > 1 && planes * per_plane >= 65536)
        exec_pool_for(e->pool, planes, pool_task, &j);
    else
        for (int64_t p = 0; p < planes; p++) pool_task(&j, p, 0);
    return 0;
}

int exec_op_global_pool(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    Value *x = in[0];
    if (x->type != VT_F32 || x->rank < 3) return err_set(err, errlen, "input must be float with rank >= 3");
    bool is_max = n->op == OP_GLOBAL_MAXPOOL;
    int64_t d[GRAPH_MAX_RANK], inner = 1;
    for (int i = 0; i < x->rank; i++) {
        d[i] = i < 2 ? x->dims[i] : 1;
        if (i >= 2) inner *= x->dims[i];
    }
    if (value_alloc(e, out[0], VT_F32, x->rank, d, err, errlen)) return -1;
    for (int64_t p = 0; p < x->dims[0] * x->dims[1]; p++) {
        const float *xp = vf(x) + p * inner;
        double acc = is_max ? -INFINITY : 0;
        for (int64_t i = 0; i < inner; i++) acc = is_max ? (xp[i] > acc ? xp[i] : acc) : acc + xp[i];
        vf(out[0])[p] = (float)(is_max ? acc : (inner ? acc / (double)inner : 0));
    }
    return 0;
}

/* ---- Resize ------------------------------------------------------------------------ */

typedef enum { CT_HALF_PIXEL, CT_ASYMMETRIC, CT_ALIGN_CORNERS, CT_PYTORCH_HALF_PIXEL, CT_HALF_PIXEL_SYMMETRIC } CoordMode;

static double src_coord(CoordMode m, int64_t o, double scale, int64_t in_len, int64_t out_len)
{
    switch (m) {
    case CT_ASYMMETRIC: return (double)o / scale;
    case CT_ALIGN_CORNERS: return out_len > 1 ? (double)o * (double)(in_len - 1) / (double)(out_len - 1) : 0;
    case CT_PYTORCH_HALF_PIXEL: return out_len > 1 ? ((double)o + 0.5) / scale - 0.5 : 0;
    case CT_HALF_PIXEL_SYMMETRIC: {
        double adj = (double)out_len / (scale * (double)in_len);
        double off = (double)in_len / 2.0 * (1.0 - adj);
        return off + ((double)o + 0.5) / scale - 0.5;
    }
    default: return ((double)o + 0.5) / scale - 0.5;
    }
}

/* Nearest resize as a gather: a source index per output index per dim; rows of the last
 * dim copied in ranges on the pool. */
typedef struct {
    int rank;
    int64_t **map;
    const int64_t *od;
    int64_t xst[GRAPH_MAX_RANK];
    size_t es;
    const void *x;
    void *y;
} NearestJob;

static void nearest_rows(void *ctx, int64_t r0, int64_t r1)
{
    const NearestJob *j = ctx;
    int rank = j->rank;
    int64_t inner = j->od[rank - 1], idx[GRAPH_MAX_RANK] = {0}, rem = r0;
    for (int d = rank - 2; d >= 0; d--) {
        idx[d] = rem % j->od[d];
        rem /= j->od[d];
    }
    const int64_t *mx = j->map[rank - 1];
    for (int64_t r = r0; r < r1; r++) {
        int64_t base = 0;
        for (int d = 0; d < rank - 1; d++) base += j->map[d][idx[d]] * j->xst[d];
        if (j->es == sizeof(float)) {
            const float *xr = (const float *)j->x + base;
            float *yr = (float *)j->y + r * inner;
            for (int64_t i = 0; i < inner; i++) yr[i] = xr[mx[i]];
        } else if (j->es == sizeof(uint16_t)) { /* float16 activations, moved as stored */
            const uint16_t *xr = (const uint16_t *)j->x + base;
            uint16_t *yr = (uint16_t *)j->y + r * inner;
            for (int64_t i = 0; i < inner; i++) yr[i] = xr[mx[i]];
        } else {
            const int64_t *xr = (const int64_t *)j->x + base;
            int64_t *yr = (int64_t *)j->y + r * inner;
            for (int64_t i = 0; i < inner; i++) yr[i] = xr[mx[i]];
        }
        for (int d = rank - 2; d >= 0; d--) {
            if (++idx[d] < j->od[d]) break;
            idx[d] = 0;
        }
    }
}

int exec_op_resize(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_OUT(0);
    Value *x = in[0];
    int rank = x->rank;
    if (rank < 1) return err_set(err, errlen, "cannot resize a scalar");
    bool upsample = n->op == OP_UPSAMPLE;
    /* inputs: Resize-10 / Upsample (X, scales); Resize-11+ (X, roi, scales, sizes) */
    Value *scales_v = NULL, *sizes_v = NULL;
    bool old = upsample || (e->opset > 0 && e->opset < 11) || nin == 2;
    if (old) scales_v = nin > 1 ? in[1] : NULL;
    else {
        scales_v = nin > 2 ? in[2] : NULL;
        sizes_v = nin > 3 ? in[3] : NULL;
    }
    if (scales_v && scales_v->numel == 0) scales_v = NULL;
    if (sizes_v && sizes_v->numel == 0) sizes_v = NULL;
    double scale[GRAPH_MAX_RANK];
    int64_t od[GRAPH_MAX_RANK];
    const Attr *axes_a = node_attr(n, "axes");
    if (axes_a && axes_a->count != rank) return err_set(err, errlen, "the axes attribute is not supported");
    if (sizes_v) {
        int64_t s[GRAPH_MAX_RANK];
        int ns;
        if (value_int_list(sizes_v, s, GRAPH_MAX_RANK, &ns, "sizes", err, errlen)) return -1;
        if (ns != rank) return err_set(err, errlen, "sizes has %d entries for rank %d", ns, rank);
        for (int i = 0; i < rank; i++) {
            if (s[i] < 0 || s[i] > EXEC_MAX_ELEMS) return err_set(err, errlen, "size %lld out of range", (long long)s[i]);
            od[i] = s[i];
            scale[i] = x->dims[i] ? (double)s[i] / (double)x->dims[i] : 1.0;
        }
    } else if (scales_v) {
        if (scales_v->numel != rank)
            return err_set(err, errlen, "scales has %lld entries for rank %d", (long long)scales_v->numel, rank);
        for (int i = 0; i < rank; i++) {
            scale[i] = value_get(scales_v, i);
            if (!(scale[i] > 0) || scale[i] > 1e6) return err_set(err, errlen, "scale %g out of range", scale[i]);
            double o = floor((double)x->dims[i] * scale[i]);
            if (o > (double)EXEC_MAX_ELEMS) return err_set(err, errlen, "resized tensor too large");
            od[i] = (int64_t)o;
        }
    } else {
        const Attr *sa = node_attr(n, "scales"); /* Upsample-7 attribute */
        if (!sa || sa->type != ATTR_FLOATS || sa->count != rank) return err_set(err, errlen, "neither scales nor sizes given");
        for (int i = 0; i < rank; i++) {
            scale[i] = sa->floats[i];
            if (!(scale[i] > 0) || scale[i] > 1e6) return err_set(err, errlen, "scale %g out of range", scale[i]);
            od[i] = (int64_t)floor((double)x->dims[i] * scale[i]);
        }
    }
    const char *mode = node_attr_str(n, "mode", "nearest");
    const char *ctm = node_attr_str(n, "coordinate_transformation_mode", old ? "asymmetric" : "half_pixel");
    const char *nm = node_attr_str(n, "nearest_mode", old ? "floor" : "round_prefer_floor");
    CoordMode cm = !strcmp(ctm, "asymmetric") ? CT_ASYMMETRIC : !strcmp(ctm, "align_corners") ? CT_ALIGN_CORNERS
                 : !strcmp(ctm, "pytorch_half_pixel") ? CT_PYTORCH_HALF_PIXEL
                 : !strcmp(ctm, "half_pixel_symmetric") ? CT_HALF_PIXEL_SYMMETRIC
                 : !strcmp(ctm, "half_pixel") ? CT_HALF_PIXEL : (CoordMode)-1;
    if ((int)cm < 0) return err_set(err, errlen, "coordinate_transformation_mode '%s' is not supported", ctm);
    for (int d = 0; d < rank; d++)
        if (x->dims[d] == 0 && od[d] > 0) return err_set(err, errlen, "cannot resize an empty dimension (%d)", d);
    Value x32; /* nearest moves float16 values as stored; the rest computes in float32 */
    if (strcmp(mode, "nearest") && !(x = value_staged_f32(e, x, &x32, err, errlen))) return -1;
    if (value_alloc(e, out[0], x->type, rank, od, err, errlen)) return -1;
    if (!out[0]->numel) return 0;
    size_t es = value_esize(x->type);
    if (!strcmp(mode, "nearest")) {
        /* a source index per output index per dim, then a gather */
        int64_t *map[GRAPH_MAX_RANK];
        for (int d = 0; d < rank; d++) {
            map[d] = xmalloc(sizeof(int64_t) * (size_t)(od[d] ? od[d] : 1));
            for (int64_t o = 0; o < od[d]; o++) {
                double s = src_coord(cm, o, scale[d], x->dims[d], od[d]);
                int64_t i;
                if (!strcmp(nm, "floor")) i = (int64_t)floor(s);
                else if (!strcmp(nm, "ceil")) i = (int64_t)ceil(s);
                else if (!strcmp(nm, "round_prefer_ceil")) i = (int64_t)floor(s + 0.5);
                else i = (s - floor(s) == 0.5) ? (int64_t)floor(s) : (int64_t)floor(s + 0.5);
                map[d][o] = i < 0 ? 0 : i >= x->dims[d] ? x->dims[d] - 1 : i;
            }
        }
        NearestJob j = {.rank = rank, .map = map, .od = od, .es = es, .x = x->data, .y = out[0]->data};
        int64_t st = 1;
        for (int d = rank - 1; d >= 0; d--) {
            j.xst[d] = st;
            st *= x->dims[d];
        }
        exec_parallel_range(e, out[0]->numel / od[rank - 1], 64, nearest_rows, &j);
        for (int d = 0; d < rank; d++) free(map[d]);
        return 0;
    }
    if (!strcmp(mode, "linear") && x->type == VT_F32) {
        /* linear over the last two dims (earlier dims must keep their size) */
        for (int d = 0; d < rank - 2; d++)
            if (od[d] != x->dims[d]) return err_set(err, errlen, "linear resize of dim %d is not supported", d);
        int64_t H = rank >= 2 ? x->dims[rank - 2] : 1, W = x->dims[rank - 1];
        int64_t OH = rank >= 2 ? od[rank - 2] : 1, OW = od[rank - 1];
        double shh = rank >= 2 ? scale[rank - 2] : 1.0, sww = scale[rank - 1];
        int64_t planes = out[0]->numel / (OH * OW);
        int64_t *x0 = xmalloc(sizeof(int64_t) * (size_t)OW * 2);
        float *fx = xmalloc(sizeof(float) * (size_t)OW);
        for (int64_t o = 0; o < OW; o++) {
            double s = src_coord(cm, o, sww, W, OW);
            if (s < 0) s = 0;
            if (s > (double)(W - 1)) s = (double)(W - 1);
            int64_t i0 = (int64_t)floor(s);
            x0[2 * o] = i0;
            x0[2 * o + 1] = i0 + 1 < W ? i0 + 1 : W - 1;
            fx[o] = (float)(s - (double)i0);
        }
        for (int64_t p = 0; p < planes; p++) {
            const float *xp = vf(x) + p * H * W;
            float *yp = vf(out[0]) + p * OH * OW;
            for (int64_t oy = 0; oy < OH; oy++) {
                double s = rank >= 2 ? src_coord(cm, oy, shh, H, OH) : 0;
                if (s < 0) s = 0;
                if (s > (double)(H - 1)) s = (double)(H - 1);
                int64_t y0 = (int64_t)floor(s), y1 = y0 + 1 < H ? y0 + 1 : H - 1;
                float fy = (float)(s - (double)y0);
                const float *r0 = xp + y0 * W, *r1 = xp + y1 * W;
                for (int64_t ox = 0; ox < OW; ox++) {
                    float a = r0[x0[2 * ox]] + (r0[x0[2 * ox + 1]] - r0[x0[2 * ox]]) * fx[ox];
                    float b = r1[x0[2 * ox]] + (r1[x0[2 * ox + 1]] - r1[x0[2 * ox]]) * fx[ox];
                    yp[oy * OW + ox] = a + (b - a) * fy;
                }
            }
        }
        free(x0);
        free(fx);
        return 0;
    }
    return err_set(err, errlen, "Resize mode '%s' is not supported", mode);
}

