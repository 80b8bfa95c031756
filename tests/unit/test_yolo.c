/* Tests for the model builder: summary numbers of the built-in configs and of the real
 * checkpoints (when ../shared is present), graph validity and output shapes. */
#include "engine/passes.h"
#include "engine/yolo.h"
#include "tests/check.h"

static ModTree *cfg(const char *name, bool data)
{
    char err[512] = "";
    ModTree *t = yolo_cfg_load(name, data, err, sizeof err);
    if (!t) printf("     load %s: %s\n", name, err);
    return t;
}

static void test_yolov8n_yaml_summary(void)
{
    ModTree *t = cfg("yolov8n.yaml", false);
    EXPECT(t != NULL);
    if (!t) return;
    ModelSummary u, f;
    char err[256];
    EXPECT_EQ_INT(yolo_summary(t, 640, 640, &u, &f, err, sizeof err), 0);
    EXPECT_EQ_INT(u.layers, 129);
    EXPECT_EQ_INT(u.parameters, 3157200);
    EXPECT_EQ_INT(u.gradients, 3157184);
    EXPECT_NEAR(u.gflops, 8.9, 0.05);
    EXPECT_EQ_INT(f.layers, 72);
    EXPECT_EQ_INT(f.parameters, 3151904);
    EXPECT_NEAR(f.gflops, 8.7, 0.05);
    printf("     yolov8n: %.4f / %.4f GFLOPs\n", u.gflops, f.gflops);
    modtree_free(t);
}

static void test_yolov8n_yaml_graph(void)
{
    ModTree *t = cfg("yolov8n.yaml", true);
    if (!t) return;
    char err[512] = "";
    Graph *g = yolo_build(t, NULL, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_INT(graph_validate(g, err, sizeof err), 0);
        EXPECT_EQ_INT(g->n_outputs, 1);
        char buf[64];
        EXPECT_EQ_STR(shape_str(&g->tensors[g->outputs[0]], buf, sizeof buf), "[1, 84, 8400]");
        EXPECT_EQ_STR(g->tensors[g->outputs[0]].name, "output0");
        EXPECT_EQ_INT(graph_param_count(g), 3157200);
        EXPECT_EQ_INT(g->meta.n_strides, 3);
        EXPECT_EQ_INT(g->meta.strides[2], 32);
        graph_free(g);
    }
    modtree_free(t);
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
    EXPECT(graph_find_tensor(g, "model.0.conv.bias") >= 0);
    EXPECT_EQ_INT(graph_find_tensor(g, "model.0.bn.running_var"), -1);
    int root = graph_find_module(g, "");
    EXPECT(root >= 0 && g->modules[root].params == 3151904);
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

int main(void)
{
    RUN(test_fuse_yolov8n);
    RUN(test_fuse_numbers);
    RUN(test_yolov8n_yaml_summary);
    RUN(test_yolov8n_yaml_graph);
    return check_done();
}
