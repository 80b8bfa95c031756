/* test_tflite: the TF Lite writer and reader — a built-in config written and read back (its
 * interface, its numbers in our executor, its metadata; also with a dynamic height and width,
 * run at another size), float16 storage, quantisation
 * parameters of a hand-built int8 model, and the reader's refusals of malformed files (each
 * message naming the file).  Also drivers for the end-to-end tests:
 *
 *   test_tflite --ref MODEL IN.npy OUTDIR [imgsz=N] [unit]
 *       loads MODEL fused at imgsz, runs our executor on IN.npy (NCHW) and writes
 *       OUTDIR/output<k>.npy (rank-4 outputs NHWC, as TF formats give them); with unit the
 *       boxes (and keypoints) are fractions of the input size, as the TF Lite export has them.
 *       A MODEL.tflite runs as the export's check runs it (NCHW float input, an int8 input
 *       quantised and int8 outputs dequantised; boxes as the file gives them).
 *   test_tflite --seeds DIR
 *       writes the fuzz harness's seed files (a tiny float32 model, its float16 twin, an int8
 *       model with quantisation parameters). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/core/npy.h"
#include "engine/export/export_tf.h"
#include "engine/exec/exec.h"
#include "engine/passes/passes.h"
#include "engine/registry/model.h"
#include "formats/flatbuf.h"
#include "formats/tflite.h"
#include "formats/tflite_schema.h"
#include "tests/check.h"

/* ---- helpers --------------------------------------------------------------------------- */
static Graph *tiny_graph(void)
{
    Graph *g = graph_new();
    int x = graph_add_tensor(g, "images", DT_F32, 4, (int64_t[]){1, 3, 8, 8});
    graph_add_input(g, x);
    float w[4 * 3 * 3 * 3], b[4];
    for (int i = 0; i < 108; i++) w[i] = 0.3f * sinf((float)i); /* not exact in float16 */
    for (int i = 0; i < 4; i++) b[i] = 0.25f * (float)i;
    int wt = graph_add_const(g, "conv.weight", DT_F32, 4, (int64_t[]){4, 3, 3, 3}, w);
    int bt = graph_add_const(g, "conv.bias", DT_F32, 1, (int64_t[]){4}, b);
    g->tensors[wt].is_param = g->tensors[bt].is_param = true;
    int c = graph_add_tensor(g, "conv", DT_F32, 4, (int64_t[]){1, 4, 8, 8});
    int ni = graph_add_node(g, OP_CONV, NULL, "/conv/Conv", -1, (int[]){x, wt, bt}, 3, &c, 1);
    node_set_ints(g, ni, "kernel_shape", (int64_t[]){3, 3}, 2);
    node_set_ints(g, ni, "pads", (int64_t[]){1, 1, 1, 1}, 4);
    node_set_ints(g, ni, "strides", (int64_t[]){1, 1}, 2);
    int y = graph_add_tensor(g, "output0", DT_F32, 4, (int64_t[]){1, 4, 8, 8});
    graph_add_node(g, OP_SIGMOID, NULL, "/act/Sigmoid", -1, &c, 1, &y, 1);
    graph_add_output(g, y);
    return g;
}

static float *ramp(int64_t n)
{
    float *f = xmalloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) f[i] = (float)((i * 7919) % 1000) / 1000.0f;
    return f;
}

/* Run g on x of the given dims (NULL: those of g's first input) and copy output k. */
static float *run_dims(const Graph *g, const float *x, const int64_t *dims, int k, int64_t *n_out)
{
    char err[512];
    Exec *e = exec_new(g, err, sizeof err);
    EXPECT_MSG(e != NULL, "%s", err);
    if (!e) return NULL;
    const Tensor *in = &g->tensors[g->inputs[0]];
    int rc = exec_set_input(e, in->name, x, dims ? dims : in->dims, in->rank, err, sizeof err);
    if (!rc) rc = exec_run(e, NULL, err, sizeof err);
    EXPECT_MSG(rc == 0, "%s", err);
    float *out = NULL;
    if (!rc) {
        int64_t dims[GRAPH_MAX_RANK];
        int rank;
        const float *y = exec_output(e, k, dims, &rank);
        int64_t n = 1;
        for (int i = 0; i < rank; i++) n *= dims[i];
        out = xmalloc(sizeof(float) * (size_t)n);
        memcpy(out, y, sizeof(float) * (size_t)n);
        *n_out = n;
    }
    exec_free(e);
    return out;
}

static float *run(const Graph *g, const float *x, int k, int64_t *n_out) { return run_dims(g, x, NULL, k, n_out); }

/* NCHW -> NHWC of one image tensor. */
static float *to_nhwc(const float *x, int64_t c, int64_t h, int64_t w)
{
    float *y = xmalloc(sizeof(float) * (size_t)(c * h * w));
    for (int64_t k = 0; k < c; k++)
        for (int64_t i = 0; i < h * w; i++) y[i * c + k] = x[k * h * w + i];
    return y;
}

