/* ncnn_read: the ncnn reader's front — finding the .param, its .bin and metadata.yaml (read
 * as a model's files are: never through a link, never blocking), then the .param parsed and
 * checked (formats/ncnn_param.c), each layer mapped to the IR in file order
 * (formats/ncnn_map.c), the .bin checked to hold exactly the weights the layers read, and
 * the outputs (blobs nothing reads) listed as the peer's runtime extracts them. */
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/core/membudget.h"
#include "formats/ncnn.h"
#include "formats/ncnn_impl.h"
#include "formats/openvino.h"

#define MAX_PARAM_BYTES (64u << 20)
#define MAX_BIN_BYTES (4ull << 30)
#define MAX_META_BYTES (16u << 20)


/* Outputs: blobs no layer reads, "out<N>" ones by N first (the peer's runtime extracts
 * them in name order), then the others as produced. */
static void collect_outputs(NcReader *r)
{
    int nb = r->m.n_blobs, *order = xmalloc(sizeof(int) * (size_t)(nb + 1)), n = 0;
    long *key = xmalloc(sizeof(long) * (size_t)(nb + 1));
    for (int b = 0; b < nb; b++) {
        if (r->m.blobs[b].consumers || r->bt[b] < 0) continue;
        const char *s = r->m.blobs[b].name;
        char *end;
        long v = !strncmp(s, "out", 3) && s[3] >= '0' && s[3] <= '9' ? strtol(s + 3, &end, 10) : -1;
        key[n] = v >= 0 && !*end && v < (1L << 30) ? v : (1L << 30) + b;
        order[n++] = b;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && key[j] < key[j - 1]; j--) {
            long tk = key[j];
            key[j] = key[j - 1], key[j - 1] = tk;
            int to = order[j];
            order[j] = order[j - 1], order[j - 1] = to;
        }
    for (int i = 0; i < n; i++) {
        int t = r->bt[order[i]];
        r->g->tensors[t].is_output = true;
        graph_add_output(r->g, t);
    }
    free(order);
    free(key);
}

/* One reading of the model: the graph (adopting bin when adopt, else pointing into it), with
 * an Input of any size read at probe (NULL: metadata.yaml's imgsz); *dynamic_input says
 * whether it had one. */
