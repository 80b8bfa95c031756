/* fuzz_onnx: libFuzzer harness for the ONNX reader (onnx_read_buffer) and, for inputs it
 * accepts, the writer: whatever the reader builds must serialise or fail cleanly, and
 * what the writer produces must read back.  The export check's node-for-node comparison
 * (graph_equiv) runs on whatever the reader builds, against itself and its rewrite. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/passes/graph_equiv.h"
#include "formats/onnx.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    (void)onnx_sniff(data, size);
    Graph *g = onnx_read_buffer(data, size, "fuzz.onnx", err, sizeof err);
    if (!g) return 0;
    GraphEquiv eq;
    graph_equiv(g, g, &eq);
    uint8_t *out = NULL;
    size_t len = 0;
    if (onnx_serialize(g, &(OnnxWriteOptions){.opset = 17}, &out, &len, err, sizeof err) == 0) {
        Graph *back = onnx_read_buffer(out, len, "fuzz-rewritten.onnx", err, sizeof err);
        if (!back) {
            /* the writer must never emit what the reader refuses */
            fprintf(stderr, "re-read failed: %s\n", err);
            abort();
        }
        graph_equiv(g, back, &eq);
        graph_free(back);
        free(out);
    }
    graph_free(g);
    return 0;
}
