/* cli_info: `yoloport info MODEL [imgsz=N|H,W] [--json] [--tree]` — the peer's summary
 * lines (unfused and fused), then task, classes, stride, image size, input and output
 * shapes and where the model came from (its format as the registry names it).  Stored
 * graphs (ONNX, OpenVINO IR: rows whose reader does not build from a layer list) show their
 * interface, node and op counts and metadata instead of summary numbers.  The model is opened
 * shapes-only: no weight is read, so this is fast on any checkpoint. */
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/imgsz.h"
#include "engine/core/textwidth.h"
#include "engine/core/util.h"
#include "engine/export/report.h"
#include "engine/registry/model.h"
#include "engine/registry/registry.h"
#include "engine/builder/yolo.h"
#include "engine/tools/tools.h"
#include "formats/engine.h"
#include "tui/cli.h"

#define NAMES_SHOWN 10

typedef struct {
    const char *model;
    int imgsz[2]; /* 0 = the model's own */
    bool imgsz_given;
    bool json, tree;
} InfoArgs;

static void usage(FILE *f)
{
    fprintf(f, "usage: yoloport info MODEL [imgsz=N|H,W] [--json] [--tree]\n");
}

/* imgsz=640, imgsz=640,480, imgsz=[640, 480] (the peer's forms). */
static int parse_imgsz(const char *v, int out[2])
{
    char buf[64];
    size_t n = 0;
    for (const char *p = v; *p && n + 1 < sizeof buf; p++)
        if (*p != '[' && *p != ']' && *p != '(' && *p != ')' && !isspace((unsigned char)*p)) buf[n++] = *p;
    buf[n] = '\0';
    int count = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *end;
        long x = strtol(tok, &end, 10);
        if (*end || end == tok || x <= 0 || x > 16384 || count >= 2) return -1;
        out[count++] = (int)x;
    }
    if (count == 0) return -1;
    if (count == 1) out[1] = out[0];
    return 0;
}

static int parse_args(int argc, char **argv, InfoArgs *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--json")) a->json = true;
        else if (!strcmp(s, "--tree")) a->tree = true;
        else if (!strcmp(s, "-h") || !strcmp(s, "--help")) return 1;
        else if (!strncmp(s, "imgsz=", 6)) {
            if (parse_imgsz(s + 6, a->imgsz)) {
                fprintf(stderr,
                        "yoloport info: 'imgsz=%s' is not a valid image size: use an integer, i.e. 'imgsz=640', or "
                        "h,w, i.e. 'imgsz=640,480'\n",
                        s + 6);
                return 2;
            }
            a->imgsz_given = true;
        } else if (!strncmp(s, "model=", 6) && !a->model) a->model = s + 6;
        else if (s[0] == '-' && s[1]) {
            fprintf(stderr, "yoloport info: unknown option '%s'\n", s);
            return 2;
        } else if (strchr(s, '=') && !strchr(s, '/') && !a->model) {
            fprintf(stderr, "yoloport info: '%s' is not an argument info takes (only imgsz=)\n", s);
            return 2;
        } else if (!a->model) a->model = s;
        else {
            fprintf(stderr, "yoloport info: more than one model given ('%s' and '%s')\n", a->model, s);
            return 2;
        }
    }
    if (!a->model) {
        fprintf(stderr, "yoloport info: no model given\n");
        return 2;
    }
    return 0;
}

/* Text mode prints what a file supplied (names, metadata, paths, op types) through
 * textwidth_escape: a control character from a file reaches the terminal as a visible
 * escape, never as a command (--json escapes them as JSON does).  The escaped copies live in
 * one arena per output. */
static const char *esc(Arena *a, const char *s)
{
    char *e = textwidth_escaped(s, 0);
    const char *kept = arena_strdup(a, e);
    free(e);
    return kept;
}

/* The peer's line: "<name> summary[ (fused)]: L layers, P parameters, G gradients, F GFLOPs". */
static void print_summary_line(const char *name, const ModelSummary *s, bool fused)
{
    /* name: escaped by the caller */
    char l[32], p[32], g[32];
    printf("%s summary%s: %s layers, %s parameters, %s gradients", name, fused && summary_fused_label(s) ? " (fused)" : "",
           str_thousands(l, sizeof l, s->layers), str_thousands(p, sizeof p, s->parameters), str_thousands(g, sizeof g, s->gradients));
    if (s->gflops > 0) printf(", %.1f GFLOPs", s->gflops);
    printf("\n");
}

