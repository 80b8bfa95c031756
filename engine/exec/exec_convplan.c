/* exec_convplan: how each convolution will run, decided once when the Exec is made.
 * The path follows the weight's shape and the node's attributes (the table below was
 * set from bench/exec.sh's per-layer figures on AVX-512 and AVX2 machines):
 *   depthwise (one input channel per group)          -> depthwise direct
 *   1x1, stride 1, no padding                        -> 1x1 gemm (B is the input itself)
 *   3x3, stride 1, dilation 1, >= 8 channels in/out  -> Winograd F(4,3), while its
 *                                                       transformed weights (4x the
 *                                                       weights) fit EXEC_WINO_BUDGET,
 *                                                       earlier layers (larger maps) first
 *   everything else                                  -> kxk: direct or im2col panels,
 *                                                       chosen per run by output width
 * The weights are packed for the kernel table's micro-tile (mr rows per panel), with a
 * following batch norm folded in, so a run never touches the graph's weight layout.
 *
 * The blocked (NCHWc) direct path: a kxk plan's first run takes it (conv_blocked_pays, the
 * weights repacked once) for a 3x3 convolution, dilation 1, one group, on an output of at
 * most EXEC_BLOCKED_MAX_PIXELS, with stride 1 and >= 32 input channels, or stride 2 and >= 256.
 * Measured with bench/exec_bench --paths (each layer alone, chosen path and blocked path
 * alternating, medians; AVX-512 on an AMD EPYC shared by two jobs, 2 threads), blocked / chosen:
 *   3x3 s1 to 20x20 (im2col panels): yolov8n 64-256 in 0.73-1.02 (11 layers, median 0.85),
 *     yolov8s 64-512 in 0.63-1.05, yolo11n-seg 32-256 in 0.55-1.05
 *   3x3 s2 to 20x20: 256 in 0.58 and 0.60 (yolov8s); 128 in 0.79-1.32 (not taken)
 *   everything else loses, and is not taken: the first layers (3->16 at 640, 16->32 at 320:
 *     2.2-3.0x and 1.25-1.5x: the input's few channels fill a block's lanes badly and the
 *     tiles' transpose back to NCHW costs as much as their sums), Winograd's layers (1.3-3.3x),
 *     1x1 (1.2-2.8x: the gemm reads the input where it lies), stride 2 on larger maps (0.86-1.3).
 * The conversions at the layer's boundary (the band blocked, the tiles transposed to NCHW)
 * are in those times: tensors stay NCHW between layers. */
#include "engine/exec/exec_conv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"

static const char *const conv_path_names[] = {
#define X(e, s) [e] = s,
    CONV_PATHS(X)
#undef X
};
_Static_assert(sizeof conv_path_names / sizeof conv_path_names[0] == CONV_PATH_COUNT, "a name per conv path");

const char *conv_path_name(ConvPath p) { return (unsigned)p < CONV_PATH_COUNT ? conv_path_names[p] : "?"; }

/* Winograd F(4,3) weight transform U = G g G^T (6x6 from 3x3) of 8 kernels at once (lane
 * r: kernel g[r], scaled by scale[r]; lanes past n are zero), so the loops vectorise. */
