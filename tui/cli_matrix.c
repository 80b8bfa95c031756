/* cli_matrix: `yoloport matrix` — print the deployment-option comparison matrix as a table fitted
 * to the terminal, markdown, JSON or CSV, in English or Chinese, optionally narrowed to some
 * criteria and formats, and with this host's availability column (--here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "engine/host/host.h"
#include "tui/matrix_render.h"
#include "engine/core/textwidth.h"
#include "engine/core/util.h"
#include "tui/cli.h"

static const char usage[] =
    "usage: yoloport matrix [--lang en|zh] [--format table|markdown|json|csv] [--criteria KEY,...]\n"
    "                       [--only FORMAT,...] [--width N] [--details] [--here]\n"
    "  criteria: performance, compatibility, community, use_cases, maintenance, security, acceleration\n"
    "  formats:  -/pt (PyTorch), torchscript, onnx, openvino, engine, coreml, saved_model, pb, tflite,\n"
    "            edgetpu, tfjs, paddle, mnn, ncnn\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "yoloport matrix: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return 2;
}

/* Terminal width: the tty's when stdout is one, else $COLUMNS, else 100. */
static int default_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *cols = getenv("COLUMNS");
    if (cols && *cols) {
        char *end;
        long v = strtol(cols, &end, 10);
        if (!*end && v > 0 && v < 100000) return (int)v;
    }
    return 100;
}

/* "--name value" or "--name=value": the value, advancing *i; NULL when this is not --name. */
static const char *flag_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n)) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* Split a comma list into indices with `find`; the first unknown item is returned in *bad. */
static int parse_list(const char *list, const Matrix *m, int (*find)(const Matrix *, const char *), int *out,
                      int max, char *bad, size_t badlen)
{
    int n = 0;
    char *copy = xstrdup(list), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ') tok[--len] = '\0';
        if (!*tok) continue;
        int idx = find(m, tok);
        if (idx < 0) {
            snprintf(bad, badlen, "%s", tok);
            free(copy);
            return -1;
        }
        if (n < max) out[n++] = idx;
    }
    free(copy);
    if (!n) snprintf(bad, badlen, "%s", list);
    return n ? n : -1;
}

int cli_matrix(int argc, char **argv)
{
    const char *lang = "en", *format = "table", *criteria = NULL, *only = NULL, *width_s = NULL;
    bool details = false, here = false;
    for (int i = 0; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--details")) {
            details = true;
        } else if (!strcmp(argv[i], "--here")) {
            here = true;
        } else if ((v = flag_value(argc, argv, &i, "--lang", &missing))) {
            lang = v;
        } else if ((v = flag_value(argc, argv, &i, "--format", &missing))) {
            format = v;
        } else if ((v = flag_value(argc, argv, &i, "--criteria", &missing))) {
            criteria = v;
        } else if ((v = flag_value(argc, argv, &i, "--only", &missing))) {
            only = v;
        } else if ((v = flag_value(argc, argv, &i, "--width", &missing))) {
            width_s = v;
        } else if (missing) {
            return usage_error("%s needs a value", argv[i]);
        } else {
            return usage_error("unknown option '%s' (yoloport matrix --help lists them)", argv[i]);
        }
    }
    if (strcmp(lang, "en") && strcmp(lang, "zh")) return usage_error("unknown language '%s' (expected en or zh)", lang);
    MatrixRenderOpts opts = {0};
    if (matrix_format_parse(format, &opts.format))
        return usage_error("unknown format '%s' (expected table, markdown, json or csv)", format);
    opts.width = default_width();
    if (width_s) {
        char *end;
        long w = strtol(width_s, &end, 10);
        if (*end || end == width_s || w < 20 || w > 10000)
            return usage_error("--width '%s': expected a number of columns from 20 to 10000", width_s);
        opts.width = (int)w;
    }

    char err[1024];
    Matrix *m = matrix_load(lang, err, sizeof err);
    if (!m) {
        fprintf(stderr, "yoloport matrix: %s\n", err);
        return 1;
    }
    int crit[MATRIX_CRITERION_COUNT * 2], opt[64];
    char bad[256];
    int rc = 0;
    if (criteria) {
        int n = parse_list(criteria, m, matrix_criterion_find, crit, (int)ARRAY_LEN(crit), bad, sizeof bad);
        if (n < 0) {
            rc = usage_error("unknown criterion '%s': expected performance, compatibility, community, use_cases, "
                             "maintenance, security or acceleration", bad);
            goto done;
        }
        opts.criteria = crit;
        opts.n_criteria = n;
    }
    if (only) {
        int n = parse_list(only, m, matrix_option_find, opt, (int)ARRAY_LEN(opt), bad, sizeof bad);
        if (n < 0) {
            rc = usage_error("unknown export format '%s': expected pt, torchscript, onnx, openvino, engine, coreml, "
                             "saved_model, pb, tflite, edgetpu, tfjs, paddle, mnn or ncnn", bad);
            goto done;
        }
        opts.options = opt;
        opts.n_options = n;
    }
    opts.details = details;
    MatrixLive *live = NULL;
    HostFacts host; /* the live rows point into it */
    if (here) {
        host_detect(&host);
        live = xcalloc((size_t)matrix_option_count(m), sizeof *live);
        matrix_live_init(live, matrix_option_count(m));
        matrix_live_fill_avail(m, &host, live);
        opts.live = live;
        if (opts.format == MATRIX_FMT_TABLE) {
            char line[1024], **lines;
            int n = textwidth_wrap(host_summary(&host, line, sizeof line), opts.width, &lines);
            for (int i = 0; i < n; i++) printf("%s\n", lines[i]);
            printf("\n");
            textwidth_free_lines(lines, n);
        }
    }
    char *out = matrix_render(m, &opts);
    fputs(out, stdout);
    free(out);
    free(live);
    if (fflush(stdout) != 0) rc = 1;
done:
    matrix_free(m);
    return rc;
}
