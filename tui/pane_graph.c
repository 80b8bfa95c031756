/* pane_graph: the Graph screen -- the model's module tree (type, parameters, output shape
 * per row), a details pane for the selected module or node (attributes, inputs/outputs with
 * shapes and dtypes, producers/consumers to follow with Enter, weight statistics), the
 * model summary, and `/` search (engine/query/query.h: names, ops, shapes, attributes and
 * structured terms such as op:Conv out:256; n/N move through the hits, counted "3/17"; f shows
 * only them and their ancestors).  A file's name groups (ONNX, IR) get the kind of module
 * they hold and their last node's output, as a checkpoint's modules have. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/query/query.h"
#include "engine/registry/registry.h"
#include "tui/app.h"
#include "widgets/list.h"
#include "widgets/text.h"
#include "widgets/tree.h"

/* Tree user ids: a module index m is m; a node index n is NODE_USER(n). */
#define NODE_USER(n) (-(n)-2)
#define USER_NODE(u) (-(u)-2)
#define USER_IS_NODE(u) ((u) <= -2)
#define SUMMARY_USER (-1)

typedef struct {
    char *text;
    ThemeSlot slot;
    int link; /* tree user id to follow, or INT_MIN-ish: NO_LINK */
} DetailLine;
#define NO_LINK 0x7fffffff

typedef struct {
    const Graph *graph; /* the graph the tree was built for */
    Tree tree;
    int focus;          /* 0 tree, 1 details */
    DetailLine *lines;
    int n_lines, cap_lines;
    ListState dlist;
    int details_for;    /* user id shown in the details, NO_LINK when none */
    char search[128];
    Query *query;        /* the search, parsed; NULL when none */
    unsigned char *mod_hit, *node_hit; /* per module / node: the query holds */
    int n_hits;          /* rows of the tree (modules and nodes) it holds for */
    bool filter_on;      /* f: only the hits and their ancestors are rows */
    const char **mod_type; /* per module: the type shown (a name group's guessed kind), NULL: its own */
    int *mod_out;        /* per module: the output shown (a name group's last node's), -1: its own */
    int64_t *node_params; /* per node: parameter elements among its inputs */
    int *module_tree;   /* module index -> tree node */
    int *node_tree;     /* node index -> tree node */
    /* layout */
    bool side_by_side;
    bool details_hidden; /* d: the tree takes the whole pane */
    int tree_y, tree_x, tree_h, tree_w, det_y, det_x, det_h, det_w;
    App *app;
    const Graph *weights_seen;
} GraphPane;

static GraphPane *gp_of(Pane *p) { return p->state; }

/* ---- details lines ---------------------------------------------------------------- */

static void det_clear(GraphPane *gp)
{
    for (int i = 0; i < gp->n_lines; i++) free(gp->lines[i].text);
    gp->n_lines = 0;
}

static void det_add(GraphPane *gp, ThemeSlot slot, int link, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void det_add(GraphPane *gp, ThemeSlot slot, int link, const char *fmt, ...)
{
    if (gp->n_lines == gp->cap_lines) {
        gp->cap_lines = gp->cap_lines ? gp->cap_lines * 2 : 64;
        gp->lines = xrealloc(gp->lines, (size_t)gp->cap_lines * sizeof *gp->lines);
    }
    va_list ap;
    va_start(ap, fmt);
    char buf[2048];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    gp->lines[gp->n_lines++] = (DetailLine){xstrdup(buf), slot, link};
}

static const char *dims_text(const Tensor *t, char *buf, size_t len)
{
    if (!t) return "";
    if (t->rank == 0 && !t->data && !t->is_param) return "?"; /* shape not inferred */
    return shape_str(t, buf, len);
}

static void attr_text(const Graph *g, const Attr *a, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    switch (a->type) {
    case ATTR_INT: snprintf(buf, len, "%lld", (long long)a->i); break;
    case ATTR_FLOAT: snprintf(buf, len, "%g", a->f); break;
    case ATTR_STRING: snprintf(buf, len, "\"%s\"", a->s ? a->s : ""); break;
    case ATTR_INTS:
    case ATTR_FLOATS:
    case ATTR_STRINGS:
        o += (size_t)snprintf(buf + o, len - o, "[");
        for (int i = 0; i < a->count && o < len - 8; i++) {
            if (a->type == ATTR_INTS) o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? ", " : "", (long long)a->ints[i]);
            else if (a->type == ATTR_FLOATS) o += (size_t)snprintf(buf + o, len - o, "%s%g", i ? ", " : "", a->floats[i]);
            else o += (size_t)snprintf(buf + o, len - o, "%s\"%s\"", i ? ", " : "", a->strings[i] ? a->strings[i] : "");
        }
        if (o < len - 1) snprintf(buf + o, len - o, "]");
        break;
    case ATTR_TENSOR: {
        const Tensor *t = (a->tensor >= 0 && a->tensor < g->n_tensors) ? &g->tensors[a->tensor] : NULL;
        char s[128];
        snprintf(buf, len, "tensor %s %s", t ? dtype_name(t->dtype) : "?", dims_text(t, s, sizeof s));
        break;
    }
    case ATTR_GRAPH: snprintf(buf, len, "(subgraph)"); break;
    }
}

/* Weight statistics over a tensor's data (f32/f16/bf16/ints); false when no data. */
typedef struct {
    double min, max, mean, std, zeros_pct;
    int64_t n;
} WeightStats;

static bool weight_stats(const Tensor *t, WeightStats *ws)
{
    int64_t n = tensor_numel(t);
    size_t es = dtype_size(t->dtype);
    if (!t->data || n <= 0 || es == 0 || (size_t)n * es > t->nbytes) return false;
    double sum = 0, sq = 0, mn = INFINITY, mx = -INFINITY;
    int64_t zeros = 0;
    const unsigned char *p = t->data;
    for (int64_t i = 0; i < n; i++) {
        double v;
        switch (t->dtype) {
        case DT_F32: { float f; memcpy(&f, p + i * 4, 4); v = f; break; }
        case DT_F64: { double d; memcpy(&d, p + i * 8, 8); v = d; break; }
        case DT_F16: { uint16_t h; memcpy(&h, p + i * 2, 2); v = half_to_float(h); break; }
        case DT_BF16: { uint16_t h; memcpy(&h, p + i * 2, 2); v = bf16_to_float(h); break; }
        case DT_I8: v = ((const int8_t *)p)[i]; break;
        case DT_U8: case DT_BOOL: v = p[i]; break;
        case DT_I32: { int32_t x; memcpy(&x, p + i * 4, 4); v = x; break; }
        case DT_I64: { int64_t x; memcpy(&x, p + i * 8, 8); v = (double)x; break; }
        default: return false;
        }
        if (v == 0) zeros++;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        sum += v;
        sq += v * v;
    }
    ws->n = n;
    ws->min = mn;
    ws->max = mx;
    ws->mean = sum / (double)n;
    double var = sq / (double)n - ws->mean * ws->mean;
    ws->std = var > 0 ? sqrt(var) : 0;
    ws->zeros_pct = 100.0 * (double)zeros / (double)n;
    return true;
}

