/* openvino_read: OpenVINO IR (.xml through libxml2, .bin, metadata.yaml through libyaml)
 * into the Graph IR.  Two phases: here, parse and check every layer, port, edge and
 * constant (nothing from the file is trusted) and order the layers; then openvino_map.c
 * walks them in topological order and emits IR nodes through its mapping table. */
#include "formats/openvino.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "engine/core/fileio.h"
#include "engine/core/membudget.h"
#include "engine/core/util.h"
#include "formats/openvino_read_impl.h"

int ovr_fail(R *r, const RLayer *L, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (L) return err_set(r->err, r->errlen, "%s: layer %d ('%.100s', %.40s): %s", r->file, L->id, L->name, L->type, msg);
    return err_set(r->err, r->errlen, "%s: %s", r->file, msg);
}

/* "1, 2, 3" (or "") -> up to max ints; -1 when malformed or too many. */
int ovr_parse_ints(const char *s, int64_t *out, int max)
{
    int n = 0;
    const char *p = s;
    while (*p == ' ') p++;
    if (!*p) return 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char tmp[32];
        if (len >= sizeof tmp || n >= max) return -1;
        memcpy(tmp, p, len);
        tmp[len] = '\0';
        if (!str_to_i64(tmp, &out[n++])) return -1;
        if (!comma) return n;
        p = comma + 1;
    }
}

/* A dim: "640", "-1" / "?" / "1..10" (dynamic, -1). */
static bool parse_dim(const char *s, int64_t *out)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    if (*s == '?' || strstr(s, "..")) {
        *out = -1;
        return true;
    }
    if (!str_to_i64(s, out) || *out < -1 || *out > MAX_DIM) return false;
    return true;
}

static char *xprop(R *r, xmlNode *n, const char *key)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)key);
    if (!v) return NULL;
    char *s = arena_strdup(r->g->arena, (const char *)v);
    xmlFree(v);
    return s;
}

const char *ovr_attr(R *r, const RLayer *L, const char *key)
{
    return L->data ? xprop(r, L->data, key) : NULL;
}

static bool is_elem(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* ---- phase 1: layers, ports, edges, constants ----------------------------------------- */

static int parse_ports(R *r, RLayer *L, xmlNode *list, bool inputs)
{
    int n = 0;
    for (xmlNode *c = list->children; c; c = c->next)
        if (is_elem(c, "port")) n++;
    if (n > MAX_PORTS) return ovr_fail(r, L, "has %d %s ports (at most %d)", n, inputs ? "input" : "output", MAX_PORTS);
    RPort *ports = arena_alloc(r->g->arena, sizeof *ports * (size_t)(n ? n : 1));
    int k = 0;
    for (xmlNode *c = list->children; c; c = c->next) {
        if (!is_elem(c, "port")) continue;
        RPort *p = &ports[k++];
        p->src_layer = p->tensor = p->first_consumer = -1;
        const char *id = xprop(r, c, "id");
        int64_t v;
        if (!id) return ovr_fail(r, L, "a port has no id");
        if (!str_to_i64(id, &v) || v < 0 || v > INT_MAX) return ovr_fail(r, L, "port id '%.40s' is not a valid id", id);
        p->id = (int)v;
        const char *prec = xprop(r, c, "precision");
        p->dtype = prec ? openvino_dtype_from_precision(prec) : DT_UNDEFINED;
        if (prec && p->dtype == DT_UNDEFINED && strcasecmp(prec, "UNSPECIFIED") && strcasecmp(prec, "dynamic"))
            return ovr_fail(r, L, "port %d has unknown precision '%.40s'", p->id, prec);
        const char *names = xprop(r, c, "names");
        if (names && *names) {
            /* names are ','-separated with "\," for a comma inside a name: keep the first */
            char *first = arena_strdup(r->g->arena, names), *o = first;
            for (const char *s = names; *s; s++) {
                if (s[0] == '\\' && s[1] == ',') {
                    *o++ = ',';
                    s++;
                } else if (*s == ',') {
                    break;
                } else {
                    *o++ = *s;
                }
            }
            *o = '\0';
            if (*first) p->name = first;
        }
        for (xmlNode *d = c->children; d; d = d->next) {
            if (!is_elem(d, "dim")) continue;
            if (p->rank >= GRAPH_MAX_RANK) return ovr_fail(r, L, "port %d has more than %d dims", p->id, GRAPH_MAX_RANK);
            xmlChar *t = xmlNodeGetContent(d);
            bool ok = t && parse_dim((const char *)t, &p->dims[p->rank]);
            if (!ok) {
                ovr_fail(r, L, "port %d has a bad dim '%.40s'", p->id, t ? (const char *)t : "");
                xmlFree(t);
                return -1;
            }
            xmlFree(t);
            p->rank++;
        }
    }
    /* index by id (insertion sort: ports are nearly always in order already) */
    int *order = arena_alloc(r->g->arena, sizeof(int) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && ports[order[j - 1]].id > ports[i].id) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
        if (j > 0 && ports[order[j - 1]].id == ports[i].id) return ovr_fail(r, L, "port id %d appears twice", ports[i].id);
    }
    if (inputs) {
        L->in = ports, L->n_in = n, L->in_order = order;
    } else {
        L->out = ports, L->n_out = n, L->out_order = order;
    }
    return 0;
}

