/* Executor op tests: each op on a small graph, compared with values computed
 * independently.  Inputs follow fixed patterns whose values are exact binary fractions:
 *   X(shape)[i] = ((i*37) % 19 - 9) / 8,  W(shape)[i] = ((i*53) % 23 - 11) / 16,
 *   B(n)[i] = ((i*7) % 5 - 2) / 4   (i: the flat C-order index).
 * The exp_* arrays were computed from the same patterns with PyTorch 1.13 (torch.nn.functional)
 * and numpy 1.24 at development time; the expression is written above each array. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/core/graph.h"
#include "tests/check.h"

static float pat_x(int64_t i) { return (float)((i * 37) % 19 - 9) / 8.0f; }
static float pat_w(int64_t i) { return (float)((i * 53) % 23 - 11) / 16.0f; }
static float pat_b(int64_t i) { return (float)((i * 7) % 5 - 2) / 4.0f; }

static int64_t numel_of(const int64_t *d, int r)
{
    int64_t n = 1;
    for (int i = 0; i < r; i++) n *= d[i];
    return n;
}

/* Constant from a pattern. */
static int cst_pat(Graph *g, const char *name, float (*pat)(int64_t), int rank, const int64_t *dims)
{
    int64_t n = numel_of(dims, rank);
    float *buf = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) buf[i] = pat(i);
    int t = graph_add_const(g, name, DT_F32, rank, dims, buf);
    free(buf);
    return t;
}

static int cst_f32(Graph *g, const char *name, int rank, const int64_t *dims, const float *v)
{
    return graph_add_const(g, name, DT_F32, rank, dims, v);
}

static int cst_i64(Graph *g, const char *name, int rank, const int64_t *dims, const int64_t *v)
{
    return graph_add_const(g, name, DT_I64, rank, dims, v);
}

static int input(Graph *g, const char *name, int rank, const int64_t *dims)
{
    int t = graph_add_tensor(g, name, DT_F32, rank, dims);
    g->tensors[t].is_input = true;
    graph_add_input(g, t);
    return t;
}

/* An activation (shape left unknown: the executor computes shapes at run time). */
static int act(Graph *g, const char *name) { return graph_add_tensor(g, name, DT_F32, 0, NULL); }

static int node1(Graph *g, OpKind op, const char *type, const int *ins, int nin, int out)
{
    char name[64];
    snprintf(name, sizeof name, "n%d", g->n_nodes);
    return graph_add_node(g, op, type ? type : op_name(op), name, -1, ins, nin, &out, 1);
}

static void output(Graph *g, int t)
{
    g->tensors[t].is_output = true;
    graph_add_output(g, t);
}

/* Run g with the pattern X on its single input "x"; copy output 0 into a static buffer. */
static const float *run_x(Graph *g, const int64_t *xdims, int xrank, int64_t *odims, int *orank, char *err)
{
    static float result[65536];
    err[0] = 0;
    Exec *e = exec_new(g, err, 256);
    if (!e) return NULL;
    const float *ret = NULL;
    if (xrank >= 0) {
        int64_t n = numel_of(xdims, xrank);
        float *x = malloc(sizeof(float) * (size_t)(n ? n : 1));
        for (int64_t i = 0; i < n; i++) x[i] = pat_x(i);
        int rc = exec_set_input(e, "x", x, xdims, xrank, err, 256);
        free(x);
        if (rc) goto done;
    }
    if (exec_run(e, NULL, err, 256)) goto done;
    const float *y = exec_output(e, 0, odims, orank);
    if (!y) goto done;
    int64_t n = numel_of(odims, *orank);
    if (n > 65536) goto done;
    memcpy(result, y, sizeof(float) * (size_t)n);
    ret = result;
done:
    exec_free(e);
    return ret;
}

#define EXPECT_DIMS(od, orank, ...)                                                                     \
    do {                                                                                                \
        int64_t want_[] = {__VA_ARGS__};                                                                \
        EXPECT_EQ_INT(orank, (int)ARRAY_LEN(want_));                                                    \
        for (size_t k_ = 0; k_ < ARRAY_LEN(want_) && (int)k_ < (orank); k_++) EXPECT_EQ_INT(od[k_], want_[k_]); \
    } while (0)

/* Max |a - b| over n values. */
static double max_diff(const float *a, const float *b, int64_t n)
{
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m || d != d) m = d != d ? INFINITY : d;
    }
    return m;
}

#define EXPECT_ARRAY(y, expv, tol)                                                                      \
    do {                                                                                                \
        EXPECT_MSG((y) != NULL, "no output: %s", err);                                                  \
        if (y) {                                                                                        \
            double md_ = max_diff((y), (expv), (int64_t)ARRAY_LEN(expv));                               \
            EXPECT_MSG(md_ <= (tol), "max |diff| %g > %g", md_, (double)(tol));                         \
        }                                                                                               \
    } while (0)

