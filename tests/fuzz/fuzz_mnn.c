/* fuzz_mnn: libFuzzer harness for the MNN reader (mnn_read_memory, which verifies first)
 * and, for inputs it accepts, the writer: what the reader builds must serialise or fail
 * cleanly, and what the writer produces must verify and read back.  The input is the .mnn
 * bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/mnn.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    (void)mnn_sniff(data, size, size);
    Graph *g = mnn_read_memory(data, size, "fuzz.mnn", err, sizeof err);
    if (!g) return 0;
    uint8_t *out = NULL;
    size_t len = 0;
    if (mnn_serialize(g, NULL, &out, &len, err, sizeof err) == 0) {
        Graph *back = mnn_read_memory(out, len, "fuzz-rewritten.mnn", err, sizeof err);
        if (!back) {
            /* the writer must never emit what the reader refuses */
            fprintf(stderr, "re-read failed: %s\n", err);
            abort();
        }
        graph_free(back);
    }
    free(out);
    graph_free(g);
    return 0;
}
