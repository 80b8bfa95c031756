/* yolo_cfg: model configs (share/models/NAME.yaml, Ultralytics layout) -> ModTree.
 * Does what the peer's parse_model does — depth/width scaling, cfg_make_divisible, the
 * repeat-module rules, C3k forced for the m/l/x sizes, Detect's legacy head for models
 * without C3k2 — and builds each layer's module objects as the peer's classes would,
 * with deterministic weights (see yolo.h). */
#include "engine/builder/yolo_cfg_impl.h"

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
    yaml_parser_t p;
    if (yamlguard_check(text, len, why, whylen) != 0) return -1; /* before libyaml */
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

int cfg_fail(Cfg *c, const char *fmt, ...)
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
    if (len < 0 || len > CFG_LIST_MAX) return cfg_fail(c, "an argument is neither a value nor a short list");
    memset(a, 0, sizeof *a);
    a->kind = AV_LIST;
    a->n = len;
    for (int k = 0; k < len; k++)
        if (!str_to_i64(yscalar(yseq_at(y, n, k)), &a->list[k])) return cfg_fail(c, "a list argument holds a non-integer");
    return 0;
}

bool cfg_arg_int(const Arg *a, int64_t *out)
{
    if (a->kind == AV_INT) *out = a->i;
    else if (a->kind == AV_BOOL) *out = a->i;
    else if (a->kind == AV_FLOAT && a->f == floor(a->f) && fabs(a->f) < 9.0e18) *out = (int64_t)a->f; /* in int64's range */
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


/* Add a float32 tensor; with data it is synthesized (uniform in +-bound for INIT_UNIFORM). */
ModTensor *cfg_tensor(Cfg *c, ModNode *n, const char *name, int rank, const int64_t *dims, Init init,
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

ModNode *cfg_node(Cfg *c, ModNode *parent, const char *name, const char *type)
{
    if (++c->n_nodes > MAX_NODES) cfg_fail(c, "the model would have more than %d modules", MAX_NODES);
    const char *path = parent ? (parent->path[0] ? arena_printf(c->t->arena, "%s.%s", parent->path, name) : name) : "";
    ModNode *n = modtree_node(c->t, name, path, type, c->next_uid++);
    n->module = "ultralytics.nn.modules";
    if (parent) modtree_add_child(c->t, parent, n);
    return n;
}

void cfg_attr_int(Cfg *c, ModNode *n, const char *name, int64_t v)
{
    modtree_add_attr(c->t, n, name, MA_INT)->i = v;
}

void cfg_attr_bool(Cfg *c, ModNode *n, const char *name, bool v)
{
    modtree_add_attr(c->t, n, name, MA_BOOL)->i = v;
}

void cfg_attr_float(Cfg *c, ModNode *n, const char *name, double v)
{
    modtree_add_attr(c->t, n, name, MA_FLOAT)->f = v;
}

void cfg_attr_str(Cfg *c, ModNode *n, const char *name, const char *v)
{
    modtree_add_attr(c->t, n, name, MA_STR)->s = arena_strdup(c->t->arena, v);
}

void cfg_attr_ints(Cfg *c, ModNode *n, const char *name, const int64_t *v, int count)
{
    ModAttr *a = modtree_add_attr(c->t, n, name, MA_INTS);
    a->ints = arena_alloc(c->t->arena, sizeof(int64_t) * (size_t)count);
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)count);
    a->count = count;
}

void cfg_attr_pair(Cfg *c, ModNode *n, const char *name, int64_t v)
{
    int64_t p[2] = {v, v};
    cfg_attr_ints(c, n, name, p, 2);
}

ModNode *cfg_conv2d(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s,
                          int64_t p, int64_t g, int64_t d, bool bias)
{
    if (g <= 0 || c1 % g || c2 % g) {
        cfg_fail(c, "%s: %lld and %lld channels do not divide into %lld groups", parent->path, (long long)c1,
                 (long long)c2, (long long)g);
        g = 1;
    }
    ModNode *n = cfg_node(c, parent, name, "Conv2d");
    n->module = "torch.nn.modules.conv";
    cfg_attr_int(c, n, "in_channels", c1);
    cfg_attr_int(c, n, "out_channels", c2);
    cfg_attr_pair(c, n, "kernel_size", k);
    cfg_attr_pair(c, n, "stride", s);
    cfg_attr_pair(c, n, "padding", p);
    cfg_attr_pair(c, n, "dilation", d);
    cfg_attr_int(c, n, "groups", g);
    cfg_attr_str(c, n, "padding_mode", "zeros");
    int64_t wd[4] = {c2, c1 / g, k, k};
    /* He-uniform weights: with torch's default init the activations of an untrained model
     * fade to ~1e-9 by the head, so its outputs hardly depend on the input and export checks
     * would prove little; larger gains overflow float16 through the residual sums */
    double fan_in = (double)(c1 / g * k * k);
    cfg_tensor(c, n, "weight", 4, wd, INIT_UNIFORM, sqrt(6.0 / fan_in), false, true);
    if (bias) cfg_tensor(c, n, "bias", 1, &c2, INIT_UNIFORM, 1.0 / sqrt(fan_in), false, true);
    return n;
}

ModNode *cfg_bn(Cfg *c, ModNode *parent, const char *name, int64_t ch)
{
    ModNode *n = cfg_node(c, parent, name, "BatchNorm2d");
    n->module = "torch.nn.modules.batchnorm";
    cfg_attr_int(c, n, "num_features", ch);
    cfg_attr_float(c, n, "eps", 0.001);
    cfg_attr_float(c, n, "momentum", 0.03);
    cfg_tensor(c, n, "weight", 1, &ch, INIT_ONES, 0, false, true);
    cfg_tensor(c, n, "bias", 1, &ch, INIT_ZEROS, 0, false, true);
    cfg_tensor(c, n, "running_mean", 1, &ch, INIT_ZEROS, 0, true, false);
    cfg_tensor(c, n, "running_var", 1, &ch, INIT_ONES, 0, true, false);
    return n;
}

