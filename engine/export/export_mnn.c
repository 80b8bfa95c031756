/* export_mnn: the MNN writer stage — `format=mnn`, the peer's `<stem>.mnn`: one flatbuffer
 * of MNN's Net (formats/mnn.h) with the peer's metadata as the JSON text its converter takes
 * as --bizCode.
 *
 * The model is written to a temporary name beside the destination, verified against MNN's
 * schema and op parameters, read back with our MNN reader (interface and metadata compared
 * with what was written) and the read-back model run in our executor against the source;
 * only then is the file renamed into place.
 *
 * Arguments: batch; dynamic (ours: the input's height and width -1, as MNNConvert writes an
 * ONNX input's symbolic dims, with the batch fixed and the anchors computed by CumSum over the
 * feature maps -- FormatInfo.dynamic_hw_only; MNN resizes its tensors to each input);
 * half (MNNConvert's --fp16: float16 convolution weights and constants);
 * int8 (MNNConvert's --weightQuantBits 8: convolution weights stored as int8 per output
 * channel, symmetric, with their scales; activations stay float, so no calibration data is
 * used — the numeric check then allows the error 8-bit weights bring). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/export/export_stage.h"
#include "engine/passes/passes.h"
#include "formats/mnn.h"
#include "formats/torchscript.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The graph the int8 file stands for: g with every convolution's weights quantised and
 * decoded as the file stores them (the numeric check's reference: the file must compute
 * exactly this; the accuracy the quantisation costs is a question for val).  Heap graph. */
static Graph *quantised_reference(const Graph *g)
{
    Graph *r = export_graph_clone(g);
    for (int i = 0; i < r->n_nodes; i++) {
        const Node *n = &r->nodes[i];
        if ((n->op != OP_CONV && n->op != OP_CONV_TRANSPOSE) || n->n_inputs < 2 || n->inputs[1] < 0) continue;
        Tensor *w = &r->tensors[n->inputs[1]];
        const Tensor *y = &r->tensors[n->outputs[0]];
        int64_t count = tensor_numel(w);
        if (!w->data || w->dtype != DT_F32 || count <= 0 || y->rank < 2 || y->dims[1] <= 0 || count % y->dims[1] ||
            w->nbytes != (size_t)count * 4)
            continue;
        float *src = xmalloc((size_t)count * sizeof *src), *dst = arena_alloc(r->arena, (size_t)count * sizeof *dst);
        memcpy(src, w->data, (size_t)count * 4);
        mnn_quantize_int8(src, y->dims[1], count / y->dims[1], dst, NULL, NULL);
        free(src);
        w->data = dst;
    }
    return r;
}

/* The read-back model against the graph we wrote: inputs, outputs and every metadata key
 * and value (bizCode's JSON read back as the peer's str(v) values).  0 or -1 + the first
 * difference. */
static int check_interface(const Graph *want, const Graph *got, char *err, size_t errlen)
{
    if (export_stage_check_io(want, got, false, err, errlen) != 0) return -1;
    for (int i = 0; i < want->meta.n_props; i++) {
        const char *k = want->meta.props[i].key, *v = graph_meta_prop(got, k);
        if (!v) return err_set(err, errlen, "bizCode has no '%s'", k);
        if (strcmp(v, want->meta.props[i].value) != 0)
            return err_set(err, errlen, "metadata '%s' reads back as %.80s, written %.80s", k, v, want->meta.props[i].value);
    }
    return 0;
}

int export_mnn_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    ExportStage st;
    export_stage_begin(&st, ctx, "MNN", true);
    export_stage_log_start(&st, "MNN yoloport-%s", YOLOPORT_VERSION);
    if (a->int8)
        job_log(job, JOB_LOG_INFO,
                "%s int8=True: int8 convolution weights, per output channel and symmetric, as MNNConvert's "
                "--weightQuantBits 8 (activations stay float; no calibration data is used)",
                st.prefix);
    else if (a->half)
        job_log(job, JOB_LOG_INFO, "%s half=True: float16 weights and constants, as MNNConvert's --fp16", st.prefix);

    int rc = -1;
    Graph *g = NULL, *rb = NULL, *ref = NULL;
    Arena *arena = arena_new();
    char msg[1024], *file = NULL, *biz = NULL;
    uint8_t *buf = NULL;

    job_progress(job, "MNN: transform", 0.05);
    if (!(g = export_stage_graph(&st, err, errlen))) goto out;
    pass_fold_static(g); /* shape arithmetic of graphs read from files (a dynamic graph has none to fold) */
    export_set_metadata(g, ctx);
    int n_meta = 0;
    KeyValue *meta = export_stage_meta_json(g, arena, &n_meta, msg, sizeof msg);
    if (!meta || !(biz = torchscript_metadata_json(meta, n_meta, msg, sizeof msg))) {
        err_set(err, errlen, "%s", msg);
        goto out;
    }
    if (export_stage_out_path(&st, ctx->fmt->suffix, err, errlen) != 0) goto out;
    const char *base = base_name(ctx->out_path);
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 1. the flatbuffer into a temporary directory beside the destination */
    job_progress(job, "MNN: write", 0.2);
    if (export_stage_temp_dir(&st, err, errlen) != 0) goto out;
    file = xasprintf("%s/%s", st.temp_dir, base);
    MnnOptions opt = {.weights = a->int8 ? MNN_WEIGHTS_INT8 : a->half ? MNN_WEIGHTS_F16 : MNN_WEIGHTS_F32, .biz_code = biz};
    if (mnn_write(g, &opt, file, msg, sizeof msg) != 0) {
        export_stage_writer_error(&st, file, msg, sizeof msg, err, errlen);
        goto out;
    }
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 2. read back: schema, interface and metadata */
    job_progress(job, "MNN: check", 0.5);
    rb = mnn_read(file, msg, sizeof msg);
    if (!rb || check_interface(g, rb, msg, sizeof msg) != 0) {
        export_stage_name_output(&st, file, msg, sizeof msg);
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
        snprintf(detail, sizeof detail,
                 "read back: %s verifies as MNN's Net, %d nodes; %s %s -> %s; bizCode %d metadata keys", base,
                 rb->n_nodes, in->name, in_s, out_s, n_meta);
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
    }
    PrecisionInfo prec;
    report_scan_precision(rb, &prec);

    /* 3. numeric: the read-back model in our executor against the source run */
    double worst = -1;
    ref = a->int8 ? quantised_reference(g) : NULL;
    st.reference = ref; /* freed after export_stage_end: the source run may use it until then */
    CheckStatus status = export_stage_numeric(&st, rb, "images",
                                              ref ? "the MNN model as read back, against the source with its convolution "
                                                    "weights quantised as stored"
                                                  : "the MNN model as read back",
                                              &worst, err, errlen);
    if (status == CHECK_FAILED) goto out; /* cancelled */
    if (export_stage_check_other_size(&st, ref ? ref : g, rb, "images", err, errlen) != 0) goto out;

    /* 4. into place */
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    if (export_stage_commit_file(&st, base, err, errlen) != 0) goto out;
    export_stage_done(&st, status, &prec, worst);
    rc = 0;

out:
    export_stage_end(&st, rc);
    graph_free(ref);
    free(file);
    free(biz);
    free(buf);
    graph_free(rb);
    graph_free(g);
    arena_free(arena);
    return rc;
}
