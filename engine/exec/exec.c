/* exec: the executor's core — preparing a graph (constants converted once to float32 or
 * int64, ops resolved, last uses computed), binding inputs, the run loop that frees
 * intermediates after their last consumer, and the helpers every op file shares.
 * The ops themselves live in exec_conv.c, exec_elementwise.c and exec_shape.c. */
#include "engine/exec/exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/exec/exec_conv.h"
#include "engine/exec/exec_impl.h"
#include "engine/core/membudget.h"
#include "engine/core/util.h"

/* ---- values ---------------------------------------------------------------------- */

/* float16 <-> float32 conversions of at least this many elements run on the pool, in
 * ranges of at least F16_GRAIN (below that a hand-off costs more than it saves). */
#define F16_PARALLEL_MIN ((int64_t)1 << 16)
#define F16_GRAIN ((int64_t)1 << 15)

typedef struct {
    const ExecKernels *kern;
    const void *src;
    void *dst;
    bool to_f16;
} F16Job;

static void f16_range(void *ctx, int64_t begin, int64_t end)
{
    const F16Job *j = ctx;
    if (j->to_f16) j->kern->f32_to_f16((const float *)j->src + begin, (uint16_t *)j->dst + begin, end - begin);
    else j->kern->f16_to_f32((const uint16_t *)j->src + begin, (float *)j->dst + begin, end - begin);
}

/* n elements from float32 src to float16 dst (to_f16) or back, on the pool when large. */
static void convert_f16(Exec *e, const void *src, void *dst, int64_t n, bool to_f16)
{
    F16Job j = {e->kern, src, dst, to_f16};
    if (n < F16_PARALLEL_MIN || !e->pool) f16_range(&j, 0, n);
    else exec_parallel_range(e, n, F16_GRAIN, f16_range, &j);
}

/* A heap staging buffer of at least n floats (when the activation region cannot give one):
 * the smallest free one that holds n, else the largest free one grown, else a new one.  The
 * buffers stay the Exec's (counted in exec_peak_bytes); stage_release frees them all for
 * the next node. */
static float *stage_take_heap(Exec *e, size_t need)
{
    int best = -1, largest = -1;
    for (int i = 0; i < e->n_stage; i++) {
        if (e->stage_used & (1ull << i)) continue;
        if (e->stage_len[i] >= need && (best < 0 || e->stage_len[i] < e->stage_len[best])) best = i;
        if (largest < 0 || e->stage_len[i] > e->stage_len[largest]) largest = i;
    }
    if (best < 0) {
        best = largest;
        if (best < 0) {
            if (e->n_stage >= 64) return NULL;
            e->stage = xrealloc(e->stage, sizeof *e->stage * (size_t)(e->n_stage + 1));
            e->stage_len = xrealloc(e->stage_len, sizeof *e->stage_len * (size_t)(e->n_stage + 1));
            best = e->n_stage++;
            e->stage[best] = NULL;
            e->stage_len[best] = 0;
        }
        free(e->stage[best]);
        membudget_give(e->stage_len[best] * sizeof(float));
        e->stage[best] = xmalloc_aligned(64, need * sizeof(float));
        membudget_charge(need * sizeof(float)); /* bounded by the element limit, counted */
        e->stage_len[best] = need;
    }
    e->stage_used |= 1ull << best;
    return e->stage[best];
}

/* A staging buffer of at least n floats for the node being run (the float32 form of a
 * float16 input or output), valid until the node ends.  The staging buffers are part of
 * the memory plan: a recording run takes them from the region and records them
 * (e->srec), and the plan lays each out for its node's duration, over activations already
 * dead; a node's k-th request gets its k-th recorded buffer.  Elsewhere, the heap ones. */
static float *stage_take(Exec *e, int64_t n)
{
    size_t need = (size_t)(n > 0 ? n : 1), off;
    int ni = e->cur_node, k = e->stage_k++;
    if (ni >= 0 && e->planned && e->stage_first && e->stage_first[ni] >= 0) {
        for (int i = e->stage_first[ni]; i < e->n_srec && e->srec[i].node == ni; i++)
            if (e->srec[i].k == k && e->srec[i].bytes >= (int64_t)(need * sizeof(float)))
                return exec_mem_ptr(e->mem, (size_t)e->srec[i].off);
    } else if (ni >= 0 && e->recording && exec_mem_alloc(e->mem, need * sizeof(float), &off)) {
        if (e->n_srec == e->cap_srec) {
            e->cap_srec = e->cap_srec ? 2 * e->cap_srec : 16;
            e->srec = xrealloc(e->srec, sizeof *e->srec * (size_t)e->cap_srec);
        }
        e->srec[e->n_srec++] = (StageRec){ni, k, (int64_t)(need * sizeof(float)), (int64_t)off};
        return exec_mem_ptr(e->mem, off);
    }
    return stage_take_heap(e, need);
}

/* The node is done with its staging buffers (a recording run gives its region blocks back). */
static void stage_release(Exec *e)
{
    for (int i = e->n_srec - 1; e->recording && i >= 0 && e->srec[i].node == e->cur_node; i--)
        exec_mem_release(e->mem, (size_t)e->srec[i].off, (size_t)e->srec[i].bytes);
    e->stage_used = 0;
    e->stage_k = 0;
}

/* Give back v's data (an owned heap block or region block; planned slots stay). */
static void value_release(Value *v)
{
    if (v->owned) {
        if (v->where == VW_HEAP) free(v->data);
        else if (v->where == VW_REGION) exec_mem_release(v->mem, v->mem_off, v->mem_bytes);
        membudget_give(v->charged);
    }
    v->charged = 0;
    v->where = VW_HEAP;
    v->mem = NULL;
}

void value_clear(Value *v)
{
    value_release(v);
    free(v->fshadow);
    v->data = NULL;
    v->fshadow = NULL;
    v->owned = false;
    v->ready = false;
    v->numel = 0;
    v->rank = 0;
}

/* The graph tensor v holds, or -1 (a kernel's temporary). */
static int value_tensor(const Exec *e, const Value *v)
{
    uintptr_t p = (uintptr_t)v, lo = (uintptr_t)e->vals, hi = (uintptr_t)(e->vals + e->g->n_tensors);
    return p >= lo && p < hi ? (int)(v - e->vals) : -1;
}

/* Data for tensor t (-1: a temporary) of bytes: its planned slot, a region block in a
 * recording run, else the heap. */
static void value_place(Exec *e, Value *v, int t, size_t bytes)
{
    v->where = VW_HEAP;
    if (t >= 0 && e->mem && e->planned && e->plan_off[t] >= 0 && (int64_t)bytes <= e->plan_bytes[t]) {
        v->data = exec_mem_ptr(e->mem, (size_t)e->plan_off[t]);
        v->where = VW_PLANNED;
        return;
    }
    size_t off;
    if (t >= 0 && e->mem && e->recording && exec_mem_alloc(e->mem, bytes, &off)) {
        v->data = exec_mem_ptr(e->mem, off);
        v->where = VW_REGION;
        v->mem = e->mem;
        v->mem_off = off;
        v->mem_bytes = bytes;
        return;
    }
    v->data = xmalloc(bytes ? bytes : 1);
}

