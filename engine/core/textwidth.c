/* textwidth: the one display-width model for UTF-8 text, and width-aware cutting, fitting and
 * word wrapping (see textwidth.h). */
#include "engine/core/textwidth.h"

#include <langinfo.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "engine/core/util.h"

size_t textwidth_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    size_t need;
    uint32_t c, min;
    if ((u[0] & 0xE0) == 0xC0) need = 2, c = u[0] & 0x1F, min = 0x80;
    else if ((u[0] & 0xF0) == 0xE0) need = 3, c = u[0] & 0x0F, min = 0x800;
    else if ((u[0] & 0xF8) == 0xF0) need = 4, c = u[0] & 0x07, min = 0x10000;
    else goto bad;
    if (need > len) goto bad;
    for (size_t i = 1; i < need; i++) {
        if ((u[i] & 0xC0) != 0x80) goto bad;
        c = (c << 6) | (u[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) goto bad;
    *cp = c;
    return need;
bad:
    *cp = 0xFFFD;
    return 1;
}

typedef struct {
    uint32_t lo, hi;
} Range;

/* East Asian Wide and Fullwidth blocks, and the emoji the peer's legend uses (✅ ❎ ❌). */
static const Range wide_ranges[] = {
    {0x1100, 0x115F}, {0x231A, 0x231B}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0}, {0x23F3, 0x23F3},
    {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE},
    {0x26C4, 0x26C5}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F5}, {0x26FA, 0x26FD},
    {0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728}, {0x274C, 0x274C}, {0x274E, 0x274E},
    {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797}, {0x27B0, 0x27B0}, {0x27BF, 0x27BF},
    {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x2E80, 0x303E}, {0x3041, 0x33FF},
    {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF}, {0xA960, 0xA97F}, {0xAC00, 0xD7A3},
    {0xF900, 0xFAFF}, {0xFE10, 0xFE19}, {0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6},
    {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

static const Range zero_ranges[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
    {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

static bool in_ranges(uint32_t cp, const Range *r, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[mid].lo) hi = mid;
        else if (cp > r[mid].hi) lo = mid + 1;
        else return true;
    }
    return false;
}

static int table_width(uint32_t cp)
{
    if (in_ranges(cp, zero_ranges, ARRAY_LEN(zero_ranges))) return 0;
    if (in_ranges(cp, wide_ranges, ARRAY_LEN(wide_ranges))) return 2;
    return 1;
}

bool textwidth_locale_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

static bool is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp < 0xA0); }

/* The model (see textwidth.h): columns of cp, and whether it is shown as itself.  wcwidth()
 * is only meaningful when the locale's character set is UTF-8 (wchar_t is then the code
 * point); otherwise the table decides.  `utf8` is looked up once per top-level call. */
static int measure(uint32_t cp, bool utf8, bool *as_itself)
{
    *as_itself = true;
    if (is_control(cp)) {
        *as_itself = false;
        return 1;
    }
    if (utf8) {
        int w = wcwidth((wchar_t)cp);
        if (w >= 0) return w;
        *as_itself = false;
    }
    return table_width(cp);
}

static size_t glyph_at(const char *s, size_t len, bool utf8, uint32_t *shown, int *cols)
{
    if (len == 0) {
        *shown = 0;
        *cols = 0;
        return 0;
    }
    uint32_t cp;
    size_t k = textwidth_decode(s, len, &cp);
    if (cp == 0xFFFD && k == 1) { /* an invalid byte (a real U+FFFD takes three) */
        *shown = '?';
        *cols = 1;
        return 1;
    }
    bool itself;
    *cols = measure(cp, utf8, &itself);
    *shown = itself ? cp : '?';
    return k;
}

size_t textwidth_glyph(const char *s, size_t len, uint32_t *shown, int *cols)
{
    return glyph_at(s, len, textwidth_locale_utf8(), shown, cols);
}

int textwidth_char(uint32_t cp)
{
    bool itself;
    return measure(cp, textwidth_locale_utf8(), &itself);
}

