/* tfjs (writer core): the state of one TF.js export -- node names, GraphDef JSON nodes,
 * constants and their manifest entries, tensor layouts and the transposes between them --
 * and tfjs_write(), which lowers the needed IR nodes in order (tfjs_ops.c), then writes the
 * shards, metadata.yaml and model.json into the directory. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "formats/tfjs_impl.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "formats/tfjs.c assumes a little-endian host: TF.js weight shards are little-endian"
#endif

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "0"
#endif

#define TFJS_MAX_NODES (1 << 22) /* far beyond any YOLO; bounds the name search */

/* ---- layouts --------------------------------------------------------------------------- */
Layout layout_identity(int rank)
{
    Layout l = {.rank = rank};
    for (int i = 0; i < rank; i++) l.perm[i] = i;
    return l;
}

Layout layout_nhwc(void) { return (Layout){.rank = 4, .perm = {0, 2, 3, 1}}; }

bool layout_equal(const Layout *a, const Layout *b)
{
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->perm[i] != b->perm[i]) return false;
    return true;
}

bool layout_is_identity(const Layout *l)
{
    for (int i = 0; i < l->rank; i++)
        if (l->perm[i] != i) return false;
    return true;
}

int layout_phys_axis(const Layout *l, int64_t ir_axis)
{
    if (ir_axis < 0) ir_axis += l->rank;
    if (ir_axis < 0 || ir_axis >= l->rank) return -1;
    for (int k = 0; k < l->rank; k++)
        if (l->perm[k] == ir_axis) return k;
    return -1;
}

void layout_phys_dims(const Layout *l, const int64_t *ir_dims, int64_t *out)
{
    for (int k = 0; k < l->rank; k++) out[k] = ir_dims[l->perm[k]];
}

void tfjs_permute(const void *src, void *dst, size_t elem, int rank, const int64_t *dims, const int *perm)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    if (n <= 0) return;
    /* source strides, then walk the destination in order with a counter */
    int64_t sstride[GRAPH_MAX_RANK], ddims[GRAPH_MAX_RANK], idx[GRAPH_MAX_RANK] = {0};
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        sstride[i] = s;
        s *= dims[i];
    }
    for (int k = 0; k < rank; k++) ddims[k] = dims[perm[k]];
    const unsigned char *sp = src;
    unsigned char *dp = dst;
    int64_t off = 0;
    for (int64_t i = 0; i < n; i++) {
        memcpy(dp + (size_t)i * elem, sp + (size_t)off * elem, elem);
        for (int k = rank - 1; k >= 0; k--) {
            idx[k]++;
            off += sstride[perm[k]];
            if (idx[k] < ddims[k]) break;
            off -= sstride[perm[k]] * ddims[k];
            idx[k] = 0;
        }
    }
}

/* ---- name maps ------------------------------------------------------------------------- */
static const char *namemap_get(const TfNameMap *m, const char *k)
{
    int i = strmap_get(&m->index, k);
    return i >= 0 ? ((const char **)m->vals.items)[i] : NULL;
}

static void namemap_put(TfNameMap *m, const char *k, const char *v)
{
    bool created;
    int *slot = strmap_slot(&m->index, k, &created);
    if (created) {
        *slot = (int)m->vals.len;
        vec_push(&m->vals, sizeof v, &v);
    } else {
        ((const char **)m->vals.items)[*slot] = v;
    }
}

static void namemap_free(TfNameMap *m)
{
    strmap_free(&m->index);
    strmap_free(&m->next);
    vec_free(&m->vals);
}

/* ---- messages and names ---------------------------------------------------------------- */
int tw_fail(TfjsWriter *w, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w->cur) return err_set(w->err, w->errlen, "%s (%s): %s", w->cur->name, w->cur->op_type, msg);
    return err_set(w->err, w->errlen, "%s", msg);
}

/* TF node names: [A-Za-z0-9.][A-Za-z0-9_.\-/]*; ':' would break "node:k" references. */
static char *sanitize(Arena *a, const char *base)
{
    while (*base == '/') base++;
    size_t n = strlen(base);
    if (n > 200) n = 200;
    char *s = arena_alloc(a, n + 2);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = base[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '-' || c == '/';
        s[j++] = ok ? c : '_';
    }
    while (j > 0 && s[j - 1] == '/') j--;
    s[j] = 0;
    if (!j) return arena_strdup(a, "node");
    if (s[0] == '_' || s[0] == '-' || s[0] == '/') return arena_printf(a, "n%s", s);
    return s;
}

const char *tw_name(TfjsWriter *w, const char *base)
{
    const char *s = sanitize(w->arena, base && *base ? base : "node");
    if (!namemap_get(&w->names, s)) {
        namemap_put(&w->names, s, s);
        return s;
    }
    int *next = strmap_slot(&w->names.next, s, NULL); /* s is an arena string: not copied */
    for (int k = *next > 0 ? *next : 1;; k++) {
        const char *t = arena_printf(w->arena, "%s_%d", s, k);
        if (!namemap_get(&w->names, t)) {
            namemap_put(&w->names, t, t);
            *strmap_slot(&w->names.next, s, NULL) = k + 1;
            return t;
        }
    }
}

const char *tw_subname(TfjsWriter *w, const char *prefix, const char *suffix)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", prefix, suffix);
    return tw_name(w, buf);
}

const char *tw_node_base(TfjsWriter *w)
{
    return sanitize(w->arena, w->cur && w->cur->name && *w->cur->name ? w->cur->name : "node");
}

const char *tw_ref(TfjsWriter *w, const char *node, int k)
{
    return k > 0 ? arena_printf(w->arena, "%s:%d", node, k) : node;
}

