/* onnx (reader): any ONNX ModelProto into the Graph IR.
 * The file is checked on the wire first (structure, nesting depth), then unpacked by the
 * protobuf-c code generated from onnx.proto under an allocation budget; the unpacked
 * message is adopted by the Graph so initializer data is never copied a second time. */
#include "formats/onnx.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/core/membudget.h"
#include "onnx/onnx.pb-c.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "formats/onnx.c assumes a little-endian host: ONNX raw_data is little-endian"
#endif

#define ONNX_MAX_FILE ((size_t)1 << 31) /* protobuf messages are limited to 2 GiB */
#define ONNX_MAX_DEPTH 48               /* nested messages (graphs inside attributes ...) */
#define ONNX_MAX_NAMES (1 << 20)        /* class names in the metadata */

/* ---------------------------------------------------------------------------------------
 * Allocation budget: protobuf-c sizes its arrays from counts it finds in the input, so a
 * small hostile file can ask for far more memory than it holds.  Every allocation of one
 * unpack goes through this allocator, which refuses past a cap proportional to the input. */
typedef struct {
    ProtobufCAllocator alloc;
    size_t used, cap;
    bool exceeded;    /* past the cap the input justifies */
    bool over_budget; /* past the process's memory budget */
    Onnx__ModelProto *model;
} Unpacked;

#define BUDGET_HEADER 16 /* keeps the returned pointers 16-byte aligned */

static void *budget_alloc(void *data, size_t size)
{
    Unpacked *u = data;
    size_t total;
    if (!size_add(size, BUDGET_HEADER, &total) || total > u->cap - u->used) {
        u->exceeded = true;
        return NULL;
    }
    if (!membudget_take(total)) { /* the process's budget (engine/core/membudget.h) too */
        u->over_budget = true;
        return NULL;
    }
    unsigned char *p = malloc(total);
    if (!p) {
        membudget_give(total);
        u->exceeded = true;
        return NULL;
    }
    memcpy(p, &total, sizeof total);
    u->used += total;
    return p + BUDGET_HEADER;
}

static void budget_free(void *data, void *ptr)
{
    Unpacked *u = data;
    if (!ptr) return;
    unsigned char *p = (unsigned char *)ptr - BUDGET_HEADER;
    size_t total;
    memcpy(&total, p, sizeof total);
    u->used -= total;
    membudget_give(total);
    free(p);
}

static void unpacked_free(void *blob)
{
    Unpacked *u = blob;
    if (u->model) onnx__model_proto__free_unpacked(u->model, &u->alloc);
    free(u);
}

/* ---------------------------------------------------------------------------------------
 * Wire-format walk.  Checks what protobuf-c would otherwise discover the hard way (or by
 * recursing without limit): tags, lengths inside their parent, no groups, and the nesting
 * depth of the message-typed fields the schema declares. */
static bool wire_varint(const uint8_t *b, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= len) return false;
        uint8_t c = b[(*pos)++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Skip the value of a field with wire type wt at *pos; false when it overruns len.
 * For length-delimited fields sub and sublen receive the payload. */
static bool wire_skip(const uint8_t *b, size_t len, size_t *pos, unsigned wt, const uint8_t **sub, size_t *sublen)
{
    uint64_t v;
    switch (wt) {
    case 0: return wire_varint(b, len, pos, &v);
    case 1:
        if (len - *pos < 8) return false;
        *pos += 8;
        return true;
    case 5:
        if (len - *pos < 4) return false;
        *pos += 4;
        return true;
    case 2:
        if (!wire_varint(b, len, pos, &v) || v > len - *pos) return false;
        if (sub) *sub = b + *pos, *sublen = (size_t)v;
        *pos += (size_t)v;
        return true;
    default: return false; /* groups (3, 4) and reserved types */
    }
}

static const char *wire_check(const uint8_t *b, size_t len, const ProtobufCMessageDescriptor *desc, int depth)
{
    if (depth > ONNX_MAX_DEPTH) return "messages nested too deeply";
    size_t pos = 0;
    while (pos < len) {
        uint64_t tag;
        if (!wire_varint(b, len, &pos, &tag)) return "truncated field tag";
        unsigned wt = (unsigned)(tag & 7);
        uint64_t field = tag >> 3;
        if (field == 0 || field > 536870911u) return "invalid field number";
        const uint8_t *sub = NULL;
        size_t sublen = 0;
        if (!wire_skip(b, len, &pos, wt, &sub, &sublen))
            return wt == 3 || wt == 4 || wt > 5 ? "invalid wire type" : "truncated (a field runs past the end)";
        const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field(desc, (unsigned)field);
        if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE && wt == 2) {
            const char *why = wire_check(sub, sublen, fd->descriptor, depth + 1);
            if (why) return why;
        }
    }
    return NULL;
}

