/* The export pipeline as a job, end to end on the built-in yolov8n.yaml at a small imgsz
 * (fast under ASan): files, statuses, log lines, the report and the job's results, an
 * unavailable format, a failure that must leave an existing file alone, cancellation,
 * and nms + half + dynamic read back through our ONNX reader. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/export/export.h"
#include "engine/jobs/jobs.h"
#include "engine/core/fileio.h"
#include "formats/onnx.h"
#include "tests/check.h"
#include "tests/export_fixture.h"

static JobRunner *runner;
static char tmpdir[PATH_MAX];



static void test_export_yaml_small(void)
{
    Captured log;
    JobState st;
    const char *w[] = {"model=yolov8n.yaml", "format=onnx", "imgsz=64"};
    unlink("yolov8n.onnx");
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(st, JOB_DONE);
    EXPECT_EQ_INT(run->status, EXPORT_OK);
    EXPECT_EQ_INT(run->model_loads, 1); /* read and built once, at imgsz=64 (not 640 first) */
    EXPECT_EQ_STR(run->last_path, "yolov8n.onnx");
    EXPECT(file_exists("yolov8n.onnx"));
    EXPECT(count_temporaries(".") == 0);
    EXPECT_CONTAINS(log.text, "PyTorch: starting from 'yolov8n.yaml' with input shape (1, 3, 64, 64) BCHW and output "
                              "shape(s) (1, 84, 84) (0.0 MB)");
    EXPECT_CONTAINS(log.text, "ONNX: starting export with onnx yoloport-");
    EXPECT_CONTAINS(log.text, "ONNX: export success ✅");
    EXPECT_CONTAINS(log.text, "saved as 'yolov8n.onnx'");
    EXPECT_CONTAINS(log.text, "Predict:         yolo predict task=detect model=yolov8n.onnx imgsz=64  \n");
    EXPECT_CONTAINS(log.text, "Validate:        yolo val task=detect model=yolov8n.onnx imgsz=64 data=None  \n");
    EXPECT_EQ_INT(run->report.n_artifacts, 1);
    if (run->report.n_artifacts == 1) {
        EXPECT_EQ_STR(run->report.artifacts[0].precision.text, "fp32");
        EXPECT_EQ_INT(run->report.artifacts[0].status, CHECK_PASSED);
        EXPECT(run->report.artifacts[0].bytes > 10000000);
    }
    EXPECT_EQ_INT(run->report.n_checks, 2);
    for (int i = 0; i < run->report.n_checks; i++) EXPECT_EQ_INT(run->report.checks[i].status, CHECK_PASSED);
    /* the job's results for the workbench */
    Job *job = jobs_at(runner, jobs_count(runner) - 1);
    JobResults *res = job_results_copy(job);
    EXPECT_EQ_INT(res->n_artifacts, 1);
    EXPECT_EQ_INT(res->n_checks, 2);
    if (res->n_artifacts) EXPECT_EQ_STR(res->artifacts[0].precision, "fp32");
    if (res->n_checks > 1) {
        EXPECT_EQ_INT(res->checks[1].status, JOB_CHECK_PASS);
        EXPECT_CONTAINS(res->checks[1].name, "numeric");
    }
    job_results_free(res);
    export_run_free(run);
}

static void test_unavailable_format_writes_nothing(void)
{
    Captured log;
    JobState st;
    const char *w[] = {"model=yolov8n.yaml", "format=coreml", "imgsz=64"};
    unlink("yolov8n.mlpackage");
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(st, JOB_FAILED);
    EXPECT_EQ_INT(run->status, EXPORT_FAILED);
    EXPECT_CONTAINS(run->error, "not available in this build");
    EXPECT(!file_exists("yolov8n.mlpackage"));
    EXPECT_EQ_INT(run->report.n_artifacts, 0);
    export_run_free(run);
}

static void test_failure_leaves_existing_file(void)
{
    FILE *f = fopen("yolov8n.onnx", "w");
    fputs("previous", f);
    fclose(f);
    Captured log;
    JobState st;
    /* fails in the ONNX stage itself: obb has no in-graph NMS here */
    const char *w[] = {"model=yolov8n-obb.yaml", "format=onnx", "imgsz=64", "nms=True"};
    FILE *g = fopen("yolov8n-obb.onnx", "w");
    fputs("previous", g);
    fclose(g);
    ExportRun *run = export_words(runner, &log, &st, w, 4);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(run->status, EXPORT_FAILED);
    EXPECT_CONTAINS(run->error, "rotated");
    EXPECT_CONTAINS(log.text, "ERROR ❌ ONNX: export failure");
    char buf[64] = "";
    g = fopen("yolov8n-obb.onnx", "r");
    if (g) {
        if (!fgets(buf, sizeof buf, g)) buf[0] = '\0';
        fclose(g);
    }
    EXPECT_EQ_STR(buf, "previous");
    EXPECT(count_temporaries(".") == 0);
    export_run_free(run);
    unlink("yolov8n-obb.onnx");
}

