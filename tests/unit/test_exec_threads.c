/* The executor's threads, under ThreadSanitizer as well as ASan: the pool runs every task
 * exactly once, back to back and after its workers fell asleep; an Exec's runs on several
 * threads give the same bytes as on one; several Execs, each with its own pool, run side by
 * side on one graph; cancelling from another thread stops a threaded run. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "engine/core/graph.h"
#include "engine/exec/exec.h"
#include "engine/exec/exec_kern.h"
#include "engine/exec/exec_pool.h"
#include "tests/check.h"

typedef struct {
    atomic_int *hits;
    atomic_int bad_worker;
    int workers;
} Hits;

static void count_task(void *ctx, int64_t t, int worker)
{
    Hits *h = ctx;
    atomic_fetch_add(&h->hits[t], 1);
    if (worker < 0 || worker >= h->workers) atomic_store(&h->bad_worker, 1);
}

static void test_pool_runs_every_task_once(void)
{
    enum { N = 5000 };
    static atomic_int hits[N];
    for (int threads = 1; threads <= 4; threads++) {
        ExecPool *p = exec_pool_new(threads);
        EXPECT_EQ_INT(exec_pool_size(p), threads);
        Hits h = {hits, 0, threads};
        for (int round = 0; round < 50; round++) {
            int n = round % 7 == 0 ? 1 : round * 97 % N + 1;
            for (int i = 0; i < n; i++) atomic_store(&hits[i], 0);
            exec_pool_for(p, n, count_task, &h);
            int wrong = 0;
            for (int i = 0; i < n; i++) wrong += atomic_load(&hits[i]) != 1;
            EXPECT_MSG(wrong == 0, "%d threads, round %d: %d of %d tasks not run exactly once", threads, round, wrong, n);
            if (round == 25) { /* let the workers fall asleep, then wake them */
                struct timespec ts = {0, 5 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
        }
        EXPECT(atomic_load(&h.bad_worker) == 0);
        exec_pool_for(p, 0, count_task, &h); /* nothing to do */
        exec_pool_free(p);
    }
    exec_pool_for(NULL, 3, count_task, &(Hits){hits, 0, 1}); /* no pool: the caller runs them */
    EXPECT(exec_cpu_count() >= 1);
}

/* A small C2f-like block with every threaded kernel in it. */
static Graph *block_graph(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 8, 23, 29};
    int x = graph_add_tensor(g, "x", DT_F32, 4, xd);
    g->tensors[x].is_input = true;
    graph_add_input(g, x);
    int64_t w1d[4] = {16, 8, 3, 3}, w2d[4] = {8, 8, 3, 3}, w3d[4] = {12, 24, 1, 1};
    float *w = malloc(sizeof(float) * 16 * 24 * 9);
    for (int i = 0; i < 16 * 24 * 9; i++) w[i] = (float)((i * 53) % 23 - 11) / 64.0f;
    int w1 = graph_add_const(g, "w1", DT_F32, 4, w1d, w), w2 = graph_add_const(g, "w2", DT_F32, 4, w2d, w),
        w3 = graph_add_const(g, "w3", DT_F32, 4, w3d, w);
    free(w);
    int c1 = graph_add_tensor(g, "c1", DT_F32, 0, NULL), s1 = graph_add_tensor(g, "s1", DT_F32, 0, NULL);
    int a = graph_add_tensor(g, "a", DT_F32, 0, NULL), b = graph_add_tensor(g, "b", DT_F32, 0, NULL);
    int c2 = graph_add_tensor(g, "c2", DT_F32, 0, NULL), s2 = graph_add_tensor(g, "s2", DT_F32, 0, NULL);
    int cat = graph_add_tensor(g, "cat", DT_F32, 0, NULL), c3 = graph_add_tensor(g, "c3", DT_F32, 0, NULL);
    int mp = graph_add_tensor(g, "mp", DT_F32, 0, NULL), sm = graph_add_tensor(g, "sm", DT_F32, 0, NULL);
    int64_t p1[4] = {1, 1, 1, 1}, p2[4] = {2, 2, 2, 2}, k5[2] = {5, 5}, one[2] = {1, 1};
    int i1[2] = {x, w1};
    node_set_ints(g, graph_add_node(g, OP_CONV, "Conv", "c1", -1, i1, 2, &c1, 1), "pads", p1, 4);
    graph_add_node(g, OP_SILU, "SiLU", "s1", -1, &c1, 1, &s1, 1);
    int so[2] = {a, b};
    node_set_int(g, graph_add_node(g, OP_SPLIT, "Split", "split", -1, &s1, 1, so, 2), "axis", 1);
    int i2[2] = {b, w2};
    node_set_ints(g, graph_add_node(g, OP_CONV, "Conv", "c2", -1, i2, 2, &c2, 1), "pads", p1, 4);
    graph_add_node(g, OP_SILU, "SiLU", "s2", -1, &c2, 1, &s2, 1);
    int ci[3] = {a, b, s2};
    node_set_int(g, graph_add_node(g, OP_CONCAT, "Concat", "cat", -1, ci, 3, &cat, 1), "axis", 1);
    int i3[2] = {cat, w3};
    graph_add_node(g, OP_CONV, "Conv", "c3", -1, i3, 2, &c3, 1);
    int pn = graph_add_node(g, OP_MAXPOOL, "MaxPool", "mp", -1, &c3, 1, &mp, 1);
    node_set_ints(g, pn, "kernel_shape", k5, 2);
    node_set_ints(g, pn, "pads", p2, 4);
    node_set_ints(g, pn, "strides", one, 2);
    node_set_int(g, graph_add_node(g, OP_SOFTMAX, "Softmax", "sm", -1, &mp, 1, &sm, 1), "axis", 1);
    g->tensors[sm].is_output = true;
    graph_add_output(g, sm);
    return g;
}

