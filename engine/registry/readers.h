/* readers: the reading side of the registry's rows -- each format's recogniser (from
 * content: the formats' own sniffers) and reader (formats/ for files whose graph is stored,
 * the builder for checkpoints and configs, which hold a layer list).  The table in
 * registry.c points at these; nothing else calls them (model_load walks the table). */
#ifndef YOLOPORT_READERS_H
#define YOLOPORT_READERS_H

#include "engine/registry/registry.h"

/* Recognisers (FormatRecogniseFn): true when the probed path is that format. */
bool reader_pt_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_torchscript_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_onnx_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_openvino_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_tfjs_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_tflite_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_pb_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_saved_model_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_mnn_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_ncnn_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_yaml_recognise(const FormatProbe *probe, char *err, size_t errlen);
bool reader_engine_recognise(const FormatProbe *probe, char *err, size_t errlen);

/* Readers (FormatReadFn): a new Graph, or NULL + a message naming the file. */
Graph *reader_pt_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);
Graph *reader_torchscript_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);
Graph *reader_onnx_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);
Graph *reader_openvino_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);
Graph *reader_pb_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);
Graph *reader_saved_model_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);
Graph *reader_tfjs_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);
Graph *reader_tflite_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);
Graph *reader_mnn_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);
Graph *reader_ncnn_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);
Graph *reader_yaml_read(const char *path, const struct LoadOptions *opt, char *err, size_t errlen);

#endif
