/* tflite_int8: the TF Lite writer's integer files -- the float model formats/tflite_write.c
 * built, rewritten with TF Lite's int8 operators under its quantisation rules (activation
 * ranges from the caller's calibration, int8 filters per output channel, int32 biases), the
 * operators with no int8 form here left in float between DEQUANTIZE and QUANTIZE.  See
 * formats/tflite.h (TFLITE_INT8_INTEGER, TFLITE_INT8_FULL). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/tflite_schema.h"
#include "formats/tflite_write_int.h"

void tflite_act_params(float lo, float hi, float *scale, int64_t *zero)
{
    if (lo > 0) lo = 0;
    if (hi < 0) hi = 0;
    float s = (hi - lo) / 255.0f;
    if (!(s > 0)) s = 1.0f;
    double z = -128.0 - round((double)lo / s);
    *scale = s;
    *zero = z < -128 ? -128 : z > 127 ? 127 : (int64_t)z;
}

/* An int8 tensor named name holding the range of float tensor ti. */
static int int8_twin(Tl *t, int ti, const char *name, float lo, float hi)
{
    int64_t d[GRAPH_MAX_RANK];
    tl_dims_of(t, ti, d);
    float sc;
    int64_t zp;
    tflite_act_params(lo, hi, &sc, &zp);
    int q = tl_new_out(t, name, 9, tl_tens(t, ti)->rank, d);
    return tl_set_quant(t, q, 1, 0, &sc, &zp);
}

/* How an operator runs on int8 tensors, TF Lite's quantisation rules: CONV (int8 input and
 * per-channel int8 filter, int32 bias at the input's scale times the filter's), TCONV
 * (TRANSPOSE_CONV: int8 input, per-channel int8 filter, no bias), FREE (any
 * scales in and out), FIXED (the output's scale is 1/256 with zero point -128: LOGISTIC,
 * SOFTMAX), SAME (the values only move: the output keeps the input's scale; CONCATENATION's
 * inputs all carry the output's).  NONE: computed in float between DEQUANTIZE and QUANTIZE. */
typedef enum { Q8_NONE, Q8_CONV, Q8_TCONV, Q8_FREE, Q8_FIXED, Q8_SAME } Q8Kind;

static Q8Kind q8_kind(int32_t code)
{
    switch (code) {
    case TFL_CONV_2D: case TFL_DEPTHWISE_CONV_2D: return Q8_CONV;
    case TFL_TRANSPOSE_CONV: return Q8_TCONV;
    case TFL_ADD: case TFL_SUB: case TFL_MUL: return Q8_FREE;
    case TFL_LOGISTIC: case TFL_SOFTMAX: return Q8_FIXED;
    case TFL_CONCATENATION: case TFL_MAX_POOL_2D: case TFL_RESIZE_NEAREST_NEIGHBOR: case TFL_PAD: case TFL_RESHAPE:
    case TFL_SPLIT: case TFL_SPLIT_V: case TFL_TRANSPOSE: case TFL_STRIDED_SLICE:
        return Q8_SAME;
    default: return Q8_NONE;
    }
}

typedef struct {
    Tl *t;
    size_t nt;       /* tensors before the pass: the float graph's */
    float *rlo, *rhi;
    bool *have;      /* a calibrated range */
    int *qv;         /* the int8 form of a float tensor (-1: none yet) */
    bool *fv;        /* the float tensor is computed (by its operator, or a DEQUANTIZE) */
    bool *weight;    /* a learned weight whose DEQUANTIZE waits until a float operator reads it */
    bool *named;     /* the int8 form took the float tensor's name */
} Q8;

static bool same_quant(const TlTensor *a, const TlTensor *b)
{
    return a->n_q == 1 && b->n_q == 1 && a->qscale[0] == b->qscale[0] && a->qzero[0] == b->qzero[0];
}

/* The float form of x for a float operator: a DEQUANTIZE of its int8 form the first time (a
 * learned weight: float32 constant values, which every TF Lite reader takes as a filter). */
