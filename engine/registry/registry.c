/* registry: the table of format plugins (see registry.h) -- one row per format, the export
 * table in the peer's export_formats() order, then the source-only kinds -- and format-name
 * lookup with difflib-style closest-match suggestions. */
#include "engine/registry/registry.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/export/export.h"
#include "engine/export/export_args.h"
#include "engine/registry/readers.h"
#include "engine/runtime/runtime.h"
#include "engine/tools/stages.h"
#include "formats/mnn.h"
#include "formats/ncnn.h"
#include "formats/onnx.h"
#include "formats/openvino.h"
#include "formats/tfjs.h"
#include "formats/tflite.h"
#include "formats/torchscript.h"

static const char *const no_aliases[] = {NULL};
static const char *const engine_aliases[] = {"tensorrt", "trt", NULL};
static const char *const coreml_aliases[] = {"mlmodel", "mlpackage", "mlprogram", "apple", "ios", NULL};

/* The rows.  Filled in by table_init from here: id, key (format_id.h), aliases (none when
 * NULL) and args (parsed from peer_args). */
#define NA "not available in this build: "
static const FormatInfo rows[FMT_ID_COUNT] = {
    [FMT_PYTORCH] = {.name = "PyTorch", .argument = "-", .suffix = ".pt", .cpu = true, .gpu = true,
                     .peer_args = "", .matrix_id = "PyTorch",
                     .recognise = reader_pt_recognise, .read = reader_pt_read, .read_builds = true,
                     .source_text = "an Ultralytics checkpoint (.pt)",
                     .unavailable_reason = NA "PyTorch checkpoints are the source format; yoloport reads .pt files "
                                              "but does not write them"},
    [FMT_TORCHSCRIPT] = {.name = "TorchScript", .argument = "torchscript", .suffix = ".torchscript", .cpu = true,
                         .gpu = true, .peer_args = "batch, optimize, half, nms, dynamic", .matrix_id = "TorchScript",
                         .recognise = reader_torchscript_recognise, .read = reader_torchscript_read,
                         .source_text = "a TorchScript archive yoloport exported (.torchscript)",
                         .write = export_torchscript_stage, .write_ops = torchscript_write_op_support},
    [FMT_ONNX] = {.name = "ONNX", .argument = "onnx", .suffix = ".onnx", .cpu = true, .gpu = true,
                  .peer_args = "batch, dynamic, half, opset, simplify, nms", .our_args = "int8, fraction",
                  .matrix_id = "ONNX",
                  .recognise = reader_onnx_recognise, .read = reader_onnx_read,
                  .source_text = "an ONNX file (.onnx)", .write = export_onnx_stage, .write_ops = onnx_write_op_support,
                  .run = runtime_ort_run},
    [FMT_OPENVINO] = {.name = "OpenVINO", .argument = "openvino", .suffix = "_openvino_model", .dir_output = true,
                      .cpu = true, .peer_args = "batch, dynamic, half, int8, nms, fraction", .matrix_id = "OpenVINO",
                      .recognise = reader_openvino_recognise, .read = reader_openvino_read,
                      .source_text = "an OpenVINO IR (an .xml with its .bin, or their _openvino_model folder)",
                      .write = export_openvino_stage, .write_ops = openvino_write_op_support,
                      .drive_tool = export_converter_tool, .tool = "ovc",
                      .tool_note = "OpenVINO model converter (pip install openvino); converts an ONNX file to IR"},
    [FMT_ENGINE] = {.name = "TensorRT", .argument = "engine", .aliases = engine_aliases, .suffix = ".engine",
                    .gpu = true, .peer_args = "batch, dynamic, half, int8, simplify, nms, fraction",
                    .matrix_id = "TensorRT",
                    .recognise = reader_engine_recognise,
                    .unreadable_reason = "a TensorRT engine (its plan runs only in TensorRT, on the GPU it was built "
                                         "for); `yoloport info` reads its header",
                    .unavailable_reason = NA "yoloport does not build engines itself: the TensorRT builder does, on "
                                             "an NVIDIA GPU (an engine is built for one GPU model and TensorRT "
                                             "version); yoloport drives trtexec on this host or on host=",
                    .drive_tool = export_engine_tool, .tool = "trtexec",
                    .tool_note = "TensorRT's command-line builder (NVIDIA TensorRT, needs a CUDA GPU)"},
    [FMT_COREML] = {.name = "CoreML", .argument = "coreml", .aliases = coreml_aliases, .suffix = ".mlpackage",
                    .cpu = true, .peer_args = "batch, half, int8, nms", .matrix_id = "CoreML",
                    .unavailable_reason = NA "needs Apple's coremltools (Python) to write ML Program packages",
                    .drive_tool = export_peer_tool, .tool = "yolo",
                    .tool_note = "the Ultralytics command line (with coremltools): yoloport drives `yolo export`"},
    [FMT_SAVED_MODEL] = {.name = "TensorFlow SavedModel", .argument = "saved_model", .suffix = "_saved_model",
                         .dir_output = true, .cpu = true, .gpu = true, .peer_args = "batch, int8, keras, nms",
                         .our_args = "dynamic", .dynamic_hw_only = true, .matrix_id = "TF SavedModel", .recognise = reader_saved_model_recognise,
                         .read = reader_saved_model_read,
                         .source_text = "a TensorFlow SavedModel (a _saved_model folder)",
                         .write = export_saved_model_stage, .write_ops = tflite_write_op_support,
                         .tool = "onnx2tf",
                         .tool_note = "onnx2tf (Python, needs TensorFlow): converts an ONNX file to a SavedModel"},
    [FMT_PB] = {.name = "TensorFlow GraphDef", .argument = "pb", .suffix = ".pb", .cpu = true, .gpu = true,
                .peer_args = "batch", .our_args = "dynamic", .dynamic_hw_only = true,
                .matrix_id = "TF GraphDef", .recognise = reader_pb_recognise,
                .read = reader_pb_read,
                .source_text = "a frozen TensorFlow GraphDef (.pb)",
                .write = export_pb_stage, .write_ops = tfjs_write_op_support,
                .tool = "onnx2tf",
                .tool_note = "onnx2tf (Python, needs TensorFlow) makes the SavedModel the GraphDef is frozen from"},
    [FMT_TFLITE] = {.name = "TensorFlow Lite", .argument = "tflite", .suffix = ".tflite", .cpu = true,
                    .peer_args = "batch, half, int8, nms, fraction", .our_args = "dynamic",
                    .dynamic_hw_only = true, .matrix_id = "TF Lite",
                    .recognise = reader_tflite_recognise, .read = reader_tflite_read,
                    .source_text = "a TensorFlow Lite model (.tflite)",
                    .write = export_tflite_stage, .write_ops = tflite_write_op_support,
                    .tool = "onnx2tf",
                    .tool_note = "onnx2tf (Python, needs TensorFlow): writes .tflite files from an ONNX file"},
    [FMT_EDGETPU] = {.name = "TensorFlow Edge TPU", .argument = "edgetpu", .suffix = "_edgetpu.tflite", .cpu = true,
                     .peer_args = "", .our_args = "int8, fraction", .matrix_id = "TF Edge TPU",
                     .unavailable_reason = NA "needs edgetpu_compiler (Linux x86-64): yoloport writes the "
                                              "full-integer TF Lite file and hands it to the compiler",
                     .drive_tool = export_edgetpu_tool, .tool = "edgetpu_compiler",
                     .tool_note = "Coral Edge TPU compiler (x86-64 Linux); compiles a full-integer .tflite"},
    [FMT_TFJS] = {.name = "TensorFlow.js", .argument = "tfjs", .suffix = "_web_model", .dir_output = true,
                  .cpu = true, .peer_args = "batch, half, int8, nms", .our_args = "dynamic",
                  .dynamic_hw_only = true, .matrix_id = "TF.js",
                  .recognise = reader_tfjs_recognise, .read = reader_tfjs_read,
                  .source_text = "a TensorFlow.js graph model (a _web_model folder or its model.json)",
                  .write = export_tfjs_stage, .write_ops = tfjs_write_op_support, .tool = "tensorflowjs_converter",
                  .tool_note = "tensorflowjs (Python): converts a SavedModel or GraphDef to TF.js"},
    [FMT_PADDLE] = {.name = "PaddlePaddle", .argument = "paddle", .suffix = "_paddle_model", .dir_output = true,
                    .cpu = true, .gpu = true, .peer_args = "batch", .matrix_id = "PaddlePaddle",
                    .unavailable_reason = NA "needs X2Paddle with PaddlePaddle (Python) to convert the model",
                    .drive_tool = export_peer_tool, .tool = "yolo",
                    .tool_note = "the Ultralytics command line (with X2Paddle and PaddlePaddle): yoloport drives "
                                 "`yolo export`"},
    [FMT_MNN] = {.name = "MNN", .argument = "mnn", .suffix = ".mnn", .cpu = true, .gpu = true,
                 .peer_args = "batch, half, int8", .our_args = "dynamic", .dynamic_hw_only = true,
                 .matrix_id = "MNN",
                 .recognise = reader_mnn_recognise, .read = reader_mnn_read, .source_text = "an MNN model (.mnn)",
                 .write = export_mnn_stage, .write_ops = mnn_write_op_support,
                 .drive_tool = export_converter_tool,
                 .tool = "MNNConvert",
                 .tool_note = "MNN's converter (pip install MNN, or built from source): ONNX -> .mnn"},
    [FMT_NCNN] = {.name = "NCNN", .argument = "ncnn", .suffix = "_ncnn_model", .dir_output = true, .cpu = true,
                  .gpu = true, .peer_args = "batch, half", .our_args = "dynamic", .dynamic_hw_only = true,
                  .matrix_id = "NCNN",
                  .recognise = reader_ncnn_recognise, .read = reader_ncnn_read,
                  .source_text = "an ncnn model (a .param with its .bin, or their _ncnn_model folder)",
                  .write = export_ncnn_stage, .write_ops = ncnn_write_op_support, .run = runtime_ncnn_run,
                  .drive_tool = export_converter_tool,
                  .tool = "pnnx",
                  .tool_note = "PNNX from ncnn (pip install pnnx): converts TorchScript/ONNX to .param/.bin"},
    [FMT_IMX] = {.name = "IMX", .argument = "imx", .suffix = "_imx_model", .dir_output = true, .cpu = true,
                 .gpu = true, .peer_args = "int8, fraction, nms",
                 .unavailable_reason = NA "needs Sony's Model Compression Toolkit and imxconv-pt (Python, x86-64 "
                                          "Linux) for the IMX500",
                 .drive_tool = export_peer_tool, .tool = "yolo",
                 .tool_note = "the Ultralytics command line (with Sony's imx500-converter, x86-64 Linux): yoloport "
                              "drives `yolo export`"},
    [FMT_RKNN] = {.name = "RKNN", .argument = "rknn", .suffix = "_rknn_model", .dir_output = true,
                  .peer_args = "batch, name",
                  .unavailable_reason = NA "needs Rockchip's rknn-toolkit2 (Python, x86-64 Linux) to compile for "
                                           "the NPU",
                  .drive_tool = export_peer_tool, .tool = "yolo",
                  .tool_note = "the Ultralytics command line (with rknn-toolkit2, x86-64 Linux): yoloport drives "
                               "`yolo export`"},
    /* source-only kinds: not part of the export table */
    [FMT_YAML] = {.name = "Model config", .recognise = reader_yaml_recognise, .read = reader_yaml_read,
                  .read_builds = true, .source_text = "a model config (yolov8n.yaml, built in)"},
};
#undef NA

