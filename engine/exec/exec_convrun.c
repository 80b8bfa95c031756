/* exec_convrun: running a planned convolution on the executor's thread pool.
 *
 * Work is split into tasks over (batch x group, a band of output rows, a range of weight
 * panels).  Paths that read taps from memory (direct, im2col panels, Winograd, depthwise)
 * first copy the input rows their band needs into a zero-padded buffer of the worker's
 * own, split into stride phases: phase (py, px) of a channel holds padded pixels
 * (qy * sh + py, qx * sw + px), so that every tap of a strided convolution reads a
 * contiguous run of a phase row.  The band's buffer is filled and read while it is in the
 * core's cache.  A task writes only its own outputs, and the sums of one output never
 * depend on how tasks were split or which thread ran them.
 *
 * A half-precision graph's activations are float16 (exec_impl.h): the input is converted
 * to float32 as a band is padded (1x1: as a tile's columns are copied into a panel), and
 * each micro-tile's float32 output, epilogue applied, is converted into the float16 output
 * (Winograd's 4x4 blocks are written in float32 to a staging buffer and stored by the run
 * loop: converting in the band would need a band of every channel in each worker's scratch,
 * more than the staging buffer the memory plan overlaps with dead activations). */
#include "engine/exec/exec_conv.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"

/* Output channels of one Winograd chunk: the chunk's products ([36][rows][nr]) stay in
 * the core's L2 cache. */
#define WINO_CHUNK 64
/* A run wants about this many tasks per thread (load balance across busy cores). */
#define TASKS_PER_THREAD 6
/* ... each worth at least this many multiply-adds (smaller ones cost more to hand out). */
#define MIN_TASK_MACS 250000.0
/* A band's padded input stays under this many floats (L2-sized), unless one row needs more. */
#define BAND_FLOATS (96 * 1024)

typedef struct {
    Exec *e;
    const ConvPlan *p;
    const Geom *g;
    ConvPath path;
    const ExecEpi *epi;
    const float *x;
    float *y;
    const uint16_t *xh;     /* float16 input (x NULL), or NULL */
    uint16_t *yh;           /* float16 output (y NULL), or NULL */
    /* a band's padded input (Winograd: sh = sw = 1, rows of 4 * band + 2) */
    int64_t sh, sw, Hq, Wq; /* phases; phase rows and columns of one band */
    int64_t plane;          /* floats per channel of a band (all phases) */
    int64_t row_step;       /* phase rows one band advances by */
    const ptrdiff_t *off;   /* K tap offsets (1x1: k * HW; others: into the band's channels) */
    const ptrdiff_t *off_panel; /* k * nr, for packed panels */
    /* tasks */
    int64_t n_bg;           /* batch x group */
    int64_t band, n_bands;  /* output rows (Winograd: tile rows) per band, and bands */
    int64_t tiles_per_row;  /* direct: tiles in one output row */
    int64_t tiles_w;        /* Winograd: tile columns */
    int64_t tpt, n_tchunks; /* 1x1: tiles per task and chunks of them */
    int64_t tiles;          /* 1x1: tiles per (batch, group) */
    int64_t ppt, n_pchunks; /* weight panels per task and chunks of them */
    const float *A;         /* Winograd: the transformed weights this run uses */
} ConvJob;

typedef struct {
    const ConvPlan *p;
    float *A;
} WinoWeightsJob;

static void wino_weights_task(void *ctx, int64_t gp, int worker)
{
    const WinoWeightsJob *j = ctx;
    (void)worker;
    conv_wino_weights(j->p, gp, j->A);
}

/* ---- the padded, phase-split input of a band ------------------------------------------ */

/* Phase rows [0, rows) of every phase of one channel (the plane at element xc of the
 * input), for a band whose first phase row is global row q0.  rowbuf: sw * Wq floats (a
 * padded input row before its phase split). */
