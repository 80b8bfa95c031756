/* Fifty real exports at once through the job runner, half of them cancelled while they
 * run: every job ends done or cancelled, no temporary file is left, no child process is
 * left unreaped, and (this program is also built with ThreadSanitizer) no data race.
 * The model is the built-in yolov8n.yaml at imgsz 64 so that each export, with its
 * numeric check, takes a moment even under the sanitizers. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/export/export.h"
#include "engine/core/fileio.h"
#include "engine/jobs/jobs.h"
#include "tests/check.h"
#include "tests/export_fixture.h"


#define N_EXPORTS 50


static void test_fifty_exports_half_cancelled(void)
{
    JobRunnerOptions ro = {.workers = 8};
    JobRunner *runner = jobs_new(&ro);
    ExportRun *runs[N_EXPORTS];
    Job *jobs[N_EXPORTS];
    for (int i = 0; i < N_EXPORTS; i++) {
        ExportArgs a;
        export_args_init(&a);
        ExportMsgs m;
        export_msgs_clear(&m);
        const char *w[] = {"model=yolov8n.yaml", "format=onnx", "imgsz=64", i % 4 == 1 ? "half=True" : "simplify=True"};
        EXPECT_EQ_INT(export_args_parse_argv(&a, 4, (char *const *)w, &m), 0);
        runs[i] = export_run_new(&a, false);
        jobs[i] = export_submit(runner, runs[i]);
    }
    /* cancel every odd job once it is running (or right away if it already finished) */
    int cancelled_running = 0;
    for (int i = 1; i < N_EXPORTS; i += 2) {
        for (int spin = 0; spin < 20000 && job_state(jobs[i]) == JOB_QUEUED; spin++) usleep(1000);
        if (job_state(jobs[i]) == JOB_RUNNING) cancelled_running++;
        job_cancel(jobs[i]);
    }
    int done = 0, cancelled = 0, other = 0;
    for (int i = 0; i < N_EXPORTS; i++) {
        JobState st = job_wait(jobs[i], 0, NULL, NULL, NULL);
        if (st == JOB_DONE) done++;
        else if (st == JOB_CANCELLED) cancelled++;
        else {
            other++;
            printf("# job %d ended in state %d: %s\n", i, (int)st, runs[i]->error);
        }
        if (i % 2 == 0) EXPECT_MSG(st == JOB_DONE, "job %d: state %d (%s)", i, (int)st, runs[i]->error);
    }
    jobs_free(runner);
    for (int i = 0; i < N_EXPORTS; i++) export_run_free(runs[i]);
    printf("# %d done, %d cancelled (%d of them while running), %d other\n", done, cancelled, cancelled_running,
           other);
    EXPECT_EQ_INT(other, 0);
    EXPECT(done >= N_EXPORTS / 2);
    EXPECT(cancelled_running >= 10);
    EXPECT_EQ_INT(count_temporaries("."), 0);
    EXPECT(file_exists("yolov8n.onnx"));
    /* no child process of ours is left, reaped or not */
    errno = 0;
    EXPECT(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

int main(void)
{
    char share[PATH_MAX], tmpdir[PATH_MAX];
    if (!getenv("YOLOPORT_SHARE") && realpath("share", share)) setenv("YOLOPORT_SHARE", share, 1);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/yoloport-test-jobs-exports-XXXXXX");
    if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0) {
        printf("FAIL setup: cannot make a temporary directory\n");
        return 1;
    }
    RUN(test_fifty_exports_half_cancelled);
    if (chdir("/") == 0) fileio_remove_tree(tmpdir);
    return check_done();
}
