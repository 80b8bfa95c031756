/* test_graph_equiv: the node-for-node proof the export check relies on.  Every built-in
 * config written as ONNX and read back is the source's graph (and, run, gives the source's
 * outputs); every kind of change a writer could make by mistake (a weight bit, an attribute,
 * input order, Split sizes, a declared type, the opset, an extra output, a SiLU that is
 * not one) is found and named; the rewrites writers make on purpose (SiLU as Sigmoid·Mul,
 * constants in Constant nodes, attributes that became inputs, attributes written out or left
 * out at their default, shared constants) are not mistaken for changes. */
#include <string.h>

#include "tests/check.h"
#include "engine/exec/exec.h"
#include "engine/passes/graph_equiv.h"
#include "engine/registry/model.h"
#include "formats/onnx.h"

static Graph *load_cfg(const char *cfg, int imgsz)
{
    char err[512];
    LoadOptions lo = {.imgsz = {imgsz, imgsz}, .batch = 1, .fuse = true};
    Graph *g = model_load(cfg, &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s: %s", cfg, err);
    return g;
}

/* g written as ONNX at opset and read back, as the export's check reads its artifact */
static Graph *round_trip(const Graph *g, int opset)
{
    char err[512];
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = onnx_serialize(g, &(OnnxWriteOptions){.opset = opset}, &buf, &len, err, sizeof err);
    EXPECT_MSG(rc == 0, "%s", err);
    if (rc) return NULL;
    Graph *r = onnx_read_buffer(buf, len, "written", err, sizeof err);
    free(buf);
    EXPECT_MSG(r != NULL, "%s", err);
    return r;
}

/* Run g on a fixed input; output i copied (caller frees), its element count in *n. */
static float *run_output(const Graph *g, int imgsz, int i, int64_t *n)
{
    char err[512];
    Exec *e = exec_new(g, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (!e) return NULL;
    int64_t dims[4] = {1, 3, imgsz, imgsz}, d[GRAPH_MAX_RANK];
    size_t cnt = (size_t)(3 * imgsz * imgsz);
    float *x = malloc(sizeof(float) * cnt);
    for (size_t k = 0; k < cnt; k++) x[k] = (float)((k * 29) % 251) / 251.0f;
    float *copy = NULL;
    int rank;
    if (exec_set_input(e, g->tensors[g->inputs[0]].name, x, dims, 4, err, sizeof err) == 0 &&
        exec_run(e, NULL, err, sizeof err) == 0) {
        const float *y = exec_output(e, i, d, &rank);
        if (y) {
            *n = 1;
            for (int k = 0; k < rank; k++) *n *= d[k];
            copy = malloc(sizeof(float) * (size_t)*n);
            memcpy(copy, y, sizeof(float) * (size_t)*n);
        }
    } else {
        EXPECT_MSG(0, "%s", err);
    }
    free(x);
    exec_free(e);
    return copy;
}

static int find_node(const Graph *g, const char *op, int nth)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].op_type, op) && nth-- == 0) return i;
    return -1;
}

/* Every built-in config, written at several opsets, is its source node for node; the
 * first one also runs to show what the proof claims: the same outputs. */
