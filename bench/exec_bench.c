/* exec_bench: times yoloport's executor on one model (bench/exec.sh builds and drives it).
 *
 *   exec_bench MODEL RUNS THREADS [--layers] [--paths] [--conv=auto|reference|gemm1x1|direct|im2col|winograd]
 *              [--kernels=best|portable|avx2|avx512] [--imgsz=N]
 *   exec_bench --sgemm MACS THREADS
 *
 * MODEL is an ONNX file (the element types and shapes it leaves out inferred, as the export
 * check and the workbench do: a half-precision export's activations then run as float16), a
 * .pt checkpoint (read through model_load, fused), or a .tflite, .pb, _saved_model or
 * _web_model folder (made to run as predict and val run them: pass_nhwc_as_source).  Prints
 * one line "exec <model>: median <ms> ms/image (min, max) ... peak <MB> (activations <MB>)"
 * after a warm-up run,
 * and with --layers each convolution's path, time and GFLOP/s plus the other ops' times
 * (the last profiled run).  --paths times every convolution of the model alone, at its
 * input's shape with its weights and activation, on the path the planner chose and forced
 * onto the blocked (NCHWc) path, the two alternating RUNS times (median of each), and prints
 * both side by side with the chosen path's name: the figures the planner's choice of the
 * blocked path is checked against.  --sgemm prints the time of one cblas_sgemm doing MACS
 * multiply-adds on THREADS OpenBLAS threads: the floor a convolution engine is measured
 * against. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "engine/exec/exec.h"
#include "engine/exec/exec_conv.h" /* exec_conv_force: the blocked path for --paths */
#include "engine/passes/passes.h"
#include "engine/registry/model.h"
#include "formats/onnx.h"
#include "formats/pt.h"

/* model.c refers to pt_load weakly: a strong reference pulls formats/pt.o from the archive */
void *volatile bench_force_pt_link = (void *)pt_load;

void openblas_set_num_threads(int);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int sgemm_floor(double macs, int threads)
{
    openblas_set_num_threads(threads);
    int M = 256, K = 576, N = (int)(macs / ((double)M * K));
    if (N < 1) N = 1;
    float *A = calloc((size_t)M * K, 4), *B = calloc((size_t)K * N, 4), *C = calloc((size_t)M * N, 4);
    double t[7];
    for (int r = 0; r < 7; r++) {
        double t0 = now_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, A, K, B, N, 0.f, C, N);
        t[r] = (now_seconds() - t0) * 1000;
    }
    qsort(t, 7, sizeof *t, cmp_double);
    printf("sgemm %.2f GMACs on %d threads: median %.1f ms (min %.1f)\n", macs / 1e9, threads, t[3], t[0]);
    free(A);
    free(B);
    free(C);
    return 0;
}

/* ---- --paths: each convolution alone, the blocked path against the other one the planner
 * has for it (its choice, or the kxk path it replaced where it chose blocked) ---------------- */

typedef struct {
    int64_t (*dims)[4]; /* per tensor: its shape in the last run (rank 4 only) */
} ShapeLog;

static void log_shape(void *ctx, int tensor, const float *data, const int64_t *d, int rank)
{
    ShapeLog *s = ctx;
    (void)data;
    if (rank == 4) memcpy(s->dims[tensor], d, sizeof s->dims[tensor]);
}

/* Median ms of one run of e on x, over reps runs; runs of the two Execs alternate. */
static int time_pair(Exec *ea, Exec *eb, const float *x, const int64_t *d, int reps, double *ma, double *mb)
{
    char err[256];
    double *ta = malloc(sizeof(double) * (size_t)reps), *tb = malloc(sizeof(double) * (size_t)reps);
    int rc = 0;
    for (int r = -1; r < reps && !rc; r++) /* r = -1: warm-up (plans, Winograd weights) */
        for (int w = 0; w < 2 && !rc; w++) {
            Exec *e = w ? eb : ea;
            double t0 = now_seconds();
            rc = exec_set_input(e, "x", x, d, 4, err, sizeof err) || exec_run(e, NULL, err, sizeof err);
            if (r >= 0) (w ? tb : ta)[r] = (now_seconds() - t0) * 1000;
        }
    if (rc) fprintf(stderr, "exec_bench: %s\n", err);
    qsort(ta, (size_t)reps, sizeof *ta, cmp_double);
    qsort(tb, (size_t)reps, sizeof *tb, cmp_double);
    *ma = ta[reps / 2];
    *mb = tb[reps / 2];
    free(ta);
    free(tb);
    return rc;
}