int value_alloc(Exec *e, Value *v, ValueType t, int rank, const int64_t *dims, char *err, size_t errlen)
{
    value_clear(v);
    if (rank < 0 || rank > GRAPH_MAX_RANK) return err_set(err, errlen, "rank %d is out of range", rank);
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return err_set(err, errlen, "negative dimension %lld", (long long)dims[i]);
        if (dims[i] && n > e->max_elems / dims[i])
            return err_set(err, errlen, "tensor too large (over %lld elements)", (long long)e->max_elems);
        n *= dims[i];
        v->dims[i] = dims[i];
    }
    v->type = t;
    v->rank = rank;
    v->numel = n;
    int tensor = value_tensor(e, v);
    if (t == VT_F32 && tensor >= 0 && e->f16_store && e->f16_store[tensor] && e->cur_node >= 0 &&
        (v->data = stage_take(e, n))) { /* stored as float16 once the op is done (store_f16) */
        v->where = VW_STAGE;
        v->owned = true;
        v->ready = true;
        return 0;
    }
    size_t bytes = (size_t)(n ? n : 1) * value_esize(t);
    if (!membudget_take(bytes)) return membudget_refuse(err, errlen, NULL, "its output", bytes);
    value_place(e, v, tensor, (size_t)n * value_esize(t));
    v->charged = bytes;
    v->owned = true;
    v->ready = true;
    return 0;
}

int value_copy_reshaped(Exec *e, Value *dst, const Value *src, int rank, const int64_t *dims, char *err,
                        size_t errlen)
{
    if (value_alloc(e, dst, src->type, rank, dims, err, errlen)) return -1;
    if (dst->numel != src->numel)
        return err_set(err, errlen, "cannot give %lld elements the shape of %lld", (long long)src->numel,
                       (long long)dst->numel);
    if (dst->data != src->data) /* a planned view of its source needs no copy */
        memcpy(dst->data, src->data, (size_t)src->numel * value_esize(src->type));
    return 0;
}

int64_t value_get_i64(const Value *v, int64_t i)
{
    if (v->type == VT_I64) return vi(v)[i];
    if (v->type != VT_F32 && v->type != VT_F16) return (int64_t)value_get(v, i);
    float f = (float)value_get(v, i);
    if (!(f == f)) return 0;
    if (f >= 9.2e18f) return INT64_MAX;
    if (f <= -9.2e18f) return INT64_MIN;
    return (int64_t)f;
}

int value_int_list(const Value *v, int64_t *out, int max, int *n, const char *what, char *err, size_t errlen)
{
    if (!v || !v->ready) return err_set(err, errlen, "%s is missing", what);
    if (v->rank > 1) return err_set(err, errlen, "%s must be 1-D (rank %d)", what, v->rank);
    if (v->numel > max) return err_set(err, errlen, "%s has %lld entries (at most %d)", what, (long long)v->numel, max);
    for (int64_t i = 0; i < v->numel; i++) out[i] = value_get_i64(v, i);
    *n = (int)v->numel;
    return 0;
}

