/* Destination options shared by `send` and `gen` (see dest.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/dest.h"

int cli_dest_usage(const cli_dest *d, const char *fmt, const char *arg)
{
    fprintf(stderr, "cerelay %s: ", d->cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'cerelay %s --help')\n", d->cmd);
    return CLI_USAGE;
}

int cli_dest_option(cli_dest *d, int opt, const char *arg)
{
    char *end;
    switch (opt) {
    case CLI_DEST_KAFKA:
        d->ops = &cer_sink_kafka, d->conf.brokers = arg, d->ndest++;
        return 1;
    case CLI_DEST_HTTP:
        d->ops = &cer_sink_http, d->conf.url = arg, d->ndest++;
        return 1;
    case CLI_DEST_LOG:
        d->ops = &cer_sink_log, d->conf.log_dir = arg, d->ndest++;
        return 1;
    case CLI_DEST_STDOUT:
        d->ops = &cer_sink_stdout, d->ndest++;
        return 1;
    case CLI_DEST_TOPIC:
        d->conf.topic = arg;
        return 1;
    case CLI_DEST_MODE:
        d->mode = arg;
        return 1;
    case CLI_DEST_KEY:
        d->conf.key = arg;
        return 1;
    case CLI_DEST_ATTRH:
        d->conf.attr_headers = 1;
        return 1;
    case 'X':
        if (d->nprops == CLI_DEST_MAX_REPEAT) {
            cli_dest_usage(d, "%s", "too many -X options");
            return -1;
        }
        d->props[d->nprops++] = arg;
        return 1;
    case CLI_DEST_HEADER:
        if (d->nheaders == CLI_DEST_MAX_REPEAT) {
            cli_dest_usage(d, "%s", "too many --header options");
            return -1;
        }
        d->headers[d->nheaders++] = arg;
        return 1;
    case CLI_DEST_KHEADER:
        if (d->nkheaders == CLI_DEST_MAX_REPEAT) {
            cli_dest_usage(d, "%s", "too many --kafka-header options");
            return -1;
        }
        if (!strchr(arg, ':')) {
            cli_dest_usage(d, "--kafka-header: expected 'Name: value', got '%s'", arg);
            return -1;
        }
        d->kheaders[d->nkheaders++] = arg;
        return 1;
    case CLI_DEST_BATCH:
        d->conf.batch_size = strtoul(arg, &end, 10);
        if (*end || d->conf.batch_size == 0 || d->conf.batch_size > 100000 || arg[0] == '-') {
            cli_dest_usage(d, "--batch-size: not a number from 1 to 100000: '%s'", arg);
            return -1;
        }
        return 1;
    case CLI_DEST_PARTS:
        d->conf.log_partitions = (int)strtol(arg, &end, 10);
        if (*end || d->conf.log_partitions < 1 || d->conf.log_partitions > 10000) {
            cli_dest_usage(d, "--partitions: not a number from 1 to 10000: '%s'", arg);
            return -1;
        }
        return 1;
    case CLI_DEST_FSYNC:
        d->conf.fsync = arg;
        return 1;
    }
    return 0;
}

/* mkdir -p for the directories above `dir` (the log sink creates `dir` itself), so that
 * `--log var/log` works on a fresh checkout. Returns 0 or -1 with errno set. */
static int make_parents(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = 0;
    char *last = strrchr(path, '/');
    if (!last || last == path)
        return 0;
    *last = 0;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int cli_dest_finish(cli_dest *d)
{
    if (d->ndest != 1) {
        cli_dest_usage(d, "%s", "give exactly one of --kafka, --http, --log, --stdout");
        return -1;
    }
    if (d->mode) {
        if (strcmp(d->mode, "binary") == 0)
            d->conf.mode = CE_MODE_BINARY;
        else if (strcmp(d->mode, "structured") == 0)
            d->conf.mode = CE_MODE_STRUCTURED;
        else if (strcmp(d->mode, "batch") == 0 && d->ops == &cer_sink_http)
            d->conf.mode = CE_MODE_BATCH;
        else {
            cli_dest_usage(d, "--mode: '%s' is not a mode of this destination", d->mode);
            return -1;
        }
    }
    if (d->ops == &cer_sink_log && make_parents(d->conf.log_dir) != 0) {
        char why[512];
        snprintf(why, sizeof why, "--log %s: %s", d->conf.log_dir, strerror(errno));
        cli_dest_usage(d, "%s", why);
        return -1;
    }
    if (d->nkheaders && d->ops != &cer_sink_kafka) {
        cli_dest_usage(d, "%s", "--kafka-header needs --kafka");
        return -1;
    }
    d->props[d->nprops] = NULL;
    d->headers[d->nheaders] = NULL;
    d->kheaders[d->nkheaders] = NULL;
    d->conf.kafka_headers = d->kheaders;
    d->conf.props = d->props;
    d->conf.headers = d->headers;
    return 0;
}
