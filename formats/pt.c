/* pt: PyTorch checkpoint reader (see pt.h): libzip for the archive, the safe unpickler
 * for data.pkl, then a walk over the pickled nn.Module objects that fills a ModTree.
 * Storages are resolved by key, checked against their zip entries, and read at most
 * once each into buffers the tree adopts. */
#include "formats/pt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "engine/core/fileio.h"
#include "engine/core/membudget.h"
#include "formats/pickle.h"
#include "formats/zip_entry.h"

enum {
    MAX_PICKLE_BYTES = 64 << 20,  /* data.pkl of the largest models is well under 1 MB */
    MAX_MODULE_DEPTH = 64,
    MAX_MODULE_NODES = 1 << 17,   /* a shared module is expanded under every parent: bound it */
    MAX_NAMES = 1 << 16,
    MAX_TEXT = 4096,              /* a rendered train arg */
    MAX_STRIDES = 8,              /* model.stride: one per detection level */
};
#define COPY_FLOOR ((uint64_t)64 << 20) /* copies of strided tensors always allowed */

/* ---- storage classes ---- */

static const struct {
    const char *name;
    DType dtype;
} storage_types[] = {
    {"FloatStorage", DT_F32}, {"HalfStorage", DT_F16},  {"BFloat16Storage", DT_BF16}, {"LongStorage", DT_I64},
    {"BoolStorage", DT_BOOL}, {"IntStorage", DT_I32},   {"DoubleStorage", DT_F64},    {"ByteStorage", DT_U8},
    {"CharStorage", DT_I8},   {"ShortStorage", DT_I16},
};

static DType storage_dtype(const PickleValue *cls)
{
    if (!pickle_is(cls, PK_CLASS) || strcmp(cls->cls.module, "torch")) return DT_UNDEFINED;
    for (size_t i = 0; i < ARRAY_LEN(storage_types); i++)
        if (!strcmp(cls->cls.name, storage_types[i].name)) return storage_types[i].dtype;
    return DT_UNDEFINED;
}

typedef struct {
    const char *key;
    DType dtype;
    int64_t numel;
    zip_uint64_t entry;
    size_t nbytes;
    void *data;       /* adopted by the tree once read */
    bool loaded;
} Storage;

typedef struct {
    DType dtype;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    const void *data;
    bool requires_grad;
} PtTensor;

typedef struct {
    const char *path;
    zip_t *zip;
    ZipArchive zarc;      /* zip with its size: bounds on what entries may inflate to */
    uint64_t storage_bytes; /* every storage entry's declared size: what copies may add up to */
    uint64_t copied;      /* bytes of strided tensors copied so far */
    Vec tensors;          /* PtTensor: resolved tensor objects (PickleValue.user = -(index + 1)) */
    const char *prefix;   /* "yolov8n/" */
    bool with_data;
    ModTree *tree;
    Arena *tmp;           /* pickle values and storage table: freed at the end */
    char *err;
    size_t errlen;
    StrMap storage_index; /* storage key -> index in storages (keys copied into tmp) */
    Vec storages;         /* Storage * */
    int next_uid;
    size_t n_nodes;
} Loader;

__attribute__((format(printf, 2, 3))) static bool fail(Loader *L, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    err_set(L->err, L->errlen, "%s: %s", L->path, msg);
    return false;
}

/* ---- zip helpers ---- */

static const char *zip_error_text(int code, char *buf, size_t n)
{
    zip_error_t ze;
    zip_error_init_with_code(&ze, code);
    snprintf(buf, n, "%s", zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return buf;
}

/* Read zip entry idx (expected size n) into a fresh budget block (zip_entry_free). */
static void *zip_read_entry(Loader *L, zip_uint64_t idx, size_t n, const char *name, const char *tensor)
{
    char why[512];
    uint8_t *buf = zip_entry_read(&L->zarc, idx, n, name, why, sizeof why);
    if (!buf && tensor) fail(L, "tensor %s: %s", tensor, why);
    else if (!buf) fail(L, "%s", why);
    return buf;
}

/* The `<prefix>/data.pkl` entry (prefix without slashes, possibly empty); -1 if none. */
static zip_int64_t find_data_pkl(zip_t *za, const char **prefix_out, Arena *arena)
{
    zip_int64_t n = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (!name) continue;
        size_t len = strlen(name);
        if (len < 8 || strcmp(name + len - 8, "data.pkl")) continue;
        const char *slash = strchr(name, '/');
        if (len == 8) {
            if (prefix_out) *prefix_out = "";
            return i;
        }
        if (slash && slash == name + len - 9 && slash != name) {
            if (prefix_out) *prefix_out = arena_strndup(arena, name, len - 8);
            return i;
        }
    }
    return -1;
}

/* TorchScript archives carry code/ or constants.pkl beside data.pkl. */
static bool is_torchscript(zip_t *za, const char *prefix)
{
    char name[1024];
    snprintf(name, sizeof name, "%sconstants.pkl", prefix);
    if (zip_name_locate(za, name, ZIP_FL_ENC_RAW) >= 0) return true;
    size_t plen = strlen(prefix);
    zip_int64_t n = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *e = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (e && !strncmp(e, prefix, plen) && !strncmp(e + plen, "code/", 5)) return true;
    }
    return false;
}

