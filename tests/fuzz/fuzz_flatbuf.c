/* fuzz_flatbuf: libFuzzer harness for the flatbuffer verifier and accessors, over a small
 * recursive schema using every field kind (tests/flatbuf_schema.h); whatever the verifier
 * accepts is then walked with the accessors. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/flatbuf.h"
#include "tests/flatbuf_schema.h"
#include "tests/fuzz/fuzz_budget.h"

static uint64_t walk(FbTable t, int depth)
{
    if (!t.pos || depth > 64) return 0;
    uint64_t h = (uint64_t)fb_table_i32(t, ITEM_ID, 0) + (uint64_t)fb_table_i64(t, ITEM_BIG, 0);
    uint32_t n = 0;
    const char *s = fb_table_string(t, ITEM_NAME, &n);
    if (s) h += (uint64_t)s[n];
    FbVector tags = fb_table_vector(t, ITEM_TAGS, 4);
    for (uint32_t i = 0; i < tags.n; i++) {
        s = fb_vec_string(tags, i, &n);
        if (s) h += n;
    }
    FbVector data = fb_table_vector(t, ITEM_DATA, 1);
    const uint8_t *d = fb_vec_data(data, 1);
    for (uint32_t i = 0; d && i < data.n; i++) h += d[i];
    const uint8_t *pos = fb_table_struct(t, ITEM_POS, 12);
    if (pos) h += pos[11];
    FbVector kids = fb_table_vector(t, ITEM_CHILDREN, 4);
    for (uint32_t i = 0; i < kids.n && i < 4; i++) h += walk(fb_vec_table(kids, i), depth + 1);
    h += walk(fb_table_table(t, ITEM_CHILD), depth + 1);
    if (fb_table_u8(t, ITEM_PAYLOAD_TYPE, 0) == 1) h += walk(fb_table_table(t, ITEM_PAYLOAD), depth + 1);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    FbLimits lim = {.max_depth = 32, .max_objects = 4096};
    volatile uint64_t sink = 0;
    if (fb_verify(data, size, &test_item_def, NULL, &lim, err, sizeof err) == 0) sink += walk(fb_root(data, size), 0);
    else sink += walk(fb_root(data, size), 48); /* unverified: accessors stay in bounds too */
    (void)sink;
    return 0;
}
