/* exec_kern_int8: the int8 convolution micro-kernel (see exec_kern.h): u8 x s8 products
 * summed exactly in int32, then requantized.  AVX-512 VNNI (vpdpbusd: four products per
 * lane per instruction) where the CPU has it, else AVX2 (bytes widened to int16, vpmaddwd),
 * both compiled with per-function target attributes; portable C elsewhere.  All three
 * round half to even and give the same bytes. */
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
    if (t->S) {
        memcpy(t->S, acc, sizeof acc);
        return;
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
    if (t->S) {
        for (int r = 0; r < EXEC_MR8; r++) {
            _mm512_storeu_si512(t->S + r * EXEC_NR8, acc[r][0]);
            _mm512_storeu_si512(t->S + r * EXEC_NR8 + 16, acc[r][1]);
        }
        return;
    }
    for (int r = 0; r < t->rows; r++)
        for (int v = 0; v < 2; v++) {
            int n = t->cols - v * 16;
            if (n > 0) store_bytes(t, acc[r][v], r, t->C + r * t->ldc + v * 16, n);
        }
}

/* ---- AVX2: u8 and s8 widened to int16, vpmaddwd, int32 sums ---------------------------------
 * vpmaddubsw would multiply the bytes directly but saturates its int16 pair sums (255 * 127 * 2
 * > 32767); widening first keeps every product and pair sum exact.  A vector holds 4 columns x
 * 4 taps of B as int16; vpmaddwd with the row's 4 weights (broadcast) gives, per column, the
 * sums of taps 0-1 and of taps 2-3, added across K in int32 and folded at the end.  The
 * weights are widened once per chunk of K into a small buffer the inner loop broadcasts from,
 * so the loop is one widening load of B, then a multiply-add and an add per row. */
#define A2ATTR __attribute__((target("avx2")))
enum { KQ_CHUNK = 64 };

/* Row r's 4 widened weights of one tap group, in every 64-bit lane. */
A2ATTR static inline __m256i avx2_weights(const int16_t *a16, int r)
{
    int64_t w;
    memcpy(&w, a16 + r * 4, 8);
    return _mm256_set1_epi64x(w);
}

/* 8 rows x 4 columns over kn groups of taps: acc[r] += B(4 columns) . A(row r).  Eight named
 * accumulators: an array of them is kept in memory by some compilers. */
A2ATTR static inline void avx2_block(__m256i acc[EXEC_MR8], const int16_t *a16, const uint8_t *b, int64_t kn)
{
    __m256i s0 = acc[0], s1 = acc[1], s2 = acc[2], s3 = acc[3], s4 = acc[4], s5 = acc[5], s6 = acc[6], s7 = acc[7];
    for (int64_t i = 0; i < kn; i++, b += EXEC_NR8 * 4, a16 += EXEC_MR8 * 4) {
        __m256i bv = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)b));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(bv, avx2_weights(a16, 0)));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(bv, avx2_weights(a16, 1)));
        s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(bv, avx2_weights(a16, 2)));
        s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(bv, avx2_weights(a16, 3)));
        s4 = _mm256_add_epi32(s4, _mm256_madd_epi16(bv, avx2_weights(a16, 4)));
        s5 = _mm256_add_epi32(s5, _mm256_madd_epi16(bv, avx2_weights(a16, 5)));
        s6 = _mm256_add_epi32(s6, _mm256_madd_epi16(bv, avx2_weights(a16, 6)));
        s7 = _mm256_add_epi32(s7, _mm256_madd_epi16(bv, avx2_weights(a16, 7)));
    }
    acc[0] = s0, acc[1] = s1, acc[2] = s2, acc[3] = s3, acc[4] = s4, acc[5] = s5, acc[6] = s6, acc[7] = s7;
}

