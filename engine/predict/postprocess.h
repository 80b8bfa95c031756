/* postprocess: turning a YOLO detect/segment output into detections, as the peer's
 * predict does (ultralytics.utils.ops.non_max_suppression + scale_boxes):
 *   output (1, 4 + nc + extra, A): per anchor a box (cx, cy, w, h in network pixels), nc
 *   class scores (after sigmoid) and `extra` values (mask coefficients, keypoints);
 *   best class per anchor, score > conf, boxes to corners, class-aware NMS (boxes offset
 *   by class * 7680, as the peer does) or agnostic, IoU > iou suppresses, at most max_det
 *   kept (highest score first), then boxes mapped back through the letterbox to the
 *   original image and clipped to it. */
#ifndef YOLOPORT_POSTPROCESS_H
#define YOLOPORT_POSTPROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    float x1, y1, x2, y2; /* corners, network pixels (image pixels after post_scale_boxes); for a
                             rotated box, the corners of its axis-aligned bounds */
    float conf;
    int cls;
    int64_t anchor;       /* column of the output it came from (for mask coefficients and
                             keypoints); for end-to-end rows, the row */
    float r[5];           /* rotated boxes (PostOptions.rotated): cx, cy, w, h, angle (radians) */
} Detection;

typedef struct {
    float conf;      /* 0.25 */
    float iou;       /* 0.7 (predict's default) */
    bool agnostic;   /* false: NMS per class */
    int max_det;     /* 300 */
    int max_nms;     /* 30000: boxes kept for NMS, highest scores first */
    int nc;          /* classes; 0 = channels - 4 - extra */
    int extra;       /* values after the class scores (32 for segment, 51 for pose, 1 for obb) */
    bool multi_label; /* every class scoring above conf is a candidate (val), not only the best */
    const unsigned char *class_ok; /* NULL, or nc flags: only classes flagged non-zero are kept
                                      (the peer's classes=) */
    bool rotated;    /* obb: boxes are cx, cy, w, h with the angle as the last extra value;
                        NMS by probabilistic IoU (the peer's nms_rotated) */
} PostOptions;

void post_defaults(PostOptions *o);

/* Decode one image's output: pred holds channels x anchors floats (C order, as exec_output
 * gives for batch index 0).  Returns a heap array of detections, highest score first, in
 * *out (caller frees) and their count in *n.  0, or -1 + message on bad sizes. */
int post_detect(const float *pred, int64_t channels, int64_t anchors, const PostOptions *o, Detection **out, int *n,
                char *err, size_t errlen);

/* End-to-end rows (a YOLOv10-style head, or an export with nms=True): pred holds rows x cols
 * floats, each row x1, y1, x2, y2, conf, class, then `extra` values; as the peer's
 * non_max_suppression for end-to-end output: rows with conf > conf are kept in order, at most
 * max_det, and of those the rows of an allowed class.  anchor = the row. */
int post_rows(const float *pred, int64_t rows, int64_t cols, const PostOptions *o, Detection **out, int *n, char *err,
              size_t errlen);

/* RT-DETR's query rows: pred holds rows x cols floats, each row cx, cy, w, h as fractions of
 * the input, then cols - 4 class scores (after sigmoid).  As the peer's RTDETRPredictor: per
 * row the best class (the first maximum), kept when its score > conf (and the class is
 * allowed), the box to corners -- (cx * in_sx) - (w * in_sx) / 2 ... -- then scaled by out_sx,
 * out_sy; highest score first (equal scores in row order), at most max_det (none when
 * max_det <= 0).  predict passes in = 1, out = the image's size; val in = the input size,
 * out = 1 (network pixels).  anchor = the row.  0, or -1 + message on bad sizes. */
int post_queries(const float *pred, int64_t rows, int64_t cols, const PostOptions *o, float in_sx, float in_sy,
                 float out_sx, float out_sy, Detection **out, int *n, char *err, size_t errlen);

/* The peer's batch_probiou for two rotated boxes (cx, cy, w, h, angle): 1 - Hellinger distance
 * of their Gaussian approximations. */
float post_probiou(const float *a, const float *b);

/* Map boxes from a net_h x net_w letterboxed input back to an img_h x img_w image (the
 * peer's scale_boxes: gain and padding recomputed from the two shapes) and clip them. */
void post_scale_boxes(Detection *d, int n, int net_h, int net_w, int img_h, int img_w);

/* Instance masks for a segment model's detections, as the peer's process_mask(...,
 * upsample=True): per detection the mask coefficients (output rows 4+nc .. 4+nc+nm-1 at its
 * anchor) times the prototypes [nm, mh, mw], cropped to the box scaled to prototype size,
 * bilinearly upsampled (half-pixel) to net_h x net_w, then > 0.  Call before
 * post_scale_boxes (boxes in network pixels).  Returns heap masks [n, net_h, net_w] of 0/1
 * (caller frees), NULL + message on bad sizes. */
unsigned char *post_masks(const float *pred, int64_t channels, int64_t anchors, int nc, const Detection *d, int n,
                          const float *protos, int nm, int mh, int mw, int net_h, int net_w, char *err, size_t errlen);

/* The peer's regularize_rboxes then scale_boxes(xywh=True): a rotated box with its angle in
 * [0, pi/2) (w and h swapped when needed), centre and sizes mapped back through the letterbox;
 * x1..y2 refreshed to its axis-aligned bounds, clipped to the image. */
void post_scale_rotated(Detection *d, int n, int net_h, int net_w, int img_h, int img_w);

/* Keypoints (k points of kdim values, x y [visibility]) from network to image pixels, as the
 * peer's scale_coords: padding removed, divided by the gain, clipped to the image. */
void post_scale_points(float *pts, int k, int kdim, int net_h, int net_w, int img_h, int img_w);

/* IoU of two corner boxes (0 when either is empty). */
float post_iou(const Detection *a, const Detection *b);

#endif
