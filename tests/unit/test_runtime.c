/* runtime: the library search and the refusal of files that are not what they claim, the
 * onnxruntime adapter on the libonnxruntime.so.1 that the npm package onnxruntime-node ships
 * (our ONNX export of yolov8n run there on the peer's input matches the peer's output: boxes
 * within 0.05 px, scores within 1e-3), the export check in onnxruntime and its fallback that
 * says what it looked for, and the status model: an export whose check did not run is never
 * "passed". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/npy.h"
#include "engine/core/util.h"
#include "engine/export/export.h"
#include "engine/runtime/runtime.h"
#include "formats/pt.h"
#include "tests/check.h"
#include "tests/export_fixture.h"
#include "tui/cli.h"

/* model.c refers to pt_load weakly: a strong reference pulls formats/pt.o from the archive */
void *volatile test_force_pt_link = (void *)pt_load;

static char tmpdir[256];
static char ort_dir[4096]; /* the folder holding onnxruntime-node's libonnxruntime.so.1, "" when absent */

static void find_ort(void)
{
    const char *cands[] = {"tests/node/node_modules/onnxruntime-node/bin/napi-v6/linux/x64",
                           "tests/node/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64"};
#if defined(__aarch64__)
    const char *c = cands[1];
#else
    const char *c = cands[0];
#endif
    char p[4200];
    snprintf(p, sizeof p, "%s/libonnxruntime.so.1", c);
    char *real = realpath(c, NULL);
    if (real && access(p, R_OK) == 0) snprintf(ort_dir, sizeof ort_dir, "%s", real);
    free(real);
}

