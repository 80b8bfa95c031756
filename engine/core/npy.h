/* npy: NumPy .npy files (format versions 1.0, 2.0 and 3.0), little-endian, C order.
 * Element types: float32 '<f4', float16 '<f2', float64 '<f8', int64 '<i8', int32 '<i4',
 * uint8 '|u1', int8 '|i1', bool '|b1'.  The header is a Python dict literal; it is parsed
 * strictly (exactly the keys descr, fortran_order and shape; nothing else) and every size
 * is checked against the file's length, since reference arrays arrive as files.
 *
 * Used by tests and by the export check against reference arrays. */
#ifndef YOLOPORT_NPY_H
#define YOLOPORT_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"

typedef struct {
    DType dtype;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    int64_t numel;
    void *data;    /* numel elements in host (little-endian) order; heap, owned by the array */
    size_t nbytes;
} NpyArray;

/* Parse an in-memory .npy image.  The data is copied, buf may be freed afterwards.
 * 0, or -1 + a message saying what is wrong (out is then empty). */
int npy_parse(const void *buf, size_t len, NpyArray *out, char *err, size_t errlen);
/* Read path (at most max_bytes; 0 means 4 GiB).  0, or -1 + a message naming the file. */
int npy_read(const char *path, size_t max_bytes, NpyArray *out, char *err, size_t errlen);
/* The array converted to float32: a new heap buffer of a->numel floats (caller frees);
 * NULL + message for non-numeric types. */
float *npy_to_f32(const NpyArray *a, char *err, size_t errlen);
void npy_free(NpyArray *a);

/* Serialise to a heap buffer (format 1.0, or 2.0 when the header would not fit);
 * *len receives its size.  NULL + message for an unsupported dtype or bad shape. */
void *npy_format(DType dtype, const int64_t *dims, int rank, const void *data, size_t *len, char *err,
                 size_t errlen);
/* Write an array to path atomically.  0, or -1 + message naming the file. */
int npy_write(const char *path, DType dtype, const int64_t *dims, int rank, const void *data, char *err,
              size_t errlen);

#endif
