/* Executor kernel tests: every convolution path (1x1 gemm, direct, im2col panels,
 * Winograd F(4,3), depthwise, the reference) on every kernel set this CPU runs (portable,
 * AVX2, AVX-512) and on one and several threads, against the double-precision reference
 * loops of tests/reference_ops.h, on odd shapes: 1x1, 3x3 stride 2, groups, depthwise,
 * dilation, asymmetric padding, 1-D, batch 2, channel counts that are not multiples of the
 * micro-tile; with the fused epilogues (batch norm folded, SiLU / Sigmoid·Mul / Relu /
 * Sigmoid), float16 storage, the memory plan (second runs, in-place Concat and Split),
 * and the threaded elementwise, softmax, pooling and resize kernels. */
#include <math.h>
#include <string.h>

#include "engine/core/graph.h"
#include "engine/exec/exec.h"
#include "engine/exec/exec_conv.h" /* exec_conv_force: the blocked path is not an ExecConvChoice */
#include "tests/check.h"
/* only some of the reference ops are used here */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tests/reference_ops.h"
#pragma GCC diagnostic pop

/* ---- graph helpers --------------------------------------------------------------------- */

static int g_input(Graph *g, const char *name, int rank, const int64_t *dims)
{
    int t = graph_add_tensor(g, name, DT_F32, rank, dims);
    g->tensors[t].is_input = true;
    graph_add_input(g, t);
    return t;
}

static int g_act(Graph *g, const char *name) { return graph_add_tensor(g, name, DT_F32, 0, NULL); }

static int g_const(Graph *g, const char *name, const Arr *a)
{
    int64_t n = numel(a);
    float *buf = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) buf[i] = (float)a->v[i];
    int t = graph_add_const(g, name, DT_F32, a->rank, a->dims, buf);
    free(buf);
    return t;
}

static int g_node(Graph *g, OpKind op, const int *ins, int nin, int out)
{
    char name[32];
    snprintf(name, sizeof name, "n%d", g->n_nodes);
    return graph_add_node(g, op, op_name(op), name, -1, ins, nin, &out, 1);
}

static void g_output(Graph *g, int t)
{
    g->tensors[t].is_output = true;
    graph_add_output(g, t);
}

/* Run g (one input "x" = a) with opt, and every convolution on path force unless it is
 * CONV_PATH_AUTO, twice (the second run uses the memory plan); both runs' output 0 must
 * agree bit for bit.  Returns output 0 in a fresh Arr (NULL data on failure, reported). */
static Arr run_graph_forced(Graph *g, const Arr *a, const ExecOptions *opt, int keep_all, ConvPath force)
{
    Arr y = {0};
    char err[256];
    Exec *e = exec_new_with(g, opt, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (!e) return y;
    exec_keep_all(e, keep_all);
    if (force != CONV_PATH_AUTO) exec_conv_force(e, force);
    int64_t n = numel(a);
    float *x = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) x[i] = (float)a->v[i];
    float *first = NULL;
    for (int run = 0; run < 2; run++) {
        int rc = exec_set_input(e, "x", x, a->dims, a->rank, err, sizeof err);
        if (!rc) rc = exec_run(e, NULL, err, sizeof err);
        EXPECT_MSG(rc == 0, "run %d: %s", run, err);
        if (rc) break;
        int64_t d[GRAPH_MAX_RANK];
        int r;
        const float *o = exec_output(e, 0, d, &r);
        EXPECT(o != NULL);
        if (!o) break;
        if (run == 0) {
            y = arr(r, d);
            for (int64_t i = 0; i < numel(&y); i++) y.v[i] = o[i];
            first = malloc(sizeof(float) * (size_t)(numel(&y) ? numel(&y) : 1));
            memcpy(first, o, sizeof(float) * (size_t)numel(&y));
        } else {
            EXPECT_MSG(!memcmp(first, o, sizeof(float) * (size_t)numel(&y)), "the planned run differs from the first");
        }
    }
    free(first);
    free(x);
    exec_free(e);
    return y;
}

static Arr run_graph(Graph *g, const Arr *a, const ExecOptions *opt, int keep_all)
{
    return run_graph_forced(g, a, opt, keep_all, CONV_PATH_AUTO);
}

/* max |a - b| / (1 + |b|) */
static double rel_diff(const Arr *a, const Arr *b)
{
    if (!a->v || !b->v || numel(a) != numel(b)) return INFINITY;
    double m = 0;
    for (int64_t i = 0; i < numel(a); i++) {
        double d = fabs(a->v[i] - b->v[i]) / (1 + fabs(b->v[i]));
        if (d > m || d != d) m = d != d ? INFINITY : d;
    }
    return m;
}

static const char *const kernel_names[] = {"best", "portable", "avx2", "avx512"};
/* the ExecConvChoice paths, then the blocked path (forced through exec_conv_force) */
static const char *const conv_names[] = {"auto", "reference", "gemm1x1", "direct", "im2col", "winograd", "blocked"};
#define PATH_BLOCKED 6

/* ---- convolution against the reference ----------------------------------------------------- */

typedef enum { EPI_NONE, EPI_SILU, EPI_SIGMUL, EPI_RELU, EPI_SIGMOID, EPI_BN_SILU } Epi;

