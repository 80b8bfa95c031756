/* openvino_emit: one emitter per IR op (or family) for the OpenVINO writer — each turns a
 * Graph node into opset layers on the W under construction (openvino_write_impl.h). */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/openvino_write_impl.h"

/* ---- emitters: one per IR op (or family) ---------------------------------------------- */

typedef struct OpMap OpMap;
typedef int (*EmitFn)(W *w, const Node *n, const OpMap *m);
struct OpMap {
    OpWriteSupport support;
    EmitFn fn;
    const char *type;    /* OpenVINO type for the simple emitters */
    const char *version;
    int flags;           /* arity (ARITY_MASK) and the flags below */
    const char *data;    /* fixed <data> attributes for the simple emitter: "key=value;..." */
};
enum { ARITY_MASK = 7, BROADCAST = 8, RAW_INPUTS = 16 /* never float16-compress its constant inputs */ };

static int need_inputs(W *w, const Node *n, int lo, int hi)
{
    int c = n->n_inputs;
    while (c > 0 && n->inputs[c - 1] < 0) c--;
    if (c < lo || c > hi) return ovw_fail(w, n, "has %d inputs (expected %d to %d)", c, lo, hi);
    for (int i = 0; i < c; i++)
        if (n->inputs[i] < 0 && i < lo) return ovw_fail(w, n, "input %d is missing", i);
    if (n->n_outputs < 1 || n->outputs[0] < 0) return ovw_fail(w, n, "has no output");
    return 0;
}

/* Unary and binary elementwise ops (and anything else with inputs in order, one output). */
/* Inputs in order, one output, fixed attributes (elementwise ops and the like). */
static int emit_simple(W *w, const Node *n, const OpMap *m)
{
    int arity = m->flags & ARITY_MASK;
    if (need_inputs(w, n, arity, arity)) return -1;
    int L = ovw_w_layer(w, n->name, m->type, m->version);
    if (m->flags & BROADCAST) ovw_w_attr(w, L, "auto_broadcast", "numpy");
    for (const char *d = m->data; d && *d;) {
        const char *eq = strchr(d, '='), *semi = strchr(d, ';');
        if (!semi) semi = d + strlen(d);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(eq - d), d);
        ovw_w_attr(w, L, key, "%.*s", (int)(semi - eq - 1), eq + 1);
        d = *semi ? semi + 1 : semi;
    }
    DType yt = ovw_T(w, n->outputs[0])->dtype;
    if (!strcmp(m->type, "Divide") && yt != DT_UNDEFINED && !ovw_dtype_is_floaty(yt)) ovw_w_attr(w, L, "m_pythondiv", "true");
    for (int i = 0; i < arity; i++)
        if (ovw_w_in_tensor(w, L, n, n->inputs[i], !(m->flags & RAW_INPUTS))) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_alias(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    Src s;
    if (ovw_w_src(w, n, n->inputs[0], true, &s)) return -1;
    w->tsrc[n->outputs[0]] = s;
    ovw_w_port_add_name(w, s, ovw_T(w, n->outputs[0])->name);
    return 0;
}

static int emit_constant(W *w, const Node *n, const OpMap *m)
{
    if (n->n_outputs < 1 || n->outputs[0] < 0) return ovw_fail(w, n, "has no output");
    const Tensor *c = ovw_const_tensor(w->g, n->outputs[0]);
    const Tensor *o = ovw_T(w, n->outputs[0]);
    const Attr *a;
    if (c) {
        if (!openvino_element_type(c->dtype)) return ovw_fail(w, n, "value has type %s", dtype_name(c->dtype));
        int64_t numel = tensor_numel(c);
        if (numel < 0 || (size_t)numel * dtype_size(c->dtype) != c->nbytes) return ovw_fail(w, n, "value size does not fit its shape");
        w->tsrc[n->outputs[0]] = ovw_w_const(w, o->name, c->dtype, c->rank, c->dims, c->data, c->nbytes, true);
    } else if ((a = node_attr(n, "value_float")) && a->type == ATTR_FLOAT) {
        float f = (float)a->f;
        w->tsrc[n->outputs[0]] = ovw_w_const_f32(w, o->name, &f, 1, true, true);
    } else if ((a = node_attr(n, "value_int")) && a->type == ATTR_INT) {
        w->tsrc[n->outputs[0]] = ovw_w_const_i64(w, o->name, &a->i, 1, true);
    } else if ((a = node_attr(n, "value_ints")) && a->type == ATTR_INTS) {
        w->tsrc[n->outputs[0]] = ovw_w_const_i64(w, o->name, a->ints, a->count, false);
    } else {
        return ovw_fail(w, n, "has no value OpenVINO can hold");
    }
    ovw_w_port_add_name(w, w->tsrc[n->outputs[0]], o->name);
    return 0;
}

/* The spatial geometry of a Conv/ConvTranspose/pool node in OpenVINO's terms. */
typedef struct {
    int sp;
    int64_t kernel[GRAPH_MAX_RANK], strides[GRAPH_MAX_RANK], dilations[GRAPH_MAX_RANK];
    int64_t pads_begin[GRAPH_MAX_RANK], pads_end[GRAPH_MAX_RANK], out_pad[GRAPH_MAX_RANK];
    const char *auto_pad;
} Geom;

static int geom_read(W *w, const Node *n, int sp, const int64_t *kernel_dims, Geom *g)
{
    memset(g, 0, sizeof *g);
    if (sp < 1 || sp > 3) return ovw_fail(w, n, "has %d spatial dims (1 to 3 are supported)", sp);
    g->sp = sp;
    int64_t v[2 * GRAPH_MAX_RANK];
    int c = node_attr_ints(n, "kernel_shape", v, GRAPH_MAX_RANK);
    if (c && c != sp) return ovw_fail(w, n, "kernel_shape has %d entries for %d spatial dims", c, sp);
    if (!c && !kernel_dims) return ovw_fail(w, n, "has no kernel_shape");
    for (int i = 0; i < sp; i++) g->kernel[i] = c ? v[i] : kernel_dims[i];
    for (int i = 0; i < sp; i++) g->strides[i] = g->dilations[i] = 1;
    if ((c = node_attr_ints(n, "strides", v, GRAPH_MAX_RANK)) && c != sp) return ovw_fail(w, n, "strides has %d entries", c);
    for (int i = 0; i < c; i++) g->strides[i] = v[i];
    if ((c = node_attr_ints(n, "dilations", v, GRAPH_MAX_RANK)) && c != sp) return ovw_fail(w, n, "dilations has %d entries", c);
    for (int i = 0; i < c; i++) g->dilations[i] = v[i];
    if ((c = node_attr_ints(n, "pads", v, 2 * GRAPH_MAX_RANK)) && c != 2 * sp) return ovw_fail(w, n, "pads has %d entries", c);
    for (int i = 0; i < c / 2; i++) {
        g->pads_begin[i] = v[i];
        g->pads_end[i] = v[i + sp];
    }
    if ((c = node_attr_ints(n, "output_padding", v, GRAPH_MAX_RANK)) && c != sp) return ovw_fail(w, n, "output_padding has %d entries", c);
    for (int i = 0; i < c; i++) g->out_pad[i] = v[i];
    const Attr *ap = node_attr(n, "auto_pad");
    const char *s = ap && ap->type == ATTR_STRING ? ap->s : "NOTSET";
    static const char *const pads[][2] = {{"NOTSET", "explicit"}, {"SAME_UPPER", "same_upper"}, {"SAME_LOWER", "same_lower"}, {"VALID", "valid"}};
    g->auto_pad = NULL;
    for (size_t i = 0; i < ARRAY_LEN(pads); i++)
        if (!strcmp(s, pads[i][0])) g->auto_pad = pads[i][1];
    if (!g->auto_pad) return ovw_fail(w, n, "auto_pad '%s' is not one OpenVINO knows", s);
    for (int i = 0; i < sp; i++)
        if (g->strides[i] < 1 || g->dilations[i] < 1 || g->kernel[i] < 1 || g->pads_begin[i] < 0 || g->pads_end[i] < 0)
            return ovw_fail(w, n, "has a non-positive kernel, stride or dilation, or a negative pad");
    return 0;
}

