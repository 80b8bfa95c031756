/* format_id: the one identity of every model kind and export format.  The same FormatId
 * indexes the format registry's rows (engine/registry/registry.h: name, operations,
 * arguments, output naming, matrix id), is what a reader records as the model's source
 * (GraphMeta.source_format, ModTree.source_format) and what `info` prints as the source's
 * key.  It lives in engine/core so that formats/, which may include only engine/core/, can
 * name it; everything else about a format is its registry row.
 *
 * Two lists, one enum:
 *   FORMAT_EXPORT_IDS  the peer's export table (Ultralytics export_formats()), in its order:
 *                      the rows `format=` accepts, the matrix lists and the Export screen
 *                      shows (FMT_PYTORCH is its row 0, the source it exports from);
 *   FORMAT_SOURCE_IDS  model kinds that are only ever a source (a model config): they have a
 *                      registry row (recognise, read) but are not part of the export table,
 *                      so they never appear in a format list, `format=`'s error message, the
 *                      matrix or the Export screen.
 * FMT_COUNT counts the export table; FMT_ID_COUNT every id.  Adding a format: see
 * formats/README.md. */
#ifndef YOLOPORT_FORMAT_ID_H
#define YOLOPORT_FORMAT_ID_H

/* X(ID, key): key is the short lowercase word `info` prints as "source:" and --json as
 * source.format ("pt", "onnx", "yaml"); for an export format it is its format= argument
 * (PyTorch, whose argument is "-", is "pt"). */
#define FORMAT_EXPORT_IDS(X)         \
    X(PYTORCH, "pt")                 \
    X(TORCHSCRIPT, "torchscript")    \
    X(ONNX, "onnx")                  \
    X(OPENVINO, "openvino")          \
    X(ENGINE, "engine")              \
    X(COREML, "coreml")              \
    X(SAVED_MODEL, "saved_model")    \
    X(PB, "pb")                      \
    X(TFLITE, "tflite")              \
    X(EDGETPU, "edgetpu")            \
    X(TFJS, "tfjs")                  \
    X(PADDLE, "paddle")              \
    X(MNN, "mnn")                    \
    X(NCNN, "ncnn")                  \
    X(IMX, "imx")                    \
    X(RKNN, "rknn")

#define FORMAT_SOURCE_IDS(X) \
    X(YAML, "yaml") /* a model config (yolov8n.yaml): builds an untrained model */

typedef enum {
    FMT_NONE = -1, /* no format: not recognised, or a graph built by hand */
#define FORMAT_ID_ENUM_(id, key) FMT_##id,
    FORMAT_EXPORT_IDS(FORMAT_ID_ENUM_) FORMAT_SOURCE_IDS(FORMAT_ID_ENUM_)
#undef FORMAT_ID_ENUM_
        FMT_ID_COUNT
} FormatId;

/* The number of rows in the export table: FMT_PYTORCH .. FMT_COUNT-1 are export rows, the
 * source-only ids follow from FMT_COUNT on. */
#define FORMAT_ID_ONE_(id, key) +1
enum { FMT_COUNT = 0 FORMAT_EXPORT_IDS(FORMAT_ID_ONE_) };
#undef FORMAT_ID_ONE_

/* The key of id ("pt", "onnx", "openvino", "yaml"); "unknown" for FMT_NONE or any value out
 * of range.  Static string. */
const char *format_id_key(FormatId id);

/* Is id one of the export table's rows (FMT_PYTORCH .. FMT_COUNT-1)? */
static inline int format_id_in_export_table(FormatId id)
{
    return (int)id >= 0 && (int)id < FMT_COUNT;
}

#endif
