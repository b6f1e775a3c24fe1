/* The egress policy: which events may leave the relay. Ordered CESQL rules (the first whose
 * `when` is true decides), then an optional Open Policy Agent asked over its REST data API
 * with a bounded decision cache, then the default. Configured by cer_config_policy
 * (docs/policy.md). Internal API of cerelay_gov; prefix cer_policy_. */
#ifndef CER_GOV_POLICY_H
#define CER_GOV_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"
#include "gov/config.h"

/* Decision-cache entries kept for OPA answers, by (type, subject). */
#define CER_POLICY_DEFAULT_CACHE_ENTRIES 10000u
/* Largest OPA response body read; a longer one is an OPA error. */
#define CER_POLICY_OPA_MAX_RESPONSE ((size_t)64 << 10)
/* Longest type or subject sent to OPA; a longer one is an OPA error (fail verdict). */
#define CER_POLICY_OPA_MAX_FIELD 4096u

typedef struct cer_policy cer_policy;

/* What decided. */
typedef enum cer_policy_by {
    CER_POLICY_BY_RULE = 1, /* a rule's `when` was true */
    CER_POLICY_BY_OPA,      /* OPA answered (or, with opa_error, OPA's `fail` verdict) */
    CER_POLICY_BY_DEFAULT   /* no rule matched and no OPA is configured */
} cer_policy_by;

/* One decision. `verdict` is CER_CONFIG_ALLOW or CER_CONFIG_DENY. `rule` is the deciding
 * rule's name, "default", or "opa:<path>"; it borrows from the policy (valid until
 * cer_policy_destroy). `reason` is "" except when OPA was involved and something is worth
 * saying: with opa_error set, why OPA could not be asked ("OPA unreachable: ...", "OPA timed
 * out after 500 ms", "OPA answered HTTP 500 (...)", "OPA answered garbage: ..."); without it,
 * a deny because OPA's decision was undefined ("OPA decision undefined (no result: ...)"). */
typedef struct cer_policy_decision {
    int verdict;
    const char *rule;
    cer_policy_by by;
    int cached;    /* the OPA answer came from the decision cache */
    int opa_error; /* OPA failed; verdict is policy.opa.fail */
    char reason[192];
} cer_policy_decision;

/* Options beyond the configuration; zero-initialise for the defaults. */
typedef struct cer_policy_opts {
    size_t cache_entries; /* 0 = CER_POLICY_DEFAULT_CACHE_ENTRIES */
    /* Clock for the decision cache's TTL, in milliseconds (NULL = CLOCK_MONOTONIC). For
     * tests; must be thread-safe. */
    int64_t (*now_ms)(void *ctx);
    void *now_ctx;
} cer_policy_opts;

/* Build a policy from `cfg` (which need not outlive it: everything is copied). Every rule's
 * `when` is compiled once, with unknown functions rejected (CE_SQL_STRICT_FUNCTIONS), and
 * must be Boolean. Returns the policy, or NULL with errstr naming the rule and byte offset
 * ("policy.rules[1] 'no-prompts': CESQL: expected an expression, found '=' at byte 7 (line 1,
 * column 8)") or the OPA
 * setting at fault. `opts` may be NULL. Thread-safe. */
cer_policy *cer_policy_new(const cer_config_policy *cfg, char *errstr, size_t errstr_size);
cer_policy *cer_policy_new_opts(const cer_config_policy *cfg, const cer_policy_opts *opts,
                                char *errstr, size_t errstr_size);
/* Free the policy. NULL is a no-op. No decision may be running. */
void cer_policy_destroy(cer_policy *p);

/* Decide for `ev`: rules in order (the first whose `when` evaluates to Boolean true without
 * an error decides; an evaluation error counts as "not matching" and is counted), then OPA
 * if configured (cache, then `POST {url}/v1/data/{path}`; any failure gives opa.fail), else
 * the default. Fills *out and returns 0, or CE_EINVAL (NULL arguments) or CE_ENOMEM (no
 * evaluation context could be made; *out then holds a deny). May block up to the OPA
 * timeout. Thread-safe: any number of threads may decide with one policy at once. */
int cer_policy_decide(cer_policy *p, const ce_event *ev, cer_policy_decision *out);

/* One decider's counters. */
typedef struct cer_policy_counter {
    const char *rule; /* rule name, "opa:<path>" or "default"; borrowed from the policy */
    uint64_t allowed, denied;
    uint64_t errors; /* rules: evaluations that raised a CESQL error; OPA: opa_errors */
} cer_policy_counter;

/* Totals. */
typedef struct cer_policy_stats {
    uint64_t decisions, allowed, denied;
    uint64_t sql_errors;                               /* over all rules */
    uint64_t opa_requests, opa_cache_hits, opa_errors; /* requests sent, cache hits, failures */
    size_t opa_cache_size;                             /* entries cached now */
} cer_policy_stats;

/* Number of counters: one per rule, then "opa:<path>" when OPA is configured, then
 * "default". Thread-safe. */
size_t cer_policy_counter_count(const cer_policy *p);
/* Snapshot the totals into *stats (may be NULL) and up to `max` counters into `counters` (may
 * be NULL when max is 0), in the order above. Returns the number of counters written. Each
 * value is read atomically; the set is not one atomic snapshot. Thread-safe. */
size_t cer_policy_stats_get(cer_policy *p, cer_policy_stats *stats, cer_policy_counter *counters,
                            size_t max);

/* "allow" or "deny" for a CER_CONFIG_* verdict. */
const char *cer_policy_verdict_name(int verdict);

#endif
