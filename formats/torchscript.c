/* torchscript: writing the archive (see torchscript.h) — the module's state as a protocol-2
 * pickle, the code from torchscript_code.c, the metadata as Python's json.dumps writes it,
 * all as stored zip entries through libzip, whose output goes through a write source onto
 * an AtomicFile (engine/core/fileio.h): every byte passes fileio_write_all and the file appears
 * under its name only when complete. */
#include "formats/torchscript.h"

#include <errno.h>
#include <inttypes.h>
#include <json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "engine/core/fileio.h"

/* ---- pickle protocol 2, written ---- */

typedef struct {
    Vec b;
    int memo;        /* next memo index */
    int m_rebuild;   /* memo slots of values used by every tensor (-1 until first use) */
    int m_storage_word, m_cpu, m_ordered_dict;
    int m_storage_cls[DT_COUNT];
} Pickler;

static void pk_byte(Pickler *p, uint8_t c) { vec_push(&p->b, 1, &c); }

static void pk_raw(Pickler *p, const void *data, size_t n)
{
    const uint8_t *s = data;
    for (size_t i = 0; i < n; i++) vec_push(&p->b, 1, &s[i]);
}

static void pk_u32(Pickler *p, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    pk_raw(p, b, 4);
}

/* BINPUT / LONG_BINPUT: remember the value on top of the stack; returns its slot. */
static int pk_put(Pickler *p)
{
    int k = p->memo++;
    if (k < 256) {
        pk_byte(p, 'q');
        pk_byte(p, (uint8_t)k);
    } else {
        pk_byte(p, 'r');
        pk_u32(p, (uint32_t)k);
    }
    return k;
}

static void pk_get(Pickler *p, int k)
{
    if (k < 256) {
        pk_byte(p, 'h');
        pk_byte(p, (uint8_t)k);
    } else {
        pk_byte(p, 'j');
        pk_u32(p, (uint32_t)k);
    }
}

static void pk_str(Pickler *p, const char *s)
{
    size_t n = strlen(s);
    pk_byte(p, 'X'); /* BINUNICODE */
    pk_u32(p, (uint32_t)n);
    pk_raw(p, s, n);
}

static void pk_global(Pickler *p, const char *module, const char *name)
{
    pk_byte(p, 'c');
    pk_raw(p, module, strlen(module));
    pk_byte(p, '\n');
    pk_raw(p, name, strlen(name));
    pk_byte(p, '\n');
}

/* A value used many times: written (and memoised) once, fetched from the memo after. */
static void pk_global_memo(Pickler *p, int *slot, const char *module, const char *name)
{
    if (*slot >= 0) return pk_get(p, *slot);
    pk_global(p, module, name);
    *slot = pk_put(p);
}

static void pk_str_memo(Pickler *p, int *slot, const char *s)
{
    if (*slot >= 0) return pk_get(p, *slot);
    pk_str(p, s);
    *slot = pk_put(p);
}

static void pk_int(Pickler *p, int64_t v)
{
    if (v >= 0 && v < 256) {
        pk_byte(p, 'K');
        pk_byte(p, (uint8_t)v);
    } else if (v >= 0 && v < 65536) {
        pk_byte(p, 'M');
        pk_byte(p, (uint8_t)v);
        pk_byte(p, (uint8_t)(v >> 8));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        pk_byte(p, 'J');
        pk_u32(p, (uint32_t)(int32_t)v);
    } else {
        pk_byte(p, 0x8a); /* LONG1: 8 bytes little-endian two's complement */
        pk_byte(p, 8);
        for (int i = 0; i < 8; i++) pk_byte(p, (uint8_t)((uint64_t)v >> (8 * i)));
    }
}

static const struct {
    DType dt;
    const char *storage;
} storage_classes[] = {
    {DT_F32, "FloatStorage"}, {DT_F16, "HalfStorage"},   {DT_F64, "DoubleStorage"}, {DT_BF16, "BFloat16Storage"},
    {DT_I64, "LongStorage"},  {DT_I32, "IntStorage"},    {DT_I16, "ShortStorage"},  {DT_I8, "CharStorage"},
    {DT_U8, "ByteStorage"},   {DT_BOOL, "BoolStorage"},
};

static const char *storage_class(DType dt)
{
    for (size_t i = 0; i < ARRAY_LEN(storage_classes); i++)
        if (storage_classes[i].dt == dt) return storage_classes[i].storage;
    return NULL;
}

/* torch._utils._rebuild_tensor_v2(persistent_id(('storage', <Storage>, key, 'cpu', numel)),
 * 0, size, contiguous stride, False, OrderedDict()) */