static float *run_block(const Graph *g, int threads, int runs, int64_t *n)
{
    char err[256];
    ExecOptions opt = {.threads = threads};
    Exec *e = exec_new_with(g, &opt, err, sizeof err);
    if (!e) return NULL;
    int64_t xd[4] = {1, 8, 23, 29};
    float *x = malloc(sizeof(float) * 8 * 23 * 29), *out = NULL;
    for (int i = 0; i < 8 * 23 * 29; i++) x[i] = (float)((i * 37) % 19 - 9) / 8.0f;
    for (int r = 0; r < runs; r++) {
        if (exec_set_input(e, "x", x, xd, 4, err, sizeof err) || exec_run(e, NULL, err, sizeof err)) break;
        int64_t d[8];
        int rank;
        const float *y = exec_output(e, 0, d, &rank);
        *n = d[0] * d[1] * d[2] * d[3];
        if (!out) out = malloc(sizeof(float) * (size_t)*n);
        memcpy(out, y, sizeof(float) * (size_t)*n);
    }
    free(x);
    exec_free(e);
    return out;
}

static void test_threads_same_bytes(void)
{
    Graph *g = block_graph();
    int64_t n1 = 0, n3 = 0;
    float *one = run_block(g, 1, 2, &n1), *three = run_block(g, 3, 3, &n3);
    EXPECT(one && three && n1 == n3 && n1 > 0);
    if (one && three && n1 == n3) EXPECT_MSG(!memcmp(one, three, sizeof(float) * (size_t)n1), "3 threads differ from 1");
    free(one);
    free(three);
    graph_free(g);
}

/* x -> QuantizeLinear -> DequantizeLinear -> Conv (int8 weights through DequantizeLinear)
 * -> SiLU -> QuantizeLinear -> DequantizeLinear: the integer convolution with its float
 * epilogue and the byte QuantizeLinear/DequantizeLinear, all on the pool. */
static Graph *qdq_graph(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 8, 64, 80}, wd[4] = {24, 8, 3, 3}, sd[1] = {24}, p1[4] = {1, 1, 1, 1};
    int x = graph_add_tensor(g, "x", DT_F32, 4, xd);
    g->tensors[x].is_input = true;
    graph_add_input(g, x);
    float xs = 0.05f, ys = 0.04f, ws[24];
    uint8_t xz = 120, yz = 10;
    int8_t wq[24 * 8 * 9];
    for (int i = 0; i < 24 * 8 * 9; i++) wq[i] = (int8_t)((i * 37) % 255 - 127);
    for (int m = 0; m < 24; m++) ws[m] = 0.002f + 0.0001f * (float)m;
    int cxs = graph_add_const(g, "xs", DT_F32, 0, NULL, &xs), cxz = graph_add_const(g, "xz", DT_U8, 0, NULL, &xz);
    int cys = graph_add_const(g, "ys", DT_F32, 0, NULL, &ys), cyz = graph_add_const(g, "yz", DT_U8, 0, NULL, &yz);
    int cwq = graph_add_const(g, "wq", DT_I8, 4, wd, wq), cws = graph_add_const(g, "ws", DT_F32, 1, sd, ws);
    int xq = graph_add_tensor(g, "xq", DT_U8, 0, NULL), xf = graph_add_tensor(g, "xf", DT_F32, 0, NULL);
    int w = graph_add_tensor(g, "w", DT_F32, 0, NULL), c = graph_add_tensor(g, "c", DT_F32, 0, NULL);
    int sc = graph_add_tensor(g, "s", DT_F32, 0, NULL), yq = graph_add_tensor(g, "yq", DT_U8, 0, NULL);
    int y = graph_add_tensor(g, "y", DT_F32, 0, NULL);
    int qi[3] = {x, cxs, cxz}, di[3] = {xq, cxs, cxz}, wi[2] = {cwq, cws}, ci[2] = {xf, w}, q2[3] = {sc, cys, cyz},
        d2[3] = {yq, cys, cyz};
    graph_add_node(g, OP_QUANTIZE_LINEAR, "QuantizeLinear", "qx", -1, qi, 3, &xq, 1);
    graph_add_node(g, OP_DEQUANTIZE_LINEAR, "DequantizeLinear", "dqx", -1, di, 3, &xf, 1);
    node_set_int(g, graph_add_node(g, OP_DEQUANTIZE_LINEAR, "DequantizeLinear", "dqw", -1, wi, 2, &w, 1), "axis", 0);
    node_set_ints(g, graph_add_node(g, OP_CONV, "Conv", "conv", -1, ci, 2, &c, 1), "pads", p1, 4);
    graph_add_node(g, OP_SILU, "SiLU", "silu", -1, &c, 1, &sc, 1);
    graph_add_node(g, OP_QUANTIZE_LINEAR, "QuantizeLinear", "qy", -1, q2, 3, &yq, 1);
    graph_add_node(g, OP_DEQUANTIZE_LINEAR, "DequantizeLinear", "dqy", -1, d2, 3, &y, 1);
    g->tensors[y].is_output = true;
    graph_add_output(g, y);
    return g;
}

