/* fileio: atomic writes through one lowest write call, stale temporaries, and opening and
 * reading the files a model is made of as files (see fileio.h). */
#include "engine/core/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/membudget.h"
#include "engine/core/util.h"

/* Fault injection for tests: total bytes allowed before ENOSPC (-1 = unlimited). */
static atomic_llong fault_budget = -2; /* -2: not read from the environment yet */

static long long fault_limit(void)
{
    long long v = atomic_load(&fault_budget);
    if (v == -2) {
        const char *env = getenv("YOLOPORT_FAULT_WRITE_AFTER");
        long long want = env && *env ? strtoll(env, NULL, 10) : -1;
        long long expected = -2;
        atomic_compare_exchange_strong(&fault_budget, &expected, want);
        v = atomic_load(&fault_budget);
    }
    return v;
}

int fileio_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        size_t chunk = len;
        if (fault_limit() >= 0) {
            long long left = atomic_load(&fault_budget);
            if (left <= 0) {
                errno = ENOSPC;
                return -1;
            }
            if ((long long)chunk > left) chunk = (size_t)left;
            atomic_fetch_sub(&fault_budget, (long long)chunk);
        }
        ssize_t n = write(fd, p, chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* "<dir>/.<base>.<tag>.<pid>.XXXXXX": a name beside path that says what it is and whose it
 * is (fileio_clean_stale recognises it).  base is cut (at a UTF-8 boundary) so that the
 * whole name fits NAME_MAX whatever the final name's length. */
static char *side_name(const char *path, const char *tag)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    char tail[64];
    int tl = snprintf(tail, sizeof tail, ".%s.%ld.XXXXXX", tag, (long)getpid());
    size_t room = NAME_MAX - 1 - (size_t)tl, bl = strlen(base);
    if (bl > room) {
        bl = room;
        while (bl > 0 && ((unsigned char)base[bl] & 0xc0) == 0x80) bl--; /* not inside a character */
    }
    return xasprintf("%.*s.%.*s%s", (int)dirlen, path, (int)bl, base, tail);
}

static char *temp_name(const char *path) { return side_name(path, "tmp"); }

AtomicFile *fileio_open_atomic(const char *path, char *err, size_t errlen)
{
    char *tmp = temp_name(path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        const char *slash = strrchr(path, '/');
        char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
        err_set(err, errlen, "%s: cannot write in %s: %s", path, dir, strerror(e));
        free(dir);
        free(tmp);
        return NULL;
    }
    fchmod(fd, 0644);
    AtomicFile *f = xcalloc(1, sizeof *f);
    f->fd = fd;
    f->path = xstrdup(path);
    f->tmp_path = tmp;
    return f;
}

static void atomic_free(AtomicFile *f)
{
    free(f->path);
    free(f->tmp_path);
    free(f);
}

void fileio_abort(AtomicFile *f)
{
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    unlink(f->tmp_path);
    atomic_free(f);
}

int fileio_commit(AtomicFile *f, char *err, size_t errlen)
{
    int rc = 0;
    if (fsync(f->fd) != 0 && errno != EINVAL) {
        rc = err_set(err, errlen, "%s: cannot flush: %s", f->path, strerror(errno));
    }
    if (close(f->fd) != 0 && rc == 0) rc = err_set(err, errlen, "%s: write error: %s", f->path, strerror(errno));
    f->fd = -1;
    if (rc == 0 && rename(f->tmp_path, f->path) != 0)
        rc = err_set(err, errlen, "%s: cannot rename into place: %s", f->path, strerror(errno));
    if (rc != 0) unlink(f->tmp_path);
    atomic_free(f);
    return rc;
}

int fileio_write_atomic(const char *path, const void *buf, size_t len, char *err, size_t errlen)
{
    AtomicFile *f = fileio_open_atomic(path, err, errlen);
    if (!f) return -1;
    if (fileio_write_all(f->fd, buf, len) != 0) {
        err_set(err, errlen, "%s: write failed: %s", path, strerror(errno));
        fileio_abort(f);
        return -1;
    }
    return fileio_commit(f, err, errlen);
}

