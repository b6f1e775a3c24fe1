/* Internal interface between the traffic generator's core (gen.c: random stream, tenants,
 * mix) and its per-type payload writers (gen_types.c). Not installed. */
#ifndef CER_CATALOG_GEN_H
#define CER_CATALOG_GEN_H

#include "catalog/internal.h"

enum {
    CER__GEN_USAGE,
    CER__GEN_CACHE_HIT,
    CER__GEN_EMBEDDINGS,
    CER__GEN_POLICY,
    CER__GEN_AUTH_OK,
    CER__GEN_AUTH_DENIED,
    CER__GEN_FAILED,
    CER__GEN_ERROR,
    CER__GEN_KG,
    CER__GEN_QUOTA,
    CER__GEN_BUDGET,
    CER__GEN_OUTAGE,
    CER__GEN_TENANT_NEW,
    CER__GEN_TENANT_SUSP,
    CER__GEN_SECRET,
    CER__GEN_NKINDS
};

#define CER__GEN_NCHAT 7 /* chat models in gen_types.c */

struct cer_catalog_gen {
    uint64_t s[4]; /* xoshiro256** state */
    uint64_t seed;
    int deterministic_ids;
    uint32_t ntenants;
    char (*tenants)[40];
    double *tenant_cdf; /* cumulative Zipf weights */
    cer_catalog *prices;
    cer_llm_breaker_state breaker[CER__GEN_NCHAT];
    uint64_t count, secret_version;
    int64_t now_ns;
    char time[40], id[37];
    cer_event_meta meta; /* time (and id) of the event being made */
    ce_buf big, big2;    /* scratch for large strings */
};

uint64_t cer__gen_u64(cer_catalog_gen *g);
double cer__gen_unit(cer_catalog_gen *g);                           /* [0, 1) */
int64_t cer__gen_range(cer_catalog_gen *g, int64_t lo, int64_t hi); /* inclusive */
bool cer__gen_chance(cer_catalog_gen *g, double p);
double cer__gen_lognormal(cer_catalog_gen *g, double median, double sigma);
int64_t cer__gen_clamp(double v, int64_t lo, int64_t hi);
size_t cer__gen_pick(cer_catalog_gen *g, const unsigned *weights, size_t n);
void cer__gen_hex(cer_catalog_gen *g, char *out, size_t ndigits); /* out: ndigits + 1 */
void cer__gen_time(int64_t unix_nanos, char out[40]);
const char *cer__gen_tenant(cer_catalog_gen *g, uint32_t *rank);
const char *cer__gen_user(cer_catalog_gen *g, uint32_t rank, char out[24]);

/* Make one event of `kind` (a CER__GEN_* value) with g->meta. */
int cer__gen_event(cer_catalog_gen *g, int kind, ce_event **out, char *errstr, size_t errstr_size);

#endif
