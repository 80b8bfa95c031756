/* export_torchscript: the TorchScript writer stage — `format=torchscript`, the peer's
 * `<stem>.torchscript` with its metadata as extra/config.txt (JSON, as json.dumps writes it).
 *
 * The archive is written into a temporary directory beside the destination
 * (formats/torchscript.h), inspected there against the graph it came from (structure,
 * tensors, storages, metadata), then read back whole into the IR — its forward() code and
 * its weights, as predict and val read it (formats/torchscript_graph.c) — and run against
 * the source model in our executor (in float16 with half=True), or proven node for node.
 * Only then is it renamed over any existing file.  The end-to-end tests also run it in
 * torch.jit.load.
 *
 * Arguments: batch, half (float16 storages, computed in float16 as the peer's .half() model),
 * dynamic (symbolic batch/height/width in the code); nms needs torchvision's NMS, which a
 * TorchScript archive without torchvision cannot call, so it is refused with the writer's
 * reason; optimize (PyTorch Mobile's optimize_for_mobile) is refused at stage start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/export/export_stage.h"
#include "engine/registry/readers.h"
#include "formats/torchscript.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

/* "a/b/yolov8n.torchscript" -> "yolov8n.torchscript" / "yolov8n" */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int export_torchscript_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    if (a->optimize)
        return err_set(err, errlen,
                       "optimize=True is not available in this build: it is PyTorch Mobile's optimize_for_mobile pass, "
                       "which runs inside PyTorch; yoloport writes TorchScript without PyTorch (export with "
                       "optimize=False)");
    ExportStage st;
    export_stage_begin(&st, ctx, "TorchScript", true);
    export_stage_log_start(&st, "torch yoloport-%s", YOLOPORT_VERSION);
    if (a->half)
        job_log(job, JOB_LOG_INFO,
                "%s half=True: float16 weights, computed in float16 as the peer's .half() model (nothing is traced, "
                "so no GPU is needed to export)",
                st.prefix);

    int rc = -1;
    Graph *g = NULL, *w = NULL;
    Arena *arena = arena_new();
    TorchScriptInfo info;
    memset(&info, 0, sizeof info);
    bool have_info = false;
    char msg[1024], *file = NULL, *stem = NULL;

    job_progress(job, "TorchScript: transform", 0.05);
    if (!(g = export_stage_graph(&st, err, errlen))) goto out;
    export_set_metadata(g, ctx);
    int n_meta = 0;
    KeyValue *meta = export_stage_meta_json(g, arena, &n_meta, msg, sizeof msg);
    if (!meta) goto fail_msg;
    if (export_stage_out_path(&st, ctx->fmt->suffix, err, errlen) != 0) goto out;
    const char *base = base_name(ctx->out_path);
    size_t sl = strlen(base), xl = strlen(ctx->fmt->suffix);
    stem = xstrndup(base, sl > xl ? sl - xl : sl);
    TorchScriptOptions opt = {.half = a->half, .archive_name = stem, .metadata = meta, .n_metadata = n_meta};
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 1. write into a temporary directory beside the destination */
    job_progress(job, "TorchScript: write", 0.2);
    if (export_stage_temp_dir(&st, err, errlen) != 0) goto out;
    file = xasprintf("%s/%s", st.temp_dir, base);
    if (torchscript_write(g, &opt, file, msg, sizeof msg) != 0) {
        export_stage_writer_error(&st, file, msg, sizeof msg, err, errlen);
        goto out;
    }
    export_stage_log_nms(&st);
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 2. the archive against the graph: structure, tensors, storages, metadata */
    job_progress(job, "TorchScript: check", 0.5);
    if (torchscript_check(file, g, &opt, &info, msg, sizeof msg) != 0) {
        export_stage_name_output(&st, file, msg, sizeof msg);
        char why[1200];
        snprintf(why, sizeof why, "%s: the written archive does not read back as written: %s", ctx->out_path, msg);
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, why);
        err_set(err, errlen, "%s", why);
        goto out;
    }
    have_info = true;
    {
        char detail[600];
        snprintf(detail, sizeof detail,
                 "read back: %s, %d tensors (%lld elements, %s storages, %lld bytes), forward(%d input%s) -> %d "
                 "output%s, version %d, %d metadata keys in extra/config.txt",
                 info.class_name, info.n_tensors, (long long)info.n_elements,
                 info.dtype == DT_UNDEFINED ? "mixed" : dtype_name(info.dtype), (long long)info.data_bytes,
                 info.n_inputs, info.n_inputs == 1 ? "" : "s", info.n_outputs, info.n_outputs == 1 ? "" : "s",
                 info.version, n_meta);
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
    }

    /* 3. numeric: the archive read back whole (its forward() code and its weights, by
     * formats/torchscript_graph.c) and run against the source, or proven node for node */
    PrecisionInfo prec;
    memset(&prec, 0, sizeof prec);
    double worst = -1;
    CheckStatus status = CHECK_PASSED;
    if (a->verify) {
        w = reader_torchscript_read(file, NULL, msg, sizeof msg);
        if (!w) {
            export_stage_name_output(&st, file, msg, sizeof msg);
            char why[1200];
            snprintf(why, sizeof why, "%s: the archive does not read back: %s", ctx->out_path, msg);
            report_add_check(ctx->report, "numeric", CHECK_FAILED, -1, 0, why);
            err_set(err, errlen, "%s", why);
            goto out;
        }
        report_scan_precision(w, &prec);
        char what[200];
        snprintf(what, sizeof what, "the archive read back (forward() and %d tensors, %.1f MB)%s", info.n_tensors,
                 report_mib(info.data_bytes), a->half ? ", computed in float16" : "");
        status = export_stage_numeric(&st, w, "images", what, &worst, err, errlen);
        if (status == CHECK_FAILED) goto out; /* cancelled */
    } else {
        /* the precision from what the structural check read */
        Graph *scan = graph_new();
        int64_t one = info.n_elements;
        int si = graph_add_tensor(scan, "storages", info.dtype == DT_UNDEFINED ? DT_F32 : info.dtype, 1, &one);
        scan->tensors[si].is_param = true;
        report_scan_precision(scan, &prec);
        graph_free(scan);
        status = export_stage_numeric(&st, g, "images", NULL, &worst, err, errlen); /* "skipped": not checked */
    }

    /* 4. into place */
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    if (export_stage_commit_file(&st, base, err, errlen) != 0) goto out;
    export_stage_done(&st, status, &prec, worst);
    rc = 0;
    goto out;

fail_msg:
    err_set(err, errlen, "%s", msg);
out:
    export_stage_end(&st, rc);
    if (have_info) torchscript_info_free(&info);
    free(file);
    free(stem);
    graph_free(w);
    graph_free(g);
    arena_free(arena);
    return rc;
}
