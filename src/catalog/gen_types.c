/* Payloads of the "llm" traffic profile, one writer per type, built with the typed builders so
 * every generated event has the catalog's exact shape. Distributions are documented in
 * docs/catalog.md; the numbers are plausible, not measured. */
#include <stdio.h>
#include <string.h>

#include "catalog/gen.h"

typedef struct model {
    const char *provider, *model, *region;
    unsigned weight;
    int base_ms;       /* time to first token */
    double ms_per_out; /* per output token */
} model;

static const model chat[CER__GEN_NCHAT] = {
    {"aws-bedrock", "anthropic.claude-3-sonnet-20240229-v1:0", "us-east-1", 30, 450, 14},
    {"aws-bedrock", "anthropic.claude-3-haiku-20240307-v1:0", "us-east-1", 25, 250, 6},
    {"openai", "gpt-4o", NULL, 15, 350, 11},
    {"openai", "gpt-4o-mini", NULL, 15, 250, 7},
    {"anthropic", "claude-3-5-sonnet-20241022", NULL, 8, 400, 13},
    {"aws-bedrock", "meta.llama3-70b-instruct-v1:0", "us-west-2", 4, 400, 12},
    {"google-vertex", "gemini-1.5-pro", "us-central1", 3, 500, 12},
};
static const unsigned chat_w[CER__GEN_NCHAT] = {30, 25, 15, 15, 8, 4, 3};

static const struct {
    const char *provider, *model;
    int dims;
} embed[] = {{"aws-bedrock", "amazon.titan-embed-text-v2:0", 1024},
             {"openai", "text-embedding-3-small", 1536},
             {"openai", "text-embedding-3-large", 3072}};
static const unsigned embed_w[] = {60, 30, 10};

static const char *const use_cases[] = {"event-creation", "chat",           "summarization",
                                        "rag-answer",     "classification", "extraction",
                                        "translation",    "code-review"};
static const unsigned use_case_w[] = {30, 20, 15, 15, 8, 6, 3, 3};

static const char *const tools[] = {"search_events", "create_event", "lookup_tenant",
                                    "kg_query",      "send_email",   "calendar_free_busy",
                                    "web_fetch",     "sql_readonly"};
static const char *const actions[] = {"orders:create",  "orders:read",       "events:create",
                                      "events:publish", "kg:query",          "llm:invoke",
                                      "billing:read",   "admin:users:update"};
static const char *const services[] = {"https://orders.eventzr.io", "https://events.eventzr.io",
                                       "https://kg.eventzr.io"};

#define N(a) (sizeof(a) / sizeof *(a))
#define SEC  ((int64_t)1000000000)

static const char *use_case(cer_catalog_gen *g)
{
    return cer__gen_chance(g, 0.05) ? NULL : use_cases[cer__gen_pick(g, use_case_w, N(use_case_w))];
}

static double cost_usd(cer_catalog_gen *g, const char *provider, const char *model_id, int64_t in,
                       int64_t out)
{
    int64_t micro = 0;
    if (cer_catalog_cost(g->prices, provider, model_id, in, out, &micro, NULL, 0) != 0)
        return 0;
    return (double)micro / 1e6;
}

static void at(int64_t ns, char out[40])
{
    cer__gen_time(ns, out);
}

static int ext(ce_event *ev, const char *name, const char *value, char *errstr, size_t errstr_size)
{
    return ce_event_set_str(ev, name, value, errstr, errstr_size);
}

static int traceparent(cer_catalog_gen *g, ce_event *ev, char *errstr, size_t errstr_size)
{
    char t[33], s[17], tp[64];
    cer__gen_hex(g, t, 32);
    cer__gen_hex(g, s, 16);
    snprintf(tp, sizeof tp, "00-%s-%s-01", t, s);
    return ext(ev, "traceparent", tp, errstr, errstr_size);
}

