/* yolo: ModTree -> Graph.  The walk over model.model (as _predict_once), module
 * registration, scope naming as in the peer's ONNX export, weight conversion, the op
 * helpers with shape inference, dynamic-shape marking and the graph's metadata.
 * Emitters for the module kinds live in yolo_modules.c and yolo_head.c. */
#include "engine/builder/yolo_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/imgsz.h"

#define MAX_MODULE_DEPTH 48
#define MAX_LAYERS 4096
/* module paths: a checkpoint may share one module object under many parents, and a
 * hostile one could nest such sharing to make the number of paths explode */
#define MAX_MODULES 200000

/* ---- module kinds ---- */

static const ModuleKind kinds[] = {
    {"Sequential", emit_sequential, true},
    {"Conv", emit_conv_block, false},
    {"DWConv", emit_conv_block, false},
    {"Conv2d", emit_conv2d, false},
    {"ConvTranspose2d", emit_conv_transpose2d, false},
    {"BatchNorm2d", emit_batchnorm2d, false},
    {"SiLU", emit_silu, false},
    {"ReLU", emit_relu, false},
    {"Sigmoid", emit_sigmoid, false},
    {"Identity", emit_identity, false},
    {"Dropout", emit_identity, false},
    {"MaxPool2d", emit_maxpool2d, false},
    {"Upsample", emit_upsample, false},
    {"Concat", emit_concat, false},
    {"Bottleneck", emit_bottleneck, false},
    {"C2f", emit_c2f, false},
    {"C3k2", emit_c2f, false},
    {"C3", emit_c3, false},
    {"C3k", emit_c3, false},
    {"C2", emit_c2, false},
    {"SPPF", emit_sppf, false},
    {"C2PSA", emit_c2psa, false},
    {"PSABlock", emit_psablock, false},
    {"Attention", emit_attention, false},
    {"Detect", emit_detect, false},
    {"Segment", emit_segment, false},
    {"Pose", emit_pose, false},
    {"OBB", emit_obb, false},
    {"Proto", emit_proto, false},
    {"DFL", emit_dfl, false},
    {"Classify", emit_classify, false},
    {"AdaptiveAvgPool2d", emit_adaptive_avgpool2d, false},
    {"Linear", emit_linear, false},
    /* YOLOv3u, Ghost */
    {"ZeroPad2d", emit_zeropad2d, false},
    {"SPP", emit_spp, false},
    {"GhostConv", emit_ghostconv, false},
    {"GhostBottleneck", emit_ghostbottleneck, false},
    {"C3Ghost", emit_c3, false},
    /* YOLOv9 */
    {"RepConv", emit_repconv, false},
    {"RepBottleneck", emit_bottleneck, false},
    {"RepCSP", emit_c3, false},
    {"RepNCSPELAN4", emit_elan, false},
    {"ELAN1", emit_elan, false},
    {"AConv", emit_aconv, false},
    {"ADown", emit_adown, false},
    {"SPPELAN", emit_sppelan, false},
    {"CBLinear", emit_cblinear, false},
    {"CBFuse", emit_cbfuse, false},
    /* YOLOv10 */
    {"SCDown", emit_chain2, false},
    {"C2fCIB", emit_c2f, false},
    {"CIB", emit_cib, false},
    {"RepVGGDW", emit_repvggdw, false},
    {"PSA", emit_psa, false},
    {"v10Detect", emit_v10detect, false},
    /* YOLO12 */
    {"A2C2f", emit_a2c2f, false},
    {"ABlock", emit_ablock, false},
    {"AAttn", emit_aattn, false},
    /* YOLO-World */
    {"C2fAttn", emit_c2fattn, false},
    {"MaxSigmoidAttnBlock", emit_maxsigmoid_attn, false},
    {"ImagePoolingAttn", emit_image_pooling_attn, false},
    {"WorldDetect", emit_world_detect, false},
    {"ContrastiveHead", emit_contrastive_head, false},
    {"BNContrastiveHead", emit_contrastive_head, false},
    {"LayerNorm", emit_layernorm, false},
    /* RT-DETR */
    {"HGStem", emit_hgstem, false},
    {"HGBlock", emit_hgblock, false},
    {"LightConv", emit_lightconv, false},
    {"RepC3", emit_repc3, false},
    {"AIFI", emit_aifi, false},
    {"GELU", emit_gelu, false},
    {"MLP", emit_mlp, false},
    {"MSDeformAttn", emit_msdeform_attn, false},
    {"DeformableTransformerDecoderLayer", emit_deform_layer, false},
    {"RTDETRDecoder", emit_rtdetr_decoder, false},
};

const ModuleKind *yolo_kind(const char *type)
{
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
        if (!strcmp(kinds[i].type, type)) return &kinds[i];
    return NULL;
}

/* ---- errors, paths, scopes ---- */

int yb_fail(Builder *b, const char *path, const char *fmt, ...)
{
    if (b->failed) return -1;
    b->failed = true;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (path && *path)
        err_set(b->err, b->errlen, "%s: %s", path, msg);
    else
        err_set(b->err, b->errlen, "%s", msg);
    return -1;
}

const ModNode *yb_child(const ModNode *m, const char *name)
{
    return m ? modtree_child(m, name) : NULL;
}

const char *yb_path(Builder *b, const char *path, const char *name)
{
    if (!path || !*path) return arena_strdup(b->g->arena, name);
    return arena_printf(b->g->arena, "%s.%s", path, name);
}

