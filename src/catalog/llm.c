/* Typed builders for the eight eventzr.llm.*.v1 types: each writes the data members in schema
 * order (so the output is byte-identical to the catalog's example for the same inputs) and the
 * envelope with the tenant as subject. Shared argument checks live here too (cer__need_*). */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "catalog/internal.h"

static const char *source_of(const char *type)
{
    for (size_t i = 0; i < cer__builtin_ntypes; i++)
        if (strcmp(cer__builtin_types[i].type, type) == 0)
            return cer__builtin_types[i].source;
    return "cerelay";
}

int cer__need_strings(const char *type, char *errstr, size_t errstr_size, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        const char *name = va_arg(ap, const char *), *v = va_arg(ap, const char *);
        if (!v || !*v)
            rc = cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: %s is required", type, name);
    }
    va_end(ap);
    return rc;
}

int cer__need_counts(const char *type, char *errstr, size_t errstr_size, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        const char *name = va_arg(ap, const char *);
        int64_t v = va_arg(ap, int64_t);
        if (v < 0)
            rc = cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: %s must be >= 0, got %lld", type,
                           name, (long long)v);
    }
    va_end(ap);
    return rc;
}

int cer__need_amounts(const char *type, char *errstr, size_t errstr_size, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        const char *name = va_arg(ap, const char *);
        double v = va_arg(ap, double);
        if (!isfinite(v) || v < 0)
            rc = cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: %s must be a finite number >= 0",
                           type, name);
    }
    va_end(ap);
    return rc;
}

int cer__finish(const char *type, cer__jw *w, const char *subject, const char *time,
                const cer_event_meta *meta, ce_event **out, char *errstr, size_t errstr_size)
{
    int rc = w->rc;
    if (rc)
        cerx_errf(rc, errstr, errstr_size, "%s: writing data: %s", type, ce_strerror(rc));
    else
        rc = cer__build_event(type, source_of(type), NULL, subject, time, w->b, meta, out, errstr,
                              errstr_size);
    ce_buf_free(w->b);
    return rc;
}

static const char *breaker_name(cer_llm_breaker_state s)
{
    return s == CER_LLM_OPEN ? "open" : s == CER_LLM_HALF_OPEN ? "half-open" : "closed";
}

int cer_llm_usage_event(const cer_llm_usage *u, const cer_event_meta *meta, ce_event **out,
                        char *errstr, size_t errstr_size)
{
    static const char type[] = "eventzr.llm.usage.v1";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 3, "tenant_id", u->tenant_id, "provider",
                               u->provider, "model", u->model);
    if (!rc)
        rc = cer__need_counts(type, errstr, errstr_size, 4, "input_tokens", u->input_tokens,
                              "output_tokens", u->output_tokens, "total_tokens", u->total_tokens,
                              "latency_ms", u->latency_ms);
    if (rc)
        return rc;
    char now[40];
    const char *time = cer__event_time(meta, now);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenantId", u->tenant_id);
    cer__jw_str(&w, "userId", u->user_id);
    cer__jw_str(&w, "provider", u->provider);
    cer__jw_str(&w, "model", u->model);
    cer__jw_str(&w, "useCase", u->use_case);
    cer__jw_int(&w, "inputTokens", u->input_tokens);
    cer__jw_int(&w, "outputTokens", u->output_tokens);
    cer__jw_int(&w, "totalTokens",
                u->total_tokens ? u->total_tokens : u->input_tokens + u->output_tokens);
    cer__jw_int(&w, "latencyMs", u->latency_ms);
    if (u->cost_usd >= 0)
        cer__jw_num(&w, "costUsd", u->cost_usd);
    cer__jw_bool(&w, "cached", u->cached);
    cer__jw_end(&w);
    return cer__finish(type, &w, u->tenant_id, time, meta, out, errstr, errstr_size);
}

