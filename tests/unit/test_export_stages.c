/* The writer stages wired into the export pipeline (TorchScript, OpenVINO, TF.js) and the
 * code they share (engine/export/export_stage.c): Python-literal metadata as JSON, the numeric
 * check against the source (it passes on the same weights and fails on changed ones),
 * temporaries and commits, and each stage through a real export job on the built-in
 * configs at a small imgsz (fast under ASan): files with the peer's names, metadata, the
 * report's checks, half, the refusals (optimize, nms, int8 without data) that write nothing and leave
 * an existing output alone, and cancellation. */
#include <json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/export/export.h"
#include "engine/export/export_stage.h"
#include "engine/core/fileio.h"
#include "engine/jobs/jobs.h"
#include "engine/exec/exec.h"
#include "engine/registry/model.h"
#include "engine/core/npy.h"
#include "formats/openvino.h"
#include "engine/registry/registry.h"
#include "formats/tfjs.h"
#include "formats/torchscript.h"
#include "tests/check.h"
#include "tests/export_fixture.h"

static JobRunner *runner;
static char tmpdir[PATH_MAX];
static const char *shared; /* ../shared (models, peer references) or NULL */



static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static bool file_has_text(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return !strcmp(buf, text);
}

/* ---- Python literals as JSON ---------------------------------------------------------- */

static void expect_json(const char *py, const char *want)
{
    char err[256] = "";
    char *got = export_stage_py_to_json(py, err, sizeof err);
    EXPECT_MSG(got && !strcmp(got, want), "%s -> %s (%s), wanted %s", py, got ? got : "NULL", err, want);
    free(got);
}

static void expect_not_json(const char *py, const char *why)
{
    char err[256] = "";
    char *got = export_stage_py_to_json(py, err, sizeof err);
    EXPECT_MSG(!got, "%s was accepted as %s", py, got ? got : "");
    if (!got) EXPECT_CONTAINS(err, why);
    free(got);
}

static void test_py_literals_as_json(void)
{
    expect_json("{0: 'person', 1: 'bicycle'}", "{\"0\": \"person\", \"1\": \"bicycle\"}");
    expect_json("{'batch': 1, 'half': False, 'optimize': True, 'opset': None, 'nms': False}",
                "{\"batch\": 1, \"half\": false, \"optimize\": true, \"opset\": null, \"nms\": false}");
    expect_json("[640, 640]", "[640, 640]");
    expect_json("(17, 3)", "[17, 3]");
    expect_json("(1,)", "[1]");
    expect_json("{}", "{}");
    expect_json("32", "32");
    expect_json("-3", "-3");
    expect_json("{'fraction': 1.0, 'conf': 0.25, 'e': 1e-05, 'w': 2.}", "{\"fraction\": 1.0, \"conf\": 0.25, \"e\": 1e-05, \"w\": 2.0}");
    /* repr's quoting and escapes: "it's", backslashes, control characters, non-ASCII */
    expect_json("{0: \"it's\", 1: 'a\\\\b', 2: 'tab\\there', 3: 'caf\xc3\xa9', 4: '\\xe9\\u20ac', 5: 'say \"hi\"'}",
                "{\"0\": \"it's\", \"1\": \"a\\\\b\", \"2\": \"tab\\u0009here\", \"3\": \"caf\xc3\xa9\", \"4\": "
                "\"\xc3\xa9\xe2\x82\xac\", \"5\": \"say \\\"hi\\\"\"}");
    expect_not_json("{0: 'person'", "expected ','");
    expect_not_json("{0: 'person'}}", "unexpected text");
    expect_not_json("os.system('x')", "not a value");
    expect_not_json("{1.5: 'x'}", "dict key");
    expect_not_json("'abc", "unterminated");
    expect_not_json("'\\q'", "unknown escape");
    expect_not_json("'\\ud800'", "surrogate");
    expect_not_json("", "not a value");
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 199);
    deep[399] = '\0';
    expect_not_json(deep, "nesting too deep");
}