/* Prompt metadata and retrieval ids as extension attributes: the large headers of binary mode. */
static int prompt_meta(cer_catalog_gen *g, ce_event *ev, const char *uc, char *errstr,
                       size_t errstr_size)
{
    int rc = traceparent(g, ev, errstr, errstr_size);
    char buf[160], hex[9];
    if (!rc && uc && cer__gen_chance(g, 0.7)) {
        int v = (int)cer__gen_range(g, 1, 12);
        cer__gen_hex(g, hex, 8);
        snprintf(buf, sizeof buf, "prm_%s", hex);
        rc = ext(ev, "promptid", buf, errstr, errstr_size);
        snprintf(buf, sizeof buf, "%s/system@v%d", uc, v);
        if (!rc)
            rc = ext(ev, "prompttemplate", buf, errstr, errstr_size);
    }
    if (!rc && uc && strcmp(uc, "rag-answer") == 0) {
        int64_t n = cer__gen_clamp(cer__gen_lognormal(g, 20, 1.0), 3, 250);
        g->big.len = 0;
        for (int64_t i = 0; i < n && !rc; i++) {
            cer__gen_hex(g, hex, 8);
            int k = snprintf(buf, sizeof buf, "%sdoc_%s#%d", i ? "," : "", hex,
                             (int)cer__gen_range(g, 0, 400));
            rc = ce_buf_append(&g->big, buf, (size_t)k);
        }
        if (!rc)
            rc = ce_buf_append(&g->big, "", 1);
        if (!rc)
            rc = ext(ev, "retrievalids", g->big.ptr, errstr, errstr_size);
    }
    if (!rc && cer__gen_chance(g, 0.15)) {
        size_t n = (size_t)cer__gen_range(g, 1, 6), len = 0;
        buf[0] = 0;
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? "," : "",
                                    tools[cer__gen_u64(g) % N(tools)]);
        rc = ext(ev, "toolcalls", buf, errstr, errstr_size);
    }
    return rc;
}

static int finish_ext(int rc, ce_event **out,
                      int (*add)(cer_catalog_gen *, ce_event *, const char *, char *, size_t),
                      cer_catalog_gen *g, const char *uc, char *errstr, size_t errstr_size)
{
    if (!rc)
        rc = add(g, *out, uc, errstr, errstr_size);
    if (rc) {
        ce_event_destroy(*out);
        *out = NULL;
    }
    return rc;
}

static int trace_only(cer_catalog_gen *g, ce_event *ev, const char *uc, char *errstr,
                      size_t errstr_size)
{
    return traceparent(g, ev, errstr, errstr_size);
}

static int failed(cer_catalog_gen *g, size_t m, const char *tenant, const char *user,
                  const char *uc, ce_event **out, char *errstr, size_t errstr_size);

static int usage(cer_catalog_gen *g, ce_event **out, char *errstr, size_t errstr_size)
{
    uint32_t rank;
    char ubuf[24];
    const char *tenant = cer__gen_tenant(g, &rank);
    const char *user = cer__gen_chance(g, 0.1) ? NULL : cer__gen_user(g, rank, ubuf);
    size_t m = cer__gen_pick(g, chat_w, N(chat_w));
    const char *uc = use_case(g);
    if (g->breaker[m] == CER_LLM_OPEN) { /* short-circuited: some fail, the rest fall back */
        if (cer__gen_chance(g, 0.1))
            return failed(g, m, tenant, user, uc, out, errstr, errstr_size);
        m = (m + 1) % CER__GEN_NCHAT;
    }
    int64_t in = cer__gen_clamp(cer__gen_lognormal(g, 600, 1.0), 1, 200000);
    if (uc && strcmp(uc, "rag-answer") == 0)
        in = cer__gen_clamp((double)in * 4, 1, 200000);
    int64_t outt = cer__gen_clamp(cer__gen_lognormal(g, 250, 0.8), 1, 8192);
    double lat =
        (chat[m].base_ms + (double)outt * chat[m].ms_per_out) * cer__gen_lognormal(g, 1.0, 0.25);
    cer_llm_usage u = {tenant,
                       user,
                       chat[m].provider,
                       chat[m].model,
                       uc,
                       in,
                       outt,
                       0,
                       cer__gen_clamp(lat, 20, 600000),
                       cost_usd(g, chat[m].provider, chat[m].model, in, outt),
                       cer__gen_chance(g, 0.08)};
    int rc = cer_llm_usage_event(&u, &g->meta, out, errstr, errstr_size);
    return finish_ext(rc, out, prompt_meta, g, uc, errstr, errstr_size);
}

