/* Tests for export arguments: one table covers every parse and validation rule (words in,
 * exact messages and effective values out); then key table, value texts and command lines. */
#include "engine/export/export_args.h"
#include "engine/core/util.h"
#include "tests/check.h"

typedef struct {
    const char *words;    /* argv after the verb, split on spaces */
    const char *facts;    /* "task=segment stride=64 end2end train=320", or NULL */
    int parse_rc;         /* 0 or -1; validation runs only after a clean parse */
    const char *msgs;     /* every message, in order, "E: ", "W: " or "I: " + exact text, '\n'-separated */
    const char *eff;      /* "key=value ..." expected in the effective args (validation), or NULL */
} Case;

#define DEV0 "device=0: yoloport computes on the CPU only, so this export runs on the CPU (the files it writes do not depend on the device)"
#define TRT_DEV "W: TensorRT requires GPU export, automatically assigning device=0\nI: " DEV0
#define INT8_DATA(d) "W: INT8 export requires a missing 'data' arg for calibration. Using default 'data=" d "'."
/* the formats yoloport calibrates itself refuse int8 without data: it never downloads the peer's default */
#define INT8_NO_DATA(d)                                                                                                \
    "E: int8=True needs calibration data: give data=<dataset.yaml> (the images of its split=val; split= and "           \
    "fraction= choose others) or data=<folder of images>; yoloport does not download " d " as Ultralytics does"
#define IMGSZ_DIMS "'train' and 'val' imgsz must be an integer, while 'predict' and 'export' imgsz may be a [h, w] list or an integer, i.e. 'yolo export imgsz=640,480' or 'yolo export imgsz=640'"
#define IMGSZ_TYPES "Valid imgsz types are int i.e. 'imgsz=640' or list i.e. 'imgsz=[640,640]'"

