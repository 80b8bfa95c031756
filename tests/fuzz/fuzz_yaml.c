/* fuzz_yaml: libFuzzer harness for what reads YAML from a file: the nesting pre-scan
 * (engine/core/yamlguard), the model-config builder (yolo_cfg_parse, with and without
 * weights: depth, width and scales are the file's to choose) and OpenVINO's metadata.yaml.
 * Whatever the pre-scan lets through must parse in bounded time (-timeout) and memory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/builder/yolo.h"
#include "engine/core/graph.h"
#include "engine/core/yamlguard.h"
#include "formats/openvino.h"
#include "tests/fuzz/fuzz_budget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char err[512];
    (void)yamlguard_check(text, size, err, sizeof err);
    (void)yolo_cfg_sniff(text, size);
    for (int with_data = 0; with_data < 2; with_data++) {
        ModTree *t = yolo_cfg_parse(text, size, "fuzz.yaml", "yolov8n.yaml", 0, with_data, err, sizeof err);
        if (!t && !err[0]) __builtin_trap(); /* a refusal always says why */
        if (t) modtree_free(t);
    }
    Graph *g = graph_new();
    (void)openvino_metadata_read(g, text, size, "metadata.yaml", err, sizeof err);
    graph_free(g);
    free(text);
    return 0;
}
