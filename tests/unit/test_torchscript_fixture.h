/* test_torchscript_fixture: what the TorchScript writer's and reader's unit tests share -- a
 * temporary directory, small graphs built in code (every op the writer translates; a tiny
 * Conv model) and the peer's metadata for a graph. */
#ifndef YOLOPORT_TEST_TORCHSCRIPT_FIXTURE_H
#define YOLOPORT_TEST_TORCHSCRIPT_FIXTURE_H

#include <json.h>

#include "engine/core/graph.h"
#include "formats/pt.h"
#include "formats/torchscript.h"
#include "tests/check.h"

/* model_load reaches the checkpoint reader through a weak symbol: keep it linked. */
static ModTree *(*const pt_loader)(const char *, bool, char *, size_t) = pt_load;

static char tmpdir[256];

static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int slot;
    char *b = buf[slot++ % 8];
    snprintf(b, 512, "%s/%s", tmpdir, name);
    return b;
}

/* ---- graph building ---- */

static int act(Graph *g, const char *name, int rank, const int64_t *dims)
{
    return graph_add_tensor(g, name, DT_F32, rank, dims);
}

/* A float32 constant filled with sin(0.7 i + seed) * scale. */
static int cst(Graph *g, const char *name, int rank, const int64_t *dims, float seed, float scale, bool param)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    float *v = xmalloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = sinf(0.7f * (float)i + seed) * scale;
    int t = graph_add_const(g, name, DT_F32, rank, dims, v);
    g->tensors[t].is_param = param;
    free(v);
    return t;
}

static int scalar(Graph *g, const char *name, float v)
{
    return graph_add_const(g, name, DT_F32, 0, NULL, &v);
}

static int ints(Graph *g, const char *name, int n, const int64_t *v)
{
    int64_t d = n;
    return graph_add_const(g, name, DT_I64, 1, &d, v);
}

static int node(Graph *g, OpKind op, const char *type, const char *name, const int *in, int nin, const int *out, int nout)
{
    return graph_add_node(g, op, type, name, -1, in, nin, out, nout);
}

#define D(...) ((const int64_t[]){__VA_ARGS__})
#define I(...) ((const int[]){__VA_ARGS__})