static float *run_qdq(const Graph *g, int threads, int64_t *n)
{
    char err[256];
    ExecOptions opt = {.threads = threads};
    Exec *e = exec_new_with(g, &opt, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (!e) return NULL;
    int64_t xd[4] = {1, 8, 64, 80};
    size_t nx = 8 * 64 * 80;
    float *x = malloc(sizeof(float) * nx), *out = NULL;
    for (size_t i = 0; i < nx; i++) x[i] = (float)((i * 29) % 97) / 16.0f - 3.0f;
    if (exec_set_input(e, "x", x, xd, 4, err, sizeof err) == 0 && exec_run(e, NULL, err, sizeof err) == 0) {
        int64_t d[8];
        int rank;
        const float *yv = exec_output(e, 0, d, &rank);
        *n = d[0] * d[1] * d[2] * d[3];
        out = malloc(sizeof(float) * (size_t)*n);
        memcpy(out, yv, sizeof(float) * (size_t)*n);
        ExecNodeInfo info;
        if (exec_cpu_vnni() && exec_node_info(e, 3, &info) == 0) /* the Conv: integer sums, float out */
            EXPECT_MSG(strstr(info.path, "int8") != NULL, "the convolution ran as '%s'", info.path);
    } else {
        EXPECT_MSG(0, "%s", err);
    }
    free(x);
    exec_free(e);
    return out;
}

static void test_qdq_threads_same_bytes(void)
{
    Graph *g = qdq_graph();
    int64_t n1 = 0, n3 = 0;
    float *one = run_qdq(g, 1, &n1), *three = run_qdq(g, 3, &n3);
    EXPECT(one && three && n1 == n3 && n1 == 24 * 64 * 80);
    if (one && three && n1 == n3) EXPECT_MSG(!memcmp(one, three, sizeof(float) * (size_t)n1), "3 threads differ from 1");
    free(one);
    free(three);
    graph_free(g);
}

typedef struct {
    const Graph *g;
    const float *want;
    int64_t n;
    int failures;
} SideBySide;

static void *side_main(void *arg)
{
    SideBySide *s = arg;
    int64_t n = 0;
    float *got = run_block(s->g, 2, 4, &n);
    if (!got || n != s->n || memcmp(got, s->want, sizeof(float) * (size_t)n)) s->failures++;
    free(got);
    return NULL;
}

static void test_execs_side_by_side(void)
{
    Graph *g = block_graph();
    int64_t n = 0;
    float *want = run_block(g, 1, 1, &n);
    pthread_t th[3];
    SideBySide s[3];
    for (int i = 0; i < 3; i++) {
        s[i] = (SideBySide){g, want, n, 0};
        pthread_create(&th[i], NULL, side_main, &s[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        EXPECT_EQ_INT(s[i].failures, 0);
    }
    free(want);
    graph_free(g);
}

typedef struct {
    volatile int *flag;
} Canceller;

static void *cancel_main(void *arg)
{
    Canceller *c = arg;
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    __atomic_store_n((int *)c->flag, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_cancel_threaded_run(void)
{
    Graph *g = block_graph();
    char err[256];
    ExecOptions opt = {.threads = 2};
    Exec *e = exec_new_with(g, &opt, err, sizeof err);
    int64_t xd[4] = {1, 8, 23, 29};
    float *x = calloc(8 * 23 * 29, sizeof(float));
    volatile int flag = 0;
    Canceller c = {&flag};
    pthread_t th;
    pthread_create(&th, NULL, cancel_main, &c);
    int stopped = 0;
    for (int r = 0; r < 2000 && !stopped; r++) {
        exec_set_input(e, "x", x, xd, 4, err, sizeof err);
        if (exec_run(e, &flag, err, sizeof err)) stopped = !strcmp(err, "cancelled");
    }
    pthread_join(th, NULL);
    EXPECT(stopped);
    /* and it runs again once the flag is down */
    flag = 0;
    EXPECT(exec_set_input(e, "x", x, xd, 4, err, sizeof err) == 0 && exec_run(e, &flag, err, sizeof err) == 0);
    exec_free(e);
    free(x);
    graph_free(g);
}

int main(void)
{
    RUN(test_pool_runs_every_task_once);
    RUN(test_threads_same_bytes);
    RUN(test_qdq_threads_same_bytes);
    RUN(test_execs_side_by_side);
    RUN(test_cancel_threaded_run);
    return check_done();
}