static void pk_tensor(Pickler *p, DType dt, const char *key, int rank, const int64_t *dims, int64_t numel)
{
    pk_global_memo(p, &p->m_rebuild, "torch._utils", "_rebuild_tensor_v2");
    pk_byte(p, '(');
    pk_byte(p, '(');
    pk_str_memo(p, &p->m_storage_word, "storage");
    pk_global_memo(p, &p->m_storage_cls[dt], "torch", storage_class(dt));
    pk_str(p, key);
    pk_str_memo(p, &p->m_cpu, "cpu");
    pk_int(p, numel);
    pk_byte(p, 't');
    pk_byte(p, 'Q'); /* BINPERSID */
    pk_int(p, 0);
    int64_t stride[GRAPH_MAX_RANK];
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        stride[i] = s;
        s *= dims[i] > 0 ? dims[i] : 1;
    }
    for (int pass = 0; pass < 2; pass++) {
        if (rank == 0) {
            pk_byte(p, ')');
            continue;
        }
        pk_byte(p, '(');
        for (int i = 0; i < rank; i++) pk_int(p, pass ? stride[i] : dims[i]);
        pk_byte(p, 't');
    }
    pk_byte(p, 0x89); /* NEWFALSE: requires_grad */
    pk_global_memo(p, &p->m_ordered_dict, "collections", "OrderedDict");
    pk_byte(p, ')');
    pk_byte(p, 'R');
    pk_byte(p, 't');
    pk_byte(p, 'R');
}

/* ---- metadata: Python json.dumps formatting ---- */

static void put_text(Vec *v, const char *s)
{
    for (; *s; s++) vec_push(v, 1, s);
}

/* Decode one UTF-8 sequence at s[0..n); length or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || len > n) return 0;
    uint32_t c = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_for_len[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
    *cp = c;
    return len;
}

/* A JSON string as json.dumps (ensure_ascii) writes it. */
static int json_put_string(Vec *v, const char *s, size_t n)
{
    put_text(v, "\"");
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        char buf[16];
        if (c == '"' || c == '\\') {
            buf[0] = '\\', buf[1] = (char)c, buf[2] = 0;
            put_text(v, buf);
            i++;
            continue;
        }
        static const char esc_from[] = "\n\r\t\b\f", esc_to[] = "nrtbf";
        const char *e = c ? strchr(esc_from, c) : NULL;
        if (e) {
            buf[0] = '\\', buf[1] = esc_to[e - esc_from], buf[2] = 0;
            put_text(v, buf);
            i++;
            continue;
        }
        if (c >= 0x20 && c < 0x7f) {
            vec_push(v, 1, &s[i]);
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (!len) return -1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
            snprintf(buf, sizeof buf, "\\u%04x", cp);
        }
        put_text(v, buf);
        i += len;
    }
    put_text(v, "\"");
    return 0;
}

static int json_put_value(Vec *v, json_object *o, int depth)
{
    if (depth > 64) return -1;
    switch (json_object_get_type(o)) {
    case json_type_null: put_text(v, "null"); return 0;
    case json_type_boolean: put_text(v, json_object_get_boolean(o) ? "true" : "false"); return 0;
    case json_type_int:
    case json_type_double:
        /* numbers keep the text they were given (json-c remembers it) */
        put_text(v, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        return 0;
    case json_type_string: return json_put_string(v, json_object_get_string(o), (size_t)json_object_get_string_len(o));
    case json_type_array: {
        put_text(v, "[");
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++) {
            if (i) put_text(v, ", ");
            if (json_put_value(v, json_object_array_get_idx(o, i), depth + 1)) return -1;
        }
        put_text(v, "]");
        return 0;
    }
    case json_type_object: {
        put_text(v, "{");
        bool first = true;
        json_object_object_foreach(o, key, val)
        {
            if (!first) put_text(v, ", ");
            first = false;
            if (json_put_string(v, key, strlen(key))) return -1;
            put_text(v, ": ");
            if (json_put_value(v, val, depth + 1)) return -1;
        }
        put_text(v, "}");
        return 0;
    }
    }
    return -1;
}

