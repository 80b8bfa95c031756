/* torchscript_module: a whole graph as a TorchScript module -- the class its task names,
 * the inputs' names, the forward body emitted node by node through torchscript_code.c's table,
 * the attributes the constants become (see torchscript.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/torchscript_code_impl.h"

/* ---- identifiers ---- */

static const char *const reserved_words[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "self", "training", "forward",
    "torch", "ops", "annotate", "float", "int", "bool", "str", "List", "Tuple", "Optional", "Tensor", "CONSTANTS",
    "Module", "__parameters__", "__buffers__", "print", "len", "range", "getattr", "isinstance", "uninitialized",
};

bool tsc_is_reserved(const char *s)
{
    for (size_t i = 0; i < ARRAY_LEN(reserved_words); i++)
        if (!strcmp(s, reserved_words[i])) return true;
    /* our locals are x<digits> */
    if (s[0] == 'x' && s[1]) {
        const char *p = s + 1;
        while (*p >= '0' && *p <= '9') p++;
        if (!*p) return true;
    }
    return false;
}

/* A Python identifier from a tensor name: "model.0.conv.weight" -> "model_0_conv_weight",
 * "/model.22/anchors" -> "model_22_anchors"; "t_" prefix before a digit; fallback when
 * nothing usable is left. */
char *tsc_identifier(Arena *a, const char *name, const char *fallback)
{
    size_t n = name ? strlen(name) : 0;
    if (n > 200) n = 200;
    char *s = arena_alloc(a, n + 3);
    size_t j = 0;
    bool sep = false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (ok) {
            if (sep && j) s[j++] = '_';
            s[j++] = c;
            sep = false;
        } else if (c == '_' && j) {
            s[j++] = c;
            sep = false;
        } else {
            sep = true;
        }
    }
    s[j] = '\0';
    if (!j) return arena_strdup(a, fallback);
    if (s[0] >= '0' && s[0] <= '9') return arena_printf(a, "t_%s", s);
    return s;
}

static OpWriteSupport node_support(const Node *n) { return torchscript_write_op_support(n->op); }

/* ---- the module ---- */

static const struct {
    const char *task, *cls;
} task_classes[] = {
    {"detect", "DetectionModel"}, {"segment", "SegmentationModel"}, {"pose", "PoseModel"},
    {"obb", "OBBModel"},          {"classify", "ClassificationModel"},
};

static const char *class_for_task(const char *task)
{
    for (size_t i = 0; task && i < ARRAY_LEN(task_classes); i++)
        if (!strcmp(task, task_classes[i].task)) return task_classes[i].cls;
    return "Model";
}

static bool graph_is_dynamic(const Graph *g)
{
    for (int i = 0; i < g->n_inputs; i++) {
        const Tensor *X = &g->tensors[g->inputs[i]];
        for (int d = 0; d < X->rank; d++)
            if (X->dims[d] < 0 || X->dim_names[d]) return true;
    }
    return false;
}

void torchscript_module_free(TorchScriptModule *m)
{
    if (!m) return;
    free(m->class_name);
    free(m->code);
    free(m->attrs);
    if (m->arena) arena_free(m->arena);
    memset(m, 0, sizeof *m);
}

static int fn_node_refused(Gen *G, const Node *n)
{
    return node_support(n) == OP_WRITE_YES ? 0 : tsc_fail(G, "no TorchScript translation for this op");
}