static int max_stride(const Graph *g) { return imgsz_model_stride(g->meta.strides, g->meta.n_strides); }

static void print_tensor_line(Arena *a, const char *label, const Graph *g, int ti)
{
    const Tensor *t = &g->tensors[ti];
    char buf[160];
    printf("%-9s %s %s %s\n", label, esc(a, t->name), esc(a, shape_str(t, buf, sizeof buf)), dtype_name(t->dtype));
}

static void print_names(Arena *a, const Graph *g)
{
    printf("classes:  %d", g->meta.nc);
    for (int i = 0; i < g->meta.nc && i < NAMES_SHOWN; i++) printf("%s%s", i ? ", " : " (", esc(a, g->meta.names[i]));
    if (g->meta.nc > NAMES_SHOWN) printf(", ... %d more", g->meta.nc - NAMES_SHOWN);
    if (g->meta.nc > 0) printf(")");
    printf("\n");
}

static void print_tree(Arena *a, const Graph *g)
{
    printf("\n%-60s %-18s %12s  %s\n", "module", "type", "parameters", "output");
    for (int i = 0; i < g->n_modules; i++) {
        const Module *m = &g->modules[i];
        char label[256], p[32], shape[160] = "";
        snprintf(label, sizeof label, "%*s%s", 2 * m->depth, "", m->depth ? esc(a, m->name) : "(model)");
        if (m->out_tensor >= 0) shape_str(&g->tensors[m->out_tensor], shape, sizeof shape);
        printf("%-60s %-18s %12s  %s\n", label, esc(a, m->type), str_thousands(p, sizeof p, m->params), esc(a, shape));
    }
}

/* Does the model come from a layer list (checkpoint, config), built at the asked imgsz with
 * the peer's summary lines?  Otherwise it is a stored graph whose file fixes its shapes. */
static bool built_model(const Graph *g)
{
    const FormatInfo *row = registry_row(g->meta.source_format);
    return row && row->read_builds;
}

static void print_text(const char *path, const Graph *g, bool tree)
{
    const GraphMeta *m = &g->meta;
    Arena *a = arena_new();
    bool built = built_model(g);
    if (built && m->summary.valid) {
        const char *name = m->model_name ? esc(a, m->model_name) : "Model";
        print_summary_line(name, &m->summary, false);
        print_summary_line(name, &m->fused_summary, true);
    }
    printf("model:    %s\n", esc(a, path));
    if (m->task) printf("task:     %s\n", esc(a, m->task));
    if (m->nc > 0) print_names(a, g);
    if (m->n_strides > 0) {
        printf("stride:   %d", max_stride(g));
        if (m->n_strides > 1) {
            for (int i = 0; i < m->n_strides; i++) printf("%s%d", i ? ", " : " (", m->strides[i]);
            printf(")");
        }
        printf("\n");
    }
    if (m->imgsz[0] > 0) printf("imgsz:    %d,%d\n", m->imgsz[0], m->imgsz[1]);
    if (m->kpt_shape[0] > 0) printf("kpt_shape: [%d, %d]\n", m->kpt_shape[0], m->kpt_shape[1]);
    for (int i = 0; i < g->n_inputs; i++) print_tensor_line(a, "input:", g, g->inputs[i]);
    for (int i = 0; i < g->n_outputs; i++) print_tensor_line(a, "output:", g, g->outputs[i]);
    printf("source:   %s", format_id_key(m->source_format));
    if (m->source_format == FMT_ONNX) {
        if (m->opset > 0) printf(", opset %lld", (long long)m->opset);
        printf(", ir_version %lld", (long long)m->ir_version);
        if (m->producer && *m->producer) printf(", producer %s", esc(a, m->producer));
    } else if (m->source_format == FMT_OPENVINO) {
        /* the reader keeps the IR's <net version> and name there */
        printf(", IR version %lld", (long long)m->ir_version);
        if (m->producer && *m->producer) printf(", network %s", esc(a, m->producer));
    } else if (m->source_format == FMT_TFLITE) {
        /* the reader keeps the schema version and the model's description there */
        printf(", schema %lld", (long long)m->ir_version);
        if (m->producer && *m->producer) printf(", \"%s\"", esc(a, m->producer));
    }
    if (m->version && *m->version) printf(", Ultralytics %s", esc(a, m->version));
    if (m->date && *m->date) printf(", %s", esc(a, m->date));
    printf("\n");
    if (m->data && *m->data) printf("data:     %s\n", esc(a, m->data));
    if (!built) {
        /* op counts, most frequent first */
        printf("nodes:    %d\n", g->n_nodes);
        int64_t params = 0;
        for (int i = 0; i < g->n_tensors; i++)
            if (g->tensors[i].is_param && tensor_numel(&g->tensors[i]) > 0 &&
                __builtin_add_overflow(params, tensor_numel(&g->tensors[i]), &params))
                params = INT64_MAX; /* shapes a file declares without data */
        char p[32];
        printf("weights:  %s values\n", str_thousands(p, sizeof p, params));
        PrecisionInfo prec; /* as stored and as computed: "int8 (QDQ, per-channel)", "fp16" */
        report_scan_precision(g, &prec);
        printf("precision: %s\n", prec.text);
        const char *types[256];
        int counts[256], nt = 0;
        for (int i = 0; i < g->n_nodes; i++) {
            int k = 0;
            while (k < nt && strcmp(types[k], g->nodes[i].op_type)) k++;
            if (k == nt && nt < 256) types[nt] = g->nodes[i].op_type, counts[nt++] = 0;
            if (k < nt) counts[k]++;
        }
        printf("ops:     ");
        for (int shown = 0; shown < nt; shown++) {
            int best = -1;
            for (int k = 0; k < nt; k++)
                if (counts[k] > 0 && (best < 0 || counts[k] > counts[best])) best = k;
            if (best < 0) break;
            printf(" %s %d", esc(a, types[best]), counts[best]);
            counts[best] = -counts[best];
        }
        printf("\n");
        for (int i = 0; i < m->n_props; i++) {
            const char *v = m->props[i].value;
            size_t cut = textwidth_cut(v, 100, NULL); /* whole characters, never half of one */
            printf("meta:     %s: %s%s\n", esc(a, m->props[i].key), esc(a, arena_strndup(a, v, cut)),
                   v[cut] ? " ..." : "");
        }
    }
    if (tree) print_tree(a, g);
    arena_free(a);
}