static const char *tmp_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/test_tflite.%d", (int)getpid());
        mkdir(dir, 0755);
    }
    return dir;
}

static uint32_t field_pos(const uint8_t *buf, uint32_t tpos, int id)
{
    int32_t soff;
    memcpy(&soff, buf + tpos, 4);
    uint32_t vt = (uint32_t)((int64_t)tpos - soff);
    uint16_t vsz, off = 0;
    memcpy(&vsz, buf + vt, 2);
    if (4 + 2 * id + 2 <= vsz) memcpy(&off, buf + vt + 4 + 2 * id, 2);
    return off ? tpos + off : 0;
}

/* ---- tests ----------------------------------------------------------------------------- */
static void test_tiny_round_trip(void)
{
    Graph *g = tiny_graph();
    char err[512];
    size_t len;
    uint8_t *buf = tflite_write_buffer(g, NULL, &len, err, sizeof err);
    EXPECT_MSG(buf != NULL, "%s", err);
    if (!buf) {
        graph_free(g);
        return;
    }
    EXPECT(!memcmp(buf + 4, "TFL3", 4));
    char why[256];
    EXPECT_MSG(fb_verify(buf, len, &tflite_model_def, TFLITE_FILE_ID, NULL, why, sizeof why) == 0, "%s", why);
    /* the file's own structure: version 3, one subgraph, OHWI filter, serving signature */
    FbTable m = fb_root(buf, len);
    EXPECT_EQ_INT(fb_table_u32(m, TFL_MODEL_VERSION, 0), 3);
    FbVector sigs = fb_table_vector(m, TFL_MODEL_SIGNATURE_DEFS, 4);
    EXPECT_EQ_INT(sigs.n, 1);
    EXPECT_EQ_STR(fb_table_string(fb_vec_table(sigs, 0), TFL_SIGDEF_SIGNATURE_KEY, NULL), "serving_default");
    FbVector sin = fb_table_vector(fb_vec_table(sigs, 0), TFL_SIGDEF_INPUTS, 4);
    EXPECT_EQ_STR(fb_table_string(fb_vec_table(sin, 0), TFL_TENSORMAP_NAME, NULL), "images");
    FbVector sout = fb_table_vector(fb_vec_table(sigs, 0), TFL_SIGDEF_OUTPUTS, 4);
    EXPECT_EQ_STR(fb_table_string(fb_vec_table(sout, 0), TFL_TENSORMAP_NAME, NULL), "output_0");

    Graph *back = tflite_read_buffer(buf, len, "tiny.tflite", err, sizeof err);
    EXPECT_MSG(back != NULL, "%s", err);
    if (back) {
        EXPECT_EQ_INT(back->meta.source_format, FMT_TFLITE);
        const Tensor *in = &back->tensors[back->inputs[0]];
        EXPECT_EQ_STR(in->name, "serving_default_images:0");
        EXPECT(in->rank == 4 && in->dims[1] == 8 && in->dims[2] == 8 && in->dims[3] == 3);
        const Tensor *out = &back->tensors[back->outputs[0]];
        EXPECT_EQ_STR(out->name, "StatefulPartitionedCall:0");
        EXPECT(out->rank == 4 && out->dims[3] == 4); /* NHWC */
        EXPECT_CONTAINS(graph_meta_prop(back, "tflite.operators"), "CONV_2D 1");
        EXPECT_CONTAINS(graph_meta_prop(back, "tflite.operators"), "LOGISTIC 1");
        EXPECT_EQ_INT(graph_param_count(back), 4 * 27 + 4);
        /* the numbers: our executor on both, the same image */
        float *x = ramp(3 * 64);
        float *xh = to_nhwc(x, 3, 8, 8);
        int64_t na = 0, nb = 0;
        float *a = run(g, x, 0, &na), *b = run(back, xh, 0, &nb);
        EXPECT_EQ_INT(na, nb);
        if (a && b && na == nb) {
            float *ah = to_nhwc(a, 4, 8, 8);
            double d = 0;
            for (int64_t i = 0; i < na; i++) d = fmax(d, fabs(ah[i] - b[i]));
            EXPECT_MSG(d < 1e-6, "max |diff| %g", d);
            free(ah);
        }
        free(a);
        free(b);
        free(x);
        free(xh);
        graph_free(back);
    }
    free(buf);
    graph_free(g);
}

/* act_range for the tiny graph: the conv's output in [-2, 2], the input 0..1, the rest float */
static int tiny_range(void *user, const char *name, float *lo, float *hi)
{
    (void)user;
    if (!strcmp(name, "serving_default_images:0") || !strncmp(name, "StatefulPartitionedCall", 23))
        return *lo = 0.0f, *hi = 1.0f, 0;
    if (!strcmp(name, "conv/Conv")) return *lo = -2.0f, *hi = 2.0f, 0;
    if (!strcmp(name, "act/Sigmoid")) return *lo = 0.0f, *hi = 1.0f, 0;
    return -1;
}

