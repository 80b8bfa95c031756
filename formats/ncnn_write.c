/* ncnn_write: the Graph IR as an ncnn model (formats/ncnn.h says which layer each op
 * becomes).  The graph is walked once in its (topological) order; each node's emitter
 * (formats/ncnn_emit.c) adds layers, blobs and weight bytes through the helpers here; then
 * Split layers are inserted after every blob used more than once, blobs are named (in0..,
 * out0.., then numbers in order) and the text written. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fileio.h"
#include "formats/ncnn.h"
#include "formats/ncnn_write_impl.h"
#include "formats/openvino.h"

int nw_fail(W *w, const Node *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n) return err_set(w->err, w->errlen, "node '%s' (%s): %s", n->name, node_op_name(n), msg);
    return err_set(w->err, w->errlen, "%s", msg);
}

const Tensor *nw_T(const W *w, int t) { return (t >= 0 && t < w->g->n_tensors) ? &w->g->tensors[t] : NULL; }

/* ---- layers, blobs, parameters, weights ---------------------------------------------- */

/* A layer name ncnn reads back (no blanks, under 256 bytes) and unique in the file. */
char *nw_layer_name(W *w, const char *want, const char *fallback_type)
{
    char base[200];
    size_t n = 0;
    for (const char *p = want ? want : ""; *p && n < sizeof base - 1; p++)
        base[n++] = (unsigned char)*p <= ' ' ? '_' : *p;
    base[n] = '\0';
    if (!n) snprintf(base, sizeof base, "%s", fallback_type);
    for (int k = 0;; k++) {
        char *s = k ? arena_printf(w->arena, "%s_%d", base, k) : arena_strdup(w->arena, base);
        if (strmap_get(&w->names, s) < 0) {
            strmap_put(&w->names, s, 1);
            return s;
        }
    }
}

int nw_layer(W *w, const char *type, const char *name)
{
    NLayer L = {.type = type, .name = nw_layer_name(w, name, type)};
    vec_push(&w->layers, sizeof L, &L);
    return (int)w->layers.len - 1;
}

void nw_layer_in(W *w, int L, int blob) { vec_push(&NL(w, L)->in, sizeof blob, &blob); }

int nw_layer_out(W *w, int L)
{
    NBlob b = {.producer = L, .graph_in = -1, .graph_out = -1};
    vec_push(&w->blobs, sizeof b, &b);
    int id = (int)w->blobs.len - 1;
    vec_push(&NL(w, L)->out, sizeof id, &id);
    return id;
}

void nw_p_int(W *w, int L, int id, long long v) { strbuf_printf(&NL(w, L)->params, " %d=%lld", id, v); }

/* A float as ncnn's parser reads it: at most 15 characters, '.' or 'e' present, finite. */
static void float_text(char *buf, size_t len, double v)
{
    if (!(v == v)) v = 0;
    if (v > FLT_MAX) v = FLT_MAX;
    if (v < -FLT_MAX) v = -FLT_MAX;
    snprintf(buf, len, "%.8e", (double)(float)v);
}

void nw_p_float(W *w, int L, int id, double v)
{
    char b[32];
    float_text(b, sizeof b, v);
    strbuf_printf(&NL(w, L)->params, " %d=%s", id, b);
}

void nw_p_ints(W *w, int L, int id, const long long *v, int n)
{
    strbuf_printf(&NL(w, L)->params, " %d=%d", -23300 - id, n);
    for (int i = 0; i < n; i++) strbuf_printf(&NL(w, L)->params, ",%lld", v[i]);
}

void nw_p_floats(W *w, int L, int id, const double *v, int n)
{
    strbuf_printf(&NL(w, L)->params, " %d=%d", -23300 - id, n);
    for (int i = 0; i < n; i++) {
        char b[32];
        float_text(b, sizeof b, v[i]);
        strbuf_printf(&NL(w, L)->params, ",%s", b);
    }
}

static void bin_pad(W *w)
{
    static const uint8_t zero[4] = {0};
    if (w->bin.len % 4) strbuf_add(&w->bin, zero, 4 - w->bin.len % 4);
}

