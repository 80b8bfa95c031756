/* exec: yoloport's CPU runtime for the Graph IR (float32 compute, float16 storage where
 * the graph declares it; convolutions through packed micro-kernels, Winograd and direct
 * paths chosen per layer, on a thread pool).  It is yoloport's own ground truth: it checks
 * exports, runs predict, gathers INT8 calibration statistics and times benchmarks.
 *
 * Usage: Exec *e = exec_new(g, err, len); exec_set_input(e, "images", data, dims, 4, err, len);
 * exec_run(e, NULL, err, len); const float *y = exec_output(e, 0, dims, &rank); exec_free(e).
 * Shapes are computed at run time from the inputs, so graphs with symbolic dims run at any
 * size; integer tensors (shape arithmetic) stay int64 inside.  Every shape, axis and index
 * a graph supplies is checked: a bad graph fails the run with a message naming the node.
 * The graph must outlive the Exec and must not change while it exists.  An Exec is used
 * by one thread at a time; several Execs may share one graph across threads. */
#ifndef YOLOPORT_EXEC_H
#define YOLOPORT_EXEC_H

#include "engine/core/graph.h"

typedef struct Exec Exec;

/* Prepare to run g: every node's op must have a kernel in the executor's op table and a
 * count of inputs and outputs the op allows (else NULL + message naming the node and the op;
 * an op yoloport does not know, OP_OTHER, is named by its op_type).  Convolution weights
 * are packed here, once, for the kernels this CPU runs. */
Exec *exec_new(const Graph *g, char *err, size_t errlen);
void exec_free(Exec *e);

/* Which kernels run (tests and benchmarks compare them; a set the CPU lacks falls back to
 * the best it has) and which convolution path (applied where the path can run the layer;
 * AUTO chooses per layer shape). */
typedef enum { EXEC_KERNELS_BEST, EXEC_KERNELS_PORTABLE, EXEC_KERNELS_AVX2, EXEC_KERNELS_AVX512 } ExecKernelSet;
typedef enum {
    EXEC_CONV_AUTO,
    EXEC_CONV_REFERENCE, /* im2col then a plain gemm, the simplest path (and the fallback for any geometry) */
    EXEC_CONV_GEMM1X1,
    EXEC_CONV_DIRECT,
    EXEC_CONV_IM2COL,
    EXEC_CONV_WINOGRAD
} ExecConvChoice;
/* Options for exec_new_with; zero means the default. */
typedef struct {
    int threads;            /* threads one run uses, the caller's included (0: the machine's CPUs) */
    ExecKernelSet kernels;
    ExecConvChoice conv;
} ExecOptions;
/* exec_new with options (opt may be NULL). */
Exec *exec_new_with(const Graph *g, const ExecOptions *opt, char *err, size_t errlen);
/* Threads for the next runs (0: the machine's CPUs).  The pool starts with the first run
 * that uses more than one thread and lives until exec_free; an Exec run by several
 * threads at once (never: one at a time) would not need more than one pool either. */
void exec_set_threads(Exec *e, int threads);
int exec_threads(const Exec *e);
/* The kernel set in use: "avx512", "avx2" or "portable" (static string). */
const char *exec_kernel_name(const Exec *e);

/* Bind a graph input by name (float32, row-major); dims override symbolic dims.  The
 * data is copied (and rounded when the input is float16/bfloat16: compute is float32, but
 * every tensor the graph declares as half precision is rounded to it after it is
 * produced, as a half-precision runtime stores it).  0 or -1 + message. */
int exec_set_input(Exec *e, const char *name, const float *data, const int64_t *dims, int rank, char *err,
                   size_t errlen);
/* Run the graph.  cancel (may be NULL) is polled between nodes with an atomic load (another
 * thread may set it with __atomic_store_n); a non-zero value stops
 * the run with -1 and "cancelled".  0 or -1 + message. */
int exec_run(Exec *e, const volatile int *cancel, char *err, size_t errlen);
/* Output i (graph output order) after a run: float32 data owned by the Exec (an int64
 * output, e.g. NonMaxSuppression's indices, is converted), valid until the next run or
 * exec_free; its dims written to dims (up to GRAPH_MAX_RANK) and *rank.  NULL when i is
 * out of range or nothing was computed. */
const float *exec_output(const Exec *e, int i, int64_t *dims, int *rank);
/* Any tensor by name after a run.  Intermediates share buffers after their last reader,
 * and a convolution runs with what follows it (batch norm, activation) fused, unless
 * keep_all is on: then every tensor is produced and keeps its value until the next run. */
