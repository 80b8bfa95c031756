/* peer: the export stages that hand the conversion to someone else's tool -- the peer's own
 * exporter (`yolo export` with the same arguments) and the vendor converters (ovc, pnnx,
 * MNNConvert) on our ONNX export -- and the choice of stage (see stages.h).
 *
 * Either way the tool runs in a work directory (this host, or host= over ssh), its output
 * streams into the job's log, and what it made is renamed into place only when complete.
 * Then the checks this build can make: the artifact is there (size, files); metadata.yaml
 * against the source model when the format carries one; and, when yoloport reads the format
 * (ONNX, OpenVINO), the artifact read back and run against the source on the fixed input,
 * exactly as our own exports are checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"
#include "engine/export/export_stage.h"
#include "engine/registry/model.h"
#include "engine/tools/driver.h"
#include "engine/tools/stages.h"
#include "engine/tools/trt.h"
#include "formats/openvino.h"
#include "formats/torchscript.h"

static bool backend_is(const ExportArgs *a, const char *name)
{
    return !export_args_is_none(a, EXPORT_KEY_BACKEND) && !strcasecmp(a->backend, name);
}

FormatWriteFn tools_export_stage(const FormatInfo *fi, const ExportArgs *a)
{
    if (!fi) return NULL;
    if (backend_is(a, "ultralytics")) return export_peer_tool;
    if (backend_is(a, "ovc") || backend_is(a, "pnnx") || backend_is(a, "mnnconvert")) return export_converter_tool;
    if (fi->write) return fi->write;
    return fi->drive_tool;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Put what the tool made (a file or a directory in the work directory) at ctx->out_path:
 * after the job's commit point, a directory replaces the old one only once in place. */
static int commit_output(ExportCtx *ctx, const char *made, bool is_dir, char *err, size_t errlen)
{
    if (!job_commit(ctx->job)) return err_set(err, errlen, "cancelled");
    if (is_dir) return fileio_commit_dir(made, ctx->out_path, err, errlen);
    if (rename(made, ctx->out_path) != 0) return err_set(err, errlen, "%s: %s", ctx->out_path, strerror(errno));
    return 0;
}

