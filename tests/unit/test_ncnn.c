/* test_ncnn: the ncnn writer and reader — the files checked structurally by a walker of
 * their own (independent of the reader: magic, counts against the lines, blobs produced once
 * before use and read once, the weights in the .bin at the sizes the parameters imply, tags),
 * round trips of every family through the executor against the source (1e-4 of the output
 * range in float32, 1e-2 with half), the shared checkpoints, refusals by op name, one test
 * per kind of bad input, and the export stage with its folder, metadata and report. */
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
#include "engine/registry/model.h"
#include "formats/ncnn.h"

static const char *shared; /* ../shared, when present */
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

/* ---- the structural walker --------------------------------------------------------------- */

typedef struct {
    int layers, blobs, split_layers, memorydata, conv_fused;
    int tags_fp32, tags_fp16;
    char types[4096]; /* " Convolution Swish ..." every type once */
} Walk;

static long param_int(char **tok, int n, int id, long dflt)
{
    char key[16];
    snprintf(key, sizeof key, "%d=", id);
    for (int i = 0; i < n; i++)
        if (!strncmp(tok[i], key, strlen(key))) return strtol(tok[i] + strlen(key), NULL, 10);
    return dflt;
}

/* One tagged array of count values at *pos: its tag must be float32 (or float16 with half). */
static int walk_tagged(const uint8_t *bin, size_t len, size_t *pos, long count, bool half, Walk *w, char *why, size_t wl)
{
    if (count <= 0 || *pos + 4 > len) return err_set(why, wl, "a tagged array of %ld at %zu past the end", count, *pos);
    uint32_t tag = (uint32_t)bin[*pos] | (uint32_t)bin[*pos + 1] << 8 | (uint32_t)bin[*pos + 2] << 16 |
                   (uint32_t)bin[*pos + 3] << 24;
    *pos += 4;
    size_t bytes;
    if (tag == 0) bytes = (size_t)count * 4, w->tags_fp32++;
    else if (tag == NCNN_TAG_FP16) bytes = ((size_t)count * 2 + 3) & ~(size_t)3, w->tags_fp16++;
    else return err_set(why, wl, "tag 0x%08x at %zu is neither float32 nor float16", tag, *pos - 4);
    if (half != (tag == NCNN_TAG_FP16)) return err_set(why, wl, "tag 0x%08x at %zu with half=%d", tag, *pos - 4, half);
    if (*pos + bytes > len) return err_set(why, wl, "array of %ld at %zu past the end (%zu)", count, *pos, len);
    *pos += bytes;
    return 0;
}

static int walk_raw(size_t len, size_t *pos, long count, char *why, size_t wl)
{
    if (count <= 0 || *pos + (size_t)count * 4 > len) return err_set(why, wl, "raw array of %ld at %zu past the end", count, *pos);
    *pos += (size_t)count * 4;
    return 0;
}

