/* flatbuf: a small FlatBuffers builder and a bounds-checked reader/verifier, for the formats
 * that are flatbuffers (TF Lite, its metadata, MNN).  No flatbuffer C library is packaged for
 * Debian (flatcc is not; libflatbuffers is C++ only), and the wire format is small: this module
 * implements it from the format's rules, not from a schema compiler.
 *
 * Wire format (all little-endian):
 *   - the buffer opens with a uoffset (u32) to the root table, optionally followed by a
 *     4-character file identifier;
 *   - a uoffset stored at position p refers to p + value (always forward, never 0 here);
 *   - a table opens with an soffset (i32): its vtable is at table - soffset; the vtable holds
 *     u16 vtable size, u16 table size, then one u16 per field id: the field's offset from the
 *     table's start, 0 when the field is absent (its default applies);
 *   - a vector is a u32 element count followed by the elements (scalars, structs inline, or
 *     uoffsets to tables/strings); a string is a vector of bytes followed by a NUL.
 *
 * Building.  The builder writes back to front, as FlatBuffers builders do: children are
 * created before the objects that refer to them, and an FbRef names a finished object by its
 * distance from the buffer's end.  A table is open between fb_table_start and fb_table_end;
 * vectors and strings must be created while no table is open.  Fields equal to their default
 * are left out (as the reference builders do).  Identical vtables are shared.
 *
 * Reading.  fb_verify walks a buffer against a schema description (FbTableDef: which field
 * ids are scalars, strings, tables, vectors, structs, unions) and refuses, with a message,
 * anything out of range: the root offset, a table's vtable or fields, a vector's or string's
 * extent, a missing NUL, misalignment of scalars it reads; a reference to itself (uoffset 0:
 * the only way to form a cycle in a forward-only format); objects that partly overlap (two
 * objects of the buffer share bytes without being the same object); nesting deeper than the
 * limit and more objects than the limit (a buffer of shared references that would expand
 * exponentially).  The accessors (fb_table_*, fb_vec_*) are bounds-checked on their own and
 * return the default or "absent" for anything out of range, so a caller that verified first
 * gets exact answers and one that did not still never reads outside the buffer.
 */
#ifndef YOLOPORT_FLATBUF_H
#define YOLOPORT_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- building */

typedef uint32_t FbRef; /* a finished object, as its distance from the buffer's end; 0 = none */

typedef struct {
    uint8_t *buf;      /* the data occupies buf[cap - size, cap) */
    size_t cap, size;
    size_t minalign;   /* largest alignment asked for: the finished buffer's start honours it */
    /* the open table */
    bool in_table;
    size_t table_start; /* size when the table was started */
    uint32_t *field_pos; /* per field id: position (size after the field was pushed), 0 = absent */
    int n_fields, cap_fields;
    /* finished vtables, for sharing (positions from the end) */
    uint32_t *vtables;
    int n_vtables, cap_vtables;
    bool finished;
    bool overflow;     /* the buffer would pass 2 GiB: everything after fails */
} FbBuilder;

/* A zeroed builder is ready too; fb_builder_free releases its memory (the struct is the caller's). */
void fb_builder_init(FbBuilder *b);
void fb_builder_free(FbBuilder *b);

/* Objects outside tables (call with no table open).  Each returns the new object's ref, or 0
 * after an overflow (then fb_finish fails).  Data is copied; multi-byte scalars in data must
 * already be little-endian (this machine's order on every platform yoloport targets). */
FbRef fb_create_string(FbBuilder *b, const char *s, size_t len);
/* A vector of n elements of elem_size bytes (scalars or structs) whose first element is aligned
 * to align (a power of two, at least elem_size's natural alignment; 16 for TF Lite buffers, so
 * that a nested flatbuffer or tensor data inside starts aligned). */
FbRef fb_create_vector(FbBuilder *b, const void *data, size_t n, size_t elem_size, size_t align);
/* A vector of references to tables or strings (refs[i] != 0). */
FbRef fb_create_ref_vector(FbBuilder *b, const FbRef *refs, size_t n);

/* Tables.  Fields are added by id (0-based, as the schema's declaration order or id attribute
 * gives them), each at most once, between start and end. */
void fb_table_start(FbBuilder *b);
void fb_add_u8(FbBuilder *b, int id, uint8_t v, uint8_t dflt);
void fb_add_i8(FbBuilder *b, int id, int8_t v, int8_t dflt);
void fb_add_bool(FbBuilder *b, int id, bool v, bool dflt);
void fb_add_u16(FbBuilder *b, int id, uint16_t v, uint16_t dflt);
void fb_add_i16(FbBuilder *b, int id, int16_t v, int16_t dflt);
void fb_add_u32(FbBuilder *b, int id, uint32_t v, uint32_t dflt);
void fb_add_i32(FbBuilder *b, int id, int32_t v, int32_t dflt);
void fb_add_u64(FbBuilder *b, int id, uint64_t v, uint64_t dflt);
void fb_add_i64(FbBuilder *b, int id, int64_t v, int64_t dflt);
void fb_add_f32(FbBuilder *b, int id, float v, float dflt);
void fb_add_f64(FbBuilder *b, int id, double v, double dflt);
/* A reference field (table, string, vector); ref 0 adds nothing. */
void fb_add_ref(FbBuilder *b, int id, FbRef ref);
/* A struct stored inline (size bytes of little-endian data, aligned to align). */
void fb_add_struct(FbBuilder *b, int id, const void *data, size_t size, size_t align);
/* Close the open table: writes (or shares) its vtable; returns the table's ref. */
FbRef fb_table_end(FbBuilder *b);