/* The checks this build can make on an artifact a tool made (after it is in place). */
static CheckStatus check_artifact(ExportStage *st, const char *who, PrecisionInfo *prec, double *worst)
{
    ExportCtx *ctx = st->ctx;
    const FormatInfo *fi = ctx->fmt;
    *worst = -1;
    memset(prec, 0, sizeof *prec);
    snprintf(prec->text, sizeof prec->text, "-");
    int64_t bytes = path_size(ctx->out_path);
    char detail[1024];
    if (bytes <= 0) {
        snprintf(detail, sizeof detail, "%s is empty", ctx->out_path);
        report_add_check(ctx->report, "artifact", CHECK_WRITTEN_FAILED, -1, 0, detail);
        return CHECK_WRITTEN_FAILED;
    }
    snprintf(detail, sizeof detail, "%s made %s (%.1f MB)", who, ctx->out_path, (double)bytes / (1 << 20));
    report_add_check(ctx->report, "artifact", CHECK_PASSED, -1, 0, detail);
    CheckStatus status = CHECK_PASSED;
    /* metadata.yaml, in the directory formats that carry one */
    char *meta_path = xasprintf("%s/metadata.yaml", ctx->out_path);
    if (file_is_dir(ctx->out_path) && file_exists(meta_path)) {
        char msg[512];
        size_t len = 0;
        char *text = file_read_all(meta_path, 1 << 20, &len, msg, sizeof msg);
        Graph *g = graph_new();
        if (text && openvino_metadata_read(g, text, len, meta_path, msg, sizeof msg) == 0) {
            const GraphMeta *sm = &ctx->source->meta;
            bool same = g->meta.nc == sm->nc && (!sm->task || !g->meta.task || !strcmp(sm->task, g->meta.task));
            snprintf(detail, sizeof detail, "metadata.yaml: task %s, %d classes, imgsz %dx%d%s", g->meta.task ? g->meta.task : "?",
                     g->meta.nc, g->meta.imgsz[0], g->meta.imgsz[1], same ? ", as the source" : ", not the source's");
            report_add_check(ctx->report, "metadata", same ? CHECK_PASSED : CHECK_WRITTEN_FAILED, -1, 0, detail);
            if (!same) status = CHECK_WRITTEN_FAILED;
        } else {
            snprintf(detail, sizeof detail, "%s", msg);
            report_add_check(ctx->report, "metadata", CHECK_WRITTEN_FAILED, -1, 0, detail);
            status = CHECK_WRITTEN_FAILED;
        }
        free(text);
        graph_free(g);
    }
    free(meta_path);
    /* formats yoloport reads: back in, and run against the source */
    if (fi->read && ctx->args->verify) {
        if (ctx->args->nms) {
            export_stage_numeric_skipped(st, "nms=True: the tool's NMS rows are not compared");
            return status;
        }
        char msg[1024];
        LoadOptions lo = {0};
        Graph *g = model_load(ctx->out_path, &lo, msg, sizeof msg);
        if (!g) {
            snprintf(detail, sizeof detail, "%s does not read back: %s", ctx->out_path, msg);
            report_add_check(ctx->report, "numeric", CHECK_WRITTEN_FAILED, -1, 0, detail);
            return CHECK_WRITTEN_FAILED;
        }
        report_scan_precision(g, prec);
        const char *in = g->n_inputs ? g->tensors[g->inputs[0]].name : "images";
        char what[128];
        snprintf(what, sizeof what, "%s's export", who);
        CheckStatus ns = export_stage_numeric(st, g, in, what, worst, msg, sizeof msg);
        graph_free(g);
        if (ns == CHECK_WRITTEN_FAILED || ns == CHECK_FAILED) status = CHECK_WRITTEN_FAILED;
    } else if (ctx->args->verify) {
        char why[256];
        snprintf(why, sizeof why, "yoloport does not run %s models; the files were checked", fi->name);
        export_stage_numeric_skipped(st, why);
    }
    return status;
}

/* ---- the peer's exporter --------------------------------------------------------------- */

/* Where `yolo export` puts its output, relative to its working directory, and whether it is
 * a directory: mostly <stem><suffix>; TF Lite and Edge TPU inside <stem>_saved_model/. */
static void peer_output(const ExportCtx *ctx, const char *stem, char *name, size_t len, bool *is_dir)
{
    const FormatInfo *fi = ctx->fmt;
    *is_dir = fi->dir_output;
    char given_fmt[EXPORT_STR_MAX];
    snprintf(given_fmt, sizeof given_fmt, "%s", ctx->given->format);
    if (fi->id == FMT_TFLITE || fi->id == FMT_EDGETPU) {
        snprintf(name, len, "%s_saved_model", stem);
        *is_dir = true;
    } else if (fi->id == FMT_COREML && !strcasecmp(given_fmt, "mlmodel")) {
        snprintf(name, len, "%s.mlmodel", stem);
        *is_dir = false;
    } else if (fi->id == FMT_COREML) {
        snprintf(name, len, "%s.mlpackage", stem); /* a package: a directory */
        *is_dir = true;
    } else if (fi->id == FMT_OPENVINO && ctx->args->int8) {
        snprintf(name, len, "%s_int8_openvino_model", stem);
    } else {
        snprintf(name, len, "%s%s", stem, fi->suffix);
    }
}

