/* text: curses drawing of UTF-8 strings by display width (see text.h). */
#define _XOPEN_SOURCE_EXTENDED 1
#include "widgets/text.h"

#include <string.h>
#include <wchar.h>

int text_draw_from(WINDOW *w, int y, int x, const char *s, int skip, int maxw, attr_t attr)
{
    if (!s || maxw <= 0) return 0;
    int pad = 0;
    if (skip > 0) s += textwidth_skip(s, skip, &pad);
    int drawn = 0;
    wmove(w, y, x);
    for (int i = 0; i < pad && drawn < maxw; i++, drawn++) waddch(w, ' ' | attr);
    bool utf8 = textwidth_locale_utf8();
    size_t n = strlen(s);
    wchar_t buf[2];
    cchar_t cc;
    while (n && drawn < maxw) {
        uint32_t g;
        int c;
        size_t k = textwidth_glyph(s, n, &g, &c);
        if (drawn + c > maxw) break;
        s += k;
        n -= k;
        if (c == 0) continue; /* combining marks: dropped rather than risk misplacement */
        if (g == '?' || (g >= 0x80 && !utf8)) {
            /* shown as '?' in each of its columns: the width stays the model's */
            for (int i = 0; i < c; i++) waddch(w, '?' | attr);
        } else {
            buf[0] = (wchar_t)g;
            buf[1] = 0;
            setcchar(&cc, buf, attr, PAIR_NUMBER(attr), NULL);
            wadd_wch(w, &cc);
        }
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