static Graph *read_once(const char *param, size_t param_len, uint8_t *bin, size_t bin_len, bool adopt,
                        const char *meta, size_t meta_len, const char *name, const int *probe, bool *dynamic_input,
                        char *err, size_t errlen)
{
    Graph *g = graph_new();
    if (adopt) graph_adopt_blob(g, bin, membudget_free);
    const char *slash = strrchr(name, '/');
    NcReader r = {.g = g, .root_module = -1};
    if (probe) r.probe[0] = probe[0], r.probe[1] = probe[1];
    r.m.file = name;
    r.m.arena = g->arena;
    r.m.bin = bin;
    r.m.bin_len = bin_len;
    r.m.bin_name = arena_printf(g->arena, "%.*s%s", slash ? (int)(slash - name + 1) : 0, name, NCNN_BIN_FILE);
    size_t nl = strlen(name);
    if (nl > 6 && !strcmp(name + nl - 6, ".param"))
        r.m.bin_name = arena_printf(g->arena, "%.*s.bin", (int)(nl - 6), name);
    r.m.err = err;
    r.m.errlen = errlen;
    int rc = 0;
    if (param_len > MAX_PARAM_BYTES || bin_len > MAX_BIN_BYTES)
        rc = err_set(err, errlen, "%s: the %s is too large", name, bin_len > MAX_BIN_BYTES ? "weights file" : ".param");
    if (!rc) rc = ncnn_parse_param(&r.m, param, param_len);
    if (!rc && meta) {
        char why[512];
        if (openvino_metadata_read(g, meta, meta_len, "metadata.yaml", why, sizeof why))
            rc = err_set(err, errlen, "%s: %s", name, why);
    }
    if (!rc) {
        r.bt = xmalloc(sizeof(int) * (size_t)r.m.n_blobs);
        r.bk = xcalloc((size_t)r.m.n_blobs, sizeof(int));
        r.bs = xcalloc((size_t)r.m.n_blobs, sizeof *r.bs);
        for (int b = 0; b < r.m.n_blobs; b++) r.bt[b] = -1;
    }
    for (int i = 0; i < r.m.n_layers && !rc; i++) {
        const NcLayer *L = &r.m.layers[i];
        NcMapFn fn = ncnn_map_for(L->type);
        if (!fn) {
            rc = ncnn_fail(&r.m, L, "an ncnn layer type this reader does not map to the IR");
            break;
        }
        rc = fn(&r, L);
        for (int k = 0; k < L->n_out && !rc; k++)
            if (r.bt[L->out[k]] < 0) rc = ncnn_fail(&r.m, L, "output %d was not made", k);
    }
    if (!rc && r.m.bin_pos != bin_len)
        rc = err_set(err, errlen, "%s: %zu bytes are left over after the last layer's weights: the .bin does not belong to this .param",
                     r.m.bin_name, bin_len - r.m.bin_pos);
    if (!rc && g->n_inputs == 0) rc = err_set(err, errlen, "%s: the model has no Input layer", name);
    if (!rc) {
        collect_outputs(&r);
        if (g->n_outputs == 0) rc = err_set(err, errlen, "%s: the model has no output (every blob is read by a layer)", name);
    }
    if (!rc) {
        char why[256];
        if (graph_validate(g, why, sizeof why)) rc = err_set(err, errlen, "%s: %s", name, why);
    }
    if (!rc) {
        g->meta.source_format = FMT_NCNN;
        g->meta.producer = "ncnn";
        const Tensor *in = &g->tensors[g->inputs[0]];
        if (!g->meta.imgsz[0] && in->rank == 4) {
            g->meta.imgsz[0] = (int)in->dims[2];
            g->meta.imgsz[1] = (int)in->dims[3];
        }
        if (in->rank == 4 && in->dims[1] <= 64 && !graph_meta_prop(g, "channels")) g->meta.channels = (int)in->dims[1];
        graph_count_module_params(g);
    }
    free(r.bt);
    free(r.bk);
    free(r.bs);
    strmap_free(&r.modules);
    *dynamic_input = r.dynamic_input;
    if (rc) {
        graph_free(g);
        return NULL;
    }
    return g;
}

static bool attrs_equal(const Attr *a, const Attr *b)
{
    if (strcmp(a->name, b->name) || a->type != b->type || a->i != b->i || a->count != b->count) return false;
    if (a->type == ATTR_FLOAT && memcmp(&a->f, &b->f, sizeof a->f)) return false;
    if (a->type == ATTR_STRING && strcmp(a->s ? a->s : "", b->s ? b->s : "")) return false;
    if (a->type == ATTR_INTS && a->count > 0 && memcmp(a->ints, b->ints, sizeof(int64_t) * (size_t)a->count)) return false;
    if (a->type == ATTR_FLOATS && a->count > 0 && memcmp(a->floats, b->floats, sizeof(double) * (size_t)a->count))
        return false;
    return true;
}

/* g read at one size against alt read at another: when they are the same graph (nodes,
 * attributes and constants alike: nothing in the file fixes a size), the dims that differ
 * become unknown (-1) in g, as the builder marks a dynamic build.  false when anything
 * besides dims differs: the file only works at the size it was read at. */
static bool mark_dynamic(Graph *g, const Graph *alt)
{
    if (g->n_tensors != alt->n_tensors || g->n_nodes != alt->n_nodes) return false;
    for (int i = 0; i < g->n_nodes; i++) {
        const Node *a = &g->nodes[i], *b = &alt->nodes[i];
        if (a->op != b->op || a->n_inputs != b->n_inputs || a->n_attrs != b->n_attrs ||
            memcmp(a->inputs, b->inputs, sizeof(int) * (size_t)a->n_inputs))
            return false;
        for (int k = 0; k < a->n_attrs; k++)
            if (!attrs_equal(&a->attrs[k], &b->attrs[k])) return false;
    }
    for (int i = 0; i < g->n_tensors; i++) {
        const Tensor *a = &g->tensors[i], *b = &alt->tensors[i];
        if (a->rank != b->rank || (a->data == NULL) != (b->data == NULL) || a->nbytes != b->nbytes) return false;
        if (a->data && a->data != b->data && memcmp(a->data, b->data, a->nbytes)) return false;
    }
    for (int i = 0; i < g->n_tensors; i++) {
        Tensor *a = &g->tensors[i];
        for (int d = 0; d < a->rank; d++)
            if (a->dims[d] != alt->tensors[i].dims[d]) a->dims[d] = -1;
    }
    Tensor *in = &g->tensors[g->inputs[0]];
    if (in->rank == 4) in->dim_names[2] = "height", in->dim_names[3] = "width";
    return true;
}

