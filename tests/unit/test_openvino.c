/* test_openvino: the OpenVINO IR writer and reader — round trips of built models (structure,
 * constant bytes, and, when the executor is in the build, outputs), float16 compression, the
 * peer's int8 IR, metadata.yaml in the peer's layout, and one test per kind of bad input. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"
#include "engine/core/fileio.h"
#include "engine/registry/model.h"
#include "engine/core/util.h"
#include "engine/exec/exec.h"
#include "engine/passes/passes.h"
#include "formats/openvino.h"

static char *temp_dir(void)
{
    char tmpl[] = "/tmp/yoloport-ov-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? xstrdup(d) : NULL;
}

static Graph *load_yaml(const char *name, bool dynamic)
{
    char err[512];
    LoadOptions lo = {.fuse = true, .dynamic = dynamic};
    Graph *g = model_load(name, &lo, err, sizeof err);
    if (!g) printf("# model_load %s: %s\n", name, err);
    return g;
}

static void op_counts(const Graph *g, int *c)
{
    memset(c, 0, sizeof(int) * OP_COUNT);
    for (int i = 0; i < g->n_nodes; i++) c[g->nodes[i].op]++;
}

static int count_type(const Graph *g, const char *op_type)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += !strcmp(g->nodes[i].op_type, op_type);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    char err[256];
    return file_read_all(path, 1 << 30, len, err, sizeof err);
}

static int count_substr(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub)) n++;
    return n;
}

/* Run g on x; returns output k as a heap copy, its element count in *n. */
static float *run_graph(const Graph *g, const float *x, const int64_t *dims, int k, int64_t *n)
{
    char err[512];
    Exec *e = exec_new(g, err, sizeof err);
    if (!e) {
        printf("# exec_new: %s\n", err);
        return NULL;
    }
    float *copy = NULL;
    if (!exec_set_input(e, "images", x, dims, 4, err, sizeof err) && !exec_run(e, NULL, err, sizeof err)) {
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

static float *test_input(int64_t h, int64_t w)
{
    int64_t n = 3 * h * w;
    float *x = xmalloc((size_t)n * sizeof(float));
    uint32_t s = 12345;
    for (int64_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)(s >> 8) / 16777216.f;
    }
    return x;
}

static double max_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - (double)b[i]));
    return m;
}

/* ---- round trips ---------------------------------------------------------------------- */

static void test_roundtrip_structure(void)
{
    Graph *g = load_yaml("yolov8n.yaml", false);
    char *dir = temp_dir(), err[512];
    EXPECT(g && dir);
    if (!g || !dir) return;
    EXPECT_EQ_INT(openvino_write(g, NULL, dir, "yolov8n", err, sizeof err), 0);
    char *xml_path = xasprintf("%s/yolov8n.xml", dir), *bin_path = xasprintf("%s/yolov8n.bin", dir);
    char *meta_path = xasprintf("%s/metadata.yaml", dir);
    EXPECT(file_exists(xml_path) && file_exists(bin_path) && file_exists(meta_path));
    EXPECT_EQ_INT(openvino_sniff(xml_path), 1);
    EXPECT_EQ_INT(openvino_sniff(dir), 1);
    EXPECT_EQ_INT(openvino_sniff(bin_path), 0);
    size_t xl;
    char *xml = slurp(xml_path, &xl);
    EXPECT(xml && strstr(xml, "<net name=\"main_graph\" version=\"11\">"));
    EXPECT_CONTAINS(xml, "<layer id=\"0\" name=\"images\" type=\"Parameter\" version=\"opset1\">");
    EXPECT_CONTAINS(xml, "<data shape=\"1,3,640,640\" element_type=\"f32\" />");
    EXPECT_CONTAINS(xml, "name=\"output0/sink_port_0\" type=\"Result\" version=\"opset1\"");
    EXPECT_CONTAINS(xml, "name=\"output0\" type=\"Concat\" version=\"opset1\"");
    EXPECT_CONTAINS(xml, "type=\"Swish\" version=\"opset4\"");
    EXPECT_CONTAINS(xml, "type=\"Interpolate\" version=\"opset11\"");
    EXPECT_CONTAINS(xml, "type=\"VariadicSplit\" version=\"opset1\"");
    EXPECT_CONTAINS(xml, "type=\"SoftMax\" version=\"opset8\"");
    EXPECT_CONTAINS(xml, "type=\"MaxPool\" version=\"opset8\"");
    EXPECT_EQ_INT(count_substr(xml, "type=\"Convolution\""), 64);
    EXPECT_EQ_INT(count_substr(xml, "type=\"Swish\""), 57);

    Graph *b = openvino_read(xml_path, err, sizeof err);
    EXPECT_MSG(b != NULL, "%s", err);
    if (b) {
        int ca[OP_COUNT], cb[OP_COUNT];
        op_counts(g, ca);
        op_counts(b, cb);
        for (int i = 0; i < OP_COUNT; i++) EXPECT_MSG(ca[i] == cb[i], "%s: %d vs %d", op_name((OpKind)i), ca[i], cb[i]);
        EXPECT_EQ_INT(b->n_nodes, g->n_nodes);
        EXPECT_EQ_INT(b->n_inputs, 1);
        EXPECT_EQ_INT(b->n_outputs, 1);
        const Tensor *in = &b->tensors[b->inputs[0]], *out = &b->tensors[b->outputs[0]];
        EXPECT_EQ_STR(in->name, "images");
        EXPECT_EQ_STR(out->name, "output0");
        EXPECT(in->rank == 4 && in->dims[1] == 3 && in->dims[2] == 640 && in->dims[3] == 640);
        EXPECT(out->rank == 3 && out->dims[1] == 84 && out->dims[2] == 8400);
        /* every constant of the source is in the IR, byte for byte, under its name */
        int consts = 0, same = 0;
        for (int t = 0; t < g->n_tensors; t++) {
            const Tensor *x = &g->tensors[t];
            if (!x->data || x->producer >= 0) continue;
            consts++;
            int k = graph_find_tensor(b, x->name);
            if (k >= 0 && b->tensors[k].nbytes == x->nbytes && !memcmp(b->tensors[k].data, x->data, x->nbytes)) same++;
            else printf("# constant %s differs\n", x->name);
        }
        EXPECT(consts > 100);
        EXPECT_EQ_INT(same, consts);
        EXPECT_EQ_INT(graph_param_count(b), graph_param_count(g));
        EXPECT(b->meta.imgsz[0] == 640 && b->meta.imgsz[1] == 640); /* no metadata: from the input */
        EXPECT_EQ_STR(format_id_key(b->meta.source_format), "openvino");
        EXPECT_EQ_INT(b->meta.ir_version, 11);
        EXPECT(graph_find_module(b, "model.22") >= 0);
    }
    graph_free(b);
    free(xml);
    free(xml_path);
    free(bin_path);
    free(meta_path);
    fileio_remove_tree(dir);
    free(dir);
    graph_free(g);
}

