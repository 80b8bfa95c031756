/* graph: the engine's intermediate representation, shaped like ggml.
 *
 * One Arena owns everything a Graph holds: tensors, nodes, attributes, strings.
 * graph_free() releases it all, together with any large data blobs handed over with
 * graph_adopt_blob().  Readers (formats/) build a Graph; passes rewrite it; writers and
 * the executor read it.  Only tensor *data* may live outside the arena (a blob the graph
 * adopted, e.g. a checkpoint storage or an ONNX file buffer), so nothing is copied twice.
 *
 * Contract:
 *   - tensors and nodes are addressed by index (int); -1 means "none";
 *   - a tensor has at most one producer node; graph inputs and initializers have none;
 *   - activations have data == NULL; initializers/constants have data != NULL;
 *   - dims[i] < 0 means unknown; dim_names[i] != NULL marks a symbolic dim ("batch");
 *   - node->module is an index into g->modules (-1 when the node belongs to none).
 */
#ifndef YOLOPORT_GRAPH_H
#define YOLOPORT_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/format_id.h"
#include "engine/core/util.h"

#define GRAPH_MAX_RANK 8

/* Element types.  Values match ONNX TensorProto.DataType where one exists. */
#define DTYPES(X)                                                                                  \
    X(DT_UNDEFINED, "undefined", 0, 0)                                                              \
    X(DT_F32, "float32", 1, 4)                                                                      \
    X(DT_U8, "uint8", 2, 1)                                                                         \
    X(DT_I8, "int8", 3, 1)                                                                          \
    X(DT_U16, "uint16", 4, 2)                                                                       \
    X(DT_I16, "int16", 5, 2)                                                                        \
    X(DT_I32, "int32", 6, 4)                                                                        \
    X(DT_I64, "int64", 7, 8)                                                                        \
    X(DT_STRING, "string", 8, 0)                                                                    \
    X(DT_BOOL, "bool", 9, 1)                                                                        \
    X(DT_F16, "float16", 10, 2)                                                                     \
    X(DT_F64, "float64", 11, 8)                                                                     \
    X(DT_U32, "uint32", 12, 4)                                                                      \
    X(DT_U64, "uint64", 13, 8)                                                                      \
    X(DT_BF16, "bfloat16", 16, 2)

typedef enum {
#define X(e, name, onnx, size) e,
    DTYPES(X)
#undef X
    DT_COUNT
} DType;

const char *dtype_name(DType t);
size_t dtype_size(DType t);          /* 0 for string/undefined */
int dtype_to_onnx(DType t);
DType dtype_from_onnx(int onnx_type); /* DT_UNDEFINED when unknown */

/* Operators: every op the executor, the passes and the writers know, one enum.  Names are
 * the ONNX op_type where one exists; the IR keeps SiLU as one op (writers expand it to
 * Sigmoid+Mul).  Each module that handles ops keeps its own table indexed by this enum (the
 * executor's kernels, each writer's mapping), so a new op is one line here plus one row in
 * each table, and the tables' tests say which row is missing.
 *
 * OP_OTHER is an op yoloport does not model: an unknown op_type, an op of another domain, or
 * a known name whose meaning in its source differs from the IR's (ONNX Softmax before opset
 * 13 over a non-last axis).  Its name stays in node->op_type: the browser shows it; the
 * executor refuses it by name; a writer refuses it by name unless the table's OP_OTHER row
 * says it copies ops read from its own format verbatim. */
