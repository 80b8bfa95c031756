/* export_args: parsing `key=value` export arguments the way the peer's CLI reads them,
 * and the peer's export checks (Exporter.__call__, validate_args, check_imgsz) in its
 * order, with its message texts; plus yoloport's own checks (the arguments as text: export_argtext.c). */
#include "engine/export/export_args.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "engine/core/imgsz.h"
#include "engine/core/util.h"
#include "engine/remote/remote.h"
#include "formats/onnx.h"

const ExportArgInfo export_arg_info[EXPORT_KEY_COUNT] = {
#define X(id, nm, type, def, flags, help) [EXPORT_KEY_##id] = {EXPORT_KEY_##id, #nm, type, def, flags, help},
    EXPORT_ARGS(X)
#undef X
};

static const size_t key_offset[EXPORT_KEY_COUNT] = {
#define X(id, nm, type, def, flags, help) [EXPORT_KEY_##id] = offsetof(ExportArgs, nm),
    EXPORT_ARGS(X)
#undef X
};

static const size_t key_size[EXPORT_KEY_COUNT] = {
#define X(id, nm, type, def, flags, help) [EXPORT_KEY_##id] = sizeof(((ExportArgs *)0)->nm),
    EXPORT_ARGS(X)
#undef X
};

_Static_assert(EXPORT_KEY_COUNT <= 32, "ExportArgs.given/none are 32-bit masks");

#define FIELD(a, key) ((char *)(a) + key_offset[key])
#define CFIELD(a, key) ((const char *)(a) + key_offset[key])

int export_arg_find(const char *name)
{
    if (!name) return -1;
    for (int k = 0; k < EXPORT_KEY_COUNT; k++)
        if (strcmp(name, export_arg_info[k].name) == 0) return k;
    return -1;
}

/* ---- messages ----------------------------------------------------------------------- */

void export_msgs_clear(ExportMsgs *m)
{
    m->n = m->n_errors = m->n_warnings = m->dropped = 0;
}

void export_msgs_add(ExportMsgs *m, ExportMsgLevel level, int key, const char *fmt, ...)
{
    if (!m) return;
    if (level == EXPORT_MSG_ERROR) m->n_errors++;
    if (level == EXPORT_MSG_WARNING) m->n_warnings++;
    if (m->n >= EXPORT_MSGS_MAX) {
        m->dropped++;
        return;
    }
    ExportMsg *msg = &m->items[m->n++];
    msg->level = level;
    msg->key = key;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg->text, sizeof msg->text, fmt, ap);
    va_end(ap);
}

const char *export_msg_prefix(ExportMsgLevel level)
{
    switch (level) {
    case EXPORT_MSG_WARNING: return "WARNING ⚠️ ";
    case EXPORT_MSG_ERROR: return "ERROR ❌ ";
    default: return "";
    }
}

/* ---- Python-style values ------------------------------------------------------------ */

/* What the peer's smart_value() turns a CLI value into: None/True/False, else eval(). */
typedef enum { PV_NONE, PV_BOOL, PV_INT, PV_FLOAT, PV_STR, PV_LIST, PV_TUPLE } PyKind;

#define PV_MAX_ITEMS 8

typedef struct {
    PyKind kind;
    bool b;
    long long i;
    double f;
    int n_items;                 /* LIST/TUPLE: element count (may exceed PV_MAX_ITEMS) */
    bool items_int;              /* every element is an int */
    long long items[PV_MAX_ITEMS];
    char str[EXPORT_PATH_MAX];   /* STR: the text, quotes removed */
} PyVal;

static const char *py_type_name(PyKind k)
{
    static const char *const names[] = {"NoneType", "bool", "int", "float", "str", "list", "tuple"};
    return names[k];
}

static void strip_copy(const char *s, char *out, size_t outlen)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n >= outlen) n = outlen - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* A Python int literal (decimal, optional sign). */
static bool parse_int_lit(const char *s, long long *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return false;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q)) return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE) v = (*s == '-') ? LLONG_MIN : LLONG_MAX;
    *out = v;
    return true;
}

/* A Python float literal: digits with a '.' and/or an exponent (no inf/nan: eval fails). */
static bool parse_float_lit(const char *s, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    int digits = 0;
    bool dot = false, exp = false;
    while (isdigit((unsigned char)*p)) p++, digits++;
    if (*p == '.') {
        dot = true;
        p++;
        while (isdigit((unsigned char)*p)) p++, digits++;
    }
    if (!digits) return false;
    if (*p == 'e' || *p == 'E') {
        exp = true;
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!isdigit((unsigned char)*p)) return false;
        while (isdigit((unsigned char)*p)) p++;
    }
    if (*p || (!dot && !exp)) return false;
    *out = strtod(s, NULL);
    return true;
}

static bool is_quoted(const char *s)
{
    size_t n = strlen(s);
    return n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0];
}

/* smart_value(): "none"/"true"/"false" in any case, else what eval() would give for the
 * literals a CLI user types; anything eval() would reject stays a str. */
static void smart_value(const char *text, PyVal *v)
{
    char s[EXPORT_PATH_MAX];
    strip_copy(text, s, sizeof s);
    memset(v, 0, offsetof(PyVal, str));
    v->str[0] = '\0';
    if (strcasecmp(s, "none") == 0) {
        v->kind = PV_NONE;
        return;
    }
    if (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0) {
        v->kind = PV_BOOL;
        v->b = tolower((unsigned char)s[0]) == 't';
        return;
    }
    if (is_quoted(s)) {
        v->kind = PV_STR;
        size_t n = strlen(s) - 2;
        memcpy(v->str, s + 1, n);
        v->str[n] = '\0';
        return;
    }
    if (parse_int_lit(s, &v->i)) {
        v->kind = PV_INT;
        return;
    }
    if (parse_float_lit(s, &v->f)) {
        v->kind = PV_FLOAT;
        return;
    }
    /* [a, b], (a, b), a,b: sequences of numbers (other elements would be names: a str). */
    size_t n = strlen(s);
    const char *body = s;
    size_t blen = n;
    PyKind kind = PV_TUPLE;
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') kind = PV_LIST, body = s + 1, blen = n - 2;
    else if (n >= 2 && s[0] == '(' && s[n - 1] == ')') kind = PV_TUPLE, body = s + 1, blen = n - 2;
    else if (!strchr(s, ',')) goto as_str;
    {
        char inner[EXPORT_PATH_MAX];
        memcpy(inner, body, blen);
        inner[blen] = '\0';
        int count = 0;
        bool all_int = true;
        char *p = inner;
        bool empty_body = true;
        for (char *q = inner; *q; q++)
            if (!isspace((unsigned char)*q)) empty_body = false;
        if (!empty_body) {
            for (;;) {
                char *comma = strchr(p, ',');
                if (comma) *comma = '\0';
                char item[64];
                strip_copy(p, item, sizeof item);
                if (!*item) {
                    /* only a trailing comma is allowed: "640," or "[640,]" */
                    if (comma || count == 0) goto as_str;
                    break;
                }
                long long iv;
                double fv;
                if (parse_int_lit(item, &iv)) {
                    if (count < PV_MAX_ITEMS) v->items[count] = iv;
                } else if (parse_float_lit(item, &fv)) {
                    all_int = false;
                } else {
                    goto as_str;
                }
                count++;
                if (!comma) break;
                p = comma + 1;
            }
        }
        if (body == s && count == 0) goto as_str; /* a bare "," */
        v->kind = kind;
        v->n_items = count;
        v->items_int = all_int;
        return;
    }
as_str:
    v->kind = PV_STR;
    snprintf(v->str, sizeof v->str, "%s", s);
}

/* Python's repr() of a float: the shortest digits that read back the same, positional
 * for exponents -4..15 (with ".0" on whole numbers), else d.ddde+XX. */