int export_peer_tool(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const FormatInfo *fi = ctx->fmt;
    FormatId src = ctx->source->meta.source_format;
    if (src != FMT_PYTORCH && src != FMT_YAML)
        return err_set(err, errlen,
                       "the peer's exporter (yolo export) starts from a .pt checkpoint or a model .yaml; %s is %s",
                       ctx->model_path, registry_row(src) ? registry_row(src)->name : "another format");
    ExportStage st;
    export_stage_begin(&st, ctx, fi->name, true);
    const char *stem = base_name(ctx->out_base);
    char out_name[600];
    bool is_dir;
    peer_output(ctx, stem, out_name, sizeof out_name, &is_dir);
    /* the artifact lands where the peer would put it: beside the model (CWD for a config) */
    char dest[4096];
    size_t dir_len = (size_t)(stem - ctx->out_base);
    snprintf(dest, sizeof dest, "%.*s%s", (int)dir_len, ctx->out_base, out_name);
    if ((size_t)snprintf(ctx->out_path, sizeof ctx->out_path, "%s", dest) >= sizeof ctx->out_path)
        return err_set(err, errlen, "%s: the output path is too long", dest);
    if (!strcmp(ctx->out_path, ctx->model_path))
        return err_set(err, errlen, "%s: the export would replace the model it was made from", ctx->out_path);

    ToolSession ts;
    char msg[1024];
    int rc = -1;
    if (tool_session_open(&ts, ctx->job, ctx->host, ctx->out_path, TOOL_BIT(TOOL_YOLO), 0, msg, sizeof msg) != 0) {
        err_set(err, errlen, "%s: %s", fi->name, msg);
        goto out;
    }
    const char *where = tool_session_where(&ts);
    if (!ts.facts.tool[TOOL_YOLO].found) {
        if (!fi->write && fi->unavailable_reason)
            err_set(err, errlen,
                    "%s export is %s; with the Ultralytics yolo command yoloport would drive `yolo export` for it, "
                    "but yolo is not on PATH on %s (%s)",
                    fi->name, fi->unavailable_reason, where, tools_about(TOOL_YOLO));
        else
            err_set(err, errlen, "backend=ultralytics needs the Ultralytics yolo command, which is not on PATH on %s (%s)",
                    where, tools_about(TOOL_YOLO));
        goto out;
    }
    const char *ver = ts.facts.tool[TOOL_YOLO].version;
    export_stage_log_start(&st, "Ultralytics %s (yolo export on %s)", ver[0] ? ver : "(version unknown)", where);

    /* the same arguments, with the model under its own name in the work directory */
    ExportArgs pa = *ctx->given;
    const char *inputs[1];
    int n_inputs = 0;
    if (file_exists(ctx->model_path) && !file_is_dir(ctx->model_path)) {
        inputs[n_inputs++] = ctx->model_path;
        export_args_set(&pa, "model", base_name(ctx->model_path), NULL);
    }
    char **argv = export_args_argv(&pa, EXPORT_CMD_YOLO);
    const char *outputs[1] = {out_name};
    bool out_dir[1] = {is_dir};
    job_progress(ctx->job, "yolo export", -1);
    ToolStep step = {.stage = "Ultralytics export", .argv = argv, .inputs = inputs, .n_inputs = n_inputs,
                     .outputs = outputs, .n_outputs = 1, .output_is_dir = out_dir};
    int srun = tool_session_run(&ts, &step, NULL, err, errlen);
    for (int i = 0; argv[i]; i++) free(argv[i]);
    free(argv);
    if (srun != 0) goto out;
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    char made[4200];
    tool_session_path(&ts, out_name, made, sizeof made);
    if (commit_output(ctx, made, is_dir, err, errlen) != 0) goto out;
    char who[128];
    snprintf(who, sizeof who, "Ultralytics %s", ver[0] ? ver : "");
    PrecisionInfo prec;
    double worst;
    CheckStatus status = check_artifact(&st, who, &prec, &worst);
    if (job_cancelled(ctx->job)) status = CHECK_PASSED; /* committed: the checks were cut short */
    export_stage_done(&st, status, &prec, worst);
    char built[512];
    snprintf(built, sizeof built, "%s: yolo export (Ultralytics %s)", where, ver[0] ? ver : "?");
    report_set_built_on(&ctx->report->artifacts[ctx->report->n_artifacts - 1], built);
    rc = 0;
out:
    tool_session_close(&ts);
    export_stage_end(&st, rc);
    return rc;
}

