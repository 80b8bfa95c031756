/* fuzz_torchscript: libFuzzer harness for the TorchScript archive inspector (the check
 * that reads back what the exporter wrote) and the reader's archive side (torchscript_open:
 * the code and the module's tensors, then the forward() parser over them; shape inference
 * runs the executor, which fuzz_exec covers).  The input is a whole archive file. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "formats/torchscript.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_torchscript.%d.torchscript", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t n = fwrite(data, 1, size, f);
    fclose(f);
    if (n != size) return 0;
    TorchScriptInfo info;
    char err[512] = "";
    memset(&info, 0, sizeof info);
    if (torchscript_inspect(path, &info, err, sizeof err) == 0) torchscript_info_free(&info);
    else if (!err[0]) __builtin_trap(); /* a failure always says why */
    TorchScriptArchive a;
    err[0] = '\0';
    if (torchscript_open(path, &a, err, sizeof err) == 0) {
        err[0] = '\0';
        Graph *g = torchscript_graph_from_code(path, a.code, a.code_len, a.weights, a.n_weights, err, sizeof err);
        if (!g && !err[0]) __builtin_trap();
        graph_free(g);
        torchscript_archive_free(&a);
    } else if (!err[0]) {
        __builtin_trap();
    }
    unlink(path);
    return 0;
}