static void py_float_repr(double x, char *buf, size_t len)
{
    if (isnan(x)) {
        snprintf(buf, len, "nan");
        return;
    }
    if (isinf(x)) {
        snprintf(buf, len, x < 0 ? "-inf" : "inf");
        return;
    }
    char e[64];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, x);
        if (strtod(e, NULL) == x) break;
    }
    if (prec > 17) prec = 17;
    int exp10 = atoi(strchr(e, 'e') + 1);
    if (exp10 >= -4 && exp10 < 16) {
        int decimals = prec - 1 - exp10;
        snprintf(buf, len, "%.*f", decimals > 0 ? decimals : 0, x);
        if (!strchr(buf, '.')) {
            size_t n = strlen(buf);
            if (n + 2 < len) memcpy(buf + n, ".0", 3);
        }
    } else {
        /* "1.5e+16", "1e-05": the %e mantissa without trailing zeros, exponent 2+ digits */
        char mant[64];
        snprintf(mant, sizeof mant, "%.*s", (int)(strchr(e, 'e') - e), e);
        snprintf(buf, len, "%se%c%02d", mant, exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
}

/* ---- defaults and values ------------------------------------------------------------ */

static void set_none(ExportArgs *a, int key)
{
    memset(FIELD(a, key), 0, key_size[key]);
    a->none |= EXPORT_ARG_BIT(key);
}

/* Store a default text into a key (defaults are literals we wrote: they parse). */
static void set_default(ExportArgs *a, int key)
{
    const ExportArgInfo *ai = &export_arg_info[key];
    a->none &= ~EXPORT_ARG_BIT(key);
    if (!ai->default_text) {
        set_none(a, key);
        return;
    }
    char *f = FIELD(a, key);
    const char *d = ai->default_text;
    switch (ai->type) {
    case ARG_BOOL: *(bool *)f = strcmp(d, "True") == 0; break;
    case ARG_INT: *(int *)f = atoi(d); break;
    case ARG_FLOAT: *(double *)f = strtod(d, NULL); break;
    case ARG_STR:
    case ARG_PATH: snprintf(f, key_size[key], "%s", d); break;
    case ARG_IMGSZ: {
        ExportImgsz *im = (ExportImgsz *)f;
        im->n = 1;
        im->v[0] = im->v[1] = atoi(d);
        break;
    }
    }
}

void export_args_init(ExportArgs *a)
{
    memset(a, 0, sizeof *a);
    for (int k = 0; k < EXPORT_KEY_COUNT; k++) set_default(a, k);
    a->given = 0;
}

bool export_args_is_none(const ExportArgs *a, ExportArgKey key)
{
    return key < EXPORT_KEY_COUNT && (a->none & EXPORT_ARG_BIT(key));
}

const void *export_args_field(const ExportArgs *a, ExportArgKey key)
{
    return CFIELD(a, key);
}

bool export_args_key_equal(const ExportArgs *a, const ExportArgs *b, ExportArgKey key)
{
    bool na = (a->none & EXPORT_ARG_BIT(key)) != 0, nb = (b->none & EXPORT_ARG_BIT(key)) != 0;
    if (na || nb) return na == nb;
    const char *fa = CFIELD(a, key), *fb = CFIELD(b, key);
    switch (export_arg_info[key].type) {
    case ARG_BOOL: return *(const bool *)fa == *(const bool *)fb;
    case ARG_INT: return *(const int *)fa == *(const int *)fb;
    case ARG_FLOAT: return *(const double *)fa == *(const double *)fb;
    case ARG_STR:
    case ARG_PATH: return strcmp(fa, fb) == 0;
    case ARG_IMGSZ: {
        const ExportImgsz *ia = (const ExportImgsz *)fa, *ib = (const ExportImgsz *)fb;
        return ia->v[0] == ib->v[0] && ia->v[1] == ib->v[1];
    }
    }
    return false;
}

bool export_args_is_default(const ExportArgs *a, ExportArgKey key)
{
    if (key >= EXPORT_KEY_COUNT) return true;
    ExportArgs d;
    export_args_init(&d);
    return export_args_key_equal(a, &d, key);
}

char *export_args_value_text(const ExportArgs *a, ExportArgKey key, char *buf, size_t len)
{
    if (!len) return buf;
    buf[0] = '\0';
    if (key >= EXPORT_KEY_COUNT) return buf;
    if (a->none & EXPORT_ARG_BIT(key)) {
        snprintf(buf, len, "None");
        return buf;
    }
    const char *f = CFIELD(a, key);
    switch (export_arg_info[key].type) {
    case ARG_BOOL: snprintf(buf, len, "%s", *(const bool *)f ? "True" : "False"); break;
    case ARG_INT: snprintf(buf, len, "%d", *(const int *)f); break;
    case ARG_FLOAT: py_float_repr(*(const double *)f, buf, len); break;
    case ARG_STR:
    case ARG_PATH: snprintf(buf, len, "%s", f); break;
    case ARG_IMGSZ: {
        const ExportImgsz *im = (const ExportImgsz *)f;
        if (im->n == 1) snprintf(buf, len, "%d", im->v[0]);
        else snprintf(buf, len, "%d,%d", im->v[0], im->v[1]);
        break;
    }
    }
    return buf;
}

/* ---- setting one key ---------------------------------------------------------------- */

static bool is_fraction_key(int key)
{
    return key == EXPORT_KEY_CONF || key == EXPORT_KEY_IOU || key == EXPORT_KEY_FRACTION;
}

static const char *imgsz_types_msg = "Valid imgsz types are int i.e. 'imgsz=640' or list i.e. 'imgsz=[640,640]'";
static const char *imgsz_dims_msg =
    "'train' and 'val' imgsz must be an integer, while 'predict' and 'export' imgsz may be a [h, w] list or an "
    "integer, i.e. 'yolo export imgsz=640,480' or 'yolo export imgsz=640'";

/* The list as Python prints it: "[640, 480, 3]". */
static void py_list_text(const PyVal *v, char *buf, size_t len)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "[");
    int shown = v->n_items < PV_MAX_ITEMS ? v->n_items : PV_MAX_ITEMS;
    for (int i = 0; i < shown && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? ", " : "", v->items[i]);
    if (o < len && v->n_items > shown) o += (size_t)snprintf(buf + o, len - o, ", ...");
    if (o < len) snprintf(buf + o, len - o, "]");
}

static int clamp_int(long long v)
{
    return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
}

