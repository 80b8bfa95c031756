/* Export passes on small hand-built graphs, checked by running them through the executor:
 * nms (against detections worked out by hand), half (dtypes, float32-only slots, numbers),
 * simplify (folded shape chains, dead nodes, identical results), the topological sort, and
 * the layout passes (Transposes sunk and cancelled, Pads folded into convolutions: same numbers). */
#include <math.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/export/export.h"
#include "engine/passes/passes.h"
#include "engine/core/graph.h"
#include "tests/check.h"

static int input(Graph *g, const char *name, DType dt, int rank, const int64_t *dims)
{
    int t = graph_add_tensor(g, name, dt, rank, dims);
    graph_add_input(g, t);
    return t;
}

static void output(Graph *g, int t) { graph_add_output(g, t); }

static int node(Graph *g, const char *op, const int *ins, int nin, int out)
{
    char name[64];
    snprintf(name, sizeof name, "/n%d/%s", g->n_nodes, op);
    return graph_add_node(g, op_from_name(op), op, name, -1, ins, nin, &out, 1);
}

/* Run g on one float input; copy output i into out (at most max floats).  Returns the
 * element count, -1 on error (message printed). */
static int64_t run(const Graph *g, const char *in_name, const float *x, const int64_t *xd, int xr, int i, float *out,
                   int64_t max, int64_t *od, int *orank)
{
    char err[256];
    Exec *e = exec_new(g, err, sizeof err);
    if (!e) {
        printf("# exec_new: %s\n", err);
        return -1;
    }
    int64_t n = -1;
    if (exec_set_input(e, in_name, x, xd, xr, err, sizeof err) == 0 && exec_run(e, NULL, err, sizeof err) == 0) {
        const float *y = exec_output(e, i, od, orank);
        if (y) {
            n = 1;
            for (int k = 0; k < *orank; k++) n *= od[k];
            if (n > max) n = max;
            memcpy(out, y, sizeof(float) * (size_t)n);
        }
    } else {
        printf("# exec: %s\n", err);
    }
    exec_free(e);
    return n;
}

/* ---- nms ------------------------------------------------------------------------------ */

/* A "model" whose output0 is its input: (B, 4+nc, A) predictions we write by hand. */
static Graph *pred_graph(int64_t B, int nc, int64_t A)
{
    Graph *g = graph_new();
    int64_t d[3] = {B, 4 + nc, A};
    int x = input(g, "pred", DT_F32, 3, d);
    int y = graph_add_tensor(g, "output0", DT_F32, 3, d);
    node(g, "Identity", &x, 1, y);
    output(g, y);
    g->meta.task = "detect";
    g->meta.nc = nc;
    g->meta.imgsz[0] = g->meta.imgsz[1] = 100;
    static const char *names[] = {"a", "b", "c"};
    graph_meta_set_names(g, names, nc);
    return g;
}

/* Set anchor a of image b: box xywh, class scores. */
static void set_anchor(float *p, int64_t C, int64_t A, int64_t b, int64_t a, float cx, float cy, float w, float h,
                       const float *scores, int nc)
{
    float *q = p + b * C * A;
    q[0 * A + a] = cx;
    q[1 * A + a] = cy;
    q[2 * A + a] = w;
    q[3 * A + a] = h;
    for (int c = 0; c < nc; c++) q[(4 + c) * A + a] = scores[c];
}

