/* The report and the peer's formatting: Python reprs, isoformat dates, shape tuples,
 * colorstr, precision scan; the exporter's output paths and metadata dict. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/export/report.h"
#include "tests/check.h"

static bool matches(const char *s, const char *re)
{
    regex_t r;
    if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0) return false;
    bool ok = regexec(&r, s, 0, NULL, 0) == 0;
    regfree(&r);
    return ok;
}

static void test_py_repr(void)
{
    struct {
        const char *in, *want;
    } cases[] = {
        {"person", "'person'"},
        {"it's", "\"it's\""},
        {"say \"hi\"", "'say \"hi\"'"},
        {"a'b\"c", "'a\\'b\"c'"},
        {"back\\slash", "'back\\\\slash'"},
        {"line\nbreak\t", "'line\\nbreak\\t'"},
        {"bell\x07", "'bell\\x07'"},
        {"交通灯", "'交通灯'"},
        {"", "''"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = report_py_repr(cases[i].in);
        EXPECT_EQ_STR(r, cases[i].want);
        free(r);
    }
    const char *names[] = {"person", "bicycle", "traffic light"};
    char *d = report_py_names(names, 3);
    EXPECT_EQ_STR(d, "{0: 'person', 1: 'bicycle', 2: 'traffic light'}");
    free(d);
    d = report_py_names(NULL, 0);
    EXPECT_EQ_STR(d, "{}");
    free(d);
}

static void test_isoformat_and_tuples(void)
{
    char buf[64];
    report_isoformat_now(buf, sizeof buf);
    EXPECT_MSG(matches(buf, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{6})?$"), "%s", buf);
    int64_t d3[3] = {1, 84, 8400}, d1[1] = {7}, d4[4] = {1, 3, 640, 640};
    EXPECT_EQ_STR(report_shape_tuple(buf, sizeof buf, d3, 3), "(1, 84, 8400)");
    EXPECT_EQ_STR(report_shape_tuple(buf, sizeof buf, d1, 1), "(7,)");
    EXPECT_EQ_STR(report_shape_tuple(buf, sizeof buf, d4, 4), "(1, 3, 640, 640)");
    EXPECT_NEAR(report_mib(12800000), 12.2, 0.05);
    char c[64];
    EXPECT_EQ_STR(report_colorstr(c, sizeof c, NULL, "ONNX:", true), "\033[34m\033[1mONNX:\033[0m");
    EXPECT_EQ_STR(report_colorstr(c, sizeof c, "bold", "/x", true), "\033[1m/x\033[0m");
    EXPECT_EQ_STR(report_colorstr(c, sizeof c, NULL, "ONNX:", false), "ONNX:");
}

static void test_precision_scan(void)
{
    Graph *g = graph_new();
    int64_t big[1] = {1000}, small[1] = {4};
    float f[1000] = {0};
    uint16_t h[1000] = {0};
    graph_add_const(g, "w32", DT_F32, 1, big, f);
    graph_add_const(g, "scales", DT_F32, 1, small, f); /* too small to count */
    PrecisionInfo p;
    report_scan_precision(g, &p);
    EXPECT_EQ_INT(p.kind, PREC_FP32);
    EXPECT_EQ_STR(p.text, "fp32");
    Graph *g16 = graph_new();
    graph_add_const(g16, "w16", DT_F16, 1, big, h);
    graph_add_const(g16, "scales", DT_F32, 1, small, f);
    report_scan_precision(g16, &p);
    EXPECT_EQ_INT(p.kind, PREC_FP16);
    EXPECT_EQ_STR(p.text, "fp16");
    graph_add_const(g16, "w32", DT_F32, 1, big, f);
    report_scan_precision(g16, &p);
    EXPECT_EQ_INT(p.kind, PREC_MIXED);
    EXPECT_EQ_STR(p.text, "mixed (fp32 67%, fp16 33%)");
    graph_free(g);
    graph_free(g16);
}

