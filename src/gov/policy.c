/* The egress policy: ordered CESQL rules compiled once, then OPA (policy_opa.c, with the
 * decision cache of policy_cache.c), then the default; per-decider counters for /metrics.
 * A decision runs in one of NSLOTS slots, claimed with a compare-and-swap (each thread starts
 * from its own slot, so threads rarely meet): the slot owns an evaluation context, made on
 * first use, and a private set of counters, summed when read. Deciding thus takes no lock,
 * shares no written cache line between threads and, once warm, never allocates. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cerelay/ce_sql.h"
#include "gov/policy.h"
#include "gov/policy_internal.h"

#define NSLOTS 64u /* a power of two */

typedef atomic_uint_fast64_t cell;

/* Counter cells of one slot: per decider d (rule i = d, OPA = nrules, default = nrules + 1)
 * cells 3d (allowed), 3d+1 (denied), 3d+2 (errors); then the totals at T = 3 * (nrules + 2). */
enum { C_ALLOWED, C_DENIED, C_ERRORS };
enum { T_DECISIONS, T_ALLOWED, T_DENIED, T_SQL_ERRORS, T_OPA_REQUESTS, T_OPA_HITS, T_N };

typedef struct slot {
    _Alignas(64) atomic_int busy;
    ce_sql_ctx *ctx; /* touched only by the slot's owner */
    cell *c;
} slot;

typedef struct prule {
    char *name;
    int action;
    ce_sql_prog *prog;
} prule;

