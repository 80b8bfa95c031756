/* dataset: the dataset yaml, the split's images and their label files (see dataset.h). */
#include "engine/val/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "engine/core/util.h"
#include "engine/predict/sources.h"

#define DATASET_MAX_YAML (4u << 20)
#define DATASET_MAX_LABEL_FILE (64u << 20)
#define DATASET_MAX_IMAGES 10000000

/* ---- yaml ----------------------------------------------------------------------------------- */

static yaml_node_t *node(yaml_document_t *doc, int id) { return id ? yaml_document_get_node(doc, id) : NULL; }

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key)) return node(doc, p->value);
    }
    return NULL;
}

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A scalar that is YAML's null ("", "~", "null") counts as absent. */
static const char *scalar_value(yaml_node_t *n)
{
    const char *s = scalar(n);
    if (!s || !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "None")) return NULL;
    return s;
}

/* ---- paths ---------------------------------------------------------------------------------- */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return xstrdup(".");
    if (slash == path) return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

static char *join(const char *dir, const char *rel)
{
    if (rel[0] == '/') return xstrdup(rel);
    return xasprintf("%s/%s", dir, rel);
}

static char *absolute(const char *p)
{
    if (p[0] == '/') return xstrdup(p);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return xstrdup(p);
    return xasprintf("%s/%s", cwd, p);
}

static void push(Vec *v, char *s) { vec_push(v, sizeof s, &s); }

/* Entries a split folder's scan looks at, in all: a yaml naming "/" or a huge tree is
 * refused instead of walking the whole disk. */
#define DATASET_MAX_SCAN 200000

/* The images under dir (recursive, links not followed, hidden entries skipped); *budget
 * counts the entries still allowed.  0, or -1 when the budget ran out. */
static int list_images_rec(const char *dir, Vec *out, int depth, long *budget)
{
    if (depth > 32) return 0;
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) && out->len < DATASET_MAX_IMAGES) {
        if (e->d_name[0] == '.') continue;
        if (--*budget < 0) {
            rc = -1;
            break;
        }
        /* the entry's type as readdir gives it (no lstat for most entries of a big folder) */
        unsigned char t = e->d_type;
        if (t != DT_DIR && t != DT_UNKNOWN && !sources_is_image_name(e->d_name)) continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        struct stat sb;
        bool is_dir = t == DT_DIR, is_reg = t == DT_REG, is_lnk = t == DT_LNK, known = t != DT_UNKNOWN;
        if (!known && lstat(p, &sb) == 0) {
            is_dir = S_ISDIR(sb.st_mode), is_reg = S_ISREG(sb.st_mode), is_lnk = S_ISLNK(sb.st_mode);
            known = true;
        }
        if (!known) {
            /* gone since readdir: skipped */
        } else if (is_dir) {
            rc = list_images_rec(p, out, depth + 1, budget);
        } else if (sources_is_image_name(e->d_name) && (is_reg || (is_lnk && stat(p, &sb) == 0 && S_ISREG(sb.st_mode)))) {
            push(out, p); /* a linked image is an image; a linked folder is not walked */
            p = NULL;
        }
        free(p);
    }
    closedir(d);
    return rc;
}

/* The images of one split entry: a folder (recursive) or a .txt list (lines relative to its
 * folder when they start with "./"). */