static bool has_zip_magic(const char *path)
{
    int fd = fileio_open_regular(path, NULL, NULL, 0); /* never blocks on a FIFO */
    if (fd < 0) return false;
    unsigned char m[4];
    ssize_t n = read(fd, m, 4);
    close(fd);
    return n == 4 && m[0] == 'P' && m[1] == 'K' && ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6));
}

PtKind pt_probe(const char *path)
{
    if (!path || file_is_dir(path) || !has_zip_magic(path)) return PT_NOT_ZIP;
    int code = 0;
    ZipArchive z;
    zip_t *za = zip_entry_open(&z, path, ZIP_RDONLY, &code, NULL, 0);
    if (!za) return PT_NOT_ZIP;
    Arena *a = arena_new();
    const char *prefix = "";
    PtKind kind = PT_ZIP_OTHER;
    if (find_data_pkl(za, &prefix, a) >= 0) kind = is_torchscript(za, prefix) ? PT_TORCHSCRIPT : PT_CHECKPOINT;
    arena_free(a);
    zip_discard(za);
    return kind;
}

/* ---- storages ---- */

/* The declared sizes of every <prefix>data/ entry added up (saturating). */
static uint64_t storage_entry_bytes(zip_t *za, const char *prefix)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%sdata/", prefix);
    size_t dl = strlen(dir);
    uint64_t total = 0;
    zip_int64_t n = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        if (zip_stat_index(za, (zip_uint64_t)i, ZIP_FL_ENC_RAW, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE) || strncmp(st.name, dir, dl))
            continue;
        total = st.size > UINT64_MAX - total ? UINT64_MAX : total + st.size;
    }
    return total;
}

static Storage *storage_find(Loader *L, const char *key)
{
    int i = strmap_get(&L->storage_index, key);
    return i >= 0 ? ((Storage **)L->storages.items)[i] : NULL;
}

static void storage_insert(Loader *L, Storage *s)
{
    strmap_put(&L->storage_index, s->key, (int)L->storages.len);
    vec_push(&L->storages, sizeof s, &s);
}

/* Resolve a persistent id ('storage', <StorageClass>, key, location, numel) to its
 * checked zip entry.  `what` names the tensor for messages. */
