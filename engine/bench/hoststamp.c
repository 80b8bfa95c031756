/* hoststamp: the host and its runtimes, for checks and benchmark results (see hoststamp.h). */
#include "engine/bench/hoststamp.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "engine/core/util.h"
#include "engine/export/report.h"

#ifndef YOLOPORT_VERSION
#define YOLOPORT_VERSION "dev"
#endif

void hoststamp_take(HostStamp *s, const char *explicit_runtime)
{
    memset(s, 0, sizeof *s);
    host_detect(&s->host);
    int want = -1;
    char path[4096] = "", err[256];
    if (explicit_runtime && runtime_parse_spec(explicit_runtime, &want, path, sizeof path, err, sizeof err) != 0) want = -1;
    for (int i = 0; i < RUNTIME_COUNT; i++)
        runtime_probe((RuntimeId)i, i == want && path[0] ? path : NULL, &s->runtimes[i]);
    report_isoformat_now(s->when, sizeof s->when);
    snprintf(s->version, sizeof s->version, "%s", YOLOPORT_VERSION);
}

const char *hoststamp_line(const HostStamp *s, char *buf, size_t len)
{
    const HostFacts *h = &s->host;
    size_t used = (size_t)snprintf(buf, len, "%s (%d CPU%s, %.1f GB RAM), %s%s", h->cpu_model[0] ? h->cpu_model : h->arch,
                                   h->cpu_count, h->cpu_count == 1 ? "" : "s", (double)h->mem_total / 1e9,
                                   h->nvidia_gpu ? "GPU " : "no GPU", h->nvidia_gpu ? (h->gpu_model[0] ? h->gpu_model : "NVIDIA") : "");
    for (int i = 1; i < RUNTIME_COUNT && used < len; i++)
        if (s->runtimes[i].status == RUNTIME_FOUND && runtime_info((RuntimeId)i)->adapter)
            used += (size_t)snprintf(buf + used, len - used, "; %s %s", runtime_info((RuntimeId)i)->name,
                                     s->runtimes[i].version);
    return buf;
}

static const char *status_name(RuntimeProbeStatus st)
{
    return st == RUNTIME_FOUND ? "found" : st == RUNTIME_REFUSED ? "refused" : "not found";
}

char *hoststamp_json(const HostStamp *s)
{
    const HostFacts *h = &s->host;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "yoloport", json_object_new_string(s->version));
    json_object_object_add(o, "date", json_object_new_string(s->when));
    char os[256];
    snprintf(os, sizeof os, "%s %s %s", h->os, h->os_release, h->arch);
    json_object_object_add(o, "os", json_object_new_string(os));
    json_object_object_add(o, "cpu", json_object_new_string(h->cpu_model));
    json_object_object_add(o, "cpu_count", json_object_new_int(h->cpu_count));
    json_object_object_add(o, "memory_bytes", json_object_new_int64(h->mem_total));
    json_object_object_add(o, "gpu", h->nvidia_gpu ? json_object_new_string(h->gpu_model[0] ? h->gpu_model : "NVIDIA GPU")
                                                   : NULL);
    json_object *rt = json_object_new_array();
    for (int i = 0; i < RUNTIME_COUNT; i++) {
        const RuntimeInfo *ri = runtime_info((RuntimeId)i);
        const RuntimeProbe *p = &s->runtimes[i];
        json_object *r = json_object_new_object();
        json_object_object_add(r, "name", json_object_new_string(ri->name));
        json_object_object_add(r, "status", json_object_new_string(status_name(p->status)));
        json_object_object_add(r, "version", p->version[0] ? json_object_new_string(p->version) : NULL);
        json_object_object_add(r, "path", p->path[0] ? json_object_new_string(p->path) : NULL);
        json_object_object_add(r, "adapter", json_object_new_boolean(ri->adapter));
        json_object_object_add(r, "note", p->why[0] ? json_object_new_string(p->why) : NULL);
        json_object_array_add(rt, r);
    }
    json_object_object_add(o, "runtimes", rt);
    char *text = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return text;
}
