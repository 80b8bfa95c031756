/* image: JPEG/PNG decoding (libjpeg-turbo, libpng) into RGB, EXIF orientation, an
 * OpenCV-exact bilinear resize and the peer's letterbox preprocessings (see image.h). */
#include "engine/core/image.h"

#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <jerror.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"

static bool dims_ok(long w, long h)
{
    return w > 0 && h > 0 && w <= 1 << 20 && h <= 1 << 20 && (int64_t)w * h <= IMAGE_MAX_PIXELS;
}

/* ---- JPEG -------------------------------------------------------------------------- */

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} JpegErr;

static void jpeg_error_exit_cb(j_common_ptr cinfo)
{
    JpegErr *je = (JpegErr *)cinfo->err;
    je->pub.format_message(cinfo, je->msg);
    longjmp(je->jump, 1);
}

/* Messages stay quiet; a warning that the data ended early (a truncated file, which libjpeg
 * would fill with grey) is remembered so that the decode fails instead. */
static void jpeg_quiet_cb(j_common_ptr cinfo, int level)
{
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) cinfo->err->num_warnings++;
}

static unsigned exif_u16(const unsigned char *p, bool le) { return le ? p[0] | p[1] << 8 : p[0] << 8 | p[1]; }
static uint32_t exif_u32(const unsigned char *p, bool le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
              : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* The EXIF orientation tag (1..8) of an APP1 payload, 1 when absent or malformed. */
static int exif_orientation(const unsigned char *d, size_t len)
{
    if (len < 14 || memcmp(d, "Exif\0\0", 6)) return 1;
    const unsigned char *t = d + 6;
    size_t tl = len - 6;
    bool le;
    if (!memcmp(t, "II", 2)) le = true;
    else if (!memcmp(t, "MM", 2)) le = false;
    else return 1;
    if (exif_u16(t + 2, le) != 42) return 1;
    uint32_t ifd = exif_u32(t + 4, le);
    if (ifd > tl || tl - ifd < 2) return 1;
    unsigned n = exif_u16(t + ifd, le);
    for (unsigned i = 0; i < n; i++) {
        size_t e = ifd + 2 + (size_t)i * 12;
        if (e + 12 > tl) return 1;
        if (exif_u16(t + e, le) == 0x0112 && exif_u16(t + e + 2, le) == 3) {
            unsigned o = exif_u16(t + e + 8, le);
            return o >= 1 && o <= 8 ? (int)o : 1;
        }
    }
    return 1;
}

/* Apply an EXIF orientation the way OpenCV's ExifTransform does. */
static void apply_orientation(Image *im, int o)
{
    if (o <= 1 || o > 8) return;
    int w = im->w, h = im->h;
    unsigned char *src = im->rgb;
    if (o >= 5) { /* transpose first */
        unsigned char *t = xmalloc((size_t)w * h * 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) memcpy(t + ((size_t)x * h + y) * 3, src + ((size_t)y * w + x) * 3, 3);
        free(src);
        src = t;
        int tmp = w;
        w = h;
        h = tmp;
    }
    /* then: 2,6 flip horizontally; 3,7 both; 4,8 vertically */
    bool fh = o == 2 || o == 6 || o == 3 || o == 7, fv = o == 4 || o == 8 || o == 3 || o == 7;
    if (fh)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w / 2; x++) {
                unsigned char *a = src + ((size_t)y * w + x) * 3, *b = src + ((size_t)y * w + (w - 1 - x)) * 3, c[3];
                memcpy(c, a, 3);
                memcpy(a, b, 3);
                memcpy(b, c, 3);
            }
    if (fv) {
        unsigned char *row = xmalloc((size_t)w * 3);
        for (int y = 0; y < h / 2; y++) {
            unsigned char *a = src + (size_t)y * w * 3, *b = src + (size_t)(h - 1 - y) * w * 3;
            memcpy(row, a, (size_t)w * 3);
            memcpy(a, b, (size_t)w * 3);
            memcpy(b, row, (size_t)w * 3);
        }
        free(row);
    }
    im->rgb = src;
    im->w = w;
    im->h = h;
}

