/* model: open a model file of any supported kind (see model.h) by walking the registry's
 * recognisers; the recognising row's reader opens it. */
#include "engine/registry/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"

/* What a file that no row claims looks like, for the message. */
static const char *describe(const unsigned char *b, size_t n)
{
    if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return "a JPEG image";
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return "a PNG image";
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return "gzip-compressed data";
    if (n >= 4 && !memcmp(b, "\x7f" "ELF", 4)) return "an executable";
    if (n >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5) return "a bare pickle (legacy torch.save format, not a zip checkpoint)";
    if (n >= 4 && !memcmp(b, "PK", 2)) return "a zip archive";
    if (memchr(b, '\0', n)) return "unrecognised binary data";
    return "text that is not a model config";
}

/* Ask every row in table order; the first that says yes wins.  When none does, err gets the
 * first message a recogniser left (what the path looks like to it), else `otherwise`. */
static FormatId recognise(const FormatProbe *probe, const char *otherwise, char *err, size_t errlen)
{
    char first[1024] = "";
    for (int id = 0; id < FMT_ID_COUNT; id++) {
        const FormatInfo *row = registry_row((FormatId)id);
        if (!row->recognise) continue;
        char why[1024] = "";
        if (row->recognise(probe, why, sizeof why)) return (FormatId)id;
        if (why[0] && !first[0]) snprintf(first, sizeof first, "%s", why);
    }
    err_set(err, errlen, "%s", first[0] ? first : otherwise);
    return FMT_NONE;
}

static FormatId detect(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        err_set(err, errlen, "no model given");
        return FMT_NONE;
    }
    FormatProbe probe = {.path = path};
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        if (e != ENOENT) {
            err_set(err, errlen, "%s: %s", path, strerror(e));
            return FMT_NONE;
        }
        probe.kind = PROBE_MISSING;
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: no such file", path);
        return recognise(&probe, msg, err, errlen);
    }
    if (S_ISDIR(st.st_mode)) {
        probe.kind = PROBE_DIR;
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: is a directory, not a model; yoloport opens %s", path, registry_sources_text());
        return recognise(&probe, msg, err, errlen);
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(err, errlen, "%s: not a regular file", path);
        return FMT_NONE;
    }
    if (st.st_size == 0) {
        err_set(err, errlen, "%s: empty file", path);
        return FMT_NONE;
    }
    int fd = fileio_open_regular(path, NULL, err, errlen); /* never blocks, even if swapped for a FIFO */
    if (fd < 0) return FMT_NONE;
    unsigned char *buf = xmalloc(REGISTRY_PROBE_BYTES);
    size_t n = 0;
    while (n < REGISTRY_PROBE_BYTES) {
        ssize_t got = read(fd, buf + n, REGISTRY_PROBE_BYTES - n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        n += (size_t)got;
    }
    close(fd);
    probe.kind = PROBE_FILE;
    probe.head = buf;
    probe.head_len = n;
    probe.size = (uint64_t)st.st_size;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s: not a model: %s", path, describe(buf, n));
    FormatId id = recognise(&probe, msg, err, errlen);
    free(buf);
    return id;
}

FormatId model_detect(const char *path, char *err, size_t errlen)
{
    FormatId id = detect(path, err, errlen);
    const FormatInfo *row = registry_row(id);
    if (row && !row->read)
        err_set(err, errlen, "%s: %s", path,
                row->unreadable_reason ? row->unreadable_reason : "not read by this build");
    return id;
}

Graph *model_load(const char *path, const LoadOptions *opt, char *err, size_t errlen)
{
    LoadOptions o = opt ? *opt : (LoadOptions){0};
    const FormatInfo *row = registry_row(model_detect(path, err, errlen));
    if (!row || !row->read) return NULL;
    Graph *g = row->read(path, &o, err, errlen); /* a building reader calls o.decide itself */
    if (g) g->meta.source_format = row->id;
    if (g && !row->read_builds && o.decide) {
        /* the file fixed its graph: the caller still learns its facts, and may refuse it */
        LoadOptions fixed = o;
        if (o.decide(&g->meta, false, &fixed, o.decide_user, err, errlen) != 0) {
            graph_free(g);
            return NULL;
        }
    }
    return g;
}
