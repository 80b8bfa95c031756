/* ncnn: Tencent ncnn's model format — a text .param (magic 7767517, the layer and blob
 * counts, one line per layer: type, name, input and output blob names, typed parameters
 * `id=value`) and a flat .bin holding every layer's weights in the order the layers load
 * them — out of and into the Graph IR, with the peer's metadata.yaml beside them.
 *
 * ncnn works on one image at a time: a blob is a Mat of 1 to 4 dims (w; h w; c h w;
 * c d h w) with no batch axis.  An IR tensor [1, d1 .. dk] (k <= 4) is the blob of k dims
 * (d1 .. dk, outermost first), and an IR axis a >= 1 is ncnn's axis a - 1, as the peer's
 * converter (pnnx) lays it out.  A graph whose tensors need a batch other than 1 is refused.
 *
 * Writer forms (IR op -> ncnn layers, by the table in formats/ncnn_write.c):
 *   Conv -> Convolution, or ConvolutionDepthWise (group); a following Relu, LeakyRelu,
 *   Clip, Sigmoid, Mish or HardSwish used by nothing else is fused (activation_type 1..6);
 *   ConvTranspose -> Deconvolution / DeconvolutionDepthWise; BatchNormalization ->
 *   BatchNorm; SiLU/Swish -> Swish; Add/Sub/Mul/Div/Pow/Min/Max -> BinaryOp (one
 *   single-value constant operand: the scalar form; otherwise both operands brought to the
 *   output's rank, numpy-aligned, a constant as a MemoryData of that shape, because ncnn
 *   aligns operands of different ranks on their outer axes); Concat -> Concat; Split ->
 *   Slice; Slice -> Crop (starts/ends/axes, step 1); MaxPool/AveragePool -> Pooling;
 *   Global{Average,Max}Pool -> Pooling (global) + Reshape to [C,1,1]; Resize -> Interp
 *   (nearest asymmetric/floor; linear or cubic half-pixel or align-corners); Reshape,
 *   Flatten, Squeeze, Unsqueeze -> Reshape (or Flatten); Transpose -> Permute; Softmax ->
 *   Softmax; MatMul -> MatMul (a constant 2-D right operand as a MemoryData), or
 *   InnerProduct for [1, K] x constant; Gemm -> InnerProduct; Reduce{Mean,Max,Min,Sum} ->
 *   Reduction; CumSum -> CumulativeSum (forward, inclusive); unary ops -> their layer or
 *   UnaryOp; Identity, Dropout and float32 Cast are aliases; constants used as data ->
 *   MemoryData.  A blob used more than once goes
 *   through a Split layer, as ncnn requires.  Anything else is refused by name before a
 *   byte is written.
 *
 * Any input size (a graph whose input is [1, C, -1, -1], the dynamic=True export): the Input
 * layer gives the channels only (w = h = 0, which ncnn takes as any size), dims that follow
 * the input's height and width are written as ncnn computes them from the blobs (a Reshape
 * infers its one -1, an Interp scales, a Crop or pooling never fixes them); whatever would
 * need such a size as a number (two unknown dims in one Reshape, a resize by sizes, a slice
 * of part of one) is refused by name.
 *
 * Names: the graph's inputs are blobs in0, in1, ..., its outputs out0, out1, ... (the
 * names the peer's pnnx export gives them, which users' ncnn code extracts), every other
 * blob a number; layers are named after the IR nodes (module paths kept).
 *
 * The .bin: each layer's arrays in the order its load_model reads them.  Arrays ncnn
 * loads with a storage tag (convolution, deconvolution and inner-product weights) start
 * with a four-byte tag: 0 and raw float32, or 0x01306B47 and float16 (half), padded to
 * four bytes; the others (biases, BatchNorm statistics, MemoryData) are raw float32, as
 * ncnn always reads them.  ncnn's own int8 storage (tag 0x000D4B38) is read by its layers
 * only together with activation scales for int8 inference (int8_scale_term), so there is
 * no weight-only int8 ncnn model for this writer to produce.
 */
