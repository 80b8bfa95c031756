/* readers: each format row's recogniser and reader (see readers.h).  Recognisers look at
 * content only; the messages they leave for a path that is none of theirs are the ones
 * model_load shows when no row claims it. */
#include "engine/registry/readers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "engine/builder/yolo.h"
#include "engine/passes/passes.h"
#include "engine/registry/model.h"
#include "formats/mnn.h"
#include "formats/ncnn.h"
#include "formats/engine.h"
#include "formats/onnx.h"
#include "formats/openvino.h"
#include "formats/pt.h"
#include "formats/tfjs.h"
#include "formats/tflite.h"
#include "formats/tfsaved.h"
#include "formats/torchscript.h"
#include "formats/zip_entry.h"

#define MAX_TEXT_BYTES (4u << 20)

static bool zip_magic(const FormatProbe *p)
{
    return p->kind == PROBE_FILE && p->head_len >= 4 && !memcmp(p->head, "PK\x03\x04", 4);
}

/* ---- recognisers ------------------------------------------------------------------------ */

/* A zip holding <prefix>/data.pkl without TorchScript's code/ and constants.pkl.  Every other
 * zip is explained here: the archive is the checkpoint's container. */
bool reader_pt_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    if (p->kind == PROBE_FILE && p->head_len >= 4 && !memcmp(p->head, "PK\x05\x06", 4)) {
        err_set(err, errlen, "%s: not a model: an empty zip archive", p->path);
        return false;
    }
    if (!zip_magic(p)) return false;
    switch (pt_probe(p->path)) {
    case PT_CHECKPOINT:
        return true;
    case PT_TORCHSCRIPT:
        return false; /* the TorchScript row's */
    case PT_ZIP_OTHER:
        err_set(err, errlen, "%s: not a model: a zip archive without data.pkl (not a PyTorch checkpoint)", p->path);
        return false;
    default:
        break;
    }
    /* the magic says zip, but libzip cannot read it: say why */
    int zerr = 0;
    ZipArchive za;
    zip_t *z = zip_entry_open(&za, p->path, ZIP_RDONLY, &zerr, err, errlen);
    if (z) {
        zip_discard(z);
        err_set(err, errlen, "%s: damaged zip archive", p->path);
    } else if (zerr) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        err_set(err, errlen, "%s: truncated or damaged zip archive (%s)", p->path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
    }
    return false;
}

/* A zip with data.pkl plus code/ or constants.pkl: torch.jit.save's archive. */
bool reader_torchscript_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return zip_magic(p) && pt_probe(p->path) == PT_TORCHSCRIPT;
}

/* Protobuf whose fields parse as an ONNX ModelProto with a graph. */
bool reader_onnx_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return p->kind == PROBE_FILE && onnx_sniff(p->head, p->head_len);
}

/* An XML <net version=...>, or a directory holding exactly one. */
bool reader_openvino_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return (p->kind == PROBE_FILE || p->kind == PROBE_DIR) && openvino_sniff(p->path);
}

/* A directory with a model.json saying "graph-model", or that model.json. */
bool reader_tfjs_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return (p->kind == PROBE_FILE || p->kind == PROBE_DIR) && tfjs_sniff(p->path);
}

/* A flatbuffer with TF Lite's "TFL3" identifier. */
bool reader_tflite_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return p->kind == PROBE_FILE && p->head_len >= 8 && !memcmp(p->head + 4, "TFL3", 4);
}

/* A protobuf opening as a GraphDef: its first NodeDef with a name and an op. */
bool reader_pb_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return p->kind == PROBE_FILE && tfsaved_sniff_pb(p->path);
}

/* A directory holding a saved_model.pb that opens as a SavedModel. */
bool reader_saved_model_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return p->kind == PROBE_DIR && tfsaved_sniff_saved_model(p->path);
}

/* A flatbuffer whose root table has the shape of MNN's Net (oplists and tensorName). */
bool reader_mnn_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return p->kind == PROBE_FILE && mnn_sniff(p->head, p->head_len, p->size);
}

/* A text file opening with ncnn's magic 7767517 and the two counts, or a directory holding
 * model.ncnn.param (or exactly one such .param). */
bool reader_ncnn_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return (p->kind == PROBE_FILE || p->kind == PROBE_DIR) && ncnn_sniff(p->path);
}

/* The peer's TensorRT engine header: a plausible little-endian length, then a JSON object. */
bool reader_engine_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return p->kind == PROBE_FILE && engine_sniff(p->head, p->head_len, p->size);
}

/* A YAML mapping with backbone and head; or, for a name that is not a file, a built-in
 * config ("yolov8n.yaml" resolves through share/models). */
bool reader_yaml_recognise(const FormatProbe *p, char *err, size_t errlen)
{
    if (p->kind == PROBE_MISSING) {
        char *builtin = yolo_cfg_builtin_path(p->path, NULL);
        if (builtin) {
            free(builtin);
            return true;
        }
        size_t pl = strlen(p->path);
        bool cfg_name = !strchr(p->path, '/') && ((pl > 5 && !strcmp(p->path + pl - 5, ".yaml")) ||
                                                  (pl > 4 && !strcmp(p->path + pl - 4, ".yml")));
        if (cfg_name)
            err_set(err, errlen,
                    "%s: no such file, and not a built-in model config (yolov8n.yaml, yolo11s-seg.yaml, ...)",
                    p->path);
        return false;
    }
    if (p->kind != PROBE_FILE || memchr(p->head, '\0', p->head_len) || p->size > MAX_TEXT_BYTES) return false;
    size_t skip = p->head_len >= 3 && !memcmp(p->head, "\xef\xbb\xbf", 3) ? 3 : 0;
    while (skip < p->head_len && strchr(" \t\r\n", p->head[skip])) skip++;
    if (skip < p->head_len && p->head[skip] == '<') { /* markup: never YAML, and no IR either */
        err_set(err, errlen, "%s: not a model: XML that is not an OpenVINO IR (its root is not <net>)", p->path);
        return false;
    }
    size_t len = 0;
    char *text = file_read_all(p->path, MAX_TEXT_BYTES, &len, err, errlen);
    if (!text) return false;
    char why[256] = "";
    bool yes = yolo_cfg_sniff_why(text, len, why, sizeof why);
    if (!yes && why[0]) err_set(err, errlen, "%s: not a model: %s", p->path, why);
    free(text);
    return yes;
}