/* ---- GraphDef JSON --------------------------------------------------------------------- */
static const char *tf_dtype_name(DType dt)
{
    switch (tw_tf_dtype(dt)) {
    case DT_I32: return "DT_INT32";
    case DT_BOOL: return "DT_BOOL";
    default: return "DT_FLOAT";
    }
}

DType tw_tf_dtype(DType dt)
{
    static const DType map[DT_COUNT] = {
        [DT_F32] = DT_F32, [DT_F16] = DT_F32, [DT_BF16] = DT_F32, [DT_F64] = DT_F32, [DT_U8] = DT_I32,
        [DT_I8] = DT_I32,  [DT_U16] = DT_I32, [DT_I16] = DT_I32,  [DT_I32] = DT_I32, [DT_I64] = DT_I32,
        [DT_U32] = DT_I32, [DT_U64] = DT_I32, [DT_BOOL] = DT_BOOL,
    };
    return (dt >= 0 && dt < DT_COUNT && map[dt] != DT_UNDEFINED) ? map[dt] : DT_F32;
}

char *tfjs_base64(const unsigned char *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = xmalloc((n + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        *o++ = tab[(v >> 18) & 63];
        *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *o = 0;
    return out;
}

static json_object *b64_string(const char *s)
{
    char *b = tfjs_base64((const unsigned char *)s, strlen(s));
    json_object *j = json_object_new_string(b);
    free(b);
    return j;
}

static json_object *int64_string(int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return json_object_new_string(buf);
}

static json_object *shape_json(int rank, const int64_t *dims)
{
    json_object *shape = json_object_new_object();
    if (rank > 0) {
        json_object *arr = json_object_new_array();
        for (int i = 0; i < rank; i++) {
            json_object *d = json_object_new_object();
            json_object_object_add(d, "size", int64_string(dims[i] < 0 ? -1 : dims[i]));
            json_object_array_add(arr, d);
        }
        json_object_object_add(shape, "dim", arr);
    }
    return shape;
}

json_object *tw_node(TfjsWriter *w, const char *name, const char *op)
{
    json_object *n = json_object_new_object();
    json_object_object_add(n, "name", json_object_new_string(name));
    json_object_object_add(n, "op", json_object_new_string(op));
    json_object_array_add(w->nodes, n);
    return n;
}

void tw_input(json_object *node, const char *ref)
{
    json_object *in = NULL;
    if (!json_object_object_get_ex(node, "input", &in)) {
        in = json_object_new_array();
        json_object_object_add(node, "input", in);
    }
    json_object_array_add(in, json_object_new_string(ref));
}

static void attr_put(json_object *node, const char *key, json_object *value)
{
    json_object *attr = NULL;
    if (!json_object_object_get_ex(node, "attr", &attr)) {
        attr = json_object_new_object();
        json_object_object_add(node, "attr", attr);
    }
    json_object_object_add(attr, key, value);
}

static json_object *wrap(const char *k, json_object *v)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, k, v);
    return o;
}

void tw_attr_type(json_object *node, const char *key, DType dt)
{
    attr_put(node, key, wrap("type", json_object_new_string(tf_dtype_name(dt))));
}

void tw_attr_int(json_object *node, const char *key, int64_t v) { attr_put(node, key, wrap("i", int64_string(v))); }

void tw_attr_float(json_object *node, const char *key, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.9g", v);
    attr_put(node, key, wrap("f", json_object_new_double_s(v, buf)));
}

void tw_attr_bool(json_object *node, const char *key, bool v)
{
    attr_put(node, key, wrap("b", json_object_new_boolean(v)));
}

void tw_attr_string(json_object *node, const char *key, const char *s) { attr_put(node, key, wrap("s", b64_string(s))); }

void tw_attr_ints(json_object *node, const char *key, const int64_t *v, int n)
{
    json_object *list = json_object_new_object();
    if (n > 0) {
        json_object *arr = json_object_new_array();
        for (int i = 0; i < n; i++) json_object_array_add(arr, int64_string(v[i]));
        json_object_object_add(list, "i", arr);
    }
    attr_put(node, key, wrap("list", list));
}

void tw_attr_strings(json_object *node, const char *key, const char *const *s, int n)
{
    json_object *list = json_object_new_object();
    if (n > 0) {
        json_object *arr = json_object_new_array();
        for (int i = 0; i < n; i++) json_object_array_add(arr, b64_string(s[i]));
        json_object_object_add(list, "s", arr);
    }
    attr_put(node, key, wrap("list", list));
}

/* ---- constants ------------------------------------------------------------------------- */
const char *tw_const(TfjsWriter *w, const char *base, DType dt, int rank, const int64_t *dims, void *data,
                     bool quantize)
{
    const char *name = tw_name(w, base);
    json_object *n = tw_node(w, name, "Const");
    json_object *tensor = json_object_new_object();
    json_object_object_add(tensor, "dtype", json_object_new_string(tf_dtype_name(dt)));
    json_object_object_add(tensor, "tensorShape", shape_json(rank, dims));
    attr_put(n, "value", wrap("tensor", tensor));
    tw_attr_type(n, "dtype", dt);
    TfWeight wt = {.name = name, .dtype = dt, .rank = rank, .data = data, .quantize = quantize && dt == DT_F32};
    int64_t numel = 1;
    for (int i = 0; i < rank; i++) {
        wt.dims[i] = dims[i];
        numel *= dims[i];
    }
    wt.nbytes = (size_t)numel * (dt == DT_BOOL ? 1 : 4);
    vec_push(&w->weights, sizeof wt, &wt);
    return name;
}