static void test_roundtrip_outputs(void)
{
    static const char *const models[] = {"yolov8n.yaml", "yolo11n-seg.yaml"};
    for (size_t m = 0; m < ARRAY_LEN(models); m++) {
        Graph *g = load_yaml(models[m], false);
        char *dir = temp_dir(), err[512];
        EXPECT(g && dir);
        if (!g || !dir) return;
        EXPECT_EQ_INT(openvino_write(g, NULL, dir, "m", err, sizeof err), 0);
        char *xml = xasprintf("%s/m.xml", dir);
        Graph *b = openvino_read(xml, err, sizeof err);
        EXPECT_MSG(b != NULL, "%s", err);
        int64_t dims[4] = {1, 3, 640, 640};
        float *x = test_input(640, 640);
        for (int k = 0; b && k < g->n_outputs; k++) {
            int64_t n1 = 0, n2 = 0;
            float *y1 = run_graph(g, x, dims, k, &n1), *y2 = run_graph(b, x, dims, k, &n2);
            EXPECT(y1 && y2 && n1 == n2 && n1 > 0);
            if (y1 && y2 && n1 == n2) {
                double d = max_diff(y1, y2, n1);
                printf("# %s output%d: %lld values, max |d| %g\n", models[m], k, (long long)n1, d);
                EXPECT_MSG(d <= 1e-4, "%s output%d max |d| %g", models[m], k, d);
            }
            free(y1);
            free(y2);
        }
        free(x);
        graph_free(b);
        free(xml);
        fileio_remove_tree(dir);
        free(dir);
        graph_free(g);
    }
}

/* dynamic=True: symbolic input dims become "?" and -1, the in-graph anchors (Range, Expand,
 * ShapeOf, Gather, ...) map both ways, and the read-back runs at another size. */
static void test_roundtrip_dynamic(void)
{
    Graph *g = load_yaml("yolov8n.yaml", true);
    char *dir = temp_dir(), err[512];
    EXPECT(g && dir);
    if (!g || !dir) return;
    EXPECT_EQ_INT(openvino_write(g, NULL, dir, "m", err, sizeof err), 0);
    char *xml_path = xasprintf("%s/m.xml", dir);
    size_t xl;
    char *xml = slurp(xml_path, &xl);
    EXPECT_CONTAINS(xml, "<data shape=\"?,3,?,?\" element_type=\"f32\" />");
    EXPECT_CONTAINS(xml, "type=\"ShapeOf\" version=\"opset3\"");
    EXPECT_CONTAINS(xml, "type=\"Range\" version=\"opset4\"");
    EXPECT_CONTAINS(xml, "type=\"Broadcast\" version=\"opset3\"");
    Graph *b = openvino_read(xml_path, err, sizeof err);
    EXPECT_MSG(b != NULL, "%s", err);
    if (b) {
        const Tensor *in = &b->tensors[b->inputs[0]];
        EXPECT(in->dims[0] == -1 && in->dims[1] == 3 && in->dims[2] == -1 && in->dims[3] == -1);
        EXPECT_EQ_INT(b->n_nodes, g->n_nodes);
        int64_t dims[4] = {1, 3, 256, 320};
        float *x = test_input(256, 320);
        int64_t n1 = 0, n2 = 0;
        float *y1 = run_graph(g, x, dims, 0, &n1), *y2 = run_graph(b, x, dims, 0, &n2);
        EXPECT(y1 && y2 && n1 == n2 && n1 == 84 * (32 * 40 + 16 * 20 + 8 * 10));
        if (y1 && y2 && n1 == n2) EXPECT_MSG(max_diff(y1, y2, n1) <= 1e-4, "max |d| %g", max_diff(y1, y2, n1));
        free(x);
        free(y1);
        free(y2);
    }
    graph_free(b);
    free(xml);
    free(xml_path);
    fileio_remove_tree(dir);
    free(dir);
    graph_free(g);
}

/* half: float32 constants become f16 Const + Convert(decompression); the values are the
 * float16 roundings of the source's, and outputs match a source whose weights are rounded
 * the same way. */
static void test_half(void)
{
    Graph *g = load_yaml("yolov8n.yaml", false);
    char *dir = temp_dir(), err[512];
    EXPECT(g && dir);
    if (!g || !dir) return;
    OpenVinoOptions o = {.half = true};
    EXPECT_EQ_INT(openvino_write(g, &o, dir, "m", err, sizeof err), 0);
    char *xml_path = xasprintf("%s/m.xml", dir), *bin_path = xasprintf("%s/m.bin", dir);
    size_t xl;
    char *xml = slurp(xml_path, &xl);
    /* every float32 constant is compressed but Interpolate's scales */
    int f32_consts = 0;
    int64_t f32_bytes = 0;
    unsigned char *scales = xcalloc((size_t)g->n_tensors, 1);
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == OP_RESIZE && g->nodes[i].n_inputs > 2) scales[g->nodes[i].inputs[2]] = 1;
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].data && g->tensors[t].producer < 0 && g->tensors[t].dtype == DT_F32 && !scales[t]) {
            f32_consts++;
            f32_bytes += (int64_t)g->tensors[t].nbytes;
        }
    EXPECT_EQ_INT(count_substr(xml, "<attribute name=\"decompression\" version=\"0\" />"), f32_consts);
    EXPECT_EQ_INT(count_substr(xml, "element_type=\"f16\""), f32_consts);
    EXPECT_CONTAINS(xml, "_compressed\" type=\"Const\"");
    EXPECT(path_size(bin_path) <= f32_bytes / 2 + 4096);
    Graph *b = openvino_read(xml_path, err, sizeof err);
    EXPECT_MSG(b != NULL, "%s", err);
    if (b) {
        EXPECT_EQ_INT(count_type(b, "Cast"), f32_consts);
        int checked = 0;
        for (int t = 0; t < g->n_tensors; t++) {
            Tensor *x = &g->tensors[t];
            if (!x->data || x->producer >= 0 || x->dtype != DT_F32 || scales[t]) continue;
            char *cname = xasprintf("%s_compressed", x->name);
            int k = graph_find_tensor(b, cname);
            free(cname);
            if (k < 0 || b->tensors[k].dtype != DT_F16) continue;
            int64_t n = tensor_numel(x);
            const uint16_t *h = b->tensors[k].data;
            bool ok = b->tensors[k].nbytes == (size_t)n * 2;
            for (int64_t i = 0; ok && i < n; i++) ok = h[i] == float_to_half(((float *)x->data)[i]);
            checked += ok;
            /* the source's weights rounded the same way, for the output comparison */
            for (int64_t i = 0; i < n; i++) ((float *)x->data)[i] = half_to_float(float_to_half(((float *)x->data)[i]));
        }
        EXPECT_EQ_INT(checked, f32_consts);
        int64_t dims[4] = {1, 3, 640, 640}, n1 = 0, n2 = 0;
        float *x = test_input(640, 640);
        float *y1 = run_graph(g, x, dims, 0, &n1), *y2 = run_graph(b, x, dims, 0, &n2);
        EXPECT(y1 && y2 && n1 == n2);
        if (y1 && y2 && n1 == n2) EXPECT_MSG(max_diff(y1, y2, n1) <= 1e-4, "max |d| %g", max_diff(y1, y2, n1));
        free(x);
        free(y1);
        free(y2);
    }
    graph_free(b);
    free(scales);
    free(xml);
    free(xml_path);
    free(bin_path);
    fileio_remove_tree(dir);
    free(dir);
    graph_free(g);
}

/* A float32 .npy (little-endian, C order) as the test's own tiny reader. */
static float *npy_f32(const char *path, int64_t *numel)
{
    size_t len;
    char *b = slurp(path, &len);
    if (!b || len < 12 || memcmp(b, "\x93NUMPY", 6)) {
        free(b);
        return NULL;
    }
    size_t hl = b[6] == 1 ? (size_t)(unsigned char)b[8] | (size_t)(unsigned char)b[9] << 8 : 0;
    size_t off = b[6] == 1 ? 10 + hl : 0;
    if (!off || off > len || !strstr(b + 10, "'<f4'")) {
        free(b);
        return NULL;
    }
    *numel = (int64_t)((len - off) / 4);
    float *f = xmalloc(len - off + 4);
    memcpy(f, b + off, len - off);
    free(b);
    return f;
}

