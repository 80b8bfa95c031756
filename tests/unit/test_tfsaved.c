/* test_tfsaved: the GraphDef and SavedModel writers — the messages as TensorFlow reads them
 * (decoded here with the generated protobuf-c code), the frozen-graph shape (fused
 * convolutions split, weights in Const nodes), the serving signature, the checks' refusals and
 * the recognisers; the reader (formats/tfsaved_read.c): a graph of every op the lowering
 * writes for YOLO's blocks, written and read back, runs to the same numbers (also yolov8n
 * with a dynamic height and width, at another size), and broken graphs are refused by name. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/core/fileio.h"
#include "engine/core/membudget.h"
#include "engine/exec/exec.h"
#include "engine/passes/passes.h"
#include "engine/registry/model.h"
#include "formats/tfsaved.h"
#include "tensorflow/saved_model.pb-c.h"
#include "tests/check.h"

static Graph *tiny_graph(void)
{
    Graph *g = graph_new();
    int x = graph_add_tensor(g, "images", DT_F32, 4, (int64_t[]){1, 3, 8, 8});
    graph_add_input(g, x);
    float w[4 * 3 * 3 * 3], b[4] = {0.5f, -0.5f, 1, 0};
    for (int i = 0; i < 108; i++) w[i] = (float)i / 100.0f;
    int wt = graph_add_const(g, "conv.weight", DT_F32, 4, (int64_t[]){4, 3, 3, 3}, w);
    int bt = graph_add_const(g, "conv.bias", DT_F32, 1, (int64_t[]){4}, b);
    g->tensors[wt].is_param = g->tensors[bt].is_param = true;
    int c = graph_add_tensor(g, "conv", DT_F32, 4, (int64_t[]){1, 4, 8, 8});
    int ni = graph_add_node(g, OP_CONV, NULL, "/conv/Conv", -1, (int[]){x, wt, bt}, 3, &c, 1);
    node_set_ints(g, ni, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_ints(g, ni, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    node_set_ints(g, ni, "strides", (int64_t[]){1, 1}, 2);
    int y = graph_add_tensor(g, "output0", DT_F32, 4, (int64_t[]){1, 4, 8, 8});
    graph_add_node(g, OP_SIGMOID, NULL, "/act/Sigmoid", -1, &c, 1, &y, 1);
    graph_add_output(g, y);
    return g;
}

static const char *tmp(const char *name)
{
    static char dir[256], buf[4][512];
    static int slot;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/test_tfsaved.%d", (int)getpid());
        mkdir(dir, 0755);
    }
    char *b = buf[slot++ % 4];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

static const Tensorflow__NodeDef *find(const Tensorflow__GraphDef *gd, const char *name)
{
    for (size_t i = 0; i < gd->n_node; i++)
        if (!strcmp(gd->node[i]->name, name)) return gd->node[i];
    return NULL;
}

static const Tensorflow__AttrValue *attr(const Tensorflow__NodeDef *n, const char *key)
{
    for (size_t i = 0; n && i < n->n_attr; i++)
        if (!strcmp(n->attr[i]->key, key)) return n->attr[i]->value;
    return NULL;
}

static void test_graphdef(void)
{
    Graph *g = tiny_graph();
    char err[512];
    size_t len;
    uint8_t *buf = tfsaved_graphdef_buffer(g, NULL, &len, err, sizeof err);
    EXPECT_MSG(buf != NULL, "%s", err);
    Tensorflow__GraphDef *gd = buf ? tensorflow__graph_def__unpack(NULL, len, buf) : NULL;
    EXPECT(gd != NULL);
    if (gd) {
        EXPECT(gd->versions && gd->versions->producer > 0);
        const Tensorflow__NodeDef *in = find(gd, "images");
        EXPECT(in && !strcmp(in->op, "Placeholder"));
        const Tensorflow__AttrValue *shape = attr(in, "shape");
        EXPECT(shape && shape->value_case == TENSORFLOW__ATTR_VALUE__VALUE_SHAPE && shape->shape->n_dim == 4 &&
               shape->shape->dim[3]->size == 3);
        /* the fused convolution as TensorFlow writes it: Conv2D, then BiasAdd */
        int convs = 0, biases = 0, fused = 0;
        const Tensorflow__NodeDef *conv = NULL;
        for (size_t i = 0; i < gd->n_node; i++) {
            const char *op = gd->node[i]->op;
            convs += !strcmp(op, "Conv2D");
            biases += !strcmp(op, "BiasAdd");
            fused += op[0] == '_' || !strncmp(op, "Fused", 5);
            if (!strcmp(op, "Conv2D")) conv = gd->node[i];
        }
        EXPECT_EQ_INT(convs, 1);
        EXPECT_EQ_INT(biases, 1);
        EXPECT_EQ_INT(fused, 0);
        if (conv) {
            const Tensorflow__AttrValue *pad = attr(conv, "padding"), *fmt = attr(conv, "data_format");
            EXPECT(pad && pad->value_case == TENSORFLOW__ATTR_VALUE__VALUE_S && pad->s.len == 4 && !memcmp(pad->s.data, "SAME", 4));
            EXPECT(fmt && fmt->s.len == 4 && !memcmp(fmt->s.data, "NHWC", 4));
            EXPECT(attr(conv, "fused_ops") == NULL && attr(conv, "num_args") == NULL);
            /* its filter: a Const of HWIO float32 bytes */
            const Tensorflow__NodeDef *f = conv->n_input > 1 ? find(gd, conv->input[1]) : NULL;
            const Tensorflow__AttrValue *v = attr(f, "value");
            EXPECT(f && !strcmp(f->op, "Const") && v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TENSOR);
            if (v && v->tensor) {
                EXPECT_EQ_INT(v->tensor->dtype, TENSORFLOW__DATA_TYPE__DT_FLOAT);
                EXPECT_EQ_INT(v->tensor->tensor_content.len, 108 * 4);
                EXPECT(v->tensor->tensor_shape->n_dim == 4 && v->tensor->tensor_shape->dim[0]->size == 3 &&
                       v->tensor->tensor_shape->dim[3]->size == 4);
                float w0;
                memcpy(&w0, v->tensor->tensor_content.data + 4, 4); /* HWIO[0,0,0,1] = OIHW[1,0,0,0] */
                EXPECT_NEAR(w0, 27 / 100.0, 1e-7);
            }
        }
        const Tensorflow__NodeDef *out = find(gd, "Identity");
        EXPECT(out && !strcmp(out->op, "Identity"));
        tensorflow__graph_def__free_unpacked(gd, NULL);
    }
    free(buf);
    /* written and checked as a file */
    TfSavedSummary sum;
    EXPECT_MSG(tfsaved_write_pb(g, NULL, tmp("m.pb"), &sum, err, sizeof err) == 0, "%s", err);
    EXPECT_MSG(tfsaved_check_pb(tmp("m.pb"), &sum, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_STR(sum.input_key, "images");
    EXPECT_EQ_STR(sum.output_keys, "Identity");
    EXPECT_EQ_INT(sum.const_bytes >= (108 + 4) * 4, 1);
    EXPECT(tfsaved_sniff_pb(tmp("m.pb")));
    EXPECT(!tfsaved_sniff_saved_model(tmp("m.pb")));
    graph_free(g);
}

static void test_saved_model(void)
{
    Graph *g = tiny_graph();
    char err[512];
    const char *dir = tmp("sm");
    mkdir(dir, 0755);
    TfSavedSummary sum;
    EXPECT_MSG(tfsaved_write_dir(g, NULL, dir, &sum, err, sizeof err) == 0, "%s", err);
    EXPECT_MSG(tfsaved_check_dir(dir, &sum, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_STR(sum.input_key, "images");
    EXPECT_EQ_STR(sum.output_keys, "output_0");
    char vars[600];
    snprintf(vars, sizeof vars, "%s/variables", dir);
    EXPECT(file_is_dir(vars));
    EXPECT(tfsaved_sniff_saved_model(dir));
    EXPECT(!tfsaved_sniff_pb(dir));
    /* the message as TensorFlow reads it: schema 1, one meta graph tagged serve, the signature */
    char pb[600];
    snprintf(pb, sizeof pb, "%s/saved_model.pb", dir);
    size_t len;
    char *buf = file_read_all(pb, 1 << 28, &len, err, sizeof err);
    Tensorflow__SavedModel *sm = buf ? tensorflow__saved_model__unpack(NULL, len, (uint8_t *)buf) : NULL;
    EXPECT(sm != NULL);
    if (sm) {
        EXPECT_EQ_INT(sm->saved_model_schema_version, 1);
        EXPECT_EQ_INT(sm->n_meta_graphs, 1);
        const Tensorflow__MetaGraphDef *mg = sm->meta_graphs[0];
        EXPECT(mg->meta_info_def && mg->meta_info_def->n_tags == 1 && !strcmp(mg->meta_info_def->tags[0], "serve"));
        EXPECT(mg->n_signature_def == 1 && !strcmp(mg->signature_def[0]->key, "serving_default"));
        const Tensorflow__SignatureDef *sd = mg->signature_def[0]->value;
        EXPECT_EQ_STR(sd->method_name, "tensorflow/serving/predict");
        EXPECT(sd->n_inputs == 1 && !strcmp(sd->inputs[0]->key, "images") && !strcmp(sd->inputs[0]->value->name, "images:0"));
        EXPECT(sd->n_outputs == 1 && !strcmp(sd->outputs[0]->key, "output_0") &&
               !strcmp(sd->outputs[0]->value->name, "Identity:0"));
        EXPECT(sd->inputs[0]->value->tensor_shape->n_dim == 4 && sd->inputs[0]->value->tensor_shape->dim[1]->size == 8);
        tensorflow__saved_model__free_unpacked(sm, NULL);
    }
    free(buf);
    graph_free(g);
}

static void test_check_refusals(void)
{
    char err[512];
    /* not a protobuf */
    FILE *f = fopen(tmp("junk.pb"), "wb");
    if (f) {
        fputs("\x0a\xff\xff\xff\xff\x0fnot a graph", f);
        fclose(f);
    }
    EXPECT(tfsaved_check_pb(tmp("junk.pb"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "junk.pb: not a GraphDef");
    /* an input naming no node, and a Const whose bytes do not match its shape */
    Tensorflow__NodeDef a = TENSORFLOW__NODE_DEF__INIT, c = TENSORFLOW__NODE_DEF__INIT;
    a.name = "a";
    a.op = "Identity";
    char *in[] = {"missing:0"};
    a.n_input = 1;
    a.input = in;
    Tensorflow__NodeDef *nodes[] = {&a};
    Tensorflow__GraphDef gd = TENSORFLOW__GRAPH_DEF__INIT;
    gd.n_node = 1;
    gd.node = nodes;
    uint8_t out[4096];
    size_t n = tensorflow__graph_def__pack(&gd, out);
    EXPECT(fileio_write_atomic(tmp("dangling.pb"), out, n, err, sizeof err) == 0);
    EXPECT(tfsaved_check_pb(tmp("dangling.pb"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "a: input missing:0 names no node");
    c.name = "c";
    c.op = "Const";
    Tensorflow__TensorShapeProto__Dim d = TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT, *dims[] = {&d};
    d.size = 4;
    Tensorflow__TensorShapeProto sh = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    sh.n_dim = 1;
    sh.dim = dims;
    Tensorflow__TensorProto tp = TENSORFLOW__TENSOR_PROTO__INIT;
    tp.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    tp.tensor_shape = &sh;
    uint8_t bytes[8] = {0};
    tp.tensor_content.len = 8;
    tp.tensor_content.data = bytes;
    Tensorflow__AttrValue v;
    tensorflow__attr_value__init(&v);
    v.value_case = TENSORFLOW__ATTR_VALUE__VALUE_TENSOR;
    v.tensor = &tp;
    Tensorflow__NodeDef__AttrEntry e = TENSORFLOW__NODE_DEF__ATTR_ENTRY__INIT, *es[] = {&e};
    e.key = "value";
    e.value = &v;
    c.n_attr = 1;
    c.attr = es;
    nodes[0] = &c;
    n = tensorflow__graph_def__pack(&gd, out);
    EXPECT(fileio_write_atomic(tmp("short.pb"), out, n, err, sizeof err) == 0);
    EXPECT(tfsaved_check_pb(tmp("short.pb"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "c: its tensor holds 8 bytes, its shape and type want 16");
    /* a directory without saved_model.pb */
    mkdir(tmp("empty_sm"), 0755);
    EXPECT(tfsaved_check_dir(tmp("empty_sm"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "saved_model.pb");
    EXPECT(!tfsaved_sniff_saved_model(tmp("empty_sm")));
}

/* ---- reading back ------------------------------------------------------------------------ */

static int conv(Graph *g, const char *name, int x, int64_t cin, int64_t cout, int64_t k, int64_t s, const int64_t *pads,
                int64_t group, int64_t h, int64_t w)
{
    int64_t n = cout * (cin / group) * k * k;
    float *wv = xmalloc(sizeof(float) * (size_t)n), *bv = xmalloc(sizeof(float) * (size_t)cout);
    for (int64_t i = 0; i < n; i++) wv[i] = (float)((i * 37 + cout) % 23 - 11) / 40.0f;
    for (int64_t i = 0; i < cout; i++) bv[i] = (float)(i % 5) / 10.0f - 0.2f;
    int wt = graph_add_const(g, arena_printf(g->arena, "%s.weight", name), DT_F32, 4, (int64_t[]){cout, cin / group, k, k}, wv);
    int bt = graph_add_const(g, arena_printf(g->arena, "%s.bias", name), DT_F32, 1, &cout, bv);
    free(wv);
    free(bv);
    g->tensors[wt].is_param = g->tensors[bt].is_param = true;
    int y = graph_add_tensor(g, name, DT_F32, 4, (int64_t[]){1, cout, h, w});
    int ni = graph_add_node(g, OP_CONV, NULL, arena_printf(g->arena, "/%s/Conv", name), -1, (int[]){x, wt, bt}, 3, &y, 1);
    node_set_ints(g, ni, "kernel_shape", (int64_t[]){k, k}, 2);
    node_set_ints(g, ni, "pads", pads, 4);
    node_set_ints(g, ni, "strides", (int64_t[]){s, s}, 2);
    node_set_int(g, ni, "group", group);
    return y;
}

static int silu(Graph *g, const char *name, int x, int64_t c, int64_t h, int64_t w)
{
    int64_t d[4] = {1, c, h, w};
    int s = graph_add_tensor(g, arena_printf(g->arena, "%s.sig", name), DT_F32, 4, d);
    int y = graph_add_tensor(g, arena_printf(g->arena, "%s.silu", name), DT_F32, 4, d);
    graph_add_node(g, OP_SIGMOID, NULL, arena_printf(g->arena, "/%s/Sigmoid", name), -1, &x, 1, &s, 1);
    graph_add_node(g, OP_MUL, NULL, arena_printf(g->arena, "/%s/Mul", name), -1, (int[]){x, s}, 2, &y, 1);
    return y;
}

/* YOLO's blocks in small: a strided conv with asymmetric padding, SiLU, Split, a depthwise
 * conv, MaxPool, Concat, nearest Resize, a transposed conv, a 1x1 conv, Reshape and Softmax
 * (output0), and a rank-4 second output. */
static Graph *blocks_graph(void)
{
    Graph *g = graph_new();
    int x = graph_add_tensor(g, "images", DT_F32, 4, (int64_t[]){1, 3, 16, 16});
    graph_add_input(g, x);
    int c1 = conv(g, "c1", x, 3, 8, 3, 2, (int64_t[]){0, 0, 1, 1}, 1, 8, 8); /* TF's SAME for stride 2 */
    int a1 = silu(g, "c1", c1, 8, 8, 8);
    int64_t sz[2] = {4, 4};
    int split = graph_add_const(g, "split", DT_I64, 1, (int64_t[]){2}, sz);
    int p1 = graph_add_tensor(g, "p1", DT_F32, 4, (int64_t[]){1, 4, 8, 8});
    int p2 = graph_add_tensor(g, "p2", DT_F32, 4, (int64_t[]){1, 4, 8, 8});
    int sn = graph_add_node(g, OP_SPLIT, NULL, "/split/Split", -1, (int[]){a1, split}, 2, (int[]){p1, p2}, 2);
    node_set_int(g, sn, "axis", 1);
    int d1 = conv(g, "dw", p1, 4, 4, 3, 1, (int64_t[]){1, 1, 1, 1}, 4, 8, 8);
    int mp = graph_add_tensor(g, "mp", DT_F32, 4, (int64_t[]){1, 4, 8, 8});
    int pn = graph_add_node(g, OP_MAXPOOL, NULL, "/pool/MaxPool", -1, &p2, 1, &mp, 1);
    node_set_ints(g, pn, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_ints(g, pn, "strides", (int64_t[]){1, 1}, 2);
    node_set_ints(g, pn, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    int cat = graph_add_tensor(g, "cat", DT_F32, 4, (int64_t[]){1, 8, 8, 8});
    int cn = graph_add_node(g, OP_CONCAT, NULL, "/cat/Concat", -1, (int[]){d1, mp}, 2, &cat, 1);
    node_set_int(g, cn, "axis", 1);
    float sc[4] = {1, 1, 2, 2};
    int scales = graph_add_const(g, "scales", DT_F32, 1, (int64_t[]){4}, sc);
    int up = graph_add_tensor(g, "up", DT_F32, 4, (int64_t[]){1, 8, 16, 16});
    int rn = graph_add_node(g, OP_RESIZE, NULL, "/up/Resize", -1, (int[]){cat, -1, scales}, 3, &up, 1);
    node_set_string(g, rn, "mode", "nearest");
    node_set_string(g, rn, "coordinate_transformation_mode", "asymmetric");
    node_set_string(g, rn, "nearest_mode", "floor");
    /* transposed conv 2x2 stride 2: 8 -> 4 channels, 8x8 -> 16x16 (from the pooled branch) */
    float tw[8 * 4 * 4];
    for (int i = 0; i < 128; i++) tw[i] = (float)(i % 13 - 6) / 20.0f;
    int twt = graph_add_const(g, "ct.weight", DT_F32, 4, (int64_t[]){8, 4, 2, 2}, tw);
    g->tensors[twt].is_param = true;
    int ct = graph_add_tensor(g, "ct", DT_F32, 4, (int64_t[]){1, 4, 16, 16});
    int tn = graph_add_node(g, OP_CONV_TRANSPOSE, NULL, "/ct/ConvTranspose", -1, (int[]){cat, twt}, 2, &ct, 1);
    node_set_ints(g, tn, "kernel_shape", (int64_t[]){2, 2}, 2);
    node_set_ints(g, tn, "strides", (int64_t[]){2, 2}, 2);
    int c2 = conv(g, "c2", up, 8, 4, 1, 1, (int64_t[]){0, 0, 0, 0}, 1, 16, 16);
    int sum = graph_add_tensor(g, "sum", DT_F32, 4, (int64_t[]){1, 4, 16, 16});
    graph_add_node(g, OP_ADD, NULL, "/sum/Add", -1, (int[]){c2, ct}, 2, &sum, 1);
    int64_t shp[3] = {1, 4, 256};
    int sh = graph_add_const(g, "shape", DT_I64, 1, (int64_t[]){3}, shp);
    int rs = graph_add_tensor(g, "rs", DT_F32, 3, shp);
    graph_add_node(g, OP_RESHAPE, NULL, "/rs/Reshape", -1, (int[]){sum, sh}, 2, &rs, 1);
    int y = graph_add_tensor(g, "output0", DT_F32, 3, shp);
    int sm = graph_add_node(g, OP_SOFTMAX, NULL, "/sm/Softmax", -1, &rs, 1, &y, 1);
    node_set_int(g, sm, "axis", -1);
    graph_add_output(g, y);
    int y1 = graph_add_tensor(g, "output1", DT_F32, 4, (int64_t[]){1, 8, 8, 8});
    graph_add_node(g, OP_SIGMOID, NULL, "/out1/Sigmoid", -1, &cat, 1, &y1, 1);
    graph_add_output(g, y1);
    return g;
}

/* Run g on x; the outputs copied into out0 (1024 floats) and out1 (512). */
static int run_blocks(const Graph *g, const float *x, float *out0, float *out1)
{
    char err[256];
    Exec *e = exec_new(g, err, sizeof err);
    if (!e) {
        printf("# exec_new: %s\n", err);
        return -1;
    }
    int rc = exec_set_input(e, g->tensors[g->inputs[0]].name, x, (int64_t[]){1, 3, 16, 16}, 4, err, sizeof err);
    if (!rc) rc = exec_run(e, NULL, err, sizeof err);
    int64_t d[GRAPH_MAX_RANK];
    int r;
    const float *a = rc ? NULL : exec_output(e, 0, d, &r), *b = rc ? NULL : exec_output(e, 1, d, &r);
    if (a && b) {
        memcpy(out0, a, sizeof(float) * 1024);
        memcpy(out1, b, sizeof(float) * 512);
    } else {
        printf("# exec: %s\n", rc ? err : "missing outputs");
        rc = -1;
    }
    exec_free(e);
    return rc;
}

static void expect_same_run(Graph *g, Graph *back, const char *what)
{
    char err[512] = "";
    EXPECT_MSG(pass_nhwc_as_source(back, false, err, sizeof err) == 0, "%s: %s", what, err);
    float x[768], a0[1024], a1[512], b0[1024], b1[512];
    for (int i = 0; i < 768; i++) x[i] = (float)((i * 29) % 31) / 31.0f;
    EXPECT(run_blocks(g, x, a0, a1) == 0);
    EXPECT_MSG(run_blocks(back, x, b0, b1) == 0, "%s", what);
    float worst = 0;
    for (int i = 0; i < 1024; i++) worst = fmaxf(worst, fabsf(a0[i] - b0[i]));
    for (int i = 0; i < 512; i++) worst = fmaxf(worst, fabsf(a1[i] - b1[i]));
    EXPECT_MSG(worst < 1e-5f, "%s: max |delta| %g", what, worst);
    int transposes = 0;
    for (int i = 0; i < back->n_nodes; i++) transposes += back->nodes[i].op == OP_TRANSPOSE;
    EXPECT_MSG(transposes <= 2, "%s: %d Transposes left after sinking", what, transposes); /* before Reshape, on output1 */
}

static void test_read_back_runs(void)
{
    Graph *g = blocks_graph();
    char err[512] = "";
    size_t len = 0;
    uint8_t *buf = tfsaved_graphdef_buffer(g, NULL, &len, err, sizeof err);
    EXPECT_MSG(buf != NULL, "%s", err);
    Graph *back = buf ? tfsaved_read_pb_buffer(buf, len, "blocks.pb", err, sizeof err) : NULL;
    EXPECT_MSG(back != NULL, "%s", err);
    if (back) {
        EXPECT_EQ_INT(back->n_inputs, 1);
        EXPECT_EQ_INT(back->n_outputs, 2);
        EXPECT_EQ_INT(back->meta.source_format, FMT_PB);
        int convs = 0, deconvs = 0, adds = 0;
        for (int i = 0; i < back->n_nodes; i++) {
            convs += back->nodes[i].op == OP_CONV;
            deconvs += back->nodes[i].op == OP_CONV_TRANSPOSE;
            adds += back->nodes[i].op == OP_ADD;
        }
        EXPECT_EQ_INT(convs, 3);
        EXPECT_EQ_INT(deconvs, 1);
        EXPECT_EQ_INT(adds, 1); /* the biases went back into their convolutions */
        expect_same_run(g, back, "GraphDef");
        graph_free(back);
    }
    const char *dir = getenv("TFSAVED_CORPUS_DIR"); /* the fuzz corpus' seeds: tests/fuzz/corpus/fuzz_tfsaved */
    if (dir && buf) {
        char *p = xasprintf("%s/blocks.pb", dir);
        FILE *f = fopen(p, "wb");
        if (f) {
            fputc('G', f);
            fwrite(buf, 1, len, f);
            fclose(f);
        }
        free(p);
    }
    free(buf);
    /* the SavedModel folder, its metadata.yaml beside it */
    const char *sd = tmp("blocks_saved_model");
    mkdir(sd, 0755);
    TfSavedSummary sum;
    EXPECT_MSG(tfsaved_write_dir(g, NULL, sd, &sum, err, sizeof err) == 0, "%s", err);
    char *meta = xasprintf("%s/metadata.yaml", sd);
    FILE *f = fopen(meta, "w");
    if (f) {
        fputs("task: detect\nstride: 8\nnames:\n  0: blob\n", f);
        fclose(f);
    }
    free(meta);
    back = tfsaved_read_dir(sd, err, sizeof err);
    EXPECT_MSG(back != NULL, "%s", err);
    if (back) {
        EXPECT_EQ_INT(back->meta.source_format, FMT_SAVED_MODEL);
        EXPECT_EQ_STR(back->meta.task, "detect");
        EXPECT(back->meta.nc == 1 && back->meta.names && !strcmp(back->meta.names[0], "blob"));
        expect_same_run(g, back, "SavedModel");
        graph_free(back);
    }
    if (dir) {
        size_t n = 0;
        bool absent;
        uint8_t *sm = fileio_read_beside(sd, "saved_model.pb", 1 << 24, &n, &absent, err, sizeof err);
        char *p = xasprintf("%s/blocks_saved_model.pb", dir);
        FILE *o = sm ? fopen(p, "wb") : NULL;
        if (o) {
            fputc('S', o);
            fwrite(sm, 1, n, o);
            fclose(o);
        }
        free(p);
        membudget_free(sm);
    }
    graph_free(g);
}

/* Output 0 of g run on x of the given dims (heap, *n values), NULL + a failed expectation. */
static float *run_at(const Graph *g, const float *x, const int64_t *dims, int64_t *n)
{
    char err[512] = "";
    Exec *e = exec_new(g, err, sizeof err);
    int rc = e ? exec_set_input(e, g->tensors[g->inputs[0]].name, x, dims, 4, err, sizeof err) : -1;
    if (!rc) rc = exec_run(e, NULL, err, sizeof err);
    EXPECT_MSG(rc == 0, "%s", err);
    float *out = NULL;
    int64_t od[GRAPH_MAX_RANK];
    int rank = 0;
    const float *y = rc ? NULL : exec_output(e, 0, od, &rank);
    if (y) {
        *n = 1;
        for (int i = 0; i < rank; i++) *n *= od[i];
        out = xmalloc(sizeof(float) * (size_t)*n);
        memcpy(out, y, sizeof(float) * (size_t)*n);
    }
    exec_free(e);
    return out;
}

/* dynamic=True (height and width unknown): yolov8n.yaml's GraphDef -- its Placeholder [1, -1,
 * -1, 3], Cumsum for the anchors, Shape -> StridedSlice -> Mul for the upsampling's size --
 * reads back with the size unknown and runs at 64x96 (126 anchors) as the source graph does. */
static void test_read_back_dynamic(void)
{
    char err[512] = "";
    LoadOptions lo = {.imgsz = {64, 64}, .fuse = true, .dynamic = true, .dynamic_hw_only = true};
    Graph *g = model_load("yolov8n.yaml", &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    size_t len = 0;
    uint8_t *buf = tfsaved_graphdef_buffer(g, NULL, &len, err, sizeof err);
    EXPECT_MSG(buf != NULL, "%s", err);
    Graph *back = buf ? tfsaved_read_pb_buffer(buf, len, "dynamic.pb", err, sizeof err) : NULL;
    EXPECT_MSG(back != NULL, "%s", err);
    if (back) {
        const Tensor *in = &back->tensors[back->inputs[0]];
        EXPECT(in->rank == 4 && in->dims[0] == 1 && in->dims[1] == -1 && in->dims[2] == -1 && in->dims[3] == 3);
        int cumsums = 0, shapes = 0;
        for (int i = 0; i < back->n_nodes; i++) {
            cumsums += back->nodes[i].op == OP_CUMSUM;
            shapes += back->nodes[i].op == OP_SHAPE;
        }
        EXPECT_EQ_INT(cumsums, 6); /* x and y at three levels */
        EXPECT_MSG(shapes >= 2, "%d Shape nodes (the two upsamplings' sizes)", shapes);
        EXPECT_MSG(pass_nhwc_as_source(back, false, err, sizeof err) == 0, "%s", err);
        int64_t dims[4] = {1, 3, 64, 96}, na = 0, nb = 0;
        float *x = xmalloc(sizeof(float) * 3 * 64 * 96);
        for (int i = 0; i < 3 * 64 * 96; i++) x[i] = (float)((i * 29) % 31) / 31.0f;
        float *a = run_at(g, x, dims, &na), *b = run_at(back, x, dims, &nb);
        EXPECT_MSG(na == 84 * 126 && nb == na, "%lld and %lld values, want 84 x 126", (long long)na, (long long)nb);
        double worst = 0;
        for (int64_t i = 0; a && b && na == nb && i < na; i++) worst = fmax(worst, fabs(a[i] - b[i]) / fmax(1.0, fabs(a[i])));
        EXPECT_MSG(worst < 1e-5, "max relative |delta| %g", worst);
        free(a);
        free(b);
        free(x);
        graph_free(back);
    }
    free(buf);
    graph_free(g);
}

/* Graphs the reader refuses, each naming the node and the problem. */
static void test_read_refusals(void)
{
    Graph *g = tiny_graph();
    char err[512] = "";
    size_t len = 0;
    uint8_t *buf = tfsaved_graphdef_buffer(g, NULL, &len, err, sizeof err);
    graph_free(g);
    Tensorflow__GraphDef *gd = buf ? tensorflow__graph_def__unpack(NULL, len, buf) : NULL;
    EXPECT(gd != NULL);
    if (!gd) {
        free(buf);
        return;
    }
    Tensorflow__NodeDef *conv = NULL;
    for (size_t i = 0; i < gd->n_node; i++)
        if (!strcmp(gd->node[i]->op, "Conv2D")) conv = gd->node[i];
    EXPECT(conv != NULL);
    struct {
        const char *what, *op, *input0, *want;
    } cases[] = {
        {"an op the reader does not know", "Cumprod", NULL, "node '%s' (Cumprod): op Cumprod is not read"},
        {"an input naming no node", NULL, "nowhere", "input nowhere names no node"},
        {"a cycle", NULL, "SELF", "never has its inputs"},
    };
    for (size_t c = 0; conv && c < ARRAY_LEN(cases); c++) {
        char *op0 = conv->op, *in0 = conv->input[0];
        if (cases[c].op) conv->op = (char *)cases[c].op;
        if (cases[c].input0) conv->input[0] = !strcmp(cases[c].input0, "SELF") ? conv->name : (char *)cases[c].input0;
        size_t n = tensorflow__graph_def__get_packed_size(gd);
        uint8_t *b = xmalloc(n);
        tensorflow__graph_def__pack(gd, b);
        conv->op = op0, conv->input[0] = in0;
        Graph *r = tfsaved_read_pb_buffer(b, n, "bad.pb", err, sizeof err);
        free(b);
        EXPECT_MSG(r == NULL, "%s: read", cases[c].what);
        graph_free(r);
        char want[256];
        snprintf(want, sizeof want, cases[c].want, conv->name);
        EXPECT_MSG(strstr(err, "bad.pb: ") == err && strstr(err, want), "%s: %s", cases[c].what, err);
    }
    tensorflow__graph_def__free_unpacked(gd, NULL);
    free(buf);
    Graph *r = tfsaved_read_pb_buffer((const uint8_t *)"\x0a\x05hello", 7, "junk.pb", err, sizeof err);
    EXPECT(r == NULL);
    EXPECT_CONTAINS(err, "junk.pb: ");
}

int main(void)
{
    RUN(test_graphdef);
    RUN(test_saved_model);
    RUN(test_check_refusals);
    RUN(test_read_back_runs);
    RUN(test_read_back_dynamic);
    RUN(test_read_refusals);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf /tmp/test_tfsaved.%d", (int)getpid());
    if (system(cmd) != 0) printf("# cleanup failed\n");
    return check_done();
}
