/* openvino_write: the Graph IR as OpenVINO IR version 11 — <stem>.xml (layers, edges,
 * rt_info) and <stem>.bin (constants, deduplicated) — plus the peer's metadata.yaml.
 * Each IR node becomes one or more opset layers through the emitter table below. */
#include "openvino.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/fileio.h"
#include "engine/util.h"

/* ---- element types ---------------------------------------------------------------- */

static const struct {
    DType dt;
    const char *element_type, *precision;
} ov_types[] = {
    {DT_F32, "f32", "FP32"}, {DT_F16, "f16", "FP16"},   {DT_BF16, "bf16", "BF16"},    {DT_F64, "f64", "FP64"},
    {DT_I8, "i8", "I8"},     {DT_I16, "i16", "I16"},    {DT_I32, "i32", "I32"},       {DT_I64, "i64", "I64"},
    {DT_U8, "u8", "U8"},     {DT_U16, "u16", "U16"},    {DT_U32, "u32", "U32"},       {DT_U64, "u64", "U64"},
    {DT_BOOL, "boolean", "BOOL"},
};

const char *openvino_element_type(DType t)
{
    for (size_t i = 0; i < ARRAY_LEN(ov_types); i++)
        if (ov_types[i].dt == t) return ov_types[i].element_type;
    return NULL;
}

const char *openvino_precision(DType t)
{
    for (size_t i = 0; i < ARRAY_LEN(ov_types); i++)
        if (ov_types[i].dt == t) return ov_types[i].precision;
    return NULL;
}

DType openvino_dtype_from_element_type(const char *s)
{
    for (size_t i = 0; s && i < ARRAY_LEN(ov_types); i++)
        if (!strcmp(ov_types[i].element_type, s)) return ov_types[i].dt;
    return DT_UNDEFINED;
}

DType openvino_dtype_from_precision(const char *s)
{
    for (size_t i = 0; s && i < ARRAY_LEN(ov_types); i++)
        if (!strcasecmp(ov_types[i].precision, s)) return ov_types[i].dt;
    return DT_UNDEFINED;
}

/* XML attribute text: markup characters escaped, control characters as character references
 * where XML allows them and '?' otherwise, invalid UTF-8 bytes as '?'. */
static void buf_xml(StrBuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_seq_len(p);
        if (*p == '&') strbuf_puts(b, "&amp;");
        else if (*p == '<') strbuf_puts(b, "&lt;");
        else if (*p == '>') strbuf_puts(b, "&gt;");
        else if (*p == '"') strbuf_puts(b, "&quot;");
        else if (*p == '\t' || *p == '\n' || *p == '\r') strbuf_printf(b, "&#%d;", *p);
        else if (*p < 0x20 || *p == 0x7f || !n) strbuf_puts(b, "?");
        else {
            strbuf_add(b, p, n);
            p += n;
            continue;
        }
        p++;
    }
}

/* ---- the layer list under construction ------------------------------------------ */

typedef struct {
    DType dtype;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    char *names; /* tensor names joined with ',' (a ',' inside a name escaped as "\,"), or NULL */
} WPort;

typedef struct {
    char *name;
    const char *type, *version;
    bool own_type;       /* type and version are heap copies (a passed-through layer) */
    StrBuf data;            /* the <data> element's attributes, already escaped */
    bool decompression;  /* a Convert that decompresses an f16 constant */
    WPort *in, *out;
    int n_in, n_out, cap_in, cap_out;
} WLayer;

typedef struct {
    int layer, port; /* port: output index within the layer (its id is n_in + port) */
} Src;

typedef struct {
    int from_layer, from_port, to_layer, to_port;
} WEdge;

/* Constant bytes already in the .bin, for deduplication. */
typedef struct {
    uint64_t hash;
    size_t offset, size;
} BinEntry;

typedef struct {
    const Graph *g;
    OpenVinoOptions opt;
    WLayer *layers;
    int n_layers, cap_layers;
    WEdge *edges;
    int n_edges, cap_edges;
    StrBuf bin;
    BinEntry *bins;
    size_t n_bins, cap_bins; /* open addressing, cap a power of two */
    Src *tsrc;               /* per graph tensor: where its value comes from (layer -1: not yet) */
    int uniq;                /* counter for generated layer names */
    char *err;
    size_t errlen;
} W;

static int w_layer(W *w, const char *name, const char *type, const char *version)
{
    if (w->n_layers == w->cap_layers) {
        w->cap_layers = w->cap_layers ? w->cap_layers * 2 : 256;
        w->layers = xrealloc(w->layers, sizeof *w->layers * (size_t)w->cap_layers);
    }
    WLayer *L = &w->layers[w->n_layers];
    memset(L, 0, sizeof *L);
    if (name && *name) L->name = xstrdup(name);
    else L->name = xasprintf("%s_%d", type, ++w->uniq);
    L->type = type;
    L->version = version;
    return w->n_layers++;
}

static void w_attr(W *w, int L, const char *key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void w_attr(W *w, int L, const char *key, const char *fmt, ...)
{
    char *v;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&v, fmt, ap) < 0) v = NULL;
    va_end(ap);
    StrBuf *d = &w->layers[L].data;
    strbuf_printf(d, " %s=\"", key);
    if (v) buf_xml(d, v);
    strbuf_puts(d, "\"");
    free(v);
}

static void w_attr_ints(W *w, int L, const char *key, const int64_t *v, int n)
{
    StrBuf s = {0};
    strbuf_puts(&s, "");
    for (int i = 0; i < n; i++) strbuf_printf(&s, "%s%lld", i ? ", " : "", (long long)v[i]);
    w_attr(w, L, key, "%s", s.p);
    free(s.p);
}

static WPort *port_push(WPort **arr, int *n, int *cap)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        *arr = xrealloc(*arr, sizeof **arr * (size_t)*cap);
    }
    WPort *p = &(*arr)[(*n)++];
    memset(p, 0, sizeof *p);
    return p;
}

/* Add an output port; returns its Src.  names may be NULL. */
static Src w_out(W *w, int L, DType dt, int rank, const int64_t *dims, const char *names)
{
    WLayer *l = &w->layers[L];
    WPort *p = port_push(&l->out, &l->n_out, &l->cap_out);
    p->dtype = dt;
    p->rank = rank < 0 ? 0 : rank > GRAPH_MAX_RANK ? GRAPH_MAX_RANK : rank;
    for (int i = 0; i < p->rank; i++) p->dims[i] = dims ? dims[i] : -1;
    if (names && *names) {
        StrBuf s = {0};
        for (const char *c = names; *c; c++) {
            if (*c == ',') strbuf_puts(&s, "\\");
            strbuf_add(&s, c, 1);
        }
        p->names = s.p;
    }
    return (Src){L, l->n_out - 1};
}

static const WPort *src_port(const W *w, Src s) { return &w->layers[s.layer].out[s.port]; }

/* Add one more name to an output port (an Identity's output, a graph output). */
static void w_port_add_name(W *w, Src s, const char *name)
{
    WPort *p = &w->layers[s.layer].out[s.port];
    StrBuf b = {0};
    if (p->names) {
        strbuf_puts(&b, p->names);
        strbuf_puts(&b, ",");
    }
    for (const char *c = name; *c; c++) {
        if (*c == ',') strbuf_puts(&b, "\\");
        strbuf_add(&b, c, 1);
    }
    free(p->names);
    p->names = b.p;
}

/* Connect s to a new input port of layer L. */
static void w_in(W *w, int L, Src s)
{
    const WPort *sp = src_port(w, s);
    WPort copy = *sp;
    WLayer *l = &w->layers[L];
    WPort *p = port_push(&l->in, &l->n_in, &l->cap_in);
    *p = copy;
    p->names = NULL;
    if (w->n_edges == w->cap_edges) {
        w->cap_edges = w->cap_edges ? w->cap_edges * 2 : 256;
        w->edges = xrealloc(w->edges, sizeof *w->edges * (size_t)w->cap_edges);
    }
    w->edges[w->n_edges++] = (WEdge){s.layer, w->layers[s.layer].n_in + s.port, L, l->n_in - 1};
}

/* ---- constants ---------------------------------------------------------------------- */

static uint64_t bytes_hash(const void *d, size_t n)
{
    const unsigned char *p = d;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h ^ n;
}

/* Offset of data in the .bin, appending it (aligned to align) unless the same bytes are there. */
static size_t w_bin(W *w, const void *data, size_t n, size_t align)
{
    uint64_t h = bytes_hash(data, n);
    if (w->n_bins * 2 >= w->cap_bins) {
        size_t cap = w->cap_bins ? w->cap_bins * 2 : 1024;
        BinEntry *nb = xcalloc(cap, sizeof *nb);
        for (size_t i = 0; i < w->cap_bins; i++) {
            if (!w->bins[i].size && !w->bins[i].hash) continue;
            size_t j = (size_t)w->bins[i].hash & (cap - 1);
            while (nb[j].size || nb[j].hash) j = (j + 1) & (cap - 1);
            nb[j] = w->bins[i];
        }
        free(w->bins);
        w->bins = nb;
        w->cap_bins = cap;
    }
    size_t j = (size_t)h & (w->cap_bins - 1);
    while (w->bins[j].size || w->bins[j].hash) {
        BinEntry *e = &w->bins[j];
        if (e->hash == h && e->size == n && e->offset % align == 0 && !memcmp(w->bin.p + e->offset, data, n))
            return e->offset;
        j = (j + 1) & (w->cap_bins - 1);
    }
    static const char zeros[8];
    if (align > 1 && w->bin.len % align) strbuf_add(&w->bin, zeros, align - w->bin.len % align);
    size_t off = w->bin.len;
    strbuf_add(&w->bin, data, n);
    w->bins[j] = (BinEntry){h ? h : 1, off, n};
    w->n_bins++;
    return off;
}

