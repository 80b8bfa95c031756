/* test_onnx_write: onnx_serialize on small hand-built graphs covering every lowered op, at
 * opsets 11, 12, 13, 17, 18 and 19.  Each written model is read back by our reader, run in
 * onnxruntime-node (tests/node/run_onnx.js) and compared with values computed here by plain
 * reference loops; models for opset <= 17 also pass python3-onnx's checker.  The peer's
 * yolov8n.onnx is round-tripped and must give the original's outputs exactly. */
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>

#include "formats/onnx.h"
#include "tests/check.h"

#define MAXT 8

typedef struct {
    const char *name;
    DType dtype;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    double *data; /* expected (outputs) or the values fed (inputs) */
} Arr;

typedef struct {
    const char *name;
    Graph *g;
    Arr in[MAXT], out[MAXT];
    int n_in, n_out;
    double tol;
    int min_opset;
} Case;

/* ---- small helpers ------------------------------------------------------------------- */
static uint32_t rng_state = 1;
static double rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return ((rng_state >> 8) & 0xffff) / 65536.0 * 2.0 - 1.0;
}

static int64_t numel_of(int rank, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

static double *darr(int64_t n)
{
    return calloc((size_t)(n ? n : 1), sizeof(double));
}

static int act(Graph *g, const char *name, DType dt, int rank, const int64_t *dims)
{
    return graph_add_tensor(g, name, dt, rank, dims);
}

static int cf32(Graph *g, const char *name, int rank, const int64_t *dims, const double *v)
{
    int64_t n = numel_of(rank, dims);
    float *f = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) f[i] = (float)v[i];
    int t = graph_add_const(g, name, DT_F32, rank, dims, f);
    free(f);
    g->tensors[t].is_param = true;
    return t;
}

static int ci64(Graph *g, const char *name, int n, const int64_t *v)
{
    int64_t d = n;
    return graph_add_const(g, name, DT_I64, 1, &d, v);
}

/* A random float constant, its values copied to *vals (caller frees). */
static int crand(Graph *g, const char *name, int rank, const int64_t *dims, double **vals)
{
    int64_t n = numel_of(rank, dims);
    double *v = darr(n);
    for (int64_t i = 0; i < n; i++) v[i] = rnd();
    int t = cf32(g, name, rank, dims, v);
    *vals = v;
    return t;
}

static int node(Graph *g, OpKind op, const char *name, const int *ins, int n_in, const int *outs, int n_out)
{
    return graph_add_node(g, op, NULL, name, -1, ins, n_in, outs, n_out);
}

static Arr *add_input(Case *c, Graph *g, const char *name, int rank, const int64_t *dims, int *tensor)
{
    Arr *a = &c->in[c->n_in++];
    a->name = name;
    a->dtype = DT_F32;
    a->rank = rank;
    memcpy(a->dims, dims, sizeof(int64_t) * (size_t)rank);
    int64_t n = numel_of(rank, dims);
    a->data = darr(n);
    for (int64_t i = 0; i < n; i++) a->data[i] = (float)rnd();
    *tensor = act(g, name, DT_F32, rank, dims);
    graph_add_input(g, *tensor);
    return a;
}

static Arr *add_output(Case *c, Graph *g, int tensor, DType dt, int rank, const int64_t *dims)
{
    Arr *a = &c->out[c->n_out++];
    a->name = g->tensors[tensor].name;
    a->dtype = dt;
    a->rank = rank;
    memcpy(a->dims, dims, sizeof(int64_t) * (size_t)rank);
    a->data = darr(numel_of(rank, dims));
    graph_add_output(g, tensor);
    return a;
}

/* ---- reference math ------------------------------------------------------------------ */
static void ref_conv(const double *x, int C, int H, int W, const double *w, int K, int kh, int kw, const double *b,
                     int stride, int pad, double *y, int OH, int OW)
{
    for (int k = 0; k < K; k++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                double s = b ? b[k] : 0;
                for (int c = 0; c < C; c++)
                    for (int p = 0; p < kh; p++)
                        for (int q = 0; q < kw; q++) {
                            int iy = oy * stride - pad + p, ix = ox * stride - pad + q;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                            s += x[(c * H + iy) * W + ix] * w[((k * C + c) * kh + p) * kw + q];
                        }
                y[(k * OH + oy) * OW + ox] = s;
            }
}

static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

/* numpy broadcasting of two arrays up to rank 4 */
static void ref_binary(const double *a, int ra, const int64_t *da, const double *b, int rb, const int64_t *db, double *y,
                       int ry, const int64_t *dy, char op)
{
    int64_t n = numel_of(ry, dy);
    for (int64_t i = 0; i < n; i++) {
        int64_t idx[4] = {0}, rem = i;
        for (int k = ry - 1; k >= 0; k--) {
            idx[k] = rem % dy[k];
            rem /= dy[k];
        }
        int64_t ia = 0, ib = 0;
        for (int k = 0; k < ra; k++) ia = ia * da[k] + (da[k] == 1 ? 0 : idx[ry - ra + k]);
        for (int k = 0; k < rb; k++) ib = ib * db[k] + (db[k] == 1 ? 0 : idx[ry - rb + k]);
        double p = a[ia], q = b[ib];
        y[i] = op == '+' ? p + q : op == '-' ? p - q : op == '*' ? p * q : p / q;
    }
}

static void ref_transpose(const double *x, int rank, const int64_t *dims, const int *perm, double *y)
{
    int64_t od[GRAPH_MAX_RANK], n = numel_of(rank, dims), stride[GRAPH_MAX_RANK];
    for (int k = 0; k < rank; k++) od[k] = dims[perm[k]];
    stride[rank - 1] = 1;
    for (int k = rank - 2; k >= 0; k--) stride[k] = stride[k + 1] * dims[k + 1];
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, src = 0;
        for (int k = rank - 1; k >= 0; k--) {
            int64_t v = rem % od[k];
            rem /= od[k];
            src += v * stride[perm[k]];
        }
        y[i] = x[src];
    }
}

static void ref_softmax(const double *x, int rank, const int64_t *dims, int axis, double *y)
{
    int64_t outer = 1, inner = 1, len = dims[axis];
    for (int k = 0; k < axis; k++) outer *= dims[k];
    for (int k = axis + 1; k < rank; k++) inner *= dims[k];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            double mx = -INFINITY, s = 0;
            for (int64_t j = 0; j < len; j++) mx = fmax(mx, x[(o * len + j) * inner + in]);
            for (int64_t j = 0; j < len; j++) s += exp(x[(o * len + j) * inner + in] - mx);
            for (int64_t j = 0; j < len; j++) y[(o * len + j) * inner + in] = exp(x[(o * len + j) * inner + in] - mx) / s;
        }
}

/* ---- the cases ----------------------------------------------------------------------- */

