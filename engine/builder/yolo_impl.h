/* yolo_impl: what the builder's files share (yolo.c: the walk, naming, tensors and op
 * helpers; yolo_modules.c: backbone/neck emitters; yolo_head.c: detection heads and
 * Classify).  Not part of the engine's API. */
#ifndef YOLOPORT_YOLO_IMPL_H
#define YOLOPORT_YOLO_IMPL_H

#include "engine/builder/yolo.h"

/* Where a module is being called from: the ONNX-style scope ("/model.22/cv2.0") and the
 * path of the nearest ancestor that is not a container (torch names a module's scope
 * relative to it: "/model.22/cv2.0/cv2.0.0"). */
typedef struct {
    const char *scope;
    const char *anchor;
} Scope;

typedef struct Builder Builder;
struct Builder {
    Graph *g;
    const ModTree *t;
    int batch, height, width, channels;
    bool dynamic;
    bool hw_only;        /* with dynamic: the batch stays fixed and nothing reads a shape
                            (anchors by CumSum over the feature maps, reshapes by -1) */
    bool with_data;      /* convert weight data (false: shapes only) */
    bool borrow_f32;     /* float32 weights may be used in place (their blob was adopted) */
    StrMap names;        /* node name -> uses (for the _1, _2 suffixes) */
    StrMap scopes;       /* scope -> calls */
    StrMap modules;      /* module path -> g->modules index */
    int input;           /* "images" */
    int outputs[4];      /* model outputs (output0, output1) */
    int n_outputs;
    bool probe;          /* the FLOPs probe: branches the export drops (YOLOv10's one-to-many
                            head) are emitted too, so that the unfused count includes them */
    /* layers whose output is a tuple (CBLinear): the tensor standing for the layer and its parts */
    struct {
        int whole, n, parts[16];
    } tuples[64];
    int n_tuples;
    /* YOLO-World: the class text embeddings [1, nc, embed] as the checkpoint stores them, and
     * the current ones (ImagePoolingAttn refines them layer by layer); -1 for other models */
    int text_orig, text;
    /* RT-DETR: the feature levels' sizes the decoder's deformable attention samples */
    int64_t level_h[8], level_w[8];
    int n_levels;
    char *err;
    size_t errlen;
    bool failed;
};

/* The emitter for one module kind: x[0..nx) in, the module's output in *out.  0 / -1 with
 * b->err set (yb_fail). */
typedef int (*EmitFn)(Builder *b, const ModNode *m, const char *path, const Scope *sc, int mod, const int *x,
                      int nx, int *out);

typedef struct {
    const char *type; /* class name */
    EmitFn emit;
    bool container;   /* Sequential / ModuleList: scopes name children relative to the parent */
} ModuleKind;

const ModuleKind *yolo_kind(const char *type);