/* The real yolov8n.pt through the IR against the peer's output: 0.05 px boxes, 1e-3 scores. */
static void test_peer_parity(void)
{
    const char *pt = shared_path("models/yolov8n.pt");
    if (!pt) {
        SKIP("../shared not present");
        return;
    }
    char err[512];
    LoadOptions lo = {.fuse = true};
    Graph *g = model_load(pt, &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    char *dir = temp_dir();
    if (!g || !dir) return;
    EXPECT_EQ_INT(openvino_write(g, NULL, dir, "yolov8n", err, sizeof err), 0);
    char *xml = xasprintf("%s/yolov8n.xml", dir);
    Graph *b = openvino_read(xml, err, sizeof err);
    EXPECT_MSG(b != NULL, "%s", err);
    int64_t nin = 0, nref = 0, n = 0;
    float *x = npy_f32(shared_path("reference/peer/yolov8n.input.npy"), &nin);
    float *ref = npy_f32(shared_path("reference/peer/yolov8n.output.npy"), &nref);
    EXPECT(x && ref && nin == 3 * 640 * 640 && nref == 84 * 8400);
    if (b && x && ref) {
        int64_t dims[4] = {1, 3, 640, 640};
        float *y = run_graph(b, x, dims, 0, &n);
        EXPECT(y && n == nref);
        if (y && n == nref) {
            double box = max_diff(y, ref, 4 * 8400), score = max_diff(y + 4 * 8400, ref + 4 * 8400, 80 * 8400);
            printf("# yolov8n.pt -> OpenVINO IR vs peer: boxes max |d| %.4g px, scores %.3g\n", box, score);
            EXPECT_MSG(box <= 0.05, "boxes %g", box);
            EXPECT_MSG(score <= 1e-3, "scores %g", score);
        }
        free(y);
    }
    free(x);
    free(ref);
    graph_free(b);
    free(xml);
    fileio_remove_tree(dir);
    free(dir);
    graph_free(g);
}

/* Ops the nms=True graph and other heads use: NonMaxSuppression (NMS-9 + a Slice to
 * valid_outputs), TopK, Cast, Gather, ConstantOfShape, Greater, Where, Concat. */
static Graph *nms_graph(void)
{
    Graph *g = graph_new();
    int64_t db[3] = {1, 6, 4}, ds[3] = {1, 1, 6}, d1 = 1, dsel[2] = {-1, 3};
    int boxes = graph_add_tensor(g, "images", DT_F32, 3, db);
    graph_add_input(g, boxes);
    float sc[6] = {0.9f, 0.8f, 0.05f, 0.7f, 0.6f, 0.3f}, iou = 0.5f, thr = 0.1f;
    int64_t max_out = 3;
    int scores = graph_add_const(g, "scores", DT_F32, 3, ds, sc);
    int mo = graph_add_const(g, "max_out", DT_I64, 1, &d1, &max_out);
    int io = graph_add_const(g, "iou", DT_F32, 1, &d1, &iou), th = graph_add_const(g, "thr", DT_F32, 1, &d1, &thr);
    int sel = graph_add_tensor(g, "output0", DT_I64, 2, dsel);
    int nin[5] = {boxes, scores, mo, io, th};
    int ni = graph_add_node(g, OP_NMS, NULL, "/nms/NonMaxSuppression", -1, nin, 5, &sel, 1);
    node_set_int(g, ni, "center_point_box", 0);
    graph_add_output(g, sel);
    /* misc: TopK over the scores, indices cast to float, a Gather, a thresholded Where */
    int64_t d6[2] = {1, 6}, d3[2] = {1, 3}, k = 3, d2 = 2, gi[2] = {4, 1}, d8[2] = {1, 8};
    int64_t shape8[2] = {1, 8};
    int flat_shape = graph_add_const(g, "flat_shape", DT_I64, 1, &d2, d6);
    int flat = graph_add_tensor(g, "flat", DT_F32, 2, d6);
    int rin[2] = {scores, flat_shape};
    graph_add_node(g, OP_RESHAPE, NULL, "/misc/Reshape", -1, rin, 2, &flat, 1);
    int kc = graph_add_const(g, "k", DT_I64, 1, &d1, &k);
    int tv = graph_add_tensor(g, "top_v", DT_F32, 2, d3), ti = graph_add_tensor(g, "top_i", DT_I64, 2, d3);
    int tin[2] = {flat, kc}, tout[2] = {tv, ti};
    ni = graph_add_node(g, OP_TOPK, NULL, "/misc/TopK", -1, tin, 2, tout, 2);
    node_set_int(g, ni, "axis", -1);
    int tf = graph_add_tensor(g, "top_f", DT_F32, 2, d3);
    ni = graph_add_node(g, OP_CAST, NULL, "/misc/Cast", -1, &ti, 1, &tf, 1);
    node_set_int(g, ni, "to", 1);
    int gidx = graph_add_const(g, "gidx", DT_I64, 1, &d2, gi);
    int ga = graph_add_tensor(g, "gath", DT_F32, 2, (int64_t[]){1, 2});
    int gin[2] = {flat, gidx};
    ni = graph_add_node(g, OP_GATHER, NULL, "/misc/Gather", -1, gin, 2, &ga, 1);
    node_set_int(g, ni, "axis", 1);
    int cat = graph_add_tensor(g, "cat", DT_F32, 2, d8);
    int cin[3] = {tv, tf, ga};
    ni = graph_add_node(g, OP_CONCAT, NULL, "/misc/Concat", -1, cin, 3, &cat, 1);
    node_set_int(g, ni, "axis", 1);
    int cshape = graph_add_const(g, "cshape", DT_I64, 1, &d2, shape8);
    float half_v = 0.5f;
    int hv = graph_add_const(g, "half_value", DT_F32, 1, &d1, &half_v);
    int cs = graph_add_tensor(g, "cos", DT_F32, 2, d8);
    ni = graph_add_node(g, OP_OTHER, "ConstantOfShape", "/misc/ConstantOfShape", -1, &cshape, 1, &cs, 1);
    node_set_tensor(g, ni, "value", hv);
    int gt = graph_add_tensor(g, "gt", DT_BOOL, 2, d8);
    int gtin[2] = {cat, cs};
    graph_add_node(g, OP_OTHER, "Greater", "/misc/Greater", -1, gtin, 2, &gt, 1);
    int y1 = graph_add_tensor(g, "output1", DT_F32, 2, d8);
    int win[3] = {gt, cat, cs};
    graph_add_node(g, OP_OTHER, "Where", "/misc/Where", -1, win, 3, &y1, 1);
    graph_add_output(g, y1);
    return g;
}

static void test_roundtrip_nms_and_misc(void)
{
    Graph *g = nms_graph();
    char err[512], *xml = NULL;
    uint8_t *bin = NULL;
    size_t xl = 0, bl = 0;
    char gerr[256];
    EXPECT_MSG(graph_validate(g, gerr, sizeof gerr) == 0, "%s", gerr);
    EXPECT_MSG(openvino_serialize(g, NULL, &xml, &xl, &bin, &bl, err, sizeof err) == 0, "%s", err);
    if (!xml) {
        graph_free(g);
        return;
    }
    EXPECT_CONTAINS(xml, "type=\"NonMaxSuppression\" version=\"opset9\"");
    EXPECT_CONTAINS(xml, "box_encoding=\"corner\"");
    EXPECT_CONTAINS(xml, "name=\"output0\" type=\"Slice\" version=\"opset8\"");
    EXPECT_CONTAINS(xml, "type=\"TopK\"");
    EXPECT_CONTAINS(xml, "type=\"Select\"");
    EXPECT_CONTAINS(xml, "type=\"Broadcast\"");
    Graph *b = openvino_read_memory(xml, xl, bin, bl, NULL, 0, "nms.xml", err, sizeof err);
    EXPECT_MSG(b != NULL, "%s", err);
    if (b) {
        EXPECT_EQ_INT(count_type(b, "NonMaxSuppression"), 1);
        EXPECT_EQ_INT(count_type(b, "TopK"), 1);
        EXPECT_EQ_INT(count_type(b, "Where"), 1);
        EXPECT_EQ_INT(count_type(b, "Expand"), 1);
        EXPECT_EQ_INT(b->n_outputs, 2);
        float boxes[24] = {0, 0, 10, 10, 1, 1, 11, 11, 50, 50, 60, 60, 20, 20, 30, 30, 21, 21, 31, 31, 0, 40, 5, 45};
        int64_t dims[3] = {1, 6, 4};
        for (int k = 0; k < 2; k++) {
            const Graph *gs[2] = {g, b};
            float *ys[2] = {NULL, NULL};
            int64_t ns[2] = {0, 0};
            for (int j = 0; j < 2; j++) {
                Exec *e = exec_new(gs[j], err, sizeof err);
                EXPECT_MSG(e != NULL, "%s", err);
                if (!e) continue;
                if (!exec_set_input(e, "images", boxes, dims, 3, err, sizeof err) && !exec_run(e, NULL, err, sizeof err)) {
                    int64_t d[GRAPH_MAX_RANK];
                    int r;
                    const float *y = exec_output(e, k, d, &r);
                    ns[j] = 1;
                    for (int i = 0; i < r; i++) ns[j] *= d[i];
                    ys[j] = xmalloc((size_t)(ns[j] ? ns[j] : 1) * sizeof(float));
                    memcpy(ys[j], y, (size_t)ns[j] * sizeof(float));
                } else {
                    EXPECT_MSG(0, "%s", err);
                }
                exec_free(e);
            }
            EXPECT(ys[0] && ys[1] && ns[0] == ns[1]);
            if (k == 0) EXPECT_EQ_INT(ns[0], 3 * 3); /* boxes 0, 3, 4 survive (1 overlaps 0; 2 is under the threshold) */
            if (ys[0] && ys[1] && ns[0] == ns[1]) EXPECT(max_diff(ys[0], ys[1], ns[0]) == 0);
            free(ys[0]);
            free(ys[1]);
        }
    }
    graph_free(b);
    free(xml);
    free(bin);
    graph_free(g);
}

/* nms=True: the exporter's in-graph NMS (engine/passes/passes_nms.c) on yolov8n, static and dynamic,
 * through the IR and back, runs to the same rows. */
static void test_roundtrip_nms_pass(void)
{
    for (int dyn = 0; dyn < 2; dyn++) {
        char err[512];
        LoadOptions lo = {.fuse = true, .dynamic = dyn, .imgsz = {320, 320}};
        Graph *g = model_load("yolov8n.yaml", &lo, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s", err);
        if (!g) return;
        NmsOptions no = {.conf = 0.001f, .iou = 0.7f, .max_det = 300, .anchors = 2100};
        EXPECT_MSG(pass_nms(g, &no, err, sizeof err) == 0, "%s", err);
        char *xml = NULL;
        uint8_t *bin = NULL;
        size_t xl = 0, bl = 0;
        EXPECT_MSG(openvino_serialize(g, NULL, &xml, &xl, &bin, &bl, err, sizeof err) == 0, "%s", err);
        Graph *b = xml ? openvino_read_memory(xml, xl, bin, bl, NULL, 0, "nms.xml", err, sizeof err) : NULL;
        EXPECT_MSG(b != NULL, "%s", err);
        if (b) {
            int64_t dims[4] = {1, 3, 320, 320}, n1 = 0, n2 = 0;
            float *x = test_input(320, 320);
            /* a bright square so that something is detected */
            for (int c = 0; c < 3; c++)
                for (int y = 100; y < 200; y++)
                    for (int xx = 120; xx < 220; xx++) x[(c * 320 + y) * 320 + xx] = 1.f;
            float *y1 = run_graph(g, x, dims, 0, &n1), *y2 = run_graph(b, x, dims, 0, &n2);
            EXPECT(y1 && y2 && n1 == n2 && n1 == 300 * 6);
            int rows = 0;
            for (int64_t i = 0; y1 && i < n1; i += 6) rows += y1[i + 4] > 0;
            EXPECT_MSG(rows > 10, "only %d rows selected", rows); /* NMS really selected and ordered rows */
            if (y1 && y2 && n1 == n2) EXPECT_MSG(max_diff(y1, y2, n1) <= 1e-4, "max |d| %g", max_diff(y1, y2, n1));
            free(x);
            free(y1);
            free(y2);
        }
        graph_free(b);
        free(xml);
        free(bin);
        graph_free(g);
    }
}

/* ---- the peer's int8 IR ------------------------------------------------------------------ */

static void test_peer_int8_ir(void)
{
    const char *dir = shared_path("reference/openvino/yolov8n_int8_openvino_model");
    if (!dir) {
        SKIP("../shared not present");
        return;
    }
    char err[512], *xml_path = xasprintf("%s/yolov8n.xml", dir), *bin_path = xasprintf("%s/yolov8n.bin", dir);
    EXPECT_EQ_INT(openvino_sniff(xml_path), 1);
    EXPECT_EQ_INT(openvino_sniff(dir), 1);
    Graph *g = openvino_read(dir, err, sizeof err); /* the directory form */
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) goto out;
    size_t xl;
    char *xml = slurp(xml_path, &xl);
    int layers = count_substr(xml, "<layer id=");
    EXPECT_EQ_INT(layers, 934);
    /* every layer is accounted for: nodes, Consts (tensors, or attributes such as a split's
     * lengths), Parameter, Result, and the bias Adds folded into their convolutions */
    int consts = 0, biased = 0, const_layers = count_substr(xml, "type=\"Const\"");
    for (int t = 0; t < g->n_tensors; t++) consts += g->tensors[t].data != NULL;
    for (int i = 0; i < g->n_nodes; i++) biased += g->nodes[i].op == OP_CONV && g->nodes[i].n_inputs == 3;
    /* the two StridedSlices with begin/end masks over computed bounds add three nodes each
     * (begin * keep, end * keep + the masked ends) */
    int mask_nodes = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const char *nm = g->nodes[i].name, *sl = strrchr(nm, '/');
        mask_nodes += sl && strstr(nm, "/model.22/Slice") && (!strcmp(sl, "/begin") || !strcmp(sl, "/end_kept") ||
                                                            !strcmp(sl, "/end"));
    }
    EXPECT_EQ_INT(mask_nodes, 6);
    EXPECT_EQ_INT(const_layers, 494);
    EXPECT(consts > 400 && consts <= const_layers + mask_nodes);
    EXPECT_EQ_INT(g->n_nodes - mask_nodes + const_layers + 1 + 1 + biased, layers);
    EXPECT_EQ_INT(g->n_nodes, 375 + 6);
    EXPECT_EQ_INT(count_type(g, "FakeQuantize"), 66);
    EXPECT_EQ_INT(count_type(g, "Conv"), 64);
    EXPECT_EQ_INT(biased, 63);
    EXPECT_EQ_INT(count_type(g, "SiLU"), 57);
    EXPECT_EQ_INT(count_type(g, "Cast"), 63);
    EXPECT_EQ_INT(count_type(g, "Mul"), 66 + 4); /* four of them the masked slices' bounds */
    EXPECT_EQ_INT(count_type(g, "Split"), 9);
    EXPECT_EQ_INT(count_type(g, "Resize"), 2);
    EXPECT_EQ_INT(count_type(g, "MaxPool"), 3);
    EXPECT_EQ_INT(count_type(g, "ScatterUpdate"), 2);
    int fq = -1;
    for (int i = 0; i < g->n_nodes && fq < 0; i++)
        if (!strcmp(g->nodes[i].op_type, "FakeQuantize")) fq = i;
    EXPECT(fq >= 0 && g->nodes[fq].op == OP_FAKE_QUANTIZE && g->nodes[fq].n_inputs == 5);
    if (fq >= 0) {
        const Attr *lv = node_attr(&g->nodes[fq], "levels");
        EXPECT(lv && lv->type == ATTR_STRING && !strcmp(lv->s, "256"));
    }
    EXPECT_EQ_INT(g->n_inputs, 1);
    EXPECT_EQ_INT(g->n_outputs, 1);
    const Tensor *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
    EXPECT_EQ_STR(in->name, "images");
    EXPECT(in->dtype == DT_F32 && in->rank == 4 && in->dims[2] == 640);
    EXPECT_EQ_STR(out->name, "output0");
    EXPECT(out->rank == 3 && out->dims[1] == 84 && out->dims[2] == 8400);
    /* an int8 weight comes from the .bin at its offset, unchanged */
    int w = graph_find_tensor(g, "Constant_325780");
    size_t bl;
    char *bin = slurp(bin_path, &bl);
    EXPECT(w >= 0 && bin && g->tensors[w].dtype == DT_I8 && g->tensors[w].nbytes == 432);
    if (w >= 0 && bin) EXPECT(!memcmp(g->tensors[w].data, bin + 67208, 432));
    free(bin);
    /* metadata.yaml */
    EXPECT_EQ_STR(g->meta.task, "detect");
    EXPECT_EQ_INT(g->meta.nc, 80);
    if (g->meta.nc == 80) {
        EXPECT_EQ_STR(g->meta.names[0], "person");
        EXPECT_EQ_STR(g->meta.names[79], "toothbrush");
    }
    EXPECT(g->meta.imgsz[0] == 640 && g->meta.imgsz[1] == 640);
    EXPECT(g->meta.n_strides == 1 && g->meta.strides[0] == 32);
    EXPECT_EQ_STR(graph_meta_prop(g, "batch"), "1");
    EXPECT_EQ_STR(graph_meta_prop(g, "imgsz"), "[640, 640]");
    EXPECT_EQ_STR(g->meta.version, "8.1.22");
    EXPECT_EQ_STR(g->meta.model_name, "YOLOv8n");
    const char *names = graph_meta_prop(g, "names");
    EXPECT(names && !strncmp(names, "{0: 'person', 1: 'bicycle',", 27));
    free(xml);
    graph_free(g);
out:
    free(xml_path);
    free(bin_path);
}

