/* fuzz_engine: libFuzzer harness for the TensorRT engine header reader (the peer's 4-byte
 * little-endian length, metadata JSON, plan): the sniffer and the parser on any bytes, with
 * the file size either the input's or larger (a header read from the head of a big file). */
#include <stdint.h>
#include <stdlib.h>

#include "formats/engine.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    EngineHeader h;
    char err[256];
    for (int pass = 0; pass < 2; pass++) {
        uint64_t file_size = pass ? (uint64_t)size + 1000 : size;
        (void)engine_sniff(data, size, file_size);
        if (engine_header_parse(data, size, file_size, &h, err, sizeof err) == 0) {
            size_t sum = 0; /* every name is there and readable */
            for (int i = 0; i < h.nc; i++) sum += (unsigned char)h.names[i][0];
            if (sum == (size_t)-1) abort();
            engine_header_free(&h);
        }
    }
    return 0;
}
