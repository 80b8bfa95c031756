/* openvino_map: phase 2 of the OpenVINO IR reader — the layers openvino_read.c parsed and
 * checked, in topological order, become the Graph IR's tensors and nodes through the
 * mapping table at the bottom (one handler per OpenVINO op; unknown ops are kept as
 * OP_OTHER with their attributes). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/openvino.h"
#include "formats/openvino_read_impl.h"

/* ---- phase 2: tensors and nodes --------------------------------------------------------- */

static bool dtype_floaty(DType t) { return t == DT_F32 || t == DT_F16 || t == DT_BF16 || t == DT_F64; }

/* A unique tensor name: the wanted one, else with the layer id appended. */
static const char *unique_name(R *r, const char *want, const RLayer *L, int port)
{
    if (strmap_get(&r->tensor_names, want) < 0) return arena_strdup(r->g->arena, want);
    for (int k = 0;; k++) {
        char *s = k ? arena_printf(r->g->arena, "%s:%d.%d.%d", want, L->id, port, k)
                    : arena_printf(r->g->arena, "%s:%d", want, L->id);
        if (strmap_get(&r->tensor_names, s) < 0) return s;
    }
}

static int new_tensor(R *r, const RLayer *L, int port, const char *want, DType dt, int rank, const int64_t *dims)
{
    const char *name = unique_name(r, want, L, port);
    int t = graph_add_tensor(r->g, name, dt, rank, dims);
    strmap_put(&r->tensor_names, r->g->tensors[t].name, t);
    return t;
}

/* The data of Const layer C as a tensor with the given shape (same bytes). */
static int const_tensor(R *r, const RLayer *C, const char *want, int rank, const int64_t *dims)
{
    int t = new_tensor(r, C, 0, want, C->ctype, rank, dims);
    Tensor *x = &r->g->tensors[t];
    const uint8_t *p = r->bin + C->offset;
    size_t es = dtype_size(C->ctype);
    if (C->size && es > 1 && ((uintptr_t)p % es)) {
        void *copy = arena_alloc(r->g->arena, C->size);
        memcpy(copy, p, C->size);
        x->data = copy;
    } else {
        x->data = C->size ? (void *)p : arena_alloc(r->g->arena, 1);
    }
    x->nbytes = C->size;
    return t;
}

/* The tensor of output port k of L, created on first use. */
static int out_tensor(R *r, RLayer *L, int k)
{
    RPort *p = &L->out[k];
    if (p->tensor >= 0) return p->tensor;
    const char *want = p->name;
    char *gen = NULL;
    if (!want) want = L->n_out == 1 ? L->name : (gen = xasprintf("%s:%d", L->name, p->id));
    if (!*want) want = gen = xasprintf("%s_%d:%d", L->type, L->id, p->id);
    if (!strcmp(L->type, "Const")) p->tensor = const_tensor(r, L, want, L->crank, L->cdims);
    else p->tensor = new_tensor(r, L, p->id, want, p->dtype != DT_UNDEFINED ? p->dtype : DT_F32, p->rank, p->dims);
    free(gen);
    return p->tensor;
}

static RLayer *src_layer(R *r, const RLayer *L, int k) { return &r->layers[L->in[k].src_layer]; }
static int in_tensor(R *r, const RLayer *L, int k) { return out_tensor(r, src_layer(r, L, k), L->in[k].src_port); }

/* Input k's Const layer when it comes straight from one, else NULL. */
static const RLayer *in_const(R *r, const RLayer *L, int k)
{
    if (k >= L->n_in) return NULL;
    const RLayer *S = src_layer(r, L, k);
    return strcmp(S->type, "Const") ? NULL : S;
}

/* Integer values of a Const (any int or float type): count, or -1. */
static int const_ints(R *r, const RLayer *C, int64_t *out, int max)
{
    if (!C) return -1;
    size_t es = dtype_size(C->ctype);
    if (!es || C->size / es > (size_t)max) return -1;
    int n = (int)(C->size / es);
    const uint8_t *p = r->bin + C->offset;
    for (int i = 0; i < n; i++, p += es) {
        switch (C->ctype) {
        case DT_I64: { int64_t v; memcpy(&v, p, 8); out[i] = v; break; }
        case DT_U64: { uint64_t v; memcpy(&v, p, 8); out[i] = (int64_t)v; break; }
        case DT_I32: { int32_t v; memcpy(&v, p, 4); out[i] = v; break; }
        case DT_U32: { uint32_t v; memcpy(&v, p, 4); out[i] = v; break; }
        case DT_I16: { int16_t v; memcpy(&v, p, 2); out[i] = v; break; }
        case DT_U16: { uint16_t v; memcpy(&v, p, 2); out[i] = v; break; }
        case DT_I8: out[i] = (int8_t)*p; break;
        case DT_U8: case DT_BOOL: out[i] = *p; break;
        case DT_F32: { float v; memcpy(&v, p, 4); if (!(v > -9e18f && v < 9e18f)) return -1; out[i] = (int64_t)v; break; }
        default: return -1;
        }
    }
    return n;
}

static bool const_float(R *r, const RLayer *C, double *out)
{
    if (!C || C->size != dtype_size(C->ctype)) return false;
    const uint8_t *p = r->bin + C->offset;
    if (C->ctype == DT_F32) { float f; memcpy(&f, p, 4); *out = f; return true; }
    if (C->ctype == DT_F16) { uint16_t h; memcpy(&h, p, 2); *out = half_to_float(h); return true; }
    int64_t i;
    if (const_ints(r, C, &i, 1) == 1) { *out = (double)i; return true; }
    return false;
}

/* The module of a layer, from its name path "/model.2/cv1/conv/Conv". */
static int module_for(R *r, const char *name)
{
    return graph_module_for_name(r->g, &r->modules, name, "graph", &r->root_module);
}

static int add_node(R *r, const RLayer *L, const char *name, OpKind op, const char *op_type, const int *ins, int nin,
                    const int *outs, int nout)
{
    name = name ? name : L->name;
    return graph_add_node(r->g, op, op_type, name, module_for(r, name), ins, nin, outs, nout);
}

/* ---- mapping handlers ---------------------------------------------------------------------- */

typedef struct RdMap RdMap;
/* 0 done, -1 error (message set), 1: no mapping for this form (kept as OP_OTHER). */
typedef int (*RdFn)(R *r, RLayer *L, const RdMap *m);
struct RdMap {
    const char *type; /* OpenVINO type */
    RdFn fn;
    OpKind op;        /* the IR op (OP_OTHER: the handler decides, or none) */
};

static int need_io(R *r, RLayer *L, int lo, int hi, int outs)
{
    if (L->n_in < lo || L->n_in > hi) return ovr_fail(r, L, "has %d inputs (expected %d to %d)", L->n_in, lo, hi);
    if (L->n_out < outs) return ovr_fail(r, L, "has %d outputs (expected %d)", L->n_out, outs);
    return 0;
}

