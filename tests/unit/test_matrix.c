/* Tests for the deployment-option matrix: both language files load and agree, the renderers keep
 * their contracts (table width in display columns, markdown shape, RFC 4180 CSV, the JSON shape),
 * the text-width helpers, and load errors name the file and the field. */
#include <json-c/json.h>
#include <locale.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <wchar.h>

#include "tui/matrix_render.h"
#include "engine/core/textwidth.h"
#include "engine/core/util.h"
#include "engine/registry/registry.h"
#include "tests/check.h"

static const char *const langs[] = {"en", "zh"};

/* The export registry's rows for these options (Ultralytics' export_formats()). */
static const struct {
    const char *argument, *suffix;
    bool cpu, gpu;
    const char *arguments;
} registry_rows[] = {
    {"-", ".pt", true, true, ""},
    {"torchscript", ".torchscript", true, true, "batch,optimize,half,nms,dynamic"},
    {"onnx", ".onnx", true, true, "batch,dynamic,half,opset,simplify,nms"},
    {"openvino", "_openvino_model", true, false, "batch,dynamic,half,int8,nms,fraction"},
    {"engine", ".engine", false, true, "batch,dynamic,half,int8,simplify,nms,fraction"},
    {"coreml", ".mlpackage", true, false, "batch,half,int8,nms"},
    {"saved_model", "_saved_model", true, true, "batch,int8,keras,nms"},
    {"pb", ".pb", true, true, "batch"},
    {"tflite", ".tflite", true, false, "batch,half,int8,nms,fraction"},
    {"edgetpu", "_edgetpu.tflite", true, false, ""},
    {"tfjs", "_web_model", true, false, "batch,half,int8,nms"},
    {"paddle", "_paddle_model", true, true, "batch"},
    {"mnn", ".mnn", true, true, "batch,half,int8"},
    {"ncnn", "_ncnn_model", true, true, "batch,half"},
};

static Matrix *load(const char *lang)
{
    char err[1024] = "";
    Matrix *m = matrix_load(lang, err, sizeof err);
    EXPECT_MSG(m != NULL, "%s", err);
    return m;
}

static bool has_cjk(const char *s)
{
    while (*s) {
        uint32_t cp;
        s += textwidth_decode(s, strlen(s), &cp);
        if (cp >= 0x4E00 && cp <= 0x9FFF) return true;
    }
    return false;
}

static void test_both_languages_complete(void)
{
    for (size_t l = 0; l < ARRAY_LEN(langs); l++) {
        Matrix *m = load(langs[l]);
        if (!m) return;
        EXPECT_EQ_STR(matrix_lang(m), langs[l]);
        EXPECT_EQ_INT(matrix_option_count(m), 14);
        EXPECT_EQ_INT(matrix_criterion_count(m), 7);
        for (int c = 0; c < 7; c++) EXPECT_EQ_STR(matrix_criterion(m, c)->key, matrix_criterion_key(c));
        for (int i = 0; i < matrix_option_count(m); i++) {
            const MatrixOption *o = matrix_option(m, i);
            EXPECT(*o->name && *o->summary && *o->hardware && *o->runtime);
            for (int c = 0; c < 7; c++) {
                EXPECT_MSG(matrix_cell(m, i, c) && *matrix_cell(m, i, c), "%s %s cell", langs[l], o->name);
                EXPECT_MSG(matrix_detail(m, i, c) && strlen(matrix_detail(m, i, c)) > strlen(matrix_cell(m, i, c)) / 2,
                           "%s %s detail", langs[l], o->name);
            }
        }
        EXPECT(matrix_option(m, 14) == NULL && matrix_option(m, -1) == NULL && matrix_cell(m, 0, 7) == NULL);
        matrix_free(m);
    }
}

