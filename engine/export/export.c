/* export: the export pipeline as a Job — model, the peer's checks, load and fuse, one
 * writer stage per format, the peer's log lines.  See export.h. */
#include "engine/export/export.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/imgsz.h"
#include "engine/core/util.h"
#include "engine/exec/exec.h"
#include "engine/passes/passes.h"
#include "engine/remote/remote.h"
#include "engine/tools/stages.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

/* The Ultralytics version whose export conventions (metadata keys and their formatting,
 * output names, dynamic axis names, NMS layout) our files follow.  It is what we write as
 * metadata "version": Ultralytics and the tools built around its files read this key to
 * decide how to interpret the file, and our files are laid out exactly as that version's.
 * yoloport's own name and version go in the ONNX producer fields. */
#define EXPORT_PEER_VERSION "8.3.185"

/* ---- runs -------------------------------------------------------------------------- */

ExportRun *export_run_new(const ExportArgs *args, bool color)
{
    ExportRun *run = xcalloc(1, sizeof *run);
    run->args = *args;
    run->color = color;
    run->status = EXPORT_FAILED;
    report_init(&run->report, args->model, 0);
    return run;
}

void export_run_free(ExportRun *run)
{
    if (!run) return;
    report_free(&run->report);
    free(run->host);
    free(run);
}

int export_run_set_host(ExportRun *run, const RemoteHosts *configured, char *err, size_t errlen)
{
    free(run->host);
    run->host = NULL;
    if (export_args_is_none(&run->args, EXPORT_KEY_HOST) || !run->args.host[0]) return 0;
    RemoteHost *h = xcalloc(1, sizeof *h);
    if (remote_resolve(configured, run->args.host, h, err, errlen) != 0) {
        free(h);
        return -1;
    }
    run->host = h;
    return 0;
}

Job *export_submit(JobRunner *runner, ExportRun *run)
{
    char title[256];
    const char *slash = strrchr(run->args.model, '/');
    snprintf(title, sizeof title, "export %s format=%s", slash ? slash + 1 : run->args.model, run->args.format);
    return job_submit(runner, title, export_job_body, run, NULL);
}

/* ---- paths ------------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

char *export_out_base(const char *model_path)
{
    /* a folder model (an OpenVINO IR, ...) is named without its slash and its format's
     * folder suffix: yolov8n_int8_openvino_model/ -> yolov8n_int8 beside it */
    size_t plen = strlen(model_path);
    while (plen > 1 && model_path[plen - 1] == '/') plen--;
    char *path = xstrndup(model_path, plen);
    for (int i = 0; i < registry_count(); i++) {
        const FormatInfo *fi = registry_get(i);
        size_t sl = fi->dir_output && fi->suffix ? strlen(fi->suffix) : 0;
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        if (sl && strlen(b) > sl && !strcmp(b + strlen(b) - sl, fi->suffix)) {
            path[strlen(path) - sl] = '\0';
            return path;
        }
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    bool config = ends_with(path, ".yaml") || ends_with(path, ".yml");
    const char *start = config ? base : path;
    const char *dot = strrchr(base, '.');
    size_t len = dot && dot != base ? (size_t)(dot - start) : strlen(start);
    char *out = xstrndup(start, len);
    free(path);
    return out;
}

char *export_out_base_for(const char *model, const ExportArgs *a, const FormatInfo *fi)
{
    char *base = export_out_base(model);
    bool named = !export_args_is_none(a, EXPORT_KEY_NAME) && a->name[0] && !(fi && fi->id == FMT_RKNN);
    bool project = !export_args_is_none(a, EXPORT_KEY_PROJECT) && a->project[0];
    if (!named && !project) return base;
    const char *slash = strrchr(base, '/');
    const char *stem = named ? a->name : slash ? slash + 1 : base;
    char *out;
    if (project) out = xasprintf("%s%s%s", a->project, a->project[strlen(a->project) - 1] == '/' ? "" : "/", stem);
    else if (slash) out = xasprintf("%.*s%s", (int)(slash - base + 1), base, stem);
    else out = xstrdup(stem);
    free(base);
    return out;
}

const char *export_suffix(const FormatInfo *fi, const ExportArgs *a)
{
    if (!fi) return "";
    if (a && a->int8 && fi->id == FMT_ONNX) return "_int8.onnx";
    if (a && a->int8 && fi->id == FMT_OPENVINO) return "_int8_openvino_model";
    return fi->suffix ? fi->suffix : "";
}

char *export_replaced_path(const char *model, const ExportArgs *a, const FormatInfo *fi)
{
    char *base = export_out_base_for(model, a, fi);
    char *out = xasprintf("%s%s", base, !fi ? "" : fi->id == FMT_TFLITE ? "_saved_model" : export_suffix(fi, a));
    free(base);
    return out;
}