/* Every data attribute kept as a string attribute. */
static void keep_attrs(R *r, const RLayer *L, int ni)
{
    for (xmlAttr *a = L->data ? L->data->properties : NULL; a; a = a->next) {
        xmlChar *v = xmlNodeListGetString(L->data->doc, a->children, 1);
        node_set_string(r->g, ni, (const char *)a->name, v ? (const char *)v : "");
        xmlFree(v);
    }
}

static int rd_other(R *r, RLayer *L, const RdMap *m)
{
    int *ins = xmalloc(sizeof(int) * (size_t)(L->n_in + 1)), *outs = xmalloc(sizeof(int) * (size_t)(L->n_out + 1));
    for (int k = 0; k < L->n_in; k++) ins[k] = in_tensor(r, L, k);
    for (int k = 0; k < L->n_out; k++) outs[k] = out_tensor(r, L, k);
    int ni = add_node(r, L, NULL, OP_OTHER, L->type, ins, L->n_in, outs, L->n_out);
    r->g->nodes[ni].op = OP_OTHER; /* an OpenVINO type, even where an ONNX op has its name */
    keep_attrs(r, L, ni);
    r->g->nodes[ni].domain = arena_printf(r->g->arena, "openvino:%s", *L->version ? L->version : "opset1");
    free(ins);
    free(outs);
    return 0;
}

/* FakeQuantize: five inputs, one output; levels and auto_broadcast kept as read (strings). */
static int rd_fake_quantize(R *r, RLayer *L, const RdMap *m)
{
    const char *bc = ovr_attr(r, L, "auto_broadcast");
    if (bc && strcmp(bc, "numpy") && strcmp(bc, "none")) return 1;
    if (need_io(r, L, 5, 5, 1)) return -1;
    int ins[5], out = out_tensor(r, L, 0);
    for (int k = 0; k < 5; k++) ins[k] = in_tensor(r, L, k);
    int ni = add_node(r, L, NULL, m->op, NULL, ins, 5, &out, 1);
    keep_attrs(r, L, ni);
    return 0;
}

/* Inputs in order, one output, no attributes (elementwise ops). */
static int rd_simple(R *r, RLayer *L, const RdMap *m)
{
    const char *bc = ovr_attr(r, L, "auto_broadcast");
    if (bc && strcmp(bc, "numpy") && strcmp(bc, "none")) return 1;
    if (need_io(r, L, 1, 3, 1)) return -1;
    int ins[3], out;
    for (int k = 0; k < L->n_in; k++) ins[k] = in_tensor(r, L, k);
    out = out_tensor(r, L, 0);
    add_node(r, L, NULL, m->op, NULL, ins, L->n_in, &out, 1);
    return 0;
}

static int rd_parameter(R *r, RLayer *L, const RdMap *m)
{
    if (L->n_out != 1) return ovr_fail(r, L, "a Parameter has %d outputs", L->n_out);
    const char *et = ovr_attr(r, L, "element_type");
    if (et) {
        DType dt = openvino_dtype_from_element_type(et);
        if (dt == DT_UNDEFINED) return ovr_fail(r, L, "element type '%.40s' is not supported", et);
        L->out[0].dtype = dt;
    }
    if (!L->out[0].name && *L->name) L->out[0].name = L->name;
    out_tensor(r, L, 0); /* graph inputs are listed in file order afterwards */
    return 0;
}

static int rd_const(R *r, RLayer *L, const RdMap *m) { return 0; /* tensors are made when used */ }

static int rd_result(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 1, 1, 0)) return -1;
    in_tensor(r, L, 0); /* graph outputs are listed in file order afterwards */
    return 0;
}

/* Convolution-like attributes into ONNX form.  sp: spatial dims. */
static int conv_attrs(R *r, RLayer *L, int ni, int sp, bool pool)
{
    static const struct { const char *ov, *onnx; } pads[] = {
        {"explicit", NULL}, {"notset", NULL}, {"same_upper", "SAME_UPPER"}, {"same_lower", "SAME_LOWER"}, {"valid", "VALID"}};
    int64_t v[GRAPH_MAX_RANK], pb[GRAPH_MAX_RANK] = {0}, pe[GRAPH_MAX_RANK] = {0}, all[2 * GRAPH_MAX_RANK];
    static const char *const lists[][2] = {{"strides", "strides"}, {"dilations", "dilations"}};
    for (size_t i = 0; i < ARRAY_LEN(lists); i++) {
        const char *s = ovr_attr(r, L, lists[i][0]);
        if (!s) continue;
        int c = ovr_parse_ints(s, v, GRAPH_MAX_RANK);
        if (c != sp) return ovr_fail(r, L, "%s '%.40s' does not have %d entries", lists[i][0], s, sp);
        for (int k = 0; k < c; k++)
            if (v[k] < 1 || v[k] > (1 << 20)) return ovr_fail(r, L, "%s '%.40s' is out of range", lists[i][0], s);
        node_set_ints(r->g, ni, lists[i][1], v, c);
    }
    const char *b = ovr_attr(r, L, "pads_begin"), *e = ovr_attr(r, L, "pads_end");
    if (b && ovr_parse_ints(b, pb, GRAPH_MAX_RANK) != sp) return ovr_fail(r, L, "pads_begin '%.40s' does not have %d entries", b, sp);
    if (e && ovr_parse_ints(e, pe, GRAPH_MAX_RANK) != sp) return ovr_fail(r, L, "pads_end '%.40s' does not have %d entries", e, sp);
    for (int k = 0; k < sp; k++) {
        if (pb[k] < 0 || pe[k] < 0 || pb[k] > (1 << 20) || pe[k] > (1 << 20)) return ovr_fail(r, L, "pads are out of range");
        all[k] = pb[k];
        all[k + sp] = pe[k];
    }
    const char *ap = ovr_attr(r, L, "auto_pad");
    const char *onnx_pad = NULL;
    bool known = !ap;
    for (size_t i = 0; ap && i < ARRAY_LEN(pads); i++)
        if (!strcasecmp(ap, pads[i].ov)) known = true, onnx_pad = pads[i].onnx;
    if (!known) return ovr_fail(r, L, "auto_pad '%.40s' is unknown", ap);
    if (onnx_pad) node_set_string(r->g, ni, "auto_pad", onnx_pad);
    else node_set_ints(r->g, ni, "pads", all, 2 * sp);
    (void)pool;
    return 0;
}

/* Add(conv, Const [1, M, 1, ...]) right after a convolution: the bias, folded into the node. */
static const RLayer *bias_add(R *r, RLayer *conv, int64_t M, RLayer **add_out)
{
    RPort *o = &conv->out[0];
    if (o->consumers != 1 || M < 1) return NULL;
    RLayer *A = &r->layers[o->first_consumer];
    if (strcmp(A->type, "Add") || A->n_in != 2 || A->n_out != 1 || A->skip) return NULL;
    const char *bc = ovr_attr(r, A, "auto_broadcast");
    if (bc && strcmp(bc, "numpy")) return NULL;
    const RLayer *C = in_const(r, A, 1 - o->first_consumer_port);
    if (!C || C->crank != o->rank || C->crank < 2 || C->cdims[1] != M) return NULL;
    for (int i = 0; i < C->crank; i++)
        if (i != 1 && C->cdims[i] != 1) return NULL;
    if (!dtype_floaty(C->ctype)) return NULL;
    *add_out = A;
    return C;
}

