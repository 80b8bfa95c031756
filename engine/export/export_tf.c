/* export_tf: the `<stem>_saved_model/` directory that format=tflite and format=saved_model
 * write (see engine/export/export_tf.h): written into a temporary directory beside the
 * destination, checked there, and only then put in place of an earlier export. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fileio.h"
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
    if (export_tf_refuse_int8(ctx, st.prefix, err, errlen)) goto out;
    export_stage_log_start(&st, "tensorflow yoloport-%s", YOLOPORT_VERSION);
    if (tflite && a->half)
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
    if (tflite && in->rank == 4 &&
        pass_scale_boxes(g, &g->meta, (int)in->dims[2], (int)in->dims[3], true, msg, sizeof msg) != 0) {
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
        TfliteOptions opt = {.half = half, .metadata_kv = meta, .n_metadata_kv = n_meta};
        size_t len;
        uint8_t *buf = tflite_write_buffer(g, &opt, &len, msg, sizeof msg);
        if (!buf || write_in(st.temp_dir, half ? f16_name : f32_name, buf, len, msg, sizeof msg) != 0) {
            free(buf);
            export_stage_writer_error(&st, st.temp_dir, msg, sizeof msg, err, errlen);
            goto out;
        }
        free(buf);
        job_log(job, JOB_LOG_INFO, "%s wrote %s (%.1f MB)", st.prefix, half ? f16_name : f32_name, report_mib((int64_t)len));
        if (export_stage_cancelled(&st, err, errlen)) goto out;
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
    bool half_file = tflite && a->half;
    char *check_path = xasprintf("%s/%s", st.temp_dir, half_file ? f16_name : f32_name);
    PrecisionInfo prec;
    double worst = -1;
    CheckStatus cs = export_tf_check_tflite(&st, g, check_path, half_file, tflite, &prec, &worst, err, errlen);
    free(check_path);
    if (cs == CHECK_FAILED) goto out;
    if (!tflite) {
        /* the directory's precision: the SavedModel's float32 constants */
        memset(&prec, 0, sizeof prec);
        report_scan_precision(g, &prec);
    }

    /* 3. into place: an earlier export of the same name is replaced only now */
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    if (export_stage_commit_dir(&st, err, errlen) != 0) goto out;
    if (tflite) snprintf(ctx->out_path, sizeof ctx->out_path, "%s/%s", dir_path, half_file ? f16_name : f32_name);
    export_stage_done(&st, cs, &prec, worst);
    rc = 0;

out:
    export_stage_end(&st, rc);
    graph_free(g);
    arena_free(arena);
    return rc;
}