const char *tw_const_i32(TfjsWriter *w, const char *base, const int64_t *v, int n, bool scalar)
{
    int32_t *d = xmalloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        if (v[i] > INT32_MAX || v[i] < INT32_MIN) w->int32_overflow = true;
        d[i] = v[i] > INT32_MAX ? INT32_MAX : v[i] < INT32_MIN ? INT32_MIN : (int32_t)v[i];
    }
    int64_t dim = n;
    return tw_const(w, base, DT_I32, scalar ? 0 : 1, &dim, d, false);
}

const char *tw_const_f32_scalar(TfjsWriter *w, const char *base, float v)
{
    float *d = xmalloc(sizeof(float));
    *d = v;
    return tw_const(w, base, DT_F32, 0, NULL, d, false);
}

/* Materialise elem-sized IR-space data in layout l (rank padded with leading 1s). */
static void *layout_data(const void *data, size_t elem, int rank, const int64_t *dims, const Layout *l,
                         int64_t *out_dims, int *out_rank)
{
    int64_t full[GRAPH_MAX_RANK];
    int r = l ? l->rank : rank;
    int pad = r - rank;
    for (int i = 0; i < r; i++) full[i] = i < pad ? 1 : dims[i - pad];
    int64_t n = 1;
    for (int i = 0; i < r; i++) n *= full[i];
    void *out = xmalloc(elem * (size_t)(n > 0 ? n : 1));
    if (l && !layout_is_identity(l)) {
        tfjs_permute(data, out, elem, r, full, l->perm);
        layout_phys_dims(l, full, out_dims);
    } else {
        memcpy(out, data, elem * (size_t)n);
        memcpy(out_dims, full, sizeof(int64_t) * (size_t)r);
    }
    *out_rank = r;
    return out;
}

const char *tw_const_f32_layout(TfjsWriter *w, const char *base, int rank, const int64_t *dims, const float *data,
                                const Layout *l, bool quantize)
{
    int64_t pd[GRAPH_MAX_RANK];
    int pr;
    void *d = layout_data(data, sizeof(float), rank, dims, l, pd, &pr);
    return tw_const(w, base, DT_F32, pr, pd, d, quantize);
}

const Tensor *tw_const_tensor(TfjsWriter *w, int ti)
{
    const Graph *g = w->g;
    if (ti < 0 || ti >= g->n_tensors) return NULL;
    const Tensor *t = &g->tensors[ti];
    if (t->producer < 0) return t->data ? t : NULL;
    const Node *n = &g->nodes[t->producer];
    if (n->op != OP_CONSTANT) return NULL;
    const Attr *a = node_attr(n, "value");
    if (!a || a->type != ATTR_TENSOR || a->tensor < 0 || a->tensor >= g->n_tensors) return NULL;
    const Tensor *v = &g->tensors[a->tensor];
    return v->data ? v : NULL;
}

/* Element i of a constant as double / int64 (dtype-checked by the callers). */
static double elem_f(const Tensor *t, int64_t i)
{
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case DT_F32: { float f; memcpy(&f, p + i * 4, 4); return f; }
    case DT_F64: { double d; memcpy(&d, p + i * 8, 8); return d; }
    case DT_F16: { uint16_t h; memcpy(&h, p + i * 2, 2); return half_to_float(h); }
    case DT_BF16: { uint16_t h; memcpy(&h, p + i * 2, 2); return bf16_to_float(h); }
    default: return 0;
    }
}

static int64_t elem_i(const Tensor *t, int64_t i)
{
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case DT_I64: { int64_t v; memcpy(&v, p + i * 8, 8); return v; }
    case DT_I32: { int32_t v; memcpy(&v, p + i * 4, 4); return v; }
    case DT_I16: { int16_t v; memcpy(&v, p + i * 2, 2); return v; }
    case DT_U16: { uint16_t v; memcpy(&v, p + i * 2, 2); return v; }
    case DT_I8: return (int8_t)p[i];
    case DT_U8: case DT_BOOL: return p[i];
    case DT_U32: { uint32_t v; memcpy(&v, p + i * 4, 4); return v; }
    case DT_U64: { uint64_t v; memcpy(&v, p + i * 8, 8); return v > INT64_MAX ? INT64_MAX : (int64_t)v; }
    default: return 0;
    }
}

static bool is_float_dtype(DType d) { return d == DT_F32 || d == DT_F64 || d == DT_F16 || d == DT_BF16; }

/* Element count of a constant whose bytes cover its shape; -1 otherwise. */
static int64_t const_numel(const Tensor *t)
{
    int64_t n;
    size_t es = dtype_size(t->dtype), need;
    if (!es || !dims_product(t->dims, t->rank, &n) || !size_mul((size_t)n, es, &need) || need > t->nbytes) return -1;
    return n;
}

int tw_const_ints(TfjsWriter *w, int ti, int64_t *out, int max)
{
    const Tensor *t = tw_const_tensor(w, ti);
    if (!t || is_float_dtype(t->dtype)) return -1;
    int64_t n = const_numel(t);
    if (n < 0) return -1;
    if (n > max) return -1;
    for (int64_t i = 0; i < n; i++) out[i] = elem_i(t, i);
    return (int)n;
}

float *tw_const_floats(TfjsWriter *w, int ti, int64_t *count)
{
    const Tensor *t = tw_const_tensor(w, ti);
    if (!t) return NULL;
    int64_t n = const_numel(t);
    if (n < 0) return NULL;
    float *f = xmalloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    bool fl = is_float_dtype(t->dtype);
    for (int64_t i = 0; i < n; i++) f[i] = fl ? (float)elem_f(t, i) : (float)elem_i(t, i);
    *count = n;
    return f;
}

