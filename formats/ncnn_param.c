/* ncnn_param: the first half of the ncnn reader — the .param text parsed as ncnn's
 * Net::load_param and ParamDict::load_param read it (values of at most 15 characters,
 * floats told from ints by a '.' or an 'e', arrays old-style "-233xx=n,a,b" or "id=a,b",
 * strings), checked more strictly than ncnn does (one layer per line, counts that match,
 * blobs produced once and before use), and the .bin read as ModelBin::load reads it. */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/ncnn.h"
#include "formats/ncnn_impl.h"

/* Every layer type ncnn registers (src/CMakeLists.txt's ncnn_add_layer list). */
static const char *const known_types[] = {
    "AbsVal", "ArgMax", "BatchNorm", "Bias", "BNLL", "Concat", "Convolution", "Crop", "Deconvolution", "Dropout",
    "Eltwise", "ELU", "Embed", "Exp", "Flatten", "InnerProduct", "Input", "Log", "LRN", "MemoryData", "MVN",
    "Pooling", "Power", "PReLU", "Proposal", "Reduction", "ReLU", "Reshape", "ROIPooling", "Scale", "Sigmoid",
    "Slice", "Softmax", "Split", "SPP", "TanH", "Threshold", "Tile", "RNN", "LSTM", "BinaryOp", "UnaryOp",
    "ConvolutionDepthWise", "Padding", "Squeeze", "ExpandDims", "Normalize", "Permute", "PriorBox",
    "DetectionOutput", "Interp", "DeconvolutionDepthWise", "ShuffleChannel", "InstanceNorm", "Clip", "Reorg",
    "YoloDetectionOutput", "Quantize", "Dequantize", "Yolov3DetectionOutput", "PSROIPooling", "ROIAlign", "Packing",
    "Requantize", "Cast", "HardSigmoid", "SELU", "HardSwish", "Noop", "PixelShuffle", "DeepCopy", "Mish",
    "StatisticsPooling", "Swish", "Gemm", "GroupNorm", "LayerNorm", "Softplus", "GRU", "MultiHeadAttention", "GELU",
    "Convolution1D", "Pooling1D", "ConvolutionDepthWise1D", "Convolution3D", "ConvolutionDepthWise3D", "Pooling3D",
    "MatMul", "Deconvolution1D", "DeconvolutionDepthWise1D", "Deconvolution3D", "DeconvolutionDepthWise3D",
    "Einsum", "DeformableConv2D", "GLU", "Fold", "Unfold", "GridSample", "CumulativeSum", "CopyTo", "Erf", "Diag",
    "CELU", "Shrink", "RMSNorm", "Spectrogram", "InverseSpectrogram", "Flip", "SDPA", "RotaryEmbed",
};

bool ncnn_layer_type_known(const char *type)
{
    for (size_t i = 0; i < ARRAY_LEN(known_types); i++)
        if (!strcmp(known_types[i], type)) return true;
    return false;
}

int ncnn_fail(NcModel *m, const NcLayer *L, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (L) return err_set(m->err, m->errlen, "%s: line %d: layer '%.80s' (%s): %s", m->file, L->line, L->name, L->type, msg);
    return err_set(m->err, m->errlen, "%s: %s", m->file, msg);
}

/* ---- values ----------------------------------------------------------------------------- */

static bool vstr_is_float(const char *v)
{
    for (int j = 0; j < 16 && v[j]; j++)
        if (v[j] == '.' || tolower((unsigned char)v[j]) == 'e') return true;
    return false;
}

/* ncnn's vstr_to_float, digit for digit (the same float for the same text). */
static float vstr_to_float(const char *p)
{
    double v;
    bool sign = *p != '-';
    if (*p == '+' || *p == '-') p++;
    unsigned int v1 = 0;
    while (isdigit((unsigned char)*p)) v1 = v1 * 10 + (unsigned)(*p++ - '0');
    v = (double)v1;
    if (*p == '.') {
        p++;
        unsigned int pow10 = 1, v2 = 0;
        while (isdigit((unsigned char)*p)) {
            v2 = v2 * 10 + (unsigned)(*p++ - '0');
            pow10 *= 10;
        }
        v += v2 / (double)pow10;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        bool fact = *p != '-';
        if (*p == '+' || *p == '-') p++;
        unsigned int expon = 0;
        while (isdigit((unsigned char)*p) && expon < 100000) expon = expon * 10 + (unsigned)(*p++ - '0');
        double scale = 1.0;
        while (expon >= 8) scale *= 1e8, expon -= 8;
        while (expon > 0) scale *= 10.0, expon -= 1;
        v = fact ? v * scale : v / scale;
    }
    return sign ? (float)v : (float)-v;
}