static void test_nms_rows_match_hand_computed(void)
{
    const int nc = 3;
    const int64_t A = 6, C = 4 + nc;
    Graph *g = pred_graph(1, nc, A);
    char err[256];
    NmsOptions o = {.conf = 0.25f, .iou = 0.5f, .max_det = 4, .agnostic = false};
    EXPECT_EQ_INT(pass_nms(g, &o, err, sizeof err), 0);
    EXPECT_EQ_STR(g->tensors[g->outputs[0]].name, "output0");
    EXPECT_EQ_INT(g->tensors[g->outputs[0]].dims[1], 4);
    EXPECT_EQ_INT(g->tensors[g->outputs[0]].dims[2], 6);
    float p[1 * 7 * 6] = {0};
    /* 0: class 1 at 0.9; 1: same place, class 1 at 0.8 (IoU 0.82 with 0: suppressed);
     * 2: same place, class 2 at 0.7 (other class: kept); 3: score 0.2 (below conf);
     * 4: far away, class 0 at 0.6; 5: nothing */
    set_anchor(p, C, A, 0, 0, 50, 50, 20, 20, (float[]){0.1f, 0.9f, 0.0f}, nc);
    set_anchor(p, C, A, 0, 1, 51, 51, 20, 20, (float[]){0.1f, 0.8f, 0.0f}, nc);
    set_anchor(p, C, A, 0, 2, 50, 50, 20, 20, (float[]){0.0f, 0.1f, 0.7f}, nc);
    set_anchor(p, C, A, 0, 3, 10, 10, 4, 4, (float[]){0.2f, 0.0f, 0.0f}, nc);
    set_anchor(p, C, A, 0, 4, 80, 20, 10, 30, (float[]){0.6f, 0.0f, 0.0f}, nc);
    float out[64];
    int64_t od[8];
    int orank = 0;
    int64_t pd[3] = {1, C, A};
    int64_t n = run(g, "pred", p, pd, 3, 0, out, 64, od, &orank);
    EXPECT_EQ_INT(n, 4 * 6);
    EXPECT_EQ_INT(orank, 3);
    const float want[4][6] = {
        {40, 40, 60, 60, 0.9f, 1}, {40, 40, 60, 60, 0.7f, 2}, {75, 5, 85, 35, 0.6f, 0}, {0, 0, 0, 0, 0, 0}};
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 6; c++) EXPECT_NEAR(out[r * 6 + c], want[r][c], 1e-5);
    graph_free(g);

    /* class-agnostic: the class-2 box at the same place goes too */
    g = pred_graph(1, nc, A);
    o.agnostic = true;
    EXPECT_EQ_INT(pass_nms(g, &o, err, sizeof err), 0);
    n = run(g, "pred", p, pd, 3, 0, out, 64, od, &orank);
    EXPECT_EQ_INT(n, 24);
    EXPECT_NEAR(out[4], 0.9f, 1e-6);
    EXPECT_NEAR(out[6 + 4], 0.6f, 1e-6);
    EXPECT_NEAR(out[12 + 4], 0.0f, 1e-6);
    graph_free(g);
}

static void test_nms_batches_and_extras(void)
{
    /* batch 2, one extra channel (a mask coefficient): each image keeps its own rows */
    const int nc = 2;
    const int64_t A = 4, E = 1, C = 4 + nc + E;
    Graph *g = graph_new();
    int64_t d[3] = {2, C, A};
    int x = input(g, "pred", DT_F32, 3, d);
    int y = graph_add_tensor(g, "output0", DT_F32, 3, d);
    node(g, "Identity", &x, 1, y);
    output(g, y);
    g->meta.task = "segment";
    g->meta.nc = nc;
    g->meta.imgsz[0] = g->meta.imgsz[1] = 64;
    NmsOptions o = {.conf = 0.25f, .iou = 0.7f, .max_det = 300, .agnostic = false};
    char err[256];
    EXPECT_EQ_INT(pass_nms(g, &o, err, sizeof err), 0);
    EXPECT_EQ_INT(g->tensors[g->outputs[0]].dims[1], 4); /* max_det clamped to the anchors */
    EXPECT_EQ_INT(g->tensors[g->outputs[0]].dims[2], 7);
    float p[2 * 7 * 4] = {0};
    float s0[2] = {0.3f, 0.0f}, s1[2] = {0.0f, 0.95f}, s2[2] = {0.5f, 0.4f};
    set_anchor(p, C, A, 0, 2, 10, 10, 4, 4, s0, nc);
    p[0 * C * A + 6 * A + 2] = 0.125f;
    set_anchor(p, C, A, 1, 0, 30, 30, 8, 8, s1, nc);
    p[1 * C * A + 6 * A + 0] = -2.0f;
    set_anchor(p, C, A, 1, 3, 5, 40, 2, 6, s2, nc);
    p[1 * C * A + 6 * A + 3] = 3.0f;
    float out[64];
    int64_t od[8];
    int orank;
    int64_t n = run(g, "pred", p, d, 3, 0, out, 64, od, &orank);
    EXPECT_EQ_INT(n, 2 * 4 * 7);
    const float want0[7] = {8, 8, 12, 12, 0.3f, 0, 0.125f};
    const float want1a[7] = {26, 26, 34, 34, 0.95f, 1, -2};
    const float want1b[7] = {4, 37, 6, 43, 0.5f, 0, 3};
    for (int c = 0; c < 7; c++) {
        EXPECT_NEAR(out[c], want0[c], 1e-5);
        EXPECT_NEAR(out[7 + c], 0, 0);
        EXPECT_NEAR(out[28 + c], want1a[c], 1e-5);
        EXPECT_NEAR(out[35 + c], want1b[c], 1e-5);
        EXPECT_NEAR(out[42 + c], 0, 0);
    }
    graph_free(g);
}

