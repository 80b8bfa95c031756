/* exec_kern_body: the executor's kernels written once over vector primitives, included
 * (no include guard, on purpose) by exec_kern_avx512.c, exec_kern_avx2.c and
 * exec_kern_portable.c after each defines:
 *   KATTR            attributes of every function here (the target instruction set)
 *   KSUF(name)       name##_<isa>
 *   VL, MR, NV       lanes per vector, rows and vectors per micro-tile (nr = NV * VL)
 *   BLK_T            pixels of the blocked convolution's tile with 2 VL output channels
 *   vec              the vector type, and the primitives v_zero, v_set1, v_load, v_store,
 *                    v_loadn/v_storen (first n lanes, 0 < n <= VL; loadn zero-fills),
 *                    v_fma(a, b, c) = a * b + c, v_add, v_sub, v_mul, v_div, v_max, v_min,
 *                    v_floor, v_pow2(integral float vector) = 2^x, v_round_f16,
 *                    v_gather(base, idx) (lanes base[idx[t]]), v_load_f16, v_store_f16 (VL
 *                    halves, rounded to nearest even), v_even(a, b) /
 *                    v_odd(a, b) (the even / odd lanes of the 2 VL floats a, b).
 * Accumulation order is fixed by the code, not by the thread that runs a tile: results
 * do not depend on the thread count. */

#define NR (NV * VL)

#if defined(__clang__)
#define KUNROLL _Pragma("clang loop unroll(full)")
#define KUNROLL32 _Pragma("clang loop unroll(full)")
#else
#define KUNROLL _Pragma("GCC unroll 16")
#define KUNROLL32 _Pragma("GCC unroll 32") /* the blocked tile's 24 pixels: fully, or the sums leave the registers */
#endif

/* ---- elementwise math ----------------------------------------------------------------
 * exp by Cody-Waite range reduction and a degree-6 polynomial (the Cephes expf scheme):
 * relative error about 2e-7. */
KATTR static inline vec KSUF(v_exp)(vec x)
{
    x = v_min(v_max(x, v_set1(-88.3762626647949f)), v_set1(88.3762626647949f));
    vec fx = v_floor(v_fma(x, v_set1(1.44269504088896341f), v_set1(0.5f)));
    x = v_sub(x, v_mul(fx, v_set1(0.693359375f)));
    x = v_sub(x, v_mul(fx, v_set1(-2.12194440e-4f)));
    vec y = v_set1(1.9875691500E-4f);
    y = v_fma(y, x, v_set1(1.3981999507E-3f));
    y = v_fma(y, x, v_set1(8.3334519073E-3f));
    y = v_fma(y, x, v_set1(4.1665795894E-2f));
    y = v_fma(y, x, v_set1(1.6666665459E-1f));
    y = v_fma(y, x, v_set1(5.0000001201E-1f));
    y = v_fma(y, v_mul(x, x), v_add(x, v_set1(1.0f)));
    return v_mul(y, v_pow2(fx));
}

KATTR static inline vec KSUF(v_sigmoid)(vec x)
{
    vec one = v_set1(1.0f);
    return v_div(one, v_add(one, KSUF(v_exp)(v_sub(v_zero(), x))));
}

/* bias already added; the rest of the epilogue */
KATTR static inline vec KSUF(v_epi)(vec x, const ExecEpi *e)
{
    if (e->round & EPI_ROUND_CONV) x = v_round_f16(x);
    switch (e->act) {
    case ACT_RELU: x = v_max(x, v_zero()); break;
    case ACT_SIGMOID: x = KSUF(v_sigmoid)(x); break;
    case ACT_SILU: {
        vec s = KSUF(v_sigmoid)(x);
        if (e->round & EPI_ROUND_SIG) s = v_round_f16(s);
        x = v_mul(x, s);
        break;
    }
    case ACT_NONE: break;
    }
    if (e->round & EPI_ROUND_OUT) x = v_round_f16(x);
    return x;
}

KATTR static void KSUF(epilogue)(float *x, int64_t n, float bias, const ExecEpi *e)
{
    vec b = v_set1(bias);
    int64_t i = 0;
    for (; i + VL <= n; i += VL) v_store(x + i, KSUF(v_epi)(v_add(v_load(x + i), b), e));
    if (i < n) v_storen(x + i, KSUF(v_epi)(v_add(v_loadn(x + i, (int)(n - i)), b), e), (int)(n - i));
}