/* F.conv2d(X(1,2,5,5), W(3,2,3,3), B(3), padding=1) */
static const float exp_conv3x3[75] = {
    -0.0859375, -1.2109375, 0.1328125, -0.0078125, -0.5546875, -0.6328125, 0.15625, -1.46875, -2.5,
    -1.1328125, -0.1484375, -0.84375, -0.8359375, -1.5703125, 0.3671875, 0.1875, 0.53125, 0.5390625,
    0.1015625, -0.953125, -1.453125, 0.25, 0.28125, 0.3125, 0.5390625, -0.625, -0.171875, -0.3828125,
    -0.296875, 0.453125, -1.296875, -0.1484375, -0.0703125, 0.6015625, 1.0703125, -0.890625, -1.09375,
    -1.015625, -0.046875, 0.140625, 1, 0.1875, 0.265625, 1.53125, -0.34375, 0.3828125, -0.3671875, -0.2890625,
    -0.2109375, -0.5859375, 0.8125, -0.390625, 0.8984375, 0.8515625, 0.3828125, 0.375, -0.453125, 1.1484375,
    -0.0703125, 1.1171875, 0.8828125, 1.171875, 1.140625, 0.21875, 1.890625, 1.09375, 1.4609375, 1.4296875,
    0.8046875, -0.453125, -0.65625, 0.09375, 0.0390625, -0.015625, 0.0859375,
};
/* F.conv2d(F.pad(X(1,2,7,6),(1,0,0,1)), W(2,2,3,3), stride=2, dilation=2) */
static const float exp_conv_dil[8] = {
    -0.8828125, -2.0546875, 1.2890625, -0.1796875, 0.359375, 1.0625, -0.03125, 1.2578125,
};
/* F.conv2d(X(1,4,6,6), W(4,1,3,3), B(4), stride=2, padding=1, groups=4) */
static const float exp_dw[36] = {
    -0.28125, -0.0625, -0.125, 0.0859375, -2.0703125, -0.7578125, -0.5859375, 0.4609375, -1.046875, -0.140625,
    -1.1796875, 0.828125, -0.5859375, -0.4140625, -0.2265625, 1.0703125, 1.0078125, -1.03125, 1.5546875,
    1.3203125, -0.328125, -0.046875, 0.015625, 0.03125, 0.5234375, 0.2578125, 0.2734375, 0.078125, -0.9140625,
    -0.7265625, 0.3046875, -0.15625, -0.015625, -0.8046875, 0.09375, -0.953125,
};
/* F.conv2d(X(2,4,5,5), W(6,2,3,3), B(6), padding=1, groups=2) */
static const float exp_group[300] = {
    -0.0859375, -1.2109375, 0.1328125, -0.0078125, -0.5546875, -0.6328125, 0.15625, -1.46875, -2.5,
    -1.1328125, -0.1484375, -0.84375, -0.8359375, -1.5703125, 0.3671875, 0.1875, 0.53125, 0.5390625,
    0.1015625, -0.953125, -1.453125, 0.25, 0.28125, 0.3125, 0.5390625, -0.625, -0.171875, -0.3828125,
    -0.296875, 0.453125, -1.296875, -0.1484375, -0.0703125, 0.6015625, 1.0703125, -0.890625, -1.09375,
    -1.015625, -0.046875, 0.140625, 1, 0.1875, 0.265625, 1.53125, -0.34375, 0.3828125, -0.3671875, -0.2890625,
    -0.2109375, -0.5859375, 0.8125, -0.390625, 0.8984375, 0.8515625, 0.3828125, 0.375, -0.453125, 1.1484375,
    -0.0703125, 1.1171875, 0.8828125, 1.171875, 1.140625, 0.21875, 1.890625, 1.09375, 1.4609375, 1.4296875,
    0.8046875, -0.453125, -0.65625, 0.09375, 0.0390625, -0.015625, 0.0859375, -1.5390625, -0.6484375,
    0.390625, -0.6484375, -1.5390625, -0.90625, -0.2734375, 1.3984375, 0.9921875, -0.9765625, 1.1484375,
    0.6640625, -0.78125, 0.1484375, 0.9375, -0.2109375, -0.03125, -1.625, -1.5859375, -0.1171875, -0.453125,
    -0.0078125, -1.3515625, -1.359375, -0.6171875, 1.0390625, -0.40625, 0.53125, -0.609375, 0.8359375, 0, -1,
    0.4140625, -0.25, 1.03125, 0.375, 0.7265625, 0.8046875, -0.15625, 0.3359375, -0.8828125, 0.8203125, 0.75,
    0.6796875, 0.0859375, -0.890625, 0.1953125, 0.3515625, 0.2109375, -0.046875, -1.5859375, 0.3828125,
    1.0390625, -0.3828125, -1.453125, -1.0625, -0.28125, 1.0546875, 0.3125, -1.8046875, 0.8671875, -0.28125,
    -1.9140625, -1.171875, -0.6171875, -0.46875, -1.9140625, -0.28125, -0.28125, 1.015625, -0.6015625,
    -0.1328125, -1.53125, -1.4453125, -0.7265625, -0.7421875, -0.4296875, -0.5703125, -1.75, -0.390625,
    -0.1484375, -0.84375, -0.8359375, -1.5703125, 0.3671875, 0.1875, 0.53125, 0.5390625, 0.1015625, -0.953125,
    -1.703125, 0.2734375, 0.28125, 0.2890625, 0.1015625, -1.09375, -1.375, -1.34375, -1.3125, -1.6875,
    -0.390625, -0.0390625, 0.046875, 0.7265625, 0.7890625, -0.890625, -1.09375, -1.015625, -0.046875,
    0.140625, 1, 0.1875, 0.265625, 1.53125, -0.34375, 0.6640625, -0.1640625, -0.0859375, -0.0078125,
    -0.0859375, -0.1484375, -0.2734375, -0.1953125, -0.1171875, 0.609375, 0.3203125, 0.7109375, 0.6640625,
    -0.5703125, 0.7109375, 0.8828125, 1.171875, 1.140625, 0.21875, 1.890625, 1.09375, 1.4609375, 1.4296875,
    0.8046875, -0.453125, -0.921875, 0.1171875, 0.0859375, 0.0546875, -0.2734375, -0.28125, 1.0078125,
    0.953125, 0.8984375, 0.390625, -0.5546875, -1.390625, 0.2421875, 0.8359375, -0.296875, 1.1484375,
    0.6640625, -0.78125, 0.1484375, 0.9375, -0.2109375, -0.03125, -1.625, -1.5859375, -0.1171875, -1.2734375,
    0.3125, -0.6875, -1.390625, -1.0234375, -0.53125, 1.2890625, 0.8359375, 0.3828125, -1.0390625, 0.265625,
    0.421875, 0.3203125, -0.8203125, 0.2890625, 0.375, 0.7265625, 0.8046875, -0.15625, 0.3359375, -0.8828125,
    0.8203125, 0.75, 0.6796875, 0.0859375, -0.0625, 0.3203125, -0.9375, -0.1171875, -0.1640625, -0.0625,
    0.53125, -0.203125, 0.84375, 1.0078125, -0.8828125, -1.53125, -0.1328125, 0.2265625, -1.09375, 0.8671875,
    -0.28125, -1.9140625, -1.171875, -0.6171875, -0.46875, -1.9140625, -0.28125, -0.28125, 1.015625,
    -1.359375, 1.0546875, -0.28125, -1.171875, -0.9140625, -0.6640625, 1.0390625, 0.3828125, -0.125,
    -1.4296875,
};
/* F.conv2d(X(1,3,4,4), W(5,3,1,1), B(5)) */
static const float exp_pw[80] = {
    0.390625, -1.1484375, -1.0546875, -0.9609375, -1.4609375, -1.3671875, -1.2734375, -0.734375, -0.640625,
    -0.546875, -0.453125, -0.359375, -0.265625, -0.171875, -0.078125, 0.015625, -0.4453125, 1, 0.9609375,
    0.921875, -0.0078125, -0.046875, -0.0859375, 0.0234375, -0.015625, -0.0546875, -0.09375, -0.1328125,
    -0.171875, -0.2109375, -0.25, -0.2890625, 0.3359375, 1.53125, 1.5390625, 1.546875, 0.3671875, 0.375,
    0.3828125, 0.2421875, 0.25, 0.2578125, 0.265625, 0.2734375, 0.28125, 0.2890625, 0.296875, 0.3046875,
    -0.1328125, 0.8125, 0.8671875, 0.921875, -0.5078125, -0.453125, -0.3984375, -0.7890625, -0.734375,
    -0.6796875, -0.625, -0.5703125, -0.515625, -0.4609375, -0.40625, -0.3515625, -0.4296875, 0.0859375,
    0.0078125, -0.0703125, 1.484375, 1.40625, 1.328125, 0.5078125, 0.4296875, 0.3515625, 0.2734375, 0.1953125,
    0.1171875, 0.0390625, -0.0390625, -0.1171875,
};
/* F.conv_transpose2d(X(1,3,3,3), W(3,2,2,2), B(2), stride=2) */
static const float exp_convt[72] = {
    -0.296875, 0.265625, -1.90625, -0.2890625, -0.546875, -1.2890625, -0.7890625, -1.6640625, -0.2890625,
    -0.2890625, -0.234375, 0.640625, -0.5234375, -1.25, -0.5, -1.2109375, -0.4765625, -1.171875, -0.1796875,
    0.53125, -0.125, 0.421875, -0.0703125, 0.3125, -0.453125, -1.1328125, -0.4296875, -1.09375, -0.40625,
    -1.0546875, -0.015625, 0.203125, 0.0390625, 0.09375, 0.09375, -0.015625, 1.015625, 0.140625, 0.2109375,
    0.2109375, -1.0390625, -0.1640625, -0.9140625, 1.265625, 0.2109375, 0.2109375, 0.890625, -1.2890625,
    -0.953125, -0.2421875, -0.8671875, -0.3203125, -0.78125, -0.3984375, 0.828125, -1.15625, 0.765625,
    -1.0234375, 0.703125, -0.890625, -0.6953125, -0.4765625, -0.609375, -0.5546875, -0.5234375, -0.6328125,
    0.640625, -0.7578125, 0.578125, -0.625, 0.515625, -0.4921875,
};
/* F.conv_transpose2d(X(1,2,3,4), W(2,3,3,3), stride=2, padding=1, output_padding=1) */
static const float exp_convt2[144] = {
    0.4375, 0.7265625, -0.3984375, 0.8046875, -0.34375, 0.734375, -0.2890625, -0.1796875, 0.375, 0.46875,
    -0.703125, 0.359375, -0.59375, 0.3984375, -0.484375, -0.703125, -0.234375, 0.59375, -0.1796875, 0.5234375,
    -0.125, 0.453125, -0.0703125, -0.3984375, -0.2265625, 0.7734375, -0.1171875, 0.8125, -0.0078125,
    0.8515625, 0.1015625, 0.046875, -0.1640625, 0.015625, -0.109375, -0.0546875, -0.0546875, -0.125, 0,
    0.2734375, -0.3359375, -0.296875, -0.25, -0.3046875, -0.1640625, -0.3125, -0.078125, 0.1953125,
    -0.6640625, 0.421875, 0.9375, -0.3828125, 0.90625, -0.4453125, 0.875, -0.2734375, -0.7265625, -0.1015625,
    0.7265625, -1.265625, 0.84375, -1.390625, 0.9609375, -0.515625, 0.84375, -0.5703125, 0.8125, -0.6328125,
    0.78125, -0.6953125, 0.75, -0.1171875, 0.3359375, 0.2890625, 0.453125, 0.1640625, 0.5703125, 0.0390625,
    0.6875, 0.09375, -0.3203125, 0.515625, -0.3515625, 0.453125, -0.3828125, 0.390625, -0.4140625, 0.0390625,
    -0.4921875, 0.203125, -0.4921875, 0.203125, -0.4921875, 0.203125, -0.4921875, -0.0390625, -0.5078125,
    0.65625, 0.1171875, -0.8515625, 0, -0.7265625, -0.1171875, -0.3671875, 0.5078125, -1.390625, 0.8984375,
    0.1640625, 0.84375, 0.234375, 0.7890625, 0.9296875, -0.234375, -0.4765625, -0.3515625, -0.3515625,
    -0.46875, -0.2265625, -0.5859375, 0.1640625, -0.8984375, 0.5234375, -0.953125, 0.59375, -1.0078125,
    0.6640625, -1.0625, 0.6796875, 0.78125, -0.421875, 0.6640625, -0.296875, 0.546875, -0.171875, 0.4296875,
    -0.1953125, 0.609375, -0.375, 0.5234375, -0.3671875, 0.4375, -0.359375, 0.3515625, -0.453125,
};
/* F.batch_norm(X(1,3,2,2), mean=[.5,-1,.25], var=[1,.5,2], W(3), B(3), eps=1e-3) */
static const float exp_bn[12] = {
    0.616629303, -0.929472804, -0.843578219, -0.757683694, -0.618100643, -0.573950589, -0.529800534,
    -0.48565051, 0.5, 0.483431309, 0.466862649, 0.450293988,
};
/* F.max_pool2d(X(1,2,6,6), 5, stride=1, padding=2) */
static const float exp_maxpool5[72] = {
    1.125, 1.125, 1.125, 1.125, 1, 0.875, 1.125, 1.125, 1.125, 1.125, 1.125, 1, 1.125, 1.125, 1.125, 1.125,
    1.125, 1, 1.125, 1.125, 1.125, 1.125, 1.125, 1, 1.125, 1.125, 1.125, 1.125, 1.125, 1, 1.125, 1.125, 1.125,
    1.125, 1.125, 1, 0.75, 1.125, 1.125, 1.125, 1.125, 1.125, 0.75, 1.125, 1.125, 1.125, 1.125, 1.125, 0.875,
    1.125, 1.125, 1.125, 1.125, 1.125, 0.875, 0.875, 1.125, 1.125, 1.125, 1.125, 0.875, 0.875, 1.125, 1.125,
    1.125, 1.125, 0.875, 0.875, 1.125, 1.125, 1.125, 1.125,
};
/* F.max_pool2d(X(1,1,5,5), 2, 2, ceil_mode=True) */
static const float exp_maxpool_ceil[9] = {
    1.125, 1, 0.75, 0, -0.25, -0.5, 1.125, 0.875, 0.625,
};
/* F.avg_pool2d(X(1,1,5,5), 3, 2, 1, count_include_pad=False) */
static const float exp_avgpool_ex[9] = {
    0.28125, 0.6875, 0.5, -0.0625, -0.25, -0.4375, 0.1875, 0, -0.1875,
};
/* F.avg_pool2d(X(1,1,5,5), 3, 2, 1, count_include_pad=True) */
static const float exp_avgpool_in[9] = {
    0.125, 0.458333343, 0.222222224, -0.0416666679, -0.25, -0.291666657, 0.0833333358, 0, -0.0833333358,
};
/* F.interpolate(X(1,1,3,4), size=(5,7), mode='bilinear', align_corners=False)  (ONNX half_pixel) */
static const float exp_bilinear[35] = {
    -1.125, -0.321428448, 0.964285791, 1.0625, 0.991071463, 0.919642806, 0.875, -0.37499994, 0.0892857909,
    0.832142889, 0.862499952, 0.791071475, 0.719642818, 0.675000012, 0.75, 0.705357075, 0.633928537,
    0.56249994, 0.491071403, 0.419642806, 0.37499997, 0.449999958, 0.405357093, 0.333928525, 0.262499958,
    0.191071376, 0.119642794, 0.0749999657, 0.25, 0.205357119, 0.133928567, 0.0624999851, -0.0089285858,
    -0.0803571641, -0.125,
};
/* F.interpolate(X(1,1,3,4), size=(5,7), mode='bilinear', align_corners=True) */
static const float exp_bilinear_ac[35] = {
    -1.125, 0, 1.125, 1.0625, 1, 0.9375, 0.875, -0.1875, 0.34375, 0.875, 0.8125, 0.75, 0.6875, 0.625, 0.75,
    0.6875, 0.625, 0.5625, 0.5, 0.4375, 0.375, 0.5, 0.4375, 0.375, 0.3125, 0.25, 0.1875, 0.125, 0.25, 0.1875,
    0.125, 0.0625, 0, -0.0625, -0.125,
};
/* torch.softmax(X(1,4,3), dim=1) */
static const float exp_softmax1[12] = {
    0.0589698479, 0.402526528, 0.402526528, 0.4357315, 0.276652187, 0.276652187, 0.299473614, 0.190140069,
    0.190140069, 0.205824986, 0.130681232, 0.130681232,
};
/* opset 11 Softmax axis=1 on X(2,3,4) = torch.softmax(X.reshape(2,12), 1) */
static const float exp_softmax_old[24] = {
    0.0163054634, 0.154701933, 0.136523977, 0.12048199, 0.106324986, 0.0938314646, 0.0828059837, 0.0730760172,
    0.0644893572, 0.0569116622, 0.0502243638, 0.0443228483, 0.0536955222, 0.0473861322, 0.0418181159,
    0.0369043574, 0.0325679816, 0.0287411399, 0.0253639687, 0.0223836228, 0.212369904, 0.187415779,
    0.165393844, 0.145959556,
};
/* np.matmul(X(2,1,3,4), W(3,4,5)) */
static const float exp_matmul[90] = {
    0.328125, 1.1484375, -0.90625, -0.0859375, 0.9140625, -0.7421875, 0.2421875, -0.2109375, 0.7734375,
    -0.0390625, -0.1796875, -0.0703125, 0.0390625, 0.1484375, -0.1015625, 0.5625, 1.3828125, -0.671875,
    0.328125, 1.1484375, -0.4609375, 0.5234375, 0.0703125, -0.7421875, 0.2421875, -0.1484375, -0.0390625,
    0.0703125, -0.1796875, -0.0703125, 0.796875, -1.2578125, -0.4375, 0.5625, 1.3828125, -0.1796875,
    -0.6328125, 0.3515625, -0.4609375, 0.5234375, -0.1171875, -0.0078125, 0.1015625, -0.1484375, -0.0390625,
    0.3828125, -0.3828125, 0.2890625, -0.4765625, -0.1640625, 0.9453125, -0.6953125, 0.5390625, -1.1015625,
    -0.2265625, -1.1640625, 0.4765625, -0.3984375, 1.2421875, 0.0078125, 0.1640625, -0.6015625, 0.0703125,
    0.3828125, -0.3828125, 0.4765625, -1.1640625, 0.0703125, 0.9453125, -0.6953125, -0.6953125, 0.9453125,
    0.0703125, -1.1640625, 0.4765625, -0.0546875, 0.6171875, -0.1484375, 0.1640625, -0.6015625, 0.0078125,
    1.2421875, -0.3984375, 0.4765625, -1.1640625, -0.2265625, -1.1015625, 0.5390625, -0.6953125, 0.9453125,
};
/* Gemm(transB=1, alpha=.5, beta=2): 0.5 * X(3,4) @ W(5,4).T + 2 * B(5) */
static const float exp_gemm[15] = {
    -0.38671875, 0.27734375, 0.8515625, -0.35546875, 0.12890625, -1.171875, -0.08984375, 0.90234375,
    -0.24609375, 0.65625, -1.140625, -0.01171875, 1.02734375, -0.43359375, 0.515625,
};
/* C2f-like: y=silu(conv1x1(X(1,4,6,6),W(4,4,1,1),B(4))); m=silu(conv3x3 p1(y[:,2:],W(2,2,3,3),B(2))); z=sigmoid(conv1x1(cat(y[:,:2],y[:,2:],m),W(3,6,1,1),B(3))); nearest upsample x2 */
static const float exp_c2f[432] = {
    0.361171514, 0.361171514, 0.437017113, 0.437017113, 0.443280309, 0.443280309, 0.609190881, 0.609190881,
    0.563544035, 0.563544035, 0.369481653, 0.369481653, 0.361171514, 0.361171514, 0.437017113, 0.437017113,
    0.443280309, 0.443280309, 0.609190881, 0.609190881, 0.563544035, 0.563544035, 0.369481653, 0.369481653,
    0.405829757, 0.405829757, 0.41886878, 0.41886878, 0.410716385, 0.410716385, 0.409411609, 0.409411609,
    0.401032895, 0.401032895, 0.392535597, 0.392535597, 0.405829757, 0.405829757, 0.41886878, 0.41886878,
    0.410716385, 0.410716385, 0.409411609, 0.409411609, 0.401032895, 0.401032895, 0.392535597, 0.392535597,
    0.388356954, 0.388356954, 0.382731438, 0.382731438, 0.372477531, 0.372477531, 0.383334339, 0.383334339,
    0.379458547, 0.379458547, 0.352695197, 0.352695197, 0.388356954, 0.388356954, 0.382731438, 0.382731438,
    0.372477531, 0.372477531, 0.383334339, 0.383334339, 0.379458547, 0.379458547, 0.352695197, 0.352695197,
    0.359204143, 0.359204143, 0.357563734, 0.357563734, 0.437603146, 0.437603146, 0.443769366, 0.443769366,
    0.610853791, 0.610853791, 0.582395077, 0.582395077, 0.359204143, 0.359204143, 0.357563734, 0.357563734,
    0.437603146, 0.437603146, 0.443769366, 0.443769366, 0.610853791, 0.610853791, 0.582395077, 0.582395077,
    0.406648785, 0.406648785, 0.410889655, 0.410889655, 0.41886878, 0.41886878, 0.410716385, 0.410716385,
    0.409411609, 0.409411609, 0.400056541, 0.400056541, 0.406648785, 0.406648785, 0.410889655, 0.410889655,
    0.41886878, 0.41886878, 0.410716385, 0.410716385, 0.409411609, 0.409411609, 0.400056541, 0.400056541,
    0.384958416, 0.384958416, 0.382891655, 0.382891655, 0.37770465, 0.37770465, 0.36875841, 0.36875841,
    0.364980519, 0.364980519, 0.367722303, 0.367722303, 0.384958416, 0.384958416, 0.382891655, 0.382891655,
    0.37770465, 0.37770465, 0.36875841, 0.36875841, 0.364980519, 0.364980519, 0.367722303, 0.367722303,
    0.503954232, 0.503954232, 0.494452089, 0.494452089, 0.510709524, 0.510709524, 0.564932585, 0.564932585,
    0.489107013, 0.489107013, 0.359072357, 0.359072357, 0.503954232, 0.503954232, 0.494452089, 0.494452089,
    0.510709524, 0.510709524, 0.564932585, 0.564932585, 0.489107013, 0.489107013, 0.359072357, 0.359072357,
    0.407557994, 0.407557994, 0.55011946, 0.55011946, 0.547790885, 0.547790885, 0.534276307, 0.534276307,
    0.518884301, 0.518884301, 0.533808291, 0.533808291, 0.407557994, 0.407557994, 0.55011946, 0.55011946,
    0.547790885, 0.547790885, 0.534276307, 0.534276307, 0.518884301, 0.518884301, 0.533808291, 0.533808291,
    0.519727051, 0.519727051, 0.516315818, 0.516315818, 0.505781412, 0.505781412, 0.485426515, 0.485426515,
    0.48052001, 0.48052001, 0.49424389, 0.49424389, 0.519727051, 0.519727051, 0.516315818, 0.516315818,
    0.505781412, 0.505781412, 0.485426515, 0.485426515, 0.48052001, 0.48052001, 0.49424389, 0.49424389,
    0.504507899, 0.504507899, 0.499678165, 0.499678165, 0.498405546, 0.498405546, 0.51352489, 0.51352489,
    0.570681155, 0.570681155, 0.510504901, 0.510504901, 0.504507899, 0.504507899, 0.499678165, 0.499678165,
    0.498405546, 0.498405546, 0.51352489, 0.51352489, 0.570681155, 0.570681155, 0.510504901, 0.510504901,
    0.417455673, 0.417455673, 0.411631227, 0.411631227, 0.55011946, 0.55011946, 0.547790885, 0.547790885,
    0.534276307, 0.534276307, 0.515739799, 0.515739799, 0.417455673, 0.417455673, 0.411631227, 0.411631227,
    0.55011946, 0.55011946, 0.547790885, 0.547790885, 0.534276307, 0.534276307, 0.515739799, 0.515739799,
    0.529450595, 0.529450595, 0.524062693, 0.524062693, 0.523455977, 0.523455977, 0.513491035, 0.513491035,
    0.509988725, 0.509988725, 0.500697017, 0.500697017, 0.529450595, 0.529450595, 0.524062693, 0.524062693,
    0.523455977, 0.523455977, 0.513491035, 0.513491035, 0.509988725, 0.509988725, 0.500697017, 0.500697017,
    0.577216923, 0.577216923, 0.525337875, 0.525337875, 0.518250823, 0.518250823, 0.489673823, 0.489673823,
    0.533043623, 0.533043623, 0.735518396, 0.735518396, 0.577216923, 0.577216923, 0.525337875, 0.525337875,
    0.518250823, 0.518250823, 0.489673823, 0.489673823, 0.533043623, 0.533043623, 0.735518396, 0.735518396,
    0.664167881, 0.664167881, 0.57196635, 0.57196635, 0.574193656, 0.574193656, 0.541464984, 0.541464984,
    0.533826053, 0.533826053, 0.564507961, 0.564507961, 0.664167881, 0.664167881, 0.57196635, 0.57196635,
    0.574193656, 0.574193656, 0.541464984, 0.541464984, 0.533826053, 0.533826053, 0.564507961, 0.564507961,
    0.548052013, 0.548052013, 0.551440179, 0.551440179, 0.5655334, 0.5655334, 0.4928011, 0.4928011, 0.4939816,
    0.4939816, 0.603081346, 0.603081346, 0.548052013, 0.548052013, 0.551440179, 0.551440179, 0.5655334,
    0.5655334, 0.4928011, 0.4928011, 0.4939816, 0.4939816, 0.603081346, 0.603081346, 0.587321579, 0.587321579,
    0.585523129, 0.585523129, 0.527927518, 0.527927518, 0.519852459, 0.519852459, 0.49052164, 0.49052164,
    0.49157986, 0.49157986, 0.587321579, 0.587321579, 0.585523129, 0.585523129, 0.527927518, 0.527927518,
    0.519852459, 0.519852459, 0.49052164, 0.49052164, 0.49157986, 0.49157986, 0.683608532, 0.683608532,
    0.652312756, 0.652312756, 0.57196635, 0.57196635, 0.574193656, 0.574193656, 0.541465044, 0.541465044,
    0.53363806, 0.53363806, 0.683608532, 0.683608532, 0.652312756, 0.652312756, 0.57196635, 0.57196635,
    0.574193656, 0.574193656, 0.541465044, 0.541465044, 0.53363806, 0.53363806, 0.586452961, 0.586452961,
    0.572778821, 0.572778821, 0.577886879, 0.577886879, 0.587888837, 0.587888837, 0.588700175, 0.588700175,
    0.560905635, 0.560905635, 0.586452961, 0.586452961, 0.572778821, 0.572778821, 0.577886879, 0.577886879,
    0.587888837, 0.587888837, 0.588700175, 0.588700175, 0.560905635, 0.560905635,
};

