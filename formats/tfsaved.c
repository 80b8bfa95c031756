/* tfsaved: GraphDef and SavedModel writers and checks (see formats/tfsaved.h). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "formats/tfgraph.h"
#include "formats/tfsaved.h"
#include "formats/tfsaved_impl.h"

#define TF_GRAPHDEF_PRODUCER 1286 /* a TensorFlow 2 GraphDef version: ops as TensorFlow 2 defines them */
#define TFSAVED_MAX_FILE ((size_t)2 << 30)

typedef Tensorflow__DataType TfType;

static const struct {
    const char *name;
    TfType type;
    DType dt;
} tf_types[] = {
    {"DT_FLOAT", TENSORFLOW__DATA_TYPE__DT_FLOAT, DT_F32},   {"DT_INT32", TENSORFLOW__DATA_TYPE__DT_INT32, DT_I32},
    {"DT_BOOL", TENSORFLOW__DATA_TYPE__DT_BOOL, DT_BOOL},    {"DT_INT64", TENSORFLOW__DATA_TYPE__DT_INT64, DT_I64},
    {"DT_HALF", TENSORFLOW__DATA_TYPE__DT_HALF, DT_F16},     {"DT_UINT8", TENSORFLOW__DATA_TYPE__DT_UINT8, DT_U8},
    {"DT_INT8", TENSORFLOW__DATA_TYPE__DT_INT8, DT_I8},      {"DT_DOUBLE", TENSORFLOW__DATA_TYPE__DT_DOUBLE, DT_F64},
    {"DT_INT16", TENSORFLOW__DATA_TYPE__DT_INT16, DT_I16},   {"DT_UINT16", TENSORFLOW__DATA_TYPE__DT_UINT16, DT_U16},
    {"DT_UINT32", TENSORFLOW__DATA_TYPE__DT_UINT32, DT_U32}, {"DT_UINT64", TENSORFLOW__DATA_TYPE__DT_UINT64, DT_U64},
    {"DT_BFLOAT16", TENSORFLOW__DATA_TYPE__DT_BFLOAT16, DT_BF16},
};

static TfType type_of_name(const char *s)
{
    for (size_t i = 0; s && i < ARRAY_LEN(tf_types); i++)
        if (!strcmp(tf_types[i].name, s)) return tf_types[i].type;
    return TENSORFLOW__DATA_TYPE__DT_INVALID;
}

static size_t type_size(TfType t)
{
    for (size_t i = 0; i < ARRAY_LEN(tf_types); i++)
        if (tf_types[i].type == t) return dtype_size(tf_types[i].dt);
    return 0;
}

/* ---- JSON GraphDef -> protobuf ----------------------------------------------------------- */
typedef struct {
    Arena *a;
    const TfWeight *const *w; /* the Consts' data, found by name through weights */
    size_t n_w;
    StrMap weights; /* Const name -> index in w */
    Vec nodes;      /* Tensorflow__NodeDef * */
} Conv;

static void *zalloc(Arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

static int b64v(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static ProtobufCBinaryData b64_bytes(Arena *a, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    uint8_t *out = arena_alloc(a, n + 1);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        int v = b64v((unsigned char)s[i]);
        if (v < 0) break;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)((acc >> bits) & 0xff);
        }
    }
    return (ProtobufCBinaryData){o, out};
}

static Tensorflow__TensorShapeProto *shape_from_json(Arena *a, json_object *j)
{
    Tensorflow__TensorShapeProto *s = zalloc(a, sizeof *s);
    tensorflow__tensor_shape_proto__init(s);
    json_object *dim = tf_json_member(j, "dim");
    if (dim) {
        size_t n = tf_json_len(dim);
        s->n_dim = n;
        s->dim = zalloc(a, sizeof(*s->dim) * (n ? n : 1));
        for (size_t i = 0; i < n; i++) {
            Tensorflow__TensorShapeProto__Dim *d = zalloc(a, sizeof *d);
            tensorflow__tensor_shape_proto__dim__init(d);
            json_object *size = tf_json_member(json_object_array_get_idx(dim, i), "size");
            if (size) d->size = json_object_get_int64(size);
            s->dim[i] = d;
        }
    }
    return s;
}