static int split_images(const char *yaml, const char *key, const char *entry, const char *root, Vec *out, char *err,
                        size_t errlen)
{
    char *p = join(root, entry);
    struct stat sb;
    if (stat(p, &sb) != 0 && !strncmp(entry, "../", 3)) { /* the peer's second try */
        free(p);
        p = join(root, entry + 3);
    }
    if (stat(p, &sb) != 0) {
        err_set(err, errlen, "%s: %s: %s does not exist", yaml, key, p);
        free(p);
        return -1;
    }
    char *real = realpath(p, NULL);
    if (real) {
        free(p);
        p = xstrdup(real);
        free(real);
    }
    if (S_ISDIR(sb.st_mode)) {
        long budget = DATASET_MAX_SCAN;
        if (list_images_rec(p, out, 0, &budget) != 0) {
            err_set(err, errlen, "%s: %s: %s holds more than %d files and folders: name the folder of the images", yaml,
                    key, p, DATASET_MAX_SCAN);
            free(p);
            return -1;
        }
    } else {
        size_t len;
        char msg[512];
        char *text = file_read_all(p, DATASET_MAX_YAML * 16, &len, msg, sizeof msg);
        if (!text) {
            err_set(err, errlen, "%s: %s: %s", yaml, key, msg);
            free(p);
            return -1;
        }
        char *dir = dir_of(p);
        char *save = NULL;
        for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
            while (*line == ' ' || *line == '\t') line++;
            size_t l = strlen(line);
            while (l && (line[l - 1] == ' ' || line[l - 1] == '\t')) line[--l] = '\0';
            if (!l || !sources_is_image_name(line)) continue;
            char *img = !strncmp(line, "./", 2) ? xasprintf("%s/%s", dir, line + 2) : join(dir, line);
            push(out, img);
        }
        free(dir);
        free(text);
    }
    free(p);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int dataset_load(const char *path, const char *split, Dataset *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char msg[512];
    char *text = file_read_all(path, DATASET_MAX_YAML, &len, msg, sizeof msg);
    if (!text) return err_set(err, errlen, "%s", msg);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        err_set(err, errlen, "%s: not valid YAML: %s (line %zu)", path, parser.problem ? parser.problem : "parse error",
                parser.problem_mark.line + 1);
        yaml_parser_delete(&parser);
        free(text);
        return -1;
    }
    int rc = -1;
    Vec imgs = {0};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        err_set(err, errlen, "%s: not a dataset yaml (a mapping with path, train/val and names expected)", path);
        goto out;
    }
    out->yaml_path = absolute(path);
    char *ydir = dir_of(out->yaml_path);
    const char *p = scalar_value(map_get(&doc, root, "path"));
    out->root = p ? join(ydir, p) : xstrdup(ydir);
    free(ydir);
    char *real = realpath(out->root, NULL); /* the peer's Path.resolve() */
    if (real) {
        free(out->root);
        out->root = xstrdup(real);
        free(real);
    }
    /* names: a list, or a {index: name} map */
    yaml_node_t *names = map_get(&doc, root, "names");
    const char *nc_text = scalar_value(map_get(&doc, root, "nc"));
    if (names && names->type == YAML_SEQUENCE_NODE) {
        int n = (int)(names->data.sequence.items.top - names->data.sequence.items.start);
        out->nc = n;
        out->names = xcalloc((size_t)(n ? n : 1), sizeof *out->names);
        for (int i = 0; i < n; i++) {
            const char *s = scalar(node(&doc, names->data.sequence.items.start[i]));
            out->names[i] = xstrdup(s ? s : "?");
        }
    } else if (names && names->type == YAML_MAPPING_NODE) {
        int n = (int)(names->data.mapping.pairs.top - names->data.mapping.pairs.start);
        out->nc = n;
        out->names = xcalloc((size_t)(n ? n : 1), sizeof *out->names);
        for (yaml_node_pair_t *q = names->data.mapping.pairs.start; q < names->data.mapping.pairs.top; q++) {
            const char *k = scalar(node(&doc, q->key)), *v = scalar(node(&doc, q->value));
            char *end;
            long idx = k ? strtol(k, &end, 10) : -1;
            if (!k || *end || idx < 0 || idx >= n) {
                err_set(err, errlen, "%s: names: key '%s' is not a class index 0..%d", path, k ? k : "?", n - 1);
                goto out;
            }
            free(out->names[idx]);
            out->names[idx] = xstrdup(v ? v : "?");
        }
        for (int i = 0; i < n; i++)
            if (!out->names[i]) {
                err_set(err, errlen, "%s: names: class %d has no name", path, i);
                goto out;
            }
    } else if (nc_text) {
        char *end;
        long n = strtol(nc_text, &end, 10);
        if (*end || n < 1 || n > 100000) {
            err_set(err, errlen, "%s: nc: '%s' is not a class count", path, nc_text);
            goto out;
        }
        out->nc = (int)n;
        out->names = xcalloc((size_t)n, sizeof *out->names);
        for (int i = 0; i < n; i++) out->names[i] = xasprintf("class%d", i);
    } else {
        err_set(err, errlen, "%s: no names (and no nc): the dataset's classes are unknown", path);
        goto out;
    }
    if (out->nc < 1) {
        err_set(err, errlen, "%s: names is empty", path);
        goto out;
    }
    yaml_node_t *kpt = map_get(&doc, root, "kpt_shape");
    if (kpt && kpt->type == YAML_SEQUENCE_NODE && kpt->data.sequence.items.top - kpt->data.sequence.items.start == 2) {
        for (int i = 0; i < 2; i++) {
            const char *s = scalar(node(&doc, kpt->data.sequence.items.start[i]));
            out->kpt_shape[i] = s ? atoi(s) : 0;
        }
        if (out->kpt_shape[0] < 1 || out->kpt_shape[0] > 1000 || (out->kpt_shape[1] != 2 && out->kpt_shape[1] != 3)) {
            err_set(err, errlen, "%s: kpt_shape must be [keypoints, 2 or 3]", path);
            goto out;
        }
    }
    /* the split */
    out->split = xstrdup(split && *split ? split : "val");
    yaml_node_t *sp = map_get(&doc, root, out->split);
    if (!sp || (sp->type == YAML_SCALAR_NODE && !scalar_value(sp))) {
        err_set(err, errlen, "%s: no '%s' split in the dataset yaml", path, out->split);
        goto out;
    }
    if (sp->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = sp->data.sequence.items.start; it < sp->data.sequence.items.top; it++) {
            const char *s = scalar_value(node(&doc, *it));
            if (s && split_images(path, out->split, s, out->root, &imgs, err, errlen) != 0) goto out;
        }
    } else if (scalar_value(sp)) {
        if (split_images(path, out->split, scalar_value(sp), out->root, &imgs, err, errlen) != 0) goto out;
    }
    if (imgs.len == 0) {
        err_set(err, errlen, "%s: %s: no images (.jpg, .jpeg, .png) found under %s", path, out->split, out->root);
        goto out;
    }
    qsort(imgs.items, imgs.len, sizeof(char *), cmp_str);
    out->images = imgs.items;
    out->n_images = (int)imgs.len;
    imgs.items = NULL;
    imgs.len = 0;
    rc = 0;
