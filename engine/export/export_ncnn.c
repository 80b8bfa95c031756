/* export_ncnn: the ncnn writer stage — `format=ncnn`, the peer's `<stem>_ncnn_model/`
 * directory: model.ncnn.param, model.ncnn.bin (formats/ncnn.h) and metadata.yaml with the
 * peer's keys.  The input blob is in0 and the outputs out0, out1 (the names the peer's pnnx
 * export gives them, which users' ncnn code extracts).
 *
 * The model is written into a temporary directory beside the destination, read back with
 * our ncnn reader, its interface and metadata compared with what was written, and the
 * read-back model run in our executor against the source; only then does the directory
 * replace any previous export of that name.
 *
 * Arguments: half (weights stored as float16 behind ncnn's 0x01306B47 tag, as pnnx's
 * fp16=True writes them: ncnn converts them when it loads the model); batch must be 1,
 * since an ncnn blob has no batch axis (one extractor runs one image); dynamic (ours: the
 * peer's NCNN export has none) leaves the height and width open — the graph is built with
 * LoadOptions.dynamic_hw_only (anchors by CumSum over the feature maps, no shape
 * arithmetic), the Input gives the channels only, and ncnn and our reader run the file at
 * any size; a second check runs the file read back at 3/4 of the height against the graph
 * written (report check "other size"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/export/export_stage.h"
#include "engine/passes/passes.h"
#include "formats/ncnn.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

/* Inputs in0, in1, ... and outputs out0, out1, ... as the peer's pnnx names them. */
static void ncnn_names(Graph *g)
{
    for (int i = 0; i < g->n_inputs; i++) g->tensors[g->inputs[i]].name = arena_printf(g->arena, "in%d", i);
    for (int i = 0; i < g->n_outputs; i++) g->tensors[g->outputs[i]].name = arena_printf(g->arena, "out%d", i);
}

/* The read-back model against the graph we wrote: inputs, outputs and every metadata key
 * and value.  0 or -1 + the first difference. */
static int check_interface(const Graph *want, const Graph *got, char *err, size_t errlen)
{
    if (export_stage_check_io(want, got, false, err, errlen) != 0) return -1;
    for (int i = 0; i < want->meta.n_props; i++) {
        const char *k = want->meta.props[i].key, *v = graph_meta_prop(got, k);
        if (!v) return err_set(err, errlen, "metadata.yaml has no '%s'", k);
        if (strcmp(v, want->meta.props[i].value) != 0)
            return err_set(err, errlen, "metadata '%s' reads back as %.80s, written %.80s", k, v, want->meta.props[i].value);
    }
    return 0;
}

int export_ncnn_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    if (a->batch > 1)
        return err_set(err, errlen,
                       "batch=%d is not available for NCNN: an ncnn blob has no batch axis (one extractor runs one "
                       "image); export with batch=1 and run the images one by one",
                       a->batch);
    ExportStage st;
    export_stage_begin(&st, ctx, "NCNN", true);
    export_stage_log_start(&st, "NCNN yoloport-%s", YOLOPORT_VERSION);
    if (a->half)
        job_log(job, JOB_LOG_INFO,
                "%s half=True: float16 weights (ncnn's 0x01306B47 storage, as pnnx's fp16=True writes them; nothing is "
                "traced, so no GPU is needed)",
                st.prefix);

    int rc = -1;
    Graph *g = NULL, *rb = NULL;
    char msg[1024];

    job_progress(job, "NCNN: transform", 0.05);
    if (!(g = export_stage_graph(&st, err, errlen))) goto out;
    pass_fold_static(g); /* shape arithmetic of graphs read from files: ncnn needs every shape static */
    ncnn_names(g);
    export_set_metadata(g, ctx);
    if (export_stage_out_path(&st, ctx->fmt->suffix, err, errlen) != 0) goto out;
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 1. the model into a temporary directory beside the destination */
    job_progress(job, "NCNN: write", 0.2);
    if (export_stage_temp_dir(&st, err, errlen) != 0) goto out;
    NcnnOptions opt = {.half = a->half};
    if (ncnn_write(g, &opt, st.temp_dir, msg, sizeof msg) != 0) {
        export_stage_writer_error(&st, st.temp_dir, msg, sizeof msg, err, errlen);
        goto out;
    }
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 2. read back: interface and metadata */
    job_progress(job, "NCNN: check", 0.5);
    rb = ncnn_read(st.temp_dir, msg, sizeof msg);
    if (!rb || check_interface(g, rb, msg, sizeof msg) != 0) {
        export_stage_name_output(&st, st.temp_dir, msg, sizeof msg);
        char why[1200];
        snprintf(why, sizeof why, "%s: the written model does not read back as written: %s", ctx->out_path, msg);
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, why);
        err_set(err, errlen, "%s", why);
        goto out;
    }
    {
        char in_s[96], out_s[300] = "", detail[600];
        const Tensor *in = &rb->tensors[rb->inputs[0]];
        shape_str(in, in_s, sizeof in_s);
        size_t used = 0;
        for (int i = 0; i < rb->n_outputs && used < sizeof out_s; i++) {
            char sh[96];
            const Tensor *t = &rb->tensors[rb->outputs[i]];
            used += (size_t)snprintf(out_s + used, sizeof out_s - used, "%s%s %s", i ? ", " : "", t->name,
                                     shape_str(t, sh, sizeof sh));
        }
        snprintf(detail, sizeof detail, "read back: %s + %s, %d nodes; %s %s -> %s; metadata.yaml %d keys",
                 NCNN_PARAM_FILE, NCNN_BIN_FILE, rb->n_nodes, in->name, in_s, out_s, g->meta.n_props);
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
    }
    PrecisionInfo prec;
    report_scan_precision(rb, &prec);

    /* 3. numeric: the read-back model in our executor against the source run */
    double worst = -1;
    st.run_path = st.temp_dir; /* in ncnn itself when the host has it */
    CheckStatus status = export_stage_numeric(&st, rb, "in0", "the ncnn model as read back", &worst, err, errlen);
    if (status == CHECK_FAILED) goto out; /* cancelled */
    if (export_stage_check_other_size(&st, g, rb, "in0", err, errlen) != 0) goto out;

    /* 4. into place: an earlier export of the same name is replaced only now */
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    if (export_stage_commit_dir(&st, err, errlen) != 0) goto out;
    export_stage_done(&st, status, &prec, worst);
    rc = 0;

out:
    export_stage_end(&st, rc);
    graph_free(rb);
    graph_free(g);
    return rc;
}
