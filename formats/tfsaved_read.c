/* tfsaved_read: a frozen TensorFlow GraphDef (a `.pb`, or the graph of a SavedModel's
 * saved_model.pb) read into the Graph IR, for the op set yoloport's TensorFlow lowering writes
 * (formats/tfgraph.h) -- TensorFlow's own NHWC semantics, so any frozen graph made of those
 * ops reads the same way.
 *
 * Layout.  The IR's convolutions, pools and resizes are NCHW: each such TF op becomes
 * Transpose(to NCHW) -> op -> Transpose(to NHWC), and everything else keeps TensorFlow's axes
 * (engine/passes' pass_sink_transposes removes the pairs before a run).  A BiasAdd that is the
 * only reader of a convolution becomes that convolution's bias.
 *
 * Shapes.  A GraphDef records the Placeholder's shape and the constants' shapes only: other
 * tensors are left unknown (rank 0, as an ONNX file without value_info), for shape inference
 * to fill.  The reader tracks ranks itself where an op needs one (MatMul's transposed operands).
 * A Placeholder of unknown height and width (dynamic=True) reads as such: the graph then holds
 * its shape arithmetic (Shape, StridedSlice, Mul into a resize's size; Cumsum for the anchors).
 *
 * Untrusted input.  The protobuf is parsed by protobuf-c; every count, shape, axis and
 * constant's byte size is checked before use; node order may be any (a node is read once its
 * inputs are); a graph that does not resolve (a cycle, a missing input) is refused by name. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fileio.h"
#include "engine/core/membudget.h"
#include "formats/openvino.h"
#include "formats/tfsaved.h"
#include "formats/tfsaved_impl.h"

#define TF_READ_MAX_FILE ((size_t)2 << 30)
#define TF_READ_MAX_NODES 200000
#define TF_READ_MAX_OUTPUTS 1024
#define TF_META_MAX ((size_t)1 << 20)

typedef Tensorflow__NodeDef NodeDef;
typedef Tensorflow__AttrValue AttrValue;

typedef struct {
    Graph *g;
    const Tensorflow__GraphDef *gd;
    const char *name;      /* the file, for messages */
    StrMap names;          /* TF node name -> index in gd */
    int **outs;            /* per TF node: its IR output tensors (NULL until read) */
    int *n_outs;
    int *users;            /* per TF node: inputs naming its output 0 */
    int *user;             /* per TF node: one node reading its output 0 */
    bool *absorbed;        /* per TF node: a BiasAdd read into the convolution before it */
    const char *const *outputs; /* the outputs asked for by name (a node named there keeps its own output) */
    int n_outputs;
    int *rank;             /* per IR tensor: the rank the reader knows (-1 unknown) */
    int n_rank;
    StrMap modules;
    int root_module;
    char msg[512];         /* the current node's problem */
} Rd;

static const int64_t TO_NCHW[4] = {0, 3, 1, 2}, TO_NHWC[4] = {0, 2, 3, 1};

