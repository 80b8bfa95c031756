/* flatbuf: FlatBuffers builder (back to front, shared vtables) and a bounds-checked
 * reader and schema-driven verifier.  See flatbuf.h for the wire format and the rules. */
#include "formats/flatbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"

#define FB_MAX_SIZE 0x7fffffffu /* flatbuffers address with signed 32-bit offsets */

/* ================================================================ builder */

void fb_builder_init(FbBuilder *b) { memset(b, 0, sizeof *b); }

void fb_builder_free(FbBuilder *b)
{
    free(b->buf);
    free(b->field_pos);
    free(b->vtables);
    memset(b, 0, sizeof *b);
}

/* Room for n more bytes in front of the data (the data moves to the end of a larger block). */
static bool fb_reserve(FbBuilder *b, size_t n)
{
    if (b->overflow) return false;
    if (n > FB_MAX_SIZE || b->size + n > FB_MAX_SIZE) {
        b->overflow = true;
        return false;
    }
    if (b->cap - b->size >= n) return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->size < n) cap = cap * 2 > FB_MAX_SIZE + 1024u ? FB_MAX_SIZE + 1024u : cap * 2;
    uint8_t *nb = xmalloc(cap);
    if (b->size) memcpy(nb + cap - b->size, b->buf + b->cap - b->size, b->size);
    free(b->buf);
    b->buf = nb;
    b->cap = cap;
    return true;
}

static void fb_push(FbBuilder *b, const void *data, size_t n)
{
    if (!fb_reserve(b, n)) return;
    b->size += n;
    if (data) memcpy(b->buf + b->cap - b->size, data, n);
    else memset(b->buf + b->cap - b->size, 0, n);
}

/* Pad so that, once `additional` more bytes are pushed, the position is a multiple of align. */
static void fb_prep(FbBuilder *b, size_t align, size_t additional)
{
    if (align > b->minalign) b->minalign = align;
    size_t pad = (~(b->size + additional) + 1) & (align - 1);
    if (pad) fb_push(b, NULL, pad);
}

FbRef fb_create_string(FbBuilder *b, const char *s, size_t len)
{
    if (b->in_table) b->overflow = true; /* misuse: refs created inside a table would land in it */
    if (len > FB_MAX_SIZE) {
        b->overflow = true;
        return 0;
    }
    fb_prep(b, 4, len + 1);
    fb_push(b, NULL, 1);
    fb_push(b, s, len);
    uint32_t n = (uint32_t)len;
    fb_push(b, &n, 4);
    return b->overflow ? 0 : (FbRef)b->size;
}

FbRef fb_create_vector(FbBuilder *b, const void *data, size_t n, size_t elem_size, size_t align)
{
    if (b->in_table) b->overflow = true;
    size_t bytes;
    if (!size_mul(n, elem_size, &bytes) || bytes > FB_MAX_SIZE || n > UINT32_MAX) {
        b->overflow = true;
        return 0;
    }
    if (align < 1) align = 1;
    fb_prep(b, 4, bytes);
    fb_prep(b, align, bytes);
    fb_push(b, data, bytes);
    uint32_t count = (uint32_t)n;
    fb_push(b, &count, 4);
    return b->overflow ? 0 : (FbRef)b->size;
}

FbRef fb_create_ref_vector(FbBuilder *b, const FbRef *refs, size_t n)
{
    if (b->in_table) b->overflow = true;
    if (n > FB_MAX_SIZE / 4) {
        b->overflow = true;
        return 0;
    }
    fb_prep(b, 4, n * 4);
    for (size_t i = n; i-- > 0;) {
        if (!refs[i] || refs[i] > b->size) b->overflow = true;
        uint32_t off = (uint32_t)(b->size + 4 - refs[i]);
        fb_push(b, &off, 4);
    }
    uint32_t count = (uint32_t)n;
    fb_push(b, &count, 4);
    return b->overflow ? 0 : (FbRef)b->size;
}

void fb_table_start(FbBuilder *b)
{
    if (b->in_table) b->overflow = true;
    b->in_table = true;
    b->table_start = b->size;
    b->n_fields = 0;
}