/* Our metadata.yaml from the peer's own values is byte-identical to the peer's file, and the
 * peer's IR, read and written again, reads back with the same nodes. */
static void test_peer_metadata_and_rewrite(void)
{
    const char *dir = shared_path("reference/openvino/yolov8n_int8_openvino_model");
    if (!dir) {
        SKIP("../shared not present");
        return;
    }
    char err[512], *out = temp_dir();
    Graph *g = openvino_read(dir, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g || !out) return;
    EXPECT_EQ_INT(openvino_write(g, NULL, out, "yolov8n", err, sizeof err), 0);
    char *ours = xasprintf("%s/metadata.yaml", out), *theirs = xasprintf("%s/metadata.yaml", dir);
    size_t l1, l2;
    char *a = slurp(ours, &l1), *b = slurp(theirs, &l2);
    EXPECT(a && b && l1 == l2 && !memcmp(a, b, l1));
    Graph *back = openvino_read(out, err, sizeof err);
    EXPECT_MSG(back != NULL, "%s", err);
    if (back) {
        EXPECT_EQ_INT(back->n_nodes, g->n_nodes);
        EXPECT_EQ_INT(count_type(back, "FakeQuantize"), 66);
        EXPECT_EQ_INT(back->meta.nc, 80);
    }
    graph_free(back);
    free(a);
    free(b);
    free(ours);
    free(theirs);
    fileio_remove_tree(out);
    free(out);
    graph_free(g);
}

