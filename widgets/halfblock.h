/* halfblock: a picture drawn in the terminal with the upper half block "▀" -- each cell shows
 * two pixels, the upper one as the foreground colour and the lower one as the background -- in
 * the richest colours the terminal has: true colour (a direct-colour terminal), the xterm
 * 256-colour cube and grey ramp, four grey levels with 16 colours (two with 8), or, without
 * colours, a ramp of characters by brightness.  Colour pairs come from a private range above the
 * theme's (pair 256 on; with few pairs, the top 16), allocated as needed and reused frame after
 * frame.
 *
 * Usage: HalfblockCache hc; halfblock_init(&hc);  halfblock_draw(win, y, x, rows, cols, px, ...)
 * every frame; halfblock_pair(&hc, fg_rgb, bg_rgb) for text drawn over it; halfblock_free. */
#ifndef YOLOPORT_HALFBLOCK_H
#define YOLOPORT_HALFBLOCK_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum { HALFBLOCK_TRUECOLOR, HALFBLOCK_256, HALFBLOCK_GREY16, HALFBLOCK_ASCII } HalfblockMode;

typedef struct {
    HalfblockMode mode;
    uint64_t *keys;   /* (fg << 32 | bg) + 1, 0 = empty */
    int *pairs;
    int cap;          /* hash slots */
    int next, first, last; /* pair numbers handed out: first..last */
} HalfblockCache;

/* Pick the mode from the terminal (call after start_color; mono: no colours, e.g. NO_COLOR). */
void halfblock_init(HalfblockCache *hc, bool mono);
void halfblock_free(HalfblockCache *hc);

/* A colour pair for foreground and background RGB (0xRRGGBB), mapped to the mode's colours;
 * 0 (the default pair) when none is left or in ASCII mode. */
int halfblock_pair(HalfblockCache *hc, uint32_t fg, uint32_t bg);

/* Draw rows x cols cells at (y, x) from px: an RGB picture of cols x (2 rows) pixels, row-major,
 * 3 bytes per pixel. */
void halfblock_draw(WINDOW *win, int y, int x, int rows, int cols, const unsigned char *px, HalfblockCache *hc);

/* Put one wide-character string at (y, x) with colour pair `pair` and attributes (for labels and
 * boxes drawn over the picture).  Returns the columns used. */
int halfblock_text(WINDOW *win, int y, int x, const char *s, int max_cols, int pair, attr_t attrs);

/* The name of the mode: "true colour", "256 colours", "grey levels", "characters". */
const char *halfblock_mode_name(HalfblockMode m);

#endif