/* Conv (bias, pad 1) -> SiLU, then a strided Conv without bias */
static void case_conv_silu(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "images", 4, (int64_t[]){1, 2, 5, 5}, &x);
    double *wv, *bv, *w2v;
    int w = crand(g, "model.0.conv.weight", 4, (int64_t[]){3, 2, 3, 3}, &wv);
    int b = crand(g, "model.0.conv.bias", 1, (int64_t[]){3}, &bv);
    int w2 = crand(g, "model.1.conv.weight", 4, (int64_t[]){2, 3, 3, 3}, &w2v);
    int c1 = act(g, "/model.0/conv/Conv_output_0", DT_F32, 4, (int64_t[]){1, 3, 5, 5});
    int s1 = act(g, "/model.0/act/Mul_output_0", DT_F32, 4, (int64_t[]){1, 3, 5, 5});
    int y = act(g, "output0", DT_F32, 4, (int64_t[]){1, 2, 3, 3});
    int n = node(g, OP_CONV, "/model.0/conv/Conv", (int[]){x, w, b}, 3, &c1, 1);
    node_set_ints(g, n, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_ints(g, n, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    node_set_ints(g, n, "strides", (int64_t[]){1, 1}, 2);
    node(g, OP_SILU, "/model.0/act/SiLU", &c1, 1, &s1, 1);
    n = node(g, OP_CONV, "/model.1/conv/Conv", (int[]){s1, w2}, 2, &y, 1);
    node_set_ints(g, n, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_ints(g, n, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    node_set_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
    Arr *Y = add_output(c, g, y, DT_F32, 4, (int64_t[]){1, 2, 3, 3});
    double t1[75];
    ref_conv(X->data, 2, 5, 5, wv, 3, 3, 3, bv, 1, 1, t1, 5, 5);
    for (int i = 0; i < 75; i++) t1[i] = t1[i] * sigmoid(t1[i]);
    ref_conv(t1, 3, 5, 5, w2v, 2, 3, 3, NULL, 2, 1, Y->data, 3, 3);
    free(wv), free(bv), free(w2v);
}

/* Split with sizes as an attribute and as a constant input, Concat in a new order */
static void case_split_concat(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 4, (int64_t[]){1, 4, 2, 2}, &x);
    int a = act(g, "a", DT_F32, 4, (int64_t[]){1, 1, 2, 2}), b = act(g, "b", DT_F32, 4, (int64_t[]){1, 3, 2, 2});
    int n = node(g, OP_SPLIT, "/m/Split", &x, 1, (int[]){a, b}, 2);
    node_set_int(g, n, "axis", 1);
    node_set_ints(g, n, "split", (int64_t[]){1, 3}, 2);
    int sizes = ci64(g, "sizes", 2, (int64_t[]){2, 2});
    int p = act(g, "p", DT_F32, 4, (int64_t[]){1, 2, 2, 2}), q = act(g, "q", DT_F32, 4, (int64_t[]){1, 2, 2, 2});
    n = node(g, OP_SPLIT, "/m/Split_1", (int[]){x, sizes}, 2, (int[]){p, q}, 2);
    node_set_int(g, n, "axis", 1);
    /* equal split without sizes: opset 18 needs num_outputs */
    int e0 = act(g, "e0", DT_F32, 4, (int64_t[]){1, 4, 1, 2}), e1 = act(g, "e1", DT_F32, 4, (int64_t[]){1, 4, 1, 2});
    n = node(g, OP_SPLIT, "/m/Split_2", &x, 1, (int[]){e0, e1}, 2);
    node_set_int(g, n, "axis", 2);
    int y = act(g, "y", DT_F32, 4, (int64_t[]){1, 8, 2, 2});
    n = node(g, OP_CONCAT, "/m/Concat", (int[]){b, a, q, p}, 4, &y, 1);
    node_set_int(g, n, "axis", 1);
    int z = act(g, "z", DT_F32, 4, (int64_t[]){1, 4, 1, 2});
    node(g, OP_SUB, "/m/Sub", (int[]){e1, e0}, 2, &z, 1);
    Arr *Y = add_output(c, g, y, DT_F32, 4, (int64_t[]){1, 8, 2, 2});
    Arr *Z = add_output(c, g, z, DT_F32, 4, (int64_t[]){1, 4, 1, 2});
    static const int order[8] = {1, 2, 3, 0, 2, 3, 0, 1};
    for (int k = 0; k < 8; k++)
        for (int i = 0; i < 4; i++) Y->data[k * 4 + i] = X->data[order[k] * 4 + i];
    for (int ch = 0; ch < 4; ch++)
        for (int i = 0; i < 2; i++) Z->data[ch * 2 + i] = X->data[ch * 4 + 2 + i] - X->data[ch * 4 + i];
}

/* MaxPool k2 s2, MaxPool k3 s1 p1 (SPPF style), Resize x2 nearest from an IR scales attribute */
static void case_pool_resize(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 4, (int64_t[]){1, 1, 4, 4}, &x);
    int p = act(g, "p", DT_F32, 4, (int64_t[]){1, 1, 2, 2});
    int n = node(g, OP_MAXPOOL, "/m/MaxPool", &x, 1, &p, 1);
    node_set_ints(g, n, "kernel_shape", (int64_t[]){2, 2}, 2);
    node_set_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
    int q = act(g, "q", DT_F32, 4, (int64_t[]){1, 1, 4, 4});
    n = node(g, OP_MAXPOOL, "/m/MaxPool_1", &x, 1, &q, 1);
    node_set_ints(g, n, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_ints(g, n, "strides", (int64_t[]){1, 1}, 2);
    node_set_ints(g, n, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    int r = act(g, "r", DT_F32, 4, (int64_t[]){1, 1, 4, 4});
    n = node(g, OP_RESIZE, "/m/Resize", &p, 1, &r, 1);
    node_set_floats(g, n, "scales", (double[]){1, 1, 2, 2}, 4);
    int y = act(g, "y", DT_F32, 4, (int64_t[]){1, 1, 4, 4});
    node(g, OP_ADD, "/m/Add", (int[]){r, q}, 2, &y, 1);
    Arr *Y = add_output(c, g, y, DT_F32, 4, (int64_t[]){1, 1, 4, 4});
    const double *v = X->data;
    for (int oy = 0; oy < 4; oy++)
        for (int ox = 0; ox < 4; ox++) {
            int py = oy / 2, px = ox / 2;
            double m2 = -INFINITY, m3 = -INFINITY;
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++) m2 = fmax(m2, v[(py * 2 + i) * 4 + px * 2 + j]);
            for (int i = -1; i <= 1; i++)
                for (int j = -1; j <= 1; j++)
                    if (oy + i >= 0 && oy + i < 4 && ox + j >= 0 && ox + j < 4) m3 = fmax(m3, v[(oy + i) * 4 + ox + j]);
            Y->data[oy * 4 + ox] = m2 + m3;
        }
}

/* Reshape (constant shape input) -> Transpose -> Softmax over a middle axis (the DFL
 * pattern) and over the last axis */
static void case_softmax(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 4, (int64_t[]){1, 2, 3, 4}, &x);
    int shape = ci64(g, "shape", 3, (int64_t[]){1, 6, 4});
    int r = act(g, "r", DT_F32, 3, (int64_t[]){1, 6, 4});
    node(g, OP_RESHAPE, "/m/Reshape", (int[]){x, shape}, 2, &r, 1);
    int t = act(g, "t", DT_F32, 3, (int64_t[]){1, 4, 6});
    int n = node(g, OP_TRANSPOSE, "/m/Transpose", &r, 1, &t, 1);
    node_set_ints(g, n, "perm", (int64_t[]){0, 2, 1}, 3);
    int s = act(g, "s", DT_F32, 3, (int64_t[]){1, 4, 6});
    n = node(g, OP_SOFTMAX, "/m/Softmax", &t, 1, &s, 1);
    node_set_int(g, n, "axis", 1);
    int s2 = act(g, "s2", DT_F32, 3, (int64_t[]){1, 4, 6});
    node(g, OP_SOFTMAX, "/m/Softmax_1", &t, 1, &s2, 1); /* default axis: last */
    Arr *S = add_output(c, g, s, DT_F32, 3, (int64_t[]){1, 4, 6});
    Arr *S2 = add_output(c, g, s2, DT_F32, 3, (int64_t[]){1, 4, 6});
    double tr[24];
    ref_transpose(X->data, 3, (int64_t[]){1, 6, 4}, (int[]){0, 2, 1}, tr);
    ref_softmax(tr, 3, (int64_t[]){1, 4, 6}, 1, S->data);
    ref_softmax(tr, 3, (int64_t[]){1, 4, 6}, 2, S2->data);
}

/* MatMul, Gemm (transB, alpha, beta), Add */
static void case_matmul_gemm(Case *c)
{
    Graph *g = c->g = graph_new();
    int a;
    Arr *A = add_input(c, g, "a", 2, (int64_t[]){2, 3}, &a);
    double *bv, *wv, *cv;
    int b = crand(g, "b", 2, (int64_t[]){3, 4}, &bv);
    int w = crand(g, "w", 2, (int64_t[]){4, 3}, &wv);
    int cc = crand(g, "c", 1, (int64_t[]){4}, &cv);
    int m = act(g, "m", DT_F32, 2, (int64_t[]){2, 4}), gm = act(g, "g", DT_F32, 2, (int64_t[]){2, 4});
    node(g, OP_MATMUL, "/m/MatMul", (int[]){a, b}, 2, &m, 1);
    int n = node(g, OP_GEMM, "/m/Gemm", (int[]){a, w, cc}, 3, &gm, 1);
    node_set_int(g, n, "transB", 1);
    node_set_float(g, n, "alpha", 0.5);
    node_set_float(g, n, "beta", 2.0);
    int y = act(g, "y", DT_F32, 2, (int64_t[]){2, 4});
    node(g, OP_ADD, "/m/Add", (int[]){m, gm}, 2, &y, 1);
    Arr *Y = add_output(c, g, y, DT_F32, 2, (int64_t[]){2, 4});
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) {
            double s1 = 0, s2 = 0;
            for (int k = 0; k < 3; k++) {
                s1 += A->data[i * 3 + k] * bv[k * 4 + j];
                s2 += A->data[i * 3 + k] * wv[j * 3 + k];
            }
            Y->data[i * 4 + j] = s1 + 0.5 * s2 + 2.0 * cv[j];
        }
    free(bv), free(wv), free(cv);
}

