/* test_flatbuf: the flatbuffer builder against hand-laid bytes and round trips, and the
 * verifier's refusals (truncation, offsets, vtables, strings, cycles, overlaps, depth,
 * expanding shared references). */
#include <stdint.h>
#include <string.h>

#include "formats/flatbuf.h"
#include "tests/check.h"
#include "tests/flatbuf_schema.h"

/* The absolute position of field id of the table at tpos (test-side reading of the vtable). */
static uint32_t field_pos(const uint8_t *buf, uint32_t tpos, int id)
{
    int32_t soff;
    memcpy(&soff, buf + tpos, 4);
    uint32_t vt = (uint32_t)((int64_t)tpos - soff);
    uint16_t off;
    memcpy(&off, buf + vt + 4 + 2 * id, 2);
    return off ? tpos + off : 0;
}

static uint8_t *build_item(size_t *len)
{
    FbBuilder b;
    fb_builder_init(&b);
    /* a child used in children[] and as the union payload */
    FbRef cname = fb_create_string(&b, "child", 5);
    fb_table_start(&b);
    fb_add_i32(&b, ITEM_ID, 2, 0);
    fb_add_ref(&b, ITEM_NAME, cname);
    FbRef child = fb_table_end(&b);

    FbRef name = fb_create_string(&b, "root item", 9);
    FbRef t1 = fb_create_string(&b, "a", 1);
    FbRef t2 = fb_create_string(&b, "bc", 2);
    FbRef tags = fb_create_ref_vector(&b, (FbRef[]){t1, t2}, 2);
    uint8_t data[40];
    for (int i = 0; i < 40; i++) data[i] = (uint8_t)(i * 3);
    FbRef dv = fb_create_vector(&b, data, sizeof data, 1, 16);
    FbRef kids = fb_create_ref_vector(&b, (FbRef[]){child, child}, 2);
    fb_table_start(&b);
    fb_add_i32(&b, ITEM_ID, 7, 0);
    fb_add_ref(&b, ITEM_NAME, name);
    fb_add_ref(&b, ITEM_CHILDREN, kids);
    fb_add_ref(&b, ITEM_TAGS, tags);
    fb_add_ref(&b, ITEM_DATA, dv);
    float pos[3] = {1.5f, -2.0f, 3.25f};
    fb_add_struct(&b, ITEM_POS, pos, sizeof pos, 4);
    fb_add_u8(&b, ITEM_PAYLOAD_TYPE, 1, 0);
    fb_add_ref(&b, ITEM_PAYLOAD, child);
    fb_add_i64(&b, ITEM_BIG, -5000000000LL, 0);
    FbRef root = fb_table_end(&b);
    char err[256];
    EXPECT(fb_finish(&b, root, "TEST", err, sizeof err) == 0);
    return fb_builder_take(&b, len);
}

