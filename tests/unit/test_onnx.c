/* test_onnx: the ONNX reader on the peer's exports (counts computed with python3-onnx and
 * written here as expectations) and on small hand-built models, good and hostile. */
#include <stdint.h>
#include <sys/stat.h>

#include "formats/onnx.h"
#include "onnx/onnx.pb-c.h"
#include "tests/check.h"

/* ---- helpers ------------------------------------------------------------------------- */

static int count_op(const Graph *g, const char *op_type)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].op_type, op_type)) n++;
    return n;
}

static const Tensor *io(const Graph *g, bool input, int i)
{
    int n = input ? g->n_inputs : g->n_outputs;
    if (i >= n) return NULL;
    return &g->tensors[input ? g->inputs[i] : g->outputs[i]];
}

static bool dims_are(const Tensor *t, int rank, const int64_t *dims)
{
    if (!t || t->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != dims[i]) return false;
    return true;
}

/* A small model built with the generated protobuf-c API:
 *   X[1,4] float (input) + W[1,4] (initializer, raw_data) -> Add -> Y -> Relu -> Z (output)
 * Knobs let each test break one thing. */
typedef struct {
    const char *add_input1;   /* default "W" */
    int64_t w_dims[2];        /* default {1, 4} */
    size_t raw_bytes;         /* default 16 */
    const char *ext_location; /* when set, W is external data at that location */
    const char *ext_offset, *ext_length;
    const char *meta_names;   /* metadata "names" value */
    int opset;                /* default 17 */
    bool w_as_float_data;     /* typed field instead of raw_data */
    const char *second_op;    /* op_type of the second node (default Relu) */
    bool has_axis;            /* give the second node an "axis" attribute */
    int axis;
    bool old_ir;              /* IR 3 / opset 7 style: W also a graph input, untyped attributes */
    bool value_info;          /* a value_info entry for Y: [batch, 4] */
} Tiny;

