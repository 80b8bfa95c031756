/* tools: which external tools a host has, their versions, and its NVIDIA GPU (see tools.h).
 * Local discovery and the remote probe produce the same "@@yoloport" sections, read by one
 * parser. */
#include "engine/tools/tools.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/util.h"
#include "engine/host/host.h"

extern char **environ;

static const struct {
    const char *exe, *about, *version_arg;
} tool_table[TOOL_COUNT] = {
#define TOOLS_ROW(id, exe, about, varg) [TOOL_##id] = {exe, about, varg},
    TOOLS(TOOLS_ROW)
#undef TOOLS_ROW
};

_Static_assert(TOOL_COUNT <= 32, "tool masks are 32-bit");

const char *tools_name(ToolId t) { return (unsigned)t < TOOL_COUNT ? tool_table[t].exe : NULL; }
const char *tools_about(ToolId t) { return (unsigned)t < TOOL_COUNT ? tool_table[t].about : NULL; }

int tools_find(const char *name)
{
    for (int i = 0; name && i < TOOL_COUNT; i++)
        if (!strcmp(tool_table[i].exe, name)) return i;
    return -1;
}

/* ---- running a command for its output ---------------------------------------------------- */

/* tools_capture, stopped early (as a timeout) when stop says so. */
static int capture(char *const argv[], double timeout_s, char *out, size_t outlen, int *status, ToolsStopFn stop,
                   void *stop_user)
{
    if (outlen) out[0] = '\0';
    if (status) *status = -1;
    if (!argv || !argv[0]) return -1;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int e = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(p[1]);
    if (e != 0) {
        close(p[0]);
        return -1;
    }
    if (timeout_s <= 0) timeout_s = 20;
    double t0 = now_seconds();
    size_t used = 0;
    bool timed_out = false;
    for (;;) {
        double left = timeout_s - (now_seconds() - t0);
        if (left <= 0 || (stop && stop(stop_user))) {
            timed_out = true;
            kill(-pid, SIGKILL);
            break;
        }
        struct pollfd pf = {p[0], POLLIN, 0};
        int pr = poll(&pf, 1, left > 0.1 ? 100 : (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) continue;
        char buf[4096];
        ssize_t n = read(p[0], buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) break;
        if (outlen > 1 && used < outlen - 1) {
            size_t k = (size_t)n < outlen - 1 - used ? (size_t)n : outlen - 1 - used;
            memcpy(out + used, buf, k);
            used += k;
            out[used] = '\0';
        }
    }
    close(p[0]);
    int st = 0;
    for (;;) { /* its output ended: wait for it within what is left of the timeout */
        pid_t w = waitpid(pid, &st, timed_out ? 0 : WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR)) break;
        if (w == 0 && now_seconds() - t0 > timeout_s) {
            timed_out = true;
            kill(-pid, SIGKILL);
            continue;
        }
        if (timed_out) continue;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (!timed_out && now_seconds() - t0 > timeout_s) {
            timed_out = true;
            kill(-pid, SIGKILL);
        }
    }
    if (timed_out) return -1;
    if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
    return 0;
}

int tools_capture(char *const argv[], double timeout_s, char *out, size_t outlen, int *status)
{
    return capture(argv, timeout_s, out, outlen, status, NULL, NULL);
}

/* ---- parsing ------------------------------------------------------------------------------ */

