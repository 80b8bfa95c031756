/* runtime_ort: the onnxruntime adapter -- ONNX files run in ONNX Runtime, loaded at run time
 * with dlopen through its C API, so that yoloport neither builds nor starts against it.
 *
 * The C API is a table of function pointers (struct OrtApi) reached through the one exported
 * symbol OrtGetApiBase(), whose GetApi(version) returns the table for any API version the
 * library supports (1 .. its own) and GetVersionString() its release ("1.30.0").  The table
 * only ever grows at its end, so a prefix declared here stays valid for every release.  We
 * declare that prefix ourselves, member for member in the public header's order (version 1 of
 * the API, the first 101 entries), naming the ones we call and reserving the others, and ask
 * for version 1: every member used here exists since then.  A static_assert pins the offsets
 * of the last ones.  Element types and enum values are the header's (ONNX TensorProto types:
 * float 1, int64 7, float16 10). */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/util.h"
#include "engine/registry/model.h"
#include "engine/runtime/runtime.h"

typedef struct OrtStatus OrtStatus;
typedef struct OrtEnv OrtEnv;
typedef struct OrtSession OrtSession;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtValue OrtValue;
typedef struct OrtTypeInfo OrtTypeInfo;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtAllocator OrtAllocator;
typedef struct OrtRunOptions OrtRunOptions;
typedef void (*OrtReserved)(void); /* an entry we never call */

enum {
    ORT_LOGGING_LEVEL_ERROR = 3,
    ORT_ENABLE_ALL = 99,
    ORT_ARENA_ALLOCATOR = 1,
    ORT_MEM_TYPE_DEFAULT = 0,
    ORT_ELEM_FLOAT = 1,
    ORT_ELEM_INT32 = 6,
    ORT_ELEM_INT64 = 7,
    ORT_ELEM_FLOAT16 = 10,
    ORT_ELEM_DOUBLE = 11,
};