void exec_keep_all(Exec *e, int on);
const float *exec_tensor(const Exec *e, const char *name, int64_t *dims, int *rank);
/* Tensor t's shape after a run with keep_all on (shape inference): dims (up to
 * GRAPH_MAX_RANK), *rank, and whether it holds integers or booleans (computed as int64)
 * rather than floats.  0, or -1 when the run did not produce it. */
int exec_tensor_shape(const Exec *e, int t, int64_t *dims, int *rank, bool *is_int);

/* Watching every tensor a run produces (INT8 calibration statistics) without keeping them
 * all: fn is called on the thread running exec_run after each node, once per output, with
 * the tensor's index in the graph and its value as float32 (integers converted), valid only
 * during the call.  While an observer is set nothing is fused, so every tensor of the graph
 * is produced; buffers are still reused.  fn NULL removes it. */
typedef void (*ExecObserver)(void *ctx, int tensor, const float *data, const int64_t *dims, int rank);
void exec_set_observer(Exec *e, ExecObserver fn, void *ctx);

/* Progress of a run: fn(ctx, done, total) on the running thread after each node, done of
 * total nodes (nodes folded at exec_new or fused into a convolution are not reported). fn
 * NULL removes it. */
typedef void (*ExecProgress)(void *ctx, int done, int total);
void exec_set_progress(Exec *e, ExecProgress fn, void *ctx);

/* Cap on the elements of any one tensor the run creates (default and maximum 2^30); a
 * larger one fails the run with "tensor too large".  For untrusted graphs and tests. */
void exec_set_max_elements(Exec *e, int64_t n);

/* Profiling: when on, exec_run accumulates wall time per op type (reset by each run).
 * exec_profile fills up to max entries, slowest first, and returns the count. */
typedef struct {
    const char *op_type; /* points into the graph */
    double ms;
    int nodes;           /* nodes of that type run */
} ExecOpTime;
void exec_set_profile(Exec *e, int on);

/* Which meaning the executor gives to ops whose semantics changed between opsets
 * (Resize before 11, Softmax before 13): graphs whose opsets give the same class run
 * every node the same way.  0 (unknown) counts as the newest. */
int exec_opset_class(int64_t opset);
int exec_profile(const Exec *e, ExecOpTime *out, int max);

/* One node after a run: how it ran and, with profiling on, how long it took.  0, or -1
 * when node is out of range. */
typedef struct {
    const char *name; /* node name (points into the graph) */
    const char *op;   /* op name (points into the graph or a static table) */
    char path[64];    /* convolutions: "winograd F(4,3) avx512", ...; nodes run inside a fused
                         convolution: "fused"; else "" */
    double ms;        /* wall time in the last run with profiling on (0 otherwise) */
    double macs;      /* multiply-adds of a convolution in the last run (0 for other ops) */
} ExecNodeInfo;
int exec_node_info(const Exec *e, int node, ExecNodeInfo *out);
/* Memory the last run used at its peak: activations alive at once plus the kernels' work
 * buffers, in bytes. */
int64_t exec_peak_bytes(const Exec *e);
/* Of that, the activations alone (the memory plan's size once a run at the current input
 * shape made one; before, the last run's most live activation bytes with profiling on, else
 * 0).  A half-precision graph stores its float16 activations in 2 bytes an element. */
int64_t exec_activation_bytes(const Exec *e);

/* One node evaluated on its own with the executor's kernels — what constant folding uses.
 * Every input of node `node` must be a constant (an initializer with data); attribute
 * tensors are read from g.  On success (0) out[k] (k < n_outputs <= max_out) holds output k:
 * float32 (is_int false) or int64 data on the heap, which the caller frees with exec_value_free.
 * -1 + message when an input is not a constant, the op has no kernel, a tensor would exceed
 * max_elems elements, or the kernel fails. */
typedef struct {
    bool is_int;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    int64_t numel;
    void *data;
} ExecValue;
int exec_eval_node(const Graph *g, int node, ExecValue *out, int max_out, int64_t max_elems, char *err,
                   size_t errlen);
void exec_value_free(ExecValue *v);

/* The executor's op table (engine/exec/exec_ops.c), for tests and tools: whether op has a
 * kernel (EXEC_OP_KERNEL), is marked as one the executor cannot run (EXEC_OP_NOT_EXECUTABLE),
 * or has a row nobody filled in (EXEC_OP_UNSET, 0: a bug the op table test reports). */
typedef enum { EXEC_OP_UNSET = 0, EXEC_OP_KERNEL, EXEC_OP_NOT_EXECUTABLE } ExecOpSupport;
ExecOpSupport exec_op_support(OpKind op);
/* The attributes op's kernel reads, space-separated ("" when none); NULL out of range. */
const char *exec_op_attrs(OpKind op);

#endif
