/* torchscript: a native TorchScript writer (no Python, no PyTorch) and a structural reader
 * for the archives it writes.
 *
 * An archive is a zip of stored entries under one folder <name>/:
 *   data.pkl                  pickle protocol 2: the module object (GLOBAL
 *                             '__torch__.yoloport <Class>', EMPTY_TUPLE, NEWOBJ) and its state
 *                             (training False, every weight as torch._utils._rebuild_tensor_v2
 *                             of a persistent storage id) applied with BUILD;
 *   code/__torch__/yoloport.py  `class <Class>(Module):` with typed attributes and a typed
 *                             forward() whose body is straight-line TorchScript, one line per IR
 *                             node in graph order (torch.conv2d, torch.silu, torch.cat, ...);
 *   constants.pkl             an empty tuple (constants are literals or module buffers);
 *   version                   "3", or "4" when the code calls torch.div (as torch itself does);
 *   data/<key>                one little-endian storage per tensor (float32, float16 with half);
 *   extra/config.txt          the export metadata as JSON, formatted as Python's json.dumps.
 * It loads with torch.jit.load (checked with PyTorch 1.13) and runs on CPU or GPU.
 *
 * Value kinds in the generated code: tensors; learned weights become parameters, other
 * constant tensors buffers (so .float()/.half()/.to() convert them); scalar constants are
 * inlined; integer vectors feeding shapes, slices and sizes become list literals; a Shape
 * result is a List[int] (torch.size), so dynamic graphs (symbolic batch/height/width) work.
 */
#ifndef YOLOPORT_TORCHSCRIPT_H
#define YOLOPORT_TORCHSCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"

/* The module path of the class in every archive we write, and its code file. */
#define TORCHSCRIPT_MODULE "__torch__.yoloport"
#define TORCHSCRIPT_CODE_FILE "code/__torch__/yoloport.py"

typedef struct {
    bool half;                /* float16 storages for floating weights (else float32) */
    const char *archive_name; /* the zip's top folder; NULL = the file name without suffix */
    /* extra/config.txt, in order: each value is the JSON text of that value ("32",
     * "\"detect\"", "[640, 640]", "{\"0\": \"person\"}"), re-emitted as Python's
     * json.dumps writes it (", " and ": " separators, non-ASCII as \uXXXX).  A value
     * that is not valid JSON, or a repeated key, is an error.  n_metadata 0 writes "{}". */
    const KeyValue *metadata;
    int n_metadata;
} TorchScriptOptions;

/* Write g as a TorchScript archive at path: written to a temporary name beside path and
 * renamed into place when complete (an existing file is replaced only then; on any error
 * nothing is left behind).  The graph must hold weight data (not a shapes-only load) and
 * pass graph_validate.  -1 + a message naming the file, or the node and op that cannot be
 * expressed ("/model.22/Foo (NonMaxSuppression): ..."). */
int torchscript_write(const Graph *g, const TorchScriptOptions *opt, const char *path, char *err, size_t errlen);

/* ---- the generated module (used by the writer; also a preview of the code) ---- */

typedef struct {
    int tensor;       /* graph tensor index */
    const char *name; /* attribute name (a Python identifier, unique) */
    bool parameter;   /* __parameters__ (a learned weight) or __buffers__ */
} TorchScriptAttr;

typedef struct {
    char *class_name;        /* "DetectionModel" (from the task) */
    char *code;              /* the whole code file, NUL-terminated */
    TorchScriptAttr *attrs;  /* the module's tensors, in first-use order */
    int n_attrs;
    int n_inputs, n_outputs; /* forward's arguments (after self) and returned tensors */
    int version;             /* archive version the code needs: 3, or 4 with torch.div */
    Arena *arena;            /* owns attr names */
} TorchScriptModule;

/* The TorchScript writer's op table (formats/torchscript_code.c): OP_WRITE_YES for each op
 * it translates, OP_WRITE_NO for the rest (OP_OTHER included).  Code generation checks every
 * node against it before it generates anything. */
OpWriteSupport torchscript_write_op_support(OpKind op);
/* The reader's inverse of the table's elementwise rows: the op written as torch_fn
 * ("torch.silu" -> OP_SILU), OP_OTHER for any other name. */
OpKind torchscript_unary_op(const char *torch_fn);

/* Translate g into the module's code and attribute list.  The class name comes from
 * g->meta.task (DetectionModel, SegmentationModel, PoseModel, OBBModel,
 * ClassificationModel; "Model" otherwise).  Needs shapes only, not data.  0, or -1 + a
 * message naming the node and op; out is then empty.  Free with torchscript_module_free. */
int torchscript_codegen(const Graph *g, TorchScriptModule *out, char *err, size_t errlen);
void torchscript_module_free(TorchScriptModule *m);

/* extra/config.txt for a metadata list (see TorchScriptOptions.metadata): heap text or
 * NULL + a message naming the key whose value is not JSON. */
