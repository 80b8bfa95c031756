/* exec_impl: what the executor's files (exec.c, exec_conv.c, exec_elementwise.c,
 * exec_shape.c) share and nothing else includes: the run-time Value, the op function
 * signature, allocation with size checks, and small helpers for reading attributes and
 * shape-like inputs that come from untrusted graphs. */
#ifndef YOLOPORT_EXEC_IMPL_H
#define YOLOPORT_EXEC_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/exec/exec.h"
#include "engine/core/graph.h"

/* Run-time element types: every float type computes as float32, every integer or bool
 * type as int64 (shape arithmetic stays exact). */
typedef enum { VT_F32, VT_I64 } ValueType;

/* One tensor's value during a run. */
typedef struct {
    ValueType type;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    int64_t numel;
    void *data;      /* float * or int64_t * (numel elements; may be NULL when numel == 0) */
    bool owned;      /* data is the Exec's heap memory (activations); false: borrowed constant */
    bool ready;      /* holds a value in this run (or is a constant) */
    float *fshadow;  /* float copy of an int64 value handed out by exec_output/exec_tensor */
} Value;

/* Largest tensor one op may create (elements): 1 Gi floats = 4 GiB. */
#define EXEC_MAX_ELEMS ((int64_t)1 << 30)

/* An op: inputs (NULL for omitted optional inputs), outputs to fill (already reset).
 * 0 or -1 + message (the caller prefixes the node name and op). */
typedef int (*ExecOpFn)(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err,
                        size_t errlen);

struct Exec {
    const Graph *g;
    Value *vals;        /* one per graph tensor */
    int *last_use;      /* node index of the last consumer (-1: none) */
    bool *pinned;       /* never freed during a run: graph outputs */
    bool keep_all;
    int64_t max_elems;  /* largest tensor one op may create (EXEC_MAX_ELEMS by default) */
    int64_t opset;      /* default-domain opset (0 when unknown) */
    ExecOpFn *op_fns;   /* resolved op function per node */
    bool profile;
    /* Conv + SiLU fusion, planned at exec_new and used when keep_all is off:
     * node_plan[ni] is PLAN_RUN, PLAN_CONV_SILU (the conv applies SiLU to its output),
     * PLAN_SKIP (a Sigmoid whose only reader is the fused Mul), or PLAN_ALIAS (a SiLU or
     * Mul whose output is the fused conv's output, alias_src). */
    unsigned char *node_plan;
    int *alias_src;
    bool fuse_silu;     /* set by the run loop while a PLAN_CONV_SILU conv runs */
    double *node_ms;    /* per node wall time of the last run (profile on) */
    float *scratch;     /* reusable work buffer (im2col) */
    size_t scratch_len; /* in floats */
};

enum { PLAN_RUN, PLAN_CONV_SILU, PLAN_SKIP, PLAN_ALIAS };


/* The kernels (exec_conv.c, exec_elementwise.c, exec_shape.c, exec_nn.c); exec_ops.c's table
 * says which op runs which. */
#define EXEC_KERNELS(X)                                                                                   \
    X(conv) X(conv_transpose) X(batchnorm) X(pool) X(global_pool) X(resize) X(sigmoid) X(silu) X(exp)      \
    X(unary) X(binary) X(not) X(where) X(cast) X(clip) X(softmax) X(matmul) X(gemm) X(reduce) X(argmax)    \
    X(identity) X(constant) X(shape) X(size) X(reshape) X(flatten) X(squeeze) X(unsqueeze) X(concat)       \
    X(split) X(slice) X(transpose) X(gather) X(gather_elements) X(expand) X(tile) X(range)                \
    X(constant_of_shape) X(pad) X(topk) X(nms) X(grid_sample)
#define X(k) int exec_op_##k(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen);
EXEC_KERNELS(X)
#undef X

/* What exec_op_unary / exec_op_binary compute: the variant column of the op table. */
typedef enum {
    U_RELU, U_LOG, U_SQRT, U_NEG, U_ABS, U_TANH, U_FLOOR, U_CEIL, U_ROUND, U_RECIP, U_ERF, U_LEAKY, U_HSIG,
    U_HSWISH, U_SIN, U_COS, U_SOFTPLUS, U_GELU, U_ELU, U_SIGN, U_MISH
} UnaryKind;
typedef enum {
    B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MIN, B_MAX, B_MOD, B_EQ, B_LT, B_GT, B_LE, B_GE, B_AND, B_OR, B_XOR
} BinKind;