typedef struct {
    OrtReserved CreateStatus;                                                       /* 0 */
    OrtReserved GetErrorCode;                                                       /* 1 */
    const char *(*GetErrorMessage)(const OrtStatus *status);                        /* 2 */
    OrtStatus *(*CreateEnv)(int log_level, const char *logid, OrtEnv **out);        /* 3 */
    OrtReserved CreateEnvWithCustomLogger, EnableTelemetryEvents, DisableTelemetryEvents; /* 4-6 */
    OrtStatus *(*CreateSession)(const OrtEnv *env, const char *path, const OrtSessionOptions *opt,
                                OrtSession **out);                                  /* 7 */
    OrtReserved CreateSessionFromArray;                                             /* 8 */
    OrtStatus *(*Run)(OrtSession *s, const OrtRunOptions *ro, const char *const *in_names,
                      const OrtValue *const *inputs, size_t n_in, const char *const *out_names, size_t n_out,
                      OrtValue **outputs);                                          /* 9 */
    OrtStatus *(*CreateSessionOptions)(OrtSessionOptions **out);                    /* 10 */
    OrtReserved reserved_11_22[12]; /* SetOptimizedModelFilePath .. SetSessionLogSeverityLevel */
    OrtStatus *(*SetSessionGraphOptimizationLevel)(OrtSessionOptions *o, int level); /* 23 */
    OrtStatus *(*SetIntraOpNumThreads)(OrtSessionOptions *o, int n);                /* 24 */
    OrtReserved reserved_25_29[5];  /* SetInterOpNumThreads .. RegisterCustomOpsLibrary */
    OrtStatus *(*SessionGetInputCount)(const OrtSession *s, size_t *out);           /* 30 */
    OrtStatus *(*SessionGetOutputCount)(const OrtSession *s, size_t *out);          /* 31 */
    OrtReserved SessionGetOverridableInitializerCount;                              /* 32 */
    OrtStatus *(*SessionGetInputTypeInfo)(const OrtSession *s, size_t i, OrtTypeInfo **out); /* 33 */
    OrtReserved SessionGetOutputTypeInfo, SessionGetOverridableInitializerTypeInfo; /* 34-35 */
    OrtStatus *(*SessionGetInputName)(const OrtSession *s, size_t i, OrtAllocator *a, char **out);  /* 36 */
    OrtStatus *(*SessionGetOutputName)(const OrtSession *s, size_t i, OrtAllocator *a, char **out); /* 37 */
    OrtReserved reserved_38_48[11]; /* SessionGetOverridableInitializerName .. CreateTensorAsOrtValue */
    OrtStatus *(*CreateTensorWithDataAsOrtValue)(const OrtMemoryInfo *mi, void *data, size_t bytes,
                                                 const int64_t *shape, size_t rank, int type,
                                                 OrtValue **out);                   /* 49 */
    OrtReserved IsTensor;                                                           /* 50 */
    OrtStatus *(*GetTensorMutableData)(OrtValue *v, void **out);                    /* 51 */
    OrtReserved reserved_52_54[3];  /* FillStringTensor .. GetStringTensorContent */
    OrtStatus *(*CastTypeInfoToTensorInfo)(const OrtTypeInfo *ti, const OrtTensorTypeAndShapeInfo **out); /* 55 */
    OrtReserved reserved_56_59[4];  /* GetOnnxTypeFromTypeInfo .. SetDimensions */
    OrtStatus *(*GetTensorElementType)(const OrtTensorTypeAndShapeInfo *i, int *out); /* 60 */
    OrtStatus *(*GetDimensionsCount)(const OrtTensorTypeAndShapeInfo *i, size_t *out); /* 61 */
    OrtStatus *(*GetDimensions)(const OrtTensorTypeAndShapeInfo *i, int64_t *dims, size_t n); /* 62 */
    OrtReserved GetSymbolicDimensions;                                              /* 63 */
    OrtStatus *(*GetTensorShapeElementCount)(const OrtTensorTypeAndShapeInfo *i, size_t *out); /* 64 */
    OrtStatus *(*GetTensorTypeAndShape)(const OrtValue *v, OrtTensorTypeAndShapeInfo **out); /* 65 */
    OrtReserved reserved_66_68[3];  /* GetTypeInfo, GetValueType, CreateMemoryInfo */
    OrtStatus *(*CreateCpuMemoryInfo)(int alloc_type, int mem_type, OrtMemoryInfo **out); /* 69 */
    OrtReserved reserved_70_75[6];  /* CompareMemoryInfo .. AllocatorAlloc */
    OrtStatus *(*AllocatorFree)(OrtAllocator *a, void *p);                          /* 76 */
    OrtReserved AllocatorGetInfo;                                                   /* 77 */
    OrtStatus *(*GetAllocatorWithDefaultOptions)(OrtAllocator **out);               /* 78 */
    OrtReserved reserved_79_91[13]; /* AddFreeDimensionOverride .. KernelContext_GetOutput */
    void (*ReleaseEnv)(OrtEnv *);                                                   /* 92 */
    void (*ReleaseStatus)(OrtStatus *);                                             /* 93 */
    void (*ReleaseMemoryInfo)(OrtMemoryInfo *);                                     /* 94 */
    void (*ReleaseSession)(OrtSession *);                                           /* 95 */
    void (*ReleaseValue)(OrtValue *);                                               /* 96 */
    OrtReserved ReleaseRunOptions;                                                  /* 97 */
    void (*ReleaseTypeInfo)(OrtTypeInfo *);                                         /* 98 */
    void (*ReleaseTensorTypeAndShapeInfo)(OrtTensorTypeAndShapeInfo *);             /* 99 */
    void (*ReleaseSessionOptions)(OrtSessionOptions *);                             /* 100 */
} OrtApiPrefix;

#define ORT_SLOT(member) (offsetof(OrtApiPrefix, member) / sizeof(OrtReserved))
_Static_assert(ORT_SLOT(Run) == 9 && ORT_SLOT(SessionGetInputCount) == 30 && ORT_SLOT(SessionGetInputName) == 36 &&
                   ORT_SLOT(CreateTensorWithDataAsOrtValue) == 49 && ORT_SLOT(CastTypeInfoToTensorInfo) == 55 &&
                   ORT_SLOT(GetTensorTypeAndShape) == 65 && ORT_SLOT(CreateCpuMemoryInfo) == 69 &&
                   ORT_SLOT(GetAllocatorWithDefaultOptions) == 78 && ORT_SLOT(ReleaseEnv) == 92 &&
                   ORT_SLOT(ReleaseSessionOptions) == 100,
               "OrtApi prefix out of step with the C API's member order");

typedef struct {
    const OrtApiPrefix *(*GetApi)(uint32_t version);
    const char *(*GetVersionString)(void);
} OrtApiBase;

#define ORT_API_VERSION_USED 1u

/* Load the library (it stays loaded for the life of the process: ONNX Runtime keeps thread
 * pools and static state that must not be unmapped under it) and get the API table. */