static int rd_conv(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 2, 2, 1)) return -1;
    bool grouped = !strncmp(L->type, "Group", 5);
    bool transposed = strstr(L->type, "BackpropData") != NULL;
    const RPort *wp = &src_layer(r, L, 1)->out[L->in[1].src_port];
    int wr = wp->rank;
    if (wr < 3 + grouped || wr > 5 + grouped) return ovr_fail(r, L, "weights have rank %d", wr);
    int sp = wr - 2 - grouped;
    int64_t wd[GRAPH_MAX_RANK], group = 1;
    if (grouped) {
        /* [G, A, B, k...] -> [G*A, B, k...] */
        group = wp->dims[0];
        if (group < 1 || wp->dims[1] < 0 || group > MAX_DIM / (wp->dims[1] ? wp->dims[1] : 1))
            return ovr_fail(r, L, "group count %lld is invalid for its weights", (long long)group);
        wd[0] = group * wp->dims[1];
        for (int i = 2; i < wr; i++) wd[i - 1] = wp->dims[i];
    } else {
        memcpy(wd, wp->dims, sizeof(int64_t) * (size_t)wr);
    }
    int rank = wr - grouped;
    for (int i = 2; i < rank; i++)
        if (wd[i] < 1 || wd[i] > (1 << 20)) return ovr_fail(r, L, "kernel dims are out of range");
    int wt;
    const RLayer *WC = in_const(r, L, 1);
    if (!grouped) {
        wt = in_tensor(r, L, 1);
    } else if (WC) {
        wt = const_tensor(r, WC, WC->name, rank, wd);
    } else {
        int src = in_tensor(r, L, 1);
        int64_t rd = rank;
        int shape = graph_add_const(r->g, arena_printf(r->g->arena, "%s/weights_shape", L->name), DT_I64, 1, &rd, wd);
        strmap_put(&r->tensor_names, r->g->tensors[shape].name, shape);
        wt = new_tensor(r, L, -1, arena_printf(r->g->arena, "%s/weights", L->name), r->g->tensors[src].dtype, rank, wd);
        int ins[2] = {src, shape};
        add_node(r, L, arena_printf(r->g->arena, "%s/weights", L->name), OP_RESHAPE, NULL, ins, 2, &wt, 1);
    }
    int64_t M = transposed ? wd[1] * group : wd[0];
    RLayer *A = NULL;
    const RLayer *B = bias_add(r, L, M, &A);
    int ins[3] = {in_tensor(r, L, 0), wt, -1}, nin = 2, out;
    const char *name = L->name;
    if (B) {
        ins[nin++] = const_tensor(r, B, B->name, 1, &M);
        out = out_tensor(r, A, 0);
        A->skip = true;
        name = A->name;
    } else {
        out = out_tensor(r, L, 0);
    }
    int ni = add_node(r, L, name, transposed ? OP_CONV_TRANSPOSE : OP_CONV, NULL, ins, nin, &out, 1);
    node_set_ints(r->g, ni, "kernel_shape", wd + 2, sp);
    if (conv_attrs(r, L, ni, sp, false)) return -1;
    if (group > 1) node_set_int(r->g, ni, "group", group);
    if (transposed) {
        const char *op = ovr_attr(r, L, "output_padding");
        int64_t v[GRAPH_MAX_RANK];
        if (op && *op) {
            if (ovr_parse_ints(op, v, GRAPH_MAX_RANK) != sp) return ovr_fail(r, L, "output_padding '%.40s' is malformed", op);
            node_set_ints(r->g, ni, "output_padding", v, sp);
        }
    }
    return 0;
}

static int rd_pool(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 1, 1, 1)) return -1;
    bool is_max = !strcmp(L->type, "MaxPool");
    const char *k = ovr_attr(r, L, "kernel");
    int64_t ks[GRAPH_MAX_RANK];
    int sp = k ? ovr_parse_ints(k, ks, GRAPH_MAX_RANK) : -1;
    if (sp < 1 || sp > 3) return ovr_fail(r, L, "kernel '%.40s' is missing or malformed", k ? k : "");
    for (int i = 0; i < sp; i++)
        if (ks[i] < 1 || ks[i] > (1 << 20)) return ovr_fail(r, L, "kernel '%.40s' is out of range", k);
    int in = in_tensor(r, L, 0);
    int outs[2] = {out_tensor(r, L, 0), -1}, nout = 1;
    if (is_max && L->n_out > 1 && L->out[1].consumers > 0) outs[nout++] = out_tensor(r, L, 1);
    int ni = add_node(r, L, NULL, is_max ? OP_MAXPOOL : OP_AVGPOOL, NULL, &in, 1, outs, nout);
    node_set_ints(r->g, ni, "kernel_shape", ks, sp);
    if (conv_attrs(r, L, ni, sp, true)) return -1;
    const char *rt = ovr_attr(r, L, "rounding_type");
    node_set_int(r->g, ni, "ceil_mode", rt && !strncasecmp(rt, "ceil", 4));
    if (!is_max) {
        const char *ex = ovr_attr(r, L, "exclude-pad");
        node_set_int(r->g, ni, "count_include_pad", !(ex && !strcasecmp(ex, "true")));
    }
    return 0;
}

/* ReduceX(data, axes) -> the ONNX op with axes and keepdims attributes; ReduceMean/Max over
 * every spatial axis with keep_dims is the global pool. */
static int rd_reduce(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 2, 2, 1)) return -1;
    int64_t axes[GRAPH_MAX_RANK];
    int na = const_ints(r, in_const(r, L, 1), axes, GRAPH_MAX_RANK);
    if (na < 0) return 1;
    const char *kd = ovr_attr(r, L, "keep_dims");
    bool keep = kd && !strcasecmp(kd, "true");
    int in = in_tensor(r, L, 0), out = out_tensor(r, L, 0);
    int xr = r->g->tensors[in].rank;
    bool global = keep && xr >= 3 && na == xr - 2 && (m->op == OP_REDUCE_MAX || m->op == OP_REDUCE_MEAN);
    for (int i = 0; global && i < na; i++) global = axes[i] == i + 2 || axes[i] == i + 2 - xr;
    if (global) {
        if (m->op == OP_REDUCE_MEAN) add_node(r, L, NULL, OP_GLOBAL_AVGPOOL, NULL, &in, 1, &out, 1);
        else add_node(r, L, NULL, OP_GLOBAL_MAXPOOL, NULL, &in, 1, &out, 1);
        return 0;
    }
    int ni = add_node(r, L, NULL, m->op, NULL, &in, 1, &out, 1);
    node_set_ints(r->g, ni, "axes", axes, na);
    node_set_int(r->g, ni, "keepdims", keep);
    return 0;
}