static json_object *shape_json(const Tensor *t)
{
    json_object *a = json_object_new_array();
    for (int d = 0; d < t->rank; d++) {
        if (t->dim_names[d]) json_object_array_add(a, json_object_new_string(t->dim_names[d]));
        else if (t->dims[d] < 0) json_object_array_add(a, NULL);
        else json_object_array_add(a, json_object_new_int64(t->dims[d]));
    }
    return a;
}

static json_object *gflops_json(double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.1f", v);
    return json_object_new_double_s(v, buf);
}

static json_object *str_or_null(const char *s)
{
    return s && *s ? json_object_new_string(s) : NULL;
}

static void print_json(const char *path, const Graph *g, bool tree)
{
    const GraphMeta *m = &g->meta;
    bool built = built_model(g);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "model", json_object_new_string(path));
    json_object_object_add(o, "name", str_or_null(m->model_name));
    json_object_object_add(o, "task", str_or_null(m->task));
    bool sum = built && m->summary.valid;
    json_object_object_add(o, "layers", sum ? json_object_new_int64(m->summary.layers) : NULL);
    json_object_object_add(o, "parameters", sum ? json_object_new_int64(m->summary.parameters) : NULL);
    json_object_object_add(o, "gradients", sum ? json_object_new_int64(m->summary.gradients) : NULL);
    json_object_object_add(o, "gflops", sum ? gflops_json(m->summary.gflops) : NULL);
    if (sum) {
        json_object *f = json_object_new_object();
        json_object_object_add(f, "layers", json_object_new_int64(m->fused_summary.layers));
        json_object_object_add(f, "parameters", json_object_new_int64(m->fused_summary.parameters));
        json_object_object_add(f, "gradients", json_object_new_int64(m->fused_summary.gradients));
        json_object_object_add(f, "gflops", gflops_json(m->fused_summary.gflops));
        json_object_object_add(o, "fused", f);
    } else {
        json_object_object_add(o, "fused", NULL);
    }
    json_object *imgsz = NULL;
    if (m->imgsz[0] > 0) {
        imgsz = json_object_new_array();
        json_object_array_add(imgsz, json_object_new_int(m->imgsz[0]));
        json_object_array_add(imgsz, json_object_new_int(m->imgsz[1]));
    }
    json_object_object_add(o, "imgsz", imgsz);
    json_object_object_add(o, "stride", m->n_strides ? json_object_new_int(max_stride(g)) : NULL);
    json_object *strides = json_object_new_array();
    for (int i = 0; i < m->n_strides; i++) json_object_array_add(strides, json_object_new_int(m->strides[i]));
    json_object_object_add(o, "strides", strides);
    json_object_object_add(o, "input_shape", g->n_inputs ? shape_json(&g->tensors[g->inputs[0]]) : NULL);
    json_object *outs = json_object_new_array(), *onames = json_object_new_array();
    for (int i = 0; i < g->n_outputs; i++) {
        json_object_array_add(outs, shape_json(&g->tensors[g->outputs[i]]));
        json_object_array_add(onames, json_object_new_string(g->tensors[g->outputs[i]].name));
    }
    json_object_object_add(o, "output_shapes", outs);
    json_object_object_add(o, "output_names", onames);
    json_object_object_add(o, "nc", json_object_new_int(m->nc));
    json_object *names = json_object_new_array();
    for (int i = 0; i < m->nc; i++) json_object_array_add(names, json_object_new_string(m->names[i]));
    json_object_object_add(o, "names", names);
    if (m->kpt_shape[0] > 0) {
        json_object *k = json_object_new_array();
        json_object_array_add(k, json_object_new_int(m->kpt_shape[0]));
        json_object_array_add(k, json_object_new_int(m->kpt_shape[1]));
        json_object_object_add(o, "kpt_shape", k);
    }
    json_object *src = json_object_new_object();
    json_object_object_add(src, "format", json_object_new_string(format_id_key(m->source_format)));
    json_object_object_add(src, "version", str_or_null(m->version));
    json_object_object_add(src, "date", str_or_null(m->date));
    json_object_object_add(src, "data", str_or_null(m->data));
    if (m->source_format == FMT_ONNX) {
        json_object_object_add(src, "opset", json_object_new_int64(m->opset));
        json_object_object_add(src, "ir_version", json_object_new_int64(m->ir_version));
        json_object_object_add(src, "producer", str_or_null(m->producer));
    } else if (m->source_format == FMT_OPENVINO) {
        json_object_object_add(src, "ir_version", json_object_new_int64(m->ir_version));
        json_object_object_add(src, "network", str_or_null(m->producer));
    } else if (m->source_format == FMT_TFLITE) {
        json_object_object_add(src, "schema_version", json_object_new_int64(m->ir_version));
        json_object_object_add(src, "description", str_or_null(m->producer));
    }
    json_object_object_add(o, "source", src);
    if (!built) {
        json_object_object_add(o, "nodes", json_object_new_int(g->n_nodes));
        PrecisionInfo prec;
        report_scan_precision(g, &prec);
        json_object_object_add(o, "precision", json_object_new_string(prec.text));
        json_object *ops = json_object_new_object();
        for (int i = 0; i < g->n_nodes; i++) {
            json_object *c = NULL;
            const char *t = g->nodes[i].op_type;
            if (json_object_object_get_ex(ops, t, &c)) json_object_set_int(c, json_object_get_int(c) + 1);
            else json_object_object_add(ops, t, json_object_new_int(1));
        }
        json_object_object_add(o, "ops", ops);
        json_object *meta = json_object_new_object();
        for (int i = 0; i < m->n_props; i++)
            json_object_object_add(meta, m->props[i].key, json_object_new_string(m->props[i].value));
        json_object_object_add(o, "metadata", meta);
    }
    if (tree) {
        json_object *mods = json_object_new_array();
        for (int i = 0; i < g->n_modules; i++) {
            const Module *md = &g->modules[i];
            json_object *e = json_object_new_object();
            json_object_object_add(e, "path", json_object_new_string(md->path));
            json_object_object_add(e, "type", json_object_new_string(md->type));
            json_object_object_add(e, "depth", json_object_new_int(md->depth));
            json_object_object_add(e, "parameters", json_object_new_int64(md->params));
            json_object_object_add(e, "output_shape", md->out_tensor >= 0 ? shape_json(&g->tensors[md->out_tensor]) : NULL);
            json_object_array_add(mods, e);
        }
        json_object_object_add(o, "modules", mods);
    }
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