/* ---- conv family ---------------------------------------------------------------------- */

/* x -> Conv(w, b) with the given attributes -> y */
static Graph *conv_graph(OpKind op, const int64_t *xd, const int64_t *wd, int64_t nbias, const int64_t *attr_pads,
                         const int64_t *strides, const int64_t *dil, int64_t group)
{
    Graph *g = graph_new();
    int x = input(g, "x", 4, xd);
    int w = cst_pat(g, "w", pat_w, 4, wd);
    int ins[3] = {x, w, -1};
    int n_in = 2;
    if (nbias) {
        int64_t bd[1] = {nbias};
        ins[2] = cst_pat(g, "b", pat_b, 1, bd);
        n_in = 3;
    }
    int y = act(g, "y");
    int n = node1(g, op, NULL, ins, n_in, y);
    if (attr_pads) node_set_ints(g, n, "pads", attr_pads, 4);
    if (strides) node_set_ints(g, n, "strides", strides, 2);
    if (dil) node_set_ints(g, n, "dilations", dil, 2);
    if (group) node_set_int(g, n, "group", group);
    output(g, y);
    return g;
}

static void test_conv_im2col(void)
{
    int64_t xd[4] = {1, 2, 5, 5}, wd[4] = {3, 2, 3, 3}, pads[4] = {1, 1, 1, 1}, od[8];
    int orank;
    char err[256];
    Graph *g = conv_graph(OP_CONV, xd, wd, 3, pads, NULL, NULL, 0);
    const float *y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_conv3x3, 1e-5);
    EXPECT_DIMS(od, orank, 1, 3, 5, 5);
    graph_free(g);
}

