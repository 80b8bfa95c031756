/* fuzz_pt: libFuzzer harness for the checkpoint reader.  The input is a data.pkl; it is
 * zipped beside eight small storages (the sizes the seed's tensors need) into a temporary
 * file and loaded with and without data, which exercises the ModTree building on hostile
 * pickles: tensors, persistent ids, module graphs, names, strides. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "formats/pt.h"
#include "tests/fuzz/fuzz_budget.h"

static const size_t storage_sizes[8] = {24, 8, 8, 8, 8, 8, 8, 48};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    static uint8_t fill[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/fuzz_pt.%d.pt", (int)getpid());
        for (size_t i = 0; i < sizeof fill; i++) fill[i] = (uint8_t)(i * 37 + 1);
    }
    int code;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!za) return 0;
    zip_source_t *src = zip_source_buffer(za, data, size, 0);
    zip_file_add(za, "archive/data.pkl", src, ZIP_FL_OVERWRITE);
    for (int i = 0; i < 8; i++) {
        char name[32];
        snprintf(name, sizeof name, "archive/data/%d", i);
        zip_file_add(za, name, zip_source_buffer(za, fill, storage_sizes[i], 0), ZIP_FL_OVERWRITE);
    }
    if (zip_close(za) != 0) {
        zip_discard(za);
        return 0;
    }
    char err[512];
    for (int with_data = 0; with_data < 2; with_data++) {
        err[0] = '\0';
        ModTree *t = pt_load(path, with_data, err, sizeof err);
        if (!t && !err[0]) __builtin_trap();
        if (t) {
            /* touch every tensor byte so ASan sees out-of-bounds views */
            volatile uint8_t sink = 0;
            ModNode *stack[64];
            int sp = 0;
            if (t->root) stack[sp++] = t->root;
            while (sp) {
                ModNode *n = stack[--sp];
                for (int i = 0; i < n->n_tensors; i++)
                    if (n->tensors[i].data)
                        for (size_t b = 0; b < n->tensors[i].nbytes; b++) sink ^= ((const uint8_t *)n->tensors[i].data)[b];
                for (int i = 0; i < n->n_children && sp < 64; i++) stack[sp++] = n->children[i];
            }
            (void)sink;
            modtree_free(t);
        }
    }
    unlink(path);
    return 0;
}
