/* registry: the table of export formats, one row per format in the peer's order
 * (Ultralytics export_formats()), with what this build can do for each.
 *
 * The table is constant.  The writer stage of each row comes from
 * engine/registry/registry_writers.c (edited by whoever wires a writer in); registry_get()
 * returns rows with `write` filled from there and `unavailable_reason` set only when
 * there is no writer.  Rows are immutable and live for the whole process: pointers
 * returned here never need freeing and are safe to share between threads. */
#ifndef YOLOPORT_REGISTRY_H
#define YOLOPORT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The export context, defined by the export pipeline (engine/export/export.h).  Opaque here. */
struct ExportCtx;

/* A writer stage: write the artifact(s) for ctx's format.  0, or -1 + a message in err
 * (one line naming the file and the problem).  Called on a job's worker thread. */
typedef int (*FormatWriteFn)(struct ExportCtx *ctx, char *err, size_t errlen);

/* X(ID, display name, format= argument, suffix)  — the peer's rows, in the peer's order. */
#define REGISTRY_FORMATS(X)                                          \
    X(PYTORCH, "PyTorch", "-", ".pt")                                \
    X(TORCHSCRIPT, "TorchScript", "torchscript", ".torchscript")     \
    X(ONNX, "ONNX", "onnx", ".onnx")                                 \
    X(OPENVINO, "OpenVINO", "openvino", "_openvino_model")           \
    X(ENGINE, "TensorRT", "engine", ".engine")                       \
    X(COREML, "CoreML", "coreml", ".mlpackage")                      \
    X(SAVED_MODEL, "TensorFlow SavedModel", "saved_model", "_saved_model") \
    X(PB, "TensorFlow GraphDef", "pb", ".pb")                        \
    X(TFLITE, "TensorFlow Lite", "tflite", ".tflite")                \
    X(EDGETPU, "TensorFlow Edge TPU", "edgetpu", "_edgetpu.tflite")  \
    X(TFJS, "TensorFlow.js", "tfjs", "_web_model")                   \
    X(PADDLE, "PaddlePaddle", "paddle", "_paddle_model")             \
    X(MNN, "MNN", "mnn", ".mnn")                                     \
    X(NCNN, "NCNN", "ncnn", "_ncnn_model")                           \
    X(IMX, "IMX", "imx", "_imx_model")                               \
    X(RKNN, "RKNN", "rknn", "_rknn_model")

typedef enum {
#define X(id, name, arg, suffix) FMT_##id,
    REGISTRY_FORMATS(X)
#undef X
        FMT_COUNT
} FormatId;

typedef struct {
    FormatId id;
    const char *name;          /* display name, the peer's "Format" column: "ONNX" */
    const char *argument;      /* the format= value: "onnx"; "-" for PyTorch (not exportable) */
    const char *const *aliases;/* other accepted format= values, NULL-terminated list (never NULL):
                                  engine: "tensorrt", "trt"; coreml: "mlmodel", "mlpackage",
                                  "mlprogram", "apple", "ios" */
    const char *suffix;        /* the peer's "Suffix" column: ".onnx", "_openvino_model" */
    bool dir_output;           /* the artifact is a directory (suffix starts with '_' and has no
                                  extension): _openvino_model, _saved_model, _web_model, ... */
    bool cpu, gpu;             /* the peer's CPU/GPU columns: inference supported on that device */
    uint32_t args;             /* the peer's "Arguments" column as a bitmask of EXPORT_ARG_BIT(key)
                                  (engine/export/export_args.h); what validate_args accepts */
    const char *peer_args;     /* the same column as the peer prints it, in its order:
                                  "batch, dynamic, half, opset, simplify, nms" ("" when empty) */
    FormatWriteFn write;       /* our writer stage; NULL when this build has none */
    const char *unavailable_reason; /* when write == NULL: why, honestly and specifically, starting
                                  "not available in this build: ..."; NULL when write != NULL */
    const char *tool;          /* external tool that can produce this format on a host that has it
                                  ("trtexec", "ovc", "pnnx", "edgetpu_compiler", ...); NULL when none */
    const char *tool_note;     /* one line on that tool (where it comes from, what it needs); NULL
                                  when tool is NULL */
} FormatInfo;

/* Number of rows (FMT_COUNT). */
int registry_count(void);

/* Row i (0 <= i < registry_count(), also a FormatId); NULL when out of range.  The first
 * call fills the writer pointers from registry_writers.c (thread-safe, once). */
const FormatInfo *registry_get(int i);

/* Look up an exportable format by its format= argument or an alias, case-insensitively
 * ("ONNX", "trt", "mlpackage").  NULL when unknown.  PyTorch ("-") is not exportable and is
 * never returned. */
const FormatInfo *registry_find(const char *argument);

/* The closest exportable format argument to a misspelt one, with difflib.get_close_matches
 * semantics (n=1, cutoff=0.6, SequenceMatcher ratio 2*M/T; candidates are the 15 format=
 * arguments, not the aliases, matching the peer): 'onx'->"onnx", 'tflit'->"tflite",
 * 'openvno'->"openvino", 'xyz'->NULL.  The input is lowercased first.  Static string or NULL. */
const char *registry_suggest(const char *argument);

/* The peer's list of valid formats as a Python tuple, as its error message prints it:
 * "('torchscript', 'onnx', ..., 'rknn')".  Static string. */
const char *registry_valid_formats_text(void);

/* Is fi's external tool on this host's PATH?  true + the full path in path_out (may be
 * NULL) when found; false when fi->tool is NULL or not found. */
bool registry_tool_on_path(const FormatInfo *fi, char *path_out, size_t path_len);

/* difflib.SequenceMatcher(None, a, b).ratio(): 2*M/T where M is the number of characters
 * in matching blocks found by recursive longest-common-substring (earliest in a, then in b,
 * no junk heuristic) and T = len(a)+len(b); 1.0 when both are empty. */
double registry_similarity(const char *a, const char *b);

/* difflib.get_close_matches(word, candidates, n, cutoff): up to n candidate indexes into
 * out, best first (ties: the candidate that sorts last first, as heapq.nlargest on
 * (score, string) does).  Returns how many. */
int registry_close_matches(const char *word, const char *const *candidates, int n_candidates, int n,
                           double cutoff, int *out);

#endif
