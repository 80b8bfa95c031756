/* model: open a model file of any supported kind (see model.h).  The kind is decided by
 * content; the name only matters for a bare built-in config name such as "yolov8n.yaml". */
#include "engine/registry/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "formats/onnx.h"
#include "formats/openvino.h"
#include "formats/pt.h"
#include "engine/passes/passes.h"
#include "engine/builder/yolo.h"

#define SNIFF_BYTES (64u << 10)
#define MAX_TEXT_BYTES (4u << 20)

static const char *const format_names[] = {"unknown", "pt", "onnx", "yaml", "torchscript", "openvino"};
_Static_assert(ARRAY_LEN(format_names) == MODEL_FMT_OPENVINO + 1, "format names out of step with ModelFormat");

const char *model_format_name(ModelFormat f)
{
    return (unsigned)f < ARRAY_LEN(format_names) ? format_names[f] : "unknown";
}

/* What a file that is none of ours looks like, for the message. */
static const char *describe(const unsigned char *b, size_t n)
{
    if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return "a JPEG image";
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return "a PNG image";
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return "gzip-compressed data";
    if (n >= 4 && !memcmp(b, "\x7f" "ELF", 4)) return "an executable";
    if (n >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5) return "a bare pickle (legacy torch.save format, not a zip checkpoint)";
    if (n >= 4 && !memcmp(b, "PK", 2)) return "a zip archive";
    if (memchr(b, '\0', n)) return "unrecognised binary data";
    return "text that is not a model config";
}

/* Zip archive: a checkpoint holds <name>/data.pkl; TorchScript adds code/ and constants.pkl. */
static ModelFormat detect_zip(const char *path, char *err, size_t errlen)
{
    switch (pt_probe(path)) {
    case PT_CHECKPOINT:
        return MODEL_FMT_PT;
    case PT_TORCHSCRIPT:
        err_set(err, errlen,
                "%s: a TorchScript archive (a traced export); yoloport opens the .pt checkpoint it was exported "
                "from, or an ONNX export",
                path);
        return MODEL_FMT_TORCHSCRIPT;
    case PT_ZIP_OTHER:
        err_set(err, errlen, "%s: not a model: a zip archive without data.pkl (not a PyTorch checkpoint)", path);
        return MODEL_FMT_UNKNOWN;
    default:
        break;
    }
    /* the magic says zip, but libzip cannot read it: say why */
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (z) {
        zip_close(z);
        err_set(err, errlen, "%s: damaged zip archive", path);
    } else {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        err_set(err, errlen, "%s: truncated or damaged zip archive (%s)", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
    }
    return MODEL_FMT_UNKNOWN;
}

ModelFormat model_detect(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        err_set(err, errlen, "no model given");
        return MODEL_FMT_UNKNOWN;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        if (e == ENOENT) {
            char *builtin = yolo_cfg_builtin_path(path, NULL);
            if (builtin) {
                free(builtin);
                return MODEL_FMT_YAML;
            }
            size_t pl = strlen(path);
            bool cfg_name = !strchr(path, '/') && ((pl > 5 && !strcmp(path + pl - 5, ".yaml")) ||
                                                   (pl > 4 && !strcmp(path + pl - 4, ".yml")));
            if (cfg_name)
                err_set(err, errlen,
                        "%s: no such file, and not a built-in model config (yolov8n.yaml, yolo11s-seg.yaml, ...)",
                        path);
            else
                err_set(err, errlen, "%s: no such file", path);
        } else {
            err_set(err, errlen, "%s: %s", path, strerror(e));
        }
        return MODEL_FMT_UNKNOWN;
    }
    if (S_ISDIR(st.st_mode)) {
        if (openvino_sniff(path)) return MODEL_FMT_OPENVINO;
        err_set(err, errlen, "%s: is a directory, not a model file (yoloport opens .pt, .onnx and model .yaml files)",
                path);
        return MODEL_FMT_UNKNOWN;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(err, errlen, "%s: not a regular file", path);
        return MODEL_FMT_UNKNOWN;
    }
    if (st.st_size == 0) {
        err_set(err, errlen, "%s: empty file", path);
        return MODEL_FMT_UNKNOWN;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return MODEL_FMT_UNKNOWN;
    }
    unsigned char *buf = xmalloc(SNIFF_BYTES);
    size_t n = fread(buf, 1, SNIFF_BYTES, f);
    fclose(f);
    ModelFormat fmt = MODEL_FMT_UNKNOWN;
    if (n >= 4 && !memcmp(buf, "PK\x03\x04", 4)) {
        fmt = detect_zip(path, err, errlen);
    } else if (n >= 4 && !memcmp(buf, "PK\x05\x06", 4)) {
        err_set(err, errlen, "%s: not a model: an empty zip archive", path);
    } else if (onnx_sniff(buf, n)) {
        fmt = MODEL_FMT_ONNX;
    } else if (openvino_sniff(path)) {
        fmt = MODEL_FMT_OPENVINO;
    } else if (!memchr(buf, '\0', n) && (uint64_t)st.st_size <= MAX_TEXT_BYTES) {
        size_t len = 0;
        char *text = file_read_all(path, MAX_TEXT_BYTES, &len, err, errlen);
        char why[256] = "";
        if (text && yolo_cfg_sniff_why(text, len, why, sizeof why)) fmt = MODEL_FMT_YAML;
        else if (text) err_set(err, errlen, "%s: not a model: %s", path, why[0] ? why : describe(buf, n));
        free(text);
    } else {
        err_set(err, errlen, "%s: not a model: %s", path, describe(buf, n));
    }
    free(buf);
    return fmt;
}

