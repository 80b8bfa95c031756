/* util: allocation, errors, arena, vectors, files, clock and float16 conversion. */
#include "engine/core/util.h"

#include "engine/core/fileio.h"
#include "engine/core/hash.h"
#include "engine/core/membudget.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void oom(size_t n)
{
    fprintf(stderr, "yoloport: out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) oom(count * size);
    return p;
}

void *xmalloc_aligned(size_t align, size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, align, n ? n : 1) != 0 || !p) oom(n);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) oom(0);
    va_end(ap);
    return s;
}

int err_vset(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    return -1;
}

int err_set(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

bool size_mul(size_t a, size_t b, size_t *out)
{
    if (a && b > SIZE_MAX / a) return false;
    *out = a * b;
    return true;
}

bool size_add(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a) return false;
    *out = a + b;
    return true;
}

bool dims_product(const int64_t *dims, int rank, int64_t *out)
{
    int64_t p = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return false;
        if (dims[i] && p > INT64_MAX / dims[i]) return false;
        p *= dims[i];
    }
    *out = p;
    return true;
}

/* ---- arena ---- */

typedef struct ArenaChunk {
    struct ArenaChunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} ArenaChunk;

struct Arena {
    ArenaChunk *head;
    size_t total;
    size_t charged; /* chunk bytes charged to the memory budget (engine/core/membudget.h) */
};

Arena *arena_new(void)
{
    return xcalloc(1, sizeof(Arena));
}

