/* modtree: a model as a tree of modules with their attributes and tensors — the
 * boundary between where a model comes from and the builder that turns it into a Graph.
 *
 * formats/pt.c fills a ModTree from a PyTorch checkpoint (each pickled nn.Module becomes
 * a ModNode: its class name, its `_modules` children in order, its `_parameters` and
 * `_buffers` as tensors, and its plain attributes); engine/builder/yolo_cfg.c fills one from a
 * model config (share/models/NAME.yaml) with deterministic weights.  engine/builder/yolo.c builds
 * the Graph from either.  One Arena owns the tree and every string, array and tensor
 * data it holds, except data blobs handed over with modtree_adopt_blob().
 */
#ifndef YOLOPORT_MODTREE_H
#define YOLOPORT_MODTREE_H

#include "engine/core/graph.h"

typedef struct {
    const char *name;    /* "weight", "bias", "running_mean", ... */
    DType dtype;         /* as stored: DT_F16, DT_F32, DT_BF16, DT_I64, DT_BOOL */
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    const void *data;    /* contiguous, row-major, numel * dtype_size bytes */
    size_t nbytes;
    bool is_buffer;      /* from _buffers (not a parameter) */
    bool requires_grad;  /* parameters: the flag the checkpoint recorded */
} ModTensor;

typedef enum { MA_NONE, MA_BOOL, MA_INT, MA_FLOAT, MA_STR, MA_INTS } ModAttrKind;

/* A plain attribute of a module: `stride` (2, 2) is MA_INTS, `f` may be MA_INT (-1) or
 * MA_INTS ([-1, 6]), `eps` MA_FLOAT, `type` MA_STR, `inplace` MA_BOOL, `p` None MA_NONE. */
typedef struct {
    const char *name;
    ModAttrKind kind;
    int64_t i;           /* MA_BOOL, MA_INT */
    double f;            /* MA_FLOAT */
    const char *s;       /* MA_STR */
    int64_t *ints;       /* MA_INTS */
    int count;
} ModAttr;

typedef struct ModNode ModNode;
struct ModNode {
    const char *name;    /* key in the parent's _modules: "0", "cv1", "m" ("" for the root) */
    const char *path;    /* "model.0.conv" (root: "") */
    const char *type;    /* class name only: "Conv", "Conv2d", "SiLU", "DetectionModel" */
    const char *module;  /* class module path as found: "ultralytics.nn.modules.conv" */
    int uid;             /* object identity: a module shared by several parents (the
                            default SiLU) has one uid wherever it appears */
    ModNode **children;
    int n_children;
    ModTensor *tensors;
    int n_tensors;
    ModAttr *attrs;
    int n_attrs;
};

typedef struct {
    Arena *arena;
    ModNode *root;           /* the DetectionModel / SegmentationModel / ... */
    int n_uids;
    /* checkpoint-level facts (NULL / 0 when absent) */
    const char *version;     /* Ultralytics version that saved it */
    const char *date;
    const char *yaml_file;   /* "yolov8n.yaml" */
    const char *source_path;
    FormatId source_format;  /* FMT_PYTORCH or FMT_YAML; FMT_NONE until a reader sets it */
    int channels;            /* from yaml "ch"/"channels", default 3 */
    int nc;
    const char **names;      /* nc names (index = class id) */
    int n_strides;
    int strides[8];          /* model.stride */
    int kpt_shape[2];
    const char *train_data;  /* train_args data */
    KeyValue *train_args;    /* every train arg rendered as text, in order (the training imgsz:
                                imgsz_from_train_args, engine/core/imgsz.h) */
    int n_train_args;
    void **blobs;
    void (**blob_free)(void *);
    int n_blobs;
} ModTree;

ModTree *modtree_new(void);
void modtree_free(ModTree *t);
void modtree_adopt_blob(ModTree *t, void *blob, void (*free_fn)(void *));

/* Build helpers (all strings copied into the tree's arena). */
ModNode *modtree_node(ModTree *t, const char *name, const char *path, const char *type, int uid);
void modtree_add_child(ModTree *t, ModNode *parent, ModNode *child);
ModTensor *modtree_add_tensor(ModTree *t, ModNode *n, const char *name, DType dtype, int rank,
                              const int64_t *dims, const void *data, bool is_buffer, bool requires_grad);
ModAttr *modtree_add_attr(ModTree *t, ModNode *n, const char *name, ModAttrKind kind);

/* Lookups: NULL / dflt when absent. */
ModNode *modtree_child(const ModNode *n, const char *name);
ModNode *modtree_find(const ModTree *t, const char *path); /* "model.2.cv1" */
const ModTensor *modtree_tensor(const ModNode *n, const char *name);
const ModAttr *modtree_attr(const ModNode *n, const char *name);
int64_t modtree_attr_int(const ModNode *n, const char *name, int64_t dflt);
double modtree_attr_float(const ModNode *n, const char *name, double dflt);
/* For attributes that may be an int or a tuple (kernel_size 3 or (3, 3)): element i,
 * repeating a scalar; dflt when absent. */
int64_t modtree_attr_int_at(const ModNode *n, const char *name, int i, int64_t dflt);

#endif