/* Conv(c1, c2, k, s, p=autopad, g, d, act): conv + bn + act (the shared SiLU, or a new
 * Identity when act is off). */
ModNode *cfg_conv_typed(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t c1, int64_t c2,
                              int64_t k, int64_t s, int64_t p, int64_t g, bool act)
{
    ModNode *n = cfg_node(c, parent, name, type);
    if (p < 0) p = k / 2;
    cfg_conv2d(c, n, "conv", c1, c2, k, s, p, g, 1, false);
    cfg_bn(c, n, "bn", c2);
    if (act) {
        modtree_add_child(c->t, n, c->act);
    } else {
        ModNode *id = cfg_node(c, n, "act", "Identity");
        id->module = "torch.nn.modules.linear";
    }
    return n;
}

ModNode *cfg_conv(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s,
                        int64_t g, bool act)
{
    return cfg_conv_typed(c, parent, name, "Conv", c1, c2, k, s, -1, g, act);
}

int64_t cfg_gcd(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

ModNode *cfg_dwconv(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s)
{
    return cfg_conv_typed(c, parent, name, "DWConv", c1, c2, k, s, -1, cfg_gcd(c1, c2), true);
}

ModNode *cfg_seq(Cfg *c, ModNode *parent, const char *name)
{
    ModNode *n = cfg_node(c, parent, name, "Sequential");
    n->module = "torch.nn.modules.container";
    return n;
}

ModNode *cfg_list(Cfg *c, ModNode *parent, const char *name)
{
    ModNode *n = cfg_node(c, parent, name, "ModuleList");
    n->module = "torch.nn.modules.container";
    return n;
}

const char *cfg_idx(Cfg *c, int i)
{
    return arena_printf(c->t->arena, "%d", i);
}

/* A channel count a config computes (c2 * e, a scaled width): 0..MAX_CHANNELS, else the
 * build fails naming it and 1 is used while the failure unwinds. */
int64_t cfg_channels(Cfg *c, double v, const char *what)
{
    if (!(v >= 0 && v <= MAX_CHANNELS)) {
        cfg_fail(c, "%s would have %g channels (at most %d)", what, v, MAX_CHANNELS);
        return 1;
    }
    return (int64_t)v;
}

ModNode *cfg_bottleneck(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, bool shortcut,
                              int64_t g, int64_t k1, int64_t k2, double e)
{
    ModNode *n = cfg_node(c, parent, name, "Bottleneck");
    int64_t c_ = cfg_channels(c, (double)c2 * e, n->path);
    cfg_conv(c, n, "cv1", c1, c_, k1, 1, 1, true);
    cfg_conv(c, n, "cv2", c_, c2, k2, 1, g, true);
    cfg_attr_bool(c, n, "add", shortcut && c1 == c2);
    return n;
}

ModNode *cfg_c3(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t c1, int64_t c2, int64_t nrep,
                      bool shortcut, int64_t g, double e, int64_t k)
{
    ModNode *n = cfg_node(c, parent, name, type);
    int64_t c_ = cfg_channels(c, (double)c2 * e, n->path);
    cfg_conv(c, n, "cv1", c1, c_, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", c1, c_, 1, 1, 1, true);
    cfg_conv(c, n, "cv3", 2 * c_, c2, 1, 1, 1, true);
    ModNode *m = cfg_seq(c, n, "m");
    bool c3k = !strcmp(type, "C3k");
    for (int i = 0; i < nrep; i++)
        cfg_bottleneck(c, m, cfg_idx(c, i), c_, c_, shortcut, g, c3k ? k : 1, c3k ? k : 3, 1.0);
    return n;
}

/* C2f (and C3k2, which is a C2f whose blocks are C3k or e=0.5 Bottlenecks). */
ModNode *cfg_c2f(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t c1, int64_t c2,
                       int64_t nrep, bool shortcut, int64_t g, double e, bool c3k)
{
    ModNode *n = cfg_node(c, parent, name, type);
    int64_t ch = cfg_channels(c, (double)c2 * e, n->path);
    cfg_attr_int(c, n, "c", ch);
    cfg_conv(c, n, "cv1", c1, 2 * ch, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", (2 + nrep) * ch, c2, 1, 1, 1, true);
    ModNode *m = cfg_list(c, n, "m");
    bool k2 = !strcmp(type, "C3k2");
    for (int i = 0; i < nrep; i++) {
        if (k2 && c3k) cfg_c3(c, m, cfg_idx(c, i), "C3k", ch, ch, 2, shortcut, g, 0.5, 3);
        else if (k2) cfg_bottleneck(c, m, cfg_idx(c, i), ch, ch, shortcut, g, 3, 3, 0.5);
        else cfg_bottleneck(c, m, cfg_idx(c, i), ch, ch, shortcut, g, 3, 3, 1.0);
    }
    return n;
}

static ModNode *mk_c2(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t nrep, bool shortcut,
                      int64_t g, double e)
{
    ModNode *n = cfg_node(c, parent, name, "C2");
    int64_t ch = cfg_channels(c, (double)c2 * e, n->path);
    cfg_attr_int(c, n, "c", ch);
    cfg_conv(c, n, "cv1", c1, 2 * ch, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", 2 * ch, c2, 1, 1, 1, true);
    ModNode *m = cfg_seq(c, n, "m");
    for (int i = 0; i < nrep; i++) cfg_bottleneck(c, m, cfg_idx(c, i), ch, ch, shortcut, g, 3, 3, 1.0);
    return n;
}

ModNode *cfg_sppf(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k)
{
    ModNode *n = cfg_node(c, parent, name, "SPPF");
    int64_t c_ = c1 / 2;
    cfg_conv(c, n, "cv1", c1, c_, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", c_ * 4, c2, 1, 1, 1, true);
    ModNode *m = cfg_node(c, n, "m", "MaxPool2d");
    m->module = "torch.nn.modules.pooling";
    cfg_attr_int(c, m, "kernel_size", k);
    cfg_attr_int(c, m, "stride", 1);
    cfg_attr_int(c, m, "padding", k / 2);
    cfg_attr_int(c, m, "dilation", 1);
    cfg_attr_bool(c, m, "ceil_mode", false);
    return n;
}

ModNode *cfg_attention(Cfg *c, ModNode *parent, int64_t dim, int64_t heads, double attn_ratio)
{
    ModNode *n = cfg_node(c, parent, "attn", "Attention");
    int64_t hd = dim / heads, kd = (int64_t)(hd * attn_ratio);
    cfg_attr_int(c, n, "num_heads", heads);
    cfg_attr_int(c, n, "head_dim", hd);
    cfg_attr_int(c, n, "key_dim", kd);
    cfg_attr_float(c, n, "scale", pow((double)kd, -0.5));
    cfg_conv(c, n, "qkv", dim, dim + 2 * kd * heads, 1, 1, 1, false);
    cfg_conv(c, n, "proj", dim, dim, 1, 1, 1, false);
    cfg_conv(c, n, "pe", dim, dim, 3, 1, dim, false);
    return n;
}

static ModNode *mk_c2psa(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t nrep, double e)
{
    if (c1 != c2) cfg_fail(c, "C2PSA needs equal input and output channels (%lld vs %lld)", (long long)c1, (long long)c2);
    ModNode *n = cfg_node(c, parent, name, "C2PSA");
    int64_t ch = cfg_channels(c, (double)c1 * e, n->path);
    if (ch < 64) cfg_fail(c, "C2PSA with %lld channels has no attention heads (needs at least 64 per branch)", (long long)ch);
    cfg_attr_int(c, n, "c", ch);
    cfg_conv(c, n, "cv1", c1, 2 * ch, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", 2 * ch, c1, 1, 1, 1, true);
    ModNode *m = cfg_seq(c, n, "m");
    for (int i = 0; i < nrep && !c->failed; i++) {
        ModNode *blk = cfg_node(c, m, cfg_idx(c, i), "PSABlock");
        cfg_attr_bool(c, blk, "add", true);
        cfg_attention(c, blk, ch, ch / 64, 0.5);
        ModNode *ffn = cfg_seq(c, blk, "ffn");
        cfg_conv(c, ffn, "0", ch, ch * 2, 1, 1, 1, true);
        cfg_conv(c, ffn, "1", ch * 2, ch, 1, 1, 1, false);
    }
    return n;
}

ModNode *cfg_upsample(Cfg *c, ModNode *parent, const char *name, double scale, const char *mode)
{
    ModNode *n = cfg_node(c, parent, name, "Upsample");
    n->module = "torch.nn.modules.upsampling";
    cfg_attr_float(c, n, "scale_factor", scale);
    cfg_attr_str(c, n, "mode", mode);
    return n;
}

/* Detect and its subclasses' shared part: cv2 (box), cv3 (class), dfl. */
void cfg_detect_common(Cfg *c, ModNode *n, int nc, const int64_t *ch, int nl)
{
    const int64_t reg_max = 16;
    cfg_attr_int(c, n, "nc", nc);
    cfg_attr_int(c, n, "nl", nl);
    cfg_attr_int(c, n, "reg_max", reg_max);
    cfg_attr_int(c, n, "no", nc + 4 * reg_max);
    int64_t c2 = ch[0] / 4;
    if (c2 < 16) c2 = 16;
    if (c2 < 4 * reg_max) c2 = 4 * reg_max;
    int64_t c3 = ch[0] > (nc < 100 ? nc : 100) ? ch[0] : (nc < 100 ? nc : 100);
    ModNode *cv2 = cfg_list(c, n, "cv2");
    for (int i = 0; i < nl; i++) {
        ModNode *s = cfg_seq(c, cv2, cfg_idx(c, i));
        cfg_conv(c, s, "0", ch[i], c2, 3, 1, 1, true);
        cfg_conv(c, s, "1", c2, c2, 3, 1, 1, true);
        cfg_conv2d(c, s, "2", c2, 4 * reg_max, 1, 1, 0, 1, 1, true);
    }
    ModNode *cv3 = cfg_list(c, n, "cv3");
    for (int i = 0; i < nl; i++) {
        ModNode *s = cfg_seq(c, cv3, cfg_idx(c, i));
        if (c->legacy) {
            cfg_conv(c, s, "0", ch[i], c3, 3, 1, 1, true);
            cfg_conv(c, s, "1", c3, c3, 3, 1, 1, true);
        } else {
            ModNode *a = cfg_seq(c, s, "0");
            cfg_dwconv(c, a, "0", ch[i], ch[i], 3, 1);
            cfg_conv(c, a, "1", ch[i], c3, 1, 1, 1, true);
            ModNode *b2 = cfg_seq(c, s, "1");
            cfg_dwconv(c, b2, "0", c3, c3, 3, 1);
            cfg_conv(c, b2, "1", c3, c3, 1, 1, 1, true);
        }
        cfg_conv2d(c, s, "2", c3, nc, 1, 1, 0, 1, 1, true);
    }
    ModNode *dfl = cfg_node(c, n, "dfl", "DFL");
    cfg_attr_int(c, dfl, "c1", reg_max);
    ModNode *conv = cfg_node(c, dfl, "conv", "Conv2d");
    conv->module = "torch.nn.modules.conv";
    cfg_attr_int(c, conv, "in_channels", reg_max);
    cfg_attr_int(c, conv, "out_channels", 1);
    cfg_attr_pair(c, conv, "kernel_size", 1);
    cfg_attr_pair(c, conv, "stride", 1);
    cfg_attr_pair(c, conv, "padding", 0);
    cfg_attr_pair(c, conv, "dilation", 1);
    cfg_attr_int(c, conv, "groups", 1);
    int64_t wd[4] = {1, reg_max, 1, 1};
    cfg_tensor(c, conv, "weight", 4, wd, INIT_ARANGE, 0, false, false);
}

/* cv4-style per-level branch: Conv(x, c4, 3), Conv(c4, c4, 3), Conv2d(c4, out, 1). */
void cfg_level_branch(Cfg *c, ModNode *n, const char *name, const int64_t *ch, int nl, int64_t c4, int64_t out)
{
    ModNode *list = cfg_list(c, n, name);
    for (int i = 0; i < nl; i++) {
        ModNode *s = cfg_seq(c, list, cfg_idx(c, i));
        cfg_conv(c, s, "0", ch[i], c4, 3, 1, 1, true);
        cfg_conv(c, s, "1", c4, c4, 3, 1, 1, true);
        cfg_conv2d(c, s, "2", c4, out, 1, 1, 0, 1, 1, true);
    }
}

int64_t cfg_max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static ModNode *mk_head(Cfg *c, ModNode *parent, const char *name, const char *type, const Arg *args, int nargs,
                        const int64_t *ch, int nl)
{
    ModNode *n = cfg_node(c, parent, name, type);
    int64_t nc;
    if (nargs < 1 || !cfg_arg_int(&args[0], &nc) || nc <= 0 || nc > 100000) {
        cfg_fail(c, "%s needs a positive class count as its first argument", type);
        return n;
    }
    cfg_detect_common(c, n, (int)nc, ch, nl);
    if (!strcmp(type, "Segment")) {
        int64_t nm = 32, npr = 256;
        if (nargs > 1 && !cfg_arg_int(&args[1], &nm)) cfg_fail(c, "Segment mask count is not an integer");
        if (nargs > 2 && !cfg_arg_int(&args[2], &npr)) cfg_fail(c, "Segment prototype width is not an integer");
        if (nm < 1 || nm > MAX_CHANNELS || npr < 1 || npr > MAX_CHANNELS)
            cfg_fail(c, "Segment needs 1 to %d masks and prototype channels", MAX_CHANNELS);
        /* parse_model scales the prototype width like any channel count */
        double w = (npr < c->max_channels ? (double)npr : c->max_channels) * c->width;
        npr = cfg_channels(c, ceil(w / 8) * 8, "Segment's prototype");
        cfg_attr_int(c, n, "nm", nm);
        cfg_attr_int(c, n, "npr", npr);
        ModNode *p = cfg_node(c, n, "proto", "Proto");
        cfg_conv(c, p, "cv1", ch[0], npr, 3, 1, 1, true);
        ModNode *up = cfg_node(c, p, "upsample", "ConvTranspose2d");
        up->module = "torch.nn.modules.conv";
        cfg_attr_int(c, up, "in_channels", npr);
        cfg_attr_int(c, up, "out_channels", npr);
        cfg_attr_pair(c, up, "kernel_size", 2);
        cfg_attr_pair(c, up, "stride", 2);
        cfg_attr_pair(c, up, "padding", 0);
        cfg_attr_pair(c, up, "output_padding", 0);
        cfg_attr_pair(c, up, "dilation", 1);
        cfg_attr_int(c, up, "groups", 1);
        int64_t wd[4] = {npr, npr, 2, 2};
        double bound = 1.0 / sqrt((double)(npr * 4));
        cfg_tensor(c, up, "weight", 4, wd, INIT_UNIFORM, bound, false, true);
        cfg_tensor(c, up, "bias", 1, &npr, INIT_UNIFORM, bound, false, true);
        cfg_conv(c, p, "cv2", npr, npr, 3, 1, 1, true);
        cfg_conv(c, p, "cv3", npr, nm, 1, 1, 1, true);
        cfg_level_branch(c, n, "cv4", ch, nl, cfg_max64(ch[0] / 4, nm), nm);
    } else if (!strcmp(type, "Pose")) {
        int64_t ks[2] = {17, 3};
        if (nargs > 1) {
            if (args[1].kind != AV_LIST || args[1].n != 2) cfg_fail(c, "Pose needs kpt_shape as [keypoints, dims]");
            else ks[0] = args[1].list[0], ks[1] = args[1].list[1];
        }
        if (ks[0] <= 0 || ks[0] > 1000 || (ks[1] != 2 && ks[1] != 3))
            cfg_fail(c, "kpt_shape must be [N, 2] or [N, 3]");
        cfg_attr_ints(c, n, "kpt_shape", ks, 2);
        cfg_attr_int(c, n, "nk", ks[0] * ks[1]);
        c->t->kpt_shape[0] = (int)ks[0];
        c->t->kpt_shape[1] = (int)ks[1];
        cfg_level_branch(c, n, "cv4", ch, nl, cfg_max64(ch[0] / 4, ks[0] * ks[1]), ks[0] * ks[1]);
    } else if (!strcmp(type, "OBB")) {
        int64_t ne = 1;
        if (nargs > 1 && !cfg_arg_int(&args[1], &ne)) cfg_fail(c, "OBB angle count is not an integer");
        if (ne != 1) cfg_fail(c, "OBB with %lld angles per box is not supported", (long long)ne);
        cfg_attr_int(c, n, "ne", ne);
        cfg_level_branch(c, n, "cv4", ch, nl, cfg_max64(ch[0] / 4, ne), ne);
    }
    c->detect = n;
    return n;
}

static ModNode *mk_classify(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2)
{
    ModNode *n = cfg_node(c, parent, name, "Classify");
    const int64_t c_ = 1280;
    cfg_conv(c, n, "conv", c1, c_, 1, 1, 1, true);
    ModNode *pool = cfg_node(c, n, "pool", "AdaptiveAvgPool2d");
    pool->module = "torch.nn.modules.pooling";
    cfg_attr_int(c, pool, "output_size", 1);
    ModNode *drop = cfg_node(c, n, "drop", "Dropout");
    drop->module = "torch.nn.modules.dropout";
    cfg_attr_float(c, drop, "p", 0.0);
    cfg_attr_bool(c, drop, "inplace", true);
    ModNode *lin = cfg_node(c, n, "linear", "Linear");
    lin->module = "torch.nn.modules.linear";
    cfg_attr_int(c, lin, "in_features", c_);
    cfg_attr_int(c, lin, "out_features", c2);
    int64_t wd[2] = {c2, c_};
    double bound = 1.0 / sqrt((double)c_);
    cfg_tensor(c, lin, "weight", 2, wd, INIT_UNIFORM, bound, false, true);
    cfg_tensor(c, lin, "bias", 1, &c2, INIT_UNIFORM, bound, false, true);
    return n;
}

/* ---- parse_model ---- */

int64_t cfg_make_divisible(double x, int64_t d)
{
    return (int64_t)ceil(x / (double)d) * d;
}


static const CfgModule cfg_modules[] = {
    /* name, class, base, repeat, head, stride_arg, stride_mul */
    {"Conv", "Conv", true, false, false, 3, 0},
    {"DWConv", "DWConv", true, false, false, 3, 0},
    {"Bottleneck", "Bottleneck", true, false, false, 0, 0},
    {"C2f", "C2f", true, true, false, 0, 0},
    {"C3k2", "C3k2", true, true, false, 0, 0},
    {"C3", "C3", true, true, false, 0, 0},
    {"C2", "C2", true, true, false, 0, 0},
    {"SPPF", "SPPF", true, false, false, 0, 0},
    {"C2PSA", "C2PSA", true, true, false, 0, 0},
    {"Classify", "Classify", true, false, false, 0, 0},
    {"Concat", "Concat", false, false, false, 0, 0},
    {"nn.Upsample", "Upsample", false, false, false, 0, 0},
    {"Detect", "Detect", false, false, true, 0, 0},
    {"Segment", "Segment", false, false, true, 0, 0},
    {"Pose", "Pose", false, false, true, 0, 0},
    {"OBB", "OBB", false, false, true, 0, 0},
    /* YOLOv3u, YOLOv6, Ghost */
    {"nn.MaxPool2d", "MaxPool2d", false, false, false, 0, 0},
    {"nn.ZeroPad2d", "ZeroPad2d", false, false, false, 0, 0},
    {"nn.Identity", "Identity", false, false, false, 0, 0},
    {"nn.ConvTranspose2d", "ConvTranspose2d", true, false, false, 0, 0},
    {"SPP", "SPP", true, false, false, 0, 0},
    {"GhostConv", "GhostConv", true, false, false, 3, 0},
    {"GhostBottleneck", "GhostBottleneck", true, false, false, 3, 0},
    {"C3Ghost", "C3Ghost", true, true, false, 0, 0},
    /* YOLOv9 */
    {"ELAN1", "ELAN1", true, false, false, 0, 0},
    {"RepNCSPELAN4", "RepNCSPELAN4", true, false, false, 0, 0},
    {"AConv", "AConv", true, false, false, 0, 2},
    {"ADown", "ADown", true, false, false, 0, 2},
    {"SPPELAN", "SPPELAN", true, false, false, 0, 0},
    {"CBLinear", "CBLinear", false, false, false, 3, 0},
    {"CBFuse", "CBFuse", false, false, false, 0, 0},
    /* YOLOv10 */
    {"SCDown", "SCDown", true, false, false, 3, 0},
    {"C2fCIB", "C2fCIB", true, true, false, 0, 0},
    {"PSA", "PSA", true, false, false, 0, 0},
    {"v10Detect", "v10Detect", false, false, true, 0, 0},
    /* YOLO12 */
    {"A2C2f", "A2C2f", true, true, false, 0, 0},
    /* YOLO-World */
    {"C2fAttn", "C2fAttn", true, true, false, 0, 0},
    {"ImagePoolingAttn", "ImagePoolingAttn", false, false, false, 0, 0},
    {"WorldDetect", "WorldDetect", false, false, true, 0, 0},
    /* RT-DETR */
    {"HGStem", "HGStem", false, false, false, 0, 4},
    {"HGBlock", "HGBlock", false, false, false, 0, 0},
    {"RepC3", "RepC3", true, true, false, 0, 0},
    {"AIFI", "AIFI", false, false, false, 0, 0},
    {"RTDETRDecoder", "RTDETRDecoder", false, false, true, 0, 0},
};

static const CfgModule *cfg_module(const char *name)
{
    if (!strncmp(name, "torch.nn.", 9)) name += 6;
    for (size_t i = 0; i < ARRAY_LEN(cfg_modules); i++)
        if (!strcmp(cfg_modules[i].name, name)) return &cfg_modules[i];
    return NULL;
}

bool cfg_arg_bool_at(const Arg *a, int n, int i, bool dflt)
{
    if (i >= n) return dflt;
    if (a[i].kind == AV_BOOL || a[i].kind == AV_INT) return a[i].i != 0;
    return dflt;
}

double cfg_arg_num_at(const Arg *a, int n, int i, double dflt)
{
    if (i >= n) return dflt;
    if (a[i].kind == AV_FLOAT) return a[i].f;
    if (a[i].kind == AV_INT) return (double)a[i].i;
    return dflt;
}

int64_t cfg_arg_int_at(Cfg *c, const Arg *a, int n, int i, int64_t dflt)
{
    if (i >= n || a[i].kind == AV_NONE) return dflt;
    int64_t v;
    if (!cfg_arg_int(&a[i], &v)) {
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
        /* args: [c1, c2, k, s, p, g, d, act] (DWConv: [c1, c2, k, s, d, act]) */
        bool dw = !strcmp(t, "DWConv");
        int64_t k = cfg_arg_int_at(c, args, nargs, 2, 1), s = cfg_arg_int_at(c, args, nargs, 3, 1);
        int64_t p = dw ? -1 : cfg_arg_int_at(c, args, nargs, 4, -1), g = dw ? 1 : cfg_arg_int_at(c, args, nargs, 5, 1);
        int64_t d = dw ? 1 : cfg_arg_int_at(c, args, nargs, 6, 1);
        if (k <= 0 || k > 31 || s <= 0 || s > 16 || g <= 0 || p < -1 || p > 31) {
            cfg_fail(c, "%s needs kernel 1-31, stride 1-16, padding 0-31 and positive groups", t);
            return NULL;
        }
        if (d != 1) {
            cfg_fail(c, "%s with dilation %lld is not supported", t, (long long)d);
            return NULL;
        }
        if (!strcmp(t, "DWConv")) {
            /* DWConv(c1, c2, k, s, d, act) */
            if (cfg_arg_int_at(c, args, nargs, 4, 1) != 1) {
                cfg_fail(c, "DWConv with dilation is not supported");
                return NULL;
            }
            return cfg_conv_typed(c, parent, name, "DWConv", c1, c2, k, s, -1, cfg_gcd(c1, c2),
                                  cfg_arg_bool_at(args, nargs, 5, true));
        }
        return cfg_conv_typed(c, parent, name, "Conv", c1, c2, k, s, p, g, cfg_arg_bool_at(args, nargs, 7, true));
    }
    if (!strcmp(t, "Bottleneck"))
        return cfg_bottleneck(c, parent, name, c1, c2, cfg_arg_bool_at(args, nargs, 2, true), cfg_arg_int_at(c, args, nargs, 3, 1),
                             3, 3, cfg_arg_num_at(args, nargs, 5, 0.5));
    if (!strcmp(t, "C2f"))
        return cfg_c2f(c, parent, name, "C2f", c1, c2, n, cfg_arg_bool_at(args, nargs, 3, false),
                      cfg_arg_int_at(c, args, nargs, 4, 1), cfg_arg_num_at(args, nargs, 5, 0.5), false);
    if (!strcmp(t, "C3k2"))
        return cfg_c2f(c, parent, name, "C3k2", c1, c2, n, cfg_arg_bool_at(args, nargs, 6, true),
                      cfg_arg_int_at(c, args, nargs, 5, 1), cfg_arg_num_at(args, nargs, 4, 0.5),
                      cfg_arg_bool_at(args, nargs, 3, false));
    if (!strcmp(t, "C3"))
        return cfg_c3(c, parent, name, "C3", c1, c2, n, cfg_arg_bool_at(args, nargs, 3, true),
                     cfg_arg_int_at(c, args, nargs, 4, 1), cfg_arg_num_at(args, nargs, 5, 0.5), 3);
    if (!strcmp(t, "C2"))
        return mk_c2(c, parent, name, c1, c2, n, cfg_arg_bool_at(args, nargs, 3, true), cfg_arg_int_at(c, args, nargs, 4, 1),
                     cfg_arg_num_at(args, nargs, 5, 0.5));
    if (!strcmp(t, "SPPF")) {
        int64_t k = cfg_arg_int_at(c, args, nargs, 2, 5);
        if (k <= 0 || k > 31 || !(k & 1)) {
            cfg_fail(c, "SPPF needs an odd pooling kernel");
            return NULL;
        }
        return cfg_sppf(c, parent, name, c1, c2, k);
    }
    if (!strcmp(t, "C2PSA")) return mk_c2psa(c, parent, name, c1, c2, n, cfg_arg_num_at(args, nargs, 3, 0.5));
    if (!strcmp(t, "Classify")) return mk_classify(c, parent, name, c1, c2);
    if (!strcmp(t, "Concat")) {
        ModNode *m = cfg_node(c, parent, name, "Concat");
        cfg_attr_int(c, m, "d", cfg_arg_int_at(c, args, nargs, 0, 1));
        return m;
    }
    if (!strcmp(t, "Upsample")) {
        double scale = cfg_arg_num_at(args, nargs, 1, 0);
        const char *mode = nargs > 2 && args[2].kind == AV_STR ? args[2].s : "nearest";
        if (scale <= 0 || scale != floor(scale) || scale > 64 || strcmp(mode, "nearest")) {
            cfg_fail(c, "nn.Upsample needs [None, integer scale, \"nearest\"]");
            return NULL;
        }
        return cfg_upsample(c, parent, name, scale, mode);
    }
    bool handled;
    ModNode *fam = cfg_family_module(c, parent, name, t, args, nargs, chs, nchs, &handled);
    if (handled) return fam;
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
            if (nargs < 1 || !cfg_arg_int(&args[0], &want) || want <= 0 || want > 1000000) {
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
                c2 = cfg_make_divisible(w, 8);
            }
            /* args become [c1, c2, *rest]; repeat modules take n at index 2 */
            Arg full[MAX_ARGS + 2];
            int nf = 0;
            full[nf].kind = AV_INT, full[nf++].i = c1;
            full[nf].kind = AV_INT, full[nf++].i = c2;
            if (cm->repeat) full[nf].kind = AV_INT, full[nf++].i = n;
            for (int k = 1; k < nargs; k++) full[nf++] = args[k];
            if (cm->repeat) rep = 1;
            if (!strcmp(cm->type, "C2fAttn")) {
                /* embedding channels and heads scale with the model width */
                int64_t ec = 0, nh = 0;
                if (nf < 5 || !cfg_arg_int(&full[3], &ec) || !cfg_arg_int(&full[4], &nh) || ec <= 0 || nh <= 0) {
                    rc = cfg_fail(c, "layer %d: C2fAttn needs [channels, embedding channels, heads]", i);
                    break;
                }
                double mc = c->max_channels;
                double ecw = ((double)ec < floor(mc / 2) ? (double)ec : floor(mc / 2)) * c->width;
                full[3].kind = AV_INT, full[3].i = cfg_make_divisible(ecw, 8);
                if (nh > 1) {
                    double lim = floor(floor(mc / 2) / 32);
                    double v = nearbyint((double)nh < lim ? (double)nh : lim) * c->width;
                    full[4].kind = AV_INT, full[4].i = (int64_t)(v > 1 ? v : 1);
                }
            }
            if (!strcmp(cm->type, "C3k2")) {
                c->legacy = false;
                /* the peer's `scale in "mlx"` (true for an empty scale too) */
                if (!c->scale || strchr("mlx", c->scale)) {
                    while (nf < 4) full[nf].kind = AV_NONE, nf++;
                    full[3].kind = AV_BOOL, full[3].i = 1;
                }
            }
            if (!strcmp(cm->type, "A2C2f")) {
                c->legacy = false;
                /* `scale in "lx"`: residual blocks with a narrower MLP */
                if ((!c->scale || strchr("lx", c->scale)) && nf + 2 <= MAX_ARGS + 2) {
                    while (nf < 5) full[nf].kind = AV_NONE, nf++;
                    full[nf].kind = AV_BOOL, full[nf++].i = 1;
                    full[nf].kind = AV_FLOAT, full[nf++].f = 1.2;
                }
            }
            if (!strcmp(cm->type, "C2fCIB")) c->legacy = false;
            memcpy(args, full, sizeof(Arg) * (size_t)nf);
            nargs = nf;
        } else if (!strcmp(cm->type, "Concat")) {
            c2 = 0;
            for (int k = 0; k < nfrom; k++) c2 += chs[k];
        } else if (!strcmp(cm->type, "HGStem") || !strcmp(cm->type, "HGBlock")) {
            /* c1, cm, c2 = ch[f], args[0], args[1] (not width-scaled); HGBlock takes n at 4 */
            int64_t co;
            if (nargs < 2 || !cfg_arg_int(&args[1], &co) || co <= 0 || co > 1000000) {
                rc = cfg_fail(c, "layer %d: %s needs [middle channels, output channels, ...]", i, mname);
                break;
            }
            Arg full[MAX_ARGS + 2];
            int nf = 0;
            full[nf].kind = AV_INT, full[nf++].i = c1;
            for (int k = 0; k < nargs; k++) {
                if (!strcmp(cm->type, "HGBlock") && nf == 4) full[nf].kind = AV_INT, full[nf++].i = n;
                full[nf++] = args[k];
            }
            if (!strcmp(cm->type, "HGBlock")) {
                while (nf < 4) full[nf].kind = AV_NONE, nf++;
                if (nf == 4) full[nf].kind = AV_INT, full[nf++].i = n;
                rep = 1;
            }
            memcpy(args, full, sizeof(Arg) * (size_t)nf);
            nargs = nf;
            c2 = co;
        } else if (!strcmp(cm->type, "AIFI")) {
            memmove(args + 1, args, sizeof(Arg) * (size_t)nargs);
            args[0].kind = AV_INT, args[0].i = c1;
            nargs++;
        } else if (!strcmp(cm->type, "CBLinear")) {
            if (nargs < 1 || args[0].kind != AV_LIST) {
                rc = cfg_fail(c, "layer %d: CBLinear needs a list of output channel counts", i);
                break;
            }
            memmove(args + 1, args, sizeof(Arg) * (size_t)nargs);
            args[0].kind = AV_INT, args[0].i = c1;
            nargs++;
            c2 = -1; /* a tuple: only CBFuse takes it */
        } else if (!strcmp(cm->type, "CBFuse")) {
            c2 = chs[nfrom - 1];
        } else if (!strcmp(cm->type, "ImagePoolingAttn")) {
            /* args.append(channels): the list stands at index 1 (passed apart) */
            if (nargs < 1) args[nargs].kind = AV_NONE, nargs++;
            memmove(args + 2, args + 1, sizeof(Arg) * (size_t)(nargs - 1));
            args[1].kind = AV_NONE;
            nargs++;
        } else if (cm->head) {
            if (!strcmp(cm->type, "RTDETRDecoder")) {
                /* args.insert(1, channels) */
                memmove(args + 2, args + 1, sizeof(Arg) * (size_t)(nargs > 1 ? nargs - 1 : 0));
                args[1].kind = AV_NONE;
                nargs = nargs > 1 ? nargs + 1 : 2;
            }
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
        const char *lname = cfg_idx(c, i);
        ModNode *layer;
        if (rep > 1) {
            layer = cfg_seq(c, seq, lname);
            for (int r = 0; r < rep && !c->failed; r++)
                build_module(c, layer, cfg_idx(c, r), cm, args, nargs, c1, c2, n, chs, nfrom);
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
            cfg_attr_ints(c, layer, "f", f64, nfrom);
        } else {
            cfg_attr_int(c, layer, "f", from[0]);
        }
        cfg_attr_int(c, layer, "i", i);
        cfg_attr_str(c, layer, "type", arena_printf(c->t->arena, "ultralytics.nn.modules.%s", cm->type));
        /* spatial bookkeeping for strides */
        double st = strides[0];
        if (cm->stride_arg) st *= (double)cfg_arg_int_at(c, args, nargs, cm->stride_arg, 1);
        if (!strcmp(cm->type, "MaxPool2d")) st *= (double)cfg_arg_int_at(c, args, nargs, 1, cfg_arg_int_at(c, args, nargs, 0, 1));
        if (cm->stride_mul) st *= cm->stride_mul;
        if (!strcmp(cm->type, "CBFuse")) st = strides[nfrom - 1];
        else if (!strcmp(cm->type, "Upsample")) st /= cfg_arg_num_at(args, nargs, 1, 1);
        else if (!strcmp(cm->type, "ConvTranspose2d")) st /= (double)cfg_arg_int_at(c, args, nargs, 3, 1);
        outs[i].ch = c2;
        outs[i].stride = st;
    }
    free(outs);
    return c->failed ? -1 : rc;
}

/* Detect.bias_init: box bias 1, class bias log(5 / nc / (640 / s)^2) for each level (both
 * branch pairs of an end-to-end head; box biases only for WorldDetect, whose class branch
 * ends in text embeddings). */
static void bias_init_pair(Cfg *c, const ModNode *d, const char *box, const char *cls);
static void bias_init(Cfg *c)
{
    ModNode *d = c->detect;
    if (!d || !c->with_data) return;
    bias_init_pair(c, d, "cv2", strcmp(d->type, "WorldDetect") ? "cv3" : NULL);
    if (modtree_child(d, "one2one_cv2")) bias_init_pair(c, d, "one2one_cv2", "one2one_cv3");
}

static void bias_init_pair(Cfg *c, const ModNode *d, const char *box, const char *cls)
{
    const ModNode *cv2 = modtree_child(d, box), *cv3 = cls ? modtree_child(d, cls) : modtree_child(d, "cv3");
    for (int i = 0; i < c->n_head && cv2 && cv3 && i < cv2->n_children && i < cv3->n_children; i++) {
        const ModNode *a = cv2->children[i], *b = cv3->children[i];
        const ModTensor *ab = modtree_tensor(a->children[a->n_children - 1], "bias");
        const ModTensor *bb = modtree_tensor(b->children[b->n_children - 1], "bias");
        if (ab && ab->data)
            for (int64_t k = 0; k < ab->dims[0]; k++) ((float *)ab->data)[k] = 1.0f;
        double s = c->head_strides[i];
        if (cls && bb && bb->data && s > 0) {
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
    bool act_relu = acts && (!strcmp(acts, "nn.ReLU()") || !strcmp(acts, "torch.nn.ReLU()"));
    if (!c.failed && act && !act_relu && !(acts && (!strcmp(acts, "nn.SiLU()") || !strcmp(acts, "torch.nn.SiLU()"))))
        cfg_fail(&c, "activation '%s' is not supported (yoloport builds SiLU and ReLU models)", acts ? acts : "?");
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
        c.act = modtree_node(t, "act", "", act_relu ? "ReLU" : "SiLU", c.next_uid++);
        c.act->module = "torch.nn.modules.activation";
        modtree_add_attr(t, c.act, "inplace", MA_BOOL)->i = 1;
        ModNode *seq = cfg_node(&c, t->root, "model", "Sequential");
        seq->module = "torch.nn.modules.container";
        parse_layers(&c, &y, backbone, nb, head, nh, seq);
    }
    if (!c.failed) {
        const char *task = yolo_task(t);
        const ModNode *seq0 = modtree_child(t->root, "model");
        const char *head = seq0->children[seq0->n_children - 1]->type;
        if (!task) {
            cfg_fail(&c, "the last layer must be a head (Detect, Segment, Pose, OBB, Classify, v10Detect, WorldDetect or "
                         "RTDETRDecoder)");
        } else if (!strcmp(head, "WorldDetect")) {
            t->root->type = "WorldModel";
            cfg_world_text(&c, t->root);
        } else if (!strcmp(head, "RTDETRDecoder")) {
            t->root->type = "RTDETRDetectionModel";
        } else {
            t->root->type = arena_strdup(t->arena, model_class(task));
        }
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
            !strcmp(ty, "Classify") || !strcmp(ty, "v10Detect") || !strcmp(ty, "WorldDetect") ||
            !strcmp(ty, "RTDETRDecoder")) {
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
    } else if (!strcmp(seq->children[seq->n_children - 1]->type, "RTDETRDecoder")) {
        /* no Detect head: the peer's default stride */
        t->n_strides = 1;
        t->strides[0] = 32;
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
