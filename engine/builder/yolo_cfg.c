/* yolo_cfg: model configs (share/models/NAME.yaml, Ultralytics layout) -> ModTree.
 * Does what the peer's parse_model does — depth/width scaling, make_divisible, the
 * repeat-module rules, C3k forced for the m/l/x sizes, Detect's legacy head for models
 * without C3k2 — and builds each layer's module objects as the peer's classes would,
 * with deterministic weights (see yolo.h). */
#include "engine/builder/yolo_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "engine/core/membudget.h"
#include "engine/core/paths.h"
#include "engine/core/yamlguard.h"

#define MAX_CFG_BYTES (4u << 20)
#define MAX_ROWS 1024
/* What a config may describe, checked before anything is built (the peer's largest models
 * stay far below): channels of any layer, repeats of a row after depth scaling, modules in
 * all, elements of one tensor and parameters in all. */
#define MAX_CHANNELS 65536
#define MAX_REPEATS 256
#define MAX_NODES (1 << 17)
#define MAX_TENSOR_ELEMS ((int64_t)1 << 31)
#define MAX_PARAMS ((int64_t)1 << 36)
#define MAX_ARGS 8
#define MAX_FROM 16
#define WEIGHT_SEED 0x59504f5254ull /* "YPORT" */

/* ---- YAML access ---- */

typedef struct {
    yaml_document_t doc;
    bool loaded;
} Yaml;

static yaml_node_t *ynode(Yaml *y, int id)
{
    return id ? yaml_document_get_node(&y->doc, id) : NULL;
}

static yaml_node_t *ymap_get(Yaml *y, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = ynode(y, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key)) return ynode(y, p->value);
    }
    return NULL;
}

static int yseq_len(yaml_node_t *n)
{
    return n && n->type == YAML_SEQUENCE_NODE ? (int)(n->data.sequence.items.top - n->data.sequence.items.start) : -1;
}

static yaml_node_t *yseq_at(Yaml *y, yaml_node_t *n, int i)
{
    return ynode(y, n->data.sequence.items.start[i]);
}

static const char *yscalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool parse_num(const char *s, double *out)
{
    if (!s || !*s) return false;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v)) return false;
    *out = v;
    return true;
}