static void shape_attr(StrBuf *b, int rank, const int64_t *dims, const char *sep)
{
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) strbuf_printf(b, "%s?", i ? sep : "");
        else strbuf_printf(b, "%s%lld", i ? sep : "", (long long)dims[i]);
    }
}

static bool f32_fits_half(const float *v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i]) || fabsf(v[i]) > 65504.f) return false;
    return true;
}

/* A Const layer (float32 data compressed to f16 + Convert when opt.half and compressible). */
static Src w_const(W *w, const char *name, DType dt, int rank, const int64_t *dims, const void *data, size_t nbytes,
                   bool compressible)
{
    char gen[48];
    if (!name || !*name) {
        snprintf(gen, sizeof gen, "Constant_%d", ++w->uniq);
        name = gen;
    }
    int64_t numel = 1;
    for (int i = 0; i < rank; i++) numel *= dims[i];
    bool half = w->opt.half && compressible && dt == DT_F32 && numel > 0 && (size_t)numel * 4 == nbytes &&
                f32_fits_half(data, numel);
    uint16_t *h = NULL;
    if (half) {
        h = xmalloc((size_t)numel * 2);
        const float *f = data;
        for (int64_t i = 0; i < numel; i++) h[i] = float_to_half(f[i]);
        data = h;
        nbytes = (size_t)numel * 2;
        dt = DT_F16;
    }
    size_t es = dtype_size(dt);
    size_t off = w_bin(w, data, nbytes, es ? es : 1);
    free(h);
    char *cname = half ? xasprintf("%s_compressed", name) : xstrdup(name);
    int L = w_layer(w, cname, "Const", "opset1");
    free(cname);
    StrBuf shape = {0};
    strbuf_puts(&shape, "");
    shape_attr(&shape, rank, dims, ", ");
    w_attr(w, L, "element_type", "%s", openvino_element_type(dt));
    w_attr(w, L, "shape", "%s", shape.p);
    w_attr(w, L, "offset", "%zu", off);
    w_attr(w, L, "size", "%zu", nbytes);
    free(shape.p);
    Src s = w_out(w, L, dt, rank, dims, NULL);
    if (!half) return s;
    int C = w_layer(w, name, "Convert", "opset1");
    w_attr(w, C, "destination_type", "f32");
    w->layers[C].decompression = true;
    w_in(w, C, s);
    return w_out(w, C, DT_F32, rank, dims, NULL);
}

static Src w_const_i64(W *w, const char *name, const int64_t *v, int n, bool scalar)
{
    int64_t d = n;
    return w_const(w, name, DT_I64, scalar ? 0 : 1, &d, v, sizeof(int64_t) * (size_t)n, false);
}

static Src w_const_f32(W *w, const char *name, const float *v, int n, bool scalar, bool compressible)
{
    int64_t d = n;
    return w_const(w, name, DT_F32, scalar ? 0 : 1, &d, v, sizeof(float) * (size_t)n, compressible);
}

/* ---- graph access helpers ------------------------------------------------------------- */

static int fail(W *w, const Node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(W *w, const Node *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n) return err_set(w->err, w->errlen, "node '%s' (%s): %s", n->name, n->op_type, msg);
    return err_set(w->err, w->errlen, "%s", msg);
}

static const Tensor *T(const W *w, int t) { return (t >= 0 && t < w->g->n_tensors) ? &w->g->tensors[t] : NULL; }

/* The constant behind tensor t: an initializer or a Constant node's value; NULL otherwise. */
static const Tensor *const_tensor(const Graph *g, int t)
{
    if (t < 0 || t >= g->n_tensors) return NULL;
    const Tensor *x = &g->tensors[t];
    if (x->data && x->producer < 0) return x;
    if (x->producer >= 0) {
        const Node *p = &g->nodes[x->producer];
        const Attr *a = p->op == OP_CONSTANT ? node_attr(p, "value") : NULL;
        if (a && a->type == ATTR_TENSOR && a->tensor >= 0 && a->tensor < g->n_tensors && g->tensors[a->tensor].data)
            return &g->tensors[a->tensor];
    }
    return NULL;
}

/* Integer values of a constant (any integer or float type); -1 when not a small constant. */
static int const_ints(const Tensor *c, int64_t *out, int max)
{
    int64_t n = c ? tensor_numel(c) : -1;
    size_t es = c ? dtype_size(c->dtype) : 0;
    if (n < 0 || n > max || !es || c->nbytes < (size_t)n * es) return -1;
    const unsigned char *p = c->data;
    for (int64_t i = 0; i < n; i++, p += es) {
        switch (c->dtype) {
        case DT_I64: { int64_t v; memcpy(&v, p, 8); out[i] = v; break; }
        case DT_I32: { int32_t v; memcpy(&v, p, 4); out[i] = v; break; }
        case DT_I16: { int16_t v; memcpy(&v, p, 2); out[i] = v; break; }
        case DT_I8: out[i] = (int8_t)p[0]; break;
        case DT_U8: case DT_BOOL: out[i] = p[0]; break;
        case DT_U16: { uint16_t v; memcpy(&v, p, 2); out[i] = v; break; }
        case DT_U32: { uint32_t v; memcpy(&v, p, 4); out[i] = v; break; }
        case DT_U64: { uint64_t v; memcpy(&v, p, 8); out[i] = (int64_t)v; break; }
        case DT_F32: { float v; memcpy(&v, p, 4); out[i] = (int64_t)v; break; }
        case DT_F64: { double v; memcpy(&v, p, 8); out[i] = (int64_t)v; break; }
        default: return -1;
        }
    }
    return (int)n;
}

/* An int-list operand: input k when present (a constant), else attribute attr.
 * Count, -1 when neither is there, -2 when the input is not a constant. */
static int operand_ints(const W *w, const Node *n, int k, const char *attr, int64_t *out, int max)
{
    if (k < n->n_inputs && n->inputs[k] >= 0) {
        int c = const_ints(const_tensor(w->g, n->inputs[k]), out, max);
        return c < 0 ? -2 : c;
    }
    const Attr *a = attr ? node_attr(n, attr) : NULL;
    if (!a) return -1;
    if (a->type == ATTR_INT) {
        out[0] = a->i;
        return 1;
    }
    if (a->type != ATTR_INTS || a->count > max) return -2;
    return node_attr_ints(n, attr, out, max);
}

/* Where tensor t's value comes from, emitting its Const layer on first use. */
static int w_src(W *w, const Node *n, int t, bool compressible, Src *out)
{
    const Tensor *x = T(w, t);
    if (!x) return fail(w, n, "an input is missing");
    if (w->tsrc[t].layer >= 0) {
        *out = w->tsrc[t];
        return 0;
    }
    if (x->data && x->producer < 0) {
        if (!openvino_element_type(x->dtype)) return fail(w, n, "constant '%s' has type %s, which OpenVINO has no name for", x->name, dtype_name(x->dtype));
        int64_t numel = tensor_numel(x);
        if (numel < 0 || (size_t)numel * dtype_size(x->dtype) != x->nbytes)
            return fail(w, n, "constant '%s' holds %zu bytes, not what its shape says", x->name, x->nbytes);
        w->tsrc[t] = w_const(w, x->name, x->dtype, x->rank, x->dims, x->data, x->nbytes, compressible);
        *out = w->tsrc[t];
        return 0;
    }
    if (x->producer < 0 && !x->is_input) return fail(w, n, "tensor '%s' has no producer and no data", x->name);
    return fail(w, n, "tensor '%s' is used before it is produced", x->name);
}

static int w_in_tensor(W *w, int L, const Node *n, int t, bool compressible)
{
    Src s;
    if (w_src(w, n, t, compressible, &s)) return -1;
    w_in(w, L, s);
    return 0;
}

/* Output port for graph tensor t (named after it). */
static Src w_out_tensor(W *w, int L, int t)
{
    const Tensor *x = T(w, t);
    Src s = w_out(w, L, x->dtype, x->rank, x->dims, x->name);
    w->tsrc[t] = s;
    return s;
}

static const char *bool_str(bool b) { return b ? "true" : "false"; }

/* A layer type, version or attribute name safe to write unescaped. */
static bool xml_type_ok(const char *s)
{
    if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == '-' || *s == '.'))
            return false;
    return true;
}

static bool dtype_is_floaty(DType t) { return t == DT_F32 || t == DT_F16 || t == DT_BF16 || t == DT_F64; }

/* ---- emitters: one per IR op (or family) ---------------------------------------------- */

typedef struct OpMap OpMap;
typedef int (*EmitFn)(W *w, const Node *n, const OpMap *m);
struct OpMap {
    const char *ir;      /* IR op name (op_name or op_type) */
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
    if (c < lo || c > hi) return fail(w, n, "has %d inputs (expected %d to %d)", c, lo, hi);
    for (int i = 0; i < c; i++)
        if (n->inputs[i] < 0 && i < lo) return fail(w, n, "input %d is missing", i);
    if (n->n_outputs < 1 || n->outputs[0] < 0) return fail(w, n, "has no output");
    return 0;
}