static int rd_axis_attr(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 1, INT_MAX, 1)) return -1;
    const char *a = ovr_attr(r, L, "axis");
    int64_t axis = 0;
    if (a && !str_to_i64(a, &axis)) return ovr_fail(r, L, "axis '%.40s' is not an integer", a);
    if (axis < -GRAPH_MAX_RANK || axis >= GRAPH_MAX_RANK) return ovr_fail(r, L, "axis %lld is out of range", (long long)axis);
    int *ins = xmalloc(sizeof(int) * (size_t)L->n_in);
    for (int k = 0; k < L->n_in; k++) ins[k] = in_tensor(r, L, k);
    int out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, m->op, NULL, ins, L->n_in, &out, 1);
    node_set_int(r->g, ni, "axis", axis);
    free(ins);
    return 0;
}

static int rd_split(R *r, RLayer *L, const RdMap *m)
{
    bool variadic = !strcmp(L->type, "VariadicSplit");
    if (need_io(r, L, variadic ? 3 : 2, variadic ? 3 : 2, 1)) return -1;
    int64_t axis;
    if (const_ints(r, in_const(r, L, 1), &axis, 1) != 1) return 1;
    const RPort *xp = &src_layer(r, L, 0)->out[L->in[0].src_port];
    if (axis < -xp->rank || axis >= xp->rank) return ovr_fail(r, L, "axis %lld is out of range", (long long)axis);
    int64_t *sizes = xmalloc(sizeof(int64_t) * (size_t)L->n_out);
    int rc = 0;
    if (variadic) {
        int ns = const_ints(r, in_const(r, L, 2), sizes, L->n_out);
        int infer = -1;
        int64_t known = 0, dim = xp->dims[axis < 0 ? axis + xp->rank : axis];
        if (ns != L->n_out) rc = ns < 0 ? 1 : ovr_fail(r, L, "has %d split lengths for %d outputs", ns, L->n_out);
        for (int i = 0; !rc && i < ns; i++) {
            if (sizes[i] == -1 && infer < 0) infer = i;
            else if (sizes[i] < 0 || sizes[i] > MAX_DIM) rc = ovr_fail(r, L, "split length %lld is invalid", (long long)sizes[i]);
            else known += sizes[i];
        }
        if (!rc && infer >= 0) {
            if (dim < 0) rc = 1;
            else if (known > dim) rc = ovr_fail(r, L, "split lengths exceed the axis (%lld)", (long long)dim);
            else sizes[infer] = dim - known;
        }
    }
    if (!rc) {
        int in = in_tensor(r, L, 0);
        int *outs = xmalloc(sizeof(int) * (size_t)L->n_out);
        for (int k = 0; k < L->n_out; k++) outs[k] = out_tensor(r, L, k);
        int ni = add_node(r, L, NULL, OP_SPLIT, NULL, &in, 1, outs, L->n_out);
        node_set_int(r->g, ni, "axis", axis);
        if (variadic) node_set_ints(r->g, ni, "split", sizes, L->n_out);
        free(outs);
    }
    free(sizes);
    return rc;
}

static int rd_interpolate(R *r, RLayer *L, const RdMap *m)
{
    bool v11 = !strcmp(L->version, "opset11");
    if (need_io(r, L, 2, v11 ? 3 : 4, 1)) return -1;
    const char *mode = ovr_attr(r, L, "mode"), *scm = ovr_attr(r, L, "shape_calculation_mode");
    const char *ctm = ovr_attr(r, L, "coordinate_transformation_mode"), *nm = ovr_attr(r, L, "nearest_mode");
    const char *aa = ovr_attr(r, L, "antialias"), *pb = ovr_attr(r, L, "pads_begin"), *pe = ovr_attr(r, L, "pads_end");
    const char *cc = ovr_attr(r, L, "cube_coeff");
    static const char *const modes[][2] = {{"nearest", "nearest"}, {"linear_onnx", "linear"}, {"cubic", "cubic"}};
    const char *onnx_mode = NULL;
    for (size_t i = 0; mode && i < ARRAY_LEN(modes); i++)
        if (!strcmp(mode, modes[i][0])) onnx_mode = modes[i][1];
    if (!onnx_mode || !scm || (aa && strcasecmp(aa, "false"))) return 1;
    int64_t pads[GRAPH_MAX_RANK];
    int np;
    for (int s = 0; s < 2; s++) {
        const char *p = s ? pe : pb;
        if (p && (np = ovr_parse_ints(p, pads, GRAPH_MAX_RANK)) > 0)
            for (int i = 0; i < np; i++)
                if (pads[i]) return 1;
    }
    bool by_scales = !strcmp(scm, "scales");
    if (!by_scales && strcmp(scm, "sizes")) return ovr_fail(r, L, "shape_calculation_mode '%.40s' is unknown", scm);
    int operand_k = v11 ? 1 : by_scales ? 2 : 1, axes_k = v11 ? 2 : 3;
    if (operand_k >= L->n_in) return ovr_fail(r, L, "has no %s input", by_scales ? "scales" : "sizes");
    const RPort *xp = &src_layer(r, L, 0)->out[L->in[0].src_port];
    int xr = xp->rank;
    int operand = -1;
    if (axes_k < L->n_in) {
        int64_t axes[GRAPH_MAX_RANK];
        int na = const_ints(r, in_const(r, L, axes_k), axes, GRAPH_MAX_RANK);
        if (na < 0) return 1;
        bool full = na == xr;
        for (int i = 0; full && i < na; i++) full = axes[i] == i;
        if (!full) {
            /* expand to every axis: a constant operand only */
            const RLayer *C = in_const(r, L, operand_k);
            int64_t full_dims = xr;
            if (!C || xr < 1) return 1;
            if (by_scales) {
                float f[GRAPH_MAX_RANK];
                double d;
                for (int i = 0; i < xr; i++) f[i] = 1.f;
                if (C->ctype != DT_F32 || C->size != (size_t)na * 4) return 1;
                for (int i = 0; i < na; i++) {
                    int a = (int)(axes[i] < 0 ? axes[i] + xr : axes[i]);
                    if (a < 0 || a >= xr) return ovr_fail(r, L, "axis %lld is out of range", (long long)axes[i]);
                    memcpy(&f[a], r->bin + C->offset + 4 * (size_t)i, 4);
                }
                (void)d;
                operand = graph_add_const(r->g, arena_printf(r->g->arena, "%s/scales", L->name), DT_F32, 1, &full_dims, f);
            } else {
                int64_t s[GRAPH_MAX_RANK], v[GRAPH_MAX_RANK];
                if (const_ints(r, C, v, GRAPH_MAX_RANK) != na) return 1;
                for (int i = 0; i < xr; i++) s[i] = xp->dims[i];
                for (int i = 0; i < na; i++) {
                    int a = (int)(axes[i] < 0 ? axes[i] + xr : axes[i]);
                    if (a < 0 || a >= xr) return ovr_fail(r, L, "axis %lld is out of range", (long long)axes[i]);
                    s[a] = v[i];
                }
                for (int i = 0; i < xr; i++)
                    if (s[i] < 0) return 1;
                operand = graph_add_const(r->g, arena_printf(r->g->arena, "%s/sizes", L->name), DT_I64, 1, &full_dims, s);
            }
            strmap_put(&r->tensor_names, r->g->tensors[operand].name, operand);
        }
    }
    if (operand < 0) operand = in_tensor(r, L, operand_k);
    int ins[4] = {in_tensor(r, L, 0), -1, by_scales ? operand : -1, by_scales ? -1 : operand};
    int out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_RESIZE, NULL, ins, by_scales ? 3 : 4, &out, 1);
    node_set_string(r->g, ni, "mode", onnx_mode);
    node_set_string(r->g, ni, "coordinate_transformation_mode", ctm ? ctm : "half_pixel");
    node_set_string(r->g, ni, "nearest_mode", nm ? nm : "round_prefer_floor");
    double coeff = -0.75;
    if (cc) coeff = strtod(cc, NULL);
    if (!strcmp(onnx_mode, "cubic")) node_set_float(r->g, ni, "cubic_coeff_a", coeff);
    return 0;
}

