/* Tests for the bounds every reader relies on: the memory budget (engine/core/membudget),
 * keyed hashing with bounded probes (engine/core/hash, StrMap), and the unpickler's dicts
 * fed with keys chosen to collide under the unkeyed hashes they used to have. */
#include <stdint.h>

#include <sys/stat.h>

#include "engine/core/fileio.h"
#include "engine/core/hash.h"
#include "engine/core/membudget.h"
#include "engine/core/paths.h"
#include "engine/core/textwidth.h"
#include "engine/core/util.h"
#include "engine/core/yamlguard.h"
#include "formats/pickle.h"
#include "tests/check.h"

/* ---- keys that collide under an unkeyed FNV-1a ------------------------------------------ */

/* FNV-1a's low `bits` bits depend only on the low bits of its state, so names whose hashes
 * agree there are easy to make: pick the last three characters by running the hash backwards
 * from the target.  Returns how many names were written (each a heap string). */
static int fnv_colliding_names(int bits, int want, char **out)
{
    const uint64_t mask = ((uint64_t)1 << bits) - 1, P = 1099511628211ull & mask;
    uint64_t inv = 1; /* P^-1 mod 2^bits by Newton's iteration */
    for (int i = 0; i < 6; i++) inv = (inv * (2 - P * inv)) & mask;
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const int na = (int)sizeof alphabet - 1;
    const uint64_t target = 0;
    uint32_t *suffix = xcalloc((size_t)mask + 1, sizeof *suffix); /* state -> 3 chars + 1 */
    for (int c3 = 0; c3 < na; c3++)
        for (int c2 = 0; c2 < na; c2++)
            for (int c1 = 0; c1 < na; c1++) {
                uint64_t s2 = ((target * inv) & mask) ^ (uint8_t)alphabet[c3];
                uint64_t s1 = ((s2 * inv) & mask) ^ (uint8_t)alphabet[c2];
                uint64_t s0 = ((s1 * inv) & mask) ^ (uint8_t)alphabet[c1];
                suffix[s0] = 1 + (uint32_t)(c1 | c2 << 8 | c3 << 16);
            }
    int n = 0;
    for (int i = 0; n < want && i < 50 * want; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "n%d_", i);
        uint64_t h = 1469598103934665603ull;
        for (const char *s = prefix; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
        uint32_t sfx = suffix[h & mask];
        if (!sfx) continue;
        sfx--;
        out[n++] = xasprintf("%s%c%c%c", prefix, alphabet[sfx & 255], alphabet[(sfx >> 8) & 255], alphabet[sfx >> 16]);
    }
    free(suffix);
    return n;
}

