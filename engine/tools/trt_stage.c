/* trt_stage: format=engine -- the TensorRT export stage (the engine row's drive_tool).
 *
 * As the peer: our ONNX export first (dynamic forced on for INT8; FP32 weights: trtexec's
 * --fp16 makes the engine half), left beside the engine; then trtexec builds the engine on
 * this host or on host= (engine/tools/trt.h has the exact flags), with the persistent timing
 * cache of that GPU and TensorRT version; trtexec then loads the engine it built and runs
 * it there (the check this build can make: yoloport has no TensorRT runtime to compare
 * outputs); finally the peer's header (4-byte little-endian length, the metadata JSON, the
 * plan) goes in front, in a temporary file renamed into place once complete, read back, so
 * that YOLO('yolov8n.engine') loads it.  The build host's GPU, compute capability, driver,
 * CUDA and TensorRT versions go into the metadata and the report.
 *
 * Nothing is written when the host lacks trtexec or an NVIDIA GPU ("not available on this
 * host", saying what is missing), when int8=True has no calibration data, or when this
 * build cannot calibrate yet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"
#include "engine/export/export_stage.h"
#include "engine/tools/driver.h"
#include "engine/tools/stages.h"
#include "engine/tools/trt.h"
#include "formats/engine.h"
#include "formats/torchscript.h"

#include <json-c/json.h>

static int mkdirs(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* The timing cache's directory must exist where trtexec runs. */
static void ensure_cache_dir(ToolSession *ts, const char *cache)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", cache);
    char *slash = strrchr(dir, '/');
    if (!slash) return;
    *slash = '\0';
    if (!ts->remote) {
        mkdirs(dir);
        return;
    }
    char *q = tools_shell_quote(dir);
    char *cmd = xasprintf("mkdir -p %s", q);
    free(q);
    char **argv = remote_ssh_argv(&ts->host, cmd);
    free(cmd);
    char out[256];
    int st;
    tools_capture(argv, 30, out, sizeof out, &st);
    remote_argv_free(argv);
}

/* The header's JSON: the peer's metadata (json.dumps of its dict) with the build
 * environment appended. */
static char *header_json(ExportCtx *ctx, const ToolSession *ts, const char *precision, int dla, char *err,
                         size_t errlen)
{
    Graph *meta = graph_new();
    meta->meta = ctx->source->meta;
    meta->meta.props = NULL;
    meta->meta.n_props = 0;
    export_set_metadata(meta, ctx);
    char dla_text[8];
    if (dla >= 0) {
        snprintf(dla_text, sizeof dla_text, "%d", dla);
        graph_meta_add_prop(meta, "dla", dla_text); /* the peer adds it when set */
    }
    Arena *arena = arena_new();
    int n = 0;
    KeyValue *peer = export_stage_meta_json(meta, arena, &n, err, errlen);
    char *json = NULL;
    if (peer) {
        const ToolFacts *f = &ts->facts;
        const char *extra[][2] = {
            {"tensorrt", f->tool[TOOL_TRTEXEC].version},
            {"gpu", f->gpu.name[0] ? f->gpu.name : f->gpu.jetson},
            {"compute_capability", f->gpu.compute_capability},
            {"driver", f->gpu.driver},
            {"cuda", f->gpu.cuda},
            {"build_host", f->hostname[0] ? f->hostname : tool_session_where(ts)},
            {"precision", precision},
        };
        int total = n + (int)ARRAY_LEN(extra);
        KeyValue *kv = arena_alloc(arena, sizeof *kv * (size_t)total);
        memcpy(kv, peer, sizeof *kv * (size_t)n);
        int k = n;
        for (size_t i = 0; i < ARRAY_LEN(extra); i++) {
            if (!extra[i][1] || !extra[i][1][0]) continue;
            json_object *s = json_object_new_string(extra[i][1]);
            kv[k].key = arena_strdup(arena, extra[i][0]);
            kv[k].value = arena_strdup(arena, json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN));
            json_object_put(s);
            k++;
        }
        json = torchscript_metadata_json(kv, k, err, errlen);
    }
    arena_free(arena);
    graph_free(meta);
    return json;
}