static void geom_attrs(W *w, int L, const Geom *g, bool with_dilations)
{
    ovw_w_attr_ints(w, L, "strides", g->strides, g->sp);
    if (with_dilations) ovw_w_attr_ints(w, L, "dilations", g->dilations, g->sp);
    ovw_w_attr_ints(w, L, "pads_begin", g->pads_begin, g->sp);
    ovw_w_attr_ints(w, L, "pads_end", g->pads_end, g->sp);
}

/* A Reshape of s to a constant shape (for operands that are not constants). */
static Src w_reshape(W *w, const char *name, Src s, const int64_t *shape, int rank, const int64_t *out_dims)
{
    Src c = ovw_w_const_i64(w, NULL, shape, rank, false);
    int L = ovw_w_layer(w, name, "Reshape", "opset1");
    ovw_w_attr(w, L, "special_zero", "true");
    ovw_w_in(w, L, s);
    ovw_w_in(w, L, c);
    return ovw_w_out(w, L, ovw_src_port(w, s)->dtype, rank, out_dims, NULL);
}

/* Operand t reshaped to dims: a constant is re-emitted with the new shape, anything else
 * goes through a Reshape layer. */
static int w_src_reshaped(W *w, const Node *n, int t, const int64_t *dims, int rank, const char *suffix, Src *out)
{
    const Tensor *x = ovw_T(w, t);
    if (x && x->data && x->producer < 0 && w->tsrc[t].layer < 0) {
        int64_t numel = 1;
        for (int i = 0; i < rank; i++) numel *= dims[i];
        if (numel != tensor_numel(x) || (size_t)numel * dtype_size(x->dtype) != x->nbytes)
            return ovw_fail(w, n, "'%s' does not have the %lld elements expected", x->name, (long long)numel);
        *out = ovw_w_const(w, x->name, x->dtype, rank, dims, x->data, x->nbytes, true);
        return 0;
    }
    Src s;
    if (ovw_w_src(w, n, t, true, &s)) return -1;
    char *name = xasprintf("%s/%s", n->name, suffix);
    *out = w_reshape(w, name, s, dims, rank, dims);
    free(name);
    return 0;
}

/* Add a per-channel bias (a [M] tensor) to conv output s, as the peer's IR does:
 * Add(conv, bias as [1, M, 1, ...]), named after the node. */
static int w_bias(W *w, const Node *n, Src s, int bias, int out_rank)
{
    const Tensor *b = ovw_T(w, bias);
    int64_t dims[GRAPH_MAX_RANK];
    for (int i = 0; i < out_rank; i++) dims[i] = 1;
    dims[1] = b && b->rank == 1 ? b->dims[0] : -1;
    if (dims[1] < 0) return ovw_fail(w, n, "the bias must be 1-D with a known length");
    Src bs;
    if (w_src_reshaped(w, n, bias, dims, out_rank, "bias", &bs)) return -1;
    int L = ovw_w_layer(w, n->name, "Add", "opset1");
    ovw_w_attr(w, L, "auto_broadcast", "numpy");
    ovw_w_in(w, L, s);
    ovw_w_in(w, L, bs);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_conv(W *w, const Node *n, const OpMap *m)
{
    bool transposed = n->op == OP_CONV_TRANSPOSE;
    if (need_inputs(w, n, 2, 3)) return -1;
    const Tensor *wt = ovw_T(w, n->inputs[1]), *y = ovw_T(w, n->outputs[0]);
    if (wt->rank < 3) return ovw_fail(w, n, "weight '%s' has rank %d", wt->name, wt->rank);
    int sp = wt->rank - 2;
    Geom g;
    if (geom_read(w, n, sp, wt->dims + 2, &g)) return -1;
    if (node_attr(n, "output_shape")) return ovw_fail(w, n, "output_shape is not supported (give pads instead)");
    int64_t group = node_attr_int(n, "group", 1);
    if (group < 1) return ovw_fail(w, n, "group %lld is invalid", (long long)group);
    bool has_bias = n->n_inputs > 2 && n->inputs[2] >= 0;
    Src ws;
    if (group == 1) {
        if (ovw_w_src(w, n, n->inputs[1], true, &ws)) return -1;
    } else {
        /* [M, C/g, k...] -> [g, M/g, C/g, k...]; transposed [C, M/g, k...] -> [g, C/g, M/g, k...] */
        int64_t d[GRAPH_MAX_RANK];
        if (wt->dims[0] < 0 || wt->dims[0] % group || wt->rank + 1 > GRAPH_MAX_RANK)
            return ovw_fail(w, n, "weight dim 0 (%lld) does not divide into %lld groups", (long long)wt->dims[0], (long long)group);
        d[0] = group;
        d[1] = wt->dims[0] / group;
        for (int i = 1; i < wt->rank; i++) d[i + 1] = wt->dims[i];
        if (w_src_reshaped(w, n, n->inputs[1], d, wt->rank + 1, "weights", &ws)) return -1;
    }
    static const char *const types[2][2] = {{"Convolution", "GroupConvolution"},
                                            {"ConvolutionBackpropData", "GroupConvolutionBackpropData"}};
    char *cname = has_bias ? xasprintf("%s/WithoutBiases", n->name) : xstrdup(n->name);
    int L = ovw_w_layer(w, cname, types[transposed][group > 1], "opset1");
    free(cname);
    geom_attrs(w, L, &g, true);
    ovw_w_attr(w, L, "auto_pad", "%s", g.auto_pad);
    if (transposed) ovw_w_attr_ints(w, L, "output_padding", g.out_pad, sp);
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, ws);
    if (!has_bias) {
        ovw_w_out_tensor(w, L, n->outputs[0]);
        return 0;
    }
    Src s = ovw_w_out(w, L, y->dtype, y->rank, y->dims, NULL);
    return w_bias(w, n, s, n->inputs[2], y->rank ? y->rank : sp + 2);
}