/* An array ncnn loads with a storage tag: float32, or float16 with opt.half. */
void nw_bin_tagged(W *w, const float *v, size_t n)
{
    uint32_t tag = w->opt.half ? NCNN_TAG_FP16 : 0;
    uint8_t t[4] = {(uint8_t)tag, (uint8_t)(tag >> 8), (uint8_t)(tag >> 16), (uint8_t)(tag >> 24)};
    strbuf_add(&w->bin, t, 4);
    for (size_t i = 0; i < n; i++) {
        if (w->opt.half) {
            uint16_t h = float_to_half(v[i]);
            uint8_t b[2] = {(uint8_t)h, (uint8_t)(h >> 8)};
            strbuf_add(&w->bin, b, 2);
        } else {
            uint32_t u;
            memcpy(&u, &v[i], 4);
            uint8_t b[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
            strbuf_add(&w->bin, b, 4);
        }
    }
    bin_pad(w);
}

/* An array ncnn always loads as raw float32 (biases, statistics, MemoryData). */
void nw_bin_raw(W *w, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        uint8_t b[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
        strbuf_add(&w->bin, b, 4);
    }
}

/* ---- constants ------------------------------------------------------------------------ */

/* The tensor holding t's value when t is a constant (an initializer, or a Constant node's
 * value), else NULL. */
const Tensor *nw_const_of(const W *w, int t)
{
    const Tensor *x = nw_T(w, t);
    if (!x) return NULL;
    if (x->data && x->producer < 0 && !x->is_input) return x;
    if (x->producer >= 0 && w->g->nodes[x->producer].op == OP_CONSTANT) {
        const Attr *a = node_attr(&w->g->nodes[x->producer], "value");
        if (a && a->type == ATTR_TENSOR) {
            const Tensor *v = nw_T(w, a->tensor);
            if (v && v->data) return v;
        }
    }
    return NULL;
}

/* A constant's values as float32 (heap, caller frees; *n elements), NULL when t is not a
 * constant of a numeric type or its bytes do not match its shape. */
float *nw_const_floats(const W *w, int t, int64_t *n)
{
    const Tensor *c = nw_const_of(w, t);
    if (!c) return NULL;
    int64_t numel = tensor_numel(c);
    size_t es = dtype_size(c->dtype);
    if (numel < 0 || !es || (size_t)numel * es != c->nbytes || numel > (INT64_C(1) << 31)) return NULL;
    float *f = xmalloc((size_t)(numel ? numel : 1) * sizeof *f);
    const uint8_t *p = c->data;
    for (int64_t i = 0; i < numel; i++, p += es) {
        switch (c->dtype) {
        case DT_F32: memcpy(&f[i], p, 4); break;
        case DT_F16: { uint16_t h; memcpy(&h, p, 2); f[i] = half_to_float(h); break; }
        case DT_BF16: { uint16_t h; memcpy(&h, p, 2); f[i] = bf16_to_float(h); break; }
        case DT_F64: { double d; memcpy(&d, p, 8); f[i] = (float)d; break; }
        case DT_I64: { int64_t v; memcpy(&v, p, 8); f[i] = (float)v; break; }
        case DT_I32: { int32_t v; memcpy(&v, p, 4); f[i] = (float)v; break; }
        case DT_I8: f[i] = (float)(int8_t)*p; break;
        case DT_U8: case DT_BOOL: f[i] = (float)*p; break;
        default: free(f); return NULL;
        }
    }
    *n = numel;
    return f;
}

/* Integer values of a constant input (up to max): count, or -1. */
int nw_const_ints(const W *w, int t, int64_t *out, int max)
{
    const Tensor *c = nw_const_of(w, t);
    if (!c) return -1;
    int64_t numel = tensor_numel(c);
    size_t es = dtype_size(c->dtype);
    if (numel < 0 || numel > max || !es || (size_t)numel * es != c->nbytes) return -1;
    const uint8_t *p = c->data;
    for (int64_t i = 0; i < numel; i++, p += es) {
        switch (c->dtype) {
        case DT_I64: memcpy(&out[i], p, 8); break;
        case DT_I32: { int32_t v; memcpy(&v, p, 4); out[i] = v; break; }
        case DT_F32: { float v; memcpy(&v, p, 4); if (!(v > -9e18f && v < 9e18f)) return -1; out[i] = (int64_t)v; break; }
        default: return -1;
        }
    }
    return (int)numel;
}

/* ---- shapes -------------------------------------------------------------------------- */

/* The ncnn shape (outermost first) of tensor x seen at IR rank R: x's dims with 1s put in
 * front up to R (numpy alignment), the leading (batch) 1 dropped.  Returns the ncnn dims
 * count (1..4), or -1 + message. */
int nw_nc_shape(W *w, const Node *n, const Tensor *x, int R, int out[4])
{
    if (x->rank > R) {
        for (int i = 0; i < x->rank - R; i++)
            if (x->dims[i] != 1)
                return nw_fail(w, n, "tensor '%s' %s cannot be seen at rank %d", x->name, "(extra leading dims)", R);
    }
    int64_t al[GRAPH_MAX_RANK];
    for (int i = 0; i < R; i++) {
        int src = x->rank - R + i;
        al[i] = src < 0 ? 1 : x->dims[src];
    }
    char sh[96];
    if (R < 2 || R > 5)
        return nw_fail(w, n, "tensor '%s' %s has rank %d: ncnn blobs hold 1 to 4 dims besides the batch", x->name,
                    shape_str(x, sh, sizeof sh), R);
    for (int i = 0; i < R; i++) {
        if (al[i] < 0 && i > 0 && w->dynamic_hw) continue; /* follows the input's height or width */
        if (al[i] <= 0 || al[i] > INT_MAX)
            return nw_fail(w, n, "tensor '%s' %s has a dim that is not static (ncnn needs every shape known)", x->name,
                        shape_str(x, sh, sizeof sh));
    }
    const Tensor *in0 = w->g->n_inputs > 0 ? &w->g->tensors[w->g->inputs[0]] : NULL;
    if (al[0] != 1 && in0 && in0->rank > 0 && in0->dims[0] == 1)
        return nw_fail(w, n, "tensor '%s' %s moves parts of the image into the batch axis (as YOLO12's area "
                    "attention does): ncnn blobs have no batch axis to hold them", x->name, shape_str(x, sh, sizeof sh));
    if (al[0] != 1)
        return nw_fail(w, n, "tensor '%s' %s has batch %lld: ncnn runs one image at a time (export with batch=1)",
                    x->name, shape_str(x, sh, sizeof sh), (long long)al[0]);
    for (int i = 1; i < R; i++) out[i - 1] = al[i] < 0 ? -1 : (int)al[i];
    return R - 1;
}

int nw_shape_param(W *w, const Node *n, const Tensor *x, const int *s, int k)
{
    int unknown = 0;
    for (int i = 0; i < k; i++) unknown += s[i] < 0;
    if (unknown <= 1) return 0;
    char sh[96];
    return nw_fail(w, n, "tensor '%s' %s has %d dims that depend on the input size: an ncnn Reshape infers only "
                   "one (export with dynamic=False)", x->name, shape_str(x, sh, sizeof sh), unknown);
}

/* Shape parameters w/h/d/c (ids 0, 1, 11, 2) for an ncnn shape, as Reshape, MemoryData
 * and Input take them. */
void nw_p_shape(W *w, int L, const int *s, int k)
{
    if (k == 1) nw_p_int(w, L, 0, s[0]);
    if (k == 2) { nw_p_int(w, L, 0, s[1]); nw_p_int(w, L, 1, s[0]); }
    if (k == 3) { nw_p_int(w, L, 0, s[2]); nw_p_int(w, L, 1, s[1]); nw_p_int(w, L, 2, s[0]); }
    if (k == 4) { nw_p_int(w, L, 0, s[3]); nw_p_int(w, L, 1, s[2]); nw_p_int(w, L, 11, s[1]); nw_p_int(w, L, 2, s[0]); }
}

int nw_rank_of(const W *w, int t) { return nw_T(w, t) ? nw_T(w, t)->rank : 0; }

/* IR axis a of a rank-R tensor as ncnn's axis; -1 + message for the batch axis. */
int nw_nc_axis(W *w, const Node *n, int64_t a, int R, int *out)
{
    if (a < 0) a += R;
    if (a < 0 || a >= R) return nw_fail(w, n, "axis %lld is out of range for rank %d", (long long)a, R);
    if (a == 0) return nw_fail(w, n, "works along the batch axis, which ncnn blobs do not have");
    *out = (int)a - 1;
    return 0;
}

/* ---- blobs for node inputs ----------------------------------------------------------- */

static int cache_get(W *w, int t, int R)
{
    char key[48];
    snprintf(key, sizeof key, "%d@%d", t, R);
    return strmap_get(&w->cache, key);
}

static void cache_put(W *w, int t, int R, int blob)
{
    strmap_put(&w->cache, arena_printf(w->arena, "%d@%d", t, R), blob);
}

/* The blob of input tensor t seen at IR rank R (an activation of lower rank through a
 * Reshape to the aligned shape; a constant through a MemoryData of that shape).  -1 +
 * message. */
int nw_in_blob_at(W *w, const Node *n, int t, int R, int *blob)
{
    const Tensor *x = nw_T(w, t);
    if (!x) return nw_fail(w, n, "an input is missing");
    int s[4];
    if (w->tblob[t] >= 0 && x->rank == R) {
        *blob = w->tblob[t];
        return 0;
    }
    int cached = cache_get(w, t, R);
    if (cached >= 0) {
        *blob = cached;
        return 0;
    }
    int k = nw_nc_shape(w, n, x, R, s);
    if (k < 0) return -1;
    if (w->tblob[t] >= 0) { /* an activation of another rank: a Reshape view */
        if (nw_shape_param(w, n, x, s, k)) return -1;
        int L = nw_layer(w, "Reshape", arena_printf(w->arena, "%s/rank%d", x->name, R));
        nw_layer_in(w, L, w->tblob[t]);
        nw_p_shape(w, L, s, k);
        *blob = nw_layer_out(w, L);
        cache_put(w, t, R, *blob);
        return 0;
    }
    int64_t numel;
    float *v = nw_const_floats(w, t, &numel);
    if (!v) {
        if (x->producer >= 0 || x->is_input) return nw_fail(w, n, "tensor '%s' is used before it is produced", x->name);
        return nw_fail(w, n, "constant '%s' (%s) has no float value ncnn can hold", x->name, dtype_name(x->dtype));
    }
    int L = nw_layer(w, "MemoryData", x->name);
    nw_p_shape(w, L, s, k);
    nw_bin_raw(w, v, (size_t)numel);
    free(v);
    *blob = nw_layer_out(w, L);
    cache_put(w, t, R, *blob);
    return 0;
}

int nw_in_blob(W *w, const Node *n, int k, int *blob)
{
    if (k >= n->n_inputs || n->inputs[k] < 0) return nw_fail(w, n, "input %d is missing", k);
    int t = n->inputs[k];
    return nw_in_blob_at(w, n, t, nw_rank_of(w, t), blob);
}

/* Output tensor t of node n is produced as a new blob of layer L. */
int nw_out_tensor(W *w, const Node *n, int L, int t)
{
    const Tensor *x = nw_T(w, t);
    int s[4];
    if (!x) return nw_fail(w, n, "an output is missing");
    if (nw_nc_shape(w, n, x, x->rank, s) < 0) return -1;
    w->tblob[t] = nw_layer_out(w, L);
    return 0;
}

/* A node with one input and one output as one layer (no parameters yet): the layer. */
int nw_simple(W *w, const Node *n, const char *type, int *L)
{
    int b;
    if (n->n_outputs < 1) return nw_fail(w, n, "has no output");
    if (nw_in_blob(w, n, 0, &b)) return -1;
    *L = nw_layer(w, type, n->name);
    nw_layer_in(w, *L, b);
    return nw_out_tensor(w, n, *L, n->outputs[0]);
}


/* ---- building and text ------------------------------------------------------------------ */

static int build(W *w)
{
    const Graph *g = w->g;
    if (g->n_inputs < 1) return nw_fail(w, NULL, "the graph has no input");
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i], s[4];
        const Tensor *x = nw_T(w, t);
        if (!x) return nw_fail(w, NULL, "a graph input is missing");
        if (x->dtype != DT_F32 && x->dtype != DT_F16)
            return nw_fail(w, NULL, "input '%s' is %s: ncnn inputs are float", x->name, dtype_name(x->dtype));
        int k = nw_nc_shape(w, NULL, x, x->rank, s);
        if (k < 0) return -1;
        int L = nw_layer(w, "Input", arena_printf(w->arena, "in%d", i));
        if (w->dynamic_hw) {
            /* channels only: ncnn reads w = h = 0 as "any size" (our reader too) */
            if (k != 3 || s[0] < 0 || s[1] >= 0 || s[2] >= 0)
                return nw_fail(w, NULL, "input '%s' is not an image of any height and width (c, -1, -1)", x->name);
            nw_p_int(w, L, 2, s[0]);
        } else {
            nw_p_shape(w, L, s, k);
        }
        w->tblob[t] = nw_layer_out(w, L);
        NB(w, w->tblob[t])->graph_in = i;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        if (w->done[i]) continue;
        const Node *n = &g->nodes[i];
        if (n->n_inputs < 1 && n->op != OP_CONSTANT) return nw_fail(w, n, "has no input");
        if (nw_emit_node(w, n)) return -1;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int t = g->outputs[i];
        if (!nw_T(w, t) || w->tblob[t] < 0)
            return nw_fail(w, NULL, "output '%s' is not computed by any layer", nw_T(w, t) ? nw_T(w, t)->name : "?");
        NBlob *b = NB(w, w->tblob[t]);
        if (b->graph_in >= 0) return nw_fail(w, NULL, "output '%s' is the graph's input", nw_T(w, t)->name);
        if (b->graph_out >= 0) return nw_fail(w, NULL, "outputs '%s' and another are the same blob", nw_T(w, t)->name);
        b->graph_out = i;
    }
    return 0;
}

