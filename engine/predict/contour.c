/* contour: the outline of a binary mask as the peer's masks2segments gives it -- the outer
 * border of each 8-connected region followed as in Suzuki & Abe's border following (what
 * cv2.findContours does), compressed to the points where the direction changes (chain
 * approximation "simple"), several regions joined into one polygon the way the peer's
 * merge_multi_segment does (each joined at its point nearest to the next) -- and the
 * even-odd fill of a polygon back into a raster. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "engine/predict/predict.h"

/* the 8 neighbours, clockwise on screen (y grows downwards), starting east */
static const int DX[8] = {1, 1, 0, -1, -1, -1, 0, 1};
static const int DY[8] = {0, 1, 1, 1, 0, -1, -1, -1};

typedef struct {
    int *xy; /* 2 ints per point */
    int n, cap;
} Pts;

static void pts_add(Pts *p, int x, int y)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->xy = xrealloc(p->xy, sizeof(int) * 2 * (size_t)p->cap);
    }
    p->xy[2 * p->n] = x;
    p->xy[2 * p->n + 1] = y;
    p->n++;
}

static int dir_of(int dx, int dy)
{
    for (int d = 0; d < 8; d++)
        if (DX[d] == dx && DY[d] == dy) return d;
    return 0;
}

/* The outer border of the region holding (sx, sy), whose west neighbour is background.
 * img is padded: every access stays inside. */
static void follow_border(const unsigned char *img, int W, int sx, int sy, Pts *out)
{
#define AT(x, y) img[(size_t)(y) * W + (x)]
    /* 3.1: clockwise from the west neighbour, the first set pixel */
    int d1 = -1;
    for (int k = 0; k < 8; k++) {
        int d = (4 + k) % 8;
        if (AT(sx + DX[d], sy + DY[d])) {
            d1 = d;
            break;
        }
    }
    if (d1 < 0) { /* a lone pixel */
        pts_add(out, sx, sy);
        return;
    }
    int x1 = sx + DX[d1], y1 = sy + DY[d1];
    int x2 = x1, y2 = y1, x3 = sx, y3 = sy;
    for (size_t guard = 0; guard < (size_t)W * 4 * (size_t)W + 16; guard++) {
        /* 3.3: counter-clockwise from the neighbour after (x2, y2), the first set pixel */
        int d = dir_of(x2 - x3, y2 - y3);
        int x4 = x3, y4 = y3;
        for (int k = 1; k <= 8; k++) {
            int dd = (d - k + 8) % 8;
            if (AT(x3 + DX[dd], y3 + DY[dd])) {
                x4 = x3 + DX[dd];
                y4 = y3 + DY[dd];
                break;
            }
        }
        pts_add(out, x3, y3);
        if (x4 == sx && y4 == sy && x3 == x1 && y3 == y1) break;
        x2 = x3, y2 = y3, x3 = x4, y3 = y4;
    }
#undef AT
}

/* Keep the points where the chain turns (and the first). */
static void simplify(Pts *p)
{
    if (p->n < 3) return;
    int n = p->n, k = 0;
    int *xy = p->xy, *o = xmalloc(sizeof(int) * 2 * (size_t)n);
    for (int i = 0; i < n; i++) {
        int pi = (i + n - 1) % n, ni = (i + 1) % n;
        int ax = xy[2 * i] - xy[2 * pi], ay = xy[2 * i + 1] - xy[2 * pi + 1];
        int bx = xy[2 * ni] - xy[2 * i], by = xy[2 * ni + 1] - xy[2 * i + 1];
        if (i == 0 || ax != bx || ay != by) {
            o[2 * k] = xy[2 * i];
            o[2 * k + 1] = xy[2 * i + 1];
            k++;
        }
    }
    free(p->xy);
    p->xy = o;
    p->n = k;
    p->cap = n;
}

/* Index pair (i in a, j in b) of the closest points (first minimum in row-major order, as
 * numpy's argmin over the distance matrix). */
static void min_index(const Pts *a, const Pts *b, int *ia, int *ib)
{
    long long best = LLONG_MAX;
    *ia = *ib = 0;
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++) {
            long long dx = a->xy[2 * i] - b->xy[2 * j], dy = a->xy[2 * i + 1] - b->xy[2 * j + 1];
            long long d = dx * dx + dy * dy;
            if (d < best) {
                best = d;
                *ia = i;
                *ib = j;
            }
        }
}

static void reverse(Pts *p)
{
    for (int i = 0, j = p->n - 1; i < j; i++, j--) {
        int tx = p->xy[2 * i], ty = p->xy[2 * i + 1];
        p->xy[2 * i] = p->xy[2 * j], p->xy[2 * i + 1] = p->xy[2 * j + 1];
        p->xy[2 * j] = tx, p->xy[2 * j + 1] = ty;
    }
}

/* np.roll(s, -k) then append its first point again. */
static void roll_close(Pts *p, int k)
{
    int n = p->n;
    int *o = xmalloc(sizeof(int) * 2 * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        o[2 * i] = p->xy[2 * ((i + k) % n)];
        o[2 * i + 1] = p->xy[2 * ((i + k) % n) + 1];
    }
    o[2 * n] = o[0];
    o[2 * n + 1] = o[1];
    free(p->xy);
    p->xy = o;
    p->n = n + 1;
    p->cap = n + 1;
}

static void append_range(Pts *dst, const Pts *src, int from, int to_incl)
{
    for (int i = from; i <= to_incl && i < src->n; i++)
        if (i >= 0) pts_add(dst, src->xy[2 * i], src->xy[2 * i + 1]);
}