/* Path(x).stem.replace("yolo", "YOLO") */
static char *pretty_name_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *out = xstrndup(base, len);
    for (char *p = out; (p = strstr(p, "yolo")); p += 4) memcpy(p, "YOLO", 4);
    return out;
}

/* ---- graph clone ------------------------------------------------------------------- */

Graph *export_graph_clone(const Graph *g)
{
    Graph *c = graph_new();
    c->meta = g->meta; /* strings shared with g */
    for (int i = 0; i < g->n_tensors; i++) {
        const Tensor *t = &g->tensors[i];
        int ti = graph_add_tensor(c, t->name, t->dtype, t->rank, t->dims);
        Tensor *u = &c->tensors[ti];
        Tensor keep = *u;
        *u = *t;
        u->name = keep.name;
        u->producer = -1;
        u->is_input = u->is_output = false;
    }
    for (int m = 0; m < g->n_modules; m++) {
        const Module *src = &g->modules[m];
        int mi = graph_add_module(c, src->path, src->type, src->parent);
        c->modules[mi].params = src->params;
        c->modules[mi].out_tensor = src->out_tensor;
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        int k = graph_add_node(c, n->op, n->op_type, n->name, n->module, n->inputs, n->n_inputs, n->outputs,
                               n->n_outputs);
        Node *d = &c->nodes[k];
        d->domain = n->domain;
        d->doc = n->doc;
        d->n_attrs = n->n_attrs;
        d->attrs = arena_alloc(c->arena, sizeof(Attr) * (size_t)(n->n_attrs ? n->n_attrs : 1));
        for (int a = 0; a < n->n_attrs; a++) {
            d->attrs[a] = n->attrs[a];
            const Attr *s = &n->attrs[a];
            if (s->type == ATTR_INTS && s->count) {
                d->attrs[a].ints = arena_alloc(c->arena, sizeof(int64_t) * (size_t)s->count);
                memcpy(d->attrs[a].ints, s->ints, sizeof(int64_t) * (size_t)s->count);
            } else if (s->type == ATTR_FLOATS && s->count) {
                d->attrs[a].floats = arena_alloc(c->arena, sizeof(double) * (size_t)s->count);
                memcpy(d->attrs[a].floats, s->floats, sizeof(double) * (size_t)s->count);
            }
        }
    }
    for (int i = 0; i < g->n_inputs; i++) graph_add_input(c, g->inputs[i]);
    for (int i = 0; i < g->n_outputs; i++) graph_add_output(c, g->outputs[i]);
    /* metadata lists the clone may replace */
    c->meta.props = NULL;
    c->meta.n_props = 0;
    for (int i = 0; i < g->meta.n_props; i++) graph_meta_add_prop(c, g->meta.props[i].key, g->meta.props[i].value);
    return c;
}

/* ---- metadata ---------------------------------------------------------------------- */

/* The peer's default.yaml order of the keys a format can honour: its metadata 'args' dict
 * iterates the config in this order. */
static const ExportArgKey peer_cfg_order[] = {
    EXPORT_KEY_BATCH, EXPORT_KEY_NAME,     EXPORT_KEY_FRACTION, EXPORT_KEY_HALF,  EXPORT_KEY_KERAS,
    EXPORT_KEY_OPTIMIZE, EXPORT_KEY_INT8,  EXPORT_KEY_DYNAMIC,  EXPORT_KEY_SIMPLIFY, EXPORT_KEY_OPSET,
    EXPORT_KEY_WORKSPACE, EXPORT_KEY_NMS,
};

/* Python str(v) of one argument's value. */
static void py_value(const ExportArgs *a, ExportArgKey key, char *buf, size_t len)
{
    if (export_args_is_none(a, key)) {
        snprintf(buf, len, "None");
        return;
    }
    const ExportArgInfo *info = &export_arg_info[key];
    char text[256];
    export_args_value_text(a, key, text, sizeof text);
    switch (info->type) {
    case ARG_STR:
    case ARG_PATH: {
        char *r = report_py_repr(text);
        snprintf(buf, len, "%s", r);
        free(r);
        break;
    }
    case ARG_FLOAT: {
        /* Python repr of a float: always with a decimal point */
        double v = key == EXPORT_KEY_FRACTION ? a->fraction : key == EXPORT_KEY_WORKSPACE ? a->workspace
                   : key == EXPORT_KEY_CONF   ? a->conf
                                              : a->iou;
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.17g", v);
        for (int p = 1; p <= 17; p++) { /* shortest text that reads back the same */
            snprintf(tmp, sizeof tmp, "%.*g", p, v);
            if (strtod(tmp, NULL) == v) break;
        }
        if (!strpbrk(tmp, ".eEn")) strncat(tmp, ".0", sizeof tmp - strlen(tmp) - 1);
        snprintf(buf, len, "%s", tmp);
        break;
    }
    default: snprintf(buf, len, "%s", text); break;
    }
}

