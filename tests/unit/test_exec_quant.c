/* Quantization in the executor: QuantizeLinear / DequantizeLinear (per tensor and per axis,
 * uint8 and int8, ties to even, saturation) and OpenVINO FakeQuantize on hand-computed
 * values; and QDQ convolutions run in integers (int32 sums, AVX-512 VNNI or portable)
 * against onnxruntime on small models that python3-onnx builds here (uint8 and int8
 * activations, per-channel and per-tensor weights, int32 and float biases, 3x3 stride 1
 * and 2, 1x1, padding, batch 2), and against the executor's own float reference. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/graph.h"
#include "engine/core/npy.h"
#include "engine/core/util.h"
#include "engine/exec/exec.h"
#include "engine/exec/exec_kern.h"
#include "formats/onnx.h"
#include "tests/check.h"

static int c_f32(Graph *g, const char *name, int rank, const int64_t *dims, const float *v)
{
    return graph_add_const(g, name, DT_F32, rank, dims, v);
}

static const float *run1(Graph *g, const float *x, const int64_t *xd, int xr, Exec **keep)
{
    char err[256];
    Exec *e = exec_new(g, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (!e) return NULL;
    *keep = e;
    int rc = exec_set_input(e, "x", x, xd, xr, err, sizeof err);
    if (!rc) rc = exec_run(e, NULL, err, sizeof err);
    EXPECT_MSG(rc == 0, "%s", err);
    return rc ? NULL : exec_output(e, 0, NULL, NULL);
}

static void test_quantize_dequantize(void)
{
    /* per tensor, uint8, zero point 10, scale 0.5: x / 0.5 rounded to even, + 10, saturated */
    Graph *g = graph_new();
    int64_t xd[1] = {8};
    int x = graph_add_tensor(g, "x", DT_F32, 1, xd);
    g->tensors[x].is_input = true;
    graph_add_input(g, x);
    float s = 0.5f;
    uint8_t zp = 10;
    int q = graph_add_tensor(g, "q", DT_U8, 0, NULL), y = graph_add_tensor(g, "y", DT_F32, 0, NULL);
    int qi[3] = {x, c_f32(g, "s", 0, NULL, &s), graph_add_const(g, "zp", DT_U8, 0, NULL, &zp)};
    graph_add_node(g, OP_QUANTIZE_LINEAR, "QuantizeLinear", "q", -1, qi, 3, &q, 1);
    int di[3] = {q, qi[1], qi[2]};
    graph_add_node(g, OP_DEQUANTIZE_LINEAR, "DequantizeLinear", "dq", -1, di, 3, &y, 1);
    graph_add_output(g, q);
    graph_add_output(g, y);
    float xv[8] = {1.25f, 1.75f, -5.5f, -100.f, 200.f, 0.f, 0.75f, 63.f};
    /* x/s = 2.5 -> 2, 3.5 -> 4, -11 -> -11, -200, 400, 0, 1.5 -> 2, 126 */
    float want_q[8] = {12, 14, 0, 0, 255, 10, 12, 136};
    Exec *e = NULL;
    const float *r = run1(g, xv, xd, 1, &e);
    if (r) {
        for (int i = 0; i < 8; i++) EXPECT_NEAR(r[i], want_q[i], 0);
        const float *dq = exec_output(e, 1, NULL, NULL);
        for (int i = 0; dq && i < 8; i++) EXPECT_NEAR(dq[i], (want_q[i] - 10) * 0.5, 0);
    }
    exec_free(e);
    graph_free(g);

    /* per axis (axis 1 of [2, 3]), int8 */
    g = graph_new();
    int64_t xd2[2] = {2, 3}, three[1] = {3};
    x = graph_add_tensor(g, "x", DT_F32, 2, xd2);
    g->tensors[x].is_input = true;
    graph_add_input(g, x);
    float sc[3] = {1.f, 0.25f, 2.f};
    int8_t z3[3] = {0, -3, 5};
    q = graph_add_tensor(g, "q", DT_I8, 0, NULL);
    int qi2[3] = {x, c_f32(g, "s", 1, three, sc), graph_add_const(g, "zp", DT_I8, 1, three, z3)};
    node_set_int(g, graph_add_node(g, OP_QUANTIZE_LINEAR, "QuantizeLinear", "q", -1, qi2, 3, &q, 1), "axis", 1);
    graph_add_output(g, q);
    float xv2[6] = {-200.f, 10.f, 5.f, 126.5f, -40.f, 300.f};
    /* -200 -> -128; 10/0.25 = 40 - 3 = 37; 5/2 = 2.5 -> 2 + 5 = 7; 126.5 -> 126 (even); -160 - 3 -> -128; 150 + 5 -> 127 */
    float want2[6] = {-128, 37, 7, 126, -128, 127};
    r = run1(g, xv2, xd2, 2, &e);
    for (int i = 0; r && i < 6; i++) EXPECT_NEAR(r[i], want2[i], 0);
    exec_free(e);
    graph_free(g);
}

