/* exec_memplan: lays a graph's activations out in the Exec's region, from what a recording
 * run learnt (sizes, shapes, which node produced each tensor, which output took over an
 * input's buffer in place).
 *
 * Tensors are grouped into buffers: a tensor that took over its input's buffer shares it
 * (unless something still reads an overlapping part later: then that op is told to copy,
 * through no_consume); Split outputs are views at offsets into their input; a Concat's
 * output buffer holds its inputs' buffers at their offsets, so their producers write
 * straight into it and the Concat copies nothing.  Splits and Concats are only laid out in
 * place when their outer extent (the dims before the axis) is 1, so that each part is one
 * contiguous run.  Each buffer lives from its first member's production to its last
 * member's last reader; buffers are then placed greedily, largest first, at the lowest
 * offset free during their lifetime.  Kernels see planned memory through value_alloc and
 * skip a copy whose source and destination already coincide.  The staging buffers of a
 * half-precision graph (float32 copies of one node's float16 values, e->srec) are buffers
 * too, alive during their node only. */
#include "engine/exec/exec_impl.h"

#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"

#define PLAN_ALIGN 64

typedef struct {
    const Exec *e;
    int n;          /* tensors */
    int *parent;    /* the buffer a tensor sits in (a tensor index), -1 for a root */
    int64_t *rel;   /* its byte offset inside parent */
    int64_t *size;  /* exact bytes (-1: not planned) */
    int *start, *end; /* lifetime in node indices, inclusive */
} Planner;

static bool planned_tensor(const Planner *pl, int t) { return t >= 0 && t < pl->n && pl->size[t] >= 0; }

/* The root buffer of t and t's offset in it. */
static int find_root(const Planner *pl, int t, int64_t *off)
{
    int64_t o = 0;
    while (pl->parent[t] >= 0) {
        o += pl->rel[t];
        t = pl->parent[t];
    }
    *off = o;
    return t;
}

/* Whether node ni may overwrite tensor s's bytes in place: no other tensor overlapping them
 * in the same buffer is read at or after ni. */
static bool move_safe(const Planner *pl, int s, int ni)
{
    int64_t so;
    int r = find_root(pl, s, &so);
    for (int u = 0; u < pl->n; u++) {
        if (u == s || !planned_tensor(pl, u) || pl->end[u] < ni || pl->start[u] > ni) continue;
        int64_t uo;
        if (find_root(pl, u, &uo) != r) continue;
        if (uo < so + pl->size[s] && so < uo + pl->size[u]) return false;
    }
    return true;
}

static int64_t outer_extent(const MemRec *r, int64_t axis_attr, int *axis)
{
    int64_t a = axis_attr < 0 ? axis_attr + r->rank : axis_attr;
    if (a < 0 || a >= r->rank) return -1;
    *axis = (int)a;
    int64_t outer = 1;
    for (int i = 0; i < a; i++) outer *= r->dims[i];
    return outer;
}

/* Split with an outer extent of 1: every output a view of its input. */
static void plan_split(Planner *pl, const Node *n)
{
    const Exec *e = pl->e;
    int x = n->n_inputs > 0 ? n->inputs[0] : -1, axis;
    if (!planned_tensor(pl, x) || outer_extent(&e->rec[x], node_attr_int(n, "axis", 0), &axis) != 1) return;
    int64_t off = 0;
    for (int k = 0; k < n->n_outputs; k++) {
        int t = n->outputs[k];
        if (!planned_tensor(pl, t) || e->rec[t].type != e->rec[x].type || pl->parent[t] >= 0) return;
        off += pl->size[t];
    }
    if (off != pl->size[x]) return;
    off = 0;
    for (int k = 0; k < n->n_outputs; k++) {
        int t = n->outputs[k];
        pl->parent[t] = x;
        pl->rel[t] = off;
        off += pl->size[t];
    }
}

/* Concat with an outer extent of 1: each input's buffer placed inside the output's, where
 * the input's bytes go, when that buffer holds exactly the inputs it brings. */
