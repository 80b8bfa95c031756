/* The int8 convolution micro-kernels of engine/exec/exec_kern_int8.c (AVX-512 VNNI, AVX2,
 * portable): which one exec_gemm8 picks for each instruction set on this CPU, and every
 * path this CPU runs against the portable one byte for byte, and the portable one against
 * an int64 reference, on odd tiles (rows and columns below the panel size, Kq 1 to past two
 * chunks of the AVX2 kernel), extreme bytes (0/255 x -128/127: sums no int16 step may
 * saturate), relu on and off, uint8 and int8 outputs and narrowed y_lo/y_hi clamps. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/exec/exec_kern.h"
#include "tests/check.h"

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* The operands of one tile, panel-sized (the kernels read every row and column of a panel). */
typedef struct {
    int8_t *A;
    uint8_t *B;
    int32_t zsum[EXEC_MR8];
    float scale[EXEC_MR8], bias[EXEC_MR8];
} Operands;

static void operands_alloc(Operands *o, int64_t Kq)
{
    o->A = malloc((size_t)(Kq * EXEC_MR8 * 4));
    o->B = malloc((size_t)(Kq * EXEC_NR8 * 4));
}

static void operands_free(Operands *o)
{
    free(o->A);
    free(o->B);
}

/* The expected bytes from int64 sums and the requantization spelled out in exec_kern.h. */
static void reference(const ExecTile8 *t, uint8_t *C)
{
    for (int r = 0; r < t->rows; r++)
        for (int j = 0; j < t->cols; j++) {
            int64_t sum = 0;
            for (int64_t k = 0; k < t->Kq * 4; k++)
                sum += (int64_t)t->A[((k / 4) * EXEC_MR8 + r) * 4 + k % 4] * t->B[((k / 4) * EXEC_NR8 + j) * 4 + k % 4];
            float y = (float)((int32_t)sum - t->zsum[r]) * t->scale[r];
            y = y + t->bias[r];
            if (t->relu && y < 0) y = 0;
            float q = nearbyintf(y / t->y_scale) + (float)t->y_zp;
            q = q < (float)t->y_lo ? (float)t->y_lo : q > (float)t->y_hi ? (float)t->y_hi : q;
            C[r * t->ldc + j] = (uint8_t)(int32_t)q;
        }
}

/* The distinct kernels exec_gemm8 gives on this CPU: fns[0] is the portable one. */
static int kernels_here(ExecGemm8Fn fns[3], const char *names[3])
{
    static const ExecIsa isas[3] = {EXEC_ISA_PORTABLE, EXEC_ISA_AVX2, EXEC_ISA_AVX512};
    int n = 0;
    for (int i = 0; i < 3; i++) {
        const char *name = NULL;
        ExecGemm8Fn f = exec_gemm8(isas[i], &name);
        if (n == 0 || f != fns[n - 1]) {
            fns[n] = f;
            names[n++] = name;
        }
    }
    return n;
}

/* Run every kernel on t (its C ignored) into guarded buffers: each must match the portable
 * bytes inside rows x cols and leave every other byte alone; the portable ones must match
 * the reference. */
static void check_tile(ExecTile8 t, const char *what)
{
    ExecGemm8Fn fns[3];
    const char *names[3];
    int nk = kernels_here(fns, names);
    size_t size = (size_t)(EXEC_MR8 * t.ldc + 16);
    uint8_t *want = malloc(size), *got = malloc(size);
    memset(want, 0xA5, size);
    t.C = want;
    reference(&t, want);
    for (int k = 0; k < nk; k++) {
        memset(got, 0xA5, size);
        t.C = got;
        fns[k](&t);
        int64_t bad = -1;
        for (size_t i = 0; i < size && bad < 0; i++)
            if (got[i] != want[i]) bad = (int64_t)i;
        EXPECT_MSG(bad < 0, "%s: %s kernel: byte %lld (row %lld, column %lld) is %d, want %d", what, names[k],
                   (long long)bad, (long long)(bad / t.ldc), (long long)(bad % t.ldc), got[bad < 0 ? 0 : bad],
                   want[bad < 0 ? 0 : bad]);
    }
    free(want);
    free(got);

    /* without the epilogue (S): every kernel gives the exact sums of rows x cols */
    int32_t S[EXEC_MR8 * EXEC_NR8];
    t.C = NULL;
    for (int k = 0; k < nk; k++) {
        memset(S, 0x5A, sizeof S);
        t.S = S;
        fns[k](&t);
        int bad = -1;
        int64_t want_sum = 0;
        for (int r = 0; r < t.rows && bad < 0; r++)
            for (int j = 0; j < t.cols && bad < 0; j++) {
                int64_t sum = 0;
                for (int64_t q = 0; q < t.Kq * 4; q++)
                    sum += (int64_t)t.A[((q / 4) * EXEC_MR8 + r) * 4 + q % 4] * t.B[((q / 4) * EXEC_NR8 + j) * 4 + q % 4];
                if (S[r * EXEC_NR8 + j] != sum) bad = r * EXEC_NR8 + j, want_sum = sum;
            }
        EXPECT_MSG(bad < 0, "%s: %s kernel, sums: element %d is %d, want %lld", what, names[k], bad,
                   bad < 0 ? 0 : S[bad], (long long)want_sum);
    }
}

