/* Prometheus text for the pipeline's steps: catalog verdicts and filled costs, policy
 * decisions per rule, masking hits and detections, sizes refused, dead letters. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "gov/mask.h"
#include "gov/policy.h"
#include "pipeline/internal.h"

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

void cer_pipeline_metrics(cer_pipeline *pl, ce_buf *b)
{
    cer_pipeline_shared *sh = cer__pipeline_shared(pl);
    line(b,
         "# HELP cerelay_catalog_events_total Events of catalog types that broke their schema\n"
         "# TYPE cerelay_catalog_events_total counter\n"
         "cerelay_catalog_events_total{verdict=\"warned\"} %llu\n"
         "cerelay_catalog_events_total{verdict=\"rejected\"} %llu\n"
         "# HELP cerelay_catalog_cost_filled_total Usage events whose costUsd came from the price "
         "table\n# TYPE cerelay_catalog_cost_filled_total counter\n"
         "cerelay_catalog_cost_filled_total %llu\n",
         atomic_load(&sh->cat_warned), atomic_load(&sh->cat_rejected),
         atomic_load(&sh->cost_filled));
    line(b,
         "# HELP cerelay_events_too_large_total Events over limits.max_event_bytes (refused)\n"
         "# TYPE cerelay_events_too_large_total counter\ncerelay_events_too_large_total %llu\n"
         "# HELP cerelay_policy_dead_letters_total Denied events handed to the dead-letter log\n"
         "# TYPE cerelay_policy_dead_letters_total counter\n"
         "cerelay_policy_dead_letters_total %llu\n"
         "# HELP cerelay_policy_dead_letter_failures_total Dead-letter groups not written\n"
         "# TYPE cerelay_policy_dead_letter_failures_total counter\n"
         "cerelay_policy_dead_letter_failures_total %llu\n"
         "# HELP cerelay_policy_dead_letter_pending_bytes Denied events waiting for the writer\n"
         "# TYPE cerelay_policy_dead_letter_pending_bytes gauge\n"
         "cerelay_policy_dead_letter_pending_bytes %zu\n",
         atomic_load(&sh->too_large), atomic_load(&sh->dead_lettered),
         atomic_load(&sh->dead_letter_failed), cer_dlq_pending_bytes(atomic_load(&sh->dlq)));
    cer_policy *p = cer__pipeline_policy(pl);
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
    cer_mask *m = cer__pipeline_mask(pl);
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
             atomic_load(&sh->mask_failed));
    }
}