/* Add/Sub/Mul/Div with broadcasting, then Sigmoid */
static void case_broadcast(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 3, (int64_t[]){2, 3, 1}, &x);
    double *kv, *sv, *mv, *dv;
    int k = crand(g, "k", 2, (int64_t[]){1, 4}, &kv);
    int s = crand(g, "s", 0, NULL, &sv);
    int m = crand(g, "m", 2, (int64_t[]){3, 1}, &mv);
    dv = darr(4);
    for (int i = 0; i < 4; i++) dv[i] = rnd() > 0 ? 0.5 + rnd() * 0.25 : -0.5 - rnd() * 0.25; /* away from 0 */
    int d2 = cf32(g, "d", 1, (int64_t[]){4}, dv);
    int64_t full[3] = {2, 3, 4};
    int t1 = act(g, "t1", DT_F32, 3, full), t2 = act(g, "t2", DT_F32, 3, full), t3 = act(g, "t3", DT_F32, 3, full),
        t4 = act(g, "t4", DT_F32, 3, full), y = act(g, "y", DT_F32, 3, full);
    node(g, OP_ADD, "/m/Add", (int[]){x, k}, 2, &t1, 1);
    node(g, OP_SUB, "/m/Sub", (int[]){s, t1}, 2, &t2, 1);
    node(g, OP_MUL, "/m/Mul", (int[]){t2, m}, 2, &t3, 1);
    node(g, OP_DIV, "/m/Div", (int[]){t3, d2}, 2, &t4, 1);
    node(g, OP_SIGMOID, "/m/Sigmoid", &t4, 1, &y, 1);
    Arr *Y = add_output(c, g, y, DT_F32, 3, full);
    double a1[24], a2[24], a3[24];
    ref_binary(X->data, 3, (int64_t[]){2, 3, 1}, kv, 2, (int64_t[]){1, 4}, a1, 3, full, '+');
    ref_binary(sv, 0, NULL, a1, 3, full, a2, 3, full, '-');
    ref_binary(a2, 3, full, mv, 2, (int64_t[]){3, 1}, a3, 3, full, '*');
    ref_binary(a3, 3, full, dv, 1, (int64_t[]){4}, Y->data, 3, full, '/');
    for (int i = 0; i < 24; i++) Y->data[i] = sigmoid(Y->data[i]);
    free(kv), free(sv), free(mv), free(dv);
}

/* Slice from IR attributes (step 2) and from constant inputs (negative end) */
static void case_slice(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 3, (int64_t[]){1, 6, 4}, &x);
    int a = act(g, "a", DT_F32, 3, (int64_t[]){1, 2, 4});
    int n = node(g, OP_SLICE, "/m/Slice", &x, 1, &a, 1);
    node_set_ints(g, n, "starts", (int64_t[]){1}, 1);
    node_set_ints(g, n, "ends", (int64_t[]){5}, 1);
    node_set_ints(g, n, "axes", (int64_t[]){1}, 1);
    node_set_ints(g, n, "steps", (int64_t[]){2}, 1);
    int st = ci64(g, "st", 1, (int64_t[]){1}), en = ci64(g, "en", 1, (int64_t[]){-1}), ax = ci64(g, "ax", 1, (int64_t[]){2});
    int b = act(g, "b", DT_F32, 3, (int64_t[]){1, 6, 2});
    node(g, OP_SLICE, "/m/Slice_1", (int[]){x, st, en, ax}, 4, &b, 1);
    Arr *A = add_output(c, g, a, DT_F32, 3, (int64_t[]){1, 2, 4});
    Arr *B = add_output(c, g, b, DT_F32, 3, (int64_t[]){1, 6, 2});
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++) A->data[i * 4 + j] = X->data[(1 + 2 * i) * 4 + j];
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 2; j++) B->data[i * 2 + j] = X->data[i * 4 + 1 + j];
}