/* The model as read_once reads it; one whose Input leaves the size open (our dynamic=True
 * export) is read again at a second size, and when nothing but dims differ, those dims are
 * unknown: the graph runs at any size.  A file whose layers fix a size after all stays as
 * read at metadata.yaml's imgsz. */
static Graph *read_impl(const char *param, size_t param_len, uint8_t *bin, size_t bin_len, const char *meta,
                        size_t meta_len, const char *name, char *err, size_t errlen)
{
    bool dynamic = false, dynamic2 = false;
    Graph *g = read_once(param, param_len, bin, bin_len, true, meta, meta_len, name, NULL, &dynamic, err, errlen);
    if (!g || !dynamic) return g;
    const Tensor *in = &g->tensors[g->inputs[0]];
    if (in->rank != 4) return g;
    int probe[2] = {(int)in->dims[2] + 64, (int)in->dims[3] + 128};
    char why[256];
    Graph *alt = read_once(param, param_len, bin, bin_len, false, meta, meta_len, name, probe, &dynamic2, why,
                           sizeof why);
    if (alt) mark_dynamic(g, alt);
    graph_free(alt);
    return g;
}

Graph *ncnn_read_memory(const char *param, size_t param_len, const uint8_t *bin, size_t bin_len,
                        const char *metadata_yaml, size_t metadata_len, const char *name, char *err, size_t errlen)
{
    /* past the reader's limit, only the size is looked at (read_impl refuses it) */
    uint64_t n = bin_len && bin_len <= MAX_BIN_BYTES ? bin_len : 1;
    uint8_t *copy = membudget_alloc(n, name ? name : "(memory)", "the weights", err, errlen);
    if (!copy) return NULL;
    if (n == bin_len) memcpy(copy, bin, bin_len);
    return read_impl(param, param_len, copy, bin_len, metadata_yaml, metadata_len, name, err, errlen);
}

/* ---- files ------------------------------------------------------------------------------------
 * The .param the user named is opened as they named it (a link they chose is followed); the
 * one found in a folder, the .bin and metadata.yaml are the model's own files, opened inside
 * its folder (engine/core/fileio.h: fileio_open_beside: no link followed, a regular file,
 * never blocking on a FIFO). */

/* Does fd (closed here; -1 allowed) open a .param: the magic on the first line, then two
 * positive counts? */
static bool sniff_fd(int fd)
{
    if (fd < 0) return false;
    char buf[64];
    buf[fileio_read_head(fd, buf, sizeof buf - 1)] = '\0';
    char *p = buf, *end;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    long magic = strtol(p, &end, 10);
    if (end == p || magic != NCNN_MAGIC) return false;
    while (*end == ' ' || *end == '\t' || *end == '\r') end++;
    if (*end != '\n') return false;
    p = end + 1;
    long a = strtol(p, &end, 10);
    if (end == p || a <= 0) return false;
    p = end;
    long b = strtol(p, &end, 10);
    return end != p && b > 0;
}

/* The folder of the model and the name of its .param in it (heap strings), and whether the
 * user named that .param (*named) or the folder; -1 + message when path is neither. */
