/* tfjs_read: a TensorFlow.js graph model (`_web_model/`: model.json, its weight shards,
 * metadata.yaml) read into the Graph IR.  model.json's modelTopology is a GraphDef as JSON:
 * it becomes the protobuf GraphDef the SavedModel/GraphDef reader reads
 * (formats/tfsaved_impl.h), every Const given its data from the weights manifest.
 *
 * Weights.  The manifest's groups in order, each group's shard files concatenated, each
 * weight taking its bytes in turn: float32 and int32 as stored, and the converter's
 * quantisations decoded to float32 -- uint8/uint16 affine (min + scale * q) and float16.
 * Shard names are the folder's own files (no path separator, no link followed); their sizes
 * must add up to what the manifest says.  The outputs are the signature's, in key order. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fileio.h"
#include "engine/core/membudget.h"
#include "formats/tfjs.h"
#include "formats/tfsaved_impl.h"

#define TFJS_READ_MAX_JSON ((size_t)256 << 20)
#define TFJS_READ_MAX_WEIGHTS ((size_t)2 << 30)
#define TFJS_READ_MAX_SHARDS 4096
#define TFJS_META_MAX ((size_t)1 << 20)

/* The manifest's weights decoded from data (len bytes, every shard in order).  *n set; NULL +
 * message on anything that does not add up. */
static TfWeight *decode_weights(json_object *manifest, const uint8_t *data, size_t len, size_t *n, char *err,
                                size_t errlen)
{
    Vec ws = {0};
    size_t off = 0;
    int rc = 0;
    for (size_t gi = 0; !rc && gi < tf_json_len(manifest); gi++) {
        json_object *grp = json_object_array_get_idx(manifest, gi), *list = tf_json_member(grp, "weights");
        for (size_t k = 0; !rc && k < tf_json_len(list); k++) {
            json_object *w = json_object_array_get_idx(list, k), *shape = tf_json_member(w, "shape"), *q = tf_json_member(w, "quantization");
            const char *name = tf_json_str(tf_json_member(w, "name")), *dt = tf_json_str(tf_json_member(w, "dtype"));
            TfWeight tw;
            memset(&tw, 0, sizeof tw);
            if (!name || !dt || !json_object_is_type(shape, json_type_array) || tf_json_len(shape) > GRAPH_MAX_RANK) {
                rc = err_set(err, errlen, "weightsManifest entry %zu of group %zu needs a name, a dtype and a shape", k, gi);
                break;
            }
            int64_t numel = 1;
            tw.rank = (int)tf_json_len(shape);
            for (int d = 0; d < tw.rank && !rc; d++) {
                json_object *v = json_object_array_get_idx(shape, (size_t)d);
                int64_t s = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
                if (s < 0 || s > ((int64_t)1 << 31) || (s && numel > ((int64_t)1 << 31) / s))
                    rc = err_set(err, errlen, "weight %s: dim %d is not a size", name, d);
                else tw.dims[d] = s, numel *= s;
            }
            if (rc) break;
            const char *qd = q ? tf_json_str(tf_json_member(q, "dtype")) : NULL;
            size_t es;
            if (!strcmp(dt, "float32")) tw.dtype = DT_F32;
            else if (!strcmp(dt, "int32")) tw.dtype = DT_I32;
            else if (!strcmp(dt, "bool")) tw.dtype = DT_BOOL;
            else {
                rc = err_set(err, errlen, "weight %s: dtype %s is not read", name, dt);
                break;
            }
            if (q && (!qd || tw.dtype != DT_F32 || (strcmp(qd, "uint8") && strcmp(qd, "uint16") && strcmp(qd, "float16")))) {
                rc = err_set(err, errlen, "weight %s: quantization %s is not read", name, qd ? qd : "without a dtype");
                break;
            }
            es = q ? (!strcmp(qd, "uint8") ? 1 : 2) : dtype_size(tw.dtype);
            size_t bytes = (size_t)numel * es;
            if (bytes > len - off) {
                rc = err_set(err, errlen, "weight %s: needs %zu bytes at offset %zu; the shards hold %zu", name, bytes, off, len);
                break;
            }
            tw.nbytes = (size_t)numel * dtype_size(tw.dtype);
            tw.data = membudget_alloc(tw.nbytes ? tw.nbytes : 1, "model.json", name, err, errlen);
            if (!tw.data) {
                rc = -1;
                break;
            }
            const uint8_t *src = data + off;
            if (!q) {
                memcpy(tw.data, src, tw.nbytes);
            } else if (!strcmp(qd, "float16")) {
                for (int64_t i = 0; i < numel; i++) {
                    uint16_t h;
                    memcpy(&h, src + 2 * i, 2);
                    ((float *)tw.data)[i] = half_to_float(h);
                }
            } else {
                json_object *mn = tf_json_member(q, "min"), *sc = tf_json_member(q, "scale");
                double lo = mn ? json_object_get_double(mn) : 0, scale = sc ? json_object_get_double(sc) : 0;
                if (!mn || !sc || !(scale >= 0) || lo != lo || scale > 1e30 || lo > 1e30 || lo < -1e30) {
                    membudget_free(tw.data);
                    rc = err_set(err, errlen, "weight %s: quantization needs a finite min and scale", name);
                    break;
                }
                for (int64_t i = 0; i < numel; i++) {
                    uint32_t v = es == 1 ? src[i] : (uint32_t)(src[2 * i] | src[2 * i + 1] << 8);
                    ((float *)tw.data)[i] = (float)(lo + scale * v);
                }
            }
            off += bytes;
            tw.name = name;
            vec_push(&ws, sizeof tw, &tw);
        }
    }
    if (!rc && off != len) rc = err_set(err, errlen, "the shards hold %zu bytes; the manifest's weights use %zu", len, off);
    TfWeight *w = ws.items;
    if (rc) {
        for (size_t i = 0; i < ws.len; i++) membudget_free(w[i].data);
        vec_free(&ws);
        return NULL;
    }
    *n = ws.len;
    return w ? w : xcalloc(1, sizeof *w);
}

