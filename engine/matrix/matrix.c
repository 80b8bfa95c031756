/* matrix: load and validate share/matrix/<lang>.json, and answer the accessors (matrix.h).
 * The renderers live in matrix_render.c. */
#include "engine/matrix/matrix.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/registry/registry.h"
#include "engine/core/paths.h"
#include "engine/core/util.h"

#define MATRIX_MAX_FILE (1u << 20)

/* Everything lives in the arena; the accessors hand out pointers into it. */
struct Matrix {
    Arena *arena;
    const char *path, *lang;
    MatrixLabels labels;
    MatrixCriterion criteria[MATRIX_CRITERION_COUNT];
    MatrixOption *options;
    int n_options;
};

static const char *const criterion_keys[] = {
#define MATRIX_KEY_STR(k) #k,
    MATRIX_CRITERIA(MATRIX_KEY_STR)
#undef MATRIX_KEY_STR
};
_Static_assert(sizeof criterion_keys / sizeof criterion_keys[0] == MATRIX_CRITERION_COUNT,
               "MATRIX_CRITERION_COUNT must match MATRIX_CRITERIA");

/* The options every language file must list, in the export registry's (the peer's) order:
 * the rows of the export table that have a matrix id (FormatInfo.matrix_id, the guide's short
 * name: "TF Lite", not the registry's "TensorFlow Lite"), option i being the i-th of them.  The
 * registry's argument, suffix, CPU/GPU and arguments columns are checked against the file at
 * load time.  Up to MATRIX_MAX_OPTIONS, else 0 (a registry with more options than that wants
 * the bound raised).  out[i] is the row. */
#define MATRIX_MAX_OPTIONS 64
static int expected_options(const FormatInfo **out)
{
    int n = 0;
    for (int i = 0; i < registry_count(); i++) {
        const FormatInfo *fi = registry_get(i);
        if (!fi->matrix_id) continue;
        if (n == MATRIX_MAX_OPTIONS) return 0;
        out[n++] = fi;
    }
    return n;
}

/* Label fields: JSON key and where it goes in MatrixLabels. */
#define LABEL_FIELDS(X)                                                                            \
    X(title) X(option) X(argument) X(suffix) X(cpu) X(gpu) X(arguments) X(hardware) X(runtime)     \
    X(tools) X(yes) X(no) X(none) X(here) X(last) X(avail_builtin) X(avail_tool) X(avail_missing)  \
    X(avail_source) X(narrow_note)

const char *matrix_criterion_key(int i)
{
    return i >= 0 && i < MATRIX_CRITERION_COUNT ? criterion_keys[i] : NULL;
}

/* ---- loading ---- */

typedef struct {
    Matrix *m;
    const char *path;
    char *err;
    size_t errlen;
} Loader;

static int fail(Loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(Loader *ld, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(ld->err, ld->errlen, "%s: %s", ld->path, msg);
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return false;
    return true;
}

/* A required, non-empty string member; its copy lives in the matrix arena. */
static const char *get_string(Loader *ld, json_object *obj, const char *where, const char *key)
{
    json_object *v;
    const char *dot = *where ? "." : "";
    if (!json_object_object_get_ex(obj, key, &v) || !v) {
        fail(ld, "%s%s%s: missing", where, dot, key);
        return NULL;
    }
    if (!json_object_is_type(v, json_type_string)) {
        fail(ld, "%s%s%s: not a string", where, dot, key);
        return NULL;
    }
    const char *s = json_object_get_string(v);
    if (blank(s)) {
        fail(ld, "%s%s%s: empty string", where, dot, key);
        return NULL;
    }
    if (strlen(s) != (size_t)json_object_get_string_len(v)) {
        fail(ld, "%s%s%s: contains a NUL character", where, dot, key);
        return NULL;
    }
    return arena_strdup(ld->m->arena, s);
}

static int get_bool(Loader *ld, json_object *obj, const char *where, const char *key, bool *out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !v) return fail(ld, "%s.%s: missing", where, key);
    if (!json_object_is_type(v, json_type_boolean)) return fail(ld, "%s.%s: not true or false", where, key);
    *out = json_object_get_boolean(v);
    return 0;
}

