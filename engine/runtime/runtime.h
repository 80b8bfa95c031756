/* runtime: running a model artifact behind one session interface -- in yoloport's own
 * executor ("builtin": every format the registry reads, through model_load and
 * engine/exec), or in the format's own runtime, a shared library loaded at run time
 * through its C API with dlopen (a registry row's `run` adapter: onnxruntime for ONNX).
 * predict, val, benchmark and the export check open sessions here; nothing links against
 * a runtime, so yoloport builds and starts without any of them.
 *
 * Finding a library.  A runtime's library (RuntimeInfo.soname) is looked for, in order:
 * the path given with runtime=NAME:PATH (a file, or a directory holding the soname), the
 * entries of $YOLOPORT_RUNTIME_PATH (':'-separated files or directories), the entries of
 * $LD_LIBRARY_PATH, then the usual library directories (/usr/local/lib, the multiarch and
 * plain /usr/lib directories, /opt/<name>/lib).  The first file found is examined: it must
 * be an ELF shared object for this machine, dlopen must accept it, and it must export the
 * entry point and API version the adapter calls; otherwise it is refused with a message
 * (never used).  dlopen runs the library's constructors: a library placed on these paths is
 * trusted code, like any library a program links.
 *
 * Threads.  A session is used by one thread at a time; sessions are independent.  Probing
 * and opening may run on any thread. */
#ifndef YOLOPORT_RUNTIME_H
#define YOLOPORT_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/format_id.h"
#include "engine/core/graph.h"

/* Every runtime yoloport knows: X(ID, name, display name, library soname, adapter in this
 * build, the format it runs, that format's files as messages name them).  `name` is what
 * runtime= accepts.  A runtime without an adapter is still looked for, so that `checks` can
 * say it is there and that this build cannot drive it. */
#define RUNTIMES(X)                                                                                          \
    X(BUILTIN, "builtin", "yoloport executor", NULL, true, FMT_NONE, "every format yoloport reads")          \
    X(ONNXRUNTIME, "onnxruntime", "ONNX Runtime", "libonnxruntime.so.1", true, FMT_ONNX, "ONNX (.onnx)")     \
    X(OPENVINO, "openvino", "OpenVINO", "libopenvino_c.so", false, FMT_OPENVINO, "OpenVINO IR")              \
    X(TFLITE, "tflite", "TensorFlow Lite", "libtensorflowlite_c.so", false, FMT_TFLITE, "TF Lite (.tflite)") \
    X(NCNN, "ncnn", "ncnn", "libncnn.so.1", true, FMT_NCNN, "ncnn (.param + .bin)")

typedef enum {
#define RUNTIME_ENUM_(id, name, display, soname, adapter, format, files) RUNTIME_##id,
    RUNTIMES(RUNTIME_ENUM_)
#undef RUNTIME_ENUM_
        RUNTIME_COUNT
} RuntimeId;

typedef struct {
    RuntimeId id;
    const char *name;     /* "onnxruntime" */
    const char *display;  /* "ONNX Runtime" */
    const char *soname;   /* "libonnxruntime.so.1"; NULL for builtin */
    bool adapter;         /* this build can run models in it */
    FormatId format;      /* the format it runs (FMT_NONE for builtin) */
    const char *files;    /* "ONNX (.onnx)": that format's files, for messages */
} RuntimeInfo;

/* The row of id (NULL out of range); the id named name ("onnxruntime"), or -1. */
const RuntimeInfo *runtime_info(RuntimeId id);
int runtime_find(const char *name);

/* What a probe found. */
typedef enum {
    RUNTIME_FOUND,     /* a usable library (path, version set) */
    RUNTIME_NOT_FOUND, /* nothing at any searched place (looked_in says where) */
    RUNTIME_REFUSED,   /* a file was found but is not what it claims (why says so) */
} RuntimeProbeStatus;

typedef struct {
    RuntimeProbeStatus status;
    char path[4096];       /* the library examined ("" when not found) */
    char version[64];      /* "1.30.0" when found (what the library reports) */
    char why[1024];        /* REFUSED: "<path>: not an ELF shared object" etc. */
    char looked_in[2048];  /* every place searched, in order, for messages */
} RuntimeProbe;