static void test_languages_agree(void)
{
    Matrix *en = load("en"), *zh = load("zh");
    if (!en || !zh) goto out;
    char err[512] = "";
    EXPECT_MSG(matrix_check_pair(en, zh, err, sizeof err) == 0, "%s", err);
    int cjk_cells = 0;
    for (int i = 0; i < 14; i++)
        for (int c = 0; c < 7; c++) {
            cjk_cells += has_cjk(matrix_cell(zh, i, c));
            EXPECT(has_cjk(matrix_detail(zh, i, c)));
            EXPECT(!has_cjk(matrix_detail(en, i, c)));
        }
    EXPECT_MSG(cjk_cells >= 90, "only %d of 98 Chinese cells hold CJK text", cjk_cells);
    EXPECT(has_cjk(matrix_criterion(zh, 0)->title));
    EXPECT(has_cjk(matrix_labels(zh)->narrow_note));
out:
    matrix_free(en);
    matrix_free(zh);
}

static void test_options_match_registry_rows(void)
{
    Matrix *m = load("en");
    if (!m) return;
    for (int i = 0; i < 14; i++) {
        const MatrixOption *o = matrix_option(m, i);
        EXPECT_EQ_STR(o->argument, registry_rows[i].argument);
        EXPECT_EQ_STR(o->suffix, registry_rows[i].suffix);
        EXPECT_MSG(o->cpu == registry_rows[i].cpu && o->gpu == registry_rows[i].gpu, "%s cpu/gpu", o->name);
        char joined[256] = "";
        for (int a = 0; a < o->n_arguments; a++) {
            if (a) strcat(joined, ",");
            strcat(joined, o->arguments[a]);
        }
        EXPECT_EQ_STR(joined, registry_rows[i].arguments);
    }
    matrix_free(m);
}

/* Every option against the export registry's row of the same format (engine/registry/registry.h). */
static void test_options_match_export_registry(void)
{
    for (size_t l = 0; l < ARRAY_LEN(langs); l++) {
        Matrix *m = load(langs[l]);
        if (!m) return;
        for (int i = 0; i < matrix_option_count(m); i++) {
            const MatrixOption *o = matrix_option(m, i);
            const FormatInfo *fi = registry_get(i);
            EXPECT(fi != NULL);
            if (!fi) continue;
            EXPECT_EQ_STR(o->argument, fi->argument);
            EXPECT_EQ_STR(o->suffix, fi->suffix);
            EXPECT_MSG(o->cpu == fi->cpu && o->gpu == fi->gpu, "%s cpu/gpu", o->name);
            char joined[256] = "";
            for (int a = 0; a < o->n_arguments; a++) {
                if (a) strcat(joined, ", ");
                strcat(joined, o->arguments[a]);
            }
            EXPECT_EQ_STR(joined, fi->peer_args);
            if (strcmp(o->argument, "-")) EXPECT(registry_find(o->argument) == fi);
            /* the registry's external tool, when it names one, is among the option's tools */
            bool listed = !fi->tool;
            for (int t = 0; t < o->n_tools; t++) listed |= fi->tool && !strcmp(fi->tool, o->tools[t]);
            EXPECT_MSG(listed, "%s: registry tool %s not in the matrix's tools", o->name, fi->tool);
        }
        /* the registry's other rows (IMX, RKNN) are not deployment options of the guide */
        EXPECT(registry_count() >= matrix_option_count(m));
        matrix_free(m);
    }
}

static void test_lookups(void)
{
    Matrix *m = load("en");
    if (!m) return;
    EXPECT_EQ_INT(matrix_option_find(m, "onnx"), 2);
    EXPECT_EQ_INT(matrix_option_find(m, "trt"), 4);
    EXPECT_EQ_INT(matrix_option_find(m, "TensorRT"), 4);
    EXPECT_EQ_INT(matrix_option_find(m, "mlpackage"), 5);
    EXPECT_EQ_INT(matrix_option_find(m, "pt"), 0);
    EXPECT_EQ_INT(matrix_option_find(m, "-"), 0);
    EXPECT_EQ_INT(matrix_option_find(m, "tf lite"), 8);
    EXPECT_EQ_INT(matrix_option_find(m, "openvino_model"), 3);
    EXPECT_EQ_INT(matrix_option_find(m, "mnn"), 12);
    EXPECT_EQ_INT(matrix_option_find(m, "nope"), -1);
    EXPECT_EQ_INT(matrix_criterion_find(m, "use_cases"), 3);
    EXPECT_EQ_INT(matrix_criterion_find(m, "speed"), -1);
    MatrixFormat f;
    EXPECT(matrix_format_parse("md", &f) == 0 && f == MATRIX_FMT_MARKDOWN);
    EXPECT(matrix_format_parse("xml", &f) == -1);
    matrix_free(m);
}