static int name_cmp(const void *a, const void *b) { return tf_key_order(*(const char *const *)a, *(const char *const *)b); }

/* model.json's text as a JSON object (the caller puts it), or NULL + message. */
static json_object *parse_model_json(const char *json, size_t json_len, const char *name, char *err, size_t errlen)
{
    json_tokener *tok = json_tokener_new();
    json_object *root = tok ? json_tokener_parse_ex(tok, json, (int)(json_len < (size_t)INT32_MAX ? json_len : 0)) : NULL;
    bool complete = tok && json_tokener_get_error(tok) == json_tokener_success;
    if (tok) json_tokener_free(tok);
    if (!root || !complete || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        err_set(err, errlen, "%s: not a JSON object", name);
        return NULL;
    }
    return root;
}

/* The graph of a parsed model.json (root stays the caller's). */
static Graph *read_root(json_object *root, const uint8_t *weights, size_t weights_len, const char *meta, size_t meta_len,
                        const char *name, char *err, size_t errlen)
{
    Graph *g = NULL;
    json_object *topo = tf_json_member(root, "modelTopology"), *nodes = tf_json_member(topo, "node"), *manifest = tf_json_member(root, "weightsManifest");
    json_object *outs = tf_json_member(tf_json_member(root, "signature"), "outputs");
    const char *fmt = tf_json_str(tf_json_member(root, "format"));
    size_t n_w = 0;
    TfWeight *w = NULL;
    if (!fmt || strcmp(fmt, "graph-model")) err_set(err, errlen, "%s: not a TF.js graph model (format is not \"graph-model\")", name);
    else if (!json_object_is_type(nodes, json_type_array)) err_set(err, errlen, "%s: modelTopology has no node list", name);
    else if (manifest && !json_object_is_type(manifest, json_type_array)) err_set(err, errlen, "%s: weightsManifest is not a list", name);
    else {
        char msg[512];
        w = decode_weights(manifest, weights, weights_len, &n_w, msg, sizeof msg);
        if (!w) err_set(err, errlen, "%s: %s", name, msg);
    }
    if (w) {
        const TfWeight **wp = xcalloc(n_w ? n_w : 1, sizeof *wp);
        for (size_t i = 0; i < n_w; i++) wp[i] = &w[i];
        Arena *a = arena_new();
        Vec keep = {0};
        Tensorflow__GraphDef *gd = tfsaved_graphdef_from_json(a, nodes, wp, n_w, &keep);
        /* the outputs: the signature's, in key order ("Identity:0", "Identity_1:0", ...) */
        const char **on = NULL;
        int no = 0;
        if (json_object_is_type(outs, json_type_object) && json_object_object_length(outs) <= 1024) {
            on = xcalloc((size_t)json_object_object_length(outs) + 1, sizeof *on);
            json_object_object_foreach(outs, key, val)
            {
                const char *tn = tf_json_str(tf_json_member(val, "name"));
                on[no++] = tn ? tn : key;
            }
            /* sort by key: keys and names are the same in every file this reads; sort names */
            qsort(on, (size_t)no, sizeof *on, name_cmp);
        }
        if (!gd) err_set(err, errlen, "%s: a node of modelTopology without a name or an op, or with an input that is not a string", name);
        else g = tfsaved_read_graphdef(gd, on, no, FMT_TFJS, name, meta, meta_len, err, errlen);
        free(on);
        vec_free(&keep);
        arena_free(a);
        free(wp);
        for (size_t i = 0; i < n_w; i++) membudget_free(w[i].data);
        free(w);
    }
    return g;
}