/* One row of the executor's op table (exec_ops.c), indexed by OpKind: the kernel, the
 * input and output counts a node may have (slots, omitted optional inputs included), the
 * attributes the kernel reads, and a variant for kernels shared by several ops.  A row
 * without a kernel says so with not_executable (a zero row is a row nobody filled in). */
typedef struct {
    ExecOpFn fn;
    bool not_executable;
    unsigned char min_in, max_in, min_out, max_out;
    int variant;       /* UnaryKind / BinKind for the shared kernels, else 0 */
    const char *attrs; /* space-separated attribute names the kernel reads ("" when none) */
} ExecOpDef;

extern const ExecOpDef exec_op_defs[OP_COUNT];

static inline int exec_op_variant(OpKind op) { return (unsigned)op < OP_COUNT ? exec_op_defs[op].variant : 0; }

/* In an op: fail with "input k is missing" / "output k is missing" unless slot k is there
 * (uses the op's nin/in/nout/out/err/errlen). */
#define NEED_IN(k)                                                                                      \
    do {                                                                                                \
        if (nin <= (k) || !in[k]) return err_set(err, errlen, "input %d is missing", (int)(k));          \
    } while (0)
#define NEED_OUT(k)                                                                                     \
    do {                                                                                                \
        if (nout <= (k) || !out[k]) return err_set(err, errlen, "output %d is missing", (int)(k));      \
    } while (0)

/* Allocate v's data for type/rank/dims (checks rank, negative dims, overflow and the
 * Exec's element limit).  Frees what v held.  0 or -1 + message. */
int value_alloc(const Exec *e, Value *v, ValueType t, int rank, const int64_t *dims, char *err, size_t errlen);
/* Release v's data when owned; v becomes empty (not ready). */
void value_clear(Value *v);
/* Make dst a borrowed view of src's data with a new shape (same numel): used by Reshape,
 * Identity, Squeeze... when src is a constant; for owned data the bytes are copied. */
int value_copy_reshaped(const Exec *e, Value *dst, const Value *src, int rank, const int64_t *dims, char *err,
                        size_t errlen);

static inline float *vf(const Value *v) { return (float *)v->data; }
static inline int64_t *vi(const Value *v) { return (int64_t *)v->data; }
/* Element i as double / int64 whatever the type. */
static inline double value_get(const Value *v, int64_t i)
{
    return v->type == VT_F32 ? (double)vf(v)[i] : (double)vi(v)[i];
}
int64_t value_get_i64(const Value *v, int64_t i);

/* Read a small 1-D (or scalar) integer list from a value (shape, axes, starts...): at
 * most max entries.  0 or -1 + message. */
int value_int_list(const Value *v, int64_t *out, int max, int *n, const char *what, char *err, size_t errlen);
/* Normalise axis in [-rank, rank) into [0, rank).  0 or -1 + message. */
int axis_norm(int64_t axis, int rank, int *out, char *err, size_t errlen);
/* Convert a value to float32 in place (int64 -> float). */
void value_to_f32(Value *v);

/* Give dst src's value with a new shape of equal element count.  When src is an
 * activation read by no later node its buffer moves over (no copy); otherwise the data is
 * copied.  0 or -1 + message. */
int value_forward(Exec *e, const Node *n, Value *dst, Value *src, int rank, const int64_t *dims, char *err,
                  size_t errlen);
/* True when the op may overwrite src's buffer: an activation read by no later node. */
bool value_consumable(const Exec *e, const Node *n, const Value *src);

/* Work buffer of at least n floats owned by the Exec (contents undefined). */
float *exec_scratch(Exec *e, size_t n);

/* Numpy broadcasting of two shapes into out (rank = max).  0 or -1 + message. */
int broadcast_shape(const int64_t *a, int ra, const int64_t *b, int rb, int64_t *out, int *rout, char *err,
                    size_t errlen);

/* Fast float32 elementwise kernels (vectorised where the CPU allows). */
void kernel_sigmoid(const float *x, float *y, int64_t n);
void kernel_silu(const float *x, float *y, int64_t n);
void kernel_exp(const float *x, float *y, int64_t n);

/* An int-list attribute into out (at most max): its length, 0 when absent, -1 when it has
 * more than max entries (graph_attr_ints reports the full length; never index with it). */
static inline int attr_ints(const Node *n, const char *name, int64_t *out, int max)
{
    int c = node_attr_ints(n, name, out, max);
    return c > max ? -1 : c;
}

/* String attribute or dflt. */
const char *node_attr_str(const Node *n, const char *name, const char *dflt);

#endif