int yb_call_node(Builder *b, const ModNode *node, const char *node_path, const Scope *parent, const int *x, int nx,
                 int *out)
{
    if (b->failed) return -1;
    const ModuleKind *kind = yolo_kind(node->type);
    if (!kind) return yb_fail(b, node_path, "module type '%s' is not supported by yoloport's builder", node->type);
    const char *rel = node_path;
    size_t alen = strlen(parent->anchor);
    if (alen && !strncmp(node_path, parent->anchor, alen) && node_path[alen] == '.') rel = node_path + alen + 1;
    char base[1024];
    snprintf(base, sizeof base, "%s/%s", parent->scope, rel);
    int *calls = strmap_slot(&b->scopes, base, NULL);
    const char *scope = *calls ? arena_printf(b->g->arena, "%s_%d", base, *calls) : arena_strdup(b->g->arena, base);
    (*calls)++;
    Scope sc = {scope, kind->container ? parent->anchor : node_path};
    int mod = strmap_get(&b->modules, node_path);
    if (mod < 0) return yb_fail(b, node_path, "module is not part of the model tree");
    int rc = kind->emit(b, node, node_path, &sc, mod, x, nx, out);
    if (rc == 0 && !b->failed) b->g->modules[mod].out_tensor = *out;
    return b->failed ? -1 : rc;
}

int yb_call(Builder *b, const ModNode *m, const char *path, const Scope *sc, const char *child, const int *x,
            int nx, int *out)
{
    const ModNode *c = yb_child(m, child);
    if (!c) return yb_fail(b, path, "%s has no '%s' submodule", m->type, child);
    return yb_call_node(b, c, yb_path(b, path, child), sc, x, nx, out);
}

/* ---- tensors ---- */

Tensor *yb_t(Builder *b, int i)
{
    return graph_tensor(b->g, i);
}

int yb_rank(Builder *b, int t)
{
    Tensor *x = yb_t(b, t);
    return x ? x->rank : 0;
}

int64_t yb_dim(Builder *b, int t, int axis)
{
    Tensor *x = yb_t(b, t);
    if (!x) return -1;
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis >= x->rank) return -1;
    return x->dims[axis];
}

static bool convert_to_f32(const ModTensor *mt, float *out, int64_t n)
{
    switch (mt->dtype) {
    case DT_F32:
        memcpy(out, mt->data, (size_t)n * 4);
        return true;
    case DT_F16: {
        const unsigned char *p = mt->data;
        halves_to_floats(out, p, (size_t)n);
        return true;
    }
    case DT_BF16: {
        const unsigned char *p = mt->data;
        for (int64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            out[i] = bf16_to_float(h);
        }
        return true;
    }
    case DT_F64: {
        const unsigned char *p = mt->data;
        for (int64_t i = 0; i < n; i++) {
            double d;
            memcpy(&d, p + 8 * i, 8);
            out[i] = (float)d;
        }
        return true;
    }
    default:
        return false;
    }
}

int yb_param(Builder *b, const ModNode *m, const char *path, const char *name, bool required)
{
    if (b->failed) return -1;
    const ModTensor *mt = modtree_tensor(m, name);
    if (!mt) {
        if (required) yb_fail(b, path, "%s has no '%s' tensor", m->type, name);
        return -1;
    }
    const char *tname = yb_path(b, path, name);
    int64_t numel;
    if (!dims_product(mt->dims, mt->rank, &numel))
        return yb_fail(b, path, "tensor '%s' has an invalid shape", name);
    int ti = graph_add_tensor(b->g, tname, DT_F32, mt->rank, mt->dims);
    Tensor *t = yb_t(b, ti);
    t->is_param = !mt->is_buffer;
    t->requires_grad = mt->requires_grad;
    if (b->with_data && mt->data) {
        size_t want;
        if (!size_mul((size_t)numel, dtype_size(mt->dtype), &want) || mt->nbytes < want || !dtype_size(mt->dtype))
            return yb_fail(b, path, "tensor '%s' holds %zu bytes, its shape needs more", name, mt->nbytes);
        if (mt->dtype == DT_F32 && b->borrow_f32) {
            t->data = (void *)mt->data;
        } else {
            float *buf = arena_alloc(b->g->arena, (size_t)numel * 4 + 1);
            if (!convert_to_f32(mt, buf, numel))
                return yb_fail(b, path, "tensor '%s' has dtype %s, which yoloport cannot use as a weight", name,
                               dtype_name(mt->dtype));
            t->data = buf;
        }
        t->nbytes = (size_t)numel * 4;
    }
    return ti;
}

static const char *unique_name(Builder *b, const char *scope, const char *label)
{
    char key[1100];
    snprintf(key, sizeof key, "%s/%s", scope, label);
    int *n = strmap_slot(&b->names, key, NULL);
    const char *name = *n ? arena_printf(b->g->arena, "%s_%d", key, *n) : arena_strdup(b->g->arena, key);
    (*n)++;
    return name;
}

int yb_const_f32(Builder *b, const char *scope, const char *label, int rank, const int64_t *dims, const float *data)
{
    return graph_add_const(b->g, unique_name(b, scope, label), DT_F32, rank, dims, data);
}

int yb_const_i64(Builder *b, const char *scope, const char *label, int rank, const int64_t *dims,
                 const int64_t *data)
{
    return graph_add_const(b->g, unique_name(b, scope, label), DT_I64, rank, dims, data);
}

int yb_scalar_f32(Builder *b, const char *scope, float v)
{
    return yb_const_f32(b, scope, "Constant", 0, NULL, &v);
}

int yb_vec_i64(Builder *b, const char *scope, const int64_t *v, int n)
{
    int64_t d = n;
    return yb_const_i64(b, scope, "Constant", 1, &d, v);
}

/* ---- ops ---- */

int yb_node(Builder *b, const char *scope, int mod, OpKind op, const char *op_type, const int *in, int nin,
            int nout, const int64_t (*dims)[GRAPH_MAX_RANK], const int *ranks, int *outs)
{
    if (b->failed) return -1;
    const char *type = op_type ? op_type : op_name(op);
    const char *name = unique_name(b, scope, type);
    int tmp[8];
    if (nout > 8) return yb_fail(b, scope, "too many outputs");
    /* most ops keep their first input's element type; Shape yields int64 (Cast callers
     * set the type they cast to) */
    DType dt = op == OP_SHAPE ? DT_I64 : (nin > 0 && in[0] >= 0 ? yb_t(b, in[0])->dtype : DT_F32);
    for (int k = 0; k < nout; k++) {
        char tn[1200];
        snprintf(tn, sizeof tn, "%s_output_%d", name, k);
        tmp[k] = graph_add_tensor(b->g, tn, dt, ranks[k], dims[k]);
        if (outs) outs[k] = tmp[k];
    }
    return graph_add_node(b->g, op, type, name, mod, in, nin, tmp, nout);
}