static void test_conv_stride_dilation_asymmetric_pads(void)
{
    int64_t xd[4] = {1, 2, 7, 6}, wd[4] = {2, 2, 3, 3}, pads[4] = {0, 1, 1, 0}, st[2] = {2, 2}, dl[2] = {2, 2}, od[8];
    int orank;
    char err[256];
    Graph *g = conv_graph(OP_CONV, xd, wd, 0, pads, st, dl, 0);
    const float *y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_conv_dil, 1e-5);
    EXPECT_DIMS(od, orank, 1, 2, 2, 2);
    graph_free(g);
}

static void test_conv_depthwise(void)
{
    int64_t xd[4] = {1, 4, 6, 6}, wd[4] = {4, 1, 3, 3}, pads[4] = {1, 1, 1, 1}, st[2] = {2, 2}, od[8];
    int orank;
    char err[256];
    Graph *g = conv_graph(OP_CONV, xd, wd, 4, pads, st, NULL, 4);
    const float *y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_dw, 1e-5);
    EXPECT_DIMS(od, orank, 1, 4, 3, 3);
    graph_free(g);
}

static void test_conv_grouped_batch2(void)
{
    int64_t xd[4] = {2, 4, 5, 5}, wd[4] = {6, 2, 3, 3}, pads[4] = {1, 1, 1, 1}, od[8];
    int orank;
    char err[256];
    Graph *g = conv_graph(OP_CONV, xd, wd, 6, pads, NULL, NULL, 2);
    const float *y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_group, 1e-5);
    EXPECT_DIMS(od, orank, 2, 6, 5, 5);
    graph_free(g);
}

static void test_conv_pointwise(void)
{
    int64_t xd[4] = {1, 3, 4, 4}, wd[4] = {5, 3, 1, 1}, od[8];
    int orank;
    char err[256];
    Graph *g = conv_graph(OP_CONV, xd, wd, 5, NULL, NULL, NULL, 0);
    const float *y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_pw, 1e-5);
    EXPECT_DIMS(od, orank, 1, 5, 4, 4);
    graph_free(g);
}

static void test_conv_transpose(void)
{
    int64_t xd[4] = {1, 3, 3, 3}, wd[4] = {3, 2, 2, 2}, st[2] = {2, 2}, od[8];
    int orank;
    char err[256];
    Graph *g = conv_graph(OP_CONV_TRANSPOSE, xd, wd, 2, NULL, st, NULL, 0);
    const float *y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_convt, 1e-5);
    EXPECT_DIMS(od, orank, 1, 2, 6, 6);
    graph_free(g);

    int64_t xd2[4] = {1, 2, 3, 4}, wd2[4] = {2, 3, 3, 3}, pads[4] = {1, 1, 1, 1}, opad[2] = {1, 1};
    g = conv_graph(OP_CONV_TRANSPOSE, xd2, wd2, 0, pads, st, NULL, 0);
    node_set_ints(g, 0, "output_padding", opad, 2);
    y = run_x(g, xd2, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_convt2, 1e-5);
    EXPECT_DIMS(od, orank, 1, 3, 6, 8);
    graph_free(g);
}

static void test_batchnorm(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 3, 2, 2}, cd[1] = {3}, od[8];
    float mean[3] = {0.5f, -1.f, 0.25f}, var[3] = {1.f, 0.5f, 2.f};
    int ins[5] = {input(g, "x", 4, xd), cst_pat(g, "s", pat_w, 1, cd), cst_pat(g, "b", pat_b, 1, cd),
                  cst_f32(g, "m", 1, cd, mean), cst_f32(g, "v", 1, cd, var)};
    int y = act(g, "y");
    int n = node1(g, OP_BATCHNORM, NULL, ins, 5, y);
    node_set_float(g, n, "epsilon", 1e-3);
    output(g, y);
    int orank;
    char err[256];
    const float *r = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(r, exp_bn, 1e-6);
    graph_free(g);
}

static Graph *pool_graph(OpKind op, const int64_t *xd, int64_t k, int64_t s, int64_t p, int ceil_mode, int incl)
{
    Graph *g = graph_new();
    int x = input(g, "x", 4, xd), y = act(g, "y");
    int n = node1(g, op, NULL, &x, 1, y);
    int64_t ks[2] = {k, k}, ss[2] = {s, s}, ps[4] = {p, p, p, p};
    node_set_ints(g, n, "kernel_shape", ks, 2);
    node_set_ints(g, n, "strides", ss, 2);
    node_set_ints(g, n, "pads", ps, 4);
    if (ceil_mode) node_set_int(g, n, "ceil_mode", 1);
    if (incl) node_set_int(g, n, "count_include_pad", 1);
    output(g, y);
    return g;
}

static void test_pools(void)
{
    int64_t xd[4] = {1, 2, 6, 6}, xd5[4] = {1, 1, 5, 5}, od[8];
    int orank;
    char err[256];
    Graph *g = pool_graph(OP_MAXPOOL, xd, 5, 1, 2, 0, 0);
    const float *y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_maxpool5, 0);
    EXPECT_DIMS(od, orank, 1, 2, 6, 6);
    graph_free(g);
    g = pool_graph(OP_MAXPOOL, xd5, 2, 2, 0, 1, 0);
    y = run_x(g, xd5, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_maxpool_ceil, 0);
    EXPECT_DIMS(od, orank, 1, 1, 3, 3);
    graph_free(g);
    g = pool_graph(OP_AVGPOOL, xd5, 3, 2, 1, 0, 0);
    y = run_x(g, xd5, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_avgpool_ex, 1e-6);
    graph_free(g);
    g = pool_graph(OP_AVGPOOL, xd5, 3, 2, 1, 0, 1);
    y = run_x(g, xd5, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_avgpool_in, 1e-6);
    graph_free(g);

    /* GlobalAveragePool over [1,2,2,3] */
    g = graph_new();
    int64_t gd[4] = {1, 2, 2, 3};
    int x = input(g, "x", 4, gd), yy = act(g, "y");
    node1(g, OP_GLOBAL_AVGPOOL, NULL, &x, 1, yy);
    output(g, yy);
    y = run_x(g, gd, 4, od, &orank, err);
    EXPECT(y != NULL);
    EXPECT_DIMS(od, orank, 1, 2, 1, 1);
    if (y) {
        /* by hand: X[0..5] = {-1.125, 1.125, 1, 0.875, 0.75, 0.625}, mean 0.5416667;
         * X[6..11] = {0.5, 0.375, 0.25, 0.125, 0, -0.125}, mean 0.1875 */
        EXPECT_NEAR(y[0], 0.54166667, 1e-6);
        EXPECT_NEAR(y[1], 0.1875, 1e-7);
    }
    graph_free(g);
}

static Graph *resize_graph(const char *mode, const char *ctm, const char *nearest, const float *scales,
                           const int64_t *sizes)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 1, 3, 4}, four[1] = {4}, zero[1] = {0};
    int x = input(g, "x", 4, xd), y = act(g, "y");
    int roi = cst_f32(g, "roi", 1, zero, NULL);
    int ins[4] = {x, roi, scales ? cst_f32(g, "scales", 1, four, scales) : -1, sizes ? cst_i64(g, "sizes", 1, four, sizes) : -1};
    int n = node1(g, OP_RESIZE, NULL, ins, sizes ? 4 : 3, y);
    node_set_string(g, n, "mode", mode);
    node_set_string(g, n, "coordinate_transformation_mode", ctm);
    if (nearest) node_set_string(g, n, "nearest_mode", nearest);
    output(g, y);
    return g;
}

static void test_resize(void)
{
    int64_t xd[4] = {1, 1, 3, 4}, od[8], sizes[4] = {1, 1, 5, 7};
    float sc2[4] = {1, 1, 2, 2};
    int orank;
    char err[256];
    /* YOLO's Upsample: nearest x2, asymmetric + floor: out[y][x] = in[y/2][x/2] */
    Graph *g = resize_graph("nearest", "asymmetric", "floor", sc2, NULL);
    const float *y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_MSG(y != NULL, "%s", err);
    EXPECT_DIMS(od, orank, 1, 1, 6, 8);
    if (y)
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 8; j++) EXPECT_NEAR(y[i * 8 + j], pat_x((i / 2) * 4 + j / 2), 0);
    graph_free(g);
    g = resize_graph("linear", "half_pixel", NULL, NULL, sizes);
    y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_bilinear, 1e-6);
    EXPECT_DIMS(od, orank, 1, 1, 5, 7);
    graph_free(g);
    g = resize_graph("linear", "align_corners", NULL, NULL, sizes);
    y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(y, exp_bilinear_ac, 1e-6);
    graph_free(g);
    /* nearest to 5x7 by sizes, half_pixel + round_prefer_floor (ONNX defaults):
     * rows: src = (o+0.5)*3/5-0.5 = {-0.2,0.4,1,1.6,2.2} -> {0,0,1,2,2};
     * cols: src = (o+0.5)*4/7-0.5 = {-0.214,0.357,0.929,1.5,2.071,2.643,3.214} -> {0,0,1,1,2,3,3} */
    g = resize_graph("nearest", "half_pixel", NULL, NULL, sizes);
    y = run_x(g, xd, 4, od, &orank, err);
    EXPECT_MSG(y != NULL, "%s", err);
    int rmap[5] = {0, 0, 1, 2, 2}, cmap[7] = {0, 0, 1, 1, 2, 3, 3};
    if (y)
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 7; j++) EXPECT_NEAR(y[i * 7 + j], pat_x(rmap[i] * 4 + cmap[j]), 0);
    graph_free(g);
}

