/* cli_args: key=value parsing for predict, val and benchmark (see cli_args.h). */
#include "tui/cli_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"

static const char *type_name(const char *v)
{
    char *end;
    errno = 0;
    (void)strtol(v, &end, 10);
    if (*v && !*end) return "int";
    (void)strtod(v, &end);
    if (*v && !*end) return "float";
    return "str";
}

static int parse_ints(const char *v, int *out, int max, int *n)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *p = buf; *p; p++)
        if (*p == '[' || *p == ']' || *p == '(' || *p == ')') *p = ' ';
    *n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        char *end;
        long x = strtol(t, &end, 10);
        if (*end || x < 0 || x > 1 << 20 || *n >= max) return -1;
        out[(*n)++] = (int)x;
    }
    return *n > 0 ? 0 : -1;
}

int cli_arg_set(CliArg *a, const char *v, const char *verb)
{
    char *end;
    switch (a->type) {
    case CA_BOOL: {
        bool *b = a->dst;
        if (!strcmp(v, "True") || !strcmp(v, "true") || !strcmp(v, "1")) *b = true;
        else if (!strcmp(v, "False") || !strcmp(v, "false") || !strcmp(v, "0")) *b = false;
        else {
            fprintf(stderr, "yoloport %s: '%s=%s' is of invalid type %s. '%s' must be a bool (i.e. '%s=True' or "
                    "'%s=False')\n", verb, a->name, v, type_name(v), a->name, a->name, a->name);
            return -1;
        }
        return 0;
    }
    case CA_INT: {
        long x = strtol(v, &end, 10);
        if (!*v || *end || x < 0 || x > 1 << 30) {
            fprintf(stderr, "yoloport %s: '%s=%s' is of invalid type %s. '%s' must be a non-negative int (i.e. "
                    "'%s=1')\n", verb, a->name, v, type_name(v), a->name, a->name);
            return -1;
        }
        *(int *)a->dst = (int)x;
        return 0;
    }
    case CA_THREADS: {
        long x = strtol(v, &end, 10);
        if (!*v || *end || x < 1 || x > CLI_MAX_THREADS) {
            fprintf(stderr, "yoloport %s: '%s=%s' is an invalid value: '%s' takes a whole number of threads from 1 to %d "
                    "(i.e. '%s=2'; leave it out for every core)\n", verb, a->name, v, a->name, CLI_MAX_THREADS, a->name);
            return -1;
        }
        *(int *)a->dst = (int)x;
        return 0;
    }
    case CA_FLOAT:
    case CA_FRACTION: {
        double x = strtod(v, &end);
        if (!*v || *end || x != x) {
            fprintf(stderr, "yoloport %s: '%s=%s' is of invalid type %s. '%s' must be an int or float (i.e. "
                    "'%s=0.5')\n", verb, a->name, v, type_name(v), a->name, a->name);
            return -1;
        }
        if (a->type == CA_FRACTION && !(x >= 0 && x <= 1)) {
            fprintf(stderr, "yoloport %s: '%s=%s' is an invalid value. Valid '%s' values are between 0.0 and 1.0.\n",
                    verb, a->name, v, a->name);
            return -1;
        }
        if (a->type == CA_FLOAT && x < 0) {
            fprintf(stderr, "yoloport %s: '%s=%s' is an invalid value: it must not be negative\n", verb, a->name, v);
            return -1;
        }
        *(double *)a->dst = x;
        return 0;
    }
    case CA_STR:
        if (strlen(v) >= CLI_ARG_STR) {
            fprintf(stderr, "yoloport %s: '%s' is too long\n", verb, a->name);
            return -1;
        }
        snprintf(a->dst, CLI_ARG_STR, "%s", v);
        return 0;
    case CA_IMGSZ: {
        int vals[4], n = 0;
        if (parse_ints(v, vals, 4, &n) != 0 || n > 2 || vals[0] < 1 || vals[n - 1] < 1 || vals[0] > 16384 ||
            vals[n - 1] > 16384) {
            fprintf(stderr, "yoloport %s: 'imgsz=%s' is not a valid image size: use imgsz=640 or imgsz=480,640 (h,w), "
                    "each between 1 and 16384\n", verb, v);
            return -1;
        }
        int *o = a->dst;
        o[0] = vals[0];
        o[1] = vals[n - 1];
        return 0;
    }
    case CA_INTS: {
        CliInts *o = a->dst;
        if (parse_ints(v, o->v, (int)ARRAY_LEN(o->v), &o->n) != 0) {
            fprintf(stderr, "yoloport %s: '%s=%s' is not a list of class indices (i.e. '%s=0' or '%s=0,2')\n", verb,
                    a->name, v, a->name, a->name);
            return -1;
        }
        return 0;
    }
    }
    return -1;
}

int cli_args_parse(CliArg *spec, int n, const char *const *flags, bool *flag_set, int nflags, int argc, char **argv,
                   const char *verb)
{
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        if (w[0] == '-' && w[1] == '-') {
            int f = -1;
            for (int k = 0; k < nflags; k++)
                if (!strcmp(w, flags[k])) f = k;
            if (f < 0) {
                const char *eq = strchr(w, '=');
                if (eq) fprintf(stderr, "yoloport %s: '%s': use key=value, e.g. %.*s=%s\n", verb, w, (int)(eq - w - 2),
                                w + 2, eq + 1);
                else fprintf(stderr, "yoloport %s: unknown option '%s'\n", verb, w);
                bad = 1;
            } else {
                flag_set[f] = true;
            }
            continue;
        }
        const char *eq = strchr(w, '=');
        char key[64];
        size_t kl = eq ? (size_t)(eq - w) : strlen(w);
        if (kl >= sizeof key) kl = sizeof key - 1;
        memcpy(key, w, kl);
        key[kl] = '\0';
        CliArg *a = NULL;
        for (int k = 0; k < n; k++)
            if (!strcmp(spec[k].name, key)) a = &spec[k];
        if (!a) {
            fprintf(stderr, "yoloport %s: '%s' is not a valid YOLO argument.\n", verb, key);
            bad = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : (a->type == CA_BOOL ? "True" : NULL);
        if (!v || !*v) {
            fprintf(stderr, "yoloport %s: '%s' needs a value (i.e. '%s=...')\n", verb, key, key);
            bad = 1;
            continue;
        }
        char unq[CLI_ARG_STR];
        size_t vl = strlen(v);
        if (vl >= 2 && vl < sizeof unq && (v[0] == '\'' || v[0] == '"') && v[vl - 1] == v[0]) {
            memcpy(unq, v + 1, vl - 2);
            unq[vl - 2] = '\0';
            v = unq;
        }
        if (cli_arg_set(a, v, verb) != 0) bad = 1;
        else a->given = true;
    }
    return bad ? 2 : 0;
}
