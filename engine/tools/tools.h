/* tools: the external tools yoloport drives (NVIDIA's trtexec, the peer's `yolo`, the
 * converters ovc, pnnx and MNNConvert, the Edge TPU compiler) and the GPU facts that decide
 * whether an engine can be built: which tools a host has, their versions, and the GPU's
 * name, compute capability, driver and CUDA versions (from nvidia-smi).
 *
 * Discovery spawns each tool's version command (an argument vector, never a shell) with a
 * timeout, so it takes from milliseconds to a few seconds (the peer's `yolo` imports
 * Python): the workbench runs it once in a background job at start-up, the export stages
 * run what they need on their worker thread.  On a remote host the same facts come from one
 * probe script run over ssh (engine/remote/remote.h) and go through the same parser:
 * tools_parse_probe() reads the sections both produce.
 *
 * ToolFacts is plain data: copy it, read it from any thread once written. */
#ifndef YOLOPORT_TOOLS_H
#define YOLOPORT_TOOLS_H

#include <stdbool.h>
#include <stddef.h>

/* X(id, executable, what it is and where it comes from, version argument) */
#define TOOLS(X)                                                                                          \
    X(TRTEXEC, "trtexec", "NVIDIA TensorRT's command-line builder (TensorRT; needs an NVIDIA GPU)", "--help") \
    X(YOLO, "yolo", "the Ultralytics command line (pip install ultralytics)", "version")                     \
    X(OVC, "ovc", "OpenVINO's model converter (pip install openvino)", "--version")                         \
    X(PNNX, "pnnx", "ncnn's PNNX converter (pip install pnnx)", NULL)                                       \
    X(MNNCONVERT, "MNNConvert", "MNN's model converter (pip install MNN)", "--version")                     \
    X(EDGETPU_COMPILER, "edgetpu_compiler", "Coral's Edge TPU compiler (x86-64 Linux)", "--version")        \
    X(NVIDIA_SMI, "nvidia-smi", "the NVIDIA driver's GPU query tool", NULL)

typedef enum {
#define TOOLS_ENUM(id, exe, about, varg) TOOL_##id,
    TOOLS(TOOLS_ENUM)
#undef TOOLS_ENUM
        TOOL_COUNT
} ToolId;

#define TOOL_BIT(id) (1u << (id))
#define TOOLS_ALL ((1u << TOOL_COUNT) - 1)

/* Table accessors: "trtexec"; its one-line description.  NULL when out of range. */
const char *tools_name(ToolId t);
const char *tools_about(ToolId t);
/* The tool with that executable name, or -1. */
int tools_find(const char *name);

typedef struct {
    bool found;
    char path[512];    /* where it is ("" when not found) */
    char version[64];  /* "10.3.0", "8.3.185"; "" when it does not say */
} ToolInfo;

typedef struct {
    bool present;              /* an NVIDIA GPU: nvidia-smi listed one, the driver lists one under
                                  /proc/driver/nvidia/gpus, or this is a Jetson (no nvidia-smi) */
    int count;                 /* GPUs it listed */
    int index;                 /* the one described below (device=N) */
    char name[128];            /* "NVIDIA GeForce RTX 3090" */
    char compute_capability[16]; /* "8.6" */
    char driver[32];           /* "535.54.03" */
    char cuda[16];             /* "12.2" (the driver's CUDA version) */
    int driver_gpus;           /* entries under /proc/driver/nvidia/gpus (the driver sees them) */
    char jetson[96];           /* /etc/nv_tegra_release's first line on a Jetson ("" elsewhere) */
} GpuInfo;

typedef struct ToolFacts {
    bool probed;               /* filled by discovery or a probe */
    char where[128];           /* "this host" or the remote host's name */
    char hostname[128];        /* the machine's own name there (uname -n) */
    char home[512];            /* $HOME there ("" when unknown) */
    char cache_home[512];      /* $XDG_CACHE_HOME there ("" when unset) */
    ToolInfo tool[TOOL_COUNT];
    GpuInfo gpu;
    int trt[3];                /* TensorRT major, minor, patch from trtexec; 0 when unknown */
    double seconds;            /* how long discovery took */
} ToolFacts;

