/* exec_gemm: a general matrix product on the executor's micro-kernels, for the ops whose
 * operands are not known at exec_new (MatMul, Gemm, ConvTranspose, the reference
 * convolution): C = alpha * op(A) op(B) + beta * C, row-major, op = transpose on request.
 * A is packed into panels of mr rows (alpha folded in) and B into tiles of nr columns per
 * task, both into the Exec's scratch, so a run allocates nothing once sizes are known.
 * Tiles of C are independent: large products run on the pool.  The executor needs no BLAS
 * library at run time. */
#include <string.h>

#include "engine/exec/exec_impl.h"
#include "engine/core/util.h"

typedef struct {
    const ExecKernels *k;
    bool tb;
    int64_t M, N, K, ldb, ldc;
    const float *Ap, *B;
    float *C;
    const ptrdiff_t *off;
    bool accumulate;
    float **scratch; /* per worker: K x nr */
    int64_t tiles_per_task, tiles;
} GemmJob;

static void gemm_task(void *ctx, int64_t task, int worker)
{
    const GemmJob *j = ctx;
    int nr = j->k->nr, mr = j->k->mr;
    float *bp = j->scratch[worker];
    int64_t t0 = task * j->tiles_per_task, t1 = t0 + j->tiles_per_task < j->tiles ? t0 + j->tiles_per_task : j->tiles;
    for (int64_t t = t0; t < t1; t++) {
        int64_t n0 = t * nr, cols = j->N - n0 < nr ? j->N - n0 : nr;
        for (int64_t k = 0; k < j->K; k++) {
            float *row = bp + k * nr;
            if (j->tb)
                for (int64_t c = 0; c < cols; c++) row[c] = j->B[(n0 + c) * j->ldb + k];
            else
                memcpy(row, j->B + k * j->ldb + n0, sizeof(float) * (size_t)cols);
            for (int64_t c = cols; c < nr; c++) row[c] = 0.f;
        }
        for (int64_t m0 = 0; m0 < j->M; m0 += mr) {
            ExecTile tile = {.K = j->K,
                             .A = j->Ap + (m0 / mr) * j->K * mr,
                             .b = bp,
                             .off = j->off,
                             .C = j->C + m0 * j->ldc + n0,
                             .ldc = j->ldc,
                             .rows = (int)(j->M - m0 < mr ? j->M - m0 : mr),
                             .cols = (int)cols,
                             .accumulate = j->accumulate};
            j->k->gemm(&tile);
        }
    }
}

void exec_sgemm(Exec *e, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0) return;
    if (beta != 1.f)
        for (int64_t i = 0; i < M; i++) {
            float *r = C + i * ldc;
            if (beta == 0.f) memset(r, 0, sizeof(float) * (size_t)N);
            else
                for (int64_t c = 0; c < N; c++) r[c] *= beta;
        }
    if (K <= 0 || alpha == 0.f) return;
    const ExecKernels *k = e->kern;
    int mr = k->mr, nr = k->nr;
    int64_t panels = (M + mr - 1) / mr;
    /* A into panels (the pad scratch: the reference convolution does not use it) */
    float *Ap = exec_pad_scratch(e, (size_t)(panels * mr * K));
    for (int64_t p = 0; p < panels; p++)
        for (int64_t kk = 0; kk < K; kk++)
            for (int r = 0; r < mr; r++) {
                int64_t m = p * mr + r;
                Ap[(p * K + kk) * mr + r] = m < M ? alpha * (ta ? A[kk * lda + m] : A[m * lda + kk]) : 0.f;
            }
    ptrdiff_t *off = exec_tab_scratch(e, sizeof(ptrdiff_t) * (size_t)K);
    for (int64_t kk = 0; kk < K; kk++) off[kk] = kk * nr;
    GemmJob j = {k, tb, M, N, K, ldb, ldc, Ap, B, C, off, true, NULL, 1, (N + nr - 1) / nr};
    exec_worker_scratch_reserve(e, (size_t)(K * nr));
    j.scratch = e->wscr;
    int threads = exec_pool_size(e->pool);
    double tile_macs = (double)M * (double)K * nr;
    int64_t want = (int64_t)threads * 4, by_size = (int64_t)(500000.0 / tile_macs) + 1;
    j.tiles_per_task = threads > 1 ? j.tiles / want : j.tiles;
    if (j.tiles_per_task < by_size) j.tiles_per_task = by_size;
    if (j.tiles_per_task > j.tiles) j.tiles_per_task = j.tiles;
    if (j.tiles_per_task < 1) j.tiles_per_task = 1;
    exec_pool_for(e->pool, (j.tiles + j.tiles_per_task - 1) / j.tiles_per_task, gemm_task, &j);
}