/* Unary and binary elementwise ops (and anything else with inputs in order, one output). */
/* Inputs in order, one output, fixed attributes (elementwise ops and the like). */
static int emit_simple(W *w, const Node *n, const OpMap *m)
{
    int arity = m->flags & ARITY_MASK;
    if (need_inputs(w, n, arity, arity)) return -1;
    int L = w_layer(w, n->name, m->type, m->version);
    if (m->flags & BROADCAST) w_attr(w, L, "auto_broadcast", "numpy");
    for (const char *d = m->data; d && *d;) {
        const char *eq = strchr(d, '='), *semi = strchr(d, ';');
        if (!semi) semi = d + strlen(d);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(eq - d), d);
        w_attr(w, L, key, "%.*s", (int)(semi - eq - 1), eq + 1);
        d = *semi ? semi + 1 : semi;
    }
    DType yt = T(w, n->outputs[0])->dtype;
    if (!strcmp(m->type, "Divide") && yt != DT_UNDEFINED && !dtype_is_floaty(yt)) w_attr(w, L, "m_pythondiv", "true");
    for (int i = 0; i < arity; i++)
        if (w_in_tensor(w, L, n, n->inputs[i], !(m->flags & RAW_INPUTS))) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_alias(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    Src s;
    if (w_src(w, n, n->inputs[0], true, &s)) return -1;
    w->tsrc[n->outputs[0]] = s;
    w_port_add_name(w, s, T(w, n->outputs[0])->name);
    return 0;
}

static int emit_constant(W *w, const Node *n, const OpMap *m)
{
    if (n->n_outputs < 1 || n->outputs[0] < 0) return fail(w, n, "has no output");
    const Tensor *c = const_tensor(w->g, n->outputs[0]);
    const Tensor *o = T(w, n->outputs[0]);
    const Attr *a;
    if (c) {
        if (!openvino_element_type(c->dtype)) return fail(w, n, "value has type %s", dtype_name(c->dtype));
        int64_t numel = tensor_numel(c);
        if (numel < 0 || (size_t)numel * dtype_size(c->dtype) != c->nbytes) return fail(w, n, "value size does not fit its shape");
        w->tsrc[n->outputs[0]] = w_const(w, o->name, c->dtype, c->rank, c->dims, c->data, c->nbytes, true);
    } else if ((a = node_attr(n, "value_float")) && a->type == ATTR_FLOAT) {
        float f = (float)a->f;
        w->tsrc[n->outputs[0]] = w_const_f32(w, o->name, &f, 1, true, true);
    } else if ((a = node_attr(n, "value_int")) && a->type == ATTR_INT) {
        w->tsrc[n->outputs[0]] = w_const_i64(w, o->name, &a->i, 1, true);
    } else if ((a = node_attr(n, "value_ints")) && a->type == ATTR_INTS) {
        w->tsrc[n->outputs[0]] = w_const_i64(w, o->name, a->ints, a->count, false);
    } else {
        return fail(w, n, "has no value OpenVINO can hold");
    }
    w_port_add_name(w, w->tsrc[n->outputs[0]], o->name);
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
    if (sp < 1 || sp > 3) return fail(w, n, "has %d spatial dims (1 to 3 are supported)", sp);
    g->sp = sp;
    int64_t v[2 * GRAPH_MAX_RANK];
    int c = node_attr_ints(n, "kernel_shape", v, GRAPH_MAX_RANK);
    if (c && c != sp) return fail(w, n, "kernel_shape has %d entries for %d spatial dims", c, sp);
    if (!c && !kernel_dims) return fail(w, n, "has no kernel_shape");
    for (int i = 0; i < sp; i++) g->kernel[i] = c ? v[i] : kernel_dims[i];
    for (int i = 0; i < sp; i++) g->strides[i] = g->dilations[i] = 1;
    if ((c = node_attr_ints(n, "strides", v, GRAPH_MAX_RANK)) && c != sp) return fail(w, n, "strides has %d entries", c);
    for (int i = 0; i < c; i++) g->strides[i] = v[i];
    if ((c = node_attr_ints(n, "dilations", v, GRAPH_MAX_RANK)) && c != sp) return fail(w, n, "dilations has %d entries", c);
    for (int i = 0; i < c; i++) g->dilations[i] = v[i];
    if ((c = node_attr_ints(n, "pads", v, 2 * GRAPH_MAX_RANK)) && c != 2 * sp) return fail(w, n, "pads has %d entries", c);
    for (int i = 0; i < c / 2; i++) {
        g->pads_begin[i] = v[i];
        g->pads_end[i] = v[i + sp];
    }
    if ((c = node_attr_ints(n, "output_padding", v, GRAPH_MAX_RANK)) && c != sp) return fail(w, n, "output_padding has %d entries", c);
    for (int i = 0; i < c; i++) g->out_pad[i] = v[i];
    const Attr *ap = node_attr(n, "auto_pad");
    const char *s = ap && ap->type == ATTR_STRING ? ap->s : "NOTSET";
    static const char *const pads[][2] = {{"NOTSET", "explicit"}, {"SAME_UPPER", "same_upper"}, {"SAME_LOWER", "same_lower"}, {"VALID", "valid"}};
    g->auto_pad = NULL;
    for (size_t i = 0; i < ARRAY_LEN(pads); i++)
        if (!strcmp(s, pads[i][0])) g->auto_pad = pads[i][1];
    if (!g->auto_pad) return fail(w, n, "auto_pad '%s' is not one OpenVINO knows", s);
    for (int i = 0; i < sp; i++)
        if (g->strides[i] < 1 || g->dilations[i] < 1 || g->kernel[i] < 1 || g->pads_begin[i] < 0 || g->pads_end[i] < 0)
            return fail(w, n, "has a non-positive kernel, stride or dilation, or a negative pad");
    return 0;
}

static void geom_attrs(W *w, int L, const Geom *g, bool with_dilations)
{
    w_attr_ints(w, L, "strides", g->strides, g->sp);
    if (with_dilations) w_attr_ints(w, L, "dilations", g->dilations, g->sp);
    w_attr_ints(w, L, "pads_begin", g->pads_begin, g->sp);
    w_attr_ints(w, L, "pads_end", g->pads_end, g->sp);
}

/* A Reshape of s to a constant shape (for operands that are not constants). */
static Src w_reshape(W *w, const char *name, Src s, const int64_t *shape, int rank, const int64_t *out_dims)
{
    Src c = w_const_i64(w, NULL, shape, rank, false);
    int L = w_layer(w, name, "Reshape", "opset1");
    w_attr(w, L, "special_zero", "true");
    w_in(w, L, s);
    w_in(w, L, c);
    return w_out(w, L, src_port(w, s)->dtype, rank, out_dims, NULL);
}

/* Operand t reshaped to dims: a constant is re-emitted with the new shape, anything else
 * goes through a Reshape layer. */
static int w_src_reshaped(W *w, const Node *n, int t, const int64_t *dims, int rank, const char *suffix, Src *out)
{
    const Tensor *x = T(w, t);
    if (x && x->data && x->producer < 0 && w->tsrc[t].layer < 0) {
        int64_t numel = 1;
        for (int i = 0; i < rank; i++) numel *= dims[i];
        if (numel != tensor_numel(x) || (size_t)numel * dtype_size(x->dtype) != x->nbytes)
            return fail(w, n, "'%s' does not have the %lld elements expected", x->name, (long long)numel);
        *out = w_const(w, x->name, x->dtype, rank, dims, x->data, x->nbytes, true);
        return 0;
    }
    Src s;
    if (w_src(w, n, t, true, &s)) return -1;
    char *name = xasprintf("%s/%s", n->name, suffix);
    *out = w_reshape(w, name, s, dims, rank, dims);
    free(name);
    return 0;
}

/* Add a per-channel bias (a [M] tensor) to conv output s, as the peer's IR does:
 * Add(conv, bias as [1, M, 1, ...]), named after the node. */
