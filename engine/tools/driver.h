/* driver: running an external tool as one step of a job, on this host or on a remote one
 * (engine/remote/remote.h) -- the same steps either way.
 *
 * A tool session is a work directory: on this host a temporary directory beside the
 * artifact (registered with the job, so a failed or cancelled job removes it), on a remote
 * host one made there over ssh.  A step names its inputs (local files or directories: linked
 * into the local work directory, copied into the remote one), its argument vector (relative
 * names of the work directory; argv[0] is looked up on the host's PATH) and its outputs
 * (names the tool writes there).  After a step the outputs are in the local work directory:
 * a remote output comes back under a temporary name and is renamed there only once complete.
 *
 * The tool runs in its own process group with its stdout and stderr streamed into the job's
 * log line by line; before it runs the exact command is logged ("$ trtexec --onnx=..."),
 * quoted for a POSIX shell so it can be copied and rerun by hand.  Cancel sends SIGINT, then
 * SIGKILL to the group after the runner's grace period; a tool silent for quiet_warn_s gets a
 * warning.  Failures name the step's stage: "TensorRT build: trtexec exited with status 1",
 * "TensorRT build: trtexec was killed by signal 9 (killed (out of memory?))".
 *
 *   ToolSession ts;
 *   tool_session_open(&ts, job, host_or_NULL, near_path, TOOL_BIT(TOOL_TRTEXEC) | ..., gpu, err)
 *   ts.facts                                     what the host has (tools, versions, GPU)
 *   tool_session_run(&ts, &step, &res, err)      inputs in, tool run, outputs back
 *   tool_session_path(&ts, "yolov8n.engine", buf) the output's local path
 *   tool_session_close(&ts)                      local and remote work directories removed
 */
#ifndef YOLOPORT_DRIVER_H
#define YOLOPORT_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/jobs/jobs.h"
#include "engine/remote/remote.h"
#include "engine/tools/tools.h"

#define TOOL_QUIET_WARN_DEFAULT 60.0 /* seconds without a line before the warning */

typedef struct {
    Job *job;
    bool remote;              /* on host (below), else on this machine */
    RemoteHost host;
    RemoteSession rs;
    char local_dir[4096];     /* the local work directory ("" until opened) */
    ToolFacts facts;          /* what the host has */
} ToolSession;

typedef struct {
    const char *stage;        /* named in failures: "TensorRT build" */
    char *const *argv;        /* argv[0]: the tool's name; other words name work-directory files */
    const char *const *inputs;/* local paths placed in the work directory under their base names */
    int n_inputs;
    const char *const *outputs; /* names the tool writes in the work directory */
    int n_outputs;
    const bool *output_is_dir;  /* per output (may be NULL: files) */
    const char *log_prefix;   /* before every line of the tool's output: "trtexec: "; NULL: argv[0] + ": " */
    double quiet_warn_s;      /* 0: TOOL_QUIET_WARN_DEFAULT; < 0: never warn */
    double timeout_s;         /* > 0: stop it after that long */
    /* optional, sees every line of the tool's output */
    void (*on_line)(Job *job, bool is_stderr, const char *line, void *user);
    void *on_line_user;
} ToolStep;

typedef struct {
    bool started;
    int exit_code;
    int signal;
    bool cancelled;
    bool connection_lost;     /* remote: ssh lost the host before the tool's status came back */
    double seconds;
} ToolRunResult;

/* Open a session for job: host NULL = this machine (the work directory is made beside
 * near_path, e.g. the artifact's final path), else that host over ssh.  The tools in
 * tool_mask (and the GPU, device gpu_index, when TOOL_BIT(TOOL_NVIDIA_SMI) is in it) are
 * discovered there into ts->facts.  0, or -1 + a message. */
int tool_session_open(ToolSession *ts, Job *job, const RemoteHost *host, const char *near_path, unsigned tool_mask,
                      int gpu_index, char *err, size_t errlen);

/* Run one step (see above).  0 when the tool exited with status 0 and every output is in
 * the local work directory; otherwise -1 + "<stage>: <what happened>". */
int tool_session_run(ToolSession *ts, const ToolStep *step, ToolRunResult *res, char *err, size_t errlen);

/* Bring a work-directory output into the local work directory (remote: copied back under a
 * temporary name, renamed once complete; here: it must exist).  0 or -1 + message. */
int tool_session_fetch(ToolSession *ts, const char *stage, const char *name, bool is_dir, char *err, size_t errlen);

/* The local path of a work-directory name, into buf.  Returns buf. */
const char *tool_session_path(const ToolSession *ts, const char *name, char *buf, size_t len);

/* The exact command of a step as the log shows it: "trtexec --onnx=yolov8n.onnx ..." here,
 * "ssh gpu-box 'cd /tmp/yoloport.x && trtexec ...'" on a remote host.  Heap string. */
char *tool_session_command(const ToolSession *ts, char *const argv[]);

/* Where the step runs, for messages: "this host" or the host's name. */
const char *tool_session_where(const ToolSession *ts);

/* Remove the local and remote work directories (idempotent; safe after a cancel). */
void tool_session_close(ToolSession *ts);

/* A spawn failure as the driver reports it: "<stage>: <tool> was killed by signal 9
 * (killed (out of memory?))" for SIGKILL, the job_spawn/remote_run text otherwise. */
void tool_failure_text(const char *stage, const char *tool, int signal, const char *msg, char *err, size_t errlen);

#endif
