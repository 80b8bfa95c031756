/* export_saved_model: the SavedModel writer stage — `format=saved_model`, the peer's
 * `<stem>_saved_model/` directory: saved_model.pb (a frozen graph, "serving_default" signature
 * with input "images" and outputs "output_0", ...), an empty variables/ (the graph holds no
 * variables), metadata.yaml, and the TF Lite files beside it as the peer's onnx2tf leaves
 * them (`<stem>_float32.tflite`, `<stem>_float16.tflite`).  The directory is shared with the
 * TF Lite stage (engine/export/export_tf.c).  saved_model.pb is read back and checked (it
 * parses, the signature names nodes of the graph, every constant matches its shape); the
 * numbers are checked by running the float32 TF Lite file beside it, which carries the same
 * TensorFlow graph, in our executor.  int8=True needs the INT8 calibration this build does
 * not have yet: refused with its reason. */
#include "engine/export/export.h"
#include "engine/export/export_tf.h"

int export_saved_model_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    return export_tf_dir_stage(ctx, TF_STAGE_SAVED_MODEL, err, errlen);
}
