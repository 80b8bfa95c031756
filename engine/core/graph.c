/* graph: arena-owned IR of tensors, nodes, modules and metadata (see graph.h). */
#include "engine/core/graph.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int onnx;
    size_t size;
} dtype_table[] = {
#define X(e, name, onnx, size) {name, onnx, size},
    DTYPES(X)
#undef X
};
static_assert(ARRAY_LEN(dtype_table) == DT_COUNT, "dtype table out of step with DType");

static const char *const op_names[] = {
#define X(e, name) name,
    GRAPH_OPS(X)
#undef X
};
static_assert(ARRAY_LEN(op_names) == OP_COUNT, "op name table out of step with OpKind");

const char *dtype_name(DType t) { return (unsigned)t < DT_COUNT ? dtype_table[t].name : "?"; }
size_t dtype_size(DType t) { return (unsigned)t < DT_COUNT ? dtype_table[t].size : 0; }
int dtype_to_onnx(DType t) { return (unsigned)t < DT_COUNT ? dtype_table[t].onnx : 0; }

DType dtype_from_onnx(int onnx_type)
{
    for (int i = 1; i < DT_COUNT; i++)
        if (dtype_table[i].onnx == onnx_type) return (DType)i;
    return DT_UNDEFINED;
}

const char *op_name(OpKind op) { return (unsigned)op < OP_COUNT ? op_names[op] : ""; }

const char *node_op_name(const Node *n)
{
    if (!n) return "?";
    if (n->op != OP_OTHER) return op_name(n->op);
    return n->op_type && *n->op_type ? n->op_type : "?";
}

int graph_first_unwritable(const Graph *g, OpWriteSupport (*support)(const Node *n))
{
    for (int i = 0; i < g->n_nodes; i++)
        if (support(&g->nodes[i]) != OP_WRITE_YES) return i;
    return -1;
}

OpKind op_from_name(const char *s)
{
    if (!s) return OP_OTHER;
    for (int i = 0; i < OP_OTHER; i++)
        if (!strcmp(op_names[i], s)) return (OpKind)i;
    return OP_OTHER;
}

Graph *graph_new(void)
{
    Graph *g = xcalloc(1, sizeof *g);
    g->arena = arena_new();
    g->meta.channels = 3;
    g->meta.source_format = FMT_NONE;
    return g;
}

void graph_free(Graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n_blobs; i++)
        if (g->blob_free[i]) g->blob_free[i](g->blobs[i]);
    free(g->blobs);
    free(g->blob_free);
    free(g->tensors);
    free(g->nodes);
    free(g->modules);
    free(g->inputs);
    free(g->outputs);
    arena_free(g->arena);
    free(g);
}

#define GROW(ptr, n, cap)                                                                          \
    do {                                                                                           \
        if ((n) == (cap)) {                                                                        \
            (cap) = (cap) ? (cap) * 2 : 16;                                                        \
            (ptr) = xrealloc((ptr), (size_t)(cap) * sizeof *(ptr));                                \
        }                                                                                          \
    } while (0)

void graph_adopt_blob(Graph *g, void *blob, void (*free_fn)(void *))
{
    if (g->n_blobs == g->cap_blobs) {
        g->cap_blobs = g->cap_blobs ? g->cap_blobs * 2 : 8;
        g->blobs = xrealloc(g->blobs, (size_t)g->cap_blobs * sizeof *g->blobs);
        g->blob_free = xrealloc(g->blob_free, (size_t)g->cap_blobs * sizeof *g->blob_free);
    }
    g->blobs[g->n_blobs] = blob;
    g->blob_free[g->n_blobs] = free_fn;
    g->n_blobs++;
}

int graph_add_tensor(Graph *g, const char *name, DType dtype, int rank, const int64_t *dims)
{
    GROW(g->tensors, g->n_tensors, g->cap_tensors);
    Tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = arena_strdup(g->arena, name ? name : "");
    t->dtype = dtype;
    if (rank < 0) rank = 0;
    if (rank > GRAPH_MAX_RANK) rank = GRAPH_MAX_RANK;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->dims[i] = dims ? dims[i] : -1;
    t->producer = -1;
    return g->n_tensors++;
}