static void test_textwidth(void)
{
    EXPECT_EQ_INT(textwidth_str("abc"), 3);
    EXPECT_EQ_INT(textwidth_str("中文"), 4);
    EXPECT_EQ_INT(textwidth_str("e\xcc\x81"), 1); /* e + combining acute */
    EXPECT_EQ_INT(textwidth_str("\xff"), 1);     /* invalid byte */
    char **lines;
    int n = textwidth_wrap("hello world again", 11, &lines);
    EXPECT_EQ_INT(n, 2);
    if (n == 2) {
        EXPECT_EQ_STR(lines[0], "hello world");
        EXPECT_EQ_STR(lines[1], "again");
    }
    textwidth_free_lines(lines, n);
    n = textwidth_wrap("abcdefghij", 4, &lines); /* a word longer than the width is cut */
    EXPECT_EQ_INT(n, 3);
    if (n == 3) EXPECT_EQ_STR(lines[2], "ij");
    textwidth_free_lines(lines, n);
    /* CJK breaks between characters, never before closing punctuation. */
    n = textwidth_wrap("灵活为主，速度不是最快", 8, &lines);
    for (int i = 0; i < n; i++) {
        EXPECT_MSG(textwidth_str(lines[i]) <= 8, "line %d '%s'", i, lines[i]);
        EXPECT_MSG(strncmp(lines[i], "，", strlen("，")) != 0, "line %d starts with a comma: '%s'", i, lines[i]);
    }
    EXPECT_EQ_INT(n, 3);
    textwidth_free_lines(lines, n);
    n = textwidth_wrap("", 10, &lines);
    EXPECT_EQ_INT(n, 1);
    if (n == 1) EXPECT_EQ_STR(lines[0], "");
    textwidth_free_lines(lines, n);
}

/* Display width of a UTF-8 line by the C library (wcswidth), as a terminal would count it. */
static int line_wcswidth(const char *s, size_t n)
{
    char *copy = xstrndup(s, n);
    wchar_t w[4096];
    size_t k = mbstowcs(w, copy, ARRAY_LEN(w) - 1);
    free(copy);
    if (k == (size_t)-1) return 100000;
    w[k] = 0;
    return wcswidth(w, k);
}

static int max_line_width(const char *text, int *lines)
{
    int best = 0;
    *lines = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        int w = line_wcswidth(p, n);
        if (w > best) best = w;
        (*lines)++;
        p += n + (nl ? 1 : 0);
    }
    return best;
}

static void fill_live(MatrixLive *live)
{
    matrix_live_init(live, 14);
    live[2] = (MatrixLive){MATRIX_AVAIL_BUILTIN, NULL, MATRIX_RUN_PASSED, 12792627, 1.4}; /* 12.2 MiB */
    live[4] = (MatrixLive){MATRIX_AVAIL_TOOL, "/usr/bin/trtexec", MATRIX_RUN_FAILED, -1, 3.0};
    live[5] = (MatrixLive){MATRIX_AVAIL_MISSING, NULL, MATRIX_RUN_NONE, -1, -1};
    live[1] = (MatrixLive){MATRIX_AVAIL_BUILTIN, NULL, MATRIX_RUN_CHECK_FAILED, 12400000, -1};
}

