/* passes_nms: nms=True — the peer's NMSModel as ONNX ops appended to the graph, so the
 * exported model returns (B, max_det, 6+extra) rows [x1, y1, x2, y2, score, cls, extra...]
 * instead of raw (B, 4+nc+extra, A) predictions.  See passes.h.
 *
 * The peer loops over the batch in Python (traced, so its ONNX is unrolled per image); we
 * express the same result batch-wide, which also works with a dynamic batch:
 *   T = Transpose(pred)                      (B, A, C)
 *   box = xywh -> xyxy; score, cls = TopK(scores, 1)
 *   nmsbox = box / max(H, W) + cls           (class offset unless agnostic)
 *   sel = NonMaxSuppression(nmsbox, score, max_det, iou, conf)   rows (b, 0, a)
 *   keys = Where(sel_batch == b, sel_score, -1)   each image's selections   (B, N)
 *   vals, idx = TopK([keys | -1 x max_det], min(max_det, A))       sorted by score
 *   out = [rows[sel] | 0 x max_det][idx] * (vals > -0.5)           zero rows past the end
 * Every op used is one our executor runs, so the check can run the exported graph.
 */
#include "engine/passes/passes.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    Graph *g;
    int module;
    int seq;
} NmsBuilder;

static int new_tensor(NmsBuilder *b, const char *base, DType dt, int rank, const int64_t *dims)
{
    const char *name = arena_printf(b->g->arena, "/nms/%s_%d_output_0", base, b->seq);
    int t = graph_add_tensor(b->g, name, dt, rank, dims);
    return t;
}

/* One node with one output; returns the output tensor. */
static int emit(NmsBuilder *b, OpKind op, const int *ins, int n_in, DType dt, int rank, const int64_t *dims)
{
    b->seq++;
    int out = new_tensor(b, op_name(op), dt, rank, dims);
    const char *node_name = arena_printf(b->g->arena, "/nms/%s_%d", op_name(op), b->seq);
    graph_add_node(b->g, op, NULL, node_name, b->module, ins, n_in, &out, 1);
    return out;
}

static int last_node(NmsBuilder *b) { return b->g->n_nodes - 1; }

static int slice_last_axis(NmsBuilder *b, int x, int64_t start, int64_t end, int64_t axis)
{
    /* copy what we need: adding constants may move the tensor array */
    const Tensor *t = &b->g->tensors[x];
    int64_t dims[GRAPH_MAX_RANK];
    int rank = t->rank;
    DType dt = t->dtype;
    for (int i = 0; i < rank; i++) dims[i] = t->dims[i];
    dims[axis] = end - start;
    int s = passes_const_i64(b->g, "/nms/starts", &start, 1);
    int e = passes_const_i64(b->g, "/nms/ends", &end, 1);
    int a = passes_const_i64(b->g, "/nms/axes", &axis, 1);
    int ins4[4] = {x, s, e, a};
    int out = emit(b, OP_SLICE, ins4, 4, dt, rank, dims);
    for (int i = 0; i < rank; i++)
        if (i != axis) b->g->tensors[out].dim_names[i] = b->g->tensors[x].dim_names[i];
    return out;
}

static void copy_dim_names(Graph *g, int dst, int src, const int *map, int n)
{
    /* dst dim i takes src dim map[i]'s name (map[i] < 0: none) */
    for (int i = 0; i < n; i++)
        g->tensors[dst].dim_names[i] = map[i] >= 0 ? g->tensors[src].dim_names[map[i]] : NULL;
}