int graph_add_const(Graph *g, const char *name, DType dtype, int rank, const int64_t *dims, const void *data)
{
    int ti = graph_add_tensor(g, name, dtype, rank, dims);
    Tensor *t = &g->tensors[ti];
    int64_t n = tensor_numel(t);
    size_t bytes = 0;
    if (n < 0 || !size_mul((size_t)n, dtype_size(dtype), &bytes)) bytes = 0;
    t->data = arena_alloc(g->arena, bytes ? bytes : 1);
    if (data && bytes) memcpy(t->data, data, bytes);
    t->nbytes = bytes;
    return ti;
}

int graph_find_tensor(const Graph *g, const char *name)
{
    for (int i = 0; i < g->n_tensors; i++)
        if (!strcmp(g->tensors[i].name, name)) return i;
    return -1;
}

int64_t tensor_numel(const Tensor *t)
{
    int64_t n;
    return dims_product(t->dims, t->rank, &n) ? n : -1;
}

int graph_add_node(Graph *g, OpKind op, const char *op_type, const char *name, int module,
                   const int *inputs, int n_inputs, const int *outputs, int n_outputs)
{
    GROW(g->nodes, g->n_nodes, g->cap_nodes);
    int ni = g->n_nodes++;
    Node *n = &g->nodes[ni];
    memset(n, 0, sizeof *n);
    /* an op given by name that the enum knows becomes that op (readers that mean "not the
     * IR's op" for such a name set n->op back to OP_OTHER after adding the node) */
    if (op == OP_OTHER && op_type) op = op_from_name(op_type);
    n->op = op;
    n->op_type = arena_strdup(g->arena, op_type ? op_type : op_name(op));
    n->name = arena_strdup(g->arena, name ? name : "");
    n->domain = "";
    n->module = module;
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    n->inputs = arena_alloc(g->arena, sizeof(int) * (size_t)(n_inputs ? n_inputs : 1));
    n->outputs = arena_alloc(g->arena, sizeof(int) * (size_t)(n_outputs ? n_outputs : 1));
    if (n_inputs) memcpy(n->inputs, inputs, sizeof(int) * (size_t)n_inputs);
    if (n_outputs) memcpy(n->outputs, outputs, sizeof(int) * (size_t)n_outputs);
    for (int i = 0; i < n_outputs; i++)
        if (outputs[i] >= 0 && outputs[i] < g->n_tensors) g->tensors[outputs[i]].producer = ni;
    if (module >= 0 && module < g->n_modules) {
        /* extend the node range of the module and of every ancestor */
        for (int m = module; m >= 0; m = g->modules[m].parent) {
            if (g->modules[m].first_node < 0) g->modules[m].first_node = ni;
            g->modules[m].last_node = ni;
        }
    }
    return ni;
}

/* The attribute name of node, made anew: one set before under that name is replaced. */
static Attr *node_new_attr(Graph *g, int node, const char *name, AttrType type)
{
    Node *n = &g->nodes[node];
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) {
            Attr *at = &n->attrs[i];
            memset(at, 0, sizeof *at);
            at->name = arena_strdup(g->arena, name);
            at->type = type;
            at->tensor = -1;
            return at;
        }
    Attr *a = arena_alloc(g->arena, sizeof(Attr) * (size_t)(n->n_attrs + 1));
    if (n->n_attrs) memcpy(a, n->attrs, sizeof(Attr) * (size_t)n->n_attrs);
    n->attrs = a;
    Attr *at = &a[n->n_attrs++];
    at->name = arena_strdup(g->arena, name);
    at->type = type;
    at->tensor = -1;
    return at;
}

void node_set_int(Graph *g, int node, const char *name, int64_t v) { node_new_attr(g, node, name, ATTR_INT)->i = v; }
void node_set_float(Graph *g, int node, const char *name, double v) { node_new_attr(g, node, name, ATTR_FLOAT)->f = v; }

void node_set_string(Graph *g, int node, const char *name, const char *v)
{
    Attr *a = node_new_attr(g, node, name, ATTR_STRING);
    a->s = arena_strdup(g->arena, v);
    a->s_len = strlen(v);
}

void node_set_ints(Graph *g, int node, const char *name, const int64_t *v, int n)
{
    Attr *a = node_new_attr(g, node, name, ATTR_INTS);
    a->ints = arena_alloc(g->arena, sizeof(int64_t) * (size_t)(n ? n : 1));
    if (n) memcpy(a->ints, v, sizeof(int64_t) * (size_t)n);
    a->count = n;
}

void node_set_floats(Graph *g, int node, const char *name, const double *v, int n)
{
    Attr *a = node_new_attr(g, node, name, ATTR_FLOATS);
    a->floats = arena_alloc(g->arena, sizeof(double) * (size_t)(n ? n : 1));
    if (n) memcpy(a->floats, v, sizeof(double) * (size_t)n);
    a->count = n;
}

