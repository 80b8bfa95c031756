/* textwidth: display width of UTF-8 text in terminal columns, and word wrapping by width, for
 * the command-line tables (the workbench has its own in widgets/).  Widths come from wcwidth()
 * when the C library's locale is UTF-8, and from a built-in East Asian Wide table otherwise, so
 * the Chinese matrix aligns even under LANG=C.  Invalid UTF-8 bytes count as one column each. */
#ifndef YOLOPORT_TEXTWIDTH_H
#define YOLOPORT_TEXTWIDTH_H

#include <stddef.h>
#include <stdint.h>

/* Decode one code point from s (at most len bytes, len >= 1).  Returns the bytes used (1..4);
 * an invalid or truncated sequence yields U+FFFD and 1. */
size_t textwidth_decode(const char *s, size_t len, uint32_t *cp);
/* Columns of one code point: 0 (combining, zero-width, controls), 1, or 2 (wide/CJK/emoji). */
int textwidth_char(uint32_t cp);
/* Columns of a NUL-terminated string / of its first n bytes. */
int textwidth_str(const char *s);
int textwidth_n(const char *s, size_t n);

/* Word wrap s into lines of at most `width` columns (width >= 2).  Breaks at spaces, and
 * between wide (CJK) characters, never before closing punctuation (，。、；：！？）」 and the
 * like); a word longer than the width is cut.  Existing '\n' start a new line.  Leading and
 * trailing spaces of each line are dropped.  Returns the number of lines (>= 1; an empty s
 * gives one empty line) and a heap array of heap strings in *lines; free with textwidth_free_lines. */
int textwidth_wrap(const char *s, int width, char ***lines);
void textwidth_free_lines(char **lines, int n);

#endif