int axis_norm(int64_t axis, int rank, int *out, char *err, size_t errlen)
{
    if (axis < -(int64_t)rank || axis >= rank)
        return err_set(err, errlen, "axis %lld is out of range for rank %d", (long long)axis, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return 0;
}

void value_to_f32(Value *v)
{
    if (v->type == VT_F32) return;
    size_t bytes = (size_t)(v->numel ? v->numel : 1) * sizeof(float);
    float *f = xmalloc(bytes);
    membudget_charge(bytes); /* what it replaces is given back below */
    for (int64_t i = 0; i < v->numel; i++) f[i] = (float)value_get(v, i);
    value_release(v);
    v->data = f;
    v->owned = true;
    v->charged = bytes;
    v->type = VT_F32;
}

float *exec_scratch(Exec *e, size_t n)
{
    if (n > e->scratch_len) {
        free(e->scratch);
        membudget_give(e->scratch_len * sizeof(float));
        e->scratch = xmalloc(n * sizeof(float));
        membudget_charge(n * sizeof(float)); /* bounded by the element limit, counted */
        e->scratch_len = n;
    }
    return e->scratch;
}

float *exec_pad_scratch(Exec *e, size_t n)
{
    if (n > e->pad_len) {
        free(e->pad);
        e->pad = xmalloc_aligned(64, n * sizeof(float));
        e->pad_len = n;
    }
    return e->pad;
}

float *exec_wino_scratch(Exec *e, size_t n)
{
    if (n > e->wino_len) {
        free(e->wino);
        e->wino = xmalloc_aligned(64, n * sizeof(float));
        e->wino_len = n;
    }
    return e->wino;
}

void *exec_tab_scratch(Exec *e, size_t n)
{
    if (n > e->tab_len) {
        free(e->tab);
        e->tab = xmalloc_aligned(64, n);
        e->tab_len = n;
    }
    return e->tab;
}

typedef struct {
    ExecRangeFn fn;
    void *ctx;
    int64_t n, chunk;
} RangeJob;

static void range_task(void *ctx, int64_t task, int worker)
{
    const RangeJob *j = ctx;
    (void)worker;
    int64_t b = task * j->chunk, end = b + j->chunk < j->n ? b + j->chunk : j->n;
    j->fn(j->ctx, b, end);
}

void exec_parallel_range(Exec *e, int64_t n, int64_t grain, ExecRangeFn fn, void *ctx)
{
    if (n <= 0) return;
    int threads = exec_pool_size(e->pool);
    int64_t tasks = grain > 0 ? n / grain : n;
    if (tasks > 4 * (int64_t)threads) tasks = 4 * (int64_t)threads;
    if (threads <= 1 || tasks <= 1) {
        fn(ctx, 0, n);
        return;
    }
    RangeJob j = {fn, ctx, n, (n + tasks - 1) / tasks};
    exec_pool_for(e->pool, (n + j.chunk - 1) / j.chunk, range_task, &j);
}

void exec_worker_scratch_reserve(Exec *e, size_t n)
{
    int w = exec_pool_size(e->pool);
    if (w > e->n_wscr) {
        e->wscr = xrealloc(e->wscr, sizeof *e->wscr * (size_t)w);
        e->wscr_len = xrealloc(e->wscr_len, sizeof *e->wscr_len * (size_t)w);
        for (int i = e->n_wscr; i < w; i++) {
            e->wscr[i] = NULL;
            e->wscr_len[i] = 0;
        }
        e->n_wscr = w;
    }
    for (int i = 0; i < w; i++)
        if (e->wscr_len[i] < n) {
            free(e->wscr[i]);
            e->wscr[i] = xmalloc_aligned(64, (n ? n : 1) * sizeof(float));
            e->wscr_len[i] = n;
        }
}

int broadcast_shape(const int64_t *a, int ra, const int64_t *b, int rb, int64_t *out, int *rout, char *err,
                    size_t errlen)
{
    int r = ra > rb ? ra : rb;
    for (int i = 0; i < r; i++) {
        int64_t da = i < r - ra ? 1 : a[i - (r - ra)];
        int64_t db = i < r - rb ? 1 : b[i - (r - rb)];
        if (da == db || db == 1) out[i] = da;
        else if (da == 1) out[i] = db;
        else return err_set(err, errlen, "shapes do not broadcast (dim %d: %lld vs %lld)", i, (long long)da, (long long)db);
    }
    *rout = r;
    return 0;
}

const char *node_attr_str(const Node *n, const char *name, const char *dflt)
{
    const Attr *a = node_attr(n, name);
    return a && a->type == ATTR_STRING && a->s ? a->s : dflt;
}

/* ---- preparing ------------------------------------------------------------------- */

static bool dtype_is_float(DType t) { return t == DT_F32 || t == DT_F16 || t == DT_BF16 || t == DT_F64; }
static bool dtype_is_int(DType t)
{
    return t == DT_U8 || t == DT_I8 || t == DT_U16 || t == DT_I16 || t == DT_I32 || t == DT_I64 || t == DT_BOOL ||
           t == DT_U32 || t == DT_U64;
}

/* Turn an initializer into a Value: float32 data is borrowed, other types converted. */
static int prepare_const(const ExecKernels *kern, Value *v, const Tensor *t, char *err, size_t errlen)
{
    int64_t n;
    if (t->rank < 0 || t->rank > GRAPH_MAX_RANK || !dims_product(t->dims, t->rank, &n))
        return err_set(err, errlen, "constant '%s' has an invalid shape", t->name);
    size_t es = dtype_size(t->dtype), need;
    if (!dtype_is_float(t->dtype) && !dtype_is_int(t->dtype))
        return err_set(err, errlen, "constant '%s' has type %s, which the executor does not handle", t->name,
                       dtype_name(t->dtype));
    if (n > EXEC_MAX_ELEMS || !size_mul((size_t)n, es, &need) || t->nbytes < need)
        return err_set(err, errlen, "constant '%s' holds %zu bytes, its shape needs more", t->name, t->nbytes);
    v->rank = t->rank;
    memcpy(v->dims, t->dims, sizeof v->dims);
    v->numel = n;
    v->ready = true;
    if (t->dtype == DT_F32 && ((uintptr_t)t->data % sizeof(float)) == 0) {
        v->type = VT_F32;
        v->data = t->data;
        v->owned = false;
        return 0;
    }
    const unsigned char *p = t->data;
    size_t bytes = (size_t)(n ? n : 1) * (dtype_is_float(t->dtype) ? sizeof(float) : sizeof(int64_t));
    if (!membudget_take(bytes)) {
        char what[300];
        snprintf(what, sizeof what, "constant '%s' as the executor holds it", t->name);
        return membudget_refuse(err, errlen, NULL, what, bytes);
    }
    v->charged = bytes;
    if (t->dtype == DT_F16 && kern && ((uintptr_t)t->data % sizeof(uint16_t)) == 0) {
        float *f = xmalloc((size_t)(n ? n : 1) * sizeof(float));
        kern->f16_to_f32((const uint16_t *)t->data, f, n);
        v->type = VT_F32;
        v->data = f;
    } else if (dtype_is_float(t->dtype)) {
        float *f = xmalloc((size_t)(n ? n : 1) * sizeof(float));
        for (int64_t i = 0; i < n; i++) {
            const unsigned char *q = p + (size_t)i * es;
            if (t->dtype == DT_F32) memcpy(&f[i], q, 4);
            else if (t->dtype == DT_F64) { double d; memcpy(&d, q, 8); f[i] = (float)d; }
            else { uint16_t h; memcpy(&h, q, 2); f[i] = t->dtype == DT_F16 ? half_to_float(h) : bf16_to_float(h); }
        }
        v->type = VT_F32;
        v->data = f;
    } else {
        int64_t *o = xmalloc((size_t)(n ? n : 1) * sizeof(int64_t));
        for (int64_t i = 0; i < n; i++) {
            const unsigned char *q = p + (size_t)i * es;
            switch (t->dtype) {
            case DT_U8: case DT_BOOL: o[i] = q[0]; break;
            case DT_I8: o[i] = (int8_t)q[0]; break;
            case DT_U16: { uint16_t x; memcpy(&x, q, 2); o[i] = x; break; }
            case DT_I16: { int16_t x; memcpy(&x, q, 2); o[i] = x; break; }
            case DT_I32: { int32_t x; memcpy(&x, q, 4); o[i] = x; break; }
            case DT_U32: { uint32_t x; memcpy(&x, q, 4); o[i] = x; break; }
            default: { int64_t x; memcpy(&x, q, 8); o[i] = x; break; }
            }
        }
        v->type = VT_I64;
        v->data = o;
    }
    v->owned = true; /* converted copies belong to the Exec (freed by exec_free only) */
    return 0;
}

int exec_opset_class(int64_t opset)
{
    if (opset <= 0 || opset >= 13) return 0;
    return opset >= 11 ? 1 : 2;
}

static const ExecIsa kernel_sets[] = {
    [EXEC_KERNELS_BEST] = EXEC_ISA_AVX512,
    [EXEC_KERNELS_PORTABLE] = EXEC_ISA_PORTABLE,
    [EXEC_KERNELS_AVX2] = EXEC_ISA_AVX2,
    [EXEC_KERNELS_AVX512] = EXEC_ISA_AVX512,
};
static const ConvPath conv_choices[] = {
    [EXEC_CONV_AUTO] = CONV_PATH_AUTO,
    [EXEC_CONV_REFERENCE] = CONV_PATH_REFERENCE,
    [EXEC_CONV_GEMM1X1] = CONV_PATH_GEMM1X1,
    [EXEC_CONV_DIRECT] = CONV_PATH_DIRECT,
    [EXEC_CONV_IM2COL] = CONV_PATH_IM2COL,
    [EXEC_CONV_WINOGRAD] = CONV_PATH_WINO43,
};

Exec *exec_new(const Graph *g, char *err, size_t errlen) { return exec_new_with(g, NULL, err, errlen); }

static void fold_constants(Exec *e);

Exec *exec_new_with(const Graph *g, const ExecOptions *opt, char *err, size_t errlen)
{
    if (!g) {
        err_set(err, errlen, "no graph");
        return NULL;
    }
    if (graph_validate(g, err, errlen)) return NULL;
    Exec *e = xcalloc(1, sizeof *e);
    e->g = g;
    e->opset = g->meta.opset;
    e->max_elems = EXEC_MAX_ELEMS;
    ExecKernelSet ks = opt && (unsigned)opt->kernels < ARRAY_LEN(kernel_sets) ? opt->kernels : EXEC_KERNELS_BEST;
    e->kern = exec_kernels(kernel_sets[ks]);
    e->threads = opt && opt->threads > 0 ? opt->threads : 0;
    e->conv_force = opt && (unsigned)opt->conv < ARRAY_LEN(conv_choices) ? (int)conv_choices[opt->conv] : 0;
    e->cur_node = -1;
    int nt = g->n_tensors ? g->n_tensors : 1, nn = g->n_nodes ? g->n_nodes : 1;
    e->vals = xcalloc((size_t)nt, sizeof *e->vals);
    e->last_use = xmalloc((size_t)nt * sizeof *e->last_use);
    e->pinned = xcalloc((size_t)nt, sizeof *e->pinned);
    e->op_fns = xcalloc((size_t)nn, sizeof *e->op_fns);
    for (int i = 0; i < g->n_tensors; i++) e->last_use[i] = -1;
    for (int i = 0; i < g->n_outputs; i++) e->pinned[g->outputs[i]] = true;

    for (int i = 0; i < g->n_tensors; i++) {
        const Tensor *t = &g->tensors[i];
        if (t->producer >= 0 || t->is_input) continue;
        if (t->data) {
            if (prepare_const(e->kern, &e->vals[i], t, err, errlen)) goto fail;
        }
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx")) {
            err_set(err, errlen, "node '%s': op %s of domain '%s' is not supported by the executor", n->name,
                    n->op_type, n->domain);
            goto fail;
        }
        const ExecOpDef *def = (unsigned)n->op < OP_COUNT ? &exec_op_defs[n->op] : NULL;
        if (!def || !def->fn) {
            err_set(err, errlen, "node '%s': op %s is not supported by the executor", n->name, node_op_name(n));
            goto fail;
        }
        if (n->n_inputs < def->min_in || n->n_inputs > def->max_in || n->n_outputs < def->min_out ||
            n->n_outputs > def->max_out) {
            err_set(err, errlen, "node '%s' (%s) has %d inputs and %d outputs; the op takes %d to %d and %d to %d",
                    n->name, node_op_name(n), n->n_inputs, n->n_outputs, def->min_in, def->max_in, def->min_out,
                    def->max_out);
            goto fail;
        }
        e->op_fns[ni] = def->fn;
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t < 0) continue;
            const Tensor *tt = &g->tensors[t];
            if (tt->producer < 0 && !tt->is_input && !e->vals[t].ready) {
                err_set(err, errlen, "node '%s' (%s): input '%s' has no data (%s)", n->name, n->op_type, tt->name,
                        tt->external ? "external data not loaded" : "the model was opened for browsing only");
                goto fail;
            }
            e->last_use[t] = ni;
        }
    }
    for (int t = 0; t < g->n_tensors; t++) { /* float16 activations are stored as such */
        const Tensor *tt = &g->tensors[t];
        if (tt->dtype != DT_F16 || tt->producer < 0 || tt->is_input) continue;
        if (!e->f16_store) e->f16_store = xcalloc((size_t)nt, sizeof(bool));
        e->f16_store[t] = true;
    }
    e->last_use_graph = xmalloc(sizeof(int) * (size_t)nt);
    memcpy(e->last_use_graph, e->last_use, sizeof(int) * (size_t)g->n_tensors);
    fold_constants(e);
    exec_plan_convs(e, !e->keep_all);
    return e;