/* Find the tools in `mask` (TOOL_BIT(...)) on this host's PATH and ask each for its version
 * (timeout_s per command, <= 0: 20 s; stop, when not NULL, is asked between and during
 * the commands and ends discovery early); nvidia-smi, when asked for and found, gives the GPU
 * facts of device gpu_index.  *out is fully overwritten; never fails (what cannot be
 * learned stays empty).  Blocking: run it off the UI thread.  (Tests may point
 * $YOLOPORT_NVIDIA_PROC and $YOLOPORT_TEGRA_RELEASE at their own stand-ins for
 * /proc/driver/nvidia/gpus and /etc/nv_tegra_release.) */
typedef bool (*ToolsStopFn)(void *user); /* true: give up now (a cancelled job) */
void tools_discover(ToolFacts *out, unsigned mask, int gpu_index, double timeout_s, ToolsStopFn stop, void *stop_user);

/* Run argv (looked up in PATH; no shell) with stdout and stderr captured together into out
 * (NUL-terminated, cut at outlen-1), stdin from /dev/null, in its own process group, which
 * is killed when it runs longer than timeout_s.  Returns 0 when it ran (*status: the exit
 * status, or 128 + signal), -1 when it could not be started or timed out. */
int tools_capture(char *const argv[], double timeout_s, char *out, size_t outlen, int *status);

/* The probe: a POSIX sh script that prints, for every tool in mask found on the PATH of the
 * host it runs on, a section "@@yoloport tool NAME PATH" followed by the output of its
 * version command, the GPU sections ("@@yoloport gpu-query", "@@yoloport gpu-header") when
 * nvidia-smi is there, "@@yoloport hostname NAME", "@@yoloport nvidia-gpus N" and "@@yoloport tegra TEXT" (the driver's
 * GPU list, a Jetson's release line), "@@yoloport home DIR", "@@yoloport cache DIR", and finally
 * "@@yoloport end".  path_prepend (may be NULL or "") goes before $PATH.  Heap string. */
char *tools_probe_script(unsigned mask, const char *path_prepend);

/* Parse probe output (or the same sections built locally) into *out (fields not in the
 * text stay as they are; `probed` is set).  Returns 0, or -1 when the closing end mark is
 * missing (the probe did not finish). */
int tools_parse_probe(ToolFacts *out, const char *text, int gpu_index);

/* TensorRT's version from trtexec's banner "[TensorRT v8401]" (8.4.1) or "[TensorRT
 * v100300]" (10.3.0), or a dotted "TensorRT 10.3.0".  0 and v filled, or -1. */
int tools_parse_trt_version(const char *text, int v[3]);
/* The first dotted number in text ("8.3.185", "2024.0.0") into buf; 0 or -1. */
int tools_parse_dotted_version(const char *text, char *buf, size_t len);
/* GPU facts from `nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader`
 * (one line per GPU; device `index` is described) and from plain `nvidia-smi` (its "CUDA
 * Version: 12.2"); either may be NULL.  0, or -1 when no GPU line was found. */
int tools_parse_gpu(const char *query, const char *header, int index, GpuInfo *out);

/* argv as one line a POSIX shell reads back into the same words: plain words as they are,
 * others in single quotes ('it'\''s').  Heap string. */
char *tools_command_text(char *const argv[]);
/* One word quoted that way into a heap string. */
char *tools_shell_quote(const char *word);

/* "trtexec 10.3.0, NVIDIA GeForce RTX 3090 (compute 8.6), driver 535.54.03, CUDA 12.2" for
 * the GPU-related facts; "no NVIDIA GPU" when none.  Returns buf. */
const char *tools_gpu_summary(const ToolFacts *f, char *buf, size_t len);
/* The GPU part alone: "NVIDIA GeForce RTX 3090 (compute 8.6), driver 535.54.03, CUDA 12.2";
 * "no NVIDIA GPU" when none.  Returns buf. */
const char *tools_gpu_text(const GpuInfo *g, char *buf, size_t len);

/* The persistent TensorRT timing cache for this GPU and TensorRT version on the host the
 * facts describe: <cache>/yoloport/tensorrt/<gpu>-sm<cc>-trt<version>.timing, where <cache>
 * is $XDG_CACHE_HOME or $HOME/.cache there.  0, or -1 when the host's home is unknown. */
int tools_timing_cache_path(const ToolFacts *f, char *buf, size_t len);

#endif
