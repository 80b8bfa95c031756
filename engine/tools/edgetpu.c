/* edgetpu: format=edgetpu -- the Edge TPU export stage (the edgetpu row's drive_tool).
 *
 * As the peer: the full-integer TF Lite file first (our TF Lite stage with int8, calibrated on
 * data=: `<stem>_saved_model/` with the float and int8 files, each checked), then Coral's
 * compiler on it, with the peer's flags:
 *   edgetpu_compiler -s -d -k 10 --out_dir . <stem>_full_integer_quant.tflite
 * in a work directory beside the artifact (on this host or on host=), its output streamed into
 * the job's log; the compiled `<stem>_full_integer_quant_edgetpu.tflite` is read back (its
 * interface: the int8 input and outputs of the file it was compiled from; the operators the
 * compiler left to the CPU and its custom op), and only then renamed into the directory.
 * Cancel stops the compiler (SIGINT, then SIGKILL) and nothing of it is left.
 *
 * Nothing is written when the host has no edgetpu_compiler (it exists for x86-64 Linux only),
 * or without calibration data (the rules of engine/export/export_args.c refuse first). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"
#include "engine/export/export_stage.h"
#include "engine/tools/driver.h"
#include "engine/tools/stages.h"
#include "formats/tflite.h"

/* The compiler's command for the full-integer file `name` (heap argv, NULL-terminated). */
char **edgetpu_compile_argv(const char *name)
{
    const char *words[] = {"edgetpu_compiler", "-s", "-d", "-k", "10", "--out_dir", ".", name};
    char **argv = xcalloc(ARRAY_LEN(words) + 1, sizeof *argv);
    for (size_t i = 0; i < ARRAY_LEN(words); i++) argv[i] = xstrdup(words[i]);
    return argv;
}