static void test_cancel_writes_nothing(void)
{
    bool committed;
    const char *bad = export_cancel_once_running(runner, "onnx", "yolov8s.onnx", &committed);
    EXPECT_MSG(bad == NULL, "%s", bad);
    if (committed) SKIP("the export committed before the cancel arrived");
}

static void test_nms_half_dynamic_read_back(void)
{
    Captured log;
    JobState st;
    const char *w[] = {"model=yolov8n.yaml", "format=onnx", "imgsz=64", "nms=True", "half=True", "dynamic=True",
                       "batch=2"};
    ExportRun *run = export_words(runner, &log, &st, w, 7);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(run->status, EXPORT_OK);
    EXPECT_EQ_INT(run->model_loads, 1); /* imgsz, batch and dynamic all decided before the one build */
    EXPECT_CONTAINS(log.text, "output shape(s) (2, 84, 6)");
    EXPECT_CONTAINS(log.text, "no GPU is needed");
    if (run->report.n_artifacts == 1) EXPECT_EQ_STR(run->report.artifacts[0].precision.text, "fp16");
    char err[256];
    Graph *g = onnx_read("yolov8n.onnx", err, sizeof err);
    EXPECT(g != NULL);
    if (g) {
        const Tensor *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
        EXPECT_EQ_STR(in->name, "images");
        EXPECT_EQ_INT(in->dtype, DT_F16);
        EXPECT_EQ_STR(in->dim_names[0], "batch");
        EXPECT_EQ_STR(in->dim_names[2], "height");
        EXPECT_EQ_STR(in->dim_names[3], "width");
        EXPECT_EQ_STR(out->name, "output0");
        EXPECT_EQ_INT(out->dtype, DT_F16);
        EXPECT_EQ_STR(out->dim_names[0], "batch");
        EXPECT(out->dim_names[1] == NULL);
        EXPECT_EQ_INT(out->dims[1], 84);
        EXPECT_EQ_INT(out->dims[2], 6);
        EXPECT_EQ_STR(graph_meta_prop(g, "args"),
                      "{'batch': 2, 'half': True, 'dynamic': True, 'simplify': True, 'opset': None, 'nms': True}");
        EXPECT_EQ_STR(graph_meta_prop(g, "batch"), "2");
        graph_free(g);
    }
    export_run_free(run);
}

/* The check stage's progress moves while the written model runs (not one value until done). */
static void test_check_progress_moves(void)
{
    ExportArgs a;
    export_args_init(&a);
    const char *w[] = {"model=yolov8n.yaml", "format=onnx", "imgsz=128", "half=True", "name=progress"};
    export_args_parse_argv(&a, 5, (char *const *)w, NULL);
    ExportRun *run = export_run_new(&a, false);
    Job *job = export_submit(runner, run);
    double seen[64];
    int n_seen = 0;
    while (!job_state_finished(job_state(job))) {
        JobInfo info;
        job_get_info(job, &info);
        if (strstr(info.stage, "verify") && info.fraction > 0.7 && info.fraction < 0.96) {
            bool known = false;
            for (int i = 0; i < n_seen; i++) known |= seen[i] == info.fraction;
            if (!known && n_seen < 64) seen[n_seen++] = info.fraction;
        }
        usleep(200);
    }
    job_wait(job, 0, NULL, NULL, NULL);
    EXPECT_EQ_INT(run->status, EXPORT_OK);
    EXPECT_MSG(n_seen >= 3, "the check's progress took %d values between 70%% and 96%%", n_seen);
    export_run_free(run);
}

int main(void)
{
    char share[PATH_MAX];
    if (!getenv("YOLOPORT_SHARE") && realpath("share", share)) setenv("YOLOPORT_SHARE", share, 1);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-export-XXXXXX");
    if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0) {
        printf("FAIL setup: cannot make a temporary directory\n");
        return 1;
    }
    JobRunnerOptions ro = {.workers = 1};
    runner = jobs_new(&ro);
    RUN(test_export_yaml_small);
    RUN(test_unavailable_format_writes_nothing);
    RUN(test_failure_leaves_existing_file);
    RUN(test_cancel_writes_nothing);
    RUN(test_nms_half_dynamic_read_back);
    RUN(test_check_progress_moves);
    jobs_free(runner);
    if (chdir("/") == 0) fileio_remove_tree(tmpdir);
    return check_done();
}