static void test_int8_modes(void)
{
    /* dynamic-range: int8 filter per output channel (zero point 0) + DEQUANTIZE, float bias;
     * integer: TF Lite's int8 kernels -- the input quantised once, CONV_2D on the int8 input
     * with the int8 filter and an int32 bias at input scale x filter scale, LOGISTIC's output at
     * the fixed 1/256, a DEQUANTIZE to the float output; full-integer: the same with an int8
     * input and output, nothing in float.  Each reads back and runs in our executor within a
     * few 8-bit steps of the float graph. */
    Graph *g = tiny_graph();
    float *x = ramp(3 * 64);
    int64_t na = 0;
    float *a = run(g, x, 0, &na);
    float *ah = a ? to_nhwc(a, 4, 8, 8) : NULL;
    const char *want_ops[3] = {"DEQUANTIZE 1, CONV_2D 1, LOGISTIC 1", "QUANTIZE 1, CONV_2D 1, LOGISTIC 1, DEQUANTIZE 1",
                               "CONV_2D 1, LOGISTIC 1"};
    for (int mode = 0; mode < 3 && ah; mode++) {
        TfliteOptions o = {.int8 = mode == 0 ? TFLITE_INT8_DYNAMIC : mode == 1 ? TFLITE_INT8_INTEGER : TFLITE_INT8_FULL,
                           .act_range = tiny_range};
        char err[512];
        size_t len;
        uint8_t *buf = tflite_write_buffer(g, &o, &len, err, sizeof err);
        EXPECT_MSG(buf != NULL, "mode %d: %s", mode, err);
        if (!buf) continue;
        Graph *back = tflite_read_buffer(buf, len, "tiny_int8.tflite", err, sizeof err);
        EXPECT_MSG(back != NULL, "mode %d: %s", mode, err);
        if (back) {
            EXPECT_EQ_STR(graph_meta_prop(back, "tflite.operators"), want_ops[mode]);
            if (mode == 0) EXPECT_MSG(!graph_meta_prop(back, "tflite.int8_operators"), "dynamic-range computes in float");
            else EXPECT_EQ_STR(graph_meta_prop(back, "tflite.int8_operators"), "CONV_2D 1, LOGISTIC 1");
            EXPECT_CONTAINS(graph_meta_prop(back, "tflite.quantization"), "conv/Conv/filter_int8: scale ");
            EXPECT_CONTAINS(graph_meta_prop(back, "tflite.quantization"), "(+3 more along axis 0)");
            const char *tt = graph_meta_prop(back, "tflite.tensor_types");
            EXPECT_MSG(tt && strstr(tt, "INT8"), "%s", tt ? tt : "(none)");
            if (mode > 0) {
                /* the conv's output at its calibrated [-2, 2]; the bias at 1/255 x the filter's scales */
                EXPECT_CONTAINS(graph_meta_prop(back, "tflite.quantization"), "; conv/Conv: scale 0.0156863 zero_point -1;");
                EXPECT_CONTAINS(graph_meta_prop(back, "tflite.quantization"),
                                "conv/Conv/filter_int8: scale 0.00236218 zero_point 0 (+3 more along axis 0)");
                EXPECT_CONTAINS(graph_meta_prop(back, "tflite.quantization"),
                                "conv/Conv/bias_int32: scale 9.26346e-06 zero_point 0 (+3 more along axis 0)");
            }
            if (mode == 2) {
                EXPECT_EQ_INT(back->tensors[back->inputs[0]].dtype, DT_I8);
                EXPECT_EQ_INT(back->tensors[back->outputs[0]].dtype, DT_I8);
                EXPECT_CONTAINS(graph_meta_prop(back, "tflite.io_quantization"),
                                "input serving_default_images:0: scale 0.00392156886 zero_point -128; output "
                                "StatefulPartitionedCall:0: scale 0.00390625 zero_point -128");
            }
            EXPECT_MSG(pass_tflite_runnable(back, err, sizeof err) == 0, "%s", err);
            int64_t nb = 0;
            float *b = run(back, x, 0, &nb);
            if (b && nb == na) {
                float *bh = to_nhwc(b, 4, 8, 8); /* the runnable graph gives NCHW back */
                double d = 0;
                for (int64_t i = 0; i < na; i++) d = fmax(d, fabs(ah[i] - bh[i]));
                EXPECT_MSG(d < (mode == 0 ? 0.01 : 0.03), "mode %d: max |diff| %g", mode, d);
                free(bh);
            }
            free(b);
            graph_free(back);
        }
        free(buf);
    }
    free(ah);
    free(a);
    free(x);
    graph_free(g);
}

