/* test_tfjs: the TF.js writer.  Small hand-built graphs covering every lowering (convolutions
 * with every padding form, groups, depthwise, dilation; pools incl. ceil_mode and padding;
 * resize; broadcasting in NHWC; concat/split/slice; the DFL and attention patterns; Gemm;
 * transposed convolution; BatchNorm; reductions) are written, checked with tfjs_check_dir,
 * run in pure-JS TF.js (tests/node/run_tfjs.js) and compared with values computed here by
 * plain NCHW reference loops; float16 and uint8 weights within their tolerances.  Built-in
 * model configs (detect, segment, pose, obb, classify) are written and their TF.js outputs
 * compared with our executor's (engine/exec) on the same input.  Error cases:
 * ops without a TF.js form name the node, bad options, bad directories, a disk filling up
 * (nothing left behind), and tfjs_check_dir on damaged directories.
 *
 * Driver mode for tests/e2e/tfjs.sh (not a test):
 *   test_tfjs --export MODEL DIR [imgsz=N] [half] [int8] [dynamic] [ref=IN.npy refout=OUTDIR]
 * loads MODEL fused, writes DIR with a peer-style metadata.yaml, checks it, prints a summary
 * line (JSON); with ref/refout also runs engine/exec on IN.npy and writes OUTDIR/output<k>.npy;
 * dynamic builds the graph as dynamic=True does for the TF formats (height and width unknown).
 *   test_tfjs --run MODEL IN.npy OUTDIR
 * reads a TF file (or .tflite) as predict does and writes its outputs on IN.npy to
 * OUTDIR/output<k>.npy. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "engine/core/fileio.h"
#include "engine/exec/exec.h"
#include "engine/registry/model.h"
#include "engine/core/npy.h"
#include "formats/pt.h"
#include "formats/tfjs.h"
#include "tests/check.h"
#include "tests/reference_ops.h"
#include "engine/passes/passes.h"

/* What the TF.js export stage does: the static folding pass (engine/passes), then the writer. */
static int write_web(Graph *g, const TfjsOptions *opt, const char *dir, char *err, size_t errlen)
{
    if (g) pass_fold_static(g);
    return tfjs_write(g, opt, dir, err, errlen);
}

/* model_load reaches the checkpoint reader through a weak symbol: link it in */
static void *const link_pt __attribute__((used)) = (void *)pt_load;

#define MAXO 12

typedef struct {
    const char *name;
    Graph *g;
    Arr in;
    Arr out[MAXO];
    int n_out;
    double tol;
    TfjsOptions opt;
} Case;

static char tmpdir[256];

static const char *tmp(const char *fmt, ...)
{
    static char buf[8][512];
    static int slot;
    char *b = buf[slot++ % 8];
    char rel[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    snprintf(b, 512, "%s/%s", tmpdir, rel);
    return b;
}

/* ---- graph building -------------------------------------------------------------------- */
static int act(Graph *g, const char *name, const Arr *like)
{
    return graph_add_tensor(g, name, DT_F32, like->rank, like->dims);
}

static int cf(Graph *g, const char *name, const Arr *a, bool param)
{
    int64_t n = numel(a);
    float *f = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) f[i] = (float)a->v[i];
    int t = graph_add_const(g, name, DT_F32, a->rank, a->dims, f);
    free(f);
    g->tensors[t].is_param = param;
    return t;
}

static int ci64(Graph *g, const char *name, int n, const int64_t *v)
{
    int64_t d = n;
    return graph_add_const(g, name, DT_I64, 1, &d, v);
}

/* Round weights to float32 so the reference sees what the graph stores. */
static void f32ify(Arr *a)
{
    for (int64_t i = 0; i < numel(a); i++) a->v[i] = (float)a->v[i];
}

static Arr wrand(int rank, const int64_t *dims, double scale)
{
    Arr a = arr_rand(rank, dims, scale);
    f32ify(&a);
    return a;
}

static int node(Graph *g, OpKind op, const char *name, const int *ins, int n_in, const int *outs, int n_out)
{
    return graph_add_node(g, op, NULL, name, -1, ins, n_in, outs, n_out);
}

static int conv_node(Graph *g, const char *name, int x, int w, int b, const int64_t *k, const int64_t *st,
                     const int64_t *pd, const int64_t *dl, int64_t group, int y)
{
    int ins[3] = {x, w, b};
    int n = node(g, OP_CONV, name, ins, b >= 0 ? 3 : 2, &y, 1);
    node_set_ints(g, n, "kernel_shape", k, 2);
    node_set_ints(g, n, "strides", st, 2);
    node_set_ints(g, n, "pads", pd, 4);
    node_set_ints(g, n, "dilations", dl, 2);
    node_set_int(g, n, "group", group);
    return n;
}

static void add_out(Case *c, int t, Arr a)
{
    graph_add_output(c->g, t);
    c->out[c->n_out++] = a;
}

static void free_arr(Arr *a)
{
    free(a->v);
    a->v = NULL;
}

/* ---- cases ----------------------------------------------------------------------------- */
/* Conv + SiLU, stride 2 with explicit padding, dilation with asymmetric pads. */
static void case_conv(Case *c)
{
    Graph *g = c->g = graph_new();
    Arr x = arr_rand(4, (int64_t[]){1, 3, 8, 8}, 1.0);
    f32ify(&x);
    int X = act(g, "images", &x);
    graph_add_input(g, X);
    Arr w1 = wrand(4, (int64_t[]){4, 3, 3, 3}, 0.5), b1 = wrand(1, (int64_t[]){4}, 0.5);
    Arr c1 = ref_conv(&x, &w1, &b1, (int64_t[]){1, 1}, (int64_t[]){1, 1, 1, 1}, (int64_t[]){1, 1}, 1);
    int C1 = act(g, "c1", &c1);
    conv_node(g, "/model.0/conv/Conv", X, cf(g, "model.0.conv.weight", &w1, true), cf(g, "model.0.conv.bias", &b1, true),
              (int64_t[]){3, 3}, (int64_t[]){1, 1}, (int64_t[]){1, 1, 1, 1}, (int64_t[]){1, 1}, 1, C1);
    Arr s1 = ref_map(&c1, f_silu);
    int S1 = act(g, "s1", &s1);
    node(g, OP_SILU, "/model.0/act/SiLU", &C1, 1, &S1, 1);
    Arr w2 = wrand(4, (int64_t[]){6, 4, 3, 3}, 0.5);
    Arr y = ref_conv(&s1, &w2, NULL, (int64_t[]){2, 2}, (int64_t[]){1, 1, 1, 1}, (int64_t[]){1, 1}, 1);
    int Y = act(g, "y", &y);
    conv_node(g, "/model.1/conv/Conv", S1, cf(g, "model.1.conv.weight", &w2, true), -1, (int64_t[]){3, 3},
              (int64_t[]){2, 2}, (int64_t[]){1, 1, 1, 1}, (int64_t[]){1, 1}, 1, Y);
    Arr w3 = wrand(4, (int64_t[]){2, 4, 3, 3}, 0.5), b3 = wrand(1, (int64_t[]){2}, 0.5);
    Arr z = ref_conv(&s1, &w3, &b3, (int64_t[]){1, 1}, (int64_t[]){0, 1, 1, 0}, (int64_t[]){2, 2}, 1);
    int Z = act(g, "z", &z);
    conv_node(g, "/model.2/conv/Conv", S1, cf(g, "model.2.conv.weight", &w3, true), cf(g, "model.2.conv.bias", &b3, true),
              (int64_t[]){3, 3}, (int64_t[]){1, 1}, (int64_t[]){0, 1, 1, 0}, (int64_t[]){2, 2}, 1, Z);
    add_out(c, Y, y);
    add_out(c, Z, z);
    c->in = x;
    free_arr(&w1), free_arr(&b1), free_arr(&c1), free_arr(&s1), free_arr(&w2), free_arr(&w3), free_arr(&b3);
}

/* Depthwise (multiplier 1 and 2) and grouped convolutions. */
static void case_groups(Case *c)
{
    Graph *g = c->g = graph_new();
    Arr x = wrand(4, (int64_t[]){1, 4, 6, 6}, 1.0);
    int X = act(g, "images", &x);
    graph_add_input(g, X);
    Arr wd = wrand(4, (int64_t[]){4, 1, 3, 3}, 0.5), bd = wrand(1, (int64_t[]){4}, 0.5);
    Arr d = ref_conv(&x, &wd, &bd, (int64_t[]){1, 1}, (int64_t[]){1, 1, 1, 1}, (int64_t[]){1, 1}, 4);
    int D = act(g, "d", &d);
    conv_node(g, "dw", X, cf(g, "dw.weight", &wd, true), cf(g, "dw.bias", &bd, true), (int64_t[]){3, 3}, (int64_t[]){1, 1},
              (int64_t[]){1, 1, 1, 1}, (int64_t[]){1, 1}, 4, D);
    Arr wm = wrand(4, (int64_t[]){8, 1, 3, 3}, 0.5);
    Arr m = ref_conv(&d, &wm, NULL, (int64_t[]){2, 2}, (int64_t[]){1, 1, 1, 1}, (int64_t[]){1, 1}, 4);
    int M = act(g, "m", &m);
    conv_node(g, "dw2", D, cf(g, "dw2.weight", &wm, true), -1, (int64_t[]){3, 3}, (int64_t[]){2, 2},
              (int64_t[]){1, 1, 1, 1}, (int64_t[]){1, 1}, 4, M);
    Arr wg = wrand(4, (int64_t[]){6, 2, 1, 1}, 0.5), bg = wrand(1, (int64_t[]){6}, 0.5);
    Arr gc = ref_conv(&d, &wg, &bg, (int64_t[]){1, 1}, (int64_t[]){0, 0, 0, 0}, (int64_t[]){1, 1}, 2);
    int GC = act(g, "gc", &gc);
    conv_node(g, "grouped", D, cf(g, "grouped.weight", &wg, true), cf(g, "grouped.bias", &bg, true), (int64_t[]){1, 1},
              (int64_t[]){1, 1}, (int64_t[]){0, 0, 0, 0}, (int64_t[]){1, 1}, 2, GC);
    add_out(c, M, m);
    add_out(c, GC, gc);
    c->in = x;
    free_arr(&wd), free_arr(&bd), free_arr(&d), free_arr(&wm), free_arr(&wg), free_arr(&bg);
}

