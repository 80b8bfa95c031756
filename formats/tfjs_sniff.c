/* tfjs_sniff: recognise a TensorFlow.js graph model from its content (see tfjs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "formats/tfjs.h"

#define SNIFF_BYTES (64u << 10)

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* The text opens a JSON object and, among its first bytes, has the member
 * "format": "graph-model" (tensorflowjs_converter and our writer put it first). */
static int graph_model_json(const char *text)
{
    const char *p = skip_space(text);
    if (*p != '{') return 0;
    for (const char *k = strstr(p, "\"format\""); k; k = strstr(k + 1, "\"format\"")) {
        const char *v = skip_space(k + 8);
        if (*v != ':') continue;
        v = skip_space(v + 1);
        if (!strncmp(v, "\"graph-model\"", 13)) return 1;
    }
    return 0;
}

int tfjs_sniff(const char *path)
{
    if (!path) return 0;
    /* a folder's model.json is opened as its own files are (no link, never a FIFO) */
    int fd = file_is_dir(path) ? fileio_open_beside(path, "model.json", NULL, NULL, 0)
                               : fileio_open_regular(path, NULL, NULL, 0);
    if (fd < 0) return 0;
    char *buf = xmalloc(SNIFF_BYTES + 1);
    size_t n = fileio_read_head(fd, buf, SNIFF_BYTES);
    buf[n] = '\0';
    int ok = memchr(buf, '\0', n) == NULL && graph_model_json(buf);
    free(buf);
    return ok;
}