/* ConvTranspose (stride 2, bias) -> GlobalAveragePool -> Flatten */
static void case_convtranspose(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 4, (int64_t[]){1, 2, 3, 3}, &x);
    double *wv, *bv;
    int w = crand(g, "w", 4, (int64_t[]){2, 3, 2, 2}, &wv);
    int b = crand(g, "b", 1, (int64_t[]){3}, &bv);
    int ct = act(g, "ct", DT_F32, 4, (int64_t[]){1, 3, 6, 6});
    int n = node(g, OP_CONV_TRANSPOSE, "/m/ConvTranspose", (int[]){x, w, b}, 3, &ct, 1);
    node_set_ints(g, n, "kernel_shape", (int64_t[]){2, 2}, 2);
    node_set_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
    int gp = act(g, "gp", DT_F32, 4, (int64_t[]){1, 3, 1, 1});
    node(g, OP_GLOBAL_AVGPOOL, "/m/GlobalAveragePool", &ct, 1, &gp, 1);
    int y = act(g, "y", DT_F32, 2, (int64_t[]){1, 3});
    n = node(g, OP_FLATTEN, "/m/Flatten", &gp, 1, &y, 1);
    node_set_int(g, n, "axis", 1);
    int z = act(g, "z", DT_F32, 4, (int64_t[]){1, 3, 6, 6});
    node(g, OP_IDENTITY, "/m/Identity", &ct, 1, &z, 1);
    Arr *Y = add_output(c, g, y, DT_F32, 2, (int64_t[]){1, 3});
    Arr *Z = add_output(c, g, z, DT_F32, 4, (int64_t[]){1, 3, 6, 6});
    double *o = Z->data;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 36; i++) o[k * 36 + i] = bv[k];
    for (int ch = 0; ch < 2; ch++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 3; k++)
                    for (int p = 0; p < 2; p++)
                        for (int q = 0; q < 2; q++)
                            o[(k * 6 + i * 2 + p) * 6 + j * 2 + q] +=
                                X->data[(ch * 3 + i) * 3 + j] * wv[((ch * 3 + k) * 2 + p) * 2 + q];
    for (int k = 0; k < 3; k++) {
        double s = 0;
        for (int i = 0; i < 36; i++) s += o[k * 36 + i];
        Y->data[k] = s / 36;
    }
    free(wv), free(bv);
}

/* Squeeze (IR attribute axes), ReduceMax (attribute axes), Unsqueeze (constant input axes) */
static void case_squeeze_reduce(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 4, (int64_t[]){1, 3, 1, 4}, &x);
    int s = act(g, "s", DT_F32, 2, (int64_t[]){3, 4});
    int n = node(g, OP_SQUEEZE, "/m/Squeeze", &x, 1, &s, 1);
    node_set_ints(g, n, "axes", (int64_t[]){0, 2}, 2);
    int r = act(g, "r", DT_F32, 2, (int64_t[]){3, 1});
    n = node(g, OP_REDUCE_MAX, "/m/ReduceMax", &s, 1, &r, 1);
    node_set_ints(g, n, "axes", (int64_t[]){1}, 1);
    node_set_int(g, n, "keepdims", 1);
    int axes = ci64(g, "axes0", 1, (int64_t[]){0});
    int y = act(g, "y", DT_F32, 3, (int64_t[]){1, 3, 1});
    node(g, OP_UNSQUEEZE, "/m/Unsqueeze", (int[]){r, axes}, 2, &y, 1);
    Arr *Y = add_output(c, g, y, DT_F32, 3, (int64_t[]){1, 3, 1});
    for (int i = 0; i < 3; i++) {
        double m = -INFINITY;
        for (int j = 0; j < 4; j++) m = fmax(m, X->data[i * 4 + j]);
        Y->data[i] = m;
    }
}

/* TopK (k from an IR attribute), ArgMax, Gather */
static void case_topk_argmax_gather(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 2, (int64_t[]){2, 5}, &x);
    int v = act(g, "values", DT_F32, 2, (int64_t[]){2, 2}), ix = act(g, "indices", DT_I64, 2, (int64_t[]){2, 2});
    int n = node(g, OP_TOPK, "/m/TopK", &x, 1, (int[]){v, ix}, 2);
    node_set_int(g, n, "k", 2);
    node_set_int(g, n, "axis", -1);
    int am = act(g, "argmax", DT_I64, 1, (int64_t[]){2});
    n = node(g, OP_ARGMAX, "/m/ArgMax", &x, 1, &am, 1);
    node_set_int(g, n, "axis", 1);
    node_set_int(g, n, "keepdims", 0);
    node_set_int(g, n, "select_last_index", 0);
    int gi = ci64(g, "rows", 3, (int64_t[]){1, 0, 1});
    int ga = act(g, "gathered", DT_F32, 2, (int64_t[]){3, 5});
    n = node(g, OP_GATHER, "/m/Gather", (int[]){x, gi}, 2, &ga, 1);
    node_set_int(g, n, "axis", 0);
    Arr *V = add_output(c, g, v, DT_F32, 2, (int64_t[]){2, 2});
    Arr *I = add_output(c, g, ix, DT_I64, 2, (int64_t[]){2, 2});
    Arr *AM = add_output(c, g, am, DT_I64, 1, (int64_t[]){2});
    Arr *GA = add_output(c, g, ga, DT_F32, 2, (int64_t[]){3, 5});
    for (int r = 0; r < 2; r++) {
        const double *row = X->data + r * 5;
        int best = 0, second = -1;
        for (int j = 1; j < 5; j++)
            if (row[j] > row[best]) best = j;
        for (int j = 0; j < 5; j++)
            if (j != best && (second < 0 || row[j] > row[second])) second = j;
        V->data[r * 2] = row[best], V->data[r * 2 + 1] = row[second];
        I->data[r * 2] = best, I->data[r * 2 + 1] = second;
        AM->data[r] = best;
    }
    static const int rows[3] = {1, 0, 1};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) GA->data[i * 5 + j] = X->data[rows[i] * 5 + j];
}

/* Shape -> Cast to float; Cast float -> int64; a float16 initializer cast up and added */
static void case_cast_shape_f16(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 2, (int64_t[]){2, 4}, &x);
    int sh = act(g, "shape", DT_I64, 1, (int64_t[]){2});
    node(g, OP_SHAPE, "/m/Shape", &x, 1, &sh, 1);
    int shf = act(g, "shape_f", DT_F32, 1, (int64_t[]){2});
    int n = node(g, OP_CAST, "/m/Cast", &sh, 1, &shf, 1);
    node_set_int(g, n, "to", 1);
    int xi = act(g, "x_int", DT_I64, 2, (int64_t[]){2, 4});
    n = node(g, OP_CAST, "/m/Cast_1", &x, 1, &xi, 1);
    node_set_int(g, n, "to", 7);
    static const float hv[4] = {0.5f, -1.25f, 3.0f, 65504.0f};
    uint16_t h[4];
    for (int i = 0; i < 4; i++) h[i] = float_to_half(hv[i]);
    int w16 = graph_add_const(g, "w16", DT_F16, 1, (int64_t[]){4}, h);
    int w32 = act(g, "w32", DT_F32, 1, (int64_t[]){4});
    n = node(g, OP_CAST, "/m/Cast_2", &w16, 1, &w32, 1);
    node_set_int(g, n, "to", 1);
    int y = act(g, "y", DT_F32, 2, (int64_t[]){2, 4});
    node(g, OP_ADD, "/m/Add", (int[]){x, w32}, 2, &y, 1);
    Arr *S = add_output(c, g, shf, DT_F32, 1, (int64_t[]){2});
    Arr *XI = add_output(c, g, xi, DT_I64, 2, (int64_t[]){2, 4});
    Arr *Y = add_output(c, g, y, DT_F32, 2, (int64_t[]){2, 4});
    S->data[0] = 2, S->data[1] = 4;
    for (int i = 0; i < 8; i++) {
        XI->data[i] = trunc((float)X->data[i] * 1); /* ORT casts toward zero */
        Y->data[i] = (float)X->data[i] + hv[i % 4];
    }
    c->tol = 1e-2; /* 65504 + x in float32 */
}