/* Finish with root as the root table and file_id (exactly 4 characters, or NULL for none).
 * Returns 0, or -1 + message (overflow, a table left open, no root). */
int fb_finish(FbBuilder *b, FbRef root, const char *file_id, char *err, size_t errlen);
/* The finished buffer (owned by the builder; valid until fb_builder_free). */
const uint8_t *fb_builder_data(const FbBuilder *b, size_t *len);
/* Hand the finished buffer to the caller (free() it); the builder is left empty.  *len gets its
 * size; the bytes start at the returned pointer (heap, aligned to malloc's alignment). */
uint8_t *fb_builder_take(FbBuilder *b, size_t *len);

/* ---------------------------------------------------------------- schema description */

typedef enum {
    FB_FIELD_SCALAR,     /* size 1, 2, 4 or 8 */
    FB_FIELD_STRUCT,     /* size bytes, align */
    FB_FIELD_STRING,
    FB_FIELD_TABLE,      /* table */
    FB_FIELD_VEC_SCALAR, /* elements of size bytes (scalars or structs), align */
    FB_FIELD_VEC_STRING,
    FB_FIELD_VEC_TABLE,  /* table */
    FB_FIELD_UNION,      /* the value; its u8 type is field id - 1; union_tables[type] (NULL = NONE / unknown) */
} FbFieldKind;

struct FbTableDef;

typedef struct {
    const char *name; /* for messages ("tensors") */
    int id;
    FbFieldKind kind;
    int size;        /* scalars, structs and vector elements */
    int align;       /* structs and vectors of scalars (0 = size) */
    const struct FbTableDef *table;
    const struct FbTableDef *const *union_tables; /* indexed by the union's type byte */
    int n_union_tables;
} FbFieldDef;

typedef struct FbTableDef {
    const char *name;          /* for messages ("Tensor") */
    const FbFieldDef *fields;
    int n_fields;
} FbTableDef;

typedef struct {
    int max_depth;        /* tables nested deeper than this are refused (0: 64) */
    size_t max_objects;   /* tables, vectors and strings visited (0: 1 << 22) */
} FbLimits;

/* Verify buf against root_def (see the header comment for what is refused).  file_id (4
 * characters) must match when non-NULL.  0 or -1 + "<what>: <problem>" naming the table and
 * field ("Model.subgraphs[0].tensors[3].name: string runs past the end of the buffer"). */
int fb_verify(const uint8_t *buf, size_t len, const FbTableDef *root_def, const char *file_id,
              const FbLimits *limits, char *err, size_t errlen);

/* ---------------------------------------------------------------- reading */

/* A table of a buffer (pos 0: absent). */
typedef struct {
    const uint8_t *buf;
    size_t len;
    uint32_t pos;
} FbTable;

/* A vector of a buffer: n elements starting at data (pos 0: absent, n = 0). */
typedef struct {
    const uint8_t *buf;
    size_t len;
    uint32_t pos; /* first element */
    uint32_t n;
} FbVector;

/* The root table (absent when the root offset is out of range). */
FbTable fb_root(const uint8_t *buf, size_t len);
/* Does the buffer carry this 4-character file identifier? */
bool fb_has_identifier(const uint8_t *buf, size_t len, const char *file_id);

bool fb_table_has(FbTable t, int id);
uint8_t fb_table_u8(FbTable t, int id, uint8_t dflt);
int8_t fb_table_i8(FbTable t, int id, int8_t dflt);
bool fb_table_bool(FbTable t, int id, bool dflt);
uint16_t fb_table_u16(FbTable t, int id, uint16_t dflt);
int16_t fb_table_i16(FbTable t, int id, int16_t dflt);
uint32_t fb_table_u32(FbTable t, int id, uint32_t dflt);
int32_t fb_table_i32(FbTable t, int id, int32_t dflt);
uint64_t fb_table_u64(FbTable t, int id, uint64_t dflt);
int64_t fb_table_i64(FbTable t, int id, int64_t dflt);
float fb_table_f32(FbTable t, int id, float dflt);
double fb_table_f64(FbTable t, int id, double dflt);
FbTable fb_table_table(FbTable t, int id);
/* The string's bytes (not copied; NUL-terminated when verified) or NULL; *len its length. */
const char *fb_table_string(FbTable t, int id, uint32_t *len);
/* A vector field; elem_size is what one element takes (4 for references). */
FbVector fb_table_vector(FbTable t, int id, size_t elem_size);
/* A struct field's bytes (size bytes in range) or NULL. */
const uint8_t *fb_table_struct(FbTable t, int id, size_t size);

/* Vector elements (i < v.n; out of range: absent / 0). */
FbTable fb_vec_table(FbVector v, uint32_t i);
const char *fb_vec_string(FbVector v, uint32_t i, uint32_t *len);
uint8_t fb_vec_u8(FbVector v, uint32_t i);
int32_t fb_vec_i32(FbVector v, uint32_t i);
uint32_t fb_vec_u32(FbVector v, uint32_t i);
int64_t fb_vec_i64(FbVector v, uint32_t i);
float fb_vec_f32(FbVector v, uint32_t i);
/* The elements' bytes (n * elem_size in range) or NULL. */
const uint8_t *fb_vec_data(FbVector v, size_t elem_size);

#endif