/* ---- metadata.yaml layout ------------------------------------------------------------------- */

static const char expected_yaml[] =
    "description: Ultralytics YOLOv8n model trained on "
    "/very/long/path/to/some/dataset/configuration/file/that/is/long.yaml\n"
    "  and more words here\n"
    "date: '2025-01-02T03:04:05.123456'\n"
    "version: 8.3.185\n"
    "stride: 32\n"
    "task: detect\n"
    "batch: 1\n"
    "imgsz:\n- 640\n- 640\n"
    "names:\n  0: person\n  1: 'yes'\n  2: '1.5'\n  3: '- x'\n  4: it's\n  5: 'a: b'\n  6: '#c'\n  7: ''\n"
    "  8: 'null'\n  9: '0x1F'\n  10: 1e5\n  11: \"tab\\there\"\n  12: ' lead'\n  13: \xe4\xb8\xad\xe6\x96\x87\n"
    "args:\n  batch: 1\n  half: false\n  int8: false\n  nms: null\n  fraction: 1.0\n  iou: 0.7\n"
    "  conf: 1.0e-05\n  dynamic: false\n"
    "channels: 3\n"
    "kpt_shape:\n- 17\n- 3\n";

static void test_metadata_yaml(void)
{
    /* the values as the exporter passes them: str(v) of each Python value (what
     * yaml.safe_dump(sort_keys=False, allow_unicode=True) turned into expected_yaml) */
    static const KeyValue meta[] = {
        {"description", "Ultralytics YOLOv8n model trained on "
                        "/very/long/path/to/some/dataset/configuration/file/that/is/long.yaml and more words here"},
        {"date", "2025-01-02T03:04:05.123456"},
        {"version", "8.3.185"},
        {"stride", "32"},
        {"task", "detect"},
        {"batch", "1"},
        {"imgsz", "[640, 640]"},
        {"names", "{0: 'person', 1: 'yes', 2: '1.5', 3: '- x', 4: \"it's\", 5: 'a: b', 6: '#c', 7: '', 8: 'null', "
                  "9: '0x1F', 10: '1e5', 11: 'tab\\there', 12: ' lead', 13: '\xe4\xb8\xad\xe6\x96\x87'}"},
        {"args", "{'batch': 1, 'half': False, 'int8': False, 'nms': None, 'fraction': 1.0, 'iou': 0.7, 'conf': 1e-05, "
                 "'dynamic': False}"},
        {"channels", "3"},
        {"kpt_shape", "[17, 3]"},
    };
    Graph *g = load_yaml("yolov8n.yaml", false);
    char *dir = temp_dir(), err[512];
    EXPECT(g && dir);
    if (!g || !dir) return;
    OpenVinoOptions o = {.metadata = meta, .n_metadata = (int)ARRAY_LEN(meta), .iou = 0.5, .model_type = "YOLOv8"};
    EXPECT_EQ_INT(openvino_write(g, &o, dir, "m", err, sizeof err), 0);
    char *meta_path = xasprintf("%s/metadata.yaml", dir), *xml_path = xasprintf("%s/m.xml", dir);
    size_t len;
    char *text = slurp(meta_path, &len);
    EXPECT_MSG(text && !strcmp(text, expected_yaml), "got:\n%s", text ? text : "(none)");
    char *xml = slurp(xml_path, &len);
    EXPECT_CONTAINS(xml, "<framework>");
    EXPECT_CONTAINS(xml, "<task value=\"detect\" />");
    EXPECT_CONTAINS(xml, "<iou_threshold value=\"0.5\" />");
    EXPECT_CONTAINS(xml, "<model_type value=\"YOLOv8\" />");
    EXPECT_CONTAINS(xml, "<resize_type value=\"fit_to_window_letterbox\" />");
    Graph *b = openvino_read(xml_path, err, sizeof err);
    EXPECT_MSG(b != NULL, "%s", err);
    if (b) {
        EXPECT_EQ_STR(b->meta.task, "detect");
        EXPECT_EQ_INT(b->meta.nc, 14);
        if (b->meta.nc == 14) {
            EXPECT_EQ_STR(b->meta.names[1], "yes");
            EXPECT_EQ_STR(b->meta.names[11], "tab\there");
            EXPECT_EQ_STR(b->meta.names[13], "\xe4\xb8\xad\xe6\x96\x87");
        }
        EXPECT(b->meta.kpt_shape[0] == 17 && b->meta.kpt_shape[1] == 3);
        EXPECT_EQ_INT(b->meta.channels, 3);
        EXPECT_EQ_STR(b->meta.date, "2025-01-02T03:04:05.123456");
        /* props come back as the same str(v) */
        for (size_t i = 0; i < ARRAY_LEN(meta); i++) {
            if (!strcmp(meta[i].key, "names") || !strcmp(meta[i].key, "args")) continue;
            EXPECT_EQ_STR(graph_meta_prop(b, meta[i].key), meta[i].value);
        }
        EXPECT_EQ_STR(graph_meta_prop(b, "args"),
                      "{'batch': 1, 'half': False, 'int8': False, 'nms': None, 'fraction': 1.0, 'iou': 0.7, "
                      "'conf': 1.0e-05, 'dynamic': False}");
    }
    /* without metadata.yaml the rt_info framework section supplies it */
    unlink(meta_path);
    Graph *c = openvino_read(xml_path, err, sizeof err);
    EXPECT_MSG(c != NULL, "%s", err);
    if (c) {
        EXPECT_EQ_STR(c->meta.task, "detect");
        EXPECT_EQ_INT(c->meta.nc, 14);
        EXPECT(c->meta.imgsz[0] == 640 && c->meta.n_strides == 1 && c->meta.strides[0] == 32);
        EXPECT_EQ_STR(graph_meta_prop(c, "names"), meta[7].value);
    }
    graph_free(c);
    graph_free(b);
    free(text);
    free(xml);
    free(meta_path);
    free(xml_path);
    fileio_remove_tree(dir);
    free(dir);
    graph_free(g);
}

