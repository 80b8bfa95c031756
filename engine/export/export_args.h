/* export_args: the export arguments a `yolo export` user types, with the peer's names,
 * defaults, types and rules (Ultralytics 8.3.185, see ../shared/reference/ultralytics-export.md
 * sections 1-3), plus yoloport's own `verify`.
 *
 * Call order:  export_args_init -> export_args_parse_argv / export_args_set (any number of
 * times; each rejects a bad value and leaves that key unchanged) -> export_args_validate
 * (the peer's checks in the peer's order, giving messages and the effective values).
 * ExportArgs is plain data (fixed buffers, no pointers): copy it by value, hand a copy to a
 * job, free nothing.  Nothing here touches files, threads or global state. */
#ifndef YOLOPORT_EXPORT_ARGS_H
#define YOLOPORT_EXPORT_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"
#include "engine/core/imgsz.h"
#include "engine/registry/registry.h"

/* Value types.  STR holds up to EXPORT_STR_MAX-1 bytes, PATH up to EXPORT_PATH_MAX-1. */
typedef enum {
    ARG_BOOL,  /* True/False/true/false/1/0; a bare `half` means half=True (as the peer) */
    ARG_INT,   /* integer */
    ARG_FLOAT, /* int or float */
    ARG_STR,   /* short text */
    ARG_PATH,  /* a file path */
    ARG_IMGSZ, /* 640 | 640,480 | [640,480] | (640,480) */
} ExportArgType;

/* Flags of a key. */
#define ARGF_NULLABLE 1u /* may be None (the peer's "optional"); default None when default is NULL */
#define ARGF_OURS 2u     /* yoloport's own key: never written into `yolo export` command lines */

#define EXPORT_STRINGIFY_(x) #x
#define EXPORT_STRINGIFY(x) EXPORT_STRINGIFY_(x)

/* Every key, declared once: X(ID, name, type, default text or NULL for None, flags, help).
 * The order is the workbench form's order and the order of rendered command lines.
 * Defaults are what `yolo export` actually uses: default.yaml overridden by Model.export
 * (batch=1, data=None, device=None, verbose=False; imgsz from the checkpoint, see
 * ModelFacts.train_imgsz). */
