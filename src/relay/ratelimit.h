/* Per-tenant rate limits (limits.tenant_rate, docs/config.md): token buckets keyed by an event
 * template ("{tenantid}", "{subject}"), with per-tenant overrides, a capped number of buckets
 * (least recently used evicted) and per-tenant counters with a cardinality cap for /metrics.
 * Internal to cerelay_relay; thread-safe (one mutex). */
#ifndef CER_RELAY_RATELIMIT_H
#define CER_RELAY_RATELIMIT_H

#include <stdint.h>

#include "cerelay/ce.h"
#include "relay/config.h"

typedef struct relay_ratelimit relay_ratelimit;

/* A limiter with no buckets; NULL when out of memory. */
relay_ratelimit *cer__relay_ratelimit_new(void);
/* NULL is a no-op. */
void cer__relay_ratelimit_destroy(relay_ratelimit *rl);

/* The outcome of a check that refused: the tenant (bucket key) over its limit and when to try
 * again. */
typedef struct relay_ratelimit_refusal {
    char tenant[132];
    int64_t rate, burst;
    unsigned retry_after_s; /* >= 1 */
} relay_ratelimit_refusal;

/* Take one token per event of evs[0..n) from each event's tenant bucket, under the settings of
 * `cfg` (the live configuration; a new pointer re-reads the settings, keeping buckets whose key
 * template is unchanged). All or nothing: returns 0 when every tenant had enough (tokens taken),
 * 1 when one had not (nothing taken; *why names it), CE_ENOMEM. A bucket with at least
 * min(need, burst) tokens allows a batch, which may leave it in debt. Limits off (rate 0):
 * always 0. `now_ns` is a monotonic clock. */
int cer__relay_ratelimit_take(relay_ratelimit *rl, const cer_config *cfg,
                              const ce_event *const *evs, size_t n, int64_t now_ns,
                              relay_ratelimit_refusal *why);

/* Append the per-tenant counters in Prometheus text format (nothing while limits are off and
 * nothing was counted). Returns 0 or CE_ENOMEM. */
int cer__relay_ratelimit_render(relay_ratelimit *rl, ce_buf *out);

#endif