/* Errors: record "<path>: <message>" once; returns -1. */
int yb_fail(Builder *b, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Call a child module (by name) of m: computes its path and scope, registers the call and
 * sets the child's Module out_tensor.  0 / -1. */
int yb_call(Builder *b, const ModNode *m, const char *path, const Scope *sc, const char *child, const int *x,
            int nx, int *out);
/* Call a given module node (child of m, at child_path). */
int yb_call_node(Builder *b, const ModNode *node, const char *node_path, const Scope *parent, const int *x, int nx,
                 int *out);
/* A child by name, NULL when absent (no error). */
const ModNode *yb_child(const ModNode *m, const char *name);
/* Child path "<path>.<name>" in the graph arena. */
const char *yb_path(Builder *b, const char *path, const char *name);

/* ---- tensors ---- */
Tensor *yb_t(Builder *b, int i);
/* Reshapes copy the batch (0) rather than fix it: a dynamic batch. */
static inline bool yb_bdim(const Builder *b) { return b->dynamic && !b->hw_only; }
int64_t yb_dim(Builder *b, int t, int axis); /* axis may be negative */
int yb_rank(Builder *b, int t);
/* A weight of module m ("weight", "bias", ...) as a float32 graph tensor named
 * "<path>.<name>"; -1 when absent (and an error when required). */
int yb_param(Builder *b, const ModNode *m, const char *path, const char *name, bool required);
/* Initializers (data copied into the graph arena); names are made unique in scope. */
int yb_const_f32(Builder *b, const char *scope, const char *label, int rank, const int64_t *dims, const float *data);
int yb_const_i64(Builder *b, const char *scope, const char *label, int rank, const int64_t *dims,
                 const int64_t *data);
int yb_scalar_f32(Builder *b, const char *scope, float v);
int yb_vec_i64(Builder *b, const char *scope, const int64_t *v, int n);

/* ---- ops: each adds one node named "<scope>/<Op>[_k]" with output tensors
 * "<node>_output_<k>" and inferred shapes; the node belongs to module mod.  They return
 * the output tensor (or -1 after yb_fail). */
int yb_node(Builder *b, const char *scope, int mod, OpKind op, const char *op_type, const int *in, int nin,
            int nout, const int64_t (*dims)[GRAPH_MAX_RANK], const int *ranks, int *outs);
int yb_conv(Builder *b, const char *scope, int mod, int x, int w, int bias, const int64_t stride[2],
            const int64_t pads[4], const int64_t dil[2], int64_t group);
int yb_conv_transpose(Builder *b, const char *scope, int mod, int x, int w, int bias, const int64_t stride[2],
                      const int64_t pads[4], const int64_t dil[2], int64_t group, const int64_t out_pad[2]);
int yb_batchnorm(Builder *b, const char *scope, int mod, int x, int scale, int bias, int mean, int var, double eps,
                 double momentum);
int yb_unary(Builder *b, const char *scope, int mod, OpKind op, const char *op_type, int x);
int yb_binary(Builder *b, const char *scope, int mod, OpKind op, int x, int y);
int yb_concat(Builder *b, const char *scope, int mod, const int *xs, int n, int axis);
int yb_split(Builder *b, const char *scope, int mod, int x, int axis, const int64_t *sizes, int n, int *outs);
int yb_reshape(Builder *b, const char *scope, int mod, int x, const int64_t *shape, int n);
/* Reshape to a shape computed in the graph (an int64 tensor); nominal gives the dims. */
int yb_reshape_dyn(Builder *b, const char *scope, int mod, int x, int shape_tensor, int rank,
                   const int64_t *nominal);
int yb_transpose(Builder *b, const char *scope, int mod, int x, const int64_t *perm, int n);
int yb_softmax(Builder *b, const char *scope, int mod, int x, int axis);
int yb_matmul(Builder *b, const char *scope, int mod, int x, int y);
int yb_maxpool(Builder *b, const char *scope, int mod, int x, int64_t k, int64_t s, int64_t p);
int yb_resize_nearest(Builder *b, const char *scope, int mod, int x, float scale);
int yb_slice(Builder *b, const char *scope, int mod, int x, int axis, int64_t start, int64_t end, int64_t step);
int yb_gap(Builder *b, const char *scope, int mod, int x);
int yb_shape(Builder *b, const char *scope, int mod, int x); /* int64 [rank] */
int yb_flatten(Builder *b, const char *scope, int mod, int x, int axis);
int yb_gemm(Builder *b, const char *scope, int mod, int x, int w, int bias);
/* MatMul with numpy broadcasting over the leading dims (ranks may differ). */
int yb_matmul_bc(Builder *b, const char *scope, int mod, int x, int y);
/* Pooling with a (kh, kw) kernel, strides (sh, sw), ONNX pads (top, left, bottom, right);
 * op OP_MAXPOOL or OP_AVGPOOL (count_include_pad as torch's, ignored for max). */
int yb_pool(Builder *b, const char *scope, int mod, OpKind op, int x, const int64_t k[2], const int64_t s[2],
            const int64_t pads[4], bool ceil_mode, bool count_include_pad);
/* Zero padding of a 4-d tensor: pads = (top, left, bottom, right). */
int yb_pad(Builder *b, const char *scope, int mod, int x, const int64_t pads[4]);
/* Reduction over axes (attribute form); op OP_REDUCE_MAX / OP_REDUCE_MEAN / ... */
int yb_reduce(Builder *b, const char *scope, int mod, OpKind op, int x, const int64_t *axes, int n, bool keepdims);
/* Cast to an element type (DT_F32, DT_I64). */
int yb_cast(Builder *b, const char *scope, int mod, int x, DType to);
int yb_unsqueeze(Builder *b, const char *scope, int mod, int x, int64_t axis);
/* Gather along axis with an index tensor (ONNX Gather: the index dims replace the axis). */
int yb_gather(Builder *b, const char *scope, int mod, int x, int index, int axis);
/* Scalar Gather (one element of a 1-d tensor, e.g. a Shape). */
int yb_gather_scalar(Builder *b, const char *scope, int mod, int x, int64_t index);
/* TopK along axis (largest first, sorted): values in *vals, int64 indices in *idx. */
int yb_topk(Builder *b, const char *scope, int mod, int x, int64_t k, int axis, int *vals, int *idx);
/* A node of op with one output of the given shape (for ops without a dedicated helper). */
int yb_op(Builder *b, const char *scope, int mod, OpKind op, const int *in, int nin, int rank, const int64_t *dims);
/* A float32 constant without data when the build reads no weights (shapes only); data copied. */
int yb_const_f32_opt(Builder *b, const char *scope, const char *label, int rank, const int64_t *dims,
                     const float *data);
/* Record that layer output `whole` is a tuple of n tensors (CBLinear); find it again (NULL when not). */
void yb_tuple_set(Builder *b, int whole, const int *parts, int n);
const int *yb_tuple_get(Builder *b, int whole, int *n);
/* LayerNorm over the last axis, decomposed (mean, variance, scale, shift), with weight and
 * bias of module m at path (nn.LayerNorm). */
int yb_layernorm(Builder *b, const ModNode *m, const char *path, const char *scope, int mod, int x);
/* A Linear layer on the last axis of an n-d input: x @ W^T + b (module m's weight and bias),
 * or with given weight and bias tensors (bias may be -1). */
int yb_linear_nd(Builder *b, const ModNode *m, const char *path, const char *scope, int mod, int x);
int yb_gemm_nd(Builder *b, const char *scope, int mod, int x, int w, int bias);

/* A shapes-only static build at h x w, batch 1 (the FLOPs probe; yolo_summary.c). */
Graph *yolo_build_probe(const ModTree *t, int h, int w, char *err, size_t errlen);
/* yolo_summary with the model's largest stride already known. */
int yolo_summary_stride(const ModTree *t, int max_stride, int imgsz_h, int imgsz_w, ModelSummary *unfused,
                        ModelSummary *fused, char *err, size_t errlen);

/* ---- emitters (yolo_modules.c, yolo_head.c) ---- */
int emit_sequential(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_conv_block(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_conv2d(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_conv_transpose2d(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_batchnorm2d(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_silu(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_relu(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_sigmoid(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_identity(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_maxpool2d(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_upsample(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_concat(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_bottleneck(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_c2f(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_c3(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_c2(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_sppf(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_c2psa(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_psablock(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_attention(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_detect(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_segment(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_pose(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_obb(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_proto(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_dfl(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_classify(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_adaptive_avgpool2d(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_linear(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
/* yolo_blocks.c: YOLOv3u, Ghost, YOLOv9, YOLOv10 and YOLO12 blocks */
int emit_zeropad2d(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_ghostconv(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_ghostbottleneck(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_repconv(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_elan(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_aconv(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_adown(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_sppelan(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_spp(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_cblinear(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_cbfuse(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_chain2(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_cib(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_repvggdw(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_psa(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_a2c2f(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_ablock(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_aattn(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
/* yolo_head.c */
int emit_v10detect(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
/* yolo_world.c: YOLO-World */
int emit_c2fattn(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_maxsigmoid_attn(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_image_pooling_attn(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_world_detect(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_contrastive_head(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_layernorm(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
/* yolo_rtdetr.c: RT-DETR */
int emit_hgstem(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_hgblock(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_lightconv(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_repc3(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_aifi(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_rtdetr_decoder(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_gelu(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_mlp(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_deform_layer(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);
int emit_msdeform_attn(Builder *, const ModNode *, const char *, const Scope *, int, const int *, int, int *);

/* The Detect decode shared by the heads (yolo_head.c): which branches, how boxes decode. */
typedef enum { DECODE_XYWH, DECODE_XYXY, DECODE_ROTATED } Decode;
typedef struct {
    const char *box_branch, *cls_branch; /* "cv2", "cv3" (YOLOv10's one-to-one: "one2one_cv2", ...) */
    Decode decode;
    int angle;                           /* DECODE_ROTATED: the [B, 1, A] angle */
    int text;                            /* YOLO-World: class text embeddings for cv4 (-1: none) */
} DetectSpec;
/* Detect.forward + _inference (export form) over feature maps x: [B, 4+nc, A]. */
int yolo_detect_decode(Builder *b, const ModNode *m, const char *path, const Scope *sc, int mod, const int *x,
                       int nx, const DetectSpec *spec, int *out);

#endif