/* Every blob read by more than one layer (or read and also an output) gets a Split right
 * after its producer, one output per reader, as ncnn requires. */
static void insert_splits(W *w)
{
    int nb = (int)w->blobs.len, nl = (int)w->layers.len;
    int *uses = xcalloc((size_t)nb + 1, sizeof *uses);
    for (int L = 0; L < nl; L++)
        for (size_t k = 0; k < NL(w, L)->in.len; k++) uses[((int *)NL(w, L)->in.items)[k]]++;
    for (int b = 0; b < nb; b++)
        if (NB(w, b)->graph_out >= 0) uses[b]++;
    Vec out = {0};
    int splits = 0;
    for (int L = 0; L < nl; L++) {
        NLayer cur = *NL(w, L);
        vec_push(&out, sizeof cur, &cur);
        for (size_t k = 0; k < cur.out.len; k++) {
            int b = ((int *)cur.out.items)[k];
            if (uses[b] < 2) continue;
            NLayer S = {.type = "Split", .name = nw_layer_name(w, arena_printf(w->arena, "splitncnn_%d", splits++), "Split")};
            vec_push(&S.in, sizeof b, &b);
            int readers = uses[b] - (NB(w, b)->graph_out >= 0);
            int *copies = xmalloc(sizeof(int) * (size_t)(uses[b] + 1)), nc = 0;
            for (int u = 0; u < uses[b]; u++) {
                NBlob nbl = {.producer = -1, .graph_in = -1, .graph_out = -1};
                vec_push(&w->blobs, sizeof nbl, &nbl);
                copies[nc] = (int)w->blobs.len - 1;
                vec_push(&S.out, sizeof copies[nc], &copies[nc]);
                nc++;
            }
            /* readers later in the list take the copies in order; the output takes the last */
            int next = 0;
            for (int M = L + 1; M < nl && next < readers; M++)
                for (size_t j = 0; j < NL(w, M)->in.len; j++) {
                    int *p = &((int *)NL(w, M)->in.items)[j];
                    if (*p == b && next < readers) *p = copies[next++];
                }
            if (NB(w, b)->graph_out >= 0) {
                NB(w, copies[nc - 1])->graph_out = NB(w, b)->graph_out;
                NB(w, b)->graph_out = -1;
            }
            free(copies);
            vec_push(&out, sizeof S, &S);
        }
    }
    free(w->layers.items);
    w->layers = out;
    free(uses);
}

