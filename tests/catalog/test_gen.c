/* Tests of the traffic generator (src/catalog/gen.c, gen_types.c): 10,000 events of the "llm"
 * profile all validate against the built-in catalog and cover every type in plausible shares;
 * the same seed gives the same bytes; tenants are skewed; large payloads occur. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cattest.h"

#define T0 1772193600000000000LL /* 2026-02-27T12:00:00Z */

static cer_catalog_gen *gen(uint64_t seed, uint32_t tenants, int det)
{
    cer_catalog_gen_conf conf = {"llm", tenants, seed, det};
    cer_catalog_gen *g = NULL;
    char err[256];
    if (cer_catalog_gen_new(&g, &conf, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "gen: %s", err);
    return g;
}

TEST(ten_thousand_events_validate)
{
    cer_catalog *c = cattest_builtin();
    cer_catalog_gen *g = gen(42, 50, 1);
    if (!c || !g)
        return;
    size_t per_type[16] = {0}, invalid = 0, big = 0, max_len = 0, top_tenant = 0;
    char first_tenant[64] = "";
    for (int i = 0; i < 10000; i++) {
        ce_event *ev = NULL;
        char err[256];
        int rc = cer_catalog_gen_next(g, T0 + (int64_t)i * 10000000, &ev, err, sizeof err);
        if (rc) {
            cer_test_fail(__FILE__, __LINE__, "event %d: %s", i, err);
            break;
        }
        cer_catalog_result res;
        if (cer_catalog_validate(c, ev, &res) != CER_CATALOG_VALID) {
            if (invalid++ < 5) {
                char *s = cattest_encode(ev);
                cer_test_fail(__FILE__, __LINE__, "event %d invalid: %s\n  %s", i, res.messages[0],
                              s);
                free(s);
            }
        }
        ce_slice type = ce_event_get_str(ev, "type");
        for (size_t k = 0; k < cer_catalog_count(c); k++) {
            cer_catalog_type t;
            cer_catalog_type_at(c, k, &t);
            if (strlen(t.type) == type.len && memcmp(t.type, type.ptr, type.len) == 0)
                per_type[k]++;
        }
        char *s = cattest_encode(ev);
        size_t n = s ? strlen(s) : 0;
        big += n > 4096;
        max_len = n > max_len ? n : max_len;
        ce_slice subj = ce_event_get_str(ev, "subject");
        if (strncmp(type.ptr, "eventzr.llm.usage.v1", type.len) == 0) {
            if (!first_tenant[0])
                snprintf(first_tenant, sizeof first_tenant, "%.*s", (int)subj.len, subj.ptr);
        }
        free(s);
        ce_event_destroy(ev);
    }
    CHECK_EQ_INT(invalid, 0);
    size_t usage = 0;
    for (size_t k = 0; k < cer_catalog_count(c); k++) {
        cer_catalog_type t;
        cer_catalog_type_at(c, k, &t);
        printf("%-40s %5zu\n", t.type, per_type[k]);
        if (per_type[k] == 0)
            cer_test_fail(__FILE__, __LINE__, "no %s event in 10000", t.type);
        if (strcmp(t.type, "eventzr.llm.usage.v1") == 0)
            usage = per_type[k];
    }
    CHECK(usage > 6500 && usage < 7500); /* 70% */
    printf("events over 4 KiB: %zu, largest %zu bytes\n", big, max_len);
    CHECK(big > 0);
    (void)top_tenant;
    cer_catalog_gen_destroy(g);
    cer_catalog_destroy(c);
}

static char *run(uint64_t seed, int det, int n)
{
    cer_catalog_gen *g = gen(seed, 20, det);
    ce_buf all = {0};
    for (int i = 0; g && i < n; i++) {
        ce_event *ev = NULL;
        if (cer_catalog_gen_next(g, T0 + (int64_t)i * 1000000, &ev, NULL, 0) != 0)
            break;
        char *s = cattest_encode(ev);
        ce_buf_append(&all, s, strlen(s));
        ce_buf_append(&all, "\n", 1);
        free(s);
        ce_event_destroy(ev);
    }
    ce_buf_append(&all, "", 1);
    cer_catalog_gen_destroy(g);
    return all.ptr;
}

TEST(same_seed_same_bytes)
{
    char *a = run(7, 1, 500), *b = run(7, 1, 500), *c = run(8, 1, 500);
    CHECK(a && b && strcmp(a, b) == 0);
    CHECK(c && strcmp(a, c) != 0);
    /* Without deterministic ids only the ids differ: same length per line. */
    char *d = run(7, 0, 50), *e = run(7, 0, 50);
    CHECK(strlen(d) == strlen(e));
    CHECK(strcmp(d, e) != 0);
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
}

TEST(tenant_skew)
{
    cer_catalog_gen *g = gen(1, 100, 1);
    if (!g)
        return;
    /* The most frequent subject among usage events should carry far more than 1/100. */
    char top[64] = "";
    size_t top_count = 0, usage = 0;
    char seen[100][64];
    size_t counts[100] = {0}, nseen = 0;
    for (int i = 0; i < 5000; i++) {
        ce_event *ev = NULL;
        if (cer_catalog_gen_next(g, T0, &ev, NULL, 0) != 0)
            break;
        ce_slice type = ce_event_get_str(ev, "type"), subj = ce_event_get_str(ev, "subject");
        if (type.len == 20 && memcmp(type.ptr, "eventzr.llm.usage.v1", 20) == 0) {
            usage++;
            size_t k = 0;
            while (k < nseen &&
                   !(strlen(seen[k]) == subj.len && memcmp(seen[k], subj.ptr, subj.len) == 0))
                k++;
            if (k == nseen && nseen < 100)
                snprintf(seen[nseen++], 64, "%.*s", (int)subj.len, subj.ptr);
            if (k < 100 && ++counts[k] > top_count) {
                top_count = counts[k];
                snprintf(top, sizeof top, "%s", seen[k]);
            }
        }
        ce_event_destroy(ev);
    }
    printf("usage %zu, top tenant %s with %zu, %zu tenants seen\n", usage, top, top_count, nseen);
    CHECK(top_count * 100 > usage * 10); /* > 10% for rank 1 of 100 under Zipf(1.1) */
    CHECK(nseen > 50);
    cer_catalog_gen_destroy(g);
}

TEST(conf_errors)
{
    cer_catalog_gen *g = NULL;
    char err[256];
    cer_catalog_gen_conf conf = {"retail", 0, 0, 0};
    CHECK_EQ_INT(cer_catalog_gen_new(&g, &conf, err, sizeof err), CE_EINVAL);
    CHECK_EQ_STR(err, "gen: unknown profile 'retail' (profiles: llm)");
    conf = (cer_catalog_gen_conf){NULL, 100001, 0, 0};
    CHECK_EQ_INT(cer_catalog_gen_new(&g, &conf, err, sizeof err), CE_EINVAL);
    CHECK(g == NULL);
    cer_catalog_gen_destroy(NULL);
}
