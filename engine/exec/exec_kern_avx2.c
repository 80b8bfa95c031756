/* exec_kern_avx2: the executor's kernels for AVX2 + FMA + F16C CPUs: 8 lanes, micro-tiles
 * of 6 rows x 16 columns (12 accumulators of the 16 ymm registers).  Compiled with
 * per-function target attributes; exec_kernels() picks this table when the CPU has AVX2
 * but not AVX-512. */
#include "engine/exec/exec_kern.h"

#ifdef EXEC_HAVE_X86_KERNELS
#include <immintrin.h>
#include <string.h>

#define KATTR __attribute__((target("avx2,fma,f16c")))
#define KSUF(name) name##_avx2
#define KNAME "avx2"
#define VL 8
#define MR 6
#define BLK_T 5 /* pixels of the blocked convolution's tile: 2 x 5 accumulators of 16 registers; rows of
                 * 20, 40, 80 ... (YOLO's maps) split into whole tiles */
#define NV 2
typedef __m256 vec;

KATTR static inline __m256i lanes_mask(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
KATTR static inline vec v_zero(void) { return _mm256_setzero_ps(); }
KATTR static inline vec v_set1(float x) { return _mm256_set1_ps(x); }
KATTR static inline vec v_load(const float *p) { return _mm256_loadu_ps(p); }
KATTR static inline void v_store(float *p, vec v) { _mm256_storeu_ps(p, v); }
KATTR static inline vec v_loadn(const float *p, int n) { return _mm256_maskload_ps(p, lanes_mask(n)); }
KATTR static inline void v_storen(float *p, vec v, int n) { _mm256_maskstore_ps(p, lanes_mask(n), v); }
KATTR static inline vec v_fma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
KATTR static inline vec v_add(vec a, vec b) { return _mm256_add_ps(a, b); }
KATTR static inline vec v_sub(vec a, vec b) { return _mm256_sub_ps(a, b); }
KATTR static inline vec v_mul(vec a, vec b) { return _mm256_mul_ps(a, b); }
KATTR static inline vec v_div(vec a, vec b) { return _mm256_div_ps(a, b); }
KATTR static inline vec v_max(vec a, vec b) { return _mm256_max_ps(a, b); }
KATTR static inline vec v_min(vec a, vec b) { return _mm256_min_ps(a, b); }
KATTR static inline vec v_floor(vec a) { return _mm256_floor_ps(a); }
KATTR static inline vec v_pow2(vec fx)
{
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_castsi256_ps(e);
}
KATTR static inline vec v_round_f16(vec a) { return _mm256_cvtph_ps(_mm256_cvtps_ph(a, _MM_FROUND_TO_NEAREST_INT)); }
KATTR static inline vec v_gather(const float *base, const int32_t *idx)
{
    return _mm256_i32gather_ps(base, _mm256_loadu_si256((const __m256i *)idx), 4);
}
/* a = x0..x7, b = x8..x15: shuffle evens/odds within lanes, then order the 64-bit pairs */
KATTR static inline vec v_even(vec a, vec b)
{
    __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)); /* x0 x2 x8 x10 | x4 x6 x12 x14 */
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}
KATTR static inline vec v_odd(vec a, vec b)
{
    __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}
KATTR static inline vec v_load_f16(const uint16_t *h) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)h)); }
KATTR static inline void v_store_f16(uint16_t *h, vec v)
{
    _mm_storeu_si128((__m128i *)h, _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
}

#include "engine/exec/exec_kern_body.h"

#endif
