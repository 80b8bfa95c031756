/* runtime_ncnn: the ncnn adapter -- ncnn models (a .param with its .bin, or their
 * _ncnn_model folder) run in Tencent's ncnn, loaded at run time with dlopen through its C API
 * (c_api.h), so that yoloport neither builds nor starts against it.
 *
 * The C API is a set of exported functions; we resolve by name the ones we call, all present
 * in ncnn's C API for years (nets, options, extractors, 3-D mats and their channels), and two
 * groups when the library has them: the input and output names of the net (newer releases;
 * used when our own reader of the .param, which names them in the model's order, cannot) and
 * the fp16/bf16 switches (turned off: the session computes in float32, as the checks
 * compare).  Vulkan is never used.
 *
 * ncnn has no batch axis: a batch runs image by image and the outputs are stacked.  Its mats
 * are w, h, (d,) c with each channel at its own aligned offset; an output of `dims` axes is
 * returned as [batch, c, (d,) h, w] trimmed to dims + 1 axes ([1, 84, 8400] for a 2-D one). */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/core/util.h"
#include "engine/registry/model.h"
#include "engine/runtime/runtime.h"

typedef void *NcnnHandle; /* ncnn_net_t, ncnn_option_t, ncnn_extractor_t, ncnn_mat_t */

typedef struct {
    const char *(*version)(void);
    NcnnHandle (*option_create)(void);
    void (*option_destroy)(NcnnHandle opt);
    void (*option_set_num_threads)(NcnnHandle opt, int n);
    void (*option_set_use_vulkan_compute)(NcnnHandle opt, int enable);
    NcnnHandle (*net_create)(void);
    void (*net_destroy)(NcnnHandle net);
    void (*net_set_option)(NcnnHandle net, NcnnHandle opt);
    int (*net_load_param)(NcnnHandle net, const char *path);
    int (*net_load_model)(NcnnHandle net, const char *path);
    NcnnHandle (*extractor_create)(NcnnHandle net);
    void (*extractor_destroy)(NcnnHandle ex);
    int (*extractor_input)(NcnnHandle ex, const char *name, NcnnHandle mat);
    int (*extractor_extract)(NcnnHandle ex, const char *name, NcnnHandle *mat);
    NcnnHandle (*mat_create_3d)(int w, int h, int c, void *allocator);
    void (*mat_destroy)(NcnnHandle mat);
    int (*mat_get_dims)(NcnnHandle mat);
    int (*mat_get_w)(NcnnHandle mat);
    int (*mat_get_h)(NcnnHandle mat);
    int (*mat_get_c)(NcnnHandle mat);
    size_t (*mat_get_elemsize)(NcnnHandle mat);
    int (*mat_get_elempack)(NcnnHandle mat);
    void *(*mat_get_channel_data)(NcnnHandle mat, int c);
    /* optional */
    int (*mat_get_d)(NcnnHandle mat);
    int (*net_get_input_count)(NcnnHandle net);
    int (*net_get_output_count)(NcnnHandle net);
    const char *(*net_get_input_name)(NcnnHandle net, int i);
    const char *(*net_get_output_name)(NcnnHandle net, int i);
    void (*option_set_use_fp16_packed)(NcnnHandle opt, int enable);
    void (*option_set_use_fp16_storage)(NcnnHandle opt, int enable);
    void (*option_set_use_fp16_arithmetic)(NcnnHandle opt, int enable);
    void (*option_set_use_bf16_storage)(NcnnHandle opt, int enable);
} NcnnApi;

