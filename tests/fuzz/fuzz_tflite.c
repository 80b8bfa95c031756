/* fuzz_tflite: libFuzzer harness for the TF Lite reader (flatbuffer verification, every index
 * checked, operators read into the IR, the appended metadata archive); whatever it accepts is
 * validated as a graph. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/tflite.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    Graph *g = tflite_read_buffer(data, size, "fuzz.tflite", err, sizeof err);
    if (g) {
        if (graph_validate(g, err, sizeof err) != 0) abort(); /* the reader hands out only valid graphs */
        graph_free(g);
    }
    free(tflite_metadata_json(data, size));
    return 0;
}