out:
    for (size_t i = 0; i < imgs.len; i++) free(((char **)imgs.items)[i]);
    vec_free(&imgs);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(text);
    if (rc != 0) dataset_free(out);
    return rc;
}

void dataset_free(Dataset *d)
{
    if (!d) return;
    for (int i = 0; i < d->nc && d->names; i++) free(d->names[i]);
    free(d->names);
    for (int i = 0; i < d->n_images; i++) free(d->images[i]);
    free(d->images);
    free(d->yaml_path);
    free(d->root);
    free(d->split);
    memset(d, 0, sizeof *d);
}

/* ---- labels --------------------------------------------------------------------------------- */

char *dataset_label_path(const char *image_path)
{
    /* the last /images/ becomes /labels/, the extension .txt */
    const char *hit = NULL;
    for (const char *p = strstr(image_path, "/images/"); p; p = strstr(p + 1, "/images/")) hit = p;
    char *s = hit ? xasprintf("%.*s/labels/%s", (int)(hit - image_path), image_path, hit + 8) : xstrdup(image_path);
    char *dot = strrchr(s, '.'), *slash = strrchr(s, '/');
    if (dot && (!slash || dot > slash)) *dot = '\0';
    char *out = xasprintf("%s.txt", s);
    free(s);
    return out;
}

void dataset_labels_free(DatasetLabel *l, int n)
{
    for (int i = 0; i < n && l; i++) {
        free(l[i].poly);
        free(l[i].kpts);
    }
    free(l);
}

typedef struct {
    double *v;
    int n;
} Row;

/* rows in lexicographic order (what the peer's np.unique over rows leaves) */
static int row_cmp(const void *pa, const void *pb)
{
    const Row *a = pa, *b = pb;
    for (int i = 0; i < a->n && i < b->n; i++)
        if (a->v[i] != b->v[i]) return a->v[i] < b->v[i] ? -1 : 1;
    return (a->n > b->n) - (a->n < b->n);
}

