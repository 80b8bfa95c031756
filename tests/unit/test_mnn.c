/* test_mnn: the MNN writer and reader — the file verified as a flatbuffer of MNN's Net with
 * every op's parameters in range, and walked again here (op types, layouts, weights as
 * float32 / the converter's float16 / its 8-bit encoding decoded back), round trips of every
 * family and the shared checkpoints through the executor (1e-4 of the output range in
 * float32, 1e-2 with half, exact against the quantised source with int8), refusal by op
 * name, one clear message per kind of bad file, the export stage, and dynamic=True (height and
 * width unknown, anchors by CumSum). */
#include <json.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/export_fixture.h"
#include "engine/core/fileio.h"
#include "engine/core/npy.h"
#include "engine/core/util.h"
#include "engine/exec/exec.h"
#include "engine/export/export.h"
#include "engine/registry/model.h"
#include "formats/flatbuf.h"
#include "formats/mnn.h"
#include "formats/mnn_impl.h"

static const char *shared;
static JobRunner *runner;
static char tmpdir[PATH_MAX];

static Graph *load_model(const char *name, int imgsz)
{
    char err[512];
    LoadOptions lo = {.fuse = true, .imgsz = {imgsz, imgsz}};
    Graph *g = model_load(name, &lo, err, sizeof err);
    if (!g) printf("# model_load %s: %s\n", name, err);
    return g;
}

static float *test_input(int64_t n)
{
    float *x = xmalloc((size_t)n * sizeof(float));
    uint32_t s = 777;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)(s >> 8) / 16777216.f;
    }
    return x;
}

static float *run_graph(const Graph *g, const float *x, const int64_t *dims, int k, int64_t *n)
{
    char err[512];
    Exec *e = exec_new(g, err, sizeof err);
    float *copy = NULL;
    if (e && !exec_set_input(e, g->tensors[g->inputs[0]].name, x, dims, 4, err, sizeof err) &&
        !exec_run(e, NULL, err, sizeof err)) {
        int64_t d[GRAPH_MAX_RANK];
        int r;
        const float *y = exec_output(e, k, d, &r);
        *n = 1;
        for (int i = 0; i < r; i++) *n *= d[i];
        copy = xmalloc((size_t)*n * sizeof(float));
        memcpy(copy, y, (size_t)*n * sizeof(float));
    } else {
        printf("# exec: %s\n", err);
    }
    exec_free(e);
    return copy;
}

/* g on the peer's yolov8n input against the peer's PyTorch output (boxes within 0.05 px,
 * scores within 1e-3); what names the run in the printed figures. */