/* ---- small helpers -------------------------------------------------------------------- */
static int fail(Rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(Rd *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static void set_rank(Rd *r, int t, int rank)
{
    if (t < 0) return;
    if (t >= r->n_rank) {
        int n = r->n_rank ? r->n_rank : 256;
        while (n <= t) n *= 2;
        r->rank = xrealloc(r->rank, sizeof(int) * (size_t)n);
        for (int i = r->n_rank; i < n; i++) r->rank[i] = -1;
        r->n_rank = n;
    }
    r->rank[t] = rank;
}

static int rank_of(const Rd *r, int t)
{
    if (t < 0) return -1;
    if (r->g->tensors[t].rank > 0 || r->g->tensors[t].data) return r->g->tensors[t].rank;
    return t < r->n_rank ? r->rank[t] : -1;
}

/* An activation whose shape inference fills (rank: what the reader knows of it, or -1). */
static int act(Rd *r, const char *name, int rank)
{
    int t = graph_add_tensor(r->g, name, DT_UNDEFINED, 0, NULL);
    set_rank(r, t, rank);
    return t;
}

static int node(Rd *r, OpKind op, const char *name, const int *in, int nin, const int *out, int nout)
{
    const char *path = name && name[0] != '/' && strchr(name, '/') ? arena_printf(r->g->arena, "/%s", name) : name;
    int mod = graph_module_for_name(r->g, &r->modules, path, "graph", &r->root_module);
    return graph_add_node(r->g, op, NULL, name, mod, in, nin, out, nout);
}

static int const_i64(Rd *r, const char *name, const int64_t *v, int n)
{
    int64_t d = n;
    return graph_add_const(r->g, name, DT_I64, 1, &d, v);
}

static int transpose(Rd *r, const char *name, int x, const int64_t *perm)
{
    int y = act(r, name, 4);
    int ni = node(r, OP_TRANSPOSE, name, &x, 1, &y, 1);
    node_set_ints(r->g, ni, "perm", perm, 4);
    return y;
}

/* An NCHW op's result t back to TF node n's NHWC output y. */
static int to_nhwc(Rd *r, const NodeDef *n, int t, int y)
{
    int yn = node(r, OP_TRANSPOSE, arena_printf(r->g->arena, "%s/to_nhwc", n->name), &t, 1, &y, 1);
    node_set_ints(r->g, yn, "perm", TO_NHWC, 4);
    set_rank(r, y, 4);
    return 0;
}

static const AttrValue *attr(const NodeDef *n, const char *key)
{
    for (size_t i = 0; i < n->n_attr; i++)
        if (n->attr[i] && n->attr[i]->key && !strcmp(n->attr[i]->key, key)) return n->attr[i]->value;
    return NULL;
}

/* A string attribute into buf ("" when absent or not a string). */
static const char *attr_s(const NodeDef *n, const char *key, char *buf, size_t len)
{
    const AttrValue *v = attr(n, key);
    buf[0] = '\0';
    if (v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_S) {
        size_t k = v->s.len < len - 1 ? v->s.len : len - 1;
        memcpy(buf, v->s.data, k);
        buf[k] = '\0';
        if (strlen(buf) != k) buf[0] = '\0'; /* a NUL inside: no valid name */
    }
    return buf;
}

static int64_t attr_i(const NodeDef *n, const char *key, int64_t dflt)
{
    const AttrValue *v = attr(n, key);
    return v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_I ? v->i : dflt;
}

static bool attr_b(const NodeDef *n, const char *key, bool dflt)
{
    const AttrValue *v = attr(n, key);
    return v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_B ? v->b : dflt;
}

static double attr_f(const NodeDef *n, const char *key, double dflt)
{
    const AttrValue *v = attr(n, key);
    return v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_F ? v->f : dflt;
}

/* An integer list attribute: its count (-1 absent or too long). */
static int attr_ints(const NodeDef *n, const char *key, int64_t *out, int max)
{
    const AttrValue *v = attr(n, key);
    if (!v || v->value_case != TENSORFLOW__ATTR_VALUE__VALUE_LIST || !v->list || v->list->n_i > (size_t)max) return -1;
    for (size_t i = 0; i < v->list->n_i; i++) out[i] = v->list->i[i];
    return (int)v->list->n_i;
}

static DType dtype_of(int tf)
{
    switch (tf) {
    case TENSORFLOW__DATA_TYPE__DT_FLOAT: return DT_F32;
    case TENSORFLOW__DATA_TYPE__DT_INT32: return DT_I32;
    case TENSORFLOW__DATA_TYPE__DT_INT64: return DT_I64;
    case TENSORFLOW__DATA_TYPE__DT_BOOL: return DT_BOOL;
    case TENSORFLOW__DATA_TYPE__DT_HALF: return DT_F16;
    case TENSORFLOW__DATA_TYPE__DT_UINT8: return DT_U8;
    case TENSORFLOW__DATA_TYPE__DT_INT8: return DT_I8;
    default: return DT_UNDEFINED;
    }
}

/* ---- constants ------------------------------------------------------------------------ */

/* Const node n as an IR constant (its values as stored: tensor_content, or the typed value
 * list, one value standing for all). */
static int read_const(Rd *r, const NodeDef *n)
{
    const AttrValue *v = attr(n, "value");
    if (!v || v->value_case != TENSORFLOW__ATTR_VALUE__VALUE_TENSOR || !v->tensor) return fail(r, "a Const without a tensor value");
    const Tensorflow__TensorProto *t = v->tensor;
    DType dt = dtype_of(t->dtype);
    if (dt == DT_UNDEFINED) return fail(r, "constant of TensorFlow type %d is not read", t->dtype);
    int rank = t->tensor_shape ? (int)t->tensor_shape->n_dim : 0;
    if (rank > GRAPH_MAX_RANK) return fail(r, "constant of rank %d (at most %d)", rank, GRAPH_MAX_RANK);
    int64_t dims[GRAPH_MAX_RANK], numel = 1;
    for (int i = 0; i < rank; i++) {
        dims[i] = t->tensor_shape->dim[i] ? t->tensor_shape->dim[i]->size : -1;
        if (dims[i] < 0 || dims[i] > ((int64_t)1 << 31)) return fail(r, "constant dim %d is %lld", i, (long long)dims[i]);
        if (dims[i] && numel > ((int64_t)1 << 31) / dims[i]) return fail(r, "constant too large");
        numel *= dims[i];
    }
    size_t es = dtype_size(dt), bytes = (size_t)numel * es;
    void *data = xcalloc(bytes ? bytes : 1, 1);
    int rc = 0;
    if (t->tensor_content.len) {
        if (t->tensor_content.len != bytes)
            rc = fail(r, "its tensor holds %zu bytes, its shape and type want %zu", t->tensor_content.len, bytes);
        else memcpy(data, t->tensor_content.data, bytes);
    } else {
        /* typed lists: exactly numel values, or one standing for all (TensorFlow's rule) */
        size_t nv = dt == DT_F32 ? t->n_float_val : dt == DT_I64 ? t->n_int64_val : dt == DT_BOOL ? t->n_bool_val
                  : dt == DT_F16 ? t->n_half_val : t->n_int_val;
        if (numel && nv != (size_t)numel && nv != 1) rc = fail(r, "its tensor lists %zu values for %lld elements", nv, (long long)numel);
        for (int64_t i = 0; !rc && nv && i < numel; i++) {
            size_t k = nv == 1 ? 0 : (size_t)i;
            switch (dt) {
            case DT_F32: ((float *)data)[i] = t->float_val[k]; break;
            case DT_I64: ((int64_t *)data)[i] = t->int64_val[k]; break;
            case DT_BOOL: ((uint8_t *)data)[i] = t->bool_val[k] != 0; break;
            case DT_F16: ((uint16_t *)data)[i] = (uint16_t)t->half_val[k]; break;
            case DT_I32: ((int32_t *)data)[i] = t->int_val[k]; break;
            case DT_U8: ((uint8_t *)data)[i] = (uint8_t)t->int_val[k]; break;
            case DT_I8: ((int8_t *)data)[i] = (int8_t)t->int_val[k]; break;
            default: break;
            }
        }
    }
    if (rc) {
        free(data);
        return -1;
    }
    int c = graph_add_const(r->g, n->name, dt, rank, dims, data);
    free(data);
    return c;
}

/* The constant integers of IR tensor t (count, or -1 when t is not an integer constant). */
static int const_ints(Rd *r, int t, int64_t *out, int max)
{
    if (t < 0) return -1;
    const Tensor *c = &r->g->tensors[t];
    if (!c->data) return -1;
    int64_t n = tensor_numel(c);
    if (n < 0 || n > max) return -1;
    for (int64_t i = 0; i < n; i++) {
        if (c->dtype == DT_I32) out[i] = ((const int32_t *)c->data)[i];
        else if (c->dtype == DT_I64) out[i] = ((const int64_t *)c->data)[i];
        else return -1;
    }
    return (int)n;
}

/* ---- spatial ops ------------------------------------------------------------------------ */

/* strides/ksize/dilations of an NHWC op (4 entries, batch and channel 1): h and w. */
static int hw_attr(Rd *r, const NodeDef *n, const char *key, int64_t *hw, bool required)
{
    int64_t v[4];
    int c = attr_ints(n, key, v, 4);
    if (c < 0 && !required) {
        hw[0] = hw[1] = 1;
        return 0;
    }
    if (c != 4 || v[0] != 1 || v[3] != 1) return fail(r, "%s must be [1, h, w, 1]", key);
    if (v[1] < 1 || v[2] < 1 || v[1] > 4096 || v[2] > 4096) return fail(r, "%s must be in 1..4096", key);
    hw[0] = v[1], hw[1] = v[2];
    return 0;
}

static int nhwc_only(Rd *r, const NodeDef *n)
{
    char df[16];
    attr_s(n, "data_format", df, sizeof df);
    if (df[0] && strcmp(df, "NHWC")) return fail(r, "data_format %s (NHWC is read)", df);
    return 0;
}

/* padding: VALID (pads 0), SAME (auto_pad SAME_UPPER), EXPLICIT (explicit_paddings) on node ni. */
static int set_padding(Rd *r, const NodeDef *n, int ni)
{
    char pad[16];
    attr_s(n, "padding", pad, sizeof pad);
    if (!strcmp(pad, "SAME")) {
        node_set_string(r->g, ni, "auto_pad", "SAME_UPPER");
    } else if (!strcmp(pad, "EXPLICIT")) {
        int64_t p[8];
        if (attr_ints(n, "explicit_paddings", p, 8) != 8 || p[0] || p[1] || p[6] || p[7])
            return fail(r, "explicit_paddings must be [0, 0, top, bottom, left, right, 0, 0]");
        for (int i = 2; i < 6; i++)
            if (p[i] < 0 || p[i] > 4096) return fail(r, "explicit_paddings must be in 0..4096");
        node_set_ints(r->g, ni, "pads", (int64_t[]){p[2], p[4], p[3], p[5]}, 4);
    } else if (!strcmp(pad, "VALID")) {
        node_set_ints(r->g, ni, "pads", (int64_t[]){0, 0, 0, 0}, 4);
    } else {
        return fail(r, "padding '%s' (VALID, SAME or EXPLICIT are read)", pad);
    }
    return 0;
}

/* The bias a sole BiasAdd reader adds to TF node i's output (an IR constant of count values),
 * marking that BiasAdd absorbed; -1 when there is none. */
static int absorb_bias(Rd *r, int i, int64_t count)
{
    if (r->users[i] != 1 || r->user[i] < 0) return -1;
    size_t nl = strlen(r->gd->node[i]->name);
    for (int k = 0; k < r->n_outputs; k++) /* "conv" or "conv:0" is an output: it stays without the bias */
        if (!strncmp(r->outputs[k], r->gd->node[i]->name, nl) && (!r->outputs[k][nl] || r->outputs[k][nl] == ':')) return -1;
    const NodeDef *b = r->gd->node[r->user[i]];
    if (strcmp(b->op, "BiasAdd") || b->n_input != 2) return -1;
    char df[16];
    attr_s(b, "data_format", df, sizeof df);
    if (df[0] && strcmp(df, "NHWC")) return -1;
    char ref[512];
    snprintf(ref, sizeof ref, "%s", b->input[1]);
    char *colon = strrchr(ref, ':');
    if (colon && colon != ref) *colon = '\0';
    int bi = strmap_get(&r->names, ref);
    if (bi < 0 || strcmp(r->gd->node[bi]->op, "Const")) return -1;
    if (!r->outs[bi]) return -1; /* read later: left as an Add */
    int t = r->outs[bi][0];
    const Tensor *bt = &r->g->tensors[t];
    if (!bt->data || bt->dtype != DT_F32 || bt->rank != 1 || bt->dims[0] != count) return -1;
    r->absorbed[r->user[i]] = true;
    return t;
}

/* Conv2D / DepthwiseConv2dNative (and TF.js's fused forms, bias as input 2). */
static int rd_conv(Rd *r, int i, const int *in, int nin, int y)
{
    const NodeDef *n = r->gd->node[i];
    bool dw = strstr(n->op, "Depthwise") != NULL;
    if (nin < 2 || nhwc_only(r, n)) return r->msg[0] ? -1 : fail(r, "needs an input and a filter");
    const Tensor *W = &r->g->tensors[in[1]];
    if (!W->data || W->dtype != DT_F32 || W->rank != 4) return fail(r, "the filter must be a float32 constant of rank 4");
    int64_t kh = W->dims[0], kw = W->dims[1], I = W->dims[2], O = W->dims[3];
    if (kh < 1 || kw < 1 || I < 1 || O < 1) return fail(r, "empty filter");
    int64_t cout = dw ? I * O : O;
    float *wd = xmalloc(sizeof(float) * (size_t)(kh * kw * I * O));
    const float *src = W->data;
    int64_t wdims[4];
    if (dw) { /* [kh, kw, C, M] -> [C*M, 1, kh, kw], output channel c*M + m */
        for (int64_t c = 0; c < I; c++)
            for (int64_t m = 0; m < O; m++)
                for (int64_t k = 0; k < kh * kw; k++) wd[(c * O + m) * kh * kw + k] = src[(k * I + c) * O + m];
        wdims[0] = cout, wdims[1] = 1, wdims[2] = kh, wdims[3] = kw;
    } else { /* HWIO -> OIHW */
        for (int64_t o = 0; o < O; o++)
            for (int64_t c = 0; c < I; c++)
                for (int64_t k = 0; k < kh * kw; k++) wd[(o * I + c) * kh * kw + k] = src[(k * I + c) * O + o];
        wdims[0] = O, wdims[1] = I, wdims[2] = kh, wdims[3] = kw;
    }
    int w = graph_add_const(r->g, arena_printf(r->g->arena, "%s/weight", n->name), DT_F32, 4, wdims, wd);
    free(wd);
    r->g->tensors[w].is_param = true;
    int b = -1;
    if (nin > 2) { /* TF.js's fused convolution: BiasAdd as input 2 */
        char fo[32] = "";
        const AttrValue *f = attr(n, "fused_ops");
        if (f && f->value_case == TENSORFLOW__ATTR_VALUE__VALUE_LIST && f->list && f->list->n_s == 1 && f->list->s[0].len < sizeof fo) {
            memcpy(fo, f->list->s[0].data, f->list->s[0].len);
            fo[f->list->s[0].len] = '\0';
        }
        if (strcmp(fo, "BiasAdd")) return fail(r, "fused_ops other than [BiasAdd] are not read");
        b = in[2];
    } else {
        b = absorb_bias(r, i, cout);
    }
    if (b >= 0) {
        const Tensor *bt = &r->g->tensors[b];
        if (!bt->data || bt->dtype != DT_F32 || bt->rank != 1 || bt->dims[0] != cout)
            return fail(r, "the bias must be %lld float32 constants", (long long)cout);
        r->g->tensors[b].is_param = true;
    }
    int64_t st[2], dl[2];
    if (hw_attr(r, n, "strides", st, true) || hw_attr(r, n, "dilations", dl, false)) return -1;
    int xn = transpose(r, arena_printf(r->g->arena, "%s/to_nchw", n->name), in[0], TO_NCHW);
    int t = act(r, arena_printf(r->g->arena, "%s/nchw", n->name), 4);
    int ins[3] = {xn, w, b};
    int ni = node(r, OP_CONV, n->name, ins, b >= 0 ? 3 : 2, &t, 1);
    node_set_ints(r->g, ni, "strides", st, 2);
    node_set_ints(r->g, ni, "dilations", dl, 2);
    node_set_ints(r->g, ni, "kernel_shape", (int64_t[]){kh, kw}, 2);
    node_set_int(r->g, ni, "group", dw ? I : 1);
    if (set_padding(r, n, ni)) return -1;
    return to_nhwc(r, n, t, y);
}

/* Conv2DBackpropInput(input_sizes, filter [kh, kw, out, in], x): a ConvTranspose. */
static int rd_deconv(Rd *r, int i, const int *in, int nin, int y)
{
    const NodeDef *n = r->gd->node[i];
    if (nin != 3 || nhwc_only(r, n)) return r->msg[0] ? -1 : fail(r, "needs input_sizes, a filter and an input");
    int64_t os[4];
    if (const_ints(r, in[0], os, 4) != 4 || os[1] < 1 || os[2] < 1) return fail(r, "input_sizes must be 4 constant integers");
    const Tensor *W = &r->g->tensors[in[1]];
    if (!W->data || W->dtype != DT_F32 || W->rank != 4) return fail(r, "the filter must be a float32 constant of rank 4");
    int64_t kh = W->dims[0], kw = W->dims[1], Co = W->dims[2], Ci = W->dims[3];
    if (kh < 1 || kw < 1 || Co < 1 || Ci < 1) return fail(r, "empty filter");
    float *wd = xmalloc(sizeof(float) * (size_t)(kh * kw * Co * Ci));
    const float *src = W->data; /* [kh, kw, Co, Ci] -> [Ci, Co, kh, kw] */
    for (int64_t c = 0; c < Ci; c++)
        for (int64_t o = 0; o < Co; o++)
            for (int64_t k = 0; k < kh * kw; k++) wd[(c * Co + o) * kh * kw + k] = src[(k * Co + o) * Ci + c];
    int w = graph_add_const(r->g, arena_printf(r->g->arena, "%s/weight", n->name), DT_F32, 4, (int64_t[]){Ci, Co, kh, kw}, wd);
    free(wd);
    r->g->tensors[w].is_param = true;
    int b = absorb_bias(r, i, Co);
    if (b >= 0) r->g->tensors[b].is_param = true;
    int64_t st[2], dl[2];
    if (hw_attr(r, n, "strides", st, true) || hw_attr(r, n, "dilations", dl, false)) return -1;
    if (dl[0] != 1 || dl[1] != 1) return fail(r, "dilated transposed convolutions are not read");
    char pad[16];
    attr_s(n, "padding", pad, sizeof pad);
    int64_t top = 0, left = 0;
    if (!strcmp(pad, "EXPLICIT")) {
        int64_t p[8];
        if (attr_ints(n, "explicit_paddings", p, 8) != 8 || p[0] || p[1] || p[6] || p[7])
            return fail(r, "explicit_paddings must be [0, 0, top, bottom, left, right, 0, 0]");
        if (p[2] < 0 || p[4] < 0 || p[2] > 4096 || p[4] > 4096) return fail(r, "explicit_paddings must be in 0..4096");
        top = p[2], left = p[4];
    } else if (strcmp(pad, "SAME") && strcmp(pad, "VALID")) {
        return fail(r, "padding '%s' (VALID, SAME or EXPLICIT are read)", pad);
    }
    int xn = transpose(r, arena_printf(r->g->arena, "%s/to_nchw", n->name), in[2], TO_NCHW);
    int t = act(r, arena_printf(r->g->arena, "%s/nchw", n->name), 4);
    int ins[3] = {xn, w, b};
    int ni = node(r, OP_CONV_TRANSPOSE, n->name, ins, b >= 0 ? 3 : 2, &t, 1);
    node_set_ints(r->g, ni, "strides", st, 2);
    node_set_ints(r->g, ni, "kernel_shape", (int64_t[]){kh, kw}, 2);
    if (!strcmp(pad, "SAME")) {
        node_set_string(r->g, ni, "auto_pad", "SAME_UPPER");
        node_set_ints(r->g, ni, "output_shape", (int64_t[]){os[1], os[2]}, 2);
    } else {
        /* TensorFlow's result is the full transposed convolution cropped by top/left, then cut to
         * input_sizes (rows past the full result, up to stride - 1 of them, hold the bias alone):
         * the start cropped here, stride - 1 rows added at the end, then a Slice to the size */
        node_set_ints(r->g, ni, "pads", (int64_t[]){top, left, 0, 0}, 4);
        node_set_ints(r->g, ni, "output_padding", (int64_t[]){st[0] - 1, st[1] - 1}, 2);
        int full = t;
        t = act(r, arena_printf(r->g->arena, "%s/cut", n->name), 4);
        int sins[4] = {full, const_i64(r, arena_printf(r->g->arena, "%s/cut_starts", n->name), (int64_t[]){0, 0}, 2),
                       const_i64(r, arena_printf(r->g->arena, "%s/cut_ends", n->name), (int64_t[]){os[1], os[2]}, 2),
                       const_i64(r, arena_printf(r->g->arena, "%s/cut_axes", n->name), (int64_t[]){2, 3}, 2)};
        node(r, OP_SLICE, arena_printf(r->g->arena, "%s/cut", n->name), sins, 4, &t, 1);
    }
    return to_nhwc(r, n, t, y);
}

static int rd_pool(Rd *r, int i, const int *in, int nin, int y)
{
    const NodeDef *n = r->gd->node[i];
    if (nin != 1 || nhwc_only(r, n)) return r->msg[0] ? -1 : fail(r, "needs one input");
    int64_t k[2], st[2];
    if (hw_attr(r, n, "ksize", k, true) || hw_attr(r, n, "strides", st, true)) return -1;
    bool mx = !strcmp(n->op, "MaxPool");
    int xn = transpose(r, arena_printf(r->g->arena, "%s/to_nchw", n->name), in[0], TO_NCHW);
    int t = act(r, arena_printf(r->g->arena, "%s/nchw", n->name), 4);
    int ni = node(r, mx ? OP_MAXPOOL : OP_AVGPOOL, n->name, &xn, 1, &t, 1);
    node_set_ints(r->g, ni, "kernel_shape", k, 2);
    node_set_ints(r->g, ni, "strides", st, 2);
    char pad[16];
    attr_s(n, "padding", pad, sizeof pad);
    if (!strcmp(pad, "EXPLICIT")) return fail(r, "explicit pooling padding is not read");
    if (set_padding(r, n, ni)) return -1;
    return to_nhwc(r, n, t, y);
}

/* ResizeNearestNeighbor(x, size [h, w]): torch's nearest upsampling (asymmetric, floor); the
 * size constant, or computed (Shape -> StridedSlice -> Mul where the height and width are
 * dynamic). */
static int rd_resize(Rd *r, int i, const int *in, int nin, int y)
{
    const NodeDef *n = r->gd->node[i];
    if (nin != 2) return fail(r, "needs an input and a size");
    if (attr_b(n, "align_corners", false) || attr_b(n, "half_pixel_centers", false))
        return fail(r, "align_corners and half_pixel_centers are not read");
    int64_t hw[2];
    int nhw = const_ints(r, in[1], hw, 2);
    if (nhw >= 0 && (nhw != 2 || hw[0] < 1 || hw[1] < 1)) return fail(r, "the size must be 2 positive integers");
    if (nhw < 0 && rank_of(r, in[1]) > 1) return fail(r, "the size must be a vector of 2 integers");
    int xn = transpose(r, arena_printf(r->g->arena, "%s/to_nchw", n->name), in[0], TO_NCHW);
    int t = act(r, arena_printf(r->g->arena, "%s/nchw", n->name), 4);
    /* sizes: the input's batch and channels (Shape 0..2), then the constant h, w */
    int nc = act(r, arena_printf(r->g->arena, "%s/batch_channels", n->name), 1);
    int sn = node(r, OP_SHAPE, arena_printf(r->g->arena, "%s/Shape", n->name), &xn, 1, &nc, 1);
    node_set_int(r->g, sn, "start", 0);
    node_set_int(r->g, sn, "end", 2);
    int hwc;
    if (nhw == 2) {
        hwc = const_i64(r, arena_printf(r->g->arena, "%s/size", n->name), hw, 2);
    } else { /* computed in the graph (a dynamic height and width): as int64 */
        hwc = act(r, arena_printf(r->g->arena, "%s/size_i64", n->name), 1);
        int ci = node(r, OP_CAST, arena_printf(r->g->arena, "%s/size_i64", n->name), &in[1], 1, &hwc, 1);
        node_set_int(r->g, ci, "to", dtype_to_onnx(DT_I64));
    }
    int sizes = act(r, arena_printf(r->g->arena, "%s/sizes", n->name), 1);
    int cn = node(r, OP_CONCAT, arena_printf(r->g->arena, "%s/sizes", n->name), (int[]){nc, hwc}, 2, &sizes, 1);
    node_set_int(r->g, cn, "axis", 0);
    int ins[4] = {xn, -1, -1, sizes};
    int ni = node(r, OP_RESIZE, n->name, ins, 4, &t, 1);
    node_set_string(r->g, ni, "mode", "nearest");
    node_set_string(r->g, ni, "coordinate_transformation_mode", "asymmetric");
    node_set_string(r->g, ni, "nearest_mode", "floor");
    return to_nhwc(r, n, t, y);
}

/* ---- the rest: TensorFlow's axes kept -------------------------------------------------- */

static const struct {
    const char *tf;
    OpKind op;
    int n_in;
} simple_ops[] = {
    {"Identity", OP_IDENTITY, 1}, {"Sigmoid", OP_SIGMOID, 1}, {"Relu", OP_RELU, 1}, {"Tanh", OP_TANH, 1},
    {"Exp", OP_EXP, 1}, {"Log", OP_LOG, 1}, {"Sqrt", OP_SQRT, 1}, {"Neg", OP_NEG, 1}, {"Abs", OP_ABS, 1},
    {"Floor", OP_FLOOR, 1}, {"Erf", OP_ERF, 1}, {"Sin", OP_SIN, 1}, {"Cos", OP_COS, 1},
    {"Reciprocal", OP_RECIPROCAL, 1}, {"Softplus", OP_SOFTPLUS, 1}, {"Add", OP_ADD, 2}, {"AddV2", OP_ADD, 2},
    {"BiasAdd", OP_ADD, 2}, {"Sub", OP_SUB, 2}, {"Mul", OP_MUL, 2}, {"RealDiv", OP_DIV, 2}, {"Maximum", OP_MAX, 2},
    {"Minimum", OP_MIN, 2}, {"Pow", OP_POW, 2},
};

static int max_rank2(const Rd *r, const int *in, int nin)
{
    int m = -1;
    for (int k = 0; k < nin; k++) {
        int rk = rank_of(r, in[k]);
        if (rk < 0) return -1;
        if (rk > m) m = rk;
    }
    return m;
}

/* MatMul / BatchMatMulV2 operand, its last two axes swapped when flagged. */
static int matmul_operand(Rd *r, const char *name, int x, bool swap)
{
    if (!swap) return x;
    int rk = rank_of(r, x);
    if (rk < 2 || rk > GRAPH_MAX_RANK) return fail(r, "a transposed operand of unknown rank"), -2;
    int64_t perm[GRAPH_MAX_RANK];
    for (int k = 0; k < rk; k++) perm[k] = k;
    perm[rk - 2] = rk - 1, perm[rk - 1] = rk - 2;
    int y = act(r, name, rk);
    int ni = node(r, OP_TRANSPOSE, name, &x, 1, &y, 1);
    node_set_ints(r->g, ni, "perm", perm, rk);
    return y;
}

static int rd_op(Rd *r, int i, const int *in, int nin, int *y, int *ny)
{
    const NodeDef *n = r->gd->node[i];
    const char *op = n->op;
    Graph *g = r->g;
    *ny = 1;
    y[0] = act(r, n->name, -1);
    for (size_t k = 0; k < ARRAY_LEN(simple_ops); k++) {
        if (strcmp(op, simple_ops[k].tf)) continue;
        if (nin != simple_ops[k].n_in) return fail(r, "needs %d inputs", simple_ops[k].n_in);
        node(r, simple_ops[k].op, n->name, in, nin, y, 1);
        set_rank(r, y[0], max_rank2(r, in, nin));
        return 0;
    }
    if (!strcmp(op, "LeakyRelu")) {
        if (nin != 1) return fail(r, "needs one input");
        int ni = node(r, OP_LEAKY_RELU, n->name, in, 1, y, 1);
        node_set_float(g, ni, "alpha", attr_f(n, "alpha", 0.2));
        set_rank(r, y[0], rank_of(r, in[0]));
        return 0;
    }
    if (!strcmp(op, "Conv2D") || !strcmp(op, "DepthwiseConv2dNative") || !strcmp(op, "_FusedConv2D") ||
        !strcmp(op, "FusedDepthwiseConv2dNative"))
        return rd_conv(r, i, in, nin, y[0]);
    if (!strcmp(op, "Conv2DBackpropInput")) return rd_deconv(r, i, in, nin, y[0]);
    if (!strcmp(op, "MaxPool") || !strcmp(op, "AvgPool")) return rd_pool(r, i, in, nin, y[0]);
    if (!strcmp(op, "ResizeNearestNeighbor")) return rd_resize(r, i, in, nin, y[0]);
    if (!strcmp(op, "ConcatV2")) {
        int64_t axis;
        if (nin < 2 || const_ints(r, in[nin - 1], &axis, 1) != 1) return fail(r, "needs inputs and a constant axis");
        int ni = node(r, OP_CONCAT, n->name, in, nin - 1, y, 1);
        node_set_int(g, ni, "axis", axis);
        set_rank(r, y[0], max_rank2(r, in, nin - 1));
        return 0;
    }
    if (!strcmp(op, "SplitV")) {
        int64_t sizes[TF_READ_MAX_OUTPUTS], axis;
        int ns = nin == 3 ? const_ints(r, in[1], sizes, TF_READ_MAX_OUTPUTS) : -1;
        if (ns < 1 || const_ints(r, in[2], &axis, 1) != 1) return fail(r, "needs an input, constant sizes and a constant axis");
        for (int k = 0; k < ns; k++)
            if (sizes[k] < 0) return fail(r, "size_splits must be known (no -1)");
        if (attr_i(n, "num_split", ns) != ns) return fail(r, "num_split does not match the sizes");
        *ny = ns;
        for (int k = 1; k < ns; k++) y[k] = act(r, arena_printf(g->arena, "%s:%d", n->name, k), -1);
        int sz = const_i64(r, arena_printf(g->arena, "%s/split", n->name), sizes, ns);
        int ni = node(r, OP_SPLIT, n->name, (int[]){in[0], sz}, 2, y, ns);
        node_set_int(g, ni, "axis", axis);
        for (int k = 0; k < ns; k++) set_rank(r, y[k], rank_of(r, in[0]));
        return 0;
    }
    if (!strcmp(op, "StridedSlice")) {
        int64_t b[GRAPH_MAX_RANK], e[GRAPH_MAX_RANK], s[GRAPH_MAX_RANK], axes[GRAPH_MAX_RANK];
        int nb = nin == 4 ? const_ints(r, in[1], b, GRAPH_MAX_RANK) : -1;
        if (nb < 1 || const_ints(r, in[2], e, GRAPH_MAX_RANK) != nb || const_ints(r, in[3], s, GRAPH_MAX_RANK) != nb)
            return fail(r, "needs constant begin, end and strides of one length");
        if (attr_i(n, "ellipsis_mask", 0) || attr_i(n, "new_axis_mask", 0) || attr_i(n, "shrink_axis_mask", 0))
            return fail(r, "ellipsis, new-axis and shrink masks are not read");
        int64_t bm = attr_i(n, "begin_mask", 0), em = attr_i(n, "end_mask", 0);
        for (int k = 0; k < nb; k++) {
            if (s[k] == 0) return fail(r, "a stride of 0");
            if (bm >> k & 1) b[k] = s[k] > 0 ? 0 : INT64_MAX;
            if (em >> k & 1) e[k] = s[k] > 0 ? INT64_MAX : INT64_MIN;
            axes[k] = k;
        }
        int ins[5] = {in[0], const_i64(r, arena_printf(g->arena, "%s/starts", n->name), b, nb),
                      const_i64(r, arena_printf(g->arena, "%s/ends", n->name), e, nb),
                      const_i64(r, arena_printf(g->arena, "%s/axes", n->name), axes, nb),
                      const_i64(r, arena_printf(g->arena, "%s/steps", n->name), s, nb)};
        node(r, OP_SLICE, n->name, ins, 5, y, 1);
        set_rank(r, y[0], rank_of(r, in[0]));
        return 0;
    }
    if (!strcmp(op, "Reshape")) {
        int64_t sh[GRAPH_MAX_RANK];
        int ns = nin == 2 ? const_ints(r, in[1], sh, GRAPH_MAX_RANK) : -1;
        if (ns < 0) return fail(r, "the shape must be constant integers (rank at most %d)", GRAPH_MAX_RANK);
        int sc = const_i64(r, arena_printf(g->arena, "%s/shape", n->name), sh, ns);
        node(r, OP_RESHAPE, n->name, (int[]){in[0], sc}, 2, y, 1);
        set_rank(r, y[0], ns);
        return 0;
    }
    if (!strcmp(op, "ExpandDims")) {
        int64_t ax;
        if (nin != 2 || const_ints(r, in[1], &ax, 1) != 1) return fail(r, "needs an input and a constant axis");
        int a = const_i64(r, arena_printf(g->arena, "%s/axes", n->name), &ax, 1);
        node(r, OP_UNSQUEEZE, n->name, (int[]){in[0], a}, 2, y, 1);
        int rk = rank_of(r, in[0]);
        set_rank(r, y[0], rk < 0 ? -1 : rk + 1);
        return 0;
    }
    if (!strcmp(op, "Transpose")) {
        int64_t perm[GRAPH_MAX_RANK];
        int np = nin == 2 ? const_ints(r, in[1], perm, GRAPH_MAX_RANK) : -1;
        if (np < 1) return fail(r, "the permutation must be constant integers");
        int ni = node(r, OP_TRANSPOSE, n->name, in, 1, y, 1);
        node_set_ints(g, ni, "perm", perm, np);
        set_rank(r, y[0], np);
        return 0;
    }
    if (!strcmp(op, "Softmax")) {
        if (nin != 1) return fail(r, "needs one input");
        int ni = node(r, OP_SOFTMAX, n->name, in, 1, y, 1);
        node_set_int(g, ni, "axis", -1);
        set_rank(r, y[0], rank_of(r, in[0]));
        return 0;
    }
    if (!strcmp(op, "MatMul") || !strcmp(op, "BatchMatMulV2") || !strcmp(op, "BatchMatMul")) {
        if (nin != 2) return fail(r, "needs two inputs");
        bool plain = !strcmp(op, "MatMul");
        int a = matmul_operand(r, arena_printf(g->arena, "%s/a_t", n->name), in[0],
                               attr_b(n, plain ? "transpose_a" : "adj_x", false));
        int b = matmul_operand(r, arena_printf(g->arena, "%s/b_t", n->name), in[1],
                               attr_b(n, plain ? "transpose_b" : "adj_y", false));
        if (a < -1 || b < -1) return -1;
        node(r, OP_MATMUL, n->name, (int[]){a, b}, 2, y, 1);
        set_rank(r, y[0], max_rank2(r, in, 2));
        return 0;
    }
    if (!strcmp(op, "Mean") || !strcmp(op, "Max") || !strcmp(op, "Sum")) {
        int64_t axes[GRAPH_MAX_RANK];
        int na = nin == 2 ? const_ints(r, in[1], axes, GRAPH_MAX_RANK) : -1;
        if (na < 1) return fail(r, "the reduction axes must be constant integers");
        bool keep = attr_b(n, "keep_dims", false);
        OpKind k = op[1] == 'e' ? OP_REDUCE_MEAN : op[1] == 'a' ? OP_REDUCE_MAX : OP_REDUCE_SUM;
        int ni = node(r, k, n->name, in, 1, y, 1);
        node_set_ints(g, ni, "axes", axes, na);
        node_set_int(g, ni, "keepdims", keep);
        int rk = rank_of(r, in[0]);
        set_rank(r, y[0], rk < 0 ? -1 : keep ? rk : rk - na);
        return 0;
    }
    if (!strcmp(op, "ArgMax")) {
        int64_t ax;
        if (nin != 2 || const_ints(r, in[1], &ax, 1) != 1) return fail(r, "needs an input and a constant axis");
        int ni = node(r, OP_ARGMAX, n->name, in, 1, y, 1);
        node_set_int(g, ni, "axis", ax);
        node_set_int(g, ni, "keepdims", 0);
        int rk = rank_of(r, in[0]);
        set_rank(r, y[0], rk < 1 ? -1 : rk - 1);
        return 0;
    }
    if (!strcmp(op, "Cast")) {
        const AttrValue *v = attr(n, "DstT");
        DType to = v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TYPE ? dtype_of(v->type) : DT_UNDEFINED;
        if (nin != 1 || to == DT_UNDEFINED) return fail(r, "needs one input and a DstT this reader knows");
        int ni = node(r, OP_CAST, n->name, in, 1, y, 1);
        node_set_int(g, ni, "to", dtype_to_onnx(to));
        set_rank(r, y[0], rank_of(r, in[0]));
        return 0;
    }
    if (!strcmp(op, "Shape")) { /* the shape as int64 (Shape), then as out_type */
        const AttrValue *v = attr(n, "out_type");
        DType to = v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TYPE ? dtype_of(v->type) : DT_I32;
        if (nin != 1 || (to != DT_I32 && to != DT_I64)) return fail(r, "needs one input and an int32 or int64 out_type");
        int s64 = to == DT_I64 ? y[0] : act(r, arena_printf(g->arena, "%s/i64", n->name), 1);
        node(r, OP_SHAPE, to == DT_I64 ? n->name : arena_printf(g->arena, "%s/i64", n->name), in, 1, &s64, 1);
        if (to == DT_I32) {
            int ci = node(r, OP_CAST, n->name, &s64, 1, y, 1);
            node_set_int(g, ci, "to", dtype_to_onnx(DT_I32));
        }
        set_rank(r, y[0], 1);
        return 0;
    }
    if (!strcmp(op, "Cumsum")) {
        int64_t ax;
        if (nin != 2 || const_ints(r, in[1], &ax, 1) != 1) return fail(r, "needs an input and a constant axis");
        int rk = rank_of(r, in[0]);
        if (rk >= 0 && (ax < -rk || ax >= rk)) return fail(r, "axis %lld is out of range for rank %d", (long long)ax, rk);
        int a = graph_add_const(g, arena_printf(g->arena, "%s/axis", n->name), DT_I64, 0, NULL, &ax);
        int ni = node(r, OP_CUMSUM, n->name, (int[]){in[0], a}, 2, y, 1);
        node_set_int(g, ni, "exclusive", attr_b(n, "exclusive", false));
        node_set_int(g, ni, "reverse", attr_b(n, "reverse", false));
        set_rank(r, y[0], rk);
        return 0;
    }
    if (!strcmp(op, "PadV2") || !strcmp(op, "Pad")) {
        int64_t p[2 * GRAPH_MAX_RANK], onnx[2 * GRAPH_MAX_RANK];
        int np = nin >= 2 ? const_ints(r, in[1], p, 2 * GRAPH_MAX_RANK) : -1;
        if (np < 2 || np % 2 || (nin == 3) != !strcmp(op, "PadV2")) return fail(r, "needs constant [rank, 2] paddings");
        int rk = np / 2;
        for (int k = 0; k < rk; k++) {
            if (p[2 * k] < 0 || p[2 * k + 1] < 0 || p[2 * k] > 65536 || p[2 * k + 1] > 65536)
                return fail(r, "paddings must be in 0..65536");
            onnx[k] = p[2 * k], onnx[rk + k] = p[2 * k + 1];
        }
        int ins[3] = {in[0], const_i64(r, arena_printf(g->arena, "%s/pads", n->name), onnx, np), nin == 3 ? in[2] : -1};
        node(r, OP_PAD, n->name, ins, nin == 3 ? 3 : 2, y, 1);
        set_rank(r, y[0], rk);
        return 0;
    }
    return fail(r, "op %s is not read", op);
}

/* ---- the graph -------------------------------------------------------------------------- */

/* TF node index and output number named by ref ("name", "name:1"); -1 for a control input. */
static int resolve_ref(Rd *r, const char *ref, int *out_k)
{
    *out_k = 0;
    if (!ref || ref[0] == '^') return -1;
    char name[512];
    if (strlen(ref) >= sizeof name) return -2;
    snprintf(name, sizeof name, "%s", ref);
    char *colon = strrchr(name, ':');
    if (colon && colon != name && colon[1]) {
        char *end;
        long k = strtol(colon + 1, &end, 10);
        if (!*end && k >= 0 && k < TF_READ_MAX_OUTPUTS) {
            *colon = '\0';
            *out_k = (int)k;
        }
    }
    int i = strmap_get(&r->names, name);
    return i < 0 ? -2 : i;
}

static int read_graph(Rd *r, const char *const *outputs, int n_outputs, char *err, size_t errlen)
{
    const Tensorflow__GraphDef *gd = r->gd;
    size_t N = gd->n_node;
    if (N == 0) return err_set(err, errlen, "%s: the graph has no nodes", r->name);
    if (N > TF_READ_MAX_NODES) return err_set(err, errlen, "%s: %zu nodes (at most %d are read)", r->name, N, TF_READ_MAX_NODES);
    for (size_t i = 0; i < N; i++) {
        const NodeDef *n = gd->node[i];
        if (!n || !n->name || !*n->name || !n->op || !*n->op) return err_set(err, errlen, "%s: node %zu has no name or op", r->name, i);
        if (strlen(n->name) >= 500) return err_set(err, errlen, "%s: node %zu's name is too long", r->name, i);
        bool created;
        int *slot = strmap_slot(&r->names, n->name, &created);
        if (!created) return err_set(err, errlen, "%s: two nodes are named %s", r->name, n->name);
        *slot = (int)i;
    }
    r->outs = xcalloc(N, sizeof *r->outs);
    r->n_outs = xcalloc(N, sizeof *r->n_outs);
    r->users = xcalloc(N, sizeof *r->users);
    r->user = xcalloc(N, sizeof *r->user);
    r->absorbed = xcalloc(N, sizeof *r->absorbed);
    for (size_t i = 0; i < N; i++) r->user[i] = -1;
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < gd->node[i]->n_input; k++) {
            int ok, j = resolve_ref(r, gd->node[i]->input[k], &ok);
            if (j == -2) return err_set(err, errlen, "%s: %s: input %s names no node", r->name, gd->node[i]->name, gd->node[i]->input[k]);
            if (j >= 0 && ok == 0) r->users[j]++, r->user[j] = (int)i;
        }
    /* read in rounds: a node once its inputs are read (files list them in order: one round) */
    size_t done = 0;
    int in[TF_READ_MAX_OUTPUTS + 4], y[TF_READ_MAX_OUTPUTS];
    for (bool progress = true; progress && done < N;) {
        progress = false;
        for (size_t i = 0; i < N; i++) {
            const NodeDef *n = gd->node[i];
            if (r->outs[i]) continue;
            bool ready = true;
            int nin = 0;
            if (n->n_input > TF_READ_MAX_OUTPUTS) return err_set(err, errlen, "%s: %s: %zu inputs", r->name, n->name, n->n_input);
            for (size_t k = 0; k < n->n_input && ready; k++) {
                int ok, j = resolve_ref(r, n->input[k], &ok);
                if (j == -1) continue; /* control dependency */
                if (!r->outs[j]) ready = false;
                else if (ok >= r->n_outs[j])
                    return err_set(err, errlen, "%s: %s: input %s: %s has %d output%s", r->name, n->name, n->input[k],
                                   gd->node[j]->name, r->n_outs[j], r->n_outs[j] == 1 ? "" : "s");
                else in[nin++] = r->outs[j][ok];
            }
            if (!ready) continue;
            r->msg[0] = '\0';
            int ny = 1, rc = 0;
            if (!strcmp(n->op, "Const")) {
                y[0] = read_const(r, n);
                rc = y[0] < 0 ? -1 : 0;
            } else if (!strcmp(n->op, "Placeholder")) {
                const AttrValue *sh = attr(n, "shape"), *dt = attr(n, "dtype");
                int64_t dims[GRAPH_MAX_RANK];
                int rank = sh && sh->value_case == TENSORFLOW__ATTR_VALUE__VALUE_SHAPE && sh->shape && !sh->shape->unknown_rank
                               ? (int)sh->shape->n_dim : -1;
                if (rank < 0 || rank > GRAPH_MAX_RANK) rc = fail(r, "a Placeholder needs a known shape of rank at most %d", GRAPH_MAX_RANK);
                for (int k = 0; !rc && k < rank; k++) {
                    dims[k] = sh->shape->dim[k] ? sh->shape->dim[k]->size : -1;
                    if (dims[k] < -1 || dims[k] > 65536) rc = fail(r, "Placeholder dim %d is %lld", k, (long long)dims[k]);
                }
                DType d = dt && dt->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TYPE ? dtype_of(dt->type) : DT_F32;
                if (!rc) {
                    y[0] = graph_add_tensor(r->g, n->name, d == DT_UNDEFINED ? DT_F32 : d, rank, dims);
                    graph_add_input(r->g, y[0]);
                }
            } else if (!strcmp(n->op, "NoOp")) {
                ny = 0;
            } else if (r->absorbed[i]) { /* a BiasAdd the convolution before it took */
                y[0] = in[0];
            } else {
                rc = rd_op(r, (int)i, in, nin, y, &ny);
            }
            if (rc) return err_set(err, errlen, "%s: node '%s' (%s): %s", r->name, n->name, n->op, r->msg);
            r->outs[i] = xmalloc(sizeof(int) * (size_t)(ny ? ny : 1));
            memcpy(r->outs[i], y, sizeof(int) * (size_t)ny);
            r->n_outs[i] = ny;
            done++;
            progress = true;
        }
    }
    if (done < N) {
        for (size_t i = 0; i < N; i++)
            if (!r->outs[i]) return err_set(err, errlen, "%s: node '%s' never has its inputs (a cycle?)", r->name, gd->node[i]->name);
    }
    if (r->g->n_inputs != 1) return err_set(err, errlen, "%s: %d Placeholders (one image input is read)", r->name, r->g->n_inputs);
    /* outputs: as named, else every node nobody reads (Const and NoOp aside), in file order */
    for (int k = 0; k < n_outputs; k++) {
        int ok, j = resolve_ref(r, outputs[k], &ok);
        if (j < 0 || ok >= r->n_outs[j]) return err_set(err, errlen, "%s: output %s names no tensor of the graph", r->name, outputs[k]);
        graph_add_output(r->g, r->outs[j][ok]);
    }
    for (size_t i = 0; n_outputs == 0 && i < N; i++) {
        const char *op = gd->node[i]->op;
        if (r->users[i] == 0 && r->n_outs[i] > 0 && strcmp(op, "Const") && strcmp(op, "NoOp") && strcmp(op, "Placeholder") && !r->absorbed[i])
            graph_add_output(r->g, r->outs[i][0]);
    }
    if (r->g->n_outputs < 1) return err_set(err, errlen, "%s: the graph has no output", r->name);
    for (int k = 0; k < r->g->n_outputs; k++) r->g->tensors[r->g->outputs[k]].is_output = true;
    char why[512];
    if (graph_validate(r->g, why, sizeof why)) return err_set(err, errlen, "%s: %s", r->name, why);
    return 0;
}

static void rd_free(Rd *r)
{
    for (size_t i = 0; r->outs && i < r->gd->n_node; i++) free(r->outs[i]);
    free(r->outs);
    free(r->n_outs);
    free(r->users);
    free(r->user);
    free(r->absorbed);
    free(r->rank);
    strmap_free(&r->names);
    strmap_free(&r->modules);
}

Graph *tfsaved_read_graphdef(const Tensorflow__GraphDef *gd, const char *const *outputs, int n_outputs, FormatId fmt,
                            const char *name, const char *meta, size_t meta_len, char *err, size_t errlen)
{
    Rd r;
    memset(&r, 0, sizeof r);
    r.g = graph_new();
    r.gd = gd;
    r.name = name;
    r.root_module = -1;
    r.outputs = outputs;
    r.n_outputs = n_outputs;
    int rc = read_graph(&r, outputs, n_outputs, err, errlen);
    rd_free(&r);
    if (!rc && meta) {
        char why[512];
        if (openvino_metadata_read(r.g, meta, meta_len, "metadata.yaml", why, sizeof why))
            rc = err_set(err, errlen, "%s: %s", name, why);
    }
    if (rc) {
        graph_free(r.g);
        return NULL;
    }
    GraphMeta *m = &r.g->meta;
    m->source_format = fmt;
    m->source_path = arena_strdup(r.g->arena, name);
    if (gd->versions) graph_meta_add_prop(r.g, "tf.graph_def_producer", arena_printf(r.g->arena, "%d", gd->versions->producer));
    graph_meta_add_prop(r.g, "tf.nodes", arena_printf(r.g->arena, "%zu", gd->n_node));
    graph_count_module_params(r.g);
    return r.g;
}

Graph *tfsaved_read_pb_buffer(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen)
{
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, len, buf);
    if (!gd) {
        err_set(err, errlen, "%s: not a GraphDef (the protobuf does not parse)", name);
        return NULL;
    }
    Graph *g = tfsaved_read_graphdef(gd, NULL, 0, FMT_PB, name, NULL, 0, err, errlen);
    tensorflow__graph_def__free_unpacked(gd, NULL);
    return g;
}