static FormatInfo table[FMT_ID_COUNT];
static char valid_formats_text[512], sources_text[1024], writable_text[512];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static uint32_t args_mask(const char *list)
{
    uint32_t mask = 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *s = p;
        while (*p && *p != ',') p++;
        if (p > s) {
            char name[32];
            size_t n = (size_t)(p - s);
            if (n >= sizeof name) n = sizeof name - 1;
            memcpy(name, s, n);
            name[n] = '\0';
            int key = export_arg_find(name);
            if (key < 0) {
                /* A typo in the constant table above: fail loudly in every test run. */
                fprintf(stderr, "registry: unknown argument '%s' in a format row\n", name);
                abort();
            }
            mask |= EXPORT_ARG_BIT(key);
        }
    }
    return mask;
}

/* items[0..n) joined as "a, b or c" into buf. */
static void join_or(char *buf, size_t len, const char *const *items, int n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", items[i]);
}

static void table_init(void)
{
    for (int i = 0; i < FMT_ID_COUNT; i++) {
        FormatInfo *f = &table[i];
        *f = rows[i];
        f->id = (FormatId)i;
        f->key = format_id_key((FormatId)i);
        if (!f->aliases) f->aliases = no_aliases;
        f->args = args_mask(f->peer_args ? f->peer_args : "");
        f->ours = args_mask(f->our_args ? f->our_args : "");
    }
    /* The peer's tuple(export_formats()["Argument"][1:]), printed as Python prints it. */
    size_t len = 0;
    len += (size_t)snprintf(valid_formats_text + len, sizeof valid_formats_text - len, "(");
    for (int i = 1; i < FMT_COUNT; i++)
        len += (size_t)snprintf(valid_formats_text + len, sizeof valid_formats_text - len, "%s'%s'",
                                i > 1 ? ", " : "", table[i].argument);
    snprintf(valid_formats_text + len, sizeof valid_formats_text - len, ")");
    const char *items[FMT_ID_COUNT];
    int n = 0;
    for (int i = 0; i < FMT_ID_COUNT; i++)
        if (table[i].read && table[i].source_text) items[n++] = table[i].source_text;
    join_or(sources_text, sizeof sources_text, items, n);
    n = 0;
    for (int i = 1; i < FMT_COUNT; i++)
        if (table[i].write) items[n++] = table[i].argument;
    join_or(writable_text, sizeof writable_text, items, n);
}