static void pad_band(const ConvJob *j, int64_t xc, float *dst, int64_t q0, int64_t rows, float *rowbuf)
{
    const Geom *g = j->g;
    int64_t Wq = j->Wq, sw = j->sw, W2 = sw * Wq, ph = j->Hq * Wq;
    for (int64_t py = 0; py < j->sh; py++)
        for (int64_t qy = 0; qy < rows; qy++) {
            int64_t iy = (q0 + qy) * j->sh + py - g->pt;
            float *row0 = dst + (py * sw) * ph + qy * Wq; /* phase (py, 0) */
            if (iy < 0 || iy >= g->H) {
                for (int64_t px = 0; px < sw; px++) memset(row0 + px * ph, 0, sizeof(float) * (size_t)Wq);
                continue;
            }
            int64_t xr = xc + iy * g->W;
            /* the padded row: X in [0, sw * Wq) holds ix = X - pl */
            float *pr = sw == 1 ? row0 : rowbuf;
            int64_t a = g->pl < W2 ? g->pl : W2, b = g->pl + g->W < W2 ? g->pl + g->W : W2;
            memset(pr, 0, sizeof(float) * (size_t)a);
            if (b > a && j->xh) j->p->kern->f16_to_f32(j->xh + xr + (a - g->pl), pr + a, b - a);
            else if (b > a) memcpy(pr + a, j->x + xr + (a - g->pl), sizeof(float) * (size_t)(b - a));
            if (W2 > b) memset(pr + b, 0, sizeof(float) * (size_t)(W2 - b));
            if (sw == 2) {
                j->p->kern->deinterleave2(pr, Wq, row0, row0 + ph);
            } else if (sw > 2) {
                for (int64_t px = 0; px < sw; px++)
                    for (int64_t qx = 0; qx < Wq; qx++) row0[px * ph + qx] = pr[qx * sw + px];
            }
        }
}

/* Pad every channel of group (bn, gr) for band b into buf; rowbuf as for pad_band. */
static void pad_group_band(const ConvJob *j, int64_t bn, int64_t gr, int64_t b, float *buf, float *rowbuf)
{
    const ConvPlan *p = j->p;
    int64_t xg = (bn * p->C + gr * p->Cg) * j->g->H * j->g->W;
    for (int64_t c = 0; c < p->Cg; c++)
        pad_band(j, xg + c * j->g->H * j->g->W, buf + c * j->plane, b * j->row_step, j->Hq, rowbuf);
}

/* ---- task decomposition ------------------------------------------------------------------- */

/* Split the panels of each (bg, band) unit when there are too few units to go round,
 * keeping every task above the size floor. */
static void split_panels(ConvJob *j, int threads, int64_t units, double unit_macs)
{
    int64_t P = j->p->panels, want = (int64_t)threads * TASKS_PER_THREAD, np = 1;
    if (threads > 1 && units < want && P > 1) {
        int64_t by_macs = (int64_t)(unit_macs / MIN_TASK_MACS);
        np = (want + units - 1) / units;
        if (np > by_macs) np = by_macs;
        if (np > P) np = P;
        if (np < 1) np = 1;
    }
    j->ppt = (P + np - 1) / np;
    j->n_pchunks = (P + j->ppt - 1) / j->ppt;
}

/* Rows per band: enough bands for the threads, each band worth the size floor, its padded
 * buffer cache-sized. */
static int64_t band_rows(int threads, int64_t n_bg, int64_t rows, double row_macs, int64_t floats_per_row,
                         int64_t floats_fixed)
{
    int64_t want = (int64_t)threads * TASKS_PER_THREAD;
    int64_t by_cache = floats_per_row > 0 ? (BAND_FLOATS - floats_fixed) / floats_per_row : rows;
    int64_t by_count = threads > 1 ? (n_bg * rows) / want : rows;
    int64_t by_size = row_macs > 0 ? (int64_t)(MIN_TASK_MACS / row_macs) + 1 : 1;
    int64_t b = by_count > by_size ? by_count : by_size;
    if (b > by_cache) b = by_cache;
    if (b > rows) b = rows;
    return b < 1 ? 1 : b;
}

/* Rows per band for the paths whose micro-tiles run across a band's pixels (im2col panels:
 * nr output pixels, Winograd: nr 4x4 tiles): a band's last column of tiles is part-filled and
 * its halo is padded again, so many thin bands cost more than their pixels.  The band whose
 * slowest thread computes the fewest column tiles (rounds of tasks x tiles per band, the halo
 * a tenth of a tile row's worth), up to cap rows, while each thread still has two tasks (on a
 * shared machine a core that falls behind hands work to the other); ties go to the larger
 * band.  (yolov8n at 640 on 2 threads: 20x20 maps had bands of one row, 20 pixels in 32
 * lanes, and ran no faster than on one thread.) */
static int64_t band_fill(int threads, int64_t n_bg, int64_t rows, int64_t cols, int64_t nr, double halo, int64_t cap)
{
    int64_t best = 1;
    double best_cost = -1;
    if (cap > rows) cap = rows;
    for (int64_t b = 1; b <= cap; b++) {
        int64_t nb = (rows + b - 1) / b, rounds = (n_bg * nb + threads - 1) / threads;
        if (threads > 1 && b > 1 && n_bg * nb < 2 * threads) break; /* two tasks a thread at least: a busy core's share moves */
        double cost = (double)rounds * (double)((b * cols + nr - 1) / nr) * (1.0 + 0.1 * halo / (double)b);
        if (best_cost < 0 || cost <= best_cost) best = b, best_cost = cost;
    }
    return best;
}