static int cache_hit(cer_catalog_gen *g, ce_event **out, char *errstr, size_t errstr_size)
{
    uint32_t rank;
    char ubuf[24], hex[13], entry[24], cached_at[40];
    const char *tenant = cer__gen_tenant(g, &rank);
    const char *user = cer__gen_chance(g, 0.1) ? NULL : cer__gen_user(g, rank, ubuf);
    size_t m = cer__gen_pick(g, chat_w, N(chat_w));
    const char *uc = use_case(g);
    double threshold = cer__gen_chance(g, 0.5) ? 0.92 : 0.95;
    int64_t in = cer__gen_clamp(cer__gen_lognormal(g, 400, 0.9), 1, 100000);
    int64_t outt = cer__gen_clamp(cer__gen_lognormal(g, 250, 0.8), 1, 8192);
    int64_t age = cer__gen_clamp(cer__gen_lognormal(g, 3600, 1.5), 1, 30 * 86400);
    cer__gen_hex(g, hex, 12);
    snprintf(entry, sizeof entry, "sc-%s", hex);
    at(g->now_ns - age * SEC, cached_at);
    double score = threshold + (1 - threshold) * cer__gen_unit(g);
    cer_llm_cache_hit h = {tenant,
                           user,
                           chat[m].provider,
                           chat[m].model,
                           uc,
                           entry,
                           (double)cer__gen_clamp(score * 1000, 0, 1000) / 1000,
                           threshold,
                           in,
                           outt,
                           cost_usd(g, chat[m].provider, chat[m].model, in, outt),
                           cer__gen_clamp(cer__gen_lognormal(g, 15, 0.5), 1, 2000),
                           cached_at};
    int rc = cer_llm_cache_hit_event(&h, &g->meta, out, errstr, errstr_size);
    return finish_ext(rc, out, trace_only, g, uc, errstr, errstr_size);
}

static int embeddings(cer_catalog_gen *g, ce_event **out, char *errstr, size_t errstr_size)
{
    uint32_t rank;
    char ubuf[24];
    const char *tenant = cer__gen_tenant(g, &rank);
    size_t m = cer__gen_pick(g, embed_w, N(embed_w));
    int64_t count = cer__gen_chance(g, 0.6) ? 1 : cer__gen_range(g, 8, 256);
    int64_t in = count * cer__gen_range(g, 20, 512);
    cer_llm_embeddings e = {
        tenant,
        cer__gen_chance(g, 0.5) ? NULL : cer__gen_user(g, rank, ubuf),
        cer__gen_chance(g, 0.5) ? "kg-indexing" : "rag-answer",
        embed[m].provider,
        embed[m].model,
        count,
        embed[m].dims,
        in,
        count > 1,
        cer__gen_clamp(60 + (double)in * 0.15 * cer__gen_lognormal(g, 1, 0.3), 5, 120000),
        cost_usd(g, embed[m].provider, embed[m].model, in, 0)};
    int rc = cer_llm_embeddings_event(&e, &g->meta, out, errstr, errstr_size);
    return finish_ext(rc, out, trace_only, g, NULL, errstr, errstr_size);
}

static const struct {
    const char *provider, *code;
    int status;
    bool retryable;
} provider_errors[] = {{"aws-bedrock", "ThrottlingException", 429, true},
                       {"aws-bedrock", "ServiceUnavailableException", 503, true},
                       {"aws-bedrock", "ModelTimeoutException", 408, true},
                       {"openai", "rate_limit_exceeded", 429, true},
                       {"openai", "server_error", 500, true},
                       {"anthropic", "overloaded_error", 529, true},
                       {"google-vertex", "RESOURCE_EXHAUSTED", 429, true}};