int tools_parse_trt_version(const char *text, int v[3])
{
    if (!text) return -1;
    for (const char *p = text; (p = str_find_ci(p, "TensorRT")); p += 8) {
        const char *q = p + 8;
        while (*q == ' ' || *q == ':') q++;
        if (!strncasecmp(q, "version", 7)) /* "TensorRT version: 10.0.1" */
            for (q += 7; *q == ' ' || *q == ':';) q++;
        if (*q == 'v' && isdigit((unsigned char)q[1])) {
            /* NV_TENSORRT_VERSION: major*1000 + minor*100 + patch before 10, major*10000 after */
            long n = strtol(q + 1, NULL, 10);
            if (n <= 0 || n > 100000000) continue;
            if (n >= 100000) v[0] = (int)(n / 10000), v[1] = (int)(n / 100 % 100), v[2] = (int)(n % 100);
            else v[0] = (int)(n / 1000), v[1] = (int)(n / 100 % 10), v[2] = (int)(n % 100);
            return 0;
        }
        if (isdigit((unsigned char)*q)) {
            int a = 0, b = 0, c = 0;
            if (sscanf(q, "%d.%d.%d", &a, &b, &c) >= 2 && a > 0 && a < 100) {
                v[0] = a, v[1] = b, v[2] = c;
                return 0;
            }
        }
    }
    return -1;
}

int tools_parse_dotted_version(const char *text, char *buf, size_t len)
{
    if (!text) return -1;
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p) || (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '.'))) continue;
        const char *q = p;
        int dots = 0;
        while (isdigit((unsigned char)*q) || (*q == '.' && isdigit((unsigned char)q[1]))) dots += *q++ == '.';
        if (dots >= 1) {
            snprintf(buf, len, "%.*s", (int)(q - p), p);
            return 0;
        }
        p = q - 1;
    }
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

int tools_parse_gpu(const char *query, const char *header, int index, GpuInfo *out)
{
    memset(out, 0, sizeof *out);
    out->index = index;
    int found = -1;
    if (query) {
        const char *p = query;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            char line[512];
            snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), p);
            p += n + (nl ? 1 : 0);
            char *fields[4];
            int nf = 0;
            char *save = NULL;
            for (char *tok = strtok_r(line, ",", &save); tok && nf < 4; tok = strtok_r(NULL, ",", &save))
                fields[nf++] = trim(tok);
            /* name, compute_cap, driver_version -- or name, driver_version from an older driver */
            if (nf < 2 || !*fields[0] || strstr(fields[0], "not a valid field") || strstr(fields[0], "NVIDIA-SMI has failed"))
                continue;
            if (out->count == index) {
                found = out->count;
                snprintf(out->name, sizeof out->name, "%s", fields[0]);
                if (nf >= 3) {
                    snprintf(out->compute_capability, sizeof out->compute_capability, "%s", fields[1]);
                    snprintf(out->driver, sizeof out->driver, "%s", fields[2]);
                } else {
                    snprintf(out->driver, sizeof out->driver, "%s", fields[1]);
                }
            }
            out->count++;
        }
    }
    if (header) {
        const char *c = strstr(header, "CUDA Version:");
        if (c) {
            char v[32];
            if (tools_parse_dotted_version(c, v, sizeof v) == 0) snprintf(out->cuda, sizeof out->cuda, "%s", v);
        }
        if (!out->driver[0] && (c = strstr(header, "Driver Version:"))) {
            char v[32];
            if (tools_parse_dotted_version(c, v, sizeof v) == 0) snprintf(out->driver, sizeof out->driver, "%s", v);
        }
    }
    out->present = found >= 0;
    return out->present ? 0 : -1;
}

/* One section of probe text: the lines after a "@@yoloport ..." line up to the next. */
static char *section_after(const char *text, const char *mark)
{
    const char *p = text;
    size_t ml = strlen(mark);
    while ((p = strstr(p, mark))) {
        bool at_line_start = p == text || p[-1] == '\n';
        if (at_line_start && (p[ml] == '\n' || p[ml] == ' ' || p[ml] == '\0')) break;
        p += ml;
    }
    if (!p) return NULL;
    const char *start = strchr(p, '\n');
    if (!start) return xstrdup("");
    start++;
    const char *end = start;
    while (*end) {
        if (!strncmp(end, "@@yoloport ", 11)) break;
        const char *nl = strchr(end, '\n');
        end = nl ? nl + 1 : end + strlen(end);
    }
    return xstrndup(start, (size_t)(end - start));
}

