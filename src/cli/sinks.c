/* Which sinks this build of the program has. */
#include "cli/cli.h"
#include "sink/sink.h"

const struct cer_sink_ops *cli_log_sink(void)
{
    return NULL;
}