static void paths_table(const Graph *g, Exec *e, const float *x_model, const int64_t *dims, int threads, int reps)
{
    char err[256];
    ShapeLog log = {calloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof *log.dims)};
    Exec *eo = exec_new_with(g, &(ExecOptions){.threads = threads}, err, sizeof err);
    exec_set_observer(eo, log_shape, &log);
    if (exec_set_input(eo, g->tensors[g->inputs[0]].name, x_model, dims, 4, err, sizeof err) ||
        exec_run(eo, NULL, err, sizeof err))
        fprintf(stderr, "exec_bench: %s\n", err);
    exec_free(eo);
    memcpy(log.dims[g->inputs[0]], dims, sizeof log.dims[0]); /* the observer sees what nodes produce */
    if (reps < 5) reps = 5;
    printf("  each convolution alone (median of %d alternating runs, %d threads):\n", reps, threads);
    printf("  %-40s %-28s %-24s %7s %9s %6s\n", "node", "shape", "other path", "ms", "blocked", "ratio");
    double sum_c = 0, sum_b = 0, sum_best = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const Node *n = &g->nodes[ni];
        const ConvPlan *p = e->conv ? e->conv[ni] : NULL;
        if (n->op != OP_CONV || !p || p->rank != 4) continue;
        const int64_t *xd = log.dims[n->inputs[0]];
        const Value *w = &e->vals[n->inputs[1]];
        const Value *b = n->n_inputs > 2 && n->inputs[2] >= 0 ? &e->vals[n->inputs[2]] : NULL;
        if (!xd[0] || w->type != VT_F32 || (b && b->type != VT_F32)) continue;
        /* the layer alone: x -> Conv (the node's attributes, weights and bias) -> its activation */
        Graph *lg = graph_new();
        int xt = graph_add_tensor(lg, "x", DT_F32, 4, xd);
        lg->tensors[xt].is_input = true;
        graph_add_input(lg, xt);
        int ins[3] = {xt, graph_add_const(lg, "w", DT_F32, w->rank, w->dims, w->data), -1}, nin = 2;
        if (b) ins[nin++] = graph_add_const(lg, "b", DT_F32, b->rank, b->dims, b->data);
        int y = graph_add_tensor(lg, "y", DT_F32, 0, NULL), out = y;
        int cn = graph_add_node(lg, OP_CONV, "Conv", "conv", -1, ins, nin, &y, 1);
        int64_t v[8];
        int c;
        if ((c = node_attr_ints(n, "pads", v, 8)) > 0) node_set_ints(lg, cn, "pads", v, c);
        if ((c = node_attr_ints(n, "strides", v, 8)) > 0) node_set_ints(lg, cn, "strides", v, c);
        if ((c = node_attr_ints(n, "dilations", v, 8)) > 0) node_set_ints(lg, cn, "dilations", v, c);
        node_set_int(lg, cn, "group", node_attr_int(n, "group", 1));
        if (p->epi.act != ACT_NONE) {
            out = graph_add_tensor(lg, "a", DT_F32, 0, NULL);
            OpKind act = p->epi.act == ACT_SILU ? OP_SILU : p->epi.act == ACT_RELU ? OP_RELU : OP_SIGMOID;
            graph_add_node(lg, act, op_name(act), "act", -1, &y, 1, &out, 1);
        }
        lg->tensors[out].is_output = true;
        graph_add_output(lg, out);
        ExecOptions o = {.threads = threads};
        Exec *ea = exec_new_with(lg, &o, err, sizeof err), *eb = exec_new_with(lg, &o, err, sizeof err);
        int64_t nx = xd[0] * xd[1] * xd[2] * xd[3];
        float *x = malloc(sizeof(float) * (size_t)nx);
        for (int64_t i = 0; i < nx; i++) x[i] = (float)((i * 37) % 255) / 255.0f - 0.5f;
        double ma = 0, mb = 0;
        if (ea && eb) {
            /* ea: the planner's path; where that is the blocked one, the path it replaced (kxk:
             * direct or im2col panels), so that the row compares two different paths */
            ExecNodeInfo ia, ib;
            bool chose_blocked = false;
            exec_set_profile(ea, 1);
            if (!exec_set_input(ea, "x", x, xd, 4, err, sizeof err) && !exec_run(ea, NULL, err, sizeof err)) {
                exec_node_info(ea, cn, &ia);
                chose_blocked = strstr(ia.path, "blocked") != NULL;
            }
            if (chose_blocked) exec_conv_force(ea, CONV_PATH_KXK);
            exec_conv_force(eb, CONV_PATH_BLOCKED);
            exec_set_profile(eb, 1);
            if (!time_pair(ea, eb, x, xd, reps, &ma, &mb)) {
                exec_node_info(ea, cn, &ia);
                exec_node_info(eb, cn, &ib);
                char shape[64];
                snprintf(shape, sizeof shape, "%lld->%lld %lldx%lld k%lld s%lld", (long long)p->C, (long long)p->M,
                         (long long)xd[2], (long long)xd[3], (long long)p->kh,
                         node_attr_ints(n, "strides", v, 8) > 0 ? (long long)v[0] : 1LL);
                bool blocked = strstr(ib.path, "blocked") != NULL; /* the blocked path runs this layer */
                sum_c += chose_blocked ? mb : ma;
                sum_b += blocked ? mb : ma;
                sum_best += blocked && mb < ma ? mb : ma;
                printf("  %-40.40s %-28s %-24.24s %7.3f %9.3f %6.2f%s\n", n->name, shape, ia.path, ma, mb, mb / ma,
                       chose_blocked ? "  (the planner takes blocked)" : blocked ? "" : "  (blocked path not taken)");
            }
        }
        exec_free(ea);
        exec_free(eb);
        graph_free(lg);
        free(x);
    }
    printf("  sum: the planner's paths %.2f ms, blocked (where it runs) %.2f ms, the faster of the two %.2f ms\n", sum_c, sum_b,
           sum_best);
    free(log.dims);
}