/* ---- float16 output ----------------------------------------------------------------------- */

/* Where a micro-tile writes: straight into the float32 output at element at (row stride
 * ldc), or, for a float16 output, into the worker's tile buffer (nr floats a row). */
static float *tile_dst(const ConvJob *j, int64_t at, float *tile_buf, int64_t *ldc)
{
    if (j->yh) {
        *ldc = j->p->kern->nr;
        return tile_buf;
    }
    *ldc = j->g->OH * j->g->OW;
    return j->y + at;
}

/* A float16 output: the tile buffer's rows x cols into the output at element at. */
static void tile_store(const ConvJob *j, int64_t at, const float *tile_buf, int rows, int cols)
{
    if (!j->yh) return;
    int64_t OHW = j->g->OH * j->g->OW, nr = j->p->kern->nr;
    for (int r = 0; r < rows; r++) j->p->kern->f32_to_f16(tile_buf + r * nr, j->yh + at + r * OHW, cols);
}

/* ---- 1x1 tasks ---------------------------------------------------------------------------- */

static void gemm1x1_task(void *ctx, int64_t task, int worker)
{
    const ConvJob *j = ctx;
    const ConvPlan *p = j->p;
    const Geom *g = j->g;
    const ExecKernels *k = p->kern;
    int64_t pc = task % j->n_pchunks, rest = task / j->n_pchunks;
    int64_t tc = rest % j->n_tchunks, bg = rest / j->n_tchunks;
    int64_t bn = bg / p->group, gr = bg % p->group;
    int64_t OHW = g->OH * g->OW, nr = k->nr, mr = k->mr;
    int64_t xg = (bn * p->C + gr * p->Cg) * g->H * g->W, yg = (bn * p->M + gr * p->Mg) * OHW;
    float *panel = j->e->wscr[worker], *tile_buf = panel + p->K * nr;
    int64_t t0 = tc * j->tpt, t1 = t0 + j->tpt < j->tiles ? t0 + j->tpt : j->tiles;
    int64_t p0 = pc * j->ppt, p1 = p0 + j->ppt < p->panels ? p0 + j->ppt : p->panels;
    for (int64_t t = t0; t < t1; t++) {
        int64_t pix = t * nr, cols = OHW - pix < nr ? OHW - pix : nr;
        const float *b = j->xh ? NULL : j->x + xg + pix;
        const ptrdiff_t *off = j->off;
        if (cols < nr || j->xh) { /* the last tile (copy what is there, so no read passes the tensor's end),
                                   * or any tile of a float16 input (converted) */
            for (int64_t kk = 0; kk < p->K; kk++) {
                if (j->xh) k->f16_to_f32(j->xh + xg + kk * OHW + pix, panel + kk * nr, cols);
                else memcpy(panel + kk * nr, j->x + xg + kk * OHW + pix, sizeof(float) * (size_t)cols);
                memset(panel + kk * nr + cols, 0, sizeof(float) * (size_t)(nr - cols));
            }
            b = panel;
            off = j->off_panel;
        }
        for (int64_t pn = p0; pn < p1; pn++) {
            int64_t m0 = pn * mr, ldc;
            int rows = (int)(p->Mg - m0 < mr ? p->Mg - m0 : mr);
            ExecTile tile = {.K = p->K,
                             .A = p->A + ((gr * p->panels + pn) * p->K) * mr,
                             .b = b,
                             .off = off,
                             .C = tile_dst(j, yg + m0 * OHW + pix, tile_buf, &ldc),
                             .ldc = ldc,
                             .rows = rows,
                             .cols = (int)cols,
                             .bias = p->bias + gr * p->Mg + m0,
                             .epi = j->epi,
                             .prefetch = b != panel && pn == p0 && t + 1 < t1 && pix + 2 * nr <= OHW ? nr : 0};
            k->gemm(&tile);
            tile_store(j, yg + m0 * OHW + pix, tile_buf, rows, (int)cols);
        }
    }
}

/* ---- direct and im2col tasks (a band of output rows) ----------------------------------------- */