void arena_free(Arena *a)
{
    if (!a) return;
    for (ArenaChunk *c = a->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    membudget_give(a->charged);
    free(a);
}

void *arena_alloc(Arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n || need > SIZE_MAX - sizeof(ArenaChunk)) oom(n);
    if (!a->head || a->head->cap - a->head->used < need) {
        size_t cap = need > 64 * 1024 ? need : 64 * 1024;
        ArenaChunk *c = xmalloc(sizeof(ArenaChunk) + cap);
        membudget_charge(cap); /* what a file made a graph hold counts toward the budget */
        a->charged += cap;
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += need;
    a->total += need;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(Arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *tmp = NULL;
    if (vasprintf(&tmp, fmt, ap) < 0) oom(0);
    va_end(ap);
    char *p = arena_strdup(a, tmp);
    free(tmp);
    return p;
}

size_t arena_bytes(const Arena *a)
{
    return a->total;
}

/* ---- vectors ---- */

void *vec_push(Vec *v, size_t item_size, const void *item)
{
    if (v->len == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        size_t bytes;
        if (!size_mul(v->cap, item_size, &bytes)) oom(SIZE_MAX);
        v->items = xrealloc(v->items, bytes);
    }
    void *slot = (char *)v->items + v->len * item_size;
    if (item) memcpy(slot, item, item_size);
    else memset(slot, 0, item_size);
    v->len++;
    return slot;
}

void vec_free(Vec *v)
{
    free(v->items);
    v->items = NULL;
    v->len = v->cap = 0;
}

/* ---- files ---- */

char *file_read_all(const char *path, size_t max_bytes, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    int fd = fileio_open_regular(path, &st, err, errlen); /* never blocks on a FIFO */
    if (fd < 0) return NULL;
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        err_set(err, errlen, "%s: file is too large (%lld bytes)", path, (long long)st.st_size);
        return NULL;
    }
    if (!membudget_take((uint64_t)st.st_size + 1)) { /* a check: the buffer is the caller's */
        close(fd);
        membudget_refuse(err, errlen, path, "reading it", (uint64_t)st.st_size);
        return NULL;
    }
    membudget_give((uint64_t)st.st_size + 1);
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > max_bytes) {
                free(buf);
                close(fd);
                err_set(err, errlen, "%s: file is too large", path);
                return NULL;
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        ssize_t got = read(fd, buf + n, cap - 1 - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            close(fd);
            err_set(err, errlen, "%s: read error: %s", path, strerror(e));
            return NULL;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    close(fd);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

bool file_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int64_t path_size(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return -1;
    if (S_ISREG(st.st_mode)) return (int64_t)st.st_size;
    if (!S_ISDIR(st.st_mode)) return 0;
    DIR *d = opendir(path);
    if (!d) return -1;
    int64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *child = xasprintf("%s/%s", path, e->d_name);
        int64_t s = path_size(child);
        free(child);
        if (s > 0) total += s;
    }
    closedir(d);
    return total;
}

/* ---- strings ---- */

void strbuf_add(StrBuf *b, const void *data, size_t n)
{
    size_t need;
    if (!size_add(b->len, n, &need) || !size_add(need, 1, &need)) oom(SIZE_MAX);
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need) cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void strbuf_puts(StrBuf *b, const char *s)
{
    strbuf_add(b, s, strlen(s));
}

void strbuf_printf(StrBuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        strbuf_add(b, small, (size_t)n);
        return;
    }
    char *big = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    strbuf_add(b, big, (size_t)n);
    free(big);
}

/* Slots are probed linearly from a key's home (its keyed hash, engine/core/hash.h); no key
 * sits more than m->max_probe slots past its home, and an insertion that would put one
 * further than HASH_MAX_PROBE grows the table instead, so every operation is bounded. */
static void strmap_rehash(StrMap *m, size_t ncap)
{
    for (;;) {
        const char **keys = xcalloc(ncap, sizeof *keys);
        int *values = xcalloc(ncap, sizeof *values);
        uint64_t *hashes = xcalloc(ncap, sizeof *hashes);
        size_t max_probe = 0;
        bool ok = true;
        for (size_t i = 0; i < m->cap && ok; i++) {
            if (!m->keys[i]) continue;
            size_t j = (size_t)m->hashes[i] & (ncap - 1), d = 0;
            while (keys[j]) j = (j + 1) & (ncap - 1), d++;
            if (d > HASH_MAX_PROBE && ncap < 8 * (m->count + 1)) ok = false;
            if (d > max_probe) max_probe = d;
            keys[j] = m->keys[i];
            values[j] = m->values[i];
            hashes[j] = m->hashes[i];
        }
        if (!ok) { /* a cluster too long for this size: twice the room */
            free(keys);
            free(values);
            free(hashes);
            ncap *= 2;
            continue;
        }
        free(m->keys);
        free(m->values);
        free(m->hashes);
        m->keys = keys;
        m->values = values;
        m->hashes = hashes;
        m->cap = ncap;
        m->max_probe = max_probe;
        return;
    }
}

int *strmap_slot(StrMap *m, const char *key, bool *created)
{
    if ((m->count + 1) * 2 > m->cap) strmap_rehash(m, m->cap ? m->cap * 2 : 256);
    uint64_t h = hash_str(key);
    for (;;) {
        size_t mask = m->cap - 1, i = (size_t)h & mask, d = 0;
        for (; m->keys[i]; i = (i + 1) & mask, d++) {
            if (m->hashes[i] == h && !strcmp(m->keys[i], key)) {
                if (created) *created = false;
                return &m->values[i];
            }
        }
        if (d > HASH_MAX_PROBE && m->cap < 8 * (m->count + 1)) {
            strmap_rehash(m, m->cap * 2);
            continue;
        }
        if (d > m->max_probe) m->max_probe = d;
        m->keys[i] = m->arena ? arena_strdup(m->arena, key) : key;
        m->values[i] = 0;
        m->hashes[i] = h;
        m->count++;
        if (created) *created = true;
        return &m->values[i];
    }
}

void strmap_put(StrMap *m, const char *key, int value)
{
    *strmap_slot(m, key, NULL) = value;
}

int strmap_get(const StrMap *m, const char *key)
{
    if (!m->cap) return -1;
    uint64_t h = hash_str(key);
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    for (size_t d = 0; d <= m->max_probe && m->keys[i]; d++, i = (i + 1) & mask)
        if (m->hashes[i] == h && !strcmp(m->keys[i], key)) return m->values[i];
    return -1;
}

void strmap_free(StrMap *m)
{
    free(m->keys);
    free(m->values);
    free(m->hashes);
    m->keys = NULL;
    m->values = NULL;
    m->hashes = NULL;
    m->cap = m->count = m->max_probe = 0;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool str_to_i64(const char *s, int64_t *out)
{
    if (!s) return false;
    while (is_blank(*s)) s++;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno) return false;
    while (is_blank(*end)) end++;
    if (*end) return false;
    *out = v;
    return true;
}

const char *str_find_ci(const char *hay, const char *needle)
{
    if (!hay || !needle) return NULL;
    size_t nl = strlen(needle);
    if (nl == 0) return hay;
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, nl) == 0) return p;
    return NULL;
}

