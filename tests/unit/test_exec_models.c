/* Whole-model parity: real YOLO graphs run by the executor on the peer's own input arrays
 * and compared with the peer's outputs (../shared/reference/peer).  The ONNX files are
 * the peer's exports of the same fused models, read through formats/onnx; the .pt
 * checkpoints go through model_load.  Targets: boxes within 0.05 px, class scores and
 * mask coefficients within 1e-3, protos within 1e-3. */
#include <math.h>
#include <string.h>

#include "engine/exec.h"
#include "engine/npy.h"
#include "formats/onnx.h"
#include "tests/check.h"

typedef struct {
    double boxes, scores, protos;
    bool ok;
} Parity;

/* Run g on <peer>/<input>; compare output 0 (and output 1 when protos is set). */
static Parity run_parity(Graph *g, const char *input, const char *output, const char *protos)
{
    Parity p = {0};
    char err[512];
    NpyArray in = {0}, ref = {0}, pr = {0};
    Exec *e = NULL;
    float *rf = NULL, *pf = NULL;
    if (npy_read(shared_path(input), 0, &in, err, sizeof err) || npy_read(shared_path(output), 0, &ref, err, sizeof err)) {
        EXPECT_MSG(0, "%s", err);
        goto done;
    }
    e = exec_new(g, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (!e) goto done;
    float *x = npy_to_f32(&in, err, sizeof err);
    int rc = exec_set_input(e, g->tensors[g->inputs[0]].name, x, in.dims, in.rank, err, sizeof err);
    free(x);
    EXPECT_MSG(rc == 0, "%s", err);
    if (rc) goto done;
    rc = exec_run(e, NULL, err, sizeof err);
    EXPECT_MSG(rc == 0, "%s", err);
    if (rc) goto done;
    int64_t d[GRAPH_MAX_RANK];
    int rank;
    const float *y = exec_output(e, 0, d, &rank);
    EXPECT(y != NULL && rank == 3 && d[0] == ref.dims[0] && d[1] == ref.dims[1] && d[2] == ref.dims[2]);
    if (!y || rank != 3 || d[1] != ref.dims[1] || d[2] != ref.dims[2]) goto done;
    rf = npy_to_f32(&ref, err, sizeof err);
    for (int64_t c = 0; c < d[1]; c++)
        for (int64_t a = 0; a < d[2]; a++) {
            double df = fabs((double)y[c * d[2] + a] - rf[c * d[2] + a]);
            double *m = c < 4 ? &p.boxes : &p.scores;
            if (df > *m || df != df) *m = df != df ? INFINITY : df;
        }
    if (protos) {
        if (npy_read(shared_path(protos), 0, &pr, err, sizeof err)) {
            EXPECT_MSG(0, "%s", err);
            goto done;
        }
        const float *q = exec_output(e, 1, d, &rank);
        EXPECT(q != NULL && rank == pr.rank && d[1] == pr.dims[1] && d[2] == pr.dims[2] && d[3] == pr.dims[3]);
        if (!q || rank != pr.rank || d[1] != pr.dims[1] || d[2] != pr.dims[2] || d[3] != pr.dims[3]) goto done;
        pf = npy_to_f32(&pr, err, sizeof err);
        for (int64_t i = 0; i < pr.numel; i++) {
            double df = fabs((double)q[i] - pf[i]);
            if (df > p.protos || df != df) p.protos = df != df ? INFINITY : df;
        }
    }
    p.ok = true;
done:
    free(rf);
    free(pf);
    npy_free(&in);
    npy_free(&ref);
    npy_free(&pr);
    exec_free(e);
    return p;
}

static void check_parity(const char *what, Parity p, bool has_protos)
{
    if (!p.ok) return;
    printf("# %s: max |d| boxes %.4g px, scores %.3g%s", what, p.boxes, p.scores, has_protos ? "" : "\n");
    if (has_protos) printf(", protos %.3g\n", p.protos);
    EXPECT_MSG(p.boxes <= 0.05, "%s boxes off by %g px", what, p.boxes);
    EXPECT_MSG(p.scores <= 1e-3, "%s scores off by %g", what, p.scores);
    if (has_protos) EXPECT_MSG(p.protos <= 1e-3, "%s protos off by %g", what, p.protos);
}

static void test_peer_onnx_yolov8n(void)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    char err[512];
    Graph *g = onnx_read(shared_path("reference/peer/yolov8n.onnx"), err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    check_parity("yolov8n.onnx", run_parity(g, "reference/peer/yolov8n.input.npy", "reference/peer/yolov8n.output.npy", NULL),
                 false);
    graph_free(g);
}

static void test_peer_onnx_yolo11n_seg(void)
{
    if (!shared_dir()) {
        SKIP("../shared is absent");
        return;
    }
    char err[512];
    Graph *g = onnx_read(shared_path("reference/peer/yolo11n-seg.onnx"), err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    check_parity("yolo11n-seg.onnx",
                 run_parity(g, "reference/peer/yolo11n-seg.input.npy", "reference/peer/yolo11n-seg.output.npy",
                            "reference/peer/yolo11n-seg.protos.npy"),
                 true);
    graph_free(g);
}

int main(void)
{
    RUN(test_peer_onnx_yolov8n);
    RUN(test_peer_onnx_yolo11n_seg);
    return check_done();
}
