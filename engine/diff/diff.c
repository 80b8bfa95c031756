/* diff: two models side by side, and the nodes that differ (see diff.h). */
#include "engine/diff/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/textwidth.h"
#include "engine/core/util.h"
#include "engine/export/report.h"
#include "engine/passes/graph_equiv.h"
#include "engine/registry/model.h"
#include "engine/registry/registry.h"

struct ModelDiff {
    char path[2][4096];
    Graph *g[2];
    int64_t bytes[2];
    const FormatInfo *fmt[2];
    bool built[2];          /* built from a layer list (and fused) */
    GraphEquiv eq;          /* B against A */
    unsigned char *has[2];  /* per node of A / B: it has a counterpart in the other */
};

/* The fixed input size (h, w) and batch of a stored graph (NCHW, or NHWC for the TensorFlow
 * formats); false when it has none. */
static bool fixed_input(const Graph *g, int *h, int *w, int *batch)
{
    if (g->n_inputs < 1) return false;
    const Tensor *x = &g->tensors[g->inputs[0]];
    FormatId f = g->meta.source_format; /* the TensorFlow family's images are NHWC */
    int hi = f == FMT_TFLITE || f == FMT_PB || f == FMT_SAVED_MODEL || f == FMT_TFJS ? 1 : 2;
    if (x->rank != 4 || x->dims[hi] <= 0 || x->dims[hi + 1] <= 0 || x->dim_names[hi] || x->dim_names[hi + 1]) return false;
    *h = (int)x->dims[hi], *w = (int)x->dims[hi + 1];
    *batch = x->dims[0] > 0 && !x->dim_names[0] ? (int)x->dims[0] : 1;
    return true;
}

ModelDiff *model_diff(const char *a, const char *b, const volatile int *cancel, char *err, size_t errlen)
{
    ModelDiff *d = xcalloc(1, sizeof *d);
    const char *paths[2] = {a, b};
    FormatId ids[2];
    for (int i = 0; i < 2; i++) {
        snprintf(d->path[i], sizeof d->path[i], "%s", paths[i]);
        char msg[1024] = "";
        ids[i] = model_detect(paths[i], msg, sizeof msg);
        d->fmt[i] = registry_row(ids[i]);
        if (!d->fmt[i] || !d->fmt[i]->read) {
            err_set(err, errlen, "%s", msg[0] ? msg : "cannot read the model");
            model_diff_free(d);
            return NULL;
        }
        d->built[i] = d->fmt[i]->read_builds;
    }
    /* a stored graph first: a built one is built at its input size */
    int order[2] = {d->built[0] && !d->built[1] ? 1 : 0, d->built[0] && !d->built[1] ? 0 : 1};
    int h = 0, w = 0, batch = 0;
    for (int k = 0; k < 2; k++) {
        int i = order[k];
        if (cancel && *cancel) {
            err_set(err, errlen, "cancelled");
            model_diff_free(d);
            return NULL;
        }
        LoadOptions lo;
        memset(&lo, 0, sizeof lo);
        lo.fuse = true; /* as an export sees it */
        if (d->built[i] && h > 0) lo.imgsz[0] = h, lo.imgsz[1] = w, lo.batch = batch;
        char msg[1024] = "";
        d->g[i] = model_load(paths[i], &lo, msg, sizeof msg);
        if (!d->g[i]) {
            err_set(err, errlen, "%s", msg);
            model_diff_free(d);
            return NULL;
        }
        if (!d->built[i]) fixed_input(d->g[i], &h, &w, &batch);
        d->bytes[i] = file_exists(paths[i]) ? path_size(paths[i]) : 0;
    }
    for (int i = 0; i < 2; i++) d->has[i] = xcalloc((size_t)d->g[i]->n_nodes + 1, 1);
    graph_equiv_nodes(d->g[0], d->g[1], &d->eq, d->has[0], d->has[1]);
    return d;
}

void model_diff_free(ModelDiff *d)
{
    if (!d) return;
    for (int i = 0; i < 2; i++) {
        if (d->g[i]) graph_free(d->g[i]);
        free(d->has[i]);
    }
    free(d);
}

bool model_diff_same(const ModelDiff *d) { return d->eq.equivalent; }

static int count_without(const ModelDiff *d, int side)
{
    int n = 0;
    for (int i = 0; i < d->g[side]->n_nodes; i++) n += !d->has[side][i];
    return n;
}

int model_diff_nodes_b(const ModelDiff *d) { return count_without(d, 1); }
int model_diff_nodes_a(const ModelDiff *d) { return count_without(d, 0); }

/* ---- the report -------------------------------------------------------------------------- */

static void tensor_line(StrBuf *b, const char *side, const Graph *g, int t)
{
    char shape[256];
    const Tensor *x = &g->tensors[t];
    strbuf_printf(b, "  %s  %-10s %-8s %s\n", side, x->name ? x->name : "?", dtype_name(x->dtype), shape_str(x, shape, sizeof shape));
}

