/* zip_entry: see zip_entry.h. */
#include "formats/zip_entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/core/membudget.h"
#include "engine/core/util.h"

#define DEFLATE_MAX_RATIO 1032 /* deflate cannot encode more than 258 bytes in 2 bits */

static const char *bytes_text(char *buf, size_t n, uint64_t v)
{
    return str_bytes(buf, n, (long long)(v > INT64_MAX ? INT64_MAX : v));
}

zip_t *zip_entry_open(ZipArchive *z, const char *path, int flags, int *code, char *why, size_t whylen)
{
    memset(z, 0, sizeof *z);
    *code = 0;
    struct stat st;
    int fd = fileio_open_regular(path, &st, why, whylen);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        err_set(why, whylen, "%s: cannot read it", path);
        return NULL;
    }
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_filep_create(f, 0, -1, &ze); /* owns f from here */
    if (!src) {
        fclose(f);
        *code = zip_error_code_zip(&ze);
        zip_error_fini(&ze);
        return NULL;
    }
    zip_t *za = zip_open_from_source(src, flags, &ze);
    if (!za) {
        *code = zip_error_code_zip(&ze);
        zip_source_free(src);
        zip_error_fini(&ze);
        return NULL;
    }
    zip_error_fini(&ze);
    z->za = za;
    z->file = path;
    z->archive_bytes = (uint64_t)st.st_size;
    return za;
}

int zip_entry_check_archive(const ZipArchive *z, char *why, size_t whylen)
{
    zip_int64_t n = zip_get_num_entries(z->za, 0);
    StrMap names = {.arena = NULL};
    Arena *a = arena_new();
    names.arena = a;
    int rc = 0;
    char b1[32], b2[32];
    for (zip_int64_t i = 0; i < n && rc == 0; i++) {
        zip_stat_t st;
        if (zip_stat_index(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW, &st) != 0 || !(st.valid & ZIP_STAT_NAME)) {
            rc = err_set(why, whylen, "entry %lld has no name", (long long)i);
            break;
        }
        bool created;
        strmap_slot(&names, st.name, &created);
        if (!created) {
            rc = err_set(why, whylen, "two entries are named '%s' (readers disagree on which one counts)", st.name);
            break;
        }
        if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE)) continue;
        if (st.comp_size > z->archive_bytes)
            rc = err_set(why, whylen, "entry '%s' claims %s in a %s archive", st.name,
                         bytes_text(b1, sizeof b1, st.comp_size), bytes_text(b2, sizeof b2, z->archive_bytes));
        else if ((st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method == ZIP_CM_STORE && st.size != st.comp_size)
            rc = err_set(why, whylen, "entry '%s' is stored with %s but declares %s", st.name,
                         bytes_text(b1, sizeof b1, st.comp_size), bytes_text(b2, sizeof b2, st.size));
        else if ((st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method != ZIP_CM_STORE &&
                 st.size / DEFLATE_MAX_RATIO > st.comp_size + 1)
            rc = err_set(why, whylen, "entry '%s' declares %s from %s compressed, more than compression can hold",
                         st.name, bytes_text(b1, sizeof b1, st.size), bytes_text(b2, sizeof b2, st.comp_size));
    }
    strmap_free(&names);
    arena_free(a);
    return rc;
}

uint8_t *zip_entry_read(ZipArchive *z, zip_uint64_t idx, size_t n, const char *name, char *why, size_t whylen)
{
    char b1[32], b2[32], b3[32];
    zip_stat_t st;
    if (zip_stat_index(z->za, idx, 0, &st) == 0 && (st.valid & ZIP_STAT_COMP_SIZE) && (st.valid & ZIP_STAT_COMP_METHOD) &&
        st.comp_method != ZIP_CM_STORE && n > st.comp_size) {
        /* checked before a byte is inflated: a bomb costs nothing */
        uint64_t grow = (uint64_t)n - st.comp_size, allowed = z->archive_bytes * ZIP_INFLATE_FACTOR;
        if (allowed < ZIP_INFLATE_FLOOR) allowed = ZIP_INFLATE_FLOOR;
        if (grow > allowed || z->inflated > allowed - grow) {
            err_set(why, whylen, "'%s' would inflate %s into %s, more than this archive can justify (its deflated "
                    "entries may add %s in all)", name, bytes_text(b1, sizeof b1, st.comp_size),
                    bytes_text(b2, sizeof b2, n), bytes_text(b3, sizeof b3, allowed));
            return NULL;
        }
        z->inflated += grow;
    }
    char what[300];
    snprintf(what, sizeof what, "'%s'", name);
    uint8_t *buf = n < SIZE_MAX ? membudget_alloc((uint64_t)n + 1, NULL, what, why, whylen) : NULL;
    if (!buf) {
        if (n == SIZE_MAX) err_set(why, whylen, "'%s' is too large", name);
        return NULL;
    }
    zip_file_t *zf = zip_fopen_index(z->za, idx, 0);
    if (!zf) {
        err_set(why, whylen, "cannot open '%s' in the archive: %s", name, zip_strerror(z->za));
        membudget_free(buf);
        return NULL;
    }
    size_t got = 0;
    while (got < n) {
        zip_int64_t r = zip_fread(zf, buf + got, (zip_uint64_t)(n - got));
        if (r <= 0) break;
        got += (size_t)r;
    }
    char extra;
    bool ok = got == n && zip_fread(zf, &extra, 1) == 0; /* also surfaces a CRC error at the end */
    if (!ok)
        err_set(why, whylen, "cannot read '%s' from the archive (%zu of %zu bytes): %s", name, got, n,
                zip_file_strerror(zf));
    zip_fclose(zf);
    if (!ok) {
        membudget_free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

void zip_entry_free(void *buf) { membudget_free(buf); }