int export_engine_tool(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    char msg[2048];
    int gpu_index, dla;
    trt_device_of(ctx->given, &gpu_index, &dla);

    /* 1. what cannot be built, before anything is written (int8 without data: export_args) */
    ExportStage st;
    export_stage_begin(&st, ctx, "TensorRT", false);
    if (export_stage_out_path(&st, ".engine", err, errlen) != 0) return -1;
    char engine_path[4096];
    snprintf(engine_path, sizeof engine_path, "%s", ctx->out_path);
    const char *slash = strrchr(engine_path, '/');
    const char *engine_name = slash ? slash + 1 : engine_path;

    /* 2. the build host: its tools and GPU */
    ToolSession ts;
    int rc = -1;
    AtomicFile *out = NULL;
    char *json = NULL;
    if (tool_session_open(&ts, job, ctx->host, engine_path, TOOL_BIT(TOOL_TRTEXEC) | TOOL_BIT(TOOL_NVIDIA_SMI),
                          gpu_index, msg, sizeof msg) != 0) {
        err_set(err, errlen, "TensorRT: %s", msg);
        goto out;
    }
    const char *where = tool_session_where(&ts);
    char missing[512], env[512];
    if (*trt_missing(&ts.facts, missing, sizeof missing)) {
        err_set(err, errlen, "TensorRT export is not available on %s: %s; nothing was written", where, missing);
        goto out;
    }
    tools_gpu_summary(&ts.facts, env, sizeof env);
    job_log(job, JOB_LOG_INFO, "%s on %s: %s (trtexec %s)", st.prefix, where, env, ts.facts.tool[TOOL_TRTEXEC].path);
    if (ts.facts.gpu.count > 0 && gpu_index >= ts.facts.gpu.count) {
        err_set(err, errlen, "TensorRT: device=%d asks for GPU %d, but %s has %d", gpu_index, gpu_index, where, ts.facts.gpu.count);
        goto out;
    }

    /* 3. our ONNX, with the peer's TensorRT settings (FP32 weights; dynamic with int8) */
    ExportArgs onnx_args = *a;
    onnx_args.half = false;
    onnx_args.int8 = false;
    ExportCtx oc = *ctx;
    oc.args = &onnx_args;
    oc.fmt = registry_row(FMT_ONNX);
    oc.host = NULL;
    oc.out_path[0] = '\0';
    if (export_onnx_stage(&oc, msg, sizeof msg) != 0) {
        err_set(err, errlen, "%s", msg);
        goto out;
    }
    job_commit_end(job); /* the ONNX is in place; the tool's step can still be cancelled */
    char onnx_path[4096];
    snprintf(onnx_path, sizeof onnx_path, "%s", oc.out_path);
    const char *oslash = strrchr(onnx_path, '/');
    const char *onnx_name = oslash ? oslash + 1 : onnx_path;
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 4. trtexec builds the engine */
    const char *precision = a->int8 ? "INT8" : a->half ? "FP16" : "FP32";
    export_stage_log_start(&st, "TensorRT %s (trtexec on %s)",
                           ts.facts.tool[TOOL_TRTEXEC].version[0] ? ts.facts.tool[TOOL_TRTEXEC].version : "(version unknown)",
                           where);
    job_log(job, JOB_LOG_INFO, "%s building %s engine as %s", st.prefix, precision, engine_path);
    char cache[2048];
    bool have_cache = tools_timing_cache_path(&ts.facts, cache, sizeof cache) == 0;
    if (have_cache) {
        ensure_cache_dir(&ts, cache);
        job_log(job, JOB_LOG_INFO, "%s timing cache %s (kept per GPU and TensorRT version)", st.prefix, cache);
    }
    TrtBuildSpec spec;
    int channels = ctx->source->meta.channels > 0 ? ctx->source->meta.channels : 3;
    trt_spec_for_export(&spec, a, ctx->given, &ts.facts, channels, onnx_name, engine_name, have_cache ? cache : NULL);
    if (a->dynamic)
        job_log(job, JOB_LOG_INFO, "%s dynamic profile images: min %dx%dx%dx%d, opt %dx%dx%dx%d, max %dx%dx%dx%d",
                st.prefix, spec.min[0], spec.min[1], spec.min[2], spec.min[3], spec.opt[0], spec.opt[1], spec.opt[2],
                spec.opt[3], spec.max[0], spec.max[1], spec.max[2], spec.max[3]);
    if (!export_args_is_none(a, EXPORT_KEY_WORKSPACE) && a->workspace > 0)
        job_log(job, JOB_LOG_INFO, "%s workspace %ld MiB: the builder's tactic scratch space, not a cap on GPU memory",
                st.prefix, trt_workspace_mib(a->workspace));
    /* INT8: the calibration cache from yoloport's calibration, beside the ONNX in the work
     * directory */
    char calib_name[600], calib_path[4800];
    const char *inputs[2] = {onnx_path, NULL};
    int n_inputs = 1;
    if (a->int8) {
        snprintf(calib_name, sizeof calib_name, "%.*s.cache", (int)(strlen(onnx_name) - 5), onnx_name);
        tool_session_path(&ts, calib_name, calib_path, sizeof calib_path);
        job_progress(job, "TensorRT: INT8 calibration", -1);
        if (trt_calib_cache_write(&st, onnx_path, ts.facts.trt, calib_path, msg, sizeof msg) != 0) {
            err_set(err, errlen, "TensorRT INT8 calibration: %s", msg);
            goto out;
        }
        spec.calib_cache = calib_name;
        if (ts.remote) inputs[n_inputs++] = calib_path; /* here it is in the work directory already */
    }
    char **argv = trt_build_argv(&spec);
    job_progress(job, "TensorRT: build", -1);
    ToolStep build = {.stage = "TensorRT build", .argv = argv, .inputs = inputs, .n_inputs = n_inputs};
    ToolRunResult res;
    int brc = tool_session_run(&ts, &build, &res, err, errlen);
    remote_argv_free(argv);
    if (brc != 0) goto out;

    /* 5. the check this build can make: trtexec loads the engine it built and runs it there */
    Vec lv = {0};
    const char *words[6];
    int nw = 0;
    char load_arg[600], shapes_arg[256];
    snprintf(load_arg, sizeof load_arg, "--loadEngine=%s", engine_name);
    words[nw++] = "trtexec";
    words[nw++] = load_arg;
    if (a->dynamic) {
        snprintf(shapes_arg, sizeof shapes_arg, "--shapes=images:%dx%dx%dx%d", spec.opt[0], spec.opt[1], spec.opt[2], spec.opt[3]);
        words[nw++] = shapes_arg;
    }
    words[nw++] = "--iterations=10";
    words[nw++] = "--warmUp=0";
    words[nw++] = "--duration=0";
    for (int i = 0; i < nw; i++) {
        char *d = xstrdup(words[i]);
        vec_push(&lv, sizeof d, &d);
    }
    char *null = NULL;
    vec_push(&lv, sizeof null, &null);
    char **largv = lv.items;
    job_progress(job, "TensorRT: load check", -1);
    ToolStep load = {.stage = "TensorRT load check", .argv = largv};
    char lmsg[1024];
    int lrc = tool_session_run(&ts, &load, &res, lmsg, sizeof lmsg);
    remote_argv_free(largv);
    if (lrc != 0 && (res.cancelled || job_cancelled(job))) {
        err_set(err, errlen, "cancelled");
        goto out;
    }
    if (lrc != 0 && res.connection_lost) {
        err_set(err, errlen, "%s", lmsg);
        goto out;
    }
    /* the engine comes back (from a remote host) under a temporary name */
    if (tool_session_fetch(&ts, "TensorRT", engine_name, false, err, errlen) != 0) goto out;

    /* 6. the peer's header in front of the plan, into place */
    char plan_path[4300];
    tool_session_path(&ts, engine_name, plan_path, sizeof plan_path);
    int64_t plan_bytes = path_size(plan_path);
    if (plan_bytes <= 0) {
        err_set(err, errlen, "TensorRT build: trtexec wrote an empty %s", engine_name);
        goto out;
    }
    if (!(json = header_json(ctx, &ts, precision, dla, msg, sizeof msg))) {
        err_set(err, errlen, "%s: %s", engine_path, msg);
        goto out;
    }
    job_progress(job, "TensorRT: header", -1);
    if (!(out = fileio_open_atomic(engine_path, err, errlen))) goto out;
    job_add_temp(job, out->tmp_path);
    if (engine_write(out->fd, json, plan_path, msg, sizeof msg) != 0) {
        err_set(err, errlen, "%s: %s", engine_path, msg);
        goto out;
    }
    EngineHeader h;
    if (engine_header_read(out->tmp_path, &h, msg, sizeof msg) != 0 || h.plan_bytes != (uint64_t)plan_bytes ||
        strcmp(h.json, json) != 0) {
        if (h.json) engine_header_free(&h);
        report_add_check(ctx->report, "engine header", CHECK_FAILED, -1, 0, "the written header does not read back");
        err_set(err, errlen, "%s: the header does not read back as written", engine_path);
        goto out;
    }
    char detail[512];
    snprintf(detail, sizeof detail, "read back: %u bytes of metadata (task %s, %d classes, imgsz %dx%d, batch %d), %llu-byte plan",
             h.meta_len, h.task[0] ? h.task : "?", h.nc, h.imgsz[0], h.imgsz[1], h.batch, (unsigned long long)h.plan_bytes);
    engine_header_free(&h);
    report_add_check(ctx->report, "engine header", CHECK_PASSED, -1, 0, detail);
    /* an engine built from an ONNX that failed its check is no better than that ONNX */
    CheckStatus status = oc.status == CHECK_WRITTEN_FAILED ? CHECK_WRITTEN_FAILED : CHECK_PASSED;
    if (lrc == 0) {
        snprintf(detail, sizeof detail, "trtexec loaded the engine and ran it on %s%s (outputs not compared: "
                 "yoloport has no TensorRT runtime; the ONNX it was built from was checked)", where,
                 a->dynamic ? " at the opt shape" : "");
        report_add_check(ctx->report, "engine load", CHECK_PASSED, -1, 0, detail);
    } else {
        report_add_check(ctx->report, "engine load", CHECK_WRITTEN_FAILED, -1, 0, lmsg);
        status = CHECK_WRITTEN_FAILED;
    }
    if (export_stage_cancelled(&st, err, errlen) || !job_commit(job)) {
        err_set(err, errlen, "cancelled");
        goto out;
    }
    {
        char *tmp = xstrdup(out->tmp_path);
        int crc = fileio_commit(out, msg, sizeof msg);
        out = NULL;
        job_release_temp(job, tmp);
        free(tmp);
        if (crc != 0) {
            err_set(err, errlen, "%s", msg);
            goto out;
        }
    }
    PrecisionInfo prec = {.kind = a->int8 ? PREC_INT8 : a->half ? PREC_FP16 : PREC_FP32};
    snprintf(prec.text, sizeof prec.text, "%s", a->int8 ? "int8" : a->half ? "fp16" : "fp32");
    export_stage_done(&st, status, &prec, -1);
    ReportArtifact *art = &ctx->report->artifacts[ctx->report->n_artifacts - 1];
    char built[700];
    snprintf(built, sizeof built, "%s%s%s%s: %s", where, ts.facts.hostname[0] && strcmp(ts.facts.hostname, where) ? " (" : "",
             ts.facts.hostname[0] && strcmp(ts.facts.hostname, where) ? ts.facts.hostname : "",
             ts.facts.hostname[0] && strcmp(ts.facts.hostname, where) ? ")" : "", env);
    report_set_built_on(art, built);
    rc = 0;

out:
    if (out) {
        job_release_temp(job, out->tmp_path);
        fileio_abort(out);
    }
    free(json);
    tool_session_close(&ts);
    export_stage_end(&st, rc);
    return rc;
}
