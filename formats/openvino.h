/* openvino: OpenVINO IR (version 11: <stem>.xml + <stem>.bin) out of and into the Graph IR,
 * with the peer's metadata.yaml beside it.
 *
 * Writer forms (IR op -> OpenVINO layers): Conv -> Convolution, or GroupConvolution with the
 * weights as [G, M/G, C/G, k...], then Add of the bias as [1, M, 1, 1] named after the node
 * (the peer's "/WithoutBiases" layout); ConvTranspose -> (Group)ConvolutionBackpropData;
 * BatchNormalization -> BatchNormInference-5; SiLU -> Swish-4; Split -> VariadicSplit (sizes)
 * or Split (equal parts); Slice -> Slice-8; Resize -> Interpolate-11 (scales or sizes);
 * Gemm -> MatMul (+ Multiply alpha/beta) + Add; Flatten -> Reshape; GlobalAveragePool ->
 * ReduceMean; Expand/ConstantOfShape -> Broadcast-3; Where -> Select; Cast -> Convert;
 * Shape -> ShapeOf-3; Softmax -> SoftMax-8; MaxPool -> MaxPool-8; TopK -> TopK-3;
 * NonMaxSuppression -> NonMaxSuppression-9 + Slice of its rows to valid_outputs; Identity is
 * an alias; elementwise ops one for one.  Anything else fails naming the node.
 *
 * Reader forms (OpenVINO -> IR, the ONNX forms the executor runs): Convolution + Add of a
 * constant [1, M, 1, ...] -> Conv with bias (named after the Add, as the ONNX node was);
 * GroupConvolution -> Conv with group (weights reshaped in place when constant, else a
 * Reshape node); VariadicSplit/Split with constant axis -> Split; Interpolate-4/11 -> Resize
 * (X, -, scales) or (X, -, -, sizes), partial axes expanded when constant; StridedSlice with
 * constant bounds (or no masks) -> Slice; Slice-8 -> Slice; MatMul transposes -> Transpose
 * nodes; Convert (also the "decompression" ones of float16 IRs) -> Cast; NonMaxSuppression
 * -> the ONNX op (valid_outputs, when used, becomes its row count); ReduceMean/Max over the
 * spatial axes with keep_dims -> the global pools.  A layer with no mapping (FakeQuantize of
 * NNCF int8 models, ScatterUpdate, ...) becomes OP_OTHER with the OpenVINO type as op_type,
 * domain "openvino:<opset>" and its <data> attributes as strings; the writer writes such
 * layers back unchanged, so an IR read and written again keeps them.
 */
#ifndef YOLOPORT_OPENVINO_H
#define YOLOPORT_OPENVINO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"

#define OPENVINO_IR_VERSION 11

typedef struct {
    bool half;                 /* float32 constants stored as float16, each followed by a Convert
                                  to f32 marked "decompression" (what compress_to_fp16 writes);
                                  constants outside the float16 range stay float32 */
    const KeyValue *metadata;  /* metadata.yaml entries in order; each value is the peer's str(v)
                                  ("32", "[640, 640]", "{0: 'person'}", "detect"), rendered as YAML
                                  the way yaml.safe_dump(sort_keys=False) writes the Python value.
                                  NULL: g->meta.props */
    int n_metadata;
    double iou;                /* rt_info model_info/iou_threshold (0: 0.7) */
    const char *model_type;    /* rt_info model_info/model_type (NULL: "YOLO") */
    const char *net_name;      /* <net name="..."> (NULL: "main_graph") */
} OpenVinoOptions;

/* The OpenVINO writer's op table (formats/openvino_emit.c): how it handles op
 * (OP_WRITE_NO: no OpenVINO mapping; OP_OTHER is OP_WRITE_VERBATIM: a type read from an IR
 * is copied as read, anything else refused).  Every node is checked against it before the
 * writer builds anything. */
OpWriteSupport openvino_write_op_support(OpKind op);

/* Write g as <dir>/<stem>.xml, <dir>/<stem>.bin and <dir>/metadata.yaml.  dir must exist;
 * the caller normally passes a temporary directory (fileio_temp_dir) and renames it into place
 * (fileio_commit_dir) after checking the result.  Each file is written atomically.
 * The graph input becomes Parameter "<input name>", each graph output a Result named
 * "<output name>/sink_port_0" whose producing layer carries the output's name, as the peer's
 * IR does.  Constants are deduplicated in the .bin.  opt may be NULL (defaults).
 * 0, or -1 + "<what>: <problem>" (an op that cannot be mapped is named with its node). */
int openvino_write(const Graph *g, const OpenVinoOptions *opt, const char *dir, const char *stem, char *err,
                   size_t errlen);

