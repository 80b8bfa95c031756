/* tfjs: write the Graph IR as a TensorFlow.js graph model (the `_web_model/` directory),
 * natively: no Python, no TensorFlow, no converter.
 *
 * What the directory holds (the layout tensorflowjs_converter produces):
 *   model.json                 {"format": "graph-model", "generatedBy", "convertedBy",
 *                               "signature", "modelTopology": a GraphDef as JSON (nodes with
 *                               name/op/input/attr, "library", "versions"), "weightsManifest"}
 *   group1-shard<i>of<n>.bin   every Const's bytes, in manifest order, cut into 4 MiB shards
 *   metadata.yaml              the export metadata the caller passes (the peer's keys)
 *
 * Layout.  The IR is NCHW; TF.js's CPU kernels (Conv2D, MaxPool, ...) are NHWC only, so the
 * graph is rewritten to NHWC: every tensor carries a layout (a permutation of its IR axes),
 * convolution weights are stored HWIO (OIHW transposed), depthwise weights HWCM,
 * transposed-convolution weights HWOI; Concat/Split/Slice/Softmax axes follow the layout,
 * IR Transposes become free relabellings, and a Transpose is emitted only where an op needs
 * another layout (Reshape, MatMul, graph outputs).
 *
 * Interface (what the peer's tfjs export presents -- the peer goes PyTorch -> ONNX -> onnx2tf
 * SavedModel -> frozen GraphDef -> tensorflowjs_converter):
 *   input   one float32 Placeholder, NHWC [batch, H, W, 3] (the peer's input is NHWC too;
 *           its Placeholder is named "x", from the tf.function argument; ours is named
 *           opt->input_name, "images" by default; feeding the model positionally, as
 *           model.execute(tensor) does, works with either);
 *   outputs Identity nodes "Identity", "Identity_1", ... in the IR's output order, signature
 *           keys "Identity:0", ... as the peer's frozen-graph conversion has them.  An output
 *           of rank 4 is given NHWC (segment: output1 protos [1, 160, 160, 32], as TF
 *           formats give them), any other rank in the IR's layout (detect: [1, 84, 8400],
 *           boxes in pixels: the peer only normalises boxes for tflite/edgetpu).
 *
 * Graphs from files.  A graph may lack shapes past its input (an ONNX file without
 * value_info) and compute values from shapes at run time (Shape -> Gather -> ... -> Slice, as
 * torch.onnx exports chunk()).  TF.js needs both static: the writer takes the graph as it is,
 * so the export stage runs pass_fold_static (engine/passes/passes.h) first, which fills every
 * shape and turns every tensor that depends only on constants and shapes into a constant.
 * Graphs built by model_load from .pt/.yaml need none of this.
 *
 * Ops.  tfjs_write_op_support gives the writer's op table: every node the outputs need is
 * checked against it before anything is written, and an op TF.js has no equivalent for is
 * refused naming the node and the op.
 *
 * Weights.  float32, or with opt->half the converter's float16 quantisation (manifest dtype
 * "float32" + "quantization": {"dtype": "float16", "original_dtype": "float32"}, uint16
 * IEEE half data: TF.js has no float16 weight dtype), or with opt->int8 the converter's
 * uint8 affine quantisation (per tensor min/scale, range nudged so 0 is exact), as the peer's
 * --quantize_float16 / --quantize_uint8.  Only learned parameters (Tensor.is_param: conv
 * and linear weights and biases) are quantised; anchors, strides and other constants stay
 * float32 (uint8 anchors would move boxes by pixels).  Integer constants are int32.
 */
#ifndef YOLOPORT_TFJS_H
#define YOLOPORT_TFJS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"

struct json_object;

#define TFJS_SHARD_BYTES (4u * 1024u * 1024u)
#define TFJS_DEFAULT_INPUT "images"