static void test_nms_refuses_classify_and_obb(void)
{
    char err[256];
    Graph *g = pred_graph(1, 2, 4);
    NmsOptions o = {.conf = 0.25f, .iou = 0.7f, .max_det = 300};
    g->meta.task = "classify";
    EXPECT(pass_nms(g, &o, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "not valid for classification");
    g->meta.task = "obb";
    EXPECT(pass_nms(g, &o, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "rotated");
    graph_free(g);
}

/* ---- half ------------------------------------------------------------------------------ */

/* x (1,2,4,4) -> Conv 3x3 (4 out) -> Resize x2 (scales constant) -> Sigmoid -> output */
static Graph *conv_resize_graph(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 2, 4, 4}, wd[4] = {4, 2, 3, 3}, bd[1] = {4}, sd[1] = {4};
    int x = input(g, "images", DT_F32, 4, xd);
    float w[72], b[4];
    for (int i = 0; i < 72; i++) w[i] = (float)((i * 53) % 23 - 11) / 16.0f;
    for (int i = 0; i < 4; i++) b[i] = 0.25f * (float)i - 0.5f;
    int wt = graph_add_const(g, "w", DT_F32, 4, wd, w);
    int bt = graph_add_const(g, "b", DT_F32, 1, bd, b);
    g->tensors[wt].is_param = g->tensors[bt].is_param = true;
    int64_t cd[4] = {1, 4, 4, 4}, rd[4] = {1, 4, 8, 8};
    int c = graph_add_tensor(g, "conv", DT_F32, 4, cd);
    int ins[3] = {x, wt, bt};
    int n = node(g, "Conv", ins, 3, c);
    int64_t pads[4] = {1, 1, 1, 1}, ks[2] = {3, 3};
    node_set_ints(g, n, "pads", pads, 4);
    node_set_ints(g, n, "kernel_shape", ks, 2);
    float scales[4] = {1, 1, 2, 2};
    int st = graph_add_const(g, "scales", DT_F32, 1, sd, scales);
    int r = graph_add_tensor(g, "up", DT_F32, 4, rd);
    int rins[3] = {c, -1, st};
    n = node(g, "Resize", rins, 3, r);
    node_set_string(g, n, "mode", "nearest");
    int y = graph_add_tensor(g, "output0", DT_F32, 4, rd);
    node(g, "Sigmoid", &r, 1, y);
    output(g, y);
    return g;
}

static void test_half_converts_weights_and_io(void)
{
    Graph *ref = conv_resize_graph();
    Graph *g = conv_resize_graph();
    char err[256];
    HalfStats hs;
    EXPECT_EQ_INT(pass_half(g, &hs, err, sizeof err), 0);
    EXPECT_EQ_INT(g->tensors[graph_find_tensor(g, "w")].dtype, DT_F16);
    EXPECT_EQ_INT(g->tensors[graph_find_tensor(g, "b")].dtype, DT_F16);
    EXPECT_EQ_INT(g->tensors[graph_find_tensor(g, "scales")].dtype, DT_F32); /* Resize scales stay float */
    EXPECT_EQ_INT(g->tensors[g->inputs[0]].dtype, DT_F16);
    EXPECT_EQ_INT(g->tensors[g->outputs[0]].dtype, DT_F16);
    EXPECT_EQ_INT(hs.initializers_converted, 2);
    EXPECT_EQ_INT(hs.initializers_kept_f32, 1);
    EXPECT_EQ_INT(g->tensors[graph_find_tensor(g, "w")].nbytes, 72 * 2);
    float x[32], a[256], b[256];
    for (int i = 0; i < 32; i++) x[i] = (float)((i * 37) % 19 - 9) / 8.0f;
    int64_t xd[4] = {1, 2, 4, 4}, od[8];
    int orank;
    int64_t na = run(ref, "images", x, xd, 4, 0, a, 256, od, &orank);
    int64_t nb = run(g, "images", x, xd, 4, 0, b, 256, od, &orank);
    EXPECT_EQ_INT(na, 256);
    EXPECT_EQ_INT(nb, 256);
    double worst = 0;
    for (int i = 0; i < 256 && na == nb; i++) worst = fmax(worst, fabs(a[i] - b[i]));
    EXPECT_MSG(worst < 2e-3, "max |Δ| %g", worst);
    graph_free(ref);
    graph_free(g);
}

static void test_half_casts_around_float_only_ops(void)
{
    /* an NMS graph in half: NonMaxSuppression's boxes/scores/thresholds must stay float32 */
    Graph *g = pred_graph(1, 3, 6);
    NmsOptions o = {.conf = 0.25f, .iou = 0.5f, .max_det = 4};
    char err[256];
    EXPECT_EQ_INT(pass_nms(g, &o, err, sizeof err), 0);
    HalfStats hs;
    EXPECT_EQ_INT(pass_half(g, &hs, err, sizeof err), 0);
    EXPECT(hs.casts_inserted >= 2);
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        if (strcmp(n->op_type, "NonMaxSuppression") != 0) continue;
        EXPECT_EQ_INT(g->tensors[n->inputs[0]].dtype, DT_F32);
        EXPECT_EQ_INT(g->tensors[n->inputs[1]].dtype, DT_F32);
        EXPECT_EQ_INT(g->tensors[n->inputs[3]].dtype, DT_F32);
        EXPECT_EQ_INT(g->tensors[n->inputs[4]].dtype, DT_F32);
    }
    EXPECT_EQ_INT(graph_validate(g, err, sizeof err), 0);
    graph_free(g);
}


