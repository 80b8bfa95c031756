/* export_tfjs: the TensorFlow.js writer stage — `format=tfjs`, the peer's `<stem>_web_model/`
 * directory: model.json (a graph model, NHWC input "images"), group1-shard<i>of<n>.bin and
 * metadata.yaml with the peer's keys (formats/tfjs.h).
 *
 * The model is written into a temporary directory beside the destination and checked there
 * for structure (model.json parses as a graph model, every node's inputs exist, every Const
 * has its manifest entry, the manifest's byte count equals the shards' sizes, the signature's
 * tensors exist, metadata.yaml parses); only then does the directory replace any previous
 * export of that name.  The numbers: the model is read back (formats/tfjs_read.c) and run in
 * our executor against the source (uint8 weight storage: structure only); the end-to-end
 * tests also run it in TF.js.
 *
 * Arguments: batch; half (float16 weight storage, the converter's --quantize_float16); int8
 * (uint8 weight storage, the converter's --quantize_uint8: per-tensor affine quantisation of
 * the learned weights, named "uint8 weights, float compute" in the size report: TF.js computes
 * in float; it needs no calibration data — what the peer's int8 means for
 * TF.js); nms needs NonMaxSuppression, which the writer refuses, so nms=True is refused with
 * its reason and nothing written. */
#include <json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/export/export_stage.h"
#include "engine/passes/passes.h"
#include "formats/tfjs.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

enum { MAX_MODEL_JSON = 64 << 20 };

/* What the weights in model.json are stored as (quantised storage counts as its quantised
 * type), by the report's rule (tensors of 16 elements or more): *prec. */
static int scan_manifest(const char *dir, PrecisionInfo *prec, char *err, size_t errlen)
{
    char *path = xasprintf("%s/model.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, errlen, "%s: cannot open", path);
        free(path);
        return -1;
    }
    Vec text = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && text.len <= MAX_MODEL_JSON)
        for (size_t i = 0; i < n; i++) vec_push(&text, 1, &buf[i]);
    fclose(f);
    vec_push(&text, 1, "");
    json_object *root = text.len <= MAX_MODEL_JSON ? json_tokener_parse(text.items) : NULL;
    vec_free(&text);
    if (!root) {
        err_set(err, errlen, "%s: not JSON (or too large)", path);
        free(path);
        return -1;
    }
    free(path);
    Graph *scan = graph_new();
    json_object *groups = NULL;
    json_object_object_get_ex(root, "weightsManifest", &groups);
    size_t ng = json_object_is_type(groups, json_type_array) ? json_object_array_length(groups) : 0;
    for (size_t gi = 0; gi < ng; gi++) {
        json_object *weights = NULL;
        json_object_object_get_ex(json_object_array_get_idx(groups, gi), "weights", &weights);
        size_t nw = json_object_is_type(weights, json_type_array) ? json_object_array_length(weights) : 0;
        for (size_t wi = 0; wi < nw; wi++) {
            json_object *w = json_object_array_get_idx(weights, wi), *shape = NULL, *dt = NULL, *q = NULL, *qdt = NULL;
            json_object_object_get_ex(w, "shape", &shape);
            json_object_object_get_ex(w, "dtype", &dt);
            if (json_object_object_get_ex(w, "quantization", &q)) json_object_object_get_ex(q, "dtype", &qdt);
            const char *type = json_object_get_string(qdt ? qdt : dt);
            DType d = !type                           ? DT_UNDEFINED
                      : !strcmp(type, "float32")      ? DT_F32
                      : !strcmp(type, "float16")      ? DT_F16
                      : !strcmp(type, "uint8")        ? DT_U8
                      : !strcmp(type, "int32")        ? DT_I32
                                                      : DT_UNDEFINED;
            size_t rank = json_object_is_type(shape, json_type_array) ? json_object_array_length(shape) : 0;
            if (d == DT_UNDEFINED || rank > GRAPH_MAX_RANK) continue;
            int64_t dims[GRAPH_MAX_RANK];
            for (size_t k = 0; k < rank; k++) dims[k] = json_object_get_int64(json_object_array_get_idx(shape, k));
            int ti = graph_add_tensor(scan, "w", d, (int)rank, dims);
            scan->tensors[ti].is_param = true;
        }
    }
    report_scan_precision(scan, prec);
    graph_free(scan);
    json_object_put(root);
    return 0;
}