int dataset_labels(const Dataset *d, int i, DatasetLabel **out, int *n, char *warn, size_t warnlen, char *err,
                   size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (warn && warnlen) warn[0] = '\0';
    char *lp = dataset_label_path(d->images[i]);
    struct stat sb;
    if (stat(lp, &sb) != 0) { /* no label file: a background image */
        free(lp);
        return 0;
    }
    size_t len;
    char msg[512];
    char *text = file_read_all(lp, DATASET_MAX_LABEL_FILE, &len, msg, sizeof msg);
    if (!text) {
        err_set(err, errlen, "%s", msg);
        free(lp);
        return -1;
    }
    bool pose = d->kpt_shape[0] > 0;
    int want_pose = 5 + d->kpt_shape[0] * d->kpt_shape[1];
    Vec rows = {0}; /* Row */
    int rc = 0, line_no = 0;
    char *next = text;
    while (next && *next && rc == 0) {
        char *line = next;
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
            next = nl + 1;
        } else {
            next = NULL;
        }
        line_no++;
        char *tok_save = NULL;
        double *vals = NULL;
        int nv = 0, cap = 0;
        for (char *t = strtok_r(line, " \t\r", &tok_save); t; t = strtok_r(NULL, " \t\r", &tok_save)) {
            char *end;
            double v = strtod(t, &end);
            if (*end || v != v) {
                rc = err_set(err, errlen, "%s:%d: '%s' is not a number", lp, line_no, t);
                break;
            }
            if (nv == cap) {
                cap = cap ? cap * 2 : 16;
                if (cap > 1 << 20) {
                    rc = err_set(err, errlen, "%s:%d: too many values on one line", lp, line_no);
                    break;
                }
                vals = xrealloc(vals, sizeof *vals * (size_t)cap);
            }
            vals[nv++] = v;
        }
        if (rc != 0 || nv == 0) {
            free(vals);
            continue;
        }
        bool seg = !pose && nv > 6;
        if (pose && nv != want_pose)
            rc = err_set(err, errlen, "%s:%d: labels require %d columns each (class, box and %d keypoints of %d values), "
                         "%d found", lp, line_no, want_pose, d->kpt_shape[0], d->kpt_shape[1], nv);
        else if (!pose && !seg && nv != 5)
            rc = err_set(err, errlen, "%s:%d: labels require 5 columns (class cx cy w h), %d columns found", lp, line_no, nv);
        else if (seg && (nv - 1) % 2 != 0)
            rc = err_set(err, errlen, "%s:%d: a polygon label needs x y pairs after the class, %d values found", lp,
                         line_no, nv - 1);
        for (int k = 0; rc == 0 && k < nv; k++) {
            if (vals[k] < 0) rc = err_set(err, errlen, "%s:%d: negative label value %g", lp, line_no, vals[k]);
            /* coordinates are normalised (pose: visibility flags are not coordinates) */
            else if (k > 0 && vals[k] > 1 && !(pose && k >= 5 && d->kpt_shape[1] == 3 && (k - 5) % 3 == 2))
                rc = err_set(err, errlen, "%s:%d: non-normalized or out of bounds coordinate %g (coordinates are "
                             "fractions of the image, 0 to 1)", lp, line_no, vals[k]);
        }
        if (rc == 0 && (vals[0] >= d->nc || vals[0] != (int)vals[0])) /* the bound first: (int) of 1e44 is undefined */
            rc = err_set(err, errlen, "%s:%d: label class %g exceeds dataset class count %d (classes 0-%d)", lp, line_no,
                         vals[0], d->nc, d->nc - 1);
        if (rc != 0) {
            free(vals);
            break;
        }
        Row row = {vals, nv};
        vec_push(&rows, sizeof row, &row);
    }
    int nr = (int)rows.len;
    Row *rv = rows.items;
    if (rc == 0 && nr > 0) {
        qsort(rv, (size_t)nr, sizeof *rv, row_cmp);
        DatasetLabel *l = xcalloc((size_t)nr, sizeof *l);
        int k = 0, dups = 0;
        for (int r = 0; r < nr; r++) {
            if (r > 0 && row_cmp(&rv[r], &rv[r - 1]) == 0) {
                dups++;
                continue;
            }
            const double *v = rv[r].v;
            int nvals = rv[r].n;
            DatasetLabel *L = &l[k++];
            L->cls = (int)v[0];
            if (!pose && nvals > 6) {
                int np = (nvals - 1) / 2;
                L->poly = xmalloc(sizeof(float) * 2 * (size_t)np);
                L->n_poly = np;
                double x0 = 1, y0 = 1, x1 = 0, y1 = 0;
                for (int j = 0; j < np; j++) {
                    double x = v[1 + 2 * j], y = v[2 + 2 * j];
                    L->poly[2 * j] = (float)x, L->poly[2 * j + 1] = (float)y;
                    x0 = x < x0 ? x : x0, y0 = y < y0 ? y : y0, x1 = x > x1 ? x : x1, y1 = y > y1 ? y : y1;
                }
                /* segments2boxes: the polygon's bounds as cx, cy, w, h */
                L->box[0] = (float)((x0 + x1) / 2), L->box[1] = (float)((y0 + y1) / 2);
                L->box[2] = (float)(x1 - x0), L->box[3] = (float)(y1 - y0);
            } else {
                for (int j = 0; j < 4; j++) L->box[j] = (float)v[1 + j];
                if (pose) {
                    int nk = d->kpt_shape[0] * d->kpt_shape[1];
                    L->kpts = xmalloc(sizeof(float) * (size_t)nk);
                    for (int j = 0; j < nk; j++) L->kpts[j] = (float)v[5 + j];
                }
            }
        }
        if (dups && warn) snprintf(warn, warnlen, "%s: %d duplicate labels removed", d->images[i], dups);
        *out = l;
        *n = k;
    }
    for (int r = 0; r < nr; r++) free(rv[r].v);
    vec_free(&rows);
    free(text);
    free(lp);
    return rc;
}