static void add_prop(Graph *g, const char *key, const char *value) { graph_meta_add_prop(g, key, value); }

void export_set_metadata(Graph *g, const ExportCtx *ctx)
{
    const Graph *src = ctx->source;
    const GraphMeta *m = &src->meta;
    const ExportArgs *a = ctx->args;
    g->meta.props = NULL;
    g->meta.n_props = 0;
    char buf[512];
    const char *data = m->data && *m->data ? m->data : NULL;
    if (data) snprintf(buf, sizeof buf, "Ultralytics %s model trained on %s", ctx->pretty_name, data);
    else snprintf(buf, sizeof buf, "Ultralytics %s model ", ctx->pretty_name);
    add_prop(g, "description", buf);
    add_prop(g, "author", "Ultralytics");
    char date[64];
    report_isoformat_now(date, sizeof date);
    add_prop(g, "date", date);
    add_prop(g, "version", EXPORT_PEER_VERSION);
    add_prop(g, "license", "AGPL-3.0 License (https://ultralytics.com/license)");
    add_prop(g, "docs", "https://docs.ultralytics.com");
    snprintf(buf, sizeof buf, "%d", imgsz_model_stride(m->strides, m->n_strides));
    add_prop(g, "stride", buf);
    add_prop(g, "task", m->task ? m->task : "detect");
    snprintf(buf, sizeof buf, "%d", a->batch);
    add_prop(g, "batch", buf);
    snprintf(buf, sizeof buf, "[%d, %d]", a->imgsz.v[0], a->imgsz.v[1]);
    add_prop(g, "imgsz", buf);
    char *names = report_py_names(m->names, m->nc);
    add_prop(g, "names", names);
    free(names);
    /* args: the format's keys, in the peer's config order, with the values used (opset
     * stays None when the user gave none, as the peer records it); yoloport's own keys of the
     * format only when the export uses them (int8 and fraction for ONNX with int8=True,
     * dynamic for MNN, NCNN and the TF formats with dynamic=True) */
    size_t used = (size_t)snprintf(buf, sizeof buf, "{");
    const char *sep = "";
    for (size_t i = 0; i < ARRAY_LEN(peer_cfg_order) && used < sizeof buf; i++) {
        ExportArgKey k = peer_cfg_order[i];
        bool ours = !(ctx->fmt->args & EXPORT_ARG_BIT(k)) && (ctx->fmt->ours & EXPORT_ARG_BIT(k));
        bool used_ours = ours && (k == EXPORT_KEY_DYNAMIC ? a->dynamic : a->int8);
        if (!(ctx->fmt->args & EXPORT_ARG_BIT(k)) && !used_ours) continue;
        char v[128];
        py_value(k == EXPORT_KEY_OPSET ? ctx->given : a, k, v, sizeof v);
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s'%s': %s", sep, export_arg_info[k].name, v);
        sep = ", ";
    }
    if (used < sizeof buf) snprintf(buf + used, sizeof buf - used, "}");
    add_prop(g, "args", buf);
    snprintf(buf, sizeof buf, "%d", m->channels > 0 ? m->channels : 3);
    add_prop(g, "channels", buf);
    if (m->task && !strcmp(m->task, "pose")) {
        snprintf(buf, sizeof buf, "[%d, %d]", m->kpt_shape[0], m->kpt_shape[1]);
        add_prop(g, "kpt_shape", buf);
    }
}

/* ---- the pipeline ------------------------------------------------------------------ */

static void cpu_name(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        char *colon = strchr(line, ':');
        if (!colon) break;
        colon++;
        while (*colon == ' ' || *colon == '\t') colon++;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(buf, len, "%s", colon);
        break;
    }
    fclose(f);
}

/* Concrete dims of a (possibly symbolic) output at batch B and input h x w. */
static void concrete_dims(const Graph *g, const Tensor *t, int B, int h, int w, int64_t *out)
{
    int64_t anchors = imgsz_anchors(g->meta.strides, g->meta.n_strides, h, w);
    for (int i = 0; i < t->rank; i++) {
        const char *n = t->dim_names[i];
        if (t->dims[i] >= 0 && !n) out[i] = t->dims[i];
        else if (n && !strcmp(n, "batch")) out[i] = B;
        else if (n && !strcmp(n, "height")) out[i] = h;
        else if (n && !strcmp(n, "width")) out[i] = w;
        else if (n && !strcmp(n, "anchors")) out[i] = anchors;
        else if (n && !strcmp(n, "mask_height")) out[i] = h / 4;
        else if (n && !strcmp(n, "mask_width")) out[i] = w / 4;
        else out[i] = t->dims[i] > 0 ? t->dims[i] : 0;
    }
}