/* Look for id's library (explicit: a runtime=NAME:PATH path or NULL) and, when the adapter
 * exists, check that it is what it claims (opening it with dlopen; it stays loaded).  For a
 * runtime without an adapter only the file is looked for (version stays "").  Never fails:
 * the outcome is in *out.  builtin is always FOUND (version: yoloport's). */
void runtime_probe(RuntimeId id, const char *explicit_path, RuntimeProbe *out);

/* ---- sessions ------------------------------------------------------------------------ */

typedef struct {
    char name[128];
    int rank;
    int64_t dims[GRAPH_MAX_RANK]; /* -1: dynamic */
    bool half;                    /* stored as float16 (the session converts) */
} RuntimeTensorInfo;

typedef struct RuntimeSession RuntimeSession;

typedef struct {
    /* Run on x (float32, row-major, dims[0..rank)); 0 or -1 + message. */
    int (*run)(RuntimeSession *s, const float *x, const int64_t *dims, int rank, char *err, size_t errlen);
    /* Output i after a run: float32 owned by the session until the next run or close. */
    const float *(*output)(RuntimeSession *s, int i, int64_t *dims, int *rank);
    void (*close)(RuntimeSession *s);
} RuntimeSessionOps;

struct RuntimeSession {
    const RuntimeSessionOps *ops;
    RuntimeId runtime;
    char label[128];        /* "onnxruntime 1.30.0", "yoloport executor": what check lines name */
    char version[64];
    char library[4096];     /* the library's path ("" for builtin) */
    RuntimeTensorInfo input;
    int n_outputs;
    const Graph *model;     /* the model's facts (metadata: task, names, strides, imgsz, kpt_shape)
                               read by our reader; owned by the session; NULL when our reader
                               cannot read the file.  A run may replace it (the builtin runtime
                               builds some checkpoints again for each input size): read it
                               again after a run rather than keeping pointers into it */
    FormatId format;        /* the artifact's format */
    int threads;            /* threads a run uses as asked of the runtime (builtin: the executor's;
                               onnxruntime: its intra-op threads, 0 = its default) */
    const volatile int *cancel; /* polled by the builtin runtime between nodes (may be NULL) */
    void *impl;
};

/* What a registry row's `run` adapter gets (engine/registry/registry.h's FormatRunFn). */
struct FormatRun {
    const char *path;       /* the artifact (a file, or a directory format's folder) */
    const char *library;    /* runtime=NAME:PATH's PATH, or NULL to search */
    int threads;            /* 0: the runtime's default (every core) */
    /* out */
    RuntimeId runtime;      /* the runtime the adapter drives */
    RuntimeSession *session;/* on success; the caller closes it with runtime_close */
    RuntimeProbe probe;     /* what was looked for and found (also on failure) */
};

typedef struct {
    const char *runtime;    /* "auto" (NULL, ""), "builtin", "onnxruntime", "onnxruntime:PATH" */
    int imgsz[2];           /* builtin, a model it builds (.pt, .yaml): build size; 0 = default */
    bool fixed;             /* builtin: build at imgsz exactly (false: any input size) */
    int threads;            /* threads one run uses (builtin: ExecOptions.threads; onnxruntime:
                               intra-op threads); 0: the runtime's default (every core) */
    const volatile int *cancel;
    /* out: one line saying why the format's own runtime was not used ("onnxruntime: no
       libonnxruntime.so.1 in ..."), "" when it was or none exists for the format */
    char fallback[1200];
} RuntimeOpenOptions;

/* Parse a runtime= value: "auto" (or empty/NULL), "NAME" or "NAME:PATH".  *id = -1 for auto;
 * path (may be NULL) receives PATH or "".  0, or -1 + message for an unknown name. */
int runtime_parse_spec(const char *spec, int *id, char *path, size_t pathlen, char *err, size_t errlen);