static int q8_float(Q8 *s, int x)
{
    Tl *t = s->t;
    if (x < 0 || (size_t)x >= s->nt || s->fv[x] || s->qv[x] < 0 || tl_tens(t, x)->buffer) return x;
    int q = s->qv[x];
    s->fv[x] = true;
    if (s->weight[x]) { /* a float operator's weight: float32 constant values, as DEQUANTIZE gives them */
        const TlTensor *qt = tl_tens(t, q);
        const int8_t *v = ((const TlBuffer *)t->buffers.items)[qt->buffer].data;
        int64_t n = 1, inner = 1;
        for (int k = 0; k < qt->rank; k++) n *= qt->shape[k];
        for (int k = qt->qdim + 1; qt->n_q > 1 && k < qt->rank; k++) inner *= qt->shape[k];
        float *f = tl_own(t, xmalloc(sizeof(float) * (size_t)(n ? n : 1)));
        for (int64_t i = 0; i < n; i++) {
            int c = qt->n_q > 1 ? (int)((i / inner) % qt->n_q) : 0;
            f[i] = qt->qscale[c] * (float)(v[i] - qt->qzero[c]);
        }
        tl_tens(t, x)->buffer = tl_add_buffer(t, f, sizeof(float) * (size_t)n);
        return x;
    }
    if (s->named[x]) tl_tens(t, x)->name = arena_printf(t->arena, "%s/dequantize", tl_tens(t, q)->name);
    tl_add_op(t, TFL_DEQUANTIZE, &q, 1, &x, 1);
    return x;
}

/* The int8 form of x for an int8 operator: a QUANTIZE of the float form at its calibrated
 * range the first time. */
static int q8_int(Q8 *s, int x)
{
    Tl *t = s->t;
    if (s->qv[x] >= 0) return s->qv[x];
    int q = int8_twin(t, x, arena_printf(t->arena, "%s/int8", tl_tens(t, x)->name), s->rlo[x], s->rhi[x]);
    tl_add_op(t, TFL_QUANTIZE, &x, 1, &q, 1);
    s->qv[x] = q;
    return q;
}

/* A data input of an int8 operator: a float activation (not a constant, not a weight). */
static bool q8_data(Q8 *s, int x)
{
    return x >= 0 && (size_t)x < s->nt && tl_tens(s->t, x)->type == 0 && !tl_tens(s->t, x)->buffer && !s->weight[x];
}

/* Whether op can run on int8 tensors here: its kind, ranges for its inputs and outputs, and
 * for a convolution an int8 filter per output channel on the axis TF Lite reads and a float
 * bias (a transposed convolution: the filter alone). */
static bool q8_can(Q8 *s, const TlOp *op, int32_t code)
{
    Tl *t = s->t;
    Q8Kind k = q8_kind(code);
    if (k == Q8_NONE) return false;
    int n_data = 0;
    for (int i = 0; i < op->n_in; i++) {
        int x = op->in[i];
        if ((k == Q8_CONV && i > 0) || (k == Q8_TCONV && i == 1)) continue; /* the filter (and bias) */
        if (x < 0 || (size_t)x >= s->nt) return false;
        if (q8_data(s, x)) {
            if (s->qv[x] < 0 && (!s->have[x] || k == Q8_SAME)) return false; /* values only moved stay as they are */
            n_data++;
        } else if (tl_tens(t, x)->type == 0 && (k != Q8_FREE || s->weight[x] || !tl_tens(t, x)->buffer)) {
            return false; /* a float weight or computed tensor: the operator stays float */
        }
    }
    if (n_data == 0) return false;
    for (int i = 0; i < op->n_out; i++) {
        int o = op->out[i];
        if (o < 0 || (size_t)o >= s->nt || tl_tens(t, o)->type != 0) return false;
        if ((k == Q8_CONV || k == Q8_TCONV || k == Q8_FREE || code == TFL_CONCATENATION) && !s->have[o]) return false;
    }
    if (k == Q8_CONV) {
        if (op->n_in != 3 || op->n_out != 1) return false;
        int f = op->in[1], b = op->in[2];
        if (f < 0 || (size_t)f >= s->nt || !s->weight[f] || b < 0 || (size_t)b >= s->nt) return false;
        const TlTensor *fq = tl_tens(t, s->qv[f]), *bt = tl_tens(t, b), *y = tl_tens(t, op->out[0]);
        int64_t cout = y->shape[3];
        bool dw = code == TFL_DEPTHWISE_CONV_2D;
        if (fq->n_q != cout || fq->qdim != (dw ? 3 : 0) || fq->rank != 4) return false;
        if (bt->type != 0 || !bt->buffer || bt->rank != 1 || bt->shape[0] != cout) return false;
    }
    if (k == Q8_TCONV) { /* output shape, filter [Cout, kh, kw, Cin] int8 per output channel, input; no bias */
        if (op->n_in != 3 || op->n_out != 1) return false;
        int f = op->in[1];
        if (f < 0 || (size_t)f >= s->nt || !s->weight[f]) return false;
        const TlTensor *fq = tl_tens(t, s->qv[f]), *y = tl_tens(t, op->out[0]);
        if (fq->n_q != y->shape[3] || fq->qdim != 0 || fq->rank != 4) return false;
    }
    return true;
}