/* One model's facts as key/value texts (the summary's keys, then the file's metadata). */
typedef struct {
    char key[64], value[256];
} Fact;

static int facts(const Graph *g, Fact *out, int max)
{
    int n = 0;
    const GraphMeta *m = &g->meta;
#define FACT(k, ...) do { if (n < max) { snprintf(out[n].key, sizeof out[n].key, "%s", k); snprintf(out[n].value, sizeof out[n].value, __VA_ARGS__); n++; } } while (0)
    FACT("task", "%s", m->task ? m->task : "-");
    FACT("classes", "%d", m->nc);
    int stride = 0;
    for (int i = 0; i < m->n_strides; i++)
        if (m->strides[i] > stride) stride = m->strides[i];
    FACT("stride", "%d", stride);
    FACT("imgsz", "%d,%d", m->imgsz[0], m->imgsz[1]);
    if (m->version) FACT("version", "%s", m->version);
    if (m->date) FACT("date", "%s", m->date);
    if (m->data) FACT("data", "%s", m->data);
    if (m->opset > 0) FACT("opset", "%lld", (long long)m->opset);
    if (m->producer) FACT("producer", "%s", m->producer);
    for (int i = 0; i < m->n_props; i++) {
        if (!m->props[i].key || !strcmp(m->props[i].key, "names")) continue; /* the class count says it */
        char k[64];
        snprintf(k, sizeof k, "meta %s", m->props[i].key);
        FACT(k, "%s", m->props[i].value ? m->props[i].value : "");
    }
#undef FACT
    return n;
}

static const Fact *find_fact(const Fact *f, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i].key, key)) return &f[i];
    return NULL;
}

/* Op types and how many nodes of each, in first-seen order. */
typedef struct {
    const char *op;
    int n[2];
} OpCount;

static int op_counts(const ModelDiff *d, OpCount *out, int max)
{
    int n = 0;
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < d->g[side]->n_nodes; i++) {
            const char *op = d->g[side]->nodes[i].op_type;
            int k = 0;
            while (k < n && strcmp(out[k].op, op)) k++;
            if (k == n) {
                if (n == max) continue;
                out[n++] = (OpCount){op, {0, 0}};
            }
            out[k].n[side]++;
        }
    return n;
}

static void node_lines(StrBuf *b, const ModelDiff *d, int side, int max)
{
    const Graph *g = d->g[side];
    int shown = 0, total = count_without(d, side);
    /* what computes first, in graph order; the constants after */
    for (int k = 0; k < 2 * g->n_nodes && shown < max; k++) {
        int i = k % g->n_nodes;
        bool constant = g->nodes[i].op == OP_CONSTANT;
        if (d->has[side][i] || constant != (k >= g->n_nodes)) continue;
        const Node *n = &g->nodes[i];
        char shape[128] = "";
        if (n->n_outputs > 0 && n->outputs[0] >= 0 && g->tensors[n->outputs[0]].rank > 0)
            shape_str(&g->tensors[n->outputs[0]], shape, sizeof shape);
        strbuf_printf(b, "    %-12s %s  %s\n", n->op_type, n->name && *n->name ? n->name : "(unnamed)", shape);
        shown++;
    }
    if (total > shown) strbuf_printf(b, "    ... and %d more\n", total - shown);
}

/* Where B parts from A, said of A and B (the proof's words are of a source and a written file). */
static const char *first_diff_of_b(const ModelDiff *d)
{
    static __thread char buf[320];
    const char *s = d->eq.first_diff[0] ? d->eq.first_diff : "the outputs hold other values";
    const char *at = strstr(s, "in the source");
    if (at) snprintf(buf, sizeof buf, "%.*sin A%s", (int)(at - s), s, at + strlen("in the source"));
    else snprintf(buf, sizeof buf, "%s", s);
    return buf;
}