static int w_bias(W *w, const Node *n, Src s, int bias, int out_rank)
{
    const Tensor *b = T(w, bias);
    int64_t dims[GRAPH_MAX_RANK];
    for (int i = 0; i < out_rank; i++) dims[i] = 1;
    dims[1] = b && b->rank == 1 ? b->dims[0] : -1;
    if (dims[1] < 0) return fail(w, n, "the bias must be 1-D with a known length");
    Src bs;
    if (w_src_reshaped(w, n, bias, dims, out_rank, "bias", &bs)) return -1;
    int L = w_layer(w, n->name, "Add", "opset1");
    w_attr(w, L, "auto_broadcast", "numpy");
    w_in(w, L, s);
    w_in(w, L, bs);
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_conv(W *w, const Node *n, const OpMap *m)
{
    bool transposed = n->op == OP_CONV_TRANSPOSE || !strcmp(n->op_type, "ConvTranspose");
    if (need_inputs(w, n, 2, 3)) return -1;
    const Tensor *wt = T(w, n->inputs[1]), *y = T(w, n->outputs[0]);
    if (wt->rank < 3) return fail(w, n, "weight '%s' has rank %d", wt->name, wt->rank);
    int sp = wt->rank - 2;
    Geom g;
    if (geom_read(w, n, sp, wt->dims + 2, &g)) return -1;
    if (node_attr(n, "output_shape")) return fail(w, n, "output_shape is not supported (give pads instead)");
    int64_t group = node_attr_int(n, "group", 1);
    if (group < 1) return fail(w, n, "group %lld is invalid", (long long)group);
    bool has_bias = n->n_inputs > 2 && n->inputs[2] >= 0;
    Src ws;
    if (group == 1) {
        if (w_src(w, n, n->inputs[1], true, &ws)) return -1;
    } else {
        /* [M, C/g, k...] -> [g, M/g, C/g, k...]; transposed [C, M/g, k...] -> [g, C/g, M/g, k...] */
        int64_t d[GRAPH_MAX_RANK];
        if (wt->dims[0] < 0 || wt->dims[0] % group || wt->rank + 1 > GRAPH_MAX_RANK)
            return fail(w, n, "weight dim 0 (%lld) does not divide into %lld groups", (long long)wt->dims[0], (long long)group);
        d[0] = group;
        d[1] = wt->dims[0] / group;
        for (int i = 1; i < wt->rank; i++) d[i + 1] = wt->dims[i];
        if (w_src_reshaped(w, n, n->inputs[1], d, wt->rank + 1, "weights", &ws)) return -1;
    }
    static const char *const types[2][2] = {{"Convolution", "GroupConvolution"},
                                            {"ConvolutionBackpropData", "GroupConvolutionBackpropData"}};
    char *cname = has_bias ? xasprintf("%s/WithoutBiases", n->name) : xstrdup(n->name);
    int L = w_layer(w, cname, types[transposed][group > 1], "opset1");
    free(cname);
    geom_attrs(w, L, &g, true);
    w_attr(w, L, "auto_pad", "%s", g.auto_pad);
    if (transposed) w_attr_ints(w, L, "output_padding", g.out_pad, sp);
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, ws);
    if (!has_bias) {
        w_out_tensor(w, L, n->outputs[0]);
        return 0;
    }
    Src s = w_out(w, L, y->dtype, y->rank, y->dims, NULL);
    return w_bias(w, n, s, n->inputs[2], y->rank ? y->rank : sp + 2);
}

static int emit_batchnorm(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 5, 5)) return -1;
    if (n->n_outputs > 1 && n->outputs[1] >= 0) return fail(w, n, "training-mode outputs are not supported");
    int L = w_layer(w, n->name, "BatchNormInference", "opset5");
    w_attr(w, L, "epsilon", "%.9g", node_attr_float(n, "epsilon", 1e-5));
    for (int i = 0; i < 5; i++)
        if (w_in_tensor(w, L, n, n->inputs[i], true)) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_pool(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    const Tensor *x = T(w, n->inputs[0]);
    int64_t ks[GRAPH_MAX_RANK];
    int nk = node_attr_ints(n, "kernel_shape", ks, GRAPH_MAX_RANK);
    Geom g;
    if (geom_read(w, n, nk ? nk : x->rank - 2, NULL, &g)) return -1;
    bool is_max = n->op == OP_MAXPOOL;
    int L = w_layer(w, n->name, is_max ? "MaxPool" : "AvgPool", is_max ? "opset8" : "opset1");
    w_attr_ints(w, L, "strides", g.strides, g.sp);
    if (is_max) w_attr_ints(w, L, "dilations", g.dilations, g.sp);
    w_attr_ints(w, L, "pads_begin", g.pads_begin, g.sp);
    w_attr_ints(w, L, "pads_end", g.pads_end, g.sp);
    w_attr_ints(w, L, "kernel", g.kernel, g.sp);
    if (!is_max) w_attr(w, L, "exclude-pad", "%s", bool_str(node_attr_int(n, "count_include_pad", 0) == 0));
    w_attr(w, L, "rounding_type", "%s", node_attr_int(n, "ceil_mode", 0) ? "ceil" : "floor");
    w_attr(w, L, "auto_pad", "%s", g.auto_pad);
    if (is_max) {
        w_attr(w, L, "index_element_type", "i64");
        w_attr(w, L, "axis", "0");
    }
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    if (is_max) {
        const Tensor *y = T(w, n->outputs[0]);
        if (n->n_outputs > 1 && n->outputs[1] >= 0) {
            w_out_tensor(w, L, n->outputs[1]);
        } else {
            w_out(w, L, DT_I64, y->rank, y->dims, NULL);
        }
    }
    return 0;
}

/* GlobalAveragePool / GlobalMaxPool as ReduceMean / ReduceMax over the spatial axes. */
static int emit_global_pool(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    int r = T(w, n->inputs[0])->rank;
    if (r < 3) r = 4;
    int64_t axes[GRAPH_MAX_RANK];
    for (int i = 2; i < r; i++) axes[i - 2] = i;
    Src a = w_const_i64(w, NULL, axes, r - 2, false);
    int L = w_layer(w, n->name, m->type, "opset1");
    w_attr(w, L, "keep_dims", "true");
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, a);
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_reduce(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 2)) return -1;
    int64_t axes[GRAPH_MAX_RANK];
    int na = operand_ints(w, n, 1, "axes", axes, GRAPH_MAX_RANK);
    if (na == -2) return fail(w, n, "axes must be a constant");
    if (na <= 0) {
        int r = T(w, n->inputs[0])->rank;
        if (node_attr_int(n, "noop_with_empty_axes", 0)) return fail(w, n, "noop_with_empty_axes is not supported");
        for (na = 0; na < r; na++) axes[na] = na;
        if (!na) return fail(w, n, "reduces over all axes of an input of unknown rank");
    }
    int L = w_layer(w, n->name, m->type, "opset1");
    w_attr(w, L, "keep_dims", "%s", bool_str(node_attr_int(n, "keepdims", 1) != 0));
    Src a = w_const_i64(w, NULL, axes, na, false);
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, a);
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_concat(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs < 1 || n->n_outputs < 1) return fail(w, n, "has no inputs");
    int64_t axis = node_attr_int(n, "axis", 0);
    int r = T(w, n->outputs[0])->rank;
    if (axis < 0 && r > 0) axis += r;
    int L = w_layer(w, n->name, "Concat", "opset1");
    w_attr(w, L, "axis", "%lld", (long long)axis);
    for (int i = 0; i < n->n_inputs; i++)
        if (w_in_tensor(w, L, n, n->inputs[i], true)) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_split(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1) return fail(w, n, "has no input");
    int64_t sizes[256];
    int ns = operand_ints(w, n, 1, "split", sizes, 256);
    if (ns == -2) return fail(w, n, "split sizes must be a constant");
    if (ns >= 0 && ns != n->n_outputs) return fail(w, n, "has %d split sizes for %d outputs", ns, n->n_outputs);
    int64_t axis = node_attr_int(n, "axis", 0);
    Src a = w_const_i64(w, NULL, &axis, 1, true);
    Src len = {-1, 0};
    if (ns > 0) len = w_const_i64(w, NULL, sizes, ns, false);
    int L = w_layer(w, n->name, ns > 0 ? "VariadicSplit" : "Split", "opset1");
    if (ns <= 0) w_attr(w, L, "num_splits", "%d", n->n_outputs);
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, a);
    if (ns > 0) w_in(w, L, len);
    for (int i = 0; i < n->n_outputs; i++) {
        if (n->outputs[i] >= 0) {
            w_out_tensor(w, L, n->outputs[i]);
        } else {
            const Tensor *x = T(w, n->inputs[0]);
            w_out(w, L, x->dtype, 0, NULL, NULL);
        }
    }
    return 0;
}

/* An int64 operand for an OpenVINO input: a constant from the attribute or input, or the
 * input tensor itself when it is computed. */
static int w_int_operand(W *w, const Node *n, int k, const char *attr, bool scalar, Src *out, int *count)
{
    int64_t v[GRAPH_MAX_RANK * 2];
    int c = operand_ints(w, n, k, attr, v, GRAPH_MAX_RANK * 2);
    *count = c;
    const Tensor *t = k < n->n_inputs ? T(w, n->inputs[k]) : NULL;
    if (c >= 0 && t && t->data && t->producer < 0 && t->dtype == DT_I64 && t->rank == (scalar ? 0 : 1))
        return w_src(w, n, n->inputs[k], false, out); /* the graph's own constant, by name */
    if (c >= 0) {
        *out = w_const_i64(w, NULL, v, c, scalar && c == 1);
        return 0;
    }
    if (c == -2 && k < n->n_inputs && n->inputs[k] >= 0) {
        const Tensor *t = T(w, n->inputs[k]);
        *count = t->rank == 1 && t->dims[0] >= 0 ? (int)t->dims[0] : -1;
        return w_src(w, n, n->inputs[k], false, out);
    }
    return 1; /* absent */
}