static int emit_batchnorm(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 5, 5)) return -1;
    if (n->n_outputs > 1 && n->outputs[1] >= 0) return ovw_fail(w, n, "training-mode outputs are not supported");
    int L = ovw_w_layer(w, n->name, "BatchNormInference", "opset5");
    ovw_w_attr(w, L, "epsilon", "%.9g", node_attr_float(n, "epsilon", 1e-5));
    for (int i = 0; i < 5; i++)
        if (ovw_w_in_tensor(w, L, n, n->inputs[i], true)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_pool(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    const Tensor *x = ovw_T(w, n->inputs[0]);
    int64_t ks[GRAPH_MAX_RANK];
    int nk = node_attr_ints(n, "kernel_shape", ks, GRAPH_MAX_RANK);
    Geom g;
    if (geom_read(w, n, nk ? nk : x->rank - 2, NULL, &g)) return -1;
    bool is_max = n->op == OP_MAXPOOL;
    int L = ovw_w_layer(w, n->name, is_max ? "MaxPool" : "AvgPool", is_max ? "opset8" : "opset1");
    ovw_w_attr_ints(w, L, "strides", g.strides, g.sp);
    if (is_max) ovw_w_attr_ints(w, L, "dilations", g.dilations, g.sp);
    ovw_w_attr_ints(w, L, "pads_begin", g.pads_begin, g.sp);
    ovw_w_attr_ints(w, L, "pads_end", g.pads_end, g.sp);
    ovw_w_attr_ints(w, L, "kernel", g.kernel, g.sp);
    if (!is_max) ovw_w_attr(w, L, "exclude-pad", "%s", ovw_bool_str(node_attr_int(n, "count_include_pad", 0) == 0));
    ovw_w_attr(w, L, "rounding_type", "%s", node_attr_int(n, "ceil_mode", 0) ? "ceil" : "floor");
    ovw_w_attr(w, L, "auto_pad", "%s", g.auto_pad);
    if (is_max) {
        ovw_w_attr(w, L, "index_element_type", "i64");
        ovw_w_attr(w, L, "axis", "0");
    }
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    if (is_max) {
        const Tensor *y = ovw_T(w, n->outputs[0]);
        if (n->n_outputs > 1 && n->outputs[1] >= 0) {
            ovw_w_out_tensor(w, L, n->outputs[1]);
        } else {
            ovw_w_out(w, L, DT_I64, y->rank, y->dims, NULL);
        }
    }
    return 0;
}

/* GlobalAveragePool / GlobalMaxPool as ReduceMean / ReduceMax over the spatial axes. */
static int emit_global_pool(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    int r = ovw_T(w, n->inputs[0])->rank;
    if (r < 3) r = 4;
    int64_t axes[GRAPH_MAX_RANK];
    for (int i = 2; i < r; i++) axes[i - 2] = i;
    Src a = ovw_w_const_i64(w, NULL, axes, r - 2, false);
    int L = ovw_w_layer(w, n->name, m->type, "opset1");
    ovw_w_attr(w, L, "keep_dims", "true");
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, a);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_reduce(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 2)) return -1;
    int64_t axes[GRAPH_MAX_RANK];
    int na = ovw_operand_ints(w, n, 1, "axes", axes, GRAPH_MAX_RANK);
    if (na == -2) return ovw_fail(w, n, "axes must be a constant");
    if (na <= 0) {
        int r = ovw_T(w, n->inputs[0])->rank;
        if (node_attr_int(n, "noop_with_empty_axes", 0)) return ovw_fail(w, n, "noop_with_empty_axes is not supported");
        for (na = 0; na < r; na++) axes[na] = na;
        if (!na) return ovw_fail(w, n, "reduces over all axes of an input of unknown rank");
    }
    int L = ovw_w_layer(w, n->name, m->type, "opset1");
    ovw_w_attr(w, L, "keep_dims", "%s", ovw_bool_str(node_attr_int(n, "keepdims", 1) != 0));
    Src a = ovw_w_const_i64(w, NULL, axes, na, false);
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, a);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_concat(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs < 1 || n->n_outputs < 1) return ovw_fail(w, n, "has no inputs");
    int64_t axis = node_attr_int(n, "axis", 0);
    int r = ovw_T(w, n->outputs[0])->rank;
    if (axis < 0 && r > 0) axis += r;
    int L = ovw_w_layer(w, n->name, "Concat", "opset1");
    ovw_w_attr(w, L, "axis", "%lld", (long long)axis);
    for (int i = 0; i < n->n_inputs; i++)
        if (ovw_w_in_tensor(w, L, n, n->inputs[i], true)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_split(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1) return ovw_fail(w, n, "has no input");
    int64_t sizes[256];
    int ns = ovw_operand_ints(w, n, 1, "split", sizes, 256);
    if (ns == -2) return ovw_fail(w, n, "split sizes must be a constant");
    if (ns >= 0 && ns != n->n_outputs) return ovw_fail(w, n, "has %d split sizes for %d outputs", ns, n->n_outputs);
    int64_t axis = node_attr_int(n, "axis", 0);
    Src a = ovw_w_const_i64(w, NULL, &axis, 1, true);
    Src len = {-1, 0};
    if (ns > 0) len = ovw_w_const_i64(w, NULL, sizes, ns, false);
    int L = ovw_w_layer(w, n->name, ns > 0 ? "VariadicSplit" : "Split", "opset1");
    if (ns <= 0) ovw_w_attr(w, L, "num_splits", "%d", n->n_outputs);
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, a);
    if (ns > 0) ovw_w_in(w, L, len);
    for (int i = 0; i < n->n_outputs; i++) {
        if (n->outputs[i] >= 0) {
            ovw_w_out_tensor(w, L, n->outputs[i]);
        } else {
            const Tensor *x = ovw_T(w, n->inputs[0]);
            ovw_w_out(w, L, x->dtype, 0, NULL, NULL);
        }
    }
    return 0;
}

/* An int64 operand for an OpenVINO input: a constant from the attribute or input, or the
 * input tensor itself when it is computed. */
static int w_int_operand(W *w, const Node *n, int k, const char *attr, bool scalar, Src *out, int *count)
{
    int64_t v[GRAPH_MAX_RANK * 2];
    int c = ovw_operand_ints(w, n, k, attr, v, GRAPH_MAX_RANK * 2);
    *count = c;
    const Tensor *t = k < n->n_inputs ? ovw_T(w, n->inputs[k]) : NULL;
    if (c >= 0 && t && t->data && t->producer < 0 && t->dtype == DT_I64 && t->rank == (scalar ? 0 : 1))
        return ovw_w_src(w, n, n->inputs[k], false, out); /* the graph's own constant, by name */
    if (c >= 0) {
        *out = ovw_w_const_i64(w, NULL, v, c, scalar && c == 1);
        return 0;
    }
    if (c == -2 && k < n->n_inputs && n->inputs[k] >= 0) {
        const Tensor *t = ovw_T(w, n->inputs[k]);
        *count = t->rank == 1 && t->dims[0] >= 0 ? (int)t->dims[0] : -1;
        return ovw_w_src(w, n, n->inputs[k], false, out);
    }
    return 1; /* absent */
}

