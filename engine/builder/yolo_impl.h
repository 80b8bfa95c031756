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
    bool with_data;      /* convert weight data (false: shapes only) */
    bool borrow_f32;     /* float32 weights may be used in place (their blob was adopted) */
    StrMap names;        /* node name -> uses (for the _1, _2 suffixes) */
    StrMap scopes;       /* scope -> calls */
    StrMap modules;      /* module path -> g->modules index */
    int input;           /* "images" */
    int outputs[4];      /* model outputs (output0, output1) */
    int n_outputs;
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

/* A shapes-only static build at size x size, batch 1 (the FLOPs probe; yolo_summary.c). */
Graph *yolo_build_probe(const ModTree *t, int size, char *err, size_t errlen);
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

#endif