#define GRAPH_OPS(X)                                \
    X(OP_CONV, "Conv")                              \
    X(OP_CONV_TRANSPOSE, "ConvTranspose")           \
    X(OP_BATCHNORM, "BatchNormalization")           \
    X(OP_SILU, "SiLU")                              \
    X(OP_SIGMOID, "Sigmoid")                        \
    X(OP_RELU, "Relu")                              \
    X(OP_ADD, "Add")                                \
    X(OP_SUB, "Sub")                                \
    X(OP_MUL, "Mul")                                \
    X(OP_DIV, "Div")                                \
    X(OP_CONCAT, "Concat")                          \
    X(OP_SPLIT, "Split")                            \
    X(OP_SLICE, "Slice")                            \
    X(OP_MAXPOOL, "MaxPool")                        \
    X(OP_AVGPOOL, "AveragePool")                    \
    X(OP_GLOBAL_AVGPOOL, "GlobalAveragePool")       \
    X(OP_RESIZE, "Resize")                          \
    X(OP_RESHAPE, "Reshape")                        \
    X(OP_TRANSPOSE, "Transpose")                    \
    X(OP_SOFTMAX, "Softmax")                        \
    X(OP_MATMUL, "MatMul")                          \
    X(OP_GEMM, "Gemm")                              \
    X(OP_FLATTEN, "Flatten")                        \
    X(OP_IDENTITY, "Identity")                      \
    X(OP_CONSTANT, "Constant")                      \
    X(OP_CAST, "Cast")                              \
    X(OP_SHAPE, "Shape")                            \
    X(OP_GATHER, "Gather")                          \
    X(OP_UNSQUEEZE, "Unsqueeze")                    \
    X(OP_SQUEEZE, "Squeeze")                        \
    X(OP_REDUCE_MAX, "ReduceMax")                   \
    X(OP_ARGMAX, "ArgMax")                          \
    X(OP_TOPK, "TopK")                              \
    X(OP_NMS, "NonMaxSuppression")                  \
    X(OP_GLOBAL_MAXPOOL, "GlobalMaxPool")           \
    X(OP_UPSAMPLE, "Upsample")                      \
    X(OP_SWISH, "Swish")                            \
    X(OP_EXP, "Exp")                                \
    X(OP_LOG, "Log")                                \
    X(OP_SQRT, "Sqrt")                              \
    X(OP_NEG, "Neg")                                \
    X(OP_ABS, "Abs")                                \
    X(OP_TANH, "Tanh")                              \
    X(OP_FLOOR, "Floor")                            \
    X(OP_CEIL, "Ceil")                              \
    X(OP_ROUND, "Round")                            \
    X(OP_RECIPROCAL, "Reciprocal")                  \
    X(OP_ERF, "Erf")                                \
    X(OP_LEAKY_RELU, "LeakyRelu")                   \
    X(OP_HARD_SIGMOID, "HardSigmoid")               \
    X(OP_HARD_SWISH, "HardSwish")                   \
    X(OP_SIN, "Sin")                                \
    X(OP_COS, "Cos")                                \
    X(OP_SOFTPLUS, "Softplus")                      \
    X(OP_GELU, "Gelu")                              \
    X(OP_ELU, "Elu")                                \
    X(OP_SIGN, "Sign")                              \
    X(OP_MISH, "Mish")                              \
    X(OP_POW, "Pow")                                \
    X(OP_MIN, "Min")                                \
    X(OP_MAX, "Max")                                \
    X(OP_MOD, "Mod")                                \
    X(OP_EQUAL, "Equal")                            \
    X(OP_LESS, "Less")                              \
    X(OP_GREATER, "Greater")                        \
    X(OP_LESS_OR_EQUAL, "LessOrEqual")              \
    X(OP_GREATER_OR_EQUAL, "GreaterOrEqual")        \
    X(OP_AND, "And")                                \
    X(OP_OR, "Or")                                  \
    X(OP_XOR, "Xor")                                \
    X(OP_NOT, "Not")                                \
    X(OP_WHERE, "Where")                            \
    X(OP_CLIP, "Clip")                              \
    X(OP_LOG_SOFTMAX, "LogSoftmax")                 \
    X(OP_HARDMAX, "Hardmax")                        \
    X(OP_REDUCE_MIN, "ReduceMin")                   \
    X(OP_REDUCE_SUM, "ReduceSum")                   \
    X(OP_REDUCE_MEAN, "ReduceMean")                 \
    X(OP_REDUCE_PROD, "ReduceProd")                 \
    X(OP_REDUCE_SUM_SQUARE, "ReduceSumSquare")      \
    X(OP_REDUCE_LOG_SUM, "ReduceLogSum")            \
    X(OP_REDUCE_LOG_SUM_EXP, "ReduceLogSumExp")     \
    X(OP_REDUCE_L1, "ReduceL1")                     \
    X(OP_REDUCE_L2, "ReduceL2")                     \
    X(OP_ARGMIN, "ArgMin")                          \
    X(OP_DROPOUT, "Dropout")                        \
    X(OP_SIZE, "Size")                              \
    X(OP_GATHER_ELEMENTS, "GatherElements")         \
    X(OP_EXPAND, "Expand")                          \
    X(OP_TILE, "Tile")                              \
    X(OP_RANGE, "Range")                            \
    X(OP_CONSTANT_OF_SHAPE, "ConstantOfShape")      \
    X(OP_PAD, "Pad")                                \
    X(OP_QUANTIZE_LINEAR, "QuantizeLinear")         \
    X(OP_DEQUANTIZE_LINEAR, "DequantizeLinear")     \
    X(OP_FAKE_QUANTIZE, "FakeQuantize")             \
    X(OP_GRID_SAMPLE, "GridSample")                 \
    X(OP_SCATTER_UPDATE, "ScatterUpdate")           \
    X(OP_CUMSUM, "CumSum")                          \
    X(OP_OTHER, "")

