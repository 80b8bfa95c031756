/* Tests for model_detect / model_load: the format comes from the content, never the name
 * (each registry row's recogniser),
 * and every bad input gives one message naming the file and the problem; a caller's decide
 * hook sees the model's metadata before the one build and settles it. */
#include <sys/stat.h>

#include "engine/registry/model.h"
#include "tests/check.h"

static char tmpdir[256];

static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int slot;
    char *b = buf[slot++ % 8];
    snprintf(b, 512, "%s/%s", tmpdir, name);
    return b;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (len) fwrite(data, 1, len, f);
    fclose(f);
}

static int copy_prefix(const char *from, const char *to, long max)
{
    FILE *in = fopen(from, "rb");
    if (!in) return -1;
    FILE *out = fopen(to, "wb");
    char buf[65536];
    size_t n;
    long total = 0;
    while ((max < 0 || total < max) && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (max >= 0 && total + (long)n > max) n = (size_t)(max - total);
        fwrite(buf, 1, n, out);
        total += (long)n;
    }
    fclose(in);
    fclose(out);
    return 0;
}

static void expect_refused(const char *path, const char *needle)
{
    char err[512] = "";
    FormatId f = model_detect(path, err, sizeof err);
    EXPECT_MSG(f == FMT_NONE || f == FMT_TORCHSCRIPT, "%s detected as %s", path, format_id_key(f));
    EXPECT_CONTAINS(err, path);
    EXPECT_CONTAINS(err, needle);
    char err2[512] = "";
    Graph *g = model_load(path, NULL, err2, sizeof err2);
    EXPECT(g == NULL);
    graph_free(g);
    EXPECT_CONTAINS(err2, needle);
}