static const char *first_error(const ExportMsgs *m)
{
    for (int i = 0; i < m->n; i++)
        if (m->items[i].level == EXPORT_MSG_ERROR) return m->items[i].text;
    return "invalid export arguments";
}

/* Log the checks' messages with the peer's prefixes.  `skip` (the error the body returns,
 * which the job runner logs itself when the job fails) is left out so it shows once. */
static void log_msgs(Job *job, const ExportMsgs *m, const char *skip)
{
    for (int i = 0; i < m->n; i++) {
        const ExportMsg *x = &m->items[i];
        if (skip && x->level == EXPORT_MSG_ERROR && !strcmp(x->text, skip)) {
            skip = NULL;
            continue;
        }
        JobLogLevel lv = x->level == EXPORT_MSG_ERROR ? JOB_LOG_ERROR
                         : x->level == EXPORT_MSG_WARNING ? JOB_LOG_WARNING
                                                          : JOB_LOG_INFO;
        job_log(job, lv, "%s%s", export_msg_prefix(x->level), x->text);
    }
}

static int fail(ExportRun *run, ExportStatus st, char *err, size_t errlen, const char *msg)
{
    run->status = st;
    snprintf(run->error, sizeof run->error, "%s", msg);
    if (err != NULL && msg != err) snprintf(err, errlen, "%s", msg);
    return -1;
}

/* The peer's checks, run by model_load as soon as the model is read (LoadDecideFn): their
 * messages are logged with the peer's prefixes, and the build takes the effective imgsz,
 * batch and dynamic.  An error stops the load with the first error as its message. */
typedef struct {
    Job *job;
    ExportRun *run;
    ExportMsgs msgs;
    ExportEffective eff;
} Checks;

static int check_args(const GraphMeta *meta, bool builds, LoadOptions *lo, void *user, char *err, size_t errlen)
{
    Checks *c = user;
    if (job_cancelled(c->job)) return err_set(err, errlen, "cancelled");
    job_progress(c->job, "check arguments", -1);
    ModelFacts facts;
    export_facts_from_meta(meta, &facts);
    export_msgs_clear(&c->msgs);
    int vrc = export_args_validate(&c->run->args, &facts, &c->eff, &c->msgs);
    bool bad = vrc != 0 || !c->eff.fmt;
    log_msgs(c->job, &c->msgs, bad ? first_error(&c->msgs) : NULL);
    if (bad) return err_set(err, errlen, "%s", first_error(&c->msgs));
    if (!tools_export_stage(c->eff.fmt, &c->eff.args))
        return err_set(err, errlen, "format=%s: %s", c->eff.fmt->argument,
                       c->eff.fmt->unavailable_reason ? c->eff.fmt->unavailable_reason : "not available in this build");
    if (c->run->args.host[0] && !export_args_is_none(&c->run->args, EXPORT_KEY_HOST) && !c->run->host &&
        export_run_set_host(c->run, NULL, err, errlen) != 0)
        return -1;
    const ExportArgs *a = &c->eff.args;
    lo->imgsz[0] = a->imgsz.v[0];
    lo->imgsz[1] = a->imgsz.v[1];
    lo->batch = a->batch;
    lo->dynamic = a->dynamic;
    lo->dynamic_hw_only = a->dynamic && c->eff.fmt->dynamic_hw_only;
    (void)builds; /* a graph read as it is keeps its own shape: the checks run all the same */
    return 0;
}

/* Quantisation a file holds (FakeQuantize, QuantizeLinear/DequantizeLinear on data that is not
 * a constant: the activations' ranges) that the target format cannot write is refused before
 * anything is written, by name: true + message.  Quantised weights are constants the writer's
 * simplification folds, and pass. */
static bool source_quant_refused(const Graph *g, const FormatInfo *fi, const char *model, char *msg, size_t len)
{
    if (!fi || !fi->write_ops) return false; /* a tool makes it: the tool decides */
    int first = -1, count = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = &g->nodes[i];
        if (n->op != OP_FAKE_QUANTIZE && n->op != OP_QUANTIZE_LINEAR && n->op != OP_DEQUANTIZE_LINEAR) continue;
        int x = n->n_inputs > 0 ? n->inputs[0] : -1;
        if (x < 0 || g->tensors[x].data || fi->write_ops(n->op) == OP_WRITE_YES) continue;
        if (first < 0) first = i;
        count++;
    }
    if (first < 0) return false;
    const Node *n = &g->nodes[first];
    snprintf(msg, len,
             "%s is quantised (%d %s node%s on activations, '%s' first), which %s cannot carry: export it to a format "
             "that keeps its quantisation (OpenVINO), or export the float model",
             model, count, n->op_type, count == 1 ? "" : "s", n->name, fi->name);
    return true;
}