static int failed(cer_catalog_gen *g, size_t m, const char *tenant, const char *user,
                  const char *uc, ce_event **out, char *errstr, size_t errstr_size)
{
    const char *tried[4];
    size_t n = 0;
    tried[n++] = chat[m].provider;
    static const char *const fallbacks[] = {"aws-bedrock", "anthropic", "openai", "google-vertex"};
    int64_t extra = cer__gen_range(g, 0, 2);
    for (size_t i = 0; i < N(fallbacks) && (int64_t)n <= extra; i++)
        if (strcmp(fallbacks[i], tried[0]) != 0 && cer__gen_chance(g, 0.6))
            tried[n++] = fallbacks[i];
    const char *last = tried[n - 1];
    size_t e = 0, candidates = 0;
    for (size_t i = 0; i < N(provider_errors); i++)
        if (strcmp(provider_errors[i].provider, last) == 0 && cer__gen_u64(g) % ++candidates == 0)
            e = i;
    bool timeout = cer__gen_chance(g, 0.15);
    char req[16], hex[11];
    cer__gen_hex(g, hex, 10);
    snprintf(req, sizeof req, "req-%s", hex);
    const char *msg = "Rate exceeded";
    if (!timeout && cer__gen_chance(g, 0.1)) { /* a provider's HTML error page, ~1-4 KB */
        g->big2.len = 0;
        const char *chunk = "<html><head><title>503 Service Temporarily Unavailable</title></head>"
                            "<body><center><h1>503 Service Temporarily Unavailable</h1></center>"
                            "<hr><center>upstream connect error or disconnect/reset before "
                            "headers. reset reason: overflow</center></body></html>\n";
        int64_t reps = cer__gen_range(g, 4, 16);
        int rc = 0;
        for (int64_t i = 0; i < reps && !rc; i++)
            rc = ce_buf_append(&g->big2, chunk, strlen(chunk));
        if (!rc)
            rc = ce_buf_append(&g->big2, "", 1);
        if (rc)
            return rc;
        msg = g->big2.ptr;
    } else if (!timeout) {
        msg = provider_errors[e].status == 529 ? "Overloaded" : "Rate exceeded";
    }
    int64_t attempts = (int64_t)n * cer__gen_range(g, 1, 3);
    cer_llm_inference_failed f = {tenant,
                                  user,
                                  uc,
                                  req,
                                  chat[m].model,
                                  tried,
                                  n,
                                  attempts,
                                  {last, timeout ? "timeout" : provider_errors[e].code,
                                   timeout ? "no response within 30000 ms" : msg,
                                   timeout ? 0 : provider_errors[e].status,
                                   timeout || provider_errors[e].retryable},
                                  attempts * cer__gen_range(g, 800, 30000)};
    int rc = cer_llm_inference_failed_event(&f, &g->meta, out, errstr, errstr_size);
    return finish_ext(rc, out, trace_only, g, uc, errstr, errstr_size);
}

static int failed_any(cer_catalog_gen *g, ce_event **out, char *errstr, size_t errstr_size)
{
    uint32_t rank;
    char ubuf[24];
    const char *tenant = cer__gen_tenant(g, &rank);
    const char *user = cer__gen_chance(g, 0.1) ? NULL : cer__gen_user(g, rank, ubuf);
    size_t m = cer__gen_pick(g, chat_w, N(chat_w));
    return failed(g, m, tenant, user, use_case(g), out, errstr, errstr_size);
}

static int quota(cer_catalog_gen *g, ce_event **out, char *errstr, size_t errstr_size)
{
    static const double allocations[] = {1000, 5000, 20000, 100000};
    uint32_t rank;
    char end[40];
    const char *tenant = cer__gen_tenant(g, &rank);
    double alloc = allocations[cer__gen_u64(g) % N(allocations)];
    double pct = (double)cer__gen_range(g, 1, 1999) / 100; /* 0.01 .. 19.99 % */
    double balance = (double)cer__gen_clamp(alloc * pct, 0, INT64_MAX) / 100;
    at((g->now_ns / (86400 * SEC) + cer__gen_range(g, 1, 30)) * 86400 * SEC, end);
    cer_llm_quota_low q = {tenant,
                           balance,
                           alloc,
                           cer__gen_chance(g, 0.8) ? "credits" : "usd",
                           20,
                           (double)cer__gen_clamp(balance / alloc * 10000, 0, 10000) / 100,
                           cer__gen_chance(g, 0.9) ? end : NULL};
    int rc = cer_llm_quota_low_event(&q, &g->meta, out, errstr, errstr_size);
    return finish_ext(rc, out, trace_only, g, NULL, errstr, errstr_size);
}