/* ---- activations and layouts ----------------------------------------------------------- */
static void reflist_add(TfRefList *l, const char *ref, const Layout *lay)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 2;
        l->items = xrealloc(l->items, sizeof *l->items * (size_t)l->cap);
    }
    l->items[l->n++] = (TfRef){.layout = *lay, .ref = ref};
}

void tw_set(TfjsWriter *w, int ti, const char *ref, const Layout *l) { reflist_add(&w->refs[ti], ref, l); }

Layout tw_layout(TfjsWriter *w, int ti)
{
    if (w->refs[ti].n) return w->refs[ti].items[0].layout;
    return layout_identity(w->g->tensors[ti].rank);
}

const char *tw_transpose(TfjsWriter *w, const char *base, const char *ref, DType dt, const int *perm, int rank)
{
    int64_t p[GRAPH_MAX_RANK];
    for (int i = 0; i < rank; i++) p[i] = perm[i];
    const char *name = tw_subname(w, base, "Transpose");
    const char *pc = tw_const_i32(w, arena_printf(w->arena, "%s/perm", name), p, rank, false);
    json_object *n = tw_node(w, name, "Transpose");
    tw_input(n, ref);
    tw_input(n, pc);
    tw_attr_type(n, "T", dt);
    tw_attr_type(n, "Tperm", DT_I32);
    return name;
}

static const char *reshape_node(TfjsWriter *w, const char *base, const char *ref, DType dt, const int64_t *dims,
                                int rank)
{
    const char *name = tw_subname(w, base, "Reshape");
    const char *sc = tw_const_i32(w, arena_printf(w->arena, "%s/shape", name), dims, rank, false);
    json_object *n = tw_node(w, name, "Reshape");
    tw_input(n, ref);
    tw_input(n, sc);
    tw_attr_type(n, "T", dt);
    tw_attr_type(n, "Tshape", DT_I32);
    return name;
}

static char *layout_key(TfjsWriter *w, int ti, const Layout *l)
{
    char buf[64];
    int o = snprintf(buf, sizeof buf, "%d:", ti);
    for (int i = 0; i < l->rank && o < (int)sizeof buf - 4; i++) o += snprintf(buf + o, sizeof buf - (size_t)o, "%d", l->perm[i]);
    return arena_strdup(w->arena, buf);
}

static int use_const(TfjsWriter *w, int ti, const Tensor *ct, const Layout *want, const char **ref)
{
    char *key = layout_key(w, ti, want);
    const char *hit = namemap_get(&w->consts, key);
    if (hit) {
        *ref = hit;
        return 0;
    }
    if (ct->rank > want->rank) return tw_fail(w, "constant %s has rank %d, more than %d", ct->name, ct->rank, want->rank);
    int64_t n = const_numel(ct);
    if (n < 0) return tw_fail(w, "constant %s: its data does not cover its shape", ct->name);
    const char *base = w->g->tensors[ti].name;
    DType dt = tw_tf_dtype(ct->dtype);
    void *src = xmalloc((size_t)(n > 0 ? n : 1) * 4);
    if (dt == DT_F32) {
        for (int64_t i = 0; i < n; i++) ((float *)src)[i] = (float)elem_f(ct, i);
    } else {
        for (int64_t i = 0; i < n; i++) {
            int64_t v = elem_i(ct, i);
            if (v > INT32_MAX || v < INT32_MIN) {
                free(src);
                return tw_fail(w, "constant %s holds %lld, outside TF.js's int32", ct->name, (long long)v);
            }
            ((int32_t *)src)[i] = (int32_t)v;
        }
    }
    int64_t pd[GRAPH_MAX_RANK];
    int pr;
    void *d = layout_data(src, 4, ct->rank, ct->dims, want, pd, &pr);
    free(src);
    if (dt == DT_BOOL) { /* TF.js bool weights are one byte each */
        unsigned char *b = xmalloc((size_t)(n > 0 ? n : 1));
        for (int64_t i = 0; i < n; i++) b[i] = ((int32_t *)d)[i] != 0;
        free(d);
        d = b;
    }
    *ref = tw_const(w, base, dt, pr, pd, d, ct->is_param);
    namemap_put(&w->consts, key, *ref);
    return 0;
}

int64_t tw_const_numel(const Tensor *t) { return const_numel(t); }

int tw_use_scalar(TfjsWriter *w, int ti, const char **ref)
{
    const Tensor *ct = tw_const_tensor(w, ti);
    if (!ct || const_numel(ct) != 1) return -1;
    char *key = arena_printf(w->arena, "%d:scalar", ti);
    const char *hit = namemap_get(&w->consts, key);
    if (hit) {
        *ref = hit;
        return 0;
    }
    DType dt = tw_tf_dtype(ct->dtype);
    void *d = xmalloc(4);
    if (dt == DT_F32) {
        float f = (float)elem_f(ct, 0);
        memcpy(d, &f, 4);
    } else {
        int64_t v = elem_i(ct, 0);
        if (v > INT32_MAX || v < INT32_MIN) {
            free(d);
            return tw_fail(w, "constant %s holds %lld, outside TF.js's int32", ct->name, (long long)v);
        }
        int32_t i32 = (int32_t)v;
        if (dt == DT_BOOL) ((unsigned char *)d)[0] = i32 != 0;
        else memcpy(d, &i32, 4);
    }
    *ref = tw_const(w, w->g->tensors[ti].name, dt, 0, NULL, d, false);
    namemap_put(&w->consts, key, *ref);
    return 0;
}

