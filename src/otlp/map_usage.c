/* GenAI spans to usage events shaped like eventzr.llm.usage.v1: tenantId, userId, provider,
 * model, useCase, inputTokens, outputTokens, totalTokens, the cache and reasoning token classes
 * (only when reported), latencyMs, costUsd (only when known) and cached (docs/otlp.md, "GenAI
 * spans"). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ce/json.h"
#include "otlp/map.h"

static const char *const provider_attrs[] = {"gen_ai.provider.name", "gen_ai.system", NULL};
static const char *const model_attrs[] = {"gen_ai.response.model", "gen_ai.request.model", NULL};
static const char *const input_attrs[] = {"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
                                          NULL};
static const char *const output_attrs[] = {"gen_ai.usage.output_tokens",
                                           "gen_ai.usage.completion_tokens", NULL};
/* Token classes: current OpenTelemetry GenAI names first, then older spellings. */
static const char *const cache_read_attrs[] = {"gen_ai.usage.cache_read.input_tokens",
                                               "gen_ai.usage.cache_read_input_tokens", NULL};
static const char *const cache_creation_attrs[] = {
    "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens", NULL};
static const char *const reasoning_attrs[] = {"gen_ai.usage.reasoning.output_tokens",
                                              "gen_ai.usage.reasoning_tokens", NULL};

static const cer__otlp_any *first_attr(const cer__otlp_span *sp, const char *const *names)
{
    for (const char *const *p = names; *p; p++) {
        const cer__otlp_any *v = cer__otlp_attr(sp->attributes, sp->n_attributes, *p);
        if (v && v->value_case != CER__OTLP_ANY(_NOT_SET))
            return v;
    }
    return NULL;
}

bool cer__otlp_is_genai_span(const cer__otlp_span *sp)
{
    return first_attr(sp, model_attrs) || first_attr(sp, input_attrs) ||
           first_attr(sp, output_attrs);
}

static int key(ce_buf *out, const char *k)
{
    int rc = ce_buf_append(out, k, strlen(k));
    return rc ? rc : ce_buf_append(out, "\":", 2);
}

/* "key":"text" from the first of names found in the span's attributes (then the resource's
 * when `resource`), or "key":null. */
static int text_member(cer__otlp_mapper *m, const cer__otlp_span *sp, const char *k,
                       const char *const *names, bool resource)
{
    char tmp[24];
    const char *s = NULL;
    size_t n = 0;
    bool found = false;
    if (resource) {
        found = cer__otlp_lookup(m, sp->attributes, sp->n_attributes, names, tmp, &s, &n);
    } else {
        for (const char *const *p = names; *p && !found; p++)
            found = cer__otlp_any_text(cer__otlp_attr(sp->attributes, sp->n_attributes, *p), tmp,
                                       &s, &n);
    }
    int rc = key(&m->data, k);
    if (rc)
        return rc;
    return found ? ce__json_write_string(&m->data, s, n) : ce_buf_append(&m->data, "null", 4);
}

static int int_or_null(ce_buf *d, const char *k, bool known, int64_t v)
{
    int rc = key(d, k);
    if (rc || !known)
        return rc ? rc : ce_buf_append(d, "null", 4);
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    return ce_buf_append(d, num, (size_t)n);
}

static bool token_count(const cer__otlp_span *sp, const char *const *names, int64_t *out)
{
    for (const char *const *p = names; *p; p++)
        if (cer__otlp_any_int(cer__otlp_attr(sp->attributes, sp->n_attributes, *p), out) &&
            *out >= 0)
            return true;
    return false;
}

static bool cached_value(const cer__otlp_any *v)
{
    if (!v)
        return false;
    switch (v->value_case) {
    case CER__OTLP_ANY(BOOL_VALUE):
        return v->bool_value;
    case CER__OTLP_ANY(INT_VALUE):
        return v->int_value != 0;
    case CER__OTLP_ANY(STRING_VALUE):
        return v->string_value && strcmp(v->string_value, "true") == 0;
    default:
        return false;
    }
}