static int pool_node(Graph *g, OpKind op, const char *name, int x, int64_t k, int64_t s, int64_t p, int ceil, int cpad,
                     const Arr *y)
{
    int Y = act(g, name, y);
    int n = node(g, op, name, &x, 1, &Y, 1);
    node_set_ints(g, n, "kernel_shape", (int64_t[]){k, k}, 2);
    node_set_ints(g, n, "strides", (int64_t[]){s, s}, 2);
    node_set_ints(g, n, "pads", (int64_t[]){p, p, p, p}, 4);
    if (ceil) node_set_int(g, n, "ceil_mode", 1);
    if (cpad) node_set_int(g, n, "count_include_pad", 1);
    return Y;
}

/* Max/avg pooling in every padding form, ceil_mode, global pooling, nearest resize, a slice. */
static void case_pool(Case *c)
{
    Graph *g = c->g = graph_new();
    Arr x = wrand(4, (int64_t[]){1, 3, 9, 9}, 1.0);
    int X = act(g, "images", &x);
    graph_add_input(g, X);
    int64_t k2[2] = {2, 2}, k3[2] = {3, 3}, s1[2] = {1, 1}, s2[2] = {2, 2}, p0[4] = {0}, p1[4] = {1, 1, 1, 1};
    Arr mp1 = ref_pool(&x, k2, s2, p0, 4, 4, true, false);
    int MP1 = pool_node(g, OP_MAXPOOL, "mp1", X, 2, 2, 0, 0, 0, &mp1);
    Arr mp2 = ref_pool(&x, k3, s1, p1, 9, 9, true, false);
    int MP2 = pool_node(g, OP_MAXPOOL, "mp2", X, 3, 1, 1, 0, 0, &mp2);
    /* an 8x8 window of x: k3 s2 p1 there is not TF's SAME */
    Arr x8a = ref_slice(&x, 2, 0, 8, 1);
    Arr x8 = ref_slice(&x8a, 3, 0, 8, 1);
    int X8 = act(g, "x8", &x8);
    int sl = node(g, OP_SLICE, "slice8", (int[]){X, ci64(g, "s_st", 2, (int64_t[]){0, 0}), ci64(g, "s_en", 2, (int64_t[]){8, -1}),
                                             ci64(g, "s_ax", 2, (int64_t[]){2, 3})}, 4, &X8, 1);
    (void)sl;
    Arr mp3 = ref_pool(&x8, k3, s2, p1, 4, 4, true, false);
    int MP3 = pool_node(g, OP_MAXPOOL, "mp3", X8, 3, 2, 1, 0, 0, &mp3);
    Arr mp4 = ref_pool(&x, k2, s2, p0, 5, 5, true, false);
    int MP4 = pool_node(g, OP_MAXPOOL, "mp4", X, 2, 2, 0, 1, 0, &mp4);
    Arr av1 = ref_pool(&x, k2, s2, p0, 4, 4, false, false);
    int AV1 = pool_node(g, OP_AVGPOOL, "av1", X, 2, 2, 0, 0, 0, &av1);
    Arr av2 = ref_pool(&x, k3, s1, p1, 9, 9, false, false);
    int AV2 = pool_node(g, OP_AVGPOOL, "av2", X, 3, 1, 1, 0, 0, &av2);
    Arr av3 = ref_pool(&x, k3, s1, p1, 9, 9, false, true);
    int AV3 = pool_node(g, OP_AVGPOOL, "av3", X, 3, 1, 1, 0, 1, &av3);
    Arr gp = ref_pool(&x, (int64_t[]){9, 9}, s1, p0, 1, 1, false, false);
    int GP = act(g, "gap", &gp);
    node(g, OP_GLOBAL_AVGPOOL, "gap", &X, 1, &GP, 1);
    Arr up = arr(4, (int64_t[]){1, 3, 8, 8});
    for (int64_t ch = 0; ch < 3; ch++)
        for (int64_t i = 0; i < 8; i++)
            for (int64_t j = 0; j < 8; j++) AT4(up, 0, ch, i, j) = AT4(mp1, 0, ch, i / 2, j / 2);
    int UP = act(g, "up", &up);
    float sc[4] = {1, 1, 2, 2};
    int SC = graph_add_const(g, "up_scales", DT_F32, 1, (int64_t[]){4}, sc);
    int rn = node(g, OP_RESIZE, "resize", (int[]){MP1, -1, SC}, 3, &UP, 1);
    node_set_string(g, rn, "mode", "nearest");
    node_set_string(g, rn, "coordinate_transformation_mode", "asymmetric");
    node_set_string(g, rn, "nearest_mode", "floor");
    add_out(c, MP2, mp2);
    add_out(c, MP3, mp3);
    add_out(c, MP4, mp4);
    add_out(c, AV1, av1);
    add_out(c, AV2, av2);
    add_out(c, AV3, av3);
    add_out(c, GP, gp);
    add_out(c, UP, up);
    c->in = x;
    free_arr(&mp1), free_arr(&x8a), free_arr(&x8);
}

/* Broadcasting in NHWC (per-channel, scalar, last-axis and lower-rank computed operands),
 * concat/split/strided slice along the channel axis, unary ops. */
static void case_elementwise(Case *c)
{
    Graph *g = c->g = graph_new();
    Arr x = wrand(4, (int64_t[]){1, 4, 5, 5}, 1.0);
    int X = act(g, "images", &x);
    graph_add_input(g, X);
    Arr w = wrand(4, (int64_t[]){4, 4, 1, 1}, 0.5);
    Arr cv = ref_conv(&x, &w, NULL, (int64_t[]){1, 1}, (int64_t[]){0, 0, 0, 0}, (int64_t[]){1, 1}, 1);
    int CV = act(g, "cv", &cv);
    conv_node(g, "pw", X, cf(g, "pw.weight", &w, true), -1, (int64_t[]){1, 1}, (int64_t[]){1, 1}, (int64_t[]){0, 0, 0, 0},
              (int64_t[]){1, 1}, 1, CV);
    Arr pc = wrand(4, (int64_t[]){1, 4, 1, 1}, 1.0);
    Arr a = ref_binary(&cv, &pc, '+');
    int A = act(g, "a", &a);
    node(g, OP_ADD, "add_pc", (int[]){CV, cf(g, "per_channel", &pc, false)}, 2, &A, 1);
    Arr half = arr(1, (int64_t[]){1});
    half.v[0] = 0.5;
    Arr s = ref_binary(&a, &half, '-');
    int S = act(g, "s", &s);
    node(g, OP_SUB, "sub_scalar", (int[]){A, cf(g, "half", &half, false)}, 2, &S, 1);
    Arr m = ref_binary(&s, &x, '*');
    int M = act(g, "m", &m);
    node(g, OP_MUL, "mul_x", (int[]){S, X}, 2, &M, 1);
    Arr lw = wrand(1, (int64_t[]){5}, 1.0);
    for (int i = 0; i < 5; i++) lw.v[i] = (float)(lw.v[i] >= 0 ? lw.v[i] + 0.5 : lw.v[i] - 0.5);
    Arr dv = ref_binary(&m, &lw, '/');
    int DV = act(g, "dv", &dv);
    node(g, OP_DIV, "div_w", (int[]){M, cf(g, "last_axis", &lw, false)}, 2, &DV, 1);
    Arr cat = ref_concat(&dv, &cv, 1);
    int CAT = act(g, "cat", &cat);
    int cn = node(g, OP_CONCAT, "concat", (int[]){DV, CV}, 2, &CAT, 1);
    node_set_int(g, cn, "axis", 1);
    Arr p = ref_slice(&cat, 1, 0, 3, 1), q = ref_slice(&cat, 1, 3, 8, 1);
    int P = act(g, "p", &p), Q = act(g, "q", &q);
    int sn = node(g, OP_SPLIT, "split", &CAT, 1, (int[]){P, Q}, 2);
    node_set_int(g, sn, "axis", 1);
    node_set_ints(g, sn, "split", (int64_t[]){3, 5}, 2);
    Arr sp = ref_map(&p, f_sigmoid);
    int SP = act(g, "sp", &sp);
    node(g, OP_SIGMOID, "sigmoid", &P, 1, &SP, 1);
    Arr q1 = ref_slice(&q, 2, 1, 4, 1);
    Arr q2 = ref_slice(&q1, 3, 0, 5, 2);
    int Q2 = act(g, "q2", &q2);
    node(g, OP_SLICE, "strided",
         (int[]){Q, ci64(g, "st", 2, (int64_t[]){1, 0}), ci64(g, "en", 2, (int64_t[]){4, INT64_MAX}),
                 ci64(g, "ax", 2, (int64_t[]){2, -1}), ci64(g, "sp", 2, (int64_t[]){1, 2})},
         5, &Q2, 1);
    Arr rq = ref_map(&q2, f_relu);
    int RQ = act(g, "rq", &rq);
    node(g, OP_RELU, "relu", &Q2, 1, &RQ, 1);
    /* a rank-3 computed operand broadcast against an NHWC tensor */
    Arr t3 = ref_reshape(&x, 3, (int64_t[]){4, 5, 5});
    int T3 = act(g, "t3", &t3);
    node(g, OP_RESHAPE, "to3", (int[]){X, ci64(g, "shape3", 3, (int64_t[]){4, 5, 5})}, 2, &T3, 1);
    Arr ad = ref_binary(&cv, &t3, '+');
    int AD = act(g, "ad", &ad);
    node(g, OP_ADD, "add3", (int[]){CV, T3}, 2, &AD, 1);
    Arr cs = arr(4, ad.dims);
    for (int64_t i = 0; i < numel(&ad); i++) cs.v[i] = cos(ad.v[i]);
    int CS = act(g, "cs", &cs);
    graph_add_node(g, OP_OTHER, "Cos", "cos", -1, &AD, 1, &CS, 1);
    Arr mx = ref_binary(&cs, &pc, 'M');
    int MX = act(g, "mx", &mx);
    graph_add_node(g, OP_OTHER, "Max", "max", -1, (int[]){CS, cf(g, "pc2", &pc, false)}, 2, &MX, 1);
    add_out(c, SP, sp);
    add_out(c, RQ, rq);
    add_out(c, MX, mx);
    c->in = x;
    free_arr(&w), free_arr(&cv), free_arr(&pc), free_arr(&a), free_arr(&half), free_arr(&s), free_arr(&m);
    free_arr(&lw), free_arr(&dv), free_arr(&cat), free_arr(&p), free_arr(&q), free_arr(&q1), free_arr(&q2);
    free_arr(&t3), free_arr(&ad), free_arr(&cs);
}