static const struct {
    const char *symbol;
    size_t offset;
    bool required;
} ncnn_symbols[] = {
#define NCNN_SYM_(member, req) {"ncnn_" #member, offsetof(NcnnApi, member), req}
    NCNN_SYM_(version, true),
    NCNN_SYM_(option_create, true),
    NCNN_SYM_(option_destroy, true),
    NCNN_SYM_(option_set_num_threads, true),
    NCNN_SYM_(option_set_use_vulkan_compute, true),
    NCNN_SYM_(net_create, true),
    NCNN_SYM_(net_destroy, true),
    NCNN_SYM_(net_set_option, true),
    NCNN_SYM_(net_load_param, true),
    NCNN_SYM_(net_load_model, true),
    NCNN_SYM_(extractor_create, true),
    NCNN_SYM_(extractor_destroy, true),
    NCNN_SYM_(extractor_input, true),
    NCNN_SYM_(extractor_extract, true),
    NCNN_SYM_(mat_create_3d, true),
    NCNN_SYM_(mat_destroy, true),
    NCNN_SYM_(mat_get_dims, true),
    NCNN_SYM_(mat_get_w, true),
    NCNN_SYM_(mat_get_h, true),
    NCNN_SYM_(mat_get_c, true),
    NCNN_SYM_(mat_get_elemsize, true),
    NCNN_SYM_(mat_get_elempack, true),
    NCNN_SYM_(mat_get_channel_data, true),
    NCNN_SYM_(mat_get_d, false),
    NCNN_SYM_(net_get_input_count, false),
    NCNN_SYM_(net_get_output_count, false),
    NCNN_SYM_(net_get_input_name, false),
    NCNN_SYM_(net_get_output_name, false),
    NCNN_SYM_(option_set_use_fp16_packed, false),
    NCNN_SYM_(option_set_use_fp16_storage, false),
    NCNN_SYM_(option_set_use_fp16_arithmetic, false),
    NCNN_SYM_(option_set_use_bf16_storage, false),
#undef NCNN_SYM_
};

/* Load the library (it stays loaded: ncnn keeps a thread pool and static state) and resolve
 * the API; NULL + why when it is not ncnn's C API. */
static const NcnnApi *ncnn_load(const char *path, char *version, size_t vlen, char *why, size_t whylen)
{
    void *h = runtime_dlopen(path, why, whylen);
    if (!h) return NULL;
    NcnnApi *api = xcalloc(1, sizeof *api);
    for (size_t i = 0; i < ARRAY_LEN(ncnn_symbols); i++) {
        void *sym = dlsym(h, ncnn_symbols[i].symbol);
        if (!sym && ncnn_symbols[i].required) {
            err_set(why, whylen, "%s: a shared library, but not ncnn's C API (it exports no %s)", path,
                    ncnn_symbols[i].symbol);
            free(api);
            return NULL;
        }
        memcpy((char *)api + ncnn_symbols[i].offset, &sym, sizeof sym);
    }
    const char *v = api->version();
    if (!v || !*v) {
        err_set(why, whylen, "%s: ncnn_version() reports no version", path);
        free(api);
        return NULL;
    }
    snprintf(version, vlen, "%.40s", v);
    return api;
}

int runtime_ncnn_check_library(const char *path, char *version, size_t vlen, char *why, size_t whylen)
{
    const NcnnApi *api = ncnn_load(path, version, vlen, why, whylen);
    free((void *)api);
    return api ? 0 : -1;
}

/* ---- the session ------------------------------------------------------------------------ */

#define NCNN_MAX_OUTPUTS 8

typedef struct {
    const NcnnApi *api;
    NcnnHandle net;
    char in_name[128];
    char out_names[NCNN_MAX_OUTPUTS][128];
    int n_out;
    float *out[NCNN_MAX_OUTPUTS];
    int64_t out_dims[NCNN_MAX_OUTPUTS][GRAPH_MAX_RANK];
    int out_rank[NCNN_MAX_OUTPUTS];
    Graph *facts;
} NcnnImpl;

static void ncnn_close(RuntimeSession *s)
{
    NcnnImpl *o = s->impl;
    if (!o) return;
    for (int i = 0; i < NCNN_MAX_OUTPUTS; i++) free(o->out[i]);
    if (o->net) o->api->net_destroy(o->net);
    graph_free(o->facts);
    free((void *)o->api);
    free(o);
    s->impl = NULL;
}