static int budget(cer_catalog_gen *g, ce_event **out, char *errstr, size_t errstr_size)
{
    static const double limits[] = {50, 100, 500, 1000, 5000};
    static const char *const periods[] = {"daily", "weekly", "monthly", "total"};
    static const unsigned period_w[] = {20, 10, 60, 10};
    uint32_t rank;
    char ubuf[24], id[64];
    const char *tenant = cer__gen_tenant(g, &rank);
    size_t m = cer__gen_pick(g, chat_w, N(chat_w));
    const char *period = periods[cer__gen_pick(g, period_w, N(period_w))];
    double limit = limits[cer__gen_u64(g) % N(limits)];
    double request = (double)cer__gen_range(g, 100, 250000) / 1e6;
    double spent =
        limit - (double)cer__gen_clamp(request * 1e6 * cer__gen_unit(g), 0, 250000) / 1e6;
    snprintf(id, sizeof id, "budget-%s-%s", period, cer__gen_chance(g, 0.7) ? "default" : "team");
    cer_llm_budget_exceeded b = {tenant,
                                 cer__gen_chance(g, 0.2) ? NULL : cer__gen_user(g, rank, ubuf),
                                 id,
                                 period,
                                 limit,
                                 (double)cer__gen_clamp(spent * 1e6, 0, INT64_MAX) / 1e6,
                                 request,
                                 cer__gen_chance(g, 0.7) ? CER_LLM_REJECTED : CER_LLM_FLAGGED,
                                 chat[m].model,
                                 use_case(g)};
    int rc = cer_llm_budget_exceeded_event(&b, &g->meta, out, errstr, errstr_size);
    return finish_ext(rc, out, trace_only, g, NULL, errstr, errstr_size);
}

/* One breaker transition: closed -> open -> half-open -> closed (or back to open). */
static int outage(cer_catalog_gen *g, ce_event **out, char *errstr, size_t errstr_size)
{
    uint32_t rank;
    char retry[40], reason[160];
    const char *tenant = cer__gen_tenant(g, &rank);
    size_t m = cer__gen_pick(g, chat_w, N(chat_w));
    /* Outages end: most transitions move a breaker that is not closed along. */
    size_t start = (size_t)(cer__gen_u64(g) % CER__GEN_NCHAT);
    bool resolve = cer__gen_chance(g, 0.7);
    for (size_t i = 0; resolve && i < CER__GEN_NCHAT; i++)
        if (g->breaker[(start + i) % CER__GEN_NCHAT] != CER_LLM_CLOSED) {
            m = (start + i) % CER__GEN_NCHAT;
            break;
        }
    cer_llm_breaker_state prev = g->breaker[m], next;
    int64_t fails = 0;
    double rate;
    if (prev == CER_LLM_CLOSED) {
        next = CER_LLM_OPEN;
        fails = cer__gen_range(g, 5, 20);
        rate = 0.4 + 0.55 * cer__gen_unit(g);
        snprintf(reason, sizeof reason, "%lld consecutive failures (5xx and timeouts) from %s",
                 (long long)fails, chat[m].provider);
    } else if (prev == CER_LLM_OPEN) {
        next = CER_LLM_HALF_OPEN;
        rate = 0.3 + 0.6 * cer__gen_unit(g);
        snprintf(reason, sizeof reason, "cool-down elapsed; letting probe requests through");
    } else if (cer__gen_chance(g, 0.8)) {
        next = CER_LLM_CLOSED;
        rate = 0.05 * cer__gen_unit(g);
        snprintf(reason, sizeof reason, "probe requests succeeded");
    } else {
        next = CER_LLM_OPEN;
        fails = cer__gen_range(g, 1, 3);
        rate = 0.5 + 0.5 * cer__gen_unit(g);
        snprintf(reason, sizeof reason, "probe request failed: ServiceUnavailable");
    }
    g->breaker[m] = next;
    at(g->now_ns + 30 * SEC, retry);
    cer_llm_provider_outage o = {tenant,        chat[m].provider,
                                 chat[m].model, chat[m].region,
                                 next,          prev,
                                 reason,        (double)cer__gen_clamp(rate * 1000, 0, 1000) / 1000,
                                 fails,         next == CER_LLM_OPEN ? retry : NULL,
                                 NULL};
    int rc = cer_llm_provider_outage_event(&o, &g->meta, out, errstr, errstr_size);
    return finish_ext(rc, out, trace_only, g, NULL, errstr, errstr_size);
}