int registry_count(void)
{
    return FMT_COUNT;
}

const FormatInfo *registry_get(int i)
{
    if (i < 0 || i >= FMT_COUNT) return NULL;
    pthread_once(&table_once, table_init);
    return &table[i];
}

const FormatInfo *registry_row(FormatId id)
{
    if ((int)id < 0 || (int)id >= FMT_ID_COUNT) return NULL;
    pthread_once(&table_once, table_init);
    return &table[id];
}

const FormatInfo *registry_find(const char *argument)
{
    if (!argument || !*argument) return NULL;
    for (int i = 1; i < FMT_COUNT; i++) { /* row 0 (PyTorch, "-") is not exportable */
        const FormatInfo *f = registry_get(i);
        if (strcasecmp(argument, f->argument) == 0) return f;
        for (const char *const *a = f->aliases; *a; a++)
            if (strcasecmp(argument, *a) == 0) return f;
    }
    return NULL;
}

/* ---- difflib ------------------------------------------------------------------------ */

/* Longest common substring of a[alo,ahi) and b[blo,bhi), as SequenceMatcher.find_longest_match
 * finds it without junk: the first maximal block in scanning order (earliest end in a, then
 * earliest in b), which for equal sizes is the earliest start in a, then in b. */
static void longest_match(const char *a, int alo, int ahi, const char *b, int blo, int bhi, int *bi, int *bj,
                          int *bsize)
{
    int n = bhi - blo;
    int *prev = calloc((size_t)n + 1, sizeof *prev), *cur = calloc((size_t)n + 1, sizeof *cur);
    if (!prev || !cur) abort();
    *bi = alo, *bj = blo, *bsize = 0;
    for (int i = alo; i < ahi; i++) {
        for (int j = blo; j < bhi; j++) {
            int k = a[i] == b[j] ? prev[j - blo] + 1 : 0; /* prev[j-blo] is the run ending at (i-1, j-1) */
            cur[j - blo + 1] = k;
            if (k > *bsize) {
                *bi = i - k + 1;
                *bj = j - k + 1;
                *bsize = k;
            }
        }
        int *t = prev;
        prev = cur;
        cur = t;
        memset(cur, 0, ((size_t)n + 1) * sizeof *cur);
    }
    free(prev);
    free(cur);
}