/* A Const's value: dtype and shape from the JSON, the bytes from the weight (not copied). */
static Tensorflow__TensorProto *tensor_of(Conv *c, json_object *j, const char *node)
{
    Tensorflow__TensorProto *t = zalloc(c->a, sizeof *t);
    tensorflow__tensor_proto__init(t);
    t->dtype = type_of_name(tf_json_str(tf_json_member(j, "dtype")));
    t->tensor_shape = shape_from_json(c->a, tf_json_member(j, "tensorShape"));
    int wi = strmap_get(&c->weights, node);
    const TfWeight *w = wi >= 0 && (size_t)wi < c->n_w ? c->w[wi] : NULL;
    if (w) {
        t->tensor_content.len = w->nbytes;
        t->tensor_content.data = w->data;
    }
    return t;
}

static Tensorflow__AttrValue *attr_of(Conv *c, json_object *v, const char *node)
{
    Tensorflow__AttrValue *av = zalloc(c->a, sizeof *av);
    tensorflow__attr_value__init(av);
    json_object *x;
    if ((x = tf_json_member(v, "s"))) {
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_S;
        av->s = b64_bytes(c->a, tf_json_str(x));
    } else if ((x = tf_json_member(v, "i"))) {
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_I;
        av->i = json_object_get_int64(x);
    } else if ((x = tf_json_member(v, "f"))) {
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_F;
        av->f = (float)json_object_get_double(x);
    } else if ((x = tf_json_member(v, "b"))) {
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_B;
        av->b = json_object_get_boolean(x);
    } else if ((x = tf_json_member(v, "type"))) {
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TYPE;
        av->type = type_of_name(tf_json_str(x));
    } else if ((x = tf_json_member(v, "shape"))) {
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_SHAPE;
        av->shape = shape_from_json(c->a, x);
    } else if ((x = tf_json_member(v, "tensor"))) {
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TENSOR;
        av->tensor = tensor_of(c, x, node);
    } else if ((x = tf_json_member(v, "list"))) {
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_LIST;
        Tensorflow__AttrValue__ListValue *l = zalloc(c->a, sizeof *l);
        tensorflow__attr_value__list_value__init(l);
        json_object *arr;
        if ((arr = tf_json_member(x, "i"))) {
            l->n_i = tf_json_len(arr);
            l->i = zalloc(c->a, sizeof(int64_t) * (l->n_i ? l->n_i : 1));
            for (size_t k = 0; k < l->n_i; k++) l->i[k] = json_object_get_int64(json_object_array_get_idx(arr, k));
        }
        if ((arr = tf_json_member(x, "s"))) {
            l->n_s = tf_json_len(arr);
            l->s = zalloc(c->a, sizeof(ProtobufCBinaryData) * (l->n_s ? l->n_s : 1));
            for (size_t k = 0; k < l->n_s; k++) l->s[k] = b64_bytes(c->a, tf_json_str(json_object_array_get_idx(arr, k)));
        }
        if ((arr = tf_json_member(x, "f"))) {
            l->n_f = tf_json_len(arr);
            l->f = zalloc(c->a, sizeof(float) * (l->n_f ? l->n_f : 1));
            for (size_t k = 0; k < l->n_f; k++) l->f[k] = (float)json_object_get_double(json_object_array_get_idx(arr, k));
        }
        if ((arr = tf_json_member(x, "type"))) {
            l->n_type = tf_json_len(arr);
            l->type = zalloc(c->a, sizeof(TfType) * (l->n_type ? l->n_type : 1));
            for (size_t k = 0; k < l->n_type; k++) l->type[k] = type_of_name(tf_json_str(json_object_array_get_idx(arr, k)));
        }
        av->list = l;
    }
    return av;
}

