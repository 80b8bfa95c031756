/* yolo_ops: op helpers the newer module kinds share (broadcasting MatMul, pooling with any
 * kernel and padding, zero padding, reductions, casts, gathers, TopK, a decomposed LayerNorm
 * and Linear layers on n-d inputs), with the shapes inferred as yolo.c's helpers do, and the
 * builder's record of layers whose output is a tuple (CBLinear). */
#include "engine/builder/yolo_impl.h"

#include <math.h>
#include <string.h>

/* One node with one output of the given shape; the node index in *ni. */
static int node_out(Builder *b, const char *scope, int mod, OpKind op, const int *in, int nin, int rank,
                    const int64_t *dims, int *ni)
{
    int64_t d[1][GRAPH_MAX_RANK] = {{0}};
    if (rank < 0 || rank > GRAPH_MAX_RANK) return yb_fail(b, scope, "%s result would have rank %d", op_name(op), rank);
    for (int i = 0; i < rank; i++) d[0][i] = dims[i];
    int y = -1;
    int n = yb_node(b, scope, mod, op, NULL, in, nin, 1, (const int64_t(*)[GRAPH_MAX_RANK])d, &rank, &y);
    if (ni) *ni = n;
    return n < 0 ? -1 : y;
}

int yb_op(Builder *b, const char *scope, int mod, OpKind op, const int *in, int nin, int rank, const int64_t *dims)
{
    if (b->failed) return -1;
    return node_out(b, scope, mod, op, in, nin, rank, dims, NULL);
}

int yb_matmul_bc(Builder *b, const char *scope, int mod, int x, int y)
{
    if (b->failed) return -1;
    Tensor *A = yb_t(b, x), *B = yb_t(b, y);
    if (A->rank < 2 || B->rank < 2) return yb_fail(b, scope, "MatMul operands need rank 2 or more");
    int ra = A->rank, rbk = B->rank, r = ra > rbk ? ra : rbk;
    if (A->dims[ra - 1] >= 0 && B->dims[rbk - 2] >= 0 && A->dims[ra - 1] != B->dims[rbk - 2])
        return yb_fail(b, scope, "MatMul inner dims differ (%lld vs %lld)", (long long)A->dims[ra - 1],
                       (long long)B->dims[rbk - 2]);
    int64_t dims[GRAPH_MAX_RANK];
    for (int i = 0; i < r - 2; i++) {
        int ia = i - (r - ra), ib = i - (r - rbk);
        int64_t da = ia >= 0 ? A->dims[ia] : 1, db = ib >= 0 ? B->dims[ib] : 1;
        if (da == db || db == 1) dims[i] = da;
        else if (da == 1) dims[i] = db;
        else if (da < 0 || db < 0) dims[i] = -1;
        else return yb_fail(b, scope, "MatMul batch dims do not broadcast");
    }
    dims[r - 2] = A->dims[ra - 2];
    dims[r - 1] = B->dims[rbk - 1];
    int in[2] = {x, y};
    return node_out(b, scope, mod, OP_MATMUL, in, 2, r, dims, NULL);
}

static int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1, bool ceil_mode)
{
    if (in < 0) return -1;
    int64_t num = in + p0 + p1 - k;
    if (num < 0 || s <= 0) return 0;
    int64_t o = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
    /* torch: the last window must start inside the input or its left padding */
    if (ceil_mode && (o - 1) * s >= in + p0) o--;
    return o;
}

