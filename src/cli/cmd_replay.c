/* cerelay replay: copy a range of a topic to any destination (placeholder; see below). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_replay(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "cerelay replay: not implemented yet\n");
    return CLI_USAGE;
}