static Storage *storage_resolve(Loader *L, const PickleValue *persid, const char *what)
{
    const PickleValue *pid = pickle_is(persid, PK_PERSID) ? persid->pid : NULL;
    if (!pid || pickle_len(pid) < 5 || !pickle_is(pid, PK_TUPLE) ||
        !pickle_str(pickle_item(pid, 0)) || strcmp(pickle_str(pickle_item(pid, 0)), "storage")) {
        fail(L, "tensor %s: storage reference is not ('storage', type, key, location, numel)", what);
        return NULL;
    }
    DType dt = storage_dtype(pickle_item(pid, 1));
    const char *key = pickle_str(pickle_item(pid, 2));
    const PickleValue *numel_v = pickle_item(pid, 4);
    if (dt == DT_UNDEFINED) {
        fail(L, "tensor %s: unknown storage type", what);
        return NULL;
    }
    if (!key || !*key || strchr(key, '/') || strlen(key) > 200) {
        fail(L, "tensor %s: bad storage key", what);
        return NULL;
    }
    if (!pickle_is(numel_v, PK_INT) || numel_v->i < 0) {
        fail(L, "tensor %s: storage '%s' has a bad element count", what, key);
        return NULL;
    }
    {
        Storage *s = storage_find(L, key);
        if (s) {
            if (s->dtype != dt || s->numel != numel_v->i) {
                fail(L, "tensor %s: storage '%s' is referenced with two different types or sizes", what, key);
                return NULL;
            }
            return s;
        }
    }
    char name[512];
    snprintf(name, sizeof name, "%sdata/%s", L->prefix, key);
    zip_int64_t idx = zip_name_locate(L->zip, name, ZIP_FL_ENC_RAW);
    if (idx < 0) {
        fail(L, "tensor %s: storage '%s' is missing (no entry %s in the archive)", what, key, name);
        return NULL;
    }
    zip_stat_t st;
    if (zip_stat_index(L->zip, (zip_uint64_t)idx, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
        fail(L, "cannot read the size of %s: %s", name, zip_strerror(L->zip));
        return NULL;
    }
    size_t want;
    if ((uint64_t)numel_v->i > SIZE_MAX || !size_mul((size_t)numel_v->i, dtype_size(dt), &want)) {
        fail(L, "tensor %s: storage '%s' size overflows", what, key);
        return NULL;
    }
    if (st.size != (zip_uint64_t)want) {
        fail(L, "tensor %s: storage entry %s holds %llu bytes but %lld %s elements need %zu", what, name,
             (unsigned long long)st.size, (long long)numel_v->i, dtype_name(dt), want);
        return NULL;
    }
    Storage *s = arena_alloc(L->tmp, sizeof *s);
    s->key = arena_strdup(L->tmp, key);
    s->dtype = dt;
    s->numel = numel_v->i;
    s->entry = (zip_uint64_t)idx;
    s->nbytes = want;
    storage_insert(L, s);
    return s;
}

static bool storage_load(Loader *L, Storage *s, const char *what)
{
    if (s->loaded) return true;
    char name[512];
    snprintf(name, sizeof name, "%sdata/%s", L->prefix, s->key);
    s->data = zip_read_entry(L, s->entry, s->nbytes, name, what);
    if (!s->data) return false;
    modtree_adopt_blob(L->tree, s->data, zip_entry_free);
    s->loaded = true;
    return true;
}

/* ---- tensors ---- */

static bool int_tuple(const PickleValue *v, int64_t *out, int *rank)
{
    if (pickle_is_class(v, "torch", "Size")) v = pickle_item(v->obj.args, 0);
    if (!v || (v->kind != PK_TUPLE && v->kind != PK_LIST) || v->seq.n > GRAPH_MAX_RANK) return false;
    for (size_t i = 0; i < v->seq.n; i++) {
        if (!pickle_is(v->seq.items[i], PK_INT)) return false;
        out[i] = v->seq.items[i]->i;
    }
    *rank = (int)v->seq.n;
    return true;
}

/* Copy a strided view into a contiguous budget block (element by element, row-major): out,
 * numel * esize bytes, allocated by the caller. */
static void gather(uint8_t *out, const uint8_t *base, const int64_t *dims, const int64_t *strides, int rank,
                   int64_t numel, size_t esize)
{
    int64_t idx[GRAPH_MAX_RANK] = {0};
    for (int64_t e = 0; e < numel; e++) {
        int64_t off = 0;
        for (int d = 0; d < rank; d++) off += idx[d] * strides[d];
        memcpy(out + (size_t)e * esize, base + (size_t)off * esize, esize);
        for (int d = rank - 1; d >= 0; d--) {
            if (++idx[d] < dims[d]) break;
            idx[d] = 0;
        }
    }
}

/* _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata]) */
static bool rebuild_tensor(Loader *L, const PickleValue *args, const char *what, bool need_data, PtTensor *t)
{
    if (pickle_len(args) < 4) return fail(L, "tensor %s: _rebuild_tensor_v2 with %zu arguments", what, pickle_len(args));
    Storage *s = storage_resolve(L, pickle_item(args, 0), what);
    if (!s) return false;
    const PickleValue *off_v = pickle_item(args, 1);
    int64_t strides[GRAPH_MAX_RANK];
    int srank = 0;
    if (!pickle_is(off_v, PK_INT) || off_v->i < 0) return fail(L, "tensor %s: bad storage offset", what);
    if (!int_tuple(pickle_item(args, 2), t->dims, &t->rank))
        return fail(L, "tensor %s: size is not a tuple of at most %d ints", what, GRAPH_MAX_RANK);
    if (!int_tuple(pickle_item(args, 3), strides, &srank) || srank != t->rank)
        return fail(L, "tensor %s: stride does not match its size", what);
    t->dtype = s->dtype;
    t->requires_grad = pickle_int(pickle_item(args, 4), 0) != 0;
    int64_t numel;
    if (!dims_product(t->dims, t->rank, &numel)) return fail(L, "tensor %s: dims are negative or their product overflows", what);
    size_t esize = dtype_size(t->dtype), nbytes;
    if ((uint64_t)numel > SIZE_MAX || !size_mul((size_t)numel, esize, &nbytes))
        return fail(L, "tensor %s: byte size overflows", what);
    /* the last element touched: offset + sum((dim - 1) * stride) must lie inside the storage */
    int64_t last = off_v->i, expect = 1;
    bool contiguous = true;
    for (int d = t->rank - 1; d >= 0; d--) {
        if (strides[d] < 0) return fail(L, "tensor %s: negative stride", what);
        if (t->dims[d] > 1) {
            int64_t span;
            if (strides[d] != expect) contiguous = false;
            if (__builtin_mul_overflow(t->dims[d] - 1, strides[d], &span) || __builtin_add_overflow(last, span, &last))
                return fail(L, "tensor %s: extent overflows", what);
        }
        if (__builtin_mul_overflow(expect, t->dims[d], &expect)) expect = INT64_MAX; /* only when numel is 0 */
    }
    if (numel > 0 && last >= s->numel)
        return fail(L, "tensor %s runs past the end of storage '%s' (element %lld of %lld)", what, s->key,
                    (long long)last, (long long)s->numel);
    if (numel == 0 && off_v->i > s->numel) return fail(L, "tensor %s: offset past the end of storage '%s'", what, s->key);
    t->data = NULL;
    if (!contiguous && numel > 0) {
        /* a strided view gets a contiguous copy: all copies together may hold what the
         * archive's storages hold (64 MB when that is less), a view that repeats elements
         * (stride 0) being no licence to multiply a small file; checked before any read,
         * and for a view whose data is not read too (its size still feeds every count) */
        uint64_t allowed = L->storage_bytes > COPY_FLOOR ? L->storage_bytes : COPY_FLOOR;
        if (nbytes > allowed || (need_data && L->copied > allowed - nbytes)) {
            char b1[32], b2[32];
            return fail(L, "tensor %s: a strided view of storage '%s' holds %s, more than the archive's storages "
                        "justify (%s of such views in all)", what, s->key, str_bytes(b1, sizeof b1, (long long)nbytes),
                        str_bytes(b2, sizeof b2, (long long)allowed));
        }
    }
    if (!need_data || numel == 0) return true;
    if (!storage_load(L, s, what)) return false;
    const uint8_t *base = (const uint8_t *)s->data;
    if (contiguous) {
        t->data = base + (size_t)off_v->i * esize;
    } else {
        char err[400];
        uint8_t *copy = membudget_alloc(nbytes, NULL, NULL, err, sizeof err);
        if (!copy) return fail(L, "tensor %s (a strided view of storage '%s') %s", what, s->key, err);
        L->copied += nbytes;
        gather(copy, base + (size_t)off_v->i * esize, t->dims, strides, t->rank, numel, esize);
        modtree_adopt_blob(L->tree, copy, membudget_free);
        t->data = copy;
    }
    return true;
}

/* A tensor value: _rebuild_tensor_v2, _rebuild_parameter(_with_state) around one, or
 * _rebuild_from_type_v2(func, type, args, state). */
static bool resolve_tensor(Loader *L, const PickleValue *v, const char *what, bool need_data, PtTensor *t, int depth)
{
    if (depth > 4 || !pickle_is(v, PK_OBJECT)) return fail(L, "%s is not a tensor", what);
    const PickleValue *args = v->obj.args;
    if (pickle_is_class(v, "torch._utils", "_rebuild_tensor_v2")) return rebuild_tensor(L, args, what, need_data, t);
    if (pickle_is_class(v, "torch._utils", "_rebuild_parameter") ||
        pickle_is_class(v, "torch._utils", "_rebuild_parameter_with_state")) {
        if (!resolve_tensor(L, pickle_item(args, 0), what, need_data, t, depth + 1)) return false;
        t->requires_grad = pickle_int(pickle_item(args, 1), 0) != 0;
        return true;
    }
    if (pickle_is_class(v, "torch._tensor", "_rebuild_from_type_v2")) {
        const PickleValue *func = pickle_item(args, 0), *inner = pickle_item(args, 2);
        if (pickle_is_class(func, "torch._utils", "_rebuild_tensor_v2") && pickle_is(inner, PK_TUPLE))
            return rebuild_tensor(L, inner, what, need_data, t);
        return fail(L, "tensor %s: unsupported _rebuild_from_type_v2 form", what);
    }
    const PickleValue *c = pickle_class_of(v);
    return fail(L, "%s is a %s.%s, not a tensor", what, c->cls.module, c->cls.name);
}

/* ---- modules ---- */

static const PickleValue *object_state(const PickleValue *v)
{
    if (!pickle_is(v, PK_OBJECT)) return NULL;
    const PickleValue *s = v->obj.state;
    if (pickle_is(s, PK_TUPLE) && pickle_len(s) == 2) s = pickle_item(s, 0); /* (dict, slots) */
    return pickle_is(s, PK_DICT) ? s : NULL;
}

static bool is_module(const PickleValue *v)
{
    return pickle_is(pickle_dict_get(object_state(v), "_modules"), PK_DICT);
}

static bool all_ints(const PickleValue *v)
{
    for (size_t i = 0; i < v->seq.n; i++)
        if (v->seq.items[i]->kind != PK_INT && v->seq.items[i]->kind != PK_BOOL) return false;
    return true;
}

/* A plain attribute value as a ModAttr; other kinds (tensors, dicts, objects) are left out. */
static void add_attr(Loader *L, ModNode *n, const char *name, const PickleValue *v)
{
    ModTree *t = L->tree;
    ModAttr *a;
    switch (v->kind) {
    case PK_NONE: modtree_add_attr(t, n, name, MA_NONE); break;
    case PK_BOOL: modtree_add_attr(t, n, name, MA_BOOL)->i = v->b; break;
    case PK_INT: modtree_add_attr(t, n, name, MA_INT)->i = v->i; break;
    case PK_FLOAT: modtree_add_attr(t, n, name, MA_FLOAT)->f = v->f; break;
    case PK_STR: modtree_add_attr(t, n, name, MA_STR)->s = arena_strdup(t->arena, v->str.s); break;
    case PK_OBJECT: /* torch.Size((1, 2)): its tuple (one level only: no recursion on input) */
        if (pickle_is_class(v, "torch", "Size") && pickle_len(v->obj.args) == 1) {
            const PickleValue *dims = pickle_item(v->obj.args, 0);
            if (pickle_is(dims, PK_TUPLE) || pickle_is(dims, PK_LIST)) add_attr(L, n, name, dims);
        }
        break;
    case PK_TUPLE:
    case PK_LIST:
        if (!all_ints(v) || v->seq.n > INT32_MAX) break;
        a = modtree_add_attr(t, n, name, MA_INTS);
        a->count = (int)v->seq.n;
        a->ints = v->seq.n ? arena_alloc(t->arena, v->seq.n * sizeof *a->ints) : NULL;
        for (size_t i = 0; i < v->seq.n; i++)
            a->ints[i] = v->seq.items[i]->kind == PK_INT ? v->seq.items[i]->i : v->seq.items[i]->b;
        break;
    default: break;
    }
}

typedef struct {
    PtTensor t;
    bool with_data;
} CachedTensor;

/* A tensor object is resolved once: a module pickled once and reached through many parents
 * (or one tensor listed many times) shares the result, a strided copy included.  The cache
 * index lives in the object's `user` as -(index + 1); modules keep positive uids there. */
static bool resolve_shared(Loader *L, PickleValue *v, const char *what, bool need_data, PtTensor *t)
{
    if (!pickle_is(v, PK_OBJECT) || v->user > 0) return resolve_tensor(L, v, what, need_data, t, 0);
    CachedTensor *c = v->user < 0 ? &((CachedTensor *)L->tensors.items)[-v->user - 1] : NULL;
    if (c && (c->with_data || !need_data)) {
        *t = c->t;
        return true;
    }
    if (!resolve_tensor(L, v, what, need_data, t, 0)) return false;
    if (!c) {
        c = vec_push(&L->tensors, sizeof *c, NULL);
        v->user = -(int)L->tensors.len;
    }
    c->t = *t;
    c->with_data = need_data;
    return true;
}

static bool add_tensors(Loader *L, ModNode *n, const PickleValue *dict, bool is_buffer)
{
    if (!dict) return true;
    if (!pickle_is(dict, PK_DICT)) return fail(L, "module %s: %s is not a dict", n->path, is_buffer ? "_buffers" : "_parameters");
    for (size_t i = 0; i < dict->dict.n; i++) {
        const char *name = pickle_str(dict->dict.keys[i]);
        PickleValue *v = dict->dict.vals[i];
        if (!name) return fail(L, "module %s: a tensor name is not a string", n->path);
        if (pickle_is(v, PK_NONE)) continue; /* bias=False */
        char what[600];
        snprintf(what, sizeof what, "%s%s%s", n->path, *n->path ? "." : "", name);
        PtTensor t = {0};
        if (!resolve_shared(L, v, what, L->with_data, &t)) return false;
        modtree_add_tensor(L->tree, n, name, t.dtype, t.rank, t.dims, t.data, is_buffer, !is_buffer && t.requires_grad);
    }
    return true;
}

static ModNode *build_module(Loader *L, PickleValue *obj, const char *name, const char *path, int depth)
{
    if (depth > MAX_MODULE_DEPTH) {
        fail(L, "module %s: nesting deeper than %d", path, MAX_MODULE_DEPTH);
        return NULL;
    }
    if (++L->n_nodes > MAX_MODULE_NODES) {
        fail(L, "more than %d modules", MAX_MODULE_NODES);
        return NULL;
    }
    const PickleValue *state = object_state(obj);
    const PickleValue *cls = pickle_class_of(obj);
    if (obj->user < 0) {
        fail(L, "module %s is also used as a tensor", path);
        return NULL;
    }
    if (!obj->user) obj->user = ++L->next_uid;
    ModNode *n = modtree_node(L->tree, name, path, cls->cls.name, obj->user - 1);
    n->module = arena_strdup(L->tree->arena, cls->cls.module);

    for (size_t i = 0; i < state->dict.n; i++) {
        const char *key = pickle_str(state->dict.keys[i]);
        if (!key || key[0] == '_') continue;
        const PickleValue *v = state->dict.vals[i];
        if (pickle_is_class(v, "torch._utils", "_rebuild_tensor_v2")) {
            /* a plain tensor attribute (YOLO-World's txt_feats): kept like a buffer */
            char what[600];
            snprintf(what, sizeof what, "%s.%s", *n->path ? n->path : "model", key); /* the root is ckpt['model'] */
            PtTensor t = {0};
            if (!resolve_tensor(L, v, what, L->with_data, &t, 0)) return NULL;
            modtree_add_tensor(L->tree, n, key, t.dtype, t.rank, t.dims, t.data, true, false);
            continue;
        }
        add_attr(L, n, key, v);
    }
    if (!add_tensors(L, n, pickle_dict_get(state, "_parameters"), false)) return NULL;
    if (!add_tensors(L, n, pickle_dict_get(state, "_buffers"), true)) return NULL;

    const PickleValue *mods = pickle_dict_get(state, "_modules");
    for (size_t i = 0; i < mods->dict.n; i++) {
        const char *key = pickle_str(mods->dict.keys[i]);
        PickleValue *child = mods->dict.vals[i];
        if (!key) {
            fail(L, "module %s: a child name is not a string", path);
            return NULL;
        }
        if (pickle_is(child, PK_NONE)) continue;
        if (!is_module(child)) continue; /* not an nn.Module: nothing to build */
        char *child_path = *path ? arena_printf(L->tmp, "%s.%s", path, key) : arena_strdup(L->tmp, key);
        ModNode *c = build_module(L, child, key, child_path, depth + 1);
        if (!c) return NULL;
        modtree_add_child(L->tree, n, c);
    }
    return n;
}

/* ---- checkpoint-level facts ---- */

static void text_append(char *buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n >= MAX_TEXT) n = MAX_TEXT - 1 - *len;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* Python's repr of a float: the shortest text that reads back the same. */
static void float_text(double f, char *out, size_t n)
{
    if (isnan(f)) { snprintf(out, n, "nan"); return; }
    if (isinf(f)) { snprintf(out, n, f < 0 ? "-inf" : "inf"); return; }
    if (f == floor(f) && fabs(f) < 1e16) { snprintf(out, n, "%.1f", f); return; }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, f);
        if (strtod(out, NULL) == f) return;
    }
}