/* Walk a .param/.bin pair as ncnn loads it, without the reader.  0 or -1 + why. */
static int walk(const char *param, const uint8_t *bin, size_t bin_len, bool half, int n_outputs, Walk *w, char *why, size_t wl)
{
    memset(w, 0, sizeof *w);
    char *text = xstrdup(param), *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    int rc = 0;
    if (!line || strcmp(line, "7767517")) rc = err_set(why, wl, "first line is not the magic");
    int want_layers = 0, want_blobs = 0;
    line = rc ? NULL : strtok_r(NULL, "\n", &save);
    if (!rc && (!line || sscanf(line, "%d %d", &want_layers, &want_blobs) != 2)) rc = err_set(why, wl, "no counts line");
    StrMap produced = {0}, consumed = {0};
    Arena *a = arena_new();
    produced.arena = consumed.arena = a;
    size_t pos = 0;
    char *tok[8192];
    while (!rc && (line = strtok_r(NULL, "\n", &save))) {
        int n = 0;
        for (char *s2 = NULL, *t = strtok_r(line, " ", &s2); t && n < 8192; t = strtok_r(NULL, " ", &s2)) tok[n++] = t;
        if (n < 4) {
            rc = err_set(why, wl, "short layer line");
            break;
        }
        w->layers++;
        const char *type = tok[0];
        char key[80];
        snprintf(key, sizeof key, " %s ", type);
        if (!w->types[0]) strcpy(w->types, " ");
        if (!strstr(w->types, key) && strlen(w->types) + strlen(key) < sizeof w->types) strcat(w->types, key + 1);
        int nin = atoi(tok[2]), nout = atoi(tok[3]);
        if (n < 4 + nin + nout) {
            rc = err_set(why, wl, "layer %s names fewer blobs than its counts", tok[1]);
            break;
        }
        for (int k = 0; k < nin && !rc; k++) {
            if (strmap_get(&produced, tok[4 + k]) < 0) rc = err_set(why, wl, "layer %s reads %s before it exists", tok[1], tok[4 + k]);
            bool created;
            int *c = strmap_slot(&consumed, tok[4 + k], &created);
            if (++*c > 1) rc = err_set(why, wl, "blob %s is read twice (no Split)", tok[4 + k]);
        }
        for (int k = 0; k < nout && !rc; k++) {
            if (strmap_get(&produced, tok[4 + nin + k]) >= 0) rc = err_set(why, wl, "blob %s produced twice", tok[4 + nin + k]);
            strmap_put(&produced, tok[4 + nin + k], 1);
            w->blobs++;
        }
        char **p = tok + 4 + nin + nout;
        int np = n - 4 - nin - nout;
        if (rc) break;
        if (!strcmp(type, "Input") && (nin != 0 || strcmp(tok[4], "in0"))) rc = err_set(why, wl, "the input blob is not in0");
        if (!strcmp(type, "Split")) w->split_layers++;
        if (!strcmp(type, "Convolution") || !strcmp(type, "ConvolutionDepthWise") || !strcmp(type, "Deconvolution") ||
            !strcmp(type, "DeconvolutionDepthWise")) {
            long O = param_int(p, np, 0, 0), kw = param_int(p, np, 1, 0), kh = param_int(p, np, 11, kw),
                 size = param_int(p, np, 6, 0), bias = param_int(p, np, 5, 0);
            if (O <= 0 || kw <= 0 || size % (O * kw * kh)) rc = err_set(why, wl, "%s: weight_data_size %ld does not fit %ld x %ldx%ld", tok[1], size, O, kw, kh);
            if (!rc) rc = walk_tagged(bin, bin_len, &pos, size, half, w, why, wl);
            if (!rc && bias) rc = walk_raw(bin_len, &pos, O, why, wl);
            w->conv_fused += param_int(p, np, 9, 0) != 0;
        } else if (!strcmp(type, "InnerProduct")) {
            long N = param_int(p, np, 0, 0), size = param_int(p, np, 2, 0);
            if (N <= 0 || size % N) rc = err_set(why, wl, "InnerProduct sizes");
            if (!rc) rc = walk_tagged(bin, bin_len, &pos, size, half, w, why, wl);
            if (!rc && param_int(p, np, 1, 0)) rc = walk_raw(bin_len, &pos, N, why, wl);
        } else if (!strcmp(type, "BatchNorm")) {
            rc = walk_raw(bin_len, &pos, 4 * param_int(p, np, 0, 0), why, wl);
        } else if (!strcmp(type, "MemoryData")) {
            long x = param_int(p, np, 0, 0), y = param_int(p, np, 1, 0), d = param_int(p, np, 11, 0), c = param_int(p, np, 2, 0);
            rc = walk_raw(bin_len, &pos, x * (y ? y : 1) * (d ? d : 1) * (c ? c : 1), why, wl);
            w->memorydata++;
        }
    }
    if (!rc && w->layers != want_layers) rc = err_set(why, wl, "%d layer lines, header %d", w->layers, want_layers);
    if (!rc && w->blobs != want_blobs) rc = err_set(why, wl, "%d blobs, header %d", w->blobs, want_blobs);
    if (!rc && pos != bin_len) rc = err_set(why, wl, "the .bin has %zu bytes, the layers take %zu", bin_len, pos);
    /* every blob nobody reads is an output out<i>, and they are out0..out<n-1> */
    int outs = 0;
    for (size_t i = 0; !rc && i < produced.cap; i++) {
        const char *k = produced.keys[i];
        if (!k || strmap_get(&consumed, k) >= 0) continue;
        if (strncmp(k, "out", 3)) rc = err_set(why, wl, "blob %s is read by nothing and is not an output", k);
        else if (atoi(k + 3) >= n_outputs) rc = err_set(why, wl, "unexpected output %s", k);
        outs++;
    }
    if (!rc && outs != n_outputs) rc = err_set(why, wl, "%d outputs, expected %d", outs, n_outputs);
    strmap_free(&produced);
    strmap_free(&consumed);
    arena_free(a);
    free(text);
    return rc;
}

/* ---- running ------------------------------------------------------------------------------ */

static float *test_input(int64_t n)
{
    float *x = xmalloc((size_t)n * sizeof(float));
    uint32_t s = 12345;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)(s >> 8) / 16777216.f;
    }
    return x;
}

