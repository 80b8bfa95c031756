/* mnn_schema: MNN's Net schema (the tables and fields yoloport writes and reads, in the
 * declaration order that gives their ids) as the flatbuffer verifier walks it, and the names
 * of MNN's op types for messages.  Facts from MNN's schema/default (the .fbs files). */
#include <stddef.h>

#include "engine/core/util.h"
#include "formats/mnn_impl.h"

#define S(n, i, sz) {n, i, FB_FIELD_SCALAR, sz, 0, NULL, NULL, 0}
#define V(n, i, sz) {n, i, FB_FIELD_VEC_SCALAR, sz, sz, NULL, NULL, 0}
#define STR(n, i) {n, i, FB_FIELD_STRING, 0, 0, NULL, NULL, 0}
#define VSTR(n, i) {n, i, FB_FIELD_VEC_STRING, 0, 0, NULL, NULL, 0}
#define TBL(n, i, t) {n, i, FB_FIELD_TABLE, 0, 0, &t, NULL, 0}
#define VTBL(n, i, t) {n, i, FB_FIELD_VEC_TABLE, 0, 0, &t, NULL, 0}
#define DEF(name, fields) {name, fields, (int)ARRAY_LEN(fields)}

static const FbFieldDef blob_fields[] = {V("dims", BLOB_DIMS, 4),       S("dataFormat", BLOB_DATA_FORMAT, 1),
                                         S("dataType", BLOB_DATA_TYPE, 4), V("uint8s", BLOB_UINT8S, 1),
                                         V("int8s", BLOB_INT8S, 1),     V("int32s", BLOB_INT32S, 4),
                                         V("int64s", BLOB_INT64S, 8),   V("float32s", BLOB_FLOAT32S, 4),
                                         VSTR("strings", BLOB_STRINGS), V("external", BLOB_EXTERNAL, 8)};
static const FbTableDef blob_def = DEF("Blob", blob_fields);

static const FbFieldDef input_fields[] = {V("dims", INPUT_DIMS, 4), S("dtype", INPUT_DTYPE, 4),
                                          S("dformat", INPUT_DFORMAT, 1)};
static const FbTableDef input_def = DEF("Input", input_fields);

static const FbFieldDef common_fields[] = {
    S("padX", CC_PAD_X, 4),       S("padY", CC_PAD_Y, 4),         S("kernelX", CC_KERNEL_X, 4),
    S("kernelY", CC_KERNEL_Y, 4), S("strideX", CC_STRIDE_X, 4),   S("strideY", CC_STRIDE_Y, 4),
    S("dilateX", CC_DILATE_X, 4), S("dilateY", CC_DILATE_Y, 4),   S("padMode", CC_PAD_MODE, 1),
    S("group", CC_GROUP, 4),      S("outputCount", CC_OUTPUT_COUNT, 4), S("inputCount", CC_INPUT_COUNT, 4),
    S("relu", CC_RELU, 1),        S("relu6", CC_RELU6, 1),        V("pads", CC_PADS, 4),
    V("outPads", CC_OUT_PADS, 4), S("hasOutputShape", CC_HAS_OUTPUT_SHAPE, 1)};
static const FbTableDef common_def = DEF("Convolution2DCommon", common_fields);

static const FbFieldDef quan_fields[] = {
    V("buffer", QUAN_BUFFER, 1),         V("alpha", QUAN_ALPHA, 4),          S("type", QUAN_TYPE, 4),
    S("useInt32", QUAN_USE_INT32, 1),    S("quantScale", QUAN_QUANT_SCALE, 4), S("scaleIn", QUAN_SCALE_IN, 4),
    S("scaleOut", QUAN_SCALE_OUT, 4),    S("aMaxOrBits", QUAN_AMAX_OR_BITS, 4), S("aMin", QUAN_AMIN, 4),
    S("readType", QUAN_READ_TYPE, 4),    S("has_scaleInt", QUAN_HAS_SCALE_INT, 1),
    S("shapeInt32", QUAN_SHAPE_INT32, 1), S("weightSize", QUAN_WEIGHT_SIZE, 4), V("index", QUAN_INDEX, 4),
    V("alphaFp16", QUAN_ALPHA_FP16, 2),  S("scaleStorage", QUAN_SCALE_STORAGE, 1)};
static const FbTableDef quan_def = DEF("IDSTQuan", quan_fields);

static const FbFieldDef conv_fields[] = {TBL("common", CONV_COMMON, common_def), V("weight", CONV_WEIGHT, 4),
                                         V("bias", CONV_BIAS, 4), TBL("quanParameter", CONV_QUAN, quan_def),
                                         V("external", CONV_EXTERNAL, 8)};
