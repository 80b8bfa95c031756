/* reference_ops.h: plain reference loops for tests — NCHW arrays of doubles (Arr) and the
 * ops a writer lowers (convolution and transposed convolution, pooling, elementwise maps
 * and broadcasting binaries, transpose, reshape, softmax, slice, concat, matmul), written
 * for clarity, not speed, so that a format's runtime can be compared with values computed
 * independently of engine/exec.  Static functions: include it once per test program. */
#ifndef YOLOPORT_REFERENCE_OPS_H
#define YOLOPORT_REFERENCE_OPS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/graph.h"

typedef struct {
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    double *v;
} Arr;

/* ---- arrays and reference ops (NCHW, double) ------------------------------------------- */
static uint32_t rng = 12345;
static double rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return ((rng >> 8) & 0xffff) / 65536.0 * 2.0 - 1.0;
}

static int64_t numel(const Arr *a)
{
    int64_t n = 1;
    for (int i = 0; i < a->rank; i++) n *= a->dims[i];
    return n;
}

static Arr arr(int rank, const int64_t *dims)
{
    Arr a = {.rank = rank};
    if (rank > 0) memcpy(a.dims, dims, sizeof(int64_t) * (size_t)rank);
    a.v = calloc((size_t)(numel(&a) ? numel(&a) : 1), sizeof(double));
    return a;
}

static Arr arr_rand(int rank, const int64_t *dims, double scale)
{
    Arr a = arr(rank, dims);
    for (int64_t i = 0; i < numel(&a); i++) a.v[i] = rnd() * scale;
    return a;
}

static void strides_of(const Arr *a, int64_t *s)
{
    int64_t k = 1;
    for (int i = a->rank - 1; i >= 0; i--) s[i] = k, k *= a->dims[i];
}

#define AT4(a, n, c, h, w) ((a).v[(((n) * (a).dims[1] + (c)) * (a).dims[2] + (h)) * (a).dims[3] + (w)])

static Arr ref_conv(const Arr *x, const Arr *w, const Arr *b, const int64_t *st, const int64_t *pd, const int64_t *dl,
                    int64_t group)
{
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3], O = w->dims[0], Ig = w->dims[1];
    int64_t kh = w->dims[2], kw = w->dims[3];
    int64_t Ho = (H + pd[0] + pd[2] - (kh - 1) * dl[0] - 1) / st[0] + 1, Wo = (W + pd[1] + pd[3] - (kw - 1) * dl[1] - 1) / st[1] + 1;
    Arr y = arr(4, (int64_t[]){N, O, Ho, Wo});
    int64_t Og = O / group;
    (void)C;
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < O; o++)
            for (int64_t i = 0; i < Ho; i++)
                for (int64_t j = 0; j < Wo; j++) {
                    double s = b ? b->v[o] : 0;
                    int64_t g = o / Og;
                    for (int64_t c = 0; c < Ig; c++)
                        for (int64_t p = 0; p < kh; p++)
                            for (int64_t q = 0; q < kw; q++) {
                                int64_t hi = i * st[0] - pd[0] + p * dl[0], wi = j * st[1] - pd[1] + q * dl[1];
                                if (hi < 0 || hi >= H || wi < 0 || wi >= W) continue;
                                s += AT4(*x, n, g * Ig + c, hi, wi) * AT4(*w, o, c, p, q);
                            }
                    AT4(y, n, o, i, j) = s;
                }
    return y;
}

