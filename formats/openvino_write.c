/* openvino_write: the Graph IR as OpenVINO IR version 11 — <stem>.xml (layers, edges,
 * rt_info) and <stem>.bin (constants, deduplicated) — plus the peer's metadata.yaml.
 * Each IR node becomes one or more opset layers through the emitter table below. */
#include "formats/openvino_write_impl.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fileio.h"
#include "engine/core/hash.h"
#include "engine/core/util.h"

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

int ovw_w_layer(W *w, const char *name, const char *type, const char *version)
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

void ovw_w_attr(W *w, int L, const char *key, const char *fmt, ...)
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

void ovw_w_attr_ints(W *w, int L, const char *key, const int64_t *v, int n)
{
    StrBuf s = {0};
    strbuf_puts(&s, "");
    for (int i = 0; i < n; i++) strbuf_printf(&s, "%s%lld", i ? ", " : "", (long long)v[i]);
    ovw_w_attr(w, L, key, "%s", s.p);
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
Src ovw_w_out(W *w, int L, DType dt, int rank, const int64_t *dims, const char *names)
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

const WPort *ovw_src_port(const W *w, Src s) { return &w->layers[s.layer].out[s.port]; }

/* Add one more name to an output port (an Identity's output, a graph output). */
void ovw_w_port_add_name(W *w, Src s, const char *name)
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
void ovw_w_in(W *w, int L, Src s)
{
    const WPort *sp = ovw_src_port(w, s);
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

/* The keyed hash (engine/core/hash.h): weights a file chose cannot all land in one chain. */
static uint64_t bytes_hash(const void *d, size_t n) { return hash_bytes(d, n) ^ n; }

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
Src ovw_w_const(W *w, const char *name, DType dt, int rank, const int64_t *dims, const void *data, size_t nbytes,
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
    int L = ovw_w_layer(w, cname, "Const", "opset1");
    free(cname);
    StrBuf shape = {0};
    strbuf_puts(&shape, "");
    shape_attr(&shape, rank, dims, ", ");
    ovw_w_attr(w, L, "element_type", "%s", openvino_element_type(dt));
    ovw_w_attr(w, L, "shape", "%s", shape.p);
    ovw_w_attr(w, L, "offset", "%zu", off);
    ovw_w_attr(w, L, "size", "%zu", nbytes);
    free(shape.p);
    Src s = ovw_w_out(w, L, dt, rank, dims, NULL);
    if (!half) return s;
    int C = ovw_w_layer(w, name, "Convert", "opset1");
    ovw_w_attr(w, C, "destination_type", "f32");
    w->layers[C].decompression = true;
    ovw_w_in(w, C, s);
    return ovw_w_out(w, C, DT_F32, rank, dims, NULL);
}

Src ovw_w_const_i64(W *w, const char *name, const int64_t *v, int n, bool scalar)
{
    int64_t d = n;
    return ovw_w_const(w, name, DT_I64, scalar ? 0 : 1, &d, v, sizeof(int64_t) * (size_t)n, false);
}

Src ovw_w_const_f32(W *w, const char *name, const float *v, int n, bool scalar, bool compressible)
{
    int64_t d = n;
    return ovw_w_const(w, name, DT_F32, scalar ? 0 : 1, &d, v, sizeof(float) * (size_t)n, compressible);
}

/* ---- graph access helpers ------------------------------------------------------------- */

int ovw_fail(W *w, const Node *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n) return err_set(w->err, w->errlen, "node '%s' (%s): %s", n->name, n->op_type, msg);
    return err_set(w->err, w->errlen, "%s", msg);
}

const Tensor *ovw_T(const W *w, int t) { return (t >= 0 && t < w->g->n_tensors) ? &w->g->tensors[t] : NULL; }

/* The constant behind tensor t: an initializer or a Constant node's value; NULL otherwise. */
const Tensor *ovw_const_tensor(const Graph *g, int t)
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
int ovw_const_ints(const Tensor *c, int64_t *out, int max)
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
int ovw_operand_ints(const W *w, const Node *n, int k, const char *attr, int64_t *out, int max)
{
    if (k < n->n_inputs && n->inputs[k] >= 0) {
        int c = ovw_const_ints(ovw_const_tensor(w->g, n->inputs[k]), out, max);
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
int ovw_w_src(W *w, const Node *n, int t, bool compressible, Src *out)
{
    const Tensor *x = ovw_T(w, t);
    if (!x) return ovw_fail(w, n, "an input is missing");
    if (w->tsrc[t].layer >= 0) {
        *out = w->tsrc[t];
        return 0;
    }
    if (x->data && x->producer < 0) {
        if (!openvino_element_type(x->dtype)) return ovw_fail(w, n, "constant '%s' has type %s, which OpenVINO has no name for", x->name, dtype_name(x->dtype));
        int64_t numel = tensor_numel(x);
        if (numel < 0 || (size_t)numel * dtype_size(x->dtype) != x->nbytes)
            return ovw_fail(w, n, "constant '%s' holds %zu bytes, not what its shape says", x->name, x->nbytes);
        w->tsrc[t] = ovw_w_const(w, x->name, x->dtype, x->rank, x->dims, x->data, x->nbytes, compressible);
        *out = w->tsrc[t];
        return 0;
    }
    if (x->producer < 0 && !x->is_input) return ovw_fail(w, n, "tensor '%s' has no producer and no data", x->name);
    return ovw_fail(w, n, "tensor '%s' is used before it is produced", x->name);
}

int ovw_w_in_tensor(W *w, int L, const Node *n, int t, bool compressible)
{
    Src s;
    if (ovw_w_src(w, n, t, compressible, &s)) return -1;
    ovw_w_in(w, L, s);
    return 0;
}

/* Output port for graph tensor t (named after it). */
Src ovw_w_out_tensor(W *w, int L, int t)
{
    const Tensor *x = ovw_T(w, t);
    Src s = ovw_w_out(w, L, x->dtype, x->rank, x->dims, x->name);
    w->tsrc[t] = s;
    return s;
}

const char *ovw_bool_str(bool b) { return b ? "true" : "false"; }

/* A layer type, version or attribute name safe to write unescaped. */
bool ovw_xml_type_ok(const char *s)
{
    if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == '-' || *s == '.'))
            return false;
    return true;
}

bool ovw_dtype_is_floaty(DType t) { return t == DT_F32 || t == DT_F16 || t == DT_BF16 || t == DT_F64; }

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
    if (g->n_inputs < 1) return ovw_fail(w, NULL, "the graph has no inputs");
    if (g->n_outputs < 1) return ovw_fail(w, NULL, "the graph has no outputs");
    w->tsrc = xmalloc(sizeof *w->tsrc * (size_t)(g->n_tensors ? g->n_tensors : 1));
    for (int i = 0; i < g->n_tensors; i++) w->tsrc[i] = (Src){-1, 0};
    for (int i = 0; i < g->n_inputs; i++) {
        const Tensor *x = ovw_T(w, g->inputs[i]);
        if (!x) return ovw_fail(w, NULL, "graph input %d is out of range", i);
        const char *et = openvino_element_type(x->dtype);
        if (!et) return ovw_fail(w, NULL, "input '%s' has type %s, which OpenVINO has no name for", x->name, dtype_name(x->dtype));
        int L = ovw_w_layer(w, x->name, "Parameter", "opset1");
        StrBuf shape = {0};
        strbuf_puts(&shape, "");
        shape_attr(&shape, x->rank, x->dims, ",");
        ovw_w_attr(w, L, "shape", "%s", shape.p);
        ovw_w_attr(w, L, "element_type", "%s", et);
        free(shape.p);
        ovw_w_out_tensor(w, L, g->inputs[i]);
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_outputs; k++) {
            const Tensor *y = ovw_T(w, n->outputs[k]);
            if (y && y->dtype != DT_UNDEFINED && !openvino_element_type(y->dtype))
                return ovw_fail(w, n, "output '%s' has type %s, which OpenVINO has no name for", y->name, dtype_name(y->dtype));
        }
        if (ovw_emit_node(w, n)) return -1;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const Tensor *y = ovw_T(w, g->outputs[i]);
        Src s;
        if (!y) return ovw_fail(w, NULL, "graph output %d is out of range", i);
        if (ovw_w_src(w, NULL, g->outputs[i], false, &s)) return -1;
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
        if (!named) ovw_w_port_add_name(w, s, y->name);
        char *rname = xasprintf("%s/sink_port_0", y->name);
        int R = ovw_w_layer(w, rname, "Result", "opset1");
        free(rname);
        ovw_w_in(w, R, s);
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
    int bad = graph_first_unwritable(g, ovw_node_support); /* from the op table, before anything is built */
    if (bad >= 0) {
        ovw_fail(&w, &g->nodes[bad], "no OpenVINO mapping for op '%s'", node_op_name(&g->nodes[bad]));
        w_free(&w);
        return -1;
    }
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
