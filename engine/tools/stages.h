/* stages: the export stages that drive external tools -- the registry rows' drive_tool
 * operations (engine/registry/registry.h) -- and the choice between them and our writers.
 *
 *   TensorRT (format=engine)   our ONNX export, then trtexec builds the engine on this host or
 *                              host=; the peer's header is put in front (engine/tools/trt.h)
 *   the peer's exporter        `yolo export ...` with the same arguments, for the formats this
 *                              build does not write (CoreML, PaddlePaddle, IMX, RKNN) and for
 *                              any format with backend=ultralytics
 *   Edge TPU (format=edgetpu)  our full-integer TF Lite file, then edgetpu_compiler
 *   converters                 backend=ovc (OpenVINO), backend=pnnx (NCNN), backend=mnnconvert
 *                              (MNN) convert our ONNX export; also NCNN and MNN when this build
 *                              has no writer for them
 * Each runs its tool through the driver (engine/tools/driver.h), makes its artifact under a
 * temporary name, renames it into place only once complete, adds it to the report with the
 * checks that can be made, and says plainly what is missing when a tool is not there.
 * Called on a job's worker thread, like every export stage. */
#ifndef YOLOPORT_STAGES_H
#define YOLOPORT_STAGES_H

#include <stddef.h>

#include "engine/export/export.h"

/* The stage that makes fi with args a: the peer's exporter for backend=ultralytics, the
 * converter for backend=ovc/pnnx/mnnconvert, else the row's writer, else its drive_tool;
 * NULL when there is none (the row's unavailable_reason says why). */
FormatWriteFn tools_export_stage(const FormatInfo *fi, const ExportArgs *a);

/* TensorRT (the engine row's drive_tool). */
int export_engine_tool(struct ExportCtx *ctx, char *err, size_t errlen);
/* `yolo export` (drive_tool of CoreML, PaddlePaddle, IMX, RKNN; any row with backend=ultralytics). */
int export_peer_tool(struct ExportCtx *ctx, char *err, size_t errlen);
/* ovc / pnnx / MNNConvert on our ONNX (drive_tool of OpenVINO, NCNN, MNN). */
int export_converter_tool(struct ExportCtx *ctx, char *err, size_t errlen);

/* Edge TPU (the edgetpu row's drive_tool): our full-integer TF Lite file, then edgetpu_compiler. */
int export_edgetpu_tool(struct ExportCtx *ctx, char *err, size_t errlen);
/* The compiler's command on the full-integer file `name`, as the peer runs it:
 * "edgetpu_compiler -s -d -k 10 --out_dir . NAME" (heap argv, NULL-terminated; remote_argv_free). */
char **edgetpu_compile_argv(const char *name);

/* The command a tool-driven stage would run for fi with effective args a (given: as typed)
 * on a host with facts (NULL: unknown, today's TensorRT flags), over ssh when host is not
 * NULL, with stem as the artifact's base name: "trtexec --onnx=yolov8n.onnx ...",
 * "yolo export ...", "ssh gpu-box 'MNNConvert ...'".  NULL when yoloport's own writer makes
 * fi.  Heap string (the workbench's equivalent commands). */
struct RemoteHost;
struct ToolFacts;
char *tools_stage_command_preview(const FormatInfo *fi, const ExportArgs *a, const ExportArgs *given,
                                  const struct ToolFacts *facts, const struct RemoteHost *host, const char *stem);

#endif
