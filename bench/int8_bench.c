/* int8_bench: the calibration methods compared on what they keep -- one calibration of MODEL
 * on DATA's val split (statistics gathered once), then for each method (min/max, percentile,
 * entropy) and each style (ONNX's static QDQ, OpenVINO's FakeQuantize) the quantised graph
 * built and validated on the same split in the executor, beside the fp32 model's figure; and
 * the calibration's images per second.  Used by bench/int8.sh.
 *   int8_bench MODEL DATA.yaml [imgsz] [calibration split, default val]
 * And an OpenVINO int8 IR run with its FakeQuantize convolutions in integers (fusion on)
 * and in float (fusion off), alternately, median of RUNS runs each (the IR's box decoding
 * uses ScatterUpdate, which the executor lacks: the graph ends where it starts):
 *   int8_bench fq-convs IR_DIR INPUT.npy [RUNS] [best|avx2|portable: the kernels both sides use] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/npy.h"
#include "engine/core/util.h"
#include "engine/exec/exec.h"
#include "engine/passes/passes.h"
#include "formats/openvino.h"
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
    RuntimeSession *s = runtime_open_graph(g, 0, NULL, err, sizeof err);
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

/* g ends at the input of node `cut_node` (the head's decoding) and the output of `also`. */
static int cut_graph(Graph *g, const char *cut_node, const char *also)
{
    int cut = -1, extra = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (!strcmp(g->nodes[i].name, cut_node) && g->nodes[i].n_inputs == 1) cut = g->nodes[i].inputs[0];
        if (!strcmp(g->nodes[i].name, also) && g->nodes[i].n_outputs == 1) extra = g->nodes[i].outputs[0];
    }
    if (cut < 0) return -1;
    unsigned char *dead = xmalloc((size_t)g->n_nodes), *need = xcalloc((size_t)g->n_tensors, 1);
    need[cut] = 1;
    if (extra >= 0) need[extra] = 1;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        const Node *n = &g->nodes[i];
        bool used = false;
        for (int k = 0; k < n->n_outputs; k++) used |= n->outputs[k] >= 0 && need[n->outputs[k]];
        dead[i] = !used;
        for (int k = 0; used && k < n->n_inputs; k++)
            if (n->inputs[k] >= 0) need[n->inputs[k]] = 1;
    }
    g->n_outputs = 0;
    graph_add_output(g, cut);
    if (extra >= 0) graph_add_output(g, extra);
    pass_compact(g, dead, NULL);
    free(dead);
    free(need);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double conv_ms(const Exec *e)
{
    ExecOpTime t[64];
    int n = exec_profile(e, t, 64);
    for (int i = 0; i < n; i++)
        if (!strcmp(t[i].op_type, "Conv") || !strcmp(t[i].op_type, "Convolution")) return t[i].ms;
    return 0;
}

static int fq_convs(const char *dir, const char *input, int runs, ExecKernelSet ks)
{
    char err[1024];
    Graph *g = openvino_read(dir, err, sizeof err);
    NpyArray x = {0};
    if (!g || npy_read(input, 0, &x, err, sizeof err) != 0) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return 1;
    }
    if (cut_graph(g, "/model.22/Shape", "/model.22/Sigmoid") != 0) {
        fprintf(stderr, "int8_bench: %s has no node '/model.22/Shape'\n", dir);
        return 1;
    }
    float *xf = npy_to_f32(&x, err, sizeof err);
    ExecOptions opt = {.kernels = ks};
    Exec *e[2] = {exec_new_with(g, &opt, err, sizeof err), exec_new_with(g, &opt, err, sizeof err)}; /* integer, float */
    if (!xf || !e[0] || !e[1]) {
        fprintf(stderr, "int8_bench: %s\n", err);
        return 1;
    }
    exec_keep_all(e[1], 1);
    double *ms[2] = {xcalloc((size_t)runs, sizeof(double)), xcalloc((size_t)runs, sizeof(double))};
    double cms[2] = {0, 0};
    for (int r = -1; r < runs; r++) /* one untimed run each first */
        for (int k = 0; k < 2; k++) {
            exec_set_profile(e[k], 1);
            double t0 = now_seconds();
            if (exec_set_input(e[k], "images", xf, x.dims, x.rank, err, sizeof err) || exec_run(e[k], NULL, err, sizeof err)) {
                fprintf(stderr, "int8_bench: %s\n", err);
                return 1;
            }
            if (r < 0) continue;
            ms[k][r] = (now_seconds() - t0) * 1000.0;
            cms[k] += conv_ms(e[k]) / runs;
        }
    int convs = 0, n_int8 = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ExecNodeInfo info;
        if (g->nodes[i].op != OP_CONV || exec_node_info(e[0], i, &info)) continue;
        convs++;
        n_int8 += strstr(info.path, "int8") != NULL;
    }
    qsort(ms[0], (size_t)runs, sizeof(double), cmp_double);
    qsort(ms[1], (size_t)runs, sizeof(double), cmp_double);
    double on = ms[0][runs / 2], off = ms[1][runs / 2];
    printf("%-28s %10s %10s %8s   %s\n", "FakeQuantize convolutions", "integer ms", "float ms", "x", "(median of runs)");
    printf("%-28s %10.1f %10.1f %8.2f   %d of %d convolutions in integers, %s kernels, %d threads\n", "whole graph", on,
           off, on > 0 ? off / on : 0, n_int8, convs, exec_kernel_name(e[0]), exec_threads(e[0]));
    printf("%-28s %10.1f %10.1f %8.2f   (mean of the runs' Conv nodes)\n", "Conv nodes", cms[0], cms[1],
           cms[0] > 0 ? cms[1] / cms[0] : 0);
    printf("(float: fusion off, so every activation also runs as its own node)\n");
    exec_free(e[0]);
    exec_free(e[1]);
    free(ms[0]);
    free(ms[1]);
    free(xf);
    npy_free(&x);
    graph_free(g);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "fq-convs")) {
        int runs = argc > 4 ? atoi(argv[4]) : 5;
        const char *k = argc > 5 ? argv[5] : "best";
        ExecKernelSet ks = !strcmp(k, "avx2") ? EXEC_KERNELS_AVX2 : !strcmp(k, "portable") ? EXEC_KERNELS_PORTABLE : EXEC_KERNELS_BEST;
        return fq_convs(argv[2], argv[3], runs < 1 ? 1 : runs > 100 ? 100 : runs, ks);
    }
    if (argc < 3) {
        fprintf(stderr, "usage: int8_bench MODEL DATA.yaml [imgsz] [split]\n       int8_bench fq-convs IR_DIR INPUT.npy [runs]\n");
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
