/* Tests of the per-tenant token buckets (src/relay/ratelimit.c) with a synthetic clock: refill
 * and burst, all-or-nothing batches and debt, overrides, the bucket cap (least recently used
 * forgotten: bounded memory), the metrics cardinality cap, and new settings on reload. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "relay/config.h"
#include "relay/ratelimit.h"

#define SEC 1000000000ll

static ce_event *ev_for(const char *tenant)
{
    ce_event *e = ce_event_new();
    ce_event_set(e, "specversion", CE_TYPE_STRING, "1.0", 3, NULL, 0);
    ce_event_set(e, "id", CE_TYPE_STRING, "1", 1, NULL, 0);
    ce_event_set(e, "source", CE_TYPE_URI_REF, "/s", 2, NULL, 0);
    ce_event_set(e, "type", CE_TYPE_STRING, "t", 1, NULL, 0);
    if (tenant)
        ce_event_set(e, "tenantid", CE_TYPE_STRING, tenant, strlen(tenant), NULL, 0);
    return e;
}

/* n events of `tenant` at time t: 0 taken, 1 refused */
static int take(relay_ratelimit *rl, const cer_config *c, const char *tenant, size_t n, int64_t t,
                relay_ratelimit_refusal *why)
{
    ce_event *e = ev_for(tenant);
    const ce_event *evs[128];
    for (size_t i = 0; i < n && i < 128; i++)
        evs[i] = e;
    relay_ratelimit_refusal w;
    CHECK(n <= 128);
    int rc = cer__relay_ratelimit_take(rl, c, evs, n <= 128 ? n : 128, t, why ? why : &w);
    ce_event_destroy(e);
    return rc;
}

static void conf(cer_config *c, int64_t rate, int64_t burst)
{
    cer_config_default(c);
    c->limits.tenant_rate.rate = rate;
    c->limits.tenant_rate.burst = burst;
}

TEST(ratelimit_refill_burst_and_retry_after)
{
    cer_config c;
    conf(&c, 2, 4);
    relay_ratelimit *rl = cer__relay_ratelimit_new();
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(take(rl, &c, "a", 1, 0, NULL), 0);
    relay_ratelimit_refusal why;
    CHECK_EQ_INT(take(rl, &c, "a", 1, 0, &why), 1);
    CHECK_EQ_STR(why.tenant, "a");
    CHECK_EQ_INT(why.rate, 2);
    CHECK_EQ_INT(why.burst, 4);
    CHECK_EQ_INT(why.retry_after_s, 1);
    CHECK_EQ_INT(take(rl, &c, "b", 1, 0, NULL), 0);       /* another tenant: its own bucket */
    CHECK_EQ_INT(take(rl, &c, "a", 1, SEC / 2, NULL), 0); /* +1 token after 0.5 s */
    CHECK_EQ_INT(take(rl, &c, "a", 1, SEC / 2, NULL), 1);
    CHECK_EQ_INT(take(rl, &c, "a", 4, 10 * SEC, NULL), 0); /* refilled, capped at the burst */
    CHECK_EQ_INT(take(rl, &c, "a", 1, 10 * SEC, NULL), 1);
    /* a batch over the burst needs a full bucket and leaves it in debt */
    CHECK_EQ_INT(take(rl, &c, "a", 10, 20 * SEC, NULL), 0);
    CHECK_EQ_INT(take(rl, &c, "a", 1, 22 * SEC, &why), 1); /* -6 + 4 = -2 tokens */
    CHECK_EQ_INT(why.retry_after_s, 2);                    /* (1 - -2) / 2 = 1.5 -> 2 */
    cer__relay_ratelimit_destroy(rl);
}