typedef struct {
    const char *what;
    int64_t N, C, H, W, M, kh, kw, sh, sw, dh, dw, group;
    int64_t pads[4]; /* top, left, bottom, right */
    Epi epi;
    bool one_d;      /* rank-3 input (H must be 1, kh 1) */
} ConvCase;

static double act_ref(Epi e, double v)
{
    switch (e) {
    case EPI_SILU: case EPI_SIGMUL: case EPI_BN_SILU: return f_silu(v);
    case EPI_RELU: return f_relu(v);
    case EPI_SIGMOID: return f_sigmoid(v);
    default: return v;
    }
}

static void conv_case(const ConvCase *c)
{
    int64_t xd[4] = {c->N, c->C, c->H, c->W}, wd[4] = {c->M, c->C / c->group, c->kh, c->kw}, bd[1] = {c->M};
    Arr x = arr_rand(4, xd, 1.0), w = arr_rand(4, wd, 0.5), b = arr_rand(1, bd, 0.3);
    Arr gamma = arr_rand(1, bd, 0.5), beta = arr_rand(1, bd, 0.2), mean = arr_rand(1, bd, 0.2), var = arr_rand(1, bd, 0.4);
    for (int64_t m = 0; m < c->M; m++) {
        gamma.v[m] += 1.0;
        var.v[m] = fabs(var.v[m]) + 0.5;
    }
    /* the reference (the ConvCase pads are top, left, bottom, right as ref_conv takes them) */
    int64_t st[2] = {c->sh, c->sw}, dl[2] = {c->dh, c->dw};
    Arr ref = ref_conv(&x, &w, &b, st, c->pads, dl, c->group);
    for (int64_t i = 0; i < numel(&ref); i++) {
        int64_t m = (i / (ref.dims[2] * ref.dims[3])) % c->M;
        double v = ref.v[i];
        if (c->epi == EPI_BN_SILU) v = (v - mean.v[m]) / sqrt(var.v[m] + 1e-5) * gamma.v[m] + beta.v[m];
        ref.v[i] = act_ref(c->epi, v);
    }
    /* the graph */
    Graph *g = graph_new();
    Arr xin = x;
    int64_t x1d[3] = {c->N, c->C, c->W};
    if (c->one_d) xin = (Arr){.rank = 3, .dims = {c->N, c->C, c->W}, .v = x.v};
    int xt = g_input(g, "x", c->one_d ? 3 : 4, c->one_d ? x1d : xd);
    Arr w1 = w;
    if (c->one_d) w1 = (Arr){.rank = 3, .dims = {wd[0], wd[1], wd[3]}, .v = w.v};
    int ins[3] = {xt, g_const(g, "w", &w1), g_const(g, "b", &b)}, y = g_act(g, "y");
    int cn = g_node(g, OP_CONV, ins, 3, y);
    if (c->one_d) {
        int64_t p[2] = {c->pads[1], c->pads[3]}, s[1] = {c->sw}, d[1] = {c->dw};
        node_set_ints(g, cn, "pads", p, 2);
        node_set_ints(g, cn, "strides", s, 1);
        node_set_ints(g, cn, "dilations", d, 1);
    } else {
        int64_t p[4] = {c->pads[0], c->pads[1], c->pads[2], c->pads[3]};
        node_set_ints(g, cn, "pads", p, 4);
        node_set_ints(g, cn, "strides", st, 2);
        node_set_ints(g, cn, "dilations", dl, 2);
    }
    node_set_int(g, cn, "group", c->group);
    int out = y;
    if (c->epi == EPI_BN_SILU) {
        int bn_in[5] = {y, g_const(g, "gamma", &gamma), g_const(g, "beta", &beta), g_const(g, "mean", &mean),
                        g_const(g, "var", &var)};
        int z = g_act(g, "bn");
        node_set_float(g, g_node(g, OP_BATCHNORM, bn_in, 5, z), "epsilon", 1e-5);
        out = g_act(g, "silu");
        g_node(g, OP_SILU, &z, 1, out);
    } else if (c->epi == EPI_SIGMUL) {
        int s = g_act(g, "sig"), mi[2];
        g_node(g, OP_SIGMOID, &y, 1, s);
        mi[0] = y;
        mi[1] = s;
        out = g_act(g, "mul");
        g_node(g, OP_MUL, mi, 2, out);
    } else if (c->epi != EPI_NONE) {
        out = g_act(g, "act");
        g_node(g, c->epi == EPI_SILU ? OP_SILU : c->epi == EPI_RELU ? OP_RELU : OP_SIGMOID, &y, 1, out);
    }
    g_output(g, out);
    /* every path, kernel set and a thread count that does not divide the work */
    for (int ks = 1; ks <= 3; ks++)
        for (int path = 0; path <= PATH_BLOCKED; path++)
            for (int th = 1; th <= 3; th += 2) {
                if (path == 1 && (ks != 1 || th != 1)) continue; /* the reference is one path */
                bool blocked = path == PATH_BLOCKED;
                ExecOptions opt = {.threads = th, .kernels = (ExecKernelSet)ks, .conv = blocked ? 0 : (ExecConvChoice)path};
                Arr got = run_graph_forced(g, &xin, &opt, 0, blocked ? CONV_PATH_BLOCKED : CONV_PATH_AUTO);
                double d = rel_diff(&got, &ref);
                /* Winograd's transforms cost a few bits more than direct sums */
                EXPECT_MSG(d <= 2e-5, "%s: %s kernels, %s path, %d threads: rel |d| %g", c->what, kernel_names[ks],
                           conv_names[path], th, d);
                free(got.v);
            }
    /* keep_all (no fusion, every tensor kept) gives the same values */
    ExecOptions opt = {.threads = 2};
    Arr kept = run_graph(g, &xin, &opt, 1);
    EXPECT_MSG(rel_diff(&kept, &ref) <= 2e-5, "%s: keep_all rel |d| %g", c->what, rel_diff(&kept, &ref));
    free(kept.v);
    graph_free(g);
    free(x.v);
    free(w.v);
    free(b.v);
    free(gamma.v);
    free(beta.v);
    free(mean.v);
    free(var.v);
    free(ref.v);
}

