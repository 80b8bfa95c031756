/* npy: reading and writing NumPy .npy arrays with a strict header parser (see npy.h). */
#include "engine/core/npy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"

static const struct {
    const char *descr;
    DType dtype;
} npy_types[] = {
    {"<f4", DT_F32}, {"<f2", DT_F16}, {"<f8", DT_F64}, {"<i8", DT_I64}, {"<i4", DT_I32},
    {"|u1", DT_U8},  {"|i1", DT_I8},  {"|b1", DT_BOOL}, {"<u1", DT_U8}, {"<i1", DT_I8},
};

static const char *descr_of(DType t)
{
    for (size_t i = 0; i < ARRAY_LEN(npy_types); i++)
        if (npy_types[i].dtype == t) return npy_types[i].descr;
    return NULL;
}

/* ---- header parsing ---------------------------------------------------------------- */

typedef struct {
    const char *p, *end;
} Cursor;

static void skip_ws(Cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

static bool accept(Cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A quoted Python string without escapes into out (at most cap-1 chars). */
static bool parse_str(Cursor *c, char *out, size_t cap)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return false;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap) return false;
        out[n++] = *c->p++;
    }
    if (c->p >= c->end) return false;
    c->p++;
    out[n] = 0;
    return true;
}

static bool parse_word(Cursor *c, const char *w)
{
    skip_ws(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n)) return false;
    c->p += n;
    return true;
}

static bool parse_shape(Cursor *c, int64_t *dims, int *rank)
{
    if (!accept(c, '(')) return false;
    *rank = 0;
    for (;;) {
        if (accept(c, ')')) return true;
        skip_ws(c);
        if (c->p >= c->end || !isdigit((unsigned char)*c->p)) return false;
        int64_t v = 0;
        while (c->p < c->end && isdigit((unsigned char)*c->p)) {
            if (v > (INT64_MAX - 9) / 10) return false;
            v = v * 10 + (*c->p++ - '0');
        }
        if (c->p < c->end && *c->p == 'L') c->p++; /* Python 2 long suffix */
        if (*rank >= GRAPH_MAX_RANK) return false;
        dims[(*rank)++] = v;
        if (accept(c, ',')) continue;
        if (accept(c, ')')) return *rank != 1; /* "(5)" is an int in Python, not a tuple */
        return false;
    }
}

static int parse_header(const char *h, size_t len, NpyArray *a, char *err, size_t errlen)
{
    Cursor c = {h, h + len};
    bool seen_descr = false, seen_order = false, seen_shape = false;
    if (!accept(&c, '{')) return err_set(err, errlen, "header is not a dict");
    for (;;) {
        if (accept(&c, '}')) break;
        char key[32], val[16];
        if (!parse_str(&c, key, sizeof key) || !accept(&c, ':')) return err_set(err, errlen, "malformed header key");
        if (!strcmp(key, "descr")) {
            if (seen_descr) return err_set(err, errlen, "duplicate key 'descr'");
            seen_descr = true;
            if (!parse_str(&c, val, sizeof val)) return err_set(err, errlen, "descr is not a simple string");
            a->dtype = DT_UNDEFINED;
            for (size_t i = 0; i < ARRAY_LEN(npy_types); i++)
                if (!strcmp(npy_types[i].descr, val)) a->dtype = npy_types[i].dtype;
            if (a->dtype == DT_UNDEFINED)
                return err_set(err, errlen, "element type '%s' is not supported (%s)", val,
                               val[0] == '>' ? "big-endian" : "use float32, float16, float64, int64, int32, uint8, int8 or bool");
        } else if (!strcmp(key, "fortran_order")) {
            if (seen_order) return err_set(err, errlen, "duplicate key 'fortran_order'");
            seen_order = true;
            if (parse_word(&c, "True")) return err_set(err, errlen, "Fortran-order arrays are not supported");
            if (!parse_word(&c, "False")) return err_set(err, errlen, "fortran_order is not True or False");
        } else if (!strcmp(key, "shape")) {
            if (seen_shape) return err_set(err, errlen, "duplicate key 'shape'");
            seen_shape = true;
            if (!parse_shape(&c, a->dims, &a->rank))
                return err_set(err, errlen, "shape is not a tuple of at most %d integers", GRAPH_MAX_RANK);
        } else {
            return err_set(err, errlen, "unexpected header key '%s'", key);
        }
        if (accept(&c, ',')) continue;
        if (accept(&c, '}')) break;
        return err_set(err, errlen, "malformed header");
    }
    if (!seen_descr || !seen_order || !seen_shape) return err_set(err, errlen, "header lacks descr, fortran_order or shape");
    while (c.p < c.end && (*c.p == ' ' || *c.p == '\n' || *c.p == '\t' || *c.p == '\r')) c.p++;
    if (c.p != c.end) return err_set(err, errlen, "junk after the header dict");
    return 0;
}