static int emit_slice(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1) return fail(w, n, "has no input");
    Src starts, ends, axes, steps;
    int cs, ce, ca, cst;
    int rs = w_int_operand(w, n, 1, "starts", false, &starts, &cs);
    int re = w_int_operand(w, n, 2, "ends", false, &ends, &ce);
    if (rs < 0 || re < 0) return -1;
    if (rs || re) return fail(w, n, "has no starts/ends");
    int ra = w_int_operand(w, n, 3, "axes", false, &axes, &ca);
    int rst = w_int_operand(w, n, 4, "steps", false, &steps, &cst);
    if (ra < 0 || rst < 0) return -1;
    if (rst) {
        if (cs < 0) return fail(w, n, "computed starts of unknown length need explicit steps");
        int64_t ones[GRAPH_MAX_RANK * 2];
        for (int i = 0; i < cs; i++) ones[i] = 1;
        steps = w_const_i64(w, NULL, ones, cs, false);
    }
    int L = w_layer(w, n->name, "Slice", "opset8");
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, starts);
    w_in(w, L, ends);
    w_in(w, L, steps);
    if (!ra) w_in(w, L, axes);
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_resize(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1) return fail(w, n, "has no input");
    const Tensor *x = T(w, n->inputs[0]);
    int scales_t = n->n_inputs > 2 ? n->inputs[2] : -1, sizes_t = n->n_inputs > 3 ? n->inputs[3] : -1;
    if (n->n_inputs == 2) scales_t = n->inputs[1]; /* Upsample / Resize-10 form */
    const Tensor *st = T(w, scales_t);
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
    if (!ov_mode) return fail(w, n, "mode '%s' has no OpenVINO Interpolate mode", mode);
    static const char *const ctms[] = {"half_pixel", "pytorch_half_pixel", "asymmetric", "tf_half_pixel_for_nn", "align_corners"};
    bool ok = false;
    for (size_t i = 0; i < ARRAY_LEN(ctms); i++) ok |= !strcmp(ctm, ctms[i]);
    if (!ok) return fail(w, n, "coordinate_transformation_mode '%s' is not supported", ctm);
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    ok = false;
    for (size_t i = 0; i < ARRAY_LEN(nms); i++) ok |= !strcmp(nm, nms[i]);
    if (!ok) return fail(w, n, "nearest_mode '%s' is not supported", nm);
    if (node_attr(n, "axes")) return fail(w, n, "the axes attribute is not supported");
    Src operand;
    bool by_scales;
    if (scales_t >= 0 || (sa && sa->type == ATTR_FLOATS)) {
        by_scales = true;
        const Tensor *c = scales_t >= 0 ? const_tensor(w->g, scales_t) : NULL;
        if (scales_t < 0 || (c && c->dtype != DT_F32)) {
            float f[GRAPH_MAX_RANK];
            int cnt = 0;
            if (scales_t < 0) {
                if (sa->count > GRAPH_MAX_RANK) return fail(w, n, "too many scales");
                for (cnt = 0; cnt < sa->count; cnt++) f[cnt] = (float)sa->floats[cnt];
            } else {
                int64_t numel = tensor_numel(c);
                if (numel < 0 || numel > GRAPH_MAX_RANK || c->dtype != DT_F16 || c->nbytes < (size_t)numel * 2)
                    return fail(w, n, "scales must be float");
                for (cnt = 0; cnt < numel; cnt++) {
                    uint16_t h;
                    memcpy(&h, (const char *)c->data + 2 * cnt, 2);
                    f[cnt] = half_to_float(h);
                }
            }
            operand = w_const_f32(w, NULL, f, cnt, false, false);
        } else if (w_src(w, n, scales_t, false, &operand)) {
            return -1;
        }
    } else if (sizes_t >= 0 || (za && za->type == ATTR_INTS)) {
        by_scales = false;
        int cnt;
        if (w_int_operand(w, n, 3, "sizes", false, &operand, &cnt)) return fail(w, n, "sizes are unusable");
    } else {
        return fail(w, n, "has neither scales nor sizes");
    }
    int L = w_layer(w, n->name, "Interpolate", "opset11");
    int64_t zeros[GRAPH_MAX_RANK] = {0};
    int r = x->rank > 0 ? x->rank : 4;
    w_attr(w, L, "mode", "%s", ov_mode);
    w_attr(w, L, "shape_calculation_mode", "%s", by_scales ? "scales" : "sizes");
    w_attr(w, L, "coordinate_transformation_mode", "%s", ctm);
    w_attr(w, L, "nearest_mode", "%s", nm);
    w_attr(w, L, "antialias", "false");
    w_attr_ints(w, L, "pads_begin", zeros, r);
    w_attr_ints(w, L, "pads_end", zeros, r);
    w_attr(w, L, "cube_coeff", "%.9g", node_attr_float(n, "cubic_coeff_a", -0.75));
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, operand);
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_reshape(W *w, const Node *n, const OpMap *m)
{
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1) return fail(w, n, "has no input");
    Src shape;
    int c;
    if (w_int_operand(w, n, 1, "shape", false, &shape, &c)) return fail(w, n, "has no shape");
    int L = w_layer(w, n->name, "Reshape", "opset1");
    w_attr(w, L, "special_zero", "%s", bool_str(node_attr_int(n, "allowzero", 0) == 0));
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, shape);
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_flatten(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    const Tensor *x = T(w, n->inputs[0]);
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
        else return fail(w, n, "flatten at axis %lld needs known dims", (long long)axis);
    }
    Src s = w_const_i64(w, NULL, shape, 2, false);
    int L = w_layer(w, n->name, "Reshape", "opset1");
    w_attr(w, L, "special_zero", "true");
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, s);
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_transpose(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    int64_t perm[GRAPH_MAX_RANK];
    int c = node_attr_ints(n, "perm", perm, GRAPH_MAX_RANK);
    Src s = w_const_i64(w, NULL, perm, c, false);
    int L = w_layer(w, n->name, "Transpose", "opset1");
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, s);
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_softmax(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    int L = w_layer(w, n->name, "SoftMax", "opset8");
    w_attr(w, L, "axis", "%lld", (long long)node_attr_int(n, "axis", -1));
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

/* Gemm: MatMul with transposes, then alpha and beta * C as Multiply/Add layers. */
static int emit_gemm(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 2, 3)) return -1;
    const Tensor *y = T(w, n->outputs[0]);
    double alpha = node_attr_float(n, "alpha", 1.0), beta = node_attr_float(n, "beta", 1.0);
    bool has_c = n->n_inputs > 2 && n->inputs[2] >= 0;
    bool last_is_mm = !has_c && alpha == 1.0;
    char *mname = last_is_mm ? xstrdup(n->name) : xasprintf("%s/MatMul", n->name);
    int L = w_layer(w, mname, "MatMul", "opset1");
    free(mname);
    w_attr(w, L, "transpose_a", "%s", bool_str(node_attr_int(n, "transA", 0) != 0));
    w_attr(w, L, "transpose_b", "%s", bool_str(node_attr_int(n, "transB", 0) != 0));
    for (int i = 0; i < 2; i++)
        if (w_in_tensor(w, L, n, n->inputs[i], true)) return -1;
    if (last_is_mm) {
        w_out_tensor(w, L, n->outputs[0]);
        return 0;
    }
    Src s = w_out(w, L, y->dtype, y->rank, y->dims, NULL);
    if (alpha != 1.0) {
        float f = (float)alpha;
        Src k = w_const_f32(w, NULL, &f, 1, true, true);
        char *name = has_c ? xasprintf("%s/alpha", n->name) : xstrdup(n->name);
        int M = w_layer(w, name, "Multiply", "opset1");
        free(name);
        w_attr(w, M, "auto_broadcast", "numpy");
        w_in(w, M, s);
        w_in(w, M, k);
        if (!has_c) {
            w_out_tensor(w, M, n->outputs[0]);
            return 0;
        }
        s = w_out(w, M, y->dtype, y->rank, y->dims, NULL);
    }
    Src c;
    if (w_src(w, n, n->inputs[2], true, &c)) return -1;
    if (beta != 1.0) {
        float f = (float)beta;
        Src k = w_const_f32(w, NULL, &f, 1, true, true);
        char *name = xasprintf("%s/beta", n->name);
        int M = w_layer(w, name, "Multiply", "opset1");
        free(name);
        w_attr(w, M, "auto_broadcast", "numpy");
        w_in(w, M, c);
        w_in(w, M, k);
        const WPort *cp = src_port(w, c);
        c = w_out(w, M, cp->dtype, cp->rank, cp->dims, NULL);
    }
    int A = w_layer(w, n->name, "Add", "opset1");
    w_attr(w, A, "auto_broadcast", "numpy");
    w_in(w, A, s);
    w_in(w, A, c);
    w_out_tensor(w, A, n->outputs[0]);
    return 0;
}

static int emit_cast(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    DType to = dtype_from_onnx((int)node_attr_int(n, "to", 1));
    const char *et = openvino_element_type(to);
    if (!et) return fail(w, n, "cannot convert to %s", dtype_name(to));
    int L = w_layer(w, n->name, "Convert", "opset1");
    w_attr(w, L, "destination_type", "%s", et);
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_shape(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    if (node_attr(n, "start") || node_attr(n, "end")) return fail(w, n, "start/end are not supported");
    int L = w_layer(w, n->name, "ShapeOf", "opset3");
    w_attr(w, L, "output_type", "i64");
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_gather(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 2, 2)) return -1;
    int64_t axis = node_attr_int(n, "axis", 0);
    Src a = w_const_i64(w, NULL, &axis, 1, true);
    int L = w_layer(w, n->name, "Gather", "opset8");
    w_attr(w, L, "batch_dims", "0");
    for (int i = 0; i < 2; i++)
        if (w_in_tensor(w, L, n, n->inputs[i], false)) return -1;
    w_in(w, L, a);
    w_out_tensor(w, L, n->outputs[0]);
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
    if (r && n->op == OP_UNSQUEEZE) return fail(w, n, "has no axes");
    int L = w_layer(w, n->name, m->type, "opset1");
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    if (!r) w_in(w, L, axes);
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_range(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 3, 3)) return -1;
    const char *et = openvino_element_type(T(w, n->outputs[0])->dtype);
    if (!et) et = openvino_element_type(T(w, n->inputs[0])->dtype);
    if (!et) return fail(w, n, "has no element type");
    int L = w_layer(w, n->name, "Range", "opset4");
    w_attr(w, L, "output_type", "%s", et);
    for (int i = 0; i < 3; i++)
        if (w_in_tensor(w, L, n, n->inputs[i], false)) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

