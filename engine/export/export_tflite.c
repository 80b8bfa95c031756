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
 * int8=True writes the peer's three int8 files beside them (engine/export/export_tf.c): each is
 * read back, its interface checked, and measured for accuracy (val against the source); the
 * returned dynamic-range file also gets the numeric check in 8-bit steps.  A file with an int8
 * input or int8 outputs runs here with a QuantizeLinear in front and DequantizeLinear after. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/export/export_stage.h"
#include "engine/export/export_int8.h"
#include "engine/export/export_tf.h"
#include "engine/passes/passes.h"
#include "formats/tflite.h"

int export_tf_refuse_int8(ExportCtx *ctx, const char *label, char *err, size_t errlen)
{
    if (!ctx->args->int8) return 0;
    return err_set(err, errlen,
                   "%s int8=True is written with format=tflite (the peer's %s_int8.tflite, %s_integer_quant.tflite and "
                   "%s_full_integer_quant.tflite in the same directory); the SavedModel itself stays float32; nothing "
                   "was written",
                   label, "<stem>", "<stem>", "<stem>");
}

/* The source as the dynamic-range file stores it: every learned weight the writer makes int8
 * (float32 parameters of rank >= 2 with 16 values or more) rounded to 255 symmetric levels per
 * output channel (a Conv's axis 0, a ConvTranspose's axis 1, per tensor elsewhere), as float32.
 * The numeric check compares the int8 file with it (within 1e-4 per channel). */
static Graph *dynamic_reference(const Graph *src)
{
    Graph *g = export_graph_clone(src);
    for (int ti = 0; ti < g->n_tensors; ti++) {
        Tensor *t = &g->tensors[ti];
        int64_t n = tensor_numel(t);
        if (!t->is_param || !t->data || t->dtype != DT_F32 || t->rank < 2 || n < 16) continue;
        int cons[4], nc = graph_consumers(g, ti, cons, 4);
        int axis = -1;
        if (nc >= 1 && g->nodes[cons[0]].n_inputs > 1 && g->nodes[cons[0]].inputs[1] == ti)
            axis = g->nodes[cons[0]].op == OP_CONV ? 0 : g->nodes[cons[0]].op == OP_CONV_TRANSPOSE ? 1 : -1;
        int64_t ch = axis >= 0 ? t->dims[axis] : 1, inner = 1;
        for (int k = axis + 1; axis >= 0 && k < t->rank; k++) inner *= t->dims[k];
        const float *v = t->data;
        float *out = arena_alloc(g->arena, sizeof(float) * (size_t)n);
        float *scale = xcalloc((size_t)ch, sizeof(float));
        for (int64_t i = 0; i < n; i++) scale[(i / inner) % ch] = fmaxf(scale[(i / inner) % ch], fabsf(v[i]));
        for (int64_t c = 0; c < ch; c++) scale[c] = scale[c] > 0 ? scale[c] / 127.0f : 1.0f;
        for (int64_t i = 0; i < n; i++) {
            float sc = scale[(i / inner) % ch], r = roundf(v[i] / sc);
            out[i] = (r > 127 ? 127 : r < -127 ? -127 : r) * sc;
        }
        free(scale);
        t->data = out;
    }
    return g;
}

/* The read-back check of one TF Lite file of the directory: interface and numbers. */
CheckStatus export_tf_check_tflite(ExportStage *st, const Graph *g, const char *path, bool half, bool normalised,
                                   ExportInt8 *q8, bool numeric, PrecisionInfo *prec, double *worst, char *err,
                                   size_t errlen)
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
        const char *base = strrchr(path, '/');
        snprintf(detail, sizeof detail, "read back%s%s: input %s %s (NHWC), %d output%s; %s", q8 ? " " : "",
                 q8 ? (base ? base + 1 : path) : "", in->name,
                 shape_str(in, shape, sizeof shape), back->n_outputs, back->n_outputs == 1 ? "" : "s",
                 graph_meta_prop(back, "tflite.operators") ? graph_meta_prop(back, "tflite.operators") : "");
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
        job_log(ctx->job, JOB_LOG_INFO, "%s interface check %s passed: %s", st->prefix, check_status_mark(CHECK_PASSED),
                detail);
    }
    /* the numbers: NHWC in, source layout out (rank-4 outputs back to NCHW), boxes in pixels */
    Graph *run = back;
    char why[300];
    /* a float file runs as predict and val run it (Transposes sunk, Pads in the convolutions) */
    int prep = q8 ? pass_tflite_runnable(run, why, sizeof why) : pass_nhwc_as_source(run, false, why, sizeof why);
    if (prep != 0 ||
        (normalised &&
         pass_scale_boxes(run, &g->meta, (int)src_in->dims[2], (int)src_in->dims[3], false, why, sizeof why) != 0)) {
        graph_free(back);
        err_set(err, errlen, "the TF Lite model read back cannot be compared: %s", why);
        return CHECK_FAILED;
    }
    CheckStatus cs = CHECK_SKIPPED;
    Graph *ref = NULL;
    if (numeric && q8 && !st->reference) st->reference = ref = dynamic_reference(st->ctx->source);
    if (numeric)
        cs = export_stage_numeric(st, run, "images",
                                          half ? (normalised ? "the float16 TF Lite file in our executor (boxes scaled back to pixels)"
                                                             : "the float16 TF Lite file in our executor")
                                               : (normalised ? "the TF Lite file in our executor (boxes scaled back to pixels)"
                                                             : "the float32 TF Lite file in our executor"),
                                          worst, err, errlen);
    if (ref) st->reference = NULL;
    graph_free(ref);
    if (cs != CHECK_FAILED && q8) {
        CheckStatus as = export_int8_accuracy(st, q8, run, err, errlen);
        if (as == CHECK_FAILED || (as == CHECK_WRITTEN_FAILED && cs != CHECK_FAILED) || cs == CHECK_SKIPPED) cs = as;
    }
    graph_free(back);
    return cs;
}

int export_tflite_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    return export_tf_dir_stage(ctx, TF_STAGE_TFLITE, err, errlen);
}