/* One element: its 32-bit pattern (int or float) and which it was written as. */
static int parse_element(NcModel *m, int line, int id, const char *v, uint32_t *bits, bool *is_float)
{
    if (!*v) return err_set(m->err, m->errlen, "%s: line %d: parameter %d has an empty value", m->file, line, id);
    if (strlen(v) > 15)
        return err_set(m->err, m->errlen, "%s: line %d: parameter %d: value '%.40s' is longer than the 15 characters ncnn reads",
                       m->file, line, id, v);
    *is_float = vstr_is_float(v);
    if (*is_float) {
        float f = vstr_to_float(v);
        memcpy(bits, &f, 4);
        return 0;
    }
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end || end == v || x < INT_MIN || x > INT_MAX)
        return err_set(m->err, m->errlen, "%s: line %d: parameter %d: '%.40s' is not a number", m->file, line, id, v);
    int32_t i = (int32_t)x;
    memcpy(bits, &i, 4);
    return 0;
}

/* "id=value" (value may be "a,b,c", "-233xx" arrays are "n,a,b"); text is one token
 * (a quoted string with blanks joined back by the caller). */
static int parse_param(NcModel *m, NcLayer *L, const char *tok)
{
    const char *eq = strchr(tok, '=');
    char *end;
    long id = eq ? strtol(tok, &end, 10) : 0;
    if (!eq || end != eq || eq == tok)
        return err_set(m->err, m->errlen, "%s: line %d: '%.40s' is not id=value", m->file, L->line, tok);
    long given = id;
    bool old_array = id <= -23300 && id > -23300 - NCNN_MAX_PARAM;
    if (old_array) id = -id - 23300;
    if (id < 0 || id >= NCNN_MAX_PARAM)
        return err_set(m->err, m->errlen, "%s: line %d: parameter id %ld is out of range (ncnn keeps 0 to %d)", m->file,
                       L->line, given, NCNN_MAX_PARAM - 1);
    NParam *p = &L->p[id];
    if (p->kind != NP_UNSET)
        return err_set(m->err, m->errlen, "%s: line %d: parameter %ld is given twice", m->file, L->line, id);
    const char *v = eq + 1;
    if (!old_array && (isalpha((unsigned char)v[0]) || v[0] == '"')) {
        size_t n = strlen(v);
        if (v[0] == '"') {
            v++, n--;
            if (n && v[n - 1] == '"') n--;
        }
        if (n > 255) return err_set(m->err, m->errlen, "%s: line %d: parameter %ld: string too long", m->file, L->line, id);
        p->kind = NP_STRING;
        p->s = arena_strndup(m->arena, v, n);
        return 0;
    }
    /* split on commas */
    int count = 1;
    for (const char *c = v; *c; c++) count += *c == ',';
    if (count > (1 << 20)) return err_set(m->err, m->errlen, "%s: line %d: parameter %ld: array too long", m->file, L->line, id);
    char **parts = xmalloc(sizeof(char *) * (size_t)count);
    char *copy = xstrdup(v);
    int np = 0;
    for (char *s = copy;; ) {
        char *c = strchr(s, ',');
        parts[np++] = s;
        if (!c) break;
        *c = '\0';
        s = c + 1;
    }
    int rc = 0;
    if (old_array) {
        uint32_t lenbits;
        bool f;
        rc = parse_element(m, L->line, (int)id, parts[0], &lenbits, &f);
        int32_t len;
        memcpy(&len, &lenbits, 4);
        if (!rc && (f || len < 0 || len != np - 1))
            rc = err_set(m->err, m->errlen, "%s: line %d: array parameter %ld says %d elements and has %d", m->file,
                         L->line, -id - 23300, f ? -1 : len, np - 1);
        if (!rc) {
            p->kind = NP_ARRAY;
            p->n = np - 1;
            p->arr = arena_alloc(m->arena, sizeof(uint32_t) * (size_t)(np > 1 ? np - 1 : 1));
            for (int i = 1; i < np && !rc; i++) rc = parse_element(m, L->line, (int)id, parts[i], &p->arr[i - 1], &f);
        }
    } else if (np == 1) {
        p->kind = NP_SCALAR;
        rc = parse_element(m, L->line, (int)id, parts[0], &p->bits, &p->is_float);
    } else {
        p->kind = NP_ARRAY;
        p->n = np;
        p->arr = arena_alloc(m->arena, sizeof(uint32_t) * (size_t)np);
        bool f;
        for (int i = 0; i < np && !rc; i++) rc = parse_element(m, L->line, (int)id, parts[i], &p->arr[i], &f);
    }
    free(copy);
    free(parts);
    return rc;
}

