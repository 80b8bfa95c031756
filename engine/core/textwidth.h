/* textwidth: the one model of display width for UTF-8 text in terminal columns -- the
 * command-line tables (the matrix verb) and the workbench (every widget measures and draws
 * through it) -- and width-aware cutting, fitting and word wrapping.
 *
 * The model.  A code point takes the columns wcwidth() gives it when the C library's locale
 * is UTF-8, and the columns of a built-in East Asian Wide table otherwise, so the Chinese
 * matrix aligns even under LANG=C.  What cannot be shown as itself is shown as '?' in one
 * column: an invalid UTF-8 byte (one '?' per byte), a control character (C0, DEL, C1).  A
 * character the C library calls unprintable (wcwidth -1 in a UTF-8 locale) keeps the table's
 * columns and is shown as that many '?'.  Combining and zero-width characters take 0
 * columns.  No curses here: widgets/text.c draws what textwidth_glyph says. */
#ifndef YOLOPORT_TEXTWIDTH_H
#define YOLOPORT_TEXTWIDTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/core/util.h"

/* Is the C library's LC_CTYPE a UTF-8 one?  (wcwidth is used only then; the workbench draws
 * ASCII only otherwise.) */
bool textwidth_locale_utf8(void);

/* Decode one code point from s (at most len bytes, len >= 1).  Returns the bytes used (1..4);
 * an invalid or truncated sequence yields U+FFFD and 1. */
size_t textwidth_decode(const char *s, size_t len, uint32_t *cp);

/* One displayable unit of s (at most len bytes): *shown gets the code point to show (the
 * character itself, or '?' when it cannot be shown as itself, see above), *cols its columns
 * (0, 1 or 2; a '?' stands in for every column).  Returns the bytes consumed (>= 1 when
 * len >= 1; 0 when len == 0). */
size_t textwidth_glyph(const char *s, size_t len, uint32_t *shown, int *cols);

/* Columns of one code point in the model: 0, 1 or 2. */
int textwidth_char(uint32_t cp);
/* Columns of a NUL-terminated string (0 for NULL) / of its first n bytes. */
int textwidth_str(const char *s);
int textwidth_n(const char *s, size_t n);

/* Byte length of the longest prefix of s whose width is <= maxw (zero-width characters
 * right after it are included); *w (may be NULL) gets that width.  Never splits a glyph. */
size_t textwidth_cut(const char *s, int maxw, int *w);

/* Skip the first `cols` columns of s (horizontal scroll).  Returns the byte offset of the
 * first character starting at or after column `cols`; *pad gets the number of columns by
 * which that character starts late (1 when a wide glyph straddled the edge). */
size_t textwidth_skip(const char *s, int cols, int *pad);

/* Write s into out (outlen bytes) cut or padded with spaces to exactly `width` columns.
 * align: -1 left, 0 centre, 1 right.  When s is too wide and ellipsis is non-NULL, the cut
 * text ends with it; a wide glyph that does not fit is replaced by padding, so the result
 * is always `width` columns (when outlen allows).  Returns out. */
char *textwidth_fit(char *out, size_t outlen, const char *s, int width, int align, const char *ellipsis);

/* Word wrap s into lines of at most `width` columns (width >= 2).  Breaks at spaces, and
 * between wide (CJK) characters, never before closing punctuation (，。、；：！？）」 and the
 * like); a word longer than the width is cut.  Existing '\n' start a new line.  Leading and
 * trailing spaces of each line are dropped.  Returns the number of lines (>= 1; an empty s
 * gives one empty line) and a heap array of heap strings in *lines; free with textwidth_free_lines. */
int textwidth_wrap(const char *s, int width, char ***lines);
void textwidth_free_lines(char **lines, int n);

/* ---- terminal output is text -------------------------------------------------------------
 * What yoloport prints from a file (names, metadata, paths, messages) reaches a terminal as
 * text and never as a command: textwidth_escape writes s with every control character -- C0
 * (ESC, CR, BS, ...), DEL, C1 (also in its UTF-8 form, which some terminals obey), the
 * bidirectional overrides and isolates -- and every byte that is not valid UTF-8 as a visible
 * escape ("\e", "\r", "\t", "\n", "\x7f", "\u009b", "\u202e"), so no file can move the
 * cursor, clear the screen, retitle the window or write the clipboard (OSC 52).  The
 * workbench shows such characters as '?' (textwidth_glyph) and --json escapes them: this is
 * the same guarantee for plain text.  Flags keep what yoloport itself writes in a log line:
 * its newlines, and its colour codes (ESC [ 0, 1, 4 or 30-37 m, alone or joined by ';'). */
enum { TEXTWIDTH_KEEP_NEWLINE = 1, TEXTWIDTH_KEEP_COLOUR = 2, TEXTWIDTH_ASCII_SYMBOLS = 4 };
/* s with yoloport's own symbols in ASCII, as the screens draw them without UTF-8: ✅ ok,
 * ❎ chk, ❌ ERR, – --, Δ d, → ->, … ..., the peer's "ERROR ❌ " and "WARNING ⚠️ " prefixes
 * as their words, 🚀 left out.  Heap string (caller frees); "" for NULL.  (The flag
 * TEXTWIDTH_ASCII_SYMBOLS does this before escaping; textwidth_fputs sets it itself when the
 * locale is not UTF-8.) */
char *textwidth_ascii_symbols(const char *s);
/* s (n bytes) escaped, appended to out. */
void textwidth_escape(StrBuf *out, const char *s, size_t n, unsigned flags);
/* s escaped into a fresh heap string (caller frees); "" for NULL. */
char *textwidth_escaped(const char *s, unsigned flags);
/* fputs of s escaped (flags as above). */
void textwidth_fputs(const char *s, unsigned flags, FILE *stream);

#endif