/* The int32 bias of an int8 convolution: the float bias b at scale in_scale * filter scale[c]. */
static int q8_bias(Q8 *s, int b, float in_scale, const TlTensor *fq)
{
    Tl *t = s->t;
    const TlTensor *bt = tl_tens(t, b);
    const float *bv = ((const TlBuffer *)t->buffers.items)[bt->buffer].data;
    int n = bt->shape[0];
    int32_t *q = tl_own(t, xmalloc(sizeof(int32_t) * (size_t)(n ? n : 1)));
    float *sc = xmalloc(sizeof(float) * (size_t)(n ? n : 1));
    int64_t *zp = xcalloc((size_t)(n ? n : 1), sizeof(int64_t));
    for (int c = 0; c < n; c++) {
        sc[c] = in_scale * fq->qscale[c];
        double v = round((double)bv[c] / sc[c]);
        q[c] = (int32_t)(v > INT32_MAX ? INT32_MAX : v < -INT32_MAX ? -INT32_MAX : v);
    }
    int64_t dim = n;
    int qb = tl_add_tensor(t, arena_printf(t->arena, "%s_int32", bt->name), 2, 1, &dim, tl_add_buffer(t, q, sizeof(int32_t) * (size_t)n));
    tl_set_quant(t, qb, n, 0, sc, zp);
    free(sc);
    free(zp);
    return qb;
}

