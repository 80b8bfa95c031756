/* test_tui_fixture: a small YOLO-shaped Graph built in code (modules Conv, C2f with
 * Bottlenecks, SPPF, Detect; nodes with shapes and real weights) for the workbench's unit
 * tests, so they run without any model file. */
#ifndef YOLOPORT_TEST_TUI_FIXTURE_H
#define YOLOPORT_TEST_TUI_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "engine/core/graph.h"

static int fx_tensor(Graph *g, const char *name, int64_t c, int64_t h, int64_t w)
{
    int64_t d[4] = {1, c, h, w};
    return graph_add_tensor(g, name, DT_F32, 4, d);
}

static int fx_conv(Graph *g, int module, const char *path, int in, int64_t cin, int64_t cout, int64_t hw)
{
    char name[256];
    int64_t wd[4] = {cout, cin, 3, 3};
    float *data = arena_alloc(g->arena, sizeof(float) * (size_t)(cout * cin * 9));
    for (int64_t i = 0; i < cout * cin * 9; i++) data[i] = (float)((i % 7) - 3) * 0.01f;
    snprintf(name, sizeof name, "%s.conv.weight", path);
    int w = graph_add_const(g, name, DT_F32, 4, wd, data);
    g->tensors[w].is_param = true;
    snprintf(name, sizeof name, "/%s/conv/Conv_output_0", path);
    int out = fx_tensor(g, name, cout, hw, hw);
    int ins[2] = {in, w};
    snprintf(name, sizeof name, "/%s/conv/Conv", path);
    int n = graph_add_node(g, OP_CONV, "Conv", name, module, ins, 2, &out, 1);
    int64_t k[2] = {3, 3};
    node_set_ints(g, n, "kernel_shape", k, 2);
    snprintf(name, sizeof name, "/%s/act/Mul_output_0", path);
    int act = fx_tensor(g, name, cout, hw, hw);
    snprintf(name, sizeof name, "/%s/act/SiLU", path);
    graph_add_node(g, OP_SILU, "SiLU", name, module, &out, 1, &act, 1);
    g->modules[module].out_tensor = act;
    g->modules[module].params += cout * cin * 9;
    for (int p = g->modules[module].parent; p >= 0; p = g->modules[p].parent) g->modules[p].params += cout * cin * 9;
    return act;
}

/* n_layers extra plain Conv layers make the tree as long as a test wants. */
static Graph *fixture_graph(int n_layers)
{
    Graph *g = graph_new();
    g->meta.task = "detect";
    g->meta.model_name = "YOLOfx";
    g->meta.source_format = FMT_YAML;
    g->meta.source_path = "fixture.yaml";
    g->meta.imgsz[0] = g->meta.imgsz[1] = 64;
    g->meta.n_strides = 1;
    g->meta.strides[0] = 32;
    g->meta.channels = 3;
    static const char *names[] = {"person", "bicycle"};
    graph_meta_set_names(g, names, 2);
    int root = graph_add_module(g, "", "DetectionModel", -1);
    int list = graph_add_module(g, "model", "Sequential", root);
    int x = fx_tensor(g, "images", 3, 64, 64);
    g->tensors[x].is_input = true;
    graph_add_input(g, x);
    int m0 = graph_add_module(g, "model.0", "Conv", list);
    x = fx_conv(g, m0, "model.0", x, 3, 8, 32);
    int m1 = graph_add_module(g, "model.1", "C2f", list);
    int cv1 = graph_add_module(g, "model.1.cv1", "Conv", m1);
    x = fx_conv(g, cv1, "model.1.cv1", x, 8, 8, 32);
    int mm = graph_add_module(g, "model.1.m", "ModuleList", m1);
    int b0 = graph_add_module(g, "model.1.m.0", "Bottleneck", mm);
    int b0c = graph_add_module(g, "model.1.m.0.cv1", "Conv", b0);
    x = fx_conv(g, b0c, "model.1.m.0.cv1", x, 8, 8, 32);
    int cv2 = graph_add_module(g, "model.1.cv2", "Conv", m1);
    x = fx_conv(g, cv2, "model.1.cv2", x, 8, 16, 32);
    g->modules[m1].out_tensor = x;
    char path[64];
    int last = 1;
    for (int i = 0; i < n_layers; i++) {
        snprintf(path, sizeof path, "model.%d", 2 + i);
        int m = graph_add_module(g, path, "Conv", list);
        x = fx_conv(g, m, path, x, 16, 16, 16);
        last = 2 + i;
    }
    snprintf(path, sizeof path, "model.%d", last + 1);
    int sppf = graph_add_module(g, path, "SPPF", list);
    char sub[96];
    snprintf(sub, sizeof sub, "%s.cv1", path);
    int s1 = graph_add_module(g, sub, "Conv", sppf);
    x = fx_conv(g, s1, sub, x, 16, 16, 2);
    int pooled = fx_tensor(g, "/sppf/m/MaxPool_output_0", 16, 2, 2);
    graph_add_node(g, OP_MAXPOOL, "MaxPool", "/sppf/m/MaxPool", sppf, &x, 1, &pooled, 1);
    g->modules[sppf].out_tensor = pooled;
    snprintf(path, sizeof path, "model.%d", last + 2);
    int det = graph_add_module(g, path, "Detect", list);
    int64_t od[3] = {1, 6, 4};
    int out = graph_add_tensor(g, "output0", DT_F32, 3, od);
    g->tensors[out].is_output = true;
    graph_add_node(g, OP_RESHAPE, "Reshape", "/detect/Reshape", det, &pooled, 1, &out, 1);
    graph_add_output(g, out);
    g->modules[det].out_tensor = out;
    g->meta.summary = (ModelSummary){.valid = true, .layers = 10 + n_layers, .parameters = graph_param_count(g), .gradients = graph_param_count(g), .gflops = 0.1};
    return g;
}

#endif
