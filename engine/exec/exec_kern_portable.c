/* exec_kern_portable: the executor's kernels in portable C (GCC/Clang vector types of 4
 * floats, which every target lowers to its own SIMD or to scalars): the path for CPUs
 * without AVX2 and for other architectures.  Micro-tiles of 4 rows x 8 columns. */
#include "engine/exec/exec_kern.h"

#include <math.h>
#include <string.h>

#include "engine/core/util.h"

#define KATTR
#define KSUF(name) name##_portable
#define KNAME "portable"
#define VL 4
#define MR 4
#define BLK_T 6 /* pixels of the blocked convolution's tile */
#define NV 2
typedef float vec __attribute__((vector_size(16)));
typedef int32_t veci __attribute__((vector_size(16)));

static inline vec v_zero(void) { return (vec){0, 0, 0, 0}; }
static inline vec v_set1(float x) { return (vec){x, x, x, x}; }
static inline vec v_load(const float *p)
{
    vec v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void v_store(float *p, vec v) { memcpy(p, &v, sizeof v); }
static inline vec v_loadn(const float *p, int n)
{
    vec v = v_zero();
    for (int i = 0; i < n && i < VL; i++) v[i] = p[i];
    return v;
}
static inline void v_storen(float *p, vec v, int n)
{
    for (int i = 0; i < n && i < VL; i++) p[i] = v[i];
}
static inline vec v_fma(vec a, vec b, vec c) { return a * b + c; }
static inline vec v_add(vec a, vec b) { return a + b; }
static inline vec v_sub(vec a, vec b) { return a - b; }
static inline vec v_mul(vec a, vec b) { return a * b; }
static inline vec v_div(vec a, vec b) { return a / b; }
static inline vec v_select(veci m, vec a, vec b) { return (vec)(((veci)a & m) | ((veci)b & ~m)); }
static inline vec v_max(vec a, vec b) { return v_select(a > b, a, b); }
static inline vec v_min(vec a, vec b) { return v_select(a < b, a, b); }
static inline vec v_floor(vec a)
{
    for (int i = 0; i < VL; i++) a[i] = floorf(a[i]);
    return a;
}
static inline vec v_pow2(vec fx)
{
    veci e;
    for (int i = 0; i < VL; i++) e[i] = ((int32_t)fx[i] + 127) << 23;
    return (vec)e;
}
static inline vec v_round_f16(vec a)
{
    for (int i = 0; i < VL; i++) a[i] = half_to_float(float_to_half(a[i]));
    return a;
}
static inline vec v_gather(const float *base, const int32_t *idx)
{
    vec v;
    for (int i = 0; i < VL; i++) v[i] = base[idx[i]];
    return v;
}
static inline vec v_even(vec a, vec b) { return (vec){a[0], a[2], b[0], b[2]}; }
static inline vec v_odd(vec a, vec b) { return (vec){a[1], a[3], b[1], b[3]}; }
static inline vec v_load_f16(const uint16_t *h)
{
    vec v;
    for (int i = 0; i < VL; i++) v[i] = half_to_float(h[i]);
    return v;
}
static inline void v_store_f16(uint16_t *h, vec v)
{
    for (int i = 0; i < VL; i++) h[i] = float_to_half(v[i]);
}

#include "engine/exec/exec_kern_body.h"
