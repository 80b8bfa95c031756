/* The image-size rules in one place (engine/core/imgsz): the default imgsz (the training
 * imgsz a model records, else 640), the model's stride, the peer's check_imgsz with its
 * warning, anchors at a size -- and that the builder's default load, the export checks and
 * the metadata all follow them. */
#include <string.h>

#include "engine/core/imgsz.h"
#include "engine/export/export_args.h"
#include "engine/registry/model.h"
#include "tests/check.h"

static void test_default_imgsz(void)
{
    int hw[2];
    KeyValue none[1] = {{"epochs", "100"}};
    imgsz_default(none, 1, hw);
    EXPECT(hw[0] == 640 && hw[1] == 640);
    imgsz_default(NULL, 0, hw);
    EXPECT(hw[0] == 640 && hw[1] == 640);
    /* what the checkpoint readers render: an int, a list, a tuple */
    static const struct {
        const char *text;
        int h, w; /* 0: not a training imgsz, the default applies */
    } cases[] = {
        {"320", 320, 320},      {"[480, 640]", 480, 640}, {"(480, 640)", 480, 640}, {"[1280]", 1280, 1280},
        {" 512 ", 512, 512},    {"640,480", 640, 480},    {"[640,]", 640, 640},     {"640.0", 0, 0},
        {"True", 0, 0},         {"-1", 0, 0},             {"0", 0, 0},              {"99999", 0, 0},
        {"[1, 2, 3]", 0, 0},    {"[]", 0, 0},             {"[640, 480", 0, 0},      {"None", 0, 0},
        {"16384", 16384, 16384}, {"16385", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        KeyValue kv[2] = {{"epochs", "100"}, {"imgsz", cases[i].text}};
        int got[2] = {-1, -1};
        bool found = imgsz_from_train_args(kv, 2, got);
        EXPECT_MSG(found == (cases[i].h > 0), "'%s': found %d", cases[i].text, found);
        imgsz_default(kv, 2, got);
        int h = cases[i].h ? cases[i].h : 640, w = cases[i].w ? cases[i].w : 640;
        EXPECT_MSG(got[0] == h && got[1] == w, "'%s': %dx%d, expected %dx%d", cases[i].text, got[0], got[1], h, w);
    }
}

static void test_stride_rule(void)
{
    int p5[] = {8, 16, 32}, p6[] = {8, 16, 32, 64}, cls[] = {1}, zero[] = {0};
    EXPECT_EQ_INT(imgsz_model_stride(p5, 3), 32);
    EXPECT_EQ_INT(imgsz_model_stride(p6, 4), 64);
    EXPECT_EQ_INT(imgsz_model_stride(cls, 1), 1);
    EXPECT_EQ_INT(imgsz_model_stride(zero, 1), 32);
    EXPECT_EQ_INT(imgsz_model_stride(NULL, 0), 32);
    /* the peer's check_imgsz cases and warning text */
    static const struct {
        int v[2], n, stride, h, w;
        const char *warn; /* NULL: unchanged */
    } cases[] = {
        {{640, 640}, 1, 32, 640, 640, NULL},
        {{641, 641}, 1, 32, 672, 672, "imgsz=[641] must be multiple of max stride 32, updating to [672]"},
        {{640, 480}, 2, 32, 640, 480, NULL},
        {{641, 480}, 2, 32, 672, 480, "imgsz=[641, 480] must be multiple of max stride 32, updating to [672, 480]"},
        {{641, 641}, 2, 32, 672, 672, "imgsz=[641, 641] must be multiple of max stride 32, updating to [672, 672]"},
        {{1000, 1000}, 1, 64, 1024, 1024, "imgsz=[1000] must be multiple of max stride 64, updating to [1024]"},
        {{225, 225}, 1, 1, 225, 225, NULL},
        {{1, 1}, 1, 32, 32, 32, "imgsz=[1] must be multiple of max stride 32, updating to [32]"},
        {{100, 100}, 1, 0, 100, 100, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int out[2] = {-1, -1};
        char msg[256] = "";
        bool changed = imgsz_check(cases[i].v, cases[i].n, cases[i].stride, out, msg, sizeof msg);
        EXPECT_MSG(changed == (cases[i].warn != NULL), "case %zu", i);
        EXPECT_MSG(out[0] == cases[i].h && out[1] == cases[i].w, "case %zu: %dx%d", i, out[0], out[1]);
        if (cases[i].warn) EXPECT_EQ_STR(msg, cases[i].warn);
    }
    EXPECT_EQ_INT(imgsz_anchors(p5, 3, 640, 640), 8400);
    EXPECT_EQ_INT(imgsz_anchors(p5, 3, 64, 64), 84);
    EXPECT_EQ_INT(imgsz_anchors(p5, 3, 640, 480), 6300);
    EXPECT_EQ_INT(imgsz_anchors(zero, 1, 640, 640), 0);
}

/* The export checks use the same rules: no imgsz given -> the model's default; a given one
 * is rounded by imgsz_check, the warning is the peer's; after validation both sides are set. */
static void test_export_follows_the_rules(void)
{
    ModelFacts f = {.task = "detect", .stride = 32, .train_imgsz = {480, 640}};
    ExportArgs a;
    export_args_init(&a);
    EXPECT_EQ_INT(a.imgsz.v[0], IMGSZ_DEFAULT);
    EXPECT_EQ_INT(a.imgsz.v[1], IMGSZ_DEFAULT); /* one number fills both sides */
    export_args_set(&a, "format", "onnx", NULL);
    ExportEffective e;
    ExportMsgs m;
    export_msgs_clear(&m);
    export_args_validate(&a, &f, &e, &m);
    EXPECT(e.args.imgsz.n == 2 && e.args.imgsz.v[0] == 480 && e.args.imgsz.v[1] == 640);
    export_args_set(&a, "imgsz", "641", NULL);
    export_msgs_clear(&m);
    export_args_validate(&a, &f, &e, &m);
    EXPECT(e.args.imgsz.n == 2 && e.args.imgsz.v[0] == 672 && e.args.imgsz.v[1] == 672);
    int found = 0;
    for (int i = 0; i < m.n; i++)
        found += !strcmp(m.items[i].text, "imgsz=[641] must be multiple of max stride 32, updating to [672]");
    EXPECT_EQ_INT(found, 1);
    /* no facts: the key's default, 640 */
    export_args_init(&a);
    export_args_set(&a, "format", "onnx", NULL);
    export_msgs_clear(&m);
    export_args_validate(&a, NULL, &e, &m);
    EXPECT(e.args.imgsz.v[0] == 640 && e.args.imgsz.v[1] == 640 && e.stride == 32);
}

/* A default load builds at imgsz_default, and the facts the export's checks get before the
 * build (LoadOptions.decide) give the same default as the built graph does. */
static int keep_facts(const GraphMeta *meta, bool builds, LoadOptions *o, void *user, char *err, size_t errlen)
{
    export_facts_from_meta(meta, user);
    return 0;
}

static void test_builder_default_is_the_rule(void)
{
    char err[512] = "";
    ModelFacts before, after;
    memset(&before, 0, sizeof before);
    LoadOptions o = {.shapes_only = true, .decide = keep_facts, .decide_user = &before};
    Graph *g = model_load("yolov8n.yaml", &o, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    export_facts_from_meta(&g->meta, &after);
    EXPECT(g->meta.imgsz[0] == IMGSZ_DEFAULT && g->meta.imgsz[1] == IMGSZ_DEFAULT);
    EXPECT(before.train_imgsz[0] == after.train_imgsz[0] && before.train_imgsz[1] == after.train_imgsz[1]);
    EXPECT_EQ_INT(before.stride, after.stride);
    EXPECT_EQ_INT(before.stride, 32);
    EXPECT_EQ_INT(before.nc, after.nc);
    EXPECT(before.task && after.task && !strcmp(before.task, after.task)); /* both static strings */
    graph_free(g);
}

int main(void)
{
    RUN(test_default_imgsz);
    RUN(test_stride_rule);
    RUN(test_export_follows_the_rules);
    RUN(test_builder_default_is_the_rule);
    return check_done();
}