/* An array of non-empty strings (may be empty). */
static int get_string_array(Loader *ld, json_object *obj, const char *where, const char *key,
                            const char *const **out, int *n_out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !v) return fail(ld, "%s.%s: missing", where, key);
    if (!json_object_is_type(v, json_type_array)) return fail(ld, "%s.%s: not an array", where, key);
    size_t n = json_object_array_length(v);
    if (n > 64) return fail(ld, "%s.%s: %zu entries, at most 64 expected", where, key, n);
    const char **items = arena_alloc(ld->m->arena, (n ? n : 1) * sizeof *items);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(v, i);
        if (!e || !json_object_is_type(e, json_type_string) || blank(json_object_get_string(e)))
            return fail(ld, "%s.%s[%zu]: not a non-empty string", where, key, i);
        items[i] = arena_strdup(ld->m->arena, json_object_get_string(e));
    }
    *out = items;
    *n_out = (int)n;
    return 0;
}

/* An object with exactly the criteria keys, each a non-empty string. */
static int get_by_criterion(Loader *ld, json_object *obj, const char *where, const char *key,
                            const char *const **out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !v) return fail(ld, "%s.%s: missing", where, key);
    if (!json_object_is_type(v, json_type_object)) return fail(ld, "%s.%s: not an object", where, key);
    char sub[128];
    snprintf(sub, sizeof sub, "%s.%s", where, key);
    const char **texts = arena_alloc(ld->m->arena, MATRIX_CRITERION_COUNT * sizeof *texts);
    for (int c = 0; c < MATRIX_CRITERION_COUNT; c++)
        if (!(texts[c] = get_string(ld, v, sub, criterion_keys[c]))) return -1;
    json_object_object_foreach(v, k, val) {
        (void)val;
        if (matrix_criterion_find(NULL, k) < 0)
            return fail(ld, "%s.%s: unknown criterion (expected one of performance, compatibility, community, "
                            "use_cases, maintenance, security, acceleration)", sub, k);
    }
    *out = texts;
    return 0;
}

