/* Tests for the model builder: the peer's summary numbers for every built-in config and for
 * the real checkpoints (those skip without ../shared), graph validity, output shapes per
 * task, strides, dynamic shapes and metadata. */
#include "engine/registry/model.h"
#include "engine/passes/passes.h"
#include "engine/builder/yolo.h"
#include "tests/check.h"

static ModTree *cfg(const char *name, bool data)
{
    char err[512] = "";
    ModTree *t = yolo_cfg_load(name, data, err, sizeof err);
    if (!t) printf("     load %s: %s\n", name, err);
    return t;
}

/* Expected figures.  Parameters and GFLOPs of the detection sizes, yolo11n pose/obb/cls and
 * the fused P6 models are the peer's own published figures; yolov8n, yolo11n and the
 * three checkpoints are the reference's; layer counts beyond those follow from the same
 * module structure.  gflops < 0: not checked; fused_params 0: not checked. */
typedef struct {
    const char *name;
    int64_t layers, params, grads;
    double gflops;
    int64_t fused_layers, fused_params, fused_grads;
    double fused_gflops;
} Expect;

static const Expect configs[] = {
    {"yolov8n.yaml", 129, 3157200, 3157184, 8.9, 72, 3151904, 31920, 8.7},
    {"yolov8s.yaml", 129, 11166560, 11166544, 28.8, 72, 11156544, 43440, 28.6},
    {"yolov8m.yaml", 169, 25902640, 25902624, 79.3, 92, 25886080, 58800, 78.9},
    {"yolov8l.yaml", 209, 43691520, 43691504, 165.7, 112, 43668288, 74160, 165.2},
    {"yolov8x.yaml", 209, 68229648, 68229632, 258.5, 112, 68200608, 92592, 257.8},
    {"yolo11n.yaml", 181, 2624080, 2624064, 6.6, 100, 2616248, 31920, 6.5},
    {"yolo11s.yaml", 181, 9458752, 9458736, 21.7, 100, 9443760, 43440, 21.5},
    {"yolo11m.yaml", 231, 20114688, 20114672, 68.5, 125, 20091712, 74160, 68.0},
    {"yolo11l.yaml", 357, 25372160, 25372144, 87.6, 190, 25340992, 74160, 86.9},
    {"yolo11x.yaml", 357, 56966176, 56966160, 196.0, 190, 56919424, 111024, 194.9},
    {"yolo11n-seg.yaml", 203, 2876848, 2876832, 9.9, 113, 2868664, 51536, 9.7},
    {"yolo11n-pose.yaml", 196, 2908507, 2908491, 7.7, 109, 2900369, 39876, 7.6},
    {"yolo11n-obb.yaml", 196, 2695747, 2695731, 6.9, 109, 2687819, 31971, 6.7},
    {"yolo11n-cls.yaml", 86, 1633584, 1633584, 3.3, 47, 1628504, 102480, 3.3},
    {"yolov8n-seg.yaml", 151, 3409968, 3409952, 12.1, 85, 3404320, 51536, 12.0},
    {"yolov8n-pose.yaml", 144, 3295470, 3295454, 9.3, 81, 3289964, 20631, 9.2},
    {"yolov8n-obb.yaml", 144, 3228867, 3228851, 9.1, 81, 3223475, 31971, 9.0},
    {"yolov8n-cls.yaml", 56, 2719288, 2719288, 4.4, 30, 2715880, 1281000, 4.3},
    {"yolov8n-p6.yaml", 170, 4984352, 4984336, 8.8, 95, 4976656, 42560, 8.7},
    {"yolov8s6.yaml", 170, 17911792, 17911776, 28.7, 95, 17897168, 57920, 28.5},
    {"yolov8m-p6.yaml", 222, 44887488, 44887472, 83.5, 121, 44862352, 78400, 83.1},
    {"yolov8l-p6.yaml", 274, 62384016, 62384000, 167.9, 147, 62351440, 98880, 167.3},
    {"yolov8x-p6.yaml", 274, 97423072, 97423056, 261.8, 147, 97382352, 123456, 261.1},
};