int npy_parse(const void *buf, size_t len, NpyArray *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const unsigned char *b = buf;
    if (len < 10 || memcmp(b, "\x93NUMPY", 6)) return err_set(err, errlen, "not a .npy file (bad magic)");
    int major = b[6];
    size_t hlen, off;
    if (major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        off = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return err_set(err, errlen, "truncated header");
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        off = 12;
    } else {
        return err_set(err, errlen, "format version %d.%d is not supported", major, b[7]);
    }
    if (hlen > len - off) return err_set(err, errlen, "header length %zu runs past the end of the file", hlen);
    NpyArray a = {0};
    if (parse_header((const char *)b + off, hlen, &a, err, errlen)) return -1;
    if (!dims_product(a.dims, a.rank, &a.numel)) return err_set(err, errlen, "shape is too large");
    size_t need;
    if (!size_mul((size_t)a.numel, dtype_size(a.dtype), &need)) return err_set(err, errlen, "shape is too large");
    size_t avail = len - off - hlen;
    if (avail != need)
        return err_set(err, errlen, "data is %zu bytes, the shape needs %zu", avail, need);
    a.data = xmalloc(need ? need : 1);
    memcpy(a.data, b + off + hlen, need);
    a.nbytes = need;
    *out = a;
    return 0;
}

int npy_read(const char *path, size_t max_bytes, NpyArray *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *buf = file_read_all(path, max_bytes ? max_bytes : (size_t)4 << 30, &len, err, errlen);
    if (!buf) return -1;
    char msg[256];
    int rc = npy_parse(buf, len, out, msg, sizeof msg);
    free(buf);
    if (rc) return err_set(err, errlen, "%s: %s", path, msg);
    return 0;
}

float *npy_to_f32(const NpyArray *a, char *err, size_t errlen)
{
    float *f = xmalloc((size_t)(a->numel ? a->numel : 1) * sizeof(float));
    const unsigned char *p = a->data;
    for (int64_t i = 0; i < a->numel; i++) {
        switch (a->dtype) {
        case DT_F32: memcpy(&f[i], p + i * 4, 4); break;
        case DT_F16: { uint16_t h; memcpy(&h, p + i * 2, 2); f[i] = half_to_float(h); break; }
        case DT_F64: { double d; memcpy(&d, p + i * 8, 8); f[i] = (float)d; break; }
        case DT_I64: { int64_t v; memcpy(&v, p + i * 8, 8); f[i] = (float)v; break; }
        case DT_I32: { int32_t v; memcpy(&v, p + i * 4, 4); f[i] = (float)v; break; }
        case DT_U8: case DT_BOOL: f[i] = p[i]; break;
        case DT_I8: f[i] = (int8_t)p[i]; break;
        default:
            free(f);
            err_set(err, errlen, "type %s cannot be converted to float32", dtype_name(a->dtype));
            return NULL;
        }
    }
    return f;
}

void npy_free(NpyArray *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- writing ----------------------------------------------------------------------- */

void *npy_format(DType dtype, const int64_t *dims, int rank, const void *data, size_t *len, char *err,
                 size_t errlen)
{
    const char *descr = descr_of(dtype);
    if (!descr) {
        err_set(err, errlen, "type %s cannot be written to .npy", dtype_name(dtype));
        return NULL;
    }
    int64_t numel;
    size_t nbytes;
    if (rank < 0 || rank > GRAPH_MAX_RANK || !dims_product(dims, rank, &numel) ||
        !size_mul((size_t)numel, dtype_size(dtype), &nbytes)) {
        err_set(err, errlen, "bad shape");
        return NULL;
    }
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < rank; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld", i ? ", " : "", (long long)dims[i]);
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", rank == 1 ? "," : "");
    /* pad with spaces so that data starts on a 64-byte boundary; the header ends in '\n' */
    size_t pre = 10, hlen = (size_t)n + 1;
    if (pre + hlen > 65535) pre = 12;
    hlen += (64 - (pre + hlen) % 64) % 64;
    size_t total = pre + hlen + nbytes;
    unsigned char *b = xmalloc(total);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = pre == 10 ? 1 : 2;
    b[7] = 0;
    for (size_t i = 0; i < pre - 8; i++) b[8 + i] = (unsigned char)(hlen >> (8 * i));
    memset(b + pre, ' ', hlen);
    memcpy(b + pre, dict, (size_t)n);
    b[pre + hlen - 1] = '\n';
    if (nbytes) memcpy(b + pre + hlen, data, nbytes);
    *len = total;
    return b;
}

int npy_write(const char *path, DType dtype, const int64_t *dims, int rank, const void *data, char *err,
              size_t errlen)
{
    size_t len;
    char msg[256];
    void *b = npy_format(dtype, dims, rank, data, &len, msg, sizeof msg);
    if (!b) return err_set(err, errlen, "%s: %s", path, msg);
    int rc = fileio_write_atomic(path, b, len, err, errlen);
    free(b);
    return rc;
}
