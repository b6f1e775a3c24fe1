/* Shared pieces of the cerelay command-line program: the subcommand table and input helpers. */
#ifndef CER_CLI_H
#define CER_CLI_H

#include <stddef.h>

/* Exit statuses shared by every subcommand. */
enum { CLI_OK = 0, CLI_INVALID = 1, CLI_USAGE = 2 };

typedef struct cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} cli_cmd;

int cmd_validate(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_tail(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_dryrun(int argc, char **argv);
int cmd_lag(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_scorecard(int argc, char **argv);

/* Read all of `path` ("-" = stdin) into a new NUL-terminated buffer, at most `max` bytes.
 * Returns 0, or -1 after printing "cerelay: PATH: reason" to stderr. */
int cli_read_all(const char *path, size_t max, char **out, size_t *len);

/* Parse a size such as 1048576, 64K, 1M, 1G. Returns 0 or -1. */
int cli_parse_size(const char *s, size_t *out);

/* Progress of long work on standard error, only when it is a terminal: at most once a second
 * "LABEL: N events, X MB" rewritten in place. cli_progress_clear erases it (before printing
 * anything else to standard error, and at the end). */
typedef struct cli_progress {
    int tty, shown;
    long long next_ns;
} cli_progress;
void cli_progress_init(cli_progress *p);
void cli_progress_update(cli_progress *p, const char *label, size_t events,
                         unsigned long long bytes);
void cli_progress_clear(cli_progress *p);

#endif