static void test_round_trips_are_equivalent(void)
{
    static const char *const cfgs[] = {"yolov8n.yaml",      "yolov8n-seg.yaml", "yolov8n-pose.yaml",
                                       "yolov8n-obb.yaml",  "yolov8n-cls.yaml", "yolo11n.yaml",
                                       "yolo11n-seg.yaml",  "yolo11n-pose.yaml", "yolo11n-obb.yaml",
                                       "yolo11n-cls.yaml",  "yolov8n-p6.yaml"};
    static const int opsets[] = {13, 17, 18, 19};
    for (size_t c = 0; c < sizeof cfgs / sizeof *cfgs; c++) {
        Graph *src = load_cfg(cfgs[c], 64);
        if (!src) continue;
        for (size_t o = 0; o < sizeof opsets / sizeof *opsets; o++) {
            Graph *w = round_trip(src, opsets[o]);
            if (!w) continue;
            GraphEquiv eq;
            graph_equiv(src, w, &eq);
            EXPECT_MSG(eq.equivalent, "%s at opset %d: %s", cfgs[c], opsets[o], eq.first_diff);
            EXPECT_EQ_STR(eq.first_diff, "");
            EXPECT(eq.silu_pairs > 0);
            EXPECT(eq.const_bytes > 0);
            if (c == 0 && opsets[o] == 17) {
                EXPECT_EQ_INT(eq.matched + eq.silu_pairs, w->n_nodes); /* every Sigmoid went into a SiLU */
                int64_t na = 0, nb = 0;
                float *a = run_output(src, 64, 0, &na), *b = run_output(w, 64, 0, &nb);
                EXPECT(a && b && na == nb && na > 0);
                double worst = 0, range = 0;
                for (int64_t k = 0; a && b && na == nb && k < na; k++) {
                    double d = fabs((double)a[k] - (double)b[k]);
                    if (d > worst) worst = d;
                    if (fabs(a[k]) > range) range = fabs(a[k]);
                }
                EXPECT_MSG(worst <= 1e-6 * (range > 1 ? range : 1), "max |Δ| %g of %g", worst, range);
                free(a);
                free(b);
            }
            graph_free(w);
        }
        graph_free(src);
    }
}

/* Each change a writer could make by mistake leaves the written graph unproven, and the
 * reason names the change. */
static void test_changes_are_found(void)
{
    Graph *src = load_cfg("yolov8n.yaml", 64);
    if (!src) return;
    for (int change = 0; change < 9; change++) {
        Graph *w = round_trip(src, 17);
        if (!w) continue;
        const char *want = NULL;
        int ni;
        switch (change) {
        case 0: { /* one bit of one weight */
            int t = w->nodes[find_node(w, "Conv", 5)].inputs[1];
            ((unsigned char *)w->tensors[t].data)[7] ^= 1;
            want = "node '/model.";
            break;
        }
        case 1: /* a Conv's padding */
            ni = find_node(w, "Conv", 3);
            for (int k = 0; k < w->nodes[ni].n_attrs; k++)
                if (!strcmp(w->nodes[ni].attrs[k].name, "pads")) w->nodes[ni].attrs[k].ints[0] = 0;
            want = "(Conv) has no counterpart";
            break;
        case 2: { /* a Concat's inputs swapped */
            ni = find_node(w, "Concat", 0);
            int *in = w->nodes[ni].inputs, t = in[0];
            in[0] = in[1];
            in[1] = t;
            want = "(Concat) has no counterpart";
            break;
        }
        case 3: { /* Split sizes (an input at opset 17) */
            ni = find_node(w, "Split", 0);
            int64_t *v = (int64_t *)w->tensors[w->nodes[ni].inputs[1]].data;
            v[0] -= 1;
            v[1] += 1;
            want = "(Split) has no counterpart";
            break;
        }
        case 4: /* an activation declared float16: the executor would round it */
            ni = find_node(w, "Add", 0);
            w->tensors[w->nodes[ni].outputs[0]].dtype = DT_F16;
            want = "(Add) has no counterpart";
            break;
        case 5: /* an opset whose Softmax means something else */
            w->meta.opset = 12;
            want = "opset 12 gives some ops another meaning than the source, which is built from its layers"; /* not "the source's 0" */
            break;
        case 6: /* an extra output */
            graph_add_output(w, w->nodes[find_node(w, "Concat", 0)].outputs[0]);
            want = "2 outputs where the source has 1";
            break;
        case 7: { /* Mul(x, Sigmoid(y)) with y != x is no SiLU */
            int sg = find_node(w, "Sigmoid", 4), other = find_node(w, "Conv", 0);
            w->nodes[sg].inputs[0] = w->nodes[other].outputs[0];
            want = "/act/Sigmoid' (Sigmoid) has no counterpart";
            break;
        }
        case 8: /* the graph input declared float16 */
            w->tensors[w->inputs[0]].dtype = DT_F16;
            want = "input 0 is float16 where the source's is float32";
            break;
        }
        GraphEquiv eq;
        graph_equiv(src, w, &eq);
        EXPECT_MSG(!eq.equivalent, "change %d was not found", change);
        EXPECT_MSG(strstr(eq.first_diff, want) != NULL, "change %d: \"%s\" lacks \"%s\"", change, eq.first_diff,
                   want);
        graph_free(w);
    }
    graph_free(src);
}

