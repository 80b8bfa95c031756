/* Tests for the PyTorch checkpoint reader: bad files (each its own test, one clear
 * message, nothing executed), synthetic checkpoints built here with libzip, and the real
 * checkpoints in ../shared/models when present. */
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>
#include <zip.h>

#include "engine/core/imgsz.h"
#include "formats/pt.h"
#include "tests/check.h"

/* ---- a tiny pickle writer (protocol 2 opcodes) ---- */

typedef struct {
    uint8_t *b;
    size_t n, cap;
} Pk;

static void pk_raw(Pk *p, const void *data, size_t n)
{
    if (p->n + n > p->cap) {
        p->cap = (p->n + n) * 2 + 64;
        p->b = realloc(p->b, p->cap);
    }
    memcpy(p->b + p->n, data, n);
    p->n += n;
}
static void pk_op(Pk *p, uint8_t op) { pk_raw(p, &op, 1); }
static void pk_u32(Pk *p, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    pk_raw(p, b, 4);
}
static void pk_proto(Pk *p) { pk_op(p, 0x80), pk_op(p, 2); }
static void pk_str(Pk *p, const char *s)
{
    pk_op(p, 'X');
    pk_u32(p, (uint32_t)strlen(s));
    pk_raw(p, s, strlen(s));
}
static void pk_int(Pk *p, int64_t v)
{
    if (v >= INT32_MIN && v <= INT32_MAX) {
        pk_op(p, 'J');
        pk_u32(p, (uint32_t)(int32_t)v);
    } else {
        pk_op(p, 0x8a);
        pk_op(p, 8);
        for (int i = 0; i < 8; i++) pk_op(p, (uint8_t)((uint64_t)v >> (8 * i)));
    }
}
static void pk_global(Pk *p, const char *module, const char *name)
{
    pk_op(p, 'c');
    pk_raw(p, module, strlen(module));
    pk_op(p, '\n');
    pk_raw(p, name, strlen(name));
    pk_op(p, '\n');
}
static void pk_put(Pk *p, uint8_t i) { pk_op(p, 'q'), pk_op(p, i); }
static void pk_get(Pk *p, uint8_t i) { pk_op(p, 'h'), pk_op(p, i); }
static void pk_ints(Pk *p, const int64_t *v, int n)
{
    pk_op(p, '(');
    for (int i = 0; i < n; i++) pk_int(p, v[i]);
    pk_op(p, 't');
}
static void pk_ordered_dict(Pk *p) /* OrderedDict(): the value is left open for SETITEMS */
{
    pk_global(p, "collections", "OrderedDict");
    pk_op(p, ')');
    pk_op(p, 'R');
}

/* _rebuild_parameter(_rebuild_tensor_v2(persid, offset, size, stride, False, {}), rg, {}) */
static void pk_tensor(Pk *p, const char *storage_cls, const char *key, int64_t numel, int64_t offset,
                      const int64_t *size, const int64_t *stride, int rank, int param, int requires_grad)
{
    if (param) pk_global(p, "torch._utils", "_rebuild_parameter");
    pk_global(p, "torch._utils", "_rebuild_tensor_v2");
    pk_op(p, '(');
    pk_op(p, '(');
    pk_str(p, "storage");
    pk_global(p, "torch", storage_cls);
    pk_str(p, key);
    pk_str(p, "cpu");
    pk_int(p, numel);
    pk_op(p, 't');
    pk_op(p, 'Q');
    pk_int(p, offset);
    pk_ints(p, size, rank);
    pk_ints(p, stride, rank);
    pk_op(p, 0x89);
    pk_ordered_dict(p);
    pk_op(p, 't');
    pk_op(p, 'R');
    if (param) {
        pk_op(p, requires_grad ? 0x88 : 0x89);
        pk_ordered_dict(p);
        pk_op(p, 0x87); /* TUPLE3 */
        pk_op(p, 'R');
    }
}

/* Opens `cls(); BUILD({...` : the caller adds key/value pairs then calls pk_module_end. */
static void pk_module_begin(Pk *p, const char *module, const char *name)
{
    pk_global(p, module, name);
    pk_op(p, ')');
    pk_op(p, 0x81); /* NEWOBJ */
    pk_op(p, '}');
    pk_op(p, '(');
    pk_str(p, "training");
    pk_op(p, 0x89);
}
static void pk_module_end(Pk *p)
{
    pk_op(p, 'u'); /* SETITEMS */
    pk_op(p, 'b'); /* BUILD */
}