static const Case cases[] = {
    /* defaults: Model.export's batch=1, the peer's format, imgsz 640 square */
    {"", NULL, 0, "", "format=torchscript imgsz=640,640 batch=1 half=False device=cpu simplify=True iou=0.7 max_det=300 verify=True opset=None conf=None"},
    {"format=onnx", NULL, 0, "", "format=onnx opset=17"},
    {"format=ONNX", NULL, 0, "", "format=onnx"},
    /* 1. format aliases, close matches, errors */
    {"format=trt", NULL, 0, TRT_DEV, "format=engine device=cpu opset=17"},
    {"format=tensorrt", NULL, 0, TRT_DEV, "format=engine"},
    {"format=mlpackage", NULL, 0, "", "format=coreml"},
    {"format=ios", NULL, 0, "", "format=coreml"},
    {"format=mlmodel", NULL, 0, "", "format=mlmodel"},
    {"format=onx", NULL, 0, "W: Invalid export format='onx', updating to format='onnx'", "format=onnx"},
    {"format=tflit", NULL, 0, "W: Invalid export format='tflit', updating to format='tflite'", "format=tflite"},
    {"format=OpenVno", NULL, 0, "W: Invalid export format='openvno', updating to format='openvino'", "format=openvino"},
    {"format=xyz", NULL, 0,
     "E: Invalid export format='xyz'. Valid formats are ('torchscript', 'onnx', 'openvino', 'engine', 'coreml', "
     "'saved_model', 'pb', 'tflite', 'edgetpu', 'tfjs', 'paddle', 'mnn', 'ncnn', 'imx', 'rknn')",
     NULL},
    {"format=-", NULL, 0,
     "E: Invalid export format='-'. Valid formats are ('torchscript', 'onnx', 'openvino', 'engine', 'coreml', "
     "'saved_model', 'pb', 'tflite', 'edgetpu', 'tfjs', 'paddle', 'mnn', 'ncnn', 'imx', 'rknn')",
     NULL},
    /* 2. device */
    {"format=onnx device=0", NULL, 0, "W: " DEV0, "device=cpu"},
    {"device=cpu", NULL, 0, "", "device=cpu"},
    {"device=cuda:1", NULL, 0, "W: device=cuda:1: yoloport computes on the CPU only, so this export runs on the CPU (the files it writes do not depend on the device)", NULL},
    {"device=gpu", NULL, 0,
     "E: Invalid device='gpu' requested. Use device=cpu, or a CUDA device such as 0, 0,1 or cuda:0 (yoloport computes on the CPU either way)",
     NULL},
    {"format=engine device=dla:2", NULL, 0,
     "E: Expected self.args.device='dla:0' or 'dla:1, but got dla:2.\nW: device=dla:2: yoloport computes on the CPU only, so this export runs on the CPU (the files it writes do not depend on the device)",
     NULL},
    /* 3. validate_args: the seven keys against defaults with batch=1 */
    {"format=pb half=True", NULL, 0, "E: argument 'half' is not supported for format='pb'", NULL},
    {"format=onnx keras=True", NULL, 0, "E: argument 'keras' is not supported for format='onnx'", NULL},
    {"format=ncnn fraction=0.5", NULL, 0, "E: argument 'fraction' is not supported for format='ncnn'", NULL},
    {"format=paddle dynamic=True", NULL, 0, "E: argument 'dynamic' is not supported for format='paddle'", NULL},
    {"format=torchscript int8=True", NULL, 0, "E: argument 'int8' is not supported for format='torchscript'\n" INT8_DATA("coco8.yaml"), NULL},
    /* INT8 ONNX is yoloport's own (static QDQ): int8 and fraction are accepted, data is required, opset >= 13 */
    {"format=onnx int8=True", NULL, 0, INT8_NO_DATA("coco8.yaml"), NULL},
    {"format=onnx int8=True data=d.yaml fraction=0.5", NULL, 0, "", "int8=True data=d.yaml fraction=0.5"},
    {"format=onnx int8=True data=d.yaml opset=12", NULL, 0,
     "E: opset=12 is too old for int8=True: INT8 ONNX has per-channel DequantizeLinear, which needs opset 13 or newer "
     "(leave opset=None for 17)", NULL},
    {"format=saved_model keras=True batch=4", NULL, 0, "", "keras=True batch=4"},
    /* 4. IMX */
    {"format=imx", NULL, 0,
     "W: IMX export requires int8=True, setting int8=True.\nW: IMX export requires nms=True, setting nms=True.\n" INT8_DATA("coco8.yaml"),
     "int8=True nms=True conf=0.25 data=coco8.yaml"},
    {"format=imx int8=True nms=True", "task=segment", 0,
     "E: IMX export only supported for detection and pose estimation models.\n" INT8_DATA("coco8-seg.yaml"), NULL},
    /* 5. half */
    {"format=openvino half=True int8=True", NULL, 0,
     "W: half=True and int8=True are mutually exclusive, setting half=False.\n" INT8_NO_DATA("coco8.yaml"), NULL},
    {"format=openvino half=True int8=True data=d.yaml", NULL, 0,
     "W: half=True and int8=True are mutually exclusive, setting half=False.", "half=False int8=True"},
    {"format=onnx half=True int8=True data=d.yaml", NULL, 0,
     "W: half=True and int8=True are mutually exclusive, setting half=False.", "half=False int8=True"},
    {"format=onnx half=True", NULL, 0,
     "I: half=True kept on CPU: yoloport converts the weights to FP16 directly (nothing is traced), so FP16 export needs no GPU (Ultralytics would set half=False here)",
     "half=True"},
    {"format=torchscript half=True", NULL, 0, "", "half=True"},
    /* 6. imgsz: types, dims, rounding up to the stride, limits, the checkpoint's default */
    {"imgsz=641", NULL, 0, "W: imgsz=[641] must be multiple of max stride 32, updating to [672]", "imgsz=672,672"},
    {"imgsz=640,481", NULL, 0, "W: imgsz=[640, 481] must be multiple of max stride 32, updating to [640, 512]", "imgsz=640,512"},
    {"imgsz=[640,480]", NULL, 0, "", "imgsz=640,480"},
    {"imgsz=(320,320)", NULL, 0, "", "imgsz=320,320"},
    {"imgsz=[320]", NULL, 0, "", "imgsz=320,320"},
    {"imgsz=650", "stride=64", 0, "W: imgsz=[650] must be multiple of max stride 64, updating to [704]", "imgsz=704,704"},
    {"imgsz=1", NULL, 0, "W: imgsz=[1] must be multiple of max stride 32, updating to [32]", "imgsz=32,32"},
    {"imgsz=0", NULL, 0,
     "E: imgsz=[0] is not a valid image size: every side must be at least 1 pixel (it is then rounded up to a multiple of the stride 32), i.e. 'imgsz=640'",
     NULL},
    {"imgsz=640,-1", NULL, 0,
     "E: imgsz=[640, -1] is not a valid image size: every side must be at least 1 pixel (it is then rounded up to a multiple of the stride 32), i.e. 'imgsz=640'",
     NULL},
    {"imgsz=100000", NULL, 0,
     "E: imgsz=[100000] is too large: the largest side yoloport accepts is 16384 (a 16384x16384 RGB input alone is 3 GiB in FP32, before any activations)",
     NULL},
    {"imgsz=16384", NULL, 0, "", "imgsz=16384,16384"},
    {"imgsz=abc", NULL, -1, "E: 'imgsz=abc' is of invalid type str. " IMGSZ_TYPES, NULL},
    {"imgsz=640.5", NULL, -1, "E: 'imgsz=640.5' is of invalid type float. " IMGSZ_TYPES, NULL},
    {"imgsz=True", NULL, -1, "E: 'imgsz=True' is of invalid type bool. " IMGSZ_TYPES, NULL},
    {"imgsz=640,480,3", NULL, -1, "E: imgsz=[640, 480, 3] is not a valid image size. " IMGSZ_DIMS, NULL},
    {"", "train=320", 0, "", "imgsz=320,320"},
    {"imgsz=640", "train=320", 0, "", "imgsz=640,640"},
    /* 7. optimize */
    {"format=ncnn optimize=True", NULL, 0, "E: optimize=True not compatible with format='ncnn', i.e. use optimize=False", NULL},
    {"format=onnx optimize=True", NULL, 0, "I: optimize=True is ignored for format='onnx': only TorchScript exports use it", NULL},
    {"optimize=True", NULL, 0, "", "optimize=True"},
    /* 8. RKNN, TFLite INT8 with an end-to-end head */
    {"format=rknn", NULL, 0,
     "W: Rockchip RKNN export requires a missing 'name' arg for processor type. Using default name='rk3588'.", "name=rk3588"},
    {"format=rknn name=RK3566", NULL, 0, "", "name=rk3566"},
    {"format=rknn name='rk3562'", NULL, 0, "", "name=rk3562"},
    {"format=rknn name=foo", NULL, 0,
     "E: Invalid processor name 'foo' for Rockchip RKNN export. Valid names are ('rk3588', 'rk3576', 'rk3566', 'rk3568', 'rk3562', 'rv1103', 'rv1106', 'rv1103b', 'rv1106b', 'rk2118').",
     NULL},
    {"format=tflite int8=True", "end2end", 0, "E: TFLite INT8 export not supported for end2end models.\n" INT8_NO_DATA("coco8.yaml"), NULL},
    {"format=tflite int8=True data=coco8.yaml", "end2end", 0, "E: TFLite INT8 export not supported for end2end models.", NULL},
    {"format=tflite int8=True", NULL, 0, INT8_NO_DATA("coco8.yaml"), NULL},
    /* 9. nms */
    {"format=onnx nms=True", NULL, 0, "", "nms=True conf=0.25"},
    {"format=onnx nms=True conf=0.5", NULL, 0, "", "conf=0.5"},
    {"format=onnx nms=True", "task=classify", 0, "E: 'nms=True' is not valid for classification models.", NULL},
    {"format=onnx nms=True", "end2end", 0, "W: 'nms=True' is not available for end2end models. Forcing 'nms=False'.", "nms=False conf=0.25"},
    /* 10. dynamic wants the max batch */
    {"format=onnx nms=True dynamic=True", NULL, 0, "W: 'dynamic=True' model with 'nms=True' requires max batch size, i.e. 'batch=16'", NULL},
    {"format=onnx nms=True dynamic=True batch=16", NULL, 0, "", "batch=16"},
    {"format=engine dynamic=True", NULL, 0, TRT_DEV "\nW: 'dynamic=True' model with 'format=engine' requires max batch size, i.e. 'batch=16'", NULL},
    {"format=onnx dynamic=True", NULL, 0, "", "dynamic=True"},
    /* 11. Edge TPU batch (validate_args rejects it first, as for the peer) */
    {"format=edgetpu batch=4 data=coco8.yaml", NULL, 0,
     "E: argument 'batch' is not supported for format='edgetpu'\nW: Edge TPU export requires batch size 1, setting batch=1.", "batch=1"},
    /* Edge TPU compiles the full-integer TF Lite file: always int8, calibrated on data= */
    {"format=edgetpu", NULL, 0, INT8_NO_DATA("coco8.yaml"), "int8=True"},
    /* 12. INT8 calibration data */
    {"format=openvino int8=True", NULL, 0, INT8_NO_DATA("coco8.yaml"), "data=None"},
    {"format=openvino int8=True", "task=segment", 0, INT8_NO_DATA("coco8-seg.yaml"), NULL},
    {"format=openvino int8=True", "task=pose", 0, INT8_NO_DATA("coco8-pose.yaml"), NULL},
    {"format=openvino int8=True", "task=obb", 0, INT8_NO_DATA("dota8.yaml"), NULL},
    {"format=mnn int8=True", NULL, 0, INT8_DATA("coco8.yaml"), "data=coco8.yaml"},
    {"format=coreml int8=True", "task=classify", 0, INT8_DATA("imagenet10"), NULL},
    {"format=openvino int8=True data=my.yaml", NULL, 0, "", "data=my.yaml"},
    /* check_cfg: fraction keys and types */
    {"conf=1.5", NULL, -1, "E: 'conf=1.5' is an invalid value. Valid 'conf' values are between 0.0 and 1.0.", NULL},
    {"iou=-0.1", NULL, -1, "E: 'iou=-0.1' is an invalid value. Valid 'iou' values are between 0.0 and 1.0.", NULL},
    {"fraction=2", NULL, -1, "E: 'fraction=2' is an invalid value. Valid 'fraction' values are between 0.0 and 1.0.", NULL},
    {"conf=abc", NULL, -1, "E: 'conf=abc' is of invalid type str. Valid 'conf' types are int (i.e. 'conf=0') or float (i.e. 'conf=0.5')", NULL},
    {"workspace=[1,2]", NULL, -1, "E: 'workspace=[1,2]' is of invalid type list. Valid 'workspace' types are int (i.e. 'workspace=0') or float (i.e. 'workspace=0.5')", NULL},
    {"half=true", NULL, 0, "", "half=True"},
    {"half=TRUE dynamic=1 simplify=0", NULL, 0,
     "I: simplify=False is ignored for format='torchscript': only ONNX and TensorRT exports use it",
     "half=True dynamic=True simplify=False"},
    {"half=yes", NULL, -1, "E: 'half=yes' is of invalid type str. 'half' must be a bool (i.e. 'half=True' or 'half=False')", NULL},
    {"half=2", NULL, -1, "E: 'half=2' is of invalid type int. 'half' must be a bool (i.e. 'half=True' or 'half=False')", NULL},
    {"max_det=1.5", NULL, -1, "E: 'max_det=1.5' is of invalid type float. 'max_det' must be an int (i.e. 'max_det=8')", NULL},
    {"opset=abc", NULL, -1, "E: 'opset=abc' is of invalid type str. 'opset' must be an int (i.e. 'opset=17')", NULL},
    {"batch=2.5", NULL, -1, "E: 'batch=2.5' is not a whole number. 'batch' must be an int (i.e. 'batch=1')", NULL},
    {"batch=abc", NULL, -1, "E: 'batch=abc' is of invalid type str. Valid 'batch' types are int (i.e. 'batch=0') or float (i.e. 'batch=0.5')", NULL},
    {"batch=8.0", NULL, 0, "", "batch=8"},
    /* unknown keys, dashes, bare words, None, merging, positional model, peer-only keys */
    {"halff=True", NULL, -1, "E: 'halff' is not a valid YOLO argument. Similar arguments are i.e. ['half=False'].", NULL},
    {"imgsize=640", NULL, -1, "E: 'imgsize' is not a valid YOLO argument. Similar arguments are i.e. ['imgsz=640', 'optimize=False'].", NULL},
    {"dynamc=True", NULL, -1, "E: 'dynamc' is not a valid YOLO argument. Similar arguments are i.e. ['dynamic=False', 'name'].", NULL},
    {"xyz=1", NULL, -1, "E: 'xyz' is not a valid YOLO argument.", NULL},
    {"--half=True", NULL, -1, "E: '--half=True': arguments take no dashes: use key=value, e.g. half=True", NULL},
    {"--half", NULL, -1, "E: '--half': arguments take no dashes: use key=value, e.g. half=True", NULL},
    {"--imgsz 640", NULL, -1, "E: '--imgsz 640': arguments take no dashes: use key=value, e.g. imgsz=640", NULL},
    {"half", NULL, 0, "", "half=True"},
    {"imgsz", NULL, -1, "E: 'imgsz' is a valid YOLO argument but is missing an '=' sign to set its value, i.e. try 'imgsz=640'", NULL},
    {"half=", NULL, -1, "E: missing 'half' value", NULL},
    {"opset=12 opset=None", NULL, 0, "", "opset=None"},
    {"half=True half=None", NULL, 0, "", "half=False"},
    {"imgsz = 320", NULL, 0, "", "imgsz=320,320"},
    {"imgsz= 320", NULL, 0, "", "imgsz=320,320"},
    {"imgsz =320", NULL, 0, "", "imgsz=320,320"},
    {"imgsz=[640, 480]", NULL, 0, "", "imgsz=640,480"},
    {"export yolov8n.pt format=onnx", NULL, 0, "", "model=yolov8n.pt format=onnx"},
    {"task=detect epochs=3", NULL, 0,
     "I: task=detect ignored: yoloport takes the task from the model\nI: 'epochs' is a YOLO argument that export does not use; ignored", NULL},
    {"detect", NULL, 0, "I: task 'detect' ignored: yoloport takes the task from the model", NULL},
    {"train", NULL, -1, "E: 'train' is a YOLO mode, not an export argument", NULL},
    {"verify=False", NULL, 0, "", "verify=False"},
    /* ours: ranges, ignored keys */
    {"batch=0", NULL, 0, "E: batch=0 is not valid for export: use 1 or more (batch=-1, AutoBatch, is for training)", NULL},
    {"max_det=0", NULL, 0, "E: max_det=0 is not valid: use 1 or more, i.e. 'max_det=300'", NULL},
    {"format=onnx opset=25", NULL, 0, "E: opset=25 is not supported: yoloport writes ONNX opsets 11 to 19 (17 when none is given)", NULL},
    {"format=onnx opset=12", NULL, 0, "", "opset=12"},
    {"opset=12", NULL, 0, "I: opset=12 is ignored for format='torchscript': only ONNX (and TensorRT, built from ONNX) exports use it", NULL},
    {"format=engine workspace=4", NULL, 0, TRT_DEV, "workspace=4.0"},
    {"format=engine workspace=-1", NULL, 0, TRT_DEV "\nE: workspace=-1.0 is not valid: use a size in GiB such as 4, or None for automatic", NULL},
    {"format=onnx workspace=4", NULL, 0, "I: workspace=4.0 is ignored for format='onnx': only TensorRT exports use it", NULL},
    {"format=openvino int8=True data=d.yaml split=foo", NULL, 0, "E: split='foo' is not a dataset split: use split=train, split=val or split=test", NULL},
    {"format=openvino int8=True data=d.yaml fraction=0", NULL, 0,
     "E: fraction=0.0 leaves no images for INT8 calibration: use a fraction above 0, i.e. 'fraction=1.0'", NULL},
    {"format=onnx conf=0.5", NULL, 0, "I: conf=0.5 is ignored: it applies only with nms=True", NULL},
    {"format=pb iou=0.5", NULL, 0, "I: iou=0.5 is ignored for format='pb': it configures nms=True, which this format does not support", NULL},
    {"data=d.yaml", NULL, 0, "I: data=d.yaml is ignored for format='torchscript': it is for INT8 calibration, which this format does not support", NULL},
    {"format=openvino data=d.yaml", NULL, 0, "I: data=d.yaml is ignored: it is used only for INT8 calibration (int8=True)", NULL},
    /* TensorRT: INT8 needs calibration data (and is built from a dynamic ONNX, as the peer's); DLA needs FP16 or INT8 */
    {"format=engine int8=True", NULL, 0,
     TRT_DEV "\nW: 'dynamic=True' model with 'format=engine' requires max batch size, i.e. 'batch=16'\nE: int8=True for TensorRT needs calibration data: give data=<dataset.yaml> (an INT8 engine built without calibration gives wrong answers)",
     "dynamic=True"},
    {"format=engine int8=True data=d.yaml", NULL, 0,
     TRT_DEV "\nW: 'dynamic=True' model with 'format=engine' requires max batch size, i.e. 'batch=16'", "dynamic=True int8=True data=d.yaml"},
    {"format=engine device=dla:0", NULL, 0,
     "W: device=dla:0: yoloport computes on the CPU only, so this export runs on the CPU (the files it writes do not depend on the device)\n"
     "E: DLA requires either 'half=True' (FP16) or 'int8=True' (INT8) to be enabled. Please enable one of them and try again.", NULL},
    {"format=engine device=dla:1 half=True", NULL, 0,
     "W: device=dla:1: yoloport computes on the CPU only, so this export runs on the CPU (the files it writes do not depend on the device)", NULL},
    /* TensorRT's dynamic profile: MIN <= OPT <= MAX, 3 channels, only with dynamic=True */
    {"format=engine dynamic=True batch=4 min_shape=1x3x64x64 opt_shape=2x3x320x320 max_shape=4x3x640x640", NULL, 0, TRT_DEV, "min_shape=1x3x64x64"},
    {"format=engine dynamic=True batch=4 min_shape=1x3x640x640 opt_shape=1x3x320x320", NULL, 0,
     TRT_DEV "\nE: the dynamic profile needs MIN <= OPT <= MAX: min height 640 is above opt 320", NULL},
    {"format=engine dynamic=True batch=4 max_shape=4x3x320x320", NULL, 0,
     TRT_DEV "\nE: the dynamic profile needs MIN <= OPT <= MAX: max height 320 is below opt 640", NULL},
    {"format=engine dynamic=True batch=2 opt_shape=2x1x64x64", NULL, 0,
     TRT_DEV "\nE: opt_shape=2x1x64x64: the model takes 3 channels, not 1", NULL},
    {"format=engine dynamic=True batch=2 max_shape=big", NULL, 0,
     TRT_DEV "\nE: max_shape=big is not a shape: use BxCxHxW, i.e. 'max_shape=1x3x640x640'", NULL},
    {"format=engine min_shape=1x3x32x32", NULL, 0, TRT_DEV "\nI: min_shape=1x3x32x32 is ignored: the profile applies only with dynamic=True", NULL},
    {"format=onnx max_shape=1x3x32x32", NULL, 0,
     "I: max_shape=1x3x32x32 is ignored for format='onnx': only TensorRT exports use it (their dynamic profile)", NULL},
    /* backend= and host= */
    {"format=openvino backend=OVC", NULL, 0, "", "backend=ovc"},
    {"format=onnx backend=ovc", NULL, 0, "E: backend=ovc converts to OpenVINO only: use format=openvino, or backend=ultralytics", NULL},
    {"format=onnx backend=tvm", NULL, 0, "E: backend='tvm' is not one yoloport knows: use yoloport, ultralytics, ovc, pnnx or mnnconvert", NULL},
    {"format=onnx backend=ultralytics host=gpu-box", NULL, 0, "", "host=gpu-box"},
    {"format=engine host=me@10.0.0.7:2222", NULL, 0, TRT_DEV, "host=me@10.0.0.7:2222"},
    {"format=engine host=-oProxyCommand=x", NULL, 0, TRT_DEV "\nE: host='-oProxyCommand=x' cannot start with '-'", NULL},
    {"format=onnx host=gpu-box", NULL, 0,
     "I: host=gpu-box is ignored for format='onnx': yoloport writes this format here; host= runs tool-driven exports (engine, backend=...)", NULL},
    {"format=openvino host=gpu-box", NULL, 0,
     "I: host=gpu-box is ignored: yoloport writes format='openvino' here (backend=ovc runs a converter there)", NULL},
};

