/* diff: two models side by side -- `yoloport diff A B` and the workbench's diff view: what each
 * file is (format, size), their inputs, outputs, metadata, op counts and parameters, and the
 * nodes that differ, found by the node-for-node proof (engine/passes/graph_equiv.h): B's nodes
 * that compute nothing A computes, A's that B has no counterpart for, and the first node where
 * they part.  A checkpoint or config is built and fused, as an export sees it, at the other
 * model's input size when that one is a file with a fixed size.
 *
 * Call order: ModelDiff *d = model_diff(a, b, NULL, err, len); char *t = model_diff_text(d, color);
 * ...; free(t); model_diff_free(d).  Loads both models with their weights (seconds for big
 * ones): the workbench runs it as a job. */
#ifndef YOLOPORT_DIFF_H
#define YOLOPORT_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"

typedef struct ModelDiff ModelDiff;

/* Compare the models at paths a and b.  cancel (may be NULL) is polled between the steps.
 * NULL + a message naming the file that cannot be read. */
ModelDiff *model_diff(const char *a, const char *b, const volatile int *cancel, char *err, size_t errlen);
void model_diff_free(ModelDiff *d);

/* Are the two graphs node for node the same computation? */
bool model_diff_same(const ModelDiff *d);
/* How many of B's / A's nodes differ (have no counterpart). */
int model_diff_nodes_b(const ModelDiff *d);
int model_diff_nodes_a(const ModelDiff *d);

/* The report as text lines (heap string, caller frees): the two files, inputs, outputs,
 * parameters, metadata that differs, op counts that differ, and the nodes that differ (up to
 * max_nodes of each side, 0: 20).  ASCII apart from the names the files hold. */
char *model_diff_text(const ModelDiff *d, int max_nodes);

#endif