/* A value as text the way Python prints it (top-level strings bare). */
static void render(const PickleValue *v, char *buf, size_t *len, int depth, bool quote)
{
    char tmp[64];
    if (!v || depth > 8 || *len >= MAX_TEXT - 1) return;
    switch (v->kind) {
    case PK_NONE: text_append(buf, len, "None"); break;
    case PK_BOOL: text_append(buf, len, v->b ? "True" : "False"); break;
    case PK_INT: snprintf(tmp, sizeof tmp, "%lld", (long long)v->i); text_append(buf, len, tmp); break;
    case PK_FLOAT: float_text(v->f, tmp, sizeof tmp); text_append(buf, len, tmp); break;
    case PK_STR:
        if (quote) text_append(buf, len, "'");
        text_append(buf, len, v->str.s);
        if (quote) text_append(buf, len, "'");
        break;
    case PK_TUPLE:
    case PK_LIST:
    case PK_SET:
    case PK_FROZENSET:
        text_append(buf, len, v->kind == PK_TUPLE ? "(" : v->kind == PK_LIST ? "[" : "{");
        for (size_t i = 0; i < v->seq.n && *len < MAX_TEXT - 1; i++) {
            if (i) text_append(buf, len, ", ");
            render(v->seq.items[i], buf, len, depth + 1, true);
        }
        if (v->kind == PK_TUPLE && v->seq.n == 1) text_append(buf, len, ",");
        text_append(buf, len, v->kind == PK_TUPLE ? ")" : v->kind == PK_LIST ? "]" : "}");
        break;
    case PK_DICT:
        text_append(buf, len, "{");
        for (size_t i = 0; i < v->dict.n && *len < MAX_TEXT - 1; i++) {
            if (i) text_append(buf, len, ", ");
            render(v->dict.keys[i], buf, len, depth + 1, true);
            text_append(buf, len, ": ");
            render(v->dict.vals[i], buf, len, depth + 1, true);
        }
        text_append(buf, len, "}");
        break;
    case PK_BYTES: text_append(buf, len, "b'...'"); break;
    case PK_CLASS:
    case PK_OBJECT: {
        const PickleValue *c = pickle_class_of(v);
        snprintf(tmp, sizeof tmp, "<%s>", c->cls.name);
        text_append(buf, len, tmp);
        break;
    }
    default: text_append(buf, len, "?"); break;
    }
}

