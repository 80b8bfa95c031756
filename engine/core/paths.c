/* paths: locate installed data relative to the executable (see paths.h). */
#include "engine/core/paths.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core/util.h"

#ifndef YOLOPORT_SHARE
#define YOLOPORT_SHARE "share"
#endif

static const char *exe_dir(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0) return NULL;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash) return NULL;
    *slash = '\0';
    return buf;
}

static void find_dirs(char *share, char *themes, size_t len)
{
    const char *env = getenv("YOLOPORT_SHARE");
    char dir[PATH_MAX];
    if (env && *env) {
        snprintf(share, len, "%s", env);
        snprintf(themes, len, "%s/../themes", env);
        char probe[PATH_MAX + 16];
        snprintf(probe, sizeof probe, "%s/themes", env);
        if (file_is_dir(probe)) snprintf(themes, len, "%s", probe);
        return;
    }
    if (exe_dir(dir, sizeof dir)) {
        char cand[PATH_MAX + 32];
        snprintf(cand, sizeof cand, "%s/../share/yoloport", dir);
        if (file_is_dir(cand)) {
            snprintf(share, len, "%s", cand);
            snprintf(themes, len, "%s/themes", cand);
            return;
        }
        for (int up = 1; up <= 2; up++) { /* build/yoloport and build/asan/yoloport */
            snprintf(cand, sizeof cand, "%s%s/share/models", dir, up == 1 ? "/.." : "/../..");
            if (file_is_dir(cand)) {
                snprintf(share, len, "%s%s/share", dir, up == 1 ? "/.." : "/../..");
                snprintf(themes, len, "%s%s/themes", dir, up == 1 ? "/.." : "/../..");
                return;
            }
        }
    }
    snprintf(share, len, "%s", YOLOPORT_SHARE);
    snprintf(themes, len, "%s/../themes", YOLOPORT_SHARE);
}

static char share_buf[PATH_MAX], themes_buf[PATH_MAX];
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

static void find_once(void)
{
    find_dirs(share_buf, themes_buf, sizeof share_buf);
}

/* Computed once, whichever thread asks first; the strings are constant afterwards. */
static void resolve(void)
{
    pthread_once(&resolved, find_once);
}

const char *paths_share_dir(void)
{
    resolve();
    return share_buf;
}

const char *paths_themes_dir(void)
{
    resolve();
    return themes_buf;
}

char *paths_share(const char *rel)
{
    return xasprintf("%s/%s", paths_share_dir(), rel);
}
