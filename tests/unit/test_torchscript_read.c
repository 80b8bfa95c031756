/* test_torchscript_read: TorchScript archives read back into the IR (torchscript_read and the
 * registry's reader): op graphs, yolov8n and every task written by our writer run as their
 * sources do (static and dynamic=True, float and half), the peer's torch.jit archive and
 * hostile code are refused with clear messages. */
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>
#include <json.h>
#include "engine/exec/exec.h"
#include "engine/core/fileio.h"
#include "engine/registry/model.h"
#include "engine/registry/readers.h"
#include "engine/core/npy.h"
#include "engine/passes/passes.h"
#include "formats/pickle.h"
#include "formats/pt.h"
#include "formats/torchscript.h"
#include "tests/check.h"
#include "tests/unit/test_torchscript_fixture.h"

/* ---- reading back into the IR ---- */

/* Run g on a fixed pattern at in_dims (rank 4; NULL: its input's dims); every output's dims
 * and values into a heap array of arrays (n_outputs entries; free with free_outputs).  NULL
 * + message. */
static float **run_outputs(const Graph *g, const int64_t *in_dims, int64_t (*dims)[GRAPH_MAX_RANK], int *ranks,
                           int64_t *counts, char *err, size_t errlen)
{
    const Tensor *X = &g->tensors[g->inputs[0]];
    const int64_t *xd = in_dims ? in_dims : X->dims;
    int xr = in_dims ? 4 : X->rank;
    int64_t n = 1;
    for (int d = 0; d < xr && n > 0; d++) n = xd[d] > 0 ? n * xd[d] : -1;
    if (n <= 0) {
        err_set(err, errlen, "input '%s' has no static size", X->name);
        return NULL;
    }
    float *x = xmalloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) x[i] = 0.5f + 0.5f * sinf(0.001f * (float)i) * cosf(0.37f * (float)(i % 977));
    Exec *e = exec_new(g, err, errlen);
    float **out = NULL;
    if (e && !exec_set_input(e, X->name, x, xd, xr, err, errlen) && !exec_run(e, NULL, err, errlen)) {
        out = xcalloc((size_t)g->n_outputs + 1, sizeof *out);
        for (int k = 0; k < g->n_outputs; k++) {
            const float *y = exec_output(e, k, dims[k], &ranks[k]);
            counts[k] = 1;
            for (int d = 0; y && d < ranks[k]; d++) counts[k] *= dims[k][d];
            out[k] = xmalloc(sizeof(float) * (size_t)(y && counts[k] ? counts[k] : 1));
            if (y) memcpy(out[k], y, sizeof(float) * (size_t)counts[k]);
            else counts[k] = -1;
        }
    }
    exec_free(e);
    free(x);
    return out;
}

static void free_outputs(float **o, int n)
{
    for (int k = 0; o && k < n; k++) free(o[k]);
    free(o);
}

/* Run a and b on the same input (at in_dims; NULL: a's input's dims): every output the same
 * shape; the max |delta| over them. */
static double compare_runs_at(const char *what, const Graph *a, const Graph *b, const int64_t *in_dims)
{
    char err[1000];
    EXPECT_EQ_INT(a->n_outputs, b->n_outputs);
    if (a->n_outputs != b->n_outputs || a->n_outputs > 32) return INFINITY;
    int64_t da[32][GRAPH_MAX_RANK], db[32][GRAPH_MAX_RANK], ca[32], cb[32];
    int ra[32], rb[32];
    float **ya = run_outputs(a, in_dims, da, ra, ca, err, sizeof err);
    EXPECT_MSG(ya != NULL, "%s: the source does not run: %s", what, err);
    float **yb = ya ? run_outputs(b, in_dims, db, rb, cb, err, sizeof err) : NULL;
    EXPECT_MSG(!ya || yb != NULL, "%s: the read-back graph does not run: %s", what, err);
    double worst = ya && yb ? 0 : INFINITY;
    for (int k = 0; ya && yb && k < a->n_outputs; k++) {
        EXPECT_MSG(ra[k] == rb[k] && ca[k] == cb[k] && ca[k] >= 0, "%s: output %d: rank %d / %d, %lld / %lld values",
                   what, k, ra[k], rb[k], (long long)ca[k], (long long)cb[k]);
        if (ra[k] != rb[k] || ca[k] != cb[k] || ca[k] < 0) {
            worst = INFINITY;
            continue;
        }
        for (int d = 0; d < ra[k]; d++) EXPECT_EQ_INT(da[k][d], db[k][d]);
        for (int64_t i = 0; i < ca[k]; i++) {
            double dd = fabs((double)ya[k][i] - (double)yb[k][i]);
            if (dd > worst || dd != dd) worst = dd != dd ? INFINITY : dd;
        }
    }
    free_outputs(ya, a->n_outputs);
    free_outputs(yb, b->n_outputs);
    return worst;
}

