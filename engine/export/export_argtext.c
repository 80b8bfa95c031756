/* export_argtext: export arguments as text -- the command line that reproduces them (for
 * yoloport or the peer's `yolo`, as a string or an argument vector), a word quoted as a shell
 * reads it back, and what makes an export a variant (its file-name part).  See
 * engine/export/export_args.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "engine/export/export_args.h"
#include "engine/registry/registry.h"

/* ---- command lines ------------------------------------------------------------------- */

static void append(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

static void append_word(char **buf, size_t *len, size_t *cap, const char *word)
{
    bool plain = *word != '\0';
    for (const char *p = word; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_-.,/:=+@%", *p)) plain = false;
    append(buf, len, cap, " ");
    if (plain) {
        append(buf, len, cap, word);
        return;
    }
    append(buf, len, cap, "'");
    for (const char *p = word; *p; p++) {
        char c[2] = {*p, 0};
        append(buf, len, cap, *p == '\'' ? "'\\''" : c);
    }
    append(buf, len, cap, "'");
}

char *export_shell_word(const char *word)
{
    size_t len = 0, cap = 32;
    char *buf = xmalloc(cap);
    buf[0] = '\0';
    append_word(&buf, &len, &cap, word);
    memmove(buf, buf + 1, len); /* append_word's leading space */
    return buf;
}

/* ---- variants ------------------------------------------------------------------------ */

/* Keys that say where or how an export runs, not what it writes. */
static bool variant_ignores(int k)
{
    switch (k) {
    case EXPORT_KEY_MODEL: case EXPORT_KEY_FORMAT: case EXPORT_KEY_NAME: case EXPORT_KEY_PROJECT:
    case EXPORT_KEY_DEVICE: case EXPORT_KEY_VERBOSE: case EXPORT_KEY_VERIFY: case EXPORT_KEY_HOST:
    case EXPORT_KEY_DATA: case EXPORT_KEY_SPLIT: case EXPORT_KEY_FRACTION:
        return true;
    default: return false;
    }
}

char *export_args_variant(const ExportArgs *eff, const ExportArgs *def, FormatId fmt, ExportVariantStyle style,
                          char *buf, size_t len)
{
    if (!len) return buf;
    buf[0] = '\0';
    size_t o = 0;
    for (int k = 0; k < EXPORT_KEY_COUNT; k++) {
        if (variant_ignores(k) || export_args_key_equal(eff, def, k) || !export_arg_applies(fmt, (ExportArgKey)k, NULL)) continue;
        if ((k == EXPORT_KEY_CONF || k == EXPORT_KEY_IOU || k == EXPORT_KEY_AGNOSTIC_NMS) && !eff->nms) continue;
        const ExportArgInfo *ai = &export_arg_info[k];
        const char *f = (const char *)export_args_field(eff, (ExportArgKey)k);
        char word[160], val[128];
        export_args_value_text(eff, (ExportArgKey)k, val, sizeof val);
        if (ai->type == ARG_IMGSZ && ((const ExportImgsz *)f)->v[0] == ((const ExportImgsz *)f)->v[1])
            snprintf(val, sizeof val, "%d", ((const ExportImgsz *)f)->v[0]);
        if (style == EXPORT_VARIANT_WORDS) {
            if (ai->type == ARG_BOOL && *(const bool *)f) snprintf(word, sizeof word, "%s", ai->name);
            else snprintf(word, sizeof word, "%s=%s", ai->name, val);
        } else {
            if (ai->type == ARG_BOOL) snprintf(word, sizeof word, "%s%s", *(const bool *)f ? "" : "no", ai->name);
            else if (k == EXPORT_KEY_BACKEND) snprintf(word, sizeof word, "%s", val);
            else if (ai->type == ARG_IMGSZ) {
                const ExportImgsz *im = (const ExportImgsz *)f;
                if (im->v[0] == im->v[1]) snprintf(word, sizeof word, "imgsz%d", im->v[0]);
                else snprintf(word, sizeof word, "imgsz%dx%d", im->v[0], im->v[1]);
            } else snprintf(word, sizeof word, "%s%s", ai->name, val);
            /* a file name: letters, digits, '.', '_' and 'x' only (None stays readable) */
            for (char *c = word; *c; c++)
                if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_') *c = '_';
        }
        o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s", o ? (style == EXPORT_VARIANT_WORDS ? " " : "-") : "",
                              word);
        if (o >= len) {
            buf[len - 1] = '\0';
            break;
        }
    }
    return buf;
}

/* Keys the peer's `yolo export` line leaves out: its name= and project= name a run's folder
 * (export ignores them), except RKNN's name=, the chip. */
static bool yolo_line_skips(const ExportArgs *a, int k)
{
    if (export_arg_info[k].flags & ARGF_OURS) return true;
    if (k == EXPORT_KEY_PROJECT) return true;
    if (k == EXPORT_KEY_NAME) {
        const FormatInfo *fi = registry_find(a->format);
        return !fi || fi->id != FMT_RKNN;
    }
    return false;
}

char **export_args_argv(const ExportArgs *a, ExportCmdStyle style)
{
    Vec v = {0};
    char *w0 = xstrdup(style == EXPORT_CMD_YOLO ? "yolo" : "yoloport"), *w1 = xstrdup("export");
    vec_push(&v, sizeof w0, &w0);
    vec_push(&v, sizeof w1, &w1);
    ExportArgs def;
    export_args_init(&def);
    char val[EXPORT_PATH_MAX];
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < EXPORT_KEY_COUNT; k++) {
            if ((pass == 0) != (k == EXPORT_KEY_MODEL)) continue; /* model first */
            if (export_args_key_equal(a, &def, k)) continue;
            if (style == EXPORT_CMD_YOLO && yolo_line_skips(a, k)) continue;
            export_args_value_text(a, (ExportArgKey)k, val, sizeof val);
            char *word = xasprintf("%s=%s", export_arg_info[k].name, val);
            vec_push(&v, sizeof word, &word);
        }
    }
    char *null = NULL;
    vec_push(&v, sizeof null, &null);
    return v.items;
}

char *export_args_command(const ExportArgs *a, ExportCmdStyle style)
{
    char **argv = export_args_argv(a, style);
    size_t len = 0, cap = 128;
    char *buf = xmalloc(cap);
    buf[0] = '\0';
    append(&buf, &len, &cap, argv[0]); /* "yolo export" / "yoloport export": plain words */
    append(&buf, &len, &cap, " ");
    append(&buf, &len, &cap, argv[1]);
    for (char **w = argv + 2; *w; w++) append_word(&buf, &len, &cap, *w);
    for (char **w = argv; *w; w++) free(*w);
    free(argv);
    return buf;
}