/* Output k of one image (mat m) into o->out[k] at image b of batch n: its shape is taken from
 * the first image and must not change. */
static int take_output(NcnnImpl *o, int k, NcnnHandle m, int b, int n, char *err, size_t errlen)
{
    const NcnnApi *api = o->api;
    int dims = api->mat_get_dims(m), w = api->mat_get_w(m), h = api->mat_get_h(m), c = api->mat_get_c(m);
    int d = dims == 4 && api->mat_get_d ? api->mat_get_d(m) : 1;
    if (dims < 1 || dims > 4 || (dims == 4 && !api->mat_get_d))
        return err_set(err, errlen, "ncnn: output '%s' has %d axes", o->out_names[k], dims);
    if (api->mat_get_elemsize(m) != 4 || api->mat_get_elempack(m) != 1)
        return err_set(err, errlen, "ncnn: output '%s' is not unpacked float32 (element size %zu, pack %d)", o->out_names[k],
                       api->mat_get_elemsize(m), api->mat_get_elempack(m));
    int64_t count = 0;
    if (w < 1 || h < 1 || c < 1 || d < 1 || __builtin_mul_overflow((int64_t)w * h, (int64_t)d * c, &count) ||
        count > ((int64_t)1 << 31) || __builtin_mul_overflow(count, (int64_t)n, &count))
        return err_set(err, errlen, "ncnn: output '%s' has a shape of %dx%dx%dx%d", o->out_names[k], c, d, h, w);
    int64_t want[GRAPH_MAX_RANK];
    int rank = 0;
    want[rank++] = n;
    if (dims >= 3) want[rank++] = c;
    if (dims == 4) want[rank++] = d;
    if (dims >= 2) want[rank++] = h;
    want[rank++] = w;
    if (b == 0) {
        free(o->out[k]);
        o->out[k] = xmalloc(sizeof(float) * (size_t)count);
        o->out_rank[k] = rank;
        memcpy(o->out_dims[k], want, sizeof(int64_t) * (size_t)rank);
    } else if (o->out_rank[k] != rank || memcmp(o->out_dims[k], want, sizeof(int64_t) * (size_t)rank) != 0) {
        return err_set(err, errlen, "ncnn: output '%s' changes shape within the batch", o->out_names[k]);
    }
    size_t plane = (size_t)d * (size_t)h * (size_t)w;
    float *dst = o->out[k] + (size_t)b * (size_t)c * plane;
    for (int ch = 0; ch < c; ch++) {
        const float *src = api->mat_get_channel_data(m, ch);
        if (!src) return err_set(err, errlen, "ncnn: output '%s' has no data", o->out_names[k]);
        memcpy(dst + (size_t)ch * plane, src, sizeof(float) * plane);
    }
    return 0;
}