static int translate(Gen *G, TorchScriptModule *out)
{
    const Graph *g = G->g;
    if (graph_validate(g, G->err, G->errlen)) return -1;
    int bad = graph_first_unwritable(g, node_support); /* from the op table, before anything is generated */
    if (bad >= 0) {
        G->node = &g->nodes[bad];
        return fn_node_refused(G, G->node);
    }
    if (g->n_inputs < 1) return tsc_fail(G, "the graph has no inputs");
    if (g->n_outputs < 1) return tsc_fail(G, "the graph has no outputs");
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].producer < 0) G->vals[t] = (Value){.kind = VK_CONST, .data = t};
    /* graph inputs: typed arguments */
    Vec sig = {0};
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        const char *base = tsc_identifier(G->arena, g->tensors[t].name, "input");
        const char *name = base;
        for (int k = 1; tsc_is_reserved(name); k++) name = arena_printf(G->arena, "%s_%d", base, k);
        for (int j = 0; j < i; j++)
            if (!strcmp(name, G->vals[g->inputs[j]].expr)) name = arena_printf(G->arena, "%s_%d", base, i);
        G->vals[t] = (Value){.kind = VK_TENSOR, .expr = name, .data = -1};
        tsc_put(&sig, ",\n    ");
        tsc_put(&sig, name);
        tsc_put(&sig, ": Tensor");
    }
    vec_push(&sig, 1, "");
    G->device_of = G->vals[g->inputs[0]].expr;
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = &g->nodes[i];
        G->node = n;
        if (fn_node_refused(G, n)) {
            vec_free(&sig);
            return -1;
        }
        if (tsc_op(n->op)->emit(G, n)) {
            vec_free(&sig);
            return -1;
        }
    }
    G->node = NULL;
    /* the return statement */
    Vec ret = {0};
    for (int i = 0; i < g->n_outputs; i++) {
        int t = g->outputs[i];
        const char *e = G->vals[t].kind == VK_TENSOR || G->vals[t].kind == VK_CONST ? tsc_tensor_expr(G, t) : NULL;
        if (!e) {
            vec_free(&sig);
            vec_free(&ret);
            return tsc_fail(G, "output '%s' is not a tensor", g->tensors[t].name);
        }
        if (i) tsc_put(&ret, ", ");
        tsc_put(&ret, e);
    }
    vec_push(&ret, 1, "");
    const char *cls = class_for_task(g->meta.task);
    Vec code = {0};
    char buf[512];
    snprintf(buf, sizeof buf, "class %s(Module):\n  __parameters__ = [", cls);
    tsc_put(&code, buf);
    const TorchScriptAttr *at = G->attrs.items;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < G->attrs.len; i++)
            if (at[i].parameter == (pass == 0)) {
                tsc_put(&code, "\"");
                tsc_put(&code, at[i].name);
                tsc_put(&code, "\", ");
            }
        tsc_put(&code, pass == 0 ? "]\n  __buffers__ = [" : "]\n");
    }
    for (size_t i = 0; i < G->attrs.len; i++) {
        tsc_put(&code, "  ");
        tsc_put(&code, at[i].name);
        tsc_put(&code, " : Tensor\n");
    }
    tsc_put(&code, "  training : bool\n");
    snprintf(buf, sizeof buf, "  def forward(self: %s.%s", TORCHSCRIPT_MODULE, cls);
    tsc_put(&code, buf);
    tsc_put(&code, sig.items);
    tsc_put(&code, ") -> ");
    if (g->n_outputs == 1) {
        tsc_put(&code, "Tensor:\n");
    } else {
        tsc_put(&code, "Tuple[");
        for (int i = 0; i < g->n_outputs; i++) tsc_put(&code, i ? ", Tensor" : "Tensor");
        tsc_put(&code, "]:\n");
    }
    vec_push(&G->body, 1, "");
    tsc_put(&code, G->body.items);
    tsc_put(&code, g->n_outputs == 1 ? "    return " : "    return (");
    tsc_put(&code, ret.items);
    tsc_put(&code, g->n_outputs == 1 ? "\n" : ")\n");
    vec_push(&code, 1, "");
    vec_free(&sig);
    vec_free(&ret);
    out->class_name = xstrdup(cls);
    out->code = code.items;
    out->attrs = G->attrs.items;
    out->n_attrs = (int)G->attrs.len;
    G->attrs.items = NULL;
    out->n_inputs = g->n_inputs;
    out->n_outputs = g->n_outputs;
    out->version = G->uses_div ? 4 : 3;
    return 0;
}

int torchscript_codegen(const Graph *g, TorchScriptModule *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!g) return err_set(err, errlen, "no graph");
    Gen G = {.g = g, .err = err, .errlen = errlen};
    if (err && errlen) err[0] = '\0';
    G.arena = arena_new();
    G.vals = xcalloc((size_t)g->n_tensors + 1, sizeof *G.vals);
    G.attr_of = xmalloc(((size_t)g->n_tensors + 1) * sizeof *G.attr_of);
    for (int i = 0; i < g->n_tensors; i++) G.attr_of[i] = -1;
    G.dynamic = graph_is_dynamic(g);
    int rc = translate(&G, out);
    free(G.vals);
    free(G.attr_of);
    vec_free(&G.body);
    if (rc) {
        vec_free(&G.attrs);
        arena_free(G.arena);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->arena = G.arena;
    return 0;
}
