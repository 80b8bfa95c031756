/* exec_nn: kernels for the neural-network ops the newer model families need beyond the
 * convolutional core: GridSample (RT-DETR's deformable attention samples its value maps at
 * predicted points). */
#include "engine/exec/exec_impl.h"

#include <math.h>
#include <string.h>

/* GridSample (ONNX opset 16, torch.nn.functional.grid_sample): X [N, C, H, W] sampled at
 * grid [N, Ho, Wo, 2] (x then y, -1..1 across the input) -> [N, C, Ho, Wo].  Bilinear or
 * nearest, zeros or border padding, align_corners 0 or 1, the source pixel of a grid value g
 * being (g + 1) * size / 2 - 0.5 without align_corners, (g + 1) * (size - 1) / 2 with it. */
int exec_op_grid_sample(Exec *e, const Node *n, Value **in, int nin, Value **out, int nout, char *err, size_t errlen)
{
    NEED_IN(0); NEED_IN(1); NEED_OUT(0);
    Value *x = in[0], *grid = in[1];
    if (x->type != VT_F32 || grid->type != VT_F32) return err_set(err, errlen, "X and grid must be float");
    if (x->rank != 4 || grid->rank != 4 || grid->dims[3] != 2 || grid->dims[0] != x->dims[0])
        return err_set(err, errlen, "X must be [N, C, H, W] and grid [N, Ho, Wo, 2]");
    const char *mode = node_attr_str(n, "mode", "bilinear"), *pad = node_attr_str(n, "padding_mode", "zeros");
    bool bilinear = !strcmp(mode, "bilinear") || !strcmp(mode, "linear");
    if (!bilinear && strcmp(mode, "nearest")) return err_set(err, errlen, "mode '%s' is not supported", mode);
    bool border = !strcmp(pad, "border");
    if (!border && strcmp(pad, "zeros")) return err_set(err, errlen, "padding_mode '%s' is not supported", pad);
    bool align = node_attr_int(n, "align_corners", 0) != 0;
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3], Ho = grid->dims[1], Wo = grid->dims[2];
    int64_t od[4] = {N, C, Ho, Wo};
    if (value_alloc(e, out[0], VT_F32, 4, od, err, errlen)) return -1;
    const float *X = vf(x), *G = vf(grid);
    float *Y = vf(out[0]);
    for (int64_t b = 0; b < N; b++)
        for (int64_t p = 0; p < Ho * Wo; p++) {
            float gx = G[(b * Ho * Wo + p) * 2], gy = G[(b * Ho * Wo + p) * 2 + 1];
            /* as torch's CPU kernel rounds it: (g + 1) * (size / 2) - 0.5 */
            float ix = align ? (gx + 1) * ((float)(W - 1) / 2) : (gx + 1) * ((float)W / 2) - 0.5f;
            float iy = align ? (gy + 1) * ((float)(H - 1) / 2) : (gy + 1) * ((float)H / 2) - 0.5f;
            if (border) {
                ix = ix < 0 ? 0 : ix > (float)(W - 1) ? (float)(W - 1) : ix;
                iy = iy < 0 ? 0 : iy > (float)(H - 1) ? (float)(H - 1) : iy;
            }
            const float *xb = X + b * C * H * W;
            float *yb = Y + b * C * Ho * Wo + p;
            if (!bilinear) {
                int64_t cx = (int64_t)nearbyintf(ix), cy = (int64_t)nearbyintf(iy);
                bool inside = ix == ix && iy == iy && cx >= 0 && cx < W && cy >= 0 && cy < H;
                for (int64_t c = 0; c < C; c++) yb[c * Ho * Wo] = inside ? xb[(c * H + cy) * W + cx] : 0.f;
                continue;
            }
            float fx = floorf(ix), fy = floorf(iy);
            int64_t x0 = (int64_t)fx, y0 = (int64_t)fy, x1 = x0 + 1, y1 = y0 + 1;
            float wx1 = ix - fx, wx0 = 1 - wx1, wy1 = iy - fy, wy0 = 1 - wy1; /* torch: w, e, n, s */
            /* corners outside the input count as zeros (border: clamped above) */
            bool ok = ix == ix && iy == iy && fabsf(ix) < 1e9f && fabsf(iy) < 1e9f;
            bool in00 = ok && x0 >= 0 && x0 < W && y0 >= 0 && y0 < H, in01 = ok && x1 >= 0 && x1 < W && y0 >= 0 && y0 < H;
            bool in10 = ok && x0 >= 0 && x0 < W && y1 >= 0 && y1 < H, in11 = ok && x1 >= 0 && x1 < W && y1 >= 0 && y1 < H;
            float w00 = wy0 * wx0, w01 = wy0 * wx1, w10 = wy1 * wx0, w11 = wy1 * wx1;
            for (int64_t c = 0; c < C; c++) {
                const float *xc = xb + c * H * W;
                float v = 0;
                if (in00) v += xc[y0 * W + x0] * w00;
                if (in01) v += xc[y0 * W + x1] * w01;
                if (in10) v += xc[y1 * W + x0] * w10;
                if (in11) v += xc[y1 * W + x1] * w11;
                yb[c * Ho * Wo] = v;
            }
        }
    return 0;
}