/* LoadDecideFn: imgsz= given for a model that is built (a checkpoint, a config) is rounded
 * up to a multiple of its largest stride, as the peer's check_imgsz, before the one build. */
static int info_size(const GraphMeta *meta, bool builds, LoadOptions *opt, void *user, char *err, size_t errlen)
{
    const InfoArgs *a = user;
    if (!builds || !a->imgsz_given) return 0;
    char warn[256];
    if (imgsz_check(a->imgsz, 2, imgsz_model_stride(meta->strides, meta->n_strides), opt->imgsz, warn, sizeof warn))
        fprintf(stderr, "WARNING %s\n", warn);
    return 0;
}

/* ---- TensorRT engines: the peer's header, and whether this host can run it ---------------- */

/* Differences between the engine's build environment and this host's, as warning lines. */
static int engine_warnings(const EngineHeader *h, const ToolFacts *here, char out[][400], int max)
{
    int n = 0;
    char built[300];
    snprintf(built, sizeof built, "%s%s%s%s%s%s", h->gpu[0] ? h->gpu : "an unrecorded GPU",
             h->compute_capability[0] ? " (compute " : "", h->compute_capability, h->compute_capability[0] ? ")" : "",
             h->tensorrt[0] ? ", TensorRT " : "", h->tensorrt);
    if (!here->gpu.present) {
        snprintf(out[n++], 400, "this host has no NVIDIA GPU: the engine runs only on the GPU it was built for (%s)", built);
        return n;
    }
    const GpuInfo *g = &here->gpu;
    bool other_gpu = (h->gpu[0] && g->name[0] && strcmp(h->gpu, g->name) != 0) ||
                     (h->compute_capability[0] && g->compute_capability[0] && strcmp(h->compute_capability, g->compute_capability) != 0);
    if (other_gpu && n < max)
        snprintf(out[n++], 400, "built for %s, but this host has %s%s%s%s: engines are specific to the GPU they were built on; "
                 "rebuild it here", built, g->name[0] ? g->name : "another GPU", g->compute_capability[0] ? " (compute " : "",
                 g->compute_capability, g->compute_capability[0] ? ")" : "");
    const ToolInfo *t = &here->tool[TOOL_TRTEXEC];
    if (h->tensorrt[0] && t->found && t->version[0] && n < max) {
        int a[3] = {0}, b[3] = {0};
        sscanf(h->tensorrt, "%d.%d.%d", &a[0], &a[1], &a[2]);
        sscanf(t->version, "%d.%d.%d", &b[0], &b[1], &b[2]);
        if (a[0] != b[0] || a[1] != b[1])
            snprintf(out[n++], 400, "built with TensorRT %s, but this host has TensorRT %s: an engine loads only in the "
                     "TensorRT version that built it; rebuild it here", h->tensorrt, t->version);
    } else if (!t->found && n < max) {
        snprintf(out[n++], 400, "TensorRT is not installed here (trtexec is not on PATH): the engine cannot be loaded or timed");
    }
    return n;
}