/* The Detect head's DFL: reshape, transpose, softmax over the bins, 1x1 conv, reshape. */
static void case_dfl(Case *c)
{
    Graph *g = c->g = graph_new();
    Arr x = wrand(4, (int64_t[]){1, 64, 2, 3}, 2.0);
    int X = act(g, "images", &x);
    graph_add_input(g, X);
    Arr r = ref_reshape(&x, 4, (int64_t[]){1, 4, 16, 6});
    int R = act(g, "r", &r);
    node(g, OP_RESHAPE, "dfl/Reshape", (int[]){X, ci64(g, "dfl_shape", 4, (int64_t[]){1, 4, 16, -1})}, 2, &R, 1);
    Arr t = ref_transpose(&r, (int[]){0, 2, 1, 3});
    int T = act(g, "t", &t);
    int tn = node(g, OP_TRANSPOSE, "dfl/Transpose", &R, 1, &T, 1);
    node_set_ints(g, tn, "perm", (int64_t[]){0, 2, 1, 3}, 4);
    Arr sm = ref_softmax(&t, 1);
    int SM = act(g, "sm", &sm);
    int sn = node(g, OP_SOFTMAX, "dfl/Softmax", &T, 1, &SM, 1);
    node_set_int(g, sn, "axis", 1);
    Arr w = arr(4, (int64_t[]){1, 16, 1, 1});
    for (int i = 0; i < 16; i++) w.v[i] = i;
    Arr cv = ref_conv(&sm, &w, NULL, (int64_t[]){1, 1}, (int64_t[]){0, 0, 0, 0}, (int64_t[]){1, 1}, 1);
    int CV = act(g, "cv", &cv);
    conv_node(g, "dfl/conv/Conv", SM, cf(g, "dfl.conv.weight", &w, false), -1, (int64_t[]){1, 1}, (int64_t[]){1, 1},
              (int64_t[]){0, 0, 0, 0}, (int64_t[]){1, 1}, 1, CV);
    Arr y = ref_reshape(&cv, 3, (int64_t[]){1, 4, 6});
    int Y = act(g, "y", &y);
    node(g, OP_RESHAPE, "dfl/Reshape_1", (int[]){CV, ci64(g, "dfl_shape2", 3, (int64_t[]){1, 4, 6})}, 2, &Y, 1);
    Arr st = wrand(2, (int64_t[]){1, 6}, 4.0);
    Arr z = ref_binary(&y, &st, '*');
    int Z = act(g, "z", &z);
    node(g, OP_MUL, "mul_strides", (int[]){Y, cf(g, "strides", &st, false)}, 2, &Z, 1);
    add_out(c, Z, z);
    add_out(c, SM, sm); /* a rank-4 output left in a transposed layout */
    c->in = x;
    free_arr(&r), free_arr(&t), free_arr(&w), free_arr(&cv), free_arr(&y), free_arr(&st);
}

/* Attention: split heads, transposed MatMul operands, scaled softmax; Flatten + Gemm. */
static void case_attention(Case *c)
{
    Graph *g = c->g = graph_new();
    Arr x = wrand(4, (int64_t[]){1, 8, 4, 4}, 1.0);
    int X = act(g, "images", &x);
    graph_add_input(g, X);
    Arr qkv = ref_reshape(&x, 4, (int64_t[]){1, 2, 4, 16});
    int QKV = act(g, "qkv", &qkv);
    node(g, OP_RESHAPE, "attn/Reshape", (int[]){X, ci64(g, "qkv_shape", 4, (int64_t[]){1, 2, 4, 16})}, 2, &QKV, 1);
    Arr q = ref_slice(&qkv, 2, 0, 2, 1), k = ref_slice(&qkv, 2, 2, 4, 1);
    int Q = act(g, "q", &q), K = act(g, "k", &k);
    int sp = node(g, OP_SPLIT, "attn/Split", &QKV, 1, (int[]){Q, K}, 2);
    node_set_int(g, sp, "axis", 2);
    node_set_ints(g, sp, "split", (int64_t[]){2, 2}, 2);
    Arr qt = ref_transpose(&q, (int[]){0, 1, 3, 2});
    int QT = act(g, "qt", &qt);
    int tn = node(g, OP_TRANSPOSE, "attn/Transpose", &Q, 1, &QT, 1);
    node_set_ints(g, tn, "perm", (int64_t[]){0, 1, 3, 2}, 4);
    Arr at = ref_matmul(&qt, &k);
    int AT = act(g, "at", &at);
    node(g, OP_MATMUL, "attn/MatMul", (int[]){QT, K}, 2, &AT, 1);
    Arr scale = arr(0, NULL);
    scale.v[0] = 0.25;
    Arr as = ref_binary(&at, &scale, '*');
    int AS = act(g, "as", &as);
    node(g, OP_MUL, "attn/Mul", (int[]){AT, cf(g, "scale", &scale, false)}, 2, &AS, 1);
    Arr sm = ref_softmax(&as, 3);
    int SM = act(g, "sm", &sm);
    int sn = node(g, OP_SOFTMAX, "attn/Softmax", &AS, 1, &SM, 1);
    node_set_int(g, sn, "axis", -1);
    Arr smt = ref_transpose(&sm, (int[]){0, 1, 3, 2});
    int SMT = act(g, "smt", &smt);
    tn = node(g, OP_TRANSPOSE, "attn/Transpose_1", &SM, 1, &SMT, 1);
    node_set_ints(g, tn, "perm", (int64_t[]){0, 1, 3, 2}, 4);
    Arr o = ref_matmul(&k, &smt);
    int O = act(g, "o", &o);
    node(g, OP_MATMUL, "attn/MatMul_1", (int[]){K, SMT}, 2, &O, 1);
    Arr o4 = ref_reshape(&o, 4, (int64_t[]){1, 4, 4, 4});
    int O4 = act(g, "o4", &o4);
    node(g, OP_RESHAPE, "attn/Reshape_1", (int[]){O, ci64(g, "o4_shape", 4, (int64_t[]){1, 4, 4, 4})}, 2, &O4, 1);
    Arr fl = ref_reshape(&x, 2, (int64_t[]){1, 128});
    int FL = act(g, "fl", &fl);
    int fn = node(g, OP_FLATTEN, "flatten", &X, 1, &FL, 1);
    node_set_int(g, fn, "axis", 1);
    Arr wg = wrand(2, (int64_t[]){10, 128}, 0.2), bg = wrand(1, (int64_t[]){10}, 1.0);
    Arr wgt = ref_transpose(&wg, (int[]){1, 0});
    Arr gm = ref_matmul(&fl, &wgt);
    for (int i = 0; i < 10; i++) gm.v[i] = 0.5 * gm.v[i] + bg.v[i];
    int GM = act(g, "gm", &gm);
    int gn = node(g, OP_GEMM, "linear", (int[]){FL, cf(g, "linear.weight", &wg, true), cf(g, "linear.bias", &bg, true)}, 3,
                  &GM, 1);
    node_set_int(g, gn, "transB", 1);
    node_set_float(g, gn, "alpha", 0.5);
    Arr gs = ref_softmax(&gm, 1);
    int GS = act(g, "gs", &gs);
    sn = node(g, OP_SOFTMAX, "softmax", &GM, 1, &GS, 1);
    node_set_int(g, sn, "axis", 1);
    add_out(c, O4, o4);
    add_out(c, GS, gs);
    c->in = x;
    free_arr(&qkv), free_arr(&q), free_arr(&k), free_arr(&qt), free_arr(&at), free_arr(&scale), free_arr(&as);
    free_arr(&sm), free_arr(&smt), free_arr(&o), free_arr(&fl), free_arr(&wg), free_arr(&bg), free_arr(&wgt);
    free_arr(&gm);
}

/* Transposed convolutions (Proto's upsample; padded with output_padding); BatchNorm;
 * ReduceMax and ArgMax. */