static int ncnn_session_run(RuntimeSession *s, const float *x, const int64_t *dims, int rank, char *err, size_t errlen)
{
    NcnnImpl *o = s->impl;
    const NcnnApi *api = o->api;
    if (rank != 4 || dims[0] < 1 || dims[1] < 1 || dims[2] < 1 || dims[3] < 1 || dims[1] > 4096 || dims[2] > 65536 ||
        dims[3] > 65536)
        return err_set(err, errlen, "ncnn: an input of rank %d is not an image batch", rank);
    int n = (int)dims[0], c = (int)dims[1], h = (int)dims[2], w = (int)dims[3];
    size_t plane = (size_t)h * (size_t)w;
    int rc = 0;
    for (int b = 0; b < n && rc == 0; b++) {
        NcnnHandle in = api->mat_create_3d(w, h, c, NULL);
        if (!in) return err_set(err, errlen, "ncnn: could not make a %dx%dx%d input", c, h, w);
        for (int ch = 0; ch < c; ch++) {
            float *dst = api->mat_get_channel_data(in, ch);
            if (dst) memcpy(dst, x + ((size_t)b * (size_t)c + (size_t)ch) * plane, sizeof(float) * plane);
        }
        NcnnHandle ex = api->extractor_create(o->net);
        if (!ex) rc = err_set(err, errlen, "ncnn: could not make an extractor");
        if (rc == 0 && api->extractor_input(ex, o->in_name, in) != 0)
            rc = err_set(err, errlen, "ncnn: the model has no input blob '%s'", o->in_name);
        for (int k = 0; rc == 0 && k < o->n_out; k++) {
            NcnnHandle m = NULL;
            if (api->extractor_extract(ex, o->out_names[k], &m) != 0 || !m)
                rc = err_set(err, errlen, "ncnn: could not compute output '%s'", o->out_names[k]);
            else
                rc = take_output(o, k, m, b, n, err, errlen);
            if (m) api->mat_destroy(m);
        }
        if (ex) api->extractor_destroy(ex);
        api->mat_destroy(in);
    }
    return rc;
}

static const float *ncnn_output(RuntimeSession *s, int i, int64_t *dims, int *rank)
{
    NcnnImpl *o = s->impl;
    if (i < 0 || i >= o->n_out || !o->out[i]) return NULL;
    *rank = o->out_rank[i];
    memcpy(dims, o->out_dims[i], sizeof(int64_t) * (size_t)o->out_rank[i]);
    return o->out[i];
}

static const RuntimeSessionOps ncnn_ops = {ncnn_session_run, ncnn_output, ncnn_close};

/* The .param and .bin of an artifact: a _ncnn_model folder (model.ncnn.param/.bin), or a
 * .param file with its .bin beside it. */
static int ncnn_files(const char *path, char *param, char *bin, size_t len, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return err_set(err, errlen, "%s: no such file or folder", path);
    if (S_ISDIR(sb.st_mode)) {
        snprintf(param, len, "%s/model.ncnn.param", path);
        snprintf(bin, len, "%s/model.ncnn.bin", path);
    } else {
        size_t n = strlen(path);
        if (n < 6 || strcmp(path + n - 6, ".param") != 0 || n + 1 > len)
            return err_set(err, errlen, "%s: ncnn runs a .param with its .bin, or their folder", path);
        snprintf(param, len, "%s", path);
        snprintf(bin, len, "%.*s.bin", (int)(n - 6), path);
    }
    if (stat(param, &sb) != 0 || !S_ISREG(sb.st_mode)) return err_set(err, errlen, "%s: no such file", param);
    if (stat(bin, &sb) != 0 || !S_ISREG(sb.st_mode)) return err_set(err, errlen, "%s: no such file", bin);
    return 0;
}