int onnx_sniff(const uint8_t *buf, size_t len)
{
    /* Works on a whole file or on its first bytes: a top-level field cut off by the end
     * of buf is accepted, a field the ModelProto schema does not declare is not. */
    size_t pos = 0;
    bool graph = false;
    if (!buf || len < 2) return 0;
    while (pos < len) {
        uint64_t tag;
        size_t start = pos;
        if (!wire_varint(buf, len, &pos, &tag)) return graph && start > 0;
        unsigned wt = (unsigned)(tag & 7);
        uint64_t field = tag >> 3;
        const ProtobufCFieldDescriptor *fd =
            field ? protobuf_c_message_descriptor_get_field(&onnx__model_proto__descriptor, (unsigned)field) : NULL;
        if (!fd) return 0;
        bool lengthy = fd->type == PROTOBUF_C_TYPE_MESSAGE || fd->type == PROTOBUF_C_TYPE_STRING ||
                       fd->type == PROTOBUF_C_TYPE_BYTES;
        if (lengthy ? wt != 2 : wt != 0) return 0;
        const uint8_t *sub = NULL;
        size_t sublen = 0;
        if (!wire_skip(buf, len, &pos, wt, &sub, &sublen)) {
            /* cut off: fine for a prefix once the graph has started */
            if (field == 7 && wt == 2) return 1;
            return graph;
        }
        if (field == 7) {
            /* the graph's own first field must be one GraphProto declares */
            size_t p2 = 0;
            uint64_t t2;
            if (sublen && wire_varint(sub, sublen, &p2, &t2) &&
                !protobuf_c_message_descriptor_get_field(&onnx__graph_proto__descriptor, (unsigned)(t2 >> 3)))
                return 0;
            graph = true;
        }
    }
    return graph;
}

/* ---------------------------------------------------------------------------------------
 * The reader proper. */
typedef struct {
    Graph *g;
    const char *name;     /* the file name for messages */
    const char *base_dir; /* directory for external data; NULL when read from memory */
    bool shapes_only;
    int64_t opset;
    StrMap tensors;       /* graph-scope tensor name -> index */
    StrMap modules;       /* module path -> index */
    StrMap value_info;    /* value_info name -> index in graph.value_info */
    const Onnx__GraphProto *gp;
    int root_module;      /* the group for nodes without a name path, -1 until needed */
    const char *graph_name;
    unsigned char *defined; /* per tensor: known before the current node (initializer, input, output) */
    size_t defined_cap;
    char *err;
    size_t errlen;
} Reader;

static int rd_fail(Reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int rd_fail(Reader *r, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(r->err, r->errlen, "%s: %s", r->name, msg);
}

static const char *nz(const char *s) { return s ? s : ""; }

static void mark_defined(Reader *r, int t)
{
    if ((size_t)t >= r->defined_cap) {
        size_t cap = r->defined_cap ? r->defined_cap : 256;
        while (cap <= (size_t)t) cap *= 2;
        r->defined = xrealloc(r->defined, cap);
        memset(r->defined + r->defined_cap, 0, cap - r->defined_cap);
        r->defined_cap = cap;
    }
    r->defined[t] = 1;
}

static bool is_defined(const Reader *r, int t) { return (size_t)t < r->defined_cap && r->defined[t]; }

static bool dtype_is_float(DType t) { return t == DT_F32 || t == DT_F16 || t == DT_BF16 || t == DT_F64; }

/* dims from a TensorProto / shape into t; -1 + message on rank or overflow trouble. */
static int check_dims_product(Reader *r, const char *what, const char *name, const int64_t *dims, int rank)
{
    uint64_t prod = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) continue;
        if (dims[i] && prod > (uint64_t)INT64_MAX / (uint64_t)dims[i])
            return rd_fail(r, "%s '%s': the product of its dims overflows", what, name);
        prod *= (uint64_t)dims[i];
    }
    return 0;
}

static bool plain_relative(const char *loc)
{
    if (!loc || !*loc || loc[0] == '/' || loc[0] == '\\' || strchr(loc, ':')) return false;
    const char *p = loc;
    while (*p) {
        size_t n = strcspn(p, "/\\");
        if (n == 2 && p[0] == '.' && p[1] == '.') return false;
        p += n;
        if (*p) p++;
    }
    return true;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s) return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        if (v > (UINT64_MAX - 9) / 10) return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static int load_external(Reader *r, const Onnx__TensorProto *tp, Tensor *t, size_t need)
{
    const char *loc = NULL, *off_s = NULL, *len_s = NULL;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *kv = tp->external_data[i];
        if (!kv->key) continue;
        if (!strcmp(kv->key, "location")) loc = kv->value;
        else if (!strcmp(kv->key, "offset")) off_s = kv->value;
        else if (!strcmp(kv->key, "length")) len_s = kv->value;
    }
    if (!loc || !*loc) return rd_fail(r, "tensor '%s': external data without a location", t->name);
    t->external = arena_strdup(r->g->arena, loc);
    if (!plain_relative(loc))
        return rd_fail(r, "tensor '%s': external data location '%s' is not a plain relative path beside the model",
                       t->name, loc);
    uint64_t offset = 0, length = 0;
    if (off_s && !parse_u64(off_s, &offset))
        return rd_fail(r, "tensor '%s': external data offset '%s' is not a number", t->name, off_s);
    if (len_s && !parse_u64(len_s, &length))
        return rd_fail(r, "tensor '%s': external data length '%s' is not a number", t->name, len_s);
    if (r->shapes_only) return 0;
    if (!r->base_dir)
        return rd_fail(r, "tensor '%s': external data '%s' cannot be read: the model was read from memory", t->name,
                       loc);
    /* inside the model's folder, no link followed, a regular file, opened without blocking */
    struct stat st;
    char why[600];
    int fd = fileio_open_beside(r->base_dir, loc, &st, why, sizeof why);
    if (fd < 0) return rd_fail(r, "tensor '%s': external data: %s", t->name, why);
    uint64_t size = (uint64_t)st.st_size;
    if (!len_s) length = offset <= size ? size - offset : 0;
    if (offset > size || length > size - offset) {
        close(fd);
        return rd_fail(r, "tensor '%s': external data '%s' holds %llu bytes, offset %llu + length %llu runs past it",
                       t->name, loc, (unsigned long long)size, (unsigned long long)offset,
                       (unsigned long long)length);
    }
    if (length != need) {
        close(fd);
        return rd_fail(r, "tensor '%s': external data '%s' has %llu bytes, dims and dtype need %zu", t->name, loc,
                       (unsigned long long)length, need);
    }
    char what[300];
    snprintf(what, sizeof what, "tensor '%s' (external data '%s')", t->name, loc);
    unsigned char *data = membudget_alloc(need ? need : 1, NULL, what, why, sizeof why);
    if (!data) {
        close(fd);
        return rd_fail(r, "%s", why);
    }
    size_t got = 0;
    while (got < need) {
        ssize_t n = pread(fd, data + got, need - got, (off_t)(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            membudget_free(data);
            close(fd);
            return rd_fail(r, "tensor '%s': external data '%s': short read", t->name, loc);
        }
        got += (size_t)n;
    }
    close(fd);
    graph_adopt_blob(r->g, data, membudget_free);
    t->data = data;
    t->nbytes = need;
    return 0;
}