#define WINO_LANES 8
static void wino43_weights(const float *const *g, const float *scale, int n, float u[36][WINO_LANES])
{
    float k[9][WINO_LANES], t[6][3][WINO_LANES];
    for (int i = 0; i < 9; i++)
        for (int r = 0; r < WINO_LANES; r++) k[i][r] = r < n ? g[r][i] * scale[r] : 0.f;
    for (int j = 0; j < 3; j++)
        for (int r = 0; r < WINO_LANES; r++) {
            float g0 = k[j][r], g1 = k[3 + j][r], g2 = k[6 + j][r];
            t[0][j][r] = g0 * (1.f / 4);
            t[1][j][r] = (g0 + g1 + g2) * (-1.f / 6);
            t[2][j][r] = (g0 - g1 + g2) * (-1.f / 6);
            t[3][j][r] = g0 * (1.f / 24) + g1 * (1.f / 12) + g2 * (1.f / 6);
            t[4][j][r] = g0 * (1.f / 24) - g1 * (1.f / 12) + g2 * (1.f / 6);
            t[5][j][r] = g2;
        }
    for (int i = 0; i < 6; i++)
        for (int r = 0; r < WINO_LANES; r++) {
            float g0 = t[i][0][r], g1 = t[i][1][r], g2 = t[i][2][r];
            u[i * 6 + 0][r] = g0 * (1.f / 4);
            u[i * 6 + 1][r] = (g0 + g1 + g2) * (-1.f / 6);
            u[i * 6 + 2][r] = (g0 - g1 + g2) * (-1.f / 6);
            u[i * 6 + 3][r] = g0 * (1.f / 24) + g1 * (1.f / 12) + g2 * (1.f / 6);
            u[i * 6 + 4][r] = g0 * (1.f / 24) - g1 * (1.f / 12) + g2 * (1.f / 6);
            u[i * 6 + 5][r] = g2;
        }
}

/* Whether every pad the node declares is zero (auto_pad SAME counts as padding). */
static bool no_padding(const Node *n)
{
    const char *ap = node_attr_str(n, "auto_pad", "NOTSET");
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) return false;
    int64_t v[8];
    int c = attr_ints(n, "pads", v, 8);
    if (c < 0) return false;
    for (int i = 0; i < c; i++)
        if (v[i]) return false;
    return true;
}

static int64_t attr_pair(const Node *n, const char *name, int sp, int which, int64_t dflt)
{
    int64_t v[8];
    int c = attr_ints(n, name, v, 8);
    if (c != sp) return dflt;
    return sp == 2 ? v[which] : (which == 0 ? 1 : v[0]);
}