static float *run_graph(const Graph *g, const char *input, const float *x, const int64_t *dims, int k, int64_t *n)
{
    char err[512];
    Exec *e = exec_new(g, err, sizeof err);
    float *copy = NULL;
    if (e && !exec_set_input(e, input, x, dims, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err)) {
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

/* g written (half or not), walked, read back, and both run: every output within tol of its
 * range.  Returns the worst max|d| / range. */
static double roundtrip(const char *label, Graph *g, bool half, double tol)
{
    char *param = NULL, err[512], why[512];
    uint8_t *bin = NULL;
    size_t pl = 0, bl = 0;
    NcnnOptions opt = {.half = half};
    EXPECT_MSG(ncnn_serialize(g, &opt, &param, &pl, &bin, &bl, err, sizeof err) == 0, "%s: %s", label, err);
    if (!param) return -1;
    Walk w;
    EXPECT_MSG(walk(param, bin, bl, half, g->n_outputs, &w, why, sizeof why) == 0, "%s: structure: %s", label, why);
    EXPECT(w.split_layers > 0 || g->n_nodes < 20);
    Graph *b = ncnn_read_memory(param, pl, bin, bl, NULL, 0, "m.param", err, sizeof err);
    EXPECT_MSG(b != NULL, "%s: read back: %s", label, err);
    double worst = -1;
    if (b) {
        EXPECT_EQ_INT(b->n_outputs, g->n_outputs);
        EXPECT_EQ_STR(b->tensors[b->inputs[0]].name, "in0");
        EXPECT_EQ_INT(graph_param_count(b), graph_param_count(g));
        const Tensor *in = &g->tensors[g->inputs[0]];
        int64_t n = 1;
        for (int i = 0; i < in->rank; i++) n *= in->dims[i];
        float *x = test_input(n);
        for (int k = 0; k < g->n_outputs && k < b->n_outputs; k++) {
            char want[16];
            snprintf(want, sizeof want, "out%d", k);
            EXPECT_EQ_STR(b->tensors[b->outputs[k]].name, want);
            int64_t n1 = 0, n2 = 0;
            float *y1 = run_graph(g, in->name, x, in->dims, k, &n1), *y2 = run_graph(b, "in0", x, in->dims, k, &n2);
            EXPECT(y1 && y2 && n1 == n2 && n1 > 0);
            if (y1 && y2 && n1 == n2) {
                double d = 0, lo = INFINITY, hi = -INFINITY;
                for (int64_t i = 0; i < n1; i++) {
                    d = fmax(d, fabs((double)y1[i] - (double)y2[i]));
                    lo = fmin(lo, y1[i]), hi = fmax(hi, y1[i]);
                }
                double rel = hi > lo ? d / (hi - lo) : d;
                printf("# %s%s output%d: %lld values, max |d| %.3g, %.3g of the range\n", label, half ? " half" : "", k,
                       (long long)n1, d, rel);
                EXPECT_MSG(rel <= tol, "%s output%d: %.3g of the range (tolerance %g)", label, k, rel, tol);
                worst = fmax(worst, rel);
            }
            free(y1);
            free(y2);
        }
        free(x);
    }
    graph_free(b);
    free(param);
    free(bin);
    return worst;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_yolov8n_structure(void)
{
    Graph *g = load_model("yolov8n.yaml", 64);
    EXPECT(g != NULL);
    if (!g) return;
    char *param = NULL, err[512], why[512];
    uint8_t *bin = NULL;
    size_t pl, bl;
    EXPECT_EQ_INT(ncnn_serialize(g, NULL, &param, &pl, &bin, &bl, err, sizeof err), 0);
    Walk w;
    EXPECT_MSG(walk(param, bin, bl, false, 1, &w, why, sizeof why) == 0, "%s", why);
    EXPECT_EQ_INT(strncmp(param, "7767517\n", 8), 0);
    EXPECT_CONTAINS(param, "\nInput                    in0                      0 1 in0 0=64 1=64 2=3\n");
    EXPECT_CONTAINS(param, " out0 0=0\n"); /* the last Concat makes out0 */
    EXPECT_CONTAINS(param, "Softmax                  /model.22/dfl/Softmax    1 1 ");
    EXPECT_CONTAINS(param, " 0=0 1=1\n"); /* softmax axis 0 with fixbug0 */
    EXPECT_CONTAINS(param, "Permute                  /model.22/dfl/Transpose  1 1 ");
    EXPECT_CONTAINS(param, "Interp                   /model.10/Resize         1 1 ");
    EXPECT_CONTAINS(param, " 0=1 1=2.00000000e+00 2=2.00000000e+00\n");
    EXPECT_CONTAINS(param, " 0=3 1=1 2=2.00000000e+00\n"); /* Div by 2 as a scalar BinaryOp */
    EXPECT_CONTAINS(param, "MemoryData               /model.22/anchors        0 1 ");
    EXPECT_CONTAINS(param, "Slice                    /model.2/Split           1 2 ");
    EXPECT_CONTAINS(param, " -23300=2,16,16 1=0\n");
    EXPECT_CONTAINS(w.types, " Input Convolution Swish Slice Split BinaryOp Concat Pooling Interp Reshape Permute Softmax MemoryData Sigmoid ");
    EXPECT_EQ_INT(w.tags_fp32, 64);
    EXPECT_EQ_INT(w.tags_fp16, 0);
    EXPECT_EQ_INT(w.memorydata, 2);
    /* the same graph writes the same bytes */
    char *param2 = NULL;
    uint8_t *bin2 = NULL;
    size_t pl2, bl2;
    EXPECT_EQ_INT(ncnn_serialize(g, NULL, &param2, &pl2, &bin2, &bl2, err, sizeof err), 0);
    EXPECT(pl2 == pl && bl2 == bl && !memcmp(param, param2, pl) && !memcmp(bin, bin2, bl));
    /* with half every tagged array is float16, biases and constants stay float32 */
    free(param2), free(bin2);
    NcnnOptions half = {.half = true};
    EXPECT_EQ_INT(ncnn_serialize(g, &half, &param2, &pl2, &bin2, &bl2, err, sizeof err), 0);
    EXPECT_MSG(walk(param2, bin2, bl2, true, 1, &w, why, sizeof why) == 0, "%s", why);
    EXPECT_EQ_INT(w.tags_fp16, 64);
    EXPECT(bl2 < bl * 52 / 100);
    free(param2), free(bin2), free(param), free(bin);
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
        roundtrip(models[m], g, false, 1e-4);
        roundtrip(models[m], g, true, 1e-2);
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
        roundtrip(models[m], g, false, 1e-4);
        if (m == 0) roundtrip(models[m], g, true, 1e-2);
        graph_free(g);
    }
}

/* A hand-built graph: Conv -> Relu is fused (activation_type 1); a constant [2, 4] added
 * to a [1, 3, 2, 4] tensor becomes a MemoryData of ncnn shape [1, 2, 4] (ncnn aligns lower
 * ranks on the outer axes, numpy on the inner ones). */
static void test_fusion_and_broadcast(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 2, 2, 4}, wd[4] = {3, 2, 1, 1}, yd[4] = {1, 3, 2, 4}, cd[2] = {2, 4}, bd[1] = {3};
    float wv[6] = {1, -1, 0.5f, 2, -3, 1}, bv[3] = {0.1f, -0.2f, 0.3f}, cv[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int x = graph_add_tensor(g, "images", DT_F32, 4, xd), w = graph_add_const(g, "w", DT_F32, 4, wd, wv),
        b = graph_add_const(g, "b", DT_F32, 1, bd, bv), c = graph_add_const(g, "c", DT_F32, 2, cd, cv);
    int y = graph_add_tensor(g, "conv", DT_F32, 4, yd), r = graph_add_tensor(g, "relu", DT_F32, 4, yd),
        o = graph_add_tensor(g, "output0", DT_F32, 4, yd);
    g->tensors[w].is_param = g->tensors[b].is_param = true;
    graph_add_input(g, x);
    int ins[3] = {x, w, b};
    int n = graph_add_node(g, OP_CONV, NULL, "/conv", -1, ins, 3, &y, 1);
    int64_t k[2] = {1, 1};
    node_set_ints(g, n, "kernel_shape", k, 2);
    graph_add_node(g, OP_RELU, NULL, "/relu", -1, &y, 1, &r, 1);
    int ab[2] = {r, c};
    graph_add_node(g, OP_ADD, NULL, "/add", -1, ab, 2, &o, 1);
    graph_add_output(g, o);
    g->tensors[o].is_output = true;
    char *param = NULL, err[512];
    uint8_t *bin = NULL;
    size_t pl, bl;
    EXPECT_MSG(ncnn_serialize(g, NULL, &param, &pl, &bin, &bl, err, sizeof err) == 0, "%s", err);
    if (param) {
        EXPECT_CONTAINS(param, "Convolution              /conv                    1 1 in0 0 0=3 1=1 11=1 ");
        EXPECT_CONTAINS(param, " 9=1\n");
        EXPECT(!strstr(param, "ReLU"));
        EXPECT_CONTAINS(param, "MemoryData               c                        0 1 1 0=4 1=2 2=1\n");
        EXPECT_CONTAINS(param, "BinaryOp                 /add                     2 1 0 1 out0 0=0\n");
    }
    free(param), free(bin);
    roundtrip("conv+relu+broadcast", g, false, 1e-6);
    graph_free(g);
}

static bool dir_empty(const char *dir)
{
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
    return system(cmd) == 0;
}

/* An op ncnn has no layer for is refused by its name and node before anything is written. */
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
    char dir[] = "/tmp/test_ncnn_refuse.XXXXXX", err[512];
    EXPECT(mkdtemp(dir) != NULL);
    EXPECT_EQ_INT(ncnn_write(g, NULL, dir, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "/model.9/topk");
    EXPECT_CONTAINS(err, "TopK");
    EXPECT(dir_empty(dir));
    EXPECT_EQ_INT(ncnn_write_op_support(OP_TOPK), OP_WRITE_NO);
    EXPECT_EQ_INT(ncnn_write_op_support(OP_CONV), OP_WRITE_YES);
    rmdir(dir);
    graph_free(g);
    /* a batch of 2 has no ncnn form */
    Graph *b = graph_new();
    int64_t bd[4] = {2, 3, 8, 8};
    int bx = graph_add_tensor(b, "images", DT_F32, 4, bd), by = graph_add_tensor(b, "out", DT_F32, 4, bd);
    graph_add_input(b, bx);
    graph_add_node(b, OP_SIGMOID, NULL, "/sig", -1, &bx, 1, &by, 1);
    graph_add_output(b, by);
    char *param = NULL;
    uint8_t *bin = NULL;
    size_t pl, bl;
    EXPECT_EQ_INT(ncnn_serialize(b, NULL, &param, &pl, &bin, &bl, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "batch 2");
    graph_free(b);
}

/* A small valid model to break: Input, a 1x1 Convolution with bias, Sigmoid. */
static const char good_param[] = "7767517\n"
                                 "3 3\n"
                                 "Input in0 0 1 in0 0=4 1=4 2=2\n"
                                 "Convolution conv 1 1 in0 c 0=3 1=1 5=1 6=6\n"
                                 "Sigmoid sig 1 1 c out0\n";

static uint8_t good_bin[4 + 6 * 4 + 3 * 4];

static Graph *read_text(const char *param, size_t bin_len, char *err, size_t errlen)
{
    return ncnn_read_memory(param, strlen(param), good_bin, bin_len, NULL, 0, "m.param", err, errlen);
}

static void expect_bad(const char *param, size_t bin_len, const char *want1, const char *want2)
{
    char err[512] = "";
    Graph *g = read_text(param, bin_len, err, sizeof err);
    EXPECT_MSG(g == NULL, "accepted: %s", param);
    EXPECT_CONTAINS(err, want1);
    if (want2) EXPECT_CONTAINS(err, want2);
    printf("# %s\n", err);
    graph_free(g);
}

static void test_bad_input(void)
{
    char err[512];
    memset(good_bin, 0, sizeof good_bin);
    for (int i = 0; i < 9; i++) {
        float f = 0.25f * (float)i;
        memcpy(good_bin + 4 + 4 * i, &f, 4);
    }
    Graph *g = read_text(good_param, sizeof good_bin, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_INT(g->n_nodes, 2);
        EXPECT_EQ_STR(g->tensors[g->outputs[0]].name, "out0");
        EXPECT(g->tensors[g->outputs[0]].rank == 4 && g->tensors[g->outputs[0]].dims[1] == 3);
    }
    graph_free(g);
    /* an unknown layer type */
    expect_bad("7767517\n3 3\nInput in0 0 1 in0 0=4 1=4 2=2\nConvolution conv 1 1 in0 c 0=3 1=1 5=1 6=6\nFooBar sig 1 1 c out0\n",
               sizeof good_bin, "line 5", "'FooBar', which is not an ncnn layer type");
    /* a type ncnn has that the reader does not map */
    expect_bad("7767517\n3 3\nInput in0 0 1 in0 0=4 1=4 2=2\nConvolution conv 1 1 in0 c 0=3 1=1 5=1 6=6\nLSTM sig 1 1 c out0\n",
               sizeof good_bin, "line 5: layer 'sig' (LSTM)", "does not map");
    /* counts that disagree with the lines */
    expect_bad("7767517\n4 3\nInput in0 0 1 in0 0=4 1=4 2=2\nConvolution conv 1 1 in0 c 0=3 1=1 5=1 6=6\nSigmoid sig 1 1 c out0\n",
               sizeof good_bin, "the header says 4 layers, the file has 3 layer lines", NULL);
    expect_bad("7767517\n3 4\nInput in0 0 1 in0 0=4 1=4 2=2\nConvolution conv 1 1 in0 c 0=3 1=1 5=1 6=6\nSigmoid sig 1 1 c out0\n",
               sizeof good_bin, "the header says 4 blobs, the layers produce 3", NULL);
    expect_bad("7767517\n3 3\nInput in0 0 1 in0 0=4 1=4 2=2\nConvolution conv 1 1 in0 c 0=3 1=1 5=1 6=6\nSigmoid sig 2 1 c out0\n",
               sizeof good_bin, "line 5", "names 2 blobs, the counts say 3");
    /* a blob used before it exists, one produced twice */
    expect_bad("7767517\n3 3\nInput in0 0 1 in0 0=4 1=4 2=2\nSigmoid sig 1 1 c out0\nConvolution conv 1 1 in0 c 0=3 1=1 5=1 6=6\n",
               sizeof good_bin, "line 4: layer 'sig' (Sigmoid)", "uses blob 'c' before any layer produces it");
    expect_bad("7767517\n3 3\nInput in0 0 1 in0 0=4 1=4 2=2\nConvolution conv 1 1 in0 in0 0=3 1=1 5=1 6=6\nSigmoid sig 1 1 in0 out0\n",
               sizeof good_bin, "produces blob 'in0', which line 3 already produced", NULL);
    /* a bin shorter than the weights, and one longer */
    expect_bad(good_param, sizeof good_bin - 4, "m.bin: layer 'conv' (Convolution) needs 12 bytes for its bias at offset 28",
               "shorter than the weights");
    expect_bad(good_param, 2, "needs 4 bytes for its weight at offset 0, the file has 2", NULL);
    char longer[] = "7767517\n3 3\nInput in0 0 1 in0 0=4 1=4 2=2\nConvolution conv 1 1 in0 c 0=3 1=1 5=0 6=6\nSigmoid sig 1 1 c out0\n";
    expect_bad(longer, sizeof good_bin, "12 bytes are left over", "does not belong to this .param");
    /* parameters the shapes contradict, and values ncnn would not read */
    expect_bad("7767517\n3 3\nInput in0 0 1 in0 0=4 1=4 2=2\nConvolution conv 1 1 in0 c 0=3 1=1 5=1 6=7\nSigmoid sig 1 1 c out0\n",
               sizeof good_bin, "weight_data_size 7, but 3 outputs x 2 inputs", NULL);
    expect_bad("7767517\n3 3\nInput in0 0 1 in0 0=4 1=4 2=2\nConvolution conv 1 1 in0 c 0=3 1=1 5=1 6=6 40=1\nSigmoid sig 1 1 c out0\n",
               sizeof good_bin, "parameter id 40 is out of range", NULL);
    expect_bad("7767517\n3 3\nInput in0 0 1 in0 0=4 1=4 2=2\nConvolution conv 1 1 in0 c 0=3 1=1 5=1 6=1234567890123456\nSigmoid sig 1 1 c out0\n",
               sizeof good_bin, "longer than the 15 characters", NULL);
    expect_bad("7767518\n3 3\n", 0, "not an ncnn .param: the first line is not the magic 7767517", NULL);
    expect_bad("7767517\n0 3\n", 0, "counts must be positive", NULL);
    /* the tag ncnn reads only with int8 inference */
    good_bin[0] = 0x38, good_bin[1] = 0x4B, good_bin[2] = 0x0D;
    expect_bad(good_param, sizeof good_bin, "weight array is stored as int8 (tag 0x000D4B38)", NULL);
    memset(good_bin, 0, 4);
}

/* The real ncnn's parameter typing: a float written as an int is its bit pattern. */
static void test_param_typing(void)
{
    char err[512];
    const char *p = "7767517\n2 2\nInput in0 0 1 in0 0=4 1=4 2=2\nBinaryOp add 1 1 in0 out0 0=0 1=1 2=1.5e+00\n";
    Graph *g = ncnn_read_memory(p, strlen(p), NULL, 0, NULL, 0, "t.param", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    int scalar = -1;
    for (int t = 0; g && t < g->n_tensors; t++)
        if (g->tensors[t].rank == 0 && g->tensors[t].data) scalar = t;
    EXPECT(scalar >= 0);
    if (scalar >= 0) EXPECT_NEAR(*(float *)g->tensors[scalar].data, 1.5, 0);
    graph_free(g);
}

static void test_export_stage(void)
{
    Captured log;
    JobState st;
    const char *w[] = {"model=yolo11n-seg.yaml", "format=ncnn", "imgsz=64"};
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(run->status, EXPORT_OK);
    EXPECT_EQ_STR(run->last_path, "yolo11n-seg_ncnn_model");
    EXPECT(file_exists("yolo11n-seg_ncnn_model/model.ncnn.param"));
    EXPECT(file_exists("yolo11n-seg_ncnn_model/model.ncnn.bin"));
    EXPECT(file_exists("yolo11n-seg_ncnn_model/metadata.yaml"));
    EXPECT_EQ_INT(count_temporaries("."), 0);
    EXPECT_CONTAINS(log.text, "\nNCNN: starting export with NCNN yoloport-");
    EXPECT_CONTAINS(log.text, "NCNN: check against the source ✅ passed: the ncnn model as read back: ");
    EXPECT_CONTAINS(log.text, "NCNN: export success ✅ ");
    if (run->report.n_artifacts == 1) {
        EXPECT_EQ_STR(run->report.artifacts[0].format, "NCNN");
        EXPECT_EQ_STR(run->report.artifacts[0].precision.text, "fp32");
        EXPECT_EQ_INT(run->report.artifacts[0].status, CHECK_PASSED);
    }
    EXPECT_EQ_INT(run->report.n_checks, 2);
    if (run->report.n_checks == 2)
        EXPECT_CONTAINS(run->report.checks[0].detail, "in0 [1, 3, 64, 64] -> out0 [1, 116, 84], out1 [1, 32, 16, 16]; metadata.yaml 13 keys");
    size_t len;
    char err[512];
    char *meta = file_read_all("yolo11n-seg_ncnn_model/metadata.yaml", 1 << 20, &len, err, sizeof err);
    EXPECT(meta != NULL);
    if (meta) {
        EXPECT_CONTAINS(meta, "task: segment\n");
        EXPECT_CONTAINS(meta, "imgsz:\n- 64\n- 64\n");
        EXPECT_CONTAINS(meta, "args:\n  batch: 1\n  half: false\n");
    }
    free(meta);
    export_run_free(run);
    /* info opens the folder and the .param */
    EXPECT_EQ_INT(model_detect("yolo11n-seg_ncnn_model", err, sizeof err), FMT_NCNN);
    EXPECT_EQ_INT(model_detect("yolo11n-seg_ncnn_model/model.ncnn.param", err, sizeof err), FMT_NCNN);
    Graph *g = model_load("yolo11n-seg_ncnn_model", NULL, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_STR(g->meta.task, "segment");
        EXPECT_EQ_INT(g->meta.source_format, FMT_NCNN);
        EXPECT_EQ_INT(g->n_outputs, 2);
    }
    graph_free(g);

    /* half: float16 weights, reported as stored */
    const char *wh[] = {"model=yolov8n.yaml", "format=ncnn", "imgsz=64", "half=True"};
    run = export_words(runner, &log, &st, wh, 4);
    EXPECT(run && run->status == EXPORT_OK);
    if (run && run->report.n_artifacts == 1) {
        EXPECT_CONTAINS(run->report.artifacts[0].precision.text, "fp16 100%");
        EXPECT_EQ_INT(run->report.artifacts[0].precision.kind, PREC_MIXED); /* biases stay float32, as ncnn loads them */
        EXPECT_CONTAINS(log.text, "NCNN: half=True: float16 weights");
    }
    export_run_free(run);

    /* batch=2 is refused with its reason, nothing written */
    const char *wb[] = {"model=yolov8n.yaml", "format=ncnn", "imgsz=64", "batch=2"};
    fileio_remove_tree("yolov8n_ncnn_model");
    run = export_words(runner, &log, &st, wb, 4);
    EXPECT(run && run->status == EXPORT_FAILED);
    if (run) EXPECT_CONTAINS(run->error, "batch=2 is not available for NCNN: an ncnn blob has no batch axis");
    EXPECT(!file_exists("yolov8n_ncnn_model"));
    export_run_free(run);
}

/* The peer's yolov8n output against our export of the real checkpoint, run in our executor
 * from the files (the real ncnn runs it too: see the README's hand checks). */
static void test_yolov8n_vs_peer(void)
{
    if (!shared) {
        SKIP("../shared not present");
        return;
    }
    char cmd[PATH_MAX + 64], path[PATH_MAX + 64], err[512];
    snprintf(cmd, sizeof cmd, "cp '%s/models/yolov8n.pt' peer_yolov8n.pt", shared);
    EXPECT(system(cmd) == 0);
    Captured log;
    JobState st;
    const char *w[] = {"model=peer_yolov8n.pt", "format=ncnn", "verify=False"};
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run && run->status == EXPORT_UNCHECKED); /* verify=False: written, not checked */
    export_run_free(run);
    Graph *g = ncnn_read("peer_yolov8n_ncnn_model", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    NpyArray in = {0}, want = {0};
    snprintf(path, sizeof path, "%s/reference/peer/yolov8n.input.npy", shared);
    EXPECT_MSG(npy_read(path, 1 << 26, &in, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/reference/peer/yolov8n.output.npy", shared);
    EXPECT_MSG(npy_read(path, 1 << 26, &want, err, sizeof err) == 0, "%s", err);
    float *x = npy_to_f32(&in, err, sizeof err), *y = npy_to_f32(&want, err, sizeof err);
    int64_t n = 0;
    float *got = g && x ? run_graph(g, "in0", x, in.dims, 0, &n) : NULL;
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
        printf("# ncnn yolov8n vs the peer's PyTorch output: boxes %.3g px, scores %.3g\n", box, score);
    }
    free(got);
    free(x);
    free(y);
    npy_free(&in);
    npy_free(&want);
    graph_free(g);
    fileio_remove_tree("peer_yolov8n_ncnn_model");
    unlink("peer_yolov8n.pt");
}

/* dynamic=True (LoadOptions.dynamic_hw_only): the Input gives the channels only, the anchors
 * come from CumulativeSum over the feature maps (no MemoryData, no anchor count anywhere),
 * the upsamples scale; read back, the height and width are unknown and the file runs at two
 * sizes, giving the source graph's output at each. */
static void test_dynamic_hw(void)
{
    char err[512], why[512];
    LoadOptions lo = {.fuse = true, .imgsz = {64, 64}, .dynamic = true, .dynamic_hw_only = true};
    Graph *g = model_load("yolov8n.yaml", &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    char *param = NULL;
    uint8_t *bin = NULL;
    size_t pl = 0, bl = 0;
    EXPECT_MSG(ncnn_serialize(g, NULL, &param, &pl, &bin, &bl, err, sizeof err) == 0, "%s", err);
    Graph *b = NULL;
    if (param) {
        Walk w;
        EXPECT_MSG(walk(param, bin, bl, false, 1, &w, why, sizeof why) == 0, "%s", why);
        EXPECT_CONTAINS(param, "\nInput                    in0                      0 1 in0 2=3\n");
        EXPECT_CONTAINS(param, "CumulativeSum            /model.22/CumSum         1 1 ");
        EXPECT_CONTAINS(param, "Reshape                  /model.22/Reshape        1 1 ");
        EXPECT_CONTAINS(param, " 0=-1 1=144\n");
        EXPECT_CONTAINS(param, " 0=1 1=2.00000000e+00 2=2.00000000e+00\n"); /* Interp by scale */
        EXPECT_EQ_INT(w.memorydata, 0);
        int cumsums = 0;
        for (const char *p = param; (p = strstr(p, "\nCumulativeSum ")); p++) cumsums++;
        EXPECT_EQ_INT(cumsums, 6);
        b = ncnn_read_memory(param, pl, bin, bl, "imgsz: [64, 64]\n", 16, "m.param", err, sizeof err);
        EXPECT_MSG(b != NULL, "%s", err);
    }
    if (b) {
        const Tensor *in = &b->tensors[b->inputs[0]], *out = &b->tensors[b->outputs[0]];
        EXPECT(in->rank == 4 && in->dims[0] == 1 && in->dims[1] == 3 && in->dims[2] < 0 && in->dims[3] < 0);
        EXPECT(out->rank == 3 && out->dims[1] == 84 && out->dims[2] < 0);
        int cumsums = 0;
        for (int i = 0; i < b->n_nodes; i++) cumsums += b->nodes[i].op == OP_CUMSUM;
        EXPECT_EQ_INT(cumsums, 6);
        static const int64_t sizes[2][4] = {{1, 3, 64, 64}, {1, 3, 96, 160}};
        for (int s = 0; s < 2; s++) {
            float *x = test_input(3 * sizes[s][2] * sizes[s][3]);
            int64_t n1 = 0, n2 = 0;
            float *y1 = run_graph(g, g->tensors[g->inputs[0]].name, x, sizes[s], 0, &n1);
            float *y2 = run_graph(b, "in0", x, sizes[s], 0, &n2);
            int64_t anchors = (sizes[s][2] * sizes[s][3]) / 64 + (sizes[s][2] * sizes[s][3]) / 256 +
                              (sizes[s][2] * sizes[s][3]) / 1024;
            EXPECT_MSG(y1 && y2 && n1 == 84 * anchors && n2 == n1, "%lldx%lld: %lld and %lld values", (long long)sizes[s][2],
                       (long long)sizes[s][3], (long long)n1, (long long)n2);
            double d = 0;
            for (int64_t i = 0; y1 && y2 && n1 == n2 && i < n1; i++) d = fmax(d, fabs((double)y1[i] - y2[i]));
            printf("# dynamic %lldx%lld: %lld anchors, max |d| %.3g\n", (long long)sizes[s][2], (long long)sizes[s][3],
                   (long long)anchors, d);
            EXPECT(d <= 1e-4);
            free(x), free(y1), free(y2);
        }
    }
    graph_free(b);
    free(param), free(bin);
    graph_free(g);

    /* what a dynamic ncnn file cannot say is refused by name: a resize to a fixed size */
    Graph *r = graph_new();
    int64_t xd[4] = {1, 3, -1, -1}, yd[4] = {1, 3, -1, -1}, sz[4] = {1, 3, 32, 32}, four = 4;
    int x = graph_add_tensor(r, "x", DT_F32, 4, xd), y = graph_add_tensor(r, "y", DT_F32, 4, yd);
    int sizes_t = graph_add_const(r, "sizes", DT_I64, 1, &four, sz);
    r->tensors[x].is_input = true;
    graph_add_input(r, x);
    int ins[4] = {x, -1, -1, sizes_t};
    int ni = graph_add_node(r, OP_RESIZE, NULL, "resize", -1, ins, 4, &y, 1);
    node_set_string(r, ni, "mode", "nearest");
    node_set_string(r, ni, "coordinate_transformation_mode", "asymmetric");
    node_set_string(r, ni, "nearest_mode", "floor");
    r->tensors[y].is_output = true;
    graph_add_output(r, y);
    EXPECT(ncnn_serialize(r, NULL, &param, &pl, &bin, &bl, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "node 'resize' (Resize): resizes a size that depends on the input without constant scales");
    graph_free(r);
}

/* format=ncnn dynamic=True on the real checkpoint: checked by the export itself, metadata
 * args with dynamic: true, and the file read back gives the peer's output at 640 and 6300
 * anchors at 480x640, as the source's dynamic graph does. */
static void test_yolov8n_dynamic_export(void)
{
    if (!shared) {
        SKIP("../shared not present");
        return;
    }
    char cmd[PATH_MAX + 64], path[PATH_MAX + 64], err[512];
    snprintf(cmd, sizeof cmd, "cp '%s/models/yolov8n.pt' dyn_yolov8n.pt", shared);
    EXPECT(system(cmd) == 0);
    Captured log;
    JobState st;
    const char *w[] = {"model=dyn_yolov8n.pt", "format=ncnn", "dynamic=True"};
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run && run->status == EXPORT_OK);
    EXPECT(run && run->report.n_checks == 3);
    if (run && run->report.n_checks == 3) {
        EXPECT_CONTAINS(run->report.checks[0].detail, "in0 [1, 3, height, width] -> out0 [1, 84, ?]");
        EXPECT_EQ_STR(run->report.checks[2].name, "other size");
        EXPECT_EQ_INT(run->report.checks[2].status, CHECK_PASSED);
        EXPECT_CONTAINS(run->report.checks[2].detail, "the model as read back at 480x640");
    }
    export_run_free(run);
    size_t len;
    char *meta = file_read_all("dyn_yolov8n_ncnn_model/metadata.yaml", 1 << 20, &len, err, sizeof err);
    EXPECT(meta && strstr(meta, "imgsz:\n- 640\n- 640\n") && strstr(meta, "\n  dynamic: true\n"));
    free(meta);
    char *param = file_read_all("dyn_yolov8n_ncnn_model/model.ncnn.param", 1 << 24, &len, err, sizeof err);
    EXPECT(param && !strstr(param, "MemoryData") && strstr(param, "CumulativeSum") && !strstr(param, "8400"));
    free(param);
    Graph *g = ncnn_read("dyn_yolov8n_ncnn_model", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    LoadOptions lo = {.fuse = true, .dynamic = true, .dynamic_hw_only = true};
    Graph *src = model_load("dyn_yolov8n.pt", &lo, err, sizeof err);
    EXPECT_MSG(src != NULL, "%s", err);
    NpyArray in = {0}, want = {0};
    snprintf(path, sizeof path, "%s/reference/peer/yolov8n.input.npy", shared);
    EXPECT_MSG(npy_read(path, 1 << 26, &in, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/reference/peer/yolov8n.output.npy", shared);
    EXPECT_MSG(npy_read(path, 1 << 26, &want, err, sizeof err) == 0, "%s", err);
    float *x = npy_to_f32(&in, err, sizeof err), *y = npy_to_f32(&want, err, sizeof err);
    int64_t n = 0;
    float *got = g && x ? run_graph(g, "in0", x, in.dims, 0, &n) : NULL;
    EXPECT(got && y && n == 84 * 8400 && want.numel == 84 * 8400);
    if (got && y && n == want.numel) {
        double d = 0;
        for (int64_t i = 0; i < n; i++) d = fmax(d, fabs((double)got[i] - y[i]));
        printf("# ncnn dynamic yolov8n at 640x640 vs the peer's PyTorch output: max |d| %.3g\n", d);
        EXPECT(d <= 0.05);
    }
    free(got);
    if (g && src && x) { /* the first 480 rows of the peer's input */
        float *rows = xmalloc(sizeof(float) * 3 * 480 * 640);
        for (int c = 0; c < 3; c++) memcpy(rows + c * 480 * 640, x + c * 640 * 640, sizeof(float) * 480 * 640);
        int64_t d480[4] = {1, 3, 480, 640}, n1 = 0, n2 = 0;
        float *a = run_graph(g, "in0", rows, d480, 0, &n1), *s = run_graph(src, src->tensors[src->inputs[0]].name, rows, d480, 0, &n2);
        EXPECT_MSG(a && s && n1 == 84 * 6300 && n2 == n1, "%lld and %lld values", (long long)n1, (long long)n2);
        double d = 0;
        for (int64_t i = 0; a && s && n1 == n2 && i < n1; i++) d = fmax(d, fabs((double)a[i] - s[i]));
        printf("# ncnn dynamic yolov8n at 480x640: 6300 anchors, max |d| %.3g against the source graph\n", d);
        EXPECT(d <= 1e-3);
        free(a), free(s), free(rows);
    }
    free(x), free(y);
    npy_free(&in);
    npy_free(&want);
    graph_free(src);
    graph_free(g);
    fileio_remove_tree("dyn_yolov8n_ncnn_model");
    unlink("dyn_yolov8n.pt");
}

int main(void)
{
    char share[PATH_MAX];
    if (!getenv("YOLOPORT_SHARE") && realpath("share", share)) setenv("YOLOPORT_SHARE", share, 1);
    static char shared_buf[PATH_MAX];
    const char *env = getenv("YOLOPORT_SHARED");
    if (env && *env) shared = env;
    else if (realpath("../shared/models", shared_buf) && realpath("../shared", shared_buf)) shared = shared_buf;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-ncnn-XXXXXX");
    if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0) {
        printf("FAIL setup: cannot make a temporary directory\n");
        return 1;
    }
    JobRunnerOptions ro = {.workers = 1};
    runner = jobs_new(&ro);
    RUN(test_yolov8n_structure);
    RUN(test_families_roundtrip);
    RUN(test_shared_checkpoints);
    RUN(test_fusion_and_broadcast);
    RUN(test_refusal_by_name);
    RUN(test_bad_input);
    RUN(test_param_typing);
    RUN(test_export_stage);
    RUN(test_yolov8n_vs_peer);
    RUN(test_dynamic_hw);
    RUN(test_yolov8n_dynamic_export);
    jobs_free(runner);
    if (chdir("/") == 0) fileio_remove_tree(tmpdir);
    return check_done();
}