static int key_cmp(const void *a, const void *b)
{
    return tf_key_order((*(Tensorflow__SignatureDef__OutputsEntry *const *)a)->key,
                        (*(Tensorflow__SignatureDef__OutputsEntry *const *)b)->key);
}

Graph *tfsaved_read_saved_model_buffer(const uint8_t *buf, size_t len, const char *meta, size_t meta_len, const char *name,
                                       char *err, size_t errlen)
{
    Tensorflow__SavedModel *sm = tensorflow__saved_model__unpack(NULL, len, buf);
    if (!sm) {
        err_set(err, errlen, "%s: not a SavedModel (the protobuf does not parse)", name);
        return NULL;
    }
    Graph *g = NULL;
    const Tensorflow__MetaGraphDef *mg = NULL;
    for (size_t i = 0; i < sm->n_meta_graphs && !mg; i++) {
        const Tensorflow__MetaGraphDef *c = sm->meta_graphs[i];
        for (size_t k = 0; c && c->meta_info_def && k < c->meta_info_def->n_tags; k++)
            if (c->meta_info_def->tags[k] && !strcmp(c->meta_info_def->tags[k], "serve") && c->graph_def) mg = c;
    }
    const Tensorflow__SignatureDef *sd = NULL;
    for (size_t i = 0; mg && i < mg->n_signature_def; i++)
        if (mg->signature_def[i] && mg->signature_def[i]->key && !strcmp(mg->signature_def[i]->key, "serving_default"))
            sd = mg->signature_def[i]->value;
    if (!mg) err_set(err, errlen, "%s: no meta graph tagged \"serve\" with a graph", name);
    else if (!sd || sd->n_outputs < 1 || sd->n_outputs > TF_READ_MAX_OUTPUTS)
        err_set(err, errlen, "%s: no serving_default signature with outputs", name);
    else {
        Tensorflow__SignatureDef__OutputsEntry **o = xmalloc(sizeof *o * sd->n_outputs);
        memcpy(o, sd->outputs, sizeof *o * sd->n_outputs);
        bool ok = true;
        for (size_t i = 0; i < sd->n_outputs; i++)
            ok &= o[i] && o[i]->key && o[i]->value && o[i]->value->encoding_case == TENSORFLOW__TENSOR_INFO__ENCODING_NAME &&
                  o[i]->value->name;
        if (!ok) {
            err_set(err, errlen, "%s: a serving_default output without a tensor name", name);
        } else {
            qsort(o, sd->n_outputs, sizeof *o, key_cmp);
            const char **names = xmalloc(sizeof(char *) * sd->n_outputs);
            for (size_t i = 0; i < sd->n_outputs; i++) names[i] = o[i]->value->name;
            g = tfsaved_read_graphdef(mg->graph_def, names, (int)sd->n_outputs, FMT_SAVED_MODEL, name, meta, meta_len, err, errlen);
            free(names);
        }
        free(o);
    }
    tensorflow__saved_model__free_unpacked(sm, NULL);
    return g;
}