static void test_table_fits_width(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8")) {
        SKIP("no C.UTF-8 locale to measure with wcswidth");
        return;
    }
    static const int widths[] = {20, 40, 60, 80, 100, 120, 140, 160, 200, 300};
    MatrixLive live[14];
    fill_live(live);
    for (size_t l = 0; l < ARRAY_LEN(langs); l++) {
        Matrix *m = load(langs[l]);
        if (!m) continue;
        for (size_t w = 0; w < ARRAY_LEN(widths); w++)
            for (int variant = 0; variant < 3; variant++) {
                MatrixRenderOpts o = {.format = MATRIX_FMT_TABLE, .width = widths[w]};
                if (variant == 1) o.live = live;
                if (variant == 2) o.details = true;
                char *out = matrix_render(m, &o);
                int lines, mw = max_line_width(out, &lines);
                EXPECT_MSG(mw <= widths[w], "%s width %d variant %d: a line is %d columns", langs[l], widths[w],
                           variant, mw);
                EXPECT(lines > 14);
                EXPECT_CONTAINS(out, "NCNN");
                free(out);
            }
        matrix_free(m);
    }
    setlocale(LC_ALL, "C");
}

/* In a table wide enough for columns, every " | " separator sits at the same display column on
 * every line, in Chinese as in English. */
static void test_table_columns_align(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8")) {
        SKIP("no C.UTF-8 locale");
        return;
    }
    for (size_t l = 0; l < ARRAY_LEN(langs); l++) {
        Matrix *m = load(langs[l]);
        if (!m) continue;
        MatrixRenderOpts o = {.format = MATRIX_FMT_TABLE, .width = 200};
        char *out = matrix_render(m, &o);
        char ref[512] = "";
        int rows = 0;
        for (char *p = out; *p;) {
            char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            if (memmem(p, n, " | ", 3)) {
                char cols[512] = "";
                int col = 0;
                for (size_t i = 0; i < n;) {
                    uint32_t cp;
                    size_t k = textwidth_decode(p + i, n - i, &cp);
                    if (cp == '|') snprintf(cols + strlen(cols), sizeof cols - strlen(cols), "%d,", col);
                    col += textwidth_char(cp);
                    i += k;
                }
                if (!*ref) snprintf(ref, sizeof ref, "%s", cols);
                else if (strcmp(ref, cols)) {
                    EXPECT_MSG(0, "%s: separators at %s, header at %s: %.*s", langs[l], cols, ref, (int)n, p);
                    break;
                }
                rows++;
            }
            p += n + (nl ? 1 : 0);
        }
        EXPECT_MSG(rows >= 15, "%s: only %d table lines at width 200", langs[l], rows);
        free(out);
        matrix_free(m);
    }
    setlocale(LC_ALL, "C");
}

/* Count the unescaped '|' of a markdown line. */
static int md_pipes(const char *s, size_t n)
{
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\') i++;
        else if (s[i] == '|') k++;
    }
    return k;
}

static void test_markdown_shape(void)
{
    for (size_t l = 0; l < ARRAY_LEN(langs); l++) {
        Matrix *m = load(langs[l]);
        if (!m) continue;
        MatrixLive live[14];
        fill_live(live);
        MatrixRenderOpts o = {.format = MATRIX_FMT_MARKDOWN, .live = live};
        char *out = matrix_render(m, &o);
        int line = 0, want = -1;
        for (char *p = out; *p; line++) {
            char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            EXPECT(n >= 2 && p[0] == '|' && p[n - 1] == '|');
            int k = md_pipes(p, n);
            if (want < 0) want = k;
            EXPECT_MSG(k == want, "line %d has %d pipes, header %d", line, k, want);
            if (line == 1) EXPECT(strncmp(p, "| --- |", 7) == 0);
            p += n + (nl ? 1 : 0);
        }
        EXPECT_EQ_INT(line, 16);                /* header, separator, 14 rows */
        EXPECT_EQ_INT(want, 3 + 7 + 2 + 1);     /* option, format, suffix, 7 criteria, here, last */
        EXPECT_CONTAINS(out, "| `engine` |");
        EXPECT_CONTAINS(out, "✅ 12.2 MB 1.4 s");
        free(out);
        /* one size unit everywhere: the peer's MB (MiB), as Jobs, Compare and the log write it */
        live[2].size_bytes = 6600000;
        out = matrix_render(m, &o);
        EXPECT_CONTAINS(out, "✅ 6.3 MB 1.4 s");
        free(out);
        matrix_free(m);
    }
}

