/* Per type/tenant freshness histograms of the relay (see fresh.h). Each series holds two
 * histograms: the fine log buckets of src/pipeline/fresh.c (in µs, for percentiles) and the
 * Prometheus buckets below, all atomic counters; a series is found through a lock-free
 * open-addressed index of its type/tenant hash. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/fresh.h"
#include "relay/fresh.h"

enum { HASH_SLOTS = 256, OTHER = CER_FRESH_MAX_SERIES };

/* Prometheus bucket bounds, µs (0.5 ms .. 1 h) */
static const int64_t bounds_us[] = {500,      1000,      2500,      5000,        10000,
                                    25000,    50000,     100000,    250000,      500000,
                                    1000000,  2500000,   5000000,   10000000,    30000000,
                                    60000000, 300000000, 900000000, 3600000000LL};
enum { NBOUNDS = sizeof bounds_us / sizeof bounds_us[0] };

typedef struct hist {
    atomic_ullong fine[CER_FRESH_NBUCKETS];
    atomic_ullong coarse[NBOUNDS + 1];
    atomic_ullong count, sum_us;
    atomic_llong max_us;
} hist;

typedef struct series {
    uint64_t hash;
    size_t type_len, tenant_len;
    char type[CER_FRESH_NAME_MAX], tenant[CER_FRESH_NAME_MAX];
    hist age, ack;
    atomic_ullong future;
} series;

struct relay_fresh {
    _Atomic(series *) s[CER_FRESH_MAX_SERIES + 1]; /* the last one is "other" */
    atomic_uint idx[HASH_SLOTS];                   /* series + 1, 0 = empty */
    atomic_int used;                               /* series slots claimed (may pass the cap) */
    atomic_ullong no_time;
};

relay_fresh *cer__relay_fresh_new(void)
{
    return calloc(1, sizeof(relay_fresh));
}

void cer__relay_fresh_destroy(relay_fresh *f)
{
    if (!f)
        return;
    for (int i = 0; i <= OTHER; i++)
        free(atomic_load(&f->s[i]));
    free(f);
}

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

static series *series_new(uint64_t hash, ce_slice type, ce_slice tenant)
{
    series *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->hash = hash;
    s->type_len = type.len;
    s->tenant_len = tenant.len;
    memcpy(s->type, type.ptr, type.len);
    memcpy(s->tenant, tenant.ptr, tenant.len);
    return s;
}

static bool same(const series *s, uint64_t hash, ce_slice type, ce_slice tenant)
{
    return s->hash == hash && s->type_len == type.len && s->tenant_len == tenant.len &&
           memcmp(s->type, type.ptr, type.len) == 0 &&
           memcmp(s->tenant, tenant.ptr, tenant.len) == 0;
}

static int other(relay_fresh *f)
{
    if (!atomic_load(&f->s[OTHER])) {
        series *s = series_new(0, (ce_slice){"other", 5}, (ce_slice){"other", 5}), *exp = NULL;
        if (!s)
            return -1;
        if (!atomic_compare_exchange_strong(&f->s[OTHER], &exp, s))
            free(s);
    }
    return OTHER;
}

