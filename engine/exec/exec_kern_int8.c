/* exec_kern_int8: the int8 convolution micro-kernel (see exec_kern.h): u8 x s8 products
 * summed exactly in int32, then requantized.  AVX-512 VNNI (vpdpbusd: four products per
 * lane per instruction) where the CPU has it, compiled with per-function target
 * attributes; portable C elsewhere.  Both round half to even and give the same bytes. */
#include "engine/exec/exec_kern.h"

#include <math.h>
#include <string.h>

static inline int32_t requant(int32_t sum, int r, const ExecTile8 *t)
{
    float y = (float)(sum - t->zsum[r]) * t->scale[r] + t->bias[r];
    if (t->relu && y < 0) y = 0;
    float q = nearbyintf(y / t->y_scale) + (float)t->y_zp;
    if (q < (float)t->y_lo) q = (float)t->y_lo;
    if (q > (float)t->y_hi) q = (float)t->y_hi;
    return (int32_t)q;
}

static void gemm8_portable(const ExecTile8 *t)
{
    int32_t acc[EXEC_MR8][EXEC_NR8];
    memset(acc, 0, sizeof acc);
    for (int64_t kq = 0; kq < t->Kq; kq++) {
        const int8_t *a = t->A + kq * EXEC_MR8 * 4;
        const uint8_t *b = t->B + kq * EXEC_NR8 * 4;
        for (int r = 0; r < EXEC_MR8; r++)
            for (int j = 0; j < EXEC_NR8; j++)
                acc[r][j] += a[r * 4] * b[j * 4] + a[r * 4 + 1] * b[j * 4 + 1] + a[r * 4 + 2] * b[j * 4 + 2] +
                             a[r * 4 + 3] * b[j * 4 + 3];
    }
    for (int r = 0; r < t->rows; r++)
        for (int j = 0; j < t->cols; j++) t->C[r * t->ldc + j] = (uint8_t)requant(acc[r][j], r, t);
}

#ifdef EXEC_HAVE_X86_KERNELS
#include <immintrin.h>

#define VATTR __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

VATTR static inline void store_bytes(const ExecTile8 *t, __m512i sum, int r, uint8_t *dst, int n)
{
    /* a multiply and an add, not a fused multiply-add: the same roundings as the portable path */
    __m512 y = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(sum, _mm512_set1_epi32(t->zsum[r]))),
                                           _mm512_set1_ps(t->scale[r])),
                             _mm512_set1_ps(t->bias[r]));
    if (t->relu) y = _mm512_max_ps(y, _mm512_setzero_ps());
    __m512 q = _mm512_roundscale_ps(_mm512_div_ps(y, _mm512_set1_ps(t->y_scale)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm512_add_ps(q, _mm512_set1_ps((float)t->y_zp));
    q = _mm512_min_ps(_mm512_max_ps(q, _mm512_set1_ps((float)t->y_lo)), _mm512_set1_ps((float)t->y_hi));
    __m128i bytes = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(q));
    if (n >= 16) _mm_storeu_si128((__m128i *)dst, bytes);
    else _mm_mask_storeu_epi8(dst, (__mmask16)((1u << n) - 1u), bytes);
}

VATTR static void gemm8_vnni(const ExecTile8 *t)
{
    __m512i acc[EXEC_MR8][2];
    for (int r = 0; r < EXEC_MR8; r++) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
    const int8_t *a = t->A;
    const uint8_t *b = t->B;
    for (int64_t kq = 0; kq < t->Kq; kq++, a += EXEC_MR8 * 4, b += EXEC_NR8 * 4) {
        __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64);
#if defined(__clang__)
#pragma clang loop unroll(full)
#else
#pragma GCC unroll 8
#endif
        for (int r = 0; r < EXEC_MR8; r++) {
            int32_t w;
            memcpy(&w, a + r * 4, 4);
            __m512i av = _mm512_set1_epi32(w);
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], b0, av);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], b1, av);
        }
    }
    for (int r = 0; r < t->rows; r++)
        for (int v = 0; v < 2; v++) {
            int n = t->cols - v * 16;
            if (n > 0) store_bytes(t, acc[r][v], r, t->C + r * t->ldc + v * 16, n);
        }
}

#endif

ExecGemm8Fn exec_gemm8(ExecIsa isa, const char **name)
{
#ifdef EXEC_HAVE_X86_KERNELS
    if (isa == EXEC_ISA_AVX512 && exec_cpu_vnni()) {
        if (name) *name = "avx512-vnni";
        return gemm8_vnni;
    }
#endif
    (void)isa;
    if (name) *name = "portable";
    return gemm8_portable;
}
