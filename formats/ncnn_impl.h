/* ncnn_impl: what the ncnn reader's three files share — the .param text parsed and checked
 * (formats/ncnn_param.c: layers, blobs, each layer's parameter dictionary with ncnn's own
 * typing rules) and the .bin read as ncnn's ModelBin reads it; formats/ncnn_map.c maps the
 * layers to the Graph IR and formats/ncnn_read.c drives the three.  Not part of the format's API. */
#ifndef YOLOPORT_NCNN_IMPL_H
#define YOLOPORT_NCNN_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"
#include "engine/core/util.h"

#define NCNN_MAX_PARAM 32  /* ncnn's NCNN_MAX_PARAM_COUNT: ids 0..31 */
#define NCNN_MAX_NAME 255  /* ncnn scans names with %255s */
#define NCNN_MAX_BLOBS_PER_LAYER 4096

/* One id=value of a layer line.  Values keep their 32-bit pattern as ncnn stores them
 * (an int or a float in one union, element by element for arrays), so reading a value
 * as the other type gives what ncnn would. */
typedef enum { NP_UNSET, NP_SCALAR, NP_ARRAY, NP_STRING } NParamKind;

typedef struct {
    NParamKind kind;
    bool is_float;   /* NP_SCALAR: written as a float */
    uint32_t bits;   /* NP_SCALAR */
    int n;           /* NP_ARRAY: element count */
    uint32_t *arr;   /* NP_ARRAY: bit patterns (arena) */
    const char *s;   /* NP_STRING (arena) */
} NParam;

typedef struct {
    const char *type, *name; /* arena strings */
    int line;                /* 1-based line in the .param */
    int n_in, n_out;
    int *in, *out;           /* blob indices */
    NParam p[NCNN_MAX_PARAM];
} NcLayer;

typedef struct {
    const char *name;
    int producer;  /* layer index */
    int consumers; /* layers reading it */
} NcBlob;

typedef struct {
    const char *file;   /* the .param's name, for messages */
    Arena *arena;       /* owns the strings and arrays above (the graph's arena) */
    NcLayer *layers;
    int n_layers;
    NcBlob *blobs;
    int n_blobs;
    /* the .bin */
    const uint8_t *bin;
    size_t bin_len, bin_pos;
    const char *bin_name;
    char *err;
    size_t errlen;
} NcModel;

/* The reader's state while layers become the IR (formats/ncnn_map.c fills it). */
typedef struct {
    NcModel m;
    Graph *g;
    int *bt;        /* per blob: its tensor, -1 before it is made */
    int (*bs)[4];   /* per blob: ncnn shape, outermost first */
    int *bk;        /* per blob: ncnn dims */
    StrMap modules;
    int root_module;
    int uniq;
    /* An Input of channels only (w = h = 0: any size, as our writer's dynamic=True writes it)
     * is read at probe[0] x probe[1] (0: metadata.yaml's imgsz, else 640) and marks the model
     * dynamic_input; formats/ncnn_read.c reads such a model at two sizes and makes the dims
     * that differ unknown (-1). */
    int probe[2];
    bool dynamic_input;
} NcReader;

/* How one layer type becomes IR nodes: 0, or -1 + message in r->m.err. */
typedef int (*NcMapFn)(NcReader *r, const NcLayer *L);
/* The handler of an ncnn layer type, NULL when this reader does not map it. */
NcMapFn ncnn_map_for(const char *type);

/* Parse and check the .param text into m (m->arena, file, err set by the caller): the
 * magic, the counts against the lines, every blob produced once and before it is used,
 * every layer type one ncnn has, parameter ids in range.  0 or -1 + "<file>: line N:
 * <problem>". */
int ncnn_parse_param(NcModel *m, const char *text, size_t len);

/* Is type a layer ncnn registers (its src/layer list)? */
bool ncnn_layer_type_known(const char *type);

/* Parameter access with ncnn's defaults and reinterpretation.  A value of the wrong
 * shape (an array where a value is expected, a string) is an error: -1 + message naming
 * the layer, the id and what was found. */
int ncnn_p_int(NcModel *m, const NcLayer *L, int id, int dflt, int *out);
int ncnn_p_float(NcModel *m, const NcLayer *L, int id, float dflt, float *out);
/* An array parameter (an unset one gives *n = 0); its elements as ints or floats. */
int ncnn_p_ints(NcModel *m, const NcLayer *L, int id, int *out, int max, int *n);
int ncnn_p_floats(NcModel *m, const NcLayer *L, int id, float *out, int max, int *n);
/* Is id set on the layer at all? */
static inline bool ncnn_p_set(const NcLayer *L, int id) { return id >= 0 && id < NCNN_MAX_PARAM && L->p[id].kind != NP_UNSET; }

/* One array of count values from the .bin as ncnn's ModelBin::load(count, type) reads
 * it: type 1 raw float32; type 0 a storage tag first (0: float32, 0x01306B47: float16, a
 * 256-entry table with one-byte indices, each padded to 4 bytes).  *data points into the
 * .bin (float32/float16, aligned as ncnn's files are) or into arena memory (a table
 * expanded to float32); *dtype says which.  -1 + "<bin>: layer '<name>' (<type>) needs N
 * bytes for <what> at offset O, the file has M" when the .bin is short, or a message for
 * a storage ncnn reads only for int8 inference. */
int ncnn_bin_load(NcModel *m, const NcLayer *L, const char *what, int64_t count, int type, const void **data,
                  DType *dtype);

/* "<file>: line N: layer '<name>' (<type>): <problem>" into m->err; returns -1. */
int ncnn_fail(NcModel *m, const NcLayer *L, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
