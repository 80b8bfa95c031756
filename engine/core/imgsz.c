/* imgsz: the shared image-size rules (see imgsz.h). */
#include "engine/core/imgsz.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "640", "[480, 640]", "(480, 640)", "[640]": 1 or 2 ints in [1, IMGSZ_MAX]. */
static bool parse_sizes(const char *s, int out[2])
{
    while (isspace((unsigned char)*s)) s++;
    char close = *s == '[' ? ']' : *s == '(' ? ')' : 0;
    if (close) s++;
    int v[2], n = 0;
    for (;;) {
        while (isspace((unsigned char)*s)) s++;
        if (!isdigit((unsigned char)*s)) break;
        char *end;
        errno = 0;
        long x = strtol(s, &end, 10);
        if (errno || x < 1 || x > IMGSZ_MAX || n == 2) return false;
        v[n++] = (int)x;
        s = end;
        while (isspace((unsigned char)*s)) s++;
        if (*s != ',') break;
        s++;
    }
    if (n == 0) return false;
    if (close && *s++ != close) return false;
    while (isspace((unsigned char)*s)) s++;
    if (*s) return false;
    out[0] = v[0];
    out[1] = v[n - 1];
    return true;
}

bool imgsz_from_train_args(const KeyValue *args, int n, int out[2])
{
    for (int i = 0; i < n; i++)
        if (args[i].key && args[i].value && !strcmp(args[i].key, "imgsz")) return parse_sizes(args[i].value, out);
    return false;
}

void imgsz_default(const KeyValue *train_args, int n, int out[2])
{
    if (!imgsz_from_train_args(train_args, n, out)) out[0] = out[1] = IMGSZ_DEFAULT;
}

int imgsz_model_stride(const int *strides, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (strides[i] > m) m = strides[i];
    return m > 0 ? m : IMGSZ_STRIDE_DEFAULT;
}

static void list_text(const int *v, int n, char *buf, size_t len)
{
    if (n == 1) snprintf(buf, len, "[%d]", v[0]);
    else snprintf(buf, len, "[%d, %d]", v[0], v[1]);
}

bool imgsz_check(const int *v, int n, int stride, int out[2], char *msg, size_t msglen)
{
    if (stride < 1) stride = 1;
    n = n == 2 ? 2 : 1;
    int sz[2];
    bool changed = false;
    for (int i = 0; i < n; i++) {
        sz[i] = (v[i] + stride - 1) / stride * stride;
        if (sz[i] != v[i]) changed = true;
    }
    if (changed && msg && msglen) {
        char given[64], upd[64];
        list_text(v, n, given, sizeof given);
        list_text(sz, n, upd, sizeof upd);
        snprintf(msg, msglen, "imgsz=%s must be multiple of max stride %d, updating to %s", given, stride, upd);
    }
    out[0] = sz[0];
    out[1] = n == 2 ? sz[1] : sz[0];
    return changed;
}

int64_t imgsz_anchors(const int *strides, int n, int h, int w)
{
    int64_t anchors = 0;
    for (int i = 0; i < n; i++)
        if (strides[i] > 0) anchors += (int64_t)(h / strides[i]) * (w / strides[i]);
    return anchors;
}