static void test_fake_quantize(void)
{
    /* x [1, 2, 1, 3]; input range per channel, output range a scalar; levels 256 and 3 */
    for (int levels = 3; levels <= 256; levels += 253) {
        Graph *g = graph_new();
        int64_t xd[4] = {1, 2, 1, 3}, cd[4] = {1, 2, 1, 1};
        int x = graph_add_tensor(g, "x", DT_F32, 4, xd);
        g->tensors[x].is_input = true;
        graph_add_input(g, x);
        float il[2] = {-1.f, 0.f}, ih[2] = {1.f, 4.f}, ol = -2.f, oh = 2.f;
        int ins[5] = {x, c_f32(g, "il", 4, cd, il), c_f32(g, "ih", 4, cd, ih), c_f32(g, "ol", 0, NULL, &ol),
                      c_f32(g, "oh", 0, NULL, &oh)};
        int y = graph_add_tensor(g, "y", DT_F32, 0, NULL);
        int n = graph_add_node(g, OP_FAKE_QUANTIZE, "FakeQuantize", "fq", -1, ins, 5, &y, 1);
        char lv[8];
        snprintf(lv, sizeof lv, "%d", levels); /* as an OpenVINO IR carries it */
        node_set_string(g, n, "levels", lv);
        graph_add_output(g, y);
        float xv[6] = {-1.5f, 0.3f, 2.f, -0.5f, 1.0f, 9.f};
        Exec *e = NULL;
        const float *r = run1(g, xv, xd, 4, &e);
        for (int i = 0; r && i < 6; i++) {
            float lo = il[i / 3], hi = ih[i / 3], v = xv[i], want;
            if (v <= lo) want = ol;
            else if (v > hi) want = oh;
            else want = nearbyintf((v - lo) / (hi - lo) * (float)(levels - 1)) / (float)(levels - 1) * (oh - ol) + ol;
            EXPECT_MSG(r[i] == want, "levels %d, element %d: %g, want %g", levels, i, r[i], want);
        }
        exec_free(e);
        graph_free(g);
    }
}

/* ---- QDQ convolutions against onnxruntime -------------------------------------------------- */

static const char qdq_script[] =
    "import sys, numpy as np, onnx\n"
    "from onnx import helper, TensorProto, numpy_helper as nh\n"
    "out, signed, per_channel, seed = sys.argv[1], sys.argv[2] == '1', sys.argv[3] == '1', int(sys.argv[4])\n"
    "silu = sys.argv[5] == '1'\n"
    "rng = np.random.default_rng(seed)\n"
    "adt = np.int8 if signed else np.uint8\n"
    "nodes, inits = [], []\n"
    "def const(a, name): inits.append(nh.from_array(a, name)); return name\n"
    "def q(x, s, z, name):\n"
    "    nodes.append(helper.make_node('QuantizeLinear', [x, const(np.array(s, np.float32), name + '_s'),\n"
    "                                  const(np.array(z, adt), name + '_z')], [name + '_q']))\n"
    "    nodes.append(helper.make_node('DequantizeLinear', [name + '_q', name + '_s', name + '_z'], [name + '_dq']))\n"
    "    return name + '_dq'\n"
    "def conv(x, name, cin, cout, k, s, p, xs, int_bias):\n"
    "    w = rng.standard_normal((cout, cin, k, k)).astype(np.float32) * 0.3\n"
    "    ws = (np.abs(w).reshape(cout, -1).max(1) / 127).astype(np.float32)\n"
    "    if not per_channel: ws = np.full(cout, ws.max(), np.float32)\n"
    "    wq = np.clip(np.round(w / ws[:, None, None, None]), -127, 127).astype(np.int8)\n"
    "    ins = [x]\n"
    "    if per_channel:\n"
    "        nodes.append(helper.make_node('DequantizeLinear', [const(wq, name + '_wq'), const(ws, name + '_ws'),\n"
    "                                      const(np.zeros(cout, np.int8), name + '_wz')], [name + '_w'], axis=0))\n"
    "    else:\n"
    "        nodes.append(helper.make_node('DequantizeLinear', [const(wq, name + '_wq'), const(np.array(ws[0]), name + '_ws')],\n"
    "                                      [name + '_w']))\n"
    "    ins.append(name + '_w')\n"
    "    b = rng.standard_normal(cout).astype(np.float32) * 0.2\n"
    "    if int_bias:\n"
    "        bs = (xs * ws).astype(np.float32)\n"
    "        nodes.append(helper.make_node('DequantizeLinear', [const(np.round(b / bs).astype(np.int32), name + '_bq'),\n"
    "                                      const(bs, name + '_bs'), const(np.zeros(cout, np.int32), name + '_bz')],\n"
    "                                      [name + '_b'], axis=0))\n"
    "        ins.append(name + '_b')\n"
    "    else: ins.append(const(b, name + '_b'))\n"
    "    nodes.append(helper.make_node('Conv', ins, [name + '_y'], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4))\n"
    "    if not silu: return name + '_y'\n"
    "    nodes.append(helper.make_node('Sigmoid', [name + '_y'], [name + '_sig']))\n"
    "    nodes.append(helper.make_node('Mul', [name + '_y', name + '_sig'], [name + '_silu']))\n"
    "    return name + '_silu'\n"
    "z0 = -8 if signed else 120\n"
    "a = q('x', 0.02, z0, 'qx')\n"
    "a = q(conv(a, 'c1', 5, 19, 3, 1, 1, 0.02, True), 0.05, 3 if signed else 128, 'q1')\n"
    "a = q(conv(a, 'c2', 19, 10, 1, 1, 0, 0.05, False), 0.04, 0 if signed else 100, 'q2')\n"
    "a = q(conv(a, 'c3', 10, 13, 3, 2, 1, 0.04, True), 0.03, -20 if signed else 60, 'q3')\n"
    "nodes.append(helper.make_node('Identity', [a], ['y']))\n"
    "g = helper.make_graph(nodes, 'qdq', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 5, 21, 19])],\n"
    "                      [helper.make_tensor_value_info('y', TensorProto.FLOAT, [2, 13, 11, 10])], inits)\n"
    "m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])\n"
    "m.ir_version = 7\n"
    "onnx.checker.check_model(m)\n"
    "onnx.save(m, out + '/qdq.onnx')\n"
    "np.save(out + '/x.npy', (rng.standard_normal((2, 5, 21, 19)) * 1.2).astype(np.float32))\n";