static Tensorflow__NodeDef *new_node(Conv *c, const char *name, const char *op)
{
    Tensorflow__NodeDef *n = zalloc(c->a, sizeof *n);
    tensorflow__node_def__init(n);
    n->name = arena_strdup(c->a, name);
    n->op = arena_strdup(c->a, op);
    vec_push(&c->nodes, sizeof n, &n);
    return n;
}

static void add_input(Conv *c, Tensorflow__NodeDef *n, const char *ref)
{
    char **in = zalloc(c->a, sizeof(char *) * (n->n_input + 1));
    if (n->n_input) memcpy(in, n->input, sizeof(char *) * n->n_input);
    in[n->n_input++] = arena_strdup(c->a, ref);
    n->input = in;
}

static void add_attr(Conv *c, Tensorflow__NodeDef *n, const char *key, Tensorflow__AttrValue *v)
{
    Tensorflow__NodeDef__AttrEntry **at = zalloc(c->a, sizeof(*at) * (n->n_attr + 1));
    if (n->n_attr) memcpy(at, n->attr, sizeof(*at) * n->n_attr);
    Tensorflow__NodeDef__AttrEntry *e = zalloc(c->a, sizeof *e);
    tensorflow__node_def__attr_entry__init(e);
    e->key = arena_strdup(c->a, key);
    e->value = v;
    at[n->n_attr++] = e;
    n->attr = at;
}

/* A node of the JSON graph as TensorFlow writes it: fused convolutions split in two.  -1
 * when the node has no name or op, or its inputs are not strings. */
static int convert_node(Conv *c, json_object *jn)
{
    const char *name = tf_json_str(tf_json_member(jn, "name")), *op = tf_json_str(tf_json_member(jn, "op"));
    json_object *inputs = tf_json_member(jn, "input"), *attrs = tf_json_member(jn, "attr");
    if (!name || !op) return -1;
    if (attrs && !json_object_is_type(attrs, json_type_object)) attrs = NULL;
    size_t nin = tf_json_len(inputs);
    for (size_t i = 0; i < nin; i++)
        if (!tf_json_str(json_object_array_get_idx(inputs, i))) return -1;
    const char *plain = !strcmp(op, "_FusedConv2D") ? "Conv2D" : !strcmp(op, "FusedDepthwiseConv2dNative") ? "DepthwiseConv2dNative" : NULL;
    if (plain && nin == 3 && attrs) {
        const char *conv_name = arena_printf(c->a, "%s/%s", name, plain);
        Tensorflow__NodeDef *conv = new_node(c, conv_name, plain);
        for (size_t i = 0; i < 2; i++) add_input(c, conv, tf_json_str(json_object_array_get_idx(inputs, i)));
        json_object_object_foreach(attrs, key, val)
        {
            if (!strcmp(key, "num_args") || !strcmp(key, "fused_ops") || !strcmp(key, "epsilon") ||
                !strcmp(key, "leakyrelu_alpha"))
                continue;
            add_attr(c, conv, key, attr_of(c, val, name));
        }
        Tensorflow__NodeDef *bias = new_node(c, name, "BiasAdd");
        add_input(c, bias, conv_name);
        add_input(c, bias, tf_json_str(json_object_array_get_idx(inputs, 2)));
        json_object *t = tf_json_member(attrs, "T"), *df = tf_json_member(attrs, "data_format");
        if (t) add_attr(c, bias, "T", attr_of(c, t, name));
        if (df) add_attr(c, bias, "data_format", attr_of(c, df, name));
        return 0;
    }
    Tensorflow__NodeDef *n = new_node(c, name, op);
    for (size_t i = 0; i < nin; i++) add_input(c, n, tf_json_str(json_object_array_get_idx(inputs, i)));
    if (attrs) {
        json_object_object_foreach(attrs, key, val) add_attr(c, n, key, attr_of(c, val, name));
    }
    return 0;
}