static void kxk_task(void *ctx, int64_t task, int worker)
{
    const ConvJob *j = ctx;
    const ConvPlan *p = j->p;
    const Geom *g = j->g;
    const ExecKernels *k = p->kern;
    int64_t pc = task % j->n_pchunks, rest = task / j->n_pchunks;
    int64_t b = rest % j->n_bands, bg = rest / j->n_bands;
    int64_t bn = bg / p->group, gr = bg % p->group;
    int64_t OHW = g->OH * g->OW, nr = k->nr, mr = k->mr;
    int64_t oy0 = b * j->band, oy1 = oy0 + j->band < g->OH ? oy0 + j->band : g->OH;
    float *buf = j->e->wscr[worker], *panel = buf + p->Cg * j->plane, *rowbuf = panel + p->K * nr;
    float *tile_buf = rowbuf + j->sw * j->Wq;
    pad_group_band(j, bn, gr, b, buf, rowbuf);
    int64_t yg = (bn * p->M + gr * p->Mg) * OHW;
    int64_t p0 = pc * j->ppt, p1 = p0 + j->ppt < p->panels ? p0 + j->ppt : p->panels;
    int64_t n_tiles = j->path == CONV_PATH_DIRECT ? (oy1 - oy0) * j->tiles_per_row
                                                  : ((oy1 - oy0) * g->OW + nr - 1) / nr;
    int32_t base[EXEC_MAX_NR];
    for (int64_t t = 0; t < n_tiles; t++) {
        int64_t pix, cols;
        if (j->path == CONV_PATH_DIRECT) {
            int64_t oy = oy0 + t / j->tiles_per_row, tx = t % j->tiles_per_row;
            pix = oy * g->OW + tx * nr;
            cols = g->OW - tx * nr < nr ? g->OW - tx * nr : nr;
            /* the tile's taps into the panel: every weight panel then reads them from L1 */
            k->pack_rows(buf + (oy - oy0) * j->Wq + tx * nr, j->off, p->K, panel);
        } else {
            int64_t last = oy1 * g->OW;
            pix = oy0 * g->OW + t * nr;
            cols = last - pix < nr ? last - pix : nr;
            for (int64_t l = 0; l < nr; l++) {
                int64_t q = pix + (l < cols ? l : cols - 1), oy = q / g->OW, ox = q % g->OW;
                base[l] = (int32_t)((oy - oy0) * j->Wq + ox);
            }
            k->pack_gather(buf, j->off, p->K, base, panel);
        }
        for (int64_t pn = p0; pn < p1; pn++) {
            int64_t m0 = pn * mr, ldc;
            int rows = (int)(p->Mg - m0 < mr ? p->Mg - m0 : mr);
            ExecTile tile = {.K = p->K,
                             .A = p->A + ((gr * p->panels + pn) * p->K) * mr,
                             .b = panel,
                             .off = j->off_panel,
                             .C = tile_dst(j, yg + m0 * OHW + pix, tile_buf, &ldc),
                             .ldc = ldc,
                             .rows = rows,
                             .cols = (int)cols,
                             .bias = p->bias + gr * p->Mg + m0,
                             .epi = j->epi};
            k->gemm(&tile);
            tile_store(j, yg + m0 * OHW + pix, tile_buf, rows, (int)cols);
        }
    }
}

/* ---- blocked direct tasks (a band of output rows) ------------------------------------------------ */

/* The band is padded and phase-split as for the direct path, then copied into channel
 * blocks of vl lanes ([block][phase][row][column][lane]), so that a tile reads each tap's
 * input channels from one run of memory and broadcasts them against vl output channels. */
