/* torchscript_read: reading a TorchScript archive back for its structure (see torchscript.h)
 * — the zip's entries, the module pickle's tensors against their storages, the class's code
 * file and the metadata — and the export pipeline's check of a written archive against the
 * graph it came from.  Nothing in the archive is executed: the pickles go through the safe
 * unpickler with __torch__ classes admitted as plain references. */
#include "formats/torchscript.h"

#include <inttypes.h>
#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "formats/pickle.h"
#include "formats/zip_entry.h"

enum {
    MAX_ENTRIES = 1 << 20,
    MAX_PICKLE = 256 << 20,  /* data.pkl / constants.pkl */
    MAX_TEXT = 64 << 20,     /* code files, config.txt */
    MAX_DEPTH = 200,         /* nesting of modules in data.pkl */
};

typedef struct {
    zip_t *za;
    ZipArchive zip;         /* za with its size, for the entry reader's bounds */
    const char *path;
    const char *prefix;     /* "<name>/" */
    zip_int64_t n_entries;
    uint8_t *storage_seen;  /* per zip entry: counted as a storage already */
    Arena *arena;
    TorchScriptInfo *info;
    int float_dtype;        /* DType of floating storages seen; -1 none; DT_UNDEFINED mixed */
    TorchScriptArchive *load; /* torchscript_open: also keep the code and the module's weights */
    char *err;
    size_t errlen;
} Reader;

__attribute__((format(printf, 2, 3))) static int rfail(Reader *R, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(R->err, R->errlen, "%s: %s", R->path, msg);
}

/* Zip index of <prefix><name>, or -1. */
static zip_int64_t entry_index(Reader *R, const char *name)
{
    char full[1200];
    if ((size_t)snprintf(full, sizeof full, "%s%s", R->prefix, name) >= sizeof full) return -1;
    return zip_name_locate(R->za, full, ZIP_FL_ENC_RAW);
}

static int64_t entry_size(Reader *R, zip_int64_t idx)
{
    zip_stat_t st;
    if (zip_stat_index(R->za, (zip_uint64_t)idx, 0, &st) || !(st.valid & ZIP_STAT_SIZE)) return -1;
    return st.size > (zip_uint64_t)INT64_MAX ? -1 : (int64_t)st.size;
}

/* The whole entry <prefix><name> (NUL-terminated), at most max bytes; NULL + message. */
static uint8_t *read_entry(Reader *R, const char *name, size_t max, size_t *len, bool required)
{
    zip_int64_t idx = entry_index(R, name);
    if (idx < 0) {
        if (required) rfail(R, "the archive has no %s%s", R->prefix, name);
        return NULL;
    }
    int64_t size = entry_size(R, idx);
    if (size < 0 || (uint64_t)size > max) {
        rfail(R, "%s%s is %s", R->prefix, name, size < 0 ? "unreadable" : "too large");
        return NULL;
    }
    char why[512], full[300];
    snprintf(full, sizeof full, "%s%s", R->prefix, name);
    uint8_t *buf = zip_entry_read(&R->zip, (zip_uint64_t)idx, (size_t)size, full, why, sizeof why);
    if (!buf) {
        rfail(R, "%s", why);
        return NULL;
    }
    *len = (size_t)size;
    return buf;
}

static const struct {
    const char *name;
    DType dt;
} storages[] = {
    {"FloatStorage", DT_F32}, {"HalfStorage", DT_F16},   {"DoubleStorage", DT_F64}, {"BFloat16Storage", DT_BF16},
    {"LongStorage", DT_I64},  {"IntStorage", DT_I32},    {"ShortStorage", DT_I16},  {"CharStorage", DT_I8},
    {"ByteStorage", DT_U8},   {"BoolStorage", DT_BOOL},
};

/* One _rebuild_tensor_v2(...) object: its storage exists with the size it declares, and the
 * tensor lies inside it.  folder is "data/" or "constants/". */