/* Copy a typed-field array into arena memory of the tensor's dtype. */
static void *typed_copy(Reader *r, DType dt, const void *src, size_t count, int src_kind)
{
    size_t esz = dtype_size(dt), bytes;
    if (!size_mul(count, esz, &bytes)) return NULL;
    unsigned char *out = arena_alloc(r->g->arena, bytes ? bytes : 1);
    for (size_t i = 0; i < count; i++) {
        int64_t v = 0;
        if (src_kind == 32) v = ((const int32_t *)src)[i];
        else if (src_kind == 64) v = ((const int64_t *)src)[i];
        else v = (int64_t)((const uint64_t *)src)[i];
        switch (esz) {
        case 1: out[i] = (unsigned char)v; break;
        case 2: {
            uint16_t x = (uint16_t)v;
            memcpy(out + 2 * i, &x, 2);
            break;
        }
        case 4: {
            uint32_t x = (uint32_t)v;
            memcpy(out + 4 * i, &x, 4);
            break;
        }
        default: memcpy(out + 8 * i, &v, 8); break;
        }
    }
    return out;
}

/* A TensorProto (initializer or attribute value) into a new graph tensor.  Returns its
 * index or -1 after rd_fail. */
static int load_tensor(Reader *r, const Onnx__TensorProto *tp, const char *name)
{
    Graph *g = r->g;
    if (tp->n_dims > GRAPH_MAX_RANK)
        return rd_fail(r, "tensor '%s' has rank %zu (at most %d is supported)", name, tp->n_dims, GRAPH_MAX_RANK);
    int64_t dims[GRAPH_MAX_RANK];
    for (size_t i = 0; i < tp->n_dims; i++) {
        if (tp->dims[i] < 0) return rd_fail(r, "tensor '%s' has a negative dim (%lld)", name, (long long)tp->dims[i]);
        dims[i] = tp->dims[i];
    }
    int rank = (int)tp->n_dims;
    if (check_dims_product(r, "tensor", name, dims, rank)) return -1;
    int onnx_type = tp->has_data_type ? tp->data_type : 0;
    DType dt = dtype_from_onnx(onnx_type);
    int ti = graph_add_tensor(g, name, dt, rank, dims);
    Tensor *t = &g->tensors[ti];
    int64_t numel = tensor_numel(t);
    size_t esz = dtype_size(dt), need = 0;
    if (numel < 0 || !size_mul((size_t)numel, esz, &need))
        return rd_fail(r, "tensor '%s': %lld elements of %s do not fit in memory", name, (long long)numel,
                       dtype_name(dt));

    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        if (dt == DT_UNDEFINED || dt == DT_STRING)
            return rd_fail(r, "tensor '%s': external data of type %d is not supported", name, onnx_type);
        return load_external(r, tp, &g->tensors[ti], need) ? -1 : ti;
    }
    if (dt == DT_UNDEFINED || dt == DT_STRING) {
        /* kept with its shape for browsing; no data we can compute with */
        return ti;
    }
    size_t count = (size_t)numel;
    const void *data = NULL;
    if (tp->has_raw_data && (tp->raw_data.len || !(tp->n_float_data || tp->n_int32_data || tp->n_int64_data ||
                                                   tp->n_double_data || tp->n_uint64_data))) {
        if (tp->raw_data.len != need)
            return rd_fail(r, "tensor '%s': raw_data holds %zu bytes, dims %s x %s need %zu", name, tp->raw_data.len,
                           shape_str(t, (char[160]){0}, 160), dtype_name(dt), need);
        data = tp->raw_data.data;
    } else {
        size_t have = 0;
        switch (dt) {
        case DT_F32: have = tp->n_float_data; data = tp->float_data; break;
        case DT_F64: have = tp->n_double_data; data = tp->double_data; break;
        case DT_I64: have = tp->n_int64_data; data = tp->int64_data; break;
        case DT_U64: have = tp->n_uint64_data; data = tp->uint64_data; break;
        case DT_U32:
            have = tp->n_uint64_data;
            data = have == count ? typed_copy(r, dt, tp->uint64_data, count, 65) : NULL;
            break;
        case DT_I32: have = tp->n_int32_data; data = tp->int32_data; break;
        default: /* int8/uint8/int16/uint16/bool/float16/bfloat16 live in int32_data */
            have = tp->n_int32_data;
            data = have == count ? typed_copy(r, dt, tp->int32_data, count, 32) : NULL;
            break;
        }
        if (have != count)
            return rd_fail(r, "tensor '%s': holds %zu values, dims %s need %zu", name, have,
                           shape_str(t, (char[160]){0}, 160), count);
    }
    t = &g->tensors[ti];
    /* the unpacked message (adopted by the graph) owns the bytes: no second copy */
    t->data = count ? (void *)data : arena_alloc(g->arena, 1);
    t->nbytes = need;
    t->is_param = dtype_is_float(dt);
    return ti;
}

