/* cli_args: `key=value` arguments for the measuring verbs (predict, val, benchmark), with the
 * peer's types and messages: bools ("'save=yes' is of invalid type str. 'save' must be a bool
 * (i.e. 'save=True' or 'save=False')"), fractions ("'conf=1.5' is an invalid value. Valid
 * 'conf' values are between 0.0 and 1.0."), unknown keys ("'x' is not a valid YOLO argument.").
 * Each verb declares its keys in a table; values land in the caller's fields. */
#ifndef YOLOPORT_CLI_ARGS_H
#define YOLOPORT_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    CA_BOOL,     /* bool *: True/False/true/false/1/0; a bare `key` means True */
    CA_INT,      /* int * (>= 0) */
    CA_FLOAT,    /* double * (>= 0) */
    CA_FRACTION, /* double * in [0, 1] */
    CA_STR,      /* char[CLI_ARG_STR] */
    CA_IMGSZ,    /* int[2] (h, w): 640 | 640,480 | [640, 480] */
    CA_INTS,     /* CliInts *: 0 | 0,2 | [0, 2] */
    CA_THREADS,  /* int *: 1 .. CLI_MAX_THREADS (threads= of the runtime; unset: the runtime's default) */
} CliArgType;

#define CLI_MAX_THREADS 256 /* the executor's pool holds at most this many */

#define CLI_ARG_STR 4096

typedef struct {
    int v[64];
    int n;
} CliInts;

typedef struct {
    const char *name;
    CliArgType type;
    void *dst;
    bool given;  /* set by the parser */
} CliArg;

/* Apply argv (the words after the verb) to spec[0..n).  "--flag" words are matched against
 * flags[0..nflags) (NULL-terminated names like "--json"), setting flag_set[i].  Errors go to
 * stderr, one line each, all of them; returns 0, or 2 (usage) when any word failed. */
int cli_args_parse(CliArg *spec, int n, const char *const *flags, bool *flag_set, int nflags, int argc, char **argv,
                   const char *verb);

/* Apply one value v to a (a verb that parses the rest of its words elsewhere: export's
 * threads=).  0, or -1 after one line on stderr in the same wording. */
int cli_arg_set(CliArg *a, const char *v, const char *verb);

#endif
