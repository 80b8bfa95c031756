/* membudget: the memory budget of the process.  Every allocation whose size a file decides
 * (a checkpoint's storages, an ONNX file's arrays, an OpenVINO weights file, the tensors a
 * model config describes, the executor's activations) takes its bytes from one budget
 * first, and a request past the budget is refused with a message naming the file and the
 * tensor or entry, instead of the machine's memory being taken (or xmalloc aborting).
 *
 * The budget is process-wide by nature (several jobs share one machine's memory), so its
 * two counters are the one mutable state here; they are atomics, safe from any thread.
 * The limit defaults to half of physical memory, or of a lower cgroup memory limit, and to
 * half of RLIMIT_AS / 3/4 of RLIMIT_DATA when those are lower; `--max-memory` sets it.
 *
 * Two ways to account:
 *   membudget_alloc / membudget_free    a heap block charged while it lives (most readers);
 *   membudget_take / membudget_give     bytes of memory managed elsewhere (the executor's
 *                                       values, arenas), given back when that memory goes. */
#ifndef YOLOPORT_MEMBUDGET_H
#define YOLOPORT_MEMBUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The limit in bytes (the default until membudget_set_limit) and the bytes taken now. */
uint64_t membudget_limit(void);
uint64_t membudget_used(void);
/* The default limit for this machine and process (see above); never 0. */
uint64_t membudget_default_limit(void);
/* Set the limit in bytes; 0 restores the default. */
void membudget_set_limit(uint64_t bytes);

/* A size as the command line takes it: "512M", "2G", "1.5GB", "800MiB", "1073741824" (bytes),
 * "50%" (of the machine's memory, as the default counts it).  Units are powers of 1024;
 * at least 16 MiB.  false (and *out untouched) for anything else. */
bool membudget_parse(const char *text, uint64_t *out);

/* Take n bytes from the budget: true, or false with nothing taken when the limit would be
 * passed. */
bool membudget_take(uint64_t n);
/* Take n bytes even past the limit: memory that is allocated anyway and that later requests
 * must see (arena chunks).  A budget so passed refuses every further membudget_take. */
void membudget_charge(uint64_t n);
/* Give back bytes taken or charged. */
void membudget_give(uint64_t n);

/* The refusal message, into err (returns -1):
 *   "<file>: <what> needs 1.07 GB, more than the memory budget allows (512 MB, 3.2 MB in use;
 *    raise it with --max-memory)"
 * file and what may be NULL (then left out). */
int membudget_refuse(char *err, size_t errlen, const char *file, const char *what, uint64_t n);

/* n bytes (uninitialised, 16-byte aligned) taken from the budget while the block lives;
 * free it with membudget_free (which gives the bytes back), never with free().  NULL and
 * the refusal message (naming file and what) when the budget or the C library says no. */
void *membudget_alloc(uint64_t n, const char *file, const char *what, char *err, size_t errlen);
void membudget_free(void *p);

#endif