KATTR static void KSUF(round_f16)(float *x, int64_t n)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL) v_store(x + i, v_round_f16(v_load(x + i)));
    if (i < n) v_storen(x + i, v_round_f16(v_loadn(x + i, (int)(n - i))), (int)(n - i));
}

KATTR static void KSUF(f16_to_f32)(const uint16_t *h, float *f, int64_t n)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL) v_store(f + i, v_load_f16(h + i));
    for (; i < n; i++) {
        uint16_t one[VL] = {0};
        one[0] = h[i];
        float out[VL];
        v_store(out, v_load_f16(one));
        f[i] = out[0];
    }
}

KATTR static void KSUF(f32_to_f16)(const float *f, uint16_t *h, int64_t n)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL) v_store_f16(h + i, v_load(f + i));
    if (i < n) {
        uint16_t out[VL];
        v_store_f16(out, v_loadn(f + i, (int)(n - i)));
        memcpy(h + i, out, sizeof(uint16_t) * (size_t)(n - i));
    }
}

KATTR static void KSUF(sigmoid)(const float *x, float *y, int64_t n, bool silu)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL) {
        vec v = v_load(x + i), s = KSUF(v_sigmoid)(v);
        v_store(y + i, silu ? v_mul(v, s) : s);
    }
    if (i < n) {
        int r = (int)(n - i);
        vec v = v_loadn(x + i, r), s = KSUF(v_sigmoid)(v);
        v_storen(y + i, silu ? v_mul(v, s) : s, r);
    }
}

KATTR static void KSUF(exp)(const float *x, float *y, int64_t n)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL) v_store(y + i, KSUF(v_exp)(v_load(x + i)));
    if (i < n) v_storen(y + i, KSUF(v_exp)(v_loadn(x + i, (int)(n - i))), (int)(n - i));
}

/* ---- the GEMM micro-kernel ------------------------------------------------------------ */

KATTR static void KSUF(gemm)(const ExecTile *t)
{
    vec c[MR][NV];
    KUNROLL for (int r = 0; r < MR; r++)
        KUNROLL for (int v = 0; v < NV; v++) c[r][v] = v_zero();
    const float *a = t->A, *b = t->b;
    const ptrdiff_t *off = t->off;
    if (t->prefetch) /* the next tile's columns, from rows the hardware prefetchers do not follow */
        for (int64_t k = 0; k < t->K; k++)
            for (int v = 0; v < NR; v += 64 / (int)sizeof(float)) __builtin_prefetch(b + off[k] + t->prefetch + v);
    for (int64_t k = 0; k < t->K; k++, a += MR) {
        const float *bk = b + off[k];
        vec bv[NV];
        KUNROLL for (int v = 0; v < NV; v++) bv[v] = v_load(bk + v * VL);
        KUNROLL for (int r = 0; r < MR; r++) {
            vec av = v_set1(a[r]);
            KUNROLL for (int v = 0; v < NV; v++) c[r][v] = v_fma(av, bv[v], c[r][v]);
        }
    }
    KUNROLL for (int r = 0; r < MR; r++) {
        if (r >= t->rows) break;
        float *cr = t->C + r * t->ldc;
        vec bias = t->epi && t->bias ? v_set1(t->bias[r]) : v_zero();
        KUNROLL for (int v = 0; v < NV; v++) {
            int n = t->cols - v * VL;
            if (n <= 0) break;
            vec x = c[r][v];
            if (n >= VL) {
                if (t->accumulate) x = v_add(x, v_load(cr + v * VL));
                if (t->epi) x = KSUF(v_epi)(v_add(x, bias), t->epi);
                v_store(cr + v * VL, x);
            } else {
                if (t->accumulate) x = v_add(x, v_loadn(cr + v * VL, n));
                if (t->epi) x = KSUF(v_epi)(v_add(x, bias), t->epi);
                v_storen(cr + v * VL, x, n);
            }
        }
    }
}

KATTR static void KSUF(pack_gather)(const float *src, const ptrdiff_t *off, int64_t K, const int32_t *base, float *panel)
{
    for (int64_t k = 0; k < K; k++, panel += NR) {
        const float *s = src + off[k];
        KUNROLL for (int v = 0; v < NV; v++) v_store(panel + v * VL, v_gather(s, base + v * VL));
    }
}

KATTR static void KSUF(pack_rows)(const float *src, const ptrdiff_t *off, int64_t K, float *panel)
{
    for (int64_t k = 0; k < K; k++, panel += NR) {
        const float *s = src + off[k];
        KUNROLL for (int v = 0; v < NV; v++) v_store(panel + v * VL, v_load(s + v * VL));
    }
}