/* ---- readers ---------------------------------------------------------------------------- */

/* imgsz must be a multiple of the model's largest stride (the peer's check_imgsz rounds up
 * with a warning before it gets here). */
static int check_imgsz(const ModTree *t, const LoadOptions *o, const char *path, char *err, size_t errlen)
{
    int smax = 0;
    for (int i = 0; i < t->n_strides && i < 8; i++)
        if (t->strides[i] > smax) smax = t->strides[i];
    if (smax <= 1) return 0;
    for (int k = 0; k < 2; k++)
        if (o->imgsz[k] > 0 && o->imgsz[k] % smax)
            return err_set(err, errlen, "%s: imgsz %d is not a multiple of the model's stride %d", path, o->imgsz[k],
                           smax);
    return 0;
}

/* The builder's graph for a layer list (take: the graph adopts t's blobs), built as
 * opt->decide settles (once), BatchNorm folded and parallel convolutions merged when fuse. */
static Graph *build(ModTree *t, const char *path, const LoadOptions *opt, bool take, char *err, size_t errlen)
{
    LoadOptions decided = *opt, *o = &decided;
    if (o->decide) {
        /* the caller settles the build from the model's facts before anything is built */
        Graph *about = yolo_describe(t);
        int rc = o->decide(&about->meta, true, o, o->decide_user, err, errlen);
        graph_free(about);
        if (rc != 0) return NULL;
    }
    if (check_imgsz(t, o, path, err, errlen)) return NULL;
    char why[512] = "";
    Graph *g = take ? yolo_build_take(t, o, why, sizeof why) : yolo_build(t, o, why, sizeof why);
    if (!g) {
        err_set(err, errlen, "%s: %s", path, why);
        return NULL;
    }
    g->meta.source_path = arena_strdup(g->arena, path);
    if (o->fuse && (pass_fuse_bn(g, why, sizeof why) < 0 || pass_fuse_rep(g, why, sizeof why) < 0)) {
        err_set(err, errlen, "%s: %s", path, why);
        graph_free(g);
        return NULL;
    }
    return g;
}

Graph *reader_pt_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    ModTree *t = pt_load(path, !opt->shapes_only, err, errlen);
    if (!t) return NULL;
    Graph *g = build(t, path, opt, false, err, errlen);
    modtree_free(t);
    return g;
}

Graph *reader_yaml_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    ModTree *t = yolo_cfg_load(path, !opt->shapes_only, err, errlen);
    if (!t) return NULL;
    Graph *g = build(t, path, opt, true, err, errlen);
    modtree_free(t);
    return g;
}

Graph *reader_torchscript_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    (void)opt;
    TorchScriptRead how;
    Graph *g = torchscript_read(path, &how, err, errlen);
    if (!g) return NULL;
    char why[1024];
    int rc = how.dynamic && g->n_inputs == 1 ? pass_infer_shapes(g, how.dims, 4, NULL, why, sizeof why)
                                             : pass_infer_shapes_at_input(g, why, sizeof why);
    if (rc == 0 && how.half) rc = pass_half(g, NULL, why, sizeof why);
    if (rc != 0) {
        err_set(err, errlen, "%s: %s", path, why);
        graph_free(g);
        return NULL;
    }
    graph_count_module_params(g);
    return g;
}

Graph *reader_onnx_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    OnnxReadOptions ro = {.shapes_only = opt->shapes_only, .base_dir = NULL};
    return onnx_read_opts(path, &ro, err, errlen);
}

Graph *reader_openvino_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    (void)opt;
    return openvino_read(path, err, errlen);
}

/* A GraphDef records no shapes but the input's and the constants': the others are inferred
 * by one run of the graph at the input's size (a graph that does not run there is refused). */
static Graph *tf_shapes(Graph *g, const char *path, char *err, size_t errlen)
{
    char msg[1024];
    if (g && pass_infer_shapes_at_input(g, msg, sizeof msg) != 0) {
        err_set(err, errlen, "%s: %s", path, msg);
        graph_free(g);
        return NULL;
    }
    return g;
}

Graph *reader_pb_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    (void)opt;
    return tf_shapes(tfsaved_read_pb(path, err, errlen), path, err, errlen);
}

Graph *reader_saved_model_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    (void)opt;
    return tf_shapes(tfsaved_read_dir(path, err, errlen), path, err, errlen);
}

Graph *reader_tfjs_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    (void)opt;
    return tf_shapes(tfjs_read(path, err, errlen), path, err, errlen);
}

Graph *reader_tflite_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    (void)opt;
    return tflite_read(path, err, errlen);
}

Graph *reader_ncnn_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    (void)opt;
    return ncnn_read(path, err, errlen);
}

Graph *reader_mnn_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen)
{
    (void)opt;
    return mnn_read(path, err, errlen);
}
