/* Tests for model configs: parse_model's rules (scaling, repeats, C3k forcing, legacy
 * heads), name resolution, deterministic weights and the messages for bad configs. */
#include "engine/builder/yolo.h"
#include "tests/check.h"

static ModTree *parse(const char *text, const char *name, char *err, size_t errlen)
{
    return yolo_cfg_parse(text, strlen(text), name, name, 0, false, err, errlen);
}

static const char *TINY = "nc: 3\n"
                          "backbone:\n"
                          "  - [-1, 1, Conv, [16, 3, 2]]\n"
                          "  - [-1, 1, Conv, [32, 3, 2]]\n"
                          "  - [-1, 1, Conv, [64, 3, 2]]\n"
                          "head:\n"
                          "  - [[2], 1, Detect, [nc]]\n";

static void test_tiny_config(void)
{
    char err[512] = "";
    ModTree *t = parse(TINY, "tiny.yaml", err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (!t) return;
    EXPECT_EQ_STR(t->root->type, "DetectionModel");
    EXPECT_EQ_INT(t->nc, 3);
    EXPECT_EQ_INT(t->n_strides, 1);
    EXPECT_EQ_INT(t->strides[0], 8);
    const ModNode *c0 = modtree_find(t, "model.0.conv");
    EXPECT(c0 != NULL);
    if (c0) {
        const ModTensor *w = modtree_tensor(c0, "weight");
        EXPECT(w && w->dims[0] == 16 && w->dims[1] == 3 && w->dims[2] == 3);
        EXPECT_EQ_INT(modtree_attr_int_at(c0, "stride", 0, 0), 2);
        EXPECT_EQ_INT(modtree_attr_int_at(c0, "padding", 1, -1), 1);
    }
    /* one SiLU object shared by every Conv (one uid) */
    const ModNode *a0 = modtree_find(t, "model.0.act"), *a2 = modtree_find(t, "model.2.act");
    EXPECT(a0 && a2 && a0->uid == a2->uid);
    /* yolov8-style (legacy) class branch: no C3k2 in the model */
    EXPECT(modtree_find(t, "model.3.cv3.0.0.conv") != NULL);
    EXPECT_EQ_STR(modtree_find(t, "model.3.cv3.0.0")->type, "Conv");
    const ModNode *layer = modtree_find(t, "model.3");
    const ModAttr *f = modtree_attr(layer, "f");
    EXPECT(f && f->kind == MA_INTS && f->count == 1 && f->ints[0] == 2);
    EXPECT_EQ_INT(modtree_attr_int(layer, "i", -1), 3);
    ModelSummary u, fu;
    EXPECT_EQ_INT(yolo_summary(t, 64, 64, &u, &fu, err, sizeof err), 0);
    EXPECT(u.layers > 0 && u.parameters > 0 && fu.layers < u.layers);
    modtree_free(t);
}

/* make_divisible(min(c2, max_channels) * width, 8), round(n * depth) half-to-even, and
 * C3k forced for m/l/x. */
static void test_scaling_rules(void)
{
    char err[512] = "";
    ModTree *t = yolo_cfg_load("yolo11m.yaml", false, err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (t) {
        /* m: width 1.0, max 512: layer 7 Conv 1024 -> 512 */
        const ModTensor *w = modtree_tensor(modtree_find(t, "model.7.conv"), "weight");
        EXPECT(w && w->dims[0] == 512);
        /* C3k2 blocks become C3k */
        EXPECT_EQ_STR(modtree_find(t, "model.2.m.0")->type, "C3k");
        EXPECT(modtree_find(t, "model.2.m.0.m.1.cv2") != NULL);
        /* head is non-legacy: DWConv in the class branch */
        EXPECT_EQ_STR(modtree_find(t, "model.23.cv3.0.0.0")->type, "DWConv");
        modtree_free(t);
    }
    t = yolo_cfg_load("yolo11n.yaml", false, err, sizeof err);
    if (t) {
        EXPECT_EQ_STR(modtree_find(t, "model.2.m.0")->type, "Bottleneck");
        /* n: depth 0.5 -> round(2 * 0.5) = 1 block; e=0.25 on layer 2 */
        EXPECT_EQ_INT(modtree_find(t, "model.2.m")->n_children, 1);
        EXPECT_EQ_INT(modtree_attr_int(modtree_find(t, "model.2"), "c", 0), 16);
        /* C2PSA: 128 channels per branch, 2 heads */
        EXPECT_EQ_INT(modtree_attr_int(modtree_find(t, "model.10.m.0.attn"), "num_heads", 0), 2);
        modtree_free(t);
    }
    t = yolo_cfg_load("yolov8m.yaml", false, err, sizeof err);
    if (t) {
        /* m: depth 0.67: round(6 * 0.67) = 4, round(3 * 0.67) = 2 */
        EXPECT_EQ_INT(modtree_find(t, "model.4.m")->n_children, 4);
        EXPECT_EQ_INT(modtree_find(t, "model.2.m")->n_children, 2);
        modtree_free(t);
    }
    /* Python's round() is half to even: 3 * 0.5 = 1.5 -> 2, 5 * 0.5 = 2.5 -> 2 */
    const char *halves = "nc: 2\ndepth_multiple: 0.5\n"
                         "backbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 3, C2f, [16]]\n  - [-1, 5, C2f, [16]]\n"
                         "head:\n  - [-1, 1, Classify, [nc]]\n";
    t = parse(halves, "halves.yaml", err, sizeof err);
    EXPECT_MSG(t != NULL, "%s", err);
    if (t) {
        EXPECT_EQ_INT(modtree_find(t, "model.1.m")->n_children, 2);
        EXPECT_EQ_INT(modtree_find(t, "model.2.m")->n_children, 2);
        EXPECT_EQ_STR(t->root->type, "ClassificationModel");
        modtree_free(t);
    }
}

static void test_names_resolve(void)
{
    static const struct {
        const char *name, *file;
        char scale;
    } cases[] = {
        {"yolov8n.yaml", "models/yolov8.yaml", 'n'},     {"yolov8x.yaml", "models/yolov8.yaml", 'x'},
        {"yolo11s-seg.yaml", "models/yolo11-seg.yaml", 's'}, {"yolov8n6.yaml", "models/yolov8-p6.yaml", 'n'},
        {"yolov8l-p6.yaml", "models/yolov8-p6.yaml", 'l'}, {"yolo11m-cls.yaml", "models/yolo11-cls.yaml", 'm'},
        {"yolov8.yaml", "models/yolov8.yaml", 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char scale = 'q';
        char *p = yolo_cfg_builtin_path(cases[i].name, &scale);
        EXPECT_MSG(p != NULL, "%s did not resolve", cases[i].name);
        if (p) {
            size_t n = strlen(p), m = strlen(cases[i].file);
            EXPECT_MSG(n >= m && !strcmp(p + n - m, cases[i].file), "%s -> %s", cases[i].name, p);
        }
        EXPECT_EQ_INT(scale, cases[i].scale);
        free(p);
    }
    EXPECT(yolo_cfg_builtin_path("yolov99z.yaml", NULL) == NULL);
    EXPECT(yolo_cfg_builtin_path("dir/yolov8n.yaml", NULL) == NULL);
    EXPECT(yolo_cfg_builtin_path("yolov8n.pt", NULL) == NULL);
    /* no size letter: the first scale (n), as the peer does */
    char err[256];
    ModTree *t = yolo_cfg_load("yolov8.yaml", false, err, sizeof err);
    EXPECT(t != NULL);
    if (t) {
        EXPECT_EQ_INT(modtree_tensor(modtree_find(t, "model.0.conv"), "weight")->dims[0], 16);
        modtree_free(t);
    }
}

static void test_deterministic_weights(void)
{
    char err[256];
    ModTree *a = yolo_cfg_load("yolov8n.yaml", true, err, sizeof err);
    ModTree *b = yolo_cfg_load("yolov8n.yaml", true, err, sizeof err);
    EXPECT(a && b);
    if (a && b) {
        const ModTensor *wa = modtree_tensor(modtree_find(a, "model.5.conv"), "weight");
        const ModTensor *wb = modtree_tensor(modtree_find(b, "model.5.conv"), "weight");
        EXPECT(wa && wb && wa->data && wa->nbytes == wb->nbytes && !memcmp(wa->data, wb->data, wa->nbytes));
        /* BatchNorm starts as identity, the DFL conv is arange(16) and frozen */
        const ModNode *bn = modtree_find(a, "model.5.bn");
        EXPECT_NEAR(((const float *)modtree_tensor(bn, "weight")->data)[3], 1.0, 0);
        EXPECT_NEAR(((const float *)modtree_tensor(bn, "running_var")->data)[3], 1.0, 0);
        EXPECT_NEAR(modtree_attr_float(bn, "eps", 0), 0.001, 1e-12);
        const ModTensor *dfl = modtree_tensor(modtree_find(a, "model.22.dfl.conv"), "weight");
        EXPECT(dfl && !dfl->requires_grad && ((const float *)dfl->data)[15] == 15.0f);
        /* Detect bias_init: box 1.0, class log(5 / nc / (640 / s)^2) */
        const float *box = modtree_tensor(modtree_find(a, "model.22.cv2.0.2"), "bias")->data;
        const float *cls = modtree_tensor(modtree_find(a, "model.22.cv3.2.2"), "bias")->data;
        EXPECT_NEAR(box[0], 1.0, 0);
        EXPECT_NEAR(cls[7], log(5.0 / 80 / pow(640.0 / 32, 2)), 1e-6);
        /* weights differ from tensor to tensor */
        const ModTensor *w6 = modtree_tensor(modtree_find(a, "model.1.conv"), "weight");
        EXPECT(((const float *)w6->data)[0] != ((const float *)wa->data)[0]);
    }
    modtree_free(a);
    modtree_free(b);
}

static void expect_error(const char *text, const char *needle)
{
    char err[512] = "";
    ModTree *t = parse(text, "bad.yaml", err, sizeof err);
    EXPECT_MSG(t == NULL, "accepted: %s", text);
    modtree_free(t);
    EXPECT_CONTAINS(err, "bad.yaml: ");
    EXPECT_CONTAINS(err, needle);
}

static void test_config_errors(void)
{
    expect_error("", "empty");
    expect_error("nc: 3\nbackbone: [\n", "not valid YAML");
    expect_error("- 1\n- 2\n", "backbone");
    expect_error("nc: 3\nbackbone: []\n", "backbone");
    expect_error("backbone:\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n  - [-1, 1, Classify, [10]]\n", "'nc'");
    expect_error("nc: -2\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n  - [-1, 1, Classify, [nc]]\n", "'nc'");
    expect_error("nc: 3\nbackbone:\n  - [-1, 1, Foo, [16]]\nhead:\n  - [-1, 1, Classify, [nc]]\n",
                 "module 'Foo' is not supported");
    expect_error("nc: 3\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n  - [[-1, 7], 1, Concat, [1]]\n"
                 "  - [-1, 1, Classify, [nc]]\n",
                 "layer 1 takes input from layer 7");
    expect_error("nc: 3\nbackbone:\n  - [-1, 1, Conv]\nhead:\n  - [-1, 1, Classify, [nc]]\n",
                 "not a [from, repeats, module, args] row");
    expect_error("nc: 3\nbackbone:\n  - [-1, 0, Conv, [16]]\nhead:\n  - [-1, 1, Classify, [nc]]\n", "repeats");
    expect_error("nc: 3\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n  - [-1, 1, Conv, [16]]\n",
                 "last layer must be a head");
    expect_error("nc: 3\nscales:\n  n: [0.33, 0.25]\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n"
                 "  - [-1, 1, Classify, [nc]]\n",
                 "[depth, width, max_channels]");
    expect_error("nc: 3\nactivation: nn.LeakyReLU(0.1)\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n"
                 "  - [-1, 1, Classify, [nc]]\n",
                 "activation");
    expect_error("nc: 3\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\nhead:\n  - [-1, 1, Pose, [nc, kpt_shape]]\n",
                 "kpt_shape");
    expect_error("nc: 3\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n  - [-1, 1, C2PSA, [16]]\nhead:\n"
                 "  - [-1, 1, Classify, [nc]]\n",
                 "C2PSA");
    /* a scale letter the config does not have */
    char err[256] = "";
    const char *scaled = "nc: 3\nscales:\n  n: [0.33, 0.25, 1024]\nbackbone:\n  - [-1, 1, Conv, [16, 3, 2]]\n"
                         "head:\n  - [-1, 1, Classify, [nc]]\n";
    ModTree *t = yolo_cfg_parse(scaled, strlen(scaled), "yolov9x.yaml", "yolov9x.yaml", 0, false, err, sizeof err);
    EXPECT(t == NULL);
    EXPECT_CONTAINS(err, "size 'x'");
    modtree_free(t);
    /* files */
    t = yolo_cfg_load("no-such-model.yaml", false, err, sizeof err);
    EXPECT(t == NULL);
    EXPECT_CONTAINS(err, "no-such-model.yaml: no such file");
}

static void test_sniff(void)
{
    EXPECT(yolo_cfg_sniff(TINY, strlen(TINY)));
    const char *data = "path: ../datasets/coco8\ntrain: images/train\nnames:\n  0: person\n";
    char why[256] = "";
    EXPECT(!yolo_cfg_sniff_why(data, strlen(data), why, sizeof why));
    EXPECT_CONTAINS(why, "without 'backbone' and 'head'");
    EXPECT(!yolo_cfg_sniff("\x80\x02}q\x00.", 6));
}

int main(void)
{
    RUN(test_tiny_config);
    RUN(test_scaling_rules);
    RUN(test_names_resolve);
    RUN(test_deterministic_weights);
    RUN(test_config_errors);
    RUN(test_sniff);
    return check_done();
}
