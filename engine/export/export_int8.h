/* export_int8: what the INT8 export stages share -- calibration inside the job (the peer's
 * log lines naming the data, split, image count and fraction, its warning below 300 images,
 * a warning naming each corrupt image it skips, a progress bar, cancel), the quantisation of
 * the stage's graph (engine/quant/quant.h), and the check an INT8 artifact gets beyond the
 * numeric one: its accuracy, val of the artifact in our executor against val of the source
 * on the val split of the calibration dataset.
 *
 * A stage's INT8 path (after export_stage_graph and the float passes):
 *   ExportInt8 q;
 *   export_int8_quantise(&st, g, QUANT_QDQ, &q, err, len)     plan, calibrate, rewrite g
 *   ... write, read back, export_stage_numeric (st.reference = the quantised g, st.int8_steps)
 *   export_int8_accuracy(&st, &q, written, err, len)          the "accuracy" check
 *   export_int8_free(&q)                                      before graph_free(g)
 * Everything logs into st's job with st's prefix ("ONNX:"). */
#ifndef YOLOPORT_EXPORT_INT8_H
#define YOLOPORT_EXPORT_INT8_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/export/export_stage.h"
#include "engine/quant/calib.h"
#include "engine/quant/quant.h"

typedef struct {
    CalibSet set;        /* the calibration images (data=, split=, fraction=) */
    CalibStats *stats;   /* their statistics on the stage's float graph */
    CalibMethod method;  /* CALIB_METHOD_DEFAULT */
    QuantPlan plan;
    QuantStats q;
    Graph *float_graph;  /* the stage's graph before quantisation (shares its data: free this first) */
    char data_text[512]; /* how the accuracy check names its images ("coco8.yaml val, 4 images") */
} ExportInt8;

/* Calibrate graph g for stage st on ctx->args' data/split/fraction: logs
 *   "<prefix> collecting INT8 calibration images from 'data=...'"          (the peer's line)
 *   "<prefix> calibration data: 4 images of split 'val' of /abs/coco8.yaml (fraction=1.0 of 4),
 *    letterboxed to 640x640"
 *   "WARNING ⚠️ <prefix> >300 images recommended for INT8 calibration, found 4 images."
 *   "WARNING ⚠️ /abs/x.jpg: ignoring corrupt image/label: <why>"            (each skipped image)
 *   "<prefix> calibrated on 4 images in 1.1s (3.6 images/s)"
 * with the job's progress ("<label>: calibrate", images done / total; a line every few seconds
 * on long runs) and its cancel (between images and between the nodes of one).  watch: the
 * tensors to gather statistics for (NULL: every float tensor).  Fills q->set and q->stats.
 * 0, or -1 + message ("cancelled" when the job was). */
int export_int8_calibrate(ExportStage *st, const Graph *g, const bool *watch, ExportInt8 *q, char *err, size_t errlen);

/* Plan g, calibrate it (watching the planned activations) and rewrite it in style (logging
 * "<prefix> INT8: 66 activations quantised (ranges by minmax), 63 convolutions with int8 weights
 * per output channel; the head's decode (model.22) kept in float").  0, or -1 + message. */
int export_int8_quantise(ExportStage *st, Graph *g, QuantStyle style, ExportInt8 *q, char *err, size_t errlen);

/* The accuracy check of `written` (the INT8 artifact as read back): val of it in our executor
 * (int8 numerics of its QDQ or FakeQuantize nodes) and of the float model (the stage's graph
 * before quantisation: the source with the same names and in-graph NMS) on the val
 * split of the calibration dataset (imgsz: the export's), the report's "accuracy" check with
 * the line "mAP50-95 0.631 (−0.007 vs fp32 0.638) on coco8.yaml val, 4 images; mAP50 ...",
 * logged like the numeric check, and st->map/map_ref for the report's artifact.  Status:
 * passed; written but failed (❎) when mAP50-95 drops by more than REPORT_MAX_MAP_DROP;
 * skipped (with why) when verify=False, when the data is a folder of images (no labels), the
 * dataset has no val split, or the task has no val; CHECK_FAILED + "cancelled" when the job
 * was cancelled. */
CheckStatus export_int8_accuracy(ExportStage *st, ExportInt8 *q, const Graph *written, char *err, size_t errlen);

void export_int8_free(ExportInt8 *q);

#endif
