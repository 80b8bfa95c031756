/* image: loading JPEG/PNG files into 8-bit RGB and the peer's two letterbox
 * preprocessings, reproduced pixel for pixel:
 *   - export/val style: a square (new_h x new_w) canvas, the image scaled to fit and centred,
 *     pad 114 (LetterBox(auto=False));
 *   - predict style: the smallest rectangle holding the scaled image whose sides are
 *     multiples of the stride (LetterBox(auto=True, stride=32)).
 * Resizing follows OpenCV's cv2.resize INTER_LINEAR for 8-bit images bit for bit: the same
 * fixed-point coefficients (11 bits) and rounding, and its exact-2x-downscale shortcut to
 * INTER_AREA.  Decoding uses libjpeg(-turbo) and libpng, as OpenCV does.  Images are RGB in
 * memory; the peer's BGR->RGB swap is therefore already done.
 * Every size in a file is checked; images over IMAGE_MAX_PIXELS are refused. */
#ifndef YOLOPORT_IMAGE_H
#define YOLOPORT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAGE_MAX_PIXELS (1 << 26) /* 67 Mpx: a few bytes of header must not cost gigabytes */

typedef struct {
    int w, h;
    unsigned char *rgb; /* h * w * 3 bytes, row-major, heap */
} Image;

/* Decode a JPEG or PNG image held in memory (the format is sniffed from its first bytes).
 * JPEG EXIF orientation is applied, as cv2.imread does.  0, or -1 + message. */
int image_decode(const void *buf, size_t len, Image *out, char *err, size_t errlen);
/* Load a file (at most 256 MiB).  0, or -1 + message naming the file. */
int image_load(const char *path, Image *out, char *err, size_t errlen);
void image_free(Image *im);

/* 8-bit resize exactly like cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR).
 * dst must hold dh*dw*3 bytes. */
void image_resize_linear(const unsigned char *src, int sw, int sh, unsigned char *dst, int dw, int dh);

/* How an image was placed on the network input (to undo it for boxes). */
typedef struct {
    int src_w, src_h;     /* original image */
    int net_w, net_h;     /* network input */
    int new_w, new_h;     /* scaled image size inside it */
    int left, top;        /* padding before the scaled image */
    double ratio;         /* scale factor applied */
} Letterbox;

/* Letterbox im for a network input of new_h x new_w (rect = false) or the predict-style
 * minimal rectangle fitting in new_h x new_w with sides a multiple of stride (rect = true).
 * scaleup = false only shrinks.  Returns a heap float32 NCHW tensor [1, 3, H, W] (RGB,
 * values / 255) and fills *lb (H = lb->net_h, W = lb->net_w); NULL + message on bad sizes. */
float *image_letterbox(const Image *im, int new_h, int new_w, bool rect, int stride, bool scaleup, Letterbox *lb,
                       char *err, size_t errlen);

#endif