int textwidth_n(const char *s, size_t n)
{
    if (!s) return 0;
    bool utf8 = textwidth_locale_utf8();
    int w = 0;
    for (size_t i = 0; i < n && s[i];) {
        uint32_t g;
        int c;
        i += glyph_at(s + i, n - i, utf8, &g, &c);
        w += c;
    }
    return w;
}

int textwidth_str(const char *s)
{
    return s ? textwidth_n(s, strlen(s)) : 0;
}

size_t textwidth_cut(const char *s, int maxw, int *w)
{
    bool utf8 = textwidth_locale_utf8();
    size_t n = s ? strlen(s) : 0, pos = 0;
    int used = 0;
    uint32_t g;
    int c;
    while (pos < n) {
        size_t k = glyph_at(s + pos, n - pos, utf8, &g, &c);
        if (used + c > maxw) break;
        used += c;
        pos += k;
    }
    /* zero-width characters after the cut belong to the last glyph */
    while (pos < n) {
        size_t k = glyph_at(s + pos, n - pos, utf8, &g, &c);
        if (c != 0) break;
        pos += k;
    }
    if (w) *w = used;
    return pos;
}

size_t textwidth_skip(const char *s, int cols, int *pad)
{
    bool utf8 = textwidth_locale_utf8();
    size_t n = s ? strlen(s) : 0, pos = 0;
    int used = 0;
    *pad = 0;
    while (pos < n && used < cols) {
        uint32_t g;
        int c;
        pos += glyph_at(s + pos, n - pos, utf8, &g, &c);
        used += c;
    }
    if (used > cols) *pad = used - cols;
    return pos;
}

char *textwidth_fit(char *out, size_t outlen, const char *s, int width, int align, const char *ellipsis)
{
    if (outlen == 0) return out;
    if (!s) s = "";
    if (width < 0) width = 0;
    int sw = textwidth_str(s);
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
        int ew = ellipsis ? textwidth_str(ellipsis) : 0;
        if (ew > width) ew = 0, ellipsis = NULL;
        int w;
        size_t b = textwidth_cut(s, width - ew, &w);
        for (size_t i = 0; i < b; i++) PUT(s[i]);
        if (ellipsis)
            for (const char *p = ellipsis; *p; p++) PUT(*p);
        for (int i = w + ew; i < width; i++) PUT(' '); /* a wide glyph did not fit: pad */
    }
#undef PUT
    out[o] = 0;
    return out;
}

/* Characters that must not start a line (closing punctuation) or end one (opening). */
static bool is_closing(uint32_t c)
{
    static const uint32_t set[] = {',', '.', ';', ':', '!', '?', ')', ']', '}', '%', 0x2019, 0x201D, 0x2026,
                                   0x3001, 0x3002, 0x3009, 0x300B, 0x300D, 0x300F, 0x3011, 0xFF01, 0xFF09,
                                   0xFF0C, 0xFF0E, 0xFF1A, 0xFF1B, 0xFF1F, 0xFF5D};
    for (size_t i = 0; i < ARRAY_LEN(set); i++)
        if (set[i] == c) return true;
    return false;
}

static bool is_opening(uint32_t c)
{
    static const uint32_t set[] = {'(', '[', '{', 0x2018, 0x201C, 0x3008, 0x300A, 0x300C, 0x300E, 0x3010,
                                   0xFF08, 0xFF3B, 0xFF5B};
    for (size_t i = 0; i < ARRAY_LEN(set); i++)
        if (set[i] == c) return true;
    return false;
}

typedef struct {
    Vec lines; /* char * */
} Lines;

static void emit(Lines *out, const char *s, size_t from, size_t to)
{
    while (from < to && s[from] == ' ') from++;
    while (to > from && s[to - 1] == ' ') to--;
    char *line = xstrndup(s + from, to - from);
    vec_push(&out->lines, sizeof line, &line);
}

