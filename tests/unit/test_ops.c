/* test_ops: the op enum and the tables indexed by it — every op has a unique name that
 * op_from_name finds again; the executor has a kernel or an explicit not-executable row for
 * every op; every writer's table has a row for every op (OP_WRITE_UNSET, 0, means nobody
 * filled it in); a writer refuses an op its table marks unsupported by name before it writes
 * anything; the executor refuses ops yoloport does not know by their name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/exec/exec.h"
#include "formats/mnn.h"
#include "formats/ncnn.h"
#include "formats/onnx.h"
#include "formats/openvino.h"
#include "formats/tfjs.h"
#include "formats/tflite.h"
#include "formats/tfsaved.h"
#include "formats/torchscript.h"
#include "tests/check.h"

typedef struct {
    const char *name;
    OpWriteSupport (*support)(OpKind op);
} WriterTable;

static const WriterTable writers[] = {
    {"ONNX", onnx_write_op_support},
    {"OpenVINO", openvino_write_op_support},
    {"TF.js", tfjs_write_op_support},
    {"TF Lite", tflite_write_op_support},
    {"TorchScript", torchscript_write_op_support},
    {"NCNN", ncnn_write_op_support},
    {"MNN", mnn_write_op_support},
};

static void test_names(void)
{
    EXPECT_EQ_STR(op_name(OP_OTHER), "");
    EXPECT_EQ_INT(op_from_name(""), OP_OTHER);
    EXPECT_EQ_INT(op_from_name("NoSuchOp"), OP_OTHER);
    EXPECT_EQ_INT(op_from_name(NULL), OP_OTHER);
    for (int op = 0; op < OP_COUNT; op++) {
        if (op == OP_OTHER) continue;
        const char *name = op_name((OpKind)op);
        EXPECT_MSG(name && *name, "op %d has no name", op);
        if (!name || !*name) continue;
        EXPECT_MSG(op_from_name(name) == (OpKind)op, "%s does not round-trip op_from_name", name);
        for (int other = 0; other < op; other++)
            EXPECT_MSG(strcmp(name, op_name((OpKind)other)) != 0, "%s names two ops", name);
    }
    EXPECT_EQ_STR(op_name(OP_COUNT), "");
}

/* An op given by name that the enum knows becomes that op; an unknown name stays OP_OTHER. */
static void test_add_node_by_name(void)
{
    Graph *g = graph_new();
    int x = graph_add_tensor(g, "x", DT_F32, 1, (int64_t[]){4});
    int y = graph_add_tensor(g, "y", DT_F32, 1, (int64_t[]){4});
    int z = graph_add_tensor(g, "z", DT_F32, 1, (int64_t[]){4});
    int a = graph_add_node(g, OP_OTHER, "Clip", "clip", -1, &x, 1, &y, 1);
    int b = graph_add_node(g, OP_OTHER, "FancyOp", "fancy", -1, &y, 1, &z, 1);
    EXPECT_EQ_INT(g->nodes[a].op, OP_CLIP);
    EXPECT_EQ_INT(g->nodes[b].op, OP_OTHER);
    EXPECT_EQ_STR(node_op_name(&g->nodes[a]), "Clip");
    EXPECT_EQ_STR(node_op_name(&g->nodes[b]), "FancyOp");
    graph_free(g);
}

static void test_executor_table(void)
{
    int kernels = 0;
    for (int op = 0; op < OP_COUNT; op++) {
        ExecOpSupport s = exec_op_support((OpKind)op);
        EXPECT_MSG(s != EXEC_OP_UNSET, "%s has no executor kernel and no not-executable mark",
                   op == OP_OTHER ? "OP_OTHER" : op_name((OpKind)op));
        EXPECT_MSG(exec_op_attrs((OpKind)op) != NULL, "%s: no attribute list", op_name((OpKind)op));
        kernels += s == EXEC_OP_KERNEL;
    }
    EXPECT_EQ_INT(exec_op_support(OP_OTHER), EXEC_OP_NOT_EXECUTABLE);
    EXPECT_EQ_INT(exec_op_support(OP_CONV), EXEC_OP_KERNEL);
    EXPECT_EQ_INT(exec_op_support(OP_COUNT), EXEC_OP_UNSET);
    EXPECT_CONTAINS(exec_op_attrs(OP_CONV), "kernel_shape");
    EXPECT(kernels >= 80); /* the executor ran 83 op types by name before the enum */
}