/* Run the model at dir/qdq.onnx on dir/x.npy; output 0 into a fresh buffer. */
static float *run_qdq(const Graph *g, const NpyArray *x, ExecKernelSet ks, int keep_all, int threads, int *int8_convs,
                      int64_t *n)
{
    char err[256];
    ExecOptions opt = {.threads = threads, .kernels = ks};
    Exec *e = exec_new_with(g, &opt, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (!e) return NULL;
    exec_keep_all(e, keep_all);
    float *xf = npy_to_f32(x, err, sizeof err), *out = NULL;
    for (int run = 0; run < 2; run++) {
        int rc = exec_set_input(e, "x", xf, x->dims, x->rank, err, sizeof err);
        if (!rc) rc = exec_run(e, NULL, err, sizeof err);
        EXPECT_MSG(rc == 0, "%s", err);
        if (rc) break;
        int64_t d[8];
        int r;
        const float *y = exec_output(e, 0, d, &r);
        *n = 1;
        for (int i = 0; i < r; i++) *n *= d[i];
        if (!out) {
            out = malloc(sizeof(float) * (size_t)*n);
            memcpy(out, y, sizeof(float) * (size_t)*n);
        } else {
            EXPECT_MSG(!memcmp(out, y, sizeof(float) * (size_t)*n), "the planned run differs");
        }
    }
    *int8_convs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ExecNodeInfo info;
        if (!exec_node_info(e, i, &info) && strstr(info.path, "int8")) (*int8_convs)++;
    }
    free(xf);
    exec_free(e);
    return out;
}

/* Elements that differ, and by how many quantization steps at most. */
static void steps_apart(const float *a, const float *b, int64_t n, double step, int *differ, double *worst)
{
    *differ = 0;
    *worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]) / step;
        if (d > 1e-3) (*differ)++;
        if (d > *worst || d != d) *worst = d != d ? INFINITY : d;
    }
}

