/* paths: where yoloport finds its installed data (share/: matrix, model configs, keymap;
 * themes/), wherever the binary was built or installed. */
#ifndef YOLOPORT_PATHS_H
#define YOLOPORT_PATHS_H

/* The share directory: $YOLOPORT_SHARE, else <exe>/../share/yoloport (installed), else
 * <exe>/../share (build tree), else the compiled-in build-tree path.  Never NULL. */
const char *paths_share_dir(void);
/* Heap string "<share>/<rel>"; caller frees. */
char *paths_share(const char *rel);
/* The themes directory (installed beside share/, or the build tree's themes/). Never NULL. */
const char *paths_themes_dir(void);

#endif
