/* tflite_write_int: what the TF Lite writer's parts share (formats/tflite_write.c builds the
 * model from the TensorFlow graph and serialises it; formats/tflite_int8.c turns the built
 * float model into TF Lite's int8 operators).  Internal to the writer: nothing else includes
 * it. */
#ifndef YOLOPORT_TFLITE_WRITE_INT_H
#define YOLOPORT_TFLITE_WRITE_INT_H

#include "formats/tfgraph.h"
#include "formats/tflite.h"

/* ---- the model being built ------------------------------------------------------------- */
typedef struct {
    const char *name;
    int type;                     /* TensorType */
    int rank;
    int32_t shape[GRAPH_MAX_RANK];
    int buffer;                   /* 0: none */
    float *qscale;                /* quantisation: n_q scales and zero points (NULL: none) */
    int64_t *qzero;
    int n_q, qdim;
    int32_t sig[GRAPH_MAX_RANK];  /* shape_signature (a dynamic input): -1 where the input's size shows */
    const int64_t *ivals;         /* a small int32 tensor's values at this size (Shape arithmetic); NULL */
    int n_ivals;
} TlTensor;

typedef struct {
    int id, size; /* size 1 or 4 (ints), -4 for a float */
    double v;
} TlField;

typedef struct {
    int opcode;
    int *in, n_in;
    int *out, n_out;
    int opt_type;
    TlField f[8];
    int n_f;
    int32_t *vec; /* ReshapeOptions.new_shape */
    int n_vec;
} TlOp;

typedef struct {
    const void *data;
    size_t nbytes;
} TlBuffer;

typedef struct {
    int32_t code;
    int version;
} TlOpcode;

typedef struct {
    const TfGraph *tg;
    const TfliteOptions *opt;
    Arena *arena;
    Vec tensors, ops, buffers, opcodes, owned; /* owned: heap blocks freed at the end */
    StrMap refs;                               /* TF ref ("node", "node:1") -> tensor index */
    StrMap weights;                            /* Const name -> weight index */
    int input_tensor;
    bool dynamic;     /* the input's height and width are unknown: converted at in_hw */
    int64_t in_hw[2];
    const char *node; /* the TF node being converted (messages) */
    char *err;
    size_t errlen;
} Tl;

/* A message naming the node being converted into t->err; -1. */
int tl_fail(Tl *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Tensor i of the model being built (the pointer goes stale when a tensor is added). */
TlTensor *tl_tens(Tl *t, int i);
/* p (a heap block) freed with the model; returns p. */
void *tl_own(Tl *t, void *p);
/* A buffer of nbytes at data (not copied: owned by the caller or tl_own); its index. */
int tl_add_buffer(Tl *t, const void *data, size_t nbytes);
/* A tensor of TF Lite type `type` (0 float32, 2 int32, 9 int8, ...) on buffer (0: none); its index. */
int tl_add_tensor(Tl *t, const char *name, int type, int rank, const int64_t *dims, int buffer);
/* A computed tensor (no buffer); its index. */
int tl_new_out(Tl *t, const char *name, int type, int rank, const int64_t *dims);
/* The shape of tensor ti into d (its rank entries). */
void tl_dims_of(Tl *t, int ti, int64_t *d);
/* Quantisation of tensor ti: n_q scales and zero points along axis qdim (copied); returns ti. */
int tl_set_quant(Tl *t, int ti, int n_q, int qdim, const float *scale, const int64_t *zero);
/* The operator-code index of builtin code, its version raised to at least version. */
int tl_opcode_index(Tl *t, int32_t code, int version);
/* An operator appended to the list (inputs and outputs copied); the pointer goes stale when
 * another is added. */
TlOp *tl_add_op(Tl *t, int32_t code, const int *in, int n_in, const int *out, int n_out);

/* INTEGER and FULL (formats/tflite.h): the built float model rewritten with TF Lite's int8
 * operators, outs[] (the outputs) and t->input_tensor updated.  0, or -1 + message. */
int tflite_lower_int8(Tl *t, int *outs, int n_outs);

#endif