TEST(ratelimit_batches_all_or_nothing_and_overrides)
{
    cer_config c;
    conf(&c, 1, 2);
    cer_config_tenant_override ov = {"big", 100, 0};
    c.limits.tenant_rate.overrides = &ov;
    c.limits.tenant_rate.noverrides = 1;
    relay_ratelimit *rl = cer__relay_ratelimit_new();
    ce_event *big = ev_for("big"), *small = ev_for("small"), *none = ev_for(NULL);
    CHECK_EQ_INT(take(rl, &c, "small", 1, 0, NULL), 0); /* small: 1 token left */
    const ce_event *mixed[] = {big, small, small};
    relay_ratelimit_refusal why;
    CHECK_EQ_INT(cer__relay_ratelimit_take(rl, &c, mixed, 3, 0, &why), 1);
    CHECK_EQ_STR(why.tenant, "small");
    /* nothing was taken: big still has its 100, small its 1 */
    CHECK_EQ_INT(take(rl, &c, "big", 100, 0, NULL), 0);
    CHECK_EQ_INT(take(rl, &c, "small", 1, 0, NULL), 0);
    CHECK_EQ_INT(take(rl, &c, "small", 1, 0, NULL), 1);
    /* events without the attribute share tenant "-" */
    const ce_event *anon[] = {none, none, none};
    CHECK_EQ_INT(cer__relay_ratelimit_take(rl, &c, anon, 3, 0, &why), 0); /* 3 > burst 2: full */
    CHECK_EQ_INT(cer__relay_ratelimit_take(rl, &c, anon, 1, 0, &why), 1);
    CHECK_EQ_STR(why.tenant, "-");
    ce_event_destroy(big);
    ce_event_destroy(small);
    ce_event_destroy(none);
    cer__relay_ratelimit_destroy(rl);
}

TEST(ratelimit_bucket_cap_and_metrics_cap)
{
    cer_config c;
    conf(&c, 1, 1);
    c.limits.tenant_rate.max_buckets = 3;
    c.limits.tenant_rate.metrics_tenants = 2;
    relay_ratelimit *rl = cer__relay_ratelimit_new();
    /* 1000 tenants through 3 buckets: memory stays bounded, each new tenant starts full */
    for (int i = 0; i < 1000; i++) {
        char t[16];
        snprintf(t, sizeof t, "t%d", i);
        CHECK_EQ_INT(take(rl, &c, t, 1, 0, NULL), 0);
    }
    /* t999 is recent (still empty); t0 was forgotten (full again) */
    CHECK_EQ_INT(take(rl, &c, "t999", 1, 0, NULL), 1);
    CHECK_EQ_INT(take(rl, &c, "t0", 1, 0, NULL), 0);
    ce_buf m;
    ce_buf_init(&m);
    CHECK_EQ_INT(cer__relay_ratelimit_render(rl, &m), 0);
    ce_buf_append(&m, "", 1);
    CHECK_CONTAINS(m.ptr, "cerelay_tenant_events_total{tenant=\"t0\",outcome=\"accepted\"} 2");
    CHECK_CONTAINS(m.ptr, "cerelay_tenant_events_total{tenant=\"t1\",outcome=\"accepted\"} 1");
    CHECK_CONTAINS(m.ptr, "cerelay_tenant_events_total{tenant=\"other\",outcome=\"accepted\"} 998");
    CHECK_CONTAINS(m.ptr, "cerelay_tenant_events_total{tenant=\"other\",outcome=\"limited\"} 1");
    CHECK(!strstr(m.ptr, "tenant=\"t2\""));
    ce_buf_free(&m);
    cer__relay_ratelimit_destroy(rl);
}

TEST(ratelimit_new_settings_on_reload)
{
    cer_config a, b, off;
    conf(&a, 1, 1);
    conf(&b, 1000, 1000);
    conf(&off, 0, 0);
    relay_ratelimit *rl = cer__relay_ratelimit_new();
    CHECK_EQ_INT(take(rl, &a, "x", 1, 0, NULL), 0);
    CHECK_EQ_INT(take(rl, &a, "x", 1, 0, NULL), 1);
    /* a new live configuration (SIGHUP): same key, the bucket is kept with the new rate */
    CHECK_EQ_INT(take(rl, &b, "x", 1, SEC / 100, NULL), 0); /* 10 ms at 1000/s */
    CHECK_EQ_INT(take(rl, &off, "x", 60, 0, NULL), 0);      /* off: never limited */
    /* a changed key template starts over */
    cer_config k;
    conf(&k, 1, 1);
    k.limits.tenant_rate.key = "{type}";
    CHECK_EQ_INT(take(rl, &k, "x", 1, 0, NULL), 0);
    CHECK_EQ_INT(take(rl, &k, "y", 1, 0, NULL), 1); /* both are type "t" */
    cer__relay_ratelimit_destroy(rl);
}