int export_tfjs_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    ExportStage st;
    export_stage_begin(&st, ctx, "TensorFlow.js", !(a->int8 && !a->half));
    export_stage_log_start(&st, "tensorflowjs yoloport-%s", YOLOPORT_VERSION);
    if (a->half)
        job_log(job, JOB_LOG_INFO, "%s half=True: float16 weight storage, as the converter's --quantize_float16",
                st.prefix);
    else if (a->int8)
        job_log(job, JOB_LOG_INFO,
                "%s int8=True: uint8 weight storage, as the converter's --quantize_uint8 (per-tensor affine; no "
                "calibration data is used)",
                st.prefix);

    int rc = -1;
    Graph *g = NULL;
    Arena *arena = arena_new();
    char msg[1024];

    job_progress(job, "TensorFlow.js: transform", 0.05);
    if (!(g = export_stage_graph(&st, err, errlen))) goto out;
    pass_fold_static(g); /* shapes and shape arithmetic of graphs read from files: TF.js needs them static */
    export_set_metadata(g, ctx);
    int n_meta = 0;
    KeyValue *meta = export_stage_meta_json(g, arena, &n_meta, msg, sizeof msg);
    if (!meta) {
        err_set(err, errlen, "%s", msg);
        goto out;
    }
    if (export_stage_out_path(&st, ctx->fmt->suffix, err, errlen) != 0) goto out;
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 1. the model into a temporary directory beside the destination */
    job_progress(job, "TensorFlow.js: write", 0.2);
    if (export_stage_temp_dir(&st, err, errlen) != 0) goto out;
    TfjsOptions opt = {.half = a->half, .int8 = a->int8 && !a->half, .metadata_kv = meta, .n_metadata_kv = n_meta};
    if (tfjs_write(g, &opt, st.temp_dir, msg, sizeof msg) != 0) {
        export_stage_writer_error(&st, st.temp_dir, msg, sizeof msg, err, errlen);
        goto out;
    }
    export_stage_log_nms(&st);
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 2. structure: model.json, manifest against the shards, signature, metadata.yaml */
    job_progress(job, "TensorFlow.js: check", 0.6);
    TfjsSummary sum;
    PrecisionInfo prec;
    if (tfjs_check_dir(st.temp_dir, &sum, msg, sizeof msg) != 0 || scan_manifest(st.temp_dir, &prec, msg, sizeof msg) != 0) {
        export_stage_name_output(&st, st.temp_dir, msg, sizeof msg);
        char why[1200];
        snprintf(why, sizeof why, "%s: the written model does not check out: %s", ctx->out_path, msg);
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, why);
        err_set(err, errlen, "%s", why);
        goto out;
    }
    {
        char detail[600];
        snprintf(detail, sizeof detail,
                 "read back: model.json graph model, %d nodes, %d input%s, %d output%s; %d weights (%.1f MB%s) in %d "
                 "shard%s matching the manifest; metadata.yaml %d keys",
                 sum.n_nodes, sum.n_inputs, sum.n_inputs == 1 ? "" : "s", sum.n_outputs, sum.n_outputs == 1 ? "" : "s",
                 sum.n_weights, report_mib(sum.weight_bytes), sum.quantized ? ", quantised" : "", sum.n_shards,
                 sum.n_shards == 1 ? "" : "s", n_meta);
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
        job_log(job, JOB_LOG_INFO, "%s structure check %s passed: %s", st.prefix, check_status_mark(CHECK_PASSED),
                detail);
    }
    /* 3. the numbers: the model read back (formats/tfjs_read.c) as predict and val run it */
    CheckStatus cs = CHECK_SKIPPED;
    double worst = -1;
    if (a->verify && !opt.int8) {
        Graph *back = tfjs_read(st.temp_dir, msg, sizeof msg);
        if (!back || pass_nhwc_as_source(back, false, msg, sizeof msg) != 0) {
            graph_free(back);
            export_stage_name_output(&st, st.temp_dir, msg, sizeof msg);
            char why[1200];
            snprintf(why, sizeof why, "%s: the written model does not read back: %s", ctx->out_path, msg);
            report_add_check(ctx->report, "numeric", CHECK_FAILED, -1, 0, why);
            err_set(err, errlen, "%s", why);
            goto out;
        }
        cs = export_stage_numeric(&st, back, "images",
                                  opt.half ? "the TF.js model read back in our executor (float16 weights)"
                                           : "the TF.js model read back in our executor",
                                  &worst, err, errlen);
        int other = cs == CHECK_FAILED ? 0 : export_stage_check_other_size(&st, g, back, "images", err, errlen);
        graph_free(back);
        if (cs == CHECK_FAILED || other != 0) goto out;
    } else if (a->verify) {
        export_stage_numeric_skipped(&st, "uint8 weight storage is checked for structure only (the weights are "
                                          "8-bit approximations of the source's); tests/node/run_tfjs.js runs it in TF.js");
    } else {
        report_add_check(ctx->report, "numeric", CHECK_SKIPPED, -1, 0, "verify=False");
    }

    /* the converter's uint8 is a storage format: TF.js dequantises the weights at load and
     * computes in float, so the precision is named as that, not as INT8 inference */
    if (opt.int8 && prec.bytes_i8 > 0) snprintf(prec.text, sizeof prec.text, "uint8 weights, float compute");

    /* 4. into place: an earlier export of the same name is replaced only now */
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    if (export_stage_commit_dir(&st, err, errlen) != 0) goto out;
    export_stage_done(&st, cs, &prec, worst);
    rc = 0;

out:
    export_stage_end(&st, rc);
    graph_free(g);
    arena_free(arena);
    return rc;
}
