/* tflite_schema: the facts of TensorFlow Lite's schema (tensorflow/lite/schema/schema.fbs,
 * file identifier "TFL3") that the writer and the reader use: field ids of the tables,
 * tensor types, builtin operator codes and the BuiltinOptions union's members.  Ids and
 * values are the schema's; a table's fields are numbered in declaration order. */
#ifndef YOLOPORT_TFLITE_SCHEMA_H
#define YOLOPORT_TFLITE_SCHEMA_H

#include "engine/core/graph.h"
#include "formats/flatbuf.h"

#define TFLITE_FILE_ID "TFL3"
#define TFLITE_SCHEMA_VERSION 3

enum { TFL_MODEL_VERSION, TFL_MODEL_OPERATOR_CODES, TFL_MODEL_SUBGRAPHS, TFL_MODEL_DESCRIPTION, TFL_MODEL_BUFFERS,
       TFL_MODEL_METADATA_BUFFER, TFL_MODEL_METADATA, TFL_MODEL_SIGNATURE_DEFS };
enum { TFL_SUBGRAPH_TENSORS, TFL_SUBGRAPH_INPUTS, TFL_SUBGRAPH_OUTPUTS, TFL_SUBGRAPH_OPERATORS, TFL_SUBGRAPH_NAME };
enum { TFL_TENSOR_SHAPE, TFL_TENSOR_TYPE, TFL_TENSOR_BUFFER, TFL_TENSOR_NAME, TFL_TENSOR_QUANTIZATION,
       TFL_TENSOR_IS_VARIABLE, TFL_TENSOR_SPARSITY, TFL_TENSOR_SHAPE_SIGNATURE };
enum { TFL_QUANT_MIN, TFL_QUANT_MAX, TFL_QUANT_SCALE, TFL_QUANT_ZERO_POINT, TFL_QUANT_DETAILS_TYPE, TFL_QUANT_DETAILS,
       TFL_QUANT_QUANTIZED_DIMENSION };
enum { TFL_OP_OPCODE_INDEX, TFL_OP_INPUTS, TFL_OP_OUTPUTS, TFL_OP_BUILTIN_OPTIONS_TYPE, TFL_OP_BUILTIN_OPTIONS,
       TFL_OP_CUSTOM_OPTIONS };
enum { TFL_OPCODE_DEPRECATED_BUILTIN_CODE, TFL_OPCODE_CUSTOM_CODE, TFL_OPCODE_VERSION, TFL_OPCODE_BUILTIN_CODE };
enum { TFL_BUFFER_DATA, TFL_BUFFER_OFFSET, TFL_BUFFER_SIZE };
enum { TFL_METADATA_NAME, TFL_METADATA_BUFFER };
enum { TFL_TENSORMAP_NAME, TFL_TENSORMAP_TENSOR_INDEX };
enum { TFL_SIGDEF_INPUTS, TFL_SIGDEF_OUTPUTS, TFL_SIGDEF_SIGNATURE_KEY, TFL_SIGDEF_DEPRECATED_TAG,
       TFL_SIGDEF_SUBGRAPH_INDEX };

/* TensorType: value, the IR's dtype (DT_UNDEFINED where the IR has none), name. */
#define TFLITE_TYPES(X)                                                                            \
    X(0, DT_F32, "FLOAT32")                                                                         \
    X(1, DT_F16, "FLOAT16")                                                                         \
    X(2, DT_I32, "INT32")                                                                           \
    X(3, DT_U8, "UINT8")                                                                            \
    X(4, DT_I64, "INT64")                                                                           \
    X(5, DT_STRING, "STRING")                                                                       \
    X(6, DT_BOOL, "BOOL")                                                                           \
    X(7, DT_I16, "INT16")                                                                           \
    X(8, DT_UNDEFINED, "COMPLEX64")                                                                 \
    X(9, DT_I8, "INT8")                                                                             \
    X(10, DT_F64, "FLOAT64")                                                                        \
    X(11, DT_UNDEFINED, "COMPLEX128")                                                               \
    X(12, DT_U64, "UINT64")                                                                         \
    X(13, DT_UNDEFINED, "RESOURCE")                                                                 \
    X(14, DT_UNDEFINED, "VARIANT")                                                                  \
    X(15, DT_U32, "UINT32")                                                                         \
    X(16, DT_U16, "UINT16")                                                                         \
    X(17, DT_UNDEFINED, "INT4")