KATTR static void KSUF(deinterleave2)(const float *src, int64_t n, float *even, float *odd)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL) {
        vec a = v_load(src + 2 * i), b = v_load(src + 2 * i + VL);
        v_store(even + i, v_even(a, b));
        v_store(odd + i, v_odd(a, b));
    }
    for (; i < n; i++) {
        even[i] = src[2 * i];
        odd[i] = src[2 * i + 1];
    }
}

/* ---- Winograd F(4,3) ---------------------------------------------------------------------
 * Y = A^T [(G g G^T) . (B^T d B)] A with the interpolation points 0, +-1, +-2 (Lavin and
 * Gray).  The weight transform runs once at load (exec_conv.c); these are the input and
 * output transforms, vectorised across VL tiles. */

/* lane offsets of VL tiles of a block: tile index tile0 + g * VL + lane (tiles past the
 * block's end repeat its last tile, so every read stays inside the input) */
KATTR static void KSUF(wino_lanes)(int64_t tiles_w, int64_t tile0, int64_t n_tiles, int g, int64_t ld, int32_t *idx)
{
    for (int l = 0; l < VL; l++) {
        int64_t t = g * VL + l;
        if (t >= n_tiles) t = n_tiles - 1;
        t += tile0;
        int64_t ty = t / tiles_w, tx = t % tiles_w;
        idx[l] = (int32_t)(4 * ty * ld + 4 * tx);
    }
}

KATTR static void KSUF(wino43_in)(const ExecWinoIn *w)
{
    int32_t idx[VL];
    for (int g = 0; g < NV && g * VL < w->n_tiles; g++) {
        KSUF(wino_lanes)(w->tiles_w, w->tile0, w->n_tiles, g, w->ldx, idx);
        for (int64_t c = 0; c < w->C; c++) {
            const float *xc = w->xp + c * w->plane;
            vec t[6][6];
            /* columns: t[i][j] = (B^T d)[i][j] */
            for (int j = 0; j < 6; j++) {
                vec d0 = v_gather(xc + j, idx), d1 = v_gather(xc + w->ldx + j, idx),
                    d2 = v_gather(xc + 2 * w->ldx + j, idx), d3 = v_gather(xc + 3 * w->ldx + j, idx),
                    d4 = v_gather(xc + 4 * w->ldx + j, idx), d5 = v_gather(xc + 5 * w->ldx + j, idx);
                vec four = v_set1(4.f), five = v_set1(5.f), two = v_set1(2.f);
                vec a = v_sub(d4, v_mul(four, d2)), b = v_sub(d3, v_mul(four, d1));
                vec c2 = v_sub(d4, d2), e = v_mul(two, v_sub(d3, d1));
                t[0][j] = v_add(v_sub(v_mul(four, d0), v_mul(five, d2)), d4);
                t[1][j] = v_add(a, b);
                t[2][j] = v_sub(a, b);
                t[3][j] = v_add(c2, e);
                t[4][j] = v_sub(c2, e);
                t[5][j] = v_add(v_sub(v_mul(four, d1), v_mul(five, d3)), d5);
            }
            /* rows: V[i][j] = (t B)[i][j] */
            for (int i = 0; i < 6; i++) {
                vec d0 = t[i][0], d1 = t[i][1], d2 = t[i][2], d3 = t[i][3], d4 = t[i][4], d5 = t[i][5];
                vec four = v_set1(4.f), five = v_set1(5.f), two = v_set1(2.f);
                vec a = v_sub(d4, v_mul(four, d2)), b = v_sub(d3, v_mul(four, d1));
                vec c2 = v_sub(d4, d2), e = v_mul(two, v_sub(d3, d1));
                vec r[6];
                r[0] = v_add(v_sub(v_mul(four, d0), v_mul(five, d2)), d4);
                r[1] = v_add(a, b);
                r[2] = v_sub(a, b);
                r[3] = v_add(c2, e);
                r[4] = v_sub(c2, e);
                r[5] = v_add(v_sub(v_mul(four, d1), v_mul(five, d3)), d5);
                for (int j = 0; j < 6; j++) v_store(w->V + ((int64_t)(i * 6 + j) * w->C + c) * NR + g * VL, r[j]);
            }
        }
    }
}

