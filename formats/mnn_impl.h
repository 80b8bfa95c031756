/* mnn_impl: what the MNN writer and reader share — the facts of MNN's schema they use
 * (schema/default (the .fbs files) in MNN's repository: field ids in declaration order, the OpType and
 * OpParameter numbers, the enums' values), the schema description the verifier walks
 * (formats/mnn_schema.c) and the op-type names for messages.  Not part of the format's API. */
#ifndef YOLOPORT_MNN_IMPL_H
#define YOLOPORT_MNN_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/flatbuf.h"

/* Net (the root) */
enum { NET_BIZCODE = 0, NET_EXTRA_TENSOR_DESCRIBE = 1, NET_EXTRA_INFO = 2, NET_OPLISTS = 3, NET_OUTPUT_NAME = 4,
       NET_PREFER_FORWARD_TYPE = 5, NET_SOURCE_TYPE = 6, NET_TENSOR_NAME = 7, NET_TENSOR_NUMBER = 8, NET_USAGE = 9,
       NET_SUBGRAPHS = 10, NET_UUID = 11 };
/* Op */
enum { OP_INPUT_INDEXES = 0, OP_MAIN_TYPE = 1, OP_MAIN = 2, OP_NAME = 3, OP_OUTPUT_INDEXES = 4, OP_TYPE = 5,
       OP_DEFAULT_FORMAT = 6, OP_EXTERNAL_PATH = 7 };
/* Blob */
enum { BLOB_DIMS = 0, BLOB_DATA_FORMAT = 1, BLOB_DATA_TYPE = 2, BLOB_UINT8S = 3, BLOB_INT8S = 4, BLOB_INT32S = 5,
       BLOB_INT64S = 6, BLOB_FLOAT32S = 7, BLOB_STRINGS = 8, BLOB_EXTERNAL = 9 };
/* Input */
enum { INPUT_DIMS = 0, INPUT_DTYPE = 1, INPUT_DFORMAT = 2 };
/* Convolution2DCommon */
enum { CC_PAD_X = 0, CC_PAD_Y = 1, CC_KERNEL_X = 2, CC_KERNEL_Y = 3, CC_STRIDE_X = 4, CC_STRIDE_Y = 5,
       CC_DILATE_X = 6, CC_DILATE_Y = 7, CC_PAD_MODE = 8, CC_GROUP = 9, CC_OUTPUT_COUNT = 10, CC_INPUT_COUNT = 11,
       CC_RELU = 12, CC_RELU6 = 13, CC_PADS = 14, CC_OUT_PADS = 15, CC_HAS_OUTPUT_SHAPE = 16 };
/* Convolution2D */
enum { CONV_COMMON = 0, CONV_WEIGHT = 1, CONV_BIAS = 2, CONV_QUAN = 3, CONV_SYMMETRIC_QUAN = 4, CONV_SPARSE = 5,
       CONV_EXTERNAL = 6 };
/* IDSTQuan */
enum { QUAN_BUFFER = 0, QUAN_ALPHA = 1, QUAN_TYPE = 2, QUAN_USE_INT32 = 3, QUAN_QUANT_SCALE = 4, QUAN_SCALE_IN = 5,
       QUAN_SCALE_OUT = 6, QUAN_AMAX_OR_BITS = 7, QUAN_AMIN = 8, QUAN_READ_TYPE = 9, QUAN_HAS_SCALE_INT = 10,
       QUAN_SHAPE_INT32 = 11, QUAN_WEIGHT_SIZE = 12, QUAN_INDEX = 13, QUAN_ALPHA_FP16 = 14, QUAN_SCALE_STORAGE = 15 };
/* Pool */
enum { POOL_PAD_X = 0, POOL_PAD_Y = 1, POOL_IS_GLOBAL = 2, POOL_KERNEL_X = 3, POOL_KERNEL_Y = 4, POOL_STRIDE_X = 5,
       POOL_STRIDE_Y = 6, POOL_TYPE = 7, POOL_PAD_TYPE = 8, POOL_DATA_TYPE = 9, POOL_CEIL = 10, POOL_PADS = 11,
       POOL_COUNT_TYPE = 12 };
/* Interp */
enum { INTERP_WIDTH_SCALE = 0, INTERP_HEIGHT_SCALE = 1, INTERP_OUTPUT_WIDTH = 2, INTERP_OUTPUT_HEIGHT = 3,
       INTERP_RESIZE_TYPE = 4, INTERP_ALIGN_CORNERS = 5, INTERP_HALF_PIXEL = 6, INTERP_WIDTH_OFFSET = 7,
       INTERP_HEIGHT_OFFSET = 8, INTERP_CUBIC_A = 9, INTERP_CTM = 10 };
/* small parameter tables */
enum { AXIS_AXIS = 0 };
enum { SLICE_AXIS = 0, SLICE_POINTS = 1, SLICE_SOURCE_TYPE = 2 };
enum { PERMUTE_DIMS = 0 };
enum { RESHAPE_DIMS = 0, RESHAPE_DIM_TYPE = 1 };
enum { BINARY_OP_TYPE = 0, BINARY_T = 1, BINARY_ACTIVATION = 2 };
enum { UNARY_OP_TYPE = 0, UNARY_T = 1 };
enum { MATMUL_T = 0, MATMUL_TRANSPOSE_A = 1, MATMUL_TRANSPOSE_B = 2, MATMUL_WEIGHT = 3, MATMUL_BIAS = 4 };
enum { REDUCTION_OPERATION = 0, REDUCTION_DIM = 1, REDUCTION_COEFF = 2, REDUCTION_KEEP_DIMS = 3, REDUCTION_DTYPE = 4 };
enum { RELU_SLOPE = 0 };
enum { RELU6_MIN = 0, RELU6_MAX = 1 };
enum { ELU_ALPHA = 0 };
enum { CONVERT_SOURCE = 0, CONVERT_DEST = 1 };
enum { STRIDED_INDEX = 0, STRIDED_T = 1, STRIDED_BEGIN_MASK = 2, STRIDED_END_MASK = 3, STRIDED_ELLIPSIS_MASK = 4,
       STRIDED_NEW_AXIS_MASK = 5, STRIDED_SHRINK_AXIS_MASK = 6, STRIDED_FROM_TYPE = 7 };
