/* exec_kern: the executor's compute kernels, one table per instruction set.  The same
 * kernel source (exec_kern_body.h) is compiled three times over a small set of vector
 * primitives: AVX-512 (exec_kern_avx512.c) and AVX2+FMA+F16C (exec_kern_avx2.c), both
 * with per-function target attributes so that one binary runs on any x86-64, and portable
 * C vectors (exec_kern_portable.c) for every other machine.  exec_kernels() picks the best
 * table the CPU supports, detected at run time.
 *
 * Layout conventions: A (weights) is packed once into panels of mr rows: for a panel,
 * element (k, r) at A[k * mr + r], rows past the matrix end zero.  B (activations) is read
 * through an offset table: element (k, j) at b[off[k] + j], so one micro-kernel serves a
 * 1x1 convolution (off[k] = k * HW), a k x k convolution over a padded input (off[k] =
 * channel plane + row + column of tap k) and packed panels (off[k] = k * nr).  The kernel
 * reads nr columns of B even when fewer are valid: callers keep that memory readable. */
#ifndef YOLOPORT_EXEC_KERN_H
#define YOLOPORT_EXEC_KERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The activation fused into a convolution's epilogue. */
typedef enum { ACT_NONE, ACT_RELU, ACT_SIGMOID, ACT_SILU } ExecAct;

/* Where a half-precision graph rounds to float16 inside a fused epilogue: the conv's own
 * output, the sigmoid of a Sigmoid·Mul pair, the activation's output. */
enum { EPI_ROUND_CONV = 1, EPI_ROUND_SIG = 2, EPI_ROUND_OUT = 4 };

typedef struct {
    ExecAct act;
    int round; /* EPI_ROUND_* bits */
} ExecEpi;

/* Arguments of one micro-tile: C[rows x cols] (row stride ldc) = A·B over K, plus C when
 * accumulate; when epi is set (the last K block): + bias[r], then the epilogue. */
typedef struct {
    int64_t K;
    const float *A;
    const float *b;
    const ptrdiff_t *off;
    float *C;
    int64_t ldc;
    int rows, cols;
    bool accumulate;
    const float *bias;  /* mr floats or NULL (used only with epi) */
    const ExecEpi *epi; /* NULL: store the raw sums */
    int64_t prefetch;   /* non-zero: also prefetch b[off[k] + prefetch ...] (the next tile's nr columns) */
} ExecTile;

/* Winograd F(4,3) over a block of at most nr tiles.  Tiles are numbered row-major over a
 * grid of tiles_w columns; tile t reads the 6x6 patch at xp + (4 * ty) * ldx + 4 * tx of
 * each channel plane (plane stride plane) and writes the 4x4 output block at
 * y + (4 * ty) * ldy + 4 * tx, clipped to oh x ow. */
typedef struct {
    const float *xp;    /* padded input of C planes */
    int64_t plane, ldx; /* plane and row strides of xp */
    int64_t C;
    int64_t tiles_w, tile0, n_tiles; /* the block: tiles [tile0, tile0 + n_tiles) */
    float *V;           /* scratch: [36][C][nr] transformed input */
} ExecWinoIn;

typedef struct {
    const float *Y;     /* [36][rows][nr] products */
    int rows;           /* output channels in this chunk */
    const float *bias;  /* per channel (rows floats) or NULL */
    const ExecEpi *epi;
    float *y;           /* output plane of the chunk's first channel */
    int64_t plane, ldy, oh, ow;
    int64_t tiles_w, tile0, n_tiles;
} ExecWinoOut;

/* One tile of the blocked (NCHWc) direct convolution: up to 2 VL output channels (lanes of
 * the accumulators: c = VL is the channel block, 8 for AVX2, 16 for AVX-512) times up to
 * blk_cols output pixels of one row.  The input is a band blocked by channels: tap k of
 * pixel i, input channel ci of its block, at x[off[k] + i * VL + ci]; taps run over
 * channel blocks, then the kernel's rows and columns (khkw taps a block), and only the
 * C - block * VL channels a block holds are read.  A holds the weights of the 2 VL output
 * channels: tap k, channel ci, output r at A[(k * VL + ci) * 2 * VL + r] (zero past the
 * layer's channels).  Bias and the epilogue are applied, and the tile is stored as NCHW:
 * output r, pixel i at y[r * ldc + i] for r < rows, i < cols. */
typedef struct {
    int64_t cblocks, khkw, C;
    const float *A;
    const float *x;
    const ptrdiff_t *off;
    float *y;
    int64_t ldc;
    int rows, cols;
    const float *bias;  /* rows floats */
    const ExecEpi *epi;
} ExecBlkTile;

/* The widest micro-tile any table uses (columns). */
#define EXEC_MAX_NR 64