int cer_llm_cache_hit_event(const cer_llm_cache_hit *h, const cer_event_meta *meta, ce_event **out,
                            char *errstr, size_t errstr_size)
{
    static const char type[] = "eventzr.llm.semantic-cache.hit.v1";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 4, "tenant_id", h->tenant_id, "provider",
                               h->provider, "model", h->model, "cache_entry_id", h->cache_entry_id);
    if (!rc)
        rc = cer__need_counts(type, errstr, errstr_size, 3, "saved_input_tokens",
                              h->saved_input_tokens, "saved_output_tokens", h->saved_output_tokens,
                              "latency_ms", h->latency_ms);
    if (!rc)
        rc = cer__need_amounts(type, errstr, errstr_size, 3, "similarity_score",
                               h->similarity_score, "similarity_threshold", h->similarity_threshold,
                               "saved_cost_usd", h->saved_cost_usd);
    if (rc)
        return rc;
    char now[40];
    const char *time = cer__event_time(meta, now);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenantId", h->tenant_id);
    cer__jw_str(&w, "userId", h->user_id);
    cer__jw_str(&w, "provider", h->provider);
    cer__jw_str(&w, "model", h->model);
    cer__jw_str(&w, "useCase", h->use_case);
    cer__jw_str(&w, "cacheEntryId", h->cache_entry_id);
    cer__jw_num(&w, "similarityScore", h->similarity_score);
    cer__jw_num(&w, "similarityThreshold", h->similarity_threshold);
    cer__jw_int(&w, "savedInputTokens", h->saved_input_tokens);
    cer__jw_int(&w, "savedOutputTokens", h->saved_output_tokens);
    cer__jw_num(&w, "savedCostUsd", h->saved_cost_usd);
    cer__jw_int(&w, "latencyMs", h->latency_ms);
    cer__jw_str(&w, "cachedAt", h->cached_at ? h->cached_at : time);
    cer__jw_end(&w);
    return cer__finish(type, &w, h->tenant_id, time, meta, out, errstr, errstr_size);
}

int cer_llm_quota_low_event(const cer_llm_quota_low *q, const cer_event_meta *meta, ce_event **out,
                            char *errstr, size_t errstr_size)
{
    static const char type[] = "eventzr.llm.quota.low.v1";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 1, "tenant_id", q->tenant_id);
    if (!rc)
        rc = cer__need_amounts(type, errstr, errstr_size, 4, "balance", q->balance, "allocation",
                               q->allocation, "threshold_percent", q->threshold_percent,
                               "remaining_percent", q->remaining_percent);
    if (rc)
        return rc;
    char now[40];
    const char *time = cer__event_time(meta, now);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenantId", q->tenant_id);
    cer__jw_num(&w, "balance", q->balance);
    cer__jw_num(&w, "allocation", q->allocation);
    cer__jw_str(&w, "unit", q->unit ? q->unit : "credits");
    cer__jw_num(&w, "thresholdPercent", q->threshold_percent ? q->threshold_percent : 20);
    cer__jw_num(&w, "remainingPercent", q->remaining_percent);
    cer__jw_str(&w, "periodEnd", q->period_end);
    cer__jw_end(&w);
    return cer__finish(type, &w, q->tenant_id, time, meta, out, errstr, errstr_size);
}

int cer_llm_budget_exceeded_event(const cer_llm_budget_exceeded *b, const cer_event_meta *meta,
                                  ce_event **out, char *errstr, size_t errstr_size)
{
    static const char type[] = "eventzr.llm.budget.exceeded.v1";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 3, "tenant_id", b->tenant_id, "budget_id",
                               b->budget_id, "period", b->period);
    if (!rc)
        rc = cer__need_amounts(type, errstr, errstr_size, 3, "limit_usd", b->limit_usd, "spent_usd",
                               b->spent_usd, "request_cost_usd", b->request_cost_usd);
    if (rc)
        return rc;
    char now[40];
    const char *time = cer__event_time(meta, now);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenantId", b->tenant_id);
    cer__jw_str(&w, "userId", b->user_id);
    cer__jw_str(&w, "budgetId", b->budget_id);
    cer__jw_str(&w, "period", b->period);
    cer__jw_num(&w, "limitUsd", b->limit_usd);
    cer__jw_num(&w, "spentUsd", b->spent_usd);
    cer__jw_num(&w, "requestCostUsd", b->request_cost_usd);
    cer__jw_str(&w, "action", b->action == CER_LLM_FLAGGED ? "flagged" : "rejected");
    cer__jw_str(&w, "model", b->model);
    cer__jw_str(&w, "useCase", b->use_case);
    cer__jw_end(&w);
    return cer__finish(type, &w, b->tenant_id, time, meta, out, errstr, errstr_size);
}