/* Open path for running.  auto: the format's own runtime when its row has an adapter and
 * the library is found (else builtin, with the reason in o->fallback); a named runtime: that
 * one or an error (a refused or missing library is an error then, naming what was looked
 * for).  builtin reads the model with model_load (fused; a checkpoint or config is built for
 * any input size unless o->fixed; one whose blocks fix their sizes when built -- YOLOv10's and
 * RT-DETR's end-to-end heads, YOLO-World's image pooling -- is built for o->imgsz and built again
 * at each new input size a run brings, its input then reported as any size).  NULL + message
 * naming the file and the problem. */
RuntimeSession *runtime_open(const char *path, RuntimeOpenOptions *o, char *err, size_t errlen);

/* Open a graph the caller already holds in the executor on threads threads (0: the
 * executor's default); the graph must outlive the session, which does not free it. */
RuntimeSession *runtime_open_graph(const Graph *g, int threads, const volatile int *cancel, char *err, size_t errlen);

static inline int runtime_run(RuntimeSession *s, const float *x, const int64_t *dims, int rank, char *err,
                              size_t errlen)
{
    return s->ops->run(s, x, dims, rank, err, errlen);
}
static inline const float *runtime_output(RuntimeSession *s, int i, int64_t *dims, int *rank)
{
    return s->ops->output(s, i, dims, rank);
}
void runtime_close(RuntimeSession *s);

/* The onnxruntime adapter (engine/runtime/runtime_ort.c), the ONNX row's `run`. */
int runtime_ort_run(struct FormatRun *run, char *err, size_t errlen);
/* Examine the library at path as onnxruntime (ELF, dlopen, OrtGetApiBase, API version 1):
 * 0 + version, or -1 + why. */
int runtime_ort_check_library(const char *path, char *version, size_t vlen, char *why, size_t whylen);

/* The ncnn adapter (engine/runtime/runtime_ncnn.c), the NCNN row's `run`: a _ncnn_model
 * folder or a .param (its .bin beside it) in ncnn, float32 arithmetic, no Vulkan. */
int runtime_ncnn_run(struct FormatRun *run, char *err, size_t errlen);
/* Examine the library at path as ncnn (ELF, dlopen, the C API's functions, ncnn_version):
 * 0 + version, or -1 + why. */
int runtime_ncnn_check_library(const char *path, char *version, size_t vlen, char *why, size_t whylen);

/* ---- helpers shared by the adapters (engine/runtime/runtime.c) ------------------------ */

/* A library an adapter examined: runtime_check_elf, then dlopen (RTLD_NOW, local, never
 * unloaded: runtimes keep thread pools and static state).  The handle, or NULL + why
 * ("<path>: dlopen refused it: ..."). */
void *runtime_dlopen(const char *path, char *why, size_t whylen);

/* An adapter's first step: run->session NULL, run->runtime id, the library looked for
 * (run->library or the search) into run->probe.  0 when found, else -1 + "NAME: no SONAME in
 * ..." or "NAME: refused ...". */
int runtime_adapter_probe(struct FormatRun *run, RuntimeId id, char *err, size_t errlen);

/* The found library would not load as the runtime (why): the probe says refused; -1 +
 * "NAME: refused <why>". */
int runtime_adapter_refuse(struct FormatRun *run, const char *why, char *err, size_t errlen);

/* A session opened by run's adapter: its runtime, version, library, label ("ncnn 1.0.x") and
 * thread count from run. */
void runtime_adapter_stamp(RuntimeSession *s, const struct FormatRun *run);

/* Is path an ELF shared object for this machine?  0, or -1 + why ("<path>: not an ELF file
 * (it starts with ...)", "...: built for another machine (e_machine 183)"). */
int runtime_check_elf(const char *path, char *why, size_t whylen);

/* The library search of the header comment for soname (explicit may be NULL): the first
 * existing candidate into path (true), or false; looked_in lists every place tried. */
bool runtime_search(const char *name, const char *soname, const char *explicit_path, char *path, size_t pathlen,
                    char *looked_in, size_t looked_len);

#endif