ConvPlan *conv_plan_new(const ExecKernels *kern, const Node *n, const Value *w, const Value *b, const float *bn_scale,
                        const float *bn_shift, ConvPath force, int64_t *wino_budget)
{
    if (!kern || !w || w->type != VT_F32 || (w->rank != 4 && w->rank != 3)) return NULL;
    int sp = w->rank - 2;
    int64_t M = w->dims[0], Cg = w->dims[1], kh = sp == 2 ? w->dims[2] : 1, kw = w->dims[w->rank - 1];
    int64_t group = node_attr_int(n, "group", 1);
    if (group < 1 || group > M || M % group || M < 1 || Cg < 1 || kh < 1 || kw < 1 || kh > 64 || kw > 64) return NULL;
    if (b && (b->type != VT_F32 || b->numel != M)) return NULL;
    int64_t K = Cg * kh * kw;
    if (K > (1 << 24) || M > (1 << 24) || M * K > ((int64_t)1 << 30)) return NULL;
    int64_t sh = attr_pair(n, "strides", sp, 0, 1), sw = attr_pair(n, "strides", sp, 1, 1);
    int64_t dh = attr_pair(n, "dilations", sp, 0, 1), dw = attr_pair(n, "dilations", sp, 1, 1);
    if (sh < 1 || sw < 1 || dh < 1 || dw < 1 || sh > 16 || sw > 16 || dh > 64 || dw > 64) return NULL;
    int64_t Mg = M / group;
    bool depthwise = Cg == 1 && Mg == 1;
    bool pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && no_padding(n);
    bool wino_ok = sp == 2 && kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1;
    ConvPath path = depthwise ? CONV_PATH_DEPTHWISE
                  : pointwise ? CONV_PATH_GEMM1X1
                  : wino_ok && Cg >= 8 && Mg >= 8 ? CONV_PATH_WINO43
                  : CONV_PATH_KXK;
    int64_t wino_bytes = group * 36 * ((Mg + kern->mr - 1) / kern->mr * kern->mr) * Cg * (int64_t)sizeof(float);
    if (path == CONV_PATH_WINO43 && wino_budget) {
        if (wino_bytes > *wino_budget) path = CONV_PATH_KXK;
        else *wino_budget -= wino_bytes;
    }
    switch (force) {
    case CONV_PATH_REFERENCE: path = force; break;
    case CONV_PATH_WINO43: if (wino_ok) path = force; break;
    case CONV_PATH_GEMM1X1: if (pointwise) path = force; break;
    case CONV_PATH_DIRECT: case CONV_PATH_IM2COL: case CONV_PATH_KXK: case CONV_PATH_BLOCKED:
        if (!depthwise) path = force;
        break;
    default: break;
    }

    ConvPlan *p = xcalloc(1, sizeof *p);
    p->path = p->last_path = path;
    p->kern = kern;
    p->rank = w->rank;
    p->M = M;
    p->C = Cg * group;
    p->group = group;
    p->Mg = Mg;
    p->Cg = Cg;
    p->kh = kh;
    p->kw = kw;
    p->K = K;
    int mr = kern->mr;
    p->panels = (Mg + mr - 1) / mr; /* the blocked path's: conv_pack_blocked */
    p->cblocks = (Cg + kern->vl - 1) / kern->vl;
    p->bias = xmalloc_aligned(64, sizeof(float) * (size_t)M);
    for (int64_t m = 0; m < M; m++) {
        double bv = b ? vf(b)[m] : 0.0;
        if (bn_scale) bv = bv * bn_scale[m] + bn_shift[m];
        p->bias[m] = (float)bv;
    }
    if (bn_scale) {
        p->bn_scale = xmalloc(sizeof(float) * (size_t)M);
        p->bn_shift = xmalloc(sizeof(float) * (size_t)M);
        memcpy(p->bn_scale, bn_scale, sizeof(float) * (size_t)M);
        memcpy(p->bn_shift, bn_shift, sizeof(float) * (size_t)M);
    }
    const float *wd = vf(w);
    if (path == CONV_PATH_DEPTHWISE) {
        p->dw = xmalloc_aligned(64, sizeof(float) * (size_t)(M * kh * kw));
        for (int64_t m = 0; m < M; m++)
            for (int64_t k = 0; k < kh * kw; k++)
                p->dw[m * kh * kw + k] = bn_scale ? wd[m * kh * kw + k] * bn_scale[m] : wd[m * kh * kw + k];
    } else if (path == CONV_PATH_WINO43) {
        /* transformed by the runs (conv_wino_weights): the first into a shared work buffer,
         * later ones keep their own copy, so that an Exec run once never holds the 4x */
        p->wsrc = wd;
    } else if (path == CONV_PATH_BLOCKED) {
        conv_pack_blocked(p, wd);
    } else if (path != CONV_PATH_REFERENCE) {
        conv_pack_panels(p, wd);
        p->wsrc = wd; /* a small map's first run may repack them for the blocked path */
    }
    return p;
}

void conv_pack_panels(ConvPlan *p, const float *wd)
{
    /* per group: [panels][K][mr], k in the weight's own (c, ky, kx) order */
    int64_t K = p->K, Mg = p->Mg;
    int mr = p->kern->mr;
    size_t len = (size_t)(p->group * p->panels * K * mr);
    p->A = xmalloc_aligned(64, sizeof(float) * len);
    float *dst = p->A;
    for (int64_t gr = 0; gr < p->group; gr++)
        for (int64_t panel = 0; panel < p->panels; panel++)
            for (int64_t k = 0; k < K; k++)
                for (int r = 0; r < mr; r++) {
                    int64_t mm = panel * mr + r, m = gr * Mg + mm;
                    *dst++ = mm >= Mg ? 0.f : p->bn_scale ? wd[m * K + k] * p->bn_scale[m] : wd[m * K + k];
                }
}