int runtime_ncnn_run(struct FormatRun *run, char *err, size_t errlen)
{
    RuntimeProbe *pr = &run->probe;
    if (runtime_adapter_probe(run, RUNTIME_NCNN, err, errlen) != 0) return -1;
    char why[1024], param[4096], bin[4096];
    const NcnnApi *api = ncnn_load(pr->path, pr->version, sizeof pr->version, why, sizeof why);
    if (!api) return runtime_adapter_refuse(run, why, err, errlen);
    RuntimeSession *s = xcalloc(1, sizeof *s);
    NcnnImpl *o = xcalloc(1, sizeof *o);
    s->impl = o;
    s->ops = &ncnn_ops;
    o->api = api;
    int rc = ncnn_files(run->path, param, bin, sizeof param, err, errlen);
    if (rc == 0) {
        o->net = api->net_create();
        NcnnHandle opt = api->option_create();
        if (!o->net || !opt) {
            rc = err_set(err, errlen, "ncnn %s: could not make a net", pr->version);
        } else {
            if (run->threads > 0) api->option_set_num_threads(opt, run->threads);
            api->option_set_use_vulkan_compute(opt, 0);
            if (api->option_set_use_fp16_packed) api->option_set_use_fp16_packed(opt, 0);
            if (api->option_set_use_fp16_storage) api->option_set_use_fp16_storage(opt, 0);
            if (api->option_set_use_fp16_arithmetic) api->option_set_use_fp16_arithmetic(opt, 0);
            if (api->option_set_use_bf16_storage) api->option_set_use_bf16_storage(opt, 0);
            api->net_set_option(o->net, opt);
        }
        if (opt) api->option_destroy(opt);
    }
    if (rc == 0 && api->net_load_param(o->net, param) != 0)
        rc = err_set(err, errlen, "ncnn %s could not load %s", pr->version, param);
    if (rc == 0 && api->net_load_model(o->net, bin) != 0)
        rc = err_set(err, errlen, "ncnn %s could not load %s (its weights do not fit the .param)", pr->version, bin);
    /* the model's facts (task, names, strides, blob names and shapes) from our own reader */
    LoadOptions lo = {.shapes_only = true};
    char msg[512];
    if (rc == 0) o->facts = model_load(run->path, &lo, msg, sizeof msg);
    const Graph *f = o->facts;
    if (rc == 0 && f && f->n_inputs == 1 && f->n_outputs >= 1 && f->n_outputs <= NCNN_MAX_OUTPUTS) {
        /* our reader's names, in the model's output order (out0, out1, ...) */
        snprintf(o->in_name, sizeof o->in_name, "%s", f->tensors[f->inputs[0]].name);
        o->n_out = f->n_outputs;
        for (int k = 0; k < o->n_out; k++)
            snprintf(o->out_names[k], sizeof o->out_names[k], "%s", f->tensors[f->outputs[k]].name);
    } else if (rc == 0 && api->net_get_input_count && api->net_get_input_name && api->net_get_output_count &&
               api->net_get_output_name) {
        /* ncnn's own list (in blob order) when our reader cannot read the .param */
        int ni = api->net_get_input_count(o->net), no = api->net_get_output_count(o->net);
        const char *in = ni == 1 ? api->net_get_input_name(o->net, 0) : NULL;
        if (ni != 1 || !in) rc = err_set(err, errlen, "%s: the model has %d inputs; yoloport feeds one image", param, ni);
        else if (no < 1 || no > NCNN_MAX_OUTPUTS)
            rc = err_set(err, errlen, "%s: the model has %d outputs (1 to %d expected)", param, no, NCNN_MAX_OUTPUTS);
        if (rc == 0) {
            snprintf(o->in_name, sizeof o->in_name, "%s", in);
            o->n_out = no;
            for (int k = 0; k < no; k++) {
                const char *on = api->net_get_output_name(o->net, k);
                snprintf(o->out_names[k], sizeof o->out_names[k], "%s", on ? on : "");
            }
        }
    } else if (rc == 0) {
        rc = err_set(err, errlen, "%s: ncnn %s does not name its blobs and yoloport could not read them: %s", param,
                     pr->version, f ? "not one input" : msg);
    }
    if (rc != 0) {
        ncnn_close(s);
        free(s);
        return -1;
    }
    runtime_adapter_stamp(s, run);
    snprintf(s->input.name, sizeof s->input.name, "%s", o->in_name);
    s->input.rank = 4;
    if (f && f->n_inputs == 1 && f->tensors[f->inputs[0]].rank == 4) {
        for (int i = 0; i < 4; i++) s->input.dims[i] = f->tensors[f->inputs[0]].dims[i] > 0 ? f->tensors[f->inputs[0]].dims[i] : -1;
    } else {
        s->input.dims[0] = 1, s->input.dims[1] = 3, s->input.dims[2] = s->input.dims[3] = -1;
    }
    s->n_outputs = o->n_out;
    s->format = FMT_NCNN;
    s->model = o->facts;
    run->session = s;
    return 0;
}