static int kg(cer_catalog_gen *g, ce_event **out, char *errstr, size_t errstr_size)
{
    uint32_t rank;
    char id[32], hex[13];
    const char *tenant = cer__gen_tenant(g, &rank);
    cer__gen_hex(g, hex, 12);
    snprintf(id, sizeof id, "kgs-%s", hex);
    int64_t nodes = cer__gen_clamp(cer__gen_lognormal(g, 150, 1.2), 1, 200000);
    cer_llm_kg_synced k = {tenant,
                           id,
                           "neptune://eventzr-kg-prod",
                           nodes,
                           nodes * cer__gen_range(g, 1, 4),
                           cer__gen_range(g, 0, nodes / 5 + 1),
                           200 + nodes * cer__gen_range(g, 1, 4),
                           NULL};
    int rc = cer_llm_kg_synced_event(&k, &g->meta, out, errstr, errstr_size);
    return finish_ext(rc, out, trace_only, g, NULL, errstr, errstr_size);
}

/* ---- io.coresdk.* ---- */
static int policy(cer_catalog_gen *g, cer_event_meta *meta, ce_event **out, char *errstr,
                  size_t errstr_size)
{
    uint32_t rank;
    char ubuf[24], trace[33], span[17];
    const char *tenant = cer__gen_tenant(g, &rank);
    cer__gen_hex(g, trace, 32);
    cer__gen_hex(g, span, 16);
    cer_coresdk_policy_decision p = {tenant,
                                     cer__gen_chance(g, 0.1) ? NULL : cer__gen_user(g, rank, ubuf),
                                     actions[cer__gen_u64(g) % N(actions)],
                                     cer__gen_chance(g, 0.95),
                                     cer__gen_clamp(cer__gen_lognormal(g, 40, 0.6), 3, 50000),
                                     trace,
                                     span};
    return cer_coresdk_policy_decision_event(&p, meta, out, errstr, errstr_size);
}

static int auth(cer_catalog_gen *g, bool denied, cer_event_meta *meta, ce_event **out, char *errstr,
                size_t errstr_size)
{
    static const char *const methods[] = {"jwt", "api_key", "mtls"};
    static const unsigned method_w[] = {70, 20, 10};
    static const char *const reasons[] = {"expired", "invalid_token", "wrong_audience", "other"};
    static const unsigned reason_w[] = {50, 30, 15, 5};
    uint32_t rank;
    char ubuf[24], trace[33];
    const char *tenant = cer__gen_tenant(g, &rank);
    cer__gen_hex(g, trace, 32);
    cer_coresdk_auth a = {
        tenant, cer__gen_chance(g, denied ? 0.4 : 0.05) ? NULL : cer__gen_user(g, rank, ubuf),
        methods[cer__gen_pick(g, method_w, N(method_w))],
        reasons[cer__gen_pick(g, reason_w, N(reason_w))], cer__gen_chance(g, 0.1) ? NULL : trace};
    return denied ? cer_coresdk_auth_denied_event(&a, meta, out, errstr, errstr_size)
                  : cer_coresdk_auth_verified_event(&a, meta, out, errstr, errstr_size);
}