static void test_half_keeps_float_range(void)
{
    /* dynamic anchors: Range(0, float(W), 1) + 0.5 -- Range has no float16 form */
    Graph *g = graph_new();
    int64_t xd[4] = {1, 3, 4, 6};
    int x = input(g, "images", DT_F32, 4, xd);
    int shp = graph_add_tensor(g, "shape", DT_I64, 1, (int64_t[]){4});
    node(g, "Shape", &x, 1, shp);
    int64_t three = 3;
    int i3 = graph_add_const(g, "i3", DT_I64, 0, NULL, &three);
    int wi = graph_add_tensor(g, "w", DT_I64, 0, NULL);
    int gi[2] = {shp, i3};
    node(g, "Gather", gi, 2, wi);
    int wf = graph_add_tensor(g, "wf", DT_F32, 0, NULL);
    int cn = node(g, "Cast", &wi, 1, wf);
    node_set_int(g, cn, "to", 1);
    float zero = 0, one = 1, half = 0.5f;
    int z = graph_add_const(g, "zero", DT_F32, 0, NULL, &zero);
    int o = graph_add_const(g, "one", DT_F32, 0, NULL, &one);
    int h = graph_add_const(g, "half", DT_F32, 0, NULL, &half);
    int r = graph_add_tensor(g, "range", DT_F32, 1, (int64_t[]){6});
    int ri[3] = {z, wf, o};
    node(g, "Range", ri, 3, r);
    int y = graph_add_tensor(g, "output0", DT_F32, 1, (int64_t[]){6});
    int ai[2] = {r, h};
    node(g, "Add", ai, 2, y);
    output(g, y);
    char err[256];
    HalfStats hs;
    EXPECT_EQ_INT(pass_half(g, &hs, err, sizeof err), 0);
    EXPECT_EQ_INT(node_attr_int(&g->nodes[2], "to", 0), 1); /* the Cast feeding Range stays float32 */
    EXPECT_EQ_INT(g->tensors[graph_find_tensor(g, "range")].dtype, DT_F32);
    EXPECT_EQ_INT(g->tensors[graph_find_tensor(g, "half")].dtype, DT_F16);
    EXPECT_EQ_INT(g->tensors[g->outputs[0]].dtype, DT_F16);
    EXPECT_EQ_INT(hs.casts_inserted, 1);
    float in[72] = {0}, out[8];
    int64_t od[8];
    int orank;
    EXPECT_EQ_INT(run(g, "images", in, xd, 4, 0, out, 8, od, &orank), 6);
    EXPECT_NEAR(out[5], 5.5, 0);
    graph_free(g);
}

/* ---- simplify ---------------------------------------------------------------------------- */