char *model_diff_text(const ModelDiff *d, int max_nodes)
{
    if (max_nodes <= 0) max_nodes = 20;
    StrBuf b = {0};
    strbuf_add(&b, "", 0);
    const char *side_name[2] = {"A", "B"};
    for (int i = 0; i < 2; i++) {
        const Graph *g = d->g[i];
        char p[32];
        strbuf_printf(&b, "%s  %s: %s%s, %.1f MB, %s parameters, %d nodes\n", side_name[i], d->path[i], d->fmt[i]->name,
                      d->built[i] ? " (built from its layers and fused, as an export sees it)" : "",
                      report_mib(d->bytes[i]), str_thousands(p, sizeof p, graph_param_count(g)), g->n_nodes);
    }
    /* the verdict first */
    int nb = count_without(d, 1), na = count_without(d, 0);
    if (d->eq.equivalent)
        strbuf_printf(&b, "\nSame computation: B is A node for node (%d nodes%s, %.1f MB of constants byte-identical)\n",
                      d->eq.matched, d->eq.silu_pairs ? ", SiLU as Sigmoid*Mul" : "", d->eq.const_bytes / (1024.0 * 1024.0));
    else
        strbuf_printf(&b, "\nThey part: %s\n%d of B's %d nodes compute what A's do; %d of A's %d nodes have a counterpart in B\n",
                      first_diff_of_b(d), d->g[1]->n_nodes - nb,
                      d->g[1]->n_nodes, d->g[0]->n_nodes - na, d->g[0]->n_nodes);
    strbuf_printf(&b, "\nInputs\n");
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < d->g[i]->n_inputs; k++) tensor_line(&b, side_name[i], d->g[i], d->g[i]->inputs[k]);
    strbuf_printf(&b, "Outputs\n");
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < d->g[i]->n_outputs; k++) tensor_line(&b, side_name[i], d->g[i], d->g[i]->outputs[k]);
    /* parameters and size */
    int64_t pa = graph_param_count(d->g[0]), pb = graph_param_count(d->g[1]);
    char sa[32], sb[32];
    strbuf_printf(&b, "Parameters  A %s  B %s%s\n", str_thousands(sa, sizeof sa, pa), str_thousands(sb, sizeof sb, pb),
                  pa == pb ? "  (the same)" : "");
    strbuf_printf(&b, "Size        A %.1f MB  B %.1f MB", report_mib(d->bytes[0]), report_mib(d->bytes[1]));
    if (d->bytes[0] > 0 && d->bytes[1] > 0) strbuf_printf(&b, "  (B is %.2fx A)", (double)d->bytes[1] / (double)d->bytes[0]);
    strbuf_printf(&b, "\n");
    /* metadata that differs: keys in both with other values, then the keys only one has */
    Fact fa[64], fb[64];
    int nfa = facts(d->g[0], fa, 64), nfb = facts(d->g[1], fb, 64), same = 0, shown = 0;
    StrBuf meta = {0}, only[2] = {{0}, {0}};
    strbuf_add(&meta, "", 0);
    for (int pass = 0; pass < 2; pass++) {
        const Fact *mine = pass ? fb : fa, *other = pass ? fa : fb;
        int nmine = pass ? nfb : nfa, nother = pass ? nfa : nfb;
        for (int i = 0; i < nmine; i++) {
            const Fact *o = find_fact(other, nother, mine[i].key);
            if (!o) {
                if (!only[pass].p) strbuf_add(&only[pass], "", 0);
                strbuf_printf(&only[pass], "%s%s", only[pass].len ? ", " : "", mine[i].key);
                continue;
            }
            if (pass) continue; /* both: seen in the first pass */
            if (!strcmp(o->value, mine[i].value)) {
                same++;
                continue;
            }
            strbuf_printf(&meta, "  %s  A %.60s%s  B %.60s%s\n", mine[i].key, mine[i].value,
                          strlen(mine[i].value) > 60 ? "..." : "", o->value, strlen(o->value) > 60 ? "..." : "");
            shown++;
        }
    }
    strbuf_printf(&b, "Metadata: %d key%s the same, %d with other values%s\n%s", same, same == 1 ? "" : "s", shown,
                  shown ? ":" : "", meta.p);
    for (int i = 0; i < 2; i++)
        if (only[i].p) strbuf_printf(&b, "  only in %s: %s\n", side_name[i], only[i].p);
    free(meta.p);
    free(only[0].p);
    free(only[1].p);
    /* op counts that differ */
    OpCount oc[128];
    int noc = op_counts(d, oc, 128), differ = 0;
    for (int i = 0; i < noc; i++) differ += oc[i].n[0] != oc[i].n[1];
    strbuf_printf(&b, "Ops: %d kind%s, %d with other counts%s\n", noc, noc == 1 ? "" : "s", differ, differ ? ":" : "");
    for (int i = 0; i < noc; i++)
        if (oc[i].n[0] != oc[i].n[1]) strbuf_printf(&b, "  %-20s A %4d  B %4d  (%+d)\n", oc[i].op, oc[i].n[0], oc[i].n[1], oc[i].n[1] - oc[i].n[0]);
    /* the nodes */
    if (!d->eq.equivalent) {
        strbuf_printf(&b, "Nodes of B with no counterpart in A (%d):\n", nb);
        node_lines(&b, d, 1, max_nodes);
        strbuf_printf(&b, "Nodes of A with no counterpart in B (%d):\n", na);
        node_lines(&b, d, 0, max_nodes);
    }
    /* ASCII apart from the names: the caller escapes what it prints */
    char *ascii = textwidth_ascii_symbols(b.p);
    free(b.p);
    return ascii;
}
