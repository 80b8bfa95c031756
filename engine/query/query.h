/* query: what the Graph screen's `/` finds in a model -- a line of terms, all of which must
 * hold for a node or a module:
 *
 *   word          a name or path, an op or module type, a tensor name, a shape ("[1, 256, 20,
 *                 20]", "256, 20") or an attribute ("kernel_shape=[3, 3]") containing it (no case)
 *   op:Conv       a node of that op ("Conv" is not "ConvTranspose"); modules never
 *   type:C2f      a module of that type, or a node of that op
 *   name:cv2      a name or path containing it
 *   shape:1x256x20x20   an output of exactly that shape (? for any one dim: 1x?x20x20)
 *   out:256 in:64 the channels (dim 1, or dim 0 of a vector) of output 0 / input 0
 *   params>100k   the parameters of a node's inputs / under a module (k, M, G; > >= < <= = :)
 *   k:3 s:2 p:1 d:1 g:32   kernel_shape, strides, pads, dilations (each value, or 3x1 for
 *                 all of them in order), group
 *   axis:1        any other attribute by its name, the same way
 *
 * Words alone make one phrase ("[1, 6, 4]", "cv2 conv"); with a structured term each word is
 * a term of its own.  Numbers compare with : = > >= < <=.  A term that a node or module cannot have (op:, k: on
 * a module) does not hold for it.  Parsing checks every term; matching reads only g. */
#ifndef YOLOPORT_QUERY_H
#define YOLOPORT_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/core/graph.h"

typedef struct Query Query;

/* Parse text (terms separated by spaces).  NULL + a message naming the bad term; an empty
 * text is a query that holds for everything. */
Query *query_parse(const char *text, char *err, size_t errlen);
void query_free(Query *q);

/* Does the query hold for node ni / module mi of g?  For a module, type (NULL: its own) and
 * out_tensor (-1: its own) say what a browser shows for it: a name group's guessed kind and
 * its last node's output. */
bool query_match_node(const Query *q, const Graph *g, int ni);
bool query_match_module(const Query *q, const Graph *g, int mi, const char *type, int out_tensor);

/* Parameters among node ni's inputs (the elements of its is_param tensors). */
int64_t query_node_params(const Graph *g, int ni);

#endif