static int yaml_load(Yaml *y, const char *text, size_t len, char *why, size_t whylen)
{
    if (yamlguard_check(text, len, why, whylen) != 0) return -1; /* before libyaml */
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return err_set(why, whylen, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int ok = yaml_parser_load(&p, &y->doc);
    if (!ok) {
        err_set(why, whylen, "not valid YAML (line %zu: %s)", p.problem_mark.line + 1,
                p.problem ? p.problem : "syntax error");
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_parser_delete(&p);
    y->loaded = true;
    return 0;
}

static void yaml_unload(Yaml *y)
{
    if (y->loaded) yaml_document_delete(&y->doc);
    y->loaded = false;
}

bool yolo_cfg_sniff_why(const char *text, size_t len, char *why, size_t whylen)
{
    if (!text || !len) {
        err_set(why, whylen, "empty");
        return false;
    }
    if (memchr(text, '\0', len)) {
        err_set(why, whylen, "binary data");
        return false;
    }
    Yaml y = {0};
    if (yaml_load(&y, text, len, why, whylen)) return false;
    yaml_node_t *root = yaml_document_get_root_node(&y.doc);
    bool ok = root && root->type == YAML_MAPPING_NODE && ymap_get(&y, root, "backbone") && ymap_get(&y, root, "head");
    if (!ok && root && root->type == YAML_MAPPING_NODE)
        err_set(why, whylen, "a YAML file without 'backbone' and 'head' (a dataset or other config, not a model)");
    else if (!ok)
        err_set(why, whylen, "text that is not a model config");
    yaml_unload(&y);
    return ok;
}

bool yolo_cfg_sniff(const char *text, size_t len)
{
    return yolo_cfg_sniff_why(text, len, NULL, 0);
}

/* ---- arguments ---- */

typedef enum { AV_NONE, AV_INT, AV_FLOAT, AV_BOOL, AV_STR, AV_LIST } ArgKind;
typedef struct {
    ArgKind kind;
    int64_t i;
    double f;
    const char *s;
    int64_t list[4];
    int n;
} Arg;

typedef struct {
    ModTree *t;
    bool with_data;
    const char *file;     /* for messages */
    char *err;
    size_t errlen;
    bool failed;
    int next_uid;
    ModNode *silu;        /* Conv.default_act: one object shared by every Conv */
    int nc;
    int64_t kpt_shape[2];
    bool has_kpt;
    double depth, width, max_channels;
    char scale;
    bool legacy;
    ModNode *detect;      /* the head, for bias_init */
    double head_strides[8];
    int n_head;
    int n_nodes;          /* modules made so far (MAX_NODES) */
    int64_t n_params;     /* elements of every parameter so far (MAX_PARAMS) */
} Cfg;

static int cfg_fail(Cfg *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cfg_fail(Cfg *c, const char *fmt, ...)
{
    if (c->failed) return -1;
    c->failed = true;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(c->err, c->errlen, "%s: %s", c->file, msg);
}

static int arg_from_scalar(Cfg *c, const char *s, Arg *a)
{
    memset(a, 0, sizeof *a);
    double d;
    int64_t i;
    if (!strcmp(s, "True") || !strcmp(s, "true")) {
        a->kind = AV_BOOL;
        a->i = 1;
    } else if (!strcmp(s, "False") || !strcmp(s, "false")) {
        a->kind = AV_BOOL;
    } else if (!strcmp(s, "None") || !strcmp(s, "null") || !strcmp(s, "~") || !*s) {
        a->kind = AV_NONE;
    } else if (str_to_i64(s, &i)) {
        a->kind = AV_INT;
        a->i = i;
    } else if (parse_num(s, &d)) {
        a->kind = AV_FLOAT;
        a->f = d;
    } else if (!strcmp(s, "nc")) {
        a->kind = AV_INT;
        a->i = c->nc;
    } else if (!strcmp(s, "kpt_shape")) {
        if (!c->has_kpt) return cfg_fail(c, "an argument names kpt_shape, but the config has none");
        a->kind = AV_LIST;
        a->list[0] = c->kpt_shape[0];
        a->list[1] = c->kpt_shape[1];
        a->n = 2;
    } else {
        a->kind = AV_STR;
        a->s = s;
    }
    return 0;
}

static int arg_from_node(Cfg *c, Yaml *y, yaml_node_t *n, Arg *a)
{
    const char *s = yscalar(n);
    if (s) return arg_from_scalar(c, s, a);
    int len = yseq_len(n);
    if (len < 0 || len > 4) return cfg_fail(c, "an argument is neither a value nor a short list");
    memset(a, 0, sizeof *a);
    a->kind = AV_LIST;
    a->n = len;
    for (int k = 0; k < len; k++)
        if (!str_to_i64(yscalar(yseq_at(y, n, k)), &a->list[k])) return cfg_fail(c, "a list argument holds a non-integer");
    return 0;
}

static bool arg_int(const Arg *a, int64_t *out)
{
    if (a->kind == AV_INT) *out = a->i;
    else if (a->kind == AV_BOOL) *out = a->i;
    else if (a->kind == AV_FLOAT && a->f == floor(a->f)) *out = (int64_t)a->f;
    else return false;
    return true;
}

/* ---- weights ---- */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t seed_of(const char *path, const char *name)
{
    uint64_t h = 1469598103934665603ull ^ WEIGHT_SEED;
    for (const char *s = path; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h = (h ^ '.') * 1099511628211ull;
    for (const char *s = name; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

typedef enum { INIT_UNIFORM, INIT_ONES, INIT_ZEROS, INIT_ARANGE } Init;

/* Add a float32 tensor; with data it is synthesized (uniform in +-bound for INIT_UNIFORM). */
static ModTensor *add_tensor(Cfg *c, ModNode *n, const char *name, int rank, const int64_t *dims, Init init,
                             double bound, bool is_buffer, bool requires_grad)
{
    float *data = NULL;
    int64_t numel = 0;
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0 || dims[i] > MAX_CHANNELS * 16) numel = -1;
    if (numel < 0 || !dims_product(dims, rank, &numel) || numel > MAX_TENSOR_ELEMS) {
        cfg_fail(c, "tensor %s.%s would be too large", n->path, name);
        numel = 0;
    } else if (!is_buffer && (__builtin_add_overflow(c->n_params, numel, &c->n_params) || c->n_params > MAX_PARAMS)) {
        cfg_fail(c, "the model would have more than %lld parameters", (long long)MAX_PARAMS);
        numel = 0;
    }
    if (c->with_data && !c->failed) {
        char why[400];
        data = membudget_alloc(sizeof(float) * (uint64_t)(numel ? numel : 1), NULL, NULL, why, sizeof why);
        if (!data) {
            cfg_fail(c, "tensor %s.%s %s", n->path, name, why);
            return modtree_add_tensor(c->t, n, name, DT_F32, rank, dims, NULL, is_buffer, requires_grad);
        }
        uint64_t st = seed_of(n->path, name);
        for (int64_t i = 0; i < numel; i++) {
            switch (init) {
            case INIT_UNIFORM: {
                double u = (double)(splitmix(&st) >> 11) * (1.0 / 9007199254740992.0);
                data[i] = (float)((2.0 * u - 1.0) * bound);
                break;
            }
            case INIT_ONES: data[i] = 1.f; break;
            case INIT_ZEROS: data[i] = 0.f; break;
            case INIT_ARANGE: data[i] = (float)i; break;
            }
        }
        modtree_adopt_blob(c->t, data, membudget_free);
    }
    return modtree_add_tensor(c->t, n, name, DT_F32, rank, dims, data, is_buffer, requires_grad);
}

/* ---- module objects ---- */

static ModNode *node_new(Cfg *c, ModNode *parent, const char *name, const char *type)
{
    if (++c->n_nodes > MAX_NODES) cfg_fail(c, "the model would have more than %d modules", MAX_NODES);
    const char *path = parent ? (parent->path[0] ? arena_printf(c->t->arena, "%s.%s", parent->path, name) : name) : "";
    ModNode *n = modtree_node(c->t, name, path, type, c->next_uid++);
    n->module = "ultralytics.nn.modules";
    if (parent) modtree_add_child(c->t, parent, n);
    return n;
}

static void attr_int(Cfg *c, ModNode *n, const char *name, int64_t v)
{
    modtree_add_attr(c->t, n, name, MA_INT)->i = v;
}

static void attr_bool(Cfg *c, ModNode *n, const char *name, bool v)
{
    modtree_add_attr(c->t, n, name, MA_BOOL)->i = v;
}

static void attr_float(Cfg *c, ModNode *n, const char *name, double v)
{
    modtree_add_attr(c->t, n, name, MA_FLOAT)->f = v;
}

static void attr_str(Cfg *c, ModNode *n, const char *name, const char *v)
{
    modtree_add_attr(c->t, n, name, MA_STR)->s = arena_strdup(c->t->arena, v);
}

static void attr_ints(Cfg *c, ModNode *n, const char *name, const int64_t *v, int count)
{
    ModAttr *a = modtree_add_attr(c->t, n, name, MA_INTS);
    a->ints = arena_alloc(c->t->arena, sizeof(int64_t) * (size_t)count);
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)count);
    a->count = count;
}

static void attr_pair(Cfg *c, ModNode *n, const char *name, int64_t v)
{
    int64_t p[2] = {v, v};
    attr_ints(c, n, name, p, 2);
}

static ModNode *mk_conv2d(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s,
                          int64_t p, int64_t g, int64_t d, bool bias)
{
    if (g <= 0 || c1 % g || c2 % g) {
        cfg_fail(c, "%s: %lld and %lld channels do not divide into %lld groups", parent->path, (long long)c1,
                 (long long)c2, (long long)g);
        g = 1;
    }
    ModNode *n = node_new(c, parent, name, "Conv2d");
    n->module = "torch.nn.modules.conv";
    attr_int(c, n, "in_channels", c1);
    attr_int(c, n, "out_channels", c2);
    attr_pair(c, n, "kernel_size", k);
    attr_pair(c, n, "stride", s);
    attr_pair(c, n, "padding", p);
    attr_pair(c, n, "dilation", d);
    attr_int(c, n, "groups", g);
    attr_str(c, n, "padding_mode", "zeros");
    int64_t wd[4] = {c2, c1 / g, k, k};
    /* He-uniform weights: with torch's default init the activations of an untrained model
     * fade to ~1e-9 by the head, so its outputs hardly depend on the input and export checks
     * would prove little; larger gains overflow float16 through the residual sums */
    double fan_in = (double)(c1 / g * k * k);
    add_tensor(c, n, "weight", 4, wd, INIT_UNIFORM, sqrt(6.0 / fan_in), false, true);
    if (bias) add_tensor(c, n, "bias", 1, &c2, INIT_UNIFORM, 1.0 / sqrt(fan_in), false, true);
    return n;
}

static ModNode *mk_bn(Cfg *c, ModNode *parent, int64_t ch)
{
    ModNode *n = node_new(c, parent, "bn", "BatchNorm2d");
    n->module = "torch.nn.modules.batchnorm";
    attr_int(c, n, "num_features", ch);
    attr_float(c, n, "eps", 0.001);
    attr_float(c, n, "momentum", 0.03);
    add_tensor(c, n, "weight", 1, &ch, INIT_ONES, 0, false, true);
    add_tensor(c, n, "bias", 1, &ch, INIT_ZEROS, 0, false, true);
    add_tensor(c, n, "running_mean", 1, &ch, INIT_ZEROS, 0, true, false);
    add_tensor(c, n, "running_var", 1, &ch, INIT_ONES, 0, true, false);
    return n;
}

/* Conv(c1, c2, k, s, p=autopad, g, d, act): conv + bn + act (the shared SiLU, or a new
 * Identity when act is off). */
static ModNode *mk_conv_typed(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t c1, int64_t c2,
                              int64_t k, int64_t s, int64_t p, int64_t g, bool act)
{
    ModNode *n = node_new(c, parent, name, type);
    if (p < 0) p = k / 2;
    mk_conv2d(c, n, "conv", c1, c2, k, s, p, g, 1, false);
    mk_bn(c, n, c2);
    if (act) {
        modtree_add_child(c->t, n, c->silu);
    } else {
        ModNode *id = node_new(c, n, "act", "Identity");
        id->module = "torch.nn.modules.linear";
    }
    return n;
}

static ModNode *mk_conv(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s,
                        int64_t g, bool act)
{
    return mk_conv_typed(c, parent, name, "Conv", c1, c2, k, s, -1, g, act);
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static ModNode *mk_dwconv(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s)
{
    return mk_conv_typed(c, parent, name, "DWConv", c1, c2, k, s, -1, gcd64(c1, c2), true);
}

static ModNode *mk_seq(Cfg *c, ModNode *parent, const char *name)
{
    ModNode *n = node_new(c, parent, name, "Sequential");
    n->module = "torch.nn.modules.container";
    return n;
}

static ModNode *mk_list(Cfg *c, ModNode *parent, const char *name)
{
    ModNode *n = node_new(c, parent, name, "ModuleList");
    n->module = "torch.nn.modules.container";
    return n;
}

static const char *idx_name(Cfg *c, int i)
{
    return arena_printf(c->t->arena, "%d", i);
}

/* A channel count a config computes (c2 * e, a scaled width): 0..MAX_CHANNELS, else the
 * build fails naming it and 1 is used while the failure unwinds. */
static int64_t cfg_channels(Cfg *c, double v, const char *what)
{
    if (!(v >= 0 && v <= MAX_CHANNELS)) {
        cfg_fail(c, "%s would have %g channels (at most %d)", what, v, MAX_CHANNELS);
        return 1;
    }
    return (int64_t)v;
}

static ModNode *mk_bottleneck(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, bool shortcut,
                              int64_t g, int64_t k1, int64_t k2, double e)
{
    ModNode *n = node_new(c, parent, name, "Bottleneck");
    int64_t c_ = cfg_channels(c, (double)c2 * e, n->path);
    mk_conv(c, n, "cv1", c1, c_, k1, 1, 1, true);
    mk_conv(c, n, "cv2", c_, c2, k2, 1, g, true);
    attr_bool(c, n, "add", shortcut && c1 == c2);
    return n;
}

static ModNode *mk_c3(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t c1, int64_t c2, int64_t nrep,
                      bool shortcut, int64_t g, double e, int64_t k)
{
    ModNode *n = node_new(c, parent, name, type);
    int64_t c_ = cfg_channels(c, (double)c2 * e, n->path);
    mk_conv(c, n, "cv1", c1, c_, 1, 1, 1, true);
    mk_conv(c, n, "cv2", c1, c_, 1, 1, 1, true);
    mk_conv(c, n, "cv3", 2 * c_, c2, 1, 1, 1, true);
    ModNode *m = mk_seq(c, n, "m");
    bool c3k = !strcmp(type, "C3k");
    for (int i = 0; i < nrep; i++)
        mk_bottleneck(c, m, idx_name(c, i), c_, c_, shortcut, g, c3k ? k : 1, c3k ? k : 3, 1.0);
    return n;
}

/* C2f (and C3k2, which is a C2f whose blocks are C3k or e=0.5 Bottlenecks). */
static ModNode *mk_c2f(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t c1, int64_t c2,
                       int64_t nrep, bool shortcut, int64_t g, double e, bool c3k)
{
    ModNode *n = node_new(c, parent, name, type);
    int64_t ch = cfg_channels(c, (double)c2 * e, n->path);
    attr_int(c, n, "c", ch);
    mk_conv(c, n, "cv1", c1, 2 * ch, 1, 1, 1, true);
    mk_conv(c, n, "cv2", (2 + nrep) * ch, c2, 1, 1, 1, true);
    ModNode *m = mk_list(c, n, "m");
    bool k2 = !strcmp(type, "C3k2");
    for (int i = 0; i < nrep; i++) {
        if (k2 && c3k) mk_c3(c, m, idx_name(c, i), "C3k", ch, ch, 2, shortcut, g, 0.5, 3);
        else if (k2) mk_bottleneck(c, m, idx_name(c, i), ch, ch, shortcut, g, 3, 3, 0.5);
        else mk_bottleneck(c, m, idx_name(c, i), ch, ch, shortcut, g, 3, 3, 1.0);
    }
    return n;
}

static ModNode *mk_c2(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t nrep, bool shortcut,
                      int64_t g, double e)
{
    ModNode *n = node_new(c, parent, name, "C2");
    int64_t ch = cfg_channels(c, (double)c2 * e, n->path);
    attr_int(c, n, "c", ch);
    mk_conv(c, n, "cv1", c1, 2 * ch, 1, 1, 1, true);
    mk_conv(c, n, "cv2", 2 * ch, c2, 1, 1, 1, true);
    ModNode *m = mk_seq(c, n, "m");
    for (int i = 0; i < nrep; i++) mk_bottleneck(c, m, idx_name(c, i), ch, ch, shortcut, g, 3, 3, 1.0);
    return n;
}

static ModNode *mk_sppf(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k)
{
    ModNode *n = node_new(c, parent, name, "SPPF");
    int64_t c_ = c1 / 2;
    mk_conv(c, n, "cv1", c1, c_, 1, 1, 1, true);
    mk_conv(c, n, "cv2", c_ * 4, c2, 1, 1, 1, true);
    ModNode *m = node_new(c, n, "m", "MaxPool2d");
    m->module = "torch.nn.modules.pooling";
    attr_int(c, m, "kernel_size", k);
    attr_int(c, m, "stride", 1);
    attr_int(c, m, "padding", k / 2);
    attr_int(c, m, "dilation", 1);
    attr_bool(c, m, "ceil_mode", false);
    return n;
}

static ModNode *mk_attention(Cfg *c, ModNode *parent, int64_t dim, int64_t heads, double attn_ratio)
{
    ModNode *n = node_new(c, parent, "attn", "Attention");
    int64_t hd = dim / heads, kd = (int64_t)(hd * attn_ratio);
    attr_int(c, n, "num_heads", heads);
    attr_int(c, n, "head_dim", hd);
    attr_int(c, n, "key_dim", kd);
    attr_float(c, n, "scale", pow((double)kd, -0.5));
    mk_conv(c, n, "qkv", dim, dim + 2 * kd * heads, 1, 1, 1, false);
    mk_conv(c, n, "proj", dim, dim, 1, 1, 1, false);
    mk_conv(c, n, "pe", dim, dim, 3, 1, dim, false);
    return n;
}

static ModNode *mk_c2psa(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t nrep, double e)
{
    if (c1 != c2) cfg_fail(c, "C2PSA needs equal input and output channels (%lld vs %lld)", (long long)c1, (long long)c2);
    ModNode *n = node_new(c, parent, name, "C2PSA");
    int64_t ch = cfg_channels(c, (double)c1 * e, n->path);
    if (ch < 64) cfg_fail(c, "C2PSA with %lld channels has no attention heads (needs at least 64 per branch)", (long long)ch);
    attr_int(c, n, "c", ch);
    mk_conv(c, n, "cv1", c1, 2 * ch, 1, 1, 1, true);
    mk_conv(c, n, "cv2", 2 * ch, c1, 1, 1, 1, true);
    ModNode *m = mk_seq(c, n, "m");
    for (int i = 0; i < nrep && !c->failed; i++) {
        ModNode *blk = node_new(c, m, idx_name(c, i), "PSABlock");
        attr_bool(c, blk, "add", true);
        mk_attention(c, blk, ch, ch / 64, 0.5);
        ModNode *ffn = mk_seq(c, blk, "ffn");
        mk_conv(c, ffn, "0", ch, ch * 2, 1, 1, 1, true);
        mk_conv(c, ffn, "1", ch * 2, ch, 1, 1, 1, false);
    }
    return n;
}

static ModNode *mk_upsample(Cfg *c, ModNode *parent, const char *name, double scale, const char *mode)
{
    ModNode *n = node_new(c, parent, name, "Upsample");
    n->module = "torch.nn.modules.upsampling";
    attr_float(c, n, "scale_factor", scale);
    attr_str(c, n, "mode", mode);
    return n;
}

/* Detect and its subclasses' shared part: cv2 (box), cv3 (class), dfl. */
static void mk_detect_common(Cfg *c, ModNode *n, int nc, const int64_t *ch, int nl)
{
    const int64_t reg_max = 16;
    attr_int(c, n, "nc", nc);
    attr_int(c, n, "nl", nl);
    attr_int(c, n, "reg_max", reg_max);
    attr_int(c, n, "no", nc + 4 * reg_max);
    int64_t c2 = ch[0] / 4;
    if (c2 < 16) c2 = 16;
    if (c2 < 4 * reg_max) c2 = 4 * reg_max;
    int64_t c3 = ch[0] > (nc < 100 ? nc : 100) ? ch[0] : (nc < 100 ? nc : 100);
    ModNode *cv2 = mk_list(c, n, "cv2");
    for (int i = 0; i < nl; i++) {
        ModNode *s = mk_seq(c, cv2, idx_name(c, i));
        mk_conv(c, s, "0", ch[i], c2, 3, 1, 1, true);
        mk_conv(c, s, "1", c2, c2, 3, 1, 1, true);
        mk_conv2d(c, s, "2", c2, 4 * reg_max, 1, 1, 0, 1, 1, true);
    }
    ModNode *cv3 = mk_list(c, n, "cv3");
    for (int i = 0; i < nl; i++) {
        ModNode *s = mk_seq(c, cv3, idx_name(c, i));
        if (c->legacy) {
            mk_conv(c, s, "0", ch[i], c3, 3, 1, 1, true);
            mk_conv(c, s, "1", c3, c3, 3, 1, 1, true);
        } else {
            ModNode *a = mk_seq(c, s, "0");
            mk_dwconv(c, a, "0", ch[i], ch[i], 3, 1);
            mk_conv(c, a, "1", ch[i], c3, 1, 1, 1, true);
            ModNode *b2 = mk_seq(c, s, "1");
            mk_dwconv(c, b2, "0", c3, c3, 3, 1);
            mk_conv(c, b2, "1", c3, c3, 1, 1, 1, true);
        }
        mk_conv2d(c, s, "2", c3, nc, 1, 1, 0, 1, 1, true);
    }
    ModNode *dfl = node_new(c, n, "dfl", "DFL");
    attr_int(c, dfl, "c1", reg_max);
    ModNode *conv = node_new(c, dfl, "conv", "Conv2d");
    conv->module = "torch.nn.modules.conv";
    attr_int(c, conv, "in_channels", reg_max);
    attr_int(c, conv, "out_channels", 1);
    attr_pair(c, conv, "kernel_size", 1);
    attr_pair(c, conv, "stride", 1);
    attr_pair(c, conv, "padding", 0);
    attr_pair(c, conv, "dilation", 1);
    attr_int(c, conv, "groups", 1);
    int64_t wd[4] = {1, reg_max, 1, 1};
    add_tensor(c, conv, "weight", 4, wd, INIT_ARANGE, 0, false, false);
}

/* cv4-style per-level branch: Conv(x, c4, 3), Conv(c4, c4, 3), Conv2d(c4, out, 1). */
static void mk_level_branch(Cfg *c, ModNode *n, const char *name, const int64_t *ch, int nl, int64_t c4, int64_t out)
{
    ModNode *list = mk_list(c, n, name);
    for (int i = 0; i < nl; i++) {
        ModNode *s = mk_seq(c, list, idx_name(c, i));
        mk_conv(c, s, "0", ch[i], c4, 3, 1, 1, true);
        mk_conv(c, s, "1", c4, c4, 3, 1, 1, true);
        mk_conv2d(c, s, "2", c4, out, 1, 1, 0, 1, 1, true);
    }
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static ModNode *mk_head(Cfg *c, ModNode *parent, const char *name, const char *type, const Arg *args, int nargs,
                        const int64_t *ch, int nl)
{
    ModNode *n = node_new(c, parent, name, type);
    int64_t nc;
    if (nargs < 1 || !arg_int(&args[0], &nc) || nc <= 0 || nc > 100000) {
        cfg_fail(c, "%s needs a positive class count as its first argument", type);
        return n;
    }
    mk_detect_common(c, n, (int)nc, ch, nl);
    if (!strcmp(type, "Segment")) {
        int64_t nm = 32, npr = 256;
        if (nargs > 1 && !arg_int(&args[1], &nm)) cfg_fail(c, "Segment mask count is not an integer");
        if (nargs > 2 && !arg_int(&args[2], &npr)) cfg_fail(c, "Segment prototype width is not an integer");
        if (nm < 1 || nm > MAX_CHANNELS || npr < 1 || npr > MAX_CHANNELS)
            cfg_fail(c, "Segment needs 1 to %d masks and prototype channels", MAX_CHANNELS);
        /* parse_model scales the prototype width like any channel count */
        double w = (npr < c->max_channels ? (double)npr : c->max_channels) * c->width;
        npr = cfg_channels(c, ceil(w / 8) * 8, "Segment's prototype");
        attr_int(c, n, "nm", nm);
        attr_int(c, n, "npr", npr);
        ModNode *p = node_new(c, n, "proto", "Proto");
        mk_conv(c, p, "cv1", ch[0], npr, 3, 1, 1, true);
        ModNode *up = node_new(c, p, "upsample", "ConvTranspose2d");
        up->module = "torch.nn.modules.conv";
        attr_int(c, up, "in_channels", npr);
        attr_int(c, up, "out_channels", npr);
        attr_pair(c, up, "kernel_size", 2);
        attr_pair(c, up, "stride", 2);
        attr_pair(c, up, "padding", 0);
        attr_pair(c, up, "output_padding", 0);
        attr_pair(c, up, "dilation", 1);
        attr_int(c, up, "groups", 1);
        int64_t wd[4] = {npr, npr, 2, 2};
        double bound = 1.0 / sqrt((double)(npr * 4));
        add_tensor(c, up, "weight", 4, wd, INIT_UNIFORM, bound, false, true);
        add_tensor(c, up, "bias", 1, &npr, INIT_UNIFORM, bound, false, true);
        mk_conv(c, p, "cv2", npr, npr, 3, 1, 1, true);
        mk_conv(c, p, "cv3", npr, nm, 1, 1, 1, true);
        mk_level_branch(c, n, "cv4", ch, nl, max64(ch[0] / 4, nm), nm);
    } else if (!strcmp(type, "Pose")) {
        int64_t ks[2] = {17, 3};
        if (nargs > 1) {
            if (args[1].kind != AV_LIST || args[1].n != 2) cfg_fail(c, "Pose needs kpt_shape as [keypoints, dims]");
            else ks[0] = args[1].list[0], ks[1] = args[1].list[1];
        }
        if (ks[0] <= 0 || ks[0] > 1000 || (ks[1] != 2 && ks[1] != 3))
            cfg_fail(c, "kpt_shape must be [N, 2] or [N, 3]");
        attr_ints(c, n, "kpt_shape", ks, 2);
        attr_int(c, n, "nk", ks[0] * ks[1]);
        c->t->kpt_shape[0] = (int)ks[0];
        c->t->kpt_shape[1] = (int)ks[1];
        mk_level_branch(c, n, "cv4", ch, nl, max64(ch[0] / 4, ks[0] * ks[1]), ks[0] * ks[1]);
    } else if (!strcmp(type, "OBB")) {
        int64_t ne = 1;
        if (nargs > 1 && !arg_int(&args[1], &ne)) cfg_fail(c, "OBB angle count is not an integer");
        if (ne != 1) cfg_fail(c, "OBB with %lld angles per box is not supported", (long long)ne);
        attr_int(c, n, "ne", ne);
        mk_level_branch(c, n, "cv4", ch, nl, max64(ch[0] / 4, ne), ne);
    }
    c->detect = n;
    return n;
}

static ModNode *mk_classify(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2)
{
    ModNode *n = node_new(c, parent, name, "Classify");
    const int64_t c_ = 1280;
    mk_conv(c, n, "conv", c1, c_, 1, 1, 1, true);
    ModNode *pool = node_new(c, n, "pool", "AdaptiveAvgPool2d");
    pool->module = "torch.nn.modules.pooling";
    attr_int(c, pool, "output_size", 1);
    ModNode *drop = node_new(c, n, "drop", "Dropout");
    drop->module = "torch.nn.modules.dropout";
    attr_float(c, drop, "p", 0.0);
    attr_bool(c, drop, "inplace", true);
    ModNode *lin = node_new(c, n, "linear", "Linear");
    lin->module = "torch.nn.modules.linear";
    attr_int(c, lin, "in_features", c_);
    attr_int(c, lin, "out_features", c2);
    int64_t wd[2] = {c2, c_};
    double bound = 1.0 / sqrt((double)c_);
    add_tensor(c, lin, "weight", 2, wd, INIT_UNIFORM, bound, false, true);
    add_tensor(c, lin, "bias", 1, &c2, INIT_UNIFORM, bound, false, true);
    return n;
}

/* ---- parse_model ---- */

static int64_t make_divisible(double x, int64_t d)
{
    return (int64_t)ceil(x / (double)d) * d;
}

typedef struct {
    const char *name;   /* as written in a config */
    const char *type;   /* class */
    bool base;          /* c1 = ch[f], c2 = args[0] scaled */
    bool repeat;        /* repeats go into the module (args.insert(2, n)) */
    bool head;
} CfgModule;

static const CfgModule cfg_modules[] = {
    {"Conv", "Conv", true, false, false},       {"DWConv", "DWConv", true, false, false},
    {"Bottleneck", "Bottleneck", true, false, false}, {"C2f", "C2f", true, true, false},
    {"C3k2", "C3k2", true, true, false},        {"C3", "C3", true, true, false},
    {"C2", "C2", true, true, false},            {"SPPF", "SPPF", true, false, false},
    {"C2PSA", "C2PSA", true, true, false},      {"Classify", "Classify", true, false, false},
    {"Concat", "Concat", false, false, false},  {"nn.Upsample", "Upsample", false, false, false},
    {"Detect", "Detect", false, false, true},   {"Segment", "Segment", false, false, true},
    {"Pose", "Pose", false, false, true},       {"OBB", "OBB", false, false, true},
};

static const CfgModule *cfg_module(const char *name)
{
    if (!strncmp(name, "torch.nn.", 9)) name += 6;
    for (size_t i = 0; i < ARRAY_LEN(cfg_modules); i++)
        if (!strcmp(cfg_modules[i].name, name)) return &cfg_modules[i];
    return NULL;
}

static bool arg_bool_at(const Arg *a, int n, int i, bool dflt)
{
    if (i >= n) return dflt;
    if (a[i].kind == AV_BOOL || a[i].kind == AV_INT) return a[i].i != 0;
    return dflt;
}

static double arg_num_at(const Arg *a, int n, int i, double dflt)
{
    if (i >= n) return dflt;
    if (a[i].kind == AV_FLOAT) return a[i].f;
    if (a[i].kind == AV_INT) return (double)a[i].i;
    return dflt;
}

static int64_t arg_int_at(Cfg *c, const Arg *a, int n, int i, int64_t dflt)
{
    if (i >= n || a[i].kind == AV_NONE) return dflt;
    int64_t v;
    if (!arg_int(&a[i], &v)) {
        cfg_fail(c, "argument %d is not an integer", i + 1);
        return dflt;
    }
    return v;
}

/* One module object of a layer row (repeated n times into a Sequential by the caller). */
static ModNode *build_module(Cfg *c, ModNode *parent, const char *name, const CfgModule *cm, Arg *args, int nargs,
                             int64_t c1, int64_t c2, int64_t n, const int64_t *chs, int nchs)
{
    const char *t = cm->type;
    if (!strcmp(t, "Conv") || !strcmp(t, "DWConv")) {
        /* args: [c1, c2, k, s, p, g, d, act] */
        int64_t k = arg_int_at(c, args, nargs, 2, 1), s = arg_int_at(c, args, nargs, 3, 1);
        int64_t p = arg_int_at(c, args, nargs, 4, -1), g = arg_int_at(c, args, nargs, 5, 1);
        int64_t d = arg_int_at(c, args, nargs, 6, 1);
        if (k <= 0 || k > 31 || s <= 0 || s > 16 || g <= 0 || p < -1 || p > 31) {
            cfg_fail(c, "%s needs kernel 1-31, stride 1-16, padding 0-31 and positive groups", t);
            return NULL;
        }
        if (d != 1) {
            cfg_fail(c, "%s with dilation %lld is not supported", t, (long long)d);
            return NULL;
        }
        if (!strcmp(t, "DWConv")) return mk_dwconv(c, parent, name, c1, c2, k, s);
        return mk_conv_typed(c, parent, name, "Conv", c1, c2, k, s, p, g, arg_bool_at(args, nargs, 7, true));
    }
    if (!strcmp(t, "Bottleneck"))
        return mk_bottleneck(c, parent, name, c1, c2, arg_bool_at(args, nargs, 2, true), arg_int_at(c, args, nargs, 3, 1),
                             3, 3, arg_num_at(args, nargs, 5, 0.5));
    if (!strcmp(t, "C2f"))
        return mk_c2f(c, parent, name, "C2f", c1, c2, n, arg_bool_at(args, nargs, 3, false),
                      arg_int_at(c, args, nargs, 4, 1), arg_num_at(args, nargs, 5, 0.5), false);
    if (!strcmp(t, "C3k2"))
        return mk_c2f(c, parent, name, "C3k2", c1, c2, n, arg_bool_at(args, nargs, 6, true),
                      arg_int_at(c, args, nargs, 5, 1), arg_num_at(args, nargs, 4, 0.5),
                      arg_bool_at(args, nargs, 3, false));
    if (!strcmp(t, "C3"))
        return mk_c3(c, parent, name, "C3", c1, c2, n, arg_bool_at(args, nargs, 3, true),
                     arg_int_at(c, args, nargs, 4, 1), arg_num_at(args, nargs, 5, 0.5), 3);
    if (!strcmp(t, "C2"))
        return mk_c2(c, parent, name, c1, c2, n, arg_bool_at(args, nargs, 3, true), arg_int_at(c, args, nargs, 4, 1),
                     arg_num_at(args, nargs, 5, 0.5));
    if (!strcmp(t, "SPPF")) {
        int64_t k = arg_int_at(c, args, nargs, 2, 5);
        if (k <= 0 || k > 31 || !(k & 1)) {
            cfg_fail(c, "SPPF needs an odd pooling kernel");
            return NULL;
        }
        return mk_sppf(c, parent, name, c1, c2, k);
    }
    if (!strcmp(t, "C2PSA")) return mk_c2psa(c, parent, name, c1, c2, n, arg_num_at(args, nargs, 3, 0.5));
    if (!strcmp(t, "Classify")) return mk_classify(c, parent, name, c1, c2);
    if (!strcmp(t, "Concat")) {
        ModNode *m = node_new(c, parent, name, "Concat");
        attr_int(c, m, "d", arg_int_at(c, args, nargs, 0, 1));
        return m;
    }
    if (!strcmp(t, "Upsample")) {
        double scale = arg_num_at(args, nargs, 1, 0);
        const char *mode = nargs > 2 && args[2].kind == AV_STR ? args[2].s : "nearest";
        if (scale <= 0 || scale != floor(scale) || scale > 64 || strcmp(mode, "nearest")) {
            cfg_fail(c, "nn.Upsample needs [None, integer scale, \"nearest\"]");
            return NULL;
        }
        return mk_upsample(c, parent, name, scale, mode);
    }
    return mk_head(c, parent, name, t, args, nargs, chs, nchs);
}

typedef struct {
    int64_t ch;     /* output channels */
    double stride;  /* spatial reduction relative to the input */
} LayerOut;

/* Backbone and head rows form one list of layers. */
static int parse_layers(Cfg *c, Yaml *y, yaml_node_t *backbone, int nb, yaml_node_t *head, int nh, ModNode *seq)
{
    int nrows = nb + nh;
    LayerOut *outs = xcalloc((size_t)nrows, sizeof *outs);
    int64_t in_ch = c->t->channels;
    int rc = 0;
    for (int i = 0; i < nrows && !c->failed; i++) {
        yaml_node_t *row = i < nb ? yseq_at(y, backbone, i) : yseq_at(y, head, i - nb);
        if (yseq_len(row) != 4) {
            rc = cfg_fail(c, "layer %d is not a [from, repeats, module, args] row", i);
            break;
        }
        yaml_node_t *fn = yseq_at(y, row, 0), *nn = yseq_at(y, row, 1), *mn = yseq_at(y, row, 2), *an = yseq_at(y, row, 3);
        int from[MAX_FROM], nfrom = 0;
        bool from_list = false;
        int64_t v;
        if (str_to_i64(yscalar(fn), &v)) {
            if (v < -MAX_ROWS || v > MAX_ROWS) {
                rc = cfg_fail(c, "layer %d: 'from' %lld is out of range", i, (long long)v);
                break;
            }
            from[nfrom++] = (int)v;
        } else if (yseq_len(fn) >= 1 && yseq_len(fn) <= MAX_FROM) {
            from_list = true;
            for (int k = 0; k < yseq_len(fn); k++) {
                if (!str_to_i64(yscalar(yseq_at(y, fn, k)), &v) || v < -MAX_ROWS || v > MAX_ROWS) {
                    rc = cfg_fail(c, "layer %d: 'from' holds a non-integer", i);
                    break;
                }
                from[nfrom++] = (int)v;
            }
        } else {
            rc = cfg_fail(c, "layer %d: 'from' must be an integer or a list of integers", i);
        }
        if (rc) break;
        /* resolve to absolute layer indices (-1 = the previous layer; the input for layer 0) */
        int64_t chs[MAX_FROM];
        double strides[MAX_FROM];
        for (int k = 0; k < nfrom; k++) {
            int j = from[k];
            int abs_j = j < 0 ? i + j : j;
            if (j == -1 && i == 0) {
                chs[k] = in_ch;
                strides[k] = 1;
                continue;
            }
            if (abs_j < 0 || abs_j >= i) {
                rc = cfg_fail(c, "layer %d takes input from layer %d, which does not come before it", i, j);
                break;
            }
            chs[k] = outs[abs_j].ch;
            strides[k] = outs[abs_j].stride;
        }
        if (rc) break;
        int64_t n;
        if (!str_to_i64(yscalar(nn), &n) || n < 1 || n > 64) {
            rc = cfg_fail(c, "layer %d: repeats must be an integer from 1 to 64", i);
            break;
        }
        /* depth scaling (Python's round: half to even), checked before anything is built */
        if (n > 1) {
            double r = nearbyint((double)n * c->depth);
            if (!(r <= MAX_REPEATS)) {
                rc = cfg_fail(c, "layer %d: %lld repeats x depth_multiple %g = %g, more than %d", i, (long long)n,
                              c->depth, r, MAX_REPEATS);
                break;
            }
            n = r < 1 ? 1 : (int64_t)r;
        }
        const char *mname = yscalar(mn);
        const CfgModule *cm = mname ? cfg_module(mname) : NULL;
        if (!cm) {
            rc = cfg_fail(c, "layer %d: module '%s' is not supported", i, mname ? mname : "?");
            break;
        }
        int nargs = yseq_len(an);
        if (nargs < 0 || nargs > MAX_ARGS) {
            rc = cfg_fail(c, "layer %d: args must be a list of at most %d values", i, MAX_ARGS);
            break;
        }
        Arg args[MAX_ARGS + 2];
        for (int k = 0; k < nargs && !c->failed; k++) arg_from_node(c, y, yseq_at(y, an, k), &args[k]);
        if (c->failed) break;
        int64_t c1 = chs[0], c2 = chs[0];
        int64_t rep = n;
        if (cm->base) {
            if (from_list && nfrom != 1) {
                rc = cfg_fail(c, "layer %d: %s takes one input", i, mname);
                break;
            }
            int64_t want;
            if (nargs < 1 || !arg_int(&args[0], &want) || want <= 0 || want > 1000000) {
                rc = cfg_fail(c, "layer %d: %s needs a positive output channel count first", i, mname);
                break;
            }
            c2 = want;
            if (c2 != c->nc) {
                double w = (c2 < c->max_channels ? (double)c2 : c->max_channels) * c->width;
                if (!(w <= MAX_CHANNELS)) {
                    rc = cfg_fail(c, "layer %d: %lld channels x width_multiple %g = %g, more than %d", i,
                                  (long long)c2, c->width, w, MAX_CHANNELS);
                    break;
                }
                c2 = make_divisible(w, 8);
            }
            /* args become [c1, c2, *rest]; repeat modules take n at index 2 */
            Arg full[MAX_ARGS + 2];
            int nf = 0;
            full[nf].kind = AV_INT, full[nf++].i = c1;
            full[nf].kind = AV_INT, full[nf++].i = c2;
            if (cm->repeat) full[nf].kind = AV_INT, full[nf++].i = n;
            for (int k = 1; k < nargs; k++) full[nf++] = args[k];
            if (cm->repeat) rep = 1;
            if (!strcmp(cm->type, "C3k2")) {
                c->legacy = false;
                /* the peer's `scale in "mlx"` (true for an empty scale too) */
                if (!c->scale || strchr("mlx", c->scale)) {
                    while (nf < 4) full[nf].kind = AV_NONE, nf++;
                    full[3].kind = AV_BOOL, full[3].i = 1;
                }
            }
            memcpy(args, full, sizeof(Arg) * (size_t)nf);
            nargs = nf;
        } else if (!strcmp(cm->type, "Concat")) {
            c2 = 0;
            for (int k = 0; k < nfrom; k++) c2 += chs[k];
        } else if (cm->head) {
            if (nfrom > 8) {
                rc = cfg_fail(c, "layer %d: a head takes at most 8 feature maps", i);
                break;
            }
            c->n_head = nfrom;
            for (int k = 0; k < nfrom; k++) {
                if (!(strides[k] >= 1 && strides[k] <= 4096)) {
                    rc = cfg_fail(c, "layer %d: a feature map with stride %g (1 to 4096 is a model)", i, strides[k]);
                    break;
                }
                c->head_strides[k] = strides[k];
            }
            if (rc) break;
        }
        const char *lname = idx_name(c, i);
        ModNode *layer;
        if (rep > 1) {
            layer = mk_seq(c, seq, lname);
            for (int r = 0; r < rep && !c->failed; r++)
                build_module(c, layer, idx_name(c, r), cm, args, nargs, c1, c2, n, chs, nfrom);
        } else {
            layer = build_module(c, seq, lname, cm, args, nargs, c1, c2, n, chs, nfrom);
        }
        if (c->failed || !layer) {
            rc = -1;
            break;
        }
        /* layer attributes, as parse_model sets them */
        if (from_list) {
            int64_t f64[MAX_FROM];
            for (int k = 0; k < nfrom; k++) f64[k] = from[k];
            attr_ints(c, layer, "f", f64, nfrom);
        } else {
            attr_int(c, layer, "f", from[0]);
        }
        attr_int(c, layer, "i", i);
        attr_str(c, layer, "type", arena_printf(c->t->arena, "ultralytics.nn.modules.%s", cm->type));
        /* spatial bookkeeping for strides */
        double st = strides[0];
        if (!strcmp(cm->type, "Conv") || !strcmp(cm->type, "DWConv")) st *= (double)arg_int_at(c, args, nargs, 3, 1);
        else if (!strcmp(cm->type, "Upsample")) st /= arg_num_at(args, nargs, 1, 1);
        outs[i].ch = c2;
        outs[i].stride = st;
    }
    free(outs);
    return c->failed ? -1 : rc;
}

/* Detect.bias_init: box bias 1, class bias log(5 / nc / (640 / s)^2) for each level. */
static void bias_init(Cfg *c)
{
    ModNode *d = c->detect;
    if (!d || !c->with_data) return;
    const ModNode *cv2 = modtree_child(d, "cv2"), *cv3 = modtree_child(d, "cv3");
    for (int i = 0; i < c->n_head && cv2 && cv3 && i < cv2->n_children && i < cv3->n_children; i++) {
        const ModNode *a = cv2->children[i], *b = cv3->children[i];
        const ModTensor *ab = modtree_tensor(a->children[a->n_children - 1], "bias");
        const ModTensor *bb = modtree_tensor(b->children[b->n_children - 1], "bias");
        if (ab && ab->data)
            for (int64_t k = 0; k < ab->dims[0]; k++) ((float *)ab->data)[k] = 1.0f;
        double s = c->head_strides[i];
        if (bb && bb->data && s > 0) {
            double v = log(5.0 / c->nc / pow(640.0 / s, 2));
            for (int64_t k = 0; k < bb->dims[0] && k < c->nc; k++) ((float *)bb->data)[k] = (float)v;
        }
    }
}

static const char *model_class(const char *task)
{
    if (!task) return "DetectionModel";
    if (!strcmp(task, "segment")) return "SegmentationModel";
    if (!strcmp(task, "pose")) return "PoseModel";
    if (!strcmp(task, "obb")) return "OBBModel";
    if (!strcmp(task, "classify")) return "ClassificationModel";
    return "DetectionModel";
}

/* guess_model_scale: the letter after "yolo[e-][v]<digits>" in the file's stem. */
static char guess_scale(const char *name)
{
    if (!name) return 0;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    for (const char *p = strstr(base, "yolo"); p; p = strstr(p + 1, "yolo")) {
        const char *q = p + 4;
        if (!strncmp(q, "e-", 2)) q += 2;
        if (*q == 'v') q++;
        if (!isdigit((unsigned char)*q)) continue;
        while (isdigit((unsigned char)*q)) q++;
        if (*q && strchr("nslmx", *q)) return *q;
    }
    return 0;
}

ModTree *yolo_cfg_parse(const char *text, size_t len, const char *name, const char *yaml_file, char scale,
                        bool with_data, char *err, size_t errlen)
{
    const char *file = name ? name : "config";
    if (!text || !len) {
        err_set(err, errlen, "%s: empty file", file);
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        err_set(err, errlen, "%s: not a model config (binary data)", file);
        return NULL;
    }
    Yaml y = {0};
    char why[256];
    if (yaml_load(&y, text, len, why, sizeof why)) {
        err_set(err, errlen, "%s: %s", file, why);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&y.doc);
    yaml_node_t *backbone = ymap_get(&y, root, "backbone"), *head = ymap_get(&y, root, "head");
    if (!root || root->type != YAML_MAPPING_NODE || !backbone || !head) {
        err_set(err, errlen, "%s: not a model config (a YAML mapping with 'backbone' and 'head' lists)", file);
        yaml_unload(&y);
        return NULL;
    }
    Cfg c;
    memset(&c, 0, sizeof c);
    c.t = modtree_new();
    c.with_data = with_data;
    c.file = file;
    c.err = err;
    c.errlen = errlen;
    c.legacy = true;
    c.depth = c.width = 1.0;
    c.max_channels = INFINITY;
    ModTree *t = c.t;
    int nb = yseq_len(backbone), nh = yseq_len(head);
    int64_t v = 0;
    if (nb < 0 || nh < 0) cfg_fail(&c, "'backbone' and 'head' must be lists of layers");
    else if (nb + nh < 1 || nb + nh > MAX_ROWS) cfg_fail(&c, "a model needs 1 to %d layers", MAX_ROWS);
    yaml_node_t *ncn = ymap_get(&y, root, "nc");
    if (!c.failed && (!str_to_i64(yscalar(ncn), &v) || v <= 0 || v > 100000))
        cfg_fail(&c, "'nc' (the number of classes) must be a positive integer");
    c.nc = (int)v;
    yaml_node_t *chn = ymap_get(&y, root, "channels");
    if (!chn) chn = ymap_get(&y, root, "ch");
    t->channels = 3;
    if (!c.failed && chn) {
        if (!str_to_i64(yscalar(chn), &v) || v <= 0 || v > 64) cfg_fail(&c, "'channels' must be 1 to 64");
        else t->channels = (int)v;
    }
    yaml_node_t *act = ymap_get(&y, root, "activation");
    const char *acts = yscalar(act);
    if (!c.failed && act && !(acts && (!strcmp(acts, "nn.SiLU()") || !strcmp(acts, "torch.nn.SiLU()"))))
        cfg_fail(&c, "activation '%s' is not supported (yoloport builds SiLU models)", acts ? acts : "?");
    yaml_node_t *kn = ymap_get(&y, root, "kpt_shape");
    if (!c.failed && kn) {
        if (yseq_len(kn) != 2 || !str_to_i64(yscalar(yseq_at(&y, kn, 0)), &c.kpt_shape[0]) ||
            !str_to_i64(yscalar(yseq_at(&y, kn, 1)), &c.kpt_shape[1]))
            cfg_fail(&c, "'kpt_shape' must be [keypoints, dims]");
        c.has_kpt = true;
    }
    yaml_node_t *dm = ymap_get(&y, root, "depth_multiple"), *wm = ymap_get(&y, root, "width_multiple");
    if (!c.failed && dm && (!parse_num(yscalar(dm), &c.depth) || c.depth <= 0)) cfg_fail(&c, "bad depth_multiple");
    if (!c.failed && wm && (!parse_num(yscalar(wm), &c.width) || c.width <= 0)) cfg_fail(&c, "bad width_multiple");
    c.scale = scale ? scale : guess_scale(yaml_file ? yaml_file : name);
    yaml_node_t *scales = ymap_get(&y, root, "scales");
    if (!c.failed && scales) {
        if (scales->type != YAML_MAPPING_NODE || scales->data.mapping.pairs.top == scales->data.mapping.pairs.start) {
            cfg_fail(&c, "'scales' must map size letters to [depth, width, max_channels]");
        } else {
            char key[2] = {c.scale, 0};
            yaml_node_t *row = NULL;
            if (!c.scale) {
                /* no size in the name: the peer takes the first scale */
                yaml_node_pair_t *p = scales->data.mapping.pairs.start;
                const char *k = yscalar(ynode(&y, p->key));
                c.scale = k && k[0] && !k[1] ? k[0] : 0;
                row = ynode(&y, p->value);
            } else {
                row = ymap_get(&y, scales, key);
            }
            if (!row) {
                cfg_fail(&c, "size '%c' is not one of the config's scales", c.scale);
            } else if (yseq_len(row) != 3 || !parse_num(yscalar(yseq_at(&y, row, 0)), &c.depth) ||
                       !parse_num(yscalar(yseq_at(&y, row, 1)), &c.width) ||
                       !parse_num(yscalar(yseq_at(&y, row, 2)), &c.max_channels) || c.depth <= 0 || c.width <= 0 ||
                       c.max_channels <= 0) {
                cfg_fail(&c, "scale '%c' must be [depth, width, max_channels] with positive numbers", c.scale);
            }
        }
    }
    if (!c.failed) {
        t->root = modtree_node(t, "", "", "DetectionModel", c.next_uid++);
        t->root->module = "ultralytics.nn.tasks";
        c.silu = modtree_node(t, "act", "", "SiLU", c.next_uid++);
        c.silu->module = "torch.nn.modules.activation";
        modtree_add_attr(t, c.silu, "inplace", MA_BOOL)->i = 1;
        ModNode *seq = node_new(&c, t->root, "model", "Sequential");
        seq->module = "torch.nn.modules.container";
        parse_layers(&c, &y, backbone, nb, head, nh, seq);
    }
    if (!c.failed) {
        const char *task = yolo_task(t);
        if (!task) cfg_fail(&c, "the last layer must be a head (Detect, Segment, Pose, OBB or Classify)");
        else t->root->type = arena_strdup(t->arena, model_class(task));
    }
    yaml_unload(&y);
    if (c.failed) {
        modtree_free(t);
        return NULL;
    }
    /* a head anywhere but last is not a model we can run */
    const ModNode *seq = modtree_child(t->root, "model");
    for (int i = 0; i + 1 < seq->n_children; i++) {
        const char *ty = seq->children[i]->type;
        if (!strcmp(ty, "Detect") || !strcmp(ty, "Segment") || !strcmp(ty, "Pose") || !strcmp(ty, "OBB") ||
            !strcmp(ty, "Classify")) {
            err_set(err, errlen, "%s: layer %d is a head; only the last layer may be one", file, i);
            modtree_free(t);
            return NULL;
        }
    }
    bias_init(&c);
    t->nc = c.nc;
    t->source_format = FMT_YAML;
    t->source_path = arena_strdup(t->arena, name ? name : "");
    t->yaml_file = arena_strdup(t->arena, yaml_file ? yaml_file : (name ? name : ""));
    const char *task = yolo_task(t);
    if (!strcmp(task, "classify")) {
        t->n_strides = 1;
        t->strides[0] = 1;
    } else {
        t->n_strides = c.n_head;
        for (int i = 0; i < c.n_head; i++) t->strides[i] = (int)lround(c.head_strides[i]);
    }
    if (c.has_kpt && !t->kpt_shape[0]) {
        t->kpt_shape[0] = (int)c.kpt_shape[0];
        t->kpt_shape[1] = (int)c.kpt_shape[1];
    }
    return t;
}

/* ---- names ---- */

/* The stem of a config name as the peer unifies it: "yolov8n6" -> "yolov8n-p6",
 * then the size letter dropped: "yolov8-p6", "yolo11s-seg" -> "yolo11-seg". */
static void unify_stem(const char *stem, char *out, size_t len)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", stem);
    size_t n = strlen(buf);
    /* yolov5/yolov8 + size + "6" -> "-p6" */
    if (n == 8 && (!strncmp(buf, "yolov5", 6) || !strncmp(buf, "yolov8", 6)) && strchr("nsmlx", buf[6]) && buf[7] == '6')
        snprintf(buf + 7, sizeof buf - 7, "-p6");
    /* re.sub(r"(\d+)([nslmx])(.+)?$", r"\1\3"): the first run of digits followed by a
     * size letter loses the letter */
    for (size_t i = 0; buf[i];) {
        if (!isdigit((unsigned char)buf[i])) {
            i++;
            continue;
        }
        size_t end = i;
        while (isdigit((unsigned char)buf[end])) end++;
        if (buf[end] && strchr("nslmx", buf[end])) {
            memmove(buf + end, buf + end + 1, strlen(buf + end + 1) + 1);
            break;
        }
        i = end;
    }
    snprintf(out, len, "%s", buf);
}

char *yolo_cfg_builtin_path(const char *name, char *scale)
{
    if (scale) *scale = 0;
    if (!name || !*name || strchr(name, '/')) return NULL;
    size_t n = strlen(name);
    const char *ext = NULL;
    if (n > 5 && !strcmp(name + n - 5, ".yaml")) ext = ".yaml";
    else if (n > 4 && !strcmp(name + n - 4, ".yml")) ext = ".yml";
    if (!ext) return NULL;
    char stem[256];
    snprintf(stem, sizeof stem, "%.*s", (int)(n - strlen(ext)), name);
    char unified[256];
    unify_stem(stem, unified, sizeof unified);
    char *rel = xasprintf("models/%s.yaml", unified);
    char *path = paths_share(rel);
    free(rel);
    if (!file_exists(path) || file_is_dir(path)) {
        free(path);
        rel = xasprintf("models/%s.yaml", stem);
        path = paths_share(rel);
        free(rel);
        if (!file_exists(path) || file_is_dir(path)) {
            free(path);
            return NULL;
        }
    }
    if (scale) *scale = guess_scale(stem);
    return path;
}

/* The yaml_file the peer records: the name with "yolov8n6" spelled "yolov8n-p6". */
static char *p6_name(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t n = strlen(base);
    if (n >= 13 && (!strncmp(base, "yolov5", 6) || !strncmp(base, "yolov8", 6)) && strchr("nsmlx", base[6]) &&
        base[7] == '6' && base[8] == '.')
        return xasprintf("%.*s%.7s-p6%s", (int)(base - name), name, base, base + 8);
    return xstrdup(name);
}

ModTree *yolo_cfg_load(const char *path_or_name, bool with_data, char *err, size_t errlen)
{
    if (!path_or_name || !*path_or_name) {
        err_set(err, errlen, "no model config given");
        return NULL;
    }
    char scale = 0;
    char *file = NULL;
    if (file_exists(path_or_name)) {
        file = xstrdup(path_or_name);
        scale = guess_scale(path_or_name);
    } else {
        file = yolo_cfg_builtin_path(path_or_name, &scale);
        if (!file) {
            err_set(err, errlen, "%s: no such file, and not a built-in model config (yolov8n.yaml, yolo11s-seg.yaml, ...)",
                    path_or_name);
            return NULL;
        }
    }
    size_t len = 0;
    char *text = file_read_all(file, MAX_CFG_BYTES, &len, err, errlen);
    if (!text) {
        free(file);
        return NULL;
    }
    char *yaml_file = p6_name(path_or_name);
    ModTree *t = yolo_cfg_parse(text, len, path_or_name, yaml_file, scale, with_data, err, errlen);
    if (t) t->source_path = arena_strdup(t->arena, file);
    free(yaml_file);
    free(text);
    free(file);
    return t;
}