static int info_engine(const InfoArgs *a)
{
    EngineHeader h;
    char err[1024];
    if (engine_header_read(a->model, &h, err, sizeof err) != 0) {
        fprintf(stderr, "yoloport: %s\n", err);
        return 1;
    }
    if (a->imgsz_given) fprintf(stderr, "WARNING imgsz is ignored for TensorRT engines: their input shape is fixed when built\n");
    ToolFacts here;
    tools_discover(&here, TOOL_BIT(TOOL_TRTEXEC) | TOOL_BIT(TOOL_NVIDIA_SMI), 0, 10, NULL, NULL);
    char warn[4][400];
    int nw = engine_warnings(&h, &here, warn, 4);
    const char *prec = h.precision[0] ? h.precision : h.int8 ? "INT8" : h.half ? "FP16" : "FP32";
    if (a->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "model", json_object_new_string(a->model));
        json_object_object_add(o, "task", str_or_null(h.task));
        json_object *names = json_object_new_array();
        for (int i = 0; i < h.nc; i++) json_object_array_add(names, json_object_new_string(h.names[i]));
        json_object_object_add(o, "nc", json_object_new_int(h.nc));
        json_object_object_add(o, "names", names);
        json_object_object_add(o, "stride", h.stride ? json_object_new_int(h.stride) : NULL);
        json_object *imgsz = json_object_new_array();
        json_object_array_add(imgsz, json_object_new_int(h.imgsz[0]));
        json_object_array_add(imgsz, json_object_new_int(h.imgsz[1]));
        json_object_object_add(o, "imgsz", imgsz);
        json_object_object_add(o, "batch", json_object_new_int(h.batch));
        json_object_object_add(o, "dynamic", json_object_new_boolean(h.dynamic));
        json_object_object_add(o, "precision", json_object_new_string(prec));
        json_object *src = json_object_new_object();
        json_object_object_add(src, "format", json_object_new_string("engine"));
        json_object_object_add(src, "version", str_or_null(h.version));
        json_object_object_add(src, "date", str_or_null(h.date));
        json_object_object_add(o, "source", src);
        json_object *b = json_object_new_object();
        json_object_object_add(b, "host", str_or_null(h.build_host));
        json_object_object_add(b, "gpu", str_or_null(h.gpu));
        json_object_object_add(b, "compute_capability", str_or_null(h.compute_capability));
        json_object_object_add(b, "driver", str_or_null(h.driver));
        json_object_object_add(b, "cuda", str_or_null(h.cuda));
        json_object_object_add(b, "tensorrt", str_or_null(h.tensorrt));
        json_object_object_add(o, "built_with", b);
        json_object_object_add(o, "metadata_bytes", json_object_new_int64(h.meta_len));
        json_object_object_add(o, "plan_bytes", json_object_new_int64((int64_t)h.plan_bytes));
        json_object *w = json_object_new_array();
        for (int i = 0; i < nw; i++) json_object_array_add(w, json_object_new_string(warn[i]));
        json_object_object_add(o, "warnings", w);
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        printf("model:    %s\n", a->model);
        if (h.task[0]) printf("task:     %s\n", h.task);
        printf("classes:  %d", h.nc);
        for (int i = 0; i < h.nc && i < NAMES_SHOWN; i++) printf("%s%s", i ? ", " : " (", h.names[i]);
        if (h.nc > NAMES_SHOWN) printf(", ... %d more", h.nc - NAMES_SHOWN);
        printf("%s\n", h.nc > 0 ? ")" : "");
        if (h.stride) printf("stride:   %d\n", h.stride);
        printf("imgsz:    %d,%d\n", h.imgsz[0], h.imgsz[1]);
        printf("batch:    %d%s\n", h.batch, h.dynamic ? " (dynamic: the maximum)" : "");
        printf("precision: %s%s\n", prec, h.dla[0] ? " (DLA)" : "");
        printf("source:   engine");
        if (h.version[0]) printf(", Ultralytics %s", h.version);
        if (h.date[0]) printf(", %s", h.date);
        printf("\n");
        if (h.gpu[0] || h.tensorrt[0])
            printf("built on: %s%s%s%s%s%s, driver %s, CUDA %s, TensorRT %s\n", h.build_host[0] ? h.build_host : "?",
                   h.gpu[0] ? ": " : "", h.gpu, h.compute_capability[0] ? " (compute " : "", h.compute_capability,
                   h.compute_capability[0] ? ")" : "",
                   h.driver[0] ? h.driver : "?", h.cuda[0] ? h.cuda : "?", h.tensorrt[0] ? h.tensorrt : "?");
        else
            printf("built on: not recorded (an engine exported by Ultralytics)\n");
        printf("plan:     %llu bytes after %u bytes of metadata\n", (unsigned long long)h.plan_bytes, h.meta_len);
    }
    for (int i = 0; i < nw; i++) fprintf(stderr, "WARNING %s\n", warn[i]);
    engine_header_free(&h);
    return 0;
}

int cli_info(int argc, char **argv)
{
    InfoArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    if (rc) {
        usage(stderr);
        return 2;
    }
    char err[1024] = "";
    if (model_detect(a.model, err, sizeof err) == FMT_ENGINE) return info_engine(&a);
    /* read once: the size to build at is decided from the model's own stride (info_size) */
    LoadOptions opt = {.shapes_only = true, .decide = info_size, .decide_user = &a};
    Graph *g = model_load(a.model, &opt, err, sizeof err);
    if (!g) {
        fputs("yoloport: ", stderr);
        textwidth_fputs(err, 0, stderr); /* names a file, tensor or class the file chose */
        fputc('\n', stderr);
        return 1;
    }
    if (a.imgsz_given && !built_model(g)) {
        const FormatInfo *row = registry_row(g->meta.source_format);
        fprintf(stderr, "WARNING imgsz is ignored for %s files: their input shape is fixed by the file\n",
                row ? row->name : "these");
    }
    if (a.json) print_json(a.model, g, a.tree);
    else print_text(a.model, g, a.tree);
    graph_free(g);
    return 0;
}
