/* Tests for the safe unpickler: values from every protocol, shared and cyclic values,
 * refused classes (nothing runs), malformed and truncated input, and the allowlist. */
#include <stdint.h>

#include "formats/pickle.h"
#include "tests/check.h"

#define PK(lit) ((const uint8_t *)(lit)), (sizeof(lit) - 1)

/* pickle.dumps({'a': 1, 'b': [1, 2.5, None, True, False, 'x'], 'c': (1,), 'neg': -5,
 *               'big': 2**40, 'nbig': -2**63, 'e': 'é'}, protocol=2) */
static const char P2[] =
    "\x80\x02\x7d\x71\x00\x28\x58\x01\x00\x00\x00\x61\x71\x01\x4b\x01\x58\x01\x00\x00\x00\x62\x71\x02\x5d\x71"
    "\x03\x28\x4b\x01\x47\x40\x04\x00\x00\x00\x00\x00\x00\x4e\x88\x89\x58\x01\x00\x00\x00\x78\x71\x04\x65\x58"
    "\x01\x00\x00\x00\x63\x71\x05\x4b\x01\x85\x71\x06\x58\x03\x00\x00\x00\x6e\x65\x67\x71\x07\x4a\xfb\xff\xff"
    "\xff\x58\x03\x00\x00\x00\x62\x69\x67\x71\x08\x8a\x06\x00\x00\x00\x00\x00\x01\x58\x04\x00\x00\x00\x6e\x62"
    "\x69\x67\x71\x09\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x58\x01\x00\x00\x00\x65\x71\x0a\x58\x02\x00\x00"
    "\x00\xc3\xa9\x71\x0b\x75\x2e";

/* the same plus 'by': b'yz', 'od': OrderedDict(k1=1, k2=2), 's': {7}, 'fs': frozenset({3}),
 * protocol=4 (FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL, EMPTY_SET, ADDITEMS, FROZENSET) */
static const char P4[] =
    "\x80\x04\x95\xb4\x00\x00\x00\x00\x00\x00\x00\x7d\x94\x28\x8c\x01\x61\x94\x4b\x01\x8c\x01\x62\x94\x5d\x94"
    "\x28\x4b\x01\x47\x40\x04\x00\x00\x00\x00\x00\x00\x4e\x88\x89\x8c\x01\x78\x94\x65\x8c\x01\x63\x94\x4b\x01"
    "\x85\x94\x8c\x03\x6e\x65\x67\x94\x4a\xfb\xff\xff\xff\x8c\x03\x62\x69\x67\x94\x8a\x06\x00\x00\x00\x00\x00"
    "\x01\x8c\x04\x6e\x62\x69\x67\x94\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80\x8c\x01\x65\x94\x8c\x02\xc3\xa9"
    "\x94\x8c\x02\x62\x79\x94\x43\x02\x79\x7a\x94\x8c\x02\x6f\x64\x94\x8c\x0b\x63\x6f\x6c\x6c\x65\x63\x74\x69"
    "\x6f\x6e\x73\x94\x8c\x0b\x4f\x72\x64\x65\x72\x65\x64\x44\x69\x63\x74\x94\x93\x94\x29\x52\x94\x28\x8c\x02"
    "\x6b\x31\x94\x4b\x01\x8c\x02\x6b\x32\x94\x4b\x02\x75\x8c\x01\x73\x94\x8f\x94\x28\x4b\x07\x90\x8c\x02\x66"
    "\x73\x94\x28\x4b\x03\x91\x94\x75\x2e";

/* {'ba': bytearray(b'abc'), 'x': [1, 2, 3]}, protocol=5 (BYTEARRAY8) */
static const char P5[] =
    "\x80\x05\x95\x25\x00\x00\x00\x00\x00\x00\x00\x7d\x94\x28\x8c\x02\x62\x61\x94\x96\x03\x00\x00\x00\x00\x00"
    "\x00\x00\x61\x62\x63\x94\x8c\x01\x78\x94\x5d\x94\x28\x4b\x01\x4b\x02\x4b\x03\x65\x75\x2e";