static double compare_runs(const char *what, const Graph *a, const Graph *b)
{
    return compare_runs_at(what, a, b, NULL);
}

/* The op graph written, read back and run: each of its 14 outputs as the source computes it. */
static void test_read_ops_graph(void)
{
    Graph *g = ops_graph();
    char err[1000];
    const char *path = tmp("ops_read.torchscript");
    KeyValue kv[] = {{"task", "\"detect\""}, {"batch", "1"}, {"imgsz", "[8, 8]"}, {"channels", "4"}};
    TorchScriptOptions opt = {.metadata = kv, .n_metadata = 4};
    EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s", err);
    Graph *r = reader_torchscript_read(path, NULL, err, sizeof err);
    EXPECT_MSG(r != NULL, "%s", err);
    if (r) {
        EXPECT_EQ_INT(r->n_inputs, 1);
        EXPECT_EQ_INT(r->n_outputs, 14);
        const Tensor *X = &r->tensors[r->inputs[0]];
        EXPECT_EQ_STR(X->name, "images");
        EXPECT_EQ_INT(X->rank, 4);
        EXPECT_EQ_INT(X->dims[1], 4);
        EXPECT_EQ_STR(r->meta.task, "detect");
        EXPECT_EQ_STR(r->tensors[r->outputs[0]].name, "output0");
        double worst = compare_runs("ops graph", g, r);
        EXPECT_MSG(worst == 0, "max |delta| %g", worst);
        printf("# op graph read back: %d nodes (source %d), 14 outputs, max |delta| %g\n", r->n_nodes, g->n_nodes, worst);
    }
    graph_free(r);
    graph_free(g);
}