Graph *tfsaved_read_pb(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *buf = file_read_all(path, TF_READ_MAX_FILE, &len, err, errlen);
    if (!buf) return NULL;
    Graph *g = tfsaved_read_pb_buffer((const uint8_t *)buf, len, path, err, errlen);
    free(buf);
    return g;
}

Graph *tfsaved_read_dir(const char *dir, char *err, size_t errlen)
{
    size_t len = 0, meta_len = 0;
    bool absent = false, meta_absent = false;
    uint8_t *buf = fileio_read_beside(dir, "saved_model.pb", TF_READ_MAX_FILE, &len, &absent, err, errlen);
    if (!buf) {
        if (absent) err_set(err, errlen, "%s: no saved_model.pb in the folder", dir);
        return NULL;
    }
    char msg[512];
    uint8_t *meta = fileio_read_beside(dir, "metadata.yaml", TF_META_MAX, &meta_len, &meta_absent, msg, sizeof msg);
    if (!meta && !meta_absent) {
        membudget_free(buf);
        err_set(err, errlen, "%s", msg);
        return NULL;
    }
    char *name = xasprintf("%s/saved_model.pb", dir);
    Graph *g = tfsaved_read_saved_model_buffer(buf, len, (const char *)meta, meta_len, name, err, errlen);
    free(name);
    membudget_free(buf);
    membudget_free(meta);
    return g;
}
