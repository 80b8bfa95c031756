/* test_torchscript: the TorchScript writer and reader.  Small hand-built graphs and the
 * yolov8n.yaml model are written to a temporary directory; the archive's entries, storage,
 * pickles, code and metadata are checked byte by byte, read back with torchscript_inspect
 * and torchscript_check, and (when /usr/bin/python3 has torch) an op graph runs in
 * torch.jit.load against torch.nn.functional (tests/torchscript_check.py).  Bad graphs,
 * unwritable places, a full disk and damaged archives must give clear errors and leave
 * nothing behind.  Reading archives back into the IR is test_torchscript_read.c's.
 *
 * `test_torchscript write MODEL OUT [half=1] [dynamic=1] [imgsz=N] [exec=IN.npy:PREFIX]` writes
 * an archive with the peer's metadata instead of testing, and with exec= also runs the graph
 * in our executor, saving output k as PREFIX<k>.npy (tests/e2e/torchscript.sh uses it). */
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>
#include <json.h>

#include "engine/exec/exec.h"
#include "engine/core/fileio.h"
#include "engine/registry/model.h"
#include "engine/registry/readers.h"
#include "engine/core/npy.h"
#include "engine/passes/passes.h"
#include "formats/pickle.h"
#include "formats/pt.h"
#include "formats/torchscript.h"
#include "tests/check.h"

#include "tests/unit/test_torchscript_fixture.h"

/* Names in a directory, sorted, joined with spaces (for "nothing left behind"). */
static char *dir_listing(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return xstrdup("(none)");
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = xstrdup(e->d_name);
    closedir(d);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    Vec v = {0};
    for (int i = 0; i < n; i++) {
        if (i) vec_push(&v, 1, " ");
        for (const char *p = names[i]; *p; p++) vec_push(&v, 1, p);
        free(names[i]);
    }
    vec_push(&v, 1, "");
    return v.items;
}

static char *run_capture(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    if (!f) return NULL;
    Vec v = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++) vec_push(&v, 1, &buf[i]);
    vec_push(&v, 1, "");
    *status = pclose(f);
    return v.items;
}

static bool have_torch(void)
{
    static int cached = -1;
    if (cached < 0) cached = system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
    return cached == 1;
}


/* ---- zip helpers ---- */

static uint8_t *zip_entry(const char *path, const char *name, size_t *len, int *method)
{
    int ze;
    zip_t *za = zip_open(path, ZIP_RDONLY, &ze);
    if (!za) return NULL;
    zip_stat_t st;
    uint8_t *buf = NULL;
    if (zip_stat(za, name, 0, &st) == 0) {
        buf = xmalloc(st.size + 1);
        zip_file_t *f = zip_fopen(za, name, 0);
        zip_int64_t got = f ? zip_fread(f, buf, st.size) : -1;
        if (f) zip_fclose(f);
        if (got != (zip_int64_t)st.size) {
            free(buf);
            buf = NULL;
        } else {
            buf[st.size] = 0;
            *len = st.size;
            if (method) *method = st.comp_method;
        }
    }
    zip_discard(za);
    return buf;
}

