/* The egress policy: ordered CESQL rules compiled once, then OPA (policy_opa.c, with the
 * decision cache of policy_cache.c), then the default; per-decider counters for /metrics.
 * Evaluation contexts come from a mutex-guarded pool, so deciding never allocates once as
 * many contexts exist as threads decide at once. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cerelay/ce_sql.h"
#include "gov/policy.h"
#include "gov/policy_internal.h"

typedef struct counter {
    atomic_uint_fast64_t allowed, denied, errors;
} counter;

typedef struct prule {
    char *name;
    int action;
    ce_sql_prog *prog;
    counter c;
} prule;

struct cer_policy {
    prule *rules;
    size_t nrules;
    int default_action;
    counter dflt;
    /* OPA */
    cer__opa *opa;
    cer__pcache *cache;
    int opa_fail;
    char *opa_name; /* "opa:<path>" */
    counter opa_c;
    atomic_uint_fast64_t opa_requests, opa_hits;
    /* totals */
    atomic_uint_fast64_t decisions, allowed, denied, sql_errors;
    /* clock */
    int64_t (*now_ms)(void *);
    void *now_ctx;
    /* evaluation contexts not in use */
    pthread_mutex_t mu;
    ce_sql_ctx **pool;
    size_t npool, pool_cap;
};

const char *cer_policy_verdict_name(int verdict)
{
    return verdict == CER_CONFIG_ALLOW ? "allow" : "deny";
}

static int64_t mono_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

static int valid_verdict(int v)
{
    return v == CER_CONFIG_ALLOW || v == CER_CONFIG_DENY;
}

static int compile_rule(prule *r, const cer_config_rule *cr, size_t i, char *errstr,
                        size_t errstr_size)
{
    char e[256];
    const char *name = cr->name ? cr->name : "";
    if (!cr->when || !valid_verdict(cr->action)) {
        snprintf(errstr, errstr_size, "policy.rules[%zu] '%s': %s", i, name,
                 cr->when ? "action must be allow or deny" : "when is required");
        return CE_EINVAL;
    }
    ce_sql_options o = {.flags = CE_SQL_STRICT_FUNCTIONS};
    size_t off = 0;
    int rc = ce_sql_compile_ex(cr->when, strlen(cr->when), &o, &r->prog, &off, e, sizeof e);
    if (rc) {
        snprintf(errstr, errstr_size, "policy.rules[%zu] '%s': CESQL %s", i, name, e);
        return rc;
    }
    ce_sql_type t = ce_sql_prog_type(r->prog);
    if (t && t != CE_SQL_BOOLEAN) {
        snprintf(errstr, errstr_size,
                 "policy.rules[%zu] '%s': CESQL: the expression is %s, not "
                 "Boolean",
                 i, name, ce_sql_type_name(t));
        return CE_EINVAL;
    }
    r->action = cr->action;
    if (!(r->name = dup_str(name))) {
        snprintf(errstr, errstr_size, "policy: out of memory");
        return CE_ENOMEM;
    }
    return 0;
}

static int setup_opa(cer_policy *p, const cer_config_policy *cfg, const cer_policy_opts *opts,
                     char *errstr, size_t errstr_size)
{
    if (!cfg->opa.path || !*cfg->opa.path) {
        snprintf(errstr, errstr_size, "policy.opa.path: required when policy.opa.url is set");
        return CE_EINVAL;
    }
    int fail = cfg->opa.fail ? cfg->opa.fail : CER_CONFIG_DENY;
    if (!valid_verdict(fail)) {
        snprintf(errstr, errstr_size, "policy.opa.fail: expected allow or deny");
        return CE_EINVAL;
    }
    p->opa_fail = fail;
    size_t n = strlen(cfg->opa.path) + 5;
    if (!(p->opa_name = malloc(n))) {
        snprintf(errstr, errstr_size, "policy: out of memory");
        return CE_ENOMEM;
    }
    snprintf(p->opa_name, n, "opa:%s", cfg->opa.path);
    p->opa = cer__opa_new(cfg->opa.url, cfg->opa.path, cfg->opa.timeout_ms, errstr, errstr_size);
    if (!p->opa)
        return CE_EINVAL;
    if (cfg->opa.cache_ttl_ms) {
        size_t entries =
            opts && opts->cache_entries ? opts->cache_entries : CER_POLICY_DEFAULT_CACHE_ENTRIES;
        if (!(p->cache = cer__pcache_new(entries, cfg->opa.cache_ttl_ms))) {
            snprintf(errstr, errstr_size, "policy: out of memory");
            return CE_ENOMEM;
        }
    }
    return 0;
}