/* A float from a constant input or an attribute. */
static bool scalar_operand(const W *w, const Node *n, int k, const char *attr, double *v)
{
    if (k < n->n_inputs && n->inputs[k] >= 0) {
        const Tensor *c = const_tensor(w->g, n->inputs[k]);
        if (!c || tensor_numel(c) != 1) return false;
        if (c->dtype == DT_F32 && c->nbytes >= 4) { float f; memcpy(&f, c->data, 4); *v = f; return true; }
        if (c->dtype == DT_F16 && c->nbytes >= 2) { uint16_t h; memcpy(&h, c->data, 2); *v = half_to_float(h); return true; }
        int64_t i;
        if (const_ints(c, &i, 1) == 1) { *v = (double)i; return true; }
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
        return fail(w, n, "min and max must be constants");
    int L = w_layer(w, n->name, "Clamp", "opset1");
    w_attr(w, L, "min", "%.9g", lo);
    w_attr(w, L, "max", "%.9g", hi);
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_constant_of_shape(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    const Attr *a = node_attr(n, "value");
    const Tensor *v = a && a->type == ATTR_TENSOR ? T(w, a->tensor) : NULL;
    Src val;
    if (v && v->data && tensor_numel(v) == 1 && openvino_element_type(v->dtype)) {
        int64_t none = 0;
        val = w_const(w, NULL, v->dtype, 0, &none, v->data, dtype_size(v->dtype), false);
    } else {
        float zero = 0.f;
        val = w_const_f32(w, NULL, &zero, 1, true, false);
    }
    int L = w_layer(w, n->name, "Broadcast", "opset3");
    w_attr(w, L, "mode", "numpy");
    w_in(w, L, val);
    if (w_in_tensor(w, L, n, n->inputs[0], false)) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_topk(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 2)) return -1;
    int64_t k;
    Src ks;
    int c = operand_ints(w, n, 1, "k", &k, 1);
    if (c == 1) {
        ks = w_const_i64(w, NULL, &k, 1, true);
    } else if (c == -2) {
        /* a computed K ([1]) must become a scalar */
        Src s;
        if (w_src(w, n, n->inputs[1], false, &s)) return -1;
        int64_t none = 0;
        char *name = xasprintf("%s/k", n->name);
        ks = w_reshape(w, name, s, &none, 0, &none);
        free(name);
    } else {
        return fail(w, n, "has no k");
    }
    int L = w_layer(w, n->name, "TopK", "opset3");
    w_attr(w, L, "axis", "%lld", (long long)node_attr_int(n, "axis", -1));
    w_attr(w, L, "mode", "%s", node_attr_int(n, "largest", 1) ? "max" : "min");
    w_attr(w, L, "sort", "%s", node_attr_int(n, "sorted", 1) ? "value" : "none");
    w_attr(w, L, "index_element_type", "i64");
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, ks);
    for (int i = 0; i < 2; i++) {
        if (i < n->n_outputs && n->outputs[i] >= 0) w_out_tensor(w, L, n->outputs[i]);
        else w_out(w, L, i ? DT_I64 : DT_F32, 0, NULL, NULL);
    }
    return 0;
}

static int emit_hardsigmoid(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    float ab[2] = {(float)node_attr_float(n, "alpha", 0.2), (float)node_attr_float(n, "beta", 0.5)};
    Src a = w_const_f32(w, NULL, &ab[0], 1, true, false), b = w_const_f32(w, NULL, &ab[1], 1, true, false);
    int L = w_layer(w, n->name, "HardSigmoid", "opset1");
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_in(w, L, a);
    w_in(w, L, b);
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

static int emit_logsoftmax(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 1, 1)) return -1;
    int L = w_layer(w, n->name, "LogSoftmax", "opset5");
    w_attr(w, L, "axis", "%lld", (long long)node_attr_int(n, "axis", -1));
    if (w_in_tensor(w, L, n, n->inputs[0], true)) return -1;
    w_out_tensor(w, L, n->outputs[0]);
    return 0;
}

/* A layer the reader kept as it was (domain "openvino:<opset>"): written back unchanged,
 * its string attributes as <data>. */
static int emit_passthrough(W *w, const Node *n)
{
    const char *version = strchr(n->domain, ':') ? strchr(n->domain, ':') + 1 : "opset1";
    if (!xml_type_ok(n->op_type) || !xml_type_ok(version)) return fail(w, n, "is not a valid OpenVINO layer type");
    int L = w_layer(w, n->name, n->op_type, version);
    w->layers[L].own_type = true;
    w->layers[L].type = xstrdup(n->op_type);
    w->layers[L].version = xstrdup(version);
    for (int i = 0; i < n->n_attrs; i++) {
        const Attr *a = &n->attrs[i];
        if (a->type != ATTR_STRING || !xml_type_ok(a->name)) return fail(w, n, "attribute '%s' cannot be written", a->name);
        w_attr(w, L, a->name, "%s", a->s);
    }
    for (int i = 0; i < n->n_inputs; i++)
        if (w_in_tensor(w, L, n, n->inputs[i], true)) return -1;
    for (int i = 0; i < n->n_outputs; i++) {
        if (n->outputs[i] >= 0) w_out_tensor(w, L, n->outputs[i]);
        else w_out(w, L, DT_F32, 0, NULL, NULL);
    }
    return 0;
}

/* A scalar operand for NonMaxSuppression: a constant (attribute or [1] input) re-emitted as
 * a 0-D constant, a computed one reshaped to 0-D. */
static int nms_scalar(W *w, const Node *n, int k, const char *attr, bool is_int, Src *out)
{
    int64_t none = 0;
    double v = 0;
    if (k < n->n_inputs && n->inputs[k] >= 0 && !const_tensor(w->g, n->inputs[k])) {
        Src s;
        if (w_src(w, n, n->inputs[k], false, &s)) return -1;
        char *name = xasprintf("%s/%s", n->name, attr);
        *out = w_reshape(w, name, s, &none, 0, &none);
        free(name);
        return 0;
    }
    if (!scalar_operand(w, n, k, attr, &v)) return fail(w, n, "%s must be a single value", attr);
    if (is_int) {
        int64_t i = (int64_t)v;
        *out = w_const_i64(w, NULL, &i, 1, true);
    } else {
        float f = (float)v;
        *out = w_const_f32(w, NULL, &f, 1, true, false);
    }
    return 0;
}

/* NonMaxSuppression: OpenVINO's NonMaxSuppression-9 pads selected_indices to a fixed row
 * count with -1 rows and reports the real count in valid_outputs; a Slice to that count gives
 * the ONNX result (the selected rows only, per batch and class in score order). */
static int emit_nms(W *w, const Node *n, const OpMap *m)
{
    if (need_inputs(w, n, 2, 5)) return -1;
    if (n->n_outputs != 1) return fail(w, n, "has %d outputs", n->n_outputs);
    Src max_out, iou, score;
    if (nms_scalar(w, n, 2, "max_output_boxes_per_class", true, &max_out) ||
        nms_scalar(w, n, 3, "iou_threshold", false, &iou) || nms_scalar(w, n, 4, "score_threshold", false, &score))
        return -1;
    float zero = 0.f;
    Src sigma = w_const_f32(w, NULL, &zero, 1, true, false);
    const Tensor *y = T(w, n->outputs[0]);
    char *name = xasprintf("%s/NonMaxSuppression", n->name);
    int L = w_layer(w, name, "NonMaxSuppression", "opset9");
    free(name);
    w_attr(w, L, "box_encoding", "%s", node_attr_int(n, "center_point_box", 0) ? "center" : "corner");
    w_attr(w, L, "sort_result_descending", "false");
    w_attr(w, L, "output_type", "i64");
    for (int i = 0; i < 2; i++)
        if (w_in_tensor(w, L, n, n->inputs[i], false)) return -1;
    w_in(w, L, max_out);
    w_in(w, L, iou);
    w_in(w, L, score);
    w_in(w, L, sigma);
    int64_t rows[2] = {-1, 3}, one = 1, zero64 = 0;
    Src sel = w_out(w, L, DT_I64, 2, rows, NULL);
    w_out(w, L, DT_F32, 2, rows, NULL);
    Src valid = w_out(w, L, DT_I64, 1, &one, NULL);
    Src start = w_const_i64(w, NULL, &zero64, 1, false), step = w_const_i64(w, NULL, &one, 1, false);
    Src axes = w_const_i64(w, NULL, &zero64, 1, false);
    int S = w_layer(w, n->name, "Slice", "opset8");
    w_in(w, S, sel);
    w_in(w, S, start);
    w_in(w, S, valid);
    w_in(w, S, step);
    w_in(w, S, axes);
    (void)y;
    w_out_tensor(w, S, n->outputs[0]);
    return 0;
}

