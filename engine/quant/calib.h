/* calib: INT8 calibration -- the images a model is calibrated on, taken as the peer takes
 * them, and the statistics yoloport's executor gathers over them; plus the quantisation
 * arithmetic every INT8 writer shares.
 *
 * Data (CalibSet).  data= is a dataset yaml (engine/val/dataset.h: its `split`, default val,
 * and the peer's `fraction`: the first round(n x fraction) images of the split in sorted order,
 * as the peer's YOLODataset keeps them) or a folder of images (.jpg, .jpeg, .png in the folder
 * itself, sorted; split does not apply).  Nothing is downloaded: no data is an error for the
 * caller to say.  Each image goes onto the network input as the peer's calibration loader
 * puts it: the long side resized to the export's larger side, LetterBox(scaleup=False) onto the
 * export's h x w, pad 114, RGB / 255 (calib_input).
 *
 * Statistics (CalibStats).  calib_collect runs a graph in the executor over every image with
 * the executor's observer (engine/exec/exec.h) and keeps, per watched float tensor, its
 * minimum and maximum and a histogram of its values (2048 bins over the range seen so far;
 * when a later image widens the range, the counts are moved into the wider bins).  From
 * these, calib_range gives a tensor's range by any method (CalibMethod), so one calibration
 * serves every method.  An image that cannot be decoded is skipped (reported through
 * CalibOptions.skipped, as the peer warns about a corrupt image and goes on).
 *
 * Arithmetic.  Weights: per output channel (axis 0), symmetric int8 in [-127, 127], scale
 * max|w| / 127 (calib_weights_per_channel).  Activations: affine 8-bit from a range that is
 * first widened to hold 0 (so that zero padding is exact): uint8 with zero point in [0, 255]
 * or int8 in [-128, 127] (calib_affine).
 *
 * Call order:
 *   CalibSet set;  calib_set_open(data, split, fraction, &set, err, len);   lists the images
 *   CalibStats *s = calib_collect(g, &set, &opt, err, len);                 runs g on each
 *   calib_range(s, tensor, CALIB_METHOD_DEFAULT, &lo, &hi);                 any tensor, any method
 *   calib_stats_free(s); calib_set_free(&set);
 * Nothing here logs or touches jobs: progress, skipped images and cancellation go through
 * CalibOptions (engine/export/export_int8.h does the logging, progress bar and cancel for
 * export stages).  A CalibStats is used by one thread at a time. */
#ifndef YOLOPORT_CALIB_H
#define YOLOPORT_CALIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"

/* ---- calibration data ------------------------------------------------------------------- */

typedef enum { CALIB_DATASET, CALIB_FOLDER } CalibSourceKind;

typedef struct {
    CalibSourceKind kind;
    char *data;        /* data= as given */
    char *yaml;        /* the dataset yaml, absolute (CALIB_DATASET), else NULL */
    char *split;       /* the split the images come from ("val"), NULL for a folder */
    double fraction;   /* the fraction applied (1.0 for a folder) */
    int n_found;       /* images in the split (or folder) before the fraction */
    char **images;     /* the images used, absolute, in order; n_images of them */
    int n_images;
} CalibSet;

/* The peer's recommendation: fewer calibration images than this get its warning. */
#define CALIB_RECOMMENDED_IMAGES 300

/* List the calibration images of data (a dataset yaml or a folder of images) for split (NULL
 * or "": val; ignored for a folder) and fraction (0 < fraction <= 1; at least one image is
 * kept).  Reads the yaml and lists files; no image is decoded.  0, or -1 + one message naming
 * data and the problem (no such file or folder, not a dataset yaml, no such split, no
 * images).  Free with calib_set_free (also after a failure). */
int calib_set_open(const char *data, const char *split, double fraction, CalibSet *out, char *err, size_t errlen);
void calib_set_free(CalibSet *s);

/* Image i of the set as the network input: float32 NCHW [1, 3, h, w] on the heap (the caller
 * frees it), or NULL + a message naming the file (a file that cannot be read or decoded). */
float *calib_input(const CalibSet *s, int i, int h, int w, char *err, size_t errlen);

/* ---- statistics --------------------------------------------------------------------------- */

/* How a tensor's range is taken from its statistics.
 *   MINMAX      the smallest and largest value seen;
 *   PERCENTILE  the 0.01% and 99.99% quantiles of the values seen (outliers clipped);
 *   ENTROPY     the upper end that minimises the KL divergence between the histogram and
 *               its 8-bit quantisation (TensorRT's entropy calibration, on the positive side of
 *               the histogram; the lower end is the minimum: YOLO activations are SiLU outputs
 *               whose negative side is bounded by -0.28).
 * Every range is then widened to hold 0. */
