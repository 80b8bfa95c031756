#!/bin/sh
# Executor benchmark: times a few runs of yolov8n at 640 (release build) and prints
# ms/image with a per-op breakdown, against a baseline measured in the same run: one
# cblas_sgemm doing the model's multiply-adds (the executor's floor on this machine).
# The model is ../shared/models/yolov8n.pt through model_load when the build has it, else
# the peer's ONNX export ../shared/reference/peer/yolov8n.onnx.
#   sh bench/exec.sh [runs] [model]
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SHARED=${YOLOPORT_SHARED:-../shared}
make --no-print-directory build/rel/libyoloport.a >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
HAVE_MODEL=""
if nm build/rel/libyoloport.a 2>/dev/null | grep -q ' T model_load$'; then HAVE_MODEL="-DHAVE_MODEL_LOAD"; fi
MODEL=${2:-}
if [ -z "$MODEL" ]; then
    if [ -n "$HAVE_MODEL" ]; then MODEL="$SHARED/models/yolov8n.pt"; else MODEL="$SHARED/reference/peer/yolov8n.onnx"; fi
fi
cat >"$tmp/bench.c" <<'C'
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/exec/exec.h"
#include "engine/core/util.h"
#include "formats/onnx.h"
#ifdef HAVE_MODEL_LOAD
#include "engine/registry/model.h"
#include "formats/pt.h"
/* model.c refers to pt_load weakly: a strong reference pulls formats/pt.o from the archive */
void *volatile bench_force_pt_link = (void *)pt_load;
#endif

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* multiply-adds of the graph's Conv/MatMul/Gemm nodes, from the shapes of the last run */
static double graph_macs(const Graph *g, Exec *e)
{
    double macs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = &g->nodes[i];
        if (n->op != OP_CONV || n->n_inputs < 2 || n->n_outputs < 1) continue;
        int64_t od[8], wd[8];
        int orank = 0, wrank = 0;
        if (!exec_tensor(e, g->tensors[n->outputs[0]].name, od, &orank)) continue;
        const Tensor *w = &g->tensors[n->inputs[1]];
        wrank = w->rank;
        memcpy(wd, w->dims, sizeof wd);
        double per = 1, outn = 1;
        for (int k = 1; k < wrank; k++) per *= (double)wd[k];
        for (int k = 0; k < orank; k++) outn *= (double)od[k];
        macs += per * outn;
    }
    return macs;
}

int main(int argc, char **argv)
{
    const char *path = argv[1];
    int runs = atoi(argv[2]);
    char err[512];
    Graph *g = NULL;
#ifdef HAVE_MODEL_LOAD
    LoadOptions lo = {.fuse = true};
    if (strstr(path, ".pt")) g = model_load(path, &lo, err, sizeof err);
    else
#endif
        g = onnx_read(path, err, sizeof err);
    if (!g) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    Exec *e = exec_new(g, err, sizeof err);
    if (!e) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    int64_t dims[4] = {1, 3, 640, 640};
    float *x = malloc(sizeof(float) * 3 * 640 * 640);
    for (int i = 0; i < 3 * 640 * 640; i++) x[i] = (float)((i * 37) % 255) / 255.0f;
    const char *in = g->tensors[g->inputs[0]].name;
    /* warm-up run with everything kept, to read the shapes for the MAC count */
    exec_keep_all(e, 1);
    if (exec_set_input(e, in, x, dims, 4, err, sizeof err) || exec_run(e, NULL, err, sizeof err)) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    double macs = graph_macs(g, e);
    exec_keep_all(e, 0);
    exec_set_profile(e, 1);
    double *t = malloc(sizeof(double) * (size_t)runs);
    for (int r = 0; r < runs; r++) {
        exec_set_input(e, in, x, dims, 4, err, sizeof err);
        double t0 = now_seconds();
        if (exec_run(e, NULL, err, sizeof err)) {
            fprintf(stderr, "bench: %s\n", err);
            return 1;
        }
        t[r] = (now_seconds() - t0) * 1000;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    double med = t[runs / 2];
    /* baseline: one square-ish sgemm with the same multiply-adds */
    int M = 256, K = 576, N = (int)(macs / ((double)M * K));
    if (N < 1) N = 1;
    float *A = calloc((size_t)M * K, 4), *B = calloc((size_t)K * N, 4), *C = calloc((size_t)M * N, 4);
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = now_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, A, K, B, N, 0.f, C, N);
        double ms = (now_seconds() - t0) * 1000;
        if (ms < best) best = ms;
    }
    printf("exec: %s at 640: %.1f ms/image (median of %d; min %.1f, max %.1f), %.2f GMACs, %.1f GFLOP/s\n", path,
           med, runs, t[0], t[runs - 1], macs / 1e9, 2 * macs / 1e9 / (med / 1000));
    printf("exec: baseline sgemm with the same MACs: %.1f ms; executor / baseline = %.2f\n", best, med / best);
    ExecOpTime ot[8];
    int n = exec_profile(e, ot, 8);
    printf("exec: last run by op:");
    for (int i = 0; i < n; i++) printf(" %s %.1f ms (%d)%s", ot[i].op_type, ot[i].ms, ot[i].nodes, i + 1 < n ? "," : "\n");
    exec_free(e);
    graph_free(g);
    free(x);
    free(t);
    free(A);
    free(B);
    free(C);
    return 0;
}
C
PKG_LIBS="$(pkg-config --libs ncursesw json-c libprotobuf-c libzip yaml-0.1 openblas libpng libxml-2.0) -lreadline -ljpeg -lpthread -lm"
cc -O2 -I. -Ibuild/gen $(pkg-config --cflags openblas) $HAVE_MODEL "$tmp/bench.c" build/rel/libyoloport.a $PKG_LIBS -o "$tmp/bench"
if [ ! -f "$MODEL" ]; then
    echo "exec: $MODEL is absent; nothing to time"
    exit 0
fi
"$tmp/bench" "$MODEL" "$RUNS"
