/* trt: trtexec's command lines by TensorRT version, the calibration-cache hook, and timing
 * an engine with trtexec --loadEngine (see trt.h). */
#include "engine/tools/trt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/util.h"
#include "engine/tools/driver.h"
#include "formats/engine.h"

static void push(Vec *v, const char *s)
{
    char *d = xstrdup(s);
    vec_push(v, sizeof d, &d);
}

static void pushf(Vec *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pushf(Vec *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[4600];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    push(v, buf);
}

long trt_workspace_mib(double gib)
{
    if (!(gib > 0)) return 0;
    double mib = floor(gib * 1024.0 + 0.5);
    return mib < 1 ? 1 : (long)mib;
}

/* TensorRT >= 8.5 (or unknown: assume a current one). */
static bool has_mem_pool_flag(const int v[3])
{
    if (v[0] == 0) return true;
    return v[0] > 8 || (v[0] == 8 && v[1] >= 5);
}

char **trt_build_argv(const TrtBuildSpec *s)
{
    Vec v = {0};
    push(&v, "trtexec");
    pushf(&v, "--onnx=%s", s->onnx);
    pushf(&v, "--saveEngine=%s", s->engine);
    if (s->dynamic) {
        const char *in = s->input_name ? s->input_name : "images";
        pushf(&v, "--minShapes=%s:%dx%dx%dx%d", in, s->min[0], s->min[1], s->min[2], s->min[3]);
        pushf(&v, "--optShapes=%s:%dx%dx%dx%d", in, s->opt[0], s->opt[1], s->opt[2], s->opt[3]);
        pushf(&v, "--maxShapes=%s:%dx%dx%dx%d", in, s->max[0], s->max[1], s->max[2], s->max[3]);
    }
    if (s->half) push(&v, "--fp16");
    if (s->int8) {
        push(&v, "--int8");
        if (s->calib_cache) pushf(&v, "--calib=%s", s->calib_cache);
    }
    long mib = trt_workspace_mib(s->workspace_gib);
    if (mib > 0) {
        if (has_mem_pool_flag(s->version)) pushf(&v, "--memPoolSize=workspace:%ld", mib);
        else pushf(&v, "--workspace=%ld", mib);
    }
    if (s->dla_core >= 0) {
        pushf(&v, "--useDLACore=%d", s->dla_core);
        push(&v, "--allowGPUFallback");
    }
    if (s->device > 0) pushf(&v, "--device=%d", s->device);
    if (s->timing_cache) pushf(&v, "--timingCacheFile=%s", s->timing_cache);
    if (s->verbose) push(&v, "--verbose");
    char *null = NULL;
    vec_push(&v, sizeof null, &null);
    return v.items;
}

void trt_device_of(const ExportArgs *given, int *gpu, int *dla)
{
    *gpu = 0;
    *dla = -1;
    if (!given || export_args_is_none(given, EXPORT_KEY_DEVICE)) return;
    const char *d = given->device;
    if (strstr(d, "dla")) {
        const char *c = strrchr(d, ':');
        *dla = atoi(c ? c + 1 : d + 3);
        return;
    }
    const char *c = strrchr(d, ':');
    const char *num = c ? c + 1 : d;
    while (*num == '[' || *num == ' ') num++;
    if (*num >= '0' && *num <= '9') *gpu = atoi(num);
}

void trt_spec_for_export(TrtBuildSpec *spec, const ExportArgs *a, const ExportArgs *given, const ToolFacts *facts,
                         int channels, const char *onnx_name, const char *engine_name, const char *timing_cache)
{
    memset(spec, 0, sizeof *spec);
    int gpu, dla;
    trt_device_of(given, &gpu, &dla);
    spec->onnx = onnx_name;
    spec->engine = engine_name;
    spec->input_name = "images";
    spec->half = a->half;
    spec->int8 = a->int8;
    spec->dynamic = a->dynamic;
    spec->verbose = a->verbose;
    spec->workspace_gib = export_args_is_none(a, EXPORT_KEY_WORKSPACE) ? 0 : a->workspace;
    spec->dla_core = dla;
    spec->device = gpu;
    spec->timing_cache = timing_cache;
    if (facts) memcpy(spec->version, facts->trt, sizeof spec->version);
    export_trt_profile(a, channels, spec->min, spec->opt, spec->max);
}

const char *trt_missing(const ToolFacts *f, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t used = 0;
    if (!f->tool[TOOL_TRTEXEC].found)
        used += (size_t)snprintf(buf + used, len - used, "trtexec is not on PATH (%s; it is often in "
                                 "/usr/src/tensorrt/bin)", tools_about(TOOL_TRTEXEC));
    if (!f->gpu.present && used < len)
        snprintf(buf + used, len - used, "%sno NVIDIA GPU (%s)", used ? "; " : "",
                 f->tool[TOOL_NVIDIA_SMI].found ? "nvidia-smi lists none"
                                                : "nvidia-smi is not on PATH and the driver lists no GPU");
    return buf;
}

/* ---- performance summary ----------------------------------------------------------- */

/* "name = 1.234 ms" pairs after "GPU Compute Time:" */
static double field_ms(const char *line, const char *name)
{
    const char *p = strstr(line, name);
    if (!p) return NAN;
    p += strlen(name);
    while (*p == ' ') p++;
    if (*p != '=') return NAN;
    return strtod(p + 1, NULL);
}

int trt_parse_performance(const char *line, TrtBenchResult *out)
{
    int n = 0;
    const char *g = strstr(line, "GPU Compute Time:");
    if (g) {
        double v;
        if (!isnan(v = field_ms(g, "min"))) out->min_ms = v, n++;
        if (!isnan(v = field_ms(g, "max"))) out->max_ms = v, n++;
        if (!isnan(v = field_ms(g, "mean"))) out->mean_ms = v, n++;
        if (!isnan(v = field_ms(g, "median"))) out->median_ms = v, n++;
        if (!isnan(v = field_ms(g, "percentile(99%)"))) out->p99_ms = v, n++;
        if (n) out->have_latency = true;
    }
    const char *t = strstr(line, "Throughput:");
    if (t) {
        char *e;
        double v = strtod(t + strlen("Throughput:"), &e);
        if (e != t + strlen("Throughput:") && strstr(e, "qps")) out->throughput_qps = v, n++;
    }
    return n;
}

static void bench_line(Job *job, bool is_stderr, const char *line, void *user)
{
    trt_parse_performance(line, user);
}

int trt_benchmark(Job *job, const char *engine_path, const RemoteHost *host, const TrtBenchOptions *opt,
                  TrtBenchResult *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    TrtBenchOptions defaults = {0};
    if (!opt) opt = &defaults;
    ToolSession ts;
    char msg[1024];
    if (tool_session_open(&ts, job, host, engine_path, TOOL_BIT(TOOL_TRTEXEC) | TOOL_BIT(TOOL_NVIDIA_SMI), 0, msg,
                          sizeof msg) != 0) {
        tool_session_close(&ts);
        return err_set(err, errlen, "TensorRT benchmark: %s", msg);
    }
    snprintf(out->host, sizeof out->host, "%s", tool_session_where(&ts));
    snprintf(out->tensorrt, sizeof out->tensorrt, "%s", ts.facts.tool[TOOL_TRTEXEC].version);
    tools_gpu_summary(&ts.facts, out->gpu, sizeof out->gpu);
    char missing[512];
    if (*trt_missing(&ts.facts, missing, sizeof missing)) {
        tool_session_close(&ts);
        return err_set(err, errlen, "TensorRT benchmark is not available on %s: %s", out->host, missing);
    }
    /* trtexec reads a bare plan: strip the peer's header into the work directory */
    char plan[4200];
    const char *slash = strrchr(engine_path, '/');
    char name[512];
    snprintf(name, sizeof name, "%s.plan", slash ? slash + 1 : engine_path);
    tool_session_path(&ts, name, plan, sizeof plan);
    EngineHeader h;
    char hmsg[512];
    bool headed = engine_header_read(engine_path, &h, hmsg, sizeof hmsg) == 0;
    if (headed) engine_header_free(&h);
    char abs_engine[4096];
    int rc = headed ? engine_extract_plan(engine_path, plan, msg, sizeof msg)
             : (!realpath(engine_path, abs_engine) || symlink(abs_engine, plan) != 0) ? -1 : 0;
    if (rc != 0) {
        tool_session_close(&ts);
        return err_set(err, errlen, "TensorRT benchmark: %s", headed ? msg : "cannot link the engine into the work directory");
    }
    Vec v = {0};
    push(&v, "trtexec");
    pushf(&v, "--loadEngine=%s", name);
    if (opt->shapes) pushf(&v, "--shapes=%s", opt->shapes);
    if (opt->warmup_ms > 0) pushf(&v, "--warmUp=%d", opt->warmup_ms);
    if (opt->duration_s > 0) pushf(&v, "--duration=%g", opt->duration_s);
    if (opt->iterations > 0) pushf(&v, "--iterations=%d", opt->iterations);
    if (opt->use_cuda_graph) push(&v, "--useCudaGraph");
    if (opt->no_data_transfers) push(&v, "--noDataTransfers");
    char *null = NULL;
    vec_push(&v, sizeof null, &null);
    char **argv = v.items;
    char *cmd = tool_session_command(&ts, argv);
    snprintf(out->command, sizeof out->command, "%s", cmd);
    free(cmd);
    const char *inputs[1] = {plan};
    ToolStep step = {.stage = "TensorRT benchmark", .argv = argv, .inputs = inputs, .n_inputs = ts.remote ? 1 : 0,
                     .on_line = bench_line, .on_line_user = out};
    rc = tool_session_run(&ts, &step, NULL, err, errlen);
    remote_argv_free(argv);
    tool_session_close(&ts);
    if (rc == 0 && !out->have_latency)
        return err_set(err, errlen, "TensorRT benchmark: trtexec printed no \"GPU Compute Time\" summary");
    return rc;
}