static void summary_line(const Graph *g, const ModelSummary *s, const char *label, char *buf, size_t len)
{
    char p[32], gr[32];
    snprintf(buf, len, "%s%s summary%s: %lld layers, %s parameters, %s gradients, %.1f GFLOPs",
             g->meta.model_name ? g->meta.model_name : "model", "", label, (long long)s->layers,
             str_thousands(p, sizeof p, s->parameters), str_thousands(gr, sizeof gr, s->gradients), s->gflops);
}

static void details_summary(GraphPane *gp, const Graph *g)
{
    const GraphMeta *m = &g->meta;
    char buf[512];
    det_add(gp, SLOT_TITLE, NO_LINK, "Model");
    if (m->summary.valid) {
        summary_line(g, &m->summary, "", buf, sizeof buf);
        det_add(gp, SLOT_NORMAL, NO_LINK, "%s", buf);
    }
    if (m->fused_summary.valid) {
        summary_line(g, &m->fused_summary, summary_fused_label(&m->fused_summary) ? " (fused)" : "", buf, sizeof buf);
        det_add(gp, SLOT_NORMAL, NO_LINK, "%s", buf);
    }
    if (!m->summary.valid) {
        char p[32];
        det_add(gp, SLOT_NORMAL, NO_LINK, "%d nodes, %d tensors, %s parameters", g->n_nodes, g->n_tensors,
                str_thousands(p, sizeof p, graph_param_count(g)));
    }
    det_add(gp, SLOT_NORMAL, NO_LINK, " ");
    det_add(gp, SLOT_TITLE, NO_LINK, "Metadata");
#define KV(k, v)                                                                  \
    do {                                                                          \
        if ((v) && *(v)) det_add(gp, SLOT_NORMAL, NO_LINK, "%-12s %s", k, (v));   \
    } while (0)
    KV("task", m->task);
    KV("model", m->model_name);
    KV("config", m->yaml_file);
    KV("source", m->source_path);
    const FormatInfo *source_row = registry_row(m->source_format);
    KV("format", source_row ? source_row->name : NULL);
    KV("version", m->version);
    KV("date", m->date);
    KV("data", m->data);
    KV("producer", m->producer);
    if (m->nc > 0) {
        size_t o = 0;
        buf[0] = 0;
        for (int i = 0; i < m->nc && m->names && o < sizeof buf - 40; i++)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%d: %s", i ? ", " : "", i, m->names[i] ? m->names[i] : "");
        if (o >= sizeof buf - 40) snprintf(buf + o, sizeof buf - o, ", ...");
        det_add(gp, SLOT_NORMAL, NO_LINK, "%-12s %d", "classes", m->nc);
        det_add(gp, SLOT_DIM, NO_LINK, "%-12s {%s}", "names", buf);
    }
    if (m->n_strides > 0) {
        size_t o = 0;
        for (int i = 0; i < m->n_strides; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%d", i ? ", " : "", m->strides[i]);
        det_add(gp, SLOT_NORMAL, NO_LINK, "%-12s [%s]", "stride", buf);
    }
    if (m->imgsz[0] > 0) det_add(gp, SLOT_NORMAL, NO_LINK, "%-12s [%d, %d]", "imgsz", m->imgsz[0], m->imgsz[1]);
    if (m->channels > 0) det_add(gp, SLOT_NORMAL, NO_LINK, "%-12s %d", "channels", m->channels);
    if (m->kpt_shape[0] > 0) det_add(gp, SLOT_NORMAL, NO_LINK, "%-12s [%d, %d]", "kpt_shape", m->kpt_shape[0], m->kpt_shape[1]);
    if (m->opset > 0) det_add(gp, SLOT_NORMAL, NO_LINK, "%-12s %lld (IR %lld)", "opset", (long long)m->opset, (long long)m->ir_version);
    det_add(gp, SLOT_NORMAL, NO_LINK, " ");
    det_add(gp, SLOT_TITLE, NO_LINK, "Inputs");
    for (int i = 0; i < g->n_inputs; i++) {
        const Tensor *t = &g->tensors[g->inputs[i]];
        det_add(gp, SLOT_SHAPE, NO_LINK, "  %s  %s %s", t->name, dtype_name(t->dtype), dims_text(t, buf, sizeof buf));
    }
    det_add(gp, SLOT_TITLE, NO_LINK, "Outputs");
    for (int i = 0; i < g->n_outputs; i++) {
        const Tensor *t = &g->tensors[g->outputs[i]];
        det_add(gp, SLOT_SHAPE, t->producer >= 0 ? NODE_USER(t->producer) : NO_LINK, "  %s  %s %s", t->name,
                dtype_name(t->dtype), dims_text(t, buf, sizeof buf));
    }
    if (m->n_train_args > 0) {
        det_add(gp, SLOT_NORMAL, NO_LINK, " ");
        det_add(gp, SLOT_TITLE, NO_LINK, "Training arguments");
        for (int i = 0; i < m->n_train_args; i++)
            det_add(gp, SLOT_DIM, NO_LINK, "  %-14s %s", m->train_args[i].key, m->train_args[i].value);
    }
    if (m->n_props > 0) {
        det_add(gp, SLOT_NORMAL, NO_LINK, " ");
        det_add(gp, SLOT_TITLE, NO_LINK, "Metadata properties");
        for (int i = 0; i < m->n_props; i++) det_add(gp, SLOT_DIM, NO_LINK, "  %-14s %s", m->props[i].key, m->props[i].value);
    }
#undef KV
}

static void details_module(GraphPane *gp, const Graph *g, int mi)
{
    const Module *m = &g->modules[mi];
    char buf[256], p[32];
    det_add(gp, SLOT_TITLE, NO_LINK, "%s  %s", m->path[0] ? m->path : "(model)", m->type);
    det_add(gp, SLOT_NORMAL, NO_LINK, "parameters  %s", str_thousands(p, sizeof p, m->params));
    if (m->out_tensor >= 0 && m->out_tensor < g->n_tensors) {
        const Tensor *t = &g->tensors[m->out_tensor];
        det_add(gp, SLOT_SHAPE, t->producer >= 0 ? NODE_USER(t->producer) : NO_LINK, "output      %s %s  (%s)",
                dtype_name(t->dtype), dims_text(t, buf, sizeof buf), t->name);
    }
    if (m->first_node >= 0)
        det_add(gp, SLOT_NORMAL, NO_LINK, "nodes       %d (%d..%d)", m->last_node - m->first_node + 1, m->first_node, m->last_node);
    if (m->parent >= 0)
        det_add(gp, SLOT_LINK, m->parent, "parent      %s", g->modules[m->parent].path[0] ? g->modules[m->parent].path : "(model)");
    /* children */
    int nchild = 0;
    for (int c = mi + 1; c < g->n_modules; c++)
        if (g->modules[c].parent == mi) nchild++;
    if (nchild) {
        det_add(gp, SLOT_NORMAL, NO_LINK, " ");
        det_add(gp, SLOT_TITLE, NO_LINK, "Submodules (%d)", nchild);
        for (int c = mi + 1; c < g->n_modules; c++)
            if (g->modules[c].parent == mi)
                det_add(gp, SLOT_LINK, c, "  %-10s %-12s %s", g->modules[c].name, g->modules[c].type,
                        str_thousands(p, sizeof p, g->modules[c].params));
    }
    /* inputs of the module: tensors consumed by its nodes but produced outside it */
    if (m->first_node >= 0) {
        det_add(gp, SLOT_NORMAL, NO_LINK, " ");
        det_add(gp, SLOT_TITLE, NO_LINK, "Inputs from");
        int shown = 0;
        for (int n = m->first_node; n <= m->last_node && shown < 16; n++) {
            const Node *nd = &g->nodes[n];
            for (int k = 0; k < nd->n_inputs; k++) {
                int ti = nd->inputs[k];
                if (ti < 0 || ti >= g->n_tensors) continue;
                const Tensor *t = &g->tensors[ti];
                if (t->data) continue;
                if (t->producer >= m->first_node && t->producer <= m->last_node) continue;
                det_add(gp, SLOT_LINK, t->producer >= 0 ? NODE_USER(t->producer) : NO_LINK, "  %s %s",
                        t->is_input ? "(input)" : t->name, dims_text(t, buf, sizeof buf));
                shown++;
            }
        }
    }
}

static void details_tensor_line(GraphPane *gp, const Graph *g, int ti, const char *role)
{
    char buf[256];
    if (ti < 0 || ti >= g->n_tensors) {
        det_add(gp, SLOT_DIM, NO_LINK, "  %s (omitted)", role);
        return;
    }
    const Tensor *t = &g->tensors[ti];
    det_add(gp, SLOT_SHAPE, NO_LINK, "  %-6s %s  %s %s%s", role, t->name, dtype_name(t->dtype), dims_text(t, buf, sizeof buf),
            t->data ? (t->is_param ? "  (weight)" : "  (constant)") : "");
}

static void details_node(GraphPane *gp, const Graph *g, int ni)
{
    const Node *n = &g->nodes[ni];
    char buf[1024];
    det_add(gp, SLOT_TITLE, NO_LINK, "%s  %s", n->op_type, n->name);
    if (n->module >= 0 && n->module < g->n_modules)
        det_add(gp, SLOT_LINK, n->module, "module      %s (%s)", g->modules[n->module].path, g->modules[n->module].type);
    if (n->domain && *n->domain) det_add(gp, SLOT_NORMAL, NO_LINK, "domain      %s", n->domain);
    if (n->n_attrs) {
        det_add(gp, SLOT_NORMAL, NO_LINK, " ");
        det_add(gp, SLOT_TITLE, NO_LINK, "Attributes");
        for (int i = 0; i < n->n_attrs; i++) {
            attr_text(g, &n->attrs[i], buf, sizeof buf);
            det_add(gp, SLOT_NORMAL, NO_LINK, "  %-14s %s", n->attrs[i].name, buf);
        }
    }
    det_add(gp, SLOT_NORMAL, NO_LINK, " ");
    det_add(gp, SLOT_TITLE, NO_LINK, "Inputs");
    for (int i = 0; i < n->n_inputs; i++) {
        int ti = n->inputs[i];
        details_tensor_line(gp, g, ti, "in");
        if (ti >= 0 && ti < g->n_tensors && g->tensors[ti].producer >= 0) {
            const Node *pn = &g->nodes[g->tensors[ti].producer];
            det_add(gp, SLOT_LINK, NODE_USER(g->tensors[ti].producer), "         from %s %s", pn->op_type, pn->name);
        } else if (ti >= 0 && ti < g->n_tensors && g->tensors[ti].is_input) {
            det_add(gp, SLOT_DIM, NO_LINK, "         (graph input)");
        }
    }
    det_add(gp, SLOT_TITLE, NO_LINK, "Outputs");
    for (int i = 0; i < n->n_outputs; i++) {
        int ti = n->outputs[i];
        details_tensor_line(gp, g, ti, "out");
        if (ti < 0 || ti >= g->n_tensors) continue;
        int cons[64];
        int nc = graph_consumers(g, ti, cons, 64);
        for (int k = 0; k < nc && k < 64; k++)
            det_add(gp, SLOT_LINK, NODE_USER(cons[k]), "         to   %s %s", g->nodes[cons[k]].op_type, g->nodes[cons[k]].name);
        if (nc > 64) det_add(gp, SLOT_DIM, NO_LINK, "         ... %d more", nc - 64);
        if (g->tensors[ti].is_output) det_add(gp, SLOT_DIM, NO_LINK, "         (graph output)");
    }
    /* weights */
    bool any = false;
    for (int i = 0; i < n->n_inputs; i++) {
        int ti = n->inputs[i];
        if (ti < 0 || ti >= g->n_tensors || (!g->tensors[ti].data && !g->tensors[ti].is_param)) continue;
        const Tensor *t = &g->tensors[ti];
        if (!any) {
            det_add(gp, SLOT_NORMAL, NO_LINK, " ");
            det_add(gp, SLOT_TITLE, NO_LINK, "Weights");
            any = true;
        }
        char s[128], cnt[32];
        int64_t numel = tensor_numel(t);
        det_add(gp, SLOT_LABEL, NO_LINK, "  %s  %s %s  %s values", t->name, dtype_name(t->dtype), dims_text(t, s, sizeof s),
                str_thousands(cnt, sizeof cnt, numel));
        WeightStats ws;
        /* the browsing graph has shapes only: the statistics come from the weights once the
         * background load has them (same builder, same tensor indices) */
        const Graph *wg = gp->app->weights;
        const Tensor *wt = t;
        if (!t->data && wg && ti < wg->n_tensors && !strcmp(wg->tensors[ti].name, t->name)) wt = &wg->tensors[ti];
        if (weight_stats(wt, &ws))
            det_add(gp, SLOT_NUMBER, NO_LINK, "    min %.4g  max %.4g  mean %.4g  std %.4g  zeros %.1f%%", ws.min, ws.max, ws.mean,
                    ws.std, ws.zeros_pct);
        else det_add(gp, SLOT_DIM, NO_LINK, "    %s", gp->app->weights_load ? "(loading the weights ...)" : "(no data)");
    }
}

static void build_details(GraphPane *gp, const Graph *g, int user)
{
    det_clear(gp);
    gp->details_for = user;
    gp->dlist.sel = 0;
    gp->dlist.top = 0;
    if (!g) return;
    if (user == SUMMARY_USER) details_summary(gp, g);
    else if (USER_IS_NODE(user) && USER_NODE(user) < g->n_nodes) details_node(gp, g, USER_NODE(user));
    else if (user >= 0 && user < g->n_modules) {
        details_module(gp, g, user);
        if (g->modules[user].parent < 0) {
            det_add(gp, SLOT_NORMAL, NO_LINK, " ");
            details_summary(gp, g);
        }
    }
    gp->dlist.count = gp->n_lines;
    list_fix(&gp->dlist);
}

/* ---- tree ------------------------------------------------------------------------- */

static void row_fn(void *ctx, int user, TreeRow *row)
{
    GraphPane *gp = ctx;
    const Graph *g = gp->graph;
    char buf[96];
    if (!g) return;
    if (USER_IS_NODE(user)) {
        int ni = USER_NODE(user);
        const Node *n = &g->nodes[ni];
        const char *nm = n->name;
        const char *slash = strrchr(nm, '/');
        if (slash && slash[1]) nm = slash + 1;
        snprintf(row->name, sizeof row->name, "%s", *nm ? nm : n->op_type);
        snprintf(row->col[0], sizeof row->col[0], "%s", n->op_type);
        row->name_slot = SLOT_TREE_NODE;
        row->col_slot[0] = SLOT_TREE_NODE;
        if (gp->node_params && gp->node_params[ni] > 0) str_thousands(row->col[1], sizeof row->col[1], gp->node_params[ni]);
        if (n->n_outputs > 0 && n->outputs[0] >= 0) snprintf(row->col[2], sizeof row->col[2], "%s", dims_text(&g->tensors[n->outputs[0]], buf, sizeof buf));
        row->match = gp->node_hit && gp->node_hit[ni];
    } else {
        const Module *m = &g->modules[user];
        const char *type = gp->mod_type && gp->mod_type[user] ? gp->mod_type[user] : m->type;
        int out = gp->mod_out && gp->mod_out[user] >= 0 ? gp->mod_out[user] : m->out_tensor;
        snprintf(row->name, sizeof row->name, "%s", m->name[0] ? m->name : (m->type[0] ? m->type : "model"));
        snprintf(row->col[0], sizeof row->col[0], "%s", type);
        row->col_slot[0] = SLOT_TREE_TYPE;
        if (m->params > 0) str_thousands(row->col[1], sizeof row->col[1], m->params);
        if (out >= 0 && out < g->n_tensors) snprintf(row->col[2], sizeof row->col[2], "%s", dims_text(&g->tensors[out], buf, sizeof buf));
        row->match = gp->mod_hit && gp->mod_hit[user];
    }
    row->col_slot[1] = SLOT_NUMBER;
    row->col_slot[2] = SLOT_SHAPE;
}

/* Children of module mi in execution order: submodules by first node, and the module's own
 * nodes. */
typedef struct {
    int key, user;
} Child;

static int cmp_child(const void *a, const void *b)
{
    const Child *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static void add_children(GraphPane *gp, const Graph *g, int mi, int tnode, int **kids, int *nkids, int **own, int *nown)
{
    int n = nkids[mi] + nown[mi];
    if (n == 0) return;
    Child *c = xmalloc(sizeof *c * (size_t)n);
    int k = 0;
    for (int i = 0; i < nkids[mi]; i++) {
        int cm = kids[mi][i];
        c[k++] = (Child){g->modules[cm].first_node >= 0 ? g->modules[cm].first_node : 0x7fffffff, cm};
    }
    for (int i = 0; i < nown[mi]; i++) c[k++] = (Child){own[mi][i], NODE_USER(own[mi][i])};
    qsort(c, (size_t)n, sizeof *c, cmp_child);
    for (int i = 0; i < n; i++) {
        int t = tree_add(&gp->tree, tnode, c[i].user);
        if (USER_IS_NODE(c[i].user)) gp->node_tree[USER_NODE(c[i].user)] = t;
        else {
            gp->module_tree[c[i].user] = t;
            add_children(gp, g, c[i].user, t, kids, nkids, own, nown);
        }
    }
    free(c);
}

static void clear_search(GraphPane *gp)
{
    gp->search[0] = 0;
    query_free(gp->query);
    gp->query = NULL;
    free(gp->mod_hit);
    free(gp->node_hit);
    gp->mod_hit = gp->node_hit = NULL;
    gp->n_hits = 0;
    if (gp->filter_on) tree_set_filter(&gp->tree, NULL);
    gp->filter_on = false;
}

/* A child named name, or name.N (a list's item: the peer's "cv2.0"). */
static bool has_child(const Graph *g, int *const *kids, const int *nkids, int m, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < nkids[m]; i++) {
        const char *c = g->modules[kids[m][i]].name;
        if (!strncmp(c, name, n) && (c[n] == '\0' || c[n] == '.')) return true;
    }
    return false;
}

/* ops[] over module m's subtree: whether an op occurs */
static bool has_op(const Graph *g, int *const *kids, const int *nkids, int *const *own, const int *nown, int m, OpKind op,
                   int depth)
{
    for (int i = 0; i < nown[m]; i++)
        if (g->nodes[own[m][i]].op == op) return true;
    for (int i = 0; i < nkids[m] && depth < 8; i++)
        if (has_op(g, kids, nkids, own, nown, kids[m][i], op, depth + 1)) return true;
    return false;
}

/* A file's name groups (ONNX, OpenVINO, ...) shown as usefully as a checkpoint's modules:
 * each with the kind of Ultralytics module its children's names and ops say it is (conv+act
 * is a Conv, cv1+cv2+m with a Split a C2f, cv2+cv3+dfl a Detect, ...; one op alone is that
 * op), and with the output of its last node. */
static void describe_groups(GraphPane *gp, const Graph *g, int *const *kids, const int *nkids, int *const *own,
                            const int *nown)
{
    int M = g->n_modules;
    bool any = false;
    for (int m = 0; m < M; m++) any |= !strcmp(g->modules[m].type, "group");
    if (!any) return;
    gp->mod_type = xcalloc((size_t)M + 1, sizeof *gp->mod_type);
    gp->mod_out = xmalloc(sizeof(int) * ((size_t)M + 1));
    int *last = xmalloc(sizeof(int) * ((size_t)M + 1));
    for (int m = 0; m < M; m++) gp->mod_out[m] = -1, last[m] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int m = g->nodes[i].module, d = 0; m >= 0 && m < M && d < 64; m = g->modules[m].parent, d++) last[m] = i;
    for (int m = 0; m < M; m++) {
        if (strcmp(g->modules[m].type, "group") != 0) continue;
        if (g->modules[m].out_tensor < 0 && last[m] >= 0 && g->nodes[last[m]].n_outputs > 0)
            gp->mod_out[m] = g->nodes[last[m]].outputs[0];
        const char *kind = NULL;
        bool cv1 = has_child(g, kids, nkids, m, "cv1"), cv2 = has_child(g, kids, nkids, m, "cv2"),
             cv3 = has_child(g, kids, nkids, m, "cv3"), dfl = has_child(g, kids, nkids, m, "dfl");
        if (cv2 && cv3 && dfl) kind = has_child(g, kids, nkids, m, "proto") ? "Segment"
                                      : has_child(g, kids, nkids, m, "cv4") ? "Detect+cv4" : "Detect";
        else if (has_child(g, kids, nkids, m, "conv") && nkids[m] <= 3 &&
                 (has_child(g, kids, nkids, m, "act") || has_child(g, kids, nkids, m, "bn")))
            kind = "Conv";
        else if (cv1 && cv2 && has_op(g, kids, nkids, own, nown, m, OP_MAXPOOL, 0) && !has_child(g, kids, nkids, m, "m.0"))
            kind = "SPPF";
        else if (cv1 && cv2 && cv3) kind = "C3";
        else if (cv1 && cv2 && has_op(g, kids, nkids, own, nown, m, OP_SPLIT, 0)) kind = "C2f";
        else if (cv1 && cv2 && nkids[m] == 2) kind = "Bottleneck";
        else if (!strcmp(g->modules[m].name, "dfl")) kind = "DFL";
        else if (nkids[m] == 0) { /* one op besides constants: that op (Resize is the peer's Upsample) */
            const Node *one = NULL;
            int ops = 0;
            for (int i = 0; i < nown[m]; i++)
                if (g->nodes[own[m][i]].op != OP_CONSTANT) one = &g->nodes[own[m][i]], ops++;
            if (ops == 1) kind = one->op == OP_RESIZE ? "Upsample" : one->op_type;
        }
        gp->mod_type[m] = kind;
    }
    free(last);
}

