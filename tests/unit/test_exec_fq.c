/* FakeQuantize convolutions in integers: small OpenVINO-style int8 graphs (an activation
 * FakeQuantize with 256 levels, then a Conv whose weights are int8 constants -> Convert
 * [-> Subtract] -> Multiply, or a FakeQuantize on float weights) run with fusion on (the
 * integer path: int32 sums, float epilogue) and off (the float reference), on odd shapes
 * (1x1, 3x3 stride 2, depthwise, groups, dilation, channel counts that are not multiples
 * of 16, tiles across rows, batch 2) -- where the CPU has AVX-512 VNNI; the portable
 * kernels, and graphs that do not map exactly, keep the float path.  The FakeQuantize op's
 * vector rows against its portable ones.  Then, when ../shared is there, the peer's int8 IR
 * of yolov8n (up to its box decoding) on the peer's input: integer against float
 * convolutions within the int8 export check's tolerance (the worst channel's mean |Δ| at
 * most one 8-bit step) and no further from the float reference than a second float
 * convolution path; and how many convolutions went integer. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/core/graph.h"
#include "engine/core/npy.h"
#include "engine/core/util.h"
#include "engine/exec/exec.h"
#include "engine/passes/passes.h"
#include "formats/openvino.h"
#include "tests/check.h"

enum { W_I8_MUL, W_I8_SUB_MUL, W_FQ255, W_FQ256, W_FLOAT };

typedef struct {
    const char *what;
    int64_t N, C, H, W, M, k, stride, pad, group, dil;
    int weights;      /* W_* */
    float lo, hi;     /* the activation FakeQuantize's range */
    OpKind act;       /* OP_SILU, OP_RELU, OP_SIGMOID or OP_IDENTITY (none) */
    bool bias;
    int want_int8;    /* convolutions expected on the integer path */
} FqCase;

static uint32_t rng_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static float rng_unit(uint32_t *s) { return (float)rng_next(s) / (float)(1u << 24) * 2.f - 1.f; } /* [-1, 1) */

static int fq_node(Graph *g, const char *name, int x, int lo, int hi, int olo, int ohi, const char *levels)
{
    int y = graph_add_tensor(g, name, DT_F32, 0, NULL);
    int ins[5] = {x, lo, hi, olo, ohi};
    int n = graph_add_node(g, OP_FAKE_QUANTIZE, "FakeQuantize", name, -1, ins, 5, &y, 1);
    node_set_string(g, n, "levels", levels); /* as an OpenVINO IR carries it */
    node_set_string(g, n, "auto_broadcast", "numpy");
    return y;
}

static int scalar(Graph *g, const char *name, float v) { return graph_add_const(g, name, DT_F32, 0, NULL, &v); }

/* The case's graph: x -> FakeQuantize -> Conv -> activation -> y; a second reader of the
 * FakeQuantize's output (y2 = fq(x) * 1) keeps it a float tensor others see. */