static int node1(Builder *b, const char *scope, int mod, OpKind op, const char *op_type, const int *in, int nin,
                 int rank, const int64_t *dims, int *node_out)
{
    int64_t d[1][GRAPH_MAX_RANK] = {{0}};
    for (int i = 0; i < rank && i < GRAPH_MAX_RANK; i++) d[0][i] = dims[i];
    int out = -1;
    int ni = yb_node(b, scope, mod, op, op_type, in, nin, 1, (const int64_t(*)[GRAPH_MAX_RANK])d, &rank, &out);
    if (node_out) *node_out = ni;
    return ni < 0 ? -1 : out;
}

static int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1, int64_t d)
{
    if (in < 0) return -1;
    int64_t eff = d * (k - 1) + 1;
    int64_t num = in + p0 + p1 - eff;
    if (num < 0 || s <= 0) return 0;
    return num / s + 1;
}

int yb_conv(Builder *b, const char *scope, int mod, int x, int w, int bias, const int64_t stride[2],
            const int64_t pads[4], const int64_t dil[2], int64_t group)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x), *W = yb_t(b, w);
    if (X->rank != 4 || W->rank != 4) return yb_fail(b, scope, "Conv expects 4-d input and weight");
    if (group <= 0 || X->dims[1] != W->dims[1] * group || W->dims[0] % group)
        return yb_fail(b, scope, "Conv weight %lldx%lld (groups %lld) does not fit an input with %lld channels",
                       (long long)W->dims[0], (long long)W->dims[1], (long long)group, (long long)X->dims[1]);
    int64_t od[4] = {X->dims[0], W->dims[0], conv_out(X->dims[2], W->dims[2], stride[0], pads[0], pads[2], dil[0]),
                     conv_out(X->dims[3], W->dims[3], stride[1], pads[1], pads[3], dil[1])};
    if (od[2] == 0 || od[3] == 0) return yb_fail(b, scope, "Conv output would be empty (input too small)");
    int64_t ks[2] = {W->dims[2], W->dims[3]}; /* W dangles once tensors are added */
    int in[3] = {x, w, bias};
    int ni;
    int y = node1(b, scope, mod, OP_CONV, NULL, in, bias >= 0 ? 3 : 2, 4, od, &ni);
    if (y < 0) return -1;
    node_set_ints(b->g, ni, "dilations", dil, 2);
    node_set_int(b->g, ni, "group", group);
    node_set_ints(b->g, ni, "kernel_shape", ks, 2);
    node_set_ints(b->g, ni, "pads", pads, 4);
    node_set_ints(b->g, ni, "strides", stride, 2);
    return y;
}

int yb_conv_transpose(Builder *b, const char *scope, int mod, int x, int w, int bias, const int64_t stride[2],
                      const int64_t pads[4], const int64_t dil[2], int64_t group, const int64_t out_pad[2])
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x), *W = yb_t(b, w);
    if (X->rank != 4 || W->rank != 4) return yb_fail(b, scope, "ConvTranspose expects 4-d input and weight");
    if (group <= 0 || X->dims[1] != W->dims[0])
        return yb_fail(b, scope, "ConvTranspose weight does not fit an input with %lld channels",
                       (long long)X->dims[1]);
    int64_t od[4] = {X->dims[0], W->dims[1] * group, -1, -1};
    for (int i = 0; i < 2; i++) {
        int64_t in = X->dims[2 + i];
        od[2 + i] = in < 0 ? -1
                           : (in - 1) * stride[i] - pads[i] - pads[i + 2] + dil[i] * (W->dims[2 + i] - 1) +
                                 out_pad[i] + 1;
    }
    int64_t ks[2] = {W->dims[2], W->dims[3]};
    int in[3] = {x, w, bias};
    int ni;
    int y = node1(b, scope, mod, OP_CONV_TRANSPOSE, NULL, in, bias >= 0 ? 3 : 2, 4, od, &ni);
    if (y < 0) return -1;
    node_set_ints(b->g, ni, "dilations", dil, 2);
    node_set_int(b->g, ni, "group", group);
    node_set_ints(b->g, ni, "kernel_shape", ks, 2);
    node_set_ints(b->g, ni, "pads", pads, 4);
    node_set_ints(b->g, ni, "strides", stride, 2);
    if (out_pad[0] || out_pad[1]) node_set_ints(b->g, ni, "output_padding", out_pad, 2);
    return y;
}

int yb_batchnorm(Builder *b, const char *scope, int mod, int x, int scale, int bias, int mean, int var, double eps,
                 double momentum)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    int in[5] = {x, scale, bias, mean, var};
    for (int i = 1; i < 5; i++) {
        Tensor *p = yb_t(b, in[i]);
        if (!p || p->rank != 1 || p->dims[0] != X->dims[1])
            return yb_fail(b, scope, "BatchNorm parameters do not match %lld channels", (long long)X->dims[1]);
    }
    int ni;
    int y = node1(b, scope, mod, OP_BATCHNORM, NULL, in, 5, X->rank, X->dims, &ni);
    if (y < 0) return -1;
    node_set_float(b->g, ni, "epsilon", eps);
    node_set_float(b->g, ni, "momentum", momentum);
    return y;
}

int yb_unary(Builder *b, const char *scope, int mod, OpKind op, const char *op_type, int x)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    return node1(b, scope, mod, op, op_type, &x, 1, X->rank, X->dims, NULL);
}