static int check_tensor(Reader *R, const PickleValue *obj, const char *folder, int64_t *elements)
{
    const PickleValue *args = obj->obj.args;
    if (pickle_len(args) < 4) return rfail(R, "a tensor in %s.pkl has %zu arguments", folder, pickle_len(args));
    const PickleValue *pid = pickle_item(args, 0);
    const PickleValue *ref = pickle_is(pid, PK_PERSID) ? pid->pid : NULL;
    const PickleValue *cls = pickle_item(ref, 1);
    const char *word = pickle_str(pickle_item(ref, 0)), *key = pickle_str(pickle_item(ref, 2));
    int64_t numel = pickle_int(pickle_item(ref, 4), -1);
    if (pickle_len(ref) != 5 || !word || strcmp(word, "storage") || !pickle_is(cls, PK_CLASS) || !key ||
        strcmp(cls->cls.module, "torch") || numel < 0)
        return rfail(R, "a tensor in %s.pkl has a malformed storage reference", folder);
    DType dt = DT_UNDEFINED;
    for (size_t i = 0; i < ARRAY_LEN(storages); i++)
        if (!strcmp(cls->cls.name, storages[i].name)) dt = storages[i].dt;
    if (dt == DT_UNDEFINED) return rfail(R, "storage '%s' has an unknown class torch.%s", key, cls->cls.name);
    if (strlen(key) > 64 || strchr(key, '/')) return rfail(R, "storage key '%.64s' is not valid", key);
    char name[128];
    snprintf(name, sizeof name, "%.16s%s", folder, key);
    zip_int64_t idx = entry_index(R, name);
    if (idx < 0) return rfail(R, "storage %s%s is missing", R->prefix, name);
    size_t need;
    int64_t have = entry_size(R, idx);
    if (!size_mul((size_t)numel, dtype_size(dt), &need) || have < 0 || (uint64_t)have != need)
        return rfail(R, "storage %s%s holds %" PRId64 " bytes, %" PRId64 " x %s needs %zu", R->prefix, name, have,
                     numel, dtype_name(dt), need);
    if (!R->storage_seen[idx]) {
        R->storage_seen[idx] = 1;
        if (!strcmp(folder, "data/")) {
            R->info->n_storages++;
            R->info->data_bytes += have;
        }
    }
    /* shape within the storage */
    int64_t offset = pickle_int(pickle_item(args, 1), -1);
    const PickleValue *size = pickle_item(args, 2), *stride = pickle_item(args, 3);
    size_t rank = pickle_len(size);
    if (offset < 0 || !pickle_is(size, PK_TUPLE) || !pickle_is(stride, PK_TUPLE) || pickle_len(stride) != rank ||
        rank > 32)
        return rfail(R, "a tensor on storage '%s' has a malformed offset, size or stride", key);
    int64_t count = 1, last = offset;
    bool empty = false;
    for (size_t i = 0; i < rank; i++) {
        int64_t d = pickle_int(pickle_item(size, i), -1), s = pickle_int(pickle_item(stride, i), -1);
        if (d < 0 || s < 0) return rfail(R, "a tensor on storage '%s' has a negative size or stride", key);
        if (d == 0) empty = true;
        int64_t span;
        if (__builtin_mul_overflow(count, d, &count) || (d > 0 && __builtin_mul_overflow(d - 1, s, &span)) ||
            (d > 0 && __builtin_add_overflow(last, span, &last)))
            return rfail(R, "a tensor on storage '%s' has a size that overflows", key);
    }
    if (!empty && last >= numel)
        return rfail(R, "a tensor runs past the end of storage '%s' (element %" PRId64 " of %" PRId64 ")", key, last,
                     numel);
    if (__builtin_add_overflow(*elements, count, elements))
        return rfail(R, "the tensors' element counts add up past 2^63");
    bool is_float = dt == DT_F32 || dt == DT_F16 || dt == DT_F64 || dt == DT_BF16;
    if (is_float && !strcmp(folder, "data/")) {
        if (R->float_dtype < 0) R->float_dtype = dt;
        else if (R->float_dtype != (int)dt) R->float_dtype = DT_UNDEFINED;
    }
    return 0;
}