int export_args_set(ExportArgs *a, const char *key, const char *value, ExportMsgs *m)
{
    int k = export_arg_find(key);
    if (k < 0) {
        /* The peer's check_dict_alignment(): get_close_matches(x, keys) (n=3, cutoff 0.6),
         * each shown as key=default, or key alone when the default is None. */
        const char *names[EXPORT_KEY_COUNT];
        for (int i = 0; i < EXPORT_KEY_COUNT; i++) names[i] = export_arg_info[i].name;
        int best[3];
        int nb = registry_close_matches(key ? key : "", names, EXPORT_KEY_COUNT, 3, 0.6, best);
        char sim[512] = "";
        if (nb > 0) {
            size_t o = (size_t)snprintf(sim, sizeof sim, " Similar arguments are i.e. [");
            for (int i = 0; i < nb && o < sizeof sim; i++) {
                const ExportArgInfo *ai = &export_arg_info[best[i]];
                if (ai->default_text)
                    o += (size_t)snprintf(sim + o, sizeof sim - o, "%s'%s=%s'", i ? ", " : "", ai->name,
                                          ai->default_text);
                else
                    o += (size_t)snprintf(sim + o, sizeof sim - o, "%s'%s'", i ? ", " : "", ai->name);
            }
            if (o < sizeof sim) snprintf(sim + o, sizeof sim - o, "].");
        }
        export_msgs_add(m, EXPORT_MSG_ERROR, -1, "'%s' is not a valid YOLO argument.%s", key ? key : "", sim);
        return -1;
    }
    const ExportArgInfo *ai = &export_arg_info[k];
    const char *name = ai->name;
    char raw[EXPORT_PATH_MAX];
    strip_copy(value ? value : "", raw, sizeof raw);
    PyVal *v = xmalloc(sizeof *v);
    smart_value(raw, v);
    int rc = -1;
    char *f = FIELD(a, k);

    if (v->kind == PV_NONE) {
        /* None: a nullable key becomes None; any other key falls back to its default. */
        set_default(a, k);
        if (ai->flags & ARGF_NULLABLE) set_none(a, k);
        rc = 0;
        goto done;
    }
    switch (ai->type) {
    case ARG_BOOL:
        if (v->kind == PV_BOOL || (v->kind == PV_INT && (v->i == 0 || v->i == 1))) {
            *(bool *)f = v->kind == PV_BOOL ? v->b : v->i == 1; /* 1/0 accepted: the peer wants True/False */
            rc = 0;
        } else {
            export_msgs_add(m, EXPORT_MSG_ERROR, k,
                            "'%s=%s' is of invalid type %s. '%s' must be a bool (i.e. '%s=True' or '%s=False')", name,
                            raw, py_type_name(v->kind), name, name, name);
        }
        break;
    case ARG_INT:
        if (k == EXPORT_KEY_BATCH) {
            /* batch is an int-or-float key for the peer; a whole number is needed to export */
            if (v->kind == PV_INT) {
                *(int *)f = clamp_int(v->i);
                rc = 0;
            } else if (v->kind == PV_FLOAT && v->f == floor(v->f) && fabs(v->f) < 1e9) {
                *(int *)f = (int)v->f;
                rc = 0;
            } else if (v->kind == PV_FLOAT) {
                export_msgs_add(m, EXPORT_MSG_ERROR, k, "'batch=%s' is not a whole number. 'batch' must be an int (i.e. 'batch=1')",
                                raw);
            } else {
                export_msgs_add(m, EXPORT_MSG_ERROR, k,
                                "'%s=%s' is of invalid type %s. Valid '%s' types are int (i.e. '%s=0') or float (i.e. "
                                "'%s=0.5')",
                                name, raw, py_type_name(v->kind), name, name, name);
            }
        } else if (v->kind == PV_INT) {
            *(int *)f = clamp_int(v->i);
            rc = 0;
        } else {
            export_msgs_add(m, EXPORT_MSG_ERROR, k, "'%s=%s' is of invalid type %s. '%s' must be an int (i.e. '%s=%d')",
                            name, raw, py_type_name(v->kind), name, name, k == EXPORT_KEY_OPSET ? 17 : 8);
        }
        break;
    case ARG_FLOAT: {
        double x;
        if (v->kind == PV_INT) x = (double)v->i;
        else if (v->kind == PV_FLOAT) x = v->f;
        else {
            export_msgs_add(m, EXPORT_MSG_ERROR, k,
                            "'%s=%s' is of invalid type %s. Valid '%s' types are int (i.e. '%s=0') or float (i.e. "
                            "'%s=0.5')",
                            name, raw, py_type_name(v->kind), name, name, name);
            break;
        }
        if (is_fraction_key(k) && !(x >= 0.0 && x <= 1.0)) {
            char num[64];
            if (v->kind == PV_INT) snprintf(num, sizeof num, "%lld", v->i);
            else py_float_repr(x, num, sizeof num);
            export_msgs_add(m, EXPORT_MSG_ERROR, k,
                            "'%s=%s' is an invalid value. Valid '%s' values are between 0.0 and 1.0.", name, num, name);
            break;
        }
        *(double *)f = x;
        rc = 0;
        break;
    }
    case ARG_STR:
    case ARG_PATH: {
        /* Any value is text here: device=0, name=rk3588, format=onnx. */
        const char *text = v->kind == PV_STR ? v->str : raw;
        if (strlen(text) >= key_size[k]) {
            export_msgs_add(m, EXPORT_MSG_ERROR, k, "'%s' is too long: at most %zu characters", name,
                            key_size[k] - 1);
            break;
        }
        if (!*text) {
            export_msgs_add(m, EXPORT_MSG_ERROR, k, "missing '%s' value", name);
            break;
        }
        snprintf(f, key_size[k], "%s", text);
        rc = 0;
        break;
    }
    case ARG_IMGSZ: {
        ExportImgsz *im = (ExportImgsz *)f;
        if (v->kind == PV_INT) {
            im->n = 1;
            im->v[0] = im->v[1] = clamp_int(v->i);
            rc = 0;
        } else if ((v->kind == PV_LIST || v->kind == PV_TUPLE) && v->items_int && v->n_items >= 1 &&
                   v->n_items <= 2) {
            im->n = v->n_items;
            im->v[0] = clamp_int(v->items[0]);
            im->v[1] = clamp_int(v->items[v->n_items - 1]);
            rc = 0;
        } else if ((v->kind == PV_LIST || v->kind == PV_TUPLE) && v->items_int) {
            char lt[256];
            py_list_text(v, lt, sizeof lt);
            if (v->n_items == 0)
                export_msgs_add(m, EXPORT_MSG_ERROR, k, "imgsz=[] is not a valid image size. %s", imgsz_dims_msg);
            else
                export_msgs_add(m, EXPORT_MSG_ERROR, k, "imgsz=%s is not a valid image size. %s", lt, imgsz_dims_msg);
        } else {
            export_msgs_add(m, EXPORT_MSG_ERROR, k, "'imgsz=%s' is of invalid type %s. %s", raw,
                            py_type_name(v->kind == PV_LIST || v->kind == PV_TUPLE ? PV_FLOAT : v->kind),
                            imgsz_types_msg);
        }
        break;
    }
    }
    if (rc == 0) a->none &= ~EXPORT_ARG_BIT(k);
done:
    if (rc == 0) a->given |= EXPORT_ARG_BIT(k);
    free(v);
    return rc;
}

/* Keys of the peer's default.yaml that export does not use: accepted and ignored, so a
 * pasted `yolo export ...` line works. */
static const char *const peer_other_keys[] = {
    "task", "mode", "epochs", "time", "patience", "save", "save_period", "cache", "workers",
    "exist_ok", "pretrained", "optimizer", "seed", "deterministic", "single_cls", "rect", "cos_lr",
    "close_mosaic", "resume", "amp", "profile", "freeze", "multi_scale", "overlap_mask", "mask_ratio",
    "dropout", "val", "save_json", "plots", "source", "vid_stride", "stream_buffer", "visualize", "augment",
    "classes", "retina_masks", "embed", "show", "save_frames", "save_txt", "save_conf", "save_crop",
    "show_labels", "show_conf", "show_boxes", "line_width", "tracker", "lr0", "lrf", "momentum",
    "weight_decay", "warmup_epochs", "warmup_momentum", "warmup_bias_lr", "box", "cls", "dfl", "pose", "kobj",
    "nbs", "hsv_h", "hsv_s", "hsv_v", "degrees", "translate", "scale", "shear", "perspective", "flipud",
    "fliplr", "bgr", "mosaic", "mixup", "cutmix", "copy_paste", "copy_paste_mode", "auto_augment", "erasing",
    "cfg", "dnn", "save_dir",
};
static const char *const peer_tasks[] = {"detect", "segment", "classify", "pose", "obb"};
static const char *const peer_modes[] = {"train", "val", "predict", "export", "track", "benchmark"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0) return true;
    return false;
}