typedef enum {
#define X(e, name) e,
    GRAPH_OPS(X)
#undef X
    OP_COUNT
} OpKind;

const char *op_name(OpKind op);     /* "Conv"; "" for OP_OTHER */
OpKind op_from_name(const char *s); /* OP_OTHER when unknown */
/* The name to show for node n's op: op_name, or the source's op_type for OP_OTHER. */
struct Node;
const char *node_op_name(const struct Node *n);

/* How one writer handles one op: each writer's table (indexed by OpKind) says it for every
 * op.  OP_WRITE_UNSET is 0 so that a row nobody filled in is found by the tables' tests. */
typedef enum {
    OP_WRITE_UNSET = 0,
    OP_WRITE_YES,      /* the writer expresses the op */
    OP_WRITE_NO,       /* the format cannot express it: refused by name before anything is written */
    OP_WRITE_VERBATIM, /* OP_OTHER only: ops read from this writer's own format are copied as read */
} OpWriteSupport;

typedef enum { ATTR_INT, ATTR_FLOAT, ATTR_STRING, ATTR_INTS, ATTR_FLOATS, ATTR_STRINGS, ATTR_TENSOR, ATTR_GRAPH } AttrType;

typedef struct {
    const char *name;
    AttrType type;
    int64_t i;
    double f;
    const char *s;     /* ATTR_STRING (NUL-terminated; s_len for binary-safe length) */
    size_t s_len;
    int64_t *ints;     /* ATTR_INTS */
    double *floats;    /* ATTR_FLOATS */
    const char **strings; /* ATTR_STRINGS */
    int count;         /* element count for the list kinds */
    int tensor;        /* ATTR_TENSOR: tensor index */
} Attr;

typedef struct {
    const char *name;
    DType dtype;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    const char *dim_names[GRAPH_MAX_RANK];
    void *data;          /* NULL for activations */
    size_t nbytes;       /* bytes at data */
    int producer;        /* node index or -1 */
    bool is_input;       /* graph input */
    bool is_output;      /* graph output */
    bool is_param;       /* a learned parameter (counts towards parameters) */
    bool requires_grad;  /* as recorded by the checkpoint */
    bool derived;        /* data a reader computed from another constant of the graph (a TF Lite
                            DEQUANTIZE folded, a filter re-laid): what the file stores is that
                            other constant, so the precision as stored does not count this one */
    const char *external; /* ONNX external-data location, NULL when inline */
} Tensor;

typedef struct Node {
    OpKind op;
    const char *op_type;  /* the op's name as written in the source (always set) */
    const char *name;     /* e.g. "/model.2/cv1/conv/Conv" */
    const char *domain;   /* "" for the default ONNX domain */
    int module;           /* index into g->modules or -1 */
    int n_inputs, n_outputs, n_attrs;
    int *inputs;          /* tensor indices; -1 for an omitted optional input */
    int *outputs;
    Attr *attrs;
    const char *doc;
} Node;

/* One module of the model (for .pt: an nn.Module; for ONNX: a name-path group).
 * Modules form a tree through parent; children of a module appear after it in g->modules. */
