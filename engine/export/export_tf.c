/* export_tf: the `<stem>_saved_model/` directory that format=tflite and format=saved_model
 * write (see engine/export/export_tf.h): written into a temporary directory beside the
 * destination, checked there, and only then put in place of an earlier export. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fileio.h"
#include "engine/export/export_int8.h"
#include "engine/export/export_tf.h"
#include "engine/passes/passes.h"
#include "formats/tfgraph.h"
#include "formats/tflite.h"
#include "formats/tfsaved.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* The activation ranges the integer files take: the calibration of the float32 file (by its
 * tensor names), the input's 0..1, and none for the head's decode (kept float, as the plan
 * of engine/quant keeps it: "<head>/" tensors outside its convolution branches). */
typedef struct {
    const CalibStats *stats;
    CalibMethod method;
    const char *input_name;
    char head[80];
} TfActRanges;

static int tf_act_range(void *user, const char *name, float *lo, float *hi)
{
    const TfActRanges *r = user;
    if (!strcmp(name, r->input_name)) {
        *lo = 0.0f, *hi = 1.0f;
        return 0;
    }
    const char *h = r->head[0] ? strstr(name, r->head) : NULL;
    if (h && !strncmp(name, "StatefulPartitionedCall", 23)) h = NULL; /* the outputs themselves */
    if (h) {
        const char *rest = h + strlen(r->head);
        bool branch = !strncmp(rest, "cv2", 3) || !strncmp(rest, "cv3", 3) || !strncmp(rest, "cv4", 3) ||
                      !strncmp(rest, "one2one_cv", 10) || !strncmp(rest, "proto", 5);
        if (!branch) return -1;
        if (strstr(rest, "dfl")) return -1;
    }
    return calib_range_by_name(r->stats, name, r->method, lo, hi);
}

/* The float32 file read back as the calibration runs it: NCHW float input "images". */
static Graph *tf_calib_graph(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen)
{
    Graph *g = tflite_read_buffer(buf, len, name, err, errlen);
    if (g && pass_tflite_runnable(g, err, errlen) != 0) {
        graph_free(g);
        return NULL;
    }
    return g;
}

static int write_in(const char *dir, const char *name, const void *buf, size_t len, char *err, size_t errlen)
{
    char *path = xasprintf("%s/%s", dir, name);
    int rc = fileio_write_atomic(path, buf, len, err, errlen);
    free(path);
    return rc;
}