/* The value on the "@@yoloport KEY value" line, or NULL. */
static bool line_value(const char *text, const char *key, char *buf, size_t len)
{
    char mark[64];
    snprintf(mark, sizeof mark, "@@yoloport %s ", key);
    size_t ml = strlen(mark);
    for (const char *p = text; (p = strstr(p, mark)); p += ml) {
        if (p != text && p[-1] != '\n') continue;
        const char *v = p + ml;
        size_t n = strcspn(v, "\n");
        snprintf(buf, len, "%.*s", (int)n, v);
        return true;
    }
    return false;
}

int tools_parse_probe(ToolFacts *out, const char *text, int gpu_index)
{
    if (!text) return -1;
    out->probed = true;
    line_value(text, "home", out->home, sizeof out->home);
    line_value(text, "cache", out->cache_home, sizeof out->cache_home);
    line_value(text, "hostname", out->hostname, sizeof out->hostname);
    for (int t = 0; t < TOOL_COUNT; t++) {
        char mark[96], path[512];
        snprintf(mark, sizeof mark, "tool %s", tool_table[t].exe);
        if (!line_value(text, mark, path, sizeof path)) continue;
        ToolInfo *ti = &out->tool[t];
        ti->found = true;
        snprintf(ti->path, sizeof ti->path, "%s", path);
        char full[128];
        snprintf(full, sizeof full, "@@yoloport tool %s", tool_table[t].exe);
        char *body = section_after(text, full);
        if (body) {
            if (t == TOOL_TRTEXEC) {
                int v[3];
                if (tools_parse_trt_version(body, v) == 0) {
                    memcpy(out->trt, v, sizeof v);
                    snprintf(ti->version, sizeof ti->version, "%d.%d.%d", v[0], v[1], v[2]);
                }
            } else if (t != TOOL_NVIDIA_SMI && tool_table[t].version_arg) {
                tools_parse_dotted_version(body, ti->version, sizeof ti->version);
            }
            free(body);
        }
    }
    char *query = section_after(text, "@@yoloport gpu-query");
    char *header = section_after(text, "@@yoloport gpu-header");
    if (query || header) {
        tools_parse_gpu(query, header, gpu_index, &out->gpu);
        if (out->gpu.driver[0]) snprintf(out->tool[TOOL_NVIDIA_SMI].version, sizeof out->tool[TOOL_NVIDIA_SMI].version, "%s", out->gpu.driver);
    }
    free(query);
    free(header);
    char v[128];
    if (line_value(text, "nvidia-gpus", v, sizeof v)) out->gpu.driver_gpus = atoi(v);
    if (line_value(text, "tegra", v, sizeof v)) snprintf(out->gpu.jetson, sizeof out->gpu.jetson, "%s", trim(v));
    if (out->gpu.driver_gpus > 0 || out->gpu.jetson[0]) out->gpu.present = true;
    const char *end = strstr(text, "@@yoloport end");
    return end && (end == text || end[-1] == '\n') ? 0 : -1;
}

/* ---- local discovery ---------------------------------------------------------------------- */