/* The peer prints GFLOPs with one decimal: compare what would be printed. */
static bool same_1dp(double got, double want)
{
    char a[32], b[32];
    snprintf(a, sizeof a, "%.1f", got);
    snprintf(b, sizeof b, "%.1f", want);
    return !strcmp(a, b);
}

static void check_summary(const Expect *e, const ModelSummary *u, const ModelSummary *f)
{
    EXPECT_MSG(u->layers == e->layers, "%s layers %lld != %lld", e->name, (long long)u->layers, (long long)e->layers);
    EXPECT_MSG(u->parameters == e->params, "%s parameters %lld != %lld", e->name, (long long)u->parameters,
               (long long)e->params);
    EXPECT_MSG(u->gradients == e->grads, "%s gradients %lld != %lld", e->name, (long long)u->gradients,
               (long long)e->grads);
    EXPECT_MSG(same_1dp(u->gflops, e->gflops), "%s GFLOPs %.3f != %.1f", e->name, u->gflops, e->gflops);
    EXPECT_MSG(f->layers == e->fused_layers, "%s fused layers %lld != %lld", e->name, (long long)f->layers,
               (long long)e->fused_layers);
    EXPECT_MSG(f->parameters == e->fused_params, "%s fused parameters %lld != %lld", e->name,
               (long long)f->parameters, (long long)e->fused_params);
    EXPECT_MSG(f->gradients == e->fused_grads, "%s fused gradients %lld != %lld", e->name, (long long)f->gradients,
               (long long)e->fused_grads);
    EXPECT_MSG(same_1dp(f->gflops, e->fused_gflops), "%s fused GFLOPs %.3f != %.1f", e->name, f->gflops,
               e->fused_gflops);
}

static void test_config_summaries(void)
{
    for (size_t i = 0; i < ARRAY_LEN(configs); i++) {
        ModTree *t = cfg(configs[i].name, false);
        EXPECT_MSG(t != NULL, "%s", configs[i].name);
        if (!t) continue;
        ModelSummary u, f;
        char err[256];
        EXPECT_EQ_INT(yolo_summary(t, 640, 640, &u, &f, err, sizeof err), 0);
        check_summary(&configs[i], &u, &f);
        modtree_free(t);
    }
}