/* A graph using most ops the writer knows; tests/torchscript_check.py recomputes it. */
static Graph *ops_graph(void)
{
    Graph *g = graph_new();
    g->meta.task = "detect";
    int x = act(g, "images", 4, D(1, 4, 8, 8));
    graph_add_input(g, x);
    int w1 = cst(g, "conv1.weight", 4, D(8, 4, 3, 3), 0.1f, 0.3f, true), b1 = cst(g, "conv1.bias", 1, D(8), 0.2f, 0.1f, true);
    int c1 = act(g, "c1", 4, D(1, 8, 8, 8));
    int n = node(g, OP_CONV, NULL, "/conv1/Conv", I(x, w1, b1), 3, &c1, 1);
    node_set_ints(g, n, "pads", D(1, 1, 1, 1), 4);
    int bw = cst(g, "bn.weight", 1, D(8), 0.3f, 1.0f, true), bb = cst(g, "bn.bias", 1, D(8), 0.4f, 0.2f, true);
    int bm = cst(g, "bn.running_mean", 1, D(8), 0.5f, 0.1f, false);
    float var[8];
    for (int i = 0; i < 8; i++) var[i] = 0.5f + 0.1f * (float)i;
    int bv = graph_add_const(g, "bn.running_var", DT_F32, 1, D(8), var);
    int c1b = act(g, "c1b", 4, D(1, 8, 8, 8));
    n = node(g, OP_BATCHNORM, NULL, "/bn/BatchNormalization", I(c1, bw, bb, bm, bv), 5, &c1b, 1);
    node_set_float(g, n, "epsilon", 1e-3);
    int w2 = cst(g, "conv2.weight", 4, D(4, 1, 3, 3), 0.6f, 0.5f, true);
    int c2 = act(g, "c2", 4, D(1, 4, 4, 4));
    n = node(g, OP_CONV, NULL, "/conv2/Conv", I(x, w2), 2, &c2, 1);
    node_set_ints(g, n, "pads", D(0, 0, 1, 1), 4);
    node_set_ints(g, n, "strides", D(2, 2), 2);
    node_set_int(g, n, "group", 4);
    int s = act(g, "s", 4, D(1, 8, 8, 8)), r = act(g, "r", 4, D(1, 8, 8, 8)), sg = act(g, "sg", 4, D(1, 8, 8, 8));
    node(g, OP_SILU, NULL, "/act/SiLU", &c1b, 1, &s, 1);
    node(g, OP_RELU, NULL, "/act/Relu", &c1b, 1, &r, 1);
    node(g, OP_SIGMOID, NULL, "/act/Sigmoid", &c1b, 1, &sg, 1);
    int mp = act(g, "mp", 4, D(1, 8, 8, 8));
    n = node(g, OP_MAXPOOL, NULL, "/m/MaxPool", &s, 1, &mp, 1);
    node_set_ints(g, n, "kernel_shape", D(3, 3), 2);
    node_set_ints(g, n, "pads", D(1, 1, 1, 1), 4);
    int ap = act(g, "ap", 4, D(1, 8, 4, 4));
    n = node(g, OP_AVGPOOL, NULL, "/m/AveragePool", &r, 1, &ap, 1);
    node_set_ints(g, n, "kernel_shape", D(2, 2), 2);
    node_set_ints(g, n, "strides", D(2, 2), 2);
    int gp = act(g, "gp", 4, D(1, 8, 1, 1));
    node(g, OP_GLOBAL_AVGPOOL, NULL, "/m/GlobalAveragePool", &sg, 1, &gp, 1);
    float sc[4] = {1, 1, 2, 2};
    int scales = graph_add_const(g, "/up/scales", DT_F32, 1, D(4), sc);
    int up = act(g, "up", 4, D(1, 8, 8, 8));
    n = node(g, OP_RESIZE, NULL, "/up/Resize", I(ap, -1, scales), 3, &up, 1);
    node_set_string(g, n, "coordinate_transformation_mode", "asymmetric");
    node_set_string(g, n, "mode", "nearest");
    node_set_string(g, n, "nearest_mode", "floor");
    int cat = act(g, "cat", 4, D(1, 16, 8, 8));
    n = node(g, OP_CONCAT, NULL, "/m/Concat", I(mp, up), 2, &cat, 1);
    node_set_int(g, n, "axis", 1);
    int sp0 = act(g, "sp0", 4, D(1, 6, 8, 8)), sp1 = act(g, "sp1", 4, D(1, 10, 8, 8));
    n = node(g, OP_SPLIT, NULL, "/m/Split", &cat, 1, I(sp0, sp1), 2);
    node_set_int(g, n, "axis", 1);
    node_set_ints(g, n, "split", D(6, 10), 2);
    int sl = act(g, "sl", 4, D(1, 10, 3, 8));
    n = node(g, OP_SLICE, NULL, "/m/Slice",
             I(sp1, ints(g, "st", 1, D(1)), ints(g, "en", 1, D(7)), ints(g, "ax", 1, D(2)), ints(g, "sp", 1, D(2))), 5,
             &sl, 1);
    int rs = act(g, "rs", 3, D(1, 10, 24));
    node(g, OP_RESHAPE, NULL, "/m/Reshape", I(sl, ints(g, "shape", 3, D(0, 10, -1))), 2, &rs, 1);
    int tp = act(g, "tp", 3, D(1, 24, 10));
    n = node(g, OP_TRANSPOSE, NULL, "/m/Transpose", &rs, 1, &tp, 1);
    node_set_ints(g, n, "perm", D(0, 2, 1), 3);
    int sm = act(g, "sm", 3, D(1, 24, 10));
    n = node(g, OP_SOFTMAX, NULL, "/m/Softmax", &tp, 1, &sm, 1);
    node_set_int(g, n, "axis", -1);
    int mat = cst(g, "mat", 2, D(10, 5), 0.7f, 1.0f, false);
    int mm = act(g, "mm", 3, D(1, 24, 5));
    node(g, OP_MATMUL, NULL, "/m/MatMul", I(sm, mat), 2, &mm, 1);
    int a1 = act(g, "a1", 3, D(1, 24, 5)), a2 = act(g, "a2", 3, D(1, 24, 5)), a3 = act(g, "a3", 3, D(1, 24, 5));
    int a4 = act(g, "a4", 3, D(1, 24, 5));
    node(g, OP_ADD, NULL, "/m/Add", I(mm, scalar(g, "half", 0.5f)), 2, &a1, 1);
    node(g, OP_SUB, NULL, "/m/Sub", I(scalar(g, "one", 1.0f), a1), 2, &a2, 1);
    node(g, OP_MUL, NULL, "/m/Mul", I(a2, cst(g, "vec", 1, D(5), 0.8f, 2.0f, false)), 2, &a3, 1);
    node(g, OP_DIV, NULL, "/m/Div", I(a3, scalar(g, "three", 3.0f)), 2, &a4, 1);
    int rm = act(g, "rm", 2, D(1, 5));
    n = node(g, OP_REDUCE_MAX, NULL, "/m/ReduceMax", &a4, 1, &rm, 1);
    node_set_ints(g, n, "axes", D(1), 1);
    node_set_int(g, n, "keepdims", 0);
    int fl = act(g, "fl", 2, D(1, 8));
    n = node(g, OP_FLATTEN, NULL, "/m/Flatten", &gp, 1, &fl, 1);
    node_set_int(g, n, "axis", 1);
    int gm = act(g, "gm", 2, D(1, 3)), gm2 = act(g, "gm2", 2, D(1, 3));
    n = node(g, OP_GEMM, NULL, "/fc/Gemm",
             I(fl, cst(g, "fc.weight", 2, D(3, 8), 0.9f, 1.0f, true), cst(g, "fc.bias", 1, D(3), 1.0f, 0.5f, true)), 3,
             &gm, 1);
    node_set_int(g, n, "transB", 1);
    n = node(g, OP_GEMM, NULL, "/fc2/Gemm", I(fl, cst(g, "fc2.weight", 2, D(8, 3), 1.1f, 1.0f, true)), 2, &gm2, 1);
    node_set_float(g, n, "alpha", 0.5);
    int c2f = act(g, "c2f", 2, D(4, 16));
    n = node(g, OP_FLATTEN, NULL, "/m/Flatten_1", &c2, 1, &c2f, 1);
    node_set_int(g, n, "axis", 2);
    int am = graph_add_tensor(g, "am", DT_I64, 3, D(1, 24, 1));
    n = node(g, OP_ARGMAX, NULL, "/m/ArgMax", &a4, 1, &am, 1);
    node_set_int(g, n, "axis", 2);
    int tv = act(g, "topv", 2, D(1, 2)), ti = graph_add_tensor(g, "topi", DT_I64, 2, D(1, 2));
    node(g, OP_TOPK, NULL, "/m/TopK", I(gm, ints(g, "k", 1, D(2))), 2, I(tv, ti), 2);
    int ct = act(g, "ct", 4, D(1, 2, 8, 8));
    n = node(g, OP_CONV_TRANSPOSE, NULL, "/up/ConvTranspose",
             I(c2, cst(g, "convt.weight", 4, D(4, 2, 2, 2), 1.2f, 0.5f, true), cst(g, "convt.bias", 1, D(2), 1.3f, 0.1f, true)),
             3, &ct, 1);
    node_set_ints(g, n, "strides", D(2, 2), 2);
    int us = act(g, "us", 3, D(1, 1, 3)), sq = act(g, "sq", 2, D(1, 3));
    n = node(g, OP_UNSQUEEZE, NULL, "/m/Unsqueeze", &gm2, 1, &us, 1);
    node_set_ints(g, n, "axes", D(0), 1);
    node(g, OP_SQUEEZE, NULL, "/m/Squeeze", I(us, ints(g, "sqax", 1, D(0))), 2, &sq, 1);
    int64_t one = 1;
    int idx = graph_add_const(g, "idx", DT_I64, 0, NULL, &one);
    int gt = act(g, "gt", 1, D(16));
    node(g, OP_GATHER, NULL, "/m/Gather", I(c2f, idx), 2, &gt, 1);
    int cl = act(g, "cl", 3, D(1, 24, 5)), ex = act(g, "ex", 2, D(1, 3));
    node(g, OP_OTHER, "Clip", "/m/Clip", I(a4, scalar(g, "lo", -0.1f), scalar(g, "hi", 0.2f)), 3, &cl, 1);
    node(g, OP_OTHER, "Exp", "/m/Exp", &gm, 1, &ex, 1);
    int outs[] = {a4, rm, gm, gm2, c2f, am, tv, ti, ct, sq, gt, cl, ex, sp0};
    for (size_t i = 0; i < ARRAY_LEN(outs); i++) graph_add_output(g, outs[i]);
    return g;
}