static int emit_slice(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1) return ovw_fail(w, n, "has no input");
    Src starts, ends, axes, steps;
    int cs, ce, ca, cst;
    int rs = w_int_operand(w, n, 1, "starts", false, &starts, &cs);
    int re = w_int_operand(w, n, 2, "ends", false, &ends, &ce);
    if (rs < 0 || re < 0) return -1;
    if (rs || re) return ovw_fail(w, n, "has no starts/ends");
    int ra = w_int_operand(w, n, 3, "axes", false, &axes, &ca);
    int rst = w_int_operand(w, n, 4, "steps", false, &steps, &cst);
    if (ra < 0 || rst < 0) return -1;
    if (rst) {
        if (cs < 0) return ovw_fail(w, n, "computed starts of unknown length need explicit steps");
        int64_t ones[GRAPH_MAX_RANK * 2];
        for (int i = 0; i < cs; i++) ones[i] = 1;
        steps = ovw_w_const_i64(w, NULL, ones, cs, false);
    }
    int L = ovw_w_layer(w, n->name, "Slice", "opset8");
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, starts);
    ovw_w_in(w, L, ends);
    ovw_w_in(w, L, steps);
    if (!ra) ovw_w_in(w, L, axes);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_resize(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1) return ovw_fail(w, n, "has no input");
    const Tensor *x = ovw_T(w, n->inputs[0]);
    int scales_t = n->n_inputs > 2 ? n->inputs[2] : -1, sizes_t = n->n_inputs > 3 ? n->inputs[3] : -1;
    if (n->n_inputs == 2) scales_t = n->inputs[1]; /* Upsample / Resize-10 form */
    const Tensor *st = ovw_T(w, scales_t);
    if (st && tensor_numel(st) == 0) scales_t = -1, st = NULL;
    const Attr *sa = node_attr(n, "scales"), *za = node_attr(n, "sizes");
    const char *mode = "nearest", *ctm = "asymmetric", *nm = "floor";
    const Attr *a;
    if ((a = node_attr(n, "mode")) && a->type == ATTR_STRING) mode = a->s;
    if ((a = node_attr(n, "coordinate_transformation_mode")) && a->type == ATTR_STRING) ctm = a->s;
    if ((a = node_attr(n, "nearest_mode")) && a->type == ATTR_STRING) nm = a->s;
    static const char *const modes[][2] = {{"nearest", "nearest"}, {"linear", "linear_onnx"}, {"cubic", "cubic"}};
    const char *ov_mode = NULL;
    for (size_t i = 0; i < ARRAY_LEN(modes); i++)
        if (!strcmp(mode, modes[i][0])) ov_mode = modes[i][1];
    if (!ov_mode) return ovw_fail(w, n, "mode '%s' has no OpenVINO Interpolate mode", mode);
    static const char *const ctms[] = {"half_pixel", "pytorch_half_pixel", "asymmetric", "tf_half_pixel_for_nn", "align_corners"};
    bool ok = false;
    for (size_t i = 0; i < ARRAY_LEN(ctms); i++) ok |= !strcmp(ctm, ctms[i]);
    if (!ok) return ovw_fail(w, n, "coordinate_transformation_mode '%s' is not supported", ctm);
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    ok = false;
    for (size_t i = 0; i < ARRAY_LEN(nms); i++) ok |= !strcmp(nm, nms[i]);
    if (!ok) return ovw_fail(w, n, "nearest_mode '%s' is not supported", nm);
    if (node_attr(n, "axes")) return ovw_fail(w, n, "the axes attribute is not supported");
    Src operand;
    bool by_scales;
    if (scales_t >= 0 || (sa && sa->type == ATTR_FLOATS)) {
        by_scales = true;
        const Tensor *c = scales_t >= 0 ? ovw_const_tensor(w->g, scales_t) : NULL;
        if (scales_t < 0 || (c && c->dtype != DT_F32)) {
            float f[GRAPH_MAX_RANK];
            int cnt = 0;
            if (scales_t < 0) {
                if (sa->count > GRAPH_MAX_RANK) return ovw_fail(w, n, "too many scales");
                for (cnt = 0; cnt < sa->count; cnt++) f[cnt] = (float)sa->floats[cnt];
            } else {
                int64_t numel = tensor_numel(c);
                if (numel < 0 || numel > GRAPH_MAX_RANK || c->dtype != DT_F16 || c->nbytes < (size_t)numel * 2)
                    return ovw_fail(w, n, "scales must be float");
                for (cnt = 0; cnt < numel; cnt++) {
                    uint16_t h;
                    memcpy(&h, (const char *)c->data + 2 * cnt, 2);
                    f[cnt] = half_to_float(h);
                }
            }
            operand = ovw_w_const_f32(w, NULL, f, cnt, false, false);
        } else if (ovw_w_src(w, n, scales_t, false, &operand)) {
            return -1;
        }
    } else if (sizes_t >= 0 || (za && za->type == ATTR_INTS)) {
        by_scales = false;
        int cnt;
        if (w_int_operand(w, n, 3, "sizes", false, &operand, &cnt)) return ovw_fail(w, n, "sizes are unusable");
    } else {
        return ovw_fail(w, n, "has neither scales nor sizes");
    }
    int L = ovw_w_layer(w, n->name, "Interpolate", "opset11");
    int64_t zeros[GRAPH_MAX_RANK] = {0};
    int r = x->rank > 0 ? x->rank : 4;
    ovw_w_attr(w, L, "mode", "%s", ov_mode);
    ovw_w_attr(w, L, "shape_calculation_mode", "%s", by_scales ? "scales" : "sizes");
    ovw_w_attr(w, L, "coordinate_transformation_mode", "%s", ctm);
    ovw_w_attr(w, L, "nearest_mode", "%s", nm);
    ovw_w_attr(w, L, "antialias", "false");
    ovw_w_attr_ints(w, L, "pads_begin", zeros, r);
    ovw_w_attr_ints(w, L, "pads_end", zeros, r);
    ovw_w_attr(w, L, "cube_coeff", "%.9g", node_attr_float(n, "cubic_coeff_a", -0.75));
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, operand);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_reshape(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1) return ovw_fail(w, n, "has no input");
    Src shape;
    int c;
    if (w_int_operand(w, n, 1, "shape", false, &shape, &c)) return ovw_fail(w, n, "has no shape");
    int L = ovw_w_layer(w, n->name, "Reshape", "opset1");
    ovw_w_attr(w, L, "special_zero", "%s", ovw_bool_str(node_attr_int(n, "allowzero", 0) == 0));
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, shape);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_flatten(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    const Tensor *x = ovw_T(w, n->inputs[0]);
    int64_t axis = node_attr_int(n, "axis", 1);
    if (axis < 0) axis += x->rank;
    int64_t shape[2] = {1, 1};
    bool known = x->rank > 0;
    for (int i = 0; i < x->rank; i++) {
        if (x->dims[i] < 0) known = false;
        else shape[i >= axis] *= x->dims[i];
    }
    if (!known) {
        if (axis == 1) shape[0] = 0, shape[1] = -1;
        else if (axis == 0) shape[0] = 1, shape[1] = -1;
        else return ovw_fail(w, n, "flatten at axis %lld needs known dims", (long long)axis);
    }
    Src s = ovw_w_const_i64(w, NULL, shape, 2, false);
    int L = ovw_w_layer(w, n->name, "Reshape", "opset1");
    ovw_w_attr(w, L, "special_zero", "true");
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, s);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_transpose(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    int64_t perm[GRAPH_MAX_RANK];
    int c = node_attr_ints(n, "perm", perm, GRAPH_MAX_RANK);
    Src s = ovw_w_const_i64(w, NULL, perm, c, false);
    int L = ovw_w_layer(w, n->name, "Transpose", "opset1");
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, s);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_softmax(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    int L = ovw_w_layer(w, n->name, "SoftMax", "opset8");
    ovw_w_attr(w, L, "axis", "%lld", (long long)node_attr_int(n, "axis", -1));
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

/* Gemm: MatMul with transposes, then alpha and beta * C as Multiply/Add layers. */
static int emit_gemm(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 2, 3)) return -1;
    const Tensor *y = ovw_T(w, n->outputs[0]);
    double alpha = node_attr_float(n, "alpha", 1.0), beta = node_attr_float(n, "beta", 1.0);
    bool has_c = n->n_inputs > 2 && n->inputs[2] >= 0;
    bool last_is_mm = !has_c && alpha == 1.0;
    char *mname = last_is_mm ? xstrdup(n->name) : xasprintf("%s/MatMul", n->name);
    int L = ovw_w_layer(w, mname, "MatMul", "opset1");
    free(mname);
    ovw_w_attr(w, L, "transpose_a", "%s", ovw_bool_str(node_attr_int(n, "transA", 0) != 0));
    ovw_w_attr(w, L, "transpose_b", "%s", ovw_bool_str(node_attr_int(n, "transB", 0) != 0));
    for (int i = 0; i < 2; i++)
        if (ovw_w_in_tensor(w, L, n, n->inputs[i], true)) return -1;
    if (last_is_mm) {
        ovw_w_out_tensor(w, L, n->outputs[0]);
        return 0;
    }
    Src s = ovw_w_out(w, L, y->dtype, y->rank, y->dims, NULL);
    if (alpha != 1.0) {
        float f = (float)alpha;
        Src k = ovw_w_const_f32(w, NULL, &f, 1, true, true);
        char *name = has_c ? xasprintf("%s/alpha", n->name) : xstrdup(n->name);
        int M = ovw_w_layer(w, name, "Multiply", "opset1");
        free(name);
        ovw_w_attr(w, M, "auto_broadcast", "numpy");
        ovw_w_in(w, M, s);
        ovw_w_in(w, M, k);
        if (!has_c) {
            ovw_w_out_tensor(w, M, n->outputs[0]);
            return 0;
        }
        s = ovw_w_out(w, M, y->dtype, y->rank, y->dims, NULL);
    }
    Src c;
    if (ovw_w_src(w, n, n->inputs[2], true, &c)) return -1;
    if (beta != 1.0) {
        float f = (float)beta;
        Src k = ovw_w_const_f32(w, NULL, &f, 1, true, true);
        char *name = xasprintf("%s/beta", n->name);
        int M = ovw_w_layer(w, name, "Multiply", "opset1");
        free(name);
        ovw_w_attr(w, M, "auto_broadcast", "numpy");
        ovw_w_in(w, M, c);
        ovw_w_in(w, M, k);
        const WPort *cp = ovw_src_port(w, c);
        c = ovw_w_out(w, M, cp->dtype, cp->rank, cp->dims, NULL);
    }
    int A = ovw_w_layer(w, n->name, "Add", "opset1");
    ovw_w_attr(w, A, "auto_broadcast", "numpy");
    ovw_w_in(w, A, s);
    ovw_w_in(w, A, c);
    ovw_w_out_tensor(w, A, n->outputs[0]);
    return 0;
}