void tools_discover(ToolFacts *out, unsigned mask, int gpu_index, double timeout_s, ToolsStopFn stop, void *stop_user)
{
    double t0 = now_seconds();
    memset(out, 0, sizeof *out);
    snprintf(out->where, sizeof out->where, "this host");
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    StrBuf b = {0};
    const char *home = getenv("HOME"), *cache = getenv("XDG_CACHE_HOME");
    strbuf_printf(&b, "@@yoloport home %s\n@@yoloport cache %s\n", home ? home : "", cache ? cache : "");
    char hn[128] = "";
    if (gethostname(hn, sizeof hn - 1) == 0 && hn[0]) strbuf_printf(&b, "@@yoloport hostname %s\n", hn);
    if (mask & TOOL_BIT(TOOL_NVIDIA_SMI)) { /* the driver's own list, and a Jetson's release (no nvidia-smi there) */
        const char *gpus_dir = getenv("YOLOPORT_NVIDIA_PROC"); /* tests point it at a directory of their own */
        DIR *d = opendir(gpus_dir ? gpus_dir : "/proc/driver/nvidia/gpus");
        int n = 0;
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_name[0] != '.') n++;
        if (d) closedir(d);
        strbuf_printf(&b, "@@yoloport nvidia-gpus %d\n", n);
        const char *tegra = getenv("YOLOPORT_TEGRA_RELEASE");
        FILE *f = fopen(tegra ? tegra : "/etc/nv_tegra_release", "r");
        char line[96] = "";
        if (f) {
            if (!fgets(line, sizeof line, f)) line[0] = '\0';
            fclose(f);
        }
        line[strcspn(line, "\n")] = '\0';
        if (line[0]) strbuf_printf(&b, "@@yoloport tegra %s\n", line);
    }
    size_t cap = 64 << 10;
    char *cap_buf = xmalloc(cap);
    for (int t = 0; t < TOOL_COUNT; t++) {
        if (!(mask & TOOL_BIT(t)) || (stop && stop(stop_user))) continue;
        char where[512];
        if (!host_which(tool_table[t].exe, path, where, sizeof where)) continue;
        strbuf_printf(&b, "@@yoloport tool %s %s\n", tool_table[t].exe, where);
        int st;
        if (t == TOOL_NVIDIA_SMI) {
            char *q[] = {where, "--query-gpu=name,compute_cap,driver_version", "--format=csv,noheader", NULL};
            if (capture(q, timeout_s, cap_buf, cap, &st, stop, stop_user) == 0 && st != 0) {
                char *q2[] = {where, "--query-gpu=name,driver_version", "--format=csv,noheader", NULL};
                capture(q2, timeout_s, cap_buf, cap, &st, stop, stop_user);
            }
            strbuf_printf(&b, "@@yoloport gpu-query\n%s\n", cap_buf);
            char *h[] = {where, NULL};
            capture(h, timeout_s, cap_buf, cap, &st, stop, stop_user);
            strbuf_printf(&b, "@@yoloport gpu-header\n%s\n", cap_buf);
        } else if (tool_table[t].version_arg) {
            char *v[] = {where, (char *)tool_table[t].version_arg, NULL};
            capture(v, timeout_s, cap_buf, cap, &st, stop, stop_user);
            strbuf_printf(&b, "%s\n", cap_buf);
        }
    }
    strbuf_printf(&b, "@@yoloport end\n");
    free(cap_buf);
    tools_parse_probe(out, b.p, gpu_index);
    free(b.p);
    out->seconds = now_seconds() - t0;
}

char *tools_probe_script(unsigned mask, const char *path_prepend)
{
    StrBuf b = {0};
    if (path_prepend && *path_prepend) {
        char *q = tools_shell_quote(path_prepend);
        strbuf_printf(&b, "PATH=%s:\"$PATH\"; export PATH\n", q);
        free(q);
    }
    strbuf_printf(&b, "T=; command -v timeout >/dev/null 2>&1 && T='timeout 20'\n"
                      "printf '@@yoloport home %%s\\n' \"$HOME\"\n"
                      "printf '@@yoloport cache %%s\\n' \"${XDG_CACHE_HOME:-}\"\n"
                      "printf '@@yoloport hostname %%s\\n' \"$(uname -n 2>/dev/null)\"\n");
    for (int t = 0; t < TOOL_COUNT; t++) {
        if (!(mask & TOOL_BIT(t))) continue;
        const char *exe = tool_table[t].exe;
        strbuf_printf(&b, "if p=$(command -v %s 2>/dev/null); then printf '@@yoloport tool %s %%s\\n' \"$p\"; ", exe, exe);
        if (t == TOOL_NVIDIA_SMI)
            strbuf_printf(&b, "echo '@@yoloport gpu-query'; $T \"$p\" --query-gpu=name,compute_cap,driver_version "
                              "--format=csv,noheader 2>&1 </dev/null || $T \"$p\" --query-gpu=name,driver_version "
                              "--format=csv,noheader 2>&1 </dev/null; echo '@@yoloport gpu-header'; "
                              "$T \"$p\" 2>&1 </dev/null | head -n 40; ");
        else if (tool_table[t].version_arg)
            strbuf_printf(&b, "$T \"$p\" %s 2>&1 </dev/null | head -n 60; ", tool_table[t].version_arg);
        strbuf_printf(&b, "fi\n");
    }
    if (mask & TOOL_BIT(TOOL_NVIDIA_SMI))
        strbuf_printf(&b, "n=0; for g in /proc/driver/nvidia/gpus/*; do [ -e \"$g\" ] && n=$((n+1)); done; "
                          "echo \"@@yoloport nvidia-gpus $n\"\n"
                          "[ -r /etc/nv_tegra_release ] && printf '@@yoloport tegra %%s\\n' \"$(head -n 1 /etc/nv_tegra_release)\"\n");
    strbuf_printf(&b, "echo '@@yoloport end'\n");
    return b.p;
}