/* Type and shape of a ValueInfoProto into tensor ti (rank and dims replaced). */
static int apply_value_info(Reader *r, int ti, const Onnx__ValueInfoProto *vi, bool strict)
{
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) return 0;
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    Tensor *t = &r->g->tensors[ti];
    if (tt->has_elem_type && dtype_from_onnx(tt->elem_type) != DT_UNDEFINED) t->dtype = dtype_from_onnx(tt->elem_type);
    const Onnx__TensorShapeProto *sh = tt->shape;
    if (!sh) return 0;
    if (sh->n_dim > GRAPH_MAX_RANK) {
        if (strict)
            return rd_fail(r, "'%s' has rank %zu (at most %d is supported)", nz(vi->name), sh->n_dim, GRAPH_MAX_RANK);
        return 0;
    }
    int64_t dims[GRAPH_MAX_RANK];
    const char *names[GRAPH_MAX_RANK];
    for (size_t i = 0; i < sh->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
        dims[i] = -1;
        names[i] = NULL;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value >= 0)
            dims[i] = d->dim_value;
        else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param &&
                 *d->dim_param)
            names[i] = arena_strdup(r->g->arena, d->dim_param);
    }
    if (check_dims_product(r, "value", nz(vi->name), dims, (int)sh->n_dim)) return -1;
    t = &r->g->tensors[ti];
    t->rank = (int)sh->n_dim;
    for (int i = 0; i < t->rank; i++) {
        t->dims[i] = dims[i];
        t->dim_names[i] = names[i];
    }
    return 0;
}

/* The module a node belongs to, from its name path "/model.2/cv1/conv/Conv". */
static int module_for(Reader *r, const char *node_name)
{
    const char *gname = r->graph_name && *r->graph_name ? r->graph_name : "graph";
    return graph_module_for_name(r->g, &r->modules, node_name, gname, &r->root_module);
}

/* The attribute just appended to node ni. */
static Attr *last_attr(Graph *g, int ni) { return &g->nodes[ni].attrs[g->nodes[ni].n_attrs - 1]; }