static int emit_cast(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    DType to = dtype_from_onnx((int)node_attr_int(n, "to", 1));
    const char *et = openvino_element_type(to);
    if (!et) return ovw_fail(w, n, "cannot convert to %s", dtype_name(to));
    int L = ovw_w_layer(w, n->name, "Convert", "opset1");
    ovw_w_attr(w, L, "destination_type", "%s", et);
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_shape(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    if (node_attr(n, "start") || node_attr(n, "end")) return ovw_fail(w, n, "start/end are not supported");
    int L = ovw_w_layer(w, n->name, "ShapeOf", "opset3");
    ovw_w_attr(w, L, "output_type", "i64");
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_gather(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 2, 2)) return -1;
    int64_t axis = node_attr_int(n, "axis", 0);
    Src a = ovw_w_const_i64(w, NULL, &axis, 1, true);
    int L = ovw_w_layer(w, n->name, "Gather", "opset8");
    ovw_w_attr(w, L, "batch_dims", "0");
    for (int i = 0; i < 2; i++)
        if (ovw_w_in_tensor(w, L, n, n->inputs[i], false)) return -1;
    ovw_w_in(w, L, a);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

/* ScatterUpdate -> ScatterUpdate-3 (the axis as a constant input). */
static int emit_scatter_update(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 3, 3)) return -1;
    int64_t axis = node_attr_int(n, "axis", 0);
    Src a = ovw_w_const_i64(w, NULL, &axis, 1, true);
    int L = ovw_w_layer(w, n->name, "ScatterUpdate", "opset3");
    for (int i = 0; i < 3; i++)
        if (ovw_w_in_tensor(w, L, n, n->inputs[i], false)) return -1;
    ovw_w_in(w, L, a);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

/* Squeeze / Unsqueeze (axes from the attribute or input 1). */
static int emit_axes_op(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 2)) return -1;
    Src axes;
    int c;
    int r = w_int_operand(w, n, 1, "axes", false, &axes, &c);
    if (r < 0) return -1;
    if (r && n->op == OP_UNSQUEEZE) return ovw_fail(w, n, "has no axes");
    int L = ovw_w_layer(w, n->name, m->type, "opset1");
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    if (!r) ovw_w_in(w, L, axes);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_range(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 3, 3)) return -1;
    const char *et = openvino_element_type(ovw_T(w, n->outputs[0])->dtype);
    if (!et) et = openvino_element_type(ovw_T(w, n->inputs[0])->dtype);
    if (!et) return ovw_fail(w, n, "has no element type");
    int L = ovw_w_layer(w, n->name, "Range", "opset4");
    ovw_w_attr(w, L, "output_type", "%s", et);
    for (int i = 0; i < 3; i++)
        if (ovw_w_in_tensor(w, L, n, n->inputs[i], false)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

/* A float from a constant input or an attribute. */
static bool scalar_operand(const W *w, const Node *n, int k, const char *attr, double *v)
{
    if (k < n->n_inputs && n->inputs[k] >= 0) {
        const Tensor *c = ovw_const_tensor(w->g, n->inputs[k]);
        if (!c || tensor_numel(c) != 1) return false;
        if (c->dtype == DT_F32 && c->nbytes >= 4) { float f; memcpy(&f, c->data, 4); *v = f; return true; }
        if (c->dtype == DT_F16 && c->nbytes >= 2) { uint16_t h; memcpy(&h, c->data, 2); *v = half_to_float(h); return true; }
        int64_t i;
        if (ovw_const_ints(c, &i, 1) == 1) { *v = (double)i; return true; }
        return false;
    }
    const Attr *a = node_attr(n, attr);
    if (a && (a->type == ATTR_FLOAT || a->type == ATTR_INT)) *v = node_attr_float(n, attr, 0);
    return true;
}

static int emit_clip(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 3)) return -1;
    double lo = -FLT_MAX, hi = FLT_MAX;
    if (!scalar_operand(w, n, 1, "min", &lo) || !scalar_operand(w, n, 2, "max", &hi))
        return ovw_fail(w, n, "min and max must be constants");
    int L = ovw_w_layer(w, n->name, "Clamp", "opset1");
    ovw_w_attr(w, L, "min", "%.9g", lo);
    ovw_w_attr(w, L, "max", "%.9g", hi);
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_constant_of_shape(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    const Attr *a = node_attr(n, "value");
    const Tensor *v = a && a->type == ATTR_TENSOR ? ovw_T(w, a->tensor) : NULL;
    Src val;
    if (v && v->data && tensor_numel(v) == 1 && openvino_element_type(v->dtype)) {
        int64_t none = 0;
        val = ovw_w_const(w, NULL, v->dtype, 0, &none, v->data, dtype_size(v->dtype), false);
    } else {
        float zero = 0.f;
        val = ovw_w_const_f32(w, NULL, &zero, 1, true, false);
    }
    int L = ovw_w_layer(w, n->name, "Broadcast", "opset3");
    ovw_w_attr(w, L, "mode", "numpy");
    ovw_w_in(w, L, val);
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], false)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_topk(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 2)) return -1;
    int64_t k;
    Src ks;
    int c = ovw_operand_ints(w, n, 1, "k", &k, 1);
    if (c == 1) {
        ks = ovw_w_const_i64(w, NULL, &k, 1, true);
    } else if (c == -2) {
        /* a computed K ([1]) must become a scalar */
        Src s;
        if (ovw_w_src(w, n, n->inputs[1], false, &s)) return -1;
        int64_t none = 0;
        char *name = xasprintf("%s/k", n->name);
        ks = w_reshape(w, name, s, &none, 0, &none);
        free(name);
    } else {
        return ovw_fail(w, n, "has no k");
    }
    int L = ovw_w_layer(w, n->name, "TopK", "opset3");
    ovw_w_attr(w, L, "axis", "%lld", (long long)node_attr_int(n, "axis", -1));
    ovw_w_attr(w, L, "mode", "%s", node_attr_int(n, "largest", 1) ? "max" : "min");
    ovw_w_attr(w, L, "sort", "%s", node_attr_int(n, "sorted", 1) ? "value" : "none");
    ovw_w_attr(w, L, "index_element_type", "i64");
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, ks);
    for (int i = 0; i < 2; i++) {
        if (i < n->n_outputs && n->outputs[i] >= 0) ovw_w_out_tensor(w, L, n->outputs[i]);
        else ovw_w_out(w, L, i ? DT_I64 : DT_F32, 0, NULL, NULL);
    }
    return 0;
}