static int find_param(const char *path, char **dir, char **name, bool *named, char *err, size_t errlen)
{
    *dir = *name = NULL;
    *named = !file_is_dir(path);
    if (*named) {
        if (!sniff_fd(fileio_open_regular(path, NULL, NULL, 0)))
            return err_set(err, errlen, "%s: not an ncnn .param (its first line is not %d)", path, NCNN_MAGIC);
        const char *slash = strrchr(path, '/');
        *dir = slash ? xstrndup(path, (size_t)(slash - path) + (slash == path)) : xstrdup(".");
        *name = xstrdup(slash ? slash + 1 : path);
        return 0;
    }
    if (sniff_fd(fileio_open_beside(path, NCNN_PARAM_FILE, NULL, NULL, 0))) {
        *dir = xstrdup(path);
        *name = xstrdup(NCNN_PARAM_FILE);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) return err_set(err, errlen, "%s: %s", path, strerror(errno));
    char *found = NULL;
    int count = 0;
    for (struct dirent *e; (e = readdir(d));) { /* links, FIFOs, folders: not opened, not counted */
        size_t n = strlen(e->d_name);
        if (n < 7 || strcmp(e->d_name + n - 6, ".param")) continue;
        if (sniff_fd(fileio_open_beside(path, e->d_name, NULL, NULL, 0)) && count++ == 0) found = xstrdup(e->d_name);
    }
    closedir(d);
    if (count != 1) {
        free(found);
        return err_set(err, errlen, "%s: %s ncnn .param", path, count ? "holds more than one" : "holds no");
    }
    *dir = xstrdup(path);
    *name = found;
    return 0;
}

static char *join_path(const char *dir, const char *name)
{
    return !strcmp(dir, ".") ? xstrdup(name) : xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
}

char *ncnn_find_param(const char *path, char *err, size_t errlen)
{
    char *dir, *name;
    bool named;
    if (find_param(path, &dir, &name, &named, err, errlen)) return NULL;
    char *p = named ? xstrdup(path) : join_path(dir, name);
    free(dir);
    free(name);
    return p;
}

int ncnn_sniff(const char *path)
{
    char *p = ncnn_find_param(path, NULL, 0);
    free(p);
    return p != NULL;
}

Graph *ncnn_read(const char *path, char *err, size_t errlen)
{
    char *dir, *name;
    bool named, absent = false;
    if (find_param(path, &dir, &name, &named, err, errlen)) return NULL;
    char *param_path = named ? xstrdup(path) : join_path(dir, name);
    size_t n = strlen(name), param_len = 0, bin_len = 0, meta_len = 0;
    char *bin_name = n > 6 && !strcmp(name + n - 6, ".param") ? xasprintf("%.*s.bin", (int)(n - 6), name)
                                                             : xasprintf("%s.bin", name);
    uint8_t *param = NULL, *bin = NULL, *meta = NULL;
    if (named) {
        struct stat st;
        int fd = fileio_open_regular(path, &st, err, errlen);
        if (fd >= 0) param = fileio_read_fd(fd, &st, MAX_PARAM_BYTES, path, &param_len, err, errlen);
    } else if (!(param = fileio_read_beside(dir, name, MAX_PARAM_BYTES, &param_len, &absent, err, errlen)) && absent) {
        err_set(err, errlen, "%s: no such file", param_path);
    }
    Graph *g = NULL;
    bool ok = param != NULL;
    if (ok && !(bin = fileio_read_beside(dir, bin_name, MAX_BIN_BYTES, &bin_len, &absent, err, errlen))) {
        if (absent) {
            char *bin_path = join_path(dir, bin_name);
            err_set(err, errlen, "%s: its weights %s are missing", param_path, bin_path);
            free(bin_path);
        }
        ok = false;
    }
    if (ok && !(meta = fileio_read_beside(dir, "metadata.yaml", MAX_META_BYTES, &meta_len, &absent, err, errlen)) &&
        !absent)
        ok = false;
    if (ok) {
        g = read_impl((const char *)param, param_len, bin, bin_len, (const char *)meta, meta_len, param_path, err,
                      errlen);
        bin = NULL; /* adopted (or freed) by read_impl */
        if (g) g->meta.source_path = arena_strdup(g->arena, param_path);
    }
    membudget_free(bin);
    membudget_free(meta);
    membudget_free(param);
    free(bin_name);
    free(param_path);
    free(dir);
    free(name);
    return g;
}