static bool broadcast(const Tensor *a, const Tensor *c, int *rank, int64_t *dims)
{
    int r = a->rank > c->rank ? a->rank : c->rank;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ic = i - (r - c->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, dc = ic >= 0 ? c->dims[ic] : 1;
        if (da == dc || dc == 1) dims[i] = da;
        else if (da == 1) dims[i] = dc;
        else if (da < 0 || dc < 0) dims[i] = -1;
        else return false;
    }
    *rank = r;
    return true;
}

int yb_binary(Builder *b, const char *scope, int mod, OpKind op, int x, int y)
{
    if (b->failed) return -1;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    if (!broadcast(yb_t(b, x), yb_t(b, y), &rank, dims))
        return yb_fail(b, scope, "%s operands have shapes that do not broadcast", op_name(op));
    int in[2] = {x, y};
    return node1(b, scope, mod, op, NULL, in, 2, rank, dims, NULL);
}

int yb_concat(Builder *b, const char *scope, int mod, const int *xs, int n, int axis)
{
    if (b->failed) return -1;
    if (n < 1) return yb_fail(b, scope, "Concat of nothing");
    Tensor *X0 = yb_t(b, xs[0]);
    int rank = X0->rank;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return yb_fail(b, scope, "Concat axis out of range");
    int64_t dims[GRAPH_MAX_RANK];
    memcpy(dims, X0->dims, sizeof dims);
    dims[axis] = 0;
    for (int i = 0; i < n; i++) {
        Tensor *X = yb_t(b, xs[i]);
        if (X->rank != rank) return yb_fail(b, scope, "Concat inputs differ in rank");
        for (int d = 0; d < rank; d++) {
            if (d == axis) continue;
            if (X->dims[d] != dims[d] && X->dims[d] >= 0 && dims[d] >= 0)
                return yb_fail(b, scope,
                               "Concat inputs disagree in dim %d (%lld vs %lld): the image size must be a "
                               "multiple of the model's largest stride",
                               d, (long long)dims[d], (long long)X->dims[d]);
        }
        dims[axis] = (dims[axis] < 0 || X->dims[axis] < 0) ? -1 : dims[axis] + X->dims[axis];
    }
    int ni;
    int y = node1(b, scope, mod, OP_CONCAT, NULL, xs, n, rank, dims, &ni);
    if (y >= 0) node_set_int(b->g, ni, "axis", axis);
    return y;
}

int yb_split(Builder *b, const char *scope, int mod, int x, int axis, const int64_t *sizes, int n, int *outs)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    if (axis < 0) axis += X->rank;
    if (axis < 0 || axis >= X->rank || n < 1 || n > 8) return yb_fail(b, scope, "bad Split");
    int64_t dims[8][GRAPH_MAX_RANK];
    int ranks[8];
    int64_t total = 0;
    for (int k = 0; k < n; k++) {
        memcpy(dims[k], X->dims, sizeof dims[k]);
        dims[k][axis] = sizes[k];
        ranks[k] = X->rank;
        total += sizes[k];
    }
    if (X->dims[axis] >= 0 && total != X->dims[axis])
        return yb_fail(b, scope, "Split sizes add up to %lld, the tensor has %lld", (long long)total,
                       (long long)X->dims[axis]);
    int ni = yb_node(b, scope, mod, OP_SPLIT, NULL, &x, 1, n, (const int64_t(*)[GRAPH_MAX_RANK])dims, ranks, outs);
    if (ni < 0) return -1;
    node_set_int(b->g, ni, "axis", axis);
    node_set_ints(b->g, ni, "split", sizes, n);
    return outs[0];
}

/* Shape of a reshape: 0 copies the input dim, -1 takes what is left. */
static bool reshape_dims(const Tensor *X, const int64_t *shape, int n, int64_t *out)
{
    int64_t numel = tensor_numel(X), known = 1;
    int infer = -1;
    for (int i = 0; i < n; i++) {
        int64_t s = shape[i];
        if (s == 0) s = i < X->rank ? X->dims[i] : -2;
        if (s == -1) {
            if (infer >= 0) return false;
            infer = i;
            out[i] = -1;
            continue;
        }
        if (s < 0) {
            out[i] = -1;
            known = -1;
            continue;
        }
        out[i] = s;
        if (known > 0) known *= s;
    }
    if (infer >= 0) {
        if (numel >= 0 && known > 0) {
            if (numel % known) return false;
            out[infer] = numel / known;
        }
    } else if (numel >= 0 && known > 0 && numel != known) {
        return false;
    }
    return true;
}

int yb_reshape(Builder *b, const char *scope, int mod, int x, const int64_t *shape, int n)
{
    if (b->failed) return -1;
    int64_t dims[GRAPH_MAX_RANK];
    if (n > GRAPH_MAX_RANK || !reshape_dims(yb_t(b, x), shape, n, dims))
        return yb_fail(b, scope, "cannot reshape a tensor of %lld elements like that",
                       (long long)tensor_numel(yb_t(b, x)));
    const Tensor *X = yb_t(b, x);
    if (X->data && X->producer < 0 && !X->is_input && X->dtype == DT_F32) {
        /* a weight seen in another shape (a bias broadcast over heads): a constant of that
         * shape, not a Reshape node that simplify would fold into one the source lacks */
        int c = yb_const_f32(b, scope, "reshaped", n, dims, X->data);
        yb_t(b, c)->is_param = yb_t(b, x)->is_param;
        return c;
    }
    int in[2] = {x, yb_vec_i64(b, scope, shape, n)};
    int ni;
    int y = node1(b, scope, mod, OP_RESHAPE, NULL, in, 2, n, dims, &ni);
    if (y >= 0) node_set_int(b->g, ni, "allowzero", 0);
    return y;
}