static void plan_concat(Planner *pl, const Node *n)
{
    const Exec *e = pl->e;
    int o = n->n_outputs > 0 ? n->outputs[0] : -1, axis;
    if (!planned_tensor(pl, o) || pl->parent[o] >= 0 || n->n_inputs > 64) return;
    if (outer_extent(&e->rec[o], node_attr_int(n, "axis", 0), &axis) != 1) return;
    int64_t offs[64], total = 0;
    for (int i = 0; i < n->n_inputs; i++) {
        int t = n->inputs[i];
        if (t < 0) return;
        for (int j = 0; j < i; j++)
            if (n->inputs[j] == t) return; /* the same tensor twice */
        offs[i] = total;
        total += planned_tensor(pl, t) ? pl->size[t] : e->vals[t].numel * (int64_t)value_esize(e->vals[t].type);
    }
    if (total != pl->size[o]) return;
    for (int i = 0; i < n->n_inputs; i++) {
        int t = n->inputs[i];
        if (!planned_tensor(pl, t) || e->rec[t].type != e->rec[o].type || e->pinned[t]) continue;
        int64_t to;
        int r = find_root(pl, t, &to);
        if (r == o) continue;
        int64_t d = offs[i] - to, covered = 0;
        bool ok = d >= 0 && d + pl->size[r] <= pl->size[o];
        /* every input in buffer r must land where r puts it, and r must hold nothing else */
        for (int j = 0; j < n->n_inputs && ok; j++) {
            int u = n->inputs[j];
            int64_t uo;
            if (!planned_tensor(pl, u) || find_root(pl, u, &uo) != r) continue;
            if (offs[j] - uo != d || e->rec[u].type != e->rec[o].type || e->pinned[u]) ok = false;
            covered += pl->size[u];
        }
        if (!ok || covered != pl->size[r]) continue;
        pl->parent[r] = o;
        pl->rel[r] = d;
    }
}

typedef struct {
    int root;
    int64_t size; /* rounded */
    int start, end;
    int64_t off;
} PlanBuf;

static int by_size_desc(const void *a, const void *b)
{
    const PlanBuf *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->root - y->root;
}

static int by_off(const void *a, const void *b)
{
    const PlanBuf *x = *(const PlanBuf *const *)a, *y = *(const PlanBuf *const *)b;
    return x->off < y->off ? -1 : x->off > y->off;
}

