/* The "llm" traffic profile: seeded, production-shaped events over all fifteen built-in types.
 * Proportions per 10,000 events, tenant and model skew, payload shapes and the extensions that
 * make large headers are documented in docs/catalog.md ("cerelay gen"). Everything random comes
 * from one xoshiro256** stream seeded by splitmix64, so a seed fixes the whole sequence. The
 * per-type payloads are written in gen_types.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "catalog/gen.h"
#include "ce/internal.h"

/* ---- random numbers ---- */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t cer__gen_u64(cer_catalog_gen *g)
{
    uint64_t *s = g->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

double cer__gen_unit(cer_catalog_gen *g)
{
    return (double)(cer__gen_u64(g) >> 11) * 0x1.0p-53;
}

int64_t cer__gen_range(cer_catalog_gen *g, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(cer__gen_u64(g) % (uint64_t)(hi - lo + 1));
}

bool cer__gen_chance(cer_catalog_gen *g, double p)
{
    return cer__gen_unit(g) < p;
}

double cer__gen_lognormal(cer_catalog_gen *g, double median, double sigma)
{
    double u1 = cer__gen_unit(g), u2 = cer__gen_unit(g);
    if (u1 < 1e-300)
        u1 = 1e-300;
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    return median * exp(sigma * z);
}

int64_t cer__gen_clamp(double v, int64_t lo, int64_t hi)
{
    if (!(v >= (double)lo))
        return lo;
    if (v >= (double)hi)
        return hi;
    return (int64_t)llround(v);
}

size_t cer__gen_pick(cer_catalog_gen *g, const unsigned *weights, size_t n)
{
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        total += weights[i];
    unsigned r = (unsigned)(cer__gen_u64(g) % total);
    for (size_t i = 0; i < n; i++) {
        if (r < weights[i])
            return i;
        r -= weights[i];
    }
    return n - 1;
}

void cer__gen_hex(cer_catalog_gen *g, char *out, size_t ndigits)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t r = 0;
    for (size_t i = 0; i < ndigits; i++) {
        if (i % 16 == 0)
            r = cer__gen_u64(g);
        out[i] = hex[r & 15];
        r >>= 4;
    }
    out[ndigits] = 0;
}

void cer__gen_time(int64_t unix_nanos, char out[40])
{
    ce_timestamp_format(unix_nanos, 3, out);
}

/* ---- tenants and users ---- */
const char *cer__gen_tenant(cer_catalog_gen *g, uint32_t *rank)
{
    double u = cer__gen_unit(g) * g->tenant_cdf[g->ntenants - 1];
    uint32_t lo = 0, hi = g->ntenants - 1;
    while (lo < hi) { /* first rank whose cumulative weight exceeds u */
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->tenant_cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    *rank = lo;
    return g->tenants[lo];
}

const char *cer__gen_user(cer_catalog_gen *g, uint32_t rank, char out[24])
{
    /* Bigger tenants have more users; within a tenant users are skewed too (u^2). */
    uint64_t users = 5 + 2000 / (rank + 1);
    double u = cer__gen_unit(g);
    uint64_t idx = (uint64_t)(u * u * (double)users);
    uint64_t h = g->seed ^ ((uint64_t)rank << 32) ^ idx;
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint64_t x = splitmix64(&h);
    memcpy(out, "usr_", 4);
    for (int i = 0; i < 8; i++, x /= 62)
        out[4 + i] = b62[x % 62];
    out[12] = 0;
    return out;
}

/* ---- construction ---- */
int cer_catalog_gen_new(cer_catalog_gen **out, const cer_catalog_gen_conf *conf, char *errstr,
                        size_t errstr_size)
{
    *out = NULL;
    if (!conf)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "gen: no configuration");
    if (conf->profile && strcmp(conf->profile, "llm") != 0)
        return cerx_errf(CE_EINVAL, errstr, errstr_size,
                         "gen: unknown profile '%s' (profiles: llm)", conf->profile);
    uint32_t ntenants = conf->tenants ? conf->tenants : 50;
    if (ntenants > 100000)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "gen: tenants must be 1..100000");
    cer_catalog_gen *g = ce__malloc(sizeof *g);
    if (!g)
        return cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    memset(g, 0, sizeof *g);
    g->seed = conf->seed;
    g->deterministic_ids = conf->deterministic_ids;
    g->ntenants = ntenants;
    uint64_t x = conf->seed;
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&x);
    g->tenants = ce__malloc(ntenants * sizeof *g->tenants);
    g->tenant_cdf = ce__malloc(ntenants * sizeof *g->tenant_cdf);
    int rc = g->tenants && g->tenant_cdf ? 0 : CE_ENOMEM;
    if (!rc)
        rc = cer_catalog_new(&g->prices, CER_CATALOG_EMPTY, errstr, errstr_size);
    for (size_t i = 0; !rc && i < cer__catalog_nfiles; i++)
        if (strcmp(cer__catalog_files[i].path, "prices.json") == 0)
            rc = cer_catalog_load_prices_mem(g->prices, (const char *)cer__catalog_files[i].bytes,
                                             cer__catalog_files[i].len, errstr, errstr_size);
    if (rc) {
        if (rc == CE_ENOMEM)
            cerx_errf(rc, errstr, errstr_size, "out of memory");
        cer_catalog_gen_destroy(g);
        return rc;
    }
    /* Tenant ids are UUIDv4s from the seed; Zipf weights 1/(rank+1)^1.1. */
    double cum = 0;
    for (uint32_t i = 0; i < ntenants; i++) {
        char h[33];
        cer__gen_hex(g, h, 32);
        snprintf(g->tenants[i], sizeof g->tenants[i], "%.8s-%.4s-4%.3s-%c%.3s-%.12s", h, h + 8,
                 h + 12, "89ab"[h[15] % 4], h + 16, h + 20);
        cum += 1.0 / pow((double)i + 1, 1.1);
        g->tenant_cdf[i] = cum;
    }
    *out = g;
    return 0;
}

