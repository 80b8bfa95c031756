/* export_saved_model: the SavedModel writer stage — `format=saved_model`, the peer's
 * `<stem>_saved_model/` directory: saved_model.pb (a frozen graph, "serving_default" signature
 * with input "images" and outputs "output_0", ...), an empty variables/ (the graph holds no
 * variables), metadata.yaml, and the TF Lite files beside it as the peer's onnx2tf leaves
 * them (`<stem>_float32.tflite`, `<stem>_float16.tflite`).  The directory is shared with the
 * TF Lite stage (engine/export/export_tf.c).  saved_model.pb is read back and checked (it
 * parses, the signature names nodes of the graph, every constant matches its shape), then
 * read into the IR by our reader (formats/tfsaved_read.c) and run against the source in our
 * executor; the float32 TF Lite file beside it is read back for its interface.  int8=True is
 * format=tflite's (the SavedModel itself stays float32): refused with that reason. */
#include "engine/export/export.h"
#include "engine/export/export_tf.h"

int export_saved_model_stage(struct ExportCtx *ctx, char *err, size_t errlen)
{
    return export_tf_dir_stage(ctx, TF_STAGE_SAVED_MODEL, err, errlen);
}