/* Every IR op the writer maps, keyed by the IR name; unlisted ops fail naming the node. */
static const OpMap op_maps[] = {
    {"Conv", emit_conv, NULL, NULL, 0, NULL},
    {"ConvTranspose", emit_conv, NULL, NULL, 0, NULL},
    {"BatchNormalization", emit_batchnorm, NULL, NULL, 0, NULL},
    {"SiLU", emit_simple, "Swish", "opset4", 1, NULL},
    {"Sigmoid", emit_simple, "Sigmoid", "opset1", 1, NULL},
    {"Relu", emit_simple, "Relu", "opset1", 1, NULL},
    {"Exp", emit_simple, "Exp", "opset1", 1, NULL},
    {"Log", emit_simple, "Log", "opset1", 1, NULL},
    {"Sqrt", emit_simple, "Sqrt", "opset1", 1, NULL},
    {"Neg", emit_simple, "Negative", "opset1", 1, NULL},
    {"Abs", emit_simple, "Abs", "opset1", 1, NULL},
    {"Tanh", emit_simple, "Tanh", "opset1", 1, NULL},
    {"Floor", emit_simple, "Floor", "opset1", 1, NULL},
    {"Ceil", emit_simple, "Ceiling", "opset1", 1, NULL},
    {"Erf", emit_simple, "Erf", "opset1", 1, NULL},
    {"Sin", emit_simple, "Sin", "opset1", 1, NULL},
    {"Cos", emit_simple, "Cos", "opset1", 1, NULL},
    {"Softplus", emit_simple, "SoftPlus", "opset4", 1, NULL},
    {"HardSwish", emit_simple, "HSwish", "opset4", 1, NULL},
    {"Mish", emit_simple, "Mish", "opset4", 1, NULL},
    {"Sign", emit_simple, "Sign", "opset1", 1, NULL},
    {"Not", emit_simple, "LogicalNot", "opset1", 1, NULL},
    {"Add", emit_simple, "Add", "opset1", 2 | BROADCAST, NULL},
    {"Sub", emit_simple, "Subtract", "opset1", 2 | BROADCAST, NULL},
    {"Mul", emit_simple, "Multiply", "opset1", 2 | BROADCAST, NULL},
    {"Div", emit_simple, "Divide", "opset1", 2 | BROADCAST, NULL},
    {"Pow", emit_simple, "Power", "opset1", 2 | BROADCAST, NULL},
    {"Min", emit_simple, "Minimum", "opset1", 2 | BROADCAST, NULL},
    {"Max", emit_simple, "Maximum", "opset1", 2 | BROADCAST, NULL},
    {"Equal", emit_simple, "Equal", "opset1", 2 | BROADCAST, NULL},
    {"Less", emit_simple, "Less", "opset1", 2 | BROADCAST, NULL},
    {"Greater", emit_simple, "Greater", "opset1", 2 | BROADCAST, NULL},
    {"LessOrEqual", emit_simple, "LessEqual", "opset1", 2 | BROADCAST, NULL},
    {"GreaterOrEqual", emit_simple, "GreaterEqual", "opset1", 2 | BROADCAST, NULL},
    {"And", emit_simple, "LogicalAnd", "opset1", 2 | BROADCAST, NULL},
    {"Or", emit_simple, "LogicalOr", "opset1", 2 | BROADCAST, NULL},
    {"Xor", emit_simple, "LogicalXor", "opset1", 2 | BROADCAST, NULL},
    {"Concat", emit_concat, NULL, NULL, 0, NULL},
    {"Split", emit_split, NULL, NULL, 0, NULL},
    {"Slice", emit_slice, NULL, NULL, 0, NULL},
    {"MaxPool", emit_pool, NULL, NULL, 0, NULL},
    {"AveragePool", emit_pool, NULL, NULL, 0, NULL},
    {"GlobalAveragePool", emit_global_pool, "ReduceMean", NULL, 0, NULL},
    {"GlobalMaxPool", emit_global_pool, "ReduceMax", NULL, 0, NULL},
    {"ReduceMax", emit_reduce, "ReduceMax", NULL, 0, NULL},
    {"ReduceMin", emit_reduce, "ReduceMin", NULL, 0, NULL},
    {"ReduceMean", emit_reduce, "ReduceMean", NULL, 0, NULL},
    {"ReduceSum", emit_reduce, "ReduceSum", NULL, 0, NULL},
    {"ReduceProd", emit_reduce, "ReduceProd", NULL, 0, NULL},
    {"Resize", emit_resize, NULL, NULL, 0, NULL},
    {"Upsample", emit_resize, NULL, NULL, 0, NULL},
    {"Reshape", emit_reshape, NULL, NULL, 0, NULL},
    {"Flatten", emit_flatten, NULL, NULL, 0, NULL},
    {"Transpose", emit_transpose, NULL, NULL, 0, NULL},
    {"Softmax", emit_softmax, NULL, NULL, 0, NULL},
    {"MatMul", emit_simple, "MatMul", "opset1", 2, "transpose_a=false;transpose_b=false"},
    {"Gemm", emit_gemm, NULL, NULL, 0, NULL},
    {"Identity", emit_alias, NULL, NULL, 0, NULL},
    {"Dropout", emit_alias, NULL, NULL, 0, NULL},
    {"Constant", emit_constant, NULL, NULL, 0, NULL},
    {"Cast", emit_cast, NULL, NULL, 0, NULL},
    {"Shape", emit_shape, NULL, NULL, 0, NULL},
    {"Gather", emit_gather, NULL, NULL, 0, NULL},
    {"Unsqueeze", emit_axes_op, "Unsqueeze", NULL, 0, NULL},
    {"Squeeze", emit_axes_op, "Squeeze", NULL, 0, NULL},
    {"Range", emit_range, NULL, NULL, 0, NULL},
    {"Expand", emit_simple, "Broadcast", "opset3", 2 | RAW_INPUTS, "mode=bidirectional"},
    {"Tile", emit_simple, "Tile", "opset1", 2, NULL},
    {"Clip", emit_clip, NULL, NULL, 0, NULL},
    {"Where", emit_simple, "Select", "opset1", 3 | BROADCAST, NULL},
    {"ConstantOfShape", emit_constant_of_shape, NULL, NULL, 0, NULL},
    {"TopK", emit_topk, NULL, NULL, 0, NULL},
    {"NonMaxSuppression", emit_nms, NULL, NULL, 0, NULL},
    {"HardSigmoid", emit_hardsigmoid, NULL, NULL, 0, NULL},
    {"LogSoftmax", emit_logsoftmax, NULL, NULL, 0, NULL},
};

static int emit_node(W *w, const Node *n)
{
    const char *key = n->op != OP_OTHER ? op_name(n->op) : n->op_type;
    if (n->op == OP_OTHER && n->domain && !strncmp(n->domain, "openvino", 8)) return emit_passthrough(w, n);
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
        return fail(w, n, "ops of domain '%s' have no OpenVINO mapping", n->domain);
    for (size_t i = 0; i < ARRAY_LEN(op_maps); i++)
        if (!strcmp(op_maps[i].ir, key)) return op_maps[i].fn(w, n, &op_maps[i]);
    return fail(w, n, "no OpenVINO mapping for op '%s'", key);
}

/* ---- XML ----------------------------------------------------------------------------- */

static bool xml_name_ok(const char *s)
{
    if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == '-' || *s == '.'))
            return false;
    return true;
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const KeyValue *)a)->key, ((const KeyValue *)b)->key);
}

static void xml_ports(StrBuf *x, const char *tag, const WPort *ports, int n, int first_id)
{
    if (!n) return;
    strbuf_printf(x, "\t\t\t<%s>\n", tag);
    for (int i = 0; i < n; i++) {
        const WPort *p = &ports[i];
        const char *prec = openvino_precision(p->dtype);
        strbuf_printf(x, "\t\t\t\t<port id=\"%d\" precision=\"%s\"", first_id + i, prec ? prec : "UNSPECIFIED");
        if (p->names) {
            strbuf_puts(x, " names=\"");
            buf_xml(x, p->names);
            strbuf_puts(x, "\"");
        }
        if (!p->rank) {
            strbuf_puts(x, " />\n");
            continue;
        }
        strbuf_puts(x, ">\n");
        for (int d = 0; d < p->rank; d++) strbuf_printf(x, "\t\t\t\t\t<dim>%lld</dim>\n", (long long)(p->dims[d] < 0 ? -1 : p->dims[d]));
        strbuf_puts(x, "\t\t\t\t</port>\n");
    }
    strbuf_printf(x, "\t\t\t</%s>\n", tag);
}

static void xml_rt_section(StrBuf *x, const char *tag, KeyValue *kv, int n)
{
    qsort(kv, (size_t)n, sizeof *kv, kv_cmp);
    strbuf_printf(x, "\t\t<%s>\n", tag);
    for (int i = 0; i < n; i++) {
        if (!xml_name_ok(kv[i].key)) continue;
        strbuf_printf(x, "\t\t\t<%s value=\"", kv[i].key);
        buf_xml(x, kv[i].value ? kv[i].value : "");
        strbuf_puts(x, "\" />\n");
    }
    strbuf_printf(x, "\t\t</%s>\n", tag);
}

