/* Per-tenant token buckets (limits.tenant_rate): a hash table of at most max_buckets buckets on
 * an LRU list (the least recently used one is reused when full), settings re-read when the live
 * configuration changes (SIGHUP), and per-tenant counters capped at metrics_tenants names (the
 * rest count as "other"). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce_binding.h"
#include "relay/ratelimit.h"

#define KEY_MAX 128 /* bucket keys are cut to this many bytes */

typedef struct bucket {
    char key[KEY_MAX + 1];
    double tokens;
    int64_t last_ns;
    int64_t rate, burst;
    int64_t need;  /* this request's events */
    uint64_t gen;  /* the request that last touched it */
    size_t metric; /* index into counters */
    struct bucket *hnext, *prev, *next;
} bucket;

typedef struct counter {
    char name[KEY_MAX + 1];
    unsigned long long accepted, limited;
} counter;

struct relay_ratelimit {
    pthread_mutex_t mu;
    const cer_config *cfg; /* the settings below were read from it */
    char *tmpl;            /* key template; NULL = off */
    int64_t rate, burst, max_buckets, max_metrics;
    bucket **table;
    size_t tsize, count;
    bucket *head, *tail; /* most recently used first */
    uint64_t gen;
    bucket **touched;
    size_t ntouched, cap_touched;
    counter *counters; /* [0] is "other" */
    size_t ncounters;
};

relay_ratelimit *cer__relay_ratelimit_new(void)
{
    relay_ratelimit *rl = calloc(1, sizeof *rl);
    if (rl)
        pthread_mutex_init(&rl->mu, NULL);
    return rl;
}

static void clear_buckets(relay_ratelimit *rl)
{
    for (bucket *b = rl->head, *nx; b; b = nx) {
        nx = b->next;
        free(b);
    }
    rl->head = rl->tail = NULL;
    rl->count = 0;
    free(rl->table);
    rl->table = NULL;
    rl->tsize = 0;
}

