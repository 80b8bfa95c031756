/* tflite: TensorFlow Lite models (.tflite), written natively and read into the IR.
 *
 * Writing.  The IR is lowered to TensorFlow ops once (formats/tfgraph.h, the lowering the
 * TF.js writer uses: NHWC, weights as constants) and each TF op becomes its TF Lite builtin,
 * as TensorFlow's converter maps them: Conv2D (+BiasAdd) -> CONV_2D with OHWI filters,
 * DepthwiseConv2dNative -> DEPTHWISE_CONV_2D ([1, H, W, C*M]), Conv2DBackpropInput ->
 * TRANSPOSE_CONV, explicit paddings -> PAD + VALID, Sigmoid -> LOGISTIC, ... .  The flatbuffer
 * is built with formats/flatbuf.h against schema.fbs's field ids (formats/tflite_schema.h).
 *
 * The file presents what the peer's (TensorFlow converter from a SavedModel) does: one
 * subgraph, input tensor "serving_default_<input>:0" NHWC float32 [1, H, W, 3], outputs
 * "StatefulPartitionedCall:<k>" (rank-4 outputs NHWC), and a "serving_default" SignatureDef
 * mapping "images" and "output_0", "output_1", ... to them.  With half, the converter's float16
 * quantisation: the learned weights, and the other float constants float16 holds exactly
 * (anchors, strides), stored FLOAT16, each followed by a DEQUANTIZE to float32
 * (float32 input, output and arithmetic).  The peer's metadata is appended as it appends it:
 * a zip archive after the flatbuffer holding "metadata.json" (the metadata as indented JSON,
 * deflated); TF Lite runtimes ignore bytes past the flatbuffer.
 *
 * Reading.  tflite_read verifies the whole flatbuffer (formats/flatbuf.h: offsets, vtables,
 * vectors, strings, overlaps, depth) and every index in it (buffers, tensors, operator
 * codes) before building the IR; TF Lite's NHWC operators are read as the IR's NCHW ones
 * between Transposes; constants are decoded (float16 and, with their quantisation
 * parameters, int8/uint8 tensors are kept as stored and dequantised by the graph).  Tensor
 * types and quantisation parameters (scales, zero points, axis) are kept for `info`.
 */
#ifndef YOLOPORT_TFLITE_H
#define YOLOPORT_TFLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"

#define TFLITE_DEFAULT_INPUT "images"

/* The converter's int8 modes.  TFLITE_INT8_DYNAMIC: the learned weights of rank >= 2 stored
 * int8, symmetric (zero point 0) per output channel (axis 0 of CONV_2D's OHWI filters, 3 of
 * DEPTHWISE_CONV_2D's [1, H, W, C]; per tensor elsewhere), each followed by a DEQUANTIZE to
 * float32 (float activations and arithmetic; biases float32).  TFLITE_INT8_INTEGER: TF Lite's
 * int8 operators: the same weights read as int8 by CONV_2D and DEPTHWISE_CONV_2D with int32
 * biases (scale: input scale x filter scale), and every activation act_range names stored int8
 * (asymmetric, scale (hi-lo)/255 with 0.0 exact) under TF Lite's rules (LOGISTIC and SOFTMAX at
 * 1/256, CONCATENATION's inputs requantised to its output's scale, the ops that only move values
 * keeping their input's); an operator with no int8 kernel here computes in float between a
 * DEQUANTIZE and a QUANTIZE; float input and outputs.  TFLITE_INT8_FULL: as INTEGER with an
 * int8 input and int8 outputs (their ranges from act_range). */
typedef enum { TFLITE_INT8_NONE, TFLITE_INT8_DYNAMIC, TFLITE_INT8_INTEGER, TFLITE_INT8_FULL } TfliteInt8;

/* The calibrated range of the activation the written tensor `name` holds (TF Lite tensor
 * names: the lowering's node names, "serving_default_<input>:0", "StatefulPartitionedCall:<k>");
 * 0 + lo <= 0 <= hi when it is to be quantised, -1 to keep it float. */
typedef int (*TfliteActRange)(void *user, const char *name, float *lo, float *hi);

typedef struct {
    bool half;              /* float16 weights + DEQUANTIZE (the converter's float16 quantisation) */
    TfliteInt8 int8;        /* int8 modes (half is ignored with one) */
    TfliteActRange act_range; /* INTEGER and FULL: which activations and their ranges */
    void *act_user;
    const char *input_name; /* the signature's input name; NULL: TFLITE_DEFAULT_INPUT */
    /* metadata.json: key/JSON-text pairs (as TfjsOptions.metadata_kv); none: no archive appended */
    const KeyValue *metadata_kv;
    int n_metadata_kv;
    /* an input of unknown height and width (dynamic=True): the size the tensors' `shape` is
     * given at (their shape_signature holds -1 where it depends on it); 0: 640 */
    int dynamic_hw[2];
} TfliteOptions;

/* The 8-bit asymmetric parameters the writer gives an activation of range [lo, hi] (widened
 * to hold 0): scale (hi-lo)/255 (1 when empty), int8 zero point with 0.0 exact. */
void tflite_act_params(float lo, float hi, float *scale, int64_t *zero);

/* The writer's op table: OP_WRITE_YES for each op it lowers, OP_WRITE_NO for the rest. */
OpWriteSupport tflite_write_op_support(OpKind op);

/* g as a .tflite file in memory (heap, *len bytes; the caller frees it).  g needs static
 * shapes where the lowering needs them (see formats/tfjs.h), but for an NHWC input of unknown
 * height and width: then every tensor's shape_signature marks the dims that follow the input's
 * (the model is converted at two sizes and compared; a constant that differs between them is
 * refused by name).  NULL + "<node>: <problem>". */
uint8_t *tflite_write_buffer(const Graph *g, const TfliteOptions *opt, size_t *len, char *err, size_t errlen);
/* The same written to path (temporary + rename).  0 or -1 + message. */
int tflite_write(const Graph *g, const TfliteOptions *opt, const char *path, char *err, size_t errlen);

/* Read path into a new Graph (source_format FMT_TFLITE; meta from the appended metadata.json
 * when present).  NULL + "<path>: <problem>" for anything malformed. */
Graph *tflite_read(const char *path, char *err, size_t errlen);
/* The same from bytes (name used in messages). */
Graph *tflite_read_buffer(const uint8_t *buf, size_t len, const char *name, char *err, size_t errlen);

/* Does the file (its first bytes) look like a .tflite?  "TFL3" at offset 4. */
int tflite_sniff(const char *path);

/* The appended metadata.json of a .tflite (heap, NUL-terminated), or NULL when there is none. */
char *tflite_metadata_json(const uint8_t *buf, size_t len);

#endif