static char *xml_text(const W *w, const KeyValue *meta, int n_meta)
{
    const Graph *g = w->g;
    StrBuf x = {0};
    strbuf_puts(&x, "<?xml version=\"1.0\"?>\n<net name=\"");
    buf_xml(&x, w->opt.net_name ? w->opt.net_name : "main_graph");
    strbuf_printf(&x, "\" version=\"%d\">\n\t<layers>\n", OPENVINO_IR_VERSION);
    for (int i = 0; i < w->n_layers; i++) {
        const WLayer *L = &w->layers[i];
        strbuf_printf(&x, "\t\t<layer id=\"%d\" name=\"", i);
        buf_xml(&x, L->name);
        strbuf_printf(&x, "\" type=\"%s\" version=\"%s\">\n", L->type, L->version);
        if (L->data.len) strbuf_printf(&x, "\t\t\t<data%s />\n", L->data.p);
        if (L->decompression) strbuf_puts(&x, "\t\t\t<rt_info>\n\t\t\t\t<attribute name=\"decompression\" version=\"0\" />\n\t\t\t</rt_info>\n");
        xml_ports(&x, "input", L->in, L->n_in, 0);
        xml_ports(&x, "output", L->out, L->n_out, L->n_in);
        strbuf_puts(&x, "\t\t</layer>\n");
    }
    strbuf_puts(&x, "\t</layers>\n\t<edges>\n");
    for (int i = 0; i < w->n_edges; i++) {
        const WEdge *e = &w->edges[i];
        strbuf_printf(&x, "\t\t<edge from-layer=\"%d\" from-port=\"%d\" to-layer=\"%d\" to-port=\"%d\" />\n", e->from_layer,
                   e->from_port, e->to_layer, e->to_port);
    }
    strbuf_puts(&x, "\t</edges>\n\t<rt_info>\n");
    if (n_meta > 0) {
        KeyValue *kv = xmalloc(sizeof *kv * (size_t)n_meta);
        memcpy(kv, meta, sizeof *kv * (size_t)n_meta);
        xml_rt_section(&x, "framework", kv, n_meta);
        free(kv);
    }
    /* what the peer's exporter records for OpenVINO's model API (sorted like OpenVINO's map) */
    StrBuf labels = {0};
    strbuf_puts(&labels, "");
    for (int i = 0; i < g->meta.nc && g->meta.names; i++) {
        if (i) strbuf_puts(&labels, " ");
        for (const char *c = g->meta.names[i]; *c; c++) strbuf_add(&labels, *c == ' ' ? "_" : c, 1);
    }
    char iou[32];
    snprintf(iou, sizeof iou, "%g", w->opt.iou > 0 ? w->opt.iou : 0.7);
    KeyValue info[7];
    int ni = 0;
    info[ni++] = (KeyValue){"iou_threshold", iou};
    if (g->meta.nc > 0) info[ni++] = (KeyValue){"labels", labels.p};
    info[ni++] = (KeyValue){"model_type", w->opt.model_type ? w->opt.model_type : "YOLO"};
    info[ni++] = (KeyValue){"pad_value", "114"};
    if (!g->meta.task || strcmp(g->meta.task, "classify")) info[ni++] = (KeyValue){"resize_type", "fit_to_window_letterbox"};
    info[ni++] = (KeyValue){"reverse_input_channels", "YES"};
    info[ni++] = (KeyValue){"scale_values", "255"};
    xml_rt_section(&x, "model_info", info, ni);
    free(labels.p);
    strbuf_puts(&x, "\t</rt_info>\n</net>\n");
    return x.p;
}

/* ---- the writer proper ------------------------------------------------------------------ */

static void w_free(W *w)
{
    for (int i = 0; i < w->n_layers; i++) {
        WLayer *L = &w->layers[i];
        free(L->name);
        free(L->data.p);
        if (L->own_type) {
            free((char *)L->type);
            free((char *)L->version);
        }
        for (int k = 0; k < L->n_in; k++) free(L->in[k].names);
        for (int k = 0; k < L->n_out; k++) free(L->out[k].names);
        free(L->in);
        free(L->out);
    }
    free(w->layers);
    free(w->edges);
    free(w->bins);
    free(w->tsrc);
    free(w->bin.p);
}

static int build(W *w)
{
    const Graph *g = w->g;
    if (g->n_inputs < 1) return fail(w, NULL, "the graph has no inputs");
    if (g->n_outputs < 1) return fail(w, NULL, "the graph has no outputs");
    w->tsrc = xmalloc(sizeof *w->tsrc * (size_t)(g->n_tensors ? g->n_tensors : 1));
    for (int i = 0; i < g->n_tensors; i++) w->tsrc[i] = (Src){-1, 0};
    for (int i = 0; i < g->n_inputs; i++) {
        const Tensor *x = T(w, g->inputs[i]);
        if (!x) return fail(w, NULL, "graph input %d is out of range", i);
        const char *et = openvino_element_type(x->dtype);
        if (!et) return fail(w, NULL, "input '%s' has type %s, which OpenVINO has no name for", x->name, dtype_name(x->dtype));
        int L = w_layer(w, x->name, "Parameter", "opset1");
        StrBuf shape = {0};
        strbuf_puts(&shape, "");
        shape_attr(&shape, x->rank, x->dims, ",");
        w_attr(w, L, "shape", "%s", shape.p);
        w_attr(w, L, "element_type", "%s", et);
        free(shape.p);
        w_out_tensor(w, L, g->inputs[i]);
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_outputs; k++) {
            const Tensor *y = T(w, n->outputs[k]);
            if (y && y->dtype != DT_UNDEFINED && !openvino_element_type(y->dtype))
                return fail(w, n, "output '%s' has type %s, which OpenVINO has no name for", y->name, dtype_name(y->dtype));
        }
        if (emit_node(w, n)) return -1;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const Tensor *y = T(w, g->outputs[i]);
        Src s;
        if (!y) return fail(w, NULL, "graph output %d is out of range", i);
        if (w_src(w, NULL, g->outputs[i], false, &s)) return -1;
        /* the peer's IR names the producing layer after the output */
        WLayer *P = &w->layers[s.layer];
        if (P->n_out == 1 && strcmp(P->type, "Parameter") && strcmp(P->type, "Const")) {
            free(P->name);
            P->name = xstrdup(y->name);
        }
        bool named = false;
        if (P->out[s.port].names) {
            /* the port already carries the name when the output is the node's own tensor */
            named = w->tsrc[g->outputs[i]].layer == s.layer && !strcmp(P->out[s.port].names, y->name);
        }
        if (!named) w_port_add_name(w, s, y->name);
        char *rname = xasprintf("%s/sink_port_0", y->name);
        int R = w_layer(w, rname, "Result", "opset1");
        free(rname);
        w_in(w, R, s);
    }
    return 0;
}

int openvino_serialize(const Graph *g, const OpenVinoOptions *opt, char **xml, size_t *xml_len, uint8_t **bin,
                       size_t *bin_len, char *err, size_t errlen)
{
    W w = {.g = g, .err = err, .errlen = errlen};
    if (opt) w.opt = *opt;
    *xml = NULL;
    *bin = NULL;
    if (build(&w)) {
        w_free(&w);
        return -1;
    }
    const KeyValue *meta = w.opt.metadata ? w.opt.metadata : g->meta.props;
    int n_meta = w.opt.metadata ? w.opt.n_metadata : g->meta.n_props;
    *xml = xml_text(&w, meta, n_meta);
    *xml_len = strlen(*xml);
    *bin_len = w.bin.len;
    *bin = (uint8_t *)w.bin.p;
    if (!*bin) *bin = xcalloc(1, 1);
    w.bin.p = NULL;
    w_free(&w);
    return 0;
}

int openvino_write(const Graph *g, const OpenVinoOptions *opt, const char *dir, const char *stem, char *err,
                   size_t errlen)
{
    char *xml = NULL;
    uint8_t *bin = NULL;
    size_t xml_len = 0, bin_len = 0;
    if (!stem || !*stem || strchr(stem, '/')) return err_set(err, errlen, "'%s' is not a file stem", stem ? stem : "");
    if (!file_is_dir(dir)) return err_set(err, errlen, "%s: not a directory", dir);
    if (openvino_serialize(g, opt, &xml, &xml_len, &bin, &bin_len, err, errlen)) return -1;
    OpenVinoOptions o = opt ? *opt : (OpenVinoOptions){0};
    const KeyValue *meta = o.metadata ? o.metadata : g->meta.props;
    int n_meta = o.metadata ? o.n_metadata : g->meta.n_props;
    char *yaml = openvino_metadata_yaml(meta, n_meta);
    char *bin_path = xasprintf("%s/%s.bin", dir, stem), *xml_path = xasprintf("%s/%s.xml", dir, stem);
    char *yaml_path = xasprintf("%s/metadata.yaml", dir);
    int rc = fileio_write_atomic(bin_path, bin, bin_len, err, errlen);
    if (!rc) rc = fileio_write_atomic(xml_path, xml, xml_len, err, errlen);
    if (!rc) rc = fileio_write_atomic(yaml_path, yaml, strlen(yaml), err, errlen);
    free(bin_path);
    free(xml_path);
    free(yaml_path);
    free(yaml);
    free(xml);
    free(bin);
    return rc;
}