int yb_reshape_dyn(Builder *b, const char *scope, int mod, int x, int shape_tensor, int rank, const int64_t *nominal)
{
    if (b->failed) return -1;
    int in[2] = {x, shape_tensor};
    int ni;
    int y = node1(b, scope, mod, OP_RESHAPE, NULL, in, 2, rank, nominal, &ni);
    if (y >= 0) node_set_int(b->g, ni, "allowzero", 0);
    return y;
}

int yb_transpose(Builder *b, const char *scope, int mod, int x, const int64_t *perm, int n)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    if (n != X->rank) return yb_fail(b, scope, "Transpose permutation does not match the rank");
    int64_t dims[GRAPH_MAX_RANK];
    for (int i = 0; i < n; i++) dims[i] = X->dims[perm[i]];
    int ni;
    int y = node1(b, scope, mod, OP_TRANSPOSE, NULL, &x, 1, n, dims, &ni);
    if (y >= 0) node_set_ints(b->g, ni, "perm", perm, n);
    return y;
}

int yb_softmax(Builder *b, const char *scope, int mod, int x, int axis)
{
    int y = yb_unary(b, scope, mod, OP_SOFTMAX, NULL, x);
    if (y >= 0) node_set_int(b->g, yb_t(b, y)->producer, "axis", axis);
    return y;
}

int yb_matmul(Builder *b, const char *scope, int mod, int x, int y)
{
    if (b->failed) return -1;
    Tensor *A = yb_t(b, x), *B = yb_t(b, y);
    if (A->rank != B->rank || A->rank < 2) return yb_fail(b, scope, "MatMul operands must have the same rank");
    int r = A->rank;
    if (A->dims[r - 1] != B->dims[r - 2] && A->dims[r - 1] >= 0 && B->dims[r - 2] >= 0)
        return yb_fail(b, scope, "MatMul inner dims differ (%lld vs %lld)", (long long)A->dims[r - 1],
                       (long long)B->dims[r - 2]);
    int64_t dims[GRAPH_MAX_RANK];
    for (int i = 0; i < r - 2; i++) dims[i] = A->dims[i];
    dims[r - 2] = A->dims[r - 2];
    dims[r - 1] = B->dims[r - 1];
    int in[2] = {x, y};
    return node1(b, scope, mod, OP_MATMUL, NULL, in, 2, r, dims, NULL);
}

int yb_maxpool(Builder *b, const char *scope, int mod, int x, int64_t k, int64_t s, int64_t p)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    int64_t dims[4] = {X->dims[0], X->dims[1], conv_out(X->dims[2], k, s, p, p, 1), conv_out(X->dims[3], k, s, p, p, 1)};
    int ni;
    int y = node1(b, scope, mod, OP_MAXPOOL, NULL, &x, 1, 4, dims, &ni);
    if (y < 0) return -1;
    int64_t ks[2] = {k, k}, ss[2] = {s, s}, ps[4] = {p, p, p, p};
    node_set_int(b->g, ni, "ceil_mode", 0);
    node_set_ints(b->g, ni, "kernel_shape", ks, 2);
    node_set_ints(b->g, ni, "pads", ps, 4);
    node_set_ints(b->g, ni, "strides", ss, 2);
    return y;
}

int yb_resize_nearest(Builder *b, const char *scope, int mod, int x, float scale)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    int64_t dims[4] = {X->dims[0], X->dims[1], X->dims[2] < 0 ? -1 : (int64_t)floor((double)X->dims[2] * scale),
                       X->dims[3] < 0 ? -1 : (int64_t)floor((double)X->dims[3] * scale)};
    float sc[4] = {1.f, 1.f, scale, scale};
    int64_t four = 4;
    int scales = yb_const_f32(b, scope, "Constant", 1, &four, sc);
    int in[3] = {x, -1, scales};
    int ni;
    int y = node1(b, scope, mod, OP_RESIZE, NULL, in, 3, 4, dims, &ni);
    if (y < 0) return -1;
    node_set_string(b->g, ni, "coordinate_transformation_mode", "asymmetric");
    node_set_float(b->g, ni, "cubic_coeff_a", -0.75);
    node_set_string(b->g, ni, "mode", "nearest");
    node_set_string(b->g, ni, "nearest_mode", "floor");
    return y;
}

int yb_slice(Builder *b, const char *scope, int mod, int x, int axis, int64_t start, int64_t end, int64_t step)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    if (axis < 0) axis += X->rank;
    int64_t dims[GRAPH_MAX_RANK];
    memcpy(dims, X->dims, sizeof dims);
    int64_t n = X->dims[axis];
    if (n >= 0) {
        int64_t e = end > n ? n : end, s0 = start > n ? n : start;
        dims[axis] = e > s0 ? (e - s0 + step - 1) / step : 0;
    }
    int64_t ax = axis;
    int rank = X->rank;
    int in[5] = {x, yb_vec_i64(b, scope, &start, 1), yb_vec_i64(b, scope, &end, 1), yb_vec_i64(b, scope, &ax, 1),
                 yb_vec_i64(b, scope, &step, 1)};
    return node1(b, scope, mod, OP_SLICE, NULL, in, 5, rank, dims, NULL);
}

int yb_gap(Builder *b, const char *scope, int mod, int x)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    int64_t dims[4] = {X->dims[0], X->dims[1], 1, 1};
    return node1(b, scope, mod, OP_GLOBAL_AVGPOOL, NULL, &x, 1, 4, dims, NULL);
}

int yb_shape(Builder *b, const char *scope, int mod, int x)
{
    if (b->failed) return -1;
    int64_t r = yb_rank(b, x);
    return node1(b, scope, mod, OP_SHAPE, NULL, &x, 1, 1, &r, NULL);
}

int yb_flatten(Builder *b, const char *scope, int mod, int x, int axis)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    int64_t a = 1, c = 1;
    for (int i = 0; i < X->rank; i++) {
        int64_t d = X->dims[i];
        int64_t *acc = i < axis ? &a : &c;
        *acc = (d < 0 || *acc < 0) ? -1 : *acc * d;
    }
    int64_t dims[2] = {a, c};
    int ni;
    int y = node1(b, scope, mod, OP_FLATTEN, NULL, &x, 1, 2, dims, &ni);
    if (y >= 0) node_set_int(b->g, ni, "axis", axis);
    return y;
}