static Tensorflow__GraphDef *graphdef_of(Conv *c, json_object *nodes)
{
    size_t nn = tf_json_len(nodes);
    for (size_t i = 0; i < nn; i++)
        if (convert_node(c, json_object_array_get_idx(nodes, i)) != 0) return NULL;
    Tensorflow__GraphDef *gd = zalloc(c->a, sizeof *gd);
    tensorflow__graph_def__init(gd);
    gd->n_node = c->nodes.len;
    gd->node = c->nodes.items;
    Tensorflow__VersionDef *v = zalloc(c->a, sizeof *v);
    tensorflow__version_def__init(v);
    v->producer = TF_GRAPHDEF_PRODUCER;
    gd->versions = v;
    return gd;
}

Tensorflow__GraphDef *tfsaved_graphdef_from_json(Arena *a, json_object *nodes, const TfWeight *const *w, size_t n_w,
                                                 Vec *keep)
{
    Conv c = {.a = a, .w = w, .n_w = n_w};
    c.weights.arena = a;
    for (size_t i = 0; i < n_w; i++)
        if (w[i] && w[i]->name) strmap_put(&c.weights, w[i]->name, (int)i);
    Tensorflow__GraphDef *gd = graphdef_of(&c, nodes);
    strmap_free(&c.weights);
    if (!gd) vec_free(&c.nodes);
    else *keep = c.nodes;
    return gd;
}

static void summarise(const Tensorflow__GraphDef *gd, TfSavedSummary *sum)
{
    sum->n_nodes = (int)gd->n_node;
    sum->n_consts = 0;
    sum->const_bytes = 0;
    for (size_t i = 0; i < gd->n_node; i++)
        if (!strcmp(gd->node[i]->op, "Const")) {
            sum->n_consts++;
            for (size_t k = 0; k < gd->node[i]->n_attr; k++) {
                const Tensorflow__AttrValue *v = gd->node[i]->attr[k]->value;
                if (v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TENSOR && v->tensor)
                    sum->const_bytes += (int64_t)v->tensor->tensor_content.len;
            }
        }
}

typedef struct {
    Tensorflow__GraphDef *gd;
    TfGraph *tg;
    const TfWeight **w;
    Arena *a;
    Vec nodes;
} Built;

static void built_free(Built *b)
{
    vec_free(&b->nodes);
    arena_free(b->a);
    free(b->w);
    tfgraph_free(b->tg);
}

static int build(Built *b, const Graph *g, const TfjsOptions *opt, char *err, size_t errlen)
{
    TfjsOptions o = {.input_name = opt && opt->input_name ? opt->input_name : TFJS_DEFAULT_INPUT};
    memset(b, 0, sizeof *b);
    b->tg = tfgraph_lower(g, &o, err, errlen);
    if (!b->tg) return -1;
    size_t n = tfgraph_n_weights(b->tg);
    b->w = xcalloc(n ? n : 1, sizeof *b->w);
    for (size_t i = 0; i < n; i++) b->w[i] = tfgraph_weight(b->tg, i);
    b->a = arena_new();
    b->gd = tfsaved_graphdef_from_json(b->a, tfgraph_nodes(b->tg), b->w, n, &b->nodes);
    if (!b->gd) { /* the lowering's own graph: cannot happen unless it is broken */
        built_free(b);
        return err_set(err, errlen, "the TensorFlow graph of the model is malformed");
    }
    return 0;
}

uint8_t *tfsaved_graphdef_buffer(const Graph *g, const TfjsOptions *opt, size_t *len, char *err, size_t errlen)
{
    Built b;
    if (build(&b, g, opt, err, errlen)) return NULL;
    size_t n = tensorflow__graph_def__get_packed_size(b.gd);
    uint8_t *out = xmalloc(n ? n : 1);
    tensorflow__graph_def__pack(b.gd, out);
    *len = n;
    built_free(&b);
    return out;
}

