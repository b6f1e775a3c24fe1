/* Freshness primitives: the tenant of an event and the log-bucketed histogram (see fresh.h). */
#include <math.h>

#include "pipeline/fresh.h"

#define GROWTH 1.02

ce_slice cer_fresh_tenant(const ce_event *ev)
{
    ce_slice t = ce_event_get_str(ev, "tenantid");
    if (!t.ptr)
        t = ce_event_get_str(ev, "subject");
    if (!t.ptr)
        t = (ce_slice){"-", 1};
    return t;
}

int cer_fresh_bucket(int64_t v)
{
    if (v <= 0)
        return 0;
    int i = (int)(log((double)v + 1) / log(GROWTH));
    return i < 0 ? 0 : i >= CER_FRESH_NBUCKETS ? CER_FRESH_NBUCKETS - 1 : i;
}

/* Midpoint of a bucket. */
static double bucket_value(int i)
{
    return (pow(GROWTH, i) + pow(GROWTH, i + 1)) / 2 - 1;
}

double cer_fresh_quantile(const uint64_t b[CER_FRESH_NBUCKETS], uint64_t n, int64_t max, double q)
{
    if (n == 0)
        return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)n), seen = 0;
    if (rank == 0)
        rank = 1;
    for (int i = 0; i < CER_FRESH_NBUCKETS; i++) {
        seen += b[i];
        if (seen >= rank) {
            /* the last bucket also holds everything beyond its range: only max is known */
            double v = i == CER_FRESH_NBUCKETS - 1 ? (double)max : bucket_value(i);
            return v > (double)max ? (double)max : v;
        }
    }
    return (double)max;
}