static int find_port(const RPort *ports, const int *order, int n, int id)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, v = ports[order[mid]].id;
        if (v == id) return order[mid];
        if (v < id) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

static int find_layer(const R *r, int64_t id)
{
    int lo = 0, hi = r->n_layers - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, v = r->layers[r->by_id[mid]].id;
        if (v == id) return r->by_id[mid];
        if (v < id) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

static int parse_const(R *r, RLayer *L)
{
    const char *et = ovr_attr(r, L, "element_type"), *shape = ovr_attr(r, L, "shape");
    const char *off = ovr_attr(r, L, "offset"), *size = ovr_attr(r, L, "size");
    if (!et || !shape || !off || !size) return ovr_fail(r, L, "a Const needs element_type, shape, offset and size");
    L->ctype = openvino_dtype_from_element_type(et);
    if (L->ctype == DT_UNDEFINED) return ovr_fail(r, L, "element type '%.40s' is not supported", et);
    int64_t dims[GRAPH_MAX_RANK + 1];
    int rank = ovr_parse_ints(shape, dims, GRAPH_MAX_RANK + 1);
    if (rank < 0 || rank > GRAPH_MAX_RANK) return ovr_fail(r, L, "shape '%.60s' is malformed or has more than %d dims", shape, GRAPH_MAX_RANK);
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0 || dims[i] > MAX_DIM) return ovr_fail(r, L, "shape '%.60s' has a dim out of range", shape);
    int64_t o, s, numel;
    if (!str_to_i64(off, &o) || o < 0) return ovr_fail(r, L, "offset '%.40s' is not a byte offset", off);
    if (!str_to_i64(size, &s) || s < 0) return ovr_fail(r, L, "size '%.40s' is not a byte count", size);
    size_t need, end;
    if (!dims_product(dims, rank, &numel) || !size_mul((size_t)numel, dtype_size(L->ctype), &need) || need != (size_t)s)
        return ovr_fail(r, L, "size %lld does not match shape [%.60s] of %s", (long long)s, shape, et);
    if (!size_add((size_t)o, (size_t)s, &end) || end > r->bin_len)
        return ovr_fail(r, L, "data at offset %lld, %lld bytes, lies past the end of the weights (%zu bytes)", (long long)o,
                     (long long)s, r->bin_len);
    L->crank = rank;
    memcpy(L->cdims, dims, sizeof(int64_t) * (size_t)rank);
    L->offset = (size_t)o;
    L->size = (size_t)s;
    if (L->n_out != 1) return ovr_fail(r, L, "a Const has %d outputs", L->n_out);
    RPort *p = &L->out[0];
    if (p->rank != rank) return ovr_fail(r, L, "its port has rank %d, its data rank %d", p->rank, rank);
    for (int i = 0; i < rank; i++)
        if (p->dims[i] != dims[i]) return ovr_fail(r, L, "its port dims differ from its data shape");
    p->dtype = L->ctype;
    return 0;
}