static void test_checkpoint_summaries(void)
{
    static const Expect pts[] = {
        {"yolov8n.pt", 129, 3157200, 0, 8.9, 72, 3151904, 0, 8.7},
        {"yolov8s.pt", 129, 11166560, 0, 28.8, 72, 11156544, 0, 28.6},
        {"yolo11n-seg.pt", 203, 2876848, 0, 9.9, 113, 2868664, 0, 9.7},
    };
    if (!shared_dir()) {
        SKIP("../shared not present");
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(pts); i++) {
        char rel[128], err[512] = "";
        snprintf(rel, sizeof rel, "models/%s", pts[i].name);
        LoadOptions o = {0};
        o.shapes_only = true;
        Graph *g = model_load(shared_path(rel), &o, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s", err);
        if (!g) continue;
        EXPECT(g->meta.summary.valid);
        check_summary(&pts[i], &g->meta.summary, &g->meta.fused_summary);
        EXPECT_EQ_INT(g->meta.nc, 80);
        EXPECT_EQ_STR(g->meta.names[0], "person");
        EXPECT_EQ_STR(format_id_key(g->meta.source_format), "pt");
        graph_free(g);
    }
}

/* Output shapes, strides and names per task, on graphs with weights. */
static void test_task_shapes(void)
{
    static const struct {
        const char *name, *task, *out0, *out1;
        int n_strides, top_stride;
    } cases[] = {
        {"yolov8n.yaml", "detect", "[1, 84, 8400]", NULL, 3, 32},
        {"yolo11n-seg.yaml", "segment", "[1, 116, 8400]", "[1, 32, 160, 160]", 3, 32},
        {"yolov8n-pose.yaml", "pose", "[1, 56, 8400]", NULL, 3, 32},
        {"yolo11n-pose.yaml", "pose", "[1, 135, 8400]", NULL, 3, 32},
        {"yolo11n-obb.yaml", "obb", "[1, 85, 8400]", NULL, 3, 32},
        {"yolov8n-cls.yaml", "classify", "[1, 1000]", NULL, 1, 1},
        {"yolo11n-cls.yaml", "classify", "[1, 80]", NULL, 1, 1},
        {"yolov8n-p6.yaml", "detect", "[1, 84, 8500]", NULL, 4, 64},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        ModTree *t = cfg(cases[i].name, true);
        if (!t) {
            EXPECT_MSG(0, "%s did not load", cases[i].name);
            continue;
        }
        char err[512] = "", buf[64];
        Graph *g = yolo_build_take(t, NULL, err, sizeof err);
        modtree_free(t);
        EXPECT_MSG(g != NULL, "%s: %s", cases[i].name, err);
        if (!g) continue;
        EXPECT_MSG(graph_validate(g, err, sizeof err) == 0, "%s: %s", cases[i].name, err);
        EXPECT_EQ_STR(g->meta.task, cases[i].task);
        EXPECT_EQ_INT(g->n_outputs, cases[i].out1 ? 2 : 1);
        EXPECT_EQ_STR(g->tensors[g->outputs[0]].name, "output0");
        EXPECT_EQ_STR(shape_str(&g->tensors[g->outputs[0]], buf, sizeof buf), cases[i].out0);
        if (cases[i].out1 && g->n_outputs > 1) {
            EXPECT_EQ_STR(g->tensors[g->outputs[1]].name, "output1");
            EXPECT_EQ_STR(shape_str(&g->tensors[g->outputs[1]], buf, sizeof buf), cases[i].out1);
        }
        EXPECT_EQ_INT(g->meta.n_strides, cases[i].n_strides);
        EXPECT_EQ_INT(g->meta.strides[g->meta.n_strides - 1], cases[i].top_stride);
        EXPECT_EQ_STR(g->tensors[g->inputs[0]].name, "images");
        EXPECT_EQ_INT(graph_param_count(g), g->meta.summary.parameters);
        /* every weight was synthesized and converted */
        for (int k = 0; k < g->n_tensors; k++)
            if (g->tensors[k].is_param) EXPECT_MSG(g->tensors[k].data != NULL, "%s has no data", g->tensors[k].name);
        graph_free(g);
    }
}

/* Node names and op forms as the peer's ONNX export has them. */
static void test_peer_names(void)
{
    ModTree *t = cfg("yolov8n.yaml", false);
    if (!t) return;
    LoadOptions o = {0};
    o.shapes_only = true;
    char err[256];
    Graph *g = yolo_build(t, &o, err, sizeof err);
    modtree_free(t);
    EXPECT(g != NULL);
    if (!g) return;
    static const char *const nodes[] = {
        "/model.0/conv/Conv",           "/model.0/bn/BatchNormalization", "/model.0/act/SiLU",
        "/model.2/Split",               "/model.2/m.0/cv1/conv/Conv",      "/model.2/m.0/Add",
        "/model.9/m/MaxPool",           "/model.9/m_1/MaxPool",           "/model.9/m_2/MaxPool",
        "/model.10/Resize",             "/model.22/cv2.0/cv2.0.0/conv/Conv", "/model.22/cv3.2/cv3.2.2/Conv",
        "/model.22/dfl/Softmax",        "/model.22/dfl/conv/Conv",        "/model.22/Sigmoid",
    };
    for (size_t i = 0; i < ARRAY_LEN(nodes); i++) {
        bool found = false;
        for (int k = 0; k < g->n_nodes && !found; k++) found = !strcmp(g->nodes[k].name, nodes[i]);
        EXPECT_MSG(found, "no node %s", nodes[i]);
    }
    int w = graph_find_tensor(g, "model.22.dfl.conv.weight");
    EXPECT(w >= 0 && !g->tensors[w].requires_grad && g->tensors[w].is_param);
    EXPECT(graph_find_tensor(g, "/model.0/conv/Conv_output_0") >= 0);
    /* the Detect module records its output; the tree has every module */
    int det = graph_find_module(g, "model.22");
    EXPECT(det >= 0 && !strcmp(g->modules[det].type, "Detect"));
    EXPECT(det >= 0 && g->modules[det].out_tensor == g->outputs[0]);
    EXPECT(graph_find_module(g, "model.22.dfl.conv") >= 0);
    graph_free(g);
}

static void test_imgsz_and_batch(void)
{
    ModTree *t = cfg("yolo11n-seg.yaml", false);
    if (!t) return;
    LoadOptions o = {0};
    o.shapes_only = true;
    o.imgsz[0] = 384;
    o.imgsz[1] = 640;
    o.batch = 2;
    char err[256], buf[64];
    Graph *g = yolo_build(t, &o, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_STR(shape_str(&g->tensors[g->inputs[0]], buf, sizeof buf), "[2, 3, 384, 640]");
        EXPECT_EQ_STR(shape_str(&g->tensors[g->outputs[0]], buf, sizeof buf), "[2, 116, 5040]");
        EXPECT_EQ_STR(shape_str(&g->tensors[g->outputs[1]], buf, sizeof buf), "[2, 32, 96, 160]");
        EXPECT_EQ_INT(g->meta.imgsz[0], 384);
        EXPECT_EQ_INT(g->meta.imgsz[1], 640);
        /* GFLOPs scale with the image area */
        EXPECT_NEAR(g->meta.summary.gflops, 9.9 * 384 * 640 / (640.0 * 640.0), 0.06);
        graph_free(g);
    }
    o.imgsz[0] = o.imgsz[1] = 100; /* not a multiple of 32 */
    g = yolo_build(t, &o, err, sizeof err);
    EXPECT(g == NULL);
    if (!g) EXPECT_CONTAINS(err, "multiple");
    graph_free(g);
    modtree_free(t);
}

static void test_dynamic_dims(void)
{
    ModTree *t = cfg("yolo11n-seg.yaml", false);
    if (!t) return;
    LoadOptions o = {0};
    o.shapes_only = true;
    o.dynamic = true;
    char err[256], buf[96];
    Graph *g = yolo_build(t, &o, err, sizeof err);
    modtree_free(t);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    EXPECT_EQ_STR(shape_str(&g->tensors[g->inputs[0]], buf, sizeof buf), "[batch, 3, height, width]");
    EXPECT_EQ_STR(shape_str(&g->tensors[g->outputs[0]], buf, sizeof buf), "[batch, 116, anchors]");
    EXPECT_EQ_STR(shape_str(&g->tensors[g->outputs[1]], buf, sizeof buf), "[batch, 32, mask_height, mask_width]");
    /* anchors come from Shape of the feature maps, not from constants */
    int shapes = 0, ranges = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        shapes += g->nodes[i].op == OP_SHAPE;
        ranges += !strcmp(g->nodes[i].op_type, "Range");
    }
    EXPECT(shapes >= 3);
    EXPECT_EQ_INT(ranges, 6);
    EXPECT_EQ_INT(graph_find_tensor(g, "/model.23/anchors"), -1);
    graph_free(g);
}

