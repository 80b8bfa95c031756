/* cli_checks: `yoloport checks [runtime=NAME:PATH] [--json]` -- the peer's `yolo checks` for
 * yoloport: the host (OS, CPU model and cores, memory, GPU if any), every runtime yoloport knows
 * with its version and library path when found (what was looked for when not, why a library was
 * refused), and the external tools on PATH.  --json prints the host stamp that benchmark results
 * carry.  Exit status 0 (the report itself never fails), 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/bench/hoststamp.h"
#include "engine/core/util.h"
#include "engine/registry/registry.h"
#include "tui/cli.h"
#include "tui/cli_args.h"

static void row(const char *key, const char *value)
{
    printf("%-19s %s\n", key, value);
}

int cli_checks(int argc, char **argv)
{
    static char runtime[CLI_ARG_STR];
    runtime[0] = '\0';
    bool json = false;
    CliArg spec[] = {{"runtime", CA_STR, runtime, false}};
    const char *flags[] = {"--json"};
    if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        printf("usage: yoloport checks [runtime=NAME:PATH] [--json]\n"
               "  the host, every runtime (found or not: version, library, what was looked for) and the tools on PATH\n");
        return 0;
    }
    if (cli_args_parse(spec, 1, flags, &json, 1, argc, argv, "checks") != 0) return 2;
    char err[512];
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
