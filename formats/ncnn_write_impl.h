/* ncnn_write_impl: what the ncnn writer's two files share — the model under construction
 * (layers, blobs, .bin bytes) and its helpers (formats/ncnn_write.c), and the emitters and op
 * table (formats/ncnn_emit.c).  Not part of the format's API.
 *
 * Blobs and shapes: an IR tensor [1, d1 .. dk] is the ncnn blob of shape d1 .. dk; a tensor
 * seen at a higher rank R is first aligned numpy-style (1s in front), then the leading batch
 * 1 dropped.  Emitters take their inputs with nw_in_blob / nw_in_blob_at (constants become
 * MemoryData, lower-rank activations a Reshape view, each made once) and make their
 * outputs with nw_out_tensor. */
#ifndef YOLOPORT_NCNN_WRITE_IMPL_H
#define YOLOPORT_NCNN_WRITE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"
#include "engine/core/util.h"
#include "formats/ncnn.h"

typedef struct {
    int producer;  /* layer index */
    int graph_in;  /* index among the graph's inputs, or -1 */
    int graph_out; /* index among the graph's outputs, or -1 */
    char *name;    /* assigned once every layer is known */
} NBlob;

typedef struct {
    const char *type;
    char *name;
    Vec in, out; /* int blob ids */
    StrBuf params;
} NLayer;

typedef struct {
    const Graph *g;
    NcnnOptions opt;
    bool dynamic_hw; /* the input's height and width are unknown (-1): shapes that depend on
                        them are -1 in ncnn shapes too, and only what ncnn computes from the
                        blobs themselves is written (Reshape infers one -1, Interp by scale) */
    Vec layers; /* NLayer */
    Vec blobs;  /* NBlob */
    StrBuf bin;
    int *tblob;      /* per tensor: the blob holding it at its own rank, -1 */
    int *uses;       /* per tensor: how many node inputs read it */
    int *first_use;  /* per tensor: the first node reading it, -1 */
    bool *done;      /* per node: already emitted (fused into its producer) */
    StrMap cache;    /* "<tensor>@<rank>" -> blob: constants and rank-aligned views */
    StrMap names;    /* layer names in use */
    Arena *arena;
    char *err;
    size_t errlen;
} W;

#define NL(w, i) (&((NLayer *)(w)->layers.items)[i])
#define NB(w, i) (&((NBlob *)(w)->blobs.items)[i])

/* "node '<name>' (<op>): <message>" into w->err (the message alone when n is NULL); -1. */
int nw_fail(W *w, const Node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const Tensor *nw_T(const W *w, int t); /* tensor t, NULL when out of range */

/* A new layer of type (a static string) named after name (made unique and blank-free):
 * its index.  Inputs are appended with nw_layer_in, outputs (new blobs) with nw_layer_out. */
int nw_layer(W *w, const char *type, const char *name);
char *nw_layer_name(W *w, const char *want, const char *fallback_type);
void nw_layer_in(W *w, int L, int blob);
int nw_layer_out(W *w, int L);

/* Parameters id=value as ncnn's parser reads them (floats "%.8e", finite, <= 15 chars;
 * arrays in the -23300-id form). */
void nw_p_int(W *w, int L, int id, long long v);
void nw_p_float(W *w, int L, int id, double v);
void nw_p_ints(W *w, int L, int id, const long long *v, int n);
void nw_p_floats(W *w, int L, int id, const double *v, int n);
/* Shape parameters w/h/d/c (ids 0, 1, 11, 2) of an ncnn shape s[0..k) (outermost first). */
void nw_p_shape(W *w, int L, const int *s, int k);

/* Weights: an array ncnn loads with a storage tag (float32, or float16 with opt.half), and
 * one it always loads as raw float32. */
void nw_bin_tagged(W *w, const float *v, size_t n);
void nw_bin_raw(W *w, const float *v, size_t n);

/* Constants: the tensor holding t's value (an initializer or a Constant node's value) or
 * NULL; its values as float32 (heap, *n elements; NULL when not numeric); as integers (up to
 * max: the count, or -1). */
const Tensor *nw_const_of(const W *w, int t);
float *nw_const_floats(const W *w, int t, int64_t *n);
int nw_const_ints(const W *w, int t, int64_t *out, int max);

/* Shapes: x's ncnn shape at IR rank R (the dims count 1..4, or -1 + message: a batch other
 * than 1, a dim that is not static, too many dims); in a dynamic_hw graph a dim that depends
 * on the input size is -1 in out.  nw_shape_param checks that such a shape can be a Reshape's
 * or MemoryData's parameters (at most one -1, which ncnn infers): 0 or -1 + message.  IR axis
 * a of a rank-R tensor as ncnn's axis (-1 + message for the batch axis); the rank of tensor t. */
int nw_nc_shape(W *w, const Node *n, const Tensor *x, int R, int out[4]);
int nw_shape_param(W *w, const Node *n, const Tensor *x, const int *s, int k);
int nw_nc_axis(W *w, const Node *n, int64_t a, int R, int *out);
int nw_rank_of(const W *w, int t);

/* The blob of tensor t at IR rank R, of node n's input k at its own rank; node n's output
 * tensor t produced as a new blob of layer L; a one-in one-out layer of type for node n (its
 * index in *L).  0 or -1 + message. */
int nw_in_blob_at(W *w, const Node *n, int t, int R, int *blob);
int nw_in_blob(W *w, const Node *n, int k, int *blob);
int nw_out_tensor(W *w, const Node *n, int L, int t);
int nw_simple(W *w, const Node *n, const char *type, int *L);

/* The emitters (formats/ncnn_emit.c): node n as layers (0 or -1 with w->err set), and how
 * the op table handles node n (ops of a foreign domain: no). */
int nw_emit_node(W *w, const Node *n);
OpWriteSupport nw_node_support(const Node *n);

#endif
