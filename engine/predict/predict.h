/* predict: one image through a model, as the peer's `yolo predict` does it -- the predict
 * letterbox (the minimal rectangle padded to the stride when the model takes any size, the
 * model's own square otherwise; pad 114), a run in a runtime session (engine/runtime), and
 * the decode of every task's head into results in the original image's pixels:
 *   detect    boxes: best class per anchor, conf filter, class-aware NMS, scale_boxes;
 *   segment   the same, plus each detection's mask from the prototypes (cropped to the box,
 *             upsampled to the input size, as process_mask(upsample=True)), detections whose
 *             mask is empty dropped, and the mask's outline (masks.xy) as a polygon;
 *   pose      boxes and their keypoints (scale_coords);
 *   obb       rotated boxes, rotated NMS by probabilistic IoU, regularize_rboxes;
 *   classify  the top-5 classes (no letterbox: the short side resized to imgsz, centre crop);
 * and end-to-end heads, without NMS: YOLOv10-style rows (or exports with nms=True), already
 * the detections (conf filter and max_det only), and RT-DETR's query rows (boxes as fractions of
 * the input, class scores): as the peer's RTDETRPredictor, the image stretched to the input
 * size (no letterbox), per query the best class above conf, highest first, boxes scaled by
 * the image's width and height (not clipped).
 *
 * Usage: Predictor *p = predictor_new(session, &opt, err, len);
 *        predictor_run(p, &image, &result, err, len) ... predict_result_free(&result);
 *        predictor_free(p); runtime_close(session).
 * A Predictor borrows its session (which must outlive it) and is used by one thread. */
#ifndef YOLOPORT_PREDICT_H
#define YOLOPORT_PREDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/core/image.h"
#include "engine/predict/postprocess.h"
#include "engine/runtime/runtime.h"

#define PREDICT_TASKS(X) X(DETECT, "detect") X(SEGMENT, "segment") X(POSE, "pose") X(OBB, "obb") X(CLASSIFY, "classify")

typedef enum {
#define PREDICT_TASK_ENUM_(id, name) TASK_##id,
    PREDICT_TASKS(PREDICT_TASK_ENUM_)
#undef PREDICT_TASK_ENUM_
        TASK_COUNT
} Task;

/* "detect" ... ; the task named name (NULL/unknown: TASK_DETECT). */
const char *predict_task_name(Task t);
Task predict_task_from_name(const char *name);

#define PREDICT_MAX_CLASSES 4096

typedef struct {
    float conf;          /* 0.25 */
    float iou;           /* 0.7 */
    int max_det;         /* 300 */
    bool agnostic;       /* agnostic_nms */
    int classes[64];     /* classes= filter (class indices) */
    int n_classes;       /* 0: every class */
    int imgsz[2];        /* h, w; 0: 640 (or the model's own fixed input size) */
    bool polygons;       /* segment: trace each mask's outline (masks.xy) */
} PredictOptions;

void predict_defaults(PredictOptions *o);

typedef struct {
    float box[4];        /* x1, y1, x2, y2 in image pixels (obb: the rotated box's bounds) */
    float conf;
    int cls;
    float rbox[5];       /* obb: cx, cy, w, h, angle in radians, in [0, pi/2) */
    float *kpts;         /* pose: nkpt x kdim values (x, y[, visibility]), image pixels; heap */
    float *poly;         /* segment: n_poly (x, y) points of the mask outline, image pixels; heap */
    int n_poly;
    int mask_area;       /* segment: mask pixels at the input size */
} PredictObject;

typedef struct {
    Task task;
    int img_w, img_h;        /* the image */
    int net_w, net_h;        /* the network input */
    Letterbox lb;
    PredictObject *obj;      /* heap; n entries, highest confidence first */
    int n;
    unsigned char *masks;    /* segment: n masks of net_h x net_w (0/1), heap, or NULL */
    int top[5];              /* classify: the best classes, best first */
    float top_conf[5];
    int n_top;
    int nkpt, kdim;          /* pose: keypoints per object, values per keypoint */
    bool end2end;            /* the model's rows were the detections (no NMS here) */
    double ms_pre, ms_inf, ms_post;
} PredictResult;

typedef struct Predictor Predictor;

/* A predictor over session (borrowed) with options o (copied; NULL: defaults).  The task,
 * class names, strides and keypoint shape come from the session's model facts; a model
 * without them is taken as detect with "class N" names.  NULL + message. */