void node_set_tensor(Graph *g, int node, const char *name, int tensor)
{
    node_new_attr(g, node, name, ATTR_TENSOR)->tensor = tensor;
}

const Attr *node_attr(const Node *n, const char *name)
{
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

int64_t node_attr_int(const Node *n, const char *name, int64_t dflt)
{
    const Attr *a = node_attr(n, name);
    return a && a->type == ATTR_INT ? a->i : dflt;
}

double node_attr_float(const Node *n, const char *name, double dflt)
{
    const Attr *a = node_attr(n, name);
    if (!a) return dflt;
    if (a->type == ATTR_FLOAT) return a->f;
    if (a->type == ATTR_INT) return (double)a->i;
    return dflt;
}

int node_attr_ints(const Node *n, const char *name, int64_t *out, int max)
{
    const Attr *a = node_attr(n, name);
    if (!a || a->type != ATTR_INTS) return 0;
    for (int i = 0; i < a->count && i < max; i++) out[i] = a->ints[i];
    return a->count;
}

int graph_add_module(Graph *g, const char *path, const char *type, int parent)
{
    GROW(g->modules, g->n_modules, g->cap_modules);
    Module *m = &g->modules[g->n_modules];
    memset(m, 0, sizeof *m);
    m->path = arena_strdup(g->arena, path ? path : "");
    const char *dot = strrchr(m->path, '.');
    m->name = dot ? dot + 1 : m->path;
    m->type = arena_strdup(g->arena, type ? type : "");
    m->parent = parent;
    m->depth = parent >= 0 && parent < g->n_modules ? g->modules[parent].depth + 1 : 0;
    m->out_tensor = -1;
    m->first_node = m->last_node = -1;
    return g->n_modules++;
}

int graph_find_module(const Graph *g, const char *path)
{
    for (int i = 0; i < g->n_modules; i++)
        if (!strcmp(g->modules[i].path, path)) return i;
    return -1;
}

void graph_add_input(Graph *g, int tensor)
{
    GROW(g->inputs, g->n_inputs, g->cap_inputs);
    g->inputs[g->n_inputs++] = tensor;
    if (tensor >= 0 && tensor < g->n_tensors) g->tensors[tensor].is_input = true;
}

void graph_add_output(Graph *g, int tensor)
{
    GROW(g->outputs, g->n_outputs, g->cap_outputs);
    g->outputs[g->n_outputs++] = tensor;
    if (tensor >= 0 && tensor < g->n_tensors) g->tensors[tensor].is_output = true;
}

void graph_meta_set_names(Graph *g, const char *const *names, int n)
{
    g->meta.names = arena_alloc(g->arena, sizeof(char *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) g->meta.names[i] = arena_strdup(g->arena, names[i] ? names[i] : "");
    g->meta.nc = n;
}

static void kv_append(Graph *g, KeyValue **arr, int *n, const char *key, const char *value)
{
    KeyValue *kv = arena_alloc(g->arena, sizeof(KeyValue) * (size_t)(*n + 1));
    if (*n) memcpy(kv, *arr, sizeof(KeyValue) * (size_t)*n);
    kv[*n].key = arena_strdup(g->arena, key);
    kv[*n].value = arena_strdup(g->arena, value ? value : "");
    *arr = kv;
    (*n)++;
}

void graph_meta_add_train_arg(Graph *g, const char *key, const char *value)
{
    kv_append(g, &g->meta.train_args, &g->meta.n_train_args, key, value);
}

void graph_meta_add_prop(Graph *g, const char *key, const char *value)
{
    kv_append(g, &g->meta.props, &g->meta.n_props, key, value);
}

const char *graph_meta_prop(const Graph *g, const char *key)
{
    for (int i = 0; i < g->meta.n_props; i++)
        if (!strcmp(g->meta.props[i].key, key)) return g->meta.props[i].value;
    return NULL;
}

int graph_consumers(const Graph *g, int tensor, int *out, int max)
{
    int count = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_inputs; k++) {
            if (n->inputs[k] == tensor) {
                if (count < max) out[count] = ni;
                count++;
                break;
            }
        }
    }
    return count;
}

