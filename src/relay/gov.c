/* Governance in the relay: every event of a known type is first checked against the AI event
 * catalog (costUsd filled from the price table; schema violations reject the request under
 * `enforce`, are counted and logged under `warn`); then every event is masked (rules, content
 * dropping, PII detectors), then the egress policy decides on the masked event, so nothing unmasked
 * reaches OPA, the destination, the logs or the metrics. Denied events are dropped and counted per
 * rule, and written to the dead-letter log with the rule's name when policy.dead_letter is set. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/catalog.h"
#include "gov/mask.h"
#include "gov/policy.h"
#include "relay/relay.h"

/* The masker and policy in force; replaced on reload, the old ones kept until exit (requests
 * in flight may still use them). */
static _Atomic(cer_mask *) cur_mask;
static _Atomic(cer_policy *) cur_policy;
static _Atomic(cer_catalog *) cur_catalog;
static atomic_ullong cat_warned, cat_rejected, cost_filled;
static pthread_mutex_t dlq_mu = PTHREAD_MUTEX_INITIALIZER;
static cer_sink_handle dlq;
static atomic_ullong masked_failed;

static cer_catalog *catalog_from(const cer_config_catalog *cc, char *errstr, size_t n)
{
    char why[512];
    cer_catalog *cat = NULL;
    if (cer_catalog_new(&cat, 0, why, sizeof why) != 0) {
        snprintf(errstr, n, "catalog: %s", why);
        return NULL;
    }
    static const cer_catalog_mode modes[] = {CER_CATALOG_WARN, CER_CATALOG_OFF, CER_CATALOG_WARN,
                                             CER_CATALOG_ENFORCE};
    if ((cc->file && cer_catalog_load_file(cat, cc->file, why, sizeof why) != 0) ||
        (cc->prices && cer_catalog_load_prices(cat, cc->prices, why, sizeof why) != 0)) {
        snprintf(errstr, n, "catalog: %s", why);
        cer_catalog_destroy(cat);
        return NULL;
    }
    cer_catalog_set_mode(cat, NULL, modes[cc->mode >= 1 && cc->mode <= 3 ? cc->mode : 0]);
    for (size_t i = 0; i < cc->types.n; i++) {
        cer_catalog_mode m;
        if (cer_catalog_mode_parse(cc->types.v[i].value, &m) != 0 ||
            cer_catalog_set_mode(cat, cc->types.v[i].name, m) != 0) {
            snprintf(errstr, n, "catalog.types: '%s' is not a catalog type", cc->types.v[i].name);
            cer_catalog_destroy(cat);
            return NULL;
        }
    }
    return cat;
}

int relay_gov_init(relay *r, const cer_config *c, char *errstr, size_t errstr_size)
{
    char why[512];
    cer_catalog *cat = catalog_from(&c->catalog, errstr, errstr_size);
    if (!cat)
        return CE_EINVAL;
    cer_mask *m = cer_mask_new(&c->masking, why, sizeof why);
    if (!m) {
        cer_catalog_destroy(cat);
        snprintf(errstr, errstr_size, "masking: %s", why);
        return CE_EINVAL;
    }
    cer_policy *p = cer_policy_new(&c->policy, why, sizeof why);
    if (!p) {
        cer_mask_destroy(m);
        cer_catalog_destroy(cat);
        snprintf(errstr, errstr_size, "policy: %s", why);
        return CE_EINVAL;
    }
    atomic_store(&cur_catalog, cat);
    atomic_store(&cur_mask, m);
    atomic_store(&cur_policy, p);
    if (c->policy.dead_letter && c->dead_letter.log_dir && !dlq.s) {
        cer_sink_conf sc = {0};
        sc.log_dir = c->dead_letter.log_dir;
        sc.topic = "policy-denied";
        sc.fsync = "always";
        dlq.ops = &cer_sink_log;
        if (dlq.ops->open(&dlq.s, &sc, why, sizeof why) != 0) {
            dlq.s = NULL;
            snprintf(errstr, errstr_size, "dead_letter.log_dir: %s", why);
            return CE_EIO;
        }
    }
    return 0;
}