/* The peer's merge_multi_segment on segs[0..n): one polygon visiting every segment. */
static void merge_segments(Pts *segs, int n, Pts *out)
{
    int (*idx)[2] = xcalloc((size_t)n, sizeof *idx);
    int *cnt = xcalloc((size_t)n, sizeof *cnt);
    for (int i = 1; i < n; i++) {
        int a, b;
        min_index(&segs[i - 1], &segs[i], &a, &b);
        idx[i - 1][cnt[i - 1]++] = a;
        idx[i][cnt[i]++] = b;
    }
    /* forward */
    for (int i = 0; i < n; i++) {
        int i0 = idx[i][0], i1 = cnt[i] == 2 ? idx[i][1] : 0;
        if (cnt[i] == 2 && i0 > i1) {
            int t = i0;
            i0 = i1;
            i1 = t;
            reverse(&segs[i]);
        }
        roll_close(&segs[i], i0);
        if (i == 0 || i == n - 1) append_range(out, &segs[i], 0, segs[i].n - 1);
        else append_range(out, &segs[i], 0, i1 - i0);
        idx[i][0] = i0;
        idx[i][1] = i1;
    }
    /* backward */
    for (int i = n - 1; i >= 0; i--) {
        if (i == 0 || i == n - 1) continue;
        int nidx = abs(idx[i][1] - idx[i][0]);
        append_range(out, &segs[i], nidx, segs[i].n - 1);
    }
    free(idx);
    free(cnt);
}

float *predict_mask_outline(const unsigned char *mask, int w, int h, int *n)
{
    *n = 0;
    if (!mask || w < 1 || h < 1) return NULL;
    int W = w + 2, H = h + 2;
    unsigned char *img = xcalloc((size_t)W * H, 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) img[(size_t)(y + 1) * W + x + 1] = mask[(size_t)y * w + x] != 0;
    unsigned char *seen = xcalloc((size_t)W * H, 1);
    int *stack = NULL;
    size_t sp = 0, scap = 0;
    Pts *segs = NULL;
    int nseg = 0, capseg = 0;
    for (int y = 1; y <= h; y++)
        for (int x = 1; x <= w; x++) {
            size_t at = (size_t)y * W + x;
            if (!img[at] || seen[at]) continue;
            /* a new region: its first pixel in raster order has background to the west */
            if (nseg == capseg) {
                capseg = capseg ? capseg * 2 : 4;
                segs = xrealloc(segs, sizeof *segs * (size_t)capseg);
            }
            Pts *p = &segs[nseg++];
            memset(p, 0, sizeof *p);
            follow_border(img, W, x, y, p);
            simplify(p);
            /* mark the region (8-connected flood fill) */
            seen[at] = 1;
            if (sp + 1 > scap) {
                scap = scap ? scap * 2 : 1024;
                stack = xrealloc(stack, sizeof *stack * scap);
            }
            stack[sp++] = (int)at;
            while (sp) {
                int c = stack[--sp];
                int cx = c % W, cy = c / W;
                for (int d = 0; d < 8; d++) {
                    size_t nb = (size_t)(cy + DY[d]) * W + (size_t)(cx + DX[d]);
                    if (img[nb] && !seen[nb]) {
                        seen[nb] = 1;
                        if (sp + 1 > scap) {
                            scap *= 2;
                            stack = xrealloc(stack, sizeof *stack * scap);
                        }
                        stack[sp++] = (int)nb;
                    }
                }
            }
        }
    free(stack);
    free(seen);
    free(img);
    if (nseg == 0) {
        free(segs);
        return NULL;
    }
    /* findContours lists the regions last found first */
    for (int i = 0, j = nseg - 1; i < j; i++, j--) {
        Pts t = segs[i];
        segs[i] = segs[j];
        segs[j] = t;
    }
    Pts all = {0};
    if (nseg == 1) all = segs[0];
    else {
        merge_segments(segs, nseg, &all);
        for (int i = 0; i < nseg; i++) free(segs[i].xy);
    }
    free(segs);
    float *outp = xmalloc(sizeof(float) * 2 * (size_t)(all.n ? all.n : 1));
    for (int i = 0; i < all.n; i++) {
        outp[2 * i] = (float)(all.xy[2 * i] - 1); /* undo the padding */
        outp[2 * i + 1] = (float)(all.xy[2 * i + 1] - 1);
    }
    *n = all.n;
    free(all.xy);
    return outp;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

void predict_fill_polygon(const float *pts, int n, unsigned char *out, int w, int h)
{
    if (!pts || n < 3 || w < 1 || h < 1) return;
    float *xs = xmalloc(sizeof(float) * (size_t)n);
    for (int y = 0; y < h; y++) {
        float fy = (float)y;
        int k = 0;
        for (int i = 0; i < n; i++) {
            float ax = pts[2 * i], ay = pts[2 * i + 1];
            float bx = pts[2 * ((i + 1) % n)], by = pts[2 * ((i + 1) % n) + 1];
            if ((ay <= fy && by > fy) || (by <= fy && ay > fy)) xs[k++] = ax + (fy - ay) / (by - ay) * (bx - ax);
        }
        qsort(xs, (size_t)k, sizeof *xs, cmp_float);
        for (int i = 0; i + 1 < k; i += 2) {
            int x0 = (int)ceilf(xs[i]), x1 = (int)floorf(xs[i + 1]);
            if (x0 < 0) x0 = 0;
            if (x1 > w - 1) x1 = w - 1;
            for (int x = x0; x <= x1; x++) out[(size_t)y * w + x] = 1;
        }
    }
    free(xs);
}
