/* tfjs_sniff: recognise a TensorFlow.js graph model from its content (see tfjs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char json_path[4096];
    if (file_is_dir(path)) {
        if ((size_t)snprintf(json_path, sizeof json_path, "%s/model.json", path) >= sizeof json_path) return 0;
        path = json_path;
        if (file_is_dir(path)) return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char *buf = xmalloc(SNIFF_BYTES + 1);
    size_t n = fread(buf, 1, SNIFF_BYTES, f);
    fclose(f);
    buf[n] = '\0';
    int ok = memchr(buf, '\0', n) == NULL && graph_model_json(buf);
    free(buf);
    return ok;
}
