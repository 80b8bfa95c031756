/* exec_cpu: which kernel table this CPU runs, detected at run time (cpuid through the
 * compiler's __builtin_cpu_supports, which also checks that the OS saves the wide
 * registers).  No cached state: the builtins read what libgcc filled in at start-up. */
#include "engine/exec/exec_kern.h"

#ifdef EXEC_HAVE_X86_KERNELS
#include <cpuid.h>

/* F16C (cpuid leaf 1, ecx bit 29): not every compiler's __builtin_cpu_supports knows it */
static bool have_f16c(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29));
}
#endif

ExecIsa exec_cpu_isa(void)
{
#ifdef EXEC_HAVE_X86_KERNELS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma"))
        return EXEC_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && have_f16c())
        return EXEC_ISA_AVX2;
#endif
    return EXEC_ISA_PORTABLE;
}

bool exec_cpu_vnni(void)
{
#ifdef EXEC_HAVE_X86_KERNELS
    __builtin_cpu_init();
    return exec_cpu_isa() == EXEC_ISA_AVX512 && __builtin_cpu_supports("avx512vnni");
#else
    return false;
#endif
}

const ExecKernels *exec_kernels(ExecIsa isa)
{
    ExecIsa best = exec_cpu_isa();
    if (isa > best) isa = best;
#ifdef EXEC_HAVE_X86_KERNELS
    if (isa == EXEC_ISA_AVX512) return &exec_kernels_avx512;
    if (isa == EXEC_ISA_AVX2) return &exec_kernels_avx2;
#endif
    return &exec_kernels_portable;
}