/* ---- the writer's refusals -------------------------------------------------------------------- */

static Graph *tiny_graph(OpKind op, const char *op_type)
{
    Graph *g = graph_new();
    int64_t d[4] = {1, 3, 8, 8};
    int x = graph_add_tensor(g, "images", DT_F32, 4, d), y = graph_add_tensor(g, "output0", DT_F32, 4, d);
    graph_add_input(g, x);
    graph_add_node(g, op, op_type, "/model.0/op", -1, &x, 1, &y, 1);
    graph_add_output(g, y);
    return g;
}

static void test_write_unmapped_op(void)
{
    Graph *g = tiny_graph(OP_OTHER, "NonZeroFancy");
    char err[512], *xml = NULL;
    uint8_t *bin = NULL;
    size_t xl, bl;
    EXPECT_EQ_INT(openvino_serialize(g, NULL, &xml, &xl, &bin, &bl, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "/model.0/op");
    EXPECT_CONTAINS(err, "NonZeroFancy");
    graph_free(g);
    g = tiny_graph(OP_RELU, NULL);
    EXPECT_EQ_INT(openvino_serialize(g, NULL, &xml, &xl, &bin, &bl, err, sizeof err), 0);
    EXPECT(xml && strstr(xml, "type=\"Relu\""));
    free(xml);
    free(bin);
    EXPECT_EQ_INT(openvino_write(g, NULL, "/nonexistent/dir", "m", err, sizeof err), -1);
    EXPECT_CONTAINS(err, "/nonexistent/dir");
    EXPECT_EQ_INT(openvino_write(g, NULL, "/tmp", "a/b", err, sizeof err), -1);
    graph_free(g);
}

/* ---- bad inputs: each one error naming the file and the problem -------------------------------- */

#define HEAD "<?xml version=\"1.0\"?>\n<net name=\"t\" version=\"11\">\n<layers>\n"
#define PARAM                                                                                          \
    "<layer id=\"0\" name=\"images\" type=\"Parameter\" version=\"opset1\"><data shape=\"1,3\" "        \
    "element_type=\"f32\"/><output><port id=\"0\" precision=\"FP32\" names=\"images\"><dim>1</dim>"      \
    "<dim>3</dim></port></output></layer>\n"
#define RELU(id)                                                                                       \
    "<layer id=\"" #id "\" name=\"relu\" type=\"Relu\" version=\"opset1\"><input><port id=\"0\" "        \
    "precision=\"FP32\"><dim>1</dim><dim>3</dim></port></input><output><port id=\"1\" precision=\"FP32\" " \
    "names=\"output0\"><dim>1</dim><dim>3</dim></port></output></layer>\n"
#define RESULT(id)                                                                                     \
    "<layer id=\"" #id "\" name=\"output0/sink_port_0\" type=\"Result\" version=\"opset1\"><input>"     \
    "<port id=\"0\" precision=\"FP32\"><dim>1</dim><dim>3</dim></port></input></layer>\n"
#define EDGE(a, b, c, d) "<edge from-layer=\"" #a "\" from-port=\"" #b "\" to-layer=\"" #c "\" to-port=\"" #d "\"/>\n"
#define GOOD_EDGES "</layers>\n<edges>\n" EDGE(0, 0, 1, 0) EDGE(1, 1, 2, 0) "</edges>\n</net>\n"

/* Read xml (with bin) and expect failure with message fragments. */
static void expect_bad(const char *xml, const uint8_t *bin, size_t bin_len, const char *want1, const char *want2)
{
    char err[512] = "";
    Graph *g = openvino_read_memory(xml, strlen(xml), bin, bin_len, NULL, 0, "bad.xml", err, sizeof err);
    EXPECT_MSG(g == NULL, "accepted: %.200s", xml);
    graph_free(g);
    EXPECT_CONTAINS(err, "bad.xml");
    if (want1) EXPECT_CONTAINS(err, want1);
    if (want2) EXPECT_CONTAINS(err, want2);
}

static void test_minimal_good(void)
{
    const char *xml = HEAD PARAM RELU(1) RESULT(2) GOOD_EDGES;
    char err[512];
    Graph *g = openvino_read_memory(xml, strlen(xml), NULL, 0, NULL, 0, "good.xml", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_INT(g->n_nodes, 1);
        EXPECT(g->nodes[0].op == OP_RELU);
        EXPECT_EQ_STR(g->tensors[g->outputs[0]].name, "output0");
    }
    graph_free(g);
}

static void test_bad_not_xml(void) { expect_bad("this is not xml <<<", NULL, 0, "line", NULL); }
static void test_bad_root(void) { expect_bad("<?xml version=\"1.0\"?><model/>", NULL, 0, "not <net>", NULL); }
static void test_bad_version(void)
{
    expect_bad("<net name=\"x\"><layers/></net>", NULL, 0, "no version", NULL);
    expect_bad("<net name=\"x\" version=\"7\"><layers/></net>", NULL, 0, "version 7", NULL);
}

static void test_bad_doctype(void)
{
    expect_bad("<?xml version=\"1.0\"?><!DOCTYPE net [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>"
               "<net version=\"11\"><layers/></net>",
               NULL, 0, "DOCTYPE", NULL);
}

static void test_bad_layer_id(void)
{
    expect_bad(HEAD "<layer name=\"x\" type=\"Relu\"/>" GOOD_EDGES, NULL, 0, "no id", NULL);
    expect_bad(HEAD "<layer id=\"-4\" name=\"x\" type=\"Relu\"/>" GOOD_EDGES, NULL, 0, "bad id", NULL);
    expect_bad(HEAD PARAM RELU(0) RESULT(2) GOOD_EDGES, NULL, 0, "used by another layer", NULL);
    expect_bad(HEAD "<layer id=\"0\" name=\"x\"/>" GOOD_EDGES, NULL, 0, "has no type", NULL);
}

static void test_bad_edges(void)
{
    expect_bad(HEAD PARAM RELU(1) RESULT(2) "</layers><edges>" EDGE(0, 0, 9, 0) "</edges></net>", NULL, 0,
               "layer 9, which does not exist", NULL);
    expect_bad(HEAD PARAM RELU(1) RESULT(2) "</layers><edges>" EDGE(0, 3, 1, 0) "</edges></net>", NULL, 0,
               "output port 3", NULL);
    expect_bad(HEAD PARAM RELU(1) RESULT(2) "</layers><edges>" EDGE(0, 0, 1, 5) "</edges></net>", NULL, 0,
               "input port 5", NULL);
    expect_bad(HEAD PARAM RELU(1) RESULT(2) "</layers><edges>" EDGE(0, 0, 1, 0) EDGE(0, 0, 1, 0) EDGE(1, 1, 2, 0)
               "</edges></net>",
               NULL, 0, "two incoming edges", NULL);
    expect_bad(HEAD PARAM RELU(1) RESULT(2) "</layers><edges>" EDGE(0, 0, 1, 0) "</edges></net>", NULL, 0,
               "not connected", "output0/sink_port_0");
    expect_bad(HEAD PARAM RELU(1) RESULT(2) "</layers><edges><edge from-layer=\"0\" to-layer=\"1\" to-port=\"0\"/>"
               "</edges></net>",
               NULL, 0, "no from-port", NULL);
}

static void test_bad_cycle(void)
{
    /* two Add layers feeding each other */
    const char *xml =
        HEAD PARAM
        "<layer id=\"1\" name=\"a\" type=\"Add\" version=\"opset1\"><input><port id=\"0\"/><port id=\"1\"/></input>"
        "<output><port id=\"2\"/></output></layer>\n"
        "<layer id=\"2\" name=\"b\" type=\"Add\" version=\"opset1\"><input><port id=\"0\"/><port id=\"1\"/></input>"
        "<output><port id=\"2\"/></output></layer>\n" RESULT(3)
        "</layers><edges>" EDGE(0, 0, 1, 0) EDGE(2, 2, 1, 1) EDGE(0, 0, 2, 0) EDGE(1, 2, 2, 1) EDGE(2, 2, 3, 0)
        "</edges></net>";
    expect_bad(xml, NULL, 0, "cycle", NULL);
}

#define CONST_LAYER(attrs)                                                                             \
    "<layer id=\"1\" name=\"w\" type=\"Const\" version=\"opset1\"><data " attrs "/><output><port id=\"0\" " \
    "precision=\"FP32\"><dim>3</dim></port></output></layer>\n"
#define ADD_TAIL                                                                                       \
    "<layer id=\"2\" name=\"add\" type=\"Add\" version=\"opset1\"><input><port id=\"0\"><dim>1</dim><dim>3</dim>" \
    "</port><port id=\"1\"><dim>3</dim></port></input><output><port id=\"2\" precision=\"FP32\" names=\"output0\">" \
    "<dim>1</dim><dim>3</dim></port></output></layer>\n" RESULT(3) "</layers><edges>" EDGE(0, 0, 2, 0)           \
    EDGE(1, 0, 2, 1) EDGE(2, 2, 3, 0) "</edges></net>"

static void test_const_good_and_misaligned(void)
{
    uint8_t bin[16] = {0};
    float f[3] = {1.5f, -2.f, 3.25f};
    memcpy(bin + 1, f, 12); /* offset 1: misaligned for f32, copied */
    const char *xml = HEAD PARAM CONST_LAYER("element_type=\"f32\" shape=\"3\" offset=\"1\" size=\"12\"") ADD_TAIL;
    char err[512];
    Graph *g = openvino_read_memory(xml, strlen(xml), bin, sizeof bin, NULL, 0, "c.xml", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        int t = graph_find_tensor(g, "w");
        EXPECT(t >= 0 && g->tensors[t].nbytes == 12 && (uintptr_t)g->tensors[t].data % 4 == 0);
        if (t >= 0) EXPECT(!memcmp(g->tensors[t].data, f, 12));
        EXPECT(g->nodes[0].op == OP_ADD);
    }
    graph_free(g);
}

static void test_bad_const(void)
{
    uint8_t bin[16] = {0};
    expect_bad(HEAD PARAM CONST_LAYER("element_type=\"f32\" shape=\"3\" offset=\"8\" size=\"12\"") ADD_TAIL, bin,
               sizeof bin, "past the end of the weights", "'w'");
    expect_bad(HEAD PARAM CONST_LAYER("element_type=\"f32\" shape=\"3\" offset=\"9223372036854775807\" size=\"12\"")
                   ADD_TAIL,
               bin, sizeof bin, "past the end", NULL);
    expect_bad(HEAD PARAM CONST_LAYER("element_type=\"f32\" shape=\"3\" offset=\"0\" size=\"8\"") ADD_TAIL, bin,
               sizeof bin, "does not match shape", NULL);
    expect_bad(HEAD PARAM CONST_LAYER("element_type=\"f32\" shape=\"3\" offset=\"0\"") ADD_TAIL, bin, sizeof bin,
               "needs element_type, shape, offset and size", NULL);
    expect_bad(HEAD PARAM CONST_LAYER("element_type=\"u4\" shape=\"3\" offset=\"0\" size=\"2\"") ADD_TAIL, bin,
               sizeof bin, "element type 'u4'", NULL);
    expect_bad(HEAD PARAM CONST_LAYER("element_type=\"f32\" shape=\"-3\" offset=\"0\" size=\"12\"") ADD_TAIL, bin,
               sizeof bin, "out of range", NULL);
    /* dims whose product overflows */
    expect_bad(HEAD PARAM
               CONST_LAYER("element_type=\"f32\" shape=\"1099511627776, 1099511627776\" offset=\"0\" size=\"12\"")
                   ADD_TAIL,
               bin, sizeof bin, "does not match shape", NULL);
    expect_bad(HEAD PARAM CONST_LAYER("element_type=\"f32\" shape=\"4\" offset=\"0\" size=\"16\"") ADD_TAIL, bin,
               sizeof bin, "port dims differ", NULL);
    expect_bad(HEAD PARAM CONST_LAYER("element_type=\"f32\" shape=\"3\" offset=\"0\" size=\"12\"") ADD_TAIL, NULL, 0,
               "past the end of the weights (0 bytes)", NULL);
}

static void test_bad_ports(void)
{
    expect_bad(HEAD "<layer id=\"0\" name=\"p\" type=\"Parameter\" version=\"opset1\"><output><port id=\"0\">"
                    "<dim>abc</dim></port></output></layer>" GOOD_EDGES,
               NULL, 0, "bad dim 'abc'", NULL);
    expect_bad(HEAD "<layer id=\"0\" name=\"p\" type=\"Parameter\" version=\"opset1\"><output><port id=\"0\">"
                    "<dim>99999999999999999999</dim></port></output></layer>" GOOD_EDGES,
               NULL, 0, "bad dim", NULL);
    expect_bad(HEAD "<layer id=\"0\" name=\"p\" type=\"Parameter\" version=\"opset1\"><output><port id=\"0\">"
                    "<dim>1</dim><dim>1</dim><dim>1</dim><dim>1</dim><dim>1</dim><dim>1</dim><dim>1</dim><dim>1</dim>"
                    "<dim>1</dim></port></output></layer>" GOOD_EDGES,
               NULL, 0, "more than 8 dims", NULL);
    expect_bad(HEAD "<layer id=\"0\" name=\"p\" type=\"Parameter\" version=\"opset1\"><output><port/></output>"
                    "</layer>" GOOD_EDGES,
               NULL, 0, "a port has no id", NULL);
    expect_bad(HEAD "<layer id=\"0\" name=\"p\" type=\"Parameter\" version=\"opset1\"><output><port id=\"0\"/>"
                    "<port id=\"0\"/></output></layer>" GOOD_EDGES,
               NULL, 0, "appears twice", NULL);
    expect_bad(HEAD "<layer id=\"0\" name=\"p\" type=\"Parameter\" version=\"opset1\"><output><port id=\"0\" "
                    "precision=\"FP99\"/></output></layer>" GOOD_EDGES,
               NULL, 0, "unknown precision 'FP99'", NULL);
}

static void test_bad_attrs(void)
{
    /* a Convolution with malformed strides, and one missing its weights edge */
    const char *conv =
        HEAD PARAM
        "<layer id=\"1\" name=\"w\" type=\"Const\" version=\"opset1\"><data element_type=\"f32\" shape=\"3, 3, 1\" "
        "offset=\"0\" size=\"36\"/><output><port id=\"0\"><dim>3</dim><dim>3</dim><dim>1</dim></port></output></layer>"
        "<layer id=\"2\" name=\"conv\" type=\"Convolution\" version=\"opset1\"><data strides=\"x\" pads_begin=\"0\" "
        "pads_end=\"0\" dilations=\"1\" auto_pad=\"explicit\"/><input><port id=\"0\"><dim>1</dim><dim>3</dim></port>"
        "<port id=\"1\"><dim>3</dim><dim>3</dim><dim>1</dim></port></input><output><port id=\"2\"><dim>1</dim>"
        "<dim>3</dim></port></output></layer>" RESULT(3) "</layers><edges>" EDGE(0, 0, 2, 0) EDGE(1, 0, 2, 1)
        EDGE(2, 2, 3, 0) "</edges></net>";
    uint8_t bin[36] = {0};
    expect_bad(conv, bin, sizeof bin, "strides 'x'", "'conv'");
    expect_bad(HEAD PARAM "<layer id=\"1\" name=\"s\" type=\"Concat\" version=\"opset1\"><data axis=\"zz\"/><input>"
                          "<port id=\"0\"/></input><output><port id=\"1\"/></output></layer>" RESULT(2) GOOD_EDGES,
               NULL, 0, "axis 'zz'", NULL);
}

static void test_bad_io(void)
{
    expect_bad(HEAD RELU(1) "</layers><edges/></net>", NULL, 0, "not connected", NULL);
    expect_bad(HEAD PARAM "</layers><edges/></net>", NULL, 0, "no Result", NULL);
    expect_bad(HEAD "</layers><edges/></net>", NULL, 0, "no layers", NULL);
}

static void test_bad_metadata(void)
{
    const char *xml = HEAD PARAM RELU(1) RESULT(2) GOOD_EDGES;
    const char *yaml = "task: detect\nnames: [a, b\n";
    char err[512];
    Graph *g = openvino_read_memory(xml, strlen(xml), NULL, 0, yaml, strlen(yaml), "m.xml", err, sizeof err);
    EXPECT(g == NULL);
    graph_free(g);
    EXPECT_CONTAINS(err, "metadata.yaml");
    EXPECT_CONTAINS(err, "line");
    /* a recursive alias and odd types are not a crash: typed fields just stay unset */
    const char *odd = "names: &a [*a]\nimgsz: {x: 1}\nstride: [banana]\ntask: [1]\n";
    g = openvino_read_memory(xml, strlen(xml), NULL, 0, odd, strlen(odd), "m.xml", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) EXPECT(g->meta.nc == 0 && g->meta.imgsz[0] == 0 && g->meta.n_strides == 0 && !g->meta.task);
    graph_free(g);
}

static void test_bad_files(void)
{
    char err[512];
    Graph *g = openvino_read("/nonexistent/model.xml", err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "/nonexistent/model.xml");
    char *dir = temp_dir();
    if (!dir) return;
    g = openvino_read(dir, err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "holds no OpenVINO .xml");
    /* an IR whose .bin is missing while a Const needs it */
    char *xml = xasprintf("%s/m.xml", dir);
    const char *text = HEAD PARAM CONST_LAYER("element_type=\"f32\" shape=\"3\" offset=\"0\" size=\"12\"") ADD_TAIL;
    EXPECT_EQ_INT(fileio_write_atomic(xml, text, strlen(text), err, sizeof err), 0);
    EXPECT_EQ_INT(openvino_sniff(xml), 1);
    g = openvino_read(xml, err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "m.xml");
    EXPECT_CONTAINS(err, "past the end of the weights");
    free(xml);
    fileio_remove_tree(dir);
    free(dir);
}

int main(void)
{
    RUN(test_roundtrip_structure);
    RUN(test_roundtrip_outputs);
    RUN(test_roundtrip_dynamic);
    RUN(test_half);
    RUN(test_peer_parity);
    RUN(test_roundtrip_nms_and_misc);
    RUN(test_roundtrip_nms_pass);
    RUN(test_peer_int8_ir);
    RUN(test_peer_metadata_and_rewrite);
    RUN(test_metadata_yaml);
    RUN(test_write_unmapped_op);
    RUN(test_minimal_good);
    RUN(test_bad_not_xml);
    RUN(test_bad_root);
    RUN(test_bad_version);
    RUN(test_bad_doctype);
    RUN(test_bad_layer_id);
    RUN(test_bad_edges);
    RUN(test_bad_cycle);
    RUN(test_const_good_and_misaligned);
    RUN(test_bad_const);
    RUN(test_bad_ports);
    RUN(test_bad_attrs);
    RUN(test_bad_io);
    RUN(test_bad_metadata);
    RUN(test_bad_files);
    return check_done();
}
