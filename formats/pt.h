/* pt: PyTorch checkpoint reader.  A checkpoint (torch.save) is a zip holding
 * `<prefix>/data.pkl` (a pickle of the checkpoint dict) and `<prefix>/data/<key>` (one raw
 * little-endian entry per tensor storage).  The pickle is read with the safe unpickler
 * (formats/pickle.h, nothing is ever executed) and the Ultralytics model in it becomes a
 * ModTree (engine/core/modtree.h): one ModNode per nn.Module with its children, tensors and
 * plain attributes, plus the checkpoint-level facts (names, stride, train args, ...).
 */
#ifndef YOLOPORT_PT_H
#define YOLOPORT_PT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/core/modtree.h"

typedef enum {
    PT_NOT_ZIP,     /* missing, unreadable, or not a zip archive */
    PT_CHECKPOINT,  /* zip with <prefix>/data.pkl: a torch.save checkpoint */
    PT_TORCHSCRIPT, /* zip with data.pkl plus code/ or constants.pkl: torch.jit.save */
    PT_ZIP_OTHER,   /* some other zip */
} PtKind;

/* Cheap classification: the zip magic and the entry names only (no pickle is read). */
PtKind pt_probe(const char *path);

/* Load the checkpoint at path into a new ModTree (caller frees with modtree_free).
 *
 * with_data=true: every parameter and buffer gets its data (row-major, contiguous).  Each
 * storage entry is read once into a buffer the tree adopts (modtree_adopt_blob); a
 * contiguous tensor points into that buffer, a strided one gets its own contiguous copy.
 * with_data=false: only data.pkl is parsed (plus the few bytes of model.stride); tensors
 * keep dtype and dims with data NULL, but every storage reference is still checked
 * against its zip entry (present, size == numel * element size, tensor within bounds).
 *
 * The root ModNode is the checkpoint's `model` (or `ema` when model is None).  Module
 * uids are object identities: a module pickled once and shared by several parents (the
 * default SiLU of every Conv) has one uid wherever it appears.
 *
 * NULL + a message naming the file and the problem on any error ("m.pt: not a zip
 * archive", "m.pt: data.pkl: offset 812: refuses to load class 'os.system' (not on the
 * allowlist)", "m.pt: tensor model.0.conv.weight runs past the end of storage '0'"). */
ModTree *pt_load(const char *path, bool with_data, char *err, size_t errlen);

#endif