static void expect_peer_yolov8n(Graph *g, const char *shared, const char *what)
{
    char path[1024], err[512];
    NpyArray in = {0}, want = {0};
    snprintf(path, sizeof path, "%s/reference/peer/yolov8n.input.npy", shared);
    EXPECT_MSG(npy_read(path, 1 << 26, &in, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/reference/peer/yolov8n.output.npy", shared);
    EXPECT_MSG(npy_read(path, 1 << 26, &want, err, sizeof err) == 0, "%s", err);
    float *x = npy_to_f32(&in, err, sizeof err), *y = npy_to_f32(&want, err, sizeof err);
    int64_t n = 0;
    float *got = g && x ? run_graph(g, x, in.dims, 0, &n) : NULL;
    EXPECT(got && y && n == 84 * 8400 && want.numel == 84 * 8400);
    if (got && y && n == want.numel) {
        double box = 0, score = 0;
        for (int64_t c = 0; c < 84; c++)
            for (int64_t a = 0; a < 8400; a++) {
                double d = fabs((double)got[c * 8400 + a] - (double)y[c * 8400 + a]);
                if (c < 4) box = fmax(box, d);
                else score = fmax(score, d);
            }
        EXPECT_MSG(box <= 0.05, "boxes max |diff| %g px", box);
        EXPECT_MSG(score <= 1e-3, "scores max |diff| %g", score);
        printf("# %s vs the peer's PyTorch output: boxes %.3g px, scores %.3g\n", what, box, score);
    }
    free(got);
    free(x);
    free(y);
    npy_free(&in);
    npy_free(&want);
}


/* The file walked op by op: counts by type, weights checked against the source's. */
typedef struct {
    int ops, convs, converts, silu, consts, half_consts;
    int quan_f32, quan_f16, quan_int8;
    double worst_int8; /* largest |decoded - source| / scale over int8 weights */
} MnnWalk;

static int walk(const uint8_t *buf, size_t len, const Graph *src, MnnWalk *w, char *why, size_t wl)
{
    memset(w, 0, sizeof *w);
    if (mnn_verify(buf, len, why, wl)) return -1;
    FbTable net = fb_root(buf, len);
    FbVector ops = fb_table_vector(net, NET_OPLISTS, 4);
    w->ops = (int)ops.n;
    for (uint32_t i = 0; i < ops.n; i++) {
        FbTable op = fb_vec_table(ops, i), p = fb_table_table(op, OP_MAIN);
        int type = fb_table_i32(op, OP_TYPE, 0);
        if (fb_table_i8(op, OP_DEFAULT_FORMAT, MNN_NHWC) != MNN_NCHW) return err_set(why, wl, "op %u is not NCHW", i);
        if (type == MNN_OP_CONVERT_TENSOR) w->converts++;
        if (type == MNN_OP_UNARY && fb_table_i32(p, UNARY_OP_TYPE, 0) == MNN_UN_SILU) w->silu++;
        if (type == MNN_OP_CONST) {
            w->consts++;
            w->half_consts += fb_table_i32(p, BLOB_DATA_TYPE, MNN_DT_FLOAT) == MNN_DT_HALF;
        }
        if (type != MNN_OP_CONVOLUTION && type != MNN_OP_CONVOLUTION_DW) continue;
        w->convs++;
        FbTable q = fb_table_table(p, CONV_QUAN), c = fb_table_table(p, CONV_COMMON);
        if (!q.pos) {
            w->quan_f32++;
            continue;
        }
        int qt = fb_table_i32(q, QUAN_TYPE, 0);
        if (qt == 3) w->quan_f16++;
        if (qt != 1) continue;
        w->quan_int8++;
        /* decode against the source's weights of the same op */
        uint32_t nl;
        const char *name = fb_table_string(op, OP_NAME, &nl);
        int node = -1;
        for (int k = 0; k < src->n_nodes && name; k++)
            if (strlen(src->nodes[k].name) == nl && !memcmp(src->nodes[k].name, name, nl)) node = k;
        if (node < 0) return err_set(why, wl, "conv %.*s has no source node", (int)nl, name ? name : "");
        const Tensor *sw = &src->tensors[src->nodes[node].inputs[1]];
        FbVector b = fb_table_vector(q, QUAN_BUFFER, 1), alpha = fb_table_vector(q, QUAN_ALPHA, 4);
        const uint8_t *bytes = fb_vec_data(b, 1);
        int O = fb_table_i32(c, CC_OUTPUT_COUNT, 0);
        int64_t n = tensor_numel(sw), area = n / O;
        size_t start = 1 + 4 + 1 + 256;
        if ((int)alpha.n != O || b.n != start + (size_t)n) return err_set(why, wl, "int8 weights of %.*s: sizes", (int)nl, name);
        for (int64_t k = 0; k < n; k++) {
            float s = fb_vec_f32(alpha, (uint32_t)(k / area)), want = ((const float *)sw->data)[k];
            double d = fabs((double)(bytes[start + (size_t)k] - 128) * s - want);
            if (s > 0 && d / s > w->worst_int8) w->worst_int8 = d / s;
        }
    }
    return 0;
}

/* The source with every convolution's weights quantised by the converter's rule (output
 * channels of max |w| / 127), computed here from the source graph, not from the file. */
static Graph *quantised(const Graph *g)
{
    Graph *r = export_graph_clone(g);
    for (int i = 0; i < r->n_nodes; i++) {
        const Node *n = &r->nodes[i];
        if ((n->op != OP_CONV && n->op != OP_CONV_TRANSPOSE) || n->n_inputs < 2) continue;
        Tensor *w = &r->tensors[n->inputs[1]];
        int64_t count = tensor_numel(w), O = r->tensors[n->outputs[0]].dims[1];
        const float *src = w->data;
        float *dst = arena_alloc(r->arena, (size_t)count * sizeof *dst);
        for (int64_t o = 0; o < O; o++) {
            int64_t area = count / O;
            float amax = 0;
            for (int64_t j = 0; j < area; j++) amax = fmaxf(amax, fabsf(src[o * area + j]));
            float s = amax / 127.f;
            for (int64_t j = 0; j < area; j++) dst[o * area + j] = s > 1e-6f ? roundf(src[o * area + j] / s) * s : 0.f;
        }
        w->data = dst;
    }
    return r;
}

/* Write, walk, read back, run both; every output within tol of its range. */
static void roundtrip(const char *label, const Graph *g, MnnWeights weights, double tol)
{
    static const char *const kind[] = {"fp32", "half", "int8"};
    char err[512], why[512];
    uint8_t *buf = NULL;
    size_t len = 0;
    MnnOptions opt = {.weights = weights, .biz_code = "{\"task\": \"detect\", \"stride\": 32, \"names\": {\"0\": \"person\"}}"};
    EXPECT_MSG(mnn_serialize(g, &opt, &buf, &len, err, sizeof err) == 0, "%s: %s", label, err);
    if (!buf) return;
    MnnWalk w;
    EXPECT_MSG(walk(buf, len, g, &w, why, sizeof why) == 0, "%s %s: %s", label, kind[weights], why);
    EXPECT(mnn_sniff(buf, len < 65536 ? len : 65536, len));
    if (weights == MNN_WEIGHTS_F32) EXPECT_EQ_INT(w.quan_f32, w.convs);
    if (weights == MNN_WEIGHTS_F16) EXPECT_EQ_INT(w.quan_f16, w.convs);
    if (weights == MNN_WEIGHTS_INT8) {
        EXPECT_EQ_INT(w.quan_int8, w.convs);
        EXPECT_MSG(w.worst_int8 <= 0.5 + 1e-3, "%s: an int8 weight off by %.3f of its scale", label, w.worst_int8);
    }
    Graph *b = mnn_read_memory(buf, len, "m.mnn", err, sizeof err);
    EXPECT_MSG(b != NULL, "%s %s: read back: %s", label, kind[weights], err);
    Graph *ref = weights == MNN_WEIGHTS_INT8 ? quantised(g) : NULL;
    const Graph *want = ref ? ref : g;
    if (b) {
        EXPECT_EQ_INT(b->n_outputs, g->n_outputs);
        EXPECT_EQ_STR(b->tensors[b->inputs[0]].name, g->tensors[g->inputs[0]].name);
        EXPECT_EQ_STR(b->meta.task, "detect");
        EXPECT_EQ_STR(graph_meta_prop(b, "names"), "{0: 'person'}");
        const Tensor *in = &g->tensors[g->inputs[0]];
        int64_t n = tensor_numel(in);
        float *x = test_input(n);
        for (int k = 0; k < g->n_outputs && k < b->n_outputs; k++) {
            EXPECT_EQ_STR(b->tensors[b->outputs[k]].name, g->tensors[g->outputs[k]].name);
            int64_t n1 = 0, n2 = 0;
            float *y1 = run_graph(want, x, in->dims, k, &n1), *y2 = run_graph(b, x, in->dims, k, &n2);
            EXPECT(y1 && y2 && n1 == n2 && n1 > 0);
            if (y1 && y2 && n1 == n2) {
                double d = 0, lo = INFINITY, hi = -INFINITY;
                for (int64_t i = 0; i < n1; i++) {
                    d = fmax(d, fabs((double)y1[i] - (double)y2[i]));
                    lo = fmin(lo, y1[i]), hi = fmax(hi, y1[i]);
                }
                double rel = hi > lo ? d / (hi - lo) : d;
                printf("# %s %s output%d: %lld values, max |d| %.3g, %.3g of the range%s\n", label, kind[weights], k,
                       (long long)n1, d, rel, ref ? " (against the quantised source)" : "");
                EXPECT_MSG(rel <= tol, "%s %s output%d: %.3g of the range (tolerance %g)", label, kind[weights], k, rel, tol);
            }
            free(y1);
            free(y2);
        }
        free(x);
    }
    graph_free(ref);
    graph_free(b);
    free(buf);
}

static void test_yolov8n_structure(void)
{
    Graph *g = load_model("yolov8n.yaml", 64);
    EXPECT(g != NULL);
    if (!g) return;
    char err[512], why[512];
    uint8_t *buf = NULL;
    size_t len = 0;
    MnnOptions opt = {.biz_code = "{\"task\": \"detect\"}"};
    EXPECT_EQ_INT(mnn_serialize(g, &opt, &buf, &len, err, sizeof err), 0);
    MnnWalk w;
    EXPECT_MSG(walk(buf, len, g, &w, why, sizeof why) == 0, "%s", why);
    EXPECT_EQ_INT(w.convs, 64);
    EXPECT_EQ_INT(w.silu, 57);
    EXPECT(w.converts > 0); /* NC4HW4 convolutions meet NCHW ops */
    FbTable net = fb_root(buf, len);
    uint32_t bl;
    const char *biz = fb_table_string(net, NET_BIZCODE, &bl);
    EXPECT(biz && bl == strlen("{\"task\": \"detect\"}") && !memcmp(biz, "{\"task\": \"detect\"}", bl));
    EXPECT_EQ_INT(fb_table_i8(net, NET_SOURCE_TYPE, 0), MNN_SOURCE_ONNX);
    FbVector outs = fb_table_vector(net, NET_OUTPUT_NAME, 4);
    uint32_t ol;
    const char *o0 = outs.n == 1 ? fb_vec_string(outs, 0, &ol) : NULL;
    EXPECT(o0 && ol == 7 && !memcmp(o0, "output0", 7));
    /* the first op is the Input, NC4HW4 as its first reader is a convolution, dims NCHW */
    FbTable in = fb_vec_table(fb_table_vector(net, NET_OPLISTS, 4), 0);
    EXPECT_EQ_INT(fb_table_i32(in, OP_TYPE, 0), MNN_OP_INPUT);
    FbTable ip = fb_table_table(in, OP_MAIN);
    EXPECT_EQ_INT(fb_table_i8(ip, INPUT_DFORMAT, -1), MNN_NC4HW4);
    FbVector dims = fb_table_vector(ip, INPUT_DIMS, 4);
    EXPECT(dims.n == 4 && fb_vec_i32(dims, 1) == 3 && fb_vec_i32(dims, 2) == 64);
    /* the same graph writes the same bytes */
    uint8_t *buf2 = NULL;
    size_t len2 = 0;
    EXPECT_EQ_INT(mnn_serialize(g, &opt, &buf2, &len2, err, sizeof err), 0);
    EXPECT(len2 == len && !memcmp(buf, buf2, len));
    free(buf2);
    free(buf);
    graph_free(g);
}

static void test_families_roundtrip(void)
{
    static const char *const models[] = {"yolov8n.yaml", "yolo11n-seg.yaml", "yolo11n-pose.yaml", "yolo11n-obb.yaml",
                                         "yolo11n-cls.yaml"};
    for (size_t m = 0; m < ARRAY_LEN(models); m++) {
        Graph *g = load_model(models[m], 64);
        EXPECT(g != NULL);
        if (!g) continue;
        roundtrip(models[m], g, MNN_WEIGHTS_F32, 1e-4);
        roundtrip(models[m], g, MNN_WEIGHTS_F16, 1e-2);
        roundtrip(models[m], g, MNN_WEIGHTS_INT8, 1e-4);
        graph_free(g);
    }
}

static void test_shared_checkpoints(void)
{
    if (!shared) {
        SKIP("../shared not present");
        return;
    }
    static const char *const models[] = {"yolov8n.pt", "yolo11n-seg.pt", "yolov8s.pt"};
    for (size_t m = 0; m < ARRAY_LEN(models); m++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/models/%s", shared, models[m]);
        Graph *g = load_model(path, 160);
        EXPECT(g != NULL);
        if (!g) continue;
        roundtrip(models[m], g, MNN_WEIGHTS_F32, 1e-4);
        if (m == 0) {
            roundtrip(models[m], g, MNN_WEIGHTS_F16, 1e-2);
            roundtrip(models[m], g, MNN_WEIGHTS_INT8, 1e-4);
        }
        graph_free(g);
    }
}

static void test_refusal_by_name(void)
{
    Graph *g = graph_new();
    int64_t d[3] = {1, 4, 8}, od[3] = {1, 4, 2}, kd[1] = {1}, kv = 2;
    int x = graph_add_tensor(g, "images", DT_F32, 3, d), k = graph_add_const(g, "k", DT_I64, 1, kd, &kv);
    int v = graph_add_tensor(g, "values", DT_F32, 3, od), i = graph_add_tensor(g, "indices", DT_I64, 3, od);
    graph_add_input(g, x);
    int ins[2] = {x, k}, outs[2] = {v, i};
    graph_add_node(g, OP_TOPK, NULL, "/model.9/topk", -1, ins, 2, outs, 2);
    graph_add_output(g, v);
    char path[] = "/tmp/test_mnn_refuse.XXXXXX", err[512];
    EXPECT(mkdtemp(path) != NULL);
    char *file = xasprintf("%s/m.mnn", path);
    EXPECT_EQ_INT(mnn_write(g, NULL, file, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "/model.9/topk");
    EXPECT_CONTAINS(err, "TopK");
    EXPECT(!file_exists(file));
    EXPECT_EQ_INT(mnn_write_op_support(OP_TOPK), OP_WRITE_NO);
    free(file);
    rmdir(path);
    graph_free(g);
    /* a grouped convolution that is not depthwise */
    Graph *c = graph_new();
    int64_t xd[4] = {1, 4, 4, 4}, wd[4] = {4, 2, 1, 1};
    float wv[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int cx = graph_add_tensor(c, "images", DT_F32, 4, xd), cw = graph_add_const(c, "w", DT_F32, 4, wd, wv),
        cy = graph_add_tensor(c, "out", DT_F32, 4, xd);
    graph_add_input(c, cx);
    int cin[2] = {cx, cw};
    int n = graph_add_node(c, OP_CONV, NULL, "/grouped", -1, cin, 2, &cy, 1);
    node_set_int(c, n, "group", 2);
    int64_t ks[2] = {1, 1};
    node_set_ints(c, n, "kernel_shape", ks, 2);
    graph_add_output(c, cy);
    uint8_t *buf = NULL;
    size_t len;
    EXPECT_EQ_INT(mnn_serialize(c, NULL, &buf, &len, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "node '/grouped' (Conv): a grouped convolution (group 2 of 4 channels) that is not depthwise");
    graph_free(c);
    /* a resize by a factor MNN's Interp cannot hold (the reader refuses scales from 65536) */
    Graph *r = graph_new();
    int64_t rx[4] = {1, 1, 1, 1}, ry[4] = {1, 1, 1, 70000};
    int ri = graph_add_tensor(r, "images", DT_F32, 4, rx), ro = graph_add_tensor(r, "out", DT_F32, 4, ry);
    int sz = graph_add_const(r, "sizes", DT_I64, 1, (int64_t[]){4}, ry);
    graph_add_input(r, ri);
    int rin[4] = {ri, -1, -1, sz};
    graph_add_node(r, OP_RESIZE, NULL, "/up", -1, rin, 4, &ro, 1);
    graph_add_output(r, ro);
    buf = NULL;
    EXPECT_EQ_INT(mnn_serialize(r, NULL, &buf, &len, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "/up");
    EXPECT_CONTAINS(err, "an output size or scale MNN cannot hold");
    free(buf);
    graph_free(r);
}

/* ---- bad files --------------------------------------------------------------------------- */

/* A tiny Net built by hand: Input [1,2,4,4] -> op `type` with param (ptype) -> out. */
typedef struct {
    int type, ptype;
    int weights;       /* Convolution: weight count written */
    int in_index;      /* the op's input tensor */
    bool tflite_id;
} Spec;

static uint8_t *make_net(const Spec *s, size_t *len)
{
    FbBuilder b;
    fb_builder_init(&b);
    int32_t dims[4] = {1, 2, 4, 4};
    FbRef dv = fb_create_vector(&b, dims, 4, 4, 4);
    fb_table_start(&b);
    fb_add_ref(&b, INPUT_DIMS, dv);
    fb_add_i8(&b, INPUT_DFORMAT, MNN_NCHW, -1);
    FbRef input = fb_table_end(&b);
    FbRef param;
    if (s->ptype == MNN_P_CONV2D) {
        int32_t pads[4] = {0, 0, 0, 0};
        FbRef pv = fb_create_vector(&b, pads, 4, 4, 4);
        fb_table_start(&b);
        fb_add_i32(&b, CC_OUTPUT_COUNT, 3, 0);
        fb_add_i32(&b, CC_INPUT_COUNT, 2, 0);
        fb_add_ref(&b, CC_PADS, pv);
        FbRef common = fb_table_end(&b);
        float w[16] = {0}, bias[3] = {0};
        FbRef wv = fb_create_vector(&b, w, (size_t)s->weights, 4, 4), bv = fb_create_vector(&b, bias, 3, 4, 4);
        fb_table_start(&b);
        fb_add_ref(&b, CONV_COMMON, common);
        fb_add_ref(&b, CONV_WEIGHT, wv);
        fb_add_ref(&b, CONV_BIAS, bv);
        param = fb_table_end(&b);
    } else {
        fb_table_start(&b);
        fb_add_i32(&b, UNARY_OP_TYPE, MNN_UN_SIGMOID, -1);
        param = fb_table_end(&b);
    }
    int32_t out0 = 0, in1 = s->in_index, out1 = 1;
    FbRef o0 = fb_create_vector(&b, &out0, 1, 4, 4), i1 = fb_create_vector(&b, &in1, 1, 4, 4),
          o1 = fb_create_vector(&b, &out1, 1, 4, 4);
    FbRef n0 = fb_create_string(&b, "in", 2), n1 = fb_create_string(&b, "op", 2);
    fb_table_start(&b);
    fb_add_u8(&b, OP_MAIN_TYPE, MNN_P_INPUT, 0);
    fb_add_ref(&b, OP_MAIN, input);
    fb_add_ref(&b, OP_NAME, n0);
    fb_add_ref(&b, OP_OUTPUT_INDEXES, o0);
    fb_add_i32(&b, OP_TYPE, MNN_OP_INPUT, -1);
    fb_add_i8(&b, OP_DEFAULT_FORMAT, MNN_NCHW, -1);
    FbRef op0 = fb_table_end(&b);
    fb_table_start(&b);
    fb_add_ref(&b, OP_INPUT_INDEXES, i1);
    fb_add_u8(&b, OP_MAIN_TYPE, (uint8_t)s->ptype, 0);
    fb_add_ref(&b, OP_MAIN, param);
    fb_add_ref(&b, OP_NAME, n1);
    fb_add_ref(&b, OP_OUTPUT_INDEXES, o1);
    fb_add_i32(&b, OP_TYPE, s->type, -1);
    fb_add_i8(&b, OP_DEFAULT_FORMAT, MNN_NCHW, -1);
    FbRef op1 = fb_table_end(&b);
    FbRef list[2] = {op0, op1};
    FbRef oplists = fb_create_ref_vector(&b, list, 2);
    FbRef names[2] = {fb_create_string(&b, "x", 1), fb_create_string(&b, "y", 1)};
    FbRef tn = fb_create_ref_vector(&b, names, 2);
    FbRef on[1] = {fb_create_string(&b, "y", 1)};
    FbRef outn = fb_create_ref_vector(&b, on, 1);
    fb_table_start(&b);
    fb_add_ref(&b, NET_OPLISTS, oplists);
    fb_add_ref(&b, NET_OUTPUT_NAME, outn);
    fb_add_ref(&b, NET_TENSOR_NAME, tn);
    FbRef root = fb_table_end(&b);
    char err[128];
    uint8_t *out = NULL;
    if (!fb_finish(&b, root, s->tflite_id ? "TFL3" : NULL, err, sizeof err)) out = fb_builder_take(&b, len);
    fb_builder_free(&b);
    return out;
}

static void expect_bad(const uint8_t *buf, size_t len, const char *want1, const char *want2)
{
    char err[512] = "";
    Graph *g = mnn_read_memory(buf, len, "m.mnn", err, sizeof err);
    EXPECT_MSG(g == NULL, "accepted a bad file (%s)", want1);
    EXPECT_CONTAINS(err, want1);
    if (want2) EXPECT_CONTAINS(err, want2);
    printf("# %s\n", err);
    graph_free(g);
}

static void test_bad_input(void)
{
    char err[512];
    size_t len;
    /* the good one reads */
    Spec good = {.type = MNN_OP_CONVOLUTION, .ptype = MNN_P_CONV2D, .weights = 6, .in_index = 0};
    uint8_t *buf = make_net(&good, &len);
    EXPECT(buf != NULL);
    Graph *g = mnn_read_memory(buf, len, "m.mnn", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) EXPECT(g->n_outputs == 1 && g->tensors[g->outputs[0]].dims[1] == 3);
    graph_free(g);
    /* out-of-range offsets: the root, a vector's length, a truncated file */
    uint8_t *bad = xmalloc(len);
    memcpy(bad, buf, len);
    uint32_t root = (uint32_t)len + 100;
    memcpy(bad, &root, 4);
    expect_bad(bad, len, "not a flatbuffer of MNN's Net", "root offset");
    memcpy(bad, buf, len);
    FbVector tn = fb_table_vector(fb_root(buf, len), NET_TENSOR_NAME, 4);
    uint32_t huge = 0x40000000u;
    memcpy(bad + tn.pos - 4, &huge, 4);
    expect_bad(bad, len, "not a flatbuffer of MNN's Net", "tensorName");
    expect_bad(buf, len / 2, "not a valid MNN model", NULL);
    free(bad);
    free(buf);
    /* weights the parameters do not imply */
    Spec w = good;
    w.weights = 5;
    buf = make_net(&w, &len);
    expect_bad(buf, len, "op 1 'op' (Convolution): 5 weights, its parameters imply 6", NULL);
    free(buf);
    /* an op type MNN does not have, a parameter table of the wrong kind, a tensor read too early */
    Spec t = {.type = 9999, .ptype = MNN_P_UNARY, .in_index = 0};
    buf = make_net(&t, &len);
    expect_bad(buf, len, "op 1 'op' (?): type 9999 is not an MNN op type", NULL);
    free(buf);
    Spec p = {.type = MNN_OP_CONVOLUTION, .ptype = MNN_P_UNARY, .in_index = 0};
    buf = make_net(&p, &len);
    expect_bad(buf, len, "its parameters are union type 70, its op type takes 9", NULL);
    free(buf);
    Spec e = {.type = MNN_OP_UNARY, .ptype = MNN_P_UNARY, .in_index = 1};
    buf = make_net(&e, &len);
    expect_bad(buf, len, "reads tensor 1 before any op makes it", NULL);
    free(buf);
    Spec f = {.type = MNN_OP_UNARY, .ptype = MNN_P_UNARY, .in_index = 5};
    buf = make_net(&f, &len);
    expect_bad(buf, len, "input 0 is tensor 5 of 2", NULL);
    free(buf);
    /* an op type MNN has that the reader does not map */
    Spec u = {.type = 38 /* LSTM */, .ptype = MNN_P_UNARY, .in_index = 0};
    buf = make_net(&u, &len);
    expect_bad(buf, len, "op 1 'op' (LSTM): an MNN op type this reader does not map", NULL);
    free(buf);
    /* a TF Lite model is not taken for MNN */
    Spec tf = {.type = MNN_OP_UNARY, .ptype = MNN_P_UNARY, .in_index = 0, .tflite_id = true};
    buf = make_net(&tf, &len);
    EXPECT(!mnn_sniff(buf, len, len));
    expect_bad(buf, len, "a TensorFlow Lite model, not MNN", NULL);
    free(buf);
}

static void test_export_stage(void)
{
    Captured log;
    JobState st;
    char err[512];
    const char *w[] = {"model=yolo11n-seg.yaml", "format=mnn", "imgsz=64"};
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run && run->status == EXPORT_OK);
    if (!run) return;
    EXPECT_EQ_STR(run->last_path, "yolo11n-seg.mnn");
    EXPECT_EQ_INT(count_temporaries("."), 0);
    EXPECT_CONTAINS(log.text, "\nMNN: starting export with MNN yoloport-");
    EXPECT_CONTAINS(log.text, "MNN: check against the source ✅ passed: the MNN model as read back: ");
    if (run->report.n_artifacts == 1) {
        EXPECT_EQ_STR(run->report.artifacts[0].format, "MNN");
        EXPECT_EQ_STR(run->report.artifacts[0].precision.text, "fp32");
    }
    if (run->report.n_checks == 2)
        EXPECT_CONTAINS(run->report.checks[0].detail, "images [1, 3, 64, 64] -> output0 [1, 116, 84], output1 [1, 32, 16, 16]; bizCode 13 metadata keys");
    export_run_free(run);
    /* bizCode is the peer's json.dumps of its metadata */
    size_t len;
    uint8_t *buf = (uint8_t *)file_read_all("yolo11n-seg.mnn", 1u << 28, &len, err, sizeof err);
    EXPECT(buf != NULL);
    if (buf) {
        uint32_t bl;
        const char *biz = fb_table_string(fb_root(buf, len), NET_BIZCODE, &bl);
        char *text = biz ? xstrndup(biz, bl) : NULL;
        json_object *o = text ? json_tokener_parse(text) : NULL;
        EXPECT(o != NULL);
        json_object *task = NULL, *imgsz = NULL;
        EXPECT(o && json_object_object_get_ex(o, "task", &task) && !strcmp(json_object_get_string(task), "segment"));
        EXPECT(o && json_object_object_get_ex(o, "imgsz", &imgsz) && json_object_array_length(imgsz) == 2);
        EXPECT_CONTAINS(text, "\"args\": {\"batch\": 1, \"half\": false, \"int8\": false}");
        json_object_put(o);
        free(text);
    }
    free(buf);
    EXPECT_EQ_INT(model_detect("yolo11n-seg.mnn", err, sizeof err), FMT_MNN);
    Graph *g = model_load("yolo11n-seg.mnn", NULL, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_STR(g->meta.task, "segment");
        EXPECT_EQ_INT(g->meta.source_format, FMT_MNN);
        EXPECT_EQ_INT(g->meta.imgsz[0], 64);
    }
    graph_free(g);
    /* half and int8: the stored precision in the report */
    const char *wh[] = {"model=yolov8n.yaml", "format=mnn", "imgsz=64", "half=True"};
    run = export_words(runner, &log, &st, wh, 4);
    EXPECT(run && run->status == EXPORT_OK);
    if (run && run->report.n_artifacts == 1) EXPECT_CONTAINS(run->report.artifacts[0].precision.text, "fp16 100%");
    EXPECT_CONTAINS(log.text, "MNN: half=True: float16 weights and constants, as MNNConvert's --fp16");
    export_run_free(run);
    const char *wi[] = {"model=yolov8n.yaml", "format=mnn", "imgsz=64", "int8=True"};
    run = export_words(runner, &log, &st, wi, 4);
    EXPECT(run && run->status == EXPORT_OK);
    if (run && run->report.n_artifacts == 1) {
        EXPECT_CONTAINS(run->report.artifacts[0].precision.text, "int8 9");
        EXPECT_EQ_INT(run->report.artifacts[0].status, CHECK_PASSED);
    }
    EXPECT_CONTAINS(log.text, "as MNNConvert's --weightQuantBits 8");
    EXPECT_CONTAINS(log.text, "against the source with its convolution weights quantised as stored: output0 max |Δ| ");
    export_run_free(run);
}

/* dynamic=True (LoadOptions.dynamic_hw_only, what format=mnn dynamic=True builds): the Input's
 * height and width written as -1, the anchors as six CumSum ops over the feature maps (no
 * constant or Reshape of 8400 anchors), the two Interps by scale; read back with the dims
 * unknown and CumSum as the IR's, the file gives the peer's output at 640x640 and the source
 * graph's at 480x640 (6300 anchors). */
static void test_dynamic_hw(void)
{
    if (!shared) {
        SKIP("../shared not present");
        return;
    }
    char path[PATH_MAX + 64], err[512];
    snprintf(path, sizeof path, "%s/models/yolov8n.pt", shared);
    LoadOptions lo = {.fuse = true, .dynamic = true, .dynamic_hw_only = true};
    Graph *g = model_load(path, &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    uint8_t *buf = NULL;
    size_t len = 0;
    EXPECT_MSG(mnn_serialize(g, NULL, &buf, &len, err, sizeof err) == 0, "%s", err);
    Graph *rb = buf ? mnn_read_memory(buf, len, "dynamic.mnn", err, sizeof err) : NULL;
    EXPECT_MSG(rb != NULL, "%s", err);
    int cumsums = 0, by_scale = 0, anchors_8400 = 0;
    FbVector ops = buf ? fb_table_vector(fb_root(buf, len), NET_OPLISTS, 4) : (FbVector){0};
    for (uint32_t i = 0; i < ops.n; i++) {
        FbTable op = fb_vec_table(ops, i), p = fb_table_table(op, OP_MAIN);
        int type = fb_table_i32(op, OP_TYPE, 0);
        if (type == MNN_OP_INPUT) {
            FbVector d = fb_table_vector(p, INPUT_DIMS, 4);
            EXPECT(d.n == 4 && fb_vec_i32(d, 0) == 1 && fb_vec_i32(d, 1) == 3 && fb_vec_i32(d, 2) == -1 &&
                   fb_vec_i32(d, 3) == -1);
        }
        if (type == MNN_OP_CUMSUM) {
            cumsums++;
            EXPECT_EQ_INT((int)fb_table_vector(op, OP_INPUT_INDEXES, 4).n, 2);
            EXPECT_EQ_INT(fb_table_u8(op, OP_MAIN_TYPE, 0), MNN_P_CUMSUM);
        }
        if (type == MNN_OP_INTERP)
            by_scale += fb_table_i32(p, INTERP_OUTPUT_WIDTH, 0) == 0 && fb_table_f32(p, INTERP_WIDTH_SCALE, 0.f) == 2.f;
        /* a size of 8400 anywhere in a constant's or a Reshape's dims is the 640 export's anchors */
        FbVector d = type == MNN_OP_CONST     ? fb_table_vector(p, BLOB_DIMS, 4)
                     : type == MNN_OP_RESHAPE ? fb_table_vector(p, RESHAPE_DIMS, 4)
                                              : (FbVector){0};
        for (uint32_t k = 0; k < d.n; k++) anchors_8400 += fb_vec_i32(d, k) == 8400;
    }
    EXPECT_EQ_INT(cumsums, 6);
    EXPECT_EQ_INT(by_scale, 2);
    EXPECT_EQ_INT(anchors_8400, 0);
    if (rb) {
        const Tensor *in = &rb->tensors[rb->inputs[0]], *out = &rb->tensors[rb->outputs[0]];
        EXPECT(in->rank == 4 && in->dims[0] == 1 && in->dims[1] == 3 && in->dims[2] == -1 && in->dims[3] == -1);
        EXPECT(out->rank == 3 && out->dims[0] == 1 && out->dims[1] == 84 && out->dims[2] == -1);
        int n_cumsum = 0;
        for (int i = 0; i < rb->n_nodes; i++) n_cumsum += rb->nodes[i].op == OP_CUMSUM;
        EXPECT_EQ_INT(n_cumsum, 6);
    }
    /* 640x640: the peer's PyTorch output */
    expect_peer_yolov8n(rb, shared, "mnn dynamic yolov8n at 640x640");
    /* 480x640: the source graph's output, 6300 anchors */
    int64_t d480[4] = {1, 3, 480, 640}, n1 = 0, n2 = 0;
    float *x480 = test_input(3 * 480 * 640);
    float *a = rb ? run_graph(rb, x480, d480, 0, &n1) : NULL, *b = run_graph(g, x480, d480, 0, &n2);
    EXPECT(a && b && n1 == 84 * 6300 && n2 == n1);
    if (a && b && n1 == n2) {
        double worst = 0, range = 0;
        for (int64_t i = 0; i < n1; i++) {
            worst = fmax(worst, fabs((double)a[i] - b[i]));
            range = fmax(range, fabs((double)b[i]));
        }
        EXPECT_MSG(worst <= 1e-5 * fmax(range, 1), "480x640: max |d| %g of a range %g", worst, range);
        printf("# mnn dynamic yolov8n at 480x640: 6300 anchors, max |d| %.3g against the source graph\n", worst);
    }
    free(a);
    free(b);
    free(x480);
    graph_free(rb);
    free(buf);
    graph_free(g);
}

/* What a graph of unknown height and width cannot say in MNN is refused by node, not written
 * wrong: a resize to fixed sizes (MNN's Interp would need them per input size), shape
 * arithmetic. */
static void test_dynamic_refusal(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 4, -1, -1}, yd[4] = {1, 4, 8, 8}, four = 4, sizes[4] = {1, 4, 8, 8};
    int x = graph_add_tensor(g, "images", DT_F32, 4, xd), y = graph_add_tensor(g, "out", DT_F32, 4, yd);
    int sz = graph_add_const(g, "sizes", DT_I64, 1, &four, sizes);
    graph_add_input(g, x);
    int ins[4] = {x, -1, -1, sz};
    int n = graph_add_node(g, OP_RESIZE, NULL, "/fixed/resize", -1, ins, 4, &y, 1);
    node_set_string(g, n, "mode", "nearest");
    node_set_string(g, n, "coordinate_transformation_mode", "asymmetric");
    node_set_string(g, n, "nearest_mode", "floor");
    graph_add_output(g, y);
    char err[512];
    uint8_t *buf = NULL;
    size_t len;
    EXPECT_EQ_INT(mnn_serialize(g, NULL, &buf, &len, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "node '/fixed/resize' (Resize): a resize to fixed sizes over an unknown height or width "
                         "has no MNN form");
    EXPECT(buf == NULL);
    graph_free(g);
    /* a layer that reads its input's size (YOLO11's attention, built dynamic): the message says
     * what to do */
    Graph *s = graph_new();
    int64_t four_d = 4;
    int sx = graph_add_tensor(s, "images", DT_F32, 4, xd), sh = graph_add_tensor(s, "shape", DT_I64, 1, &four_d);
    graph_add_input(s, sx);
    graph_add_node(s, OP_SHAPE, NULL, "/model.10/attn/Shape", -1, &sx, 1, &sh, 1);
    graph_add_output(s, sh);
    EXPECT_EQ_INT(mnn_serialize(s, NULL, &buf, &len, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "node '/model.10/attn/Shape' (Shape): MNN has no op for 'Shape' in this writer (with "
                         "dynamic=True this model reads its input's size here, which MNN's export does not write: "
                         "export it with dynamic=False)");
    graph_free(s);
}

static void test_yolov8n_vs_peer(void)
{
    if (!shared) {
        SKIP("../shared not present");
        return;
    }
    char cmd[PATH_MAX + 64], err[512];
    snprintf(cmd, sizeof cmd, "cp '%s/models/yolov8n.pt' peer_yolov8n.pt", shared);
    EXPECT(system(cmd) == 0);
    Captured log;
    JobState st;
    const char *w[] = {"model=peer_yolov8n.pt", "format=mnn", "verify=False"};
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run && run->status == EXPORT_UNCHECKED); /* verify=False: written, not checked */
    export_run_free(run);
    Graph *g = mnn_read("peer_yolov8n.mnn", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    expect_peer_yolov8n(g, shared, "mnn yolov8n");
    graph_free(g);
    unlink("peer_yolov8n.mnn");
    unlink("peer_yolov8n.pt");
}

int main(void)
{
    char share[PATH_MAX];
    if (!getenv("YOLOPORT_SHARE") && realpath("share", share)) setenv("YOLOPORT_SHARE", share, 1);
    static char shared_buf[PATH_MAX];
    const char *env = getenv("YOLOPORT_SHARED");
    if (env && *env) shared = env;
    else if (realpath("../shared/models", shared_buf) && realpath("../shared", shared_buf)) shared = shared_buf;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-mnn-XXXXXX");
    if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0) {
        printf("FAIL setup: cannot make a temporary directory\n");
        return 1;
    }
    JobRunnerOptions ro = {.workers = 1};
    runner = jobs_new(&ro);
    RUN(test_yolov8n_structure);
    RUN(test_families_roundtrip);
    RUN(test_shared_checkpoints);
    RUN(test_refusal_by_name);
    RUN(test_bad_input);
    RUN(test_export_stage);
    RUN(test_yolov8n_vs_peer);
    RUN(test_dynamic_hw);
    RUN(test_dynamic_refusal);
    jobs_free(runner);
    if (chdir("/") == 0) fileio_remove_tree(tmpdir);
    return check_done();
}