static const OrtApiPrefix *ort_load(const char *path, char *version, size_t vlen, char *why, size_t whylen)
{
    void *h = runtime_dlopen(path, why, whylen);
    if (!h) return NULL;
    const OrtApiBase *(*get_base)(void);
    *(void **)&get_base = dlsym(h, "OrtGetApiBase");
    if (!get_base) {
        err_set(why, whylen, "%s: a shared library, but not ONNX Runtime (it exports no OrtGetApiBase)", path);
        return NULL;
    }
    const OrtApiBase *base = get_base();
    const char *v = base && base->GetVersionString ? base->GetVersionString() : NULL;
    if (!v || strncmp(v, "1.", 2) != 0) {
        err_set(why, whylen, "%s: OrtGetApiBase reports version '%s'; this adapter speaks the 1.x C API", path,
                v ? v : "(none)");
        return NULL;
    }
    snprintf(version, vlen, "%.40s", v);
    const OrtApiPrefix *api = base->GetApi ? base->GetApi(ORT_API_VERSION_USED) : NULL;
    if (!api) {
        err_set(why, whylen, "%s: ONNX Runtime %s does not provide C API version %u", path, version, ORT_API_VERSION_USED);
        return NULL;
    }
    return api;
}

int runtime_ort_check_library(const char *path, char *version, size_t vlen, char *why, size_t whylen)
{
    return ort_load(path, version, vlen, why, whylen) ? 0 : -1;
}

/* ---- the session ------------------------------------------------------------------------ */

#define ORT_MAX_OUTPUTS 8

typedef struct {
    const OrtApiPrefix *api;
    OrtEnv *env;
    OrtSessionOptions *opts;
    OrtSession *session;
    OrtMemoryInfo *mem;
    char *in_name;
    int in_type;
    char *out_names[ORT_MAX_OUTPUTS];
    size_t n_out;
    float *out[ORT_MAX_OUTPUTS];
    int64_t out_dims[ORT_MAX_OUTPUTS][GRAPH_MAX_RANK];
    int out_rank[ORT_MAX_OUTPUTS];
    Graph *facts;
} OrtImpl;

/* A non-NULL status is an error: its message into err, the status released.  -1 then. */
static int ort_status(const OrtApiPrefix *api, OrtStatus *st, const char *what, char *err, size_t errlen)
{
    if (!st) return 0;
    err_set(err, errlen, "%s: %s", what, api->GetErrorMessage(st));
    api->ReleaseStatus(st);
    return -1;
}

static void ort_close(RuntimeSession *s)
{
    OrtImpl *o = s->impl;
    if (!o) return;
    const OrtApiPrefix *api = o->api;
    for (size_t i = 0; i < ORT_MAX_OUTPUTS; i++) {
        free(o->out[i]);
        free(o->out_names[i]);
    }
    free(o->in_name);
    if (o->mem) api->ReleaseMemoryInfo(o->mem);
    if (o->session) api->ReleaseSession(o->session);
    if (o->opts) api->ReleaseSessionOptions(o->opts);
    if (o->env) api->ReleaseEnv(o->env);
    graph_free(o->facts);
    free(o);
    s->impl = NULL;
}

