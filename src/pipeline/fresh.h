/* Freshness primitives shared by `cerelay tail --stats` (src/cli/fresh.c) and the relay's
 * per type/tenant histograms (src/relay/fresh.c): who the tenant of an event is, and a
 * log-bucketed histogram with 2 % relative precision that gives percentiles in bounded memory.
 * Pure functions of their arguments: thread-safe. */
#ifndef CER_PIPELINE_FRESH_H
#define CER_PIPELINE_FRESH_H

#include <stdint.h>

#include "cerelay/ce.h"

/* At most this many type/tenant pairs are kept; the rest are counted as "other"/"other". */
enum { CER_FRESH_MAX_SERIES = 100, CER_FRESH_NAME_MAX = 128 };

/* Bucket i holds values in [G^i - 1, G^(i+1) - 1), G = 1.02, in whatever unit the caller uses
 * (ms for tail, µs for the relay); the last bucket holds everything above ~ 10^13. */
enum { CER_FRESH_NBUCKETS = 1512 };

/* The tenant of an event: the `tenantid` extension, else the subject, else "-". The slice
 * borrows from ev. */
ce_slice cer_fresh_tenant(const ce_event *ev);
/* The bucket of a value >= 0 (negative values count as 0). */
int cer_fresh_bucket(int64_t v);
/* The q-quantile (0 < q <= 1) of a histogram of n values whose largest is max, as the
 * midpoint of its bucket (never above max). 0 when n is 0. */
double cer_fresh_quantile(const uint64_t b[CER_FRESH_NBUCKETS], uint64_t n, int64_t max, double q);

#endif
