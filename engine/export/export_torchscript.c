/* export_torchscript: the TorchScript writer stage — `format=torchscript`, the peer's
 * `<stem>.torchscript` with its metadata as extra/config.txt (JSON, as json.dumps writes it).
 *
 * The archive is written into a temporary directory beside the destination
 * (formats/torchscript.h), inspected there against the graph it came from (structure,
 * tensors, storages, metadata), and its weights are read back out of data.pkl and data/
 * and run through the exported graph's ops in our executor against the source model (at
 * float16 with half=True).  Only then is it renamed over any existing file.  The TorchScript
 * code itself is not executed here (there is no TorchScript runtime in C): its structure is
 * checked, and the end-to-end tests run it in torch.jit.load.
 *
 * Arguments: batch, half (float16 storages, computed in float16 as the peer's .half() model),
 * dynamic (symbolic batch/height/width in the code); nms needs torchvision's NMS, which a
 * TorchScript archive without torchvision cannot call, so it is refused with the writer's
 * reason; optimize (PyTorch Mobile's optimize_for_mobile) is refused at stage start. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "engine/export/export.h"
#include "engine/passes/passes.h"
#include "engine/export/export_stage.h"
#include "formats/pickle.h"
#include "formats/torchscript.h"
#include "formats/zip_entry.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

enum { MAX_PICKLE = 256 << 20 }; /* data.pkl of a model we wrote: a few hundred KB */

static const struct {
    const char *name;
    DType dt;
} storage_types[] = {
    {"FloatStorage", DT_F32}, {"HalfStorage", DT_F16}, {"DoubleStorage", DT_F64}, {"BFloat16Storage", DT_BF16},
    {"LongStorage", DT_I64},  {"IntStorage", DT_I32},  {"ShortStorage", DT_I16},  {"CharStorage", DT_I8},
    {"ByteStorage", DT_U8},   {"BoolStorage", DT_BOOL},
};

static bool is_float(DType t) { return t == DT_F32 || t == DT_F16 || t == DT_F64 || t == DT_BF16; }

static float load_float(DType t, const uint8_t *p)
{
    switch (t) {
    case DT_F32: { float f; memcpy(&f, p, 4); return f; }
    case DT_F64: { double d; memcpy(&d, p, 8); return (float)d; }
    case DT_F16: { uint16_t h; memcpy(&h, p, 2); return half_to_float(h); }
    default: { uint16_t h; memcpy(&h, p, 2); return bf16_to_float(h); }
    }
}

static void store_float(DType t, uint8_t *p, float f)
{
    switch (t) {
    case DT_F32: memcpy(p, &f, 4); break;
    case DT_F64: { double d = f; memcpy(p, &d, 8); break; }
    case DT_F16: { uint16_t h = float_to_half(f); memcpy(p, &h, 2); break; }
    default: { /* bfloat16: round to nearest even */
        uint32_t u;
        memcpy(&u, &f, 4);
        uint16_t h = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
        memcpy(p, &h, 2);
        break;
    }
    }
}

/* The whole zip entry `name` (at most max bytes); NULL + message. */
static uint8_t *entry_read(zip_t *za, const char *path, const char *name, size_t max, size_t *len, char *err,
                           size_t errlen)
{
    zip_stat_t zs;
    if (zip_stat(za, name, ZIP_FL_ENC_RAW, &zs) != 0 || !(zs.valid & ZIP_STAT_SIZE) || !(zs.valid & ZIP_STAT_INDEX)) {
        err_set(err, errlen, "%s: the archive has no %s", path, name);
        return NULL;
    }
    if (zs.size > max) {
        err_set(err, errlen, "%s: %s is too large (%llu bytes)", path, name, (unsigned long long)zs.size);
        return NULL;
    }
    char why[512];
    ZipArchive z = {.za = za, .file = path, .archive_bytes = (uint64_t)path_size(path)};
    uint8_t *buf = zip_entry_read(&z, zs.index, (size_t)zs.size, name, why, sizeof why);
    if (!buf) {
        err_set(err, errlen, "%s: %s", path, why);
        return NULL;
    }
    *len = (size_t)zs.size;
    return buf;
}

typedef struct {
    zip_t *za;
    const char *path;
    const char *prefix; /* archive folder */
    Graph *w;           /* the graph whose weights are replaced */
    Graph *scan;        /* the stored tensors as stored (for the precision) */
    int64_t bytes;      /* storage bytes read */
    char *err;
    size_t errlen;
} ReadBack;

