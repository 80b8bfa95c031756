/* exec_convrun: running a planned convolution on the executor's thread pool.
 *
 * Paths that read taps from memory (direct, im2col panels, Winograd, depthwise) first
 * copy the input into a zero-padded buffer, split into stride phases: phase (py, px) of a
 * channel holds padded pixels (qy * sh + py, qx * sw + px), so that every tap of a
 * strided convolution reads a contiguous run of a phase row.  Work is split into tasks
 * over (batch x group, output tiles, weight panels); a task writes only its own outputs,
 * and the sums of one output never depend on how tasks were split or which thread ran
 * them. */
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

typedef struct {
    Exec *e;
    const ConvPlan *p;
    const Geom *g;
    ConvPath path;
    const ExecEpi *epi;
    const float *x;
    float *y;
    /* padded input */
    float *xp;
    int64_t sh, sw, Hq, Wq; /* phases and phase-plane size */
    int64_t plane;          /* floats per channel (all phases) */
    const ptrdiff_t *off;   /* K tap offsets (1x1: k * HW; others: into the padded channel set) */
    const ptrdiff_t *off_panel; /* k * nr, for packed panels */
    /* tasks */
    int64_t n_bg;           /* batch x group */
    int64_t tiles;          /* per (batch, group) */
    int64_t tiles_per_row;  /* direct: tiles in one output row */
    int64_t tiles_w;        /* Winograd: tile columns */
    int64_t tpt, n_tchunks; /* tiles per task and chunks of them */
    int64_t ppt, n_pchunks; /* weight panels per task and chunks of them */
} ConvJob;

/* ---- the padded, phase-split input -------------------------------------------------- */

static void pad_plane(const ConvJob *j, const float *xc, float *dst)
{
    const Geom *g = j->g;
    for (int64_t py = 0; py < j->sh; py++)
        for (int64_t px = 0; px < j->sw; px++) {
            float *ph = dst + (py * j->sw + px) * j->Hq * j->Wq;
            for (int64_t qy = 0; qy < j->Hq; qy++) {
                float *row = ph + qy * j->Wq;
                int64_t iy = qy * j->sh + py - g->pt;
                if (iy < 0 || iy >= g->H) {
                    memset(row, 0, sizeof(float) * (size_t)j->Wq);
                    continue;
                }
                const float *xr = xc + iy * g->W;
                if (j->sw == 1) {
                    /* columns qx hold ix = qx - pl */
                    int64_t a = g->pl < j->Wq ? g->pl : j->Wq, b = g->pl + g->W < j->Wq ? g->pl + g->W : j->Wq;
                    memset(row, 0, sizeof(float) * (size_t)a);
                    if (b > a) memcpy(row + a, xr + (a - g->pl), sizeof(float) * (size_t)(b - a));
                    if (j->Wq > b) memset(row + b, 0, sizeof(float) * (size_t)(j->Wq - b));
                } else {
                    for (int64_t qx = 0; qx < j->Wq; qx++) {
                        int64_t ix = qx * j->sw + px - g->pl;
                        row[qx] = ix >= 0 && ix < g->W ? xr[ix] : 0.f;
                    }
                }
            }
        }
}

static void pad_task(void *ctx, int64_t q, int worker)
{
    const ConvJob *j = ctx;
    (void)worker;
    pad_plane(j, j->x + q * j->g->H * j->g->W, j->xp + q * j->plane);
}

/* ---- task decomposition ------------------------------------------------------------------- */

/* Split n_bg x tiles x panels into tasks: whole panel ranges first, tiles grouped so that
 * each task is worth MIN_TASK_MACS, panels split when there are too few tile groups. */
static void split_tasks(ConvJob *j, int threads, double macs_per_tile_panel)
{
    int64_t P = j->p->panels, want = (int64_t)threads * TASKS_PER_THREAD, tpt = j->tiles, np = 1;
    double per_tile = macs_per_tile_panel * (double)P;
    if (threads > 1) {
        int64_t by_count = (j->n_bg * j->tiles) / want;
        int64_t by_size = per_tile > 0 ? (int64_t)(MIN_TASK_MACS / per_tile) + 1 : 1;
        tpt = by_count > by_size ? by_count : by_size;
        if (tpt > j->tiles) tpt = j->tiles;
        int64_t groups = j->n_bg * ((j->tiles + tpt - 1) / tpt);
        if (groups < want && P > 1) {
            /* few tile groups: split the weight panels too, down to the task size floor */
            int64_t by_macs = (int64_t)(per_tile * (double)tpt / MIN_TASK_MACS);
            np = (want + groups - 1) / groups;
            if (np > by_macs) np = by_macs;
            if (np > P) np = P;
            if (np < 1) np = 1;
        }
    }
    if (tpt < 1) tpt = 1;
    j->tpt = tpt;
    j->n_tchunks = (j->tiles + tpt - 1) / tpt;
    j->ppt = (P + np - 1) / np;
    j->n_pchunks = (P + j->ppt - 1) / j->ppt;
}

