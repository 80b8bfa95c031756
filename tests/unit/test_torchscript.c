/* test_torchscript: the TorchScript writer and reader.  Small hand-built graphs and the
 * yolov8n.yaml model are written to a temporary directory; the archive's entries, storage,
 * pickles, code and metadata are checked byte by byte, read back with torchscript_inspect
 * and torchscript_check, and (when /usr/bin/python3 has torch) an op graph runs in
 * torch.jit.load against torch.nn.functional (tests/torchscript_check.py).  Bad graphs,
 * unwritable places, a full disk and damaged archives must give clear errors and leave
 * nothing behind.
 *
 * `test_torchscript write MODEL OUT [half=1] [dynamic=1] [imgsz=N] [exec=IN.npy:PREFIX]` writes
 * an archive with the peer's metadata instead of testing, and with exec= also runs the graph
 * in our executor, saving output k as PREFIX<k>.npy (tests/e2e/torchscript.sh uses it). */
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>
#include <json.h>

#include "engine/exec/exec.h"
#include "engine/core/fileio.h"
#include "engine/registry/model.h"
#include "engine/registry/readers.h"
#include "engine/core/npy.h"
#include "engine/passes/passes.h"
#include "formats/pickle.h"
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

/* Names in a directory, sorted, joined with spaces (for "nothing left behind"). */
static char *dir_listing(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return xstrdup("(none)");
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = xstrdup(e->d_name);
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    Vec v = {0};
    for (int i = 0; i < n; i++) {
        if (i) vec_push(&v, 1, " ");
        for (const char *p = names[i]; *p; p++) vec_push(&v, 1, p);
        free(names[i]);
    }
    vec_push(&v, 1, "");
    return v.items;
}

static char *run_capture(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    if (!f) return NULL;
    Vec v = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++) vec_push(&v, 1, &buf[i]);
    vec_push(&v, 1, "");
    *status = pclose(f);
    return v.items;
}

