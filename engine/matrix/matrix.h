/* matrix: the deployment-option comparison matrix (share/matrix/<lang>.json) — fourteen export
 * options rated on seven criteria, in English and Chinese — and the live columns (what this host
 * can do, the last export).  Data only: the workbench's Matrix screen draws its own widgets from
 * the accessors below; the CLI (`yoloport matrix`) renders it with tui/matrix_render.h.
 *
 * Call order: matrix_load() (or matrix_load_file()) once per language, then any accessor or
 * renderer from any thread (a loaded Matrix is immutable), then matrix_free().  Loading reads a
 * file: do it off the UI thread, or once at start-up before the UI starts. */
#ifndef YOLOPORT_MATRIX_H
#define YOLOPORT_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/host/host.h"

/* The languages shipped in share/matrix/; "en" is the first. */
#define MATRIX_LANGS "en", "zh"
#define MATRIX_LANG_COUNT 2

/* Criteria keys, in display order.  They are stable: scripts select them with --criteria,
 * the JSON output is keyed by them, and every language file must have exactly these. */
#define MATRIX_CRITERIA(X)                                                                         \
    X(performance)                                                                                 \
    X(compatibility)                                                                               \
    X(community)                                                                                   \
    X(use_cases)                                                                                   \
    X(maintenance)                                                                                 \
    X(security)                                                                                    \
    X(acceleration)
#define MATRIX_CRITERION_COUNT 7

/* One criterion (a column).  Strings are owned by the Matrix. */
typedef struct {
    const char *key;   /* stable key, e.g. "use_cases" */
    const char *title; /* heading in the file's language, e.g. "Typical uses" / "典型用途" */
    const char *about; /* one sentence saying what the criterion weighs */
} MatrixCriterion;

/* One deployment option (a row).  Strings and arrays are owned by the Matrix. */
typedef struct {
    const char *name;       /* display name: "PyTorch", "TF SavedModel", "MNN" */
    const char *argument;   /* `format=` value as in the export registry: "onnx", "engine"; "-" for PyTorch */
    const char *suffix;     /* artifact suffix: ".onnx", "_openvino_model", ".pt" */
    bool cpu, gpu;          /* inference supported on CPU / on GPU (registry columns) */
    const char *const *arguments; /* export arguments the format honours, registry order */
    int n_arguments;
    const char *summary;    /* one or two sentences introducing the option */
    const char *hardware;   /* target hardware, prose */
    const char *runtime;    /* what must be installed to run the artifact, prose */
    const char *const *tools; /* external tools (host.h names: "trtexec", "ovc", …) that can produce or
                               * check this format; may be empty */
    int n_tools;
    const char *const *cells;   /* [MATRIX_CRITERION_COUNT] short cell per criterion (criteria order) */
    const char *const *details; /* [MATRIX_CRITERION_COUNT] longer description per criterion */
} MatrixOption;

/* Localised labels for the UI and the renderers (headings of the extra columns, yes/no, …).
 * Every field is non-NULL after a successful load. */
typedef struct {
    const char *title;       /* "Deployment options" */
    const char *option;      /* heading of the first column: "Option" */
    const char *argument;    /* "format=" */
    const char *suffix, *cpu, *gpu, *arguments, *hardware, *runtime, *tools;
    const char *yes, *no, *none; /* "yes" / "no" / "none" (empty argument list) */
    const char *here;        /* live column heading: "Here" */
    const char *last;        /* live column heading: "Last export" */
    const char *avail_builtin, *avail_tool, *avail_missing, *avail_source; /* MatrixAvail words */
    const char *narrow_note; /* shown above the stacked layout when a table would not fit */
} MatrixLabels;

typedef struct Matrix Matrix;

/* Load share/matrix/<lang>.json (path from paths_share()).  lang is "en" or "zh".
 * Returns a new Matrix (free with matrix_free) or NULL with a message in err naming the file
 * and the field ("…/zh.json: options[3].cells.security: empty string").  Validation: valid
 * JSON; "lang" equals lang; exactly the MATRIX_CRITERIA keys in order; one option per export
 * registry row that has a matrix_id (engine/registry/registry.h; fourteen today), in the
 * registry's order and named by that id, whose argument, suffix, cpu, gpu and arguments equal
 * that row; every string field present and non-empty; cpu/gpu booleans; arguments and tools
 * arrays of non-empty strings. */
