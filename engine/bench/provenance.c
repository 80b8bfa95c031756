/* provenance: SHA-256 of sources and artifacts, and the record that lets a benchmark reuse an
 * artifact (see provenance.h).  SHA-256 as FIPS 180-4 defines it. */
#include "engine/bench/provenance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

/* ---- SHA-256 -------------------------------------------------------------------------------- */

typedef struct {
    uint32_t h[8];
    uint64_t len;
    unsigned char buf[64];
    size_t n;
} Sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(Sha256 *s, const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d, s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(Sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->len = 0;
    s->n = 0;
}

static void sha_update(Sha256 *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    s->len += len;
    while (len > 0) {
        size_t k = 64 - s->n < len ? 64 - s->n : len;
        memcpy(s->buf + s->n, p, k);
        s->n += k, p += k, len -= k;
        if (s->n == 64) {
            sha_block(s, s->buf);
            s->n = 0;
        }
    }
}

static void sha_final(Sha256 *s, char hex[65])
{
    uint64_t bits = s->len * 8;
    unsigned char pad = 0x80, zero = 0;
    sha_update(s, &pad, 1);
    while (s->n != 56) sha_update(s, &zero, 1);
    unsigned char lenb[8];
    for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha_update(s, lenb, 8);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", s->h[i]);
}

void provenance_sha256_hex(const void *data, size_t len, char hex[65])
{
    Sha256 s;
    sha_init(&s);
    sha_update(&s, data, len);
    sha_final(&s, hex);
}

static int hash_file_into(Sha256 *s, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_set(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    unsigned char *buf = xmalloc(1 << 16);
    ssize_t n;
    while ((n = read(fd, buf, 1 << 16)) > 0) sha_update(s, buf, (size_t)n);
    int rc = n < 0 ? err_set(err, errlen, "%s: read error: %s", path, strerror(errno)) : 0;
    free(buf);
    close(fd);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int hash_dir_into(Sha256 *s, const char *root, const char *rel, int depth, char *err, size_t errlen)
{
    if (depth > 16) return 0;
    char *dir = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);
    DIR *d = opendir(dir);
    if (!d) {
        err_set(err, errlen, "%s: cannot read the folder", dir);
        free(dir);
        return -1;
    }
    Vec names = {0};
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            char *nm = xstrdup(e->d_name);
            vec_push(&names, sizeof nm, &nm);
        }
    closedir(d);
    qsort(names.items, names.len, sizeof(char *), cmp_str);
    int rc = 0;
    for (size_t i = 0; i < names.len && rc == 0; i++) {
        char *nm = ((char **)names.items)[i];
        char *r = rel[0] ? xasprintf("%s/%s", rel, nm) : xstrdup(nm);
        char *full = xasprintf("%s/%s", root, r);
        struct stat sb;
        if (lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) rc = hash_dir_into(s, root, r, depth + 1, err, errlen);
        else if (S_ISREG(sb.st_mode)) {
            sha_update(s, r, strlen(r) + 1);
            rc = hash_file_into(s, full, err, errlen);
        }
        free(r);
        free(full);
    }
    for (size_t i = 0; i < names.len; i++) free(((char **)names.items)[i]);
    vec_free(&names);
    free(dir);
    return rc;
}

int provenance_hash(const char *path, char hex[65], char *err, size_t errlen)
{
    Sha256 s;
    sha_init(&s);
    struct stat sb;
    if (stat(path, &sb) != 0) return err_set(err, errlen, "%s: %s", path, strerror(errno));
    int rc = S_ISDIR(sb.st_mode) ? hash_dir_into(&s, path, "", 0, err, errlen) : hash_file_into(&s, path, err, errlen);
    if (rc == 0) sha_final(&s, hex);
    return rc;
}

/* ---- the record ----------------------------------------------------------------------------- */

char *provenance_path(const char *artifact)
{
    size_t n = strlen(artifact);
    while (n > 1 && artifact[n - 1] == '/') n--;
    char *a = xstrndup(artifact, n);
    char *slash = strrchr(a, '/');
    char *p = slash ? xasprintf("%.*s/.%s.provenance.json", (int)(slash - a), a, slash + 1)
                    : xasprintf(".%s.provenance.json", a);
    free(a);
    return p;
}

bool provenance_reusable(const char *artifact, const char *source, const char *args, char *why, size_t whylen)
{
    char *rec = provenance_path(artifact);
    json_object *o = json_object_from_file(rec);
    free(rec);
    if (!o) {
        snprintf(why, whylen, "no provenance record beside it");
        return false;
    }
    const char *src_hash = json_object_get_string(json_object_object_get(o, "source_sha256"));
    const char *rec_args = json_object_get_string(json_object_object_get(o, "args"));
    const char *art_hash = json_object_get_string(json_object_object_get(o, "artifact_sha256"));
    char h[65], msg[256];
    bool ok = false;
    if (!src_hash || !rec_args || !art_hash) snprintf(why, whylen, "its provenance record is incomplete");
    else if (strcmp(rec_args, args)) snprintf(why, whylen, "it was written with other arguments (%s)", rec_args);
    else if (provenance_hash(source, h, msg, sizeof msg) != 0 || strcmp(h, src_hash))
        snprintf(why, whylen, "the source model changed since it was written");
    else if (provenance_hash(artifact, h, msg, sizeof msg) != 0 || strcmp(h, art_hash))
        snprintf(why, whylen, "the artifact changed since it was written");
    else ok = true;
    json_object_put(o);
    return ok;
}

int provenance_record(const char *artifact, const char *source, const char *args, char *err, size_t errlen)
{
    char sh[65], ah[65];
    if (provenance_hash(source, sh, err, errlen) != 0 || provenance_hash(artifact, ah, err, errlen) != 0) return -1;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "source", json_object_new_string(source));
    json_object_object_add(o, "source_sha256", json_object_new_string(sh));
    json_object_object_add(o, "args", json_object_new_string(args));
    json_object_object_add(o, "artifact_sha256", json_object_new_string(ah));
    json_object_object_add(o, "yoloport", json_object_new_string(YOLOPORT_VERSION));
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *rec = provenance_path(artifact);
    int rc = fileio_write_atomic(rec, text, strlen(text), err, errlen);
    free(rec);
    json_object_put(o);
    return rc;
}