static void fb_field_mark(FbBuilder *b, int id)
{
    if (id < 0 || id > 0x7ffe) {
        b->overflow = true;
        return;
    }
    if (id >= b->cap_fields) {
        int cap = b->cap_fields ? b->cap_fields : 16;
        while (cap <= id) cap *= 2;
        b->field_pos = xrealloc(b->field_pos, (size_t)cap * sizeof *b->field_pos);
        b->cap_fields = cap;
    }
    for (int i = b->n_fields; i <= id; i++) b->field_pos[i] = 0;
    if (id >= b->n_fields) b->n_fields = id + 1;
    if (b->field_pos[id]) b->overflow = true; /* a field added twice */
    b->field_pos[id] = (uint32_t)b->size;
}

static void fb_add_scalar(FbBuilder *b, int id, const void *v, size_t size)
{
    if (!b->in_table) {
        b->overflow = true;
        return;
    }
    fb_prep(b, size, 0);
    fb_push(b, v, size);
    fb_field_mark(b, id);
}

#define FB_ADD(fn, T)                                                                              \
    void fn(FbBuilder *b, int id, T v, T dflt)                                                     \
    {                                                                                              \
        if (memcmp(&v, &dflt, sizeof v) != 0) fb_add_scalar(b, id, &v, sizeof v);                  \
    }
FB_ADD(fb_add_u8, uint8_t)
FB_ADD(fb_add_i8, int8_t)
FB_ADD(fb_add_u16, uint16_t)
FB_ADD(fb_add_i16, int16_t)
FB_ADD(fb_add_u32, uint32_t)
FB_ADD(fb_add_i32, int32_t)
FB_ADD(fb_add_u64, uint64_t)
FB_ADD(fb_add_i64, int64_t)
FB_ADD(fb_add_f32, float)
FB_ADD(fb_add_f64, double)
#undef FB_ADD

void fb_add_bool(FbBuilder *b, int id, bool v, bool dflt)
{
    if (v != dflt) {
        uint8_t u = v ? 1 : 0;
        fb_add_scalar(b, id, &u, 1);
    }
}

void fb_add_ref(FbBuilder *b, int id, FbRef ref)
{
    if (!ref) return;
    if (!b->in_table || ref > b->size) {
        b->overflow = true;
        return;
    }
    fb_prep(b, 4, 0);
    uint32_t off = (uint32_t)(b->size + 4 - ref);
    fb_push(b, &off, 4);
    fb_field_mark(b, id);
}

void fb_add_struct(FbBuilder *b, int id, const void *data, size_t size, size_t align)
{
    if (!b->in_table) {
        b->overflow = true;
        return;
    }
    fb_prep(b, align ? align : 1, size);
    fb_push(b, data, size);
    fb_field_mark(b, id);
}

FbRef fb_table_end(FbBuilder *b)
{
    if (!b->in_table) {
        b->overflow = true;
        return 0;
    }
    fb_prep(b, 4, 0);
    int32_t zero = 0;
    fb_push(b, &zero, 4);
    if (b->overflow) {
        b->in_table = false;
        return 0;
    }
    size_t table_pos = b->size;
    size_t tbl_size = table_pos - b->table_start;
    int nf = b->n_fields;
    size_t vt_size = 4 + 2 * (size_t)nf;
    if (tbl_size > 0xffff || vt_size > 0xffff) {
        b->overflow = true;
        b->in_table = false;
        return 0;
    }
    uint16_t *vt = xmalloc(vt_size);
    vt[0] = (uint16_t)vt_size;
    vt[1] = (uint16_t)tbl_size;
    for (int i = 0; i < nf; i++) vt[2 + i] = b->field_pos[i] ? (uint16_t)(table_pos - b->field_pos[i]) : 0;

    size_t vt_pos = 0;
    for (int i = 0; i < b->n_vtables && !vt_pos; i++) {
        const uint8_t *p = b->buf + b->cap - b->vtables[i];
        uint16_t sz;
        memcpy(&sz, p, 2);
        if (sz == vt_size && memcmp(p, vt, vt_size) == 0) vt_pos = b->vtables[i];
    }
    if (!vt_pos) {
        fb_push(b, vt, vt_size);
        vt_pos = b->size;
        if (!b->overflow) {
            if (b->n_vtables == b->cap_vtables) {
                b->cap_vtables = b->cap_vtables ? b->cap_vtables * 2 : 32;
                b->vtables = xrealloc(b->vtables, (size_t)b->cap_vtables * sizeof *b->vtables);
            }
            b->vtables[b->n_vtables++] = (uint32_t)vt_pos;
        }
    }
    free(vt);
    b->in_table = false;
    b->n_fields = 0;
    if (b->overflow) return 0;
    /* vtable = table - soffset, in addresses: table at cap - table_pos, vtable at cap - vt_pos */
    int32_t soff = (int32_t)((int64_t)vt_pos - (int64_t)table_pos);
    memcpy(b->buf + b->cap - table_pos, &soff, 4);
    return (FbRef)table_pos;
}

