/* Image loading and the peer's letterbox preprocessings.  Expected values for the coco8
 * images (../shared/data/coco8) were computed at development time with OpenCV 4.6
 * (Debian python3-opencv: cv2.imread, cv2.resize INTER_LINEAR, cv2.copyMakeBorder) and
 * the peer's LetterBox code; a hash stands for the whole array: FNV-1a 64 over the RGB
 * bytes (resize) or over round(x * 255) of the NCHW tensor (letterbox).  Our resize and
 * letterbox reproduce them exactly (max |diff| 0 on all 8 coco8 images, square and rect). */
#include <stdio.h> /* before jpeglib.h */
#include <jpeglib.h>
#include <math.h>
#include <png.h>
#include <string.h>

#include "engine/core/image.h"
#include "engine/core/npy.h"
#include "tests/check.h"

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t tensor_hash(const float *t, size_t n)
{
    unsigned char *u = malloc(n);
    for (size_t i = 0; i < n; i++) u[i] = (unsigned char)lrintf(t[i] * 255.0f);
    uint64_t h = fnv1a(u, n);
    free(u);
    return h;
}

static void test_resize_matches_opencv(void)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    static const struct {
        const char *file;
        int w, h;
        uint64_t hash;
        unsigned char first[3], last[3];
    } cases[] = {
        /* exact 2x down: OpenCV switches to INTER_AREA */
        {"data/coco8/images/train/000000000009.jpg", 320, 240, 0xcba5274cf5165d3aull, {0, 19, 112}, {6, 11, 33}},
        {"data/coco8/images/train/000000000009.jpg", 250, 190, 0xa2692fc262f2bfcfull, {0, 19, 113}, {4, 8, 32}},
        {"data/coco8/images/val/000000000049.jpg", 701, 523, 0x56fa55c84254d82aull, {156, 156, 156}, {57, 82, 27}},
        {"data/coco8/images/val/000000000036.jpg", 97, 131, 0x2bd86d86dceb55ffull, {102, 172, 174}, {47, 102, 105}},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        Image im;
        char err[256];
        int rc = image_load(shared_path(cases[i].file), &im, err, sizeof err);
        EXPECT_MSG(rc == 0, "%s", err);
        if (rc) continue;
        size_t n = (size_t)cases[i].w * cases[i].h * 3;
        unsigned char *out = malloc(n);
        image_resize_linear(im.rgb, im.w, im.h, out, cases[i].w, cases[i].h);
        EXPECT_MSG(fnv1a(out, n) == cases[i].hash, "%s to %dx%d: hash %llx", cases[i].file, cases[i].w, cases[i].h,
                   (unsigned long long)fnv1a(out, n));
        EXPECT(!memcmp(out, cases[i].first, 3));
        EXPECT(!memcmp(out + n - 3, cases[i].last, 3));
        free(out);
        image_free(&im);
    }
}

static void test_letterbox_square_and_rect(void)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    Image im;
    char err[256];
    int rc = image_load(shared_path("data/coco8/images/val/000000000049.jpg"), &im, err, sizeof err);
    EXPECT_MSG(rc == 0, "%s", err);
    if (rc) return;
    EXPECT_EQ_INT(im.w, 381);
    EXPECT_EQ_INT(im.h, 500);
    Letterbox lb;
    float *t = image_letterbox(&im, 640, 640, false, 32, true, &lb, err, sizeof err);
    EXPECT(t != NULL);
    /* 381x500 scaled by 1.28 to 488x640, centred: 76 columns of padding each side */
    EXPECT_EQ_INT(lb.net_w, 640);
    EXPECT_EQ_INT(lb.net_h, 640);
    EXPECT_EQ_INT(lb.new_w, 488);
    EXPECT_EQ_INT(lb.left, 76);
    EXPECT_EQ_INT(lb.top, 0);
    if (t) {
        EXPECT_NEAR(t[0], 114.0 / 255.0, 1e-7);
        EXPECT(tensor_hash(t, 3 * 640 * 640) == 0x2a69935c70c756baull);
    }
    free(t);
    /* predict style: 512x640 (488 + 24 rounded up to a multiple of 32), 12 columns each side */
    t = image_letterbox(&im, 640, 640, true, 32, true, &lb, err, sizeof err);
    EXPECT_EQ_INT(lb.net_w, 512);
    EXPECT_EQ_INT(lb.net_h, 640);
    EXPECT_EQ_INT(lb.left, 12);
    if (t) EXPECT(tensor_hash(t, 3 * 640 * 512) == 0x80721ddb60f2b33aull);
    free(t);
    image_free(&im);
}

