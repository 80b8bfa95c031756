/* export_onnx: the ONNX writer stage — graph transforms (nms, simplify, half), the peer's
 * metadata, onnx_serialize, an atomic write, then the checks: the file is read back with
 * our reader, its interface compared with what we meant to write, and (verify=True) the
 * source graph and the read-back graph run through our executor on one fixed input
 * (engine/export/export_stage.c, shared with the other stages).  The graph passes it runs
 * (nms, simplify, half) live in engine/passes.
 *
 * int8=True (yoloport's own: the peer has no INT8 ONNX) writes <stem>_int8.onnx beside the
 * float file: calibrated on data= (engine/export/export_int8.h), static QDQ -- uint8
 * activations with zero points through QuantizeLinear/DequantizeLinear where the peer's NNCF
 * puts its FakeQuantize, int8 convolution weights per output channel through
 * DequantizeLinear(axis 0), the head's decode in float -- at opset >= 13, with int8 and
 * fraction in the metadata's args.  Its checks: the file against the QDQ graph it was
 * written from (within one 8-bit step per output channel when a runtime runs it), and its
 * accuracy against the float model on the dataset's val split. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/passes/passes.h"
#include "engine/export/export_int8.h"
#include "engine/export/export_stage.h"
#include "engine/core/fileio.h"
#include "formats/onnx.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

/* ======================================================================================
 * the ONNX file: written to a temporary beside the destination, read back
 * ==================================================================================== */

/* Interface of the read-back graph against the one we serialised: inputs and outputs
 * (symbolic names included), opset and metadata keys in order.  0 or -1 + message. */
static int check_interface(const Graph *want, const Graph *got, int opset, char *err, size_t errlen)
{
    if (export_stage_check_io(want, got, true, err, errlen) != 0) return -1;
    if (got->meta.opset != opset)
        return err_set(err, errlen, "opset %lld read back, %d written", (long long)got->meta.opset, opset);
    if (got->meta.n_props != want->meta.n_props)
        return err_set(err, errlen, "%d metadata_props read back, %d written", got->meta.n_props, want->meta.n_props);
    for (int i = 0; i < want->meta.n_props; i++)
        if (strcmp(got->meta.props[i].key, want->meta.props[i].key) != 0 ||
            strcmp(got->meta.props[i].value, want->meta.props[i].value) != 0)
            return err_set(err, errlen, "metadata '%s' did not read back as written", want->meta.props[i].key);
    return 0;
}

static int write_file(ExportCtx *ctx, const char *path, const uint8_t *buf, size_t len, AtomicFile **out, char *err,
                      size_t errlen)
{
    AtomicFile *f = fileio_open_atomic(path, err, errlen);
    if (!f) return -1;
    job_add_temp(ctx->job, f->tmp_path);
    const size_t chunk = 1u << 20;
    for (size_t off = 0; off < len; off += chunk) {
        if (job_cancelled(ctx->job)) {
            job_release_temp(ctx->job, f->tmp_path);
            fileio_abort(f);
            return err_set(err, errlen, "cancelled");
        }
        size_t n = len - off < chunk ? len - off : chunk;
        if (fileio_write_all(f->fd, buf + off, n) != 0) {
            err_set(err, errlen, "%s: write failed: %s", path, strerror(errno));
            job_release_temp(ctx->job, f->tmp_path);
            fileio_abort(f);
            return -1;
        }
        job_progress(ctx->job, "ONNX: write", 0.4 + 0.2 * (double)(off + n) / (double)len);
    }
    *out = f;
    return 0;
}

/* ======================================================================================
 * the stage
 * ==================================================================================== */