int tw_use_any(TfjsWriter *w, int ti, const char **ref, Layout *l)
{
    if (ti < 0 || ti >= w->g->n_tensors) return tw_fail(w, "missing input");
    const Tensor *ct = tw_const_tensor(w, ti);
    if (ct) {
        *l = layout_identity(ct->rank);
        return use_const(w, ti, ct, l, ref);
    }
    if (!w->refs[ti].n) return tw_fail(w, "input %s is not computed by any node before it", w->g->tensors[ti].name);
    *ref = w->refs[ti].items[0].ref;
    *l = w->refs[ti].items[0].layout;
    return 0;
}

int tw_use(TfjsWriter *w, int ti, const Layout *want, const char **ref)
{
    if (ti < 0 || ti >= w->g->n_tensors) return tw_fail(w, "missing input");
    const Tensor *ct = tw_const_tensor(w, ti);
    if (ct) return use_const(w, ti, ct, want, ref);
    TfRefList *rl = &w->refs[ti];
    if (!rl->n) return tw_fail(w, "input %s is not computed by any node before it", w->g->tensors[ti].name);
    for (int i = 0; i < rl->n; i++)
        if (layout_equal(&rl->items[i].layout, want)) {
            *ref = rl->items[i].ref;
            return 0;
        }
    const Tensor *t = &w->g->tensors[ti];
    DType dt = t->dtype;
    const char *base = sanitize(w->arena, t->name);
    if (want->rank == t->rank) {
        const Layout *have = &rl->items[0].layout;
        int inv[GRAPH_MAX_RANK], perm[GRAPH_MAX_RANK];
        for (int k = 0; k < have->rank; k++) inv[have->perm[k]] = k;
        for (int k = 0; k < want->rank; k++) perm[k] = inv[want->perm[k]];
        *ref = tw_transpose(w, base, rl->items[0].ref, dt, perm, want->rank);
        tw_set(w, ti, *ref, want);
        return 0;
    }
    if (want->rank < t->rank) return tw_fail(w, "cannot use %s (rank %d) at rank %d", t->name, t->rank, want->rank);
    /* a lower-rank operand broadcast in another layout: reshape to the full rank first */
    int64_t full[GRAPH_MAX_RANK];
    int pad = want->rank - t->rank;
    for (int i = 0; i < want->rank; i++) {
        full[i] = i < pad ? 1 : t->dims[i - pad];
        if (full[i] < 0) return tw_fail(w, "%s needs a static shape to be broadcast in TF.js", t->name);
    }
    Layout id = layout_identity(t->rank);
    const char *plain;
    if (tw_use(w, ti, &id, &plain)) return -1;
    const char *r = reshape_node(w, base, plain, dt, full, want->rank);
    if (!layout_is_identity(want)) r = tw_transpose(w, base, r, dt, want->perm, want->rank);
    tw_set(w, ti, r, want);
    *ref = r;
    return 0;
}

/* ---- weights: manifest and shards ------------------------------------------------------ */
typedef struct {
    unsigned char *bytes;
    size_t len, cap;
} ByteBuf;

static void bb_append(ByteBuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n) cap *= 2;
        b->bytes = xrealloc(b->bytes, cap);
        b->cap = cap;
    }
    memcpy(b->bytes + b->len, p, n);
    b->len += n;
}

/* uint8 affine quantisation as the converter does it: range nudged so that 0 is exact. */
static void quantize_u8(const float *v, int64_t n, unsigned char *q, double *min_out, double *scale_out)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
    }
    if (n == 0 || lo == hi) {
        memset(q, 0, (size_t)n);
        *min_out = n ? lo : 0;
        *scale_out = 1.0;
        return;
    }
    double scale = (hi - lo) / 255.0, nlo = lo, nhi = hi;
    if (lo <= 0 && 0 <= hi) {
        double zp = nearbyint(-lo / scale);
        nlo = -zp * scale;
        nhi = 255.0 * scale + nlo;
    }
    for (int64_t i = 0; i < n; i++) {
        double x = v[i] < nlo ? nlo : v[i] > nhi ? nhi : v[i];
        double r = nearbyint((x - nlo) / scale);
        q[i] = (unsigned char)(r < 0 ? 0 : r > 255 ? 255 : r);
    }
    *min_out = nlo;
    *scale_out = scale;
}

static json_object *double_json(double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", v);
    return json_object_new_double_s(v, buf);
}

