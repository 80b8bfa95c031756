/* cli_checks: `yoloport checks [runtime=NAME:PATH] [host=HOST] [--json]` -- the peer's `yolo
 * checks` for yoloport: the host (OS, CPU model and cores, memory, GPU if any), every runtime
 * yoloport knows with its version and library path when found (what was looked for when not,
 * why a library was refused), and the external tools on PATH.  --json prints the host stamp
 * that benchmark results carry.  With host=, the same for a remote machine over the user's own
 * ssh (engine/remote/remote.h: the tools there with their versions, the GPU, OS, CPU, memory,
 * and whether yoloport is installed there).  Exit status 0 (the local report never fails), 1
 * when the remote host cannot be reached, 2 on a usage error, 130 on Ctrl-C. */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/bench/hoststamp.h"
#include "engine/core/util.h"
#include "engine/registry/registry.h"
#include "engine/remote/remote.h"
#include "tui/cli.h"
#include "tui/cli_args.h"
#include "tui/config.h"

static void row(const char *key, const char *value)
{
    cli_printf(stdout, "%-19s %s\n", key, value); /* a remote host's answers are escaped too */
}

/* ---- host= ------------------------------------------------------------------------------ */

typedef struct {
    RemoteHost host;
    ToolFacts facts;
    RemoteSystem sys;
    char error[512];
} RemoteChecks;

static int remote_body(Job *job, void *user, char *err, size_t errlen)
{
    RemoteChecks *rc = user;
    int r = remote_checks(job, &rc->host, &rc->facts, &rc->sys, err, errlen);
    if (r != 0) snprintf(rc->error, sizeof rc->error, "%s", err);
    return r;
}

static void print_line(const JobLogLine *line, void *user)
{
    (void)user;
    cli_printf(stderr, "%s\n", line->text); /* the connection's progress; the report goes to stdout */
}

static json_object *jstr(const char *s)
{
    return json_object_new_string(s ? s : "");
}

static void remote_json(const RemoteChecks *c)
{
    const ToolFacts *f = &c->facts;
    const RemoteSystem *y = &c->sys;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "host", jstr(c->host.name));
    json_object_object_add(o, "hostname", jstr(f->hostname));
    json_object_object_add(o, "os", jstr(y->os));
    json_object_object_add(o, "cpu", jstr(y->cpu_model));
    json_object_object_add(o, "cpu_count", json_object_new_int(y->cpu_count));
    json_object_object_add(o, "ram_bytes", json_object_new_int64((int64_t)y->mem_total));
    json_object *g = json_object_new_object();
    json_object_object_add(g, "present", json_object_new_boolean(f->gpu.present));
    json_object_object_add(g, "count", json_object_new_int(f->gpu.count));
    json_object_object_add(g, "name", jstr(f->gpu.name));
    json_object_object_add(g, "compute_capability", jstr(f->gpu.compute_capability));
    json_object_object_add(g, "driver", jstr(f->gpu.driver));
    json_object_object_add(g, "cuda", jstr(f->gpu.cuda));
    json_object_object_add(g, "jetson", jstr(f->gpu.jetson));
    json_object_object_add(o, "gpu", g);
    json_object *t = json_object_new_object();
    for (int i = 0; i < TOOL_COUNT; i++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "found", json_object_new_boolean(f->tool[i].found));
        json_object_object_add(e, "path", jstr(f->tool[i].path));
        json_object_object_add(e, "version", jstr(f->tool[i].version));
        json_object_object_add(t, tools_name((ToolId)i), e);
    }
    json_object_object_add(o, "tools", t);
    json_object *yp = json_object_new_object();
    json_object_object_add(yp, "path", jstr(y->yoloport));
    json_object_object_add(yp, "version", jstr(y->yoloport_version));
    json_object_object_add(o, "yoloport", yp);
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void remote_report(const RemoteChecks *c)
{
    const ToolFacts *f = &c->facts;
    const RemoteSystem *y = &c->sys;
    char buf[1200];
    bool color = cli_color_enabled(stdout);
    cli_printf(stdout, "yoloport checks on %s%s%s%s (over ssh, %.1fs)\n\n", c->host.name, f->hostname[0] ? " (" : "",
               f->hostname, f->hostname[0] ? ")" : "", f->seconds);
    row("OS", y->os[0] ? y->os : "unknown");
    row("CPU", y->cpu_model[0] ? y->cpu_model : "unknown");
    if (y->cpu_count) snprintf(buf, sizeof buf, "%d", y->cpu_count);
    row("CPU count", y->cpu_count ? buf : "unknown");
    snprintf(buf, sizeof buf, "%.2f GB", (double)y->mem_total / (1 << 30));
    row("RAM", y->mem_total ? buf : "unknown");
    if (f->gpu.present) {
        tools_gpu_text(&f->gpu, buf, sizeof buf);
        if (f->gpu.count > 1) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " (GPU 0 of %d)", f->gpu.count);
        if (f->gpu.jetson[0]) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "; %s", f->gpu.jetson);
    } else {
        snprintf(buf, sizeof buf, "None");
    }
    row("GPU", buf);
    if (f->tool[TOOL_TRTEXEC].found)
        snprintf(buf, sizeof buf, "%s (trtexec)", f->tool[TOOL_TRTEXEC].version[0] ? f->tool[TOOL_TRTEXEC].version : "version unknown");
    else snprintf(buf, sizeof buf, "– no trtexec there: host=%s cannot build TensorRT engines", c->host.name);
    row("TensorRT", buf);
    if (y->yoloport[0])
        snprintf(buf, sizeof buf, "✅ %s%s%s%s (`yoloport checks` there lists its runtimes)", y->yoloport,
                 y->yoloport_version[0] ? " (" : "", y->yoloport_version, y->yoloport_version[0] ? ")" : "");
    else snprintf(buf, sizeof buf, "– not on PATH there (only the tool-driven parts run on %s)", c->host.name);
    row("yoloport", buf);
    char title[64];
    printf("\n%s\n", report_colorstr(title, sizeof title, "bold", "Tools", color));
    for (int t = 0; t < TOOL_COUNT; t++) {
        const ToolInfo *ti = &f->tool[t];
        if (ti->found)
            snprintf(buf, sizeof buf, "✅ %s%s%s", ti->path, ti->version[0] ? " " : "", ti->version);
        else snprintf(buf, sizeof buf, "– not on PATH there (%s)", tools_about((ToolId)t));
        row(tools_name((ToolId)t), buf);
    }
}