fail:
    exec_free(e);
    return NULL;
}

void exec_free(Exec *e)
{
    if (!e) return;
    for (int i = 0; i < e->g->n_tensors; i++) value_clear(&e->vals[i]);
    free(e->vals);
    free(e->last_use);
    free(e->pinned);
    free(e->op_fns);
    free(e->scratch);
    membudget_give(e->scratch_len * sizeof(float));
    free(e->node_ms);
    if (e->conv)
        for (int i = 0; i < e->g->n_nodes; i++) conv_plan_free(e->conv[i]);
    free(e->conv);
    if (e->qconv)
        for (int i = 0; i < e->g->n_nodes; i++) qconv_plan_free(e->qconv[i]);
    free(e->qconv);
    free(e->q_bytes);
    free(e->last_use_graph);
    free(e->folded);
    free(e->node_folded);
    free(e->node_plan);
    free(e->alias_src);
    exec_pool_free(e->pool);
    exec_mem_free(e->mem);
    free(e->rec);
    free(e->plan_off);
    free(e->plan_bytes);
    free(e->no_consume);
    free(e->plan_in_dims);
    free(e->plan_in_rank);
    free(e->f16_store);
    for (int i = 0; i < e->n_stage; i++) {
        free(e->stage[i]);
        membudget_give(e->stage_len[i] * sizeof(float));
    }
    free(e->stage);
    free(e->stage_len);
    free(e->srec);
    free(e->stage_first);
    free(e->pad);
    free(e->tab);
    free(e->wino);
    for (int i = 0; i < e->n_wscr; i++) free(e->wscr[i]);
    free(e->wscr);
    free(e->wscr_len);
    free(e);
}

/* Fusion is on unless every tensor must be produced (keep_all, an observer); changing it
 * re-plans the convolutions and the memory (lifetimes change). */
static void replan(Exec *e)
{
    exec_plan_convs(e, !e->keep_all && !e->observer);
    e->planned = false;
    e->plan_failed = false;
}

void exec_keep_all(Exec *e, int on)
{
    if ((on != 0) == e->keep_all) return;
    e->keep_all = on != 0;
    replan(e);
}

void exec_set_observer(Exec *e, ExecObserver fn, void *ctx)
{
    bool change = (fn != NULL) != (e->observer != NULL);
    e->observer = fn;
    e->observer_ctx = ctx;
    if (change) replan(e);
}

void exec_set_threads(Exec *e, int threads)
{
    threads = threads > 0 ? threads : 0;
    if (threads == e->threads) return;
    e->threads = threads;
    exec_pool_free(e->pool);
    e->pool = NULL;
}

int exec_threads(const Exec *e) { return e->threads > 0 ? e->threads : exec_cpu_count(); }

const char *exec_kernel_name(const Exec *e) { return e->kern->name; }

void exec_set_max_elements(Exec *e, int64_t n) { e->max_elems = n > 0 && n < EXEC_MAX_ELEMS ? n : EXEC_MAX_ELEMS; }

/* A tensor whose value lives across runs: an initializer. */
static bool is_const_tensor(const Exec *e, int t)
{
    const Tensor *tt = &e->g->tensors[t];
    return (tt->producer < 0 && !tt->is_input) || (e->folded && e->folded[t]);
}

/* Round float32 values to what a float16/bfloat16 tensor can hold (no-op for other types). */
static void round_to_storage(const Exec *e, Value *v, DType storage)
{
    if (storage == DT_F16)
        e->kern->round_f16(vf(v), v->numel);
    else if (storage == DT_BF16)
        for (int64_t i = 0; i < v->numel; i++) {
            uint32_t b;
            memcpy(&b, &vf(v)[i], 4);
            if ((b & 0x7f800000u) != 0x7f800000u) b = (b + 0x7fff + ((b >> 16) & 1)) & 0xffff0000u;
            memcpy(&vf(v)[i], &b, 4);
        }
}

/* v's data released, then v holding the block placed in b (charged bytes to the budget). */
static void take_block(Value *v, const Value *b, size_t charged)
{
    value_release(v);
    v->data = b->data;
    v->where = b->where;
    v->mem = b->mem;
    v->mem_off = b->mem_off;
    v->mem_bytes = b->mem_bytes;
    v->charged = charged;
}

/* Store float16 tensor t's float32 value v (an op's output, in a staging buffer or its own
 * block) as float16 in its planned slot or a block of its own: exact for values rounded to
 * float16, and round to nearest even for the rest, as round_to_storage.  0 or -1 + message
 * (the memory budget). */
static int store_f16(Exec *e, Value *v, int t, char *err, size_t errlen)
{
    size_t bytes = (size_t)(v->numel ? v->numel : 1) * sizeof(uint16_t);
    if (!membudget_take(bytes)) return membudget_refuse(err, errlen, NULL, "its float16 output", bytes);
    Value h = {.type = VT_F16};
    value_place(e, &h, t, (size_t)v->numel * sizeof(uint16_t));
    convert_f16(e, v->data, h.data, v->numel, true);
    take_block(v, &h, bytes);
    v->type = VT_F16;
    v->owned = true;
    return 0;
}

/* A float32 output left in a staging buffer (an op wrote over the staged copy of an input)
 * by a tensor the graph does not store as float16: moved to a block of its own.  0 or -1 +
 * message (the memory budget). */