cer_policy *cer_policy_new_opts(const cer_config_policy *cfg, const cer_policy_opts *opts,
                                char *errstr, size_t errstr_size)
{
    if (errstr_size)
        errstr[0] = 0;
    if (!cfg) {
        snprintf(errstr, errstr_size, "policy: no configuration");
        return NULL;
    }
    cer_policy *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(errstr, errstr_size, "policy: out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    p->default_action = cfg->default_action ? cfg->default_action : CER_CONFIG_ALLOW;
    p->now_ms = opts && opts->now_ms ? opts->now_ms : mono_ms;
    p->now_ctx = opts ? opts->now_ctx : NULL;
    if (!valid_verdict(p->default_action)) {
        snprintf(errstr, errstr_size, "policy.default: expected allow or deny");
        goto fail;
    }
    if (cfg->nrules && !(p->rules = calloc(cfg->nrules, sizeof *p->rules))) {
        snprintf(errstr, errstr_size, "policy: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < cfg->nrules; i++) {
        p->nrules = i + 1; /* what destroy must free */
        if (compile_rule(&p->rules[i], &cfg->rules[i], i, errstr, errstr_size))
            goto fail;
    }
    if (cfg->opa.url && setup_opa(p, cfg, opts, errstr, errstr_size))
        goto fail;
    return p;
fail:
    cer_policy_destroy(p);
    return NULL;
}

cer_policy *cer_policy_new(const cer_config_policy *cfg, char *errstr, size_t errstr_size)
{
    return cer_policy_new_opts(cfg, NULL, errstr, errstr_size);
}

void cer_policy_destroy(cer_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nrules; i++) {
        ce_sql_prog_destroy(p->rules[i].prog);
        free(p->rules[i].name);
    }
    free(p->rules);
    for (size_t i = 0; i < p->npool; i++)
        ce_sql_ctx_destroy(p->pool[i]);
    free(p->pool);
    pthread_mutex_destroy(&p->mu);
    cer__opa_destroy(p->opa);
    cer__pcache_destroy(p->cache);
    free(p->opa_name);
    free(p);
}

/* ---- evaluation contexts ------------------------------------------------------------------ */
static ce_sql_ctx *ctx_get(cer_policy *p)
{
    ce_sql_ctx *c = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->npool)
        c = p->pool[--p->npool];
    pthread_mutex_unlock(&p->mu);
    return c ? c : ce_sql_ctx_new(0);
}

static void ctx_put(cer_policy *p, ce_sql_ctx *c)
{
    pthread_mutex_lock(&p->mu);
    if (p->npool == p->pool_cap) {
        size_t cap = p->pool_cap ? p->pool_cap * 2 : 8;
        ce_sql_ctx **np = realloc(p->pool, cap * sizeof *np);
        if (!np) {
            pthread_mutex_unlock(&p->mu);
            ce_sql_ctx_destroy(c);
            return;
        }
        p->pool = np;
        p->pool_cap = cap;
    }
    p->pool[p->npool++] = c;
    pthread_mutex_unlock(&p->mu);
}