int export_args_parse_token(ExportArgs *a, const char *token, ExportMsgs *m)
{
    if (!token) return 0;
    if (token[0] == '-' && token[1] && !isdigit((unsigned char)token[1])) {
        const char *bare = token;
        while (*bare == '-') bare++;
        char key[128];
        size_t n = strcspn(bare, "= ");
        if (n >= sizeof key) n = sizeof key - 1;
        memcpy(key, bare, n);
        key[n] = '\0';
        char example[256];
        int k = export_arg_find(key);
        if (bare[n] == '=' || bare[n] == ' ')
            snprintf(example, sizeof example, "%s=%s", key, bare + n + 1);
        else if (k >= 0)
            snprintf(example, sizeof example, "%s=%s", key,
                     export_arg_info[k].type == ARG_BOOL ? "True"
                     : export_arg_info[k].default_text ? export_arg_info[k].default_text
                                                       : "...");
        else
            snprintf(example, sizeof example, "half=True");
        export_msgs_add(m, EXPORT_MSG_ERROR, k, "'%s': arguments take no dashes: use key=value, e.g. %s", token,
                        example);
        return -1;
    }
    const char *eq = strchr(token, '=');
    if (!eq) {
        int k = export_arg_find(token);
        if (k >= 0 && export_arg_info[k].type == ARG_BOOL) return export_args_set(a, token, "True", m);
        if (k >= 0) {
            const ExportArgInfo *ai = &export_arg_info[k];
            export_msgs_add(m, EXPORT_MSG_ERROR, k,
                            "'%s' is a valid YOLO argument but is missing an '=' sign to set its value, i.e. try '%s=%s'",
                            token, token, ai->default_text ? ai->default_text : "None");
            return -1;
        }
        if (in_list(token, peer_modes, ARRAY_LEN(peer_modes))) {
            if (strcmp(token, "export") == 0) return 0;
            export_msgs_add(m, EXPORT_MSG_ERROR, -1, "'%s' is a YOLO mode, not an export argument", token);
            return -1;
        }
        if (in_list(token, peer_tasks, ARRAY_LEN(peer_tasks))) {
            export_msgs_add(m, EXPORT_MSG_INFO, -1, "task '%s' ignored: yoloport takes the task from the model", token);
            return 0;
        }
        return export_args_set(a, token, NULL, m); /* unknown key: the peer's message */
    }
    char key[128];
    size_t kl = (size_t)(eq - token);
    if (kl >= sizeof key) kl = sizeof key - 1;
    memcpy(key, token, kl);
    key[kl] = '\0';
    const char *value = eq + 1;
    if (!*value) {
        export_msgs_add(m, EXPORT_MSG_ERROR, export_arg_find(key), "missing '%s' value", key);
        return -1;
    }
    if (*value == '=') { /* "format==onnx", "x===": no key's value starts with '=' */
        export_msgs_add(m, EXPORT_MSG_ERROR, export_arg_find(key), "'%s': a stray '=' (write key=value, e.g. imgsz=640)",
                        token);
        return -1;
    }
    if (export_arg_find(key) < 0 && in_list(key, peer_other_keys, ARRAY_LEN(peer_other_keys))) {
        if (strcmp(key, "task") == 0)
            export_msgs_add(m, EXPORT_MSG_INFO, -1, "task=%s ignored: yoloport takes the task from the model", value);
        else
            export_msgs_add(m, EXPORT_MSG_INFO, -1, "'%s' is a YOLO argument that export does not use; ignored", key);
        return 0;
    }
    return export_args_set(a, key, value, m);
}

static bool looks_like_model(const char *w)
{
    struct stat st;
    if (stat(w, &st) == 0 && S_ISREG(st.st_mode)) return true;
    const char *dot = strrchr(w, '.');
    if (!dot) return false;
    return strcasecmp(dot, ".pt") == 0 || strcasecmp(dot, ".onnx") == 0 || strcasecmp(dot, ".yaml") == 0 ||
           strcasecmp(dot, ".yml") == 0;
}

static int bracket_depth(const char *s)
{
    int d = 0;
    for (; *s; s++) {
        if (*s == '[' || *s == '(') d++;
        else if (*s == ']' || *s == ')') d--;
    }
    return d;
}

int export_args_parse_argv(ExportArgs *a, int argc, char *const *argv, ExportMsgs *m)
{
    /* The peer's merge_equals_args(): rejoin what the shell split. */
    char **merged = xcalloc((size_t)(argc > 0 ? argc : 1), sizeof *merged);
    int nm = 0;
    bool stray = false;
    char *current = NULL;
    int depth = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        size_t len = strlen(arg);
        if (strcmp(arg, "=") == 0 && nm > 0 && i < argc - 1 && !current) {
            char *s = xasprintf("%s=%s", merged[nm - 1], argv[i + 1]);
            free(merged[nm - 1]);
            merged[nm - 1] = s;
            i++;
            continue;
        }
        if (len > 1 && arg[len - 1] == '=' && i < argc - 1 && !strchr(argv[i + 1], '=') && !current) {
            merged[nm++] = xasprintf("%s%s", arg, argv[i + 1]);
            i++;
            continue;
        }
        if (arg[0] == '=' && len > 1 && nm > 0 && !current) {
            /* ['imgsz', '=640'] is imgsz=640; but '=5' after 'format=onnx', or '===', would
             * silently change a value the line already gave: refused */
            if (strchr(merged[nm - 1], '=') || arg[1] == '=') {
                export_msgs_add(m, EXPORT_MSG_ERROR, -1, "'%s': a stray '=' after '%s' (write key=value, e.g. imgsz=640)",
                                arg, merged[nm - 1]);
                stray = true;
                continue;
            }
            char *s = xasprintf("%s%s", merged[nm - 1], arg);
            free(merged[nm - 1]);
            merged[nm - 1] = s;
            continue;
        }
        depth += bracket_depth(arg);
        char *joined = current ? xasprintf("%s%s", current, arg) : xstrdup(arg);
        free(current);
        current = joined;
        if (depth <= 0) {
            merged[nm++] = current;
            current = NULL;
            depth = 0;
        }
    }
    if (current) merged[nm++] = current;

    int rc = stray ? -1 : 0;
    for (int i = 0; i < nm; i++) {
        const char *t = merged[i];
        if (t[0] == '-' && t[1] && !isdigit((unsigned char)t[1]) && !strchr(t, '=') && i + 1 < nm &&
            !strchr(merged[i + 1], '=') && merged[i + 1][0] != '-') {
            /* "--imgsz 640": one hint naming imgsz=640, not a second error about "640" */
            char *both = xasprintf("%s %s", t, merged[i + 1]);
            export_args_parse_token(a, both, m);
            free(both);
            rc = -1;
            i++;
            continue;
        }
        if (!strchr(t, '=') && t[0] != '-' && export_arg_find(t) < 0 &&
            !in_list(t, peer_modes, ARRAY_LEN(peer_modes)) && !in_list(t, peer_tasks, ARRAY_LEN(peer_tasks)) &&
            !(a->given & EXPORT_ARG_BIT(EXPORT_KEY_MODEL)) && looks_like_model(t)) {
            if (export_args_set(a, "model", t, m) != 0) rc = -1;
            continue;
        }
        if (export_args_parse_token(a, t, m) != 0) rc = -1;
    }
    for (int i = 0; i < nm; i++) free(merged[i]);
    free(merged);
    return rc;
}

/* ---- validation ---------------------------------------------------------------------- */

bool export_int8_calibrates(FormatId id)
{
    return id == FMT_ONNX || id == FMT_OPENVINO || id == FMT_TFLITE || id == FMT_EDGETPU;
}

const char *export_task_default_data(const char *task)
{
    static const struct {
        const char *task, *data;
    } task2data[] = {
        {"detect", "coco8.yaml"}, {"segment", "coco8-seg.yaml"}, {"classify", "imagenet10"},
        {"pose", "coco8-pose.yaml"}, {"obb", "dota8.yaml"},
    };
    for (size_t i = 0; task && i < ARRAY_LEN(task2data); i++)
        if (strcmp(task, task2data[i].task) == 0) return task2data[i].data;
    return task2data[0].data;
}

