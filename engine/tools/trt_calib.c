/* trt_calib: the INT8 calibration cache trtexec's --calib reads, from yoloport's own INT8
 * calibration (engine/quant) on the ONNX the engine is built from.
 *
 * The cache is TensorRT's text: a "TRT-<version>-EntropyCalibration2" line, then one
 * "<tensor>: <scale>" line per tensor, the scale being the float32's bits as 8 hex digits.
 * TensorRT quantises symmetrically, so a tensor's scale is max(|lo|, |hi|) / 127 over the
 * range our calibration chose (CALIB_METHOD_DEFAULT: the one that kept COCO8's mAP best). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export_int8.h"
#include "engine/tools/trt.h"
#include "formats/onnx.h"

/* 10.3.0 -> 100300, 8.6.1 -> 8601: TensorRT's NV_TENSORRT_VERSION, which the cache's first
 * line carries (TensorRT ignores a cache of another version); 0 when unknown. */
long trt_version_number(const int trt[3])
{
    if (trt[0] < 1 || trt[1] < 0 || trt[2] < 0) return 0;
    return trt[0] >= 10 ? (long)trt[0] * 10000 + trt[1] * 100 + trt[2] : (long)trt[0] * 1000 + trt[1] * 100 + trt[2];
}

int trt_calib_cache_write(ExportStage *st, const char *onnx_path, const int trt[3], const char *cache_path,
                          char *err, size_t errlen)
{
    char msg[1024];
    Graph *g = onnx_read(onnx_path, msg, sizeof msg);
    if (!g) return err_set(err, errlen, "%s", msg);
    ExportInt8 q;
    memset(&q, 0, sizeof q);
    int rc = -1;
    FILE *f = NULL;
    /* every computed tensor (an ONNX file need not say the types of its inner tensors) */
    bool *watch = xcalloc((size_t)g->n_tensors + 1, sizeof *watch);
    for (int t = 0; t < g->n_tensors; t++) watch[t] = !g->tensors[t].data;
    int crc = export_int8_calibrate(st, g, watch, &q, err, errlen);
    free(watch);
    if (crc != 0) goto out;
    f = fopen(cache_path, "w");
    if (!f) {
        err_set(err, errlen, "%s: cannot write the calibration cache", cache_path);
        goto out;
    }
    long ver = trt_version_number(trt);
    fprintf(f, "TRT-%ld-EntropyCalibration2\n", ver);
    int lines = 0;
    for (int t = 0; t < g->n_tensors; t++) {
        const Tensor *x = &g->tensors[t];
        float lo, hi;
        if (x->data || calib_range_by_name(q.stats, x->name, q.method, &lo, &hi) != 0) continue;
        float amax = fmaxf(fabsf(lo), fabsf(hi));
        float scale = amax > 0 ? amax / 127.0f : 1.0f / 127.0f;
        uint32_t bits;
        memcpy(&bits, &scale, sizeof bits);
        fprintf(f, "%s: %08x\n", x->name, (unsigned)bits);
        lines++;
    }
    if (ferror(f) | (fclose(f) != 0)) {
        f = NULL;
        err_set(err, errlen, "%s: cannot write the calibration cache", cache_path);
        goto out;
    }
    f = NULL;
    job_log(st->ctx->job, JOB_LOG_INFO, "%s INT8 calibration cache: %d tensors, ranges by %s, symmetric scales as "
            "TensorRT takes them", st->prefix, lines, calib_method_name(q.method));
    rc = 0;
out:
    if (f) fclose(f);
    export_int8_free(&q);
    graph_free(g);
    return rc;
}
