/* passes_boxes: box coordinates as fractions of the input size, as the peer's TF Lite and Edge
 * TPU exports give them (its Detect head divides by the image size for those formats, and its
 * predictor multiplies back); and the reverse, to compare such a model with its source or run
 * it as the source runs (with pass_tflite_runnable: NCHW float input, float outputs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/passes/passes.h"
#include "formats/tflite.h"

int pass_scale_boxes(Graph *g, const GraphMeta *meta, int imgh, int imgw, bool to_unit, char *err, size_t errlen)
{
    const char *task = meta && meta->task ? meta->task : "detect";
    if (!strcmp(task, "classify") || g->n_outputs < 1) return 0;
    if (imgh <= 0 || imgw <= 0) return err_set(err, errlen, "scale boxes: the input size is unknown");
    int out = g->outputs[0];
    Tensor *t = &g->tensors[out];
    if (t->rank != 3 || t->dims[1] < 4) return err_set(err, errlen, "scale boxes: output0 is not (batch, 4+classes, anchors)");
    int64_t rows = t->dims[1];
    float *s = xmalloc(sizeof(float) * (size_t)rows);
    /* a division by the size (not a product with its reciprocal): the constant is integers, which
     * reduced-precision storage keeps exact, and the quotient is the peer's */
    float sx = (float)imgw, sy = (float)imgh;
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
    int c = graph_add_const(g, to_unit ? "output0/box_size" : "output0/box_scale", DT_F32, 3, sd, s);
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