static int unstage(Exec *e, Value *v, int t, char *err, size_t errlen)
{
    size_t bytes = (size_t)(v->numel ? v->numel : 1) * sizeof(float);
    if (!membudget_take(bytes)) return membudget_refuse(err, errlen, NULL, "its output", bytes);
    Value f = {.type = VT_F32};
    value_place(e, &f, t, (size_t)v->numel * sizeof(float));
    if (v->numel) memcpy(f.data, v->data, (size_t)v->numel * sizeof(float));
    take_block(v, &f, bytes);
    return 0;
}

/* Ops that move float16 activations as they are stored (they read no element as a number),
 * and those that convert or stage them themselves (Conv, Resize, the pools, arithmetic,
 * Sigmoid, SiLU: a block at a time, in float32): the run loop hands them their float16
 * inputs as they are.  Every other op computes in float32 on staged copies. */
static bool f16_passthrough(ExecOpFn fn)
{
    static const ExecOpFn moves[] = {exec_op_identity, exec_op_reshape, exec_op_flatten, exec_op_squeeze,
                                     exec_op_unsqueeze, exec_op_concat, exec_op_split, exec_op_slice, exec_op_shape,
                                     exec_op_transpose, exec_op_resize /* nearest moves them, linear stages */,
                                     exec_op_pool, exec_op_binary, exec_op_sigmoid, exec_op_silu,
                                     exec_op_conv /* reads and writes float16 itself (exec_convrun.c) */};
    for (size_t i = 0; i < ARRAY_LEN(moves); i++)
        if (fn == moves[i]) return true;
    return false;
}

Value *value_staged_f32(Exec *e, Value *v, Value *tmp, char *err, size_t errlen)
{
    if (v->type != VT_F16) return v;
    float *f = stage_take(e, v->numel);
    if (!f) {
        err_set(err, errlen, "too many float16 inputs to stage");
        return NULL;
    }
    convert_f16(e, v->data, f, v->numel, false);
    int t = value_tensor(e, v);
    *tmp = *v;
    tmp->staged_from = t + 1;
    tmp->type = VT_F32;
    tmp->data = f;
    tmp->owned = true; /* an op may not keep a view of it: it copies */
    tmp->where = VW_STAGE;
    tmp->mem = NULL;
    tmp->charged = 0;
    tmp->fshadow = NULL;
    return tmp;
}

bool value_stores_f16(const Exec *e, const Value *v)
{
    int t = value_tensor(e, v);
    return t >= 0 && e->f16_store && e->f16_store[t] && e->cur_node >= 0;
}

/* Point in[k] at a float32 copy of each float16 input, in staging buffers (staged[k] holds
 * the copy's Value).  0 or -1 + message. */
static int stage_inputs(Exec *e, Value **in, int nin, Value *staged, char *err, size_t errlen)
{
    for (int k = 0; k < nin; k++)
        if (in[k] && !(in[k] = value_staged_f32(e, in[k], &staged[k], err, errlen))) return -1;
    return 0;
}

/* Ops worth evaluating once when every input is a constant: the casts, decompressions and
 * dequantizations that int8 and float16 files put between stored weights and the layers
 * that read them. */
static bool foldable_op(OpKind op)
{
    switch (op) {
    case OP_CAST: case OP_DEQUANTIZE_LINEAR: case OP_RESHAPE: case OP_SQUEEZE: case OP_UNSQUEEZE: case OP_FLATTEN:
    case OP_IDENTITY: case OP_MUL: case OP_SUB: case OP_ADD: case OP_DIV: case OP_TRANSPOSE:
        return true;
    default:
        return false;
    }
}

/* Evaluate, once, every node of a foldable op whose inputs are all constants (or folded):
 * its output becomes a constant of the Exec (folded[t]) and the run loop skips the node.
 * A node that fails here is left to fail, with its message, when it runs. */
static void fold_constants(Exec *e)
{
    const Graph *g = e->g;
    e->folded = xcalloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof(bool));
    e->node_folded = xcalloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof(bool));
    Value *inb[64], *outb[1];
    char msg[256];
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        if (!foldable_op(n->op) || n->n_inputs < 1 || n->n_inputs > 64 || n->n_outputs != 1 || n->outputs[0] < 0) continue;
        bool all = true;
        for (int k = 0; k < n->n_inputs && all; k++) {
            int t = n->inputs[k];
            all = t < 0 || (is_const_tensor(e, t) && e->vals[t].ready);
            inb[k] = t >= 0 ? &e->vals[t] : NULL;
        }
        int o = n->outputs[0];
        if (!all || e->pinned[o]) continue;
        outb[0] = &e->vals[o];
        if (e->op_fns[ni](e, n, inb, n->n_inputs, outb, 1, msg, sizeof msg) || !outb[0]->ready) {
            value_clear(outb[0]);
            continue;
        }
        if (outb[0]->type == VT_F32 && outb[0]->owned) round_to_storage(e, outb[0], g->tensors[o].dtype);
        e->folded[o] = true;
        e->node_folded[ni] = true;
    }
}

int exec_set_input(Exec *e, const char *name, const float *data, const int64_t *dims, int rank, char *err,
                   size_t errlen)
{
    const Graph *g = e->g;
    int t = -1;
    for (int i = 0; i < g->n_inputs; i++)
        if (!strcmp(g->tensors[g->inputs[i]].name, name)) t = g->inputs[i];
    if (t < 0) return err_set(err, errlen, "the graph has no input named '%s'", name);
    const Tensor *tt = &g->tensors[t];
    if (rank != tt->rank)
        return err_set(err, errlen, "input '%s' has rank %d, got %d", name, tt->rank, rank);
    for (int i = 0; i < rank; i++)
        if (tt->dims[i] >= 0 && !tt->dim_names[i] && tt->dims[i] != dims[i])
            return err_set(err, errlen, "input '%s' dim %d is %lld in the graph, got %lld", name, i,
                           (long long)tt->dims[i], (long long)dims[i]);
    Value *v = &e->vals[t];
    bool as_int = dtype_is_int(tt->dtype);
    bool same = v->ready && v->owned && v->where == VW_HEAP && v->type == (as_int ? VT_I64 : VT_F32) &&
                v->rank == rank && !memcmp(v->dims, dims, sizeof(int64_t) * (size_t)rank);
    if (same) free(v->fshadow), v->fshadow = NULL; /* the same shape: the buffer is reused */
    else if (value_alloc(e, v, as_int ? VT_I64 : VT_F32, rank, dims, err, errlen)) return -1;
    if (as_int)
        for (int64_t i = 0; i < v->numel; i++) vi(v)[i] = (int64_t)data[i];
    else if (v->numel)
        memcpy(v->data, data, (size_t)v->numel * sizeof(float));
    if (!as_int) round_to_storage(e, v, tt->dtype);
    return 0;
}

static const float *value_as_float(const ExecKernels *kern, Value *v, int64_t *dims, int *rank);

/* Whether the memory plan was made for the inputs as they are now. */
static bool plan_fits_inputs(const Exec *e)
{
    const Graph *g = e->g;
    for (int i = 0; i < g->n_inputs; i++) {
        const Value *v = &e->vals[g->inputs[i]];
        if (v->rank != e->plan_in_rank[i] ||
            memcmp(v->dims, e->plan_in_dims + i * GRAPH_MAX_RANK, sizeof(int64_t) * (size_t)v->rank))
            return false;
    }
    return true;
}