/* Minimal RFC 4180 reader: number of fields in each record; -1 on a malformed quote. */
static int csv_records(const char *s, int *fields, int max)
{
    int rec = 0, f = 1;
    while (*s && rec < max) {
        if (*s == '"') {
            for (s++;; s++) {
                if (!*s) return -1;
                if (*s == '"') {
                    if (s[1] == '"') s++;
                    else break;
                }
            }
            s++;
            if (*s && *s != ',' && *s != '\r') return -1;
            continue;
        }
        if (*s == ',') f++;
        else if (*s == '\r') {
            if (s[1] != '\n') return -1;
            fields[rec++] = f;
            f = 1;
            s++;
        } else if (*s == '\n') return -1; /* bare LF outside quotes */
        s++;
    }
    return rec;
}

static void test_csv_quoting(void)
{
    Matrix *m = load("en");
    if (!m) return;
    MatrixRenderOpts o = {.format = MATRIX_FMT_CSV};
    char *out = matrix_render(m, &o);
    int fields[32];
    int n = csv_records(out, fields, 32);
    EXPECT_EQ_INT(n, 15);
    for (int i = 0; i < n; i++) EXPECT_MSG(fields[i] == 12, "record %d has %d fields", i, fields[i]);
    EXPECT_CONTAINS(out, ",\"Research, prototypes, training\",");
    EXPECT_CONTAINS(out, "\r\nONNX,onnx,.onnx,true,true,");
    free(out);
    matrix_free(m);
}

static void test_json_shape(void)
{
    for (size_t l = 0; l < ARRAY_LEN(langs); l++) {
        Matrix *m = load(langs[l]);
        if (!m) continue;
        MatrixRenderOpts o = {.format = MATRIX_FMT_JSON};
        char *out = matrix_render(m, &o);
        json_object *root = json_tokener_parse(out);
        EXPECT(root != NULL);
        if (root) {
            json_object *v, *crit, *opts;
            EXPECT(json_object_object_get_ex(root, "lang", &v) && !strcmp(json_object_get_string(v), langs[l]));
            EXPECT(json_object_object_get_ex(root, "criteria", &crit) && json_object_array_length(crit) == 7);
            EXPECT(json_object_object_get_ex(root, "options", &opts) && json_object_array_length(opts) == 14);
            /* the first keys of the top level, of a criterion and of an option, in order */
            static const char *const top[] = {"lang", "criteria", "options"};
            static const char *const okeys[] = {"name", "argument", "suffix", "cpu", "gpu", "arguments", "cells", "details"};
            int i = 0;
            json_object_object_foreach(root, k, val) {
                (void)val;
                EXPECT_EQ_STR(k, i < 3 ? top[i] : "(extra)");
                i++;
            }
            json_object *c0 = json_object_array_get_idx(crit, 0);
            EXPECT_EQ_INT(json_object_object_length(c0), 2);
            for (size_t a = 0; a < json_object_array_length(opts); a++) {
                json_object *op = json_object_array_get_idx(opts, a), *cells, *details, *arg, *suf;
                int j = 0;
                json_object_object_foreach(op, k2, v2) {
                    (void)v2;
                    if (j < 8) EXPECT_EQ_STR(k2, okeys[j]);
                    j++;
                }
                EXPECT(json_object_object_get_ex(op, "cells", &cells) && json_object_object_length(cells) == 7);
                EXPECT(json_object_object_get_ex(op, "details", &details) && json_object_object_length(details) == 7);
                EXPECT(json_object_object_get_ex(op, "argument", &arg) &&
                       !strcmp(json_object_get_string(arg), registry_rows[a].argument));
                EXPECT(json_object_object_get_ex(op, "suffix", &suf) &&
                       !strcmp(json_object_get_string(suf), registry_rows[a].suffix));
                for (int c = 0; c < 7; c++) {
                    json_object *cell;
                    EXPECT(json_object_object_get_ex(cells, matrix_criterion_key(c), &cell) &&
                           json_object_get_string_len(cell) > 0);
                }
            }
            json_object_put(root);
        }
        free(out);
        matrix_free(m);
    }
}

