/* report: artifacts, checks, precision scan and the peer's formatting (see report.h). */
#include "engine/export/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/util.h"
#include "engine/quant/quant.h"

/* ---- precision ------------------------------------------------------------------------ */

const char *precision_name(Precision p)
{
    static const char *const names[] = {"-", "fp32", "fp16", "bf16", "int8", "mixed"};
    return (unsigned)p < ARRAY_LEN(names) ? names[p] : "-";
}

void report_scan_precision(const Graph *g, PrecisionInfo *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < g->n_tensors; i++) {
        const Tensor *t = &g->tensors[i];
        if (!t->data && !t->is_param && !t->external) continue;
        if (t->is_input || t->derived) continue; /* as stored: not a copy a reader decoded */
        int64_t n = tensor_numel(t);
        if (n < 16) continue;
        int64_t bytes = n * (int64_t)dtype_size(t->dtype);
        switch (t->dtype) {
        case DT_F32: out->bytes_f32 += bytes; break;
        case DT_F16: out->bytes_f16 += bytes; break;
        case DT_BF16: out->bytes_bf16 += bytes; break;
        case DT_I8:
        case DT_U8: out->bytes_i8 += bytes; break;
        default: break;
        }
    }
    struct {
        Precision p;
        int64_t b;
    } parts[] = {{PREC_FP32, out->bytes_f32}, {PREC_FP16, out->bytes_f16}, {PREC_BF16, out->bytes_bf16},
                 {PREC_INT8, out->bytes_i8}};
    int64_t total = 0;
    int kinds = 0;
    Precision only = PREC_NONE;
    for (size_t i = 0; i < ARRAY_LEN(parts); i++)
        if (parts[i].b > 0) {
            total += parts[i].b;
            kinds++;
            only = parts[i].p;
        }
    const char *scheme = quant_scheme(g); /* INT8 said as the graph computes it, not only as stored */
    if (scheme && out->bytes_i8 > 0) {
        out->kind = PREC_INT8;
        snprintf(out->text, sizeof out->text, "%s", scheme);
    } else if (kinds == 0) {
        out->kind = PREC_NONE;
        snprintf(out->text, sizeof out->text, "-");
    } else if (kinds == 1) {
        out->kind = only;
        snprintf(out->text, sizeof out->text, "%s", precision_name(only));
    } else {
        out->kind = PREC_MIXED;
        size_t used = (size_t)snprintf(out->text, sizeof out->text, "mixed (");
        const char *sep = "";
        for (size_t i = 0; i < ARRAY_LEN(parts) && used < sizeof out->text; i++) {
            if (parts[i].b <= 0) continue;
            used += (size_t)snprintf(out->text + used, sizeof out->text - used, "%s%s %.0f%%", sep,
                                     precision_name(parts[i].p), 100.0 * (double)parts[i].b / (double)total);
            sep = ", ";
        }
        if (used < sizeof out->text) snprintf(out->text + used, sizeof out->text - used, ")");
    }
}

/* ---- checks and artifacts ------------------------------------------------------------- */

const char *check_status_mark(CheckStatus s)
{
    switch (s) {
    case CHECK_PASSED: return "✅";
    case CHECK_WRITTEN_FAILED: return "❎";
    case CHECK_FAILED: return "❌";
    default: return "–";
    }
}

const char *check_status_word(CheckStatus s)
{
    switch (s) {
    case CHECK_PASSED: return "passed";
    case CHECK_WRITTEN_FAILED: return "written but check failed";
    case CHECK_FAILED: return "failed";
    default: return "skipped";
    }
}

const char *artifact_status_word(CheckStatus s)
{
    return s == CHECK_SKIPPED ? "written, not checked" : check_status_word(s);
}

void report_init(Report *r, const char *source_path, int64_t source_bytes)
{
    memset(r, 0, sizeof *r);
    r->source_path = xstrdup(source_path ? source_path : "");
    r->source_bytes = source_bytes;
}

void report_free(Report *r)
{
    if (!r) return;
    free(r->source_path);
    for (int i = 0; i < r->n_artifacts; i++) {
        free(r->artifacts[i].path);
        free(r->artifacts[i].format);
        free(r->artifacts[i].built_on);
        free(r->artifacts[i].accuracy);
        free(r->artifacts[i].accuracy_data);
    }
    free(r->artifacts);
    for (int i = 0; i < r->n_checks; i++) {
        free(r->checks[i].name);
        free(r->checks[i].detail);
    }
    free(r->checks);
    memset(r, 0, sizeof *r);
}

ReportArtifact *report_add_artifact(Report *r, const char *path, const char *format, int64_t bytes,
                                    const PrecisionInfo *precision, double seconds)
{
    r->artifacts = xrealloc(r->artifacts, sizeof *r->artifacts * (size_t)(r->n_artifacts + 1));
    ReportArtifact *a = &r->artifacts[r->n_artifacts++];
    memset(a, 0, sizeof *a);
    a->path = xstrdup(path ? path : "");
    a->format = xstrdup(format ? format : "");
    a->bytes = bytes;
    if (precision) a->precision = *precision;
    else snprintf(a->precision.text, sizeof a->precision.text, "-");
    a->seconds = seconds;
    a->status = CHECK_SKIPPED;
    a->max_abs_delta = -1;
    a->map = a->map_ref = -1;
    return a;
}

