/* zip_entry: what every reader of zip-based formats (checkpoints, TorchScript archives)
 * needs from libzip, bounded: a check of the archive's directory before anything is read
 * (no two entries of one name, sizes an entry can really hold), and one whole entry read
 * into memory taken from the memory budget (engine/core/membudget.h): exactly the size the
 * directory gives, one byte more requested so that libzip reports a bad CRC at the end of
 * the data instead of handing back damaged bytes, and deflated entries inflating to no more
 * than the archive can justify. */
#ifndef YOLOPORT_ZIP_ENTRY_H
#define YOLOPORT_ZIP_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zip.h>

/* Deflated entries may produce, all together, at most this many bytes more than they hold
 * (or ZIP_INFLATE_FACTOR times the archive's size when that is more).  A real checkpoint is
 * stored, not deflated, and weights hardly compress: only a bomb comes near. */
#define ZIP_INFLATE_FLOOR ((uint64_t)64 << 20)
#define ZIP_INFLATE_FACTOR 16

/* One open archive's accounting. */
typedef struct {
    zip_t *za;
    const char *file;        /* for messages */
    uint64_t archive_bytes;  /* the file's size */
    uint64_t inflated;       /* bytes deflated entries read so far produced beyond their size */
} ZipArchive;

/* Open path as a zip archive (flags: ZIP_RDONLY, maybe ZIP_CHECKCONS), through a descriptor of a regular file opened
 * without blocking (engine/core/fileio.h: a FIFO or a device is refused, never waited on):
 * z gets the archive, path and size.  NULL when it cannot: *code is libzip's error code
 * (ZIP_ER_NOZIP, ...) when libzip refused it, or 0 with why set when the path is not a
 * readable regular file.  Close z->za with zip_discard. */
zip_t *zip_entry_open(ZipArchive *z, const char *path, int flags, int *code, char *why, size_t whylen);

/* Check the directory of z->za: every entry has a name no other entry has (readers disagree
 * on which of two counts), a stored entry holds as many bytes as it declares, a deflated
 * one declares no more than deflate can encode in its compressed size (1032:1), and no
 * compressed size is larger than the archive.  0, or -1 + why ("entry 'a/data/0' claims
 * 2.20 TB in a 1.2 KB archive", without the file name). */
int zip_entry_check_archive(const ZipArchive *z, char *why, size_t whylen);

/* Entry idx, named name (for messages), whose size is n, into a fresh block of n bytes plus
 * a NUL taken from the memory budget (free it with zip_entry_free).  NULL + a whole reason
 * in why, without the file's name: "cannot open 'a/data.pkl' in the archive: <libzip>",
 * "cannot read 'a/data/0' from the archive (12 of 48 bytes): CRC error", "'a/data/0' would
 * inflate 1.0 MB into 1.07 GB, more than this archive can justify (...)", or the budget's
 * "'a/data/0' needs 2.20 TB, more than the memory budget allows (...)". */
uint8_t *zip_entry_read(ZipArchive *z, zip_uint64_t idx, size_t n, const char *name, char *why, size_t whylen);
void zip_entry_free(void *buf);

#endif