/* NonMaxSuppression with thresholds from IR attributes */
static void case_nms(Case *c)
{
    Graph *g = c->g = graph_new();
    static const double boxes[16] = {0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30, 0, 0, 10, 9};
    static const double scores[4] = {0.9, 0.8, 0.7, 0.05};
    int bx = act(g, "boxes", DT_F32, 3, (int64_t[]){1, 4, 4});
    int sc = act(g, "scores", DT_F32, 3, (int64_t[]){1, 1, 4});
    graph_add_input(g, bx);
    graph_add_input(g, sc);
    Arr *B = &c->in[c->n_in++];
    *B = (Arr){.name = "boxes", .dtype = DT_F32, .rank = 3, .dims = {1, 4, 4}, .data = darr(16)};
    memcpy(B->data, boxes, sizeof boxes);
    Arr *S = &c->in[c->n_in++];
    *S = (Arr){.name = "scores", .dtype = DT_F32, .rank = 3, .dims = {1, 1, 4}, .data = darr(4)};
    memcpy(S->data, scores, sizeof scores);
    int sel = act(g, "selected", DT_I64, 2, (int64_t[]){-1, 3});
    g->tensors[sel].dim_names[0] = "num_selected";
    int n = node(g, OP_NMS, "/m/NonMaxSuppression", (int[]){bx, sc}, 2, &sel, 1);
    node_set_int(g, n, "max_output_boxes_per_class", 10);
    node_set_float(g, n, "iou_threshold", 0.5);
    node_set_float(g, n, "score_threshold", 0.1);
    /* box 1 overlaps box 0 (IoU 81/119), box 3 scores under the threshold */
    Arr *O = add_output(c, g, sel, DT_I64, 2, (int64_t[]){2, 3});
    static const double want[6] = {0, 0, 0, 0, 0, 2};
    memcpy(O->data, want, sizeof want);
}

/* A Constant node (value tensor) feeding Mul, plus Relu */
static void case_constant(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 1, (int64_t[]){3}, &x);
    int k = act(g, "k", DT_F32, 1, (int64_t[]){3});
    static const float kv[3] = {2, -1, 0.5f};
    int val = graph_add_const(g, "", DT_F32, 1, (int64_t[]){3}, kv);
    int n = node(g, OP_CONSTANT, "Constant_1", NULL, 0, &k, 1);
    node_set_tensor(g, n, "value", val);
    int m = act(g, "m", DT_F32, 1, (int64_t[]){3}), y = act(g, "y", DT_F32, 1, (int64_t[]){3});
    node(g, OP_MUL, "/m/Mul", (int[]){x, k}, 2, &m, 1);
    node(g, OP_RELU, "/m/Relu", &m, 1, &y, 1);
    Arr *Y = add_output(c, g, y, DT_F32, 1, (int64_t[]){3});
    for (int i = 0; i < 3; i++) Y->data[i] = fmax(0, (float)X->data[i] * kv[i]);
}

/* Ops outside the IR's enum (OP_OTHER by op_type): Clip with min/max attributes, Pad with
 * a pads attribute, Exp 1:1 */
static void case_other_ops(Case *c)
{
    Graph *g = c->g = graph_new();
    int x;
    Arr *X = add_input(c, g, "x", 2, (int64_t[]){2, 3}, &x);
    int cl = act(g, "clipped", DT_F32, 2, (int64_t[]){2, 3});
    int n = graph_add_node(g, OP_OTHER, "Clip", "/m/Clip", -1, &x, 1, &cl, 1);
    node_set_float(g, n, "min", -0.25);
    node_set_float(g, n, "max", 0.5);
    int pd = act(g, "padded", DT_F32, 2, (int64_t[]){3, 5});
    n = graph_add_node(g, OP_OTHER, "Pad", "/m/Pad", -1, &cl, 1, &pd, 1);
    node_set_ints(g, n, "pads", (int64_t[]){0, 1, 1, 1}, 4);
    int y = act(g, "y", DT_F32, 2, (int64_t[]){3, 5});
    graph_add_node(g, OP_OTHER, "Exp", "/m/Exp", -1, &pd, 1, &y, 1);
    Arr *Y = add_output(c, g, y, DT_F32, 2, (int64_t[]){3, 5});
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) {
            double v = 0;
            if (i < 2 && j >= 1 && j < 4) v = fmin(0.5, fmax(-0.25, (float)X->data[i * 3 + j - 1]));
            Y->data[i * 5 + j] = exp(v);
        }
}

typedef void (*CaseFn)(Case *);
static const struct {
    const char *name;
    CaseFn fn;
} cases[] = {
    {"conv_silu", case_conv_silu},         {"split_concat", case_split_concat}, {"pool_resize", case_pool_resize},
    {"softmax", case_softmax},             {"matmul_gemm", case_matmul_gemm},   {"broadcast", case_broadcast},
    {"slice", case_slice},                 {"convtranspose", case_convtranspose},
    {"squeeze_reduce", case_squeeze_reduce}, {"topk_argmax_gather", case_topk_argmax_gather},
    {"cast_shape_f16", case_cast_shape_f16}, {"nms", case_nms},                 {"constant", case_constant},
    {"other_ops", case_other_ops},
};
static const int opsets[] = {11, 12, 13, 17, 18, 19};

/* ---- files --------------------------------------------------------------------------- */
static char tmpdir[256];

static const char *tmp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *tmp(const char *fmt, ...)
{
    static char buf[8][600];
    static int slot;
    char rel[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    char *b = buf[slot++ % 8];
    snprintf(b, 600, "%s/%s", tmpdir, rel);
    return b;
}

static bool write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static bool write_npy_f32(const char *path, const Arr *a)
{
    char header[128], shape[96] = "";
    size_t used = 0;
    for (int i = 0; i < a->rank; i++)
        used += (size_t)snprintf(shape + used, sizeof shape - used, "%lld%s", (long long)a->dims[i],
                                 a->rank == 1 ? "," : i + 1 < a->rank ? ", " : "");
    int n = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape);
    int total = 10 + n + 1, pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    uint16_t hl = (uint16_t)(n + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fwrite(&hl, 2, 1, f);
    fwrite(header, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    int64_t cnt = numel_of(a->rank, a->dims);
    for (int64_t i = 0; i < cnt; i++) {
        float v = (float)a->data[i];
        fwrite(&v, 4, 1, f);
    }
    return fclose(f) == 0;
}

/* Read a .npy (f4, f8, i8, i4, f2) into doubles; NULL when malformed. */
static double *read_npy(const char *path, int *rank, int64_t *dims, int64_t *count)
{
    size_t len;
    char err[256];
    char *buf = file_read_all(path, (size_t)1 << 30, &len, err, sizeof err);
    if (!buf || len < 10 || memcmp(buf, "\x93NUMPY", 6)) {
        free(buf);
        return NULL;
    }
    size_t hl = (unsigned char)buf[8] | ((size_t)(unsigned char)buf[9] << 8), off = 10 + hl;
    if (buf[6] != 1 || off > len) {
        free(buf);
        return NULL;
    }
    char *descr = strstr(buf + 10, "'descr': '"), *shape = strstr(buf + 10, "'shape': (");
    if (!descr || !shape) {
        free(buf);
        return NULL;
    }
    descr += 10;
    shape += 10;
    *rank = 0;
    int64_t n = 1;
    while (*shape != ')' && *rank < GRAPH_MAX_RANK) {
        char *end;
        long long v = strtoll(shape, &end, 10);
        if (end == shape) break;
        dims[(*rank)++] = v;
        n *= v;
        shape = end;
        while (*shape == ',' || *shape == ' ') shape++;
    }
    int esz = descr[2] - '0';
    char kind = descr[1];
    if ((size_t)(n * esz) > len - off) {
        free(buf);
        return NULL;
    }
    double *out = darr(n);
    const char *p = buf + off;
    for (int64_t i = 0; i < n; i++) {
        if (kind == 'f' && esz == 4) { float v; memcpy(&v, p + 4 * i, 4); out[i] = v; }
        else if (kind == 'f' && esz == 8) { double v; memcpy(&v, p + 8 * i, 8); out[i] = v; }
        else if (kind == 'f' && esz == 2) { uint16_t v; memcpy(&v, p + 2 * i, 2); out[i] = half_to_float(v); }
        else if (kind == 'i' && esz == 8) { int64_t v; memcpy(&v, p + 8 * i, 8); out[i] = (double)v; }
        else if (kind == 'i' && esz == 4) { int32_t v; memcpy(&v, p + 4 * i, 4); out[i] = v; }
        else { free(out); free(buf); return NULL; }
    }
    *count = n;
    free(buf);
    return out;
}

static bool have_ort(void)
{
    return system("command -v node >/dev/null 2>&1") == 0 &&
           access("tests/node/node_modules/onnxruntime-node/package.json", R_OK) == 0;
}

static bool have_checker(void)
{
    return system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") == 0;
}

/* Run a command, capture stdout into a heap string (caller frees). */
static char *run_capture(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    Vec out = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        for (size_t i = 0; i < n; i++) vec_push(&out, 1, &chunk[i]);
    vec_push(&out, 1, "");
    *status = pclose(p);
    return out.items;
}

/* ---- tests --------------------------------------------------------------------------- */
static Case built[ARRAY_LEN(cases)];

static void build_cases(void)
{
    static bool done;
    if (done) return;
    done = true;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        built[i].name = cases[i].name;
        built[i].tol = 1e-4;
        cases[i].fn(&built[i]);
    }
}

static void free_cases(void)
{
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        for (int k = 0; k < built[i].n_in; k++) free(built[i].in[k].data);
        for (int k = 0; k < built[i].n_out; k++) free(built[i].out[k].data);
        graph_free(built[i].g);
    }
}