int cer_llm_provider_outage_event(const cer_llm_provider_outage *o, const cer_event_meta *meta,
                                  ce_event **out, char *errstr, size_t errstr_size)
{
    static const char type[] = "eventzr.llm.provider.outage.v1";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 3, "tenant_id", o->tenant_id, "provider",
                               o->provider, "reason", o->reason);
    if (!rc)
        rc = cer__need_counts(type, errstr, errstr_size, 1, "consecutive_failures",
                              o->consecutive_failures);
    if (!rc)
        rc = cer__need_amounts(type, errstr, errstr_size, 1, "error_rate", o->error_rate);
    if (rc)
        return rc;
    char now[40];
    const char *time = cer__event_time(meta, now);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenantId", o->tenant_id);
    cer__jw_str(&w, "provider", o->provider);
    cer__jw_str(&w, "model", o->model);
    cer__jw_str(&w, "region", o->region);
    cer__jw_str(&w, "state", breaker_name(o->state));
    cer__jw_str(&w, "previousState", breaker_name(o->previous_state));
    cer__jw_str(&w, "reason", o->reason);
    cer__jw_num(&w, "errorRate", o->error_rate);
    cer__jw_int(&w, "consecutiveFailures", o->consecutive_failures);
    cer__jw_str(&w, "retryAt", o->retry_at);
    cer__jw_str(&w, "changedAt", o->changed_at ? o->changed_at : time);
    cer__jw_end(&w);
    return cer__finish(type, &w, o->tenant_id, time, meta, out, errstr, errstr_size);
}

int cer_llm_inference_failed_event(const cer_llm_inference_failed *f, const cer_event_meta *meta,
                                   ce_event **out, char *errstr, size_t errstr_size)
{
    static const char type[] = "eventzr.llm.inference.failed.v1";
    *out = NULL;
    int rc =
        cer__need_strings(type, errstr, errstr_size, 5, "tenant_id", f->tenant_id, "request_id",
                          f->request_id, "model", f->model, "last_error.provider",
                          f->last_error.provider, "last_error.code", f->last_error.code);
    if (!rc && !f->last_error.message)
        rc = cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: last_error.message is required", type);
    if (!rc)
        rc = cer__need_counts(type, errstr, errstr_size, 1, "latency_ms", f->latency_ms);
    if (!rc && f->attempts < 1)
        rc = cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: attempts must be >= 1", type);
    if (!rc && (f->n_providers_tried == 0 || !f->providers_tried))
        rc = cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: providers_tried is required", type);
    for (size_t i = 0; !rc && i < f->n_providers_tried; i++)
        if (!f->providers_tried[i] || !*f->providers_tried[i])
            rc = cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: providers_tried[%zu] is empty",
                           type, i);
    if (rc)
        return rc;
    char now[40];
    const char *time = cer__event_time(meta, now);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenantId", f->tenant_id);
    cer__jw_str(&w, "userId", f->user_id);
    cer__jw_str(&w, "useCase", f->use_case);
    cer__jw_str(&w, "requestId", f->request_id);
    cer__jw_str(&w, "model", f->model);
    cer__jw_open(&w, "providersTried", '[');
    for (size_t i = 0; i < f->n_providers_tried; i++)
        cer__jw_str(&w, NULL, f->providers_tried[i]);
    cer__jw_end(&w);
    cer__jw_int(&w, "attempts", f->attempts);
    cer__jw_open(&w, "lastError", '{');
    cer__jw_str(&w, "provider", f->last_error.provider);
    cer__jw_str(&w, "code", f->last_error.code);
    cer__jw_str(&w, "message", f->last_error.message);
    if (f->last_error.http_status)
        cer__jw_int(&w, "httpStatus", f->last_error.http_status);
    else
        cer__jw_null(&w, "httpStatus");
    cer__jw_bool(&w, "retryable", f->last_error.retryable);
    cer__jw_end(&w);
    cer__jw_int(&w, "latencyMs", f->latency_ms);
    cer__jw_end(&w);
    return cer__finish(type, &w, f->tenant_id, time, meta, out, errstr, errstr_size);
}