#define EXPORT_ARGS(X)                                                                                    \
    X(MODEL, model, ARG_PATH, NULL, ARGF_NULLABLE, "model file to export (.pt, .onnx or a model .yaml)") \
    X(FORMAT, format, ARG_STR, "torchscript", 0, "format to export to: onnx, torchscript, openvino, engine, ...") \
    X(IMGSZ, imgsz, ARG_IMGSZ, EXPORT_STRINGIFY(IMGSZ_DEFAULT), 0, "input size: 640 (square) or h,w; rounded up to the model's stride") \
    X(BATCH, batch, ARG_INT, "1", 0, "input batch size (the maximum batch with dynamic=True)")               \
    X(HALF, half, ARG_BOOL, "False", 0, "FP16 weights (works on CPU in yoloport: nothing is traced)")       \
    X(INT8, int8, ARG_BOOL, "False", 0, "INT8 quantization, calibrated on 'data'")                          \
    X(DYNAMIC, dynamic, ARG_BOOL, "False", 0, "dynamic batch/height/width axes (ONNX/TF/TensorRT)")         \
    X(SIMPLIFY, simplify, ARG_BOOL, "True", 0, "ONNX: simplify the graph (constant folding, fusions)")      \
    X(OPSET, opset, ARG_INT, NULL, ARGF_NULLABLE, "ONNX opset version (by default the newest yoloport writes)")        \
    X(WORKSPACE, workspace, ARG_FLOAT, NULL, ARGF_NULLABLE, "TensorRT workspace in GiB (by default TensorRT decides)")  \
    X(NMS, nms, ARG_BOOL, "False", 0, "add non-maximum suppression to the exported model")                 \
    X(OPTIMIZE, optimize, ARG_BOOL, "False", 0, "TorchScript: optimize for mobile")                         \
    X(KERAS, keras, ARG_BOOL, "False", 0, "TF SavedModel: use Keras")                                       \
    X(DEVICE, device, ARG_STR, NULL, ARGF_NULLABLE, "device: cpu, 0, 0,1, cuda:0, mps, dla:0 (yoloport computes on the CPU)") \
    X(DATA, data, ARG_PATH, NULL, ARGF_NULLABLE, "dataset yaml for INT8 calibration, i.e. coco8.yaml")     \
    X(FRACTION, fraction, ARG_FLOAT, "1.0", 0, "fraction of the dataset used for INT8 calibration (0-1)")   \
    X(CONF, conf, ARG_FLOAT, NULL, ARGF_NULLABLE, "NMS confidence threshold (0-1; by default 0.25 with nms)")    \
    X(IOU, iou, ARG_FLOAT, "0.7", 0, "NMS IoU threshold (0-1)")                                             \
    X(MAX_DET, max_det, ARG_INT, "300", 0, "maximum detections per image")                                   \
    X(AGNOSTIC_NMS, agnostic_nms, ARG_BOOL, "False", 0, "class-agnostic NMS")                                \
    X(SPLIT, split, ARG_STR, "val", 0, "dataset split used for INT8 calibration: train, val or test")       \
    X(NAME, name, ARG_STR, NULL, ARGF_NULLABLE, "the export's name: name=yolov8n-half writes yolov8n-half.onnx (by default the model's); RKNN: the Rockchip chip (default rk3588)") \
    X(VERBOSE, verbose, ARG_BOOL, "False", 0, "verbose output")                                             \
    X(VERIFY, verify, ARG_BOOL, "True", ARGF_OURS, "reload every artifact and compare it with the source model") \
    X(MIN_SHAPE, min_shape, ARG_STR, NULL, ARGF_NULLABLE | ARGF_OURS, "TensorRT dynamic profile: smallest input BxCxHxW (by default 1x3x32x32, as Ultralytics)") \
    X(OPT_SHAPE, opt_shape, ARG_STR, NULL, ARGF_NULLABLE | ARGF_OURS, "TensorRT dynamic profile: the input its kernels are tuned for (by default the export shape)") \
    X(MAX_SHAPE, max_shape, ARG_STR, NULL, ARGF_NULLABLE | ARGF_OURS, "TensorRT dynamic profile: largest input (by default batch x channels x twice imgsz)") \
    X(HOST, host, ARG_STR, NULL, ARGF_NULLABLE | ARGF_OURS, "run the tool-driven part on another machine over ssh: user@box or a host named in the config") \
    X(BACKEND, backend, ARG_STR, NULL, ARGF_NULLABLE | ARGF_OURS, "who converts: yoloport (the default), ultralytics (the peer's yolo export), ovc, pnnx or mnnconvert") \
    X(PROJECT, project, ARG_PATH, NULL, ARGF_NULLABLE, "the folder the export is written into, made when missing (by default beside the model; the current folder for a config)")

typedef enum {
#define X(id, name, type, def, flags, help) EXPORT_KEY_##id,
    EXPORT_ARGS(X)
#undef X
        EXPORT_KEY_COUNT
} ExportArgKey;

#define EXPORT_ARG_BIT(key) (1u << (key))

#define EXPORT_STR_MAX 128
#define EXPORT_PATH_MAX 4096
#define EXPORT_IMGSZ_MAX IMGSZ_MAX /* largest accepted side; see export_args_validate */

/* imgsz: v = (h, w) always -- one number (a square) fills both -- and n says how it was
 * typed (1: one number, 2: h,w), which only messages and command lines use.  After a
 * successful validation (ExportEffective.args) n is 2 and both sides are multiples of the
 * stride. */
typedef struct {
    int n;
    int v[2];
} ExportImgsz;

#define EXPORT_FIELD_ARG_BOOL(n) bool n;
#define EXPORT_FIELD_ARG_INT(n) int n;
#define EXPORT_FIELD_ARG_FLOAT(n) double n;
#define EXPORT_FIELD_ARG_STR(n) char n[EXPORT_STR_MAX];
#define EXPORT_FIELD_ARG_PATH(n) char n[EXPORT_PATH_MAX];
#define EXPORT_FIELD_ARG_IMGSZ(n) ExportImgsz n;