#define CALIB_METHODS(X) X(MINMAX, "minmax") X(PERCENTILE, "percentile") X(ENTROPY, "entropy")

typedef enum {
#define CALIB_METHOD_ENUM_(id, name) CALIB_##id,
    CALIB_METHODS(CALIB_METHOD_ENUM_)
#undef CALIB_METHOD_ENUM_
        CALIB_METHOD_COUNT
} CalibMethod;

/* The method INT8 exports use: the one that kept COCO8's mAP50-95 best (bench/int8.sh: yolov8n
 * and yolov8s, QDQ and FakeQuantize, calibrated on val or on train: percentile lost at most
 * 0.005, min/max up to 0.027, entropy up to 0.139).  See calib.c. */
#define CALIB_METHOD_DEFAULT CALIB_PERCENTILE

/* "minmax", "percentile", "entropy" (static string; "?" out of range). */
const char *calib_method_name(CalibMethod m);
/* The method named name, or -1. */
int calib_method_find(const char *name);

typedef struct CalibStats CalibStats;

typedef struct {
    const bool *watch;   /* g->n_tensors flags: the tensors to gather statistics for; NULL: every
                            float tensor the graph computes, its input included */
    int threads;         /* executor threads (0: every CPU) */
    int h, w;            /* the input size when the graph's is symbolic (dynamic=True); 0: the graph's */
    const volatile int *cancel; /* polled between images and (by the executor) between nodes;
                            non-zero stops with "cancelled" (may be NULL) */
    /* Optional callbacks, on the calling thread.  progress: images done (decoded or skipped)
       of total.  skipped: image path and why it was skipped (cannot be read or decoded). */
    void (*progress)(void *user, int done, int total);
    void (*skipped)(void *user, const char *path, const char *why);
    void *user;
} CalibOptions;

/* Run g (float32 input, at the shape h x w of its first input: the export shape, or opt's h x w
 * when the graph's is symbolic; a fixed batch B > 1 gets each image B times) over every image
 * of set, gathering statistics for the watched tensors.  g must outlive the stats
 * (tensor names are looked up in it).  NULL + message: the graph does not run (the executor's
 * message), every image was skipped ("no image of data=... could be decoded"), or
 * "cancelled".  Free with calib_stats_free. */
CalibStats *calib_collect(const Graph *g, const CalibSet *set, const CalibOptions *opt, char *err, size_t errlen);
void calib_stats_free(CalibStats *s);

/* Images the statistics come from (the set's images minus the skipped ones), and how long
 * gathering them took. */
int calib_stats_images(const CalibStats *s);
double calib_stats_seconds(const CalibStats *s);

/* Tensor `tensor` (an index into the graph given to calib_collect) by method m: its range,
 * lo <= 0 <= hi, into *lo and *hi.  0, or -1 when the tensor was not watched or never
 * computed. */
int calib_range(const CalibStats *s, int tensor, CalibMethod m, float *lo, float *hi);
/* The same, by tensor name (a graph derived from the calibrated one keeps the names of the
 * tensors it did not change).  -1 when no watched tensor has that name. */
int calib_range_by_name(const CalibStats *s, const char *name, CalibMethod m, float *lo, float *hi);
/* The raw extremes of a watched tensor (before widening to 0).  0 or -1 as calib_range. */
int calib_minmax(const CalibStats *s, int tensor, float *min, float *max);

/* ---- quantisation arithmetic ------------------------------------------------------------ */

/* Affine 8-bit parameters for a range (widened to hold 0): signed8 false -> uint8, zero point
 * in [0, 255]; true -> int8, zero point in [-128, 127].  scale = (hi - lo) / 255, zero point
 * round(qmin - lo / scale), so 0.0 is exactly representable.  A zero-width range gives scale
 * 1 and the zero point of 0.0.  The range the parameters really represent is
 * [(qmin - zp) * scale, (qmax - zp) * scale] (calib_affine_range). */
void calib_affine(float lo, float hi, bool signed8, float *scale, int32_t *zero_point);
void calib_affine_range(float scale, int32_t zero_point, bool signed8, float *lo, float *hi);

/* Per-output-channel symmetric int8 weights: w holds channels x per_channel floats (a
 * convolution's [M, C/g, kh, kw] weights: channels = M); q receives the int8 values in
 * [-127, 127] and scales[channels] the scales (max |w_c| / 127; 1 for an all-zero channel), so
 * that w ~= q * scales[c]. */
void calib_weights_per_channel(const float *w, int64_t channels, int64_t per_channel, int8_t *q, float *scales);

#endif