int fb_finish(FbBuilder *b, FbRef root, const char *file_id, char *err, size_t errlen)
{
    if (b->in_table) return err_set(err, errlen, "flatbuffer: a table was left open");
    if (!root || root > b->size) return err_set(err, errlen, "flatbuffer: no root table");
    if (file_id && strlen(file_id) != 4) return err_set(err, errlen, "flatbuffer: a file identifier has 4 characters");
    size_t minalign = b->minalign < 4 ? 4 : b->minalign;
    fb_prep(b, minalign, 4 + (file_id ? 4 : 0));
    if (file_id) fb_push(b, file_id, 4);
    fb_prep(b, 4, 0);
    uint32_t off = (uint32_t)(b->size + 4 - root);
    fb_push(b, &off, 4);
    if (b->overflow) return err_set(err, errlen, "flatbuffer: the buffer would exceed 2 GiB (or was built out of order)");
    b->finished = true;
    return 0;
}

const uint8_t *fb_builder_data(const FbBuilder *b, size_t *len)
{
    *len = b->finished ? b->size : 0;
    return b->finished ? b->buf + b->cap - b->size : NULL;
}

uint8_t *fb_builder_take(FbBuilder *b, size_t *len)
{
    if (!b->finished) {
        *len = 0;
        return NULL;
    }
    uint8_t *out;
    if (b->cap == b->size) {
        out = b->buf;
        b->buf = NULL;
    } else {
        out = xmalloc(b->size ? b->size : 1);
        memcpy(out, b->buf + b->cap - b->size, b->size);
    }
    *len = b->size;
    fb_builder_free(b);
    return out;
}

/* ================================================================ reading */

static bool rd_u32(const uint8_t *buf, size_t len, uint64_t pos, uint32_t *out)
{
    if (pos > len || len - pos < 4) return false;
    memcpy(out, buf + pos, 4);
    return true;
}

static bool rd_u16(const uint8_t *buf, size_t len, uint64_t pos, uint16_t *out)
{
    if (pos > len || len - pos < 2) return false;
    memcpy(out, buf + pos, 2);
    return true;
}

/* A table's vtable and inline size: false when out of range. */
static bool table_vtable(const uint8_t *buf, size_t len, uint64_t pos, uint64_t *vt, uint16_t *vt_size,
                         uint16_t *tbl_size)
{
    uint32_t soff_u;
    if (!rd_u32(buf, len, pos, &soff_u)) return false;
    int64_t v = (int64_t)pos - (int64_t)(int32_t)soff_u;
    if (v < 0) return false;
    if (!rd_u16(buf, len, (uint64_t)v, vt_size) || !rd_u16(buf, len, (uint64_t)v + 2, tbl_size)) return false;
    if (*vt_size < 4 || (*vt_size & 1) || (uint64_t)v + *vt_size > len) return false;
    if (*tbl_size < 4 || pos + *tbl_size > len) return false;
    *vt = (uint64_t)v;
    return true;
}

/* The absolute position of field id of table t holding size bytes, or 0 when absent/out of range. */
static uint64_t field_at(FbTable t, int id, size_t size)
{
    if (!t.pos || !t.buf || id < 0) return 0;
    uint64_t vt;
    uint16_t vt_size, tbl_size;
    if (!table_vtable(t.buf, t.len, t.pos, &vt, &vt_size, &tbl_size)) return 0;
    uint64_t slot = 4 + 2 * (uint64_t)id;
    if (slot + 2 > vt_size) return 0;
    uint16_t off;
    memcpy(&off, t.buf + vt + slot, 2);
    if (off < 4 || (uint64_t)off + size > tbl_size) return 0;
    return t.pos + off;
}

/* Follow the uoffset at pos: the target, or 0 when it points at itself or out of the buffer. */
static uint64_t deref(const uint8_t *buf, size_t len, uint64_t pos)
{
    uint32_t off;
    if (!rd_u32(buf, len, pos, &off) || off == 0) return 0;
    uint64_t target = pos + off;
    return target < len ? target : 0;
}

