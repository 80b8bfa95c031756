/* text: display-width measurement, cutting and drawing for UTF-8 strings (see text.h). */
#define _XOPEN_SOURCE_EXTENDED 1
#include "widgets/text.h"

#include <ctype.h>
#include <langinfo.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

int text_next(const char *s, size_t n, wchar_t *wc, int *cols)
{
    if (n == 0) {
        *wc = 0;
        *cols = 0;
        return 0;
    }
    mbstate_t st;
    memset(&st, 0, sizeof st);
    wchar_t c;
    size_t k = mbrtowc(&c, s, n, &st);
    if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
        *wc = L'?';
        *cols = 1;
        return 1;
    }
    int w = wcwidth(c);
    if (w < 0 || (c < 0x20) || c == 0x7f) { /* control or unprintable: one '?' */
        *wc = L'?';
        *cols = 1;
    } else {
        *wc = c;
        *cols = w;
    }
    return (int)k;
}

int text_width(const char *s)
{
    if (!s) return 0;
    size_t n = strlen(s);
    int total = 0;
    while (n) {
        wchar_t wc;
        int c;
        int k = text_next(s, n, &wc, &c);
        total += c;
        s += k;
        n -= (size_t)k;
    }
    return total;
}

size_t text_cut(const char *s, int maxw, int *w)
{
    size_t n = s ? strlen(s) : 0, pos = 0;
    int used = 0;
    while (pos < n) {
        wchar_t wc;
        int c;
        int k = text_next(s + pos, n - pos, &wc, &c);
        if (used + c > maxw) break;
        used += c;
        pos += (size_t)k;
    }
    /* zero-width characters after the cut belong to the last glyph */
    while (pos < n) {
        wchar_t wc;
        int c;
        int k = text_next(s + pos, n - pos, &wc, &c);
        if (c != 0) break;
        pos += (size_t)k;
    }
    if (w) *w = used;
    return pos;
}

size_t text_skip(const char *s, int cols, int *pad)
{
    size_t n = s ? strlen(s) : 0, pos = 0;
    int used = 0;
    *pad = 0;
    while (pos < n && used < cols) {
        wchar_t wc;
        int c;
        int k = text_next(s + pos, n - pos, &wc, &c);
        used += c;
        pos += (size_t)k;
    }
    if (used > cols) *pad = used - cols;
    return pos;
}

char *text_fit(char *out, size_t outlen, const char *s, int width, int align, const char *ellipsis)
{
    if (outlen == 0) return out;
    if (!s) s = "";
    if (width < 0) width = 0;
    int sw = text_width(s);
    size_t o = 0;
#define PUT(ch)                              \
    do {                                     \
        if (o + 1 < outlen) out[o++] = (ch); \
    } while (0)
    if (sw <= width) {
        int gap = width - sw, left = align < 0 ? 0 : align > 0 ? gap : gap / 2;
        for (int i = 0; i < left; i++) PUT(' ');
        for (const char *p = s; *p; p++) PUT(*p);
        for (int i = 0; i < gap - left; i++) PUT(' ');
    } else {
        int ew = ellipsis ? text_width(ellipsis) : 0;
        if (ew > width) ew = 0, ellipsis = NULL;
        int w;
        size_t b = text_cut(s, width - ew, &w);
        for (size_t i = 0; i < b; i++) PUT(s[i]);
        if (ellipsis)
            for (const char *p = ellipsis; *p; p++) PUT(*p);
        for (int i = w + ew; i < width; i++) PUT(' '); /* a wide glyph did not fit: pad */
    }
#undef PUT
    out[o] = 0;
    return out;
}

int text_draw_from(WINDOW *w, int y, int x, const char *s, int skip, int maxw, attr_t attr)
{
    if (!s || maxw <= 0) return 0;
    int pad = 0;
    if (skip > 0) s += text_skip(s, skip, &pad);
    int drawn = 0;
    wmove(w, y, x);
    for (int i = 0; i < pad && drawn < maxw; i++, drawn++) waddch(w, ' ' | attr);
    size_t n = strlen(s);
    wchar_t buf[2];
    cchar_t cc;
    while (n && drawn < maxw) {
        wchar_t wc;
        int c;
        int k = text_next(s, n, &wc, &c);
        if (drawn + c > maxw) break;
        s += k;
        n -= (size_t)k;
        if (c == 0) continue; /* combining marks: dropped rather than risk misplacement */
        buf[0] = wc;
        buf[1] = 0;
        setcchar(&cc, buf, attr, PAIR_NUMBER(attr), NULL);
        wadd_wch(w, &cc);
        drawn += c;
    }
    return drawn;
}

int text_draw(WINDOW *w, int y, int x, const char *s, int maxw, attr_t attr)
{
    return text_draw_from(w, y, x, s, 0, maxw, attr);
}

void text_fill(WINDOW *w, int y, int x, int n, attr_t attr)
{
    if (n <= 0) return;
    wmove(w, y, x);
    for (int i = 0; i < n; i++) waddch(w, ' ' | attr);
}

void text_draw_pad(WINDOW *w, int y, int x, const char *s, int maxw, attr_t attr)
{
    int d = text_draw(w, y, x, s, maxw, attr);
    text_fill(w, y, x + d, maxw - d, attr);
}

const char *text_find_ci(const char *hay, const char *needle)
{
    if (!hay || !needle) return NULL;
    size_t nl = strlen(needle);
    if (nl == 0) return hay;
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, nl) == 0) return p;
    return NULL;
}

const char *text_bytes(char *buf, size_t len, long long bytes)
{
    static const char *units[] = {"B", "KB", "MB", "GB", "TB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        u++;
    }
    if (u == 0) snprintf(buf, len, "%lld B", bytes);
    else snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

const char *text_thousands(char *buf, size_t len, long long v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", v < 0 ? -v : v);
    size_t n = strlen(tmp), o = 0;
    if (v < 0 && o + 1 < len) buf[o++] = '-';
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 1 < len) buf[o++] = ',';
        if (o + 1 < len) buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

bool text_locale_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}
