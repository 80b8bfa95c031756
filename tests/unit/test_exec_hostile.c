/* Hostile graphs: every op the executor knows, fed random shapes, values and attributes
 * (including negative, huge and missing ones), thousands of times under ASan/UBSan.  Each
 * run must end in success or a message, never a crash, a hang or a leak; successful runs
 * must produce every output.  Deterministic (fixed seed), tensors capped at 2^16 elements. */
#include <string.h>

#include "engine/exec/exec.h"
#include "engine/exec/exec_impl.h"
#include "tests/check.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int rnd_int(int n) { return (int)(rnd() % (uint64_t)n); }

static int64_t rnd_i64(void)
{
    static const int64_t special[] = {0, 1, 2, 3, -1, -2, -3, 4, 7, 8, 1 << 20, -(1 << 20), INT32_MAX, INT64_MAX,
                                      INT64_MIN, (int64_t)1 << 40};
    return rnd_int(4) ? rnd_int(9) - 3 : special[rnd_int((int)ARRAY_LEN(special))];
}

static float rnd_f32(void)
{
    static const float special[] = {0.f, 1.f, -1.f, 0.5f, 2.f, 1e30f, -1e30f, 1e-30f, 3.f, 1e6f};
    return rnd_int(3) ? (float)(rnd_int(2001) - 1000) / 250.f : special[rnd_int((int)ARRAY_LEN(special))];
}

static int rnd_tensor(Graph *g, const char *name, bool allow_input)
{
    int rank = rnd_int(6);
    int64_t d[GRAPH_MAX_RANK];
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        d[i] = rnd_int(5) ? rnd_int(4) + 1 : rnd_int(2) ? 0 : 6;
        n *= d[i];
    }
    if (allow_input && rnd_int(3) == 0) {
        int t = graph_add_tensor(g, name, DT_F32, rank, d);
        g->tensors[t].is_input = true;
        graph_add_input(g, t);
        return t;
    }
    if (rnd_int(3) == 0) {
        int64_t *v = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
        for (int64_t i = 0; i < n; i++) v[i] = rnd_i64();
        int t = graph_add_const(g, name, DT_I64, rank, d, v);
        free(v);
        return t;
    }
    float *v = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = rnd_f32();
    int t = graph_add_const(g, name, DT_F32, rank, d, v);
    free(v);
    return t;
}

static void rnd_attrs(Graph *g, int node)
{
    static const char *int_names[] = {"axis", "group", "keepdims", "to", "transA", "transB", "ceil_mode",
                                      "count_include_pad", "start", "end", "largest", "sorted", "k", "allowzero",
                                      "select_last_index", "center_point_box", "fmod", "noop_with_empty_axes"};
    static const char *ints_names[] = {"axes", "perm", "pads", "strides", "kernel_shape", "dilations", "split",
                                       "output_padding", "output_shape", "starts", "ends"};
    static const char *str_vals[][5] = {{"mode", "nearest", "linear", "cubic", "constant"},
                                        {"coordinate_transformation_mode", "asymmetric", "half_pixel", "align_corners", "x"},
                                        {"nearest_mode", "floor", "ceil", "round_prefer_ceil", "y"},
                                        {"auto_pad", "SAME_UPPER", "VALID", "NOTSET", "SAME_LOWER"}};
    int na = rnd_int(5);
    for (int i = 0; i < na; i++) {
        switch (rnd_int(4)) {
        case 0: node_set_int(g, node, int_names[rnd_int((int)ARRAY_LEN(int_names))], rnd_i64()); break;
        case 1: {
            int64_t v[10];
            int n = rnd_int(9);
            for (int k = 0; k < n; k++) v[k] = rnd_i64();
            node_set_ints(g, node, ints_names[rnd_int((int)ARRAY_LEN(ints_names))], v, n);
            break;
        }
        case 2: {
            int s = rnd_int(4);
            node_set_string(g, node, str_vals[s][0], str_vals[s][1 + rnd_int(4)]);
            break;
        }
        default: node_set_float(g, node, rnd_int(2) ? "alpha" : "epsilon", rnd_f32()); break;
        }
    }
}

/* Input and output counts: mostly what the executor's op table allows (so the kernels see
 * the hostile shapes and attributes), a quarter of the time anything (exec_new refuses). */
static int arity_in(OpKind op, int max)
{
    const ExecOpDef *d = &exec_op_defs[op];
    if (!rnd_int(4)) return rnd_int(max);
    int hi = d->max_in < max - 1 ? d->max_in : max - 1;
    if (hi <= d->min_in) return d->min_in < max ? d->min_in : max - 1;
    return d->min_in + rnd_int(hi - d->min_in + 1);
}

