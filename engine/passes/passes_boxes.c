/* passes_boxes: box coordinates as fractions of the input size, as the peer's TF Lite and Edge
 * TPU exports give them (its Detect head divides by the image size for those formats, and its
 * predictor multiplies back); and the reverse, to compare such a model with its source or run
 * it as the source runs (with pass_tflite_runnable: NCHW float input, float outputs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/passes/passes.h"
#include "formats/tflite.h"

static int add_op(Graph *g, OpKind op, const char *name, const int *in, int nin, int rank, const int64_t *dims)
{
    int y = graph_add_tensor(g, name, DT_F32, rank, dims);
    graph_add_node(g, op, NULL, arena_printf(g->arena, "/%s", name), -1, in, nin, &y, 1);
    return y;
}

static int scalar_f32(Graph *g, const char *name, float v)
{
    return graph_add_const(g, name, DT_F32, 0, NULL, &v);
}

/* The input's height (axis 2) or width (axis 3) as a float [1, 1, 1], computed in the graph
 * without reading a shape (a dynamic input, for runtimes that cannot read one): ones over one
 * line of the input along the axis, summed along it (CumSum), the largest sum. */
static int input_extent(Graph *g, int axis, const char *tag)
{
    int x = g->inputs[0];
    const Tensor *in = &g->tensors[x];
    int64_t d[4] = {in->dims[0], 1, axis == 2 ? in->dims[2] : 1, axis == 3 ? in->dims[3] : 1};
    int64_t st[2] = {0, 0}, en[2] = {1, 1}, ax[2] = {1, axis == 2 ? 3 : 2}, two = 2, cax = axis;
    const char *b = arena_printf(g->arena, "output0/%s", tag);
    int sl[4] = {x, graph_add_const(g, arena_printf(g->arena, "%s/starts", b), DT_I64, 1, &two, st),
                 graph_add_const(g, arena_printf(g->arena, "%s/ends", b), DT_I64, 1, &two, en),
                 graph_add_const(g, arena_printf(g->arena, "%s/axes", b), DT_I64, 1, &two, ax)};
    int line = add_op(g, OP_SLICE, arena_printf(g->arena, "%s/line", b), sl, 4, 4, d);
    int zero = add_op(g, OP_MUL, arena_printf(g->arena, "%s/zeros", b),
                      (int[]){line, scalar_f32(g, arena_printf(g->arena, "%s/zero", b), 0.f)}, 2, 4, d);
    int ones = add_op(g, OP_ADD, arena_printf(g->arena, "%s/ones", b),
                      (int[]){zero, scalar_f32(g, arena_printf(g->arena, "%s/one", b), 1.f)}, 2, 4, d);
    int cs = add_op(g, OP_CUMSUM, arena_printf(g->arena, "%s/count", b),
                    (int[]){ones, graph_add_const(g, arena_printf(g->arena, "%s/axis", b), DT_I64, 0, NULL, &cax)}, 2, 4, d);
    int64_t one4[4] = {d[0], 1, 1, 1}, one3[3] = {1, 1, 1}, three = 3;
    int mx = add_op(g, OP_REDUCE_MAX, arena_printf(g->arena, "%s/size", b), &cs, 1, 4, one4);
    node_set_ints(g, g->n_nodes - 1, "axes", (int64_t[]){axis}, 1);
    node_set_int(g, g->n_nodes - 1, "keepdims", 1);
    int shp = graph_add_const(g, arena_printf(g->arena, "%s/shape", b), DT_I64, 1, &three, one3);
    return add_op(g, OP_RESHAPE, arena_printf(g->arena, "%s/size3", b), (int[]){mx, shp}, 2, 3, one3);
}