static void build_tree(GraphPane *gp, const Graph *g)
{
    tree_clear(&gp->tree);
    free(gp->node_params);
    free(gp->module_tree);
    free(gp->node_tree);
    gp->node_params = NULL;
    gp->module_tree = gp->node_tree = NULL;
    gp->graph = g;
    clear_search(gp);
    free(gp->mod_type);
    free(gp->mod_out);
    gp->mod_type = NULL;
    gp->mod_out = NULL;
    if (!g) {
        build_details(gp, NULL, NO_LINK);
        return;
    }
    gp->node_params = xcalloc((size_t)g->n_nodes + 1, sizeof *gp->node_params);
    gp->module_tree = xmalloc(sizeof(int) * ((size_t)g->n_modules + 1));
    gp->node_tree = xmalloc(sizeof(int) * ((size_t)g->n_nodes + 1));
    for (int i = 0; i < g->n_modules; i++) gp->module_tree[i] = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        gp->node_tree[i] = -1;
        const Node *n = &g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++) {
            int ti = n->inputs[k];
            if (ti >= 0 && ti < g->n_tensors && g->tensors[ti].is_param) {
                int64_t e = tensor_numel(&g->tensors[ti]);
                if (e > 0) gp->node_params[i] += e;
            }
        }
    }
    /* child lists per module (plus a pseudo-module g->n_modules for roots) */
    int M = g->n_modules;
    int *nkids = xcalloc((size_t)M + 1, sizeof(int)), *nown = xcalloc((size_t)M + 1, sizeof(int));
    int **kids = xcalloc((size_t)M + 1, sizeof(int *)), **own = xcalloc((size_t)M + 1, sizeof(int *));
    for (int i = 0; i < M; i++) {
        int p = g->modules[i].parent;
        if (p < 0 || p >= M || p >= i) p = M;
        nkids[p]++;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        int m = g->nodes[i].module;
        if (m < 0 || m >= M) m = M;
        nown[m]++;
    }
    for (int i = 0; i <= M; i++) {
        kids[i] = xmalloc(sizeof(int) * (size_t)(nkids[i] + 1));
        own[i] = xmalloc(sizeof(int) * (size_t)(nown[i] + 1));
        nkids[i] = nown[i] = 0;
    }
    for (int i = 0; i < M; i++) {
        int p = g->modules[i].parent;
        if (p < 0 || p >= M || p >= i) p = M;
        kids[p][nkids[p]++] = i;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        int m = g->nodes[i].module;
        if (m < 0 || m >= M) m = M;
        own[m][nown[m]++] = i;
    }
    add_children(gp, g, M, -1, kids, nkids, own, nown);
    describe_groups(gp, g, kids, nkids, own, nown);
    for (int i = 0; i <= M; i++) {
        free(kids[i]);
        free(own[i]);
    }
    free(kids);
    free(own);
    free(nkids);
    free(nown);
    /* open the first two levels (the model and its layer list) when there is one root; a
     * graph of many roots (ONNX name groups) starts folded */
    int roots = 0;
    for (int t = 0; t < gp->tree.n_nodes; t++) roots += gp->tree.nodes[t].parent < 0;
    if (roots <= 3)
        for (int t = 0; t < gp->tree.n_nodes; t++)
            if (gp->tree.nodes[t].depth < 2 && gp->tree.nodes[t].user >= 0) tree_set_expanded(&gp->tree, t, true);
    gp->tree.list.sel = 0;
    gp->tree.list.top = 0;
    int sel = tree_selected(&gp->tree);
    build_details(gp, g, sel >= 0 ? gp->tree.nodes[sel].user : SUMMARY_USER);
}