int yb_pool(Builder *b, const char *scope, int mod, OpKind op, int x, const int64_t k[2], const int64_t s[2],
            const int64_t pads[4], bool ceil_mode, bool count_include_pad)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    if (X->rank != 4) return yb_fail(b, scope, "pooling expects a 4-d input");
    int64_t dims[4] = {X->dims[0], X->dims[1], pool_out(X->dims[2], k[0], s[0], pads[0], pads[2], ceil_mode),
                       pool_out(X->dims[3], k[1], s[1], pads[1], pads[3], ceil_mode)};
    if (dims[2] == 0 || dims[3] == 0) return yb_fail(b, scope, "pooling output would be empty (input too small)");
    int ni;
    int y = node_out(b, scope, mod, op, &x, 1, 4, dims, &ni);
    if (y < 0) return -1;
    node_set_int(b->g, ni, "ceil_mode", ceil_mode);
    if (op == OP_AVGPOOL) node_set_int(b->g, ni, "count_include_pad", count_include_pad);
    node_set_ints(b->g, ni, "kernel_shape", k, 2);
    node_set_ints(b->g, ni, "pads", pads, 4);
    node_set_ints(b->g, ni, "strides", s, 2);
    return y;
}

int yb_pad(Builder *b, const char *scope, int mod, int x, const int64_t pads[4])
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    if (X->rank != 4) return yb_fail(b, scope, "padding expects a 4-d input");
    int64_t dims[4] = {X->dims[0], X->dims[1], X->dims[2] < 0 ? -1 : X->dims[2] + pads[0] + pads[2],
                       X->dims[3] < 0 ? -1 : X->dims[3] + pads[1] + pads[3]};
    /* ONNX order: the begins of every axis, then the ends */
    int64_t p8[8] = {0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]};
    int in[2] = {x, yb_vec_i64(b, scope, p8, 8)};
    int ni;
    int y = node_out(b, scope, mod, OP_PAD, in, 2, 4, dims, &ni);
    if (y >= 0) node_set_string(b->g, ni, "mode", "constant");
    return y;
}

int yb_reduce(Builder *b, const char *scope, int mod, OpKind op, int x, const int64_t *axes, int n, bool keepdims)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    bool red[GRAPH_MAX_RANK] = {false};
    int64_t ax[GRAPH_MAX_RANK];
    if (n < 1 || n > X->rank) return yb_fail(b, scope, "bad reduction axes");
    for (int i = 0; i < n; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + X->rank : axes[i];
        if (a < 0 || a >= X->rank) return yb_fail(b, scope, "reduction axis out of range");
        red[a] = true;
        ax[i] = a;
    }
    int64_t dims[GRAPH_MAX_RANK];
    int r = 0;
    for (int i = 0; i < X->rank; i++) {
        if (!red[i]) dims[r++] = X->dims[i];
        else if (keepdims) dims[r++] = 1;
    }
    int ni;
    int y = node_out(b, scope, mod, op, &x, 1, r, dims, &ni);
    if (y < 0) return -1;
    node_set_ints(b->g, ni, "axes", ax, n);
    node_set_int(b->g, ni, "keepdims", keepdims);
    return y;
}

int yb_cast(Builder *b, const char *scope, int mod, int x, DType to)
{
    int y = yb_unary(b, scope, mod, OP_CAST, NULL, x);
    if (y < 0) return -1;
    yb_t(b, y)->dtype = to;
    node_set_int(b->g, yb_t(b, y)->producer, "to", dtype_to_onnx(to));
    return y;
}

int yb_unsqueeze(Builder *b, const char *scope, int mod, int x, int64_t axis)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    int r = X->rank + 1;
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r || r > GRAPH_MAX_RANK) return yb_fail(b, scope, "bad Unsqueeze axis");
    int64_t dims[GRAPH_MAX_RANK];
    for (int i = 0, j = 0; i < r; i++) dims[i] = i == axis ? 1 : X->dims[j++];
    int ni;
    int y = node_out(b, scope, mod, OP_UNSQUEEZE, &x, 1, r, dims, &ni);
    if (y >= 0) node_set_ints(b->g, ni, "axes", &axis, 1);
    return y;
}