/* ---- deciding ----------------------------------------------------------------------------- */
static void count(cer_policy *p, counter *c, int verdict)
{
    atomic_fetch_add_explicit(&p->decisions, 1, memory_order_relaxed);
    int allow = verdict == CER_CONFIG_ALLOW;
    atomic_fetch_add_explicit(allow ? &p->allowed : &p->denied, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(allow ? &c->allowed : &c->denied, 1, memory_order_relaxed);
}

static void decide_opa(cer_policy *p, const ce_event *ev, cer_policy_decision *out)
{
    ce_slice type = ce_event_get_str(ev, "type"), subject = ce_event_get_str(ev, "subject");
    if (!type.ptr)
        type = (ce_slice){"", 0};
    out->by = CER_POLICY_BY_OPA;
    out->rule = p->opa_name;
    int allow;
    if (p->cache) {
        if (cer__pcache_get(p->cache, type, subject, p->now_ms(p->now_ctx), &allow)) {
            atomic_fetch_add_explicit(&p->opa_hits, 1, memory_order_relaxed);
            out->cached = 1;
            out->verdict = allow ? CER_CONFIG_ALLOW : CER_CONFIG_DENY;
            return;
        }
    }
    atomic_fetch_add_explicit(&p->opa_requests, 1, memory_order_relaxed);
    int r = cer__opa_ask(p->opa, type, subject, out->reason, sizeof out->reason);
    if (r < 0) {
        atomic_fetch_add_explicit(&p->opa_c.errors, 1, memory_order_relaxed);
        out->opa_error = 1;
        out->verdict = p->opa_fail;
        return;
    }
    out->verdict = r ? CER_CONFIG_ALLOW : CER_CONFIG_DENY;
    /* The answer is kept from when it arrived, so a slow OPA does not shorten the TTL. Failures
     * are not cached: the next event asks again. */
    if (p->cache)
        cer__pcache_put(p->cache, type, subject, p->now_ms(p->now_ctx), r);
}

int cer_policy_decide(cer_policy *p, const ce_event *ev, cer_policy_decision *out)
{
    if (!p || !ev || !out)
        return CE_EINVAL;
    memset(out, 0, sizeof *out);
    if (p->nrules) {
        ce_sql_ctx *ctx = ctx_get(p);
        if (!ctx) {
            out->verdict = CER_CONFIG_DENY;
            out->rule = "default";
            out->by = CER_POLICY_BY_DEFAULT;
            snprintf(out->reason, sizeof out->reason, "policy: out of memory");
            return CE_ENOMEM;
        }
        for (size_t i = 0; i < p->nrules; i++) {
            prule *r = &p->rules[i];
            ce_sql_value v;
            int nerr = ce_sql_eval(r->prog, ctx, ev, CE_SQL_FAIL_FAST, &v);
            if (nerr != 0) {
                atomic_fetch_add_explicit(&r->c.errors, 1, memory_order_relaxed);
                atomic_fetch_add_explicit(&p->sql_errors, 1, memory_order_relaxed);
                continue;
            }
            if (v.type == CE_SQL_BOOLEAN && v.i) {
                ctx_put(p, ctx);
                out->verdict = r->action;
                out->rule = r->name;
                out->by = CER_POLICY_BY_RULE;
                count(p, &r->c, r->action);
                return 0;
            }
        }
        ctx_put(p, ctx);
    }
    if (p->opa) {
        decide_opa(p, ev, out);
        count(p, &p->opa_c, out->verdict);
        return 0;
    }
    out->verdict = p->default_action;
    out->rule = "default";
    out->by = CER_POLICY_BY_DEFAULT;
    count(p, &p->dflt, out->verdict);
    return 0;
}

/* ---- counters ----------------------------------------------------------------------------- */
size_t cer_policy_counter_count(const cer_policy *p)
{
    return p->nrules + (p->opa ? 1 : 0) + 1;
}

static uint64_t ld(atomic_uint_fast64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static void put_counter(cer_policy_counter *out, const char *name, counter *c)
{
    out->rule = name;
    out->allowed = ld(&c->allowed);
    out->denied = ld(&c->denied);
    out->errors = ld(&c->errors);
}

size_t cer_policy_stats_get(cer_policy *p, cer_policy_stats *stats, cer_policy_counter *counters,
                            size_t max)
{
    if (stats) {
        stats->decisions = ld(&p->decisions);
        stats->allowed = ld(&p->allowed);
        stats->denied = ld(&p->denied);
        stats->sql_errors = ld(&p->sql_errors);
        stats->opa_requests = ld(&p->opa_requests);
        stats->opa_cache_hits = ld(&p->opa_hits);
        stats->opa_errors = ld(&p->opa_c.errors);
        stats->opa_cache_size = p->cache ? cer__pcache_size(p->cache) : 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < p->nrules && n < max; i++)
        put_counter(&counters[n++], p->rules[i].name, &p->rules[i].c);
    if (p->opa && n < max)
        put_counter(&counters[n++], p->opa_name, &p->opa_c);
    if (n < max)
        put_counter(&counters[n++], "default", &p->dflt);
    return n;
}
