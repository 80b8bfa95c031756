/* fuzz_torchscript_code: libFuzzer harness for the TorchScript reader's forward() parser
 * (formats/torchscript_graph.c) on its own: the input is a code file, read against a fixed
 * module of two tensors (self.w [4, 3, 3, 3], self.b [4]).  Every refusal has a message; a
 * graph that comes back passed graph_validate. */
#include <stdint.h>
#include <string.h>

#include "formats/torchscript.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float w[4 * 3 * 3 * 3], b[4];
    TorchScriptWeight ws[] = {
        {.name = "w", .dtype = DT_F32, .rank = 4, .dims = {4, 3, 3, 3}, .data = w, .nbytes = sizeof w},
        {.name = "b", .dtype = DT_F32, .rank = 1, .dims = {4}, .data = b, .nbytes = sizeof b},
    };
    char err[512] = "";
    Graph *g = torchscript_graph_from_code("fuzz.torchscript", (const char *)data, size, ws, 2, err, sizeof err);
    if (!g && !err[0]) __builtin_trap(); /* a refusal always says why */
    graph_free(g);
    return 0;
}
