/* host: facts about the machine yoloport runs on — CPU architecture, OS, CPU model, NVIDIA GPU,
 * and the external conversion tools on PATH — for the Matrix screen's "here" column, the Export
 * screen's availability marks and `info`/`matrix` output.
 *
 * host_detect() reads a few small files under /proc and stat()s PATH entries; it spawns nothing
 * and takes well under 10 ms.  It still touches the filesystem, so the workbench runs it once in
 * a job or thread at start-up, off the UI thread; the CLI calls it directly.  The HostFacts it
 * fills is plain data: copy it, read it from any thread once written. */
#ifndef YOLOPORT_HOST_H
#define YOLOPORT_HOST_H

#include <stdbool.h>
#include <stddef.h>

/* External tools looked up on PATH: X(enum suffix, executable name, what it is for). */
#define HOST_TOOLS(X)                                                                              \
    X(TRTEXEC, "trtexec", "NVIDIA TensorRT engine builder")                                        \
    X(YOLO, "yolo", "Ultralytics command line (the peer)")                                         \
    X(OVC, "ovc", "OpenVINO model converter")                                                      \
    X(MO, "mo", "OpenVINO Model Optimizer (legacy)")                                               \
    X(PNNX, "pnnx", "PyTorch/ONNX to NCNN converter")                                              \
    X(EDGETPU_COMPILER, "edgetpu_compiler", "Coral Edge TPU compiler")                             \
    X(ONNX2TF, "onnx2tf", "ONNX to TensorFlow/TF Lite converter")                                  \
    X(TFJS_CONVERTER, "tensorflowjs_converter", "TensorFlow.js converter")                         \
    X(X2PADDLE, "x2paddle", "ONNX/PyTorch to PaddlePaddle converter")                              \
    X(PADDLE2ONNX, "paddle2onnx", "PaddlePaddle to ONNX converter")                                \
    X(MNNCONVERT, "MNNConvert", "MNN model converter")                                             \
    X(XCRUN, "xcrun", "Apple developer tools (coremlcompiler)")

typedef enum {
#define HOST_TOOL_ENUM(id, exe, about) HOST_TOOL_##id,
    HOST_TOOLS(HOST_TOOL_ENUM)
#undef HOST_TOOL_ENUM
    HOST_TOOL_COUNT
} HostTool;

typedef struct {
    char arch[64];        /* uname machine: "x86_64", "aarch64" */
    char os[64];          /* uname sysname: "Linux", "Darwin" */
    char os_release[128]; /* uname release */
    char cpu_model[160];  /* /proc/cpuinfo "model name" (or "Model"/"Hardware" on ARM); "" if unknown */
    int cpu_count;        /* online CPUs, >= 1 */
    long long mem_total;  /* bytes of memory (/proc/meminfo MemTotal); 0 if unknown */
    bool nvidia_gpu;      /* /proc/driver/nvidia/gpus/ has an entry, or nvidia-smi is on PATH */
    char gpu_model[160];  /* first GPU's "Model:" from /proc/driver/nvidia/gpus/<id>/information; "" if unknown */
    char nvidia_smi[512]; /* path of nvidia-smi on PATH, "" if absent (never run by host_detect) */
    char tool_path[HOST_TOOL_COUNT][512]; /* absolute path of each tool found on PATH, "" when absent */
    double detect_ms;     /* how long host_detect took */
} HostFacts;

/* Fill *out (fully overwritten).  Reads PATH from the environment at the time of the call.
 * Never fails: what cannot be learned is left empty/false. */
void host_detect(HostFacts *out);

/* Table accessors; NULL when out of range. */
const char *host_tool_name(HostTool t);  /* "trtexec" */
const char *host_tool_about(HostTool t); /* "NVIDIA TensorRT engine builder" */
/* Index of a tool by executable name, -1 when unknown. */
int host_tool_find(const char *name);
/* Path of a tool found on this host, or NULL (unknown name or not found). */
const char *host_tool_path(const HostFacts *h, const char *name);

/* Look up one executable on a PATH-style list (':'-separated; empty entries mean "."), by
 * stat(): a regular file with an execute bit.  Writes the path into out and returns true when
 * found.  Exposed for tests. */
bool host_which(const char *exe, const char *path_list, char *out, size_t outlen);

/* One line for humans: "x86_64 Linux 6.1, 8 CPUs (Intel Xeon …), no NVIDIA GPU; tools: trtexec".
 * Returns buf. */
const char *host_summary(const HostFacts *h, char *buf, size_t len);

#endif
