/* annotate: results drawn onto an image, and saving it (see annotate.h). */
#include "engine/predict/annotate.h"

#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"

/* The peer's palette (ultralytics.utils.plotting.Colors), class c -> entry c % 20. */
static const uint32_t palette[20] = {0xFF3838, 0xFF9D97, 0xFF701F, 0xFFB21D, 0xCFD231, 0x48F90A, 0x92CC17,
                                     0x3DDB86, 0x1A9334, 0x00D4BB, 0x2C99A8, 0x00C2FF, 0x344593, 0x6473FF,
                                     0x0018EC, 0x8438FF, 0x520085, 0xCB38FF, 0xFF95C8, 0xFF37C7};

void annotate_class_color(int c, unsigned char rgb[3])
{
    uint32_t v = palette[(c < 0 ? 0 : c) % 20];
    rgb[0] = (unsigned char)(v >> 16), rgb[1] = (unsigned char)(v >> 8), rgb[2] = (unsigned char)v;
}

/* ---- a 5x7 font: each glyph 7 rows of 5 columns, '#' set ------------------------------- */

static const struct {
    char c;
    const char *rows;
} glyphs[] = {
    {'a', "...........###.....#.#####...#.####"},
    {'b', "#....#....#.##.##..##...##...#####."},
    {'c', "...........###.#....#....#...#.###."},
    {'d', "....#....#.##.##..###...##...#.####"},
    {'e', "...........###.#...#######.....###."},
    {'f', "..##..#..#.#...###...#....#....#..."},
    {'g', "......#####...##...#.####....#.###."},
    {'h', "#....#....#.##.##..##...##...##...#"},
    {'i', "..#........##....#....#....#...###."},
    {'j', "...#........##....#....#.#..#..##.."},
    {'k', "#....#....#..#.#.#..##...#.#..#..#."},
    {'l', ".##....#....#....#....#....#...###."},
    {'m', "..........##.#.#.#.##.#.##...##...#"},
    {'n', "..........#.##.##..##...##...##...#"},
    {'o', "...........###.#...##...##...#.###."},
    {'p', "..........####.#...#####.#....#...."},
    {'q', "...........##.##..##.####....#....#"},
    {'r', "..........#.##.##..##....#....#...."},
    {'s', "...........###.#.....###.....#####."},
    {'t', ".#....#...###...#....#....#..#..##."},
    {'u', "..........#...##...##...##..##.##.#"},
    {'v', "..........#...##...##...#.#.#...#.."},
    {'w', "..........#...##...##.#.##.#.#.#.#."},
    {'x', "..........#...#.#.#...#...#.#.#...#"},
    {'y', "..........#...##...#.####....#.###."},
    {'z', "..........#####...#...#...#...#####"},
    {'0', ".###.#...##..###.#.###..##...#.###."},
    {'1', "..#...##....#....#....#....#...###."},
    {'2', ".###.#...#....#...#...#...#...#####"},
    {'3', "#####...#...#.....#.....##...#.###."},
    {'4', "...#...##..#.#.#..#.#####...#....#."},
    {'5', "######....####.....#....##...#.###."},
    {'6', "..##..#...#....####.#...##...#.###."},
    {'7', "#####....#...#...#...#....#....#..."},
    {'8', ".###.#...##...#.###.#...##...#.###."},
    {'9', ".###.#...##...#.####....#...#..##.."},
    {'.', ".........................##...##..."},
    {'-', "...............#####..............."},
    {'_', "..............................#####"},
    {':', ".....##...##.........##...##......."},
    {'%', "##...##..#...#...#...#...#..##...##"},
    {'(', "...#...#...#....#....#.....#.....#."},
    {')', ".#.....#.....#....#....#...#...#..."},
    {' ', "..................................."},
    {'?', ".###.#...#....#...#...#.........#.."},
};

static const char *glyph(char c)
{
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    for (size_t i = 0; i < ARRAY_LEN(glyphs); i++)
        if (glyphs[i].c == c) return glyphs[i].rows;
    return glyph('?');
}

/* ---- drawing primitives ------------------------------------------------------------------ */

static void put(Image *im, int x, int y, const unsigned char c[3])
{
    if (x < 0 || y < 0 || x >= im->w || y >= im->h) return;
    unsigned char *p = im->rgb + ((size_t)y * im->w + x) * 3;
    p[0] = c[0], p[1] = c[1], p[2] = c[2];
}

static void fill_rect(Image *im, int x0, int y0, int x1, int y1, const unsigned char c[3])
{
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > im->w) x1 = im->w;
    if (y1 > im->h) y1 = im->h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) put(im, x, y, c);
}

