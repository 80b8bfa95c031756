/* exec_impl: what the executor's files (exec.c, exec_conv.c, exec_elementwise.c,
 * exec_shape.c) share and nothing else includes: the run-time Value, the op function
 * signature, allocation with size checks, and small helpers for reading attributes and
 * shape-like inputs that come from untrusted graphs. */
#ifndef YOLOPORT_EXEC_IMPL_H
#define YOLOPORT_EXEC_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/exec/exec.h"
#include "engine/exec/exec_kern.h"
#include "engine/exec/exec_mem.h"
#include "engine/exec/exec_pool.h"
#include "engine/core/graph.h"
#include "engine/core/util.h"

struct ConvPlan;

/* Run-time element types: every float type computes as float32, every integer or bool
 * type as int64 (shape arithmetic stays exact).  Bytes (VT_U8, VT_I8) hold quantized
 * activations between a QuantizeLinear and the DequantizeLinear / integer convolutions
 * that are its only readers (planned by exec_qconv.c; no other kernel sees them).
 * VT_F16 stores the activations of a half-precision graph between ops (tensors whose graph
 * dtype is float16): the run loop hands an op that computes them float32 copies of its
 * float16 inputs and stores the op's float32 outputs as float16 (exact: a half graph's
 * values are rounded to float16 at every op anyway).  Only the ops f16_passthrough (exec.c)
 * lists see VT_F16 values themselves: data movement, and Conv, Resize, the pools,
 * arithmetic, Sigmoid and SiLU, which convert as they go. */
typedef enum { VT_F32, VT_I64, VT_U8, VT_I8, VT_F16 } ValueType;

static inline size_t value_esize(int type)
{
    return type == VT_F32 ? sizeof(float) : type == VT_I64 ? sizeof(int64_t) : type == VT_F16 ? sizeof(uint16_t) : 1;
}

/* Where an owned value's data lives: its own heap block, a block of the activation
 * region in heap mode (released on clear), a planned slot of the region (never freed), or
 * one of the Exec's staging buffers (the float32 form of a float16 tensor while the node
 * producing it runs; never freed). */
typedef enum { VW_HEAP, VW_REGION, VW_PLANNED, VW_STAGE } ValueWhere;

/* One tensor's value during a run. */
typedef struct {
    ValueType type;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    int64_t numel;
    void *data;      /* float *, int64_t *, uint16_t * (VT_F16) or bytes (numel elements; may be
                        NULL when numel == 0) */
    bool owned;      /* data is the Exec's (activations); false: borrowed constant */
    bool ready;      /* holds a value in this run (or is a constant) */
    unsigned char where;    /* ValueWhere of owned data */
    ExecMem *mem;           /* VW_REGION: the region, and the block to release */
    size_t mem_off, mem_bytes;
    float *fshadow;  /* float copy of an int64 or float16 value handed out by exec_output/exec_tensor */
    size_t charged;  /* owned data's bytes taken from the memory budget (engine/core/membudget.h):
                        given back by value_clear; moves with the data */
    int staged_from; /* a staged float32 copy (VW_STAGE, not a graph tensor's Value): the
                        tensor it copies + 1; else 0 */
} Value;

/* What a recording run learnt about one tensor (exec_memplan.c plans from it). */
typedef struct {
    int64_t bytes;    /* -1: not produced in the run */
    int node;         /* the node that produced it */
    int move_from;    /* the tensor whose buffer it took over in place, or -1 */
    ValueType type;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
} MemRec;

/* A staging buffer a recording run saw: node's k-th, of bytes, at off in the region (the
 * plan's offset once exec_mem_plan has run). */