/* Every tensor reachable from v (module states nest); shared values are visited once. */
static int walk(Reader *R, PickleValue *v, const char *folder, int depth, int *tensors, int64_t *elements)
{
    if (!v || v->user) return 0;
    if (depth > MAX_DEPTH) return rfail(R, "%s.pkl nests too deeply", folder);
    v->user = 1;
    switch (v->kind) {
    case PK_OBJECT:
        if (pickle_is_class(v, "torch._utils", "_rebuild_tensor_v2")) {
            (*tensors)++;
            return check_tensor(R, v, folder, elements);
        }
        if (walk(R, v->obj.args, folder, depth + 1, tensors, elements)) return -1;
        if (v->obj.kwargs && walk(R, v->obj.kwargs, folder, depth + 1, tensors, elements)) return -1;
        return v->obj.state ? walk(R, v->obj.state, folder, depth + 1, tensors, elements) : 0;
    case PK_DICT:
        for (size_t i = 0; i < v->dict.n; i++)
            if (walk(R, v->dict.vals[i], folder, depth + 1, tensors, elements)) return -1;
        return 0;
    case PK_TUPLE:
    case PK_LIST:
        for (size_t i = 0; i < v->seq.n; i++)
            if (walk(R, v->seq.items[i], folder, depth + 1, tensors, elements)) return -1;
        return 0;
    default: return 0;
    }
}

/* forward's argument and result counts from the class's code file. */
static int read_code(Reader *R, const PickleValue *cls)
{
    const char *module = cls->cls.module;
    char name[600];
    size_t j = 0;
    j += (size_t)snprintf(name, sizeof name, "code/");
    for (const char *p = module; *p && j + 4 < sizeof name; p++) name[j++] = *p == '.' ? '/' : *p;
    if (j + 4 >= sizeof name) return rfail(R, "class module name too long");
    memcpy(name + j, ".py", 4);
    size_t len;
    char *code = (char *)read_entry(R, name, MAX_TEXT, &len, true);
    if (!code) return -1;
    if (strlen(code) != len) {
        zip_entry_free(code);
        return rfail(R, "%s%s is not text", R->prefix, name);
    }
    char want[600];
    snprintf(want, sizeof want, "class %s(Module):", cls->cls.name);
    char sig[600];
    snprintf(sig, sizeof sig, "def forward(self: %s.%s", module, cls->cls.name);
    const char *c = strstr(code, want), *f = c ? strstr(c, sig) : NULL;
    if (!c || !f) {
        zip_entry_free(code);
        return rfail(R, "%s%s has no class %s with a forward()", R->prefix, name, cls->cls.name);
    }
    /* arguments: the commas at bracket depth 0 up to the closing parenthesis */
    const char *p = f + strlen(sig);
    int depth = 0, args = 0;
    for (; *p && !(depth == 0 && *p == ')'); p++) {
        if (*p == '[' || *p == '(') depth++;
        else if (*p == ']' || *p == ')') depth--;
        else if (*p == ',' && depth == 0) args++;
    }
    R->info->n_inputs = *p ? args : -1;
    R->info->n_outputs = -1;
    if (*p && !strncmp(p, ") -> ", 5)) {
        p += 5;
        if (!strncmp(p, "Tensor:", 7)) {
            R->info->n_outputs = 1;
        } else if (!strncmp(p, "Tuple[", 6)) {
            int n = 0;
            for (const char *q = p + 6; *q && *q != ']' && *q != '\n'; q++)
                if (!strncmp(q, "Tensor", 6)) n++;
            R->info->n_outputs = n;
        }
    }
    if (R->load) {
        R->load->code = xstrndup(code, len);
        R->load->code_len = len;
    }
    zip_entry_free(code);
    return 0;
}