static void test_metadata_json_from_props(void)
{
    Graph *g = graph_new();
    graph_meta_add_prop(g, "description", "Ultralytics YOLOv8n model trained on coco.yaml");
    graph_meta_add_prop(g, "version", "8.3.185");
    graph_meta_add_prop(g, "task", "None"); /* a str key stays a str even when it reads as a literal */
    graph_meta_add_prop(g, "stride", "32");
    graph_meta_add_prop(g, "imgsz", "[640, 640]");
    graph_meta_add_prop(g, "names", "{0: 'person'}");
    graph_meta_add_prop(g, "args", "{'batch': 1, 'half': True}");
    Arena *a = arena_new();
    int n = 0;
    char err[256];
    KeyValue *kv = export_stage_meta_json(g, a, &n, err, sizeof err);
    EXPECT(kv != NULL);
    EXPECT_EQ_INT(n, 7);
    if (kv && n == 7) {
        EXPECT_EQ_STR(kv[0].value, "\"Ultralytics YOLOv8n model trained on coco.yaml\"");
        EXPECT_EQ_STR(kv[1].value, "\"8.3.185\"");
        EXPECT_EQ_STR(kv[2].value, "\"None\"");
        EXPECT_EQ_STR(kv[3].value, "32");
        EXPECT_EQ_STR(kv[4].value, "[640, 640]");
        EXPECT_EQ_STR(kv[5].value, "{\"0\": \"person\"}");
        EXPECT_EQ_STR(kv[6].value, "{\"batch\": 1, \"half\": true}");
        /* what TorchScript's extra/config.txt makes of it */
        char *cfg = torchscript_metadata_json(kv, n, err, sizeof err);
        EXPECT(cfg != NULL);
        if (cfg) EXPECT_CONTAINS(cfg, "\"imgsz\": [640, 640], \"names\": {\"0\": \"person\"}, \"args\": {\"batch\": 1, \"half\": true}}");
        free(cfg);
    }
    json_object *o = export_stage_meta_object(g, err, sizeof err);
    EXPECT(o != NULL);
    if (o) {
        EXPECT_EQ_INT(json_object_object_length(o), 7);
        json_object *names = NULL, *half = NULL, *args = NULL;
        EXPECT(json_object_object_get_ex(o, "names", &names) && json_object_is_type(names, json_type_object));
        EXPECT(json_object_object_get_ex(o, "args", &args) && json_object_object_get_ex(args, "half", &half) &&
               json_object_is_type(half, json_type_boolean));
        json_object_put(o);
    }
    /* a value that is not a literal is an error naming the key */
    graph_meta_add_prop(g, "kpt_shape", "[17, 3");
    kv = export_stage_meta_json(g, a, &n, err, sizeof err);
    EXPECT(kv == NULL);
    EXPECT_CONTAINS(err, "metadata 'kpt_shape'");
    arena_free(a);
    graph_free(g);
}

/* ---- the shared stage parts, driven inside a job --------------------------------------- */

typedef struct {
    const Graph *src;
    bool perturb;      /* change one weight of the "written" graph */
    CheckStatus status;
    double worst;
    Report report;
    bool temp_gone_after_end, committed;
    char out_path[4096];
} StageProbe;

static int probe_body(Job *job, void *user, char *err, size_t errlen)
{
    StageProbe *p = user;
    ExportArgs args;
    export_args_init(&args);
    args.imgsz.n = 2;
    args.imgsz.v[0] = args.imgsz.v[1] = 64;
    const FormatInfo *fi = registry_find("torchscript");
    ExportCtx ctx = {.job = job, .args = &args, .given = &args, .fmt = fi, .source = p->src, .model_path = "probe.pt",
                     .out_base = "probe", .pretty_name = "Probe", .report = &p->report};
    ExportStage st;
    export_stage_begin(&st, &ctx, "Probe", true);
    int rc = -1;
    Graph *w = export_stage_graph(&st, err, errlen);
    if (!w) goto out;
    if (p->perturb) { /* the first float weight with data, scaled: a different model */
        for (int i = 0; i < w->n_tensors; i++) {
            Tensor *t = &w->tensors[i];
            if (t->is_param && t->data && t->dtype == DT_F32 && tensor_numel(t) > 100) {
                float *copy = arena_alloc(w->arena, t->nbytes);
                memcpy(copy, t->data, t->nbytes);
                for (int64_t k = 0; k < tensor_numel(t); k++) copy[k] *= 1.5f;
                t->data = copy;
                break;
            }
        }
    }
    p->status = export_stage_numeric(&st, w, "images", "probe", &p->worst, err, errlen);
    if (export_stage_out_path(&st, ".probe", err, errlen) != 0 || export_stage_temp_dir(&st, err, errlen) != 0) goto out;
    char *file = xasprintf("%s/probe.probe", st.temp_dir);
    write_text(file, "new");
    free(file);
    if (!p->perturb) {
        if (export_stage_commit_file(&st, "probe.probe", err, errlen) != 0) goto out;
        p->committed = true;
    }
    snprintf(p->out_path, sizeof p->out_path, "%s", ctx.out_path);
    rc = 0;
out:
    export_stage_end(&st, rc);
    p->temp_gone_after_end = st.temp_dir == NULL && count_temporaries(".") == 0;
    graph_free(w);
    return rc;
}