/* ---- converters on our ONNX --------------------------------------------------------- */

typedef struct {
    FormatId fmt;
    ToolId tool;
    const char *backend;
} Converter;

static const Converter converters[] = {
    {FMT_OPENVINO, TOOL_OVC, "ovc"},
    {FMT_NCNN, TOOL_PNNX, "pnnx"},
    {FMT_MNN, TOOL_MNNCONVERT, "mnnconvert"},
};

/* metadata.yaml for a directory the converter made (the peer's keys, as our writers put them). */
static int write_metadata_yaml(ExportCtx *ctx, const char *dir, char *err, size_t errlen)
{
    Graph *meta = graph_new();
    meta->meta = ctx->source->meta;
    meta->meta.props = NULL;
    meta->meta.n_props = 0;
    export_set_metadata(meta, ctx);
    KeyValue *kv = xcalloc((size_t)(meta->meta.n_props ? meta->meta.n_props : 1), sizeof *kv);
    for (int i = 0; i < meta->meta.n_props; i++) kv[i] = meta->meta.props[i];
    char *text = openvino_metadata_yaml(kv, meta->meta.n_props);
    free(kv);
    graph_free(meta);
    char *path = xasprintf("%s/metadata.yaml", dir);
    int rc = fileio_write_atomic(path, text, strlen(text), err, errlen);
    free(path);
    free(text);
    return rc;
}

/* MNNConvert's --bizCode: the metadata as json.dumps writes it (as the peer passes it). */
static char *metadata_json(ExportCtx *ctx, char *err, size_t errlen)
{
    Graph *meta = graph_new();
    meta->meta = ctx->source->meta;
    meta->meta.props = NULL;
    meta->meta.n_props = 0;
    export_set_metadata(meta, ctx);
    Arena *arena = arena_new();
    int n = 0;
    KeyValue *kv = export_stage_meta_json(meta, arena, &n, err, errlen);
    char *json = kv ? torchscript_metadata_json(kv, n, err, errlen) : NULL;
    arena_free(arena);
    graph_free(meta);
    return json;
}

/* The converter's argument vector (words naming work-directory files) and the names it
 * writes (into names, *n_out of them); json: MNNConvert's --bizCode. */
static char **converter_argv(const Converter *cv, const ExportArgs *a, int channels, const char *stem,
                             const char *onnx_name, const char *json, char names[3][600], int *n_out)
{
    Vec v = {0};
#define ARG(...) do { char *w_ = xasprintf(__VA_ARGS__); vec_push(&v, sizeof w_, &w_); } while (0)
    *n_out = 0;
    ARG("%s", tools_name(cv->tool));
    if (cv->tool == TOOL_OVC) {
        ARG("%s", onnx_name);
        ARG("--output_model");
        ARG("%s.xml", stem);
        ARG("--compress_to_fp16=%s", a->half ? "True" : "False");
        snprintf(names[(*n_out)++], 600, "%s.xml", stem);
        snprintf(names[(*n_out)++], 600, "%s.bin", stem);
    } else if (cv->tool == TOOL_PNNX) {
        ARG("%s", onnx_name);
        ARG("inputshape=[%d,%d,%d,%d]", a->batch, channels, a->imgsz.v[0], a->imgsz.v[1]);
        ARG("fp16=%d", a->half ? 1 : 0);
        ARG("ncnnparam=model.ncnn.param");
        ARG("ncnnbin=model.ncnn.bin");
        ARG("ncnnpy=model_ncnn.py");
        ARG("pnnxparam=model.pnnx.param");
        ARG("pnnxbin=model.pnnx.bin");
        ARG("pnnxpy=model_pnnx.py");
        ARG("pnnxonnx=model.pnnx.onnx");
        snprintf(names[(*n_out)++], 600, "model.ncnn.param");
        snprintf(names[(*n_out)++], 600, "model.ncnn.bin");
    } else {
        ARG("-f");
        ARG("ONNX");
        ARG("--modelFile");
        ARG("%s", onnx_name);
        ARG("--MNNModel");
        ARG("%s.mnn", stem);
        ARG("--bizCode");
        ARG("%s", json ? json : "<metadata JSON>");
        if (a->half) ARG("--fp16");
        if (a->int8) {
            ARG("--weightQuantBits");
            ARG("8");
        }
        snprintf(names[(*n_out)++], 600, "%s.mnn", stem);
    }
#undef ARG
    char *null = NULL;
    vec_push(&v, sizeof null, &null);
    return v.items;
}