static void blk_task(void *ctx, int64_t task, int worker)
{
    const ConvJob *j = ctx;
    const ConvPlan *p = j->p;
    const Geom *g = j->g;
    const ExecKernels *k = p->kern;
    int64_t pc = task % j->n_pchunks, rest = task / j->n_pchunks;
    int64_t b = rest % j->n_bands, bg = rest / j->n_bands;
    int64_t bn = bg / p->group, gr = bg % p->group;
    int64_t OHW = g->OH * g->OW, vl = k->vl, P = 2 * vl, cols_max = k->blk_cols;
    int64_t oy0 = b * j->band, oy1 = oy0 + j->band < g->OH ? oy0 + j->band : g->OH;
    float *buf = j->e->wscr[worker], *blk = buf + p->Cg * j->plane, *rowbuf = blk + p->cblocks * vl * j->plane;
    pad_group_band(j, bn, gr, b, buf, rowbuf);
    for (int64_t cb = 0; cb < p->cblocks; cb++) {
        int lanes = (int)(p->Cg - cb * vl < vl ? p->Cg - cb * vl : vl);
        k->to_blocked(buf + cb * vl * j->plane, j->plane, lanes, j->plane, blk + cb * vl * j->plane);
    }
    int64_t yg = (bn * p->M + gr * p->Mg) * OHW, taps = p->cblocks * p->kh * p->kw;
    int64_t p0 = pc * j->ppt, p1 = p0 + j->ppt < p->panels ? p0 + j->ppt : p->panels;
    for (int64_t oy = oy0; oy < oy1; oy++)
        for (int64_t ox = 0; ox < g->OW; ox += cols_max)
            for (int64_t pn = p0; pn < p1; pn++) {
                int64_t m0 = pn * P;
                ExecBlkTile tile = {.cblocks = p->cblocks,
                                    .khkw = p->kh * p->kw,
                                    .C = p->Cg,
                                    .A = p->A + (gr * p->panels + pn) * taps * vl * P,
                                    .x = blk + ((oy - oy0) * j->Wq + ox) * vl,
                                    .off = j->off,
                                    .y = j->y + yg + m0 * OHW + oy * g->OW + ox,
                                    .ldc = OHW,
                                    .rows = (int)(p->Mg - m0 < P ? p->Mg - m0 : P),
                                    .cols = (int)(g->OW - ox < cols_max ? g->OW - ox : cols_max),
                                    .bias = p->bias + gr * p->Mg + m0,
                                    .epi = j->epi};
                k->conv_blocked(&tile);
            }
}

/* ---- Winograd F(4,3) tasks (a band of tile rows) ------------------------------------------------ */

static void wino_task(void *ctx, int64_t task, int worker)
{
    const ConvJob *j = ctx;
    const ConvPlan *p = j->p;
    const Geom *g = j->g;
    const ExecKernels *k = p->kern;
    int64_t b = task % j->n_bands, bg = task / j->n_bands;
    int64_t bn = bg / p->group, gr = bg % p->group;
    int64_t nr = k->nr, mr = k->mr, OHW = g->OH * g->OW, tiles_h = (g->OH + 3) / 4;
    int64_t ty0 = b * j->band, ty1 = ty0 + j->band < tiles_h ? ty0 + j->band : tiles_h;
    int64_t chunk = (WINO_CHUNK + mr - 1) / mr * mr;
    if (chunk > p->panels * mr) chunk = p->panels * mr;
    float *buf = j->e->wscr[worker], *V = buf + p->Cg * j->plane, *Y = V + 36 * p->Cg * nr;
    float *rowbuf = Y + 36 * chunk * nr;
    pad_group_band(j, bn, gr, b, buf, rowbuf);
    int64_t band_tiles = (ty1 - ty0) * j->tiles_w;
    float *yb = j->y + (bn * p->M + gr * p->Mg) * OHW + 4 * ty0 * g->OW;
    for (int64_t tile0 = 0; tile0 < band_tiles; tile0 += nr) {
        int64_t n_tiles = band_tiles - tile0 < nr ? band_tiles - tile0 : nr;
        ExecWinoIn in = {.xp = buf,
                         .plane = j->plane,
                         .ldx = j->Wq,
                         .C = p->Cg,
                         .tiles_w = j->tiles_w,
                         .tile0 = tile0,
                         .n_tiles = n_tiles,
                         .V = V};
        k->wino43_in(&in);
        for (int64_t m0 = 0; m0 < p->Mg; m0 += chunk) {
            int64_t rows = p->Mg - m0 < chunk ? p->Mg - m0 : chunk;
            for (int pos = 0; pos < 36; pos++)
                for (int64_t r0 = 0; r0 < rows; r0 += mr) {
                    int64_t pn = (m0 + r0) / mr;
                    ExecTile tile = {.K = p->Cg,
                                     .A = j->A + (((gr * 36 + pos) * p->panels + pn) * p->Cg) * mr,
                                     .b = V + (int64_t)pos * p->Cg * nr,
                                     .off = j->off_panel,
                                     .C = Y + ((int64_t)pos * rows + r0) * nr,
                                     .ldc = nr,
                                     .rows = (int)(rows - r0 < mr ? rows - r0 : mr),
                                     .cols = (int)nr};
                    k->gemm(&tile);
                }
            ExecWinoOut o = {.Y = Y,
                             .rows = (int)rows,
                             .bias = p->bias + gr * p->Mg + m0,
                             .epi = j->epi,
                             .y = yb + m0 * OHW,
                             .plane = OHW,
                             .ldy = g->OW,
                             .oh = g->OH - 4 * ty0,
                             .ow = g->OW,
                             .tiles_w = j->tiles_w,
                             .tile0 = tile0,
                             .n_tiles = n_tiles};
            k->wino43_out(&o);
        }
    }
}