typedef struct {
    const char *path;     /* "model.2.cv1" ("" for the root) */
    const char *name;     /* last path component: "cv1" */
    const char *type;     /* "Conv", "C2f", "Detect", ... or "group" for ONNX paths */
    int parent;           /* -1 for roots */
    int depth;
    int64_t params;       /* parameters below this module (recursive) */
    int out_tensor;       /* the module's output tensor, -1 when unknown */
    int first_node, last_node; /* node range emitted for this module, -1 when none */
} Module;

typedef struct {
    const char *key, *value;
} KeyValue;

/* The peer's model summary numbers (see ../shared/reference section 7). */
typedef struct {
    bool valid;
    int64_t layers, parameters, gradients;
    double gflops;
    int64_t norms; /* torch.nn normalisation modules (BatchNorm2d, LayerNorm...) left in it */
} ModelSummary;

/* The peer labels a fused summary "(fused)" only when fewer than 10 normalisation modules
 * remain (its is_fused(): RT-DETR keeps its LayerNorms, and its fused line has no label). */
static inline bool summary_fused_label(const ModelSummary *s) { return s->norms < 10; }

/* How output0 of a detection graph is laid out: what predict and val decode. */
typedef enum {
    OUTPUT_GRID = 0,       /* [B, 4+nc+extra, A]: one row per anchor, boxes as pixel cx cy w h (OBB:
                              + angle), class scores after sigmoid; NMS follows */
    OUTPUT_E2E_XYXY,       /* [B, max_det, 6]: x1 y1 x2 y2 in pixels, score, class index (as a
                              float), best first; no NMS (YOLOv10's one-to-one head) */
    OUTPUT_E2E_CXCYWH_NORM /* [B, queries, 4+nc]: cx cy w h as fractions of the input size, class
                              scores after sigmoid, in query order; no NMS (RT-DETR's decoder) */
} OutputLayout;

typedef struct {
    const char *task;          /* "detect", "segment", "pose", "obb", "classify" */
    const char *model_name;    /* "YOLOv8n" (for summary lines) */
    const char *yaml_file;     /* "yolov8n.yaml" */
    int nc;                    /* number of classes */
    const char **names;        /* nc entries */
    int n_strides;
    int strides[8];
    int imgsz[2];              /* h, w the graph was built for */
    int channels;
    int kpt_shape[2];          /* pose: (17, 3) */
    bool end2end;              /* the head's output needs no NMS (YOLOv10's v10Detect, RT-DETR's
                                  decoder): the peer forces nms=False for such models */
    OutputLayout output_layout; /* layout of output0 (OUTPUT_GRID for every other head) */
    int max_det;               /* rows of an end-to-end output0 (0 when output_layout is OUTPUT_GRID) */
    FormatId source_format;    /* the reader's registry id (FMT_PYTORCH, FMT_ONNX, FMT_YAML, ...); FMT_NONE
                                  for a graph built by hand */
    const char *source_path;
    const char *version;       /* Ultralytics version that saved it */
    const char *date;
    const char *data;          /* train data ("coco.yaml") when known */
    KeyValue *train_args;      /* checkpoint train_args rendered as text */
    int n_train_args;
    KeyValue *props;           /* ONNX metadata_props */
    int n_props;
    int64_t opset, ir_version;
    const char *producer;
    ModelSummary summary, fused_summary;
} GraphMeta;

typedef struct {
    Arena *arena;
    Tensor *tensors;
    int n_tensors, cap_tensors;
    Node *nodes;
    int n_nodes, cap_nodes;
    Module *modules;
    int n_modules, cap_modules;
    int *inputs, n_inputs, cap_inputs;    /* graph inputs (tensor indices, no initializers) */
    int *outputs, n_outputs, cap_outputs; /* graph outputs */
    GraphMeta meta;
    /* adopted data blobs, freed by graph_free */
    void **blobs;
    void (**blob_free)(void *);
    int n_blobs, cap_blobs;
} Graph;

Graph *graph_new(void);
void graph_free(Graph *g);

/* Hand a data blob to the graph: free_fn(blob) is called by graph_free. */
void graph_adopt_blob(Graph *g, void *blob, void (*free_fn)(void *));

/* Add a tensor; name is copied.  data is NOT copied: it must be arena memory, adopted
 * blob memory, or NULL.  Returns the tensor index. */
