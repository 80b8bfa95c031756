/* app: placeholder until the workbench lands. */
#include <stdio.h>
#include "tui/cli.h"
int tui_main(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "yoloport: the workbench is not in this build yet\n");
    return 1;
}
