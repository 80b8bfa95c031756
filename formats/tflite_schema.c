/* tflite_schema: TF Lite's schema as a verifier description, and its name tables. */
#include "formats/tflite_schema.h"

#include <stddef.h>

#define SCALAR(name, id, size) {name, id, FB_FIELD_SCALAR, size, 0, NULL, NULL, 0}
#define STRING(name, id) {name, id, FB_FIELD_STRING, 0, 0, NULL, NULL, 0}
#define TABLE(name, id, def) {name, id, FB_FIELD_TABLE, 4, 0, def, NULL, 0}
#define VEC(name, id, size, align) {name, id, FB_FIELD_VEC_SCALAR, size, align, NULL, NULL, 0}
#define VEC_TABLE(name, id, def) {name, id, FB_FIELD_VEC_TABLE, 4, 0, def, NULL, 0}

static const FbFieldDef quant_fields[] = {
    VEC("min", TFL_QUANT_MIN, 4, 4),
    VEC("max", TFL_QUANT_MAX, 4, 4),
    VEC("scale", TFL_QUANT_SCALE, 4, 4),
    VEC("zero_point", TFL_QUANT_ZERO_POINT, 8, 8),
    SCALAR("details_type", TFL_QUANT_DETAILS_TYPE, 1),
    SCALAR("quantized_dimension", TFL_QUANT_QUANTIZED_DIMENSION, 4),
};
static const FbTableDef quant_def = {"QuantizationParameters", quant_fields, sizeof quant_fields / sizeof *quant_fields};

static const FbFieldDef tensor_fields[] = {
    VEC("shape", TFL_TENSOR_SHAPE, 4, 4),
    SCALAR("type", TFL_TENSOR_TYPE, 1),
    SCALAR("buffer", TFL_TENSOR_BUFFER, 4),
    STRING("name", TFL_TENSOR_NAME),
    TABLE("quantization", TFL_TENSOR_QUANTIZATION, &quant_def),
    SCALAR("is_variable", TFL_TENSOR_IS_VARIABLE, 1),
    VEC("shape_signature", TFL_TENSOR_SHAPE_SIGNATURE, 4, 4),
};
static const FbTableDef tensor_def = {"Tensor", tensor_fields, sizeof tensor_fields / sizeof *tensor_fields};

/* Option tables are verified as tables holding scalars and vectors of ints: every option table
 * yoloport reads has only those (ReshapeOptions.new_shape, SqueezeOptions.squeeze_dims). */
static const FbFieldDef options_fields[] = {
    SCALAR("0", 0, 1), SCALAR("1", 1, 1), SCALAR("2", 2, 1), SCALAR("3", 3, 1),
    SCALAR("4", 4, 1), SCALAR("5", 5, 1), SCALAR("6", 6, 1),
};
static const FbTableDef options_def = {"Options", options_fields, sizeof options_fields / sizeof *options_fields};
static const FbFieldDef reshape_fields[] = {VEC("new_shape", 0, 4, 4)};
static const FbTableDef reshape_def = {"ReshapeOptions", reshape_fields, 1};

/* BuiltinOptions members by type byte: the ones read are checked; others only for range. */
static const FbTableDef *const options_tables[] = {
    [TFL_OPT_CONV2D] = &options_def,          [TFL_OPT_DEPTHWISE_CONV2D] = &options_def,
    [TFL_OPT_POOL2D] = &options_def,          [TFL_OPT_FULLY_CONNECTED] = &options_def,
    [TFL_OPT_SOFTMAX] = &options_def,         [TFL_OPT_CONCATENATION] = &options_def,
    [TFL_OPT_ADD] = &options_def,             [TFL_OPT_RESHAPE] = &reshape_def,
    [TFL_OPT_MUL] = &options_def,             [TFL_OPT_REDUCER] = &options_def,
    [TFL_OPT_SUB] = &options_def,             [TFL_OPT_DIV] = &options_def,
    [TFL_OPT_STRIDED_SLICE] = &options_def,   [TFL_OPT_CAST] = &options_def,
    [TFL_OPT_ARG_MAX] = &options_def,         [TFL_OPT_TRANSPOSE_CONV] = &options_def,
    [TFL_OPT_RESIZE_NEAREST_NEIGHBOR] = &options_def, [TFL_OPT_LEAKY_RELU] = &options_def,
    [TFL_OPT_SPLIT_V] = &options_def,         [TFL_OPT_BATCH_MATMUL] = &options_def,
};

static const FbFieldDef operator_fields[] = {
    SCALAR("opcode_index", TFL_OP_OPCODE_INDEX, 4),
    VEC("inputs", TFL_OP_INPUTS, 4, 4),
    VEC("outputs", TFL_OP_OUTPUTS, 4, 4),
    SCALAR("builtin_options_type", TFL_OP_BUILTIN_OPTIONS_TYPE, 1),
    {"builtin_options", TFL_OP_BUILTIN_OPTIONS, FB_FIELD_UNION, 4, 0, NULL, options_tables,
     (int)(sizeof options_tables / sizeof *options_tables)},
    VEC("custom_options", TFL_OP_CUSTOM_OPTIONS, 1, 1),
};
static const FbTableDef operator_def = {"Operator", operator_fields, sizeof operator_fields / sizeof *operator_fields};