/* One field per key, named as the key (args.half, args.imgsz.v[0], args.format).  A None
 * value has its bit in `none` set and reads as 0 / 0.0 / "" in its field (so opset == 0
 * and workspace == 0 mean None, as for the peer). */
typedef struct {
#define X(id, name, type, def, flags, help) EXPORT_FIELD_##type(name)
    EXPORT_ARGS(X)
#undef X
    uint32_t given; /* EXPORT_ARG_BIT of every key set by the user (parse/set), even to its default */
    uint32_t none;  /* EXPORT_ARG_BIT of every key that is None */
} ExportArgs;

/* The key table (constant, EXPORT_KEY_COUNT rows, indexed by ExportArgKey). */
typedef struct {
    ExportArgKey key;
    const char *name;         /* "half" */
    ExportArgType type;
    const char *default_text; /* "False", "640", "1.0"; NULL = None */
    unsigned flags;           /* ARGF_* */
    const char *help;
} ExportArgInfo;
extern const ExportArgInfo export_arg_info[EXPORT_KEY_COUNT];

/* The key named name (exact, lower case as the peer), or -1. */
int export_arg_find(const char *name);

/* ---- messages ---------------------------------------------------------------------- */

typedef enum { EXPORT_MSG_INFO, EXPORT_MSG_WARNING, EXPORT_MSG_ERROR } ExportMsgLevel;

#define EXPORT_MSG_TEXT 480
#define EXPORT_MSGS_MAX 40

typedef struct {
    ExportMsgLevel level;
    int key;                     /* the ExportArgKey it is about (for inline display), or -1 */
    char text[EXPORT_MSG_TEXT];  /* the message without a level prefix: peer texts verbatim */
} ExportMsg;

/* A list of messages, plain data.  When full, further messages are counted in `dropped`. */
typedef struct {
    int n, n_errors, n_warnings, dropped;
    ExportMsg items[EXPORT_MSGS_MAX];
} ExportMsgs;

