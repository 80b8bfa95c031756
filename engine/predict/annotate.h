/* annotate: drawing prediction results onto an image the way the peer's Annotator shows
 * them -- boxes in the class's colour (the peer's 20-colour palette), "name 0.87" labels on a
 * filled strip, masks blended at half opacity, keypoints and the COCO skeleton, rotated boxes
 * as polygons, the top-5 classes for classify -- and saving it as JPEG or PNG (by the file
 * name's extension), written atomically.  Text uses a built-in 5x7 bitmap font (lower-case
 * letters, digits and a few signs; other characters show as '?'). */
#ifndef YOLOPORT_ANNOTATE_H
#define YOLOPORT_ANNOTATE_H

#include <stddef.h>

#include "engine/core/image.h"
#include "engine/predict/predict.h"

/* The peer's palette colour for class c (RGB). */
void annotate_class_color(int c, unsigned char rgb[3]);

/* Draw r (predicted on im by p) onto im, in place. */
void annotate_draw(Image *im, const Predictor *p, const PredictResult *r);

/* Save im as path's format (.jpg/.jpeg: JPEG quality 95; .png: PNG; anything else: JPEG), into
 * place atomically.  0, or -1 + message naming the file. */
int annotate_save(const Image *im, const char *path, char *err, size_t errlen);

#endif