void export_facts_from_meta(const GraphMeta *meta, ModelFacts *out)
{
    memset(out, 0, sizeof *out);
    if (!meta) return;
    out->task = meta->task;
    out->stride = imgsz_model_stride(meta->strides, meta->n_strides < 8 ? meta->n_strides : 8);
    out->nc = meta->nc;
    out->end2end = meta->end2end;
    if (!imgsz_from_train_args(meta->train_args, meta->n_train_args, out->train_imgsz) && meta->imgsz[0] > 0 &&
        meta->imgsz[1] > 0) {
        /* no training imgsz recorded: the size the model was built (or, for ONNX, fixed) at */
        out->train_imgsz[0] = meta->imgsz[0];
        out->train_imgsz[1] = meta->imgsz[1];
    }
}

int export_shape_parse(const char *text, int out[4])
{
    if (!text) return -1;
    int n = 0;
    const char *p = text;
    while (*p == ' ' || *p == '[' || *p == '(') p++;
    while (n < 4) {
        char *e;
        long v = strtol(p, &e, 10);
        if (e == p || v < 1 || v > 65536) return -1;
        out[n++] = (int)v;
        p = e;
        while (*p == ' ') p++;
        if (n < 4) {
            if (*p != 'x' && *p != 'X' && *p != ',') return -1;
            p++;
            while (*p == ' ') p++;
        }
    }
    while (*p == ' ' || *p == ']' || *p == ')') p++;
    return *p ? -1 : 0;
}

void export_trt_profile(const ExportArgs *a, int channels, int min[4], int opt[4], int max[4])
{
    int c = channels > 0 ? channels : 3, b = a->batch > 0 ? a->batch : 1;
    int h = a->imgsz.v[0], w = a->imgsz.v[1] > 0 ? a->imgsz.v[1] : a->imgsz.v[0];
    /* the peer's onnx2engine profile (its max multiplies imgsz by 2; with a workspace set it
     * multiplies by the workspace in bytes, a slip yoloport does not copy) */
    int dmin[4] = {1, c, 32, 32}, dopt[4] = {b, c, h, w}, dmax[4] = {b, c, 2 * h, 2 * w};
    memcpy(min, dmin, sizeof dmin);
    memcpy(opt, dopt, sizeof dopt);
    memcpy(max, dmax, sizeof dmax);
    if (!(a->none & EXPORT_ARG_BIT(EXPORT_KEY_MIN_SHAPE)) && a->min_shape[0]) export_shape_parse(a->min_shape, min);
    if (!(a->none & EXPORT_ARG_BIT(EXPORT_KEY_OPT_SHAPE)) && a->opt_shape[0]) export_shape_parse(a->opt_shape, opt);
    if (!(a->none & EXPORT_ARG_BIT(EXPORT_KEY_MAX_SHAPE)) && a->max_shape[0]) export_shape_parse(a->max_shape, max);
}

bool export_uses_tool(const FormatInfo *fi, const ExportArgs *a)
{
    bool backend = !(a->none & EXPORT_ARG_BIT(EXPORT_KEY_BACKEND)) && a->backend[0] && strcasecmp(a->backend, "yoloport");
    if (backend) return true;
    return fi && !fi->write && fi->drive_tool;
}

bool export_backend_known(const char *name)
{
    static const char *const known[] = {"yoloport", "ultralytics", "ovc", "pnnx", "mnnconvert"};
    for (size_t i = 0; name && i < ARRAY_LEN(known); i++)
        if (!strcasecmp(name, known[i])) return true;
    return false;
}

bool export_arg_applies(FormatId fmt, ExportArgKey key, const char **why_not)
{
    static const char *dummy;
    if (!why_not) why_not = &dummy;
    *why_not = NULL;
    const FormatInfo *fi = registry_get(fmt);
    if (!fi || key >= EXPORT_KEY_COUNT) return false;
    switch (key) {
    case EXPORT_KEY_MODEL:
    case EXPORT_KEY_FORMAT:
    case EXPORT_KEY_IMGSZ:
    case EXPORT_KEY_DEVICE:
    case EXPORT_KEY_VERBOSE:
    case EXPORT_KEY_VERIFY:
    case EXPORT_KEY_MAX_DET: /* the Detect head's limit (end-to-end heads) as well as NMS's */
        return true;
    case EXPORT_KEY_OPSET:
        /* TensorRT engines are built from an ONNX export, which uses the opset */
        if (fmt == FMT_ONNX || fmt == FMT_ENGINE) return true;
        *why_not = "only ONNX (and TensorRT, built from ONNX) exports use it";
        return false;
    case EXPORT_KEY_WORKSPACE:
        if (fmt == FMT_ENGINE) return true;
        *why_not = "only TensorRT exports use it";
        return false;
    case EXPORT_KEY_MIN_SHAPE:
    case EXPORT_KEY_OPT_SHAPE:
    case EXPORT_KEY_MAX_SHAPE:
        if (fmt == FMT_ENGINE) return true;
        *why_not = "only TensorRT exports use it (their dynamic profile)";
        return false;
    case EXPORT_KEY_BACKEND:
    case EXPORT_KEY_NAME:    /* the artifact's name (RKNN: the chip) */
    case EXPORT_KEY_PROJECT: /* the folder it goes to */
        return true;
    case EXPORT_KEY_HOST:
        /* the tool-driven part runs there: TensorRT, the converters, the peer's exporter */
        if (fi->drive_tool) return true;
        *why_not = "yoloport writes this format here; host= runs tool-driven exports (engine, backend=...)";
        return false;
    case EXPORT_KEY_CONF:
    case EXPORT_KEY_IOU:
    case EXPORT_KEY_AGNOSTIC_NMS:
        if (fi->args & EXPORT_ARG_BIT(EXPORT_KEY_NMS)) return true;
        *why_not = "it configures nms=True, which this format does not support";
        return false;
    case EXPORT_KEY_DATA:
    case EXPORT_KEY_SPLIT:
        if (format_honours(fi) & EXPORT_ARG_BIT(EXPORT_KEY_INT8)) return true;
        *why_not = "it is for INT8 calibration, which this format does not support";
        return false;
    default:
        break;
    }
    if (format_honours(fi) & EXPORT_ARG_BIT(key)) return true;
    switch (key) {
    case EXPORT_KEY_OPTIMIZE: *why_not = "only TorchScript exports use it"; break;
    case EXPORT_KEY_SIMPLIFY: *why_not = "only ONNX and TensorRT exports use it"; break;
    case EXPORT_KEY_KERAS: *why_not = "only TensorFlow SavedModel exports use it"; break;
    default: *why_not = "this format does not support it"; break;
    }
    return false;
}

static const char *const rknn_chips[] = {"rk3588", "rk3576", "rk3566", "rk3568", "rk3562",
                                         "rv1103", "rv1106", "rv1103b", "rv1106b", "rk2118"};