int yb_gemm(Builder *b, const char *scope, int mod, int x, int w, int bias)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x), *W = yb_t(b, w);
    if (X->rank != 2 || W->rank != 2 || X->dims[1] != W->dims[1])
        return yb_fail(b, scope, "Linear weight %lldx%lld does not fit %lld features", (long long)W->dims[0],
                       (long long)W->dims[1], (long long)X->dims[1]);
    int64_t dims[2] = {X->dims[0], W->dims[0]};
    int in[3] = {x, w, bias};
    int ni;
    int y = node1(b, scope, mod, OP_GEMM, NULL, in, bias >= 0 ? 3 : 2, 2, dims, &ni);
    if (y < 0) return -1;
    node_set_float(b->g, ni, "alpha", 1.0);
    node_set_float(b->g, ni, "beta", 1.0);
    node_set_int(b->g, ni, "transB", 1);
    return y;
}

/* ---- module registration ---- */

static int64_t register_modules(Builder *b, const ModNode *n, const char *path, int parent, int depth)
{
    if (depth > MAX_MODULE_DEPTH) {
        yb_fail(b, path, "module tree is nested too deeply");
        return 0;
    }
    if (b->g->n_modules >= MAX_MODULES) {
        yb_fail(b, path, "the model has more than %d modules", MAX_MODULES);
        return 0;
    }
    bool created;
    int *slot = strmap_slot(&b->modules, path, &created);
    if (!created) {
        yb_fail(b, path, "module path appears twice");
        return 0;
    }
    int mi = graph_add_module(b->g, path, n->type, parent);
    *slot = mi;
    int64_t params = 0;
    for (int i = 0; i < n->n_tensors; i++) {
        int64_t e;
        if (!n->tensors[i].is_buffer && dims_product(n->tensors[i].dims, n->tensors[i].rank, &e)) params += e;
    }
    for (int i = 0; i < n->n_children && !b->failed; i++) {
        const ModNode *c = n->children[i];
        params += register_modules(b, c, yb_path(b, path, c->name), mi, depth + 1);
    }
    b->g->modules[mi].params = params;
    return params;
}

/* ---- the walk ---- */

/* A layer's `f`: -1 / an index, or a list of them.  Returns the count, -1 when malformed. */
static int layer_from(const ModNode *layer, int *from, int max)
{
    const ModAttr *f = modtree_attr(layer, "f");
    if (!f) {
        from[0] = -1;
        return 1;
    }
    if (f->kind == MA_INT) {
        from[0] = (int)f->i;
        return 1;
    }
    if (f->kind == MA_INTS) {
        int n = f->count < max ? f->count : max;
        for (int k = 0; k < n; k++) from[k] = (int)f->ints[k];
        return n;
    }
    return -1;
}

static int walk_layers(Builder *b, const ModNode *root)
{
    const ModNode *seq = modtree_child(root, "model");
    if (!seq || !seq->n_children) return yb_fail(b, "model", "the checkpoint has no layer list (model.model)");
    if (seq->n_children > MAX_LAYERS) return yb_fail(b, "model", "too many layers");
    int n = seq->n_children;
    /* YOLO-World: the class text embeddings the model holds */
    if (modtree_tensor(root, "txt_feats")) b->text = b->text_orig = yb_param(b, root, "", "txt_feats", true);
    int *ys = xcalloc((size_t)n, sizeof *ys);
    Scope root_scope = {"", ""};
    int x = b->input;
    int rc = 0;
    for (int i = 0; i < n && !b->failed; i++) {
        const ModNode *layer = seq->children[i];
        const char *path = yb_path(b, "model", layer->name);
        int from[16], nf = layer_from(layer, from, 16);
        if (nf < 0) {
            rc = yb_fail(b, path, "layer attribute 'f' is neither an int nor a list of ints");
            break;
        }
        int xs[16];
        for (int k = 0; k < nf; k++) {
            int j = from[k];
            if (j == -1) {
                xs[k] = x;
                continue;
            }
            if (j < 0) j += i; /* negative indices other than -1 count back from this layer */
            if (j < 0 || j >= i) {
                rc = yb_fail(b, path, "layer takes input from layer %d, which does not come before it", from[k]);
                break;
            }
            xs[k] = ys[j];
        }
        if (rc) break;
        int out = -1;
        rc = yb_call_node(b, layer, path, &root_scope, xs, nf, &out);
        if (rc) break;
        ys[i] = out;
        x = out;
    }
    free(ys);
    if (b->failed) return -1;
    if (b->n_outputs == 0) b->outputs[b->n_outputs++] = x;
    return 0;
}

/* ---- one build ---- */

typedef struct {
    int batch, height, width;
    bool dynamic, with_data, borrow_f32;
    bool probe;   /* the FLOPs probe (Builder.probe) */
    bool hw_only; /* with dynamic: height and width only (Builder.hw_only) */
} BuildParams;