static int count_op(const Graph *g, const char *op)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].op_type, op)) n++;
    return n;
}

static const Node *find_node(const Graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name)) return &g->nodes[i];
    return NULL;
}

/* Serialise every case at every opset, read each back, check the lowering. */
static void test_serialize_and_reread(void)
{
    build_cases();
    for (size_t ci = 0; ci < ARRAY_LEN(cases); ci++) {
        for (size_t oi = 0; oi < ARRAY_LEN(opsets); oi++) {
            int opset = opsets[oi];
            uint8_t *buf;
            size_t len;
            char err[512] = "";
            int rc = onnx_serialize(built[ci].g, &(OnnxWriteOptions){.opset = opset, .producer_version = "test"}, &buf,
                                    &len, err, sizeof err);
            EXPECT_MSG(rc == 0, "%s opset %d: %s", cases[ci].name, opset, err);
            if (rc) continue;
            EXPECT(write_bytes(tmp("%s_%d.onnx", cases[ci].name, opset), buf, len));
            Graph *r = onnx_read_buffer(buf, len, "written", err, sizeof err);
            free(buf);
            EXPECT_MSG(r != NULL, "%s opset %d: re-read: %s", cases[ci].name, opset, err);
            if (!r) continue;
            EXPECT_EQ_INT(r->meta.opset, opset);
            EXPECT_EQ_INT(r->meta.ir_version, opset <= 11 ? 6 : opset <= 14 ? 7 : opset <= 18 ? 8 : 9);
            EXPECT_EQ_STR(r->meta.producer, "yoloport test");
            EXPECT_EQ_INT(r->n_inputs, built[ci].g->n_inputs);
            EXPECT_EQ_INT(r->n_outputs, built[ci].g->n_outputs);
            EXPECT_EQ_INT(count_op(r, "SiLU"), 0);
            const Node *n;
            if (!strcmp(cases[ci].name, "conv_silu")) {
                EXPECT_EQ_INT(count_op(r, "Sigmoid"), 1);
                EXPECT_EQ_INT(count_op(r, "Mul"), 1);
                EXPECT(find_node(r, "/model.0/act/Sigmoid") && find_node(r, "/model.0/act/Mul"));
                /* names kept */
                EXPECT(graph_find_tensor(r, "model.0.conv.weight") >= 0);
                EXPECT(graph_find_tensor(r, "/model.0/act/Mul_output_0") >= 0);
            }
            if (!strcmp(cases[ci].name, "split_concat") && (n = find_node(r, "/m/Split"))) {
                EXPECT_EQ_INT(n->n_inputs, opset < 13 ? 1 : 2);
                EXPECT_EQ_INT(node_attr(n, "split") != NULL, opset < 13);
                const Node *n2 = find_node(r, "/m/Split_1");
                EXPECT(n2 && n2->n_inputs == (opset < 13 ? 1 : 2));
                const Node *n3 = find_node(r, "/m/Split_2");
                EXPECT(n3 && (node_attr(n3, "num_outputs") != NULL) == (opset >= 18));
            }
            if (!strcmp(cases[ci].name, "squeeze_reduce")) {
                const Node *sq = find_node(r, "/m/Squeeze"), *rm = find_node(r, "/m/ReduceMax"),
                           *us = find_node(r, "/m/Unsqueeze");
                EXPECT(sq && sq->n_inputs == (opset < 13 ? 1 : 2));
                EXPECT(rm && rm->n_inputs == (opset < 18 ? 1 : 2));
                EXPECT(us && us->n_inputs == (opset < 13 ? 1 : 2));
            }
            if (!strcmp(cases[ci].name, "softmax")) {
                /* the middle-axis softmax needs a Transpose pair before opset 13 */
                EXPECT_EQ_INT(count_op(r, "Transpose"), opset < 13 ? 3 : 1);
            }
            if (!strcmp(cases[ci].name, "pool_resize") && (n = find_node(r, "/m/Resize"))) {
                EXPECT_EQ_INT(n->n_inputs, 3);
                const Attr *ct = node_attr(n, "coordinate_transformation_mode"), *nm = node_attr(n, "nearest_mode");
                EXPECT(ct && !strcmp(ct->s, "asymmetric"));
                EXPECT(nm && !strcmp(nm->s, "floor"));
            }
            if (!strcmp(cases[ci].name, "topk_argmax_gather") && (n = find_node(r, "/m/ArgMax")))
                EXPECT_EQ_INT(node_attr(n, "select_last_index") != NULL, opset >= 12);
            if (!strcmp(cases[ci].name, "nms") && (n = find_node(r, "/m/NonMaxSuppression"))) {
                EXPECT_EQ_INT(n->n_inputs, 5);
                const Tensor *o = &r->tensors[r->outputs[0]];
                EXPECT(o->dim_names[0] && !strcmp(o->dim_names[0], "num_selected"));
            }
            if (!strcmp(cases[ci].name, "cast_shape_f16")) {
                int w = graph_find_tensor(r, "w16");
                EXPECT(w >= 0 && r->tensors[w].dtype == DT_F16 && r->tensors[w].nbytes == 8);
            }
            graph_free(r);
        }
    }
}