void relay_gov_close(void)
{
    if (dlq.s)
        dlq.ops->close(dlq.s);
    dlq.s = NULL;
}

static void dead_letter_denied(ce_event *ev, const char *rule)
{
    if (!dlq.s)
        return;
    char reason[256], err[256];
    snprintf(reason, sizeof reason, "denied by policy rule '%s'", rule);
    ce_event_set_str(ev, "deadletterreason", reason, NULL, 0);
    pthread_mutex_lock(&dlq_mu);
    if (dlq.ops->submit(dlq.s, ev, NULL, err, sizeof err) == 0)
        dlq.ops->flush(dlq.s, 5000);
    else
        relay_log(CER_CONFIG_LEVEL_ERROR, "policy dead letter: %s", err);
    pthread_mutex_unlock(&dlq_mu);
}

/* On failure at event i: the events not destroyed (evs[0..out) and evs[i..n)) are moved to the
 * front and *n says how many the caller still owns. */
static int govern_fail(ce_event **evs, size_t *n, size_t out, size_t i, int rc)
{
    size_t left = *n - i;
    memmove(evs + out, evs + i, left * sizeof *evs);
    *n = out + left;
    return rc;
}

int relay_govern(relay *r, ce_event **evs, size_t *n, size_t *denied, size_t *bad_index,
                 char *errstr, size_t errstr_size)
{
    cer_mask *m = atomic_load(&cur_mask);
    cer_policy *p = atomic_load(&cur_policy);
    size_t out = 0;
    *denied = 0;
    cer_catalog *cat = atomic_load(&cur_catalog);
    for (size_t i = 0; i < *n; i++) {
        char why[256];
        if (cat) {
            if (cer_catalog_fill_cost(cat, evs[i], why, sizeof why) == 1)
                atomic_fetch_add(&cost_filled, 1);
            static _Thread_local cer_catalog_result res; /* large: not on the loop's stack */
            int v = cer_catalog_validate(cat, evs[i], &res);
            if (v == CER_CATALOG_REJECTED || v < 0) {
                atomic_fetch_add(&cat_rejected, 1);
                *bad_index = i; /* index in the request, as received */
                size_t o = (size_t)snprintf(errstr, errstr_size, "catalog (enforce): ");
                for (size_t k = 0; k < res.nmessages && o < errstr_size; k++)
                    o += (size_t)snprintf(errstr + o, errstr_size - o, "%s%s", k ? "; " : "",
                                          res.messages[k]);
                return govern_fail(evs, n, out, i, CE_EBADVALUE);
            }
            if (v == CER_CATALOG_WARNED) {
                /* messages may quote data values: log only the type and the count */
                atomic_fetch_add(&cat_warned, 1);
                ce_slice t = ce_event_get_str(evs[i], "type");
                relay_log(CER_CONFIG_LEVEL_WARN,
                          "catalog: an event of type %.*s breaks its schema (%zu violation(s)); "
                          "delivered (mode warn)",
                          (int)t.len, t.ptr, res.violations);
            }
        }
        if (m && cer_mask_apply(m, evs[i], NULL, why, sizeof why) != 0) {
            /* a partly masked event must not leave: reject the request */
            atomic_fetch_add(&masked_failed, 1);
            *bad_index = i;
            snprintf(errstr, errstr_size, "masking failed: %s", why);
            return govern_fail(evs, n, out, i, CE_EDATA);
        }
        cer_policy_decision d = {0};
        d.verdict = CER_CONFIG_ALLOW;
        /* a failed decision fills in a deny: follow it (fail closed) */
        if (p && (cer_policy_decide(p, evs[i], &d), d.verdict == CER_CONFIG_DENY)) {
            (*denied)++;
            relay_log(CER_CONFIG_LEVEL_DEBUG, "policy: denied by '%s'%s%s", d.rule,
                      d.reason[0] ? ": " : "", d.reason);
            dead_letter_denied(evs[i], d.rule);
            ce_event_destroy(evs[i]);
            continue;
        }
        evs[out++] = evs[i];
    }
    *n = out;
    return 0;
}