static char *param_text(W *w)
{
    int nl = (int)w->layers.len, nb = (int)w->blobs.len, number = 0;
    for (int L = 0; L < nl; L++)
        for (size_t k = 0; k < NL(w, L)->out.len; k++) {
            NBlob *b = NB(w, ((int *)NL(w, L)->out.items)[k]);
            if (b->graph_in >= 0) b->name = arena_printf(w->arena, "in%d", b->graph_in);
            else if (b->graph_out >= 0) b->name = arena_printf(w->arena, "out%d", b->graph_out);
            else b->name = arena_printf(w->arena, "%d", number++);
        }
    StrBuf s = {0};
    strbuf_printf(&s, "%d\n%d %d\n", NCNN_MAGIC, nl, nb);
    for (int L = 0; L < nl; L++) {
        NLayer *l = NL(w, L);
        strbuf_printf(&s, "%-24s %-24s %d %d", l->type, l->name, (int)l->in.len, (int)l->out.len);
        for (size_t k = 0; k < l->in.len; k++) strbuf_printf(&s, " %s", NB(w, ((int *)l->in.items)[k])->name);
        for (size_t k = 0; k < l->out.len; k++) strbuf_printf(&s, " %s", NB(w, ((int *)l->out.items)[k])->name);
        if (l->params.p) strbuf_puts(&s, l->params.p);
        strbuf_puts(&s, "\n");
    }
    return s.p;
}