static void sync_details(GraphPane *gp)
{
    int sel = tree_selected(&gp->tree);
    int user = sel >= 0 ? gp->tree.nodes[sel].user : NO_LINK;
    if (user != gp->details_for) build_details(gp, gp->graph, user);
}

static void follow_link(GraphPane *gp, int user)
{
    const Graph *g = gp->graph;
    if (!g || user == NO_LINK) return;
    int t = -1;
    if (USER_IS_NODE(user)) t = USER_NODE(user) < g->n_nodes ? gp->node_tree[USER_NODE(user)] : -1;
    else if (user >= 0 && user < g->n_modules) t = gp->module_tree[user];
    if (t < 0) return;
    tree_reveal(&gp->tree, t);
    build_details(gp, g, user);
}

/* ---- search ----------------------------------------------------------------------- */

static bool user_hit(const GraphPane *gp, int user)
{
    if (USER_IS_NODE(user)) return gp->node_hit && USER_NODE(user) < gp->graph->n_nodes && gp->node_hit[USER_NODE(user)];
    return gp->mod_hit && user >= 0 && user < gp->graph->n_modules && gp->mod_hit[user];
}

/* The hits' rows and their ancestors: what filter mode shows. */
static void apply_filter(GraphPane *gp)
{
    if (!gp->filter_on) return;
    int n = gp->tree.n_nodes;
    unsigned char *keep = xcalloc((size_t)(n ? n : 1), 1);
    for (int t = 0; t < n; t++)
        if (user_hit(gp, gp->tree.nodes[t].user))
            for (int a = t; a >= 0 && !keep[a]; a = gp->tree.nodes[a].parent) keep[a] = 1;
    tree_set_filter(&gp->tree, keep);
    free(keep);
}