/* yolov8n written (fp32 and fp16), read back, run: what the source computes, exactly. */
static void test_read_yolov8n(void)
{
    char err[1000];
    LoadOptions lo = {.fuse = true, .imgsz = {320, 320}};
    Graph *g = model_load("yolov8n.yaml", &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    Meta meta;
    peer_metadata(&meta, g, false, false);
    TorchScriptOptions opt = {.metadata = meta.kv, .n_metadata = meta.n};
    const char *path = tmp("yolov8n_read.torchscript");
    EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s", err);
    Graph *r = reader_torchscript_read(path, NULL, err, sizeof err);
    EXPECT_MSG(r != NULL, "%s", err);
    if (r) {
        EXPECT_EQ_INT(r->n_nodes, g->n_nodes);
        EXPECT_EQ_INT(r->meta.nc, 80);
        EXPECT_EQ_INT(r->meta.imgsz[0], 320);
        EXPECT_EQ_INT(r->tensors[r->inputs[0]].dims[3], 320);
        EXPECT_EQ_INT(graph_param_count(r), graph_param_count(g));
        double worst = compare_runs("yolov8n", g, r);
        EXPECT_MSG(worst == 0, "max |delta| %g", worst);
        graph_free(r);
    }
    arena_free(meta.a);
    /* half: float16 storages read back compute as the source converted to float16 does */
    peer_metadata(&meta, g, true, false);
    TorchScriptOptions half = {.half = true, .metadata = meta.kv, .n_metadata = meta.n};
    path = tmp("yolov8n_read_half.torchscript");
    EXPECT_MSG(torchscript_write(g, &half, path, err, sizeof err) == 0, "%s", err);
    r = reader_torchscript_read(path, NULL, err, sizeof err);
    EXPECT_MSG(r != NULL, "%s", err);
    if (r) {
        EXPECT_EQ_INT(r->tensors[r->inputs[0]].dtype, DT_F16);
        EXPECT_MSG(pass_half(g, NULL, err, sizeof err) == 0, "%s", err);
        double worst = compare_runs("yolov8n half", g, r);
        EXPECT_MSG(worst == 0, "max |delta| %g", worst);
        graph_free(r);
    }
    arena_free(meta.a);
    graph_free(g);
}

/* Segment, pose, OBB and classify heads (built from configs) read back exactly too. */
static void test_read_tasks(void)
{
    static const char *const yamls[] = {"yolov8n-seg.yaml", "yolov8n-pose.yaml", "yolov8n-obb.yaml", "yolov8n-cls.yaml"};
    for (size_t i = 0; i < ARRAY_LEN(yamls); i++) {
        char err[1000];
        LoadOptions lo = {.fuse = true, .imgsz = {160, 160}};
        Graph *g = model_load(yamls[i], &lo, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s: %s", yamls[i], err);
        if (!g) continue;
        Meta meta;
        peer_metadata(&meta, g, false, false);
        TorchScriptOptions opt = {.metadata = meta.kv, .n_metadata = meta.n};
        const char *path = tmp("task.torchscript");
        EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s: %s", yamls[i], err);
        Graph *r = reader_torchscript_read(path, NULL, err, sizeof err);
        EXPECT_MSG(r != NULL, "%s: %s", yamls[i], err);
        if (r) {
            EXPECT_EQ_STR(r->meta.task, g->meta.task);
            double worst = compare_runs(yamls[i], g, r);
            EXPECT_MSG(worst == 0, "%s: max |delta| %g", yamls[i], worst);
            printf("# %s read back: %d nodes, %d outputs, max |delta| %g\n", yamls[i], r->n_nodes, r->n_outputs, worst);
        }
        graph_free(r);
        arena_free(meta.a);
        graph_free(g);
    }
}

/* g written with dynamic=True (and half), read back: a symbolic batch/height/width input,
 * and at each of the sizes the source's outputs exactly.  g is converted by pass_half for
 * half. */
static void expect_dynamic_read(const char *what, Graph *g, bool half, const int64_t (*sizes)[4], int n_sizes)
{
    char err[1000];
    Meta meta;
    peer_metadata(&meta, g, half, true);
    TorchScriptOptions opt = {.half = half, .metadata = meta.kv, .n_metadata = meta.n};
    const char *path = tmp("dynamic_read.torchscript");
    EXPECT_MSG(torchscript_write(g, &opt, path, err, sizeof err) == 0, "%s: %s", what, err);
    Graph *r = reader_torchscript_read(path, NULL, err, sizeof err);
    EXPECT_MSG(r != NULL, "%s: %s", what, err);
    if (r) {
        const Tensor *X = &r->tensors[r->inputs[0]];
        EXPECT_MSG(X->rank == 4 && X->dims[0] < 0 && X->dims[1] == 3 && X->dims[2] < 0 && X->dims[3] < 0,
                   "%s: input dims %lld %lld %lld %lld", what, (long long)X->dims[0], (long long)X->dims[1],
                   (long long)X->dims[2], (long long)X->dims[3]);
        EXPECT_MSG(X->dim_names[2] && !strcmp(X->dim_names[2], "height"), "%s: no symbolic height", what);
        EXPECT_EQ_STR(r->meta.task, g->meta.task);
        if (half) {
            EXPECT_EQ_INT(X->dtype, DT_F16);
            EXPECT_MSG(pass_half(g, NULL, err, sizeof err) == 0, "%s", err);
        }
        for (int i = 0; i < n_sizes; i++) {
            double worst = compare_runs_at(what, g, r, sizes[i]);
            EXPECT_MSG(worst == 0, "%s at %lldx%lld: max |delta| %g", what, (long long)sizes[i][2],
                       (long long)sizes[i][3], worst);
            printf("# %s%s dynamic read back at %lldx%lld: %d nodes (source %d), max |delta| %g\n", what,
                   half ? " half" : "", (long long)sizes[i][2], (long long)sizes[i][3], r->n_nodes, g->n_nodes, worst);
        }
    }
    graph_free(r);
    arena_free(meta.a);
}

/* dynamic=True exports (sizes read with torch.size, computed with as ints, floats and lists
 * of ints) read back and run at a square and a rectangular size, as the source runs there. */
static void test_read_dynamic(void)
{
    static const int64_t big[2][4] = {{1, 3, 640, 640}, {1, 3, 480, 640}};
    static const int64_t small[2][4] = {{1, 3, 160, 160}, {1, 3, 96, 128}};
    char err[1000];
    LoadOptions lo = {.fuse = true, .dynamic = true, .imgsz = {640, 640}};
    Graph *g = model_load("yolov8n.yaml", &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        expect_dynamic_read("yolov8n", g, false, big, 2);
        expect_dynamic_read("yolov8n", g, true, small, 2); /* converts g to float16 */
        graph_free(g);
    }
    /* the other heads, and yolo11's attention (a reshape to a size list read at run time) */
    static const char *const yamls[] = {"yolov8n-seg.yaml", "yolov8n-pose.yaml", "yolov8n-obb.yaml",
                                        "yolov8n-cls.yaml", "yolo11n.yaml"};
    for (size_t i = 0; i < ARRAY_LEN(yamls); i++) {
        LoadOptions tl = {.fuse = true, .dynamic = true, .imgsz = {160, 160}};
        g = model_load(yamls[i], &tl, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s: %s", yamls[i], err);
        if (!g) continue;
        expect_dynamic_read(yamls[i], g, false, small, 2);
        graph_free(g);
    }
}

/* The parser's input as torchscript_read makes a dynamic export's: [N, C, H, W], all unknown. */
static void symbolic_input(Graph *g)
{
    Tensor *x = &g->tensors[g->inputs[0]];
    x->rank = 4;
    for (int k = 0; k < 4; k++) x->dims[k] = -1;
}

/* Hostile or foreign code: each a message naming the line and the problem. */
static void test_read_hostile_code(void)
{
    float w[4 * 3 * 3 * 3] = {0}, b[4] = {0};
    TorchScriptWeight ws[] = {
        {.name = "w", .dtype = DT_F32, .rank = 4, .dims = {4, 3, 3, 3}, .data = w, .nbytes = sizeof w},
        {.name = "b", .dtype = DT_F32, .rank = 1, .dims = {4}, .data = b, .nbytes = sizeof b},
    };
    const char *head = "class M(Module):\n  def forward(self: __torch__.yoloport.M,\n    images: Tensor) -> Tensor:\n";
    char deep[2000], deeper[2000];
    snprintf(deep, sizeof deep, "    x0 = torch.reshape(images, %.*s1%.*s)\n    return x0\n", 40,
             "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 40, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    char *p = deeper;
    p += sprintf(p, "    x0 = torch.reshape(images, ");
    for (int i = 0; i < 300; i++) *p++ = '[';
    strcpy(p, "1");
    static const struct {
        const char *body, *want;
    } cases[] = {
        {"    x0 = torch.conv2d(images, self.w, self.b, [1, 1]", "code line 4: expected ',' or ')'"},
        {"    x0 = torch.foo(images)\n    return x0\n", "code line 4: torch.foo is not an op this reader knows"},
        {"    x0 = torch.silu(images, images)\n    return x0\n", "code line 4: torch.silu takes 1 argument, not 2"},
        {"    x0 = torch.conv2d(images, self.w)\n    return x0\n", "torch.conv2d: argument 3 (bias) is missing"},
        {"    x0 = torch.conv2d(images, self.w, self.b, [1], [1, 1], [1, 1], 1)\n    return x0\n",
         "argument 4 has 1 values, expected 2"},
        {"    x0 = torch.silu(x9)\n    return x0\n", "code line 4: 'x9' is used before it is assigned"},
        {"    x0 = torch.silu(self.nope)\n    return x0\n", "self.nope is not a tensor of the module"},
        {"    x0 = torch.reshape(images, [99999999999999999999999])\n    return x0\n", "is out of range"},
        {"    x0 = torch.mul(images, 1e999)\n    return x0\n", "the number 1e999 is out of range"},
        {"    x0 = torch.silu(images)\n", "forward ends without a return"},
        /* dynamic-shape code: sizes, numbers and lists of ints */
        {"    x0 = torch.size(images)\n    x1 = x0[7]\n    return images\n", "code line 5: index 7 is out of range for a list of 4"},
        {"    x0 = torch.size(images)[1:]\n    x1 = x0[-4]\n    return images\n", "index -4 is out of range for a list of 3"},
        {"    x0 = torch.size(images, 9)\n    return images\n", "index 9 is out of range for a list of 4"},
        {"    x0 = float(images)\n    return images\n", "float() of a tensor (only an int or a float is converted)"},
        {"    x0 = torch.size(images)\n    x1 = float(x0)\n    return images\n", "float() of a list of ints"},
        {"    x0 = torch.size(images)\n    x1 = x0 + 1\n    return images\n",
         "'+' of a list of ints and an int (a list only concatenates with a list)"},
        {"    x0 = torch.size(images)\n    x1 = x0[0]\n    x2 = [x1] * 2\n    return images\n", "'*' of a list of ints"},
        {"    x0 = torch.size(images)\n    x1 = x0 + images\n    return images\n", "'+' of a list of ints and a tensor"},
        {"    x0 = torch.size(images)\n    x1 = torch.silu(x0)\n    return x1\n", "x0 is a list of ints (a size), not a tensor"},
        {"    x0 = images[0]\n    return x0\n", "a subscript of a tensor"},
        {"    x0 = torch.size(images)\n    x1 = x0[x0]\n    return images\n", "a subscript must be an integer literal"},
        {"    x0 = torch.arange(0., 1e15, 1.)\n    return x0\n", "torch.arange(0, 1e+15, 1) is not a range of at most"},
        {"    x0 = torch.arange(0, 10, 0)\n    return x0\n", "is not a range of at most"},
        {"    x0 = torch.size(images)\n    x1 = torch.arange(0, x0, 1)\n    return x1\n",
         "torch.arange: bounds must be numbers, not a list of ints"},
        {"    x0 = torch.size(images)\n    x1 = torch.reshape(images, x0[0])\n    return x1\n",
         "torch.reshape: argument 2 must be a list of integers"},
        {"    x0 = torch.size(images)\n    x1 = torch.reshape(images, [x0, 1])\n    return x1\n",
         "a list item must be an int, not a list of ints"},
        {"    x0 = torch.size(images, 0)\n    x1 = 2 + 3\n    return images\n", "'+' of two literals is not read"},
        {"    x0 = torch.size(images, 0)\n    x1 = float(x0)\n    x2 = x1 // 2\n    return images\n",
         "'//' of floats is not read"},
        {"    x0, x1, = torch.silu(images)\n    return x0\n", "torch.silu gives one tensor, assigned to 2 names"},
        {"    if images:\n      return images\n", "expected '=' after if, found 'images' (only straight-line forward code"},
        {"    x0 = getattr(self, \"model\")\n    return x0\n", "getattr(...) is not a call this reader knows"},
        {"    x0 = torch.silu(images)\n    return x0\n    x1 = torch.silu(x0)\n", "code after forward's return"},
        {"    x0 = torch.silu(images)\x01\n", "unexpected byte 0x01"},
        {"    x0 = torch.add(images, \"text\")\n    return x0\n", "expected a tensor here"},
        {"    x0 = torch.silu(images)\n    return (x0, x0\n", "code line 6: expected ')'"},
    };
    char chain[2000]; /* more binary operators than one expression may hold */
    p = chain + sprintf(chain, "    x0 = torch.size(images, 0)\n    x1 = x0");
    for (int i = 0; i < 70; i++) p += sprintf(p, " + x0");
    strcpy(p, "\n    return images\n");
    char err[1000], code[4096];
    for (size_t i = 0; i < ARRAY_LEN(cases) + 3; i++) {
        size_t nc = ARRAY_LEN(cases);
        const char *body = i < nc ? cases[i].body : i == nc ? deep : i == nc + 1 ? deeper : chain;
        const char *want = i < nc ? cases[i].want : i < nc + 2 ? "nest" : "more than 64 operators in one expression";
        snprintf(code, sizeof code, "%s%s", head, body);
        err[0] = 0;
        Graph *g = torchscript_graph_from_code("t.torchscript", code, strlen(code), ws, 2, err, sizeof err);
        EXPECT_MSG(g == NULL, "case %zu parsed", i);
        EXPECT_MSG(strstr(err, want) && !strncmp(err, "t.torchscript: ", 15), "case %zu: '%s' lacks '%s'", i, err, want);
        graph_free(g);
    }
    /* a straight-line body that parses, and weights whose shape does not fit the input */
    snprintf(code, sizeof code, "%s    x0 = torch.conv2d(images, self.w, self.b, [1, 1], [1, 1], [1, 1], 1)\n    return x0\n",
             head);
    Graph *g = torchscript_graph_from_code("t.torchscript", code, strlen(code), ws, 2, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        Tensor *x = &g->tensors[g->inputs[0]];
        x->rank = 4;
        memcpy(x->dims, D(1, 5, 8, 8), 4 * sizeof(int64_t));
        err[0] = 0;
        EXPECT(pass_infer_shapes_at_input(g, err, sizeof err) != 0);
        EXPECT_MSG(err[0] != 0, "no message");
        printf("# weights that do not fit: %s\n", err);
        graph_free(g);
    }
    /* a range whose bound is computed at run time: parsed, then refused by the executor's
     * bounds when it runs (nothing of that size allocated) */
    snprintf(code, sizeof code,
             "%s    x0 = torch.size(images)\n    x1 = x0[2]\n    x2 = float(x1)\n    x3 = x2 * 1e12\n"
             "    x4 = torch.arange(0., x3, 1.)\n    return x4\n",
             head);
    g = torchscript_graph_from_code("t.torchscript", code, strlen(code), ws, 2, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        int64_t dims[1][GRAPH_MAX_RANK], counts[1];
        int ranks[1];
        symbolic_input(g);
        err[0] = 0;
        float **y = run_outputs(g, D(1, 3, 8, 8), dims, ranks, counts, err, sizeof err);
        EXPECT(y == NULL);
        EXPECT_CONTAINS(err, "range too long");
        free_outputs(y, g->n_outputs);
        graph_free(g);
    }
    /* shape arithmetic that runs: h * w // 2 and a shape list built from sizes and literals */
    snprintf(code, sizeof code,
             "%s    x0 = torch.size(images)\n    x1 = x0[2:]\n    x2 = x1[0] * x1[1] // 2\n"
             "    x3 = [x0[0]] + [2, x2, -1]\n    x4 = torch.reshape(images, x3)\n    x5 = int(float(x2) / 4.)\n"
             "    x6 = torch.arange(0, x5, 1)\n    return (x4, x6)\n",
             head);
    g = torchscript_graph_from_code("t.torchscript", code, strlen(code), ws, 2, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        int64_t dims[2][GRAPH_MAX_RANK], counts[2];
        int ranks[2];
        symbolic_input(g);
        float **y = run_outputs(g, D(1, 3, 8, 6), dims, ranks, counts, err, sizeof err);
        EXPECT_MSG(y != NULL, "%s", err);
        if (y) {
            EXPECT_EQ_INT(ranks[0], 4);
            EXPECT_EQ_INT(dims[0][1], 2);
            EXPECT_EQ_INT(dims[0][2], 24);
            EXPECT_EQ_INT(dims[0][3], 3);
            EXPECT_EQ_INT(counts[1], 6); /* int(24 / 4.) */
            EXPECT(y[1][5] == 5);
        }
        free_outputs(y, g->n_outputs);
        graph_free(g);
    }
}

/* Archives that are not straight-line code of ours, or lack what reading needs: refused by name. */
static void test_read_refused_archives(void)
{
    char err[1000];
    /* no imgsz in extra/config.txt: the input's size is unknown */
    Graph *g = tiny_graph();
    const char *path = tmp("nometa.torchscript");
    EXPECT_MSG(torchscript_write(g, NULL, path, err, sizeof err) == 0, "%s", err);
    Graph *r = reader_torchscript_read(path, NULL, err, sizeof err);
    EXPECT(r == NULL);
    EXPECT_CONTAINS(err, "gives no usable imgsz");
    graph_free(r);
    graph_free(g);
    const char *peer = shared_path("reference/peer/yolov8n.torchscript");
    if (!peer) {
        printf("# ../shared not present: the peer's archive is not tried\n");
        return;
    }
    r = reader_torchscript_read(peer, NULL, err, sizeof err);
    EXPECT(r == NULL);
    EXPECT_CONTAINS(err, "__torch__.ultralytics.nn.tasks.DetectionModel");
    EXPECT_CONTAINS(err, "only the straight-line forward code");
    graph_free(r);
}

int main(void)
{
    if (!pt_loader) return 2;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-tsr-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_read_ops_graph);
    RUN(test_read_yolov8n);
    RUN(test_read_tasks);
    RUN(test_read_dynamic);
    RUN(test_read_hostile_code);
    RUN(test_read_refused_archives);
    fileio_remove_tree(tmpdir);
    return check_done();
}