FbTable fb_root(const uint8_t *buf, size_t len)
{
    FbTable t = {buf, len, 0};
    uint64_t p = deref(buf, len, 0);
    uint64_t vt;
    uint16_t a, b;
    if (p && table_vtable(buf, len, p, &vt, &a, &b)) t.pos = (uint32_t)p;
    return t;
}

bool fb_has_identifier(const uint8_t *buf, size_t len, const char *file_id)
{
    return file_id && len >= 8 && memcmp(buf + 4, file_id, 4) == 0;
}

bool fb_table_has(FbTable t, int id) { return field_at(t, id, 0) != 0; }

#define FB_GET(fn, T)                                                                              \
    T fn(FbTable t, int id, T dflt)                                                                \
    {                                                                                              \
        uint64_t p = field_at(t, id, sizeof(T));                                                   \
        if (!p) return dflt;                                                                       \
        T v;                                                                                       \
        memcpy(&v, t.buf + p, sizeof v);                                                           \
        return v;                                                                                  \
    }
FB_GET(fb_table_u8, uint8_t)
FB_GET(fb_table_i8, int8_t)
FB_GET(fb_table_u16, uint16_t)
FB_GET(fb_table_i16, int16_t)
FB_GET(fb_table_u32, uint32_t)
FB_GET(fb_table_i32, int32_t)
FB_GET(fb_table_u64, uint64_t)
FB_GET(fb_table_i64, int64_t)
FB_GET(fb_table_f32, float)
FB_GET(fb_table_f64, double)
#undef FB_GET

bool fb_table_bool(FbTable t, int id, bool dflt) { return fb_table_u8(t, id, dflt ? 1 : 0) != 0; }

static FbTable table_at(const uint8_t *buf, size_t len, uint64_t p)
{
    FbTable t = {buf, len, 0};
    uint64_t vt;
    uint16_t a, b;
    if (p && table_vtable(buf, len, p, &vt, &a, &b)) t.pos = (uint32_t)p;
    return t;
}

FbTable fb_table_table(FbTable t, int id)
{
    uint64_t p = field_at(t, id, 4);
    return table_at(t.buf, t.len, p ? deref(t.buf, t.len, p) : 0);
}

static FbVector vector_at(const uint8_t *buf, size_t len, uint64_t p, size_t elem_size)
{
    FbVector v = {buf, len, 0, 0};
    uint32_t n;
    if (!p || !rd_u32(buf, len, p, &n)) return v;
    if ((uint64_t)n * elem_size > len - p - 4) return v;
    v.pos = (uint32_t)(p + 4);
    v.n = n;
    return v;
}

FbVector fb_table_vector(FbTable t, int id, size_t elem_size)
{
    uint64_t p = field_at(t, id, 4);
    return vector_at(t.buf, t.len, p ? deref(t.buf, t.len, p) : 0, elem_size);
}

static const char *string_at(const uint8_t *buf, size_t len, uint64_t p, uint32_t *slen)
{
    FbVector v = vector_at(buf, len, p, 1);
    if (!v.pos || (uint64_t)v.pos + v.n >= len) return NULL; /* room for the NUL */
    if (slen) *slen = v.n;
    return (const char *)buf + v.pos;
}

const char *fb_table_string(FbTable t, int id, uint32_t *len)
{
    uint64_t p = field_at(t, id, 4);
    return string_at(t.buf, t.len, p ? deref(t.buf, t.len, p) : 0, len);
}

const uint8_t *fb_table_struct(FbTable t, int id, size_t size)
{
    uint64_t p = field_at(t, id, size);
    return p ? t.buf + p : NULL;
}

FbTable fb_vec_table(FbVector v, uint32_t i)
{
    if (!v.pos || i >= v.n) return (FbTable){v.buf, v.len, 0};
    uint64_t e = (uint64_t)v.pos + 4 * (uint64_t)i;
    return table_at(v.buf, v.len, deref(v.buf, v.len, e));
}

const char *fb_vec_string(FbVector v, uint32_t i, uint32_t *len)
{
    if (!v.pos || i >= v.n) return NULL;
    uint64_t e = (uint64_t)v.pos + 4 * (uint64_t)i;
    return string_at(v.buf, v.len, deref(v.buf, v.len, e), len);
}

