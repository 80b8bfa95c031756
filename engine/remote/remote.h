/* remote: running the tool-driven part of a job on another machine through the user's own
 * OpenSSH -- their `ssh` and `scp`, their keys, agent and ~/.ssh/config, in BatchMode (never
 * a password prompt), every command an argument vector.
 *
 * A session is a temporary work directory on the host:
 *   RemoteSession s;
 *   remote_open(job, &host, tool_mask, gpu, &s, &facts, err)   probe tools + GPU, mktemp -d
 *   remote_put(job, &s, "/local/yolov8n.onnx", err)            scp into the work directory
 *   remote_run(job, &s, argv, &opt, &res, err)                 the tool runs there, streamed
 *   remote_get(job, &s, "yolov8n.engine", "/local/tmp", err)   scp back under a temporary name
 *   remote_close(&s)                                           rm -rf the work directory
 *
 * remote_run starts the tool under `setsid` in its own process group on the host, records
 * the group's id, and keeps a watcher there reading the session's stdin: when yoloport
 * cancels (the local ssh gets EOF on stdin and SIGINT) or the connection drops, the watcher
 * sends the group SIGINT, then SIGKILL two seconds later (at once for what is left in the
 * group when the tool itself has exited), so nothing is left running.  Its
 * stdout and stderr come back line by line into the job's log.  Lines the wrapper adds
 * start with "yoloport-remote: " (the process group, the exit status).
 *
 * Hosts come from `host=` (user@box, box, user@box:port) or from named hosts in the config
 * file (remote_hosts_set: "host.gpu-box = user@10.0.0.7", "host.gpu-box.port = 2222", ...). */
#ifndef YOLOPORT_REMOTE_H
#define YOLOPORT_REMOTE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/jobs/jobs.h"
#include "engine/tools/tools.h"

#define REMOTE_HOSTS_MAX 32

typedef struct RemoteHost {
    char name[64];           /* the config name, or the destination when given literally */
    char destination[256];   /* what ssh connects to: "user@10.0.0.7", "gpu-box" */
    int port;                /* 0: ssh's own (config or 22) */
    char ssh_config[1024];   /* ssh -F FILE; "" = the user's ~/.ssh/config */
    char identity[1024];     /* ssh -i FILE; "" = the user's keys and agent */
    char workdir[1024];      /* where work directories are made; "" = $TMPDIR or /tmp there */
    char path[1024];         /* prepended to PATH there (/usr/src/tensorrt/bin); "" = none */
} RemoteHost;

typedef struct RemoteHosts {
    RemoteHost items[REMOTE_HOSTS_MAX];
    int n;
} RemoteHosts;

/* Apply one config setting: key "host.NAME" (the destination) or "host.NAME.FIELD" with
 * FIELD one of port, ssh_config, identity, workdir, path.  0, or -1 + a message. */
int remote_hosts_set(RemoteHosts *hosts, const char *key, const char *value, char *err, size_t errlen);

/* The host a `host=` value means: a configured name, else a literal [user@]host[:port]
 * (letters, digits, '.', '-', '_'; never starting with '-').  0, or -1 + a message. */
int remote_resolve(const RemoteHosts *hosts, const char *spec, RemoteHost *out, char *err, size_t errlen);

/* Is spec a well-formed host= value (a name or a literal destination)?  Messages as above. */
bool remote_spec_valid(const char *spec, char *err, size_t errlen);

/* The ssh argument vector that runs remote_command on h (BatchMode, keep-alives, the host's
 * -F/-p/-i), NULL-terminated; free with remote_argv_free. */
char **remote_ssh_argv(const RemoteHost *h, const char *remote_command);
/* The scp argument vector copying src to dst (one of them "host:path"; -r for directories). */
char **remote_scp_argv(const RemoteHost *h, const char *src, const char *dst, bool recursive);
void remote_argv_free(char **argv);

/* What the user could type to rerun argv by hand on h in dir:
 * "ssh gpu-box 'cd /tmp/yoloport.abc && trtexec --onnx=yolov8n.onnx ...'" (dir NULL: no cd).
 * Heap string. */
