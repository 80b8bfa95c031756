/* pickle: a safe unpickler.  It interprets pickle opcodes (protocols 0-5) into plain
 * values and NEVER calls anything: a class reference is just a (module, name) pair, and
 * REDUCE / NEWOBJ / BUILD / OBJ / INST produce an "object" value that records the class,
 * the arguments and the state.  Class references are checked against an allowlist when
 * they are pushed (torch rebuild functions and storages, OrderedDict, set, getattr,
 * torch.nn / torchvision / Ultralytics module classes); anything else stops the parse
 * with a message naming the class.  formats/pt.c turns the values into a ModTree.
 */
#ifndef YOLOPORT_PICKLE_H
#define YOLOPORT_PICKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/util.h"

typedef enum {
    PK_NONE,
    PK_BOOL,
    PK_INT,       /* any pickled integer that fits int64 (LONG1/LONG4 beyond that are refused) */
    PK_FLOAT,
    PK_STR,       /* unicode text (and protocol-0/1 STRING, which Python 3 reads as text) */
    PK_BYTES,     /* bytes / bytearray */
    PK_TUPLE,
    PK_LIST,
    PK_DICT,      /* ordered as pickled; collections.OrderedDict() becomes a dict too */
    PK_SET,       /* set (also builtins.set([...]) via REDUCE) */
    PK_FROZENSET,
    PK_CLASS,     /* a class or function reference: module + name, never resolved */
    PK_OBJECT,    /* class + args (+ kwargs) + state: what calling the class would have built */
    PK_PERSID,    /* persistent id: the pickled id value, resolved by the caller */
    PK_KIND_COUNT
} PickleKind;

typedef struct PickleValue PickleValue;
struct PickleValue {
    PickleKind kind;
    int user;           /* free for the caller (0 after load): pt.c keeps object identities here */
    union {
        bool b;                                  /* PK_BOOL */
        int64_t i;                               /* PK_INT */
        double f;                                /* PK_FLOAT */
        struct {
            const char *s;
            size_t len;
            uint64_t hash;                       /* its dict-key hash once computed (0: not yet) */
        } str;                                   /* PK_STR, PK_BYTES: NUL-terminated too */
        struct { PickleValue **items; size_t n, cap; } seq; /* PK_TUPLE, PK_LIST, PK_SET, PK_FROZENSET */
        struct {
            PickleValue **keys, **vals;
            size_t n, cap;
            uint32_t *index;                     /* hash index (key slot + 1), built past a few entries */
            size_t index_cap;
            uint32_t max_probe;                  /* longest probe of the index (bounded) */
        } dict;                                  /* PK_DICT */
        struct { const char *module, *name; } cls; /* PK_CLASS */
        struct {
            PickleValue *cls;                    /* a PK_CLASS */
            PickleValue *args;                   /* a PK_TUPLE (empty when none) */
            PickleValue *kwargs;                 /* NEWOBJ_EX keyword args (PK_DICT) or NULL */
            PickleValue *state;                  /* BUILD state or NULL */
        } obj;                                   /* PK_OBJECT */
        PickleValue *pid;                        /* PK_PERSID */
    };
};

/* Parse one pickle (the bytes up to its STOP opcode) from buf[0..len).  Every value lives
 * in `arena` (the caller owns it and frees it when done with the values; buf may be freed
 * right after the call: strings are copied).  Returns the top-level value, or NULL and a
 * message in err ("offset 123: refuses to load class 'os.system' (not on the allowlist)",
 * "offset 9: truncated BINUNICODE", ...).  Nothing from the input is ever executed.
 * Values may be shared (the memo) and may even be cyclic (a list that contains itself):
 * walkers must bound their depth. */
PickleValue *pickle_load(const uint8_t *buf, size_t len, Arena *arena, char *err, size_t errlen);

/* pickle_load with one explicit extra allowance, for TorchScript archives only: classes
 * (capitalised names) whose module is extra_class_module or below it ("__torch__" admits
 * "__torch__.yoloport.DetectionModel", never "__torch__x.Y" or a function).  Such a class is
 * the archive's own compiled code: it is recorded like any class and never resolved.
 * The checkpoint allowlist is unchanged; NULL behaves exactly like pickle_load. */
PickleValue *pickle_load_allowing(const uint8_t *buf, size_t len, Arena *arena, const char *extra_class_module,
                                  char *err, size_t errlen);

/* True when module.name may be referenced by a pickle we load (see the list in pickle.c). */
bool pickle_class_allowed(const char *module, const char *name);

const char *pickle_kind_name(PickleKind k);

/* Accessors: all accept NULL and a value of the wrong kind, returning NULL / dflt. */
/* dict[key] for a string key (the last one pickled wins, as in Python). */
PickleValue *pickle_dict_get(const PickleValue *dict, const char *key);
/* dict[key] for an int key. */
PickleValue *pickle_dict_get_int(const PickleValue *dict, int64_t key);
/* Item i of a tuple / list / set; NULL when out of range. */
PickleValue *pickle_item(const PickleValue *seq, size_t i);
/* Number of items of a tuple / list / set / dict; 0 otherwise. */
size_t pickle_len(const PickleValue *v);
bool pickle_is(const PickleValue *v, PickleKind k);
/* Text of a PK_STR, else NULL. */
const char *pickle_str(const PickleValue *v);
/* PK_INT or PK_BOOL as an integer (else dflt). */
int64_t pickle_int(const PickleValue *v, int64_t dflt);
/* PK_FLOAT, PK_INT or PK_BOOL as a double (else dflt). */
double pickle_float(const PickleValue *v, double dflt);
/* True when v is a PK_OBJECT (or PK_CLASS) whose class is module.name exactly. */
bool pickle_is_class(const PickleValue *v, const char *module, const char *name);
/* The class reference of an object (PK_CLASS), or v itself when it is a class; else NULL. */
const PickleValue *pickle_class_of(const PickleValue *v);

#endif