/* A recording run starts: every tensor unknown, the region empty. */
static void record_start(Exec *e)
{
    const Graph *g = e->g;
    int nt = g->n_tensors ? g->n_tensors : 1;
    if (!e->rec) {
        e->rec = xcalloc((size_t)nt, sizeof *e->rec);
        e->plan_off = xmalloc(sizeof(int64_t) * (size_t)nt);
        e->plan_bytes = xmalloc(sizeof(int64_t) * (size_t)nt);
        e->no_consume = xcalloc((size_t)nt, sizeof(bool));
        e->plan_in_dims = xcalloc((size_t)(g->n_inputs ? g->n_inputs : 1) * GRAPH_MAX_RANK, sizeof(int64_t));
        e->plan_in_rank = xcalloc((size_t)(g->n_inputs ? g->n_inputs : 1), sizeof(int));
    }
    for (int t = 0; t < g->n_tensors; t++) {
        e->rec[t].bytes = -1;
        e->rec[t].move_from = -1;
        e->no_consume[t] = false;
    }
    e->n_srec = 0;
    for (int i = 0; i < g->n_inputs; i++) {
        const Value *v = &e->vals[g->inputs[i]];
        e->plan_in_rank[i] = v->rank;
        memcpy(e->plan_in_dims + i * GRAPH_MAX_RANK, v->dims, sizeof(int64_t) * (size_t)v->rank);
    }
    exec_mem_reset(e->mem);
}

/* In a recording run, after node ni: what its outputs hold, and which took over an
 * input's buffer (in_data: the inputs' data before the node ran). */
static void record_outputs(Exec *e, const Node *n, int ni, void *const *in_data)
{
    for (int k = 0; k < n->n_outputs; k++) {
        int t = n->outputs[k];
        if (t < 0 || !e->vals[t].ready || !e->vals[t].owned) continue;
        const Value *v = &e->vals[t];
        MemRec *r = &e->rec[t];
        r->bytes = v->numel * (int64_t)value_esize(v->type);
        r->node = ni;
        r->move_from = -1;
        for (int i = 0; i < n->n_inputs && v->data; i++)
            if (n->inputs[i] >= 0 && in_data[i] == v->data) r->move_from = n->inputs[i];
        r->type = v->type;
        r->rank = v->rank;
        memcpy(r->dims, v->dims, sizeof(int64_t) * (size_t)v->rank);
    }
}

int exec_run(Exec *e, const volatile int *cancel, char *err, size_t errlen)
{
    const Graph *g = e->g;
    for (int i = 0; i < g->n_tensors; i++)
        if (!is_const_tensor(e, i) && !g->tensors[i].is_input) value_clear(&e->vals[i]);
    for (int i = 0; i < g->n_inputs; i++)
        if (!e->vals[g->inputs[i]].ready)
            return err_set(err, errlen, "input '%s' is not set", g->tensors[g->inputs[i]].name);
    if (!e->mem) e->mem = exec_mem_new();
    if (e->planned && !plan_fits_inputs(e)) e->planned = false;
    e->recording = !e->planned && !e->plan_failed;
    if (e->recording) record_start(e);
    else if (e->planned && !exec_mem_ensure(e->mem, e->plan_size)) e->planned = false;
    void *in_data[64];

    if (!e->pool && exec_threads(e) > 1) e->pool = exec_pool_new(exec_threads(e));
    Value *inb[64], *outb[64], staged[64];
    if (e->profile) {
        e->peak_bytes = 0;
        free(e->node_ms);
        e->node_ms = xcalloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof(double));
    }
    char msg[512];
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (cancel && __atomic_load_n((const int *)cancel, __ATOMIC_ACQUIRE)) {
            e->recording = false;
            return err_set(err, errlen, "cancelled");
        }
        const Node *n = &g->nodes[ni];
        if (n->n_inputs > 64 || n->n_outputs > 64) {
            e->recording = false;
            return err_set(err, errlen, "node '%s' (%s) has too many inputs or outputs", n->name, n->op_type);
        }
        if (e->node_folded[ni]) continue; /* evaluated at exec_new */
        int plan = e->fusion ? e->node_plan[ni] : PLAN_RUN;
        if (plan == PLAN_SKIP) continue; /* its only reader is an alias of the fused conv */
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            inb[k] = t >= 0 ? &e->vals[t] : NULL;
            if (t >= 0 && !e->vals[t].ready && plan != PLAN_QCONV && (plan != PLAN_ALIAS || t == e->alias_src[ni])) {
                e->recording = false;
                return err_set(err, errlen, "node '%s' (%s): input '%s' has no value", n->name, n->op_type,
                               g->tensors[t].name);
            }
        }
        for (int k = 0; k < n->n_outputs; k++) {
            int t = n->outputs[k];
            outb[k] = t >= 0 ? &e->vals[t] : NULL;
            if (t >= 0) value_clear(&e->vals[t]);
        }
        msg[0] = 0;
        ExecOpFn fn = e->op_fns[ni];
        if (e->recording)
            for (int k = 0; k < n->n_inputs; k++) in_data[k] = inb[k] ? inb[k]->data : NULL;
        e->cur_node = ni;
        double t0 = e->profile ? now_seconds() : 0;
        int rc;
        if (plan == PLAN_ALIAS) {
            Value *src = &e->vals[e->alias_src[ni]];
            rc = value_forward(e, n, outb[0], src, src->rank, src->dims, msg, sizeof msg);
        } else if (plan == PLAN_QCONV) {
            rc = exec_qconv_run_node(e, ni, msg, sizeof msg);
        } else {
            rc = e->f16_store && !f16_passthrough(fn) ? stage_inputs(e, inb, n->n_inputs, staged, msg, sizeof msg) : 0;
            if (!rc) rc = fn(e, n, inb, n->n_inputs, outb, n->n_outputs, msg, sizeof msg);
        }
        /* float16 tensors computed in float32 are stored as float16: the conversion rounds to
         * nearest even, as round_to_storage below does for values kept in float32 */
        for (int k = 0; k < n->n_outputs && !rc && e->f16_store; k++) {
            int t = n->outputs[k];
            Value *v = t >= 0 ? &e->vals[t] : NULL;
            if (v && v->ready && v->owned && v->type == VT_F32 && (e->f16_store[t] || v->where == VW_STAGE))
                rc = e->f16_store[t] ? store_f16(e, v, t, msg, sizeof msg) : unstage(e, v, t, msg, sizeof msg);
        }
        stage_release(e);
        e->cur_node = -1;
        if (rc) {
            e->recording = false;
            return err_set(err, errlen, "node '%s' (%s): %s", n->name, n->op_type, msg);
        }
        if (e->recording) record_outputs(e, n, ni, in_data);
        if (e->profile) e->node_ms[ni] = (now_seconds() - t0) * 1000.0;
        for (int k = 0; k < n->n_outputs; k++)
            if (outb[k] && !outb[k]->ready) {
                e->recording = false;
                return err_set(err, errlen, "node '%s' (%s): output %d was not produced", n->name, n->op_type, k);
            }
        /* tensors the graph stores as float16/bfloat16 hold only what those types can: round
         * them, so that a half-precision export is checked as a half-precision runtime sees it */
        bool rounded = plan == PLAN_ALIAS || e->conv[ni]; /* by the convolution's epilogue */
        for (int k = 0; k < n->n_outputs && !rounded; k++) {
            int t = n->outputs[k];
            if (t >= 0 && e->vals[t].ready && e->vals[t].owned && e->vals[t].type == VT_F32)
                round_to_storage(e, &e->vals[t], g->tensors[t].dtype);
        }
        if (e->progress) e->progress(e->progress_ctx, ni + 1, g->n_nodes);
        for (int k = 0; k < n->n_outputs && e->observer; k++) {
            int t = n->outputs[k];
            int64_t d[GRAPH_MAX_RANK];
            int r;
            const float *data = t >= 0 ? value_as_float(e->kern, &e->vals[t], d, &r) : NULL;
            if (data) e->observer(e->observer_ctx, t, data, d, r);
        }
        if (e->profile) { /* live activation bytes after this node */
            int64_t live = 0;
            for (int t = 0; t < g->n_tensors; t++) {
                const Value *v = &e->vals[t];
                if (v->ready && v->owned && !is_const_tensor(e, t))
                    live += v->numel * (int64_t)value_esize(v->type);
            }
            if (live > e->peak_bytes) e->peak_bytes = live;
        }
        if (e->keep_all) continue;
        /* free what no later node reads */
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t >= 0 && e->last_use[t] == ni && !e->pinned[t] && !is_const_tensor(e, t) && !g->tensors[t].is_input)
                value_clear(&e->vals[t]);
        }
        for (int k = 0; k < n->n_outputs; k++) {
            int t = n->outputs[k];
            if (t >= 0 && e->last_use[t] < 0 && !e->pinned[t]) value_clear(&e->vals[t]);
        }
    }
    if (e->recording) { /* lay the next runs out */
        e->recording = false;
        exec_mem_plan(e);
    }
    return 0;
}