static Graph *build_once(const ModTree *t, const BuildParams *p, char *err, size_t errlen)
{
    if (!t || !t->root) {
        err_set(err, errlen, "empty model tree");
        return NULL;
    }
    Builder b;
    memset(&b, 0, sizeof b);
    b.g = graph_new();
    b.t = t;
    b.batch = p->batch;
    b.height = p->height;
    b.width = p->width;
    b.channels = t->channels > 0 ? t->channels : 3;
    b.dynamic = p->dynamic;
    b.hw_only = p->dynamic && p->hw_only;
    b.with_data = p->with_data;
    b.borrow_f32 = p->borrow_f32;
    b.err = err;
    b.errlen = errlen;
    b.probe = p->probe;
    b.text = b.text_orig = -1;
    b.names = (StrMap){.arena = b.g->arena};
    b.scopes = (StrMap){.arena = b.g->arena};
    b.modules = (StrMap){.arena = b.g->arena};

    register_modules(&b, t->root, "", -1, 0);
    int64_t in_dims[4] = {b.batch, b.channels, b.height, b.width};
    b.input = graph_add_tensor(b.g, "images", DT_F32, 4, in_dims);
    graph_add_input(b.g, b.input);
    if (!b.failed) walk_layers(&b, t->root);
    if (!b.failed) {
        static const char *const out_names[] = {"output0", "output1", "output2", "output3"};
        for (int i = 0; i < b.n_outputs; i++) {
            Tensor *o = yb_t(&b, b.outputs[i]);
            if (o->is_input || o->data) {
                yb_fail(&b, "", "the model's output is not computed by any layer");
                break;
            }
            o->name = out_names[i];
            graph_add_output(b.g, b.outputs[i]);
        }
        if (b.n_outputs > 0 && b.g->n_modules > 0) b.g->modules[0].out_tensor = b.outputs[0];
    }
    strmap_free(&b.names);
    strmap_free(&b.scopes);
    strmap_free(&b.modules);
    if (b.failed) {
        graph_free(b.g);
        return NULL;
    }
    return b.g;
}

/* Dims that change between two builds at different input sizes depend on the input:
 * mark them unknown (and name the ones the peer's dynamic export names). */
static void mark_dynamic(Graph *g, const Graph *alt, bool hw_only)
{
    for (int i = 0; i < g->n_tensors && i < alt->n_tensors; i++) {
        Tensor *t = &g->tensors[i];
        const Tensor *a = &alt->tensors[i];
        if (t->data || t->rank != a->rank) continue;
        for (int d = 0; d < t->rank; d++)
            if (t->dims[d] != a->dims[d]) t->dims[d] = -1;
    }
    Tensor *in = &g->tensors[g->inputs[0]];
    if (!hw_only) {
        in->dim_names[0] = "batch";
        in->dims[0] = -1;
    }
    in->dim_names[2] = "height";
    in->dim_names[3] = "width";
    in->dims[2] = in->dims[3] = -1;
    for (int k = 0; k < g->n_outputs; k++) {
        Tensor *o = &g->tensors[g->outputs[k]];
        if (o->rank >= 1 && o->dims[0] < 0) o->dim_names[0] = "batch";
        if (k == 0 && o->rank == 3 && o->dims[2] < 0) o->dim_names[2] = "anchors";
        if (k == 1 && o->rank == 4) {
            if (o->dims[2] < 0) o->dim_names[2] = "mask_height";
            if (o->dims[3] < 0) o->dim_names[3] = "mask_width";
        }
    }
}

/* ---- metadata ---- */

const char *yolo_model_name(const char *yaml_file, char *buf, size_t len)
{
    if (!len) return buf;
    const char *base = yaml_file ? strrchr(yaml_file, '/') : NULL;
    base = base ? base + 1 : yaml_file;
    if (!base || !*base) {
        snprintf(buf, len, "Model");
        return buf;
    }
    char stem[256];
    snprintf(stem, sizeof stem, "%s", base);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = '\0';
    size_t o = 0;
    for (const char *s = stem; *s && o + 1 < len;) {
        if (!strncmp(s, "yolo", 4) && o + 4 < len) {
            memcpy(buf + o, "YOLO", 4);
            o += 4;
            s += 4;
        } else {
            buf[o++] = *s++;
        }
    }
    buf[o] = '\0';
    return buf;
}

static const char *head_type(const ModTree *t)
{
    const ModNode *seq = t && t->root ? modtree_child(t->root, "model") : NULL;
    if (!seq || !seq->n_children) return NULL;
    return seq->children[seq->n_children - 1]->type;
}

const char *yolo_task(const ModTree *t)
{
    static const struct {
        const char *head, *task;
    } map[] = {{"Detect", "detect"},      {"Segment", "segment"},     {"Pose", "pose"},
               {"OBB", "obb"},            {"Classify", "classify"},   {"v10Detect", "detect"},
               {"WorldDetect", "detect"}, {"RTDETRDecoder", "detect"}};
    const char *h = head_type(t);
    if (!h) return NULL;
    for (size_t i = 0; i < ARRAY_LEN(map); i++)
        if (!strcmp(map[i].head, h)) return map[i].task;
    return NULL;
}

/* Output strides of the detection head (input size over feature-map size per level), as
 * the head emitter records them in g->meta.strides during a shapes-only build at 256x256
 * (how the peer's DetectionModel finds them).  Classifiers have stride 1. */
static int head_strides(const ModTree *t, int *strides, int max)
{
    const char *task = yolo_task(t);
    if (task && !strcmp(task, "classify")) {
        strides[0] = 1;
        return 1;
    }
    BuildParams p = {1, 256, 256, false, false, false, false, false};
    char err[256];
    Graph *g = build_once(t, &p, err, sizeof err);
    if (!g) return 0;
    int n = g->meta.n_strides < max ? g->meta.n_strides : max;
    for (int i = 0; i < n; i++) strides[i] = g->meta.strides[i];
    graph_free(g);
    return n;
}

int yolo_max_stride(const ModTree *t)
{
    int s[8];
    int n = head_strides(t, s, 8);
    int m = 32;
    for (int i = 0; i < n; i++)
        if (s[i] > m) m = s[i];
    return m;
}