/* RFC 9457 problems, some with large payloads (validation "errors" lists, stack details). */
static int problem(cer_catalog_gen *g, cer_event_meta *meta, ce_event **out, char *errstr,
                   size_t errstr_size)
{
    uint32_t rank;
    char ubuf[24], trace[33], hex[9], inst[64], detail[256], extra[64];
    const char *tenant = cer__gen_tenant(g, &rank);
    cer__gen_hex(g, trace, 32);
    cer__gen_hex(g, hex, 8);
    snprintf(inst, sizeof inst, "/orders/req-%s", hex);
    cer_coresdk_error e = {NULL,
                           NULL,
                           0,
                           NULL,
                           inst,
                           tenant,
                           cer__gen_chance(g, 0.2) ? NULL : cer__gen_user(g, rank, ubuf),
                           cer__gen_chance(g, 0.05) ? NULL : trace,
                           NULL};
    int rc = 0;
    switch (cer__gen_u64(g) % 4) {
    case 0:
        e.type = "https://coresdk.io/problems/rate-limited";
        e.title = "Too Many Requests";
        e.status = 429;
        snprintf(detail, sizeof detail, "Tenant %s exceeded %d requests per second on %s", tenant,
                 (int)cer__gen_range(g, 10, 500), actions[cer__gen_u64(g) % N(actions)]);
        e.detail = detail;
        snprintf(extra, sizeof extra, "\"retry_after_s\":%d", (int)cer__gen_range(g, 1, 60));
        e.extra_members = extra;
        break;
    case 1: { /* validation with an "errors" list: 1..120 entries */
        e.type = "https://coresdk.io/problems/validation";
        e.title = "Request validation failed";
        e.status = 400;
        int64_t n = cer__gen_clamp(cer__gen_lognormal(g, 4, 1.3), 1, 120);
        snprintf(detail, sizeof detail, "%lld field(s) failed validation", (long long)n);
        e.detail = detail;
        g->big.len = 0;
        rc = ce_buf_append(&g->big, "\"errors\":[", 10);
        for (int64_t i = 0; i < n && !rc; i++) {
            char item[200];
            int k = snprintf(item, sizeof item,
                             "%s{\"pointer\":\"/items/%lld/quantity\",\"detail\":\"must be an "
                             "integer from 1 to 1000, got %lld\"}",
                             i ? "," : "", (long long)cer__gen_range(g, 0, 500),
                             (long long)cer__gen_range(g, -50, 0));
            rc = ce_buf_append(&g->big, item, (size_t)k);
        }
        if (!rc)
            rc = ce_buf_append(&g->big, "]", 2); /* with the NUL */
        e.extra_members = g->big.ptr;
        break;
    }
    case 2:
        e.type = "https://coresdk.io/problems/upstream-timeout";
        e.title = "Gateway Timeout";
        e.status = 504;
        e.detail = "Upstream llm-orch-svc did not answer within 30000 ms";
        break;
    default: { /* internal error with a stack trace, ~1-12 KB */
        e.type = "about:blank";
        e.title = "Internal Server Error";
        e.status = 500;
        g->big.len = 0;
        const char *head = "panic: runtime error: index out of range [3] with length 3\n\n"
                           "goroutine 1842 [running]:\n";
        rc = ce_buf_append(&g->big, head, strlen(head));
        int64_t frames = cer__gen_range(g, 10, 120);
        for (int64_t i = 0; i < frames && !rc; i++) {
            char fr[160];
            int k = snprintf(fr, sizeof fr,
                             "github.com/coresdk/sdk/internal/policy.(*Engine).eval%lld(...)\n"
                             "\t/src/internal/policy/engine.go:%lld +0x%llx\n",
                             (long long)i, (long long)cer__gen_range(g, 40, 900),
                             (long long)cer__gen_range(g, 16, 4095));
            rc = ce_buf_append(&g->big, fr, (size_t)k);
        }
        if (!rc)
            rc = ce_buf_append(&g->big, "", 1);
        e.detail = g->big.ptr;
        break;
    }
    }
    if (rc)
        return cerx_errf(rc, errstr, errstr_size, "gen: %s", ce_strerror(rc));
    return cer_coresdk_error_event(&e, meta, out, errstr, errstr_size);
}