static void test_numeric_check_and_temporaries(void)
{
    char err[512];
    LoadOptions lo = {.imgsz = {64, 64}, .batch = 1, .fuse = true};
    Graph *src = model_load("yolov8n.yaml", &lo, err, sizeof err);
    EXPECT_MSG(src != NULL, "%s", err);
    if (!src) return;
    write_text("probe.probe", "previous");
    for (int perturb = 0; perturb < 2; perturb++) {
        StageProbe p = {.src = src, .perturb = perturb};
        report_init(&p.report, "probe.pt", 0);
        Job *job = job_submit(runner, "probe", probe_body, &p, NULL);
        JobState st = job_wait(job, 0, NULL, NULL, NULL);
        EXPECT_EQ_INT(st, JOB_DONE);
        EXPECT(p.temp_gone_after_end);
        EXPECT_EQ_INT(p.report.n_checks, 1);
        if (!perturb) {
            /* the same weights: the source's graph node for node, so nothing needs to run */
            EXPECT_EQ_INT(p.status, CHECK_PASSED);
            EXPECT_NEAR(p.worst, 0.0, 0.0);
            EXPECT(p.committed);
            EXPECT(file_has_text("probe.probe", "new"));
            if (p.report.n_checks) {
                EXPECT_CONTAINS(p.report.checks[0].detail, "probe: output0 max |Δ| 0 ");
                EXPECT_CONTAINS(p.report.checks[0].detail, "node for node the source's graph: 175 nodes");
                EXPECT(!strstr(p.report.checks[0].detail, "fixed input"));
            }
        } else {
            /* one layer's weights x1.5: the check fails and says by how much */
            EXPECT_EQ_INT(p.status, CHECK_WRITTEN_FAILED);
            EXPECT(p.worst > 0.01);
            if (p.report.n_checks) {
                EXPECT_EQ_INT(p.report.checks[0].status, CHECK_WRITTEN_FAILED);
                /* the changed weights are found before anything runs, then both graphs run */
                EXPECT_CONTAINS(p.report.checks[0].detail, "not the source's graph node for node: node '");
                EXPECT_CONTAINS(p.report.checks[0].detail, "fixed input 1x3x64x64");
            }
            write_text("probe.probe", "previous");
        }
        report_free(&p.report);
    }
    /* not committed: the earlier file stays, the temporary is gone */
    EXPECT(file_has_text("probe.probe", "previous"));
    unlink("probe.probe");
    graph_free(src);
}

/* ---- the registry rows ---------------------------------------------------------------- */

static void test_registry_rows(void)
{
    const FormatInfo *ts = registry_find("torchscript");
    EXPECT(ts && ts->write != NULL && ts->unavailable_reason == NULL);
    if (ts) EXPECT_EQ_STR(ts->peer_args, "batch, optimize, half, nms, dynamic");
    const FormatInfo *ov = registry_find("openvino"), *tj = registry_find("tfjs");
    if (ov) EXPECT_EQ_STR(ov->peer_args, "batch, dynamic, half, int8, nms, fraction");
    if (tj) EXPECT_EQ_STR(tj->peer_args, "batch, half, int8, nms");
}

/* ---- TorchScript through the pipeline ------------------------------------------------- */