static const FbFieldDef subgraph_fields[] = {
    VEC_TABLE("tensors", TFL_SUBGRAPH_TENSORS, &tensor_def),
    VEC("inputs", TFL_SUBGRAPH_INPUTS, 4, 4),
    VEC("outputs", TFL_SUBGRAPH_OUTPUTS, 4, 4),
    VEC_TABLE("operators", TFL_SUBGRAPH_OPERATORS, &operator_def),
    STRING("name", TFL_SUBGRAPH_NAME),
};
static const FbTableDef subgraph_def = {"SubGraph", subgraph_fields, sizeof subgraph_fields / sizeof *subgraph_fields};

static const FbFieldDef opcode_fields[] = {
    SCALAR("deprecated_builtin_code", TFL_OPCODE_DEPRECATED_BUILTIN_CODE, 1),
    STRING("custom_code", TFL_OPCODE_CUSTOM_CODE),
    SCALAR("version", TFL_OPCODE_VERSION, 4),
    SCALAR("builtin_code", TFL_OPCODE_BUILTIN_CODE, 4),
};
static const FbTableDef opcode_def = {"OperatorCode", opcode_fields, sizeof opcode_fields / sizeof *opcode_fields};

static const FbFieldDef buffer_fields[] = {
    VEC("data", TFL_BUFFER_DATA, 1, 16),
    SCALAR("offset", TFL_BUFFER_OFFSET, 8),
    SCALAR("size", TFL_BUFFER_SIZE, 8),
};
static const FbTableDef buffer_def = {"Buffer", buffer_fields, sizeof buffer_fields / sizeof *buffer_fields};

static const FbFieldDef metadata_fields[] = {STRING("name", TFL_METADATA_NAME), SCALAR("buffer", TFL_METADATA_BUFFER, 4)};
static const FbTableDef metadata_def = {"Metadata", metadata_fields, 2};

static const FbFieldDef tensormap_fields[] = {STRING("name", TFL_TENSORMAP_NAME),
                                              SCALAR("tensor_index", TFL_TENSORMAP_TENSOR_INDEX, 4)};
static const FbTableDef tensormap_def = {"TensorMap", tensormap_fields, 2};

static const FbFieldDef sigdef_fields[] = {
    VEC_TABLE("inputs", TFL_SIGDEF_INPUTS, &tensormap_def),
    VEC_TABLE("outputs", TFL_SIGDEF_OUTPUTS, &tensormap_def),
    STRING("signature_key", TFL_SIGDEF_SIGNATURE_KEY),
    SCALAR("subgraph_index", TFL_SIGDEF_SUBGRAPH_INDEX, 4),
};
static const FbTableDef sigdef_def = {"SignatureDef", sigdef_fields, sizeof sigdef_fields / sizeof *sigdef_fields};

static const FbFieldDef model_fields[] = {
    SCALAR("version", TFL_MODEL_VERSION, 4),
    VEC_TABLE("operator_codes", TFL_MODEL_OPERATOR_CODES, &opcode_def),
    VEC_TABLE("subgraphs", TFL_MODEL_SUBGRAPHS, &subgraph_def),
    STRING("description", TFL_MODEL_DESCRIPTION),
    VEC_TABLE("buffers", TFL_MODEL_BUFFERS, &buffer_def),
    VEC("metadata_buffer", TFL_MODEL_METADATA_BUFFER, 4, 4),
    VEC_TABLE("metadata", TFL_MODEL_METADATA, &metadata_def),
    VEC_TABLE("signature_defs", TFL_MODEL_SIGNATURE_DEFS, &sigdef_def),
};
const FbTableDef tflite_model_def = {"Model", model_fields, sizeof model_fields / sizeof *model_fields};

const char *tflite_op_name(int32_t code)
{
    switch (code) {
#define X(name, c)                                                                                 \
    case c:                                                                                        \
        return #name;
        TFLITE_OPS(X)
#undef X
    default:
        return NULL;
    }
}

const char *tflite_type_name(int type)
{
    switch (type) {
#define X(v, dt, name)                                                                             \
    case v:                                                                                        \
        return name;
        TFLITE_TYPES(X)
#undef X
    default:
        return "?";
    }
}

DType tflite_type_dtype(int type)
{
    switch (type) {
#define X(v, dt, name)                                                                             \
    case v:                                                                                        \
        return dt;
        TFLITE_TYPES(X)
#undef X
    default:
        return DT_UNDEFINED;
    }
}

int tflite_type_from_dtype(DType d)
{
#define X(v, dt, name)                                                                             \
    if (dt != DT_UNDEFINED && d == dt) return v;
    TFLITE_TYPES(X)
#undef X
    return -1;
}
