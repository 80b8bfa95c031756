/* fuzz_tfsaved: libFuzzer harness for the TensorFlow GraphDef and SavedModel reader
 * (formats/tfsaved_read.c): the first byte picks the message ('S' a SavedModel, with a small
 * metadata.yaml; anything else a GraphDef), the rest is the protobuf.  Whatever it accepts is
 * validated as a graph. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/tfsaved.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const char meta[] = "task: detect\nstride: 32\nnames:\n  0: person\n";
    char err[512];
    Graph *g = data[0] == 'S'
                   ? tfsaved_read_saved_model_buffer(data + 1, size - 1, meta, strlen(meta), "fuzz/saved_model.pb", err, sizeof err)
                   : tfsaved_read_pb_buffer(data + 1, size - 1, "fuzz.pb", err, sizeof err);
    if (g) {
        if (graph_validate(g, err, sizeof err) != 0) abort(); /* the reader hands out only valid graphs */
        graph_free(g);
    }
    return 0;
}
