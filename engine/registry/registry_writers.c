/* registry_writers: which writer stage each format row uses in this build.
 * This file is the one place a writer is wired in (the export pipeline edits it): declare
 * the stage's prototype here and put it in its row, e.g.
 *     int export_onnx_stage(struct ExportCtx *ctx, char *err, size_t errlen);
 *     [FMT_ONNX] = export_onnx_stage,
 * A row left NULL shows as unavailable, with the row's unavailable_reason. */
#include "engine/registry/registry.h"

int export_onnx_stage(struct ExportCtx *ctx, char *err, size_t errlen);        /* engine/export/export_onnx.c */
int export_torchscript_stage(struct ExportCtx *ctx, char *err, size_t errlen); /* engine/export/export_torchscript.c */
int export_openvino_stage(struct ExportCtx *ctx, char *err, size_t errlen);    /* engine/export/export_openvino.c */
int export_tfjs_stage(struct ExportCtx *ctx, char *err, size_t errlen);        /* engine/export/export_tfjs.c */

/* Read by registry.c only (through registry_get). */
extern const FormatWriteFn registry_writer_table[FMT_COUNT];

const FormatWriteFn registry_writer_table[FMT_COUNT] = {
    [FMT_PYTORCH] = NULL,
    [FMT_TORCHSCRIPT] = export_torchscript_stage,
    [FMT_ONNX] = export_onnx_stage,
    [FMT_OPENVINO] = export_openvino_stage,
    [FMT_ENGINE] = NULL,
    [FMT_COREML] = NULL,
    [FMT_SAVED_MODEL] = NULL,
    [FMT_PB] = NULL,
    [FMT_TFLITE] = NULL,
    [FMT_EDGETPU] = NULL,
    [FMT_TFJS] = export_tfjs_stage,
    [FMT_PADDLE] = NULL,
    [FMT_MNN] = NULL,
    [FMT_NCNN] = NULL,
    [FMT_IMX] = NULL,
    [FMT_RKNN] = NULL,
};