/* A dict, or the __dict__ state of a namespace object such as IterableSimpleNamespace. */
static const PickleValue *as_dict(const PickleValue *v)
{
    if (pickle_is(v, PK_DICT)) return v;
    return object_state(v);
}

static void fill_train_args(Loader *L, const PickleValue *args)
{
    ModTree *t = L->tree;
    args = as_dict(args);
    if (!args || !args->dict.n) return;
    t->train_args = arena_alloc(t->arena, args->dict.n * sizeof *t->train_args);
    char *buf = xmalloc(MAX_TEXT);
    for (size_t i = 0; i < args->dict.n; i++) {
        const char *key = pickle_str(args->dict.keys[i]);
        if (!key) continue;
        size_t len = 0;
        buf[0] = '\0';
        render(args->dict.vals[i], buf, &len, 0, false);
        t->train_args[t->n_train_args].key = arena_strdup(t->arena, key);
        t->train_args[t->n_train_args].value = arena_strdup(t->arena, buf);
        t->n_train_args++;
    }
    free(buf);
    const char *data = pickle_str(pickle_dict_get(args, "data"));
    if (data) t->train_data = arena_strdup(t->arena, data);
}

static void fill_names(Loader *L, const PickleValue *names)
{
    ModTree *t = L->tree;
    size_t count = 0;
    if (pickle_is(names, PK_LIST) || pickle_is(names, PK_TUPLE)) {
        count = pickle_len(names);
    } else if (pickle_is(names, PK_DICT)) {
        for (size_t i = 0; i < names->dict.n; i++) {
            int64_t k = pickle_int(names->dict.keys[i], -1);
            if (k >= 0 && k < MAX_NAMES && (size_t)k + 1 > count) count = (size_t)k + 1;
        }
    }
    if (!count || count > MAX_NAMES) return;
    t->names = arena_alloc(t->arena, count * sizeof *t->names);
    for (size_t i = 0; i < count; i++) {
        const PickleValue *v = pickle_is(names, PK_DICT) ? pickle_dict_get_int(names, (int64_t)i) : pickle_item(names, i);
        const char *s = pickle_str(v);
        t->names[i] = s ? arena_strdup(t->arena, s) : arena_printf(t->arena, "class%zu", i);
    }
    t->nc = (int)count;
}