static void test_qdq_conv_vs_onnxruntime(void)
{
    if (system("/usr/bin/python3 -c 'import onnx, numpy' >/dev/null 2>&1") != 0) {
        SKIP("python3-onnx not installed");
        return;
    }
    bool ort = system("command -v node >/dev/null 2>&1") == 0 &&
               access("tests/node/node_modules/onnxruntime-node/package.json", R_OK) == 0;
    char dir[] = "/tmp/test_exec_quant.XXXXXX";
    if (!mkdtemp(dir)) {
        EXPECT_MSG(0, "mkdtemp failed");
        return;
    }
    char path[512], cmd[2048], err[256];
    snprintf(path, sizeof path, "%s/make_qdq.py", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(qdq_script, f);
        fclose(f);
    }
    /* variants 4 and 5: each convolution followed by SiLU (Sigmoid and Mul, as our int8 exports
     * have it), so it is read in float: integer sums with a float epilogue where the CPU has
     * AVX-512 VNNI, the float path elsewhere */
    for (int variant = 0; variant < 6; variant++) {
        int is_signed = variant & 1, per_channel = !(variant & 2) || variant >= 4, silu = variant >= 4;
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/make_qdq.py %s %d %d %d %d", dir, dir, is_signed, per_channel,
                 11 + variant, silu);
        EXPECT_MSG(system(cmd) == 0, "%s", cmd);
        snprintf(path, sizeof path, "%s/qdq.onnx", dir);
        Graph *g = onnx_read(path, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s", err);
        NpyArray x = {0};
        snprintf(path, sizeof path, "%s/x.npy", dir);
        EXPECT(npy_read(path, 0, &x, err, sizeof err) == 0);
        if (!g || !x.data) {
            graph_free(g);
            npy_free(&x);
            continue;
        }
        int n_int8 = 0, n_ref = 0, n_port = 0;
        int64_t n = 0, n2 = 0, n3 = 0;
        float *fast = run_qdq(g, &x, EXEC_KERNELS_BEST, 0, 2, &n_int8, &n);
        float *ref = run_qdq(g, &x, EXEC_KERNELS_BEST, 1, 1, &n_ref, &n2);
        float *port = run_qdq(g, &x, EXEC_KERNELS_PORTABLE, 0, 3, &n_port, &n3);
        int want_int8 = silu ? (exec_cpu_vnni() ? 3 : 0) : 3, want_port = silu ? 0 : 3;
        EXPECT_MSG(n_int8 == want_int8 && n_port == want_port && n_ref == 0, "variant %d: %d convolutions ran in integers "
                   "(%d portable, %d with every tensor kept; want %d and %d)", variant, n_int8, n_port, n_ref, want_int8,
                   want_port);
        const double step = 0.03; /* the output's scale */
        int differ;
        double worst;
        if (fast && ref && port && n == n2 && n == n3) {
            /* the integer path and the float reference round the same sums: at most a step apart, rarely */
            steps_apart(fast, ref, n, step, &differ, &worst);
            EXPECT_MSG(worst <= 1.001 && differ <= n / 50, "variant %d: int8 vs reference: %d of %lld differ, by up to "
                       "%g steps", variant, differ, (long long)n, worst);
            if (!silu) /* with SiLU the portable set runs float convolutions: compared with the reference above */
                EXPECT_MSG(!memcmp(fast, port, sizeof(float) * (size_t)n), "variant %d: portable and %s bytes differ",
                           variant, "vector");
            else {
                steps_apart(port, ref, n, step, &differ, &worst);
                EXPECT_MSG(worst <= 1.001 && differ <= n / 50, "variant %d: portable vs reference: %d of %lld differ, by "
                           "up to %g steps", variant, differ, (long long)n, worst);
            }
        }
        if (ort && fast) {
            snprintf(cmd, sizeof cmd, "node tests/node/run_onnx.js %s/qdq.onnx x=%s/x.npy --out %s/ort >/dev/null", dir,
                     dir, dir);
            EXPECT_MSG(system(cmd) == 0, "%s", cmd);
            NpyArray y = {0};
            snprintf(path, sizeof path, "%s/ort/y.npy", dir);
            if (npy_read(path, 0, &y, err, sizeof err) == 0) {
                float *yf = npy_to_f32(&y, err, sizeof err);
                EXPECT(y.numel == n);
                if (y.numel == n) {
                    steps_apart(fast, yf, n, step, &differ, &worst);
                    printf("# variant %d (%s activations, %s weights): %d of %lld outputs differ from onnxruntime's, "
                           "by up to %g steps\n",
                           variant, is_signed ? "int8" : "uint8", per_channel ? "per-channel" : "per-tensor", differ,
                           (long long)n, worst);
                    /* onnxruntime runs its own integer kernels (and float ones where it cannot fuse): a sum on
                     * a rounding boundary goes one way or the other, and three layers can carry that to two
                     * steps at the end */
                    EXPECT_MSG(worst <= 2.001 && differ <= 3 * n / 100, "variant %d: int8 vs onnxruntime: %d of %lld "
                               "differ, by up to %g steps", variant, differ, (long long)n, worst);
                }
                free(yf);
                npy_free(&y);
            } else {
                EXPECT_MSG(0, "%s", err);
            }
        }
        free(fast);
        free(ref);
        free(port);
        npy_free(&x);
        graph_free(g);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) printf("# could not remove %s\n", dir);
    if (!ort) SKIP("onnxruntime-node not installed: checked against the executor's float reference only");
}

int main(void)
{
    RUN(test_quantize_dequantize);
    RUN(test_fake_quantize);
    RUN(test_qdq_conv_vs_onnxruntime);
    return check_done();
}
