/* exec_pool: the executor's one thread pool.  Workers start once (exec_pool_new) and
 * live until exec_pool_free; a parallel loop hands them tasks through an atomic counter,
 * so no thread starts per call and a descheduled worker only delays the tasks it holds.
 * Between loops a worker spins briefly (the next op of a run follows within
 * microseconds), then sleeps on a condition variable.
 *
 * Contract: one thread at a time calls exec_pool_for on a pool (the Exec that owns it);
 * fn must not call exec_pool_for on the same pool.  Task order is unspecified: a task
 * writes only what no other task of the same loop writes. */
#ifndef YOLOPORT_EXEC_POOL_H
#define YOLOPORT_EXEC_POOL_H

#include <stdint.h>

typedef struct ExecPool ExecPool;

/* Work item: task in [0, n_tasks), worker in [0, exec_pool_size) (the caller is worker 0;
 * per-worker scratch may be indexed by it). */
typedef void (*ExecTaskFn)(void *ctx, int64_t task, int worker);

/* A pool of `threads` threads in all (the caller counts as one: threads - 1 are started).
 * threads <= 0 means the machine's online CPUs.  Never NULL (aborts if a thread cannot
 * start).  Free with exec_pool_free, which joins the workers. */
ExecPool *exec_pool_new(int threads);
void exec_pool_free(ExecPool *p);
/* Threads in the pool, the caller included (>= 1). */
int exec_pool_size(const ExecPool *p);
/* Run fn(ctx, t, worker) for every t in [0, n_tasks) and return when all have finished.
 * With one task, or a pool of one thread (p may be NULL), the caller runs them alone. */
void exec_pool_for(ExecPool *p, int64_t n_tasks, ExecTaskFn fn, void *ctx);

/* The machine's online CPUs (at least 1). */
int exec_cpu_count(void);

#endif