static int checks_remote(const char *spec, bool json)
{
    char err[512];
    RemoteChecks *c = xcalloc(1, sizeof *c);
    RemoteHosts *hosts = xcalloc(1, sizeof *hosts);
    int hrc = config_load_hosts(hosts, err, sizeof err);
    if (hrc == 0) hrc = remote_resolve(hosts, spec, &c->host, err, sizeof err);
    free(hosts);
    if (hrc != 0) {
        cli_printf(stderr, "yoloport checks: %s\n", err);
        free(c);
        return 2;
    }
    JobRunnerOptions ro = {.workers = 1};
    JobRunner *runner = jobs_new(&ro);
    Job *job = job_submit(runner, "checks", remote_body, c, NULL);
    int stop_sig;
    JobState st = cli_wait_job(job, print_line, NULL, &stop_sig);
    int status = 0;
    if (st == JOB_CANCELLED) {
        cli_printf(stderr, "yoloport checks: cancelled\n");
        status = stop_sig ? 128 + stop_sig : 1;
    } else if (st != JOB_DONE) {
        cli_printf(stderr, "yoloport checks: %s\n", c->error[0] ? c->error : "failed");
        status = 1;
    } else if (json) {
        remote_json(c);
    } else {
        remote_report(c);
    }
    jobs_free(runner);
    free(c);
    return status;
}

