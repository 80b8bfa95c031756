/* cli_info: placeholder until the verb lands (owned by the helper building it). */
#include <stdio.h>
#include "tui/cli.h"
int cli_info(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "yoloport: 'info' is not in this build yet\n");
    return 1;
}
