/* export_pb: the GraphDef writer stage — `format=pb`, the peer's `<stem>.pb`: a frozen graph
 * (weights as Const) of NHWC TensorFlow ops, as TensorFlow's convert_variables_to_constants_v2
 * leaves it (formats/tfsaved.h).  Written to a temporary file beside the destination, read
 * back and checked there (it parses as a GraphDef, every input names a node, every constant
 * matches its shape and type), then renamed into place.  This build has no TensorFlow
 * runtime, so the numeric check is reported as skipped; the tests run the file in TF.js
 * (tests/node, through tfjs-converter's graph model). */
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
    export_stage_begin(&st, ctx, "TensorFlow GraphDef", false);
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
    free(tmp);
    if (crc != 0) {
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
    if (ctx->args->verify)
        export_stage_numeric_skipped(&st, "this build has no TensorFlow runtime to run a GraphDef in (the structure is "
                                          "checked; the tests run it in TF.js through tfjs-converter)");
    else
        report_add_check(ctx->report, "numeric", CHECK_SKIPPED, -1, 0, "verify=False");
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    if (export_stage_commit_file(&st, name, err, errlen) != 0) goto out;
    PrecisionInfo prec;
    report_scan_precision(g, &prec);
    /* the structure is checked, but nothing ran the graph: the artifact is not "passed" */
    export_stage_done(&st, CHECK_SKIPPED, &prec, -1);
    rc = 0;
out:
    export_stage_end(&st, rc);
    graph_free(g);
    return rc;
}
