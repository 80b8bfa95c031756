/* torchscript_code_impl: what the TorchScript code generator's two files share (internal to
 * formats/; see torchscript.h).  torchscript_code.c holds the per-op emitters and their table,
 * torchscript_module.c the translation of a whole graph into a module (its inputs' names, the
 * forward body, the attributes) and the identifiers it makes from tensor names. */
#ifndef YOLOPORT_FORMATS_TORCHSCRIPT_CODE_IMPL_H
#define YOLOPORT_FORMATS_TORCHSCRIPT_CODE_IMPL_H

#include "formats/torchscript.h"

typedef enum { VK_UNSET, VK_TENSOR, VK_CONST, VK_INTS, VK_INT, VK_FLOAT } ValueKind;

typedef struct {
    ValueKind kind;
    const char *expr; /* variable or literal; NULL for VK_CONST */
    int data;         /* VK_CONST: the tensor that holds the data */
} Value;

typedef struct {
    const Graph *g;
    Arena *arena;
    Value *vals;     /* one per tensor */
    int *attr_of;    /* tensor -> attrs index, or -1 */
    Vec attrs;       /* TorchScriptAttr */
    Vec body;        /* the forward body text */
    int next_var;
    bool dynamic;    /* some input dim is symbolic: sizes are read at run time */
    bool uses_div;
    const char *device_of; /* an input variable whose device new tensors take */
    const Node *node;      /* the node being translated (messages) */
    char *err;
    size_t errlen;
} Gen;

typedef int (*EmitFn)(Gen *G, const Node *n);

/* One row of the emitters' table, indexed by OpKind. */
struct TsOp {
    OpWriteSupport support;
    EmitFn emit;
    const char *torch_fn; /* emit_unary: the elementwise torch function */
};

/* The node being translated failed: the message with its name and op, in G->err; -1. */
int tsc_fail(Gen *G, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tsc_put(Vec *v, const char *s);
/* The expression of tensor t as a Tensor (a variable, or a constant's module attribute). */
const char *tsc_tensor_expr(Gen *G, int t);
/* The emitters' table row of op (OP_OTHER's beyond the enum). */
const struct TsOp *tsc_op(OpKind op);
/* A word the generated code cannot take as a name (Python's, TorchScript's, our locals'). */
bool tsc_is_reserved(const char *s);
/* A Python identifier from a tensor name ("model.0.conv.weight" -> "model_0_conv_weight"). */
char *tsc_identifier(Arena *a, const char *name, const char *fallback);

#endif