static int emit_hardsigmoid(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    float ab[2] = {(float)node_attr_float(n, "alpha", 0.2), (float)node_attr_float(n, "beta", 0.5)};
    Src a = ovw_w_const_f32(w, NULL, &ab[0], 1, true, false), b = ovw_w_const_f32(w, NULL, &ab[1], 1, true, false);
    int L = ovw_w_layer(w, n->name, "HardSigmoid", "opset1");
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, a);
    ovw_w_in(w, L, b);
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_logsoftmax(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    int L = ovw_w_layer(w, n->name, "LogSoftmax", "opset5");
    ovw_w_attr(w, L, "axis", "%lld", (long long)node_attr_int(n, "axis", -1));
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

/* A layer the reader kept as it was (domain "openvino:<opset>"): written back unchanged,
 * its string attributes as <data>. */
static int emit_passthrough(W *w, const Node *n)
{
    const char *version = strchr(n->domain, ':') ? strchr(n->domain, ':') + 1 : "opset1";
    if (!ovw_xml_type_ok(n->op_type) || !ovw_xml_type_ok(version)) return ovw_fail(w, n, "is not a valid OpenVINO layer type");
    int L = ovw_w_layer(w, n->name, n->op_type, version);
    w->layers[L].own_type = true;
    w->layers[L].type = xstrdup(n->op_type);
    w->layers[L].version = xstrdup(version);
    for (int i = 0; i < n->n_attrs; i++) {
        const Attr *a = &n->attrs[i];
        if (a->type != ATTR_STRING || !ovw_xml_type_ok(a->name)) return ovw_fail(w, n, "attribute '%s' cannot be written", a->name);
        ovw_w_attr(w, L, a->name, "%s", a->s);
    }
    for (int i = 0; i < n->n_inputs; i++)
        if (ovw_w_in_tensor(w, L, n, n->inputs[i], true)) return -1;
    for (int i = 0; i < n->n_outputs; i++) {
        if (n->outputs[i] >= 0) ovw_w_out_tensor(w, L, n->outputs[i]);
        else ovw_w_out(w, L, DT_F32, 0, NULL, NULL);
    }
    return 0;
}

/* A scalar operand for NonMaxSuppression: a constant (attribute or [1] input) re-emitted as
 * a 0-D constant, a computed one reshaped to 0-D. */
static int nms_scalar(W *w, const Node *n, int k, const char *attr, bool is_int, Src *out)
{
    int64_t none = 0;
    double v = 0;
    if (k < n->n_inputs && n->inputs[k] >= 0 && !ovw_const_tensor(w->g, n->inputs[k])) {
        Src s;
        if (ovw_w_src(w, n, n->inputs[k], false, &s)) return -1;
        char *name = xasprintf("%s/%s", n->name, attr);
        *out = w_reshape(w, name, s, &none, 0, &none);
        free(name);
        return 0;
    }
    if (!scalar_operand(w, n, k, attr, &v)) return ovw_fail(w, n, "%s must be a single value", attr);
    if (is_int) {
        int64_t i = (int64_t)v;
        *out = ovw_w_const_i64(w, NULL, &i, 1, true);
    } else {
        float f = (float)v;
        *out = ovw_w_const_f32(w, NULL, &f, 1, true, false);
    }
    return 0;
}

/* NonMaxSuppression: OpenVINO's NonMaxSuppression-9 pads selected_indices to a fixed row
 * count with -1 rows and reports the real count in valid_outputs; a Slice to that count gives
 * the ONNX result (the selected rows only, per batch and class in score order). */
static int emit_nms(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 2, 5)) return -1;
    if (n->n_outputs != 1) return ovw_fail(w, n, "has %d outputs", n->n_outputs);
    Src max_out, iou, score;
    if (nms_scalar(w, n, 2, "max_output_boxes_per_class", true, &max_out) ||
        nms_scalar(w, n, 3, "iou_threshold", false, &iou) || nms_scalar(w, n, 4, "score_threshold", false, &score))
        return -1;
    float zero = 0.f;
    Src sigma = ovw_w_const_f32(w, NULL, &zero, 1, true, false);
    const Tensor *y = ovw_T(w, n->outputs[0]);
    char *name = xasprintf("%s/NonMaxSuppression", n->name);
    int L = ovw_w_layer(w, name, "NonMaxSuppression", "opset9");
    free(name);
    ovw_w_attr(w, L, "box_encoding", "%s", node_attr_int(n, "center_point_box", 0) ? "center" : "corner");
    ovw_w_attr(w, L, "sort_result_descending", "false");
    ovw_w_attr(w, L, "output_type", "i64");
    for (int i = 0; i < 2; i++)
        if (ovw_w_in_tensor(w, L, n, n->inputs[i], false)) return -1;
    ovw_w_in(w, L, max_out);
    ovw_w_in(w, L, iou);
    ovw_w_in(w, L, score);
    ovw_w_in(w, L, sigma);
    int64_t rows[2] = {-1, 3}, one = 1, zero64 = 0;
    Src sel = ovw_w_out(w, L, DT_I64, 2, rows, NULL);
    ovw_w_out(w, L, DT_F32, 2, rows, NULL);
    Src valid = ovw_w_out(w, L, DT_I64, 1, &one, NULL);
    Src start = ovw_w_const_i64(w, NULL, &zero64, 1, false), step = ovw_w_const_i64(w, NULL, &one, 1, false);
    Src axes = ovw_w_const_i64(w, NULL, &zero64, 1, false);
    int S = ovw_w_layer(w, n->name, "Slice", "opset8");
    ovw_w_in(w, S, sel);
    ovw_w_in(w, S, start);
    ovw_w_in(w, S, valid);
    ovw_w_in(w, S, step);
    ovw_w_in(w, S, axes);
    (void)y;
    ovw_w_out_tensor(w, S, n->outputs[0]);
    return 0;
}

static int emit_verbatim(W *w, const Node *n, const OpMap *m) { return emit_passthrough(w, n); }

/* FakeQuantize (opset1): levels and auto_broadcast as read (string attributes), or
 * levels as an integer attribute from elsewhere. */
static int emit_fake_quantize(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs != 5 || n->n_outputs != 1) return ovw_fail(w, n, "FakeQuantize takes 5 inputs and 1 output");
    const Attr *lv = node_attr(n, "levels"), *bc = node_attr(n, "auto_broadcast");
    int L = ovw_w_layer(w, n->name, "FakeQuantize", "opset1");
    if (lv && lv->type == ATTR_STRING && lv->s) ovw_w_attr(w, L, "levels", "%lld", strtoll(lv->s, NULL, 10));
    else ovw_w_attr(w, L, "levels", "%lld", (long long)node_attr_int(n, "levels", 256));
    ovw_w_attr(w, L, "auto_broadcast", "%s", bc && bc->type == ATTR_STRING && !strcmp(bc->s, "none") ? "none" : "numpy");
    for (int i = 0; i < n->n_inputs; i++)
        if (ovw_w_in_tensor(w, L, n, n->inputs[i], true)) return -1;
    if (n->outputs[0] >= 0) ovw_w_out_tensor(w, L, n->outputs[0]);
    else ovw_w_out(w, L, DT_F32, 0, NULL, NULL);
    return 0;
}