int cer__relay_fresh_series(relay_fresh *f, const ce_event *ev, int hint)
{
    if (!f)
        return -1;
    ce_slice type = ce_event_get_str(ev, "type"), tenant = cer_fresh_tenant(ev);
    if (!type.ptr)
        type = (ce_slice){"-", 1};
    if (hint >= 0 && hint < OTHER) { /* the previous event's series: most batches have one */
        const series *s = atomic_load(&f->s[hint]);
        if (s && s->type_len == type.len && s->tenant_len == tenant.len &&
            memcmp(s->type, type.ptr, type.len) == 0 &&
            memcmp(s->tenant, tenant.ptr, tenant.len) == 0)
            return hint;
    }
    if (type.len >= CER_FRESH_NAME_MAX || tenant.len >= CER_FRESH_NAME_MAX)
        return other(f);
    uint64_t h = fnv(fnv(14695981039346656037ULL, type.ptr, type.len), "\0", 1);
    h = fnv(h, tenant.ptr, tenant.len);
    int mine = -1; /* a slot this call claimed and filled, not yet indexed */
    for (unsigned i = 0; i < HASH_SLOTS; i++) {
        atomic_uint *slot = &f->idx[(h + i) % HASH_SLOTS];
        unsigned v = atomic_load(slot);
        if (v == 0) {
            if (mine < 0) {
                if (atomic_load(&f->used) >= CER_FRESH_MAX_SERIES)
                    return other(f);
                int n = atomic_fetch_add(&f->used, 1);
                if (n >= CER_FRESH_MAX_SERIES)
                    return other(f);
                series *s = series_new(h, type, tenant);
                if (!s)
                    return -1;
                atomic_store(&f->s[n], s);
                mine = n;
            }
            unsigned want = (unsigned)mine + 1;
            if (atomic_compare_exchange_strong(slot, &v, want))
                return mine;
            /* another series took this slot: v is it; fall through to compare */
        }
        series *s = atomic_load(&f->s[v - 1]);
        if (s && same(s, h, type, tenant)) {
            return (int)v - 1; /* a race for the same pair: our slot stays empty, unindexed */
        }
    }
    return other(f);
}

static void observe(hist *h, int64_t us, uint64_t n)
{
    if (us < 0)
        us = 0;
    int b = 0;
    while (b < NBOUNDS && us > bounds_us[b])
        b++;
    atomic_fetch_add_explicit(&h->coarse[b], n, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->fine[cer_fresh_bucket(us)], n, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (unsigned long long)us * n, memory_order_relaxed);
    long long m = atomic_load_explicit(&h->max_us, memory_order_relaxed);
    while (us > m && !atomic_compare_exchange_weak(&h->max_us, &m, us))
        ;
    atomic_fetch_add_explicit(&h->count, n, memory_order_release);
}

void cer__relay_fresh_ingest(relay_fresh *f, int series_i, const ce_event *ev, int64_t arrival_ns)
{
    if (!f || series_i < 0)
        return;
    ce_slice t = ce_event_get_str(ev, "time");
    int64_t ns;
    if (!t.ptr || ce_timestamp_parse(t.ptr, t.len, &ns) != 0) {
        atomic_fetch_add_explicit(&f->no_time, 1, memory_order_relaxed);
        return;
    }
    series *s = atomic_load(&f->s[series_i]);
    if (!s)
        return;
    int64_t age = (arrival_ns - ns) / 1000;
    if (age < 0) {
        atomic_fetch_add_explicit(&s->future, 1, memory_order_relaxed);
        age = 0;
    }
    observe(&s->age, age, 1);
}

void cer__relay_fresh_ack(relay_fresh *f, int series_i, uint64_t n, int64_t ns)
{
    if (!f || series_i < 0 || n == 0)
        return;
    series *s = atomic_load(&f->s[series_i]);
    if (s)
        observe(&s->ack, ns / 1000, n);
}

static void label(ce_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            ce_buf_append(b, "\\", 1);
        if (*v == '\n')
            ce_buf_append(b, "\\n", 2);
        else
            ce_buf_append(b, v, 1);
    }
}