static void test_selection_and_live_json(void)
{
    Matrix *m = load("zh");
    if (!m) return;
    int crit[] = {6, 0}, opt[] = {4, 2};
    MatrixLive live[14];
    fill_live(live);
    MatrixRenderOpts o = {.format = MATRIX_FMT_JSON, .criteria = crit, .n_criteria = 2, .options = opt,
                          .n_options = 2, .live = live};
    char *out = matrix_render(m, &o);
    json_object *root = json_tokener_parse(out), *opts, *crits;
    EXPECT(root != NULL);
    if (root) {
        EXPECT(json_object_object_get_ex(root, "criteria", &crits) && json_object_array_length(crits) == 2);
        EXPECT(json_object_object_get_ex(root, "options", &opts) && json_object_array_length(opts) == 2);
        json_object *trt = json_object_array_get_idx(opts, 0), *v, *last, *cells;
        EXPECT(json_object_object_get_ex(trt, "name", &v) && !strcmp(json_object_get_string(v), "TensorRT"));
        EXPECT(json_object_object_get_ex(trt, "here", &v) && !strcmp(json_object_get_string(v), "tool"));
        EXPECT(json_object_object_get_ex(trt, "tool", &v) && !strcmp(json_object_get_string(v), "/usr/bin/trtexec"));
        EXPECT(json_object_object_get_ex(trt, "last", &last) && json_object_object_get_ex(last, "status", &v) &&
               !strcmp(json_object_get_string(v), "failed"));
        EXPECT(json_object_object_get_ex(trt, "cells", &cells) && json_object_object_length(cells) == 2);
        json_object_put(root);
    }
    free(out);
    o.format = MATRIX_FMT_TABLE;
    o.width = 120;
    out = matrix_render(m, &o);
    EXPECT_CONTAINS(out, "工具: trtexec");
    EXPECT_CONTAINS(out, "内置");
    EXPECT_CONTAINS(out, "❌ 3.0 s");
    EXPECT(strstr(out, "PyTorch") == NULL);
    free(out);
    matrix_free(m);
}

/* ---- load errors ---- */

static char tmpdir[256];

static char *read_share(const char *lang)
{
    char rel[64], err[256];
    snprintf(rel, sizeof rel, "%s/../share/matrix/%s.json", ".", lang);
    Matrix *m = matrix_load(lang, err, sizeof err);
    if (!m) return NULL;
    char *text = file_read_all(matrix_path(m), 1 << 20, NULL, err, sizeof err);
    matrix_free(m);
    return text;
}

static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

/* Replace the first occurrence of `from` in text with `to`; a new heap string. */
static char *replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    if (!at) return xstrdup(text);
    return xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void expect_load_error(const char *text, const char *lang, const char *needle)
{
    const char *path = write_tmp("bad.json", text);
    char err[1024] = "";
    Matrix *m = matrix_load_file(path, lang, err, sizeof err);
    EXPECT_MSG(m == NULL, "loaded although it should fail with '%s'", needle);
    matrix_free(m);
    EXPECT_CONTAINS(err, path);
    EXPECT_CONTAINS(err, needle);
}