void cer__relay_ratelimit_destroy(relay_ratelimit *rl)
{
    if (!rl)
        return;
    clear_buckets(rl);
    free(rl->tmpl);
    free(rl->touched);
    free(rl->counters);
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void settings_for(const relay_ratelimit *rl, const cer_config *cfg, const char *key,
                         int64_t *rate, int64_t *burst)
{
    const cer_config_tenant_rate *t = &cfg->limits.tenant_rate;
    *rate = rl->rate;
    *burst = rl->burst;
    for (size_t i = 0; i < t->noverrides; i++)
        if (strcmp(t->overrides[i].tenant, key) == 0) {
            *rate = t->overrides[i].rate;
            *burst = t->overrides[i].burst ? t->overrides[i].burst : *rate;
        }
}

/* Re-read the settings of a new live configuration. Returns 0 or CE_ENOMEM. */
static int configure(relay_ratelimit *rl, const cer_config *cfg)
{
    const cer_config_tenant_rate *t = &cfg->limits.tenant_rate;
    const char *tmpl = t->rate > 0 ? t->key : NULL;
    bool same_key = (!tmpl && !rl->tmpl) || (tmpl && rl->tmpl && strcmp(tmpl, rl->tmpl) == 0);
    if (!same_key || t->max_buckets != rl->max_buckets) {
        clear_buckets(rl);
        free(rl->tmpl);
        rl->tmpl = tmpl ? strdup(tmpl) : NULL;
        if (tmpl && !rl->tmpl)
            return CE_ENOMEM;
    }
    rl->rate = t->rate;
    rl->burst = t->burst ? t->burst : t->rate;
    rl->max_buckets = t->max_buckets;
    if (rl->max_metrics != t->metrics_tenants || !rl->counters) {
        counter *c = realloc(rl->counters, sizeof *c * (size_t)(t->metrics_tenants + 1));
        if (!c)
            return CE_ENOMEM;
        if (!rl->counters)
            memset(c, 0, sizeof *c), strcpy(c[0].name, "other"), rl->ncounters = 1;
        rl->counters = c;
        rl->max_metrics = t->metrics_tenants;
        if ((int64_t)rl->ncounters > rl->max_metrics + 1)
            rl->ncounters = (size_t)rl->max_metrics + 1; /* the cut names stop being reported */
    }
    for (bucket *b = rl->head; b; b = b->next) {
        settings_for(rl, cfg, b->key, &b->rate, &b->burst);
        if (b->tokens > (double)b->burst)
            b->tokens = (double)b->burst;
        if (b->metric >= rl->ncounters)
            b->metric = 0;
    }
    rl->cfg = cfg;
    return 0;
}

static void lru_unlink(relay_ratelimit *rl, bucket *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        rl->head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    else
        rl->tail = b->prev;
    b->prev = b->next = NULL;
}

static void lru_front(relay_ratelimit *rl, bucket *b)
{
    b->next = rl->head;
    if (rl->head)
        rl->head->prev = b;
    rl->head = b;
    if (!rl->tail)
        rl->tail = b;
}

static void table_remove(relay_ratelimit *rl, bucket *b)
{
    bucket **p = &rl->table[hash(b->key) & (rl->tsize - 1)];
    while (*p && *p != b)
        p = &(*p)->hnext;
    if (*p)
        *p = b->hnext;
}

static size_t metric_index(relay_ratelimit *rl, const char *key)
{
    for (size_t i = 1; i < rl->ncounters; i++)
        if (strcmp(rl->counters[i].name, key) == 0)
            return i;
    if ((int64_t)rl->ncounters > rl->max_metrics)
        return 0; /* "other" */
    counter *c = &rl->counters[rl->ncounters];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", key);
    return rl->ncounters++;
}

/* The bucket of `key`, made (full) when missing; NULL when out of memory or when every bucket
 * is in use by this very request (then the caller uses `other`). */
static bucket *get_bucket(relay_ratelimit *rl, const cer_config *cfg, const char *key, int64_t now)
{
    if (!rl->table) {
        size_t ts = 16;
        while ((int64_t)ts < rl->max_buckets && ts < ((size_t)1 << 20))
            ts <<= 1;
        rl->table = calloc(ts, sizeof *rl->table);
        if (!rl->table)
            return NULL;
        rl->tsize = ts;
    }
    size_t h = hash(key) & (rl->tsize - 1);
    for (bucket *b = rl->table[h]; b; b = b->hnext)
        if (strcmp(b->key, key) == 0) {
            lru_unlink(rl, b);
            lru_front(rl, b);
            return b;
        }
    bucket *b;
    if ((int64_t)rl->count >= rl->max_buckets) {
        b = rl->tail;
        if (!b || b->gen == rl->gen)
            return NULL;
        lru_unlink(rl, b);
        table_remove(rl, b);
        rl->count--;
    } else {
        b = malloc(sizeof *b);
        if (!b)
            return NULL;
    }
    memset(b, 0, sizeof *b);
    snprintf(b->key, sizeof b->key, "%s", key);
    settings_for(rl, cfg, b->key, &b->rate, &b->burst);
    b->tokens = (double)b->burst;
    b->last_ns = now;
    b->metric = metric_index(rl, b->key);
    b->hnext = rl->table[h];
    rl->table[h] = b;
    lru_front(rl, b);
    rl->count++;
    return b;
}

static int touch(relay_ratelimit *rl, bucket *b)
{
    if (b->gen == rl->gen) {
        b->need++;
        return 0;
    }
    if (rl->ntouched == rl->cap_touched) {
        size_t nc = rl->cap_touched ? rl->cap_touched * 2 : 64;
        bucket **t = realloc(rl->touched, nc * sizeof *t);
        if (!t)
            return CE_ENOMEM;
        rl->touched = t;
        rl->cap_touched = nc;
    }
    b->gen = rl->gen;
    b->need = 1;
    rl->touched[rl->ntouched++] = b;
    return 0;
}

int cer__relay_ratelimit_take(relay_ratelimit *rl, const cer_config *cfg,
                              const ce_event *const *evs, size_t n, int64_t now,
                              relay_ratelimit_refusal *why)
{
    pthread_mutex_lock(&rl->mu);
    int rc = rl->cfg == cfg ? 0 : configure(rl, cfg);
    if (rc || !rl->tmpl || n == 0) {
        pthread_mutex_unlock(&rl->mu);
        return rc;
    }
    rl->gen++;
    rl->ntouched = 0;
    ce_buf scratch;
    ce_buf_init(&scratch);
    static bucket overflow_init;
    bucket *overflow = NULL;
    for (size_t i = 0; !rc && i < n; i++) {
        char key[KEY_MAX + 1] = "-";
        ce_slice k = {NULL, 0};
        char e[160];
        scratch.len = 0;
        if (ce_kafka_key(evs[i], rl->tmpl, &scratch, &k, e, sizeof e) == 0 && k.len)
            snprintf(key, sizeof key, "%.*s", (int)(k.len > KEY_MAX ? KEY_MAX : k.len), k.ptr);
        bucket *b = get_bucket(rl, cfg, key, now);
        if (!b && !rl->table) {
            rc = CE_ENOMEM;
            break;
        }
        if (!b) { /* every bucket belongs to this request: the rest share one */
            if (!overflow) {
                overflow = malloc(sizeof *overflow);
                if (!overflow) {
                    rc = CE_ENOMEM;
                    break;
                }
                *overflow = overflow_init;
                strcpy(overflow->key, "other");
                overflow->rate = rl->rate;
                overflow->burst = rl->burst;
                overflow->tokens = (double)rl->burst;
            }
            b = overflow;
        }
        rc = touch(rl, b);
    }
    ce_buf_free(&scratch);
    int verdict = 0;
    for (size_t i = 0; !rc && i < rl->ntouched; i++) { /* refill, then check every tenant */
        bucket *b = rl->touched[i];
        if (now > b->last_ns) {
            b->tokens += (double)(now - b->last_ns) * (double)b->rate / 1e9;
            if (b->tokens > (double)b->burst)
                b->tokens = (double)b->burst;
            b->last_ns = now;
        }
        double want = (double)(b->need < b->burst ? b->need : b->burst);
        if (!verdict && b->tokens + 1e-9 < want) {
            verdict = 1;
            snprintf(why->tenant, sizeof why->tenant, "%s", b->key);
            why->rate = b->rate;
            why->burst = b->burst;
            double s = b->rate > 0 ? ceil((want - b->tokens) / (double)b->rate) : 1;
            why->retry_after_s = s < 1 ? 1 : s > 3600 ? 3600 : (unsigned)s;
        }
    }
    for (size_t i = 0; !rc && i < rl->ntouched; i++) {
        bucket *b = rl->touched[i];
        counter *c = &rl->counters[b == overflow ? 0 : b->metric];
        if (verdict) {
            c->limited += (unsigned long long)b->need;
        } else {
            b->tokens -= (double)b->need;
            c->accepted += (unsigned long long)b->need;
        }
    }
    free(overflow);
    pthread_mutex_unlock(&rl->mu);
    return rc ? rc : verdict;
}

static void label(ce_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            ce_buf_append(out, "\\", 1);
        if (*s == '\n')
            ce_buf_append(out, "\\n", 2);
        else
            ce_buf_append(out, s, 1);
    }
}

