/* matrix_render: the deployment-option matrix (engine/matrix/matrix.h) as text for the
 * command line — a terminal table fitted to a width, GitHub markdown, JSON or CSV — and the
 * live columns' text that the Matrix screen shows too. */
#ifndef YOLOPORT_MATRIX_RENDER_H
#define YOLOPORT_MATRIX_RENDER_H

#include <stdbool.h>

#include "engine/matrix/matrix.h"

typedef enum {
    MATRIX_FMT_TABLE,    /* terminal table fitted to `width` display columns (stacked blocks when too narrow) */
    MATRIX_FMT_MARKDOWN, /* GitHub-flavoured markdown table; '|' escaped, newlines as <br> */
    MATRIX_FMT_JSON,     /* see below */
    MATRIX_FMT_CSV,      /* RFC 4180: CRLF line ends, fields quoted when they hold , " CR or LF */
} MatrixFormat;

/* Short localised text for a live row's two columns, written into buf (always terminated):
 * matrix_live_avail_text → "built in" / "tool: trtexec" / "not in this build" / "source format" / "";
 * matrix_live_run_text   → "✅ 6.2 MB 1.4 s" / "❌" / "…" / "".  Return buf. */
const char *matrix_live_avail_text(const Matrix *m, const MatrixLive *row, char *buf, size_t len);
const char *matrix_live_run_text(const Matrix *m, const MatrixLive *row, char *buf, size_t len);

/* "table" | "markdown" (or "md") | "json" | "csv" → 0 and *out; -1 otherwise. */
int matrix_format_parse(const char *s, MatrixFormat *out);
const char *matrix_format_name(MatrixFormat f);

typedef struct {
    MatrixFormat format;
    int width;             /* table: total width in display columns; <= 0 means 100; at least 20 is used */
    const int *criteria;   /* criterion indices to show, in that order; NULL = all */
    int n_criteria;
    const int *options;    /* option indices to show, in that order; NULL = all */
    int n_options;
    const MatrixLive *live; /* NULL = no live columns; else matrix_option_count(m) rows, by option index.
                             * The "here" column appears when a selected row has avail != UNKNOWN,
                             * the "last export" column when one has status != NONE. */
    bool details;          /* table only: the long descriptions, summary, arguments, hardware and
                            * runtime, as one block per option (json always has the details) */
} MatrixRenderOpts;

/* Render the matrix into a new heap string (caller frees); never NULL.  Every format ends with
 * a newline.  The table never has a line wider than opts->width display columns (engine/core/textwidth;
 * CJK counts two), pads with spaces so that columns line up in either language, and falls back
 * to one block per option when the columns could not be at least ~12 columns wide.
 *
 * JSON (exact shape; extra per-option fields come after the listed ones):
 *   {"lang": "en",
 *    "criteria": [{"key": "performance", "title": "Performance"}, …],
 *    "options": [{"name", "argument", "suffix", "cpu", "gpu", "arguments": [...],
 *                 "cells": {key: short, …}, "details": {key: long, …},
 *                 "summary", "hardware", "runtime", "tools": [...],
 *                 and with live rows, where filled: "here": "builtin|tool|missing|source",
 *                 "tool": path, "last": {"status": "running|passed|check_failed|failed|unchecked",
 *                 "size_bytes", "seconds"}}, …]}
 * Markdown columns: option, format argument, suffix, then the criteria; CSV: option, format
 * argument, suffix, CPU, GPU, then the criteria; both end with the live columns shown. */
char *matrix_render(const Matrix *m, const MatrixRenderOpts *opts);

#endif
