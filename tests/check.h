/* check.h: the tiny test harness every tests/unit/test_*.c program includes.
 *
 *   static void test_something(void) { EXPECT(x == 1); EXPECT_EQ_INT(a, b); }
 *   int main(void) { RUN(test_something); return check_done(); }
 *
 * Each test prints one line: "PASS name", "FAIL name: file:line: what" or "SKIP name: why".
 * tests/run.sh reads those lines and prints the closing "N passed, N failed, N skipped". */
#ifndef YOLOPORT_CHECK_H
#define YOLOPORT_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_passed, check_failed, check_skipped __attribute__((unused));
static int check_cur_failed __attribute__((unused));
static const char *check_cur_skip __attribute__((unused));
static char check_skip_buf[512] __attribute__((unused));

#define EXPECT(cond)                                                                                   \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            if (!check_cur_failed) printf("FAIL %s: %s:%d: %s\n", check_cur_name, __FILE__, __LINE__, #cond); \
            else printf("     also %s:%d: %s\n", __FILE__, __LINE__, #cond);                        \
            check_cur_failed++;                                                                        \
        }                                                                                              \
    } while (0)

#define EXPECT_MSG(cond, ...)                                                                          \
    do {                                                                                               \
        if (!(cond)) {                                                                                 \
            printf("%s %s: %s:%d: %s: ", check_cur_failed ? "     also" : "FAIL", check_cur_name,      \
                   __FILE__, __LINE__, #cond);                                                         \
            printf(__VA_ARGS__);                                                                       \
            printf("\n");                                                                              \
            check_cur_failed++;                                                                        \
        }                                                                                              \
    } while (0)

#define EXPECT_EQ_INT(a, b)                                                                            \
    do {                                                                                               \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                          \
        EXPECT_MSG(va_ == vb_, "%lld != %lld", va_, vb_);                                              \
    } while (0)

#define EXPECT_EQ_STR(a, b)                                                                            \
    do {                                                                                               \
        const char *sa_ = (a), *sb_ = (b);                                                             \
        EXPECT_MSG(sa_ && sb_ && strcmp(sa_, sb_) == 0, "\"%s\" != \"%s\"", sa_ ? sa_ : "(null)",      \
                   sb_ ? sb_ : "(null)");                                                              \
    } while (0)

#define EXPECT_NEAR(a, b, tol)                                                                         \
    do {                                                                                               \
        double da_ = (double)(a), db_ = (double)(b);                                                   \
        EXPECT_MSG(fabs(da_ - db_) <= (tol), "%.9g vs %.9g (tol %g)", da_, db_, (double)(tol));        \
    } while (0)

#define EXPECT_CONTAINS(hay, needle)                                                                   \
    do {                                                                                               \
        const char *h_ = (hay), *n_ = (needle);                                                        \
        EXPECT_MSG(h_ && strstr(h_, n_), "\"%s\" not found in \"%.400s\"", n_, h_ ? h_ : "(null)");   \
    } while (0)

/* Skip the current test (call then return). */
#define SKIP(...)                                                                                      \
    do {                                                                                               \
        snprintf(check_skip_buf, sizeof check_skip_buf, __VA_ARGS__);                                  \
        check_cur_skip = check_skip_buf;                                                               \
    } while (0)

static const char *check_cur_name = "";

#define RUN(fn)                                                                                        \
    do {                                                                                               \
        check_cur_name = #fn;                                                                          \
        check_cur_failed = 0;                                                                          \
        check_cur_skip = NULL;                                                                         \
        fflush(stdout);                                                                                \
        fn();                                                                                          \
        if (check_cur_failed) check_failed++;                                                          \
        else if (check_cur_skip) { check_skipped++; printf("SKIP %s: %s\n", #fn, check_cur_skip); }   \
        else { check_passed++; printf("PASS %s\n", #fn); }                                             \
        fflush(stdout);                                                                                \
    } while (0)

static inline int check_done(void)
{
    printf("# %d passed, %d failed, %d skipped\n", check_passed, check_failed, check_skipped);
    return check_failed ? 1 : 0;
}

/* ../shared (or $YOLOPORT_SHARED) when present, else NULL: tests that need it skip. */
static inline const char *shared_dir(void)
{
    static char buf[4096];
    const char *env = getenv("YOLOPORT_SHARED");
    if (env && *env) return access(env, R_OK) == 0 ? env : NULL;
    if (access("../shared/models", R_OK) == 0) {
        snprintf(buf, sizeof buf, "../shared");
        return buf;
    }
    return NULL;
}

/* "<shared>/rel" in a static buffer, or NULL when shared/ is absent. */
static inline const char *shared_path(const char *rel)
{
    static char buf[8][4096];
    static int slot;
    const char *dir = shared_dir();
    if (!dir) return NULL;
    char *b = buf[slot++ % 8];
    snprintf(b, 4096, "%s/%s", dir, rel);
    return b;
}

#endif