static void test_out_base(void)
{
    struct {
        const char *in, *want;
    } cases[] = {
        {"yolov8n.pt", "yolov8n"},
        {"models/yolov8n.pt", "models/yolov8n"},
        {"/abs/dir/yolo11n-seg.pt", "/abs/dir/yolo11n-seg"},
        {"cfg/yolov8n-pose.yaml", "yolov8n-pose"},
        {"yolo11n-obb.yml", "yolo11n-obb"},
        {"dir.v2/model", "dir.v2/model"},
        /* a folder model: its format's folder suffix goes, it lands beside the folder */
        {"ref/yolov8n_int8_openvino_model/", "ref/yolov8n_int8"},
        {"yolov8n_ncnn_model", "yolov8n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *b = export_out_base(cases[i].in);
        EXPECT_EQ_STR(b, cases[i].want);
        free(b);
    }
    /* name= is the artifact's name, project= its folder; RKNN's name is its chip */
    ExportArgs a;
    export_args_init(&a);
    const FormatInfo *onnx = registry_get(FMT_ONNX), *rknn = registry_get(FMT_RKNN), *tfl = registry_get(FMT_TFLITE);
    char *b = export_out_base_for("models/yolov8n.pt", &a, onnx);
    EXPECT_EQ_STR(b, "models/yolov8n");
    free(b);
    export_args_set(&a, "name", "yolov8n-half", NULL);
    b = export_out_base_for("models/yolov8n.pt", &a, onnx);
    EXPECT_EQ_STR(b, "models/yolov8n-half");
    free(b);
    b = export_out_base_for("models/yolov8n.pt", &a, rknn);
    EXPECT_EQ_STR(b, "models/yolov8n");
    free(b);
    export_args_set(&a, "project", "runs/exp/", NULL);
    b = export_replaced_path("models/yolov8n.pt", &a, onnx);
    EXPECT_EQ_STR(b, "runs/exp/yolov8n-half.onnx");
    free(b);
    b = export_replaced_path("models/yolov8n.pt", &a, tfl); /* TF Lite's files live in the _saved_model folder */
    EXPECT_EQ_STR(b, "runs/exp/yolov8n-half_saved_model");
    free(b);
    export_args_set(&a, "int8", "True", NULL); /* the peer's int8 names */
    b = export_replaced_path("models/yolov8n.pt", &a, onnx);
    EXPECT_EQ_STR(b, "runs/exp/yolov8n-half_int8.onnx");
    free(b);
    b = export_replaced_path("models/yolov8n.pt", &a, registry_get(FMT_OPENVINO));
    EXPECT_EQ_STR(b, "runs/exp/yolov8n-half_int8_openvino_model");
    free(b);
    export_args_set(&a, "int8", "False", NULL);
    export_args_set(&a, "name", "None", NULL);
    b = export_out_base_for("yolov8n.yaml", &a, onnx);
    EXPECT_EQ_STR(b, "runs/exp/yolov8n");
    free(b);
}

static void test_metadata_dict(void)
{
    Graph *src = graph_new();
    const char *names[] = {"person", "it's"};
    graph_meta_set_names(src, names, 2);
    src->meta.task = "pose";
    src->meta.n_strides = 3;
    src->meta.strides[0] = 8;
    src->meta.strides[1] = 16;
    src->meta.strides[2] = 32;
    src->meta.channels = 3;
    src->meta.kpt_shape[0] = 17;
    src->meta.kpt_shape[1] = 3;
    src->meta.data = "coco-pose.yaml";
    ExportArgs a, given;
    memset(&a, 0, sizeof a);
    a.batch = 1;
    a.imgsz.n = 2;
    a.imgsz.v[0] = 640;
    a.imgsz.v[1] = 480;
    a.half = true;
    a.simplify = true;
    a.opset = 17; /* effective; the user gave none */
    given = a;
    given.opset = 0;
    given.none = EXPORT_ARG_BIT(EXPORT_KEY_OPSET);
    FormatInfo fmt = {.id = FMT_ONNX,
                      .name = "ONNX",
                      .args = EXPORT_ARG_BIT(EXPORT_KEY_BATCH) | EXPORT_ARG_BIT(EXPORT_KEY_DYNAMIC) |
                              EXPORT_ARG_BIT(EXPORT_KEY_HALF) | EXPORT_ARG_BIT(EXPORT_KEY_OPSET) |
                              EXPORT_ARG_BIT(EXPORT_KEY_SIMPLIFY) | EXPORT_ARG_BIT(EXPORT_KEY_NMS)};
    ExportCtx ctx = {.args = &a, .given = &given, .fmt = &fmt, .source = src, .pretty_name = "YOLOv8n-pose"};
    Graph *g = graph_new();
    export_set_metadata(g, &ctx);
    const char *keys[] = {"description", "author", "date", "version", "license", "docs", "stride",
                          "task", "batch", "imgsz", "names", "args", "channels", "kpt_shape"};
    EXPECT_EQ_INT(g->meta.n_props, (int)(sizeof keys / sizeof keys[0]));
    for (int i = 0; i < g->meta.n_props && i < (int)(sizeof keys / sizeof keys[0]); i++)
        EXPECT_EQ_STR(g->meta.props[i].key, keys[i]);
    EXPECT_EQ_STR(graph_meta_prop(g, "description"), "Ultralytics YOLOv8n-pose model trained on coco-pose.yaml");
    EXPECT_EQ_STR(graph_meta_prop(g, "author"), "Ultralytics");
    EXPECT_EQ_STR(graph_meta_prop(g, "version"), "8.3.185");
    EXPECT_EQ_STR(graph_meta_prop(g, "stride"), "32");
    EXPECT_EQ_STR(graph_meta_prop(g, "task"), "pose");
    EXPECT_EQ_STR(graph_meta_prop(g, "batch"), "1");
    EXPECT_EQ_STR(graph_meta_prop(g, "imgsz"), "[640, 480]");
    EXPECT_EQ_STR(graph_meta_prop(g, "names"), "{0: 'person', 1: \"it's\"}");
    EXPECT_EQ_STR(graph_meta_prop(g, "args"),
                  "{'batch': 1, 'half': True, 'dynamic': False, 'simplify': True, 'opset': None, 'nms': False}");
    EXPECT_EQ_STR(graph_meta_prop(g, "channels"), "3");
    EXPECT_EQ_STR(graph_meta_prop(g, "kpt_shape"), "[17, 3]");
    graph_free(g);
    /* no training data: the peer's trailing space */
    src->meta.data = NULL;
    src->meta.task = "detect";
    g = graph_new();
    export_set_metadata(g, &ctx);
    EXPECT_EQ_STR(graph_meta_prop(g, "description"), "Ultralytics YOLOv8n-pose model ");
    EXPECT(graph_meta_prop(g, "kpt_shape") == NULL);
    graph_free(g);
    graph_free(src);
}

int main(void)
{
    RUN(test_py_repr);
    RUN(test_isoformat_and_tuples);
    RUN(test_precision_scan);
    RUN(test_out_base);
    RUN(test_metadata_dict);
    return check_done();
}