static int ort_session_run(RuntimeSession *s, const float *x, const int64_t *dims, int rank, char *err, size_t errlen)
{
    OrtImpl *o = s->impl;
    const OrtApiPrefix *api = o->api;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    void *data = (void *)x;
    size_t bytes = sizeof(float) * (size_t)n;
    uint16_t *half = NULL;
    if (o->in_type == ORT_ELEM_FLOAT16) {
        half = xmalloc(sizeof(uint16_t) * (size_t)(n ? n : 1));
        for (int64_t i = 0; i < n; i++) half[i] = float_to_half(x[i]);
        data = half;
        bytes = sizeof(uint16_t) * (size_t)n;
    } else if (o->in_type != ORT_ELEM_FLOAT) {
        return err_set(err, errlen, "the model's input '%s' is of ONNX type %d; images are float or float16",
                       o->in_name, o->in_type);
    }
    OrtValue *in = NULL;
    OrtValue *outs[ORT_MAX_OUTPUTS] = {0};
    int rc = ort_status(api, api->CreateTensorWithDataAsOrtValue(o->mem, data, bytes, dims, (size_t)rank, o->in_type, &in),
                        "onnxruntime: input tensor", err, errlen);
    if (rc == 0) {
        const char *in_names[1] = {o->in_name};
        const OrtValue *ins[1] = {in};
        rc = ort_status(api, api->Run(o->session, NULL, in_names, ins, 1, (const char *const *)o->out_names, o->n_out, outs),
                        "onnxruntime: run", err, errlen);
    }
    for (size_t k = 0; rc == 0 && k < o->n_out; k++) {
        OrtTensorTypeAndShapeInfo *info = NULL;
        int type = 0;
        size_t r = 0;
        rc = ort_status(api, api->GetTensorTypeAndShape(outs[k], &info), "onnxruntime: output shape", err, errlen);
        if (rc == 0) rc = ort_status(api, api->GetTensorElementType(info, &type), "onnxruntime: output type", err, errlen);
        if (rc == 0) rc = ort_status(api, api->GetDimensionsCount(info, &r), "onnxruntime: output rank", err, errlen);
        if (rc == 0 && r > GRAPH_MAX_RANK) rc = err_set(err, errlen, "onnxruntime: output %zu has rank %zu", k, r);
        if (rc == 0) rc = ort_status(api, api->GetDimensions(info, o->out_dims[k], r), "onnxruntime: output dims", err, errlen);
        if (info) api->ReleaseTensorTypeAndShapeInfo(info);
        void *p = NULL;
        if (rc == 0) rc = ort_status(api, api->GetTensorMutableData(outs[k], &p), "onnxruntime: output data", err, errlen);
        if (rc != 0) break;
        int64_t count = 1;
        for (size_t i = 0; i < r; i++) {
            if (o->out_dims[k][i] < 0 || (o->out_dims[k][i] > 0 && count > ((int64_t)1 << 32) / o->out_dims[k][i])) {
                rc = err_set(err, errlen, "onnxruntime: output %zu is too large", k);
                break;
            }
            count *= o->out_dims[k][i];
        }
        if (rc != 0) break;
        o->out_rank[k] = (int)r;
        free(o->out[k]);
        o->out[k] = xmalloc(sizeof(float) * (size_t)(count ? count : 1));
        float *dst = o->out[k];
        switch (type) {
        case ORT_ELEM_FLOAT: memcpy(dst, p, sizeof(float) * (size_t)count); break;
        case ORT_ELEM_FLOAT16:
            for (int64_t i = 0; i < count; i++) dst[i] = half_to_float(((const uint16_t *)p)[i]);
            break;
        case ORT_ELEM_INT64:
            for (int64_t i = 0; i < count; i++) dst[i] = (float)((const int64_t *)p)[i];
            break;
        case ORT_ELEM_INT32:
            for (int64_t i = 0; i < count; i++) dst[i] = (float)((const int32_t *)p)[i];
            break;
        case ORT_ELEM_DOUBLE:
            for (int64_t i = 0; i < count; i++) dst[i] = (float)((const double *)p)[i];
            break;
        default: rc = err_set(err, errlen, "onnxruntime: output '%s' has ONNX type %d", o->out_names[k], type);
        }
    }
    for (size_t k = 0; k < ORT_MAX_OUTPUTS; k++)
        if (outs[k]) api->ReleaseValue(outs[k]);
    if (in) api->ReleaseValue(in);
    free(half);
    return rc;
}

static const float *ort_output(RuntimeSession *s, int i, int64_t *dims, int *rank)
{
    OrtImpl *o = s->impl;
    if (i < 0 || (size_t)i >= o->n_out || !o->out[i]) return NULL;
    *rank = o->out_rank[i];
    for (int k = 0; k < o->out_rank[i]; k++) dims[k] = o->out_dims[i][k];
    return o->out[i];
}

static const RuntimeSessionOps ort_ops = {ort_session_run, ort_output, ort_close};

/* A copy of an ORT-allocated name, freed with the allocator. */
static char *ort_name(const OrtApiPrefix *api, OrtAllocator *a, char *name)
{
    char *copy = xstrdup(name ? name : "");
    if (name) {
        OrtStatus *st = api->AllocatorFree(a, name);
        if (st) api->ReleaseStatus(st);
    }
    return copy;
}