/* ---- 1x1, direct and im2col tasks ---------------------------------------------------------- */

static void gemm_task(void *ctx, int64_t task, int worker)
{
    const ConvJob *j = ctx;
    const ConvPlan *p = j->p;
    const Geom *g = j->g;
    const ExecKernels *k = p->kern;
    int64_t pc = task % j->n_pchunks, rest = task / j->n_pchunks;
    int64_t tc = rest % j->n_tchunks, bg = rest / j->n_tchunks;
    int64_t bn = bg / p->group, gr = bg % p->group;
    int64_t OHW = g->OH * g->OW, nr = k->nr, mr = k->mr;
    const float *xg = j->x + (bn * p->C + gr * p->Cg) * g->H * g->W; /* 1x1 */
    const float *pg = j->xp ? j->xp + (bn * p->C + gr * p->Cg) * j->plane : NULL;
    float *yg = j->y + (bn * p->M + gr * p->Mg) * OHW;
    float *panel = j->e->wscr[worker];
    int32_t base[EXEC_MAX_NR];
    int64_t t0 = tc * j->tpt, t1 = t0 + j->tpt < j->tiles ? t0 + j->tpt : j->tiles;
    int64_t p0 = pc * j->ppt, p1 = p0 + j->ppt < p->panels ? p0 + j->ppt : p->panels;
    for (int64_t t = t0; t < t1; t++) {
        const float *b;
        const ptrdiff_t *off;
        int64_t pix, cols;
        if (j->path == CONV_PATH_DIRECT) {
            int64_t oy = t / j->tiles_per_row, tx = t % j->tiles_per_row;
            pix = oy * g->OW + tx * nr;
            cols = g->OW - tx * nr < nr ? g->OW - tx * nr : nr;
            b = pg + oy * j->Wq + tx * nr;
            off = j->off;
        } else {
            pix = t * nr;
            cols = OHW - pix < nr ? OHW - pix : nr;
            if (j->path == CONV_PATH_GEMM1X1 && cols == nr) {
                b = xg + pix;
                off = j->off;
            } else if (j->path == CONV_PATH_GEMM1X1) { /* the last tile: copy what is there */
                for (int64_t kk = 0; kk < p->K; kk++) {
                    float *dst = panel + kk * nr;
                    memcpy(dst, xg + kk * OHW + pix, sizeof(float) * (size_t)cols);
                    memset(dst + cols, 0, sizeof(float) * (size_t)(nr - cols));
                }
                b = panel;
                off = j->off_panel;
            } else { /* im2col: gather the tile's columns from the padded input */
                for (int64_t l = 0; l < nr; l++) {
                    int64_t q = pix + (l < cols ? l : cols - 1), oy = q / g->OW, ox = q % g->OW;
                    base[l] = (int32_t)(oy * j->Wq + ox);
                }
                k->pack_gather(pg, j->off, p->K, base, panel);
                b = panel;
                off = j->off_panel;
            }
        }
        for (int64_t pn = p0; pn < p1; pn++) {
            int64_t m0 = pn * mr;
            ExecTile tile = {.K = p->K,
                             .A = p->A + ((gr * p->panels + pn) * p->K) * mr,
                             .b = b,
                             .off = off,
                             .C = yg + m0 * OHW + pix,
                             .ldc = OHW,
                             .rows = (int)(p->Mg - m0 < mr ? p->Mg - m0 : mr),
                             .cols = (int)cols,
                             .accumulate = false,
                             .bias = p->bias + gr * p->Mg + m0,
                             .epi = j->epi};
            k->gemm(&tile);
        }
    }
}

/* ---- Winograd F(4,3) tasks ------------------------------------------------------------------ */

