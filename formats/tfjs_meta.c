/* tfjs_meta: the web model's metadata.yaml (a JSON object emitted with libyaml the way the
 * peer's yaml dump writes it: block style, insertion order, strings quoted only where YAML
 * 1.1 would read them as something else) and tfjs_check_dir(), the structural check of a
 * written directory. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "engine/core/yamlguard.h"
#include "formats/tfjs_impl.h"

#define META_MAX_DEPTH 32
#define CHECK_MAX_JSON (512u << 20)   /* model.json larger than this is refused */
#define CHECK_MAX_YAML (16u << 20)
#define CHECK_MAX_NODES 4000000

/* ---- metadata.yaml --------------------------------------------------------------------- */
typedef struct {
    char *buf;
    size_t len, cap;
} Out;

static int out_write(void *data, unsigned char *p, size_t n)
{
    Out *o = data;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1) cap *= 2;
        o->buf = xrealloc(o->buf, cap);
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    o->buf[o->len] = 0;
    return 1;
}

/* The YAML 1.1 implicit types a plain scalar could be read as (PyYAML's resolvers). */
static const char *const implicit_patterns[] = {
    "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
    "^(~|null|Null|NULL|<<|=)$",
    "^[-+]?(0b[01_]+|0[0-7_]+|0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)$",
    "^[-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+][0-9]+)?$",                  /* float */
    "^\\.[0-9_]+([eE][-+][0-9]+)?$",
    "^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*$",                     /* sexagesimal float */
    "^([-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
    "^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt \t].*)?$",
};

typedef struct {
    yaml_emitter_t em;
    regex_t re[ARRAY_LEN(implicit_patterns)];
    int n_re;
    char *err;
    size_t errlen;
} Meta;

static bool looks_implicit(const Meta *m, const char *s)
{
    if (!*s) return true;
    for (int i = 0; i < m->n_re; i++)
        if (!regexec(&m->re[i], s, 0, NULL, 0)) return true;
    return false;
}

static int emit(Meta *m, yaml_event_t *ev)
{
    if (!yaml_emitter_emit(&m->em, ev))
        return err_set(m->err, m->errlen, "metadata.yaml: %s", m->em.problem ? m->em.problem : "emitter error");
    return 0;
}

static int emit_scalar(Meta *m, const char *text, bool plain_only, bool quote)
{
    yaml_event_t ev;
    yaml_scalar_style_t style = quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, !plain_only, style))
        return err_set(m->err, m->errlen, "metadata.yaml: out of memory");
    return emit(m, &ev);
}

static int emit_string(Meta *m, const char *s) { return emit_scalar(m, s, false, looks_implicit(m, s)); }

static void format_double(double d, char *buf, size_t len)
{
    if (d != d) { snprintf(buf, len, ".nan"); return; }
    if (d > 1e308 || d < -1e308) { snprintf(buf, len, d > 0 ? ".inf" : "-.inf"); return; }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) break;
    }
    if (!strpbrk(buf, ".eEn")) strncat(buf, ".0", len - strlen(buf) - 1);
}

static bool all_digits(const char *s)
{
    if (!*s || strlen(s) > 18) return false;
    if (s[0] == '0' && s[1]) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

static int emit_value(Meta *m, const json_object *v, int depth)
{
    yaml_event_t ev;
    if (depth > META_MAX_DEPTH) return err_set(m->err, m->errlen, "metadata.yaml: nesting deeper than %d", META_MAX_DEPTH);
    switch (json_object_get_type(v)) {
    case json_type_object: {
        bool empty = json_object_object_length(v) == 0;
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, empty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
        if (emit(m, &ev)) return -1;
        json_object_object_foreach((json_object *)v, key, val) {
            /* JSON keys are strings; the peer's int keys (names) come back as ints */
            if (all_digits(key) ? emit_scalar(m, key, true, false) : emit_string(m, key)) return -1;
            if (emit_value(m, val, depth + 1)) return -1;
        }
        yaml_mapping_end_event_initialize(&ev);
        return emit(m, &ev);
    }
    case json_type_array: {
        size_t n = json_object_array_length(v);
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
        if (emit(m, &ev)) return -1;
        for (size_t i = 0; i < n; i++)
            if (emit_value(m, json_object_array_get_idx(v, i), depth + 1)) return -1;
        yaml_sequence_end_event_initialize(&ev);
        return emit(m, &ev);
    }
    case json_type_string: return emit_string(m, json_object_get_string((json_object *)v));
    case json_type_int: {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)json_object_get_int64(v));
        return emit_scalar(m, buf, true, false);
    }
    case json_type_double: {
        char buf[48];
        format_double(json_object_get_double(v), buf, sizeof buf);
        return emit_scalar(m, buf, true, false);
    }
    case json_type_boolean: return emit_scalar(m, json_object_get_boolean(v) ? "true" : "false", true, false);
    default: return emit_scalar(m, "null", true, false);
    }
}

