/* flatbuf_schema.h: a small recursive flatbuffer schema for the flatbuffer module's unit test
 * and fuzz harness, using every field kind the verifier knows:
 *
 *   struct Vec3 { x: float; y: float; z: float; }
 *   union Payload { Item }
 *   table Item {
 *     id: int;            // 0
 *     name: string;       // 1
 *     children: [Item];   // 2
 *     tags: [string];     // 3
 *     data: [ubyte] (force_align: 16);  // 4
 *     pos: Vec3;          // 5
 *     payload: Payload;   // 6 (type), 7 (value)
 *     big: long;          // 8
 *     child: Item;        // 9
 *   }
 *   root_type Item; file_identifier "TEST";
 */
#ifndef YOLOPORT_TESTS_FLATBUF_SCHEMA_H
#define YOLOPORT_TESTS_FLATBUF_SCHEMA_H

#include "formats/flatbuf.h"

enum { ITEM_ID, ITEM_NAME, ITEM_CHILDREN, ITEM_TAGS, ITEM_DATA, ITEM_POS, ITEM_PAYLOAD_TYPE, ITEM_PAYLOAD, ITEM_BIG, ITEM_CHILD };

extern const FbTableDef test_item_def;
static const FbTableDef *const test_payload_tables[] = {NULL, &test_item_def};
static const FbFieldDef test_item_fields[] = {
    {"id", ITEM_ID, FB_FIELD_SCALAR, 4, 0, NULL, NULL, 0},
    {"name", ITEM_NAME, FB_FIELD_STRING, 0, 0, NULL, NULL, 0},
    {"children", ITEM_CHILDREN, FB_FIELD_VEC_TABLE, 4, 0, &test_item_def, NULL, 0},
    {"tags", ITEM_TAGS, FB_FIELD_VEC_STRING, 4, 0, NULL, NULL, 0},
    {"data", ITEM_DATA, FB_FIELD_VEC_SCALAR, 1, 16, NULL, NULL, 0},
    {"pos", ITEM_POS, FB_FIELD_STRUCT, 12, 4, NULL, NULL, 0},
    {"payload_type", ITEM_PAYLOAD_TYPE, FB_FIELD_SCALAR, 1, 0, NULL, NULL, 0},
    {"payload", ITEM_PAYLOAD, FB_FIELD_UNION, 4, 0, NULL, test_payload_tables, 2},
    {"big", ITEM_BIG, FB_FIELD_SCALAR, 8, 0, NULL, NULL, 0},
    {"child", ITEM_CHILD, FB_FIELD_TABLE, 4, 0, &test_item_def, NULL, 0},
};
const FbTableDef test_item_def = {"Item", test_item_fields, (int)(sizeof test_item_fields / sizeof test_item_fields[0])};

#endif
