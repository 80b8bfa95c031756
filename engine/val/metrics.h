/* metrics: the peer's detection metrics (ultralytics.utils.metrics), in the same arithmetic:
 *   - matching predictions to targets at 10 IoU thresholds 0.50:0.05:0.95 (match_predictions:
 *     every pair at or above the threshold with the same class, highest IoU first, each
 *     prediction and each target used once);
 *   - ap_per_class: predictions sorted by confidence, cumulative TP/FP per class, precision and
 *     recall curves sampled at 1000 confidences, AP per threshold by compute_ap (precision
 *     envelope, 101-point interpolation integrated with the trapezoid rule), and P, R taken at
 *     the confidence where the class-mean F1 (smoothed over 10% of the curve) is highest;
 *   - the means: P, R, mAP50 (threshold 0.5) and mAP50-95 (all ten) over the classes that have
 *     targets;
 *   - the OKS of keypoints (kpt_iou) for pose, with COCO's sigmas for 17 keypoints. */
#ifndef YOLOPORT_METRICS_H
#define YOLOPORT_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#define METRICS_NT 10 /* IoU thresholds 0.50, 0.55, ..., 0.95 */

/* The i-th threshold (0.5 + 0.05 i, as float32 linspace). */
float metrics_iou_threshold(int i);

/* correct[j * METRICS_NT + t] = prediction j matches a target at threshold t.  iou is nl x np
 * (row = target), already 0 where classes differ. */
void metrics_match(const float *iou, int nl, int np, unsigned char *correct);

/* IoU of two corner boxes as the peer's box_iou (eps 1e-7). */
float metrics_box_iou(const float *a, const float *b);

typedef struct {
    int n;              /* classes that have targets */
    int *classes;       /* their indices, ascending (ap_class_index) */
    double *p, *r, *f1; /* per class, at the best mean-F1 confidence */
    double *ap;         /* n x METRICS_NT */
    double mp, mr, map50, map75, map;
} ApResult;

/* ap_per_class over n predictions (tp: n x METRICS_NT, conf, pred_cls) and nt targets.  0, or
 * -1 on a size too large.  Free with metrics_ap_free. */
int metrics_ap_per_class(const unsigned char *tp, const float *conf, const int *pred_cls, int n, const int *target_cls,
                         int nt, ApResult *out);
void metrics_ap_free(ApResult *r);

/* The peer's compute_ap for one class and threshold: recall and precision curves of n points. */
double metrics_compute_ap(const double *recall, const double *precision, int n);

/* OKS (kpt_iou) between target keypoints g (nkpt x 3 or x 2: x, y[, visibility]) of box area
 * `area` (w*h*0.53 as the peer passes it) and predicted keypoints p (nkpt x pdim). */
float metrics_oks(const float *g, int gdim, const float *p, int pdim, int nkpt, float area);

#endif
