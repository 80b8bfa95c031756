/* fuzz_pickle: libFuzzer harness for the safe unpickler.  Loads the input and walks the
 * resulting values (bounded: values may be shared or cyclic) through the accessors. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "formats/pickle.h"
#include "tests/fuzz/fuzz_budget.h"

static size_t walk(const PickleValue *v, int depth, size_t budget)
{
    if (!v || depth > 24 || budget == 0) return 0;
    size_t seen = 1;
    switch (v->kind) {
    case PK_STR:
    case PK_BYTES:
        /* every string is NUL-terminated at its length */
        if (v->str.s[v->str.len] != '\0') __builtin_trap();
        break;
    case PK_TUPLE:
    case PK_LIST:
    case PK_SET:
    case PK_FROZENSET:
        for (size_t i = 0; i < pickle_len(v) && seen < budget; i++) seen += walk(pickle_item(v, i), depth + 1, budget - seen);
        break;
    case PK_DICT:
        for (size_t i = 0; i < v->dict.n && seen < budget; i++) {
            seen += walk(v->dict.keys[i], depth + 1, budget - seen);
            if (seen < budget) seen += walk(v->dict.vals[i], depth + 1, budget - seen);
            const char *k = pickle_str(v->dict.keys[i]);
            if (k && strlen(k) == v->dict.keys[i]->str.len && pickle_dict_get(v, k) == NULL) __builtin_trap();
        }
        break;
    case PK_OBJECT:
        if (!pickle_is(pickle_class_of(v), PK_CLASS) || !pickle_is(v->obj.args, PK_TUPLE)) __builtin_trap();
        if (!pickle_class_allowed(v->obj.cls->cls.module, v->obj.cls->cls.name) &&
            strcmp(v->obj.cls->cls.module, "builtins")) /* __builtin__ is renamed */
            __builtin_trap();
        seen += walk(v->obj.args, depth + 1, budget - seen);
        if (seen < budget) seen += walk(v->obj.state, depth + 1, budget - seen);
        if (seen < budget) seen += walk(v->obj.kwargs, depth + 1, budget - seen);
        break;
    case PK_PERSID: seen += walk(v->pid, depth + 1, budget - seen); break;
    default: break;
    }
    return seen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Arena *a = arena_new();
    char err[256];
    PickleValue *v = pickle_load(data, size, a, err, sizeof err);
    if (v) walk(v, 0, 100000);
    else if (!err[0]) __builtin_trap(); /* a failure always says why */
    arena_free(a);
    return 0;
}