static uint8_t *tiny_model(const Tiny *k, size_t *len)
{
    static float wdata[64] = {1, 2, 3, 4};
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    Onnx__OperatorSetIdProto os = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__OperatorSetIdProto *osp = &os;
    m.has_ir_version = 1;
    m.ir_version = k->old_ir ? 3 : 8;
    m.producer_name = "test";
    m.producer_version = "1";
    os.domain = "";
    os.has_version = 1;
    os.version = k->opset ? k->opset : k->old_ir ? 7 : 17;
    m.n_opset_import = 1;
    m.opset_import = &osp;
    m.graph = &g;
    g.name = "tiny";

    Onnx__TensorProto w = ONNX__TENSOR_PROTO__INIT;
    Onnx__TensorProto *wp = &w;
    int64_t wd[2] = {k->w_dims[0] ? k->w_dims[0] : 1, k->w_dims[1] ? k->w_dims[1] : 4};
    w.name = "W";
    w.n_dims = 2;
    w.dims = wd;
    w.has_data_type = 1;
    w.data_type = 1;
    Onnx__StringStringEntryProto ext[3] = {ONNX__STRING_STRING_ENTRY_PROTO__INIT, ONNX__STRING_STRING_ENTRY_PROTO__INIT,
                                           ONNX__STRING_STRING_ENTRY_PROTO__INIT};
    Onnx__StringStringEntryProto *extp[3] = {&ext[0], &ext[1], &ext[2]};
    if (k->ext_location) {
        w.has_data_location = 1;
        w.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
        ext[0].key = "location";
        ext[0].value = (char *)k->ext_location;
        size_t n = 1;
        if (k->ext_offset) ext[n].key = "offset", ext[n].value = (char *)k->ext_offset, n++;
        if (k->ext_length) ext[n].key = "length", ext[n].value = (char *)k->ext_length, n++;
        w.n_external_data = n;
        w.external_data = extp;
    } else if (k->w_as_float_data) {
        w.n_float_data = 4;
        w.float_data = wdata;
    } else {
        w.has_raw_data = 1;
        w.raw_data.len = k->raw_bytes ? k->raw_bytes : 16;
        w.raw_data.data = (uint8_t *)wdata;
    }
    g.n_initializer = 1;
    g.initializer = &wp;

    Onnx__TensorShapeProto__Dimension d[2] = {ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT,
                                              ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT};
    Onnx__TensorShapeProto__Dimension *dp[2] = {&d[0], &d[1]};
    d[0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
    d[0].dim_param = "batch";
    d[1].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    d[1].dim_value = 4;
    Onnx__TensorShapeProto shape = ONNX__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 2;
    shape.dim = dp;
    Onnx__TypeProto__Tensor tt = ONNX__TYPE_PROTO__TENSOR__INIT;
    tt.has_elem_type = 1;
    tt.elem_type = 1;
    tt.shape = &shape;
    Onnx__TypeProto type = ONNX__TYPE_PROTO__INIT;
    type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type.tensor_type = &tt;
    Onnx__ValueInfoProto in = ONNX__VALUE_INFO_PROTO__INIT, out = ONNX__VALUE_INFO_PROTO__INIT,
                         win = ONNX__VALUE_INFO_PROTO__INIT, yvi = ONNX__VALUE_INFO_PROTO__INIT;
    Onnx__ValueInfoProto *inp[2] = {&in, &win}, *outp = &out, *yvip = &yvi;
    in.name = "X";
    in.type = &type;
    out.name = "Z";
    out.type = &type;
    win.name = "W";
    g.n_input = k->old_ir ? 2 : 1;
    g.input = inp;
    if (k->value_info) {
        yvi.name = "Y";
        yvi.type = &type;
        g.n_value_info = 1;
        g.value_info = &yvip;
    }
    g.n_output = 1;
    g.output = &outp;

    char *add_in[2] = {"X", (char *)(k->add_input1 ? k->add_input1 : "W")};
    char *add_out[1] = {"Y"};
    char *relu_in[1] = {"Y"};
    char *relu_out[1] = {"Z"};
    Onnx__NodeProto add = ONNX__NODE_PROTO__INIT, relu = ONNX__NODE_PROTO__INIT;
    add.name = "/block.0/add/Add";
    add.op_type = "Add";
    add.n_input = 2;
    add.input = add_in;
    add.n_output = 1;
    add.output = add_out;
    relu.name = "Relu_1";
    relu.op_type = (char *)(k->second_op ? k->second_op : "Relu");
    relu.n_input = 1;
    relu.input = relu_in;
    relu.n_output = 1;
    relu.output = relu_out;
    Onnx__AttributeProto a_alpha = ONNX__ATTRIBUTE_PROTO__INIT, a_mode = ONNX__ATTRIBUTE_PROTO__INIT,
                         a_ints = ONNX__ATTRIBUTE_PROTO__INIT;
    Onnx__AttributeProto *attrs[3] = {&a_alpha, &a_mode, &a_ints};
    int64_t ints[3] = {1, -2, 3};
    a_alpha.name = "alpha";
    a_alpha.has_type = 1;
    a_alpha.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    a_alpha.has_f = 1;
    a_alpha.f = 0.5f;
    a_mode.name = "mode";
    a_mode.has_type = 1;
    a_mode.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    a_mode.has_s = 1;
    a_mode.s.data = (uint8_t *)"nearest";
    a_mode.s.len = 7;
    a_ints.name = "axes";
    a_ints.has_type = 1;
    a_ints.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a_ints.n_ints = 3;
    a_ints.ints = ints;
    Onnx__AttributeProto a_axis = ONNX__ATTRIBUTE_PROTO__INIT;
    Onnx__AttributeProto *attrs4[4] = {&a_alpha, &a_mode, &a_ints, &a_axis};
    a_axis.name = "axis";
    a_axis.has_type = 1;
    a_axis.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a_axis.has_i = 1;
    a_axis.i = k->axis;
    relu.n_attribute = k->has_axis ? 4 : 3;
    relu.attribute = attrs4;
    (void)attrs;
    if (k->old_ir)
        for (int i = 0; i < 4; i++) attrs4[i]->has_type = 0; /* IR < 3 writers left the type out */
    Onnx__NodeProto *nodes[2] = {&add, &relu};
    g.n_node = 2;
    g.node = nodes;

    Onnx__StringStringEntryProto props[6] = {
        ONNX__STRING_STRING_ENTRY_PROTO__INIT, ONNX__STRING_STRING_ENTRY_PROTO__INIT,
        ONNX__STRING_STRING_ENTRY_PROTO__INIT, ONNX__STRING_STRING_ENTRY_PROTO__INIT,
        ONNX__STRING_STRING_ENTRY_PROTO__INIT, ONNX__STRING_STRING_ENTRY_PROTO__INIT};
    Onnx__StringStringEntryProto *propp[6] = {&props[0], &props[1], &props[2], &props[3], &props[4], &props[5]};
    props[0].key = "task", props[0].value = "detect";
    props[1].key = "stride", props[1].value = "32";
    props[2].key = "imgsz", props[2].value = "[320, 256]";
    props[3].key = "names";
    props[3].value = (char *)(k->meta_names ? k->meta_names : "{0: 'a', 1: \"it's\", 2: 'back\\\\slash \\'q\\' \\xe9'}");
    props[4].key = "channels", props[4].value = "1";
    props[5].key = "description", props[5].value = "Ultralytics YOLOtiny model trained on tiny.yaml";
    m.n_metadata_props = 6;
    m.metadata_props = propp;

    *len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(*len);
    onnx__model_proto__pack(&m, buf);
    return buf;
}

static Graph *read_tiny(const Tiny *k, char *err, size_t errlen)
{
    size_t len;
    uint8_t *buf = tiny_model(k, &len);
    Graph *g = onnx_read_buffer(buf, len, "tiny.onnx", err, errlen);
    free(buf);
    return g;
}

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char buf[4][512];
    static int slot;
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/test_onnx.XXXXXX");
        if (!mkdtemp(tmpdir)) return NULL;
    }
    char *b = buf[slot++ % 4];
    snprintf(b, 512, "%s/%s", tmpdir, name);
    return b;
}