static bool fill_strides(Loader *L, const PickleValue *stride)
{
    ModTree *t = L->tree;
    if (!pickle_is(stride, PK_OBJECT)) return true;
    PtTensor s = {0};
    int64_t numel;
    /* a few numbers: their count is checked before any data is read */
    if (!resolve_tensor(L, stride, "model.stride", false, &s, 0)) return false;
    if (!dims_product(s.dims, s.rank, &numel) || numel > MAX_STRIDES)
        return fail(L, "model.stride holds %lld values (a model has at most %d detection levels)", (long long)numel,
                    MAX_STRIDES);
    if (!resolve_tensor(L, stride, "model.stride", true, &s, 0)) return false;
    if (!s.data) return true;
    for (int64_t i = 0; i < numel && t->n_strides < (int)ARRAY_LEN(t->strides); i++) {
        double v;
        switch (s.dtype) {
        case DT_F32: { float f; memcpy(&f, (const char *)s.data + i * 4, 4); v = f; break; }
        case DT_F64: memcpy(&v, (const char *)s.data + i * 8, 8); break;
        case DT_F16: { uint16_t h; memcpy(&h, (const char *)s.data + i * 2, 2); v = half_to_float(h); break; }
        case DT_I64: { int64_t x; memcpy(&x, (const char *)s.data + i * 8, 8); v = (double)x; break; }
        case DT_I32: { int32_t x; memcpy(&x, (const char *)s.data + i * 4, 4); v = x; break; }
        default: return true;
        }
        if (!(v >= 0 && v < (1 << 20))) return fail(L, "model.stride holds %g", v);
        t->strides[t->n_strides++] = (int)lround(v);
    }
    return true;
}