static void test_writer_tables(void)
{
    for (size_t w = 0; w < ARRAY_LEN(writers); w++)
        for (int op = 0; op < OP_COUNT; op++) {
            OpWriteSupport s = writers[w].support((OpKind)op);
            const char *name = op == OP_OTHER ? "OP_OTHER" : op_name((OpKind)op);
            EXPECT_MSG(s != OP_WRITE_UNSET, "the %s writer's table has no row for %s", writers[w].name, name);
            EXPECT_MSG(s != OP_WRITE_VERBATIM || op == OP_OTHER, "%s: %s marked verbatim", writers[w].name, name);
        }
    /* the formats agree on the basics and differ where they should */
    for (size_t w = 0; w < ARRAY_LEN(writers); w++) EXPECT_EQ_INT(writers[w].support(OP_CONV), OP_WRITE_YES);
    EXPECT_EQ_INT(onnx_write_op_support(OP_OTHER), OP_WRITE_VERBATIM);
    EXPECT_EQ_INT(openvino_write_op_support(OP_OTHER), OP_WRITE_VERBATIM);
    EXPECT_EQ_INT(tfjs_write_op_support(OP_OTHER), OP_WRITE_NO);
    EXPECT_EQ_INT(torchscript_write_op_support(OP_OTHER), OP_WRITE_NO);
    EXPECT_EQ_INT(tfjs_write_op_support(OP_NMS), OP_WRITE_NO);
    EXPECT_EQ_INT(tfjs_write_op_support(OP_GRID_SAMPLE), OP_WRITE_NO);
    EXPECT_EQ_INT(openvino_write_op_support(OP_GRID_SAMPLE), OP_WRITE_YES);
}

/* images [1, 3, 8, 8] -> one node of op (by enum, or by name for OP_OTHER) -> output0. */
static Graph *one_op(OpKind op, const char *type, const char *domain)
{
    Graph *g = graph_new();
    int64_t d[4] = {1, 3, 8, 8};
    int x = graph_add_tensor(g, "images", DT_F32, 4, d), y = graph_add_tensor(g, "output0", DT_F32, 4, d);
    graph_add_input(g, x);
    int n = graph_add_node(g, op, type, "/model.9/odd", -1, &x, 1, &y, 1);
    g->nodes[n].op = op;
    if (domain) g->nodes[n].domain = arena_strdup(g->arena, domain);
    graph_add_output(g, y);
    return g;
}

/* The first op the writer marks unsupported (OP_OTHER for a writer that marks none). */
static OpKind refused_op(OpWriteSupport (*support)(OpKind))
{
    for (int op = 0; op < OP_COUNT; op++)
        if (op != OP_OTHER && support((OpKind)op) == OP_WRITE_NO) return (OpKind)op;
    return OP_OTHER;
}

static bool dir_empty(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
    return system(cmd) == 0;
}