typedef struct {
    const char *name; /* "avx512", "avx2", "portable" */
    int mr, nr, vl;
    void (*gemm)(const ExecTile *t);
    /* Pack K rows of nr columns: panel[k * nr + j] = src[off[k] + base[j]]. */
    void (*pack_gather)(const float *src, const ptrdiff_t *off, int64_t K, const int32_t *base, float *panel);
    /* Pack K rows of nr contiguous columns: panel[k * nr + j] = src[off[k] + j]. */
    void (*pack_rows)(const float *src, const ptrdiff_t *off, int64_t K, float *panel);
    /* Split n pairs: even[i] = src[2 i], odd[i] = src[2 i + 1]. */
    void (*deinterleave2)(const float *src, int64_t n, float *even, float *odd);
    void (*wino43_in)(const ExecWinoIn *w);
    /* The blocked direct convolution's tile (ExecBlkTile), of at most blk_cols pixels. */
    int blk_cols;
    void (*conv_blocked)(const ExecBlkTile *t);
    /* Channels into a block: dst[p * VL + c] = src[c * plane + p] for p < n, c < lanes
     * (lanes <= VL; the lanes past it are left as they are). */
    void (*to_blocked)(const float *src, int64_t plane, int lanes, int64_t n, float *dst);
    void (*wino43_out)(const ExecWinoOut *w);
    /* Apply bias + the epilogue to n floats in place. */
    void (*epilogue)(float *x, int64_t n, float bias, const ExecEpi *epi);
    void (*round_f16)(float *x, int64_t n);
    void (*f16_to_f32)(const uint16_t *h, float *f, int64_t n);
    /* float16 storage of n floats, rounded to nearest even (what round_f16 keeps) */
    void (*f32_to_f16)(const float *f, uint16_t *h, int64_t n);
    void (*sigmoid)(const float *x, float *y, int64_t n, bool silu);
    void (*exp)(const float *x, float *y, int64_t n);
} ExecKernels;

typedef enum { EXEC_ISA_PORTABLE, EXEC_ISA_AVX2, EXEC_ISA_AVX512 } ExecIsa;

/* ---- int8 convolutions: u8 activations x s8 weights, int32 sums ---------------------------
 * A panel holds EXEC_MR8 rows of weights in groups of 4 taps: element (k, r) at
 * A[((k / 4) * EXEC_MR8 + r) * 4 + k % 4]; a tile holds EXEC_NR8 columns of activations the
 * same way: (k, j) at B[((k / 4) * EXEC_NR8 + j) * 4 + k % 4] (taps past K are zero weights).
 * The epilogue turns each sum into the quantized output:
 *   y = (sum - zsum[r]) * scale[r] + bias[r], activation, q = round_even(y / y_scale) + y_zp,
 * saturated to [y_lo, y_hi] and stored as one byte (two's complement for signed).  With S
 * set there is no epilogue: the int32 sums themselves go to S (EXEC_NR8 per row; rows x cols
 * of them are defined), for a convolution whose epilogue runs in float (an activation, a
 * FakeQuantize reading it). */
#define EXEC_MR8 8
#define EXEC_NR8 32

typedef struct {
    int64_t Kq;          /* groups of 4 taps */
    const int8_t *A;
    const uint8_t *B;
    uint8_t *C;
    int64_t ldc;
    int rows, cols;
    const int32_t *zsum; /* per row: the input zero point times the row's weight sum */
    const float *scale;  /* per row: input scale times weight scale */
    const float *bias;   /* per row */
    float y_scale;
    int32_t y_zp, y_lo, y_hi;
    bool relu;
    int32_t *S;          /* NULL: requantized bytes into C; else the raw sums here (C unused) */
} ExecTile8;

/* The int8 micro-kernel for isa, limited to what the CPU runs: AVX-512 VNNI (isa AVX512 on
 * a CPU with VNNI), else AVX2 (isa AVX2 or AVX512), else portable C; exact int32 sums and
 * the same bytes on every path.  *name (when name is not NULL) gets a static string:
 * "avx512-vnni", "avx2" or "portable". */
typedef void (*ExecGemm8Fn)(const ExecTile8 *t);
ExecGemm8Fn exec_gemm8(ExecIsa isa, const char **name);

/* The best instruction set this CPU runs (AVX-512 needs F, BW, VL and DQ; AVX2 needs FMA
 * and F16C). */
ExecIsa exec_cpu_isa(void);
/* Whether the CPU has the int8 dot-product instructions (AVX-512 VNNI or AVX-VNNI). */
bool exec_cpu_vnni(void);
/* The table for isa, limited to what the CPU runs. */
const ExecKernels *exec_kernels(ExecIsa isa);

extern const ExecKernels exec_kernels_portable;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define EXEC_HAVE_X86_KERNELS 1
extern const ExecKernels exec_kernels_avx2;
extern const ExecKernels exec_kernels_avx512;
#endif

#endif