/* Attribute `name` of the module state: its storage, read and checked against tensor ti of
 * the graph, becomes that tensor's data (in the tensor's own type). */
static int read_attr(ReadBack *R, const PickleValue *state, const char *name, int ti)
{
    Tensor *T = &R->w->tensors[ti];
    const PickleValue *v = pickle_dict_get(state, name);
    if (!v) return err_set(R->err, R->errlen, "%s: data.pkl has no attribute '%s'", R->path, name);
    if (!pickle_is_class(v, "torch._utils", "_rebuild_tensor_v2") || pickle_len(v->obj.args) < 4)
        return err_set(R->err, R->errlen, "%s: attribute '%s' is not a tensor", R->path, name);
    const PickleValue *args = v->obj.args, *pid = pickle_item(args, 0);
    const PickleValue *ref = pickle_is(pid, PK_PERSID) ? pid->pid : NULL;
    const PickleValue *cls = pickle_item(ref, 1);
    const char *key = pickle_str(pickle_item(ref, 2));
    int64_t numel = pickle_int(pickle_item(ref, 4), -1), offset = pickle_int(pickle_item(args, 1), -1);
    if (pickle_len(ref) != 5 || !pickle_is(cls, PK_CLASS) || !key || numel < 0 || offset < 0 || strlen(key) > 64 ||
        strchr(key, '/'))
        return err_set(R->err, R->errlen, "%s: attribute '%s' has a malformed storage reference", R->path, name);
    DType dt = DT_UNDEFINED;
    for (size_t i = 0; i < ARRAY_LEN(storage_types); i++)
        if (!strcmp(cls->cls.module, "torch") && !strcmp(cls->cls.name, storage_types[i].name)) dt = storage_types[i].dt;
    if (dt == DT_UNDEFINED)
        return err_set(R->err, R->errlen, "%s: attribute '%s' has storage class %s.%s", R->path, name, cls->cls.module,
                       cls->cls.name);
    /* its shape is the tensor's, contiguous */
    const PickleValue *size = pickle_item(args, 2), *stride = pickle_item(args, 3);
    if ((int)pickle_len(size) != T->rank || pickle_len(stride) != pickle_len(size))
        return err_set(R->err, R->errlen, "%s: attribute '%s' has rank %zu, the graph's tensor %d", R->path, name,
                       pickle_len(size), T->rank);
    int64_t n = 1, s = 1;
    for (int i = T->rank - 1; i >= 0; i--) {
        int64_t d = pickle_int(pickle_item(size, (size_t)i), -1), sd = pickle_int(pickle_item(stride, (size_t)i), -1);
        if (d != T->dims[i] || (d > 1 && sd != s))
            return err_set(R->err, R->errlen, "%s: attribute '%s' does not have the graph tensor's shape", R->path, name);
        s *= d > 0 ? d : 1;
        n *= d;
    }
    if (offset > numel || n > numel - offset)
        return err_set(R->err, R->errlen, "%s: attribute '%s' runs past its storage", R->path, name);
    if (!is_float(dt) && dt != T->dtype)
        return err_set(R->err, R->errlen, "%s: attribute '%s' is stored as %s, the graph's tensor is %s", R->path, name,
                       dtype_name(dt), dtype_name(T->dtype));
    if (is_float(dt) != is_float(T->dtype))
        return err_set(R->err, R->errlen, "%s: attribute '%s' is stored as %s, the graph's tensor is %s", R->path, name,
                       dtype_name(dt), dtype_name(T->dtype));
    char entry[160];
    snprintf(entry, sizeof entry, "%s/data/%s", R->prefix, key);
    size_t es = dtype_size(dt), need, len;
    if (!size_mul((size_t)numel, es, &need))
        return err_set(R->err, R->errlen, "%s: attribute '%s' has a storage size that overflows", R->path, name);
    uint8_t *raw = entry_read(R->za, R->path, entry, need, &len, R->err, R->errlen);
    if (!raw) return -1;
    if (len != need) {
        zip_entry_free(raw);
        return err_set(R->err, R->errlen, "%s: %s holds %zu bytes, %lld x %s needs %zu", R->path, entry, len,
                       (long long)numel, dtype_name(dt), need);
    }
    size_t tes = dtype_size(T->dtype);
    uint8_t *data = arena_alloc(R->w->arena, (size_t)(n ? n : 1) * tes);
    const uint8_t *from = raw + (size_t)offset * es;
    if (dt == T->dtype) {
        memcpy(data, from, (size_t)n * tes);
    } else {
        for (int64_t i = 0; i < n; i++) store_float(T->dtype, data + (size_t)i * tes, load_float(dt, from + (size_t)i * es));
    }
    zip_entry_free(raw);
    T->data = data;
    T->nbytes = (size_t)n * tes;
    T->external = NULL;
    int si = graph_add_tensor(R->scan, name, dt, T->rank, T->dims);
    R->scan->tensors[si].is_param = true;
    R->bytes += (int64_t)need;
    return 0;
}

