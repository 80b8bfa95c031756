/* modtree: arena-owned module tree (see modtree.h). */
#include "engine/core/modtree.h"

#include <stdlib.h>
#include <string.h>

ModTree *modtree_new(void)
{
    ModTree *t = xcalloc(1, sizeof *t);
    t->arena = arena_new();
    t->channels = 3;
    t->source_format = FMT_NONE;
    return t;
}

void modtree_free(ModTree *t)
{
    if (!t) return;
    for (int i = 0; i < t->n_blobs; i++)
        if (t->blob_free[i]) t->blob_free[i](t->blobs[i]);
    free(t->blobs);
    free(t->blob_free);
    arena_free(t->arena);
    free(t);
}

void modtree_adopt_blob(ModTree *t, void *blob, void (*free_fn)(void *))
{
    t->blobs = xrealloc(t->blobs, sizeof(void *) * (size_t)(t->n_blobs + 1));
    t->blob_free = xrealloc(t->blob_free, sizeof(*t->blob_free) * (size_t)(t->n_blobs + 1));
    t->blobs[t->n_blobs] = blob;
    t->blob_free[t->n_blobs] = free_fn;
    t->n_blobs++;
}

ModNode *modtree_node(ModTree *t, const char *name, const char *path, const char *type, int uid)
{
    ModNode *n = arena_alloc(t->arena, sizeof *n);
    n->name = arena_strdup(t->arena, name ? name : "");
    n->path = arena_strdup(t->arena, path ? path : "");
    n->type = arena_strdup(t->arena, type ? type : "");
    n->module = "";
    n->uid = uid;
    if (uid >= t->n_uids) t->n_uids = uid + 1;
    return n;
}

/* Arrays live in the arena and grow by doubling: capacity 4, then every power of two. */
static bool needs_grow(int n)
{
    return n == 0 || (n >= 4 && !(n & (n - 1)));
}

void modtree_add_child(ModTree *t, ModNode *parent, ModNode *child)
{
    if (needs_grow(parent->n_children)) {
        size_t cap = parent->n_children ? (size_t)parent->n_children * 2 : 4;
        ModNode **p = arena_alloc(t->arena, cap * sizeof *p);
        if (parent->n_children) memcpy(p, parent->children, (size_t)parent->n_children * sizeof *p);
        parent->children = p;
    }
    parent->children[parent->n_children++] = child;
}

ModTensor *modtree_add_tensor(ModTree *t, ModNode *n, const char *name, DType dtype, int rank,
                              const int64_t *dims, const void *data, bool is_buffer, bool requires_grad)
{
    if (needs_grow(n->n_tensors)) {
        size_t cap = n->n_tensors ? (size_t)n->n_tensors * 2 : 4;
        ModTensor *p = arena_alloc(t->arena, cap * sizeof *p);
        if (n->n_tensors) memcpy(p, n->tensors, (size_t)n->n_tensors * sizeof *p);
        n->tensors = p;
    }
    ModTensor *mt = &n->tensors[n->n_tensors++];
    memset(mt, 0, sizeof *mt);
    mt->name = arena_strdup(t->arena, name);
    mt->dtype = dtype;
    mt->rank = rank < 0 ? 0 : rank > GRAPH_MAX_RANK ? GRAPH_MAX_RANK : rank;
    for (int i = 0; i < mt->rank; i++) mt->dims[i] = dims[i];
    int64_t numel = 1;
    if (!dims_product(mt->dims, mt->rank, &numel)) numel = 0;
    mt->nbytes = (size_t)numel * dtype_size(dtype);
    mt->data = data;
    mt->is_buffer = is_buffer;
    mt->requires_grad = requires_grad;
    return mt;
}

ModAttr *modtree_add_attr(ModTree *t, ModNode *n, const char *name, ModAttrKind kind)
{
    if (needs_grow(n->n_attrs)) {
        size_t cap = n->n_attrs ? (size_t)n->n_attrs * 2 : 4;
        ModAttr *p = arena_alloc(t->arena, cap * sizeof *p);
        if (n->n_attrs) memcpy(p, n->attrs, (size_t)n->n_attrs * sizeof *p);
        n->attrs = p;
    }
    ModAttr *a = &n->attrs[n->n_attrs++];
    memset(a, 0, sizeof *a);
    a->name = arena_strdup(t->arena, name);
    a->kind = kind;
    return a;
}

ModNode *modtree_child(const ModNode *n, const char *name)
{
    if (!n) return NULL;
    for (int i = 0; i < n->n_children; i++)
        if (!strcmp(n->children[i]->name, name)) return n->children[i];
    return NULL;
}

ModNode *modtree_find(const ModTree *t, const char *path)
{
    ModNode *n = t->root;
    const char *p = path;
    while (n && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        ModNode *next = NULL;
        for (int i = 0; i < n->n_children; i++) {
            if (strlen(n->children[i]->name) == len && !strncmp(n->children[i]->name, p, len)) {
                next = n->children[i];
                break;
            }
        }
        n = next;
        p = dot ? dot + 1 : p + len;
    }
    return n;
}

const ModTensor *modtree_tensor(const ModNode *n, const char *name)
{
    if (!n) return NULL;
    for (int i = 0; i < n->n_tensors; i++)
        if (!strcmp(n->tensors[i].name, name)) return &n->tensors[i];
    return NULL;
}

const ModAttr *modtree_attr(const ModNode *n, const char *name)
{
    if (!n) return NULL;
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
    return NULL;
}

int64_t modtree_attr_int(const ModNode *n, const char *name, int64_t dflt)
{
    const ModAttr *a = modtree_attr(n, name);
    if (!a) return dflt;
    if (a->kind == MA_INT || a->kind == MA_BOOL) return a->i;
    if (a->kind == MA_FLOAT) return (int64_t)a->f;
    if (a->kind == MA_INTS && a->count > 0) return a->ints[0];
    return dflt;
}

double modtree_attr_float(const ModNode *n, const char *name, double dflt)
{
    const ModAttr *a = modtree_attr(n, name);
    if (!a) return dflt;
    if (a->kind == MA_FLOAT) return a->f;
    if (a->kind == MA_INT || a->kind == MA_BOOL) return (double)a->i;
    return dflt;
}

int64_t modtree_attr_int_at(const ModNode *n, const char *name, int i, int64_t dflt)
{
    const ModAttr *a = modtree_attr(n, name);
    if (!a) return dflt;
    if (a->kind == MA_INTS) return a->count ? a->ints[i < a->count ? i : a->count - 1] : dflt;
    if (a->kind == MA_INT || a->kind == MA_BOOL) return a->i;
    if (a->kind == MA_FLOAT) return (int64_t)a->f;
    return dflt;
}