static int tenant_event(cer_catalog_gen *g, int kind, cer_event_meta *meta, ce_event **out,
                        char *errstr, size_t errstr_size)
{
    uint32_t rank;
    char name[64], when[40], trace[33], ver[24], vault[200];
    const char *tenant = cer__gen_tenant(g, &rank);
    cer__gen_hex(g, trace, 32);
    const char *tr = cer__gen_chance(g, 0.5) ? NULL : trace;
    if (kind == CER__GEN_TENANT_NEW) {
        static const char *const plans[] = {"free", "team", "enterprise"};
        static const unsigned plan_w[] = {60, 30, 10};
        snprintf(name, sizeof name, "Tenant %u", rank + 1);
        cer_coresdk_tenant_created t = {tenant, name, plans[cer__gen_pick(g, plan_w, N(plan_w))],
                                        NULL, tr};
        return cer_coresdk_tenant_created_event(&t, meta, out, errstr, errstr_size);
    }
    if (kind == CER__GEN_TENANT_SUSP) {
        bool pol = cer__gen_chance(g, 0.7);
        cer_coresdk_tenant_suspended t = {tenant,
                                          pol ? "payment overdue 30 days"
                                              : "abuse report under review",
                                          pol ? "policy" : "operator",
                                          pol ? "billing/suspend_overdue" : "ops-oncall",
                                          NULL,
                                          tr};
        return cer_coresdk_tenant_suspended_event(&t, meta, out, errstr, errstr_size);
    }
    static const char *const secrets[] = {"orders-db-password", "llm-provider-api-key",
                                          "kafka-sasl-password", "jwt-signing-key"};
    const char *secret = secrets[cer__gen_u64(g) % N(secrets)];
    snprintf(ver, sizeof ver, "%llu", (unsigned long long)++g->secret_version);
    snprintf(vault, sizeof vault, "vault://kv/%s/%s", tenant, secret);
    at(g->now_ns + 30 * 86400 * SEC, when);
    cer_coresdk_secret_rotated s = {
        tenant, secret, vault, ver, NULL, cer__gen_chance(g, 0.8) ? when : NULL, tr};
    return cer_coresdk_secret_rotated_event(&s, meta, out, errstr, errstr_size);
}

int cer__gen_event(cer_catalog_gen *g, int kind, ce_event **out, char *errstr, size_t errstr_size)
{
    cer_event_meta meta = g->meta; /* CoreSDK events come from the services, not llm-orch */
    meta.source = services[cer__gen_u64(g) % N(services)];
    switch (kind) {
    case CER__GEN_USAGE:
        return usage(g, out, errstr, errstr_size);
    case CER__GEN_CACHE_HIT:
        return cache_hit(g, out, errstr, errstr_size);
    case CER__GEN_EMBEDDINGS:
        return embeddings(g, out, errstr, errstr_size);
    case CER__GEN_FAILED:
        return failed_any(g, out, errstr, errstr_size);
    case CER__GEN_KG:
        return kg(g, out, errstr, errstr_size);
    case CER__GEN_QUOTA:
        return quota(g, out, errstr, errstr_size);
    case CER__GEN_BUDGET:
        return budget(g, out, errstr, errstr_size);
    case CER__GEN_OUTAGE:
        return outage(g, out, errstr, errstr_size);
    case CER__GEN_POLICY:
        return policy(g, &meta, out, errstr, errstr_size);
    case CER__GEN_AUTH_OK:
    case CER__GEN_AUTH_DENIED:
        return auth(g, kind == CER__GEN_AUTH_DENIED, &meta, out, errstr, errstr_size);
    case CER__GEN_ERROR:
        return problem(g, &meta, out, errstr, errstr_size);
    default:
        return tenant_event(g, kind, &meta, out, errstr, errstr_size);
    }
}