static void w_free(W *w)
{
    for (size_t L = 0; L < w->layers.len; L++) {
        NLayer *l = NL(w, L);
        vec_free(&l->in);
        vec_free(&l->out);
        free(l->params.p);
    }
    vec_free(&w->layers);
    vec_free(&w->blobs);
    free(w->bin.p);
    free(w->tblob);
    free(w->uses);
    free(w->first_use);
    free(w->done);
    strmap_free(&w->cache);
    strmap_free(&w->names);
    arena_free(w->arena);
}

int ncnn_serialize(const Graph *g, const NcnnOptions *opt, char **param, size_t *param_len, uint8_t **bin,
                   size_t *bin_len, char *err, size_t errlen)
{
    *param = NULL;
    *bin = NULL;
    *param_len = *bin_len = 0;
    W w = {.g = g, .err = err, .errlen = errlen, .arena = arena_new()};
    if (err && errlen) *err = '\0';
    if (opt) w.opt = *opt;
    if (g->n_inputs > 0 && g->inputs[0] >= 0 && g->inputs[0] < g->n_tensors) {
        const Tensor *in = &g->tensors[g->inputs[0]];
        w.dynamic_hw = in->rank == 4 && (in->dims[2] < 0 || in->dims[3] < 0);
    }
    int bad = graph_first_unwritable(g, nw_node_support);
    if (bad >= 0 && w.dynamic_hw && (g->nodes[bad].op == OP_SHAPE || g->nodes[bad].op == OP_SIZE)) {
        nw_fail(&w, &g->nodes[bad], "reads a tensor's shape while the graph runs, which ncnn cannot (its layers take "
                "sizes as numbers): with its input size open this model has no ncnn form; export with dynamic=False");
        w_free(&w);
        return -1;
    }
    if (bad >= 0) {
        nw_fail(&w, &g->nodes[bad], "ncnn has no layer for op '%s'", node_op_name(&g->nodes[bad]));
        w_free(&w);
        return -1;
    }
    int nt = g->n_tensors > 0 ? g->n_tensors : 1;
    w.tblob = xmalloc(sizeof(int) * (size_t)nt);
    w.uses = xcalloc((size_t)nt, sizeof(int));
    w.first_use = xmalloc(sizeof(int) * (size_t)nt);
    w.done = xcalloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 1), sizeof(bool));
    for (int t = 0; t < g->n_tensors; t++) w.tblob[t] = w.first_use[t] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++) {
            int t = g->nodes[i].inputs[k];
            if (t < 0 || t >= g->n_tensors) continue;
            if (w.first_use[t] < 0) w.first_use[t] = i;
            w.uses[t]++;
        }
    if (build(&w)) {
        w_free(&w);
        return -1;
    }
    insert_splits(&w);
    *param = param_text(&w);
    *param_len = strlen(*param);
    *bin_len = w.bin.len;
    *bin = w.bin.p ? (uint8_t *)w.bin.p : xcalloc(1, 1);
    w.bin.p = NULL;
    w_free(&w);
    return 0;
}

int ncnn_write(const Graph *g, const NcnnOptions *opt, const char *dir, char *err, size_t errlen)
{
    char *param = NULL;
    uint8_t *bin = NULL;
    size_t param_len, bin_len;
    if (ncnn_serialize(g, opt, &param, &param_len, &bin, &bin_len, err, errlen)) return -1;
    const KeyValue *meta = opt && opt->metadata ? opt->metadata : g->meta.props;
    int n_meta = opt && opt->metadata ? opt->n_metadata : g->meta.n_props;
    char *yaml = openvino_metadata_yaml(meta, n_meta);
    char *pp = xasprintf("%s/%s", dir, NCNN_PARAM_FILE), *bp = xasprintf("%s/%s", dir, NCNN_BIN_FILE),
         *mp = xasprintf("%s/metadata.yaml", dir);
    int rc = fileio_write_atomic(pp, param, param_len, err, errlen);
    if (!rc) rc = fileio_write_atomic(bp, bin, bin_len, err, errlen);
    if (!rc) rc = fileio_write_atomic(mp, yaml, strlen(yaml), err, errlen);
    free(pp), free(bp), free(mp), free(yaml), free(param), free(bin);
    return rc;
}