static int cmp_layer_id(const void *a, const void *b, void *ctx)
{
    const R *r = ctx;
    int x = r->layers[*(const int *)a].id, y = r->layers[*(const int *)b].id;
    return (x > y) - (x < y);
}

static int parse_net(R *r, xmlNode *net, xmlNode **rt_info)
{
    xmlNode *layers = NULL, *edges = NULL;
    *rt_info = NULL;
    for (xmlNode *c = net->children; c; c = c->next) {
        if (is_elem(c, "layers") && !layers) layers = c;
        else if (is_elem(c, "edges") && !edges) edges = c;
        else if (is_elem(c, "rt_info") && !*rt_info) *rt_info = c;
    }
    if (!layers) return ovr_fail(r, NULL, "<net> has no <layers>");
    int n = 0;
    for (xmlNode *c = layers->children; c; c = c->next)
        if (is_elem(c, "layer") && ++n > MAX_LAYERS) return ovr_fail(r, NULL, "more than %d layers", MAX_LAYERS);
    if (!n) return ovr_fail(r, NULL, "the network has no layers");
    r->layers = xcalloc((size_t)n, sizeof *r->layers);
    for (xmlNode *c = layers->children; c; c = c->next) {
        if (!is_elem(c, "layer")) continue;
        RLayer *L = &r->layers[r->n_layers++];
        L->name = xprop(r, c, "name");
        L->type = xprop(r, c, "type");
        L->version = xprop(r, c, "version");
        const char *id = xprop(r, c, "id");
        int64_t v;
        L->id = -1;
        if (!L->name) L->name = "";
        if (!id || !str_to_i64(id, &v) || v < 0 || v > INT_MAX)
            return ovr_fail(r, NULL, "layer %d ('%.100s') has %s id", r->n_layers - 1, L->name, id ? "a bad" : "no");
        L->id = (int)v;
        if (!L->type || !*L->type) return ovr_fail(r, L, "has no type");
        if (!L->version) L->version = "";
        for (xmlNode *d = c->children; d; d = d->next) {
            if (is_elem(d, "data") && !L->data) L->data = d;
            else if (is_elem(d, "input") && !L->in && parse_ports(r, L, d, true)) return -1;
            else if (is_elem(d, "output") && !L->out && parse_ports(r, L, d, false)) return -1;
        }
        if (!L->in) L->in = arena_alloc(r->g->arena, sizeof(RPort)), L->in_order = arena_alloc(r->g->arena, sizeof(int));
        if (!L->out) L->out = arena_alloc(r->g->arena, sizeof(RPort)), L->out_order = arena_alloc(r->g->arena, sizeof(int));
    }
    r->by_id = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) r->by_id[i] = i;
    qsort_r(r->by_id, (size_t)n, sizeof(int), cmp_layer_id, r);
    for (int i = 1; i < n; i++)
        if (r->layers[r->by_id[i]].id == r->layers[r->by_id[i - 1]].id)
            return ovr_fail(r, &r->layers[r->by_id[i]], "its id is used by another layer too");
    for (xmlNode *c = edges ? edges->children : NULL; c; c = c->next) {
        if (!is_elem(c, "edge")) continue;
        static const char *const keys[4] = {"from-layer", "from-port", "to-layer", "to-port"};
        int64_t v[4];
        for (int k = 0; k < 4; k++) {
            const char *s = xprop(r, c, keys[k]);
            if (!s || !str_to_i64(s, &v[k]) || v[k] < 0 || v[k] > INT_MAX)
                return ovr_fail(r, NULL, "an edge (line %ld) has %s %s", xmlGetLineNo(c), s ? "a bad" : "no", keys[k]);
        }
        int fl = find_layer(r, v[0]), tl = find_layer(r, v[2]);
        if (fl < 0 || tl < 0)
            return ovr_fail(r, NULL, "an edge (line %ld) refers to layer %lld, which does not exist", xmlGetLineNo(c),
                         (long long)(fl < 0 ? v[0] : v[2]));
        RLayer *F = &r->layers[fl], *To = &r->layers[tl];
        int fp = find_port(F->out, F->out_order, F->n_out, (int)v[1]);
        int tp = find_port(To->in, To->in_order, To->n_in, (int)v[3]);
        if (fp < 0) return ovr_fail(r, F, "an edge leaves output port %lld, which it does not have", (long long)v[1]);
        if (tp < 0) return ovr_fail(r, To, "an edge enters input port %lld, which it does not have", (long long)v[3]);
        if (To->in[tp].src_layer >= 0) return ovr_fail(r, To, "input port %lld has two incoming edges", (long long)v[3]);
        To->in[tp].src_layer = fl;
        To->in[tp].src_port = fp;
        RPort *op = &F->out[fp];
        if (op->consumers++ == 0) {
            op->first_consumer = tl;
            op->first_consumer_port = tp;
        }
        To->indeg++;
    }
    for (int i = 0; i < n; i++) {
        RLayer *L = &r->layers[i];
        for (int k = 0; k < L->n_in; k++)
            if (L->in[k].src_layer < 0) return ovr_fail(r, L, "input port %d is not connected", L->in[k].id);
        if (!strcmp(L->type, "Const") && parse_const(r, L)) return -1;
    }
    return 0;
}