static void wino_task(void *ctx, int64_t task, int worker)
{
    const ConvJob *j = ctx;
    const ConvPlan *p = j->p;
    const Geom *g = j->g;
    const ExecKernels *k = p->kern;
    int64_t tb = task % j->tiles, bg = task / j->tiles;
    int64_t bn = bg / p->group, gr = bg % p->group;
    int64_t nr = k->nr, mr = k->mr, OHW = g->OH * g->OW;
    int64_t tile0 = tb * nr, n_tiles = j->tiles_w * ((g->OH + 3) / 4) - tile0;
    if (n_tiles > nr) n_tiles = nr;
    float *V = j->e->wscr[worker], *Y = V + 36 * p->Cg * nr;
    ExecWinoIn in = {.xp = j->xp + (bn * p->C + gr * p->Cg) * j->plane,
                     .plane = j->plane,
                     .ldx = j->Wq,
                     .C = p->Cg,
                     .tiles_w = j->tiles_w,
                     .tile0 = tile0,
                     .n_tiles = n_tiles,
                     .V = V};
    k->wino43_in(&in);
    int64_t chunk = (WINO_CHUNK + mr - 1) / mr * mr;
    for (int64_t m0 = 0; m0 < p->Mg; m0 += chunk) {
        int64_t rows = p->Mg - m0 < chunk ? p->Mg - m0 : chunk;
        for (int pos = 0; pos < 36; pos++)
            for (int64_t r0 = 0; r0 < rows; r0 += mr) {
                int64_t pn = (m0 + r0) / mr;
                ExecTile tile = {.K = p->Cg,
                                 .A = p->A + (((gr * 36 + pos) * p->panels + pn) * p->Cg) * mr,
                                 .b = V + (int64_t)pos * p->Cg * nr,
                                 .off = j->off_panel,
                                 .C = Y + ((int64_t)pos * rows + r0) * nr,
                                 .ldc = nr,
                                 .rows = (int)(rows - r0 < mr ? rows - r0 : mr),
                                 .cols = (int)nr,
                                 .accumulate = false,
                                 .bias = NULL,
                                 .epi = NULL};
                k->gemm(&tile);
            }
        ExecWinoOut o = {.Y = Y,
                         .rows = (int)rows,
                         .bias = p->bias + gr * p->Mg + m0,
                         .epi = j->epi,
                         .y = j->y + (bn * p->M + gr * p->Mg + m0) * OHW,
                         .plane = OHW,
                         .ldy = g->OW,
                         .oh = g->OH,
                         .ow = g->OW,
                         .tiles_w = j->tiles_w,
                         .tile0 = tile0,
                         .n_tiles = n_tiles};
        k->wino43_out(&o);
    }
}

/* ---- depthwise -------------------------------------------------------------------------------- */

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
    float *buf = j->e->wscr[worker];
    pad_plane(j, j->x + q * g->H * g->W, buf);
    const float *wk = p->dw + m * p->kh * p->kw;
    float *yc = j->y + q * OHW;
    for (int64_t oy = 0; oy < g->OH; oy++) {
        float *yr = yc + oy * g->OW;
        memset(yr, 0, sizeof(float) * (size_t)g->OW);
        for (int64_t ky = 0; ky < p->kh; ky++)
            for (int64_t kx = 0; kx < p->kw; kx++) {
                int64_t ty = ky * g->dh, tx = kx * g->dw;
                const float *src = buf + ((ty % j->sh) * j->sw + tx % j->sw) * j->Hq * j->Wq +
                                   (oy + ty / j->sh) * j->Wq + tx / j->sw;
                dw_row(yr, src, wk[ky * p->kw + kx], g->OW);
            }
        p->kern->epilogue(yr, g->OW, p->bias[m], j->epi);
    }
}

/* ---- the run ----------------------------------------------------------------------------------- */