void conv_pack_blocked(ConvPlan *p, const float *wd)
{
    int64_t vl = p->kern->vl, P = 2 * vl, khkw = p->kh * p->kw, Mg = p->Mg, Cg = p->Cg;
    p->panels = (Mg + P - 1) / P;
    size_t len = (size_t)(p->group * p->panels * p->cblocks * khkw * vl * P);
    p->A = xmalloc_aligned(64, sizeof(float) * len);
    float *dst = p->A;
    for (int64_t gr = 0; gr < p->group; gr++)
        for (int64_t panel = 0; panel < p->panels; panel++)
            for (int64_t cb = 0; cb < p->cblocks; cb++)
                for (int64_t k = 0; k < khkw; k++)
                    for (int64_t ci = 0; ci < vl; ci++)
                        for (int64_t r = 0; r < P; r++) {
                            int64_t mm = panel * P + r, m = gr * Mg + mm, c = cb * vl + ci;
                            float v = 0.f;
                            if (mm < Mg && c < Cg) {
                                v = wd[(m * Cg + c) * khkw + k];
                                if (p->bn_scale) v *= p->bn_scale[m];
                            }
                            *dst++ = v;
                        }
}

bool conv_blocked_pays(const ConvPlan *p, const Geom *g)
{
    if (p->kh != 3 || p->kw != 3 || g->dh != 1 || g->dw != 1 || p->group != 1 || g->spatial != 2) return false;
    if (g->OH * g->OW > EXEC_BLOCKED_MAX_PIXELS) return false;
    bool unit_stride = g->sh == 1 && g->sw == 1;
    return unit_stride ? p->Cg >= 32 : g->sh == 2 && g->sw == 2 && p->Cg >= 256;
}

size_t conv_wino_floats(const ConvPlan *p) { return (size_t)(p->group * 36 * p->panels * p->Cg * p->kern->mr); }

void conv_wino_weights(const ConvPlan *p, int64_t gp, float *A)
{
    int64_t gr = gp / p->panels, panel = gp % p->panels, Cg = p->Cg, Mg = p->Mg;
    int mr = p->kern->mr;
    int64_t pos_stride = p->panels * Cg * mr;
    float u[36][WINO_LANES], sc[WINO_LANES];
    const float *ker[WINO_LANES];
    for (int64_t c = 0; c < Cg; c++)
        for (int r0 = 0; r0 < mr; r0 += WINO_LANES) {
            int n = 0;
            for (int r = r0; r < mr && r < r0 + WINO_LANES && panel * mr + r < Mg; r++, n++) {
                int64_t m = gr * Mg + panel * mr + r;
                ker[n] = p->wsrc + (m * Cg + c) * 9;
                sc[n] = p->bn_scale ? p->bn_scale[m] : 1.f;
            }
            wino43_weights(ker, sc, n, u);
            int lanes = mr - r0 < WINO_LANES ? mr - r0 : WINO_LANES;
            for (int pos = 0; pos < 36; pos++)
                memcpy(A + (gr * 36 + pos) * pos_stride + (panel * Cg + c) * mr + r0, u[pos], sizeof(float) * (size_t)lanes);
        }
}

void conv_plan_free(ConvPlan *p)
{
    if (!p) return;
    free(p->A);
    free(p->bias);
    free(p->dw);
    free(p->bn_scale);
    free(p->bn_shift);
    free(p);
}

/* ---- the graph-level plan: which convolutions fold and fuse what --------------------------- */

/* The single consumer of tensor t, or -1 (none, several, or a graph output). */
static int sole_consumer(const Exec *e, int t, int *count)
{
    int cons[4];
    int n = graph_consumers(e->g, t, cons, 4);
    if (count) *count = n;
    if (n != 1 || e->pinned[t]) return -1;
    return cons[0];
}