/* Kahn's order; ties keep file order.  A cycle is reported naming one of its layers. */
static int topo_order(R *r, int *order)
{
    int n = r->n_layers, head = 0, tail = 0;
    int *indeg = xmalloc(sizeof(int) * (size_t)n);
    /* consumers lists: CSR over edges */
    int *start = xcalloc((size_t)n + 1, sizeof(int));
    for (int i = 0; i < n; i++)
        for (int k = 0; k < r->layers[i].n_in; k++) start[r->layers[i].in[k].src_layer + 1]++;
    for (int i = 0; i < n; i++) start[i + 1] += start[i];
    int *fill = xmalloc(sizeof(int) * (size_t)n), *next = xmalloc(sizeof(int) * (size_t)(start[n] ? start[n] : 1));
    memcpy(fill, start, sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) {
        indeg[i] = r->layers[i].n_in;
        for (int k = 0; k < r->layers[i].n_in; k++) next[fill[r->layers[i].in[k].src_layer]++] = i;
    }
    for (int i = 0; i < n; i++)
        if (!indeg[i]) order[tail++] = i;
    while (head < tail) {
        int l = order[head++];
        for (int e = start[l]; e < start[l + 1]; e++)
            if (--indeg[next[e]] == 0) order[tail++] = next[e];
    }
    int rc = 0;
    if (tail < n) {
        int bad = 0;
        while (bad < n && !indeg[bad]) bad++;
        rc = ovr_fail(r, &r->layers[bad], "is part of a cycle");
    }
    free(indeg);
    free(start);
    free(fill);
    free(next);
    return rc;
}

static void read_rt_framework(R *r, xmlNode *rt)
{
    for (xmlNode *c = rt ? rt->children : NULL; c; c = c->next) {
        if (!is_elem(c, "framework")) continue;
        for (xmlNode *e = c->children; e; e = e->next) {
            const char *v = e->type == XML_ELEMENT_NODE ? xprop(r, e, "value") : NULL;
            if (v) openvino_metadata_apply(r->g, (const char *)e->name, v);
        }
    }
}

/* Learned parameters: the constants behind weight and bias inputs (of Conv, ConvTranspose,
 * Gemm, BatchNormalization and the constant side of MatMul), followed back through the
 * dequantization and decompression chains (Cast, Mul/Sub data input, Reshape, FakeQuantize
 * data input) that int8 and float16 IRs put in between. */
static void mark_param(Graph *g, int t, int depth)
{
    if (t < 0 || t >= g->n_tensors || depth > 6) return;
    Tensor *x = &g->tensors[t];
    if (x->data && x->producer < 0) {
        x->is_param = true;
        return;
    }
    if (x->producer < 0) return;
    const Node *p = &g->nodes[x->producer];
    bool pass = p->op == OP_CAST || p->op == OP_MUL || p->op == OP_SUB || p->op == OP_RESHAPE ||
                p->op == OP_FAKE_QUANTIZE;
    if (pass && p->n_inputs > 0) mark_param(g, p->inputs[0], depth + 1);
}