int cer__otlp_build_usage(cer__otlp_mapper *m, const cer__otlp_span *sp)
{
    ce_event_clear(m->ev);
    m->data.len = 0;
    int rc = cer__otlp_set_common(m);
    if (rc)
        return rc;
    rc = cer__otlp_set(m, "type", m->conf.usage_type, strlen(m->conf.usage_type));
    if (!rc)
        rc = sp->end_time_unix_nano
                 ? cer__otlp_set_time(m, sp->end_time_unix_nano, "endTimeUnixNano")
                 : cer__otlp_set_time(m, sp->start_time_unix_nano, "startTimeUnixNano");
    char tb[24];
    const char *tenant = NULL;
    size_t tl = 0;
    bool has_tenant =
        cer__otlp_lookup(m, sp->attributes, sp->n_attributes, m->tenant_attrs, tb, &tenant, &tl);
    if (!rc && has_tenant)
        rc = cer__otlp_set(m, "subject", tenant, tl);
    if (!rc)
        rc = cer__otlp_set_traceparent(m, sp->trace_id, sp->span_id, sp->flags & 0xffu);
    if (rc)
        return rc;

    const char *use_case_names[3] = {m->conf.use_case_attr, "gen_ai.operation.name", NULL};
    const char *const *use_case = m->conf.use_case_attr ? use_case_names : use_case_names + 1;
    int64_t in = 0, out = 0;
    bool has_in = token_count(sp, input_attrs, &in), has_out = token_count(sp, output_attrs, &out);
    bool has_latency = sp->start_time_unix_nano && sp->end_time_unix_nano &&
                       sp->end_time_unix_nano >= sp->start_time_unix_nano;
    int64_t latency =
        has_latency
            ? (int64_t)((sp->end_time_unix_nano - sp->start_time_unix_nano + 500000u) / 1000000u)
            : 0;
    ce_buf *d = &m->data;
    rc = ce_buf_append(d, "{\"", 2);
    if (!rc)
        rc = text_member(m, sp, "tenantId", m->tenant_attrs, true);
    if (!rc)
        rc = ce_buf_append(d, ",\"", 2);
    if (!rc)
        rc = text_member(m, sp, "userId", m->user_attrs, true);
    if (!rc)
        rc = ce_buf_append(d, ",\"", 2);
    if (!rc)
        rc = text_member(m, sp, "provider", provider_attrs, true);
    if (!rc)
        rc = ce_buf_append(d, ",\"", 2);
    if (!rc)
        rc = text_member(m, sp, "model", model_attrs, false);
    if (!rc)
        rc = ce_buf_append(d, ",\"", 2);
    if (!rc)
        rc = text_member(m, sp, "useCase", use_case, false);
    if (!rc)
        rc = ce_buf_append(d, ",\"", 2);
    if (!rc)
        rc = int_or_null(d, "inputTokens", has_in, in);
    if (!rc)
        rc = ce_buf_append(d, ",\"", 2);
    if (!rc)
        rc = int_or_null(d, "outputTokens", has_out, out);
    if (!rc)
        rc = ce_buf_append(d, ",\"", 2);
    if (!rc)
        rc = int_or_null(d, "totalTokens", has_in || has_out,
                         (has_in ? in : 0) + (has_out ? out : 0));
    /* the optional classes only when reported, so seed 000's shape is kept otherwise */
    static const struct {
        const char *key;
        const char *const *attrs;
    } classes[] = {{"cacheReadInputTokens", cache_read_attrs},
                   {"cacheCreationInputTokens", cache_creation_attrs},
                   {"reasoningOutputTokens", reasoning_attrs}};
    for (size_t i = 0; !rc && i < sizeof classes / sizeof *classes; i++) {
        int64_t v;
        if (!token_count(sp, classes[i].attrs, &v))
            continue;
        rc = ce_buf_append(d, ",\"", 2);
        if (!rc)
            rc = int_or_null(d, classes[i].key, true, v);
    }
    if (!rc)
        rc = ce_buf_append(d, ",\"", 2);
    if (!rc)
        rc = int_or_null(d, "latencyMs", has_latency, latency);
    if (!rc && m->conf.cost_attr) {
        const cer__otlp_any *v =
            cer__otlp_attr(sp->attributes, sp->n_attributes, m->conf.cost_attr);
        double cost = 0;
        bool known = false;
        if (v && v->value_case == CER__OTLP_ANY(DOUBLE_VALUE) && isfinite(v->double_value)) {
            cost = v->double_value;
            known = true;
        } else if (v && v->value_case == CER__OTLP_ANY(INT_VALUE)) {
            cost = (double)v->int_value;
            known = true;
        }
        if (known) {
            rc = ce_buf_append(d, ",\"costUsd\":", 11);
            if (!rc)
                rc = cer__otlp_double_json(d, cost);
        }
    }
    if (!rc) {
        bool cached =
            cached_value(cer__otlp_attr(sp->attributes, sp->n_attributes, m->conf.cached_attr));
        rc = cached ? ce_buf_append(d, ",\"cached\":true}", 15)
                    : ce_buf_append(d, ",\"cached\":false}", 16);
    }
    if (rc) {
        if (rc == CE_ENOMEM)
            return rc;
        return cer__otlp_fail(m, rc, "data: %s", ce_strerror(rc));
    }
    return cer__otlp_finish(m);
}