static int rd_reshape(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 2, 2, 1)) return -1;
    const char *sz = ovr_attr(r, L, "special_zero");
    int ins[2] = {in_tensor(r, L, 0), in_tensor(r, L, 1)}, out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_RESHAPE, NULL, ins, 2, &out, 1);
    if (!(sz && !strcasecmp(sz, "true"))) node_set_int(r->g, ni, "allowzero", 1);
    return 0;
}

static int rd_transpose(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 2, 2, 1)) return -1;
    int64_t perm[GRAPH_MAX_RANK];
    int np = const_ints(r, in_const(r, L, 1), perm, GRAPH_MAX_RANK);
    if (np < 0) return 1;
    int xr = src_layer(r, L, 0)->out[L->in[0].src_port].rank;
    if (np == 0) {
        for (int i = 0; i < xr; i++) perm[i] = xr - 1 - i;
        np = xr;
    }
    if (np != xr) return ovr_fail(r, L, "order has %d entries for rank %d", np, xr);
    int in = in_tensor(r, L, 0), out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_TRANSPOSE, NULL, &in, 1, &out, 1);
    node_set_ints(r->g, ni, "perm", perm, np);
    return 0;
}

/* A Transpose of the last two axes of tensor t (for MatMul transpose_a/b). */
static int swap_last(R *r, RLayer *L, int t, const char *suffix)
{
    Tensor *x = &r->g->tensors[t];
    int rank = x->rank;
    if (rank < 2) return t;
    int64_t perm[GRAPH_MAX_RANK], d[GRAPH_MAX_RANK];
    for (int i = 0; i < rank; i++) perm[i] = i, d[i] = x->dims[i];
    perm[rank - 2] = rank - 1, perm[rank - 1] = rank - 2;
    d[rank - 2] = x->dims[rank - 1], d[rank - 1] = x->dims[rank - 2];
    const char *name = arena_printf(r->g->arena, "%s/%s", L->name, suffix);
    int y = new_tensor(r, L, -1, name, x->dtype, rank, d);
    int ni = add_node(r, L, name, OP_TRANSPOSE, NULL, &t, 1, &y, 1);
    node_set_ints(r->g, ni, "perm", perm, rank);
    return y;
}

static int rd_matmul(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 2, 2, 1)) return -1;
    const char *ta = ovr_attr(r, L, "transpose_a"), *tb = ovr_attr(r, L, "transpose_b");
    int a = in_tensor(r, L, 0), b = in_tensor(r, L, 1);
    if (ta && !strcasecmp(ta, "true")) a = swap_last(r, L, a, "transpose_a");
    if (tb && !strcasecmp(tb, "true")) b = swap_last(r, L, b, "transpose_b");
    int ins[2] = {a, b}, out = out_tensor(r, L, 0);
    add_node(r, L, NULL, OP_MATMUL, NULL, ins, 2, &out, 1);
    return 0;
}