static void test_bad_inputs(void)
{
    expect_refused(tmp("missing.pt"), "no such file");
    mkdir(tmp("adir"), 0755);
    expect_refused(tmp("adir"), "is a directory");
    write_file(tmp("empty.pt"), "", 0);
    expect_refused(tmp("empty.pt"), "empty file");
    unsigned char noise[4096];
    uint64_t s = 42;
    for (size_t i = 0; i < sizeof noise; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        noise[i] = (unsigned char)(s >> 56);
    }
    noise[0] = 0xde; /* not a protobuf field a ModelProto has */
    write_file(tmp("random.onnx"), noise, sizeof noise);
    expect_refused(tmp("random.onnx"), "not a model");
    const char *data_yaml = "path: ../datasets/coco8\ntrain: images/train\nval: images/val\nnames:\n  0: person\n";
    write_file(tmp("coco8.yaml"), data_yaml, strlen(data_yaml));
    expect_refused(tmp("coco8.yaml"), "without 'backbone' and 'head'");
    write_file(tmp("bad.yaml"), "backbone: [\n", 12);
    expect_refused(tmp("bad.yaml"), "not valid YAML");
    write_file(tmp("pic.pt"), "\xff\xd8\xff\xe0\x00\x10JFIF", 10);
    expect_refused(tmp("pic.pt"), "a JPEG image");
    write_file(tmp("zero.pt"), "PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);
    expect_refused(tmp("zero.pt"), "empty zip archive");
    /* a bare config name that is not built in */
    char err[512] = "";
    EXPECT_EQ_INT(model_detect("yolov99q.yaml", err, sizeof err), FMT_NONE);
    EXPECT_CONTAINS(err, "not a built-in model config");
}

static void test_builtin_config(void)
{
    char err[512] = "";
    EXPECT_EQ_INT(model_detect("yolov8n.yaml", err, sizeof err), FMT_YAML);
    EXPECT_EQ_INT(model_detect("yolo11x-obb.yaml", err, sizeof err), FMT_YAML);
    LoadOptions o = {0};
    o.shapes_only = true;
    o.fuse = true;
    Graph *g = model_load("yolov8n.yaml", &o, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_STR(format_id_key(g->meta.source_format), "yaml");
        EXPECT_EQ_STR(g->meta.model_name, "YOLOv8n");
        EXPECT_EQ_INT(g->meta.summary.layers, 129);
        for (int i = 0; i < g->n_nodes; i++) EXPECT(g->nodes[i].op != OP_BATCHNORM);
        graph_free(g);
    }
    /* a config file on disk under any name: content decides */
    const char *text = "nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Conv, [32, 3, 2]]\n"
                       "head:\n  - [-1, 1, Classify, [nc]]\n";
    write_file(tmp("my-model.txt"), text, strlen(text));
    EXPECT_EQ_INT(model_detect(tmp("my-model.txt"), err, sizeof err), FMT_YAML);
    g = model_load(tmp("my-model.txt"), NULL, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        char buf[64];
        EXPECT_EQ_STR(g->meta.task, "classify");
        EXPECT_EQ_STR(shape_str(&g->tensors[g->outputs[0]], buf, sizeof buf), "[1, 2]");
        graph_free(g);
    }
    /* imgsz that does not fit the stride */
    o.fuse = false;
    o.imgsz[0] = o.imgsz[1] = 300;
    g = model_load("yolov8n.yaml", &o, err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "yolov8n.yaml: imgsz 300 is not a multiple of the model's stride 32");
    graph_free(g);
}

static void test_real_files(void)
{
    if (!shared_dir()) {
        SKIP("../shared not present");
        return;
    }
    char err[512] = "";
    /* content wins over the name: a checkpoint called .onnx and an ONNX file called .pt */
    copy_prefix(shared_path("models/yolov8n.pt"), tmp("really-pt.onnx"), -1);
    EXPECT_EQ_INT(model_detect(tmp("really-pt.onnx"), err, sizeof err), FMT_PYTORCH);
    copy_prefix(shared_path("reference/peer/yolov8n.onnx"), tmp("really-onnx.pt"), -1);
    EXPECT_EQ_INT(model_detect(tmp("really-onnx.pt"), err, sizeof err), FMT_ONNX);
    LoadOptions o = {0};
    o.shapes_only = true;
    Graph *g = model_load(tmp("really-onnx.pt"), &o, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_INT(g->n_outputs, 1);
        graph_free(g);
    }
    /* a truncated checkpoint */
    copy_prefix(shared_path("models/yolov8n.pt"), tmp("cut.pt"), 100000);
    expect_refused(tmp("cut.pt"), "zip archive");
    /* the peer's torch.jit archive is recognised as TorchScript, and its reader refuses it with
     * advice (only yoloport's own straight-line exports are read) */
    EXPECT_EQ_INT(model_detect(shared_path("reference/peer/yolov8n.torchscript"), err, sizeof err),
                  FMT_TORCHSCRIPT);
    g = model_load(shared_path("reference/peer/yolov8n.torchscript"), NULL, err, sizeof err);
    EXPECT(g == NULL);
    graph_free(g);
    EXPECT_CONTAINS(err, "reference/peer/yolov8n.torchscript: the module is __torch__.ultralytics");
    EXPECT_CONTAINS(err, "open the .pt checkpoint instead");
    /* the checkpoint's training imgsz is the default */
    g = model_load(shared_path("models/yolov8s.pt"), &o, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_INT(g->meta.imgsz[0], 640);
        EXPECT(g->meta.version && g->meta.version[0]);
        EXPECT(g->meta.date && g->meta.date[0]);
        EXPECT_EQ_STR(g->meta.model_name, "YOLOv8s");
        graph_free(g);
    }
}

/* LoadOptions.decide: called once per load, after the read and before the build, with the
 * metadata the default build fills in (the export's checks run on it, then the model is
 * built once at what they settle). */
typedef struct {
    int calls;
    bool builds;
    GraphMeta seen;      /* scalar fields copied; strings point into a freed graph: not read */
    char task[32];
    int set_imgsz[2], set_batch;
    bool refuse;
} Decision;

static int decide_hook(const GraphMeta *meta, bool builds, LoadOptions *o, void *user, char *err, size_t errlen)
{
    Decision *d = user;
    d->calls++;
    d->builds = builds;
    d->seen = *meta;
    snprintf(d->task, sizeof d->task, "%s", meta->task ? meta->task : "");
    if (d->refuse) return err_set(err, errlen, "refused by the caller");
    if (d->set_imgsz[0]) {
        o->imgsz[0] = d->set_imgsz[0];
        o->imgsz[1] = d->set_imgsz[1];
    }
    if (d->set_batch) o->batch = d->set_batch;
    return 0;
}

static void expect_meta_as_built(const char *path, bool builds)
{
    char err[512] = "";
    Decision d = {0};
    LoadOptions o = {.shapes_only = true, .decide = decide_hook, .decide_user = &d};
    Graph *g = model_load(path, &o, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s: %s", path, err);
    EXPECT_EQ_INT(d.calls, 1);
    EXPECT(d.builds == builds);
    if (g) {
        const GraphMeta *m = &g->meta;
        EXPECT_EQ_STR(d.task, m->task ? m->task : "");
        EXPECT_EQ_INT(d.seen.nc, m->nc);
        EXPECT_EQ_INT(d.seen.imgsz[0], m->imgsz[0]);
        EXPECT_EQ_INT(d.seen.imgsz[1], m->imgsz[1]);
        EXPECT_EQ_INT(d.seen.n_strides, m->n_strides);
        for (int i = 0; i < m->n_strides && i < d.seen.n_strides; i++) EXPECT_EQ_INT(d.seen.strides[i], m->strides[i]);
        EXPECT_EQ_INT(d.seen.n_train_args, m->n_train_args);
        EXPECT_EQ_INT(d.seen.source_format, m->source_format);
        graph_free(g);
    }
}

static void test_decide_before_build(void)
{
    expect_meta_as_built("yolov8n.yaml", true);
    expect_meta_as_built("yolo11n-seg.yaml", true);
    const char *text = "nc: 2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, Conv, [32, 3, 2]]\n"
                       "head:\n  - [-1, 1, Classify, [nc]]\n";
    write_file(tmp("cls.yaml"), text, strlen(text));
    expect_meta_as_built(tmp("cls.yaml"), true);
    /* the build happens at what the hook settled, once */
    char err[512] = "";
    Decision d = {.set_imgsz = {320, 256}, .set_batch = 2};
    LoadOptions o = {.shapes_only = true, .decide = decide_hook, .decide_user = &d};
    Graph *g = model_load("yolov8n.yaml", &o, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    EXPECT_EQ_INT(d.calls, 1);
    EXPECT(d.seen.imgsz[0] == 640 && d.seen.imgsz[1] == 640); /* the default, before the decision */
    if (g) {
        char buf[64];
        EXPECT_EQ_STR(shape_str(&g->tensors[g->inputs[0]], buf, sizeof buf), "[2, 3, 320, 256]");
        graph_free(g);
    }
    /* a refusal stops the load with the hook's message */
    Decision no = {.refuse = true};
    o = (LoadOptions){.shapes_only = true, .decide = decide_hook, .decide_user = &no};
    g = model_load("yolov8n.yaml", &o, err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_EQ_STR(err, "refused by the caller");
    if (!shared_dir()) return;
    expect_meta_as_built(shared_path("models/yolov8s.pt"), true);
    expect_meta_as_built(shared_path("reference/peer/yolov8n.onnx"), false);
    no.calls = 0;
    g = model_load(shared_path("reference/peer/yolov8n.onnx"), &o, err, sizeof err);
    EXPECT(g == NULL && no.calls == 1);
    EXPECT_EQ_STR(err, "refused by the caller");
}

static void test_format_names(void)
{
    EXPECT_EQ_STR(format_id_key(FMT_PYTORCH), "pt");
    EXPECT_EQ_STR(format_id_key(FMT_ONNX), "onnx");
    EXPECT_EQ_STR(format_id_key(FMT_YAML), "yaml");
    EXPECT_EQ_STR(format_id_key(FMT_TORCHSCRIPT), "torchscript");
    EXPECT_EQ_STR(format_id_key((FormatId)99), "unknown");
    EXPECT_EQ_STR(format_id_key(FMT_NONE), "unknown");
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-model-%d", (int)getpid());
    mkdir(tmpdir, 0755);
    RUN(test_bad_inputs);
    RUN(test_builtin_config);
    RUN(test_real_files);
    RUN(test_format_names);
    RUN(test_decide_before_build);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd)) {
    }
    return check_done();
}