static void put(ce_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(ce_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        ce_buf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void render_hist(ce_buf *b, const char *name, const series *s, const hist *h)
{
    unsigned long long cum = 0;
    for (int i = 0; i <= NBOUNDS; i++) {
        cum += atomic_load(&h->coarse[i]);
        put(b, "%s_bucket{type=\"", name);
        label(b, s->type);
        put(b, "\",tenant=\"");
        label(b, s->tenant);
        if (i < NBOUNDS)
            put(b, "\",le=\"%g\"} %llu\n", (double)bounds_us[i] / 1e6, cum);
        else
            put(b, "\",le=\"+Inf\"} %llu\n", cum);
    }
    put(b, "%s_sum{type=\"", name);
    label(b, s->type);
    put(b, "\",tenant=\"");
    label(b, s->tenant);
    put(b, "\"} %.6f\n%s_count{type=\"", (double)atomic_load(&h->sum_us) / 1e6, name);
    label(b, s->type);
    put(b, "\",tenant=\"");
    label(b, s->tenant);
    put(b, "\"} %llu\n", cum);
}

void cer__relay_fresh_render(relay_fresh *f, ce_buf *b)
{
    static const char *const names[] = {"cerelay_event_ingest_age_seconds",
                                        "cerelay_event_ack_latency_seconds"};
    static const char *const helps[] = {
        "Arrival at the relay minus the event's time attribute, per type and tenant",
        "Arrival at the relay to the acknowledgement its ack mode promises, per type and tenant"};
    for (int k = 0; k < 2; k++) {
        put(b, "# HELP %s %s\n# TYPE %s histogram\n", names[k], helps[k], names[k]);
        for (int i = 0; f && i <= OTHER; i++) {
            const series *s = atomic_load(&f->s[i]);
            const hist *h = s ? (k ? &s->ack : &s->age) : NULL;
            if (h && atomic_load(&h->count))
                render_hist(b, names[k], s, h);
        }
    }
    put(b,
        "# HELP cerelay_events_without_time_total Accepted events without a time attribute (no "
        "ingest age)\n# TYPE cerelay_events_without_time_total counter\n"
        "cerelay_events_without_time_total %llu\n",
        f ? atomic_load(&f->no_time) : 0ULL);
}

static void json_str(ce_buf *b, const char *s)
{
    ce_buf_append(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            ce_buf_append(b, e, 2);
        } else if (c < 0x20) {
            put(b, "\\u%04x", c);
        } else {
            ce_buf_append(b, s, 1);
        }
    }
    ce_buf_append(b, "\"", 1);
}

static void json_hist(ce_buf *b, const hist *h)
{
    uint64_t *v = malloc(sizeof(uint64_t) * CER_FRESH_NBUCKETS); /* a snapshot */
    if (!v) {
        put(b, "null");
        return;
    }
    uint64_t n = 0;
    for (int i = 0; i < CER_FRESH_NBUCKETS; i++)
        n += v[i] = atomic_load(&h->fine[i]);
    int64_t max = atomic_load(&h->max_us);
    put(b, "{\"count\":%llu,\"p50\":%.6f,\"p95\":%.6f,\"p99\":%.6f,\"max\":%.6f}",
        (unsigned long long)n, cer_fresh_quantile(v, n, max, 0.50) / 1e6,
        cer_fresh_quantile(v, n, max, 0.95) / 1e6, cer_fresh_quantile(v, n, max, 0.99) / 1e6,
        (double)max / 1e6);
    free(v);
}

void cer__relay_fresh_json(relay_fresh *f, ce_buf *b)
{
    put(b, "{\"max_series\":%d,\"events_without_time\":%llu,\"series\":[", CER_FRESH_MAX_SERIES,
        f ? atomic_load(&f->no_time) : 0ULL);
    int k = 0;
    for (int i = 0; f && i <= OTHER; i++) {
        const series *s = atomic_load(&f->s[i]);
        if (!s || (!atomic_load(&s->age.count) && !atomic_load(&s->ack.count)))
            continue;
        ce_buf_append(b, k ? ",{\"type\":" : "{\"type\":", k ? 9 : 8);
        k++;
        json_str(b, s->type);
        put(b, ",\"tenant\":");
        json_str(b, s->tenant);
        put(b, ",\"future\":%llu,\"ingest_age_seconds\":", atomic_load(&s->future));
        json_hist(b, &s->age);
        put(b, ",\"ack_latency_seconds\":");
        json_hist(b, &s->ack);
        ce_buf_append(b, "}", 1);
    }
    ce_buf_append(b, "]}", 2);
}