static bool vec_elem(FbVector v, uint32_t i, size_t size, void *out)
{
    if (!v.pos || i >= v.n) return false;
    uint64_t e = (uint64_t)v.pos + size * (uint64_t)i;
    if (e + size > v.len) return false;
    memcpy(out, v.buf + e, size);
    return true;
}

uint8_t fb_vec_u8(FbVector v, uint32_t i)
{
    uint8_t x = 0;
    vec_elem(v, i, 1, &x);
    return x;
}
int32_t fb_vec_i32(FbVector v, uint32_t i)
{
    int32_t x = 0;
    vec_elem(v, i, 4, &x);
    return x;
}
uint32_t fb_vec_u32(FbVector v, uint32_t i)
{
    uint32_t x = 0;
    vec_elem(v, i, 4, &x);
    return x;
}
int64_t fb_vec_i64(FbVector v, uint32_t i)
{
    int64_t x = 0;
    vec_elem(v, i, 8, &x);
    return x;
}
float fb_vec_f32(FbVector v, uint32_t i)
{
    float x = 0;
    vec_elem(v, i, 4, &x);
    return x;
}

const uint8_t *fb_vec_data(FbVector v, size_t elem_size)
{
    if (!v.pos) return NULL;
    if ((uint64_t)v.pos + (uint64_t)v.n * elem_size > v.len) return NULL;
    return v.buf + v.pos;
}

/* ================================================================ verifier */

typedef enum { OBJ_VTABLE, OBJ_TABLE, OBJ_VECTOR, OBJ_STRING } ObjKind;

typedef struct {
    uint64_t start, end;
    int kind;
} FbObject;

typedef struct {
    const uint8_t *buf;
    size_t len;
    int max_depth;
    size_t max_objects, n_visits;
    FbObject *objs;
    size_t n_objs, cap_objs;
    char path[512];
    size_t path_len;
    char *err;
    size_t errlen;
} Verifier;