static Arr ref_conv_t(const Arr *x, const Arr *w, const Arr *b, const int64_t *st, const int64_t *pd, int64_t Ho,
                      int64_t Wo)
{
    int64_t N = x->dims[0], Ci = x->dims[1], H = x->dims[2], W = x->dims[3], Co = w->dims[1], kh = w->dims[2], kw = w->dims[3];
    Arr y = arr(4, (int64_t[]){N, Co, Ho, Wo});
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < Co; o++)
            for (int64_t i = 0; i < Ho; i++)
                for (int64_t j = 0; j < Wo; j++) AT4(y, n, o, i, j) = b ? b->v[o] : 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < Ci; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t ww = 0; ww < W; ww++)
                    for (int64_t o = 0; o < Co; o++)
                        for (int64_t p = 0; p < kh; p++)
                            for (int64_t q = 0; q < kw; q++) {
                                int64_t i = h * st[0] - pd[0] + p, j = ww * st[1] - pd[1] + q;
                                if (i < 0 || i >= Ho || j < 0 || j >= Wo) continue;
                                AT4(y, n, o, i, j) += AT4(*x, n, c, h, ww) * AT4(*w, c, o, p, q);
                            }
    return y;
}

/* ONNX pooling (pads {t,l,b,r}); output size given. */
static Arr ref_pool(const Arr *x, const int64_t *k, const int64_t *st, const int64_t *pd, int64_t Ho, int64_t Wo,
                    bool is_max, bool count_pad)
{
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    Arr y = arr(4, (int64_t[]){N, C, Ho, Wo});
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < Ho; i++)
                for (int64_t j = 0; j < Wo; j++) {
                    double m = -INFINITY, s = 0;
                    int64_t cnt = 0, cnt_pad = 0;
                    for (int64_t p = 0; p < k[0]; p++)
                        for (int64_t q = 0; q < k[1]; q++) {
                            int64_t hi = i * st[0] - pd[0] + p, wi = j * st[1] - pd[1] + q;
                            if (hi < H + pd[2] && wi < W + pd[3]) cnt_pad++;
                            if (hi < 0 || hi >= H || wi < 0 || wi >= W) continue;
                            double v = AT4(*x, n, c, hi, wi);
                            m = fmax(m, v);
                            s += v;
                            cnt++;
                        }
                    AT4(y, n, c, i, j) = is_max ? m : s / (double)(count_pad ? cnt_pad : cnt);
                }
    return y;
}

static Arr ref_map(const Arr *x, double (*f)(double))
{
    Arr y = arr(x->rank, x->dims);
    for (int64_t i = 0; i < numel(x); i++) y.v[i] = f(x->v[i]);
    return y;
}

static double f_silu(double v) { return v / (1 + exp(-v)); }
static double f_sigmoid(double v) { return 1 / (1 + exp(-v)); }
static double f_relu(double v) { return v > 0 ? v : 0; }

/* numpy broadcasting of two operands; op: + - * / M(ax) */
static Arr ref_binary(const Arr *a, const Arr *b, char op)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    int64_t da[GRAPH_MAX_RANK], db[GRAPH_MAX_RANK], dy[GRAPH_MAX_RANK];
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        da[i] = ia >= 0 ? a->dims[ia] : 1;
        db[i] = ib >= 0 ? b->dims[ib] : 1;
        dy[i] = da[i] > db[i] ? da[i] : db[i];
    }
    Arr y = arr(r, dy);
    int64_t idx[GRAPH_MAX_RANK] = {0};
    for (int64_t e = 0; e < numel(&y); e++) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < r; i++) {
            oa = oa * da[i] + (da[i] == 1 ? 0 : idx[i]);
            ob = ob * db[i] + (db[i] == 1 ? 0 : idx[i]);
        }
        double x = a->v[oa], z = b->v[ob];
        y.v[e] = op == '+' ? x + z : op == '-' ? x - z : op == '*' ? x * z : op == '/' ? x / z : fmax(x, z);
        for (int i = r - 1; i >= 0; i--)
            if (++idx[i] < dy[i]) break;
            else idx[i] = 0;
    }
    return y;
}