int tfsaved_write_pb(const Graph *g, const TfjsOptions *opt, const char *path, TfSavedSummary *sum, char *err,
                     size_t errlen)
{
    Built b;
    if (build(&b, g, opt, err, errlen)) return -1;
    size_t n = tensorflow__graph_def__get_packed_size(b.gd);
    if (n > ((size_t)2 << 30) - 1) {
        built_free(&b);
        return err_set(err, errlen, "%s: a GraphDef cannot pass 2 GiB (protobuf's limit)", path);
    }
    uint8_t *out = xmalloc(n ? n : 1);
    tensorflow__graph_def__pack(b.gd, out);
    if (sum) {
        memset(sum, 0, sizeof *sum);
        summarise(b.gd, sum);
    }
    built_free(&b);
    int rc = fileio_write_atomic(path, out, n, err, errlen);
    free(out);
    return rc;
}

static Tensorflow__TensorInfo *tensor_info(Arena *a, const char *name, json_object *sig)
{
    Tensorflow__TensorInfo *ti = zalloc(a, sizeof *ti);
    tensorflow__tensor_info__init(ti);
    ti->encoding_case = TENSORFLOW__TENSOR_INFO__ENCODING_NAME;
    ti->name = arena_strdup(a, name);
    json_object *dt, *sh;
    ti->dtype = json_object_object_get_ex(sig, "dtype", &dt) ? type_of_name(json_object_get_string(dt))
                                                             : TENSORFLOW__DATA_TYPE__DT_FLOAT;
    ti->tensor_shape = shape_from_json(a, json_object_object_get_ex(sig, "tensorShape", &sh) ? sh : NULL);
    return ti;
}

int tfsaved_write_dir(const Graph *g, const TfjsOptions *opt, const char *dir, TfSavedSummary *sum, char *err,
                      size_t errlen)
{
    Built b;
    if (build(&b, g, opt, err, errlen)) return -1;
    Arena *a = b.a;
    json_object *sig = tfgraph_signature(b.tg), *sin = json_object_object_get(sig, "inputs"),
                *sout = json_object_object_get(sig, "outputs");
    Tensorflow__SignatureDef *sd = zalloc(a, sizeof *sd);
    tensorflow__signature_def__init(sd);
    sd->method_name = "tensorflow/serving/predict";
    sd->n_inputs = (size_t)json_object_object_length(sin);
    sd->inputs = zalloc(a, sizeof(*sd->inputs) * (sd->n_inputs ? sd->n_inputs : 1));
    size_t k = 0;
    json_object_object_foreach(sin, iname, ival)
    {
        Tensorflow__SignatureDef__InputsEntry *e = zalloc(a, sizeof *e);
        tensorflow__signature_def__inputs_entry__init(e);
        e->key = arena_strdup(a, iname);
        json_object *nm = json_object_object_get(ival, "name");
        e->value = tensor_info(a, nm ? json_object_get_string(nm) : iname, ival);
        sd->inputs[k++] = e;
    }
    sd->n_outputs = (size_t)json_object_object_length(sout);
    sd->outputs = zalloc(a, sizeof(*sd->outputs) * (sd->n_outputs ? sd->n_outputs : 1));
    k = 0;
    json_object_object_foreach(sout, oname, oval)
    {
        Tensorflow__SignatureDef__OutputsEntry *e = zalloc(a, sizeof *e);
        tensorflow__signature_def__outputs_entry__init(e);
        e->key = arena_printf(a, "output_%zu", k);
        e->value = tensor_info(a, oname, oval);
        sd->outputs[k++] = e;
    }
    Tensorflow__MetaGraphDef__SignatureDefEntry *se = zalloc(a, sizeof *se);
    tensorflow__meta_graph_def__signature_def_entry__init(se);
    se->key = "serving_default";
    se->value = sd;
    Tensorflow__MetaGraphDef__MetaInfoDef *mi = zalloc(a, sizeof *mi);
    tensorflow__meta_graph_def__meta_info_def__init(mi);
    mi->n_tags = 1;
    mi->tags = zalloc(a, sizeof(char *));
    mi->tags[0] = "serve";
    mi->tensorflow_version = "yoloport " YOLOPORT_VERSION;
    Tensorflow__MetaGraphDef *mg = zalloc(a, sizeof *mg);
    tensorflow__meta_graph_def__init(mg);
    mg->meta_info_def = mi;
    mg->graph_def = b.gd;
    mg->n_signature_def = 1;
    mg->signature_def = zalloc(a, sizeof(*mg->signature_def));
    mg->signature_def[0] = se;
    Tensorflow__SavedModel sm = TENSORFLOW__SAVED_MODEL__INIT;
    sm.saved_model_schema_version = 1;
    sm.n_meta_graphs = 1;
    sm.meta_graphs = &mg;
    size_t n = tensorflow__saved_model__get_packed_size(&sm);
    int rc = 0;
    if (n > ((size_t)2 << 30) - 1) rc = err_set(err, errlen, "%s/saved_model.pb: a SavedModel cannot pass 2 GiB", dir);
    uint8_t *out = rc ? NULL : xmalloc(n ? n : 1);
    if (out) tensorflow__saved_model__pack(&sm, out);
    if (sum) {
        memset(sum, 0, sizeof *sum);
        summarise(b.gd, sum);
    }
    built_free(&b);
    if (!rc) {
        char *path = xasprintf("%s/saved_model.pb", dir);
        rc = fileio_write_atomic(path, out, n, err, errlen);
        free(path);
    }
    free(out);
    if (!rc) {
        char *vars = xasprintf("%s/variables", dir);
        if (mkdir(vars, 0755) != 0 && errno != EEXIST) rc = err_set(err, errlen, "%s: cannot create: %s", vars, strerror(errno));
        free(vars);
    }
    return rc;
}