/* Which hit (1-based, in tree order) tree node t is; 0 when it is none. */
static int hit_index(const GraphPane *gp, int t)
{
    if (t < 0 || !user_hit(gp, gp->tree.nodes[t].user)) return 0;
    int k = 0;
    for (int i = 0; i <= t; i++) k += user_hit(gp, gp->tree.nodes[i].user);
    return k;
}

int pane_graph_search(Pane *p, App *app, const char *pattern, int dir)
{
    GraphPane *gp = gp_of(p);
    const Graph *g = gp->graph;
    if (pattern) {
        char err[256] = "";
        Query *q = query_parse(pattern, err, sizeof err);
        if (!q) {
            app_status(app, MSG_ERROR, "search: %s", err);
            return R_REDRAW;
        }
        bool filter = gp->filter_on;
        clear_search(gp);
        snprintf(gp->search, sizeof gp->search, "%s", pattern);
        gp->query = q;
        if (g) {
            gp->mod_hit = xcalloc((size_t)g->n_modules + 1, 1);
            gp->node_hit = xcalloc((size_t)g->n_nodes + 1, 1);
            for (int m = 0; m < g->n_modules; m++)
                gp->mod_hit[m] = query_match_module(q, g, m, gp->mod_type ? gp->mod_type[m] : NULL, gp->mod_out ? gp->mod_out[m] : -1);
            for (int i = 0; i < g->n_nodes; i++) gp->node_hit[i] = query_match_node(q, g, i);
            for (int t = 0; t < gp->tree.n_nodes; t++) gp->n_hits += user_hit(gp, gp->tree.nodes[t].user);
        }
        gp->filter_on = filter;
        apply_filter(gp);
    }
    if (!gp->search[0] || !g) return R_REDRAW;
    int n = gp->tree.n_nodes, cur = tree_selected(&gp->tree);
    if (n == 0) return R_REDRAW;
    if (gp->n_hits == 0) {
        app_status(app, MSG_WARN, "not found: %s  0/0", gp->search);
        return R_REDRAW;
    }
    int step = dir < 0 ? -1 : 1;
    int start = cur < 0 ? 0 : cur;
    /* a new search may match the current row itself */
    for (int k = dir == 0 ? 0 : 1; k <= n; k++) {
        int t = ((start + step * k) % n + n) % n;
        if (user_hit(gp, gp->tree.nodes[t].user)) {
            tree_reveal(&gp->tree, t);
            sync_details(gp);
            bool wrapped = dir != 0 && ((step > 0 && t <= start) || (step < 0 && t >= start));
            app_status(app, MSG_INFO, "%s%s  %d/%d%s", wrapped ? "search wrapped: " : "/", gp->search, hit_index(gp, t),
                       gp->n_hits, gp->filter_on ? "  (filter: f shows every row)" : "  (n/N: next/previous, f: only these)");
            return R_REDRAW;
        }
    }
    return R_REDRAW;
}