static void case_convt_bn(Case *c)
{
    Graph *g = c->g = graph_new();
    Arr x = wrand(4, (int64_t[]){1, 4, 3, 3}, 1.0);
    int X = act(g, "images", &x);
    graph_add_input(g, X);
    Arr w1 = wrand(4, (int64_t[]){4, 6, 2, 2}, 0.5), b1 = wrand(1, (int64_t[]){6}, 0.5);
    Arr u = ref_conv_t(&x, &w1, &b1, (int64_t[]){2, 2}, (int64_t[]){0, 0}, 6, 6);
    int U = act(g, "u", &u);
    int n = node(g, OP_CONV_TRANSPOSE, "proto/upsample", (int[]){X, cf(g, "up.weight", &w1, true), cf(g, "up.bias", &b1, true)},
                 3, &U, 1);
    node_set_ints(g, n, "kernel_shape", (int64_t[]){2, 2}, 2);
    node_set_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
    node_set_ints(g, n, "pads", (int64_t[]){0, 0, 0, 0}, 4);
    Arr w2 = wrand(4, (int64_t[]){6, 2, 3, 3}, 0.5);
    Arr v = ref_conv_t(&u, &w2, NULL, (int64_t[]){2, 2}, (int64_t[]){1, 1}, 12, 12);
    int V = act(g, "v", &v);
    n = node(g, OP_CONV_TRANSPOSE, "up2", (int[]){U, cf(g, "up2.weight", &w2, true)}, 2, &V, 1);
    node_set_ints(g, n, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_ints(g, n, "strides", (int64_t[]){2, 2}, 2);
    node_set_ints(g, n, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    node_set_ints(g, n, "output_padding", (int64_t[]){1, 1}, 2);
    /* BatchNorm on u */
    Arr ga = wrand(1, (int64_t[]){6}, 1.0), be = wrand(1, (int64_t[]){6}, 1.0), mu = wrand(1, (int64_t[]){6}, 1.0);
    Arr va = wrand(1, (int64_t[]){6}, 1.0);
    for (int i = 0; i < 6; i++) va.v[i] = (float)(fabs(va.v[i]) + 0.1);
    Arr bn = arr(4, u.dims);
    for (int64_t ch = 0; ch < 6; ch++) {
        double s = (float)(ga.v[ch] / sqrt(va.v[ch] + 1e-3));
        for (int64_t i = 0; i < 36; i++) bn.v[ch * 36 + i] = u.v[ch * 36 + i] * s + (be.v[ch] - mu.v[ch] * s);
    }
    int BN = act(g, "bn", &bn);
    n = node(g, OP_BATCHNORM, "bn",
             (int[]){U, cf(g, "bn.weight", &ga, true), cf(g, "bn.bias", &be, true), cf(g, "bn.mean", &mu, false),
                     cf(g, "bn.var", &va, false)},
             5, &BN, 1);
    node_set_float(g, n, "epsilon", 1e-3);
    Arr rm = arr(3, (int64_t[]){1, 6, 6});
    Arr am = arr(4, (int64_t[]){1, 1, 6, 6});
    for (int64_t i = 0; i < 36; i++) {
        double best = -INFINITY;
        for (int64_t ch = 0; ch < 6; ch++)
            if (bn.v[ch * 36 + i] > best) best = bn.v[ch * 36 + i], am.v[i] = (double)ch;
        rm.v[i] = best;
    }
    int RM = act(g, "rm", &rm);
    n = node(g, OP_REDUCE_MAX, "rmax", &BN, 1, &RM, 1);
    node_set_ints(g, n, "axes", (int64_t[]){1}, 1);
    node_set_int(g, n, "keepdims", 0);
    int AM = graph_add_tensor(g, "am", DT_I64, 4, am.dims);
    n = node(g, OP_ARGMAX, "amax", &BN, 1, &AM, 1);
    node_set_int(g, n, "axis", 1);
    add_out(c, V, v);
    add_out(c, RM, rm);
    add_out(c, AM, am);
    c->in = x;
    free_arr(&w1), free_arr(&b1), free_arr(&u), free_arr(&w2), free_arr(&ga), free_arr(&be), free_arr(&mu);
    free_arr(&va), free_arr(&bn);
}

/* A graph as an ONNX file without value_info gives it: no shapes past the input, and a slice
 * end computed from a Shape at run time (torch's chunk()).  The writer folds it. */
static void case_fold(Case *c)
{
    Graph *g = c->g = graph_new();
    Arr x = wrand(4, (int64_t[]){1, 3, 6, 6}, 1.0);
    int X = act(g, "images", &x);
    graph_add_input(g, X);
    Arr w = wrand(4, (int64_t[]){4, 3, 3, 3}, 0.5);
    Arr cv = ref_conv(&x, &w, NULL, (int64_t[]){1, 1}, (int64_t[]){1, 1, 1, 1}, (int64_t[]){1, 1}, 1);
    int CV = graph_add_tensor(g, "cv", DT_F32, 0, NULL); /* shape unknown */
    conv_node(g, "conv", X, cf(g, "conv.weight", &w, true), -1, (int64_t[]){3, 3}, (int64_t[]){1, 1},
              (int64_t[]){1, 1, 1, 1}, (int64_t[]){1, 1}, 1, CV);
    int SH = graph_add_tensor(g, "shape", DT_I64, 0, NULL);
    node(g, OP_SHAPE, "Shape", &CV, 1, &SH, 1);
    int64_t one = 1, two = 2;
    int IDX = graph_add_const(g, "idx", DT_I64, 0, NULL, &one);
    int CH = graph_add_tensor(g, "channels", DT_I64, 0, NULL);
    int gn = node(g, OP_GATHER, "Gather", (int[]){SH, IDX}, 2, &CH, 1);
    node_set_int(g, gn, "axis", 0);
    int HALF = graph_add_tensor(g, "half", DT_I64, 0, NULL);
    node(g, OP_DIV, "Div", (int[]){CH, graph_add_const(g, "two", DT_I64, 0, NULL, &two)}, 2, &HALF, 1);
    int END = graph_add_tensor(g, "end", DT_I64, 0, NULL);
    int un = node(g, OP_UNSQUEEZE, "Unsqueeze", &HALF, 1, &END, 1);
    node_set_ints(g, un, "axes", (int64_t[]){0}, 1);
    Arr y = ref_slice(&cv, 1, 0, 2, 1);
    Arr sy = ref_map(&y, f_sigmoid);
    int Y = graph_add_tensor(g, "y", DT_F32, 0, NULL);
    node(g, OP_SLICE, "Slice", (int[]){CV, ci64(g, "starts", 1, (int64_t[]){0}), END, ci64(g, "axes", 1, (int64_t[]){1})}, 4,
         &Y, 1);
    int SY = graph_add_tensor(g, "sy", DT_F32, 0, NULL);
    node(g, OP_SIGMOID, "Sigmoid", &Y, 1, &SY, 1);
    add_out(c, SY, sy);
    c->in = x;
    free_arr(&w), free_arr(&cv), free_arr(&y);
}

static void case_conv_half(Case *c)
{
    case_conv(c);
    c->opt.half = true;
    c->tol = 5e-3;
}

static void case_conv_int8(Case *c)
{
    case_conv(c);
    c->opt.int8 = true;
    c->tol = 0.15;
}

static const struct {
    const char *name;
    void (*fn)(Case *);
} cases[] = {
    {"conv", case_conv},           {"groups", case_groups},       {"pool", case_pool},
    {"elementwise", case_elementwise}, {"dfl", case_dfl},         {"attention", case_attention},
    {"convt_bn", case_convt_bn},   {"fold", case_fold},           {"conv_half", case_conv_half},
    {"conv_int8", case_conv_int8},
};

/* ---- npy (engine/core/npy) ----------------------------------------------------------------- */
static bool write_npy(const char *path, const Arr *a)
{
    int64_t n = numel(a);
    float *f = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) f[i] = (float)a->v[i];
    char err[256];
    int rc = npy_write(path, DT_F32, a->dims, a->rank, f, err, sizeof err);
    free(f);
    return rc == 0;
}

/* A numeric .npy as doubles; NULL when unreadable. */
static double *read_npy(const char *path, int *rank, int64_t *dims, int64_t *count)
{
    NpyArray a;
    char err[256];
    if (npy_read(path, 0, &a, err, sizeof err)) return NULL;
    float *f = npy_to_f32(&a, err, sizeof err);
    double *out = f ? calloc((size_t)(a.numel ? a.numel : 1), sizeof(double)) : NULL;
    for (int64_t i = 0; out && i < a.numel; i++) out[i] = f[i];
    *rank = a.rank;
    memcpy(dims, a.dims, sizeof(int64_t) * GRAPH_MAX_RANK);
    *count = a.numel;
    free(f);
    npy_free(&a);
    return out;
}

/* ---- helpers --------------------------------------------------------------------------- */
static bool have_node_tfjs(void)
{
    return system("command -v node >/dev/null 2>&1") == 0 &&
           access("tests/node/node_modules/@tensorflow/tfjs/package.json", R_OK) == 0;
}

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

/* Run a batch plan through a runner; every line must be a result (no "error"). */
static int run_plan(const char *runner, const char *plan, int expect_lines)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "node tests/node/%s --batch '%s' 2>&1", runner, plan);
    int status, lines = 0;
    char *out = run_capture(cmd, &status);
    for (char *line = out ? strtok(out, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        lines++;
        EXPECT_MSG(!strstr(line, "\"error\""), "%s", line);
    }
    free(out);
    EXPECT_EQ_INT(lines, expect_lines);
    return lines;
}

static double compare_file(const char *path, const Arr *want, const char *what)
{
    int rank;
    int64_t dims[GRAPH_MAX_RANK], n;
    double *got = read_npy(path, &rank, dims, &n);
    EXPECT_MSG(got != NULL, "%s: no output %s", what, path);
    if (!got) return INFINITY;
    EXPECT_MSG(rank == want->rank && n == numel(want), "%s: shape (rank %d, %lld values) vs rank %d, %lld", what, rank,
               (long long)n, want->rank, (long long)numel(want));
    double maxd = 0;
    if (n == numel(want))
        for (int64_t i = 0; i < n; i++) maxd = fmax(maxd, fabs(got[i] - want->v[i]));
    else maxd = INFINITY;
    free(got);
    return maxd;
}

static json_object *read_json(const char *path)
{
    size_t len;
    char err[256];
    char *text = file_read_all(path, 1u << 28, &len, err, sizeof err);
    json_object *j = text ? json_tokener_parse(text) : NULL;
    free(text);
    return j;
}

/* ---- tests ----------------------------------------------------------------------------- */
static Case built[ARRAY_LEN(cases)];

static void build_cases(void)
{
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        built[i].name = cases[i].name;
        built[i].tol = 2e-4;
        cases[i].fn(&built[i]);
    }
}

static void free_cases(void)
{
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        free_arr(&built[i].in);
        for (int k = 0; k < built[i].n_out; k++) free_arr(&built[i].out[k]);
        graph_free(built[i].g);
    }
}

/* Every case writes a directory that passes the structural check. */
static void test_write_and_check(void)
{
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char err[512] = "";
        const char *dir = tmp("%s_web_model", built[i].name);
        int rc = write_web(built[i].g, &built[i].opt, dir, err, sizeof err);
        EXPECT_MSG(rc == 0, "%s: %s", built[i].name, err);
        TfjsSummary s = {0};
        rc = tfjs_check_dir(dir, &s, err, sizeof err);
        EXPECT_MSG(rc == 0, "%s: %s", built[i].name, err);
        EXPECT_EQ_INT(s.n_inputs, 1);
        EXPECT_EQ_INT(s.n_outputs, built[i].n_out);
        EXPECT(s.n_weights > 0 && s.weight_bytes > 0 && s.n_shards == 1);
        EXPECT_EQ_INT(s.quantized, built[i].opt.half || built[i].opt.int8);
        EXPECT(file_exists(tmp("%s_web_model/metadata.yaml", built[i].name)));
    }
}

