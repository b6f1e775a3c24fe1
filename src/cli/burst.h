/* Traffic shapes shared by `cerelay gen` and `cerelay scorecard`: durations such as 10s, 250ms
 * or 2m, and bursts MULTx@PERIOD[/LENGTH] (rate x MULT for LENGTH every PERIOD, from PERIOD). */
#ifndef CER_CLI_BURST_H
#define CER_CLI_BURST_H

typedef struct cli_burst {
    double mult, period, length; /* period 0: no bursts */
} cli_burst;

/* "10", "10s", "250ms", "2m" -> seconds, *end after the unit; -1 when malformed. */
double cli_parse_seconds(const char *s, const char **end);
/* Parse SPEC into *b. Returns 0, or -1 when malformed or LENGTH >= PERIOD (*b undefined). */
int cli_burst_parse(const char *spec, cli_burst *b);
/* Rate at `t` seconds from the start: rate x mult inside [k*period, k*period + length), k >= 1. */
double cli_burst_rate(double rate, const cli_burst *b, double t);

#endif
