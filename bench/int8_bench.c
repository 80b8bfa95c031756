/* int8_bench: the calibration methods compared on what they keep -- one calibration of MODEL
 * on DATA's val split (statistics gathered once), then for each method (min/max, percentile,
 * entropy) and each style (ONNX's static QDQ, OpenVINO's FakeQuantize) the quantised graph
 * built and validated on the same split in the executor, beside the fp32 model's figure; and
 * the calibration's images per second.  Used by bench/int8.sh.
 *   int8_bench MODEL DATA.yaml [imgsz] [calibration split, default val] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "engine/export/export.h"
#include "engine/quant/calib.h"
#include "engine/quant/quant.h"
#include "engine/registry/model.h"
#include "engine/runtime/runtime.h"
#include "engine/val/dataset.h"
#include "engine/val/val.h"
#include "formats/pt.h"

void *volatile bench_force_pt_link = (void *)pt_load;

static int val_of(const Graph *g, const Dataset *d, int imgsz, double *map, double *map50)
{
    char err[1024];
    RuntimeSession *s = runtime_open_graph(g, NULL, err, sizeof err);
    if (!s) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return -1;
    }
    ValOptions vo;
    val_defaults(&vo);
    vo.imgsz = imgsz;
    ValResult r;
    int rc = val_run(s, d, &vo, &r, err, sizeof err);
    runtime_close(s);
    if (rc != 0) {
        fprintf(stderr, "int8_bench: val: %s\n", err);
        return -1;
    }
    *map = r.map[0];
    *map50 = r.map50[0];
    val_result_free(&r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: int8_bench MODEL DATA.yaml [imgsz] [split]\n");
        return 2;
    }
    int imgsz = argc > 3 ? atoi(argv[3]) : 640;
    const char *split = argc > 4 ? argv[4] : "val";
    char err[1024];
    LoadOptions lo = {.fuse = true, .imgsz = {imgsz, imgsz}, .batch = 1};
    Graph *g = model_load(argv[1], &lo, err, sizeof err);
    if (!g) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return 1;
    }
    Dataset d;
    CalibSet set;
    if (dataset_load(argv[2], "val", &d, err, sizeof err) != 0 ||
        calib_set_open(argv[2], split, 1.0, &set, err, sizeof err) != 0) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return 1;
    }
    QuantPlan plan;
    if (quant_plan(g, &plan, err, sizeof err) != 0) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return 1;
    }
    /* statistics once, kept for every method; the calibration rate with only the planned tensors watched */
    CalibOptions co = {.watch = plan.act};
    CalibStats *s = calib_collect(g, &set, &co, err, sizeof err);
    if (!s) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return 1;
    }
    printf("calibration on the %s split: %d images in %.2fs (%.2f images/s), %d activations, %d convolutions\n", split, calib_stats_images(s),
           calib_stats_seconds(s), calib_stats_images(s) / calib_stats_seconds(s), plan.n_act, plan.n_conv);
    double m32, m32_50;
    if (val_of(g, &d, imgsz, &m32, &m32_50) != 0) return 1;
    printf("%-12s %-22s %-22s\n", "method", "QDQ mAP50-95 (mAP50)", "FakeQuantize mAP50-95 (mAP50)");
    printf("%-12s %.4f (%.4f)        %.4f (%.4f)\n", "fp32", m32, m32_50, m32, m32_50);
    const QuantStyle styles[2] = {QUANT_QDQ, QUANT_FAKE_QUANTIZE};
    for (int m = 0; m < CALIB_METHOD_COUNT; m++) {
        double map[2] = {0, 0}, map50[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            Graph *q = export_graph_clone(g);
            if (quant_apply(q, &plan, s, (CalibMethod)m, styles[k], NULL, err, sizeof err) != 0 ||
                val_of(q, &d, imgsz, &map[k], &map50[k]) != 0) {
                fprintf(stderr, "int8_bench: %s: %s\n", calib_method_name((CalibMethod)m), err);
                return 1;
            }
            graph_free(q);
        }
        printf("%-12s %.4f (%.4f)        %.4f (%.4f)%s\n", calib_method_name((CalibMethod)m), map[0], map50[0], map[1],
               map50[1], m == CALIB_METHOD_DEFAULT ? "   <- default" : "");
    }
    calib_stats_free(s);
    quant_plan_free(&plan);
    calib_set_free(&set);
    dataset_free(&d);
    graph_free(g);
    return 0;
}
