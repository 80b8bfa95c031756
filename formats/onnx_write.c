/* onnx (writer): the Graph IR as an ONNX ModelProto for opsets 11..19.
 * IR ops are lowered per opset (SiLU, attribute-vs-input operands, Resize, Softmax before
 * 13, ...); initializer bytes are referenced, not copied, until the final pack. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/onnx.h"
#include "onnx/onnx.pb-c.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "formats/onnx_write.c assumes a little-endian host: ONNX raw_data is little-endian"
#endif

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "0"
#endif

/* ---- writer state ---------------------------------------------------------------------- */
typedef struct {
    const Graph *g;
    int opset;
    Arena *a;              /* every proto struct and generated string */
    const char **tname;    /* written name per tensor */
    unsigned char *init_done;
    StrMap names;          /* tensor names in use -> the next suffix to try for that base */
    Vec nodes;             /* Onnx__NodeProto * */
    Vec inits;             /* Onnx__TensorProto * */
    Vec domains;           /* const char * (custom domains used by nodes) */
    char *err;
    size_t errlen;
} Writer;

static int wr_fail(Writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int wr_fail(Writer *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(w->err, w->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void *anew(Writer *w, size_t n) { return arena_alloc(w->a, n); }

/* A tensor name not used yet, derived from base. */
static const char *fresh_name(Writer *w, const char *base)
{
    const char *stem = base && *base ? arena_strdup(w->a, base) : "t";
    bool created;
    int *next = strmap_slot(&w->names, stem, &created); /* keys are arena strings, not copied */
    if (created) {
        *next = 1;
        return stem;
    }
    /* suffixes continue where the last one for this base stopped: linear in the names */
    for (int k = *next;; k++) {
        const char *name = arena_printf(w->a, "%s_%d", stem, k);
        int *slot = strmap_slot(&w->names, name, &created);
        if (created) {
            *slot = 1;
            *strmap_slot(&w->names, stem, NULL) = k + 1;
            return name;
        }
    }
}

static const char *tensor_name(Writer *w, int ti)
{
    if (ti < 0) return "";
    if (!w->tname[ti]) w->tname[ti] = fresh_name(w, w->g->tensors[ti].name);
    return w->tname[ti];
}

static int ir_version_for(int opset)
{
    /* the IR version each opset shipped with (onnx/helper.py VERSION_TABLE) */
    if (opset <= 11) return 6;
    if (opset <= 14) return 7;
    if (opset <= 18) return 8;
    return 9;
}

/* ---- tensors --------------------------------------------------------------------------- */
static Onnx__TensorProto *make_tensor(Writer *w, const char *name, DType dt, int rank, const int64_t *dims,
                                      const void *data, size_t nbytes)
{
    Onnx__TensorProto *tp = anew(w, sizeof *tp);
    onnx__tensor_proto__init(tp);
    tp->name = (char *)name;
    tp->has_data_type = 1;
    tp->data_type = dtype_to_onnx(dt);
    tp->n_dims = (size_t)rank;
    tp->dims = anew(w, sizeof(int64_t) * (size_t)(rank ? rank : 1));
    for (int i = 0; i < rank; i++) tp->dims[i] = dims[i];
    tp->has_raw_data = 1;
    tp->raw_data.len = nbytes;
    tp->raw_data.data = (uint8_t *)(nbytes ? data : NULL);
    return tp;
}

static Onnx__TensorProto *graph_tensor_proto(Writer *w, int ti, const char *name)
{
    const Tensor *t = &w->g->tensors[ti];
    if (t->dtype == DT_UNDEFINED || t->dtype == DT_STRING) {
        wr_fail(w, "tensor '%s' has type %s, which cannot be written", t->name, dtype_name(t->dtype));
        return NULL;
    }
    if (!t->data) {
        wr_fail(w, "tensor '%s' has no data%s", t->name, t->external ? " (its external data was not read)" : "");
        return NULL;
    }
    int64_t numel = tensor_numel(t);
    size_t need;
    if (numel < 0 || !size_mul((size_t)numel, dtype_size(t->dtype), &need) || need != t->nbytes) {
        wr_fail(w, "tensor '%s' holds %zu bytes, its dims and dtype need %lld x %zu", t->name, t->nbytes,
                (long long)numel, dtype_size(t->dtype));
        return NULL;
    }
    return make_tensor(w, name, t->dtype, t->rank, t->dims, t->data, t->nbytes);
}

/* A new initializer from literal values; returns its name. */
static const char *add_const(Writer *w, const char *base, DType dt, int rank, const int64_t *dims, const void *data,
                             size_t nbytes)
{
    const char *name = fresh_name(w, base);
    void *copy = anew(w, nbytes ? nbytes : 1);
    if (nbytes) memcpy(copy, data, nbytes);
    Onnx__TensorProto *tp = make_tensor(w, name, dt, rank, dims, copy, nbytes);
    vec_push(&w->inits, sizeof tp, &tp);
    return name;
}

static const char *add_i64s(Writer *w, const char *base, const int64_t *v, int n)
{
    int64_t d = n;
    return add_const(w, base, DT_I64, 1, &d, v, sizeof(int64_t) * (size_t)n);
}

static const char *add_f32s(Writer *w, const char *base, const float *v, int n, bool scalar)
{
    int64_t d = n;
    return add_const(w, base, DT_F32, scalar ? 0 : 1, &d, v, sizeof(float) * (size_t)n);
}

/* An IR tensor used as a node input: initializers are emitted on first use. */
static int use_tensor(Writer *w, int ti, const char **out)
{
    if (ti < 0) {
        *out = "";
        return 0;
    }
    const Graph *g = w->g;
    if (ti >= g->n_tensors) return wr_fail(w, "tensor index %d out of range", ti);
    const Tensor *t = &g->tensors[ti];
    *out = tensor_name(w, ti);
    if (t->producer < 0 && !t->is_input && (t->data || t->external) && !w->init_done[ti]) {
        Onnx__TensorProto *tp = graph_tensor_proto(w, ti, *out);
        if (!tp) return -1;
        vec_push(&w->inits, sizeof tp, &tp);
        w->init_done[ti] = 1;
    }
    return 0;
}

/* ---- node building --------------------------------------------------------------------- */
typedef struct {
    Onnx__NodeProto *np;
    const char *ins[16];
    int n_ins;
    Onnx__AttributeProto **attrs; /* arena memory: nothing to free on error paths */
    int n_attrs, cap_attrs;
} NodeOut;

static void nb_start(Writer *w, NodeOut *o, const char *op_type, const char *name, const char *domain)
{
    memset(o, 0, sizeof *o);
    o->np = anew(w, sizeof *o->np);
    onnx__node_proto__init(o->np);
    o->np->op_type = arena_strdup(w->a, op_type);
    o->np->name = arena_strdup(w->a, name ? name : "");
    if (domain && *domain) {
        o->np->domain = arena_strdup(w->a, domain);
        bool seen = false;
        for (size_t i = 0; i < w->domains.len; i++)
            if (!strcmp(((const char **)w->domains.items)[i], domain)) seen = true;
        if (!seen) vec_push(&w->domains, sizeof(char *), &o->np->domain);
    }
}

static void nb_input(NodeOut *o, const char *name)
{
    if (o->n_ins < 16) o->ins[o->n_ins++] = name;
}

static void nb_set_input(NodeOut *o, int slot, const char *name)
{
    while (o->n_ins <= slot && o->n_ins < 16) o->ins[o->n_ins++] = "";
    if (slot < 16) o->ins[slot] = name;
}

static Onnx__AttributeProto *nb_attr(Writer *w, NodeOut *o, const char *name, Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = anew(w, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = arena_strdup(w->a, name);
    a->has_type = 1;
    a->type = type;
    if (o->n_attrs == o->cap_attrs) {
        int cap = o->cap_attrs ? o->cap_attrs * 2 : 8;
        Onnx__AttributeProto **grown = anew(w, sizeof(*grown) * (size_t)cap);
        if (o->n_attrs) memcpy(grown, o->attrs, sizeof(*grown) * (size_t)o->n_attrs);
        o->attrs = grown;
        o->cap_attrs = cap;
    }
    o->attrs[o->n_attrs++] = a;
    return a;
}

static void nb_int(Writer *w, NodeOut *o, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = nb_attr(w, o, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

static void nb_ints(Writer *w, NodeOut *o, const char *name, const int64_t *v, int n)
{
    Onnx__AttributeProto *a = nb_attr(w, o, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)n;
    a->ints = anew(w, sizeof(int64_t) * (size_t)(n ? n : 1));
    if (n) memcpy(a->ints, v, sizeof(int64_t) * (size_t)n);
}

static void nb_string(Writer *w, NodeOut *o, const char *name, const char *s)
{
    Onnx__AttributeProto *a = nb_attr(w, o, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(s);
    a->s.data = (uint8_t *)arena_strdup(w->a, s);
}

/* Copy an IR attribute. */
static int nb_copy_attr(Writer *w, NodeOut *o, const Node *n, const Attr *at)
{
    Onnx__AttributeProto *a;
    switch (at->type) {
    case ATTR_INT: nb_int(w, o, at->name, at->i); break;
    case ATTR_FLOAT:
        a = nb_attr(w, o, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
        a->has_f = 1;
        a->f = (float)at->f;
        break;
    case ATTR_STRING:
        a = nb_attr(w, o, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
        a->has_s = 1;
        a->s.len = at->s ? (at->s_len ? at->s_len : strlen(at->s)) : 0;
        a->s.data = (uint8_t *)at->s;
        break;
    case ATTR_INTS: nb_ints(w, o, at->name, at->ints, at->count); break;
    case ATTR_FLOATS:
        a = nb_attr(w, o, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
        a->n_floats = (size_t)at->count;
        a->floats = anew(w, sizeof(float) * (size_t)(at->count ? at->count : 1));
        for (int i = 0; i < at->count; i++) a->floats[i] = (float)at->floats[i];
        break;
    case ATTR_STRINGS:
        a = nb_attr(w, o, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
        a->n_strings = (size_t)at->count;
        a->strings = anew(w, sizeof(ProtobufCBinaryData) * (size_t)(at->count ? at->count : 1));
        for (int i = 0; i < at->count; i++) {
            a->strings[i].data = (uint8_t *)at->strings[i];
            a->strings[i].len = strlen(at->strings[i]);
        }
        break;
    case ATTR_TENSOR: {
        bool many = at->count > 1 && at->ints;
        int count = many ? at->count : 1;
        Onnx__TensorProto **list = anew(w, sizeof(*list) * (size_t)count);
        for (int i = 0; i < count; i++) {
            int ti = many ? (int)at->ints[i] : at->tensor;
            if (ti < 0 || ti >= w->g->n_tensors)
                return wr_fail(w, "node '%s' (%s): attribute '%s' holds a %s, which cannot be written", n->name,
                               n->op_type, at->name, at->s ? at->s : "missing tensor");
            list[i] = graph_tensor_proto(w, ti, "");
            if (!list[i]) return -1;
            if (w->g->tensors[ti].name[0] && !strchr(w->g->tensors[ti].name, ':'))
                list[i]->name = (char *)w->g->tensors[ti].name;
        }
        if (many) {
            a = nb_attr(w, o, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS);
            a->n_tensors = (size_t)count;
            a->tensors = list;
        } else {
            a = nb_attr(w, o, at->name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
            a->t = list[0];
        }
        break;
    }
    case ATTR_GRAPH:
        return wr_fail(w, "node '%s' (%s): attribute '%s' holds a subgraph, which the writer cannot reproduce",
                       n->name, n->op_type, at->name);
    }
    return 0;
}

/* Copy every IR attribute except those named in skip (NULL-terminated). */
static int nb_copy_attrs(Writer *w, NodeOut *o, const Node *n, const char *const *skip)
{
    for (int i = 0; i < n->n_attrs; i++) {
        bool skipped = false;
        for (const char *const *s = skip; s && *s; s++)
            if (!strcmp(*s, n->attrs[i].name)) skipped = true;
        if (!skipped && nb_copy_attr(w, o, n, &n->attrs[i])) return -1;
    }
    return 0;
}

static void nb_finish(Writer *w, NodeOut *o, const char *const *outs, int n_outs)
{
    while (o->n_ins > 0 && !*o->ins[o->n_ins - 1]) o->n_ins--; /* trailing omitted inputs */
    o->np->n_input = (size_t)o->n_ins;
    o->np->input = anew(w, sizeof(char *) * (size_t)(o->n_ins ? o->n_ins : 1));
    for (int i = 0; i < o->n_ins; i++) o->np->input[i] = (char *)o->ins[i];
    o->np->n_output = (size_t)n_outs;
    o->np->output = anew(w, sizeof(char *) * (size_t)(n_outs ? n_outs : 1));
    for (int i = 0; i < n_outs; i++) o->np->output[i] = (char *)outs[i];
    o->np->n_attribute = (size_t)o->n_attrs;
    o->np->attribute = o->attrs;
    vec_push(&w->nodes, sizeof o->np, &o->np);
}

/* Names for the node's IR inputs and outputs. */
static int io_names(Writer *w, const Node *n, const char **ins, const char **outs)
{
    for (int i = 0; i < n->n_inputs; i++)
        if (use_tensor(w, n->inputs[i], &ins[i])) return -1;
    for (int i = 0; i < n->n_outputs; i++) outs[i] = tensor_name(w, n->outputs[i]);
    return 0;
}

/* A sibling name for a generated node: "/model.0/act/SiLU" + "Sigmoid" -> "/model.0/act/Sigmoid". */
static const char *sibling_name(Writer *w, const char *name, const char *op)
{
    const char *slash = strrchr(name, '/');
    if (slash) return arena_printf(w->a, "%.*s/%s", (int)(slash - name), name, op);
    return *name ? arena_printf(w->a, "%s_%s", name, op) : arena_strdup(w->a, op);
}

/* ---- operands that moved from attributes to inputs ------------------------------------- */
typedef struct {
    OpKind op;
    const char *attr;
    int slot;       /* input index */
    int since;      /* first opset where it is an input */
} MovedOperand;

static const MovedOperand moved_operands[] = {
    {OP_SPLIT, "split", 1, 13},           {OP_SQUEEZE, "axes", 1, 13},         {OP_UNSQUEEZE, "axes", 1, 13},
    {OP_REDUCE_SUM, "axes", 1, 13},        {OP_REDUCE_MAX, "axes", 1, 18},       {OP_REDUCE_MIN, "axes", 1, 18},
    {OP_REDUCE_MEAN, "axes", 1, 18},       {OP_REDUCE_PROD, "axes", 1, 18},      {OP_REDUCE_L1, "axes", 1, 18},
    {OP_REDUCE_L2, "axes", 1, 18},         {OP_REDUCE_LOG_SUM, "axes", 1, 18},    {OP_REDUCE_LOG_SUM_EXP, "axes", 1, 18},
    {OP_REDUCE_SUM_SQUARE, "axes", 1, 18},  {OP_TOPK, "k", 1, 10},               {OP_RESHAPE, "shape", 1, 5},
    {OP_SLICE, "starts", 1, 10},          {OP_SLICE, "ends", 2, 10},           {OP_SLICE, "axes", 3, 10},
    {OP_SLICE, "steps", 4, 10},           {OP_PAD, "pads", 1, 11},             {OP_EXPAND, "shape", 1, 8},
    {OP_TILE, "repeats", 1, 6},
};

/* Constant int64 values of a tensor (int64 or int32 data); -1 when not a constant. */
static int const_ints(const Graph *g, int ti, int64_t *out, int max)
{
    if (ti < 0 || ti >= g->n_tensors) return -1;
    const Tensor *t = &g->tensors[ti];
    if (t->producer >= 0) { /* the output of a Constant node counts too */
        const Node *c = &g->nodes[t->producer];
        const Attr *v = c->op == OP_CONSTANT ? node_attr(c, "value") : NULL;
        if (!v || v->type != ATTR_TENSOR || v->tensor < 0 || v->tensor >= g->n_tensors) return -1;
        t = &g->tensors[v->tensor];
    }
    if (!t->data) return -1;
    int64_t n = tensor_numel(t);
    if (n < 0 || n > max) return -1;
    for (int64_t i = 0; i < n; i++) {
        if (t->dtype == DT_I64) memcpy(&out[i], (const char *)t->data + 8 * i, 8);
        else if (t->dtype == DT_I32) {
            int32_t v;
            memcpy(&v, (const char *)t->data + 4 * i, 4);
            out[i] = v;
        } else return -1;
    }
    return (int)n;
}

/* Generic lowering: operands listed in moved_operands go where the opset wants them. */
static int emit_generic(Writer *w, const Node *n, const char *op_type)
{
    const char *ins[64], *outs[64];
    if (n->n_inputs > 16 || n->n_outputs > 64)
        return wr_fail(w, "node '%s' (%s) has too many inputs or outputs", n->name, n->op_type);
    if (io_names(w, n, ins, outs)) return -1;
    NodeOut o;
    nb_start(w, &o, op_type, n->name, n->domain);
    for (int i = 0; i < n->n_inputs; i++) nb_input(&o, ins[i]);
    const char *skip[8] = {0};
    int n_skip = 0;
    bool std_domain = !n->domain || !*n->domain;
    for (size_t k = 0; k < ARRAY_LEN(moved_operands) && std_domain; k++) {
        const MovedOperand *m = &moved_operands[k];
        if (m->op != n->op) continue;
        const Attr *at = node_attr(n, m->attr);
        bool has_input = m->slot < n->n_inputs && n->inputs[m->slot] >= 0;
        if (w->opset >= m->since) {
            if (at && !has_input) {
                int64_t v[GRAPH_MAX_RANK * 8];
                int cnt;
                if (at->type == ATTR_INT) v[0] = at->i, cnt = 1;
                else if (at->type == ATTR_INTS && at->count <= (int)ARRAY_LEN(v)) {
                    cnt = at->count;
                    memcpy(v, at->ints, sizeof(int64_t) * (size_t)cnt);
                } else
                    return wr_fail(w, "node '%s' (%s): attribute '%s' must be integers", n->name, op_type, m->attr);
                nb_set_input(&o, m->slot,
                             add_i64s(w, arena_printf(w->a, "%s_%s", *n->name ? n->name : op_type, m->attr), v, cnt));
            }
            if (at) skip[n_skip++] = m->attr;
        } else if (has_input) {
            int64_t v[64];
            int cnt = const_ints(w->g, n->inputs[m->slot], v, 64);
            if (cnt < 0)
                return wr_fail(w, "node '%s' (%s): '%s' must be a constant to be written at opset %d", n->name,
                               op_type, m->attr, w->opset);
            nb_set_input(&o, m->slot, "");
            nb_ints(w, &o, m->attr, v, cnt);
            if (at) skip[n_skip++] = m->attr;
        }
    }
    /* Split: opset 18 wants num_outputs when no sizes are given; earlier opsets lack it */
    if (std_domain && n->op == OP_SPLIT) {
        bool sized = (n->n_inputs > 1 && n->inputs[1] >= 0) || node_attr(n, "split");
        if (node_attr(n, "num_outputs")) skip[n_skip++] = "num_outputs";
        if (w->opset >= 18 && !sized) nb_int(w, &o, "num_outputs", n->n_outputs);
    }
    if (std_domain && n->op == OP_RESHAPE && w->opset < 14 && node_attr(n, "allowzero")) {
        if (node_attr_int(n, "allowzero", 0))
            return wr_fail(w, "node '%s' (Reshape): allowzero=1 needs opset 14", n->name);
        skip[n_skip++] = "allowzero";
    }
    if (std_domain && (n->op == OP_ARGMAX || n->op == OP_ARGMIN) && w->opset < 12 &&
        node_attr(n, "select_last_index")) {
        if (node_attr_int(n, "select_last_index", 0))
            return wr_fail(w, "node '%s' (%s): select_last_index=1 needs opset 12", n->name, op_type);
        skip[n_skip++] = "select_last_index";
    }
    if (std_domain && n->op == OP_SHAPE && w->opset < 15 && (node_attr(n, "start") || node_attr(n, "end"))) {
        if (node_attr_int(n, "start", 0) != 0 || node_attr(n, "end"))
            return wr_fail(w, "node '%s' (Shape): start/end need opset 15", n->name);
        skip[n_skip++] = "start";
    }
    if (nb_copy_attrs(w, &o, n, skip)) return -1;
    nb_finish(w, &o, outs, n->n_outputs);
    return 0;
}

static int emit_silu(Writer *w, const Node *n)
{
    const char *ins[1], *outs[1];
    if (n->n_inputs != 1 || n->n_outputs != 1) return wr_fail(w, "node '%s' (SiLU) needs one input and one output", n->name);
    if (io_names(w, n, ins, outs)) return -1;
    const char *sig_name = sibling_name(w, n->name, "Sigmoid");
    const char *sig_out = fresh_name(w, arena_printf(w->a, "%s_output_0", sig_name));
    NodeOut o;
    nb_start(w, &o, "Sigmoid", sig_name, NULL);
    nb_input(&o, ins[0]);
    nb_finish(w, &o, &sig_out, 1);
    nb_start(w, &o, "Mul", sibling_name(w, n->name, "Mul"), NULL);
    nb_input(&o, ins[0]);
    nb_input(&o, sig_out);
    nb_finish(w, &o, outs, 1);
    return 0;
}

static int emit_resize(Writer *w, const Node *n)
{
    const char *ins[4] = {"", "", "", ""}, *outs[1];
    if (n->n_inputs < 1 || n->n_inputs > 4 || n->n_outputs != 1)
        return wr_fail(w, "node '%s' (Resize) needs 1 to 4 inputs and one output", n->name);
    if (io_names(w, n, ins, outs)) return -1;
    const char *base = *n->name ? n->name : "Resize";
    const Attr *scales = node_attr(n, "scales"), *sizes = node_attr(n, "sizes");
    const char *roi = ins[1], *sc = n->n_inputs > 2 ? ins[2] : "", *sz = n->n_inputs > 3 ? ins[3] : "";
    if (!*sc && scales && (scales->type == ATTR_FLOATS || scales->type == ATTR_INTS)) {
        float v[GRAPH_MAX_RANK];
        if (scales->count > GRAPH_MAX_RANK) return wr_fail(w, "node '%s' (Resize): too many scales", n->name);
        for (int i = 0; i < scales->count; i++)
            v[i] = scales->type == ATTR_FLOATS ? (float)scales->floats[i] : (float)scales->ints[i];
        sc = add_f32s(w, arena_printf(w->a, "%s_scales", base), v, scales->count, false);
    }
    if (!*sz && sizes && sizes->type == ATTR_INTS)
        sz = add_i64s(w, arena_printf(w->a, "%s_sizes", base), sizes->ints, sizes->count);
    if (!*sc && !*sz) return wr_fail(w, "node '%s' (Resize) has neither scales nor sizes", n->name);
    if (w->opset < 13) {
        /* roi and scales are required inputs before opset 13: empty tensors stand in */
        int64_t zero = 0;
        if (!*roi) roi = add_const(w, arena_printf(w->a, "%s_roi", base), DT_F32, 1, &zero, NULL, 0);
        if (!*sc) sc = add_const(w, arena_printf(w->a, "%s_scales", base), DT_F32, 1, &zero, NULL, 0);
    }
    NodeOut o;
    nb_start(w, &o, "Resize", n->name, n->domain);
    nb_input(&o, ins[0]);
    nb_input(&o, roi);
    nb_input(&o, sc);
    nb_input(&o, sz);
    static const char *const skip[] = {"scales", "sizes", NULL};
    if (nb_copy_attrs(w, &o, n, skip)) return -1;
    const Attr *mode = node_attr(n, "mode");
    bool nearest = !mode || (mode->type == ATTR_STRING && mode->s && !strcmp(mode->s, "nearest"));
    if (!mode) nb_string(w, &o, "mode", "nearest");
    if (nearest) {
        /* what torch exports for nn.Upsample(mode="nearest") */
        if (!node_attr(n, "coordinate_transformation_mode")) nb_string(w, &o, "coordinate_transformation_mode", "asymmetric");
        if (!node_attr(n, "nearest_mode")) nb_string(w, &o, "nearest_mode", "floor");
    }
    nb_finish(w, &o, outs, 1);
    return 0;
}

/* Resize / Clip / NonMaxSuppression operands given as IR attributes become inputs. */
static int emit_nms(Writer *w, const Node *n)
{
    const char *ins[5] = {"", "", "", "", ""}, *outs[1];
    if (n->n_inputs < 2 || n->n_inputs > 5 || n->n_outputs != 1)
        return wr_fail(w, "node '%s' (NonMaxSuppression) needs 2 to 5 inputs and one output", n->name);
    if (io_names(w, n, ins, outs)) return -1;
    const char *base = *n->name ? n->name : "NonMaxSuppression";
    NodeOut o;
    nb_start(w, &o, "NonMaxSuppression", n->name, n->domain);
    for (int i = 0; i < 5; i++) nb_set_input(&o, i, i < n->n_inputs ? ins[i] : "");
    const Attr *a;
    if (!*o.ins[2] && (a = node_attr(n, "max_output_boxes_per_class"))) {
        int64_t v = a->type == ATTR_FLOAT ? (int64_t)a->f : a->i;
        o.ins[2] = add_i64s(w, arena_printf(w->a, "%s_max_output_boxes_per_class", base), &v, 1);
    }
    if (!*o.ins[3] && (a = node_attr(n, "iou_threshold"))) {
        float v = (float)node_attr_float(n, "iou_threshold", 0);
        o.ins[3] = add_f32s(w, arena_printf(w->a, "%s_iou_threshold", base), &v, 1, false);
    }
    if (!*o.ins[4] && (a = node_attr(n, "score_threshold"))) {
        float v = (float)node_attr_float(n, "score_threshold", 0);
        o.ins[4] = add_f32s(w, arena_printf(w->a, "%s_score_threshold", base), &v, 1, false);
    }
    static const char *const skip[] = {"max_output_boxes_per_class", "iou_threshold", "score_threshold", NULL};
    if (nb_copy_attrs(w, &o, n, skip)) return -1;
    nb_finish(w, &o, outs, 1);
    return 0;
}

static int emit_clip(Writer *w, const Node *n)
{
    const char *ins[3] = {"", "", ""}, *outs[1];
    if (n->n_inputs < 1 || n->n_inputs > 3 || n->n_outputs != 1)
        return wr_fail(w, "node '%s' (Clip) needs 1 to 3 inputs and one output", n->name);
    if (io_names(w, n, ins, outs)) return -1;
    const char *base = *n->name ? n->name : "Clip";
    NodeOut o;
    nb_start(w, &o, "Clip", n->name, n->domain);
    for (int i = 0; i < 3; i++) nb_set_input(&o, i, i < n->n_inputs ? ins[i] : "");
    static const char *const which[2] = {"min", "max"};
    for (int k = 0; k < 2; k++) {
        if (*o.ins[1 + k] || !node_attr(n, which[k])) continue;
        float v = (float)node_attr_float(n, which[k], 0);
        o.ins[1 + k] = add_f32s(w, arena_printf(w->a, "%s_%s", base, which[k]), &v, 1, true);
    }
    static const char *const skip[] = {"min", "max", NULL};
    if (nb_copy_attrs(w, &o, n, skip)) return -1;
    nb_finish(w, &o, outs, 1);
    return 0;
}

/* Softmax/LogSoftmax/Hardmax: per-axis in the IR (opset 13 semantics).  Before 13 the op
 * flattens to 2-D around axis, which is the same only for the last axis (or when every
 * later dim is 1); otherwise the axis is moved last with a Transpose pair. */
static int emit_softmax(Writer *w, const Node *n, const char *op_type)
{
    const char *ins[1], *outs[1];
    if (n->n_inputs != 1 || n->n_outputs != 1)
        return wr_fail(w, "node '%s' (%s) needs one input and one output", n->name, op_type);
    int64_t axis = node_attr_int(n, "axis", -1);
    if (w->opset >= 13) return emit_generic(w, n, op_type);
    if (io_names(w, n, ins, outs)) return -1;
    const Tensor *x = n->inputs[0] >= 0 ? &w->g->tensors[n->inputs[0]] : NULL;
    int rank = x ? x->rank : 0;
    static const char *const skip[] = {"axis", NULL};
    NodeOut o;
    if (axis == -1 || (rank > 0 && axis == rank - 1)) {
        nb_start(w, &o, op_type, n->name, n->domain);
        nb_input(&o, ins[0]);
        if (nb_copy_attrs(w, &o, n, skip)) return -1;
        nb_int(w, &o, "axis", -1);
        nb_finish(w, &o, outs, 1);
        return 0;
    }
    if (rank <= 0)
        return wr_fail(w, "node '%s' (%s): axis %lld over an input of unknown rank cannot be written before opset 13",
                       n->name, op_type, (long long)axis);
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) return wr_fail(w, "node '%s' (%s): axis %lld out of range", n->name, op_type, (long long)axis);
    bool trailing_ones = true;
    for (int i = (int)a + 1; i < rank; i++)
        if (x->dims[i] != 1) trailing_ones = false;
    if (trailing_ones) {
        nb_start(w, &o, op_type, n->name, n->domain);
        nb_input(&o, ins[0]);
        if (nb_copy_attrs(w, &o, n, skip)) return -1;
        nb_int(w, &o, "axis", a);
        nb_finish(w, &o, outs, 1);
        return 0;
    }
    int64_t perm[GRAPH_MAX_RANK];
    for (int i = 0; i < rank; i++) perm[i] = i;
    perm[a] = rank - 1;
    perm[rank - 1] = a; /* a swap is its own inverse */
    const char *base = *n->name ? n->name : op_type;
    const char *t1 = fresh_name(w, arena_printf(w->a, "%s_axis_last", base));
    const char *t2 = fresh_name(w, arena_printf(w->a, "%s_last_out", base));
    nb_start(w, &o, "Transpose", arena_printf(w->a, "%s_to_last", base), NULL);
    nb_input(&o, ins[0]);
    nb_ints(w, &o, "perm", perm, rank);
    nb_finish(w, &o, &t1, 1);
    nb_start(w, &o, op_type, n->name, n->domain);
    nb_input(&o, t1);
    if (nb_copy_attrs(w, &o, n, skip)) return -1;
    nb_int(w, &o, "axis", -1);
    nb_finish(w, &o, &t2, 1);
    nb_start(w, &o, "Transpose", arena_printf(w->a, "%s_from_last", base), NULL);
    nb_input(&o, t2);
    nb_ints(w, &o, "perm", perm, rank);
    nb_finish(w, &o, outs, 1);
    return 0;
}

/* Constant: value_float(s)/value_int(s) arrived in opset 12. */
static int emit_constant(Writer *w, const Node *n)
{
    if (w->opset >= 12 || node_attr(n, "value")) return emit_generic(w, n, "Constant");
    const char *outs[1];
    if (n->n_outputs != 1) return wr_fail(w, "node '%s' (Constant) needs one output", n->name);
    outs[0] = tensor_name(w, n->outputs[0]);
    for (int i = 0; i < n->n_attrs; i++) {
        const Attr *at = &n->attrs[i];
        DType dt;
        int cnt;
        void *data;
        int64_t d;
        if (!strcmp(at->name, "value_float") || !strcmp(at->name, "value_floats")) {
            dt = DT_F32;
            cnt = at->type == ATTR_FLOATS ? at->count : 1;
            float *f = anew(w, sizeof(float) * (size_t)(cnt ? cnt : 1));
            for (int k = 0; k < cnt; k++) f[k] = (float)(at->type == ATTR_FLOATS ? at->floats[k] : at->f);
            data = f;
        } else if (!strcmp(at->name, "value_int") || !strcmp(at->name, "value_ints")) {
            dt = DT_I64;
            cnt = at->type == ATTR_INTS ? at->count : 1;
            int64_t *v = anew(w, sizeof(int64_t) * (size_t)(cnt ? cnt : 1));
            for (int k = 0; k < cnt; k++) v[k] = at->type == ATTR_INTS ? at->ints[k] : at->i;
            data = v;
        } else {
            return wr_fail(w, "node '%s' (Constant): attribute '%s' needs opset 12 or later", n->name, at->name);
        }
        bool scalar = at->type == ATTR_FLOAT || at->type == ATTR_INT;
        d = cnt;
        NodeOut o;
        nb_start(w, &o, "Constant", n->name, NULL);
        Onnx__AttributeProto *a = nb_attr(w, &o, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
        a->t = make_tensor(w, "", dt, scalar ? 0 : 1, &d, data, dtype_size(dt) * (size_t)cnt);
        nb_finish(w, &o, outs, 1);
        return 0;
    }
    return wr_fail(w, "node '%s' (Constant) holds no value", n->name);
}

/* ---- the op table ---------------------------------------------------------------------- */
typedef int (*EmitFn)(Writer *w, const Node *n);

typedef struct {
    OpWriteSupport support;
    EmitFn emit;
} OnnxOp;

static int emit_softmax_op(Writer *w, const Node *n) { return emit_softmax(w, n, op_name(n->op)); }
static int emit_generic_op(Writer *w, const Node *n) { return emit_generic(w, n, op_name(n->op)); }

/* GridSample exists from opset 16 on. */
static int emit_grid_sample(Writer *w, const Node *n)
{
    if (w->opset < 16)
        return wr_fail(w, "node '%s': op GridSample needs opset 16 or later (the export asks for opset %d)", n->name,
                       w->opset);
    return emit_generic_op(w, n);
}

/* An op the IR does not model, read from an ONNX file: written back as it was read.  A
 * Softmax the reader kept as OP_OTHER has the pre-opset-13 (2-D coercion) meaning. */
static int emit_verbatim(Writer *w, const Node *n)
{
    bool std_domain = !n->domain || !*n->domain;
    if (!n->op_type || !*n->op_type) return wr_fail(w, "node '%s' has no op_type", n->name);
    if (std_domain && !strcmp(n->op_type, "Softmax") && w->opset >= 13)
        return wr_fail(w, "node '%s' keeps pre-opset-13 Softmax semantics (2-D coercion) and cannot be written at "
                          "opset %d",
                       n->name, w->opset);
    return emit_generic(w, n, n->op_type);
}

/* Every op: how the ONNX writer writes it (ONNX ops by their op_type; SiLU expanded; the
 * ops whose form changed between opsets lowered for the target opset). */
static const OnnxOp onnx_ops[OP_COUNT] = {
    [OP_CONV] = {OP_WRITE_YES, emit_generic_op},
    [OP_CONV_TRANSPOSE] = {OP_WRITE_YES, emit_generic_op},
    [OP_BATCHNORM] = {OP_WRITE_YES, emit_generic_op},
    [OP_SILU] = {OP_WRITE_YES, emit_silu},
    [OP_SIGMOID] = {OP_WRITE_YES, emit_generic_op},
    [OP_RELU] = {OP_WRITE_YES, emit_generic_op},
    [OP_ADD] = {OP_WRITE_YES, emit_generic_op},
    [OP_SUB] = {OP_WRITE_YES, emit_generic_op},
    [OP_MUL] = {OP_WRITE_YES, emit_generic_op},
    [OP_DIV] = {OP_WRITE_YES, emit_generic_op},
    [OP_CONCAT] = {OP_WRITE_YES, emit_generic_op},
    [OP_SPLIT] = {OP_WRITE_YES, emit_generic_op},
    [OP_SLICE] = {OP_WRITE_YES, emit_generic_op},
    [OP_MAXPOOL] = {OP_WRITE_YES, emit_generic_op},
    [OP_AVGPOOL] = {OP_WRITE_YES, emit_generic_op},
    [OP_GLOBAL_AVGPOOL] = {OP_WRITE_YES, emit_generic_op},
    [OP_RESIZE] = {OP_WRITE_YES, emit_resize},
    [OP_RESHAPE] = {OP_WRITE_YES, emit_generic_op},
    [OP_TRANSPOSE] = {OP_WRITE_YES, emit_generic_op},
    [OP_SOFTMAX] = {OP_WRITE_YES, emit_softmax_op},
    [OP_MATMUL] = {OP_WRITE_YES, emit_generic_op},
    [OP_GEMM] = {OP_WRITE_YES, emit_generic_op},
    [OP_FLATTEN] = {OP_WRITE_YES, emit_generic_op},
    [OP_IDENTITY] = {OP_WRITE_YES, emit_generic_op},
    [OP_CONSTANT] = {OP_WRITE_YES, emit_constant},
    [OP_CAST] = {OP_WRITE_YES, emit_generic_op},
    [OP_SHAPE] = {OP_WRITE_YES, emit_generic_op},
    [OP_GATHER] = {OP_WRITE_YES, emit_generic_op},
    [OP_UNSQUEEZE] = {OP_WRITE_YES, emit_generic_op},
    [OP_SQUEEZE] = {OP_WRITE_YES, emit_generic_op},
    [OP_REDUCE_MAX] = {OP_WRITE_YES, emit_generic_op},
    [OP_ARGMAX] = {OP_WRITE_YES, emit_generic_op},
    [OP_TOPK] = {OP_WRITE_YES, emit_generic_op},
    [OP_NMS] = {OP_WRITE_YES, emit_nms},
    [OP_GLOBAL_MAXPOOL] = {OP_WRITE_YES, emit_generic_op},
    [OP_UPSAMPLE] = {OP_WRITE_YES, emit_generic_op},
    [OP_SWISH] = {OP_WRITE_YES, emit_generic_op},
    [OP_EXP] = {OP_WRITE_YES, emit_generic_op},
    [OP_LOG] = {OP_WRITE_YES, emit_generic_op},
    [OP_SQRT] = {OP_WRITE_YES, emit_generic_op},
    [OP_NEG] = {OP_WRITE_YES, emit_generic_op},
    [OP_ABS] = {OP_WRITE_YES, emit_generic_op},
    [OP_TANH] = {OP_WRITE_YES, emit_generic_op},
    [OP_FLOOR] = {OP_WRITE_YES, emit_generic_op},
    [OP_CEIL] = {OP_WRITE_YES, emit_generic_op},
    [OP_ROUND] = {OP_WRITE_YES, emit_generic_op},
    [OP_RECIPROCAL] = {OP_WRITE_YES, emit_generic_op},
    [OP_ERF] = {OP_WRITE_YES, emit_generic_op},
    [OP_LEAKY_RELU] = {OP_WRITE_YES, emit_generic_op},
    [OP_HARD_SIGMOID] = {OP_WRITE_YES, emit_generic_op},
    [OP_HARD_SWISH] = {OP_WRITE_YES, emit_generic_op},
    [OP_SIN] = {OP_WRITE_YES, emit_generic_op},
    [OP_COS] = {OP_WRITE_YES, emit_generic_op},
    [OP_SOFTPLUS] = {OP_WRITE_YES, emit_generic_op},
    [OP_GELU] = {OP_WRITE_YES, emit_generic_op},
    [OP_ELU] = {OP_WRITE_YES, emit_generic_op},
    [OP_SIGN] = {OP_WRITE_YES, emit_generic_op},
    [OP_MISH] = {OP_WRITE_YES, emit_generic_op},
    [OP_POW] = {OP_WRITE_YES, emit_generic_op},
    [OP_MIN] = {OP_WRITE_YES, emit_generic_op},
    [OP_MAX] = {OP_WRITE_YES, emit_generic_op},
    [OP_MOD] = {OP_WRITE_YES, emit_generic_op},
    [OP_EQUAL] = {OP_WRITE_YES, emit_generic_op},
    [OP_LESS] = {OP_WRITE_YES, emit_generic_op},
    [OP_GREATER] = {OP_WRITE_YES, emit_generic_op},
    [OP_LESS_OR_EQUAL] = {OP_WRITE_YES, emit_generic_op},
    [OP_GREATER_OR_EQUAL] = {OP_WRITE_YES, emit_generic_op},
    [OP_AND] = {OP_WRITE_YES, emit_generic_op},
    [OP_OR] = {OP_WRITE_YES, emit_generic_op},
    [OP_XOR] = {OP_WRITE_YES, emit_generic_op},
    [OP_NOT] = {OP_WRITE_YES, emit_generic_op},
    [OP_WHERE] = {OP_WRITE_YES, emit_generic_op},
    [OP_CLIP] = {OP_WRITE_YES, emit_clip},
    [OP_LOG_SOFTMAX] = {OP_WRITE_YES, emit_softmax_op},
    [OP_HARDMAX] = {OP_WRITE_YES, emit_softmax_op},
    [OP_REDUCE_MIN] = {OP_WRITE_YES, emit_generic_op},
    [OP_REDUCE_SUM] = {OP_WRITE_YES, emit_generic_op},
    [OP_REDUCE_MEAN] = {OP_WRITE_YES, emit_generic_op},
    [OP_REDUCE_PROD] = {OP_WRITE_YES, emit_generic_op},
    [OP_REDUCE_SUM_SQUARE] = {OP_WRITE_YES, emit_generic_op},
    [OP_REDUCE_LOG_SUM] = {OP_WRITE_YES, emit_generic_op},
    [OP_REDUCE_LOG_SUM_EXP] = {OP_WRITE_YES, emit_generic_op},
    [OP_REDUCE_L1] = {OP_WRITE_YES, emit_generic_op},
    [OP_REDUCE_L2] = {OP_WRITE_YES, emit_generic_op},
    [OP_ARGMIN] = {OP_WRITE_YES, emit_generic_op},
    [OP_DROPOUT] = {OP_WRITE_YES, emit_generic_op},
    [OP_SIZE] = {OP_WRITE_YES, emit_generic_op},
    [OP_GATHER_ELEMENTS] = {OP_WRITE_YES, emit_generic_op},
    [OP_EXPAND] = {OP_WRITE_YES, emit_generic_op},
    [OP_TILE] = {OP_WRITE_YES, emit_generic_op},
    [OP_RANGE] = {OP_WRITE_YES, emit_generic_op},
    [OP_CONSTANT_OF_SHAPE] = {OP_WRITE_YES, emit_generic_op},
    [OP_PAD] = {OP_WRITE_YES, emit_generic_op},
    [OP_QUANTIZE_LINEAR] = {OP_WRITE_YES, emit_generic_op},
    [OP_DEQUANTIZE_LINEAR] = {OP_WRITE_YES, emit_generic_op},
    [OP_FAKE_QUANTIZE] = {OP_WRITE_NO, NULL},
    [OP_GRID_SAMPLE] = {OP_WRITE_YES, emit_grid_sample},
    [OP_SCATTER_UPDATE] = {OP_WRITE_NO, NULL},
    [OP_CUMSUM] = {OP_WRITE_YES, emit_generic_op},
    [OP_OTHER] = {OP_WRITE_VERBATIM, emit_verbatim},
};
static_assert(ARRAY_LEN(onnx_ops) == OP_COUNT, "the ONNX writer's op table has a row per OpKind");

OpWriteSupport onnx_write_op_support(OpKind op) { return (unsigned)op < OP_COUNT ? onnx_ops[op].support : OP_WRITE_UNSET; }

/* OP_OTHER nodes are copied as read unless another format's reader made them (an OpenVINO
 * type keeps its "openvino:" domain). */
static OpWriteSupport node_support(const Node *n)
{
    OpWriteSupport s = onnx_write_op_support(n->op);
    if (s == OP_WRITE_VERBATIM) return n->domain && !strncmp(n->domain, "openvino:", 9) ? OP_WRITE_NO : OP_WRITE_YES;
    return s;
}

static int emit_node(Writer *w, const Node *n)
{
    if (node_support(n) != OP_WRITE_YES)
        return wr_fail(w, "node '%s': op %s cannot be written as ONNX", n->name, node_op_name(n));
    return onnx_ops[n->op].emit(w, n);
}

/* ---- graph ----------------------------------------------------------------------------- */
static DType guess_dtype(const Graph *g, int ti)
{
    for (int depth = 0; depth < 4096 && ti >= 0; depth++) {
        const Tensor *t = &g->tensors[ti];
        if (t->dtype != DT_UNDEFINED) return t->dtype;
        if (t->producer < 0) return DT_UNDEFINED;
        const Node *n = &g->nodes[t->producer];
        switch (n->op) {
        case OP_SHAPE: case OP_ARGMAX: case OP_NMS: return DT_I64;
        case OP_CAST: return dtype_from_onnx((int)node_attr_int(n, "to", 0));
        default: break;
        }
        if (n->n_inputs < 1) return DT_UNDEFINED;
        ti = n->inputs[0];
    }
    return DT_UNDEFINED;
}

static Onnx__ValueInfoProto *value_info(Writer *w, int ti, const char *what)
{
    const Graph *g = w->g;
    const Tensor *t = &g->tensors[ti];
    DType dt = guess_dtype(g, ti);
    if (dt == DT_UNDEFINED || dt == DT_STRING) {
        wr_fail(w, "graph %s '%s' has no known element type", what, t->name);
        return NULL;
    }
    Onnx__ValueInfoProto *vi = anew(w, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = (char *)tensor_name(w, ti);
    Onnx__TypeProto *tp = anew(w, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = anew(w, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = dtype_to_onnx(dt);
    Onnx__TensorShapeProto *sh = anew(w, sizeof *sh);
    onnx__tensor_shape_proto__init(sh);
    sh->n_dim = (size_t)t->rank;
    sh->dim = anew(w, sizeof(*sh->dim) * (size_t)(t->rank ? t->rank : 1));
    for (int i = 0; i < t->rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = anew(w, sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (t->dim_names[i] && *t->dim_names[i]) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = (char *)t->dim_names[i];
        } else if (t->dims[i] >= 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = t->dims[i];
        }
        sh->dim[i] = d;
    }
    tt->shape = sh;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    return vi;
}

/* Node order: the IR's, except that a producer is always written before its consumers. */
static int *topo_order(Writer *w)
{
    const Graph *g = w->g;
    int *order = xmalloc(sizeof(int) * (size_t)(g->n_nodes ? g->n_nodes : 1));
    unsigned char *state = xcalloc((size_t)g->n_nodes + 1, 1); /* 0 new, 1 on stack, 2 done */
    int *stack = xmalloc(sizeof(int) * (size_t)(g->n_nodes ? g->n_nodes : 1));
    int *next_in = xcalloc((size_t)g->n_nodes + 1, sizeof(int));
    int n_order = 0;
    for (int root = 0; root < g->n_nodes; root++) {
        if (state[root]) continue;
        int sp = 0;
        stack[sp++] = root;
        state[root] = 1;
        while (sp) {
            int ni = stack[sp - 1];
            const Node *n = &g->nodes[ni];
            bool pushed = false;
            while (next_in[ni] < n->n_inputs) {
                int t = n->inputs[next_in[ni]++];
                if (t < 0 || t >= g->n_tensors) continue;
                int p = g->tensors[t].producer;
                if (p < 0 || p >= g->n_nodes || state[p] == 2) continue;
                if (state[p] == 1) {
                    wr_fail(w, "the graph has a cycle through node '%s' (%s)", n->name, n->op_type);
                    free(order), order = NULL;
                    goto done;
                }
                state[p] = 1;
                stack[sp++] = p;
                pushed = true;
                break;
            }
            if (pushed) continue;
            state[ni] = 2;
            order[n_order++] = ni;
            sp--;
        }
    }
done:
    free(state);
    free(stack);
    free(next_in);
    return order;
}

static int build_model(Writer *w, const OnnxWriteOptions *opt, Onnx__ModelProto *m, Onnx__GraphProto *gp)
{
    const Graph *g = w->g;
    /* graph inputs and outputs keep their names first */
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] >= 0 && g->inputs[i] < g->n_tensors) tensor_name(w, g->inputs[i]);
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] >= 0 && g->outputs[i] < g->n_tensors) tensor_name(w, g->outputs[i]);
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].producer >= 0 || g->tensors[i].data) tensor_name(w, i);

    /* every node input must be defined: initializer, graph input or a producer's output */
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t < -1 || t >= g->n_tensors)
                return wr_fail(w, "node '%s' (%s) has an input index out of range", n->name, n->op_type);
            if (t >= 0 && g->tensors[t].producer < 0 && !g->tensors[t].is_input && !g->tensors[t].data &&
                !g->tensors[t].external)
                return wr_fail(w, "node '%s' (%s) uses '%s', which nothing defines", n->name, n->op_type,
                               g->tensors[t].name);
        }
    }
    int *order = topo_order(w);
    if (!order) return -1;
    for (int k = 0; k < g->n_nodes; k++) {
        if (emit_node(w, &g->nodes[order[k]])) {
            free(order);
            return -1;
        }
    }
    free(order);

    gp->name = "main_graph";
    gp->n_node = w->nodes.len;
    gp->node = w->nodes.items;
    gp->n_input = (size_t)g->n_inputs;
    gp->input = anew(w, sizeof(*gp->input) * (size_t)(g->n_inputs ? g->n_inputs : 1));
    for (int i = 0; i < g->n_inputs; i++)
        if (!(gp->input[i] = value_info(w, g->inputs[i], "input"))) return -1;
    gp->n_output = (size_t)g->n_outputs;
    gp->output = anew(w, sizeof(*gp->output) * (size_t)(g->n_outputs ? g->n_outputs : 1));
    for (int i = 0; i < g->n_outputs; i++) {
        int ti = g->outputs[i];
        if (ti < 0 || ti >= g->n_tensors) return wr_fail(w, "graph output %d is out of range", i);
        const char *dummy;
        if (use_tensor(w, ti, &dummy)) return -1;
        if (!(gp->output[i] = value_info(w, ti, "output"))) return -1;
    }
    gp->n_initializer = w->inits.len;
    gp->initializer = w->inits.items;

    m->has_ir_version = 1;
    m->ir_version = ir_version_for(w->opset);
    m->producer_name = (char *)(opt && opt->producer_name ? opt->producer_name : "yoloport");
    m->producer_version = (char *)(opt && opt->producer_version ? opt->producer_version : YOLOPORT_VERSION);
    size_t n_os = 1 + w->domains.len;
    m->n_opset_import = n_os;
    m->opset_import = anew(w, sizeof(*m->opset_import) * n_os);
    for (size_t i = 0; i < n_os; i++) {
        Onnx__OperatorSetIdProto *os = anew(w, sizeof *os);
        onnx__operator_set_id_proto__init(os);
        os->domain = i == 0 ? "" : ((char **)w->domains.items)[i - 1];
        os->has_version = 1;
        os->version = i == 0 ? w->opset : 1;
        m->opset_import[i] = os;
    }
    m->n_metadata_props = (size_t)g->meta.n_props;
    m->metadata_props = anew(w, sizeof(*m->metadata_props) * (size_t)(g->meta.n_props ? g->meta.n_props : 1));
    for (int i = 0; i < g->meta.n_props; i++) {
        Onnx__StringStringEntryProto *kv = anew(w, sizeof *kv);
        onnx__string_string_entry_proto__init(kv);
        kv->key = (char *)g->meta.props[i].key;
        kv->value = (char *)g->meta.props[i].value;
        m->metadata_props[i] = kv;
    }
    m->graph = gp;
    return 0;
}

int onnx_serialize(const Graph *g, const OnnxWriteOptions *opt, uint8_t **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    *len = 0;
    int opset = opt && opt->opset ? opt->opset : ONNX_DEFAULT_OPSET;
    if (opset < ONNX_MIN_OPSET || opset > ONNX_MAX_OPSET)
        return err_set(err, errlen, "opset %d is not supported (%d to %d)", opset, ONNX_MIN_OPSET, ONNX_MAX_OPSET);
    int bad = graph_first_unwritable(g, node_support); /* from the op table, before anything is built */
    if (bad >= 0)
        return err_set(err, errlen, "node '%s': op %s cannot be written as ONNX", g->nodes[bad].name,
                       node_op_name(&g->nodes[bad]));
    Writer w = {.g = g, .opset = opset, .err = err, .errlen = errlen};
    w.a = arena_new();
    w.tname = xcalloc((size_t)g->n_tensors + 1, sizeof *w.tname);
    w.init_done = xcalloc((size_t)g->n_tensors + 1, 1);
    Onnx__ModelProto m;
    Onnx__GraphProto gp;
    onnx__model_proto__init(&m);
    onnx__graph_proto__init(&gp);
    int rc = build_model(&w, opt, &m, &gp);
    if (rc == 0) {
        size_t size = onnx__model_proto__get_packed_size(&m);
        if (size > ((size_t)1 << 31) - 1) {
            rc = err_set(err, errlen, "the model needs %zu bytes, over protobuf's 2 GiB limit", size);
        } else {
            *out = xmalloc(size ? size : 1);
            *len = onnx__model_proto__pack(&m, *out);
        }
    }
    vec_free(&w.nodes);
    vec_free(&w.inits);
    vec_free(&w.domains);
    strmap_free(&w.names);
    free(w.tname);
    free(w.init_done);
    arena_free(w.a);
    return rc;
}