static void test_fnv_collisions_are_real(void)
{
    /* the construction works: every name has the same low 16 bits under FNV-1a */
    char *names[64];
    int n = fnv_colliding_names(16, 64, names);
    EXPECT_EQ_INT(n, 64);
    for (int i = 0; i < n; i++) {
        uint64_t h = 1469598103934665603ull;
        for (const char *s = names[i]; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
        EXPECT_EQ_INT(h & 0xffff, 0);
        free(names[i]);
    }
}

static void test_strmap_probes_bounded_on_colliding_names(void)
{
    enum { N = 20000 };
    char **names = xmalloc(sizeof *names * N);
    int n = fnv_colliding_names(16, N, names);
    EXPECT_EQ_INT(n, N);
    StrMap m = {0};
    for (int i = 0; i < n; i++) strmap_put(&m, names[i], i);
    EXPECT_EQ_INT(m.count, n);
    EXPECT_MSG(m.max_probe <= HASH_MAX_PROBE, "max_probe %zu", m.max_probe);
    int wrong = 0;
    for (int i = 0; i < n; i++) wrong += strmap_get(&m, names[i]) != i;
    EXPECT_EQ_INT(wrong, 0);
    EXPECT_EQ_INT(strmap_get(&m, "absent"), -1);
    strmap_free(&m);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void test_hash_keyed_and_stable(void)
{
    EXPECT(hash_str("model.0.conv") == hash_str("model.0.conv"));
    EXPECT(hash_str("model.0.conv") != hash_str("model.0.conw"));
    EXPECT(hash_bytes("", 0) == hash_bytes("x", 0));
    /* the key is not the all-zero one an attacker could precompute for */
    EXPECT(hash_str("a") != 0);
}

/* ---- the unpickler's dicts ---------------------------------------------------------------- */

/* The old dict index hashed an int key k with an invertible mix: the keys below made every
 * one land in the same slot.  A pickle {k_0: 0, ..., k_n: n} built from them. */
static uint64_t unmix64(uint64_t x)
{
    x ^= x >> 33; /* x ^= x >> 33 is its own inverse for shifts of 32 or more */
    const uint64_t C = 0xff51afd7ed558ccdULL;
    uint64_t inv = C;
    for (int i = 0; i < 6; i++) inv *= 2 - C * inv;
    x *= inv;
    x ^= x >> 33;
    return x;
}

static void test_pickle_dict_colliding_int_keys(void)
{
    enum { N = 30000 };
    StrBuf b = {0};
    strbuf_add(&b, "\x80\x02}(", 4); /* PROTO 2, EMPTY_DICT, MARK */
    for (int i = 0; i < N; i++) {
        uint64_t k = unmix64((uint64_t)i << 24); /* an int64 in two's complement */
        unsigned char op[10] = {0x8a, 8};        /* LONG1, 8 bytes */
        for (int j = 0; j < 8; j++) op[2 + j] = (unsigned char)(k >> (8 * j));
        strbuf_add(&b, op, 10);
        unsigned char val[5] = {'J', (unsigned char)i, (unsigned char)(i >> 8), (unsigned char)(i >> 16), 0};
        strbuf_add(&b, val, 5);
    }
    strbuf_add(&b, "u.", 2); /* SETITEMS, STOP */
    Arena *a = arena_new();
    char err[256];
    PickleValue *d = pickle_load((const uint8_t *)b.p, b.len, a, err, sizeof err);
    EXPECT_MSG(d != NULL, "%s", err);
    if (d) {
        EXPECT_EQ_INT(pickle_len(d), N);
        EXPECT_MSG(d->dict.max_probe <= HASH_MAX_PROBE, "max_probe %u", d->dict.max_probe);
        uint64_t k = unmix64((uint64_t)777 << 24);
        EXPECT_EQ_INT(pickle_int(pickle_dict_get_int(d, (int64_t)k), -1), 777);
    }
    arena_free(a);
    free(b.p);
}

/* ---- the memory budget ------------------------------------------------------------------- */

static void test_membudget_parse(void)
{
    uint64_t v = 0;
    EXPECT(membudget_parse("512M", &v) && v == (uint64_t)512 << 20);
    EXPECT(membudget_parse("2G", &v) && v == (uint64_t)2 << 30);
    EXPECT(membudget_parse("1.5GiB", &v) && v == (uint64_t)3 << 29);
    EXPECT(membudget_parse("800mb", &v) && v == (uint64_t)800 << 20);
    EXPECT(membudget_parse("1073741824", &v) && v == (uint64_t)1 << 30);
    EXPECT(membudget_parse("50%", &v) && v > 0);
    EXPECT(!membudget_parse("", &v));
    EXPECT(!membudget_parse("-1G", &v));
    EXPECT(!membudget_parse("12Q", &v));
    EXPECT(!membudget_parse("1M", &v)); /* below the 16 MiB floor */
    EXPECT(!membudget_parse("150%", &v));
    EXPECT(!membudget_parse("5 G x", &v));
}

static void test_membudget_refuses_past_the_limit(void)
{
    membudget_set_limit((uint64_t)64 << 20);
    EXPECT_EQ_INT(membudget_limit(), (uint64_t)64 << 20);
    uint64_t before = membudget_used();
    char err[512] = "";
    void *p = membudget_alloc((uint64_t)1 << 40, "m.pt", "tensor model.0.conv.weight", err, sizeof err);
    EXPECT(p == NULL);
    EXPECT_CONTAINS(err, "m.pt: tensor model.0.conv.weight needs 1.10 TB, more than the memory budget allows (67.1 MB");
    EXPECT_CONTAINS(err, "--max-memory");
    EXPECT_EQ_INT(membudget_used(), before);
    void *q = membudget_alloc(1 << 20, "m.pt", "x", err, sizeof err);
    EXPECT(q != NULL);
    EXPECT(membudget_used() >= before + (1 << 20));
    memset(q, 1, 1 << 20);
    membudget_free(q);
    EXPECT_EQ_INT(membudget_used(), before);
    EXPECT(membudget_take((uint64_t)32 << 20));
    EXPECT(!membudget_take((uint64_t)48 << 20));
    membudget_give((uint64_t)32 << 20);
    EXPECT_EQ_INT(membudget_used(), before);
    membudget_set_limit(0);
    EXPECT_EQ_INT(membudget_limit(), membudget_default_limit());
}

static void test_membudget_default_is_a_fraction_of_memory(void)
{
    uint64_t d = membudget_default_limit();
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    EXPECT(d >= (uint64_t)16 << 20);
    EXPECT(d <= (uint64_t)pages * (uint64_t)page);
}

/* ---- the YAML pre-scan ------------------------------------------------------------------- */

static int guard(const char *text, char *why, size_t n) { return yamlguard_check(text, strlen(text), why, n); }

static void test_yamlguard_passes_real_texts(void)
{
    char why[256] = "";
    /* every built-in config */
    static const char *const cfgs[] = {"yolov8.yaml", "yolo11.yaml", "yolov8-seg.yaml", "yolov8-pose.yaml",
                                       "yolov8-cls.yaml", "yolov8-obb.yaml"};
    for (size_t i = 0; i < ARRAY_LEN(cfgs); i++) {
        char *rel = xasprintf("models/%s", cfgs[i]), *path = paths_share(rel);
        size_t len = 0;
        char *text = file_read_all(path, 1 << 20, &len, why, sizeof why);
        if (text) EXPECT_MSG(yamlguard_check(text, len, why, sizeof why) == 0, "%s: %s", cfgs[i], why);
        free(text);
        free(path);
        free(rel);
    }
    /* what the peer's metadata.yaml and dataset yamls hold: brackets in quoted and block
     * scalars and comments, anchors and aliases, flow maps, CRLF lines, documents */
    static const char *const ok[] = {
        "description: Ultralytics YOLOv8n model trained on coco.yaml\nauthor: Ultralytics\nstride: 32\n"
        "imgsz: &id001\n- 640\n- 640\nargs:\n  imgsz: *id001\n  batch: 1\nnames:\n  0: person\n  1: '[[[['\n"
        "  2: \"{{{{\\\"]]\"\n",
        "text: |\n  [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n  more\nnext: 1\n",
        "# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\na: b[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
        "kpt_shape: [17, 3]\r\nflip_idx: [0, 2, 1, 4, 3]\r\nnames: {0: person, 1: 'a, b'}\r\n",
        "---\na: 1\n...\n---\nb: [1, [2, [3]]]\n",
    };
    for (size_t i = 0; i < ARRAY_LEN(ok); i++) EXPECT_MSG(guard(ok[i], why, sizeof why) == 0, "text %zu: %s", i, why);
}

static void test_yamlguard_refuses_deep_and_huge(void)
{
    char why[256] = "";
    StrBuf b = {0};
    for (int i = 0; i < 100000; i++) strbuf_add(&b, "[", 1);
    EXPECT(guard(b.p, why, sizeof why) != 0);
    EXPECT_CONTAINS(why, "nested deeper than 64 levels at line 1");
    free(b.p);
    b = (StrBuf){0};
    for (int i = 0; i < 70; i++) strbuf_printf(&b, "%*sk%d:\n", i, "", i);
    EXPECT(guard(b.p, why, sizeof why) != 0);
    EXPECT_CONTAINS(why, "at line 65");
    free(b.p);
    b = (StrBuf){0};
    for (int i = 0; i < 70; i++) strbuf_add(&b, "- ", 2);
    strbuf_add(&b, "x\n", 2);
    EXPECT(guard(b.p, why, sizeof why) != 0);
    free(b.p);
    b = (StrBuf){0};
    strbuf_add(&b, "a: ", 3);
    for (int i = 0; i < 40; i++) strbuf_add(&b, "{k: ", 4);
    for (int i = 0; i < 40; i++) strbuf_add(&b, "[", 1); /* 80 levels of mixed flow */
    EXPECT(guard(b.p, why, sizeof why) != 0);
    free(b.p);
    b = (StrBuf){0};
    strbuf_add(&b, "a: [", 4);
    for (int i = 0; i < 300000; i++) strbuf_add(&b, "1,", 2);
    strbuf_add(&b, "1]\n", 3);
    EXPECT(guard(b.p, why, sizeof why) != 0);
    EXPECT_CONTAINS(why, "more than 262144 values");
    free(b.p);
    /* 60 levels pass */
    b = (StrBuf){0};
    strbuf_add(&b, "a: ", 3);
    for (int i = 0; i < 60; i++) strbuf_add(&b, "[", 1);
    for (int i = 0; i < 60; i++) strbuf_add(&b, "]", 1);
    EXPECT_MSG(guard(b.p, why, sizeof why) == 0, "%s", why);
    free(b.p);
}

/* ---- terminal output is text --------------------------------------------------------------- */

static void expect_escaped(const char *in, unsigned flags, const char *want)
{
    char *got = textwidth_escaped(in, flags);
    EXPECT_EQ_STR(got, want);
    free(got);
}

static void test_escape_control_characters(void)
{
    expect_escaped("a\033]52;c;ZWNobw==\007b", 0, "a\\e]52;c;ZWNobw==\\ab"); /* OSC 52: clipboard */
    expect_escaped("\033]0;title\007", 0, "\\e]0;title\\a");                 /* OSC 0: window title */
    expect_escaped("x\033[2J\033[Hy\r", 0, "x\\e[2J\\e[Hy\\r");
    expect_escaped("\xc2\x9b" "2J", 0, "\\u009b2J");                            /* C1 CSI in UTF-8 */
    expect_escaped("\x9b" "2J\xff", 0, "\\x9b2J\\xff");                          /* bytes that are not UTF-8 */
    expect_escaped("abc\xe2\x80\xae" "def", 0, "abc\\u202edef");                   /* right-to-left override */
    expect_escaped("\x7f\x01\t", 0, "\\x7f\\x01\\t");
    expect_escaped("中文 émoji 🚀 ✅", 0, "中文 émoji 🚀 ✅");                       /* text stays text */
    expect_escaped("two\nlines", 0, "two\\nlines");
    expect_escaped("two\nlines", TEXTWIDTH_KEEP_NEWLINE, "two\nlines");
    /* the colour codes yoloport writes pass in a log line; others do not */
    expect_escaped("\033[34m\033[1mONNX:\033[0m ok", TEXTWIDTH_KEEP_COLOUR, "\033[34m\033[1mONNX:\033[0m ok");
    expect_escaped("\033[1;34mx\033[0m", TEXTWIDTH_KEEP_COLOUR, "\033[1;34mx\033[0m");
    expect_escaped("\033[8mhidden\033[2J\033]52;c;x\007", TEXTWIDTH_KEEP_COLOUR, "\\e[8mhidden\\e[2J\\e]52;c;x\\a");
    expect_escaped("\033[34m", 0, "\\e[34m");
    expect_escaped("end\xe4\xb8", 0, "end\\xe4\\xb8"); /* a sequence cut short at the end */
    char *empty = textwidth_escaped(NULL, 0);
    EXPECT_EQ_STR(empty, "");
    free(empty);
}

/* ---- replacing an export folder -------------------------------------------------------------- */

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static char *slurp(const char *path) { return file_read_all(path, 1 << 20, NULL, NULL, 0); }

/* tmp: a new export (a file, a folder of shards); dst: what was there before. */
static void make_export(const char *dir, int shards)
{
    char p[512];
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/model.json", dir);
    put(p, "new");
    snprintf(p, sizeof p, "%s/variables", dir);
    mkdir(p, 0755);
    for (int i = 1; i <= shards; i++) {
        snprintf(p, sizeof p, "%s/variables/group1-shard%dof%d.bin", dir, i, shards);
        put(p, "new");
    }
}

static void test_export_folder_replaced_only_when_an_export(void)
{
    char base[] = "/tmp/yoloport-test-bounds.XXXXXX";
    EXPECT(mkdtemp(base) != NULL);
    char tmp[600], dst[600], p[700], err[512];
    snprintf(dst, sizeof dst, "%s/m_web_model", base);
    /* a previous export with another shard count: replaced */
    make_export(dst, 4);
    snprintf(tmp, sizeof tmp, "%s/.m_web_model.tmp.1", base);
    make_export(tmp, 2);
    EXPECT_MSG(fileio_commit_dir(tmp, dst, err, sizeof err) == 0, "%s", err);
    snprintf(p, sizeof p, "%s/variables/group1-shard4of4.bin", dst);
    EXPECT(!file_exists(p));
    /* a user's file beside the export, or inside its folder: not replaced, and said so */
    static const char *const strangers[] = {"notes.txt", "variables/notes.txt"};
    for (size_t i = 0; i < ARRAY_LEN(strangers); i++) {
        snprintf(p, sizeof p, "%s/%s", dst, strangers[i]);
        put(p, "mine");
        make_export(tmp, 2);
        EXPECT(fileio_commit_dir(tmp, dst, err, sizeof err) != 0);
        EXPECT_CONTAINS(err, "holds notes.txt, which an export does not write: it is not replaced");
        char *kept = slurp(p);
        EXPECT(kept && !strcmp(kept, "mine"));
        free(kept);
        fileio_remove_tree(tmp);
        unlink(p);
    }
    /* a link in the folder: not replaced either */
    snprintf(p, sizeof p, "%s/model.json", dst);
    unlink(p);
    EXPECT(symlink("/etc/passwd", p) == 0);
    make_export(tmp, 2);
    EXPECT(fileio_commit_dir(tmp, dst, err, sizeof err) != 0);
    EXPECT_CONTAINS(err, "holds model.json (not a plain file)");
    fileio_remove_tree(base);
}

/* Under LANG=C the logs write yoloport's symbols in ASCII, as the screens draw them. */
static void test_ascii_symbols(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"ONNX: export success \u2705 0.4s, max |\u0394| 0", "ONNX: export success ok 0.4s, max |d| 0"},
        {"ERROR \u274c ONNX: export failure 0.0s", "ERROR ONNX: export failure 0.0s"},
        {"WARNING \u26a0\ufe0f half=True", "WARNING half=True"},
        {"yoloport 0.1.0 \U0001f680 C11 CPU", "yoloport 0.1.0 C11 CPU"},
        {"\u274e written \u2013 not checked \u2192 SiLU as Sigmoid\u00b7Mul\u2026", "chk written -- not checked -> SiLU as Sigmoid.Mul..."},
        {"\u4e2d\u6587 stays", "\u4e2d\u6587 stays"}, /* not ours: left to the escaping */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *a = textwidth_ascii_symbols(cases[i].in);
        EXPECT_EQ_STR(a, cases[i].out);
        free(a);
    }
    char *e = textwidth_escaped("ok \u2705\n", TEXTWIDTH_ASCII_SYMBOLS | TEXTWIDTH_KEEP_NEWLINE);
    EXPECT_EQ_STR(e, "ok ok\n");
    free(e);
}

int main(void)
{
    RUN(test_fnv_collisions_are_real);
    RUN(test_strmap_probes_bounded_on_colliding_names);
    RUN(test_hash_keyed_and_stable);
    RUN(test_pickle_dict_colliding_int_keys);
    RUN(test_membudget_parse);
    RUN(test_membudget_refuses_past_the_limit);
    RUN(test_membudget_default_is_a_fraction_of_memory);
    RUN(test_yamlguard_passes_real_texts);
    RUN(test_yamlguard_refuses_deep_and_huge);
    RUN(test_escape_control_characters);
    RUN(test_export_folder_replaced_only_when_an_export);
    RUN(test_ascii_symbols);
    return check_done();
}
