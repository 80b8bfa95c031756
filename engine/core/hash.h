/* hash: keyed hashing for every hash table a file fills (names of tensors and modules,
 * pickle dict keys, storage keys).  SipHash-1-3 under a key drawn at random once per
 * process, so that no file can be made of keys that collide: a table stays O(1) per
 * operation whatever names the file chose.  Tables probe at most HASH_MAX_PROBE slots past
 * a key's home before they grow (strmap in util.h, the unpickler's dicts), which bounds the
 * work of every lookup even if the key were known. */
#ifndef YOLOPORT_HASH_H
#define YOLOPORT_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_MAX_PROBE 40

/* The keyed hash of n bytes / of a NUL-terminated string.  Thread-safe; the key is drawn
 * from the system's random source on first use. */
uint64_t hash_bytes(const void *data, size_t n);
uint64_t hash_str(const char *s);

#endif