static int load_labels(Loader *ld, json_object *root)
{
    json_object *lab;
    if (!json_object_object_get_ex(root, "labels", &lab) || !json_object_is_type(lab, json_type_object))
        return fail(ld, "labels: missing or not an object");
    MatrixLabels *L = &ld->m->labels;
#define LOAD_LABEL(f)                                                                              \
    if (!(L->f = get_string(ld, lab, "labels", #f))) return -1;
    LABEL_FIELDS(LOAD_LABEL)
#undef LOAD_LABEL
    return 0;
}

static int load_criteria(Loader *ld, json_object *root)
{
    json_object *arr;
    if (!json_object_object_get_ex(root, "criteria", &arr) || !json_object_is_type(arr, json_type_array))
        return fail(ld, "criteria: missing or not an array");
    size_t n = json_object_array_length(arr);
    if (n != MATRIX_CRITERION_COUNT)
        return fail(ld, "criteria: %zu entries, expected %d", n, MATRIX_CRITERION_COUNT);
    for (int i = 0; i < MATRIX_CRITERION_COUNT; i++) {
        json_object *c = json_object_array_get_idx(arr, (size_t)i);
        char where[32];
        snprintf(where, sizeof where, "criteria[%d]", i);
        if (!c || !json_object_is_type(c, json_type_object)) return fail(ld, "%s: not an object", where);
        MatrixCriterion *mc = &ld->m->criteria[i];
        if (!(mc->key = get_string(ld, c, where, "key"))) return -1;
        if (strcmp(mc->key, criterion_keys[i]))
            return fail(ld, "%s.key: \"%s\", expected \"%s\"", where, mc->key, criterion_keys[i]);
        if (!(mc->title = get_string(ld, c, where, "title"))) return -1;
        if (!(mc->about = get_string(ld, c, where, "about"))) return -1;
    }
    return 0;
}

/* The non-prose columns must be the export registry's, so the matrix never contradicts what
 * `yoloport export` does. */
static int check_registry_row(Loader *ld, const char *where, const MatrixOption *mo, const FormatInfo *fi)
{
    if (!fi) return fail(ld, "%s: no export registry row for %s", where, mo->name);
    if (strcmp(mo->argument, fi->argument))
        return fail(ld, "%s.argument: \"%s\", but the export registry says \"%s\"", where, mo->argument, fi->argument);
    if (strcmp(mo->suffix, fi->suffix))
        return fail(ld, "%s.suffix: \"%s\", but the export registry says \"%s\"", where, mo->suffix, fi->suffix);
    if (mo->cpu != fi->cpu) return fail(ld, "%s.cpu: differs from the export registry (%s)", where, fi->cpu ? "true" : "false");
    if (mo->gpu != fi->gpu) return fail(ld, "%s.gpu: differs from the export registry (%s)", where, fi->gpu ? "true" : "false");
    char joined[512] = "";
    size_t off = 0;
    for (int a = 0; a < mo->n_arguments && off < sizeof joined; a++)
        off += (size_t)snprintf(joined + off, sizeof joined - off, "%s%s", a ? ", " : "", mo->arguments[a]);
    if (strcmp(joined, fi->peer_args ? fi->peer_args : ""))
        return fail(ld, "%s.arguments: [%s], but the export registry says [%s]", where, joined,
                    fi->peer_args ? fi->peer_args : "");
    return 0;
}

static int load_option(Loader *ld, json_object *o, int i, const FormatInfo *row, MatrixOption *mo)
{
    char where[32];
    snprintf(where, sizeof where, "options[%d]", i);
    if (!o || !json_object_is_type(o, json_type_object)) return fail(ld, "%s: not an object", where);
    if (!(mo->name = get_string(ld, o, where, "name"))) return -1;
    if (strcmp(mo->name, row->matrix_id))
        return fail(ld, "%s.name: \"%s\", expected \"%s\" (options follow the export registry's order)", where,
                    mo->name, row->matrix_id);
    if (!(mo->argument = get_string(ld, o, where, "argument"))) return -1;
    if (!(mo->suffix = get_string(ld, o, where, "suffix"))) return -1;
    if (get_bool(ld, o, where, "cpu", &mo->cpu) || get_bool(ld, o, where, "gpu", &mo->gpu)) return -1;
    if (get_string_array(ld, o, where, "arguments", &mo->arguments, &mo->n_arguments)) return -1;
    if (check_registry_row(ld, where, mo, row)) return -1;
    if (!(mo->summary = get_string(ld, o, where, "summary"))) return -1;
    if (!(mo->hardware = get_string(ld, o, where, "hardware"))) return -1;
    if (!(mo->runtime = get_string(ld, o, where, "runtime"))) return -1;
    if (get_string_array(ld, o, where, "tools", &mo->tools, &mo->n_tools)) return -1;
    if (get_by_criterion(ld, o, where, "cells", &mo->cells)) return -1;
    if (get_by_criterion(ld, o, where, "details", &mo->details)) return -1;
    return 0;
}

static int load_root(Loader *ld, json_object *root, const char *lang)
{
    Matrix *m = ld->m;
    if (!json_object_is_type(root, json_type_object)) return fail(ld, "the top level is not a JSON object");
    if (!(m->lang = get_string(ld, root, "", "lang"))) return -1;
    if (lang && strcmp(m->lang, lang)) return fail(ld, "lang: \"%s\", expected \"%s\"", m->lang, lang);
    if (load_labels(ld, root) || load_criteria(ld, root)) return -1;
    json_object *arr;
    if (!json_object_object_get_ex(root, "options", &arr) || !json_object_is_type(arr, json_type_array))
        return fail(ld, "options: missing or not an array");
    size_t n = json_object_array_length(arr);
    const FormatInfo *rows[MATRIX_MAX_OPTIONS];
    int want = expected_options(rows);
    if (n != (size_t)want) return fail(ld, "options: %zu entries, expected %d", n, want);
    m->n_options = (int)n;
    m->options = arena_alloc(m->arena, n * sizeof *m->options);
    for (size_t i = 0; i < n; i++)
        if (load_option(ld, json_object_array_get_idx(arr, i), (int)i, rows[i], &m->options[i])) return -1;
    return 0;
}

static void line_col(const char *text, size_t offset, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < offset && text[i]; i++) {
        if (text[i] == '\n') (*line)++, *col = 1;
        else (*col)++;
    }
}

Matrix *matrix_load_file(const char *path, const char *lang, char *err, size_t errlen)
{
    char ferr[512];
    size_t len;
    char *text = file_read_all(path, MATRIX_MAX_FILE, &len, ferr, sizeof ferr);
    if (!text) {
        err_set(err, errlen, "%s", ferr);
        return NULL;
    }
    Matrix *m = xcalloc(1, sizeof *m);
    m->arena = arena_new();
    m->path = arena_strdup(m->arena, path);
    Loader ld = {m, path, err, errlen};

    json_tokener *tok = json_tokener_new();
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    int rc;
    if (jerr != json_tokener_success || !root) {
        int line, col;
        size_t off = tok->char_offset;
        line_col(text, off, &line, &col);
        const char *why = jerr == json_tokener_continue ? "unexpected end of file" : json_tokener_error_desc(jerr);
        rc = fail(&ld, "invalid JSON at line %d, column %d: %s", line, col, why);
    } else if (tok->char_offset < (int)len && !blank(text + tok->char_offset)) {
        int line, col;
        line_col(text, (size_t)tok->char_offset, &line, &col);
        rc = fail(&ld, "invalid JSON at line %d, column %d: text after the end of the document", line, col);
    } else {
        rc = load_root(&ld, root, lang);
    }
    if (root) json_object_put(root);
    json_tokener_free(tok);
    free(text);
    if (rc) {
        matrix_free(m);
        return NULL;
    }
    return m;
}

Matrix *matrix_load(const char *lang, char *err, size_t errlen)
{
    static const char *const langs[] = {MATRIX_LANGS};
    bool known = false;
    for (size_t i = 0; lang && i < ARRAY_LEN(langs); i++) known |= !strcmp(lang, langs[i]);
    if (!known) {
        err_set(err, errlen, "unknown matrix language '%s' (expected en or zh)", lang ? lang : "(null)");
        return NULL;
    }
    char rel[32];
    snprintf(rel, sizeof rel, "matrix/%s.json", lang);
    char *path = paths_share(rel);
    Matrix *m = matrix_load_file(path, lang, err, errlen);
    free(path);
    return m;
}

void matrix_free(Matrix *m)
{
    if (!m) return;
    arena_free(m->arena);
    free(m);
}

static int same_list(const char *const *a, int na, const char *const *b, int nb)
{
    if (na != nb) return 0;
    for (int i = 0; i < na; i++)
        if (strcmp(a[i], b[i])) return 0;
    return 1;
}

int matrix_check_pair(const Matrix *a, const Matrix *b, char *err, size_t errlen)
{
    if (a->n_options != b->n_options)
        return err_set(err, errlen, "%s has %d options but %s has %d", a->lang, a->n_options, b->lang, b->n_options);
    for (int c = 0; c < MATRIX_CRITERION_COUNT; c++)
        if (strcmp(a->criteria[c].key, b->criteria[c].key))
            return err_set(err, errlen, "criteria[%d]: \"%s\" in %s, \"%s\" in %s", c, a->criteria[c].key, a->lang,
                           b->criteria[c].key, b->lang);
    for (int i = 0; i < a->n_options; i++) {
        const MatrixOption *x = &a->options[i], *y = &b->options[i];
        const char *field = NULL;
        if (strcmp(x->name, y->name)) field = "name";
        else if (strcmp(x->argument, y->argument)) field = "argument";
        else if (strcmp(x->suffix, y->suffix)) field = "suffix";
        else if (x->cpu != y->cpu) field = "cpu";
        else if (x->gpu != y->gpu) field = "gpu";
        else if (!same_list(x->arguments, x->n_arguments, y->arguments, y->n_arguments)) field = "arguments";
        else if (!same_list(x->tools, x->n_tools, y->tools, y->n_tools)) field = "tools";
        if (field)
            return err_set(err, errlen, "options[%d] (%s): %s differs between %s and %s", i, x->name, field, a->lang,
                           b->lang);
    }
    return 0;
}

/* ---- accessors ---- */

const char *matrix_lang(const Matrix *m) { return m->lang; }
const char *matrix_path(const Matrix *m) { return m->path; }
const MatrixLabels *matrix_labels(const Matrix *m) { return &m->labels; }
int matrix_option_count(const Matrix *m) { return m->n_options; }
int matrix_criterion_count(const Matrix *m) { (void)m; return MATRIX_CRITERION_COUNT; }

const MatrixOption *matrix_option(const Matrix *m, int i)
{
    return i >= 0 && i < m->n_options ? &m->options[i] : NULL;
}

const MatrixCriterion *matrix_criterion(const Matrix *m, int i)
{
    return i >= 0 && i < MATRIX_CRITERION_COUNT ? &m->criteria[i] : NULL;
}

const char *matrix_cell(const Matrix *m, int option, int criterion)
{
    if (option < 0 || option >= m->n_options || criterion < 0 || criterion >= MATRIX_CRITERION_COUNT) return NULL;
    return m->options[option].cells[criterion];
}

const char *matrix_detail(const Matrix *m, int option, int criterion)
{
    if (option < 0 || option >= m->n_options || criterion < 0 || criterion >= MATRIX_CRITERION_COUNT) return NULL;
    return m->options[option].details[criterion];
}

int matrix_criterion_find(const Matrix *m, const char *key)
{
    (void)m; /* keys are the same in every language */
    for (int i = 0; i < MATRIX_CRITERION_COUNT; i++)
        if (!strcasecmp(key, criterion_keys[i])) return i;
    return -1;
}

static const struct {
    const char *alias, *argument;
} option_aliases[] = {
    {"tensorrt", "engine"}, {"trt", "engine"},     {"mlmodel", "coreml"}, {"mlpackage", "coreml"},
    {"mlprogram", "coreml"}, {"apple", "coreml"},  {"ios", "coreml"},     {"pytorch", "-"},
    {"pt", "-"},            {"torch", "-"},        {"savedmodel", "saved_model"}, {"graphdef", "pb"},
    {"tfjs", "tfjs"},       {"tensorflowjs", "tfjs"}, {"paddlepaddle", "paddle"},
};

int matrix_option_find(const Matrix *m, const char *name)
{
    if (!name || !*name) return -1;
    for (size_t a = 0; a < ARRAY_LEN(option_aliases); a++)
        if (!strcasecmp(name, option_aliases[a].alias)) {
            name = option_aliases[a].argument;
            break;
        }
    for (int i = 0; i < m->n_options; i++) {
        const MatrixOption *o = &m->options[i];
        if (!strcasecmp(name, o->argument) || !strcasecmp(name, o->name)) return i;
        const char *suf = o->suffix;
        if (*suf == '.' || *suf == '_') suf++;
        if (!strcasecmp(name, suf)) return i;
    }
    return -1;
}

/* ---- live rows ---- */

void matrix_live_init(MatrixLive *rows, int n)
{
    for (int i = 0; i < n; i++) {
        rows[i] = (MatrixLive){0};
        rows[i].size_bytes = -1;
        rows[i].seconds = -1;
    }
}

void matrix_live_fill_avail(const Matrix *m, const HostFacts *host, MatrixLive *rows)
{
    for (int i = 0; i < m->n_options; i++) {
        const MatrixOption *o = &m->options[i];
        rows[i].tool = NULL;
        if (!strcmp(o->argument, "-")) {
            rows[i].avail = MATRIX_AVAIL_SOURCE;
            continue;
        }
        const FormatInfo *fi = registry_find(o->argument);
        if (fi && fi->write) {
            rows[i].avail = MATRIX_AVAIL_BUILTIN;
            continue;
        }
        rows[i].avail = MATRIX_AVAIL_MISSING;
        for (int t = 0; host && t < o->n_tools; t++) {
            const char *path = host_tool_path(host, o->tools[t]);
            if (path) {
                rows[i].avail = MATRIX_AVAIL_TOOL;
                rows[i].tool = path;
                break;
            }
        }
    }
}