/* ---- shell quoting for display ------------------------------------------------------------ */

static bool plain_word(const char *w)
{
    if (!*w) return false;
    for (const char *p = w; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_-.,/:=+@%^", *p)) return false;
    return true;
}

char *tools_shell_quote(const char *word)
{
    if (plain_word(word)) return xstrdup(word);
    StrBuf b = {0};
    strbuf_puts(&b, "'");
    for (const char *p = word; *p; p++) {
        if (*p == '\'') strbuf_puts(&b, "'\\''");
        else strbuf_add(&b, p, 1);
    }
    strbuf_puts(&b, "'");
    return b.p;
}

char *tools_command_text(char *const argv[])
{
    StrBuf b = {0};
    for (int i = 0; argv && argv[i]; i++) {
        char *q = tools_shell_quote(argv[i]);
        strbuf_printf(&b, "%s%s", i ? " " : "", q);
        free(q);
    }
    return b.p ? b.p : xstrdup("");
}

const char *tools_gpu_summary(const ToolFacts *f, char *buf, size_t len)
{
    const GpuInfo *g = &f->gpu;
    char trt[48] = "";
    if (f->tool[TOOL_TRTEXEC].found)
        snprintf(trt, sizeof trt, "TensorRT %s, ", f->tool[TOOL_TRTEXEC].version[0] ? f->tool[TOOL_TRTEXEC].version : "(version unknown)");
    char gpu[400];
    snprintf(buf, len, "%s%s", trt, tools_gpu_text(g, gpu, sizeof gpu));
    return buf;
}

const char *tools_gpu_text(const GpuInfo *g, char *buf, size_t len)
{
    if (!g->present) snprintf(buf, len, "no NVIDIA GPU");
    else
        snprintf(buf, len, "%s%s%s%s, driver %s, CUDA %s", g->name[0] ? g->name : "NVIDIA GPU (model unknown)",
                 g->compute_capability[0] ? " (compute " : "", g->compute_capability,
                 g->compute_capability[0] ? ")" : "", g->driver[0] ? g->driver : "?", g->cuda[0] ? g->cuda : "?");
    return buf;
}

int tools_timing_cache_path(const ToolFacts *f, char *buf, size_t len)
{
    char base[600];
    if (f->cache_home[0] == '/') snprintf(base, sizeof base, "%s", f->cache_home);
    else if (f->home[0] == '/') snprintf(base, sizeof base, "%s/.cache", f->home);
    else return -1;
    char slug[128];
    size_t n = 0;
    for (const char *p = f->gpu.name[0] ? f->gpu.name : "gpu"; *p && n + 1 < sizeof slug; p++)
        slug[n++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '-';
    slug[n] = '\0';
    snprintf(buf, len, "%s/yoloport/tensorrt/%s-sm%s-trt%d.%d.%d.timing", base, slug,
             f->gpu.compute_capability[0] ? f->gpu.compute_capability : "unknown", f->trt[0], f->trt[1], f->trt[2]);
    return 0;
}