static void test_checker(void)
{
    build_cases();
    if (!have_checker()) {
        SKIP("python3-onnx not installed");
        return;
    }
    Vec cmd = {0};
    const char *head = "/usr/bin/python3 -c 'import onnx,sys\nfor f in sys.argv[1:]:\n"
                       "  try:\n    onnx.checker.check_model(onnx.load(f), full_check=True); print(\"OK\", f)\n"
                       "  except Exception as e:\n    print(\"BAD\", f, str(e).splitlines()[0] if str(e) else e)' ";
    for (const char *p = head; *p; p++) vec_push(&cmd, 1, p);
    int files = 0;
    for (size_t ci = 0; ci < ARRAY_LEN(cases); ci++)
        for (size_t oi = 0; oi < ARRAY_LEN(opsets); oi++) {
            if (opsets[oi] > 17) continue; /* python3-onnx 1.12 knows opsets up to 17 */
            const char *f = tmp("%s_%d.onnx", cases[ci].name, opsets[oi]);
            if (access(f, R_OK) != 0) continue;
            for (const char *p = f; *p; p++) vec_push(&cmd, 1, p);
            vec_push(&cmd, 1, " ");
            files++;
        }
    vec_push(&cmd, 1, "");
    int status;
    char *out = run_capture(cmd.items, &status);
    vec_free(&cmd);
    int ok = 0;
    for (char *line = out ? strtok(out, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "OK ", 3)) ok++;
        else EXPECT_MSG(0, "%s", line);
    }
    EXPECT_EQ_INT(ok, files);
    EXPECT(files >= (int)ARRAY_LEN(cases) * 4);
    printf("# checker: %d of %d models pass\n", ok, files);
    free(out);
}

/* Find "key":<value> in a JSON line (strings only, no escapes needed here). */
static bool json_has_error(const char *line) { return strstr(line, "\"error\"") != NULL; }

static void test_onnxruntime(void)
{
    build_cases();
    if (!have_ort()) {
        SKIP("node or tests/node/node_modules/onnxruntime-node missing (make deps)");
        return;
    }
    /* one batch plan: every case at every opset */
    char plan[600];
    snprintf(plan, sizeof plan, "%s", tmp("plan.json"));
    FILE *f = fopen(plan, "w");
    EXPECT(f != NULL);
    if (!f) return;
    fprintf(f, "[\n");
    bool first = true;
    for (size_t ci = 0; ci < ARRAY_LEN(cases); ci++) {
        for (int k = 0; k < built[ci].n_in; k++)
            EXPECT(write_npy_f32(tmp("%s_in%d.npy", cases[ci].name, k), &built[ci].in[k]));
        for (size_t oi = 0; oi < ARRAY_LEN(opsets); oi++) {
            fprintf(f, "%s{\"model\": \"%s\", \"out\": \"%s\", \"inputs\": {", first ? "" : ",\n",
                    tmp("%s_%d.onnx", cases[ci].name, opsets[oi]), tmp("out_%s_%d", cases[ci].name, opsets[oi]));
            first = false;
            for (int k = 0; k < built[ci].n_in; k++)
                fprintf(f, "%s\"%s\": \"%s\"", k ? ", " : "", built[ci].in[k].name,
                        tmp("%s_in%d.npy", cases[ci].name, k));
            fprintf(f, "}}");
        }
    }
    fprintf(f, "\n]\n");
    fclose(f);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "node tests/node/run_onnx.js --batch '%s' 2>&1", plan);
    int status;
    char *out = run_capture(cmd, &status);
    int lines = 0;
    for (char *line = out ? strtok(out, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        lines++;
        EXPECT_MSG(!json_has_error(line), "%s", line);
    }
    free(out);
    EXPECT_EQ_INT(lines, (int)(ARRAY_LEN(cases) * ARRAY_LEN(opsets)));
    /* compare each output with the reference values */
    int compared = 0;
    double worst = 0;
    for (size_t ci = 0; ci < ARRAY_LEN(cases); ci++)
        for (size_t oi = 0; oi < ARRAY_LEN(opsets); oi++)
            for (int k = 0; k < built[ci].n_out; k++) {
                const Arr *want = &built[ci].out[k];
                char safe[128];
                snprintf(safe, sizeof safe, "%s", want->name);
                for (char *p = safe; *p; p++)
                    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                          *p == '.' || *p == '_' || *p == '-'))
                        *p = '_';
                int rank;
                int64_t dims[GRAPH_MAX_RANK], n;
                double *got = read_npy(tmp("out_%s_%d/%s.npy", cases[ci].name, opsets[oi], safe), &rank, dims, &n);
                EXPECT_MSG(got != NULL, "%s opset %d: no output %s", cases[ci].name, opsets[oi], want->name);
                if (!got) continue;
                EXPECT_MSG(rank == want->rank && n == numel_of(want->rank, want->dims), "%s opset %d: %s shape",
                           cases[ci].name, opsets[oi], want->name);
                if (n == numel_of(want->rank, want->dims)) {
                    double maxd = 0;
                    for (int64_t i = 0; i < n; i++) maxd = fmax(maxd, fabs(got[i] - want->data[i]));
                    EXPECT_MSG(maxd <= built[ci].tol, "%s opset %d: %s max |diff| %g", cases[ci].name, opsets[oi],
                               want->name, maxd);
                    if (built[ci].tol < 1e-3) worst = fmax(worst, maxd);
                    compared++;
                }
                free(got);
            }
    printf("# onnxruntime: %d outputs compared, worst |diff| %.3g\n", compared, worst);
}