/* ---- files ---- */

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int slot;
    char *b = buf[slot++ % 4];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-pt-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    snprintf(b, 512, "%s/%s", tmpdir, name);
    return b;
}

typedef struct {
    const char *name;
    const void *data;
    size_t len;
} Entry;

/* Write a stored (uncompressed) zip with the given entries; returns its path. */
static const char *write_zip(const char *file, const Entry *entries, int n)
{
    const char *path = tmp_path(file);
    int code = 0;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!za) return NULL;
    for (int i = 0; i < n; i++) {
        zip_source_t *src = zip_source_buffer(za, entries[i].data, entries[i].len, 0);
        zip_int64_t idx = zip_file_add(za, entries[i].name, src, ZIP_FL_OVERWRITE);
        zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    }
    if (zip_close(za) != 0) return NULL;
    return path;
}

static const char *write_file(const char *file, const void *data, size_t len)
{
    const char *path = tmp_path(file);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    if (len) fwrite(data, 1, len, f);
    fclose(f);
    return path;
}

/* A checkpoint whose data.pkl is p and whose storages are the given float arrays. */
static const char *write_ckpt(const char *file, Pk *p, const char *prefix, const float *const *storages,
                              const size_t *counts, int n_storages)
{
    Entry e[8];
    char names[8][64];
    int n = 0;
    snprintf(names[n], 64, "%s/data.pkl", prefix);
    e[n] = (Entry){names[n], p->b, p->n};
    n++;
    for (int i = 0; i < n_storages && n < 7; i++, n++) {
        snprintf(names[n], 64, "%s/data/%d", prefix, i);
        e[n] = (Entry){names[n], storages[i], counts[i] * sizeof(float)};
    }
    snprintf(names[n], 64, "%s/version", prefix);
    e[n] = (Entry){names[n], "3\n", 2};
    n++;
    return write_zip(file, e, n);
}

/* {'model': Net(_modules={'conv': Conv2d(weight=<tensor>), 'act': SiLU, 'act2': <same SiLU>}),
 *  'names': ..., 'version': '8.1.0'} with the tensor described by the arguments. */
static void pk_simple_ckpt(Pk *p, const char *key, int64_t numel, int64_t offset, const int64_t *size,
                           const int64_t *stride, int rank)
{
    pk_proto(p);
    pk_op(p, '}');
    pk_op(p, '(');
    pk_str(p, "version");
    pk_str(p, "8.1.0");
    pk_str(p, "model");
    pk_module_begin(p, "ultralytics.nn.tasks", "DetectionModel");
    pk_str(p, "_parameters");
    pk_ordered_dict(p);
    pk_str(p, "_buffers");
    pk_ordered_dict(p);
    pk_str(p, "nc");
    pk_int(p, 2);
    pk_str(p, "names");
    pk_op(p, '}');
    pk_op(p, '(');
    pk_int(p, 0);
    pk_str(p, "cat");
    pk_int(p, 1);
    pk_str(p, "dog");
    pk_op(p, 'u');
    pk_str(p, "_modules");
    pk_ordered_dict(p);
    pk_op(p, '(');
    pk_str(p, "conv");
    pk_module_begin(p, "torch.nn.modules.conv", "Conv2d");
    pk_str(p, "_parameters");
    pk_ordered_dict(p);
    pk_op(p, '(');
    pk_str(p, "weight");
    pk_tensor(p, "FloatStorage", key, numel, offset, size, stride, rank, 1, 1);
    pk_str(p, "bias");
    pk_op(p, 'N');
    pk_op(p, 'u');
    pk_str(p, "_buffers");
    pk_ordered_dict(p);
    pk_str(p, "_modules");
    pk_ordered_dict(p);
    pk_str(p, "stride");
    int64_t st[2] = {2, 2};
    pk_ints(p, st, 2);
    pk_str(p, "eps");
    pk_op(p, 'G');
    uint8_t eps[8] = {0x3f, 0x50, 0x62, 0x4d, 0xd2, 0xf1, 0xa9, 0xfc}; /* 0.001 big-endian */
    pk_raw(p, eps, 8);
    pk_module_end(p);
    pk_str(p, "act");
    pk_module_begin(p, "torch.nn.modules.activation", "SiLU");
    pk_str(p, "_modules");
    pk_ordered_dict(p);
    pk_module_end(p);
    pk_put(p, 7);
    pk_str(p, "act2");
    pk_get(p, 7);
    pk_str(p, "gone");
    pk_op(p, 'N');
    pk_op(p, 'u');
    pk_module_end(p);
    pk_op(p, 'u');
    pk_op(p, '.');
}

