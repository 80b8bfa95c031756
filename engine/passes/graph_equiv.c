/* graph_equiv: node-for-node equivalence of a written graph with its source (see
 * graph_equiv.h).  Hash-consing over both graphs: every source tensor gets a canonical
 * id (the first tensor holding the same value), then every written tensor is mapped to
 * a canonical source id or to none. */
#include "engine/passes/graph_equiv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/hash.h"
#include "engine/core/util.h"
#include "engine/exec/exec.h"

/* ---- hashing ------------------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

/* Contents and names come from files: the keyed hash (engine/core/hash.h) keeps the chains
 * of the tables below short whatever a file holds. */
static uint64_t eq_hash_bytes(uint64_t h, const void *p, size_t n) { return mix(h, hash_bytes(p, n)); }

static uint64_t eq_hash_str(uint64_t h, const char *s) { return eq_hash_bytes(h, s ? s : "", s ? strlen(s) : 0); }

/* A chained table of indices by 64-bit hash. */
typedef struct {
    int *head, *next;
    uint64_t *hash;
    int nbuckets;
} HTable;

static void ht_init(HTable *t, int n)
{
    t->nbuckets = 1;
    while (t->nbuckets < 2 * n + 1) t->nbuckets <<= 1;
    t->head = xmalloc(sizeof(int) * (size_t)t->nbuckets);
    for (int i = 0; i < t->nbuckets; i++) t->head[i] = -1;
    t->next = xmalloc(sizeof(int) * (size_t)(n ? n : 1));
    t->hash = xmalloc(sizeof(uint64_t) * (size_t)(n ? n : 1));
}

static void ht_add(HTable *t, int i, uint64_t h)
{
    int b = (int)(h & (uint64_t)(t->nbuckets - 1));
    t->hash[i] = h;
    t->next[i] = t->head[b];
    t->head[b] = i;
}

static void ht_free(HTable *t)
{
    free(t->head);
    free(t->next);
    free(t->hash);
}

/* ---- constants ----------------------------------------------------------------------- */

/* A constant's content: an initializer, or the value of a Constant node. */
typedef struct {
    DType dtype;
    int rank;
    const int64_t *dims;
    const void *data;
    size_t nbytes;
} Content;

/* The content of tensor t if it is a constant (initializer or Constant node output). */
static bool const_content(const Graph *g, int t, Content *c)
{
    const Tensor *tt = &g->tensors[t];
    if (tt->data && tt->producer < 0 && !tt->is_input) {
        *c = (Content){tt->dtype, tt->rank, tt->dims, tt->data, tt->nbytes};
        return true;
    }
    if (tt->producer < 0) return false;
    const Node *n = &g->nodes[tt->producer];
    if (n->op != OP_CONSTANT || n->n_outputs != 1 || n->n_inputs != 0 || n->n_attrs != 1) return false;
    const Attr *a = &n->attrs[0];
    if (strcmp(a->name, "value") || a->type != ATTR_TENSOR || a->tensor < 0 || a->tensor >= g->n_tensors) return false;
    const Tensor *v = &g->tensors[a->tensor];
    if (!v->data) return false;
    *c = (Content){v->dtype, v->rank, v->dims, v->data, v->nbytes};
    return true;
}

/* Hash of shape, type and a sample of the bytes (equality is decided by memcmp). */
static uint64_t content_hash(const Content *c)
{
    uint64_t h = mix(0x51ed27, (uint64_t)c->dtype);
    h = mix(h, (uint64_t)c->rank);
    for (int i = 0; i < c->rank && i < GRAPH_MAX_RANK; i++) h = mix(h, (uint64_t)c->dims[i]);
    h = mix(h, (uint64_t)c->nbytes);
    size_t n = c->nbytes < 64 ? c->nbytes : 64;
    h = eq_hash_bytes(h, c->data, n);
    if (c->nbytes > 64) h = eq_hash_bytes(h, (const unsigned char *)c->data + c->nbytes - 64, 64);
    return h;
}