/* imgsz must be a multiple of the model's largest stride (the peer's check_imgsz rounds up
 * with a warning before it gets here). */
static int check_imgsz(const ModTree *t, const LoadOptions *o, const char *path, char *err, size_t errlen)
{
    int smax = 0;
    for (int i = 0; i < t->n_strides && i < 8; i++)
        if (t->strides[i] > smax) smax = t->strides[i];
    if (smax <= 1 || !o) return 0;
    for (int k = 0; k < 2; k++)
        if (o->imgsz[k] > 0 && o->imgsz[k] % smax)
            return err_set(err, errlen, "%s: imgsz %d is not a multiple of the model's stride %d", path, o->imgsz[k],
                           smax);
    return 0;
}

static Graph *load_tree(ModTree *t, const char *path, const LoadOptions *opt, bool take, char *err, size_t errlen)
{
    if (check_imgsz(t, opt, path, err, errlen)) return NULL;
    char why[512] = "";
    Graph *g = take ? yolo_build_take(t, opt, why, sizeof why) : yolo_build(t, opt, why, sizeof why);
    if (!g) {
        err_set(err, errlen, "%s: %s", path, why);
        return NULL;
    }
    g->meta.source_path = arena_strdup(g->arena, path);
    return g;
}

Graph *model_load(const char *path, const LoadOptions *opt, char *err, size_t errlen)
{
    LoadOptions o = opt ? *opt : (LoadOptions){0};
    ModelFormat fmt = model_detect(path, err, errlen);
    Graph *g = NULL;
    switch (fmt) {
    case MODEL_FMT_PT: {
        ModTree *t = pt_load(path, !o.shapes_only, err, errlen);
        if (!t) return NULL;
        g = load_tree(t, path, &o, false, err, errlen);
        modtree_free(t);
        break;
    }
    case MODEL_FMT_YAML: {
        ModTree *t = yolo_cfg_load(path, !o.shapes_only, err, errlen);
        if (!t) return NULL;
        g = load_tree(t, path, &o, true, err, errlen);
        modtree_free(t);
        break;
    }
    case MODEL_FMT_ONNX:
        {
            OnnxReadOptions ro = {.shapes_only = o.shapes_only, .base_dir = NULL};
            g = onnx_read_opts(path, &ro, err, errlen);
        }
        break;
    case MODEL_FMT_OPENVINO:
        g = openvino_read(path, err, errlen);
        break;
    default:
        return NULL;
    }
    if (g && o.fuse && fmt != MODEL_FMT_ONNX && fmt != MODEL_FMT_OPENVINO) {
        char why[512];
        if (pass_fuse_bn(g, why, sizeof why) < 0) {
            err_set(err, errlen, "%s: %s", path, why);
            graph_free(g);
            return NULL;
        }
    }
    return g;
}