/* ---- depthwise (one channel plane per task) ------------------------------------------------------- */

static void dw_row(float *restrict yr, const float *restrict src, float wv, int64_t n)
{
    for (int64_t i = 0; i < n; i++) yr[i] += wv * src[i];
}

static void dw_task(void *ctx, int64_t q, int worker)
{
    const ConvJob *j = ctx;
    const ConvPlan *p = j->p;
    const Geom *g = j->g;
    int64_t m = q % p->M, OHW = g->OH * g->OW;
    float *buf = j->e->wscr[worker], *rowbuf = buf + j->plane, *row_out = rowbuf + j->sw * j->Wq;
    pad_band(j, q * g->H * g->W, buf, 0, j->Hq, rowbuf);
    const float *wk = p->dw + m * p->kh * p->kw;
    for (int64_t oy = 0; oy < g->OH; oy++) {
        float *yr = j->yh ? row_out : j->y + q * OHW + oy * g->OW;
        memset(yr, 0, sizeof(float) * (size_t)g->OW);
        for (int64_t ky = 0; ky < p->kh; ky++)
            for (int64_t kx = 0; kx < p->kw; kx++) {
                int64_t ty = ky * g->dh, tx = kx * g->dw;
                const float *src = buf + ((ty % j->sh) * j->sw + tx % j->sw) * j->Hq * j->Wq +
                                   (oy + ty / j->sh) * j->Wq + tx / j->sw;
                dw_row(yr, src, wk[ky * p->kw + kx], g->OW);
            }
        p->kern->epilogue(yr, g->OW, p->bias[m], j->epi);
        if (j->yh) p->kern->f32_to_f16(yr, j->yh + q * OHW + oy * g->OW, g->OW);
    }
}

/* ---- the run ----------------------------------------------------------------------------------------- */