void exec_mem_plan(Exec *e)
{
    const Graph *g = e->g;
    int nt = g->n_tensors, nn = g->n_nodes;
    Planner pl = {.e = e, .n = nt};
    pl.parent = xmalloc(sizeof(int) * (size_t)(nt ? nt : 1));
    pl.rel = xcalloc((size_t)(nt ? nt : 1), sizeof(int64_t));
    pl.size = xmalloc(sizeof(int64_t) * (size_t)(nt ? nt : 1));
    pl.start = xmalloc(sizeof(int) * (size_t)(nt ? nt : 1));
    pl.end = xmalloc(sizeof(int) * (size_t)(nt ? nt : 1));
    for (int t = 0; t < nt; t++) {
        const Tensor *tt = &g->tensors[t];
        bool produced = e->rec[t].bytes >= 0 && tt->producer >= 0 && !tt->is_input;
        pl.parent[t] = -1;
        pl.size[t] = produced ? e->rec[t].bytes : -1;
        pl.start[t] = e->rec[t].node;
        pl.end[t] = e->keep_all || e->pinned[t] ? nn : e->last_use[t] >= 0 ? e->last_use[t] : e->rec[t].node;
        if (pl.end[t] < pl.start[t]) pl.end[t] = pl.start[t];
        e->no_consume[t] = false;
    }
    /* buffers shared in place, node by node */
    for (int ni = 0; ni < nn; ni++) {
        const Node *n = &g->nodes[ni];
        for (int k = 0; k < n->n_outputs; k++) {
            int t = n->outputs[k], s = t >= 0 ? e->rec[t].move_from : -1;
            if (!planned_tensor(&pl, t) || e->rec[t].node != ni || s < 0) continue;
            if (planned_tensor(&pl, s) && pl.size[s] == pl.size[t] && move_safe(&pl, s, ni)) {
                pl.parent[t] = s;
                pl.rel[t] = 0;
            } else {
                e->no_consume[s] = true; /* the op copies instead */
            }
        }
        if (n->op == OP_SPLIT) plan_split(&pl, n);
        else if (n->op == OP_CONCAT) plan_concat(&pl, n);
    }
    /* buffers: roots with their members' lifetimes */
    PlanBuf *bufs = xmalloc(sizeof *bufs * (size_t)(nt + e->n_srec ? nt + e->n_srec : 1));
    int *buf_of = xmalloc(sizeof(int) * (size_t)(nt ? nt : 1));
    int nb = 0;
    for (int t = 0; t < nt; t++) {
        buf_of[t] = -1;
        if (planned_tensor(&pl, t) && pl.parent[t] < 0) {
            buf_of[t] = nb;
            bufs[nb++] = (PlanBuf){t, (pl.size[t] + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN, pl.start[t], pl.end[t], 0};
        }
    }
    for (int t = 0; t < nt; t++) {
        int64_t o;
        if (!planned_tensor(&pl, t)) continue;
        PlanBuf *b = &bufs[buf_of[find_root(&pl, t, &o)]];
        if (pl.start[t] < b->start) b->start = pl.start[t];
        if (pl.end[t] > b->end) b->end = pl.end[t];
    }
    for (int i = 0; i < e->n_srec; i++) /* staging: root nt + i */
        bufs[nb++] = (PlanBuf){nt + i, (e->srec[i].bytes + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN, e->srec[i].node,
                               e->srec[i].node, 0};
    /* greedy by size: each buffer at the lowest offset free over its lifetime */
    qsort(bufs, (size_t)nb, sizeof *bufs, by_size_desc);
    PlanBuf **live = xmalloc(sizeof *live * (size_t)(nb ? nb : 1));
    size_t total = 0;
    for (int i = 0; i < nb; i++) {
        int nl = 0;
        for (int j = 0; j < i; j++)
            if (bufs[j].start <= bufs[i].end && bufs[i].start <= bufs[j].end) live[nl++] = &bufs[j];
        qsort(live, (size_t)nl, sizeof *live, by_off);
        int64_t off = 0;
        for (int j = 0; j < nl; j++) {
            if (live[j]->off >= off + bufs[i].size) break;
            if (live[j]->off + live[j]->size > off) off = live[j]->off + live[j]->size;
        }
        bufs[i].off = off;
        if ((size_t)(off + bufs[i].size) > total) total = (size_t)(off + bufs[i].size);
    }
    for (int i = 0; i < nb; i++) {
        if (bufs[i].root < nt) buf_of[bufs[i].root] = i;
        else e->srec[bufs[i].root - nt].off = bufs[i].off;
    }
    free(e->stage_first);
    e->stage_first = xmalloc(sizeof(int) * (size_t)(nn ? nn : 1));
    for (int ni = 0; ni < nn; ni++) e->stage_first[ni] = -1;
    for (int i = e->n_srec - 1; i >= 0; i--) e->stage_first[e->srec[i].node] = i;
    for (int t = 0; t < nt; t++) {
        e->plan_off[t] = -1;
        e->plan_bytes[t] = 0;
        if (!planned_tensor(&pl, t)) continue;
        int64_t o;
        int r = find_root(&pl, t, &o);
        e->plan_off[t] = bufs[buf_of[r]].off + o;
        e->plan_bytes[t] = pl.size[t];
    }
    e->plan_size = total;
    e->planned = exec_mem_ensure(e->mem, total);
    e->plan_failed = !e->planned;
    free(live);
    free(bufs);
    free(buf_of);
    free(pl.parent);
    free(pl.rel);
    free(pl.size);
    free(pl.start);
    free(pl.end);
}
