/* Freshness of the traffic that passes the relay (issue 14): per event type and tenant, the
 * ingest age (arrival - the event's `time`) and the acknowledgement latency (arrival - the
 * acknowledgement the ack mode promises), as Prometheus histograms and as p50/p95/p99 for
 * GET /status. At most CER_FRESH_MAX_SERIES type/tenant pairs, the rest as "other". Recording
 * is lock-free (atomic counters, a lock-free open-addressed index): cheap on the request path. */
#ifndef CER_RELAY_FRESH_H
#define CER_RELAY_FRESH_H

#include <stdint.h>

#include "cerelay/ce.h"

typedef struct relay_fresh relay_fresh;

/* NULL when out of memory (then every call below is a no-op). */
relay_fresh *cer__relay_fresh_new(void);
void cer__relay_fresh_destroy(relay_fresh *f);
/* The series (0..CER_FRESH_MAX_SERIES) of ev's type and tenant, creating it while there is
 * room; the last one is "other". -1 when f is NULL or out of memory. hint (or -1): a series
 * to try first (the previous event's). Thread-safe. */
int cer__relay_fresh_series(relay_fresh *f, const ce_event *ev, int hint);
/* Record ev's ingest age: arrival_ns (wall clock, ns since the epoch) - its `time`. An event
 * without `time` is only counted (events_without_time); a `time` in the future counts as 0 s
 * and in `future`. Thread-safe. */
void cer__relay_fresh_ingest(relay_fresh *f, int series, const ce_event *ev, int64_t arrival_ns);
/* Record `n` events of one series acknowledged `ns` after their arrival. Thread-safe. */
void cer__relay_fresh_ack(relay_fresh *f, int series, uint64_t n, int64_t ns);
/* Append the two histograms in the Prometheus text format. */
void cer__relay_fresh_render(relay_fresh *f, ce_buf *out);
/* Append the JSON document of GET /status's "freshness" member. */
void cer__relay_fresh_json(relay_fresh *f, ce_buf *out);

#endif
