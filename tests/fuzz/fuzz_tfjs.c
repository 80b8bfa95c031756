/* fuzz_tfjs: libFuzzer harness for the TF.js graph-model reader (formats/tfjs_read.c): the
 * input is a 4-byte little-endian length, that many bytes of model.json, then the shards'
 * bytes.  Whatever it accepts is validated as a graph. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/tfjs.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    size_t jl = (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
    if (jl > size - 4) jl = size - 4;
    char *json = malloc(jl + 1); /* the reader gets NUL-terminated text, as file reads give it */
    if (!json) return 0;
    memcpy(json, data + 4, jl);
    json[jl] = '\0';
    static const char meta[] = "task: detect\nnames:\n  0: person\n";
    char err[512];
    Graph *g = tfjs_read_memory(json, jl, data + 4 + jl, size - 4 - jl, meta, strlen(meta), "fuzz/model.json", err, sizeof err);
    if (g) {
        if (graph_validate(g, err, sizeof err) != 0) abort(); /* the reader hands out only valid graphs */
        graph_free(g);
    }
    free(json);
    return 0;
}