/* {'a': [1, 'x', 1.5, None, True], 'u': 'é€', 'l': 12345678901234}, protocol=0 */
static const char P0[] =
    "(dp0\nVa\np1\n(lp2\nI1\naVx\np3\naF1.5\naNaI01\nasVu\np4\nV\xe9\\u20ac\np5\nsVl\np6\nL12345678901234L\ns.";

/* x = [1]; [x, x] */
static const char SHARED[] = "\x80\x02\x5d\x71\x00\x28\x5d\x71\x01\x4b\x01\x61\x68\x01\x65\x2e";
/* l = []; l.append(l) */
static const char CYCLE[] = "\x80\x02\x5d\x71\x00\x68\x00\x61\x2e";
/* 2**64 */
static const char HUGE_INT[] = "\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01\x2e";

static PickleValue *load(Arena *a, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    err[0] = '\0';
    return pickle_load(buf, len, a, err, errlen);
}

static void check_common_values(const PickleValue *v)
{
    EXPECT(pickle_is(v, PK_DICT));
    EXPECT_EQ_INT(pickle_int(pickle_dict_get(v, "a"), 0), 1);
    const PickleValue *b = pickle_dict_get(v, "b");
    EXPECT(pickle_is(b, PK_LIST) && pickle_len(b) == 6);
    EXPECT_NEAR(pickle_float(pickle_item(b, 1), 0), 2.5, 0);
    EXPECT(pickle_is(pickle_item(b, 2), PK_NONE));
    EXPECT(pickle_is(pickle_item(b, 3), PK_BOOL) && pickle_item(b, 3)->b);
    EXPECT(pickle_is(pickle_item(b, 4), PK_BOOL) && !pickle_item(b, 4)->b);
    EXPECT_EQ_STR(pickle_str(pickle_item(b, 5)), "x");
    const PickleValue *c = pickle_dict_get(v, "c");
    EXPECT(pickle_is(c, PK_TUPLE) && pickle_len(c) == 1);
    EXPECT_EQ_INT(pickle_int(pickle_dict_get(v, "neg"), 0), -5);
    EXPECT_EQ_INT(pickle_int(pickle_dict_get(v, "big"), 0), 1LL << 40);
    EXPECT(pickle_int(pickle_dict_get(v, "nbig"), 0) == INT64_MIN);
    EXPECT_EQ_STR(pickle_str(pickle_dict_get(v, "e")), "\xc3\xa9");
    EXPECT(pickle_dict_get(v, "missing") == NULL);
}