static void parse_facts(const char *s, ModelFacts *f)
{
    memset(f, 0, sizeof *f);
    if (!s) return;
    static char task[32];
    const char *t;
    if ((t = strstr(s, "task="))) {
        sscanf(t + 5, "%31[a-z]", task);
        f->task = task;
    }
    if ((t = strstr(s, "stride="))) f->stride = atoi(t + 7);
    if ((t = strstr(s, "train="))) f->train_imgsz[0] = f->train_imgsz[1] = atoi(t + 6);
    if (strstr(s, "end2end")) f->end2end = true;
}

/* The availability error depends on which writers this build links: not part of the rules. */
static bool is_availability(const ExportMsg *msg)
{
    return strstr(msg->text, "export is not available in this build") != NULL;
}

static void render_msgs(const ExportMsgs *m, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < m->n && o < len; i++) {
        if (is_availability(&m->items[i])) continue;
        const char *lv = m->items[i].level == EXPORT_MSG_ERROR ? "E" : m->items[i].level == EXPORT_MSG_WARNING ? "W" : "I";
        o += (size_t)snprintf(buf + o, len - o, "%s%s: %s", o ? "\n" : "", lv, m->items[i].text);
    }
}

static void test_rules_table(void)
{
    static char got[16384];
    for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
        const Case *tc = &cases[c];
        char words_buf[512];
        snprintf(words_buf, sizeof words_buf, "%s", tc->words);
        char *argv[32];
        int argc = 0;
        for (char *tok = strtok(words_buf, " "); tok && argc < 32; tok = strtok(NULL, " ")) argv[argc++] = tok;
        ExportArgs a;
        export_args_init(&a);
        ExportMsgs *m = xmalloc(sizeof *m);
        export_msgs_clear(m);
        int rc = export_args_parse_argv(&a, argc, argv, m);
        EXPECT_MSG(rc == tc->parse_rc, "case %zu '%s': parse rc %d, expected %d", c, tc->words, rc, tc->parse_rc);
        ExportEffective *eff = xmalloc(sizeof *eff);
        bool validated = rc == 0;
        if (validated) {
            ModelFacts facts;
            parse_facts(tc->facts, &facts);
            int vrc = export_args_validate(&a, &facts, eff, m);
            bool real_errors = false;
            for (int i = 0; i < m->n; i++)
                if (m->items[i].level == EXPORT_MSG_ERROR && !is_availability(&m->items[i])) real_errors = true;
            /* a format is made by its writer, or by the tool its row drives (TensorRT, the peer's exporter) */
            bool avail = eff->fmt && (eff->fmt->write || eff->fmt->drive_tool);
            EXPECT_MSG((vrc == 0) == (!real_errors && avail), "case %zu '%s': validate rc %d", c, tc->words, vrc);
            EXPECT_MSG(eff->ok == (vrc == 0), "case %zu: ok flag", c);
        }
        render_msgs(m, got, sizeof got);
        EXPECT_MSG(strcmp(got, tc->msgs) == 0, "case %zu '%s':\n  got:      [%s]\n  expected: [%s]", c, tc->words, got,
                   tc->msgs);
        if (tc->eff) {
            EXPECT_MSG(validated, "case %zu: effective values need a clean parse", c);
            char spec[512];
            snprintf(spec, sizeof spec, "%s", tc->eff);
            for (char *kv = strtok(spec, " "); kv && validated; kv = strtok(NULL, " ")) {
                char *eq = strchr(kv, '=');
                *eq = '\0';
                int k = export_arg_find(kv);
                EXPECT_MSG(k >= 0, "case %zu: bad key %s in the table", c, kv);
                if (k < 0) continue;
                char val[EXPORT_PATH_MAX];
                export_args_value_text(&eff->args, (ExportArgKey)k, val, sizeof val);
                EXPECT_MSG(strcmp(val, eq + 1) == 0, "case %zu '%s': effective %s=%s, expected %s", c, tc->words, kv,
                           val, eq + 1);
            }
        }
        free(eff);
        free(m);
    }
    printf("# %zu rule cases\n", ARRAY_LEN(cases));
}

