/* fuzz_npy: libFuzzer harness for the .npy reader (headers parsed strictly, every size
 * bounds-checked), including the float32 conversion of whatever it accepts. */
#include <stdint.h>
#include <stdlib.h>

#include "engine/core/npy.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    NpyArray a;
    char err[256];
    if (npy_parse(data, size, &a, err, sizeof err) == 0) {
        float *f = npy_to_f32(&a, err, sizeof err);
        free(f);
        npy_free(&a);
    }
    return 0;
}
