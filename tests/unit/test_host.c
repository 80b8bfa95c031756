/* Tests for host facts: uname/cpuinfo, PATH lookup by stat (no spawning), the tool table, and
 * that every tool the matrix names is one the host module looks for. */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "engine/host/host.h"
#include "engine/matrix/matrix.h"
#include "tests/check.h"
#include "tui/matrix_render.h"

static char dir[256];

static void make_file(const char *name, const char *text, mode_t mode)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static void test_detect_basics(void)
{
    HostFacts h;
    host_detect(&h);
    struct utsname u;
    EXPECT(uname(&u) == 0);
    EXPECT_EQ_STR(h.arch, u.machine);
    EXPECT_EQ_STR(h.os, u.sysname);
    EXPECT(h.cpu_count >= 1);
    EXPECT(h.detect_ms >= 0);
    printf("# host_detect took %.3f ms: %s\n", h.detect_ms, host_summary(&h, (char[1024]){0}, 1024));
    char buf[1024];
    EXPECT_CONTAINS(host_summary(&h, buf, sizeof buf), u.machine);
    /* a tiny buffer is still terminated */
    char small[8];
    host_summary(&h, small, sizeof small);
    EXPECT(strlen(small) < sizeof small);
}

static void test_tool_table(void)
{
    EXPECT_EQ_INT(HOST_TOOL_COUNT, 12);
    EXPECT_EQ_STR(host_tool_name(HOST_TOOL_TRTEXEC), "trtexec");
    EXPECT_EQ_STR(host_tool_name(HOST_TOOL_MNNCONVERT), "MNNConvert");
    EXPECT_EQ_INT(host_tool_find("xcrun"), HOST_TOOL_XCRUN);
    EXPECT_EQ_INT(host_tool_find("nope"), -1);
    EXPECT(host_tool_name(HOST_TOOL_COUNT) == NULL);
    for (int t = 0; t < HOST_TOOL_COUNT; t++) EXPECT(*host_tool_about((HostTool)t));
}

static void test_which_and_path_tools(void)
{
    snprintf(dir, sizeof dir, "/tmp/yoloport-test-host-XXXXXX");
    if (!mkdtemp(dir)) {
        SKIP("mkdtemp failed");
        return;
    }
    /* nvidia-smi and trtexec would leave a marker if anything ran them. */
    char marker[300];
    snprintf(marker, sizeof marker, "%s/ran", dir);
    char script[400];
    snprintf(script, sizeof script, "#!/bin/sh\ntouch '%s'\nsleep 30\n", marker);
    make_file("trtexec", script, 0755);
    make_file("nvidia-smi", script, 0755);
    make_file("ovc", "not executable", 0644);
    char sub[300];
    snprintf(sub, sizeof sub, "%s/pnnx", dir);
    mkdir(sub, 0755); /* a directory is not a tool */

    char list[600], out[512];
    snprintf(list, sizeof list, "/nonexistent-yoloport::%s", dir);
    EXPECT(host_which("trtexec", list, out, sizeof out));
    char want[400];
    snprintf(want, sizeof want, "%s/trtexec", dir);
    EXPECT_EQ_STR(out, want);
    EXPECT(!host_which("ovc", list, out, sizeof out));
    EXPECT(!host_which("pnnx", list, out, sizeof out));
    EXPECT(!host_which("../trtexec", list, out, sizeof out));
    EXPECT(!host_which("trtexec", list, out, 4)); /* does not fit */

    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    setenv("PATH", list, 1);
    HostFacts h;
    host_detect(&h);
    if (saved) setenv("PATH", saved, 1);
    else unsetenv("PATH");
    free(saved);
    EXPECT_EQ_STR(h.tool_path[HOST_TOOL_TRTEXEC], want);
    EXPECT(host_tool_path(&h, "trtexec") != NULL);
    EXPECT(host_tool_path(&h, "ovc") == NULL);
    EXPECT(host_tool_path(&h, "pnnx") == NULL);
    EXPECT(host_tool_path(&h, "unknown") == NULL);
    EXPECT(h.nvidia_gpu); /* nvidia-smi on PATH counts */
    EXPECT(h.nvidia_smi[0] != '\0');
    char buf[1024];
    EXPECT_CONTAINS(host_summary(&h, buf, sizeof buf), "tools: trtexec");
    EXPECT_MSG(access(marker, F_OK) != 0, "host_detect ran a program");

    /* the matrix's "here" column from these facts */
    char err[512];
    Matrix *m = matrix_load("en", err, sizeof err);
    EXPECT_MSG(m != NULL, "%s", err);
    if (m) {
        MatrixLive live[32];
        matrix_live_init(live, matrix_option_count(m));
        live[4].status = MATRIX_RUN_PASSED;
        matrix_live_fill_avail(m, &h, live);
        EXPECT_EQ_INT(live[0].avail, MATRIX_AVAIL_SOURCE);
        EXPECT_EQ_INT(live[4].avail, MATRIX_AVAIL_TOOL);
        EXPECT_EQ_STR(live[4].tool, want);
        EXPECT_EQ_INT(live[4].status, MATRIX_RUN_PASSED); /* untouched */
        EXPECT(live[3].avail != MATRIX_AVAIL_TOOL);         /* ovc is not executable */
        EXPECT(live[13].avail != MATRIX_AVAIL_TOOL);        /* pnnx is a directory */
        char text[128];
        EXPECT_EQ_STR(matrix_live_avail_text(m, &live[4], text, sizeof text), "tool: trtexec");
        matrix_free(m);
    }

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("# could not remove %s\n", dir);
}

static void test_matrix_tools_are_known(void)
{
    char err[512];
    Matrix *m = matrix_load("en", err, sizeof err);
    EXPECT_MSG(m != NULL, "%s", err);
    if (!m) return;
    int seen[HOST_TOOL_COUNT] = {0};
    for (int i = 0; i < matrix_option_count(m); i++) {
        const MatrixOption *o = matrix_option(m, i);
        for (int t = 0; t < o->n_tools; t++) {
            int k = host_tool_find(o->tools[t]);
            EXPECT_MSG(k >= 0, "%s names unknown tool %s", o->name, o->tools[t]);
            if (k >= 0) seen[k]++;
        }
    }
    for (int t = 0; t < HOST_TOOL_COUNT; t++)
        EXPECT_MSG(seen[t] > 0, "no option uses %s", host_tool_name((HostTool)t));
    matrix_free(m);
}

int main(void)
{
    RUN(test_detect_basics);
    RUN(test_tool_table);
    RUN(test_which_and_path_tools);
    RUN(test_matrix_tools_are_known);
    return check_done();
}
