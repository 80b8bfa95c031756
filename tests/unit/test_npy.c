/* .npy reading and writing: round trips, the peer's arrays, and a strict header parser
 * that refuses anything malformed with a message. */
#include <string.h>
#include <unistd.h>

#include "engine/core/npy.h"
#include "tests/check.h"

/* A v1.0 file image with the given header text and data bytes. */
static size_t make_npy(unsigned char *out, const char *header, const void *data, size_t dlen)
{
    size_t hl = strlen(header);
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (unsigned char)(hl & 0xff);
    out[9] = (unsigned char)(hl >> 8);
    memcpy(out + 10, header, hl);
    memcpy(out + 10 + hl, data, dlen);
    return 10 + hl + dlen;
}

static void test_roundtrip(void)
{
    char dir[] = "/tmp/yoloport-npy-XXXXXX", path[128], err[256];
    EXPECT(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/a.npy", dir);
    float f[6] = {1.5f, -2, 0, 3.25f, 1e-8f, 7};
    int64_t d23[2] = {2, 3};
    EXPECT_MSG(npy_write(path, DT_F32, d23, 2, f, err, sizeof err) == 0, "%s", err);
    NpyArray a;
    EXPECT_MSG(npy_read(path, 0, &a, err, sizeof err) == 0, "%s", err);
    EXPECT(a.dtype == DT_F32 && a.rank == 2 && a.dims[0] == 2 && a.dims[1] == 3 && a.numel == 6);
    if (a.data) EXPECT(!memcmp(a.data, f, sizeof f));
    npy_free(&a);
    /* int64 rank 1, float16, a scalar; the data starts on a 64-byte boundary */
    int64_t iv[3] = {-1, 0, 1LL << 40}, d3[1] = {3};
    size_t len;
    unsigned char *b = npy_format(DT_I64, d3, 1, iv, &len, err, sizeof err);
    EXPECT(b && (len - sizeof iv) % 64 == 0);
    EXPECT(b && memmem(b, len, "'shape': (3,)", 13) != NULL);
    EXPECT(b && npy_parse(b, len, &a, err, sizeof err) == 0 && a.dtype == DT_I64 && !memcmp(a.data, iv, sizeof iv));
    free(b);
    npy_free(&a);
    uint16_t h[2] = {0x3c00, 0xc000};
    int64_t d2[1] = {2};
    b = npy_format(DT_F16, d2, 1, h, &len, err, sizeof err);
    EXPECT(b && npy_parse(b, len, &a, err, sizeof err) == 0);
    float *conv = npy_to_f32(&a, err, sizeof err);
    EXPECT(conv && conv[0] == 1.0f && conv[1] == -2.0f);
    free(conv);
    free(b);
    npy_free(&a);
    float s = 4.5f;
    b = npy_format(DT_F32, NULL, 0, &s, &len, err, sizeof err);
    EXPECT(b && npy_parse(b, len, &a, err, sizeof err) == 0 && a.rank == 0 && a.numel == 1);
    free(b);
    npy_free(&a);
    unlink(path);
    rmdir(dir);
}

static void test_peer_arrays(void)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    NpyArray a;
    char err[256];
    EXPECT_MSG(npy_read(shared_path("reference/peer/yolov8n.input.npy"), 0, &a, err, sizeof err) == 0, "%s", err);
    EXPECT(a.dtype == DT_F32 && a.rank == 4 && a.dims[1] == 3 && a.dims[2] == 640 && a.dims[3] == 640);
    /* a letterboxed image: the top-left corner is padding, 114/255 */
    if (a.data) EXPECT_NEAR(((float *)a.data)[0], 114.0f / 255.0f, 1e-7);
    npy_free(&a);
    EXPECT(npy_read(shared_path("reference/peer/yolo11n-seg.protos.npy"), 0, &a, err, sizeof err) == 0);
    EXPECT(a.rank == 4 && a.dims[1] == 32 && a.dims[2] == 160);
    npy_free(&a);
}

static void test_malformed(void)
{
    static const struct {
        const char *header;
        size_t data_len;
        const char *msg;
    } bad[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 4, "data is 4 bytes"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 12, "data is 12 bytes"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", 4, "big-endian"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", 8, "not supported"},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n", 4, "Fortran"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n", 4, "unexpected header key"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n", 4, "duplicate"},
        {"{'descr': '<f4', 'fortran_order': False}\n", 4, "lacks"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n", 4, "shape is not"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1), }\n", 4, "shape is not"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }\n", 4, "shape is not"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }\n", 4,
         "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk\n", 4, "junk"},
        {"['descr', '<f4']\n", 4, "not a dict"},
    };
    unsigned char buf[512], zeros[16] = {0};
    char err[256];
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        size_t n = make_npy(buf, bad[i].header, zeros, bad[i].data_len);
        NpyArray a;
        err[0] = 0;
        EXPECT_MSG(npy_parse(buf, n, &a, err, sizeof err) == -1, "case %zu parsed", i);
        EXPECT_MSG(strstr(err, bad[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].msg);
        EXPECT(a.data == NULL);
    }
    /* a header length running past the end, a bad magic, an unknown version */
    size_t n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", zeros, 4);
    NpyArray a;
    buf[9] = 0x7f;
    EXPECT(npy_parse(buf, n, &a, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "runs past");
    EXPECT(npy_parse("\x93NUMPX\x01\x00\x00\x00", 10, &a, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "magic");
    buf[6] = 9;
    EXPECT(npy_parse(buf, n, &a, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "version");
    EXPECT(npy_read("/nonexistent/x.npy", 0, &a, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "/nonexistent/x.npy");
    /* every truncation of a good file fails cleanly */
    n = make_npy(buf, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", zeros, 16);
    for (size_t cut = 0; cut < n; cut++) EXPECT_MSG(npy_parse(buf, cut, &a, err, sizeof err) == -1, "cut %zu", cut);
    EXPECT(npy_parse(buf, n, &a, err, sizeof err) == 0);
    npy_free(&a);
}

int main(void)
{
    RUN(test_roundtrip);
    RUN(test_peer_arrays);
    RUN(test_malformed);
    return check_done();
}