int cli_checks(int argc, char **argv)
{
    static char runtime[CLI_ARG_STR], host[CLI_ARG_STR];
    runtime[0] = host[0] = '\0';
    bool json = false;
    CliArg spec[] = {{"runtime", CA_STR, runtime, false}, {"host", CA_STR, host, false}};
    const char *flags[] = {"--json"};
    if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        printf("usage: yoloport checks [runtime=NAME:PATH] [host=HOST] [--json]\n"
               "  the host, every runtime (found or not: version, library, what was looked for) and the tools on PATH\n"
               "  host=user@box (or a host of the config file): that machine over ssh -- OS, CPU, memory, GPU,\n"
               "  TensorRT, the tools there with their versions, and whether yoloport is installed there\n");
        return 0;
    }
    if (cli_args_parse(spec, 2, flags, &json, 1, argc, argv, "checks") != 0) return 2;
    char err[512];
    if (host[0] && runtime[0]) {
        fprintf(stderr, "yoloport checks: runtime= names a library on this host; it cannot be combined with host=\n");
        return 2;
    }
    if (host[0]) return checks_remote(host, json);
    int id;
    if (runtime[0] && runtime_parse_spec(runtime, &id, NULL, 0, err, sizeof err) != 0) {
        fprintf(stderr, "yoloport checks: %s\n", err);
        return 2;
    }
    HostStamp s;
    hoststamp_take(&s, runtime);
    if (json) {
        char *t = hoststamp_json(&s);
        printf("%s\n", t);
        free(t);
        return 0;
    }
    const HostFacts *h = &s.host;
    char buf[4200];
    bool color = cli_color_enabled(stdout);
    printf("yoloport %s 🚀 C %s (%s)\n", s.version, h->nvidia_gpu ? "CUDA-capable host, computing on the CPU" : "CPU",
           h->cpu_model[0] ? h->cpu_model : h->arch);
    printf("Setup complete ✅ (%d CPU%s, %.1f GB RAM)\n\n", h->cpu_count, h->cpu_count == 1 ? "" : "s",
           (double)h->mem_total / (1 << 30));
    snprintf(buf, sizeof buf, "%s %s %s", h->os, h->os_release, h->arch);
    row("OS", buf);
    row("CPU", h->cpu_model[0] ? h->cpu_model : "unknown");
    snprintf(buf, sizeof buf, "%d", h->cpu_count);
    row("CPU count", buf);
    snprintf(buf, sizeof buf, "%.2f GB", (double)h->mem_total / (1 << 30));
    row("RAM", h->mem_total ? buf : "unknown");
    if (h->nvidia_gpu) snprintf(buf, sizeof buf, "%s", h->gpu_model[0] ? h->gpu_model : "NVIDIA GPU (model unknown)");
    else snprintf(buf, sizeof buf, "None");
    row("GPU", buf);
    row("yoloport", s.version);
    printf("\n");
    char title[64];
    printf("%s\n", report_colorstr(title, sizeof title, "bold", "Runtimes", color));
    for (int i = 0; i < RUNTIME_COUNT; i++) {
        const RuntimeInfo *ri = runtime_info((RuntimeId)i);
        const RuntimeProbe *p = &s.runtimes[i];
        if (i == RUNTIME_BUILTIN) {
            size_t used = (size_t)snprintf(buf, sizeof buf, "✅ %s, the yoloport executor (in this binary); runs ", p->version);
            int n = 0;
            for (int f = 0; f < FMT_ID_COUNT; f++) {
                const FormatInfo *fi = registry_row((FormatId)f);
                if (fi && fi->read && used < sizeof buf)
                    used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", n++ ? ", " : "", fi->name);
            }
        } else if (p->status == RUNTIME_FOUND && ri->adapter) {
            snprintf(buf, sizeof buf, "✅ %s, %s", p->version, p->path);
        } else if (p->status == RUNTIME_FOUND) {
            snprintf(buf, sizeof buf, "– %s found, but this build has no adapter for %s (it drives only the "
                     "runtimes it was tested against: onnxruntime)", p->path, ri->display);
        } else if (p->status == RUNTIME_REFUSED) {
            snprintf(buf, sizeof buf, "❌ refused %s", p->why);
        } else {
            snprintf(buf, sizeof buf, "❌ not found: %s%s", p->why,
                     ri->adapter ? "" : " (and this build has no adapter for it)");
        }
        row(ri->name, buf);
    }
    printf("\n%s\n", report_colorstr(title, sizeof title, "bold", "Tools", color));
    for (int t = 0; t < HOST_TOOL_COUNT; t++) {
        if (h->tool_path[t][0]) snprintf(buf, sizeof buf, "✅ %s", h->tool_path[t]);
        else snprintf(buf, sizeof buf, "– not on PATH (%s)", host_tool_about((HostTool)t));
        row(host_tool_name((HostTool)t), buf);
    }
    return 0;
}