int export_edgetpu_tool(struct ExportCtx *ctx, char *err, size_t errlen)
{
    Job *job = ctx->job;
    char msg[2048];
    ExportStage st;
    export_stage_begin(&st, ctx, "TensorFlow Edge TPU", false);
    if (export_stage_out_path(&st, "_saved_model", err, errlen) != 0) return -1;
    char dir_path[4096];
    snprintf(dir_path, sizeof dir_path, "%s", ctx->out_path);
    const char *slash = strrchr(ctx->out_base, '/');
    const char *stem = slash ? slash + 1 : ctx->out_base;
    char fi_name[600], tpu_name[640];
    snprintf(fi_name, sizeof fi_name, "%s_full_integer_quant.tflite", stem);
    snprintf(tpu_name, sizeof tpu_name, "%s_full_integer_quant_edgetpu.tflite", stem);

    /* 1. the compiler, before anything is written */
    ToolSession ts;
    int rc = -1;
    char **argv = NULL;
    Graph *back = NULL;
    if (tool_session_open(&ts, job, ctx->host, dir_path, TOOL_BIT(TOOL_EDGETPU_COMPILER), 0, msg, sizeof msg) != 0) {
        err_set(err, errlen, "TensorFlow Edge TPU: %s", msg);
        goto out;
    }
    const char *where = tool_session_where(&ts);
    const ToolInfo *tc = &ts.facts.tool[TOOL_EDGETPU_COMPILER];
    if (!tc->found) {
        err_set(err, errlen,
                "TensorFlow Edge TPU export needs edgetpu_compiler (Linux x86-64), which is not on the PATH of %s "
                "(Coral's compiler: the edgetpu-compiler package of packages.cloud.google.com/apt); nothing was "
                "written",
                where);
        goto out;
    }
    job_log(job, JOB_LOG_INFO, "%s edgetpu_compiler %s on %s (%s)", st.prefix, tc->version[0] ? tc->version : "(version unknown)",
            where, tc->path);

    /* 2. the full-integer TF Lite file (and the directory it lives in), checked */
    ExportArgs targs = *ctx->args;
    targs.int8 = true;
    targs.half = false;
    ExportCtx tc_ctx = *ctx;
    tc_ctx.args = &targs;
    tc_ctx.fmt = registry_row(FMT_TFLITE);
    tc_ctx.host = NULL;
    tc_ctx.out_path[0] = '\0';
    tc_ctx.nested = true;
    if (export_tflite_stage(&tc_ctx, msg, sizeof msg) != 0) {
        err_set(err, errlen, "%s", msg);
        goto out;
    }
    char fi_path[4800];
    snprintf(fi_path, sizeof fi_path, "%s/%s", dir_path, fi_name);
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 3. the compiler on it, its lines into the log */
    export_stage_log_start(&st, "edgetpu_compiler %s on %s", tc->version[0] ? tc->version : "", where);
    argv = edgetpu_compile_argv(fi_name);
    const char *inputs[1] = {fi_path};
    const char *outputs[1] = {tpu_name};
    job_progress(job, "Edge TPU: compile", -1);
    ToolStep step = {.stage = "Edge TPU compile", .argv = argv, .inputs = inputs, .n_inputs = 1, .outputs = outputs,
                     .n_outputs = 1};
    ToolRunResult res;
    if (tool_session_run(&ts, &step, &res, err, errlen) != 0) {
        if (res.cancelled || job_cancelled(job)) err_set(err, errlen, "cancelled");
        goto out;
    }
    char made[4300];
    tool_session_path(&ts, tpu_name, made, sizeof made);

    /* 4. read back: the int8 interface of the file it was compiled from */
    back = tflite_read(made, msg, sizeof msg);
    if (!back) {
        char why[2400];
        snprintf(why, sizeof why, "the compiled file does not read back: %s", msg);
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, why);
        err_set(err, errlen, "Edge TPU compile: %s", why);
        goto out;
    }
    const Tensor *in = back->n_inputs == 1 ? &back->tensors[back->inputs[0]] : NULL;
    bool io_ok = in && in->dtype == DT_I8 && in->rank == 4 && back->n_outputs == ctx->source->n_outputs;
    for (int i = 0; io_ok && i < back->n_outputs; i++) io_ok = back->tensors[back->outputs[i]].dtype == DT_I8;
    char detail[1200], shape[96];
    const char *ops = graph_meta_prop(back, "tflite.operators");
    snprintf(detail, sizeof detail, "read back %s: input %s %s int8, %d int8 output%s; %s", tpu_name,
             in ? in->name : "?", in ? shape_str(in, shape, sizeof shape) : "", back->n_outputs,
             back->n_outputs == 1 ? "" : "s", ops ? ops : "");
    if (!io_ok) {
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, detail);
        err_set(err, errlen, "Edge TPU compile: the compiled file's interface is not the full-integer file's: %s", detail);
        goto out;
    }
    report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
    job_log(job, JOB_LOG_INFO, "%s interface check %s passed: %s", st.prefix, check_status_mark(CHECK_PASSED), detail);

    /* 5. into the directory, only now */
    if (export_stage_cancelled(&st, err, errlen) || !job_commit(job)) {
        err_set(err, errlen, "cancelled");
        goto out;
    }
    snprintf(ctx->out_path, sizeof ctx->out_path, "%s/%s", dir_path, tpu_name);
    if (rename(made, ctx->out_path) != 0) {
        err_set(err, errlen, "%s: cannot move the compiled file into place: %s", ctx->out_path, strerror(errno));
        goto out;
    }
    PrecisionInfo prec = {.kind = PREC_INT8};
    snprintf(prec.text, sizeof prec.text, "int8 (Edge TPU)");
    export_stage_done(&st, tc_ctx.status == CHECK_WRITTEN_FAILED ? CHECK_WRITTEN_FAILED : CHECK_PASSED, &prec, -1);
    rc = 0;

out:
    graph_free(back);
    if (argv) remote_argv_free(argv);
    tool_session_close(&ts);
    export_stage_end(&st, rc);
    return rc;
}