static void thick_line(Image *im, float ax, float ay, float bx, float by, int lw, const unsigned char c[3])
{
    float dx = bx - ax, dy = by - ay;
    int steps = (int)ceilf(fmaxf(fabsf(dx), fabsf(dy)));
    if (steps > 1 << 16) steps = 1 << 16;
    int r0 = -(lw - 1) / 2, r1 = lw / 2;
    for (int s = 0; s <= steps; s++) {
        float t = steps ? (float)s / steps : 0;
        int x = (int)lrintf(ax + dx * t), y = (int)lrintf(ay + dy * t);
        for (int oy = r0; oy <= r1; oy++)
            for (int ox = r0; ox <= r1; ox++) put(im, x + ox, y + oy, c);
    }
}

static void disc(Image *im, float cx, float cy, int r, const unsigned char c[3])
{
    for (int y = -r; y <= r; y++)
        for (int x = -r; x <= r; x++)
            if (x * x + y * y <= r * r) put(im, (int)lrintf(cx) + x, (int)lrintf(cy) + y, c);
}

static void text(Image *im, int x, int y, int scale, const char *s, const unsigned char c[3])
{
    for (; *s; s++, x += 6 * scale) {
        const char *g = glyph(*s);
        for (int r = 0; r < 7; r++)
            for (int k = 0; k < 5; k++)
                if (g[r * 5 + k] == '#') fill_rect(im, x + k * scale, y + r * scale, x + (k + 1) * scale, y + (r + 1) * scale, c);
    }
}

/* A label on a filled strip above (x, y), or below it when there is no room. */
static void label(Image *im, int x, int y, int scale, const char *s, const unsigned char bg[3])
{
    int tw = (int)strlen(s) * 6 * scale + 2 * scale, th = 9 * scale;
    int top = y - th >= 0 ? y - th : y;
    if (x + tw > im->w) x = im->w - tw; /* keep it on the image */
    if (x < 0) x = 0;
    fill_rect(im, x, top, x + tw, top + th, bg);
    /* the peer's text colour: black on light colours, white otherwise */
    static const unsigned char white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
    bool light = 0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2] > 170;
    text(im, x + scale, top + scale, scale, s, light ? black : white);
}

/* COCO's 17-keypoint skeleton (1-based keypoint pairs, as the COCO keypoints definition). */
static const int skeleton[19][2] = {{16, 14}, {14, 12}, {17, 15}, {15, 13}, {12, 13}, {6, 12}, {7, 13},
                                    {6, 7},   {6, 8},   {7, 9},   {8, 10},  {9, 11},  {2, 3},  {1, 2},
                                    {1, 3},   {2, 4},   {3, 5},   {4, 6},   {5, 7}};