static int read_attribute(Reader *r, int ni, const Onnx__AttributeProto *a)
{
    Graph *g = r->g;
    const char *an = a->name ? a->name : "";
    if (a->n_floats > INT_MAX || a->n_ints > INT_MAX || a->n_strings > INT_MAX || a->n_tensors > INT_MAX ||
        a->n_graphs > INT_MAX)
        return rd_fail(r, "node '%s': attribute '%s' has too many values", g->nodes[ni].name, an);
    if (!*an) return rd_fail(r, "node '%s' has an attribute without a name", g->nodes[ni].name);
    int type = a->has_type ? (int)a->type : 0;
    if (type == 0) { /* IR < 3 files leave the type out: infer it from the field that is set */
        if (a->has_f) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
        else if (a->has_i) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        else if (a->has_s) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
        else if (a->t) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
        else if (a->g) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
        else if (a->n_floats) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
        else if (a->n_ints) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        else if (a->n_strings) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
        else if (a->n_tensors) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
        else if (a->n_graphs) type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
    }
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: node_set_float(g, ni, an, a->f); break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: node_set_int(g, ni, an, a->i); break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: {
        node_set_string(g, ni, an, "");
        Attr *at = last_attr(g, ni);
        at->s = arena_strndup(g->arena, a->s.data ? (const char *)a->s.data : "", a->s.len);
        at->s_len = a->s.len;
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: {
        double *v = xmalloc(sizeof(double) * (a->n_floats ? a->n_floats : 1));
        for (size_t i = 0; i < a->n_floats; i++) v[i] = a->floats[i];
        node_set_floats(g, ni, an, v, (int)a->n_floats);
        free(v);
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: node_set_ints(g, ni, an, a->ints, (int)a->n_ints); break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: {
        node_set_string(g, ni, an, "");
        Attr *at = last_attr(g, ni);
        at->type = ATTR_STRINGS;
        at->count = (int)a->n_strings;
        at->strings = arena_alloc(g->arena, sizeof(char *) * (a->n_strings ? a->n_strings : 1));
        for (size_t i = 0; i < a->n_strings; i++)
            at->strings[i] =
                arena_strndup(g->arena, a->strings[i].data ? (const char *)a->strings[i].data : "", a->strings[i].len);
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS: {
        /* attribute tensors (a Constant's value) are not graph-scope names */
        size_t n = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR ? (a->t ? 1 : 0) : a->n_tensors;
        Onnx__TensorProto *const *list = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR ? &a->t : a->tensors;
        if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR && !a->t)
            return rd_fail(r, "node '%s': tensor attribute '%s' holds no tensor", g->nodes[ni].name, an);
        int64_t *idx = xmalloc(sizeof(int64_t) * (n ? n : 1));
        for (size_t i = 0; i < n; i++) {
            const char *tn = list[i]->name && *list[i]->name
                                 ? list[i]->name
                                 : arena_printf(g->arena, "%s:%s%s", g->nodes[ni].name, an,
                                                n > 1 ? arena_printf(g->arena, ".%zu", i) : "");
            int ti = load_tensor(r, list[i], tn);
            if (ti < 0) {
                free(idx);
                return -1;
            }
            r->g->tensors[ti].is_param = false; /* a constant, not a learned weight */
            idx[i] = ti;
        }
        node_set_tensor(g, ni, an, n ? (int)idx[0] : -1);
        if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS) {
            Attr *at = last_attr(g, ni);
            at->count = (int)n;
            at->ints = arena_alloc(g->arena, sizeof(int64_t) * (n ? n : 1));
            memcpy(at->ints, idx, sizeof(int64_t) * n);
        }
        free(idx);
        break;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: {
        /* recorded, not descended: s = the (first) subgraph's name, count = how many
         * subgraphs, i = the first subgraph's node count */
        const Onnx__GraphProto *sg = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH ? a->g
                                     : a->n_graphs                                        ? a->graphs[0]
                                                                                          : NULL;
        node_set_string(g, ni, an, sg ? nz(sg->name) : "");
        Attr *at = last_attr(g, ni);
        at->type = ATTR_GRAPH;
        at->count = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH ? (a->g ? 1 : 0) : (int)a->n_graphs;
        at->i = sg ? (int64_t)sg->n_node : 0;
        break;
    }
    default: {
        /* sparse tensors and type protos: recorded by kind only */
        node_set_tensor(g, ni, an, -1);
        Attr *at = last_attr(g, ni);
        at->s = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO ||
                        type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS
                    ? "type_proto"
                    : "sparse_tensor";
        at->s_len = strlen(at->s);
        break;
    }
    }
    return 0;
}

static int read_node(Reader *r, const Onnx__NodeProto *np, int index)
{
    Graph *g = r->g;
    const char *op_type = np->op_type;
    char fallback[32];
    const char *nname = np->name;
    if (!nname || !*nname) {
        snprintf(fallback, sizeof fallback, "node_%d", index);
        nname = fallback;
    }
    if (!op_type || !*op_type) return rd_fail(r, "node '%s' has no op_type", nname);
    if (np->n_input > INT_MAX / 2 || np->n_output > INT_MAX / 2)
        return rd_fail(r, "node '%s' has too many inputs or outputs", nname);
    const char *domain = np->domain ? np->domain : "";
    bool std_domain = !*domain || !strcmp(domain, "ai.onnx");
    OpKind op = std_domain ? op_from_name(op_type) : OP_OTHER;
    if (op == OP_SILU) op = OP_OTHER; /* "SiLU" is the IR's own op, not an ONNX one */

    int *ins = xmalloc(sizeof(int) * (np->n_input ? np->n_input : 1));
    int *outs = xmalloc(sizeof(int) * (np->n_output ? np->n_output : 1));
    int rc = 0;
    for (size_t i = 0; i < np->n_input && rc == 0; i++) {
        const char *in = np->input[i];
        if (!in || !*in) {
            ins[i] = -1; /* an omitted optional input */
            continue;
        }
        int t = strmap_get(&r->tensors, in);
        if (t < 0 || !is_defined(r, t))
            rc = rd_fail(r, "node '%s' (%s) uses input '%s', which is not an initializer, a graph input or the "
                            "output of an earlier node",
                         nname, op_type, in);
        ins[i] = t;
    }
    for (size_t i = 0; i < np->n_output && rc == 0; i++) {
        const char *on = np->output[i];
        if (!on || !*on) {
            outs[i] = -1;
            continue;
        }
        if (strmap_get(&r->tensors, on) >= 0) {
            rc = rd_fail(r, "node '%s' (%s) produces '%s', which is already defined", nname, op_type, on);
            break;
        }
        int t = graph_add_tensor(g, on, DT_UNDEFINED, 0, NULL);
        strmap_put(&r->tensors, g->tensors[t].name, t);
        outs[i] = t;
        int vi = strmap_get(&r->value_info, on);
        if (vi >= 0) rc = apply_value_info(r, t, r->gp->value_info[vi], false);
    }
    if (rc) {
        free(ins);
        free(outs);
        return -1;
    }
    int module = module_for(r, nname);
    int ni = graph_add_node(g, op, op_type, np->name ? np->name : "", module, ins, (int)np->n_input, outs,
                            (int)np->n_output);
    free(ins);
    free(outs);
    Node *n = &g->nodes[ni];
    n->op = op; /* another domain's op, or "SiLU", stays OP_OTHER whatever its name */
    if (*domain) n->domain = arena_strdup(g->arena, domain);
    if (np->doc_string && *np->doc_string) n->doc = arena_strdup(g->arena, np->doc_string);
    for (size_t i = 0; i < np->n_attribute; i++)
        if (read_attribute(r, ni, np->attribute[i])) return -1;
    n = &g->nodes[ni];
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0) mark_defined(r, n->outputs[i]);

    /* Before opset 13 Softmax coerces its input to 2-D around `axis` (default 1).  That is
     * the IR's per-axis softmax only when axis is the last dim; otherwise keep the node as
     * an op we do not model rather than compute something else. */
    if (op == OP_SOFTMAX && r->opset > 0 && r->opset < 13) {
        int64_t axis = node_attr_int(n, "axis", 1);
        const Tensor *x = n->n_inputs > 0 && n->inputs[0] >= 0 ? &g->tensors[n->inputs[0]] : NULL;
        int rank = x ? x->rank : 0;
        if (axis == -1 || (rank > 0 && axis == rank - 1)) {
            if (!node_attr(n, "axis")) node_set_int(g, ni, "axis", -1);
        } else {
            g->nodes[ni].op = OP_OTHER;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Ultralytics metadata: Python literals (dicts, lists, strings, ints) as written by str(). */
static void py_ws(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r') (*p)++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void utf8_put(Vec *out, uint32_t cp)
{
    unsigned char b[4];
    int n;
    if (cp > 0x10ffff) cp = 0xfffd;
    if (cp < 0x80) b[0] = (unsigned char)cp, n = 1;
    else if (cp < 0x800) b[0] = (unsigned char)(0xc0 | (cp >> 6)), b[1] = (unsigned char)(0x80 | (cp & 0x3f)), n = 2;
    else if (cp < 0x10000)
        b[0] = (unsigned char)(0xe0 | (cp >> 12)), b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
        b[2] = (unsigned char)(0x80 | (cp & 0x3f)), n = 3;
    else
        b[0] = (unsigned char)(0xf0 | (cp >> 18)), b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f)),
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (unsigned char)(0x80 | (cp & 0x3f)), n = 4;
    for (int i = 0; i < n; i++) vec_push(out, 1, &b[i]);
}

/* A quoted Python string literal at *p into a heap string (caller frees); NULL when *p is
 * not one. */
static char *py_string(const char **p)
{
    char q = **p;
    if (q != '\'' && q != '"') return NULL;
    const char *s = *p + 1;
    Vec out = {0};
    while (*s && *s != q) {
        if (*s != '\\') {
            vec_push(&out, 1, s++);
            continue;
        }
        s++;
        char c = *s;
        if (!c) break;
        s++;
        switch (c) {
        case 'n': vec_push(&out, 1, "\n"); break;
        case 't': vec_push(&out, 1, "\t"); break;
        case 'r': vec_push(&out, 1, "\r"); break;
        case 'a': vec_push(&out, 1, "\a"); break;
        case 'b': vec_push(&out, 1, "\b"); break;
        case 'f': vec_push(&out, 1, "\f"); break;
        case 'v': vec_push(&out, 1, "\v"); break;
        case '\\': case '\'': case '"': vec_push(&out, 1, &c); break;
        case '\n': break; /* line continuation */
        case 'x': case 'u': case 'U': {
            int want = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            uint32_t cp = 0;
            int k = 0;
            for (; k < want && hexval(s[k]) >= 0; k++) cp = cp * 16 + (uint32_t)hexval(s[k]);
            if (k != want) { /* malformed: keep it as written */
                vec_push(&out, 1, "\\");
                vec_push(&out, 1, &c);
                break;
            }
            s += want;
            utf8_put(&out, cp);
            break;
        }
        default:
            if (c >= '0' && c <= '7') {
                uint32_t cp = (uint32_t)(c - '0');
                for (int k = 0; k < 2 && *s >= '0' && *s <= '7'; k++) cp = cp * 8 + (uint32_t)(*s++ - '0');
                utf8_put(&out, cp);
            } else { /* unknown escapes stay as written, as in Python */
                vec_push(&out, 1, "\\");
                vec_push(&out, 1, &c);
            }
        }
    }
    if (*s != q) {
        vec_free(&out);
        return NULL;
    }
    *p = s + 1;
    vec_push(&out, 1, "");
    return out.items;
}

static bool py_int(const char **p, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(*p, &end, 10);
    if (end == *p || errno) return false;
    *p = end;
    *out = v;
    return true;
}

/* "[640, 640]" or "640" -> up to max ints; returns the count (0 when malformed). */
static int py_int_list(const char *s, int *out, int max)
{
    const char *p = s;
    long long v;
    py_ws(&p);
    if (*p != '[' && *p != '(') {
        if (!py_int(&p, &v) || v < INT_MIN || v > INT_MAX) return 0;
        out[0] = (int)v;
        return 1;
    }
    char close = *p == '[' ? ']' : ')';
    p++;
    int n = 0;
    for (;;) {
        py_ws(&p);
        if (*p == close) break;
        if (!py_int(&p, &v) || v < INT_MIN || v > INT_MAX || n >= max) return 0;
        out[n++] = (int)v;
        py_ws(&p);
        if (*p == ',') p++;
        else if (*p != close) return 0;
    }
    return n;
}

/* names: "{0: 'person', 1: 'bicycle'}" or "['person', 'bicycle']" into g->meta. */
static void parse_names(Graph *g, const char *s)
{
    const char *p = s;
    py_ws(&p);
    bool dict = *p == '{';
    if (*p != '{' && *p != '[') return;
    char close = dict ? '}' : ']';
    p++;
    char **names = NULL;
    int cap = 0, n = 0;
    bool ok = true;
    for (int idx = 0; ok; idx++) {
        py_ws(&p);
        if (*p == close) break;
        long long key = idx;
        if (dict) {
            if (!py_int(&p, &key) || key < 0 || key >= ONNX_MAX_NAMES) { ok = false; break; }
            py_ws(&p);
            if (*p != ':') { ok = false; break; }
            p++;
            py_ws(&p);
        } else if (idx >= ONNX_MAX_NAMES) {
            ok = false;
            break;
        }
        char *v = py_string(&p);
        if (!v) { ok = false; break; }
        if (key >= cap) {
            int nc = cap ? cap : 16;
            while (nc <= key) nc *= 2;
            names = xrealloc(names, sizeof(char *) * (size_t)nc);
            memset(names + cap, 0, sizeof(char *) * (size_t)(nc - cap));
            cap = nc;
        }
        free(names[key]);
        names[key] = v;
        if (key + 1 > n) n = (int)key + 1;
        py_ws(&p);
        if (*p == ',') p++;
        else if (*p != close) ok = false;
    }
    if (ok && n > 0) {
        char num[24];
        const char **list = xmalloc(sizeof(char *) * (size_t)n);
        for (int i = 0; i < n; i++) {
            if (names[i]) list[i] = names[i];
            else {
                snprintf(num, sizeof num, "%d", i);
                list[i] = arena_strdup(g->arena, num);
            }
        }
        graph_meta_set_names(g, list, n);
        free(list);
    }
    for (int i = 0; i < cap; i++) free(names[i]);
    free(names);
}

static void parse_ultralytics_meta(Graph *g)
{
    GraphMeta *m = &g->meta;
    const char *v;
    int ints[8];
    if ((v = graph_meta_prop(g, "task"))) m->task = v;
    if ((v = graph_meta_prop(g, "version"))) m->version = v;
    if ((v = graph_meta_prop(g, "date"))) m->date = v;
    if ((v = graph_meta_prop(g, "stride"))) {
        int n = py_int_list(v, ints, 8);
        if (n > 0) {
            m->n_strides = n;
            for (int i = 0; i < n; i++) m->strides[i] = ints[i];
        }
    }
    if ((v = graph_meta_prop(g, "imgsz"))) {
        int n = py_int_list(v, ints, 2);
        if (n == 1) m->imgsz[0] = m->imgsz[1] = ints[0];
        else if (n == 2) m->imgsz[0] = ints[0], m->imgsz[1] = ints[1];
    }
    if ((v = graph_meta_prop(g, "channels")) && py_int_list(v, ints, 1) == 1 && ints[0] > 0) m->channels = ints[0];
    if ((v = graph_meta_prop(g, "kpt_shape")) && py_int_list(v, ints, 2) == 2) {
        m->kpt_shape[0] = ints[0];
        m->kpt_shape[1] = ints[1];
    }
    if ((v = graph_meta_prop(g, "names"))) parse_names(g, v);
    if ((v = graph_meta_prop(g, "description"))) {
        /* "Ultralytics YOLOv8n model trained on coco.yaml" */
        const char *a = strstr(v, "Ultralytics "), *b = a ? strstr(a, " model") : NULL;
        if (a && b && b > a + 12) m->model_name = arena_strndup(g->arena, a + 12, (size_t)(b - a - 12));
        const char *on = strstr(v, " trained on ");
        if (on && on[12]) m->data = arena_strdup(g->arena, on + 12);
    }
}

static int build_graph(Reader *r, const Onnx__ModelProto *mp)
{
    Graph *g = r->g;
    const Onnx__GraphProto *gp = mp->graph;
    if (!gp) return rd_fail(r, "not a valid ONNX model: the ModelProto holds no graph");
    g->meta.source_format = FMT_ONNX;
    g->meta.source_path = arena_strdup(g->arena, r->name);
    g->meta.ir_version = mp->has_ir_version ? mp->ir_version : 0;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *os = mp->opset_import[i];
        if ((!os->domain || !*os->domain || !strcmp(os->domain, "ai.onnx")) && os->has_version)
            g->meta.opset = os->version;
    }
    r->opset = g->meta.opset;
    if (mp->producer_name && *mp->producer_name)
        g->meta.producer = mp->producer_version && *mp->producer_version
                               ? arena_printf(g->arena, "%s %s", mp->producer_name, mp->producer_version)
                               : arena_strdup(g->arena, mp->producer_name);
    r->graph_name = gp->name;

    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        if (!tp->name || !*tp->name) return rd_fail(r, "initializer %zu has no name", i);
        if (strmap_get(&r->tensors, tp->name) >= 0) return rd_fail(r, "initializer '%s' is defined twice", tp->name);
        int ti = load_tensor(r, tp, tp->name);
        if (ti < 0) return -1;
        strmap_put(&r->tensors, g->tensors[ti].name, ti);
        mark_defined(r, ti);
    }
    if (gp->n_sparse_initializer)
        return rd_fail(r, "sparse initializers ('%s') are not supported",
                       gp->sparse_initializer[0]->values ? nz(gp->sparse_initializer[0]->values->name) : "?");
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || !*vi->name) return rd_fail(r, "graph input %zu has no name", i);
        int ti = strmap_get(&r->tensors, vi->name);
        if (ti >= 0) {
            if (g->tensors[ti].data || g->tensors[ti].external) continue; /* IR < 4: initializers listed as inputs */
            return rd_fail(r, "graph input '%s' is listed twice", vi->name);
        }
        ti = graph_add_tensor(g, vi->name, DT_UNDEFINED, 0, NULL);
        strmap_put(&r->tensors, g->tensors[ti].name, ti);
        if (apply_value_info(r, ti, vi, true)) return -1;
        graph_add_input(g, ti);
        mark_defined(r, ti);
    }
    /* value_info shapes are applied as nodes create their outputs, so that shapes are
     * known while later nodes are read (the Softmax check) */
    r->gp = gp;
    for (size_t i = 0; i < gp->n_value_info && i < INT_MAX; i++)
        if (gp->value_info[i]->name && *gp->value_info[i]->name)
            strmap_put(&r->value_info, gp->value_info[i]->name, (int)i);
    for (size_t i = 0; i < gp->n_node; i++)
        if (read_node(r, gp->node[i], (int)i)) return -1;
    for (size_t i = 0; i < gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        int ti = vi->name ? strmap_get(&r->tensors, vi->name) : -1;
        if (ti < 0) return rd_fail(r, "graph output '%s' is never produced", nz(vi->name));
        if (apply_value_info(r, ti, vi, true)) return -1;
        graph_add_output(g, ti);
    }
    for (size_t i = 0; i < mp->n_metadata_props; i++) {
        const Onnx__StringStringEntryProto *kv = mp->metadata_props[i];
        if (kv->key) graph_meta_add_prop(g, kv->key, nz(kv->value));
    }
    parse_ultralytics_meta(g);
    graph_count_module_params(g);
    return 0;
}