/* A float constant read by an int8 ADD, SUB or MUL: int8 at its own range (cached by tensor). */
static int q8_const(Q8 *s, int c)
{
    Tl *t = s->t;
    if (s->qv[c] >= 0) return s->qv[c];
    const TlTensor *ct = tl_tens(t, c);
    const TlBuffer *b = &((const TlBuffer *)t->buffers.items)[ct->buffer];
    size_t n = b->nbytes / sizeof(float);
    const float *v = b->data;
    float lo = 0, hi = 0, sc;
    int64_t zp;
    for (size_t i = 0; i < n; i++) lo = fminf(lo, v[i]), hi = fmaxf(hi, v[i]);
    tflite_act_params(lo, hi, &sc, &zp);
    int8_t *q = tl_own(t, xmalloc(n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        double r = round((double)v[i] / sc) + (double)zp;
        q[i] = (int8_t)(r > 127 ? 127 : r < -128 ? -128 : r);
    }
    int64_t d[GRAPH_MAX_RANK];
    tl_dims_of(t, c, d);
    int qc = tl_add_tensor(t, arena_printf(t->arena, "%s_int8", ct->name), 9, ct->rank, d, tl_add_buffer(t, q, n));
    tl_set_quant(t, qc, 1, 0, &sc, &zp);
    s->qv[c] = qc;
    return qc;
}

/* An int8 tensor for output o of an int8 operator, with the given scale and zero point; it
 * takes o's name (o, if a float operator reads it later, becomes its DEQUANTIZE). */
static int q8_out(Q8 *s, int o, float scale, int64_t zero)
{
    Tl *t = s->t;
    int64_t d[GRAPH_MAX_RANK];
    tl_dims_of(t, o, d);
    int q = tl_new_out(t, tl_tens(t, o)->name, 9, tl_tens(t, o)->rank, d);
    tl_set_quant(t, q, 1, 0, &scale, &zero);
    s->qv[o] = q;
    s->named[o] = true;
    return q;
}

/* op (a copy, its inputs and outputs rewritten) as an int8 operator. */
static void q8_emit(Q8 *s, TlOp op, int32_t code)
{
    Tl *t = s->t;
    Q8Kind k = q8_kind(code);
    int first = -1;
    int *ins = arena_alloc(t->arena, sizeof(int) * (size_t)op.n_in);
    memcpy(ins, op.in, sizeof(int) * (size_t)op.n_in);
    op.in = ins;
    for (int i = 0; i < op.n_in; i++) {
        if ((k == Q8_CONV && i > 0) || (k == Q8_TCONV && i == 1)) continue;
        if (k == Q8_FREE && op.in[i] >= 0 && tl_tens(t, op.in[i])->type == 0 && tl_tens(t, op.in[i])->buffer) {
            op.in[i] = q8_const(s, op.in[i]);
            continue;
        }
        if (!q8_data(s, op.in[i])) continue;
        op.in[i] = q8_int(s, op.in[i]);
        if (first < 0) first = op.in[i];
    }
    const TlTensor *in0 = tl_tens(t, first);
    float isc = in0->qscale[0];
    int64_t izp = in0->qzero[0];
    if (k == Q8_CONV) {
        const TlTensor *fq = tl_tens(t, s->qv[op.in[1]]);
        int fqi = s->qv[op.in[1]];
        op.in[2] = q8_bias(s, op.in[2], isc, fq);
        op.in[1] = fqi;
    }
    if (k == Q8_TCONV) op.in[1] = s->qv[op.in[1]];
    float osc;
    int64_t ozp;
    if (k == Q8_FIXED) {
        osc = 1.0f / 256.0f, ozp = -128;
    } else if (k == Q8_SAME && code != TFL_CONCATENATION) {
        osc = isc, ozp = izp;
    } else {
        tflite_act_params(s->rlo[op.out[0]], s->rhi[op.out[0]], &osc, &ozp);
    }
    int *outs = arena_alloc(t->arena, sizeof(int) * (size_t)op.n_out);
    for (int i = 0; i < op.n_out; i++) outs[i] = q8_out(s, op.out[i], osc, ozp);
    if (code == TFL_CONCATENATION) { /* every input at the output's scale */
        int ot = outs[0]; /* an index: a requantised input's new tensor moves the table */
        for (int i = 0; i < op.n_in; i++) {
            if (ins[i] < 0 || tl_tens(t, ins[i])->type != 9 || same_quant(tl_tens(t, ins[i]), tl_tens(t, ot))) continue;
            int64_t d[GRAPH_MAX_RANK];
            tl_dims_of(t, ins[i], d);
            int r = tl_new_out(t, arena_printf(t->arena, "%s/requantize", tl_tens(t, ins[i])->name), 9, tl_tens(t, ins[i])->rank, d);
            tl_set_quant(t, r, 1, 0, &osc, &ozp);
            tl_add_op(t, TFL_QUANTIZE, &ins[i], 1, &r, 1);
            ins[i] = r;
        }
    }
    op.out = outs;
    op.opcode = tl_opcode_index(t, code, k == Q8_CONV ? 3 : code == TFL_RESHAPE ? 1 : 2); /* TF Lite's versions for int8 */
    vec_push(&t->ops, sizeof op, &op);
}

/* Drops the tensors no operator, input or output names, and the buffers only they held. */
static void q8_prune(Tl *t, int *outs, int n_outs)
{
    size_t nt = t->tensors.len, nb = t->buffers.len;
    bool *used = xcalloc(nt ? nt : 1, sizeof(bool)), *bused = xcalloc(nb ? nb : 1, sizeof(bool));
    int *map = xmalloc(sizeof(int) * (nt ? nt : 1)), *bmap = xmalloc(sizeof(int) * (nb ? nb : 1));
    TlOp *ops = t->ops.items;
    for (size_t i = 0; i < t->ops.len; i++) {
        for (int k = 0; k < ops[i].n_in; k++)
            if (ops[i].in[k] >= 0) used[ops[i].in[k]] = true;
        for (int k = 0; k < ops[i].n_out; k++) used[ops[i].out[k]] = true;
    }
    for (int k = 0; k < n_outs; k++) used[outs[k]] = true;
    used[t->input_tensor] = true;
    TlTensor *ts = t->tensors.items;
    size_t n = 0;
    for (size_t i = 0; i < nt; i++) {
        map[i] = used[i] ? (int)n : -1;
        if (used[i]) bused[ts[i].buffer] = true, ts[n++] = ts[i];
    }
    t->tensors.len = n;
    bused[0] = true;
    TlBuffer *bs = t->buffers.items;
    size_t m = 0;
    for (size_t i = 0; i < nb; i++) {
        bmap[i] = bused[i] ? (int)m : 0;
        if (bused[i]) bs[m++] = bs[i];
    }
    t->buffers.len = m;
    for (size_t i = 0; i < n; i++) ts[i].buffer = bmap[ts[i].buffer];
    for (size_t i = 0; i < t->ops.len; i++) {
        for (int k = 0; k < ops[i].n_in; k++)
            if (ops[i].in[k] >= 0) ops[i].in[k] = map[ops[i].in[k]];
        for (int k = 0; k < ops[i].n_out; k++) ops[i].out[k] = map[ops[i].out[k]];
    }
    for (int k = 0; k < n_outs; k++) outs[k] = map[outs[k]];
    t->input_tensor = map[t->input_tensor];
    free(used), free(bused), free(map), free(bmap);
}

/* The builtin code of op (read each time: adding an operator code moves the table). */
static int32_t op_code(const Tl *t, const TlOp *op) { return ((const TlOpcode *)t->opcodes.items)[op->opcode].code; }

/* INTEGER and FULL: every operator TF Lite computes on int8 tensors and whose activations
 * act_range names becomes an int8 operator (int8 weights, int32 biases); the others compute
 * in float, a DEQUANTIZE before them and a QUANTIZE after where an int8 operator reads them.
 * INTEGER keeps a float input and outputs; FULL's input is int8 (its float form a DEQUANTIZE)
 * and its outputs int8 (their ranges from act_range).  The operator list is rebuilt in order. */
int tflite_lower_int8(Tl *t, int *outs, int n_outs)
{
    bool full = t->opt->int8 == TFLITE_INT8_FULL;
    if (!t->opt->act_range) return tl_fail(t, "integer quantisation without activation ranges");
    size_t nt = t->tensors.len;
    Q8 s = {.t = t, .nt = nt};
    s.rlo = xmalloc(sizeof(float) * nt), s.rhi = xmalloc(sizeof(float) * nt);
    s.have = xcalloc(nt, sizeof(bool)), s.fv = xcalloc(nt, sizeof(bool)), s.weight = xcalloc(nt, sizeof(bool));
    s.named = xcalloc(nt, sizeof(bool));
    s.qv = xmalloc(sizeof(int) * nt);
    bool *fixed = xcalloc(nt, sizeof(bool));
    TlOp *ops0 = t->ops.items;
    for (size_t i = 0; i < nt; i++) {
        s.qv[i] = -1;
        s.have[i] = !tl_tens(t, (int)i)->buffer && tl_tens(t, (int)i)->type == 0 &&
                    t->opt->act_range(t->opt->act_user, tl_tens(t, (int)i)->name, &s.rlo[i], &s.rhi[i]) == 0;
    }
    /* ranges: CONCATENATION's inputs and output share one (the union); the ops that only move
     * values give their outputs their input's */
    for (size_t i = 0; i < t->ops.len; i++) {
        const TlOp *op = &ops0[i];
        if (op_code(t, op) != TFL_CONCATENATION || !s.have[op->out[0]]) continue;
        float lo = s.rlo[op->out[0]], hi = s.rhi[op->out[0]];
        for (int k = 0; k < op->n_in; k++)
            if (op->in[k] >= 0 && s.have[op->in[k]]) lo = fminf(lo, s.rlo[op->in[k]]), hi = fmaxf(hi, s.rhi[op->in[k]]);
        for (int k = 0; k < op->n_in; k++)
            if (op->in[k] >= 0 && s.have[op->in[k]]) s.rlo[op->in[k]] = lo, s.rhi[op->in[k]] = hi, fixed[op->in[k]] = true;
        s.rlo[op->out[0]] = lo, s.rhi[op->out[0]] = hi;
        fixed[op->out[0]] = true;
    }
    for (size_t i = 0; i < t->ops.len; i++) {
        const TlOp *op = &ops0[i];
        int32_t code = op_code(t, op);
        int src = op->n_in > 0 ? op->in[code == TFL_SPLIT ? 1 : 0] : -1;
        if (code == TFL_DEQUANTIZE && op->n_in == 1 && src >= 0 && tl_tens(t, src)->buffer && tl_tens(t, src)->type == 9) {
            s.weight[op->out[0]] = true; /* a learned int8 weight */
            s.qv[op->out[0]] = src;
        }
        for (int k = 0; k < op->n_out; k++) {
            int o = op->out[k];
            if (!s.have[o]) continue;
            if (code == TFL_LOGISTIC || code == TFL_SOFTMAX) s.rlo[o] = 0.0f, s.rhi[o] = 255.0f / 256.0f;
            else if (q8_kind(code) == Q8_SAME && code != TFL_CONCATENATION && src >= 0 && s.have[src] && !fixed[o])
                s.rlo[o] = s.rlo[src], s.rhi[o] = s.rhi[src];
        }
    }
    Vec old = t->ops;
    memset(&t->ops, 0, sizeof t->ops);
    int in = t->input_tensor, rc = 0;
    const char *in_name = tl_tens(t, in)->name;
    if (!s.have[in]) {
        rc = tl_fail(t, "the input %s has no calibrated range", in_name);
    } else if (full) {
        int q = int8_twin(t, in, in_name, s.rlo[in], s.rhi[in]);
        s.qv[in] = q;
        s.named[in] = true;
        t->input_tensor = q;
    } else {
        s.fv[in] = true;
    }
    TlOp *ops = old.items;
    for (size_t i = 0; i < old.len && !rc; i++) {
        TlOp op = ops[i];
        int32_t code = op_code(t, &op);
        if (code == TFL_DEQUANTIZE && op.n_out == 1 && s.weight[op.out[0]]) continue; /* when a float operator reads it */
        if (q8_can(&s, &op, code)) {
            q8_emit(&s, op, code);
            continue;
        }
        int *ins = arena_alloc(t->arena, sizeof(int) * (size_t)(op.n_in ? op.n_in : 1));
        for (int k = 0; k < op.n_in; k++) ins[k] = q8_float(&s, op.in[k]);
        op.in = ins;
        vec_push(&t->ops, sizeof op, &op);
        for (int k = 0; k < op.n_out; k++)
            if (op.out[k] >= 0 && (size_t)op.out[k] < nt) s.fv[op.out[k]] = true;
    }
    for (int k = 0; k < n_outs && !rc; k++) {
        int o = outs[k];
        const char *nm = s.named[o] && s.qv[o] >= 0 ? tl_tens(t, s.qv[o])->name : tl_tens(t, o)->name;
        if (!full) {
            q8_float(&s, o);
            tl_tens(t, o)->name = nm;
            if (s.qv[o] >= 0) tl_tens(t, s.qv[o])->name = arena_printf(t->arena, "%s/int8", nm);
            continue;
        }
        if (s.qv[o] < 0) {
            if (!s.have[o]) {
                rc = tl_fail(t, "the output %s has no calibrated range", nm);
                break;
            }
            q8_int(&s, o);
        }
        tl_tens(t, s.qv[o])->name = nm;
        tl_tens(t, o)->name = arena_printf(t->arena, "%s/float", nm);
        outs[k] = s.qv[o];
    }
    if (!rc) q8_prune(t, outs, n_outs);
    vec_free(&old);
    free(s.rlo), free(s.rhi), free(s.have), free(s.fv), free(s.weight), free(s.named), free(s.qv), free(fixed);
    return rc;
}