/* The builtin operators yoloport writes or reads into the IR (the rest are named by number). */
#define TFLITE_OPS(X)                                                                              \
    X(ADD, 0)                                                                                       \
    X(AVERAGE_POOL_2D, 1)                                                                           \
    X(CONCATENATION, 2)                                                                             \
    X(CONV_2D, 3)                                                                                   \
    X(DEPTHWISE_CONV_2D, 4)                                                                         \
    X(DEQUANTIZE, 6)                                                                                \
    X(FLOOR, 8)                                                                                     \
    X(FULLY_CONNECTED, 9)                                                                           \
    X(LOGISTIC, 14)                                                                                 \
    X(MAX_POOL_2D, 17)                                                                              \
    X(MUL, 18)                                                                                      \
    X(RELU, 19)                                                                                     \
    X(RESHAPE, 22)                                                                                  \
    X(SOFTMAX, 25)                                                                                  \
    X(TANH, 28)                                                                                     \
    X(PAD, 34)                                                                                      \
    X(GATHER, 36)                                                                                   \
    X(TRANSPOSE, 39)                                                                                \
    X(MEAN, 40)                                                                                     \
    X(SUB, 41)                                                                                      \
    X(DIV, 42)                                                                                      \
    X(SQUEEZE, 43)                                                                                  \
    X(STRIDED_SLICE, 45)                                                                            \
    X(EXP, 47)                                                                                      \
    X(SPLIT, 49)                                                                                    \
    X(CAST, 53)                                                                                     \
    X(MAXIMUM, 55)                                                                                  \
    X(ARG_MAX, 56)                                                                                  \
    X(MINIMUM, 57)                                                                                  \
    X(NEG, 59)                                                                                      \
    X(PADV2, 60)                                                                                    \
    X(SLICE, 65)                                                                                    \
    X(SIN, 66)                                                                                      \
    X(TRANSPOSE_CONV, 67)                                                                           \
    X(EXPAND_DIMS, 70)                                                                              \
    X(LOG, 73)                                                                                      \
    X(SUM, 74)                                                                                      \
    X(SQRT, 75)                                                                                     \
    X(RSQRT, 76)                                                                                    \
    X(SHAPE, 77)                                                                                    \
    X(POW, 78)                                                                                      \
    X(REDUCE_MAX, 82)                                                                               \
    X(RESIZE_NEAREST_NEIGHBOR, 97)                                                                  \
    X(LEAKY_RELU, 98)                                                                               \
    X(ABS, 101)                                                                                     \
    X(SPLIT_V, 102)                                                                                 \
    X(COS, 108)                                                                                     \
    X(QUANTIZE, 114)                                                                                \
    X(HARD_SWISH, 117)                                                                              \
    X(BATCH_MATMUL, 126)                                                                            \
    X(CUMSUM, 128)

typedef enum {
#define X(name, code) TFL_##name = code,
    TFLITE_OPS(X)
#undef X
} TfliteOp;

#define TFLITE_PLACEHOLDER_FOR_GREATER_OP_CODES 127

