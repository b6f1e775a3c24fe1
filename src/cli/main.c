/* cerelay: the command-line entry point. Dispatches to subcommands; every subcommand has
 * --help. Exit status: 0 success, 1 invalid input or failed work, 2 usage or I/O error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/ce.h"
#include "cli/cli.h"

static const cli_cmd commands[] = {
    {"validate", "check CloudEvents in structured JSON (single, batch or NDJSON)", cmd_validate},
    {"send", "deliver events to Kafka, HTTP, the local log or stdout", cmd_send},
    {"tail", "print the events of a Kafka or local-log topic", cmd_tail},
    {"sql", "evaluate a CESQL expression (optionally against an event)", cmd_sql},
    {"run", "run the relay daemon (HTTP and OTLP ingest to Kafka or the local log)", cmd_run},
    {"config", "check a relay configuration file", cmd_config},
    {"catalog", "list, show and validate against the AI event catalog", cmd_catalog},
    {"gen", "generate realistic seeded AI telemetry to any destination", cmd_gen},
    {"dry-run",
     "run validation, masking, policy and routing of a config over events, sending nothing",
     cmd_dryrun},
    {"lag", "consumer-group lag in records and in time (Kafka or the local log)", cmd_lag},
    {"replay", "copy a range of a topic (offsets, times or a count) to any destination",
     cmd_replay},
    {"scorecard", "grade a Kafka-compatible cluster green/yellow/red for AI telemetry",
     cmd_scorecard},
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *f)
{
    fprintf(f, "usage: cerelay [--version] [--help] COMMAND [ARGS]\n\n"
               "cerelay relays CloudEvents for AI telemetry.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'cerelay COMMAND --help' describes a command.\n\n"
               "exit status (every command):\n"
               "  0  success\n"
               "  1  invalid input or failed work (invalid events, events not delivered)\n"
               "  2  usage error or I/O error (nothing is printed on standard output then)\n"
               "  scorecard: 0 green, 1 yellow, 2 red, 3 could not run (usage error included)\n");
}

int cli_read_all(const char *path, size_t max, char **out, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cerelay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fprintf(stderr, "cerelay: %s: out of memory\n", path);
        if (f != stdin)
            fclose(f);
        return -1;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                fprintf(stderr, "cerelay: %s: larger than %zu bytes\n", path, max);
                free(buf);
                if (f != stdin)
                    fclose(f);
                return -1;
            }
            cap = cap * 2 > max ? max : cap * 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                fprintf(stderr, "cerelay: %s: out of memory\n", path);
                free(buf);
                if (f != stdin)
                    fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, "cerelay: %s: read error\n", path);
        free(buf);
        return -1;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return 0;
}

int cli_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1024ULL * 1024 * 1024, end++;
    if (*end || v > SIZE_MAX / mul)
        return -1;
    *out = (size_t)(v * mul);
    return 0;
}

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void cli_progress_init(cli_progress *p)
{
    p->tty = isatty(STDERR_FILENO);
    p->shown = 0;
    p->next_ns = p->tty ? mono_ns() + 1000000000LL : 0;
}

void cli_progress_update(cli_progress *p, const char *label, size_t events,
                         unsigned long long bytes)
{
    if (!p->tty)
        return;
    long long now = mono_ns();
    if (now < p->next_ns)
        return;
    p->next_ns = now + 1000000000LL;
    fprintf(stderr, "\r\033[K%s: %zu events, %.1f MB", label, events, (double)bytes / 1e6);
    fflush(stderr);
    p->shown = 1;
}

void cli_progress_clear(cli_progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", stderr);
        p->shown = 0;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        if (strcmp(cmd, "help") == 0 && argc > 2) {
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (strcmp(argv[2], commands[i].name) == 0) {
                    char *hargv[] = {argv[2], "--help", NULL};
                    return commands[i].run(2, hargv);
                }
        }
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("cerelay %s (CloudEvents 1.0)\n", CE_VERSION_STRING);
        return CLI_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "cerelay: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CLI_USAGE;
}