static void test_key_table(void)
{
    EXPECT_EQ_INT(EXPORT_KEY_COUNT, 30); /* project= joined the peer's keys */
    ExportArgs a;
    export_args_init(&a);
    EXPECT_EQ_INT(a.given, 0);
    for (int k = 0; k < EXPORT_KEY_COUNT; k++) {
        const ExportArgInfo *ai = &export_arg_info[k];
        EXPECT_EQ_INT(ai->key, k);
        EXPECT(ai->help && strlen(ai->help) > 10);
        EXPECT_EQ_INT(export_arg_find(ai->name), k);
        EXPECT(export_args_is_default(&a, (ExportArgKey)k));
        /* a default written back through the parser is still the default */
        ExportArgs b;
        export_args_init(&b);
        EXPECT_EQ_INT(export_args_set(&b, ai->name, ai->default_text ? ai->default_text : "None", NULL), 0);
        EXPECT_MSG(export_args_is_default(&b, (ExportArgKey)k), "key %s", ai->name);
        EXPECT(b.given == EXPORT_ARG_BIT(k));
        EXPECT_EQ_INT(export_args_is_none(&a, (ExportArgKey)k), ai->default_text == NULL);
        if (!ai->default_text) EXPECT(ai->flags & ARGF_NULLABLE);
    }
    EXPECT_EQ_INT(export_arg_find("nope"), -1);
    /* the fields hold the peer's export defaults */
    EXPECT_EQ_STR(a.format, "torchscript");
    EXPECT_EQ_INT(a.batch, 1);
    EXPECT_EQ_INT(a.imgsz.n, 1);
    EXPECT_EQ_INT(a.imgsz.v[0], 640);
    EXPECT(a.simplify && !a.half && a.verify && !a.verbose);
    EXPECT_NEAR(a.iou, 0.7, 0);
    EXPECT_NEAR(a.fraction, 1.0, 0);
    EXPECT_EQ_INT(a.max_det, 300);
    EXPECT_EQ_STR(a.split, "val");
    EXPECT_EQ_INT(a.opset, 0);
    EXPECT_EQ_STR(a.device, "");
    EXPECT_EQ_STR(export_task_default_data(NULL), "coco8.yaml");
    EXPECT_EQ_STR(export_msg_prefix(EXPORT_MSG_WARNING), "WARNING ⚠️ ");
    EXPECT_EQ_STR(export_msg_prefix(EXPORT_MSG_ERROR), "ERROR ❌ ");
    EXPECT_EQ_STR(export_msg_prefix(EXPORT_MSG_INFO), "");
}

