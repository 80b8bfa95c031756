/* exec_conv: what the executor's convolution files share (exec_conv.c: the op and the
 * geometry; exec_convplan.c: choosing a path and packing weights once, at exec_new;
 * exec_convrun.c: running a planned convolution on the thread pool).  Nothing outside
 * engine/exec includes it. */
#ifndef YOLOPORT_EXEC_CONV_H
#define YOLOPORT_EXEC_CONV_H

#include "engine/exec/exec_impl.h"
#include "engine/exec/exec_kern.h"

/* Spatial geometry of a conv/pool node, with 1-D inputs seen as H = 1. */
typedef struct {
    int64_t N, C, H, W;     /* input */
    int64_t kh, kw;
    int64_t sh, sw, dh, dw;
    int64_t pt, pl, pb, pr; /* pads: top, left, bottom, right */
    int64_t OH, OW;
    int spatial;            /* 1 or 2 */
} Geom;

/* Read kernel/stride/dilation/pad attributes for input x (rank 3 or 4) and kernel size
 * kh x kw.  0 or -1 + message. */
int conv_geom_init(const Node *n, const Value *x, int64_t kh, int64_t kw, bool ceil_mode, Geom *g, char *err,
                   size_t errlen);

/* The ways a convolution runs (the table of names in exec_convplan.c).  KXK resolves at
 * run time to DIRECT (taps read straight from a padded input, row by row) or IM2COL
 * (columns gathered into packed panels), whichever fills the vectors better for the
 * output width.  BLOCKED is a direct convolution over a channel-blocked (NCHWc, c = the
 * vector's lanes) copy of the input, output channels in the vector lanes, converted back to
 * NCHW as its tiles are stored (float32 activations only). */
#define CONV_PATHS(X)                                                                      \
    X(CONV_PATH_AUTO, "auto")                                                              \
    X(CONV_PATH_REFERENCE, "reference im2col + gemm")                                      \
    X(CONV_PATH_GEMM1X1, "1x1 gemm")                                                       \
    X(CONV_PATH_KXK, "kxk")                                                                \
    X(CONV_PATH_DIRECT, "direct")                                                          \
    X(CONV_PATH_IM2COL, "im2col panels")                                                   \
    X(CONV_PATH_WINO43, "winograd F(4,3)")                                                 \
    X(CONV_PATH_DEPTHWISE, "depthwise direct")                                             \
    X(CONV_PATH_BLOCKED, "blocked direct")

typedef enum {
#define X(e, s) e,
    CONV_PATHS(X)
#undef X
    CONV_PATH_COUNT
} ConvPath;

const char *conv_path_name(ConvPath p);

/* One convolution node's plan, built once: the chosen path, weights packed for its kernel
 * (batch norm folded in), the bias, and the fused epilogue. */
typedef struct ConvPlan {
    ConvPath path;          /* never AUTO; KXK resolves per run */
    ConvPath last_path;     /* what the last run used (for reports) */
    double last_macs;       /* multiply-adds of the last run */
    const ExecKernels *kern;
    int rank;               /* the weight's (3 or 4); the input must match */
    int64_t M, C, group, Mg, Cg, kh, kw, K; /* K = Cg * kh * kw (per group) */
    int64_t panels;         /* ceil(Mg / mr) per group (blocked: ceil(Mg / (2 * vl))) */
    int64_t cblocks;        /* blocked: ceil(Cg / vl), the input's channel blocks */
    float *A;               /* packed weights (see exec_convplan.c); Winograd: NULL until a second run */
    const float *wsrc;      /* Winograd: the weights to transform, kxk: to repack for the blocked path
                             * (the graph's or the Exec's copy) */
    bool blk_checked;       /* kxk: the first run decided whether the blocked path takes it */
    int runs;               /* Winograd: runs so far */
    float *bias;            /* M floats, padded to whole panels per group; zeros when the node has none */
    float *dw;              /* depthwise: M x kh x kw weights (BN folded) */
    float *bn_scale, *bn_shift; /* a folded batch norm (M floats each) for the reference path, or NULL */
    ExecEpi epi;            /* with fusion on: the planned activation and float16 roundings */
    ExecEpi epi_plain;      /* with fusion off: only the rounding of a float16 output */
} ConvPlan;

/* Plan node n (a Conv whose weight, and bias when present, are constants w and b).
 * bn_scale/bn_shift (M floats each, or NULL) fold a following batch norm: w' = w * scale,
 * b' = b * scale + shift.  force picks a path when it applies (tests and benchmarks);
 * CONV_PATH_AUTO chooses by shape.  NULL when the node is not one the fast paths take
 * (the reference path runs it).  *wino_budget (may be NULL) is the room left for Winograd
 * weights, reduced by what this plan takes. */
ConvPlan *conv_plan_new(const ExecKernels *kern, const Node *n, const Value *w, const Value *b, const float *bn_scale,
                        const float *bn_shift, ConvPath force, int64_t *wino_budget);