static bool is_constant(const Exec *e, int t)
{
    if (t < 0) return false;
    const Tensor *tt = &e->g->tensors[t];
    return ((tt->producer < 0 && !tt->is_input) || (e->folded && e->folded[t])) && e->vals[t].ready;
}

/* A BatchNormalization reading t (inference mode) with constant float parameters of M
 * entries: its per-channel scale and shift. */
static bool bn_fold(const Exec *e, const Node *bn, int t, int64_t M, float *scale, float *shift)
{
    if (bn->n_inputs != 5 || bn->n_outputs != 1 || bn->inputs[0] != t || bn->outputs[0] < 0 ||
        node_attr_int(bn, "training_mode", 0))
        return false;
    for (int k = 1; k < 5; k++) {
        int p = bn->inputs[k];
        if (p < 0 || !is_constant(e, p) || e->vals[p].type != VT_F32 || e->vals[p].numel != M) return false;
    }
    const float *gamma = vf(&e->vals[bn->inputs[1]]), *beta = vf(&e->vals[bn->inputs[2]]),
                *mean = vf(&e->vals[bn->inputs[3]]), *var = vf(&e->vals[bn->inputs[4]]);
    double eps = node_attr_float(bn, "epsilon", 1e-5);
    for (int64_t m = 0; m < M; m++) {
        /* the same arithmetic as the BatchNormalization kernel */
        float s = (float)(gamma[m] / sqrt((double)var[m] + eps));
        scale[m] = s;
        shift[m] = beta[m] - mean[m] * s;
    }
    return true;
}

/* A one-input, one-output node reading t whose op is one the epilogue applies. */
static ExecAct unary_act(const Node *n, int t)
{
    if (n->n_inputs != 1 || n->n_outputs != 1 || n->inputs[0] != t || n->outputs[0] < 0) return ACT_NONE;
    switch (n->op) {
    case OP_SILU: case OP_SWISH: return ACT_SILU;
    case OP_RELU: return ACT_RELU;
    case OP_SIGMOID: return ACT_SIGMOID;
    default: return ACT_NONE;
    }
}

void exec_conv_force(Exec *e, ConvPath path)
{
    e->conv_force = (unsigned)path < CONV_PATH_COUNT ? (int)path : CONV_PATH_AUTO;
    exec_plan_convs(e, e->fusion);
    e->planned = false;
    e->plan_failed = false;
}