static void test_value_texts(void)
{
    ExportArgs a;
    export_args_init(&a);
    char buf[64];
    EXPECT_EQ_STR(export_args_value_text(&a, EXPORT_KEY_FRACTION, buf, sizeof buf), "1.0");
    EXPECT_EQ_STR(export_args_value_text(&a, EXPORT_KEY_CONF, buf, sizeof buf), "None");
    EXPECT_EQ_INT(export_args_set(&a, "conf", "0.001", NULL), 0);
    EXPECT_EQ_STR(export_args_value_text(&a, EXPORT_KEY_CONF, buf, sizeof buf), "0.001");
    EXPECT_EQ_INT(export_args_set(&a, "conf", "1e-5", NULL), 0);
    EXPECT_EQ_STR(export_args_value_text(&a, EXPORT_KEY_CONF, buf, sizeof buf), "1e-05"); /* as Python prints it */
    EXPECT_EQ_INT(export_args_set(&a, "workspace", "100000", NULL), 0);
    EXPECT_EQ_STR(export_args_value_text(&a, EXPORT_KEY_WORKSPACE, buf, sizeof buf), "100000.0");
    EXPECT_EQ_INT(export_args_set(&a, "imgsz", "(480, 640)", NULL), 0);
    EXPECT_EQ_STR(export_args_value_text(&a, EXPORT_KEY_IMGSZ, buf, sizeof buf), "480,640");
    EXPECT_EQ_INT(export_args_set(&a, "device", "'0,1'", NULL), 0);
    EXPECT_EQ_STR(a.device, "0,1");
    /* a rejected value leaves the key as it was */
    ExportMsgs m;
    export_msgs_clear(&m);
    EXPECT_EQ_INT(export_args_set(&a, "imgsz", "big", &m), -1);
    EXPECT_EQ_STR(export_args_value_text(&a, EXPORT_KEY_IMGSZ, buf, sizeof buf), "480,640");
    EXPECT_EQ_INT(m.n_errors, 1);
    EXPECT_EQ_INT(m.items[0].key, EXPORT_KEY_IMGSZ);
    /* too long for the field */
    char longv[300];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    EXPECT_EQ_INT(export_args_set(&a, "format", longv, &m), -1);
    EXPECT_CONTAINS(m.items[1].text, "'format' is too long");
    /* the message list never overflows */
    export_msgs_clear(&m);
    for (int i = 0; i < EXPORT_MSGS_MAX + 5; i++) export_msgs_add(&m, EXPORT_MSG_WARNING, -1, "w%d", i);
    EXPECT_EQ_INT(m.n, EXPORT_MSGS_MAX);
    EXPECT_EQ_INT(m.dropped, 5);
    EXPECT_EQ_INT(m.n_warnings, EXPORT_MSGS_MAX + 5);
}