static Graph *read_impl(const uint8_t *buf, size_t len, const char *name, const OnnxReadOptions *opt, char *err,
                        size_t errlen)
{
    Reader r = {.name = name ? name : "(memory)", .root_module = -1, .err = err, .errlen = errlen};
    if (opt) {
        r.base_dir = opt->base_dir;
        r.shapes_only = opt->shapes_only;
    }
    if (!buf || len == 0) {
        rd_fail(&r, "not a valid ONNX model (empty)");
        return NULL;
    }
    const char *why = wire_check(buf, len, &onnx__model_proto__descriptor, 0);
    if (why) {
        rd_fail(&r, "not a valid ONNX model (%s)", why);
        return NULL;
    }
    Unpacked *u = xcalloc(1, sizeof *u);
    u->alloc.alloc = budget_alloc;
    u->alloc.free = budget_free;
    u->alloc.allocator_data = u;
    /* generous for real models (data plus per-message structs), bounded for hostile ones */
    u->cap = (size_t)64 << 20;
    size_t extra;
    if (size_mul(len, 8, &extra) && extra < SIZE_MAX - u->cap) u->cap += extra;
    else u->cap = SIZE_MAX;
    u->model = onnx__model_proto__unpack(&u->alloc, len, buf);
    if (!u->model) {
        if (u->over_budget) membudget_refuse(err, errlen, r.name, "unpacking it", len);
        else if (u->exceeded) rd_fail(&r, "not a valid ONNX model (declared sizes exceed what the file can hold)");
        else rd_fail(&r, "not a valid ONNX model (protobuf decoding failed)");
        unpacked_free(u);
        return NULL;
    }
    r.g = graph_new();
    graph_adopt_blob(r.g, u, unpacked_free);
    int rc = build_graph(&r, u->model);
    strmap_free(&r.tensors);
    strmap_free(&r.modules);
    strmap_free(&r.value_info);
    free(r.defined);
    if (rc) {
        graph_free(r.g);
        return NULL;
    }
    return r.g;
}