/* A one-conv graph: images [1,3,8,8] -> conv(w 4x3x3x3, b) -> silu. */
static Graph *tiny_graph(void)
{
    Graph *g = graph_new();
    g->meta.task = "detect";
    int x = act(g, "images", 4, D(1, 3, 8, 8));
    graph_add_input(g, x);
    int w = cst(g, "model.0.conv.weight", 4, D(4, 3, 3, 3), 0.0f, 1.0f, true);
    int b = cst(g, "model.0.conv.bias", 1, D(4), 1.0f, 1.0f, true);
    int c = act(g, "c", 4, D(1, 4, 8, 8)), y = act(g, "output0", 4, D(1, 4, 8, 8));
    int n = node(g, OP_CONV, NULL, "/model.0/conv/Conv", I(x, w, b), 3, &c, 1);
    node_set_ints(g, n, "pads", D(1, 1, 1, 1), 4);
    node(g, OP_SILU, NULL, "/model.0/act/SiLU", &c, 1, &y, 1);
    graph_add_output(g, y);
    return g;
}

/* ---- the peer's metadata for a graph (what the export pipeline will pass) ---- */

typedef struct {
    KeyValue kv[16];
    int n;
    Arena *a;
} Meta;

static const char *json_text(Arena *a, json_object *o)
{
    const char *s = arena_strdup(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

static void meta_add(Meta *m, const char *key, const char *json) { m->kv[m->n++] = (KeyValue){key, json}; }

static void peer_metadata(Meta *m, const Graph *g, bool half, bool dynamic)
{
    m->a = arena_new();
    m->n = 0;
    const GraphMeta *gm = &g->meta;
    const char *yaml = gm->yaml_file ? gm->yaml_file : "yolo.yaml";
    const char *slash = strrchr(yaml, '/');
    char stem[128];
    snprintf(stem, sizeof stem, "%s", slash ? slash + 1 : yaml);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = 0;
    char pretty[160] = "";
    for (const char *p = stem; *p;) /* .replace("yolo", "YOLO") */
        if (!strncmp(p, "yolo", 4)) strcat(pretty, "YOLO"), p += 4;
        else strncat(pretty, p++, 1);
    char desc[400];
    snprintf(desc, sizeof desc, "Ultralytics %s model %s%s", pretty, gm->data ? "trained on " : "", gm->data ? gm->data : "");
    int stride = 0;
    for (int i = 0; i < gm->n_strides; i++) stride = gm->strides[i] > stride ? gm->strides[i] : stride;
    json_object *names = json_object_new_object();
    for (int i = 0; i < gm->nc && gm->names; i++) {
        char k[16];
        snprintf(k, sizeof k, "%d", i);
        json_object_object_add(names, k, json_object_new_string(gm->names[i] ? gm->names[i] : ""));
    }
    meta_add(m, "description", json_text(m->a, json_object_new_string(desc)));
    meta_add(m, "author", "\"Ultralytics\"");
    meta_add(m, "date", "\"2026-11-22T02:20:08.656380\"");
    meta_add(m, "version", json_text(m->a, json_object_new_string(gm->version ? gm->version : "8.3.185")));
    meta_add(m, "license", "\"AGPL-3.0 License (https://ultralytics.com/license)\"");
    meta_add(m, "docs", "\"https://docs.ultralytics.com\"");
    meta_add(m, "stride", arena_printf(m->a, "%d", stride));
    meta_add(m, "task", json_text(m->a, json_object_new_string(gm->task ? gm->task : "detect")));
    meta_add(m, "batch", "1");
    meta_add(m, "imgsz", arena_printf(m->a, "[%d, %d]", gm->imgsz[0], gm->imgsz[1]));
    meta_add(m, "names", json_text(m->a, names));
    meta_add(m, "args", arena_printf(m->a, "{\"batch\": 1, \"half\": %s, \"optimize\": false, \"dynamic\": %s, \"nms\": false}",
                                     half ? "true" : "false", dynamic ? "true" : "false"));
    meta_add(m, "channels", arena_printf(m->a, "%d", gm->channels ? gm->channels : 3));
}

#endif