static Graph *build(const FqCase *c, uint32_t seed)
{
    Graph *g = graph_new();
    int64_t xd[4] = {c->N, c->C, c->H, c->W};
    int x = graph_add_tensor(g, "x", DT_F32, 4, xd);
    g->tensors[x].is_input = true;
    graph_add_input(g, x);
    int lo = scalar(g, "lo", c->lo), hi = scalar(g, "hi", c->hi);
    int xq = fq_node(g, "x_fq", x, lo, hi, lo, hi, "256");
    int64_t Cg = c->C / c->group, M = c->M, K = Cg * c->k * c->k;
    int64_t wd[4] = {M, Cg, c->k, c->k}, sd[4] = {M, 1, 1, 1};
    float *wf = xmalloc(sizeof(float) * (size_t)(M * K)), *step = xmalloc(sizeof(float) * (size_t)M);
    int8_t *wq = xmalloc((size_t)(M * K));
    for (int64_t m = 0; m < M; m++) {
        step[m] = 0.004f + 0.003f * (float)(m % 7);
        for (int64_t k = 0; k < K; k++) {
            int v = (int)(rng_next(&seed) % 255) - 127;
            if (m == 1 && k == 0) v = -128;
            wq[m * K + k] = (int8_t)(c->weights == W_FQ255 && v == -128 ? -127 : v);
            wf[m * K + k] = (float)v * step[m] + 0.3f * step[m] * rng_unit(&seed); /* FQ rounds the offset away */
        }
    }
    int w;
    if (c->weights == W_I8_MUL || c->weights == W_I8_SUB_MUL) {
        int q = graph_add_const(g, "w_i8", DT_I8, 4, wd, wq), f = graph_add_tensor(g, "w_f", DT_F32, 0, NULL);
        graph_add_node(g, OP_CAST, "Convert", "w_convert", -1, &q, 1, &f, 1);
        if (c->weights == W_I8_SUB_MUL) { /* a zero point of zeros, then one scale for the tensor */
            int z = scalar(g, "w_zero", 0.f), s = graph_add_tensor(g, "w_sub", DT_F32, 0, NULL);
            int si[2] = {f, z};
            graph_add_node(g, OP_SUB, "Subtract", "w_subtract", -1, si, 2, &s, 1);
            f = s;
        }
        int sc = c->weights == W_I8_SUB_MUL ? scalar(g, "w_scale", step[0])
                                            : graph_add_const(g, "w_scale", DT_F32, 4, sd, step);
        w = graph_add_tensor(g, "w", DT_F32, 0, NULL);
        int mi[2] = {sc, f}; /* the scale first: either order is taken */
        graph_add_node(g, OP_MUL, "Multiply", "w_multiply", -1, mi, 2, &w, 1);
    } else if (c->weights == W_FQ255 || c->weights == W_FQ256) {
        /* per-channel ranges: symmetric for 255 levels, [-128, 127] steps for 256 */
        float *wl = xmalloc(sizeof(float) * (size_t)M), *wh = xmalloc(sizeof(float) * (size_t)M);
        for (int64_t m = 0; m < M; m++) {
            wl[m] = (c->weights == W_FQ255 ? -127.f : -128.f) * step[m];
            wh[m] = 127.f * step[m];
        }
        int cw = graph_add_const(g, "w_float", DT_F32, 4, wd, wf), l = graph_add_const(g, "w_lo", DT_F32, 4, sd, wl),
            h = graph_add_const(g, "w_hi", DT_F32, 4, sd, wh);
        w = fq_node(g, "w_fq", cw, l, h, l, h, c->weights == W_FQ255 ? "255" : "256");
        free(wl);
        free(wh);
    } else {
        w = graph_add_const(g, "w", DT_F32, 4, wd, wf); /* float weights off any int8 grid */
    }
    int ci[3] = {xq, w, -1}, nci = 2;
    if (c->bias) {
        float *b = xmalloc(sizeof(float) * (size_t)M);
        for (int64_t m = 0; m < M; m++) b[m] = 0.5f * rng_unit(&seed);
        int64_t bd[1] = {M};
        ci[nci++] = graph_add_const(g, "b", DT_F32, 1, bd, b);
        free(b);
    }
    int cy = graph_add_tensor(g, "conv", DT_F32, 0, NULL);
    int cn = graph_add_node(g, OP_CONV, "Conv", "conv", -1, ci, nci, &cy, 1);
    int64_t ks[2] = {c->k, c->k}, st[2] = {c->stride, c->stride}, pads[4] = {c->pad, c->pad, c->pad, c->pad},
            dil[2] = {c->dil, c->dil};
    node_set_ints(g, cn, "kernel_shape", ks, 2);
    node_set_ints(g, cn, "strides", st, 2);
    node_set_ints(g, cn, "pads", pads, 4);
    node_set_ints(g, cn, "dilations", dil, 2);
    node_set_int(g, cn, "group", c->group);
    int y = graph_add_tensor(g, "y", DT_F32, 0, NULL);
    graph_add_node(g, c->act, c->act == OP_SILU ? "SiLU" : c->act == OP_RELU ? "Relu" : c->act == OP_SIGMOID ? "Sigmoid" : "Identity",
                   "act", -1, &cy, 1, &y, 1);
    graph_add_output(g, y);
    int one = scalar(g, "one", 1.f), y2 = graph_add_tensor(g, "y2", DT_F32, 0, NULL), mi[2] = {xq, one};
    graph_add_node(g, OP_MUL, "Mul", "other_reader", -1, mi, 2, &y2, 1);
    graph_add_output(g, y2);
    free(wf);
    free(wq);
    free(step);
    return g;
}