static void test_half_and_metadata(void)
{
    Graph *g = tiny_graph();
    char err[512];
    KeyValue kv[] = {{"task", "\"detect\""}, {"stride", "32"}, {"imgsz", "[8, 8]"}, {"names", "{\"0\": \"person\", \"1\": \"bicycle\"}"}};
    TfliteOptions o = {.half = true, .metadata_kv = kv, .n_metadata_kv = 4};
    size_t len, len32;
    uint8_t *buf = tflite_write_buffer(g, &o, &len, err, sizeof err);
    uint8_t *buf32 = tflite_write_buffer(g, NULL, &len32, err, sizeof err);
    EXPECT(buf && buf32);
    if (buf && buf32) {
        /* the appended archive: a zip with metadata.json, after the flatbuffer */
        char *meta = tflite_metadata_json(buf, len);
        EXPECT(meta != NULL);
        EXPECT_CONTAINS(meta, "\"task\": \"detect\"");
        EXPECT_CONTAINS(meta, "\"imgsz\": [\n    8,\n    8\n  ]");
        free(meta);
        EXPECT(tflite_metadata_json(buf32, len32) == NULL);
        Graph *back = tflite_read_buffer(buf, len, "half.tflite", err, sizeof err);
        EXPECT_MSG(back != NULL, "%s", err);
        if (back) {
            EXPECT_EQ_STR(back->meta.task, "detect");
            EXPECT_EQ_INT(back->meta.nc, 2);
            EXPECT(back->meta.nc == 2 && !strcmp(back->meta.names[1], "bicycle"));
            EXPECT(back->meta.imgsz[0] == 8 && back->meta.imgsz[1] == 8);
            EXPECT_CONTAINS(graph_meta_prop(back, "tflite.operators"), "DEQUANTIZE 2");
            EXPECT_CONTAINS(graph_meta_prop(back, "tflite.tensor_types"), "FLOAT16 2");
            /* the parameters are the stored float16 ones */
            int64_t f16 = 0;
            for (int i = 0; i < back->n_tensors; i++)
                if (back->tensors[i].is_param && back->tensors[i].dtype == DT_F16) f16 += tensor_numel(&back->tensors[i]);
            EXPECT_EQ_INT(f16, 4 * 27 + 4);
            float *x = ramp(3 * 64), *xh = to_nhwc(x, 3, 8, 8);
            int64_t na, nb;
            float *a = run(g, x, 0, &na), *b = run(back, xh, 0, &nb);
            if (a && b) {
                float *ah = to_nhwc(a, 4, 8, 8);
                double d = 0;
                for (int64_t i = 0; i < na; i++) d = fmax(d, fabs(ah[i] - b[i]));
                EXPECT_MSG(d < 2e-3 && d > 0, "max |diff| %g (float16 weights)", d);
                free(ah);
            }
            free(a);
            free(b);
            free(x);
            free(xh);
            graph_free(back);
        }
    }
    free(buf);
    free(buf32);
    graph_free(g);
}

