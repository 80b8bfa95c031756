/* passes_shapes: shape and element-type inference over a whole graph read from a file that
 * leaves them out (an ONNX file without value_info, as the peer writes them), so that every
 * writer sees the rank of every input it maps: the graph runs once in the executor on zeros
 * at the export's input size (twice when the input has dynamic dims: a dim that follows the
 * input's size stays dynamic).  See passes.h. */
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "engine/exec/exec.h"
#include "engine/passes/passes.h"

static bool unknown(const Tensor *t) { return t->producer >= 0 && !t->data && (t->dtype == DT_UNDEFINED || t->rank == 0); }

/* The element type an integer-valued output of n holds. */
static DType int_dtype(const Graph *g, const Node *n)
{
    switch (n->op) {
    case OP_EQUAL: case OP_LESS: case OP_GREATER: case OP_LESS_OR_EQUAL: case OP_GREATER_OR_EQUAL:
    case OP_AND: case OP_OR: case OP_XOR: case OP_NOT:
        return DT_BOOL;
    case OP_CAST: {
        DType to = dtype_from_onnx((int)node_attr_int(n, "to", 0));
        return to != DT_UNDEFINED ? to : DT_I64;
    }
    default: break;
    }
    /* same as an integer input where there is one (Where, Concat, Gather of ints ...) */
    for (int i = 0; i < n->n_inputs; i++) {
        int t = n->inputs[i];
        if (t < 0) continue;
        DType d = g->tensors[t].dtype;
        if (d == DT_I64 || d == DT_I32 || d == DT_BOOL) return n->op == OP_WHERE && i == 0 ? DT_I64 : d;
    }
    return DT_I64;
}

/* The element type a float-valued output of n holds: a Cast's target, else the first float
 * input's (float16 graphs stay float16), else float32. */
static DType float_dtype(const Graph *g, const Node *n)
{
    if (n->op == OP_CAST) {
        DType to = dtype_from_onnx((int)node_attr_int(n, "to", 0));
        if (to != DT_UNDEFINED) return to;
    }
    if (n->op == OP_DEQUANTIZE_LINEAR || n->op == OP_SHAPE) return DT_F32;
    for (int i = 0; i < n->n_inputs; i++) {
        int t = n->inputs[i];
        if (t < 0) continue;
        DType d = g->tensors[t].dtype;
        if (d == DT_F16 || d == DT_F32 || d == DT_BF16 || d == DT_F64) return d;
    }
    return DT_F32;
}

/* One run on zeros at dims; the Exec keeps every tensor. */
static Exec *run_at(const Graph *g, const int64_t *dims, int rank, char *err, size_t errlen)
{
    Exec *e = exec_new(g, err, errlen);
    if (!e) return NULL;
    exec_keep_all(e, 1);
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i] > 0 ? dims[i] : 1;
    float *zeros = xcalloc((size_t)(n ? n : 1), sizeof(float));
    const char *in = g->tensors[g->inputs[0]].name;
    int rc = exec_set_input(e, in, zeros, dims, rank, err, errlen);
    free(zeros);
    if (rc == 0) rc = exec_run(e, NULL, err, errlen);
    if (rc != 0) {
        exec_free(e);
        return NULL;
    }
    return e;
}

int pass_infer_shapes(Graph *g, const int64_t *in_dims, int in_rank, int *n_inferred, char *err, size_t errlen)
{
    if (n_inferred) *n_inferred = 0;
    int n_unknown = 0;
    for (int t = 0; t < g->n_tensors; t++) n_unknown += unknown(&g->tensors[t]);
    if (n_unknown == 0) return 0;
    if (g->n_inputs != 1 || in_rank < 1 || in_rank > GRAPH_MAX_RANK)
        return err_set(err, errlen, "shapes: %d tensors have no shape, and only a graph with one input is run to find them",
                       n_unknown);
    const Tensor *x = &g->tensors[g->inputs[0]];
    bool dynamic = false;
    for (int i = 0; i < x->rank; i++) dynamic |= x->dims[i] < 0 || x->dim_names[i];
    char msg[1024];
    Exec *a = run_at(g, in_dims, in_rank, msg, sizeof msg);
    if (!a) return err_set(err, errlen, "shapes: the graph does not run at the export's input size: %s", msg);
    Exec *b = NULL;
    if (dynamic) { /* a second size: the dims that follow the input's stay dynamic */
        int64_t d2[GRAPH_MAX_RANK];
        for (int i = 0; i < in_rank; i++) {
            bool dyn = i < x->rank && (x->dims[i] < 0 || x->dim_names[i]);
            d2[i] = in_dims[i] + (dyn ? (i == 0 ? 1 : 32) : 0);
        }
        b = run_at(g, d2, in_rank, msg, sizeof msg); /* when it cannot run there, every dim stays fixed */
    }
    int filled = 0;
    for (int t = 0; t < g->n_tensors; t++) {
        Tensor *tt = &g->tensors[t];
        if (!unknown(tt)) continue;
        int64_t dims[GRAPH_MAX_RANK], dims2[GRAPH_MAX_RANK];
        int rank = 0, rank2 = 0;
        bool is_int = false, is_int2 = false;
        if (exec_tensor_shape(a, t, dims, &rank, &is_int) != 0) continue; /* not computed: left as it is */
        bool second = b && exec_tensor_shape(b, t, dims2, &rank2, &is_int2) == 0 && rank2 == rank;
        const Node *n = &g->nodes[tt->producer];
        if (tt->dtype == DT_UNDEFINED) tt->dtype = is_int ? int_dtype(g, n) : float_dtype(g, n);
        if (tt->rank == 0 || tt->rank != rank) {
            tt->rank = rank;
            for (int i = 0; i < rank; i++) {
                tt->dims[i] = second && dims2[i] != dims[i] ? -1 : dims[i];
                tt->dim_names[i] = NULL;
            }
        }
        filled++;
    }
    exec_free(a);
    if (b) exec_free(b);
    if (n_inferred) *n_inferred = filled;
    return 0;
}

int pass_infer_shapes_at_input(Graph *g, char *err, size_t errlen)
{
    if (g->n_inputs != 1) return 0;
    const Tensor *x = &g->tensors[g->inputs[0]];
    if (x->rank < 1) return 0;
    int64_t d[GRAPH_MAX_RANK];
    memcpy(d, x->dims, sizeof d);
    bool known = true;
    for (int i = 0; i < x->rank; i++) known &= d[i] > 0;
    if (!known) {
        /* an image batch whose height and width (or batch) the file leaves open: the size it
         * was made for (its metadata's imgsz, else 640), batch 1; pass_infer_shapes runs it at
         * a second size too, so what follows the input's size stays unknown */
        if (x->rank != 4) return 0;
        int hi = d[3] == 3 ? 1 : 2; /* NHWC (TF formats) or NCHW */
        int64_t h = g->meta.imgsz[0] > 0 ? g->meta.imgsz[0] : 640, w = g->meta.imgsz[1] > 0 ? g->meta.imgsz[1] : h;
        if (d[0] <= 0) d[0] = 1;
        if (d[hi] <= 0) d[hi] = h;
        if (d[hi + 1] <= 0) d[hi + 1] = w;
        for (int i = 0; i < 4; i++)
            if (d[i] <= 0) return 0;
    }
    return pass_infer_shapes(g, d, x->rank, NULL, err, errlen);
}