static void test_simplify_folds_shape_chain_and_dead_nodes(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 2, 3, 4};
    int x = input(g, "x", DT_F32, 4, xd);
    int64_t d1[1] = {4}, d0 = 0;
    int shp = graph_add_tensor(g, "shape", DT_I64, 1, d1);
    node(g, "Shape", &x, 1, shp);
    int64_t zero = 0;
    int idx = graph_add_const(g, "i0", DT_I64, 0, &d0, &zero);
    int b = graph_add_tensor(g, "b", DT_I64, 0, NULL);
    int gins[2] = {shp, idx};
    int gn = node(g, "Gather", gins, 2, b);
    node_set_int(g, gn, "axis", 0);
    int64_t axes0 = 0;
    int ax = graph_add_const(g, "axes", DT_I64, 1, (int64_t[]){1}, &axes0);
    int b1 = graph_add_tensor(g, "b1", DT_I64, 1, (int64_t[]){1});
    int uins[2] = {b, ax};
    node(g, "Unsqueeze", uins, 2, b1);
    int64_t m1 = -1;
    int neg = graph_add_const(g, "minus1", DT_I64, 1, (int64_t[]){1}, &m1);
    int cat = graph_add_tensor(g, "newshape", DT_I64, 1, (int64_t[]){2});
    int cins[2] = {b1, neg};
    int cn = node(g, "Concat", cins, 2, cat);
    node_set_int(g, cn, "axis", 0);
    int idt = graph_add_tensor(g, "same", DT_F32, 4, xd);
    node(g, "Identity", &x, 1, idt);
    int y = graph_add_tensor(g, "output0", DT_F32, 2, (int64_t[]){1, 24});
    int rins[2] = {idt, cat};
    node(g, "Reshape", rins, 2, y);
    int unused = graph_add_tensor(g, "unused", DT_F32, 4, xd);
    node(g, "Sigmoid", &x, 1, unused);
    output(g, y);
    char err[256];
    SimplifyStats ss;
    EXPECT_EQ_INT(pass_simplify(g, &ss, err, sizeof err), 0);
    EXPECT_EQ_INT(ss.nodes_before, 7);
    EXPECT_EQ_INT(ss.nodes_after, 1);
    EXPECT_EQ_INT(ss.folded, 4);
    EXPECT_EQ_INT(ss.identities, 1);
    EXPECT_EQ_INT(ss.removed_dead, 1);
    EXPECT_EQ_STR(g->nodes[0].op_type, "Reshape");
    const Tensor *ns = &g->tensors[cat];
    EXPECT(ns->data != NULL);
    if (ns->data) {
        EXPECT_EQ_INT(((int64_t *)ns->data)[0], 1);
        EXPECT_EQ_INT(((int64_t *)ns->data)[1], -1);
    }
    float in[24], out[24];
    for (int i = 0; i < 24; i++) in[i] = (float)i;
    int64_t od[8];
    int orank;
    EXPECT_EQ_INT(run(g, "x", in, xd, 4, 0, out, 24, od, &orank), 24);
    EXPECT_EQ_INT(orank, 2);
    EXPECT_EQ_INT(od[1], 24);
    EXPECT_NEAR(out[23], 23, 0);
    graph_free(g);
}

static void test_simplify_keeps_dynamic_shapes(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {-1, 3, -1, -1};
    int x = input(g, "images", DT_F32, 4, xd);
    g->tensors[x].dim_names[0] = "batch";
    int shp = graph_add_tensor(g, "shape", DT_I64, 1, (int64_t[]){4});
    node(g, "Shape", &x, 1, shp);
    int y = graph_add_tensor(g, "output0", DT_F32, 4, xd);
    int rins[2] = {x, shp};
    node(g, "Reshape", rins, 2, y);
    output(g, y);
    char err[256];
    SimplifyStats ss;
    EXPECT_EQ_INT(pass_simplify(g, &ss, err, sizeof err), 0);
    EXPECT_EQ_INT(ss.folded, 0);
    EXPECT_EQ_INT(g->n_nodes, 2);
    graph_free(g);
}

/* A graph read without shapes (an ONNX file without value_info): one run fills every
 * tensor's rank, dims and element type, a dim that follows a dynamic input stays dynamic,
 * and a declared tensor keeps its declaration. */