/* Pack every weight (quantised as asked) into one buffer; fill the manifest's entries. */
static void pack_weights(TfjsWriter *w, ByteBuf *bb, json_object *entries)
{
    bool half = w->opt->half, u8 = w->opt->int8;
    TfWeight *ws = w->weights.items;
    for (size_t i = 0; i < w->weights.len; i++) {
        TfWeight *wt = &ws[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", json_object_new_string(wt->name));
        json_object *shape = json_object_new_array();
        for (int k = 0; k < wt->rank; k++) json_object_array_add(shape, json_object_new_int64(wt->dims[k]));
        json_object_object_add(e, "shape", shape);
        json_object_object_add(e, "dtype", json_object_new_string(wt->dtype == DT_I32    ? "int32"
                                                                  : wt->dtype == DT_BOOL ? "bool"
                                                                                         : "float32"));
        int64_t n = (int64_t)(wt->nbytes / (wt->dtype == DT_BOOL ? 1 : 4));
        if (wt->quantize && (half || u8)) {
            json_object *q = json_object_new_object();
            if (half) {
                uint16_t *h = xmalloc(sizeof(uint16_t) * (size_t)(n > 0 ? n : 1));
                for (int64_t k = 0; k < n; k++) h[k] = float_to_half(((float *)wt->data)[k]);
                bb_append(bb, h, sizeof(uint16_t) * (size_t)n);
                free(h);
                json_object_object_add(q, "dtype", json_object_new_string("float16"));
            } else {
                unsigned char *b = xmalloc((size_t)(n > 0 ? n : 1));
                double mn, sc;
                quantize_u8(wt->data, n, b, &mn, &sc);
                bb_append(bb, b, (size_t)n);
                free(b);
                json_object_object_add(q, "dtype", json_object_new_string("uint8"));
                json_object_object_add(q, "min", double_json(mn));
                json_object_object_add(q, "scale", double_json(sc));
            }
            json_object_object_add(q, "original_dtype", json_object_new_string("float32"));
            json_object_object_add(e, "quantization", q);
        } else {
            bb_append(bb, wt->data, wt->nbytes);
        }
        json_object_array_add(entries, e);
    }
}

/* ---- the lowering walk ----------------------------------------------------------------- */
/* Nodes the outputs depend on, in an order where producers come first (-1 on a cycle). */
static int needed_order(const Graph *g, int **order_out, int *n_out, char *err, size_t errlen)
{
    unsigned char *need = xcalloc((size_t)g->n_nodes + 1, 1);
    int *stack = xmalloc(sizeof(int) * ((size_t)g->n_nodes + 1));
    int sp = 0;
    for (int i = 0; i < g->n_outputs; i++) {
        int p = g->tensors[g->outputs[i]].producer;
        if (p >= 0 && !need[p]) need[p] = 1, stack[sp++] = p;
    }
    while (sp) {
        const Node *n = &g->nodes[stack[--sp]];
        for (int k = 0; k < n->n_inputs; k++) {
            int ti = n->inputs[k];
            if (ti < 0 || ti >= g->n_tensors) continue;
            int p = g->tensors[ti].producer;
            if (p >= 0 && !need[p]) need[p] = 1, stack[sp++] = p;
        }
    }
    /* Kahn over the needed nodes */
    int *pending = xcalloc((size_t)g->n_nodes + 1, sizeof(int));
    int *order = xmalloc(sizeof(int) * ((size_t)g->n_nodes + 1));
    int total = 0, n = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (!need[i]) continue;
        total++;
        const Node *nd = &g->nodes[i];
        for (int k = 0; k < nd->n_inputs; k++) {
            int ti = nd->inputs[k];
            if (ti >= 0 && ti < g->n_tensors && g->tensors[ti].producer >= 0 && need[g->tensors[ti].producer])
                pending[i]++;
        }
        if (!pending[i]) stack[sp++] = i;
    }
    /* consumers lists: walk all needed nodes per produced tensor (graphs are small) */
    int *cons = xmalloc(sizeof(int) * ((size_t)g->n_nodes + 1));
    while (sp) {
        /* take the lowest index first so the output follows the IR's order */
        int best = 0;
        for (int i = 1; i < sp; i++)
            if (stack[i] < stack[best]) best = i;
        int ni = stack[best];
        stack[best] = stack[--sp];
        order[n++] = ni;
        const Node *nd = &g->nodes[ni];
        for (int o = 0; o < nd->n_outputs; o++) {
            int ti = nd->outputs[o];
            if (ti < 0) continue;
            int nc = graph_consumers(g, ti, cons, g->n_nodes);
            for (int c = 0; c < nc && c < g->n_nodes; c++) {
                int ci = cons[c];
                if (!need[ci]) continue;
                /* a node may take the same tensor twice: count every slot */
                const Node *cn = &g->nodes[ci];
                for (int k = 0; k < cn->n_inputs; k++)
                    if (cn->inputs[k] == ti && --pending[ci] == 0) stack[sp++] = ci;
            }
        }
    }
    free(cons);
    free(pending);
    free(stack);
    free(need);
    if (n != total) {
        free(order);
        return err_set(err, errlen, "the graph has a cycle");
    }
    *order_out = order;
    *n_out = n;
    return 0;
}

static bool is_float_tensor(const Tensor *t) { return is_float_dtype(t->dtype); }

static int add_inputs(TfjsWriter *w, json_object *sig_inputs)
{
    const Graph *g = w->g;
    for (int i = 0; i < g->n_inputs; i++) {
        int ti = g->inputs[i];
        const Tensor *t = &g->tensors[ti];
        if (!is_float_tensor(t) && tw_tf_dtype(t->dtype) != DT_I32)
            return tw_fail(w, "graph input %s has dtype %s, which TF.js cannot feed", t->name, dtype_name(t->dtype));
        const char *want = i == 0 ? (w->opt->input_name ? w->opt->input_name : TFJS_DEFAULT_INPUT) : t->name;
        const char *name = tw_name(w, want);
        if (i == 0 && strcmp(name, want))
            return tw_fail(w, "input name '%s' is not a valid TF node name", want);
        Layout l = t->rank == 4 ? layout_nhwc() : layout_identity(t->rank);
        int64_t pd[GRAPH_MAX_RANK];
        layout_phys_dims(&l, t->dims, pd);
        json_object *n = tw_node(w, name, "Placeholder");
        tw_attr_type(n, "dtype", t->dtype);
        attr_put(n, "shape", wrap("shape", shape_json(t->rank, pd)));
        tw_set(w, ti, name, &l);
        json_object *s = json_object_new_object();
        json_object_object_add(s, "name", json_object_new_string(arena_printf(w->arena, "%s:0", name)));
        json_object_object_add(s, "dtype", json_object_new_string(tf_dtype_name(t->dtype)));
        json_object_object_add(s, "tensorShape", shape_json(t->rank, pd));
        json_object_object_add(sig_inputs, name, s);
    }
    return 0;
}