static int rd_strided_slice(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 3, 4, 1)) return -1;
    int64_t bm[GRAPH_MAX_RANK] = {0}, em[GRAPH_MAX_RANK] = {0}, other[GRAPH_MAX_RANK];
    static const char *const zero_masks[] = {"new_axis_mask", "shrink_axis_mask", "ellipsis_mask"};
    for (size_t i = 0; i < ARRAY_LEN(zero_masks); i++) {
        const char *s = ovr_attr(r, L, zero_masks[i]);
        int c = s ? ovr_parse_ints(s, other, GRAPH_MAX_RANK) : 0;
        if (c < 0) return ovr_fail(r, L, "%s '%.40s' is malformed", zero_masks[i], s);
        for (int k = 0; k < c; k++)
            if (other[k]) return 1;
    }
    const char *b = ovr_attr(r, L, "begin_mask"), *e = ovr_attr(r, L, "end_mask");
    int nb = b ? ovr_parse_ints(b, bm, GRAPH_MAX_RANK) : 0, ne = e ? ovr_parse_ints(e, em, GRAPH_MAX_RANK) : 0;
    if (nb < 0 || ne < 0) return ovr_fail(r, L, "begin_mask/end_mask are malformed");
    int64_t begin[GRAPH_MAX_RANK], end[GRAPH_MAX_RANK], stride[GRAPH_MAX_RANK];
    int n1 = const_ints(r, in_const(r, L, 1), begin, GRAPH_MAX_RANK);
    int n2 = const_ints(r, in_const(r, L, 2), end, GRAPH_MAX_RANK);
    int n3 = L->n_in > 3 ? const_ints(r, in_const(r, L, 3), stride, GRAPH_MAX_RANK) : -2;
    int in = in_tensor(r, L, 0), out;
    if (n1 < 0 || n2 < 0 || n3 == -1) {
        /* computed bounds */
        bool masked = false;
        for (int i = 0; i < GRAPH_MAX_RANK; i++) masked |= bm[i] || em[i];
        int ins[5] = {in, in_tensor(r, L, 1), in_tensor(r, L, 2), -1, L->n_in > 3 ? in_tensor(r, L, 3) : -1};
        if (masked) {
            /* masks over computed bounds (the peer's NNCF IR slices its boxes so): a masked
             * begin becomes 0 and a masked end the largest index, begin * keep and
             * end * keep + (1 - keep) * INT64_MAX, for constant positive strides */
            int64_t len = L->in[1].rank == 1 ? L->in[1].dims[0] : -1;
            if (n3 == -1 || len < 1 || len > GRAPH_MAX_RANK || L->in[2].rank != 1 || L->in[2].dims[0] != len) return 1;
            for (int i = 0; i < n3; i++)
                if (stride[i] <= 0) return 1;
            int64_t kb[GRAPH_MAX_RANK], ke[GRAPH_MAX_RANK], fe[GRAPH_MAX_RANK];
            for (int i = 0; i < len; i++) {
                kb[i] = !bm[i];
                ke[i] = !em[i];
                fe[i] = em[i] ? INT64_MAX : 0;
            }
            Arena *a = r->g->arena;
            int ckb = graph_add_const(r->g, arena_printf(a, "%s/keep_begin", L->name), DT_I64, 1, &len, kb);
            int cke = graph_add_const(r->g, arena_printf(a, "%s/keep_end", L->name), DT_I64, 1, &len, ke);
            int cfe = graph_add_const(r->g, arena_printf(a, "%s/masked_end", L->name), DT_I64, 1, &len, fe);
            int b2 = graph_add_tensor(r->g, arena_printf(a, "%s/begin", L->name), DT_I64, 1, &len);
            int e1 = graph_add_tensor(r->g, arena_printf(a, "%s/end_kept", L->name), DT_I64, 1, &len);
            int e2 = graph_add_tensor(r->g, arena_printf(a, "%s/end", L->name), DT_I64, 1, &len);
            int mb[2] = {ins[1], ckb}, me[2] = {ins[2], cke}, ae[2] = {e1, cfe};
            add_node(r, L, arena_printf(a, "%s/begin", L->name), OP_MUL, NULL, mb, 2, &b2, 1);
            add_node(r, L, arena_printf(a, "%s/end_kept", L->name), OP_MUL, NULL, me, 2, &e1, 1);
            add_node(r, L, arena_printf(a, "%s/end", L->name), OP_ADD, NULL, ae, 2, &e2, 1);
            ins[1] = b2;
            ins[2] = e2;
        }
        out = out_tensor(r, L, 0);
        add_node(r, L, NULL, OP_SLICE, NULL, ins, L->n_in > 3 ? 5 : 3, &out, 1);
        return 0;
    }
    if (n1 != n2 || (n3 >= 0 && n3 != n1)) return ovr_fail(r, L, "begin, end and stride differ in length");
    int64_t st[GRAPH_MAX_RANK], en[GRAPH_MAX_RANK], ax[GRAPH_MAX_RANK], sp[GRAPH_MAX_RANK];
    int na = 0;
    for (int i = 0; i < n1; i++) {
        int64_t step = n3 >= 0 ? stride[i] : 1;
        if (step == 0) return ovr_fail(r, L, "stride 0 on axis %d", i);
        if (bm[i] && em[i] && step == 1) continue;
        st[na] = bm[i] ? (step > 0 ? 0 : INT64_MAX) : begin[i];
        en[na] = em[i] ? (step > 0 ? INT64_MAX : INT64_MIN) : end[i];
        ax[na] = i;
        sp[na++] = step;
    }
    out = out_tensor(r, L, 0);
    if (!na) {
        add_node(r, L, NULL, OP_IDENTITY, NULL, &in, 1, &out, 1);
        return 0;
    }
    int64_t n64 = na;
    int ins[5] = {in, -1, -1, -1, -1};
    const int64_t *vals[4] = {st, en, ax, sp};
    static const char *const what[4] = {"starts", "ends", "axes", "steps"};
    for (int k = 0; k < 4; k++) {
        ins[k + 1] = graph_add_const(r->g, arena_printf(r->g->arena, "%s/%s", L->name, what[k]), DT_I64, 1, &n64, vals[k]);
        strmap_put(&r->tensor_names, r->g->tensors[ins[k + 1]].name, ins[k + 1]);
    }
    add_node(r, L, NULL, OP_SLICE, NULL, ins, 5, &out, 1);
    return 0;
}

static int rd_slice8(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 4, 5, 1)) return -1;
    int ins[5] = {in_tensor(r, L, 0), in_tensor(r, L, 1), in_tensor(r, L, 2), L->n_in > 4 ? in_tensor(r, L, 4) : -1,
                  in_tensor(r, L, 3)};
    int out = out_tensor(r, L, 0);
    add_node(r, L, NULL, OP_SLICE, NULL, ins, 5, &out, 1);
    return 0;
}

static int rd_gather(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 3, 3, 1)) return -1;
    const char *bd = ovr_attr(r, L, "batch_dims");
    int64_t axis, batch_dims = 0;
    if (bd && !str_to_i64(bd, &batch_dims)) return ovr_fail(r, L, "batch_dims '%.40s' is not an integer", bd);
    if (batch_dims != 0 || const_ints(r, in_const(r, L, 2), &axis, 1) != 1) return 1;
    int ins[2] = {in_tensor(r, L, 0), in_tensor(r, L, 1)}, out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_GATHER, NULL, ins, 2, &out, 1);
    node_set_int(r->g, ni, "axis", axis);
    return 0;
}

/* ScatterUpdate-3: data, indices, updates and a constant axis. */
static int rd_scatter_update(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 4, 4, 1)) return -1;
    int64_t axis;
    if (const_ints(r, in_const(r, L, 3), &axis, 1) != 1) return 1;
    int ins[3] = {in_tensor(r, L, 0), in_tensor(r, L, 1), in_tensor(r, L, 2)}, out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_SCATTER_UPDATE, NULL, ins, 3, &out, 1);
    node_set_int(r->g, ni, "axis", axis);
    return 0;
}

static int rd_convert(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 1, 1, 1)) return -1;
    const char *dt = ovr_attr(r, L, "destination_type");
    DType to = dt ? openvino_dtype_from_element_type(dt) : DT_UNDEFINED;
    if (to == DT_UNDEFINED) return ovr_fail(r, L, "destination_type '%.40s' is not supported", dt ? dt : "");
    int in = in_tensor(r, L, 0), out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_CAST, NULL, &in, 1, &out, 1);
    node_set_int(r->g, ni, "to", dtype_to_onnx(to));
    return 0;
}

static int rd_broadcast(R *r, RLayer *L, const RdMap *m)
{
    const char *mode = ovr_attr(r, L, "mode");
    if (L->n_in != 2 || (mode && strcmp(mode, "numpy") && strcmp(mode, "bidirectional"))) return 1;
    return rd_simple(r, L, m);
}

static int rd_swish(R *r, RLayer *L, const RdMap *m)
{
    double beta;
    if (L->n_in == 2 && !(const_float(r, in_const(r, L, 1), &beta) && beta == 1.0)) return 1;
    if (need_io(r, L, 1, 2, 1)) return -1;
    int in = in_tensor(r, L, 0), out = out_tensor(r, L, 0);
    add_node(r, L, NULL, OP_SILU, NULL, &in, 1, &out, 1);
    return 0;
}

static int rd_clamp(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 1, 1, 1)) return -1;
    const char *lo = ovr_attr(r, L, "min"), *hi = ovr_attr(r, L, "max");
    char *e1 = NULL, *e2 = NULL;
    double a = lo ? strtod(lo, &e1) : 0, b = hi ? strtod(hi, &e2) : 0;
    if (!lo || !hi || e1 == lo || e2 == hi) return ovr_fail(r, L, "min/max are missing or not numbers");
    int in = in_tensor(r, L, 0), out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_CLIP, NULL, &in, 1, &out, 1);
    node_set_float(r->g, ni, "min", a);
    node_set_float(r->g, ni, "max", b);
    return 0;
}

