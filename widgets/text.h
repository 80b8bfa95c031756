/* text: measure, cut and draw UTF-8 text by display width (wcwidth), never splitting a
 * wide glyph.  Every widget goes through these so that CJK and emoji cells align.
 *
 * Strings are UTF-8 (what the engine and the matrix data hold).  Bytes that do not decode
 * in the current locale, control characters and code points whose wcwidth is -1 are shown
 * as one '?' column each, so a width computed here always matches what text_draw writes.
 */
#ifndef YOLOPORT_WIDGETS_TEXT_H
#define YOLOPORT_WIDGETS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <curses.h>

/* Decode one displayable unit at s (n bytes available).  Sets *wc (the character to draw,
 * L'?' for anything undrawable) and *cols (its display width: 0, 1 or 2).  Returns the
 * number of bytes consumed (>= 1 unless n == 0). */
int text_next(const char *s, size_t n, wchar_t *wc, int *cols);

/* Display width of a NUL-terminated string. */
int text_width(const char *s);

/* Byte length of the longest prefix of s whose width is <= maxw; *w gets that width. */
size_t text_cut(const char *s, int maxw, int *w);

/* Skip the first `cols` display columns of s (horizontal scroll).  Returns the byte offset
 * of the first character starting at or after column `cols`; *pad gets the number of
 * columns by which that character starts late (1 when a wide glyph straddled the edge). */
size_t text_skip(const char *s, int cols, int *pad);

/* Write s into out (outlen bytes) cut or padded with spaces to exactly `width` columns.
 * align: -1 left, 0 centre, 1 right.  When s is too wide and ellipsis is non-NULL, the
 * cut text ends with it.  Returns out. */
char *text_fit(char *out, size_t outlen, const char *s, int width, int align, const char *ellipsis);

/* Draw at most maxw columns of s at (y, x) with attributes attr.  Returns columns drawn.
 * Never writes past x + maxw, never draws half a wide glyph. */
int text_draw(WINDOW *w, int y, int x, const char *s, int maxw, attr_t attr);

/* Like text_draw, then fills with spaces (same attr) up to exactly maxw columns. */
void text_draw_pad(WINDOW *w, int y, int x, const char *s, int maxw, attr_t attr);

/* Draw s starting `skip` columns into it (horizontal scroll), at most maxw columns. */
int text_draw_from(WINDOW *w, int y, int x, const char *s, int skip, int maxw, attr_t attr);

/* Fill n columns at (y, x) with spaces. */
void text_fill(WINDOW *w, int y, int x, int n, attr_t attr);

/* Case-insensitive substring search in UTF-8 (ASCII folding only): pointer or NULL. */
const char *text_find_ci(const char *hay, const char *needle);

/* Human-readable byte size: "3.2 MB", "812 KB", "17 B" into buf. */
const char *text_bytes(char *buf, size_t len, long long bytes);
/* 3157200 -> "3,157,200" */
const char *text_thousands(char *buf, size_t len, long long v);

/* Is the current LC_CTYPE a UTF-8 one? (decides line drawing and glyphs) */
bool text_locale_utf8(void);

#endif