char *tfjs_metadata_yaml(const struct json_object *meta, size_t *len, char *err, size_t errlen)
{
    if (meta && json_object_get_type(meta) != json_type_object) {
        err_set(err, errlen, "metadata.yaml: the metadata must be a JSON object");
        return NULL;
    }
    Meta m = {.err = err, .errlen = errlen};
    Out out = {0};
    for (size_t i = 0; i < ARRAY_LEN(implicit_patterns); i++) {
        if (regcomp(&m.re[i], implicit_patterns[i], REG_EXTENDED | REG_NOSUB)) break;
        m.n_re++;
    }
    int rc = m.n_re == (int)ARRAY_LEN(implicit_patterns) ? 0 : err_set(err, errlen, "metadata.yaml: regex setup failed");
    yaml_emitter_initialize(&m.em);
    yaml_emitter_set_output(&m.em, out_write, &out);
    yaml_emitter_set_unicode(&m.em, 1);
    yaml_event_t ev;
    if (!rc) {
        yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
        rc = emit(&m, &ev);
    }
    if (!rc) {
        yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
        rc = emit(&m, &ev);
    }
    if (!rc) {
        json_object *empty = meta ? NULL : json_object_new_object();
        rc = emit_value(&m, meta ? meta : empty, 0);
        json_object_put(empty);
    }
    if (!rc) {
        yaml_document_end_event_initialize(&ev, 1);
        rc = emit(&m, &ev);
    }
    if (!rc) {
        yaml_stream_end_event_initialize(&ev);
        rc = emit(&m, &ev);
    }
    if (!rc && !yaml_emitter_flush(&m.em)) rc = err_set(err, errlen, "metadata.yaml: cannot flush the emitter");
    yaml_emitter_delete(&m.em);
    for (int i = 0; i < m.n_re; i++) regfree(&m.re[i]);
    if (rc) {
        free(out.buf);
        return NULL;
    }
    if (!out.buf) out_write(&out, (unsigned char *)"", 0);
    *len = out.len;
    return out.buf;
}

json_object *tfjs_metadata_from_kv(const KeyValue *kv, int n, char *err, size_t errlen)
{
    json_object *o = json_object_new_object();
    for (int i = 0; i < n; i++) {
        const char *key = kv[i].key, *val = kv[i].value;
        if (!key || !*key || !val) {
            err_set(err, errlen, "metadata.yaml: entry %d has no key or no value", i + 1);
            json_object_put(o);
            return NULL;
        }
        if (json_object_object_get_ex(o, key, NULL)) {
            err_set(err, errlen, "metadata.yaml: key '%s' is given twice", key);
            json_object_put(o);
            return NULL;
        }
        json_tokener *tok = json_tokener_new_ex(META_MAX_DEPTH);
        json_object *v = json_tokener_parse_ex(tok, val, -1); /* -1: the NUL ends a number */
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        /* the whole text must be one value ("null" parses to NULL) */
        size_t used = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (jerr != json_tokener_success || val[used + strspn(val + used, " \t\r\n")]) {
            err_set(err, errlen, "metadata.yaml: the value of '%s' is not JSON (%s)", key,
                    jerr != json_tokener_success ? json_tokener_error_desc(jerr) : "trailing text");
            json_object_put(v);
            json_object_put(o);
            return NULL;
        }
        json_object_object_add(o, key, v);
    }
    return o;
}