int export_onnx_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    char msg[1024];
    int opset = export_args_is_none(a, EXPORT_KEY_OPSET) || a->opset == 0 ? ONNX_DEFAULT_OPSET : a->opset;
    if (opset < ONNX_MIN_OPSET || opset > ONNX_MAX_OPSET)
        return err_set(err, errlen, "opset=%d is not one this build writes: use opset=%d..%d (default %d)", opset,
                       ONNX_MIN_OPSET, ONNX_MAX_OPSET, ONNX_DEFAULT_OPSET);
    ExportStage st;
    export_stage_begin(&st, ctx, "ONNX", true);
    export_stage_log_start(&st, "onnx yoloport-%s opset %d", YOLOPORT_VERSION, opset);
    if (a->half)
        job_log(job, JOB_LOG_INFO,
                "%s half=True: float16 weights and compute, converted from the graph on the CPU (nothing is traced, "
                "so no GPU is needed)",
                st.prefix);
    if (a->int8)
        job_log(job, JOB_LOG_INFO,
                "%s int8=True: static QDQ (uint8 activations, int8 weights per output channel), calibrated here; "
                "written as %s_int8.onnx beside the float file (Ultralytics has no INT8 ONNX)",
                st.prefix, ctx->out_base);

    int rc = -1;
    Graph *g = NULL, *rb = NULL;
    AtomicFile *f = NULL;
    uint8_t *buf = NULL;
    ExportInt8 q8;
    memset(&q8, 0, sizeof q8);

    /* 1. transforms on a private copy */
    job_progress(job, "ONNX: transform", 0.05);
    if (!(g = export_stage_graph(&st, err, errlen))) goto out;
    export_stage_log_nms(&st);
    if (a->simplify) {
        SimplifyStats ss;
        if (pass_simplify(g, &ss, msg, sizeof msg) != 0) goto fail_msg;
        job_log(job, JOB_LOG_INFO,
                "%s simplifying with yoloport-%s: %d -> %d nodes (%d folded to constants, %d identities, %d unused)",
                st.prefix, YOLOPORT_VERSION, ss.nodes_before, ss.nodes_after, ss.folded, ss.identities,
                ss.removed_dead);
    }
    if (a->int8 && export_int8_quantise(&st, g, QUANT_QDQ, &q8, err, errlen) != 0) goto out;
    if (a->half) {
        HalfStats hs;
        if (pass_half(g, &hs, msg, sizeof msg) != 0) goto fail_msg;
        job_log(job, JOB_LOG_INFO, "%s float16: %d initializers converted, %d kept float32 (%d Cast nodes added)",
                st.prefix, hs.initializers_converted, hs.initializers_kept_f32, hs.casts_inserted);
    }
    export_set_metadata(g, ctx);
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 2. serialise and write to a temporary beside the destination */
    job_progress(job, "ONNX: serialise", 0.3);
    OnnxWriteOptions wopt = {.opset = opset, .producer_name = "yoloport", .producer_version = YOLOPORT_VERSION};
    size_t len = 0;
    if (onnx_serialize(g, &wopt, &buf, &len, msg, sizeof msg) != 0) goto fail_msg;
    if (export_stage_out_path(&st, export_suffix(ctx->fmt, a), err, errlen) != 0) goto out;
    if (write_file(ctx, ctx->out_path, buf, len, &f, err, errlen) != 0) goto out;
    free(buf);
    buf = NULL;

    /* 3. read the written file back: interface */
    job_progress(job, "ONNX: check", 0.6);
    rb = onnx_read(f->tmp_path, msg, sizeof msg);
    if (!rb || check_interface(g, rb, opset, msg, sizeof msg) != 0) {
        char why[1100];
        snprintf(why, sizeof why, "%s: the written file does not read back as written: %s", ctx->out_path, msg);
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, why);
        err_set(err, errlen, "%s", why);
        goto out;
    }
    {
        char in_s[96], out_s[256] = "", detail[512];
        shape_str(&g->tensors[g->inputs[0]], in_s, sizeof in_s);
        size_t used = 0;
        for (int i = 0; i < g->n_outputs && used < sizeof out_s; i++) {
            char sh[96];
            used += (size_t)snprintf(out_s + used, sizeof out_s - used, "%s%s %s %s", i ? ", " : "",
                                     g->tensors[g->outputs[i]].name, dtype_name(g->tensors[g->outputs[i]].dtype),
                                     shape_str(&g->tensors[g->outputs[i]], sh, sizeof sh));
        }
        snprintf(detail, sizeof detail, "read back: images %s %s -> %s; opset %d; %d metadata keys",
                 dtype_name(g->tensors[g->inputs[0]].dtype), in_s, out_s, opset, g->meta.n_props);
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
    }
    PrecisionInfo prec; /* what the file really stores */
    report_scan_precision(rb, &prec);

    /* 4. numeric: the read-back graph on the same fixed input, against the source run */
    double worst = -1;
    st.run_path = f->tmp_path;
    if (a->int8) { /* the file against the QDQ graph it was written from */
        st.reference = g;
        st.int8_steps = true;
    }
    CheckStatus status = export_stage_numeric(&st, rb, "images", a->int8 ? "the int8 file" : NULL, &worst, err, errlen);
    if (status == CHECK_FAILED) goto out; /* cancelled */
    if (a->int8) { /* 5. what INT8 costs: val of the file against the float model */
        CheckStatus acc = export_int8_accuracy(&st, &q8, rb, err, errlen);
        if (acc == CHECK_FAILED) goto out; /* cancelled */
        if (acc == CHECK_WRITTEN_FAILED) status = st.check = CHECK_WRITTEN_FAILED; /* kept beside a previous file */
    }

    /* 6. into place */
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    {
        if (strcmp(export_stage_final_path(&st), f->path)) { /* the check failed: beside the previous file */
            free(f->path);
            f->path = xstrdup(ctx->out_path);
        }
        if (!job_commit(job)) {
            err_set(err, errlen, "cancelled");
            goto out;
        }
        char *tmp = xstrdup(f->tmp_path);
        int crc = fileio_commit(f, msg, sizeof msg);
        f = NULL;
        job_release_temp(job, tmp);
        free(tmp);
        if (crc != 0) goto fail_msg;
    }
    export_stage_done(&st, status, &prec, worst);
    rc = 0;
    goto out;

fail_msg:
    err_set(err, errlen, "%s", msg);
out:
    export_stage_end(&st, rc);
    export_int8_free(&q8);
    free(buf);
    if (f) {
        job_release_temp(job, f->tmp_path);
        fileio_abort(f);
    }
    graph_free(rb);
    graph_free(g);
    return rc;
}
