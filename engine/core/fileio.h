/* fileio: writing files so that nothing the user already had is lost to a half-written
 * one.  Data goes to a temporary name in the destination directory and is renamed into
 * place only when complete; on any error the temporary is removed and the old file stays.
 *
 * Every byte yoloport writes to an artifact goes through fileio_write_all(), the one
 * lowest write call.  For tests, YOLOPORT_FAULT_WRITE_AFTER=N makes it fail with ENOSPC
 * once N bytes have been written by this process (disk-full simulation). */
#ifndef YOLOPORT_FILEIO_H
#define YOLOPORT_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Write len bytes to fd, retrying on EINTR/short writes.  0 or -1 with errno set. */
int fileio_write_all(int fd, const void *buf, size_t len);

/* Write buf to path atomically (temp + fsync + rename).  0, or -1 + message naming path. */
int fileio_write_atomic(const char *path, const void *buf, size_t len, char *err, size_t errlen);

/* Streaming form: open a temporary beside path; write through fileio_write_all(h->fd);
 * commit renames it into place, abort removes it.  Both free the handle. */
typedef struct {
    int fd;
    char *path;     /* final destination */
    char *tmp_path; /* temporary name */
} AtomicFile;
AtomicFile *fileio_open_atomic(const char *path, char *err, size_t errlen);
int fileio_commit(AtomicFile *f, char *err, size_t errlen);
void fileio_abort(AtomicFile *f);

/* Make a temporary directory beside a final directory path (for directory formats);
 * heap string or NULL + message.  fileio_commit_dir replaces dst with tmp_dir (the old
 * dst, if any, is removed only after the new one is complete) -- but only a dst that holds
 * nothing except regular files named as tmp_dir's are (digits aside: another shard count)
 * and folders named as its folders are, holding the same in turn, i.e. what a previous
 * export of the same kind wrote: a folder with anything else in it (a user's file or folder,
 * a link), or a dst that is not a folder, is left as it is, with a message saying why. */
char *fileio_temp_dir(const char *final_dir, char *err, size_t errlen);
int fileio_commit_dir(const char *tmp_dir, const char *final_dir, char *err, size_t errlen);

/* Temporaries are named ".<name>.tmp.<pid>.XXXXXX" and a replaced folder is moved aside as
 * ".<name>.old.<pid>.XXXXXX" (<name> cut to fit NAME_MAX).  fileio_clean_stale removes,
 * from dir, those it can prove are orphans of this program: the name pattern, this user's
 * ownership, and a process id that no longer exists (a run killed with SIGKILL left them).
 * Returns how many it removed. */
int fileio_clean_stale(const char *dir);
/* Remove a file or a directory tree; 0 or -1. */
int fileio_remove_tree(const char *path);

/* ---- opening files a model is made of ----------------------------------------------------
 * Both open for reading without ever blocking (O_NONBLOCK while opening: a FIFO or a device
 * is refused by fstat instead of waiting for a writer) and return a blocking descriptor
 * (O_CLOEXEC) of a regular file, its stat in *st (may be NULL); -1 + a message naming the
 * path otherwise. */

/* A path the user named (symbolic links followed: the user chose it). */
int fileio_open_regular(const char *path, struct stat *st, char *err, size_t errlen);

/* A file a model refers to by name: rel, relative to the model's directory dir, is opened
 * one component at a time (openat with O_NOFOLLOW), so that no symbolic link is followed
 * anywhere on the way (a linked directory neither) and nothing outside dir is reached
 * (absolute paths and ".." refused).  Messages name "<dir>/<rel>". */
int fileio_open_beside(const char *dir, const char *rel, struct stat *st, char *err, size_t errlen);

/* Read at most len bytes from the start of fd (fd < 0 allowed: nothing read), then close it;
 * for sniffing a file's kind without reading it whole.  Returns the bytes read. */
size_t fileio_read_head(int fd, void *buf, size_t len);

/* What fd (as the two above return it: a regular file, st its stat) holds: exactly
 * st->st_size bytes, at most max, plus a NUL, in a block taken from the memory budget (free
 * it with membudget_free); the length in *len.  fd is closed.  NULL + a message naming
 * shown when the file is too large, the budget refuses or the read comes up short. */
uint8_t *fileio_read_fd(int fd, const struct stat *st, size_t max, const char *shown, size_t *len, char *err,
                        size_t errlen);

/* name inside dir read as fileio_read_fd does, opened with fileio_open_beside.  *absent is
 * set (and NULL returned, no message) when dir has no entry of that name at all (a link,
 * dangling or not, is an entry: it is refused with a message). */
uint8_t *fileio_read_beside(const char *dir, const char *name, size_t max, size_t *len, bool *absent, char *err,
                            size_t errlen);

#endif
