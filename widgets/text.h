/* text: draw UTF-8 text into curses windows by display width, never splitting a wide glyph.
 * Every widget draws through these.  Widths are engine/core/textwidth's (the one display-width
 * model, shared with the command line), so a width measured with textwidth_str, cut with
 * textwidth_cut or fitted with textwidth_fit is exactly what these functions draw.
 *
 * A character the model shows as '?' (an invalid byte, a control character, one the C
 * library cannot print) is drawn as '?' in each of its columns; so is every non-ASCII
 * character when the locale is not UTF-8 (curses cannot show it there).  Combining marks are
 * dropped rather than risk misplacement.
 */
#ifndef YOLOPORT_WIDGETS_TEXT_H
#define YOLOPORT_WIDGETS_TEXT_H

#include <curses.h>

#include "engine/core/textwidth.h"

/* Draw at most maxw columns of s at (y, x) with attributes attr.  Returns columns drawn.
 * Never writes past x + maxw, never draws half a wide glyph. */
int text_draw(WINDOW *w, int y, int x, const char *s, int maxw, attr_t attr);

/* Like text_draw, then fills with spaces (same attr) up to exactly maxw columns. */
void text_draw_pad(WINDOW *w, int y, int x, const char *s, int maxw, attr_t attr);

/* Draw s starting `skip` columns into it (horizontal scroll), at most maxw columns. */
int text_draw_from(WINDOW *w, int y, int x, const char *s, int skip, int maxw, attr_t attr);

/* Fill n columns at (y, x) with spaces. */
void text_fill(WINDOW *w, int y, int x, int n, attr_t attr);

#endif