static void mark_params(Graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *n = &g->nodes[i];
        int first = 1, last = n->n_inputs - 1;
        if (n->op == OP_MATMUL && n->n_inputs == 2) first = g->tensors[n->inputs[0]].producer < 0 ? 0 : 1;
        else if (n->op != OP_CONV && n->op != OP_CONV_TRANSPOSE && n->op != OP_GEMM && n->op != OP_BATCHNORM) continue;
        for (int k = first; k <= last; k++) mark_param(g, n->inputs[k], 0);
    }
}

/* ---- entry points ---------------------------------------------------------------------------- */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void) { xmlInitParser(); }

/* The reader proper; bin is a membudget block the graph adopts (freed here on error). */
static Graph *read_impl(const char *xml, size_t xml_len, uint8_t *bin, size_t bin_len, const char *metadata_yaml,
                        size_t metadata_len, const char *name, char *err, size_t errlen)
{
    R r = {.file = name ? name : "(memory)", .root_module = -1, .err = err, .errlen = errlen};
    if (xml_len > MAX_XML_BYTES || xml_len > INT_MAX || bin_len > MAX_BIN_BYTES) {
        err_set(err, errlen, "%s: the %s is too large (%zu bytes)", r.file, bin_len > MAX_BIN_BYTES ? "weights file" : "XML",
                bin_len > MAX_BIN_BYTES ? bin_len : xml_len);
        membudget_free(bin);
        return NULL;
    }
    pthread_once(&xml_once, xml_init);
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        err_set(err, errlen, "%s: out of memory", r.file);
        membudget_free(bin);
        return NULL;
    }
    /* no network, no entity substitution, no DTD loading; errors are collected, not printed */
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml, (int)xml_len, r.file, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!doc) {
        xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
        char msg[256] = "not well-formed XML";
        if (e && e->message) {
            snprintf(msg, sizeof msg, "%s", e->message);
            size_t l = strlen(msg);
            while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' ')) msg[--l] = '\0';
        }
        err_set(err, errlen, "%s: line %d: %s", r.file, e ? e->line : 0, msg);
        xmlFreeParserCtxt(ctxt);
        membudget_free(bin);
        return NULL;
    }
    xmlFreeParserCtxt(ctxt);
    r.g = graph_new();
    Graph *g = r.g;
    if (!bin && !(bin = membudget_alloc(1, r.file, NULL, err, errlen))) {
        graph_free(g);
        xmlFreeDoc(doc);
        return NULL;
    }
    graph_adopt_blob(g, bin, membudget_free);
    r.bin = bin;
    r.bin_len = bin_len;
    int *order = NULL;
    int rc = 0;
    xmlNode *root = xmlDocGetRootElement(doc), *rt = NULL;
    int64_t version = 0;
    const char *vs;
    if (doc->intSubset || doc->extSubset) rc = ovr_fail(&r, NULL, "a DOCTYPE is not allowed in an OpenVINO IR");
    else if (!root || !is_elem(root, "net")) rc = ovr_fail(&r, NULL, "the root element is not <net>: not an OpenVINO IR");
    else if (!(vs = xprop(&r, root, "version")) || !str_to_i64(vs, &version))
        rc = ovr_fail(&r, NULL, "<net> has no version");
    else if (version < 10 || version > 11)
        rc = ovr_fail(&r, NULL, "IR version %lld is not supported (10 and 11 are)", (long long)version);
    if (!rc) rc = parse_net(&r, root, &rt);
    if (!rc) {
        order = xmalloc(sizeof(int) * (size_t)r.n_layers);
        rc = topo_order(&r, order);
    }
    if (!rc) rc = ovr_convert_layers(&r, order);
    if (!rc && g->n_inputs == 0) rc = ovr_fail(&r, NULL, "the network has no Parameter");
    if (!rc && g->n_outputs == 0) rc = ovr_fail(&r, NULL, "the network has no Result");
    if (!rc) {
        char why[256];
        if (graph_validate(g, why, sizeof why)) rc = ovr_fail(&r, NULL, "%s", why);
    }
    if (!rc) {
        const char *net_name = xprop(&r, root, "name");
        g->meta.source_format = FMT_OPENVINO;
        g->meta.ir_version = version;
        g->meta.producer = net_name ? net_name : "";
        if (metadata_yaml) { /* named as it sits beside the .xml */
            const char *slash = strrchr(r.file, '/');
            char *label = slash ? xasprintf("%.*s/metadata.yaml", (int)(slash - r.file), r.file) : xstrdup("metadata.yaml");
            rc = openvino_metadata_read(g, metadata_yaml, metadata_len, label, err, errlen);
            free(label);
        }
        else read_rt_framework(&r, rt);
        /* without metadata, the input's static dims still tell the image size and channels */
        const Tensor *in = &g->tensors[g->inputs[0]];
        if (!g->meta.imgsz[0] && in->rank == 4 && in->dims[2] > 0 && in->dims[3] > 0 && in->dims[2] <= INT_MAX &&
            in->dims[3] <= INT_MAX) {
            g->meta.imgsz[0] = (int)in->dims[2];
            g->meta.imgsz[1] = (int)in->dims[3];
        }
        if (in->rank == 4 && in->dims[1] > 0 && in->dims[1] <= 64 && !graph_meta_prop(g, "channels"))
            g->meta.channels = (int)in->dims[1];
        mark_params(g);
        graph_count_module_params(g);
    }
    free(order);
    free(r.layers);
    free(r.by_id);
    strmap_free(&r.tensor_names);
    strmap_free(&r.modules);
    xmlFreeDoc(doc);
    if (rc) {
        graph_free(g);
        return NULL;
    }
    return g;
}