/* An export to the model's own format under its default name would replace the model (an
 * ONNX file exported to ONNX at opset 12): named by what differs from the defaults instead
 * (yolov8n-opset12), as the workbench names variants.  Heap base path, or NULL when it keeps
 * its name (name= given, another file, or nothing differs: the stage then refuses). */
static char *name_beside_model(const Graph *g, const char *model, const ExportArgs *a, const FormatInfo *fi,
                               const char *out_base)
{
    if (!fi || !fi->suffix || (!export_args_is_none(a, EXPORT_KEY_NAME) && a->name[0])) return NULL;
    char *path = xasprintf("%s%s", out_base, export_suffix(fi, a));
    size_t ml = strlen(model);
    while (ml > 1 && model[ml - 1] == '/') ml--;
    bool same = strlen(path) == ml && !strncmp(path, model, ml);
    free(path);
    if (!same) return NULL;
    ModelFacts facts;
    export_facts_from_meta(&g->meta, &facts);
    ExportArgs d;
    export_args_init(&d);
    export_args_set(&d, "format", fi->argument, NULL);
    ExportEffective deff;
    ExportMsgs m;
    export_msgs_clear(&m);
    export_args_validate(&d, &facts, &deff, &m);
    char variant[256];
    export_args_variant(a, &deff.args, fi->id, EXPORT_VARIANT_FILE, variant, sizeof variant);
    return variant[0] ? xasprintf("%s-%s", out_base, variant) : NULL;
}

/* A stored graph whose file leaves tensor shapes out (an ONNX file without value_info):
 * every shape inferred by one run at the export's input size (pass_infer_shapes); with a
 * static input, what is computed from shapes alone (the anchors' sizes of a Detect head)
 * becomes constants (pass_fold_static), as every writer can express them. */
static int source_shapes(Job *job, Graph *g, const char *prefix, const int64_t *in_dims, bool dynamic, char *err,
                         size_t errlen)
{
    double t = now_seconds();
    if (!dynamic && g->n_inputs == 1) { /* a dynamic model exported at one size: its input fixed to it */
        Tensor *x = &g->tensors[g->inputs[0]];
        bool fixed = false;
        for (int i = 0; i < x->rank && i < 4; i++)
            if (x->dims[i] < 0 || x->dim_names[i]) {
                x->dims[i] = in_dims[i];
                x->dim_names[i] = NULL;
                fixed = true;
            }
        if (fixed) {
            for (int k = 0; k < g->n_tensors; k++) { /* shapes that followed the input's are found again */
                Tensor *u = &g->tensors[k];
                if (u->producer < 0 || u->data) continue;
                for (int i = 0; i < u->rank; i++)
                    if (u->dims[i] < 0 || u->dim_names[i]) u->rank = 0;
            }
            job_log(job, JOB_LOG_INFO, "%s its dynamic input is fixed to %lldx%lldx%lldx%lld for this export (dynamic=False)",
                    prefix, (long long)in_dims[0], (long long)in_dims[1], (long long)in_dims[2], (long long)in_dims[3]);
        }
    }
    int n = 0;
    if (pass_infer_shapes(g, in_dims, 4, &n, err, errlen) != 0) return -1;
    if (n > 0)
        job_log(job, JOB_LOG_INFO, "%s shapes inferred for %d tensors the file does not describe (one run at %lldx%lldx%lldx%lld, %.1fs)",
                prefix, n, (long long)in_dims[0], (long long)in_dims[1], (long long)in_dims[2], (long long)in_dims[3],
                now_seconds() - t);
    int folded = pass_fold_static(g);
    if (folded > 0) job_log(job, JOB_LOG_INFO, "%s %d tensors computed from shapes alone folded to constants (a static input)", prefix, folded);
    return 0;
}

/* project=: make the folder and the missing folders above it; *made gets the topmost one
 * made ("" when it existed).  0, or -1 + message. */
static int make_project_dir(Job *job, const char *project, char *made, size_t made_len, char *err, size_t errlen)
{
    made[0] = '\0';
    char path[4096];
    if (snprintf(path, sizeof path, "%s", project) >= (int)sizeof path)
        return err_set(err, errlen, "project=%s: the path is too long", project);
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') path[--n] = '\0';
    for (char *p = path + 1;; p++) {
        bool end = *p == '\0';
        if (!end && *p != '/') continue;
        *p = '\0';
        struct stat sb;
        if (stat(path, &sb) != 0) {
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                return err_set(err, errlen, "project=%s: cannot make the folder %s: %s", project, path, strerror(errno));
            if (!made[0]) snprintf(made, made_len, "%s", path);
        } else if (!S_ISDIR(sb.st_mode)) {
            return err_set(err, errlen, "project=%s: %s is not a folder", project, path);
        }
        if (end) break;
        *p = '/';
    }
    if (made[0]) job_log(job, JOB_LOG_INFO, "project=%s: made the folder %s", project, made);
    return 0;
}