static int rd_batchnorm(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 5, 5, 1)) return -1;
    static const int order5[5] = {0, 1, 2, 3, 4}, order1[5] = {2, 0, 1, 3, 4}; /* opset1: gamma, beta, data, ... */
    const int *ord = !strcmp(L->version, "opset1") ? order1 : order5;
    int ins[5], out = out_tensor(r, L, 0);
    for (int k = 0; k < 5; k++) ins[k] = in_tensor(r, L, ord[k]);
    const char *eps = ovr_attr(r, L, "epsilon");
    int ni = add_node(r, L, NULL, OP_BATCHNORM, NULL, ins, 5, &out, 1);
    node_set_float(r->g, ni, "epsilon", eps ? strtod(eps, NULL) : 1e-5);
    return 0;
}

static int rd_topk(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 2, 2, 2)) return -1;
    const char *axis = ovr_attr(r, L, "axis"), *mode = ovr_attr(r, L, "mode"), *sort = ovr_attr(r, L, "sort");
    int64_t a = -1;
    if (axis && !str_to_i64(axis, &a)) return ovr_fail(r, L, "axis '%.40s' is not an integer", axis);
    int ins[2] = {in_tensor(r, L, 0), in_tensor(r, L, 1)}, outs[2] = {out_tensor(r, L, 0), out_tensor(r, L, 1)};
    int ni = add_node(r, L, NULL, OP_TOPK, NULL, ins, 2, outs, 2);
    node_set_int(r->g, ni, "axis", a);
    node_set_int(r->g, ni, "largest", !(mode && !strcmp(mode, "min")));
    node_set_int(r->g, ni, "sorted", !(sort && !strcmp(sort, "none")));
    return 0;
}

static int rd_hardsigmoid(R *r, RLayer *L, const RdMap *m)
{
    double a, b;
    if (L->n_in != 3 || !const_float(r, in_const(r, L, 1), &a) || !const_float(r, in_const(r, L, 2), &b)) return 1;
    if (need_io(r, L, 3, 3, 1)) return -1;
    int in = in_tensor(r, L, 0), out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_HARD_SIGMOID, NULL, &in, 1, &out, 1);
    node_set_float(r->g, ni, "alpha", a);
    node_set_float(r->g, ni, "beta", b);
    return 0;
}

static int rd_hsigmoid(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 1, 1, 1)) return -1;
    int in = in_tensor(r, L, 0), out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_HARD_SIGMOID, NULL, &in, 1, &out, 1);
    node_set_float(r->g, ni, "alpha", 1.0 / 6.0);
    node_set_float(r->g, ni, "beta", 0.5);
    return 0;
}

/* NonMaxSuppression-5/9 -> the ONNX op, whose output holds only the selected rows; a used
 * valid_outputs becomes the row count of that output (Shape, Slice), so the Slice OpenVINO
 * graphs put after it keeps every row.  Sorting across batches, soft-NMS and a used
 * selected_scores stay OpenVINO ops. */
static int rd_nms(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 2, 6, 1)) return -1;
    const char *enc = ovr_attr(r, L, "box_encoding"), *sort = ovr_attr(r, L, "sort_result_descending");
    double sigma = 0;
    if ((sort && !strcasecmp(sort, "true")) || (L->n_in > 5 && !(const_float(r, in_const(r, L, 5), &sigma) && sigma == 0)) ||
        (L->n_out > 1 && L->out[1].consumers > 0))
        return 1;
    int ins[5] = {-1, -1, -1, -1, -1};
    for (int k = 0; k < L->n_in && k < 5; k++) ins[k] = in_tensor(r, L, k);
    int out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_NMS, NULL, ins, L->n_in < 5 ? L->n_in : 5, &out, 1);
    node_set_int(r->g, ni, "center_point_box", enc && !strcmp(enc, "center"));
    if (L->n_out > 2 && L->out[2].consumers > 0) {
        int64_t one = 1, two = 2, zero = 0;
        const char *base = L->name;
        int shape = new_tensor(r, L, -1, arena_printf(r->g->arena, "%s/rows_shape", base), DT_I64, 1, &two);
        add_node(r, L, arena_printf(r->g->arena, "%s/rows_shape", base), OP_SHAPE, NULL, &out, 1, &shape, 1);
        int c0 = graph_add_const(r->g, arena_printf(r->g->arena, "%s/rows_start", base), DT_I64, 1, &one, &zero);
        int c1 = graph_add_const(r->g, arena_printf(r->g->arena, "%s/rows_end", base), DT_I64, 1, &one, &one);
        strmap_put(&r->tensor_names, r->g->tensors[c0].name, c0);
        strmap_put(&r->tensor_names, r->g->tensors[c1].name, c1);
        int sl[3] = {shape, c0, c1}, valid = out_tensor(r, L, 2);
        add_node(r, L, arena_printf(r->g->arena, "%s/valid_outputs", base), OP_SLICE, NULL, sl, 3, &valid, 1);
    }
    return 0;
}

/* Pad-1/12 with constant pads and value, constant mode -> ONNX Pad. */
static int rd_pad(R *r, RLayer *L, const RdMap *m)
{
    const char *mode = ovr_attr(r, L, "pad_mode");
    if ((mode && strcmp(mode, "constant")) || L->n_in < 3 || L->n_in > 4) return 1;
    int64_t b[GRAPH_MAX_RANK], e[GRAPH_MAX_RANK], pads[2 * GRAPH_MAX_RANK];
    int nb = const_ints(r, in_const(r, L, 1), b, GRAPH_MAX_RANK), ne = const_ints(r, in_const(r, L, 2), e, GRAPH_MAX_RANK);
    double value = 0;
    if (nb < 0 || ne != nb || (L->n_in > 3 && !const_float(r, in_const(r, L, 3), &value))) return 1;
    if (need_io(r, L, 3, 4, 1)) return -1;
    memcpy(pads, b, sizeof(int64_t) * (size_t)nb);
    memcpy(pads + nb, e, sizeof(int64_t) * (size_t)ne);
    int in[2] = {in_tensor(r, L, 0), -1}, out = out_tensor(r, L, 0);
    int64_t np = 2 * nb;
    in[1] = graph_add_const(r->g, arena_printf(r->g->arena, "%s/pads", L->name), DT_I64, 1, &np, pads);
    strmap_put(&r->tensor_names, r->g->tensors[in[1]].name, in[1]);
    int ni = add_node(r, L, NULL, OP_PAD, NULL, in, 2, &out, 1);
    node_set_string(r->g, ni, "mode", "constant");
    if (value != 0) node_set_float(r->g, ni, "value", value);
    return 0;
}