char *fileio_temp_dir(const char *final_dir, char *err, size_t errlen)
{
    size_t n = strlen(final_dir);
    while (n > 1 && final_dir[n - 1] == '/') n--;
    char *trimmed = xstrndup(final_dir, n);
    char *tmpl = temp_name(trimmed);
    free(trimmed);
    if (!mkdtemp(tmpl)) {
        err_set(err, errlen, "%s: cannot create a temporary directory beside it: %s", final_dir, strerror(errno));
        free(tmpl);
        return NULL;
    }
    return tmpl;
}

int fileio_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) return unlink(path);
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *child = xasprintf("%s/%s", path, e->d_name);
        if (fileio_remove_tree(child) != 0) rc = -1;
        free(child);
    }
    closedir(d);
    if (rmdir(path) != 0) rc = -1;
    return rc;
}

/* name with every run of digits as one '#': "group1-shard4of4.bin" -> "group#-shard#of#.bin",
 * so that an export of the same kind with another shard count is recognised as one. */
#define PROVENANCE_SUFFIX ".provenance.json" /* engine/bench/provenance.c's records */

static char *name_shape(const char *name)
{
    char *out = xmalloc(strlen(name) + 1), *o = out;
    for (const char *p = name; *p;) {
        if (*p >= '0' && *p <= '9') {
            *o++ = '#';
            while (*p >= '0' && *p <= '9') p++;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* Does dir hold nothing but what an export like `like` holds: regular files named as its
 * files are (the same names, shard numbers aside), benchmark's provenance records of such
 * files, and folders named as its folders, holding the same in turn?  0, or -1 + a message naming the first entry that says otherwise. */
static int only_export_files(const char *dir, const char *like, int depth, char *err, size_t errlen)
{
    StrMap shapes = {0}; /* name shape -> 1 a file, 2 a folder */
    Arena *a = arena_new();
    shapes.arena = a;
    DIR *d = opendir(like);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        char *theirs = xasprintf("%s/%s", like, e->d_name), *sh = name_shape(e->d_name);
        if (lstat(theirs, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
            strmap_put(&shapes, sh, S_ISDIR(st.st_mode) ? 2 : 1);
        free(theirs);
        free(sh);
    }
    if (d) closedir(d);
    d = opendir(dir);
    int rc = d ? 0 : err_set(err, errlen, "%s: %s", dir, strerror(errno));
    for (struct dirent *e; rc == 0 && d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        char *mine = xasprintf("%s/%s", dir, e->d_name), *sh = name_shape(e->d_name);
        int kind = lstat(mine, &st) != 0 ? 0 : S_ISREG(st.st_mode) ? 1 : S_ISDIR(st.st_mode) ? 2 : 0;
        int want = strmap_get(&shapes, sh);
        size_t nl = strlen(sh), sl = strlen(PROVENANCE_SUFFIX);
        if (kind == 1 && want < 0 && sh[0] == '.' && nl > 1 + sl && !strcmp(sh + nl - sl, PROVENANCE_SUFFIX)) {
            /* benchmark's record of a file the export writes (".x.tflite.provenance.json") */
            sh[nl - sl] = '\0';
            if (strmap_get(&shapes, sh + 1) == 1) want = 1;
        }
        if (kind == 2 && want == 2 && depth < 8) {
            /* a folder an export also writes (a SavedModel's variables/): the same rule inside */
            char *theirs = NULL;
            DIR *ld = opendir(like);
            for (struct dirent *le; ld && !theirs && (le = readdir(ld));) {
                char *lsh = name_shape(le->d_name);
                if (!strcmp(lsh, sh)) theirs = xasprintf("%s/%s", like, le->d_name);
                free(lsh);
            }
            if (ld) closedir(ld);
            rc = theirs ? only_export_files(mine, theirs, depth + 1, err, errlen) : -1;
            free(theirs);
        } else if (kind == 0 || kind != want) {
            rc = err_set(err, errlen, "%s: holds %s%s, which an export does not write: it is not replaced (move "
                         "that away, or remove the folder, and export again)", dir, e->d_name,
                         kind == 0 ? " (not a plain file)" : kind == 2 ? " (a folder)" : "");
        }
        free(mine);
        free(sh);
    }
    if (d) closedir(d);
    strmap_free(&shapes);
    arena_free(a);
    return rc;
}

int fileio_commit_dir(const char *tmp_dir, const char *final_dir, char *err, size_t errlen)
{
    char *old = NULL;
    struct stat st;
    if (lstat(final_dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return err_set(err, errlen, "%s: is %s, not a previous export: it is not replaced", final_dir,
                           S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
        if (only_export_files(final_dir, tmp_dir, 0, err, errlen) != 0) return -1;
        /* moved aside under a name fileio_clean_stale recognises, should this process die */
        old = side_name(final_dir, "old");
        if (!mkdtemp(old) || rename(final_dir, old) != 0) {
            int e = errno;
            rmdir(old);
            free(old);
            return err_set(err, errlen, "%s: cannot move the previous export aside: %s", final_dir, strerror(e));
        }
    }
    if (rename(tmp_dir, final_dir) != 0) {
        int e = errno;
        if (old) rename(old, final_dir); /* put the previous one back */
        free(old);
        return err_set(err, errlen, "%s: cannot rename into place: %s", final_dir, strerror(e));
    }
    if (old) {
        fileio_remove_tree(old);
        free(old);
    }
    return 0;
}

/* ---- opening files a model is made of ---- */

static const char *kind_text(mode_t m)
{
    return S_ISDIR(m) ? "is a directory, not a file" : S_ISFIFO(m) ? "is a FIFO, not a file"
           : S_ISCHR(m) || S_ISBLK(m) ? "is a device, not a file" : S_ISSOCK(m) ? "is a socket, not a file"
           : "is not a regular file";
}

/* fd opened with O_NONBLOCK: a regular file made blocking again, else closed with a message. */
static int finish_regular(int fd, const char *shown, struct stat *st_out, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return err_set(err, errlen, "%s: %s", shown, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(err, errlen, "%s: %s", shown, kind_text(st.st_mode));
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    if (st_out) *st_out = st;
    return fd;
}

int fileio_open_regular(const char *path, struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return err_set(err, errlen, "%s: %s", path, strerror(errno));
    return finish_regular(fd, path, st, err, errlen);
}

int fileio_open_beside(const char *dir, const char *rel, struct stat *st, char *err, size_t errlen)
{
    char *shown = xasprintf("%s/%s", dir, rel ? rel : "");
    int rc = -1;
    if (!rel || !*rel || rel[0] == '/') {
        err_set(err, errlen, "%s: not a path inside the model's folder", shown);
        free(shown);
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        err_set(err, errlen, "%s: %s", dir, strerror(errno));
        free(shown);
        return -1;
    }
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        char comp[256];
        if (n >= sizeof comp) {
            err_set(err, errlen, "%s: a name in the path is too long", shown);
            break;
        }
        memcpy(comp, p, n);
        comp[n] = '\0';
        if (!strcmp(comp, "..")) {
            err_set(err, errlen, "%s: leaves the model's folder", shown);
            break;
        }
        if (slash && (n == 0 || !strcmp(comp, "."))) { /* "a//b", "./b" */
            p = slash + 1;
            continue;
        }
        int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (slash ? O_DIRECTORY : O_NONBLOCK | O_NOCTTY);
        int fd = openat(dfd, comp, flags);
        if (fd < 0) {
            int e = errno;
            struct stat ls;
            if ((e == ELOOP || e == ENOTDIR) && fstatat(dfd, comp, &ls, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(ls.st_mode))
                err_set(err, errlen, "%s: %s%sis a symbolic link (a model's files are read inside its folder, "
                        "never through a link)", shown, slash ? comp : "", slash ? " " : "");
            else
                err_set(err, errlen, "%s: %s", shown, strerror(e));
            break;
        }
        close(dfd);
        dfd = -1;
        if (!slash) {
            rc = finish_regular(fd, shown, st, err, errlen);
            break;
        }
        dfd = fd;
        p = slash + 1;
    }
    if (dfd >= 0) close(dfd);
    free(shown);
    return rc;
}

/* ---- reading a model's files ---- */

size_t fileio_read_head(int fd, void *buf, size_t len)
{
    size_t n = 0;
    while (fd >= 0 && n < len) {
        ssize_t r = read(fd, (char *)buf + n, len - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    if (fd >= 0) close(fd);
    return n;
}

uint8_t *fileio_read_fd(int fd, const struct stat *st, size_t max, const char *shown, size_t *len, char *err,
                        size_t errlen)
{
    if ((uint64_t)st->st_size > max) {
        close(fd);
        err_set(err, errlen, "%s: file is too large (%lld bytes)", shown, (long long)st->st_size);
        return NULL;
    }
    size_t n = (size_t)st->st_size, got = 0;
    uint8_t *buf = membudget_alloc((uint64_t)n + 1, shown, NULL, err, errlen);
    if (!buf) {
        close(fd);
        return NULL;
    }
    while (got < n) { /* exactly the size fstat gave: a file that grows is not read further */
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != n) {
        membudget_free(buf);
        err_set(err, errlen, "%s: short read (%zu of %zu bytes)", shown, got, n);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

uint8_t *fileio_read_beside(const char *dir, const char *name, size_t max, size_t *len, bool *absent, char *err,
                            size_t errlen)
{
    *absent = false;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat ls;
    if (dfd >= 0 && fstatat(dfd, name, &ls, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
        close(dfd);
        *absent = true;
        return NULL;
    }
    if (dfd >= 0) close(dfd);
    struct stat st;
    int fd = fileio_open_beside(dir, name, &st, err, errlen);
    if (fd < 0) return NULL;
    char *shown = xasprintf("%s/%s", dir, name);
    uint8_t *buf = fileio_read_fd(fd, &st, max, shown, len, err, errlen);
    free(shown);
    return buf;
}

/* ---- stale temporaries ---- */

/* Is name ".<anything>.<tag>.<pid>.XXXXXX" with tag tmp or old?  *pid receives the pid. */
static bool side_pattern(const char *name, long *pid)
{
    size_t n = strlen(name);
    if (n < 16 || name[0] != '.') return false;
    const char *x = name + n - 7; /* ".XXXXXX" */
    if (*x != '.') return false;
    for (int i = 1; i <= 6; i++)
        if (!((x[i] >= 'a' && x[i] <= 'z') || (x[i] >= 'A' && x[i] <= 'Z') || (x[i] >= '0' && x[i] <= '9'))) return false;
    const char *p = x;
    while (p > name && p[-1] >= '0' && p[-1] <= '9') p--;
    if (p == x || p - name < 6 || p[-1] != '.' || (x - p) > 10) return false;
    if (strncmp(p - 5, ".tmp.", 5) && strncmp(p - 5, ".old.", 5)) return false;
    if (p - 5 == name) return false; /* no base name */
    *pid = strtol(p, NULL, 10);
    return *pid > 0;
}

int fileio_clean_stale(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    uid_t me = getuid();
    for (struct dirent *e; (e = readdir(d));) {
        long pid;
        if (!side_pattern(e->d_name, &pid) || pid == (long)getpid()) continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        /* ours to remove only when provably ours and orphaned: our name pattern, our owner,
         * and its process gone (kill(pid, 0) says no such process) */
        if (lstat(p, &st) == 0 && st.st_uid == me && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) &&
            kill((pid_t)pid, 0) != 0 && errno == ESRCH && fileio_remove_tree(p) == 0)
            removed++;
        free(p);
    }
    closedir(d);
    return removed;
}