static void lower_copy(const char *s, char *out, size_t len)
{
    size_t i = 0;
    for (; s[i] && i + 1 < len; i++) out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

/* What select_device() would make of a device string: 0 cpu, 1 a GPU/accelerator request,
 * -1 not a device. */
static int device_kind(const char *d)
{
    char s[EXPORT_STR_MAX];
    lower_copy(d, s, sizeof s);
    char *p = s;
    if (!strncmp(p, "cuda:", 5)) p += 5;
    else if (!strcmp(p, "cuda") || !strcmp(p, "mps") || !strcmp(p, "-1")) return 1;
    if (!strcmp(s, "cpu")) return 0;
    if (!strncmp(s, "dla:", 4)) return 1;
    /* 0 | 0,1 | [0,1] | [-1,-1] */
    bool digit = false;
    for (; *p; p++) {
        if (isdigit((unsigned char)*p)) digit = true;
        else if (!strchr("[](), -", *p)) return -1;
    }
    return digit ? 1 : -1;
}

static void imgsz_list_text(const int *v, int n, char *buf, size_t len)
{
    if (n == 1) snprintf(buf, len, "[%d]", v[0]);
    else snprintf(buf, len, "[%d, %d]", v[0], v[1]);
}

static const int validate_args_keys[] = {EXPORT_KEY_HALF, EXPORT_KEY_INT8,  EXPORT_KEY_DYNAMIC, EXPORT_KEY_KERAS,
                                         EXPORT_KEY_NMS,  EXPORT_KEY_BATCH, EXPORT_KEY_FRACTION};

int export_args_validate(const ExportArgs *in, const ModelFacts *model, ExportEffective *eff_out, ExportMsgs *m)
{
    ExportEffective *e = eff_out ? eff_out : xmalloc(sizeof *e);
    memset(e, 0, sizeof *e);
    e->args = *in;
    ExportArgs *a = &e->args;
    int errors0 = m ? m->n_errors : 0;
    ExportMsgs *local = NULL;
    if (!m) {
        local = xmalloc(sizeof *local);
        export_msgs_clear(local);
        m = local;
    }
    int msgs0 = m->n;
    const char *task = model && model->task && *model->task ? model->task : "detect";
    int stride = model && model->stride > 0 ? model->stride : IMGSZ_STRIDE_DEFAULT;
    bool end2end = model && model->end2end;
    e->stride = stride;
    char num[64];
    int dla_core = -1; /* device=dla:N for TensorRT */

    /* 0. check_cfg(): fraction keys in [0, 1] (values set through export_args_set already are). */
    for (int k = 0; k < EXPORT_KEY_COUNT; k++) {
        if (!is_fraction_key(k) || (a->none & EXPORT_ARG_BIT(k))) continue;
        double x = *(double *)FIELD(a, k);
        if (!(x >= 0.0 && x <= 1.0)) {
            py_float_repr(x, num, sizeof num);
            export_msgs_add(m, EXPORT_MSG_ERROR, k, "'%s=%s' is an invalid value. Valid '%s' values are between 0.0 and 1.0.",
                            export_arg_info[k].name, num, export_arg_info[k].name);
        }
    }

    /* 1. format: lowercased; aliases; else the closest format at 0.6, else an error. */
    char fmt[EXPORT_STR_MAX];
    lower_copy(a->format, fmt, sizeof fmt);
    bool mlmodel = strcmp(fmt, "mlmodel") == 0;
    const FormatInfo *fi = registry_find(fmt);
    if (!fi) {
        const char *match = registry_suggest(fmt);
        if (!match) {
            export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_FORMAT, "Invalid export format='%s'. Valid formats are %s",
                            fmt, registry_valid_formats_text());
            goto finish;
        }
        export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_FORMAT,
                        "Invalid export format='%s', updating to format='%s'", fmt, match);
        fi = registry_find(match);
    }
    e->fmt = fi;
    snprintf(a->format, sizeof a->format, "%s", mlmodel ? "mlmodel" : fi->argument);
    const char *fa = fi->argument; /* the peer's fmt */
    FormatId id = fi->id;

    /* 2. device. */
    {
        bool dev_none = (a->none & EXPORT_ARG_BIT(EXPORT_KEY_DEVICE)) || !a->device[0];
        bool auto_assigned = false;
        if (id == FMT_ENGINE && dev_none) {
            export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_DEVICE,
                            "TensorRT requires GPU export, automatically assigning device=0");
            snprintf(a->device, sizeof a->device, "0");
            a->none &= ~EXPORT_ARG_BIT(EXPORT_KEY_DEVICE);
            dev_none = false;
            auto_assigned = true;
        }
        if (id == FMT_ENGINE && strstr(a->device, "dla")) {
            const char *dla = strrchr(a->device, ':');
            dla = dla ? dla + 1 : a->device;
            if (strcmp(dla, "0") != 0 && strcmp(dla, "1") != 0)
                export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_DEVICE,
                                "Expected self.args.device='dla:0' or 'dla:1, but got %s.", a->device);
            else dla_core = dla[0] - '0';
        }
        if (!dev_none) {
            int kind = device_kind(a->device);
            if (kind < 0)
                export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_DEVICE,
                                "Invalid device='%s' requested. Use device=cpu, or a CUDA device such as 0, 0,1 or "
                                "cuda:0 (yoloport computes on the CPU either way)",
                                a->device);
            else if (kind > 0)
                export_msgs_add(m, auto_assigned ? EXPORT_MSG_INFO : EXPORT_MSG_WARNING, EXPORT_KEY_DEVICE,
                                "device=%s: yoloport computes on the CPU only, so this export runs on the CPU "
                                "(the files it writes do not depend on the device)",
                                a->device);
        }
        snprintf(a->device, sizeof a->device, "cpu");
        a->none &= ~EXPORT_ARG_BIT(EXPORT_KEY_DEVICE);
    }

    /* 3. validate_args(): the peer's export-only arguments against its defaults (batch=1). */
    {
        ExportArgs def;
        export_args_init(&def);
        for (size_t i = 0; i < ARRAY_LEN(validate_args_keys); i++) {
            int k = validate_args_keys[i];
            if (!export_args_key_equal(a, &def, k) && !(format_honours(fi) & EXPORT_ARG_BIT(k)))
                export_msgs_add(m, EXPORT_MSG_ERROR, k, "argument '%s' is not supported for format='%s'",
                                export_arg_info[k].name, fa);
        }
    }

    /* 4. IMX needs int8 and nms, and a detect or pose model. */
    if (id == FMT_IMX) {
        if (!a->int8) {
            export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_INT8, "IMX export requires int8=True, setting int8=True.");
            a->int8 = true;
        }
        if (!a->nms) {
            export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_NMS, "IMX export requires nms=True, setting nms=True.");
            a->nms = true;
        }
        if (strcmp(task, "detect") != 0 && strcmp(task, "pose") != 0)
            export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_FORMAT,
                            "IMX export only supported for detection and pose estimation models.");
    }

    /* 5. half precision. */
    if (a->half && a->int8) {
        export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_HALF,
                        "half=True and int8=True are mutually exclusive, setting half=False.");
        a->half = false;
    }
    if (a->half && id == FMT_ONNX) {
        /* The peer: "half=True only compatible with GPU export, i.e. use device=0", half=False. */
        export_msgs_add(m, EXPORT_MSG_INFO, EXPORT_KEY_HALF,
                        "half=True kept on CPU: yoloport converts the weights to FP16 directly (nothing is traced), "
                        "so FP16 export needs no GPU (Ultralytics would set half=False here)");
        e->half_on_cpu = true;
    }

    /* 6. check_imgsz(imgsz, stride, min_dim=2): round every side UP to the stride. */
    {
        ExportImgsz im = a->imgsz;
        if (!(a->given & EXPORT_ARG_BIT(EXPORT_KEY_IMGSZ)) && model && model->train_imgsz[0] > 0) {
            /* Model.export(): imgsz defaults to the checkpoint's training imgsz */
            int h = model->train_imgsz[0], w = model->train_imgsz[1] > 0 ? model->train_imgsz[1] : h;
            im.n = h == w ? 1 : 2;
            im.v[0] = h;
            im.v[1] = w;
        }
        int n = im.n == 2 ? 2 : 1;
        char given[64];
        imgsz_list_text(im.v, n, given, sizeof given);
        bool bad = false;
        for (int i = 0; i < n; i++) {
            if (im.v[i] <= 0) {
                export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_IMGSZ,
                                "imgsz=%s is not a valid image size: every side must be at least 1 pixel "
                                "(it is then rounded up to a multiple of the stride %d), i.e. 'imgsz=640'",
                                given, stride);
                bad = true;
                break;
            }
            if (im.v[i] > EXPORT_IMGSZ_MAX) {
                export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_IMGSZ,
                                "imgsz=%s is too large: the largest side yoloport accepts is %d (a %dx%d RGB input "
                                "alone is 3 GiB in FP32, before any activations)",
                                given, EXPORT_IMGSZ_MAX, EXPORT_IMGSZ_MAX, EXPORT_IMGSZ_MAX);
                bad = true;
                break;
            }
        }
        if (!bad) {
            char warn[EXPORT_MSG_TEXT];
            if (imgsz_check(im.v, n, stride, a->imgsz.v, warn, sizeof warn))
                export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_IMGSZ, "%s", warn);
            a->imgsz.n = 2;
        }
    }

    /* The peer's export_engine: INT8 engines are built from a dynamic ONNX (the calibration
     * profile); DLA needs FP16 or INT8. */
    if (a->int8 && id == FMT_ENGINE) a->dynamic = true;
    if (dla_core >= 0 && !a->half && !a->int8)
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_DEVICE,
                        "DLA requires either 'half=True' (FP16) or 'int8=True' (INT8) to be enabled. Please enable one "
                        "of them and try again.");

    /* 7. optimize (the peer's CUDA check does not apply: we run on the CPU). */
    if (a->optimize && id == FMT_NCNN)
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_OPTIMIZE,
                        "optimize=True not compatible with format='ncnn', i.e. use optimize=False");

    /* 8. RKNN chip name; TFLite INT8 and end-to-end heads. */
    if (id == FMT_RKNN) {
        if ((a->none & EXPORT_ARG_BIT(EXPORT_KEY_NAME)) || !a->name[0]) {
            export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_NAME,
                            "Rockchip RKNN export requires a missing 'name' arg for processor type. Using default "
                            "name='rk3588'.");
            snprintf(a->name, sizeof a->name, "rk3588");
            a->none &= ~EXPORT_ARG_BIT(EXPORT_KEY_NAME);
        }
        char low[EXPORT_STR_MAX];
        lower_copy(a->name, low, sizeof low);
        snprintf(a->name, sizeof a->name, "%s", low);
        if (!in_list(low, rknn_chips, ARRAY_LEN(rknn_chips))) {
            char chips[256];
            size_t o = (size_t)snprintf(chips, sizeof chips, "(");
            for (size_t i = 0; i < ARRAY_LEN(rknn_chips) && o < sizeof chips; i++)
                o += (size_t)snprintf(chips + o, sizeof chips - o, "%s'%s'", i ? ", " : "", rknn_chips[i]);
            if (o < sizeof chips) snprintf(chips + o, sizeof chips - o, ")");
            export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_NAME,
                            "Invalid processor name '%s' for Rockchip RKNN export. Valid names are %s.", low, chips);
        }
    } else if (!(a->none & EXPORT_ARG_BIT(EXPORT_KEY_NAME))) {
        /* ours: the artifact's name, which the format's suffix follows; the folder is project= */
        if (!a->name[0] || strchr(a->name, '/') || !strcmp(a->name, ".") || !strcmp(a->name, ".."))
            export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_NAME,
                            "name='%s' is not a file name: give the export's name alone (project= sets its folder)",
                            a->name);
    }
    if (!(a->none & EXPORT_ARG_BIT(EXPORT_KEY_PROJECT)) && !a->project[0])
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_PROJECT, "project='' names no folder (leave it out to write beside the model)");
    if (a->int8 && id == FMT_TFLITE && end2end)
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_INT8, "TFLite INT8 export not supported for end2end models.");

    /* 9. nms. */
    if (a->nms) {
        if (strcmp(task, "classify") == 0)
            export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_NMS, "'nms=True' is not valid for classification models.");
        if (end2end) {
            export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_NMS,
                            "'nms=True' is not available for end2end models. Forcing 'nms=False'.");
            a->nms = false;
        }
        if ((a->none & EXPORT_ARG_BIT(EXPORT_KEY_CONF)) || a->conf == 0.0) {
            a->conf = 0.25; /* self.args.conf = self.args.conf or 0.25 */
            a->none &= ~EXPORT_ARG_BIT(EXPORT_KEY_CONF);
        }
    }

    /* 10. dynamic with NMS or TensorRT wants the maximum batch. */
    if ((id == FMT_ENGINE || a->nms) && a->dynamic && a->batch == 1)
        export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_BATCH,
                        "'dynamic=True' model with '%s' requires max batch size, i.e. 'batch=16'",
                        a->nms ? "nms=True" : "format=engine");

    /* 11. Edge TPU compiles batch 1 only. */
    if (id == FMT_EDGETPU && a->batch != 1) {
        export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_BATCH,
                        "Edge TPU export requires batch size 1, setting batch=1.");
        a->batch = 1;
    }
    /* The Edge TPU compiles full-integer models only: its TF Lite file is the int8 one. */
    if (id == FMT_EDGETPU) a->int8 = true;

    /* 12. INT8 calibration data.  A TensorRT engine is not built uncalibrated (its answers
     * would be wrong): without data= it is refused rather than pointed at a default dataset.
     * The peer downloads coco8 for the formats it calibrates; yoloport never downloads, so the
     * formats it calibrates itself refuse int8 without data= and say what to give. */
    bool no_data = (a->none & EXPORT_ARG_BIT(EXPORT_KEY_DATA)) || !a->data[0];
    if (a->int8 && id == FMT_ENGINE && no_data) {
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_DATA,
                        "int8=True for TensorRT needs calibration data: give data=<dataset.yaml> (an INT8 engine "
                        "built without calibration gives wrong answers)");
    } else if (a->int8 && no_data && export_int8_calibrates(id)) {
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_DATA,
                        "int8=True needs calibration data: give data=<dataset.yaml> (the images of its split=val; "
                        "split= and fraction= choose others) or data=<folder of images>; yoloport does not download "
                        "%s as Ultralytics does",
                        export_task_default_data(task));
    } else if (a->int8 && no_data) {
        snprintf(a->data, sizeof a->data, "%s", export_task_default_data(task));
        a->none &= ~EXPORT_ARG_BIT(EXPORT_KEY_DATA);
        export_msgs_add(m, EXPORT_MSG_WARNING, EXPORT_KEY_DATA,
                        "INT8 export requires a missing 'data' arg for calibration. Using default 'data=%s'.", a->data);
    }

    /* ---- ours, after the peer's ---- */
    if (a->batch < 1)
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_BATCH,
                        "batch=%d is not valid for export: use 1 or more (batch=-1, AutoBatch, is for training)",
                        a->batch);
    if (a->max_det < 1)
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_MAX_DET, "max_det=%d is not valid: use 1 or more, i.e. 'max_det=300'",
                        a->max_det);
    if (!(a->none & EXPORT_ARG_BIT(EXPORT_KEY_WORKSPACE)) && !(a->workspace >= 0.0)) {
        py_float_repr(a->workspace, num, sizeof num);
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_WORKSPACE,
                        "workspace=%s is not valid: use a size in GiB such as 4, or None for automatic", num);
    }
    if (id == FMT_ONNX && a->int8 && a->opset != 0 && a->opset < 13)
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_OPSET,
                        "opset=%d is too old for int8=True: INT8 ONNX has per-channel DequantizeLinear, which needs "
                        "opset 13 or newer (leave opset=None for %d)",
                        a->opset, ONNX_DEFAULT_OPSET);
    if (id == FMT_ONNX || id == FMT_ENGINE) {
        if (a->opset != 0 && (a->opset < ONNX_MIN_OPSET || a->opset > ONNX_MAX_OPSET))
            export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_OPSET,
                            "opset=%d is not supported: yoloport writes ONNX opsets %d to %d (%d when none is given)", a->opset,
                            ONNX_MIN_OPSET, ONNX_MAX_OPSET, ONNX_DEFAULT_OPSET);
        if (a->opset == 0) {
            a->opset = ONNX_DEFAULT_OPSET; /* the peer: get_latest_opset() */
            a->none &= ~EXPORT_ARG_BIT(EXPORT_KEY_OPSET);
        }
    }
    if (a->int8) {
        if (strcmp(a->split, "train") != 0 && strcmp(a->split, "val") != 0 && strcmp(a->split, "test") != 0)
            export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_SPLIT,
                            "split='%s' is not a dataset split: use split=train, split=val or split=test", a->split);
        if (a->fraction <= 0.0 && (format_honours(fi) & EXPORT_ARG_BIT(EXPORT_KEY_FRACTION)))
            export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_FRACTION,
                            "fraction=0.0 leaves no images for INT8 calibration: use a fraction above 0, i.e. "
                            "'fraction=1.0'");
    }
    /* backend= and host=: who converts, and where the tool-driven part runs. */
    if (!(a->none & EXPORT_ARG_BIT(EXPORT_KEY_BACKEND)) && a->backend[0]) {
        lower_copy(a->backend, a->backend, sizeof a->backend);
        static const struct {
            const char *backend;
            FormatId fmt;
            const char *name;
        } converters[] = {{"ovc", FMT_OPENVINO, "OpenVINO"}, {"pnnx", FMT_NCNN, "NCNN"}, {"mnnconvert", FMT_MNN, "MNN"}};
        if (!export_backend_known(a->backend))
            export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_BACKEND,
                            "backend='%s' is not one yoloport knows: use yoloport, ultralytics, ovc, pnnx or mnnconvert",
                            a->backend);
        for (size_t i = 0; i < ARRAY_LEN(converters); i++)
            if (!strcmp(a->backend, converters[i].backend) && id != converters[i].fmt)
                export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_BACKEND,
                                "backend=%s converts to %s only: use format=%s, or backend=ultralytics", a->backend,
                                converters[i].name, registry_get(converters[i].fmt)->argument);
    }
    if (!(a->none & EXPORT_ARG_BIT(EXPORT_KEY_HOST)) && a->host[0]) {
        char why[256];
        if (!remote_spec_valid(a->host, why, sizeof why)) export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_HOST, "%s", why);
    }
    /* TensorRT's dynamic profile: MIN <= OPT <= MAX in every dimension. */
    if (id == FMT_ENGINE && a->dynamic) {
        static const ExportArgKey shape_keys[3] = {EXPORT_KEY_MIN_SHAPE, EXPORT_KEY_OPT_SHAPE, EXPORT_KEY_MAX_SHAPE};
        bool bad = false;
        for (int i = 0; i < 3; i++) {
            ExportArgKey k = shape_keys[i];
            int sh[4];
            if ((a->none & EXPORT_ARG_BIT(k)) || !*(char *)FIELD(a, k)) continue;
            if (export_shape_parse((char *)FIELD(a, k), sh) != 0) {
                export_msgs_add(m, EXPORT_MSG_ERROR, k, "%s=%s is not a shape: use BxCxHxW, i.e. '%s=1x3x640x640'",
                                export_arg_info[k].name, (char *)FIELD(a, k), export_arg_info[k].name);
                bad = true;
            } else if (sh[1] != 3) {
                export_msgs_add(m, EXPORT_MSG_ERROR, k, "%s=%s: the model takes 3 channels, not %d",
                                export_arg_info[k].name, (char *)FIELD(a, k), sh[1]);
                bad = true;
            }
        }
        if (!bad) {
            int mn[4], op[4], mx[4];
            export_trt_profile(a, 3, mn, op, mx);
            static const char *const dim_names[4] = {"batch", "channels", "height", "width"};
            for (int d = 0; d < 4; d++) {
                if (mn[d] > op[d]) {
                    export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_MIN_SHAPE,
                                    "the dynamic profile needs MIN <= OPT <= MAX: min %s %d is above opt %d",
                                    dim_names[d], mn[d], op[d]);
                    break;
                }
                if (op[d] > mx[d]) {
                    export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_MAX_SHAPE,
                                    "the dynamic profile needs MIN <= OPT <= MAX: max %s %d is below opt %d",
                                    dim_names[d], mx[d], op[d]);
                    break;
                }
            }
        }
    } else if (id == FMT_ENGINE) {
        for (int k = EXPORT_KEY_MIN_SHAPE; k <= EXPORT_KEY_MAX_SHAPE; k++)
            if (!(a->none & EXPORT_ARG_BIT(k)) && *(char *)FIELD(a, k))
                export_msgs_add(m, EXPORT_MSG_INFO, k, "%s=%s is ignored: the profile applies only with dynamic=True",
                                export_arg_info[k].name, (char *)FIELD(a, k));
    }

    /* Arguments the format ignores (the peer ignores them silently; we say so), unless a
     * message above already spoke about the key. */
    {
        uint32_t flagged = 0;
        for (int i = msgs0; i < m->n; i++)
            if (m->items[i].key >= 0) flagged |= EXPORT_ARG_BIT(m->items[i].key);
        ExportArgs def;
        export_args_init(&def);
        for (int k = 0; k < EXPORT_KEY_COUNT; k++) {
            if (flagged & EXPORT_ARG_BIT(k)) continue;
            bool in_validate = false;
            for (size_t i = 0; i < ARRAY_LEN(validate_args_keys); i++)
                if (validate_args_keys[i] == k) in_validate = true;
            if (in_validate || export_args_key_equal(in, &def, k)) continue;
            const char *why = NULL;
            char val[256];
            export_args_value_text(in, (ExportArgKey)k, val, sizeof val);
            if (k == EXPORT_KEY_HOST && export_arg_applies(id, (ExportArgKey)k, NULL) && !export_uses_tool(fi, a)) {
                export_msgs_add(m, EXPORT_MSG_INFO, k, "host=%s is ignored: yoloport writes format='%s' here (backend=%s "
                                "runs a converter there)", val, fa, id == FMT_OPENVINO ? "ovc" : id == FMT_NCNN ? "pnnx" : id == FMT_MNN ? "mnnconvert" : "ultralytics");
            } else if (k == EXPORT_KEY_HOST && export_uses_tool(fi, a)) {
            } else if (!export_arg_applies(id, (ExportArgKey)k, &why)) {
                export_msgs_add(m, EXPORT_MSG_INFO, k, "%s=%s is ignored for format='%s': %s",
                                export_arg_info[k].name, val, fa, why);
            } else if ((k == EXPORT_KEY_CONF || k == EXPORT_KEY_IOU || k == EXPORT_KEY_AGNOSTIC_NMS) && !a->nms) {
                export_msgs_add(m, EXPORT_MSG_INFO, k, "%s=%s is ignored: it applies only with nms=True",
                                export_arg_info[k].name, val);
            } else if ((k == EXPORT_KEY_DATA || k == EXPORT_KEY_SPLIT) && !a->int8) {
                export_msgs_add(m, EXPORT_MSG_INFO, k, "%s=%s is ignored: it is used only for INT8 calibration (int8=True)",
                                export_arg_info[k].name, val);
            }
        }
    }
    /* Can this build make the format at all (its writer, or a tool it drives)? */
    if (!fi->write && !fi->drive_tool)
        export_msgs_add(m, EXPORT_MSG_ERROR, EXPORT_KEY_FORMAT, "%s export is %s", fi->name, fi->unavailable_reason);

finish:
    e->ok = m->n_errors == errors0;
    {
        int rc = e->ok ? 0 : -1;
        if (!eff_out) free(e);
        free(local);
        return rc;
    }
}
