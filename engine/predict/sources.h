/* sources: what `source=` names, as the peer's loader reads it -- one image file, a folder
 * (its images, sorted by name, not recursive), or a glob pattern -- and the run directory
 * results are saved in (runs/<task>/predict, predict2, ... or project/name). */
#ifndef YOLOPORT_PREDICT_SOURCES_H
#define YOLOPORT_PREDICT_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

/* Is path's extension one of the image files we decode (.jpg, .jpeg, .png, any case)? */
bool sources_is_image_name(const char *path);

/* The image paths source names, absolute (heap array of heap strings in *paths, count in *n;
 * free with sources_free).  A file is taken as is (its content is checked when decoded); a
 * folder must hold at least one image; a pattern must match at least one image.  0, or -1 +
 * one message naming source and the problem ("no such file or folder", "no images (.jpg,
 * .jpeg, .png) in the folder", ...). */
int sources_list(const char *source, char ***paths, int *n, char *err, size_t errlen);
void sources_free(char **paths, int n);

/* The directory results go to: project/name (project default runs/<task>, name default
 * `name_default`), with 2, 3, ... appended to the name when it exists and !exist_ok (the peer's
 * increment_path).  Created (with parents).  Heap string, or NULL + message. */
char *sources_run_dir(const char *project, const char *name, const char *task, const char *name_default,
                      bool exist_ok, char *err, size_t errlen);

#endif