/* x -> Reshape(x, shape) -> Reshape(., shape2) -> y, with the shapes as initializers or as
 * Constant nodes, shared or not */
static Graph *reshape_chain(bool constant_nodes, bool shared)
{
    Graph *g = graph_new();
    int64_t xd[2] = {2, 6}, sd[1] = {2}, s1[2] = {3, 4}, s2[2] = {3, 4};
    int x = graph_add_tensor(g, "x", DT_F32, 2, xd);
    graph_add_input(g, x);
    int shp[2];
    for (int k = 0; k < 2; k++) {
        if (k == 1 && shared) {
            shp[1] = shp[0];
            break;
        }
        const int64_t *v = k ? s2 : s1;
        if (!constant_nodes) {
            shp[k] = graph_add_const(g, k ? "s2" : "s1", DT_I64, 1, sd, v);
        } else {
            int val = graph_add_const(g, k ? "v2" : "v1", DT_I64, 1, sd, v);
            shp[k] = graph_add_tensor(g, k ? "c2" : "c1", DT_I64, 1, sd);
            int n = graph_add_node(g, OP_CONSTANT, "Constant", k ? "k2" : "k1", -1, NULL, 0, &shp[k], 1);
            node_set_tensor(g, n, "value", val);
        }
    }
    int64_t od[2] = {3, 4};
    int a = graph_add_tensor(g, "a", DT_F32, 2, od), y = graph_add_tensor(g, "y", DT_F32, 2, od);
    graph_add_node(g, OP_RESHAPE, "Reshape", "r1", -1, (int[]){x, shp[0]}, 2, &a, 1);
    graph_add_node(g, OP_RESHAPE, "Reshape", "r2", -1, (int[]){a, shp[1]}, 2, &y, 1);
    graph_add_output(g, y);
    return g;
}

static void test_rewrites_are_not_changes(void)
{
    Graph *src = reshape_chain(false, false);
    for (int form = 0; form < 3; form++) {
        Graph *w = reshape_chain(form != 1, form == 2);
        GraphEquiv eq;
        graph_equiv(src, w, &eq);
        EXPECT_MSG(eq.equivalent, "form %d: %s", form, eq.first_diff);
        graph_free(w);
    }
    /* and a different shape is a change */
    Graph *w = reshape_chain(true, false);
    for (int i = 0; i < w->n_tensors; i++)
        if (!strcmp(w->tensors[i].name, "v2")) ((int64_t *)w->tensors[i].data)[0] = 4;
    GraphEquiv eq;
    graph_equiv(src, w, &eq);
    EXPECT(!eq.equivalent);
    EXPECT_CONTAINS(eq.first_diff, "node 'k2' (Constant) has no counterpart");
    graph_free(w);
    graph_free(src);
}

/* x -> Conv(w, b) -> MaxPool -> y, with every attribute at its default written out or left
 * out; `stride` != 1 makes the Conv's strides a real change */