typedef struct {
    int node, k;
    int64_t bytes, off;
} StageRec;

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
    ExecObserver observer; /* exec_set_observer */
    void *observer_ctx;
    ExecProgress progress; /* exec_set_progress */
    void *progress_ctx;
    int64_t max_elems;  /* largest tensor one op may create (EXEC_MAX_ELEMS by default) */
    int64_t opset;      /* default-domain opset (0 when unknown) */
    ExecOpFn *op_fns;   /* resolved op function per node */
    bool profile;
    /* Convolution epilogues, planned at exec_new and used when fusion is on (keep_all off,
     * no observer): node_plan[ni] is PLAN_RUN, PLAN_CONV_FUSED (the conv folds a following
     * batch norm and applies the activation to its output), PLAN_SKIP (a Sigmoid whose
     * only reader is the fused Mul), or PLAN_ALIAS (a BatchNormalization, SiLU, Relu,
     * Sigmoid or Mul whose output is its input alias_src[ni], already transformed by the
     * conv).  conv[ni] is the node's ConvPlan (packed weights, path), NULL for other nodes
     * and for convolutions the fast paths do not take. */
    unsigned char *node_plan;
    int *alias_src;
    struct ConvPlan **conv;
    struct QConvPlan **qconv; /* per node: an integer QDQ convolution, or NULL */
    bool *q_bytes;      /* per node: a QuantizeLinear that stores bytes */
    int *last_use_graph; /* last readers as the graph has them (last_use adds the fused readers) */
    bool *folded;       /* per tensor: computed once at exec_new from constants (kept like one) */
    bool *node_folded;  /* per node: evaluated at exec_new, skipped by runs */
    bool fusion;        /* the plan above is in force (it matches keep_all / observer) */
    int conv_force;     /* ConvPath forced by the options (tests, benchmarks) */
    double *node_ms;    /* per node wall time of the last run (profile on) */
    int64_t peak_bytes; /* most activation bytes alive at once in the last run (profile on) */
    float *scratch;     /* reusable work buffer (reference im2col) */
    size_t scratch_len; /* in floats */
    /* threads and kernels */
    int threads;        /* requested (0: the machine's CPUs) */
    ExecPool *pool;     /* started by the first run that uses more than one thread */
    const ExecKernels *kern;
    float *pad;         /* shared scratch: padded convolution inputs (64-byte aligned) */
    size_t pad_len;     /* in floats */
    void *tab;          /* shared scratch: offset tables */
    float *wino;        /* shared scratch: Winograd weights transformed for one run */
    size_t wino_len;    /* in floats */
    size_t tab_len;     /* in bytes */
    float **wscr;       /* per-worker scratch (panels, Winograd blocks), exec_pool_size entries */
    size_t *wscr_len;   /* in floats */
    int n_wscr;
    /* the activation region and its plan (exec_mem.h, exec_memplan.c) */
    ExecMem *mem;
    int cur_node;       /* the node being run (-1 outside a run) */
    bool recording;     /* this run allocates in heap mode and fills rec */
    MemRec *rec;        /* per tensor */
    bool planned;       /* plan_off is in force */
    bool plan_failed;   /* the last plan could not be made: stay in heap mode */
    int64_t *plan_off;  /* per tensor: offset in the region, -1 none */
    int64_t *plan_bytes;/* per tensor: bytes its slot holds */
    bool *no_consume;   /* per tensor: an op may not take over its buffer (the plan shares it) */
    size_t plan_size;   /* bytes of the region the plan uses: its peak */
    int64_t *plan_in_dims; /* the graph inputs' dims the plan was made for (n_inputs x GRAPH_MAX_RANK) */
    int *plan_in_rank;
    /* float16 storage (a half-precision graph): f16_store[t] for tensors produced by a node
     * whose graph dtype is float16 (NULL when the graph has none); staging buffers hold the
     * float32 forms of one node's float16 inputs and outputs while it runs: planned in the
     * region (srec, by node; stage_first[ni] indexes node ni's first, -1 none), else the
     * heap ones (stage), reused by every node. */
    bool *f16_store;
    StageRec *srec;
    int n_srec, cap_srec;
    int *stage_first;   /* per node, set by exec_mem_plan */
    int stage_k;        /* requests of the current node so far */
    float **stage;      /* at most 64 */
    size_t *stage_len;  /* in floats */
    int n_stage;
    uint64_t stage_used; /* bit i: stage[i] is taken */
};

enum { PLAN_RUN, PLAN_CONV_FUSED, PLAN_SKIP, PLAN_ALIAS, PLAN_QCONV };

/* The pool a run's kernels use (NULL: run on the calling thread alone). */
static inline ExecPool *exec_pool(const Exec *e) { return e->pool; }
/* Shared scratch of at least n floats, 64-byte aligned (contents undefined). */
float *exec_pad_scratch(Exec *e, size_t n);
/* Shared scratch of at least n floats for transformed weights (contents undefined). */
float *exec_wino_scratch(Exec *e, size_t n);
/* Shared scratch of at least n bytes, 64-byte aligned (contents undefined). */
void *exec_tab_scratch(Exec *e, size_t n);
/* C[M x N] = alpha * op(A) op(B) + beta * C, row-major with leading dimensions lda, ldb,
 * ldc; op transposes when ta / tb (exec_gemm.c: the executor's micro-kernels, on the pool
 * when large). */