/* Run g on x with fusion on (keep_all 0) or off; outputs 0 and 1 copied out, the number of
 * convolutions on the integer path counted. */
static float *run(const Graph *g, const float *x, const int64_t *xd, ExecKernelSet ks, int keep_all, int *n_int8,
                  int64_t *n, float **second)
{
    char err[256];
    ExecOptions opt = {.threads = 2, .kernels = ks};
    Exec *e = exec_new_with(g, &opt, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (!e) return NULL;
    exec_keep_all(e, keep_all);
    float *out = NULL;
    int rc = exec_set_input(e, "x", x, xd, 4, err, sizeof err);
    if (!rc) rc = exec_run(e, NULL, err, sizeof err);
    EXPECT_MSG(rc == 0, "%s", err);
    if (!rc) {
        int64_t d[8], d2[8];
        int r, r2;
        const float *y = exec_output(e, 0, d, &r), *y2 = exec_output(e, 1, d2, &r2);
        *n = 1;
        for (int i = 0; i < r; i++) *n *= d[i];
        out = xmalloc(sizeof(float) * (size_t)*n);
        memcpy(out, y, sizeof(float) * (size_t)*n);
        int64_t n2 = 1;
        for (int i = 0; i < r2; i++) n2 *= d2[i];
        if (second) {
            *second = xmalloc(sizeof(float) * (size_t)n2);
            memcpy(*second, y2, sizeof(float) * (size_t)n2);
        }
    }
    *n_int8 = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ExecNodeInfo info;
        if (!exec_node_info(e, i, &info) && strstr(info.path, "int8")) (*n_int8)++;
    }
    exec_free(e);
    return out;
}

/* Whether this CPU runs FakeQuantize convolutions in integers (AVX-512 with VNNI). */
static bool host_vnni(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vnni");
#else
    return false;
#endif
}

