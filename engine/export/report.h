/* report: what an export produced and how well it checked out — every artifact with its
 * size (MB as the peer prints them), its ratio to the source file and the precision its
 * weights are really stored in; every check with its status in the peer's legend
 * (✅ passed, ❎ written but check failed, ❌ failed) and max |Δ| — plus the small
 * formatting helpers that make our log lines read exactly like the peer's (colorstr,
 * Python reprs, isoformat dates, shape tuples).  No curses, no threads: a Report is
 * plain data the exporter fills and the CLI (tui/cli_export.c: the size report, the colour
 * rule for a terminal) or the workbench shows.
 */
#ifndef YOLOPORT_REPORT_H
#define YOLOPORT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/core/graph.h"

/* ---- precision actually stored -------------------------------------------------------- */

typedef enum { PREC_NONE, PREC_FP32, PREC_FP16, PREC_BF16, PREC_INT8, PREC_MIXED } Precision;

typedef struct {
    Precision kind;
    int64_t bytes_f32, bytes_f16, bytes_bf16, bytes_i8; /* weight bytes by storage type */
    char text[64];                                      /* "fp16", "mixed (fp16 97%, fp32 3%)" */
} PrecisionInfo;

/* Scan g's initializers (weights: float or 8-bit tensors of 16 elements or more; shape
 * vectors and scalars such as Resize scales do not count) and say how they are stored. */
void report_scan_precision(const Graph *g, PrecisionInfo *out);
const char *precision_name(Precision p); /* "fp32", "fp16", "bf16", "int8", "mixed", "-" */

/* ---- checks and artifacts ------------------------------------------------------------- */

typedef enum { CHECK_PASSED, CHECK_WRITTEN_FAILED, CHECK_FAILED, CHECK_SKIPPED } CheckStatus;
/* The peer's legend: "✅", "❎", "❌"; "–" for skipped. */
const char *check_status_mark(CheckStatus s);
const char *check_status_word(CheckStatus s); /* "passed", "written but check failed", ... */
/* An artifact's status in words: "passed", "written but check failed", "failed", and for
 * CHECK_SKIPPED "written, not checked" (its numeric check did not run: never "passed"). */
const char *artifact_status_word(CheckStatus s);

typedef struct {
    char *name;           /* "interface", "numeric" */
    CheckStatus status;
    double max_abs_delta; /* numeric checks; negative when not applicable */
    double tolerance;
    char *detail;         /* one line: what was compared, or what went wrong */
} ReportCheck;

typedef struct {
    char *path;           /* as printed in the log ('yolov8n.onnx' or the full path given) */
    char *format;         /* "ONNX" */
    int64_t bytes;        /* file (or directory) size */
    PrecisionInfo precision;
    double seconds;       /* time for this format's stage */
    CheckStatus status;   /* worst of its checks */
    double max_abs_delta; /* from its numeric check, negative when none */
    char *built_on;       /* made by an external tool: where and with what ("gpu-box: TensorRT
                             10.3.0, NVIDIA A100 (compute 8.0), driver 535.54.03, CUDA 12.2");
                             NULL when yoloport wrote it here (report_set_built_on) */
    double map, map_ref;  /* an INT8 artifact's accuracy check: its mAP50-95 and the source's on
                             the same images; negative when not measured (report_set_accuracy) */
    char *accuracy;       /* "mAP50-95 0.631 (−0.007 vs fp32)", NULL when not measured */
    char *accuracy_data;  /* what it was measured on ("coco8.yaml val, 4 images"), NULL when none */
} ReportArtifact;

typedef struct {
    char *source_path;
    int64_t source_bytes; /* 0 for a model built from a config */
    ReportArtifact *artifacts;
    int n_artifacts;
    ReportCheck *checks;
    int n_checks;
    double total_seconds;
} Report;

void report_init(Report *r, const char *source_path, int64_t source_bytes);
void report_free(Report *r);
/* Strings are copied.  Returns the new entry (valid until the next add). */
ReportArtifact *report_add_artifact(Report *r, const char *path, const char *format, int64_t bytes,
                                    const PrecisionInfo *precision, double seconds);
ReportCheck *report_add_check(Report *r, const char *name, CheckStatus status, double max_abs_delta,
                              double tolerance, const char *detail);
/* Set (copy) an artifact's built_on text. */
void report_set_built_on(ReportArtifact *a, const char *text);
/* Record an artifact's accuracy against its source (mAP50-95 of each; data may be NULL) and
 * its text, "mAP50-95 0.631 (−0.007 vs fp32)" (the sign as a minus or plus sign). */
void report_set_accuracy(ReportArtifact *a, double map, double map_ref, const char *data);
/* The drop an accuracy check allows: an INT8 artifact whose mAP50-95 falls further below the
 * source's is written but its check fails (❎). */
#define REPORT_MAX_MAP_DROP 0.05
/* Deep copy (for handing a report to another thread). */
void report_copy(Report *dst, const Report *src);

/* ---- the peer's formatting ------------------------------------------------------------ */

/* Size in MiB, as the peer's file_size(). */
static inline double report_mib(int64_t bytes) { return bytes > 0 ? (double)bytes / (1 << 20) : 0.0; }
/* The peer's colorstr: style "blue bold" (default when NULL), "bold", "red", ... into buf;
 * plain text when !color.  Returns buf. */
const char *report_colorstr(char *buf, size_t len, const char *style, const char *text, bool color);
/* Python repr of a str ('person', "it's"); heap string. */
char *report_py_repr(const char *s);
/* Python repr of {0: 'person', 1: 'bicycle'}; heap string. */
char *report_py_names(const char *const *names, int n);
/* datetime.now().isoformat(): "2026-11-22T02:22:20.141412" (no fraction when it is 0). */
void report_isoformat_now(char *buf, size_t len);
/* Python tuple of concrete dims "(1, 3, 640, 640)" into buf.  Returns buf. */
const char *report_shape_tuple(char *buf, size_t len, const int64_t *dims, int rank);

#endif