Graph *openvino_read_memory(const char *xml, size_t xml_len, const uint8_t *bin, size_t bin_len,
                            const char *metadata_yaml, size_t metadata_len, const char *name, char *err,
                            size_t errlen)
{
    uint8_t *copy = NULL;
    if (bin_len <= MAX_BIN_BYTES) {
        copy = membudget_alloc(bin_len ? bin_len : 1, name ? name : "(memory)", "the weights", err, errlen);
        if (!copy) return NULL;
        if (bin_len) memcpy(copy, bin, bin_len);
    }
    return read_impl(xml, xml_len, copy, bin_len, metadata_yaml, metadata_len, name, err, errlen);
}

/* Does fd (closed here) open an XML whose root is <net version=...>? */
static int sniff_fd(int fd)
{
    char buf[4097];
    buf[fileio_read_head(fd, buf, sizeof buf - 1)] = '\0';
    const char *p = buf;
    if (!strncmp(p, "\xef\xbb\xbf", 3)) p += 3;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
        if (!strncmp(p, "<?", 2)) {
            const char *e = strstr(p, "?>");
            if (!e) return 0;
            p = e + 2;
        } else if (!strncmp(p, "<!--", 4)) {
            const char *e = strstr(p, "-->");
            if (!e) return 0;
            p = e + 3;
        } else if (!strncmp(p, "<!DOCTYPE", 9)) {
            /* not allowed in an IR, but an IR that has one is said to be refused for it by
             * the reader, not called "not a model" */
            int depth = 0;
            for (p += 9; *p && (*p != '>' || depth > 0); p++) depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
            if (!*p) return 0;
            p++;
        } else {
            break;
        }
    }
    if (strncmp(p, "<net", 4) || !(p[4] == ' ' || p[4] == '\t' || p[4] == '\n' || p[4] == '\r')) return 0;
    const char *close_tag = strchr(p, '>');
    if (!close_tag) return 0;
    for (const char *v = p; v < close_tag; v++)
        if (!strncmp(v, "version=", 8) && (v[-1] == ' ' || v[-1] == '\t' || v[-1] == '\n' || v[-1] == '\r')) return 1;
    return 0;
}