/* Greedy wrap of one paragraph (no '\n' inside [start, end)). */
static void wrap_paragraph(Lines *out, const char *s, size_t start, size_t end, int width, bool utf8)
{
    size_t line_start = start, last_break = start;
    int line_width = 0, width_at_break = 0;
    uint32_t prev = ' ';
    bool prev_wide = false;
    for (size_t i = start; i < end;) {
        uint32_t c;
        size_t n = textwidth_decode(s + i, end - i, &c);
        bool itself;
        int w = measure(c, utf8, &itself);
        bool wide = w == 2;
        if (c == '\t') c = ' ', w = 1;
        if (c == ' ' && i == line_start) { /* no leading spaces */
            line_start = last_break = i + n;
            i += n;
            prev = c;
            prev_wide = false;
            continue;
        }
        if (i > line_start && c != ' ' &&
            ((prev == ' ') || ((wide || prev_wide) && prev != ' ' && !is_closing(c) && !is_opening(prev)))) {
            last_break = i;
            width_at_break = line_width;
        }
        if (c != ' ' && line_width + w > width && i > line_start) {
            if (last_break > line_start) {
                emit(out, s, line_start, last_break);
                line_width -= width_at_break;
                line_start = last_break;
            } else {
                emit(out, s, line_start, i);
                line_start = i;
                line_width = 0;
            }
            last_break = line_start;
            width_at_break = 0;
            if (line_width + w > width && i > line_start) { /* the carried word is itself too long */
                emit(out, s, line_start, i);
                line_start = last_break = i;
                line_width = 0;
            }
        }
        line_width += w;
        prev = c;
        prev_wide = wide;
        i += n;
    }
    emit(out, s, line_start, end);
}

int textwidth_wrap(const char *s, int width, char ***lines)
{
    if (width < 2) width = 2;
    bool utf8 = textwidth_locale_utf8();
    Lines out = {{0}};
    size_t len = strlen(s), p = 0;
    for (;;) {
        const char *nl = memchr(s + p, '\n', len - p);
        size_t end = nl ? (size_t)(nl - s) : len;
        wrap_paragraph(&out, s, p, end, width, utf8);
        if (!nl) break;
        p = end + 1;
    }
    *lines = out.lines.items;
    return (int)out.lines.len;
}

void textwidth_free_lines(char **lines, int n)
{
    for (int i = 0; i < n; i++) free(lines[i]);
    free(lines);
}

/* ---- terminal output is text ---- */

/* Length of one of yoloport's own colour codes at s (ESC [ n (; n)* m, n in 0 1 4 30-37), else 0. */
static size_t colour_code(const char *s, size_t n)
{
    if (n < 3 || s[0] != '\033' || s[1] != '[') return 0;
    size_t i = 2;
    for (;;) {
        size_t d = 0;
        while (i + d < n && s[i + d] >= '0' && s[i + d] <= '9') d++;
        int v = d >= 1 && d <= 2 ? atoi((char[3]){s[i], d == 2 ? s[i + 1] : 0, 0}) : -1;
        if (!(v == 0 || v == 1 || v == 4 || (v >= 30 && v <= 37))) return 0;
        i += d;
        if (i < n && s[i] == 'm') return i + 1;
        if (i < n && s[i] == ';') {
            i++;
            continue;
        }
        return 0;
    }
}