KATTR static void KSUF(wino43_out)(const ExecWinoOut *w)
{
    float blk[4][4][VL];
    for (int m = 0; m < w->rows; m++) {
        vec bias = v_set1(w->bias ? w->bias[m] : 0.f);
        float *ym = w->y + m * w->plane;
        for (int g = 0; g < NV && g * VL < w->n_tiles; g++) {
            const float *Ym = w->Y + (int64_t)m * NR + g * VL;
            int64_t pos_stride = (int64_t)w->rows * NR;
            vec t[4][6];
            /* columns: t = A^T M */
            for (int j = 0; j < 6; j++) {
                vec m0 = v_load(Ym + (0 * 6 + j) * pos_stride), m1 = v_load(Ym + (1 * 6 + j) * pos_stride),
                    m2 = v_load(Ym + (2 * 6 + j) * pos_stride), m3 = v_load(Ym + (3 * 6 + j) * pos_stride),
                    m4 = v_load(Ym + (4 * 6 + j) * pos_stride), m5 = v_load(Ym + (5 * 6 + j) * pos_stride);
                vec s12 = v_add(m1, m2), d12 = v_sub(m1, m2), s34 = v_add(m3, m4), d34 = v_sub(m3, m4);
                t[0][j] = v_add(v_add(m0, s12), s34);
                t[1][j] = v_fma(v_set1(2.f), d34, d12);
                t[2][j] = v_fma(v_set1(4.f), s34, s12);
                t[3][j] = v_add(v_fma(v_set1(8.f), d34, d12), m5);
            }
            /* rows: o = t A, then bias and the epilogue */
            for (int i = 0; i < 4; i++) {
                vec m0 = t[i][0], m1 = t[i][1], m2 = t[i][2], m3 = t[i][3], m4 = t[i][4], m5 = t[i][5];
                vec s12 = v_add(m1, m2), d12 = v_sub(m1, m2), s34 = v_add(m3, m4), d34 = v_sub(m3, m4);
                vec o[4];
                o[0] = v_add(v_add(m0, s12), s34);
                o[1] = v_fma(v_set1(2.f), d34, d12);
                o[2] = v_fma(v_set1(4.f), s34, s12);
                o[3] = v_add(v_fma(v_set1(8.f), d34, d12), m5);
                for (int j = 0; j < 4; j++) {
                    vec x = v_add(o[j], bias);
                    if (w->epi) x = KSUF(v_epi)(x, w->epi);
                    v_store(blk[i][j], x);
                }
            }
            /* scatter each lane's 4x4 block, clipped to the output */
            int lanes = (int)(w->n_tiles - g * VL < VL ? w->n_tiles - g * VL : VL);
            for (int l = 0; l < lanes; l++) {
                int64_t tt = w->tile0 + g * VL + l, ty = tt / w->tiles_w, tx = tt % w->tiles_w;
                int64_t oy = 4 * ty, ox = 4 * tx;
                int rows = (int)(w->oh - oy < 4 ? w->oh - oy : 4), cols = (int)(w->ow - ox < 4 ? w->ow - ox : 4);
                for (int i = 0; i < rows; i++) {
                    float *yr = ym + (oy + i) * w->ldy + ox;
                    for (int j = 0; j < cols; j++) yr[j] = blk[i][j][l];
                }
            }
        }
    }
}

/* ---- the blocked (NCHWc) direct convolution ------------------------------------------------
 * Output channels in the lanes, pixels across the accumulators: NBV vectors of VL channels
 * times NPIX pixels (BLK_T pixels with two vectors, 2 BLK_T with one: the same registers).
 * Each input value is broadcast once per tap and feeds NBV fused multiply-adds. */
#define BLK_COLS (2 * BLK_T)
#define BLK_STAGE ((BLK_COLS + VL - 1) / VL * VL + VL) /* pixel rows of the transposing stage */