Matrix *matrix_load(const char *lang, char *err, size_t errlen);
/* The same from an explicit path (tests, tools).  lang may be NULL: then any "lang" is accepted. */
Matrix *matrix_load_file(const char *path, const char *lang, char *err, size_t errlen);
void matrix_free(Matrix *m);

/* Check that two loaded languages agree on everything that is not prose: same option names
 * in the same order, same argument, suffix, cpu, gpu, arguments and tools, same criteria keys.
 * 0 when they agree, else -1 with a message naming both languages, the option and the field. */
int matrix_check_pair(const Matrix *a, const Matrix *b, char *err, size_t errlen);

/* Accessors.  Indices are 0-based; an out-of-range index returns NULL. */
const char *matrix_lang(const Matrix *m);
const char *matrix_path(const Matrix *m); /* the file it was loaded from */
const MatrixLabels *matrix_labels(const Matrix *m);
int matrix_option_count(const Matrix *m);           /* 14 */
const MatrixOption *matrix_option(const Matrix *m, int i);
int matrix_criterion_count(const Matrix *m);        /* MATRIX_CRITERION_COUNT */
const MatrixCriterion *matrix_criterion(const Matrix *m, int i);
const char *matrix_cell(const Matrix *m, int option, int criterion);   /* short text */
const char *matrix_detail(const Matrix *m, int option, int criterion); /* longer text */
/* Lookups, -1 when absent.  matrix_option_find accepts the format argument ("onnx"), the
 * display name ("TF Lite", case-insensitive), the suffix without its leading '.' or '_'
 * ("pt", "openvino_model") and the peer's aliases (tensorrt/trt → engine; mlmodel, mlpackage,
 * mlprogram, apple, ios → coreml; pytorch → PyTorch). */
int matrix_option_find(const Matrix *m, const char *name);
int matrix_criterion_find(const Matrix *m, const char *key);
/* Key of criterion i in the built-in order (no Matrix needed); NULL when out of range. */
const char *matrix_criterion_key(int i);

/* ---- live columns: what the workbench knows about this host and this session ---- */

/* Whether the option can be exported here. */
typedef enum {
    MATRIX_AVAIL_UNKNOWN = 0, /* not filled: the renderer prints nothing */
    MATRIX_AVAIL_BUILTIN,     /* yoloport writes it itself ("export available here") */
    MATRIX_AVAIL_TOOL,        /* needs an external tool, and it was found on PATH */
    MATRIX_AVAIL_MISSING,     /* not in this build, or its tool is not installed */
    MATRIX_AVAIL_SOURCE,      /* the source format (PyTorch): read natively, never written */
} MatrixAvail;

/* Outcome of the last export of that option in this session, in the peer's legend. */
typedef enum {
    MATRIX_RUN_NONE = 0,     /* no export yet: the renderer prints nothing */
    MATRIX_RUN_RUNNING,      /* "…" */
    MATRIX_RUN_PASSED,       /* ✅ written and checked */
    MATRIX_RUN_CHECK_FAILED, /* ❎ written but the check failed */
    MATRIX_RUN_FAILED,       /* ❌ export failed */
    MATRIX_RUN_UNCHECKED,    /* – written, its check did not run */
} MatrixRunStatus;

/* One row of live facts.  The caller owns the array and the strings; the renderers only read
 * them during the call. */
typedef struct {
    MatrixAvail avail;
    const char *tool;       /* tool name or path when avail == MATRIX_AVAIL_TOOL (may be NULL) */
    MatrixRunStatus status;
    int64_t size_bytes;     /* artifact size; < 0 when unknown */
    double seconds;         /* export wall time; < 0 when unknown */
} MatrixLive;

/* Initialise n rows to "nothing known" (avail UNKNOWN, status NONE, size and time -1). */
void matrix_live_init(MatrixLive *rows, int n);
/* Fill the `avail` (and `tool`) of rows[0 .. matrix_option_count(m)-1] for this build and host:
 * SOURCE for PyTorch; BUILTIN when the export registry (engine/registry/registry.h) has a writer for
 * the option's format; else TOOL when one of the option's tools was found on PATH by
 * host_detect() (`tool` then points at the path inside *host: keep host alive while the rows
 * are used); else MISSING.  status, size and time are left as they are.  host may be NULL (no
 * tool lookup).  No I/O: cheap enough for the UI thread once host facts are in. */
void matrix_live_fill_avail(const Matrix *m, const HostFacts *host, MatrixLive *rows);
/* The live rows' text (what the command line and the Matrix screen show) is presentation:
 * matrix_live_avail_text / matrix_live_run_text in tui/matrix_render.h. */

#endif