#ifndef YOLOPORT_NCNN_H
#define YOLOPORT_NCNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"

#define NCNN_MAGIC 7767517
#define NCNN_TAG_FP16 0x01306B47u
#define NCNN_TAG_INT8 0x000D4B38u
#define NCNN_PARAM_FILE "model.ncnn.param"
#define NCNN_BIN_FILE "model.ncnn.bin"

typedef struct {
    bool half;                /* tagged weights stored as float16 */
    const KeyValue *metadata; /* metadata.yaml entries in order (values as the peer's str(v));
                                 NULL: g->meta.props */
    int n_metadata;
} NcnnOptions;

/* The ncnn writer's op table (formats/ncnn_write.c): how it handles op (OP_WRITE_NO: no
 * ncnn form).  Every node is checked against it before anything is written. */
OpWriteSupport ncnn_write_op_support(OpKind op);

/* Serialise g into memory: *param (NUL-terminated, *param_len bytes without the NUL) and
 * *bin; the caller frees both.  opt may be NULL (float32).  0, or -1 + "<node>: <problem>"
 * naming the node and op that ncnn cannot express (nothing is returned then). */
int ncnn_serialize(const Graph *g, const NcnnOptions *opt, char **param, size_t *param_len, uint8_t **bin,
                   size_t *bin_len, char *err, size_t errlen);

/* Write g as <dir>/model.ncnn.param, <dir>/model.ncnn.bin and <dir>/metadata.yaml (each
 * atomically).  dir must exist; the export stage passes a temporary directory and renames
 * it into place after checking.  0, or -1 + message (nothing is written when the graph is
 * refused). */
int ncnn_write(const Graph *g, const NcnnOptions *opt, const char *dir, char *err, size_t errlen);

/* Read an ncnn model: path is a .param (its weights are the .bin of the same stem beside
 * it), or a directory holding model.ncnn.param (or exactly one .param).  metadata.yaml in
 * the same directory, when present, fills g->meta and g->meta.props as for OpenVINO, and
 * gives the input shape when the Input layer does not.  An Input of channels only (w = h =
 * 0) is an image of any size: the model is read at imgsz and again at a larger size, and
 * when only dims differ between the two (no parameter fixes a size) those dims are -1, so
 * the graph runs at any height and width; otherwise it stays as read at imgsz.  Blobs become tensors [1, ...] of
 * the names in the file, layers nodes (shapes inferred layer by layer as ncnn computes
 * them), weights tensors that point into the .bin (float16 ones stay float16).  NULL +
 * "<file>: <problem>" for anything ncnn would refuse or this reader cannot map: a bad
 * magic, counts that disagree with the lines, a blob used before any layer produces it or
 * produced twice, an unknown layer type, parameters out of range, a .bin shorter than the
 * weights the parameters imply (or longer: it belongs to another .param).  The .bin,
 * metadata.yaml and a .param found in a directory are opened inside that directory as
 * regular files only: a symbolic link, a FIFO or a device there is refused (or, among the
 * .param candidates, not looked at), never read through or waited on. */
Graph *ncnn_read(const char *path, char *err, size_t errlen);

/* The same from memory (bin may be NULL when bin_len is 0; metadata_yaml may be NULL);
 * name is used in messages.  The weights are copied once into a blob the graph adopts. */
Graph *ncnn_read_memory(const char *param, size_t param_len, const uint8_t *bin, size_t bin_len,
                        const char *metadata_yaml, size_t metadata_len, const char *name, char *err, size_t errlen);

/* Does path look like an ncnn model?  A file: its first line is the magic 7767517 and the
 * second two counts.  A directory: it holds model.ncnn.param, or exactly one .param file,
 * that does.  1 or 0; never an error. */
int ncnn_sniff(const char *path);

/* The .param to read for path (a .param file, or a directory as ncnn_sniff accepts it), as
 * a heap path; NULL + message when there is none. */
char *ncnn_find_param(const char *path, char *err, size_t errlen);

#endif