static int matched_chars(const char *a, int alo, int ahi, const char *b, int blo, int bhi)
{
    if (alo >= ahi || blo >= bhi) return 0;
    int i, j, k;
    longest_match(a, alo, ahi, b, blo, bhi, &i, &j, &k);
    if (k == 0) return 0;
    return k + matched_chars(a, alo, i, b, blo, j) + matched_chars(a, i + k, ahi, b, j + k, bhi);
}

double registry_similarity(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la + lb == 0) return 1.0;
    return 2.0 * matched_chars(a, 0, la, b, 0, lb) / (double)(la + lb);
}

int registry_close_matches(const char *word, const char *const *candidates, int n_candidates, int n,
                           double cutoff, int *out)
{
    if (n <= 0) return 0;
    int *idx = malloc(sizeof(int) * (size_t)(n_candidates > 0 ? n_candidates : 1));
    double *score = malloc(sizeof(double) * (size_t)(n_candidates > 0 ? n_candidates : 1));
    if (!idx || !score) abort();
    int m = 0;
    for (int c = 0; c < n_candidates; c++) {
        /* SequenceMatcher(None, candidate, word): a is the candidate, b the word. */
        double r = registry_similarity(candidates[c], word);
        if (r >= cutoff) {
            idx[m] = c;
            score[m] = r;
            m++;
        }
    }
    /* heapq.nlargest(n, [(score, candidate)]): by score, then by candidate string, both descending. */
    for (int i = 1; i < m; i++) {
        for (int j = i; j > 0; j--) {
            bool swap = score[j] > score[j - 1] ||
                        (score[j] == score[j - 1] && strcmp(candidates[idx[j]], candidates[idx[j - 1]]) > 0);
            if (!swap) break;
            double ts = score[j];
            score[j] = score[j - 1];
            score[j - 1] = ts;
            int ti = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = ti;
        }
    }
    int k = m < n ? m : n;
    for (int i = 0; i < k; i++) out[i] = idx[i];
    free(idx);
    free(score);
    return k;
}