int graph_validate(const Graph *g, char *err, size_t errlen)
{
    unsigned char *defined = xcalloc((size_t)(g->n_tensors ? g->n_tensors : 1), 1);
    int rc = 0;
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].data || g->tensors[i].is_input || g->tensors[i].is_param || g->tensors[i].external)
            defined[i] = 1;
    for (int ni = 0; ni < g->n_nodes && rc == 0; ni++) {
        const Node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t == -1) continue;
            if (t < 0 || t >= g->n_tensors) {
                rc = err_set(err, errlen, "node '%s' (%s) has an input index out of range", n->name, n->op_type);
                break;
            }
            if (!defined[t]) {
                rc = err_set(err, errlen, "node '%s' (%s) uses input '%s' before it is defined", n->name,
                             n->op_type, g->tensors[t].name);
                break;
            }
        }
        for (int k = 0; k < n->n_outputs && rc == 0; k++) {
            int t = n->outputs[k];
            if (t == -1) continue;
            if (t < 0 || t >= g->n_tensors) {
                rc = err_set(err, errlen, "node '%s' (%s) has an output index out of range", n->name, n->op_type);
            } else if (defined[t] == 2 || g->tensors[t].data) {
                rc = err_set(err, errlen, "tensor '%s' is produced twice (again by node '%s')", g->tensors[t].name,
                             n->name);
            } else {
                defined[t] = 2;
            }
        }
    }
    for (int i = 0; i < g->n_outputs && rc == 0; i++) {
        int t = g->outputs[i];
        if (t < 0 || t >= g->n_tensors || !defined[t])
            rc = err_set(err, errlen, "graph output %d is never produced", i);
    }
    free(defined);
    return rc;
}

int64_t graph_param_count(const Graph *g)
{
    int64_t total = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        if (!g->tensors[i].is_param) continue;
        int64_t n = tensor_numel(&g->tensors[i]);
        if (n > 0) total += n;
    }
    return total;
}

const char *shape_str(const Tensor *t, char *buf, size_t len)
{
    size_t used = 0;
    if (!len) return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf + used, len - used, "[");
    for (int i = 0; i < t->rank && used < len; i++) {
        const char *sep = i ? ", " : "";
        if (t->dim_names[i])
            used += (size_t)snprintf(buf + used, len - used, "%s%s", sep, t->dim_names[i]);
        else if (t->dims[i] < 0)
            used += (size_t)snprintf(buf + used, len - used, "%s?", sep);
        else
            used += (size_t)snprintf(buf + used, len - used, "%s%lld", sep, (long long)t->dims[i]);
    }
    if (used < len) snprintf(buf + used, len - used, "]");
    return buf;
}

void graph_count_module_params(Graph *g)
{
    unsigned char *seen = xcalloc((size_t)g->n_tensors + 1, 1);
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            if (t < 0 || t >= g->n_tensors || seen[t] || !g->tensors[t].is_param) continue;
            seen[t] = 1;
            int64_t numel = tensor_numel(&g->tensors[t]);
            for (int m = n->module; m >= 0 && m < g->n_modules && numel > 0; m = g->modules[m].parent)
                if (__builtin_add_overflow(g->modules[m].params, numel, &g->modules[m].params))
                    g->modules[m].params = INT64_MAX; /* shapes a file declares without data */
        }
    }
    free(seen);
}

int graph_module_for_name(Graph *g, StrMap *modules, const char *name, const char *root_name, int *root_module)
{
    int parent = -1;
    char path[1024];
    size_t used = 0;
    if (name && name[0] == '/') {
        const char *p = name + 1;
        /* every component but the last names a module; the last names the node */
        for (const char *slash; (slash = strchr(p, '/')); p = slash + 1) {
            size_t n = (size_t)(slash - p);
            if (!n) continue;
            if (used + n + 2 >= sizeof path) break;
            if (used) path[used++] = '.';
            memcpy(path + used, p, n);
            used += n;
            path[used] = '\0';
            int m = strmap_get(modules, path);
            if (m < 0) {
                m = graph_add_module(g, path, "group", parent);
                g->modules[m].name = arena_strndup(g->arena, p, n);
                strmap_put(modules, g->modules[m].path, m);
            }
            parent = m;
        }
    }
    if (parent >= 0) return parent;
    if (*root_module < 0) {
        *root_module = strmap_get(modules, root_name);
        if (*root_module < 0) {
            *root_module = graph_add_module(g, root_name, "group", -1);
            g->modules[*root_module].name = g->modules[*root_module].path;
            strmap_put(modules, g->modules[*root_module].path, *root_module);
        }
    }
    return *root_module;
}
