/* exec_kern_avx512: the executor's kernels for AVX-512 (F, BW, VL, DQ) CPUs: 16 lanes,
 * micro-tiles of 8 rows x 32 columns.  Compiled with per-function target attributes, so
 * the rest of the binary runs on any x86-64; exec_kernels() picks this table only when
 * the CPU has AVX-512. */
#include "engine/exec/exec_kern.h"

#ifdef EXEC_HAVE_X86_KERNELS
#include <immintrin.h>
#include <string.h>

#define KATTR __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#define KSUF(name) name##_avx512
#define KNAME "avx512"
#define VL 16
#define MR 8
#define BLK_T 10 /* pixels of the blocked convolution's tile: 2 x 10 accumulators of 32 registers; rows of
                  * 20, 40, 80 ... (YOLO's maps) split into whole tiles */
#define NV 2
typedef __m512 vec;

KATTR static inline __mmask16 lanes_mask(int n) { return (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1u); }
KATTR static inline vec v_zero(void) { return _mm512_setzero_ps(); }
KATTR static inline vec v_set1(float x) { return _mm512_set1_ps(x); }
KATTR static inline vec v_load(const float *p) { return _mm512_loadu_ps(p); }
KATTR static inline void v_store(float *p, vec v) { _mm512_storeu_ps(p, v); }
KATTR static inline vec v_loadn(const float *p, int n) { return _mm512_maskz_loadu_ps(lanes_mask(n), p); }
KATTR static inline void v_storen(float *p, vec v, int n) { _mm512_mask_storeu_ps(p, lanes_mask(n), v); }
KATTR static inline vec v_fma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
KATTR static inline vec v_add(vec a, vec b) { return _mm512_add_ps(a, b); }
KATTR static inline vec v_sub(vec a, vec b) { return _mm512_sub_ps(a, b); }
KATTR static inline vec v_mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
KATTR static inline vec v_div(vec a, vec b) { return _mm512_div_ps(a, b); }
KATTR static inline vec v_max(vec a, vec b) { return _mm512_max_ps(a, b); }
KATTR static inline vec v_min(vec a, vec b) { return _mm512_min_ps(a, b); }
KATTR static inline vec v_floor(vec a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); }
KATTR static inline vec v_pow2(vec fx)
{
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(fx), _mm512_set1_epi32(127)), 23);
    return _mm512_castsi512_ps(e);
}
KATTR static inline vec v_round_f16(vec a)
{
    return _mm512_cvtph_ps(_mm512_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
KATTR static inline vec v_gather(const float *base, const int32_t *idx)
{
    return _mm512_i32gather_ps(_mm512_loadu_si512(idx), base, 4);
}
KATTR static inline vec v_even(vec a, vec b)
{
    return _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
}
KATTR static inline vec v_odd(vec a, vec b)
{
    return _mm512_permutex2var_ps(a, _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b);
}
KATTR static inline vec v_load_f16(const uint16_t *h) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)h)); }
KATTR static inline void v_store_f16(uint16_t *h, vec v)
{
    _mm256_storeu_si256((__m256i *)h, _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

#include "engine/exec/exec_kern_body.h"

#endif
