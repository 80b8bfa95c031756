/* fuzz_dataset: libFuzzer harness for the dataset readers -- the input is split at its first
 * NUL byte into a dataset yaml and a label file, written to a private folder (yaml, one image
 * entry, its label file), then read through dataset_load and dataset_labels. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/val/dataset.h"
#include "tests/fuzz/fuzz_budget.h"

static char dir[64];

static void put(const char *rel, const uint8_t *data, size_t n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (n) fwrite(data, 1, n, f);
    fclose(f);
}

static void cleanup(void)
{
    const char *files[] = {"d.yaml", "labels/a.txt", "images/a.jpg", "labels", "images", ""};
    char p[256];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        if (remove(p) != 0) rmdir(p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        atexit(cleanup);
        snprintf(dir, sizeof dir, "/tmp/fuzz-dataset-XXXXXX");
        if (!mkdtemp(dir)) abort();
        char p[256];
        snprintf(p, sizeof p, "%s/images", dir);
        mkdir(p, 0777);
        snprintf(p, sizeof p, "%s/labels", dir);
        mkdir(p, 0777);
        put("images/a.jpg", (const uint8_t *)"x", 1);
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t ylen = nul ? (size_t)(nul - data) : size;
    put("d.yaml", data, ylen);
    put("labels/a.txt", nul ? nul + 1 : data, nul ? size - ylen - 1 : 0);
    char path[256], err[512], warn[512];
    snprintf(path, sizeof path, "%s/d.yaml", dir);
    Dataset d;
    if (dataset_load(path, "val", &d, err, sizeof err) == 0) {
        for (int i = 0; i < d.n_images && i < 4; i++) {
            DatasetLabel *l;
            int n;
            if (dataset_labels(&d, i, &l, &n, warn, sizeof warn, err, sizeof err) == 0) dataset_labels_free(l, n);
        }
        dataset_free(&d);
    }
    return 0;
}
