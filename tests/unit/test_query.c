/* The Graph screen's search language on a graph built in code: words (names, ops, shapes,
 * attributes; several words one phrase), op:, type:, name:, shape: with ?, out:/in: with
 * comparisons, params with k/M suffixes, the attribute letters k: s: p: d: g: and any other
 * attribute by its name, terms that hold only together, and the messages for bad terms. */
#include <stdlib.h>
#include <string.h>

#include "engine/query/query.h"
#include "tests/check.h"
#include "tests/unit/test_tui_fixture.h"

/* How many nodes / modules of g the query holds for. */
static int nodes_hit(const Graph *g, const char *text)
{
    char err[256] = "";
    Query *q = query_parse(text, err, sizeof err);
    EXPECT_MSG(q != NULL, "%s: %s", text, err);
    if (!q) return -1;
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += query_match_node(q, g, i);
    query_free(q);
    return n;
}

static int modules_hit(const Graph *g, const char *text)
{
    Query *q = query_parse(text, NULL, 0);
    if (!q) return -1;
    int n = 0;
    for (int i = 0; i < g->n_modules; i++) n += query_match_module(q, g, i, NULL, -1);
    query_free(q);
    return n;
}

static void test_terms(void)
{
    Graph *g = fixture_graph(3); /* Convs: model.0 3->8, C2f 8->8->8->16, 3 x 16->16, SPPF cv1 16->16; MaxPool, Reshape */
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == OP_CONV) {
            int64_t s1[2] = {1, 1}, s2[2] = {2, 2};
            node_set_ints(g, i, "strides", !strcmp(g->nodes[i].name, "/model.0/conv/Conv") ? s2 : s1, 2);
        }
    EXPECT_EQ_INT(nodes_hit(g, "op:Conv"), 8);
    EXPECT_EQ_INT(nodes_hit(g, "op:conv"), 8);             /* no case */
    EXPECT_EQ_INT(nodes_hit(g, "op:Con"), 0);              /* the op, not a prefix */
    EXPECT_EQ_INT(nodes_hit(g, "op:Conv out:16"), 5);      /* C2f cv2, three layers, SPPF cv1 */
    EXPECT_EQ_INT(nodes_hit(g, "op:Conv out:8"), 3);
    EXPECT_EQ_INT(nodes_hit(g, "op:Conv out>8"), 5);
    EXPECT_EQ_INT(nodes_hit(g, "op:Conv out<=8 in:3"), 1);
    EXPECT_EQ_INT(nodes_hit(g, "k:3"), 8);
    EXPECT_EQ_INT(nodes_hit(g, "k:3x3 s:2"), 1);
    EXPECT_EQ_INT(nodes_hit(g, "k:3 s:2"), 1);
    EXPECT_EQ_INT(nodes_hit(g, "k:1"), 0);
    EXPECT_EQ_INT(nodes_hit(g, "kernel_shape:3"), 8);      /* an attribute by its name */
    EXPECT_EQ_INT(nodes_hit(g, "shape:1x16x16x16"), 6);    /* three Convs and their SiLUs */
    EXPECT_EQ_INT(nodes_hit(g, "shape:1x?x16x16"), 6);
    EXPECT_EQ_INT(nodes_hit(g, "shape:1x16x2x2"), 3);      /* SPPF cv1's Conv and SiLU, the MaxPool */
    EXPECT_EQ_INT(nodes_hit(g, "params>2k"), 4);           /* 16x16x9 = 2304: three layers and SPPF cv1 */
    EXPECT_EQ_INT(nodes_hit(g, "params>=2.304k op:Conv"), 4);
    EXPECT_EQ_INT(nodes_hit(g, "params>2.304k"), 0);
    EXPECT_EQ_INT(nodes_hit(g, "params:0"), 10);           /* the SiLUs, MaxPool and Reshape */
    EXPECT_EQ_INT(nodes_hit(g, "MaxPool"), 2);             /* a word: the op, and the node reading its output */
    EXPECT_EQ_INT(nodes_hit(g, "maxpool_output"), 2);      /* a tensor name: its producer and its reader */
    EXPECT_EQ_INT(nodes_hit(g, "[1, 6, 4]"), 1);           /* a shape, as shown: one phrase */
    EXPECT_EQ_INT(nodes_hit(g, "kernel_shape=[3, 3]"), 8); /* an attribute, as shown */
    EXPECT_EQ_INT(nodes_hit(g, "name:model.1.m"), 2);      /* the Bottleneck's Conv and SiLU */
    EXPECT_EQ_INT(nodes_hit(g, "name:/model.1."), 6);
    EXPECT_EQ_INT(nodes_hit(g, ""), g->n_nodes);
    /* modules: type:, shapes, params; node-only terms never hold */
    EXPECT_EQ_INT(modules_hit(g, "type:C2f"), 1);
    EXPECT_EQ_INT(modules_hit(g, "type:Conv out:16"), 5);
    EXPECT_EQ_INT(modules_hit(g, "op:Conv"), 0);
    EXPECT_EQ_INT(modules_hit(g, "SPPF"), 1);
    EXPECT_EQ_INT(modules_hit(g, "params>10k"), 2);        /* the model and its layer list */
    /* a module as a browser shows it: a name group's kind */
    Query *q = query_parse("type:Detect", NULL, 0);
    int det = graph_find_module(g, "model.6");
    EXPECT(det >= 0 && query_match_module(q, g, det, NULL, -1));
    EXPECT(det >= 0 && !query_match_module(q, g, det, "Concat", -1));
    query_free(q);
    graph_free(g);
}

static void test_bad_terms(void)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"shape:1xbigx2", "a shape is dims joined by x"},
        {"out:many", "out takes a number"},
        {"params>lots", "params takes a number"},
        {"op>Conv", "op takes a name"},
        {"k>3x3", "only one number compares"},
        {"out:3x3", "out takes one number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        Query *q = query_parse(bad[i].text, err, sizeof err);
        EXPECT_MSG(q == NULL, "%s parsed", bad[i].text);
        query_free(q);
        EXPECT_CONTAINS(err, bad[i].msg);
        EXPECT_CONTAINS(err, bad[i].text);
    }
    /* a key that is no attribute's, with a value that is no number: a word */
    Query *q = query_parse("aten::_convolution", NULL, 0);
    EXPECT(q != NULL);
    query_free(q);
}

int main(void)
{
    RUN(test_terms);
    RUN(test_bad_terms);
    return check_done();
}