/* A hand-built int8 model: q (int8 const, scale 0.5, zero point 1) -> DEQUANTIZE -> ADD(x, .) */
static uint8_t *int8_model(size_t *len, bool per_axis)
{
    FbBuilder b;
    fb_builder_init(&b);
    int8_t q[4] = {1, 3, -1, 5};
    FbRef qdata = fb_create_vector(&b, q, 4, 1, 16);
    FbRef bufs[2];
    fb_table_start(&b);
    bufs[0] = fb_table_end(&b);
    fb_table_start(&b);
    fb_add_ref(&b, TFL_BUFFER_DATA, qdata);
    bufs[1] = fb_table_end(&b);
    FbRef buffers = fb_create_ref_vector(&b, bufs, 2);
    float scale[4] = {0.5f, 0.25f, 1.0f, 2.0f};
    int64_t zp[4] = {1, 0, -1, 2};
    FbRef sc = fb_create_vector(&b, scale, per_axis ? 4 : 1, 4, 4), zv = fb_create_vector(&b, zp, per_axis ? 4 : 1, 8, 8);
    fb_table_start(&b);
    fb_add_ref(&b, TFL_QUANT_SCALE, sc);
    fb_add_ref(&b, TFL_QUANT_ZERO_POINT, zv);
    fb_add_i32(&b, TFL_QUANT_QUANTIZED_DIMENSION, 0, 0);
    FbRef quant = fb_table_end(&b);
    const char *names[4] = {"x", "q", "deq", "y"};
    int types[4] = {0, 9, 0, 0}, bufidx[4] = {0, 1, 0, 0};
    FbRef tens[4];
    for (int i = 0; i < 4; i++) {
        int32_t shape[1] = {4};
        FbRef sh = fb_create_vector(&b, shape, 1, 4, 4), nm = fb_create_string(&b, names[i], strlen(names[i]));
        fb_table_start(&b);
        fb_add_ref(&b, TFL_TENSOR_SHAPE, sh);
        fb_add_i8(&b, TFL_TENSOR_TYPE, (int8_t)types[i], 0);
        fb_add_u32(&b, TFL_TENSOR_BUFFER, (uint32_t)bufidx[i], 0);
        fb_add_ref(&b, TFL_TENSOR_NAME, nm);
        if (i == 1) fb_add_ref(&b, TFL_TENSOR_QUANTIZATION, quant);
        tens[i] = fb_table_end(&b);
    }
    FbRef tensors = fb_create_ref_vector(&b, tens, 4);
    int32_t in0[1] = {1}, out0[1] = {2}, in1[2] = {0, 2}, out1[1] = {3};
    FbRef ops[2];
    FbRef i0 = fb_create_vector(&b, in0, 1, 4, 4), o0 = fb_create_vector(&b, out0, 1, 4, 4);
    fb_table_start(&b);
    fb_add_u32(&b, TFL_OP_OPCODE_INDEX, 0, 0);
    fb_add_ref(&b, TFL_OP_INPUTS, i0);
    fb_add_ref(&b, TFL_OP_OUTPUTS, o0);
    ops[0] = fb_table_end(&b);
    FbRef i1 = fb_create_vector(&b, in1, 2, 4, 4), o1 = fb_create_vector(&b, out1, 1, 4, 4);
    fb_table_start(&b);
    fb_add_u32(&b, TFL_OP_OPCODE_INDEX, 1, 0);
    fb_add_ref(&b, TFL_OP_INPUTS, i1);
    fb_add_ref(&b, TFL_OP_OUTPUTS, o1);
    ops[1] = fb_table_end(&b);
    FbRef operators = fb_create_ref_vector(&b, ops, 2);
    int32_t sg_in[1] = {0}, sg_out[1] = {3};
    FbRef si = fb_create_vector(&b, sg_in, 1, 4, 4), so = fb_create_vector(&b, sg_out, 1, 4, 4);
    fb_table_start(&b);
    fb_add_ref(&b, TFL_SUBGRAPH_TENSORS, tensors);
    fb_add_ref(&b, TFL_SUBGRAPH_INPUTS, si);
    fb_add_ref(&b, TFL_SUBGRAPH_OUTPUTS, so);
    fb_add_ref(&b, TFL_SUBGRAPH_OPERATORS, operators);
    FbRef sg = fb_table_end(&b);
    FbRef subgraphs = fb_create_ref_vector(&b, &sg, 1);
    FbRef codes[2];
    int32_t code[2] = {TFL_DEQUANTIZE, TFL_ADD};
    for (int i = 0; i < 2; i++) {
        fb_table_start(&b);
        fb_add_i8(&b, TFL_OPCODE_DEPRECATED_BUILTIN_CODE, (int8_t)code[i], 0);
        fb_add_i32(&b, TFL_OPCODE_VERSION, 1, 0);
        fb_add_i32(&b, TFL_OPCODE_BUILTIN_CODE, code[i], 0);
        codes[i] = fb_table_end(&b);
    }
    FbRef opcodes = fb_create_ref_vector(&b, codes, 2);
    fb_table_start(&b);
    fb_add_u32(&b, TFL_MODEL_VERSION, 3, 0);
    fb_add_ref(&b, TFL_MODEL_OPERATOR_CODES, opcodes);
    fb_add_ref(&b, TFL_MODEL_SUBGRAPHS, subgraphs);
    fb_add_ref(&b, TFL_MODEL_BUFFERS, buffers);
    FbRef model = fb_table_end(&b);
    char err[256];
    EXPECT(fb_finish(&b, model, TFLITE_FILE_ID, err, sizeof err) == 0);
    return fb_builder_take(&b, len);
}

static void test_quantisation_parameters(void)
{
    for (int per_axis = 0; per_axis < 2; per_axis++) {
        size_t len;
        uint8_t *buf = int8_model(&len, per_axis);
        char err[512];
        Graph *g = tflite_read_buffer(buf, len, "int8.tflite", err, sizeof err);
        EXPECT_MSG(g != NULL, "%s", err);
        if (g) {
            const char *q = graph_meta_prop(g, "tflite.quantization");
            EXPECT_CONTAINS(q, "q: scale 0.5 zero_point 1");
            if (per_axis) EXPECT_CONTAINS(q, "+3 more along axis 0");
            EXPECT_CONTAINS(graph_meta_prop(g, "tflite.tensor_types"), "INT8 1");
            float x[4] = {10, 20, 30, 40};
            int64_t n;
            float *y = run(g, x, 0, &n);
            /* per tensor: 0.5 * (q - 1); per axis: scale[i] * (q - zp[i]) */
            float want[2][4] = {{10 + 0.0f, 20 + 1.0f, 30 - 1.0f, 40 + 2.0f}, {10 + 0.0f, 20 + 0.75f, 30 + 0.0f, 40 + 6.0f}};
            for (int i = 0; y && i < 4; i++) EXPECT_NEAR(y[i], want[per_axis][i], 1e-6);
            free(y);
            graph_free(g);
        }
        free(buf);
    }
}

