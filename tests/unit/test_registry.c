/* Tests for the format registry: the peer's rows and order, aliases, closest-match
 * suggestions with difflib's numbers, availability texts and the tool lookup. */
#include <sys/stat.h>

#include "engine/export/export_args.h"
#include "engine/core/util.h"
#include "engine/registry/registry.h"
#include "tests/check.h"

/* The peer's export_formats() table (section 2 of the reference), row by row. */
static const struct {
    const char *name, *argument, *suffix;
    bool cpu, gpu;
    const char *args;
} peer[] = {
    {"PyTorch", "-", ".pt", true, true, ""},
    {"TorchScript", "torchscript", ".torchscript", true, true, "batch, optimize, half, nms, dynamic"},
    {"ONNX", "onnx", ".onnx", true, true, "batch, dynamic, half, opset, simplify, nms"},
    {"OpenVINO", "openvino", "_openvino_model", true, false, "batch, dynamic, half, int8, nms, fraction"},
    {"TensorRT", "engine", ".engine", false, true, "batch, dynamic, half, int8, simplify, nms, fraction"},
    {"CoreML", "coreml", ".mlpackage", true, false, "batch, half, int8, nms"},
    {"TensorFlow SavedModel", "saved_model", "_saved_model", true, true, "batch, int8, keras, nms"},
    {"TensorFlow GraphDef", "pb", ".pb", true, true, "batch"},
    {"TensorFlow Lite", "tflite", ".tflite", true, false, "batch, half, int8, nms, fraction"},
    {"TensorFlow Edge TPU", "edgetpu", "_edgetpu.tflite", true, false, ""},
    {"TensorFlow.js", "tfjs", "_web_model", true, false, "batch, half, int8, nms"},
    {"PaddlePaddle", "paddle", "_paddle_model", true, true, "batch"},
    {"MNN", "mnn", ".mnn", true, true, "batch, half, int8"},
    {"NCNN", "ncnn", "_ncnn_model", true, true, "batch, half"},
    {"IMX", "imx", "_imx_model", true, true, "int8, fraction, nms"},
    {"RKNN", "rknn", "_rknn_model", false, false, "batch, name"},
};

static void test_rows_match_peer(void)
{
    EXPECT_EQ_INT(registry_count(), 16);
    EXPECT_EQ_INT(ARRAY_LEN(peer), 16);
    for (int i = 0; i < registry_count(); i++) {
        const FormatInfo *f = registry_get(i);
        EXPECT_EQ_INT(f->id, i);
        EXPECT_EQ_STR(f->name, peer[i].name);
        EXPECT_EQ_STR(f->argument, peer[i].argument);
        EXPECT_EQ_STR(f->suffix, peer[i].suffix);
        EXPECT_EQ_INT(f->cpu, peer[i].cpu);
        EXPECT_EQ_INT(f->gpu, peer[i].gpu);
        EXPECT_EQ_STR(f->peer_args, peer[i].args);
        /* the bitmask says the same as the text */
        uint32_t mask = 0;
        char buf[128];
        snprintf(buf, sizeof buf, "%s", peer[i].args);
        for (char *t = strtok(buf, ", "); t; t = strtok(NULL, ", ")) mask |= EXPORT_ARG_BIT(export_arg_find(t));
        EXPECT_MSG(f->args == mask, "%s: mask %#x vs %#x", f->name, f->args, mask);
        EXPECT(f->aliases != NULL);
        /* honest availability: a reason exactly when there is no writer */
        if (f->write) {
            EXPECT(f->unavailable_reason == NULL);
        } else {
            EXPECT(f->unavailable_reason != NULL);
            EXPECT_MSG(strncmp(f->unavailable_reason, "not available in this build: ", strlen("not available in this build: ")) == 0, "%s: %s", f->name,
                       f->unavailable_reason);
            EXPECT(strlen(f->unavailable_reason) > 50);
        }
        EXPECT((f->tool == NULL) == (f->tool_note == NULL));
    }
    EXPECT(registry_get(-1) == NULL);
    EXPECT(registry_get(16) == NULL);
    EXPECT_EQ_INT(registry_get(FMT_ONNX)->dir_output, false);
    EXPECT_EQ_INT(registry_get(FMT_OPENVINO)->dir_output, true);
    EXPECT_EQ_INT(registry_get(FMT_SAVED_MODEL)->dir_output, true);
    EXPECT_EQ_INT(registry_get(FMT_EDGETPU)->dir_output, false);
    EXPECT_EQ_INT(registry_get(FMT_NCNN)->dir_output, true);
    EXPECT_EQ_INT(registry_get(FMT_COREML)->dir_output, false);
    EXPECT_EQ_STR(registry_get(FMT_ENGINE)->tool, "trtexec");
    EXPECT_EQ_STR(registry_get(FMT_OPENVINO)->tool, "ovc");
    EXPECT_EQ_STR(registry_get(FMT_NCNN)->tool, "pnnx");
    EXPECT_EQ_STR(registry_get(FMT_EDGETPU)->tool, "edgetpu_compiler");
    if (!registry_get(FMT_ENGINE)->write) EXPECT_CONTAINS(registry_get(FMT_ENGINE)->unavailable_reason, "NVIDIA GPU");
    EXPECT_EQ_STR(registry_valid_formats_text(),
                  "('torchscript', 'onnx', 'openvino', 'engine', 'coreml', 'saved_model', 'pb', 'tflite', "
                  "'edgetpu', 'tfjs', 'paddle', 'mnn', 'ncnn', 'imx', 'rknn')");
}