Graph *tfjs_read_memory(const char *json, size_t json_len, const uint8_t *weights, size_t weights_len, const char *meta,
                        size_t meta_len, const char *name, char *err, size_t errlen)
{
    json_object *root = parse_model_json(json, json_len, name, err, errlen);
    Graph *g = root ? read_root(root, weights, weights_len, meta, meta_len, name, err, errlen) : NULL;
    json_object_put(root);
    return g;
}

Graph *tfjs_read(const char *path, char *err, size_t errlen)
{
    /* the folder, or its model.json: the shards and metadata.yaml are that folder's files */
    char *dir = NULL;
    if (file_is_dir(path)) {
        dir = xstrdup(path);
    } else {
        const char *slash = strrchr(path, '/');
        dir = slash ? xasprintf("%.*s", (int)(slash - path), path) : xstrdup(".");
        if (strcmp(slash ? slash + 1 : path, "model.json")) {
            free(dir);
            err_set(err, errlen, "%s: open the _web_model folder or its model.json", path);
            return NULL;
        }
    }
    size_t jl = 0, ml = 0;
    bool absent = false, meta_absent = false;
    char *shown = xasprintf("%s/model.json", dir);
    uint8_t *json = fileio_read_beside(dir, "model.json", TFJS_READ_MAX_JSON, &jl, &absent, err, errlen);
    Graph *g = NULL;
    uint8_t *meta = NULL, *weights = NULL;
    json_object *root = NULL;
    char msg[512];
    if (!json) {
        if (absent) err_set(err, errlen, "%s: no model.json", dir);
        goto out;
    }
    meta = fileio_read_beside(dir, "metadata.yaml", TFJS_META_MAX, &ml, &meta_absent, msg, sizeof msg);
    if (!meta && !meta_absent) {
        err_set(err, errlen, "%s", msg);
        goto out;
    }
    if (!(root = parse_model_json((const char *)json, jl, shown, err, errlen))) goto out;
    /* the shards named by the manifest, concatenated */
    json_object *manifest = tf_json_member(root, "weightsManifest");
    size_t total = 0, n_paths = 0;
    Vec parts = {0};
    int rc = 0;
    for (size_t gi = 0; !rc && gi < tf_json_len(manifest); gi++) {
        json_object *paths = tf_json_member(json_object_array_get_idx(manifest, gi), "paths");
        for (size_t k = 0; !rc && k < tf_json_len(paths); k++) {
            const char *p = tf_json_str(json_object_array_get_idx(paths, k));
            if (!p || !*p || strchr(p, '/') || !strcmp(p, "..") || !strcmp(p, ".") || ++n_paths > TFJS_READ_MAX_SHARDS) {
                rc = err_set(err, errlen, "%s: weightsManifest path %s is not a file of the folder", shown, p ? p : "(not a string)");
                break;
            }
            size_t n = 0;
            bool gone = false;
            uint8_t *b = fileio_read_beside(dir, p, TFJS_READ_MAX_WEIGHTS - total, &n, &gone, msg, sizeof msg);
            if (!b) {
                rc = gone ? err_set(err, errlen, "%s: shard %s is missing", dir, p) : err_set(err, errlen, "%s", msg);
                break;
            }
            struct { uint8_t *p; size_t n; } part = {b, n};
            vec_push(&parts, sizeof part, &part);
            total += n;
        }
    }
    if (!rc) {
        weights = membudget_alloc(total ? total : 1, shown, "its weights", msg, sizeof msg);
        if (!weights) rc = err_set(err, errlen, "%s: %s", dir, msg);
    }
    size_t off = 0;
    struct { uint8_t *p; size_t n; } *pp = parts.items;
    for (size_t i = 0; i < parts.len; i++) {
        if (weights && pp[i].n) memcpy(weights + off, pp[i].p, pp[i].n);
        off += pp[i].n;
        membudget_free(pp[i].p);
    }
    vec_free(&parts);
    if (!rc) g = read_root(root, weights, total, (const char *)meta, ml, shown, err, errlen);
out:
    json_object_put(root);
    membudget_free(json);
    membudget_free(meta);
    membudget_free(weights);
    free(shown);
    free(dir);
    return g;
}
