/* Destination options shared by the commands that deliver events (`send`, `gen`):
 * --kafka/--http/--log/--stdout, --topic, --mode, --key, --attr-headers, -X, --header,
 * --batch-size, --partitions, --fsync, parsed into a sink and its configuration. */
#ifndef CER_CLI_DEST_H
#define CER_CLI_DEST_H

#include <getopt.h>

#include "sink/sink.h"

enum { CLI_DEST_MAX_REPEAT = 256 };

enum {
    CLI_DEST_KAFKA = 1000,
    CLI_DEST_HTTP,
    CLI_DEST_LOG,
    CLI_DEST_STDOUT,
    CLI_DEST_TOPIC,
    CLI_DEST_MODE,
    CLI_DEST_KEY,
    CLI_DEST_ATTRH,
    CLI_DEST_HEADER,
    CLI_DEST_BATCH,
    CLI_DEST_PARTS,
    CLI_DEST_FSYNC,
    CLI_DEST_KHEADER
};

/* The long options, for a command's option table (the short option -X is the command's). */
#define CLI_DEST_OPTIONS                                                                           \
    {"kafka", required_argument, NULL, CLI_DEST_KAFKA},                                            \
        {"http", required_argument, NULL, CLI_DEST_HTTP},                                          \
        {"log", required_argument, NULL, CLI_DEST_LOG},                                            \
        {"stdout", no_argument, NULL, CLI_DEST_STDOUT},                                            \
        {"topic", required_argument, NULL, CLI_DEST_TOPIC},                                        \
        {"mode", required_argument, NULL, CLI_DEST_MODE},                                          \
        {"key", required_argument, NULL, CLI_DEST_KEY},                                            \
        {"attr-headers", no_argument, NULL, CLI_DEST_ATTRH},                                       \
        {"header", required_argument, NULL, CLI_DEST_HEADER},                                      \
        {"kafka-header", required_argument, NULL, CLI_DEST_KHEADER},                               \
        {"batch-size", required_argument, NULL, CLI_DEST_BATCH},                                   \
        {"partitions", required_argument, NULL, CLI_DEST_PARTS},                                   \
    {                                                                                              \
        "fsync", required_argument, NULL, CLI_DEST_FSYNC                                           \
    }

typedef struct cli_dest {
    const char *cmd; /* the command's name, for messages */
    const cer_sink_ops *ops;
    cer_sink_conf conf;
    const char *props[CLI_DEST_MAX_REPEAT + 1], *headers[CLI_DEST_MAX_REPEAT + 1];
    const char *kheaders[CLI_DEST_MAX_REPEAT + 1]; /* --kafka-header 'N: TEMPLATE' */
    int nprops, nheaders, nkheaders, ndest;
    const char *mode;
} cli_dest;

/* Take option `opt` (a CLI_DEST_* value or 'X') with its argument. Returns 1 when it was a
 * destination option, 0 when not, -1 after printing a usage error. */
int cli_dest_option(cli_dest *d, int opt, const char *arg);
/* After parsing: exactly one destination, the mode valid for it; fills conf.mode, conf.props
 * and conf.headers; for --log, creates the directories above DIR. Returns 0, or -1 after
 * printing a usage error. */
int cli_dest_finish(cli_dest *d);
/* Print "cerelay CMD: <message>" and the --help hint; returns CLI_USAGE. */
int cli_dest_usage(const cli_dest *d, const char *fmt, const char *arg);

#endif
