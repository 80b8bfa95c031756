/* registry: the table of format plugins, one row per format, indexed by FormatId
 * (engine/core/format_id.h).  A row holds what the format is (name, format= argument and
 * aliases, output naming, the peer's CPU/GPU and Arguments columns, its matrix id) and its
 * operations: recognise a file or directory from its content, read it into the IR, write it
 * (the export stage), run it in its own runtime, drive an external tool that makes it.  A
 * NULL operation is one this build does not have, and the row says why in words.
 *
 * The export table is rows FMT_PYTORCH .. FMT_COUNT-1, in the peer's order (Ultralytics
 * export_formats()): registry_count()/registry_get() walk it, and it alone feeds `format=`,
 * the format lists of the CLI usage, --help, the man page and the Export screen, and the
 * matrix.  Source-only kinds (a model config, FMT_YAML) have rows after it, reached by id
 * through registry_row(): model_load (engine/registry/model.h) walks every row's recogniser,
 * but no list of export formats ever shows them.
 *
 * Rows are immutable and live for the whole process: pointers returned here never need
 * freeing and are safe to share between threads.
 *
 * Adding a format is its files, one id in format_id.h, one row in registry.c and its tests:
 * formats/README.md says how, and what the completeness test (tests/unit/test_registry.c)
 * reports when a row lacks something. */
#ifndef YOLOPORT_REGISTRY_H
#define YOLOPORT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/format_id.h"
#include "engine/core/graph.h"

/* Defined elsewhere, opaque here: the export context (engine/export/export.h), the load
 * options (engine/registry/model.h), and what a runtime adapter runs (engine/runtime/runtime.h). */
struct ExportCtx;
struct LoadOptions;
struct FormatRun;

/* What a recogniser looks at.  kind says what the path is; for a regular file `head` holds
 * its first bytes (up to REGISTRY_PROBE_BYTES) and `size` its size. */
typedef enum {
    PROBE_MISSING, /* no such file: only a name ("yolov8n.yaml", a built-in config) */
    PROBE_FILE,    /* a regular, non-empty file */
    PROBE_DIR,     /* a directory */
} ProbeKind;

#define REGISTRY_PROBE_BYTES (64u << 10)

typedef struct {
    const char *path;
    ProbeKind kind;
    const uint8_t *head; /* PROBE_FILE: the first head_len bytes; else NULL */
    size_t head_len;
    uint64_t size;       /* PROBE_FILE: the file's size */
} FormatProbe;

/* Is the probed path this format?  Decided by content, never by name.  true: it is (the
 * row's reader opens it, or the row says why it is not opened).  false: it is not; err may
 * then hold one line naming the path and saying what it looks like instead ("x.pt: damaged
 * zip archive"), which model_load shows when no row claims the path.  Never reads more than
 * it needs; never fails otherwise. */
typedef bool (*FormatRecogniseFn)(const FormatProbe *probe, char *err, size_t errlen);

/* Read the model at path into a new Graph (caller frees with graph_free) with its
 * metadata, GraphMeta.source_format set to the row's id.  opt is never NULL here.  NULL + a
 * message naming the file and the problem. */
typedef Graph *(*FormatReadFn)(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);

/* The export stage (engine/export/export_<fmt>.c, declared in engine/export/export.h): write
 * the artifact for ctx's format to temporaries, read it back and check it against the source,
 * commit it into place.  0, or -1 + a message (one line naming the file and the problem).
 * Called on a job's worker thread. */
typedef int (*FormatWriteFn)(struct ExportCtx *ctx, char *err, size_t errlen);

/* Open an artifact of this format in the format's own runtime (a runtime adapter: a library
 * loaded at run time through its C API; engine/runtime/runtime.h): run->path in, a session in
 * run->session and what was looked for in run->probe out.  0, or -1 + a message (the runtime
 * not found, refused, or unable to open the file). */
typedef int (*FormatRunFn)(struct FormatRun *run, char *err, size_t errlen);

/* Produce ctx's artifact by driving the row's external `tool` (spawned, streamed into the
 * job's log, cancellable; locally or on host=), as an export stage does: the stages of
 * engine/tools/stages.h (TensorRT, the peer's exporter, the converters). */
typedef int (*FormatToolFn)(struct ExportCtx *ctx, char *err, size_t errlen);