static const float *value_as_float(const ExecKernels *kern, Value *v, int64_t *dims, int *rank)
{
    if (!v->ready) return NULL;
    if (dims) memcpy(dims, v->dims, sizeof(int64_t) * (size_t)v->rank);
    if (rank) *rank = v->rank;
    if (v->type == VT_F32) return vf(v);
    if (!v->fshadow) {
        v->fshadow = xmalloc((size_t)(v->numel ? v->numel : 1) * sizeof(float));
        if (v->type == VT_F16) kern->f16_to_f32(v->data, v->fshadow, v->numel);
        else
            for (int64_t i = 0; i < v->numel; i++) v->fshadow[i] = (float)value_get(v, i);
    }
    return v->fshadow;
}

const float *exec_output(const Exec *e, int i, int64_t *dims, int *rank)
{
    if (i < 0 || i >= e->g->n_outputs) return NULL;
    return value_as_float(e->kern, &e->vals[e->g->outputs[i]], dims, rank);
}

const float *exec_tensor(const Exec *e, const char *name, int64_t *dims, int *rank)
{
    int t = graph_find_tensor(e->g, name);
    if (t < 0) return NULL;
    return value_as_float(e->kern, &e->vals[t], dims, rank);
}

void exec_set_progress(Exec *e, ExecProgress fn, void *ctx)
{
    e->progress = fn;
    e->progress_ctx = ctx;
}

int exec_tensor_shape(const Exec *e, int t, int64_t *dims, int *rank, bool *is_int)
{
    if (t < 0 || t >= e->g->n_tensors || !e->vals[t].ready) return -1;
    const Value *v = &e->vals[t];
    *rank = v->rank;
    memcpy(dims, v->dims, sizeof(int64_t) * (size_t)v->rank);
    *is_int = v->type == VT_I64;
    return 0;
}

bool value_consumable(const Exec *e, const Node *n, const Value *src)
{
    if (e->keep_all || !src || !src->owned) return false;
    /* a staged copy of a float16 input nobody reads later: the op may write over the copy */
    if (src->where == VW_STAGE && src->staged_from > 0 && value_tensor(e, src) < 0)
        return src->staged_from <= e->g->n_tensors && value_consumable(e, n, &e->vals[src->staged_from - 1]);
    /* only the Exec's own tensor values qualify (ops also pass temporaries) */
    uintptr_t p = (uintptr_t)src, lo = (uintptr_t)e->vals, hi = (uintptr_t)(e->vals + e->g->n_tensors);
    if (p < lo || p >= hi) return false;
    ptrdiff_t t = src - e->vals, ni = n - e->g->nodes;
    if (t < 0 || t >= e->g->n_tensors || ni < 0 || ni >= e->g->n_nodes) return false;
    if (e->pinned[t] || e->last_use[t] != ni || e->g->tensors[t].is_input) return false;
    if (e->folded && e->folded[t]) return false; /* computed once, read by every run */
    if (e->g->tensors[t].producer < 0) return false; /* a constant converted at exec_new (float16, int) */
    if (e->no_consume && e->no_consume[t]) return false; /* the memory plan shares its buffer */
    /* the same tensor twice among this node's inputs: another operand still reads it */
    int uses = 0;
    for (int k = 0; k < n->n_inputs; k++) uses += n->inputs[k] == t;
    return uses == 1;
}

int value_forward(Exec *e, const Node *n, Value *dst, Value *src, int rank, const int64_t *dims, char *err,
                  size_t errlen)
{
    int64_t numel = 1;
    if (rank < 0 || rank > GRAPH_MAX_RANK) return err_set(err, errlen, "rank %d is out of range", rank);
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return err_set(err, errlen, "negative dimension %lld", (long long)dims[i]);
        if (dims[i] && numel > EXEC_MAX_ELEMS / dims[i]) return err_set(err, errlen, "tensor too large");
        numel *= dims[i];
    }
    if (numel != src->numel)
        return err_set(err, errlen, "cannot give %lld elements a shape of %lld", (long long)src->numel,
                       (long long)numel);
    if (dst == src) { /* same tensor in and out cannot happen in a valid graph */
        return err_set(err, errlen, "output is its own input");
    }
    if (value_consumable(e, n, src)) {
        value_clear(dst);
        dst->type = src->type;
        dst->data = src->data;
        dst->charged = src->charged;
        dst->owned = true;
        dst->ready = true;
        dst->where = src->where;
        dst->mem = src->mem;
        dst->mem_off = src->mem_off;
        dst->mem_bytes = src->mem_bytes;
        dst->numel = numel;
        dst->rank = rank;
        memcpy(dst->dims, dims, sizeof(int64_t) * (size_t)rank);
        src->data = NULL;
        src->charged = 0;
        src->owned = false;
        src->ready = false; /* freed by the run loop's last-use pass: nothing left to free */
        src->where = VW_HEAP;
        src->mem = NULL;
        return 0;
    }
    if (!src->owned) { /* a constant: lives as long as the Exec, so a view will do */
        value_clear(dst);
        *dst = *src;
        dst->fshadow = NULL;
        dst->charged = 0;
        dst->rank = rank;
        memcpy(dst->dims, dims, sizeof(int64_t) * (size_t)rank);
        return 0;
    }
    return value_copy_reshaped(e, dst, src, rank, dims, err, errlen);
}

/* ---- one node on constants (constant folding) ------------------------------------------ */

void exec_value_free(ExecValue *v)
{
    free(v->data);
    memset(v, 0, sizeof *v);
}