/* Escape a label value. */
static void label(ce_buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            ce_buf_append(b, "\\", 1);
        if (*s == '\n')
            ce_buf_append(b, "\\n", 2);
        else
            ce_buf_append(b, s, 1);
    }
}

static void line(ce_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(ce_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0)
        ce_buf_append(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

void relay_gov_metrics(ce_buf *b)
{
    line(b,
         "# HELP cerelay_catalog_events_total Events of catalog types that broke their schema\n"
         "# TYPE cerelay_catalog_events_total counter\n"
         "cerelay_catalog_events_total{verdict=\"warned\"} %llu\n"
         "cerelay_catalog_events_total{verdict=\"rejected\"} %llu\n"
         "# HELP cerelay_catalog_cost_filled_total Usage events whose costUsd came from the price "
         "table\n# TYPE cerelay_catalog_cost_filled_total counter\n"
         "cerelay_catalog_cost_filled_total %llu\n",
         atomic_load(&cat_warned), atomic_load(&cat_rejected), atomic_load(&cost_filled));
    cer_policy *p = atomic_load(&cur_policy);
    if (p) {
        size_t n = cer_policy_counter_count(p);
        cer_policy_counter *cs = calloc(n ? n : 1, sizeof *cs);
        cer_policy_stats st;
        n = cs ? cer_policy_stats_get(p, &st, cs, n) : 0;
        line(b, "# HELP cerelay_policy_decisions_total Egress policy decisions, by deciding rule "
                "and verdict\n# TYPE cerelay_policy_decisions_total counter\n");
        for (size_t i = 0; i < n; i++) {
            const char *verdicts[2] = {"allow", "deny"};
            uint64_t v[2] = {cs[i].allowed, cs[i].denied};
            for (int k = 0; k < 2; k++) {
                line(b, "cerelay_policy_decisions_total{rule=\"");
                label(b, cs[i].rule);
                line(b, "\",verdict=\"%s\"} %llu\n", verdicts[k], (unsigned long long)v[k]);
            }
        }
        if (cs)
            line(b,
                 "# HELP cerelay_policy_opa_errors_total OPA requests that failed (fail verdict "
                 "used)\n# TYPE cerelay_policy_opa_errors_total counter\n"
                 "cerelay_policy_opa_errors_total %llu\n",
                 (unsigned long long)st.opa_errors);
        free(cs);
    }
    cer_mask *m = atomic_load(&cur_mask);
    if (m) {
        cer_mask_counters mc;
        size_t nr = cer_mask_rule_count(m);
        uint64_t *hits = calloc(nr ? nr : 1, sizeof *hits);
        cer_mask_stats(m, &mc, hits, hits ? nr : 0);
        line(b, "# HELP cerelay_mask_rule_hits_total Values changed or removed by each masking "
                "rule\n# TYPE cerelay_mask_rule_hits_total counter\n");
        for (size_t i = 0; hits && i < nr; i++) {
            line(b, "cerelay_mask_rule_hits_total{rule=\"");
            label(b, cer_mask_rule_name(m, i));
            line(b, "\"} %llu\n", (unsigned long long)hits[i]);
        }
        free(hits);
        line(b, "# HELP cerelay_mask_detections_total Substrings replaced by each PII detector\n"
                "# TYPE cerelay_mask_detections_total counter\n");
        for (int d = 0; d < CER_MASK_NDETECTORS; d++)
            line(b, "cerelay_mask_detections_total{detector=\"%s\"} %llu\n",
                 cer_mask_detector_name(d), (unsigned long long)mc.detector[d]);
        line(b,
             "# HELP cerelay_mask_content_dropped_total Prompt/response members dropped\n"
             "# TYPE cerelay_mask_content_dropped_total counter\n"
             "cerelay_mask_content_dropped_total %llu\n",
             (unsigned long long)mc.content_dropped);
        line(b,
             "# HELP cerelay_mask_failed_total Requests rejected because masking failed\n"
             "# TYPE cerelay_mask_failed_total counter\ncerelay_mask_failed_total %llu\n",
             atomic_load(&masked_failed));
    }
}