void exec_sgemm(Exec *e, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

/* Run fn over [0, n) in contiguous ranges on the pool: ranges of at least grain items
 * (a range's work should be worth handing to another thread), about four per thread;
 * small n runs on the calling thread in one call. */
typedef void (*ExecRangeFn)(void *ctx, int64_t begin, int64_t end);
void exec_parallel_range(Exec *e, int64_t n, int64_t grain, ExecRangeFn fn, void *ctx);

/* Make every worker's scratch at least n floats (call before a parallel loop; inside it,
 * worker w uses e->wscr[w]). */
void exec_worker_scratch_reserve(Exec *e, size_t n);


/* The kernels (exec_conv.c, exec_elementwise.c, exec_shape.c, exec_nn.c); exec_ops.c's table
 * says which op runs which. */
#define EXEC_KERNELS(X)                                                                                   \
    X(conv) X(conv_transpose) X(batchnorm) X(pool) X(global_pool) X(resize) X(sigmoid) X(silu) X(exp)      \
    X(unary) X(binary) X(not) X(where) X(cast) X(clip) X(softmax) X(matmul) X(gemm) X(reduce) X(argmax)    \
    X(identity) X(constant) X(shape) X(size) X(reshape) X(flatten) X(squeeze) X(unsqueeze) X(concat)       \
    X(split) X(slice) X(transpose) X(gather) X(gather_elements) X(scatter_update) X(expand) X(tile) X(range) X(cumsum)      \
    X(constant_of_shape) X(pad) X(topk) X(nms) X(quantize_linear) X(dequantize_linear) X(fake_quantize) \
    X(grid_sample)
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
 * Exec's element limit), its bytes taken from the memory budget: the one place where the
 * executor's total is bounded (a run whose live values would pass the budget fails here
 * naming the bytes).  Frees what v held.  0 or -1 + message. */
int value_alloc(Exec *e, Value *v, ValueType t, int rank, const int64_t *dims, char *err, size_t errlen);
/* Release v's data when owned (its bytes back to the budget); v becomes empty (not ready). */
void value_clear(Value *v);
/* Make dst a borrowed view of src's data with a new shape (same numel): used by Reshape,
 * Identity, Squeeze... when src is a constant; for owned data the bytes are copied. */
int value_copy_reshaped(Exec *e, Value *dst, const Value *src, int rank, const int64_t *dims, char *err,
                        size_t errlen);

static inline float *vf(const Value *v) { return (float *)v->data; }
static inline int64_t *vi(const Value *v) { return (int64_t *)v->data; }
/* Element i as double / int64 whatever the type. */
static inline double value_get(const Value *v, int64_t i)
{
    switch (v->type) {
    case VT_F32: return (double)vf(v)[i];
    case VT_U8: return (double)((const uint8_t *)v->data)[i];
    case VT_I8: return (double)((const int8_t *)v->data)[i];
    case VT_F16: return (double)half_to_float(((const uint16_t *)v->data)[i]);
    default: return (double)vi(v)[i];
    }
}
int64_t value_get_i64(const Value *v, int64_t i);

/* Read a small 1-D (or scalar) integer list from a value (shape, axes, starts...): at
 * most max entries.  0 or -1 + message. */
int value_int_list(const Value *v, int64_t *out, int max, int *n, const char *what, char *err, size_t errlen);
/* Normalise axis in [-rank, rank) into [0, rank).  0 or -1 + message. */
int axis_norm(int64_t axis, int rank, int *out, char *err, size_t errlen);
/* v itself unless it is float16; then tmp, filled with a float32 copy of v in one of the
 * staging buffers of the node being run (valid until the node ends; an op must not keep
 * it).  NULL + message when the node has staged too much. */
Value *value_staged_f32(Exec *e, Value *v, Value *tmp, char *err, size_t errlen);
/* Whether v is a tensor of the graph the run stores as float16 (an op may then allocate it
 * VT_F16 and write float16 itself; else it writes float32 and the run loop converts). */
bool value_stores_f16(const Exec *e, const Value *v);
/* Convert a value to float32 in place (int64 -> float). */
void value_to_f32(Value *v);

/* Give dst src's value with a new shape of equal element count.  When src is an
 * activation read by no later node its buffer moves over (no copy); otherwise the data is
 * copied.  0 or -1 + message. */
int value_forward(Exec *e, const Node *n, Value *dst, Value *src, int rank, const int64_t *dims, char *err,
                  size_t errlen);
/* True when the op may overwrite src's buffer: an activation read by no later node. */
bool value_consumable(const Exec *e, const Node *n, const Value *src);

/* Plan the activation region from the recording run that just ended (exec_memplan.c):
 * sets plan_off, plan_bytes, no_consume, plan_size and planned (or plan_failed). */
void exec_mem_plan(Exec *e);

/* Work buffer of at least n floats owned by the Exec (contents undefined). */
float *exec_scratch(Exec *e, size_t n);

/* Numpy broadcasting of two shapes into out (rank = max).  0 or -1 + message. */
int broadcast_shape(const int64_t *a, int ra, const int64_t *b, int rb, int64_t *out, int *rout, char *err,
                    size_t errlen);


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
