/* fuzz_exec: libFuzzer harness for the export check's executor run: an ONNX graph (read
 * with onnx_read_buffer) compared with itself node for node (graph_equiv), then run by the
 * executor on a fixed input, as export_stage's check runs the source and the written model.
 * Inputs get small shapes (symbolic and large dims become at most 8); the memory budget
 * (tests/fuzz/fuzz_budget.h) and an element cap bound what a run may create, so a graph that
 * asks for gigabytes is refused by the budget, not by the RSS limit.  Afterwards every byte
 * the run took from the budget must be back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/passes/graph_equiv.h"
#include "formats/onnx.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    uint64_t before = membudget_used();
    Graph *g = onnx_read_buffer(data, size, "fuzz.onnx", err, sizeof err);
    if (!g) return 0;
    GraphEquiv eq;
    graph_equiv(g, g, &eq);
    Exec *e = exec_new(g, err, sizeof err);
    if (e) {
        exec_set_max_elements(e, (int64_t)1 << 14); /* each op's work stays small */
        int ok = 1;
        for (int i = 0; i < g->n_inputs && ok; i++) {
            const Tensor *t = &g->tensors[g->inputs[i]];
            int64_t dims[GRAPH_MAX_RANK], n = 1;
            for (int d = 0; d < t->rank; d++) {
                dims[d] = t->dims[d] > 0 && t->dims[d] <= 8 ? t->dims[d] : 2;
                n *= dims[d];
            }
            float *x = malloc(sizeof(float) * (size_t)n);
            for (int64_t k = 0; k < n; k++) x[k] = (float)((k * 37) % 17) / 8.0f - 1.0f;
            ok = exec_set_input(e, t->name, x, dims, t->rank, err, sizeof err) == 0;
            free(x);
        }
        if (ok && exec_run(e, NULL, err, sizeof err) == 0) {
            for (int i = 0; i < g->n_outputs; i++) {
                int64_t dims[GRAPH_MAX_RANK];
                int rank = 0;
                const float *y = exec_output(e, i, dims, &rank);
                volatile float sink = 0;
                if (y) {
                    int64_t n = 1;
                    for (int d = 0; d < rank; d++) n *= dims[d];
                    for (int64_t k = 0; k < n; k++) sink += y[k]; /* ASan sees every element */
                }
                (void)sink;
            }
        }
        exec_free(e);
    }
    graph_free(g);
    if (membudget_used() != before) __builtin_trap(); /* the budget's accounting balances */
    return 0;
}