int cer__relay_ratelimit_render(relay_ratelimit *rl, ce_buf *out)
{
    pthread_mutex_lock(&rl->mu);
    if (rl->ncounters == 0) {
        pthread_mutex_unlock(&rl->mu);
        return 0;
    }
    static const char head[] =
        "# HELP cerelay_tenant_events_total Events per tenant (limits.tenant_rate key) by "
        "outcome of the rate limit; at most limits.tenant_rate.metrics_tenants tenants, the "
        "rest as tenant=\"other\".\n"
        "# TYPE cerelay_tenant_events_total counter\n";
    int rc = ce_buf_append(out, head, sizeof head - 1);
    for (size_t i = 0; !rc && i < rl->ncounters; i++) {
        const counter *c = &rl->counters[i];
        for (int lim = 0; lim < 2 && !rc; lim++) {
            char num[64];
            ce_buf_append(out, "cerelay_tenant_events_total{tenant=\"", 36);
            label(out, c->name);
            snprintf(num, sizeof num, "\",outcome=\"%s\"} %llu\n", lim ? "limited" : "accepted",
                     lim ? c->limited : c->accepted);
            rc = ce_buf_append(out, num, strlen(num));
        }
    }
    pthread_mutex_unlock(&rl->mu);
    return rc ? CE_ENOMEM : 0;
}