/* The same, into memory: *xml (NUL-terminated, *xml_len bytes without the NUL) and *bin;
 * the caller frees both.  No metadata.yaml. */
int openvino_serialize(const Graph *g, const OpenVinoOptions *opt, char **xml, size_t *xml_len, uint8_t **bin,
                       size_t *bin_len, char *err, size_t errlen);

/* Read an IR: xml_path is the .xml (or a directory holding exactly one .xml); the .bin
 * beside it (same stem) is read once and adopted by the graph, constants point into it
 * (copied only when misaligned for their type).  metadata.yaml beside it, when present, fills
 * g->meta (task, names, stride, imgsz, batch, channels, kpt_shape, version, date) and
 * g->meta.props (each value as the peer's str(v), so props compare with an ONNX export's);
 * without it the rt_info "framework" section is used the same way.
 * Layers -> nodes in topological order, edges -> tensors (port "names" give tensor names,
 * else the layer name), port dims and precisions -> tensor shapes and dtypes (dynamic dims
 * -1); graph inputs and outputs in the file's Parameter/Result order; modules from layer name
 * paths ("/model.2/cv1/conv/Conv" -> model.2 > cv1 > conv), as the ONNX reader builds them;
 * is_param on the constants behind weight and bias inputs (through Convert/Multiply chains
 * of int8 and float16 IRs); meta.imgsz/channels from a static input when no metadata says.
 * NULL + "<file>: <problem>" on any error (bad XML, missing attributes, unknown ids, edges
 * to ports that do not exist, cycles, ranks over GRAPH_MAX_RANK, offsets or sizes past the
 * .bin, ...). */
Graph *openvino_read(const char *xml_path, char *err, size_t errlen);

/* The same from memory: the XML text and the weights (bin may be NULL when bin_len is 0);
 * name is used in messages; metadata_yaml may be NULL.  Nothing is kept from the buffers:
 * the weights are copied once into a blob the graph adopts. */
Graph *openvino_read_memory(const char *xml, size_t xml_len, const uint8_t *bin, size_t bin_len,
                            const char *metadata_yaml, size_t metadata_len, const char *name, char *err,
                            size_t errlen);

/* Does path look like an OpenVINO IR?  A file: its first bytes are an XML declaration
 * and/or comments followed by a <net ...> element with a version attribute.  A directory:
 * it holds exactly one such .xml.  1 or 0; never an error. */
int openvino_sniff(const char *path);

/* The one .xml in dir that sniffs as an IR, as a heap path; NULL + message when there is
 * none or more than one. */
char *openvino_find_xml(const char *dir, char *err, size_t errlen);

/* ---- metadata.yaml (formats/openvino_meta.c), for any directory format that carries one ---- */

/* The text of metadata.yaml for kv (values as the peer's str(v): a value that parses as a
 * Python literal is written as that value, anything else as a string), laid out as
 * yaml.safe_dump(sort_keys=False, allow_unicode=True) lays it out: block style, quoting only
 * where YAML would read another type, long plain strings folded past column 80.  Heap
 * string; "{}\n" when n is 0. */
char *openvino_metadata_yaml(const KeyValue *kv, int n);
/* Parse metadata.yaml text into g->meta (task, names, stride, imgsz, channels, kpt_shape,
 * version, date, model_name/data from the description) and g->meta.props (each value as
 * str(v)).  Unknown keys and values of an unexpected type go to props only.  0, or -1 +
 * "<what>: line N: <problem>" for text that is not YAML or not a mapping. */
int openvino_metadata_read(Graph *g, const char *text, size_t len, const char *what, char *err, size_t errlen);
/* One metadata value given as str(v) (an rt_info entry): into props as given, and into the
 * typed fields as openvino_metadata_read would. */
void openvino_metadata_apply(Graph *g, const char *key, const char *value);
/* The peer's metadata as a JSON object (json.dumps of the same dict: TorchScript's
 * extra/config.txt, MNN's bizCode): each value as str(v) through openvino_metadata_apply
 * (strings as they are, numeric keys of names as ints).  0, or -1 when text is not a JSON
 * object (nothing applied). */
int openvino_metadata_apply_json(Graph *g, const char *text, size_t len);

/* Element type names ("f32", "i64", "boolean") and port precisions ("FP32", "I64", "BOOL").
 * The name functions return NULL for a type OpenVINO has no name for; the parsers return
 * DT_UNDEFINED for an unknown name. */
const char *openvino_element_type(DType t);
const char *openvino_precision(DType t);
DType openvino_dtype_from_element_type(const char *s);
DType openvino_dtype_from_precision(const char *s);

#endif
