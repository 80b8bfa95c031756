/* bench: SHA-256 (FIPS 180-4 test vectors), the provenance record that decides reuse, the
 * formats= list, and the peer's table and the result files on a synthetic result.  The full
 * benchmark runs in tests/e2e/benchmark.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/bench/bench.h"
#include "engine/bench/provenance.h"
#include "engine/core/util.h"
#include "engine/registry/registry.h"
#include "tests/check.h"

static char tmpdir[256];

static void put(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_sha256(void)
{
    char h[65];
    provenance_sha256_hex("abc", 3, h);
    EXPECT_EQ_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    provenance_sha256_hex("", 0, h);
    EXPECT_EQ_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    provenance_sha256_hex(two, strlen(two), h);
    EXPECT_EQ_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_provenance(void)
{
    char src[512], art[512], why[512], err[512];
    snprintf(src, sizeof src, "%s/model.pt", tmpdir);
    snprintf(art, sizeof art, "%s/model.onnx", tmpdir);
    put("model.pt", "weights v1");
    put("model.onnx", "artifact");
    EXPECT(!provenance_reusable(art, src, "format=onnx imgsz=640", why, sizeof why));
    EXPECT_CONTAINS(why, "no provenance record");
    EXPECT_MSG(provenance_record(art, src, "format=onnx imgsz=640", err, sizeof err) == 0, "%s", err);
    char *rec = provenance_path(art);
    EXPECT(strstr(rec, "/.model.onnx.provenance.json") != NULL && file_exists(rec));
    free(rec);
    EXPECT_MSG(provenance_reusable(art, src, "format=onnx imgsz=640", why, sizeof why), "%s", why);
    EXPECT(!provenance_reusable(art, src, "format=onnx imgsz=320", why, sizeof why));
    EXPECT_CONTAINS(why, "other arguments");
    put("model.pt", "weights v2");
    EXPECT(!provenance_reusable(art, src, "format=onnx imgsz=640", why, sizeof why));
    EXPECT_CONTAINS(why, "the source model changed");
    put("model.pt", "weights v1");
    put("model.onnx", "edited");
    EXPECT(!provenance_reusable(art, src, "format=onnx imgsz=640", why, sizeof why));
    EXPECT_CONTAINS(why, "the artifact changed");
    /* a folder artifact hashes its files by name and content */
    char dir[512], h1[65], h2[65];
    snprintf(dir, sizeof dir, "%s/m_model", tmpdir);
    EXPECT(mkdir(dir, 0777) == 0);
    put("m_model/a.bin", "1");
    put("m_model/b.xml", "2");
    EXPECT(provenance_hash(dir, h1, err, sizeof err) == 0);
    put("m_model/b.xml", "3");
    EXPECT(provenance_hash(dir, h2, err, sizeof err) == 0);
    EXPECT(strcmp(h1, h2) != 0);
}

static void test_formats_list(void)
{
    int ids[8];
    char err[512];
    EXPECT_EQ_INT(bench_parse_formats("pt,onnx,openvino,onnx", ids, 8, err, sizeof err), 3);
    EXPECT(ids[0] == FMT_PYTORCH && ids[1] == FMT_ONNX && ids[2] == FMT_OPENVINO);
    EXPECT_EQ_INT(bench_parse_formats("trt", ids, 8, err, sizeof err), 1);
    EXPECT_EQ_INT(ids[0], FMT_ENGINE);
    EXPECT(bench_parse_formats("onx", ids, 8, err, sizeof err) < 0);
    EXPECT_CONTAINS(err, "did you mean 'onnx'");
}

static void test_table_and_files(void)
{
    BenchResult r;
    memset(&r, 0, sizeof r);
    snprintf(r.model, sizeof r.model, "dir/yolov8n.pt");
    snprintf(r.data, sizeof r.data, "data/coco8.yaml");
    snprintf(r.metric, sizeof r.metric, "metrics/mAP50-95(B)");
    r.imgsz = 640;
    r.seconds = 12.345;
    hoststamp_take(&r.stamp, NULL);
    BenchRow rows[3];
    memset(rows, 0, sizeof rows);
    const char *names[3] = {"PyTorch", "ONNX", "CoreML"};
    for (int i = 0; i < 3; i++) {
        snprintf(rows[i].name, sizeof rows[i].name, "%s", names[i]);
        rows[i].size_mb = rows[i].map = rows[i].ms = rows[i].fps = rows[i].max_delta = rows[i].export_s = -1;
    }
    rows[0].size_mb = 6.25, rows[0].map = 0.63812, rows[0].ms = 125.234, rows[0].fps = 7.98;
    snprintf(rows[0].runtime, sizeof rows[0].runtime, "yoloport executor");
    rows[1].status = BENCH_NOT_VALIDATED, rows[1].size_mb = 12.2;
    snprintf(rows[1].note, sizeof rows[1].note, "not run, with a comma");
    rows[2].status = BENCH_FAILED;
    snprintf(rows[2].note, sizeof rows[2].note, "not available in this build: \"quoted\"");
    r.rows = rows;
    r.n = 3;
    char *t = bench_table_text(&r, false);
    EXPECT_CONTAINS(t, "Benchmarks complete for yolov8n.pt on coco8.yaml at imgsz=640 (12.35s)\n");
    EXPECT_CONTAINS(t, "   Format  Status❔  Size (MB)  metrics/mAP50-95(B)  Inference time (ms/im)   FPS\n");
    EXPECT_CONTAINS(t, "0  PyTorch        ✅        6.2               0.6381                  125.23  7.98\n");
    EXPECT_CONTAINS(t, "2   CoreML        ❌          -                    -                       -     -\n");
    EXPECT(strstr(t, "Runtime") == NULL);
    free(t);
    t = bench_table_text(&r, true);
    EXPECT_CONTAINS(t, "  Runtime  Precision  max |Δ|  Export (s)\n");
    EXPECT_CONTAINS(t, "  1 ❎ ONNX: not run, with a comma\n");
    free(t);
    char err[512];
    EXPECT_MSG(bench_write_files(&r, tmpdir, err, sizeof err) == 0, "%s", err);
    char p[512];
    snprintf(p, sizeof p, "%s/benchmarks.csv", tmpdir);
    char *csv = file_read_all(p, 1 << 20, NULL, err, sizeof err);
    EXPECT(csv != NULL);
    if (csv) {
        EXPECT_CONTAINS(csv, "PyTorch,✅,6.2,0.6381,125.23,7.98,yoloport executor,-,-,-,\n");
        EXPECT_CONTAINS(csv, "ONNX,❎,12.2,-,-,-,-,-,-,-,\"not run, with a comma\"\n");
        EXPECT_CONTAINS(csv, "\"not available in this build: \"\"quoted\"\"\"\n");
    }
    free(csv);
    snprintf(p, sizeof p, "%s/benchmarks.json", tmpdir);
    char *js = file_read_all(p, 1 << 20, NULL, err, sizeof err);
    EXPECT(js && strstr(js, "\"metrics/mAP50-95(B)\":0.6381") && strstr(js, "\"cpu_count\":"));
    free(js);
    snprintf(p, sizeof p, "%s/benchmarks.md", tmpdir);
    EXPECT(file_exists(p));
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-bench-XXXXXX");
    if (!mkdtemp(tmpdir)) return 2;
    RUN(test_sha256);
    RUN(test_provenance);
    RUN(test_formats_list);
    RUN(test_table_and_files);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) return 2;
    return check_done();
}