static bool write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* ---- peer files ---------------------------------------------------------------------- */

static void test_peer_yolov8n(void)
{
    const char *path = shared_path("reference/peer/yolov8n.onnx");
    if (!path) {
        SKIP("../shared not present");
        return;
    }
    char err[512] = "";
    double t0 = now_seconds();
    Graph *g = onnx_read(path, err, sizeof err);
    double dt = now_seconds() - t0;
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    printf("# yolov8n.onnx read in %.1f ms\n", dt * 1000);
    EXPECT_EQ_INT(g->n_nodes, 261);
    EXPECT_EQ_INT(g->n_inputs, 1);
    EXPECT_EQ_INT(g->n_outputs, 1);
    const Tensor *in = io(g, true, 0), *out = io(g, false, 0);
    EXPECT_EQ_STR(in->name, "images");
    EXPECT_EQ_INT(in->dtype, DT_F32);
    EXPECT(dims_are(in, 4, (int64_t[]){1, 3, 640, 640}));
    EXPECT_EQ_STR(out->name, "output0");
    EXPECT_EQ_INT(out->dtype, DT_F32);
    EXPECT(dims_are(out, 3, (int64_t[]){1, 84, 8400}));
    /* python3 -c 'import onnx,collections; ...Counter(n.op_type for n in m.graph.node)' */
    static const struct { const char *op; int n; } ops[] = {
        {"Add", 9},     {"Concat", 19},  {"Constant", 22}, {"Conv", 64},  {"Div", 2},      {"Gather", 1},
        {"MaxPool", 3}, {"Mul", 60},     {"Reshape", 5},   {"Resize", 2}, {"Shape", 1},    {"Sigmoid", 58},
        {"Slice", 2},   {"Softmax", 1},  {"Split", 9},     {"Sub", 2},    {"Transpose", 1}};
    int total = 0;
    for (size_t i = 0; i < ARRAY_LEN(ops); i++) {
        EXPECT_MSG(count_op(g, ops[i].op) == ops[i].n, "%s: %d != %d", ops[i].op, count_op(g, ops[i].op), ops[i].n);
        total += ops[i].n;
    }
    EXPECT_EQ_INT(total, g->n_nodes);
    EXPECT_EQ_INT(g->meta.opset, 16);
    EXPECT_EQ_INT(g->meta.ir_version, 8);
    EXPECT_EQ_STR(g->meta.producer, "pytorch 1.13.0");
    EXPECT_EQ_STR(format_id_key(g->meta.source_format), "onnx");
    EXPECT_EQ_STR(g->meta.task, "detect");
    EXPECT_EQ_INT(g->meta.n_strides, 1);
    EXPECT_EQ_INT(g->meta.strides[0], 32);
    EXPECT_EQ_INT(g->meta.nc, 80);
    if (g->meta.nc == 80) {
        EXPECT_EQ_STR(g->meta.names[0], "person");
        EXPECT_EQ_STR(g->meta.names[9], "traffic light");
        EXPECT_EQ_STR(g->meta.names[79], "toothbrush");
    }
    EXPECT_EQ_INT(g->meta.imgsz[0], 640);
    EXPECT_EQ_INT(g->meta.imgsz[1], 640);
    EXPECT_EQ_INT(g->meta.channels, 3);
    EXPECT_EQ_STR(g->meta.model_name, "YOLOv8n");
    EXPECT_EQ_STR(g->meta.version, "8.3.185");
    EXPECT_EQ_INT(g->meta.n_props, 13);
    EXPECT_EQ_STR(g->meta.props[0].key, "description");
    EXPECT_EQ_STR(g->meta.props[12].key, "channels");
    EXPECT_EQ_STR(graph_meta_prop(g, "batch"), "1");
    /* parameters: every float initializer (python: sum of numel) = the fused model's count */
    EXPECT_EQ_INT(graph_param_count(g), 3151904);
    /* first node, its module path and weights */
    const Node *n0 = &g->nodes[0];
    EXPECT_EQ_STR(n0->name, "/model.0/conv/Conv");
    EXPECT_EQ_INT(n0->op, OP_CONV);
    EXPECT(n0->module >= 0);
    if (n0->module >= 0) {
        const Module *m = &g->modules[n0->module];
        EXPECT_EQ_STR(m->path, "model.0.conv");
        EXPECT_EQ_STR(m->name, "conv");
        EXPECT_EQ_STR(m->type, "group");
        EXPECT(m->parent >= 0);
        if (m->parent >= 0) EXPECT_EQ_STR(g->modules[m->parent].name, "model.0");
        EXPECT_EQ_INT(m->params, 16 * 3 * 3 * 3 + 16);
    }
    const Tensor *w = &g->tensors[n0->inputs[1]];
    EXPECT_EQ_STR(w->name, "model.0.conv.weight");
    EXPECT(dims_are(w, 4, (int64_t[]){16, 3, 3, 3}));
    EXPECT(w->data != NULL && w->nbytes == 16 * 27 * 4);
    if (w->data) EXPECT_NEAR(((const float *)w->data)[0], -2.0543506, 1e-6);
    EXPECT_EQ_INT(node_attr_ints(n0, "kernel_shape", (int64_t[4]){0}, 4), 2);
    /* 214 name-path groups plus one root-level group for the path-less Constant nodes */
    EXPECT_EQ_INT(g->n_modules, 215);
    int root = graph_find_module(g, "torch_jit");
    EXPECT(root >= 0);
    int ci = -1;
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, "Constant_9")) ci = i;
    EXPECT(ci >= 0 && g->nodes[ci].module == root);
    if (ci >= 0) {
        const Attr *v = node_attr(&g->nodes[ci], "value");
        EXPECT(v && v->type == ATTR_TENSOR && v->tensor >= 0 && g->tensors[v->tensor].data);
    }
    EXPECT(graph_validate(g, err, sizeof err) == 0);
    graph_free(g);
}