/* Requantize 8 sums of row r (the portable path's operations in the same order) into n <= 8 bytes. */
A2ATTR static inline void avx2_store(const ExecTile8 *t, __m256i sum, int r, uint8_t *dst, int n)
{
    /* a multiply and an add, not a fused multiply-add (this function's target has no FMA) */
    __m256 y = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(sum, _mm256_set1_epi32(t->zsum[r]))),
                                           _mm256_set1_ps(t->scale[r])),
                             _mm256_set1_ps(t->bias[r]));
    if (t->relu) y = _mm256_max_ps(y, _mm256_setzero_ps());
    __m256 q = _mm256_round_ps(_mm256_div_ps(y, _mm256_set1_ps(t->y_scale)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm256_add_ps(q, _mm256_set1_ps((float)t->y_zp));
    q = _mm256_min_ps(_mm256_max_ps(q, _mm256_set1_ps((float)t->y_lo)), _mm256_set1_ps((float)t->y_hi));
    /* the low byte of each int32 (two's complement for signed outputs), gathered into 8 bytes */
    __m256i v = _mm256_shuffle_epi8(_mm256_cvtps_epi32(q), _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1,
                                                                            -1, -1, -1, -1, 0, 4, 8, 12, -1, -1, -1, -1,
                                                                            -1, -1, -1, -1, -1, -1, -1, -1));
    v = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
    uint8_t bytes[8];
    _mm_storel_epi64((__m128i *)bytes, _mm256_castsi256_si128(v));
    memcpy(dst, bytes, (size_t)n);
}

A2ATTR static void gemm8_avx2(const ExecTile8 *t)
{
    __m256i acc[EXEC_NR8 / 4][EXEC_MR8]; /* [column block][row]: per column, taps 0-1 and 2-3 */
    int16_t a16[KQ_CHUNK * EXEC_MR8 * 4] __attribute__((aligned(32)));
    for (int cb = 0; cb < EXEC_NR8 / 4; cb++)
        for (int r = 0; r < EXEC_MR8; r++) acc[cb][r] = _mm256_setzero_si256();
    int blocks = (t->cols + 3) / 4;
    for (int64_t k0 = 0; k0 < t->Kq; k0 += KQ_CHUNK) {
        int64_t kn = t->Kq - k0 < KQ_CHUNK ? t->Kq - k0 : KQ_CHUNK;
        const int8_t *a = t->A + k0 * EXEC_MR8 * 4;
        for (int64_t i = 0; i < kn; i++) {
            __m256i w = _mm256_loadu_si256((const __m256i *)(a + i * EXEC_MR8 * 4));
            _mm256_store_si256((__m256i *)(a16 + i * EXEC_MR8 * 4), _mm256_cvtepi8_epi16(_mm256_castsi256_si128(w)));
            _mm256_store_si256((__m256i *)(a16 + i * EXEC_MR8 * 4 + 16), _mm256_cvtepi8_epi16(_mm256_extracti128_si256(w, 1)));
        }
        for (int cb = 0; cb < blocks; cb++) avx2_block(acc[cb], a16, t->B + k0 * EXEC_NR8 * 4 + cb * 16, kn);
    }
    for (int r = 0; r < t->rows; r++)
        for (int cb = 0; cb < blocks; cb += 2) {
            /* fold the pair sums: hadd gives columns 0 1 4 5 | 2 3 6 7, the permute puts them in order */
            __m256i s = _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc[cb][r], acc[cb + 1][r]), 0xD8);
            int n = t->cols - cb * 4;
            if (t->S) _mm256_storeu_si256((__m256i *)(t->S + r * EXEC_NR8 + cb * 4), s);
            else avx2_store(t, s, r, t->C + r * t->ldc + cb * 4, n < 8 ? n : 8);
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
    __builtin_cpu_init();
    if (isa >= EXEC_ISA_AVX2 && exec_cpu_isa() >= EXEC_ISA_AVX2 && __builtin_cpu_supports("avx2")) {
        if (name) *name = "avx2";
        return gemm8_avx2;
    }
#endif
    (void)isa;
    if (name) *name = "portable";
    return gemm8_portable;
}