Predictor *predictor_new(RuntimeSession *session, const PredictOptions *o, char *err, size_t errlen);
void predictor_free(Predictor *p);

/* Predict on im.  Fills *out (free with predict_result_free); 0 or -1 + message. */
int predictor_run(Predictor *p, const Image *im, PredictResult *out, char *err, size_t errlen);
void predict_result_free(PredictResult *r);

Task predictor_task(const Predictor *p);
int predictor_nc(const Predictor *p);
/* The name of class c ("person"; "class7" when the model has no names, once it ran).  Valid
 * while p lives. */
const char *predictor_class_name(const Predictor *p, int c);
/* The network input size for an image of w x h (what predictor_run will feed). */
void predictor_input_size(const Predictor *p, int w, int h, int *net_w, int *net_h);

/* The peer's per-image summary: "4 persons, 1 bus, " (classes in index order, plural with
 * 's'), "(no detections), ", or for classify "bus 0.91, person 0.05, ".  Into buf. */
const char *predict_summary(const Predictor *p, const PredictResult *r, char *buf, size_t len);

/* ---- decoding, for val and tests ---------------------------------------------------------- */

/* What a model's outputs hold, found from their shapes and the model's facts. */
typedef struct {
    Task task;
    int nc;
    int extra;          /* values after the class scores per anchor (32, nkpt*kdim, 1) */
    int nkpt, kdim;
    int nm;             /* segment: prototypes */
    bool end2end;       /* no NMS: layout is one of the end-to-end layouts */
    OutputLayout layout;/* OUTPUT_E2E_XYXY: rows of x1 y1 x2 y2 conf class [extra];
                           OUTPUT_E2E_CXCYWH_NORM: RT-DETR's query rows; else the grid */
} PredictHead;

/* How the session's model lays out output0, as far as is known before a run: the model's
 * metadata (a checkpoint or config says so), else its output0's declared shape -- a detect
 * model's [N, Q, 4 + nc] with Q != 4 + nc is RT-DETR's query rows.  OUTPUT_GRID otherwise
 * (YOLOv10-style rows are also recognised after a run, from the output's shape). */
OutputLayout predict_output_layout(const RuntimeSession *s);

/* Decode a run's outputs (session outputs after runtime_run at an input of net_h x net_w)
 * into detections in network pixels.  po: the NMS options (conf, iou, max_det, multi_label...),
 * completed here with nc/extra/rotated.  Query rows: boxes times the input size, then corners
 * (the peer's RTDETRValidator), no limit when po.max_det <= 0.  0 or -1 + message. */
int predict_decode(RuntimeSession *s, const PredictHead *h, PostOptions po, int net_h, int net_w, Detection **dets,
                   int *n, char *err, size_t errlen);

/* A segment model's masks for dets[0..n) (network pixels, as predict_decode gives them) at
 * mask_h x mask_w: the input size (predict: process_mask upsampled) or the prototypes' size
 * (val: process_mask without upsampling, boxes scaled down to crop).  Heap n x mask_h x mask_w
 * of 0/1, or NULL + message. */
unsigned char *predict_masks(RuntimeSession *s, const PredictHead *h, const Detection *dets, int n, int net_h,
                             int net_w, int mask_h, int mask_w, char *err, size_t errlen);

/* The prototypes' size (output1's h and w) of a segment model after a run; false when none. */
bool predict_proto_size(RuntimeSession *s, int *mh, int *mw);

/* The head of a session's model (from its facts and output shapes after one run). */
int predict_head(RuntimeSession *s, PredictHead *h, char *err, size_t errlen);

/* ---- mask outlines (engine/predict/contour.c) --------------------------------------------- */

/* The outline of a binary mask (w x h, non-zero = set) as the peer's masks2segments does it
 * (cv2.findContours external contours with simple chain compression, several contours merged
 * into one polygon by merge_multi_segment): heap array of n (x, y) pairs in mask pixels, or
 * NULL with *n = 0 when the mask is empty. */
float *predict_mask_outline(const unsigned char *mask, int w, int h, int *n);

/* Fill a polygon (n (x, y) points) into a w x h 0/1 raster (even-odd rule, pixel centres),
 * or'ing into out.  For tests and the workbench. */
void predict_fill_polygon(const float *pts, int n, unsigned char *out, int w, int h);

#endif