static const FbTableDef conv_def = DEF("Convolution2D", conv_fields);

static const FbFieldDef pool_fields[] = {
    S("padX", POOL_PAD_X, 4),       S("padY", POOL_PAD_Y, 4),         S("isGlobal", POOL_IS_GLOBAL, 1),
    S("kernelX", POOL_KERNEL_X, 4), S("kernelY", POOL_KERNEL_Y, 4),   S("strideX", POOL_STRIDE_X, 4),
    S("strideY", POOL_STRIDE_Y, 4), S("type", POOL_TYPE, 1),          S("padType", POOL_PAD_TYPE, 1),
    S("dataType", POOL_DATA_TYPE, 4), S("ceilModel", POOL_CEIL, 1),   V("pads", POOL_PADS, 4),
    S("countType", POOL_COUNT_TYPE, 1)};
static const FbTableDef pool_def = DEF("Pool", pool_fields);

static const FbFieldDef interp_fields[] = {
    S("widthScale", INTERP_WIDTH_SCALE, 4),     S("heightScale", INTERP_HEIGHT_SCALE, 4),
    S("outputWidth", INTERP_OUTPUT_WIDTH, 4),   S("outputHeight", INTERP_OUTPUT_HEIGHT, 4),
    S("resizeType", INTERP_RESIZE_TYPE, 4),     S("alignCorners", INTERP_ALIGN_CORNERS, 1),
    S("halfPixelCenters", INTERP_HALF_PIXEL, 1), S("widthOffset", INTERP_WIDTH_OFFSET, 4),
    S("heightOffset", INTERP_HEIGHT_OFFSET, 4), S("cubicCoeffA", INTERP_CUBIC_A, 4), S("ctm", INTERP_CTM, 1)};
static const FbTableDef interp_def = DEF("Interp", interp_fields);

static const FbFieldDef axis_fields[] = {S("axis", AXIS_AXIS, 4)};
static const FbTableDef axis_def = DEF("Axis", axis_fields);
static const FbFieldDef slice_fields[] = {S("axis", SLICE_AXIS, 4), V("slicePoints", SLICE_POINTS, 4),
                                          S("sourceType", SLICE_SOURCE_TYPE, 1)};
static const FbTableDef slice_def = DEF("Slice", slice_fields);
static const FbFieldDef permute_fields[] = {V("dims", PERMUTE_DIMS, 4)};
static const FbTableDef permute_def = DEF("Permute", permute_fields);
static const FbFieldDef reshape_fields[] = {V("dims", RESHAPE_DIMS, 4), S("dimType", RESHAPE_DIM_TYPE, 1)};
static const FbTableDef reshape_def = DEF("Reshape", reshape_fields);
static const FbFieldDef binary_fields[] = {S("opType", BINARY_OP_TYPE, 4), S("T", BINARY_T, 4),
                                           S("activationType", BINARY_ACTIVATION, 4)};
static const FbTableDef binary_def = DEF("BinaryOp", binary_fields);
static const FbFieldDef unary_fields[] = {S("opType", UNARY_OP_TYPE, 4), S("T", UNARY_T, 4), V("tableInt8", 2, 1)};
static const FbTableDef unary_def = DEF("UnaryOp", unary_fields);
static const FbFieldDef matmul_fields[] = {S("T", MATMUL_T, 4), S("transposeA", MATMUL_TRANSPOSE_A, 1),
                                           S("transposeB", MATMUL_TRANSPOSE_B, 1), V("weight", MATMUL_WEIGHT, 4),
                                           V("bias", MATMUL_BIAS, 4)};
static const FbTableDef matmul_def = DEF("MatMul", matmul_fields);
static const FbFieldDef reduction_fields[] = {S("operation", REDUCTION_OPERATION, 1), V("dim", REDUCTION_DIM, 4),
                                              S("coeff", REDUCTION_COEFF, 4), S("keepDims", REDUCTION_KEEP_DIMS, 1),
                                              S("dType", REDUCTION_DTYPE, 4)};