typedef struct {
    bool half;                 /* float16 weight storage (converter's --quantize_float16) */
    bool int8;                 /* uint8 weight storage (converter's --quantize_uint8) */
    const char *input_name;    /* Placeholder name; NULL: TFJS_DEFAULT_INPUT */
    size_t shard_bytes;        /* 0: TFJS_SHARD_BYTES */
    const char *generated_by;  /* model.json "generatedBy"; NULL: "yoloport <version>" */
    /* metadata.yaml: a JSON object whose members become the YAML mapping in order (nested
     * objects and arrays become block mappings and sequences, as the peer's yaml dump
     * writes them).  A member key made of decimal digits is written as an integer key
     * (JSON cannot carry the peer's int keys of "names").  NULL: an empty mapping. */
    const struct json_object *metadata;
    /* or the same as a list whose values are JSON texts ("32", "[640, 640]", "\"detect\"",
     * {"0": "person"}), as TorchScriptOptions.metadata takes it; a value that is not JSON or a
     * repeated key is an error.  At most one of metadata and metadata_kv may be given. */
    const KeyValue *metadata_kv;
    int n_metadata_kv;
} TfjsOptions;

/* The TF.js writer's op table (formats/tfjs_ops.c): OP_WRITE_YES for each op it lowers,
 * OP_WRITE_NO for the rest (OP_OTHER included). */
OpWriteSupport tfjs_write_op_support(OpKind op);

/* Write g as a TF.js graph model into the existing (or creatable, one level) directory dir:
 * model.json, group1-shard*of*.bin, metadata.yaml.  g needs static input shapes wherever a
 * lowering needs a shape (Reshape, Resize, pooling, ...; dynamic=True graphs are refused
 * there, naming the node), a float or integer input and at least one output.  opt may be NULL (float32, defaults).  Files are
 * written whole through fileio (temporary + rename); on error the files this call created
 * are removed and -1 is returned with a message naming the node, tensor or file at fault
 * ("<node>: TF.js has no ... "); the caller's temporary directory itself is left to the
 * caller.  Nothing in g is modified.  0 on success. */
int tfjs_write(const Graph *g, const TfjsOptions *opt, const char *dir, char *err, size_t errlen);

/* What tfjs_check_dir found. */
typedef struct {
    int n_nodes;          /* nodes in modelTopology */
    int n_weights;        /* manifest entries (= Const nodes) */
    int n_shards;
    int64_t weight_bytes; /* bytes the manifest describes (= the shards' total size) */
    int n_inputs, n_outputs;
    bool quantized;       /* some weight carries a "quantization" */
} TfjsSummary;

/* Structural check of a written (or any) TF.js graph-model directory: model.json parses and
 * says "graph-model", every node has a name and an op, names are unique, every input names
 * a node (and an output index the op can have), every Const has exactly one manifest entry
 * and every entry a Const, the manifest's byte count (shape x element size, quantised sizes
 * included) equals the sum of the shard files' sizes, the signature's tensors exist, and
 * metadata.yaml exists and parses as a YAML mapping.  Reads only what it needs; bounded for
 * untrusted input.  0 (summary filled when non-NULL) or -1 + "<dir>/<file>: <problem>". */
int tfjs_check_dir(const char *dir, TfjsSummary *summary, char *err, size_t errlen);

/* Does path look like a TF.js graph model?  A directory holding a model.json, or that
 * model.json itself, whose text opens a JSON object with "format": "graph-model" among its
 * first 64 KiB (where tensorflowjs_converter and tfjs_write put it).  1 or 0; never an
 * error.  Recognising is all: yoloport does not read TF.js models back into the IR. */
int tfjs_sniff(const char *path);

/* ---- reading (formats/tfjs_read.c) ------------------------------------------------------
 * A graph model read into the IR: path is the _web_model folder or its model.json; the
 * modelTopology as a GraphDef (formats/tfsaved.h "reading": the same op set, NHWC kept), its
 * Consts from the weights manifest (float32, int32, and the converter's uint8/uint16/float16
 * quantisations decoded to float32), the signature's outputs in key order, metadata.yaml
 * beside it.  NULL + "<file>: <problem>". */
Graph *tfjs_read(const char *path, char *err, size_t errlen);
/* The same from memory: model.json's text, every shard's bytes in manifest order, the
 * metadata (may be NULL). */
Graph *tfjs_read_memory(const char *json, size_t json_len, const uint8_t *weights, size_t weights_len, const char *meta,
                        size_t meta_len, const char *name, char *err, size_t errlen);

#endif