static void test_fq_conv_cases(void)
{
    static const FqCase cases[] = {
        /* what, N, C, H, W, M, k, stride, pad, group, dil, weights, lo, hi, act, bias, int8 */
        {"1x1, i8 * per-channel scale, SiLU", 1, 5, 9, 11, 19, 1, 1, 0, 1, 1, W_I8_MUL, -0.3f, 25.2f, OP_SILU, true, 1},
        {"3x3 stride 2, FakeQuantize 255 weights", 2, 7, 13, 10, 21, 3, 2, 1, 1, 1, W_FQ255, 0.f, 2.55f, OP_IDENTITY,
         true, 1},
        {"depthwise 3x3, i8 - 0, one scale, Relu", 1, 18, 12, 9, 18, 3, 1, 1, 18, 1, W_I8_SUB_MUL, -1.28f, 1.27f,
         OP_RELU, false, 1},
        {"groups 3, 3x3 dilation 2, FakeQuantize 256 weights, Sigmoid", 1, 12, 11, 14, 9, 3, 1, 2, 3, 2, W_FQ256, -0.5f,
         2.05f, OP_SIGMOID, true, 1},
        {"5x5 stride 2, 33 outputs", 1, 17, 15, 15, 33, 5, 2, 2, 1, 1, W_I8_MUL, -0.36f, 4.74f, OP_SILU, true, 1},
        {"3x3 on 6x7 (tiles across rows), no activation", 2, 20, 6, 7, 24, 3, 1, 1, 1, 1, W_I8_MUL, -0.12f, 2.43f,
         OP_IDENTITY, true, 1},
        {"1x1 on 9x5, Relu", 1, 35, 9, 5, 17, 1, 1, 0, 1, 1, W_FQ256, 0.f, 6.f, OP_RELU, false, 1},
        /* kept in float: a zero off the activation grid, weights off any int8 grid, padding
         * the copy of the input would not need */
        {"zero off the grid", 1, 5, 7, 7, 8, 3, 1, 1, 1, 1, W_I8_MUL, -0.3137f, 2.2f, OP_SILU, true, 0},
        {"float weights", 1, 5, 7, 7, 8, 3, 1, 1, 1, 1, W_FLOAT, -0.3f, 25.2f, OP_SILU, true, 0},
        {"padding wider than the kernel", 1, 5, 7, 7, 8, 1, 1, 2, 1, 1, W_I8_MUL, -0.3f, 25.2f, OP_SILU, true, 0},
    };
    for (size_t ci = 0; ci < ARRAY_LEN(cases); ci++) {
        const FqCase *c = &cases[ci];
        Graph *g = build(c, 1234u + (uint32_t)ci);
        int64_t xd[4] = {c->N, c->C, c->H, c->W}, nx = c->N * c->C * c->H * c->W;
        float *x = xmalloc(sizeof(float) * (size_t)nx);
        uint32_t s = 99u + (uint32_t)ci;
        for (int64_t i = 0; i < nx; i++) x[i] = c->lo + (c->hi - c->lo) * (0.5f + 0.6f * rng_unit(&s)); /* some clipped */
        int n_fast, n_port, n_ref;
        int64_t n = 0, n2 = 0, n3 = 0;
        float *other = NULL, *other_ref = NULL;
        float *fast = run(g, x, xd, EXEC_KERNELS_BEST, 0, &n_fast, &n, &other);
        float *port = run(g, x, xd, EXEC_KERNELS_PORTABLE, 0, &n_port, &n2, NULL);
        float *ref = run(g, x, xd, EXEC_KERNELS_BEST, 1, &n_ref, &n3, &other_ref);
        /* integers only with AVX-512 VNNI; the portable kernels keep float */
        int want = host_vnni() ? c->want_int8 : 0;
        EXPECT_MSG(n_fast == want && n_port == 0 && n_ref == 0,
                   "%s: %d convolutions in integers (%d portable, %d with fusion off), want %d", c->what, n_fast, n_port,
                   n_ref, want);
        if (fast && port && ref && n == n2 && n == n3) {
            /* the same products, summed exactly instead of in float: float rounding apart */
            double worst = 0, worst_port = 0;
            for (int64_t i = 0; i < n; i++) {
                double tol = 1e-4 * (1 + fabs(ref[i]));
                worst = fmax(worst, fabs(fast[i] - ref[i]) / tol);
                worst_port = fmax(worst_port, fabs(port[i] - ref[i]) / tol);
            }
            EXPECT_MSG(worst <= 1 && worst_port <= 1, "%s: %.3g and %.3g (portable) of the tolerance", c->what, worst,
                       worst_port);
            printf("# %s: %lld outputs, worst |Δ| %.2g of the tolerance (1e-4 relative)\n", c->what, (long long)n, worst);
        }
        /* the FakeQuantize's other reader sees the same floats */
        int64_t nq = nx;
        if (other && other_ref) EXPECT_MSG(!memcmp(other, other_ref, sizeof(float) * (size_t)nq), "%s: the FakeQuantize's output changed", c->what);
        free(fast);
        free(port);
        free(ref);
        free(other);
        free(other_ref);
        free(x);
        graph_free(g);
    }
}

/* The FakeQuantize op itself: its vector rows (AVX-512 where the CPU has it) give the bits
 * of the portable element-by-element arithmetic -- per-tensor and per-channel ranges,
 * values on and off the range and on rounding ties, NaN, rows that are not multiples of 16,
 * levels 256 and 3, a reversed input range. */