void textwidth_escape(StrBuf *b, const char *s, size_t n, unsigned flags)
{
    static const struct {
        char c, e;
    } named[] = {{'\033', 'e'}, {'\r', 'r'}, {'\t', 't'}, {'\n', 'n'}, {'\b', 'b'}, {'\f', 'f'}, {'\v', 'v'}, {'\a', 'a'}};
    size_t i = 0, run = 0; /* bytes [i - run, i) pass through as they are */
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t keep = 0;
        if (c >= 0x20 && c < 0x7f) {
            i++, run++;
            continue;
        }
        if (c == '\n' && (flags & TEXTWIDTH_KEEP_NEWLINE)) keep = 1;
        else if (c == '\033' && (flags & TEXTWIDTH_KEEP_COLOUR)) keep = colour_code(s + i, n - i);
        else if (c >= 0x80) {
            unsigned char four[5] = {0}; /* utf8_seq_len reads up to 4 bytes */
            memcpy(four, s + i, n - i < 4 ? n - i : 4);
            size_t len = utf8_seq_len(four);
            if (len > n - i) len = 0;
            if (len) {
                uint32_t cp;
                textwidth_decode(s + i, len, &cp);
                bool control = (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
                               (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
                if (!control) {
                    i += len, run += len;
                    continue;
                }
                strbuf_add(b, s + i - run, run);
                run = 0;
                strbuf_printf(b, "\\u%04x", (unsigned)cp);
                i += len;
                continue;
            }
        }
        if (keep) {
            i += keep, run += keep;
            continue;
        }
        strbuf_add(b, s + i - run, run);
        run = 0;
        char esc[8];
        size_t k = 0;
        while (k < ARRAY_LEN(named) && (unsigned char)named[k].c != c) k++;
        if (k < ARRAY_LEN(named)) snprintf(esc, sizeof esc, "\\%c", named[k].e);
        else snprintf(esc, sizeof esc, "\\x%02x", c);
        strbuf_puts(b, esc);
        i++;
    }
    strbuf_add(b, s + i - run, run);
}

/* yoloport's own symbols and their ASCII forms, the screens' (theme glyphs) where they have
 * one; the longer forms first (the peer's "ERROR ❌ " prefix keeps only its word). */
static const struct {
    const char *utf8, *ascii;
} ascii_symbols[] = {
    {"ERROR \u274c ", "ERROR "}, {"WARNING \u26a0\ufe0f ", "WARNING "}, {"\u26a0\ufe0f", "!"}, {"\u26a0", "!"},
    {" \U0001f680 ", " "},   {"\U0001f680", ""},   {"\u2705", "ok"},   {"\u274e", "chk"}, {"\u274c", "ERR"},
    {"\u0394", "d"},          {"\u2013", "--"},     {"\u2014", "--"},   {"\u00b7", "."},   {"\u2192", "->"},
    {"\u2026", "..."},        {"\u25b2", "^"},      {"\u25bc", "v"},    {"\u2713", "+"},   {"\u2264", "<="},
    {"\u2265", ">="},         {"\u00d7", "x"},
};

char *textwidth_ascii_symbols(const char *s)
{
    StrBuf b = {0};
    strbuf_add(&b, "", 0);
    for (const char *p = s ? s : ""; *p;) {
        size_t k = 0, len = 0;
        if (*p == 'E' || *p == 'W' || *p == ' ' || (unsigned char)*p >= 0x80) /* where a symbol may start */
            for (; k < ARRAY_LEN(ascii_symbols); k++) {
                len = strlen(ascii_symbols[k].utf8);
                if (!strncmp(p, ascii_symbols[k].utf8, len)) break;
            }
        else k = ARRAY_LEN(ascii_symbols);
        if (k < ARRAY_LEN(ascii_symbols)) {
            strbuf_add(&b, ascii_symbols[k].ascii, strlen(ascii_symbols[k].ascii));
            p += len;
        } else {
            strbuf_add(&b, p, 1);
            p++;
        }
    }
    return b.p;
}

char *textwidth_escaped(const char *s, unsigned flags)
{
    StrBuf b = {0};
    strbuf_add(&b, "", 0);
    char *ascii = s && (flags & TEXTWIDTH_ASCII_SYMBOLS) ? textwidth_ascii_symbols(s) : NULL;
    if (ascii) s = ascii;
    if (s) textwidth_escape(&b, s, strlen(s), flags);
    free(ascii);
    return b.p;
}

void textwidth_fputs(const char *s, unsigned flags, FILE *stream)
{
    if (!textwidth_locale_utf8()) flags |= TEXTWIDTH_ASCII_SYMBOLS; /* LANG=C: as the screens draw them */
    char *e = textwidth_escaped(s, flags);
    fputs(e, stream);
    free(e);
}