static void test_peer_yolo11n_seg(void)
{
    const char *path = shared_path("reference/peer/yolo11n-seg.onnx");
    if (!path) {
        SKIP("../shared not present");
        return;
    }
    char err[512] = "";
    Graph *g = onnx_read(path, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    EXPECT_EQ_INT(g->n_nodes, 391);
    EXPECT_EQ_INT(g->n_outputs, 2);
    EXPECT(dims_are(io(g, true, 0), 4, (int64_t[]){1, 3, 640, 640}));
    EXPECT_EQ_STR(io(g, false, 0)->name, "output0");
    EXPECT(dims_are(io(g, false, 0), 3, (int64_t[]){1, 116, 8400}));
    EXPECT_EQ_STR(io(g, false, 1)->name, "output1");
    EXPECT(dims_are(io(g, false, 1), 4, (int64_t[]){1, 32, 160, 160}));
    static const struct { const char *op; int n; } ops[] = {
        {"Add", 17},   {"Concat", 24},  {"Constant", 30},  {"Conv", 100},     {"ConvTranspose", 1},
        {"Div", 2},    {"Gather", 1},   {"MatMul", 2},     {"MaxPool", 3},    {"Mul", 90},
        {"Reshape", 11}, {"Resize", 2}, {"Shape", 1},      {"Sigmoid", 87},   {"Slice", 2},
        {"Softmax", 2}, {"Split", 11},  {"Sub", 2},        {"Transpose", 3}};
    int total = 0;
    for (size_t i = 0; i < ARRAY_LEN(ops); i++) {
        EXPECT_MSG(count_op(g, ops[i].op) == ops[i].n, "%s: %d != %d", ops[i].op, count_op(g, ops[i].op), ops[i].n);
        total += ops[i].n;
    }
    EXPECT_EQ_INT(total, g->n_nodes);
    EXPECT_EQ_STR(g->meta.task, "segment");
    EXPECT_EQ_INT(g->meta.strides[0], 32);
    EXPECT_EQ_INT(g->meta.nc, 80);
    EXPECT_EQ_INT(g->meta.imgsz[0], 640);
    EXPECT_EQ_STR(g->meta.model_name, "YOLO11n-seg");
    EXPECT_EQ_INT(graph_param_count(g), 2868664);
    EXPECT_EQ_INT(g->n_modules, 336);
    graph_free(g);
}

static void test_sniff(void)
{
    size_t len;
    uint8_t *buf = tiny_model(&(Tiny){0}, &len);
    EXPECT(onnx_sniff(buf, len));
    EXPECT(onnx_sniff(buf, len > 40 ? 40 : len)); /* a prefix is enough */
    free(buf);
    EXPECT(!onnx_sniff((const uint8_t *)"PK\003\004\024\000\000\000", 8));
    EXPECT(!onnx_sniff((const uint8_t *)"backbone:\n  - [-1, 1, Conv]\n", 28));
    EXPECT(!onnx_sniff((const uint8_t *)"\x80\x02}q\x00", 5));
    EXPECT(!onnx_sniff(NULL, 0));
    const char *path = shared_path("reference/peer/yolov8n.onnx");
    if (path) {
        size_t flen;
        char err[256];
        char *file = file_read_all(path, (size_t)1 << 30, &flen, err, sizeof err);
        EXPECT(file && onnx_sniff((const uint8_t *)file, flen));
        EXPECT(file && onnx_sniff((const uint8_t *)file, 4096));
        free(file);
    }
}

/* ---- small models -------------------------------------------------------------------- */

static void test_tiny_model(void)
{
    char err[512] = "";
    Graph *g = read_tiny(&(Tiny){0}, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    EXPECT_EQ_INT(g->n_nodes, 2);
    EXPECT_EQ_INT(g->nodes[0].op, OP_ADD);
    EXPECT_EQ_INT(g->nodes[1].op, OP_RELU);
    const Tensor *x = io(g, true, 0);
    EXPECT_EQ_STR(x->name, "X");
    EXPECT_EQ_INT(x->rank, 2);
    EXPECT_EQ_STR(x->dim_names[0], "batch");
    EXPECT_EQ_INT(x->dims[1], 4);
    const Tensor *w = &g->tensors[g->nodes[0].inputs[1]];
    EXPECT(w->data && w->nbytes == 16 && ((const float *)w->data)[3] == 4.0f);
    EXPECT(w->is_param);
    const Node *relu = &g->nodes[1];
    EXPECT_NEAR(node_attr_float(relu, "alpha", 0), 0.5, 1e-7);
    const Attr *mode = node_attr(relu, "mode");
    EXPECT(mode && mode->type == ATTR_STRING && mode->s_len == 7);
    if (mode) EXPECT_EQ_STR(mode->s, "nearest");
    int64_t axes[4];
    EXPECT_EQ_INT(node_attr_ints(relu, "axes", axes, 4), 3);
    EXPECT_EQ_INT(axes[1], -2);
    /* modules: "/block.0/add/Add" -> block.0 > add; "Relu_1" -> the root-level group */
    EXPECT_EQ_STR(g->modules[g->nodes[0].module].path, "block.0.add");
    EXPECT_EQ_STR(g->modules[g->nodes[1].module].path, "tiny");
    /* metadata: a Python dict with both quote styles, escapes and a non-ASCII escape */
    EXPECT_EQ_INT(g->meta.nc, 3);
    if (g->meta.nc == 3) {
        EXPECT_EQ_STR(g->meta.names[0], "a");
        EXPECT_EQ_STR(g->meta.names[1], "it's");
        EXPECT_EQ_STR(g->meta.names[2], "back\\slash 'q' \xc3\xa9");
    }
    EXPECT_EQ_INT(g->meta.imgsz[0], 320);
    EXPECT_EQ_INT(g->meta.imgsz[1], 256);
    EXPECT_EQ_INT(g->meta.channels, 1);
    EXPECT_EQ_STR(g->meta.data, "tiny.yaml");
    EXPECT_EQ_INT(g->meta.opset, 17);
    graph_free(g);

    g = read_tiny(&(Tiny){.w_as_float_data = true}, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        const Tensor *w2 = &g->tensors[g->nodes[0].inputs[1]];
        EXPECT(w2->data && w2->nbytes == 16 && ((const float *)w2->data)[1] == 2.0f);
        graph_free(g);
    }
}

static void test_old_ir_and_value_info(void)
{
    char err[512] = "";
    Graph *g = read_tiny(&(Tiny){.old_ir = true, .value_info = true, .has_axis = true, .axis = 0}, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (!g) return;
    /* W is an initializer listed among the inputs (IR 3): not a graph input here */
    EXPECT_EQ_INT(g->n_inputs, 1);
    EXPECT_EQ_INT(g->meta.ir_version, 3);
    EXPECT_EQ_INT(g->meta.opset, 7);
    /* untyped attributes: the type comes from the field that is set */
    const Node *n = &g->nodes[1];
    EXPECT_NEAR(node_attr_float(n, "alpha", 0), 0.5, 1e-7);
    const Attr *mode = node_attr(n, "mode");
    EXPECT(mode && mode->type == ATTR_STRING);
    EXPECT_EQ_INT(node_attr_ints(n, "axes", (int64_t[4]){0}, 4), 3);
    EXPECT_EQ_INT(node_attr_int(n, "axis", 99), 0);
    /* value_info gave Y its shape */
    const Tensor *y = &g->tensors[g->nodes[0].outputs[0]];
    EXPECT_EQ_INT(y->rank, 2);
    EXPECT_EQ_STR(y->dim_names[0], "batch");
    EXPECT_EQ_INT(y->dims[1], 4);
    EXPECT_EQ_INT(y->dtype, DT_F32);
    graph_free(g);
}

/* Softmax before opset 13 flattens to 2-D around axis: the IR's per-axis op only when the
 * axis is the last one. */
static void test_old_softmax(void)
{
    char err[512] = "";
    /* X is [batch, 4], value_info makes Y [batch, 4]: default axis 1 is the last axis */
    Graph *g = read_tiny(&(Tiny){.second_op = "Softmax", .opset = 11, .value_info = true}, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_INT(g->nodes[1].op, OP_SOFTMAX);
        EXPECT_EQ_INT(node_attr_int(&g->nodes[1], "axis", 99), -1);
        graph_free(g);
    }
    /* axis 0 over a rank-2 input: a joint softmax over everything, not the IR's op */
    g = read_tiny(&(Tiny){.second_op = "Softmax", .opset = 11, .value_info = true, .has_axis = true, .axis = 0}, err,
                  sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        EXPECT_EQ_INT(g->nodes[1].op, OP_OTHER);
        EXPECT_EQ_STR(g->nodes[1].op_type, "Softmax");
        /* and the writer refuses to give it opset-13 meaning */
        uint8_t *buf = NULL;
        size_t len;
        EXPECT(onnx_serialize(g, &(OnnxWriteOptions){.opset = 13}, &buf, &len, err, sizeof err) == -1);
        EXPECT_CONTAINS(err, "Softmax");
        EXPECT(onnx_serialize(g, &(OnnxWriteOptions){.opset = 11}, &buf, &len, err, sizeof err) == 0);
        free(buf);
        graph_free(g);
    }
    /* unknown rank (no value_info): only axis -1 can be trusted */
    g = read_tiny(&(Tiny){.second_op = "Softmax", .opset = 12}, err, sizeof err);
    EXPECT(g && g->nodes[1].op == OP_OTHER);
    graph_free(g);
    g = read_tiny(&(Tiny){.second_op = "Softmax", .opset = 12, .has_axis = true, .axis = -1}, err, sizeof err);
    EXPECT(g && g->nodes[1].op == OP_SOFTMAX);
    graph_free(g);
    /* opset 13: per-axis already */
    g = read_tiny(&(Tiny){.second_op = "Softmax", .opset = 13, .has_axis = true, .axis = 0}, err, sizeof err);
    EXPECT(g && g->nodes[1].op == OP_SOFTMAX && node_attr_int(&g->nodes[1], "axis", 9) == 0);
    graph_free(g);
}

static void test_names_variants(void)
{
    static const struct { const char *src; int nc; const char *last; } cases[] = {
        {"['x', 'y']", 2, "y"},
        {"{0: 'a', 2: 'c'}", 3, "c"},             /* a gap is filled with the index */
        {"{0: 'caf\\u00e9'}", 1, "caf\xc3\xa9"},
        {"{0: 'unterminated}", 0, NULL},          /* malformed: names left empty */
        {"{99999999999: 'x'}", 0, NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char err[512];
        Graph *g = read_tiny(&(Tiny){.meta_names = cases[i].src}, err, sizeof err);
        EXPECT_MSG(g != NULL, "%s", err);
        if (!g) continue;
        EXPECT_MSG(g->meta.nc == cases[i].nc, "%s: nc %d", cases[i].src, g->meta.nc);
        if (cases[i].last && g->meta.nc == cases[i].nc) EXPECT_EQ_STR(g->meta.names[g->meta.nc - 1], cases[i].last);
        if (g->meta.nc == 3 && i == 1) EXPECT_EQ_STR(g->meta.names[1], "1");
        EXPECT_EQ_STR(graph_meta_prop(g, "names"), cases[i].src);
        graph_free(g);
    }
}

static void test_undefined_input(void)
{
    char err[512] = "";
    Graph *g = read_tiny(&(Tiny){.add_input1 = "ghost"}, err, sizeof err);
    EXPECT(g == NULL);
    graph_free(g);
    EXPECT_CONTAINS(err, "tiny.onnx");
    EXPECT_CONTAINS(err, "/block.0/add/Add");
    EXPECT_CONTAINS(err, "'ghost'");
    /* a later node's output used before it is produced */
    g = read_tiny(&(Tiny){.add_input1 = "Z"}, err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "'Z'");
}

static void test_raw_data_mismatch(void)
{
    char err[512] = "";
    Graph *g = read_tiny(&(Tiny){.raw_bytes = 12}, err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "tensor 'W'");
    EXPECT_CONTAINS(err, "12 bytes");
    EXPECT_CONTAINS(err, "16");
}

static void test_dims_overflow(void)
{
    char err[512] = "";
    Graph *g = read_tiny(&(Tiny){.w_dims = {INT64_MAX / 2, 4}}, err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "'W'");
    EXPECT_CONTAINS(err, "overflow");
    /* fits in int64 but not in memory */
    g = read_tiny(&(Tiny){.w_dims = {INT64_MAX / 8, 2}}, err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "'W'");
}

static void test_truncated_and_garbage(void)
{
    size_t len;
    uint8_t *buf = tiny_model(&(Tiny){0}, &len);
    char err[512];
    int rejected = 0, cuts = 0;
    for (size_t cut = 1; cut < len; cut += 7) {
        err[0] = 0;
        Graph *g = onnx_read_buffer(buf, cut, "cut.onnx", err, sizeof err);
        cuts++;
        if (!g) {
            rejected++;
            EXPECT_CONTAINS(err, "cut.onnx");
        }
        graph_free(g);
    }
    /* every prefix that ends inside the graph is refused */
    EXPECT_MSG(rejected >= cuts - 2, "%d of %d truncations accepted", cuts - rejected, cuts);
    free(buf);
    uint8_t junk[4096];
    uint32_t s = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        s = s * 1103515245u + 12345u;
        junk[i] = (uint8_t)(s >> 16);
    }
    Graph *g = onnx_read_buffer(junk, sizeof junk, "junk.bin", err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "junk.bin: not a valid ONNX model");
    /* a file on disk: the message names the path */
    const char *p = tmp_path("junk.onnx");
    EXPECT(write_file(p, junk, 100));
    g = onnx_read(p, err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, p);
    EXPECT_CONTAINS(err, "not a valid ONNX model");
    g = onnx_read(tmp_path("missing.onnx"), err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "missing.onnx");
    g = onnx_read(tmpdir, err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "directory");
    EXPECT(write_file(tmp_path("empty.onnx"), "", 0));
    g = onnx_read(tmp_path("empty.onnx"), err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "empty.onnx: not a valid ONNX model");
}

static void test_deep_nesting(void)
{
    /* GraphProto.node(1) -> NodeProto.attribute(5) -> AttributeProto.g(6) -> ... nested
     * thousands deep: refused before protobuf-c recurses */
    enum { DEPTH = 5000 };
    size_t cap = DEPTH * 24 + 64, len = 0;
    uint8_t *b = malloc(cap), *tmp = malloc(cap);
    /* innermost: empty graph; wrap outward */
    len = 0;
    for (int i = 0; i < DEPTH; i++) {
        /* attribute { g: <b> } -> node { attribute: <a> } -> graph { node: <n> } */
        static const uint8_t tags[3] = {(6 << 3) | 2, (5 << 3) | 2, (1 << 3) | 2};
        for (int k = 0; k < 3; k++) {
            size_t n = 0;
            tmp[n++] = tags[k];
            size_t v = len;
            do {
                tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                v >>= 7;
            } while (v);
            memcpy(tmp + n, b, len);
            len += n;
            memcpy(b, tmp, len);
            if (len + 16 > cap) break;
        }
    }
    /* model { graph: <b> } */
    size_t n = 0;
    tmp[n++] = (7 << 3) | 2;
    size_t v = len;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    memcpy(tmp + n, b, len);
    char err[256];
    Graph *g = onnx_read_buffer(tmp, n + len, "deep.onnx", err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "nested too deeply");
    free(b);
    free(tmp);
}

static void test_external_data(void)
{
    char err[512] = "";
    const char *model = tmp_path("ext.onnx");
    float w[4] = {5, 6, 7, 8};
    unsigned char blob[20] = {0};
    memcpy(blob + 4, w, 16);
    EXPECT(write_file(tmp_path("weights.bin"), blob, sizeof blob));
    size_t len;

    /* good: offset 4, length 16, beside the model */
    uint8_t *buf = tiny_model(&(Tiny){.ext_location = "weights.bin", .ext_offset = "4", .ext_length = "16"}, &len);
    EXPECT(write_file(model, buf, len));
    Graph *g = onnx_read(model, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        int wi = graph_find_tensor(g, "W");
        EXPECT(wi >= 0 && g->tensors[wi].data && ((const float *)g->tensors[wi].data)[2] == 7.0f);
        EXPECT_EQ_STR(g->tensors[wi].external, "weights.bin");
        graph_free(g);
    }
    /* shapes only: no data read, location kept */
    g = onnx_read_opts(model, &(OnnxReadOptions){.shapes_only = true}, err, sizeof err);
    EXPECT_MSG(g != NULL, "%s", err);
    if (g) {
        int wi = graph_find_tensor(g, "W");
        EXPECT(wi >= 0 && g->tensors[wi].data == NULL && g->tensors[wi].external);
        graph_free(g);
    }
    /* from memory: refused with the tensor and location named */
    g = onnx_read_buffer(buf, len, "mem.onnx", err, sizeof err);
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "'W'");
    EXPECT_CONTAINS(err, "weights.bin");
    free(buf);

    static const struct { Tiny k; const char *want; } bad[] = {
        {{.ext_location = "../etc/passwd"}, "not a plain relative path"},
        {{.ext_location = "/etc/passwd"}, "not a plain relative path"},
        {{.ext_location = "a/../../x"}, "not a plain relative path"},
        {{.ext_location = "nothere.bin"}, "nothere.bin"},
        {{.ext_location = "weights.bin", .ext_offset = "8", .ext_length = "16"}, "runs past"},
        {{.ext_location = "weights.bin", .ext_offset = "99999999999999999999"}, "not a number"},
        {{.ext_location = "weights.bin", .ext_offset = "-4"}, "not a number"},
        {{.ext_location = "weights.bin", .ext_offset = "0", .ext_length = "8"}, "need 16"},
        {{.ext_location = "weights.bin"}, "need 16"}, /* whole file: 20 bytes */
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        buf = tiny_model(&bad[i].k, &len);
        EXPECT(write_file(model, buf, len));
        free(buf);
        err[0] = 0;
        g = onnx_read(model, err, sizeof err);
        EXPECT_MSG(g == NULL, "case %zu accepted", i);
        graph_free(g);
        EXPECT_CONTAINS(err, bad[i].want);
        EXPECT_CONTAINS(err, "'W'");
        EXPECT_CONTAINS(err, "ext.onnx");
    }
}

static void test_budget(void)
{
    /* A graph field declaring a huge packed int64 array inside a small file must be refused
     * without allocating far more than the file holds: 2 MB of one-byte varints asks for
     * 16 MB of int64 — allowed — but nothing larger than the budget is ever requested. */
    size_t n = 2 << 20;
    uint8_t *b = malloc(n + 32);
    size_t p = 0;
    /* model { graph { initializer { dims: packed [1,1,1,...] } } } */
    size_t inner = n, tlen, glen;
    uint8_t hdr[64];
    size_t h = 0;
    /* TensorProto.dims (field 1, packed) */
    uint8_t t_hdr[16];
    size_t th = 0;
    t_hdr[th++] = (1 << 3) | 2;
    for (size_t v = inner;; v >>= 7) {
        t_hdr[th++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f) break;
    }
    tlen = th + inner;
    uint8_t g_hdr[16];
    size_t gh = 0;
    g_hdr[gh++] = (5 << 3) | 2;
    for (size_t v = tlen;; v >>= 7) {
        g_hdr[gh++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f) break;
    }
    glen = gh + tlen;
    hdr[h++] = (7 << 3) | 2;
    for (size_t v = glen;; v >>= 7) {
        hdr[h++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f) break;
    }
    memcpy(b + p, hdr, h), p += h;
    memcpy(b + p, g_hdr, gh), p += gh;
    memcpy(b + p, t_hdr, th), p += th;
    memset(b + p, 1, inner), p += inner;
    char err[256];
    Graph *g = onnx_read_buffer(b, p, "dims.onnx", err, sizeof err);
    /* 2M dims: rank far above the limit */
    EXPECT(g == NULL);
    EXPECT_CONTAINS(err, "dims.onnx");
    free(b);
}

int main(void)
{
    RUN(test_peer_yolov8n);
    RUN(test_peer_yolo11n_seg);
    RUN(test_sniff);
    RUN(test_tiny_model);
    RUN(test_old_ir_and_value_info);
    RUN(test_old_softmax);
    RUN(test_names_variants);
    RUN(test_undefined_input);
    RUN(test_raw_data_mismatch);
    RUN(test_dims_overflow);
    RUN(test_truncated_and_garbage);
    RUN(test_deep_nesting);
    RUN(test_external_data);
    RUN(test_budget);
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) printf("# could not remove %s\n", tmpdir);
    }
    return check_done();
}
