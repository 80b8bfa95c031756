/* imgsz: the image-size rules every layer shares, each in one place -- the size a model is
 * used at when none is given (the training imgsz it records, else 640), the model's stride
 * (its largest output stride, 32 when it records none) and the peer's check_imgsz (every
 * side rounded up to a multiple of that stride, with the peer's warning).  The builder
 * (a default load), the export checks, `info` and the workbench all ask here. */
#ifndef YOLOPORT_IMGSZ_H
#define YOLOPORT_IMGSZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/core/graph.h"

#define IMGSZ_DEFAULT 640        /* the peer's default.yaml imgsz: no training imgsz recorded */
#define IMGSZ_STRIDE_DEFAULT 32  /* a model that records no stride */
#define IMGSZ_MAX 16384          /* largest side accepted anywhere (a 16384^2 RGB input is 3 GiB) */

/* The training imgsz recorded in a model's train args: the "imgsz" entry's text as the
 * readers render it ("640", "[480, 640]", "(480, 640)").  true and out = (h, w) for one or
 * two positive integers up to IMGSZ_MAX (one means square); false (out untouched) when
 * there is no such entry or it is anything else. */
bool imgsz_from_train_args(const KeyValue *args, int n, int out[2]);

/* The size a model is used at when none is given (what Model.export and a plain load use):
 * its training imgsz (imgsz_from_train_args), else IMGSZ_DEFAULT square.  out = (h, w). */
void imgsz_default(const KeyValue *train_args, int n, int out[2]);

/* A model's stride for the imgsz check: the largest of its n output strides, or
 * IMGSZ_STRIDE_DEFAULT when none is positive (1 for a classifier, which records [1]). */
int imgsz_model_stride(const int *strides, int n);

/* The peer's check_imgsz(imgsz, stride, min_dim=2) on the n sides v (n = 1: one number, a
 * square; n = 2: h, w; every side >= 1): each side rounded UP to a multiple of stride (< 1
 * counts as 1) into out = (h, w).  When a side changed, msg (may be NULL) gets the peer's
 * warning without its level prefix, the sizes written as the peer lists them:
 * "imgsz=[641] must be multiple of max stride 32, updating to [672]".  Returns whether any
 * side changed. */
bool imgsz_check(const int *v, int n, int stride, int out[2], char *msg, size_t msglen);

/* Anchors a detection head outputs for an h x w input: the sum over its n output strides of
 * (h / stride) * (w / stride) (8400 for 640x640 at 8, 16, 32); strides < 1 count nothing. */
int64_t imgsz_anchors(const int *strides, int n, int h, int w);

#endif
