/* yamlguard: a linear pre-scan of YAML text before libyaml sees it.  libyaml's work grows
 * with the square of the nesting depth (every token checks every open flow level), so
 * 200 KB of "[[[[..." takes it most of a minute; a model config, a metadata.yaml or a
 * dataset yaml nests a handful of levels.  The scan measures the nesting a text would
 * reach -- flow collections ([ and {, outside quoted and block scalars and comments),
 * block indentation levels and compact "- - -" sequences -- and refuses past a limit before
 * any parsing is done; it counts the nodes too.  It may over-count (it is not a YAML parser): a text it passes is
 * never deeper than the limit, and real files stay far below it.  No allocation. */
#ifndef YOLOPORT_YAMLGUARD_H
#define YOLOPORT_YAMLGUARD_H

#include <stddef.h>

/* The limits: far above any real config (a few hundred nodes, five levels; a dataset with
 * ten thousand class names), far below where libyaml slows down or its document (about
 * 200 bytes a node) grows large. */
#define YAMLGUARD_MAX_DEPTH 64
#define YAMLGUARD_MAX_NODES (1 << 18)

/* 0 when text[0..len) nests at most YAMLGUARD_MAX_DEPTH levels and makes at most
 * YAMLGUARD_MAX_NODES nodes; -1 + why ("nested deeper than 64 levels at line 3", "more than
 * 262144 values by line 9000") otherwise. */
int yamlguard_check(const char *text, size_t len, char *why, size_t whylen);

#endif