int tfjs_yaml_is_mapping(const char *text, size_t len, char *err, size_t errlen)
{
    if (yamlguard_check(text, len, err, errlen) != 0) return -1; /* before libyaml */
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = 0, depth = 0;
    bool seen_root = false, done = false;
    for (long events = 0; !done && !rc; events++) {
        yaml_event_t ev;
        if (events > 10000000 || !yaml_parser_parse(&p, &ev)) {
            rc = err_set(err, errlen, "line %zu: %s", p.problem_mark.line + 1,
                         p.problem ? p.problem : "too many YAML events");
            break;
        }
        switch (ev.type) {
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (!seen_root && ev.type != YAML_MAPPING_START_EVENT) rc = err_set(err, errlen, "not a YAML mapping");
            seen_root = true;
            if (++depth > 64) rc = err_set(err, errlen, "nested deeper than 64");
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT: depth--; break;
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            if (!seen_root) rc = err_set(err, errlen, "not a YAML mapping");
            seen_root = true;
            break;
        case YAML_STREAM_END_EVENT: done = true; break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    if (!rc && !seen_root) rc = err_set(err, errlen, "empty document, not a YAML mapping");
    yaml_parser_delete(&p);
    return rc;
}

/* ---- structural check ------------------------------------------------------------------ */
typedef struct {
    const char *name;
    const char *op;
    int weight_uses; /* Const: manifest entries naming it */
} CheckNode;

static int cmp_node(const void *a, const void *b) { return strcmp(((const CheckNode *)a)->name, ((const CheckNode *)b)->name); }

static CheckNode *find_node(CheckNode *nodes, int n, const char *name)
{
    CheckNode key = {.name = name};
    return bsearch(&key, nodes, (size_t)n, sizeof *nodes, cmp_node);
}

/* "^node", "node", "node:k" -> node name (into buf) and k. */
static bool parse_ref(const char *ref, char *buf, size_t len, long *k)
{
    if (*ref == '^') ref++;
    const char *colon = strrchr(ref, ':');
    size_t n = colon ? (size_t)(colon - ref) : strlen(ref);
    if (!n || n >= len) return false;
    memcpy(buf, ref, n);
    buf[n] = 0;
    *k = 0;
    if (colon) {
        char *end;
        *k = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || *end || *k < 0 || *k > 100000) return false;
    }
    return true;
}

static json_object *get(json_object *o, const char *key, json_type type)
{
    json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || json_object_get_type(v) != type) return NULL;
    return v;
}

static bool safe_file_name(const char *s)
{
    if (!*s || strlen(s) > 255 || !strcmp(s, ".") || !strcmp(s, "..")) return false;
    for (; *s; s++)
        if (*s == '/' || *s == '\\') return false;
    return true;
}

/* Bytes of one manifest entry; -1 on a malformed entry (message set). */
static int64_t entry_bytes(json_object *e, const char *where, bool *quantized, char *err, size_t errlen)
{
    json_object *shape = get(e, "shape", json_type_array), *dt = get(e, "dtype", json_type_string);
    if (!shape || !dt) return err_set(err, errlen, "%s: a weight lacks a shape or a dtype", where);
    int64_t numel = 1;
    size_t rank = json_object_array_length(shape);
    if (rank > 16) return err_set(err, errlen, "%s: a weight has rank %zu", where, rank);
    for (size_t i = 0; i < rank; i++) {
        json_object *d = json_object_array_get_idx(shape, i);
        if (json_object_get_type(d) != json_type_int) return err_set(err, errlen, "%s: a weight's shape is not integers", where);
        int64_t v = json_object_get_int64(d);
        if (v < 0 || (v && numel > INT64_MAX / 64 / v)) return err_set(err, errlen, "%s: a weight's shape is out of range", where);
        numel *= v;
    }
    const char *dts = json_object_get_string(dt);
    int es = !strcmp(dts, "float32") || !strcmp(dts, "int32") ? 4 : !strcmp(dts, "bool") ? 1 : 0;
    if (!es) return err_set(err, errlen, "%s: weight dtype '%s' is not one TF.js loads", where, dts);
    json_object *q = get(e, "quantization", json_type_object);
    if (q) {
        json_object *qd = get(q, "dtype", json_type_string);
        const char *qs = qd ? json_object_get_string(qd) : "";
        *quantized = true;
        if (!strcmp(qs, "float16")) {
            if (strcmp(dts, "float32")) return err_set(err, errlen, "%s: float16 quantization of a %s weight", where, dts);
            es = 2;
        } else if (!strcmp(qs, "uint8") || !strcmp(qs, "uint16")) {
            json_object *mn = NULL, *sc = NULL;
            json_object_object_get_ex(q, "min", &mn);
            json_object_object_get_ex(q, "scale", &sc);
            bool num = mn && sc && (json_object_is_type(mn, json_type_double) || json_object_is_type(mn, json_type_int)) &&
                       (json_object_is_type(sc, json_type_double) || json_object_is_type(sc, json_type_int));
            if (!num) return err_set(err, errlen, "%s: %s quantization without min and scale", where, qs);
            es = qs[4] == '8' ? 1 : 2;
        } else {
            return err_set(err, errlen, "%s: unknown quantization dtype '%s'", where, qs);
        }
    }
    return numel * es;
}