/* Every attribute of the module m generated for w: w's tensors get the archive's stored
 * values (converted back to their types; float16 storages give float16-exact values);
 * *prec receives the precision the storages really have. */
static int weights_from_archive(const char *path, const char *prefix, const TorchScriptModule *m, Graph *w,
                                PrecisionInfo *prec, int64_t *bytes, char *err, size_t errlen)
{
    int ze = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY, &ze);
    if (!za) {
        zip_error_t e;
        zip_error_init_with_code(&e, ze);
        err_set(err, errlen, "%s: not a readable archive: %s", path, zip_error_strerror(&e));
        zip_error_fini(&e);
        return -1;
    }
    int rc = -1;
    Arena *arena = arena_new();
    ReadBack R = {.za = za, .path = path, .prefix = prefix, .w = w, .scan = graph_new(), .err = err, .errlen = errlen};
    char name[300];
    snprintf(name, sizeof name, "%s/data.pkl", prefix);
    size_t len;
    uint8_t *buf = entry_read(za, path, name, MAX_PICKLE, &len, err, errlen);
    if (!buf) goto out;
    char msg[512];
    PickleValue *top = pickle_load_allowing(buf, len, arena, "__torch__", msg, sizeof msg);
    zip_entry_free(buf);
    if (!top) {
        err_set(err, errlen, "%s: data.pkl: %s", path, msg);
        goto out;
    }
    const PickleValue *state = pickle_is(top, PK_OBJECT) ? top->obj.state : NULL;
    if (!pickle_is(state, PK_DICT)) {
        err_set(err, errlen, "%s: data.pkl is not a module object with a state", path);
        goto out;
    }
    for (int i = 0; i < m->n_attrs; i++)
        if (read_attr(&R, state, m->attrs[i].name, m->attrs[i].tensor) != 0) goto out;
    report_scan_precision(R.scan, prec);
    *bytes = R.bytes;
    rc = 0;
out:
    graph_free(R.scan);
    arena_free(arena);
    zip_discard(za);
    return rc;
}