static void test_fq_op_kernels(void)
{
    const struct {
        int64_t levels;
        float il, ih, ol, oh;
        bool per_channel;
    } cases[] = {{256, -0.3f, 25.2f, -0.3f, 25.2f, false}, {3, -1.f, 1.f, -2.f, 2.f, false},
                 {256, 2.f, -1.f, 0.f, 1.f, false},    {255, -1.27f, 1.27f, -1.27f, 1.27f, true}};
    for (size_t ci = 0; ci < ARRAY_LEN(cases); ci++) {
        Graph *g = graph_new();
        int64_t xd[4] = {2, 3, 5, 37}, cd[4] = {1, 3, 1, 1};
        int x = graph_add_tensor(g, "x", DT_F32, 4, xd);
        g->tensors[x].is_input = true;
        graph_add_input(g, x);
        float lo3[3], hi3[3];
        for (int c = 0; c < 3; c++) {
            lo3[c] = cases[ci].il * (1.f + 0.5f * (float)c);
            hi3[c] = cases[ci].ih * (1.f + 0.5f * (float)c);
        }
        int il = cases[ci].per_channel ? graph_add_const(g, "il", DT_F32, 4, cd, lo3) : scalar(g, "il", cases[ci].il);
        int ih = cases[ci].per_channel ? graph_add_const(g, "ih", DT_F32, 4, cd, hi3) : scalar(g, "ih", cases[ci].ih);
        char lv[16];
        snprintf(lv, sizeof lv, "%lld", (long long)cases[ci].levels);
        int y = fq_node(g, "y", x, il, ih, scalar(g, "ol", cases[ci].ol), scalar(g, "oh", cases[ci].oh), lv);
        graph_add_output(g, y);
        int64_t n = 2 * 3 * 5 * 37;
        float *xv = xmalloc(sizeof(float) * (size_t)n);
        uint32_t s = 7u + (uint32_t)ci;
        float step = (cases[ci].ih - cases[ci].il) / (float)(cases[ci].levels - 1);
        for (int64_t i = 0; i < n; i++) {
            xv[i] = cases[ci].il + (cases[ci].ih - cases[ci].il) * (0.5f + 0.7f * rng_unit(&s));
            if (i % 7 == 0) xv[i] = cases[ci].il + step * ((float)(i % 11) + 0.5f); /* ties */
            if (i % 13 == 0) xv[i] = i % 2 ? cases[ci].il : cases[ci].ih;           /* the range's ends */
        }
        xv[5] = NAN;
        float *r[2] = {NULL, NULL};
        for (int k = 0; k < 2; k++) {
            char err[256];
            ExecOptions opt = {.threads = 2, .kernels = k ? EXEC_KERNELS_PORTABLE : EXEC_KERNELS_BEST};
            Exec *e = exec_new_with(g, &opt, err, sizeof err);
            int rc = e ? exec_set_input(e, "x", xv, xd, 4, err, sizeof err) : -1;
            if (!rc) rc = exec_run(e, NULL, err, sizeof err);
            EXPECT_MSG(rc == 0, "%s", err);
            if (!rc) {
                r[k] = xmalloc(sizeof(float) * (size_t)n);
                memcpy(r[k], exec_output(e, 0, NULL, NULL), sizeof(float) * (size_t)n);
            }
            exec_free(e);
        }
        if (r[0] && r[1]) {
            EXPECT_MSG(!memcmp(r[0], r[1], sizeof(float) * (size_t)n), "case %zu: the vector rows differ", ci);
            EXPECT_MSG(isnan(r[0][5]), "case %zu: NaN in, %g out", ci, r[0][5]);
        }
        free(r[0]);
        free(r[1]);
        free(xv);
        graph_free(g);
    }
}

/* ---- the peer's int8 IR ----------------------------------------------------------------------- */

/* Worst channel's mean |Δ| in 8-bit steps (max(1, max |ref|) / 255 per channel of [1, C, n])
 * and the share of values within one step: the int8 export check's measure. */
static void channel_steps(const float *ref, const float *got, int64_t C, int64_t inner, double *mean, double *within)
{
    int64_t in = 0;
    *mean = 0;
    for (int64_t c = 0; c < C; c++) {
        double m = 0, sum = 0;
        for (int64_t i = 0; i < inner; i++) m = fmax(m, fabs(ref[c * inner + i]));
        double step = (m > 1 ? m : 1) / 255.0;
        for (int64_t i = 0; i < inner; i++) {
            double d = fabs((double)ref[c * inner + i] - (double)got[c * inner + i]);
            if (isnan(d)) d = INFINITY;
            sum += d / step;
            in += d <= step;
        }
        *mean = fmax(*mean, sum / (double)inner);
    }
    *within = (double)in / (double)(C * inner);
}