/* ---- elementwise ---------------------------------------------------------------------- */

static void test_broadcast_arithmetic(void)
{
    /* x [2,3,4] + c [3,1] and the other ops, checked element by element against the formula */
    const char *ops[] = {"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"};
    for (size_t k = 0; k < ARRAY_LEN(ops); k++) {
        Graph *g = graph_new();
        int64_t xd[3] = {2, 3, 4}, cd[2] = {3, 1}, od[8];
        float c[3] = {2.f, -0.5f, 4.f};
        int ins[2] = {input(g, "x", 3, xd), cst_f32(g, "c", 2, cd, c)};
        int y = act(g, "y");
        node1(g, op_from_name(ops[k]), ops[k], ins, 2, y);
        output(g, y);
        int orank;
        char err[256];
        const float *r = run_x(g, xd, 3, od, &orank, err);
        EXPECT_MSG(r != NULL, "%s: %s", ops[k], err);
        if (r) {
            EXPECT_DIMS(od, orank, 2, 3, 4);
            for (int i = 0; i < 24; i++) {
                float a = pat_x(i), b = c[(i / 4) % 3], want;
                switch (k) {
                case 0: want = a + b; break;
                case 1: want = a - b; break;
                case 2: want = a * b; break;
                case 3: want = a / b; break;
                case 4: want = a > b ? a : b; break;
                case 5: want = a < b ? a : b; break;
                default: want = powf(a, b); break;
                }
                if (isnan(want)) EXPECT_MSG(isnan(r[i]), "%s[%d]", ops[k], i);
                else EXPECT_MSG(fabsf(r[i] - want) <= 1e-6f * (1 + fabsf(want)), "%s[%d]: %g vs %g", ops[k], i, r[i], want);
            }
        }
        graph_free(g);
    }
    /* scalar on the left, [2,1,3] x [4,1] -> [2,4,3] */
    Graph *g = graph_new();
    int64_t xd[3] = {2, 1, 3}, cd[2] = {4, 1}, od[8];
    float c[4] = {1, 2, 3, 4};
    int ins[2] = {cst_f32(g, "c", 2, cd, c), input(g, "x", 3, xd)};
    int y = act(g, "y");
    node1(g, OP_SUB, NULL, ins, 2, y);
    output(g, y);
    int orank;
    char err[256];
    const float *r = run_x(g, xd, 3, od, &orank, err);
    EXPECT_MSG(r != NULL, "%s", err);
    EXPECT_DIMS(od, orank, 2, 4, 3);
    if (r)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 4; b++)
                for (int d = 0; d < 3; d++) EXPECT_NEAR(r[(a * 4 + b) * 3 + d], c[b] - pat_x(a * 3 + d), 0);
    graph_free(g);
}

static void test_activations(void)
{
    const char *ops[] = {"Sigmoid", "SiLU", "Relu", "Tanh", "Exp", "LeakyRelu", "HardSwish"};
    for (size_t k = 0; k < ARRAY_LEN(ops); k++) {
        Graph *g = graph_new();
        int64_t xd[2] = {7, 11}, od[8];
        int x = input(g, "x", 2, xd), y = act(g, "y");
        node1(g, op_from_name(ops[k]), ops[k], &x, 1, y);
        output(g, y);
        int orank;
        char err[256];
        const float *r = run_x(g, xd, 2, od, &orank, err);
        EXPECT_MSG(r != NULL, "%s: %s", ops[k], err);
        for (int i = 0; r && i < 77; i++) {
            double a = pat_x(i), want; /* values in [-1.125, 1.125] */
            switch (k) {
            case 0: want = 1 / (1 + exp(-a)); break;
            case 1: want = a / (1 + exp(-a)); break;
            case 2: want = a > 0 ? a : 0; break;
            case 3: want = tanh(a); break;
            case 4: want = exp(a); break;
            case 5: want = a >= 0 ? a : 0.01 * a; break;
            default: want = a * fmin(1, fmax(0, a / 6 + 0.5)); break;
            }
            EXPECT_MSG(fabs(r[i] - want) <= 3e-7 * (1 + fabs(want)), "%s[%d]: %.9g vs %.9g", ops[k], i, r[i], want);
        }
        graph_free(g);
    }
    /* the vectorised sigmoid over a long range (tails included) against libm in double */
    Graph *g = graph_new();
    int64_t xd[1] = {4001}, od[8];
    int x = input(g, "x", 1, xd), y = act(g, "y");
    node1(g, OP_SIGMOID, NULL, &x, 1, y);
    output(g, y);
    Exec *e = exec_new(g, NULL, 0);
    float *v = malloc(sizeof(float) * 4001);
    for (int i = 0; i < 4001; i++) v[i] = (float)(i - 2000) * 0.05f; /* -100 .. 100 */
    char err[256];
    EXPECT(exec_set_input(e, "x", v, xd, 1, err, sizeof err) == 0);
    EXPECT(exec_run(e, NULL, err, sizeof err) == 0);
    int orank;
    const float *r = exec_output(e, 0, od, &orank);
    double worst = 0;
    for (int i = 0; r && i < 4001; i++) {
        double want = 1 / (1 + exp(-(double)v[i]));
        /* relative error where the result is a normal float; below that (x < -87) only absolute */
        double rel = want > 1e-37 ? fabs(r[i] - want) / want : fabs(r[i] - want) * 1e30;
        if (rel > worst) worst = rel;
    }
    EXPECT_MSG(worst < 1e-6, "worst relative error %g", worst);
    free(v);
    exec_free(e);
    graph_free(g);
}

static void test_softmax(void)
{
    int64_t xd[3] = {1, 4, 3}, od[8];
    int orank;
    char err[256];
    Graph *g = graph_new();
    int x = input(g, "x", 3, xd), y = act(g, "y");
    node_set_int(g, node1(g, OP_SOFTMAX, NULL, &x, 1, y), "axis", 1);
    output(g, y);
    const float *r = run_x(g, xd, 3, od, &orank, err);
    EXPECT_ARRAY(r, exp_softmax1, 1e-7);
    graph_free(g);
    /* opset 11: axis=1 means "flatten from axis 1 on" */
    int64_t xd2[3] = {2, 3, 4};
    g = graph_new();
    g->meta.opset = 11;
    x = input(g, "x", 3, xd2);
    y = act(g, "y");
    node_set_int(g, node1(g, OP_SOFTMAX, NULL, &x, 1, y), "axis", 1);
    output(g, y);
    r = run_x(g, xd2, 3, od, &orank, err);
    EXPECT_ARRAY(r, exp_softmax_old, 1e-7);
    EXPECT_DIMS(od, orank, 2, 3, 4);
    graph_free(g);
}

static void test_matmul_gemm(void)
{
    int64_t ad[4] = {2, 1, 3, 4}, bd[3] = {3, 4, 5}, od[8];
    int orank;
    char err[256];
    Graph *g = graph_new();
    int ins[2] = {input(g, "x", 4, ad), cst_pat(g, "b", pat_w, 3, bd)};
    int y = act(g, "y");
    node1(g, OP_MATMUL, NULL, ins, 2, y);
    output(g, y);
    const float *r = run_x(g, ad, 4, od, &orank, err);
    EXPECT_ARRAY(r, exp_matmul, 1e-5);
    EXPECT_DIMS(od, orank, 2, 3, 3, 5);
    graph_free(g);

    int64_t xd[2] = {3, 4}, wd[2] = {5, 4}, cd[1] = {5};
    g = graph_new();
    int gi[3] = {input(g, "x", 2, xd), cst_pat(g, "w", pat_w, 2, wd), cst_pat(g, "c", pat_b, 1, cd)};
    y = act(g, "y");
    int n = node1(g, OP_GEMM, NULL, gi, 3, y);
    node_set_int(g, n, "transB", 1);
    node_set_float(g, n, "alpha", 0.5);
    node_set_float(g, n, "beta", 2.0);
    output(g, y);
    r = run_x(g, xd, 2, od, &orank, err);
    EXPECT_ARRAY(r, exp_gemm, 1e-5);
    EXPECT_DIMS(od, orank, 3, 5);
    graph_free(g);
}

/* A C2f-like block followed by an Upsample: Conv/SiLU/Split/Concat/Sigmoid/Resize chained,
 * with intermediates freed as they go. */