/* BuiltinOptions union members (the type byte; 0 = NONE). */
enum {
    TFL_OPT_CONV2D = 1,
    TFL_OPT_DEPTHWISE_CONV2D = 2,
    TFL_OPT_POOL2D = 5,
    TFL_OPT_FULLY_CONNECTED = 8,
    TFL_OPT_SOFTMAX = 9,
    TFL_OPT_CONCATENATION = 10,
    TFL_OPT_ADD = 11,
    TFL_OPT_RESHAPE = 17,
    TFL_OPT_MUL = 21,
    TFL_OPT_PAD = 22,
    TFL_OPT_TRANSPOSE = 26,
    TFL_OPT_REDUCER = 27,
    TFL_OPT_SUB = 28,
    TFL_OPT_DIV = 29,
    TFL_OPT_STRIDED_SLICE = 32,
    TFL_OPT_CAST = 37,
    TFL_OPT_DEQUANTIZE = 38,
    TFL_OPT_MAXIMUM_MINIMUM = 39,
    TFL_OPT_ARG_MAX = 40,
    TFL_OPT_PADV2 = 43,
    TFL_OPT_TRANSPOSE_CONV = 49,
    TFL_OPT_RESIZE_NEAREST_NEIGHBOR = 74,
    TFL_OPT_LEAKY_RELU = 75,
    TFL_OPT_SPLIT_V = 79,
    TFL_OPT_SHAPE = 55,
    TFL_OPT_BATCH_MATMUL = 101,
    TFL_OPT_CUMSUM = 102,
};

/* Fields of the option tables used here. */
enum { TFL_CONV_PADDING, TFL_CONV_STRIDE_W, TFL_CONV_STRIDE_H, TFL_CONV_ACTIVATION, TFL_CONV_DILATION_W,
       TFL_CONV_DILATION_H };
enum { TFL_DW_PADDING, TFL_DW_STRIDE_W, TFL_DW_STRIDE_H, TFL_DW_DEPTH_MULTIPLIER, TFL_DW_ACTIVATION,
       TFL_DW_DILATION_W, TFL_DW_DILATION_H };
enum { TFL_POOL_PADDING, TFL_POOL_STRIDE_W, TFL_POOL_STRIDE_H, TFL_POOL_FILTER_W, TFL_POOL_FILTER_H,
       TFL_POOL_ACTIVATION };
enum { TFL_TCONV_PADDING, TFL_TCONV_STRIDE_W, TFL_TCONV_STRIDE_H, TFL_TCONV_ACTIVATION };
enum { TFL_PADDING_SAME = 0, TFL_PADDING_VALID = 1 };
enum { TFL_ACT_NONE = 0, TFL_ACT_RELU = 1, TFL_ACT_RELU_N1_TO_1 = 2, TFL_ACT_RELU6 = 3, TFL_ACT_TANH = 4 };
/* single-field options: ConcatenationOptions.axis (0), fused activation (1); SoftmaxOptions.beta (0);
 * ReducerOptions.keep_dims (0); SplitVOptions.num_splits (0); ReshapeOptions.new_shape (0);
 * StridedSliceOptions begin/end/ellipsis/new_axis/shrink_axis masks (0..4), offset (5);
 * CastOptions in/out types (0, 1); ArgMaxOptions.output_type (0); LeakyReluOptions.alpha (0);
 * ResizeNearestNeighborOptions align_corners (0), half_pixel_centers (1); BatchMatMulOptions
 * adj_x (0), adj_y (1); Add/Sub/Mul/Div fused activation (0); FullyConnected fused activation (0),
 * weights_format (1), keep_num_dims (2). */

/* The schema for the verifier (formats/tflite_schema.c). */
extern const FbTableDef tflite_model_def;

/* "CONV_2D" for a builtin code, NULL for one this module does not name. */
const char *tflite_op_name(int32_t code);
/* "FLOAT32" / the IR dtype of a TensorType value ("?" / DT_UNDEFINED when unknown). */
const char *tflite_type_name(int type);
DType tflite_type_dtype(int type);
/* The TensorType for an IR dtype, -1 when TF Lite has none. */
int tflite_type_from_dtype(DType dt);

#endif