static const float storage0[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

static ModTree *load_simple(const char *file, const char *key, int64_t numel, int64_t offset, const int64_t *size,
                            const int64_t *stride, int rank, size_t storage_floats, bool with_data, char *err,
                            size_t errlen)
{
    Pk p = {0};
    pk_simple_ckpt(&p, key, numel, offset, size, stride, rank);
    const float *s[1] = {storage0};
    size_t c[1] = {storage_floats};
    const char *path = write_ckpt(file, &p, "archive", s, c, 1);
    free(p.b);
    if (!path) {
        snprintf(err, errlen, "could not write %s", file);
        return NULL;
    }
    return pt_load(path, with_data, err, errlen);
}

/* ---- bad inputs ---- */

static void test_missing_file(void)
{
    char err[512] = "";
    const char *path = tmp_path("does-not-exist.pt");
    EXPECT(pt_load(path, true, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, path);
    EXPECT_CONTAINS(err, "No such file");
    EXPECT_EQ_INT(pt_probe(path), PT_NOT_ZIP);
}

static void test_directory(void)
{
    char err[512] = "";
    const char *path = tmp_path("");
    EXPECT(pt_load(path, true, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "is a directory");
    EXPECT_EQ_INT(pt_probe(path), PT_NOT_ZIP);
}

static void test_empty_file(void)
{
    char err[512] = "";
    const char *path = write_file("empty.pt", "", 0);
    EXPECT(pt_load(path, true, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "empty.pt");
    EXPECT_CONTAINS(err, "empty file");
}

static void test_random_bytes(void)
{
    char err[512] = "";
    uint8_t junk[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
    const char *path = write_file("random.pt", junk, sizeof junk);
    EXPECT(pt_load(path, true, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "random.pt");
    EXPECT_CONTAINS(err, "not a zip archive");
    EXPECT_EQ_INT(pt_probe(path), PT_NOT_ZIP);
    /* zip magic followed by junk */
    junk[0] = 'P', junk[1] = 'K', junk[2] = 3, junk[3] = 4;
    path = write_file("random-pk.pt", junk, sizeof junk);
    err[0] = '\0';
    EXPECT(pt_load(path, true, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "random-pk.pt");
    EXPECT_CONTAINS(err, "zip");
}

static void test_truncated_zip(void)
{
    char err[512] = "";
    int64_t size[2] = {2, 3}, stride[2] = {3, 1};
    ModTree *t = load_simple("whole.pt", "0", 12, 0, size, stride, 2, 12, true, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    modtree_free(t);
    size_t len;
    char *bytes = file_read_all(tmp_path("whole.pt"), 1 << 20, &len, err, sizeof err);
    EXPECT(bytes != NULL);
    if (!bytes) return;
    const char *path = write_file("truncated.pt", bytes, len / 2);
    free(bytes);
    err[0] = '\0';
    EXPECT(pt_load(path, true, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "truncated.pt");
    EXPECT_CONTAINS(err, "truncated or damaged zip archive");
}

static void test_zip_without_data_pkl(void)
{
    char err[512] = "";
    Entry e[1] = {{"archive/readme.txt", "hello", 5}};
    const char *path = write_zip("nodata.pt", e, 1);
    EXPECT(pt_load(path, true, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "nodata.pt");
    EXPECT_CONTAINS(err, "without data.pkl");
    EXPECT_EQ_INT(pt_probe(path), PT_ZIP_OTHER);
}

static void test_torchscript_is_recognised(void)
{
    char err[512] = "";
    Entry e[3] = {{"m/data.pkl", "\x80\x02N.", 4}, {"m/constants.pkl", "\x80\x02N.", 4}, {"m/code/m.py", "x", 1}};
    const char *path = write_zip("script.torchscript", e, 3);
    EXPECT_EQ_INT(pt_probe(path), PT_TORCHSCRIPT);
    EXPECT(pt_load(path, true, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "TorchScript");
}

/* A checkpoint whose pickle calls module.name("touch <canary>"): refused at the class
 * reference, and the canary proves nothing ran. */
static void check_refused(const char *module, const char *name, bool stack_global)
{
    char canary[600], cmd[700], err[512] = "";
    snprintf(canary, sizeof canary, "%s", tmp_path("canary"));
    unlink(canary);
    Pk p = {0};
    pk_proto(&p);
    pk_op(&p, '}');
    pk_str(&p, "model");
    if (stack_global) {
        pk_str(&p, module);
        pk_str(&p, name);
        pk_op(&p, 0x93);
    } else {
        pk_global(&p, module, name);
    }
    if (!strcmp(name, "eval")) snprintf(cmd, sizeof cmd, "__import__('os').system('touch %s')", canary);
    else snprintf(cmd, sizeof cmd, "touch %s", canary);
    if (!strcmp(name, "Popen")) {
        pk_op(&p, '(');
        pk_str(&p, "touch");
        pk_str(&p, canary);
        pk_op(&p, 'l');
    } else {
        pk_str(&p, cmd);
    }
    pk_op(&p, 0x85);
    pk_op(&p, 'R');
    pk_op(&p, 's');
    pk_op(&p, '.');
    Entry e[1] = {{"evil/data.pkl", p.b, p.n}};
    const char *path = write_zip("evil.pt", e, 1);
    EXPECT_EQ_INT(pt_probe(path), PT_CHECKPOINT);
    ModTree *t = pt_load(path, true, err, sizeof err);
    free(p.b);
    EXPECT(t == NULL);
    modtree_free(t);
    char label[200];
    snprintf(label, sizeof label, "refuses to load class '%s.%s' (not on the allowlist)", module, name);
    EXPECT_CONTAINS(err, label);
    EXPECT_CONTAINS(err, "evil.pt");
    EXPECT_MSG(access(canary, F_OK) != 0, "canary %s exists: something ran", canary);
    unlink(canary);
}

static void test_refuses_os_system(void) { check_refused("os", "system", false); }
static void test_refuses_builtins_eval(void) { check_refused("builtins", "eval", true); }
static void test_refuses_subprocess_popen(void) { check_refused("subprocess", "Popen", false); }
static void test_refuses_posix_system(void) { check_refused("posix", "system", true); }
/* v10Detect is allowed by its exact name: the functions beside it are not */
static void test_refuses_ultralytics_functions(void)
{
    check_refused("ultralytics.nn.modules.head", "make_anchors", false);
    check_refused("ultralytics.nn.tasks", "torch_safe_load", true);
    check_refused("ultralytics.nn.modules.head", "v10detect", false);
}

static void test_tensor_past_storage(void)
{
    char err[512] = "";
    int64_t size[2] = {3, 4}, stride[2] = {4, 1};
    /* 12 elements from offset 2 in a 12-element storage */
    ModTree *t = load_simple("past.pt", "0", 12, 2, size, stride, 2, 12, false, err, sizeof err);
    EXPECT(t == NULL);
    modtree_free(t);
    EXPECT_CONTAINS(err, "past.pt");
    EXPECT_CONTAINS(err, "conv.weight runs past the end of storage '0'");
}

static void test_dims_overflow(void)
{
    char err[512] = "";
    int64_t size[3] = {INT64_MAX / 4, 8, 2}, stride[3] = {16, 2, 1};
    ModTree *t = load_simple("overflow.pt", "0", 12, 0, size, stride, 3, 12, true, err, sizeof err);
    EXPECT(t == NULL);
    modtree_free(t);
    EXPECT_CONTAINS(err, "overflow.pt");
    EXPECT_CONTAINS(err, "overflows");
}

static void test_huge_stride_overflow(void)
{
    char err[512] = "";
    int64_t size[2] = {3, 2}, stride[2] = {INT64_MAX / 2 + 1, 1};
    ModTree *t = load_simple("stride.pt", "0", 12, 0, size, stride, 2, 12, true, err, sizeof err);
    EXPECT(t == NULL);
    modtree_free(t);
    EXPECT_CONTAINS(err, "stride.pt");
    EXPECT_CONTAINS(err, "extent overflows");
}

static void test_storage_size_mismatch(void)
{
    char err[512] = "";
    int64_t size[1] = {12}, stride[1] = {1};
    /* the pickle says 12 floats, the entry holds 10 */
    ModTree *t = load_simple("short.pt", "0", 12, 0, size, stride, 1, 10, false, err, sizeof err);
    EXPECT(t == NULL);
    modtree_free(t);
    EXPECT_CONTAINS(err, "short.pt");
    EXPECT_CONTAINS(err, "holds 40 bytes");
}

static void test_storage_missing(void)
{
    char err[512] = "";
    int64_t size[1] = {12}, stride[1] = {1};
    ModTree *t = load_simple("nokey.pt", "7", 12, 0, size, stride, 1, 12, true, err, sizeof err);
    EXPECT(t == NULL);
    modtree_free(t);
    EXPECT_CONTAINS(err, "nokey.pt");
    EXPECT_CONTAINS(err, "storage '7' is missing");
}

static void test_truncated_pickle(void)
{
    char err[512] = "";
    Pk p = {0};
    int64_t size[1] = {12}, stride[1] = {1};
    pk_simple_ckpt(&p, "0", 12, 0, size, stride, 1);
    Entry e[2] = {{"a/data.pkl", p.b, p.n / 2}, {"a/data/0", storage0, sizeof storage0}};
    const char *path = write_zip("halfpickle.pt", e, 2);
    free(p.b);
    EXPECT(pt_load(path, true, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "halfpickle.pt: data.pkl: offset");
}

static void test_no_model(void)
{
    char err[512] = "";
    Pk p = {0};
    pk_proto(&p);
    pk_op(&p, '}');
    pk_op(&p, '(');
    pk_str(&p, "model");
    pk_op(&p, 'N');
    pk_str(&p, "ema");
    pk_op(&p, 'N');
    pk_op(&p, 'u');
    pk_op(&p, '.');
    Entry e[1] = {{"a/data.pkl", p.b, p.n}};
    const char *path = write_zip("nomodel.pt", e, 1);
    free(p.b);
    EXPECT(pt_load(path, true, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "nomodel.pt");
    EXPECT_CONTAINS(err, "no model");
}

/* ---- synthetic checkpoints that load ---- */

static void test_synthetic_checkpoint(void)
{
    char err[512] = "";
    int64_t size[2] = {3, 4}, stride[2] = {4, 1};
    ModTree *t = load_simple("ok.pt", "0", 12, 0, size, stride, 2, 12, true, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (!t) return;
    EXPECT_EQ_STR(t->root->type, "DetectionModel");
    EXPECT_EQ_STR(t->root->module, "ultralytics.nn.tasks");
    EXPECT_EQ_STR(t->version, "8.1.0");
    EXPECT_EQ_STR(format_id_key(t->source_format), "pt");
    EXPECT_EQ_INT(t->nc, 2);
    EXPECT_EQ_STR(t->names[1], "dog");
    EXPECT_EQ_INT(t->root->n_children, 3); /* conv, act, act2; the None child is left out */
    ModNode *conv = modtree_find(t, "conv");
    EXPECT(conv != NULL);
    if (!conv) goto out;
    EXPECT_EQ_STR(conv->path, "conv");
    const ModTensor *w = modtree_tensor(conv, "weight");
    EXPECT(w != NULL);
    EXPECT(modtree_tensor(conv, "bias") == NULL);
    if (w) {
        EXPECT_EQ_INT(w->rank, 2);
        EXPECT_EQ_INT(w->dims[1], 4);
        EXPECT_EQ_INT(w->dtype, DT_F32);
        EXPECT(w->requires_grad);
        EXPECT(!w->is_buffer);
        EXPECT(w->data != NULL);
        if (w->data) EXPECT_NEAR(((const float *)w->data)[11], 11.0, 0);
    }
    EXPECT_EQ_INT(modtree_attr_int_at(conv, "stride", 1, 0), 2);
    EXPECT_NEAR(modtree_attr_float(conv, "eps", 0), 0.001, 1e-12);
    EXPECT_EQ_INT(modtree_child(t->root, "act")->uid, modtree_child(t->root, "act2")->uid);
    EXPECT(modtree_child(t->root, "act")->uid != conv->uid);
    EXPECT_EQ_INT(t->n_blobs, 1);
out:
    modtree_free(t);
}

static void test_synthetic_without_data(void)
{
    char err[512] = "";
    int64_t size[2] = {3, 4}, stride[2] = {4, 1};
    ModTree *t = load_simple("nodata.pt", "0", 12, 0, size, stride, 2, 12, false, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (!t) return;
    const ModTensor *w = modtree_tensor(modtree_find(t, "conv"), "weight");
    EXPECT(w && w->data == NULL && w->dims[0] == 3 && w->nbytes == 48);
    EXPECT_EQ_INT(t->n_blobs, 0);
    modtree_free(t);
}

static void test_strided_tensor_is_gathered(void)
{
    char err[512] = "";
    /* a transposed view: size (4, 3), stride (1, 4) over a 12-element storage, offset 0 */
    int64_t size[2] = {4, 3}, stride[2] = {1, 4};
    ModTree *t = load_simple("strided.pt", "0", 12, 0, size, stride, 2, 12, true, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (!t) return;
    const ModTensor *w = modtree_tensor(modtree_find(t, "conv"), "weight");
    EXPECT(w && w->data);
    if (w && w->data) {
        const float *d = w->data;
        /* element [r][c] = storage[r + 4c] */
        EXPECT_NEAR(d[0], 0, 0);
        EXPECT_NEAR(d[1], 4, 0);
        EXPECT_NEAR(d[2], 8, 0);
        EXPECT_NEAR(d[3], 1, 0);
        EXPECT_NEAR(d[11], 11, 0);
    }
    EXPECT_EQ_INT(t->n_blobs, 2); /* the storage and the contiguous copy */
    modtree_free(t);
}

static void test_offset_view_points_into_storage(void)
{
    char err[512] = "";
    int64_t size[1] = {5}, stride[1] = {1};
    ModTree *t = load_simple("offset.pt", "0", 12, 7, size, stride, 1, 12, true, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (!t) return;
    const ModTensor *w = modtree_tensor(modtree_find(t, "conv"), "weight");
    EXPECT(w && w->data && ((const float *)w->data)[0] == 7.0f && ((const float *)w->data)[4] == 11.0f);
    EXPECT_EQ_INT(t->n_blobs, 1); /* no copy */
    modtree_free(t);
}

/* {'model': None, 'ema': Net(_parameters={'a': <storage 0 [0:6]>, 'b': <storage 0 [6:12]>})} */
static void test_ema_and_shared_storage(void)
{
    char err[512] = "";
    Pk p = {0};
    int64_t size[1] = {6}, stride[1] = {1};
    pk_proto(&p);
    pk_op(&p, '}');
    pk_op(&p, '(');
    pk_str(&p, "model");
    pk_op(&p, 'N');
    pk_str(&p, "ema");
    pk_module_begin(&p, "ultralytics.nn.tasks", "ClassificationModel");
    pk_str(&p, "_parameters");
    pk_ordered_dict(&p);
    pk_op(&p, '(');
    pk_str(&p, "a");
    pk_tensor(&p, "FloatStorage", "0", 12, 0, size, stride, 1, 1, 0);
    pk_str(&p, "b");
    pk_tensor(&p, "FloatStorage", "0", 12, 6, size, stride, 1, 0, 0);
    pk_op(&p, 'u');
    pk_str(&p, "_modules");
    pk_ordered_dict(&p);
    pk_str(&p, "names");
    pk_op(&p, '(');
    pk_str(&p, "x");
    pk_str(&p, "y");
    pk_str(&p, "z");
    pk_op(&p, 'l');
    pk_module_end(&p);
    pk_op(&p, 'u');
    pk_op(&p, '.');
    const float *st[1] = {storage0};
    size_t c[1] = {12};
    const char *path = write_ckpt("ema.pt", &p, "ema", st, c, 1);
    free(p.b);
    ModTree *t = pt_load(path, true, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (!t) return;
    EXPECT_EQ_STR(t->root->type, "ClassificationModel");
    const ModTensor *a = modtree_tensor(t->root, "a"), *b = modtree_tensor(t->root, "b");
    EXPECT(a && b && a->data && b->data);
    if (a && b && a->data && b->data) {
        EXPECT((const float *)b->data - (const float *)a->data == 6); /* one storage, read once */
        EXPECT(!a->is_buffer && !b->is_buffer);
    }
    EXPECT_EQ_INT(t->n_blobs, 1);
    EXPECT_EQ_INT(t->nc, 3);
    EXPECT_EQ_STR(t->names[2], "z");
    EXPECT(t->version == NULL && t->train_args == NULL && t->n_strides == 0);
    modtree_free(t);
}

/* ---- the real checkpoints ---- */

static void test_yolov8n(void)
{
    const char *path = shared_path("models/yolov8n.pt");
    if (!path || access(path, R_OK)) {
        SKIP("no ../shared/models/yolov8n.pt");
        return;
    }
    EXPECT_EQ_INT(pt_probe(path), PT_CHECKPOINT);
    char err[512] = "";
    ModTree *t = pt_load(path, true, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (!t) return;
    EXPECT_EQ_STR(t->root->type, "DetectionModel");
    ModNode *layers = modtree_find(t, "model");
    EXPECT(layers && layers->n_children == 23);
    EXPECT_EQ_STR(modtree_find(t, "model.0")->type, "Conv");
    EXPECT_EQ_STR(modtree_find(t, "model.0")->module, "ultralytics.nn.modules");
    EXPECT_EQ_STR(modtree_find(t, "model.2")->type, "C2f");
    EXPECT_EQ_STR(modtree_find(t, "model.22")->type, "Detect");
    const ModTensor *w = modtree_tensor(modtree_find(t, "model.0.conv"), "weight");
    EXPECT(w != NULL);
    if (w) {
        EXPECT_EQ_INT(w->rank, 4);
        EXPECT(w->dims[0] == 16 && w->dims[1] == 3 && w->dims[2] == 3 && w->dims[3] == 3);
        EXPECT_EQ_INT(w->dtype, DT_F16);
        EXPECT(!w->requires_grad);
        EXPECT(w->data != NULL);
        EXPECT_EQ_INT(w->nbytes, 16 * 27 * 2);
    }
    const ModTensor *rv = modtree_tensor(modtree_find(t, "model.0.bn"), "running_var");
    EXPECT(rv && rv->is_buffer && rv->dims[0] == 16);
    EXPECT_EQ_STR(t->names[0], "person");
    EXPECT_EQ_INT(t->nc, 80);
    EXPECT_EQ_INT(t->n_strides, 3);
    EXPECT(t->strides[0] == 8 && t->strides[1] == 16 && t->strides[2] == 32);
    {
        int hw[2] = {0, 0}; /* the training imgsz, read by the one rule (engine/core/imgsz) */
        EXPECT(imgsz_from_train_args(t->train_args, t->n_train_args, hw));
        EXPECT(hw[0] == 640 && hw[1] == 640);
    }
    EXPECT_EQ_STR(t->yaml_file, "yolov8n.yaml");
    EXPECT_EQ_INT(t->channels, 3);
    EXPECT_EQ_STR(t->version, "8.0.0.dev0");
    /* the default SiLU is one object shared by every Conv */
    int silu = modtree_find(t, "model.0.act")->uid;
    EXPECT_EQ_INT(modtree_find(t, "model.1.act")->uid, silu);
    EXPECT_EQ_INT(modtree_find(t, "model.21.cv2.act")->uid, silu);
    EXPECT(modtree_find(t, "model.0.conv")->uid != modtree_find(t, "model.1.conv")->uid);
    ModNode *det = modtree_find(t, "model.22");
    EXPECT_EQ_INT(modtree_attr_int(det, "nc", 0), 80);
    EXPECT_EQ_INT(modtree_attr_int(det, "reg_max", 0), 16);
    EXPECT_EQ_INT(modtree_attr_int_at(det, "f", 2, 0), 21);
    EXPECT_EQ_INT(modtree_attr_int_at(modtree_find(t, "model.0.conv"), "stride", 0, 0), 2);
    EXPECT_NEAR(modtree_attr_float(modtree_find(t, "model.0.bn"), "eps", 0), 0.001, 1e-9);
    EXPECT_EQ_INT(modtree_attr_int(modtree_find(t, "model.9.m"), "kernel_size", 0), 5);
    EXPECT_NEAR(modtree_attr_float(modtree_find(t, "model.10"), "scale_factor", 0), 2.0, 0);
    const ModAttr *mode = modtree_attr(modtree_find(t, "model.10"), "mode");
    EXPECT(mode && mode->kind == MA_STR && !strcmp(mode->s, "nearest"));
    bool found = false;
    for (int i = 0; i < t->n_train_args; i++)
        if (!strcmp(t->train_args[i].key, "imgsz")) found = !strcmp(t->train_args[i].value, "640");
    EXPECT(found);
    EXPECT_EQ_STR(t->train_args[0].key, "task");
    EXPECT_EQ_STR(t->train_args[0].value, "detect");
    modtree_free(t);
}

static void test_yolov8s(void)
{
    const char *path = shared_path("models/yolov8s.pt");
    if (!path || access(path, R_OK)) {
        SKIP("no ../shared/models/yolov8s.pt");
        return;
    }
    char err[512] = "";
    ModTree *t = pt_load(path, true, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (!t) return;
    EXPECT_EQ_INT(modtree_find(t, "model")->n_children, 23);
    EXPECT_EQ_STR(modtree_find(t, "model.0")->module, "ultralytics.nn.modules.conv");
    EXPECT_EQ_STR(modtree_find(t, "model.22")->module, "ultralytics.nn.modules.head");
    const ModTensor *w = modtree_tensor(modtree_find(t, "model.0.conv"), "weight");
    EXPECT(w && w->dims[0] == 32 && w->dtype == DT_F16 && w->data);
    EXPECT_EQ_INT(t->nc, 80);
    EXPECT(t->n_strides == 3 && t->strides[2] == 32);
    modtree_free(t);
}

static void test_yolo11n_seg(void)
{
    const char *path = shared_path("models/yolo11n-seg.pt");
    if (!path || access(path, R_OK)) {
        SKIP("no ../shared/models/yolo11n-seg.pt");
        return;
    }
    char err[512] = "";
    ModTree *t = pt_load(path, true, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (!t) return;
    EXPECT_EQ_STR(t->root->type, "SegmentationModel");
    EXPECT_EQ_INT(modtree_find(t, "model")->n_children, 24);
    EXPECT_EQ_STR(modtree_find(t, "model.2")->type, "C3k2");
    EXPECT_EQ_STR(modtree_find(t, "model.10")->type, "C2PSA");
    ModNode *attn = modtree_find(t, "model.10.m.0.attn");
    EXPECT(attn && !strcmp(attn->type, "Attention"));
    EXPECT_EQ_INT(modtree_attr_int(attn, "num_heads", 0), 2);
    EXPECT_EQ_INT(modtree_attr_int(attn, "key_dim", 0), 32);
    EXPECT_NEAR(modtree_attr_float(attn, "scale", 0), 0.1767766952966369, 1e-12);
    ModNode *seg = modtree_find(t, "model.23");
    EXPECT(seg && !strcmp(seg->type, "Segment"));
    EXPECT_EQ_INT(modtree_attr_int(seg, "nm", 0), 32);
    EXPECT(modtree_attr(seg, "detect") == NULL); /* getattr(Detect, 'forward'): not a plain attribute */
    EXPECT_EQ_STR(t->names[0], "person");
    {
        int hw[2] = {0, 0}; /* the training imgsz, read by the one rule (engine/core/imgsz) */
        EXPECT(imgsz_from_train_args(t->train_args, t->n_train_args, hw));
        EXPECT(hw[0] == 640 && hw[1] == 640);
    }
    modtree_free(t);
}

static void test_shapes_only_is_small(void)
{
    const char *path = shared_path("models/yolov8s.pt");
    if (!path || access(path, R_OK)) {
        SKIP("no ../shared/models/yolov8s.pt");
        return;
    }
    char err[512] = "";
    ModTree *t = pt_load(path, false, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (!t) return;
    const ModTensor *w = modtree_tensor(modtree_find(t, "model.0.conv"), "weight");
    EXPECT(w && w->data == NULL && w->dims[0] == 32);
    EXPECT(t->n_strides == 3 && t->strides[0] == 8);
    EXPECT_EQ_INT(t->n_blobs, 1); /* only model.stride's storage */
    EXPECT_MSG(arena_bytes(t->arena) < 4u << 20, "tree arena %zu bytes", arena_bytes(t->arena));
    modtree_free(t);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void cleanup(void)
{
    if (tmpdir[0] && nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    RUN(test_missing_file);
    RUN(test_directory);
    RUN(test_empty_file);
    RUN(test_random_bytes);
    RUN(test_truncated_zip);
    RUN(test_zip_without_data_pkl);
    RUN(test_torchscript_is_recognised);
    RUN(test_refuses_os_system);
    RUN(test_refuses_builtins_eval);
    RUN(test_refuses_subprocess_popen);
    RUN(test_refuses_posix_system);
    RUN(test_refuses_ultralytics_functions);
    RUN(test_tensor_past_storage);
    RUN(test_dims_overflow);
    RUN(test_huge_stride_overflow);
    RUN(test_storage_size_mismatch);
    RUN(test_storage_missing);
    RUN(test_truncated_pickle);
    RUN(test_no_model);
    RUN(test_synthetic_checkpoint);
    RUN(test_synthetic_without_data);
    RUN(test_strided_tensor_is_gathered);
    RUN(test_offset_view_points_into_storage);
    RUN(test_ema_and_shared_storage);
    RUN(test_yolov8n);
    RUN(test_yolov8s);
    RUN(test_yolo11n_seg);
    RUN(test_shapes_only_is_small);
    cleanup();
    return check_done();
}