int exec_eval_node(const Graph *g, int node, ExecValue *out, int max_out, int64_t max_elems, char *err,
                   size_t errlen)
{
    if (!g || node < 0 || node >= g->n_nodes) return err_set(err, errlen, "no such node");
    const Node *n = &g->nodes[node];
    const ExecOpDef *def = (unsigned)n->op < OP_COUNT ? &exec_op_defs[n->op] : NULL;
    if (!def || !def->fn || (n->domain && *n->domain && strcmp(n->domain, "ai.onnx")))
        return err_set(err, errlen, "node '%s': op %s is not supported by the executor", n->name, node_op_name(n));
    if (n->n_inputs < def->min_in || n->n_inputs > def->max_in || n->n_outputs < def->min_out ||
        n->n_outputs > def->max_out || n->n_outputs > max_out)
        return err_set(err, errlen, "node '%s' (%s) has %d inputs and %d outputs", n->name, node_op_name(n),
                       n->n_inputs, n->n_outputs);
    Exec e = {.g = g, .keep_all = true, .opset = g->meta.opset, .cur_node = -1, .kern = exec_kernels(EXEC_ISA_AVX512)};
    e.max_elems = max_elems > 0 && max_elems < EXEC_MAX_ELEMS ? max_elems : EXEC_MAX_ELEMS;
    e.vals = xcalloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof *e.vals);
    Value *inb[64], outv[64], *outb[64];
    memset(outv, 0, sizeof outv);
    int rc = 0;
    for (int k = 0; k < n->n_inputs && !rc; k++) {
        int t = n->inputs[k];
        inb[k] = NULL;
        if (t < 0) continue;
        const Tensor *tt = &g->tensors[t];
        if (tt->producer >= 0 || tt->is_input || !tt->data)
            rc = err_set(err, errlen, "node '%s' (%s): input '%s' is not a constant", n->name, node_op_name(n), tt->name);
        else if (!e.vals[t].ready)
            rc = prepare_const(NULL, &e.vals[t], tt, err, errlen);
        inb[k] = &e.vals[t];
    }
    for (int a = 0; a < n->n_attrs && !rc; a++) { /* Constant / ConstantOfShape values */
        int t = n->attrs[a].type == ATTR_TENSOR ? n->attrs[a].tensor : -1;
        if (t >= 0 && t < g->n_tensors && g->tensors[t].data && !e.vals[t].ready)
            rc = prepare_const(NULL, &e.vals[t], &g->tensors[t], err, errlen);
    }
    for (int k = 0; k < n->n_outputs; k++) outb[k] = n->outputs[k] >= 0 ? &outv[k] : NULL;
    char msg[512] = "";
    if (!rc && def->fn(&e, n, inb, n->n_inputs, outb, n->n_outputs, msg, sizeof msg))
        rc = err_set(err, errlen, "node '%s' (%s): %s", n->name, node_op_name(n), msg);
    for (int k = 0; k < n->n_outputs && !rc; k++)
        if (outb[k] && !outb[k]->ready)
            rc = err_set(err, errlen, "node '%s' (%s): output %d was not produced", n->name, node_op_name(n), k);
    for (int k = 0; k < n->n_outputs; k++) {
        memset(&out[k], 0, sizeof out[k]);
        Value *v = outb[k];
        if (rc || !v) continue;
        size_t es = v->type == VT_F32 ? sizeof(float) : sizeof(int64_t);
        out[k].is_int = v->type == VT_I64;
        out[k].rank = v->rank;
        memcpy(out[k].dims, v->dims, sizeof(int64_t) * (size_t)v->rank);
        out[k].numel = v->numel;
        out[k].data = xmalloc((size_t)(v->numel ? v->numel : 1) * es);
        if (v->numel) memcpy(out[k].data, v->data, (size_t)v->numel * es);
    }
    for (int k = 0; k < n->n_outputs; k++) value_clear(&outv[k]);
    for (int i = 0; i < g->n_tensors; i++) value_clear(&e.vals[i]);
    free(e.vals);
    free(e.scratch);
    membudget_give(e.scratch_len * sizeof(float));
    free(e.pad);
    free(e.tab);
    free(e.wino);
    for (int i = 0; i < e.n_wscr; i++) free(e.wscr[i]);
    free(e.wscr);
    free(e.wscr_len);
    if (rc)
        for (int k = 0; k < n->n_outputs; k++) exec_value_free(&out[k]);
    return rc;
}

void exec_set_profile(Exec *e, int on) { e->profile = on != 0; }

static int optime_cmp(const void *a, const void *b)
{
    const ExecOpTime *x = a, *y = b;
    return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : 0;
}

int exec_profile(const Exec *e, ExecOpTime *out, int max)
{
    if (!e->node_ms) return 0;
    ExecOpTime *all = xcalloc((size_t)(e->g->n_nodes ? e->g->n_nodes : 1), sizeof *all);
    int n = 0;
    for (int ni = 0; ni < e->g->n_nodes; ni++) {
        const char *type = e->g->nodes[ni].op_type ? e->g->nodes[ni].op_type : "?";
        int k = 0;
        while (k < n && strcmp(all[k].op_type, type)) k++;
        if (k == n) all[n++].op_type = type;
        all[k].ms += e->node_ms[ni];
        all[k].nodes++;
    }
    qsort(all, (size_t)n, sizeof *all, optime_cmp);
    int cnt = n < max ? n : max;
    memcpy(out, all, sizeof *all * (size_t)(cnt > 0 ? cnt : 0));
    free(all);
    return cnt;
}

int exec_node_info(const Exec *e, int node, ExecNodeInfo *out)
{
    if (!e || node < 0 || node >= e->g->n_nodes) return -1;
    const Node *n = &e->g->nodes[node];
    memset(out, 0, sizeof *out);
    out->name = n->name ? n->name : "";
    out->op = node_op_name(n);
    const ConvPlan *p = e->conv ? e->conv[node] : NULL;
    if (e->fusion && e->qconv && e->qconv[node]) {
        qconv_describe(e->qconv[node], out->path, sizeof out->path, &out->macs);
    } else if (p) {
        bool ref = p->last_path == CONV_PATH_REFERENCE;
        snprintf(out->path, sizeof out->path, "%s%s%s", conv_path_name(p->last_path), ref ? "" : " ",
                 ref ? "" : p->kern->name);
        out->macs = p->last_macs;
    } else if (e->fusion && e->node_plan && (e->node_plan[node] == PLAN_ALIAS || e->node_plan[node] == PLAN_SKIP)) {
        snprintf(out->path, sizeof out->path, "fused");
    } else if (n->op == OP_CONV) {
        snprintf(out->path, sizeof out->path, "%s", conv_path_name(CONV_PATH_REFERENCE));
    }
    out->ms = e->node_ms ? e->node_ms[node] : 0;
    return 0;
}

int64_t exec_activation_bytes(const Exec *e) { return e->planned ? (int64_t)e->plan_size : e->peak_bytes; }

int64_t exec_peak_bytes(const Exec *e)
{
    int64_t scratch = (int64_t)(e->pad_len + e->scratch_len + e->wino_len) * (int64_t)sizeof(float) + (int64_t)e->tab_len;
    for (int i = 0; i < e->n_wscr; i++) scratch += (int64_t)e->wscr_len[i] * (int64_t)sizeof(float);
    for (int i = 0; i < e->n_stage; i++) scratch += (int64_t)e->stage_len[i] * (int64_t)sizeof(float);
    int64_t act = e->planned ? (int64_t)e->plan_size : e->peak_bytes;
    return act + scratch;
}
