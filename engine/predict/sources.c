/* sources: image lists from source= and the run directory (see sources.h). */
#include "engine/predict/sources.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/util.h"

bool sources_is_image_name(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return false;
    return !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png");
}

static char *absolute(const char *p)
{
    if (p[0] == '/') return xstrdup(p);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return xstrdup(p);
    const char *q = p;
    while (q[0] == '.' && q[1] == '/') q += 2;
    return xasprintf("%s/%s", cwd, q);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void push(Vec *v, char *s) { vec_push(v, sizeof s, &s); }

int sources_list(const char *source, char ***paths, int *n, char *err, size_t errlen)
{
    *paths = NULL;
    *n = 0;
    if (!source || !*source) return err_set(err, errlen, "no source given: add source=IMAGE, a folder or a pattern");
    Vec v = {0};
    struct stat sb;
    if (strpbrk(source, "*?[") && stat(source, &sb) != 0) {
        glob_t g;
        int rc = glob(source, 0, NULL, &g);
        if (rc == 0)
            for (size_t i = 0; i < g.gl_pathc; i++)
                if (sources_is_image_name(g.gl_pathv[i]) && stat(g.gl_pathv[i], &sb) == 0 && S_ISREG(sb.st_mode))
                    push(&v, absolute(g.gl_pathv[i]));
        globfree(&g);
        if (v.len == 0) return err_set(err, errlen, "%s: the pattern matches no images (.jpg, .jpeg, .png)", source);
    } else if (stat(source, &sb) != 0) {
        return err_set(err, errlen, "%s: no such file or folder", source);
    } else if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(source);
        if (!d) return err_set(err, errlen, "%s: cannot read the folder: %s", source, strerror(errno));
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' || !sources_is_image_name(e->d_name)) continue;
            size_t sl = strlen(source);
            while (sl > 1 && source[sl - 1] == '/') sl--;
            char *p = xasprintf("%.*s/%s", (int)sl, source, e->d_name);
            if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) push(&v, absolute(p));
            free(p);
        }
        closedir(d);
        if (v.len == 0) return err_set(err, errlen, "%s: no images (.jpg, .jpeg, .png) in the folder", source);
    } else {
        push(&v, absolute(source));
    }
    qsort(v.items, v.len, sizeof(char *), cmp_str);
    *paths = v.items;
    *n = (int)v.len;
    return 0;
}

void sources_free(char **paths, int n)
{
    for (int i = 0; i < n; i++) free(paths[i]);
    free(paths);
}

static int mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

char *sources_run_dir(const char *project, const char *name, const char *task, const char *name_default,
                      bool exist_ok, char *err, size_t errlen)
{
    char proj[4096];
    if (project && *project) snprintf(proj, sizeof proj, "%s", project);
    else snprintf(proj, sizeof proj, "runs/%s", task && *task ? task : "detect");
    const char *nm = name && *name ? name : name_default;
    char *dir = xasprintf("%s/%s", proj, nm);
    struct stat sb;
    if (!exist_ok && stat(dir, &sb) == 0) {
        for (int k = 2; k < 10000; k++) {
            free(dir);
            dir = xasprintf("%s/%s%d", proj, nm, k);
            if (stat(dir, &sb) != 0) break;
        }
    }
    if (mkdirs(dir) != 0) {
        err_set(err, errlen, "%s: cannot create the folder: %s", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    return dir;
}