char *torchscript_metadata_json(const KeyValue *kv, int n, char *err, size_t errlen);

/* ---- reading back ---- */

typedef struct {
    char archive_name[256];   /* the top folder */
    char class_name[256];     /* "__torch__.yoloport.DetectionModel" */
    int version;
    int n_entries;            /* zip entries */
    int n_compressed;         /* deflated entries (torch deflates code at times; we never do) */
    int n_tensors;            /* tensors in data.pkl (parameters and buffers, nested too) */
    int n_constants;          /* tensors in constants.pkl */
    int n_storages;           /* data/<key> entries */
    int64_t n_elements;       /* sum of the data.pkl tensors' element counts */
    int64_t data_bytes;       /* sum of the data/ entry sizes */
    DType dtype;              /* the floating storages' element type; DT_UNDEFINED if mixed */
    int n_inputs, n_outputs;  /* from forward's signature (-1 when not found) */
    char *metadata;           /* extra/config.txt text (heap, NULL when absent) */
    char task[32];            /* metadata fields ("" / 0 when absent) */
    int stride, batch, imgsz[2], n_names, channels;
    bool dynamic;             /* args.dynamic: exported with dynamic=True */
} TorchScriptInfo;

/* Read the archive at path (libzip; data.pkl and constants.pkl through the safe unpickler,
 * which admits __torch__ classes only here) and check its structure: one top folder,
 * stored storages (other entries may be deflated: counted), version 1..10, data.pkl a __torch__ module object whose tensors all
 * reference present storages of the right size (within bounds, overflow-checked), the
 * class's code file with a forward(), constants.pkl, and extra/config.txt a JSON object.
 * 0 with *out filled (free with torchscript_info_free), or -1 + a message naming the file
 * and the problem. */
int torchscript_inspect(const char *path, TorchScriptInfo *out, char *err, size_t errlen);
void torchscript_info_free(TorchScriptInfo *info);

/* The export pipeline's structural check after torchscript_write(g, opt, path): inspect
 * the archive and compare it with what writing g with opt must have produced (class,
 * tensor count and element count, storage bytes and dtype, inputs/outputs, version, and
 * every metadata key and value).  0, or -1 + the first difference.  info may be NULL;
 * when not, it receives the inspection (free with torchscript_info_free). */
int torchscript_check(const char *path, const Graph *g, const TorchScriptOptions *opt, TorchScriptInfo *info,
                      char *err, size_t errlen);

/* ---- reading back into the IR (formats/torchscript_graph.c) ---- */

typedef struct {
    char *name;                   /* the module attribute ("model_0_conv_weight") */
    DType dtype;                  /* as stored (float32 or float16 for ours) */
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    void *data;                   /* the elements, contiguous (heap) */
    size_t nbytes;
} TorchScriptWeight;

typedef struct {
    TorchScriptInfo info;
    char *code;                   /* the class's code file (heap, NUL-terminated) */
    size_t code_len;
    TorchScriptWeight *weights;   /* the module's tensors, in data.pkl order */
    int n_weights;
} TorchScriptArchive;

/* torchscript_inspect, keeping the code file and the module's tensors with their data
 * (contiguous ones only).  0 with *out filled (free with torchscript_archive_free), or -1 +
 * a message naming the file. */
int torchscript_open(const char *path, TorchScriptArchive *out, char *err, size_t errlen);
void torchscript_archive_free(TorchScriptArchive *a);

/* Read an archive yoloport wrote back into a Graph: the forward() of its code file is parsed
 * (nothing is executed) and each torch call mapped back to the IR op the writer emitted it
 * from; `self.<name>` operands are the module's tensors.  Only straight-line code is read:
 * other statements and archives written by torch.jit (module hierarchies) are refused by
 * name.  A dynamic=True export (code reading sizes with torch.size and computing with them,
 * or args.dynamic in extra/config.txt) has a symbolic batch, height and width, as the
 * dynamic ONNX export does.  *how says how the engine finishes the graph (its reader in
 * engine/registry/readers.c): shapes inferred at the input's size (extra/config.txt's batch
 * and imgsz), and a float16 archive computing in float16 (pass_half), as the export's check
 * does.  A new Graph (metadata from extra/config.txt), or NULL + "<file>: code line N: ...". */
typedef struct {
    int64_t dims[4]; /* the input's size at export: batch, channels, height, width */
    bool dynamic;    /* the code reads sizes at run time: batch, height and width are symbolic */
    bool half;       /* float16 storages */
} TorchScriptRead;
Graph *torchscript_read(const char *path, TorchScriptRead *how, char *err, size_t errlen);

/* The parser alone, on code text (what names the text in messages): a Graph with one node
 * per call (no metadata, no shapes inferred), or NULL + a message.  weights are copied. */
Graph *torchscript_graph_from_code(const char *what, const char *code, size_t len, const TorchScriptWeight *weights,
                                   int n_weights, char *err, size_t errlen);

#endif