static void test_gemm8_selection(void)
{
    const char *name = NULL;
    exec_gemm8(EXEC_ISA_PORTABLE, &name);
    EXPECT_EQ_STR(name, "portable");
    ExecIsa isa = exec_cpu_isa();
    exec_gemm8(EXEC_ISA_AVX2, &name);
    EXPECT_EQ_STR(name, isa >= EXEC_ISA_AVX2 ? "avx2" : "portable");
    exec_gemm8(EXEC_ISA_AVX512, &name);
    EXPECT_EQ_STR(name, exec_cpu_vnni() ? "avx512-vnni" : isa >= EXEC_ISA_AVX2 ? "avx2" : "portable");
    ExecGemm8Fn fns[3];
    const char *names[3];
    int nk = kernels_here(fns, names);
    printf("# int8 kernels on this CPU:");
    for (int k = 0; k < nk; k++) printf(" %s", names[k]);
    printf("\n");
}

/* Random bytes over odd tiles, with uint8 and int8 outputs, relu, and clamps narrower than the type. */
static void test_gemm8_random_tiles(void)
{
    static const int rows[] = {1, 3, 8}, cols[] = {1, 5, 8, 13, 16, 17, 31, 32};
    static const int64_t kqs[] = {1, 2, 3, 63, 64, 65, 129, 200};
    uint32_t s = 0x9e3779b9u;
    int n = 0;
    for (size_t ki = 0; ki < sizeof kqs / sizeof kqs[0]; ki++) {
        int64_t Kq = kqs[ki];
        Operands o;
        operands_alloc(&o, Kq);
        for (int64_t i = 0; i < Kq * EXEC_MR8 * 4; i++) o.A[i] = (int8_t)(rnd(&s) & 0xff);
        for (int64_t i = 0; i < Kq * EXEC_NR8 * 4; i++) o.B[i] = (uint8_t)(rnd(&s) & 0xff);
        int32_t x_zp = (int32_t)(rnd(&s) % 256);
        for (int r = 0; r < EXEC_MR8; r++) {
            int32_t wsum = 0;
            for (int64_t k = 0; k < Kq * 4; k++) wsum += o.A[((k / 4) * EXEC_MR8 + r) * 4 + k % 4];
            o.zsum[r] = x_zp * wsum;
            /* a scale that spreads the sums over a few hundred steps, and biases of either sign */
            o.scale[r] = (float)(1.0 / (double)(2000 * Kq) * (0.5 + (rnd(&s) % 1000) / 1000.0));
            o.bias[r] = (float)((int)(rnd(&s) % 2001) - 1000) / 4000.0f;
        }
        for (size_t ri = 0; ri < sizeof rows / sizeof rows[0]; ri++)
            for (size_t ci = 0; ci < sizeof cols / sizeof cols[0]; ci++)
                for (int mode = 0; mode < 4; mode++) {
                    int is_signed = mode & 1, narrow = mode & 2;
                    ExecTile8 t = {.Kq = Kq, .A = o.A, .B = o.B, .ldc = cols[ci] + 3, .rows = rows[ri], .cols = cols[ci],
                                   .zsum = o.zsum, .scale = o.scale, .bias = o.bias, .y_scale = 0.004f,
                                   .relu = (ri + ci + (size_t)mode) % 2 == 0};
                    t.y_zp = is_signed ? (int32_t)(rnd(&s) % 64) - 32 : (int32_t)(rnd(&s) % 128) + 64;
                    t.y_lo = is_signed ? -128 : 0;
                    t.y_hi = is_signed ? 127 : 255;
                    if (narrow) {
                        t.y_lo += 20;
                        t.y_hi -= 30;
                    }
                    char what[96];
                    snprintf(what, sizeof what, "Kq %lld, %d x %d, %s%s%s", (long long)Kq, t.rows, t.cols,
                             is_signed ? "int8" : "uint8", narrow ? ", narrowed" : "", t.relu ? ", relu" : "");
                    check_tile(t, what);
                    n++;
                }
        operands_free(&o);
    }
    printf("# %d random tiles\n", n);
}

