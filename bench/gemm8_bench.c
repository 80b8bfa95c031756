/* gemm8_bench: the int8 convolution micro-kernels alone, on one thread: every kernel this CPU
 * runs (portable, AVX2, AVX-512 VNNI) over the same full 8 x 32 tiles of a 3x3 convolution
 * with 64 input channels (Kq = 144), the median of 7 rounds; GMAC/s and the ratio to the
 * portable kernel measured in the same run, on one line.
 *   gemm8_bench [Kq] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/exec/exec_kern.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int64_t Kq = argc > 1 ? atoll(argv[1]) : 144;
    if (Kq < 1 || Kq > 100000) {
        fprintf(stderr, "gemm8_bench: Kq must be 1..100000\n");
        return 2;
    }
    int8_t *A = malloc((size_t)(Kq * EXEC_MR8 * 4));
    uint8_t *B = malloc((size_t)(Kq * EXEC_NR8 * 4)), C[EXEC_MR8 * EXEC_NR8];
    uint32_t s = 12345;
    for (int64_t i = 0; i < Kq * EXEC_MR8 * 4; i++) A[i] = (int8_t)((s = s * 1103515245u + 12345u) >> 24);
    for (int64_t i = 0; i < Kq * EXEC_NR8 * 4; i++) B[i] = (uint8_t)((s = s * 1103515245u + 12345u) >> 24);
    int32_t zsum[EXEC_MR8] = {0};
    float scale[EXEC_MR8], bias[EXEC_MR8] = {0};
    for (int r = 0; r < EXEC_MR8; r++) scale[r] = 1e-5f;
    ExecTile8 t = {.Kq = Kq, .A = A, .B = B, .C = C, .ldc = EXEC_NR8, .rows = EXEC_MR8, .cols = EXEC_NR8, .zsum = zsum,
                   .scale = scale, .bias = bias, .y_scale = 0.02f, .y_zp = 128, .y_lo = 0, .y_hi = 255, .relu = true};
    static const ExecIsa isas[3] = {EXEC_ISA_PORTABLE, EXEC_ISA_AVX2, EXEC_ISA_AVX512};
    double macs = (double)(Kq * 4 * EXEC_MR8 * EXEC_NR8), base = 0;
    ExecGemm8Fn prev = NULL;
    printf("int8 micro-kernel, Kq %lld, 1 thread:", (long long)Kq);
    for (int i = 0; i < 3; i++) {
        const char *name;
        ExecGemm8Fn f = exec_gemm8(isas[i], &name);
        if (f == prev) continue;
        prev = f;
        /* about 0.05 s of portable work per round, the same tile count for every kernel */
        int64_t tiles = (int64_t)(2e8 / macs) + 1;
        double rounds[7];
        for (int r = 0; r < 7; r++) {
            double t0 = now_s();
            for (int64_t k = 0; k < tiles; k++) f(&t);
            rounds[r] = now_s() - t0;
        }
        qsort(rounds, 7, sizeof rounds[0], cmp_double);
        double gmacs = macs * (double)tiles / rounds[3] * 1e-9;
        if (i == 0) base = gmacs;
        printf("  %s %.1f GMAC/s (x%.1f)", name, gmacs, base > 0 ? gmacs / base : 0);
    }
    printf("\n");
    free(A);
    free(B);
    return 0;
}