/* Every refusal names the file and says what is wrong. */
static void expect_refused(const uint8_t *buf, size_t len, const char *want)
{
    char err[512] = "";
    Graph *g = tflite_read_buffer(buf, len, "bad.tflite", err, sizeof err);
    EXPECT_MSG(g == NULL, "accepted, wanted \"%s\"", want);
    graph_free(g);
    EXPECT_CONTAINS(err, "bad.tflite: ");
    EXPECT_CONTAINS(err, want);
}

static void test_refusals(void)
{
    Graph *g = tiny_graph();
    char err[512];
    size_t len;
    uint8_t *good = tflite_write_buffer(g, NULL, &len, err, sizeof err);
    graph_free(g);
    if (!good) return;
    uint8_t *buf = malloc(len);
    FbTable m = fb_root(good, len);
    FbTable sg = fb_vec_table(fb_table_vector(m, TFL_MODEL_SUBGRAPHS, 4), 0);
    FbVector tensors = fb_table_vector(sg, TFL_SUBGRAPH_TENSORS, 4);
    FbVector ops = fb_table_vector(sg, TFL_SUBGRAPH_OPERATORS, 4);

    expect_refused(good, 4, "not a TF Lite model");
    memcpy(buf, good, len);
    buf[7] = 'X';
    expect_refused(buf, len, "not a TF Lite model");
    /* truncation: the buffers' data is at the end, the root's tables at the front */
    expect_refused(good, len / 2, "malformed TF Lite flatbuffer");
    expect_refused(good, 64, "malformed TF Lite flatbuffer");
    /* the root offset, a vtable, a vector's offset out of range */
    memcpy(buf, good, len);
    uint32_t far = (uint32_t)len + 8;
    memcpy(buf, &far, 4);
    expect_refused(buf, len, "root offset");
    memcpy(buf, good, len);
    int32_t soff = -(int32_t)len;
    memcpy(buf + m.pos, &soff, 4);
    expect_refused(buf, len, "vtable");
    memcpy(buf, good, len);
    uint32_t sgf = field_pos(good, m.pos, TFL_MODEL_SUBGRAPHS);
    memcpy(buf + sgf, &far, 4);
    expect_refused(buf, len, "Model.subgraphs: offset");
    /* a reference to itself: the cycle a forward-offset format can form */
    memcpy(buf, good, len);
    uint32_t zero = 0;
    memcpy(buf + sgf, &zero, 4);
    expect_refused(buf, len, "cyclic");
    /* a tensor naming a buffer that does not exist */
    uint32_t t1 = fb_vec_table(tensors, 1).pos;
    uint32_t bf = field_pos(good, t1, TFL_TENSOR_BUFFER);
    uint32_t bad_buf = 999;
    if (bf) {
        memcpy(buf, good, len);
        memcpy(buf + bf, &bad_buf, 4);
        expect_refused(buf, len, "names buffer 999");
    } else {
        EXPECT_MSG(bf != 0, "tensor 1 has no buffer field");
    }
    /* an operator naming a tensor or an operator code that does not exist */
    uint32_t op0 = fb_vec_table(ops, 0).pos;
    FbVector oin = fb_table_vector(fb_vec_table(ops, 0), TFL_OP_INPUTS, 4);
    memcpy(buf, good, len);
    int32_t bad_t = 5000;
    memcpy(buf + oin.pos, &bad_t, 4);
    expect_refused(buf, len, "names tensor 5000");
    uint32_t ocf = field_pos(good, op0, TFL_OP_OPCODE_INDEX);
    memcpy(buf, good, len);
    uint32_t bad_oc = 77;
    if (ocf) {
        memcpy(buf + ocf, &bad_oc, 4);
        expect_refused(buf, len, "operator code 77");
    } else { /* opcode 0 is the default: the field is absent, so make the opcodes vector empty */
        uint32_t ocv = field_pos(good, m.pos, TFL_MODEL_OPERATOR_CODES), off;
        memcpy(&off, good + ocv, 4);
        memcpy(buf + ocv + off, &zero, 4);
        expect_refused(buf, len, "operator code 0 of 0");
    }
    /* a buffer whose size does not match its tensor */
    FbVector bufs = fb_table_vector(m, TFL_MODEL_BUFFERS, 4);
    for (uint32_t i = 1; i < bufs.n; i++) {
        FbVector d = fb_table_vector(fb_vec_table(bufs, i), TFL_BUFFER_DATA, 1);
        if (d.n < 8) continue;
        memcpy(buf, good, len);
        uint32_t shorter = d.n - 4;
        memcpy(buf + d.pos - 4, &shorter, 4);
        expect_refused(buf, len, "want");
        break;
    }
    free(buf);
    free(good);
    /* and a file that is not there */
    EXPECT(tflite_read("/nonexistent/x.tflite", err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "/nonexistent/x.tflite");
}

static void test_config_round_trip(void)
{
    char err[512];
    LoadOptions lo = {.imgsz = {64, 64}, .fuse = true};
    Graph *g = model_load("yolov8n.yaml", &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    char path[512];
    snprintf(path, sizeof path, "%s/v8.tflite", tmp_dir());
    EXPECT_MSG(tflite_write(g, NULL, path, err, sizeof err) == 0, "%s", err);
    EXPECT(tflite_sniff(path));
    EXPECT_EQ_INT(model_detect(path, err, sizeof err), FMT_TFLITE);
    Graph *back = tflite_read(path, err, sizeof err);
    EXPECT_MSG(back != NULL, "%s", err);
    if (back) {
        const Tensor *o = &back->tensors[back->outputs[0]];
        EXPECT(o->rank == 3 && o->dims[1] == 84 && o->dims[2] == 84);
        /* the one convolution without a bias (DFL's) gets the converter's zero bias: 1 value */
        EXPECT_EQ_INT(graph_param_count(back), graph_param_count(g) + 1);
        /* the browser's tree: TensorFlow's name paths as modules, each with its weights */
        int mb = graph_find_module(back, "model.2"), ms = graph_find_module(g, "model.2");
        EXPECT(mb >= 0 && ms >= 0);
        if (mb >= 0 && ms >= 0) EXPECT_EQ_INT(back->modules[mb].params, g->modules[ms].params);
        float *x = ramp(3 * 64 * 64), *xh = to_nhwc(x, 3, 64, 64);
        int64_t na, nb;
        float *a = run(g, x, 0, &na), *b = run(back, xh, 0, &nb);
        if (a && b && na == nb) {
            double d = 0;
            for (int64_t i = 0; i < na; i++) d = fmax(d, fabs(a[i] - b[i]) / fmax(1.0, fabs(a[i])));
            EXPECT_MSG(d < 1e-4, "max relative |diff| %g", d);
        }
        free(a);
        free(b);
        free(x);
        free(xh);
        graph_free(back);
    }
    remove(path);
    graph_free(g);
}

/* dynamic=True (height and width unknown, anchors by CumSum): the file's input reads back
 * [1, -1, -1, 3] (shape_signature), and the read-back runs at a size it was not written at
 * (64x96) as the source graph does. */
static void test_config_dynamic(void)
{
    char err[512];
    LoadOptions lo = {.imgsz = {64, 64}, .fuse = true, .dynamic = true, .dynamic_hw_only = true};
    Graph *g = model_load("yolov8n.yaml", &lo, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    char path[512];
    snprintf(path, sizeof path, "%s/v8_dynamic.tflite", tmp_dir());
    TfliteOptions opt = {.dynamic_hw = {64, 64}};
    EXPECT_MSG(tflite_write(g, &opt, path, err, sizeof err) == 0, "%s", err);
    Graph *back = tflite_read(path, err, sizeof err);
    EXPECT_MSG(back != NULL, "%s", err);
    if (back) {
        const Tensor *in = &back->tensors[back->inputs[0]];
        EXPECT(in->rank == 4 && in->dims[0] == 1 && in->dims[1] == -1 && in->dims[2] == -1 && in->dims[3] == 3);
        EXPECT_CONTAINS(graph_meta_prop(back, "tflite.operators") ? graph_meta_prop(back, "tflite.operators") : "", "CUMSUM");
        float *x = ramp(3 * 64 * 96), *xh = to_nhwc(x, 3, 64, 96);
        int64_t na = 0, nb = 0;
        float *a = run_dims(g, x, (int64_t[]){1, 3, 64, 96}, 0, &na), *b = run_dims(back, xh, (int64_t[]){1, 64, 96, 3}, 0, &nb);
        EXPECT_MSG(na == 84 * 126 && nb == na, "%lld and %lld values, want 84 x 126 anchors", (long long)na, (long long)nb);
        if (a && b && na == nb) {
            double d = 0;
            for (int64_t i = 0; i < na; i++) d = fmax(d, fabs(a[i] - b[i]) / fmax(1.0, fabs(a[i])));
            EXPECT_MSG(d < 1e-4, "max relative |diff| %g", d);
        }
        free(a);
        free(b);
        free(x);
        free(xh);
        graph_free(back);
    }
    remove(path);
    graph_free(g);
}

static void test_op_table(void)
{
    /* the writer refuses what TF Lite has no builtin for, by name, before anything is written */
    EXPECT_EQ_INT(tflite_write_op_support(OP_ERF), OP_WRITE_NO);
    EXPECT_EQ_INT(tflite_write_op_support(OP_CONV), OP_WRITE_YES);
    Graph *g = graph_new();
    int x = graph_add_tensor(g, "x", DT_F32, 2, (int64_t[]){1, 4});
    graph_add_input(g, x);
    int y = graph_add_tensor(g, "y", DT_F32, 2, (int64_t[]){1, 4});
    graph_add_node(g, OP_ERF, NULL, "/erf/Erf", -1, &x, 1, &y, 1);
    graph_add_output(g, y);
    char err[512], path[512];
    snprintf(path, sizeof path, "%s/erf.tflite", tmp_dir());
    EXPECT(tflite_write(g, NULL, path, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "/erf/Erf (Erf)");
    EXPECT(!file_exists(path));
    graph_free(g);
}

/* ---- drivers --------------------------------------------------------------------------- */
static int ref_main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: test_tflite --ref MODEL IN.npy OUTDIR [imgsz=N] [unit]\n");
        return 2;
    }
    LoadOptions lo = {.fuse = true};
    bool unit = false;
    for (int i = 5; i < argc; i++) {
        if (!strncmp(argv[i], "imgsz=", 6)) lo.imgsz[0] = lo.imgsz[1] = atoi(argv[i] + 6);
        else if (!strcmp(argv[i], "unit")) unit = true;
    }
    char err[1024];
    size_t nl = strlen(argv[2]);
    bool tfl = nl > 7 && !strcmp(argv[2] + nl - 7, ".tflite"); /* a .tflite as the export's check runs it */
    Graph *g = tfl ? tflite_read(argv[2], err, sizeof err) : model_load(argv[2], &lo, err, sizeof err);
    if (g && tfl && pass_tflite_runnable(g, err, sizeof err) != 0) {
        graph_free(g);
        g = NULL;
    }
    NpyArray in = {0};
    float *x = NULL;
    Exec *e = NULL;
    int rc = g ? 0 : -1;
    const Tensor *gi = g ? &g->tensors[g->inputs[0]] : NULL;
    if (!rc && unit && !tfl) rc = pass_scale_boxes(g, &g->meta, (int)gi->dims[2], (int)gi->dims[3], true, err, sizeof err);
    if (!rc) rc = npy_read(argv[3], 0, &in, err, sizeof err);
    if (!rc && !(x = npy_to_f32(&in, err, sizeof err))) rc = -1;
    if (!rc && !(e = exec_new(g, err, sizeof err))) rc = -1;
    if (!rc) rc = exec_set_input(e, g->tensors[g->inputs[0]].name, x, in.dims, in.rank, err, sizeof err);
    if (!rc) rc = exec_run(e, NULL, err, sizeof err);
    if (!rc && mkdir(argv[4], 0755) && errno != EEXIST) rc = err_set(err, sizeof err, "%s: %s", argv[4], strerror(errno));
    for (int k = 0; !rc && k < g->n_outputs; k++) {
        int64_t dims[GRAPH_MAX_RANK];
        int rank;
        const float *y = exec_output(e, k, dims, &rank);
        char path[1024];
        snprintf(path, sizeof path, "%s/output%d.npy", argv[4], k);
        if (rank == 4) {
            float *t = to_nhwc(y, dims[1], dims[2], dims[3]);
            int64_t nd[4] = {dims[0], dims[2], dims[3], dims[1]};
            rc = npy_write(path, DT_F32, nd, 4, t, err, sizeof err);
            free(t);
        } else {
            rc = npy_write(path, DT_F32, dims, rank, y, err, sizeof err);
        }
    }
    if (rc) fprintf(stderr, "test_tflite: %s\n", err);
    exec_free(e);
    free(x);
    if (in.data) npy_free(&in);
    graph_free(g);
    return rc ? 1 : 0;
}

static int seeds_main(const char *dir)
{
    mkdir(dir, 0755);
    Graph *g = tiny_graph();
    char err[512], path[512];
    int rc = 0;
    for (int half = 0; half < 2 && !rc; half++) {
        KeyValue kv[] = {{"task", "\"detect\""}, {"names", "{\"0\": \"a\"}"}};
        TfliteOptions o = {.half = half, .metadata_kv = kv, .n_metadata_kv = 2};
        snprintf(path, sizeof path, "%s/tiny_%s.tflite", dir, half ? "float16" : "float32");
        rc = tflite_write(g, &o, path, err, sizeof err);
    }
    size_t len;
    uint8_t *q = int8_model(&len, true);
    snprintf(path, sizeof path, "%s/int8_per_axis.tflite", dir);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(q, 1, len, f);
        fclose(f);
    }
    free(q);
    graph_free(g);
    if (rc) fprintf(stderr, "test_tflite: %s\n", err);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--ref")) return ref_main(argc, argv);
    if (argc > 2 && !strcmp(argv[1], "--seeds")) return seeds_main(argv[2]);
    RUN(test_tiny_round_trip);
    RUN(test_half_and_metadata);
    RUN(test_int8_modes);
    RUN(test_quantisation_parameters);
    RUN(test_refusals);
    RUN(test_config_round_trip);
    RUN(test_config_dynamic);
    RUN(test_op_table);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp_dir());
    if (system(cmd) != 0) printf("# could not remove %s\n", tmp_dir());
    return check_done();
}
