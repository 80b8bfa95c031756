/* remote: hosts, the ssh/scp argument vectors, the remote process-group wrapper and the work
 * directory session (see remote.h). */
#include "engine/remote/remote.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"

/* ---- hosts --------------------------------------------------------------------------- */

static bool name_char(char c) { return isalnum((unsigned char)c) || c == '-' || c == '_'; }

static bool dest_char(char c) { return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_'; }

/* [user@]host[:port] or [user@][v6]:port: 0 and the parts, or -1 + message. */
static int parse_literal(const char *spec, char *dest, size_t dlen, int *port, char *err, size_t errlen)
{
    *port = 0;
    if (!spec || !*spec) return err_set(err, errlen, "host= is empty: give user@box, box, or a host named in the config file");
    if (spec[0] == '-') return err_set(err, errlen, "host='%s' cannot start with '-'", spec);
    size_t n = strlen(spec);
    if (n >= 200) return err_set(err, errlen, "host='%.40s...' is too long", spec);
    const char *at = strchr(spec, '@');
    const char *host = at ? at + 1 : spec;
    if (at) {
        if (at == spec) return err_set(err, errlen, "host='%s' has no user before '@'", spec);
        for (const char *p = spec; p < at; p++)
            if (!dest_char(*p)) return err_set(err, errlen, "host='%s': the user name has a character ssh users do not have ('%c')", spec, *p);
    }
    const char *end = host + strlen(host);
    const char *colon = NULL;
    if (*host == '[') { /* [v6]:port */
        const char *rb = strchr(host, ']');
        if (!rb) return err_set(err, errlen, "host='%s': missing ']'", spec);
        for (const char *p = host + 1; p < rb; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.') return err_set(err, errlen, "host='%s': not an IPv6 address", spec);
        if (rb[1] == ':') colon = rb + 1;
        else if (rb[1]) return err_set(err, errlen, "host='%s': unexpected text after ']'", spec);
        end = rb + 1;
    } else {
        colon = strchr(host, ':');
        if (colon) end = colon;
        if (end == host) return err_set(err, errlen, "host='%s' names no machine", spec);
        for (const char *p = host; p < end; p++)
            if (!dest_char(*p)) return err_set(err, errlen, "host='%s': '%c' is not part of a host name", spec, *p);
    }
    if (colon) {
        char *e;
        long v = strtol(colon + 1, &e, 10);
        if (*e || e == colon + 1 || v < 1 || v > 65535) return err_set(err, errlen, "host='%s': the port must be 1..65535", spec);
        *port = (int)v;
    }
    const char *cut = colon ? colon : spec + n;
    if (*host == '[') { /* ssh wants the bare address; brackets only delimit the port */
        const char *rb = strchr(host, ']');
        snprintf(dest, dlen, "%.*s%.*s", (int)(host - spec), spec, (int)(rb - host - 1), host + 1);
    } else {
        snprintf(dest, dlen, "%.*s", (int)(cut - spec), spec);
    }
    return 0;
}

static RemoteHost *find_host(RemoteHosts *hosts, const char *name, size_t n, bool create)
{
    for (int i = 0; i < hosts->n; i++)
        if (strlen(hosts->items[i].name) == n && !strncmp(hosts->items[i].name, name, n)) return &hosts->items[i];
    if (!create || hosts->n >= REMOTE_HOSTS_MAX) return NULL;
    RemoteHost *h = &hosts->items[hosts->n++];
    memset(h, 0, sizeof *h);
    snprintf(h->name, sizeof h->name, "%.*s", (int)n, name);
    return h;
}

int remote_hosts_set(RemoteHosts *hosts, const char *key, const char *value, char *err, size_t errlen)
{
    if (strncmp(key, "host.", 5) != 0) return err_set(err, errlen, "'%s' is not a host setting (host.NAME = user@box)", key);
    const char *name = key + 5;
    const char *dot = strchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    if (n == 0 || n >= sizeof(((RemoteHost *)0)->name)) return err_set(err, errlen, "host.NAME: the name must be 1 to 63 characters");
    for (size_t i = 0; i < n; i++)
        if (!name_char(name[i])) return err_set(err, errlen, "host.%.*s: a host name may have letters, digits, '-' and '_'", (int)n, name);
    RemoteHost *h = find_host(hosts, name, n, true);
    if (!h) return err_set(err, errlen, "more than %d hosts configured", REMOTE_HOSTS_MAX);
    const char *field = dot ? dot + 1 : "";
    if (!*field) {
        int port = 0;
        if (parse_literal(value, h->destination, sizeof h->destination, &port, err, errlen) != 0) return -1;
        if (port) h->port = port;
        return 0;
    }
    if (!strcmp(field, "port")) {
        char *e;
        long v = strtol(value, &e, 10);
        if (*e || e == value || v < 1 || v > 65535) return err_set(err, errlen, "%s: the port must be 1..65535", key);
        h->port = (int)v;
    } else if (!strcmp(field, "ssh_config")) {
        snprintf(h->ssh_config, sizeof h->ssh_config, "%s", value);
    } else if (!strcmp(field, "identity")) {
        snprintf(h->identity, sizeof h->identity, "%s", value);
    } else if (!strcmp(field, "workdir")) {
        if (value[0] != '/' && value[0] != '~' && value[0]) return err_set(err, errlen, "%s: use an absolute directory", key);
        snprintf(h->workdir, sizeof h->workdir, "%s", value);
    } else if (!strcmp(field, "path")) {
        snprintf(h->path, sizeof h->path, "%s", value);
    } else {
        return err_set(err, errlen, "%s: unknown host setting '%s' (port, ssh_config, identity, workdir, path)", key, field);
    }
    return 0;
}

int remote_resolve(const RemoteHosts *hosts, const char *spec, RemoteHost *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (hosts && spec) {
        for (int i = 0; i < hosts->n; i++) {
            if (strcmp(hosts->items[i].name, spec) != 0) continue;
            *out = hosts->items[i];
            if (!out->destination[0]) snprintf(out->destination, sizeof out->destination, "%s", out->name);
            return 0;
        }
    }
    int port = 0;
    if (parse_literal(spec, out->destination, sizeof out->destination, &port, err, errlen) != 0) return -1;
    out->port = port;
    snprintf(out->name, sizeof out->name, "%s", spec);
    return 0;
}

bool remote_spec_valid(const char *spec, char *err, size_t errlen)
{
    char dest[256];
    int port;
    return parse_literal(spec, dest, sizeof dest, &port, err, errlen) == 0;
}

/* ---- argument vectors ---------------------------------------------------------------- */

static void push(Vec *v, const char *s)
{
    char *d = xstrdup(s);
    vec_push(v, sizeof d, &d);
}

static char **finish(Vec *v)
{
    char *null = NULL;
    vec_push(v, sizeof null, &null);
    return v->items;
}

void remote_argv_free(char **argv)
{
    for (int i = 0; argv && argv[i]; i++) free(argv[i]);
    free(argv);
}

/* Options both ssh and scp take (scp spells the port -P). */
static void common_opts(Vec *v, const RemoteHost *h, bool scp)
{
    push(v, "-o");
    push(v, "BatchMode=yes"); /* never a password or passphrase prompt: keys and agent only */
    push(v, "-o");
    push(v, "ServerAliveInterval=10");
    push(v, "-o");
    push(v, "ServerAliveCountMax=3");
    push(v, "-o");
    push(v, "ConnectTimeout=20");
    if (h->ssh_config[0]) {
        push(v, "-F");
        push(v, h->ssh_config);
    }
    if (h->identity[0]) {
        push(v, "-i");
        push(v, h->identity);
    }
    if (h->port > 0) {
        char p[16];
        snprintf(p, sizeof p, "%d", h->port);
        push(v, scp ? "-P" : "-p");
        push(v, p);
    }
}

char **remote_ssh_argv(const RemoteHost *h, const char *remote_command)
{
    Vec v = {0};
    push(&v, "ssh");
    common_opts(&v, h, false);
    push(&v, "--");
    push(&v, h->destination);
    push(&v, remote_command);
    return finish(&v);
}

char **remote_scp_argv(const RemoteHost *h, const char *src, const char *dst, bool recursive)
{
    Vec v = {0};
    push(&v, "scp");
    push(&v, "-q");
    common_opts(&v, h, true);
    if (recursive) push(&v, "-r");
    push(&v, "--");
    push(&v, src);
    push(&v, dst);
    return finish(&v);
}

/* "user@box:" + path, with brackets for a bare IPv6 address. */
static char *remote_path(const RemoteHost *h, const char *dir, const char *name)
{
    const char *at = strchr(h->destination, '@');
    const char *host = at ? at + 1 : h->destination;
    bool v6 = strchr(host, ':') != NULL;
    if (v6)
        return xasprintf("%.*s[%s]:%s/%s", (int)(at ? at - h->destination + 1 : 0), h->destination, host, dir, name);
    return xasprintf("%s:%s/%s", h->destination, dir, name);
}

char *remote_display_command(const RemoteHost *h, const char *dir, char *const argv[])
{
    char *cmd = tools_command_text(argv);
    char *qd = tools_shell_quote(dir ? dir : ".");
    char *inner = dir ? xasprintf("cd %s && %s", qd, cmd) : xstrdup(cmd);
    Vec v = {0};
    push(&v, "ssh");
    if (h->ssh_config[0]) {
        push(&v, "-F");
        push(&v, h->ssh_config);
    }
    if (h->identity[0]) {
        push(&v, "-i");
        push(&v, h->identity);
    }
    if (h->port > 0) {
        char p[16];
        snprintf(p, sizeof p, "%d", h->port);
        push(&v, "-p");
        push(&v, p);
    }
    push(&v, h->destination);
    push(&v, inner);
    char **sv = finish(&v);
    char *out = tools_command_text(sv);
    remote_argv_free(sv);
    free(cmd);
    free(qd);
    free(inner);
    return out;
}

/* The wrapper, run by `sh -c SCRIPT yoloport-remote DIR PATH TOOL ARGS...` on the host.  The
 * tool runs in the foreground under setsid (its own session and process group: SIGINT is not
 * ignored there, as it would be for a background job of a non-interactive shell); its group
 * id goes to a file the watcher reads.  The watcher holds the session's stdin: EOF there (a
 * cancel, a dropped connection) stops the group. */
static const char wrapper_script[] =
    "cd \"$1\" || exit 126\n"
    "[ -n \"$2\" ] && PATH=\"$2:$PATH\" && export PATH\n"
    "shift 2\n"
    "command -v setsid >/dev/null 2>&1 || { echo 'yoloport-remote: setsid is not installed on this host' >&2; "
    "echo 'yoloport-remote: exit 127' >&2; exit 127; }\n"
    "rm -f .yoloport-pgid .yoloport-stopping\n"
    "exec 3<&0\n"
    "( cat <&3 >/dev/null; i=0; while [ ! -s .yoloport-pgid ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done; "
    "p=$(cat .yoloport-pgid 2>/dev/null); [ -n \"$p\" ] && : >.yoloport-stopping && kill -INT -$p && sleep 2 && "
    "kill -KILL -$p ) >/dev/null 2>&1 &\n"
    "w=$!\n"
    "exec 3<&-\n"
    "setsid sh -c 'echo $$ > .yoloport-pgid; echo \"yoloport-remote: process group $$\" >&2; exec \"$@\"' "
    "yoloport-tool \"$@\" </dev/null\n"
    "rc=$?\n"
    /* stopped: what the tool left in its group goes too (as job_spawn does here) */
    "[ -e .yoloport-stopping ] && kill -KILL -$(cat .yoloport-pgid) 2>/dev/null\n"
    "kill $w 2>/dev/null\n"
    "echo \"yoloport-remote: exit $rc\" >&2\n"
    "exit $rc\n";

char *remote_wrapped_command(const char *dir, const char *path_prepend, char *const argv[])
{
    Vec v = {0};
    push(&v, "exec");
    push(&v, "sh");
    push(&v, "-c");
    push(&v, wrapper_script);
    push(&v, "yoloport-remote");
    push(&v, dir);
    push(&v, path_prepend ? path_prepend : "");
    for (int i = 0; argv[i]; i++) push(&v, argv[i]);
    char **sv = finish(&v);
    char *out = tools_command_text(sv);
    remote_argv_free(sv);
    return out;
}

/* ---- the session --------------------------------------------------------------------- */

typedef struct {
    StrBuf text;
    char last_err[256];
} Collect;

static void collect_line(Job *job, bool is_stderr, const char *line, void *user)
{
    Collect *c = user;
    strbuf_printf(&c->text, "%s\n", line);
    if (is_stderr && *line) snprintf(c->last_err, sizeof c->last_err, "%s", line);
}

/* One ssh connection to h running the tools probe (tool_mask, with h's PATH) followed by
 * extra (shell text), the facts it found parsed into *facts; everything it printed in *text
 * (heap; the caller frees) and its last stderr line in last_err (may be NULL).  0, or -1 + a
 * message (no ssh, no connection, cancelled). */
static int probe_host(Job *job, const RemoteHost *h, unsigned tool_mask, int gpu_index, const char *extra,
                      ToolFacts *facts, char **text, char *last_err, size_t last_len, char *err, size_t errlen)
{
    *text = NULL;
    memset(facts, 0, sizeof *facts);
    snprintf(facts->where, sizeof facts->where, "%s", h->name);
    char *probe = tools_probe_script(tool_mask, h->path);
    char *script = xasprintf("%s%s", probe, extra);
    free(probe);
    Vec v = {0};
    push(&v, "exec");
    push(&v, "sh");
    push(&v, "-c");
    push(&v, script);
    char **sv = finish(&v);
    char *cmd = tools_command_text(sv);
    remote_argv_free(sv);
    free(script);
    char **argv = remote_ssh_argv(h, cmd);
    free(cmd);
    Collect c = {0};
    JobSpawnOptions o = {.no_log = true, .on_line = collect_line, .on_line_user = &c, .stop_signal = SIGINT};
    JobSpawnResult res;
    char msg[512];
    double t0 = now_seconds();
    job_log(job, JOB_LOG_INFO, "%s: connecting with ssh (BatchMode: keys and agent only) ...", h->name);
    int rc = job_spawn(job, argv, &o, &res, msg, sizeof msg);
    remote_argv_free(argv);
    if (rc != 0 || !c.text.p) {
        if (res.cancelled) err_set(err, errlen, "%s", msg);
        else if (!res.started) err_set(err, errlen, "%s: %s (OpenSSH's ssh is needed for host=)", h->name, msg);
        else err_set(err, errlen, "%s: cannot run commands there: %s", h->name, c.last_err[0] ? c.last_err : msg);
        free(c.text.p);
        return -1;
    }
    tools_parse_probe(facts, c.text.p, gpu_index);
    facts->seconds = now_seconds() - t0;
    *text = c.text.p;
    if (last_err) snprintf(last_err, last_len, "%s", c.last_err);
    return 0;
}

int remote_open(Job *job, const RemoteHost *h, unsigned tool_mask, int gpu_index, RemoteSession *s, ToolFacts *facts,
                char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->host = *h;
    char *qbase = tools_shell_quote(h->workdir[0] ? h->workdir : "");
    char *mk = xasprintf("b=%s; [ -n \"$b\" ] || b=\"${TMPDIR:-/tmp}\"; mkdir -p \"$b\" && "
                         "d=$(mktemp -d \"$b/yoloport.XXXXXXXX\") && echo \"@@yoloport workdir $d\"\n",
                         qbase);
    free(qbase);
    char *text, last[256];
    int rc = probe_host(job, h, tool_mask, gpu_index, mk, facts, &text, last, sizeof last, err, errlen);
    free(mk);
    if (rc != 0) return -1;
    const char *wd = strstr(text, "@@yoloport workdir ");
    if (!wd) {
        err_set(err, errlen, "%s: could not make a work directory there (mktemp -d): %s", h->name,
                last[0] ? last : "no answer");
        free(text);
        return -1;
    }
    wd += strlen("@@yoloport workdir ");
    snprintf(s->dir, sizeof s->dir, "%.*s", (int)strcspn(wd, "\n"), wd);
    free(text);
    if (s->dir[0] != '/') return err_set(err, errlen, "%s: the work directory '%s' is not absolute", h->name, s->dir);
    s->open = true;
    job_log(job, JOB_LOG_INFO, "%s: connected in %.1fs, work directory %s", h->name, facts->seconds, s->dir);
    return 0;
}

/* Run scp; 0 or -1 + message naming the host. */
static int run_scp(Job *job, RemoteSession *s, char **argv, const char *what, char *err, size_t errlen)
{
    Collect c = {0};
    JobSpawnOptions o = {.no_log = true, .on_line = collect_line, .on_line_user = &c, .stop_signal = SIGINT};
    JobSpawnResult res;
    char msg[512];
    int rc = job_spawn(job, argv, &o, &res, msg, sizeof msg);
    free(c.text.p);
    if (rc == 0) return 0;
    if (res.cancelled) return err_set(err, errlen, "%s", msg);
    return err_set(err, errlen, "%s: %s failed: %s", s->host.name, what, c.last_err[0] ? c.last_err : msg);
}

int remote_put(Job *job, RemoteSession *s, const char *local_path, char *err, size_t errlen)
{
    if (!s->open) return err_set(err, errlen, "%s: no work directory", s->host.name);
    const char *slash = strrchr(local_path, '/');
    const char *base = slash ? slash + 1 : local_path;
    char *dst = remote_path(&s->host, s->dir, base);
    bool dir = file_is_dir(local_path);
    char **argv = remote_scp_argv(&s->host, local_path, dst, dir);
    free(dst);
    char what[600];
    snprintf(what, sizeof what, "copying %s there", base);
    double t0 = now_seconds();
    int rc = run_scp(job, s, argv, what, err, errlen);
    remote_argv_free(argv);
    if (rc == 0) {
        int64_t bytes = path_size(local_path);
        job_log(job, JOB_LOG_INFO, "%s: copied %s there (%.1f MB, %.1fs)", s->host.name, base,
                bytes > 0 ? (double)bytes / (1 << 20) : 0.0, now_seconds() - t0);
    }
    return rc;
}

int remote_get(Job *job, RemoteSession *s, const char *name, const char *local_path, bool recursive, char *err,
               size_t errlen)
{
    if (!s->open) return err_set(err, errlen, "%s: no work directory", s->host.name);
    char *src = remote_path(&s->host, s->dir, name);
    char **argv = remote_scp_argv(&s->host, src, local_path, recursive);
    free(src);
    char what[600];
    snprintf(what, sizeof what, "copying %s back", name);
    double t0 = now_seconds();
    int rc = run_scp(job, s, argv, what, err, errlen);
    remote_argv_free(argv);
    if (rc != 0) {
        fileio_remove_tree(local_path);
        return -1;
    }
    int64_t bytes = path_size(local_path);
    job_log(job, JOB_LOG_INFO, "%s: copied %s back (%.1f MB, %.1fs)", s->host.name, name,
            bytes > 0 ? (double)bytes / (1 << 20) : 0.0, now_seconds() - t0);
    return 0;
}

typedef struct {
    const JobSpawnOptions *user;
    RemoteRunResult *res;
    char last_err[256];
} RunWatch;

static void watch_line(Job *job, bool is_stderr, const char *line, void *user)
{
    RunWatch *w = user;
    static const char mark[] = "yoloport-remote: exit ";
    if (is_stderr && !strncmp(line, mark, sizeof mark - 1)) {
        w->res->connected = true;
        w->res->exit_code = atoi(line + sizeof mark - 1);
    } else if (is_stderr && *line && strncmp(line, "yoloport-remote: ", 17) != 0) {
        snprintf(w->last_err, sizeof w->last_err, "%s", line);
    }
    if (w->user && w->user->on_line) w->user->on_line(job, is_stderr, line, w->user->on_line_user);
}

int remote_run(Job *job, RemoteSession *s, char *const argv[], const JobSpawnOptions *opt_in, RemoteRunResult *res_out,
               char *err, size_t errlen)
{
    RemoteRunResult local, *res = res_out ? res_out : &local;
    memset(res, 0, sizeof *res);
    const char *prog = argv && argv[0] ? argv[0] : "?";
    const char *slash = strrchr(prog, '/');
    const char *pname = slash ? slash + 1 : prog;
    if (!s->open) return err_set(err, errlen, "%s: no work directory", s->host.name);
    char *cmd = remote_wrapped_command(s->dir, s->host.path, argv);
    char **sargv = remote_ssh_argv(&s->host, cmd);
    free(cmd);
    RunWatch w = {.user = opt_in, .res = res};
    JobSpawnOptions o = {0};
    if (opt_in) o = *opt_in;
    o.stdin_pipe = true;      /* EOF there tells the remote watcher to stop the tool */
    o.stop_signal = SIGINT;   /* and the local ssh goes with SIGINT */
    o.on_line = watch_line;
    o.on_line_user = &w;
    JobSpawnResult sr;
    char msg[512];
    int rc = job_spawn(job, sargv, &o, &sr, msg, sizeof msg);
    remote_argv_free(sargv);
    res->ssh_status = sr.exited ? sr.exit_code : -1;
    snprintf(res->ssh_error, sizeof res->ssh_error, "%s", w.last_err);
    if (sr.cancelled) {
        res->cancelled = true;
        return err_set(err, errlen, "%s: cancelled", pname);
    }
    if (!sr.started) return err_set(err, errlen, "%s: %s (OpenSSH's ssh is needed for host=)", s->host.name, msg);
    if (!res->connected) {
        if (sr.signal) return err_set(err, errlen, "ssh to %s was killed by signal %d (%s)", s->host.name, sr.signal, strsignal(sr.signal));
        return err_set(err, errlen, "the connection to %s was lost before %s finished: %s", s->host.name, pname,
                       w.last_err[0] ? w.last_err : "ssh ended without the tool's exit status");
    }
    if (res->exit_code > 128 && res->exit_code < 128 + 65) res->signal = res->exit_code - 128;
    if (res->exit_code == 0 && rc == 0) return 0;
    if (res->exit_code == 127) return err_set(err, errlen, "%s: command not found on %s", pname, s->host.name);
    if (res->signal)
        return err_set(err, errlen, "%s was killed by signal %d (%s) on %s", pname, res->signal, strsignal(res->signal),
                       s->host.name);
    return err_set(err, errlen, "%s exited with status %d on %s", pname, res->exit_code, s->host.name);
}

void remote_close(RemoteSession *s)
{
    if (!s->open) return;
    s->open = false;
    if (!s->dir[0] || strstr(s->dir, "/yoloport.") == NULL) return; /* only what remote_open made */
    Vec v = {0};
    push(&v, "rm");
    push(&v, "-rf");
    push(&v, "--");
    push(&v, s->dir);
    char **rv = finish(&v);
    char *cmd = tools_command_text(rv);
    remote_argv_free(rv);
    char **argv = remote_ssh_argv(&s->host, cmd);
    free(cmd);
    char out[512];
    int st;
    tools_capture(argv, 30, out, sizeof out, &st);
    remote_argv_free(argv);
}

/* ---- checks host= ------------------------------------------------------------------------ */

char *remote_system_script(void)
{
    return xasprintf("T=; command -v timeout >/dev/null 2>&1 && T='timeout 20'\n"
                     "printf '@@yoloport sys os %%s\\n' \"$(uname -s -r -m 2>/dev/null)\"\n"
                     "printf '@@yoloport sys cpus %%s\\n' \"$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null)\"\n"
                     "m=$(grep -m 1 -e '^model name' -e '^Model' /proc/cpuinfo 2>/dev/null | cut -d: -f2-)\n"
                     "printf '@@yoloport sys cpu %%s\\n' \"$m\"\n"
                     "printf '@@yoloport sys mem %%s\\n' \"$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null)\"\n"
                     "if p=$(command -v yoloport 2>/dev/null); then printf '@@yoloport sys yoloport %%s\\n' \"$p\"; "
                     "printf '@@yoloport sys yoloport-version %%s\\n' \"$($T \"$p\" version 2>/dev/null </dev/null | head -n 1)\"; fi\n"
                     "echo '@@yoloport sys end'\n");
}

/* value (up to the end of its line) into buf: control characters dropped, spaces trimmed */
static void sys_value(const char *v, char *buf, size_t len)
{
    size_t n = 0;
    while (*v == ' ' || *v == '\t') v++;
    for (; *v && *v != '\n' && n + 1 < len; v++)
        if ((unsigned char)*v >= 0x20 && *v != 0x7f) buf[n++] = *v;
    while (n && buf[n - 1] == ' ') n--;
    buf[n] = '\0';
}

void remote_parse_system(const char *text, RemoteSystem *out)
{
    memset(out, 0, sizeof *out);
    static const char mark[] = "@@yoloport sys ";
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, mark, sizeof mark - 1) != 0) continue;
        const char *k = l + sizeof mark - 1;
        size_t kl = strcspn(k, " \n");
        const char *v = k[kl] == ' ' ? k + kl + 1 : k + kl;
        char val[512];
        sys_value(v, val, sizeof val);
#define KEY(s) (kl == sizeof(s) - 1 && !strncmp(k, s, kl))
        if (KEY("os")) snprintf(out->os, sizeof out->os, "%s", val);
        else if (KEY("cpu")) snprintf(out->cpu_model, sizeof out->cpu_model, "%s", val);
        else if (KEY("yoloport")) snprintf(out->yoloport, sizeof out->yoloport, "%s", val);
        else if (KEY("cpus")) {
            char *end;
            long c = strtol(val, &end, 10);
            out->cpu_count = (end != val && *end == '\0' && c > 0 && c <= 65536) ? (int)c : 0;
        } else if (KEY("mem")) {
            char *end;
            unsigned long long kb = strtoull(val, &end, 10);
            out->mem_total = (end != val && *end == '\0' && val[0] != '-' && kb < (1ull << 44)) ? kb * 1024 : 0;
        } else if (KEY("yoloport-version")) {
            /* "yoloport 0.1.0": the word after the name; anything else is not ours to show */
            if (!strncmp(val, "yoloport ", 9) && val[9])
                snprintf(out->yoloport_version, sizeof out->yoloport_version, "%.*s", (int)strcspn(val + 9, " "), val + 9);
        }
#undef KEY
    }
}

int remote_checks(Job *job, const RemoteHost *h, ToolFacts *facts, RemoteSystem *sys, char *err, size_t errlen)
{
    memset(sys, 0, sizeof *sys);
    char *script = remote_system_script(), *text;
    int rc = probe_host(job, h, TOOLS_ALL, 0, script, facts, &text, NULL, 0, err, errlen);
    free(script);
    if (rc != 0) return -1;
    remote_parse_system(text, sys);
    free(text);
    job_log(job, JOB_LOG_INFO, "%s: connected in %.1fs", h->name, facts->seconds);
    return 0;
}