int yb_gather(Builder *b, const char *scope, int mod, int x, int index, int axis)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x), *I = yb_t(b, index);
    if (axis < 0) axis += X->rank;
    int r = X->rank - 1 + I->rank;
    if (axis < 0 || axis >= X->rank || r > GRAPH_MAX_RANK) return yb_fail(b, scope, "bad Gather");
    int64_t dims[GRAPH_MAX_RANK];
    int k = 0;
    for (int i = 0; i < axis; i++) dims[k++] = X->dims[i];
    for (int i = 0; i < I->rank; i++) dims[k++] = I->dims[i];
    for (int i = axis + 1; i < X->rank; i++) dims[k++] = X->dims[i];
    int in[2] = {x, index};
    int ni;
    int y = node_out(b, scope, mod, OP_GATHER, in, 2, r, dims, &ni);
    if (y >= 0) node_set_int(b->g, ni, "axis", axis);
    return y;
}

int yb_gather_scalar(Builder *b, const char *scope, int mod, int x, int64_t index)
{
    if (b->failed) return -1;
    int idx = yb_const_i64(b, scope, "Constant", 0, NULL, &index);
    return yb_gather(b, scope, mod, x, idx, 0);
}

int yb_topk(Builder *b, const char *scope, int mod, int x, int64_t k, int axis, int *vals, int *idx)
{
    if (b->failed) return -1;
    Tensor *X = yb_t(b, x);
    if (axis < 0) axis += X->rank;
    if (axis < 0 || axis >= X->rank) return yb_fail(b, scope, "bad TopK axis");
    if (X->dims[axis] >= 0 && k > X->dims[axis])
        return yb_fail(b, scope, "TopK of %lld from %lld values: the image is too small for the model", (long long)k,
                       (long long)X->dims[axis]);
    int64_t dims[2][GRAPH_MAX_RANK];
    memcpy(dims[0], X->dims, sizeof dims[0]);
    dims[0][axis] = k;
    memcpy(dims[1], dims[0], sizeof dims[1]);
    int ranks[2] = {X->rank, X->rank};
    int in[2] = {x, yb_vec_i64(b, scope, &k, 1)};
    int outs[2];
    int ni = yb_node(b, scope, mod, OP_TOPK, NULL, in, 2, 2, (const int64_t(*)[GRAPH_MAX_RANK])dims, ranks, outs);
    if (ni < 0) return -1;
    yb_t(b, outs[1])->dtype = DT_I64;
    node_set_int(b->g, ni, "axis", axis);
    node_set_int(b->g, ni, "largest", 1);
    node_set_int(b->g, ni, "sorted", 1);
    *vals = outs[0];
    *idx = outs[1];
    return 0;
}

int yb_const_f32_opt(Builder *b, const char *scope, const char *label, int rank, const int64_t *dims,
                     const float *data)
{
    if (b->with_data && data) return yb_const_f32(b, scope, label, rank, dims, data);
    /* shapes only: a constant of the right shape without data */
    const char *name = arena_printf(b->g->arena, "%s/%s_%d", scope, label, b->g->n_tensors);
    return graph_add_tensor(b->g, name, DT_F32, rank, dims);
}

void yb_tuple_set(Builder *b, int whole, const int *parts, int n)
{
    if (b->n_tuples >= (int)ARRAY_LEN(b->tuples) || n > 16) {
        yb_fail(b, "", "too many layers with tuple outputs");
        return;
    }
    b->tuples[b->n_tuples].whole = whole;
    b->tuples[b->n_tuples].n = n;
    memcpy(b->tuples[b->n_tuples].parts, parts, sizeof(int) * (size_t)n);
    b->n_tuples++;
}

const int *yb_tuple_get(Builder *b, int whole, int *n)
{
    for (int i = 0; i < b->n_tuples; i++)
        if (b->tuples[i].whole == whole) {
            *n = b->tuples[i].n;
            return b->tuples[i].parts;
        }
    return NULL;
}

/* LayerNorm(x) = (x - mean) / sqrt(var + eps) * weight + bias over the last axis, written as
 * torch writes it for ONNX opsets before LayerNormalization existed. */