int conv_plan_run(Exec *e, const Node *n, ConvPlan *p, const Value *x, Value *out, char *err, size_t errlen)
{
    if (x->type != VT_F32 || x->rank != p->rank || x->dims[1] != p->C) return 1;
    Geom g;
    char msg[256];
    if (conv_geom_init(n, x, p->kh, p->kw, false, &g, msg, sizeof msg)) return 1;
    const ExecKernels *k = p->kern;
    int64_t nr = k->nr, OHW = g.OH * g.OW;
    int64_t d[4] = {g.N, p->M, g.OH, g.OW};
    if (g.spatial == 1) d[2] = g.OW;
    if (value_alloc(e, out, VT_F32, g.spatial + 2, d, err, errlen)) return -1;
    p->last_macs = (double)g.N * (double)p->M * (double)OHW * (double)p->K;
    if (!out->numel) return 0;
    ConvJob j = {.e = e, .p = p, .g = &g, .path = p->path, .x = vf(x), .y = vf(out)};
    j.epi = e->fusion ? &p->epi : &p->epi_plain;
    int threads = exec_pool_size(e->pool);
    if (j.path == CONV_PATH_KXK) {
        /* direct fills whole vectors only when the output width does; else im2col panels */
        int64_t tiles_per_row = (g.OW + nr - 1) / nr;
        j.path = (double)g.OW / (double)(tiles_per_row * nr) >= 0.8 ? CONV_PATH_DIRECT : CONV_PATH_IM2COL;
    }
    if (e->conv_force == CONV_PATH_DIRECT || e->conv_force == CONV_PATH_IM2COL)
        if (j.path == CONV_PATH_DIRECT || j.path == CONV_PATH_IM2COL) j.path = e->conv_force;
    if (j.path == CONV_PATH_GEMM1X1 && (g.OH != g.H || g.OW != g.W)) j.path = CONV_PATH_IM2COL;
    p->last_path = j.path;
    j.n_bg = g.N * p->group;

    /* the padded input's shape */
    if (j.path != CONV_PATH_GEMM1X1) {
        if (j.path == CONV_PATH_WINO43) {
            j.sh = j.sw = 1;
            j.tiles_w = (g.OW + 3) / 4;
            j.Hq = 4 * ((g.OH + 3) / 4) + 2;
            j.Wq = 4 * j.tiles_w + 2;
        } else {
            j.sh = g.sh;
            j.sw = g.sw;
            int64_t cols = j.path == CONV_PATH_DIRECT ? (g.OW + nr - 1) / nr * nr : g.OW;
            j.Hq = g.OH + ((p->kh - 1) * g.dh) / g.sh + 1;
            j.Wq = cols + ((p->kw - 1) * g.dw) / g.sw + 1;
        }
        j.plane = j.sh * j.sw * j.Hq * j.Wq;
        /* a padded channel must stay addressable with 32-bit offsets, and the copy must not
         * dwarf the input (huge pads): else the reference path runs it */
        int64_t per_plane = g.H * g.W + 1;
        if (j.plane >= ((int64_t)1 << 30) || j.plane > 16 * per_plane + (1 << 20)) return 1;
    }

    /* tap offsets */
    int64_t K = p->K;
    ptrdiff_t *off = exec_tab_scratch(e, sizeof(ptrdiff_t) * (size_t)(2 * K + 2));
    ptrdiff_t *off_panel = off + K + 1;
    for (int64_t kk = 0; kk < K; kk++) off_panel[kk] = kk * nr;
    if (j.path == CONV_PATH_GEMM1X1) {
        for (int64_t kk = 0; kk < K; kk++) off[kk] = kk * OHW;
    } else if (j.path == CONV_PATH_DIRECT || j.path == CONV_PATH_IM2COL) {
        for (int64_t c = 0; c < p->Cg; c++)
            for (int64_t ky = 0; ky < p->kh; ky++)
                for (int64_t kx = 0; kx < p->kw; kx++) {
                    int64_t ty = ky * g.dh, tx = kx * g.dw;
                    off[(c * p->kh + ky) * p->kw + kx] =
                        c * j.plane + ((ty % g.sh) * g.sw + tx % g.sw) * j.Hq * j.Wq + (ty / g.sh) * j.Wq + tx / g.sw;
                }
    }
    j.off = off;
    j.off_panel = off_panel;

    if (j.path == CONV_PATH_DEPTHWISE) {
        exec_worker_scratch_reserve(e, (size_t)j.plane);
        exec_pool_for(e->pool, g.N * p->M, dw_task, &j);
        return 0;
    }
    if (j.path != CONV_PATH_GEMM1X1) {
        size_t need = (size_t)(g.N * p->C) * (size_t)j.plane + 64;
        j.xp = exec_pad_scratch(e, need);
        exec_pool_for(e->pool, g.N * p->C, pad_task, &j);
    }
    if (j.path == CONV_PATH_WINO43) {
        int64_t chunk = (WINO_CHUNK + k->mr - 1) / k->mr * k->mr;
        if (chunk > p->panels * k->mr) chunk = p->panels * k->mr;
        exec_worker_scratch_reserve(e, (size_t)(36 * (p->Cg + chunk) * nr));
        int64_t tiles = j.tiles_w * ((g.OH + 3) / 4);
        j.tiles = (tiles + nr - 1) / nr;
        exec_pool_for(e->pool, j.n_bg * j.tiles, wino_task, &j);
        return 0;
    }
    exec_worker_scratch_reserve(e, (size_t)(K * nr));
    if (j.path == CONV_PATH_DIRECT) {
        j.tiles_per_row = (g.OW + nr - 1) / nr;
        j.tiles = g.OH * j.tiles_per_row;
    } else {
        j.tiles = (OHW + nr - 1) / nr;
    }
    split_tasks(&j, threads, (double)(K * k->mr * nr));
    exec_pool_for(e->pool, j.n_bg * j.n_tchunks * j.n_pchunks, gemm_task, &j);
    return 0;
}
