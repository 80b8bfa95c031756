/* fuzz_ncnn: libFuzzer harness for the ncnn reader (ncnn_read_memory) and, for inputs it
 * accepts, the writer: what the reader builds must serialise or fail cleanly, and what the
 * writer produces must read back.
 * Input layout: u16 little-endian weights length, u16 metadata length, the weights, the
 * metadata.yaml text (length 0xffff: none), then the .param text; inputs shorter than the
 * header are .param text alone. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/ncnn.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    const uint8_t *bin = NULL;
    const char *meta = NULL;
    size_t bin_len = 0, meta_len = 0;
    if (size >= 4) {
        size_t bl = (size_t)data[0] | (size_t)data[1] << 8, ml = (size_t)data[2] | (size_t)data[3] << 8;
        size_t ml_used = ml == 0xffff ? 0 : ml;
        if (4 + bl + ml_used <= size) {
            bin = data + 4;
            bin_len = bl;
            if (ml != 0xffff) {
                meta = (const char *)data + 4 + bl;
                meta_len = ml;
            }
            data += 4 + bl + ml_used;
            size -= 4 + bl + ml_used;
        }
    }
    Graph *g = ncnn_read_memory((const char *)data, size, bin, bin_len, meta, meta_len, "fuzz.param", err, sizeof err);
    if (!g) return 0;
    char *param = NULL;
    uint8_t *out = NULL;
    size_t param_len = 0, out_len = 0;
    if (ncnn_serialize(g, NULL, &param, &param_len, &out, &out_len, err, sizeof err) == 0) {
        Graph *back = ncnn_read_memory(param, param_len, out, out_len, NULL, 0, "fuzz-rewritten.param", err, sizeof err);
        if (!back) {
            /* the writer must never emit what the reader refuses */
            fprintf(stderr, "re-read failed: %s\n", err);
            abort();
        }
        graph_free(back);
    }
    free(param);
    free(out);
    graph_free(g);
    return 0;
}