static int arity_out(OpKind op)
{
    const ExecOpDef *d = &exec_op_defs[op];
    if (!rnd_int(4)) return 1 + rnd_int(3) / 2;
    return d->max_out > 1 && rnd_int(2) ? 2 : 1;
}

static void test_random_graphs(void)
{
    const char *types[256];
    int nt = 0;
    for (int op = 0; op < OP_COUNT && nt < 256; op++)
        if (exec_op_support((OpKind)op) == EXEC_OP_KERNEL) types[nt++] = op_name((OpKind)op);
    int ok = 0, refused = 0;
    /* YOLOPORT_HOSTILE_ITERS and _SEED widen the search when hunting by hand */
    int iters = getenv("YOLOPORT_HOSTILE_ITERS") ? atoi(getenv("YOLOPORT_HOSTILE_ITERS")) : 6000;
    if (getenv("YOLOPORT_HOSTILE_SEED")) rng_state ^= strtoull(getenv("YOLOPORT_HOSTILE_SEED"), NULL, 0) * 0x2545f4914f6cdd1dull;
    if (!rng_state) rng_state = 1;
    for (int iter = 0; iter < iters; iter++) {
        Graph *g = graph_new();
        g->meta.opset = rnd_int(4) ? 17 : 11;
        const char *type = types[rnd_int(nt)];
        int nin = arity_in(op_from_name(type), 6), ins[6], outs[3];
        char name[32];
        for (int i = 0; i < nin; i++) {
            snprintf(name, sizeof name, "in%d", i);
            ins[i] = rnd_int(8) ? rnd_tensor(g, name, true) : -1;
        }
        int nout = arity_out(op_from_name(type));
        for (int i = 0; i < nout; i++) {
            snprintf(name, sizeof name, "out%d", i);
            outs[i] = graph_add_tensor(g, name, DT_F32, 0, NULL);
        }
        OpKind op = op_from_name(type);
        int n = graph_add_node(g, op, type, "hostile", -1, ins, nin, outs, nout);
        rnd_attrs(g, n);
        if (!strcmp(type, "Constant") || !strcmp(type, "ConstantOfShape")) {
            if (rnd_int(2)) node_set_tensor(g, n, "value", rnd_tensor(g, "v", false));
        }
        /* half the time a second node reads the first one's outputs (buffer reuse paths) */
        int final_outs[3];
        int nfinal = nout;
        memcpy(final_outs, outs, sizeof outs);
        if (rnd_int(2)) {
            const char *type2 = types[rnd_int(nt)];
            int nin2 = arity_in(op_from_name(type2), 4), ins2[4];
            if (!nin2) nin2 = 1;
            for (int i = 0; i < nin2; i++) ins2[i] = rnd_int(3) ? outs[rnd_int(nout)] : rnd_tensor(g, "c2", false);
            final_outs[0] = graph_add_tensor(g, "second", DT_F32, 0, NULL);
            nfinal = 1;
            rnd_attrs(g, graph_add_node(g, op_from_name(type2), type2, "second", -1, ins2, nin2, final_outs, 1));
        }
        nout = nfinal;
        for (int i = 0; i < nout; i++) graph_add_output(g, final_outs[i]);
        char err[256] = "";
        Exec *e = exec_new(g, err, sizeof err);
        if (!e) {
            refused++;
            graph_free(g);
            continue;
        }
        exec_set_max_elements(e, 1 << 16);
        exec_keep_all(e, rnd_int(2));
        int rc = 0;
        for (int i = 0; i < g->n_inputs && !rc; i++) {
            const Tensor *t = &g->tensors[g->inputs[i]];
            float buf[8192]; /* inputs have at most 6^5 elements */
            for (int k = 0; k < 8192; k++) buf[k] = rnd_f32();
            rc = exec_set_input(e, t->name, buf, t->dims, t->rank, err, sizeof err);
        }
        if (!rc) rc = exec_run(e, NULL, err, sizeof err);
        if (!rc) {
            ok++;
            int64_t d[GRAPH_MAX_RANK];
            int r;
            for (int i = 0; i < nout; i++) EXPECT_MSG(exec_output(e, i, d, &r) != NULL, "%s: output %d missing", type, i);
        } else {
            refused++;
            EXPECT_MSG(err[0] != 0, "%s failed without a message", type);
        }
        exec_free(e);
        graph_free(g);
    }
    printf("# %d runs succeeded, %d refused with a message\n", ok, refused);
    EXPECT(ok > iters / 12 && refused > iters / 12);
}

int main(void)
{
    RUN(test_random_graphs);
    return check_done();
}
