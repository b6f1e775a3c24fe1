/* cerelay run: the relay daemon. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "relay/relay.h"

static const char help[] =
    "usage: cerelay run [-c FILE] [--print-addresses] [--ack-timeout MS]\n"
    "\n"
    "Run the relay: accept CloudEvents over HTTP (POST /events: binary, structured and batch\n"
    "mode) and OpenTelemetry over OTLP/HTTP and OTLP/gRPC, validate them and deliver them to\n"
    "Kafka, an HTTP endpoint, or the local log, answering each request only once its events\n"
    "are acknowledged as configured (ack: remote | local | none).\n"
    "\n"
    "Without -c it runs the embedded default: CloudEvents on 127.0.0.1:8080, OTLP/HTTP on\n"
    "127.0.0.1:4318, OTLP/gRPC on 127.0.0.1:4317, events stored in the local log under\n"
    "./var/cerelay (read them with 'cerelay tail --log var/cerelay --topic TYPE').\n"
    "\n"
    "options:\n"
    "  -c, --config FILE     relay configuration (see examples/cerelay.yaml;\n"
    "                        check it with 'cerelay config check -c FILE')\n"
    "  --print-addresses     print the listening URLs on standard output once ready\n"
    "                        (useful with port 0 in tests)\n"
    "  --ack-timeout MS      answer 504 when events are not acknowledged within MS\n"
    "                        milliseconds (default 30000; the events keep being delivered)\n"
    "\n"
    "signals: SIGTERM/SIGINT drain and stop; SIGHUP reloads routes, limits, auth tokens, the\n"
    "OTLP mapping, logging and metrics settings (other changes need a restart, and say so).\n"
    "endpoints: POST /events, POST /v1/logs, POST /v1/traces, GET /healthz, /readyz, /metrics\n"
    "\n"
    "exit status:\n"
    "  0  stopped by SIGTERM or SIGINT after draining\n"
    "  2  usage error, or the configuration, a listening address or the destination could\n"
    "     not be set up (the reason goes to standard error; nothing to standard output)\n";

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"print-addresses", no_argument, NULL, 'p'},
                                         {"ack-timeout", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int print = 0, c, ack_timeout = 30000;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'p':
            print = 1;
            break;
        case 't':
            ack_timeout = (int)strtol(optarg, &end, 10);
            if (*end || ack_timeout < 1) {
                fprintf(stderr, "cerelay run: --ack-timeout: not a positive number: '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case 'h':
            fputs(help, stdout);
            return CLI_OK;
        default:
            fputs(help, stderr);
            return CLI_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cerelay run: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    return cer__relay_main(config, print, ack_timeout);
}
