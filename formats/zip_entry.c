/* zip_entry: see zip_entry.h. */
#include "formats/zip_entry.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine/core/util.h"

uint8_t *zip_entry_read(zip_t *za, zip_uint64_t idx, size_t n, bool *opened, size_t *got, char *why, size_t whylen)
{
    *got = 0;
    zip_file_t *zf = zip_fopen_index(za, idx, 0);
    *opened = zf != NULL;
    if (!zf) {
        snprintf(why, whylen, "%s", zip_strerror(za));
        return NULL;
    }
    uint8_t *buf = xmalloc(n + 1);
    while (*got < n) {
        zip_int64_t r = zip_fread(zf, buf + *got, (zip_uint64_t)(n - *got));
        if (r <= 0) break;
        *got += (size_t)r;
    }
    char extra;
    bool ok = *got == n && zip_fread(zf, &extra, 1) == 0; /* also surfaces a CRC error at the end */
    if (!ok) snprintf(why, whylen, "%s", zip_file_strerror(zf));
    zip_fclose(zf);
    if (!ok) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}