char *torchscript_metadata_json(const KeyValue *kv, int n, char *err, size_t errlen)
{
    Vec v = {0};
    put_text(&v, "{");
    for (int i = 0; i < n; i++) {
        const char *key = kv[i].key, *val = kv[i].value;
        if (!key || !*key) {
            vec_free(&v);
            err_set(err, errlen, "metadata entry %d has no key", i + 1);
            return NULL;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(kv[j].key, key)) {
                vec_free(&v);
                err_set(err, errlen, "metadata key '%s' is given twice", key);
                return NULL;
            }
        enum json_tokener_error jerr = json_tokener_success;
        json_object *o = val ? json_tokener_parse_verbose(val, &jerr) : NULL;
        bool is_null_text = val && jerr == json_tokener_success && !o; /* "null" parses to NULL */
        if ((!o && !is_null_text) || jerr != json_tokener_success) {
            vec_free(&v);
            err_set(err, errlen, "metadata '%s': value is not JSON (%s)", key,
                    val ? json_tokener_error_desc(jerr) : "missing");
            return NULL;
        }
        if (i) put_text(&v, ", ");
        int rc = json_put_string(&v, key, strlen(key));
        put_text(&v, ": ");
        if (!rc) {
            if (o) rc = json_put_value(&v, o, 0);
            else put_text(&v, "null");
        }
        json_object_put(o);
        if (rc) {
            vec_free(&v);
            err_set(err, errlen, "metadata '%s': invalid UTF-8 or nesting too deep", key);
            return NULL;
        }
    }
    put_text(&v, "}");
    vec_push(&v, 1, "");
    return v.items;
}

/* ---- the zip, streamed onto an AtomicFile ---- */

typedef struct {
    int fd;
    zip_error_t error;
} FdSink;

/* A libzip source that is a new, empty archive whose bytes go to fd (fileio_write_all). */
static zip_int64_t sink_callback(void *userdata, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    FdSink *s = userdata;
    switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                              ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL,
                                              ZIP_SOURCE_SUPPORTS, ZIP_SOURCE_BEGIN_WRITE, ZIP_SOURCE_COMMIT_WRITE,
                                              ZIP_SOURCE_ROLLBACK_WRITE, ZIP_SOURCE_WRITE, ZIP_SOURCE_SEEK_WRITE,
                                              ZIP_SOURCE_TELL_WRITE, ZIP_SOURCE_REMOVE, -1);
    case ZIP_SOURCE_STAT:
        /* no archive there yet: libzip starts a new one */
        zip_error_set(&s->error, ZIP_ER_READ, ENOENT);
        return -1;
    case ZIP_SOURCE_OPEN:
    case ZIP_SOURCE_CLOSE:
    case ZIP_SOURCE_BEGIN_WRITE:
    case ZIP_SOURCE_COMMIT_WRITE:   /* the caller commits the AtomicFile */
    case ZIP_SOURCE_ROLLBACK_WRITE: /* the caller aborts it */
    case ZIP_SOURCE_REMOVE:
    case ZIP_SOURCE_FREE:
        return 0;
    case ZIP_SOURCE_READ:
    case ZIP_SOURCE_TELL:
    case ZIP_SOURCE_SEEK:
        return 0;
    case ZIP_SOURCE_WRITE:
        if (fileio_write_all(s->fd, data, (size_t)len)) {
            zip_error_set(&s->error, ZIP_ER_WRITE, errno);
            return -1;
        }
        return (zip_int64_t)len;
    case ZIP_SOURCE_SEEK_WRITE: {
        zip_source_args_seek_t *args = ZIP_SOURCE_GET_ARGS(zip_source_args_seek_t, data, len, &s->error);
        if (!args) return -1;
        if (lseek(s->fd, (off_t)args->offset, args->whence) < 0) {
            zip_error_set(&s->error, ZIP_ER_SEEK, errno);
            return -1;
        }
        return 0;
    }
    case ZIP_SOURCE_TELL_WRITE: {
        off_t off = lseek(s->fd, 0, SEEK_CUR);
        if (off < 0) {
            zip_error_set(&s->error, ZIP_ER_TELL, errno);
            return -1;
        }
        return (zip_int64_t)off;
    }
    case ZIP_SOURCE_ERROR: return zip_error_to_data(&s->error, data, len);
    default: zip_error_set(&s->error, ZIP_ER_OPNOTSUPP, 0); return -1;
    }
}

typedef struct {
    zip_t *za;
    const char *prefix;
    char *err;
    size_t errlen;
    const char *path;
} ZipOut;