int export_converter_tool(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const FormatInfo *fi = ctx->fmt;
    const ExportArgs *a = ctx->args;
    const Converter *cv = NULL;
    for (size_t i = 0; i < ARRAY_LEN(converters); i++)
        if (converters[i].fmt == fi->id) cv = &converters[i];
    if (!cv) return err_set(err, errlen, "no converter makes %s", fi->name);
    const char *tool = tools_name(cv->tool);
    if (a->int8 && cv->tool == TOOL_OVC)
        return err_set(err, errlen, "int8=True with backend=ovc is not available: ovc converts without quantizing "
                                    "(OpenVINO's INT8 needs NNCF calibration)");
    ExportStage st;
    export_stage_begin(&st, ctx, fi->name, true);
    if (export_stage_out_path(&st, fi->suffix, err, errlen) != 0) return -1;
    char dest[4096];
    snprintf(dest, sizeof dest, "%s", ctx->out_path);
    const char *stem = base_name(ctx->out_base);

    ToolSession ts;
    char msg[1024];
    int rc = -1;
    char *json = NULL;
    if (tool_session_open(&ts, ctx->job, ctx->host, dest, TOOL_BIT(cv->tool), 0, msg, sizeof msg) != 0) {
        err_set(err, errlen, "%s: %s", fi->name, msg);
        goto out;
    }
    const char *where = tool_session_where(&ts);
    if (!ts.facts.tool[cv->tool].found) {
        if (!fi->write && fi->unavailable_reason)
            err_set(err, errlen, "%s export is %s; and %s is not on PATH on %s (%s)", fi->name, fi->unavailable_reason,
                    tool, where, tools_about(cv->tool));
        else
            err_set(err, errlen, "backend=%s needs %s, which is not on PATH on %s (%s)", cv->backend, tool, where,
                    tools_about(cv->tool));
        goto out;
    }

    /* our ONNX first (kept beside, as the input the converter was given) */
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
    job_commit_end(ctx->job); /* the ONNX is in place; the tool's step can still be cancelled */
    snprintf(ctx->out_path, sizeof ctx->out_path, "%s", dest); /* the ONNX stage wrote its own */
    char onnx_path[4096];
    snprintf(onnx_path, sizeof onnx_path, "%s", oc.out_path);
    const char *onnx_name = base_name(onnx_path);
    const char *ver = ts.facts.tool[cv->tool].version;
    export_stage_log_start(&st, "%s %s (on %s)", tool, ver[0] ? ver : "(version unknown)", where);

    if (cv->tool == TOOL_MNNCONVERT && !(json = metadata_json(ctx, msg, sizeof msg))) {
        err_set(err, errlen, "%s: %s", dest, msg);
        goto out;
    }
    char names[3][600];
    int n_out = 0;
    int channels = ctx->source->meta.channels > 0 ? ctx->source->meta.channels : 3;
    char **argv = converter_argv(cv, a, channels, stem, onnx_name, json, names, &n_out);
    const char *inputs[1] = {onnx_path};
    const char *outputs[3] = {names[0], names[1], names[2]};
    job_progress(ctx->job, tool, -1);
    char stage_name[96];
    snprintf(stage_name, sizeof stage_name, "%s conversion", fi->name);
    ToolStep step = {.stage = stage_name, .argv = argv, .inputs = inputs, .n_inputs = 1, .outputs = outputs,
                     .n_outputs = n_out};
    int srun = tool_session_run(&ts, &step, NULL, err, errlen);
    remote_argv_free(argv);
    if (srun != 0) goto out;
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* assemble the artifact in the work directory, then into place */
    char made[4200];
    if (fi->dir_output) {
        tool_session_path(&ts, base_name(dest), made, sizeof made);
        fileio_remove_tree(made);
        if (mkdir(made, 0755) != 0) {
            err_set(err, errlen, "%s: %s", made, strerror(errno));
            goto out;
        }
        for (int i = 0; i < n_out; i++) {
            char from[4200], to[4800];
            tool_session_path(&ts, names[i], from, sizeof from);
            snprintf(to, sizeof to, "%s/%s", made, names[i]);
            if (rename(from, to) != 0) {
                err_set(err, errlen, "%s: %s", to, strerror(errno));
                goto out;
            }
        }
        if (write_metadata_yaml(ctx, made, msg, sizeof msg) != 0) {
            err_set(err, errlen, "%s", msg);
            goto out;
        }
    } else {
        tool_session_path(&ts, names[0], made, sizeof made);
    }
    if (commit_output(ctx, made, fi->dir_output, err, errlen) != 0) goto out;
    char who[128];
    snprintf(who, sizeof who, "%s %s", tool, ver);
    PrecisionInfo prec;
    double worst;
    CheckStatus status = check_artifact(&st, who, &prec, &worst);
    if (oc.status == CHECK_WRITTEN_FAILED) status = CHECK_WRITTEN_FAILED; /* converted from an ONNX that failed its check */
    if (prec.kind == PREC_NONE) {
        prec.kind = a->int8 ? PREC_INT8 : a->half ? PREC_FP16 : PREC_FP32;
        snprintf(prec.text, sizeof prec.text, "%s", precision_name(prec.kind));
    }
    export_stage_done(&st, status, &prec, worst);
    char built[512];
    snprintf(built, sizeof built, "%s: %s %s", where, tool, ver[0] ? ver : "");
    report_set_built_on(&ctx->report->artifacts[ctx->report->n_artifacts - 1], built);
    rc = 0;
out:
    free(json);
    tool_session_close(&ts);
    export_stage_end(&st, rc);
    return rc;
}