/* The conv case's model.json in detail: the peer-style interface and the encodings. */
static void test_model_json(void)
{
    json_object *m = read_json(tmp("conv_web_model/model.json"));
    EXPECT(m != NULL);
    if (!m) return;
    json_object *v, *sig, *nodes;
    EXPECT(json_object_object_get_ex(m, "format", &v) && !strcmp(json_object_get_string(v), "graph-model"));
    EXPECT(json_object_object_get_ex(m, "signature", &sig));
    const char *s = json_object_to_json_string_ext(sig, JSON_C_TO_STRING_PLAIN);
    EXPECT_CONTAINS(s, "\"images\":{\"name\":\"images:0\",\"dtype\":\"DT_FLOAT\",\"tensorShape\":{\"dim\":[{\"size\":\"1\"},{\"size\":\"8\"},{\"size\":\"8\"},{\"size\":\"3\"}]}}");
    EXPECT_CONTAINS(s, "\"Identity:0\":{\"name\":\"Identity:0\"");
    EXPECT_CONTAINS(s, "\"Identity_1:0\"");
    json_object *topo;
    EXPECT(json_object_object_get_ex(m, "modelTopology", &topo) && json_object_object_get_ex(topo, "node", &nodes));
    bool fused = false, explicit_pad = false, same = false, filter_hwio = false;
    for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
        const char *ns = json_object_to_json_string_ext(json_object_array_get_idx(nodes, i), JSON_C_TO_STRING_PLAIN);
        /* padding "SAME" / "EXPLICIT" and fused_ops ["BiasAdd"] are base64 bytes */
        if (strstr(ns, "\"op\":\"_FusedConv2D\"") && strstr(ns, "\"fused_ops\":{\"list\":{\"s\":[\"Qmlhc0FkZA==\"]}}")) fused = true;
        if (strstr(ns, "\"padding\":{\"s\":\"RVhQTElDSVQ=\"}") && strstr(ns, "\"explicit_paddings\":{\"list\":{\"i\":[\"0\",\"0\",\"1\",\"1\",\"1\",\"1\",\"0\",\"0\"]}}"))
            explicit_pad = true;
        if (strstr(ns, "\"padding\":{\"s\":\"U0FNRQ==\"}")) same = true;
        if (strstr(ns, "\"name\":\"model.0.conv.weight\"") && strstr(ns, "[{\"size\":\"3\"},{\"size\":\"3\"},{\"size\":\"3\"},{\"size\":\"4\"}]"))
            filter_hwio = true;
    }
    EXPECT(fused);
    EXPECT(explicit_pad);
    EXPECT(same);
    EXPECT(filter_hwio);
    json_object_put(m);
    /* float16: only parameters carry the quantization; shards hold 2 bytes per value */
    m = read_json(tmp("conv_half_web_model/model.json"));
    EXPECT(m != NULL);
    if (!m) return;
    json_object *man = NULL, *grp, *ws;
    EXPECT(json_object_object_get_ex(m, "weightsManifest", &man));
    grp = man ? json_object_array_get_idx(man, 0) : NULL;
    EXPECT(grp && json_object_object_get_ex(grp, "weights", &ws));
    int quantized = 0, plain = 0;
    for (size_t i = 0; grp && i < json_object_array_length(ws); i++) {
        json_object *e = json_object_array_get_idx(ws, i), *q;
        if (json_object_object_get_ex(e, "quantization", &q)) {
            quantized++;
            EXPECT_CONTAINS(json_object_to_json_string_ext(q, JSON_C_TO_STRING_PLAIN),
                            "{\"dtype\":\"float16\",\"original_dtype\":\"float32\"}");
            EXPECT_CONTAINS(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN), "\"dtype\":\"float32\"");
        } else {
            plain++;
        }
    }
    EXPECT_EQ_INT(quantized, 5); /* three conv weights, two biases: the only constants here */
    EXPECT_EQ_INT(plain, 0);
    json_object_put(m);
}

/* Run every case in TF.js and compare with the reference loops. */
static void test_run_in_tfjs(void)
{
    if (!have_node_tfjs()) {
        SKIP("node or @tensorflow/tfjs missing (make deps)");
        return;
    }
    char plan[512];
    snprintf(plan, sizeof plan, "%s", tmp("plan.json"));
    FILE *f = fopen(plan, "w");
    EXPECT(f != NULL);
    if (!f) return;
    fprintf(f, "[\n");
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        EXPECT(write_npy(tmp("%s_in.npy", built[i].name), &built[i].in));
        fprintf(f, "%s{\"model\": \"%s\", \"inputs\": {\"images\": \"%s\"}, \"out\": \"%s\", \"nchw\": true, \"to_nchw\": true}",
                i ? ",\n" : "", tmp("%s_web_model", built[i].name), tmp("%s_in.npy", built[i].name),
                tmp("%s_out", built[i].name));
    }
    fprintf(f, "\n]\n");
    fclose(f);
    run_plan("run_tfjs.js", plan, (int)ARRAY_LEN(cases));
    double worst = 0;
    int compared = 0;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        for (int k = 0; k < built[i].n_out; k++) {
            char what[128];
            snprintf(what, sizeof what, "%s output %d", built[i].name, k);
            const char *file = k ? tmp("%s_out/Identity_%d.npy", built[i].name, k) : tmp("%s_out/Identity.npy", built[i].name);
            double d = compare_file(file, &built[i].out[k], what);
            /* int8 weights: relative to the output's range */
            double scale = 1;
            if (built[i].opt.int8)
                for (int64_t e = 0; e < numel(&built[i].out[k]); e++) scale = fmax(scale, fabs(built[i].out[k].v[e]));
            EXPECT_MSG(d <= built[i].tol * scale, "%s: max |diff| %g > %g", what, d, built[i].tol * scale);
            if (!built[i].opt.half && !built[i].opt.int8) worst = fmax(worst, d);
            compared++;
        }
    printf("# tfjs: %d outputs compared, worst float32 |diff| %.3g\n", compared, worst);
}

/* Run g in our executor on in (NCHW); the outputs as Arrs (caller frees). */
static int exec_outputs(const Graph *g, const Arr *in, Arr *outs, int max)
{
    char err[512] = "";
    Exec *e = exec_new(g, err, sizeof err);
    EXPECT_MSG(e != NULL, "exec: %s", err);
    if (!e) return 0;
    int64_t n = numel(in);
    float *f = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) f[i] = (float)in->v[i];
    int rc = exec_set_input(e, g->tensors[g->inputs[0]].name, f, in->dims, in->rank, err, sizeof err);
    if (!rc) rc = exec_run(e, NULL, err, sizeof err);
    free(f);
    EXPECT_MSG(rc == 0, "exec: %s", err);
    int k = 0;
    for (; !rc && k < g->n_outputs && k < max; k++) {
        int64_t dims[GRAPH_MAX_RANK];
        int rank;
        const float *y = exec_output(e, k, dims, &rank);
        if (!y) break;
        outs[k] = arr(rank, dims);
        for (int64_t i = 0; i < numel(&outs[k]); i++) outs[k].v[i] = y[i];
    }
    exec_free(e);
    return rc ? 0 : k;
}