/* Every product at its extreme: B 255 (or 0/255 mixed) against weights 127 or -128, Kq 1 and
 * large.  A pair of 255 * 127 products is 64770, past int16: with one tap group, sum 129540
 * gives y = 126.5039 -> 127 at scale 1/1024, where int16-saturated pairs would give 64. */
static void test_gemm8_extremes(void)
{
    static const int64_t kqs[] = {1, 65, 1000};
    for (size_t ki = 0; ki < sizeof kqs / sizeof kqs[0]; ki++) {
        int64_t Kq = kqs[ki];
        Operands o;
        operands_alloc(&o, Kq);
        for (int pattern = 0; pattern < 4; pattern++) {
            /* 0: all 255 x 127; 1: all 255 x -128; 2: rows alternate 127 / -128; 3: B 0/255 by column */
            for (int64_t i = 0; i < Kq * EXEC_MR8 * 4; i++) {
                int r = (int)(i / 4 % EXEC_MR8);
                o.A[i] = pattern == 0 || (pattern >= 2 && r % 2 == 0) ? 127 : -128;
            }
            for (int64_t i = 0; i < Kq * EXEC_NR8 * 4; i++) {
                int j = (int)(i / 4 % EXEC_NR8);
                o.B[i] = pattern == 3 && j % 3 == 1 ? 0 : 255;
            }
            for (int r = 0; r < EXEC_MR8; r++) {
                o.zsum[r] = 0;
                o.scale[r] = 1.0f / (1024.0f * (float)Kq);
                o.bias[r] = 0;
            }
            for (int mode = 0; mode < 4; mode++) {
                int is_signed = mode & 1;
                ExecTile8 t = {.Kq = Kq, .A = o.A, .B = o.B, .ldc = EXEC_NR8, .rows = EXEC_MR8, .cols = EXEC_NR8,
                               .zsum = o.zsum, .scale = o.scale, .bias = o.bias, .y_scale = 1.0f,
                               .y_zp = is_signed ? 0 : 128, .y_lo = is_signed ? -128 : 0, .y_hi = is_signed ? 127 : 255,
                               .relu = (mode & 2) != 0};
                char what[96];
                snprintf(what, sizeof what, "extremes Kq %lld, pattern %d, %s%s", (long long)Kq, pattern,
                         is_signed ? "int8" : "uint8", t.relu ? ", relu" : "");
                check_tile(t, what);
                /* the value itself, on every path: 127 (or -128 -> relu 0) plus the zero point */
                if (Kq == 1 && pattern == 0) {
                    ExecGemm8Fn fns[3];
                    const char *names[3];
                    int nk = kernels_here(fns, names);
                    for (int k = 0; k < nk; k++) {
                        uint8_t C[EXEC_MR8 * EXEC_NR8];
                        t.C = C;
                        fns[k](&t);
                        EXPECT_MSG(C[0] == (uint8_t)(127 + t.y_zp > t.y_hi ? t.y_hi : 127 + t.y_zp) && C[sizeof C - 1] == C[0],
                                   "%s: %s kernel gives %d", what, names[k], C[0]);
                    }
                }
            }
        }
        operands_free(&o);
    }
}

int main(void)
{
    RUN(test_gemm8_selection);
    RUN(test_gemm8_random_tiles);
    RUN(test_gemm8_extremes);
    return check_done();
}