enum { FLATTEN_AXIS = 0, FLATTEN_END_AXIS = 1 };
enum { CUMSUM_EXCLUSIVE = 0, CUMSUM_REVERSE = 1 };

/* OpType values this code writes or reads (MNN.fbs enum OpType). */
enum {
    MNN_OP_BINARY = 7, MNN_OP_CAST = 9, MNN_OP_CONCAT = 10, MNN_OP_CONST = 11, MNN_OP_CONVOLUTION = 12,
    MNN_OP_CONVOLUTION_DW = 13, MNN_OP_DECONVOLUTION = 17, MNN_OP_DECONVOLUTION_DW = 18, MNN_OP_DROPOUT = 21,
    MNN_OP_ELU = 23, MNN_OP_FLATTEN = 28, MNN_OP_INPUT = 34, MNN_OP_INTERP = 35, MNN_OP_MATMUL = 39,
    MNN_OP_PERMUTE = 46, MNN_OP_POOLING = 47, MNN_OP_REDUCTION = 68, MNN_OP_RELU = 69, MNN_OP_RELU6 = 70,
    MNN_OP_RESHAPE = 73, MNN_OP_SIGMOID = 81, MNN_OP_SLICE = 83, MNN_OP_SOFTMAX = 85, MNN_OP_STRIDED_SLICE = 91,
    MNN_OP_TANH = 95, MNN_OP_TRANSPOSE = 100, MNN_OP_UNARY = 101, MNN_OP_CONVERT_TENSOR = 129, MNN_OP_CUMSUM = 148,
    MNN_OP_IDENTITY = 262,
};
/* OpParameter union types (MNN.fbs union OpParameter, NONE = 0). */
enum {
    MNN_P_NONE = 0, MNN_P_AXIS = 4, MNN_P_BINARY = 6, MNN_P_BLOB = 7, MNN_P_CAST = 8, MNN_P_CONV2D = 9,
    MNN_P_FLATTEN = 17, MNN_P_INPUT = 21, MNN_P_INTERP = 22, MNN_P_MATMUL = 25, MNN_P_PERMUTE = 29, MNN_P_POOL = 31,
    MNN_P_REDUCTION = 50, MNN_P_RELU = 51, MNN_P_RELU6 = 52, MNN_P_RESHAPE = 55, MNN_P_SLICE = 61,
    MNN_P_STRIDED_SLICE = 65, MNN_P_TENSOR_CONVERT = 66, MNN_P_TRANSPOSE = 69, MNN_P_UNARY = 70, MNN_P_ELU = 81,
    MNN_P_CUMSUM = 94,
    MNN_P_COUNT = 100, /* the union's table below covers 0..99 */
};
/* MNN_DATA_FORMAT, DataType, NetSource, BinaryOpOperation, UnaryOpOperation, ReductionType values. */
enum { MNN_NCHW = 0, MNN_NHWC = 1, MNN_NC4HW4 = 2 };
enum { MNN_DT_FLOAT = 1, MNN_DT_INT32 = 3, MNN_DT_INT8 = 6, MNN_DT_INT64 = 9, MNN_DT_HALF = 19 };
enum { MNN_SOURCE_ONNX = 3, MNN_SOURCE_TORCH = 4 };
enum { MNN_BIN_ADD = 0, MNN_BIN_SUB = 1, MNN_BIN_MUL = 2, MNN_BIN_DIV = 3, MNN_BIN_POW = 6, MNN_BIN_REALDIV = 7,
       MNN_BIN_MINIMUM = 8, MNN_BIN_MAXIMUM = 9 };
enum { MNN_UN_ABS = 0, MNN_UN_NEG = 1, MNN_UN_FLOOR = 2, MNN_UN_CEIL = 3, MNN_UN_SQUARE = 4, MNN_UN_SQRT = 5,
       MNN_UN_RSQRT = 6, MNN_UN_EXP = 7, MNN_UN_LOG = 8, MNN_UN_SIN = 9, MNN_UN_COS = 10, MNN_UN_RECIPROCAL = 15,
       MNN_UN_SIGN = 22, MNN_UN_ERF = 25, MNN_UN_SIGMOID = 29, MNN_UN_TANH = 30, MNN_UN_HARDSWISH = 31,
       MNN_UN_GELU = 32, MNN_UN_GELU_STANDARD = 33, MNN_UN_SILU = 34 };
enum { MNN_RED_SUM = 0, MNN_RED_MEAN = 3, MNN_RED_MAXIMUM = 4, MNN_RED_MINIMUM = 5, MNN_RED_PROD = 6 };

/* The Net schema as far as this code reads it: every table and field the writer emits, and
 * those of the ops the reader maps, for fb_verify. */
extern const FbTableDef mnn_net_def;

/* The name of an OpType value ("Convolution"), or NULL when MNN has no such type. */
const char *mnn_op_type_name(int type);

#endif
