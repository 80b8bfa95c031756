/* cli: the command-line verbs.  Each takes the arguments after the verb and returns the
 * process exit status (0 success, 1 failure, 2 usage error).  Errors go to stderr as one
 * line naming the file and the problem. */
#ifndef YOLOPORT_CLI_H
#define YOLOPORT_CLI_H

#include <stdio.h>

int cli_info(int argc, char **argv);      /* tui/cli_info.c */
int cli_export(int argc, char **argv);    /* tui/cli_export.c */
int cli_matrix(int argc, char **argv);    /* tui/cli_matrix.c */
/* The workbench: `yoloport [MODEL] [key=value ...] [--theme NAME] [--no-color]` (tui/app.c). */
int tui_main(int argc, char **argv);

/* ---- the format lists, generated from the registry's table (tui/cli_formats.c) ---- */

/* text printed after lead, wrapped at width columns, continuation lines indented as wide
 * as lead; ends with a newline. */
void cli_wrap(FILE *out, const char *lead, const char *text, int width);
/* The man page's format list, the text between its FORMATS markers (`yoloport
 * --dump-formats`): the model kinds recognised and opened, and every export format with its
 * output naming, arguments and availability in this build. */
void cli_formats_man(FILE *out);

#endif
