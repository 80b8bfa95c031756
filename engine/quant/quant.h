/* quant: where an INT8 model quantises, and the quantised graphs built from a float graph and
 * its calibration (engine/quant/calib.h): ONNX's static QDQ and OpenVINO's FakeQuantize.
 *
 * The plan follows what the peer's NNCF post-training quantisation does to a YOLO model
 * (../shared/reference/openvino/yolov8n_int8_openvino_model: 66 FakeQuantize on yolov8n):
 *   - weights: every convolution outside the head's decode gets per-output-channel symmetric
 *     int8 weights;
 *   - activations: the inputs of those convolutions, of element-wise Adds of two computed
 *     tensors (the bottleneck shortcuts) and of Resize are quantised; the requirement moves up
 *     through ops that only move values (Split, Concat, MaxPool, Reshape, Transpose, ...) to the
 *     tensor that computes them, so the quantiser sits once on a producer's output (the
 *     input image, SiLU outputs, shortcut sums, upsampled maps), read by all its consumers;
 *     the inputs that meet in one Concat share one range (NNCF's unified scales);
 *   - the head's decode stays float, as the peer's ignored scope keeps it: the nodes directly in
 *     the head module (its Concat, Reshape, Split, box arithmetic Sub/Add/Div/Mul, the class
 *     Sigmoid) and its DFL, and everything after them (in-graph NMS); graph outputs are never
 *     quantised.
 * The head is the top-level module ("model.22") of the node producing the first output; its
 * nodes are recognised by their names ("/model.22/Concat", "/model.22/dfl/Softmax").
 *
 * Styles:
 *   QUANT_QDQ            activations: QuantizeLinear (uint8, zero point) -> DequantizeLinear;
 *                        weights: int8 initializer -> DequantizeLinear(axis 0, per-channel scale,
 *                        int8 zero points 0) -> Conv; biases stay float32.  Opset >= 13.
 *   QUANT_FAKE_QUANTIZE  activations: FakeQuantize(levels 256) with scalar ranges (input range =
 *                        output range: the uint8 grid of the QDQ style, so both compute alike);
 *                        weights: int8 constant -> Convert(f32) -> Multiply(scale [M,1,1,1]) ->
 *                        Convolution, as NNCF's compressed IR stores them.
 *
 * Call order: quant_plan(g) before anything changes g, calib_collect on g watching plan.act,
 * then quant_apply(g) (g is rewritten in place: nodes appended, sorted, unused float weights
 * dropped, so tensor indices change), quant_plan_free. */
#ifndef YOLOPORT_QUANT_H
#define YOLOPORT_QUANT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/core/graph.h"
#include "engine/quant/calib.h"

typedef struct {
    int n_tensors, n_nodes;  /* of the graph planned */
    bool *act;               /* per tensor: gets an activation quantiser */
    int *group;              /* per tensor with act: the representative of its shared range */
    bool *conv;              /* per node: a convolution whose weights become int8 */
    bool *keep_float;        /* per node: the head's decode and what follows it */
    int n_act, n_conv, n_keep_float;
    char head[64];           /* the head module ("model.22"), "" when none was found */
} QuantPlan;

/* Plan g (a float graph with constant convolution weights).  0, or -1 + message (nothing to
 * quantise: no convolution with constant float weights).  Free with quant_plan_free. */
int quant_plan(const Graph *g, QuantPlan *p, char *err, size_t errlen);
void quant_plan_free(QuantPlan *p);

typedef enum { QUANT_QDQ, QUANT_FAKE_QUANTIZE } QuantStyle;

typedef struct {
    int activations;   /* quantisers inserted */
    int weights;       /* convolutions given int8 weights */
    int missing;       /* planned activations without statistics (never computed): left float */
    int64_t weight_bytes_f32, weight_bytes_i8; /* the convolution weights before and after */
} QuantStats;

/* Rewrite g (planned as p, calibrated as s with ranges by method m) in style `style`.  st may
 * be NULL.  0, or -1 + message (a planned convolution whose weights are not float32). */
int quant_apply(Graph *g, const QuantPlan *p, const CalibStats *s, CalibMethod m, QuantStyle style, QuantStats *st,
                char *err, size_t errlen);

/* How a graph's INT8 is expressed, for the precision shown in size reports, Compare and info:
 * "int8 (QDQ, per-channel)" (DequantizeLinear on weights with a per-axis scale), "int8 (QDQ,
 * per-tensor)", "int8 (FakeQuantize)", or NULL when g has none of these. */
const char *quant_scheme(const Graph *g);

#endif