static void read_metadata_fields(TorchScriptInfo *info, json_object *o)
{
    json_object *v;
    if (json_object_object_get_ex(o, "task", &v) && json_object_is_type(v, json_type_string))
        snprintf(info->task, sizeof info->task, "%s", json_object_get_string(v));
    if (json_object_object_get_ex(o, "stride", &v) && json_object_is_type(v, json_type_int))
        info->stride = json_object_get_int(v);
    if (json_object_object_get_ex(o, "batch", &v) && json_object_is_type(v, json_type_int))
        info->batch = json_object_get_int(v);
    if (json_object_object_get_ex(o, "channels", &v) && json_object_is_type(v, json_type_int))
        info->channels = json_object_get_int(v);
    if (json_object_object_get_ex(o, "imgsz", &v)) {
        if (json_object_is_type(v, json_type_int)) {
            info->imgsz[0] = info->imgsz[1] = json_object_get_int(v);
        } else if (json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2) {
            info->imgsz[0] = json_object_get_int(json_object_array_get_idx(v, 0));
            info->imgsz[1] = json_object_get_int(json_object_array_get_idx(v, 1));
        }
    }
    json_object *args;
    if (json_object_object_get_ex(o, "args", &args) && json_object_is_type(args, json_type_object) &&
        json_object_object_get_ex(args, "dynamic", &v) && json_object_is_type(v, json_type_boolean))
        info->dynamic = json_object_get_boolean(v);
    if (json_object_object_get_ex(o, "names", &v)) {
        if (json_object_is_type(v, json_type_object)) info->n_names = json_object_object_length(v);
        else if (json_object_is_type(v, json_type_array)) info->n_names = (int)json_object_array_length(v);
    }
}

void torchscript_info_free(TorchScriptInfo *info)
{
    if (!info) return;
    free(info->metadata);
    memset(info, 0, sizeof *info);
}