void export_msgs_clear(ExportMsgs *m);
/* Append a message (printf-style). */
void export_msgs_add(ExportMsgs *m, ExportMsgLevel level, int key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The peer's log prefix for a level: "" (info), "WARNING ⚠️ ", "ERROR ❌ ".  Static string. */
const char *export_msg_prefix(ExportMsgLevel level);

/* ---- setting values ---------------------------------------------------------------- */

/* Fill a with every key's default (given = 0). */
void export_args_init(ExportArgs *a);

/* Set one key from its text as the peer's CLI reads it.  "None" (any case) sets a
 * nullable key to None and resets any other key to its default.  Quoted values ('x' or "x")
 * are unquoted.  On a type/range error: -1, an error message in m (the peer's text, e.g.
 * "'half=yes' is of invalid type str. 'half' must be a bool (i.e. 'half=True' or
 * 'half=False')", "'conf=1.5' is an invalid value. Valid 'conf' values are between 0.0 and
 * 1.0."), and the key unchanged.  An unknown key: -1 + "'{x}' is not a valid YOLO argument.
 * Similar arguments are i.e. ['half=False']."  m may be NULL.  0 on success (marks given). */
int export_args_set(ExportArgs *a, const char *key, const char *value, ExportMsgs *m);

/* Apply one command-line token: "key=value", or a bare bool key ("half" = half=True).
 * "--key=value" / "--key" are rejected with the hint "use key=value, e.g. half=True".
 * A few peer keys that export does not use (task, mode, workers, ...) are
 * accepted with an info message and ignored.  0 or -1 (+ message). */
int export_args_parse_token(ExportArgs *a, const char *token, ExportMsgs *m);

/* Apply a whole argument vector (the words after the verb): tokens split by the shell
 * are merged the way the peer's merge_equals_args does ("imgsz", "=", "640";
 * "imgsz=", "640"; "imgsz=[640,", "480]").  A word without '=' that is not a key is taken
 * as model=WORD when it names an existing file or ends in .pt/.onnx/.yaml/.yml and no
 * model was given; "export" (the peer's mode word) and the peer's task words are accepted
 * and ignored with an info.  Processing continues after an error so every problem is
 * reported.  0, or -1 when any token failed. */
int export_args_parse_argv(ExportArgs *a, int argc, char *const *argv, ExportMsgs *m);

/* Is the key None / at its default value? */
bool export_args_is_none(const ExportArgs *a, ExportArgKey key);
bool export_args_is_default(const ExportArgs *a, ExportArgKey key);
/* Key's field in a (a bool, int, double, ExportImgsz or char array, as its type says). */
const void *export_args_field(const ExportArgs *a, ExportArgKey key);
/* Whether a and b hold the same value (or both None) for key. */
bool export_args_key_equal(const ExportArgs *a, const ExportArgs *b, ExportArgKey key);

/* The value as text, the way a user types it: "True", "640", "640,480", "0.25",
 * "onnx", and "None" for None.  Returns buf. */
char *export_args_value_text(const ExportArgs *a, ExportArgKey key, char *buf, size_t len);

/* ---- validation ------------------------------------------------------------------- */

/* What validation needs to know about the model.  Any field may be left 0/NULL. */
typedef struct {
    const char *task;   /* "detect", "segment", "pose", "obb", "classify"; NULL = detect */
    int stride;         /* max stride (imgsz_model_stride); 0 = IMGSZ_STRIDE_DEFAULT */
    int nc;             /* number of class names; 0 = unknown */
    bool end2end;       /* end-to-end head (YOLOv10/YOLO26 style, no NMS needed) */
    int train_imgsz[2]; /* the model's default imgsz (h, w): the imgsz when the user gives
                           none, as Model.export does; 0 = the imgsz key's default */
} ModelFacts;

/* Facts from a model's metadata -- a built graph's, or the one LoadOptions.decide sees before
 * the build (engine/registry/model.h) -- task, stride (imgsz_model_stride), nc, and the default imgsz:
 * the "imgsz" train arg (imgsz_from_train_args) or else meta->imgsz, the size a default
 * build uses, and whether the head is end-to-end (GraphMeta.end2end).  String fields
 * point into meta; the graph must outlive out. */
void export_facts_from_meta(const GraphMeta *meta, ModelFacts *out);

/* The values an export will actually use, after the peer's coercions. */
typedef struct {
    ExportArgs args;        /* format canonical ("engine" for trt); imgsz n=2 rounded up to the
                               stride; half/int8/nms/batch/name/data/conf as coerced; device
                               "cpu" (yoloport computes on the CPU); opset filled with the
                               default we write when None */
    const FormatInfo *fmt;  /* the format row, NULL when the format is invalid */
    int stride;             /* the stride imgsz was rounded to */
    bool half_on_cpu;       /* half kept on CPU where the peer would have dropped it */
    bool ok;                /* no error message */
} ExportEffective;

/* Run the peer's checks, in its order, on a (with model facts; model may be NULL):
 *   check_cfg ranges; 1 format (aliases; close match -> warning; else error, and nothing
 *   else is checked); 2 device (engine -> device=0 warning; dla:N; a GPU request -> a
 *   warning that yoloport computes on the CPU); 3 validate_args (half int8 dynamic keras nms
 *   batch fraction against defaults with batch=1: "argument 'X' is not supported for
 *   format='Y'"); 4 IMX int8/nms forced, task check; 5 half+int8 (half=False warning),
 *   half on CPU (kept, with an info: better than the peer); 6 check_imgsz (round up to the
 *   stride, min 2 dims; "imgsz=[641] must be multiple of max stride 32, updating to [672]";
 *   0, negative, non-numeric and > EXPORT_IMGSZ_MAX are errors); 7 optimize with ncnn; 8 RKNN
 *   name; int8+tflite+end2end; 9 nms (classify error, end2end warning, conf default 0.25);
 *   10 dynamic+(nms|engine)+batch==1 warning; 11 Edge TPU batch -> 1; 12 int8 without data
 *   -> TASK2DATA warning.  Then ours: batch/max_det/workspace/opset ranges, keys the format
 *   ignores (info), and an error when this build has no writer for the format.
 * Processing continues after an error (except a bad format) so every problem shows.
 * eff may be NULL.  Returns 0 when there is no error, -1 otherwise. */
int export_args_validate(const ExportArgs *a, const ModelFacts *model, ExportEffective *eff, ExportMsgs *m);

/* Does key matter for format fmt?  false + a reason ("'workspace' is used only by
 * format=engine") when the format ignores it (the workbench greys it out).  Keys every
 * format uses (model, format, imgsz, device, verbose, verify) are always true. */
bool export_arg_applies(FormatId fmt, ExportArgKey key, const char **why_not);

/* A tensor shape as the TensorRT fields take it: "1x3x640x640" (also "1,3,640,640"): four
 * sizes of 1..65536 into out.  0, or -1 when it is not one. */
int export_shape_parse(const char *text, int out[4]);

/* The dynamic profile a TensorRT export builds (effective args a, the model's channels):
 * min_shape/opt_shape/max_shape where given, else the peer's: min 1 x C x 32 x 32, opt the
 * export shape (batch x C x imgsz), max batch x C x twice imgsz. */
void export_trt_profile(const ExportArgs *a, int channels, int min[4], int opt[4], int max[4]);

/* Is fi made by an external tool under a (backend=ultralytics/ovc/pnnx/mnnconvert, or a format
 * this build does not write but drives a tool for)?  Then host= applies. */
bool export_uses_tool(const FormatInfo *fi, const ExportArgs *a);

/* Is name one of the backend= values (yoloport, ultralytics, ovc, pnnx, mnnconvert)? */
bool export_backend_known(const char *name);

/* Does yoloport calibrate int8=True for format id itself (ONNX, OpenVINO), on data=?  Those
 * formats refuse int8 without data= (the peer would download coco8). */
bool export_int8_calibrates(FormatId id);

/* The peer's TASK2DATA: "coco8.yaml" for detect, "coco8-seg.yaml", "coco8-pose.yaml",
 * "dota8.yaml", "imagenet10"; detect's for NULL/unknown. */
const char *export_task_default_data(const char *task);

/* ---- variants ------------------------------------------------------------------------ */

typedef enum {
    EXPORT_VARIANT_FILE,  /* a file-name part: "half-dynamic-opset12", "imgsz320-nosimplify" */
    EXPORT_VARIANT_WORDS, /* as typed: "half dynamic opset=12", "imgsz=320 simplify=False" */
} ExportVariantStyle;

/* What makes an export a variant: the keys of eff (effective values, export_args_validate)
 * that differ from def (the effective values of the defaults for the same model and format)
 * and change what format fmt writes, in table order -- imgsz, batch, half, int8, dynamic,
 * simplify, opset, workspace, nms (with conf, iou, agnostic_nms), max_det, ... and backend.
 * Keys that only say where or how it runs (model, format, name, project, device, verbose,
 * verify, host, the calibration data) and keys fmt ignores never count.  "" when eff is the
 * default export.  Returns buf. */
char *export_args_variant(const ExportArgs *eff, const ExportArgs *def, FormatId fmt, ExportVariantStyle style,
                          char *buf, size_t len);

/* ---- command lines ---------------------------------------------------------------- */

typedef enum { EXPORT_CMD_YOLOPORT, EXPORT_CMD_YOLO } ExportCmdStyle;

/* The command line that reproduces a: "yoloport export model=yolov8n.pt format=onnx
 * half=True" or "yolo export ...": model first, then every key that differs from its
 * default, in table order; yoloport-only keys are left out of the yolo line, and so are name=
 * (but for RKNN, where it is the chip) and project=, which mean a run's folder there.  Values with
 * shell-special characters are single-quoted.  Heap string; caller frees. */
char *export_args_command(const ExportArgs *a, ExportCmdStyle style);
/* word as a POSIX shell reads it back: itself when it holds only letters, digits and
 * _-.,/:=+@%, else single-quoted ('my dir/x.onnx', a quote as '\'').  Heap string. */
char *export_shell_word(const char *word);
/* The same as an argument vector ("yolo", "export", "model=...", ...), NULL-terminated; free
 * each word and the array. */
char **export_args_argv(const ExportArgs *a, ExportCmdStyle style);

#endif