/* The DFL's box distances (l, t, r, b per anchor of the 80x80, 40x40 and 20x20 grids) as
 * output0's box channels: centre x, y and width, height in pixels. */
static void boxes_xywh(const float *dist, float *xywh)
{
    for (int64_t i = 0; i < 8400; i++) {
        int64_t side = i < 6400 ? 80 : i < 8000 ? 40 : 20, j = i < 6400 ? i : i < 8000 ? i - 6400 : i - 8000;
        float s = (float)(640 / side), ax = (float)(j % side) + 0.5f, ay = (float)(j / side) + 0.5f;
        float l = dist[i], t = dist[8400 + i], r = dist[2 * 8400 + i], b = dist[3 * 8400 + i];
        xywh[i] = (ax + (r - l) / 2) * s;
        xywh[8400 + i] = (ay + (b - t) / 2) * s;
        xywh[2 * 8400 + i] = (l + r) * s;
        xywh[3 * 8400 + i] = (t + b) * s;
    }
}

static void test_peer_int8_ir(void)
{
    const char *dir = shared_path("reference/openvino/yolov8n_int8_openvino_model");
    const char *input = shared_path("reference/peer/yolov8n.input.npy");
    if (!dir || !input) {
        SKIP("../shared not present");
        return;
    }
    char err[512];
    Graph *g = openvino_read(dir, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    NpyArray x = {0};
    EXPECT(npy_read(input, 0, &x, err, sizeof err) == 0);
    float *xf = x.data ? npy_to_f32(&x, err, sizeof err) : NULL;
    /* the head's box decoding computes its slices with ScatterUpdate, which the executor
     * lacks: the graph ends where the decoding starts, at the DFL's box distances [1, 4, 8400]
     * (every convolution is before them) and the class scores [1, 80, 8400] */
    int cut = -1;
    for (int i = 0; g && i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, "/model.22/Shape") && g->nodes[i].n_inputs == 1) cut = g->nodes[i].inputs[0];
    EXPECT_MSG(cut >= 0, "no node '/model.22/Shape' in the IR");
    int cls = -1; /* and the class scores (no ScatterUpdate behind them) */
    for (int i = 0; g && i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, "/model.22/Sigmoid") && g->nodes[i].n_outputs == 1) cls = g->nodes[i].outputs[0];
    EXPECT_MSG(cls >= 0, "no node '/model.22/Sigmoid' in the IR");
    if (cut >= 0) {
        unsigned char *dead = xmalloc((size_t)g->n_nodes), *need = xcalloc((size_t)g->n_tensors, 1);
        need[cut] = 1;
        if (cls >= 0) need[cls] = 1;
        for (int i = g->n_nodes - 1; i >= 0; i--) { /* nodes are in order: walk back from the cut */
            const Node *nd = &g->nodes[i];
            bool used = false;
            for (int k = 0; k < nd->n_outputs; k++) used |= nd->outputs[k] >= 0 && need[nd->outputs[k]];
            dead[i] = !used;
            for (int k = 0; used && k < nd->n_inputs; k++)
                if (nd->inputs[k] >= 0) need[nd->inputs[k]] = 1;
        }
        g->n_outputs = 0;
        graph_add_output(g, cut);
        if (cls >= 0) graph_add_output(g, cls);
        pass_compact(g, dead, NULL);
        free(dead);
        free(need);
    }
    /* the integer path (fusion on), the float reference (fusion off), and a second float
     * reference (fusion off, every convolution through im2col + gemm) */
    Exec *e = g && xf && cut >= 0 ? exec_new_with(g, &(ExecOptions){.threads = 2}, err, sizeof err) : NULL;
    Exec *e2 = e ? exec_new_with(g, &(ExecOptions){.threads = 2, .conv = EXEC_CONV_REFERENCE}, err, sizeof err) : NULL;
    EXPECT_MSG(e != NULL && e2 != NULL, "%s", err);
    if (!e || !e2) goto out;
    float *y[3][2] = {{NULL}};
    int64_t d[2][8];
    int r[2] = {0, 0}, convs = 0, n_int8 = 0;
    for (int pass = 0; pass < 3; pass++) {
        Exec *ex = pass == 2 ? e2 : e;
        exec_keep_all(ex, pass > 0);
        int rc = exec_set_input(ex, "images", xf, x.dims, x.rank, err, sizeof err);
        if (!rc) rc = exec_run(ex, NULL, err, sizeof err);
        EXPECT_MSG(rc == 0, "%s", err);
        if (rc) break;
        for (int o = 0; o < 2; o++) {
            const float *v = exec_output(ex, o, d[o], &r[o]);
            int64_t n = 1;
            for (int i = 0; i < r[o]; i++) n *= d[o][i];
            y[pass][o] = xmalloc(sizeof(float) * (size_t)n);
            memcpy(y[pass][o], v, sizeof(float) * (size_t)n);
        }
        if (pass == 0)
            for (int i = 0; i < g->n_nodes; i++) {
                ExecNodeInfo info;
                if (g->nodes[i].op != OP_CONV || exec_node_info(e, i, &info)) continue;
                convs++;
                n_int8 += strstr(info.path, "int8") != NULL;
            }
    }
    printf("# yolov8n int8 IR: %d of %d convolutions in integers\n", n_int8, convs);
    /* every convolution but the DFL's (fixed float weights, no FakeQuantize); none without VNNI */
    int want = host_vnni() ? 63 : 0;
    EXPECT_MSG(n_int8 == want && convs == 64, "%d of %d convolutions in integers, want %d of 64", n_int8, convs, want);
    if (!want) SKIP("no AVX-512 VNNI here: the FakeQuantize convolutions stay float, compared with themselves");
    if (y[0][0] && y[1][0] && y[2][0] && r[0] == 3 && d[0][1] == 4 && d[0][2] == 8400)
        for (int i = 0; i < 3; i++) { /* in pixels, as output0 has them */
            float *px = xmalloc(sizeof(float) * 4 * 8400);
            boxes_xywh(y[i][0], px);
            free(y[i][0]);
            y[i][0] = px;
        }
    for (int o = 0; o < 2; o++) {
        if (!y[0][o] || !y[1][o] || !y[2][o] || r[o] != 3 || d[o][0] != 1) continue;
        double mean, within, mean_f, within_f;
        channel_steps(y[1][o], y[0][o], d[o][1], d[o][2], &mean, &within);
        channel_steps(y[1][o], y[2][o], d[o][1], d[o][2], &mean_f, &within_f);
        printf("# yolov8n int8 IR, %s [1, %lld, %lld]: worst channel's mean |Δ| in 8-bit steps, share within one step: "
               "integer vs float convolutions %.3f, %.2f%%; two float convolution paths %.3f, %.2f%%\n",
               o ? "class scores" : "boxes xywh", (long long)d[o][1], (long long)d[o][2], mean, 100 * within, mean_f,
               100 * within_f);
        /* the int8 export check's criterion (the worst channel's mean |Δ| at most one step), and
         * no further from the float reference than a second float path is: a value on a level
         * boundary goes either way with any change of summation order, and the flips spread
         * through 60 FakeQuantize layers (from about 1 in 10^6 values of the first layer's
         * output) whatever computes the sums */
        EXPECT_MSG(mean <= 1, "%s: mean %.3f steps", o ? "classes" : "boxes", mean);
        EXPECT_MSG(mean <= 1.25 * mean_f + 0.01 && within >= within_f - 0.02,
                   "%s: integer vs float %.3f steps, %.2f%% within one; two float paths %.3f, %.2f%%",
                   o ? "classes" : "boxes", mean, 100 * within, mean_f, 100 * within_f);
    }
    for (int i = 0; i < 3; i++)
        for (int o = 0; o < 2; o++) free(y[i][o]);
out:
    exec_free(e);
    exec_free(e2);
    free(xf);
    npy_free(&x);
    graph_free(g);
}

int main(void)
{
    RUN(test_fq_conv_cases);
    RUN(test_fq_op_kernels);
    RUN(test_peer_int8_ir);
    return check_done();
}