typedef struct {
    FormatId id;
    const char *key;           /* format_id_key(id): "pt", "onnx", "yaml" (info's source word) */
    const char *name;          /* display name, the peer's "Format" column: "ONNX"; "Model config" */

    /* -- export table rows (NULL / false / 0 in a source-only row) -- */
    const char *argument;      /* the format= value: "onnx"; "-" for PyTorch (not exportable) */
    const char *const *aliases;/* other accepted format= values, NULL-terminated list (never NULL):
                                  engine: "tensorrt", "trt"; coreml: "mlmodel", "mlpackage",
                                  "mlprogram", "apple", "ios" */
    const char *suffix;        /* output naming, the peer's "Suffix" column: <stem> + suffix,
                                  ".onnx", "_openvino_model" */
    bool dir_output;           /* the artifact <stem><suffix> is a directory, not a file */
    bool cpu, gpu;             /* the peer's CPU/GPU columns: inference supported on that device */
    uint32_t args;             /* the arguments the format honours: the peer's "Arguments" column
                                  as a bitmask of EXPORT_ARG_BIT(key) (engine/export/export_args.h);
                                  what validate_args accepts */
    const char *peer_args;     /* the same column as the peer prints it, in its order:
                                  "batch, dynamic, half, opset, simplify, nms" ("" when empty) */
    const char *our_args;      /* arguments yoloport honours beyond the peer's column, in the same
                                  form ("int8, fraction" for ONNX: INT8 ONNX is ours); NULL: none */
    uint32_t ours;             /* our_args as a bitmask; validate_args accepts args | ours (see
                                  format_honours), the metadata's 'args' lists them only when the
                                  export uses them */
    bool dynamic_hw_only;      /* dynamic=True (when honoured) makes height and width dynamic with the
                                  batch fixed and no shape arithmetic in the graph: runtimes that
                                  resize convolutions but cannot read a shape (LoadOptions) */
    const char *matrix_id;     /* the option's name in share/matrix/<lang>.json, which is its id
                                  there ("TF Lite"); NULL when the matrix has no such option */

    /* -- operations -- */
    FormatRecogniseFn recognise; /* NULL: files of this format are not recognised */
    FormatReadFn read;           /* NULL: not read (the recogniser may still name the file) */
    bool read_builds;            /* the reader builds the model from its layer list (checkpoints,
                                    configs): LoadOptions' imgsz, batch, dynamic and fuse apply and
                                    the peer's summary lines exist.  false: the file's own graph,
                                    with the input shape it fixes */
    const char *source_text;     /* when read != NULL: how usage texts name such a model, "an ONNX
                                    file (.onnx)"; NULL otherwise */
    const char *unreadable_reason; /* when recognise != NULL and read == NULL: what the file is and
                                    what to open instead ("a TensorRT engine (its plan runs only in
                                    TensorRT ...)"); NULL otherwise */
    FormatWriteFn write;       /* write it: the export stage; NULL when this build has none */
    OpWriteSupport (*write_ops)(OpKind op); /* when write != NULL: the writer's op table (formats/
                                  <fmt>.h), so "cannot express op X" is known before writing */
    const char *unavailable_reason; /* export rows, when write == NULL: why, honestly and
                                  specifically, starting "not available in this build: ..." */
    FormatRunFn run;           /* open it in its own runtime (NULL: none this build drives) */
    FormatToolFn drive_tool;   /* make it with `tool` (NULL: no tool makes it) */
    const char *tool;          /* external tool that can produce this format on a host that has it
                                  ("trtexec", "ovc", "pnnx", "edgetpu_compiler", ...); NULL when none */
    const char *tool_note;     /* one line on that tool (where it comes from, what it needs); NULL
                                  when tool is NULL */
} FormatInfo;

/* The arguments a format honours: the peer's column and yoloport's own. */
static inline uint32_t format_honours(const FormatInfo *f) { return f->args | f->ours; }

/* Number of rows in the export table (FMT_COUNT). */
int registry_count(void);

/* Export table row i (0 <= i < registry_count(), also a FormatId); NULL when out of range
 * (source-only rows are not part of the export table: see registry_row). */
const FormatInfo *registry_get(int i);

/* The row of any id, export table or source-only (FMT_YAML); NULL for FMT_NONE or out of
 * range. */
const FormatInfo *registry_row(FormatId id);

/* Look up an exportable format by its format= argument or an alias, case-insensitively
 * ("ONNX", "trt", "mlpackage").  NULL when unknown.  PyTorch ("-") is not exportable and is
 * never returned, nor is a source-only row. */
const FormatInfo *registry_find(const char *argument);

/* The closest exportable format argument to a misspelt one, with difflib.get_close_matches
 * semantics (n=1, cutoff=0.6, SequenceMatcher ratio 2*M/T; candidates are the 15 format=
 * arguments, not the aliases, matching the peer): 'onx'->"onnx", 'tflit'->"tflite",
 * 'openvno'->"openvino", 'xyz'->NULL.  The input is lowercased first.  Static string or NULL. */
const char *registry_suggest(const char *argument);

/* The peer's list of valid formats as a Python tuple, as its error message prints it:
 * "('torchscript', 'onnx', ..., 'rknn')".  Static string. */
const char *registry_valid_formats_text(void);

/* The model kinds this build opens, for usage texts: every row's source_text, in row order,
 * joined with ", " and a last " or ": "an Ultralytics checkpoint (.pt), an ONNX file (.onnx),
 * ... or a model config (yolov8n.yaml, built in)".  Static string. */
const char *registry_sources_text(void);

/* The format= arguments this build writes (export rows with a stage), in the table's order,
 * joined the same way: "torchscript, onnx, openvino or tfjs".  Static string. */
const char *registry_writable_text(void);

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
