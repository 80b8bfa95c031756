/* util: allocation that never returns NULL, error-buffer formatting, a bump arena,
 * growable arrays and small file helpers shared by every layer.  No curses here. */
#ifndef YOLOPORT_UTIL_H
#define YOLOPORT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure aborts with a message: callers never check for NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* n bytes aligned to align (a power of two, at least sizeof(void *)); release with free(). */
void *xmalloc_aligned(size_t align, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write a message into a caller-given buffer (err may be NULL, errlen 0).  Always
 * returns -1 so that `return err_set(err, errlen, "...")` reads naturally. */
int err_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int err_vset(char *err, size_t errlen, const char *fmt, va_list ap);

/* Overflow-checked size arithmetic: return false when the result would not fit. */
bool size_mul(size_t a, size_t b, size_t *out);
bool size_add(size_t a, size_t b, size_t *out);
/* Product of dims, false on a negative dim or overflow past INT64_MAX. */
bool dims_product(const int64_t *dims, int rank, int64_t *out);

/* Bump arena: many small allocations released together (the graph owns one). */
typedef struct Arena Arena;
Arena *arena_new(void);
void arena_free(Arena *a);
/* Zeroed, 16-byte aligned; never NULL. */
void *arena_alloc(Arena *a, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t arena_bytes(const Arena *a);

/* Growable array of fixed-size items: `Vec v = {0}; vec_push(&v, sizeof(T), &item);` */
typedef struct {
    void *items;
    size_t len, cap;
} Vec;
void *vec_push(Vec *v, size_t item_size, const void *item); /* returns the stored item */
void vec_free(Vec *v);

/* Read a whole file into a heap buffer (NUL-terminated for convenience, not counted in
 * *len).  Refuses directories and files over max_bytes.  NULL + message on error. */
char *file_read_all(const char *path, size_t max_bytes, size_t *len, char *err, size_t errlen);
bool file_is_dir(const char *path);
bool file_exists(const char *path);
/* Size in bytes of a file, or of every regular file below a directory; -1 on error. */
int64_t path_size(const char *path);

/* Growable NUL-terminated string: `StrBuf b = {0}; strbuf_puts(&b, "x"); ...; free(b.p);`
 * b.p is NULL until something is added. */
typedef struct {
    char *p;
    size_t len, cap;
} StrBuf;
void strbuf_add(StrBuf *b, const void *data, size_t n);
void strbuf_puts(StrBuf *b, const char *s);
void strbuf_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A string -> int hash map (open addressing under the keyed hash of engine/core/hash.h,
 * probes bounded: names chosen by a file cannot make it slow).  With arena NULL keys are not copied and
 * must outlive the map (e.g. strings in a graph arena); with an arena, new keys are copied
 * into it.  `StrMap m = {0}; strmap_put(&m, k, 3); ...; strmap_free(&m);` */
typedef struct {
    const char **keys;
    int *values;
    uint64_t *hashes; /* each key's hash (kept: growing never hashes again) */
    size_t cap, count;
    size_t max_probe; /* the longest distance of a key from its home slot */
    Arena *arena; /* optional: where inserted keys are copied */
} StrMap;
/* The value slot of key, inserted with value 0 when absent (*created says which; may be
 * NULL).  The pointer is valid until the next insertion. */
int *strmap_slot(StrMap *m, const char *key, bool *created);
void strmap_put(StrMap *m, const char *key, int value); /* replaces an existing key's value */
int strmap_get(const StrMap *m, const char *key);       /* -1 when absent */
void strmap_free(StrMap *m);                            /* keeps arena; keys copied there stay */

/* Length of the valid UTF-8 sequence starting at s (1..4), 0 when it is not valid UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF are invalid).  s must be
 * NUL-terminated or hold at least 4 readable bytes. */
size_t utf8_seq_len(const unsigned char *s);

/* A whole string as a base-10 int64: optional blanks (space, tab, CR, LF) around an
 * optional sign and digits, nothing else, no overflow.  false for NULL or anything else. */
bool str_to_i64(const char *s, int64_t *out);

/* Case-insensitive substring search (ASCII folding only; UTF-8 passes through): pointer
 * into hay or NULL (NULL when either is NULL; hay for an empty needle). */
const char *str_find_ci(const char *hay, const char *needle);
/* 3157200 -> "3,157,200" (and "-1,234") into buf.  Returns buf. */
const char *str_thousands(char *buf, size_t len, long long v);
/* A byte count in decimal units, three significant digits: "17 B", "812 KB", "3.20 MB"
 * into buf.  Returns buf. */
const char *str_bytes(char *buf, size_t len, long long bytes);

/* Monotonic clock in seconds. */
double now_seconds(void);

/* IEEE half / bfloat16 conversion. */
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
/* n conversions at once, the same bits as the scalar functions (F16C where the CPU has
 * it); src may be unaligned. */
void halves_to_floats(float *dst, const void *src, size_t n);
void floats_to_halves(uint16_t *dst, const float *src, size_t n);
float bf16_to_float(uint16_t b);

#endif