/* "a/b/yolov8n.torchscript" -> "yolov8n.torchscript" / "yolov8n" */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int export_torchscript_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    const ExportArgs *a = ctx->args;
    Job *job = ctx->job;
    if (a->optimize)
        return err_set(err, errlen,
                       "optimize=True is not available in this build: it is PyTorch Mobile's optimize_for_mobile pass, "
                       "which runs inside PyTorch; yoloport writes TorchScript without PyTorch (export with "
                       "optimize=False)");
    ExportStage st;
    export_stage_begin(&st, ctx, "TorchScript", true);
    export_stage_log_start(&st, "torch yoloport-%s", YOLOPORT_VERSION);
    if (a->half)
        job_log(job, JOB_LOG_INFO,
                "%s half=True: float16 weights, computed in float16 as the peer's .half() model (nothing is traced, "
                "so no GPU is needed to export)",
                st.prefix);

    int rc = -1;
    Graph *g = NULL, *w = NULL;
    Arena *arena = arena_new();
    TorchScriptModule mod;
    memset(&mod, 0, sizeof mod);
    TorchScriptInfo info;
    memset(&info, 0, sizeof info);
    bool have_info = false;
    char msg[1024], *file = NULL, *stem = NULL;

    job_progress(job, "TorchScript: transform", 0.05);
    if (!(g = export_stage_graph(&st, err, errlen))) goto out;
    export_set_metadata(g, ctx);
    int n_meta = 0;
    KeyValue *meta = export_stage_meta_json(g, arena, &n_meta, msg, sizeof msg);
    if (!meta) goto fail_msg;
    if (export_stage_out_path(&st, ctx->fmt->suffix, err, errlen) != 0) goto out;
    const char *base = base_name(ctx->out_path);
    size_t sl = strlen(base), xl = strlen(ctx->fmt->suffix);
    stem = xstrndup(base, sl > xl ? sl - xl : sl);
    TorchScriptOptions opt = {.half = a->half, .archive_name = stem, .metadata = meta, .n_metadata = n_meta};
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 1. write into a temporary directory beside the destination */
    job_progress(job, "TorchScript: write", 0.2);
    if (export_stage_temp_dir(&st, err, errlen) != 0) goto out;
    file = xasprintf("%s/%s", st.temp_dir, base);
    if (torchscript_write(g, &opt, file, msg, sizeof msg) != 0) {
        export_stage_writer_error(&st, file, msg, sizeof msg, err, errlen);
        goto out;
    }
    export_stage_log_nms(&st);
    if (export_stage_cancelled(&st, err, errlen)) goto out;

    /* 2. the archive against the graph: structure, tensors, storages, metadata */
    job_progress(job, "TorchScript: check", 0.5);
    if (torchscript_check(file, g, &opt, &info, msg, sizeof msg) != 0) {
        export_stage_name_output(&st, file, msg, sizeof msg);
        char why[1200];
        snprintf(why, sizeof why, "%s: the written archive does not read back as written: %s", ctx->out_path, msg);
        report_add_check(ctx->report, "interface", CHECK_FAILED, -1, 0, why);
        err_set(err, errlen, "%s", why);
        goto out;
    }
    have_info = true;
    {
        char detail[600];
        snprintf(detail, sizeof detail,
                 "read back: %s, %d tensors (%lld elements, %s storages, %lld bytes), forward(%d input%s) -> %d "
                 "output%s, version %d, %d metadata keys in extra/config.txt",
                 info.class_name, info.n_tensors, (long long)info.n_elements,
                 info.dtype == DT_UNDEFINED ? "mixed" : dtype_name(info.dtype), (long long)info.data_bytes,
                 info.n_inputs, info.n_inputs == 1 ? "" : "s", info.n_outputs, info.n_outputs == 1 ? "" : "s",
                 info.version, n_meta);
        report_add_check(ctx->report, "interface", CHECK_PASSED, -1, 0, detail);
    }

    /* 3. numeric: the archive's weights, read back, through the exported graph's ops */
    PrecisionInfo prec;
    memset(&prec, 0, sizeof prec);
    double worst = -1;
    CheckStatus status = CHECK_PASSED;
    if (a->verify) {
        if (torchscript_codegen(g, &mod, msg, sizeof msg) != 0) goto fail_msg;
        w = export_graph_clone(g);
        int64_t bytes = 0;
        if (weights_from_archive(file, stem, &mod, w, &prec, &bytes, msg, sizeof msg) != 0) {
            export_stage_name_output(&st, file, msg, sizeof msg);
            char why[1200];
            snprintf(why, sizeof why, "%s: the weights do not read back: %s", ctx->out_path, msg);
            report_add_check(ctx->report, "numeric", CHECK_FAILED, -1, 0, why);
            err_set(err, errlen, "%s", why);
            goto out;
        }
        if (a->half && pass_half(w, NULL, msg, sizeof msg) != 0) goto fail_msg;
        char what[200];
        snprintf(what, sizeof what, "%d weights (%.1f MB) read back from the archive, through the exported ops%s",
                 mod.n_attrs, report_mib(bytes), a->half ? " in float16" : "");
        status = export_stage_numeric(&st, w, "images", what, &worst, err, errlen);
        if (status == CHECK_FAILED) goto out; /* cancelled */
    } else {
        /* the precision from what the structural check read */
        Graph *scan = graph_new();
        int64_t one = info.n_elements;
        int si = graph_add_tensor(scan, "storages", info.dtype == DT_UNDEFINED ? DT_F32 : info.dtype, 1, &one);
        scan->tensors[si].is_param = true;
        report_scan_precision(scan, &prec);
        graph_free(scan);
        status = export_stage_numeric(&st, g, "images", NULL, &worst, err, errlen); /* "skipped": not checked */
    }

    /* 4. into place */
    if (export_stage_cancelled(&st, err, errlen)) goto out;
    if (export_stage_commit_file(&st, base, err, errlen) != 0) goto out;
    export_stage_done(&st, status, &prec, worst);
    rc = 0;
    goto out;

fail_msg:
    err_set(err, errlen, "%s", msg);
out:
    export_stage_end(&st, rc);
    if (have_info) torchscript_info_free(&info);
    torchscript_module_free(&mod);
    free(file);
    free(stem);
    graph_free(w);
    graph_free(g);
    arena_free(arena);
    return rc;
}
