/* cli_matrix: placeholder until the verb lands (owned by the helper building it). */
#include <stdio.h>
#include "tui/cli.h"
int cli_matrix(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "yoloport: 'matrix' is not in this build yet\n");
    return 1;
}