/* ---- checks ------------------------------------------------------------------------------ */
static int check_graph(const Tensorflow__GraphDef *gd, const char *path, TfSavedSummary *sum, char *err, size_t errlen)
{
    StrMap names = {0};
    int rc = 0;
    for (size_t i = 0; i < gd->n_node && !rc; i++) {
        const Tensorflow__NodeDef *n = gd->node[i];
        if (!n->name || !*n->name || !n->op || !*n->op) rc = err_set(err, errlen, "%s: node %zu has no name or op", path, i);
        else {
            bool created;
            strmap_slot(&names, n->name, &created);
            if (!created) rc = err_set(err, errlen, "%s: two nodes are named %s", path, n->name);
        }
    }
    for (size_t i = 0; i < gd->n_node && !rc; i++) {
        const Tensorflow__NodeDef *n = gd->node[i];
        for (size_t k = 0; k < n->n_input && !rc; k++) {
            char ref[512];
            snprintf(ref, sizeof ref, "%s", n->input[k][0] == '^' ? n->input[k] + 1 : n->input[k]);
            char *colon = strrchr(ref, ':');
            if (colon) *colon = 0;
            if (strmap_get(&names, ref) < 0) rc = err_set(err, errlen, "%s: %s: input %s names no node", path, n->name, n->input[k]);
        }
        if (!rc && !strcmp(n->op, "Const")) {
            const Tensorflow__TensorProto *t = NULL;
            for (size_t k = 0; k < n->n_attr; k++)
                if (!strcmp(n->attr[k]->key, "value") && n->attr[k]->value &&
                    n->attr[k]->value->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TENSOR)
                    t = n->attr[k]->value->tensor;
            if (!t) {
                rc = err_set(err, errlen, "%s: %s: a Const without a tensor value", path, n->name);
                break;
            }
            uint64_t numel = 1;
            for (size_t d = 0; t->tensor_shape && d < t->tensor_shape->n_dim; d++) {
                int64_t s = t->tensor_shape->dim[d]->size;
                if (s < 0 || (s && numel > UINT64_MAX / (uint64_t)s)) {
                    numel = UINT64_MAX;
                    break;
                }
                numel *= (uint64_t)s;
            }
            size_t es = type_size(t->dtype);
            bool inline_vals = t->n_float_val || t->n_int_val || t->n_int64_val || t->n_bool_val || t->n_half_val;
            if (!es || (!inline_vals && (numel == UINT64_MAX || t->tensor_content.len != numel * es)))
                rc = err_set(err, errlen, "%s: %s: its tensor holds %zu bytes, its shape and type want %llu", path, n->name,
                             t->tensor_content.len, (unsigned long long)(numel == UINT64_MAX ? 0 : numel * es));
        }
    }
    strmap_free(&names);
    if (!rc && sum) summarise(gd, sum);
    return rc;
}

