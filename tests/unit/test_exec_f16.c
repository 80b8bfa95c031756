/* Float16 storage of a half-precision graph's activations: a small graph with the ops of a
 * YOLO network (Conv, SiLU as Sigmoid·Mul, a depthwise and a strided Conv, Concat, MaxPool,
 * nearest Resize, Add, Sub from a float16 constant, Split, Transpose) runs with float16
 * activations and must give the
 * same bits as the same graph in float32 with each op's output rounded to half by a Cast
 * to float16 (what the executor computed before it stored float16), on every convolution
 * path and kernel set, run after run; and its planned activations take about half the
 * bytes of the float32 graph's. */
#include <string.h>

#include "engine/core/graph.h"
#include "engine/exec/exec.h"
#include "tests/check.h"

static float pat_x(int64_t i) { return (float)((i * 37) % 19 - 9) / 8.0f; }
static float pat_w(int64_t i) { return (float)((i * 53) % 23 - 11) / 16.0f; }
static float pat_b(int64_t i) { return (float)((i * 7) % 5 - 2) / 4.0f; }

#define XC 4
#define XH 32
#define XW 32
#define OUT_MAX 4096

/* What the graph's activations are: float16, float32, or float32 each rounded to half by a
 * Cast to float16 after its op. */
typedef enum { ACT_HALF, ACT_FLOAT, ACT_FLOAT_ROUNDED } ActKind;

typedef struct {
    Graph *g;
    ActKind kind;
    int n; /* names */
} Builder;

static int pat_const(Builder *b, float (*pat)(int64_t), int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    float *buf = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) buf[i] = pat(i);
    char name[32];
    snprintf(name, sizeof name, "c%d", b->n++);
    int t = graph_add_const(b->g, name, DT_F32, rank, dims, buf);
    free(buf);
    return t;
}

/* A node of op on ins with one output; ACT_FLOAT_ROUNDED adds the Cast.  Returns the node
 * through *node (may be NULL) and the tensor later ops read. */
static int op(Builder *b, OpKind kind, const int *ins, int nin, int *node)
{
    char name[32];
    snprintf(name, sizeof name, "t%d", b->n++);
    int out = graph_add_tensor(b->g, name, b->kind == ACT_HALF ? DT_F16 : DT_F32, 0, NULL);
    int ni = graph_add_node(b->g, kind, op_name(kind), name, -1, ins, nin, &out, 1);
    if (node) *node = ni;
    if (b->kind != ACT_FLOAT_ROUNDED) return out;
    snprintf(name, sizeof name, "r%d", b->n++);
    int r = graph_add_tensor(b->g, name, DT_F32, 0, NULL);
    node_set_int(b->g, graph_add_node(b->g, OP_CAST, "Cast", name, -1, &out, 1, &r, 1), "to", 10);
    return r;
}

static int conv(Builder *b, int x, int64_t m, int64_t c, int64_t k, int64_t stride, int64_t group)
{
    int64_t wd[4] = {m, c / group, k, k}, bd[1] = {m}, pads[4] = {k / 2, k / 2, k / 2, k / 2}, st[2] = {stride, stride};
    int ins[3] = {x, pat_const(b, pat_w, 4, wd), pat_const(b, pat_b, 1, bd)}, ni;
    int y = op(b, OP_CONV, ins, 3, &ni);
    node_set_ints(b->g, ni, "pads", pads, 4);
    node_set_ints(b->g, ni, "strides", st, 2);
    node_set_int(b->g, ni, "group", group);
    return y;
}

static int silu(Builder *b, int x)
{
    int s = op(b, OP_SIGMOID, &x, 1, NULL);
    int ins[2] = {x, s};
    return op(b, OP_MUL, ins, 2, NULL);
}