ReportCheck *report_add_check(Report *r, const char *name, CheckStatus status, double max_abs_delta,
                              double tolerance, const char *detail)
{
    r->checks = xrealloc(r->checks, sizeof *r->checks * (size_t)(r->n_checks + 1));
    ReportCheck *c = &r->checks[r->n_checks++];
    c->name = xstrdup(name ? name : "");
    c->status = status;
    c->max_abs_delta = max_abs_delta;
    c->tolerance = tolerance;
    c->detail = xstrdup(detail ? detail : "");
    return c;
}

void report_set_built_on(ReportArtifact *a, const char *text)
{
    free(a->built_on);
    a->built_on = text ? xstrdup(text) : NULL;
}

void report_set_accuracy(ReportArtifact *a, double map, double map_ref, const char *data)
{
    free(a->accuracy);
    free(a->accuracy_data);
    a->map = map;
    a->map_ref = map_ref;
    double d = map - map_ref;
    /* the sign as the issue tracker and papers print it: U+2212 for a drop */
    a->accuracy = xasprintf("mAP50-95 %.3f (%s%.3f vs fp32)", map, d < -0.0005 ? "\u2212" : "+", fabs(d));
    a->accuracy_data = data ? xstrdup(data) : NULL;
}

void report_copy(Report *dst, const Report *src)
{
    report_init(dst, src->source_path, src->source_bytes);
    dst->total_seconds = src->total_seconds;
    for (int i = 0; i < src->n_artifacts; i++) {
        const ReportArtifact *a = &src->artifacts[i];
        ReportArtifact *b = report_add_artifact(dst, a->path, a->format, a->bytes, &a->precision, a->seconds);
        b->status = a->status;
        b->max_abs_delta = a->max_abs_delta;
        report_set_built_on(b, a->built_on);
        if (a->accuracy) report_set_accuracy(b, a->map, a->map_ref, a->accuracy_data);
    }
    for (int i = 0; i < src->n_checks; i++) {
        const ReportCheck *c = &src->checks[i];
        report_add_check(dst, c->name, c->status, c->max_abs_delta, c->tolerance, c->detail);
    }
}

static void sb_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void sb_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (*len + (size_t)n < *cap) {
            *len += (size_t)n;
            return;
        }
        *cap = (*cap + (size_t)n + 1) * 2;
        *buf = xrealloc(*buf, *cap);
    }
}

/* ---- the peer's formatting ------------------------------------------------------------ */

const char *report_colorstr(char *buf, size_t len, const char *style, const char *text, bool color)
{
    static const struct {
        const char *name, *code;
    } codes[] = {
        {"black", "\033[30m"},   {"red", "\033[31m"},      {"green", "\033[32m"},     {"yellow", "\033[33m"},
        {"blue", "\033[34m"},    {"magenta", "\033[35m"},  {"cyan", "\033[36m"},      {"white", "\033[37m"},
        {"bold", "\033[1m"},     {"underline", "\033[4m"},
    };
    if (!color) {
        snprintf(buf, len, "%s", text);
        return buf;
    }
    char styles[128];
    snprintf(styles, sizeof styles, "%s", style ? style : "blue bold");
    size_t used = 0;
    buf[0] = '\0';
    char *save = NULL;
    for (char *tok = strtok_r(styles, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        for (size_t i = 0; i < ARRAY_LEN(codes); i++)
            if (!strcmp(tok, codes[i].name) && used < len)
                used += (size_t)snprintf(buf + used, len - used, "%s", codes[i].code);
    if (used < len) snprintf(buf + used, len - used, "%s\033[0m", text);
    return buf;
}

char *report_py_repr(const char *s)
{
    bool has_single = strchr(s, '\'') != NULL, has_double = strchr(s, '"') != NULL;
    char quote = has_single && !has_double ? '"' : '\'';
    size_t cap = strlen(s) * 4 + 3, n = 0;
    char *out = xmalloc(cap);
    out[n++] = quote;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        if (c == '\\') { out[n++] = '\\'; out[n++] = '\\'; }
        else if (c == (unsigned char)quote) { out[n++] = '\\'; out[n++] = (char)c; }
        else if (c == '\n') { out[n++] = '\\'; out[n++] = 'n'; }
        else if (c == '\r') { out[n++] = '\\'; out[n++] = 'r'; }
        else if (c == '\t') { out[n++] = '\\'; out[n++] = 't'; }
        else if (c < 0x20 || c == 0x7f) n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
        else if (c == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) { /* C1 controls print as \x80..\x9f */
            n += (size_t)snprintf(out + n, cap - n, "\\x%02x", p[1]);
            p++;
        } else out[n++] = (char)c;
    }
    out[n++] = quote;
    out[n] = '\0';
    return out;
}

char *report_py_names(const char *const *names, int n)
{
    size_t cap = 64, len = 0;
    char *out = xmalloc(cap);
    sb_printf(&out, &len, &cap, "{");
    for (int i = 0; i < n; i++) {
        char *r = report_py_repr(names[i] ? names[i] : "");
        sb_printf(&out, &len, &cap, "%s%d: %s", i ? ", " : "", i, r);
        free(r);
    }
    sb_printf(&out, &len, &cap, "}");
    return out;
}

void report_isoformat_now(char *buf, size_t len)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    time_t sec = tv.tv_sec;
    localtime_r(&sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (tv.tv_usec != 0 && n < len) snprintf(buf + n, len - n, ".%06ld", (long)tv.tv_usec);
}

const char *report_shape_tuple(char *buf, size_t len, const int64_t *dims, int rank)
{
    size_t used = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < rank && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? ", " : "", (long long)dims[i]);
    if (rank == 1 && used < len) used += (size_t)snprintf(buf + used, len - used, ",");
    if (used < len) snprintf(buf + used, len - used, ")");
    return buf;
}