static void test_protocol2_values(void)
{
    Arena *a = arena_new();
    char err[256];
    PickleValue *v = load(a, PK(P2), err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    check_common_values(v);
    EXPECT_EQ_INT(pickle_len(v), 7);
    EXPECT_EQ_STR(pickle_str(v->dict.keys[0]), "a"); /* order kept */
    EXPECT_EQ_STR(pickle_str(v->dict.keys[6]), "e");
    arena_free(a);
}

static void test_protocol4_values(void)
{
    Arena *a = arena_new();
    char err[256];
    PickleValue *v = load(a, PK(P4), err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    check_common_values(v);
    const PickleValue *by = pickle_dict_get(v, "by");
    EXPECT(pickle_is(by, PK_BYTES) && by->str.len == 2 && !memcmp(by->str.s, "yz", 2));
    const PickleValue *od = pickle_dict_get(v, "od");
    EXPECT(pickle_is(od, PK_DICT) && pickle_len(od) == 2);
    EXPECT_EQ_INT(pickle_int(pickle_dict_get(od, "k2"), 0), 2);
    const PickleValue *s = pickle_dict_get(v, "s");
    EXPECT(pickle_is(s, PK_SET) && pickle_int(pickle_item(s, 0), 0) == 7);
    const PickleValue *fs = pickle_dict_get(v, "fs");
    EXPECT(pickle_is(fs, PK_FROZENSET) && pickle_int(pickle_item(fs, 0), 0) == 3);
    arena_free(a);
}

static void test_protocol5_bytearray(void)
{
    Arena *a = arena_new();
    char err[256];
    PickleValue *v = load(a, PK(P5), err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    const PickleValue *ba = pickle_dict_get(v, "ba");
    EXPECT(pickle_is(ba, PK_BYTES) && ba->str.len == 3);
    EXPECT_EQ_INT(pickle_len(pickle_dict_get(v, "x")), 3);
    arena_free(a);
}

static void test_protocol0_text_opcodes(void)
{
    Arena *a = arena_new();
    char err[256];
    PickleValue *v = load(a, PK(P0), err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    const PickleValue *l = pickle_dict_get(v, "a");
    EXPECT_EQ_INT(pickle_len(l), 5);
    EXPECT_EQ_INT(pickle_int(pickle_item(l, 0), 0), 1);
    EXPECT_EQ_STR(pickle_str(pickle_item(l, 1)), "x");
    EXPECT_NEAR(pickle_float(pickle_item(l, 2), 0), 1.5, 0);
    EXPECT(pickle_is(pickle_item(l, 4), PK_BOOL));
    EXPECT_EQ_STR(pickle_str(pickle_dict_get(v, "u")), "\xc3\xa9\xe2\x82\xac");
    EXPECT(pickle_int(pickle_dict_get(v, "l"), 0) == 12345678901234LL);
    arena_free(a);
}

static void test_memo_keeps_identity(void)
{
    Arena *a = arena_new();
    char err[256];
    PickleValue *v = load(a, PK(SHARED), err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    EXPECT(pickle_len(v) == 2 && pickle_item(v, 0) == pickle_item(v, 1));
    arena_free(a);
}

static void test_cycle_is_represented(void)
{
    Arena *a = arena_new();
    char err[256];
    PickleValue *v = load(a, PK(CYCLE), err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    EXPECT(pickle_len(v) == 1 && pickle_item(v, 0) == v);
    arena_free(a);
}

static void test_int_beyond_64_bits_refused(void)
{
    Arena *a = arena_new();
    char err[256];
    EXPECT(load(a, PK(HUGE_INT), err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "does not fit in 64 bits");
    /* -2**63 - 1 needs 9 bytes too */
    EXPECT(load(a, PK("\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\xff."), err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "does not fit in 64 bits");
    /* a 9-byte encoding of -1 fits */
    PickleValue *v = load(a, PK("\x80\x02\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff."), err, sizeof err);
    EXPECT(v && pickle_int(v, 0) == -1);
    arena_free(a);
}

/* ---- refused classes ---- */

static void check_refused(const uint8_t *buf, size_t len, const char *label)
{
    Arena *a = arena_new();
    char err[256], want[200];
    EXPECT(load(a, buf, len, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "refuses to load class '%s' (not on the allowlist)", label);
    EXPECT_CONTAINS(err, want);
    arena_free(a);
}

static void test_refuses_os_system_protocol0(void)
{
    check_refused(PK("cos\nsystem\n(S'touch /tmp/yoloport-canary'\ntR."), "os.system");
    EXPECT(access("/tmp/yoloport-canary", F_OK) != 0);
}

static void test_refuses_eval_stack_global(void)
{
    check_refused(PK("\x80\x04\x8c\x08" "builtins" "\x8c\x04" "eval" "\x93\x8c\x04" "1+1;" "\x85R."), "builtins.eval");
}

static void test_refuses_subprocess_and_posix(void)
{
    check_refused(PK("csubprocess\nPopen\n(]tR."), "subprocess.Popen");
    check_refused(PK("cposix\nsystem\nX\x02\x00\x00\x00id\x85R."), "posix.system");
    check_refused(PK("\x80\x02" "c__builtin__\nexec\nX\x01\x00\x00\x00x\x85R."), "__builtin__.exec");
    check_refused(PK("\x80\x02" "ctorch\nload\n)R."), "torch.load");
    check_refused(PK("\x80\x02" "cos\nsystem\n."), "os.system"); /* refused at the reference itself */
}

static void test_refuses_inst_and_obj(void)
{
    check_refused(PK("(S'id'\nios\nsystem\n."), "os.system");
    /* OBJ with a refused class pushed by GLOBAL */
    check_refused(PK("\x80\x02(cos\nsystem\nX\x02\x00\x00\x00ido."), "os.system");
}

static void test_getattr_result_cannot_be_called(void)
{
    /* getattr(Conv2d, 'forward') is recorded; calling the result is refused */
    Arena *a = arena_new();
    char err[256];
    static const char ok[] = "\x80\x02" "c__builtin__\ngetattr\nctorch.nn.modules.conv\nConv2d\n"
                             "X\x07\x00\x00\x00" "forward" "\x86R.";
    PickleValue *v = load(a, PK(ok), err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    EXPECT(pickle_is_class(v, "builtins", "getattr"));
    EXPECT_EQ_STR(pickle_str(pickle_item(v->obj.args, 1)), "forward");
    static const char call[] = "\x80\x02" "c__builtin__\ngetattr\nctorch.nn.modules.conv\nConv2d\n"
                               "X\x07\x00\x00\x00" "forward" "\x86R)R.";
    EXPECT(load(a, PK(call), err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, "calls a object, not a class reference");
    arena_free(a);
}

static void test_allowlist(void)
{
    EXPECT(pickle_class_allowed("torch._utils", "_rebuild_tensor_v2"));
    EXPECT(pickle_class_allowed("torch", "HalfStorage"));
    EXPECT(pickle_class_allowed("collections", "OrderedDict"));
    EXPECT(pickle_class_allowed("__builtin__", "set"));
    EXPECT(pickle_class_allowed("builtins", "getattr"));
    EXPECT(pickle_class_allowed("torch.nn.modules.conv", "Conv2d"));
    EXPECT(pickle_class_allowed("torch.nn", "Parameter"));
    EXPECT(pickle_class_allowed("ultralytics.nn.modules", "Conv"));
    EXPECT(pickle_class_allowed("ultralytics.nn.modules.conv", "Conv"));
    EXPECT(pickle_class_allowed("ultralytics.nn.tasks", "DetectionModel"));
    EXPECT(pickle_class_allowed("torchvision.ops.misc", "Conv2dNormActivation"));
    EXPECT(!pickle_class_allowed("torch.nn.functional", "Conv2d"));
    EXPECT(!pickle_class_allowed("torch.nn.modules.conv", "_conv_forward")); /* functions are not classes */
    EXPECT(!pickle_class_allowed("ultralytics.nn.tasks", "torch_safe_load"));
    EXPECT(!pickle_class_allowed("ultralytics.utils", "callbacks"));
    EXPECT(!pickle_class_allowed("torch", "load"));
    EXPECT(!pickle_class_allowed("torch.nnx", "Conv"));
    EXPECT(!pickle_class_allowed("torch.nn.modules.conv ", "Conv2d"));
    EXPECT(!pickle_class_allowed("builtins", "eval"));
    EXPECT(!pickle_class_allowed("nt", "system"));
}

/* ---- malformed input ---- */

static void check_error(const uint8_t *buf, size_t len, const char *want)
{
    Arena *a = arena_new();
    char err[256];
    EXPECT(load(a, buf, len, err, sizeof err) == NULL);
    EXPECT_CONTAINS(err, want);
    arena_free(a);
}

static void test_every_truncation_fails_cleanly(void)
{
    const struct {
        const char *buf;
        size_t len;
    } seeds[] = {{P2, sizeof P2 - 1}, {P4, sizeof P4 - 1}, {P5, sizeof P5 - 1}, {P0, sizeof P0 - 1}};
    int failures = 0, cases = 0;
    for (size_t s = 0; s < ARRAY_LEN(seeds); s++) {
        for (size_t n = 0; n < seeds[s].len; n++) {
            /* a private copy so ASan catches any read past n */
            uint8_t *copy = xmalloc(n ? n : 1);
            memcpy(copy, seeds[s].buf, n);
            Arena *a = arena_new();
            char err[256] = "";
            PickleValue *v = pickle_load(copy, n, a, err, sizeof err);
            cases++;
            if (v != NULL || !err[0]) failures++;
            arena_free(a);
            free(copy);
        }
    }
    EXPECT_MSG(failures == 0, "%d of %d truncations loaded or gave no message", failures, cases);
}

static void test_malformed_messages(void)
{
    check_error(PK(""), "empty pickle");
    check_error(PK("\x80\x02"), "no STOP");
    check_error(PK("\x80\x06N."), "unsupported pickle protocol 6");
    check_error(PK("\x80\x02\xff."), "unknown opcode 0xff");
    check_error(PK("\x80\x02h\x05."), "memo entry 5 used before it was stored");
    check_error(PK("\x80\x02Nr\xff\xff\xff\xff."), "memo index 4294967295 out of range");
    check_error(PK("\x80\x02."), "STOP: stack underflow");
    check_error(PK("\x80\x02R."), "REDUCE: stack underflow");
    check_error(PK("\x80\x02X\xff\xff\xff\x7f" "abc."), "truncated BINUNICODE");
    check_error(PK("\x80\x02\x8b\xff\xff\xff\xff."), "LONG4: negative length");
    check_error(PK("\x80\x02\x8d\xff\xff\xff\xff\xff\xff\xff\xff."), "truncated string");
    check_error(PK("\x80\x02Ne."), "APPENDS without a MARK");
    check_error(PK("\x80\x02N(Na."), "APPEND: stack underflow"); /* cannot reach below a mark */
    check_error(PK("\x80\x02}(."), "STOP: stack underflow");
    check_error(PK("\x80\x02N(NNu."), "SETITEMS on a None");
    check_error(PK("\x80\x02](NNNu."), "SETITEMS on a list");
    check_error(PK("\x80\x02}(Nu."), "odd number");
    check_error(PK("\x80\x02NNR."), "REDUCE: calls a None, not a class reference");
    check_error(PK("\x80\x02" "ctorch\nSize\nNR."), "arguments are a None, not a tuple");
    check_error(PK("\x80\x02" "\x82\x01."), "extension registry");
    check_error(PK("\x80\x05\x97."), "out-of-band buffers");
    check_error(PK("\x80\x02" "c\nx\n."), "refuses to load class");
    check_error(PK("\x80\x02" "X\x01\x00\x00\x00" "aN\x93."), "not strings");
    check_error(PK("I12x\n."), "bad or out-of-range integer");
    check_error(PK("I99999999999999999999\n."), "bad or out-of-range integer");
    check_error(PK("Fnotanumber\n."), "FLOAT: bad number");
    check_error(PK("S'abc\n."), "not quoted");
    check_error(PK("Vab\\u12\n."), "bad \\u escape");
    check_error(PK("\x80\x02]N\x90."), "ADDITEMS without a MARK");
    check_error(PK("\x80\x02N0\x30."), "POP: stack underflow");
}

/* Empty MARK-delimited containers as the very first values (found by fuzzing: the stack
 * was not allocated yet). */
static void test_empty_marked_containers(void)
{
    Arena *a = arena_new();
    char err[256];
    PickleValue *v = load(a, PK("(l."), err, sizeof err);
    EXPECT_MSG(pickle_is(v, PK_LIST) && pickle_len(v) == 0, "%s", err);
    v = load(a, PK("(t."), err, sizeof err);
    EXPECT_MSG(pickle_is(v, PK_TUPLE) && pickle_len(v) == 0, "%s", err);
    v = load(a, PK("(d."), err, sizeof err);
    EXPECT_MSG(pickle_is(v, PK_DICT) && pickle_len(v) == 0, "%s", err);
    v = load(a, PK("\x80\x04(\x91."), err, sizeof err);
    EXPECT_MSG(pickle_is(v, PK_FROZENSET) && pickle_len(v) == 0, "%s", err);
    arena_free(a);
}

static void test_embedded_nul_in_class_refused(void)
{
    check_error(PK("\x80\x04\x8c\x05torch\x8c\x10HalfStorage\0\0\0\0\0\x93."), "refuses to load class 'torch.HalfStorage?????" "'");
}

/* A dict with many entries and a repeated key: the last value wins, the first position stays. */
static void test_large_dict_with_duplicates(void)
{
    size_t cap = 64 + 300 * 12, n = 0;
    uint8_t *b = xmalloc(cap);
    b[n++] = 0x80, b[n++] = 0x02, b[n++] = '}', b[n++] = '(';
    for (int i = 0; i < 300; i++) {
        b[n++] = 'J';
        uint32_t k = (uint32_t)(i % 200); /* keys 0..199, then 0..99 again */
        memcpy(b + n, &k, 4), n += 4;
        b[n++] = 'J';
        uint32_t v = (uint32_t)i;
        memcpy(b + n, &v, 4), n += 4;
    }
    b[n++] = 'u', b[n++] = '.';
    Arena *a = arena_new();
    char err[256];
    PickleValue *d = pickle_load(b, n, a, err, sizeof err);
    EXPECT_MSG(d != NULL, "%s", err);
    EXPECT_EQ_INT(pickle_len(d), 200);
    EXPECT_EQ_INT(pickle_int(pickle_dict_get_int(d, 5), -1), 205);
    EXPECT_EQ_INT(pickle_int(pickle_dict_get_int(d, 150), -1), 150);
    EXPECT_EQ_INT(pickle_int(d->dict.keys[5], -1), 5);
    EXPECT(pickle_dict_get_int(d, 200) == NULL);
    arena_free(a);
    free(b);
}

static void test_objects_record_class_args_state(void)
{
    /* NEWOBJ(Conv2d, ()) + BUILD({'k': 3}) + BUILD({'s': 1}) merges the state */
    static const char obj[] = "\x80\x02" "ctorch.nn.modules.conv\nConv2d\n)\x81}X\x01\x00\x00\x00kK\x03sb"
                              "}X\x01\x00\x00\x00sK\x01sb.";
    Arena *a = arena_new();
    char err[256];
    PickleValue *v = load(a, PK(obj), err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    EXPECT(pickle_is(v, PK_OBJECT) && pickle_is_class(v, "torch.nn.modules.conv", "Conv2d"));
    EXPECT_EQ_INT(pickle_int(pickle_dict_get(v->obj.state, "k"), 0), 3);
    EXPECT_EQ_INT(pickle_int(pickle_dict_get(v->obj.state, "s"), 0), 1);
    EXPECT_EQ_INT(pickle_len(v->obj.args), 0);
    /* a persistent id keeps its value */
    static const char pid[] = "\x80\x02(X\x07\x00\x00\x00storagectorch\nHalfStorage\nX\x01\x00\x00\x00" "0K\x05tQ.";
    v = load(a, PK(pid), err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    EXPECT(pickle_is(v, PK_PERSID) && pickle_len(v->pid) == 4);
    EXPECT(pickle_is_class(pickle_item(v->pid, 1), "torch", "HalfStorage"));
    /* __builtin__.set([1, 2]) becomes a set; the module name is normalised */
    static const char set[] = "\x80\x02" "c__builtin__\nset\n]K\x01\x61K\x02\x61\x85R.";
    v = load(a, PK(set), err, sizeof err);
    EXPECT_MSG(v != NULL, "%s", err);
    EXPECT(pickle_is(v, PK_SET) && pickle_len(v) == 2);
    arena_free(a);
}

int main(void)
{
    RUN(test_protocol2_values);
    RUN(test_protocol4_values);
    RUN(test_protocol5_bytearray);
    RUN(test_protocol0_text_opcodes);
    RUN(test_memo_keeps_identity);
    RUN(test_cycle_is_represented);
    RUN(test_int_beyond_64_bits_refused);
    RUN(test_refuses_os_system_protocol0);
    RUN(test_refuses_eval_stack_global);
    RUN(test_refuses_subprocess_and_posix);
    RUN(test_refuses_inst_and_obj);
    RUN(test_getattr_result_cannot_be_called);
    RUN(test_allowlist);
    RUN(test_every_truncation_fails_cleanly);
    RUN(test_malformed_messages);
    RUN(test_empty_marked_containers);
    RUN(test_embedded_nul_in_class_refused);
    RUN(test_large_dict_with_duplicates);
    RUN(test_objects_record_class_args_state);
    return check_done();
}
