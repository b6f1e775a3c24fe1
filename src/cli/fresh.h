/* Freshness statistics for `cerelay tail --stats`: per event type and tenant, the distribution
 * of consume time − CloudEvents `time`, as a log-bucketed histogram (2 % relative precision)
 * giving p50/p95/p99. Memory is bounded: at most FRESH_MAX_SERIES type/tenant pairs, the rest
 * are counted under type and tenant "other". */
#ifndef CER_CLI_FRESH_H
#define CER_CLI_FRESH_H

#include <stdint.h>
#include <stdio.h>

#include "cerelay/ce.h"
#include "pipeline/fresh.h"

enum { FRESH_MAX_SERIES = CER_FRESH_MAX_SERIES };

typedef struct fresh fresh;

fresh *fresh_new(void);
void fresh_destroy(fresh *f);
/* Record one event consumed at now_ms. The tenant is the `tenantid` extension, else the
 * subject, else "-". Events without a valid `time` are counted as such. */
void fresh_add(fresh *f, const ce_event *ev, int64_t now_ms);
/* Print the statistics so far: a table, or one JSON object per line (json != 0). */
void fresh_print(const fresh *f, FILE *out, int json, int final);

#endif