static int add_outputs(TfjsWriter *w, json_object *sig_outputs)
{
    const Graph *g = w->g;
    w->cur = NULL;
    for (int i = 0; i < g->n_outputs; i++) {
        int ti = g->outputs[i];
        const Tensor *t = &g->tensors[ti];
        Layout l = t->rank == 4 ? layout_nhwc() : layout_identity(t->rank);
        const char *ref;
        if (tw_use(w, ti, &l, &ref)) return -1;
        /* the name was reserved by tfjs_write before any other node was named */
        const char *name = arena_printf(w->arena, i ? "Identity_%d" : "Identity", i);
        json_object *n = tw_node(w, name, "Identity");
        tw_input(n, ref);
        tw_attr_type(n, "T", t->dtype);
        int64_t pd[GRAPH_MAX_RANK];
        layout_phys_dims(&l, t->dims, pd);
        const char *key = arena_printf(w->arena, "%s:0", name);
        json_object *s = json_object_new_object();
        json_object_object_add(s, "name", json_object_new_string(key));
        json_object_object_add(s, "dtype", json_object_new_string(tf_dtype_name(t->dtype)));
        json_object_object_add(s, "tensorShape", shape_json(t->rank, pd));
        json_object_object_add(sig_outputs, key, s);
    }
    return 0;
}

/* ---- files ----------------------------------------------------------------------------- */
typedef struct {
    char **paths;
    int n, cap;
} Written;

static int write_file(Written *wr, const char *dir, const char *name, const void *buf, size_t len, char *err,
                      size_t errlen)
{
    char *path = xasprintf("%s/%s", dir, name);
    if (fileio_write_atomic(path, buf, len, err, errlen)) {
        free(path);
        return -1;
    }
    if (wr->n == wr->cap) {
        wr->cap = wr->cap ? wr->cap * 2 : 8;
        wr->paths = xrealloc(wr->paths, sizeof(char *) * (size_t)wr->cap);
    }
    wr->paths[wr->n++] = path;
    return 0;
}

static void written_free(Written *wr, bool remove_files)
{
    for (int i = 0; i < wr->n; i++) {
        if (remove_files) unlink(wr->paths[i]);
        free(wr->paths[i]);
    }
    free(wr->paths);
}

static int ensure_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return err_set(err, errlen, "%s: exists and is not a directory", dir);
        return 0;
    }
    if (mkdir(dir, 0755) != 0) return err_set(err, errlen, "%s: cannot create the directory: %s", dir, strerror(errno));
    return 0;
}

static int write_dir(TfjsWriter *w, const char *dir, json_object *sig, char *err, size_t errlen)
{
    size_t shard = w->opt->shard_bytes ? w->opt->shard_bytes : TFJS_SHARD_BYTES;
    ByteBuf bb = {0};
    json_object *entries = json_object_new_array();
    pack_weights(w, &bb, entries);
    size_t n_shards = bb.len ? (bb.len + shard - 1) / shard : 0;
    json_object *paths = json_object_new_array();
    Written wr = {0};
    int rc = 0;
    for (size_t i = 0; i < n_shards && !rc; i++) {
        char name[64];
        snprintf(name, sizeof name, "group1-shard%zuof%zu.bin", i + 1, n_shards);
        json_object_array_add(paths, json_object_new_string(name));
        size_t off = i * shard, len = bb.len - off < shard ? bb.len - off : shard;
        rc = write_file(&wr, dir, name, bb.bytes + off, len, err, errlen);
    }
    free(bb.bytes);
    json_object *group = json_object_new_object();
    json_object_object_add(group, "paths", paths);
    json_object_object_add(group, "weights", entries);
    json_object *manifest = json_object_new_array();
    json_object_array_add(manifest, group);

    if (!rc) {
        size_t ylen;
        json_object *kv = NULL;
        if (w->opt->n_metadata_kv > 0) kv = tfjs_metadata_from_kv(w->opt->metadata_kv, w->opt->n_metadata_kv, err, errlen);
        char *yaml = w->opt->n_metadata_kv > 0 && !kv ? NULL : tfjs_metadata_yaml(kv ? kv : w->opt->metadata, &ylen, err, errlen);
        rc = yaml ? write_file(&wr, dir, "metadata.yaml", yaml, ylen, err, errlen) : -1;
        free(yaml);
        json_object_put(kv);
    }
    json_object *model = json_object_new_object();
    json_object_object_add(model, "format", json_object_new_string("graph-model"));
    json_object_object_add(model, "generatedBy", json_object_new_string(w->opt->generated_by ? w->opt->generated_by : "yoloport " YOLOPORT_VERSION));
    json_object_object_add(model, "convertedBy", json_object_new_string("yoloport " YOLOPORT_VERSION " TF.js writer"));
    json_object_object_add(model, "signature", json_object_get(sig));
    json_object *topo = json_object_new_object();
    json_object_object_add(topo, "node", json_object_get(w->nodes));
    json_object_object_add(topo, "library", json_object_new_object());
    json_object_object_add(topo, "versions", json_object_new_object());
    json_object_object_add(model, "modelTopology", topo);
    json_object_object_add(model, "weightsManifest", manifest);
    if (!rc) {
        size_t jlen;
        const char *text = json_object_to_json_string_length(
            model, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &jlen);
        rc = text ? write_file(&wr, dir, "model.json", text, jlen, err, errlen)
                  : err_set(err, errlen, "%s/model.json: cannot serialise the model", dir);
    }
    json_object_put(model);
    written_free(&wr, rc != 0);
    return rc;
}

