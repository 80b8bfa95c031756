/* yolo_cfg_blocks: the config builder's constructors for the families beyond YOLOv8/YOLO11 —
 * YOLOv3u (MaxPool2d, ZeroPad2d, SPP), YOLOv6 (ConvTranspose2d), Ghost, YOLOv9, YOLOv10,
 * YOLO12, YOLO-World and RT-DETR — each building the module objects the peer's class would,
 * children in the peer's order, shared objects shared (the default activations), so that the
 * layer and parameter counts are the peer's. */
#include "engine/builder/yolo_cfg_impl.h"

#include <math.h>
#include <string.h>

static ModNode *torch_node(Cfg *c, ModNode *parent, const char *name, const char *type, const char *module)
{
    ModNode *n = cfg_node(c, parent, name, type);
    n->module = module;
    return n;
}

/* A shared activation object, made once (its uid stands for the one Python object). */
static ModNode *shared_act(Cfg *c, ModNode **slot, const char *type)
{
    if (!*slot) {
        *slot = modtree_node(c->t, "act", "", type, c->next_uid++);
        (*slot)->module = "torch.nn.modules.activation";
        if (strcmp(type, "GELU")) modtree_add_attr(c->t, *slot, "inplace", MA_BOOL)->i = 1;
    }
    return *slot;
}

static ModNode *new_act(Cfg *c, ModNode *parent, const char *name, const char *type)
{
    ModNode *n = torch_node(c, parent, name, type, "torch.nn.modules.activation");
    if (strcmp(type, "GELU")) cfg_attr_bool(c, n, "inplace", true);
    return n;
}

static ModNode *identity(Cfg *c, ModNode *parent, const char *name)
{
    return torch_node(c, parent, name, "Identity", "torch.nn.modules.linear");
}

static ModNode *dropout(Cfg *c, ModNode *parent, const char *name)
{
    ModNode *n = torch_node(c, parent, name, "Dropout", "torch.nn.modules.dropout");
    cfg_attr_float(c, n, "p", 0.0);
    return n;
}

static ModNode *maxpool(Cfg *c, ModNode *parent, const char *name, int64_t k, int64_t s, int64_t p, bool ceil_mode)
{
    ModNode *n = torch_node(c, parent, name, "MaxPool2d", "torch.nn.modules.pooling");
    cfg_attr_int(c, n, "kernel_size", k);
    cfg_attr_int(c, n, "stride", s);
    cfg_attr_int(c, n, "padding", p);
    cfg_attr_int(c, n, "dilation", 1);
    cfg_attr_bool(c, n, "ceil_mode", ceil_mode);
    return n;
}

/* nn.Linear(in, out): torch's default init bounds (uniform +-1/sqrt(in)). */
static ModNode *linear(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t in, int64_t out)
{
    ModNode *n = torch_node(c, parent, name, type, "torch.nn.modules.linear");
    cfg_attr_int(c, n, "in_features", in);
    cfg_attr_int(c, n, "out_features", out);
    int64_t wd[2] = {out, in};
    double bound = 1.0 / sqrt((double)in);
    cfg_tensor(c, n, "weight", 2, wd, INIT_UNIFORM, bound, false, true);
    cfg_tensor(c, n, "bias", 1, &out, INIT_UNIFORM, bound, false, true);
    return n;
}

static ModNode *layernorm(Cfg *c, ModNode *parent, const char *name, int64_t d)
{
    ModNode *n = torch_node(c, parent, name, "LayerNorm", "torch.nn.modules.normalization");
    cfg_attr_ints(c, n, "normalized_shape", &d, 1);
    cfg_attr_float(c, n, "eps", 1e-5);
    cfg_tensor(c, n, "weight", 1, &d, INIT_ONES, 0, false, true);
    cfg_tensor(c, n, "bias", 1, &d, INIT_ZEROS, 0, false, true);
    return n;
}

/* nn.MultiheadAttention(d, nh): in_proj_weight/bias and out_proj. */
static ModNode *mha(Cfg *c, ModNode *parent, const char *name, int64_t d, int64_t nh, bool batch_first)
{
    ModNode *n = torch_node(c, parent, name, "MultiheadAttention", "torch.nn.modules.activation");
    cfg_attr_int(c, n, "embed_dim", d);
    cfg_attr_int(c, n, "num_heads", nh);
    cfg_attr_int(c, n, "head_dim", d / nh);
    cfg_attr_bool(c, n, "batch_first", batch_first);
    int64_t wd[2] = {3 * d, d}, bd = 3 * d;
    cfg_tensor(c, n, "in_proj_weight", 2, wd, INIT_UNIFORM, sqrt(6.0 / (double)(4 * d)), false, true);
    cfg_tensor(c, n, "in_proj_bias", 1, &bd, INIT_ZEROS, 0, false, true);
    linear(c, n, "out_proj", "NonDynamicallyQuantizableLinear", d, d);
    return n;
}

/* ---- YOLOv3u, YOLOv6, Ghost ---- */

static ModNode *ghostconv(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s,
                          int64_t g, bool act)
{
    ModNode *n = cfg_node(c, parent, name, "GhostConv");
    int64_t c_ = c2 / 2;
    cfg_conv(c, n, "cv1", c1, c_, k, s, g, act);
    cfg_conv(c, n, "cv2", c_, c_, 5, 1, c_, act);
    return n;
}

static ModNode *ghostbottleneck(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s)
{
    ModNode *n = cfg_node(c, parent, name, "GhostBottleneck");
    int64_t c_ = c2 / 2;
    ModNode *conv = cfg_seq(c, n, "conv");
    ghostconv(c, conv, "0", c1, c_, 1, 1, 1, true);
    if (s == 2) cfg_conv_typed(c, conv, "1", "DWConv", c_, c_, k, s, -1, cfg_gcd(c_, c_), false);
    else identity(c, conv, "1");
    ghostconv(c, conv, "2", c_, c2, 1, 1, 1, false);
    if (s == 2) {
        ModNode *sc = cfg_seq(c, n, "shortcut");
        cfg_conv_typed(c, sc, "0", "DWConv", c1, c1, k, s, -1, c1, false);
        cfg_conv(c, sc, "1", c1, c2, 1, 1, 1, false);
    } else {
        identity(c, n, "shortcut");
    }
    return n;
}