int yb_layernorm(Builder *b, const ModNode *m, const char *path, const char *scope, int mod, int x)
{
    if (b->failed) return -1;
    int w = yb_param(b, m, path, "weight", false), bias = yb_param(b, m, path, "bias", false);
    int64_t c = yb_dim(b, x, -1);
    const ModAttr *ns = modtree_attr(m, "normalized_shape");
    if (ns && ns->kind == MA_INTS && (ns->count != 1 || ns->ints[0] != c))
        return yb_fail(b, path, "LayerNorm over %lld features does not fit %lld", (long long)ns->ints[0], (long long)c);
    if ((w >= 0 && tensor_numel(yb_t(b, w)) != c) || (bias >= 0 && tensor_numel(yb_t(b, bias)) != c))
        return yb_fail(b, path, "LayerNorm weights do not match %lld features", (long long)c);
    double eps = modtree_attr_float(m, "eps", 1e-5);
    int64_t last = -1;
    int mean = yb_reduce(b, scope, mod, OP_REDUCE_MEAN, x, &last, 1, true);
    int d = yb_binary(b, scope, mod, OP_SUB, x, mean);
    int sq = yb_binary(b, scope, mod, OP_MUL, d, d);
    int var = yb_reduce(b, scope, mod, OP_REDUCE_MEAN, sq, &last, 1, true);
    int ve = yb_binary(b, scope, mod, OP_ADD, var, yb_scalar_f32(b, scope, (float)eps));
    int sd = yb_unary(b, scope, mod, OP_SQRT, NULL, ve);
    int y = yb_binary(b, scope, mod, OP_DIV, d, sd);
    if (w >= 0) y = yb_binary(b, scope, mod, OP_MUL, y, w);
    if (bias >= 0) y = yb_binary(b, scope, mod, OP_ADD, y, bias);
    return y;
}

/* x @ W^T + bias on the last axis of x, for any rank: a Gemm (flattening the leading dims
 * when x has more than two and restoring them after); with leading dims unknown at build
 * time, a MatMul with W^T. */
int yb_gemm_nd(Builder *b, const char *scope, int mod, int x, int w, int bias)
{
    if (b->failed) return -1;
    Tensor *W = yb_t(b, w);
    int64_t in_f = W->dims[1], out_f = W->dims[0];
    if (W->rank != 2 || in_f != yb_dim(b, x, -1))
        return yb_fail(b, scope, "Linear weight %lldx%lld does not fit %lld features", (long long)W->dims[0],
                       (long long)W->dims[1], (long long)yb_dim(b, x, -1));
    int r = yb_rank(b, x);
    if (r == 2) return yb_gemm(b, scope, mod, x, w, bias);
    int64_t lead[GRAPH_MAX_RANK];
    bool known = !b->dynamic;
    for (int i = 0; i < r - 1; i++) {
        lead[i] = yb_dim(b, x, i);
        if (lead[i] < 0) known = false;
    }
    if (!known) {
        int64_t perm[2] = {1, 0};
        int wt = yb_transpose(b, scope, mod, w, perm, 2);
        int y = yb_matmul_bc(b, scope, mod, x, wt);
        return bias >= 0 ? yb_binary(b, scope, mod, OP_ADD, y, bias) : y;
    }
    int64_t flat[2] = {-1, in_f};
    Tensor *X = yb_t(b, x);
    int y;
    if (X->data && X->producer < 0 && !X->is_input) {
        /* a constant (YOLO-World's class texts): flattened here, not by a Reshape node that
         * simplify would fold into a constant the source does not hold */
        flat[0] = tensor_numel(X) / in_f;
        y = yb_const_f32(b, scope, "flat", 2, flat, X->data);
    } else {
        y = yb_reshape(b, scope, mod, x, flat, 2);
    }
    y = yb_gemm(b, scope, mod, y, w, bias);
    lead[r - 1] = out_f;
    return yb_reshape(b, scope, mod, y, lead, r);
}

int yb_linear_nd(Builder *b, const ModNode *m, const char *path, const char *scope, int mod, int x)
{
    if (b->failed) return -1;
    int w = yb_param(b, m, path, "weight", true), bias = yb_param(b, m, path, "bias", false);
    if (w < 0) return -1;
    return yb_gemm_nd(b, scope, mod, x, w, bias);
}