/* ---- pane ops --------------------------------------------------------------------- */

static void layout(GraphPane *gp, Pane *p)
{
    int top = p->y + 1; /* the summary line */
    int h = p->h - 1;
    gp->side_by_side = p->w >= 110;
    if (gp->details_hidden) {
        gp->tree_y = top, gp->tree_x = p->x, gp->tree_h = h, gp->tree_w = p->w;
        gp->det_y = top + h, gp->det_x = p->x, gp->det_h = 0, gp->det_w = p->w;
    } else if (gp->side_by_side) {
        int tw = p->w * 58 / 100;
        gp->tree_y = top, gp->tree_x = p->x, gp->tree_h = h, gp->tree_w = tw;
        gp->det_y = top + 1, gp->det_x = p->x + tw + 1, gp->det_h = h - 1, gp->det_w = p->w - tw - 1;
    } else {
        int th = h * 55 / 100;
        if (th < 3) th = 3;
        gp->tree_y = top, gp->tree_x = p->x, gp->tree_h = th, gp->tree_w = p->w;
        gp->det_y = top + th + 1, gp->det_x = p->x, gp->det_h = h - th - 1, gp->det_w = p->w;
    }
    if (gp->det_h < 0) gp->det_h = 0;
    int cw = gp->tree_w >= 90 ? 24 : 18;
    tree_set_column(&gp->tree, 0, "type", gp->tree_w >= 90 ? 14 : 10, -1);
    tree_set_column(&gp->tree, 1, "params", 10, 1);
    tree_set_column(&gp->tree, 2, "output", cw, -1);
}

