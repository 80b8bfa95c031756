/* export_tflite: the TF Lite writer stage — `format=tflite`.  As the peer (whose TF Lite files
 * are made beside the SavedModel by onnx2tf), the export writes the `<stem>_saved_model/`
 * directory (engine/export/export_tf.h: saved_model.pb, variables/, metadata.yaml and both
 * TF Lite files, `<stem>_float32.tflite` and `<stem>_float16.tflite`) and returns the float32
 * file, or the float16 one with half=True.
 *
 * Boxes (and pose keypoints) come out as fractions of the input size, as the peer's Detect
 * head gives them for TF Lite (its predictor scales them back).  The returned file is read
 * back through our TF Lite reader, its interface compared with the source's, and run by our
 * executor against the source on the same input (boxes scaled back to pixels for the
 * comparison).
 *
 * int8=True (the peer's dynamic-range, integer and full-integer files) needs the INT8
 * calibration, which this build does not have yet: refused before anything is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/export/export_stage.h"
#include "engine/export/export_tf.h"
#include "engine/passes/passes.h"
#include "formats/tflite.h"

int export_tf_refuse_int8(ExportCtx *ctx, const char *label, char *err, size_t errlen)
{
    if (!ctx->args->int8) return 0;
    return err_set(err, errlen,
                   "%s int8=True is not available in this build yet: the peer's int8 TF Lite files (dynamic-range "
                   "%s_int8.tflite, %s_integer_quant.tflite and %s_full_integer_quant.tflite) need INT8 calibration, "
                   "which yoloport does not have yet; nothing was written",
                   label, "<stem>", "<stem>", "<stem>");
}

/* The read-back check of one TF Lite file of the directory: interface and numbers. */
CheckStatus export_tf_check_tflite(ExportStage *st, const Graph *g, const char *path, bool half, bool normalised,
                                   PrecisionInfo *prec, double *worst, char *err, size_t errlen)
{
    ExportCtx *ctx = st->ctx;
    char msg[1024];
    Graph *back = tflite_read(path, msg, sizeof msg);
    if (!back) {
        export_stage_name_output(st, st->temp_dir, msg, sizeof msg);
        char why[1200];
        snprintf(why, sizeof why, "the written TF Lite model does not read back: %s", msg);
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, why);
        err_set(err, errlen, "%s", why);
        return CHECK_FAILED;
    }
    /* the precision of what the file stores: its parameters in their stored types (the reader's
     * float32 copies of float16 weights are not the file's) */
    Graph *scan = graph_new();
    for (int i = 0; i < back->n_tensors; i++) {
        const Tensor *t = &back->tensors[i];
        if (!t->is_param) continue;
        int ti = graph_add_tensor(scan, "w", t->dtype, t->rank, t->dims);
        scan->tensors[ti].is_param = true;
    }
    report_scan_precision(scan, prec);
    graph_free(scan);
    /* the interface: NHWC input, the source's outputs (rank-4 ones NHWC) */
    const Tensor *in = &back->tensors[back->inputs[0]];
    const Tensor *src_in = &g->tensors[g->inputs[0]];
    bool io_ok = back->n_inputs == 1 && back->n_outputs == g->n_outputs && in->rank == 4 && src_in->rank == 4 &&
                 in->dims[0] == src_in->dims[0] && in->dims[1] == src_in->dims[2] && in->dims[2] == src_in->dims[3] &&
                 in->dims[3] == src_in->dims[1];
    for (int i = 0; io_ok && i < g->n_outputs; i++) {
        const Tensor *a = &g->tensors[g->outputs[i]], *b = &back->tensors[back->outputs[i]];
        io_ok = a->rank == b->rank && tensor_numel(a) == tensor_numel(b);
    }
    if (!io_ok) {
        char why[300];
        snprintf(why, sizeof why, "the TF Lite model's inputs and outputs do not match the source's");
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, why);
        graph_free(back);
        err_set(err, errlen, "%s", why);
        return CHECK_FAILED;
    }
    {
        char shape[96], detail[400];
        snprintf(detail, sizeof detail, "read back: input %s %s (NHWC), %d output%s; %s", in->name,
                 shape_str(in, shape, sizeof shape), back->n_outputs, back->n_outputs == 1 ? "" : "s",
                 graph_meta_prop(back, "tflite.operators") ? graph_meta_prop(back, "tflite.operators") : "");
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
        job_log(ctx->job, JOB_LOG_INFO, "%s interface check %s passed: %s", st->prefix, check_status_mark(CHECK_PASSED),
                detail);
    }
    /* the numbers: NHWC in, source layout out (rank-4 outputs back to NCHW), boxes in pixels */
    Graph *run = back;
    int x = run->inputs[0];
    int64_t nchw[4] = {src_in->dims[0], src_in->dims[1], src_in->dims[2], src_in->dims[3]};
    int xin = graph_add_tensor(run, "images", DT_F32, 4, nchw);
    run->tensors[x].name = "images/nhwc";
    run->tensors[x].is_input = false;
    run->tensors[xin].is_input = true;
    run->inputs[0] = xin;
    int tn = graph_add_node(run, OP_TRANSPOSE, NULL, "/images/to_nhwc", -1, &xin, 1, &x, 1);
    node_set_ints(run, tn, "perm", (int64_t[]){0, 2, 3, 1}, 4);
    for (int i = 0; i < run->n_outputs; i++) {
        int o = run->outputs[i];
        if (run->tensors[o].rank != 4) continue;
        const Tensor *want = &g->tensors[g->outputs[i]];
        int y = graph_add_tensor(run, arena_printf(run->arena, "%s/nchw", run->tensors[o].name), DT_F32, 4, want->dims);
        int ni = graph_add_node(run, OP_TRANSPOSE, NULL, arena_printf(run->arena, "/output%d/to_nchw", i), -1, &o, 1, &y, 1);
        node_set_ints(run, ni, "perm", (int64_t[]){0, 3, 1, 2}, 4);
        run->outputs[i] = y;
    }
    char why[300];
    if (passes_toposort(run, why, sizeof why) != 0 ||
        (normalised &&
         pass_scale_boxes(run, &g->meta, (int)src_in->dims[2], (int)src_in->dims[3], false, why, sizeof why) != 0)) {
        graph_free(back);
        err_set(err, errlen, "the TF Lite model read back cannot be compared: %s", why);
        return CHECK_FAILED;
    }
    CheckStatus cs = export_stage_numeric(st, run, "images",
                                          half ? (normalised ? "the float16 TF Lite file in our executor (boxes scaled back to pixels)"
                                                             : "the float16 TF Lite file in our executor")
                                               : (normalised ? "the TF Lite file in our executor (boxes scaled back to pixels)"
                                                             : "the float32 TF Lite file in our executor"),
                                          worst, err, errlen);
    graph_free(back);
    return cs;
}

int export_tflite_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    return export_tf_dir_stage(ctx, TF_STAGE_TFLITE, err, errlen);
}