static bool graph_has(const Tensorflow__GraphDef *gd, const char *ref)
{
    char name[512];
    snprintf(name, sizeof name, "%s", ref);
    char *colon = strrchr(name, ':');
    if (colon) *colon = 0;
    for (size_t i = 0; i < gd->n_node; i++)
        if (!strcmp(gd->node[i]->name, name)) return true;
    return false;
}

int tfsaved_check_pb(const char *path, TfSavedSummary *sum, char *err, size_t errlen)
{
    size_t len;
    char *buf = file_read_all(path, TFSAVED_MAX_FILE, &len, err, errlen);
    if (!buf) return -1;
    Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, len, (const uint8_t *)buf);
    free(buf);
    if (!gd) return err_set(err, errlen, "%s: not a GraphDef (the protobuf does not parse)", path);
    if (sum) memset(sum, 0, sizeof *sum);
    int rc = check_graph(gd, path, sum, err, errlen);
    if (!rc && sum) {
        size_t o = 0;
        for (size_t i = 0; i < gd->n_node; i++) {
            if (!strcmp(gd->node[i]->op, "Placeholder") && !sum->input_key[0])
                snprintf(sum->input_key, sizeof sum->input_key, "%s", gd->node[i]->name);
            if (!strncmp(gd->node[i]->name, "Identity", 8) && o < sizeof sum->output_keys)
                o += (size_t)snprintf(sum->output_keys + o, sizeof sum->output_keys - o, "%s%s", o ? ", " : "", gd->node[i]->name);
        }
    }
    tensorflow__graph_def__free_unpacked(gd, NULL);
    return rc;
}

