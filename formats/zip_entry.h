/* zip_entry: one whole entry of a zip archive (libzip) read into memory, the way every
 * reader of zip-based formats (checkpoints, TorchScript archives) needs it: exactly the
 * size the directory gives, and one byte more requested so that libzip reports a bad CRC
 * at the end of the data instead of handing back damaged bytes. */
#ifndef YOLOPORT_ZIP_ENTRY_H
#define YOLOPORT_ZIP_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zip.h>

/* Entry idx of za, whose size is n, into a fresh heap buffer of n bytes plus a NUL (caller
 * frees).  NULL on failure: *opened says whether the entry could be opened at all, *got
 * how many bytes were read, and why holds libzip's message. */
uint8_t *zip_entry_read(zip_t *za, zip_uint64_t idx, size_t n, bool *opened, size_t *got, char *why, size_t whylen);

#endif