static const char *str_attr(const Node *n, const char *name, const char *dflt)
{
    const Attr *a = node_attr(n, name);
    return a && a->type == ATTR_STRING && a->s ? a->s : dflt;
}

/* Pad (constant mode, constant pads and value) -> Pad-1 with pads_begin / pads_end. */
static int emit_pad(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 4)) return -1;
    const char *mode = str_attr(n, "mode", "constant");
    if (strcmp(mode, "constant")) return ovw_fail(w, n, "pad mode '%s' is not supported", mode);
    int64_t pads[2 * GRAPH_MAX_RANK];
    int r = ovw_T(w, n->inputs[0])->rank;
    int np = ovw_operand_ints(w, n, 1, "pads", pads, 2 * GRAPH_MAX_RANK);
    if (np != 2 * r) return ovw_fail(w, n, "pads must be %d constant integers", 2 * r);
    if (n->n_inputs > 3 && n->inputs[3] >= 0) return ovw_fail(w, n, "padding only some axes is not supported");
    float value = (float)node_attr_float(n, "value", 0.0);
    if (n->n_inputs > 2 && n->inputs[2] >= 0) {
        const Tensor *v = ovw_T(w, n->inputs[2]);
        if (!v->data || v->dtype != DT_F32 || tensor_numel(v) != 1) return ovw_fail(w, n, "the pad value must be a float constant");
        memcpy(&value, v->data, 4);
    }
    int L = ovw_w_layer(w, n->name, "Pad", "opset1");
    ovw_w_attr(w, L, "pad_mode", "constant");
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    ovw_w_in(w, L, ovw_w_const_i64(w, NULL, pads, r, false));
    ovw_w_in(w, L, ovw_w_const_i64(w, NULL, pads + r, r, false));
    ovw_w_in(w, L, ovw_w_const_f32(w, NULL, &value, 1, true, false));
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

/* GridSample -> GridSample-9. */
static int emit_grid_sample(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 2, 2)) return -1;
    int L = ovw_w_layer(w, n->name, "GridSample", "opset9");
    ovw_w_attr(w, L, "align_corners", "%s", ovw_bool_str(node_attr_int(n, "align_corners", 0) != 0));
    ovw_w_attr(w, L, "mode", "%s", str_attr(n, "mode", "bilinear"));
    ovw_w_attr(w, L, "padding_mode", "%s", str_attr(n, "padding_mode", "zeros"));
    if (ovw_w_in_tensor(w, L, n, n->inputs[0], true) || ovw_w_in_tensor(w, L, n, n->inputs[1], true)) return -1;
    ovw_w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

/* Every op: how the OpenVINO writer maps it (OP_WRITE_NO: no OpenVINO mapping, refused by
 * name before anything is built; OP_OTHER: an OpenVINO type read from an IR is copied as it
 * was read, anything else is refused). */