static void test_infer_shapes(void)
{
    for (int dyn = 0; dyn < 2; dyn++) {
        Graph *g = graph_new();
        int64_t xd[4] = {dyn ? -1 : 1, 2, 4, 4};
        int x = input(g, "x", DT_F32, 4, xd);
        if (dyn) g->tensors[x].dim_names[0] = "batch";
        float wv[3 * 2 * 1 * 1] = {1, 0, 0, 1, 1, 1};
        int w = graph_add_const(g, "w", DT_F32, 4, (int64_t[]){3, 2, 1, 1}, wv);
        int y = graph_add_tensor(g, "y", DT_UNDEFINED, 0, NULL);
        int cins[2] = {x, w};
        node(g, "Conv", cins, 2, y);
        int shp = graph_add_tensor(g, "shape", DT_UNDEFINED, 0, NULL);
        node(g, "Shape", &y, 1, shp);
        int64_t four = 4;
        int c4 = graph_add_const(g, "four", DT_I64, 0, NULL, &four);
        int eq = graph_add_tensor(g, "is4", DT_UNDEFINED, 0, NULL);
        int eins[2] = {shp, c4};
        node(g, "Equal", eins, 2, eq);
        int out = graph_add_tensor(g, "output0", DT_F32, 4, (int64_t[]){-1, 3, 4, 4}); /* declared */
        node(g, "Sigmoid", &y, 1, out);
        output(g, out);
        output(g, eq);
        char err[256] = "";
        int n = -1;
        EXPECT_EQ_INT(pass_infer_shapes(g, (int64_t[]){1, 2, 4, 4}, 4, &n, err, sizeof err), 0);
        EXPECT_EQ_INT(n, 3);
        const Tensor *ty = &g->tensors[y], *ts = &g->tensors[shp], *te = &g->tensors[eq], *to = &g->tensors[out];
        EXPECT_EQ_INT(ty->rank, 4);
        EXPECT_EQ_INT(ty->dims[0], dyn ? -1 : 1);
        EXPECT_EQ_INT(ty->dims[1], 3);
        EXPECT_EQ_INT(ty->dims[3], 4);
        EXPECT_EQ_INT(ty->dtype, DT_F32);
        EXPECT_EQ_INT(ts->rank, 1);
        EXPECT_EQ_INT(ts->dims[0], 4);
        EXPECT_EQ_INT(ts->dtype, DT_I64);
        EXPECT_EQ_INT(te->dtype, DT_BOOL);
        EXPECT_EQ_INT(to->dims[0], -1); /* as declared */
        /* nothing unknown: nothing runs */
        EXPECT_EQ_INT(pass_infer_shapes(g, (int64_t[]){1, 2, 4, 4}, 4, &n, err, sizeof err), 0);
        EXPECT_EQ_INT(n, 0);
        graph_free(g);
    }
    /* a graph that does not run at the size says why */
    Graph *g = graph_new();
    int x = input(g, "x", DT_F32, 2, (int64_t[]){2, 3});
    int r = graph_add_tensor(g, "r", DT_UNDEFINED, 0, NULL);
    int64_t bad[2] = {4, 4};
    int sh = graph_add_const(g, "s", DT_I64, 1, (int64_t[]){2}, bad);
    int rins[2] = {x, sh};
    node(g, "Reshape", rins, 2, r);
    output(g, r);
    char err[256] = "";
    EXPECT(pass_infer_shapes(g, (int64_t[]){2, 3}, 2, NULL, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "does not run at the export's input size");
    graph_free(g);
}

static void test_toposort_and_clone(void)
{
    Graph *g = graph_new();
    int64_t d[1] = {2};
    int x = input(g, "x", DT_F32, 1, d);
    int a = graph_add_tensor(g, "a", DT_F32, 1, d);
    int b = graph_add_tensor(g, "b", DT_F32, 1, d);
    node(g, "Sigmoid", &a, 1, b); /* uses a before it is produced */
    node(g, "Neg", &x, 1, a);
    output(g, b);
    char err[256];
    EXPECT(graph_validate(g, err, sizeof err) != 0);
    EXPECT_EQ_INT(passes_toposort(g, err, sizeof err), 0);
    EXPECT_EQ_INT(graph_validate(g, err, sizeof err), 0);
    EXPECT_EQ_STR(g->nodes[0].op_type, "Neg");
    Graph *c = export_graph_clone(g);
    c->nodes[0].inputs[0] = b; /* rewriting the clone leaves the original alone */
    EXPECT_EQ_INT(g->nodes[0].inputs[0], x);
    EXPECT_EQ_INT(c->n_nodes, 2);
    EXPECT_EQ_INT(c->n_outputs, 1);
    EXPECT_EQ_STR(c->tensors[c->outputs[0]].name, "b");
    graph_free(c);
    graph_free(g);
}

/* ---- layout: Transposes sunk, Pads folded ------------------------------------------------ */

static int count_op(const Graph *g, OpKind op)
{
    int c = 0;
    for (int i = 0; i < g->n_nodes; i++) c += g->nodes[i].op == op;
    return c;
}

static int transpose_node(Graph *g, int x, int y, const int64_t *perm)
{
    int n = graph_add_node(g, OP_TRANSPOSE, "Transpose", "t", -1, &x, 1, &y, 1);
    node_set_ints(g, n, "perm", perm, 4);
    return n;
}

/* The layout a graph read from an NHWC file has: every NCHW op between Transposes, the
 * activation, Pad, Split, Concat and a scalar Add in NHWC. */
static Graph *nhwc_graph(void)
{
    static const int64_t TO_NHWC[4] = {0, 2, 3, 1}, TO_NCHW[4] = {0, 3, 1, 2};
    Graph *g = graph_new();
    int x = input(g, "x", DT_F32, 4, (int64_t[]){1, 4, 5, 6});
    int a = graph_add_tensor(g, "a", DT_F32, 4, (int64_t[]){1, 5, 6, 4});
    transpose_node(g, x, a, TO_NHWC);
    int64_t pv[8] = {0, 1, 0, 0, 0, 0, 1, 0}; /* NHWC: one row above, one column right */
    int pads = graph_add_const(g, "pads", DT_I64, 1, (int64_t[]){8}, pv);
    int b = graph_add_tensor(g, "b", DT_F32, 4, (int64_t[]){1, 6, 7, 4});
    graph_add_node(g, OP_PAD, "Pad", "pad", -1, (int[]){a, pads}, 2, &b, 1);
    int c = graph_add_tensor(g, "c", DT_F32, 4, (int64_t[]){1, 4, 6, 7});
    transpose_node(g, b, c, TO_NCHW);
    float w[6 * 4 * 9];
    for (int i = 0; i < 6 * 4 * 9; i++) w[i] = (float)((i * 7) % 11 - 5) / 8.0f;
    int wt = graph_add_const(g, "w", DT_F32, 4, (int64_t[]){6, 4, 3, 3}, w);
    int y = graph_add_tensor(g, "y", DT_F32, 4, (int64_t[]){1, 6, 2, 3});
    int cv = graph_add_node(g, OP_CONV, "Conv", "conv", -1, (int[]){c, wt}, 2, &y, 1);
    node_set_ints(g, cv, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_ints(g, cv, "strides", (int64_t[]){2, 2}, 2);
    int yn = graph_add_tensor(g, "yn", DT_F32, 4, (int64_t[]){1, 2, 3, 6});
    transpose_node(g, y, yn, TO_NHWC);
    int s = graph_add_tensor(g, "s", DT_F32, 4, (int64_t[]){1, 2, 3, 6});
    node(g, "Sigmoid", &yn, 1, s);
    int m = graph_add_tensor(g, "m", DT_F32, 4, (int64_t[]){1, 2, 3, 6});
    node(g, "Mul", (int[]){yn, s}, 2, m);
    int sizes = graph_add_const(g, "sizes", DT_I64, 1, (int64_t[]){2}, (int64_t[]){2, 4});
    int s1 = graph_add_tensor(g, "s1", DT_F32, 4, (int64_t[]){1, 2, 3, 2});
    int s2 = graph_add_tensor(g, "s2", DT_F32, 4, (int64_t[]){1, 2, 3, 4});
    int sp = graph_add_node(g, OP_SPLIT, "Split", "split", -1, (int[]){m, sizes}, 2, (int[]){s1, s2}, 2);
    node_set_int(g, sp, "axis", 3);
    int cc = graph_add_tensor(g, "cc", DT_F32, 4, (int64_t[]){1, 2, 3, 6});
    int cn = graph_add_node(g, OP_CONCAT, "Concat", "concat", -1, (int[]){s2, s1}, 2, &cc, 1);
    node_set_int(g, cn, "axis", -1);
    float half = 0.5f;
    int k = graph_add_const(g, "k", DT_F32, 0, NULL, &half);
    int ad = graph_add_tensor(g, "ad", DT_F32, 4, (int64_t[]){1, 2, 3, 6});
    node(g, "Add", (int[]){cc, k}, 2, ad);
    int out = graph_add_tensor(g, "out", DT_F32, 4, (int64_t[]){1, 6, 2, 3});
    transpose_node(g, ad, out, TO_NCHW);
    output(g, out);
    return g;
}

static void test_sink_transposes_and_fold_pads(void)
{
    float x[120], before[36], after[36];
    for (int i = 0; i < 120; i++) x[i] = (float)((i * 13) % 17 - 8) / 4.0f;
    int64_t xd[4] = {1, 4, 5, 6}, od[4];
    int orank;
    Graph *g = nhwc_graph();
    EXPECT_EQ_INT((int)run(g, "x", x, xd, 4, 0, before, 36, od, &orank), 36);
    char err[256] = "";
    int removed = 0;
    EXPECT_MSG(pass_sink_transposes(g, &removed, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(count_op(g, OP_TRANSPOSE), 0); /* the last pair leaves an Identity under the output's name */
    EXPECT_EQ_INT(removed, 4);
    EXPECT_EQ_INT(count_op(g, OP_IDENTITY), 1);
    EXPECT_EQ_STR(g->tensors[g->outputs[0]].name, "out");
    EXPECT_EQ_INT(pass_fold_pads(g), 1);
    EXPECT_EQ_INT(count_op(g, OP_PAD), 0);
    int conv = -1;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == OP_CONV) conv = i;
    int64_t cp[4] = {0};
    EXPECT(conv >= 0 && node_attr_ints(&g->nodes[conv], "pads", cp, 4) == 4);
    EXPECT(cp[0] == 1 && cp[1] == 0 && cp[2] == 0 && cp[3] == 1); /* top, left, bottom, right */
    EXPECT_MSG(graph_validate(g, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT((int)run(g, "x", x, xd, 4, 0, after, 36, od, &orank), 36);
    EXPECT(orank == 4 && od[1] == 6 && od[2] == 2 && od[3] == 3);
    float worst = 0;
    for (int i = 0; i < 36; i++) worst = fmaxf(worst, fabsf(before[i] - after[i]));
    EXPECT_MSG(worst < 1e-5f, "max |delta| %g", worst);
    graph_free(g);
}

/* A Slice of an NHWC view (channels 1..2 of 4, the axis given as -1; or, without an axes
 * input, every axis) moves before the Transpose, its axes mapped, so the Transpose carries the
 * slice only: the pair then cancels, and the values stay. */
static void test_sink_transposes_through_slice(void)
{
    static const int64_t TO_NHWC[4] = {0, 2, 3, 1}, TO_NCHW[4] = {0, 3, 1, 2};
    for (int with_axes = 0; with_axes < 2; with_axes++) {
        Graph *g = graph_new();
        int x = input(g, "x", DT_F32, 4, (int64_t[]){1, 4, 5, 6});
        int a = graph_add_tensor(g, "a", DT_F32, 4, (int64_t[]){1, 5, 6, 4});
        transpose_node(g, x, a, TO_NHWC);
        int s = graph_add_tensor(g, "s", DT_F32, 4, (int64_t[]){1, 5, 6, 2});
        if (with_axes) {
            int st = graph_add_const(g, "st", DT_I64, 1, (int64_t[]){1}, (int64_t[]){1});
            int en = graph_add_const(g, "en", DT_I64, 1, (int64_t[]){1}, (int64_t[]){3});
            int ax = graph_add_const(g, "ax", DT_I64, 1, (int64_t[]){1}, (int64_t[]){-1});
            node(g, "Slice", (int[]){a, st, en, ax}, 4, s);
        } else {
            int st = graph_add_const(g, "st", DT_I64, 1, (int64_t[]){4}, (int64_t[]){0, 0, 0, 1});
            int en = graph_add_const(g, "en", DT_I64, 1, (int64_t[]){4}, (int64_t[]){1, 5, 6, 3});
            node(g, "Slice", (int[]){a, st, en}, 3, s);
        }
        int out = graph_add_tensor(g, "out", DT_F32, 4, (int64_t[]){1, 2, 5, 6});
        transpose_node(g, s, out, TO_NCHW);
        output(g, out);
        float xv[120], before[60], after[60];
        for (int i = 0; i < 120; i++) xv[i] = (float)i;
        int64_t xd[4] = {1, 4, 5, 6}, od[4];
        int orank;
        EXPECT_EQ_INT((int)run(g, "x", xv, xd, 4, 0, before, 60, od, &orank), 60);
        char err[256] = "";
        EXPECT_MSG(pass_sink_transposes(g, NULL, err, sizeof err) == 0, "%s", err);
        EXPECT_EQ_INT(count_op(g, OP_TRANSPOSE), 0);
        EXPECT_EQ_INT((int)run(g, "x", xv, xd, 4, 0, after, 60, od, &orank), 60);
        EXPECT(orank == 4 && od[1] == 2 && od[2] == 5 && od[3] == 6);
        for (int i = 0; i < 60; i++) EXPECT_MSG(before[i] == after[i] && after[i] == xv[30 + i], "[%d] %g %g", i, before[i], after[i]);
        graph_free(g);
    }
}

/* Pad in the executor: amounts per axis, a negative one crops. */
static void test_pad_values_and_crop(void)
{
    Graph *g = graph_new();
    int x = input(g, "x", DT_F32, 2, (int64_t[]){2, 3});
    int pads = graph_add_const(g, "pads", DT_I64, 1, (int64_t[]){4}, (int64_t[]){1, -1, 0, 2});
    float v = 9;
    int val = graph_add_const(g, "v", DT_F32, 0, NULL, &v);
    int y = graph_add_tensor(g, "y", DT_F32, 2, (int64_t[]){3, 4});
    node(g, "Pad", (int[]){x, pads, val}, 3, y);
    output(g, y);
    float xv[6] = {1, 2, 3, 4, 5, 6}, out[12];
    int64_t od[2];
    int r;
    EXPECT_EQ_INT((int)run(g, "x", xv, (int64_t[]){2, 3}, 2, 0, out, 12, od, &r), 12);
    static const float want[12] = {9, 9, 9, 9, 2, 3, 9, 9, 5, 6, 9, 9};
    for (int i = 0; i < 12; i++) EXPECT_MSG(out[i] == want[i], "[%d] %g, want %g", i, out[i], want[i]);
    graph_free(g);
}

int main(void)
{
    RUN(test_nms_rows_match_hand_computed);
    RUN(test_nms_batches_and_extras);
    RUN(test_nms_refuses_classify_and_obb);
    RUN(test_half_converts_weights_and_io);
    RUN(test_half_casts_around_float_only_ops);
    RUN(test_half_keeps_float_range);
    RUN(test_simplify_folds_shape_chain_and_dead_nodes);
    RUN(test_simplify_keeps_dynamic_shapes);
    RUN(test_toposort_and_clone);
    RUN(test_infer_shapes);
    RUN(test_sink_transposes_and_fold_pads);
    RUN(test_sink_transposes_through_slice);
    RUN(test_pad_values_and_crop);
    return check_done();
}