static const FbTableDef reduction_def = DEF("ReductionParam", reduction_fields);
static const FbFieldDef relu_fields[] = {S("slope", RELU_SLOPE, 4)};
static const FbTableDef relu_def = DEF("Relu", relu_fields);
static const FbFieldDef relu6_fields[] = {S("minValue", RELU6_MIN, 4), S("maxValue", RELU6_MAX, 4)};
static const FbTableDef relu6_def = DEF("Relu6", relu6_fields);
static const FbFieldDef elu_fields[] = {S("alpha", ELU_ALPHA, 4)};
static const FbTableDef elu_def = DEF("ELU", elu_fields);
static const FbFieldDef convert_fields[] = {S("source", CONVERT_SOURCE, 1), S("dest", CONVERT_DEST, 1)};
static const FbTableDef convert_def = DEF("TensorConvertInfo", convert_fields);
static const FbFieldDef strided_fields[] = {
    S("Index", STRIDED_INDEX, 4),           S("T", STRIDED_T, 4),
    S("beginMask", STRIDED_BEGIN_MASK, 4),  S("endMask", STRIDED_END_MASK, 4),
    S("ellipsisMask", STRIDED_ELLIPSIS_MASK, 4), S("newAxisMask", STRIDED_NEW_AXIS_MASK, 4),
    S("shrinkAxisMask", STRIDED_SHRINK_AXIS_MASK, 4), S("fromType", STRIDED_FROM_TYPE, 4)};
static const FbTableDef strided_def = DEF("StridedSliceParam", strided_fields);
static const FbFieldDef flatten_fields[] = {S("axis", FLATTEN_AXIS, 4), S("endAxis", FLATTEN_END_AXIS, 4)};
static const FbTableDef flatten_def = DEF("Flatten", flatten_fields);
static const FbFieldDef transpose_fields[] = {S("Tperm", 0, 4)};
static const FbTableDef transpose_def = DEF("Transpose", transpose_fields);
static const FbFieldDef cast_fields[] = {S("srcT", 0, 4), S("dstT", 1, 4)};
static const FbTableDef cast_def = DEF("CastParam", cast_fields);

static const FbFieldDef cumsum_fields[] = {S("exclusive", CUMSUM_EXCLUSIVE, 1), S("reverse", CUMSUM_REVERSE, 1)};
static const FbTableDef cumsum_def = DEF("CumSum", cumsum_fields);

static const FbTableDef *const param_defs[MNN_P_COUNT] = {
    [MNN_P_AXIS] = &axis_def,           [MNN_P_BINARY] = &binary_def,     [MNN_P_BLOB] = &blob_def,
    [MNN_P_CAST] = &cast_def,           [MNN_P_CONV2D] = &conv_def,       [MNN_P_FLATTEN] = &flatten_def,
    [MNN_P_INPUT] = &input_def,         [MNN_P_INTERP] = &interp_def,     [MNN_P_MATMUL] = &matmul_def,
    [MNN_P_PERMUTE] = &permute_def,     [MNN_P_POOL] = &pool_def,         [MNN_P_REDUCTION] = &reduction_def,
    [MNN_P_RELU] = &relu_def,           [MNN_P_RELU6] = &relu6_def,       [MNN_P_RESHAPE] = &reshape_def,
    [MNN_P_SLICE] = &slice_def,         [MNN_P_STRIDED_SLICE] = &strided_def,
    [MNN_P_TENSOR_CONVERT] = &convert_def, [MNN_P_TRANSPOSE] = &transpose_def, [MNN_P_UNARY] = &unary_def,
    [MNN_P_ELU] = &elu_def,             [MNN_P_CUMSUM] = &cumsum_def,
};

static const FbFieldDef op_fields[] = {
    V("inputIndexes", OP_INPUT_INDEXES, 4),
    S("main_type", OP_MAIN_TYPE, 1),
    {"main", OP_MAIN, FB_FIELD_UNION, 0, 0, NULL, param_defs, MNN_P_COUNT},
    STR("name", OP_NAME),
    V("outputIndexes", OP_OUTPUT_INDEXES, 4),
    S("type", OP_TYPE, 4),
    S("defaultDimentionFormat", OP_DEFAULT_FORMAT, 1),
    STR("externalPath", OP_EXTERNAL_PATH),
};
static const FbTableDef op_def = DEF("Op", op_fields);

static const FbFieldDef net_fields[] = {
    STR("bizCode", NET_BIZCODE),          VTBL("oplists", NET_OPLISTS, op_def),
    VSTR("outputName", NET_OUTPUT_NAME),  S("preferForwardType", NET_PREFER_FORWARD_TYPE, 1),
    S("sourceType", NET_SOURCE_TYPE, 1),  VSTR("tensorName", NET_TENSOR_NAME),
    S("tensorNumber", NET_TENSOR_NUMBER, 4), S("usage", NET_USAGE, 1),
    STR("mnn_uuid", NET_UUID),
};
const FbTableDef mnn_net_def = DEF("Net", net_fields);