static const OpMap op_maps[OP_COUNT] = {
    [OP_CONV] = {OP_WRITE_YES, emit_conv, NULL, NULL, 0, NULL},
    [OP_CONV_TRANSPOSE] = {OP_WRITE_YES, emit_conv, NULL, NULL, 0, NULL},
    [OP_BATCHNORM] = {OP_WRITE_YES, emit_batchnorm, NULL, NULL, 0, NULL},
    [OP_SILU] = {OP_WRITE_YES, emit_simple, "Swish", "opset4", 1, NULL},
    [OP_SIGMOID] = {OP_WRITE_YES, emit_simple, "Sigmoid", "opset1", 1, NULL},
    [OP_RELU] = {OP_WRITE_YES, emit_simple, "Relu", "opset1", 1, NULL},
    [OP_ADD] = {OP_WRITE_YES, emit_simple, "Add", "opset1", 2 | BROADCAST, NULL},
    [OP_SUB] = {OP_WRITE_YES, emit_simple, "Subtract", "opset1", 2 | BROADCAST, NULL},
    [OP_MUL] = {OP_WRITE_YES, emit_simple, "Multiply", "opset1", 2 | BROADCAST, NULL},
    [OP_DIV] = {OP_WRITE_YES, emit_simple, "Divide", "opset1", 2 | BROADCAST, NULL},
    [OP_CONCAT] = {OP_WRITE_YES, emit_concat, NULL, NULL, 0, NULL},
    [OP_SPLIT] = {OP_WRITE_YES, emit_split, NULL, NULL, 0, NULL},
    [OP_SLICE] = {OP_WRITE_YES, emit_slice, NULL, NULL, 0, NULL},
    [OP_MAXPOOL] = {OP_WRITE_YES, emit_pool, NULL, NULL, 0, NULL},
    [OP_AVGPOOL] = {OP_WRITE_YES, emit_pool, NULL, NULL, 0, NULL},
    [OP_GLOBAL_AVGPOOL] = {OP_WRITE_YES, emit_global_pool, "ReduceMean", NULL, 0, NULL},
    [OP_RESIZE] = {OP_WRITE_YES, emit_resize, NULL, NULL, 0, NULL},
    [OP_RESHAPE] = {OP_WRITE_YES, emit_reshape, NULL, NULL, 0, NULL},
    [OP_TRANSPOSE] = {OP_WRITE_YES, emit_transpose, NULL, NULL, 0, NULL},
    [OP_SOFTMAX] = {OP_WRITE_YES, emit_softmax, NULL, NULL, 0, NULL},
    [OP_MATMUL] = {OP_WRITE_YES, emit_simple, "MatMul", "opset1", 2, "transpose_a=false;transpose_b=false"},
    [OP_GEMM] = {OP_WRITE_YES, emit_gemm, NULL, NULL, 0, NULL},
    [OP_FLATTEN] = {OP_WRITE_YES, emit_flatten, NULL, NULL, 0, NULL},
    [OP_IDENTITY] = {OP_WRITE_YES, emit_alias, NULL, NULL, 0, NULL},
    [OP_CONSTANT] = {OP_WRITE_YES, emit_constant, NULL, NULL, 0, NULL},
    [OP_CAST] = {OP_WRITE_YES, emit_cast, NULL, NULL, 0, NULL},
    [OP_SHAPE] = {OP_WRITE_YES, emit_shape, NULL, NULL, 0, NULL},
    [OP_GATHER] = {OP_WRITE_YES, emit_gather, NULL, NULL, 0, NULL},
    [OP_UNSQUEEZE] = {OP_WRITE_YES, emit_axes_op, "Unsqueeze", NULL, 0, NULL},
    [OP_SQUEEZE] = {OP_WRITE_YES, emit_axes_op, "Squeeze", NULL, 0, NULL},
    [OP_REDUCE_MAX] = {OP_WRITE_YES, emit_reduce, "ReduceMax", NULL, 0, NULL},
    [OP_ARGMAX] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_TOPK] = {OP_WRITE_YES, emit_topk, NULL, NULL, 0, NULL},
    [OP_NMS] = {OP_WRITE_YES, emit_nms, NULL, NULL, 0, NULL},
    [OP_GLOBAL_MAXPOOL] = {OP_WRITE_YES, emit_global_pool, "ReduceMax", NULL, 0, NULL},
    [OP_UPSAMPLE] = {OP_WRITE_YES, emit_resize, NULL, NULL, 0, NULL},
    [OP_SWISH] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_EXP] = {OP_WRITE_YES, emit_simple, "Exp", "opset1", 1, NULL},
    [OP_LOG] = {OP_WRITE_YES, emit_simple, "Log", "opset1", 1, NULL},
    [OP_SQRT] = {OP_WRITE_YES, emit_simple, "Sqrt", "opset1", 1, NULL},
    [OP_NEG] = {OP_WRITE_YES, emit_simple, "Negative", "opset1", 1, NULL},
    [OP_ABS] = {OP_WRITE_YES, emit_simple, "Abs", "opset1", 1, NULL},
    [OP_TANH] = {OP_WRITE_YES, emit_simple, "Tanh", "opset1", 1, NULL},
    [OP_FLOOR] = {OP_WRITE_YES, emit_simple, "Floor", "opset1", 1, NULL},
    [OP_CEIL] = {OP_WRITE_YES, emit_simple, "Ceiling", "opset1", 1, NULL},
    [OP_ROUND] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_RECIPROCAL] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_ERF] = {OP_WRITE_YES, emit_simple, "Erf", "opset1", 1, NULL},
    [OP_LEAKY_RELU] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_HARD_SIGMOID] = {OP_WRITE_YES, emit_hardsigmoid, NULL, NULL, 0, NULL},
    [OP_HARD_SWISH] = {OP_WRITE_YES, emit_simple, "HSwish", "opset4", 1, NULL},
    [OP_SIN] = {OP_WRITE_YES, emit_simple, "Sin", "opset1", 1, NULL},
    [OP_COS] = {OP_WRITE_YES, emit_simple, "Cos", "opset1", 1, NULL},
    [OP_SOFTPLUS] = {OP_WRITE_YES, emit_simple, "SoftPlus", "opset4", 1, NULL},
    [OP_GELU] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_ELU] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_SIGN] = {OP_WRITE_YES, emit_simple, "Sign", "opset1", 1, NULL},
    [OP_MISH] = {OP_WRITE_YES, emit_simple, "Mish", "opset4", 1, NULL},
    [OP_POW] = {OP_WRITE_YES, emit_simple, "Power", "opset1", 2 | BROADCAST, NULL},
    [OP_MIN] = {OP_WRITE_YES, emit_simple, "Minimum", "opset1", 2 | BROADCAST, NULL},
    [OP_MAX] = {OP_WRITE_YES, emit_simple, "Maximum", "opset1", 2 | BROADCAST, NULL},
    [OP_MOD] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_EQUAL] = {OP_WRITE_YES, emit_simple, "Equal", "opset1", 2 | BROADCAST, NULL},
    [OP_LESS] = {OP_WRITE_YES, emit_simple, "Less", "opset1", 2 | BROADCAST, NULL},
    [OP_GREATER] = {OP_WRITE_YES, emit_simple, "Greater", "opset1", 2 | BROADCAST, NULL},
    [OP_LESS_OR_EQUAL] = {OP_WRITE_YES, emit_simple, "LessEqual", "opset1", 2 | BROADCAST, NULL},
    [OP_GREATER_OR_EQUAL] = {OP_WRITE_YES, emit_simple, "GreaterEqual", "opset1", 2 | BROADCAST, NULL},
    [OP_AND] = {OP_WRITE_YES, emit_simple, "LogicalAnd", "opset1", 2 | BROADCAST, NULL},
    [OP_OR] = {OP_WRITE_YES, emit_simple, "LogicalOr", "opset1", 2 | BROADCAST, NULL},
    [OP_XOR] = {OP_WRITE_YES, emit_simple, "LogicalXor", "opset1", 2 | BROADCAST, NULL},
    [OP_NOT] = {OP_WRITE_YES, emit_simple, "LogicalNot", "opset1", 1, NULL},
    [OP_WHERE] = {OP_WRITE_YES, emit_simple, "Select", "opset1", 3 | BROADCAST, NULL},
    [OP_CLIP] = {OP_WRITE_YES, emit_clip, NULL, NULL, 0, NULL},
    [OP_LOG_SOFTMAX] = {OP_WRITE_YES, emit_logsoftmax, NULL, NULL, 0, NULL},
    [OP_HARDMAX] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_REDUCE_MIN] = {OP_WRITE_YES, emit_reduce, "ReduceMin", NULL, 0, NULL},
    [OP_REDUCE_SUM] = {OP_WRITE_YES, emit_reduce, "ReduceSum", NULL, 0, NULL},
    [OP_REDUCE_MEAN] = {OP_WRITE_YES, emit_reduce, "ReduceMean", NULL, 0, NULL},
    [OP_REDUCE_PROD] = {OP_WRITE_YES, emit_reduce, "ReduceProd", NULL, 0, NULL},
    [OP_REDUCE_SUM_SQUARE] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_REDUCE_LOG_SUM] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_REDUCE_LOG_SUM_EXP] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_REDUCE_L1] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_REDUCE_L2] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_ARGMIN] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_DROPOUT] = {OP_WRITE_YES, emit_alias, NULL, NULL, 0, NULL},
    [OP_SIZE] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_GATHER_ELEMENTS] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_EXPAND] = {OP_WRITE_YES, emit_simple, "Broadcast", "opset3", 2 | RAW_INPUTS, "mode=bidirectional"},
    [OP_TILE] = {OP_WRITE_YES, emit_simple, "Tile", "opset1", 2, NULL},
    [OP_RANGE] = {OP_WRITE_YES, emit_range, NULL, NULL, 0, NULL},
    [OP_CONSTANT_OF_SHAPE] = {OP_WRITE_YES, emit_constant_of_shape, NULL, NULL, 0, NULL},
    [OP_PAD] = {OP_WRITE_YES, emit_pad, NULL, NULL, 0, NULL},
    [OP_QUANTIZE_LINEAR] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_DEQUANTIZE_LINEAR] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_FAKE_QUANTIZE] = {OP_WRITE_YES, emit_fake_quantize, NULL, NULL, 0, NULL},
    [OP_GRID_SAMPLE] = {OP_WRITE_YES, emit_grid_sample, NULL, NULL, 0, NULL},
    [OP_SCATTER_UPDATE] = {OP_WRITE_YES, emit_scatter_update, NULL, NULL, 0, NULL},
    [OP_CUMSUM] = {OP_WRITE_NO, NULL, NULL, NULL, 0, NULL},
    [OP_OTHER] = {OP_WRITE_VERBATIM, emit_verbatim, NULL, NULL, 0, NULL},
};
static_assert(ARRAY_LEN(op_maps) == OP_COUNT, "the OpenVINO writer's op table has a row per OpKind");

OpWriteSupport openvino_write_op_support(OpKind op) { return (unsigned)op < OP_COUNT ? op_maps[op].support : OP_WRITE_UNSET; }

OpWriteSupport ovw_node_support(const Node *n)
{
    OpWriteSupport s = openvino_write_op_support(n->op);
    if (s == OP_WRITE_VERBATIM) return n->domain && !strncmp(n->domain, "openvino", 8) ? OP_WRITE_YES : OP_WRITE_NO;
    return s;
}

int ovw_emit_node(W *w, const Node *n)
{
    if (ovw_node_support(n) != OP_WRITE_YES) return ovw_fail(w, n, "no OpenVINO mapping for op '%s'", node_op_name(n));
    if (n->op != OP_OTHER && n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
        return ovw_fail(w, n, "ops of domain '%s' have no OpenVINO mapping", n->domain);
    return op_maps[n->op].fn(w, n, &op_maps[n->op]);
}