/* The name of the one *.xml in dir that is an IR (heap string), or NULL + message.  Entries
 * that are links, FIFOs or anything but a regular file are not looked at. */
static char *find_xml_name(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        err_set(err, errlen, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    char *found = NULL;
    int count = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".xml")) continue;
        int fd = fileio_open_beside(dir, e->d_name, NULL, NULL, 0);
        if (fd >= 0 && sniff_fd(fd) && count++ == 0) found = xstrdup(e->d_name);
    }
    closedir(d);
    if (count == 1) return found;
    free(found);
    err_set(err, errlen, "%s: %s OpenVINO .xml", dir, count ? "holds more than one" : "holds no");
    return NULL;
}

char *openvino_find_xml(const char *dir, char *err, size_t errlen)
{
    char *name = find_xml_name(dir, err, errlen);
    if (!name) return NULL;
    char *p = xasprintf("%s/%s", dir, name);
    free(name);
    return p;
}

int openvino_sniff(const char *path)
{
    if (file_is_dir(path)) {
        char *x = find_xml_name(path, NULL, 0);
        free(x);
        return x != NULL;
    }
    int fd = fileio_open_regular(path, NULL, NULL, 0);
    return fd >= 0 && sniff_fd(fd);
}

Graph *openvino_read(const char *xml_path, char *err, size_t errlen)
{
    /* the .xml: the file the user named, or the one IR inside the folder they named (read
     * like the model's other files); the .bin and metadata.yaml beside it, never through a
     * link, never a FIFO or a device */
    char *dir = NULL, *xml_name = NULL, *label = NULL;
    uint8_t *xml = NULL;
    size_t xml_len = 0;
    if (file_is_dir(xml_path)) {
        dir = xstrdup(xml_path);
        if (!(xml_name = find_xml_name(dir, err, errlen))) goto out;
        bool absent;
        label = xasprintf("%s/%s", dir, xml_name);
        if (!(xml = fileio_read_beside(dir, xml_name, MAX_XML_BYTES, &xml_len, &absent, err, errlen))) {
            if (absent) err_set(err, errlen, "%s: no such file", label);
            goto out;
        }
    } else {
        const char *slash = strrchr(xml_path, '/');
        dir = slash ? xstrndup(xml_path, (size_t)(slash - xml_path) + (slash == xml_path)) : xstrdup(".");
        xml_name = xstrdup(slash ? slash + 1 : xml_path);
        label = xstrdup(xml_path);
        struct stat st;
        int fd = fileio_open_regular(xml_path, &st, err, errlen);
        if (fd < 0 || !(xml = fileio_read_fd(fd, &st, MAX_XML_BYTES, xml_path, &xml_len, err, errlen))) goto out;
    }
    size_t n = strlen(xml_name);
    char *bin_name = n > 4 && !strcmp(xml_name + n - 4, ".xml") ? xasprintf("%.*s.bin", (int)(n - 4), xml_name)
                                                                  : xasprintf("%s.bin", xml_name);
    uint8_t *bin = NULL, *meta = NULL;
    size_t bin_len = 0, meta_len = 0;
    bool absent = false, ok = true;
    bin = fileio_read_beside(dir, bin_name, MAX_BIN_BYTES, &bin_len, &absent, err, errlen);
    if (!bin && !absent) ok = false;
    if (ok) {
        meta = fileio_read_beside(dir, "metadata.yaml", MAX_META_BYTES, &meta_len, &absent, err, errlen);
        if (!meta && !absent) ok = false;
    }
    free(bin_name);
    Graph *g = NULL;
    if (ok) {
        g = read_impl((const char *)xml, xml_len, bin, bin_len, (const char *)meta, meta_len, label, err, errlen);
        bin = NULL; /* adopted (or freed) by read_impl */
        if (g) g->meta.source_path = arena_strdup(g->arena, label);
    }
    membudget_free(bin);
    membudget_free(meta);
    membudget_free(xml);
    free(dir);
    free(xml_name);
    free(label);
    return g;
out:
    membudget_free(xml);
    free(dir);
    free(xml_name);
    free(label);
    return NULL;
}