static const char *const conv_names[] = {"auto", "reference", "gemm1x1", "direct", "im2col", "winograd"};
static const char *const kernel_names[] = {"best", "portable", "avx2", "avx512"};

static int pick(const char *arg, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(arg, names[i])) return i;
    fprintf(stderr, "exec_bench: unknown choice '%s'\n", arg);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "--sgemm")) return sgemm_floor(atof(argv[2]), atoi(argv[3]));
    if (argc < 4) {
        fprintf(stderr, "usage: exec_bench MODEL RUNS THREADS [--layers] [--conv=..] [--kernels=..] [--imgsz=N]\n");
        return 2;
    }
    const char *path = argv[1];
    int runs = atoi(argv[2]), threads = atoi(argv[3]), layers = 0, paths = 0, imgsz = 640;
    ExecOptions opt = {.threads = threads};
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--layers")) layers = 1;
        else if (!strcmp(argv[i], "--paths")) paths = 1;
        else if (!strncmp(argv[i], "--conv=", 7)) opt.conv = (ExecConvChoice)pick(argv[i] + 7, conv_names, 6);
        else if (!strncmp(argv[i], "--kernels=", 10)) opt.kernels = (ExecKernelSet)pick(argv[i] + 10, kernel_names, 4);
        else if (!strncmp(argv[i], "--imgsz=", 8)) imgsz = atoi(argv[i] + 8);
    }
    if (runs < 1) runs = 1;
    char err[512];
    Graph *g = NULL;
    if (strstr(path, ".pt")) {
        LoadOptions lo = {.fuse = true};
        g = model_load(path, &lo, err, sizeof err);
    } else if (strstr(path, ".tflite") || strstr(path, ".pb") || strstr(path, "_saved_model") ||
               strstr(path, "_web_model")) {
        LoadOptions lo = {.fuse = true}; /* as predict and val run them */
        g = model_load(path, &lo, err, sizeof err);
        if (g && pass_nhwc_as_source(g, false, err, sizeof err) != 0) {
            graph_free(g);
            g = NULL;
        }
    } else {
        g = onnx_read(path, err, sizeof err);
        int64_t in_dims[4] = {1, 3, imgsz, imgsz};
        if (g && pass_infer_shapes(g, in_dims, 4, NULL, err, sizeof err) != 0) {
            graph_free(g);
            g = NULL;
        }
    }
    if (!g) {
        fprintf(stderr, "exec_bench: %s\n", err);
        return 1;
    }
    double t_new = now_seconds();
    Exec *e = exec_new_with(g, &opt, err, sizeof err);
    t_new = (now_seconds() - t_new) * 1000;
    if (!e) {
        fprintf(stderr, "exec_bench: %s\n", err);
        return 1;
    }
    int64_t dims[4] = {1, 3, imgsz, imgsz};
    size_t n = (size_t)3 * imgsz * imgsz;
    float *x = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) x[i] = (float)((i * 37) % 255) / 255.0f;
    const char *in = g->tensors[g->inputs[0]].name;
    double *t = malloc(sizeof(double) * (size_t)(runs + 1));
    /* per node: the fastest of the profiled runs (robust on a shared machine) */
    double *node_min = malloc(sizeof(double) * (size_t)(g->n_nodes ? g->n_nodes : 1));
    for (int i = 0; i < g->n_nodes; i++) node_min[i] = 1e30;
    exec_set_profile(e, layers);
    for (int r = 0; r <= runs; r++) {
        double t0 = now_seconds();
        if (exec_set_input(e, in, x, dims, 4, err, sizeof err) || exec_run(e, NULL, err, sizeof err)) {
            fprintf(stderr, "exec_bench: %s\n", err);
            return 1;
        }
        t[r] = (now_seconds() - t0) * 1000;
        for (int i = 0; layers && r > 0 && i < g->n_nodes; i++) {
            ExecNodeInfo info;
            if (!exec_node_info(e, i, &info) && info.ms < node_min[i]) node_min[i] = info.ms;
        }
    }
    double first = t[0];
    qsort(t + 1, (size_t)runs, sizeof *t, cmp_double);
    double macs = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        ExecNodeInfo info;
        if (!exec_node_info(e, i, &info)) macs += info.macs;
    }
    printf("exec %s: median %.1f ms/image (min %.1f, max %.1f, first %.1f; exec_new %.1f ms), %d threads, %s "
           "kernels, %.2f GMACs, %.1f GFLOP/s, peak %.1f MB (activations %.1f MB)\n",
           path, t[1 + runs / 2], t[1], t[runs], first, t_new, exec_threads(e), exec_kernel_name(e), macs / 1e9,
           2 * macs / 1e9 / (t[1 + runs / 2] / 1000), (double)exec_peak_bytes(e) / (1024.0 * 1024.0),
           (double)exec_activation_bytes(e) / (1024.0 * 1024.0));
    if (layers) {
        ExecOpTime ot[12];
        int k = exec_profile(e, ot, 12);
        printf("  by op:");
        for (int i = 0; i < k; i++) printf(" %s %.1f ms (%d)%s", ot[i].op_type, ot[i].ms, ot[i].nodes, i + 1 < k ? "," : "\n");
        double conv_sum = 0, other_sum = 0;
        for (int i = 0; i < g->n_nodes; i++) {
            ExecNodeInfo info;
            if (exec_node_info(e, i, &info)) continue;
            if (!info.macs) {
                other_sum += node_min[i];
                continue;
            }
            conv_sum += node_min[i];
            printf("  %-44s %-30s %6.2f ms %6.1f GFLOP/s\n", info.name, info.path, node_min[i],
                   node_min[i] > 0 ? 2 * info.macs / 1e6 / node_min[i] : 0);
        }
        printf("  fastest of each node over the runs: convolutions %.1f ms, other ops %.1f ms\n", conv_sum, other_sum);
        /* the slowest other nodes */
        for (int shown = 0; shown < 8; shown++) {
            int best = -1;
            for (int i = 0; i < g->n_nodes; i++) {
                ExecNodeInfo info;
                if (exec_node_info(e, i, &info) || info.macs || node_min[i] < 0) continue;
                if (best < 0 || node_min[i] > node_min[best]) best = i;
            }
            if (best < 0 || node_min[best] < 0.05) break;
            ExecNodeInfo info;
            exec_node_info(e, best, &info);
            printf("  %-44s %-30s %6.2f ms\n", info.name, info.op, node_min[best]);
            node_min[best] = -1;
        }
    }
    if (paths) paths_table(g, e, x, dims, threads, runs);
    exec_free(e);
    graph_free(g);
    free(x);
    free(t);
    free(node_min);
    return 0;
}