static void fill_yaml(Loader *L, const PickleValue *model_state)
{
    ModTree *t = L->tree;
    const PickleValue *yaml = pickle_dict_get(model_state, "yaml");
    const char *yaml_file = pickle_str(pickle_dict_get(model_state, "yaml_file"));
    if (!yaml_file) yaml_file = pickle_str(pickle_dict_get(yaml, "yaml_file"));
    if (yaml_file) t->yaml_file = arena_strdup(t->arena, yaml_file);
    const PickleValue *ch = pickle_dict_get(yaml, "channels");
    if (!ch) ch = pickle_dict_get(yaml, "ch");
    int64_t c = pickle_int(ch, 0);
    if (c > 0 && c < 4096) t->channels = (int)c;
    const PickleValue *kpt = pickle_dict_get(yaml, "kpt_shape");
    if (pickle_len(kpt) == 2) {
        int64_t k0 = pickle_int(pickle_item(kpt, 0), 0), k1 = pickle_int(pickle_item(kpt, 1), 0);
        if (k0 > 0 && k0 < 4096 && k1 > 0 && k1 < 16) {
            t->kpt_shape[0] = (int)k0;
            t->kpt_shape[1] = (int)k1;
        }
    }
    if (!t->nc) {
        int64_t nc = pickle_int(pickle_dict_get(model_state, "nc"), pickle_int(pickle_dict_get(yaml, "nc"), 0));
        if (nc > 0 && nc < MAX_NAMES) t->nc = (int)nc;
    }
}