char *remote_display_command(const RemoteHost *h, const char *dir, char *const argv[]);

/* The command string remote_run sends: argv run in dir under the process-group wrapper
 * (see above), path_prepend before PATH.  Heap string (exposed for tests). */
char *remote_wrapped_command(const char *dir, const char *path_prepend, char *const argv[]);

typedef struct {
    RemoteHost host;
    char dir[1024];          /* the work directory there, "" until opened */
    bool open;
} RemoteSession;

/* Connect, learn what the host has (tools in tool_mask with versions, the GPU: see
 * engine/tools/tools.h) into *facts, and make the work directory.  Logs one line saying
 * what was found.  0, or -1 + a message ("gpu-box: ssh: connect to host ... refused"). */
int remote_open(Job *job, const RemoteHost *h, unsigned tool_mask, int gpu_index, RemoteSession *s, ToolFacts *facts,
                char *err, size_t errlen);

/* Copy a local file or directory into the work directory (same base name).  0 or -1. */
int remote_put(Job *job, RemoteSession *s, const char *local_path, char *err, size_t errlen);

/* Copy `name` (file or directory) from the work directory to local_path, which should be
 * a temporary name the caller renames into place once this returned 0.  -1 + a message
 * (local_path is then removed). */
int remote_get(Job *job, RemoteSession *s, const char *name, const char *local_path, bool recursive, char *err,
               size_t errlen);

typedef struct {
    bool connected;       /* the wrapper ran (its exit line came back) */
    int exit_code;        /* the tool's exit status (when connected) */
    int signal;           /* the signal that ended it, from a status above 128 */
    bool cancelled;
    int ssh_status;       /* ssh's own exit status (255: connection failure) */
    char ssh_error[256];  /* ssh's last error line when the connection failed */
} RemoteRunResult;

/* Run argv in the work directory, streaming its output into the job's log through opt
 * (log_prefix, levels, on_line, quiet_warn_s; stdin and stop_signal are set here).  Returns
 * 0 when the tool exited with status 0; otherwise -1 + a message: "trtexec exited with
 * status 1", "trtexec was killed by signal 9 (Killed)", "trtexec: cancelled", "the
 * connection to gpu-box was lost: <ssh's message>". */
int remote_run(Job *job, RemoteSession *s, char *const argv[], const JobSpawnOptions *opt, RemoteRunResult *res,
               char *err, size_t errlen);

/* Remove the work directory (also after a cancel: it does not use the job).  Idempotent. */
void remote_close(RemoteSession *s);

/* ---- `checks host=`: what the host is ------------------------------------------------ */

typedef struct {
    char os[160];                /* `uname -s -r -m` there: "Linux 6.1.0-18-amd64 x86_64" */
    char cpu_model[160];         /* /proc/cpuinfo's first "model name" ("" when it has none) */
    int cpu_count;               /* `nproc` there; 0 when unknown */
    unsigned long long mem_total; /* bytes, from /proc/meminfo; 0 when unknown */
    char yoloport[512];          /* yoloport on PATH there ("" when not) */
    char yoloport_version[64];   /* what its `version` printed ("0.1.0"); "" when it did not say */
} RemoteSystem;

/* The shell script that prints those facts as "@@yoloport sys KEY VALUE" lines (exposed for
 * tests), and the parser of its output.  The parser trusts nothing: values are cut to their
 * fields, control characters dropped, numbers range-checked; what is missing stays empty. */
char *remote_system_script(void);
void remote_parse_system(const char *text, RemoteSystem *out);

/* Everything `checks host=` shows, over one ssh connection: the tools, their versions and
 * the GPU (the probe remote_open runs) and remote_system_script()'s facts; no work directory
 * is made.  0, or -1 + a message (the connection failed, the job was cancelled). */
int remote_checks(Job *job, const RemoteHost *h, ToolFacts *facts, RemoteSystem *sys, char *err, size_t errlen);

#endif
