/* exec_mem: the activation region of an Exec and its heap-mode allocator (see exec_mem.h).
 * The region is reserved once, as large as the address space comfortably allows, so that
 * offsets never move; only touched pages cost memory. */
#include "engine/exec/exec_mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "engine/core/util.h"

#define MEM_ALIGN 64

typedef struct {
    size_t off, len;
} FreeBlock;

struct ExecMem {
    unsigned char *base; /* NULL until the first use; MAP_FAILED-free */
    size_t reserved;     /* bytes of address space */
    bool failed;         /* reservation failed: every allocation goes to the heap */
    size_t top;          /* heap mode: end of the highest block ever carved */
    size_t high;         /* highest top since the last reset */
    FreeBlock *free;     /* heap mode: free blocks below top, sorted by offset */
    int n_free, cap_free;
};

static bool reserve(ExecMem *m)
{
    if (m->base) return true;
    if (m->failed) return false;
    /* 64 GiB of address space (the largest tensor is 4 GiB), less where that is refused */
    size_t sizes[] = {(size_t)64 << 30, (size_t)16 << 30, (size_t)4 << 30, (size_t)1 << 30};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (sizes[i] > SIZE_MAX / 4) continue;
        void *p = mmap(NULL, sizes[i], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) continue;
#ifdef MADV_HUGEPAGE
        madvise(p, sizes[i], MADV_HUGEPAGE);
#endif
        m->base = p;
        m->reserved = sizes[i];
        return true;
    }
    m->failed = true;
    return false;
}

ExecMem *exec_mem_new(void) { return xcalloc(1, sizeof(ExecMem)); }

void exec_mem_free(ExecMem *m)
{
    if (!m) return;
    if (m->base) munmap(m->base, m->reserved);
    free(m->free);
    free(m);
}

static size_t round_up(size_t n) { return (n + MEM_ALIGN - 1) / MEM_ALIGN * MEM_ALIGN; }

bool exec_mem_alloc(ExecMem *m, size_t bytes, size_t *off)
{
    if (!reserve(m)) return false;
    size_t need = round_up(bytes ? bytes : 1);
    for (int i = 0; i < m->n_free; i++) {
        FreeBlock *f = &m->free[i];
        if (f->len < need) continue;
        *off = f->off;
        f->off += need;
        f->len -= need;
        if (!f->len) {
            memmove(f, f + 1, sizeof *f * (size_t)(m->n_free - i - 1));
            m->n_free--;
        }
        return true;
    }
    /* a free block that ends at top grows into the space above it */
    size_t start = m->top;
    if (m->n_free && m->free[m->n_free - 1].off + m->free[m->n_free - 1].len == m->top) {
        start = m->free[m->n_free - 1].off;
        m->n_free--;
    }
    if (need > m->reserved - start) return false;
    *off = start;
    m->top = start + need;
    if (m->top > m->high) m->high = m->top;
    return true;
}

void exec_mem_release(ExecMem *m, size_t off, size_t bytes)
{
    size_t len = round_up(bytes ? bytes : 1);
    int i = 0;
    while (i < m->n_free && m->free[i].off < off) i++;
    if (m->n_free == m->cap_free) {
        m->cap_free = m->cap_free ? 2 * m->cap_free : 16;
        m->free = xrealloc(m->free, sizeof *m->free * (size_t)m->cap_free);
    }
    memmove(m->free + i + 1, m->free + i, sizeof *m->free * (size_t)(m->n_free - i));
    m->free[i] = (FreeBlock){off, len};
    m->n_free++;
    /* coalesce with the next block, then with the previous one */
    if (i + 1 < m->n_free && m->free[i].off + m->free[i].len == m->free[i + 1].off) {
        m->free[i].len += m->free[i + 1].len;
        memmove(m->free + i + 1, m->free + i + 2, sizeof *m->free * (size_t)(m->n_free - i - 2));
        m->n_free--;
    }
    if (i > 0 && m->free[i - 1].off + m->free[i - 1].len == m->free[i].off) {
        m->free[i - 1].len += m->free[i].len;
        memmove(m->free + i, m->free + i + 1, sizeof *m->free * (size_t)(m->n_free - i - 1));
        m->n_free--;
    }
}

void exec_mem_reset(ExecMem *m)
{
    m->n_free = 0;
    m->top = 0;
    m->high = 0;
}

size_t exec_mem_high(const ExecMem *m) { return m->high; }

bool exec_mem_ensure(ExecMem *m, size_t bytes) { return reserve(m) && bytes <= m->reserved; }

void *exec_mem_ptr(const ExecMem *m, size_t off) { return m->base + off; }