static void graph_open(Pane *p, App *app)
{
    GraphPane *gp = xcalloc(1, sizeof *gp);
    p->state = gp;
    gp->app = app;
    tree_init(&gp->tree, row_fn, gp);
    gp->details_for = NO_LINK;
    gp->dlist.height = 1;
    build_tree(gp, app->graph);
}

static void graph_close(Pane *p, App *app)
{
    GraphPane *gp = gp_of(p);
    if (!gp) return;
    det_clear(gp);
    free(gp->lines);
    tree_free(&gp->tree);
    clear_search(gp);
    free(gp->mod_type);
    free(gp->mod_out);
    free(gp->node_params);
    free(gp->module_tree);
    free(gp->node_tree);
    free(gp);
    p->state = NULL;
}

static int graph_refresh(Pane *p, App *app)
{
    GraphPane *gp = gp_of(p);
    if (gp->graph != app->graph) {
        build_tree(gp, app->graph);
        return R_REDRAW;
    }
    if (gp->weights_seen != app->weights) { /* the weights arrived: redo the statistics */
        gp->weights_seen = app->weights;
        int keep = gp->dlist.sel, top = gp->dlist.top;
        build_details(gp, app->graph, gp->details_for);
        gp->dlist.sel = keep, gp->dlist.top = top;
        list_fix(&gp->dlist);
        return R_REDRAW;
    }
    return 0;
}

static void graph_resize(Pane *p, App *app) { layout(gp_of(p), p); }

static void graph_draw(Pane *p, App *app, WINDOW *win)
{
    GraphPane *gp = gp_of(p);
    const Theme *th = &app->theme;
    layout(gp, p);
    const Graph *g = app->graph;
    char line[512];
    if (!g) {
        text_draw_pad(win, p->y, p->x, "no model loaded", p->w, theme_attr(th, SLOT_WARNING));
        for (int i = 1; i < p->h; i++) text_fill(win, p->y + i, p->x, p->w, theme_attr(th, SLOT_NORMAL));
        if (app->model_error[0] && p->h > 2) text_draw(win, p->y + 2, p->x + 1, app->model_error, p->w - 2, theme_attr(th, SLOT_ERROR));
        if (p->h > 4) text_draw(win, p->y + 4, p->x + 1, "open one with  :open PATH  (.pt, .onnx, .yaml)", p->w - 2, theme_attr(th, SLOT_DIM));
        return;
    }
    if (g->meta.summary.valid) summary_line(g, &g->meta.summary, "", line, sizeof line);
    else {
        char pc[32];
        snprintf(line, sizeof line, "%s: %d nodes, %s parameters", g->meta.source_path ? g->meta.source_path : "model", g->n_nodes,
                 str_thousands(pc, sizeof pc, graph_param_count(g)));
    }
    text_draw_pad(win, p->y, p->x, line, p->w, theme_attr(th, SLOT_TITLE));
    tree_draw(&gp->tree, win, gp->tree_y, gp->tree_x, gp->tree_h, gp->tree_w, th, gp->focus == 0);
    /* separator and details title */
    int sel = tree_selected(&gp->tree);
    const char *title = "details";
    if (gp->details_hidden) {
        /* nothing: the tree has the pane */
    } else if (gp->side_by_side) {
        for (int i = 0; i < gp->tree_h; i++) text_draw(win, gp->tree_y + i, gp->det_x - 1, th->g.vline, 1, theme_attr(th, SLOT_BORDER));
        rule_draw(win, gp->tree_y, gp->det_x, gp->det_w, title, gp->focus == 1, th);
    } else {
        rule_draw(win, gp->det_y - 1, gp->det_x, gp->det_w, title, gp->focus == 1, th);
    }
    (void)sel;
    gp->dlist.height = gp->det_h > 0 ? gp->det_h : 1;
    gp->dlist.count = gp->n_lines;
    list_fix(&gp->dlist);
    for (int i = 0; i < gp->det_h; i++) {
        int r = gp->dlist.top + i, yy = gp->det_y + i;
        if (r >= gp->n_lines) {
            text_fill(win, yy, gp->det_x, gp->det_w, theme_attr(th, SLOT_NORMAL));
            continue;
        }
        const DetailLine *dl = &gp->lines[r];
        attr_t a = theme_attr(th, dl->slot);
        if (dl->link != NO_LINK && dl->slot != SLOT_LINK) a |= A_UNDERLINE;
        if (gp->focus == 1 && r == gp->dlist.sel) a = theme_attr(th, SLOT_SELECTED);
        text_fill(win, yy, gp->det_x, 1, a);
        int d = text_draw(win, yy, gp->det_x + 1, dl->text, gp->det_w - 1, a);
        text_fill(win, yy, gp->det_x + 1 + d, gp->det_w - 1 - d, gp->focus == 1 && r == gp->dlist.sel ? a : theme_attr(th, SLOT_NORMAL));
    }
}

/* In the details pane, j/k move between lines; Enter follows a link. */
static int details_key(GraphPane *gp, Command cmd)
{
    ListMove m;
    if (command_list_move(cmd, &m)) {
        list_move(&gp->dlist, m);
        return R_HANDLED | R_REDRAW;
    }
    if (cmd == CMD_ENTER || cmd == CMD_RIGHT) {
        if (gp->dlist.sel >= 0 && gp->dlist.sel < gp->n_lines) {
            int link = gp->lines[gp->dlist.sel].link;
            if (link != NO_LINK) {
                follow_link(gp, link);
                /* put the cursor on the first link of the new details */
                for (int i = 0; i < gp->n_lines; i++)
                    if (gp->lines[i].link != NO_LINK) {
                        list_select(&gp->dlist, i);
                        break;
                    }
            }
        }
        return R_HANDLED | R_REDRAW;
    }
    if (cmd == CMD_LEFT) {
        gp->focus = 0;
        return R_HANDLED | R_REDRAW;
    }
    return 0;
}