static int vfail(Verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vfail(Verifier *v, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* a deep path keeps its end, where the problem is */
    const char *path = v->path_len ? v->path : "root";
    size_t plen = strlen(path);
    return err_set(v->err, v->errlen, "%s%s: %s", plen > 120 ? "..." : "", plen > 120 ? path + plen - 117 : path, msg);
}

static size_t path_push(Verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(Verifier *v, const char *fmt, ...)
{
    size_t old = v->path_len;
    if (old < sizeof v->path - 1) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(v->path + old, sizeof v->path - old, fmt, ap);
        va_end(ap);
        if (n > 0) v->path_len = old + (size_t)n < sizeof v->path - 1 ? old + (size_t)n : sizeof v->path - 1;
    }
    return old;
}

static void path_pop(Verifier *v, size_t old)
{
    v->path_len = old;
    v->path[old] = 0;
}

static int record(Verifier *v, uint64_t start, uint64_t end, int kind)
{
    if (++v->n_visits > v->max_objects)
        return vfail(v, "more than %zu objects (shared references expanding without end?)", v->max_objects);
    if (v->n_objs == v->cap_objs) {
        v->cap_objs = v->cap_objs ? v->cap_objs * 2 : 256;
        v->objs = xrealloc(v->objs, v->cap_objs * sizeof *v->objs);
    }
    v->objs[v->n_objs++] = (FbObject){start, end, kind};
    return 0;
}

/* The target of the uoffset at pos, checked; 0 + message on failure. */
static uint64_t vderef(Verifier *v, uint64_t pos, int *rc)
{
    uint32_t off;
    *rc = 0;
    if (!rd_u32(v->buf, v->len, pos, &off)) {
        *rc = vfail(v, "offset at %llu runs past the end of the buffer (%zu bytes)", (unsigned long long)pos, v->len);
        return 0;
    }
    if (off == 0) {
        *rc = vfail(v, "offset at %llu refers to itself (a cyclic reference)", (unsigned long long)pos);
        return 0;
    }
    uint64_t target = pos + off;
    if (target >= v->len) {
        *rc = vfail(v, "offset %u at %llu points past the end of the buffer (%zu bytes)", off, (unsigned long long)pos,
                    v->len);
        return 0;
    }
    return target;
}

static int verify_vector(Verifier *v, uint64_t p, size_t elem, bool is_string, uint32_t *n_out)
{
    uint32_t n;
    if (!rd_u32(v->buf, v->len, p, &n))
        return vfail(v, "%s length at %llu runs past the end of the buffer", is_string ? "string" : "vector",
                     (unsigned long long)p);
    uint64_t bytes = (uint64_t)n * elem + (is_string ? 1 : 0);
    if (bytes > v->len - p - 4)
        return vfail(v, "%s of %u %s at %llu runs past the end of the buffer (%zu bytes)",
                     is_string ? "string" : "vector", n, is_string ? "bytes" : "elements", (unsigned long long)p,
                     v->len);
    if (is_string && v->buf[p + 4 + n] != 0) return vfail(v, "string at %llu is not NUL-terminated", (unsigned long long)p);
    *n_out = n;
    return record(v, p, p + 4 + bytes, is_string ? OBJ_STRING : OBJ_VECTOR);
}

static int verify_table(Verifier *v, uint64_t p, const FbTableDef *def, int depth);

static int verify_ref_table(Verifier *v, uint64_t at, const FbTableDef *def, int depth)
{
    int rc;
    uint64_t t = vderef(v, at, &rc);
    if (rc) return rc;
    return verify_table(v, t, def, depth);
}

static int verify_field(Verifier *v, uint64_t tpos, uint64_t fpos, uint16_t off, uint16_t tbl_size,
                        const FbFieldDef *f, int depth)
{
    size_t inline_size = f->kind == FB_FIELD_SCALAR || f->kind == FB_FIELD_STRUCT ? (size_t)f->size : 4;
    if (off < 4 || (uint64_t)off + inline_size > tbl_size)
        return vfail(v, "field at offset %u (%zu bytes) lies outside its table (%u bytes)", off, inline_size, tbl_size);
    (void)tpos;
    int rc = 0;
    uint32_t n = 0;
    uint64_t target;
    switch (f->kind) {
    case FB_FIELD_SCALAR:
    case FB_FIELD_STRUCT:
        return 0;
    case FB_FIELD_STRING:
        target = vderef(v, fpos, &rc);
        return rc ? rc : verify_vector(v, target, 1, true, &n);
    case FB_FIELD_TABLE:
        return verify_ref_table(v, fpos, f->table, depth + 1);
    case FB_FIELD_UNION:
        return 0; /* verify_table handles unions: it reads the type field */
    case FB_FIELD_VEC_SCALAR:
        target = vderef(v, fpos, &rc);
        return rc ? rc : verify_vector(v, target, (size_t)f->size, false, &n);
    case FB_FIELD_VEC_STRING:
    case FB_FIELD_VEC_TABLE:
        target = vderef(v, fpos, &rc);
        if (rc || (rc = verify_vector(v, target, 4, false, &n))) return rc;
        for (uint32_t i = 0; i < n; i++) {
            size_t old = path_push(v, "[%u]", i);
            uint64_t e = target + 4 + 4 * (uint64_t)i;
            if (f->kind == FB_FIELD_VEC_TABLE) {
                rc = verify_ref_table(v, e, f->table, depth + 1);
            } else {
                uint64_t s = vderef(v, e, &rc);
                uint32_t sn;
                if (!rc) rc = verify_vector(v, s, 1, true, &sn);
            }
            if (rc) return rc;
            path_pop(v, old);
        }
        return 0;
    }
    return 0;
}

static int verify_table(Verifier *v, uint64_t p, const FbTableDef *def, int depth)
{
    if (depth > v->max_depth) return vfail(v, "tables nested deeper than %d", v->max_depth);
    uint32_t soff_u;
    if (!rd_u32(v->buf, v->len, p, &soff_u))
        return vfail(v, "%s table at %llu runs past the end of the buffer", def ? def->name : "a",
                     (unsigned long long)p);
    int64_t vt = (int64_t)p - (int64_t)(int32_t)soff_u;
    uint16_t vt_size, tbl_size;
    if (vt < 0 || !rd_u16(v->buf, v->len, (uint64_t)vt, &vt_size) || !rd_u16(v->buf, v->len, (uint64_t)vt + 2, &tbl_size))
        return vfail(v, "vtable of the table at %llu lies outside the buffer", (unsigned long long)p);
    if (vt_size < 4 || (vt_size & 1) || (uint64_t)vt + vt_size > v->len)
        return vfail(v, "vtable at %lld has a bad size %u", (long long)vt, vt_size);
    if (tbl_size < 4 || p + tbl_size > v->len)
        return vfail(v, "table at %llu (%u bytes) runs past the end of the buffer", (unsigned long long)p, tbl_size);
    int rc = record(v, (uint64_t)vt, (uint64_t)vt + vt_size, OBJ_VTABLE);
    if (rc || (rc = record(v, p, p + tbl_size, OBJ_TABLE))) return rc;
    if (!def) return 0;
    int nslots = (vt_size - 4) / 2;
    for (int k = 0; k < def->n_fields; k++) {
        const FbFieldDef *f = &def->fields[k];
        if (f->id >= nslots) continue;
        uint16_t off;
        memcpy(&off, v->buf + vt + 4 + 2 * f->id, 2);
        if (!off) continue;
        size_t old = path_push(v, "%s%s", v->path_len ? "." : "", f->name);
        if (f->kind == FB_FIELD_UNION) {
            if (off < 4 || (uint64_t)off + 4 > tbl_size) {
                rc = vfail(v, "field at offset %u lies outside its table (%u bytes)", off, tbl_size);
            } else {
                uint8_t type = 0;
                uint16_t toff = 0;
                if (f->id >= 1 && f->id - 1 < nslots) memcpy(&toff, v->buf + vt + 4 + 2 * (f->id - 1), 2);
                if (toff >= 4 && toff < tbl_size) type = v->buf[p + toff];
                const FbTableDef *ut = type < f->n_union_tables ? f->union_tables[type] : NULL;
                if (ut) {
                    rc = verify_ref_table(v, p + off, ut, depth + 1);
                } else {
                    int r2;
                    (void)vderef(v, p + off, &r2);
                    rc = r2;
                }
            }
        } else {
            rc = verify_field(v, p, p + off, off, tbl_size, f, depth);
        }
        if (rc) return rc;
        path_pop(v, old);
    }
    return 0;
}

static int obj_cmp(const void *a, const void *b)
{
    const FbObject *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return x->kind - y->kind;
}

static const char *obj_name(int kind)
{
    static const char *const names[] = {"vtable", "table", "vector", "string"};
    return kind >= 0 && kind < 4 ? names[kind] : "object";
}

int fb_verify(const uint8_t *buf, size_t len, const FbTableDef *root_def, const char *file_id,
              const FbLimits *limits, char *err, size_t errlen)
{
    if (!buf || len < 8) return err_set(err, errlen, "too short for a flatbuffer (%zu bytes)", len);
    if (len > FB_MAX_SIZE) return err_set(err, errlen, "larger than a flatbuffer can be (%zu bytes)", len);
    if (file_id && memcmp(buf + 4, file_id, 4) != 0) return err_set(err, errlen, "no \"%.4s\" file identifier", file_id);
    Verifier v = {.buf = buf, .len = len, .err = err, .errlen = errlen};
    v.max_depth = limits && limits->max_depth > 0 ? limits->max_depth : 64;
    v.max_objects = limits && limits->max_objects > 0 ? limits->max_objects : (size_t)1 << 22;
    uint32_t root;
    memcpy(&root, buf, 4);
    int rc;
    if (root < 4 || root >= len) {
        rc = err_set(err, errlen, "root offset %u lies outside the buffer (%zu bytes)", root, len);
    } else {
        size_t old = path_push(&v, "%s", root_def ? root_def->name : "root");
        rc = verify_table(&v, root, root_def, 1);
        path_pop(&v, old);
    }
    if (!rc && v.n_objs > 1) {
        qsort(v.objs, v.n_objs, sizeof *v.objs, obj_cmp);
        const FbObject *prev = &v.objs[0];
        uint64_t max_end = prev->end;
        for (size_t i = 1; i < v.n_objs && !rc; i++) {
            const FbObject *o = &v.objs[i];
            if (o->start == prev->start && o->end == prev->end && o->kind == prev->kind) continue; /* shared */
            if (o->start < max_end)
                rc = err_set(err, errlen, "%s at %llu..%llu overlaps %s at %llu..%llu", obj_name(o->kind),
                             (unsigned long long)o->start, (unsigned long long)o->end, obj_name(prev->kind),
                             (unsigned long long)prev->start, (unsigned long long)prev->end);
            if (o->end > max_end) max_end = o->end;
            prev = o;
        }
    }
    free(v.objs);
    return rc;
}