int tfsaved_check_dir(const char *dir, TfSavedSummary *sum, char *err, size_t errlen)
{
    char *path = xasprintf("%s/saved_model.pb", dir), *vars = xasprintf("%s/variables", dir);
    size_t len;
    char *buf = file_read_all(path, TFSAVED_MAX_FILE, &len, err, errlen);
    int rc = 0;
    Tensorflow__SavedModel *sm = buf ? tensorflow__saved_model__unpack(NULL, len, (const uint8_t *)buf) : NULL;
    free(buf);
    if (!buf) rc = -1;
    else if (!sm) rc = err_set(err, errlen, "%s: not a SavedModel (the protobuf does not parse)", path);
    else if (sm->n_meta_graphs != 1 || !sm->meta_graphs[0]->graph_def)
        rc = err_set(err, errlen, "%s: %zu meta graphs (one with a graph is written)", path, sm->n_meta_graphs);
    const Tensorflow__MetaGraphDef *mg = rc ? NULL : sm->meta_graphs[0];
    if (!rc) {
        bool serve = false;
        for (size_t i = 0; mg->meta_info_def && i < mg->meta_info_def->n_tags; i++) serve |= !strcmp(mg->meta_info_def->tags[i], "serve");
        if (!serve) rc = err_set(err, errlen, "%s: the meta graph is not tagged \"serve\"", path);
    }
    const Tensorflow__SignatureDef *sd = NULL;
    for (size_t i = 0; !rc && i < mg->n_signature_def; i++)
        if (!strcmp(mg->signature_def[i]->key, "serving_default")) sd = mg->signature_def[i]->value;
    if (!rc && !sd) rc = err_set(err, errlen, "%s: no serving_default signature", path);
    if (!rc) {
        if (sum) memset(sum, 0, sizeof *sum);
        rc = check_graph(mg->graph_def, path, sum, err, errlen);
    }
    for (size_t i = 0; !rc && i < sd->n_inputs; i++) {
        const Tensorflow__TensorInfo *ti = sd->inputs[i]->value;
        if (!ti || ti->encoding_case != TENSORFLOW__TENSOR_INFO__ENCODING_NAME || !graph_has(mg->graph_def, ti->name))
            rc = err_set(err, errlen, "%s: signature input %s names no node of the graph", path, sd->inputs[i]->key);
        else if (sum && i == 0) snprintf(sum->input_key, sizeof sum->input_key, "%s", sd->inputs[i]->key);
    }
    size_t o = 0;
    for (size_t i = 0; !rc && i < sd->n_outputs; i++) {
        const Tensorflow__TensorInfo *ti = sd->outputs[i]->value;
        if (!ti || ti->encoding_case != TENSORFLOW__TENSOR_INFO__ENCODING_NAME || !graph_has(mg->graph_def, ti->name))
            rc = err_set(err, errlen, "%s: signature output %s names no node of the graph", path, sd->outputs[i]->key);
        else if (sum && o < sizeof sum->output_keys)
            o += (size_t)snprintf(sum->output_keys + o, sizeof sum->output_keys - o, "%s%s", o ? ", " : "", sd->outputs[i]->key);
    }
    if (!rc && !file_is_dir(vars)) rc = err_set(err, errlen, "%s: missing", vars);
    if (sm) tensorflow__saved_model__free_unpacked(sm, NULL);
    free(path);
    free(vars);
    return rc;
}

/* ---- recognisers ------------------------------------------------------------------------- */
/* A protobuf varint at p (n bytes left): the value, bytes used in *used (0 when malformed). */
static uint64_t varint(const uint8_t *p, size_t n, size_t *used)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < 10; i++) {
        v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *used = i + 1;
            return v;
        }
    }
    *used = 0;
    return 0;
}

/* Up to len bytes of fd's start into buf (fd closed); the count read. */
int tfsaved_sniff_pb(const char *path)
{
    uint8_t head[4096];
    size_t n = fileio_read_head(fileio_open_regular(path, NULL, NULL, 0), head, sizeof head); /* never blocks */
    /* GraphDef.node (field 1, length-delimited) holding NodeDef.name (1) then NodeDef.op (2) */
    if (n < 6 || head[0] != 0x0a) return 0;
    size_t u;
    uint64_t node_len = varint(head + 1, n - 1, &u);
    if (!u || node_len < 4) return 0;
    size_t p = 1 + u;
    if (p >= n || head[p] != 0x0a) return 0;
    uint64_t name_len = varint(head + p + 1, n - p - 1, &u);
    if (!u || name_len == 0 || name_len > node_len) return 0;
    p += 1 + u + (size_t)name_len;
    return p < n && head[p] == 0x12;
}

int tfsaved_sniff_saved_model(const char *path)
{
    if (!file_is_dir(path)) return 0; /* the format is the directory (its .pb alone opens like an ONNX file) */
    /* the folder's own file: no link followed, never a FIFO */
    uint8_t head[16];
    size_t n = fileio_read_head(fileio_open_beside(path, "saved_model.pb", NULL, NULL, 0), head, sizeof head);
    /* SavedModel: saved_model_schema_version (field 1, varint) then meta_graphs (2, length-delimited) */
    size_t u;
    if (n < 4 || head[0] != 0x08) return 0;
    varint(head + 1, n - 1, &u);
    return u && 1 + u < n && head[1 + u] == 0x12;
}
