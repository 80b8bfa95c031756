/* hash: SipHash-1-3 under a per-process random key (see hash.h). */
#include "engine/core/hash.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t sip_key[2];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void key_init(void)
{
    uint64_t k[2] = {0, 0};
    ssize_t got = getrandom(k, sizeof k, GRND_NONBLOCK);
    if (got != (ssize_t)sizeof k) {
        /* no entropy source answered: a key no file can know in advance still beats none */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        k[0] ^= (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 32;
        k[1] ^= (uint64_t)ts.tv_sec * 0xbf58476d1ce4e5b9ull ^ (uint64_t)(uintptr_t)&ts;
    }
    sip_key[0] = k[0];
    sip_key[1] = k[1];
}

static inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32);                                  \
        v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;                                                     \
        v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;                                                     \
        v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32);                                  \
    } while (0)

uint64_t hash_bytes(const void *data, size_t n)
{
    pthread_once(&key_once, key_init);
    const unsigned char *p = data;
    uint64_t k0 = sip_key[0], k1 = sip_key[1];
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    size_t words = n / 8;
    for (size_t i = 0; i < words; i++, p += 8) {
        uint64_t m;
        memcpy(&m, p, 8); /* little-endian hosts only (the readers assume it too) */
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)n << 56;
    for (size_t i = 0; i < (n & 7); i++) b |= (uint64_t)p[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t hash_str(const char *s) { return hash_bytes(s, strlen(s)); }