static int inspect_open(Reader *R)
{
    TorchScriptInfo *info = R->info;
    /* one top folder; stored entries only */
    const char *first = zip_get_name(R->za, 0, ZIP_FL_ENC_RAW);
    const char *slash = first ? strchr(first, '/') : NULL;
    if (!slash || slash == first || (size_t)(slash - first) >= sizeof info->archive_name)
        return rfail(R, "the first entry is not inside a top folder");
    snprintf(info->archive_name, sizeof info->archive_name, "%.*s", (int)(slash - first), first);
    R->prefix = arena_printf(R->arena, "%s/", info->archive_name);
    size_t plen = strlen(R->prefix);
    for (zip_int64_t i = 0; i < R->n_entries; i++) {
        zip_stat_t st;
        if (zip_stat_index(R->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW, &st) || !st.name)
            return rfail(R, "entry %" PRId64 " is unreadable: %s", (int64_t)i, zip_strerror(R->za));
        if (strncmp(st.name, R->prefix, plen)) return rfail(R, "entry '%.200s' is outside %s", st.name, R->prefix);
        bool storage = !strncmp(st.name + plen, "data/", 5) || !strncmp(st.name + plen, "constants/", 10);
        if ((st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method != ZIP_CM_STORE) {
            /* torch.jit.save deflates code files at times; storages it always stores */
            if (storage) return rfail(R, "storage '%.200s' is compressed", st.name);
            info->n_compressed++;
        }
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
            return rfail(R, "entry '%.200s' is encrypted", st.name);
    }
    return 0;
}

static int inspect_version(Reader *R)
{
    size_t len;
    /* torch.jit.save writes "version"; some writers use ".data/version" */
    const char *name = entry_index(R, "version") >= 0 || entry_index(R, ".data/version") < 0 ? "version" : ".data/version";
    uint8_t *v = read_entry(R, name, 64, &len, true);
    if (!v) return -1;
    char *end;
    long ver = strtol((char *)v, &end, 10);
    bool ok = end != (char *)v && (*end == '\0' || *end == '\n') && ver >= 1 && ver <= 10;
    zip_entry_free(v);
    if (!ok) return rfail(R, "the version entry is not a supported version (1..10)");
    R->info->version = (int)ver;
    return 0;
}

/* torchscript_open: the module's own tensors (its state, as BUILD set it) with their data,
 * each already checked against its storage by walk(). */
static int load_weights(Reader *R, const PickleValue *top)
{
    const PickleValue *state = top->obj.state;
    if (!pickle_is(state, PK_DICT)) return rfail(R, "%sdata.pkl: the module has no state dict", R->prefix);
    TorchScriptArchive *A = R->load;
    A->weights = xcalloc(state->dict.n + 1, sizeof *A->weights);
    for (size_t i = 0; i < state->dict.n; i++) {
        const char *name = pickle_str(state->dict.keys[i]);
        const PickleValue *v = state->dict.vals[i];
        if (!name || !pickle_is_class(v, "torch._utils", "_rebuild_tensor_v2")) continue; /* training, submodules */
        const PickleValue *args = v->obj.args, *ref = pickle_item(args, 0)->pid;
        const PickleValue *cls = pickle_item(ref, 1), *size = pickle_item(args, 2), *stride = pickle_item(args, 3);
        const char *key = pickle_str(pickle_item(ref, 2));
        int64_t offset = pickle_int(pickle_item(args, 1), -1), numel = 1, step = 1;
        size_t rank = pickle_len(size);
        if (rank > GRAPH_MAX_RANK) return rfail(R, "tensor '%.100s' has rank %zu (at most %d)", name, rank, GRAPH_MAX_RANK);
        TorchScriptWeight *w = &A->weights[A->n_weights];
        w->dtype = DT_UNDEFINED;
        for (size_t k = 0; k < ARRAY_LEN(storages); k++)
            if (!strcmp(cls->cls.name, storages[k].name)) w->dtype = storages[k].dt;
        w->rank = (int)rank;
        for (int d = (int)rank - 1; d >= 0; d--) { /* sizes and strides were checked by check_tensor */
            w->dims[d] = pickle_int(pickle_item(size, (size_t)d), 0);
            if (w->dims[d] > 1 && pickle_int(pickle_item(stride, (size_t)d), -1) != step)
                return rfail(R, "tensor '%.100s' is not contiguous in its storage", name);
            step *= w->dims[d];
        }
        numel = step;
        char entry[128];
        snprintf(entry, sizeof entry, "data/%.64s", key);
        size_t len, es = dtype_size(w->dtype);
        uint8_t *buf = read_entry(R, entry, MAX_PICKLE * 16ull, &len, true);
        if (!buf) return -1;
        size_t at = (size_t)offset * es, bytes = (size_t)numel * es;
        if (at > len || bytes > len - at) {
            zip_entry_free(buf);
            return rfail(R, "tensor '%.100s' runs past the end of its storage", name);
        }
        w->name = xstrdup(name);
        w->data = xmalloc(bytes ? bytes : 1);
        memcpy(w->data, buf + at, bytes);
        w->nbytes = bytes;
        zip_entry_free(buf);
        A->n_weights++;
    }
    return 0;
}

static int inspect_pickles(Reader *R)
{
    TorchScriptInfo *info = R->info;
    size_t len;
    uint8_t *buf = read_entry(R, "data.pkl", MAX_PICKLE, &len, true);
    if (!buf) return -1;
    char e[400];
    PickleValue *top = pickle_load_allowing(buf, len, R->arena, "__torch__", e, sizeof e);
    zip_entry_free(buf);
    if (!top) return rfail(R, "%sdata.pkl: %s", R->prefix, e);
    const PickleValue *cls = pickle_class_of(top);
    if (!pickle_is(top, PK_OBJECT) || !cls || strncmp(cls->cls.module, "__torch__", 9))
        return rfail(R, "%sdata.pkl is not a TorchScript module object", R->prefix);
    snprintf(info->class_name, sizeof info->class_name, "%s.%s", cls->cls.module, cls->cls.name);
    if (walk(R, top, "data/", 0, &info->n_tensors, &info->n_elements)) return -1;
    if (read_code(R, cls)) return -1;
    if (R->load && load_weights(R, top)) return -1;
    if (!(buf = read_entry(R, "constants.pkl", MAX_PICKLE, &len, true))) return -1;
    PickleValue *consts = pickle_load_allowing(buf, len, R->arena, "__torch__", e, sizeof e);
    zip_entry_free(buf);
    if (!consts) return rfail(R, "%sconstants.pkl: %s", R->prefix, e);
    if (!pickle_is(consts, PK_TUPLE)) return rfail(R, "%sconstants.pkl is not a tuple", R->prefix);
    int64_t ignored = 0;
    return walk(R, consts, "constants/", 0, &info->n_constants, &ignored);
}

static int inspect_metadata(Reader *R)
{
    size_t len;
    if (entry_index(R, "extra/config.txt") < 0) return 0; /* optional in TorchScript */
    char *text = (char *)read_entry(R, "extra/config.txt", MAX_TEXT, &len, true);
    if (!text) return -1;
    enum json_tokener_error jerr = json_tokener_success;
    json_object *o = strlen(text) == len ? json_tokener_parse_verbose(text, &jerr) : NULL;
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        zip_entry_free(text);
        return rfail(R, "%sextra/config.txt is not a JSON object%s%s", R->prefix, jerr ? ": " : "",
                     jerr ? json_tokener_error_desc(jerr) : "");
    }
    read_metadata_fields(R->info, o);
    json_object_put(o);
    R->info->metadata = xstrndup(text, len); /* a heap string the caller frees */
    zip_entry_free(text);
    return 0;
}

