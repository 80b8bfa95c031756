/* val: `yolo val` -- a model run over a dataset split and scored with the peer's metrics
 * (engine/val/metrics.h): box P, R, mAP50, mAP50-95 overall and per class; mask metrics for
 * segment models, pose (OKS) metrics for pose models.
 *
 * The peer's preprocessing: each image resized so that its long side is imgsz (sizes rounded
 * up), then letterboxed without upscaling into its batch's shape -- for a model that takes any
 * size, images are taken in order of aspect ratio, `batch` at a time, and each batch gets the
 * smallest stride multiple holding its widest ratio plus half a stride (the peer's rect
 * batches); a model with one input size gets that square.  The default batch is 1 (every image
 * its own shape): the peer's reference figures on coco8 (P 0.865, R 0.893, mAP50 0.921,
 * mAP50-95 0.638 for yolov8n) are reproduced with it; batch=16, the peer's CLI default, puts
 * coco8's four images into one 672x672 shape (0.621, 0.833, 0.888, 0.63).  NMS with conf 0.001, IoU 0.7, every
 * class above conf a candidate (multi-label), at most max_det per image; metrics in the
 * letterboxed image's pixels.  Images run one at a time (the batch only sets the shapes).
 * OBB and classify models are not validated here (said so with a message).
 *
 * Runs on the caller's thread; cancel (may be NULL) is checked between images. */
#ifndef YOLOPORT_VAL_H
#define YOLOPORT_VAL_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/predict/predict.h"
#include "engine/runtime/runtime.h"
#include "engine/val/dataset.h"

typedef struct {
    int imgsz;          /* 640 */
    int batch;          /* 1: images sharing one rect shape (see the header comment) */
    float conf;         /* 0.001 */
    float iou;          /* 0.7 */
    int max_det;        /* 300 */
    /* progress (may be NULL): images done of total */
    void (*progress)(void *user, int done, int total);
    void *user;
    const volatile int *cancel;
} ValOptions;

void val_defaults(ValOptions *o);

typedef struct {
    int cls;
    int images, instances;
    double p[2], r[2], ap50[2], ap[2]; /* [0] box, [1] mask or pose */
} ValClassRow;

typedef struct {
    Task task;
    int n_kinds;            /* 1: box; 2: box and mask (segment) or pose */
    const char *kind2;      /* "Mask" or "Pose" when n_kinds == 2 */
    int seen;               /* images */
    int instances;          /* targets */
    int backgrounds;        /* images without labels */
    double mp[2], mr[2], map50[2], map[2];
    ValClassRow *rows;      /* per class with targets, in class order */
    int n_rows;
    char **names;           /* the model's class names (nc), for the table */
    int nc;
    double ms_pre, ms_inf, ms_post; /* per image */
    bool rect;              /* rect batches (a model that takes any size) */
    int batch, imgsz;
    int last_h, last_w;     /* the last input shape */
    char warnings[1024];    /* e.g. duplicate labels removed; "" when none */
} ValResult;

/* Validate the session's model on the dataset d.  0, or -1 + message (a bad image or label
 * file names it; "cancelled" when cancel was set).  Free *out with val_result_free. */
int val_run(RuntimeSession *s, const Dataset *d, const ValOptions *o, ValResult *out, char *err, size_t errlen);
void val_result_free(ValResult *r);

/* One image as val feeds it (and INT8 calibration, engine/quant/calib.h): the peer's
 * load_image (long side resized to imgsz, sizes rounded up) then LetterBox(new_shape=(new_h,
 * new_w), auto=False, scaleup=False), pad 114, RGB / 255: float32 NCHW [1, 3, new_h, new_w]
 * on the heap (the caller frees it). */
float *val_input(const Image *im, int imgsz, int new_h, int new_w);

/* The peer's printed table (heap string): the header ("Class Images Instances Box(P R mAP50
 * mAP50-95)" and Mask/Pose columns), the "all" line and one line per class (verbose). */
char *val_table_text(const ValResult *r, bool per_class);

#endif