/* The peer's own inputs, when its images are present (../shared/data/images). */
static void peer_input(const char *image, const char *npy)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    Image im;
    char err[256];
    if (!file_exists(shared_path(image))) {
        SKIP("%s is not in ../shared", image);
        return;
    }
    EXPECT_MSG(image_load(shared_path(image), &im, err, sizeof err) == 0, "%s", err);
    NpyArray ref;
    EXPECT_MSG(npy_read(shared_path(npy), 0, &ref, err, sizeof err) == 0, "%s", err);
    Letterbox lb;
    float *t = image_letterbox(&im, 640, 640, false, 32, true, &lb, err, sizeof err);
    double m = 0, sum = 0;
    if (t && ref.numel == 3 * 640 * 640)
        for (int64_t i = 0; i < ref.numel; i++) {
            double d = fabs((double)t[i] - ((float *)ref.data)[i]);
            m = fmax(m, d);
            sum += d;
        }
    double mean_levels = ref.numel ? sum / (double)ref.numel * 255 : 0;
    printf("# %s letterboxed vs %s: max |diff| %.3g (%.2f/255), mean %.3f/255\n", image, npy, m, m * 255, mean_levels);
    EXPECT(ref.numel == 3 * 640 * 640);
    if (mean_levels > 0.25) {
        /* Decoders differ by a level on a few pixels, never on average: this JPEG is another
         * encoding of the picture the peer's input was made from.  Still the same picture
         * (a wrong resize or offset gives tens of levels on average), but exactness cannot
         * be checked with it; bus.jpg checks it. */
        EXPECT_MSG(mean_levels <= 3, "mean |diff| %.2f levels: not the peer's picture", mean_levels);
        SKIP("../shared/%s is another encoding of the image the peer's input came from (mean |diff| %.2f levels): "
             "exact letterbox not checkable with it", image, mean_levels);
    } else {
        /* JPEG decoders may differ by a level on a few pixels; the resize itself is exact */
        EXPECT_MSG(m <= 1.0 / 255 + 1e-7, "max |diff| %g", m);
    }
    free(t);
    npy_free(&ref);
    image_free(&im);
}

static void test_peer_bus_input(void) { peer_input("data/images/bus.jpg", "reference/peer/yolov8n.input.npy"); }
static void test_peer_zidane_input(void) { peer_input("data/images/zidane.jpg", "reference/peer/yolo11n-seg.input.npy"); }

/* A JPEG made here: 16x8, left 8x8 block red, right block blue, 4:4:4 at quality 100, with
 * an EXIF orientation tag when orient > 0. */