int ncnn_p_int(NcModel *m, const NcLayer *L, int id, int dflt, int *out)
{
    const NParam *p = &L->p[id];
    if (p->kind == NP_UNSET) return *out = dflt, 0;
    if (p->kind != NP_SCALAR) return ncnn_fail(m, L, "parameter %d should be a single value", id);
    int32_t v;
    memcpy(&v, &p->bits, 4);
    *out = v;
    return 0;
}

int ncnn_p_float(NcModel *m, const NcLayer *L, int id, float dflt, float *out)
{
    const NParam *p = &L->p[id];
    if (p->kind == NP_UNSET) return *out = dflt, 0;
    if (p->kind != NP_SCALAR) return ncnn_fail(m, L, "parameter %d should be a single value", id);
    memcpy(out, &p->bits, 4);
    return 0;
}

int ncnn_p_ints(NcModel *m, const NcLayer *L, int id, int *out, int max, int *n)
{
    const NParam *p = &L->p[id];
    *n = 0;
    if (p->kind == NP_UNSET) return 0;
    if (p->kind != NP_ARRAY) return ncnn_fail(m, L, "parameter %d should be an array", id);
    if (p->n > max) return ncnn_fail(m, L, "parameter %d has %d elements (at most %d make sense here)", id, p->n, max);
    for (int i = 0; i < p->n; i++) memcpy(&out[i], &p->arr[i], 4);
    *n = p->n;
    return 0;
}

int ncnn_p_floats(NcModel *m, const NcLayer *L, int id, float *out, int max, int *n)
{
    const NParam *p = &L->p[id];
    *n = 0;
    if (p->kind == NP_UNSET) return 0;
    if (p->kind != NP_ARRAY) return ncnn_fail(m, L, "parameter %d should be an array", id);
    if (p->n > max) return ncnn_fail(m, L, "parameter %d has %d elements (at most %d make sense here)", id, p->n, max);
    for (int i = 0; i < p->n; i++) memcpy(&out[i], &p->arr[i], 4);
    *n = p->n;
    return 0;
}

/* ---- lines ---------------------------------------------------------------------------- */

typedef struct {
    char **tok;
    int n, cap;
} Tokens;

/* Split a line on blanks; a token opening a quoted string runs to its closing quote. */
static void tokenize(char *line, Tokens *t)
{
    t->n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (!*p) break;
        char *s = p;
        const char *q = strstr(s, "=\"");
        bool quoted = q && q < s + strcspn(s, " \t\r");
        if (quoted) {
            char *close = strchr(q + 2, '"');
            p = close ? close + 1 : s + strlen(s);
        }
        while (*p && *p != ' ' && *p != '\t' && *p != '\r') p++;
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 64;
            t->tok = xrealloc(t->tok, sizeof(char *) * (size_t)t->cap);
        }
        t->tok[t->n++] = s;
        if (*p) *p++ = '\0';
    }
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r') return false;
    return true;
}

static int count_value(NcModel *m, int line, const char *tok, const char *what, int *out)
{
    char *end;
    long v = strtol(tok, &end, 10);
    if (*end || end == tok || v < INT_MIN || v > INT_MAX)
        return err_set(m->err, m->errlen, "%s: line %d: %s '%.40s' is not a number", m->file, line, what, tok);
    *out = (int)v;
    return 0;
}