static ModNode *c3ghost(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t nrep, bool shortcut,
                        int64_t g, double e)
{
    ModNode *n = cfg_node(c, parent, name, "C3Ghost");
    int64_t c_ = cfg_channels(c, (double)c2 * e, n->path);
    cfg_conv(c, n, "cv1", c1, c_, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", c1, c_, 1, 1, 1, true);
    cfg_conv(c, n, "cv3", 2 * c_, c2, 1, 1, 1, true);
    ModNode *m = cfg_seq(c, n, "m");
    for (int i = 0; i < nrep; i++) ghostbottleneck(c, m, cfg_idx(c, i), c_, c_, 3, 1);
    return n;
}

static ModNode *spp(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, const int64_t *k, int nk)
{
    ModNode *n = cfg_node(c, parent, name, "SPP");
    int64_t c_ = c1 / 2;
    cfg_conv(c, n, "cv1", c1, c_, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", c_ * (nk + 1), c2, 1, 1, 1, true);
    ModNode *m = cfg_list(c, n, "m");
    for (int i = 0; i < nk; i++) maxpool(c, m, cfg_idx(c, i), k[i], 1, k[i] / 2, false);
    return n;
}

static ModNode *conv_transpose2d(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s,
                                 int64_t p)
{
    ModNode *n = torch_node(c, parent, name, "ConvTranspose2d", "torch.nn.modules.conv");
    cfg_attr_int(c, n, "in_channels", c1);
    cfg_attr_int(c, n, "out_channels", c2);
    cfg_attr_pair(c, n, "kernel_size", k);
    cfg_attr_pair(c, n, "stride", s);
    cfg_attr_pair(c, n, "padding", p);
    cfg_attr_pair(c, n, "output_padding", 0);
    cfg_attr_pair(c, n, "dilation", 1);
    cfg_attr_int(c, n, "groups", 1);
    int64_t wd[4] = {c1, c2, k, k};
    double bound = 1.0 / sqrt((double)(c2 * k * k));
    cfg_tensor(c, n, "weight", 4, wd, INIT_UNIFORM, sqrt(6.0 / (double)(c1 * k * k / (s * s) + 1)), false, true);
    cfg_tensor(c, n, "bias", 1, &c2, INIT_UNIFORM, bound, false, true);
    return n;
}

/* ---- YOLOv9 ---- */

/* RepConv(c1, c2, k=3, s=1, p=1, g=1, act=True, bn=False): the shared RepConv SiLU, conv1 (3x3)
 * and conv2 (1x1) without activations. */
static ModNode *repconv(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t s, int64_t g)
{
    ModNode *n = cfg_node(c, parent, name, "RepConv");
    cfg_attr_int(c, n, "g", g);
    cfg_attr_int(c, n, "c1", c1);
    cfg_attr_int(c, n, "c2", c2);
    modtree_add_attr(c->t, n, "bn", MA_NONE);
    modtree_add_child(c->t, n, shared_act(c, &c->rep_act, "SiLU"));
    cfg_conv_typed(c, n, "conv1", "Conv", c1, c2, 3, s, 1, g, false);
    cfg_conv_typed(c, n, "conv2", "Conv", c1, c2, 1, s, 0, g, false);
    return n;
}

/* RepBottleneck: a Bottleneck whose cv1 is a RepConv (k = 3). */
static ModNode *repbottleneck(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, bool shortcut,
                              double e)
{
    ModNode *n = cfg_node(c, parent, name, "RepBottleneck");
    int64_t c_ = cfg_channels(c, (double)c2 * e, n->path);
    repconv(c, n, "cv1", c1, c_, 1, 1);
    cfg_conv(c, n, "cv2", c_, c2, 3, 1, 1, true);
    cfg_attr_bool(c, n, "add", shortcut && c1 == c2);
    return n;
}

static ModNode *repcsp(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t nrep)
{
    ModNode *n = cfg_node(c, parent, name, "RepCSP");
    int64_t c_ = c2 / 2;
    cfg_conv(c, n, "cv1", c1, c_, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", c1, c_, 1, 1, 1, true);
    cfg_conv(c, n, "cv3", 2 * c_, c2, 1, 1, 1, true);
    ModNode *m = cfg_seq(c, n, "m");
    for (int i = 0; i < nrep; i++) repbottleneck(c, m, cfg_idx(c, i), c_, c_, true, 1.0);
    return n;
}

static ModNode *repncspelan4(Cfg *c, ModNode *parent, const char *name, const char *type, int64_t c1, int64_t c2,
                             int64_t c3, int64_t c4, int64_t nrep)
{
    ModNode *n = cfg_node(c, parent, name, type);
    cfg_attr_int(c, n, "c", c3 / 2);
    cfg_conv(c, n, "cv1", c1, c3, 1, 1, 1, true);
    if (!strcmp(type, "ELAN1")) {
        cfg_conv(c, n, "cv2", c3 / 2, c4, 3, 1, 1, true);
        cfg_conv(c, n, "cv3", c4, c4, 3, 1, 1, true);
    } else {
        ModNode *a = cfg_seq(c, n, "cv2");
        repcsp(c, a, "0", c3 / 2, c4, nrep);
        cfg_conv(c, a, "1", c4, c4, 3, 1, 1, true);
        ModNode *b2 = cfg_seq(c, n, "cv3");
        repcsp(c, b2, "0", c4, c4, nrep);
        cfg_conv(c, b2, "1", c4, c4, 3, 1, 1, true);
    }
    cfg_conv(c, n, "cv4", c3 + 2 * c4, c2, 1, 1, 1, true);
    return n;
}

static ModNode *sppelan(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t c3, int64_t k)
{
    ModNode *n = cfg_node(c, parent, name, "SPPELAN");
    cfg_attr_int(c, n, "c", c3);
    cfg_conv(c, n, "cv1", c1, c3, 1, 1, 1, true);
    maxpool(c, n, "cv2", k, 1, k / 2, false);
    maxpool(c, n, "cv3", k, 1, k / 2, false);
    maxpool(c, n, "cv4", k, 1, k / 2, false);
    cfg_conv(c, n, "cv5", 4 * c3, c2, 1, 1, 1, true);
    return n;
}

/* ---- YOLOv10 ---- */

static ModNode *repvggdw(Cfg *c, ModNode *parent, const char *name, int64_t ed)
{
    ModNode *n = cfg_node(c, parent, name, "RepVGGDW");
    cfg_attr_int(c, n, "dim", ed);
    cfg_conv_typed(c, n, "conv", "Conv", ed, ed, 7, 1, 3, ed, false);
    cfg_conv_typed(c, n, "conv1", "Conv", ed, ed, 3, 1, 1, ed, false);
    new_act(c, n, "act", "SiLU");
    return n;
}

static ModNode *cib(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, bool shortcut, double e, bool lk)
{
    ModNode *n = cfg_node(c, parent, name, "CIB");
    int64_t c_ = cfg_channels(c, (double)c2 * e, n->path);
    ModNode *s = cfg_seq(c, n, "cv1");
    cfg_conv(c, s, "0", c1, c1, 3, 1, c1, true);
    cfg_conv(c, s, "1", c1, 2 * c_, 1, 1, 1, true);
    if (lk) repvggdw(c, s, "2", 2 * c_);
    else cfg_conv(c, s, "2", 2 * c_, 2 * c_, 3, 1, 2 * c_, true);
    cfg_conv(c, s, "3", 2 * c_, c2, 1, 1, 1, true);
    cfg_conv(c, s, "4", c2, c2, 3, 1, c2, true);
    cfg_attr_bool(c, n, "add", shortcut && c1 == c2);
    return n;
}

static ModNode *c2fcib(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t nrep, bool shortcut,
                       bool lk, double e)
{
    ModNode *n = cfg_node(c, parent, name, "C2fCIB");
    int64_t ch = cfg_channels(c, (double)c2 * e, n->path);
    cfg_attr_int(c, n, "c", ch);
    cfg_conv(c, n, "cv1", c1, 2 * ch, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", (2 + nrep) * ch, c2, 1, 1, 1, true);
    ModNode *m = cfg_list(c, n, "m");
    for (int i = 0; i < nrep; i++) cib(c, m, cfg_idx(c, i), ch, ch, shortcut, 1.0, lk);
    return n;
}

static ModNode *psa(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, double e)
{
    if (c1 != c2) cfg_fail(c, "PSA needs equal input and output channels (%lld vs %lld)", (long long)c1, (long long)c2);
    ModNode *n = cfg_node(c, parent, name, "PSA");
    int64_t ch = cfg_channels(c, (double)c1 * e, n->path);
    if (ch < 64) cfg_fail(c, "PSA with %lld channels has no attention heads (needs at least 64 per branch)", (long long)ch);
    cfg_attr_int(c, n, "c", ch);
    cfg_conv(c, n, "cv1", c1, 2 * ch, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", 2 * ch, c1, 1, 1, 1, true);
    if (ch >= 64) cfg_attention(c, n, ch, ch / 64, 0.5);
    ModNode *ffn = cfg_seq(c, n, "ffn");
    cfg_conv(c, ffn, "0", ch, ch * 2, 1, 1, 1, true);
    cfg_conv(c, ffn, "1", ch * 2, ch, 1, 1, 1, false);
    return n;
}

/* ---- YOLO12 ---- */

static ModNode *aattn(Cfg *c, ModNode *parent, int64_t dim, int64_t nh, int64_t area)
{
    ModNode *n = cfg_node(c, parent, "attn", "AAttn");
    int64_t hd = dim / nh;
    cfg_attr_int(c, n, "area", area);
    cfg_attr_int(c, n, "num_heads", nh);
    cfg_attr_int(c, n, "head_dim", hd);
    cfg_conv(c, n, "qkv", dim, hd * nh * 3, 1, 1, 1, false);
    cfg_conv(c, n, "proj", hd * nh, dim, 1, 1, 1, false);
    cfg_conv_typed(c, n, "pe", "Conv", hd * nh, dim, 7, 1, 3, dim, false);
    return n;
}

static ModNode *ablock(Cfg *c, ModNode *parent, const char *name, int64_t dim, int64_t nh, double mlp_ratio, int64_t area)
{
    ModNode *n = cfg_node(c, parent, name, "ABlock");
    aattn(c, n, dim, nh, area);
    int64_t hidden = (int64_t)(dim * mlp_ratio);
    ModNode *mlp = cfg_seq(c, n, "mlp");
    cfg_conv(c, mlp, "0", dim, hidden, 1, 1, 1, true);
    cfg_conv(c, mlp, "1", hidden, dim, 1, 1, 1, false);
    return n;
}

static ModNode *a2c2f(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t nrep, bool a2,
                      int64_t area, bool residual, double mlp_ratio, double e, int64_t g, bool shortcut)
{
    ModNode *n = cfg_node(c, parent, name, "A2C2f");
    int64_t c_ = cfg_channels(c, (double)c2 * e, n->path);
    if (c_ % 32) cfg_fail(c, "A2C2f needs hidden channels that are a multiple of 32 (%lld)", (long long)c_);
    cfg_conv(c, n, "cv1", c1, c_, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", (1 + nrep) * c_, c2, 1, 1, 1, true);
    if (a2 && residual) {
        /* gamma: 0.01 * ones(c2) */
        ModTensor *t = cfg_tensor(c, n, "gamma", 1, &c2, INIT_ONES, 0, false, true);
        if (t && t->data)
            for (int64_t i = 0; i < c2; i++) ((float *)t->data)[i] = 0.01f;
    } else {
        modtree_add_attr(c->t, n, "gamma", MA_NONE);
    }
    ModNode *m = cfg_list(c, n, "m");
    for (int i = 0; i < nrep && !c->failed; i++) {
        if (a2) {
            ModNode *s = cfg_seq(c, m, cfg_idx(c, i));
            for (int k = 0; k < 2; k++) ablock(c, s, cfg_idx(c, k), c_, c_ / 32, mlp_ratio, area);
        } else {
            cfg_c3(c, m, cfg_idx(c, i), "C3k", c_, c_, 2, shortcut, g, 0.5, 3);
        }
    }
    return n;
}

/* ---- YOLO-World ---- */

static ModNode *maxsigmoid_attn(Cfg *c, ModNode *parent, int64_t c1, int64_t c2, int64_t nh, int64_t ec, int64_t gc)
{
    ModNode *n = cfg_node(c, parent, "attn", "MaxSigmoidAttnBlock");
    cfg_attr_int(c, n, "nh", nh);
    cfg_attr_int(c, n, "hc", c2 / nh);
    cfg_attr_float(c, n, "scale", 1.0);
    if (c1 != ec) cfg_conv(c, n, "ec", c1, ec, 1, 1, 1, false);
    else modtree_add_attr(c->t, n, "ec", MA_NONE);
    linear(c, n, "gl", "Linear", gc, ec);
    cfg_tensor(c, n, "bias", 1, &nh, INIT_ZEROS, 0, false, true);
    cfg_conv(c, n, "proj_conv", c1, c2, 3, 1, 1, false);
    return n;
}

static ModNode *c2fattn(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t nrep, int64_t ec,
                        int64_t nh, int64_t gc, bool shortcut, int64_t g, double e)
{
    ModNode *n = cfg_node(c, parent, name, "C2fAttn");
    int64_t ch = cfg_channels(c, (double)c2 * e, n->path);
    cfg_attr_int(c, n, "c", ch);
    cfg_conv(c, n, "cv1", c1, 2 * ch, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", (3 + nrep) * ch, c2, 1, 1, 1, true);
    ModNode *m = cfg_list(c, n, "m");
    for (int i = 0; i < nrep; i++) cfg_bottleneck(c, m, cfg_idx(c, i), ch, ch, shortcut, g, 3, 3, 1.0);
    if (nh < 1 || ch % nh) cfg_fail(c, "C2fAttn: %lld heads do not divide %lld channels", (long long)nh, (long long)ch);
    else maxsigmoid_attn(c, n, ch, ch, nh, ec, gc);
    return n;
}

static ModNode *image_pooling_attn(Cfg *c, ModNode *parent, const char *name, int64_t ec, const int64_t *ch, int nf,
                                   int64_t ct, int64_t nh, int64_t k)
{
    ModNode *n = cfg_node(c, parent, name, "ImagePoolingAttn");
    if (nh < 1 || ec % nh) cfg_fail(c, "ImagePoolingAttn: %lld heads do not divide %lld channels", (long long)nh, (long long)ec);
    ModNode *q = cfg_seq(c, n, "query");
    layernorm(c, q, "0", ct);
    linear(c, q, "1", "Linear", ct, ec);
    ModNode *kk = cfg_seq(c, n, "key");
    layernorm(c, kk, "0", ec);
    linear(c, kk, "1", "Linear", ec, ec);
    ModNode *v = cfg_seq(c, n, "value");
    layernorm(c, v, "0", ec);
    linear(c, v, "1", "Linear", ec, ec);
    linear(c, n, "proj", "Linear", ec, ct);
    cfg_attr_float(c, n, "scale", 1.0);
    ModNode *pr = cfg_list(c, n, "projections");
    for (int i = 0; i < nf; i++) cfg_conv2d(c, pr, cfg_idx(c, i), ch[i], ec, 1, 1, 0, 1, 1, true);
    ModNode *pools = cfg_list(c, n, "im_pools");
    for (int i = 0; i < nf; i++) {
        ModNode *p = torch_node(c, pools, cfg_idx(c, i), "AdaptiveMaxPool2d", "torch.nn.modules.pooling");
        int64_t os[2] = {k, k};
        cfg_attr_ints(c, p, "output_size", os, 2);
    }
    cfg_attr_int(c, n, "ec", ec);
    cfg_attr_int(c, n, "nh", nh);
    cfg_attr_int(c, n, "nf", nf);
    cfg_attr_int(c, n, "hc", ec / nh);
    cfg_attr_int(c, n, "k", k);
    return n;
}

static ModNode *world_detect(Cfg *c, ModNode *parent, const char *name, int nc, int64_t embed, bool with_bn,
                             const int64_t *ch, int nl)
{
    ModNode *n = cfg_node(c, parent, name, "WorldDetect");
    cfg_detect_common(c, n, nc, ch, nl);
    /* the class branch ends in the embedding width; cv4 compares it with the class texts */
    ModNode *cv3 = modtree_child(n, "cv3");
    cv3->n_children = 0;
    int64_t c3 = cfg_max64(ch[0], nc < 100 ? nc : 100);
    for (int i = 0; i < nl; i++) {
        ModNode *s = cfg_seq(c, cv3, cfg_idx(c, i));
        cfg_conv(c, s, "0", ch[i], c3, 3, 1, 1, true);
        cfg_conv(c, s, "1", c3, c3, 3, 1, 1, true);
        cfg_conv2d(c, s, "2", c3, embed, 1, 1, 0, 1, 1, true);
    }
    ModNode *cv4 = cfg_list(c, n, "cv4");
    for (int i = 0; i < nl; i++) {
        ModNode *h = cfg_node(c, cv4, cfg_idx(c, i), with_bn ? "BNContrastiveHead" : "ContrastiveHead");
        if (with_bn) cfg_bn(c, h, "norm", embed);
        int64_t one = 1;
        ModTensor *bias = cfg_tensor(c, h, "bias", 1, &one, INIT_ZEROS, 0, false, true);
        ModTensor *ls = cfg_tensor(c, h, "logit_scale", 0, NULL, INIT_ZEROS, 0, false, true);
        if (bias && bias->data) ((float *)bias->data)[0] = -10.0f;
        if (ls && ls->data) ((float *)ls->data)[0] = with_bn ? -1.0f : (float)log(1.0 / 0.07);
    }
    c->detect = n;
    return n;
}

void cfg_world_text(Cfg *c, ModNode *root)
{
    int64_t d[3] = {1, c->nc, 512};
    cfg_tensor(c, root, "txt_feats", 3, d, INIT_UNIFORM, 1.0, true, false);
}

/* ---- YOLOv10's head ---- */

/* A copy of branch list `src` as `name` (copy.deepcopy: the same structure, new objects; the
 * shared default act becomes one new act shared inside the copy). */
static ModNode *deep_copy(Cfg *c, ModNode *parent, const char *name, const ModNode *src, ModNode **act_copy)
{
    ModNode *n;
    if (src->uid == c->act->uid) {
        if (!*act_copy) {
            *act_copy = modtree_node(c->t, src->name, "", src->type, c->next_uid++);
            (*act_copy)->module = src->module;
            modtree_add_attr(c->t, *act_copy, "inplace", MA_BOOL)->i = 1;
        }
        modtree_add_child(c->t, parent, *act_copy);
        return *act_copy;
    }
    n = cfg_node(c, parent, name, src->type);
    n->module = src->module;
    for (int i = 0; i < src->n_attrs; i++) *modtree_add_attr(c->t, n, src->attrs[i].name, src->attrs[i].kind) = src->attrs[i];
    for (int i = 0; i < src->n_tensors; i++) {
        const ModTensor *t = &src->tensors[i];
        ModTensor *nt = cfg_tensor(c, n, t->name, t->rank, t->dims, INIT_ZEROS, 0, t->is_buffer, t->requires_grad);
        if (nt && nt->data && t->data && nt->nbytes == t->nbytes) memcpy((void *)nt->data, t->data, t->nbytes);
    }
    for (int i = 0; i < src->n_children; i++) deep_copy(c, n, src->children[i]->name, src->children[i], act_copy);
    return n;
}

static ModNode *v10detect(Cfg *c, ModNode *parent, const char *name, int nc, const int64_t *ch, int nl)
{
    ModNode *n = cfg_node(c, parent, name, "v10Detect");
    cfg_detect_common(c, n, nc, ch, nl);
    ModNode *cv3 = modtree_child(n, "cv3");
    cv3->n_children = 0;
    int64_t c3 = cfg_max64(ch[0], nc < 100 ? nc : 100);
    for (int i = 0; i < nl; i++) {
        ModNode *s = cfg_seq(c, cv3, cfg_idx(c, i));
        ModNode *a = cfg_seq(c, s, "0");
        cfg_conv(c, a, "0", ch[i], ch[i], 3, 1, ch[i], true);
        cfg_conv(c, a, "1", ch[i], c3, 1, 1, 1, true);
        ModNode *b2 = cfg_seq(c, s, "1");
        cfg_conv(c, b2, "0", c3, c3, 3, 1, c3, true);
        cfg_conv(c, b2, "1", c3, c3, 1, 1, 1, true);
        cfg_conv2d(c, s, "2", c3, nc, 1, 1, 0, 1, 1, true);
    }
    ModNode *copy_act = NULL;
    deep_copy(c, n, "one2one_cv2", modtree_child(n, "cv2"), &copy_act);
    copy_act = NULL;
    deep_copy(c, n, "one2one_cv3", cv3, &copy_act);
    c->detect = n;
    return n;
}

/* ---- RT-DETR ---- */

static ModNode *lightconv(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, ModNode *act)
{
    ModNode *n = cfg_node(c, parent, name, "LightConv");
    cfg_conv(c, n, "conv1", c1, c2, 1, 1, 1, false);
    ModNode *dw = cfg_conv_typed(c, n, "conv2", "DWConv", c2, c2, k, 1, -1, cfg_gcd(c2, c2), false);
    dw->n_children--; /* its act is the given object, not a new Identity */
    modtree_add_child(c->t, dw, act);
    return n;
}

/* A Conv whose act is the given module object. */
static ModNode *conv_act(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t k, int64_t s,
                         int64_t p, ModNode *act)
{
    ModNode *n = cfg_conv_typed(c, parent, name, "Conv", c1, c2, k, s, p, 1, false);
    n->n_children--;
    modtree_add_child(c->t, n, act);
    return n;
}

static ModNode *hgstem(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t cm, int64_t c2)
{
    ModNode *n = cfg_node(c, parent, name, "HGStem");
    static const char *const names[5] = {"stem1", "stem2a", "stem2b", "stem3", "stem4"};
    const int64_t io[5][5] = {{c1, cm, 3, 2, -1}, {cm, cm / 2, 2, 1, 0}, {cm / 2, cm, 2, 1, 0}, {cm * 2, cm, 3, 2, -1},
                              {cm, c2, 1, 1, -1}};
    for (int i = 0; i < 5; i++) {
        ModNode *act = modtree_node(c->t, "act", "", "ReLU", c->next_uid++);
        act->module = "torch.nn.modules.activation";
        modtree_add_attr(c->t, act, "inplace", MA_BOOL)->i = 1;
        conv_act(c, n, names[i], io[i][0], io[i][1], io[i][2], io[i][3], io[i][4], act);
    }
    maxpool(c, n, "pool", 2, 1, 0, true);
    return n;
}

static ModNode *hgblock(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t cm, int64_t c2, int64_t k,
                        int64_t nrep, bool light, bool shortcut)
{
    ModNode *n = cfg_node(c, parent, name, "HGBlock");
    ModNode *act = shared_act(c, &c->hg_act, "ReLU");
    ModNode *m = cfg_list(c, n, "m");
    for (int i = 0; i < nrep; i++) {
        int64_t in = i == 0 ? c1 : cm;
        if (light) lightconv(c, m, cfg_idx(c, i), in, cm, k, act);
        else conv_act(c, m, cfg_idx(c, i), in, cm, k, 1, -1, act);
    }
    conv_act(c, n, "sc", c1 + nrep * cm, c2 / 2, 1, 1, -1, act);
    conv_act(c, n, "ec", c2 / 2, c2, 1, 1, -1, act);
    cfg_attr_bool(c, n, "add", shortcut && c1 == c2);
    return n;
}

static ModNode *repc3(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t c2, int64_t nrep, double e)
{
    ModNode *n = cfg_node(c, parent, name, "RepC3");
    int64_t c_ = cfg_channels(c, (double)c2 * e, n->path);
    cfg_conv(c, n, "cv1", c1, c_, 1, 1, 1, true);
    cfg_conv(c, n, "cv2", c1, c_, 1, 1, 1, true);
    ModNode *m = cfg_seq(c, n, "m");
    for (int i = 0; i < nrep; i++) repconv(c, m, cfg_idx(c, i), c_, c_, 1, 1);
    if (c_ != c2) cfg_conv(c, n, "cv3", c_, c2, 1, 1, 1, true);
    else identity(c, n, "cv3");
    return n;
}

static ModNode *aifi(Cfg *c, ModNode *parent, const char *name, int64_t c1, int64_t cm, int64_t nh)
{
    ModNode *n = cfg_node(c, parent, name, "AIFI");
    if (nh < 1 || c1 % nh || c1 % 4) {
        cfg_fail(c, "AIFI needs heads dividing %lld channels (and channels a multiple of 4)", (long long)c1);
        return n;
    }
    mha(c, n, "ma", c1, nh, true);
    linear(c, n, "fc1", "Linear", c1, cm);
    linear(c, n, "fc2", "Linear", cm, c1);
    layernorm(c, n, "norm1", c1);
    layernorm(c, n, "norm2", c1);
    dropout(c, n, "dropout");
    dropout(c, n, "dropout1");
    dropout(c, n, "dropout2");
    modtree_add_child(c->t, n, shared_act(c, &c->aifi_act, "GELU"));
    cfg_attr_bool(c, n, "normalize_before", false);
    return n;
}

static ModNode *mlp(Cfg *c, ModNode *parent, const char *name, int64_t in, int64_t hidden, int64_t out, int nl)
{
    ModNode *n = cfg_node(c, parent, name, "MLP");
    cfg_attr_int(c, n, "num_layers", nl);
    cfg_attr_bool(c, n, "sigmoid", false);
    ModNode *layers = cfg_list(c, n, "layers");
    for (int i = 0; i < nl; i++)
        linear(c, layers, cfg_idx(c, i), "Linear", i == 0 ? in : hidden, i == nl - 1 ? out : hidden);
    new_act(c, n, "act", "ReLU");
    return n;
}

static ModNode *decoder_layer(Cfg *c, ModNode *parent, const char *name, int64_t d, int64_t nh, int64_t d_ffn,
                              int64_t nlev, int64_t npts)
{
    ModNode *n = cfg_node(c, parent, name, "DeformableTransformerDecoderLayer");
    mha(c, n, "self_attn", d, nh, false);
    dropout(c, n, "dropout1");
    layernorm(c, n, "norm1", d);
    ModNode *ca = cfg_node(c, n, "cross_attn", "MSDeformAttn");
    cfg_attr_int(c, ca, "d_model", d);
    cfg_attr_int(c, ca, "n_levels", nlev);
    cfg_attr_int(c, ca, "n_heads", nh);
    cfg_attr_int(c, ca, "n_points", npts);
    linear(c, ca, "sampling_offsets", "Linear", d, nh * nlev * npts * 2);
    linear(c, ca, "attention_weights", "Linear", d, nh * nlev * npts);
    linear(c, ca, "value_proj", "Linear", d, d);
    linear(c, ca, "output_proj", "Linear", d, d);
    dropout(c, n, "dropout2");
    layernorm(c, n, "norm2", d);
    linear(c, n, "linear1", "Linear", d, d_ffn);
    new_act(c, n, "act", "ReLU");
    dropout(c, n, "dropout3");
    linear(c, n, "linear2", "Linear", d_ffn, d);
    dropout(c, n, "dropout4");
    layernorm(c, n, "norm3", d);
    return n;
}

/* RTDETRDecoder(nc, ch, hd, nq, ndp, nh, ndl, d_ffn). */
static ModNode *rtdetr_decoder(Cfg *c, ModNode *parent, const char *name, int nc, const int64_t *ch, int nl,
                               int64_t hd, int64_t nq, int64_t ndp, int64_t nh, int64_t ndl, int64_t d_ffn)
{
    ModNode *n = cfg_node(c, parent, name, "RTDETRDecoder");
    if (hd < 1 || nh < 1 || hd % nh || nq < 1 || nq > 100000 || ndp < 1 || ndp > 64 || ndl < 1 || ndl > 64 ||
        d_ffn < 1 || d_ffn > 65536 || hd > 65536) {
        cfg_fail(c, "RTDETRDecoder arguments out of range (hidden %lld, heads %lld, queries %lld, points %lld, layers %lld)",
                 (long long)hd, (long long)nh, (long long)nq, (long long)ndp, (long long)ndl);
        return n;
    }
    cfg_attr_int(c, n, "hidden_dim", hd);
    cfg_attr_int(c, n, "nhead", nh);
    cfg_attr_int(c, n, "nl", nl);
    cfg_attr_int(c, n, "nc", nc);
    cfg_attr_int(c, n, "num_queries", nq);
    cfg_attr_int(c, n, "num_decoder_layers", ndl);
    ModNode *ip = cfg_list(c, n, "input_proj");
    for (int i = 0; i < nl; i++) {
        ModNode *s = cfg_seq(c, ip, cfg_idx(c, i));
        cfg_conv2d(c, s, "0", ch[i], hd, 1, 1, 0, 1, 1, false);
        cfg_bn(c, s, "1", hd);
    }
    ModNode *dec = cfg_node(c, n, "decoder", "DeformableTransformerDecoder");
    cfg_attr_int(c, dec, "num_layers", ndl);
    cfg_attr_int(c, dec, "hidden_dim", hd);
    cfg_attr_int(c, dec, "eval_idx", ndl - 1);
    ModNode *layers = cfg_list(c, dec, "layers");
    for (int i = 0; i < ndl; i++) decoder_layer(c, layers, cfg_idx(c, i), hd, nh, d_ffn, nl, ndp);
    ModNode *emb = torch_node(c, n, "denoising_class_embed", "Embedding", "torch.nn.modules.sparse");
    int64_t ed[2] = {nc, hd};
    cfg_tensor(c, emb, "weight", 2, ed, INIT_UNIFORM, 1.0, false, true);
    mlp(c, n, "query_pos_head", 4, 2 * hd, hd, 2);
    ModNode *eo = cfg_seq(c, n, "enc_output");
    linear(c, eo, "0", "Linear", hd, hd);
    layernorm(c, eo, "1", hd);
    linear(c, n, "enc_score_head", "Linear", hd, nc);
    mlp(c, n, "enc_bbox_head", hd, hd, 4, 3);
    ModNode *ds = cfg_list(c, n, "dec_score_head");
    for (int i = 0; i < ndl; i++) linear(c, ds, cfg_idx(c, i), "Linear", hd, nc);
    ModNode *db = cfg_list(c, n, "dec_bbox_head");
    for (int i = 0; i < ndl; i++) mlp(c, db, cfg_idx(c, i), hd, hd, 4, 3);
    return n;
}

/* ---- one layer row ---- */

static int64_t head_nc(Cfg *c, const Arg *args, int nargs, const char *type)
{
    int64_t nc;
    if (nargs < 1 || !cfg_arg_int(&args[0], &nc) || nc <= 0 || nc > 100000) {
        cfg_fail(c, "%s needs a positive class count as its first argument", type);
        return 0;
    }
    return nc;
}

ModNode *cfg_family_module(Cfg *c, ModNode *parent, const char *name, const char *type, const Arg *args, int nargs,
                           const int64_t *chs, int nchs, bool *handled)
{
    *handled = true;
    const char *t = type;
    /* most rows are [c1, c2, ...] after parse_model's rewrite; lists where a list belongs */
    int64_t c1 = nargs > 0 && args[0].kind != AV_LIST ? cfg_arg_int_at(c, args, nargs, 0, 0) : 0;
    int64_t c2 = nargs > 1 && args[1].kind != AV_LIST && args[1].kind != AV_NONE ? cfg_arg_int_at(c, args, nargs, 1, 0) : 0;
    if (!strcmp(t, "MaxPool2d")) {
        int64_t k = cfg_arg_int_at(c, args, nargs, 0, 0), s = cfg_arg_int_at(c, args, nargs, 1, k);
        int64_t p = cfg_arg_int_at(c, args, nargs, 2, 0);
        if (k <= 0 || k > 31 || s <= 0 || s > 31 || p < 0 || p > k / 2) {
            cfg_fail(c, "nn.MaxPool2d needs [kernel, stride, padding] with padding at most half the kernel");
            return NULL;
        }
        return maxpool(c, parent, name, k, s, p, false);
    }
    if (!strcmp(t, "ZeroPad2d")) {
        ModNode *n = torch_node(c, parent, name, "ZeroPad2d", "torch.nn.modules.padding");
        if (nargs == 1 && args[0].kind == AV_LIST && args[0].n == 4) {
            cfg_attr_ints(c, n, "padding", args[0].list, 4);
        } else if (nargs == 1 && args[0].kind == AV_INT) {
            int64_t p[4] = {args[0].i, args[0].i, args[0].i, args[0].i};
            cfg_attr_ints(c, n, "padding", p, 4);
        } else {
            cfg_fail(c, "nn.ZeroPad2d needs [[left, right, top, bottom]]");
            return NULL;
        }
        return n;
    }
    if (!strcmp(t, "Identity")) return identity(c, parent, name);
    if (!strcmp(t, "ConvTranspose2d")) {
        int64_t k = cfg_arg_int_at(c, args, nargs, 2, 1), s = cfg_arg_int_at(c, args, nargs, 3, 1);
        int64_t p = cfg_arg_int_at(c, args, nargs, 4, 0);
        if (k <= 0 || k > 16 || s <= 0 || s > 16 || p < 0 || p >= k) {
            cfg_fail(c, "nn.ConvTranspose2d needs kernel 1-16, stride 1-16 and padding below the kernel");
            return NULL;
        }
        return conv_transpose2d(c, parent, name, c1, c2, k, s, p);
    }
    if (!strcmp(t, "SPP")) {
        int64_t k[8] = {5, 9, 13};
        int nk = 3;
        if (nargs > 2 && args[2].kind == AV_LIST && args[2].n >= 1 && args[2].n <= 8) {
            nk = args[2].n;
            memcpy(k, args[2].list, sizeof(int64_t) * (size_t)nk);
        }
        for (int i = 0; i < nk; i++)
            if (k[i] <= 0 || k[i] > 31 || !(k[i] & 1)) {
                cfg_fail(c, "SPP needs odd pooling kernels");
                return NULL;
            }
        return spp(c, parent, name, c1, c2, k, nk);
    }
    if (!strcmp(t, "GhostConv")) {
        int64_t k = cfg_arg_int_at(c, args, nargs, 2, 1), s = cfg_arg_int_at(c, args, nargs, 3, 1);
        if (k <= 0 || k > 31 || s <= 0 || s > 16) {
            cfg_fail(c, "GhostConv needs kernel 1-31 and stride 1-16");
            return NULL;
        }
        return ghostconv(c, parent, name, c1, c2, k, s, cfg_arg_int_at(c, args, nargs, 4, 1),
                         cfg_arg_bool_at(args, nargs, 5, true));
    }
    if (!strcmp(t, "GhostBottleneck"))
        return ghostbottleneck(c, parent, name, c1, c2, cfg_arg_int_at(c, args, nargs, 2, 3), cfg_arg_int_at(c, args, nargs, 3, 1));
    if (!strcmp(t, "C3Ghost"))
        return c3ghost(c, parent, name, c1, c2, cfg_arg_int_at(c, args, nargs, 2, 1), cfg_arg_bool_at(args, nargs, 3, true),
                       cfg_arg_int_at(c, args, nargs, 4, 1), cfg_arg_num_at(args, nargs, 5, 0.5));
    if (!strcmp(t, "RepNCSPELAN4") || !strcmp(t, "ELAN1")) {
        int64_t c3 = cfg_arg_int_at(c, args, nargs, 2, 0), c4 = cfg_arg_int_at(c, args, nargs, 3, 0);
        int64_t nrep = cfg_arg_int_at(c, args, nargs, 4, 1);
        if (c3 <= 0 || c3 % 2 || c4 <= 0 || c3 > 65536 || c4 > 65536 || nrep < 1 || nrep > 64) {
            cfg_fail(c, "%s needs an even c3, a positive c4 and 1 to 64 repeats", t);
            return NULL;
        }
        return repncspelan4(c, parent, name, t, c1, c2, c3, c4, nrep);
    }
    if (!strcmp(t, "AConv") || !strcmp(t, "ADown")) {
        ModNode *n = cfg_node(c, parent, name, t);
        if (!strcmp(t, "AConv")) {
            cfg_conv_typed(c, n, "cv1", "Conv", c1, c2, 3, 2, 1, 1, true);
        } else {
            cfg_attr_int(c, n, "c", c2 / 2);
            cfg_conv_typed(c, n, "cv1", "Conv", c1 / 2, c2 / 2, 3, 2, 1, 1, true);
            cfg_conv_typed(c, n, "cv2", "Conv", c1 / 2, c2 / 2, 1, 1, 0, 1, true);
        }
        return n;
    }
    if (!strcmp(t, "SPPELAN")) {
        int64_t c3 = cfg_arg_int_at(c, args, nargs, 2, 0), k = cfg_arg_int_at(c, args, nargs, 3, 5);
        if (c3 <= 0 || c3 > 65536 || k <= 0 || k > 31 || !(k & 1)) {
            cfg_fail(c, "SPPELAN needs a positive c3 and an odd kernel");
            return NULL;
        }
        return sppelan(c, parent, name, c1, c2, c3, k);
    }
    if (!strcmp(t, "CBLinear")) {
        if (nargs < 2 || args[1].kind != AV_LIST || args[1].n < 1) {
            cfg_fail(c, "CBLinear needs a list of output channel counts");
            return NULL;
        }
        int64_t total = 0;
        for (int i = 0; i < args[1].n; i++) {
            if (args[1].list[i] <= 0 || args[1].list[i] > 65536) {
                cfg_fail(c, "CBLinear channel counts must be positive");
                return NULL;
            }
            total += args[1].list[i];
        }
        int64_t k = cfg_arg_int_at(c, args, nargs, 2, 1), s = cfg_arg_int_at(c, args, nargs, 3, 1);
        ModNode *n = cfg_node(c, parent, name, "CBLinear");
        cfg_attr_ints(c, n, "c2s", args[1].list, args[1].n);
        cfg_conv2d(c, n, "conv", c1, total, k, s, k / 2, 1, 1, true);
        return n;
    }
    if (!strcmp(t, "CBFuse")) {
        if (nargs < 1 || args[0].kind != AV_LIST || args[0].n != nchs - 1) {
            cfg_fail(c, "CBFuse needs one index per input but the last");
            return NULL;
        }
        ModNode *n = cfg_node(c, parent, name, "CBFuse");
        cfg_attr_ints(c, n, "idx", args[0].list, args[0].n);
        return n;
    }
    if (!strcmp(t, "SCDown")) {
        int64_t k = cfg_arg_int_at(c, args, nargs, 2, 3), s = cfg_arg_int_at(c, args, nargs, 3, 2);
        if (k <= 0 || k > 31 || s <= 0 || s > 16) {
            cfg_fail(c, "SCDown needs kernel 1-31 and stride 1-16");
            return NULL;
        }
        ModNode *n = cfg_node(c, parent, name, "SCDown");
        cfg_conv(c, n, "cv1", c1, c2, 1, 1, 1, true);
        cfg_conv(c, n, "cv2", c2, c2, k, s, c2, false);
        return n;
    }
    if (!strcmp(t, "C2fCIB"))
        return c2fcib(c, parent, name, c1, c2, cfg_arg_int_at(c, args, nargs, 2, 1), cfg_arg_bool_at(args, nargs, 3, false),
                      cfg_arg_bool_at(args, nargs, 4, false), cfg_arg_num_at(args, nargs, 6, 0.5));
    if (!strcmp(t, "PSA")) return psa(c, parent, name, c1, c2, cfg_arg_num_at(args, nargs, 2, 0.5));
    if (!strcmp(t, "A2C2f")) {
        int64_t area = cfg_arg_int_at(c, args, nargs, 4, 1);
        bool a2 = cfg_arg_bool_at(args, nargs, 3, true);
        if (a2 && (area < 1 || area > 64)) {
            cfg_fail(c, "A2C2f area must be 1 to 64");
            return NULL;
        }
        return a2c2f(c, parent, name, c1, c2, cfg_arg_int_at(c, args, nargs, 2, 1), a2, area, cfg_arg_bool_at(args, nargs, 5, false), cfg_arg_num_at(args, nargs, 6, 2.0),
                     cfg_arg_num_at(args, nargs, 7, 0.5), cfg_arg_int_at(c, args, nargs, 8, 1),
                     cfg_arg_bool_at(args, nargs, 9, true));
    }
    if (!strcmp(t, "C2fAttn")) {
        int64_t ec = cfg_arg_int_at(c, args, nargs, 3, 128), nh = cfg_arg_int_at(c, args, nargs, 4, 1);
        int64_t gc = cfg_arg_int_at(c, args, nargs, 5, 512);
        if (ec <= 0 || ec > 65536 || nh <= 0 || gc <= 0 || gc > 65536) {
            cfg_fail(c, "C2fAttn needs positive embedding channels, heads and guide channels");
            return NULL;
        }
        return c2fattn(c, parent, name, c1, c2, cfg_arg_int_at(c, args, nargs, 2, 1), ec, nh, gc,
                       cfg_arg_bool_at(args, nargs, 6, false), cfg_arg_int_at(c, args, nargs, 7, 1),
                       cfg_arg_num_at(args, nargs, 8, 0.5));
    }
    if (!strcmp(t, "ImagePoolingAttn")) {
        int64_t ec = cfg_arg_int_at(c, args, nargs, 0, 256), ct = cfg_arg_int_at(c, args, nargs, 2, 512);
        int64_t nh = cfg_arg_int_at(c, args, nargs, 3, 8), k = cfg_arg_int_at(c, args, nargs, 4, 3);
        if (ec <= 0 || ec > 65536 || ct <= 0 || ct > 65536 || nh <= 0 || k <= 0 || k > 16 || nchs < 1) {
            cfg_fail(c, "ImagePoolingAttn arguments out of range");
            return NULL;
        }
        return image_pooling_attn(c, parent, name, ec, chs, nchs, ct, nh, k);
    }
    if (!strcmp(t, "WorldDetect")) {
        int64_t nc = head_nc(c, args, nargs, t), embed = cfg_arg_int_at(c, args, nargs, 1, 512);
        if (!nc) return NULL;
        if (embed <= 0 || embed > 65536) {
            cfg_fail(c, "WorldDetect embedding width out of range");
            return NULL;
        }
        return world_detect(c, parent, name, (int)nc, embed, cfg_arg_bool_at(args, nargs, 2, false), chs, nchs);
    }
    if (!strcmp(t, "v10Detect")) {
        int64_t nc = head_nc(c, args, nargs, t);
        return nc ? v10detect(c, parent, name, (int)nc, chs, nchs) : NULL;
    }
    if (!strcmp(t, "HGStem")) {
        int64_t cm = cfg_arg_int_at(c, args, nargs, 1, 0), co = cfg_arg_int_at(c, args, nargs, 2, 0);
        if (cm <= 1 || cm > 65536 || cm % 2 || co <= 0 || co > 65536) {
            cfg_fail(c, "HGStem needs an even middle width and a positive output width");
            return NULL;
        }
        return hgstem(c, parent, name, c1, cm, co);
    }
    if (!strcmp(t, "HGBlock")) {
        int64_t cm = cfg_arg_int_at(c, args, nargs, 1, 0), co = cfg_arg_int_at(c, args, nargs, 2, 0);
        int64_t k = cfg_arg_int_at(c, args, nargs, 3, 3), nrep = cfg_arg_int_at(c, args, nargs, 4, 6);
        if (cm <= 0 || cm > 65536 || co <= 1 || co > 65536 || k <= 0 || k > 31 || nrep < 1 || nrep > 64) {
            cfg_fail(c, "HGBlock needs positive widths, kernel 1-31 and 1 to 64 blocks");
            return NULL;
        }
        return hgblock(c, parent, name, c1, cm, co, k, nrep, cfg_arg_bool_at(args, nargs, 5, false),
                       cfg_arg_bool_at(args, nargs, 6, false));
    }
    if (!strcmp(t, "RepC3"))
        return repc3(c, parent, name, c1, c2, cfg_arg_int_at(c, args, nargs, 2, 3), cfg_arg_num_at(args, nargs, 3, 1.0));
    if (!strcmp(t, "AIFI")) {
        int64_t cm = cfg_arg_int_at(c, args, nargs, 1, 2048), nh = cfg_arg_int_at(c, args, nargs, 2, 8);
        if (cm <= 0 || cm > 65536) {
            cfg_fail(c, "AIFI feed-forward width out of range");
            return NULL;
        }
        return aifi(c, parent, name, c1, cm, nh);
    }
    if (!strcmp(t, "RTDETRDecoder")) {
        /* args: [nc, ch, hd, nq, ndp, nh, ndl, d_ffn] */
        int64_t nc = head_nc(c, args, nargs, t);
        if (!nc) return NULL;
        return rtdetr_decoder(c, parent, name, (int)nc, chs, nchs, cfg_arg_int_at(c, args, nargs, 2, 256),
                              cfg_arg_int_at(c, args, nargs, 3, 300), cfg_arg_int_at(c, args, nargs, 4, 4),
                              cfg_arg_int_at(c, args, nargs, 5, 8), cfg_arg_int_at(c, args, nargs, 6, 6),
                              cfg_arg_int_at(c, args, nargs, 7, 1024));
    }
    *handled = false;
    return NULL;
}