int cer_llm_embeddings_event(const cer_llm_embeddings *e, const cer_event_meta *meta,
                             ce_event **out, char *errstr, size_t errstr_size)
{
    static const char type[] = "eventzr.llm.embeddings.generated.v1";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 3, "tenant_id", e->tenant_id, "provider",
                               e->provider, "model", e->model);
    if (!rc)
        rc = cer__need_counts(type, errstr, errstr_size, 2, "input_tokens", e->input_tokens,
                              "latency_ms", e->latency_ms);
    if (!rc && (e->count < 1 || e->dimensions < 1))
        rc = cerx_errf(CE_EINVAL, errstr, errstr_size, "%s: count and dimensions must be >= 1",
                       type);
    if (rc)
        return rc;
    char now[40];
    const char *time = cer__event_time(meta, now);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenantId", e->tenant_id);
    cer__jw_str(&w, "userId", e->user_id);
    cer__jw_str(&w, "useCase", e->use_case);
    cer__jw_str(&w, "provider", e->provider);
    cer__jw_str(&w, "model", e->model);
    cer__jw_int(&w, "count", e->count);
    cer__jw_int(&w, "dimensions", e->dimensions);
    cer__jw_int(&w, "inputTokens", e->input_tokens);
    cer__jw_bool(&w, "batch", e->batch);
    cer__jw_int(&w, "latencyMs", e->latency_ms);
    if (e->cost_usd >= 0)
        cer__jw_num(&w, "costUsd", e->cost_usd);
    cer__jw_end(&w);
    return cer__finish(type, &w, e->tenant_id, time, meta, out, errstr, errstr_size);
}

int cer_llm_kg_synced_event(const cer_llm_kg_synced *k, const cer_event_meta *meta, ce_event **out,
                            char *errstr, size_t errstr_size)
{
    static const char type[] = "eventzr.llm.kg.synced.v1";
    *out = NULL;
    int rc = cer__need_strings(type, errstr, errstr_size, 3, "tenant_id", k->tenant_id, "sync_id",
                               k->sync_id, "graph", k->graph);
    if (!rc)
        rc = cer__need_counts(type, errstr, errstr_size, 4, "nodes_synced", k->nodes_synced,
                              "edges_synced", k->edges_synced, "decisions_synced",
                              k->decisions_synced, "duration_ms", k->duration_ms);
    if (rc)
        return rc;
    char now[40];
    const char *time = cer__event_time(meta, now);
    ce_buf data = {0};
    cer__jw w;
    cer__jw_begin(&w, &data);
    cer__jw_str(&w, "tenantId", k->tenant_id);
    cer__jw_str(&w, "syncId", k->sync_id);
    cer__jw_str(&w, "graph", k->graph);
    cer__jw_int(&w, "nodesSynced", k->nodes_synced);
    cer__jw_int(&w, "edgesSynced", k->edges_synced);
    cer__jw_int(&w, "decisionsSynced", k->decisions_synced);
    cer__jw_int(&w, "durationMs", k->duration_ms);
    cer__jw_str(&w, "completedAt", k->completed_at ? k->completed_at : time);
    cer__jw_end(&w);
    return cer__finish(type, &w, k->tenant_id, time, meta, out, errstr, errstr_size);
}
