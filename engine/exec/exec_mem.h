/* exec_mem: where a run's activations live.  One region of reserved address space per
 * Exec (pages come in as they are first touched, as transparent huge pages where the
 * kernel allows), used two ways:
 *   - the first run at a given input shape allocates from it like a heap (first fit,
 *     coalescing), and records every tensor's size, shape, lifetime and which tensors took
 *     over another's buffer in place;
 *   - from that record, exec_mem_plan() lays every tensor out at a fixed offset: buffers
 *     are reused after each tensor's last reader, an op that works in place keeps its
 *     input's buffer, Split outputs are views of their input and Concat inputs are
 *     written by their producers straight into the Concat's output.  Later runs at the
 *     same shape allocate nothing; the plan's size (its peak) is known before they start.
 * Nothing here is thread-safe: one run at a time, on the thread that calls exec_run. */
#ifndef YOLOPORT_EXEC_MEM_H
#define YOLOPORT_EXEC_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ExecMem ExecMem;

ExecMem *exec_mem_new(void);
void exec_mem_free(ExecMem *m);

/* Heap mode: a block of bytes (rounded up to 64); false when the region is exhausted or
 * could not be reserved (the caller falls back to malloc). */
bool exec_mem_alloc(ExecMem *m, size_t bytes, size_t *off);
void exec_mem_release(ExecMem *m, size_t off, size_t bytes);
/* Forget every heap-mode block (the start of a recording run). */
void exec_mem_reset(ExecMem *m);
/* The highest byte any block reached since the last reset. */
size_t exec_mem_high(const ExecMem *m);
/* Planned mode: make [0, bytes) usable; false when it cannot be reserved. */
bool exec_mem_ensure(ExecMem *m, size_t bytes);
/* The address of offset off (valid while the ExecMem lives). */
void *exec_mem_ptr(const ExecMem *m, size_t off);

#endif