static void test_torchscript_export(void)
{
    Captured log;
    JobState st;
    unlink("yolov8n.torchscript");
    const char *w[] = {"model=yolov8n.yaml", "format=torchscript", "imgsz=64"};
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(st, JOB_DONE);
    EXPECT_EQ_INT(run->status, EXPORT_OK);
    EXPECT_EQ_STR(run->last_path, "yolov8n.torchscript");
    EXPECT(file_exists("yolov8n.torchscript"));
    EXPECT_EQ_INT(count_temporaries("."), 0);
    EXPECT_CONTAINS(log.text, "\nTorchScript: starting export with torch yoloport-");
    EXPECT_CONTAINS(log.text, "TorchScript: check against the source ✅ passed: ");
    EXPECT_CONTAINS(log.text, "TorchScript: check against the source ✅ passed: the archive read back (forward() and ");
    EXPECT_CONTAINS(log.text, " MB): output0 max |Δ| 0 (node for node the source's graph: ");
    EXPECT_CONTAINS(log.text, "TorchScript: export success ✅ ");
    EXPECT_CONTAINS(log.text, "saved as 'yolov8n.torchscript' (");
    EXPECT_CONTAINS(log.text, "Predict:         yolo predict task=detect model=yolov8n.torchscript imgsz=64  \n");
    EXPECT_EQ_INT(run->report.n_artifacts, 1);
    if (run->report.n_artifacts == 1) {
        EXPECT_EQ_STR(run->report.artifacts[0].format, "TorchScript");
        EXPECT_EQ_STR(run->report.artifacts[0].precision.text, "fp32");
        EXPECT_EQ_INT(run->report.artifacts[0].status, CHECK_PASSED);
        EXPECT(run->report.artifacts[0].bytes > 12000000);
    }
    EXPECT_EQ_INT(run->report.n_checks, 2);
    for (int i = 0; i < run->report.n_checks; i++) EXPECT_EQ_INT(run->report.checks[i].status, CHECK_PASSED);
    if (run->report.n_checks == 2) {
        EXPECT_EQ_STR(run->report.checks[0].name, "interface");
        EXPECT_CONTAINS(run->report.checks[0].detail, "__torch__.yoloport.DetectionModel");
        EXPECT_EQ_STR(run->report.checks[1].name, "numeric");
    }
    /* the archive: metadata in extra/config.txt as the peer writes it */
    TorchScriptInfo info;
    char err[512];
    EXPECT_MSG(torchscript_inspect("yolov8n.torchscript", &info, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_STR(info.archive_name, "yolov8n");
    EXPECT_EQ_INT(info.imgsz[0], 64);
    EXPECT_EQ_INT(info.stride, 32);
    EXPECT_EQ_INT(info.n_names, 80);
    EXPECT_EQ_INT(info.dtype, DT_F32);
    EXPECT_CONTAINS(info.metadata, "{\"description\": \"Ultralytics YOLOv8n model \", \"author\": \"Ultralytics\", \"date\": \"");
    EXPECT_CONTAINS(info.metadata, "\"version\": \"8.3.185\", \"license\": \"AGPL-3.0 License (https://ultralytics.com/license)\"");
    EXPECT_CONTAINS(info.metadata, "\"stride\": 32, \"task\": \"detect\", \"batch\": 1, \"imgsz\": [64, 64], \"names\": {\"0\": \"0\", \"1\": \"1\",");
    EXPECT_CONTAINS(info.metadata,
                    "\"args\": {\"batch\": 1, \"half\": false, \"optimize\": false, \"dynamic\": false, \"nms\": false}, "
                    "\"channels\": 3}");
    torchscript_info_free(&info);
    export_run_free(run);
}

static void test_torchscript_half_dynamic(void)
{
    Captured log;
    JobState st;
    const char *w[] = {"model=yolov8n.yaml", "format=torchscript", "imgsz=64", "half=True", "dynamic=True", "batch=2"};
    ExportRun *run = export_words(runner, &log, &st, w, 6);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(run->status, EXPORT_OK);
    EXPECT_CONTAINS(log.text, "TorchScript: half=True: float16 weights");
    EXPECT_CONTAINS(log.text, " MB), computed in float16: output0 max |Δ| ");
    EXPECT_CONTAINS(log.text, "fixed input 2x3x64x64");
    if (run->report.n_artifacts == 1) {
        EXPECT_EQ_STR(run->report.artifacts[0].precision.text, "fp16");
        EXPECT_EQ_INT(run->report.artifacts[0].status, CHECK_PASSED);
        EXPECT(run->report.artifacts[0].bytes < 7000000);
    }
    TorchScriptInfo info;
    char err[512];
    EXPECT_MSG(torchscript_inspect("yolov8n.torchscript", &info, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(info.dtype, DT_F16);
    EXPECT_EQ_INT(info.batch, 2);
    EXPECT_CONTAINS(info.metadata, "\"args\": {\"batch\": 2, \"half\": true, \"optimize\": false, \"dynamic\": true, \"nms\": false}");
    torchscript_info_free(&info);
    export_run_free(run);
}

/* A refused export: failed, the message says why, nothing new on disk, an existing output
 * of that name untouched. */
static void expect_refused(const char *const *w, int n, const char *out, const char *why)
{
    write_text(out, "previous");
    Captured log;
    JobState st;
    ExportRun *run = export_words(runner, &log, &st, w, n);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(st, JOB_FAILED);
    EXPECT_EQ_INT(run->status, EXPORT_FAILED);
    EXPECT_CONTAINS(run->error, why);
    EXPECT_CONTAINS(log.text, "export failure");
    EXPECT(file_has_text(out, "previous"));
    EXPECT_EQ_INT(count_temporaries("."), 0);
    EXPECT_EQ_INT(run->report.n_artifacts, 0);
    export_run_free(run);
    unlink(out);
}

static void test_torchscript_refusals(void)
{
    const char *opt[] = {"model=yolov8n.yaml", "format=torchscript", "imgsz=64", "optimize=True"};
    expect_refused(opt, 4, "yolov8n.torchscript", "optimize=True is not available in this build");
    const char *nms[] = {"model=yolov8n.yaml", "format=torchscript", "imgsz=64", "nms=True"};
    expect_refused(nms, 4, "yolov8n.torchscript", "nms=True is not available for TorchScript in this build");
}

/* ---- OpenVINO through the pipeline ---------------------------------------------------- */

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    Vec v = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++) vec_push(&v, 1, &buf[i]);
    fclose(f);
    vec_push(&v, 1, "");
    return v.items;
}

static void test_openvino_export(void)
{
    /* an earlier export of the same name (its files, older contents) is replaced as a whole;
     * while the folder also holds a file no export writes (the user's), it is not touched */
    mkdir("yolov8n_openvino_model", 0755);
    write_text("yolov8n_openvino_model/yolov8n.bin", "previous");
    write_text("yolov8n_openvino_model/notes.txt", "mine");
    Captured log;
    JobState st;
    const char *w[] = {"model=yolov8n.yaml", "format=openvino", "imgsz=64"};
    ExportRun *kept = export_words(runner, &log, &st, w, 3);
    EXPECT(kept && kept->status == EXPORT_FAILED);
    if (kept) EXPECT_CONTAINS(kept->error, "yolov8n_openvino_model: holds notes.txt, which an export does not write");
    char *notes = read_all("yolov8n_openvino_model/notes.txt"), *prev = read_all("yolov8n_openvino_model/yolov8n.bin");
    EXPECT(notes && !strcmp(notes, "mine") && prev && !strcmp(prev, "previous"));
    free(notes);
    free(prev);
    EXPECT_EQ_INT(count_temporaries("."), 0);
    if (kept) export_run_free(kept);
    unlink("yolov8n_openvino_model/notes.txt");
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(st, JOB_DONE);
    EXPECT_EQ_INT(run->status, EXPORT_OK);
    EXPECT_EQ_STR(run->last_path, "yolov8n_openvino_model");
    EXPECT(file_exists("yolov8n_openvino_model/yolov8n.xml"));
    EXPECT(file_exists("yolov8n_openvino_model/yolov8n.bin"));
    EXPECT(file_exists("yolov8n_openvino_model/metadata.yaml"));
    EXPECT(path_size("yolov8n_openvino_model/yolov8n.bin") > 12000000); /* replaced as a whole */
    struct stat sb;
    EXPECT(stat("yolov8n_openvino_model", &sb) == 0 && (sb.st_mode & 0777) == 0755);
    EXPECT_EQ_INT(count_temporaries("."), 0);
    EXPECT_CONTAINS(log.text, "\nOpenVINO: starting export with openvino yoloport-");
    EXPECT_CONTAINS(log.text, "OpenVINO: check against the source ✅ passed: the IR as read back: output0 max |Δ| 0 ");
    EXPECT_CONTAINS(log.text, "OpenVINO: export success ✅ ");
    EXPECT_CONTAINS(log.text, "saved as 'yolov8n_openvino_model' (");
    EXPECT_EQ_INT(run->report.n_artifacts, 1);
    if (run->report.n_artifacts == 1) {
        EXPECT_EQ_STR(run->report.artifacts[0].format, "OpenVINO");
        EXPECT_EQ_STR(run->report.artifacts[0].precision.text, "fp32");
        EXPECT(run->report.artifacts[0].bytes > 12000000);
    }
    EXPECT_EQ_INT(run->report.n_checks, 2);
    for (int i = 0; i < run->report.n_checks; i++) EXPECT_EQ_INT(run->report.checks[i].status, CHECK_PASSED);
    if (run->report.n_checks == 2)
        EXPECT_CONTAINS(run->report.checks[0].detail, "images float32 [1, 3, 64, 64] -> output0 float32 [1, 84, 84]");
    /* metadata.yaml: the peer's keys in the peer's order, as yaml.safe_dump writes them */
    char *yaml = read_all("yolov8n_openvino_model/metadata.yaml");
    EXPECT(yaml != NULL);
    if (yaml) {
        EXPECT(!strncmp(yaml, "description: 'Ultralytics YOLOv8n model '\nauthor: Ultralytics\ndate: '", 68));
        EXPECT_CONTAINS(yaml, "\nversion: 8.3.185\nlicense: AGPL-3.0 License (https://ultralytics.com/license)\n"
                              "docs: https://docs.ultralytics.com\nstride: 32\ntask: detect\nbatch: 1\nimgsz:\n- 64\n- 64\n"
                              "names:\n  0: '0'\n");
        EXPECT_CONTAINS(yaml, "args:\n  batch: 1\n  fraction: 1.0\n  half: false\n  int8: false\n  dynamic: false\n"
                              "  nms: false\nchannels: 3\n");
    }
    free(yaml);
    char err[512];
    Graph *g = openvino_read("yolov8n_openvino_model", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_STR(g->tensors[g->inputs[0]].name, "images");
        EXPECT_EQ_STR(g->tensors[g->outputs[0]].name, "output0");
        EXPECT_EQ_STR(graph_meta_prop(g, "args"),
                      "{'batch': 1, 'fraction': 1.0, 'half': False, 'int8': False, 'dynamic': False, 'nms': False}");
        graph_free(g);
    }
    export_run_free(run);
}

static void test_openvino_half_dynamic_nms(void)
{
    Captured log;
    JobState st;
    const char *w[] = {"model=yolov8n.yaml", "format=openvino", "imgsz=64", "half=True", "dynamic=True", "nms=True",
                       "batch=2"};
    ExportRun *run = export_words(runner, &log, &st, w, 7);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(run->status, EXPORT_OK);
    EXPECT_CONTAINS(log.text, "OpenVINO: half=True: float16 weights decompressed to float32");
    EXPECT_CONTAINS(log.text, "OpenVINO: NMS in the graph: conf 0.25, iou 0.70, max_det 300");
    EXPECT_CONTAINS(log.text, "NMS rows vs the reference NMS max |Δ| ");
    EXPECT_CONTAINS(log.text, "fixed input 2x3x64x64");
    if (run->report.n_artifacts == 1) {
        EXPECT_EQ_STR(run->report.artifacts[0].precision.text, "fp16");
        EXPECT_EQ_INT(run->report.artifacts[0].status, CHECK_PASSED);
        EXPECT(run->report.artifacts[0].bytes < 7000000);
    }
    char err[512];
    Graph *g = openvino_read("yolov8n_openvino_model/yolov8n.xml", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        const Tensor *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
        EXPECT(in->dims[0] < 0 && in->dims[2] < 0 && in->dims[3] < 0);
        EXPECT_EQ_INT(in->dims[1], 3);
        EXPECT_EQ_INT(out->rank, 3);
        EXPECT_EQ_INT(out->dims[2], 6);
        EXPECT_EQ_STR(graph_meta_prop(g, "args"),
                      "{'batch': 2, 'fraction': 1.0, 'half': True, 'int8': False, 'dynamic': True, 'nms': True}");
        graph_free(g);
    }
    export_run_free(run);
}

static void test_int8_needs_data(void)
{
    /* the peer would download coco8; yoloport refuses and says what to pass, writes nothing,
     * and an earlier export stays as it was */
    mkdir("yolov8n_int8_openvino_model", 0755);
    write_text("yolov8n_int8_openvino_model/yolov8n.xml", "previous");
    const char *fmts[] = {"format=openvino", "format=onnx"};
    for (size_t i = 0; i < ARRAY_LEN(fmts); i++) {
        Captured log;
        JobState st;
        const char *w[] = {"model=yolov8n.yaml", fmts[i], "imgsz=64", "int8=True"};
        ExportRun *run = export_words(runner, &log, &st, w, 4);
        EXPECT(run != NULL);
        if (!run) continue;
        EXPECT_EQ_INT(run->status, EXPORT_FAILED);
        EXPECT_CONTAINS(run->error, "int8=True needs calibration data: give data=<dataset.yaml>");
        EXPECT_CONTAINS(run->error, "or data=<folder of images>; yoloport does not download coco8.yaml");
        EXPECT(!strstr(log.text, "Using default 'data="));
        export_run_free(run);
    }
    EXPECT(file_has_text("yolov8n_int8_openvino_model/yolov8n.xml", "previous"));
    EXPECT(!file_exists("yolov8n_int8.onnx"));
    EXPECT_EQ_INT(count_temporaries("."), 0);
    fileio_remove_tree("yolov8n_int8_openvino_model");
}

/* The real yolov8n.pt as OpenVINO, read back and run on the peer's input: the peer's PyTorch
 * output within 0.05 px (boxes) and 1e-3 (scores). */
static void test_openvino_yolov8n_vs_peer(void)
{
    if (!shared) {
        SKIP("needs ../shared (models and peer references)");
        return;
    }
    char cmd[PATH_MAX + 64], path[PATH_MAX + 64], err[512];
    snprintf(cmd, sizeof cmd, "cp '%s/models/yolov8n.pt' peer_yolov8n.pt", shared);
    EXPECT(system(cmd) == 0);
    Captured log;
    JobState st;
    const char *w[] = {"model=peer_yolov8n.pt", "format=openvino", "verify=False"};
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run && run->status == EXPORT_UNCHECKED); /* verify=False: written, not checked */
    export_run_free(run);
    Graph *g = openvino_read("peer_yolov8n_openvino_model", err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    NpyArray in = {0}, want = {0};
    snprintf(path, sizeof path, "%s/reference/peer/yolov8n.input.npy", shared);
    EXPECT_MSG(npy_read(path, 1 << 26, &in, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/reference/peer/yolov8n.output.npy", shared);
    EXPECT_MSG(npy_read(path, 1 << 26, &want, err, sizeof err) == 0, "%s", err);
    float *x = npy_to_f32(&in, err, sizeof err), *y = npy_to_f32(&want, err, sizeof err);
    Exec *e = g && x ? exec_new(g, err, sizeof err) : NULL;
    EXPECT_MSG(e != NULL, "%s", err);
    if (e && y && exec_set_input(e, "images", x, in.dims, in.rank, err, sizeof err) == 0 &&
        exec_run(e, NULL, err, sizeof err) == 0) {
        int64_t d[GRAPH_MAX_RANK];
        int r;
        const float *got = exec_output(e, 0, d, &r);
        EXPECT(got && r == 3 && d[1] == 84 && d[2] == 8400 && want.numel == 84 * 8400);
        double box = 0, score = 0;
        for (int64_t c = 0; got && c < 84 && want.numel == 84 * 8400; c++)
            for (int64_t a = 0; a < 8400; a++) {
                double dd = fabs((double)got[c * 8400 + a] - (double)y[c * 8400 + a]);
                if (c < 4) box = dd > box ? dd : box;
                else score = dd > score ? dd : score;
            }
        EXPECT_MSG(box <= 0.05, "boxes max |diff| %g px", box);
        EXPECT_MSG(score <= 1e-3, "scores max |diff| %g", score);
        printf("# openvino yolov8n vs the peer's PyTorch output: boxes %.3g px, scores %.3g\n", box, score);
    } else {
        EXPECT_MSG(false, "%s", err);
    }
    exec_free(e);
    free(x);
    free(y);
    npy_free(&in);
    npy_free(&want);
    graph_free(g);
    fileio_remove_tree("peer_yolov8n_openvino_model");
    unlink("peer_yolov8n.pt");
}

/* ---- TF.js through the pipeline ------------------------------------------------------- */

static void test_tfjs_export(void)
{
    Captured log;
    JobState st;
    const char *w[] = {"model=yolov8n.yaml", "format=tfjs", "imgsz=64"};
    ExportRun *run = export_words(runner, &log, &st, w, 3);
    EXPECT(run != NULL);
    if (!run) return;
    EXPECT_EQ_INT(st, JOB_DONE);
    /* written, its structure checked, read back and run against the source */
    EXPECT_EQ_INT(run->status, EXPORT_OK);
    EXPECT_EQ_STR(run->last_path, "yolov8n_web_model");
    EXPECT(file_exists("yolov8n_web_model/model.json"));
    EXPECT(file_exists("yolov8n_web_model/group1-shard1of4.bin"));
    EXPECT(file_exists("yolov8n_web_model/metadata.yaml"));
    EXPECT_EQ_INT(count_temporaries("."), 0);
    EXPECT_CONTAINS(log.text, "\nTensorFlow.js: starting export with tensorflowjs yoloport-");
    EXPECT_CONTAINS(log.text, "TensorFlow.js: structure check ✅ passed: read back: model.json graph model, ");
    EXPECT_CONTAINS(log.text, "TensorFlow.js: check against the source ✅ passed: the TF.js model read back in our executor: output0 max |Δ| 0 ");
    EXPECT_CONTAINS(log.text, "TensorFlow.js: export success ✅ ");
    EXPECT_CONTAINS(log.text, "saved as 'yolov8n_web_model' (");
    EXPECT_EQ_INT(run->report.n_checks, 2);
    if (run->report.n_checks == 2) {
        EXPECT_EQ_INT(run->report.checks[0].status, CHECK_PASSED);
        EXPECT_EQ_INT(run->report.checks[1].status, CHECK_PASSED);
    }
    if (run->report.n_artifacts == 1) {
        EXPECT_EQ_STR(run->report.artifacts[0].format, "TensorFlow.js");
        EXPECT_EQ_STR(run->report.artifacts[0].precision.text, "fp32");
        EXPECT_EQ_INT(run->report.artifacts[0].status, CHECK_PASSED);
    }
    char err[512];
    TfjsSummary sum;
    EXPECT_MSG(tfjs_check_dir("yolov8n_web_model", &sum, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(sum.n_inputs, 1);
    EXPECT_EQ_INT(sum.n_outputs, 1);
    EXPECT(!sum.quantized);
    char *yaml = read_all("yolov8n_web_model/metadata.yaml");
    EXPECT(yaml != NULL);
    if (yaml) {
        EXPECT(!strncmp(yaml, "description: 'Ultralytics YOLOv8n model '\nauthor: Ultralytics\ndate: '", 68));
        EXPECT_CONTAINS(yaml, "\nstride: 32\ntask: detect\nbatch: 1\nimgsz:\n- 64\n- 64\nnames:\n  0: '0'\n");
        EXPECT_CONTAINS(yaml, "args:\n  batch: 1\n  half: false\n  int8: false\n  nms: false\nchannels: 3\n");
    }
    free(yaml);
    char *model = read_all("yolov8n_web_model/model.json");
    if (model) EXPECT_CONTAINS(model, "\"format\":");
    free(model);
    export_run_free(run);
}

static void test_tfjs_half_int8(void)
{
    const struct {
        const char *arg, *precision, *log;
    } cases[] = {
        {"half=True", "mixed (fp32 ", "half=True: float16 weight storage"},
        {"int8=True", "uint8 weights, float compute", "int8=True: uint8 weight storage"}, /* said honestly */
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        Captured log;
        JobState st;
        const char *w[] = {"model=yolov8n.yaml", "format=tfjs", "imgsz=64", cases[i].arg};
        ExportRun *run = export_words(runner, &log, &st, w, 4);
        EXPECT(run != NULL);
        if (!run) continue;
        /* float16 weights: read back and checked at half's tolerance; uint8: structure only */
        EXPECT_EQ_INT(run->status, i == 0 ? EXPORT_OK : EXPORT_UNCHECKED);
        EXPECT_CONTAINS(log.text, cases[i].log);
        if (run->report.n_artifacts == 1) {
            /* learned weights quantised; anchors and strides stay float32 (as the writer keeps them) */
            EXPECT_CONTAINS(run->report.artifacts[0].precision.text, cases[i].precision);
            if (i == 0) EXPECT_CONTAINS(run->report.artifacts[0].precision.text, "fp16 ");
            else EXPECT(run->report.artifacts[0].precision.bytes_i8 > 0 && run->report.artifacts[0].precision.bytes_f32 > 0);
            EXPECT(run->report.artifacts[0].bytes < (i == 0 ? 7000000 : 4000000));
        }
        char err[512];
        TfjsSummary sum;
        EXPECT_MSG(tfjs_check_dir("yolov8n_web_model", &sum, err, sizeof err) == 0, "%s", err);
        EXPECT(sum.quantized);
        export_run_free(run);
    }
}

static void test_tfjs_nms_refused(void)
{
    mkdir("yolov8n_web_model", 0755);
    write_text("yolov8n_web_model/model.json", "previous");
    const char *w[] = {"model=yolov8n.yaml", "format=tfjs", "imgsz=64", "nms=True"};
    expect_refused(w, 4, "yolov8n_web_model/model.json", "nms=True is not available for TensorFlow.js in this build");
    fileio_remove_tree("yolov8n_web_model");
}

static void test_torchscript_cancel_writes_nothing(void)
{
    bool committed;
    const char *bad = export_cancel_once_running(runner, "torchscript", "yolov8s.torchscript", &committed);
    EXPECT_MSG(bad == NULL, "%s", bad);
    if (committed) SKIP("the export committed before the cancel arrived");
}

int main(void)
{
    char share[PATH_MAX];
    if (!getenv("YOLOPORT_SHARE") && realpath("share", share)) setenv("YOLOPORT_SHARE", share, 1);
    static char shared_buf[PATH_MAX];
    const char *env = getenv("YOLOPORT_SHARED");
    if (env && *env) shared = env;
    else if (realpath("../shared/models", shared_buf) && realpath("../shared", shared_buf)) shared = shared_buf;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-stages-XXXXXX");
    if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0) {
        printf("FAIL setup: cannot make a temporary directory\n");
        return 1;
    }
    JobRunnerOptions ro = {.workers = 1};
    runner = jobs_new(&ro);
    RUN(test_py_literals_as_json);
    RUN(test_metadata_json_from_props);
    RUN(test_numeric_check_and_temporaries);
    RUN(test_registry_rows);
    RUN(test_torchscript_export);
    RUN(test_torchscript_half_dynamic);
    RUN(test_torchscript_refusals);
    RUN(test_torchscript_cancel_writes_nothing);
    RUN(test_openvino_export);
    RUN(test_openvino_half_dynamic_nms);
    RUN(test_int8_needs_data);
    RUN(test_openvino_yolov8n_vs_peer);
    RUN(test_tfjs_export);
    RUN(test_tfjs_half_int8);
    RUN(test_tfjs_nms_refused);
    jobs_free(runner);
    if (chdir("/") == 0) fileio_remove_tree(tmpdir);
    return check_done();
}