static void test_conv_pointwise_shapes(void)
{
    ConvCase cases[] = {
        {"1x1 5->7 on 9x11", 1, 5, 9, 11, 7, 1, 1, 1, 1, 1, 1, 1, {0, 0, 0, 0}, EPI_SILU, false},
        {"1x1 33->19 on 1x37, batch 2", 2, 33, 1, 37, 19, 1, 1, 1, 1, 1, 1, 1, {0, 0, 0, 0}, EPI_NONE, false},
        {"1x1 stride 2", 1, 6, 9, 10, 9, 1, 1, 2, 2, 1, 1, 1, {0, 0, 0, 0}, EPI_RELU, false},
        {"1x1 with padding", 1, 4, 5, 6, 3, 1, 1, 1, 1, 1, 1, 1, {1, 0, 2, 1}, EPI_NONE, false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) conv_case(&cases[i]);
}

static void test_conv_3x3_shapes(void)
{
    ConvCase cases[] = {
        {"3x3 s1 13->17 on 15x14", 1, 13, 15, 14, 17, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, EPI_SIGMUL, false},
        {"3x3 s1 8->9 on 21x22 (Winograd edge tiles)", 1, 8, 21, 22, 9, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, EPI_BN_SILU,
         false},
        {"3x3 s2 6->10 on 17x19", 1, 6, 17, 19, 10, 3, 3, 2, 2, 1, 1, 1, {1, 1, 1, 1}, EPI_SILU, false},
        {"3x3 s2 3->16 on 40x38 (first layer)", 1, 3, 40, 38, 16, 3, 3, 2, 2, 1, 1, 1, {1, 1, 1, 1}, EPI_SILU, false},
        {"3x3 dilation 2", 1, 5, 13, 12, 6, 3, 3, 1, 1, 2, 2, 1, {2, 2, 2, 2}, EPI_NONE, false},
        {"3x3 asymmetric pads, batch 2", 2, 9, 11, 7, 11, 3, 3, 1, 1, 1, 1, 1, {0, 1, 2, 0}, EPI_SIGMOID, false},
        {"3x3 no padding, 64 wide", 1, 10, 6, 66, 12, 3, 3, 1, 1, 1, 1, 1, {0, 0, 0, 0}, EPI_RELU, false},
        {"5x5 stride 3 dilation 2", 1, 4, 19, 23, 5, 5, 5, 3, 3, 2, 2, 1, {3, 2, 1, 4}, EPI_NONE, false},
        {"3x1 / 1x3 strides 2x1", 1, 7, 12, 13, 8, 3, 1, 2, 1, 1, 1, 1, {1, 0, 1, 0}, EPI_NONE, false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) conv_case(&cases[i]);
}

/* the blocked (NCHWc) path on what its tiles and channel blocks meet at their edges: 1, 3
 * and 17 input channels (one lane, a part block, a block and one), output channels that
 * fill no block, several panels, rows wider than one tile, odd maps, batch 2 */
static void test_conv_blocked_shapes(void)
{
    ConvCase cases[] = {
        {"blocked 3x3 s1 1->5 on 7x5", 1, 1, 7, 5, 5, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, EPI_NONE, false},
        {"blocked 3x3 s2 3->13 on 7x5, batch 2", 2, 3, 7, 5, 13, 3, 3, 2, 2, 1, 1, 1, {1, 1, 1, 1}, EPI_SILU, false},
        {"blocked 3x3 s1 17->11 on 5x7, no padding", 1, 17, 5, 7, 11, 3, 3, 1, 1, 1, 1, 1, {0, 0, 0, 0}, EPI_RELU,
         false},
        {"blocked 3x3 s2 17->37 on 9x31, no padding", 1, 17, 9, 31, 37, 3, 3, 2, 2, 1, 1, 1, {0, 0, 0, 0}, EPI_NONE,
         false},
        {"blocked 3x3 s1 3->19 on 11x53, batch 2", 2, 3, 11, 53, 19, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, EPI_SIGMUL,
         false},
        {"blocked 3x3 s2 1->33 on 6x27", 1, 1, 6, 27, 33, 3, 3, 2, 2, 1, 1, 1, {1, 1, 1, 1}, EPI_BN_SILU, false},
        {"blocked 3x3 s2 17->7 on 5x7, batch 2", 2, 17, 5, 7, 7, 3, 3, 2, 2, 1, 1, 1, {1, 1, 1, 1}, EPI_SIGMOID, false},
        {"blocked 3x3 s1 35->9 on 7x5", 1, 35, 7, 5, 9, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, EPI_SILU, false},
        /* shapes the planner itself gives the blocked path (conv_blocked_pays) */
        {"auto-blocked 3x3 s1 32->21 on 20x20", 1, 32, 20, 20, 21, 3, 3, 1, 1, 1, 1, 1, {1, 1, 1, 1}, EPI_BN_SILU,
         false},
        {"auto-blocked 3x3 s2 256->9 on 13x11, batch 2", 2, 256, 13, 11, 9, 3, 3, 2, 2, 1, 1, 1, {1, 1, 1, 1},
         EPI_NONE, false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) conv_case(&cases[i]);
}

/* the planner's choice: a 3x3 stride-1 layer with 32 input channels on a 20x20 map runs
 * blocked, float32 only; with 16 channels, or on a 40x40 map, it does not */
static void test_blocked_choice(void)
{
    const struct {
        int64_t C, H;
        DType dt;
        bool blocked;
    } cases[] = {{32, 20, DT_F32, true}, {16, 20, DT_F32, false}, {32, 40, DT_F32, false}, {32, 20, DT_F16, false}};
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        Graph *g = graph_new();
        int64_t xd[4] = {1, cases[i].C, cases[i].H, cases[i].H}, wd[4] = {24, cases[i].C, 3, 3};
        Arr x = arr_rand(4, xd, 1.0), w = arr_rand(4, wd, 0.3);
        int xt = graph_add_tensor(g, "x", cases[i].dt, 4, xd);
        g->tensors[xt].is_input = true;
        graph_add_input(g, xt);
        int ins[2] = {xt, g_const(g, "w", &w)}, y = graph_add_tensor(g, "y", cases[i].dt, 0, NULL);
        int cn = g_node(g, OP_CONV, ins, 2, y);
        int64_t p1[4] = {1, 1, 1, 1};
        node_set_ints(g, cn, "pads", p1, 4);
        g_output(g, y);
        char err[256];
        Exec *e = exec_new(g, err, sizeof err);
        exec_set_profile(e, 1);
        float *xv = malloc(sizeof(float) * (size_t)numel(&x));
        for (int64_t k = 0; k < numel(&x); k++) xv[k] = (float)x.v[k];
        ExecNodeInfo info = {0};
        for (int run = 0; run < 2; run++) {
            EXPECT(!exec_set_input(e, "x", xv, xd, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err));
            EXPECT(exec_node_info(e, cn, &info) == 0);
            EXPECT_MSG((strstr(info.path, "blocked") != NULL) == cases[i].blocked, "%lld channels on %lldx%lld%s: '%s'",
                       (long long)cases[i].C, (long long)cases[i].H, (long long)cases[i].H,
                       cases[i].dt == DT_F16 ? " (float16)" : "", info.path);
        }
        exec_free(e);
        free(xv);
        free(x.v);
        free(w.v);
        graph_free(g);
    }
}

static void test_conv_groups_depthwise_1d(void)
{
    ConvCase cases[] = {
        {"groups 2, 6->4", 1, 6, 9, 8, 4, 3, 3, 1, 1, 1, 1, 2, {1, 1, 1, 1}, EPI_SILU, false},
        {"groups 3, 9->12, stride 2", 2, 9, 10, 11, 12, 3, 3, 2, 2, 1, 1, 3, {1, 1, 1, 1}, EPI_NONE, false},
        {"depthwise 9, 3x3 s1", 1, 9, 14, 13, 9, 3, 3, 1, 1, 1, 1, 9, {1, 1, 1, 1}, EPI_BN_SILU, false},
        {"depthwise 5, 3x3 s2", 1, 5, 15, 16, 5, 3, 3, 2, 2, 1, 1, 5, {1, 1, 1, 1}, EPI_RELU, false},
        {"depthwise 4 x2 (multiplier), 5x5", 1, 4, 12, 12, 8, 5, 5, 1, 1, 1, 1, 4, {2, 2, 2, 2}, EPI_NONE, false},
        {"1-D conv k5 s2", 2, 6, 1, 29, 7, 1, 5, 1, 2, 1, 1, 1, {0, 2, 0, 2}, EPI_SILU, true},
        {"1-D pointwise", 1, 5, 1, 31, 3, 1, 1, 1, 1, 1, 1, 1, {0, 0, 0, 0}, EPI_NONE, true},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) conv_case(&cases[i]);
}

/* ---- float16 storage: the fused epilogue rounds where the graph does --------------------- */

static void test_half_epilogue(void)
{
    /* conv -> sigmoid -> mul, every tensor float16: fused and unfused runs agree exactly */
    Graph *g = graph_new();
    int64_t xd[4] = {1, 8, 12, 10}, wd[4] = {9, 8, 3, 3}, bd[1] = {9};
    Arr x = arr_rand(4, xd, 2.0), w = arr_rand(4, wd, 0.5), b = arr_rand(1, bd, 0.3);
    int xt = graph_add_tensor(g, "x", DT_F16, 4, xd);
    g->tensors[xt].is_input = true;
    graph_add_input(g, xt);
    int ins[3] = {xt, g_const(g, "w", &w), g_const(g, "b", &b)};
    int y = graph_add_tensor(g, "y", DT_F16, 0, NULL), s = graph_add_tensor(g, "s", DT_F16, 0, NULL),
        z = graph_add_tensor(g, "z", DT_F16, 0, NULL);
    int64_t p1[4] = {1, 1, 1, 1};
    node_set_ints(g, g_node(g, OP_CONV, ins, 3, y), "pads", p1, 4);
    g_node(g, OP_SIGMOID, &y, 1, s);
    int mi[2] = {y, s};
    g_node(g, OP_MUL, mi, 2, z);
    g_output(g, z);
    for (int ks = 1; ks <= 3; ks++)
        for (int path = 0; path <= PATH_BLOCKED; path++) { /* blocked: float32 only, the reference runs it */
            bool blocked = path == PATH_BLOCKED;
            ExecOptions opt = {.threads = 2, .kernels = (ExecKernelSet)ks, .conv = blocked ? 0 : (ExecConvChoice)path};
            ConvPath force = blocked ? CONV_PATH_BLOCKED : CONV_PATH_AUTO;
            Arr fused = run_graph_forced(g, &x, &opt, 0, force), plain = run_graph_forced(g, &x, &opt, 1, force);
            bool same = fused.v && plain.v && numel(&fused) == numel(&plain);
            for (int64_t i = 0; same && i < numel(&fused); i++) same = fused.v[i] == plain.v[i];
            EXPECT_MSG(same, "%s kernels, %s path: fused and unfused half results differ", kernel_names[ks],
                       conv_names[path]);
            /* every value is a float16 */
            for (int64_t i = 0; fused.v && i < numel(&fused); i++)
                if ((float)fused.v[i] != half_to_float(float_to_half((float)fused.v[i]))) {
                    EXPECT_MSG(0, "value %lld (%g) is not a float16", (long long)i, fused.v[i]);
                    break;
                }
            free(fused.v);
            free(plain.v);
        }
    graph_free(g);
    free(x.v);
    free(w.v);
    free(b.v);
}

/* ---- the memory plan: Split views and Concat written in place ----------------------------- */

static void test_memory_plan_c2f(void)
{
    /* x -> conv(1x1) -> split(2) -> [a, b]; b -> conv3x3 -> silu -> add(b) = m;
     * concat(a, b, m) -> conv(1x1) -> out; and an extra reader of a after the concat */
    Graph *g = graph_new();
    int64_t xd[4] = {1, 6, 9, 11}, w1d[4] = {8, 6, 1, 1}, w2d[4] = {4, 4, 3, 3}, w3d[4] = {5, 12, 1, 1};
    int64_t b8[1] = {8}, b4[1] = {4}, b5[1] = {5};
    Arr x = arr_rand(4, xd, 1.0), w1 = arr_rand(4, w1d, 0.5), w2 = arr_rand(4, w2d, 0.3), w3 = arr_rand(4, w3d, 0.4);
    Arr c1 = arr_rand(1, b8, 0.1), c2 = arr_rand(1, b4, 0.1), c3 = arr_rand(1, b5, 0.1);
    int xt = g_input(g, "x", 4, (int64_t[]){1, 6, -1, -1}); /* any height and width */
    int i1[3] = {xt, g_const(g, "w1", &w1), g_const(g, "b1", &c1)}, t1 = g_act(g, "t1"), s1 = g_act(g, "s1");
    g_node(g, OP_CONV, i1, 3, t1);
    g_node(g, OP_SILU, &t1, 1, s1);
    int a = g_act(g, "a"), bb = g_act(g, "b"), so[2] = {a, bb};
    int64_t two[2] = {4, 4}, sd[1] = {2};
    int si[2] = {s1, graph_add_const(g, "split", DT_I64, 1, sd, two)};
    node_set_int(g, graph_add_node(g, OP_SPLIT, "Split", "split", -1, si, 2, so, 2), "axis", 1);
    int i2[3] = {bb, g_const(g, "w2", &w2), g_const(g, "b2", &c2)}, t2 = g_act(g, "t2"), s2 = g_act(g, "s2"),
        m = g_act(g, "m");
    int64_t p1[4] = {1, 1, 1, 1};
    node_set_ints(g, g_node(g, OP_CONV, i2, 3, t2), "pads", p1, 4);
    g_node(g, OP_SILU, &t2, 1, s2);
    int ai[2] = {s2, bb};
    g_node(g, OP_ADD, ai, 2, m);
    int ci[3] = {a, bb, m}, cat = g_act(g, "cat");
    node_set_int(g, g_node(g, OP_CONCAT, ci, 3, cat), "axis", 1);
    /* a is read once more, after the concat and before the concat's reader: that read must
     * not take a's buffer over in place (it lies inside the concat's output) */
    int late = g_act(g, "late"), fin = g_act(g, "final");
    g_node(g, OP_SIGMOID, &a, 1, late);
    int i3[3] = {cat, g_const(g, "w3", &w3), g_const(g, "b3", &c3)}, out = g_act(g, "out");
    g_node(g, OP_CONV, i3, 3, out);
    int ri[2] = {out, graph_add_const(g, "shape", DT_I64, 1, (int64_t[]){1}, (int64_t[]){-1})};
    int flat = g_act(g, "flat");
    g_node(g, OP_RESHAPE, ri, 2, flat);
    int li[2] = {late, graph_add_const(g, "shape2", DT_I64, 1, (int64_t[]){1}, (int64_t[]){-1})};
    int lflat = g_act(g, "lflat");
    g_node(g, OP_RESHAPE, li, 2, lflat);
    int fi[2] = {flat, lflat};
    node_set_int(g, g_node(g, OP_CONCAT, fi, 2, fin), "axis", 0);
    g_output(g, fin);
    ExecOptions ref = {.threads = 1, .conv = EXEC_CONV_REFERENCE};
    Arr want = run_graph(g, &x, &ref, 1); /* every tensor kept: no buffer shared */
    for (int th = 1; th <= 2; th++) {
        ExecOptions opt = {.threads = th};
        Arr got = run_graph(g, &x, &opt, 0);
        EXPECT_MSG(rel_diff(&got, &want) <= 2e-5, "%d threads: rel |d| %g", th, rel_diff(&got, &want));
        free(got.v);
    }
    /* the planned peak is reported and smaller than keeping every tensor */
    char err[256];
    Exec *e = exec_new(g, err, sizeof err), *k = exec_new(g, err, sizeof err);
    exec_keep_all(k, 1);
    float *xv = malloc(sizeof(float) * (size_t)numel(&x));
    for (int64_t i = 0; i < numel(&x); i++) xv[i] = (float)x.v[i];
    for (int r = 0; r < 2; r++) {
        EXPECT(!exec_set_input(e, "x", xv, xd, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err));
        EXPECT(!exec_set_input(k, "x", xv, xd, 4, err, sizeof err) && !exec_run(k, NULL, err, sizeof err));
    }
    EXPECT_MSG(exec_peak_bytes(e) > 0 && exec_peak_bytes(e) < exec_peak_bytes(k), "peak %lld planned vs %lld kept",
               (long long)exec_peak_bytes(e), (long long)exec_peak_bytes(k));
    /* a new input shape makes a new plan */
    int64_t xd2[4] = {1, 6, 7, 5};
    EXPECT(!exec_set_input(e, "x", xv, xd2, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err));
    EXPECT(!exec_set_input(e, "x", xv, xd2, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err));
    int64_t od[8];
    int orank;
    EXPECT(exec_output(e, 0, od, &orank) && od[0] == 5 * 7 * 5 + 4 * 7 * 5);
    exec_free(e);
    exec_free(k);
    free(xv);
    graph_free(g);
    free(x.v), free(w1.v), free(w2.v), free(w3.v), free(c1.v), free(c2.v), free(c3.v);
    free(want.v);
}

/* ---- threaded elementwise, softmax, pooling and resize --------------------------------------- */

static void test_threaded_ops(void)
{
    /* softmax over the channel axis of a large tensor (the vector path), max pool 5x5 s1
     * (the separable path), 3x3 s2 max pool, average pool, nearest resize x2, broadcasting Mul */
    int64_t xd[4] = {1, 16, 37, 41};
    Arr x = arr_rand(4, xd, 3.0);
    Graph *g = graph_new();
    int xt = g_input(g, "x", 4, xd), sm = g_act(g, "sm");
    node_set_int(g, g_node(g, OP_SOFTMAX, &xt, 1, sm), "axis", 1);
    g_output(g, sm);
    Arr want = ref_softmax(&x, 1);
    for (int th = 1; th <= 3; th += 2) {
        ExecOptions opt = {.threads = th};
        Arr got = run_graph(g, &x, &opt, 0);
        double d = 0;
        for (int64_t i = 0; got.v && i < numel(&got); i++) d = fmax(d, fabs(got.v[i] - want.v[i]));
        EXPECT_MSG(got.v && d <= 1e-6, "softmax, %d threads: max |d| %g", th, d);
        free(got.v);
    }
    free(want.v);
    graph_free(g);

    struct {
        int64_t k[2], st[2], pd[4];
        bool is_max;
    } pools[] = {{{5, 5}, {1, 1}, {2, 2, 2, 2}, true}, {{3, 3}, {2, 2}, {1, 1, 1, 1}, true},
                 {{2, 3}, {1, 2}, {0, 1, 1, 0}, false}, {{3, 3}, {1, 1}, {0, 0, 0, 0}, true}};
    for (size_t pi = 0; pi < ARRAY_LEN(pools); pi++) {
        g = graph_new();
        xt = g_input(g, "x", 4, xd);
        int y = g_act(g, "y");
        int n = g_node(g, pools[pi].is_max ? OP_MAXPOOL : OP_AVGPOOL, &xt, 1, y);
        node_set_ints(g, n, "kernel_shape", pools[pi].k, 2);
        node_set_ints(g, n, "strides", pools[pi].st, 2);
        node_set_ints(g, n, "pads", pools[pi].pd, 4);
        g_output(g, y);
        int64_t Ho = (xd[2] + pools[pi].pd[0] + pools[pi].pd[2] - pools[pi].k[0]) / pools[pi].st[0] + 1;
        int64_t Wo = (xd[3] + pools[pi].pd[1] + pools[pi].pd[3] - pools[pi].k[1]) / pools[pi].st[1] + 1;
        want = ref_pool(&x, pools[pi].k, pools[pi].st, pools[pi].pd, Ho, Wo, pools[pi].is_max, false);
        for (int th = 1; th <= 3; th += 2) {
            ExecOptions opt = {.threads = th};
            Arr got = run_graph(g, &x, &opt, 0);
            EXPECT_MSG(rel_diff(&got, &want) <= 1e-6, "pool %zu, %d threads: rel |d| %g", pi, th, rel_diff(&got, &want));
            free(got.v);
        }
        free(want.v);
        graph_free(g);
    }

    /* nearest resize x2 then a broadcasting Mul by a per-channel constant */
    g = graph_new();
    xt = g_input(g, "x", 4, xd);
    int64_t four[1] = {4}, cd[4] = {1, 16, 1, 1};
    float sc[4] = {1, 1, 2, 2};
    int ri[3] = {xt, -1, graph_add_const(g, "scales", DT_F32, 1, four, sc)}, up = g_act(g, "up"), y = g_act(g, "y");
    int rn = g_node(g, OP_RESIZE, ri, 3, up);
    node_set_string(g, rn, "mode", "nearest");
    node_set_string(g, rn, "coordinate_transformation_mode", "asymmetric");
    node_set_string(g, rn, "nearest_mode", "floor");
    Arr ch = arr_rand(4, cd, 1.0);
    int mi[2] = {up, g_const(g, "ch", &ch)};
    g_node(g, OP_MUL, mi, 2, y);
    g_output(g, y);
    want = arr(4, (int64_t[]){1, 16, 74, 82});
    for (int64_t c = 0; c < 16; c++)
        for (int64_t i = 0; i < 74; i++)
            for (int64_t j = 0; j < 82; j++) AT4(want, 0, c, i, j) = AT4(x, 0, c, i / 2, j / 2) * ch.v[c];
    for (int th = 1; th <= 3; th += 2) {
        ExecOptions opt = {.threads = th};
        Arr got = run_graph(g, &x, &opt, 0);
        EXPECT_MSG(rel_diff(&got, &want) <= 1e-6, "resize+mul, %d threads: rel |d| %g", th, rel_diff(&got, &want));
        free(got.v);
    }
    free(want.v);
    free(ch.v);
    graph_free(g);
    free(x.v);
}

/* ---- node reports ---------------------------------------------------------------------------- */

static void test_node_info_paths(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 16, 40, 40}, w1d[4] = {16, 16, 3, 3}, w2d[4] = {8, 16, 1, 1}, w3d[4] = {8, 8, 3, 3};
    Arr x = arr_rand(4, xd, 1.0), w1 = arr_rand(4, w1d, 0.3), w2 = arr_rand(4, w2d, 0.3), w3 = arr_rand(4, w3d, 0.3);
    int xt = g_input(g, "x", 4, xd), a = g_act(g, "a"), s = g_act(g, "s"), b = g_act(g, "b"), c = g_act(g, "c");
    int d = g_act(g, "d");
    int i1[2] = {xt, g_const(g, "w1", &w1)}, i2[2] = {s, g_const(g, "w2", &w2)}, i3[2] = {b, g_const(g, "w3", &w3)};
    int i5[2] = {c, g_const(g, "w5", &w3)};
    int64_t p1[4] = {1, 1, 1, 1}, s2[2] = {2, 2};
    int n1 = g_node(g, OP_CONV, i1, 2, a);
    node_set_ints(g, n1, "pads", p1, 4);
    int n2 = g_node(g, OP_SILU, &a, 1, s);
    int n3 = g_node(g, OP_CONV, i2, 2, b);
    int n4 = g_node(g, OP_CONV, i3, 2, c);
    node_set_ints(g, n4, "pads", p1, 4);
    node_set_ints(g, n4, "strides", s2, 2);
    int n5 = g_node(g, OP_CONV, i5, 2, d); /* 3x3 stride 1 on a 20x20 map: too small for Winograd */
    node_set_ints(g, n5, "pads", p1, 4);
    g_output(g, d);
    char err[256];
    Exec *e = exec_new(g, err, sizeof err);
    exec_set_profile(e, 1);
    float *xv = malloc(sizeof(float) * (size_t)numel(&x));
    for (int64_t i = 0; i < numel(&x); i++) xv[i] = (float)x.v[i];
    EXPECT(!exec_set_input(e, "x", xv, xd, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err));
    ExecNodeInfo info;
    EXPECT(exec_node_info(e, n1, &info) == 0 && strstr(info.path, "winograd") && info.macs == 16.0 * 16 * 9 * 1600);
    EXPECT(exec_node_info(e, n2, &info) == 0 && !strcmp(info.path, "fused"));
    EXPECT(exec_node_info(e, n3, &info) == 0 && strstr(info.path, "1x1 gemm"));
    EXPECT(exec_node_info(e, n4, &info) == 0 && (strstr(info.path, "direct") || strstr(info.path, "im2col")));
    EXPECT_MSG(exec_node_info(e, n5, &info) == 0 && (strstr(info.path, "direct") || strstr(info.path, "im2col")) &&
                   info.macs == 8.0 * 8 * 9 * 400,
               "a 3x3 conv on a 20x20 map ran as '%s'", info.path);
    EXPECT(exec_node_info(e, 99, &info) == -1);
    EXPECT(strlen(exec_kernel_name(e)) > 0 && exec_threads(e) >= 1);
    /* forced onto the blocked path after a planned run, and back: each run says which ran */
    int64_t od[4];
    int orank;
    const float *o = exec_output(e, 0, od, &orank);
    float *first = o ? malloc(sizeof(float) * 8 * 20 * 20) : NULL;
    if (first) memcpy(first, o, sizeof(float) * 8 * 20 * 20);
    exec_conv_force(e, CONV_PATH_BLOCKED);
    EXPECT(!exec_set_input(e, "x", xv, xd, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err));
    const int convs[4] = {n1, n3, n4, n5};
    for (int i = 0; i < 4; i++)
        EXPECT_MSG(exec_node_info(e, convs[i], &info) == 0 && strstr(info.path, "blocked direct"),
                   "forced conv %d ran as '%s'", i, info.path);
    o = exec_output(e, 0, od, &orank);
    double md = 0;
    for (int64_t i = 0; o && first && i < 8 * 20 * 20; i++) md = fmax(md, fabs(o[i] - first[i]) / (1 + fabs(first[i])));
    EXPECT_MSG(o && first && md <= 2e-5, "blocked against the planned paths: rel |d| %g", md);
    exec_conv_force(e, CONV_PATH_AUTO);
    EXPECT(!exec_set_input(e, "x", xv, xd, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err));
    EXPECT(exec_node_info(e, n1, &info) == 0 && strstr(info.path, "winograd"));
    o = exec_output(e, 0, od, &orank);
    EXPECT(o && first && !memcmp(o, first, sizeof(float) * 8 * 20 * 20));
    free(first);
    exec_free(e);
    free(xv);
    graph_free(g);
    free(x.v), free(w1.v), free(w2.v), free(w3.v);
}

/* ---- observing every tensor (calibration) ----------------------------------------------------- */

typedef struct {
    int seen[8];
    double conv_max; /* largest |conv output| observed: pre-activation values exist */
    int neg;         /* negative conv outputs observed (a SiLU output is > -0.28) */
} Seen;

static void observe(void *ctx, int tensor, const float *data, const int64_t *dims, int rank)
{
    Seen *s = ctx;
    if (tensor >= 0 && tensor < 8) s->seen[tensor]++;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    if (tensor == 2) /* the conv's output */
        for (int64_t i = 0; i < n; i++) {
            s->conv_max = fmax(s->conv_max, fabs(data[i]));
            s->neg += data[i] < -0.3f;
        }
}

static void test_observer(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 8, 10, 9}, wd[4] = {8, 8, 3, 3};
    Arr x = arr_rand(4, xd, 2.0), w = arr_rand(4, wd, 0.5);
    int xt = g_input(g, "x", 4, xd), wt = g_const(g, "w", &w), y = g_act(g, "y"), s = g_act(g, "s");
    int ins[2] = {xt, wt};
    int64_t p1[4] = {1, 1, 1, 1};
    node_set_ints(g, g_node(g, OP_CONV, ins, 2, y), "pads", p1, 4);
    g_node(g, OP_SILU, &y, 1, s);
    g_output(g, s);
    EXPECT(xt == 0 && wt == 1 && y == 2 && s == 3); /* observe() knows y and s by these indices */
    char err[256];
    Exec *e = exec_new(g, err, sizeof err);
    Seen seen = {{0}, 0, 0};
    float *xv = malloc(sizeof(float) * (size_t)numel(&x));
    for (int64_t i = 0; i < numel(&x); i++) xv[i] = (float)x.v[i];
    exec_set_observer(e, observe, &seen);
    for (int r = 0; r < 2; r++)
        EXPECT(!exec_set_input(e, "x", xv, xd, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err));
    EXPECT_EQ_INT(seen.seen[2], 2);
    EXPECT_EQ_INT(seen.seen[3], 2);
    EXPECT(seen.neg > 0 && seen.conv_max > 0); /* the conv's own values, before the SiLU */
    exec_set_observer(e, NULL, NULL); /* fused again: nothing reported */
    memset(&seen, 0, sizeof seen);
    EXPECT(!exec_set_input(e, "x", xv, xd, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err));
    EXPECT_EQ_INT(seen.seen[2] + seen.seen[3], 0);
    exec_free(e);
    free(xv);
    free(x.v);
    free(w.v);
    graph_free(g);
}

int main(void)
{
    RUN(test_conv_pointwise_shapes);
    RUN(test_conv_3x3_shapes);
    RUN(test_conv_blocked_shapes);
    RUN(test_blocked_choice);
    RUN(test_conv_groups_depthwise_1d);
    RUN(test_half_epilogue);
    RUN(test_memory_plan_c2f);
    RUN(test_threaded_ops);
    RUN(test_node_info_paths);
    RUN(test_observer);
    return check_done();
}
