/* export_openvino: the OpenVINO writer stage — `format=openvino`, the peer's
 * `<stem>_openvino_model/` directory: <stem>.xml + <stem>.bin (IR version 11, input "images",
 * outputs "output0"/"output1" as the peer's IR names them) and metadata.yaml with the peer's
 * keys (formats/openvino.h).
 *
 * The IR is written into a temporary directory beside the destination, read back with our
 * OpenVINO reader, its interface and metadata compared with what was written, and the
 * read-back graph run in our executor against the source model; only then does the
 * directory replace any previous export of that name (fileio_commit_dir).
 *
 * Arguments: batch, dynamic (dynamic dims in the IR), half (float16 constants decompressed
 * to float32, as the peer's compress_to_fp16), nms (NonMaxSuppression-9 in the IR), int8
 * (the peer's NNCF post-training quantisation, done here: calibrated on data= with split and
 * fraction (engine/export/export_int8.h), FakeQuantize layers (levels 256, scalar ranges as
 * constants) where NNCF puts them, int8 convolution weights per output channel stored as
 * NNCF's compressed IR stores them (i8 constant, Convert, Multiply by the scales), the head's
 * decode in float as the peer's ignored scope; written as <stem>_int8_openvino_model/ and
 * checked against the graph it was written from and for its accuracy on the dataset's val
 * split). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/export/export_int8.h"
#include "engine/export/export_stage.h"
#include "formats/openvino.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

/* The read-back IR against the graph we wrote: inputs and outputs (the IR keeps no dim
 * names) and every metadata key and value.  0 or -1 + the first difference. */
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

int export_openvino_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    ExportStage st;
    export_stage_begin(&st, ctx, "OpenVINO", true);
    export_stage_log_start(&st, "openvino yoloport-%s", YOLOPORT_VERSION);
    if (a->half)
        job_log(job, JOB_LOG_INFO,
                "%s half=True: float16 weights decompressed to float32 at load, as the peer's compress_to_fp16 "
                "(nothing is traced, so no GPU is needed)",
                st.prefix);

    int rc = -1;
    Graph *g = NULL, *rb = NULL;
    char msg[1024], *stem = NULL, *xml = NULL;
    ExportInt8 q8;
    memset(&q8, 0, sizeof q8);

    job_progress(job, "OpenVINO: transform", 0.05);
    if (!(g = export_stage_graph(&st, err, errlen))) goto out;
    if (a->int8 && export_int8_quantise(&st, g, QUANT_FAKE_QUANTIZE, &q8, err, errlen) != 0) goto out;
    export_set_metadata(g, ctx);
    if (export_stage_out_path(&st, export_suffix(ctx->fmt, a), err, errlen) != 0) goto out;
    const char *slash = strrchr(ctx->out_base, '/');
    stem = xstrdup(slash ? slash + 1 : ctx->out_base);
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 1. the IR into a temporary directory beside the destination */
    job_progress(job, "OpenVINO: write", 0.2);
    if (export_stage_temp_dir(&st, err, errlen) != 0) goto out;
    OpenVinoOptions opt = {.half = a->half, .iou = a->iou};
    if (openvino_write(g, &opt, st.temp_dir, stem, msg, sizeof msg) != 0) {
        export_stage_writer_error(&st, st.temp_dir, msg, sizeof msg, err, errlen);
        goto out;
    }
    export_stage_log_nms(&st);
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 2. read back: interface and metadata */
    job_progress(job, "OpenVINO: check", 0.5);
    xml = xasprintf("%s/%s.xml", st.temp_dir, stem);
    rb = openvino_read(xml, msg, sizeof msg);
    if (!rb || check_interface(g, rb, msg, sizeof msg) != 0) {
        export_stage_name_output(&st, st.temp_dir, msg, sizeof msg);
        char why[1200];
        snprintf(why, sizeof why, "%s: the written IR does not read back as written: %s", ctx->out_path, msg);
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
            used += (size_t)snprintf(out_s + used, sizeof out_s - used, "%s%s %s %s", i ? ", " : "", t->name,
                                     dtype_name(t->dtype), shape_str(t, sh, sizeof sh));
        }
        snprintf(detail, sizeof detail, "read back: %s.xml IR v%d, %d layers; %s %s %s -> %s; metadata.yaml %d keys",
                 stem, OPENVINO_IR_VERSION, rb->n_nodes, in->name, dtype_name(in->dtype), in_s, out_s,
                 g->meta.n_props);
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
    }
    PrecisionInfo prec;
    report_scan_precision(rb, &prec);

    /* 3. numeric: the read-back IR in our executor against the source run */
    double worst = -1;
    if (a->int8) { /* the IR against the FakeQuantize graph it was written from */
        st.reference = g;
        st.int8_steps = true;
    }
    CheckStatus status = export_stage_numeric(&st, rb, "images", "the IR as read back", &worst, err, errlen);
    if (status == CHECK_FAILED) goto out; /* cancelled */
    if (a->int8) { /* what INT8 costs: val of the IR against the float model */
        CheckStatus acc = export_int8_accuracy(&st, &q8, rb, err, errlen);
        if (acc == CHECK_FAILED) goto out; /* cancelled */
        if (acc == CHECK_WRITTEN_FAILED) status = st.check = CHECK_WRITTEN_FAILED; /* kept beside a previous one */
    }

    /* 4. into place: an earlier export of the same name is replaced only now */
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    if (export_stage_commit_dir(&st, err, errlen) != 0) goto out;
    export_stage_done(&st, status, &prec, worst);
    rc = 0;

out:
    export_stage_end(&st, rc);
    export_int8_free(&q8);
    free(stem);
    free(xml);
    graph_free(rb);
    graph_free(g);
    return rc;
}
