/* cli_diff: `yoloport diff A B` -- two models side by side (engine/diff/diff.h): exit 0 when B
 * is A node for node, 1 when they differ, 2 on a usage error or a model that cannot be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/core/textwidth.h"
#include "engine/diff/diff.h"
#include "tui/cli.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: yoloport diff MODEL_A MODEL_B [--nodes N]\n"
                 "  two models side by side: inputs, outputs, metadata, op counts, parameters, size,\n"
                 "  and the nodes that differ (up to N of each side, default 20), found node for node;\n"
                 "  a checkpoint or config is built and fused as an export sees it\n"
                 "  exit 0: B is A node for node; 1: they differ; 2: usage, or a model that cannot be read\n"
                 "example: yoloport diff yolov8n.pt yolov8n.onnx\n");
}

int cli_diff(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL};
    int n = 0, max_nodes = 20;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--nodes") && i + 1 < argc) {
            char *end = NULL;
            long v = strtol(argv[++i], &end, 10);
            if (!*argv[i] || *end || v < 1 || v > 100000) {
                fprintf(stderr, "yoloport diff: --nodes takes a count (1 to 100000)\n");
                return 2;
            }
            max_nodes = (int)v;
        } else if (n < 2 && argv[i][0] != '-') paths[n++] = argv[i];
        else {
            fprintf(stderr, "yoloport diff: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (n != 2) {
        usage(stderr);
        return 2;
    }
    char err[1024];
    ModelDiff *d = model_diff(paths[0], paths[1], NULL, err, sizeof err);
    if (!d) {
        fputs("yoloport: ", stderr);
        textwidth_fputs(err, 0, stderr);
        fputc('\n', stderr);
        return 2;
    }
    char *text = model_diff_text(d, max_nodes);
    textwidth_fputs(text, TEXTWIDTH_KEEP_NEWLINE, stdout); /* the files' names: text, never commands */
    free(text);
    int rc = model_diff_same(d) ? 0 : 1;
    model_diff_free(d);
    return rc;
}
