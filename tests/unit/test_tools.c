/* Tests for the external-tool driver and what it builds on: trtexec's exact command lines
 * for TensorRT 8.4 and 10, version and GPU parsing, the probe, shell quoting, hosts and the
 * remote process-group wrapper (run here under sh), the engine header, trtexec's
 * performance summary, and the driver itself with stand-in tools written by the test (first
 * on PATH): streaming proved by timestamps, exit statuses and signals named with the stage,
 * "killed (out of memory?)", a missing tool's reason, the silence warning, a cancel that
 * leaves no process of the group, and `trtexec --loadEngine` timing through the driver. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"
#include "engine/export/export_args.h"
#include "engine/registry/model.h"
#include "engine/remote/remote.h"
#include "engine/tools/driver.h"
#include "engine/tools/tools.h"
#include "engine/tools/trt.h"
#include "formats/engine.h"
#include "tests/check.h"

static char stand_dir[256]; /* stand-in tools, first on PATH */
static char *old_path;

static void write_script(const char *name, const char *body)
{
    char *p = xasprintf("%s/%s", stand_dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fprintf(f, "#!/bin/sh\n%s", body);
        fclose(f);
    }
    chmod(p, 0755);
    free(p);
}

static void remove_script(const char *name)
{
    char *p = xasprintf("%s/%s", stand_dir, name);
    unlink(p);
    free(p);
}

static char *join_argv(char **argv)
{
    StrBuf b = {0};
    for (int i = 0; argv[i]; i++) strbuf_printf(&b, "%s%s", i ? " " : "", argv[i]);
    return b.p;
}

/* ---- trtexec command lines ------------------------------------------------------------ */

static char *trt_line(int major, int minor, int patch, void (*set)(TrtBuildSpec *))
{
    TrtBuildSpec s = {.version = {major, minor, patch}, .onnx = "yolov8n.onnx", .engine = "yolov8n.engine",
                      .input_name = "images", .dla_core = -1};
    set(&s);
    char **argv = trt_build_argv(&s);
    char *line = join_argv(argv);
    remote_argv_free(argv);
    return line;
}

static void set_plain(TrtBuildSpec *s) { (void)s; }
static void set_half(TrtBuildSpec *s) { s->half = true; }
static void set_int8(TrtBuildSpec *s)
{
    s->int8 = true;
    s->calib_cache = "yolov8n.cache";
    s->dynamic = true;
    int mn[4] = {1, 3, 32, 32}, op[4] = {1, 3, 640, 640}, mx[4] = {1, 3, 1280, 1280};
    memcpy(s->min, mn, sizeof mn), memcpy(s->opt, op, sizeof op), memcpy(s->max, mx, sizeof mx);
}
static void set_workspace(TrtBuildSpec *s) { s->workspace_gib = 4; }
static void set_workspace_half_gib(TrtBuildSpec *s) { s->workspace_gib = 0.5, s->half = true; }
static void set_dynamic_batch(TrtBuildSpec *s)
{
    s->dynamic = true;
    ExportArgs a;
    export_args_init(&a);
    export_args_set(&a, "batch", "8", NULL);
    export_args_set(&a, "imgsz", "640", NULL);
    export_trt_profile(&a, 3, s->min, s->opt, s->max);
}
static void set_dla(TrtBuildSpec *s) { s->half = true, s->dla_core = 1; }
static void set_everything(TrtBuildSpec *s)
{
    set_dynamic_batch(s);
    s->half = true;
    s->workspace_gib = 2;
    s->device = 1;
    s->timing_cache = "/home/u/.cache/yoloport/tensorrt/a100-sm8.0-trt10.3.0.timing";
    s->verbose = true;
}