struct cer_policy {
    prule *rules;
    size_t nrules;
    int default_action;
    /* OPA */
    cer__opa *opa;
    cer__pcache *cache;
    int opa_fail;
    char *opa_name; /* "opa:<path>" */
    /* clock */
    int64_t (*now_ms)(void *);
    void *now_ctx;
    /* slots */
    size_t tot;  /* index of the totals in a slot's cells */
    cell *cells; /* NSLOTS blocks of `stride` cells */
    slot slots[NSLOTS];
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
        snprintf(errstr, errstr_size, "policy.rules[%zu] '%s': CESQL: %s", i, name, e);
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
    cer_policy *p = aligned_alloc(64, (sizeof *p + 63) / 64 * 64);
    if (!p) {
        snprintf(errstr, errstr_size, "policy: out of memory");
        return NULL;
    }
    memset(p, 0, sizeof *p);
    p->default_action = cfg->default_action ? cfg->default_action : CER_CONFIG_ALLOW;
    p->now_ms = opts && opts->now_ms ? opts->now_ms : mono_ms;
    p->now_ctx = opts ? opts->now_ctx : NULL;
    if (!valid_verdict(p->default_action)) {
        snprintf(errstr, errstr_size, "policy.default: expected allow or deny");
        goto fail;
    }
    /* Each slot's cells fill whole cache lines, so no two slots share one. */
    p->tot = 3 * (cfg->nrules + 2);
    size_t stride = (p->tot + T_N + 7) / 8 * 8;
    if (cfg->nrules > (SIZE_MAX / sizeof(cell) / NSLOTS - 64) / 3 ||
        !(p->cells = aligned_alloc(64, NSLOTS * stride * sizeof(cell)))) {
        snprintf(errstr, errstr_size, "policy: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < NSLOTS * stride; i++)
        atomic_init(&p->cells[i], 0);
    for (size_t i = 0; i < NSLOTS; i++) {
        atomic_init(&p->slots[i].busy, 0);
        p->slots[i].c = p->cells + i * stride;
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
    for (size_t i = 0; i < NSLOTS; i++)
        ce_sql_ctx_destroy(p->slots[i].ctx);
    free(p->cells);
    cer__opa_destroy(p->opa);
    cer__pcache_destroy(p->cache);
    free(p->opa_name);
    free(p);
}

/* ---- slots -------------------------------------------------------------------------------- */
static slot *slot_claim(cer_policy *p)
{
    uint64_t h = (uint64_t)(uintptr_t)pthread_self() * 0x9E3779B97F4A7C15ull;
    size_t start = (size_t)(h >> 40);
    for (;;) {
        for (size_t k = 0; k < NSLOTS; k++) {
            slot *s = &p->slots[(start + k) & (NSLOTS - 1)];
            int free_ = 0;
            if (!atomic_load_explicit(&s->busy, memory_order_relaxed) &&
                atomic_compare_exchange_strong_explicit(&s->busy, &free_, 1, memory_order_acquire,
                                                        memory_order_relaxed))
                return s;
        }
        sched_yield(); /* more threads deciding than slots: each holds one for microseconds */
    }
}

static void slot_release(slot *s)
{
    atomic_store_explicit(&s->busy, 0, memory_order_release);
}

/* Only the slot's owner writes its cells: a plain relaxed load and store, no locked add. */
static void inc(cell *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static void count(const cer_policy *p, slot *s, size_t decider, int verdict)
{
    int allow = verdict == CER_CONFIG_ALLOW;
    inc(&s->c[3 * decider + (allow ? C_ALLOWED : C_DENIED)]);
    inc(&s->c[p->tot + T_DECISIONS]);
    inc(&s->c[p->tot + (allow ? T_ALLOWED : T_DENIED)]);
}

/* ---- deciding ----------------------------------------------------------------------------- */
/* Called holding slot *sp; may let it go while OPA is asked and claim another. */
static void decide_opa(cer_policy *p, slot **sp, const ce_event *ev, cer_policy_decision *out)
{
    ce_slice type = ce_event_get_str(ev, "type"), subject = ce_event_get_str(ev, "subject");
    if (!type.ptr)
        type = (ce_slice){"", 0};
    out->by = CER_POLICY_BY_OPA;
    out->rule = p->opa_name;
    int allow;
    if (p->cache && cer__pcache_get(p->cache, type, subject, p->now_ms(p->now_ctx), &allow)) {
        inc(&(*sp)->c[p->tot + T_OPA_HITS]);
        out->cached = 1;
        out->verdict = allow ? CER_CONFIG_ALLOW : CER_CONFIG_DENY;
        return;
    }
    slot_release(*sp); /* the request may take up to the timeout */
    int r = cer__opa_ask(p->opa, type, subject, out->reason, sizeof out->reason);
    /* The answer is kept from when it arrived, so a slow OPA does not shorten the TTL. Failures
     * are not cached: the next event asks again. */
    if (r >= 0 && p->cache)
        cer__pcache_put(p->cache, type, subject, p->now_ms(p->now_ctx), r);
    *sp = slot_claim(p);
    inc(&(*sp)->c[p->tot + T_OPA_REQUESTS]);
    if (r < 0) {
        inc(&(*sp)->c[3 * p->nrules + C_ERRORS]);
        out->opa_error = 1;
        out->verdict = p->opa_fail;
        return;
    }
    out->verdict = r ? CER_CONFIG_ALLOW : CER_CONFIG_DENY;
}

int cer_policy_decide(cer_policy *p, const ce_event *ev, cer_policy_decision *out)
{
    if (!p || !ev || !out)
        return CE_EINVAL;
    memset(out, 0, sizeof *out);
    slot *s = slot_claim(p);
    if (p->nrules && !s->ctx && !(s->ctx = ce_sql_ctx_new(0))) {
        slot_release(s);
        out->verdict = CER_CONFIG_DENY;
        out->rule = "default";
        out->by = CER_POLICY_BY_DEFAULT;
        snprintf(out->reason, sizeof out->reason, "policy: out of memory");
        return CE_ENOMEM;
    }
    for (size_t i = 0; i < p->nrules; i++) {
        const prule *r = &p->rules[i];
        ce_sql_value v;
        if (ce_sql_eval(r->prog, s->ctx, ev, CE_SQL_FAIL_FAST, &v) != 0) {
            inc(&s->c[3 * i + C_ERRORS]);
            inc(&s->c[p->tot + T_SQL_ERRORS]);
            continue;
        }
        if (v.type == CE_SQL_BOOLEAN && v.i) {
            out->verdict = r->action;
            out->rule = r->name;
            out->by = CER_POLICY_BY_RULE;
            count(p, s, i, r->action);
            slot_release(s);
            return 0;
        }
    }
    if (p->opa) {
        decide_opa(p, &s, ev, out);
        count(p, s, p->nrules, out->verdict);
    } else {
        out->verdict = p->default_action;
        out->rule = "default";
        out->by = CER_POLICY_BY_DEFAULT;
        count(p, s, p->nrules + 1, out->verdict);
    }
    slot_release(s);
    return 0;
}

/* ---- counters ----------------------------------------------------------------------------- */
size_t cer_policy_counter_count(const cer_policy *p)
{
    return p->nrules + (p->opa ? 1 : 0) + 1;
}

static uint64_t sum(cer_policy *p, size_t idx)
{
    uint64_t n = 0;
    for (size_t i = 0; i < NSLOTS; i++)
        n += atomic_load_explicit(&p->slots[i].c[idx], memory_order_relaxed);
    return n;
}

static void put_counter(cer_policy *p, cer_policy_counter *out, const char *name, size_t d)
{
    out->rule = name;
    out->allowed = sum(p, 3 * d + C_ALLOWED);
    out->denied = sum(p, 3 * d + C_DENIED);
    out->errors = sum(p, 3 * d + C_ERRORS);
}

size_t cer_policy_stats_get(cer_policy *p, cer_policy_stats *stats, cer_policy_counter *counters,
                            size_t max)
{
    if (stats) {
        stats->decisions = sum(p, p->tot + T_DECISIONS);
        stats->allowed = sum(p, p->tot + T_ALLOWED);
        stats->denied = sum(p, p->tot + T_DENIED);
        stats->sql_errors = sum(p, p->tot + T_SQL_ERRORS);
        stats->opa_requests = sum(p, p->tot + T_OPA_REQUESTS);
        stats->opa_cache_hits = sum(p, p->tot + T_OPA_HITS);
        stats->opa_errors = sum(p, 3 * p->nrules + C_ERRORS);
        stats->opa_cache_size = p->cache ? cer__pcache_size(p->cache) : 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < p->nrules && n < max; i++)
        put_counter(p, &counters[n++], p->rules[i].name, i);
    if (p->opa && n < max)
        put_counter(p, &counters[n++], p->opa_name, p->nrules);
    if (n < max)
        put_counter(p, &counters[n++], "default", p->nrules + 1);
    return n;
}
