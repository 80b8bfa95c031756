/* test_tfsaved: the GraphDef and SavedModel writers — the messages as TensorFlow reads them
 * (decoded here with the generated protobuf-c code), the frozen-graph shape (fused
 * convolutions split, weights in Const nodes), the serving signature, the checks' refusals and
 * the recognisers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/core/fileio.h"
#include "formats/tfsaved.h"
#include "tensorflow/saved_model.pb-c.h"
#include "tests/check.h"

static Graph *tiny_graph(void)
{
    Graph *g = graph_new();
    int x = graph_add_tensor(g, "images", DT_F32, 4, (int64_t[]){1, 3, 8, 8});
    graph_add_input(g, x);
    float w[4 * 3 * 3 * 3], b[4] = {0.5f, -0.5f, 1, 0};
    for (int i = 0; i < 108; i++) w[i] = (float)i / 100.0f;
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

static const char *tmp(const char *name)
{
    static char dir[256], buf[4][512];
    static int slot;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/test_tfsaved.%d", (int)getpid());
        mkdir(dir, 0755);
    }
    char *b = buf[slot++ % 4];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

static const Tensorflow__NodeDef *find(const Tensorflow__GraphDef *gd, const char *name)
{
    for (size_t i = 0; i < gd->n_node; i++)
        if (!strcmp(gd->node[i]->name, name)) return gd->node[i];
    return NULL;
}

static const Tensorflow__AttrValue *attr(const Tensorflow__NodeDef *n, const char *key)
{
    for (size_t i = 0; n && i < n->n_attr; i++)
        if (!strcmp(n->attr[i]->key, key)) return n->attr[i]->value;
    return NULL;
}

static void test_graphdef(void)
{
    Graph *g = tiny_graph();
    char err[512];
    size_t len;
    uint8_t *buf = tfsaved_graphdef_buffer(g, NULL, &len, err, sizeof err);
    EXPECT_MSG(buf != NULL, "%s", err);
    Tensorflow__GraphDef *gd = buf ? tensorflow__graph_def__unpack(NULL, len, buf) : NULL;
    EXPECT(gd != NULL);
    if (gd) {
        EXPECT(gd->versions && gd->versions->producer > 0);
        const Tensorflow__NodeDef *in = find(gd, "images");
        EXPECT(in && !strcmp(in->op, "Placeholder"));
        const Tensorflow__AttrValue *shape = attr(in, "shape");
        EXPECT(shape && shape->value_case == TENSORFLOW__ATTR_VALUE__VALUE_SHAPE && shape->shape->n_dim == 4 &&
               shape->shape->dim[3]->size == 3);
        /* the fused convolution as TensorFlow writes it: Conv2D, then BiasAdd */
        int convs = 0, biases = 0, fused = 0;
        const Tensorflow__NodeDef *conv = NULL;
        for (size_t i = 0; i < gd->n_node; i++) {
            const char *op = gd->node[i]->op;
            convs += !strcmp(op, "Conv2D");
            biases += !strcmp(op, "BiasAdd");
            fused += op[0] == '_' || !strncmp(op, "Fused", 5);
            if (!strcmp(op, "Conv2D")) conv = gd->node[i];
        }
        EXPECT_EQ_INT(convs, 1);
        EXPECT_EQ_INT(biases, 1);
        EXPECT_EQ_INT(fused, 0);
        if (conv) {
            const Tensorflow__AttrValue *pad = attr(conv, "padding"), *fmt = attr(conv, "data_format");
            EXPECT(pad && pad->value_case == TENSORFLOW__ATTR_VALUE__VALUE_S && pad->s.len == 4 && !memcmp(pad->s.data, "SAME", 4));
            EXPECT(fmt && fmt->s.len == 4 && !memcmp(fmt->s.data, "NHWC", 4));
            EXPECT(attr(conv, "fused_ops") == NULL && attr(conv, "num_args") == NULL);
            /* its filter: a Const of HWIO float32 bytes */
            const Tensorflow__NodeDef *f = conv->n_input > 1 ? find(gd, conv->input[1]) : NULL;
            const Tensorflow__AttrValue *v = attr(f, "value");
            EXPECT(f && !strcmp(f->op, "Const") && v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TENSOR);
            if (v && v->tensor) {
                EXPECT_EQ_INT(v->tensor->dtype, TENSORFLOW__DATA_TYPE__DT_FLOAT);
                EXPECT_EQ_INT(v->tensor->tensor_content.len, 108 * 4);
                EXPECT(v->tensor->tensor_shape->n_dim == 4 && v->tensor->tensor_shape->dim[0]->size == 3 &&
                       v->tensor->tensor_shape->dim[3]->size == 4);
                float w0;
                memcpy(&w0, v->tensor->tensor_content.data + 4, 4); /* HWIO[0,0,0,1] = OIHW[1,0,0,0] */
                EXPECT_NEAR(w0, 27 / 100.0, 1e-7);
            }
        }
        const Tensorflow__NodeDef *out = find(gd, "Identity");
        EXPECT(out && !strcmp(out->op, "Identity"));
        tensorflow__graph_def__free_unpacked(gd, NULL);
    }
    free(buf);
    /* written and checked as a file */
    TfSavedSummary sum;
    EXPECT_MSG(tfsaved_write_pb(g, NULL, tmp("m.pb"), &sum, err, sizeof err) == 0, "%s", err);
    EXPECT_MSG(tfsaved_check_pb(tmp("m.pb"), &sum, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_STR(sum.input_key, "images");
    EXPECT_EQ_STR(sum.output_keys, "Identity");
    EXPECT_EQ_INT(sum.const_bytes >= (108 + 4) * 4, 1);
    EXPECT(tfsaved_sniff_pb(tmp("m.pb")));
    EXPECT(!tfsaved_sniff_saved_model(tmp("m.pb")));
    graph_free(g);
}

static void test_saved_model(void)
{
    Graph *g = tiny_graph();
    char err[512];
    const char *dir = tmp("sm");
    mkdir(dir, 0755);
    TfSavedSummary sum;
    EXPECT_MSG(tfsaved_write_dir(g, NULL, dir, &sum, err, sizeof err) == 0, "%s", err);
    EXPECT_MSG(tfsaved_check_dir(dir, &sum, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_STR(sum.input_key, "images");
    EXPECT_EQ_STR(sum.output_keys, "output_0");
    char vars[600];
    snprintf(vars, sizeof vars, "%s/variables", dir);
    EXPECT(file_is_dir(vars));
    EXPECT(tfsaved_sniff_saved_model(dir));
    EXPECT(!tfsaved_sniff_pb(dir));
    /* the message as TensorFlow reads it: schema 1, one meta graph tagged serve, the signature */
    char pb[600];
    snprintf(pb, sizeof pb, "%s/saved_model.pb", dir);
    size_t len;
    char *buf = file_read_all(pb, 1 << 28, &len, err, sizeof err);
    Tensorflow__SavedModel *sm = buf ? tensorflow__saved_model__unpack(NULL, len, (uint8_t *)buf) : NULL;
    EXPECT(sm != NULL);
    if (sm) {
        EXPECT_EQ_INT(sm->saved_model_schema_version, 1);
        EXPECT_EQ_INT(sm->n_meta_graphs, 1);
        const Tensorflow__MetaGraphDef *mg = sm->meta_graphs[0];
        EXPECT(mg->meta_info_def && mg->meta_info_def->n_tags == 1 && !strcmp(mg->meta_info_def->tags[0], "serve"));
        EXPECT(mg->n_signature_def == 1 && !strcmp(mg->signature_def[0]->key, "serving_default"));
        const Tensorflow__SignatureDef *sd = mg->signature_def[0]->value;
        EXPECT_EQ_STR(sd->method_name, "tensorflow/serving/predict");
        EXPECT(sd->n_inputs == 1 && !strcmp(sd->inputs[0]->key, "images") && !strcmp(sd->inputs[0]->value->name, "images:0"));
        EXPECT(sd->n_outputs == 1 && !strcmp(sd->outputs[0]->key, "output_0") &&
               !strcmp(sd->outputs[0]->value->name, "Identity:0"));
        EXPECT(sd->inputs[0]->value->tensor_shape->n_dim == 4 && sd->inputs[0]->value->tensor_shape->dim[1]->size == 8);
        tensorflow__saved_model__free_unpacked(sm, NULL);
    }
    free(buf);
    graph_free(g);
}

static void test_check_refusals(void)
{
    char err[512];
    /* not a protobuf */
    FILE *f = fopen(tmp("junk.pb"), "wb");
    if (f) {
        fputs("\x0a\xff\xff\xff\xff\x0fnot a graph", f);
        fclose(f);
    }
    EXPECT(tfsaved_check_pb(tmp("junk.pb"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "junk.pb: not a GraphDef");
    /* an input naming no node, and a Const whose bytes do not match its shape */
    Tensorflow__NodeDef a = TENSORFLOW__NODE_DEF__INIT, c = TENSORFLOW__NODE_DEF__INIT;
    a.name = "a";
    a.op = "Identity";
    char *in[] = {"missing:0"};
    a.n_input = 1;
    a.input = in;
    Tensorflow__NodeDef *nodes[] = {&a};
    Tensorflow__GraphDef gd = TENSORFLOW__GRAPH_DEF__INIT;
    gd.n_node = 1;
    gd.node = nodes;
    uint8_t out[4096];
    size_t n = tensorflow__graph_def__pack(&gd, out);
    EXPECT(fileio_write_atomic(tmp("dangling.pb"), out, n, err, sizeof err) == 0);
    EXPECT(tfsaved_check_pb(tmp("dangling.pb"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "a: input missing:0 names no node");
    c.name = "c";
    c.op = "Const";
    Tensorflow__TensorShapeProto__Dim d = TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT, *dims[] = {&d};
    d.size = 4;
    Tensorflow__TensorShapeProto sh = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    sh.n_dim = 1;
    sh.dim = dims;
    Tensorflow__TensorProto tp = TENSORFLOW__TENSOR_PROTO__INIT;
    tp.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    tp.tensor_shape = &sh;
    uint8_t bytes[8] = {0};
    tp.tensor_content.len = 8;
    tp.tensor_content.data = bytes;
    Tensorflow__AttrValue v;
    tensorflow__attr_value__init(&v);
    v.value_case = TENSORFLOW__ATTR_VALUE__VALUE_TENSOR;
    v.tensor = &tp;
    Tensorflow__NodeDef__AttrEntry e = TENSORFLOW__NODE_DEF__ATTR_ENTRY__INIT, *es[] = {&e};
    e.key = "value";
    e.value = &v;
    c.n_attr = 1;
    c.attr = es;
    nodes[0] = &c;
    n = tensorflow__graph_def__pack(&gd, out);
    EXPECT(fileio_write_atomic(tmp("short.pb"), out, n, err, sizeof err) == 0);
    EXPECT(tfsaved_check_pb(tmp("short.pb"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "c: its tensor holds 8 bytes, its shape and type want 16");
    /* a directory without saved_model.pb */
    mkdir(tmp("empty_sm"), 0755);
    EXPECT(tfsaved_check_dir(tmp("empty_sm"), NULL, err, sizeof err) == -1);
    EXPECT_CONTAINS(err, "saved_model.pb");
    EXPECT(!tfsaved_sniff_saved_model(tmp("empty_sm")));
}

int main(void)
{
    RUN(test_graphdef);
    RUN(test_saved_model);
    RUN(test_check_refusals);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf /tmp/test_tfsaved.%d", (int)getpid());
    if (system(cmd) != 0) printf("# cleanup failed\n");
    return check_done();
}