static void test_command_lines(void)
{
    ExportArgs a;
    export_args_init(&a);
    char *words[] = {"format=onnx", "half=True", "imgsz=640,480", "model=yolov8n.pt", "verify=False", "device=[0,1]",
                     "data=my data.yaml"};
    EXPECT_EQ_INT(export_args_parse_argv(&a, (int)ARRAY_LEN(words), words, NULL), 0);
    char *ours = export_args_command(&a, EXPORT_CMD_YOLOPORT);
    char *peer = export_args_command(&a, EXPORT_CMD_YOLO);
    EXPECT_EQ_STR(ours, "yoloport export model=yolov8n.pt format=onnx imgsz=640,480 half=True 'device=[0,1]' "
                        "'data=my data.yaml' verify=False");
    EXPECT_EQ_STR(peer, "yolo export model=yolov8n.pt format=onnx imgsz=640,480 half=True 'device=[0,1]' "
                        "'data=my data.yaml'");
    free(ours);
    free(peer);
    ExportArgs d;
    export_args_init(&d);
    char *plain = export_args_command(&d, EXPORT_CMD_YOLO);
    EXPECT_EQ_STR(plain, "yolo export");
    free(plain);
    /* the rendered words parse back to the same values */
    ExportArgs b;
    export_args_init(&b);
    char *back[] = {"model=yolov8n.pt", "format=onnx", "imgsz=640,480", "half=True", "device=[0,1]",
                    "data=my data.yaml", "verify=False"};
    EXPECT_EQ_INT(export_args_parse_argv(&b, (int)ARRAY_LEN(back), back, NULL), 0);
    for (int k = 0; k < EXPORT_KEY_COUNT; k++) {
        char va[EXPORT_PATH_MAX], vb[EXPORT_PATH_MAX];
        export_args_value_text(&a, (ExportArgKey)k, va, sizeof va);
        export_args_value_text(&b, (ExportArgKey)k, vb, sizeof vb);
        EXPECT_MSG(strcmp(va, vb) == 0, "%s: %s vs %s", export_arg_info[k].name, va, vb);
    }
    /* a quote inside a value survives the shell */
    export_args_set(&b, "name", "it's", NULL);
    char *q = export_args_command(&b, EXPORT_CMD_YOLOPORT);
    EXPECT_CONTAINS(q, "'name=it'\\''s'");
    free(q);
}