static void test_trtexec_lines(void)
{
    static const struct {
        void (*set)(TrtBuildSpec *);
        const char *v84, *v10;
    } cases[] = {
        {set_plain, "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine",
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine"},
        {set_half, "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16",
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16"},
        {set_int8,
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --minShapes=images:1x3x32x32 "
         "--optShapes=images:1x3x640x640 --maxShapes=images:1x3x1280x1280 --int8 --calib=yolov8n.cache",
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --minShapes=images:1x3x32x32 "
         "--optShapes=images:1x3x640x640 --maxShapes=images:1x3x1280x1280 --int8 --calib=yolov8n.cache"},
        {set_workspace, "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --workspace=4096",
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --memPoolSize=workspace:4096"},
        {set_workspace_half_gib, "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --workspace=512",
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --memPoolSize=workspace:512"},
        {set_dynamic_batch,
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --minShapes=images:1x3x32x32 "
         "--optShapes=images:8x3x640x640 --maxShapes=images:8x3x1280x1280",
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --minShapes=images:1x3x32x32 "
         "--optShapes=images:8x3x640x640 --maxShapes=images:8x3x1280x1280"},
        {set_dla, "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --useDLACore=1 --allowGPUFallback",
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --useDLACore=1 --allowGPUFallback"},
        {set_everything,
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --minShapes=images:1x3x32x32 "
         "--optShapes=images:8x3x640x640 --maxShapes=images:8x3x1280x1280 --fp16 --workspace=2048 --device=1 "
         "--timingCacheFile=/home/u/.cache/yoloport/tensorrt/a100-sm8.0-trt10.3.0.timing --verbose",
         "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --minShapes=images:1x3x32x32 "
         "--optShapes=images:8x3x640x640 --maxShapes=images:8x3x1280x1280 --fp16 --memPoolSize=workspace:2048 "
         "--device=1 --timingCacheFile=/home/u/.cache/yoloport/tensorrt/a100-sm8.0-trt10.3.0.timing --verbose"},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char *a = trt_line(8, 4, 1, cases[i].set), *b = trt_line(10, 3, 0, cases[i].set);
        EXPECT_MSG(!strcmp(a, cases[i].v84), "case %zu, TensorRT 8.4:\n  got  %s\n  want %s", i, a, cases[i].v84);
        EXPECT_MSG(!strcmp(b, cases[i].v10), "case %zu, TensorRT 10:\n  got  %s\n  want %s", i, b, cases[i].v10);
        free(a);
        free(b);
    }
    /* the workspace flag changes at 8.5 */
    char *c = trt_line(8, 5, 1, set_workspace), *d = trt_line(8, 4, 3, set_workspace), *e = trt_line(0, 0, 0, set_workspace);
    EXPECT_CONTAINS(c, "--memPoolSize=workspace:4096");
    EXPECT_CONTAINS(d, "--workspace=4096");
    EXPECT_CONTAINS(e, "--memPoolSize=workspace:4096"); /* unknown version: a current one */
    free(c), free(d), free(e);
    EXPECT_EQ_INT(trt_workspace_mib(0), 0);
    EXPECT_EQ_INT(trt_workspace_mib(-1), 0);
    EXPECT_EQ_INT(trt_workspace_mib(1.5), 1536);
    /* the profile: the peer's, or the arguments */
    ExportArgs a;
    export_args_init(&a);
    export_args_set(&a, "imgsz", "320,256", NULL);
    export_args_set(&a, "batch", "2", NULL);
    int mn[4], op[4], mx[4];
    export_trt_profile(&a, 3, mn, op, mx);
    EXPECT(mn[0] == 1 && mn[1] == 3 && mn[2] == 32 && mn[3] == 32);
    EXPECT(op[0] == 2 && op[2] == 320 && op[3] == 256);
    EXPECT(mx[0] == 2 && mx[2] == 640 && mx[3] == 512);
    export_args_set(&a, "max_shape", "4x3x960x960", NULL);
    export_trt_profile(&a, 3, mn, op, mx);
    EXPECT(mx[0] == 4 && mx[2] == 960);
    int sh[4];
    EXPECT_EQ_INT(export_shape_parse("1x3x640x640", sh), 0);
    EXPECT_EQ_INT(export_shape_parse("[1, 3, 64, 48]", sh), 0);
    EXPECT_EQ_INT(sh[3], 48);
    EXPECT_EQ_INT(export_shape_parse("1x3x640", sh), -1);
    EXPECT_EQ_INT(export_shape_parse("1x3x640x640x1", sh), -1);
    EXPECT_EQ_INT(export_shape_parse("0x3x640x640", sh), -1);
    /* the calibration cache's version line: TensorRT's NV_TENSORRT_VERSION */
    EXPECT_EQ_INT(trt_version_number((const int[3]){10, 3, 0}), 100300);
    EXPECT_EQ_INT(trt_version_number((const int[3]){8, 6, 1}), 8601);
    EXPECT_EQ_INT(trt_version_number((const int[3]){0, 0, 0}), 0);
}

/* ---- parsing ------------------------------------------------------------------------- */

static void test_versions_and_gpu(void)
{
    int v[3];
    EXPECT_EQ_INT(tools_parse_trt_version("&&&& RUNNING TensorRT.trtexec [TensorRT v8401] # trtexec", v), 0);
    EXPECT(v[0] == 8 && v[1] == 4 && v[2] == 1);
    EXPECT_EQ_INT(tools_parse_trt_version("[TensorRT v100300]", v), 0);
    EXPECT(v[0] == 10 && v[1] == 3 && v[2] == 0);
    EXPECT_EQ_INT(tools_parse_trt_version("[TensorRT v8601]", v), 0);
    EXPECT(v[0] == 8 && v[1] == 6 && v[2] == 1);
    EXPECT_EQ_INT(tools_parse_trt_version("TensorRT version: 10.0.1", v), 0);
    EXPECT(v[0] == 10 && v[1] == 0 && v[2] == 1);
    EXPECT_EQ_INT(tools_parse_trt_version("no version here", v), -1);
    char buf[64];
    EXPECT_EQ_INT(tools_parse_dotted_version("Ultralytics 8.3.185", buf, sizeof buf), 0);
    EXPECT_EQ_STR(buf, "8.3.185");
    EXPECT_EQ_INT(tools_parse_dotted_version("OpenVINO Model Converter (ovc) 2024.0.0-14509", buf, sizeof buf), 0);
    EXPECT_EQ_STR(buf, "2024.0.0");
    EXPECT_EQ_INT(tools_parse_dotted_version("v2x", buf, sizeof buf), -1);

    GpuInfo g;
    EXPECT_EQ_INT(tools_parse_gpu("NVIDIA A100-SXM4-40GB, 8.0, 535.54.03\nNVIDIA GeForce RTX 3090, 8.6, 535.54.03\n",
                                  "| NVIDIA-SMI 535.54.03   Driver Version: 535.54.03   CUDA Version: 12.2     |", 1, &g),
                  0);
    EXPECT(g.present);
    EXPECT_EQ_INT(g.count, 2);
    EXPECT_EQ_STR(g.name, "NVIDIA GeForce RTX 3090");
    EXPECT_EQ_STR(g.compute_capability, "8.6");
    EXPECT_EQ_STR(g.driver, "535.54.03");
    EXPECT_EQ_STR(g.cuda, "12.2");
    /* an older driver without compute_cap */
    EXPECT_EQ_INT(tools_parse_gpu("Tesla T4, 470.82.01\n", NULL, 0, &g), 0);
    EXPECT_EQ_STR(g.name, "Tesla T4");
    EXPECT_EQ_STR(g.driver, "470.82.01");
    EXPECT_EQ_STR(g.compute_capability, "");
    EXPECT_EQ_INT(tools_parse_gpu("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", NULL, 0, &g), -1);
    EXPECT(!g.present);
    EXPECT_EQ_INT(tools_parse_gpu("Tesla T4, 7.5, 470.82.01\n", NULL, 3, &g), -1); /* device=3 of one */

    ToolFacts f;
    memset(&f, 0, sizeof f);
    const char *probe = "@@yoloport home /home/u\n@@yoloport cache \n@@yoloport hostname gpu-box\n"
                        "@@yoloport tool trtexec /usr/src/tensorrt/bin/trtexec\n"
                        "&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # trtexec --help\n=== Model Options ===\n"
                        "@@yoloport tool nvidia-smi /usr/bin/nvidia-smi\n@@yoloport gpu-query\n"
                        "NVIDIA A10, 8.6, 535.54.03\n@@yoloport gpu-header\n| CUDA Version: 12.2 |\n"
                        "@@yoloport nvidia-gpus 1\n@@yoloport end\n";
    EXPECT_EQ_INT(tools_parse_probe(&f, probe, 0), 0);
    EXPECT(f.tool[TOOL_TRTEXEC].found);
    EXPECT_EQ_STR(f.tool[TOOL_TRTEXEC].path, "/usr/src/tensorrt/bin/trtexec");
    EXPECT_EQ_STR(f.tool[TOOL_TRTEXEC].version, "8.6.1");
    EXPECT(f.trt[0] == 8 && f.trt[1] == 6);
    EXPECT(!f.tool[TOOL_YOLO].found);
    EXPECT_EQ_STR(f.gpu.name, "NVIDIA A10");
    EXPECT_EQ_STR(f.hostname, "gpu-box");
    EXPECT_EQ_STR(f.home, "/home/u");
    char cache[512], summary[256], missing[512];
    EXPECT_EQ_INT(tools_timing_cache_path(&f, cache, sizeof cache), 0);
    EXPECT_EQ_STR(cache, "/home/u/.cache/yoloport/tensorrt/nvidia-a10-sm8.6-trt8.6.1.timing");
    EXPECT_EQ_STR(tools_gpu_summary(&f, summary, sizeof summary),
                  "TensorRT 8.6.1, NVIDIA A10 (compute 8.6), driver 535.54.03, CUDA 12.2");
    EXPECT_EQ_STR(trt_missing(&f, missing, sizeof missing), "");
    /* a probe cut short, and a host with nothing */
    memset(&f, 0, sizeof f);
    EXPECT_EQ_INT(tools_parse_probe(&f, "@@yoloport home /root\n", 0), -1);
    EXPECT_CONTAINS(trt_missing(&f, missing, sizeof missing), "trtexec is not on PATH");
    EXPECT_CONTAINS(missing, "no NVIDIA GPU (nvidia-smi is not on PATH and the driver lists no GPU)");
    /* a Jetson: no nvidia-smi, the release file says it */
    memset(&f, 0, sizeof f);
    EXPECT_EQ_INT(tools_parse_probe(&f, "@@yoloport tegra # R35 (release), REVISION: 4.1\n@@yoloport end\n", 0), 0);
    EXPECT(f.gpu.present);

    TrtBenchResult r;
    memset(&r, 0, sizeof r);
    EXPECT_EQ_INT(trt_parse_performance("[11/02/2024-10:00:00] [I] GPU Compute Time: min = 0.48 ms, max = 0.62 ms, "
                                        "mean = 0.50 ms, median = 0.49 ms, percentile(90%) = 0.5 ms, "
                                        "percentile(95%) = 0.51 ms, percentile(99%) = 0.56 ms",
                                        &r),
                  5);
    EXPECT_NEAR(r.mean_ms, 0.50, 1e-9);
    EXPECT_NEAR(r.p99_ms, 0.56, 1e-9);
    EXPECT_EQ_INT(trt_parse_performance("[I] Throughput: 1987.45 qps", &r), 1);
    EXPECT_NEAR(r.throughput_qps, 1987.45, 1e-9);
    EXPECT_EQ_INT(trt_parse_performance("[I] Latency: min = 1 ms", &r), 0);
}

/* ---- quoting, hosts, the wrapper ------------------------------------------------------ */

static void test_quoting_and_hosts(void)
{
    char *argv[] = {"trtexec", "--onnx=my model.onnx", "it's", "", "--fp16", "a$b", NULL};
    char *t = tools_command_text(argv);
    EXPECT_EQ_STR(t, "trtexec '--onnx=my model.onnx' 'it'\\''s' '' --fp16 'a$b'");
    /* a shell reads it back into the same words */
    char *cmd = xasprintf("for w in %s; do printf '[%%s]' \"$w\"; done", t);
    char *sh[] = {"sh", "-c", cmd, NULL};
    char out[512];
    int st;
    EXPECT_EQ_INT(tools_capture(sh, 10, out, sizeof out, &st), 0);
    EXPECT_EQ_STR(out, "[trtexec][--onnx=my model.onnx][it's][][--fp16][a$b]");
    free(cmd);
    free(t);

    RemoteHosts hosts;
    memset(&hosts, 0, sizeof hosts);
    char err[256];
    EXPECT_EQ_INT(remote_hosts_set(&hosts, "host.gpu-box", "me@10.0.0.7", err, sizeof err), 0);
    EXPECT_EQ_INT(remote_hosts_set(&hosts, "host.gpu-box.port", "2222", err, sizeof err), 0);
    EXPECT_EQ_INT(remote_hosts_set(&hosts, "host.gpu-box.path", "/usr/src/tensorrt/bin", err, sizeof err), 0);
    EXPECT_EQ_INT(remote_hosts_set(&hosts, "host.gpu-box.ssh_config", "/tmp/cfg", err, sizeof err), 0);
    EXPECT_EQ_INT(remote_hosts_set(&hosts, "host.gpu-box.colour", "red", err, sizeof err), -1);
    EXPECT_CONTAINS(err, "unknown host setting 'colour'");
    EXPECT_EQ_INT(remote_hosts_set(&hosts, "host.bad.name", "x", err, sizeof err), -1);
    EXPECT_EQ_INT(remote_hosts_set(&hosts, "host.x", "-oProxyCommand=evil", err, sizeof err), -1);
    EXPECT_EQ_INT(remote_hosts_set(&hosts, "host.x.port", "70000", err, sizeof err), -1);
    RemoteHost h;
    EXPECT_EQ_INT(remote_resolve(&hosts, "gpu-box", &h, err, sizeof err), 0);
    EXPECT_EQ_STR(h.destination, "me@10.0.0.7");
    EXPECT_EQ_INT(h.port, 2222);
    char **sv = remote_ssh_argv(&h, "echo hi");
    char *line = join_argv(sv);
    EXPECT_EQ_STR(line, "ssh -o BatchMode=yes -o ServerAliveInterval=10 -o ServerAliveCountMax=3 -o ConnectTimeout=20 "
                        "-F /tmp/cfg -p 2222 -- me@10.0.0.7 echo hi");
    free(line);
    remote_argv_free(sv);
    sv = remote_scp_argv(&h, "/a/b.onnx", "me@10.0.0.7:/tmp/x/b.onnx", false);
    line = join_argv(sv);
    EXPECT_EQ_STR(line, "scp -q -o BatchMode=yes -o ServerAliveInterval=10 -o ServerAliveCountMax=3 -o ConnectTimeout=20 "
                        "-F /tmp/cfg -P 2222 -- /a/b.onnx me@10.0.0.7:/tmp/x/b.onnx");
    free(line);
    remote_argv_free(sv);
    char *tr[] = {"trtexec", "--onnx=yolov8n.onnx", NULL};
    char *disp = remote_display_command(&h, "/tmp/yoloport.ab", tr);
    EXPECT_EQ_STR(disp, "ssh -F /tmp/cfg -p 2222 me@10.0.0.7 'cd /tmp/yoloport.ab && trtexec --onnx=yolov8n.onnx'");
    free(disp);
    EXPECT_EQ_INT(remote_resolve(&hosts, "alice@box.lan:2200", &h, err, sizeof err), 0);
    EXPECT_EQ_STR(h.destination, "alice@box.lan");
    EXPECT_EQ_INT(h.port, 2200);
    EXPECT_EQ_INT(remote_resolve(NULL, "[::1]:22", &h, err, sizeof err), 0);
    EXPECT_EQ_STR(h.destination, "::1");
    EXPECT_EQ_INT(remote_resolve(NULL, "box;rm -rf /", &h, err, sizeof err), -1);
    EXPECT_EQ_INT(remote_resolve(NULL, "@box", &h, err, sizeof err), -1);
    EXPECT_EQ_INT(remote_resolve(NULL, "", &h, err, sizeof err), -1);
    EXPECT(!remote_spec_valid("-p", err, sizeof err));
}

/* The wrapper run here under sh: the tool runs in its own process group (recorded), its
 * status comes back on the last line, arguments arrive unchanged; and when the session's
 * stdin ends (a cancel, a dropped connection), the watcher stops the tool's group. */
typedef struct {
    char *cmd;
    bool hold_stdin;
    char out[4096];
    JobSpawnResult res;
} WrapCase;

static void wrap_line(Job *job, bool is_stderr, const char *line, void *user)
{
    WrapCase *w = user;
    size_t used = strlen(w->out);
    snprintf(w->out + used, sizeof w->out - used, "%s\n", line);
}

static int wrap_body(Job *job, void *user, char *err, size_t errlen)
{
    WrapCase *w = user;
    char *sh[] = {"sh", "-c", w->cmd, NULL};
    JobSpawnOptions o = {.stdin_pipe = w->hold_stdin, .no_log = true, .on_line = wrap_line, .on_line_user = w};
    job_spawn(job, sh, &o, &w->res, err, errlen);
    return 0;
}

static void test_remote_wrapper_under_sh(void)
{
    char dir[] = "/tmp/yoloport-wrapXXXXXX";
    if (!mkdtemp(dir)) {
        SKIP("mkdtemp failed");
        return;
    }
    JobRunner *r = jobs_new(NULL);
    char *argv[] = {"sh", "-c", "echo \"pgid $(ps -o pgid= -p $$ | tr -d ' ') pid $$ args [$1] [$2]\"; exit 3", "tool",
                    "two words", "it's", NULL};
    WrapCase w = {.cmd = remote_wrapped_command(dir, "/nonexistent-bin", argv), .hold_stdin = true};
    job_wait(job_submit(r, "wrap", wrap_body, &w, NULL), 0, NULL, NULL, NULL);
    EXPECT_EQ_INT(w.res.exit_code, 3);
    EXPECT_CONTAINS(w.out, "args [two words] [it's]");
    EXPECT_CONTAINS(w.out, "yoloport-remote: exit 3");
    int pgid = -1, pid = -2;
    const char *p = strstr(w.out, "pgid ");
    if (p) sscanf(p, "pgid %d pid %d", &pgid, &pid);
    EXPECT_MSG(pgid == pid && pgid > 0, "the tool leads its own process group: pgid %d pid %d (%s)", pgid, pid, w.out);
    char recorded[64];
    char *f = xasprintf("%s/.yoloport-pgid", dir);
    FILE *fp = fopen(f, "r");
    EXPECT(fp != NULL);
    if (fp) {
        EXPECT(fgets(recorded, sizeof recorded, fp) != NULL);
        EXPECT_EQ_INT(atoi(recorded), pgid);
        fclose(fp);
    }
    free(f);
    free(w.cmd);
    /* stdin at its end (the connection gone): the watcher sends the group SIGINT */
    char *sleeper[] = {"sleep", "30", NULL};
    WrapCase e = {.cmd = remote_wrapped_command(dir, "", sleeper), .hold_stdin = false};
    double t0 = now_seconds();
    job_wait(job_submit(r, "wrap", wrap_body, &e, NULL), 0, NULL, NULL, NULL);
    EXPECT_MSG(now_seconds() - t0 < 10, "the tool ran on for %.1f s", now_seconds() - t0);
    EXPECT_CONTAINS(e.out, "yoloport-remote: exit 130"); /* 128 + SIGINT */
    free(e.cmd);
    jobs_free(r);
    fileio_remove_tree(dir);
}

/* ---- the engine header --------------------------------------------------------------- */

static void test_engine_header(void)
{
    char dir[] = "/tmp/yoloport-engXXXXXX";
    if (!mkdtemp(dir)) {
        SKIP("mkdtemp failed");
        return;
    }
    char *plan = xasprintf("%s/plan", dir), *eng = xasprintf("%s/m.engine", dir), *back = xasprintf("%s/back.plan", dir);
    FILE *f = fopen(plan, "wb");
    fputs("ftrtPLANBYTES", f);
    fclose(f);
    const char *json = "{\"description\": \"Ultralytics YOLOv8n model \", \"stride\": 32, \"task\": \"detect\", "
                       "\"batch\": 1, \"imgsz\": [640, 640], \"names\": {\"0\": \"person\", \"1\": \"bicycle\"}, "
                       "\"args\": {\"batch\": 1, \"dynamic\": false, \"half\": true, \"int8\": false}, \"channels\": 3, "
                       "\"tensorrt\": \"10.3.0\", \"gpu\": \"NVIDIA A10\", \"compute_capability\": \"8.6\"}";
    char err[512];
    AtomicFile *af = fileio_open_atomic(eng, err, sizeof err);
    EXPECT(af != NULL);
    if (af) {
        EXPECT_EQ_INT(engine_write(af->fd, json, plan, err, sizeof err), 0);
        EXPECT_EQ_INT(fileio_commit(af, err, sizeof err), 0);
    }
    EngineHeader h;
    EXPECT_MSG(engine_header_read(eng, &h, err, sizeof err) == 0, "%s", err);
    EXPECT_EQ_INT(h.meta_len, strlen(json));
    EXPECT_EQ_INT(h.plan_bytes, 13);
    EXPECT_EQ_STR(h.task, "detect");
    EXPECT_EQ_INT(h.nc, 2);
    if (h.nc == 2) EXPECT_EQ_STR(h.names[1], "bicycle");
    EXPECT(h.imgsz[0] == 640 && h.imgsz[1] == 640 && h.stride == 32 && h.batch == 1 && h.channels == 3);
    EXPECT(h.half && !h.int8 && !h.dynamic);
    EXPECT_EQ_STR(h.gpu, "NVIDIA A10");
    EXPECT_EQ_STR(h.tensorrt, "10.3.0");
    engine_header_free(&h);
    /* the first bytes: little-endian length, then the JSON */
    uint8_t head[8];
    f = fopen(eng, "rb");
    EXPECT(fread(head, 1, 8, f) == 8);
    fclose(f);
    size_t n = strlen(json);
    EXPECT(head[0] == (n & 0xff) && head[1] == (n >> 8) && head[2] == 0 && head[3] == 0 && head[4] == '{');
    /* recognised by content; opened by nothing (the plan runs only in TensorRT) */
    EXPECT_EQ_INT(model_detect(eng, err, sizeof err), FMT_ENGINE);
    EXPECT(model_load(eng, NULL, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "TensorRT engine");
    /* the plan back out, for trtexec --loadEngine */
    EXPECT_EQ_INT(engine_extract_plan(eng, back, err, sizeof err), 0);
    size_t len = 0;
    char *pb = file_read_all(back, 1 << 20, &len, err, sizeof err);
    EXPECT(pb && len == 13 && !memcmp(pb, "ftrtPLANBYTES", 13));
    free(pb);
    /* hostile headers: (declared length or 0 for the JSON's own, JSON, bytes after it, the reason) */
    static const struct {
        uint32_t len;
        const char *json, *after, *why;
    } bad[] = {
        {0xffffffffu, "{}", "", "metadata length 4294967295"},
        {16, "{}", "", "runs past the end"},
        {0, "[]", "xx", "not a JSON object"},
        {0, "{\"}", "xx", "not valid JSON"},
        {0, "{\"imgsz\": \"a\"}", "xx", "'imgsz' is not a list"},
        {0, "{\"names\": {\"5\": \"x\"}}", "xx", "not a class index"},
        {0, "{\"names\": {\"0\": 1}}", "xx", "not a string"},
        {0, "{\"stride\": \"big\"}", "xx", "'stride' is not a number"},
        {0, "{\"batch\": 99999999}", "xx", "not a plausible size"},
        {0, "{} {}", "xx", "text after its JSON object"},
        {0, "{\"batch\": 1}", "", ""},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        size_t jl = strlen(bad[i].json), al = strlen(bad[i].after), total = 4 + jl + al;
        uint32_t L = bad[i].len ? bad[i].len : (uint32_t)jl;
        uint8_t buf[128];
        buf[0] = (uint8_t)L, buf[1] = (uint8_t)(L >> 8), buf[2] = (uint8_t)(L >> 16), buf[3] = (uint8_t)(L >> 24);
        memcpy(buf + 4, bad[i].json, jl);
        memcpy(buf + 4 + jl, bad[i].after, al);
        int rc = engine_header_parse(buf, total, total, &h, err, sizeof err);
        if (!*bad[i].why) { /* a header with no plan after it parses; the sniffer wants a plan */
            EXPECT_EQ_INT(rc, 0);
            EXPECT(!engine_sniff(buf, total, total));
            engine_header_free(&h);
            continue;
        }
        EXPECT_MSG(rc == -1, "case %zu parsed", i);
        EXPECT_MSG(strstr(err, bad[i].why), "case %zu: %s", i, err);
    }
    /* a NUL inside the metadata */
    uint8_t nul[] = {5, 0, 0, 0, '{', '}', 0, ' ', ' ', 'P'};
    EXPECT_EQ_INT(engine_header_parse(nul, sizeof nul, sizeof nul, &h, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "NUL");
    EXPECT(!engine_sniff((const uint8_t *)"\x00\x00\x00\x00{}", 6, 100));
    EXPECT(engine_sniff((const uint8_t *)"\x02\x00\x00\x00{}PLAN", 10, 10));
    EXPECT(!engine_sniff((const uint8_t *)"\x02\x00\x00\x00[]PLAN", 10, 10));
    free(plan), free(eng), free(back);
    fileio_remove_tree(dir);
}

/* ---- the driver, with stand-in tools ------------------------------------------------- */

typedef struct {
    const char *script;        /* stand-in name (in stand_dir) */
    char *const *argv;
    double quiet;
    int rc;
    char err[1024];
    ToolRunResult res;
    char work[4096];
} DriveCase;

static int drive_body(Job *job, void *user, char *err, size_t errlen)
{
    DriveCase *c = user;
    ToolSession ts;
    char near[300];
    snprintf(near, sizeof near, "%s/out.engine", stand_dir);
    if (tool_session_open(&ts, job, NULL, near, 0, 0, c->err, sizeof c->err) != 0) {
        c->rc = -1;
        return 0;
    }
    snprintf(c->work, sizeof c->work, "%s", ts.local_dir);
    ToolStep step = {.stage = "Test stage", .argv = c->argv, .quiet_warn_s = c->quiet};
    c->rc = tool_session_run(&ts, &step, &c->res, c->err, sizeof c->err);
    tool_session_close(&ts);
    return 0;
}

typedef struct {
    double t[16];  /* when each "tick" line arrived */
    double printed[16];
    int n;
    char text[8192];
} Arrivals;

static void arrival(const JobLogLine *line, void *user)
{
    Arrivals *a = user;
    size_t used = strlen(a->text);
    snprintf(a->text + used, sizeof a->text - used, "%s\n", line->text);
    const char *p = strstr(line->text, "tick ");
    if (p && a->n < 16) {
        a->t[a->n] = line->time;
        a->printed[a->n] = strtod(strchr(p + 5, ' ') + 1, NULL);
        a->n++;
    }
}

static Job *drive(JobRunner *r, DriveCase *c, Arrivals *arr)
{
    Job *job = job_submit(r, c->script, drive_body, c, NULL);
    memset(arr, 0, sizeof *arr);
    job_wait(job, 0, arrival, arr, NULL);
    return job;
}

static void test_driver_with_stand_ins(void)
{
    JobRunnerOptions ro = {.workers = 1, .kill_grace_ms = 500};
    JobRunner *r = jobs_new(&ro);
    Arrivals arr;

    /* streaming: each line reaches the log when it is printed, not when the tool exits */
    write_script("ticker", "for i in 1 2 3 4; do echo \"tick $i $(date +%s.%N)\"; sleep 0.4; done\n");
    char *tick[] = {"ticker", NULL};
    DriveCase c1 = {.script = "ticker", .argv = tick};
    drive(r, &c1, &arr);
    EXPECT_MSG(c1.rc == 0, "%s", c1.err);
    EXPECT_EQ_INT(arr.n, 4);
    for (int i = 0; i < arr.n; i++)
        EXPECT_MSG(arr.t[i] - arr.printed[i] < 0.25 && arr.t[i] >= arr.printed[i] - 0.05,
                   "line %d printed at %.3f, logged at %.3f", i + 1, arr.printed[i], arr.t[i]);
    if (arr.n == 4) EXPECT_MSG(arr.t[3] - arr.t[0] > 1.0, "lines arrived together (%.3f s apart)", arr.t[3] - arr.t[0]);
    EXPECT_CONTAINS(arr.text, "$ ticker    (in ");
    EXPECT_CONTAINS(arr.text, "ticker: tick 1 ");
    EXPECT_CONTAINS(arr.text, "Test stage: ticker finished in ");

    /* a non-zero exit, named with the stage */
    write_script("failer", "echo 'about to fail' >&2; exit 7\n");
    char *fail[] = {"failer", "--x", NULL};
    DriveCase c2 = {.script = "failer", .argv = fail};
    drive(r, &c2, &arr);
    EXPECT_EQ_INT(c2.rc, -1);
    EXPECT_EQ_STR(c2.err, "Test stage: failer exited with status 7");
    EXPECT_EQ_INT(c2.res.exit_code, 7);
    EXPECT_CONTAINS(arr.text, "failer: about to fail");

    /* killed by SIGKILL: most likely the out-of-memory killer */
    write_script("oomer", "echo allocating; kill -9 $$\n");
    char *oom[] = {"oomer", NULL};
    DriveCase c3 = {.script = "oomer", .argv = oom};
    drive(r, &c3, &arr);
    EXPECT_EQ_STR(c3.err, "Test stage: oomer was killed by signal 9 (killed (out of memory?))");
    EXPECT_EQ_INT(c3.res.signal, SIGKILL);

    /* another signal */
    write_script("crasher", "kill -SEGV $$\n");
    char *crash[] = {"crasher", NULL};
    DriveCase c4 = {.script = "crasher", .argv = crash};
    drive(r, &c4, &arr);
    EXPECT_CONTAINS(c4.err, "Test stage: crasher was killed by signal 11");
    EXPECT_EQ_INT(c4.res.signal, SIGSEGV);

    /* a tool that is not there says what it is and where to get it */
    char *missing[] = {"trtexec", "--help", NULL};
    DriveCase c5 = {.script = "trtexec", .argv = missing};
    drive(r, &c5, &arr);
    EXPECT_EQ_INT(c5.rc, -1);
    EXPECT_CONTAINS(c5.err, "Test stage: trtexec: command not found (trtexec is not on PATH: NVIDIA TensorRT");
    EXPECT(!c5.res.started);

    /* silence: a warning while it still runs */
    write_script("quiet", "echo start; sleep 1.3; echo end\n");
    char *quiet[] = {"quiet", NULL};
    DriveCase c6 = {.script = "quiet", .argv = quiet, .quiet = 0.5};
    drive(r, &c6, &arr);
    EXPECT_EQ_INT(c6.rc, 0);
    EXPECT_CONTAINS(arr.text, "quiet: no output for 1 s (still running; cancel stops it)");
    EXPECT(!strstr(arr.text, "no output for 0 s"));

    /* the work directory is gone after each step */
    struct stat st;
    EXPECT(c1.work[0] && stat(c1.work, &st) != 0);
    jobs_free(r);
}

/* Cancel: SIGINT to the group, then SIGKILL; nothing of the group survives (not even a
 * child that ignores SIGINT). */
static int cancel_body(Job *job, void *user, char *err, size_t errlen)
{
    DriveCase *c = user;
    return drive_body(job, c, err, errlen);
}

static void test_cancel_kills_the_group(void)
{
    char pidfile[300];
    snprintf(pidfile, sizeof pidfile, "%s/hang.pgid", stand_dir);
    unlink(pidfile);
    char body[1024];
    snprintf(body, sizeof body,
             "(trap '' INT; sleep 300) & \n"
             "echo \"$(ps -o pgid= -p $$ | tr -d ' ')\" > %s\n"
             "echo hanging; sleep 300\n",
             pidfile);
    write_script("hanger", body);
    JobRunnerOptions ro = {.workers = 1, .kill_grace_ms = 300};
    JobRunner *r = jobs_new(&ro);
    char *hang[] = {"hanger", NULL};
    DriveCase c = {.script = "hanger", .argv = hang};
    Job *job = job_submit(r, "hang", cancel_body, &c, NULL);
    int pgid = 0;
    for (int i = 0; i < 200 && pgid <= 0; i++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        FILE *f = fopen(pidfile, "r");
        if (f) {
            if (fscanf(f, "%d", &pgid) != 1) pgid = 0;
            fclose(f);
        }
    }
    EXPECT_MSG(pgid > 0, "the stand-in did not start");
    EXPECT(kill(-pgid, 0) == 0);
    double t0 = now_seconds();
    job_cancel(job);
    JobState s = job_wait(job, 0, NULL, NULL, NULL);
    EXPECT_EQ_INT(s, JOB_CANCELLED);
    EXPECT_MSG(now_seconds() - t0 < 3.0, "cancel took %.1f s", now_seconds() - t0);
    EXPECT(c.res.cancelled);
    EXPECT_CONTAINS(c.err, "hanger: cancelled");
    /* killed processes linger as zombies until reaped (by init, for the orphans): wait a little */
    bool gone = false;
    for (int i = 0; i < 150 && pgid > 0 && !gone; i++) {
        gone = kill(-pgid, 0) != 0 && errno == ESRCH;
        if (!gone) {
            char cmd[128], out[256];
            snprintf(cmd, sizeof cmd, "ps -eo pgid=,stat= | awk '$1 == %d && $2 !~ /^Z/' | head -1", pgid);
            char *sh[] = {"sh", "-c", cmd, NULL};
            int st;
            if (tools_capture(sh, 5, out, sizeof out, &st) == 0 && !out[0]) gone = true; /* only zombies left */
            struct timespec ts = {0, 20 * 1000 * 1000};
            if (!gone) nanosleep(&ts, NULL);
        }
    }
    if (pgid > 0) EXPECT_MSG(gone, "a process of group %d survived the cancel", pgid);
    jobs_free(r);
}

/* trtexec --loadEngine through the driver (benchmark's hook): the header stripped, the
 * figures read from the performance summary. */
typedef struct {
    char engine[300];
    int rc;
    char err[1024];
    TrtBenchResult res;
} BenchCase;

static int bench_body(Job *job, void *user, char *err, size_t errlen)
{
    BenchCase *b = user;
    TrtBenchOptions o = {.shapes = "images:1x3x64x64", .duration_s = 3};
    b->rc = trt_benchmark(job, b->engine, NULL, &o, &b->res, b->err, sizeof b->err);
    return 0;
}

static void test_benchmark_hook(void)
{
    char log[300];
    snprintf(log, sizeof log, "%s/bench.args", stand_dir);
    char body[2048];
    snprintf(body, sizeof body,
             "echo \"$*\" >> %s\n"
             "echo '&&&& RUNNING TensorRT.trtexec [TensorRT v100300]'\n"
             "[ \"$1\" = --help ] && exit 0\n"
             "for a; do case $a in --loadEngine=*) f=${a#--loadEngine=};; esac; done\n"
             "[ \"$(cat \"$f\")\" = PLAN ] || { echo \"not a bare plan: $f\" >&2; exit 1; }\n"
             "echo '[I] Throughput: 1500 qps'\n"
             "echo '[I] GPU Compute Time: min = 0.4 ms, max = 0.9 ms, mean = 0.6 ms, median = 0.55 ms, percentile(99%%) = 0.8 ms'\n",
             log);
    write_script("trtexec", body);
    write_script("nvidia-smi", "case \"$1\" in --query-gpu=*) echo 'NVIDIA A10, 8.6, 535.54.03';; *) echo 'CUDA Version: 12.2';; esac\n");
    BenchCase b;
    memset(&b, 0, sizeof b);
    snprintf(b.engine, sizeof b.engine, "%s/m.engine", stand_dir);
    char plan[300], err[256];
    snprintf(plan, sizeof plan, "%s/plan", stand_dir);
    FILE *f = fopen(plan, "w");
    fputs("PLAN", f);
    fclose(f);
    AtomicFile *af = fileio_open_atomic(b.engine, err, sizeof err);
    engine_write(af->fd, "{\"task\": \"detect\"}", plan, err, sizeof err);
    fileio_commit(af, err, sizeof err);
    JobRunner *r = jobs_new(NULL);
    Job *job = job_submit(r, "bench", bench_body, &b, NULL);
    job_wait(job, 0, NULL, NULL, NULL);
    EXPECT_MSG(b.rc == 0, "%s", b.err);
    EXPECT(b.res.have_latency);
    EXPECT_NEAR(b.res.mean_ms, 0.6, 1e-9);
    EXPECT_NEAR(b.res.throughput_qps, 1500, 1e-9);
    EXPECT_EQ_STR(b.res.tensorrt, "10.3.0");
    EXPECT_EQ_STR(b.res.host, "this host");
    EXPECT_EQ_STR(b.res.command, "trtexec --loadEngine=m.engine.plan --shapes=images:1x3x64x64 --duration=3");
    size_t len = 0;
    char *args = file_read_all(log, 1 << 16, &len, err, sizeof err);
    EXPECT_CONTAINS(args, "--loadEngine=m.engine.plan --shapes=images:1x3x64x64 --duration=3");
    free(args);
    /* without a GPU: not available, saying what is missing */
    remove_script("nvidia-smi");
    memset(&b.res, 0, sizeof b.res);
    job = job_submit(r, "bench", bench_body, &b, NULL);
    job_wait(job, 0, NULL, NULL, NULL);
    EXPECT_EQ_INT(b.rc, -1);
    EXPECT_CONTAINS(b.err, "TensorRT benchmark is not available on this host: no NVIDIA GPU");
    jobs_free(r);
    unlink(plan);
    unlink(b.engine);
    unlink(log);
    remove_script("trtexec");
}

static void test_discovery_with_stand_ins(void)
{
    write_script("trtexec", "echo '&&&& RUNNING TensorRT.trtexec [TensorRT v8401] # trtexec --help'\n");
    write_script("yolo", "[ \"$1\" = version ] && echo 8.3.185\n");
    write_script("nvidia-smi", "case \"$1\" in --query-gpu=*) echo 'NVIDIA T4, 7.5, 470.82.01';; *) echo '| CUDA Version: 11.4 |';; esac\n");
    ToolFacts f;
    tools_discover(&f, TOOLS_ALL, 0, 10, NULL, NULL);
    EXPECT(f.tool[TOOL_TRTEXEC].found);
    EXPECT_EQ_STR(f.tool[TOOL_TRTEXEC].version, "8.4.1");
    EXPECT_EQ_STR(f.tool[TOOL_YOLO].version, "8.3.185");
    EXPECT_EQ_STR(f.gpu.name, "NVIDIA T4");
    EXPECT_EQ_STR(f.gpu.cuda, "11.4");
    EXPECT_EQ_STR(f.where, "this host");
    EXPECT(f.hostname[0]);
    remove_script("trtexec"), remove_script("yolo"), remove_script("nvidia-smi");
    tools_discover(&f, TOOL_BIT(TOOL_TRTEXEC) | TOOL_BIT(TOOL_NVIDIA_SMI), 0, 10, NULL, NULL);
    EXPECT(!f.tool[TOOL_TRTEXEC].found);
    /* a hanging version command is cut by the timeout */
    write_script("yolo", "sleep 30\n");
    double t0 = now_seconds();
    tools_discover(&f, TOOL_BIT(TOOL_YOLO), 0, 0.3, NULL, NULL);
    EXPECT_MSG(now_seconds() - t0 < 3, "discovery waited %.1f s", now_seconds() - t0);
    EXPECT(f.tool[TOOL_YOLO].found);
    EXPECT_EQ_STR(f.tool[TOOL_YOLO].version, "");
    remove_script("yolo");
}

/* checks host=: the facts script runs under sh here; its parser takes hostile answers */
static void test_remote_system(void)
{
    char *script = remote_system_script();
    char *argv[] = {"sh", "-c", script, NULL};
    static char out[8192];
    int st = -1;
    EXPECT_EQ_INT(tools_capture(argv, 20, out, sizeof out, &st), 0);
    EXPECT_EQ_INT(st, 0);
    free(script);
    RemoteSystem y;
    remote_parse_system(out, &y);
    EXPECT(y.os[0] != '\0');
    EXPECT(y.cpu_count >= 1);
    EXPECT(y.mem_total > (1ull << 20));

    remote_parse_system("@@yoloport sys os Linux\x1b]0;owned\x07 6.1 x86_64  \n"
                        "@@yoloport sys cpus 99999999\n@@yoloport sys mem -5\n"
                        "@@yoloport sys cpu   AMD EPYC 7763\n@@yoloport sys yoloport /opt/bin/yoloport\n"
                        "@@yoloport sys yoloport-version not ours 1.0\nnoise @@yoloport sys cpus 3\n",
                        &y);
    EXPECT_EQ_STR(y.os, "Linux]0;owned 6.1 x86_64");
    EXPECT_EQ_INT(y.cpu_count, 0);
    EXPECT(y.mem_total == 0);
    EXPECT_EQ_STR(y.cpu_model, "AMD EPYC 7763");
    EXPECT_EQ_STR(y.yoloport, "/opt/bin/yoloport");
    EXPECT_EQ_STR(y.yoloport_version, "");
    remote_parse_system("@@yoloport sys mem 16384000\n@@yoloport sys cpus 8\n@@yoloport sys yoloport-version yoloport 0.1.0\n"
                        "@@yoloport sys os",
                        &y);
    EXPECT(y.mem_total == 16384000ull * 1024);
    EXPECT_EQ_INT(y.cpu_count, 8);
    EXPECT_EQ_STR(y.yoloport_version, "0.1.0");
    EXPECT_EQ_STR(y.os, "");
    remote_parse_system("", &y);
    EXPECT_EQ_STR(y.os, "");
}

int main(void)
{
    snprintf(stand_dir, sizeof stand_dir, "/tmp/yoloport-tools-XXXXXX");
    if (!mkdtemp(stand_dir)) return 1;
    old_path = getenv("PATH") ? xstrdup(getenv("PATH")) : xstrdup("/usr/bin:/bin");
    char *path = xasprintf("%s:%s", stand_dir, old_path);
    setenv("PATH", path, 1);
    free(path);
    char *empty = xasprintf("%s/no-gpus", stand_dir); /* this host's driver, as the tests see it: no GPU */
    mkdir(empty, 0700);
    setenv("YOLOPORT_NVIDIA_PROC", empty, 1);
    setenv("YOLOPORT_TEGRA_RELEASE", "/nonexistent", 1);
    free(empty);
    char *cache = xasprintf("%s/cache", stand_dir);
    setenv("XDG_CACHE_HOME", cache, 1);
    free(cache);
    RUN(test_trtexec_lines);
    RUN(test_versions_and_gpu);
    RUN(test_quoting_and_hosts);
    RUN(test_remote_wrapper_under_sh);
    RUN(test_remote_system);
    RUN(test_engine_header);
    RUN(test_driver_with_stand_ins);
    RUN(test_cancel_kills_the_group);
    RUN(test_benchmark_hook);
    RUN(test_discovery_with_stand_ins);
    fileio_remove_tree(stand_dir);
    free(old_path);
    return check_done();
}
