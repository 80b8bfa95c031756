/* mnn: Alibaba MNN's model format — one flatbuffer whose root is MNN's Net table (schema
 * in MNN's schema/default (the .fbs files)) — out of and into the Graph IR.
 *
 * A Net lists tensor names, and ops in execution order, each with its input and output
 * tensor indices, its OpType and its parameters (the OpParameter union).  Shapes are not
 * stored: MNN computes them from the Input op's dims; tensors carry a data layout (NCHW or
 * MNN's NC4HW4 for convolutions), and ConvertTensor ops change it where an op needs the
 * other, as MNN's converter inserts them for an ONNX source.
 *
 * Writer forms (IR op -> MNN op, through the table in formats/mnn_write.c): Conv ->
 * Convolution, or ConvolutionDepthwise when every group is one channel (other groupings are
 * refused); ConvTranspose -> Deconvolution(Depthwise); SiLU/Swish, Sigmoid, Tanh,
 * HardSwish, Gelu and the unary maths -> UnaryOp; Relu/LeakyRelu -> ReLU; Clip -> ReLU6
 * (min, max); Elu -> ELU; Add/Sub/Mul/Div/Pow/Min/Max -> BinaryOp (numpy broadcasting);
 * Concat -> Concat; Split -> Slice (sizes); Slice (step 1) -> StridedSlice with int32
 * constant bounds; MaxPool/AveragePool/Global*Pool -> Pooling; Resize -> Interp; Reshape,
 * Flatten, Squeeze, Unsqueeze -> Reshape (static dims); Transpose -> Permute; Softmax ->
 * Softmax; MatMul -> MatMul; Gemm -> MatMul + BinaryOp; Reduce{Sum,Mean,Max,Min,Prod} ->
 * Reduction; CumSum -> CumSum (the axis an int32 constant input); constants -> Const (a
 * Blob); Identity, Dropout and float32 Cast are aliases.
 *
 * Unknown height and width (dynamic=True, a graph built with LoadOptions.dynamic_hw_only):
 * the Input's dims hold -1 there, as MNNConvert writes an ONNX input's symbolic dims; nothing
 * in the file depends on the size: Interp by scale (no output size), StridedSlice with the
 * begin and end mask bits on the unknown axes, Reshape dims with 0 (copy) and one -1 (infer).
 * What cannot be said so (a resize to fixed sizes, a reshape with two size-dependent dims, a
 * split or a slice from the end of an unknown axis, SAME padding) is refused by node.  The
 * reader keeps those dims unknown (-1) and the IR shape-agnostic in the same way.
 *
 * Weights, as MNNConvert stores them: float32 (Convolution2D.weight); with half, the
 * converter's --fp16: convolution weights as IDSTQuan type 3 (float16 bytes) and float Const
 * blobs as DT_HALF; with int8, its --weightQuantBits 8: convolution weights quantised per
 * output channel, symmetric (scale = max|w| / 127), stored as IDSTQuan type 1 (the value
 * set -128..127 and one byte per weight) with the scales in alpha.  Biases stay float32.
 * The metadata is Net.bizCode, the JSON text the peer passes to --bizCode.
 */
#ifndef YOLOPORT_MNN_H
#define YOLOPORT_MNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"

typedef enum {
    MNN_WEIGHTS_F32,  /* float32 */
    MNN_WEIGHTS_F16,  /* the converter's --fp16 */
    MNN_WEIGHTS_INT8, /* the converter's --weightQuantBits 8 */
} MnnWeights;

typedef struct {
    MnnWeights weights;
    const char *biz_code; /* Net.bizCode: the metadata as JSON text; NULL: none */
} MnnOptions;

/* The MNN writer's op table (formats/mnn_write.c): how it handles op (OP_WRITE_NO: no MNN
 * form).  Every node is checked against it before anything is built. */
OpWriteSupport mnn_write_op_support(OpKind op);

/* The .mnn bytes for g (heap, the caller frees *buf).  opt may be NULL (float32, no
 * bizCode).  0, or -1 + "<node>: <problem>" naming the node and op MNN cannot express. */
int mnn_serialize(const Graph *g, const MnnOptions *opt, uint8_t **buf, size_t *len, char *err, size_t errlen);

/* mnn_serialize into path (written atomically).  0 or -1 + message. */
int mnn_write(const Graph *g, const MnnOptions *opt, const char *path, char *err, size_t errlen);

/* Is buf a flatbuffer of MNN's Net whose ops MNN can load?  The flatbuffer is verified
 * against the schema (every offset, vector and string in range), then every op: its type
 * one MNN has, its parameter table the one its type takes, tensor indices below the tensor
 * count, each tensor produced once and before it is read, and the parameters in range
 * (kernel sizes, strides, channel counts that fit the weights, quantised weight encodings
 * that decode to the weight count, axes).  0 or -1 + "<what>: <problem>". */
int mnn_verify(const uint8_t *buf, size_t len, char *err, size_t errlen);

/* Read a .mnn into the IR: verified first (mnn_verify); tensors named as in the file with
 * the shapes MNN computes from the Input dims; convolution weights float32, float16 (type 3)
 * or int8 with their scales (type 1, dequantised in the graph by a Cast and a Mul, so the
 * stored precision shows); bizCode, when it is JSON, fills g->meta and g->meta.props as the
 * peer's metadata.  NULL + "<file>: <problem>". */
Graph *mnn_read_memory(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen);
Graph *mnn_read(const char *path, char *err, size_t errlen);

/* The converter's 8-bit weight quantisation, as the values it stores decode: w[blocks * area]
 * in blocks of area values, each with scale max |w| / 127, rounded to -127..127 (a block of
 * zeros stays zero).  out receives the decoded weights, scales (may be NULL) each block's
 * scale and q (may be NULL) the int8 values. */
void mnn_quantize_int8(const float *w, int64_t blocks, int64_t area, float *out, float *scales, int8_t *q);

/* Does buf (the first bytes of a file of file_size bytes) look like a .mnn?  Its root offset
 * and the Net table's vtable are in range and the table holds oplists and tensorName. */
bool mnn_sniff(const uint8_t *buf, size_t len, uint64_t file_size);

#endif