static unsigned char *make_jpeg(int orient, unsigned long *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr je;
    c.err = jpeg_std_error(&je);
    jpeg_create_compress(&c);
    unsigned char *buf = NULL;
    jpeg_mem_dest(&c, &buf, len);
    c.image_width = 16;
    c.image_height = 8;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    for (int i = 0; i < c.num_components; i++) c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    jpeg_start_compress(&c, TRUE);
    if (orient) {
        /* "Exif\0\0" + TIFF little-endian header + IFD0 with one SHORT entry 0x0112 */
        unsigned char exif[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                                0x12, 0x01, 3, 0, 1, 0, 0, 0, (unsigned char)orient, 0, 0, 0, 0, 0, 0, 0};
        jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof exif);
    }
    unsigned char row[16 * 3];
    for (int x = 0; x < 16; x++) {
        row[3 * x] = x < 8 ? 220 : 20;
        row[3 * x + 1] = 30;
        row[3 * x + 2] = x < 8 ? 20 : 220;
    }
    while (c.next_scanline < 8) {
        JSAMPROW rp = row;
        jpeg_write_scanlines(&c, &rp, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return buf;
}

static bool is_red(const unsigned char *p) { return p[0] > 200 && p[2] < 40; }
static bool is_blue(const unsigned char *p) { return p[2] > 200 && p[0] < 40; }

static void test_jpeg_and_exif_orientation(void)
{
    unsigned long len;
    unsigned char *j = make_jpeg(0, &len);
    Image im;
    char err[256];
    EXPECT_MSG(image_decode(j, len, &im, err, sizeof err) == 0, "%s", err);
    EXPECT(im.w == 16 && im.h == 8);
    if (im.rgb) EXPECT(is_red(im.rgb + (4 * 16 + 2) * 3) && is_blue(im.rgb + (4 * 16 + 13) * 3));
    image_free(&im);
    free(j);
    /* orientation 6 (rotate 90 clockwise): 8x16, red block on top, blue below */
    j = make_jpeg(6, &len);
    EXPECT_MSG(image_decode(j, len, &im, err, sizeof err) == 0, "%s", err);
    EXPECT(im.w == 8 && im.h == 16);
    if (im.rgb && im.w == 8) EXPECT(is_red(im.rgb + (2 * 8 + 4) * 3) && is_blue(im.rgb + (13 * 8 + 4) * 3));
    image_free(&im);
    /* a truncated file: a message, no crash */
    EXPECT(image_decode(j, len / 3, &im, err, sizeof err) == -1 || (image_free(&im), 1));
    free(j);
    EXPECT(image_decode("GIF89a....", 10, &im, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "not a JPEG or PNG");
}

/* A 16-bit grey + alpha PNG written with libpng: decodes to RGB, grey replicated, the high
 * byte kept, alpha dropped (as cv2.imread with IMREAD_COLOR). */
static void test_png_gray16_alpha(void)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = 3;
    pi.height = 2;
    pi.format = PNG_FORMAT_LINEAR_Y_ALPHA;
    uint16_t px[12] = {0x1234, 0xffff, 0xab00, 0x8000, 0xffff, 0x0000, 0, 0xffff, 0x7f7f, 0xffff, 0x00ff, 0xffff};
    png_alloc_size_t sz = 0;
    EXPECT(png_image_write_to_memory(&pi, NULL, &sz, 0, px, 0, NULL));
    unsigned char *buf = malloc(sz);
    EXPECT(png_image_write_to_memory(&pi, buf, &sz, 0, px, 0, NULL));
    Image im;
    char err[256];
    EXPECT_MSG(image_decode(buf, sz, &im, err, sizeof err) == 0, "%s", err);
    EXPECT(im.w == 3 && im.h == 2);
    /* the simplified writer stores linear values as sRGB-encoded 16-bit grey; whatever the
     * encoding, R == G == B for every pixel and pure black/white survive */
    for (int i = 0; im.rgb && i < 6; i++) EXPECT(im.rgb[3 * i] == im.rgb[3 * i + 1] && im.rgb[3 * i + 1] == im.rgb[3 * i + 2]);
    if (im.rgb) EXPECT(im.rgb[2 * 3] == 255 && im.rgb[3 * 3] == 0);
    image_free(&im);
    EXPECT(image_decode(buf, sz / 2, &im, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "PNG");
    free(buf);
}

/* Mutated files (random bytes overwritten, random truncation) decode or fail with a
 * message, never crash (run under ASan/UBSan); EXIF blocks included. */
static void test_mutated_files(void)
{
    unsigned long jlen;
    unsigned char *jpeg = make_jpeg(6, &jlen);
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    pi.width = 5;
    pi.height = 4;
    pi.format = PNG_FORMAT_RGBA;
    unsigned char px[5 * 4 * 4];
    for (size_t i = 0; i < sizeof px; i++) px[i] = (unsigned char)(i * 37);
    png_alloc_size_t plen = 0;
    png_image_write_to_memory(&pi, NULL, &plen, 0, px, 0, NULL);
    unsigned char *png = malloc(plen);
    png_image_write_to_memory(&pi, png, &plen, 0, px, 0, NULL);
    uint64_t r = 88172645463325252ull;
    int ok = 0, failed = 0;
    for (int iter = 0; iter < 3000; iter++) {
        bool use_png = iter % 2;
        size_t len = use_png ? plen : jlen;
        unsigned char *buf = malloc(len);
        memcpy(buf, use_png ? png : jpeg, len);
        int flips = 1 + (int)(r % 4);
        for (int k = 0; k < flips; k++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            buf[r % len] = (unsigned char)(r >> 32);
        }
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        if (r % 4 == 0) len = (size_t)(r >> 40) % len;
        Image im;
        char err[256];
        if (image_decode(buf, len, &im, err, sizeof err) == 0) {
            ok++;
            EXPECT(im.w > 0 && im.h > 0 && im.rgb != NULL);
            image_free(&im);
        } else {
            failed++;
            EXPECT(err[0] != 0);
        }
        free(buf);
    }
    printf("# mutated images: %d decoded, %d refused\n", ok, failed);
    EXPECT(ok > 0 && failed > 0);
    free(jpeg);
    free(png);
}

int main(void)
{
    RUN(test_mutated_files);
    RUN(test_resize_matches_opencv);
    RUN(test_letterbox_square_and_rect);
    RUN(test_peer_bus_input);
    RUN(test_peer_zidane_input);
    RUN(test_jpeg_and_exif_orientation);
    RUN(test_png_gray16_alpha);
    return check_done();
}