static void test_block_chain(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 4, 6, 6}, w1d[4] = {4, 4, 1, 1}, w2d[4] = {2, 2, 3, 3}, w3d[4] = {3, 6, 1, 1}, b4[1] = {4},
            b2[1] = {2}, b3[1] = {3}, od[8], two[1] = {2}, four[1] = {4};
    int x = input(g, "x", 4, xd);
    int c1 = act(g, "c1"), s1 = act(g, "s1"), a1 = act(g, "a1"), a2 = act(g, "a2"), c2 = act(g, "c2"),
        m = act(g, "m"), cat = act(g, "cat"), c3 = act(g, "c3"), z = act(g, "z"), up = act(g, "up");
    int i1[3] = {x, cst_pat(g, "w1", pat_w, 4, w1d), cst_pat(g, "b1", pat_b, 1, b4)};
    node1(g, OP_CONV, NULL, i1, 3, c1);
    node1(g, OP_SILU, NULL, &c1, 1, s1);
    int64_t sp[2] = {2, 2};
    int si[2] = {s1, cst_i64(g, "split", 1, two, sp)}, so[2] = {a1, a2};
    node_set_int(g, graph_add_node(g, OP_SPLIT, "Split", "split", -1, si, 2, so, 2), "axis", 1);
    int i2[3] = {a2, cst_pat(g, "w2", pat_w, 4, w2d), cst_pat(g, "b2", pat_b, 1, b2)};
    int64_t p1[4] = {1, 1, 1, 1};
    node_set_ints(g, node1(g, OP_CONV, NULL, i2, 3, c2), "pads", p1, 4);
    node1(g, OP_SILU, NULL, &c2, 1, m);
    int ci[3] = {a1, a2, m};
    node_set_int(g, node1(g, OP_CONCAT, NULL, ci, 3, cat), "axis", 1);
    int i3[3] = {cat, cst_pat(g, "w3", pat_w, 4, w3d), cst_pat(g, "b3", pat_b, 1, b3)};
    node1(g, OP_CONV, NULL, i3, 3, c3);
    node1(g, OP_SIGMOID, NULL, &c3, 1, z);
    float sc[4] = {1, 1, 2, 2};
    int ri[3] = {z, -1, cst_f32(g, "scales", 1, four, sc)};
    int rn = node1(g, OP_RESIZE, NULL, ri, 3, up);
    node_set_string(g, rn, "mode", "nearest");
    node_set_string(g, rn, "coordinate_transformation_mode", "asymmetric");
    node_set_string(g, rn, "nearest_mode", "floor");
    output(g, up);
    int orank;
    char err[256];
    const float *r = run_x(g, xd, 4, od, &orank, err);
    EXPECT_ARRAY(r, exp_c2f, 2e-6);
    EXPECT_DIMS(od, orank, 1, 3, 12, 12);

    /* intermediates are gone after the run, unless keep_all */
    Exec *e = exec_new(g, err, sizeof err);
    float xin[144];
    for (int i = 0; i < 144; i++) xin[i] = pat_x(i);
    EXPECT(exec_set_input(e, "x", xin, xd, 4, err, sizeof err) == 0);
    EXPECT(exec_run(e, NULL, err, sizeof err) == 0);
    EXPECT(exec_tensor(e, "cat", NULL, NULL) == NULL);
    EXPECT(exec_tensor(e, "up", NULL, NULL) != NULL);
    exec_keep_all(e, 1);
    EXPECT(exec_run(e, NULL, err, sizeof err) == 0);
    int64_t cd[8];
    int cr;
    const float *catv = exec_tensor(e, "cat", cd, &cr);
    EXPECT(catv != NULL);
    EXPECT_DIMS(cd, cr, 1, 6, 6, 6);
    /* a second run of the same Exec gives the same output */
    const float *again = exec_output(e, 0, od, &orank);
    EXPECT(again && max_diff(again, exp_c2f, 144 * 3) <= 2e-6);
    exec_free(e);
    graph_free(g);
}

/* ---- shape ops ------------------------------------------------------------------------ */

/* The dynamic-shape pattern of the peer's dynamic ONNX export:
 * Shape(x) -> Gather(2) -> Unsqueeze -> Concat(1, 3, h*w as -1) -> Reshape(x), plus a
 * Range/Cast/Expand/ConstantOfShape chain, all in int64. */
