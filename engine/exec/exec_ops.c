/* exec_ops: the executor's one op table, indexed by OpKind — which kernel runs each op, how
 * many inputs and outputs its node may have, and which attributes the kernel reads.  An op
 * the executor cannot run has an explicit not-executable row; exec_new refuses it by name,
 * and tests/unit/test_ops.c checks that every op has one row or the other. */
#include "engine/exec/exec_impl.h"

#include <assert.h>

#include "engine/core/util.h"

#define K(kernel) .fn = exec_op_##kernel
#define IO(lo_in, hi_in, lo_out, hi_out) .min_in = lo_in, .max_in = hi_in, .min_out = lo_out, .max_out = hi_out
#define UNARY(kind, a) {K(unary), IO(1, 1, 1, 1), .variant = kind, .attrs = a}
#define BINARY(kind, a) {K(binary), IO(2, 2, 1, 1), .variant = kind, .attrs = a}
#define NOT_EXECUTABLE {.not_executable = true, .attrs = ""}
#define CONV_ATTRS "auto_pad dilations group kernel_shape pads strides"
#define REDUCE_ATTRS "axes keepdims noop_with_empty_axes"

/* Variadic ops (Concat, Split, Min, Max) take up to the run loop's 64 slots. */
const ExecOpDef exec_op_defs[OP_COUNT] = {
    [OP_CONV] = {K(conv), IO(2, 3, 1, 1), .attrs = CONV_ATTRS},
    [OP_CONV_TRANSPOSE] = {K(conv_transpose), IO(2, 3, 1, 1), .attrs = CONV_ATTRS " output_padding output_shape"},
    [OP_BATCHNORM] = {K(batchnorm), IO(5, 5, 1, 3), .attrs = "epsilon training_mode"},
    [OP_SILU] = {K(silu), IO(1, 1, 1, 1), .attrs = ""},
    [OP_SWISH] = {K(silu), IO(1, 1, 1, 1), .attrs = ""},
    [OP_SIGMOID] = {K(sigmoid), IO(1, 1, 1, 1), .attrs = ""},
    [OP_EXP] = {K(exp), IO(1, 1, 1, 1), .attrs = ""},
    [OP_RELU] = UNARY(U_RELU, ""),
    [OP_LOG] = UNARY(U_LOG, ""),
    [OP_SQRT] = UNARY(U_SQRT, ""),
    [OP_NEG] = UNARY(U_NEG, ""),
    [OP_ABS] = UNARY(U_ABS, ""),
    [OP_TANH] = UNARY(U_TANH, ""),
    [OP_FLOOR] = UNARY(U_FLOOR, ""),
    [OP_CEIL] = UNARY(U_CEIL, ""),
    [OP_ROUND] = UNARY(U_ROUND, ""),
    [OP_RECIPROCAL] = UNARY(U_RECIP, ""),
    [OP_ERF] = UNARY(U_ERF, ""),
    [OP_LEAKY_RELU] = UNARY(U_LEAKY, "alpha"),
    [OP_HARD_SIGMOID] = UNARY(U_HSIG, "alpha beta"),
    [OP_HARD_SWISH] = UNARY(U_HSWISH, ""),
    [OP_SIN] = UNARY(U_SIN, ""),
    [OP_COS] = UNARY(U_COS, ""),
    [OP_SOFTPLUS] = UNARY(U_SOFTPLUS, ""),
    [OP_GELU] = UNARY(U_GELU, "approximate"),
    [OP_ELU] = UNARY(U_ELU, "alpha"),
    [OP_SIGN] = UNARY(U_SIGN, ""),
    [OP_MISH] = UNARY(U_MISH, ""),
    [OP_ADD] = BINARY(B_ADD, ""),
    [OP_SUB] = BINARY(B_SUB, ""),
    [OP_MUL] = BINARY(B_MUL, ""),
    [OP_DIV] = BINARY(B_DIV, ""),
    [OP_POW] = BINARY(B_POW, ""),
    [OP_MIN] = {K(binary), IO(1, 64, 1, 1), .variant = B_MIN, .attrs = ""},
    [OP_MAX] = {K(binary), IO(1, 64, 1, 1), .variant = B_MAX, .attrs = ""},
    [OP_MOD] = BINARY(B_MOD, "fmod"),
    [OP_EQUAL] = BINARY(B_EQ, ""),
    [OP_LESS] = BINARY(B_LT, ""),
    [OP_GREATER] = BINARY(B_GT, ""),
    [OP_LESS_OR_EQUAL] = BINARY(B_LE, ""),
    [OP_GREATER_OR_EQUAL] = BINARY(B_GE, ""),
    [OP_AND] = BINARY(B_AND, ""),
    [OP_OR] = BINARY(B_OR, ""),
    [OP_XOR] = BINARY(B_XOR, ""),
    [OP_NOT] = {K(not), IO(1, 1, 1, 1), .attrs = ""},
    [OP_WHERE] = {K(where), IO(3, 3, 1, 1), .attrs = ""},
    [OP_CAST] = {K(cast), IO(1, 1, 1, 1), .attrs = "to"},
    [OP_CLIP] = {K(clip), IO(1, 3, 1, 1), .attrs = "max min"},
    [OP_SOFTMAX] = {K(softmax), IO(1, 1, 1, 1), .attrs = "axis"},
    [OP_LOG_SOFTMAX] = {K(softmax), IO(1, 1, 1, 1), .attrs = "axis"},
    [OP_MATMUL] = {K(matmul), IO(2, 2, 1, 1), .attrs = ""},
    [OP_GEMM] = {K(gemm), IO(2, 3, 1, 1), .attrs = "alpha beta transA transB"},
    [OP_REDUCE_MAX] = {K(reduce), IO(1, 2, 1, 1), .attrs = REDUCE_ATTRS},
    [OP_REDUCE_MIN] = {K(reduce), IO(1, 2, 1, 1), .attrs = REDUCE_ATTRS},
    [OP_REDUCE_SUM] = {K(reduce), IO(1, 2, 1, 1), .attrs = REDUCE_ATTRS},
    [OP_REDUCE_MEAN] = {K(reduce), IO(1, 2, 1, 1), .attrs = REDUCE_ATTRS},
    [OP_REDUCE_PROD] = {K(reduce), IO(1, 2, 1, 1), .attrs = REDUCE_ATTRS},
    [OP_ARGMAX] = {K(argmax), IO(1, 1, 1, 1), .attrs = "axis keepdims select_last_index"},
    [OP_ARGMIN] = {K(argmax), IO(1, 1, 1, 1), .attrs = "axis keepdims select_last_index"},
    [OP_MAXPOOL] = {K(pool), IO(1, 1, 1, 2), .attrs = "auto_pad ceil_mode dilations kernel_shape pads strides"},
    [OP_AVGPOOL] = {K(pool), IO(1, 1, 1, 1), .attrs = "auto_pad ceil_mode count_include_pad kernel_shape pads strides"},
    [OP_GLOBAL_AVGPOOL] = {K(global_pool), IO(1, 1, 1, 1), .attrs = ""},
    [OP_GLOBAL_MAXPOOL] = {K(global_pool), IO(1, 1, 1, 1), .attrs = ""},
    [OP_RESIZE] = {K(resize), IO(1, 4, 1, 1), .attrs = "axes coordinate_transformation_mode mode nearest_mode"},
    [OP_UPSAMPLE] = {K(resize), IO(1, 2, 1, 1), .attrs = "mode scales"},
    [OP_IDENTITY] = {K(identity), IO(1, 1, 1, 1), .attrs = ""},
    [OP_DROPOUT] = {K(identity), IO(1, 3, 1, 2), .attrs = ""},
    [OP_CONSTANT] = {K(constant), IO(0, 0, 1, 1), .attrs = "value value_float value_floats value_int value_ints"},
    [OP_SHAPE] = {K(shape), IO(1, 1, 1, 1), .attrs = "end start"},
    [OP_SIZE] = {K(size), IO(1, 1, 1, 1), .attrs = ""},
    [OP_RESHAPE] = {K(reshape), IO(2, 2, 1, 1), .attrs = "allowzero"},
    [OP_FLATTEN] = {K(flatten), IO(1, 1, 1, 1), .attrs = "axis"},
    [OP_SQUEEZE] = {K(squeeze), IO(1, 2, 1, 1), .attrs = "axes"},
    [OP_UNSQUEEZE] = {K(unsqueeze), IO(1, 2, 1, 1), .attrs = "axes"},
    [OP_CONCAT] = {K(concat), IO(1, 64, 1, 1), .attrs = "axis"},
    [OP_SPLIT] = {K(split), IO(1, 2, 1, 64), .attrs = "axis split"},
    [OP_SLICE] = {K(slice), IO(1, 5, 1, 1), .attrs = "axes ends starts"},
    [OP_TRANSPOSE] = {K(transpose), IO(1, 1, 1, 1), .attrs = "perm"},
    [OP_GATHER] = {K(gather), IO(2, 2, 1, 1), .attrs = "axis"},
    [OP_GATHER_ELEMENTS] = {K(gather_elements), IO(2, 2, 1, 1), .attrs = "axis"},
    [OP_SCATTER_UPDATE] = {K(scatter_update), IO(3, 3, 1, 1), .attrs = "axis"},
    [OP_CUMSUM] = {K(cumsum), IO(2, 2, 1, 1), .attrs = "exclusive reverse"},
    [OP_EXPAND] = {K(expand), IO(2, 2, 1, 1), .attrs = ""},
    [OP_TILE] = {K(tile), IO(2, 2, 1, 1), .attrs = ""},
    [OP_RANGE] = {K(range), IO(3, 3, 1, 1), .attrs = ""},
    [OP_CONSTANT_OF_SHAPE] = {K(constant_of_shape), IO(1, 1, 1, 1), .attrs = "value"},
    [OP_PAD] = {K(pad), IO(1, 4, 1, 1), .attrs = "mode pads value"},
    [OP_TOPK] = {K(topk), IO(1, 2, 1, 2), .attrs = "axis k largest"},
    [OP_NMS] = {K(nms), IO(2, 5, 1, 1), .attrs = "center_point_box"},
    [OP_QUANTIZE_LINEAR] = {K(quantize_linear), IO(2, 3, 1, 1), .attrs = "axis block_size"},
    [OP_DEQUANTIZE_LINEAR] = {K(dequantize_linear), IO(2, 3, 1, 1), .attrs = "axis block_size"},
    [OP_FAKE_QUANTIZE] = {K(fake_quantize), IO(5, 5, 1, 1), .attrs = "auto_broadcast levels"},
    [OP_GRID_SAMPLE] = {K(grid_sample), IO(2, 2, 1, 1), .attrs = "align_corners mode padding_mode"},
    /* ops the writers know that the executor does not run */
    [OP_HARDMAX] = NOT_EXECUTABLE,
    [OP_REDUCE_SUM_SQUARE] = NOT_EXECUTABLE,
    [OP_REDUCE_LOG_SUM] = NOT_EXECUTABLE,
    [OP_REDUCE_LOG_SUM_EXP] = NOT_EXECUTABLE,
    [OP_REDUCE_L1] = NOT_EXECUTABLE,
    [OP_REDUCE_L2] = NOT_EXECUTABLE,
    /* an op yoloport does not know: refused by its op_type */
    [OP_OTHER] = NOT_EXECUTABLE,
};
static_assert(ARRAY_LEN(exec_op_defs) == OP_COUNT, "the executor's op table has a row per OpKind");

ExecOpSupport exec_op_support(OpKind op)
{
    if ((unsigned)op >= OP_COUNT) return EXEC_OP_UNSET;
    const ExecOpDef *d = &exec_op_defs[op];
    if (d->fn && !d->not_executable) return EXEC_OP_KERNEL;
    if (!d->fn && d->not_executable) return EXEC_OP_NOT_EXECUTABLE;
    return EXEC_OP_UNSET;
}

const char *exec_op_attrs(OpKind op) { return (unsigned)op < OP_COUNT ? exec_op_defs[op].attrs : NULL; }