static bool content_equal(const Content *a, const Content *b)
{
    if (a->dtype != b->dtype || a->rank != b->rank || a->nbytes != b->nbytes) return false;
    for (int i = 0; i < a->rank && i < GRAPH_MAX_RANK; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return !a->nbytes || !memcmp(a->data, b->data, a->nbytes);
}

/* ---- node keys ------------------------------------------------------------------------ */

/* What the executor sees of a node, with its inputs as canonical source ids.  Its
 * attributes are the node's own plus those a newer opset moved into a constant input
 * (Split's split, Squeeze's axes...), so both forms of such an op give one key. */
#define KEY_MAX_ATTRS 32
typedef struct {
    const Graph *g; /* owner of the node's attributes and output tensors */
    const Node *n;
    OpKind op;           /* may be rewritten (Sigmoid+Mul as SiLU) */
    const char *op_type; /* OP_OTHER: the source's op name */
    int n_inputs;
    int ins[64];
    int n_attrs;
    const Attr *attrs[KEY_MAX_ATTRS];
    Attr moved;     /* an int-list input seen as an attribute */
    int64_t moved_vals[GRAPH_MAX_RANK];
} Key;

/* An (op, attribute) pair with a number: a default value or an input position. */
typedef struct {
    OpKind op;
    const char *attr;
    int64_t n;
} OpAttr;

/* Integer attributes the executor reads with the ONNX default (n): one written out with that
 * value is the same as one left out (opset 13 has no allowzero, say). */
static const OpAttr int_defaults[] = {
    {OP_RESHAPE, "allowzero", 0}, {OP_CONV, "group", 1},          {OP_CONV_TRANSPOSE, "group", 1},
    {OP_MAXPOOL, "ceil_mode", 0}, {OP_AVGPOOL, "ceil_mode", 0}, {OP_AVGPOOL, "count_include_pad", 0},
    {OP_RESIZE, "exclude_outside", 0},
};

/* Spatial ops whose strides and dilations default to ones and pads to zeros. */
static const bool spatial_ops[OP_COUNT] = {[OP_CONV] = true, [OP_CONV_TRANSPOSE] = true, [OP_MAXPOOL] = true,
                                           [OP_AVGPOOL] = true};

static bool is_default(const Node *n, const Attr *a)
{
    if (a->type == ATTR_INTS) {
        int64_t want = !strcmp(a->name, "pads") ? 0 : 1;
        if (want && strcmp(a->name, "strides") && strcmp(a->name, "dilations")) return false;
        if ((unsigned)n->op >= OP_COUNT || !spatial_ops[n->op]) return false;
        for (int i = 0; i < a->count; i++)
            if (a->ints[i] != want) return false;
        return true;
    }
    if (a->type == ATTR_FLOAT) /* Resize's float attributes at their defaults (exact in float) */
        return n->op == OP_RESIZE && ((!strcmp(a->name, "cubic_coeff_a") && a->f == -0.75) ||
                                                 (!strcmp(a->name, "extrapolation_value") && a->f == 0.0));
    if (a->type != ATTR_INT) return false;
    for (size_t i = 0; i < sizeof int_defaults / sizeof *int_defaults; i++)
        if (a->i == int_defaults[i].n && n->op == int_defaults[i].op &&
            !strcmp(a->name, int_defaults[i].attr))
            return true;
    return false;
}

/* Ops whose int-list attribute became their last input (n) in a later opset. */
static const OpAttr moved_attrs[] = {
    {OP_SPLIT, "split", 1},         {OP_SQUEEZE, "axes", 1},     {OP_UNSQUEEZE, "axes", 1},
    {OP_REDUCE_MAX, "axes", 1},     {OP_REDUCE_MEAN, "axes", 1}, {OP_REDUCE_SUM, "axes", 1},
    {OP_REDUCE_MIN, "axes", 1},
};

/* What the executor does with an output's declared type: rounds float16/bfloat16. */
static int storage_class(DType t) { return t == DT_F16 || t == DT_BF16 ? (int)t : 0; }

static uint64_t attr_hash(const Graph *g, const Attr *a)
{
    uint64_t h = mix(eq_hash_str(7, a->name), (uint64_t)a->type);
    switch (a->type) {
    case ATTR_INT: return mix(h, (uint64_t)a->i);
    case ATTR_FLOAT: { uint64_t b; memcpy(&b, &a->f, 8); return mix(h, b); }
    case ATTR_STRING: return eq_hash_bytes(h, a->s ? a->s : "", a->s ? a->s_len : 0);
    case ATTR_INTS:
        for (int i = 0; i < a->count; i++) h = mix(h, (uint64_t)a->ints[i]);
        return h;
    case ATTR_FLOATS:
        for (int i = 0; i < a->count; i++) { uint64_t b; memcpy(&b, &a->floats[i], 8); h = mix(h, b); }
        return h;
    case ATTR_STRINGS:
        for (int i = 0; i < a->count; i++) h = eq_hash_str(h, a->strings[i]);
        return h;
    case ATTR_TENSOR: {
        Content c;
        if (a->tensor >= 0 && a->tensor < g->n_tensors && g->tensors[a->tensor].data) {
            const Tensor *t = &g->tensors[a->tensor];
            c = (Content){t->dtype, t->rank, t->dims, t->data, t->nbytes};
            return mix(h, content_hash(&c));
        }
        return h;
    }
    default: return h;
    }
}

static bool tensor_attr_equal(const Graph *ga, int ta, const Graph *gb, int tb)
{
    if (ta < 0 || ta >= ga->n_tensors || tb < 0 || tb >= gb->n_tensors) return false;
    const Tensor *x = &ga->tensors[ta], *y = &gb->tensors[tb];
    if (!x->data || !y->data) return false;
    Content a = {x->dtype, x->rank, x->dims, x->data, x->nbytes}, b = {y->dtype, y->rank, y->dims, y->data, y->nbytes};
    return content_equal(&a, &b);
}

static bool attr_equal(const Graph *ga, const Attr *a, const Graph *gb, const Attr *b)
{
    if (a->type != b->type || strcmp(a->name, b->name)) return false;
    switch (a->type) {
    case ATTR_INT: return a->i == b->i;
    case ATTR_FLOAT: return !memcmp(&a->f, &b->f, sizeof a->f);
    case ATTR_STRING:
        return a->s_len == b->s_len && (!a->s_len || (a->s && b->s && !memcmp(a->s, b->s, a->s_len)));
    case ATTR_INTS:
        return a->count == b->count && (!a->count || !memcmp(a->ints, b->ints, sizeof(int64_t) * (size_t)a->count));
    case ATTR_FLOATS:
        return a->count == b->count && (!a->count || !memcmp(a->floats, b->floats, sizeof(double) * (size_t)a->count));
    case ATTR_STRINGS:
        if (a->count != b->count) return false;
        for (int i = 0; i < a->count; i++)
            if (strcmp(a->strings[i] ? a->strings[i] : "", b->strings[i] ? b->strings[i] : "")) return false;
        return true;
    case ATTR_TENSOR: return tensor_attr_equal(ga, a->tensor, gb, b->tensor);
    default: return false; /* subgraphs are never taken as equal */
    }
}

static uint64_t key_hash(const Key *k)
{
    uint64_t h = eq_hash_str(mix(11, (uint64_t)k->op), k->op == OP_OTHER ? k->op_type : "");
    h = eq_hash_str(h, k->n->domain);
    h = mix(h, (uint64_t)k->n_inputs);
    for (int i = 0; i < k->n_inputs; i++) h = mix(h, (uint64_t)(int64_t)k->ins[i]);
    h = mix(h, (uint64_t)k->n->n_outputs);
    for (int i = 0; i < k->n->n_outputs; i++) {
        int t = k->n->outputs[i];
        h = mix(h, t >= 0 ? (uint64_t)storage_class(k->g->tensors[t].dtype) : 99);
    }
    uint64_t ah = 0;
    for (int i = 0; i < k->n_attrs; i++) ah += attr_hash(k->g, k->attrs[i]); /* order aside */
    return mix(h, ah);
}

static bool key_equal(const Key *a, const Key *b)
{
    if (a->op != b->op || (a->op == OP_OTHER && strcmp(a->op_type, b->op_type)) || strcmp(a->n->domain ? a->n->domain : "", b->n->domain ? b->n->domain : ""))
        return false;
    if (a->n_inputs != b->n_inputs || a->n->n_outputs != b->n->n_outputs) return false;
    for (int i = 0; i < a->n_inputs; i++)
        if (a->ins[i] != b->ins[i]) return false;
    for (int i = 0; i < a->n->n_outputs; i++) {
        int ta = a->n->outputs[i], tb = b->n->outputs[i];
        if ((ta < 0) != (tb < 0)) return false;
        if (ta >= 0 && storage_class(a->g->tensors[ta].dtype) != storage_class(b->g->tensors[tb].dtype)) return false;
    }
    if (a->n_attrs != b->n_attrs) return false;
    for (int i = 0; i < a->n_attrs; i++) {
        const Attr *x = a->attrs[i], *y = NULL;
        for (int j = 0; j < b->n_attrs && !y; j++)
            if (!strcmp(b->attrs[j]->name, x->name)) y = b->attrs[j];
        if (!y || !attr_equal(a->g, x, b->g, y)) return false;
    }
    return true;
}

/* ---- the comparison ------------------------------------------------------------------- */

enum { NONE = -1, OMITTED = -2 };

typedef struct {
    const Graph *src;
    int *canon;        /* source tensor -> canonical source tensor (NONE: not computed) */
    HTable consts;     /* over source tensors that are constants */
    HTable nodes;      /* over source nodes that are canonical */
    Key *src_keys;     /* per source node */
} SrcIndex;

static int lookup_const(const SrcIndex *ix, const Content *c, uint64_t h)
{
    const Graph *s = ix->src;
    for (int i = ix->consts.head[h & (uint64_t)(ix->consts.nbuckets - 1)]; i >= 0; i = ix->consts.next[i]) {
        Content d;
        if (ix->consts.hash[i] == h && const_content(s, i, &d) && content_equal(c, &d)) return i;
    }
    return NONE;
}

static int lookup_node(const SrcIndex *ix, const Key *k, uint64_t h)
{
    for (int i = ix->nodes.head[h & (uint64_t)(ix->nodes.nbuckets - 1)]; i >= 0; i = ix->nodes.next[i])
        if (ix->nodes.hash[i] == h && key_equal(k, &ix->src_keys[i])) return i;
    return NONE;
}

/* Fill key k for node n of g, its inputs through map (NONE when one is unknown: false). */
static bool make_key(const Graph *g, const Node *n, const int *map, Key *k)
{
    k->g = g;
    k->n = n;
    k->op = n->op;
    k->op_type = n->op_type;
    k->n_inputs = n->n_inputs;
    k->n_attrs = 0;
    if (n->n_inputs > 64 || n->n_attrs > KEY_MAX_ATTRS - 1) return false;
    for (int i = 0; i < n->n_attrs; i++)
        if (!is_default(n, &n->attrs[i])) k->attrs[k->n_attrs++] = &n->attrs[i];
    for (size_t m = 0; m < sizeof moved_attrs / sizeof *moved_attrs; m++) {
        Content c;
        int in = (int)moved_attrs[m].n;
        if (n->op != moved_attrs[m].op || n->n_inputs != in + 1 || n->inputs[in] < 0) continue;
        if (!const_content(g, n->inputs[in], &c) || c.dtype != DT_I64 || c.rank != 1 ||
            c.nbytes > sizeof k->moved_vals || c.nbytes % 8)
            continue;
        memcpy(k->moved_vals, c.data, c.nbytes);
        k->moved = (Attr){.name = moved_attrs[m].attr, .type = ATTR_INTS, .ints = k->moved_vals,
                          .count = (int)(c.nbytes / 8)};
        k->attrs[k->n_attrs++] = &k->moved;
        k->n_inputs = in;
    }
    for (int i = 0; i < k->n_inputs; i++) {
        int t = n->inputs[i];
        k->ins[i] = t < 0 ? OMITTED : map[t];
        if (k->ins[i] == NONE) return false;
    }
    return true;
}

static void src_index_build(SrcIndex *ix, const Graph *s)
{
    ix->src = s;
    ix->canon = xmalloc(sizeof(int) * (size_t)(s->n_tensors ? s->n_tensors : 1));
    for (int i = 0; i < s->n_tensors; i++) ix->canon[i] = NONE;
    ht_init(&ix->consts, s->n_tensors);
    ht_init(&ix->nodes, s->n_nodes);
    ix->src_keys = xcalloc((size_t)(s->n_nodes ? s->n_nodes : 1), sizeof *ix->src_keys);
    for (int i = 0; i < s->n_inputs; i++) ix->canon[s->inputs[i]] = s->inputs[i];
    for (int t = 0; t < s->n_tensors; t++) {
        Content c;
        if (!const_content(s, t, &c)) continue;
        uint64_t h = content_hash(&c);
        int same = lookup_const(ix, &c, h);
        if (same == NONE) {
            ht_add(&ix->consts, t, h);
            ix->canon[t] = t;
        } else {
            ix->canon[t] = same;
        }
    }
    for (int ni = 0; ni < s->n_nodes; ni++) {
        const Node *n = &s->nodes[ni];
        if (n->n_outputs > 0 && n->outputs[0] >= 0 && ix->canon[n->outputs[0]] != NONE) continue; /* a Constant */
        Key *k = &ix->src_keys[ni];
        if (!make_key(s, n, ix->canon, k)) continue; /* reads something unknown: never matched */
        uint64_t h = key_hash(k);
        int same = lookup_node(ix, k, h);
        if (same == NONE) ht_add(&ix->nodes, ni, h);
        const Node *c = same == NONE ? n : &s->nodes[same];
        for (int o = 0; o < n->n_outputs; o++)
            if (n->outputs[o] >= 0) ix->canon[n->outputs[o]] = c->outputs[o];
    }
}

static void src_index_free(SrcIndex *ix)
{
    free(ix->canon);
    ht_free(&ix->consts);
    ht_free(&ix->nodes);
    free(ix->src_keys);
}

/* Written Mul(x, Sigmoid(x)) seen as SiLU(x): the key, or false. */
static bool silu_key(const Graph *w, const Node *n, const int *map, Key *k)
{
    if (n->op != OP_MUL || n->n_inputs != 2 || n->n_outputs != 1 || n->outputs[0] < 0 || n->n_attrs) return false;
    for (int side = 0; side < 2; side++) {
        int x = n->inputs[side], s = n->inputs[1 - side];
        if (x < 0 || s < 0 || w->tensors[s].producer < 0) continue;
        const Node *sg = &w->nodes[w->tensors[s].producer];
        if (sg->op != OP_SIGMOID || sg->n_inputs != 1 || sg->inputs[0] != x || sg->n_attrs) continue;
        if (storage_class(w->tensors[s].dtype) != storage_class(w->tensors[n->outputs[0]].dtype)) continue;
        if (map[x] == NONE) return false;
        k->g = w;
        k->n = n;
        k->op = OP_SILU;
        k->op_type = op_name(OP_SILU);
        k->n_inputs = 1;
        k->n_attrs = 0;
        k->ins[0] = map[x];
        return true;
    }
    return false;
}

void graph_equiv(const Graph *src, const Graph *w, GraphEquiv *eq) { graph_equiv_nodes(src, w, eq, NULL, NULL); }

void graph_equiv_nodes(const Graph *src, const Graph *w, GraphEquiv *eq, unsigned char *in_src, unsigned char *in_w)
{
    memset(eq, 0, sizeof *eq);
    if (in_src) memset(in_src, 0, (size_t)src->n_nodes);
    if (in_w) memset(in_w, 0, (size_t)w->n_nodes);
    eq->nodes = w->n_nodes;
    char why[200];
    for (int side = 0; side < 2; side++) {
        const Graph *g = side ? w : src;
        bool bad = graph_validate(g, why, sizeof why) != 0;
        for (int i = 0; !bad && i < g->n_inputs; i++)
            if (g->inputs[i] < 0 || g->inputs[i] >= g->n_tensors) bad = snprintf(why, sizeof why, "input %d out of range", i) > 0;
        if (bad) {
            snprintf(eq->first_diff, sizeof eq->first_diff, "the %s graph is not valid: %s", side ? "written" : "source",
                     why);
            return;
        }
    }
    if (exec_opset_class(src->meta.opset) != exec_opset_class(w->meta.opset)) {
        if (src->meta.opset <= 0) /* built from its layers: ops mean what the newest opsets say */
            snprintf(eq->first_diff, sizeof eq->first_diff,
                     "opset %lld gives some ops another meaning than the source, which is built from its layers",
                     (long long)w->meta.opset);
        else
            snprintf(eq->first_diff, sizeof eq->first_diff, "opset %lld and the source's opset %lld give some ops different meanings",
                     (long long)w->meta.opset, (long long)src->meta.opset);
        return;
    }
    if (src->n_inputs != w->n_inputs || src->n_outputs != w->n_outputs) {
        snprintf(eq->first_diff, sizeof eq->first_diff, "%d inputs and %d outputs where the source has %d and %d",
                 w->n_inputs, w->n_outputs, src->n_inputs, src->n_outputs);
        return;
    }
    SrcIndex ix;
    src_index_build(&ix, src);
    int *map = xmalloc(sizeof(int) * (size_t)(w->n_tensors ? w->n_tensors : 1));
    for (int i = 0; i < w->n_tensors; i++) map[i] = NONE;
    bool inputs_ok = true;
    for (int i = 0; i < w->n_inputs; i++) {
        const Tensor *a = &w->tensors[w->inputs[i]], *b = &src->tensors[src->inputs[i]];
        if (a->dtype != b->dtype) {
            snprintf(eq->first_diff, sizeof eq->first_diff, "input %d is %s where the source's is %s", i,
                     dtype_name(a->dtype), dtype_name(b->dtype));
            inputs_ok = false;
            break;
        }
        map[w->inputs[i]] = src->inputs[i];
    }
    for (int t = 0; inputs_ok && t < w->n_tensors; t++) {
        Content c;
        if (!const_content(w, t, &c)) continue;
        map[t] = lookup_const(&ix, &c, content_hash(&c));
        if (map[t] != NONE) eq->const_bytes += (int64_t)c.nbytes;
    }
    for (int ni = 0; inputs_ok && ni < w->n_nodes; ni++) {
        const Node *n = &w->nodes[ni];
        if (n->n_outputs > 0 && n->outputs[0] >= 0 && map[n->outputs[0]] != NONE) { /* a matched Constant */
            eq->matched++;
            if (in_w) in_w[ni] = 1;
            int sp = src->tensors[map[n->outputs[0]]].producer;
            if (in_src && sp >= 0 && sp < src->n_nodes) in_src[sp] = 1;
            continue;
        }
        Key k;
        int same = NONE;
        if (make_key(w, n, map, &k)) same = lookup_node(&ix, &k, key_hash(&k));
        if (same == NONE && silu_key(w, n, map, &k)) {
            same = lookup_node(&ix, &k, key_hash(&k));
            if (same != NONE) eq->silu_pairs++;
            for (int side = 0; in_w && same != NONE && side < n->n_inputs; side++) { /* its Sigmoid is part of it */
                int sp = n->inputs[side] >= 0 ? w->tensors[n->inputs[side]].producer : -1;
                if (sp >= 0 && w->nodes[sp].op == OP_SIGMOID) in_w[sp] = 1;
            }
        }
        if (same == NONE) continue;
        eq->matched++;
        if (in_w) in_w[ni] = 1;
        if (in_src) in_src[same] = 1;
        const Node *s = &src->nodes[same];
        for (int o = 0; o < n->n_outputs; o++)
            if (n->outputs[o] >= 0) map[n->outputs[o]] = ix.canon[s->outputs[o]];
    }
    eq->equivalent = inputs_ok;
    for (int i = 0; inputs_ok && i < w->n_outputs; i++) {
        int got = map[w->outputs[i]], want = ix.canon[src->outputs[i]];
        if (got != NONE && got == want) continue;
        eq->equivalent = false;
        if (eq->first_diff[0]) continue;
        /* name the first unmatched node this output depends on */
        int t = w->outputs[i], p = w->tensors[t].producer;
        if (got != NONE || p < 0) {
            snprintf(eq->first_diff, sizeof eq->first_diff, "output %d ('%s') holds another value than the source's",
                     i, w->tensors[t].name);
            continue;
        }
        /* walk back to the earliest unmatched producer on this output's cone */
        int *stack = xmalloc(sizeof(int) * (size_t)(w->n_nodes + 1)), top = 0, best = p;
        bool *seen = xcalloc((size_t)w->n_nodes + 1, 1);
        stack[top++] = p;
        seen[p] = true;
        while (top) {
            const Node *n = &w->nodes[stack[--top]];
            for (int k = 0; k < n->n_inputs; k++) {
                int in = n->inputs[k];
                if (in < 0 || map[in] != NONE) continue;
                int q = w->tensors[in].producer;
                if (q < 0 || seen[q]) continue;
                seen[q] = true;
                if (q < best) best = q;
                stack[top++] = q;
            }
        }
        free(stack);
        free(seen);
        const Node *b = &w->nodes[best];
        snprintf(eq->first_diff, sizeof eq->first_diff, "node '%s' (%s) has no counterpart in the source",
                 b->name ? b->name : "", b->op_type);
    }
    free(map);
    src_index_free(&ix);
}