static void test_shape_arithmetic(void)
{
    Graph *g = graph_new();
    int64_t xd[4] = {1, 3, 4, 5}, one[1] = {1}, od[8];
    int64_t two_v = 2, ax0 = 0, m1 = -1, onev = 1;
    int x = input(g, "x", 4, xd);
    int shp = act(g, "shape"), h = act(g, "h"), hu = act(g, "hu"), cat = act(g, "cat"), y = act(g, "y");
    node1(g, OP_SHAPE, NULL, &x, 1, shp);
    int gi[2] = {shp, cst_i64(g, "two", 0, NULL, &two_v)};
    node1(g, OP_GATHER, NULL, gi, 2, h);                  /* scalar 4 */
    int ui[2] = {h, cst_i64(g, "ax0", 1, one, &ax0)};
    node1(g, OP_UNSQUEEZE, NULL, ui, 2, hu);              /* [4] */
    int ci[3] = {cst_i64(g, "c13", 1, one, &onev), hu, cst_i64(g, "m1", 1, one, &m1)};
    node_set_int(g, node1(g, OP_CONCAT, NULL, ci, 3, cat), "axis", 0); /* [1, 4, -1] */
    int ri[2] = {x, cat};
    node1(g, OP_RESHAPE, NULL, ri, 2, y);                 /* [1, 4, 15] */
    output(g, y);
    output(g, cat);
    int orank;
    char err[256];
    const float *r = run_x(g, xd, 4, od, &orank, err);
    EXPECT_MSG(r != NULL, "%s", err);
    EXPECT_DIMS(od, orank, 1, 4, 15);
    if (r) EXPECT(r[59] == pat_x(59) && r[17] == pat_x(17));
    graph_free(g);

    /* Range(0, h, 1) -> Cast(float) -> + 0.5 ; Expand to [2, h]; ConstantOfShape([2,3]) of 7 */
    g = graph_new();
    x = input(g, "x", 4, xd);
    int64_t zero = 0;
    shp = act(g, "shape");
    h = act(g, "h");
    int rg = act(g, "range"), rf = act(g, "rangef"), rh = act(g, "half"), ex = act(g, "ex"), cs = act(g, "cs");
    node1(g, OP_SHAPE, NULL, &x, 1, shp);
    int gi2[2] = {shp, cst_i64(g, "two", 0, NULL, &two_v)};
    node1(g, OP_GATHER, NULL, gi2, 2, h);
    int rgi[3] = {cst_i64(g, "zero", 0, NULL, &zero), h, cst_i64(g, "one", 0, NULL, &onev)};
    node1(g, OP_OTHER, "Range", rgi, 3, rg);
    node_set_int(g, node1(g, OP_CAST, NULL, &rg, 1, rf), "to", 1);
    float half = 0.5f;
    int ai[2] = {rf, cst_f32(g, "h5", 0, NULL, &half)};
    node1(g, OP_ADD, NULL, ai, 2, rh);
    int64_t ed[2] = {2, 1}, eshape_d[1] = {2};
    int xi[2] = {rh, cst_i64(g, "eshape", 1, eshape_d, ed)};
    node1(g, OP_OTHER, "Expand", xi, 2, ex);
    int64_t csv[2] = {2, 3};
    int csi = cst_i64(g, "csshape", 1, eshape_d, csv);
    int n = node1(g, OP_OTHER, "ConstantOfShape", &csi, 1, cs);
    float seven = 7.f;
    node_set_tensor(g, n, "value", cst_f32(g, "seven", 1, one, &seven));
    output(g, ex);
    output(g, cs);
    Exec *e = exec_new(g, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (e) {
        float xin[60] = {0};
        EXPECT(exec_set_input(e, "x", xin, xd, 4, err, sizeof err) == 0);
        EXPECT_MSG(exec_run(e, NULL, err, sizeof err) == 0, "%s", err);
        const float *exv = exec_output(e, 0, od, &orank);
        EXPECT_DIMS(od, orank, 2, 4);
        for (int i = 0; exv && i < 8; i++) EXPECT_NEAR(exv[i], (i % 4) + 0.5, 0);
        const float *csv_out = exec_output(e, 1, od, &orank);
        EXPECT_DIMS(od, orank, 2, 3);
        for (int i = 0; csv_out && i < 6; i++) EXPECT_NEAR(csv_out[i], 7, 0);
        exec_free(e);
    }
    graph_free(g);
}

static void test_slice_split_transpose(void)
{
    /* Slice x[4,6] rows 3..0 step -2 (rows 3,1), cols -4..100 (cols 2..5) */
    Graph *g = graph_new();
    int64_t xd[2] = {4, 6}, two[1] = {2}, od[8];
    int64_t st[2] = {3, -4}, en[2] = {-100, 100}, ax[2] = {0, 1}, sp[2] = {-2, 1};
    int x = input(g, "x", 2, xd), y = act(g, "y");
    int si[5] = {x, cst_i64(g, "st", 1, two, st), cst_i64(g, "en", 1, two, en), cst_i64(g, "ax", 1, two, ax),
                 cst_i64(g, "sp", 1, two, sp)};
    node1(g, OP_SLICE, NULL, si, 5, y);
    output(g, y);
    int orank;
    char err[256];
    const float *r = run_x(g, xd, 2, od, &orank, err);
    EXPECT_MSG(r != NULL, "%s", err);
    EXPECT_DIMS(od, orank, 2, 4);
    int rows[2] = {3, 1};
    for (int i = 0; r && i < 2; i++)
        for (int j = 0; j < 4; j++) EXPECT_NEAR(r[i * 4 + j], pat_x(rows[i] * 6 + 2 + j), 0);
    graph_free(g);

    /* Split [2,7] on axis 1 without sizes into 3 outputs: 3, 3, 1 (opset 18 rule) */
    g = graph_new();
    int64_t sd[2] = {2, 7};
    x = input(g, "x", 2, sd);
    int outs[3] = {act(g, "a"), act(g, "b"), act(g, "c")};
    node_set_int(g, graph_add_node(g, OP_SPLIT, "Split", "s", -1, &x, 1, outs, 3), "axis", 1);
    for (int i = 0; i < 3; i++) output(g, outs[i]);
    Exec *e = exec_new(g, err, sizeof err);
    float xin[14];
    for (int i = 0; i < 14; i++) xin[i] = pat_x(i);
    EXPECT(exec_set_input(e, "x", xin, sd, 2, err, sizeof err) == 0);
    EXPECT_MSG(exec_run(e, NULL, err, sizeof err) == 0, "%s", err);
    const float *c = exec_output(e, 2, od, &orank);
    EXPECT_DIMS(od, orank, 2, 1);
    if (c) EXPECT(c[0] == pat_x(6) && c[1] == pat_x(13));
    const float *b = exec_output(e, 1, od, &orank);
    EXPECT_DIMS(od, orank, 2, 3);
    if (b) EXPECT(b[0] == pat_x(3) && b[5] == pat_x(12));
    exec_free(e);
    graph_free(g);

    /* Transpose [2,3,4] perm (1,2,0) */
    g = graph_new();
    int64_t td[3] = {2, 3, 4}, perm[3] = {1, 2, 0};
    x = input(g, "x", 3, td);
    y = act(g, "y");
    node_set_ints(g, node1(g, OP_TRANSPOSE, NULL, &x, 1, y), "perm", perm, 3);
    output(g, y);
    r = run_x(g, td, 3, od, &orank, err);
    EXPECT_DIMS(od, orank, 3, 4, 2);
    for (int i = 0; r && i < 3; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 2; k++) EXPECT_NEAR(r[(i * 4 + j) * 2 + k], pat_x((k * 3 + i) * 4 + j), 0);
    graph_free(g);
}

static void test_reduce_argmax_topk(void)
{
    /* x [2,3,4]: ReduceMax over axis 1 keepdims, ArgMax axis 2, TopK k=2 axis -1 */
    Graph *g = graph_new();
    int64_t xd[3] = {2, 3, 4}, one[1] = {1}, od[8], ax1 = 1, k2 = 2;
    int x = input(g, "x", 3, xd);
    int rm = act(g, "rm"), am = act(g, "am"), tv = act(g, "tv"), ti = act(g, "ti");
    node_set_ints(g, node1(g, OP_REDUCE_MAX, NULL, &x, 1, rm), "axes", &ax1, 1);
    int n = node1(g, OP_ARGMAX, NULL, &x, 1, am);
    node_set_int(g, n, "axis", 2);
    node_set_int(g, n, "keepdims", 0);
    int tin[2] = {x, cst_i64(g, "k", 1, one, &k2)}, tout[2] = {tv, ti};
    graph_add_node(g, OP_TOPK, "TopK", "topk", -1, tin, 2, tout, 2);
    output(g, rm);
    output(g, am);
    output(g, tv);
    output(g, ti);
    char err[256];
    Exec *e = exec_new(g, err, sizeof err);
    float xin[24];
    for (int i = 0; i < 24; i++) xin[i] = pat_x(i);
    EXPECT(exec_set_input(e, "x", xin, xd, 3, err, sizeof err) == 0);
    EXPECT_MSG(exec_run(e, NULL, err, sizeof err) == 0, "%s", err);
    int orank;
    const float *r = exec_output(e, 0, od, &orank);
    EXPECT_DIMS(od, orank, 2, 1, 4);
    for (int b = 0; r && b < 2; b++)
        for (int j = 0; j < 4; j++) {
            float m = -INFINITY;
            for (int c = 0; c < 3; c++) m = fmaxf(m, xin[(b * 3 + c) * 4 + j]);
            EXPECT_NEAR(r[b * 4 + j], m, 0);
        }
    const float *a = exec_output(e, 1, od, &orank);
    EXPECT_DIMS(od, orank, 2, 3);
    const float *tvv = exec_output(e, 2, od, &orank);
    EXPECT_DIMS(od, orank, 2, 3, 2);
    const float *tiv = exec_output(e, 3, od, &orank);
    for (int row = 0; a && tvv && tiv && row < 6; row++) {
        const float *p = xin + row * 4;
        int best = 0;
        for (int j = 1; j < 4; j++)
            if (p[j] > p[best]) best = j;
        EXPECT_NEAR(a[row], best, 0);
        EXPECT_NEAR(tiv[row * 2], best, 0);
        EXPECT_NEAR(tvv[row * 2], p[best], 0);
        EXPECT(tvv[row * 2 + 1] <= tvv[row * 2]);
    }
    exec_free(e);
    graph_free(g);
}

static void test_nms(void)
{
    /* 4 boxes [y1,x1,y2,x2], 2 classes.  Class 0 scores .9 .8 .7 .1: box 1 overlaps box 0
     * with IoU 81/119 = 0.68 (> 0.5, suppressed), box 2 is apart, box 3 is below the 0.2
     * score threshold.  Class 1: only box 3 scores (0.95).  Expected (batch, class, box):
     * (0,0,0) (0,0,2) (0,1,3). */
    Graph *g = graph_new();
    int64_t bd[3] = {1, 4, 4}, sd[3] = {1, 2, 4}, one[1] = {1}, od[8];
    float boxes[16] = {0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30, 0, 0, 5, 5};
    float scores[8] = {.9f, .8f, .7f, .1f, 0, 0, 0, .95f};
    int64_t maxo = 10;
    float iou = 0.5f, sth = 0.2f;
    int ins[5] = {cst_f32(g, "boxes", 3, bd, boxes), input(g, "x", 3, sd), cst_i64(g, "max", 1, one, &maxo),
                  cst_f32(g, "iou", 1, one, &iou), cst_f32(g, "sth", 1, one, &sth)};
    int y = act(g, "sel");
    node1(g, OP_NMS, NULL, ins, 5, y);
    output(g, y);
    Exec *e = exec_new(g, NULL, 0);
    char err[256];
    EXPECT(exec_set_input(e, "x", scores, sd, 3, err, sizeof err) == 0);
    EXPECT_MSG(exec_run(e, NULL, err, sizeof err) == 0, "%s", err);
    int orank;
    const float *r = exec_output(e, 0, od, &orank);
    EXPECT_DIMS(od, orank, 3, 3);
    float want[9] = {0, 0, 0, 0, 0, 2, 0, 1, 3};
    for (int i = 0; r && i < 9; i++) EXPECT_NEAR(r[i], want[i], 0);
    exec_free(e);
    graph_free(g);
}

static void test_cast_where_compare(void)
{
    /* Cast float -> int64 truncates toward zero; -> float16 rounds to half precision;
     * Greater/Where pick per element. */
    Graph *g = graph_new();
    int64_t xd[1] = {4}, od[8];
    int x = input(g, "x", 1, xd);
    int ci = act(g, "ci"), ch = act(g, "ch"), gt = act(g, "gt"), wh = act(g, "wh");
    node_set_int(g, node1(g, OP_CAST, NULL, &x, 1, ci), "to", 7);
    node_set_int(g, node1(g, OP_CAST, NULL, &x, 1, ch), "to", 10);
    float zero = 0;
    int gi[2] = {x, cst_f32(g, "zero", 0, NULL, &zero)};
    node1(g, OP_OTHER, "Greater", gi, 2, gt);
    int wi[3] = {gt, x, ci};
    node1(g, OP_OTHER, "Where", wi, 3, wh);
    output(g, ci);
    output(g, ch);
    output(g, wh);
    Exec *e = exec_new(g, NULL, 0);
    float v[4] = {-2.7f, 2.7f, 1.0001f, -0.5f};
    char err[256];
    EXPECT(exec_set_input(e, "x", v, xd, 1, err, sizeof err) == 0);
    EXPECT_MSG(exec_run(e, NULL, err, sizeof err) == 0, "%s", err);
    int orank;
    const float *a = exec_output(e, 0, od, &orank), *h = exec_output(e, 1, od, &orank), *w = exec_output(e, 2, od, &orank);
    float want_i[4] = {-2, 2, 1, 0};
    /* float16 nearest: 2.7 -> 2.69921875 (2 + 358/512), 1.0001 -> 1 */
    float want_h[4] = {-2.69921875f, 2.69921875f, 1.0f, -0.5f};
    float want_w[4] = {-2, 2.7f, 1.0001f, 0};
    for (int i = 0; a && h && w && i < 4; i++) {
        EXPECT_NEAR(a[i], want_i[i], 0);
        EXPECT_NEAR(h[i], want_h[i], 0);
        EXPECT_NEAR(w[i], want_w[i], 0);
    }
    exec_free(e);
    graph_free(g);
}

/* ---- errors, bounds, cancel -------------------------------------------------------------- */

/* ScatterUpdate (OpenVINO): slices replaced along an axis, the last index winning; a bad
 * index or updates of the wrong shape are refused by message. */
static void test_scatter_update(void)
{
    char err[256];
    int64_t xd[3] = {2, 4, 3}, id[1] = {2}, ud[3] = {2, 2, 3}, od[8];
    int orank;
    for (int variant = 0; variant < 3; variant++) {
        Graph *g = graph_new();
        int x = input(g, "x", 3, xd);
        int64_t idx[2] = {3, variant == 1 ? -4 : variant == 2 ? 4 : 1};
        float u[12];
        for (int i = 0; i < 12; i++) u[i] = 100.f + (float)i;
        int ci = cst_i64(g, "idx", 1, id, idx), cu = cst_f32(g, "u", 3, ud, u), y = act(g, "y");
        int ins[3] = {x, ci, cu};
        node_set_int(g, node1(g, OP_SCATTER_UPDATE, NULL, ins, 3, y), "axis", 1);
        output(g, y);
        const float *r = run_x(g, xd, 3, od, &orank, err);
        if (variant == 2) {
            EXPECT_MSG(!r && strstr(err, "out of range"), "index 4 of 4: %s", err);
        } else {
            EXPECT_MSG(r != NULL, "%s", err);
            if (r) {
                EXPECT_DIMS(od, orank, 2, 4, 3);
                int64_t second = variant == 1 ? 0 : 1; /* -4 is row 0 */
                for (int b = 0; b < 2; b++)
                    for (int row = 0; row < 4; row++)
                        for (int c = 0; c < 3; c++) {
                            int64_t i = (b * 4 + row) * 3 + c;
                            float want = row == 3 ? u[(b * 2 + 0) * 3 + c] : row == second ? u[(b * 2 + 1) * 3 + c] : pat_x(i);
                            EXPECT_MSG(r[i] == want, "variant %d: y[%d,%d,%d] = %g, want %g", variant, b, row, c,
                                       (double)r[i], (double)want);
                        }
            }
        }
        graph_free(g);
    }
    /* updates whose shape does not follow data[:axis] + indices + data[axis+1:] */
    Graph *g = graph_new();
    int x = input(g, "x", 3, xd);
    int64_t idx[2] = {0, 1}, bad[3] = {2, 3, 3};
    float u[18] = {0};
    int ci = cst_i64(g, "idx", 1, id, idx), cu = cst_f32(g, "u", 3, bad, u), y = act(g, "y");
    int ins[3] = {x, ci, cu};
    node_set_int(g, node1(g, OP_SCATTER_UPDATE, NULL, ins, 3, y), "axis", 1);
    output(g, y);
    EXPECT_MSG(!run_x(g, xd, 3, od, &orank, err) && strstr(err, "updates"), "%s", err);
    graph_free(g);
}

static void test_errors(void)
{
    char err[256] = "";
    /* unsupported op: exec_new names the node and the op */
    Graph *g = graph_new();
    int64_t xd[1] = {3};
    int x = input(g, "x", 1, xd), y = act(g, "y");
    graph_add_node(g, OP_OTHER, "FancyOp", "/model.9/fancy", -1, &x, 1, &y, 1);
    output(g, y);
    EXPECT(exec_new(g, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "/model.9/fancy");
    EXPECT_CONTAINS(err, "FancyOp");
    graph_free(g);

    /* an axis out of range in an untrusted graph: a message, no crash */
    g = graph_new();
    x = input(g, "x", 1, xd);
    y = act(g, "y");
    node_set_int(g, node1(g, OP_SOFTMAX, NULL, &x, 1, y), "axis", 5);
    output(g, y);
    Exec *e = exec_new(g, err, sizeof err);
    float v[3] = {1, 2, 3};
    EXPECT(exec_set_input(e, "x", v, xd, 1, err, sizeof err) == 0);
    EXPECT(exec_run(e, NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "axis 5 is out of range");
    /* wrong input shape and unknown input name */
    int64_t bad[1] = {4};
    EXPECT(exec_set_input(e, "x", v, bad, 1, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "dim 0 is 3");
    EXPECT(exec_set_input(e, "nope", v, xd, 1, err, sizeof err) == -1);
    exec_free(e);
    graph_free(g);

    /* a Gather index past the end, a Reshape that does not fit, a huge Expand */
    g = graph_new();
    x = input(g, "x", 1, xd);
    int64_t idx = 7;
    int gi[2] = {x, cst_i64(g, "i", 0, NULL, &idx)};
    y = act(g, "y");
    node1(g, OP_GATHER, NULL, gi, 2, y);
    output(g, y);
    e = exec_new(g, err, sizeof err);
    EXPECT(exec_set_input(e, "x", v, xd, 1, err, sizeof err) == 0);
    EXPECT(exec_run(e, NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "index 7 out of range");
    exec_free(e);
    graph_free(g);

    g = graph_new();
    x = input(g, "x", 1, xd);
    int64_t shp[2] = {1 << 30, 1 << 30}, two[1] = {2};
    int ei[2] = {x, cst_i64(g, "s", 1, two, shp)};
    y = act(g, "y");
    node1(g, OP_OTHER, "Expand", ei, 2, y);
    output(g, y);
    e = exec_new(g, err, sizeof err);
    EXPECT(exec_set_input(e, "x", v, xd, 1, err, sizeof err) == 0);
    EXPECT(exec_run(e, NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "broadcast");
    exec_free(e);
    graph_free(g);

    /* a constant without data (a model opened for browsing only) is refused up front */
    g = graph_new();
    x = input(g, "x", 4, (int64_t[]){1, 1, 2, 2});
    int w = graph_add_tensor(g, "w", DT_F32, 4, (int64_t[]){1, 1, 1, 1});
    g->tensors[w].is_param = true;
    int ci[2] = {x, w};
    y = act(g, "y");
    node1(g, OP_CONV, NULL, ci, 2, y);
    output(g, y);
    EXPECT(exec_new(g, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "has no data");
    graph_free(g);
}

static void test_cancel_and_unset_input(void)
{
    Graph *g = graph_new();
    int64_t xd[1] = {3};
    int x = input(g, "x", 1, xd), y = act(g, "y");
    node1(g, OP_RELU, NULL, &x, 1, y);
    output(g, y);
    char err[256];
    Exec *e = exec_new(g, err, sizeof err);
    EXPECT(exec_run(e, NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "not set");
    float v[3] = {-1, 0, 1};
    EXPECT(exec_set_input(e, "x", v, xd, 1, err, sizeof err) == 0);
    volatile int cancel = 1;
    EXPECT(exec_run(e, &cancel, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "cancelled");
    cancel = 0;
    EXPECT(exec_run(e, &cancel, err, sizeof err) == 0);
    int64_t od[8];
    int orank;
    const float *r = exec_output(e, 0, od, &orank);
    EXPECT(r && r[0] == 0 && r[2] == 1);
    EXPECT(exec_output(e, 1, od, &orank) == NULL);
    exec_free(e);
    graph_free(g);
}

/* float16 and int64 constants are converted at prepare time */
static void test_const_conversion(void)
{
    Graph *g = graph_new();
    int64_t xd[1] = {3}, od[8];
    uint16_t h[3] = {0x3c00, 0xc000, 0x3555}; /* 1, -2, 0.333251953125 */
    int x = input(g, "x", 1, xd), y = act(g, "y");
    int ins[2] = {x, graph_add_const(g, "h", DT_F16, 1, xd, h)};
    node1(g, OP_MUL, NULL, ins, 2, y);
    output(g, y);
    int orank;
    char err[256];
    const float *r = run_x(g, xd, 1, od, &orank, err);
    EXPECT_MSG(r != NULL, "%s", err);
    if (r) {
        EXPECT_NEAR(r[0], pat_x(0) * 1.0, 0);
        EXPECT_NEAR(r[1], pat_x(1) * -2.0, 0);
        EXPECT_NEAR(r[2], pat_x(2) * 0.333251953125, 1e-7);
    }
    graph_free(g);
}

/* Several Execs over one graph on several threads at once (the graph is only read). */
typedef struct {
    const Graph *g;
    double worst;
    int failures;
} ThreadRun;

static void *thread_runs(void *arg)
{
    ThreadRun *t = arg;
    char err[256];
    Exec *e = exec_new(t->g, err, sizeof err);
    if (!e) {
        t->failures++;
        return NULL;
    }
    int64_t xd[4] = {1, 4, 6, 6}, od[8];
    float xin[144];
    for (int i = 0; i < 144; i++) xin[i] = pat_x(i);
    for (int r = 0; r < 25; r++) {
        int orank;
        if (exec_set_input(e, "x", xin, xd, 4, err, sizeof err) || exec_run(e, NULL, err, sizeof err)) {
            t->failures++;
            continue;
        }
        const float *y = exec_output(e, 0, od, &orank);
        double m = y ? max_diff(y, exp_c2f, (int64_t)ARRAY_LEN(exp_c2f)) : INFINITY;
        if (m > t->worst) t->worst = m;
    }
    exec_free(e);
    return NULL;
}

static void test_threads_share_graph(void)
{
    /* the C2f-like block of test_block_chain, rebuilt */
    Graph *g = graph_new();
    int64_t xd[4] = {1, 4, 6, 6}, w1d[4] = {4, 4, 1, 1}, w2d[4] = {2, 2, 3, 3}, w3d[4] = {3, 6, 1, 1}, b4[1] = {4},
            b2[1] = {2}, b3[1] = {3}, two[1] = {2}, four[1] = {4}, sp[2] = {2, 2}, p1[4] = {1, 1, 1, 1};
    int x = input(g, "x", 4, xd);
    int c1 = act(g, "c1"), s1 = act(g, "s1"), a1 = act(g, "a1"), a2 = act(g, "a2"), c2 = act(g, "c2"),
        m = act(g, "m"), cat = act(g, "cat"), c3 = act(g, "c3"), z = act(g, "z"), up = act(g, "up");
    int i1[3] = {x, cst_pat(g, "w1", pat_w, 4, w1d), cst_pat(g, "b1", pat_b, 1, b4)};
    node1(g, OP_CONV, NULL, i1, 3, c1);
    node1(g, OP_SILU, NULL, &c1, 1, s1);
    int si[2] = {s1, cst_i64(g, "split", 1, two, sp)}, so[2] = {a1, a2};
    node_set_int(g, graph_add_node(g, OP_SPLIT, "Split", "split", -1, si, 2, so, 2), "axis", 1);
    int i2[3] = {a2, cst_pat(g, "w2", pat_w, 4, w2d), cst_pat(g, "b2", pat_b, 1, b2)};
    node_set_ints(g, node1(g, OP_CONV, NULL, i2, 3, c2), "pads", p1, 4);
    node1(g, OP_SILU, NULL, &c2, 1, m);
    int ci[3] = {a1, a2, m};
    node_set_int(g, node1(g, OP_CONCAT, NULL, ci, 3, cat), "axis", 1);
    int i3[3] = {cat, cst_pat(g, "w3", pat_w, 4, w3d), cst_pat(g, "b3", pat_b, 1, b3)};
    node1(g, OP_CONV, NULL, i3, 3, c3);
    node1(g, OP_SIGMOID, NULL, &c3, 1, z);
    float sc[4] = {1, 1, 2, 2};
    int ri[3] = {z, -1, cst_f32(g, "scales", 1, four, sc)};
    int rn = node1(g, OP_RESIZE, NULL, ri, 3, up);
    node_set_string(g, rn, "mode", "nearest");
    node_set_string(g, rn, "coordinate_transformation_mode", "asymmetric");
    node_set_string(g, rn, "nearest_mode", "floor");
    output(g, up);
    pthread_t th[4];
    ThreadRun runs[4];
    for (int i = 0; i < 4; i++) {
        runs[i] = (ThreadRun){g, 0, 0};
        pthread_create(&th[i], NULL, thread_runs, &runs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        EXPECT_EQ_INT(runs[i].failures, 0);
        EXPECT_MSG(runs[i].worst <= 2e-6, "thread %d: max |diff| %g", i, runs[i].worst);
    }
    graph_free(g);
}

/* A graph that declares float16 tensors: the input and each f16 activation are rounded
 * to half precision (1 + 2^-11 is not a half: it rounds to 1; 1 + 2^-10 is). */
static void test_half_storage(void)
{
    Graph *g = graph_new();
    int64_t xd[1] = {3}, od[8];
    int x = graph_add_tensor(g, "x", DT_F16, 1, xd);
    g->tensors[x].is_input = true;
    graph_add_input(g, x);
    int y = graph_add_tensor(g, "y", DT_F16, 1, xd);
    float third = 1.0f / 3.0f;
    int ins[2] = {x, cst_f32(g, "c", 0, NULL, &third)};
    node1(g, OP_MUL, NULL, ins, 2, y);
    output(g, y);
    char err[256];
    Exec *e = exec_new(g, err, sizeof err);
    float v[3] = {1.0f + 1.0f / 2048, 1.0f + 1.0f / 1024, 3.0f};
    EXPECT(exec_set_input(e, "x", v, xd, 1, err, sizeof err) == 0);
    EXPECT(exec_run(e, NULL, err, sizeof err) == 0);
    int orank;
    const float *r = exec_output(e, 0, od, &orank);
    /* x = {1, 1 + 2^-10, 3}; y = x/3 rounded to half: 1/3 -> 0.333251953125 (0x3555),
     * (1 + 2^-10)/3 = 0.33365885 -> 0.333740234375 (0x3557), 3/3 -> 1 */
    if (r) {
        EXPECT_NEAR(r[0], 0.333251953125, 0);
        EXPECT_NEAR(r[1], 0.333740234375, 0);
        EXPECT_NEAR(r[2], 1.0, 0);
    }
    exec_free(e);
    graph_free(g);
}

int main(void)
{
    RUN(test_half_storage);
    RUN(test_threads_share_graph);
    RUN(test_conv_im2col);
    RUN(test_conv_stride_dilation_asymmetric_pads);
    RUN(test_conv_depthwise);
    RUN(test_conv_grouped_batch2);
    RUN(test_conv_pointwise);
    RUN(test_conv_transpose);
    RUN(test_batchnorm);
    RUN(test_pools);
    RUN(test_resize);
    RUN(test_broadcast_arithmetic);
    RUN(test_activations);
    RUN(test_softmax);
    RUN(test_matmul_gemm);
    RUN(test_block_chain);
    RUN(test_shape_arithmetic);
    RUN(test_slice_split_transpose);
    RUN(test_reduce_argmax_topk);
    RUN(test_nms);
    RUN(test_cast_where_compare);
    RUN(test_scatter_update);
    RUN(test_errors);
    RUN(test_cancel_and_unset_input);
    RUN(test_const_conversion);
    return check_done();
}