int ncnn_parse_param(NcModel *m, const char *text, size_t len)
{
    if (memchr(text, '\0', len)) return err_set(m->err, m->errlen, "%s: not an ncnn .param: it holds NUL bytes", m->file);
    char *buf = xstrndup(text, len);
    Tokens t = {0};
    StrMap names = {0};
    Vec layers = {0}, blobs = {0};
    int rc = 0, stage = 0, line_no = 0, want_layers = 0, want_blobs = 0;
    char *line = buf;
    while (line && !rc) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        line_no++;
        char *next = nl ? nl + 1 : NULL;
        if (blank(line)) {
            line = next;
            continue;
        }
        tokenize(line, &t);
        if (stage == 0) {
            int magic = 0;
            if (t.n != 1 || count_value(m, line_no, t.tok[0], "the magic", &magic) || magic != NCNN_MAGIC)
                rc = err_set(m->err, m->errlen, "%s: not an ncnn .param: the first line is not the magic %d", m->file,
                             NCNN_MAGIC);
            stage = 1;
        } else if (stage == 1) {
            if (t.n != 2) rc = err_set(m->err, m->errlen, "%s: line %d: expected the layer and blob counts", m->file, line_no);
            else if (!(rc = count_value(m, line_no, t.tok[0], "the layer count", &want_layers)) &&
                     !(rc = count_value(m, line_no, t.tok[1], "the blob count", &want_blobs)) &&
                     (want_layers <= 0 || want_blobs <= 0))
                rc = err_set(m->err, m->errlen, "%s: line %d: the layer and blob counts must be positive", m->file, line_no);
            stage = 2;
        } else {
            NcLayer L = {.line = line_no};
            int nin = 0, nout = 0;
            if ((int)layers.len >= want_layers) {
                rc = err_set(m->err, m->errlen, "%s: line %d: the header says %d layers, and this is layer %d", m->file,
                             line_no, want_layers, (int)layers.len + 1);
                break;
            }
            if (t.n < 4) {
                rc = err_set(m->err, m->errlen, "%s: line %d: a layer line needs type, name, input and output counts",
                             m->file, line_no);
                break;
            }
            if (strlen(t.tok[0]) > NCNN_MAX_NAME || strlen(t.tok[1]) > NCNN_MAX_NAME) {
                rc = err_set(m->err, m->errlen, "%s: line %d: a name longer than %d characters", m->file, line_no, NCNN_MAX_NAME);
                break;
            }
            L.type = arena_strdup(m->arena, t.tok[0]);
            L.name = arena_strdup(m->arena, t.tok[1]);
            if (!ncnn_layer_type_known(L.type)) {
                rc = err_set(m->err, m->errlen, "%s: line %d: layer '%.80s' has type '%.80s', which is not an ncnn layer type",
                             m->file, line_no, L.name, L.type);
                break;
            }
            if ((rc = count_value(m, line_no, t.tok[2], "the input count", &nin)) ||
                (rc = count_value(m, line_no, t.tok[3], "the output count", &nout)))
                break;
            if (nin < 0 || nout < 1 || nin > NCNN_MAX_BLOBS_PER_LAYER || nout > NCNN_MAX_BLOBS_PER_LAYER) {
                rc = ncnn_fail(m, &L, "%d inputs and %d outputs", nin, nout);
                break;
            }
            if (t.n < 4 + nin + nout) {
                rc = ncnn_fail(m, &L, "the line names %d blobs, the counts say %d", t.n - 4, nin + nout);
                break;
            }
            L.n_in = nin, L.n_out = nout;
            L.in = arena_alloc(m->arena, sizeof(int) * (size_t)(nin + 1));
            L.out = arena_alloc(m->arena, sizeof(int) * (size_t)nout);
            int li = (int)layers.len;
            for (int k = 0; k < nin && !rc; k++) {
                const char *b = t.tok[4 + k];
                int idx = strmap_get(&names, b);
                if (idx < 0) rc = ncnn_fail(m, &L, "uses blob '%.80s' before any layer produces it", b);
                else {
                    L.in[k] = idx;
                    ((NcBlob *)blobs.items)[idx].consumers++;
                }
            }
            for (int k = 0; k < nout && !rc; k++) {
                const char *b = t.tok[4 + nin + k];
                if (strlen(b) > NCNN_MAX_NAME) rc = ncnn_fail(m, &L, "a blob name longer than %d characters", NCNN_MAX_NAME);
                else if (strmap_get(&names, b) >= 0) {
                    const NcBlob *prev = &((NcBlob *)blobs.items)[strmap_get(&names, b)];
                    rc = ncnn_fail(m, &L, "produces blob '%.80s', which line %d already produced", b,
                                   prev->producer < li ? ((NcLayer *)layers.items)[prev->producer].line : line_no);
                } else {
                    NcBlob nb = {.name = arena_strdup(m->arena, b), .producer = li};
                    vec_push(&blobs, sizeof nb, &nb);
                    L.out[k] = (int)blobs.len - 1;
                    strmap_put(&names, nb.name, L.out[k]);
                }
            }
            for (int k = 4 + nin + nout; k < t.n && !rc; k++) rc = parse_param(m, &L, t.tok[k]);
            if (!rc) vec_push(&layers, sizeof L, &L);
        }
        line = next;
    }
    if (!rc && stage < 2) rc = err_set(m->err, m->errlen, "%s: not an ncnn .param: it ends before the counts", m->file);
    if (!rc && (int)layers.len != want_layers)
        rc = err_set(m->err, m->errlen, "%s: the header says %d layers, the file has %d layer lines", m->file, want_layers,
                     (int)layers.len);
    if (!rc && (int)blobs.len != want_blobs)
        rc = err_set(m->err, m->errlen, "%s: the header says %d blobs, the layers produce %d", m->file, want_blobs,
                     (int)blobs.len);
    if (!rc) {
        m->n_layers = (int)layers.len;
        m->layers = arena_alloc(m->arena, sizeof(NcLayer) * layers.len);
        memcpy(m->layers, layers.items, sizeof(NcLayer) * layers.len);
        m->n_blobs = (int)blobs.len;
        m->blobs = arena_alloc(m->arena, sizeof(NcBlob) * (blobs.len ? blobs.len : 1));
        if (blobs.len) memcpy(m->blobs, blobs.items, sizeof(NcBlob) * blobs.len);
    }
    vec_free(&layers);
    vec_free(&blobs);
    strmap_free(&names);
    free(t.tok);
    free(buf);
    return rc;
}

