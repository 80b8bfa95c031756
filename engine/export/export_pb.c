/* export_pb: the GraphDef writer stage — `format=pb`, the peer's `<stem>.pb`: a frozen graph
 * (weights as Const) of NHWC TensorFlow ops, as TensorFlow's convert_variables_to_constants_v2
 * leaves it (formats/tfsaved.h).  Written to a temporary file beside the destination, read
 * back and checked there (it parses as a GraphDef, every input names a node, every constant
 * matches its shape and type; then our reader reads it back, formats/tfsaved_read.c, and it
 * runs in our executor against the source), then renamed into place.  The tests also run the
 * file in TF.js (tests/node, through tfjs-converter's graph model). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/export/export_stage.h"
#include "engine/passes/passes.h"
#include "formats/tfsaved.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

int export_pb_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    Job *job = ctx->job;
    ExportStage st;
    export_stage_begin(&st, ctx, "TensorFlow GraphDef", true);
    export_stage_log_start(&st, "tensorflow yoloport-%s", YOLOPORT_VERSION);
    int rc = -1;
    Graph *g = NULL;
    char msg[1024];
    job_progress(job, "TensorFlow GraphDef: transform", 0.05);
    if (!(g = export_stage_graph(&st, err, errlen))) goto out;
    pass_fold_static(g); /* graphs read from files: TensorFlow ops need static shapes */
    if (export_stage_out_path(&st, ctx->fmt->suffix, err, errlen) != 0) goto out;
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    job_progress(job, "TensorFlow GraphDef: write", 0.2);
    if (export_stage_temp_dir(&st, err, errlen) != 0) goto out;
    const char *slash = strrchr(ctx->out_path, '/');
    const char *name = slash ? slash + 1 : ctx->out_path;
    char *tmp = xasprintf("%s/%s", st.temp_dir, name);
    TfSavedSummary sum;
    if (tfsaved_write_pb(g, NULL, tmp, &sum, msg, sizeof msg) != 0) {
        free(tmp);
        export_stage_writer_error(&st, st.temp_dir, msg, sizeof msg, err, errlen);
        goto out;
    }
    job_progress(job, "TensorFlow GraphDef: check", 0.6);
    int crc = tfsaved_check_pb(tmp, &sum, msg, sizeof msg);
    Graph *back = NULL;
    if (crc == 0 && ctx->args->verify) { /* read back as predict and val run it */
        back = tfsaved_read_pb(tmp, msg, sizeof msg);
        if (!back || pass_nhwc_as_source(back, false, msg, sizeof msg) != 0) crc = -1;
    }
    free(tmp);
    if (crc != 0) {
        graph_free(back);
        export_stage_name_output(&st, st.temp_dir, msg, sizeof msg);
        char why[1200];
        snprintf(why, sizeof why, "the written GraphDef does not check out: %s", msg);
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, why);
        err_set(err, errlen, "%s", why);
        goto out;
    }
    {
        char detail[600];
        snprintf(detail, sizeof detail, "read back: GraphDef of %d nodes, input %s, output%s %s; %d constants (%.1f MB)",
                 sum.n_nodes, sum.input_key, strchr(sum.output_keys, ',') ? "s" : "", sum.output_keys, sum.n_consts,
                 report_mib(sum.const_bytes));
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
        job_log(job, JOB_LOG_INFO, "%s structure check %s passed: %s", st.prefix, check_status_mark(CHECK_PASSED), detail);
    }
    CheckStatus cs = CHECK_SKIPPED;
    double worst = -1;
    int other = 0;
    if (ctx->args->verify) {
        cs = export_stage_numeric(&st, back, "images", "the GraphDef read back in our executor", &worst, err, errlen);
        if (cs != CHECK_FAILED) other = export_stage_check_other_size(&st, g, back, "images", err, errlen);
    } else {
        report_add_check(ctx->report, "numeric", CHECK_SKIPPED, -1, 0, "verify=False");
    }
    graph_free(back);
    if (cs == CHECK_FAILED || other != 0) goto out;
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    if (export_stage_commit_file(&st, name, err, errlen) != 0) goto out;
    PrecisionInfo prec;
    report_scan_precision(g, &prec);
    export_stage_done(&st, cs, &prec, worst);
    rc = 0;
out:
    export_stage_end(&st, rc);
    graph_free(g);
    return rc;
}