static int decode_jpeg(const unsigned char *buf, size_t len, Image *out, char *err, size_t errlen)
{
    struct jpeg_decompress_struct cinfo;
    JpegErr je;
    unsigned char *volatile pix = NULL;
    cinfo.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jpeg_error_exit_cb;
    je.pub.emit_message = jpeg_quiet_cb;
    if (setjmp(je.jump)) {
        free(pix);
        jpeg_destroy_decompress(&cinfo);
        return err_set(err, errlen, "bad JPEG: %s", je.msg);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, buf, (unsigned long)len);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&cinfo, TRUE);
    if (!dims_ok((long)cinfo.image_width, (long)cinfo.image_height)) {
        jpeg_destroy_decompress(&cinfo);
        return err_set(err, errlen, "JPEG size %ux%u is out of range", cinfo.image_width, cinfo.image_height);
    }
    int orientation = 1;
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1) orientation = exif_orientation(m->data, m->data_length);
    bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height, nc = cinfo.output_components;
    if ((cmyk && nc != 4) || (!cmyk && nc != 3)) longjmp(je.jump, 1);
    pix = xmalloc((size_t)w * h * 3);
    unsigned char *row = xmalloc((size_t)w * 4);
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned y = cinfo.output_scanline;
        JSAMPROW rp = row;
        jpeg_read_scanlines(&cinfo, &rp, 1);
        unsigned char *d = pix + (size_t)y * w * 3;
        if (!cmyk) memcpy(d, row, (size_t)w * 3);
        else
            for (int x = 0; x < w; x++) { /* OpenCV's inverted-CMYK conversion */
                int c = row[4 * x], m = row[4 * x + 1], yy = row[4 * x + 2], k = row[4 * x + 3];
                d[3 * x] = (unsigned char)(k - ((255 - c) * k >> 8));
                d[3 * x + 1] = (unsigned char)(k - ((255 - m) * k >> 8));
                d[3 * x + 2] = (unsigned char)(k - ((255 - yy) * k >> 8));
            }
    }
    free(row);
    if (je.pub.num_warnings > 0) {
        free(pix);
        jpeg_destroy_decompress(&cinfo);
        return err_set(err, errlen, "truncated JPEG: the data ends before the image does");
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    out->w = w;
    out->h = h;
    out->rgb = pix;
    apply_orientation(out, orientation);
    return 0;
}

/* ---- PNG --------------------------------------------------------------------------- */

typedef struct {
    const unsigned char *p;
    size_t len, off;
} PngSrc;

static void png_read_cb(png_structp png, png_bytep dst, png_size_t n)
{
    PngSrc *s = png_get_io_ptr(png);
    if (n > s->len - s->off) png_error(png, "truncated file");
    memcpy(dst, s->p + s->off, n);
    s->off += n;
}

