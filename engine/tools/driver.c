/* driver: one tool step of a job, here or on a remote host (see driver.h). */
#include "engine/tools/driver.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/fileio.h"
#include "engine/core/util.h"

static bool job_stop(void *job) { return job_cancelled(job); }

const char *tool_session_where(const ToolSession *ts) { return ts->remote ? ts->host.name : "this host"; }

const char *tool_session_path(const ToolSession *ts, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", ts->local_dir, name);
    return buf;
}

int tool_session_open(ToolSession *ts, Job *job, const RemoteHost *host, const char *near_path, unsigned tool_mask,
                      int gpu_index, char *err, size_t errlen)
{
    memset(ts, 0, sizeof *ts);
    ts->job = job;
    char *dir = fileio_temp_dir(near_path, err, errlen);
    if (!dir) return -1;
    job_add_temp(job, dir);
    snprintf(ts->local_dir, sizeof ts->local_dir, "%s", dir);
    free(dir);
    if (!host) {
        job_progress(job, "looking for tools", -1);
        tools_discover(&ts->facts, tool_mask, gpu_index, 20, job_stop, job);
        return 0;
    }
    ts->remote = true;
    ts->host = *host;
    job_progress(job, "connecting", -1);
    if (remote_open(job, host, tool_mask, gpu_index, &ts->rs, &ts->facts, err, errlen) != 0) return -1;
    return 0;
}

char *tool_session_command(const ToolSession *ts, char *const argv[])
{
    if (ts->remote) return remote_display_command(&ts->host, ts->rs.dir, argv);
    return tools_command_text(argv);
}

void tool_failure_text(const char *stage, const char *tool, int signal, const char *msg, char *err, size_t errlen)
{
    if (signal == SIGKILL)
        err_set(err, errlen, "%s: %s was killed by signal 9 (killed (out of memory?))", stage, tool);
    else
        err_set(err, errlen, "%s: %s", stage, msg);
}

/* Link an input into the local work directory under its base name (an absolute symlink:
 * nothing is copied). */
static int link_input(ToolSession *ts, const char *path, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dst[4096], abs_path[4096];
    snprintf(dst, sizeof dst, "%s/%s", ts->local_dir, base);
    if (!realpath(path, abs_path)) return err_set(err, errlen, "%s: %s", path, strerror(errno));
    unlink(dst);
    if (symlink(abs_path, dst) != 0) return err_set(err, errlen, "%s: cannot link it into %s: %s", path, ts->local_dir, strerror(errno));
    return 0;
}

int tool_session_run(ToolSession *ts, const ToolStep *step, ToolRunResult *res_out, char *err, size_t errlen)
{
    ToolRunResult local, *res = res_out ? res_out : &local;
    memset(res, 0, sizeof *res);
    Job *job = ts->job;
    const char *stage = step->stage ? step->stage : "tool";
    const char *tool = step->argv[0];
    char msg[1024];
    /* inputs */
    for (int i = 0; i < step->n_inputs; i++) {
        int rc = ts->remote ? remote_put(job, &ts->rs, step->inputs[i], msg, sizeof msg)
                            : link_input(ts, step->inputs[i], msg, sizeof msg);
        if (rc != 0) {
            res->cancelled = job_cancelled(job);
            return err_set(err, errlen, "%s: %s", stage, msg);
        }
    }
    /* the command, exactly */
    char *cmd = tool_session_command(ts, step->argv);
    if (ts->remote) job_log(job, JOB_LOG_INFO, "$ %s", cmd);
    else job_log(job, JOB_LOG_INFO, "$ %s    (in %s)", cmd, ts->local_dir);
    free(cmd);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s: ", tool);
    JobSpawnOptions o = {
        .cwd = ts->remote ? NULL : ts->local_dir,
        .log_prefix = step->log_prefix ? step->log_prefix : prefix,
        .stdout_level = JOB_LOG_INFO,
        .stderr_level = JOB_LOG_INFO,
        .timeout_s = step->timeout_s,
        .stop_signal = SIGINT,
        .quiet_warn_s = step->quiet_warn_s == 0 ? TOOL_QUIET_WARN_DEFAULT : step->quiet_warn_s < 0 ? 0 : step->quiet_warn_s,
        .on_line = step->on_line,
        .on_line_user = step->on_line_user,
    };
    double t0 = now_seconds();
    int rc;
    if (ts->remote) {
        RemoteRunResult rr;
        rc = remote_run(job, &ts->rs, step->argv, &o, &rr, msg, sizeof msg);
        res->started = rr.connected;
        res->exit_code = rr.exit_code;
        res->signal = rr.signal;
        res->cancelled = rr.cancelled;
        res->connection_lost = !rr.connected && !rr.cancelled;
    } else {
        JobSpawnResult sr;
        rc = job_spawn(job, step->argv, &o, &sr, msg, sizeof msg);
        res->started = sr.started;
        res->exit_code = sr.exit_code;
        res->signal = sr.signal;
        res->cancelled = sr.cancelled;
        if (!sr.started && !sr.cancelled && strstr(msg, "command not found")) {
            const char *why = NULL;
            int t = tools_find(tool);
            if (t >= 0) why = tools_about((ToolId)t);
            snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " (%s is not on PATH%s%s)", tool, why ? ": " : "",
                     why ? why : "");
        }
    }
    res->seconds = now_seconds() - t0;
    if (rc != 0) {
        tool_failure_text(stage, tool, res->cancelled ? 0 : res->signal, msg, err, errlen);
        return -1;
    }
    job_log(job, JOB_LOG_INFO, "%s: %s finished in %.1fs on %s", stage, tool, res->seconds, tool_session_where(ts));
    /* outputs into the local work directory */
    for (int i = 0; i < step->n_outputs; i++)
        if (tool_session_fetch(ts, stage, step->outputs[i], step->output_is_dir && step->output_is_dir[i], err, errlen) != 0) {
            res->cancelled = job_cancelled(job);
            return -1;
        }
    return 0;
}

int tool_session_fetch(ToolSession *ts, const char *stage, const char *name, bool is_dir, char *err, size_t errlen)
{
    char local_path[4200], msg[1024];
    tool_session_path(ts, name, local_path, sizeof local_path);
    if (!ts->remote) {
        if (!file_exists(local_path)) return err_set(err, errlen, "%s: the tool wrote no %s", stage, name);
        return 0;
    }
    char part[4300];
    snprintf(part, sizeof part, "%s/.%s.part", ts->local_dir, name);
    job_progress(ts->job, "copying back", -1);
    if (remote_get(ts->job, &ts->rs, name, part, is_dir, msg, sizeof msg) != 0) return err_set(err, errlen, "%s: %s", stage, msg);
    fileio_remove_tree(local_path);
    if (rename(part, local_path) != 0) {
        int e = errno;
        fileio_remove_tree(part);
        return err_set(err, errlen, "%s: %s: %s", stage, local_path, strerror(e));
    }
    return 0;
}

void tool_session_close(ToolSession *ts)
{
    if (ts->remote) remote_close(&ts->rs);
    if (ts->local_dir[0]) {
        fileio_remove_tree(ts->local_dir);
        job_release_temp(ts->job, ts->local_dir);
        ts->local_dir[0] = '\0';
    }
}
