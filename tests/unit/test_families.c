/* The Ultralytics model families beyond YOLOv8/YOLO11 (YOLOv3u, Ghost, YOLOv9, YOLOv10,
 * YOLO12, YOLO-World, RT-DETR): the peer's random-initialised checkpoints
 * (../shared/reference/families) give the peer's info numbers, unfused and fused, and our
 * executor reproduces the peer's output on its input (1e-3 absolute + 1e-4 relative; where the
 * head picks k rows by score, rows are matched as sets); every built-in config of these
 * families builds with configs.json's layers and parameters; older families (YOLOv5u,
 * YOLOv6, YOLOv8-P2) keep building from their configs.
 *
 * Modes for the e2e script (tests/e2e/families.sh):
 *   test_families run MODEL INPUT.npy OUTDIR [imgsz]   the fused model run by the executor on
 *                                                 INPUT: OUTDIR/output<k>.npy (and the end-to-end
 *                                                 heads' candidates.npy)
 *   test_families output MODEL INPUT.npy OUT.npy H,W   the fused model built for H x W, run as
 *                                                 the builtin runtime runs it (nothing kept
 *                                                 beyond the outputs): output0 to OUT.npy */
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

/* The end-to-end heads' candidates: for YOLOv10 the tensor its top-k selects rows from
 * ([B, 4+nc, A]), found from the first TopK by walking producers back over ReduceMax, Split
 * and Transpose; for RT-DETR the scores of the queries its top-k selected ([B, nq], best
 * first: the TopK's values).  -1 when the graph has none. */
static int e2e_candidates(const Graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].op != OP_TOPK) continue;
        if (g->meta.output_layout == OUTPUT_E2E_CXCYWH_NORM) return g->nodes[i].outputs[0];
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