static int rd_grid_sample(R *r, RLayer *L, const RdMap *m)
{
    if (need_io(r, L, 2, 2, 1)) return -1;
    const char *ac = ovr_attr(r, L, "align_corners"), *mode = ovr_attr(r, L, "mode"), *pad = ovr_attr(r, L, "padding_mode");
    int in[2] = {in_tensor(r, L, 0), in_tensor(r, L, 1)}, out = out_tensor(r, L, 0);
    int ni = add_node(r, L, NULL, OP_GRID_SAMPLE, NULL, in, 2, &out, 1);
    node_set_int(r->g, ni, "align_corners", ac && !strcasecmp(ac, "true"));
    node_set_string(r->g, ni, "mode", mode ? mode : "bilinear");
    node_set_string(r->g, ni, "padding_mode", pad ? pad : "zeros");
    return 0;
}

/* OpenVINO type -> handler; types not listed become OP_OTHER (rd_other). */
static const RdMap rd_maps[] = {
    {"Parameter", rd_parameter, OP_OTHER},
    {"Const", rd_const, OP_OTHER},
    {"Result", rd_result, OP_OTHER},
    {"Convolution", rd_conv, OP_CONV},
    {"GroupConvolution", rd_conv, OP_CONV},
    {"ConvolutionBackpropData", rd_conv, OP_CONV_TRANSPOSE},
    {"GroupConvolutionBackpropData", rd_conv, OP_CONV_TRANSPOSE},
    {"BatchNormInference", rd_batchnorm, OP_BATCHNORM},
    {"MaxPool", rd_pool, OP_MAXPOOL},
    {"AvgPool", rd_pool, OP_AVGPOOL},
    {"Swish", rd_swish, OP_SILU},
    {"Sigmoid", rd_simple, OP_SIGMOID},
    {"FakeQuantize", rd_fake_quantize, OP_FAKE_QUANTIZE},
    {"Relu", rd_simple, OP_RELU},
    {"Exp", rd_simple, OP_EXP},
    {"Log", rd_simple, OP_LOG},
    {"Sqrt", rd_simple, OP_SQRT},
    {"Negative", rd_simple, OP_NEG},
    {"Abs", rd_simple, OP_ABS},
    {"Tanh", rd_simple, OP_TANH},
    {"Floor", rd_simple, OP_FLOOR},
    {"Ceiling", rd_simple, OP_CEIL},
    {"Erf", rd_simple, OP_ERF},
    {"Sin", rd_simple, OP_SIN},
    {"Cos", rd_simple, OP_COS},
    {"SoftPlus", rd_simple, OP_SOFTPLUS},
    {"HSwish", rd_simple, OP_HARD_SWISH},
    {"HSigmoid", rd_hsigmoid, OP_OTHER},
    {"HardSigmoid", rd_hardsigmoid, OP_OTHER},
    {"Mish", rd_simple, OP_MISH},
    {"Sign", rd_simple, OP_SIGN},
    {"LogicalNot", rd_simple, OP_NOT},
    {"Add", rd_simple, OP_ADD},
    {"Subtract", rd_simple, OP_SUB},
    {"Multiply", rd_simple, OP_MUL},
    {"Divide", rd_simple, OP_DIV},
    {"Power", rd_simple, OP_POW},
    {"Minimum", rd_simple, OP_MIN},
    {"Maximum", rd_simple, OP_MAX},
    {"Equal", rd_simple, OP_EQUAL},
    {"Less", rd_simple, OP_LESS},
    {"Greater", rd_simple, OP_GREATER},
    {"LessEqual", rd_simple, OP_LESS_OR_EQUAL},
    {"GreaterEqual", rd_simple, OP_GREATER_OR_EQUAL},
    {"LogicalAnd", rd_simple, OP_AND},
    {"LogicalOr", rd_simple, OP_OR},
    {"LogicalXor", rd_simple, OP_XOR},
    {"FloorMod", rd_simple, OP_MOD},
    {"Select", rd_simple, OP_WHERE},
    {"Concat", rd_axis_attr, OP_CONCAT},
    {"SoftMax", rd_axis_attr, OP_SOFTMAX},
    {"LogSoftmax", rd_axis_attr, OP_LOG_SOFTMAX},
    {"VariadicSplit", rd_split, OP_SPLIT},
    {"Split", rd_split, OP_SPLIT},
    {"Interpolate", rd_interpolate, OP_RESIZE},
    {"Reshape", rd_reshape, OP_RESHAPE},
    {"Transpose", rd_transpose, OP_TRANSPOSE},
    {"MatMul", rd_matmul, OP_MATMUL},
    {"StridedSlice", rd_strided_slice, OP_SLICE},
    {"Slice", rd_slice8, OP_SLICE},
    {"Gather", rd_gather, OP_GATHER},
    {"ShapeOf", rd_simple, OP_SHAPE},
    {"Convert", rd_convert, OP_CAST},
    {"Squeeze", rd_simple, OP_SQUEEZE},
    {"Unsqueeze", rd_simple, OP_UNSQUEEZE},
    {"Range", rd_simple, OP_RANGE},
    {"Broadcast", rd_broadcast, OP_EXPAND},
    {"Tile", rd_simple, OP_TILE},
    {"Clamp", rd_clamp, OP_OTHER},
    {"ReduceMax", rd_reduce, OP_REDUCE_MAX},
    {"ReduceMin", rd_reduce, OP_REDUCE_MIN},
    {"ReduceMean", rd_reduce, OP_REDUCE_MEAN},
    {"ReduceSum", rd_reduce, OP_REDUCE_SUM},
    {"ReduceProd", rd_reduce, OP_REDUCE_PROD},
    {"TopK", rd_topk, OP_TOPK},
    {"NonMaxSuppression", rd_nms, OP_NMS},
    {"Pad", rd_pad, OP_PAD},
    {"GridSample", rd_grid_sample, OP_GRID_SAMPLE},
    {"ScatterUpdate", rd_scatter_update, OP_SCATTER_UPDATE},
};

int ovr_convert_layers(R *r, const int *order)
{
    for (int i = 0; i < r->n_layers; i++) {
        RLayer *L = &r->layers[order[i]];
        if (L->skip) continue;
        const RdMap *m = NULL;
        for (size_t k = 0; k < ARRAY_LEN(rd_maps) && !m; k++)
            if (!strcmp(rd_maps[k].type, L->type)) m = &rd_maps[k];
        int rc = m ? m->fn(r, L, m) : 1;
        if (rc < 0) return -1;
        if (rc > 0 && rd_other(r, L, NULL)) return -1;
    }
    /* inputs and outputs in the order the file lists their layers, as OpenVINO orders them */
    for (int i = 0; i < r->n_layers; i++) {
        RLayer *L = &r->layers[i];
        if (!strcmp(L->type, "Parameter")) graph_add_input(r->g, out_tensor(r, L, 0));
        else if (!strcmp(L->type, "Result")) graph_add_output(r->g, in_tensor(r, L, 0));
    }
    return 0;
}

/* rt_info <framework>: the exporter's metadata as str(v) values (the peer's IR has it when
 * converted from ONNX); used when there is no metadata.yaml. */