int runtime_ort_run(struct FormatRun *run, char *err, size_t errlen)
{
    RuntimeProbe *pr = &run->probe;
    if (runtime_adapter_probe(run, RUNTIME_ONNXRUNTIME, err, errlen) != 0) return -1;
    char why[1024];
    const OrtApiPrefix *api = ort_load(pr->path, pr->version, sizeof pr->version, why, sizeof why);
    if (!api) return runtime_adapter_refuse(run, why, err, errlen);
    RuntimeSession *s = xcalloc(1, sizeof *s);
    OrtImpl *o = xcalloc(1, sizeof *o);
    s->impl = o;
    s->ops = &ort_ops;
    o->api = api;
    char what[4200];
    snprintf(what, sizeof what, "onnxruntime %s could not open %s", pr->version, run->path);
    OrtAllocator *alloc = NULL;
    OrtTypeInfo *ti = NULL;
    size_t n_in = 0;
    int rc = ort_status(api, api->CreateEnv(ORT_LOGGING_LEVEL_ERROR, "yoloport", &o->env), what, err, errlen);
    if (rc == 0) rc = ort_status(api, api->CreateSessionOptions(&o->opts), what, err, errlen);
    if (rc == 0) rc = ort_status(api, api->SetSessionGraphOptimizationLevel(o->opts, ORT_ENABLE_ALL), what, err, errlen);
    if (rc == 0 && run->threads > 0)
        rc = ort_status(api, api->SetIntraOpNumThreads(o->opts, run->threads), what, err, errlen);
    if (rc == 0) rc = ort_status(api, api->CreateSession(o->env, run->path, o->opts, &o->session), what, err, errlen);
    if (rc == 0) rc = ort_status(api, api->CreateCpuMemoryInfo(ORT_ARENA_ALLOCATOR, ORT_MEM_TYPE_DEFAULT, &o->mem), what, err, errlen);
    if (rc == 0) rc = ort_status(api, api->GetAllocatorWithDefaultOptions(&alloc), what, err, errlen);
    if (rc == 0) rc = ort_status(api, api->SessionGetInputCount(o->session, &n_in), what, err, errlen);
    if (rc == 0) rc = ort_status(api, api->SessionGetOutputCount(o->session, &o->n_out), what, err, errlen);
    if (rc == 0 && n_in != 1) rc = err_set(err, errlen, "%s: the model has %zu inputs; yoloport feeds one image tensor", run->path, n_in);
    if (rc == 0 && (o->n_out < 1 || o->n_out > ORT_MAX_OUTPUTS))
        rc = err_set(err, errlen, "%s: the model has %zu outputs (1 to %d expected)", run->path, o->n_out, ORT_MAX_OUTPUTS);
    if (rc == 0) {
        char *name = NULL;
        rc = ort_status(api, api->SessionGetInputName(o->session, 0, alloc, &name), what, err, errlen);
        if (rc == 0) o->in_name = ort_name(api, alloc, name);
    }
    for (size_t k = 0; rc == 0 && k < o->n_out; k++) {
        char *name = NULL;
        rc = ort_status(api, api->SessionGetOutputName(o->session, k, alloc, &name), what, err, errlen);
        if (rc == 0) o->out_names[k] = ort_name(api, alloc, name);
    }
    if (rc == 0) rc = ort_status(api, api->SessionGetInputTypeInfo(o->session, 0, &ti), what, err, errlen);
    if (rc == 0) {
        const OrtTensorTypeAndShapeInfo *tsi = NULL;
        size_t r = 0;
        rc = ort_status(api, api->CastTypeInfoToTensorInfo(ti, &tsi), what, err, errlen);
        if (rc == 0 && !tsi) rc = err_set(err, errlen, "%s: the input is not a tensor", run->path);
        if (rc == 0) rc = ort_status(api, api->GetTensorElementType(tsi, &o->in_type), what, err, errlen);
        if (rc == 0) rc = ort_status(api, api->GetDimensionsCount(tsi, &r), what, err, errlen);
        if (rc == 0 && (r < 1 || r > GRAPH_MAX_RANK)) rc = err_set(err, errlen, "%s: the input has rank %zu", run->path, r);
        if (rc == 0) rc = ort_status(api, api->GetDimensions(tsi, s->input.dims, r), what, err, errlen);
        if (rc == 0) {
            s->input.rank = (int)r;
            for (size_t i = 0; i < r; i++)
                if (s->input.dims[i] <= 0) s->input.dims[i] = -1;
        }
    }
    if (ti) api->ReleaseTypeInfo(ti);
    if (rc != 0) {
        ort_close(s);
        free(s);
        return -1;
    }
    runtime_adapter_stamp(s, run);
    snprintf(s->input.name, sizeof s->input.name, "%s", o->in_name);
    s->input.half = o->in_type == ORT_ELEM_FLOAT16;
    s->n_outputs = (int)o->n_out;
    s->format = FMT_ONNX;
    /* the model's facts (task, names, strides) from our own reader, without its weights */
    LoadOptions lo = {.shapes_only = true};
    char msg[512];
    o->facts = model_load(run->path, &lo, msg, sizeof msg);
    s->model = o->facts;
    run->session = s;
    return 0;
}