static int inspect(const char *path, TorchScriptInfo *out, TorchScriptArchive *load, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->n_inputs = out->n_outputs = -1;
    if (err && errlen) err[0] = '\0';
    int zerr = 0;
    ZipArchive zarc;
    zip_t *za = zip_entry_open(&zarc, path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr, err, errlen);
    if (!za && !zerr) return -1; /* not a regular file: err says so */
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        err_set(err, errlen, "%s: not a readable zip archive: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    Reader R = {.za = za, .path = path, .info = out, .float_dtype = -1, .load = load, .err = err, .errlen = errlen};
    R.zip = zarc;
    R.n_entries = zip_get_num_entries(za, 0);
    int rc = -1;
    char why[512];
    if (R.n_entries <= 0 || R.n_entries > MAX_ENTRIES) {
        rfail(&R, "the archive has %s entries", R.n_entries <= 0 ? "no" : "too many");
    } else if (zip_entry_check_archive(&R.zip, why, sizeof why) != 0) {
        rfail(&R, "%s", why);
    } else {
        R.arena = arena_new();
        R.storage_seen = xcalloc((size_t)R.n_entries, 1);
        out->n_entries = (int)R.n_entries;
        rc = inspect_open(&R) || inspect_version(&R) || inspect_pickles(&R) || inspect_metadata(&R) ? -1 : 0;
        out->dtype = R.float_dtype < 0 ? DT_UNDEFINED : (DType)R.float_dtype;
        free(R.storage_seen);
        arena_free(R.arena);
    }
    zip_discard(za);
    if (rc) torchscript_info_free(out);
    return rc;
}

int torchscript_inspect(const char *path, TorchScriptInfo *out, char *err, size_t errlen)
{
    return inspect(path, out, NULL, err, errlen);
}

int torchscript_open(const char *path, TorchScriptArchive *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (inspect(path, &out->info, out, err, errlen) == 0) return 0;
    torchscript_archive_free(out);
    return -1;
}

void torchscript_archive_free(TorchScriptArchive *a)
{
    if (!a) return;
    torchscript_info_free(&a->info);
    for (int i = 0; i < a->n_weights; i++) {
        free(a->weights[i].name);
        free(a->weights[i].data);
    }
    free(a->weights);
    free(a->code);
    memset(a, 0, sizeof *a);
}

int torchscript_check(const char *path, const Graph *g, const TorchScriptOptions *opt, TorchScriptInfo *info,
                      char *err, size_t errlen)
{
    TorchScriptOptions dflt = {0};
    if (!opt) opt = &dflt;
    TorchScriptInfo local;
    TorchScriptInfo *in = info ? info : &local;
    if (torchscript_inspect(path, in, err, errlen)) return -1;
    char e[600];
    TorchScriptModule m;
    char *meta = NULL;
    int rc = -1;
    if (torchscript_codegen(g, &m, e, sizeof e)) {
        err_set(err, errlen, "%s: %s", path, e);
        goto out_nomod;
    }
    if (!(meta = torchscript_metadata_json(opt->metadata, opt->n_metadata, e, sizeof e))) {
        err_set(err, errlen, "%s: %s", path, e);
        goto out;
    }
    int64_t elements = 0, bytes = 0;
    bool any_float = false;
    for (int i = 0; i < m.n_attrs; i++) {
        const Tensor *X = &g->tensors[m.attrs[i].tensor];
        int64_t n = tensor_numel(X);
        bool fl = X->dtype == DT_F32 || X->dtype == DT_F16 || X->dtype == DT_F64 || X->dtype == DT_BF16;
        any_float |= fl;
        int64_t nb;
        if (n < 0 || __builtin_add_overflow(elements, n, &elements) ||
            __builtin_mul_overflow(n, (int64_t)(fl ? (opt->half ? 2 : 4) : dtype_size(X->dtype)), &nb) ||
            __builtin_add_overflow(bytes, nb, &bytes)) {
            err_set(err, errlen, "%s: the graph's tensors are too large to count", path);
            goto out;
        }
    }
    char cls[300];
    snprintf(cls, sizeof cls, "%s.%s", TORCHSCRIPT_MODULE, m.class_name);
    DType want_dt = any_float ? (opt->half ? DT_F16 : DT_F32) : DT_UNDEFINED;
    if (strcmp(in->class_name, cls))
        err_set(err, errlen, "%s: the module is %s, expected %s", path, in->class_name, cls);
    else if (in->n_compressed)
        err_set(err, errlen, "%s: %d entries are compressed (ours are all stored)", path, in->n_compressed);
    else if (in->n_entries != m.n_attrs + 5)
        err_set(err, errlen, "%s: %d entries, expected %d", path, in->n_entries, m.n_attrs + 5);
    else if (in->n_tensors != m.n_attrs || in->n_storages != m.n_attrs)
        err_set(err, errlen, "%s: %d tensors on %d storages, the graph has %d", path, in->n_tensors, in->n_storages,
                m.n_attrs);
    else if (in->n_elements != elements || in->data_bytes != bytes)
        err_set(err, errlen, "%s: %" PRId64 " elements in %" PRId64 " bytes, expected %" PRId64 " in %" PRId64, path,
                in->n_elements, in->data_bytes, elements, bytes);
    else if (in->dtype != want_dt)
        err_set(err, errlen, "%s: weights are %s, expected %s", path, dtype_name(in->dtype), dtype_name(want_dt));
    else if (in->n_inputs != m.n_inputs || in->n_outputs != m.n_outputs)
        err_set(err, errlen, "%s: forward takes %d and returns %d tensors, expected %d and %d", path, in->n_inputs,
                in->n_outputs, m.n_inputs, m.n_outputs);
    else if (in->version != m.version)
        err_set(err, errlen, "%s: version %d, expected %d", path, in->version, m.version);
    else if (!in->metadata || strcmp(in->metadata, meta))
        err_set(err, errlen, "%s: extra/config.txt %s the export metadata", path, in->metadata ? "differs from" : "lacks");
    else
        rc = 0;
out:
    free(meta);
    torchscript_module_free(&m);
out_nomod:
    if (rc || !info) torchscript_info_free(in);
    return rc;
}
