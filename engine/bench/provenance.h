/* provenance: knowing that an artifact on disk was written from this very source with these
 * very arguments, so that a benchmark can reuse it instead of exporting again.  When a
 * benchmark exports, it records beside the artifact (a hidden file, `.<name>.provenance.json`
 * in the artifact's folder) the SHA-256 of the source model, the export arguments as text, the
 * SHA-256 of the artifact as written (a folder: every file under it, in name order, path and
 * content) and yoloport's version.  An artifact is reused only when that record exists and all
 * of it still holds: the source hashes the same, the arguments are the same, and the artifact
 * hashes as it was written (nobody re-exported or edited it since). */
#ifndef YOLOPORT_PROVENANCE_H
#define YOLOPORT_PROVENANCE_H

#include <stdbool.h>
#include <stddef.h>

/* SHA-256 of a file, or of a folder's files (relative path and content, in name order), as 64
 * hex digits.  0, or -1 + message. */
int provenance_hash(const char *path, char hex[65], char *err, size_t errlen);

/* SHA-256 of a buffer (hex). */
void provenance_sha256_hex(const void *data, size_t len, char hex[65]);

/* May `artifact` be reused for (source, args)?  true, or false with the reason in why ("no
 * record", "the source changed", "other arguments", "the artifact changed since"). */
bool provenance_reusable(const char *artifact, const char *source, const char *args, char *why, size_t whylen);

/* Record that artifact was just written from (source, args).  0, or -1 + message. */
int provenance_record(const char *artifact, const char *source, const char *args, char *err, size_t errlen);

/* The record's path for an artifact (heap string). */
char *provenance_path(const char *artifact);

#endif