const char *str_thousands(char *buf, size_t len, long long v)
{
    if (len == 0) return buf;
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%llu", v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
    size_t n = strlen(tmp), o = 0;
    if (v < 0 && o + 1 < len) buf[o++] = '-';
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 1 < len) buf[o++] = ',';
        if (o + 1 < len) buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

const char *str_bytes(char *buf, size_t len, long long bytes)
{
    static const char *units[] = {"B", "KB", "MB", "GB", "TB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        u++;
    }
    if (u == 0) snprintf(buf, len, "%lld B", bytes);
    else snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

size_t utf8_seq_len(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    int n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!n || (n == 2 && s[0] < 0xc2) || (n == 4 && s[0] > 0xf4)) return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))) return 0;
    if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))) return 0;
    return (size_t)n;
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- float16 ---- */

float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) {
                mant <<= 1;
                exp--;
            }
            mant &= 0x3ff;
            bits = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t exp = (x >> 23) & 0xff;
    uint32_t mant = x & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10) return (uint16_t)sign;
        mant |= 0x800000;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half_mant = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1);
        uint32_t halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (half_mant & 1))) half_mant++;
        return (uint16_t)(sign | half_mant);
    }
    uint32_t half = sign | ((uint32_t)e << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++; /* round to nearest even */
    return (uint16_t)half;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

static bool cpu_f16c(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) && (c & (1u << 28)); /* F16C and AVX */
}

__attribute__((target("avx,f16c"))) static size_t halves_to_floats_f16c(float *dst, const unsigned char *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + 2 * i)));
        if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))) { /* NaNs: as half_to_float has them */
            for (size_t k = i; k < i + 8; k++) {
                uint16_t h;
                memcpy(&h, src + 2 * k, 2);
                dst[k] = half_to_float(h);
            }
            continue;
        }
        _mm256_storeu_ps(dst + i, v);
    }
    return i;
}

__attribute__((target("avx,f16c"))) static size_t floats_to_halves_f16c(uint16_t *dst, const float *src, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(src + i);
        /* NaNs go through the scalar function: F16C keeps their payload, float_to_half does not */
        if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))) {
            for (size_t k = i; k < i + 8; k++) dst[k] = float_to_half(src[k]);
            continue;
        }
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    return i;
}
#endif

void halves_to_floats(float *dst, const void *src, size_t n)
{
    const unsigned char *p = src;
    size_t i = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (cpu_f16c()) i = halves_to_floats_f16c(dst, p, n);
#endif
    for (; i < n; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * i, 2);
        dst[i] = half_to_float(h);
    }
}

void floats_to_halves(uint16_t *dst, const float *src, size_t n)
{
    size_t i = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (cpu_f16c()) i = floats_to_halves_f16c(dst, src, n);
#endif
    for (; i < n; i++) dst[i] = float_to_half(src[i]);
}

float bf16_to_float(uint16_t b)
{
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}
