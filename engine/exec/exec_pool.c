/* exec_pool: persistent worker threads and a parallel loop over tasks (see exec_pool.h).
 * One atomic word describes the current loop: its generation, whether it is still open,
 * and how many workers are inside it.  A loop publishes its function, context and task
 * count, then the word with a new generation, open; a worker (spinning, or woken from the
 * condition variable) enters only while the loop is open, takes tasks from an atomic
 * counter, and leaves.  The caller takes tasks too, then closes the loop and waits for the
 * workers inside it to leave: a worker that was not scheduled in time simply misses the
 * loop, so nobody waits for a thread that has no work, and the context is never read after
 * exec_pool_for returns. */
#include "engine/exec/exec_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "engine/core/util.h"

/* How long an idle worker spins before it sleeps, and how long the caller spins waiting
 * for acknowledgements before it yields its core (seconds). */
#define POOL_SPIN_SECONDS 200e-6
#define POOL_WAIT_SPIN_SECONDS 50e-6

struct ExecPool {
    int n;              /* threads, the caller included */
    pthread_t *threads; /* n - 1 workers */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sleepers;       /* workers waiting on cv (guarded by mu) */
    atomic_ullong ctl;  /* the current loop: generation << 33 | open << 32 | workers inside */
    atomic_int quit;
    /* the current loop: written by the caller before gen is bumped */
    ExecTaskFn fn;
    void *ctx;
    int64_t n_tasks;
    atomic_llong next;  /* next task to take */
    struct PoolWorker *workers;
};

#define CTL_OPEN ((unsigned long long)1 << 32)
#define CTL_INSIDE 0xffffffffull
static inline unsigned ctl_gen(unsigned long long c) { return (unsigned)(c >> 33); }

typedef struct PoolWorker {
    ExecPool *pool;
    int index;
} PoolWorker;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static double mono_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int exec_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void run_tasks(ExecPool *p, int worker)
{
    ExecTaskFn fn = p->fn;
    void *ctx = p->ctx;
    int64_t n = p->n_tasks;
    for (;;) {
        int64_t t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (t >= n) break;
        fn(ctx, t, worker);
    }
}

/* Wait until the generation moves past seen (or quit); returns the new generation. */
static unsigned wait_for_loop(ExecPool *p, unsigned seen)
{
    double start = 0;
    for (int spins = 0;; spins++) {
        unsigned g = ctl_gen(atomic_load_explicit(&p->ctl, memory_order_acquire));
        if (g != seen || atomic_load_explicit(&p->quit, memory_order_acquire)) return g;
        cpu_relax();
        if ((spins & 63) != 63) continue;
        double now = mono_seconds();
        if (start == 0) start = now;
        if (now - start < POOL_SPIN_SECONDS) continue;
        pthread_mutex_lock(&p->mu);
        p->sleepers++;
        while (ctl_gen(atomic_load_explicit(&p->ctl, memory_order_acquire)) == seen &&
               !atomic_load_explicit(&p->quit, memory_order_acquire))
            pthread_cond_wait(&p->cv, &p->mu);
        p->sleepers--;
        pthread_mutex_unlock(&p->mu);
        start = 0;
    }
}

static void *worker_main(void *arg)
{
    PoolWorker *w = arg;
    ExecPool *p = w->pool;
    unsigned seen = 0; /* the generation before the first loop, whenever this thread starts */
    for (;;) {
        seen = wait_for_loop(p, seen);
        if (atomic_load_explicit(&p->quit, memory_order_acquire)) break;
        /* enter the loop while it is open and still the one we woke for */
        unsigned long long c = atomic_load_explicit(&p->ctl, memory_order_acquire);
        bool inside = false;
        while (ctl_gen(c) == seen && (c & CTL_OPEN)) {
            if (atomic_compare_exchange_weak_explicit(&p->ctl, &c, c + 1, memory_order_acquire,
                                                      memory_order_acquire)) {
                inside = true;
                break;
            }
        }
        if (!inside) continue;
        run_tasks(p, w->index);
        atomic_fetch_sub_explicit(&p->ctl, 1, memory_order_release);
    }
    return NULL;
}

ExecPool *exec_pool_new(int threads)
{
    if (threads <= 0) threads = exec_cpu_count();
    if (threads > 256) threads = 256;
    ExecPool *p = xcalloc(1, sizeof *p);
    p->n = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    atomic_init(&p->ctl, 0);
    atomic_init(&p->quit, 0);
    atomic_init(&p->next, 0);
    if (threads > 1) {
        p->threads = xcalloc((size_t)threads - 1, sizeof *p->threads);
        p->workers = xcalloc((size_t)threads - 1, sizeof *p->workers);
        for (int i = 0; i < threads - 1; i++) {
            p->workers[i] = (PoolWorker){p, i + 1};
            int rc = pthread_create(&p->threads[i], NULL, worker_main, &p->workers[i]);
            if (rc) {
                fprintf(stderr, "yoloport: cannot start an executor thread (error %d)\n", rc);
                abort();
            }
        }
    }
    return p;
}

void exec_pool_free(ExecPool *p)
{
    if (!p) return;
    atomic_store_explicit(&p->quit, 1, memory_order_release);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n - 1; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p->workers);
    free(p);
}

int exec_pool_size(const ExecPool *p) { return p ? p->n : 1; }

void exec_pool_for(ExecPool *p, int64_t n_tasks, ExecTaskFn fn, void *ctx)
{
    if (n_tasks <= 0) return;
    if (!p || p->n == 1 || n_tasks == 1) {
        for (int64_t t = 0; t < n_tasks; t++) fn(ctx, t, 0);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    /* every worker left the previous loop: the word is (old generation, closed, 0) */
    unsigned gen = ctl_gen(atomic_load_explicit(&p->ctl, memory_order_relaxed)) + 1;
    atomic_store_explicit(&p->ctl, ((unsigned long long)(gen & 0x7fffffffu) << 33) | CTL_OPEN, memory_order_release);
    pthread_mutex_lock(&p->mu);
    if (p->sleepers) pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    run_tasks(p, 0);
    /* close it, then wait for the workers inside */
    atomic_fetch_and_explicit(&p->ctl, ~CTL_OPEN, memory_order_acq_rel);
    double start = 0;
    for (int spins = 0; atomic_load_explicit(&p->ctl, memory_order_acquire) & CTL_INSIDE; spins++) {
        cpu_relax();
        if ((spins & 63) != 63) continue;
        double now = mono_seconds();
        if (start == 0) start = now;
        if (now - start > POOL_WAIT_SPIN_SECONDS) sched_yield();
    }
}