/* ---- the .bin ----------------------------------------------------------------------------- */

static int need(NcModel *m, const NcLayer *L, const char *what, size_t bytes)
{
    if (m->bin_pos <= m->bin_len && bytes <= m->bin_len - m->bin_pos) return 0;
    return err_set(m->err, m->errlen,
                   "%s: layer '%.80s' (%s) needs %zu bytes for its %s at offset %zu, the file has %zu: the .bin is "
                   "shorter than the weights the .param describes",
                   m->bin_name, L->name, L->type, bytes, what, m->bin_pos, m->bin_len);
}

int ncnn_bin_load(NcModel *m, const NcLayer *L, const char *what, int64_t count, int type, const void **data,
                  DType *dtype)
{
    size_t bytes;
    if (count < 0 || count > INT_MAX || !size_mul((size_t)count, 4, &bytes))
        return ncnn_fail(m, L, "%s of %lld values is out of range", what, (long long)count);
    if (type == 1) {
        if (need(m, L, what, bytes)) return -1;
        *data = m->bin + m->bin_pos;
        *dtype = DT_F32;
        m->bin_pos += bytes;
        return 0;
    }
    if (need(m, L, what, 4)) return -1;
    const uint8_t *f = m->bin + m->bin_pos;
    uint32_t tag = (uint32_t)f[0] | (uint32_t)f[1] << 8 | (uint32_t)f[2] << 16 | (uint32_t)f[3] << 24;
    m->bin_pos += 4;
    if (tag == NCNN_TAG_FP16) {
        size_t n = ((size_t)count * 2 + 3) & ~(size_t)3;
        if (need(m, L, what, n)) return -1;
        *data = m->bin + m->bin_pos;
        *dtype = DT_F16;
        m->bin_pos += n;
        return 0;
    }
    if (tag == NCNN_TAG_INT8)
        return ncnn_fail(m, L, "its %s array is stored as int8 (tag 0x000D4B38), which ncnn reads only for int8 "
                               "inference with activation scales; this reader does not run ncnn int8 models", what);
    if (tag == 0 || tag == 0x0002C056u) {
        if (need(m, L, what, bytes)) return -1;
        *data = m->bin + m->bin_pos;
        *dtype = DT_F32;
        m->bin_pos += bytes;
        return 0;
    }
    /* a 256-entry float table and one index byte per value */
    size_t n = ((size_t)count + 3) & ~(size_t)3;
    if (need(m, L, what, 1024 + n)) return -1;
    float table[256];
    memcpy(table, m->bin + m->bin_pos, sizeof table);
    const uint8_t *idx = m->bin + m->bin_pos + 1024;
    float *out = arena_alloc(m->arena, (size_t)(count ? count : 1) * sizeof *out);
    for (int64_t i = 0; i < count; i++) out[i] = table[idx[i]];
    m->bin_pos += 1024 + n;
    *data = out;
    *dtype = DT_F32;
    return 0;
}