const char *registry_suggest(const char *argument)
{
    if (!argument) return NULL;
    const char *cands[FMT_COUNT];
    int nc = 0;
    for (int i = 1; i < FMT_COUNT; i++) cands[nc++] = registry_get(i)->argument;
    char low[256];
    size_t n = strlen(argument);
    if (n >= sizeof low) return NULL; /* nothing that long is within 0.6 of a short name */
    for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)argument[i]);
    int best;
    if (registry_close_matches(low, cands, nc, 1, 0.6, &best) != 1) return NULL;
    return cands[best];
}

const char *registry_valid_formats_text(void)
{
    pthread_once(&table_once, table_init);
    return valid_formats_text;
}

const char *registry_sources_text(void)
{
    pthread_once(&table_once, table_init);
    return sources_text;
}

const char *registry_writable_text(void)
{
    pthread_once(&table_once, table_init);
    return writable_text;
}

bool registry_tool_on_path(const FormatInfo *fi, char *path_out, size_t path_len)
{
    if (!fi || !fi->tool) return false;
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    const char *p = path;
    while (*p) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char cand[4096];
        if (n == 0) snprintf(cand, sizeof cand, "./%s", fi->tool); /* empty PATH entry: the CWD */
        else snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, fi->tool);
        if (access(cand, X_OK) == 0) {
            if (path_out && path_len) snprintf(path_out, path_len, "%s", cand);
            return true;
        }
        p += n;
        if (*p == ':') p++;
    }
    return false;
}