/* The peer's argument merging: "imgsz =640" and "imgsz = 640" are imgsz=640, but a stray '='
 * after a word that has its value already, or a value starting with '=', is refused. */
static void test_stray_equals(void)
{
    static const struct {
        const char *words[3];
        int n;
        int rc;
        const char *msg;
    } cases[] = {
        {{"imgsz", "=320"}, 2, 0, NULL},
        {{"imgsz", "=", "320"}, 3, 0, NULL},
        {{"imgsz=", "320"}, 2, 0, NULL},
        {{"format=onnx", "=5"}, 2, -1, "'=5': a stray '=' after 'format=onnx'"},
        {{"data=coco.yaml", "==="}, 2, -1, "'===': a stray '=' after 'data=coco.yaml'"},
        {{"imgsz", "==320"}, 2, -1, "'==320': a stray '='"},
        {{"format==onnx"}, 1, -1, "'format==onnx': a stray '='"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        ExportArgs a;
        export_args_init(&a);
        ExportMsgs m;
        export_msgs_clear(&m);
        int rc = export_args_parse_argv(&a, cases[i].n, (char *const *)cases[i].words, &m);
        EXPECT_MSG(rc == cases[i].rc, "case %zu: rc %d", i, rc);
        if (cases[i].msg) EXPECT_MSG(m.n > 0 && strstr(m.items[0].text, cases[i].msg), "case %zu: %s", i, m.n ? m.items[0].text : "");
        else EXPECT_EQ_INT(a.imgsz.v[0], 320);
    }
}

static void test_applies(void)
{
    const char *why = NULL;
    EXPECT(export_arg_applies(FMT_ONNX, EXPORT_KEY_OPSET, &why));
    EXPECT(!export_arg_applies(FMT_TORCHSCRIPT, EXPORT_KEY_OPSET, &why));
    EXPECT_CONTAINS(why, "only ONNX");
    EXPECT(export_arg_applies(FMT_ENGINE, EXPORT_KEY_WORKSPACE, NULL));
    EXPECT(!export_arg_applies(FMT_ONNX, EXPORT_KEY_WORKSPACE, &why));
    EXPECT(export_arg_applies(FMT_OPENVINO, EXPORT_KEY_DATA, NULL));
    EXPECT(export_arg_applies(FMT_ONNX, EXPORT_KEY_DATA, NULL)); /* INT8 ONNX (ours) calibrates on data= */
    EXPECT(export_arg_applies(FMT_ONNX, EXPORT_KEY_INT8, &why));
    EXPECT(export_arg_applies(FMT_ONNX, EXPORT_KEY_FRACTION, &why));
    EXPECT(!export_arg_applies(FMT_TORCHSCRIPT, EXPORT_KEY_INT8, &why));
    EXPECT(!export_arg_applies(FMT_TORCHSCRIPT, EXPORT_KEY_DATA, NULL));
    EXPECT(export_arg_applies(FMT_EDGETPU, EXPORT_KEY_IMGSZ, NULL));
    EXPECT(!export_arg_applies(FMT_EDGETPU, EXPORT_KEY_BATCH, NULL));
    EXPECT(export_arg_applies(FMT_RKNN, EXPORT_KEY_NAME, NULL));
    EXPECT(export_arg_applies(FMT_TORCHSCRIPT, EXPORT_KEY_OPTIMIZE, NULL));
    EXPECT(!export_arg_applies(FMT_ONNX, EXPORT_KEY_OPTIMIZE, &why));
    EXPECT_CONTAINS(why, "TorchScript");
    for (int f = 0; f < FMT_COUNT; f++)
        for (int k = 0; k < EXPORT_KEY_COUNT; k++) {
            why = NULL;
            bool ok = export_arg_applies((FormatId)f, (ExportArgKey)k, &why);
            EXPECT_MSG(ok == (why == NULL), "format %d key %d: a reason exactly when not applicable", f, k);
        }
}

/* The workbench names a variant by what differs from the defaults' effective values; the words
 * are what Compare shows.  Keys the format ignores or that say where it runs never count. */
static void test_variants(void)
{
    static const struct {
        const char *words, *file, *text;
    } cases[] = {
        {"format=onnx", "", ""},
        {"format=onnx half", "half", "half"},
        {"format=onnx half dynamic opset=12", "half-dynamic-opset12", "half dynamic opset=12"},
        {"format=onnx imgsz=320 simplify=False", "imgsz320-nosimplify", "imgsz=320 simplify=False"},
        {"format=onnx imgsz=480,640 batch=4", "imgsz480x640-batch4", "imgsz=480,640 batch=4"},
        {"format=onnx nms conf=0.4 iou=0.5", "nms-conf0.4-iou0.5", "nms conf=0.4 iou=0.5"},
        {"format=onnx conf=0.4", "", ""},                         /* conf without nms changes nothing */
        {"format=torchscript opset=12 workspace=4", "", ""},      /* ignored by the format */
        {"format=onnx device=cpu verbose name=x project=out", "", ""}, /* where, not what */
        {"format=openvino backend=ovc half", "half-ovc", "half backend=ovc"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        ExportArgs a, d;
        export_args_init(&a);
        export_args_init(&d);
        char buf[512], *argv[16];
        snprintf(buf, sizeof buf, "%s", cases[i].words);
        int argc = 0;
        for (char *t = strtok(buf, " "); t && argc < 16; t = strtok(NULL, " ")) argv[argc++] = t;
        EXPECT_EQ_INT(export_args_parse_argv(&a, argc, argv, NULL), 0);
        export_args_set(&d, "format", a.format, NULL);
        ExportEffective ea, ed;
        ExportMsgs m;
        export_msgs_clear(&m);
        export_args_validate(&a, NULL, &ea, &m);
        export_msgs_clear(&m);
        export_args_validate(&d, NULL, &ed, &m);
        char file[256], text[256];
        export_args_variant(&ea.args, &ed.args, ea.fmt->id, EXPORT_VARIANT_FILE, file, sizeof file);
        export_args_variant(&ea.args, &ed.args, ea.fmt->id, EXPORT_VARIANT_WORDS, text, sizeof text);
        EXPECT_EQ_STR(file, cases[i].file);
        EXPECT_EQ_STR(text, cases[i].text);
    }
    /* name= is a file name (project= is the folder); the yolo line leaves both out */
    ExportArgs a;
    export_args_init(&a);
    ExportMsgs m;
    export_msgs_clear(&m);
    char *words[] = {"format=onnx", "name=a/b"};
    export_args_parse_argv(&a, 2, words, &m);
    EXPECT(export_args_validate(&a, NULL, NULL, &m) != 0);
    EXPECT_CONTAINS(m.items[m.n - 1].text, "name='a/b' is not a file name");
    export_args_set(&a, "name", "v1", NULL);
    export_args_set(&a, "project", "out", NULL);
    export_msgs_clear(&m);
    EXPECT_EQ_INT(export_args_validate(&a, NULL, NULL, &m), 0);
    char *yolo = export_args_command(&a, EXPORT_CMD_YOLO), *ours = export_args_command(&a, EXPORT_CMD_YOLOPORT);
    EXPECT_EQ_STR(yolo, "yolo export format=onnx");
    EXPECT_EQ_STR(ours, "yoloport export format=onnx name=v1 project=out");
    free(yolo);
    free(ours);
    export_args_set(&a, "format", "rknn", NULL); /* RKNN's name= is the chip: the yolo line keeps it */
    export_args_set(&a, "name", "rk3576", NULL);
    yolo = export_args_command(&a, EXPORT_CMD_YOLO);
    EXPECT_EQ_STR(yolo, "yolo export format=rknn name=rk3576");
    free(yolo);
}

static void test_facts_from_meta(void)
{
    GraphMeta meta;
    memset(&meta, 0, sizeof meta);
    meta.task = "segment";
    meta.n_strides = 3;
    meta.strides[0] = 8, meta.strides[1] = 16, meta.strides[2] = 32;
    meta.nc = 80;
    KeyValue kv[2] = {{"epochs", "100"}, {"imgsz", "[480, 640]"}};
    meta.train_args = kv;
    meta.n_train_args = 2;
    ModelFacts f;
    export_facts_from_meta(&meta, &f);
    EXPECT_EQ_STR(f.task, "segment");
    EXPECT_EQ_INT(f.stride, 32);
    EXPECT_EQ_INT(f.nc, 80);
    EXPECT_EQ_INT(f.train_imgsz[0], 480);
    EXPECT_EQ_INT(f.train_imgsz[1], 640);
    kv[1].value = "320";
    export_facts_from_meta(&meta, &f);
    EXPECT_EQ_INT(f.train_imgsz[0], 320);
    EXPECT_EQ_INT(f.train_imgsz[1], 320);
    meta.n_train_args = 0;
    meta.imgsz[0] = meta.imgsz[1] = 640;
    export_facts_from_meta(&meta, &f);
    EXPECT_EQ_INT(f.train_imgsz[0], 640);
}

int main(void)
{
    RUN(test_rules_table);
    RUN(test_key_table);
    RUN(test_value_texts);
    RUN(test_command_lines);
    RUN(test_stray_equals);
    RUN(test_applies);
    RUN(test_facts_from_meta);
    RUN(test_variants);
    return check_done();
}
