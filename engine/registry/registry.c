/* registry: the export format table (the peer's export_formats() rows and order) and
 * format-name lookup with difflib-style closest-match suggestions. */
#include "engine/registry/registry.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine/export/export_args.h"

/* Defined in engine/registry/registry_writers.c: the writer stage of each row in this build. */
extern const FormatWriteFn registry_writer_table[FMT_COUNT];

static const char *const no_aliases[] = {NULL};
static const char *const engine_aliases[] = {"tensorrt", "trt", NULL};
static const char *const coreml_aliases[] = {"mlmodel", "mlpackage", "mlprogram", "apple", "ios", NULL};

/* What the X-macro in registry.h does not say: the peer's CPU/GPU/Arguments columns and
 * what it takes to produce the format without a writer of ours. */
typedef struct {
    const char *const *aliases;
    bool cpu, gpu;
    const char *peer_args;
    const char *unavailable_reason;
    const char *tool;
    const char *tool_note;
} FormatExtra;

#define NA "not available in this build: "
static const FormatExtra extras[FMT_COUNT] = {
    [FMT_PYTORCH] = {no_aliases, true, true, "",
                     NA "PyTorch checkpoints are the source format; yoloport reads .pt files but does not write them",
                     NULL, NULL},
    [FMT_TORCHSCRIPT] = {no_aliases, true, true, "batch, optimize, half, nms, dynamic",
                         NA "yoloport's TorchScript writer is not part of it", NULL, NULL},
    [FMT_ONNX] = {no_aliases, true, true, "batch, dynamic, half, opset, simplify, nms",
                  NA "the ONNX writer stage is not linked into it", NULL, NULL},
    [FMT_OPENVINO] = {no_aliases, true, false, "batch, dynamic, half, int8, nms, fraction",
                      NA "yoloport has no OpenVINO IR writer; OpenVINO's 'ovc' converts an ONNX export", "ovc",
                      "OpenVINO model converter (pip install openvino); converts an ONNX file to IR"},
    [FMT_ENGINE] = {engine_aliases, false, true, "batch, dynamic, half, int8, simplify, nms, fraction",
                    NA "needs the TensorRT builder on an NVIDIA GPU (an engine is built for one GPU model and "
                       "TensorRT version); 'trtexec --onnx=...' builds one from an ONNX export",
                    "trtexec", "TensorRT's command-line builder (NVIDIA TensorRT, needs a CUDA GPU)"},
    [FMT_COREML] = {coreml_aliases, true, false, "batch, half, int8, nms",
                    NA "needs Apple's coremltools (Python) to write ML Program packages", NULL, NULL},
    [FMT_SAVED_MODEL] = {no_aliases, true, true, "batch, int8, keras, nms",
                         NA "needs TensorFlow; the peer goes through onnx2tf, which yoloport does not reimplement",
                         "onnx2tf", "onnx2tf (Python, needs TensorFlow): converts an ONNX file to a SavedModel"},
    [FMT_PB] = {no_aliases, true, true, "batch",
                NA "needs TensorFlow to freeze a GraphDef from a SavedModel", "onnx2tf",
                "onnx2tf (Python, needs TensorFlow) makes the SavedModel the GraphDef is frozen from"},
    [FMT_TFLITE] = {no_aliases, true, false, "batch, half, int8, nms, fraction",
                    NA "needs the TensorFlow Lite converter (the peer uses onnx2tf)", "onnx2tf",
                    "onnx2tf (Python, needs TensorFlow): writes .tflite files from an ONNX file"},
    [FMT_EDGETPU] = {no_aliases, true, false, "",
                     NA "needs Google's edgetpu_compiler (x86-64 Linux only) and a full-integer TFLite model, "
                        "which this build cannot make",
                     "edgetpu_compiler", "Coral Edge TPU compiler (x86-64 Linux); compiles a full-integer .tflite"},
    [FMT_TFJS] = {no_aliases, true, false, "batch, half, int8, nms",
                  NA "yoloport has no TensorFlow.js writer; tensorflowjs_converter makes one from a SavedModel",
                  "tensorflowjs_converter", "tensorflowjs (Python): converts a SavedModel or GraphDef to TF.js"},
    [FMT_PADDLE] = {no_aliases, true, true, "batch",
                    NA "needs X2Paddle with PaddlePaddle (Python) to convert the model", "x2paddle",
                    "X2Paddle (Python, needs PaddlePaddle): converts ONNX or PyTorch models"},
    [FMT_MNN] = {no_aliases, true, true, "batch, half, int8",
                 NA "yoloport has no MNN writer; MNNConvert converts an ONNX export", "MNNConvert",
                 "MNN's converter (pip install MNN, or built from source): ONNX -> .mnn"},
    [FMT_NCNN] = {no_aliases, true, true, "batch, half",
                  NA "yoloport has no NCNN writer; ncnn's pnnx converts a TorchScript or ONNX export", "pnnx",
                  "PNNX from ncnn (pip install pnnx): converts TorchScript/ONNX to .param/.bin"},
    [FMT_IMX] = {no_aliases, true, true, "int8, fraction, nms",
                 NA "needs Sony's Model Compression Toolkit and imxconv-pt (Python, x86-64 Linux) for the IMX500",
                 "imxconv-pt", "Sony IMX500 converter (pip install imx500-converter, x86-64 Linux)"},
    [FMT_RKNN] = {no_aliases, false, false, "batch, name",
                  NA "needs Rockchip's rknn-toolkit2 (Python, x86-64 Linux) to compile for the NPU", NULL, NULL},
};
#undef NA

static FormatInfo table[FMT_COUNT];
static char valid_formats_text[512];
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

static void table_init(void)
{
    static const struct {
        const char *name, *argument, *suffix;
    } base[FMT_COUNT] = {
#define X(id, name, arg, suffix) [FMT_##id] = {name, arg, suffix},
        REGISTRY_FORMATS(X)
#undef X
    };
    for (int i = 0; i < FMT_COUNT; i++) {
        FormatInfo *f = &table[i];
        const FormatExtra *x = &extras[i];
        f->id = (FormatId)i;
        f->name = base[i].name;
        f->argument = base[i].argument;
        f->aliases = x->aliases ? x->aliases : no_aliases;
        f->suffix = base[i].suffix;
        f->dir_output = base[i].suffix[0] == '_' && !strchr(base[i].suffix, '.');
        f->cpu = x->cpu;
        f->gpu = x->gpu;
        f->peer_args = x->peer_args;
        f->args = args_mask(x->peer_args);
        f->write = registry_writer_table[i];
        f->unavailable_reason = f->write ? NULL : x->unavailable_reason;
        f->tool = x->tool;
        f->tool_note = x->tool ? x->tool_note : NULL;
    }
    /* The peer's tuple(export_formats()["Argument"][1:]), printed as Python prints it. */
    size_t len = 0;
    len += (size_t)snprintf(valid_formats_text + len, sizeof valid_formats_text - len, "(");
    for (int i = 1; i < FMT_COUNT; i++)
        len += (size_t)snprintf(valid_formats_text + len, sizeof valid_formats_text - len, "%s'%s'",
                                i > 1 ? ", " : "", table[i].argument);
    snprintf(valid_formats_text + len, sizeof valid_formats_text - len, ")");
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