static Graph *build(ActKind kind)
{
    Builder b = {graph_new(), kind, 0};
    Graph *g = b.g;
    int64_t xd[4] = {1, XC, XH, XW};
    int x = graph_add_tensor(g, "x", kind == ACT_HALF ? DT_F16 : DT_F32, 4, xd);
    g->tensors[x].is_input = true;
    graph_add_input(g, x);
    int a1 = silu(&b, conv(&b, x, 8, XC, 3, 1, 1));  /* 3x3: Winograd, direct or im2col */
    int a2 = silu(&b, conv(&b, a1, 8, 8, 1, 1, 1));  /* 1x1 */
    int d = conv(&b, a2, 8, 8, 3, 1, 8);             /* depthwise */
    int ci[3] = {a1, a2, d}, ni;
    int cat = op(&b, OP_CONCAT, ci, 3, &ni);
    node_set_int(g, ni, "axis", 1);
    int mp = op(&b, OP_MAXPOOL, &cat, 1, &ni);
    int64_t two[2] = {2, 2};
    node_set_ints(g, ni, "kernel_shape", two, 2);
    node_set_ints(g, ni, "strides", two, 2);
    int64_t rd[1] = {0}, sd[1] = {4};
    float scales[4] = {1, 1, 2, 2};
    int ri[3] = {mp, graph_add_const(g, "roi", DT_F32, 1, rd, NULL), graph_add_const(g, "scales", DT_F32, 1, sd, scales)};
    int up = op(&b, OP_RESIZE, ri, 3, &ni);
    node_set_string(g, ni, "mode", "nearest");
    node_set_string(g, ni, "coordinate_transformation_mode", "asymmetric");
    node_set_string(g, ni, "nearest_mode", "floor");
    int ai[2] = {up, cat};
    int sum = op(&b, OP_ADD, ai, 2, NULL);
    int c3 = silu(&b, conv(&b, sum, 8, 24, 3, 2, 1)); /* strided */
    /* a float16 constant of the output's shape read last by Sub (as yolov8's anchors are): an
     * op must not take its buffer over, or the second run finds it gone */
    int64_t kd[4] = {1, 8, XH / 2, XW / 2};
    uint16_t kh[8 * (XH / 2) * (XW / 2)];
    for (int i = 0; i < 8 * (XH / 2) * (XW / 2); i++) kh[i] = (uint16_t)(0x3c00 + (i % 64) * 16); /* 1 .. 1.98 */
    int ki[2] = {graph_add_const(g, "k16", DT_F16, 4, kd, kh), c3};
    c3 = op(&b, OP_SUB, ki, 2, NULL);
    /* Split into halves, their product, transposed */
    char n0[16], n1[16];
    snprintf(n0, sizeof n0, "s%d", b.n++);
    snprintf(n1, sizeof n1, "s%d", b.n++);
    int so[2] = {graph_add_tensor(g, n0, kind == ACT_HALF ? DT_F16 : DT_F32, 0, NULL),
                 graph_add_tensor(g, n1, kind == ACT_HALF ? DT_F16 : DT_F32, 0, NULL)};
    node_set_int(g, graph_add_node(g, OP_SPLIT, "Split", "split", -1, &c3, 1, so, 2), "axis", 1);
    int prod = op(&b, OP_MUL, so, 2, NULL);
    int y = op(&b, OP_TRANSPOSE, &prod, 1, &ni);
    int64_t perm[4] = {0, 1, 3, 2};
    node_set_ints(g, ni, "perm", perm, 4);
    g->tensors[y].is_output = true;
    graph_add_output(g, y);
    return g;
}

/* Run g twice (a recording run, then a planned one) on the pattern input; out gets the
 * second run's output, *act_bytes the planned activations.  0 or -1. */