/* Add a stored entry <prefix>/<name> whose bytes must stay valid until zip_close. */
static int archive_add(ZipOut *z, const char *name, const void *data, size_t len)
{
    char full[1024];
    if ((size_t)snprintf(full, sizeof full, "%s/%s", z->prefix, name) >= sizeof full)
        return err_set(z->err, z->errlen, "%s: entry name too long", z->path);
    zip_source_t *src = zip_source_buffer(z->za, len ? data : "", len, 0);
    if (!src) return err_set(z->err, z->errlen, "%s: %s", z->path, zip_strerror(z->za));
    zip_int64_t idx = zip_file_add(z->za, full, src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
        zip_source_free(src);
        return err_set(z->err, z->errlen, "%s: cannot add %s: %s", z->path, full, zip_strerror(z->za));
    }
    /* stored, with a fixed time (1980-01-01 00:00) so the same model gives the same bytes */
    if (zip_set_file_compression(z->za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) ||
        zip_file_set_dostime(z->za, (zip_uint64_t)idx, 0, (1 << 5) | 1, 0))
        return err_set(z->err, z->errlen, "%s: %s", z->path, zip_strerror(z->za));
    return 0;
}

/* ---- the writer ---- */

typedef struct {
    DType dtype;     /* as stored */
    const void *data;
    size_t bytes;
    int64_t numel;
    void *owned;     /* converted copy, freed after writing */
} Storage;