/* Pack p's weights wd ([M][K] floats, times p->bn_scale when set) into p->A as the direct
 * and im2col paths read them. */
void conv_pack_panels(ConvPlan *p, const float *wd);

/* Pack p's weights wd for the blocked path into p->A (p->A must be NULL; sets p->panels):
 * per group and panel of 2 vl output channels, [cblocks][kh][kw][vl input channels][2 vl
 * outputs] (ExecBlkTile's A). */
void conv_pack_blocked(ConvPlan *p, const float *wd);

/* Whether the blocked path runs plan p's convolution (a kxk plan) at geometry g faster than
 * direct or im2col panels would: the rule measured by bench/exec_bench --paths (figures in
 * exec_convplan.c's header).  A kxk plan's first run asks, and repacks its weights if so. */
bool conv_blocked_pays(const ConvPlan *p, const Geom *g);
/* The largest output (pixels) the blocked path is chosen for: the maps where Winograd steps
 * aside (EXEC_WINO_MIN_PIXELS) were the ones it was measured faster on. */
#define EXEC_BLOCKED_MAX_PIXELS EXEC_WINO_MIN_PIXELS

/* Force every convolution of e onto path (AUTO: back to the planner's choice) where the
 * path can run it, and plan them again (tests and benchmarks: ExecOptions names only the
 * older paths).  Call before a run, not during one. */
void exec_conv_force(Exec *e, ConvPath path);

/* A Winograd plan whose first run has an output of at most this many pixels (28 x 28)
 * becomes a direct one: measured on yolov8n's 3x3 layers (bench/exec.sh, 2 threads,
 * AVX-512), direct ran the 20x20 maps in 0.92-1.21 ms where Winograd F(4,3) took
 * 1.44-1.70, and Winograd won at 40x40 (0.88 against 1.05-1.15 ms). */
#define EXEC_WINO_MIN_PIXELS 784

/* Bytes of Winograd-transformed weights one Exec may hold (the rest of the 3x3 layers run
 * direct): the transform stores 36 values per 9 weights. */
#define EXEC_WINO_BUDGET ((int64_t)256 << 20)
void conv_plan_free(ConvPlan *p);
/* Winograd: floats of the transformed weights, and the transform of group x panel gp (of
 * group * panels) into A laid out as [group][36][panels][Cg][mr]. */
size_t conv_wino_floats(const ConvPlan *p);
void conv_wino_weights(const ConvPlan *p, int64_t gp, float *A);

/* Plan every convolution of e's graph whose weights are constants (e->conv, e->node_plan,
 * e->alias_src; old plans are freed).  With fuse, a following batch norm is folded and a
 * following activation (SiLU, Sigmoid·Mul, Relu, Sigmoid) becomes the epilogue; without,
 * every tensor keeps its own value (keep_all, observers). */
void exec_plan_convs(Exec *e, bool fuse);

/* ---- integer QDQ convolutions (exec_qconv.c) ---- */
typedef struct QConvPlan QConvPlan;
/* With fusion on, plan DequantizeLinear -> Conv -> QuantizeLinear chains as integer
 * convolutions (e->qconv, e->q_bytes, node plans PLAN_QCONV / PLAN_SKIP / PLAN_ALIAS, and
 * e->last_use of the quantized inputs); without, free the plans. */
void exec_plan_qconvs(Exec *e);
void qconv_plan_free(QConvPlan *p);
/* Whether QuantizeLinear node n stores its output as bytes (its readers take them). */
bool exec_q_bytes(const Exec *e, const Node *n);
/* Run the integer convolution planned for node ni (its quantized input is ready).  0 or
 * -1 + message. */
int exec_qconv_run_node(Exec *e, int ni, char *err, size_t errlen);
/* With fusion on, exec_plan_qconvs also plans, as integer convolutions with a float
 * epilogue, the convolutions that read a FakeQuantize with 256 levels (per-tensor range, the
 * same in and out, zero on its grid; or values moved from such outputs on one grid by Split,
 * Concat, MaxPool, a nearest Resize) and whose weights are int8 steps per output channel
 * (int8 constants -> Convert [-> Subtract of zeros] -> Multiply, or a FakeQuantize with 255
 * or 256 levels on float constants); a following activation becomes the epilogue.  Their
 * input stays float (other readers see it); each run turns it back into its levels.  Only
 * where the CPU has AVX-512 VNNI (elsewhere the float kernels are faster). */
/* FakeQuantize's levels (the attribute as an integer or as an IR's string; 0 when absent). */
int64_t exec_fq_levels(const Node *n);
/* "int8 gemm avx512-vnni" and the last run's multiply-adds. */
void qconv_describe(const QConvPlan *p, char *buf, size_t len, double *macs);

/* Run a planned convolution: x (float32, rank 3 or 4) into out (allocated here).  0 or
 * -1 + message; 1 when this input's geometry is not one the plan's paths handle (the
 * caller runs the reference path). */
int conv_plan_run(Exec *e, const Node *n, ConvPlan *p, const Value *x, Value *out, char *err, size_t errlen);

#endif
