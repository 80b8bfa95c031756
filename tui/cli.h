/* cli: the command-line verbs.  Each takes the arguments after the verb and returns the
 * process exit status (0 success, 1 failure, 2 usage error).  Errors go to stderr as one
 * line naming the file and the problem. */
#ifndef YOLOPORT_CLI_H
#define YOLOPORT_CLI_H

int cli_info(int argc, char **argv);      /* tui/cli_info.c */
int cli_export(int argc, char **argv);    /* tui/cli_export.c */
int cli_matrix(int argc, char **argv);    /* tui/cli_matrix.c */
/* The workbench: `yoloport [MODEL] [key=value ...] [--theme NAME] [--no-color]` (tui/app.c). */
int tui_main(int argc, char **argv);

#endif