static int graph_key(Pane *p, App *app, Command cmd, wint_t ch, bool is_key)
{
    GraphPane *gp = gp_of(p);
    if (!app->graph) return 0;
    switch (cmd) {
    case CMD_NEXT_PANE:
    case CMD_PREV_PANE:
        if (gp->details_hidden) return R_HANDLED; /* one pane */
        gp->focus = !gp->focus;
        if (gp->focus == 1) {
            for (int i = 0; i < gp->n_lines; i++)
                if (gp->lines[i].link != NO_LINK) {
                    list_select(&gp->dlist, i);
                    break;
                }
        }
        return R_HANDLED | R_REDRAW;
    case CMD_SUMMARY:
        if (gp->details_hidden) gp->details_hidden = false; /* the summary shows in the details */
        build_details(gp, app->graph, SUMMARY_USER);
        return R_HANDLED | R_REDRAW;
    case CMD_DETAILS:
        gp->details_hidden = !gp->details_hidden;
        if (gp->details_hidden) gp->focus = 0;
        app_status(app, MSG_INFO, "details %s (d)", gp->details_hidden ? "hidden: the tree has the rows" : "shown");
        return R_HANDLED | R_REDRAW;
    default: break;
    }
    if (gp->focus == 1) {
        int r = details_key(gp, cmd);
        if (r) return r;
    }
    ListMove m;
    if (command_list_move(cmd, &m)) {
        list_move(&gp->tree.list, m);
        sync_details(gp);
        return R_HANDLED | R_REDRAW;
    }
    switch (cmd) {
    case CMD_LEFT: tree_left(&gp->tree); break;
    case CMD_RIGHT: tree_right(&gp->tree); break;
    case CMD_TOGGLE: tree_toggle(&gp->tree); break;
    case CMD_ENTER:
        if (!tree_toggle(&gp->tree)) { /* a leaf: go to its details */
            gp->focus = 1;
            for (int i = 0; i < gp->n_lines; i++)
                if (gp->lines[i].link != NO_LINK) {
                    list_select(&gp->dlist, i);
                    break;
                }
        }
        break;
    case CMD_EXPAND_ALL: tree_expand_all(&gp->tree, true); break;
    case CMD_COLLAPSE_ALL: tree_expand_all(&gp->tree, false); break;
    case CMD_SEARCH_NEXT: return R_HANDLED | pane_graph_search(p, app, NULL, 1);
    case CMD_SEARCH_PREV: return R_HANDLED | pane_graph_search(p, app, NULL, -1);
    case CMD_FILTER:
        if (!gp->query) {
            app_status(app, MSG_INFO, "filter: search first (/op:Conv out:256), then f shows only what it finds");
            return R_HANDLED | R_REDRAW;
        }
        gp->filter_on = !gp->filter_on;
        if (gp->filter_on) apply_filter(gp);
        else tree_set_filter(&gp->tree, NULL);
        if (gp->filter_on) {
            int sel = tree_selected(&gp->tree);
            if (sel >= 0) tree_reveal(&gp->tree, sel);
        }
        app_status(app, MSG_INFO, gp->filter_on ? "filter: %d rows match /%s, shown with their ancestors (f: every row)"
                                                : "filter off: every row (%d matched /%s)", gp->n_hits, gp->search);
        break;
    case CMD_BACK:
        if (gp->search[0]) {
            int sel = tree_selected(&gp->tree);
            clear_search(gp);
            if (sel >= 0) tree_reveal(&gp->tree, sel);
            return R_HANDLED | R_REDRAW;
        }
        return 0;
    default: return 0;
    }
    sync_details(gp);
    return R_HANDLED | R_REDRAW;
}

static int graph_mouse(Pane *p, App *app, const MEVENT *ev)
{
    GraphPane *gp = gp_of(p);
    bool wheel_up = ev->bstate & BUTTON4_PRESSED, wheel_down = ev->bstate & (BUTTON5_PRESSED);
    bool in_tree = ev->y >= gp->tree_y && ev->y < gp->tree_y + gp->tree_h && ev->x >= gp->tree_x && ev->x < gp->tree_x + gp->tree_w;
    bool in_det = ev->y >= gp->det_y && ev->y < gp->det_y + gp->det_h && ev->x >= gp->det_x && ev->x < gp->det_x + gp->det_w;
    if (in_tree) {
        if (wheel_up || wheel_down) {
            list_scroll(&gp->tree.list, wheel_up ? -3 : 3);
        } else {
            int r = tree_row_at(&gp->tree, ev->y - gp->tree_y);
            if (r >= 0) {
                bool again = r == gp->tree.list.sel;
                list_select(&gp->tree.list, r);
                /* a click on the expander, or a second click, toggles */
                int node = tree_row_node(&gp->tree, r);
                int ex = gp->tree_x + gp->tree.nodes[node].depth * 2;
                if (again || ev->x == ex || (ev->bstate & BUTTON1_DOUBLE_CLICKED)) tree_toggle(&gp->tree);
            }
            gp->focus = 0;
        }
        sync_details(gp);
        return R_HANDLED | R_REDRAW;
    }
    if (in_det) {
        if (wheel_up || wheel_down) list_scroll(&gp->dlist, wheel_up ? -3 : 3);
        else {
            int r = gp->dlist.top + ev->y - gp->det_y;
            if (r < gp->n_lines) {
                bool again = r == gp->dlist.sel && gp->focus == 1;
                list_select(&gp->dlist, r);
                gp->focus = 1;
                if (again && gp->lines[r].link != NO_LINK) follow_link(gp, gp->lines[r].link);
            }
        }
        return R_HANDLED | R_REDRAW;
    }
    return 0;
}

int pane_graph_selected(Pane *p, int *visible_rows)
{
    GraphPane *gp = gp_of(p);
    if (visible_rows) *visible_rows = tree_row_count(&gp->tree);
    int sel = tree_selected(&gp->tree);
    return sel >= 0 ? gp->tree.nodes[sel].user : -1;
}

static int graph_search(Pane *p, App *app, const char *pattern, int dir) { return pane_graph_search(p, app, pattern, dir); }

const PaneOps pane_graph_ops = {
    .name = "Graph",
    .scope = SCOPE_GRAPH,
    .open = graph_open,
    .draw = graph_draw,
    .key = graph_key,
    .mouse = graph_mouse,
    .resize = graph_resize,
    .close = graph_close,
    .search = graph_search,
    .update = graph_refresh,
};