static bool have_torch(void)
{
    static int cached = -1;
    if (cached < 0) cached = system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
    return cached == 1;
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

/* ---- zip helpers ---- */

static uint8_t *zip_entry(const char *path, const char *name, size_t *len, int *method)
{
    int ze;
    zip_t *za = zip_open(path, ZIP_RDONLY, &ze);
    if (!za) return NULL;
    zip_stat_t st;
    uint8_t *buf = NULL;
    if (zip_stat(za, name, 0, &st) == 0) {
        buf = xmalloc(st.size + 1);
        zip_file_t *f = zip_fopen(za, name, 0);
        zip_int64_t got = f ? zip_fread(f, buf, st.size) : -1;
        if (f) zip_fclose(f);
        if (got != (zip_int64_t)st.size) {
            free(buf);
            buf = NULL;
        } else {
            buf[st.size] = 0;
            *len = st.size;
            if (method) *method = st.comp_method;
        }
    }
    zip_discard(za);
    return buf;
}

/* Write a zip of (name, bytes) entries; deflate the ones named in `deflate`. */
static bool make_zip(const char *path, const char *const *names, const char *const *data, const size_t *lens, int n,
                     const char *deflate)
{
    int ze;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    if (!za) return false;
    for (int i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(za, data[i], lens[i], 0);
        zip_int64_t idx = zip_file_add(za, names[i], s, 0);
        if (idx < 0) return false;
        zip_set_file_compression(za, (zip_uint64_t)idx,
                                 deflate && !strcmp(deflate, names[i]) ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    }
    return zip_close(za) == 0;
}

static bool files_equal(const char *a, const char *b)
{
    size_t la, lb;
    char *x = file_read_all(a, 1 << 30, &la, NULL, 0), *y = file_read_all(b, 1 << 30, &lb, NULL, 0);
    bool eq = x && y && la == lb && !memcmp(x, y, la);
    free(x);
    free(y);
    return eq;
}

/* ---- tests ---- */

static void test_metadata_json(void)
{
    char err[300];
    KeyValue kv[] = {{"stride", "32"}, {"task", "\"detect\""}, {"imgsz", "[640,640]"}, {"conf", "0.25"},
                     {"names", "{\"0\":\"person\",\"1\":\"caf\\u00e9 \\ud83d\\ude00\",\"2\":\"a\\\"b\\\\c\\n\"}"},
                     {"args", "{\"half\":false,\"nms\":null,\"x\":1e-05}"}};
    char *s = torchscript_metadata_json(kv, (int)ARRAY_LEN(kv), err, sizeof err);
    EXPECT_EQ_STR(s, "{\"stride\": 32, \"task\": \"detect\", \"imgsz\": [640, 640], \"conf\": 0.25, \"names\": "
                     "{\"0\": \"person\", \"1\": \"caf\\u00e9 \\ud83d\\ude00\", \"2\": \"a\\\"b\\\\c\\n\"}, "
                     "\"args\": {\"half\": false, \"nms\": null, \"x\": 1e-05}}");
    free(s);
    s = torchscript_metadata_json(NULL, 0, err, sizeof err);
    EXPECT_EQ_STR(s, "{}");
    free(s);
    KeyValue bad[] = {{"stride", "32"}, {"names", "{0: 'person'}"}};
    EXPECT(torchscript_metadata_json(bad, 2, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "metadata 'names': value is not JSON");
    KeyValue dup[] = {{"task", "\"a\""}, {"task", "\"b\""}};
    EXPECT(torchscript_metadata_json(dup, 2, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "'task' is given twice");
    KeyValue utf[] = {{"x", "\"\xff\""}};
    EXPECT(torchscript_metadata_json(utf, 1, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "metadata 'x'");
}

/* The peer's extra/config.txt, fed back key by key (in json-c's own formatting), comes out
 * byte for byte as the peer wrote it. */
static void test_metadata_matches_peer(void)
{
    const char *peer = shared_path("reference/peer/yolov8n.torchscript");
    if (!peer) {
        SKIP("../shared not present");
        return;
    }
    size_t len;
    char *text = (char *)zip_entry(peer, "yolov8n/extra/config.txt", &len, NULL);
    EXPECT(text != NULL);
    if (!text) return;
    json_object *o = json_tokener_parse(text);
    EXPECT(o && json_object_is_type(o, json_type_object));
    Arena *a = arena_new();
    KeyValue kv[32];
    int n = 0;
    json_object_object_foreach(o, key, val)
    {
        if (n < 32) kv[n++] = (KeyValue){arena_strdup(a, key), arena_strdup(a, json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN))};
    }
    EXPECT_EQ_INT(n, 13);
    char err[300];
    char *ours = torchscript_metadata_json(kv, n, err, sizeof err);
    EXPECT_EQ_STR(ours, text);
    free(ours);
    json_object_put(o);
    arena_free(a);
    free(text);
}

static void test_small_graph_archive(void)
{
    Graph *g = tiny_graph();
    char err[600];
    KeyValue kv[] = {{"task", "\"detect\""}, {"stride", "8"}, {"imgsz", "[8, 8]"}, {"names", "{\"0\": \"a\", \"1\": \"b\"}"}};
    TorchScriptOptions opt = {.metadata = kv, .n_metadata = 4};
    const char *path = tmp("tiny.torchscript");
    EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s", err);
    /* entries, all stored, in the order torch writes them */
    int ze;
    zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    EXPECT(za != NULL);
    if (!za) return;
    const char *want[] = {"tiny/extra/config.txt", "tiny/data/0",   "tiny/data/1",
                          "tiny/data.pkl",         "tiny/code/__torch__/yoloport.py", "tiny/constants.pkl",
                          "tiny/version"};
    EXPECT_EQ_INT(zip_get_num_entries(za, 0), (int)ARRAY_LEN(want));
    for (size_t i = 0; i < ARRAY_LEN(want) && (zip_int64_t)i < zip_get_num_entries(za, 0); i++) {
        zip_stat_t st;
        EXPECT_EQ_STR(zip_get_name(za, i, 0), want[i]);
        EXPECT(zip_stat_index(za, i, 0, &st) == 0 && st.comp_method == ZIP_CM_STORE);
    }
    zip_discard(za);
    size_t len;
    int method;
    uint8_t *b = zip_entry(path, "tiny/version", &len, &method);
    EXPECT_EQ_STR((char *)b, "3\n"); /* no torch.div in this code */
    free(b);
    b = zip_entry(path, "tiny/constants.pkl", &len, NULL);
    EXPECT(b && len == 4 && !memcmp(b, "\x80\x02).", 4));
    free(b);
    b = zip_entry(path, "tiny/extra/config.txt", &len, NULL);
    EXPECT_EQ_STR((char *)b, "{\"task\": \"detect\", \"stride\": 8, \"imgsz\": [8, 8], \"names\": {\"0\": \"a\", \"1\": \"b\"}}");
    free(b);
    /* storages hold the weights little-endian */
    b = zip_entry(path, "tiny/data/0", &len, NULL);
    const Tensor *W = &g->tensors[graph_find_tensor(g, "model.0.conv.weight")];
    EXPECT(b && len == W->nbytes && !memcmp(b, W->data, len));
    free(b);
    /* the code */
    char *code = (char *)zip_entry(path, "tiny/code/__torch__/yoloport.py", &len, NULL);
    EXPECT_EQ_STR(code, "class DetectionModel(Module):\n"
                        "  __parameters__ = [\"model_0_conv_weight\", \"model_0_conv_bias\", ]\n"
                        "  __buffers__ = []\n"
                        "  model_0_conv_weight : Tensor\n"
                        "  model_0_conv_bias : Tensor\n"
                        "  training : bool\n"
                        "  def forward(self: __torch__.yoloport.DetectionModel,\n"
                        "    images: Tensor) -> Tensor:\n"
                        "    x0 = torch.conv2d(images, self.model_0_conv_weight, self.model_0_conv_bias, [1, 1], [1, 1], "
                        "[1, 1], 1)\n"
                        "    x1 = torch.silu(x0)\n"
                        "    return x1\n");
    free(code);
    /* the module pickle: object of the class, state with training and both tensors */
    b = zip_entry(path, "tiny/data.pkl", &len, NULL);
    Arena *a = arena_new();
    EXPECT(pickle_load(b, len, a, err, sizeof err) == NULL); /* a checkpoint reader refuses __torch__ */
    EXPECT_CONTAINS(err, "refuses to load class '__torch__.yoloport.DetectionModel'");
    PickleValue *top = pickle_load_allowing(b, len, a, "__torch__", err, sizeof err);
    EXPECT_MSG(top != NULL, "%s", err);
    EXPECT(pickle_is_class(top, "__torch__.yoloport", "DetectionModel"));
    const PickleValue *state = top ? top->obj.state : NULL;
    EXPECT_EQ_INT(pickle_len(state), 3);
    EXPECT(pickle_is(pickle_dict_get(state, "training"), PK_BOOL) && !pickle_dict_get(state, "training")->b);
    const PickleValue *t = pickle_dict_get(state, "model_0_conv_weight");
    EXPECT(pickle_is_class(t, "torch._utils", "_rebuild_tensor_v2"));
    const PickleValue *pid = t ? pickle_item(t->obj.args, 0) : NULL;
    EXPECT(pickle_is(pid, PK_PERSID));
    const PickleValue *ref = pid ? pid->pid : NULL;
    EXPECT_EQ_STR(pickle_str(pickle_item(ref, 0)), "storage");
    EXPECT(pickle_is_class(pickle_item(ref, 1), "torch", "FloatStorage"));
    EXPECT_EQ_STR(pickle_str(pickle_item(ref, 2)), "0");
    EXPECT_EQ_STR(pickle_str(pickle_item(ref, 3)), "cpu");
    EXPECT_EQ_INT(pickle_int(pickle_item(ref, 4), -1), 108);
    const PickleValue *stride = t ? pickle_item(t->obj.args, 3) : NULL;
    EXPECT(pickle_len(stride) == 4 && pickle_int(pickle_item(stride, 0), 0) == 27 && pickle_int(pickle_item(stride, 3), 0) == 1);
    arena_free(a);
    free(b);
    /* read back */
    TorchScriptInfo info;
    EXPECT_MSG(torchscript_check(path, g, &opt, &info, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_STR(info.archive_name, "tiny");
    EXPECT_EQ_STR(info.class_name, "__torch__.yoloport.DetectionModel");
    EXPECT_EQ_INT(info.n_tensors, 2);
    EXPECT_EQ_INT(info.n_elements, 112);
    EXPECT_EQ_INT(info.data_bytes, 448);
    EXPECT_EQ_INT(info.dtype, DT_F32);
    EXPECT_EQ_INT(info.n_inputs, 1);
    EXPECT_EQ_INT(info.n_outputs, 1);
    EXPECT_EQ_STR(info.task, "detect");
    EXPECT_EQ_INT(info.stride, 8);
    EXPECT_EQ_INT(info.n_names, 2);
    torchscript_info_free(&info);
    /* a different expectation is reported */
    TorchScriptOptions half = opt;
    half.half = true;
    EXPECT(torchscript_check(path, g, &half, NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "bytes, expected");
    KeyValue other[] = {{"task", "\"segment\""}};
    TorchScriptOptions o2 = {.metadata = other, .n_metadata = 1};
    EXPECT(torchscript_check(path, g, &o2, NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "extra/config.txt differs from the export metadata");
    /* archive_name overrides the file stem; the same graph gives the same bytes */
    TorchScriptOptions named = opt;
    named.archive_name = "my model";
    EXPECT(torchscript_write(g, &named, tmp("a.torchscript"), err, sizeof err) == 0);
    EXPECT(torchscript_inspect(tmp("a.torchscript"), &info, err, sizeof err) == 0);
    EXPECT_EQ_STR(info.archive_name, "my_model");
    torchscript_info_free(&info);
    EXPECT(torchscript_write(g, &named, tmp("b.torchscript"), err, sizeof err) == 0);
    EXPECT(files_equal(tmp("a.torchscript"), tmp("b.torchscript")));
    graph_free(g);
}

static void test_ops_graph_code(void)
{
    Graph *g = ops_graph();
    char err[600];
    TorchScriptModule m;
    EXPECT_MSG(torchscript_codegen(g, &m, err, sizeof err) == 0, "%s", err);
    const char *lines[] = {
        "torch.constant_pad_nd(images, [0, 1, 0, 1], 0.)",
        "torch.conv2d(x", "[2, 2], [0, 0], [1, 1], 4)",
        "torch.batch_norm(x0, self.bn_weight, self.bn_bias, self.bn_running_mean, self.bn_running_var, False, "
        "0.10000000000000001, 0.001, True)",
        "torch.max_pool2d(", "[3, 3], [1, 1], [1, 1], [1, 1], False)",
        "torch.avg_pool2d(", "[2, 2], [2, 2], [0, 0], False, False, None)",
        "torch.adaptive_avg_pool2d(", "torch.upsample_nearest2d(", ", None, [2., 2.])",
        "= torch.split_with_sizes(", "[6, 10], 1)", "torch.slice(", ", 2, 1, 7, 2)",
        "torch.reshape(", ", [1, 10, -1])", "torch.permute(", "torch.softmax(", ", 2)",
        "torch.matmul(", ", self.mat)", "torch.add(", ", 0.5)", "torch.rsub(", ", 1.)", ", self.vec)",
        "torch.div(", ", 3.)", "torch.amax(", ", [1], False)", "torch.linear(", "self.fc_weight, self.fc_bias)",
        "torch.mul(torch.mm(", "self.fc2_weight), 0.5)", "torch.flatten(torch.flatten(", ", 2, -1), 0, 1)",
        "torch.argmax(", ", 2, True)", "= torch.topk(", ", 2, 1, True, True)", "torch.conv_transpose2d(",
        "torch.squeeze(", "torch.unsqueeze(", "torch.select(", ", 0, 1)", "torch.clamp(", ", -0.1, 0.2)",
        "torch.exp(", "-> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, "
                      "Tensor, Tensor, Tensor]:",
        "  __parameters__ = [\"conv1_weight\", \"conv1_bias\", \"bn_weight\", \"bn_bias\", \"conv2_weight\", "
        "\"fc_weight\", \"fc_bias\", \"fc2_weight\", \"convt_weight\", \"convt_bias\", ]",
        "  __buffers__ = [\"bn_running_mean\", \"bn_running_var\", \"mat\", \"vec\", ]",
    };
    for (size_t i = 0; i < ARRAY_LEN(lines); i++) EXPECT_CONTAINS(m.code, lines[i]);
    EXPECT_EQ_INT(m.version, 4);
    EXPECT_EQ_INT(m.n_outputs, 14);
    EXPECT_EQ_INT(m.n_attrs, 14);
    torchscript_module_free(&m);
    graph_free(g);
}

/* The op graph runs in torch.jit.load and matches torch.nn.functional. */
static void test_ops_graph_in_torch(void)
{
    if (!have_torch()) {
        SKIP("/usr/bin/python3 cannot import torch");
        return;
    }
    Graph *g = ops_graph();
    char err[600];
    const char *path = tmp("ops.torchscript");
    EXPECT_MSG(torchscript_write(g, NULL, path, err, sizeof err) == 0, "%s", err);
    graph_free(g);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/torchscript_check.py ops '%s' 2>&1", path);
    int status;
    char *out = run_capture(cmd, &status);
    int ok = 0;
    for (char *l = out ? strtok(out, "\n") : NULL; l; l = strtok(NULL, "\n")) {
        if (!strncmp(l, "OK ", 3)) ok++;
        else EXPECT_MSG(0, "%s", l);
    }
    EXPECT_EQ_INT(ok, 14);
    EXPECT_EQ_INT(status, 0);
    printf("# torch ran the op graph: %d outputs match torch.nn.functional\n", ok);
    free(out);
}

static Graph *load_yaml(const char *name, bool dynamic, bool shapes_only, char *err, size_t errlen)
{
    LoadOptions lo = {.fuse = true, .dynamic = dynamic, .shapes_only = shapes_only};
    return model_load(name, &lo, err, errlen);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
    return n;
}

static void test_yolov8n_yaml(void)
{
    char err[600];
    Graph *g = load_yaml("yolov8n.yaml", false, false, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    Meta meta;
    peer_metadata(&meta, g, false, false);
    TorchScriptOptions opt = {.metadata = meta.kv, .n_metadata = meta.n};
    const char *path = tmp("yolov8n.torchscript");
    double t0 = now_seconds();
    EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s", err);
    double dt = now_seconds() - t0;
    TorchScriptInfo info;
    EXPECT_MSG(torchscript_check(path, g, &opt, &info, err, sizeof err) == 0, "%s", err);
    /* 127 fused conv weights and biases (3,151,904 parameters) + anchors and strides */
    EXPECT_EQ_STR(info.class_name, "__torch__.yoloport.DetectionModel");
    EXPECT_EQ_INT(info.n_tensors, 129);
    EXPECT_EQ_INT(info.n_elements, 3151904 + 2 * 8400 + 8400);
    EXPECT_EQ_INT(info.data_bytes, 4 * info.n_elements);
    EXPECT_EQ_INT(info.n_entries, 134);
    EXPECT_EQ_INT(info.version, 4);
    EXPECT_EQ_INT(info.stride, 32);
    EXPECT_EQ_INT(info.imgsz[0], 640);
    EXPECT_EQ_INT(info.n_names, 80);
    EXPECT_EQ_INT(info.channels, 3);
    torchscript_info_free(&info);
    size_t len;
    char *code = (char *)zip_entry(path, "yolov8n/code/__torch__/yoloport.py", &len, NULL);
    EXPECT_EQ_INT(count(code, "= torch.conv2d("), 64);
    EXPECT_EQ_INT(count(code, "= torch.silu("), 57);
    EXPECT_EQ_INT(count(code, "= torch.upsample_nearest2d("), 2);
    EXPECT_EQ_INT(count(code, "= torch.max_pool2d("), 3);
    EXPECT_CONTAINS(code, "torch.sub(self.model_22_anchors, ");
    EXPECT_CONTAINS(code, "torch.reshape(x167, [1, 4, 16, 8400])");
    free(code);
    printf("# yolov8n.yaml: %lld bytes written in %.3f s\n", (long long)path_size(path), dt);
    /* half: float16 storages, half the bytes, the same structure */
    TorchScriptOptions half = opt;
    half.half = true;
    EXPECT_MSG(torchscript_write(g, &half, tmp("yolov8n_half.torchscript"), err, sizeof err) == 0, "%s", err);
    EXPECT_MSG(torchscript_check(tmp("yolov8n_half.torchscript"), g, &half, &info, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(info.dtype, DT_F16);
    EXPECT_EQ_INT(info.data_bytes, 2 * info.n_elements);
    torchscript_info_free(&info);
    uint8_t *h = zip_entry(tmp("yolov8n_half.torchscript"), "yolov8n_half/data/0", &len, NULL);
    const Tensor *W = &g->tensors[graph_find_tensor(g, "model.0.conv.weight")];
    bool same = h && len == W->nbytes / 2;
    for (size_t i = 0; same && i < len / 2; i++) {
        uint16_t v;
        memcpy(&v, h + 2 * i, 2);
        same = v == float_to_half(((const float *)W->data)[i]);
    }
    EXPECT(same);
    free(h);
    arena_free(meta.a);
    graph_free(g);
}

static void test_every_task(void)
{
    static const struct {
        const char *yaml, *cls;
        int outputs;
    } models[] = {
        {"yolov8n-seg.yaml", "SegmentationModel", 2}, {"yolov8n-pose.yaml", "PoseModel", 1},
        {"yolov8n-obb.yaml", "OBBModel", 1},          {"yolov8n-cls.yaml", "ClassificationModel", 1},
        {"yolo11n.yaml", "DetectionModel", 1},        {"yolo11n-seg.yaml", "SegmentationModel", 2},
    };
    for (size_t i = 0; i < ARRAY_LEN(models); i++) {
        char err[600];
        Graph *g = load_yaml(models[i].yaml, false, true, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s: %s", models[i].yaml, err);
        if (!g) continue;
        TorchScriptModule m;
        EXPECT_MSG(torchscript_codegen(g, &m, err, sizeof err) == 0, "%s: %s", models[i].yaml, err);
        EXPECT_EQ_STR(m.class_name, models[i].cls);
        EXPECT_EQ_INT(m.n_outputs, models[i].outputs);
        torchscript_module_free(&m);
        graph_free(g);
    }
}

static void test_dynamic(void)
{
    char err[600];
    Graph *g = load_yaml("yolov8n.yaml", true, true, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    TorchScriptModule m;
    EXPECT_MSG(torchscript_codegen(g, &m, err, sizeof err) == 0, "%s", err);
    /* sizes come from the tensors at run time; anchors are computed on the input's device */
    EXPECT(m.code && !strstr(m.code, "8400"));
    EXPECT_EQ_INT(count(m.code, "= torch.size("), 6);
    EXPECT_EQ_INT(count(m.code, "torch.arange("), 6);
    EXPECT_CONTAINS(m.code, "device=ops.prim.device(images)");
    EXPECT_CONTAINS(m.code, "torch.reshape(x167, [torch.size(x167, 0), 4, 16, -1])");
    EXPECT_CONTAINS(m.code, "= float(");
    torchscript_module_free(&m);
    graph_free(g);
}

/* Each bad graph: -1, a message naming the node and op, and no file. */
static void expect_refused(Graph *g, const char *want1, const char *want2)
{
    char err[600] = "";
    const char *path = tmp("bad.torchscript");
    EXPECT(torchscript_write(g, NULL, path, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, want1);
    EXPECT_CONTAINS(err, want2);
    EXPECT_CONTAINS(err, path);
    EXPECT(!file_exists(path));
    graph_free(g);
}

static void test_unsupported(void)
{
    Graph *g = tiny_graph();
    int y = g->outputs[0];
    int boxes = act(g, "nms", 2, D(1, 3));
    node(g, OP_NMS, NULL, "/model.23/NonMaxSuppression", I(y, y), 2, &boxes, 1);
    expect_refused(g, "/model.23/NonMaxSuppression (NonMaxSuppression)", "without torchvision");

    g = tiny_graph();
    int z = act(g, "z", 4, D(1, 4, 8, 8));
    node(g, OP_OTHER, "RoiAlign", "/m/RoiAlign", &g->outputs[0], 1, &z, 1);
    expect_refused(g, "/m/RoiAlign (RoiAlign)", "no TorchScript translation");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 8, 8, 8));
    int n = node(g, OP_CONCAT, NULL, "/m/Concat", I(g->outputs[0], g->outputs[0]), 2, &z, 1);
    node_set_int(g, n, "axis", 5);
    expect_refused(g, "/m/Concat (Concat)", "axis 5 is out of range for rank 4");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 4, 8, 8));
    n = node(g, OP_MAXPOOL, NULL, "/m/MaxPool", &g->outputs[0], 1, &z, 1);
    node_set_ints(g, n, "kernel_shape", D(2, 2), 2);
    node_set_ints(g, n, "pads", D(0, 0, 1, 1), 4);
    expect_refused(g, "/m/MaxPool (MaxPool)", "asymmetric pads");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 4, 8, 8));
    n = node(g, OP_TRANSPOSE, NULL, "/m/Transpose", &g->outputs[0], 1, &z, 1);
    node_set_ints(g, n, "perm", D(0, 1, 1, 3), 4);
    expect_refused(g, "/m/Transpose (Transpose)", "not a permutation");

    g = tiny_graph();
    z = act(g, "z", 2, D(4, 64));
    node(g, OP_RESHAPE, NULL, "/m/Reshape", I(g->outputs[0], ints(g, "s", 2, D(-1, -1))), 2, &z, 1);
    expect_refused(g, "/m/Reshape (Reshape)", "more than one -1");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 4, 16, 16));
    float sc[4] = {1, 1, 2, 2};
    n = node(g, OP_RESIZE, NULL, "/m/Resize", I(g->outputs[0], -1, graph_add_const(g, "sc", DT_F32, 1, D(4), sc)), 3, &z, 1);
    expect_refused(g, "/m/Resize (Resize)", "half_pixel/round_prefer_floor has no torch equivalent");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 4, 8, 8));
    n = node(g, OP_SPLIT, NULL, "/m/Split", &g->outputs[0], 1, &z, 1);
    node_set_ints(g, n, "split", D(3), 1);
    node_set_int(g, n, "axis", 1);
    expect_refused(g, "/m/Split (Split)", "sizes add up to 3, the dim is 4");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 4, 8, 8));
    node(g, OP_ADD, NULL, "/m/Add", &g->outputs[0], 1, &z, 1);
    expect_refused(g, "/m/Add (Add)", "input 2 is missing");

    /* weights over the float16 range cannot be written with half */
    g = tiny_graph();
    ((float *)g->tensors[graph_find_tensor(g, "model.0.conv.bias")].data)[2] = 1e6f;
    char err[400];
    TorchScriptOptions half = {.half = true};
    EXPECT(torchscript_write(g, &half, tmp("bad.torchscript"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "tensor 'model.0.conv.bias' has a value (1e+06) beyond the float16 range");
    EXPECT(!file_exists(tmp("bad.torchscript")));
    graph_free(g);
}

static void test_shapes_only_graph(void)
{
    char err[600];
    Graph *g = load_yaml("yolov8n.yaml", false, true, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    EXPECT(torchscript_write(g, NULL, tmp("shapes.torchscript"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "tensor 'model.0.conv.weight' has no data (the model was loaded for browsing only)");
    EXPECT(!file_exists(tmp("shapes.torchscript")));
    graph_free(g);
}

static void test_unwritable(void)
{
    Graph *g = tiny_graph();
    char err[600];
    char path[600];
    snprintf(path, sizeof path, "%s/no/such/dir/m.torchscript", tmpdir);
    EXPECT(torchscript_write(g, NULL, path, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, path);
    EXPECT_CONTAINS(err, "cannot write in");
    /* the parent is a regular file */
    FILE *f = fopen(tmp("plain"), "w");
    if (f) fclose(f);
    snprintf(path, sizeof path, "%s/plain/m.torchscript", tmpdir);
    EXPECT(torchscript_write(g, NULL, path, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "Not a directory");
    graph_free(g);
}

/* Disk full halfway (fault injection, read once per process: a fresh process of this
 * program writes): the old file stays as it was and no temporary is left. */
static void test_disk_full(void)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/full", tmpdir);
    mkdir(dir, 0755);
    char path[400];
    snprintf(path, sizeof path, "%s/m.torchscript", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("old contents", f);
        fclose(f);
    }
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    EXPECT(n > 0);
    if (n <= 0) return;
    self[n] = 0;
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "YOLOPORT_FAULT_WRITE_AFTER=300 '%s' write-tiny '%s' 2>&1", self, path);
    int status;
    char *out = run_capture(cmd, &status);
    EXPECT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d: %s", status, out ? out : "");
    EXPECT_CONTAINS(out, path);
    EXPECT_CONTAINS(out, "No space left on device");
    free(out);
    char *names = dir_listing(dir);
    EXPECT_EQ_STR(names, "m.torchscript");
    free(names);
    size_t len;
    char *text = file_read_all(path, 100, &len, NULL, 0);
    EXPECT_EQ_STR(text, "old contents");
    free(text);
    /* and without the fault the old file is replaced */
    Graph *g = tiny_graph();
    char err[600];
    EXPECT_MSG(torchscript_write(g, NULL, path, err, sizeof err) == 0, "%s", err);
    TorchScriptInfo info;
    EXPECT(torchscript_inspect(path, &info, err, sizeof err) == 0);
    torchscript_info_free(&info);
    graph_free(g);
    names = dir_listing(dir);
    EXPECT_EQ_STR(names, "m.torchscript");
    free(names);
}

static void expect_inspect_error(const char *path, const char *want)
{
    TorchScriptInfo info;
    char err[600] = "";
    EXPECT(torchscript_inspect(path, &info, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, path);
    EXPECT_CONTAINS(err, want);
}

typedef struct {
    const char *p;
    size_t n;
} Bytes;

/* A heap copy of buf[0..len) with the old.n bytes at off (which must be old's) replaced by
 * with's bytes; its length in *out_len. */
static char *replace_at(const char *buf, size_t len, size_t off, const Bytes *old, const Bytes *with, size_t *out_len)
{
    EXPECT(off + old->n <= len && !memcmp(buf + off, old->p, old->n));
    *out_len = len - old->n + with->n;
    char *out = xmalloc(*out_len);
    memcpy(out, buf, off);
    memcpy(out + off, with->p, with->n);
    memcpy(out + off + with->n, buf + off + old->n, len - off - old->n);
    return out;
}

static void test_inspect_damaged(void)
{
    char err[600];
    Graph *g = tiny_graph();
    EXPECT(torchscript_write(g, NULL, tmp("good.torchscript"), err, sizeof err) == 0);
    graph_free(g);
    size_t pkl_len, code_len;
    char *pkl = (char *)zip_entry(tmp("good.torchscript"), "good/data.pkl", &pkl_len, NULL);
    char *code = (char *)zip_entry(tmp("good.torchscript"), "good/code/__torch__/yoloport.py", &code_len, NULL);
    EXPECT(pkl && code);
    if (!pkl || !code) return;
    static char w0[432], w1[16];
    const char *names[] = {"good/data/0", "good/data/1", "good/data.pkl", "good/code/__torch__/yoloport.py",
                           "good/constants.pkl", "good/version"};
    const char *data[] = {w0, w1, pkl, code, "\x80\x02).", "3\n"};
    size_t lens[] = {sizeof w0, sizeof w1, pkl_len, code_len, 4, 2};
    /* the same entries rebuilt: fine */
    EXPECT(make_zip(tmp("same.zip"), names, data, lens, 6, NULL));
    TorchScriptInfo info;
    EXPECT_MSG(torchscript_inspect(tmp("same.zip"), &info, err, sizeof err) == 0, "%s", err);
    EXPECT(info.metadata == NULL); /* no extra/config.txt: allowed */
    torchscript_info_free(&info);
    /* a short storage */
    lens[0] = 400;
    EXPECT(make_zip(tmp("short.zip"), names, data, lens, 6, NULL));
    expect_inspect_error(tmp("short.zip"), "storage good/data/0 holds 400 bytes, 108 x float32 needs 432");
    lens[0] = sizeof w0;
    /* a missing storage */
    EXPECT(make_zip(tmp("missing.zip"), names + 1, data + 1, lens + 1, 5, NULL));
    expect_inspect_error(tmp("missing.zip"), "storage good/data/0 is missing");
    /* a deflated storage; a deflated code file is only counted */
    EXPECT(make_zip(tmp("deflated.zip"), names, data, lens, 6, "good/data/0"));
    expect_inspect_error(tmp("deflated.zip"), "storage 'good/data/0' is compressed");
    EXPECT(make_zip(tmp("deflated_code.zip"), names, data, lens, 6, "good/code/__torch__/yoloport.py"));
    EXPECT_MSG(torchscript_inspect(tmp("deflated_code.zip"), &info, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(info.n_compressed, 1);
    torchscript_info_free(&info);
    /* a bad version */
    data[5] = "99\n";
    EXPECT(make_zip(tmp("version.zip"), names, data, lens, 6, NULL));
    expect_inspect_error(tmp("version.zip"), "not a supported version");
    data[5] = "3\n";
    /* a pickle that names something outside the allowlist */
    static const char evil[] = "\x80\x02" "cos\nsystem\n" "X\x02\x00\x00\x00ls" "\x85R.";
    data[2] = evil;
    lens[2] = sizeof evil - 1;
    EXPECT(make_zip(tmp("evil.zip"), names, data, lens, 6, NULL));
    expect_inspect_error(tmp("evil.zip"), "refuses to load class 'os.system' (not on the allowlist)");
    /* __torch__ admits classes only: not a function, not a look-alike module */
    Arena *a = arena_new();
    static const char fn[] = "\x80\x02" "c__torch__.m\nrun\n" ").";
    EXPECT(pickle_load_allowing((const uint8_t *)fn, sizeof fn - 1, a, "__torch__", err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "'__torch__.m.run'");
    static const char look[] = "\x80\x02" "c__torch__x.m\nM\n" ").";
    EXPECT(pickle_load_allowing((const uint8_t *)look, sizeof look - 1, a, "__torch__", err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "'__torch__x.m.M'");
    arena_free(a);
    /* a tensor past the end of its storage: size (4, 3, 3, 3) with offset 10 */
    char *p = memmem(pkl, pkl_len, "\x89" "c", 2); /* the first tensor's requires_grad */
    char *off = p ? memmem(pkl, (size_t)(p - pkl), "QK\x00", 3) : NULL;
    EXPECT(off != NULL);
    if (off) {
        char *bad = xmalloc(pkl_len);
        memcpy(bad, pkl, pkl_len);
        bad[off - pkl + 2] = 10;
        data[2] = bad;
        lens[2] = pkl_len;
        EXPECT(make_zip(tmp("past.zip"), names, data, lens, 6, NULL));
        expect_inspect_error(tmp("past.zip"), "a tensor runs past the end of storage '0' (element 117 of 108)");
        free(bad);
    }
    /* element counts that overflow: a tensor whose dims multiply past 2^63, and two whose
     * counts (each below 2^63: stride 0 keeps them inside their storages) add up past it */
#define BYTES(s) {s, sizeof s - 1}
    static const Bytes w_shape = BYTES("(K\x04K\x03K\x03K\x03t(K\x1bK\x09K\x03K\x01t"),
                       b_shape = BYTES("(K\x04t(K\x01t"),
                       huge3 = BYTES("(J\xff\xff\xff\x7fJ\xff\xff\xff\x7fJ\xff\xff\xff\x7ft(K\x00K\x00K\x00t"),
                       big3 = BYTES("(J\xff\xff\xff\x7fJ\xff\xff\xff\x7fK\x02t(K\x00K\x00K\x00t");
#undef BYTES
    const char *ws = memmem(pkl, pkl_len, w_shape.p, w_shape.n), *bs = memmem(pkl, pkl_len, b_shape.p, b_shape.n);
    EXPECT(ws && bs && ws < bs);
    const struct {
        const Bytes *w, *b;
        const char *zip, *want;
    } overflows[] = {
        {&huge3, &b_shape, "dims_overflow.zip", "a tensor on storage '0' has a size that overflows"},
        {&big3, &big3, "sum_overflow.zip", "the tensors' element counts add up past 2^63"},
    };
    for (size_t c = 0; ws && bs && ws < bs && c < ARRAY_LEN(overflows); c++) {
        size_t n1, n2;
        char *one = replace_at(pkl, pkl_len, (size_t)(bs - pkl), &b_shape, overflows[c].b, &n1);
        char *two = replace_at(one, n1, (size_t)(ws - pkl), &w_shape, overflows[c].w, &n2);
        data[2] = two;
        lens[2] = n2;
        EXPECT(make_zip(tmp(overflows[c].zip), names, data, lens, 6, NULL));
        expect_inspect_error(tmp(overflows[c].zip), overflows[c].want);
        free(one);
        free(two);
    }
    /* not a zip; a checkpoint is not a module */
    FILE *f = fopen(tmp("text.torchscript"), "w");
    if (f) {
        fputs("hello", f);
        fclose(f);
    }
    expect_inspect_error(tmp("text.torchscript"), "not a readable zip archive");
    const char *pt = shared_path("models/yolov8n.pt");
    if (pt) expect_inspect_error(pt, "yolov8n/data.pkl is not a TorchScript module object");
    free(pkl);
    free(code);
}

/* The peer's own archive (traced by torch) reads back with the fused model's numbers. */
static void test_inspect_peer(void)
{
    const char *peer = shared_path("reference/peer/yolov8n.torchscript");
    if (!peer) {
        SKIP("../shared not present");
        return;
    }
    TorchScriptInfo info;
    char err[600];
    EXPECT_MSG(torchscript_inspect(peer, &info, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_STR(info.class_name, "__torch__.ultralytics.nn.tasks.DetectionModel");
    EXPECT_EQ_INT(info.n_tensors, 127);
    EXPECT_EQ_INT(info.n_elements, 3151904);
    EXPECT_EQ_INT(info.n_constants, 3);
    EXPECT_EQ_INT(info.n_entries, 572);
    EXPECT_EQ_INT(info.version, 4);
    EXPECT_EQ_INT(info.n_inputs, 1);
    EXPECT_EQ_INT(info.n_outputs, 1);
    EXPECT_EQ_INT(info.n_names, 80);
    EXPECT_EQ_INT(info.batch, 1);
    EXPECT(info.n_compressed > 0);
    torchscript_info_free(&info);
}


/* ---- reading back into the IR ---- */

/* Run g on a fixed pattern at in_dims (rank 4; NULL: its input's dims); every output's dims
 * and values into a heap array of arrays (n_outputs entries; free with free_outputs).  NULL
 * + message. */
static float **run_outputs(const Graph *g, const int64_t *in_dims, int64_t (*dims)[GRAPH_MAX_RANK], int *ranks,
                           int64_t *counts, char *err, size_t errlen)
{
    const Tensor *X = &g->tensors[g->inputs[0]];
    const int64_t *xd = in_dims ? in_dims : X->dims;
    int xr = in_dims ? 4 : X->rank;
    int64_t n = 1;
    for (int d = 0; d < xr && n > 0; d++) n = xd[d] > 0 ? n * xd[d] : -1;
    if (n <= 0) {
        err_set(err, errlen, "input '%s' has no static size", X->name);
        return NULL;
    }
    float *x = xmalloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) x[i] = 0.5f + 0.5f * sinf(0.001f * (float)i) * cosf(0.37f * (float)(i % 977));
    Exec *e = exec_new(g, err, errlen);
    float **out = NULL;
    if (e && !exec_set_input(e, X->name, x, xd, xr, err, errlen) && !exec_run(e, NULL, err, errlen)) {
        out = xcalloc((size_t)g->n_outputs + 1, sizeof *out);
        for (int k = 0; k < g->n_outputs; k++) {
            const float *y = exec_output(e, k, dims[k], &ranks[k]);
            counts[k] = 1;
            for (int d = 0; y && d < ranks[k]; d++) counts[k] *= dims[k][d];
            out[k] = xmalloc(sizeof(float) * (size_t)(y && counts[k] ? counts[k] : 1));
            if (y) memcpy(out[k], y, sizeof(float) * (size_t)counts[k]);
            else counts[k] = -1;
        }
    }
    exec_free(e);
    free(x);
    return out;
}

static void free_outputs(float **o, int n)
{
    for (int k = 0; o && k < n; k++) free(o[k]);
    free(o);
}

/* Run a and b on the same input (at in_dims; NULL: a's input's dims): every output the same
 * shape; the max |delta| over them. */
static double compare_runs_at(const char *what, const Graph *a, const Graph *b, const int64_t *in_dims)
{
    char err[1000];
    EXPECT_EQ_INT(a->n_outputs, b->n_outputs);
    if (a->n_outputs != b->n_outputs || a->n_outputs > 32) return INFINITY;
    int64_t da[32][GRAPH_MAX_RANK], db[32][GRAPH_MAX_RANK], ca[32], cb[32];
    int ra[32], rb[32];
    float **ya = run_outputs(a, in_dims, da, ra, ca, err, sizeof err);
    EXPECT_MSG(ya != NULL, "%s: the source does not run: %s", what, err);
    float **yb = ya ? run_outputs(b, in_dims, db, rb, cb, err, sizeof err) : NULL;
    EXPECT_MSG(!ya || yb != NULL, "%s: the read-back graph does not run: %s", what, err);
    double worst = ya && yb ? 0 : INFINITY;
    for (int k = 0; ya && yb && k < a->n_outputs; k++) {
        EXPECT_MSG(ra[k] == rb[k] && ca[k] == cb[k] && ca[k] >= 0, "%s: output %d: rank %d / %d, %lld / %lld values",
                   what, k, ra[k], rb[k], (long long)ca[k], (long long)cb[k]);
        if (ra[k] != rb[k] || ca[k] != cb[k] || ca[k] < 0) {
            worst = INFINITY;
            continue;
        }
        for (int d = 0; d < ra[k]; d++) EXPECT_EQ_INT(da[k][d], db[k][d]);
        for (int64_t i = 0; i < ca[k]; i++) {
            double dd = fabs((double)ya[k][i] - (double)yb[k][i]);
            if (dd > worst || dd != dd) worst = dd != dd ? INFINITY : dd;
        }
    }
    free_outputs(ya, a->n_outputs);
    free_outputs(yb, b->n_outputs);
    return worst;
}

static double compare_runs(const char *what, const Graph *a, const Graph *b)
{
    return compare_runs_at(what, a, b, NULL);
}

/* The op graph written, read back and run: each of its 14 outputs as the source computes it. */
static void test_read_ops_graph(void)
{
    Graph *g = ops_graph();
    char err[1000];
    const char *path = tmp("ops_read.torchscript");
    KeyValue kv[] = {{"task", "\"detect\""}, {"batch", "1"}, {"imgsz", "[8, 8]"}, {"channels", "4"}};
    TorchScriptOptions opt = {.metadata = kv, .n_metadata = 4};
    EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s", err);
    Graph *r = reader_torchscript_read(path, NULL, err, sizeof err);
    EXPECT_MSG(r != NULL, "%s", err);
    if (r) {
        EXPECT_EQ_INT(r->n_inputs, 1);
        EXPECT_EQ_INT(r->n_outputs, 14);
        const Tensor *X = &r->tensors[r->inputs[0]];
        EXPECT_EQ_STR(X->name, "images");
        EXPECT_EQ_INT(X->rank, 4);
        EXPECT_EQ_INT(X->dims[1], 4);
        EXPECT_EQ_STR(r->meta.task, "detect");
        EXPECT_EQ_STR(r->tensors[r->outputs[0]].name, "output0");
        double worst = compare_runs("ops graph", g, r);
        EXPECT_MSG(worst == 0, "max |delta| %g", worst);
        printf("# op graph read back: %d nodes (source %d), 14 outputs, max |delta| %g\n", r->n_nodes, g->n_nodes, worst);
    }
    graph_free(r);
    graph_free(g);
}

/* yolov8n written (fp32 and fp16), read back, run: what the source computes, exactly. */
static void test_read_yolov8n(void)
{
    char err[1000];
    LoadOptions lo = {.fuse = true, .imgsz = {320, 320}};
    Graph *g = model_load("yolov8n.yaml", &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    Meta meta;
    peer_metadata(&meta, g, false, false);
    TorchScriptOptions opt = {.metadata = meta.kv, .n_metadata = meta.n};
    const char *path = tmp("yolov8n_read.torchscript");
    EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s", err);
    Graph *r = reader_torchscript_read(path, NULL, err, sizeof err);
    EXPECT_MSG(r != NULL, "%s", err);
    if (r) {
        EXPECT_EQ_INT(r->n_nodes, g->n_nodes);
        EXPECT_EQ_INT(r->meta.nc, 80);
        EXPECT_EQ_INT(r->meta.imgsz[0], 320);
        EXPECT_EQ_INT(r->tensors[r->inputs[0]].dims[3], 320);
        EXPECT_EQ_INT(graph_param_count(r), graph_param_count(g));
        double worst = compare_runs("yolov8n", g, r);
        EXPECT_MSG(worst == 0, "max |delta| %g", worst);
        graph_free(r);
    }
    arena_free(meta.a);
    /* half: float16 storages read back compute as the source converted to float16 does */
    peer_metadata(&meta, g, true, false);
    TorchScriptOptions half = {.half = true, .metadata = meta.kv, .n_metadata = meta.n};
    path = tmp("yolov8n_read_half.torchscript");
    EXPECT_MSG(torchscript_write(g, &half, path, err, sizeof err) == 0, "%s", err);
    r = reader_torchscript_read(path, NULL, err, sizeof err);
    EXPECT_MSG(r != NULL, "%s", err);
    if (r) {
        EXPECT_EQ_INT(r->tensors[r->inputs[0]].dtype, DT_F16);
        EXPECT_MSG(pass_half(g, NULL, err, sizeof err) == 0, "%s", err);
        double worst = compare_runs("yolov8n half", g, r);
        EXPECT_MSG(worst == 0, "max |delta| %g", worst);
        graph_free(r);
    }
    arena_free(meta.a);
    graph_free(g);
}

/* Segment, pose, OBB and classify heads (built from configs) read back exactly too. */
static void test_read_tasks(void)
{
    static const char *const yamls[] = {"yolov8n-seg.yaml", "yolov8n-pose.yaml", "yolov8n-obb.yaml", "yolov8n-cls.yaml"};
    for (size_t i = 0; i < ARRAY_LEN(yamls); i++) {
        char err[1000];
        LoadOptions lo = {.fuse = true, .imgsz = {160, 160}};
        Graph *g = model_load(yamls[i], &lo, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s: %s", yamls[i], err);
        if (!g) continue;
        Meta meta;
        peer_metadata(&meta, g, false, false);
        TorchScriptOptions opt = {.metadata = meta.kv, .n_metadata = meta.n};
        const char *path = tmp("task.torchscript");
        EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s: %s", yamls[i], err);
        Graph *r = reader_torchscript_read(path, NULL, err, sizeof err);
        EXPECT_MSG(r != NULL, "%s: %s", yamls[i], err);
        if (r) {
            EXPECT_EQ_STR(r->meta.task, g->meta.task);
            double worst = compare_runs(yamls[i], g, r);
            EXPECT_MSG(worst == 0, "%s: max |delta| %g", yamls[i], worst);
            printf("# %s read back: %d nodes, %d outputs, max |delta| %g\n", yamls[i], r->n_nodes, r->n_outputs, worst);
        }
        graph_free(r);
        arena_free(meta.a);
        graph_free(g);
    }
}

/* g written with dynamic=True (and half), read back: a symbolic batch/height/width input,
 * and at each of the sizes the source's outputs exactly.  g is converted by pass_half for
 * half. */
static void expect_dynamic_read(const char *what, Graph *g, bool half, const int64_t (*sizes)[4], int n_sizes)
{
    char err[1000];
    Meta meta;
    peer_metadata(&meta, g, half, true);
    TorchScriptOptions opt = {.half = half, .metadata = meta.kv, .n_metadata = meta.n};
    const char *path = tmp("dynamic_read.torchscript");
    EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s: %s", what, err);
    Graph *r = reader_torchscript_read(path, NULL, err, sizeof err);
    EXPECT_MSG(r != NULL, "%s: %s", what, err);
    if (r) {
        const Tensor *X = &r->tensors[r->inputs[0]];
        EXPECT_MSG(X->rank == 4 && X->dims[0] < 0 && X->dims[1] == 3 && X->dims[2] < 0 && X->dims[3] < 0,
                   "%s: input dims %lld %lld %lld %lld", what, (long long)X->dims[0], (long long)X->dims[1],
                   (long long)X->dims[2], (long long)X->dims[3]);
        EXPECT_MSG(X->dim_names[2] && !strcmp(X->dim_names[2], "height"), "%s: no symbolic height", what);
        EXPECT_EQ_STR(r->meta.task, g->meta.task);
        if (half) {
            EXPECT_EQ_INT(X->dtype, DT_F16);
            EXPECT_MSG(pass_half(g, NULL, err, sizeof err) == 0, "%s", err);
        }
        for (int i = 0; i < n_sizes; i++) {
            double worst = compare_runs_at(what, g, r, sizes[i]);
            EXPECT_MSG(worst == 0, "%s at %lldx%lld: max |delta| %g", what, (long long)sizes[i][2],
                       (long long)sizes[i][3], worst);
            printf("# %s%s dynamic read back at %lldx%lld: %d nodes (source %d), max |delta| %g\n", what,
                   half ? " half" : "", (long long)sizes[i][2], (long long)sizes[i][3], r->n_nodes, g->n_nodes, worst);
        }
    }
    graph_free(r);
    arena_free(meta.a);
}

/* dynamic=True exports (sizes read with torch.size, computed with as ints, floats and lists
 * of ints) read back and run at a square and a rectangular size, as the source runs there. */
static void test_read_dynamic(void)
{
    static const int64_t big[2][4] = {{1, 3, 640, 640}, {1, 3, 480, 640}};
    static const int64_t small[2][4] = {{1, 3, 160, 160}, {1, 3, 96, 128}};
    char err[1000];
    LoadOptions lo = {.fuse = true, .dynamic = true, .imgsz = {640, 640}};
    Graph *g = model_load("yolov8n.yaml", &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        expect_dynamic_read("yolov8n", g, false, big, 2);
        expect_dynamic_read("yolov8n", g, true, small, 2); /* converts g to float16 */
        graph_free(g);
    }
    /* the other heads, and yolo11's attention (a reshape to a size list read at run time) */
    static const char *const yamls[] = {"yolov8n-seg.yaml", "yolov8n-pose.yaml", "yolov8n-obb.yaml",
                                        "yolov8n-cls.yaml", "yolo11n.yaml"};
    for (size_t i = 0; i < ARRAY_LEN(yamls); i++) {
        LoadOptions tl = {.fuse = true, .dynamic = true, .imgsz = {160, 160}};
        g = model_load(yamls[i], &tl, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s: %s", yamls[i], err);
        if (!g) continue;
        expect_dynamic_read(yamls[i], g, false, small, 2);
        graph_free(g);
    }
}

/* The parser's input as torchscript_read makes a dynamic export's: [N, C, H, W], all unknown. */
static void symbolic_input(Graph *g)
{
    Tensor *x = &g->tensors[g->inputs[0]];
    x->rank = 4;
    for (int k = 0; k < 4; k++) x->dims[k] = -1;
}

/* Hostile or foreign code: each a message naming the line and the problem. */
static void test_read_hostile_code(void)
{
    float w[4 * 3 * 3 * 3] = {0}, b[4] = {0};
    TorchScriptWeight ws[] = {
        {.name = "w", .dtype = DT_F32, .rank = 4, .dims = {4, 3, 3, 3}, .data = w, .nbytes = sizeof w},
        {.name = "b", .dtype = DT_F32, .rank = 1, .dims = {4}, .data = b, .nbytes = sizeof b},
    };
    const char *head = "class M(Module):\n  def forward(self: __torch__.yoloport.M,\n    images: Tensor) -> Tensor:\n";
    char deep[2000], deeper[2000];
    snprintf(deep, sizeof deep, "    x0 = torch.reshape(images, %.*s1%.*s)\n    return x0\n", 40,
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 40, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    char *p = deeper;
    p += sprintf(p, "    x0 = torch.reshape(images, ");
    for (int i = 0; i < 300; i++) *p++ = '[';
    strcpy(p, "1");
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"    x0 = torch.conv2d(images, self.w, self.b, [1, 1]", "code line 4: expected ',' or ')'"},
        {"    x0 = torch.foo(images)\n    return x0\n", "code line 4: torch.foo is not an op this reader knows"},
        {"    x0 = torch.silu(images, images)\n    return x0\n", "code line 4: torch.silu takes 1 argument, not 2"},
        {"    x0 = torch.conv2d(images, self.w)\n    return x0\n", "torch.conv2d: argument 3 (bias) is missing"},
        {"    x0 = torch.conv2d(images, self.w, self.b, [1], [1, 1], [1, 1], 1)\n    return x0\n",
         "argument 4 has 1 values, expected 2"},
        {"    x0 = torch.silu(x9)\n    return x0\n", "code line 4: 'x9' is used before it is assigned"},
        {"    x0 = torch.silu(self.nope)\n    return x0\n", "self.nope is not a tensor of the module"},
        {"    x0 = torch.reshape(images, [99999999999999999999999])\n    return x0\n", "is out of range"},
        {"    x0 = torch.mul(images, 1e999)\n    return x0\n", "the number 1e999 is out of range"},
        {"    x0 = torch.silu(images)\n", "forward ends without a return"},
        /* dynamic-shape code: sizes, numbers and lists of ints */
        {"    x0 = torch.size(images)\n    x1 = x0[7]\n    return images\n", "code line 5: index 7 is out of range for a list of 4"},
        {"    x0 = torch.size(images)[1:]\n    x1 = x0[-4]\n    return images\n", "index -4 is out of range for a list of 3"},
        {"    x0 = torch.size(images, 9)\n    return images\n", "index 9 is out of range for a list of 4"},
        {"    x0 = float(images)\n    return images\n", "float() of a tensor (only an int or a float is converted)"},
        {"    x0 = torch.size(images)\n    x1 = float(x0)\n    return images\n", "float() of a list of ints"},
        {"    x0 = torch.size(images)\n    x1 = x0 + 1\n    return images\n",
         "'+' of a list of ints and an int (a list only concatenates with a list)"},
        {"    x0 = torch.size(images)\n    x1 = x0[0]\n    x2 = [x1] * 2\n    return images\n", "'*' of a list of ints"},
        {"    x0 = torch.size(images)\n    x1 = x0 + images\n    return images\n", "'+' of a list of ints and a tensor"},
        {"    x0 = torch.size(images)\n    x1 = torch.silu(x0)\n    return x1\n", "x0 is a list of ints (a size), not a tensor"},
        {"    x0 = images[0]\n    return x0\n", "a subscript of a tensor"},
        {"    x0 = torch.size(images)\n    x1 = x0[x0]\n    return images\n", "a subscript must be an integer literal"},
        {"    x0 = torch.arange(0., 1e15, 1.)\n    return x0\n", "torch.arange(0, 1e+15, 1) is not a range of at most"},
        {"    x0 = torch.arange(0, 10, 0)\n    return x0\n", "is not a range of at most"},
        {"    x0 = torch.size(images)\n    x1 = torch.arange(0, x0, 1)\n    return x1\n",
         "torch.arange: bounds must be numbers, not a list of ints"},
        {"    x0 = torch.size(images)\n    x1 = torch.reshape(images, x0[0])\n    return x1\n",
         "torch.reshape: argument 2 must be a list of integers"},
        {"    x0 = torch.size(images)\n    x1 = torch.reshape(images, [x0, 1])\n    return x1\n",
         "a list item must be an int, not a list of ints"},
        {"    x0 = torch.size(images, 0)\n    x1 = 2 + 3\n    return images\n", "'+' of two literals is not read"},
        {"    x0 = torch.size(images, 0)\n    x1 = float(x0)\n    x2 = x1 // 2\n    return images\n",
         "'//' of floats is not read"},
        {"    x0, x1, = torch.silu(images)\n    return x0\n", "torch.silu gives one tensor, assigned to 2 names"},
        {"    if images:\n      return images\n", "expected '=' after if, found 'images' (only straight-line forward code"},
        {"    x0 = getattr(self, \"model\")\n    return x0\n", "getattr(...) is not a call this reader knows"},
        {"    x0 = torch.silu(images)\n    return x0\n    x1 = torch.silu(x0)\n", "code after forward's return"},
        {"    x0 = torch.silu(images)\x01\n", "unexpected byte 0x01"},
        {"    x0 = torch.add(images, \"text\")\n    return x0\n", "expected a tensor here"},
        {"    x0 = torch.silu(images)\n    return (x0, x0\n", "code line 6: expected ')'"},
    };
    char chain[2000]; /* more binary operators than one expression may hold */
    p = chain + sprintf(chain, "    x0 = torch.size(images, 0)\n    x1 = x0");
    for (int i = 0; i < 70; i++) p += sprintf(p, " + x0");
    strcpy(p, "\n    return images\n");
    char err[1000], code[4096];
    for (size_t i = 0; i < ARRAY_LEN(cases) + 3; i++) {
        size_t nc = ARRAY_LEN(cases);
        const char *body = i < nc ? cases[i].body : i == nc ? deep : i == nc + 1 ? deeper : chain;
        const char *want = i < nc ? cases[i].want : i < nc + 2 ? "nest" : "more than 64 operators in one expression";
        snprintf(code, sizeof code, "%s%s", head, body);
        err[0] = 0;
        Graph *g = torchscript_graph_from_code("t.torchscript", code, strlen(code), ws, 2, err, sizeof err);
        EXPECT_MSG(g == NULL, "case %zu parsed", i);
        EXPECT_MSG(strstr(err, want) && !strncmp(err, "t.torchscript: ", 15), "case %zu: '%s' lacks '%s'", i, err, want);
        graph_free(g);
    }
    /* a straight-line body that parses, and weights whose shape does not fit the input */
    snprintf(code, sizeof code, "%s    x0 = torch.conv2d(images, self.w, self.b, [1, 1], [1, 1], [1, 1], 1)\n    return x0\n",
             head);
    Graph *g = torchscript_graph_from_code("t.torchscript", code, strlen(code), ws, 2, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        Tensor *x = &g->tensors[g->inputs[0]];
        x->rank = 4;
        memcpy(x->dims, D(1, 5, 8, 8), 4 * sizeof(int64_t));
        err[0] = 0;
        EXPECT(pass_infer_shapes_at_input(g, err, sizeof err) != 0);
        EXPECT_MSG(err[0] != 0, "no message");
        printf("# weights that do not fit: %s\n", err);
        graph_free(g);
    }
    /* a range whose bound is computed at run time: parsed, then refused by the executor's
     * bounds when it runs (nothing of that size allocated) */
    snprintf(code, sizeof code,
             "%s    x0 = torch.size(images)\n    x1 = x0[2]\n    x2 = float(x1)\n    x3 = x2 * 1e12\n"
             "    x4 = torch.arange(0., x3, 1.)\n    return x4\n",
             head);
    g = torchscript_graph_from_code("t.torchscript", code, strlen(code), ws, 2, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        int64_t dims[1][GRAPH_MAX_RANK], counts[1];
        int ranks[1];
        symbolic_input(g);
        err[0] = 0;
        float **y = run_outputs(g, D(1, 3, 8, 8), dims, ranks, counts, err, sizeof err);
        EXPECT(y == NULL);
        EXPECT_CONTAINS(err, "range too long");
        free_outputs(y, g->n_outputs);
        graph_free(g);
    }
    /* shape arithmetic that runs: h * w // 2 and a shape list built from sizes and literals */
    snprintf(code, sizeof code,
             "%s    x0 = torch.size(images)\n    x1 = x0[2:]\n    x2 = x1[0] * x1[1] // 2\n"
             "    x3 = [x0[0]] + [2, x2, -1]\n    x4 = torch.reshape(images, x3)\n    x5 = int(float(x2) / 4.)\n"
             "    x6 = torch.arange(0, x5, 1)\n    return (x4, x6)\n",
             head);
    g = torchscript_graph_from_code("t.torchscript", code, strlen(code), ws, 2, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        int64_t dims[2][GRAPH_MAX_RANK], counts[2];
        int ranks[2];
        symbolic_input(g);
        float **y = run_outputs(g, D(1, 3, 8, 6), dims, ranks, counts, err, sizeof err);
        EXPECT_MSG(y != NULL, "%s", err);
        if (y) {
            EXPECT_EQ_INT(ranks[0], 4);
            EXPECT_EQ_INT(dims[0][1], 2);
            EXPECT_EQ_INT(dims[0][2], 24);
            EXPECT_EQ_INT(dims[0][3], 3);
            EXPECT_EQ_INT(counts[1], 6); /* int(24 / 4.) */
            EXPECT(y[1][5] == 5);
        }
        free_outputs(y, g->n_outputs);
        graph_free(g);
    }
}

/* Archives that are not straight-line code of ours, or lack what reading needs: refused by name. */
static void test_read_refused_archives(void)
{
    char err[1000];
    /* no imgsz in extra/config.txt: the input's size is unknown */
    Graph *g = tiny_graph();
    const char *path = tmp("nometa.torchscript");
    EXPECT_MSG(torchscript_write(g, NULL, path, err, sizeof err) == 0, "%s", err);
    Graph *r = reader_torchscript_read(path, NULL, err, sizeof err);
    EXPECT(r == NULL);
    EXPECT_CONTAINS(err, "gives no usable imgsz");
    graph_free(r);
    graph_free(g);
    const char *peer = shared_path("reference/peer/yolov8n.torchscript");
    if (!peer) {
        printf("# ../shared not present: the peer's archive is not tried\n");
        return;
    }
    r = reader_torchscript_read(peer, NULL, err, sizeof err);
    EXPECT(r == NULL);
    EXPECT_CONTAINS(err, "__torch__.ultralytics.nn.tasks.DetectionModel");
    EXPECT_CONTAINS(err, "only the straight-line forward code");
    graph_free(r);
}

/* ---- write mode (for tests/e2e/torchscript.sh) ---- */

/* Run g in our executor on the input at in_path (float32 .npy; created from a fixed
 * pattern when missing) and save output k as <prefix><k>.npy. */
static int exec_outputs(const Graph *g, const char *in_path, const char *prefix, char *err, size_t errlen)
{
    NpyArray in = {0};
    const Tensor *X = &g->tensors[g->inputs[0]];
    if (access(in_path, R_OK) != 0) {
        int64_t n = tensor_numel(X);
        float *v = xmalloc(sizeof(float) * (size_t)n);
        for (int64_t i = 0; i < n; i++) v[i] = 0.5f + 0.5f * sinf(0.001f * (float)i) * cosf(0.37f * (float)(i % 977));
        int rc = npy_write(in_path, DT_F32, X->dims, X->rank, v, err, errlen);
        free(v);
        if (rc) return -1;
    }
    if (npy_read(in_path, 0, &in, err, errlen)) return -1;
    float *data = npy_to_f32(&in, err, errlen);
    Exec *e = data ? exec_new(g, err, errlen) : NULL;
    int rc = e && !exec_set_input(e, X->name, data, in.dims, in.rank, err, errlen) && !exec_run(e, NULL, err, errlen)
                 ? 0
                 : -1;
    for (int k = 0; !rc && k < g->n_outputs; k++) {
        int64_t dims[GRAPH_MAX_RANK];
        int rank;
        const float *y = exec_output(e, k, dims, &rank);
        char path[1200];
        snprintf(path, sizeof path, "%s%d.npy", prefix, k);
        rc = y ? npy_write(path, DT_F32, dims, rank, y, err, errlen) : err_set(err, errlen, "no output %d", k);
    }
    exec_free(e);
    free(data);
    npy_free(&in);
    return rc;
}

/* write MODEL OUT [half=1] [dynamic=1] [imgsz=N] [exec=INPUT.npy:PREFIX] */
static int write_mode(int argc, char **argv)
{
    bool half = false, dynamic = false;
    int imgsz = 0;
    const char *exec_in = NULL, *exec_prefix = NULL;
    char exec_arg[1200];
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "half=1")) half = true;
        else if (!strcmp(argv[i], "dynamic=1")) dynamic = true;
        else if (!strncmp(argv[i], "imgsz=", 6)) imgsz = atoi(argv[i] + 6);
        else if (!strncmp(argv[i], "exec=", 5) && strchr(argv[i], ':')) {
            snprintf(exec_arg, sizeof exec_arg, "%s", argv[i] + 5);
            char *colon = strchr(exec_arg, ':');
            *colon = 0;
            exec_in = exec_arg;
            exec_prefix = colon + 1;
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    char err[1000];
    double t0 = now_seconds();
    LoadOptions lo = {.fuse = true, .dynamic = dynamic, .imgsz = {imgsz, imgsz}};
    Graph *g = model_load(argv[2], &lo, err, sizeof err);
    if (!g) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double t1 = now_seconds();
    Meta meta;
    peer_metadata(&meta, g, half, dynamic);
    TorchScriptOptions opt = {.half = half, .metadata = meta.kv, .n_metadata = meta.n};
    int rc = torchscript_write(g, &opt, argv[3], err, sizeof err);
    double t2 = now_seconds();
    TorchScriptInfo info;
    if (!rc) rc = torchscript_check(argv[3], g, &opt, &info, err, sizeof err);
    double t3 = now_seconds();
    if (!rc) {
        printf("%s: %lld bytes, %d tensors (%s), %d entries; load+fuse %.3f s, write %.3f s, check %.3f s\n", argv[3],
               (long long)path_size(argv[3]), info.n_tensors, dtype_name(info.dtype), info.n_entries, t1 - t0, t2 - t1,
               t3 - t2);
        torchscript_info_free(&info);
    }
    if (!rc && exec_in) rc = exec_outputs(g, exec_in, exec_prefix, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    arena_free(meta.a);
    graph_free(g);
    return rc ? 1 : 0;
}

/* Write the tiny graph to argv[2] (the disk-full test runs this under fault injection). */
static int write_tiny_mode(const char *path)
{
    Graph *g = tiny_graph();
    char err[600];
    int rc = torchscript_write(g, NULL, path, err, sizeof err);
    if (rc) printf("%s\n", err);
    graph_free(g);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (!pt_loader) return 2;
    if (argc == 3 && !strcmp(argv[1], "write-tiny")) return write_tiny_mode(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "write")) return write_mode(argc, argv);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-ts-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_metadata_json);
    RUN(test_metadata_matches_peer);
    RUN(test_small_graph_archive);
    RUN(test_ops_graph_code);
    RUN(test_ops_graph_in_torch);
    RUN(test_yolov8n_yaml);
    RUN(test_every_task);
    RUN(test_dynamic);
    RUN(test_unsupported);
    RUN(test_shapes_only_graph);
    RUN(test_unwritable);
    RUN(test_disk_full);
    RUN(test_inspect_damaged);
    RUN(test_inspect_peer);
    RUN(test_read_ops_graph);
    RUN(test_read_yolov8n);
    RUN(test_read_tasks);
    RUN(test_read_dynamic);
    RUN(test_read_hostile_code);
    RUN(test_read_refused_archives);
    fileio_remove_tree(tmpdir);
    return check_done();
}
