/* membudget: one process-wide byte budget for file-sized allocations (see membudget.h). */
#include "engine/core/membudget.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine/core/util.h"

#define MIN_LIMIT ((uint64_t)16 << 20)
#define BLOCK_HEADER 16 /* keeps membudget_alloc's blocks 16-byte aligned */

static _Atomic uint64_t used_bytes;
static _Atomic uint64_t set_limit;     /* 0: the default */
static _Atomic uint64_t default_limit; /* 0: not computed yet */

/* A number of bytes from a file such as cgroup's memory.max ("max" or digits); 0 when none. */
static uint64_t read_bytes_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[64] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *end;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end == buf || v == 0) return 0;
    return (uint64_t)v;
}

/* The machine's memory as the default counts it: physical memory, or a lower cgroup limit. */
static uint64_t machine_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    uint64_t phys = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : (uint64_t)4 << 30;
    static const char *const cgroup_files[] = {"/sys/fs/cgroup/memory.max",
                                               "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
    for (size_t i = 0; i < ARRAY_LEN(cgroup_files); i++) {
        uint64_t c = read_bytes_file(cgroup_files[i]);
        if (c && c < phys) phys = c;
    }
    return phys;
}

uint64_t membudget_default_limit(void)
{
    uint64_t d = atomic_load(&default_limit);
    if (d) return d;
    d = machine_memory() / 2;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (uint64_t)rl.rlim_cur / 2 < d)
        d = (uint64_t)rl.rlim_cur / 2; /* address space also holds code, stacks and libraries */
    if (getrlimit(RLIMIT_DATA, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (uint64_t)rl.rlim_cur / 4 * 3 < d)
        d = (uint64_t)rl.rlim_cur / 4 * 3;
    if (d < MIN_LIMIT) d = MIN_LIMIT;
    atomic_store(&default_limit, d);
    return d;
}

uint64_t membudget_limit(void)
{
    uint64_t l = atomic_load(&set_limit);
    return l ? l : membudget_default_limit();
}

uint64_t membudget_used(void) { return atomic_load(&used_bytes); }

void membudget_set_limit(uint64_t bytes) { atomic_store(&set_limit, bytes); }

bool membudget_parse(const char *text, uint64_t *out)
{
    if (!text) return false;
    while (isspace((unsigned char)*text)) text++;
    char *end;
    double v = strtod(text, &end);
    if (end == text || !(v > 0) || v > 1e18) return false;
    while (isspace((unsigned char)*end)) end++;
    double scale = 1;
    if (*end == '%') {
        if (v > 100) return false;
        scale = (double)machine_memory() / 100.0;
        end++;
    } else if (*end) {
        static const struct {
            char letter;
            double scale;
        } units[] = {{'K', 1024.0}, {'M', 1048576.0}, {'G', 1073741824.0}, {'T', 1099511627776.0}};
        size_t u = 0;
        while (u < ARRAY_LEN(units) && toupper((unsigned char)*end) != units[u].letter) u++;
        if (u == ARRAY_LEN(units)) return false;
        scale = units[u].scale;
        end++;
        if (*end == 'i' || *end == 'I') end++;
        if (*end == 'B' || *end == 'b') end++;
    }
    while (isspace((unsigned char)*end)) end++;
    if (*end) return false;
    double bytes = v * scale;
    if (bytes < (double)MIN_LIMIT || bytes > 1.8e19) return false;
    *out = (uint64_t)bytes;
    return true;
}

bool membudget_take(uint64_t n)
{
    uint64_t limit = membudget_limit();
    uint64_t cur = atomic_load(&used_bytes);
    do {
        if (n > limit || cur > limit - n) return false;
    } while (!atomic_compare_exchange_weak(&used_bytes, &cur, cur + n));
    return true;
}

void membudget_charge(uint64_t n) { atomic_fetch_add(&used_bytes, n); }

void membudget_give(uint64_t n)
{
    uint64_t cur = atomic_load(&used_bytes);
    do {
        if (n > cur) n = cur; /* never below zero, whatever a caller does */
    } while (!atomic_compare_exchange_weak(&used_bytes, &cur, cur - n));
}

int membudget_refuse(char *err, size_t errlen, const char *file, const char *what, uint64_t n)
{
    char need[32], limit[32], used[32];
    str_bytes(need, sizeof need, (long long)(n > INT64_MAX ? INT64_MAX : n));
    str_bytes(limit, sizeof limit, (long long)membudget_limit());
    str_bytes(used, sizeof used, (long long)membudget_used());
    return err_set(err, errlen, "%s%s%s%sneeds %s, more than the memory budget allows (%s, %s in use; raise it with "
                   "--max-memory)",
                   file ? file : "", file ? ": " : "", what ? what : "", what ? " " : "", need, limit, used);
}

void *membudget_alloc(uint64_t n, const char *file, const char *what, char *err, size_t errlen)
{
    uint64_t total = n + BLOCK_HEADER;
    if (total < n || total > SIZE_MAX || !membudget_take(total)) {
        membudget_refuse(err, errlen, file, what, n);
        return NULL;
    }
    unsigned char *p = malloc((size_t)total);
    if (!p) {
        membudget_give(total);
        char need[32];
        err_set(err, errlen, "%s%s%s%sneeds %s, which the system cannot allocate now", file ? file : "",
                file ? ": " : "", what ? what : "", what ? " " : "", str_bytes(need, sizeof need, (long long)n));
        return NULL;
    }
    memcpy(p, &total, sizeof total);
    return p + BLOCK_HEADER;
}

void membudget_free(void *ptr)
{
    if (!ptr) return;
    unsigned char *p = (unsigned char *)ptr - BLOCK_HEADER;
    uint64_t total;
    memcpy(&total, p, sizeof total);
    membudget_give(total);
    free(p);
}
