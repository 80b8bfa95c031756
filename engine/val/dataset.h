/* dataset: an Ultralytics-layout dataset as `yolo val` reads it -- the dataset yaml (path,
 * train/val/test as a folder, a .txt list of images or a list of those, names as a list or a
 * {index: name} map, nc, kpt_shape), the split's images (found recursively in folders, sorted),
 * and each image's label file (.../images/... -> .../labels/..., extension .txt) with one row
 * per object: `class cx cy w h` (normalised), `class x1 y1 x2 y2 ...` (a polygon: the box is its
 * bounds) or `class cx cy w h` followed by nkpt x ndim keypoint values.
 *
 * `path` in the yaml, when relative, is taken relative to the yaml file's folder (the peer
 * resolves it against its datasets_dir setting; yoloport has no such setting).  Every value read
 * is checked: a split whose path does not exist, a label row with the wrong number of columns,
 * a value that is not a number, coordinates outside [0, 1], a negative value or a class beyond
 * the dataset's classes is an error naming the file (and line) and the problem.  Duplicate rows
 * are dropped with a warning, as the peer does. */
#ifndef YOLOPORT_DATASET_H
#define YOLOPORT_DATASET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *yaml_path;
    char *root;          /* the dataset folder (`path`, resolved) */
    int nc;
    char **names;        /* nc names */
    int kpt_shape[2];    /* (nkpt, ndim) for pose datasets, else (0, 0) */
    char *split;         /* "val" */
    char **images;       /* the split's images, absolute, sorted */
    int n_images;
} Dataset;

/* Read the yaml at path and list split's images.  0, or -1 + one message naming the file. */
int dataset_load(const char *path, const char *split, Dataset *out, char *err, size_t errlen);
void dataset_free(Dataset *d);

typedef struct {
    int cls;
    float box[4];        /* normalised cx, cy, w, h */
    float *poly;         /* segment labels: n_poly normalised (x, y) points, heap; else NULL */
    int n_poly;
    float *kpts;         /* pose labels: nkpt x ndim normalised values, heap; else NULL */
} DatasetLabel;

/* The label file of an image path (heap string). */
char *dataset_label_path(const char *image_path);

/* Read image i's labels (none when the label file is missing or empty) into a heap array
 * (free with dataset_labels_free).  warn (may be NULL) receives a warning such as duplicate rows
 * removed ("" when none).  0, or -1 + a message naming the label file, its line and the problem. */
int dataset_labels(const Dataset *d, int i, DatasetLabel **out, int *n, char *warn, size_t warnlen, char *err,
                   size_t errlen);
void dataset_labels_free(DatasetLabel *l, int n);

#endif
