/* host: learn what this machine is and which conversion tools it has (see host.h).  Only small
 * /proc reads and stat() calls: nothing is spawned, so nothing can hang. */
#include "engine/host/host.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine/core/util.h"

static const struct {
    const char *exe, *about;
} tool_table[] = {
#define HOST_TOOL_ROW(id, exe, about) {exe, about},
    HOST_TOOLS(HOST_TOOL_ROW)
#undef HOST_TOOL_ROW
};
_Static_assert(sizeof tool_table / sizeof tool_table[0] == HOST_TOOL_COUNT, "tool table out of step");

const char *host_tool_name(HostTool t)
{
    return (int)t >= 0 && t < HOST_TOOL_COUNT ? tool_table[t].exe : NULL;
}

const char *host_tool_about(HostTool t)
{
    return (int)t >= 0 && t < HOST_TOOL_COUNT ? tool_table[t].about : NULL;
}

int host_tool_find(const char *name)
{
    for (int i = 0; name && i < HOST_TOOL_COUNT; i++)
        if (!strcmp(name, tool_table[i].exe)) return i;
    return -1;
}

const char *host_tool_path(const HostFacts *h, const char *name)
{
    int i = host_tool_find(name);
    return i >= 0 && h->tool_path[i][0] ? h->tool_path[i] : NULL;
}

bool host_which(const char *exe, const char *path_list, char *out, size_t outlen)
{
    if (!exe || !*exe || strchr(exe, '/') || !path_list) return false;
    const char *p = path_list;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char cand[4096];
        int len = n ? snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, exe) : snprintf(cand, sizeof cand, "./%s", exe);
        struct stat st;
        if (len > 0 && (size_t)len < sizeof cand && stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
            (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
            if ((size_t)len >= outlen) return false;
            memcpy(out, cand, (size_t)len + 1);
            return true;
        }
        if (!colon) return false;
        p = colon + 1;
    }
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    size_t lead = strspn(s, " \t");
    if (lead) memmove(s, s + lead, n - lead + 1);
}

/* Value of the first "key<spaces/tabs>: value" line among `keys` in a /proc-style file. */
static bool read_field(const char *path, const char *const *keys, int n_keys, char *out, size_t outlen)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[512];
    bool found = false;
    for (int lines = 0; !found && lines < 20000 && fgets(line, sizeof line, f); lines++) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = '\0';
        char key[128];
        snprintf(key, sizeof key, "%s", line);
        trim(key);
        for (int k = 0; k < n_keys; k++) {
            if (strcmp(key, keys[k])) continue;
            char *v = colon + 1;
            trim(v);
            if (!*v) continue;
            snprintf(out, outlen, "%s", v);
            found = true;
            break;
        }
    }
    fclose(f);
    return found;
}

static void detect_nvidia(HostFacts *h, const char *path_list)
{
    DIR *d = opendir("/proc/driver/nvidia/gpus");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            h->nvidia_gpu = true;
            char info[512];
            snprintf(info, sizeof info, "/proc/driver/nvidia/gpus/%s/information", e->d_name);
            static const char *const keys[] = {"Model"};
            read_field(info, keys, 1, h->gpu_model, sizeof h->gpu_model);
            break;
        }
        closedir(d);
    }
    if (host_which("nvidia-smi", path_list, h->nvidia_smi, sizeof h->nvidia_smi)) h->nvidia_gpu = true;
}

void host_detect(HostFacts *out)
{
    double t0 = now_seconds();
    memset(out, 0, sizeof *out);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(out->arch, sizeof out->arch, "%s", u.machine);
        snprintf(out->os, sizeof out->os, "%s", u.sysname);
        snprintf(out->os_release, sizeof out->os_release, "%s", u.release);
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    out->cpu_count = n > 0 ? (int)n : 1;
    /* x86 says "model name"; ARM kernels say "Model" (board) or "Hardware" (SoC). */
    static const char *const cpu_keys[] = {"model name", "Model", "Hardware", "cpu model", "Processor"};
    read_field("/proc/cpuinfo", cpu_keys, (int)ARRAY_LEN(cpu_keys), out->cpu_model, sizeof out->cpu_model);
    static const char *const mem_keys[] = {"MemTotal"};
    char mem[64] = "";
    read_field("/proc/meminfo", mem_keys, 1, mem, sizeof mem);
    long long kb = atoll(mem); /* "23456789 kB" */
    out->mem_total = kb > 0 && kb < (1LL << 50) ? kb * 1024 : 0;
    const char *path_list = getenv("PATH");
    if (!path_list) path_list = "/usr/local/bin:/usr/bin:/bin";
    detect_nvidia(out, path_list);
    for (int t = 0; t < HOST_TOOL_COUNT; t++)
        host_which(tool_table[t].exe, path_list, out->tool_path[t], sizeof out->tool_path[t]);
    out->detect_ms = (now_seconds() - t0) * 1e3;
}

const char *host_summary(const HostFacts *h, char *buf, size_t len)
{
    if (!len) return buf;
    size_t off = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        if (off < len) {                                                                           \
            int k_ = snprintf(buf + off, len - off, __VA_ARGS__);                                  \
            if (k_ > 0) off += (size_t)k_;                                                         \
        }                                                                                          \
    } while (0)
    PUT("%s %s %s, %d CPU%s", h->arch[0] ? h->arch : "?", h->os[0] ? h->os : "?", h->os_release, h->cpu_count,
        h->cpu_count == 1 ? "" : "s");
    if (h->cpu_model[0]) PUT(" (%s)", h->cpu_model);
    if (h->nvidia_gpu) PUT(", NVIDIA GPU%s%s", h->gpu_model[0] ? ": " : "", h->gpu_model);
    else PUT(", no NVIDIA GPU");
    int found = 0;
    for (int t = 0; t < HOST_TOOL_COUNT; t++) {
        if (!h->tool_path[t][0]) continue;
        PUT("%s%s", found++ ? ", " : "; tools: ", tool_table[t].exe);
    }
    if (!found) PUT("; no conversion tools on PATH");
#undef PUT
    return buf;
}