static int run(Graph *g, const ExecOptions *opt, float *out, int64_t *numel, int64_t *act_bytes, char *err,
               size_t errlen)
{
    Exec *e = exec_new_with(g, opt, err, errlen);
    if (!e) return -1;
    int64_t xd[4] = {1, XC, XH, XW}, od[8];
    float x[XC * XH * XW];
    for (int i = 0; i < XC * XH * XW; i++) x[i] = pat_x(i);
    int rc = 0, rank = 0;
    float first[OUT_MAX];
    for (int r = 0; r < 2 && !rc; r++) {
        rc = exec_set_input(e, "x", x, xd, 4, err, errlen) || exec_run(e, NULL, err, errlen) ? -1 : 0;
        const float *y = rc ? NULL : exec_output(e, 0, od, &rank);
        *numel = 1;
        for (int i = 0; i < rank; i++) *numel *= od[i];
        if (!rc && (!y || *numel > OUT_MAX)) rc = -1;
        if (!rc) memcpy(r ? out : first, y, sizeof(float) * (size_t)*numel);
    }
    if (!rc && memcmp(first, out, sizeof(float) * (size_t)*numel)) {
        snprintf(err, errlen, "the planned run differs from the first");
        rc = -1;
    }
    *act_bytes = exec_activation_bytes(e);
    exec_free(e);
    return rc;
}

/* Float16 storage against float32 rounded at every op, bit for bit. */
static void test_half_bits(void)
{
    Graph *half = build(ACT_HALF), *ref = build(ACT_FLOAT_ROUNDED);
    static const ExecConvChoice convs[] = {EXEC_CONV_AUTO, EXEC_CONV_REFERENCE, EXEC_CONV_GEMM1X1, EXEC_CONV_DIRECT,
                                           EXEC_CONV_IM2COL, EXEC_CONV_WINOGRAD};
    static const ExecKernelSet sets[] = {EXEC_KERNELS_BEST, EXEC_KERNELS_PORTABLE};
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
        for (size_t c = 0; c < sizeof convs / sizeof convs[0]; c++)
            for (int threads = 1; threads <= 2; threads++) {
                ExecOptions opt = {.threads = threads, .kernels = sets[s], .conv = convs[c]};
                float a[OUT_MAX], b[OUT_MAX];
                int64_t na = 0, nb = 0, act_a, act_b;
                char err[256] = "";
                EXPECT_MSG(run(half, &opt, a, &na, &act_a, err, sizeof err) == 0, "%s", err);
                EXPECT_MSG(run(ref, &opt, b, &nb, &act_b, err, sizeof err) == 0, "%s", err);
                EXPECT_EQ_INT(na, 8 / 2 * (XH / 2) * (XW / 2));
                EXPECT_EQ_INT(na, nb);
                int64_t diff = 0;
                for (int64_t i = 0; i < na && na == nb; i++) diff += memcmp(&a[i], &b[i], sizeof(float)) != 0;
                EXPECT_MSG(diff == 0, "kernels %d, conv %d, %d threads: %lld of %lld outputs differ", (int)sets[s],
                           (int)convs[c], threads, (long long)diff, (long long)na);
                /* and they are float16 values, not float32 ones that happen to agree */
                int64_t not_half = 0;
                for (int64_t i = 0; i < na; i++) {
                    float f = a[i];
                    uint32_t u;
                    memcpy(&u, &f, 4);
                    not_half += (u & 0x1fff) != 0 && fabsf(f) >= 6.2e-5f;
                }
                EXPECT_EQ_INT(not_half, 0);
            }
    graph_free(half);
    graph_free(ref);
}

/* The half graph's planned activations against the float32 graph's. */
static void test_half_memory(void)
{
    Graph *half = build(ACT_HALF), *full = build(ACT_FLOAT);
    for (int threads = 1; threads <= 2; threads++) {
        ExecOptions opt = {.threads = threads};
        float a[OUT_MAX], b[OUT_MAX];
        int64_t na, nb, act_half = 0, act_full = 0;
        char err[256] = "";
        EXPECT_MSG(run(half, &opt, a, &na, &act_half, err, sizeof err) == 0, "%s", err);
        EXPECT_MSG(run(full, &opt, b, &nb, &act_full, err, sizeof err) == 0, "%s", err);
        EXPECT(act_full > 0);
        EXPECT_MSG(act_half < 0.6 * (double)act_full, "%d threads: half %lld bytes, float %lld", threads,
                   (long long)act_half, (long long)act_full);
    }
    graph_free(half);
    graph_free(full);
}

int main(void)
{
    RUN(test_half_bits);
    RUN(test_half_memory);
    return check_done();
}