static void test_writers_refuse_by_name(void)
{
    char tmpl[] = "/tmp/test_ops.XXXXXX";
    char *dir = mkdtemp(tmpl);
    EXPECT(dir != NULL);
    if (!dir) return;
    char err[512], path[600];

    /* ONNX: an OpenVINO type (read from an IR) has no ONNX form; nothing is serialised */
    Graph *g = one_op(OP_OTHER, "ScatterUpdate", "openvino:opset3");
    uint8_t *buf = (uint8_t *)"x";
    size_t len = 1;
    EXPECT_EQ_INT(onnx_serialize(g, NULL, &buf, &len, err, sizeof err), -1);
    EXPECT(buf == NULL && len == 0);
    EXPECT_CONTAINS(err, "ScatterUpdate");
    EXPECT_CONTAINS(err, "/model.9/odd");
    graph_free(g);

    /* OpenVINO: an op its table marks unsupported, and an op yoloport does not know */
    OpKind op = refused_op(openvino_write_op_support);
    EXPECT(op != OP_OTHER);
    const char *types[2] = {NULL, "FancyOp"};
    OpKind ops[2] = {op, OP_OTHER};
    for (int i = 0; i < 2; i++) {
        g = one_op(ops[i], types[i], NULL);
        EXPECT_EQ_INT(openvino_write(g, NULL, dir, "m", err, sizeof err), -1);
        EXPECT_CONTAINS(err, i ? "FancyOp" : op_name(op));
        EXPECT_CONTAINS(err, "/model.9/odd");
        EXPECT(dir_empty(dir));
        graph_free(g);
    }

    /* TF.js: the directory is not even created */
    for (int i = 0; i < 2; i++) {
        g = one_op(i ? OP_OTHER : refused_op(tfjs_write_op_support), i ? "FancyOp" : NULL, NULL);
        snprintf(path, sizeof path, "%s/web%d", dir, i);
        EXPECT_EQ_INT(tfjs_write(g, NULL, path, err, sizeof err), -1);
        EXPECT_CONTAINS(err, i ? "FancyOp" : op_name(refused_op(tfjs_write_op_support)));
        EXPECT_CONTAINS(err, "/model.9/odd");
        EXPECT(access(path, F_OK) != 0);
        graph_free(g);
    }

    /* TF Lite and GraphDef (the GraphDef writer takes the TF.js lowering's table) */
    for (int i = 0; i < 2; i++) {
        g = one_op(i ? OP_OTHER : refused_op(tflite_write_op_support), i ? "FancyOp" : NULL, NULL);
        snprintf(path, sizeof path, "%s/m%d.tflite", dir, i);
        EXPECT_EQ_INT(tflite_write(g, NULL, path, err, sizeof err), -1);
        EXPECT_CONTAINS(err, i ? "FancyOp" : op_name(refused_op(tflite_write_op_support)));
        EXPECT_CONTAINS(err, "/model.9/odd");
        graph_free(g);
        g = one_op(i ? OP_OTHER : refused_op(tfjs_write_op_support), i ? "FancyOp" : NULL, NULL);
        snprintf(path, sizeof path, "%s/m%d.pb", dir, i);
        EXPECT_EQ_INT(tfsaved_write_pb(g, NULL, path, NULL, err, sizeof err), -1);
        EXPECT_CONTAINS(err, i ? "FancyOp" : op_name(refused_op(tfjs_write_op_support)));
        EXPECT_CONTAINS(err, "/model.9/odd");
        graph_free(g);
    }

    /* TorchScript */
    for (int i = 0; i < 2; i++) {
        g = one_op(i ? OP_OTHER : refused_op(torchscript_write_op_support), i ? "FancyOp" : NULL, NULL);
        snprintf(path, sizeof path, "%s/m%d.torchscript", dir, i);
        EXPECT_EQ_INT(torchscript_write(g, NULL, path, err, sizeof err), -1);
        EXPECT_CONTAINS(err, i ? "FancyOp" : op_name(refused_op(torchscript_write_op_support)));
        EXPECT_CONTAINS(err, "/model.9/odd");
        graph_free(g);
    }
    EXPECT(dir_empty(dir));
    fileio_remove_tree(dir);
}

static void test_executor_refuses_by_name(void)
{
    char err[512];
    Graph *g = one_op(OP_OTHER, "FancyOp", NULL);
    Exec *e = exec_new(g, err, sizeof err);
    EXPECT(e == NULL);
    EXPECT_CONTAINS(err, "FancyOp");
    EXPECT_CONTAINS(err, "/model.9/odd");
    exec_free(e);
    graph_free(g);
    /* an op the enum knows but the executor does not run: refused by its name */
    g = one_op(OP_HARDMAX, NULL, NULL);
    e = exec_new(g, err, sizeof err);
    EXPECT(e == NULL);
    EXPECT_CONTAINS(err, "Hardmax");
    exec_free(e);
    graph_free(g);
    /* and a node whose input count the op does not allow */
    g = one_op(OP_ADD, NULL, NULL);
    e = exec_new(g, err, sizeof err);
    EXPECT(e == NULL);
    EXPECT_CONTAINS(err, "Add");
    EXPECT_CONTAINS(err, "inputs");
    exec_free(e);
    graph_free(g);
}

int main(void)
{
    RUN(test_names);
    RUN(test_add_node_by_name);
    RUN(test_executor_table);
    RUN(test_writer_tables);
    RUN(test_writers_refuse_by_name);
    RUN(test_executor_refuses_by_name);
    return check_done();
}
