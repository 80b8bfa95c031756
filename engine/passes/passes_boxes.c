/* passes_boxes: box coordinates as fractions of the input size, as the peer's TF Lite and Edge
 * TPU exports give them (its Detect head divides by the image size for those formats, and its
 * predictor multiplies back); and the reverse, to compare such a model with its source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/passes/passes.h"

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