static void test_hand_laid_bytes(void)
{
    /* root uoffset 16, "TEST", vtable {6, 8, 4} at 8, padding, table at 16 (soffset 8), int 7 */
    const uint8_t buf[24] = {16, 0, 0, 0, 'T', 'E', 'S', 'T', 6, 0, 8, 0, 4, 0, 0, 0,
                             8,  0, 0, 0, 7,   0,   0,   0};
    char err[256];
    EXPECT_MSG(fb_verify(buf, sizeof buf, &test_item_def, "TEST", NULL, err, sizeof err) == 0, "%s", err);
    FbTable t = fb_root(buf, sizeof buf);
    EXPECT_EQ_INT(t.pos, 16);
    EXPECT_EQ_INT(fb_table_i32(t, ITEM_ID, -1), 7);
    EXPECT_EQ_INT(fb_table_i64(t, ITEM_BIG, 42), 42);
    EXPECT(fb_has_identifier(buf, sizeof buf, "TEST"));

    /* the builder lays the same table out the same way */
    FbBuilder b;
    fb_builder_init(&b);
    fb_table_start(&b);
    fb_add_i32(&b, ITEM_ID, 7, 0);
    FbRef r = fb_table_end(&b);
    EXPECT(fb_finish(&b, r, "TEST", err, sizeof err) == 0);
    size_t len;
    const uint8_t *out = fb_builder_data(&b, &len);
    /* the builder puts the vtable right before the table, the padding the finish needs in front
     * of it (as the reference builders do): root offset 16, "TEST", 2 bytes of padding, vtable
     * {6, 8, 4} at 10, table at 16 (soffset 6), the int */
    const uint8_t want[24] = {16, 0, 0, 0, 'T', 'E', 'S', 'T', 0, 0, 6, 0, 8, 0, 4, 0,
                              6,  0, 0, 0, 7,   0,   0,   0};
    EXPECT_EQ_INT(len, 24);
    EXPECT(len == 24 && memcmp(out, want, 24) == 0);
    EXPECT_MSG(fb_verify(out, len, &test_item_def, "TEST", NULL, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(fb_table_i32(fb_root(out, len), ITEM_ID, -1), 7);
    fb_builder_free(&b);
}

static void test_round_trip(void)
{
    size_t len;
    uint8_t *buf = build_item(&len);
    char err[256];
    EXPECT_MSG(fb_verify(buf, len, &test_item_def, "TEST", NULL, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(len % 16, 0);
    FbTable t = fb_root(buf, len);
    EXPECT_EQ_INT(fb_table_i32(t, ITEM_ID, 0), 7);
    EXPECT_EQ_INT(fb_table_i64(t, ITEM_BIG, 0), -5000000000LL);
    uint32_t n = 0;
    const char *s = fb_table_string(t, ITEM_NAME, &n);
    EXPECT(s && n == 9 && memcmp(s, "root item", 9) == 0 && s[9] == 0);
    FbVector tags = fb_table_vector(t, ITEM_TAGS, 4);
    EXPECT_EQ_INT(tags.n, 2);
    EXPECT_EQ_STR(fb_vec_string(tags, 1, &n), "bc");
    EXPECT(fb_vec_string(tags, 2, &n) == NULL);
    FbVector data = fb_table_vector(t, ITEM_DATA, 1);
    EXPECT_EQ_INT(data.n, 40);
    EXPECT_EQ_INT(data.pos % 16, 0); /* force_align honoured */
    const uint8_t *d = fb_vec_data(data, 1);
    EXPECT(d && d[39] == 39 * 3);
    const uint8_t *pos = fb_table_struct(t, ITEM_POS, 12);
    float p[3];
    memcpy(p, pos, 12);
    EXPECT(p[0] == 1.5f && p[1] == -2.0f && p[2] == 3.25f);
    FbVector kids = fb_table_vector(t, ITEM_CHILDREN, 4);
    EXPECT_EQ_INT(kids.n, 2);
    FbTable k1 = fb_vec_table(kids, 1);
    EXPECT_EQ_INT(fb_table_i32(k1, ITEM_ID, 0), 2);
    EXPECT_EQ_STR(fb_table_string(k1, ITEM_NAME, NULL), "child");
    EXPECT_EQ_INT(fb_table_u8(t, ITEM_PAYLOAD_TYPE, 0), 1);
    EXPECT_EQ_INT(fb_table_i32(fb_table_table(t, ITEM_PAYLOAD), ITEM_ID, 0), 2);
    EXPECT(!fb_table_has(t, ITEM_CHILD));
    EXPECT(!fb_table_table(t, ITEM_CHILD).pos);
    /* the builder shares vtables: both references to the child are the same table */
    EXPECT_EQ_INT(fb_vec_table(kids, 0).pos, k1.pos);
    free(buf);
}

static void expect_refused(const uint8_t *buf, size_t len, const char *want, const FbLimits *lim)
{
    char err[256] = "";
    int rc = fb_verify(buf, len, &test_item_def, "TEST", lim, err, sizeof err);
    EXPECT_MSG(rc != 0, "accepted, wanted \"%s\"", want);
    EXPECT_CONTAINS(err, want);
}

static void test_refusals(void)
{
    size_t len;
    uint8_t *good = build_item(&len);
    uint8_t *buf = malloc(len);
    FbTable t = fb_root(good, len);

    /* truncation anywhere is refused (never read past the end) */
    for (size_t cut = 0; cut + 4 < len; cut += 7) /* the last bytes may be padding */ {
        char err[256];
        EXPECT_MSG(fb_verify(good, cut, &test_item_def, "TEST", NULL, err, sizeof err) != 0, "cut at %zu", cut);
    }
    expect_refused(good, 6, "too short", NULL);

    memcpy(buf, good, len);
    buf[4] = 'X';
    expect_refused(buf, len, "file identifier", NULL);

    memcpy(buf, good, len);
    uint32_t big = (uint32_t)len + 100;
    memcpy(buf, &big, 4);
    expect_refused(buf, len, "root offset", NULL);

    /* the root table's vtable sent outside the buffer */
    memcpy(buf, good, len);
    int32_t soff = -(int32_t)len;
    memcpy(buf + t.pos, &soff, 4);
    expect_refused(buf, len, "vtable", NULL);

    /* a vtable whose size runs past the end */
    memcpy(buf, good, len);
    int32_t s0;
    memcpy(&s0, good + t.pos, 4);
    uint32_t vt = (uint32_t)((int64_t)t.pos - s0);
    uint16_t huge = 0xfffe;
    memcpy(buf + vt, &huge, 2);
    expect_refused(buf, len, "bad size", NULL);

    /* a field offset outside its table */
    memcpy(buf, good, len);
    uint16_t off = 0xfff0;
    memcpy(buf + vt + 4 + 2 * ITEM_NAME, &off, 2);
    expect_refused(buf, len, "outside its table", NULL);

    /* a string longer than the buffer, and one without its NUL */
    uint32_t name_field = field_pos(good, t.pos, ITEM_NAME);
    uint32_t name_off;
    memcpy(&name_off, good + name_field, 4);
    uint32_t name_pos = name_field + name_off;
    memcpy(buf, good, len);
    uint32_t long_len = 1u << 30;
    memcpy(buf + name_pos, &long_len, 4);
    expect_refused(buf, len, "Item.name: string of", NULL);
    memcpy(buf, good, len);
    buf[name_pos + 4 + 9] = 'x';
    expect_refused(buf, len, "not NUL-terminated", NULL);

    /* an offset out of range, and one referring to itself (the only cycle a forward format has) */
    memcpy(buf, good, len);
    uint32_t far = (uint32_t)len;
    memcpy(buf + name_field, &far, 4);
    expect_refused(buf, len, "points past the end", NULL);
    memcpy(buf, good, len);
    uint32_t zero = 0;
    uint32_t kids_field = field_pos(good, t.pos, ITEM_CHILDREN);
    uint32_t kids_off;
    memcpy(&kids_off, good + kids_field, 4);
    memcpy(buf + kids_field + kids_off + 4, &zero, 4); /* children[0] -> itself */
    expect_refused(buf, len, "Item.children[0]: offset", NULL);
    expect_refused(buf, len, "a cyclic reference", NULL);

    /* two objects sharing part of their bytes: data[] pointed into the name string */
    memcpy(buf, good, len);
    uint32_t data_field = field_pos(good, t.pos, ITEM_DATA);
    uint32_t to_name = name_pos - data_field;
    memcpy(buf + data_field, &to_name, 4);
    expect_refused(buf, len, "overlaps", NULL);

    /* an offset in a table's field into its own table (the table read as a string) */
    memcpy(buf, good, len);
    uint32_t into_self = 4;
    memcpy(buf + name_field, &into_self, 4);
    {
        char err[256];
        EXPECT(fb_verify(buf, len, &test_item_def, "TEST", NULL, err, sizeof err) != 0);
    }

    free(buf);
    free(good);
}

static void test_depth_and_expansion(void)
{
    /* a chain of 100 nested children: refused at depth 10, accepted at the default */
    FbBuilder b;
    fb_builder_init(&b);
    FbRef prev = 0;
    for (int i = 0; i < 100; i++) {
        fb_table_start(&b);
        fb_add_i32(&b, ITEM_ID, i, -1);
        fb_add_ref(&b, ITEM_CHILD, prev);
        prev = fb_table_end(&b);
    }
    char err[256];
    EXPECT(fb_finish(&b, prev, "TEST", err, sizeof err) == 0);
    size_t len;
    const uint8_t *buf = fb_builder_data(&b, &len);
    FbLimits lim = {.max_depth = 10};
    expect_refused(buf, len, "nested deeper than 10", &lim);
    lim.max_depth = 200;
    EXPECT_MSG(fb_verify(buf, len, &test_item_def, "TEST", &lim, err, sizeof err) == 0, "%s", err);
    fb_builder_free(&b);

    /* 40 levels, each with two references to the level below: 2^40 visits if followed naively */
    fb_builder_init(&b);
    prev = 0;
    for (int i = 0; i < 40; i++) {
        FbRef kids = prev ? fb_create_ref_vector(&b, (FbRef[]){prev, prev}, 2) : 0;
        fb_table_start(&b);
        fb_add_ref(&b, ITEM_CHILDREN, kids);
        prev = fb_table_end(&b);
    }
    EXPECT(fb_finish(&b, prev, "TEST", err, sizeof err) == 0);
    buf = fb_builder_data(&b, &len);
    expect_refused(buf, len, "more than", NULL);
    fb_builder_free(&b);
}

static void test_builder_misuse(void)
{
    FbBuilder b;
    fb_builder_init(&b);
    char err[256];
    fb_table_start(&b);
    EXPECT(fb_finish(&b, 4, NULL, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "left open");
    fb_builder_free(&b);
    fb_builder_init(&b);
    EXPECT(fb_finish(&b, 0, NULL, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "no root");
    fb_builder_free(&b);
    /* a string created inside an open table poisons the build */
    fb_builder_init(&b);
    fb_table_start(&b);
    fb_create_string(&b, "x", 1);
    FbRef r = fb_table_end(&b);
    EXPECT(fb_finish(&b, r ? r : 4, NULL, err, sizeof err) != 0);
    fb_builder_free(&b);
}

int main(void)
{
    RUN(test_hand_laid_bytes);
    RUN(test_round_trip);
    RUN(test_refusals);
    RUN(test_depth_and_expansion);
    RUN(test_builder_misuse);
    return check_done();
}