/* pixels [p0, p0 + NPIX) of tile t with NBV vectors of output channels; stage: BLK_STAGE x VL */
#define BLK_BODY(NBV, NPIX)                                                                          \
    {                                                                                                \
        vec acc[NBV][NPIX];                                                                          \
        KUNROLL for (int v = 0; v < NBV; v++) KUNROLL32 for (int i = 0; i < NPIX; i++) acc[v][i] = v_zero(); \
        const float *a = t->A;                                                                       \
        const ptrdiff_t *off = t->off;                                                               \
        for (int64_t cb = 0; cb < t->cblocks; cb++) {                                                \
            int n_ci = (int)(t->C - cb * VL < VL ? t->C - cb * VL : VL);                             \
            for (int64_t k = 0; k < t->khkw; k++, off++, a += VL * 2 * VL) {                         \
                const float *xk = t->x + *off + p0 * VL;                                             \
                for (int ci = 0; ci < n_ci; ci++) {                                                  \
                    vec w[NBV];                                                                      \
                    KUNROLL for (int v = 0; v < NBV; v++) w[v] = v_load(a + ci * 2 * VL + v * VL);   \
                    KUNROLL32 for (int i = 0; i < NPIX; i++) {                                         \
                        vec xb = v_set1(xk[i * VL + ci]);                                            \
                        KUNROLL for (int v = 0; v < NBV; v++) acc[v][i] = v_fma(w[v], xb, acc[v][i]); \
                    }                                                                                \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
        KUNROLL for (int v = 0; v < NBV; v++) {                                                      \
            int r0 = v * VL, nr = t->rows - r0 < VL ? t->rows - r0 : VL;                             \
            if (nr <= 0) break;                                                                      \
            vec bias = v_loadn(t->bias + r0, nr);                                                    \
            KUNROLL32 for (int i = 0; i < NPIX; i++)                                                   \
                v_store(stage + (p0 + i) * VL, KSUF(v_epi)(v_add(acc[v][i], bias), t->epi));         \
            KSUF(blk_store)(stage, t, r0, nr, p0, NPIX);                                             \
        }                                                                                            \
    }

/* output channels r0 + [0, nr) of pixels [p0, p0 + npix) (clipped to the tile) from the stage
 * (pixel i, channel r at stage[i * VL + r]) into the NCHW output */
KATTR static inline void KSUF(blk_store)(const float *stage, const ExecBlkTile *t, int r0, int nr, int p0, int npix)
{
    int end = p0 + npix < t->cols ? p0 + npix : t->cols;
    int32_t idx[VL];
    for (int l = 0; l < VL; l++) idx[l] = l * VL;
    for (int r = 0; r < nr; r++) {
        float *yr = t->y + (int64_t)(r0 + r) * t->ldc;
        for (int i = p0; i < end; i += VL) {
            vec x = v_gather(stage + i * VL + r, idx);
            if (end - i >= VL) v_store(yr + i, x);
            else v_storen(yr + i, x, end - i);
        }
    }
}

KATTR static void KSUF(conv_blocked)(const ExecBlkTile *t)
{
    float stage[BLK_STAGE * VL] __attribute__((aligned(64)));
    if (t->rows > VL) {
        for (int p0 = 0; p0 < t->cols; p0 += BLK_T) BLK_BODY(2, BLK_T)
    } else {
        int p0 = 0;
        BLK_BODY(1, BLK_COLS)
    }
}

KATTR static void KSUF(to_blocked)(const float *src, int64_t plane, int lanes, int64_t n, float *dst)
{
    if (lanes == VL) {
        int32_t idx[VL];
        for (int l = 0; l < VL; l++) idx[l] = (int32_t)(l * plane);
        if (plane * (VL - 1) < INT32_MAX) {
            for (int64_t p = 0; p < n; p++) v_store(dst + p * VL, v_gather(src + p, idx));
            return;
        }
    }
    for (int64_t p = 0; p < n; p++)
        for (int c = 0; c < lanes; c++) dst[p * VL + c] = src[c * plane + p];
}

#undef BLK_BODY
#undef BLK_STAGE

const ExecKernels KSUF(exec_kernels) = {
    .name = KNAME,
    .mr = MR,
    .nr = NR,
    .vl = VL,
    .gemm = KSUF(gemm),
    .pack_gather = KSUF(pack_gather),
    .pack_rows = KSUF(pack_rows),
    .deinterleave2 = KSUF(deinterleave2),
    .wino43_in = KSUF(wino43_in),
    .blk_cols = BLK_COLS,
    .conv_blocked = KSUF(conv_blocked),
    .to_blocked = KSUF(to_blocked),
    .wino43_out = KSUF(wino43_out),
    .epilogue = KSUF(epilogue),
    .round_f16 = KSUF(round_f16),
    .f16_to_f32 = KSUF(f16_to_f32),
    .f32_to_f16 = KSUF(f32_to_f16),
    .sigmoid = KSUF(sigmoid),
    .exp = KSUF(exp),
};

#undef NR
#undef BLK_COLS
#undef KUNROLL32
#undef KUNROLL