Graph *onnx_read_buffer(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen)
{
    return read_impl(buf, len, name, NULL, err, errlen);
}

Graph *onnx_read_buffer_opts(const uint8_t *buf, size_t len, const char *name, const OnnxReadOptions *opt,
                             char *err, size_t errlen)
{
    return read_impl(buf, len, name, opt, err, errlen);
}

Graph *onnx_read_opts(const char *path, const OnnxReadOptions *opt, char *err, size_t errlen)
{
    /* map the file: protobuf-c copies what it keeps, so the bytes are needed only while
     * unpacking and the file is never copied whole */
    struct stat st;
    int fd = fileio_open_regular(path, &st, err, errlen); /* never blocks on a FIFO */
    if (fd < 0) return NULL;
    if ((uint64_t)st.st_size > ONNX_MAX_FILE) {
        err_set(err, errlen, "%s: file is too large for an ONNX model (%lld bytes, protobuf's limit is 2 GiB)", path,
                (long long)st.st_size);
        close(fd);
        return NULL;
    }
    size_t len = (size_t)st.st_size;
    void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (len && map == MAP_FAILED) {
        err_set(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    OnnxReadOptions o = opt ? *opt : (OnnxReadOptions){0};
    char *dir = NULL;
    if (!o.base_dir) {
        const char *slash = strrchr(path, '/');
        dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup(".");
        o.base_dir = dir;
    }
    Graph *g = read_impl((const uint8_t *)map, len, path, &o, err, errlen);
    if (len) munmap(map, len);
    free(dir);
    return g;
}

Graph *onnx_read(const char *path, char *err, size_t errlen) { return onnx_read_opts(path, NULL, err, errlen); }