void cer_catalog_gen_destroy(cer_catalog_gen *g)
{
    if (!g)
        return;
    cer_catalog_destroy(g->prices);
    ce__free(g->tenants);
    ce__free(g->tenant_cdf);
    ce_buf_free(&g->big);
    ce_buf_free(&g->big2);
    ce__free(g);
}

/* UUIDv7 text for time `ms` with random bits from the stream. */
static void det_uuid7(cer_catalog_gen *g, int64_t ms, char out[37])
{
    unsigned char b[16];
    uint64_t r1 = cer__gen_u64(g), r2 = cer__gen_u64(g);
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)((uint64_t)ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (r1 & 0x0f));
    b[7] = (unsigned char)(r1 >> 8);
    b[8] = (unsigned char)(0x80 | ((r1 >> 16) & 0x3f));
    for (int i = 9; i < 16; i++)
        b[i] = (unsigned char)(r2 >> (8 * (i - 9)));
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = 0;
}

/* The mix, per 10,000 events (docs/catalog.md). */
static const unsigned mix[CER__GEN_NKINDS] = {
    [CER__GEN_USAGE] = 7000,    [CER__GEN_CACHE_HIT] = 800,  [CER__GEN_EMBEDDINGS] = 500,
    [CER__GEN_POLICY] = 600,    [CER__GEN_AUTH_OK] = 500,    [CER__GEN_AUTH_DENIED] = 60,
    [CER__GEN_FAILED] = 100,    [CER__GEN_ERROR] = 120,      [CER__GEN_KG] = 100,
    [CER__GEN_QUOTA] = 50,      [CER__GEN_BUDGET] = 50,      [CER__GEN_OUTAGE] = 20,
    [CER__GEN_TENANT_NEW] = 40, [CER__GEN_TENANT_SUSP] = 10, [CER__GEN_SECRET] = 50,
};

int cer_catalog_gen_next(cer_catalog_gen *g, int64_t unix_nanos, ce_event **out, char *errstr,
                         size_t errstr_size)
{
    *out = NULL;
    g->now_ns = unix_nanos;
    cer__gen_time(unix_nanos, g->time);
    g->meta = (cer_event_meta){NULL, NULL, g->time, NULL, NULL};
    if (g->deterministic_ids) {
        det_uuid7(g, unix_nanos / 1000000, g->id);
        g->meta.id = g->id;
    }
    g->count++;
    return cer__gen_event(g, (int)cer__gen_pick(g, mix, CER__GEN_NKINDS), out, errstr, errstr_size);
}