static int run_model_as(Graph *g, const char *input, bool candidates, Output *outs, int max, int *n_out, char *err,
                        size_t errlen)
{
    NpyArray in = {0};
    if (npy_read(input, 0, &in, err, errlen)) return -1;
    float *x = npy_to_f32(&in, err, errlen);
    int rc = -1;
    Exec *e = x ? exec_new(g, err, errlen) : NULL;
    int cand = candidates ? e2e_candidates(g) : -1;
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

static int run_model(Graph *g, const char *input, Output *outs, int max, int *n_out, char *err, size_t errlen)
{
    return run_model_as(g, input, true, outs, max, n_out, err, errlen);
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

/* ---- parity ---- */

static bool near(double got, double want) { return fabs(got - want) <= 1e-3 + 1e-4 * fabs(want); }

/* Elementwise: the worst |got - want| and how many elements miss the tolerance. */
static int64_t grid_misses(const float *got, const float *want, int64_t n, double *worst)
{
    int64_t bad = 0;
    *worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (d > *worst || d != d) *worst = d != d ? INFINITY : d;
        if (!near(got[i], want[i])) bad++;
    }
    return bad;
}

typedef struct {
    const float *row;
    bool used;
} Row;

static int by_score_desc(const void *a, const void *b)
{
    float sa = ((const Row *)a)->row[4], sb = ((const Row *)b)->row[4];
    return sa < sb ? 1 : sa > sb ? -1 : 0;
}

/* Does candidate anchor set cand [4+nc, A] hold a row like r (box x1 y1 x2 y2, score, class)? */
static bool row_is_candidate(const float *r, const float *cand, int64_t C, int64_t A)
{
    int64_t cls = (int64_t)r[5];
    if (cls < 0 || 4 + cls >= C) return false;
    for (int64_t a = 0; a < A; a++) {
        if (!near(cand[(4 + cls) * A + a], r[4])) continue;
        bool box = true;
        for (int k = 0; k < 4 && box; k++) box = near(cand[k * A + a], r[k]);
        if (box) return true;
    }
    return false;
}

/* YOLOv10's [K, 6] rows against the peer's: the same scores (sorted); rows scoring above the
 * k-th score match one to one; rows at the k-th score (the top-k chose among equal scores)
 * must each be one of the candidates the head selects from ([4+nc, A], ours: the same boxes
 * and score). *tied receives how many peer rows were checked that way. */
static bool e2e_rows_match(const float *got, const float *want, int64_t K, const float *cand, int64_t C, int64_t A,
                           int *tied, char *why, size_t whylen)
{
    Row *g = xcalloc((size_t)K, sizeof *g), *w = xcalloc((size_t)K, sizeof *w);
    for (int64_t i = 0; i < K; i++) {
        g[i].row = got + i * 6;
        w[i].row = want + i * 6;
    }
    qsort(g, (size_t)K, sizeof *g, by_score_desc);
    qsort(w, (size_t)K, sizeof *w, by_score_desc);
    bool ok = true;
    *tied = 0;
    for (int64_t i = 0; i < K && ok; i++)
        if (!near(g[i].row[4], w[i].row[4])) {
            snprintf(why, whylen, "score %lld: %g vs the peer's %g", (long long)i, g[i].row[4], w[i].row[4]);
            ok = false;
        }
    double kth = w[K - 1].row[4];
    for (int64_t i = 0; i < K && ok; i++) {
        const float *r = w[i].row;
        if (near(r[4], kth)) {
            (*tied)++;
            if (!row_is_candidate(r, cand, C, A)) {
                snprintf(why, whylen, "the peer's row %lld (%g %g %g %g, %g, class %g) is none of our candidates",
                         (long long)i, r[0], r[1], r[2], r[3], r[4], r[5]);
                ok = false;
            }
            continue;
        }
        bool found = false;
        for (int64_t j = 0; j < K && !found; j++) {
            if (g[j].used) continue;
            bool same = true;
            for (int k = 0; k < 6 && same; k++) same = near(g[j].row[k], r[k]);
            if (same) found = g[j].used = true;
        }
        if (!found) {
            snprintf(why, whylen, "the peer's row %lld (score %g, class %g) has no match", (long long)i, r[4], r[5]);
            ok = false;
        }
    }
    for (int64_t i = 0; i < K && ok; i++)
        if (near(g[i].row[4], kth) && !row_is_candidate(g[i].row, cand, C, A)) {
            snprintf(why, whylen, "our row %lld is none of our candidates", (long long)i);
            ok = false;
        }
    free(g);
    free(w);
    return ok;
}

/* RT-DETR's [K, C] query rows against the peer's, as sets: each peer row matches one of ours
 * (every value within tolerance); a row left without a match on either side must come from the
 * rank where the query selection chose among equal scores: our selection score at that rank
 * (sel, best first) within tolerance of the last one selected.  *unmatched receives how many
 * peer rows were left to that rule. */
static bool query_rows_match(const float *got, const float *want, int64_t K, int64_t C, const float *sel,
                             int *unmatched, char *why, size_t whylen)
{
    bool *used = xcalloc((size_t)K, sizeof *used), *hit = xcalloc((size_t)K, sizeof *hit);
    bool ok = true;
    *unmatched = 0;
    for (int64_t i = 0; i < K; i++)
        for (int64_t j = 0; j < K && !hit[i]; j++) {
            if (used[j]) continue;
            bool same = true;
            for (int64_t c = 0; c < C && same; c++) same = near(got[j * C + c], want[i * C + c]);
            if (same) used[j] = hit[i] = true;
        }
    double last = sel[K - 1];
    for (int64_t i = 0; i < K && ok; i++) {
        if (!hit[i]) {
            (*unmatched)++;
            if (!near(sel[i], last)) {
                snprintf(why, whylen, "the peer's query %lld has no match, and its rank is not at the selection's equal scores", (long long)i);
                ok = false;
            }
        }
        if (!used[i] && ok && !near(sel[i], last)) {
            snprintf(why, whylen, "our query %lld has no match, and its rank is not at the selection's equal scores", (long long)i);
            ok = false;
        }
    }
    free(used);
    free(hit);
    return ok;
}

/* The peer's numbers for one checkpoint of families.json. */
typedef struct {
    const char *file;
    int64_t layers, params, fused_layers, fused_params;
    int64_t shape[3];
} FamilyRef;

static json_object *load_json(const char *rel)
{
    const char *path = shared_path(rel);
    return path ? json_object_from_file(path) : NULL;
}

static int64_t jint(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

static bool family_ref(json_object *root, const char *file, FamilyRef *r)
{
    json_object *o, *shape;
    if (!root || !json_object_object_get_ex(root, file, &o)) return false;
    r->file = file;
    r->layers = jint(o, "layers");
    r->params = jint(o, "params");
    r->fused_layers = jint(o, "fused_layers");
    r->fused_params = jint(o, "fused_params");
    if (json_object_object_get_ex(o, "output_shape", &shape) && json_object_array_length(shape) == 3)
        for (int k = 0; k < 3; k++) r->shape[k] = json_object_get_int64(json_object_array_get_idx(shape, k));
    return true;
}

/* info's numbers, unfused and fused, and the executor's output on the peer's input. */
static void check_family(const char *name)
{
    json_object *root = load_json("reference/families/families.json");
    if (!root) {
        SKIP("../shared/reference/families not present");
        return;
    }
    char file[128], rel[256], err[1024];
    snprintf(file, sizeof file, "%s-random.pt", name);
    FamilyRef ref;
    EXPECT_MSG(family_ref(root, file, &ref), "%s not in families.json", file);
    snprintf(rel, sizeof rel, "reference/families/%s", file);
    char path[4200];
    snprintf(path, sizeof path, "%s", shared_path(rel));
    Graph *g = load_fused(path, 640, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) {
        json_object_put(root);
        return;
    }
    const ModelSummary *u = &g->meta.summary, *f = &g->meta.fused_summary;
    EXPECT_EQ_INT(u->layers, ref.layers);
    EXPECT_EQ_INT(u->parameters, ref.params);
    EXPECT_EQ_INT(f->layers, ref.fused_layers);
    EXPECT_EQ_INT(f->parameters, ref.fused_params);
    EXPECT(u->gflops > 0 && f->gflops > 0 && f->gflops <= u->gflops);
    /* the checkpoints have their configs' architecture: the GFLOPs the peer publishes for it
     * (test_configs_gflops); the peer's families.json has none */
    static const struct {
        const char *name, *gflops;
    } published[] = {{"yolov9t", "8.5"}, {"yolov10n", "8.7"}, {"yolo12n", "6.7"}, {"yolov8n-ghost", "5.8"}};
    for (size_t k = 0; k < ARRAY_LEN(published); k++)
        if (!strcmp(published[k].name, name)) {
            char got[32];
            snprintf(got, sizeof got, "%.1f", u->gflops);
            EXPECT_EQ_STR(got, published[k].gflops);
        }
    const Tensor *o0 = &g->tensors[g->outputs[0]];
    EXPECT(o0->rank == 3 && o0->dims[0] == ref.shape[0] && o0->dims[1] == ref.shape[1] && o0->dims[2] == ref.shape[2]);

    Output outs[4] = {{0}};
    int n = 0;
    int rc = run_model(g, shared_path("reference/peer/yolov8n.input.npy"), outs, 4, &n, err, sizeof err);
    EXPECT_MSG(rc == 0, "%s", err);
    snprintf(rel, sizeof rel, "reference/families/%s-random.output.npy", name);
    NpyArray want = {0};
    float *wf = NULL;
    if (rc == 0 && npy_read(shared_path(rel), 0, &want, err, sizeof err) == 0 && (wf = npy_to_f32(&want, err, sizeof err))) {
        EXPECT_EQ_INT(outs[0].numel, want.numel);
        if (outs[0].numel == want.numel && g->meta.output_layout == OUTPUT_E2E_XYXY) {
            int tied = 0;
            char why[300] = "";
            bool ok = n > g->n_outputs &&
                      e2e_rows_match(outs[0].data, wf, outs[0].dims[1], outs[n - 1].data, outs[n - 1].dims[1],
                                     outs[n - 1].dims[2], &tied, why, sizeof why);
            EXPECT_MSG(ok, "%s", why);
            printf("# %s: %lld rows match the peer's (%d at the k-th score checked against the candidates)\n", name,
                   (long long)outs[0].dims[1], tied);
        } else if (outs[0].numel == want.numel && g->meta.output_layout == OUTPUT_E2E_CXCYWH_NORM) {
            int unmatched = 0;
            char why[300] = "";
            bool ok = n > g->n_outputs && outs[n - 1].numel == outs[0].dims[1] &&
                      query_rows_match(outs[0].data, wf, outs[0].dims[1], outs[0].dims[2], outs[n - 1].data, &unmatched,
                                       why, sizeof why);
            EXPECT_MSG(ok, "%s", why);
            printf("# %s: %lld query rows, %lld match the peer's (%d chosen among equal selection scores)\n", name,
                   (long long)outs[0].dims[1], (long long)outs[0].dims[1] - unmatched, unmatched);
        } else if (outs[0].numel == want.numel) {
            double worst;
            int64_t bad = grid_misses(outs[0].data, wf, want.numel, &worst);
            EXPECT_MSG(bad == 0, "%lld of %lld values beyond 1e-3 + 1e-4 relative (worst |diff| %g)", (long long)bad,
                       (long long)want.numel, worst);
            printf("# %s: output0 max |diff| %.3g vs the peer\n", name, worst);
        }
    } else if (rc == 0) {
        EXPECT_MSG(0, "%s", err);
    }
    free(wf);
    npy_free(&want);
    for (int k = 0; k < n; k++) free(outs[k].data);
    graph_free(g);
    json_object_put(root);
}

static void test_yolov8n_ghost(void) { check_family("yolov8n-ghost"); }
static void test_yolov9t(void) { check_family("yolov9t"); }
static void test_yolov10n(void) { check_family("yolov10n"); }
static void test_yolo12n(void) { check_family("yolo12n"); }
static void test_yolo12n_seg(void) { check_family("yolo12n-seg"); }
static void test_yolov8n_worldv2(void) { check_family("yolov8n-worldv2"); }
static void test_rtdetr_mini(void) { check_family("rtdetr-mini"); }

/* ---- built-in configs ---- */

/* Every built-in config of these families builds (shapes only) with configs.json's layers,
 * parameters and gradients, unfused and fused. */
static void test_configs_match_the_peer(void)
{
    json_object *root = load_json("reference/families/configs.json");
    if (!root) {
        SKIP("../shared/reference/families not present");
        return;
    }
    int checked = 0;
    json_object_object_foreach(root, name, o)
    {
        char err[1024];
        LoadOptions opt = {.shapes_only = true};
        Graph *g = model_load(name, &opt, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s", err);
        if (!g) continue;
        const ModelSummary *u = &g->meta.summary, *f = &g->meta.fused_summary;
        bool ok = u->layers == jint(o, "layers") && u->parameters == jint(o, "params") &&
                  u->gradients == jint(o, "gradients") && f->layers == jint(o, "fused_layers") &&
                  f->parameters == jint(o, "fused_params");
        EXPECT_MSG(ok, "%s: %lld layers %lld parameters %lld gradients, fused %lld %lld; the peer: %lld %lld %lld, %lld %lld",
                   name, (long long)u->layers, (long long)u->parameters, (long long)u->gradients,
                   (long long)f->layers, (long long)f->parameters, (long long)jint(o, "layers"),
                   (long long)jint(o, "params"), (long long)jint(o, "gradients"), (long long)jint(o, "fused_layers"),
                   (long long)jint(o, "fused_params"));
        json_object *task;
        if (json_object_object_get_ex(o, "task", &task)) EXPECT_EQ_STR(g->meta.task, json_object_get_string(task));
        checked++;
        graph_free(g);
    }
    printf("# %d configs give the peer's numbers\n", checked);
    EXPECT(checked >= 30);
    json_object_put(root);
}

/* GFLOPs by the peer's rule (the stride-sized probe, scaled to 640) against the figures the
 * peer publishes in its own configs' header comments ("summary: ... 6.7 GFLOPs", unfused, at
 * 640), one decimal as printed.  The segment configs' published figures count the prototype
 * upsampling (ConvTranspose2d 2x2, stride 2, c -> c channels on the stride-8 map) by its output
 * elements, as the counter they were made with did; the peer we follow (8.3.185, whose yolo11n-seg
 * gives 9.9, tests/e2e/info.sh) counts input elements, so those figures are ours plus the
 * difference, 2 x 4 x c^2 x (160^2 - 80^2) flops. */
static void test_configs_gflops(void)
{
    static const struct {
        const char *name;
        double gflops;
        int proto_c; /* segment: the prototype channels c (0 otherwise) */
    } cases[] = {
        {"yolov9t.yaml", 8.5, 0},     {"yolov9s.yaml", 27.6, 0},      {"yolov9m.yaml", 77.9, 0},
        {"yolov9c.yaml", 104.0, 0},   {"yolov9e.yaml", 193.0, 0},     {"yolov10n.yaml", 8.7, 0},
        {"yolov10m.yaml", 64.5, 0},   {"yolo12n.yaml", 6.7, 0},       {"yolo12s.yaml", 21.7, 0},
        {"yolo12m.yaml", 68.1, 0},    {"yolo12l.yaml", 89.7, 0},      {"yolo12x.yaml", 200.3, 0},
        {"yolo12n-pose.yaml", 7.8, 0}, {"yolo12n-obb.yaml", 6.9, 0},  {"yolo12n-cls.yaml", 3.7, 0},
        {"yolov8n-ghost.yaml", 5.8, 0}, {"yolov8s-ghost.yaml", 16.4, 0}, {"yolov8n-world.yaml", 39.6, 0},
        {"yolov8s-world.yaml", 71.5, 0}, {"rtdetr-l.yaml", 108.3, 0},  {"rtdetr-x.yaml", 232.7, 0},
        {"yolo12n-seg.yaml", 10.6, 64}, {"yolo12s-seg.yaml", 35.7, 128}, {"yolov9c-seg.yaml", 159.4, 256},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char err[1024];
        LoadOptions opt = {.shapes_only = true};
        Graph *g = model_load(cases[i].name, &opt, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s", err);
        if (!g) continue;
        double c = cases[i].proto_c, ours = g->meta.summary.gflops;
        double counted = ours + 2.0 * 4 * c * c * (160 * 160 - 80 * 80) / 1e9;
        char got[32], want[32];
        snprintf(got, sizeof got, "%.1f", counted);
        snprintf(want, sizeof want, "%.1f", cases[i].gflops);
        EXPECT_MSG(!strcmp(got, want), "%s: %.3f GFLOPs%s, the peer's config says %s", cases[i].name, ours,
                   c > 0 ? " (plus the prototype upsampling by output elements)" : "", want);
        graph_free(g);
    }
}

/* The families' built-in configs and the older ones (YOLOv5u, YOLOv6, YOLOv8-P2) build with
 * weights and run at a small size, fused; the end-to-end heads say so in the metadata. */
static void test_configs_run(void)
{
    static const struct {
        const char *name;
        int64_t d1, d2; /* output0 dims 1 and 2 at 64x64 */
        OutputLayout layout;
    } cases[] = {
        {"yolov3-tinyu.yaml", 84, 20, OUTPUT_GRID},   {"yolov5nu.yaml", 84, 84, OUTPUT_GRID},
        {"yolov6n.yaml", 84, 84, OUTPUT_GRID},        {"yolov8n-p2.yaml", 84, 340, OUTPUT_GRID},
        {"yolov9t.yaml", 84, 84, OUTPUT_GRID},        {"yolov8n-ghost-p6.yaml", 84, 85, OUTPUT_GRID},
        {"yolov10n.yaml", 84, 84, OUTPUT_GRID},       {"yolo12n-obb.yaml", 85, 84, OUTPUT_GRID},
        {"yolo12n-cls.yaml", 80, 0, OUTPUT_GRID},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char err[1024];
        LoadOptions opt = {.fuse = true};
        opt.imgsz[0] = opt.imgsz[1] = 64;
        Graph *g = model_load(cases[i].name, &opt, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s", err);
        if (!g) continue;
        const Tensor *o = &g->tensors[g->outputs[0]];
        bool e2e = !strcmp(cases[i].name, "yolov10n.yaml");
        if (e2e) {
            EXPECT(g->meta.end2end && g->meta.output_layout == OUTPUT_E2E_XYXY && g->meta.max_det == 84);
            EXPECT(o->rank == 3 && o->dims[1] == 84 && o->dims[2] == 6);
        } else if (cases[i].d2) {
            EXPECT_MSG(o->rank == 3 && o->dims[1] == cases[i].d1 && o->dims[2] == cases[i].d2, "%s: output0 %s",
                       cases[i].name, shape_str(o, err, sizeof err));
            EXPECT(!g->meta.end2end && g->meta.output_layout == OUTPUT_GRID);
        } else {
            EXPECT(o->rank == 2 && o->dims[1] == cases[i].d1);
        }
        Exec *e = exec_new(g, err, sizeof err);
        EXPECT_MSG(e != NULL, "%s", err);
        float *x = xcalloc(3 * 64 * 64, sizeof *x);
        for (int k = 0; k < 3 * 64 * 64; k++) x[k] = (float)((k * 37) % 255) / 255.f;
        int64_t dims[4] = {1, 3, 64, 64};
        int rc = e ? exec_set_input(e, "images", x, dims, 4, err, sizeof err) : -1;
        if (rc == 0) rc = exec_run(e, NULL, err, sizeof err);
        EXPECT_MSG(rc == 0, "%s: %s", cases[i].name, err);
        int64_t od[GRAPH_MAX_RANK];
        int rank;
        const float *y = rc == 0 ? exec_output(e, 0, od, &rank) : NULL;
        bool finite = y != NULL;
        for (int64_t k = 0; y && k < tensor_numel(o); k++) finite = finite && isfinite(y[k]);
        EXPECT_MSG(finite, "%s: output not finite", cases[i].name);
        free(x);
        exec_free(e);
        graph_free(g);
    }
}

/* The fused graph of a RepConv model has merged the 1x1 branches: as many convolutions as the
 * peer's fused model, and the same outputs as the unfused graph. */
static void test_fuse_merges_repconv(void)
{
    char err[1024];
    LoadOptions raw = {0}, fused = {.fuse = true};
    raw.imgsz[0] = raw.imgsz[1] = fused.imgsz[0] = fused.imgsz[1] = 64;
    Graph *a = model_load("yolov9t.yaml", &raw, err, sizeof err), *b = model_load("yolov9t.yaml", &fused, err, sizeof err);
    EXPECT(a && b);
    if (!a || !b) goto done;
    int convs_a = 0, convs_b = 0, bn_b = 0;
    for (int i = 0; i < a->n_nodes; i++) convs_a += a->nodes[i].op == OP_CONV;
    for (int i = 0; i < b->n_nodes; i++) convs_b += b->nodes[i].op == OP_CONV, bn_b += b->nodes[i].op == OP_BATCHNORM;
    /* yolov9t: 7 RepNCSPELAN4 x 2 RepCSP x 3 RepBottleneck, one RepConv each, lose their 1x1 branch */
    EXPECT_EQ_INT(convs_a - convs_b, 42);
    EXPECT_EQ_INT(bn_b, 0);
    Graph *gs[2] = {a, b};
    float *outs[2] = {NULL, NULL};
    int64_t n = 0;
    for (int k = 0; k < 2; k++) {
        Exec *e = exec_new(gs[k], err, sizeof err);
        float *x = xcalloc(3 * 64 * 64, sizeof *x);
        for (int j = 0; j < 3 * 64 * 64; j++) x[j] = (float)((j * 53) % 255) / 255.f;
        int64_t dims[4] = {1, 3, 64, 64}, od[GRAPH_MAX_RANK];
        int rank;
        if (e && exec_set_input(e, "images", x, dims, 4, err, sizeof err) == 0 && exec_run(e, NULL, err, sizeof err) == 0) {
            const float *y = exec_output(e, 0, od, &rank);
            n = od[0] * od[1] * od[2];
            outs[k] = xmalloc(sizeof(float) * (size_t)n);
            memcpy(outs[k], y, sizeof(float) * (size_t)n);
        }
        free(x);
        exec_free(e);
    }
    EXPECT(outs[0] && outs[1]);
    if (outs[0] && outs[1]) {
        double worst;
        EXPECT_EQ_INT(grid_misses(outs[1], outs[0], n, &worst), 0);
    }
    free(outs[0]);
    free(outs[1]);
done:
    graph_free(a);
    graph_free(b);
}

static int output_main(int argc, char **argv)
{
    int h = 0, w = 0;
    if (argc < 6 || sscanf(argv[5], "%d,%d", &h, &w) != 2 || h < 1 || w < 1) {
        fprintf(stderr, "usage: %s output MODEL INPUT.npy OUT.npy H,W\n", argv[0]);
        return 2;
    }
    char err[1024];
    LoadOptions o = {.fuse = true};
    o.imgsz[0] = h;
    o.imgsz[1] = w;
    Graph *g = model_load(argv[2], &o, err, sizeof err);
    Output out = {0};
    int n = 0;
    int rc = g && run_model_as(g, argv[3], false, &out, 1, &n, err, sizeof err) == 0 && n == 1 &&
                     npy_write(argv[4], DT_F32, out.dims, out.rank, out.data, err, sizeof err) == 0
                 ? 0
                 : 1;
    if (rc) fprintf(stderr, "%s\n", err);
    free(out.data);
    graph_free(g);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "run")) return run_main(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "output")) return output_main(argc, argv);
    RUN(test_yolov8n_ghost);
    RUN(test_yolov9t);
    RUN(test_yolov10n);
    RUN(test_yolo12n);
    RUN(test_yolo12n_seg);
    RUN(test_yolov8n_worldv2);
    RUN(test_rtdetr_mini);
    RUN(test_configs_match_the_peer);
    RUN(test_configs_gflops);
    RUN(test_configs_run);
    RUN(test_fuse_merges_repconv);
    return check_done();
}