static void test_spec(void)
{
    int id;
    char path[256], err[256];
    EXPECT(runtime_parse_spec("auto", &id, path, sizeof path, err, sizeof err) == 0 && id == -1);
    EXPECT(runtime_parse_spec("onnxruntime:/x/lib.so", &id, path, sizeof path, err, sizeof err) == 0 &&
           id == RUNTIME_ONNXRUNTIME && !strcmp(path, "/x/lib.so"));
    EXPECT(runtime_parse_spec("builtin", &id, path, sizeof path, err, sizeof err) == 0 && id == RUNTIME_BUILTIN);
    EXPECT(runtime_parse_spec("tensorrt", &id, path, sizeof path, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "unknown runtime 'tensorrt'");
    EXPECT(runtime_parse_spec("builtin:/x", &id, path, sizeof path, err, sizeof err) != 0);
}

/* A random file, and a real ELF library that is not onnxruntime, both named libonnxruntime.so.1. */
static void test_refusals(void)
{
    char dir[512], lib[600], err[1024];
    snprintf(dir, sizeof dir, "%s/fake", tmpdir);
    mkdir(dir, 0777);
    snprintf(lib, sizeof lib, "%s/libonnxruntime.so.1", dir);
    FILE *f = fopen(lib, "w");
    fputs("this is not a shared library, whatever its name says\n", f);
    fclose(f);
    RuntimeProbe p;
    runtime_probe(RUNTIME_ONNXRUNTIME, dir, &p);
    EXPECT_EQ_INT(p.status, RUNTIME_REFUSED);
    EXPECT_CONTAINS(p.why, "libonnxruntime.so.1: not a shared library (no ELF header");
    /* through the same path as runtime=onnxruntime:PATH */
    struct FormatRun fr = {.path = "model.onnx", .library = lib};
    EXPECT(runtime_ort_run(&fr, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "not a shared library");
    /* a real library of this machine that is not onnxruntime */
    const char *libm[] = {"/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6",
                          "/lib/aarch64-linux-gnu/libm.so.6", "/lib64/libm.so.6"};
    for (size_t i = 0; i < sizeof libm / sizeof libm[0]; i++) {
        if (access(libm[i], R_OK) != 0) continue;
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", libm[i], lib);
        EXPECT(system(cmd) == 0);
        runtime_probe(RUNTIME_ONNXRUNTIME, lib, &p);
        EXPECT_EQ_INT(p.status, RUNTIME_REFUSED);
        EXPECT_CONTAINS(p.why, "not ONNX Runtime (it exports no OrtGetApiBase)");
        break;
    }
}

static void test_not_found(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/empty", tmpdir);
    mkdir(dir, 0777);
    setenv("YOLOPORT_RUNTIME_PATH", dir, 1);
    unsetenv("LD_LIBRARY_PATH");
    RuntimeProbe p;
    runtime_probe(RUNTIME_ONNXRUNTIME, NULL, &p);
    if (p.status == RUNTIME_FOUND) {
        SKIP("this host has onnxruntime installed in a usual place (%s)", p.path);
        return;
    }
    EXPECT_EQ_INT(p.status, RUNTIME_NOT_FOUND);
    EXPECT_CONTAINS(p.looked_in, dir);
    EXPECT_CONTAINS(p.looked_in, "/usr/local/lib/libonnxruntime.so.1");
}

/* Export yolov8n.pt to ONNX in tmpdir (once), with or without onnxruntime on the search path. */
static ExportRun *export_onnx(const char *extra, Captured *log)
{
    char model[512];
    snprintf(model, sizeof model, "model=%s/yolov8n.pt", tmpdir);
    const char *words[] = {model, "format=onnx", extra};
    JobRunnerOptions ro = {.workers = 1};
    JobRunner *r = jobs_new(&ro);
    JobState st;
    ExportRun *run = export_words(r, log, &st, words, extra ? 3 : 2);
    jobs_free(r);
    return run;
}

static bool have_model(void)
{
    char dst[512];
    snprintf(dst, sizeof dst, "%s/yolov8n.pt", tmpdir);
    if (file_exists(dst)) return true;
    if (!shared_dir() || !file_exists(shared_path("models/yolov8n.pt"))) return false;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", shared_path("models/yolov8n.pt"), dst);
    return system(cmd) == 0;
}

/* The export check in onnxruntime, and our export run there against the peer's output. */
static void test_onnxruntime(void)
{
    if (!ort_dir[0]) {
        SKIP("tests/node/node_modules/onnxruntime-node is not installed (npm test dependency)");
        return;
    }
    if (!have_model()) {
        SKIP("../shared/models/yolov8n.pt is absent");
        return;
    }
    setenv("YOLOPORT_RUNTIME_PATH", ort_dir, 1);
    Captured log;
    ExportRun *run = export_onnx(NULL, &log);
    EXPECT(run && run->status == EXPORT_OK);
    EXPECT_CONTAINS(log.text, "ONNX: check against the source ✅ passed: checked in onnxruntime 1.30.0: output0 max |Δ| ");
    EXPECT_CONTAINS(log.text, "libonnxruntime.so.1)");
    export_run_free(run);

    char onnx[512], err[1024];
    snprintf(onnx, sizeof onnx, "%s/yolov8n.onnx", tmpdir);
    RuntimeOpenOptions ro = {.runtime = "onnxruntime"};
    RuntimeSession *s = runtime_open(onnx, &ro, err, sizeof err);
    EXPECT_MSG(s != NULL, "%s", err);
    if (!s) return;
    EXPECT_EQ_INT(s->runtime, RUNTIME_ONNXRUNTIME);
    EXPECT_EQ_STR(s->version, "1.30.0");
    EXPECT(s->model && s->model->meta.nc == 80); /* facts from our reader */
    NpyArray in = {0}, ref = {0};
    if (npy_read(shared_path("reference/peer/yolov8n.input.npy"), 0, &in, err, sizeof err) == 0 &&
        npy_read(shared_path("reference/peer/yolov8n.output.npy"), 0, &ref, err, sizeof err) == 0) {
        EXPECT_MSG(runtime_run(s, (const float *)in.data, in.dims, in.rank, err, sizeof err) == 0, "%s", err);
        int64_t d[GRAPH_MAX_RANK];
        int rank;
        const float *y = runtime_output(s, 0, d, &rank);
        EXPECT(y && rank == 3 && d[1] == 84 && d[2] == 8400);
        double boxes = 0, scores = 0;
        for (int64_t c = 0; y && c < 84; c++)
            for (int64_t a = 0; a < 8400; a++) {
                double df = fabs((double)y[c * 8400 + a] - ((const float *)ref.data)[c * 8400 + a]);
                double *m = c < 4 ? &boxes : &scores;
                if (df > *m || df != df) *m = df != df ? INFINITY : df;
            }
        printf("# our ONNX export in onnxruntime vs the peer's output: max |d| boxes %.4g px, scores %.3g\n", boxes, scores);
        EXPECT(boxes <= 0.05);
        EXPECT(scores <= 1e-3);
    } else {
        EXPECT_MSG(0, "%s", err);
    }
    npy_free(&in);
    npy_free(&ref);
    runtime_close(s);
    /* auto picks onnxruntime for an ONNX file; builtin can be asked for */
    RuntimeOpenOptions ra = {.runtime = "auto"};
    s = runtime_open(onnx, &ra, err, sizeof err);
    EXPECT(s && s->runtime == RUNTIME_ONNXRUNTIME && !ra.fallback[0]);
    runtime_close(s);
    /* onnxruntime does not run a checkpoint */
    RuntimeOpenOptions rp = {.runtime = "onnxruntime"};
    char pt[512];
    snprintf(pt, sizeof pt, "%s/yolov8n.pt", tmpdir);
    s = runtime_open(pt, &rp, err, sizeof err);
    EXPECT(s == NULL);
    EXPECT_CONTAINS(err, "runs ONNX (.onnx) files");
}

/* No onnxruntime: the check falls back to the proof and the executor, and says what it looked for. */
static void test_check_fallback(void)
{
    if (!have_model()) {
        SKIP("../shared/models/yolov8n.pt is absent");
        return;
    }
    char dir[512];
    snprintf(dir, sizeof dir, "%s/empty", tmpdir);
    mkdir(dir, 0777);
    setenv("YOLOPORT_RUNTIME_PATH", dir, 1);
    RuntimeProbe p;
    runtime_probe(RUNTIME_ONNXRUNTIME, NULL, &p);
    if (p.status == RUNTIME_FOUND) {
        SKIP("this host has onnxruntime installed in a usual place (%s)", p.path);
        return;
    }
    Captured log;
    ExportRun *run = export_onnx(NULL, &log);
    EXPECT(run && run->status == EXPORT_OK);
    EXPECT_CONTAINS(log.text, "ONNX: check against the source ✅ passed: output0 max |Δ| 0 (node for node");
    EXPECT_CONTAINS(log.text, "not checked in the format's own runtime: onnxruntime: no libonnxruntime.so.1 in ");
    EXPECT_CONTAINS(log.text, dir);
    export_run_free(run);
}

/* verify=False: written, not checked -- never shown as passed, in the status and the size report. */
static void test_unchecked_status(void)
{
    if (!have_model()) {
        SKIP("../shared/models/yolov8n.pt is absent");
        return;
    }
    Captured log;
    ExportRun *run = export_onnx("verify=False", &log);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(run->status, EXPORT_UNCHECKED);
    EXPECT(run->report.n_artifacts == 1 && run->report.artifacts[0].status == CHECK_SKIPPED);
    char *text = cli_report_text(&run->report, false);
    EXPECT_CONTAINS(text, "– written, not checked");
    EXPECT(strstr(text, "✅ passed max") == NULL);
    free(text);
    EXPECT_CONTAINS(log.text, "written, not checked against the source");
    export_run_free(run);
}

/* A config whose end-to-end head fixes its anchors when built (YOLOv10) runs at any size in the
 * builtin runtime: its input is reported as any size, and a run at another size builds it
 * again there (the model facts follow); a bad size is refused with a message. */
static void test_built_per_size(void)
{
    char err[1024];
    RuntimeOpenOptions ro = {.runtime = "builtin", .imgsz = {64, 64}, .threads = 1};
    RuntimeSession *s = runtime_open("yolov10n.yaml", &ro, err, sizeof err);
    EXPECT_MSG(s != NULL, "%s", err);
    if (!s) return;
    EXPECT(s->input.rank == 4 && s->input.dims[2] == -1 && s->input.dims[3] == -1);
    int64_t sizes[2][2] = {{64, 64}, {96, 64}};
    for (int k = 0; k < 2; k++) {
        int64_t dims[4] = {1, 3, sizes[k][0], sizes[k][1]};
        size_t n = (size_t)(3 * sizes[k][0] * sizes[k][1]);
        float *x = xcalloc(n, sizeof *x);
        for (size_t i = 0; i < n; i++) x[i] = (float)(i % 251) / 251.f;
        EXPECT_MSG(runtime_run(s, x, dims, 4, err, sizeof err) == 0, "%s", err);
        int64_t od[GRAPH_MAX_RANK];
        int rank = 0;
        const float *y = runtime_output(s, 0, od, &rank);
        /* YOLOv10's rows: min(300, anchors) of them, anchors = (h/8 * w/8) * (1 + 1/4 + 1/16) */
        int64_t anchors = sizes[k][0] * sizes[k][1] / 64 * 21 / 16;
        EXPECT(y && rank == 3 && od[1] == anchors && od[2] == 6);
        const Tensor *in = &s->model->tensors[s->model->inputs[0]];
        EXPECT(in->dims[2] == sizes[k][0] && in->dims[3] == sizes[k][1]);
        free(x);
    }
    float one[3 * 60 * 64] = {0};
    int64_t bad[4] = {1, 3, 60, 64};
    EXPECT(runtime_run(s, one, bad, 4, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "60");
    runtime_close(s);
}

/* threads= reaches the executor: a session on 1 thread and one on 2 give the same bytes, also
 * after a rebuild for another size (YOLOv10), and say how many threads they run on. */
static void test_threads(void)
{
    const char *models[2] = {"yolov8n.yaml", "yolov10n.yaml"};
    for (int m = 0; m < 2; m++) {
        float *out[2] = {NULL, NULL};
        int64_t numel = 0;
        for (int t = 1; t <= 2; t++) {
            char err[1024];
            RuntimeOpenOptions ro = {.runtime = "builtin", .imgsz = {96, 96}, .threads = t};
            RuntimeSession *s = runtime_open(models[m], &ro, err, sizeof err);
            EXPECT_MSG(s != NULL, "%s", err);
            if (!s) continue;
            EXPECT_EQ_INT(s->threads, t);
            int64_t dims[4] = {1, 3, 128, 96};
            size_t n = 3 * 128 * 96;
            float *x = xmalloc(n * sizeof *x);
            for (size_t i = 0; i < n; i++) x[i] = (float)((i * 7919) % 255) / 255.f;
            int64_t od[GRAPH_MAX_RANK];
            int rank = 0;
            const float *y = runtime_run(s, x, dims, 4, err, sizeof err) == 0 ? runtime_output(s, 0, od, &rank) : NULL;
            EXPECT_MSG(y != NULL, "%s: %s", models[m], err);
            if (y) {
                numel = 1;
                for (int k = 0; k < rank; k++) numel *= od[k];
                out[t - 1] = xmalloc(sizeof(float) * (size_t)numel);
                memcpy(out[t - 1], y, sizeof(float) * (size_t)numel);
            }
            free(x);
            runtime_close(s);
        }
        EXPECT_MSG(out[0] && out[1] && !memcmp(out[0], out[1], sizeof(float) * (size_t)numel),
                   "%s: 1 and 2 threads differ", models[m]);
        free(out[0]);
        free(out[1]);
    }
    if (ort_dir[0]) {
        char err[1024], spec[4200], onnx[512];
        snprintf(spec, sizeof spec, "onnxruntime:%s", ort_dir);
        snprintf(onnx, sizeof onnx, "%s/yolov8n.onnx", tmpdir);
        RuntimeOpenOptions ro = {.runtime = spec, .threads = 2};
        RuntimeSession *s = access(onnx, R_OK) == 0 ? runtime_open(onnx, &ro, err, sizeof err) : NULL;
        if (s) EXPECT_EQ_INT(s->threads, 2);
        runtime_close(s);
    }
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-runtime-XXXXXX");
    if (!mkdtemp(tmpdir)) return 2;
    find_ort();
    RUN(test_spec);
    RUN(test_refusals);
    RUN(test_not_found);
    RUN(test_onnxruntime);
    RUN(test_check_fallback);
    RUN(test_unchecked_status);
    RUN(test_built_per_size);
    RUN(test_threads);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) return 2;
    return check_done();
}