static void test_errors(void)
{
    char err[512];
    uint8_t *buf;
    size_t len;
    Graph *g = graph_new();
    int x = graph_add_tensor(g, "x", DT_F32, 2, (int64_t[]){2, 3});
    graph_add_input(g, x);
    int y = graph_add_tensor(g, "y", DT_F32, 2, (int64_t[]){2, 3});
    int n = graph_add_node(g, OP_SOFTMAX, NULL, "sm", -1, &x, 1, &y, 1);
    node_set_int(g, n, "axis", 0);
    graph_add_output(g, y);
    EXPECT(onnx_serialize(g, &(OnnxWriteOptions){.opset = 10}, &buf, &len, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "opset 10");
    EXPECT(onnx_serialize(g, &(OnnxWriteOptions){.opset = 20}, &buf, &len, err, sizeof err) == -1);
    /* axis 0 of a known-rank input: transposed at opset 11 */
    EXPECT(onnx_serialize(g, &(OnnxWriteOptions){.opset = 11}, &buf, &len, err, sizeof err) == 0);
    free(buf);
    /* unknown rank: refused before 13, fine after */
    g->tensors[x].rank = 0;
    EXPECT(onnx_serialize(g, &(OnnxWriteOptions){.opset = 12}, &buf, &len, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "'sm'");
    EXPECT(onnx_serialize(g, &(OnnxWriteOptions){.opset = 13}, &buf, &len, err, sizeof err) == 0);
    free(buf);
    /* an input nothing defines */
    int ghost = graph_add_tensor(g, "ghost", DT_F32, 0, NULL);
    int z = graph_add_tensor(g, "z", DT_F32, 0, NULL);
    graph_add_node(g, OP_ADD, NULL, "add", -1, (int[]){y, ghost}, 2, &z, 1);
    EXPECT(onnx_serialize(g, NULL, &buf, &len, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "'ghost'");
    graph_free(g);

    /* a subgraph attribute cannot be reproduced; Split sizes from a non-constant at opset 11 */
    g = graph_new();
    x = graph_add_tensor(g, "x", DT_F32, 1, (int64_t[]){4});
    int s = graph_add_tensor(g, "s", DT_I64, 1, (int64_t[]){2});
    graph_add_input(g, x);
    graph_add_input(g, s);
    int a = graph_add_tensor(g, "a", DT_F32, 1, NULL), b = graph_add_tensor(g, "b", DT_F32, 1, NULL);
    graph_add_node(g, OP_SPLIT, NULL, "split", -1, (int[]){x, s}, 2, (int[]){a, b}, 2);
    graph_add_output(g, a);
    EXPECT(onnx_serialize(g, &(OnnxWriteOptions){.opset = 11}, &buf, &len, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "'split'");
    EXPECT(onnx_serialize(g, &(OnnxWriteOptions){.opset = 13}, &buf, &len, err, sizeof err) == 0);
    free(buf);
    graph_free(g);
}

/* A peer export: read, write, read back (same nodes, names, interface, metadata); in
 * onnxruntime the written file gives exactly the original's outputs. */
static void round_trip(const char *model_rel, const char *input_rel, const char *const *outputs, int n_outputs)
{
    const char *p = shared_path(model_rel);
    if (!p) {
        SKIP("../shared not present");
        return;
    }
    char path[600], input[600], stem[64];
    snprintf(path, sizeof path, "%s", p);
    snprintf(input, sizeof input, "%s", shared_path(input_rel));
    const char *base = strrchr(model_rel, '/') + 1;
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(base) - 5), base);
    char err[512];
    Graph *g = onnx_read(path, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    uint8_t *buf;
    size_t len;
    double t0 = now_seconds();
    int rc = onnx_serialize(g, &(OnnxWriteOptions){.opset = 17}, &buf, &len, err, sizeof err);
    double dt = now_seconds() - t0;
    EXPECT_MSG(rc == 0, "%s", err);
    if (rc) {
        graph_free(g);
        return;
    }
    printf("# %s serialised in %.1f ms, %zu bytes\n", stem, dt * 1000, len);
    char out_path[600];
    snprintf(out_path, sizeof out_path, "%s", tmp("%s_rt.onnx", stem));
    EXPECT(write_bytes(out_path, buf, len));
    Graph *r = onnx_read_buffer(buf, len, "round-trip", err, sizeof err);
    free(buf);
    EXPECT_MSG(r != NULL, "%s", err);
    if (r) {
        EXPECT_EQ_INT(r->n_nodes, g->n_nodes);
        static const char *const ops[] = {"Conv", "Sigmoid", "Mul", "Add", "Concat", "Split", "Constant",
                                          "Reshape", "Resize", "Softmax", "Transpose", "Slice", "Shape", "Gather",
                                          "MaxPool", "MatMul", "ConvTranspose", "Sub", "Div"};
        for (size_t i = 0; i < ARRAY_LEN(ops); i++)
            EXPECT_MSG(count_op(r, ops[i]) == count_op(g, ops[i]), "%s: %d vs %d", ops[i], count_op(r, ops[i]),
                       count_op(g, ops[i]));
        for (int i = 0; i < g->n_nodes && i < r->n_nodes; i++)
            if (strcmp(g->nodes[i].name, r->nodes[i].name)) {
                EXPECT_MSG(0, "node %d: %s vs %s", i, g->nodes[i].name, r->nodes[i].name);
                break;
            }
        EXPECT_EQ_INT(r->n_inputs, g->n_inputs);
        EXPECT_EQ_INT(r->n_outputs, g->n_outputs);
        for (int i = 0; i < g->n_outputs && i < r->n_outputs; i++) {
            const Tensor *a = &g->tensors[g->outputs[i]], *b = &r->tensors[r->outputs[i]];
            EXPECT_EQ_STR(b->name, a->name);
            EXPECT(b->rank == a->rank && !memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank));
        }
        EXPECT_EQ_STR(r->tensors[r->inputs[0]].name, "images");
        EXPECT_EQ_INT(r->meta.n_props, g->meta.n_props);
        for (int i = 0; i < g->meta.n_props && i < r->meta.n_props; i++) {
            EXPECT_EQ_STR(r->meta.props[i].key, g->meta.props[i].key);
            EXPECT_EQ_STR(r->meta.props[i].value, g->meta.props[i].value);
        }
        EXPECT_EQ_STR(r->meta.task, g->meta.task);
        EXPECT_EQ_INT(r->meta.nc, 80);
        EXPECT_EQ_INT(r->n_modules, g->n_modules);
        EXPECT_EQ_INT(graph_param_count(r), graph_param_count(g));
        graph_free(r);
    }
    graph_free(g);
    if (have_checker()) {
        char cmd[800];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), "
                 "full_check=True)' '%s'",
                 out_path);
        EXPECT_MSG(system(cmd) == 0, "ONNX checker refused %s", out_path);
    }
    if (!have_ort()) {
        SKIP("onnxruntime-node not installed");
        return;
    }
    char cmd[2000], orig_dir[600], ours_dir[600];
    snprintf(orig_dir, sizeof orig_dir, "%s", tmp("%s_orig", stem));
    snprintf(ours_dir, sizeof ours_dir, "%s", tmp("%s_ours", stem));
    snprintf(cmd, sizeof cmd,
             "node tests/node/run_onnx.js %s images=%s --out %s >/dev/null && "
             "node tests/node/run_onnx.js %s images=%s --out %s >/dev/null",
             path, input, orig_dir, out_path, input, ours_dir);
    EXPECT(system(cmd) == 0);
    for (int k = 0; k < n_outputs; k++) {
        int ra, rb;
        int64_t da[8], db[8], na = 0, nb = 0;
        double *a = read_npy(tmp("%s_orig/%s.npy", stem, outputs[k]), &ra, da, &na);
        double *b = read_npy(tmp("%s_ours/%s.npy", stem, outputs[k]), &rb, db, &nb);
        EXPECT_MSG(a && b && na == nb && na > 0, "%s: %s missing", stem, outputs[k]);
        if (a && b && na == nb) {
            double maxd = 0;
            for (int64_t i = 0; i < na; i++) maxd = fmax(maxd, fabs(a[i] - b[i]));
            EXPECT_MSG(maxd == 0, "%s: max |diff| %g", outputs[k], maxd);
            printf("# %s round trip: %s max |diff| %g over %lld values\n", stem, outputs[k], maxd, (long long)na);
        }
        free(a);
        free(b);
    }
}

static void test_round_trip_yolov8n(void)
{
    static const char *const outs[] = {"output0"};
    round_trip("reference/peer/yolov8n.onnx", "reference/peer/yolov8n.input.npy", outs, 1);
}

static void test_round_trip_yolo11n_seg(void)
{
    static const char *const outs[] = {"output0", "output1"};
    round_trip("reference/peer/yolo11n-seg.onnx", "reference/peer/yolo11n-seg.input.npy", outs, 2);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_onnx_write.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_serialize_and_reread);
    RUN(test_checker);
    RUN(test_onnxruntime);
    RUN(test_errors);
    RUN(test_round_trip_yolov8n);
    RUN(test_round_trip_yolo11n_seg);
    free_cases();
    if (!getenv("KEEP_TMP")) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
    } else {
        printf("# kept %s\n", tmpdir);
    }
    return check_done();
}
