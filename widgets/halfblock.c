/* halfblock: pictures in the terminal, two pixels a cell (see halfblock.h). */
#include "widgets/halfblock.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "engine/core/util.h"

#define HB_FIRST_PAIR 256
#define HB_MAX_PAIRS 8192

const char *halfblock_mode_name(HalfblockMode m)
{
    static const char *const names[] = {"true colour", "256 colours", "grey levels", "characters"};
    return (int)m >= 0 && m <= HALFBLOCK_ASCII ? names[m] : "?";
}

void halfblock_init(HalfblockCache *hc, bool mono)
{
    memset(hc, 0, sizeof *hc);
    hc->first = HB_FIRST_PAIR;
    hc->last = COLOR_PAIRS - 1 < HB_FIRST_PAIR + HB_MAX_PAIRS - 1 ? COLOR_PAIRS - 1 : HB_FIRST_PAIR + HB_MAX_PAIRS - 1;
    if (mono || !has_colors()) hc->mode = HALFBLOCK_ASCII;
    else if (COLORS >= 0x1000000 && hc->last >= hc->first + 64) hc->mode = HALFBLOCK_TRUECOLOR;
    else if (COLORS >= 256 && hc->last >= hc->first + 64) hc->mode = HALFBLOCK_256;
    else if (COLOR_PAIRS >= 48) {
        /* four grey levels need 16 pairs: the top of a small pair range (the theme's are below) */
        hc->mode = HALFBLOCK_GREY16;
        hc->first = COLOR_PAIRS - 17;
        hc->last = COLOR_PAIRS - 1;
    } else {
        hc->mode = HALFBLOCK_ASCII;
    }
    hc->next = hc->first;
    if (hc->mode != HALFBLOCK_ASCII) {
        hc->cap = 2 * (hc->last - hc->first + 1);
        hc->keys = xcalloc((size_t)hc->cap, sizeof *hc->keys);
        hc->pairs = xcalloc((size_t)hc->cap, sizeof *hc->pairs);
    }
}

void halfblock_free(HalfblockCache *hc)
{
    free(hc->keys);
    free(hc->pairs);
    memset(hc, 0, sizeof *hc);
}

static int cube_level(int v, int *value)
{
    static const int levels[6] = {0, 95, 135, 175, 215, 255};
    int best = 0;
    for (int i = 1; i < 6; i++)
        if (abs(levels[i] - v) < abs(levels[best] - v)) best = i;
    *value = levels[best];
    return best;
}

/* A terminal colour number for RGB in the cache's mode. */
static int color_of(const HalfblockCache *hc, uint32_t rgb)
{
    int r = (int)(rgb >> 16) & 255, g = (int)(rgb >> 8) & 255, b = (int)rgb & 255;
    if (hc->mode == HALFBLOCK_TRUECOLOR) return (int)(rgb & 0xFFFFFF);
    if (hc->mode == HALFBLOCK_256) {
        int vr, vg, vb;
        int ir = cube_level(r, &vr), ig = cube_level(g, &vg), ib = cube_level(b, &vb);
        long dc = (long)(r - vr) * (r - vr) + (long)(g - vg) * (g - vg) + (long)(b - vb) * (b - vb);
        int grey = (r + g + b) / 3, gi = (grey - 8 + 5) / 10;
        if (gi < 0) gi = 0;
        if (gi > 23) gi = 23;
        int gv = 8 + 10 * gi;
        long dg = (long)(r - gv) * (r - gv) + (long)(g - gv) * (g - gv) + (long)(b - gv) * (b - gv);
        return dg < dc ? 232 + gi : 16 + 36 * ir + 6 * ig + ib;
    }
    /* four grey levels: black, bright black, white, bright white */
    int y = (299 * r + 587 * g + 114 * b) / 1000;
    int level = y < 48 ? 0 : y < 112 ? 1 : y < 192 ? 2 : 3;
    static const int greys16[4] = {0, 8, 7, 15}, greys8[4] = {0, 0, 7, 7};
    return COLORS >= 16 ? greys16[level] : greys8[level];
}

int halfblock_pair(HalfblockCache *hc, uint32_t fg, uint32_t bg)
{
    if (hc->mode == HALFBLOCK_ASCII || !hc->keys) return 0;
    int f = color_of(hc, fg), b = color_of(hc, bg);
    uint64_t key = ((uint64_t)(uint32_t)f << 32 | (uint32_t)b) + 1;
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    for (int probe = 0; probe < hc->cap; probe++) {
        int slot = (int)((h + (uint64_t)probe) % (uint64_t)hc->cap);
        if (hc->keys[slot] == key) return hc->pairs[slot];
        if (hc->keys[slot] == 0) {
            if (hc->next > hc->last) return 0;
            int pair = hc->next++;
            init_extended_pair(pair, f, b);
            hc->keys[slot] = key;
            hc->pairs[slot] = pair;
            return pair;
        }
    }
    return 0;
}

void halfblock_draw(WINDOW *win, int y, int x, int rows, int cols, const unsigned char *px, HalfblockCache *hc)
{
    if (rows <= 0 || cols <= 0 || !px) return;
    /* pairs run short: start over (the whole picture is redrawn with the new ones) */
    if (hc->keys && hc->next + rows * cols > hc->last) {
        memset(hc->keys, 0, sizeof *hc->keys * (size_t)hc->cap);
        hc->next = hc->first;
    }
    static const char ramp[] = " .:-=+*#%@";
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            const unsigned char *t = px + ((size_t)(2 * r) * cols + c) * 3, *b = px + ((size_t)(2 * r + 1) * cols + c) * 3;
            cchar_t cc;
            if (hc->mode == HALFBLOCK_ASCII) {
                int l = (299 * (t[0] + b[0]) + 587 * (t[1] + b[1]) + 114 * (t[2] + b[2])) / 2000;
                wchar_t w[2] = {(wchar_t)ramp[l * 9 / 255], 0};
                setcchar(&cc, w, A_NORMAL, 0, NULL);
            } else {
                int pair = halfblock_pair(hc, (uint32_t)t[0] << 16 | (uint32_t)t[1] << 8 | t[2],
                                          (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2]);
                wchar_t w[2] = {0x2580, 0};
                setcchar(&cc, w, A_NORMAL, 0, &pair);
            }
            mvwadd_wch(win, y + r, x + c, &cc);
        }
    }
}

int halfblock_text(WINDOW *win, int y, int x, const char *s, int max_cols, int pair, attr_t attrs)
{
    wchar_t buf[256];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    const char *p = s;
    size_t n = mbsrtowcs(buf, &p, 255, &st);
    if (n == (size_t)-1) return 0;
    buf[n] = 0;
    int used = 0;
    for (size_t i = 0; i < n; i++) {
        int w = wcwidth(buf[i]);
        if (w < 0) w = 1;
        if (used + w > max_cols) break;
        wchar_t one[2] = {buf[i], 0};
        cchar_t cc;
        setcchar(&cc, one, attrs, 0, &pair);
        mvwadd_wch(win, y, x + used, &cc);
        used += w;
    }
    return used;
}