static bool fill_tree(Loader *L, const PickleValue *root)
{
    ModTree *t = L->tree;
    const PickleValue *ck = pickle_is(root, PK_DICT) ? root : NULL;
    PickleValue *model = NULL;
    if (ck) {
        model = pickle_dict_get(ck, "model");
        if (!model || pickle_is(model, PK_NONE)) model = pickle_dict_get(ck, "ema");
    } else if (is_module(root)) {
        model = (PickleValue *)root; /* torch.save(model) */
    } else {
        return fail(L, "data.pkl holds a %s, not a checkpoint dict", pickle_kind_name(root->kind));
    }
    if (!model || pickle_is(model, PK_NONE)) {
        if (ck && pickle_dict_get(ck, "model") == NULL && ck->dict.n && pickle_is(ck->dict.vals[0], PK_OBJECT) &&
            !is_module(ck->dict.vals[0]))
            return fail(L, "no model in this checkpoint (it looks like a bare state_dict)");
        return fail(L, "no model in this checkpoint ('model' and 'ema' are missing or None)");
    }
    if (!is_module(model)) {
        const PickleValue *c = pickle_class_of(model);
        if (c) return fail(L, "checkpoint 'model' is a %s.%s, not an nn.Module", c->cls.module, c->cls.name);
        return fail(L, "checkpoint 'model' is a %s, not an nn.Module", pickle_kind_name(model->kind));
    }
    t->root = build_module(L, model, "", "", 0);
    if (!t->root) return false;

    const PickleValue *ms = object_state(model);
    if (ck) {
        const char *version = pickle_str(pickle_dict_get(ck, "version"));
        const char *date = pickle_str(pickle_dict_get(ck, "date"));
        if (version) t->version = arena_strdup(t->arena, version);
        if (date) t->date = arena_strdup(t->arena, date);
    }
    const PickleValue *targs = ck ? pickle_dict_get(ck, "train_args") : NULL;
    fill_train_args(L, as_dict(targs) ? targs : pickle_dict_get(ms, "args"));
    const PickleValue *names = pickle_dict_get(ms, "names");
    if (!names && ck) names = pickle_dict_get(ck, "names");
    fill_names(L, names);
    if (!fill_strides(L, pickle_dict_get(ms, "stride"))) return false;
    fill_yaml(L, ms);
    return true;
}

/* ---- entry point ---- */

ModTree *pt_load(const char *path, bool with_data, char *err, size_t errlen)
{
    if (!path) {
        err_set(err, errlen, "no checkpoint path given");
        return NULL;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        err_set(err, errlen, "%s: is a directory, not a PyTorch checkpoint", path);
        return NULL;
    }
    if (st.st_size == 0) {
        err_set(err, errlen, "%s: empty file, not a PyTorch checkpoint", path);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(err, errlen, "%s: not a regular file", path);
        return NULL;
    }
    if (!has_zip_magic(path)) {
        err_set(err, errlen, "%s: not a PyTorch checkpoint (not a zip archive)", path);
        return NULL;
    }
    int code = 0;
    ZipArchive zarc;
    zip_t *za = zip_entry_open(&zarc, path, ZIP_RDONLY, &code, err, errlen);
    if (!za) {
        char zmsg[200];
        if (!code) return NULL; /* not a regular file any more: err says so */
        if (code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS)
            err_set(err, errlen, "%s: truncated or damaged zip archive (its central directory is missing or broken)", path);
        else
            err_set(err, errlen, "%s: cannot read the zip archive (%s)", path, zip_error_text(code, zmsg, sizeof zmsg));
        return NULL;
    }
    Loader L = {.path = path, .zip = za, .with_data = with_data, .err = err, .errlen = errlen};
    L.zarc = zarc;
    L.tmp = arena_new();
    L.storage_index.arena = L.tmp;
    L.tree = modtree_new();
    bool ok = false;
    uint8_t *pkl = NULL;
    char why[512];
    if (zip_entry_check_archive(&L.zarc, why, sizeof why) != 0) {
        fail(&L, "%s", why);
        goto done;
    }
    zip_int64_t idx = find_data_pkl(za, &L.prefix, L.tmp);
    if (idx < 0) {
        fail(&L, "zip archive without data.pkl: not a PyTorch checkpoint");
        goto done;
    }
    if (is_torchscript(za, L.prefix)) {
        fail(&L, "a TorchScript archive, not a checkpoint: open the .pt the model was trained as");
        goto done;
    }
    zip_stat_t zs;
    if (zip_stat_index(za, (zip_uint64_t)idx, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_SIZE)) {
        fail(&L, "cannot read the size of %sdata.pkl", L.prefix);
        goto done;
    }
    if (zs.size == 0 || zs.size > MAX_PICKLE_BYTES) {
        fail(&L, "%sdata.pkl has an implausible size (%llu bytes)", L.prefix, (unsigned long long)zs.size);
        goto done;
    }
    char name[1024];
    snprintf(name, sizeof name, "%sdata.pkl", L.prefix);
    L.storage_bytes = storage_entry_bytes(za, L.prefix);
    pkl = zip_read_entry(&L, (zip_uint64_t)idx, (size_t)zs.size, name, NULL);
    if (!pkl) goto done;
    char perr[400];
    PickleValue *root = pickle_load(pkl, (size_t)zs.size, L.tmp, perr, sizeof perr);
    zip_entry_free(pkl);
    pkl = NULL;
    if (!root) {
        fail(&L, "data.pkl: %s", perr);
        goto done;
    }
    if (!fill_tree(&L, root)) goto done;
    L.tree->source_format = FMT_PYTORCH;
    L.tree->source_path = arena_strdup(L.tree->arena, path);
    ok = true;
done:
    zip_entry_free(pkl);
    zip_discard(za);
    strmap_free(&L.storage_index);
    vec_free(&L.storages);
    vec_free(&L.tensors);
    arena_free(L.tmp);
    if (!ok) {
        modtree_free(L.tree);
        return NULL;
    }
    return L.tree;
}