int conv_plan_run(Exec *e, const Node *n, ConvPlan *p, const Value *x, Value *out, char *err, size_t errlen)
{
    if ((x->type != VT_F32 && x->type != VT_F16) || x->rank != p->rank || x->dims[1] != p->C) return 1;
    Geom g;
    char msg[256];
    if (conv_geom_init(n, x, p->kh, p->kw, false, &g, msg, sizeof msg)) return 1;
    const ExecKernels *k = p->kern;
    int64_t nr = k->nr, mr = k->mr, OHW = g.OH * g.OW, K = p->K;
    int64_t d[4] = {g.N, p->M, g.OH, g.OW};
    if (g.spatial == 1) d[2] = g.OW;
    if (p->path == CONV_PATH_WINO43 && !p->A && !p->runs && e->conv_force == CONV_PATH_AUTO &&
        OHW <= EXEC_WINO_MIN_PIXELS) { /* a small map: direct pays more than the transform saves */
        conv_pack_panels(p, p->wsrc);
        p->path = p->last_path = CONV_PATH_KXK;
    }
    if (p->path == CONV_PATH_KXK && !p->blk_checked && e->conv_force == CONV_PATH_AUTO) {
        /* the shapes where the blocked path was measured faster (conv_blocked_pays) */
        p->blk_checked = true;
        if (p->wsrc && x->type == VT_F32 && !value_stores_f16(e, out) && conv_blocked_pays(p, &g)) {
            free(p->A);
            p->A = NULL;
            conv_pack_blocked(p, p->wsrc);
            p->path = p->last_path = CONV_PATH_BLOCKED;
        }
    }
    ConvJob j = {.e = e, .p = p, .g = &g, .path = p->path};
    if (j.path == CONV_PATH_KXK) {
        /* direct fills whole vectors only when the output width does; else im2col panels */
        int64_t tiles_per_row = (g.OW + nr - 1) / nr;
        j.path = (double)g.OW / (double)(tiles_per_row * nr) >= 0.8 ? CONV_PATH_DIRECT : CONV_PATH_IM2COL;
    }
    if (e->conv_force == CONV_PATH_DIRECT || e->conv_force == CONV_PATH_IM2COL)
        if (j.path == CONV_PATH_DIRECT || j.path == CONV_PATH_IM2COL) j.path = e->conv_force;
    if (j.path == CONV_PATH_GEMM1X1 && (g.OH != g.H || g.OW != g.W)) j.path = CONV_PATH_IM2COL;
    bool f16_out = j.path != CONV_PATH_WINO43 && value_stores_f16(e, out);
    if (j.path == CONV_PATH_BLOCKED && (f16_out || x->type == VT_F16)) return 1; /* float32 only */
    if (value_alloc(e, out, f16_out ? VT_F16 : VT_F32, g.spatial + 2, d, err, errlen)) return -1;
    p->last_macs = (double)g.N * (double)p->M * (double)OHW * (double)K;
    if (!out->numel) return 0;
    if (x->type == VT_F16) j.xh = x->data;
    else j.x = vf(x);
    if (f16_out) j.yh = out->data;
    else j.y = vf(out);
    j.epi = e->fusion ? &p->epi : &p->epi_plain;
    int threads = exec_pool_size(e->pool);
    p->last_path = j.path;
    j.n_bg = g.N * p->group;
    ptrdiff_t *off = exec_tab_scratch(e, sizeof(ptrdiff_t) * (size_t)(2 * K + 2));
    ptrdiff_t *off_panel = off + K + 1;
    for (int64_t kk = 0; kk < K; kk++) off_panel[kk] = kk * nr;
    j.off = off;
    j.off_panel = off_panel;

    if (j.path == CONV_PATH_GEMM1X1) {
        for (int64_t kk = 0; kk < K; kk++) off[kk] = kk * OHW;
        j.tiles = (OHW + nr - 1) / nr;
        double tile_macs = (double)(K * p->Mg * nr);
        int64_t want = (int64_t)threads * TASKS_PER_THREAD;
        int64_t by_count = threads > 1 ? (j.n_bg * j.tiles) / want : j.tiles;
        int64_t by_size = (int64_t)(MIN_TASK_MACS / tile_macs) + 1;
        j.tpt = by_count > by_size ? by_count : by_size;
        if (j.tpt > j.tiles) j.tpt = j.tiles;
        j.n_tchunks = (j.tiles + j.tpt - 1) / j.tpt;
        split_panels(&j, threads, j.n_bg * j.n_tchunks, tile_macs * (double)j.tpt);
        exec_worker_scratch_reserve(e, (size_t)(K * nr + (j.yh ? mr * nr : 0)));
        exec_pool_for(e->pool, j.n_bg * j.n_tchunks * j.n_pchunks, gemm1x1_task, &j);
        return 0;
    }

    /* a band's padded input */
    int64_t halo_y; /* phase rows a band needs beyond its own */
    if (j.path == CONV_PATH_WINO43) {
        j.sh = j.sw = 1;
        j.tiles_w = (g.OW + 3) / 4;
        j.Wq = 4 * j.tiles_w + 2;
        halo_y = 2;
    } else {
        j.sh = g.sh;
        j.sw = g.sw;
        int64_t cols = j.path == CONV_PATH_DIRECT    ? (g.OW + nr - 1) / nr * nr
                     : j.path == CONV_PATH_BLOCKED ? (g.OW + k->blk_cols - 1) / k->blk_cols * k->blk_cols
                                                   : g.OW;
        j.Wq = cols + ((p->kw - 1) * g.dw) / g.sw + 1;
        halo_y = ((p->kh - 1) * g.dh) / g.sh + 1;
    }
    j.tiles_per_row = (g.OW + nr - 1) / nr;
    int64_t phases = j.sh * j.sw;
    /* huge pads, or a row too long for 32-bit gather offsets: the reference path runs it */
    if (j.Wq > (int64_t)1 << 24 || phases * j.Wq > 16 * (g.W + 1) + 4096) return 1;
    if (j.path == CONV_PATH_DEPTHWISE) {
        j.Hq = g.OH + halo_y;
        j.plane = phases * j.Hq * j.Wq;
        if (j.plane >= (int64_t)1 << 30) return 1;
        exec_worker_scratch_reserve(e, (size_t)(j.plane + j.sw * j.Wq + (j.yh ? g.OW : 0)));
        exec_pool_for(e->pool, g.N * p->M, dw_task, &j);
        return 0;
    }
    int64_t rows, unit; /* band units: output rows, or tile rows of 4 */
    double row_macs;
    int64_t fixed;      /* floats of task scratch besides the padded band */
    if (j.path == CONV_PATH_WINO43) {
        rows = (g.OH + 3) / 4;
        unit = 4;
        row_macs = (double)(4 * g.OW) * (double)(p->Mg * K);
        int64_t chunk = (WINO_CHUNK + mr - 1) / mr * mr;
        if (chunk > p->panels * mr) chunk = p->panels * mr;
        fixed = 36 * (p->Cg + chunk) * nr;
    } else {
        rows = g.OH;
        unit = 1;
        row_macs = (double)g.OW * (double)(p->Mg * K);
        fixed = K * nr;
    }
    /* channels of a band's buffers: the blocked path keeps the padded planes and their blocked copy */
    int64_t band_ch = j.path == CONV_PATH_BLOCKED ? p->Cg + p->cblocks * k->vl : p->Cg;
    if (j.path == CONV_PATH_BLOCKED) fixed = 0;
    int64_t per_row = band_ch * phases * unit * j.Wq, halo_floats = band_ch * phases * halo_y * j.Wq;
    if (j.path == CONV_PATH_WINO43 || j.path == CONV_PATH_IM2COL) {
        int64_t cap = per_row > 0 ? (BAND_FLOATS - halo_floats) / per_row : rows;
        j.band = band_fill(threads, j.n_bg, rows, j.path == CONV_PATH_WINO43 ? j.tiles_w : g.OW, nr,
                           (double)halo_y / (double)unit, cap < 1 ? 1 : cap);
    } else {
        j.band = band_rows(threads, j.n_bg, rows, row_macs, per_row, halo_floats);
    }
    if (j.path == CONV_PATH_BLOCKED) {
        /* every band pads and blocks its halo rows again: bands for two tasks a thread, not six */
        int64_t nb = (2 * (int64_t)threads + j.n_bg - 1) / j.n_bg, b2 = (rows + nb - 1) / nb;
        int64_t cap = per_row > 0 ? (BAND_FLOATS - halo_floats) / per_row : rows;
        if (b2 > cap) b2 = cap;
        if (b2 > j.band) j.band = b2;
    }
    j.n_bands = (rows + j.band - 1) / j.band;
    j.Hq = j.band * unit + halo_y;
    j.row_step = j.band * unit;
    j.plane = phases * j.Hq * j.Wq;
    if (j.plane >= (int64_t)1 << 30 || band_ch * j.plane >= (int64_t)1 << 31) return 1;
    if (j.path == CONV_PATH_BLOCKED)
        for (int64_t cb = 0; cb < p->cblocks; cb++)
            for (int64_t ky = 0; ky < p->kh; ky++)
                for (int64_t kx = 0; kx < p->kw; kx++) {
                    int64_t ty = ky * g.dh, tx = kx * g.dw;
                    off[(cb * p->kh + ky) * p->kw + kx] =
                        cb * k->vl * j.plane +
                        (((ty % g.sh) * g.sw + tx % g.sw) * j.Hq * j.Wq + (ty / g.sh) * j.Wq + tx / g.sw) * k->vl;
                }
    else if (j.path != CONV_PATH_WINO43)
        for (int64_t c = 0; c < p->Cg; c++)
            for (int64_t ky = 0; ky < p->kh; ky++)
                for (int64_t kx = 0; kx < p->kw; kx++) {
                    int64_t ty = ky * g.dh, tx = kx * g.dw;
                    off[(c * p->kh + ky) * p->kw + kx] =
                        c * j.plane + ((ty % g.sh) * g.sw + tx % g.sw) * j.Hq * j.Wq + (ty / g.sh) * j.Wq + tx / g.sw;
                }
    split_panels(&j, threads, j.n_bg * j.n_bands, row_macs * (double)j.band);
    if ((j.path == CONV_PATH_IM2COL || j.path == CONV_PATH_BLOCKED) && j.n_bg * j.n_bands >= 2 * (int64_t)threads)
        j.n_pchunks = 1, j.ppt = p->panels; /* each panel chunk would gather the band's taps again */
    if (j.path == CONV_PATH_WINO43) {
        j.n_pchunks = 1, j.ppt = p->panels; /* a band transforms its input once */
        /* the weights: the kept transform, or (first run) one into the shared buffer; a second
         * run means the Exec is being reused, so it keeps its own */
        j.A = p->A;
        if (!j.A) {
            size_t n = conv_wino_floats(p);
            float *A = ++p->runs >= 2 ? (p->A = xmalloc_aligned(64, sizeof(float) * n)) : exec_wino_scratch(e, n);
            WinoWeightsJob wj = {p, A};
            exec_pool_for(e->pool, p->group * p->panels, wino_weights_task, &wj);
            j.A = A;
        }
    }
    int64_t out_scratch = j.yh ? mr * nr : 0; /* a float16 output's tile */
    exec_worker_scratch_reserve(e, (size_t)(band_ch * j.plane + fixed + j.sw * j.Wq + out_scratch));
    exec_pool_for(e->pool, j.n_bg * j.n_bands * j.n_pchunks,
                  j.path == CONV_PATH_WINO43 ? wino_task : j.path == CONV_PATH_BLOCKED ? blk_task : kxk_task, &j);
    return 0;
}
