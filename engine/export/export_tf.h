/* export_tf: what the TensorFlow stages share.  `format=tflite` and `format=saved_model` write
 * the same directory, as the peer (onnx2tf) does: `<stem>_saved_model/` holding saved_model.pb,
 * variables/, metadata.yaml, `<stem>_float32.tflite` and `<stem>_float16.tflite`; tflite
 * returns one of the TF Lite files, saved_model the directory.  With format=tflite the boxes
 * are fractions of the input size in every file of it (the peer's Detect head normalises them
 * for TF Lite); with format=saved_model they are pixels. */
#ifndef YOLOPORT_EXPORT_TF_H
#define YOLOPORT_EXPORT_TF_H

#include "engine/export/export.h"
#include "engine/export/export_int8.h"
#include "engine/export/export_stage.h"

typedef enum { TF_STAGE_TFLITE, TF_STAGE_SAVED_MODEL } TfStageKind;

/* The stage writing the directory (engine/export/export_tf.c). */
int export_tf_dir_stage(ExportCtx *ctx, TfStageKind kind, char *err, size_t errlen);

/* int8=True refused for the SavedModel (int8 is format=tflite's): -1 + message, or 0. */
int export_tf_refuse_int8(ExportCtx *ctx, const char *label, char *err, size_t errlen);

/* Read the TF Lite file at path back, check its interface against g (the graph written) and
 * run it against the source (boxes scaled back to pixels when g's boxes are normalised:
 * normalised) when numeric; with q8 (an int8 file), its accuracy against the source too (an
 * int8 input is fed through a QuantizeLinear, int8 outputs through DequantizeLinear).  Adds the
 * report's checks; fills *prec from the file's weights.  The worst of the checks' statuses. */
CheckStatus export_tf_check_tflite(ExportStage *st, const Graph *g, const char *path, bool half, bool normalised,
                                   ExportInt8 *q8, bool numeric, PrecisionInfo *prec, double *worst, char *err,
                                   size_t errlen);

#endif
