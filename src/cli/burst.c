/* Durations and burst schedules for the traffic-producing commands (burst.h). */
#include "cli/burst.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double cli_parse_seconds(const char *s, const char **end)
{
    char *e;
    errno = 0;
    double v = strtod(s, &e);
    if (errno || e == s || !(v >= 0) || !isfinite(v))
        return -1;
    if (strncmp(e, "ms", 2) == 0)
        v /= 1000, e += 2;
    else if (*e == 's')
        e++;
    else if (*e == 'm')
        v *= 60, e++;
    *end = e;
    return v;
}

int cli_burst_parse(const char *s, cli_burst *b)
{
    char *e;
    b->mult = strtod(s, &e);
    if (e == s || *e != 'x' || !(b->mult > 0) || !isfinite(b->mult) || e[1] != '@')
        return -1;
    const char *p = e + 2;
    b->period = cli_parse_seconds(p, &p);
    b->length = 1;
    if (b->period <= 0)
        return -1;
    if (*p == '/') {
        b->length = cli_parse_seconds(p + 1, &p);
        if (b->length <= 0)
            return -1;
    }
    return *p || b->length >= b->period ? -1 : 0;
}

double cli_burst_rate(double rate, const cli_burst *b, double t)
{
    if (b->period <= 0 || t < b->period)
        return rate;
    return fmod(t, b->period) < b->length ? rate * b->mult : rate;
}