/* MNN.fbs enum OpType, the values up to Interp3D, then the numbered ones. */
static const char *const op_names[] = {
    "AbsVal", "QuantizedAdd", "ArgMax", "AsString", "InstanceNorm", "BatchToSpaceND", "Copy", "BinaryOp", "Bnll",
    "Cast", "Concat", "Const", "Convolution", "ConvolutionDepthwise", "Crop", "CropAndResize", "ImageProcess",
    "Deconvolution", "DeconvolutionDepthwise", "Dequantize", "DetectionOutput", "Dropout", "Eltwise", "ELU",
    "Unique", "Exp", "ExpandDims", "Fill", "Flatten", "Im2Col", "Gather", "GatherV2", "Im2Seq", "InnerProduct",
    "Input", "Interp", "Log", "LRN", "LSTM", "MatMul", "MoE", "NonMaxSuppression", "NonMaxSuppressionV2",
    "Normalize", "Pack", "Padding", "Permute", "Pooling", "Power", "PReLU", "PriorBox", "Proposal",
    "QuantizedAvgPool", "QuantizedBiasAdd", "QuantizedConcat", "QuantizedDepthwiseConv2D", "QuantizedLogistic",
    "RasterAndInterpolate", "QuantizedMaxPool", "Texture", "RasterDiff", "QuantizedReshape", "QuantizedSoftmax",
    "QuantizeMaxMin", "QuantizeV2", "Range", "Rank", "ReduceJoin", "Reduction", "ReLU", "ReLU6",
    "RequantizationRange", "Requantize", "Reshape", "Resize", "RNN", "ROIPooling", "Scale", "Selu", "Seq2Out",
    "Shape", "Sigmoid", "Size", "Slice", "SliceTf", "Softmax", "SpaceToBatchND", "SpatialProduct", "Col2Im",
    "Segment", "Squeeze", "StridedSlice", "CastLike", "StringSplit", "StringToNumber", "TanH", "TfQuantizedConv2D",
    "Threshold", "Tile", "TopKV2", "Transpose", "UnaryOp", "Unpack", "Where", "Moments", "RNNSequenceGRU",
    "BatchMatMul", "Unsqueeze", "CosineSimilarity", "DepthToSpace", "SpaceToDepth", "ReverseSequence", "Pooling3D",
    "Convolution3D", "MatrixBandPart", "GatherND", "DetectionPostProcess", "UnravelIndex", "ScatterNd", "OneHot",
    "BroadcastTo", "Dilation2D", "Interp3D"};
static const struct {
    int value;
    const char *name;
} numbered[] = {{128, "Raster"},          {129, "ConvertTensor"},   {130, "ArgMin"},         {131, "LinSpace"},
                {132, "RandomUniform"},   {133, "TensorArray"},     {141, "LSTMBlockCell"},  {142, "Reverse"},
                {143, "ROIAlign"},        {144, "RandomNormal"},    {147, "EyeLike"},        {148, "CumSum"},
                {149, "Det"},             {150, "CumProd"},         {151, "ScatterElements"}, {152, "GatherElements"},
                {153, "Svd"},             {154, "Histogram"},       {155, "DynamicQuant"},   {156, "Stft"},
                {256, "Plugin"},          {257, "Select"},          {258, "ZerosLike"},      {259, "Broastcast"},
                {260, "SetDiff1D"},       {261, "ReluGrad"},        {262, "Identity"},       {263, "PoolGrad"},
                {264, "SoftmaxGrad"},     {265, "Conv2DBackPropFilter"}, {266, "TrainableParam"}, {267, "BatchNorm"},
                {268, "ConvTranspose3D"}, {269, "ZeroGrad"},        {299, "Attention"},      {300, "FmhaV2"},
                {301, "Fmhca"},           {302, "SeqLen2Spatial"},  {303, "SplitGeLU"},      {304, "GroupNorm"},
                {305, "LinearAttention"}, {306, "RoPE"},            {307, "FusedLinear"},    {308, "GatedRMSNorm"},
                {512, "Extra"},           {513, "ConvInt8"},        {514, "Int8ToFloat"},    {515, "DepthwiseConvInt8"},
                {517, "FloatToInt8"},     {518, "EltwiseInt8"},     {600, "While"},          {601, "If"},
                {603, "LayerNorm"},       {604, "GridSample"}};

const char *mnn_op_type_name(int type)
{
    if (type >= 0 && type < (int)ARRAY_LEN(op_names)) return op_names[type];
    for (size_t i = 0; i < ARRAY_LEN(numbered); i++)
        if (numbered[i].value == type) return numbered[i].name;
    return NULL;
}