/* The archive's top folder: the file name without its suffix, made safe. */
static char *archive_name_for(const char *path, const char *given)
{
    const char *base = given;
    size_t n;
    if (base) {
        n = strlen(base);
    } else {
        const char *slash = strrchr(path, '/');
        base = slash ? slash + 1 : path;
        const char *dot = strrchr(base, '.');
        n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    }
    if (n > 200) n = 200;
    char *s = xstrndup(base, n);
    for (char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-' || *p == '.'))
            *p = '_';
    if (!*s || !strcmp(s, ".") || !strcmp(s, "..")) {
        free(s);
        s = xstrdup("model");
    }
    return s;
}

/* What one attribute's storage holds: floats as float32 or float16 (half), the rest as is. */
static int prepare_storage(const Tensor *X, bool half, Storage *st, char *err, size_t errlen)
{
    int64_t numel = tensor_numel(X);
    size_t es = dtype_size(X->dtype), need;
    if (numel < 0 || !es || !size_mul((size_t)numel, es, &need))
        return err_set(err, errlen, "tensor '%s' has an unknown or invalid shape", X->name);
    if (!X->data) return err_set(err, errlen, "tensor '%s' has no data (the model was loaded for browsing only)", X->name);
    if (X->nbytes < need)
        return err_set(err, errlen, "tensor '%s' holds %zu bytes, its shape needs %zu", X->name, X->nbytes, need);
    bool is_float = X->dtype == DT_F32 || X->dtype == DT_F16 || X->dtype == DT_F64 || X->dtype == DT_BF16;
    DType want = is_float ? (half ? DT_F16 : DT_F32) : X->dtype;
    if (!storage_class(want)) return err_set(err, errlen, "tensor '%s': %s has no torch storage", X->name, dtype_name(want));
    st->numel = numel;
    st->dtype = want;
    if (want == X->dtype) {
        st->data = X->data;
        st->bytes = need;
        return 0;
    }
    size_t out_bytes = (size_t)numel * dtype_size(want);
    uint8_t *buf = xmalloc(out_bytes ? out_bytes : 1);
    const uint8_t *src = X->data;
    for (int64_t i = 0; i < numel; i++) {
        float f;
        switch (X->dtype) {
        case DT_F32: memcpy(&f, src + 4 * i, 4); break;
        case DT_F64: { double d; memcpy(&d, src + 8 * i, 8); f = (float)d; break; }
        case DT_F16: { uint16_t h; memcpy(&h, src + 2 * i, 2); f = half_to_float(h); break; }
        default: { uint16_t h; memcpy(&h, src + 2 * i, 2); f = bf16_to_float(h); break; }
        }
        if (want == DT_F16) {
            uint16_t h = float_to_half(f);
            if (isfinite(f) && (h & 0x7c00) == 0x7c00) {
                free(buf);
                return err_set(err, errlen, "tensor '%s' has a value (%g) beyond the float16 range", X->name, (double)f);
            }
            memcpy(buf + 2 * i, &h, 2);
        } else {
            memcpy(buf + 4 * i, &f, 4);
        }
    }
    st->owned = buf;
    st->data = buf;
    st->bytes = out_bytes;
    return 0;
}

int torchscript_write(const Graph *g, const TorchScriptOptions *opt, const char *path, char *err, size_t errlen)
{
    TorchScriptOptions dflt = {0};
    if (!opt) opt = &dflt;
    if (!path || !*path) return err_set(err, errlen, "no output path");
    char e[600];
    TorchScriptModule m;
    if (torchscript_codegen(g, &m, e, sizeof e)) return err_set(err, errlen, "%s: %s", path, e);
    char *meta = torchscript_metadata_json(opt->metadata, opt->n_metadata, e, sizeof e);
    if (!meta) {
        torchscript_module_free(&m);
        return err_set(err, errlen, "%s: %s", path, e);
    }
    int rc = -1;
    char *prefix = archive_name_for(path, opt->archive_name);
    Storage *st = xcalloc((size_t)m.n_attrs + 1, sizeof *st);
    Pickler pk = {.m_rebuild = -1, .m_storage_word = -1, .m_cpu = -1, .m_ordered_dict = -1};
    for (int i = 0; i < DT_COUNT; i++) pk.m_storage_cls[i] = -1;
    AtomicFile *af = NULL;
    zip_t *za = NULL;
    FdSink sink = {.fd = -1};
    for (int i = 0; i < m.n_attrs; i++)
        if (prepare_storage(&g->tensors[m.attrs[i].tensor], opt->half, &st[i], e, sizeof e)) {
            err_set(err, errlen, "%s: %s", path, e);
            goto out;
        }

    /* data.pkl: the module object and its state */
    pk_byte(&pk, 0x80);
    pk_byte(&pk, 2);
    char cls_module[64];
    snprintf(cls_module, sizeof cls_module, "%s", TORCHSCRIPT_MODULE);
    pk_global(&pk, cls_module, m.class_name);
    pk_put(&pk);
    pk_byte(&pk, ')');
    pk_byte(&pk, 0x81); /* NEWOBJ */
    pk_byte(&pk, '}');
    pk_put(&pk);
    pk_byte(&pk, '(');
    pk_str(&pk, "training");
    pk_byte(&pk, 0x89);
    for (int i = 0; i < m.n_attrs; i++) {
        if (i && i % 1000 == 0) { /* SETITEMS in batches, as Python's pickler does */
            pk_byte(&pk, 'u');
            pk_byte(&pk, '(');
        }
        const Tensor *X = &g->tensors[m.attrs[i].tensor];
        char key[32];
        snprintf(key, sizeof key, "%d", i);
        pk_str(&pk, m.attrs[i].name);
        pk_tensor(&pk, st[i].dtype, key, X->rank, X->dims, st[i].numel);
    }
    pk_byte(&pk, 'u');
    pk_byte(&pk, 'b'); /* BUILD */
    pk_byte(&pk, '.');

    if (!(af = fileio_open_atomic(path, err, errlen))) goto out;
    sink.fd = af->fd;
    zip_error_init(&sink.error);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_function_create(sink_callback, &sink, &ze);
    if (src) {
        za = zip_open_from_source(src, ZIP_CREATE | ZIP_TRUNCATE, &ze);
        if (!za) zip_source_free(src);
    }
    if (!za) {
        err_set(err, errlen, "%s: cannot start the archive: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        goto out;
    }
    zip_error_fini(&ze);
    ZipOut z = {.za = za, .prefix = prefix, .err = err, .errlen = errlen, .path = path};
    static const uint8_t empty_tuple_pickle[] = {0x80, 2, ')', '.'};
    char version[8];
    snprintf(version, sizeof version, "%d\n", m.version);
    if (archive_add(&z, "extra/config.txt", meta, strlen(meta))) goto out;
    for (int i = 0; i < m.n_attrs; i++) {
        char key[48];
        snprintf(key, sizeof key, "data/%d", i);
        if (archive_add(&z, key, st[i].data, st[i].bytes)) goto out;
    }
    if (archive_add(&z, "data.pkl", pk.b.items, pk.b.len) || archive_add(&z, TORCHSCRIPT_CODE_FILE, m.code, strlen(m.code)) ||
        archive_add(&z, "constants.pkl", empty_tuple_pickle, sizeof empty_tuple_pickle) ||
        archive_add(&z, "version", version, strlen(version)))
        goto out;
    if (zip_close(za) != 0) {
        err_set(err, errlen, "%s: %s", path, zip_strerror(za));
        goto out;
    }
    za = NULL;
    rc = fileio_commit(af, err, errlen);
    af = NULL;
out:
    if (za) zip_discard(za);
    if (af) fileio_abort(af);
    if (sink.fd >= 0) zip_error_fini(&sink.error);
    for (int i = 0; i < m.n_attrs; i++) free(st[i].owned);
    free(st);
    vec_free(&pk.b);
    free(prefix);
    free(meta);
    torchscript_module_free(&m);
    return rc;
}