/* Built-in configs of every task, written as TF.js, run there and in our executor. */
static void test_configs_match_exec(void)
{
    if (!have_node_tfjs()) {
        SKIP("node or @tensorflow/tfjs missing (make deps)");
        return;
    }
    static const struct {
        const char *cfg;
        int imgsz;
        int outputs;
    } models[] = {
        {"yolov8n.yaml", 128, 1}, {"yolo11n-seg.yaml", 128, 2}, {"yolov8n-pose.yaml", 96, 1},
        {"yolo11n-obb.yaml", 96, 1}, {"yolov8n-cls.yaml", 64, 1},
    };
    Arr want[ARRAY_LEN(models)][2];
    int got_out[ARRAY_LEN(models)] = {0};
    char plan[512];
    snprintf(plan, sizeof plan, "%s", tmp("cfg_plan.json"));
    FILE *pf = fopen(plan, "w");
    EXPECT(pf != NULL);
    if (!pf) return;
    fprintf(pf, "[\n");
    int written = 0;
    for (size_t i = 0; i < ARRAY_LEN(models); i++) {
        char err[512] = "";
        LoadOptions lo = {.imgsz = {models[i].imgsz, models[i].imgsz}, .fuse = true};
        Graph *g = model_load(models[i].cfg, &lo, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s: %s", models[i].cfg, err);
        if (!g) continue;
        EXPECT_EQ_INT(g->n_outputs, models[i].outputs);
        int rc = write_web(g, NULL, tmp("cfg%zu_web_model", i), err, sizeof err);
        EXPECT_MSG(rc == 0, "%s: %s", models[i].cfg, err);
        Arr in = arr_rand(4, (int64_t[]){1, 3, models[i].imgsz, models[i].imgsz}, 0.5);
        for (int64_t e = 0; e < numel(&in); e++) in.v[e] = (float)(in.v[e] + 0.5);
        EXPECT(write_npy(tmp("cfg%zu_in.npy", i), &in));
        got_out[i] = exec_outputs(g, &in, want[i], 2);
        EXPECT_EQ_INT(got_out[i], models[i].outputs);
        free_arr(&in);
        fprintf(pf, "%s{\"model\": \"%s\", \"inputs\": {\"images\": \"%s\"}, \"out\": \"%s\", \"nchw\": true, \"to_nchw\": true}",
                written ? ",\n" : "", tmp("cfg%zu_web_model", i), tmp("cfg%zu_in.npy", i), tmp("cfg%zu_tfjs", i));
        written++;
        graph_free(g);
    }
    fprintf(pf, "\n]\n");
    fclose(pf);
    run_plan("run_tfjs.js", plan, written);
    for (size_t i = 0; i < ARRAY_LEN(models); i++)
        for (int k = 0; k < got_out[i]; k++) {
            double range = 1;
            for (int64_t e = 0; e < numel(&want[i][k]); e++) range = fmax(range, fabs(want[i][k].v[e]));
            const char *file = k ? tmp("cfg%zu_tfjs/Identity_%d.npy", i, k) : tmp("cfg%zu_tfjs/Identity.npy", i);
            double d = compare_file(file, &want[i][k], models[i].cfg);
            printf("# %s imgsz %d output%d: max |tfjs - exec| %.3g (values up to %.3g)\n", models[i].cfg,
                   models[i].imgsz, k, d, range);
            EXPECT_MSG(d <= 1e-4 * range, "%s output%d: max |diff| %g over values up to %g", models[i].cfg, k, d, range);
            free_arr(&want[i][k]);
        }
}

/* A graph of one op of each refused kind: -1 naming the node, nothing written. */
static void test_refused_ops(void)
{
    char err[512];
    struct {
        OpKind op;
        const char *type;
        const char *want;
    } bad[] = {
        {OP_NMS, NULL, "nms_node"},
        {OP_OTHER, "HardSwish", "nms_node"},
        {OP_TOPK, NULL, "nms_node"},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        Graph *g = graph_new();
        int x = graph_add_tensor(g, "x", DT_F32, 2, (int64_t[]){2, 3});
        graph_add_input(g, x);
        int y = graph_add_tensor(g, "y", DT_F32, 2, (int64_t[]){2, 3});
        graph_add_node(g, bad[i].op, bad[i].type, "nms_node", -1, &x, 1, &y, 1);
        graph_add_output(g, y);
        const char *dir = tmp("bad%zu", i);
        EXPECT(write_web(g, NULL, dir, err, sizeof err) == -1);
        EXPECT_CONTAINS(err, bad[i].want);
        EXPECT_CONTAINS(err, "no equivalent");
        EXPECT(!file_exists(tmp("bad%zu/model.json", i)));
        graph_free(g);
    }
    /* computed weights, linear resize, a grouped transposed conv: refused with a reason */
    Graph *g = graph_new();
    int x = graph_add_tensor(g, "x", DT_F32, 4, (int64_t[]){1, 2, 4, 4});
    int w = graph_add_tensor(g, "w", DT_F32, 4, (int64_t[]){2, 2, 1, 1});
    graph_add_input(g, x);
    graph_add_input(g, w);
    int y = graph_add_tensor(g, "y", DT_F32, 4, (int64_t[]){1, 2, 4, 4});
    conv_node(g, "dyn_conv", x, w, -1, (int64_t[]){1, 1}, (int64_t[]){1, 1}, (int64_t[]){0, 0, 0, 0}, (int64_t[]){1, 1}, 1, y);
    graph_add_output(g, y);
    EXPECT(write_web(g, NULL, tmp("bad_conv"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "dyn_conv");
    EXPECT_CONTAINS(err, "constant");
    graph_free(g);
    g = graph_new();
    x = graph_add_tensor(g, "x", DT_F32, 4, (int64_t[]){1, 2, 4, 4});
    graph_add_input(g, x);
    y = graph_add_tensor(g, "y", DT_F32, 4, (int64_t[]){1, 2, 8, 8});
    int n = graph_add_node(g, OP_RESIZE, NULL, "bilinear", -1, &x, 1, &y, 1);
    node_set_string(g, n, "mode", "linear");
    node_set_floats(g, n, "scales", (double[]){1, 1, 2, 2}, 4);
    graph_add_output(g, y);
    EXPECT(write_web(g, NULL, tmp("bad_resize"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "bilinear");
    EXPECT_CONTAINS(err, "linear");
    graph_free(g);
}

static Graph *tiny_graph(void)
{
    Graph *g = graph_new();
    int x = graph_add_tensor(g, "x", DT_F32, 4, (int64_t[]){1, 2, 4, 4});
    graph_add_input(g, x);
    int y = graph_add_tensor(g, "y", DT_F32, 4, (int64_t[]){1, 2, 4, 4});
    float wv[4] = {1, 2, 3, 4};
    int w = graph_add_const(g, "w", DT_F32, 4, (int64_t[]){2, 2, 1, 1}, wv);
    conv_node(g, "c", x, w, -1, (int64_t[]){1, 1}, (int64_t[]){1, 1}, (int64_t[]){0, 0, 0, 0}, (int64_t[]){1, 1}, 1, y);
    graph_add_output(g, y);
    return g;
}

static void test_bad_arguments(void)
{
    char err[512];
    Graph *g = tiny_graph();
    EXPECT(write_web(g, &(TfjsOptions){.half = true, .int8 = true}, tmp("both"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "mutually exclusive");
    EXPECT(write_web(g, &(TfjsOptions){.input_name = "bad:name"}, tmp("badname"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "bad:name");
    /* the directory is a file */
    FILE *f = fopen(tmp("plainfile"), "w");
    if (f) fclose(f);
    EXPECT(write_web(g, NULL, tmp("plainfile"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "not a directory");
    /* the metadata must be an object */
    json_object *arrm = json_object_new_array();
    EXPECT(write_web(g, &(TfjsOptions){.metadata = arrm}, tmp("badmeta"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "metadata");
    EXPECT(!file_exists(tmp("badmeta/model.json")) && !file_exists(tmp("badmeta/group1-shard1of1.bin")));
    json_object_put(arrm);
    EXPECT(write_web(NULL, NULL, tmp("x"), err, sizeof err) == -1);
    graph_free(g);
    /* no output */
    g = graph_new();
    int x = graph_add_tensor(g, "x", DT_F32, 1, (int64_t[]){2});
    graph_add_input(g, x);
    EXPECT(write_web(g, NULL, tmp("noout"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "no output");
    graph_free(g);
}

/* A disk that fills up mid-way: -1 naming a file, and no file of ours left behind.  The
 * fault budget is read once per process, so a fresh copy of this program does the write. */
static void test_disk_full(void)
{
    char dir[512], self[512], cmd[1400];
    snprintf(dir, sizeof dir, "%s", tmp("full_web_model"));
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    EXPECT(n > 0);
    if (n <= 0) return;
    self[n] = 0;
    snprintf(cmd, sizeof cmd, "YOLOPORT_FAULT_WRITE_AFTER=20 '%s' --write-tiny '%s' >'%s.log' 2>&1", self, dir, dir);
    int status = system(cmd);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    size_t len;
    char err[256];
    char *log = file_read_all(tmp("full_web_model.log"), 1 << 16, &len, err, sizeof err);
    EXPECT_CONTAINS(log, "full_web_model/");
    EXPECT_CONTAINS(log, "No space left on device");
    free(log);
    snprintf(cmd, sizeof cmd, "test -d '%s' && test -z \"$(ls -A '%s')\"", dir, dir);
    EXPECT_MSG(system(cmd) == 0, "files left in %s", dir);
}

static char *slurp(const char *path, size_t *len)
{
    char err[256];
    return file_read_all(path, 1u << 26, len, err, sizeof err);
}

static void spit(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(text, 1, len, f);
    fclose(f);
}

/* tfjs_check_dir on damaged copies of a good directory. */
static void test_check_damaged(void)
{
    char err[512];
    Graph *g = tiny_graph();
    char good[512];
    snprintf(good, sizeof good, "%s", tmp("good_web_model"));
    EXPECT(write_web(g, NULL, good, err, sizeof err) == 0);
    graph_free(g);
    size_t len;
    char *model = slurp(tmp("good_web_model/model.json"), &len);
    EXPECT(model != NULL);
    if (!model) return;
    struct {
        const char *what;
        const char *from, *to; /* a replacement in model.json; NULL: see below */
        const char *want;
    } cases_[] = {
        {"truncated", NULL, NULL, "not a JSON object"},
        {"format", "\"graph-model\"", "\"layers-model\"", "graph-model"},
        {"shape", "\"shape\":[1,1,2,2]", "\"shape\":[1,1,2,3]", "describes"},
        {"dangling input", "\"input\":[\"images\"", "\"input\":[\"nosuch\"", "nosuch"},
        {"escape", "\"group1-shard1of1.bin\"", "\"../group1-shard1of1.bin\"", "not a plain file name"},
        {"quantization", "\"dtype\":\"float32\"}", "\"dtype\":\"float32\",\"quantization\":{\"dtype\":\"int4\"}}", "int4"},
        {"duplicate", "\"name\":\"images\",\"op\":\"Placeholder\"", "\"name\":\"c\",\"op\":\"Placeholder\"", "two nodes"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases_); i++) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", tmp("dmg"), good, tmp("dmg"));
        EXPECT(system(cmd) == 0);
        if (!cases_[i].from) {
            spit(tmp("dmg/model.json"), model, len / 2);
        } else {
            const char *at = strstr(model, cases_[i].from);
            EXPECT_MSG(at != NULL, "%s: '%s' not in model.json", cases_[i].what, cases_[i].from);
            if (!at) continue;
            char *edited = xasprintf("%.*s%s%s", (int)(at - model), model, cases_[i].to, at + strlen(cases_[i].from));
            spit(tmp("dmg/model.json"), edited, strlen(edited));
            free(edited);
        }
        err[0] = 0;
        EXPECT_MSG(tfjs_check_dir(tmp("dmg"), NULL, err, sizeof err) == -1, "%s accepted", cases_[i].what);
        EXPECT_CONTAINS(err, cases_[i].want);
    }
    free(model);
    /* a shard one byte longer; metadata.yaml missing or not a mapping */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s' && printf x >> '%s'", tmp("dmg"), good, tmp("dmg"),
             tmp("dmg/group1-shard1of1.bin"));
    EXPECT(system(cmd) == 0);
    EXPECT(tfjs_check_dir(tmp("dmg"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "shards hold 17");
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s' && rm '%s'", tmp("dmg"), good, tmp("dmg"), tmp("dmg/metadata.yaml"));
    EXPECT(system(cmd) == 0);
    EXPECT(tfjs_check_dir(tmp("dmg"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "metadata.yaml");
    spit(tmp("dmg/metadata.yaml"), "- a\n- b\n", 8);
    EXPECT(tfjs_check_dir(tmp("dmg"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "not a YAML mapping");
    EXPECT(tfjs_check_dir(tmp("nosuchdir"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "model.json");
}

/* metadata.yaml: order kept, int keys for names, YAML 1.1 look-alikes quoted. */
static void test_metadata_yaml(void)
{
    json_object *m = json_object_new_object();
    json_object_object_add(m, "description", json_object_new_string("Ultralytics YOLOv8n model trained on coco.yaml"));
    json_object_object_add(m, "date", json_object_new_string("2024-05-17T09:31:19.517621"));
    json_object_object_add(m, "version", json_object_new_string("8.1.22"));
    json_object_object_add(m, "stride", json_object_new_int(32));
    json_object_object_add(m, "half", json_object_new_boolean(0));
    json_object_object_add(m, "conf", json_object_new_double(0.25));
    json_object *imgsz = json_object_new_array();
    json_object_array_add(imgsz, json_object_new_int(640));
    json_object_array_add(imgsz, json_object_new_int(480));
    json_object_object_add(m, "imgsz", imgsz);
    json_object *names = json_object_new_object();
    json_object_object_add(names, "0", json_object_new_string("person"));
    json_object_object_add(names, "1", json_object_new_string("yes"));
    json_object_object_add(names, "2", json_object_new_string("1.5"));
    json_object_object_add(names, "3", json_object_new_string("交通灯"));
    json_object_object_add(names, "4", json_object_new_string("a: b"));
    json_object_object_add(m, "names", names);
    json_object_object_add(m, "args", json_object_new_object());
    json_object_object_add(m, "nothing", NULL);
    Graph *g = tiny_graph();
    char err[512];
    EXPECT(write_web(g, &(TfjsOptions){.metadata = m}, tmp("meta_web_model"), err, sizeof err) == 0);
    graph_free(g);
    json_object_put(m);
    size_t len;
    char *y = slurp(tmp("meta_web_model/metadata.yaml"), &len);
    EXPECT(y != NULL);
    if (!y) return;
    EXPECT_EQ_STR(y, "description: Ultralytics YOLOv8n model trained on coco.yaml\n"
                     "date: '2024-05-17T09:31:19.517621'\n"
                     "version: 8.1.22\n"
                     "stride: 32\n"
                     "half: false\n"
                     "conf: 0.25\n"
                     "imgsz:\n- 640\n- 480\n"
                     "names:\n  0: person\n  1: 'yes'\n  2: '1.5'\n  3: 交通灯\n  4: 'a: b'\n"
                     "args: {}\n"
                     "nothing: null\n");
    free(y);
    /* the same as key/JSON-text pairs (TorchScript's form) */
    KeyValue kv[] = {{"stride", "32"}, {"imgsz", "[640, 640]"}, {"names", "{\"0\": \"person\", \"1\": \"on\"}"},
                     {"task", "\"detect\""}, {"date", "\"2024-05-17\""}};
    g = tiny_graph();
    EXPECT(write_web(g, &(TfjsOptions){.metadata_kv = kv, .n_metadata_kv = 5}, tmp("kv_web_model"), err, sizeof err) == 0);
    y = slurp(tmp("kv_web_model/metadata.yaml"), &len);
    EXPECT_EQ_STR(y, "stride: 32\nimgsz:\n- 640\n- 640\nnames:\n  0: person\n  1: 'on'\ntask: detect\ndate: '2024-05-17'\n");
    free(y);
    KeyValue bad1[] = {{"stride", "32"}, {"stride", "64"}}, bad2[] = {{"task", "detect"}}, bad3[] = {{"imgsz", "[640, 640] x"}};
    EXPECT(write_web(g, &(TfjsOptions){.metadata_kv = bad1, .n_metadata_kv = 2}, tmp("kv_bad"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "twice");
    EXPECT(write_web(g, &(TfjsOptions){.metadata_kv = bad2, .n_metadata_kv = 1}, tmp("kv_bad"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "'task' is not JSON");
    EXPECT(write_web(g, &(TfjsOptions){.metadata_kv = bad3, .n_metadata_kv = 1}, tmp("kv_bad"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "'imgsz' is not JSON");
    EXPECT(!file_exists(tmp("kv_bad/model.json")));
    graph_free(g);
    /* no metadata: an empty mapping, which still checks */
    g = tiny_graph();
    EXPECT(write_web(g, NULL, tmp("nometa_web_model"), err, sizeof err) == 0);
    graph_free(g);
    y = slurp(tmp("nometa_web_model/metadata.yaml"), &len);
    EXPECT(y && !strcmp(y, "{}\n"));
    free(y);
    EXPECT(tfjs_check_dir(tmp("nometa_web_model"), NULL, err, sizeof err) == 0);
}

/* The default model, fused: a full detect graph writes, checks, and has the peer's interface. */
static void test_default_model(void)
{
    char err[512] = "";
    Graph *g = model_load("yolov8n.yaml", &(LoadOptions){.fuse = true}, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    const char *dir = tmp("yolov8n_web_model");
    EXPECT_MSG(write_web(g, NULL, dir, err, sizeof err) == 0, "%s", err);
    TfjsSummary s = {0};
    EXPECT_MSG(tfjs_check_dir(dir, &s, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(s.n_outputs, 1);
    EXPECT_EQ_INT(s.n_shards, 4); /* 3,151,904 float32 parameters + constants: 12.7 MB in 4 MiB shards */
    int64_t params = graph_param_count(g);
    EXPECT(s.weight_bytes >= params * 4 && s.weight_bytes < params * 4 + 200000);
    json_object *m = read_json(tmp("yolov8n_web_model/model.json"));
    const char *js = m ? json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN) : "";
    EXPECT_CONTAINS(js, "\"tensorShape\":{\"dim\":[{\"size\":\"1\"},{\"size\":\"640\"},{\"size\":\"640\"},{\"size\":\"3\"}]}");
    EXPECT_CONTAINS(js, "\"Identity:0\":{\"name\":\"Identity:0\",\"dtype\":\"DT_FLOAT\",\"tensorShape\":{\"dim\":[{\"size\":\"1\"},{\"size\":\"84\"},{\"size\":\"8400\"}]}}");
    json_object_put(m);
    /* half: 2 bytes per parameter */
    EXPECT(write_web(g, &(TfjsOptions){.half = true}, tmp("yolov8n_half_web_model"), err, sizeof err) == 0);
    TfjsSummary h = {0};
    EXPECT(tfjs_check_dir(tmp("yolov8n_half_web_model"), &h, err, sizeof err) == 0);
    EXPECT(h.quantized && h.weight_bytes < s.weight_bytes / 2 + 200000);
    printf("# yolov8n.yaml: %d nodes, %d weights, %lld bytes float32, %lld bytes float16\n", s.n_nodes, s.n_weights,
           (long long)s.weight_bytes, (long long)h.weight_bytes);
    graph_free(g);
}

/* ---- driver mode for tests/e2e/tfjs.sh ------------------------------------------------- */
static json_object *peer_metadata(const Graph *g, const TfjsOptions *o)
{
    const GraphMeta *mt = &g->meta;
    json_object *names = json_object_new_object();
    for (int i = 0; i < mt->nc && mt->names; i++) {
        char k[16];
        snprintf(k, sizeof k, "%d", i);
        json_object_object_add(names, k, json_object_new_string(mt->names[i] ? mt->names[i] : ""));
    }
    int stride = 0;
    for (int i = 0; i < mt->n_strides; i++) stride = mt->strides[i] > stride ? mt->strides[i] : stride;
    char date[64];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", localtime(&now));
    char *text = xasprintf(
        "{\"description\": \"Ultralytics %s model %s%s\", \"author\": \"Ultralytics\", \"date\": \"%s\", \"version\": \"%s\", "
        "\"license\": \"AGPL-3.0 License (https://ultralytics.com/license)\", \"docs\": \"https://docs.ultralytics.com\", "
        "\"stride\": %d, \"task\": \"%s\", \"batch\": 1, \"imgsz\": [%d, %d], \"names\": %s, "
        "\"args\": {\"batch\": 1, \"half\": %s, \"int8\": %s, \"nms\": false}, \"channels\": %d}",
        mt->model_name ? mt->model_name : "YOLO", mt->data ? "trained on " : "", mt->data ? mt->data : "", date,
        mt->version ? mt->version : "unknown", stride, mt->task ? mt->task : "detect", mt->imgsz[0], mt->imgsz[1],
        json_object_to_json_string_ext(names, JSON_C_TO_STRING_PLAIN), o->half ? "true" : "false",
        o->int8 ? "true" : "false", mt->channels ? mt->channels : 3);
    json_object *m = json_tokener_parse(text);
    free(text);
    json_object_put(names);
    return m;
}

/* Our executor's outputs for IN.npy (NCHW) as DIR/output<k>.npy: the e2e's reference. */
static int export_reference(const Graph *g, const char *in_path, const char *out_dir)
{
    char err[1024];
    NpyArray in;
    if (npy_read(in_path, 0, &in, err, sizeof err)) {
        fprintf(stderr, "test_tfjs: %s\n", err);
        return -1;
    }
    float *f = npy_to_f32(&in, err, sizeof err);
    Exec *e = f ? exec_new(g, err, sizeof err) : NULL;
    int rc = e ? exec_set_input(e, g->tensors[g->inputs[0]].name, f, in.dims, in.rank, err, sizeof err) : -1;
    if (!rc) rc = exec_run(e, NULL, err, sizeof err);
    if (!rc && mkdir(out_dir, 0755) && errno != EEXIST) rc = err_set(err, sizeof err, "%s: %s", out_dir, strerror(errno));
    for (int k = 0; !rc && k < g->n_outputs; k++) {
        int64_t dims[GRAPH_MAX_RANK];
        int rank;
        const float *y = exec_output(e, k, dims, &rank);
        char path[1024];
        snprintf(path, sizeof path, "%s/output%d.npy", out_dir, k);
        rc = y ? npy_write(path, DT_F32, dims, rank, y, err, sizeof err) : err_set(err, sizeof err, "no output %d", k);
    }
    if (rc) fprintf(stderr, "test_tfjs: reference: %s\n", err);
    exec_free(e);
    free(f);
    npy_free(&in);
    return rc;
}

static int export_main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: test_tfjs --export MODEL DIR [imgsz=N] [half] [int8] [dynamic] [ref=IN.npy refout=DIR]\n");
        return 2;
    }
    LoadOptions lo = {.fuse = true};
    TfjsOptions o = {0};
    const char *ref_in = NULL, *ref_out = NULL;
    for (int i = 4; i < argc; i++) {
        if (!strncmp(argv[i], "imgsz=", 6)) lo.imgsz[0] = lo.imgsz[1] = atoi(argv[i] + 6);
        else if (!strcmp(argv[i], "half")) o.half = true;
        else if (!strcmp(argv[i], "int8")) o.int8 = true;
        else if (!strcmp(argv[i], "dynamic")) lo.dynamic = lo.dynamic_hw_only = true;
        else if (!strncmp(argv[i], "ref=", 4)) ref_in = argv[i] + 4;
        else if (!strncmp(argv[i], "refout=", 7)) ref_out = argv[i] + 7;
        else {
            fprintf(stderr, "test_tfjs: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    char err[1024];
    double t0 = now_seconds();
    Graph *g = model_load(argv[2], &lo, err, sizeof err);
    if (!g) {
        fprintf(stderr, "test_tfjs: %s\n", err);
        return 1;
    }
    double t1 = now_seconds();
    json_object *meta = peer_metadata(g, &o);
    o.metadata = meta;
    int rc = write_web(g, &o, argv[3], err, sizeof err);
    double t2 = now_seconds();
    TfjsSummary s = {0};
    if (!rc) rc = tfjs_check_dir(argv[3], &s, err, sizeof err);
    if (rc) fprintf(stderr, "test_tfjs: %s\n", err);
    else
        printf("{\"dir\":\"%s\",\"nodes\":%d,\"weights\":%d,\"shards\":%d,\"weight_bytes\":%lld,\"outputs\":%d,"
               "\"load_s\":%.3f,\"write_s\":%.3f}\n",
               argv[3], s.n_nodes, s.n_weights, s.n_shards, (long long)s.weight_bytes, s.n_outputs, t1 - t0, t2 - t1);
    if (!rc && ref_in && ref_out) rc = export_reference(g, ref_in, ref_out);
    json_object_put(meta);
    graph_free(g);
    return rc ? 1 : 0;
}

/* --run MODEL IN.npy OUTDIR: a TF file (SavedModel folder, .pb, web model or .tflite) read
 * back as yoloport predict reads it (NHWC input as the source's NCHW, boxes in pixels) and run
 * on IN.npy at its size. */
static int run_main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: test_tfjs --run MODEL IN.npy OUTDIR\n");
        return 2;
    }
    char err[1024];
    LoadOptions lo = {0};
    Graph *g = model_load(argv[2], &lo, err, sizeof err);
    if (!g || pass_nhwc_as_source(g, g->meta.source_format == FMT_TFLITE || pass_boxes_normalised(g), err, sizeof err)) {
        fprintf(stderr, "test_tfjs: %s\n", err);
        graph_free(g);
        return 1;
    }
    const Tensor *in = &g->tensors[g->inputs[0]];
    printf("{\"model\":\"%s\",\"input\":[%lld,%lld,%lld,%lld]}\n", argv[2], (long long)in->dims[0],
           (long long)in->dims[1], (long long)in->dims[2], (long long)in->dims[3]);
    int rc = export_reference(g, argv[3], argv[4]);
    graph_free(g);
    return rc ? 1 : 0;
}

/* Every case's web model read back (formats/tfjs_read.c) runs in our executor to the case's
 * reference outputs: float32 as close as the writer's own check, float16 and uint8 weights
 * within their tolerances (decoded from the converter's quantisations). */
static void test_read_back(void)
{
    const char *corpus = getenv("TFJS_CORPUS_DIR"); /* the fuzz corpus' seeds: tests/fuzz/corpus/fuzz_tfjs */
    double worst = 0;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char err[512] = "";
        const char *dir = tmp("%s_web_model", built[i].name);
        Graph *back = tfjs_read(dir, err, sizeof err);
        EXPECT_MSG(back != NULL, "%s: %s", built[i].name, err);
        if (!back) continue;
        EXPECT_EQ_INT(back->meta.source_format, FMT_TFJS);
        EXPECT_MSG(pass_nhwc_as_source(back, false, err, sizeof err) == 0, "%s: %s", built[i].name, err);
        Arr outs[MAXO];
        int n = exec_outputs(back, &built[i].in, outs, MAXO);
        EXPECT_MSG(n == built[i].n_out, "%s: %d outputs, want %d", built[i].name, n, built[i].n_out);
        for (int k = 0; k < n && k < built[i].n_out; k++) {
            const Arr *want = &built[i].out[k];
            EXPECT_MSG(outs[k].rank == want->rank && numel(&outs[k]) == numel(want), "%s output %d: shape", built[i].name, k);
            double d = 0, scale = 1;
            for (int64_t e = 0; e < numel(want) && numel(&outs[k]) == numel(want); e++) d = fmax(d, fabs(outs[k].v[e] - want->v[e]));
            if (built[i].opt.int8)
                for (int64_t e = 0; e < numel(want); e++) scale = fmax(scale, fabs(want->v[e]));
            EXPECT_MSG(d <= built[i].tol * scale, "%s output %d: max |diff| %g > %g", built[i].name, k, d, built[i].tol * scale);
            if (!built[i].opt.half && !built[i].opt.int8) worst = fmax(worst, d);
            free_arr(&outs[k]);
        }
        graph_free(back);
        if (corpus && (!strcmp(built[i].name, "conv") || !strcmp(built[i].name, "conv_int8") || !strcmp(built[i].name, "conv_half"))) {
            /* <json length, 4 bytes LE> model.json <the shards> */
            size_t jl = 0, wl = 0;
            char *json = file_read_all(tmp("%s_web_model/model.json", built[i].name), 1 << 24, &jl, err, sizeof err);
            char *w = file_read_all(tmp("%s_web_model/group1-shard1of1.bin", built[i].name), 1 << 24, &wl, err, sizeof err);
            char *p = xasprintf("%s/%s", corpus, built[i].name);
            FILE *f = json && w ? fopen(p, "wb") : NULL;
            if (f) {
                uint8_t le[4] = {(uint8_t)jl, (uint8_t)(jl >> 8), (uint8_t)(jl >> 16), (uint8_t)(jl >> 24)};
                fwrite(le, 1, 4, f);
                fwrite(json, 1, jl, f);
                fwrite(w, 1, wl, f);
                fclose(f);
            }
            free(p);
            free(json);
            free(w);
        }
    }
    printf("# read back: worst float32 |diff| %.3g\n", worst);
}

/* A damaged folder: one clear message naming the file and the problem. */
static void test_read_refusals(void)
{
    char err[512] = "";
    const char *dir = tmp("conv_web_model");
    char *json_path = xasprintf("%s/model.json", dir);
    size_t jl = 0;
    char *json = file_read_all(json_path, 1 << 24, &jl, err, sizeof err);
    EXPECT(json != NULL);
    if (!json) {
        free(json_path);
        return;
    }
    struct {
        const char *from, *to, *want;
    } cases2[] = {
        {"group1-shard1of1.bin", "../group1-shard1of1.bin", "is not a file of the folder"},
        {"group1-shard1of1.bin", "group1-shard9of9.bin", "shard group1-shard9of9.bin is missing"},
        {"\"graph-model\"", "\"layers-model\"", "not a TF.js graph model"},
    };
    for (size_t c = 0; c < ARRAY_LEN(cases2); c++) {
        const char *at = strstr(json, cases2[c].from);
        EXPECT_MSG(at != NULL, "%s not in model.json", cases2[c].from);
        if (!at) continue;
        char *bad = xasprintf("%.*s%s%s", (int)(at - json), json, cases2[c].to, at + strlen(cases2[c].from));
        const char *bdir = tmp("bad%zu_web_model", c);
        char *cmd = xasprintf("rm -rf '%s' && cp -r '%s' '%s'", bdir, dir, bdir);
        EXPECT(system(cmd) == 0);
        free(cmd);
        char *bp = xasprintf("%s/model.json", bdir);
        FILE *f = fopen(bp, "w");
        if (f) {
            fputs(bad, f);
            fclose(f);
        }
        Graph *g = tfjs_read(bdir, err, sizeof err);
        EXPECT_MSG(g == NULL && strstr(err, cases2[c].want) && strstr(err, "bad"), "%s: %s", cases2[c].want, err);
        graph_free(g);
        free(bp);
        free(bad);
    }
    /* the shard one byte short of the manifest */
    const char *sdir = tmp("short_web_model");
    char *cmd = xasprintf("rm -rf '%s' && cp -r '%s' '%s' && truncate -s -1 '%s/group1-shard1of1.bin'", sdir, dir, sdir, sdir);
    EXPECT(system(cmd) == 0);
    free(cmd);
    Graph *g = tfjs_read(sdir, err, sizeof err);
    EXPECT_MSG(g == NULL && strstr(err, "bytes at offset"), "%s", err);
    graph_free(g);
    free(json);
    free(json_path);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--export")) return export_main(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "--run")) return run_main(argc, argv);
    if (argc > 2 && !strcmp(argv[1], "--write-tiny")) { /* for test_disk_full */
        Graph *g = tiny_graph();
        char err[512];
        int rc = write_web(g, NULL, argv[2], err, sizeof err);
        if (rc) printf("%s\n", err);
        graph_free(g);
        return rc ? 1 : 0;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_tfjs.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    build_cases();
    RUN(test_write_and_check);
    RUN(test_model_json);
    RUN(test_run_in_tfjs);
    RUN(test_configs_match_exec);
    RUN(test_refused_ops);
    RUN(test_bad_arguments);
    RUN(test_disk_full);
    RUN(test_check_damaged);
    RUN(test_metadata_yaml);
    RUN(test_default_model);
    RUN(test_read_back);
    RUN(test_read_refusals);
    free_cases();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
    return check_done();
}