/* Write a zip of (name, bytes) entries; deflate the ones named in `deflate`. */
static bool make_zip(const char *path, const char *const *names, const char *const *data, const size_t *lens, int n,
                     const char *deflate)
{
    int ze;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    if (!za) return false;
    for (int i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(za, data[i], lens[i], 0);
        zip_int64_t idx = zip_file_add(za, names[i], s, 0);
        if (idx < 0) return false;
        zip_set_file_compression(za, (zip_uint64_t)idx,
                                 deflate && !strcmp(deflate, names[i]) ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
    }
    return zip_close(za) == 0;
}

static bool files_equal(const char *a, const char *b)
{
    size_t la, lb;
    char *x = file_read_all(a, 1 << 30, &la, NULL, 0), *y = file_read_all(b, 1 << 30, &lb, NULL, 0);
    bool eq = x && y && la == lb && !memcmp(x, y, la);
    free(x);
    free(y);
    return eq;
}

/* ---- tests ---- */

static void test_metadata_json(void)
{
    char err[300];
    KeyValue kv[] = {{"stride", "32"}, {"task", "\"detect\""}, {"imgsz", "[640,640]"}, {"conf", "0.25"},
                     {"names", "{\"0\":\"person\",\"1\":\"caf\\u00e9 \\ud83d\\ude00\",\"2\":\"a\\\"b\\\\c\\n\"}"},
                     {"args", "{\"half\":false,\"nms\":null,\"x\":1e-05}"}};
    char *s = torchscript_metadata_json(kv, (int)ARRAY_LEN(kv), err, sizeof err);
    EXPECT_EQ_STR(s, "{\"stride\": 32, \"task\": \"detect\", \"imgsz\": [640, 640], \"conf\": 0.25, \"names\": "
                     "{\"0\": \"person\", \"1\": \"caf\\u00e9 \\ud83d\\ude00\", \"2\": \"a\\\"b\\\\c\\n\"}, "
                     "\"args\": {\"half\": false, \"nms\": null, \"x\": 1e-05}}");
    free(s);
    s = torchscript_metadata_json(NULL, 0, err, sizeof err);
    EXPECT_EQ_STR(s, "{}");
    free(s);
    KeyValue bad[] = {{"stride", "32"}, {"names", "{0: 'person'}"}};
    EXPECT(torchscript_metadata_json(bad, 2, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "metadata 'names': value is not JSON");
    KeyValue dup[] = {{"task", "\"a\""}, {"task", "\"b\""}};
    EXPECT(torchscript_metadata_json(dup, 2, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "'task' is given twice");
    KeyValue utf[] = {{"x", "\"\xff\""}};
    EXPECT(torchscript_metadata_json(utf, 1, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "metadata 'x'");
}

/* The peer's extra/config.txt, fed back key by key (in json-c's own formatting), comes out
 * byte for byte as the peer wrote it. */
static void test_metadata_matches_peer(void)
{
    const char *peer = shared_path("reference/peer/yolov8n.torchscript");
    if (!peer) {
        SKIP("../shared not present");
        return;
    }
    size_t len;
    char *text = (char *)zip_entry(peer, "yolov8n/extra/config.txt", &len, NULL);
    EXPECT(text != NULL);
    if (!text) return;
    json_object *o = json_tokener_parse(text);
    EXPECT(o && json_object_is_type(o, json_type_object));
    Arena *a = arena_new();
    KeyValue kv[32];
    int n = 0;
    json_object_object_foreach(o, key, val)
    {
        if (n < 32) kv[n++] = (KeyValue){arena_strdup(a, key), arena_strdup(a, json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN))};
    }
    EXPECT_EQ_INT(n, 13);
    char err[300];
    char *ours = torchscript_metadata_json(kv, n, err, sizeof err);
    EXPECT_EQ_STR(ours, text);
    free(ours);
    json_object_put(o);
    arena_free(a);
    free(text);
}

static void test_small_graph_archive(void)
{
    Graph *g = tiny_graph();
    char err[600];
    KeyValue kv[] = {{"task", "\"detect\""}, {"stride", "8"}, {"imgsz", "[8, 8]"}, {"names", "{\"0\": \"a\", \"1\": \"b\"}"}};
    TorchScriptOptions opt = {.metadata = kv, .n_metadata = 4};
    const char *path = tmp("tiny.torchscript");
    EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s", err);
    /* entries, all stored, in the order torch writes them */
    int ze;
    zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    EXPECT(za != NULL);
    if (!za) return;
    const char *want[] = {"tiny/extra/config.txt", "tiny/data/0",   "tiny/data/1",
                          "tiny/data.pkl",         "tiny/code/__torch__/yoloport.py", "tiny/constants.pkl",
                          "tiny/version"};
    EXPECT_EQ_INT(zip_get_num_entries(za, 0), (int)ARRAY_LEN(want));
    for (size_t i = 0; i < ARRAY_LEN(want) && (zip_int64_t)i < zip_get_num_entries(za, 0); i++) {
        zip_stat_t st;
        EXPECT_EQ_STR(zip_get_name(za, i, 0), want[i]);
        EXPECT(zip_stat_index(za, i, 0, &st) == 0 && st.comp_method == ZIP_CM_STORE);
    }
    zip_discard(za);
    size_t len;
    int method;
    uint8_t *b = zip_entry(path, "tiny/version", &len, &method);
    EXPECT_EQ_STR((char *)b, "3\n"); /* no torch.div in this code */
    free(b);
    b = zip_entry(path, "tiny/constants.pkl", &len, NULL);
    EXPECT(b && len == 4 && !memcmp(b, "\x80\x02).", 4));
    free(b);
    b = zip_entry(path, "tiny/extra/config.txt", &len, NULL);
    EXPECT_EQ_STR((char *)b, "{\"task\": \"detect\", \"stride\": 8, \"imgsz\": [8, 8], \"names\": {\"0\": \"a\", \"1\": \"b\"}}");
    free(b);
    /* storages hold the weights little-endian */
    b = zip_entry(path, "tiny/data/0", &len, NULL);
    const Tensor *W = &g->tensors[graph_find_tensor(g, "model.0.conv.weight")];
    EXPECT(b && len == W->nbytes && !memcmp(b, W->data, len));
    free(b);
    /* the code */
    char *code = (char *)zip_entry(path, "tiny/code/__torch__/yoloport.py", &len, NULL);
    EXPECT_EQ_STR(code, "class DetectionModel(Module):\n"
                        "  __parameters__ = [\"model_0_conv_weight\", \"model_0_conv_bias\", ]\n"
                        "  __buffers__ = []\n"
                        "  model_0_conv_weight : Tensor\n"
                        "  model_0_conv_bias : Tensor\n"
                        "  training : bool\n"
                        "  def forward(self: __torch__.yoloport.DetectionModel,\n"
                        "    images: Tensor) -> Tensor:\n"
                        "    x0 = torch.conv2d(images, self.model_0_conv_weight, self.model_0_conv_bias, [1, 1], [1, 1], "
                        "[1, 1], 1)\n"
                        "    x1 = torch.silu(x0)\n"
                        "    return x1\n");
    free(code);
    /* the module pickle: object of the class, state with training and both tensors */
    b = zip_entry(path, "tiny/data.pkl", &len, NULL);
    Arena *a = arena_new();
    EXPECT(pickle_load(b, len, a, err, sizeof err) == NULL); /* a checkpoint reader refuses __torch__ */
    EXPECT_CONTAINS(err, "refuses to load class '__torch__.yoloport.DetectionModel'");
    PickleValue *top = pickle_load_allowing(b, len, a, "__torch__", err, sizeof err);
    EXPECT_MSG(top != NULL, "%s", err);
    EXPECT(pickle_is_class(top, "__torch__.yoloport", "DetectionModel"));
    const PickleValue *state = top ? top->obj.state : NULL;
    EXPECT_EQ_INT(pickle_len(state), 3);
    EXPECT(pickle_is(pickle_dict_get(state, "training"), PK_BOOL) && !pickle_dict_get(state, "training")->b);
    const PickleValue *t = pickle_dict_get(state, "model_0_conv_weight");
    EXPECT(pickle_is_class(t, "torch._utils", "_rebuild_tensor_v2"));
    const PickleValue *pid = t ? pickle_item(t->obj.args, 0) : NULL;
    EXPECT(pickle_is(pid, PK_PERSID));
    const PickleValue *ref = pid ? pid->pid : NULL;
    EXPECT_EQ_STR(pickle_str(pickle_item(ref, 0)), "storage");
    EXPECT(pickle_is_class(pickle_item(ref, 1), "torch", "FloatStorage"));
    EXPECT_EQ_STR(pickle_str(pickle_item(ref, 2)), "0");
    EXPECT_EQ_STR(pickle_str(pickle_item(ref, 3)), "cpu");
    EXPECT_EQ_INT(pickle_int(pickle_item(ref, 4), -1), 108);
    const PickleValue *stride = t ? pickle_item(t->obj.args, 3) : NULL;
    EXPECT(pickle_len(stride) == 4 && pickle_int(pickle_item(stride, 0), 0) == 27 && pickle_int(pickle_item(stride, 3), 0) == 1);
    arena_free(a);
    free(b);
    /* read back */
    TorchScriptInfo info;
    EXPECT_MSG(torchscript_check(path, g, &opt, &info, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_STR(info.archive_name, "tiny");
    EXPECT_EQ_STR(info.class_name, "__torch__.yoloport.DetectionModel");
    EXPECT_EQ_INT(info.n_tensors, 2);
    EXPECT_EQ_INT(info.n_elements, 112);
    EXPECT_EQ_INT(info.data_bytes, 448);
    EXPECT_EQ_INT(info.dtype, DT_F32);
    EXPECT_EQ_INT(info.n_inputs, 1);
    EXPECT_EQ_INT(info.n_outputs, 1);
    EXPECT_EQ_STR(info.task, "detect");
    EXPECT_EQ_INT(info.stride, 8);
    EXPECT_EQ_INT(info.n_names, 2);
    torchscript_info_free(&info);
    /* a different expectation is reported */
    TorchScriptOptions half = opt;
    half.half = true;
    EXPECT(torchscript_check(path, g, &half, NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "bytes, expected");
    KeyValue other[] = {{"task", "\"segment\""}};
    TorchScriptOptions o2 = {.metadata = other, .n_metadata = 1};
    EXPECT(torchscript_check(path, g, &o2, NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "extra/config.txt differs from the export metadata");
    /* archive_name overrides the file stem; the same graph gives the same bytes */
    TorchScriptOptions named = opt;
    named.archive_name = "my model";
    EXPECT(torchscript_write(g, &named, tmp("a.torchscript"), err, sizeof err) == 0);
    EXPECT(torchscript_inspect(tmp("a.torchscript"), &info, err, sizeof err) == 0);
    EXPECT_EQ_STR(info.archive_name, "my_model");
    torchscript_info_free(&info);
    EXPECT(torchscript_write(g, &named, tmp("b.torchscript"), err, sizeof err) == 0);
    EXPECT(files_equal(tmp("a.torchscript"), tmp("b.torchscript")));
    graph_free(g);
}

static void test_ops_graph_code(void)
{
    Graph *g = ops_graph();
    char err[600];
    TorchScriptModule m;
    EXPECT_MSG(torchscript_codegen(g, &m, err, sizeof err) == 0, "%s", err);
    const char *lines[] = {
        "torch.constant_pad_nd(images, [0, 1, 0, 1], 0.)",
        "torch.conv2d(x", "[2, 2], [0, 0], [1, 1], 4)",
        "torch.batch_norm(x0, self.bn_weight, self.bn_bias, self.bn_running_mean, self.bn_running_var, False, "
        "0.10000000000000001, 0.001, True)",
        "torch.max_pool2d(", "[3, 3], [1, 1], [1, 1], [1, 1], False)",
        "torch.avg_pool2d(", "[2, 2], [2, 2], [0, 0], False, False, None)",
        "torch.adaptive_avg_pool2d(", "torch.upsample_nearest2d(", ", None, [2., 2.])",
        "= torch.split_with_sizes(", "[6, 10], 1)", "torch.slice(", ", 2, 1, 7, 2)",
        "torch.reshape(", ", [1, 10, -1])", "torch.permute(", "torch.softmax(", ", 2)",
        "torch.matmul(", ", self.mat)", "torch.add(", ", 0.5)", "torch.rsub(", ", 1.)", ", self.vec)",
        "torch.div(", ", 3.)", "torch.amax(", ", [1], False)", "torch.linear(", "self.fc_weight, self.fc_bias)",
        "torch.mul(torch.mm(", "self.fc2_weight), 0.5)", "torch.flatten(torch.flatten(", ", 2, -1), 0, 1)",
        "torch.argmax(", ", 2, True)", "= torch.topk(", ", 2, 1, True, True)", "torch.conv_transpose2d(",
        "torch.squeeze(", "torch.unsqueeze(", "torch.select(", ", 0, 1)", "torch.clamp(", ", -0.1, 0.2)",
        "torch.exp(", "-> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, "
                      "Tensor, Tensor, Tensor]:",
        "  __parameters__ = [\"conv1_weight\", \"conv1_bias\", \"bn_weight\", \"bn_bias\", \"conv2_weight\", "
        "\"fc_weight\", \"fc_bias\", \"fc2_weight\", \"convt_weight\", \"convt_bias\", ]",
        "  __buffers__ = [\"bn_running_mean\", \"bn_running_var\", \"mat\", \"vec\", ]",
    };
    for (size_t i = 0; i < ARRAY_LEN(lines); i++) EXPECT_CONTAINS(m.code, lines[i]);
    EXPECT_EQ_INT(m.version, 4);
    EXPECT_EQ_INT(m.n_outputs, 14);
    EXPECT_EQ_INT(m.n_attrs, 14);
    torchscript_module_free(&m);
    graph_free(g);
}

/* The op graph runs in torch.jit.load and matches torch.nn.functional. */
static void test_ops_graph_in_torch(void)
{
    if (!have_torch()) {
        SKIP("/usr/bin/python3 cannot import torch");
        return;
    }
    Graph *g = ops_graph();
    char err[600];
    const char *path = tmp("ops.torchscript");
    EXPECT_MSG(torchscript_write(g, NULL, path, err, sizeof err) == 0, "%s", err);
    graph_free(g);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/torchscript_check.py ops '%s' 2>&1", path);
    int status;
    char *out = run_capture(cmd, &status);
    int ok = 0;
    for (char *l = out ? strtok(out, "\n") : NULL; l; l = strtok(NULL, "\n")) {
        if (!strncmp(l, "OK ", 3)) ok++;
        else EXPECT_MSG(0, "%s", l);
    }
    EXPECT_EQ_INT(ok, 14);
    EXPECT_EQ_INT(status, 0);
    printf("# torch ran the op graph: %d outputs match torch.nn.functional\n", ok);
    free(out);
}

static Graph *load_yaml(const char *name, bool dynamic, bool shapes_only, char *err, size_t errlen)
{
    LoadOptions lo = {.fuse = true, .dynamic = dynamic, .shapes_only = shapes_only};
    return model_load(name, &lo, err, errlen);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
    return n;
}

static void test_yolov8n_yaml(void)
{
    char err[600];
    Graph *g = load_yaml("yolov8n.yaml", false, false, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    Meta meta;
    peer_metadata(&meta, g, false, false);
    TorchScriptOptions opt = {.metadata = meta.kv, .n_metadata = meta.n};
    const char *path = tmp("yolov8n.torchscript");
    double t0 = now_seconds();
    EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s", err);
    double dt = now_seconds() - t0;
    TorchScriptInfo info;
    EXPECT_MSG(torchscript_check(path, g, &opt, &info, err, sizeof err) == 0, "%s", err);
    /* 127 fused conv weights and biases (3,151,904 parameters) + anchors and strides */
    EXPECT_EQ_STR(info.class_name, "__torch__.yoloport.DetectionModel");
    EXPECT_EQ_INT(info.n_tensors, 129);
    EXPECT_EQ_INT(info.n_elements, 3151904 + 2 * 8400 + 8400);
    EXPECT_EQ_INT(info.data_bytes, 4 * info.n_elements);
    EXPECT_EQ_INT(info.n_entries, 134);
    EXPECT_EQ_INT(info.version, 4);
    EXPECT_EQ_INT(info.stride, 32);
    EXPECT_EQ_INT(info.imgsz[0], 640);
    EXPECT_EQ_INT(info.n_names, 80);
    EXPECT_EQ_INT(info.channels, 3);
    torchscript_info_free(&info);
    size_t len;
    char *code = (char *)zip_entry(path, "yolov8n/code/__torch__/yoloport.py", &len, NULL);
    EXPECT_EQ_INT(count(code, "= torch.conv2d("), 64);
    EXPECT_EQ_INT(count(code, "= torch.silu("), 57);
    EXPECT_EQ_INT(count(code, "= torch.upsample_nearest2d("), 2);
    EXPECT_EQ_INT(count(code, "= torch.max_pool2d("), 3);
    EXPECT_CONTAINS(code, "torch.sub(self.model_22_anchors, ");
    EXPECT_CONTAINS(code, "torch.reshape(x167, [1, 4, 16, 8400])");
    free(code);
    printf("# yolov8n.yaml: %lld bytes written in %.3f s\n", (long long)path_size(path), dt);
    /* half: float16 storages, half the bytes, the same structure */
    TorchScriptOptions half = opt;
    half.half = true;
    EXPECT_MSG(torchscript_write(g, &half, tmp("yolov8n_half.torchscript"), err, sizeof err) == 0, "%s", err);
    EXPECT_MSG(torchscript_check(tmp("yolov8n_half.torchscript"), g, &half, &info, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(info.dtype, DT_F16);
    EXPECT_EQ_INT(info.data_bytes, 2 * info.n_elements);
    torchscript_info_free(&info);
    uint8_t *h = zip_entry(tmp("yolov8n_half.torchscript"), "yolov8n_half/data/0", &len, NULL);
    const Tensor *W = &g->tensors[graph_find_tensor(g, "model.0.conv.weight")];
    bool same = h && len == W->nbytes / 2;
    for (size_t i = 0; same && i < len / 2; i++) {
        uint16_t v;
        memcpy(&v, h + 2 * i, 2);
        same = v == float_to_half(((const float *)W->data)[i]);
    }
    EXPECT(same);
    free(h);
    arena_free(meta.a);
    graph_free(g);
}

static void test_every_task(void)
{
    static const struct {
        const char *yaml, *cls;
        int outputs;
    } models[] = {
        {"yolov8n-seg.yaml", "SegmentationModel", 2}, {"yolov8n-pose.yaml", "PoseModel", 1},
        {"yolov8n-obb.yaml", "OBBModel", 1},          {"yolov8n-cls.yaml", "ClassificationModel", 1},
        {"yolo11n.yaml", "DetectionModel", 1},        {"yolo11n-seg.yaml", "SegmentationModel", 2},
    };
    for (size_t i = 0; i < ARRAY_LEN(models); i++) {
        char err[600];
        Graph *g = load_yaml(models[i].yaml, false, true, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s: %s", models[i].yaml, err);
        if (!g) continue;
        TorchScriptModule m;
        EXPECT_MSG(torchscript_codegen(g, &m, err, sizeof err) == 0, "%s: %s", models[i].yaml, err);
        EXPECT_EQ_STR(m.class_name, models[i].cls);
        EXPECT_EQ_INT(m.n_outputs, models[i].outputs);
        torchscript_module_free(&m);
        graph_free(g);
    }
}

static void test_dynamic(void)
{
    char err[600];
    Graph *g = load_yaml("yolov8n.yaml", true, true, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    TorchScriptModule m;
    EXPECT_MSG(torchscript_codegen(g, &m, err, sizeof err) == 0, "%s", err);
    /* sizes come from the tensors at run time; anchors are computed on the input's device */
    EXPECT(m.code && !strstr(m.code, "8400"));
    EXPECT_EQ_INT(count(m.code, "= torch.size("), 6);
    EXPECT_EQ_INT(count(m.code, "torch.arange("), 6);
    EXPECT_CONTAINS(m.code, "device=ops.prim.device(images)");
    EXPECT_CONTAINS(m.code, "torch.reshape(x167, [torch.size(x167, 0), 4, 16, -1])");
    EXPECT_CONTAINS(m.code, "= float(");
    torchscript_module_free(&m);
    graph_free(g);
}

/* Each bad graph: -1, a message naming the node and op, and no file. */
static void expect_refused(Graph *g, const char *want1, const char *want2)
{
    char err[600] = "";
    const char *path = tmp("bad.torchscript");
    EXPECT(torchscript_write(g, NULL, path, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, want1);
    EXPECT_CONTAINS(err, want2);
    EXPECT_CONTAINS(err, path);
    EXPECT(!file_exists(path));
    graph_free(g);
}

static void test_unsupported(void)
{
    Graph *g = tiny_graph();
    int y = g->outputs[0];
    int boxes = act(g, "nms", 2, D(1, 3));
    node(g, OP_NMS, NULL, "/model.23/NonMaxSuppression", I(y, y), 2, &boxes, 1);
    expect_refused(g, "/model.23/NonMaxSuppression (NonMaxSuppression)", "without torchvision");

    g = tiny_graph();
    int z = act(g, "z", 4, D(1, 4, 8, 8));
    node(g, OP_OTHER, "RoiAlign", "/m/RoiAlign", &g->outputs[0], 1, &z, 1);
    expect_refused(g, "/m/RoiAlign (RoiAlign)", "no TorchScript translation");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 8, 8, 8));
    int n = node(g, OP_CONCAT, NULL, "/m/Concat", I(g->outputs[0], g->outputs[0]), 2, &z, 1);
    node_set_int(g, n, "axis", 5);
    expect_refused(g, "/m/Concat (Concat)", "axis 5 is out of range for rank 4");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 4, 8, 8));
    n = node(g, OP_MAXPOOL, NULL, "/m/MaxPool", &g->outputs[0], 1, &z, 1);
    node_set_ints(g, n, "kernel_shape", D(2, 2), 2);
    node_set_ints(g, n, "pads", D(0, 0, 1, 1), 4);
    expect_refused(g, "/m/MaxPool (MaxPool)", "asymmetric pads");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 4, 8, 8));
    n = node(g, OP_TRANSPOSE, NULL, "/m/Transpose", &g->outputs[0], 1, &z, 1);
    node_set_ints(g, n, "perm", D(0, 1, 1, 3), 4);
    expect_refused(g, "/m/Transpose (Transpose)", "not a permutation");

    g = tiny_graph();
    z = act(g, "z", 2, D(4, 64));
    node(g, OP_RESHAPE, NULL, "/m/Reshape", I(g->outputs[0], ints(g, "s", 2, D(-1, -1))), 2, &z, 1);
    expect_refused(g, "/m/Reshape (Reshape)", "more than one -1");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 4, 16, 16));
    float sc[4] = {1, 1, 2, 2};
    n = node(g, OP_RESIZE, NULL, "/m/Resize", I(g->outputs[0], -1, graph_add_const(g, "sc", DT_F32, 1, D(4), sc)), 3, &z, 1);
    expect_refused(g, "/m/Resize (Resize)", "half_pixel/round_prefer_floor has no torch equivalent");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 4, 8, 8));
    n = node(g, OP_SPLIT, NULL, "/m/Split", &g->outputs[0], 1, &z, 1);
    node_set_ints(g, n, "split", D(3), 1);
    node_set_int(g, n, "axis", 1);
    expect_refused(g, "/m/Split (Split)", "sizes add up to 3, the dim is 4");

    g = tiny_graph();
    z = act(g, "z", 4, D(1, 4, 8, 8));
    node(g, OP_ADD, NULL, "/m/Add", &g->outputs[0], 1, &z, 1);
    expect_refused(g, "/m/Add (Add)", "input 2 is missing");

    /* weights over the float16 range cannot be written with half */
    g = tiny_graph();
    ((float *)g->tensors[graph_find_tensor(g, "model.0.conv.bias")].data)[2] = 1e6f;
    char err[400];
    TorchScriptOptions half = {.half = true};
    EXPECT(torchscript_write(g, &half, tmp("bad.torchscript"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "tensor 'model.0.conv.bias' has a value (1e+06) beyond the float16 range");
    EXPECT(!file_exists(tmp("bad.torchscript")));
    graph_free(g);
}

static void test_shapes_only_graph(void)
{
    char err[600];
    Graph *g = load_yaml("yolov8n.yaml", false, true, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    EXPECT(torchscript_write(g, NULL, tmp("shapes.torchscript"), err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "tensor 'model.0.conv.weight' has no data (the model was loaded for browsing only)");
    EXPECT(!file_exists(tmp("shapes.torchscript")));
    graph_free(g);
}

static void test_unwritable(void)
{
    Graph *g = tiny_graph();
    char err[600];
    char path[600];
    snprintf(path, sizeof path, "%s/no/such/dir/m.torchscript", tmpdir);
    EXPECT(torchscript_write(g, NULL, path, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, path);
    EXPECT_CONTAINS(err, "cannot write in");
    /* the parent is a regular file */
    FILE *f = fopen(tmp("plain"), "w");
    if (f) fclose(f);
    snprintf(path, sizeof path, "%s/plain/m.torchscript", tmpdir);
    EXPECT(torchscript_write(g, NULL, path, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "Not a directory");
    graph_free(g);
}

/* Disk full halfway (fault injection, read once per process: a fresh process of this
 * program writes): the old file stays as it was and no temporary is left. */
static void test_disk_full(void)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/full", tmpdir);
    mkdir(dir, 0755);
    char path[400];
    snprintf(path, sizeof path, "%s/m.torchscript", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("old contents", f);
        fclose(f);
    }
    char self[1024];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    EXPECT(n > 0);
    if (n <= 0) return;
    self[n] = 0;
    char cmd[1600];
    snprintf(cmd, sizeof cmd, "YOLOPORT_FAULT_WRITE_AFTER=300 '%s' write-tiny '%s' 2>&1", self, path);
    int status;
    char *out = run_capture(cmd, &status);
    EXPECT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d: %s", status, out ? out : "");
    EXPECT_CONTAINS(out, path);
    EXPECT_CONTAINS(out, "No space left on device");
    free(out);
    char *names = dir_listing(dir);
    EXPECT_EQ_STR(names, "m.torchscript");
    free(names);
    size_t len;
    char *text = file_read_all(path, 100, &len, NULL, 0);
    EXPECT_EQ_STR(text, "old contents");
    free(text);
    /* and without the fault the old file is replaced */
    Graph *g = tiny_graph();
    char err[600];
    EXPECT_MSG(torchscript_write(g, NULL, path, err, sizeof err) == 0, "%s", err);
    TorchScriptInfo info;
    EXPECT(torchscript_inspect(path, &info, err, sizeof err) == 0);
    torchscript_info_free(&info);
    graph_free(g);
    names = dir_listing(dir);
    EXPECT_EQ_STR(names, "m.torchscript");
    free(names);
}

static void expect_inspect_error(const char *path, const char *want)
{
    TorchScriptInfo info;
    char err[600] = "";
    EXPECT(torchscript_inspect(path, &info, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, path);
    EXPECT_CONTAINS(err, want);
}

typedef struct {
    const char *p;
    size_t n;
} Bytes;

/* A heap copy of buf[0..len) with the old.n bytes at off (which must be old's) replaced by
 * with's bytes; its length in *out_len. */
static char *replace_at(const char *buf, size_t len, size_t off, const Bytes *old, const Bytes *with, size_t *out_len)
{
    EXPECT(off + old->n <= len && !memcmp(buf + off, old->p, old->n));
    *out_len = len - old->n + with->n;
    char *out = xmalloc(*out_len);
    memcpy(out, buf, off);
    memcpy(out + off, with->p, with->n);
    memcpy(out + off + with->n, buf + off + old->n, len - off - old->n);
    return out;
}

static void test_inspect_damaged(void)
{
    char err[600];
    Graph *g = tiny_graph();
    EXPECT(torchscript_write(g, NULL, tmp("good.torchscript"), err, sizeof err) == 0);
    graph_free(g);
    size_t pkl_len, code_len;
    char *pkl = (char *)zip_entry(tmp("good.torchscript"), "good/data.pkl", &pkl_len, NULL);
    char *code = (char *)zip_entry(tmp("good.torchscript"), "good/code/__torch__/yoloport.py", &code_len, NULL);
    EXPECT(pkl && code);
    if (!pkl || !code) return;
    static char w0[432], w1[16];
    const char *names[] = {"good/data/0", "good/data/1", "good/data.pkl", "good/code/__torch__/yoloport.py",
                           "good/constants.pkl", "good/version"};
    const char *data[] = {w0, w1, pkl, code, "\x80\x02).", "3\n"};
    size_t lens[] = {sizeof w0, sizeof w1, pkl_len, code_len, 4, 2};
    /* the same entries rebuilt: fine */
    EXPECT(make_zip(tmp("same.zip"), names, data, lens, 6, NULL));
    TorchScriptInfo info;
    EXPECT_MSG(torchscript_inspect(tmp("same.zip"), &info, err, sizeof err) == 0, "%s", err);
    EXPECT(info.metadata == NULL); /* no extra/config.txt: allowed */
    torchscript_info_free(&info);
    /* a short storage */
    lens[0] = 400;
    EXPECT(make_zip(tmp("short.zip"), names, data, lens, 6, NULL));
    expect_inspect_error(tmp("short.zip"), "storage good/data/0 holds 400 bytes, 108 x float32 needs 432");
    lens[0] = sizeof w0;
    /* a missing storage */
    EXPECT(make_zip(tmp("missing.zip"), names + 1, data + 1, lens + 1, 5, NULL));
    expect_inspect_error(tmp("missing.zip"), "storage good/data/0 is missing");
    /* a deflated storage; a deflated code file is only counted */
    EXPECT(make_zip(tmp("deflated.zip"), names, data, lens, 6, "good/data/0"));
    expect_inspect_error(tmp("deflated.zip"), "storage 'good/data/0' is compressed");
    EXPECT(make_zip(tmp("deflated_code.zip"), names, data, lens, 6, "good/code/__torch__/yoloport.py"));
    EXPECT_MSG(torchscript_inspect(tmp("deflated_code.zip"), &info, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(info.n_compressed, 1);
    torchscript_info_free(&info);
    /* a bad version */
    data[5] = "99\n";
    EXPECT(make_zip(tmp("version.zip"), names, data, lens, 6, NULL));
    expect_inspect_error(tmp("version.zip"), "not a supported version");
    data[5] = "3\n";
    /* a pickle that names something outside the allowlist */
    static const char evil[] = "\x80\x02" "cos\nsystem\n" "X\x02\x00\x00\x00ls" "\x85R.";
    data[2] = evil;
    lens[2] = sizeof evil - 1;
    EXPECT(make_zip(tmp("evil.zip"), names, data, lens, 6, NULL));
    expect_inspect_error(tmp("evil.zip"), "refuses to load class 'os.system' (not on the allowlist)");
    /* __torch__ admits classes only: not a function, not a look-alike module */
    Arena *a = arena_new();
    static const char fn[] = "\x80\x02" "c__torch__.m\nrun\n" ").";
    EXPECT(pickle_load_allowing((const uint8_t *)fn, sizeof fn - 1, a, "__torch__", err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "'__torch__.m.run'");
    static const char look[] = "\x80\x02" "c__torch__x.m\nM\n" ").";
    EXPECT(pickle_load_allowing((const uint8_t *)look, sizeof look - 1, a, "__torch__", err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "'__torch__x.m.M'");
    arena_free(a);
    /* a tensor past the end of its storage: size (4, 3, 3, 3) with offset 10 */
    char *p = memmem(pkl, pkl_len, "\x89" "c", 2); /* the first tensor's requires_grad */
    char *off = p ? memmem(pkl, (size_t)(p - pkl), "QK\x00", 3) : NULL;
    EXPECT(off != NULL);
    if (off) {
        char *bad = xmalloc(pkl_len);
        memcpy(bad, pkl, pkl_len);
        bad[off - pkl + 2] = 10;
        data[2] = bad;
        lens[2] = pkl_len;
        EXPECT(make_zip(tmp("past.zip"), names, data, lens, 6, NULL));
        expect_inspect_error(tmp("past.zip"), "a tensor runs past the end of storage '0' (element 117 of 108)");
        free(bad);
    }
    /* element counts that overflow: a tensor whose dims multiply past 2^63, and two whose
     * counts (each below 2^63: stride 0 keeps them inside their storages) add up past it */
#define BYTES(s) {s, sizeof s - 1}
    static const Bytes w_shape = BYTES("(K\x04K\x03K\x03K\x03t(K\x1bK\x09K\x03K\x01t"),
                       b_shape = BYTES("(K\x04t(K\x01t"),
                       huge3 = BYTES("(J\xff\xff\xff\x7fJ\xff\xff\xff\x7fJ\xff\xff\xff\x7ft(K\x00K\x00K\x00t"),
                       big3 = BYTES("(J\xff\xff\xff\x7fJ\xff\xff\xff\x7fK\x02t(K\x00K\x00K\x00t");
#undef BYTES
    const char *ws = memmem(pkl, pkl_len, w_shape.p, w_shape.n), *bs = memmem(pkl, pkl_len, b_shape.p, b_shape.n);
    EXPECT(ws && bs && ws < bs);
    const struct {
        const Bytes *w, *b;
        const char *zip, *want;
    } overflows[] = {
        {&huge3, &b_shape, "dims_overflow.zip", "a tensor on storage '0' has a size that overflows"},
        {&big3, &big3, "sum_overflow.zip", "the tensors' element counts add up past 2^63"},
    };
    for (size_t c = 0; ws && bs && ws < bs && c < ARRAY_LEN(overflows); c++) {
        size_t n1, n2;
        char *one = replace_at(pkl, pkl_len, (size_t)(bs - pkl), &b_shape, overflows[c].b, &n1);
        char *two = replace_at(one, n1, (size_t)(ws - pkl), &w_shape, overflows[c].w, &n2);
        data[2] = two;
        lens[2] = n2;
        EXPECT(make_zip(tmp(overflows[c].zip), names, data, lens, 6, NULL));
        expect_inspect_error(tmp(overflows[c].zip), overflows[c].want);
        free(one);
        free(two);
    }
    /* not a zip; a checkpoint is not a module */
    FILE *f = fopen(tmp("text.torchscript"), "w");
    if (f) {
        fputs("hello", f);
        fclose(f);
    }
    expect_inspect_error(tmp("text.torchscript"), "not a readable zip archive");
    const char *pt = shared_path("models/yolov8n.pt");
    if (pt) expect_inspect_error(pt, "yolov8n/data.pkl is not a TorchScript module object");
    free(pkl);
    free(code);
}

/* The peer's own archive (traced by torch) reads back with the fused model's numbers. */
static void test_inspect_peer(void)
{
    const char *peer = shared_path("reference/peer/yolov8n.torchscript");
    if (!peer) {
        SKIP("../shared not present");
        return;
    }
    TorchScriptInfo info;
    char err[600];
    EXPECT_MSG(torchscript_inspect(peer, &info, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_STR(info.class_name, "__torch__.ultralytics.nn.tasks.DetectionModel");
    EXPECT_EQ_INT(info.n_tensors, 127);
    EXPECT_EQ_INT(info.n_elements, 3151904);
    EXPECT_EQ_INT(info.n_constants, 3);
    EXPECT_EQ_INT(info.n_entries, 572);
    EXPECT_EQ_INT(info.version, 4);
    EXPECT_EQ_INT(info.n_inputs, 1);
    EXPECT_EQ_INT(info.n_outputs, 1);
    EXPECT_EQ_INT(info.n_names, 80);
    EXPECT_EQ_INT(info.batch, 1);
    EXPECT(info.n_compressed > 0);
    torchscript_info_free(&info);
}


/* ---- write mode (for tests/e2e/torchscript.sh) ---- */

/* Run g in our executor on the input at in_path (float32 .npy; created from a fixed
 * pattern when missing) and save output k as <prefix><k>.npy. */
static int exec_outputs(const Graph *g, const char *in_path, const char *prefix, char *err, size_t errlen)
{
    NpyArray in = {0};
    const Tensor *X = &g->tensors[g->inputs[0]];
    if (access(in_path, R_OK) != 0) {
        int64_t n = tensor_numel(X);
        float *v = xmalloc(sizeof(float) * (size_t)n);
        for (int64_t i = 0; i < n; i++) v[i] = 0.5f + 0.5f * sinf(0.001f * (float)i) * cosf(0.37f * (float)(i % 977));
        int rc = npy_write(in_path, DT_F32, X->dims, X->rank, v, err, errlen);
        free(v);
        if (rc) return -1;
    }
    if (npy_read(in_path, 0, &in, err, errlen)) return -1;
    float *data = npy_to_f32(&in, err, errlen);
    Exec *e = data ? exec_new(g, err, errlen) : NULL;
    int rc = e && !exec_set_input(e, X->name, data, in.dims, in.rank, err, errlen) && !exec_run(e, NULL, err, errlen)
                 ? 0
                 : -1;
    for (int k = 0; !rc && k < g->n_outputs; k++) {
        int64_t dims[GRAPH_MAX_RANK];
        int rank;
        const float *y = exec_output(e, k, dims, &rank);
        char path[1200];
        snprintf(path, sizeof path, "%s%d.npy", prefix, k);
        rc = y ? npy_write(path, DT_F32, dims, rank, y, err, errlen) : err_set(err, errlen, "no output %d", k);
    }
    exec_free(e);
    free(data);
    npy_free(&in);
    return rc;
}

/* write MODEL OUT [half=1] [dynamic=1] [imgsz=N] [exec=INPUT.npy:PREFIX] */
static int write_mode(int argc, char **argv)
{
    bool half = false, dynamic = false;
    int imgsz = 0;
    const char *exec_in = NULL, *exec_prefix = NULL;
    char exec_arg[1200];
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "half=1")) half = true;
        else if (!strcmp(argv[i], "dynamic=1")) dynamic = true;
        else if (!strncmp(argv[i], "imgsz=", 6)) imgsz = atoi(argv[i] + 6);
        else if (!strncmp(argv[i], "exec=", 5) && strchr(argv[i], ':')) {
            snprintf(exec_arg, sizeof exec_arg, "%s", argv[i] + 5);
            char *colon = strchr(exec_arg, ':');
            *colon = 0;
            exec_in = exec_arg;
            exec_prefix = colon + 1;
        } else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    char err[1000];
    double t0 = now_seconds();
    LoadOptions lo = {.fuse = true, .dynamic = dynamic, .imgsz = {imgsz, imgsz}};
    Graph *g = model_load(argv[2], &lo, err, sizeof err);
    if (!g) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double t1 = now_seconds();
    Meta meta;
    peer_metadata(&meta, g, half, dynamic);
    TorchScriptOptions opt = {.half = half, .metadata = meta.kv, .n_metadata = meta.n};
    int rc = torchscript_write(g, &opt, argv[3], err, sizeof err);
    double t2 = now_seconds();
    TorchScriptInfo info;
    if (!rc) rc = torchscript_check(argv[3], g, &opt, &info, err, sizeof err);
    double t3 = now_seconds();
    if (!rc) {
        printf("%s: %lld bytes, %d tensors (%s), %d entries; load+fuse %.3f s, write %.3f s, check %.3f s\n", argv[3],
               (long long)path_size(argv[3]), info.n_tensors, dtype_name(info.dtype), info.n_entries, t1 - t0, t2 - t1,
               t3 - t2);
        torchscript_info_free(&info);
    }
    if (!rc && exec_in) rc = exec_outputs(g, exec_in, exec_prefix, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    arena_free(meta.a);
    graph_free(g);
    return rc ? 1 : 0;
}

/* Write the tiny graph to argv[2] (the disk-full test runs this under fault injection). */
static int write_tiny_mode(const char *path)
{
    Graph *g = tiny_graph();
    char err[600];
    int rc = torchscript_write(g, NULL, path, err, sizeof err);
    if (rc) printf("%s\n", err);
    graph_free(g);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (!pt_loader) return 2;
    if (argc == 3 && !strcmp(argv[1], "write-tiny")) return write_tiny_mode(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "write")) return write_mode(argc, argv);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-ts-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_metadata_json);
    RUN(test_metadata_matches_peer);
    RUN(test_small_graph_archive);
    RUN(test_ops_graph_code);
    RUN(test_ops_graph_in_torch);
    RUN(test_yolov8n_yaml);
    RUN(test_every_task);
    RUN(test_dynamic);
    RUN(test_unsupported);
    RUN(test_shapes_only_graph);
    RUN(test_unwritable);
    RUN(test_disk_full);
    RUN(test_inspect_damaged);
    RUN(test_inspect_peer);
    fileio_remove_tree(tmpdir);
    return check_done();
}