static void test_load_errors_name_file_and_field(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-matrix-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        SKIP("mkdtemp failed");
        return;
    }
    char *en = read_share("en"), *zh = read_share("zh");
    EXPECT(en && zh);
    if (!en || !zh) goto out;
    char *t;
    /* truncated document */
    t = xstrndup(en, strlen(en) / 2);
    expect_load_error(t, "en", "invalid JSON at line");
    free(t);
    /* a syntax error */
    t = replace(en, "\"lang\": \"en\",", "\"lang\": \"en\" \"oops\",");
    expect_load_error(t, "en", "invalid JSON at line 2");
    free(t);
    /* an empty cell */
    t = replace(zh, "\"security\": \"需把好转换流程这一关\"", "\"security\": \"  \"");
    expect_load_error(t, "zh", "options[2].cells.security: empty string");
    free(t);
    /* a missing field */
    t = replace(en, "\"suffix\": \".pt\",", "");
    expect_load_error(t, "en", "options[0].suffix: missing");
    free(t);
    /* a criterion missing from details */
    t = replace(en, "\"acceleration\": \"CUDA on NVIDIA GPUs speeds", "\"accel\": \"CUDA on NVIDIA GPUs speeds");
    expect_load_error(t, "en", "options[0].details.acceleration: missing");
    free(t);
    /* wrong type */
    t = replace(en, "\"cpu\": true", "\"cpu\": \"yes\"");
    expect_load_error(t, "en", "options[0].cpu: not true or false");
    free(t);
    /* an argument that disagrees with the registry */
    t = replace(en, "\"argument\": \"engine\"", "\"argument\": \"tensorrt\"");
    expect_load_error(t, "en", "options[4].argument");
    free(t);
    /* columns that must be the export registry's */
    t = replace(en, "\"suffix\": \".mnn\"", "\"suffix\": \"_mnn_model\"");
    expect_load_error(t, "en", "options[12].suffix: \"_mnn_model\", but the export registry says \".mnn\"");
    free(t);
    t = replace(en, "\"arguments\": [\"batch\", \"half\", \"int8\"]", "\"arguments\": [\"batch\", \"int8\"]");
    expect_load_error(t, "en", "options[12].arguments: [batch, int8], but the export registry says [batch, half, int8]");
    free(t);
    t = replace(en, "\"gpu\": false", "\"gpu\": true");
    expect_load_error(t, "en", "options[3].gpu: differs from the export registry");
    free(t);
    /* the wrong language */
    expect_load_error(en, "zh", "lang: \"en\", expected \"zh\"");
    /* a missing file */
    {
        char err[512] = "";
        char path[300];
        snprintf(path, sizeof path, "%s/none.json", tmpdir);
        EXPECT(matrix_load_file(path, "en", err, sizeof err) == NULL);
        EXPECT_CONTAINS(err, "none.json");
    }
out:
    free(en);
    free(zh);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
}

static void test_pair_check_reports_difference(void)
{
    Matrix *en = load("en");
    if (!en) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-pair-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        matrix_free(en);
        SKIP("mkdtemp failed");
        return;
    }
    char *text = read_share("zh");
    char *t = text ? replace(text, "\"tools\": [\"MNNConvert\", \"yolo\"]", "\"tools\": [\"yolo\"]") : NULL;
    const char *path = t ? write_tmp("zh.json", t) : NULL;
    char err[512] = "";
    Matrix *zh = path ? matrix_load_file(path, "zh", err, sizeof err) : NULL;
    EXPECT_MSG(zh != NULL, "%s", err);
    if (zh) {
        EXPECT_EQ_INT(matrix_check_pair(en, zh, err, sizeof err), -1);
        EXPECT_CONTAINS(err, "options[12] (MNN): tools differs");
    }
    matrix_free(zh);
    free(t);
    free(text);
    matrix_free(en);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
}

int main(void)
{
    RUN(test_both_languages_complete);
    RUN(test_languages_agree);
    RUN(test_options_match_registry_rows);
    RUN(test_options_match_export_registry);
    RUN(test_lookups);
    RUN(test_textwidth);
    RUN(test_table_fits_width);
    RUN(test_table_columns_align);
    RUN(test_markdown_shape);
    RUN(test_csv_quoting);
    RUN(test_json_shape);
    RUN(test_selection_and_live_json);
    RUN(test_load_errors_name_file_and_field);
    RUN(test_pair_check_reports_difference);
    return check_done();
}
