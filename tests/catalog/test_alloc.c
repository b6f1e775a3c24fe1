/* Allocation-failure tests of the catalog: fail the Nth allocation (through the core's
 * allocator, which the catalog uses) for every N until the operation succeeds; each failure
 * must be a clean CE_ENOMEM with nothing leaked (ASan checks) and inputs unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cattest.h"

static long fail_at = -1, calls;

static void *t_malloc(size_t n)
{
    return ++calls == fail_at ? NULL : malloc(n);
}
static void *t_realloc(void *p, size_t n)
{
    return ++calls == fail_at ? NULL : realloc(p, n);
}

static const ce_allocator failing = {t_malloc, t_realloc, free};

/* Run op with the Nth allocation failing, N = 1, 2, ... until it succeeds; return the N. */
static long sweep(int (*op)(void *), void *ctx, const char *name)
{
    for (long n = 1; n < 100000; n++) {
        fail_at = n;
        calls = 0;
        ce_set_allocator(&failing);
        int rc = op(ctx);
        ce_set_allocator(NULL);
        if (rc == 0) {
            if (calls < n) /* nothing failed: done */
                return n;
            cer_test_fail(__FILE__, __LINE__, "%s: allocation %ld failed but the call succeeded",
                          name, n);
            continue;
        }
        if (rc != CE_ENOMEM)
            cer_test_fail(__FILE__, __LINE__, "%s: allocation %ld failing gave %s", name, n,
                          ce_err_name(rc));
    }
    cer_test_fail(__FILE__, __LINE__, "%s: never succeeded", name);
    return -1;
}

static int op_new(void *ctx)
{
    cer_catalog *c = NULL;
    int rc = cer_catalog_new(&c, 0, NULL, 0);
    if (!rc && cer_catalog_count(c) != 15)
        rc = CE_EINVAL;
    cer_catalog_destroy(c);
    return rc;
}

static int op_load(void *ctx)
{
    cer_catalog *c = ctx;
    size_t before = cer_catalog_count(c);
    const char *j = "{\"types\": [{\"type\": \"a.b\", \"schema\": {\"type\": \"object\", "
                    "\"properties\": {\"x\": {\"enum\": [\"p\", \"q\"]}}, \"required\": "
                    "[\"x\"]}}, {\"type\": \"eventzr.llm.usage.v1\", \"schema\": {}}]}";
    int rc = cer_catalog_load_mem(c, "t", j, strlen(j), NULL, NULL, 0);
    if (rc && cer_catalog_count(c) != before)
        return CE_EINVAL; /* a failed load must change nothing */
    return rc;
}

static int op_validate(void *ctx)
{
    cer_catalog *c = ctx;
    cer_catalog_type t;
    cer_catalog_find(c, "eventzr.llm.inference.failed.v1", &t);
    ce_event *ev = NULL;
    int rc = ce_json_decode(t.example_json.ptr, t.example_json.len, NULL, &ev, NULL, 0);
    if (rc)
        return rc;
    cer_catalog_result res;
    rc = cer_catalog_validate(c, ev, &res);
    ce_event_destroy(ev);
    return rc < 0 ? rc : rc == CER_CATALOG_VALID ? 0 : CE_EINVAL;
}

static int op_build_and_fill(void *ctx)
{
    cer_catalog *c = ctx;
    cer_llm_usage u = {"t", NULL, "p", "m", NULL, 150, 350, 0, 10, CER_COST_UNKNOWN, 0};
    cer_event_meta m = {NULL, "id", "2026-01-01T00:00:00Z", NULL, NULL};
    ce_event *ev = NULL;
    int rc = cer_llm_usage_event(&u, &m, &ev, NULL, 0);
    if (rc)
        return rc;
    rc = cer_catalog_fill_cost(c, ev, NULL, 0);
    ce_event_destroy(ev);
    return rc == 1 ? 0 : rc;
}

static int op_prices(void *ctx)
{
    cer_catalog *c = NULL;
    int rc = cer_catalog_new(&c, CER_CATALOG_EMPTY, NULL, 0);
    if (rc)
        return rc;
    const char *j = "{\"p\": {\"m\": {\"input_per_1k\": 1, \"output_per_1k\": 2}, "
                    "\"n\": {\"input_per_1k\": 1, \"output_per_1k\": 2}}}";
    rc = cer_catalog_load_prices_mem(c, j, strlen(j), NULL, 0);
    int64_t micro;
    if (!rc && cer_catalog_cost(c, "p", "n", 1000, 1000, &micro, NULL, 0) != 0)
        rc = CE_EINVAL;
    cer_catalog_destroy(c);
    return rc;
}

static int op_gen(void *ctx)
{
    cer_catalog_gen_conf conf = {"llm", 10, 99, 1};
    cer_catalog_gen *g = NULL;
    int rc = cer_catalog_gen_new(&g, &conf, NULL, 0);
    for (int i = 0; !rc && i < 30; i++) {
        ce_event *ev = NULL;
        rc = cer_catalog_gen_next(g, 1767225600000000000LL + i, &ev, NULL, 0);
        ce_event_destroy(ev);
    }
    cer_catalog_gen_destroy(g);
    return rc;
}

TEST(every_allocation_failure_is_clean)
{
    cer_catalog *c = cattest_builtin();
    char err[256];
    const char *prices = "{\"p\": {\"m\": {\"input_per_1k\": 1, \"output_per_1k\": 2}}}";
    if (!c || cer_catalog_load_prices_mem(c, prices, strlen(prices), err, sizeof err) != 0)
        return;
    printf("cer_catalog_new: %ld allocations\n", sweep(op_new, NULL, "new"));
    printf("load_mem: %ld\n", sweep(op_load, c, "load"));
    printf("validate: %ld\n", sweep(op_validate, c, "validate"));
    printf("build + fill_cost: %ld\n", sweep(op_build_and_fill, c, "build"));
    printf("prices: %ld\n", sweep(op_prices, NULL, "prices"));
    printf("gen: %ld\n", sweep(op_gen, NULL, "gen"));
    cer_catalog_destroy(c);
}