int pass_nms(Graph *g, const NmsOptions *opt, char *err, size_t errlen)
{
    const char *task = g->meta.task ? g->meta.task : "detect";
    if (!strcmp(task, "classify"))
        return err_set(err, errlen, "'nms=True' is not valid for classification models.");
    if (!strcmp(task, "obb"))
        return err_set(err, errlen, "'nms=True' for OBB models needs rotated NMS, which this build does not "
                                    "express in ONNX yet; export without nms and run NMS after the model");
    if (g->n_outputs < 1) return err_set(err, errlen, "the model has no outputs");
    int pred = g->outputs[0];
    const Tensor *P0 = &g->tensors[pred];
    /* P's fields are copied: the tensor array moves as the pass adds tensors */
    struct {
        int rank;
        int64_t dims[GRAPH_MAX_RANK];
        const char *dim_names[GRAPH_MAX_RANK];
        DType dtype;
    } Pc = {P0->rank, {0}, {0}, P0->dtype}, *P = &Pc;
    for (int i = 0; i < P0->rank; i++) {
        Pc.dims[i] = P0->dims[i];
        Pc.dim_names[i] = P0->dim_names[i];
    }
    if (P->rank != 3) return err_set(err, errlen, "nms: output0 has rank %d, expected (batch, 4+nc, anchors)", P->rank);
    int nc = g->meta.nc;
    int64_t C = P->dims[1];
    if (nc <= 0 || C < 4 + nc)
        return err_set(err, errlen, "nms: output0 has %lld channels, which does not hold 4 box + %d class values",
                       (long long)C, nc);
    int64_t extra = C - 4 - nc;
    int64_t B = P->dims[0], A = P->dims[2];
    int64_t max_det = opt->max_det > 0 ? opt->max_det : 300;
    int64_t A_export = A > 0 ? A : opt->anchors;
    if (A_export > 0 && A_export < max_det) max_det = A_export;
    DType dt = P->dtype;

    NmsBuilder nb = {g, -1, 0};
    nb.module = graph_add_module(g, "nms", "NMSModel", -1);
    NmsBuilder *b = &nb;

    /* T = Transpose(pred) (B, A, C) */
    int64_t dT[3] = {B, A, C};
    int T = emit(b, OP_TRANSPOSE, &pred, 1, dt, 3, dT);
    int64_t perm[3] = {0, 2, 1};
    node_set_ints(g, last_node(b), "perm", perm, 3);
    int mapT[3] = {0, 2, 1};
    copy_dim_names(g, T, pred, mapT, 3);

    /* boxes xywh -> xyxy */
    int xy = slice_last_axis(b, T, 0, 2, 2);
    int wh = slice_last_axis(b, T, 2, 4, 2);
    int half = passes_const_f32_scalar(g, "/nms/half", 0.5f);
    int ins2[2] = {wh, half};
    int64_t d2[3] = {B, A, 2};
    int hwh = emit(b, OP_MUL, ins2, 2, dt, 3, d2);
    int a_[2] = {xy, hwh};
    int x1y1 = emit(b, OP_SUB, a_, 2, dt, 3, d2);
    int x2y2 = emit(b, OP_ADD, a_, 2, dt, 3, d2);
    int cat_in[2] = {x1y1, x2y2};
    int64_t d4[3] = {B, A, 4};
    int box = emit(b, OP_CONCAT, cat_in, 2, dt, 3, d4);
    node_set_int(g, last_node(b), "axis", 2);
    int map_same[3] = {0, 1, -1};
    copy_dim_names(g, box, T, map_same, 3);

    /* score, class = TopK(scores, 1) over classes */
    int scores = slice_last_axis(b, T, 4, 4 + nc, 2);
    int64_t one = 1;
    int k1 = passes_const_i64(g, "/nms/k1", &one, 1);
    int64_t d1[3] = {B, A, 1};
    b->seq++;
    int score = graph_add_tensor(g, arena_printf(g->arena, "/nms/TopK_%d_output_0", b->seq), dt, 3, d1);
    int cls_i = graph_add_tensor(g, arena_printf(g->arena, "/nms/TopK_%d_output_1", b->seq), DT_I64, 3, d1);
    {
        int ins[2] = {scores, k1};
        int outs[2] = {score, cls_i};
        int ni = graph_add_node(g, OP_TOPK, NULL, arena_printf(g->arena, "/nms/TopK_%d", b->seq), b->module, ins, 2,
                                outs, 2);
        node_set_int(g, ni, "axis", 2);
        node_set_int(g, ni, "largest", 1);
        node_set_int(g, ni, "sorted", 1);
    }
    copy_dim_names(g, score, T, map_same, 3);
    copy_dim_names(g, cls_i, T, map_same, 3);
    int cls = emit(b, OP_CAST, &cls_i, 1, dt, 3, d1);
    node_set_int(g, last_node(b), "to", dtype_to_onnx(dt));
    copy_dim_names(g, cls, T, map_same, 3);

    /* rows = [box, score, cls, extra] */
    int row_parts[4] = {box, score, cls, -1};
    int n_parts = 3;
    if (extra > 0) row_parts[n_parts++] = slice_last_axis(b, T, 4 + nc, C, 2);
    int64_t dR[3] = {B, A, 6 + extra};
    int rows = emit(b, OP_CONCAT, row_parts, n_parts, dt, 3, dR);
    node_set_int(g, last_node(b), "axis", 2);
    copy_dim_names(g, rows, T, map_same, 3);

    /* nmsbox = box / max(H, W) (+ cls) */
    int in_t = g->n_inputs > 0 ? g->inputs[0] : -1;
    int maxhw;
    const Tensor *I = in_t >= 0 ? &g->tensors[in_t] : NULL;
    bool in_static = I && I->rank == 4 && I->dims[2] > 0 && I->dims[3] > 0 && !I->dim_names[2] && !I->dim_names[3];
    bool in_4d = I && I->rank == 4;
    float in_max = in_static ? (float)(I->dims[2] > I->dims[3] ? I->dims[2] : I->dims[3]) : 0;
    if (in_static) {
        maxhw = passes_const_f32_scalar(g, "/nms/max_hw", in_max);
    } else if (in_4d) {
        int64_t d4s[1] = {4}, d1s[1] = {1};
        int shp = emit(b, OP_SHAPE, &in_t, 1, DT_I64, 1, d4s);
        int h = slice_last_axis(b, shp, 2, 3, 0);
        int w = slice_last_axis(b, shp, 3, 4, 0);
        /* Max takes integers only from opset 12: compare as floats */
        int hf = emit(b, OP_CAST, &h, 1, dt, 1, d1s);
        node_set_int(g, last_node(b), "to", dtype_to_onnx(dt));
        int wf = emit(b, OP_CAST, &w, 1, dt, 1, d1s);
        node_set_int(g, last_node(b), "to", dtype_to_onnx(dt));
        int hw[2] = {hf, wf};
        maxhw = emit(b, OP_MAX, hw, 2, dt, 1, d1s);
    } else {
        maxhw = passes_const_f32_scalar(g, "/nms/max_hw", (float)(g->meta.imgsz[0] > g->meta.imgsz[1]
                                                                      ? g->meta.imgsz[0] : g->meta.imgsz[1]));
    }
    int dv[2] = {box, maxhw};
    int nmsbox = emit(b, OP_DIV, dv, 2, dt, 3, d4);
    copy_dim_names(g, nmsbox, T, map_same, 3);
    if (!opt->agnostic) {
        int ad[2] = {nmsbox, cls};
        nmsbox = emit(b, OP_ADD, ad, 2, dt, 3, d4);
        copy_dim_names(g, nmsbox, T, map_same, 3);
    }

    /* NonMaxSuppression(nmsbox (B,A,4), scores (B,1,A), max_det, iou, conf) */
    int64_t dS[3] = {B, 1, A};
    int scoreT = emit(b, OP_TRANSPOSE, &score, 1, dt, 3, dS);
    node_set_ints(g, last_node(b), "perm", perm, 3);
    int mapS[3] = {0, -1, 1};
    copy_dim_names(g, scoreT, T, mapS, 3);
    int md = passes_const_i64(g, "/nms/max_output_boxes_per_class", &max_det, 1);
    float iou = opt->iou, conf = opt->conf;
    int64_t d1v[1] = {1};
    int iou_t = graph_add_const(g, "/nms/iou_threshold", DT_F32, 1, d1v, &iou);
    int conf_t = graph_add_const(g, "/nms/score_threshold", DT_F32, 1, d1v, &conf);
    int nms_in[5] = {nmsbox, scoreT, md, iou_t, conf_t};
    int64_t dsel[2] = {-1, 3};
    int sel = emit(b, OP_NMS, nms_in, 5, DT_I64, 2, dsel);
    node_set_int(g, last_node(b), "center_point_box", 0);
    g->tensors[sel].dim_names[0] = "num_selected";

    /* selected (batch, box) -> flat row index b * A + a into (B*A, ·) */
    int64_t d2s[1] = {2};
    int64_t rs2[2] = {0, -1};
    int rs2_t = passes_const_i64(g, "/nms/shape_b_a", rs2, 2);
    int r_in[2] = {score, rs2_t};
    int64_t dBA[2] = {B, A};
    int score2 = emit(b, OP_RESHAPE, r_in, 2, dt, 2, dBA);
    int mapBA[2] = {0, 1};
    copy_dim_names(g, score2, T, mapBA, 2);
    int shpBA = emit(b, OP_SHAPE, &score2, 1, DT_I64, 1, d2s);
    int64_t zero_i = 0, one_i = 1, two_i = 2;
    int i0 = graph_add_const(g, "/nms/index_0", DT_I64, 0, NULL, &zero_i);
    int i1 = graph_add_const(g, "/nms/index_1", DT_I64, 0, NULL, &one_i);
    int i2 = graph_add_const(g, "/nms/index_2", DT_I64, 0, NULL, &two_i);
    int gb_in[2] = {shpBA, i0};
    int b_scalar = emit(b, OP_GATHER, gb_in, 2, DT_I64, 0, NULL);
    node_set_int(g, last_node(b), "axis", 0);
    int ga_in[2] = {shpBA, i1};
    int a_scalar = emit(b, OP_GATHER, ga_in, 2, DT_I64, 0, NULL);
    node_set_int(g, last_node(b), "axis", 0);
    int64_t dn[1] = {-1};
    int sb_in[2] = {sel, i0};
    int sel_b = emit(b, OP_GATHER, sb_in, 2, DT_I64, 1, dn);
    node_set_int(g, last_node(b), "axis", 1);
    g->tensors[sel_b].dim_names[0] = "num_selected";
    int sa_in[2] = {sel, i2};
    int sel_a = emit(b, OP_GATHER, sa_in, 2, DT_I64, 1, dn);
    node_set_int(g, last_node(b), "axis", 1);
    g->tensors[sel_a].dim_names[0] = "num_selected";
    int ba_in[2] = {sel_b, a_scalar};
    int sel_off = emit(b, OP_MUL, ba_in, 2, DT_I64, 1, dn);
    g->tensors[sel_off].dim_names[0] = "num_selected";
    int fl_in[2] = {sel_off, sel_a};
    int sel_flat = emit(b, OP_ADD, fl_in, 2, DT_I64, 1, dn);
    g->tensors[sel_flat].dim_names[0] = "num_selected";

    /* the selected rows and their scores */
    int64_t rsr[2] = {-1, 6 + extra};
    int rsr_t = passes_const_i64(g, "/nms/shape_rows", rsr, 2);
    int rf_in[2] = {rows, rsr_t};
    int64_t dRF[2] = {-1, 6 + extra};
    int rows_flat = emit(b, OP_RESHAPE, rf_in, 2, dt, 2, dRF);
    int gr_in[2] = {rows_flat, sel_flat};
    int64_t dNR[2] = {-1, 6 + extra};
    int rows_sel = emit(b, OP_GATHER, gr_in, 2, dt, 2, dNR);
    node_set_int(g, last_node(b), "axis", 0);
    g->tensors[rows_sel].dim_names[0] = "num_selected";
    int64_t m1v[1] = {-1};
    int m1_t = passes_const_i64(g, "/nms/shape_flat", m1v, 1);
    int sf_in[2] = {score2, m1_t};
    int score_flat = emit(b, OP_RESHAPE, sf_in, 2, dt, 1, dn);
    int gs_in[2] = {score_flat, sel_flat};
    int score_sel = emit(b, OP_GATHER, gs_in, 2, dt, 1, dn);
    node_set_int(g, last_node(b), "axis", 0);
    g->tensors[score_sel].dim_names[0] = "num_selected";

    /* keys (B, N): the selection's score in its own image's row, -1 elsewhere */
    int rng_in[3] = {i0, b_scalar, i1};
    int64_t dB[1] = {B};
    int bidx = emit(b, OP_RANGE, rng_in, 3, DT_I64, 1, dB);
    g->tensors[bidx].dim_names[0] = P->dim_names[0];
    int64_t col[2] = {-1, 1}, row[2] = {1, -1};
    int col_t = passes_const_i64(g, "/nms/shape_col", col, 2);
    int row_t = passes_const_i64(g, "/nms/shape_row", row, 2);
    int bc_in[2] = {bidx, col_t};
    int64_t dB1[2] = {B, 1};
    int bcol = emit(b, OP_RESHAPE, bc_in, 2, DT_I64, 2, dB1);
    g->tensors[bcol].dim_names[0] = P->dim_names[0];
    int sr_in[2] = {sel_b, row_t};
    int64_t d1N[2] = {1, -1};
    int srow = emit(b, OP_RESHAPE, sr_in, 2, DT_I64, 2, d1N);
    g->tensors[srow].dim_names[1] = "num_selected";
    int eq_in[2] = {bcol, srow};
    int64_t dBN[2] = {B, -1};
    int eq = emit(b, OP_EQUAL, eq_in, 2, DT_BOOL, 2, dBN);
    g->tensors[eq].dim_names[0] = P->dim_names[0];
    g->tensors[eq].dim_names[1] = "num_selected";
    int m1 = passes_const_f32_scalar(g, "/nms/minus_one", -1.0f);
    int wh_in[3] = {eq, score_sel, m1};
    int keys = emit(b, OP_WHERE, wh_in, 3, dt, 2, dBN);
    g->tensors[keys].dim_names[0] = P->dim_names[0];
    g->tensors[keys].dim_names[1] = "num_selected";

    /* padded with max_det more -1 keys (so that TopK always has k candidates) and the
     * rows with max_det zero rows */
    int64_t mdv[1] = {max_det};
    int md1 = passes_const_i64(g, "/nms/max_det_1d", mdv, 1);
    int64_t d1s[1] = {1};
    int bdim = slice_last_axis(b, shpBA, 0, 1, 0);
    int ps_in[2] = {bdim, md1};
    int64_t d2v[1] = {2};
    int pad_shape = emit(b, OP_CONCAT, ps_in, 2, DT_I64, 1, d2v);
    node_set_int(g, last_node(b), "axis", 0);
    int64_t dBM[2] = {B, max_det};
    int negpad = emit(b, OP_CONSTANT_OF_SHAPE, &pad_shape, 1, dt, 2, dBM);
    {
        float mv = -1.0f;
        int vt = graph_add_const(g, "/nms/minus_one_value", DT_F32, 1, d1s, &mv);
        node_set_tensor(g, last_node(b), "value", vt);
    }
    g->tensors[negpad].dim_names[0] = P->dim_names[0];
    int ke_in[2] = {keys, negpad};
    int keys_ext = emit(b, OP_CONCAT, ke_in, 2, dt, 2, dBN);
    node_set_int(g, last_node(b), "axis", 1);
    g->tensors[keys_ext].dim_names[0] = P->dim_names[0];
    int64_t zshape[2] = {max_det, 6 + extra};
    int zs = passes_const_i64(g, "/nms/zero_rows_shape", zshape, 2);
    int zrows = emit(b, OP_CONSTANT_OF_SHAPE, &zs, 1, dt, 2, zshape);
    {
        float zv = 0.0f;
        int vt = graph_add_const(g, "/nms/zero_value", DT_F32, 1, d1s, &zv);
        node_set_tensor(g, last_node(b), "value", vt);
    }
    int re_in[2] = {rows_sel, zrows};
    int rows_ext = emit(b, OP_CONCAT, re_in, 2, dt, 2, dNR);
    node_set_int(g, last_node(b), "axis", 0);

    /* k = min(max_det, A at the export size): a constant, as in the peer's traced model.  The
     * keys carry max_det padding entries, so TopK has k candidates at any runtime size. */
    int kt = passes_const_i64(g, "/nms/k", &max_det, 1);
    b->seq++;
    int64_t dK[2] = {B, max_det};
    int vals = graph_add_tensor(g, arena_printf(g->arena, "/nms/TopK_%d_output_0", b->seq), dt, 2, dK);
    int idx = graph_add_tensor(g, arena_printf(g->arena, "/nms/TopK_%d_output_1", b->seq), DT_I64, 2, dK);
    {
        int ins[2] = {keys_ext, kt};
        int outs[2] = {vals, idx};
        int ni = graph_add_node(g, OP_TOPK, NULL, arena_printf(g->arena, "/nms/TopK_%d", b->seq), b->module, ins, 2,
                                outs, 2);
        node_set_int(g, ni, "axis", 1);
        node_set_int(g, ni, "largest", 1);
        node_set_int(g, ni, "sorted", 1);
    }
    int mapB[2] = {0, -1};
    copy_dim_names(g, vals, T, mapB, 2);
    copy_dim_names(g, idx, T, mapB, 2);

    /* out = rows_ext[idx] * (vals > -0.5): keys of -1 are padding */
    int pk_in[2] = {rows_ext, idx};
    int64_t dOut[3] = {B, max_det, 6 + extra};
    int picked = emit(b, OP_GATHER, pk_in, 2, dt, 3, dOut);
    node_set_int(g, last_node(b), "axis", 0);
    int mapB3[3] = {0, -1, -1};
    copy_dim_names(g, picked, T, mapB3, 3);
    int mhalf = passes_const_f32_scalar(g, "/nms/minus_half", -0.5f);
    int gt_in[2] = {vals, mhalf};
    int gt = emit(b, OP_GREATER, gt_in, 2, DT_BOOL, 2, dK);
    copy_dim_names(g, gt, T, mapB, 2);
    int valid = emit(b, OP_CAST, &gt, 1, dt, 2, dK);
    node_set_int(g, last_node(b), "to", dtype_to_onnx(dt));
    copy_dim_names(g, valid, T, mapB, 2);
    int64_t rs3[3] = {0, 0, 1};
    int rs3_t = passes_const_i64(g, "/nms/shape_b_k_1", rs3, 3);
    int vr_in[2] = {valid, rs3_t};
    int64_t dK1[3] = {B, max_det, 1};
    int valid3 = emit(b, OP_RESHAPE, vr_in, 2, dt, 3, dK1);
    copy_dim_names(g, valid3, T, mapB3, 3);
    int mul_in[2] = {picked, valid3};
    int out = emit(b, OP_MUL, mul_in, 2, dt, 3, dOut);
    copy_dim_names(g, out, T, mapB3, 3);

    /* the new output0 takes the old one's name; the raw predictions are renamed */
    const char *old_name = g->tensors[pred].name;
    g->tensors[pred].name = arena_printf(g->arena, "%s_raw", old_name);
    g->tensors[out].name = old_name;
    g->outputs[0] = out;
    g->tensors[out].is_output = true;
    g->tensors[pred].is_output = false;
    return graph_validate(g, err, errlen);
}
