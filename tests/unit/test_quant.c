/* quant: INT8 calibration (engine/quant/calib.h) -- the calibration images as the peer takes
 * them (a dataset yaml's split and fraction, a folder of images, a corrupt image skipped and
 * named), the statistics gathered by the executor's observer (ranges by min/max, percentile
 * and entropy, by index and by name, only the watched tensors, cancel), the 8-bit
 * arithmetic (affine activation parameters, per-channel symmetric weights), the placement plan
 * on yolov8n (the peer's 66 quantisers, the decode in float), and calibration inside an
 * export job: its progress (the Jobs screen's bar) and a cancel during it, which leaves no file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"
#include "engine/export/export.h"
#include "engine/export/export_int8.h"
#include "engine/jobs/jobs.h"
#include "engine/quant/calib.h"
#include "engine/quant/quant.h"
#include "engine/registry/model.h"
#include "formats/pt.h"
#include "tests/check.h"
#include "tests/export_fixture.h"

/* model.c refers to pt_load weakly: a strong reference pulls formats/pt.o from the archive */
void *volatile test_force_pt_link = (void *)pt_load;

static char tmpdir[256];

static void put_file(const char *rel, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    for (char *p = path + strlen(tmpdir) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0777);
            *p = '/';
        }
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, len, f);
        fclose(f);
    }
}

static bool copy_file(const char *from, const char *rel)
{
    size_t len;
    char err[256];
    char *buf = file_read_all(from, 64u << 20, &len, err, sizeof err);
    if (!buf) return false;
    put_file(rel, buf, len);
    free(buf);
    return true;
}

static const char *coco8(void) { return shared_path("data/coco8.yaml"); }