void annotate_draw(Image *im, const Predictor *p, const PredictResult *r)
{
    int lw = (int)lrint((im->w + im->h) / 2.0 * 0.003);
    if (lw < 2) lw = 2;
    int scale = lw > 2 ? lw - 1 : 1;
    char buf[160];
    if (r->task == TASK_CLASSIFY) {
        for (int k = 0; k < r->n_top; k++) {
            snprintf(buf, sizeof buf, "%s %.2f", predictor_class_name(p, r->top[k]), r->top_conf[k]);
            static const unsigned char white[3] = {255, 255, 255};
            text(im, 2 * scale * 5, (2 + k * 10) * scale * 2, scale * 2, buf, white);
        }
        return;
    }
    /* masks first, under the boxes: blended at half opacity, mapped back from the input */
    if (r->masks && r->net_w > 0 && r->net_h > 0) {
        const Letterbox *lb = &r->lb;
        size_t plane = (size_t)r->net_w * r->net_h;
        for (int i = r->n - 1; i >= 0; i--) {
            unsigned char c[3];
            annotate_class_color(r->obj[i].cls, c);
            const unsigned char *m = r->masks + (size_t)i * plane;
            for (int y = 0; y < im->h; y++) {
                int my = lb->top + (int)((y + 0.5) * lb->new_h / im->h);
                if (my < 0 || my >= r->net_h) continue;
                for (int x = 0; x < im->w; x++) {
                    int mx = lb->left + (int)((x + 0.5) * lb->new_w / im->w);
                    if (mx < 0 || mx >= r->net_w || !m[(size_t)my * r->net_w + mx]) continue;
                    unsigned char *px = im->rgb + ((size_t)y * im->w + x) * 3;
                    for (int k = 0; k < 3; k++) px[k] = (unsigned char)((px[k] + c[k]) / 2);
                }
            }
        }
    }
    for (int i = r->n - 1; i >= 0; i--) { /* best last, on top */
        const PredictObject *o = &r->obj[i];
        unsigned char c[3];
        annotate_class_color(o->cls, c);
        if (r->task == TASK_OBB) {
            float cs = cosf(o->rbox[4]), sn = sinf(o->rbox[4]), hw = o->rbox[2] / 2, hh = o->rbox[3] / 2;
            float px[4], py[4];
            const float sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
            for (int k = 0; k < 4; k++) {
                px[k] = o->rbox[0] + sx[k] * hw * cs - sy[k] * hh * sn;
                py[k] = o->rbox[1] + sx[k] * hw * sn + sy[k] * hh * cs;
            }
            for (int k = 0; k < 4; k++) thick_line(im, px[k], py[k], px[(k + 1) % 4], py[(k + 1) % 4], lw, c);
        } else {
            thick_line(im, o->box[0], o->box[1], o->box[2], o->box[1], lw, c);
            thick_line(im, o->box[2], o->box[1], o->box[2], o->box[3], lw, c);
            thick_line(im, o->box[2], o->box[3], o->box[0], o->box[3], lw, c);
            thick_line(im, o->box[0], o->box[3], o->box[0], o->box[1], lw, c);
        }
        if (o->kpts && r->nkpt > 0) {
            int kd = r->kdim;
            for (int k = 0; r->nkpt == 17 && k < 19; k++) {
                const float *a = o->kpts + (skeleton[k][0] - 1) * kd, *b = o->kpts + (skeleton[k][1] - 1) * kd;
                if (kd == 3 && (a[2] < 0.5f || b[2] < 0.5f)) continue;
                if (a[0] <= 0 || a[1] <= 0 || b[0] <= 0 || b[1] <= 0) continue;
                unsigned char lc[3];
                annotate_class_color(k + 2, lc);
                thick_line(im, a[0], a[1], b[0], b[1], lw, lc);
            }
            for (int k = 0; k < r->nkpt; k++) {
                const float *q = o->kpts + k * kd;
                if ((kd == 3 && q[2] < 0.5f) || q[0] <= 0 || q[1] <= 0) continue;
                unsigned char kc[3];
                annotate_class_color(k, kc);
                disc(im, q[0], q[1], lw + 2, kc);
            }
        }
        snprintf(buf, sizeof buf, "%s %.2f", predictor_class_name(p, o->cls), o->conf);
        label(im, (int)o->box[0], (int)o->box[1], scale, buf, c);
    }
}

/* ---- saving ------------------------------------------------------------------------------ */

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} JErr;

static void jerr_exit(j_common_ptr cinfo)
{
    JErr *e = (JErr *)cinfo->err;
    e->pub.format_message(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static int encode_jpeg(const Image *im, unsigned char **out, unsigned long *len, char *err, size_t errlen)
{
    struct jpeg_compress_struct c;
    JErr je;
    c.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jerr_exit;
    *out = NULL;
    *len = 0;
    if (setjmp(je.jump)) {
        jpeg_destroy_compress(&c);
        free(*out);
        *out = NULL;
        return err_set(err, errlen, "JPEG encoding failed: %s", je.msg);
    }
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, out, len);
    c.image_width = (JDIMENSION)im->w;
    c.image_height = (JDIMENSION)im->h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = im->rgb + (size_t)c.next_scanline * im->w * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return 0;
}

static void png_write_cb(png_structp png, png_bytep data, png_size_t n)
{
    strbuf_add(png_get_io_ptr(png), data, n);
}
static void png_flush_cb(png_structp png) { (void)png; }
static void png_err_cb(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static int encode_png(const Image *im, StrBuf *b, char *err, size_t errlen)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_err_cb, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        return err_set(err, errlen, "PNG encoder unavailable");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return err_set(err, errlen, "PNG encoding failed");
    }
    png_set_write_fn(png, b, png_write_cb, png_flush_cb);
    png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < im->h; y++) png_write_row(png, im->rgb + (size_t)y * im->w * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int annotate_save(const Image *im, const char *path, char *err, size_t errlen)
{
    const char *dot = strrchr(path, '.');
    char msg[256];
    int rc;
    if (dot && !strcasecmp(dot, ".png")) {
        StrBuf b = {0};
        rc = encode_png(im, &b, msg, sizeof msg);
        if (rc == 0) rc = fileio_write_atomic(path, b.p, b.len, err, errlen);
        else err_set(err, errlen, "%s: %s", path, msg);
        free(b.p);
        return rc;
    }
    unsigned char *buf = NULL;
    unsigned long len = 0;
    rc = encode_jpeg(im, &buf, &len, msg, sizeof msg);
    if (rc == 0) rc = fileio_write_atomic(path, buf, len, err, errlen);
    else err_set(err, errlen, "%s: %s", path, msg);
    free(buf);
    return rc;
}