/* ---- entry ----------------------------------------------------------------------------- */
struct TfGraph {
    TfjsWriter w;
    json_object *sig;
};

void tfgraph_free(TfGraph *t)
{
    if (!t) return;
    TfjsWriter *w = &t->w;
    json_object_put(t->sig);
    json_object_put(w->nodes);
    TfWeight *ws = w->weights.items;
    for (size_t i = 0; i < w->weights.len; i++) free(ws[i].data);
    vec_free(&w->weights);
    if (w->refs)
        for (int i = 0; i < w->g->n_tensors; i++) free(w->refs[i].items);
    free(w->refs);
    namemap_free(&w->names);
    namemap_free(&w->consts);
    arena_free(w->arena);
    free(t);
}

static int check_options(const Graph *g, const TfjsOptions *opt, char *err, size_t errlen)
{
    if (!g) return err_set(err, errlen, "tfjs: no graph given");
    if (opt->half && opt->int8) return err_set(err, errlen, "tfjs: half and int8 weights are mutually exclusive");
    if (opt->metadata && opt->n_metadata_kv > 0)
        return err_set(err, errlen, "tfjs: give the metadata as a JSON object or as a list, not both");
    if (opt->n_metadata_kv < 0 || (opt->n_metadata_kv > 0 && !opt->metadata_kv))
        return err_set(err, errlen, "tfjs: bad metadata list");
    if (g->n_inputs < 1) return err_set(err, errlen, "tfjs: the graph has no input");
    if (g->n_outputs < 1) return err_set(err, errlen, "tfjs: the graph has no output");
    return 0;
}

TfGraph *tfgraph_lower(const Graph *g, const TfjsOptions *opt, char *err, size_t errlen)
{
    static const TfjsOptions defaults = {0};
    if (!opt) opt = &defaults;
    if (check_options(g, opt, err, errlen)) return NULL;
    char why[512];
    if (graph_validate(g, why, sizeof why)) {
        err_set(err, errlen, "tfjs: %s", why);
        return NULL;
    }
    /* every node the outputs need, checked against the op table before anything is built */
    int *order = NULL, n_order = 0;
    if (needed_order(g, &order, &n_order, err, errlen)) return NULL;
    for (int i = 0; i < n_order; i++) {
        const Node *n = &g->nodes[order[i]];
        if (tfjs_node_support(n) != OP_WRITE_YES) {
            free(order);
            err_set(err, errlen, "%s (%s): TensorFlow has no equivalent for this op%s", n->name, node_op_name(n),
                    n->op == OP_SHAPE ? " here (the graph reads a size, as a dynamic=True model whose blocks need "
                                        "their input's size does: export it with dynamic=False)" : "");
            return NULL;
        }
    }
    TfGraph *t = xcalloc(1, sizeof *t);
    TfjsWriter *w = &t->w;
    *w = (TfjsWriter){.g = g, .opt = opt, .arena = arena_new(), .nodes = json_object_new_array(), .err = err,
                      .errlen = errlen};
    w->refs = xcalloc((size_t)g->n_tensors + 1, sizeof *w->refs);
    json_object *sig_in = json_object_new_object(), *sig_out = json_object_new_object();
    t->sig = json_object_new_object();
    json_object_object_add(t->sig, "inputs", sig_in);
    json_object_object_add(t->sig, "outputs", sig_out);
    /* reserve the output names first so that no other node takes them */
    for (int i = 0; i < g->n_outputs; i++) {
        const char *keep = arena_printf(w->arena, i ? "Identity_%d" : "Identity", i);
        namemap_put(&w->names, keep, keep);
    }
    int rc = add_inputs(w, sig_in);
    for (int i = 0; i < n_order && !rc; i++) {
        w->cur = &g->nodes[order[i]];
        rc = tfjs_lower_node(w, order[i]);
        if (!rc && w->int32_overflow) rc = tw_fail(w, "a shape, size or index does not fit TensorFlow's int32");
    }
    if (!rc) rc = add_outputs(w, sig_out);
    if (!rc && w->int32_overflow) rc = err_set(err, errlen, "tfjs: an output shape does not fit TensorFlow's int32");
    free(order);
    if (rc) {
        tfgraph_free(t);
        return NULL;
    }
    w->err = NULL;
    w->errlen = 0;
    return t;
}

json_object *tfgraph_nodes(const TfGraph *t) { return t->w.nodes; }
json_object *tfgraph_signature(const TfGraph *t) { return t->sig; }

size_t tfgraph_n_weights(const TfGraph *t) { return t->w.weights.len; }

const TfWeight *tfgraph_weight(const TfGraph *t, size_t i)
{
    return i < t->w.weights.len ? &((const TfWeight *)t->w.weights.items)[i] : NULL;
}

int tfjs_write(const Graph *g, const TfjsOptions *opt, const char *dir, char *err, size_t errlen)
{
    TfjsOptions defaults = {0};
    if (!opt) opt = &defaults;
    if (!dir || !*dir) return err_set(err, errlen, "tfjs: no directory given");
    if (check_options(g, opt, err, errlen)) return -1;
    TfGraph *t = tfgraph_lower(g, opt, err, errlen);
    if (!t) return -1;
    int rc = ensure_dir(dir, err, errlen);
    if (!rc) rc = write_dir(&t->w, dir, t->sig, err, errlen);
    tfgraph_free(t);
    return rc;
}