void exec_plan_convs(Exec *e, bool fuse)
{
    const Graph *g = e->g;
    int nn = g->n_nodes ? g->n_nodes : 1;
    if (!e->conv) e->conv = xcalloc((size_t)nn, sizeof *e->conv);
    if (!e->node_plan) e->node_plan = xcalloc((size_t)nn, 1);
    if (!e->alias_src) e->alias_src = xmalloc(sizeof(int) * (size_t)nn);
    for (int ni = 0; ni < g->n_nodes; ni++) {
        conv_plan_free(e->conv[ni]);
        e->conv[ni] = NULL;
        e->node_plan[ni] = PLAN_RUN;
        e->alias_src[ni] = -1;
    }
    if (e->last_use_graph) memcpy(e->last_use, e->last_use_graph, sizeof(int) * (size_t)g->n_tensors);
    /* integer QDQ convolutions first: the float plans below skip their nodes */
    e->fusion = fuse;
    exec_plan_qconvs(e);
    int64_t wino_budget = EXEC_WINO_BUDGET;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        if (n->op != OP_CONV || n->n_outputs != 1 || n->outputs[0] < 0 || n->n_inputs < 2) continue;
        if (e->qconv && e->qconv[ni]) continue;
        int wt = n->inputs[1], bt = n->n_inputs > 2 ? n->inputs[2] : -1;
        if (wt < 0 || !is_constant(e, wt) || (bt >= 0 && !is_constant(e, bt))) continue;
        const Value *w = &e->vals[wt], *b = bt >= 0 ? &e->vals[bt] : NULL;
        if (w->type != VT_F32 || (w->rank != 3 && w->rank != 4) || w->dims[0] < 1 || w->dims[0] > (1 << 24)) continue;
        int64_t M = w->dims[0];
        int out = n->outputs[0], cur = out, marked[3], n_marked = 0;
        bool half = g->tensors[out].dtype == DT_F16;
        ExecEpi epi = {ACT_NONE, half ? EPI_ROUND_CONV : 0};
        float *scale = NULL, *shift = NULL;
        if (fuse && !e->pinned[out]) {
            int s = sole_consumer(e, cur, NULL);
            if (s > ni && g->nodes[s].op == OP_BATCHNORM && !half) {
                scale = xmalloc(sizeof(float) * (size_t)M);
                shift = xmalloc(sizeof(float) * (size_t)M);
                if (bn_fold(e, &g->nodes[s], cur, M, scale, shift)) {
                    e->node_plan[s] = PLAN_ALIAS;
                    e->alias_src[s] = cur;
                    marked[n_marked++] = s;
                    cur = g->nodes[s].outputs[0];
                } else {
                    free(scale);
                    free(shift);
                    scale = shift = NULL;
                }
            }
            int cnt, cons[2];
            s = e->pinned[cur] ? -1 : sole_consumer(e, cur, &cnt);
            ExecAct act = s > ni ? unary_act(&g->nodes[s], cur) : ACT_NONE;
            if (act != ACT_NONE) {
                epi.act = act;
                e->node_plan[s] = PLAN_ALIAS;
                e->alias_src[s] = cur;
                marked[n_marked++] = s;
                cur = g->nodes[s].outputs[0];
            } else if (!e->pinned[cur] && cnt == 2 && graph_consumers(g, cur, cons, 2) == 2) {
                /* Sigmoid(x) and Mul(x, sigmoid): SiLU */
                int sig = g->nodes[cons[0]].op == OP_SIGMOID ? cons[0] : g->nodes[cons[1]].op == OP_SIGMOID ? cons[1] : -1;
                int mul = sig == cons[0] ? cons[1] : cons[0];
                const Node *sn = sig >= 0 ? &g->nodes[sig] : NULL, *mn = &g->nodes[mul];
                int so = sn && sn->n_outputs == 1 ? sn->outputs[0] : -1;
                if (sn && sig > ni && mul > sig && unary_act(sn, cur) == ACT_SIGMOID && so >= 0 && mn->op == OP_MUL &&
                    mn->n_inputs == 2 && mn->n_outputs == 1 && mn->outputs[0] >= 0 && sole_consumer(e, so, NULL) == mul &&
                    ((mn->inputs[0] == cur && mn->inputs[1] == so) || (mn->inputs[0] == so && mn->inputs[1] == cur))) {
                    epi.act = ACT_SILU;
                    if (g->tensors[so].dtype == DT_F16) epi.round |= EPI_ROUND_SIG;
                    e->node_plan[sig] = PLAN_SKIP;
                    e->node_plan[mul] = PLAN_ALIAS;
                    e->alias_src[mul] = cur;
                    marked[n_marked++] = sig;
                    marked[n_marked++] = mul;
                    cur = mn->outputs[0];
                }
            }
            if (cur != out && g->tensors[cur].dtype == DT_F16) epi.round |= EPI_ROUND_OUT;
        }
        ConvPlan *p = conv_plan_new(e->kern, n, w, b, scale, shift, (ConvPath)e->conv_force, &wino_budget);
        free(scale);
        free(shift);
        if (!p) {
            for (int i = 0; i < n_marked; i++) e->node_plan[marked[i]] = PLAN_RUN;
            continue;
        }
        p->epi = epi;
        p->epi_plain = (ExecEpi){ACT_NONE, half ? EPI_ROUND_CONV : 0};
        e->conv[ni] = p;
        if (n_marked) e->node_plan[ni] = PLAN_CONV_FUSED;
    }
}