/* y = x permuted: y axis k = x axis perm[k] */
static Arr ref_transpose(const Arr *x, const int *perm)
{
    int64_t d[GRAPH_MAX_RANK], xs[GRAPH_MAX_RANK], idx[GRAPH_MAX_RANK] = {0};
    for (int k = 0; k < x->rank; k++) d[k] = x->dims[perm[k]];
    Arr y = arr(x->rank, d);
    strides_of(x, xs);
    for (int64_t e = 0; e < numel(&y); e++) {
        int64_t off = 0;
        for (int k = 0; k < x->rank; k++) off += idx[k] * xs[perm[k]];
        y.v[e] = x->v[off];
        for (int k = x->rank - 1; k >= 0; k--)
            if (++idx[k] < d[k]) break;
            else idx[k] = 0;
    }
    return y;
}

static Arr ref_reshape(const Arr *x, int rank, const int64_t *dims)
{
    Arr y = arr(rank, dims);
    memcpy(y.v, x->v, sizeof(double) * (size_t)numel(x));
    return y;
}

static Arr ref_softmax(const Arr *x, int axis)
{
    Arr y = arr(x->rank, x->dims);
    int64_t s[GRAPH_MAX_RANK];
    strides_of(x, s);
    int64_t n = x->dims[axis];
    for (int64_t e = 0; e < numel(x); e++) {
        if ((e / s[axis]) % n) continue; /* visit each line once, at its first element */
        double m = -INFINITY, sum = 0;
        for (int64_t i = 0; i < n; i++) m = fmax(m, x->v[e + i * s[axis]]);
        for (int64_t i = 0; i < n; i++) sum += exp(x->v[e + i * s[axis]] - m);
        for (int64_t i = 0; i < n; i++) y.v[e + i * s[axis]] = exp(x->v[e + i * s[axis]] - m) / sum;
    }
    return y;
}

/* Elements [start, end) step `step` along axis. */
static Arr ref_slice(const Arr *x, int axis, int64_t start, int64_t end, int64_t step)
{
    int64_t d[GRAPH_MAX_RANK];
    memcpy(d, x->dims, sizeof d);
    d[axis] = (end - start + step - 1) / step;
    Arr y = arr(x->rank, d);
    int64_t xs[GRAPH_MAX_RANK], idx[GRAPH_MAX_RANK] = {0};
    strides_of(x, xs);
    for (int64_t e = 0; e < numel(&y); e++) {
        int64_t off = 0;
        for (int k = 0; k < x->rank; k++) off += (k == axis ? start + idx[k] * step : idx[k]) * xs[k];
        y.v[e] = x->v[off];
        for (int k = x->rank - 1; k >= 0; k--)
            if (++idx[k] < d[k]) break;
            else idx[k] = 0;
    }
    return y;
}

static Arr ref_concat(const Arr *a, const Arr *b, int axis)
{
    int64_t d[GRAPH_MAX_RANK];
    memcpy(d, a->dims, sizeof d);
    d[axis] += b->dims[axis];
    Arr y = arr(a->rank, d);
    int64_t outer = 1, ia = 1, ib = 1;
    for (int k = 0; k < axis; k++) outer *= a->dims[k];
    for (int k = axis; k < a->rank; k++) ia *= a->dims[k], ib *= b->dims[k];
    for (int64_t o = 0; o < outer; o++) {
        memcpy(y.v + o * (ia + ib), a->v + o * ia, sizeof(double) * (size_t)ia);
        memcpy(y.v + o * (ia + ib) + ia, b->v + o * ib, sizeof(double) * (size_t)ib);
    }
    return y;
}

/* batched matmul of equal-rank operands */
static Arr ref_matmul(const Arr *a, const Arr *b)
{
    int r = a->rank;
    int64_t M = a->dims[r - 2], K = a->dims[r - 1], N = b->dims[r - 1], batch = numel(a) / (M * K);
    int64_t d[GRAPH_MAX_RANK];
    memcpy(d, a->dims, sizeof d);
    d[r - 1] = N;
    Arr y = arr(r, d);
    for (int64_t bt = 0; bt < batch; bt++)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                double s = 0;
                for (int64_t k = 0; k < K; k++) s += a->v[bt * M * K + i * K + k] * b->v[bt * K * N + k * N + j];
                y.v[bt * M * N + i * N + j] = s;
            }
    return y;
}

#endif