static void png_error_cb(png_structp png, png_const_charp msg)
{
    char *buf = png_get_error_ptr(png);
    snprintf(buf, 200, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn_cb(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static int decode_png(const unsigned char *buf, size_t len, Image *out, char *err, size_t errlen)
{
    char msg[200] = "error";
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, msg, png_error_cb, png_warn_cb);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return err_set(err, errlen, "out of memory");
    }
    unsigned char *volatile pix = NULL;
    png_bytep *volatile rows = NULL;
    PngSrc src = {buf, len, 0};
    if (setjmp(png_jmpbuf(png))) {
        free(pix);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return err_set(err, errlen, "bad PNG: %s", msg);
    }
    png_set_read_fn(png, &src, png_read_cb);
    png_set_user_limits(png, 1 << 20, 1 << 20);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (!dims_ok((long)w, (long)h)) png_error(png, "image size out of range");
    int ct = png_get_color_type(png, info), bd = png_get_bit_depth(png, info);
    /* as OpenCV's PngDecoder for IMREAD_COLOR: 8-bit, alpha dropped, gray replicated */
    if (ct & PNG_COLOR_MASK_PALETTE) png_set_palette_to_rgb(png);
    if (!(ct & PNG_COLOR_MASK_COLOR) && bd < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (!(ct & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
    if (bd == 16) png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != 3 || png_get_rowbytes(png, info) != (size_t)w * 3)
        png_error(png, "unexpected pixel layout");
    pix = xmalloc((size_t)w * h * 3);
    rows = xmalloc(sizeof(png_bytep) * h);
    for (png_uint_32 y = 0; y < h; y++) rows[y] = pix + (size_t)y * w * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->w = (int)w;
    out->h = (int)h;
    out->rgb = pix;
    return 0;
}

int image_decode(const void *buf, size_t len, Image *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const unsigned char *b = buf;
    if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) return decode_jpeg(b, len, out, err, errlen);
    if (len >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return decode_png(b, len, out, err, errlen);
    return err_set(err, errlen, "not a JPEG or PNG image");
}

int image_load(const char *path, Image *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *buf = file_read_all(path, (size_t)256 << 20, &len, err, errlen);
    if (!buf) return -1;
    char msg[256];
    int rc = image_decode(buf, len, out, msg, sizeof msg);
    free(buf);
    if (rc) return err_set(err, errlen, "%s: %s", path, msg);
    return 0;
}

void image_free(Image *im)
{
    if (!im) return;
    free(im->rgb);
    im->rgb = NULL;
    im->w = im->h = 0;
}

/* ---- resize (OpenCV INTER_LINEAR, 8-bit) ------------------------------------------ */

#define COEF_BITS 11
#define COEF_SCALE (1 << COEF_BITS)

/* Source index and fixed-point weights per destination index, as cv::resize computes them:
 * columns are clamped to the image (weight moved to the edge pixel); rows are not (the
 * row indices are clamped when read, so an edge row is blended with itself). */
static void linear_table(int slen, int dlen, bool clamp, int *ofs, short *alpha)
{
    double scale = 1.0 / ((double)dlen / slen);
    for (int d = 0; d < dlen; d++) {
        float f = (float)((d + 0.5) * scale - 0.5);
        int s = (int)floorf(f);
        f -= (float)s;
        if (clamp && s < 0) f = 0, s = 0;
        if (clamp && s >= slen - 1) f = 0, s = slen - 1;
        ofs[d] = s;
        alpha[2 * d] = (short)lrintf((1.f - f) * COEF_SCALE);
        alpha[2 * d + 1] = (short)lrintf(f * COEF_SCALE);
    }
}

/* OpenCV's fast path for an exact 2x downscale (INTER_LINEAR becomes INTER_AREA). */
static void resize_area_2x(const unsigned char *src, int sw, unsigned char *dst, int dw, int dh)
{
    for (int y = 0; y < dh; y++) {
        const unsigned char *s0 = src + (size_t)(2 * y) * sw * 3, *s1 = s0 + (size_t)sw * 3;
        unsigned char *d = dst + (size_t)y * dw * 3;
        for (int x = 0; x < dw; x++)
            for (int c = 0; c < 3; c++) {
                int i = 6 * x + c;
                d[3 * x + c] = (unsigned char)((s0[i] + s0[i + 3] + s1[i] + s1[i + 3] + 2) >> 2);
            }
    }
}

void image_resize_linear(const unsigned char *src, int sw, int sh, unsigned char *dst, int dw, int dh)
{
    if (sw == dw && sh == dh) {
        memcpy(dst, src, (size_t)sw * sh * 3);
        return;
    }
    if (sw == 2 * dw && sh == 2 * dh) {
        resize_area_2x(src, sw, dst, dw, dh);
        return;
    }
    int *xo = xmalloc(sizeof(int) * (size_t)dw), *yo = xmalloc(sizeof(int) * (size_t)dh);
    short *xa = xmalloc(sizeof(short) * 2 * (size_t)dw), *ya = xmalloc(sizeof(short) * 2 * (size_t)dh);
    linear_table(sw, dw, true, xo, xa);
    linear_table(sh, dh, false, yo, ya);
    size_t rw = (size_t)dw * 3;
    int *r0 = xmalloc(sizeof(int) * rw), *r1 = xmalloc(sizeof(int) * rw);
    int have0 = -1, have1 = -1;
    for (int y = 0; y < dh; y++) {
        int sy0 = yo[y] < 0 ? 0 : yo[y] >= sh ? sh - 1 : yo[y];
        int sy1 = yo[y] + 1 < 0 ? 0 : yo[y] + 1 >= sh ? sh - 1 : yo[y] + 1;
        /* horizontal pass into int rows (exact integer arithmetic), cached across dst rows */
        int want[2] = {sy0, sy1};
        int *rows[2] = {r0, r1};
        int *have[2] = {&have0, &have1};
        if (have1 == sy0 && have0 != sy0) { /* slide the window */
            int *t = r0;
            r0 = r1;
            r1 = t;
            have0 = have1;
            have1 = -1;
            rows[0] = r0;
            rows[1] = r1;
        }
        for (int k = 0; k < 2; k++) {
            if (*have[k] == want[k]) continue;
            const unsigned char *s = src + (size_t)want[k] * sw * 3;
            int *d = rows[k];
            for (int x = 0; x < dw; x++) {
                int sx = xo[x] * 3, a0 = xa[2 * x], a1 = xa[2 * x + 1];
                int sx1 = xo[x] + 1 < sw ? sx + 3 : sx;
                for (int c = 0; c < 3; c++) d[3 * x + c] = s[sx + c] * a0 + s[sx1 + c] * a1;
            }
            *have[k] = want[k];
        }
        /* vertical pass with the rounding of OpenCV's vector code, (S>>4)*b >> 16 per row then
         * (+2) >> 2 (its scalar formula rounds differently; checked: the vector one matches
         * cv2.resize on every pixel, tails included) */
        int b0 = ya[2 * y], b1 = ya[2 * y + 1];
        unsigned char *d = dst + (size_t)y * rw;
        for (size_t i = 0; i < rw; i++) {
            int v = ((((r0[i] >> 4) * b0) >> 16) + (((r1[i] >> 4) * b1) >> 16) + 2) >> 2;
            d[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    free(xo);
    free(yo);
    free(xa);
    free(ya);
    free(r0);
    free(r1);
}

/* ---- letterbox --------------------------------------------------------------------- */

float *image_letterbox(const Image *im, int new_h, int new_w, bool rect, int stride, bool scaleup, Letterbox *lb,
                       char *err, size_t errlen)
{
    if (!im || !im->rgb || !dims_ok(im->w, im->h)) {
        err_set(err, errlen, "no image");
        return NULL;
    }
    if (new_h < 1 || new_w < 1 || new_h > 16384 || new_w > 16384 || (rect && (stride < 1 || stride > 4096))) {
        err_set(err, errlen, "network size %dx%d (stride %d) is out of range", new_w, new_h, stride);
        return NULL;
    }
    /* the peer's LetterBox.__call__, in the same double arithmetic */
    double r = fmin((double)new_h / im->h, (double)new_w / im->w);
    if (!scaleup) r = fmin(r, 1.0);
    int uw = (int)nearbyint(im->w * r), uh = (int)nearbyint(im->h * r);
    if (uw < 1) uw = 1;
    if (uh < 1) uh = 1;
    double dw = new_w - uw, dh = new_h - uh;
    if (rect) {
        dw = fmod(dw, stride);
        dh = fmod(dh, stride);
    }
    dw /= 2;
    dh /= 2;
    int top = (int)nearbyint(dh - 0.1), bottom = (int)nearbyint(dh + 0.1);
    int left = (int)nearbyint(dw - 0.1), right = (int)nearbyint(dw + 0.1);
    int H = uh + top + bottom, W = uw + left + right;
    unsigned char *scaled = xmalloc((size_t)uw * uh * 3);
    image_resize_linear(im->rgb, im->w, im->h, scaled, uw, uh);
    size_t plane = (size_t)H * W;
    float *t = xmalloc(plane * 3 * sizeof(float));
    const float pad = 114.0f / 255.0f;
    for (size_t i = 0; i < plane * 3; i++) t[i] = pad;
    for (int y = 0; y < uh; y++)
        for (int x = 0; x < uw; x++) {
            const unsigned char *p = scaled + ((size_t)y * uw + x) * 3;
            size_t o = (size_t)(y + top) * W + (size_t)(x + left);
            for (int c = 0; c < 3; c++) t[c * plane + o] = (float)p[c] / 255.0f;
        }
    free(scaled);
    if (lb) {
        lb->src_w = im->w;
        lb->src_h = im->h;
        lb->net_w = W;
        lb->net_h = H;
        lb->new_w = uw;
        lb->new_h = uh;
        lb->left = left;
        lb->top = top;
        lb->ratio = r;
    }
    return t;
}