int export_tf_dir_stage(ExportCtx *ctx, TfStageKind kind, char *err, size_t errlen)
{
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    bool tflite = kind == TF_STAGE_TFLITE;
    const char *label = tflite ? "TensorFlow Lite" : "TensorFlow SavedModel";
    ExportStage st;
    export_stage_begin(&st, ctx, label, true);
    int rc = -1;
    Graph *g = NULL;
    Arena *arena = arena_new();
    char msg[1024];
    ExportInt8 q8;
    memset(&q8, 0, sizeof q8);
    Graph *calib_g = NULL;
    uint8_t *f32_buf = NULL; /* the float32 file, calibrated for the integer files */
    size_t f32_len = 0;
    if (!tflite && export_tf_refuse_int8(ctx, st.prefix, err, errlen)) goto out;
    if (tflite && a->int8 && a->dynamic) {
        err_set(err, errlen, "%s int8=True is written for a static input shape only (int8 activations are calibrated "
                             "at one size): use dynamic=False; nothing was written", st.prefix);
        goto out;
    }
    export_stage_log_start(&st, "tensorflow yoloport-%s", YOLOPORT_VERSION);
    if (tflite && a->int8)
        job_log(job, JOB_LOG_INFO, "%s int8=True: int8 weights per output channel (dynamic-range %s), and int8 "
                                   "activations calibrated here (%s, %s)", st.prefix, "_int8.tflite",
                "_integer_quant.tflite", "_full_integer_quant.tflite");
    else if (tflite && a->half)
        job_log(job, JOB_LOG_INFO, "%s half=True: float16 weights with DEQUANTIZE to float32, as the TF Lite "
                                   "converter's float16 quantisation", st.prefix);

    job_progress(job, "TensorFlow: transform", 0.05);
    if (!(g = export_stage_graph(&st, err, errlen))) goto out;
    pass_fold_static(g); /* graphs read from files: TensorFlow ops need static shapes */
    export_set_metadata(g, ctx);
    int n_meta = 0;
    KeyValue *meta = export_stage_meta_json(g, arena, &n_meta, msg, sizeof msg);
    if (!meta) {
        err_set(err, errlen, "%s", msg);
        goto out;
    }
    const Tensor *in = &g->tensors[g->inputs[0]];
    bool dyn_in = in->rank == 4 && in->dims[2] < 0 && in->dims[3] < 0;
    if (tflite && in->rank == 4 &&
        pass_scale_boxes(g, &g->meta, dyn_in ? 0 : (int)in->dims[2], dyn_in ? 0 : (int)in->dims[3], true, msg,
                         sizeof msg) != 0) {
        err_set(err, errlen, "%s", msg);
        goto out;
    }
    if (export_stage_out_path(&st, "_saved_model", err, errlen) != 0) goto out;
    char dir_path[4096];
    snprintf(dir_path, sizeof dir_path, "%s", ctx->out_path);
    const char *stem = base_name(ctx->out_base);
    char f32_name[512], f16_name[512];
    snprintf(f32_name, sizeof f32_name, "%s_float32.tflite", stem);
    snprintf(f16_name, sizeof f16_name, "%s_float16.tflite", stem);
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 1. everything into a temporary directory beside the destination */
    job_progress(job, "TensorFlow: write", 0.2);
    if (export_stage_temp_dir(&st, err, errlen) != 0) goto out;
    for (int half = 0; half < 2; half++) {
        TfliteOptions opt = {.half = half, .metadata_kv = meta, .n_metadata_kv = n_meta,
                             .dynamic_hw = {a->imgsz.v[0], a->imgsz.v[1]}};
        size_t len;
        uint8_t *buf = tflite_write_buffer(g, &opt, &len, msg, sizeof msg);
        if (!buf || write_in(st.temp_dir, half ? f16_name : f32_name, buf, len, msg, sizeof msg) != 0) {
            free(buf);
            export_stage_writer_error(&st, st.temp_dir, msg, sizeof msg, err, errlen);
            goto out;
        }
        if (!half && tflite && a->int8 && !f32_buf) f32_buf = buf, f32_len = len;
        else free(buf);
        job_log(job, JOB_LOG_INFO, "%s wrote %s (%.1f MB)", st.prefix, half ? f16_name : f32_name, report_mib((int64_t)len));
        if (export_stage_cancelled(&st, err, errlen)) goto out;
    }
    char i8_names[3][512];
    snprintf(i8_names[0], sizeof i8_names[0], "%s_int8.tflite", stem);
    snprintf(i8_names[1], sizeof i8_names[1], "%s_integer_quant.tflite", stem);
    snprintf(i8_names[2], sizeof i8_names[2], "%s_full_integer_quant.tflite", stem);
    TfActRanges ranges = {.method = CALIB_METHOD_DEFAULT, .input_name = ""};
    if (tflite && a->int8) {
        /* one calibration, of the float32 file as written, for the integer files */
        calib_g = tf_calib_graph(f32_buf, f32_len, f32_name, msg, sizeof msg);
        free(f32_buf);
        f32_buf = NULL;
        if (!calib_g) {
            export_stage_writer_error(&st, st.temp_dir, msg, sizeof msg, err, errlen);
            goto out;
        }
        if (export_int8_calibrate(&st, calib_g, NULL, &q8, err, errlen) != 0) goto out;
        q8.method = CALIB_METHOD_DEFAULT;
        QuantPlan plan;
        if (quant_plan(g, &plan, msg, sizeof msg) == 0) {
            if (plan.head[0]) snprintf(ranges.head, sizeof ranges.head, "%s/", plan.head);
            quant_plan_free(&plan);
        }
        ranges.stats = q8.stats;
        ranges.method = q8.method;
        char in_name[300];
        snprintf(in_name, sizeof in_name, "serving_default_%s:0", TFLITE_DEFAULT_INPUT);
        ranges.input_name = in_name;
        for (int k = 0; k < 3; k++) {
            TfliteOptions opt = {.int8 = k == 0 ? TFLITE_INT8_DYNAMIC : k == 1 ? TFLITE_INT8_INTEGER : TFLITE_INT8_FULL,
                                 .act_range = tf_act_range, .act_user = &ranges, .metadata_kv = meta,
                                 .n_metadata_kv = n_meta, .dynamic_hw = {a->imgsz.v[0], a->imgsz.v[1]}};
            size_t len;
            uint8_t *buf = tflite_write_buffer(g, &opt, &len, msg, sizeof msg);
            if (!buf || write_in(st.temp_dir, i8_names[k], buf, len, msg, sizeof msg) != 0) {
                free(buf);
                export_stage_writer_error(&st, st.temp_dir, msg, sizeof msg, err, errlen);
                goto out;
            }
            free(buf);
            job_log(job, JOB_LOG_INFO, "%s wrote %s (%.1f MB)", st.prefix, i8_names[k], report_mib((int64_t)len));
            if (export_stage_cancelled(&st, err, errlen)) goto out;
        }
        ranges.input_name = "";
    }
    {
        json_object *kv = tfjs_metadata_from_kv(meta, n_meta, msg, sizeof msg);
        size_t ylen = 0;
        char *yaml = kv ? tfjs_metadata_yaml(kv, &ylen, msg, sizeof msg) : NULL;
        json_object_put(kv);
        int wr = yaml ? write_in(st.temp_dir, "metadata.yaml", yaml, ylen, msg, sizeof msg) : -1;
        free(yaml);
        if (wr) {
            export_stage_writer_error(&st, st.temp_dir, msg, sizeof msg, err, errlen);
            goto out;
        }
    }
    TfSavedSummary saved;
    if (tfsaved_write_dir(g, NULL, st.temp_dir, &saved, msg, sizeof msg) != 0) {
        export_stage_writer_error(&st, st.temp_dir, msg, sizeof msg, err, errlen);
        goto out;
    }
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 2. checks: saved_model.pb decodes with its serving signature; the TF Lite file runs */
    job_progress(job, "TensorFlow: check", 0.5);
    if (tfsaved_check_dir(st.temp_dir, &saved, msg, sizeof msg) != 0) {
        export_stage_name_output(&st, st.temp_dir, msg, sizeof msg);
        char why[1200];
        snprintf(why, sizeof why, "%s: the written SavedModel does not check out: %s", dir_path, msg);
        report_add_check(ctx->report, "savedmodel", CHECK_FAILED, -1, 0, why);
        err_set(err, errlen, "%s", why);
        goto out;
    }
    {
        char detail[400];
        snprintf(detail, sizeof detail,
                 "saved_model.pb read back: signature serving_default (%s -> %s), %d nodes, %d constants",
                 saved.input_key, saved.output_keys, saved.n_nodes, saved.n_consts);
        report_add_check(ctx->report, "savedmodel", CHECK_PASSED, -1, 0, detail);
        job_log(job, JOB_LOG_INFO, "%s %s %s", st.prefix, check_status_mark(CHECK_PASSED), detail);
    }
    bool half_file = tflite && a->half && !a->int8;
    const char *ret_name = tflite && a->int8 ? i8_names[0] : half_file ? f16_name : f32_name;
    char *check_path = xasprintf("%s/%s", st.temp_dir, ret_name);
    PrecisionInfo prec;
    double worst = -1;
    /* format=tflite: the returned TF Lite file runs against the source.  format=saved_model:
     * the float32 TF Lite file beside it is checked for its interface, and saved_model.pb
     * itself is read back (formats/tfsaved_read.c) and runs against the source */
    CheckStatus cs = export_tf_check_tflite(&st, g, check_path, half_file, tflite, tflite && a->int8 ? &q8 : NULL,
                                            tflite, &prec, &worst, err, errlen);
    free(check_path);
    if (cs == CHECK_FAILED) goto out;
    if (!tflite && a->verify) {
        Graph *back = tfsaved_read_dir(st.temp_dir, msg, sizeof msg);
        if (!back || pass_nhwc_as_source(back, false, msg, sizeof msg) != 0) {
            graph_free(back);
            export_stage_name_output(&st, st.temp_dir, msg, sizeof msg);
            char why[1200];
            snprintf(why, sizeof why, "%s: saved_model.pb read back cannot be run: %s", dir_path, msg);
            report_add_check(ctx->report, "numeric", CHECK_FAILED, -1, 0, why);
            err_set(err, errlen, "%s", why);
            goto out;
        }
        cs = export_stage_numeric(&st, back, "images", "saved_model.pb read back in our executor", &worst, err, errlen);
        int other = cs == CHECK_FAILED ? 0 : export_stage_check_other_size(&st, g, back, "images", err, errlen);
        graph_free(back);
        if (cs == CHECK_FAILED || other != 0) goto out;
    } else if (!tflite) {
        report_add_check(ctx->report, "numeric", CHECK_SKIPPED, -1, 0, "verify=False");
    }
    if (tflite && a->int8) {
        snprintf(prec.text, sizeof prec.text, "int8 weights, float compute");
        job_log(job, JOB_LOG_INFO, "%s %s: int8 weights per output channel, float activations and compute "
                                   "(dynamic-range)", st.prefix, i8_names[0]);
    }
    static const char *const i8_what[3] = {
        NULL,
        "TF Lite's int8 kernels (int8 weights per output channel, int8 activations, int32 biases), "
        "float input and output",
        "as the integer file with an int8 input and int8 outputs",
    };
    for (int k = 1; tflite && a->int8 && k < 3; k++) { /* the integer files: interface and accuracy */
        char *p = xasprintf("%s/%s", st.temp_dir, i8_names[k]);
        PrecisionInfo p2;
        job_log(job, JOB_LOG_INFO, "%s %s: %s", st.prefix, i8_names[k], i8_what[k]);
        double m = st.map, mr = st.map_ref;
        CheckStatus c2 = export_tf_check_tflite(&st, g, p, false, true, &q8, false, &p2, NULL, err, errlen);
        st.map = m, st.map_ref = mr; /* the report's artifact is the returned file */
        free(p);
        if (c2 == CHECK_FAILED) goto out;
        if (c2 == CHECK_WRITTEN_FAILED) cs = c2;
    }
    if (!tflite) {
        /* the directory's precision: the SavedModel's float32 constants */
        memset(&prec, 0, sizeof prec);
        report_scan_precision(g, &prec);
    }

    /* 3. into place: an earlier export of the same name is replaced only now */
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    if (export_stage_commit_dir(&st, err, errlen) != 0) goto out;
    if (tflite) snprintf(ctx->out_path, sizeof ctx->out_path, "%s/%s", dir_path, ret_name);
    export_stage_done(&st, cs, &prec, worst);
    rc = 0;

out:
    export_stage_end(&st, rc);
    export_int8_free(&q8);
    graph_free(calib_g);
    free(f32_buf);
    graph_free(g);
    arena_free(arena);
    return rc;
}