int graph_add_tensor(Graph *g, const char *name, DType dtype, int rank, const int64_t *dims);
/* Add an initializer whose data is copied into the arena. */
int graph_add_const(Graph *g, const char *name, DType dtype, int rank, const int64_t *dims, const void *data);
/* Tensor pointer by index (valid until the next add). */
static inline Tensor *graph_tensor(Graph *g, int i) { return (i >= 0 && i < g->n_tensors) ? &g->tensors[i] : NULL; }
int graph_find_tensor(const Graph *g, const char *name); /* -1 when absent (linear scan) */
int64_t tensor_numel(const Tensor *t);                   /* -1 when a dim is unknown */

/* Add a node; names are copied; op OP_OTHER with an op_type the enum names becomes that op
 * (a reader that keeps such a name as OP_OTHER sets n->op after adding it); inputs/outputs copied into the arena.  Sets the
 * producer of each output tensor.  Returns the node index. */
int graph_add_node(Graph *g, OpKind op, const char *op_type, const char *name, int module,
                   const int *inputs, int n_inputs, const int *outputs, int n_outputs);
/* Append an attribute to a node (node's attr array grows; strings/arrays copied). */
void node_set_int(Graph *g, int node, const char *name, int64_t v);
void node_set_float(Graph *g, int node, const char *name, double v);
void node_set_string(Graph *g, int node, const char *name, const char *v);
void node_set_ints(Graph *g, int node, const char *name, const int64_t *v, int n);
void node_set_floats(Graph *g, int node, const char *name, const double *v, int n);
void node_set_tensor(Graph *g, int node, const char *name, int tensor);
/* Attribute lookup: NULL when absent. */
const Attr *node_attr(const Node *n, const char *name);
int64_t node_attr_int(const Node *n, const char *name, int64_t dflt);
double node_attr_float(const Node *n, const char *name, double dflt);
/* Copies up to max ints into out; returns the count found (0 when absent). */
int node_attr_ints(const Node *n, const char *name, int64_t *out, int max);

int graph_add_module(Graph *g, const char *path, const char *type, int parent);
int graph_find_module(const Graph *g, const char *path); /* -1 when absent */

void graph_add_input(Graph *g, int tensor);
void graph_add_output(Graph *g, int tensor);

/* Metadata helpers: strings are copied into the arena. */
void graph_meta_set_names(Graph *g, const char *const *names, int n);
void graph_meta_add_train_arg(Graph *g, const char *key, const char *value);
void graph_meta_add_prop(Graph *g, const char *key, const char *value);
const char *graph_meta_prop(const Graph *g, const char *key); /* NULL when absent */

/* Consumers of a tensor: fills up to max node indices, returns the total count. */
int graph_consumers(const Graph *g, int tensor, int *out, int max);

/* Structural check: every node input defined before use (or an initializer/input),
 * indices in range, no tensor with two producers.  0 ok, -1 + message. */
int graph_validate(const Graph *g, char *err, size_t errlen);

/* The module of a node in a graph read from a file, from its name path: "/model.2/cv1/conv/
 * Conv" -> groups model.2 > cv1 > conv (created on first use, type "group"; modules maps
 * their paths to indices).  A node without a path belongs to one root group named
 * root_name, created once and kept in *root_module (start it at -1). */
int graph_module_for_name(Graph *g, StrMap *modules, const char *name, const char *root_name, int *root_module);

/* Fill modules[].params for graphs read from files: each parameter tensor counts once,
 * towards the module of the first node that uses it and that module's ancestors. */
void graph_count_module_params(Graph *g);

/* A writer's check before it writes anything: support(n) says how the writer handles node n
 * (from its op table, OP_WRITE_VERBATIM resolved for the node).  Returns the index of the
 * first node that is not OP_WRITE_YES (the writer refuses it by its name and op), or -1. */
int graph_first_unwritable(const Graph *g, OpWriteSupport (*support)(const Node *n));

/* Sum of elements over is_param tensors. */
int64_t graph_param_count(const Graph *g);

/* "[1, 3, 640, 640]" / "[batch, 3, height, width]" into buf. */
const char *shape_str(const Tensor *t, char *buf, size_t len);

#endif