int pass_scale_boxes(Graph *g, const GraphMeta *meta, int imgh, int imgw, bool to_unit, char *err, size_t errlen)
{
    const char *task = meta && meta->task ? meta->task : "detect";
    if (!strcmp(task, "classify") || g->n_outputs < 1) return 0;
    bool dynamic = imgh <= 0 && imgw <= 0 && g->n_inputs == 1 && g->tensors[g->inputs[0]].rank == 4 &&
                   g->tensors[g->inputs[0]].dims[2] < 0 && g->tensors[g->inputs[0]].dims[3] < 0;
    if (!dynamic && (imgh <= 0 || imgw <= 0)) return err_set(err, errlen, "scale boxes: the input size is unknown");
    int out = g->outputs[0];
    Tensor *t = &g->tensors[out];
    if (t->rank != 3 || t->dims[1] < 4) return err_set(err, errlen, "scale boxes: output0 is not (batch, 4+classes, anchors)");
    int64_t rows = t->dims[1];
    float *s = xmalloc(sizeof(float) * (size_t)rows);
    /* a division by the size (not a product with its reciprocal): the constant is integers, which
     * reduced-precision storage keeps exact, and the quotient is the peer's */
    float sx = dynamic ? -1.0f : (float)imgw, sy = dynamic ? -2.0f : (float)imgh; /* dynamic: row markers */
    for (int64_t i = 0; i < rows; i++) s[i] = 1.0f;
    s[0] = s[2] = sx;
    s[1] = s[3] = sy;
    if (!strcmp(task, "pose") && meta->kpt_shape[0] > 0 && meta->kpt_shape[1] >= 2) {
        int64_t first = 4 + meta->nc, per = meta->kpt_shape[1];
        for (int64_t k = 0; k < meta->kpt_shape[0]; k++) {
            int64_t r = first + k * per;
            if (r + 1 >= rows) break;
            s[r] = sx;
            s[r + 1] = sy;
        }
    }
    int64_t sd[3] = {1, rows, 1};
    int c;
    if (dynamic) { /* the size from the input itself: w * (x rows) + h * (y rows) + (other rows) */
        float *mx = xcalloc((size_t)rows, sizeof(float)), *my = xcalloc((size_t)rows, sizeof(float));
        for (int64_t i = 0; i < rows; i++) {
            mx[i] = s[i] == sx;
            my[i] = s[i] == sy;
            s[i] = !mx[i] && !my[i];
        }
        int w = input_extent(g, 3, "width"), h = input_extent(g, 2, "height");
        int wx = add_op(g, OP_MUL, "output0/box_size/x", (int[]){w, graph_add_const(g, "output0/box_size/x_rows", DT_F32, 3, sd, mx)}, 2, 3, sd);
        int hy = add_op(g, OP_MUL, "output0/box_size/y", (int[]){h, graph_add_const(g, "output0/box_size/y_rows", DT_F32, 3, sd, my)}, 2, 3, sd);
        int xy = add_op(g, OP_ADD, "output0/box_size/xy", (int[]){wx, hy}, 2, 3, sd);
        c = add_op(g, OP_ADD, to_unit ? "output0/box_size" : "output0/box_scale",
                   (int[]){xy, graph_add_const(g, "output0/box_size/other_rows", DT_F32, 3, sd, s)}, 2, 3, sd);
        free(mx);
        free(my);
    } else {
        c = graph_add_const(g, to_unit ? "output0/box_size" : "output0/box_scale", DT_F32, 3, sd, s);
    }
    free(s);
    t = &g->tensors[out];
    const char *name = t->name;
    int64_t dims[GRAPH_MAX_RANK];
    memcpy(dims, t->dims, sizeof dims);
    /* the scaled tensor takes the output's name (the interface stays), the old one is renamed */
    t->name = arena_printf(g->arena, "%s/%s", name, to_unit ? "pixels" : "unit");
    t->is_output = false;
    int y = graph_add_tensor(g, name, t->dtype, 3, dims);
    memcpy(g->tensors[y].dim_names, g->tensors[out].dim_names, sizeof g->tensors[y].dim_names);
    g->tensors[y].is_output = true;
    int in[2] = {out, c};
    graph_add_node(g, to_unit ? OP_DIV : OP_MUL, NULL, to_unit ? "/output0/normalize" : "/output0/to_pixels", -1, in, 2,
                   &y, 1);
    g->outputs[0] = y;
    return 0;
}

