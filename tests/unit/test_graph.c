/* Tests for the graph IR and util helpers. */
#include "engine/core/graph.h"
#include "tests/check.h"

static void test_tensors_and_nodes(void)
{
    Graph *g = graph_new();
    int64_t d[4] = {1, 3, 8, 8};
    int x = graph_add_tensor(g, "images", DT_F32, 4, d);
    graph_add_input(g, x);
    float w[3 * 3] = {0};
    int64_t wd[4] = {1, 3, 1, 1};
    int wt = graph_add_const(g, "w", DT_F32, 4, wd, w);
    int64_t yd[4] = {1, 1, 8, 8};
    int y = graph_add_tensor(g, "y", DT_F32, 4, yd);
    int in[2] = {x, wt};
    int n = graph_add_node(g, OP_CONV, NULL, "/conv/Conv", -1, in, 2, &y, 1);
    int64_t k[2] = {1, 1};
    node_set_ints(g, n, "kernel_shape", k, 2);
    node_set_int(g, n, "group", 1);
    graph_add_output(g, y);
    char err[256];
    EXPECT_EQ_INT(graph_validate(g, err, sizeof err), 0);
    EXPECT_EQ_STR(g->nodes[n].op_type, "Conv");
    EXPECT_EQ_INT(node_attr_int(&g->nodes[n], "group", 0), 1);
    int64_t ks[2];
    EXPECT_EQ_INT(node_attr_ints(&g->nodes[n], "kernel_shape", ks, 2), 2);
    EXPECT_EQ_INT(g->tensors[y].producer, n);
    EXPECT_EQ_INT(tensor_numel(&g->tensors[x]), 192);
    char buf[64];
    EXPECT_EQ_STR(shape_str(&g->tensors[x], buf, sizeof buf), "[1, 3, 8, 8]");
    int cons[4];
    EXPECT_EQ_INT(graph_consumers(g, x, cons, 4), 1);
    graph_free(g);
}

static void test_validate_rejects_undefined_input(void)
{
    Graph *g = graph_new();
    int a = graph_add_tensor(g, "a", DT_F32, 0, NULL);
    int b = graph_add_tensor(g, "b", DT_F32, 0, NULL);
    graph_add_node(g, OP_RELU, NULL, "relu", -1, &a, 1, &b, 1);
    char err[256] = "";
    EXPECT_EQ_INT(graph_validate(g, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "before it is defined");
    graph_free(g);
}

static void test_half_roundtrip(void)
{
    float vals[] = {0.f, 1.f, -2.5f, 65504.f, 1e-5f, 0.333251953125f};
    for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
        float back = half_to_float(float_to_half(vals[i]));
        EXPECT_NEAR(back, vals[i], fabsf(vals[i]) * 1e-3f + 1e-7f);
    }
    EXPECT_EQ_INT(float_to_half(1.0f), 0x3c00);
    EXPECT(isinf(half_to_float(float_to_half(1e6f))));
}

static void test_overflow_checks(void)
{
    int64_t dims[3] = {INT64_MAX / 2, 4, 1};
    int64_t p;
    EXPECT(!dims_product(dims, 3, &p));
    int64_t neg[2] = {3, -1};
    EXPECT(!dims_product(neg, 2, &p));
    size_t s;
    EXPECT(!size_mul(SIZE_MAX / 2, 3, &s));
    EXPECT(size_mul(1000, 1000, &s) && s == 1000000);
}

int main(void)
{
    RUN(test_tensors_and_nodes);
    RUN(test_validate_rejects_undefined_input);
    RUN(test_half_roundtrip);
    RUN(test_overflow_checks);
    return check_done();
}