static void fill_meta(Graph *g, const ModTree *t, const BuildParams *p)
{
    GraphMeta *m = &g->meta;
    const char *task = yolo_task(t);
    m->task = task ? task : "detect";
    char name[256];
    yolo_model_name(t->yaml_file, name, sizeof name);
    m->model_name = arena_strdup(g->arena, name);
    m->yaml_file = t->yaml_file ? arena_strdup(g->arena, t->yaml_file) : NULL;
    m->channels = t->channels > 0 ? t->channels : 3;
    m->imgsz[0] = p->height;
    m->imgsz[1] = p->width;
    m->kpt_shape[0] = t->kpt_shape[0];
    m->kpt_shape[1] = t->kpt_shape[1];
    /* end-to-end heads (the head emitter fills max_det from the anchors it has) */
    const char *ht = head_type(t);
    if (ht && !strcmp(ht, "v10Detect")) {
        m->end2end = true;
        m->output_layout = OUTPUT_E2E_XYXY;
        if (!m->max_det) m->max_det = 300;
    } else if (ht && !strcmp(ht, "RTDETRDecoder")) {
        const ModNode *seq = modtree_child(t->root, "model");
        m->end2end = true;
        m->output_layout = OUTPUT_E2E_CXCYWH_NORM;
        if (!m->max_det) m->max_det = (int)modtree_attr_int(seq->children[seq->n_children - 1], "num_queries", 300);
    }
    m->source_format = t->source_format;
    m->source_path = t->source_path ? arena_strdup(g->arena, t->source_path) : NULL;
    m->version = t->version ? arena_strdup(g->arena, t->version) : NULL;
    m->date = t->date ? arena_strdup(g->arena, t->date) : NULL;
    m->data = t->train_data ? arena_strdup(g->arena, t->train_data) : NULL;
    int nc = t->nc;
    if (t->names && nc > 0) {
        graph_meta_set_names(g, t->names, nc);
    } else {
        /* no names recorded: the peer's default {i: str(i)} over the head's class count */
        if (nc <= 0) nc = 0;
        const char **names = xcalloc((size_t)(nc ? nc : 1), sizeof *names);
        char **owned = xcalloc((size_t)(nc ? nc : 1), sizeof *owned);
        for (int i = 0; i < nc; i++) names[i] = owned[i] = xasprintf("%d", i);
        graph_meta_set_names(g, names, nc);
        for (int i = 0; i < nc; i++) free(owned[i]);
        free(owned);
        free(names);
    }
    for (int i = 0; i < t->n_train_args; i++) graph_meta_add_train_arg(g, t->train_args[i].key, t->train_args[i].value);
    /* strides: what the head found from the feature maps, else the checkpoint's */
    if (!m->n_strides) {
        for (int i = 0; i < t->n_strides && i < 8; i++) m->strides[i] = t->strides[i];
        m->n_strides = t->n_strides;
    }
    if (!m->n_strides && task && !strcmp(task, "classify")) {
        m->strides[0] = 1;
        m->n_strides = 1;
    }
}

static Graph *build(ModTree *t, const LoadOptions *opt, bool take, char *err, size_t errlen)
{
    LoadOptions o = opt ? *opt : (LoadOptions){0};
    int h = o.imgsz[0], w = o.imgsz[1];
    if (h <= 0 && w <= 0) {
        int d[2];
        imgsz_default(t->train_args, t->n_train_args, d);
        h = d[0], w = d[1];
    }
    if (h <= 0) h = w;
    if (w <= 0) w = h;
    if (h > 32768 || w > 32768) {
        err_set(err, errlen, "imgsz %dx%d is too large", h, w);
        return NULL;
    }
    int batch = o.batch > 0 ? o.batch : 1;
    if (batch > 65536) {
        err_set(err, errlen, "batch %d is too large", batch);
        return NULL;
    }
    BuildParams p = {batch, h, w, o.dynamic, !o.shapes_only, take, false, o.dynamic_hw_only};
    Graph *g = build_once(t, &p, err, errlen);
    if (!g) return NULL;
    if (take) {
        for (int i = 0; i < t->n_blobs; i++) graph_adopt_blob(g, t->blobs[i], t->blob_free[i]);
        t->n_blobs = 0;
    }
    if (o.dynamic) {
        int smax = 64;
        BuildParams q = {o.dynamic_hw_only ? batch : batch + 1, h + smax, w + 2 * smax, true, false, false, false,
                         o.dynamic_hw_only};
        char err2[256];
        Graph *alt = build_once(t, &q, err2, sizeof err2);
        if (!alt || alt->n_tensors != g->n_tensors) {
            err_set(err, errlen, "dynamic shapes: %s", alt ? "graph structure depends on the input size" : err2);
            graph_free(alt);
            graph_free(g);
            return NULL;
        }
        mark_dynamic(g, alt, o.dynamic_hw_only);
        graph_free(alt);
    }
    fill_meta(g, t, &p);
    int smax = 1;
    for (int i = 0; i < g->meta.n_strides; i++)
        if (g->meta.strides[i] > smax) smax = g->meta.strides[i];
    if (yolo_summary_stride(t, smax, h, w, &g->meta.summary, &g->meta.fused_summary, err, errlen) != 0) {
        graph_free(g);
        return NULL;
    }
    return g;
}

Graph *yolo_describe(const ModTree *t)
{
    int d[2];
    imgsz_default(t->train_args, t->n_train_args, d);
    BuildParams p = {1, d[0], d[1], false, false, false, false, false};
    Graph *g = graph_new();
    if (t->n_strides <= 0) { /* the checkpoint records none: what a build's head would find */
        int s[8];
        int n = head_strides(t, s, 8);
        for (int i = 0; i < n; i++) g->meta.strides[i] = s[i];
        g->meta.n_strides = n;
    }
    fill_meta(g, t, &p);
    return g;
}

Graph *yolo_build(const ModTree *t, const LoadOptions *opt, char *err, size_t errlen)
{
    return build((ModTree *)t, opt, false, err, errlen);
}

Graph *yolo_build_take(ModTree *t, const LoadOptions *opt, char *err, size_t errlen)
{
    return build(t, opt, true, err, errlen);
}

/* ---- used by yolo_summary.c ---- */

Graph *yolo_build_probe(const ModTree *t, int h, int w, char *err, size_t errlen)
{
    BuildParams p = {1, h, w, false, false, false, true, false};
    return build_once(t, &p, err, errlen);
}