bool pass_boxes_normalised(const Graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = &g->nodes[i];
        if (n->op != OP_DIV || !n->name) continue;
        const char *name = n->name[0] == '/' ? n->name + 1 : n->name;
        if (!strcmp(name, "output0/normalize")) return true;
    }
    return false;
}

int pass_tflite_runnable(Graph *run, char *err, size_t errlen)
{
    if (run->n_inputs != 1 || run->tensors[run->inputs[0]].rank != 4)
        return err_set(err, errlen, "the model's input is not an NHWC image batch");
    int x = run->inputs[0];
    const Tensor *xi = &run->tensors[x];
    int64_t nchw[4] = {xi->dims[0], xi->dims[3], xi->dims[1], xi->dims[2]};
    int xin = graph_add_tensor(run, "images", DT_F32, 4, nchw);
    run->tensors[x].name = "images/nhwc";
    run->tensors[x].is_input = false;
    run->tensors[xin].is_input = true;
    run->inputs[0] = xin;
    int xt = x;
    if (run->tensors[x].dtype == DT_I8) { /* an int8 input: quantised as the file says (0..1 in 256 levels) */
        float sc;
        int64_t zp;
        tflite_act_params(0.0f, 1.0f, &sc, &zp);
        int8_t z8 = (int8_t)zp;
        int64_t nhwc[4] = {nchw[0], nchw[2], nchw[3], nchw[1]};
        xt = graph_add_tensor(run, "images/nhwc_float", DT_F32, 4, nhwc);
        int qin[3] = {xt, graph_add_const(run, "images/scale", DT_F32, 0, NULL, &sc),
                      graph_add_const(run, "images/zero_point", DT_I8, 0, NULL, &z8)};
        graph_add_node(run, OP_QUANTIZE_LINEAR, NULL, "/images/quantize", -1, qin, 3, &x, 1);
    }
    int tn = graph_add_node(run, OP_TRANSPOSE, NULL, "/images/to_nhwc", -1, &xin, 1, &xt, 1);
    node_set_ints(run, tn, "perm", (int64_t[]){0, 2, 3, 1}, 4);
    for (int i = 0; i < run->n_outputs; i++) { /* int8 outputs: dequantised as their QUANTIZE says */
        int o = run->outputs[i];
        const Tensor *ot = &run->tensors[o];
        if (ot->dtype != DT_I8 || ot->producer < 0 || run->nodes[ot->producer].op != OP_QUANTIZE_LINEAR) continue;
        const Node *qn = &run->nodes[ot->producer];
        int din[3] = {o, qn->inputs[1], qn->inputs[2]};
        int y = graph_add_tensor(run, arena_printf(run->arena, "%s/dequantized", ot->name), DT_F32, ot->rank, ot->dims);
        graph_add_node(run, OP_DEQUANTIZE_LINEAR, NULL, arena_printf(run->arena, "/output%d/dequantize", i), -1, din, 3,
                       &y, 1);
        run->tensors[o].is_output = false;
        run->tensors[y].is_output = true;
        run->outputs[i] = y;
    }
    for (int i = 0; i < run->n_outputs; i++) {
        int o = run->outputs[i];
        if (run->tensors[o].rank != 4) continue;
        const int64_t *d = run->tensors[o].dims;
        int64_t want[4] = {d[0], d[3], d[1], d[2]};
        int y = graph_add_tensor(run, arena_printf(run->arena, "%s/nchw", run->tensors[o].name), DT_F32, 4, want);
        int ni = graph_add_node(run, OP_TRANSPOSE, NULL, arena_printf(run->arena, "/output%d/to_nchw", i), -1, &o, 1, &y, 1);
        node_set_ints(run, ni, "perm", (int64_t[]){0, 3, 1, 2}, 4);
        run->tensors[o].is_output = false;
        run->tensors[y].is_output = true;
        run->outputs[i] = y;
    }
    return passes_toposort(run, err, errlen);
}