static void test_fuse_yolov8n(void)
{
    ModTree *t = cfg("yolov8n.yaml", true);
    if (!t) return;
    char err[512] = "";
    Graph *g = yolo_build(t, NULL, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    modtree_free(t);
    if (!g) return;
    int bn_before = 0, conv_before = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        bn_before += g->nodes[i].op == OP_BATCHNORM;
        conv_before += g->nodes[i].op == OP_CONV;
    }
    EXPECT_EQ_INT(bn_before, 57);
    EXPECT_EQ_INT(pass_fuse_bn(g, err, sizeof err), 57);
    int bn = 0, conv = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        bn += g->nodes[i].op == OP_BATCHNORM;
        conv += g->nodes[i].op == OP_CONV;
    }
    EXPECT_EQ_INT(bn, 0);
    EXPECT_EQ_INT(conv, conv_before);
    EXPECT_MSG(graph_validate(g, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(graph_param_count(g), 3151904);
    EXPECT_EQ_INT(graph_find_module(g, "model.0.bn"), -1);
    int c0 = graph_find_module(g, "model.0.conv");
    EXPECT(c0 >= 0);
    if (c0 >= 0) EXPECT_EQ_INT(g->modules[c0].params, 16 * 3 * 9 + 16);
    int bias = graph_find_tensor(g, "model.0.conv.bias");
    EXPECT(bias >= 0 && !g->tensors[bias].requires_grad);
    EXPECT_EQ_INT(graph_find_tensor(g, "model.0.bn.running_var"), -1);
    int root = graph_find_module(g, "");
    EXPECT(root >= 0 && g->modules[root].params == 3151904);
    /* a second pass finds nothing left to fold */
    EXPECT_EQ_INT(pass_fuse_bn(g, err, sizeof err), 0);
    graph_free(g);
}

/* Fold a hand-made Conv+BN and compare with the formula. */
static void test_fuse_numbers(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {2, 2, 1, 1}, cd[1] = {2};
    int x = graph_add_tensor(g, "x", DT_F32, 4, xd);
    graph_add_input(g, x);
    float w[4] = {1, 2, 3, 4}, gam[2] = {2, 0.5f}, bet[2] = {1, -1}, mu[2] = {0.5f, -2}, var[2] = {4, 0.25f};
    int wt = graph_add_const(g, "c.weight", DT_F32, 4, wd, w);
    g->tensors[wt].is_param = true;
    int in[5] = {x, wt, -1, -1, -1};
    int y = graph_add_tensor(g, "y", DT_F32, 4, xd);
    graph_add_node(g, OP_CONV, NULL, "conv", -1, in, 2, &y, 1);
    in[0] = y;
    in[1] = graph_add_const(g, "g", DT_F32, 1, cd, gam);
    in[2] = graph_add_const(g, "b", DT_F32, 1, cd, bet);
    in[3] = graph_add_const(g, "m", DT_F32, 1, cd, mu);
    in[4] = graph_add_const(g, "v", DT_F32, 1, cd, var);
    int z = graph_add_tensor(g, "z", DT_F32, 4, xd);
    int bn = graph_add_node(g, OP_BATCHNORM, NULL, "bn", -1, in, 5, &z, 1);
    node_set_float(g, bn, "epsilon", 0.0);
    graph_add_output(g, z);
    char err[256];
    EXPECT_EQ_INT(pass_fuse_bn(g, err, sizeof err), 1);
    EXPECT_EQ_INT(g->n_nodes, 1);
    EXPECT_EQ_INT(g->nodes[0].n_inputs, 3);
    EXPECT_EQ_STR(g->tensors[g->nodes[0].outputs[0]].name, "z");
    const float *fw = g->tensors[g->nodes[0].inputs[1]].data, *fb = g->tensors[g->nodes[0].inputs[2]].data;
    /* s = gamma / sqrt(var) = (1, 1); bias = beta - gamma * mean / sqrt(var) = (0.5, 1) */
    EXPECT_NEAR(fw[0], 1, 1e-6);
    EXPECT_NEAR(fw[3], 4, 1e-6);
    EXPECT_NEAR(fb[0], 0.5, 1e-6);
    EXPECT_NEAR(fb[1], 1.0, 1e-6);
    EXPECT_EQ_STR(g->tensors[g->nodes[0].inputs[2]].name, "c.bias");
    EXPECT_EQ_INT(g->n_tensors, 4); /* x, weight, z, bias */
    EXPECT_EQ_INT(graph_validate(g, err, sizeof err), 0);
    graph_free(g);
}

/* A checkpoint fused on load: the graph's own counts agree with the fused summary. */
static void test_fuse_checkpoint(void)
{
    if (!shared_dir()) {
        SKIP("../shared not present");
        return;
    }
    char err[512] = "";
    LoadOptions o = {0};
    o.fuse = true;
    Graph *g = model_load(shared_path("models/yolo11n-seg.pt"), &o, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    EXPECT_MSG(graph_validate(g, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(graph_param_count(g), g->meta.fused_summary.parameters);
    for (int i = 0; i < g->n_nodes; i++) EXPECT(g->nodes[i].op != OP_BATCHNORM);
    graph_free(g);
}

static void test_model_names(void)
{
    char buf[64];
    EXPECT_EQ_STR(yolo_model_name("yolov8n.yaml", buf, sizeof buf), "YOLOv8n");
    EXPECT_EQ_STR(yolo_model_name("yolo11n-seg.yaml", buf, sizeof buf), "YOLO11n-seg");
    EXPECT_EQ_STR(yolo_model_name("/a/b/yolov8s-p6.yaml", buf, sizeof buf), "YOLOv8s-p6");
    EXPECT_EQ_STR(yolo_model_name(NULL, buf, sizeof buf), "Model");
    ModTree *t = cfg("yolov8n6.yaml", false);
    EXPECT(t != NULL);
    if (t) {
        EXPECT_EQ_STR(t->yaml_file, "yolov8n-p6.yaml");
        EXPECT_EQ_INT(yolo_max_stride(t), 64);
        modtree_free(t);
    }
}

/* Damaged module trees (as a hostile or odd checkpoint could give) fail with a message
 * naming the module, never crash. */
static void expect_build_error(ModTree *t, const char *needle)
{
    char err[512] = "";
    LoadOptions o = {0};
    o.shapes_only = true;
    Graph *g = yolo_build(t, &o, err, sizeof err);
    EXPECT_MSG(g == NULL, "built anyway (wanted: %s)", needle);
    graph_free(g);
    EXPECT_CONTAINS(err, needle);
}

static void test_bad_trees(void)
{
    ModTree *t = cfg("yolov8n.yaml", false);
    if (!t) return;
    ModNode *m2 = modtree_find(t, "model.2");
    const char *type = m2->type;
    m2->type = "FancyBlock";
    expect_build_error(t, "model.2: module type 'FancyBlock' is not supported");
    m2->type = type;
    /* a layer that takes input from a later layer */
    ModAttr *f = (ModAttr *)modtree_attr(modtree_find(t, "model.11"), "f");
    int64_t saved = f->ints[1];
    f->ints[1] = 20;
    expect_build_error(t, "model.11: layer takes input from layer 20");
    f->ints[1] = saved;
    /* a conv whose weight does not fit its input */
    ModTensor *w = (ModTensor *)modtree_tensor(modtree_find(t, "model.1.conv"), "weight");
    w->dims[1] = 5;
    expect_build_error(t, "model.1");
    w->dims[1] = 16;
    /* absurd geometry */
    ModAttr *st = (ModAttr *)modtree_attr(modtree_find(t, "model.3.conv"), "stride");
    st->ints[0] = 1 << 30;
    expect_build_error(t, "model.3.conv: Conv2d has an invalid stride");
    st->ints[0] = 2;
    /* a missing submodule */
    ModNode *sppf = modtree_find(t, "model.9");
    sppf->children[0]->name = "cvX";
    expect_build_error(t, "model.9: SPPF has no 'cv1' submodule");
    sppf->children[0]->name = "cv1";
    /* intact again: it builds */
    char err[256];
    LoadOptions o = {0};
    o.shapes_only = true;
    Graph *g = yolo_build(t, &o, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    graph_free(g);
    modtree_free(t);
}

int main(void)
{
    RUN(test_bad_trees);
    RUN(test_config_summaries);
    RUN(test_checkpoint_summaries);
    RUN(test_task_shapes);
    RUN(test_peer_names);
    RUN(test_imgsz_and_batch);
    RUN(test_dynamic_dims);
    RUN(test_fuse_yolov8n);
    RUN(test_fuse_numbers);
    RUN(test_fuse_checkpoint);
    RUN(test_model_names);
    return check_done();
}