/* ---- the commands a stage would run, for the workbench -------------------------------- */

static char *with_host(char **argv, const RemoteHost *host)
{
    char *text = host ? remote_display_command(host, NULL, argv) : tools_command_text(argv);
    return text;
}

char *tools_stage_command_preview(const FormatInfo *fi, const ExportArgs *a, const ExportArgs *given,
                                  const ToolFacts *facts, const RemoteHost *host, const char *stem)
{
    FormatWriteFn stage = tools_export_stage(fi, a);
    if (!stage || stage == fi->write) return NULL;
    char onnx[600], engine[600];
    snprintf(onnx, sizeof onnx, "%s.onnx", stem);
    snprintf(engine, sizeof engine, "%s.engine", stem);
    char **argv = NULL;
    if (stage == export_engine_tool) {
        char cache[2048];
        bool have_cache = facts && facts->probed && tools_timing_cache_path(facts, cache, sizeof cache) == 0;
        TrtBuildSpec spec;
        trt_spec_for_export(&spec, a, given, facts, 3, onnx, engine, have_cache && !host ? cache : NULL);
        argv = trt_build_argv(&spec);
    } else if (stage == export_converter_tool) {
        for (size_t i = 0; i < ARRAY_LEN(converters); i++)
            if (converters[i].fmt == fi->id) {
                char names[3][600];
                int n;
                argv = converter_argv(&converters[i], a, 3, stem, onnx, NULL, names, &n);
            }
    } else if (stage == export_peer_tool) {
        argv = export_args_argv(given, EXPORT_CMD_YOLO);
    } else if (stage == export_edgetpu_tool) {
        char fi[600];
        snprintf(fi, sizeof fi, "%s_full_integer_quant.tflite", stem);
        argv = edgetpu_compile_argv(fi);
    }
    if (!argv) return NULL;
    char *text = with_host(argv, host);
    remote_argv_free(argv);
    return text;
}