/* Remove project and the folders above it up to made, those that are empty (a failed
 * export leaves no folder it made). */
static void remove_empty_dirs(const char *made, const char *project)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", project);
    size_t stop = strlen(made);
    for (;;) {
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/') path[--n] = '\0';
        if (n < stop || rmdir(path) != 0) return;
        char *slash = strrchr(path, '/');
        if (!slash || slash == path) return;
        *slash = '\0';
    }
}

int export_job_body(Job *job, void *user, char *err, size_t errlen)
{
    ExportRun *run = user;
    double t0 = now_seconds();
    char msg[1024];
    run->status = EXPORT_FAILED;
    run->error[0] = '\0';
    run->last_path[0] = '\0';
    const char *model = run->args.model;
    if (export_args_is_none(&run->args, EXPORT_KEY_MODEL) || !*model)
        return fail(run, EXPORT_FAILED, err, errlen,
                    "no model given: add model=FILE (a .pt checkpoint, or a config such as yolov8n.yaml)");

    /* 1-2. the model, read once; the peer's checks run on its facts (task, stride, training
     * imgsz) as soon as it is read (check_args), and it is built once, at the effective
     * imgsz/batch/dynamic they settle */
    job_progress(job, "load model", -1);
    Checks checks;
    memset(&checks, 0, sizeof checks);
    checks.job = job;
    checks.run = run;
    LoadOptions lo = {.fuse = true, .decide = check_args, .decide_user = &checks};
    run->model_loads++;
    Graph *g = model_load(model, &lo, msg, sizeof msg);
    if (!g && job_cancelled(job)) return fail(run, EXPORT_CANCELLED, err, errlen, "cancelled");
    if (!g) return fail(run, EXPORT_FAILED, err, errlen, msg);
    if (job_cancelled(job)) {
        graph_free(g);
        return fail(run, EXPORT_CANCELLED, err, errlen, "cancelled");
    }
    if (g->n_inputs < 1 || g->n_outputs < 1) {
        /* every stage writes and checks a graph from its image input to its outputs */
        snprintf(msg, sizeof msg, "%s: the model has no graph %s: there is nothing to export", model,
                 g->n_inputs < 1 ? "input" : "output");
        graph_free(g);
        return fail(run, EXPORT_FAILED, err, errlen, msg);
    }
    const ExportEffective *eff = &checks.eff;
    const ExportArgs *a = &eff->args;
    int h = a->imgsz.v[0], w = a->imgsz.v[1];

    /* 3. the peer's opening lines */
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    job_log(job, JOB_LOG_INFO, "yoloport %s 🚀 C11 CPU (%s)", YOLOPORT_VERSION, cpu);
    const ModelSummary *fs = &g->meta.fused_summary;
    if (fs->valid) {
        char l[32], p[32], gr[32];
        job_log(job, JOB_LOG_INFO, "%s summary%s: %s layers, %s parameters, %s gradients, %.1f GFLOPs",
                g->meta.model_name ? g->meta.model_name : "Model", summary_fused_label(fs) ? " (fused)" : "", str_thousands(l, sizeof l, fs->layers),
                str_thousands(p, sizeof p, fs->parameters), str_thousands(gr, sizeof gr, fs->gradients), fs->gflops);
    }
    int64_t src_bytes = file_exists(model) ? path_size(model) : 0; /* a folder model: its files */
    if (src_bytes < 0) src_bytes = 0;
    report_free(&run->report);
    report_init(&run->report, model, src_bytes);

    char shapes[512] = "", tup[128];
    int64_t in_dims[4] = {a->batch, g->meta.channels > 0 ? g->meta.channels : 3, h, w};
    int n_out = g->n_outputs;
    size_t used = 0;
    if (n_out > 1) used += (size_t)snprintf(shapes + used, sizeof shapes - used, "(");
    for (int i = 0; i < n_out && used < sizeof shapes; i++) {
        const Tensor *t = &g->tensors[g->outputs[i]];
        int64_t d[GRAPH_MAX_RANK];
        concrete_dims(g, t, a->batch, h, w, d);
        if (i == 0 && a->nms && t->rank == 3) { /* the NMSModel's output */
            int64_t extra = d[1] - 4 - g->meta.nc;
            int64_t md = a->max_det < d[2] ? a->max_det : d[2];
            d[1] = md;
            d[2] = 6 + (extra > 0 ? extra : 0);
        }
        used += (size_t)snprintf(shapes + used, sizeof shapes - used, "%s%s", i ? ", " : "",
                                 report_shape_tuple(tup, sizeof tup, d, t->rank));
    }
    if (n_out > 1 && used < sizeof shapes) snprintf(shapes + used, sizeof shapes - used, ")");
    char prefix[64];
    /* a model built from its layer list (checkpoint, config) is the peer's PyTorch model; a
     * stored graph is named by its format's row ("ONNX:", "OpenVINO:") */
    const FormatInfo *src_row = registry_row(g->meta.source_format);
    char src_label[64];
    snprintf(src_label, sizeof src_label, "%s:", src_row && !src_row->read_builds ? src_row->name : "PyTorch");
    report_colorstr(prefix, sizeof prefix, NULL, src_label, run->color);
    job_log(job, JOB_LOG_INFO, "\n%s starting from '%s' with input shape %s BCHW and output shape(s) %s (%.1f MB)",
            prefix, model, report_shape_tuple(tup, sizeof tup, in_dims, 4), shapes, report_mib(src_bytes));
    if (src_row && !src_row->read_builds) { /* a stored graph: what every writer needs of it */
        if (source_quant_refused(g, eff->fmt, model, msg, sizeof msg)) {
            graph_free(g);
            return fail(run, EXPORT_FAILED, err, errlen, msg);
        }
        /* ONNX written again at an opset of the same meaning copies the graph as it is: no run */
        bool same_onnx = eff->fmt->id == FMT_ONNX && src_row->id == FMT_ONNX && !a->dynamic &&
                         exec_opset_class(a->opset) == exec_opset_class(g->meta.opset);
        if (!same_onnx && source_shapes(job, g, prefix, in_dims, a->dynamic, msg, sizeof msg) != 0)
            job_log(job, JOB_LOG_WARNING, "%s %s; the writer goes on with the shapes the file gives", prefix, msg);
    }

    /* 4. the format's stage */
    char *out_base = export_out_base_for(model, a, eff->fmt);
    char *renamed = name_beside_model(g, model, a, eff->fmt, out_base);
    if (renamed) {
        job_log(job, JOB_LOG_INFO, "%s%s would be the model it is made from: this export is named %s%s", out_base,
                export_suffix(eff->fmt, a), renamed, export_suffix(eff->fmt, a));
        free(out_base);
        out_base = renamed;
    }
    char made[4096] = ""; /* the part of project= this export made (removed when it fails) */
    if (!export_args_is_none(a, EXPORT_KEY_PROJECT) && a->project[0] &&
        make_project_dir(job, a->project, made, sizeof made, msg, sizeof msg) != 0) {
        free(out_base);
        graph_free(g);
        return fail(run, EXPORT_FAILED, err, errlen, msg);
    }
    /* the peer names the model after model.yaml["yaml_file"] when the checkpoint's config
     * dict records it, else after the file; 8.0.0 checkpoints keep yaml_file only as a
     * module attribute (which the peer does not read), so they are named after the file */
    bool yaml_named = g->meta.yaml_file && *g->meta.yaml_file &&
                      !(g->meta.version && !strncmp(g->meta.version, "8.0.0", 5));
    char *pretty = pretty_name_of(yaml_named ? g->meta.yaml_file : model);
    ExportCtx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.job = job;
    ctx.args = a;
    ctx.given = &run->args;
    ctx.fmt = eff->fmt;
    ctx.source = g;
    ctx.model_path = model;
    ctx.out_base = out_base;
    ctx.pretty_name = pretty;
    ctx.source_bytes = src_bytes;
    ctx.color = run->color;
    ctx.report = &run->report;
    ctx.runtime = run->runtime;
    ctx.threads = run->threads;
    ctx.status = CHECK_SKIPPED;
    ctx.host = export_uses_tool(eff->fmt, a) ? run->host : NULL;
    char fmt_prefix[64];
    snprintf(fmt_prefix, sizeof fmt_prefix, "%s:", eff->fmt->name);
    report_colorstr(prefix, sizeof prefix, NULL, fmt_prefix, run->color);
    job_progress(job, eff->fmt->name, 0);
    double ts = now_seconds();
    FormatWriteFn stage = tools_export_stage(eff->fmt, a); /* our writer, or the tool that makes it */
    int rc = stage(&ctx, msg, sizeof msg);
    double dt = now_seconds() - ts;
    int ret = 0;
    if (job_cancelled(job) && rc != 0) {
        fail(run, EXPORT_CANCELLED, err, errlen, "cancelled");
        ret = -1;
    } else if (rc != 0) {
        job_log(job, JOB_LOG_ERROR, "ERROR ❌ %s export failure %.1fs: %s", prefix, dt, msg);
        fail(run, EXPORT_FAILED, err, errlen, msg);
        ret = -1;
    } else {
        int64_t bytes = path_size(ctx.out_path);
        job_add_timing(job, eff->fmt->name, dt);
        snprintf(run->last_path, sizeof run->last_path, "%s", ctx.out_path);
        if (ctx.status == CHECK_WRITTEN_FAILED) {
            job_log(job, JOB_LOG_WARNING, "WARNING ⚠️ %s export written ❎ %.1fs, saved as '%s' (%.1f MB), but its check failed",
                    prefix, dt, ctx.out_path, report_mib(bytes));
            run->status = EXPORT_CHECK_FAILED;
            snprintf(run->error, sizeof run->error, "%s: written, but the check against the source model failed",
                     ctx.out_path);
            snprintf(err, errlen, "%s", run->error);
            ret = -1;
        } else if (ctx.status == CHECK_SKIPPED) { /* a check that did not run is never shown as passed */
            job_log(job, JOB_LOG_INFO, "%s export success – %.1fs, saved as '%s' (%.1f MB): written, not checked against "
                    "the source (its check did not run)", prefix, dt, ctx.out_path, report_mib(bytes));
            run->status = EXPORT_UNCHECKED;
        } else {
            job_log(job, JOB_LOG_INFO, "%s export success ✅ %.1fs, saved as '%s' (%.1f MB)", prefix, dt,
                    ctx.out_path, report_mib(bytes));
            run->status = EXPORT_OK;
        }
        /* 5. the peer's closing lines */
        char dir[4096];
        const char *slash = strrchr(ctx.out_path, '/');
        char rel[4096];
        snprintf(rel, sizeof rel, "%.*s", slash ? (int)(slash - ctx.out_path) : 1, slash ? ctx.out_path : ".");
        if (slash == ctx.out_path) snprintf(rel, sizeof rel, "/");
        if (!realpath(rel, dir)) snprintf(dir, sizeof dir, "%s", rel);
        char bold[4200];
        report_colorstr(bold, sizeof bold, "bold", dir, run->color);
        char isz[32];
        if (h == w) snprintf(isz, sizeof isz, "%d", h);
        else snprintf(isz, sizeof isz, "%d,%d", h, w);
        const char *q = a->int8 ? "int8" : a->half ? "half" : "";
        char s[256] = "";
        if (h != w)
            snprintf(s, sizeof s,
                     "WARNING ⚠️ non-PyTorch val requires square images, 'imgsz=[%d, %d]' will not work. Use export "
                     "'imgsz=%d' if val is required.",
                     h, w, h > w ? h : w);
        const char *task = g->meta.task ? g->meta.task : "detect";
        const char *data = g->meta.data && *g->meta.data ? g->meta.data : "None";
        job_log(job, JOB_LOG_INFO, "\nExport complete (%.1fs)", now_seconds() - t0);
        job_log(job, JOB_LOG_INFO, "Results saved to %s", bold);
        char *qpath = export_shell_word(ctx.out_path), *qdata = export_shell_word(data); /* pasted into a shell */
        job_log(job, JOB_LOG_INFO, "Predict:         yolo predict task=%s model=%s imgsz=%s %s ", task, qpath, isz, q);
        job_log(job, JOB_LOG_INFO, "Validate:        yolo val task=%s model=%s imgsz=%s data=%s %s %s", task, qpath, isz,
                qdata, q, s);
        free(qpath);
        free(qdata);
        job_log(job, JOB_LOG_INFO, "Visualize:       https://netron.app");
    }
    /* results for the workbench */
    for (int i = 0; i < run->report.n_artifacts; i++) {
        const ReportArtifact *ar = &run->report.artifacts[i];
        job_add_artifact(job, ar->path, ar->bytes, ar->precision.text,
                         src_bytes > 0 ? (double)ar->bytes / (double)src_bytes : 0.0);
    }
    for (int i = 0; i < run->report.n_checks; i++) {
        const ReportCheck *c = &run->report.checks[i];
        JobCheckStatus js = c->status == CHECK_PASSED ? JOB_CHECK_PASS
                            : c->status == CHECK_WRITTEN_FAILED || c->status == CHECK_SKIPPED ? JOB_CHECK_WARN
                                                                                              : JOB_CHECK_FAIL;
        char name[160];
        snprintf(name, sizeof name, "%s %s", eff->fmt->name, c->name);
        job_add_check(job, name, js, c->detail, c->max_abs_delta >= 0 ? c->max_abs_delta : NAN);
    }
    run->report.total_seconds = now_seconds() - t0;
    if (ret != 0 && made[0]) remove_empty_dirs(made, a->project);
    free(out_base);
    free(pretty);
    graph_free(g);
    return ret;
}