static int check_model(const char *dir, json_object *model, TfjsSummary *s, char *err, size_t errlen)
{
    char where[1024];
    snprintf(where, sizeof where, "%s/model.json", dir);
    json_object *fmt = get(model, "format", json_type_string);
    if (!fmt || strcmp(json_object_get_string(fmt), "graph-model"))
        return err_set(err, errlen, "%s: \"format\" is not \"graph-model\"", where);
    json_object *nodes = get(get(model, "modelTopology", json_type_object), "node", json_type_array);
    if (!nodes) return err_set(err, errlen, "%s: no modelTopology.node list", where);
    size_t nn = json_object_array_length(nodes);
    if (nn == 0 || nn > CHECK_MAX_NODES) return err_set(err, errlen, "%s: %zu nodes", where, nn);
    CheckNode *cn = xcalloc(nn, sizeof *cn);
    int rc = 0;
    int placeholders = 0;
    for (size_t i = 0; i < nn && !rc; i++) {
        json_object *n = json_object_array_get_idx(nodes, i);
        json_object *name = get(n, "name", json_type_string), *op = get(n, "op", json_type_string);
        if (!name || !op || !*json_object_get_string(name))
            rc = err_set(err, errlen, "%s: node %zu lacks a name or an op", where, i);
        else {
            cn[i].name = json_object_get_string(name);
            cn[i].op = json_object_get_string(op);
            if (!strncmp(cn[i].op, "Placeholder", 11)) placeholders++;
        }
    }
    if (!rc) qsort(cn, nn, sizeof *cn, cmp_node);
    for (size_t i = 1; i < nn && !rc; i++)
        if (!strcmp(cn[i - 1].name, cn[i].name)) rc = err_set(err, errlen, "%s: two nodes are named '%s'", where, cn[i].name);
    char buf[1024];
    long k;
    for (size_t i = 0; i < nn && !rc; i++) {
        json_object *n = json_object_array_get_idx(nodes, i), *in = get(n, "input", json_type_array);
        for (size_t j = 0; in && j < json_object_array_length(in) && !rc; j++) {
            json_object *r = json_object_array_get_idx(in, j);
            const char *ref = json_object_is_type(r, json_type_string) ? json_object_get_string(r) : NULL;
            if (!ref || !parse_ref(ref, buf, sizeof buf, &k) || !find_node(cn, (int)nn, buf))
                rc = err_set(err, errlen, "%s: node '%s' takes '%s', which no node produces", where,
                             json_object_get_string(get(n, "name", json_type_string)), ref ? ref : "?");
        }
    }
    /* the manifest against the Const nodes and the shard files */
    json_object *man = get(model, "weightsManifest", json_type_array);
    if (!rc && !man) rc = err_set(err, errlen, "%s: no weightsManifest", where);
    for (size_t gi = 0; man && gi < json_object_array_length(man) && !rc; gi++) {
        json_object *grp = json_object_array_get_idx(man, gi);
        json_object *paths = get(grp, "paths", json_type_array), *ws = get(grp, "weights", json_type_array);
        if (!paths || !ws) {
            rc = err_set(err, errlen, "%s: manifest group %zu lacks paths or weights", where, gi + 1);
            break;
        }
        int64_t want = 0, have = 0;
        for (size_t i = 0; i < json_object_array_length(ws) && !rc; i++) {
            json_object *e = json_object_array_get_idx(ws, i), *nm = get(e, "name", json_type_string);
            CheckNode *c = nm ? find_node(cn, (int)nn, json_object_get_string(nm)) : NULL;
            if (!c || strcmp(c->op, "Const"))
                rc = err_set(err, errlen, "%s: weight '%s' names no Const node", where, nm ? json_object_get_string(nm) : "?");
            else if (c->weight_uses++)
                rc = err_set(err, errlen, "%s: weight '%s' is listed twice", where, c->name);
            else {
                int64_t b = entry_bytes(e, where, &s->quantized, err, errlen);
                if (b < 0) rc = -1;
                else want += b;
                s->n_weights++;
            }
        }
        for (size_t i = 0; i < json_object_array_length(paths) && !rc; i++) {
            json_object *p = json_object_array_get_idx(paths, i);
            const char *ps = json_object_is_type(p, json_type_string) ? json_object_get_string(p) : "";
            if (!safe_file_name(ps)) {
                rc = err_set(err, errlen, "%s: shard path '%s' is not a plain file name", where, ps);
                break;
            }
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, ps);
            struct stat st;
            if (stat(path, &st) || !S_ISREG(st.st_mode)) rc = err_set(err, errlen, "%s: shard is missing", path);
            else have += st.st_size;
            s->n_shards++;
        }
        if (!rc && want != have)
            rc = err_set(err, errlen, "%s: group %zu describes %lld weight bytes but its shards hold %lld", where, gi + 1,
                         (long long)want, (long long)have);
        s->weight_bytes += want;
    }
    for (size_t i = 0; i < nn && !rc; i++)
        if (!strcmp(cn[i].op, "Const") && cn[i].weight_uses != 1)
            rc = err_set(err, errlen, "%s: Const '%s' has no weight in the manifest", where, cn[i].name);
    /* the signature's tensors */
    json_object *sig = get(model, "signature", json_type_object);
    s->n_inputs = placeholders;
    const char *kinds[2] = {"inputs", "outputs"};
    for (int kd = 0; kd < 2 && !rc; kd++) {
        json_object *m = get(sig, kinds[kd], json_type_object);
        if (!m) continue;
        int count = 0;
        json_object_object_foreach(m, key, val) {
            json_object *nm = get(val, "name", json_type_string);
            if (!nm || !parse_ref(json_object_get_string(nm), buf, sizeof buf, &k) || !find_node(cn, (int)nn, buf)) {
                rc = err_set(err, errlen, "%s: signature %s '%s' names no node", where, kinds[kd], key);
                break;
            }
            count++;
        }
        if (kd == 0) s->n_inputs = count;
        else s->n_outputs = count;
    }
    s->n_nodes = (int)nn;
    free(cn);
    return rc;
}

int tfjs_check_dir(const char *dir, TfjsSummary *summary, char *err, size_t errlen)
{
    TfjsSummary s = {0};
    char path[1024], why[512];
    snprintf(path, sizeof path, "%s/model.json", dir);
    size_t len;
    char *text = file_read_all(path, CHECK_MAX_JSON, &len, err, errlen);
    if (!text) return -1;
    json_tokener *tok = json_tokener_new_ex(64);
    json_object *model = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    free(text);
    int rc;
    if (!model || jerr != json_tokener_success || !json_object_is_type(model, json_type_object))
        rc = err_set(err, errlen, "%s: not a JSON object (%s)", path, json_tokener_error_desc(jerr));
    else
        rc = check_model(dir, model, &s, err, errlen);
    json_object_put(model);
    if (!rc) {
        snprintf(path, sizeof path, "%s/metadata.yaml", dir);
        text = file_read_all(path, CHECK_MAX_YAML, &len, err, errlen);
        if (!text) rc = -1;
        else if (tfjs_yaml_is_mapping(text, len, why, sizeof why)) rc = err_set(err, errlen, "%s: %s", path, why);
        free(text);
    }
    if (!rc && summary) *summary = s;
    return rc;
}