static Graph *conv_pool(bool explicit_defaults, int64_t stride)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 2, 8, 8}, wd[4] = {4, 2, 3, 3}, bd[1] = {4}, yd[4] = {1, 4, 8, 8};
    static const float wv[72] = {0.5f, -0.25f, 1.0f}, bv[4] = {0.1f, 0.2f, 0.3f, 0.4f};
    int x = graph_add_tensor(g, "x", DT_F32, 4, xd);
    graph_add_input(g, x);
    int w = graph_add_const(g, "w", DT_F32, 4, wd, wv), b = graph_add_const(g, "b", DT_F32, 1, bd, bv);
    int c = graph_add_tensor(g, "c", DT_F32, 4, yd), y = graph_add_tensor(g, "y", DT_F32, 4, yd);
    int conv = graph_add_node(g, OP_CONV, "Conv", "conv", -1, (int[]){x, w, b}, 3, &c, 1);
    int pool = graph_add_node(g, OP_MAXPOOL, "MaxPool", "pool", -1, &c, 1, &y, 1);
    node_set_ints(g, conv, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_ints(g, conv, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    node_set_ints(g, pool, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_ints(g, pool, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    if (explicit_defaults || stride != 1) node_set_ints(g, conv, "strides", (int64_t[]){stride, stride}, 2);
    if (explicit_defaults) {
        node_set_ints(g, conv, "dilations", (int64_t[]){1, 1}, 2);
        node_set_int(g, conv, "group", 1);
        node_set_ints(g, pool, "strides", (int64_t[]){1, 1}, 2);
        node_set_ints(g, pool, "dilations", (int64_t[]){1, 1}, 2);
        node_set_int(g, pool, "ceil_mode", 0);
    }
    graph_add_output(g, y);
    return g;
}

static void test_default_attributes(void)
{
    Graph *src = conv_pool(false, 1), *same = conv_pool(true, 1), *strided = conv_pool(true, 2);
    GraphEquiv eq;
    graph_equiv(src, same, &eq);
    EXPECT_MSG(eq.equivalent, "%s", eq.first_diff);
    graph_equiv(same, src, &eq);
    EXPECT_MSG(eq.equivalent, "%s", eq.first_diff);
    graph_equiv(src, strided, &eq);
    EXPECT(!eq.equivalent);
    EXPECT_CONTAINS(eq.first_diff, "node 'conv' (Conv) has no counterpart");
    graph_free(src);
    graph_free(same);
    graph_free(strided);
}

/* The official checkpoint against the peer's own ONNX export: a different writer, not a
 * read-back of ours; whatever the verdict, it must name where the graphs part. */
static void test_peer_export_against_checkpoint(void)
{
    const char *pt = shared_path("models/yolov8n.pt"), *onnx = shared_path("reference/peer/yolov8n.onnx");
    if (!pt || !onnx || access(pt, R_OK) || access(onnx, R_OK)) {
        SKIP("needs ../shared/models/yolov8n.pt and the peer's ONNX");
        return;
    }
    char err[512];
    LoadOptions lo = {.fuse = true};
    Graph *src = model_load(pt, &lo, err, sizeof err), *peer = onnx_read(onnx, err, sizeof err);
    EXPECT_MSG(src && peer, "%s", err);
    if (src && peer) {
        GraphEquiv eq;
        graph_equiv(src, peer, &eq);
        printf("# peer yolov8n.onnx vs yolov8n.pt: %s, %d of %d nodes matched, %.1f MB of constants equal%s%s\n",
               eq.equivalent ? "node for node" : "not node for node", eq.matched, eq.nodes,
               (double)eq.const_bytes / 1048576.0, eq.first_diff[0] ? ": " : "", eq.first_diff);
        EXPECT(eq.equivalent || eq.first_diff[0]);
        EXPECT(eq.const_bytes > 10 * 1000 * 1000); /* the same trained weights, byte for byte */
    }
    graph_free(src);
    graph_free(peer);
}

int main(void)
{
    RUN(test_round_trips_are_equivalent);
    RUN(test_changes_are_found);
    RUN(test_rewrites_are_not_changes);
    RUN(test_default_attributes);
    RUN(test_peer_export_against_checkpoint);
    return check_done();
}