static void test_dataset_split_and_fraction(void)
{
    if (!coco8() || !file_exists(coco8())) {
        SKIP("../shared/data/coco8.yaml is absent");
        return;
    }
    CalibSet s;
    char err[1024];
    EXPECT_MSG(calib_set_open(coco8(), NULL, 1.0, &s, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(s.kind, CALIB_DATASET);
    EXPECT_EQ_STR(s.split, "val");
    EXPECT_EQ_INT(s.n_found, 4);
    EXPECT_EQ_INT(s.n_images, 4);
    EXPECT(s.n_images == 4 && strstr(s.images[0], "images/val/000000000036.jpg"));
    calib_set_free(&s);
    /* the peer's fraction: the first round(n * fraction) images; 0.5 of 4 -> 2; at least one */
    EXPECT(calib_set_open(coco8(), "val", 0.5, &s, err, sizeof err) == 0);
    EXPECT_EQ_INT(s.n_images, 2);
    EXPECT_EQ_INT(s.n_found, 4);
    calib_set_free(&s);
    EXPECT(calib_set_open(coco8(), "val", 0.1, &s, err, sizeof err) == 0);
    EXPECT_EQ_INT(s.n_images, 1);
    calib_set_free(&s);
    EXPECT(calib_set_open(coco8(), "train", 1.0, &s, err, sizeof err) == 0);
    EXPECT_EQ_STR(s.split, "train");
    EXPECT(s.n_images == 4 && strstr(s.images[0], "images/train/"));
    calib_set_free(&s);
    /* refusals name what is wrong */
    EXPECT(calib_set_open(coco8(), "test", 1.0, &s, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "no 'test' split");
    calib_set_free(&s);
    EXPECT(calib_set_open("nowhere/none.yaml", "val", 1.0, &s, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "data=nowhere/none.yaml: no such dataset yaml or folder of images");
    calib_set_free(&s);
}

static void test_folder_and_corrupt_image(void)
{
    const char *bus = shared_path("data/images/bus.jpg");
    if (!bus || !file_exists(bus)) {
        SKIP("../shared/data/images/bus.jpg is absent");
        return;
    }
    EXPECT(copy_file(bus, "imgs/a.jpg"));
    put_file("imgs/b.jpg", "not a jpeg at all", 17);
    put_file("imgs/notes.txt", "x", 1);
    char dir[512], err[1024];
    snprintf(dir, sizeof dir, "%s/imgs", tmpdir);
    CalibSet s;
    EXPECT_MSG(calib_set_open(dir, "train", 0.5, &s, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(s.kind, CALIB_FOLDER);
    EXPECT(s.split == NULL);
    EXPECT_EQ_INT(s.n_images, 2); /* a folder is taken whole: split and fraction are for datasets */
    /* the letterbox: 1x3x64x96, pad 114/255 above and below bus.jpg (810x1080, portrait) */
    float *x = calib_input(&s, 0, 64, 96, err, sizeof err);
    EXPECT(x != NULL);
    if (x) {
        EXPECT_NEAR(x[0], 114.0 / 255.0, 1e-6);
        EXPECT(fabsf(x[32 * 96 + 48] - 114.0f / 255.0f) > 1e-3f);
        free(x);
    }
    EXPECT(calib_input(&s, 1, 64, 64, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "b.jpg");
    calib_set_free(&s);
}

typedef struct {
    int progress_calls, last_done, total;
    int skipped;
    char skipped_path[512];
} Seen;

static void on_progress(void *user, int done, int total)
{
    Seen *s = user;
    s->progress_calls++;
    s->last_done = done;
    s->total = total;
}

static void on_skipped(void *user, const char *path, const char *why)
{
    Seen *s = user;
    s->skipped++;
    snprintf(s->skipped_path, sizeof s->skipped_path, "%s", path);
    (void)why;
}

static Graph *small_model(char *err, size_t errlen)
{
    LoadOptions lo = {.fuse = true, .imgsz = {64, 64}, .batch = 1};
    return model_load("yolov8n.yaml", &lo, err, errlen);
}

static void test_collect_ranges(void)
{
    if (!coco8() || !file_exists(coco8())) {
        SKIP("../shared/data/coco8.yaml is absent");
        return;
    }
    char err[1024];
    Graph *g = small_model(err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    CalibSet set;
    EXPECT(calib_set_open(coco8(), "val", 1.0, &set, err, sizeof err) == 0);
    Seen seen = {0};
    CalibOptions o = {.threads = 1, .progress = on_progress, .skipped = on_skipped, .user = &seen};
    CalibStats *s = calib_collect(g, &set, &o, err, sizeof err);
    EXPECT_MSG(s != NULL, "%s", err);
    if (s) {
        EXPECT_EQ_INT(calib_stats_images(s), 4);
        EXPECT_EQ_INT(seen.progress_calls, 4);
        EXPECT_EQ_INT(seen.last_done, 4);
        EXPECT_EQ_INT(seen.skipped, 0);
        EXPECT(calib_stats_seconds(s) > 0);
        /* the input: pixels / 255 */
        float lo, hi, mn, mx;
        int in = g->inputs[0];
        EXPECT(calib_range(s, in, CALIB_MINMAX, &lo, &hi) == 0);
        EXPECT(lo == 0.0f && hi > 0.9f && hi <= 1.0f);
        /* every SiLU output: min/max holds the others, all hold 0, SiLU's bound -0.2785 */
        int silus = 0, checked = 0;
        for (int n = 0; n < g->n_nodes; n++) {
            if (g->nodes[n].op != OP_SILU) continue;
            silus++;
            int t = g->nodes[n].outputs[0];
            float l[CALIB_METHOD_COUNT], h[CALIB_METHOD_COUNT];
            bool ok = calib_minmax(s, t, &mn, &mx) == 0;
            for (int m = 0; m < CALIB_METHOD_COUNT; m++) ok = ok && calib_range(s, t, (CalibMethod)m, &l[m], &h[m]) == 0;
            EXPECT(ok);
            if (!ok) continue;
            checked++;
            EXPECT(mn >= -0.2786f);
            EXPECT(l[CALIB_MINMAX] == fminf(mn, 0) && h[CALIB_MINMAX] == fmaxf(mx, 0));
            for (int m = 0; m < CALIB_METHOD_COUNT; m++) {
                EXPECT(l[m] <= 0 && h[m] >= 0);
                EXPECT(l[m] >= l[CALIB_MINMAX] && h[m] <= h[CALIB_MINMAX]);
            }
            float bl, bh;
            EXPECT(calib_range_by_name(s, g->tensors[t].name, CALIB_PERCENTILE, &bl, &bh) == 0 &&
                   bl == l[CALIB_PERCENTILE] && bh == h[CALIB_PERCENTILE]);
        }
        EXPECT(silus > 50 && checked == silus);
        EXPECT(calib_range_by_name(s, "no such tensor", CALIB_MINMAX, &lo, &hi) == -1);
        calib_stats_free(s);
    }
    /* only the watched tensors */
    bool *watch = xcalloc((size_t)g->n_tensors, sizeof *watch);
    watch[g->inputs[0]] = true;
    CalibOptions o2 = {.threads = 1, .watch = watch};
    s = calib_collect(g, &set, &o2, err, sizeof err);
    EXPECT(s != NULL);
    if (s) {
        float lo, hi;
        EXPECT(calib_range(s, g->inputs[0], CALIB_MINMAX, &lo, &hi) == 0);
        EXPECT(calib_range(s, g->outputs[0], CALIB_MINMAX, &lo, &hi) == -1);
        calib_stats_free(s);
    }
    free(watch);
    /* a cancel stops it */
    volatile int cancel = 1;
    CalibOptions o3 = {.threads = 1, .cancel = &cancel};
    EXPECT(calib_collect(g, &set, &o3, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "cancelled");
    calib_set_free(&set);
    graph_free(g);
}

static void test_collect_skips_corrupt(void)
{
    const char *bus = shared_path("data/images/bus.jpg");
    if (!bus || !file_exists(bus)) {
        SKIP("../shared/data/images/bus.jpg is absent");
        return;
    }
    EXPECT(copy_file(bus, "mixed/a.jpg"));
    put_file("mixed/broken.jpg", "\xff\xd8\xff\xe0 truncated", 14);
    char dir[512], err[1024];
    snprintf(dir, sizeof dir, "%s/mixed", tmpdir);
    Graph *g = small_model(err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    CalibSet set;
    EXPECT(calib_set_open(dir, NULL, 1.0, &set, err, sizeof err) == 0);
    Seen seen = {0};
    CalibOptions o = {.threads = 1, .skipped = on_skipped, .progress = on_progress, .user = &seen};
    CalibStats *s = calib_collect(g, &set, &o, err, sizeof err);
    EXPECT_MSG(s != NULL, "%s", err);
    EXPECT_EQ_INT(seen.skipped, 1);
    EXPECT_CONTAINS(seen.skipped_path, "mixed/broken.jpg");
    EXPECT_EQ_INT(seen.last_done, 2);
    EXPECT_EQ_INT(calib_stats_images(s), 1);
    calib_stats_free(s);
    calib_set_free(&set);
    /* nothing decodable: an error naming the data */
    char only[512];
    snprintf(only, sizeof only, "%s/onlybroken", tmpdir);
    put_file("onlybroken/x.png", "garbage", 7);
    EXPECT(calib_set_open(only, NULL, 1.0, &set, err, sizeof err) == 0);
    EXPECT(calib_collect(g, &set, &o, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "could be decoded");
    calib_set_free(&set);
    graph_free(g);
}

static void test_arithmetic(void)
{
    float s;
    int32_t z;
    calib_affine(-0.2785f, 24.0f, false, &s, &z);
    EXPECT_NEAR(s, (24.0f + 0.2785f) / 255.0f, 1e-7);
    EXPECT_EQ_INT(z, 3);
    float lo, hi;
    calib_affine_range(s, z, false, &lo, &hi);
    EXPECT(lo <= -0.2785f * 0.9f && hi >= 23.5f);
    calib_affine(0, 1, false, &s, &z);
    EXPECT_EQ_INT(z, 0);
    EXPECT_NEAR(s, 1.0 / 255.0, 1e-9);
    calib_affine(-1, 1, true, &s, &z); /* int8: the range within one step at either end */
    calib_affine_range(s, z, true, &lo, &hi);
    EXPECT(z >= -1 && z <= 0 && fabsf(lo + 1) <= s && fabsf(hi - 1) <= s);
    calib_affine(0.5f, 2.0f, false, &s, &z); /* widened to hold 0 */
    EXPECT_EQ_INT(z, 0);
    EXPECT_NEAR(s, 2.0 / 255.0, 1e-7);
    calib_affine(0, 0, false, &s, &z);
    EXPECT(s == 1.0f && z == 0);
    /* per channel: |w - q * s| <= s / 2, the largest |q| is 127, a zero channel stays zero */
    float w[3 * 5] = {0.1f, -0.5f, 0.25f, 0.0f, 0.49f, 0, 0, 0, 0, 0, 3.0f, -2.0f, 1e-3f, 2.5f, -3.0f};
    int8_t q[15];
    float sc[3];
    calib_weights_per_channel(w, 3, 5, q, sc);
    EXPECT_NEAR(sc[0], 0.5f / 127, 1e-9);
    EXPECT(sc[1] == 1.0f);
    EXPECT_NEAR(sc[2], 3.0f / 127, 1e-9);
    EXPECT(q[1] == -127 && q[10] == 127 && q[14] == -127);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 5; i++) EXPECT(fabsf(w[c * 5 + i] - q[c * 5 + i] * sc[c]) <= sc[c] / 2 + 1e-7f);
    EXPECT_EQ_STR(calib_method_name(CALIB_ENTROPY), "entropy");
    EXPECT_EQ_INT(calib_method_find("percentile"), CALIB_PERCENTILE);
    EXPECT_EQ_INT(calib_method_find("nope"), -1);
}

static void test_plan_yolov8n(void)
{
    char err[1024];
    Graph *g = small_model(err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    QuantPlan p;
    EXPECT_MSG(quant_plan(g, &p, err, sizeof err) == 0, "%s", err);
    /* the peer's NNCF IR of yolov8n: 66 FakeQuantize (the image, 57 SiLU outputs, 6 shortcut
     * Adds, 2 Resizes), 63 convolutions with int8 weights (all but the DFL's), the decode float */
    EXPECT_EQ_INT(p.n_act, 66);
    EXPECT_EQ_INT(p.n_conv, 63);
    EXPECT_EQ_STR(p.head, "model.22");
    EXPECT(p.act[g->inputs[0]]);
    int silu = 0, add = 0, resize = 0;
    for (int n = 0; n < g->n_nodes; n++) {
        const Node *nd = &g->nodes[n];
        bool q = p.act[nd->outputs[0]];
        if (nd->op == OP_SILU) silu += q;
        if (nd->op == OP_ADD) add += q;
        if (nd->op == OP_RESIZE) resize += q;
        if (nd->name && !strncmp(nd->name, "/model.22/dfl/", 14)) EXPECT(p.keep_float[n] && !p.conv[n]);
        if (nd->name && !strcmp(nd->name, "/model.22/Sigmoid")) EXPECT(p.keep_float[n]);
        if (nd->name && !strcmp(nd->name, "/model.22/cv3.0/cv3.0.2/Conv")) EXPECT(p.conv[n] && !p.keep_float[n]);
    }
    EXPECT_EQ_INT(silu, 57);
    EXPECT_EQ_INT(add, 6);
    EXPECT_EQ_INT(resize, 2);
    for (int i = 0; i < g->n_outputs; i++) EXPECT(!p.act[g->outputs[i]]);
    /* the inputs of a Concat share one range: C2f's first conv output and its bottleneck's sum */
    int a = graph_find_tensor(g, "/model.2/cv1/act/SiLU_output_0"), b = graph_find_tensor(g, "/model.2/m.0/Add_output_0");
    EXPECT(a >= 0 && b >= 0 && p.group[a] == p.group[b]);
    quant_plan_free(&p);
    graph_free(g);
}

/* An int8 export calibrating on a folder of 12 images: its stage and fraction show while it
 * calibrates (what the Jobs screen draws as a bar); a cancel then ends it with nothing written. */
static void test_export_progress_and_cancel(void)
{
    const char *bus = shared_path("data/images/bus.jpg");
    if (!bus || !file_exists(bus)) {
        SKIP("../shared/data/images/bus.jpg is absent");
        return;
    }
    char name[64];
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "many/im%02d.jpg", i);
        EXPECT(copy_file(bus, name));
    }
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd) || chdir(tmpdir) != 0) return;
    JobRunner *runner = jobs_new(&(JobRunnerOptions){.workers = 1});
    ExportArgs a;
    export_args_init(&a);
    ExportMsgs m;
    export_msgs_clear(&m);
    const char *w[] = {"model=yolov8n.yaml", "format=onnx", "imgsz=320", "int8=True", "data=many"};
    EXPECT(export_args_parse_argv(&a, 5, (char *const *)w, &m) == 0);
    ExportRun *run = export_run_new(&a, false);
    Job *job = export_submit(runner, run);
    bool seen = false;
    double fraction = -1;
    for (int spin = 0; spin < 120000 && !seen; spin++) {
        JobInfo info;
        job_get_info(job, &info);
        if (job_state_finished(info.state)) break;
        if (strstr(info.stage, "ONNX: calibrate") && info.fraction >= 0) {
            seen = true;
            fraction = info.fraction;
        } else {
            usleep(1000);
        }
    }
    EXPECT_MSG(seen, "no calibration progress seen");
    EXPECT(fraction >= 0 && fraction < 1);
    EXPECT(job_cancel(job));
    Captured log;
    memset(&log, 0, sizeof log);
    JobState st = job_wait(job, 0, capture, &log, NULL);
    EXPECT_EQ_INT(st, JOB_CANCELLED);
    EXPECT_EQ_INT(run->status, EXPORT_CANCELLED);
    EXPECT_CONTAINS(log.text, "ONNX: collecting INT8 calibration images from 'data=many'");
    EXPECT_CONTAINS(log.text, "ONNX: calibration data: 12 images of the folder many");
    EXPECT(!strstr(log.text, "calibrated on"));
    EXPECT(!file_exists("yolov8n_int8.onnx"));
    EXPECT_EQ_INT(count_temporaries("."), 0);
    export_run_free(run);
    jobs_free(runner);
    if (chdir(cwd) != 0) printf("# could not go back to %s\n", cwd);
}

/* ---- the accuracy check, on a graph made to lose accuracy ----------------------------------- */

typedef struct {
    const Graph *src, *written;
    const char *data;
    CheckStatus status;
    Report report;
    double map, map_ref;
} AccuracyProbe;

static int accuracy_body(Job *job, void *user, char *err, size_t errlen)
{
    AccuracyProbe *p = user;
    ExportArgs args;
    export_args_init(&args);
    args.imgsz.n = 2;
    args.imgsz.v[0] = args.imgsz.v[1] = 160;
    const FormatInfo *fi = registry_find("onnx");
    ExportCtx ctx = {.job = job, .args = &args, .given = &args, .fmt = fi, .source = p->src, .model_path = "probe.pt",
                     .out_base = "probe", .pretty_name = "Probe", .report = &p->report};
    ExportStage st;
    export_stage_begin(&st, &ctx, "Probe", true);
    ExportInt8 q;
    memset(&q, 0, sizeof q);
    int rc = calib_set_open(p->data, "val", 1.0, &q.set, err, errlen);
    if (rc == 0) {
        p->status = export_int8_accuracy(&st, &q, p->written, err, errlen);
        p->map = st.map;
        p->map_ref = st.map_ref;
    }
    export_int8_free(&q);
    export_stage_end(&st, rc);
    return rc;
}

static CheckStatus run_accuracy(const Graph *src, const Graph *written, const char *data, AccuracyProbe *p)
{
    memset(p, 0, sizeof *p);
    p->src = src;
    p->written = written;
    p->data = data;
    p->status = CHECK_FAILED;
    report_init(&p->report, "probe.pt", 0);
    JobRunner *runner = jobs_new(&(JobRunnerOptions){.workers = 1});
    Job *job = job_submit(runner, "accuracy", accuracy_body, p, NULL);
    EXPECT_EQ_INT(job_wait(job, 0, NULL, NULL, NULL), JOB_DONE);
    jobs_free(runner);
    return p->status;
}

static void test_accuracy_check(void)
{
    if (!coco8() || !file_exists(coco8()) || !file_exists(shared_path("models/yolov8n.pt"))) {
        SKIP("../shared is absent");
        return;
    }
    char err[1024];
    LoadOptions lo = {.fuse = true, .imgsz = {160, 160}, .batch = 1};
    Graph *src = model_load(shared_path("models/yolov8n.pt"), &lo, err, sizeof err);
    EXPECT_MSG(src != NULL, "%s", err);
    if (!src) return;
    AccuracyProbe p;
    /* the model itself: no drop, passed, the figures on the artifact's report */
    EXPECT_EQ_INT(run_accuracy(src, src, coco8(), &p), CHECK_PASSED);
    EXPECT(p.report.n_checks == 1 && !strcmp(p.report.checks[0].name, "accuracy"));
    if (p.report.n_checks) {
        EXPECT_CONTAINS(p.report.checks[0].detail, "(+0.000 vs fp32 ");
        EXPECT_CONTAINS(p.report.checks[0].detail, "on coco8.yaml val, 4 images at 160");
    }
    EXPECT(p.map > 0.1 && p.map == p.map_ref);
    report_free(&p.report);
    /* its box regression zeroed: the drop is more than 0.05, written but failed (❎) */
    Graph *bad = export_graph_clone(src);
    for (int i = 0; i < bad->n_tensors; i++) {
        Tensor *t = &bad->tensors[i];
        if (!t->data || t->dtype != DT_F32 || !strstr(t->name, "model.22.cv2.")) continue;
        float *z = arena_alloc(bad->arena, t->nbytes);
        memset(z, 0, t->nbytes);
        t->data = z;
    }
    EXPECT_EQ_INT(run_accuracy(src, bad, coco8(), &p), CHECK_WRITTEN_FAILED);
    if (p.report.n_checks) {
        EXPECT_EQ_INT(p.report.checks[0].status, CHECK_WRITTEN_FAILED);
        EXPECT_CONTAINS(p.report.checks[0].detail, "; it drops by more than 0.05");
        EXPECT_CONTAINS(p.report.checks[0].detail, "(\u2212");
    }
    EXPECT(p.map_ref - p.map > 0.05);
    report_free(&p.report);
    /* a folder of images has no labels: skipped, and said why */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/imgs", tmpdir);
    EXPECT_EQ_INT(run_accuracy(src, src, dir, &p), CHECK_SKIPPED);
    if (p.report.n_checks) EXPECT_CONTAINS(p.report.checks[0].detail, "is a folder of images without labels");
    report_free(&p.report);
    graph_free(bad);
    graph_free(src);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-quant-XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    RUN(test_dataset_split_and_fraction);
    RUN(test_folder_and_corrupt_image);
    RUN(test_collect_ranges);
    RUN(test_collect_skips_corrupt);
    RUN(test_arithmetic);
    RUN(test_plan_yolov8n);
    RUN(test_export_progress_and_cancel);
    RUN(test_accuracy_check);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
    return check_done();
}