static void test_lookup_and_aliases(void)
{
    static const struct {
        const char *in;
        int id;
    } cases[] = {
        {"onnx", FMT_ONNX},         {"ONNX", FMT_ONNX},         {"engine", FMT_ENGINE},
        {"tensorrt", FMT_ENGINE},   {"trt", FMT_ENGINE},        {"TRT", FMT_ENGINE},
        {"coreml", FMT_COREML},     {"mlmodel", FMT_COREML},    {"mlpackage", FMT_COREML},
        {"mlprogram", FMT_COREML},  {"apple", FMT_COREML},      {"ios", FMT_COREML},
        {"saved_model", FMT_SAVED_MODEL}, {"rknn", FMT_RKNN},   {"torchscript", FMT_TORCHSCRIPT},
        {"-", -1},                  {"pytorch", -1},            {"pt", -1},
        {"", -1},                   {"onnx ", -1},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const FormatInfo *f = registry_find(cases[i].in);
        EXPECT_MSG((f ? (int)f->id : -1) == cases[i].id, "'%s' -> %d, expected %d", cases[i].in, f ? (int)f->id : -1,
                   cases[i].id);
    }
    EXPECT(registry_find(NULL) == NULL);
}

/* Expected values from Python's difflib (3.11) on the same inputs. */
static void test_suggestions_like_difflib(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"onx", "onnx"},           {"tflit", "tflite"},         {"openvno", "openvino"},  {"xyz", NULL},
        {"torchscrip", "torchscript"}, {"engin", "engine"},     {"tensorflow", NULL},     {"tf", "tfjs"},
        {"pt", NULL},              {"saved", "saved_model"},    {"savedmodel", "saved_model"}, {"ncn", "ncnn"},
        {"mn", "mnn"},             {"paddlepaddle", "paddle"},  {"edge", "edgetpu"},      {"coreml2", "coreml"},
        {"onnx2", "onnx"},         {"open_vino", "openvino"},   {"tensorrt", NULL},       {"pytorch", NULL},
        {"imx500", "imx"},         {"tfl", "tflite"},           {"tflite_int8", "tflite"}, {"OPENVNO", "openvino"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const char *got = registry_suggest(cases[i].in);
        EXPECT_MSG((got == NULL && cases[i].out == NULL) || (got && cases[i].out && !strcmp(got, cases[i].out)),
                   "'%s' -> %s, expected %s", cases[i].in, got ? got : "(none)", cases[i].out ? cases[i].out : "(none)");
    }
    /* SequenceMatcher(None, a, b).ratio() */
    EXPECT_NEAR(registry_similarity("onnx", "onx"), 6.0 / 7.0, 1e-12);
    EXPECT_NEAR(registry_similarity("tflite", "tflit"), 10.0 / 11.0, 1e-12);
    EXPECT_NEAR(registry_similarity("openvino", "openvno"), 14.0 / 15.0, 1e-12);
    EXPECT_NEAR(registry_similarity("engine", "edge"), 0.6, 1e-12);
    EXPECT_NEAR(registry_similarity("", ""), 1.0, 0);
    EXPECT_NEAR(registry_similarity("abc", ""), 0.0, 0);
    /* order-sensitive blocks: 'abcd' vs 'bcda' matches 'bcd' (3 of 4) */
    EXPECT_NEAR(registry_similarity("abcd", "bcda"), 0.75, 1e-12);
    /* get_close_matches ties: heapq.nlargest on (score, word) puts the larger word first */
    const char *cands[] = {"ab1", "ab2", "zzz", "ab"};
    int out[4];
    EXPECT_EQ_INT(registry_close_matches("ab", cands, 4, 3, 0.6, out), 3);
    EXPECT_EQ_STR(cands[out[0]], "ab");
    EXPECT_EQ_STR(cands[out[1]], "ab2");
    EXPECT_EQ_STR(cands[out[2]], "ab1");
    EXPECT_EQ_INT(registry_close_matches("ab", cands, 4, 0, 0.6, out), 0);
}

static void test_tool_on_path(void)
{
    char dir[] = "/tmp/yoloport-regXXXXXX";
    if (!mkdtemp(dir)) {
        SKIP("mkdtemp failed");
        return;
    }
    char *old = getenv("PATH") ? xstrdup(getenv("PATH")) : NULL;
    setenv("PATH", dir, 1);
    const FormatInfo *trt = registry_get(FMT_ENGINE);
    char where[4096] = "";
    EXPECT(!registry_tool_on_path(trt, where, sizeof where));
    char *tool = xasprintf("%s/trtexec", dir);
    FILE *f = fopen(tool, "w");
    EXPECT(f != NULL);
    if (f) {
        fputs("#!/bin/sh\n", f);
        fclose(f);
    }
    chmod(tool, 0755);
    EXPECT(registry_tool_on_path(trt, where, sizeof where));
    EXPECT_EQ_STR(where, tool);
    EXPECT(!registry_tool_on_path(registry_get(FMT_ONNX), NULL, 0)); /* no tool for ONNX */
    chmod(tool, 0644); /* not executable: not a tool */
    EXPECT(!registry_tool_on_path(trt, NULL, 0));
    unlink(tool);
    rmdir(dir);
    free(tool);
    if (old) setenv("PATH", old, 1);
    free(old);
}

int main(void)
{
    RUN(test_rows_match_peer);
    RUN(test_lookup_and_aliases);
    RUN(test_suggestions_like_difflib);
    RUN(test_tool_on_path);
    return check_done();
}
