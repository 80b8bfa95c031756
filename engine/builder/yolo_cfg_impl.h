/* yolo_cfg_impl: what the config builder's files share (yolo_cfg.c: YAML, parse_model and the
 * YOLOv8/YOLO11 modules; yolo_cfg_blocks.c: the other families' modules and heads).  Not part
 * of the engine's API. */
#ifndef YOLOPORT_YOLO_CFG_IMPL_H
#define YOLOPORT_YOLO_CFG_IMPL_H

#include "engine/builder/yolo_impl.h"

/* How a synthesized tensor is filled (see yolo.h, yolo_cfg_load). */
typedef enum { INIT_UNIFORM, INIT_ONES, INIT_ZEROS, INIT_ARANGE } Init;

/* One argument of a layer row: a number, a bool, None, a string, or a short list of ints. */
typedef enum { AV_NONE, AV_INT, AV_FLOAT, AV_BOOL, AV_STR, AV_LIST } ArgKind;
#define CFG_LIST_MAX 16
typedef struct {
    ArgKind kind;
    int64_t i;
    double f;
    const char *s;
    int64_t list[CFG_LIST_MAX];
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
    ModNode *act;         /* Conv.default_act (SiLU, or the config's `activation`): one object
                             shared by every Conv */
    ModNode *rep_act;     /* RepConv.default_act: a SiLU of its own, shared by every RepConv */
    ModNode *hg_act;      /* HGBlock's default act=nn.ReLU(): one object for every HGBlock */
    ModNode *aifi_act;    /* AIFI's default act=nn.GELU() */
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

/* A module kind a config may name. */
typedef struct {
    const char *name;   /* as written in a config */
    const char *type;   /* class */
    bool base;          /* c1 = ch[f], c2 = args[0] scaled */
    bool repeat;        /* repeats go into the module (args.insert(2, n)) */
    bool head;          /* the model's head: takes the channel list of its inputs */
    int stride_arg;     /* the argument (after parse_model's rewrite) that multiplies the spatial
                           stride (Conv's s), or 0 */
    int stride_mul;     /* a fixed stride multiplier (AConv 2, HGStem 4), or 0 */
} CfgModule;

/* Record "<file>: <message>" once; returns -1. */
int cfg_fail(Cfg *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Arguments: an integer (bools and whole floats too), or the i-th argument with a default. */
bool cfg_arg_int(const Arg *a, int64_t *out);
bool cfg_arg_bool_at(const Arg *a, int n, int i, bool dflt);
double cfg_arg_num_at(const Arg *a, int n, int i, double dflt);
int64_t cfg_arg_int_at(Cfg *c, const Arg *a, int n, int i, int64_t dflt);
int64_t cfg_make_divisible(double x, int64_t d);
int64_t cfg_max64(int64_t a, int64_t b);
int64_t cfg_gcd(int64_t a, int64_t b);

/* Tensors (synthesized when the config is loaded with data), nodes and attributes. */
ModTensor *cfg_tensor(Cfg *c, ModNode *n, const char *name, int rank, const int64_t *dims, Init init, double bound,
                      bool is_buffer, bool requires_grad);
/* A channel count a config computes (c2 * e, a scaled width): 0..65536, else the build fails
 * naming it (what) and 1 is returned while the failure unwinds. */
int64_t cfg_channels(Cfg *c, double v, const char *what);
ModNode *cfg_node(Cfg *c, ModNode *parent, const char *name, const char *type);
void cfg_attr_int(Cfg *c, ModNode *n, const char *name, int64_t v);
void cfg_attr_bool(Cfg *c, ModNode *n, const char *name, bool v);
void cfg_attr_float(Cfg *c, ModNode *n, const char *name, double v);
void cfg_attr_str(Cfg *c, ModNode *n, const char *name, const char *v);
void cfg_attr_ints(Cfg *c, ModNode *n, const char *name, const int64_t *v, int count);
void cfg_attr_pair(Cfg *c, ModNode *n, const char *name, int64_t v);
const char *cfg_idx(Cfg *c, int i);

/* torch.nn and Ultralytics modules as the peer's constructors make them. */
ModNode *cfg_conv2d(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s, int64_t p,
                    int64_t g, int64_t d, bool bias);
ModNode *cfg_bn(Cfg *c, ModNode *parent, const char *name, int64_t ch);
/* Conv(c1, c2, k, s, p (-1: autopad), g, act): act is the shared default act when true, a new
 * Identity when false. */
ModNode *cfg_conv_typed(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t c1, int64_t c2, int64_t k,
                        int64_t s, int64_t p, int64_t g, bool act);
ModNode *cfg_conv(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s, int64_t g,
                  bool act);
ModNode *cfg_dwconv(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s);
ModNode *cfg_seq(Cfg *c, ModNode *parent, const char *name);
ModNode *cfg_list(Cfg *c, ModNode *parent, const char *name);
ModNode *cfg_bottleneck(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, bool shortcut, int64_t g,
                        int64_t k1, int64_t k2, double e);
ModNode *cfg_c3(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t c1, int64_t c2, int64_t nrep,
                bool shortcut, int64_t g, double e, int64_t k);
ModNode *cfg_c2f(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t c1, int64_t c2, int64_t nrep,
                 bool shortcut, int64_t g, double e, bool c3k);
ModNode *cfg_sppf(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k);
ModNode *cfg_attention(Cfg *c, ModNode *parent, int64_t dim, int64_t heads, double attn_ratio);
ModNode *cfg_upsample(Cfg *c, ModNode *parent, const char *name, double scale, const char *mode);
void cfg_detect_common(Cfg *c, ModNode *n, int nc, const int64_t *ch, int nl);
void cfg_level_branch(Cfg *c, ModNode *n, const char *name, const int64_t *ch, int nl, int64_t c4, int64_t out);

/* yolo_cfg_blocks.c: the modules of YOLOv3u, Ghost, YOLOv9, YOLOv10, YOLO12, YOLO-World and
 * RT-DETR, and YOLOv6's ConvTranspose2d.  cfg_family_module builds one object of type for a
 * layer row (args as parse_model leaves them; chs/nchs the channels of the layer's inputs);
 * NULL when type is not one of them (no error), or after cfg_fail. */
ModNode *cfg_family_module(Cfg *c, ModNode *parent, const char *name, const char *type, const Arg *args, int nargs,
                           const int64_t *chs, int nchs, bool *handled);
/* The class text embeddings a WorldModel holds (txt_feats [1, nc, 512]), on the root. */
void cfg_world_text(Cfg *c, ModNode *root);

#endif
