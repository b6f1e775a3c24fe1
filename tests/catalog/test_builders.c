/* Tests of the builders: each typed builder, given the inputs of its type's catalog example,
 * produces that example byte for byte (golden/examples/<type>.json); so does the generic
 * cer_catalog_event for all fifteen types; argument checks; meta overrides; the emitter path. */
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cattest.h"

#define T0     "2026-02-27T12:00:00.000Z"
#define C0     "2026-03-19T14:35:00Z"
#define SONNET "anthropic.claude-3-sonnet-20240229-v1:0"
#define TRACE  "4bf92f3577b34da6a3ce929d0e0e4736"

static cer_event_meta ez(int n)
{
    static char id[8][64];
    snprintf(id[n], sizeof id[n], "evt-550e8400-e29b-41d4-a716-44665544%04d", n);
    return (cer_event_meta){NULL, id[n], T0, NULL, NULL};
}

static cer_event_meta cs(const char *id)
{
    return (cer_event_meta){"https://orders.acme.com", id, C0, NULL, NULL};
}

/* rc must be 0 and ev must encode to the golden example of `type`. */
static void expect_golden(const char *type, int rc, ce_event **evp, const char *err)
{
    ce_event *ev = *evp; /* read here: the builder in the caller's argument list has run */
    if (rc != 0) {
        cer_test_fail(__FILE__, __LINE__, "%s: builder failed: %s", type, err);
        return;
    }
    char *got = cattest_encode(ev), *want = cattest_golden_example(type);
    if (got && want && strcmp(got, want) != 0)
        cer_test_fail(__FILE__, __LINE__, "%s:\n  got:      %s\n  expected: %s", type, got, want);
    free(got);
    free(want);
    ce_event_destroy(ev);
}

TEST(typed_eventzr_match_examples)
{
    char err[256] = "";
    ce_event *ev = NULL;
    cer_event_meta m;

    cer_llm_usage u = {"tenant-uuid",
                       "user-uuid",
                       "aws-bedrock",
                       SONNET,
                       "event-creation",
                       150,
                       350,
                       0,
                       1250,
                       0.0025,
                       0};
    m = ez(0);
    m.id = "evt-550e8400-e29b-41d4-a716-446655440000";
    expect_golden("eventzr.llm.usage.v1", cer_llm_usage_event(&u, &m, &ev, err, sizeof err), &ev,
                  err);

    cer_llm_cache_hit h = {"tenant-uuid",
                           "user-uuid",
                           "aws-bedrock",
                           SONNET,
                           "event-creation",
                           "sc-01HX7Q3M2K8Z",
                           0.962,
                           0.92,
                           150,
                           350,
                           0.0057,
                           18,
                           "2026-02-27T11:42:10.000Z"};
    m = ez(1);
    expect_golden("eventzr.llm.semantic-cache.hit.v1",
                  cer_llm_cache_hit_event(&h, &m, &ev, err, sizeof err), &ev, err);

    cer_llm_quota_low q = {"tenant-uuid", 180, 1000, NULL, 0, 18, "2026-03-01T00:00:00.000Z"};
    m = ez(2);
    expect_golden("eventzr.llm.quota.low.v1", cer_llm_quota_low_event(&q, &m, &ev, err, sizeof err),
                  &ev, err);

    cer_llm_budget_exceeded b = {
        "tenant-uuid", "user-uuid", "budget-monthly-default", "monthly", 500,
        499.9912,      0.0184,      CER_LLM_REJECTED,         SONNET,    "event-creation"};
    m = ez(3);
    expect_golden("eventzr.llm.budget.exceeded.v1",
                  cer_llm_budget_exceeded_event(&b, &m, &ev, err, sizeof err), &ev, err);

    cer_llm_provider_outage o = {"tenant-uuid",
                                 "aws-bedrock",
                                 SONNET,
                                 "us-east-1",
                                 CER_LLM_OPEN,
                                 CER_LLM_CLOSED,
                                 "5 consecutive ServiceUnavailableException (503) from InvokeModel",
                                 0.62,
                                 5,
                                 "2026-02-27T12:00:30.000Z",
                                 NULL};
    m = ez(4);
    expect_golden("eventzr.llm.provider.outage.v1",
                  cer_llm_provider_outage_event(&o, &m, &ev, err, sizeof err), &ev, err);

    const char *tried[] = {"aws-bedrock", "anthropic"};
    cer_llm_inference_failed f = {"tenant-uuid",
                                  "user-uuid",
                                  "event-creation",
                                  "req-7c1e2b9a4f",
                                  SONNET,
                                  tried,
                                  2,
                                  5,
                                  {"anthropic", "overloaded_error", "Overloaded", 529, 1},
                                  18250};
    m = ez(5);
    expect_golden("eventzr.llm.inference.failed.v1",
                  cer_llm_inference_failed_event(&f, &m, &ev, err, sizeof err), &ev, err);

    cer_llm_embeddings e = {
        "tenant-uuid", NULL, "kg-indexing", "aws-bedrock", "amazon.titan-embed-text-v2:0", 32, 1024,
        4096,          1,    840,           0.000082};
    m = ez(6);
    expect_golden("eventzr.llm.embeddings.generated.v1",
                  cer_llm_embeddings_event(&e, &m, &ev, err, sizeof err), &ev, err);

    cer_llm_kg_synced k = {
        "tenant-uuid", "kgs-20260227-1200-0042", "neptune://eventzr-kg-prod", 128, 342, 17, 2310,
        NULL};
    m = ez(7);
    expect_golden("eventzr.llm.kg.synced.v1", cer_llm_kg_synced_event(&k, &m, &ev, err, sizeof err),
                  &ev, err);
}

TEST(typed_coresdk_match_examples)
{
    char err[256] = "";
    ce_event *ev = NULL;
    cer_event_meta m;

    cer_coresdk_policy_decision p = {"acme", "usr_2xK9", "orders:create",   1,
                                     43,     TRACE,      "00f067aa0ba902b7"};
    m = cs("01HX7KQMB4NWE9P6T2JS0RY3ZV");
    expect_golden("io.coresdk.policy.decision",
                  cer_coresdk_policy_decision_event(&p, &m, &ev, err, sizeof err), &ev, err);

    cer_coresdk_auth a = {"acme", "usr_2xK9", "jwt", NULL, TRACE};
    m = cs("01HX7M3NR8PQT5WE6VKZJ2CY4B");
    expect_golden("io.coresdk.auth.verified",
                  cer_coresdk_auth_verified_event(&a, &m, &ev, err, sizeof err), &ev, err);

    cer_coresdk_auth d = {"acme", NULL, "jwt", "expired", TRACE};
    m = cs("01HX7M3NR8PQT5WE6VKZJ2CY4C");
    expect_golden("io.coresdk.auth.denied",
                  cer_coresdk_auth_denied_event(&d, &m, &ev, err, sizeof err), &ev, err);

    cer_coresdk_tenant_created tc = {"acme", "Acme Corp", "enterprise", NULL, NULL};
    m = cs("01HX7M3NR8PQT5WE6VKZJ2CY4D");
    expect_golden("io.coresdk.tenant.created",
                  cer_coresdk_tenant_created_event(&tc, &m, &ev, err, sizeof err), &ev, err);

    cer_coresdk_tenant_suspended ts = {
        "acme", "payment overdue 30 days", "policy", "acme/billing/suspend", NULL, NULL};
    m = cs("01HX7M3NR8PQT5WE6VKZJ2CY4E");
    expect_golden("io.coresdk.tenant.suspended",
                  cer_coresdk_tenant_suspended_event(&ts, &m, &ev, err, sizeof err), &ev, err);

    cer_coresdk_secret_rotated sr = {"acme",
                                     "orders-db-password",
                                     "vault://kv/acme/orders-db",
                                     "42",
                                     NULL,
                                     "2026-04-18T14:35:00Z",
                                     NULL};
    m = cs("01HX7M3NR8PQT5WE6VKZJ2CY4F");
    expect_golden("io.coresdk.secret.rotated",
                  cer_coresdk_secret_rotated_event(&sr, &m, &ev, err, sizeof err), &ev, err);

    cer_coresdk_error pe = {"https://coresdk.io/problems/rate-limited",
                            "Too Many Requests",
                            429,
                            "Tenant acme exceeded 100 requests per second on orders:create",
                            "/orders/req-8f14e45f",
                            "acme",
                            "usr_2xK9",
                            TRACE,
                            "\"retry_after_s\":2"};
    m = cs("01HX7M3NR8PQT5WE6VKZJ2CY4G");
    expect_golden("io.coresdk.error", cer_coresdk_error_event(&pe, &m, &ev, err, sizeof err), &ev,
                  err);
}

/* cer_catalog_event from each example's data, id, time and source gives the example back. */
TEST(generic_builder_matches_examples)
{
    cer_catalog *c = cattest_builtin();
    if (!c)
        return;
    for (size_t i = 0; i < cer_catalog_count(c); i++) {
        cer_catalog_type t;
        cer_catalog_type_at(c, i, &t);
        ce_event *ex = NULL, *ev = NULL;
        char err[256] = "";
        if (ce_json_decode(t.example_json.ptr, t.example_json.len, NULL, &ex, err, sizeof err))
            continue;
        char id[128], time[64], source[128];
        ce_slice s = ce_event_get_str(ex, "id");
        snprintf(id, sizeof id, "%.*s", (int)s.len, s.ptr);
        s = ce_event_get_str(ex, "time");
        snprintf(time, sizeof time, "%.*s", (int)s.len, s.ptr);
        s = ce_event_get_str(ex, "source");
        snprintf(source, sizeof source, "%.*s", (int)s.len, s.ptr);
        cer_event_meta m = {source, id, time, NULL, NULL};
        /* The data as a producer would write it: the example's, whitespace removed. */
        char *enc = cattest_encode(ex);
        const char *d = enc ? strstr(enc, ",\"data\":") : NULL;
        if (!d) {
            free(enc);
            ce_event_destroy(ex);
            continue;
        }
        int rc = cer_catalog_event(c, t.type, d + 8, strlen(d + 8) - 1, &m, &ev, err, sizeof err);
        expect_golden(t.type, rc, &ev, err);
        free(enc);
        ce_event_destroy(ex);
    }
    cer_catalog_destroy(c);
}

TEST(builder_argument_checks)
{
    char err[256];
    ce_event *ev = (ce_event *)1;
    cer_llm_usage u = {NULL, NULL, "p", "m", NULL, 1, 1, 0, 1, 0, 0};
    CHECK_EQ_INT(cer_llm_usage_event(&u, NULL, &ev, err, sizeof err), CE_EINVAL);
    CHECK_EQ_STR(err, "eventzr.llm.usage.v1: tenant_id is required");
    CHECK(ev == NULL);
    u.tenant_id = "t";
    u.input_tokens = -1;
    CHECK_EQ_INT(cer_llm_usage_event(&u, NULL, &ev, err, sizeof err), CE_EINVAL);
    CHECK_EQ_STR(err, "eventzr.llm.usage.v1: input_tokens must be >= 0, got -1");
    cer_llm_cache_hit h = {"t", NULL, "p", "m", NULL, "e", NAN, 0.9, 1, 1, 0, 1, NULL};
    CHECK_EQ_INT(cer_llm_cache_hit_event(&h, NULL, &ev, err, sizeof err), CE_EINVAL);
    CHECK_EQ_STR(err, "eventzr.llm.semantic-cache.hit.v1: similarity_score must be a finite "
                      "number >= 0");
    cer_llm_inference_failed f = {"t", NULL, NULL, "r", "m", NULL, 0, 1, {"p", "c", "x", 0, 0}, 1};
    CHECK_EQ_INT(cer_llm_inference_failed_event(&f, NULL, &ev, err, sizeof err), CE_EINVAL);
    CHECK_EQ_STR(err, "eventzr.llm.inference.failed.v1: providers_tried is required");
    cer_coresdk_error e = {NULL, "t", 99, NULL, NULL, "acme", NULL, NULL, NULL};
    CHECK_EQ_INT(cer_coresdk_error_event(&e, NULL, &ev, err, sizeof err), CE_EINVAL);
    CHECK_EQ_STR(err, "io.coresdk.error: status 99 is not 100..599");
    /* A bad meta value is refused by the core, naming the attribute. */
    u.input_tokens = 1;
    cer_event_meta m = {"not a uri ref", NULL, NULL, NULL, NULL};
    CHECK_EQ_INT(cer_llm_usage_event(&u, &m, &ev, err, sizeof err), CE_EBADVALUE);
    CHECK_CONTAINS(err, "source");
    CHECK(ev == NULL);
}

TEST(meta_defaults_and_overrides)
{
    char err[256];
    ce_event *ev = NULL;
    cer_llm_usage u = {"acme", NULL, "openai", "gpt-4o", NULL, 10, 5, 0, 300, CER_COST_UNKNOWN, 1};
    CHECK_EQ_INT(cer_llm_usage_event(&u, NULL, &ev, err, sizeof err), 0);
    char *s = cattest_encode(ev);
    CHECK_CONTAINS(s, "\"source\":\"llm-orch-svc\"");
    CHECK_CONTAINS(s, "\"subject\":\"acme\"");
    CHECK_CONTAINS(s, "\"dataschema\":\"https://cerelay.dev/schemas/eventzr.llm.usage.v1.json\"");
    CHECK_CONTAINS(s, "\"data\":{\"tenantId\":\"acme\",\"userId\":null,\"provider\":\"openai\","
                      "\"model\":\"gpt-4o\",\"useCase\":null,\"inputTokens\":10,"
                      "\"outputTokens\":5,\"totalTokens\":15,\"latencyMs\":300,\"cached\":true}");
    ce_value v;
    CHECK_EQ_INT(ce_event_get(ev, "id", &v), 0);
    CHECK_EQ_INT(v.str.len, 36); /* a UUIDv7 */
    CHECK_EQ_INT(ce_event_get(ev, "time", &v), 0);
    free(s);
    ce_event_destroy(ev);
    cer_event_meta m = {"//svc", "x", "2026-01-01T00:00:00Z", "tenant/acme", ""};
    CHECK_EQ_INT(cer_llm_usage_event(&u, &m, &ev, err, sizeof err), 0);
    s = cattest_encode(ev);
    CHECK_CONTAINS(s, "\"subject\":\"tenant/acme\"");
    CHECK(strstr(s, "dataschema") == NULL);
    free(s);
    ce_event_destroy(ev);
    /* Times default to the event time. */
    cer_llm_kg_synced k = {"acme", "s", "g", 1, 1, 1, 1, NULL};
    m = (cer_event_meta){NULL, "x", "2026-05-05T05:05:05.005Z", NULL, NULL};
    CHECK_EQ_INT(cer_llm_kg_synced_event(&k, &m, &ev, err, sizeof err), 0);
    s = cattest_encode(ev);
    CHECK_CONTAINS(s, "\"completedAt\":\"2026-05-05T05:05:05.005Z\"}");
    free(s);
    ce_event_destroy(ev);
    /* Generic: subject template with the optional user part; unknown type. */
    cer_catalog *c = cattest_builtin();
    const char *d = "{\"tenant_id\":\"acme\",\"user_id\":null,\"auth_method\":\"jwt\","
                    "\"result\":\"allowed\",\"trace_id\":null}";
    CHECK_EQ_INT(
        cer_catalog_event(c, "io.coresdk.auth.verified", d, strlen(d), NULL, &ev, err, sizeof err),
        0);
    ce_slice subj = ce_event_get_str(ev, "subject");
    CHECK_EQ_MEM(subj.ptr, subj.len, "tenant/acme", 11);
    s = cattest_encode(ev);
    CHECK_CONTAINS(s, "\"source\":\"coresdk\"");
    free(s);
    ce_event_destroy(ev);
    CHECK_EQ_INT(
        cer_catalog_event(c, "io.coresdk.auth.verified", "{}", 2, NULL, &ev, err, sizeof err),
        CE_EMISSING);
    CHECK_EQ_STR(err, "subject: the data has no string field 'tenant_id'");
    CHECK_EQ_INT(cer_catalog_event(c, "x.y", "{}", 2, NULL, &ev, err, sizeof err), CE_ENOTFOUND);
    CHECK_EQ_INT(cer_catalog_event(c, "io.coresdk.error", "{", 1, NULL, &ev, err, sizeof err),
                 CE_ESYNTAX);
    CHECK(ev == NULL);
    cer_catalog_destroy(c);
}

TEST(number_formatting)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {{0, "0"},
                 {-0.0, "0"},
                 {1, "1"},
                 {500, "500"},
                 {0.0025, "0.0025"},
                 {0.000082, "0.000082"},
                 {499.9912, "499.9912"},
                 {1e-9, "0.000000001"},
                 {1.5e-10, "1.5e-10"},
                 {123456789012345678.0, "1.2345678901234568e17"},
                 {-2.5, "-2.5"},
                 {0.1, "0.1"},
                 {1e16, "10000000000000000"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[40];
        cer__fmt_double(cases[i].v, out);
        CHECK_EQ_STR(out, cases[i].want);
    }
}

static int delivered;
static void on_delivery(void *ctx, void *opaque, int err, const char *reason)
{
    if (err == 0)
        delivered++;
}

TEST(emit_through_emitter)
{
    char err[256];
    char dir[] = "/tmp/cer-emit-XXXXXX";
    if (!mkdtemp(dir))
        return;
    cer_emitter_conf *conf = cer_emitter_conf_new();
    CHECK_EQ_INT(cer_emitter_conf_set(conf, "binding", "log", err, sizeof err), 0);
    CHECK_EQ_INT(cer_emitter_conf_set(conf, "log.dir", dir, err, sizeof err), 0);
    CHECK_EQ_INT(cer_emitter_conf_set(conf, "log.topic", "usage", err, sizeof err), 0);
    cer_emitter_conf_set_callbacks(conf, on_delivery, NULL, NULL, NULL);
    cer_emitter *em = NULL;
    CHECK_EQ_INT(cer_emitter_new(&em, conf, err, sizeof err), 0);
    cer_emitter_conf_destroy(conf);
    if (!em)
        return;
    cer_llm_usage u = {"acme", NULL, "openai", "gpt-4o", NULL, 10, 5, 0, 300, 0.0001, 0};
    CHECK_EQ_INT(cer_emit_llm_usage(em, &u, NULL, NULL, err, sizeof err), 0);
    cer_llm_kg_synced k = {"acme", "s", "g", 1, 1, 1, 1, NULL};
    CHECK_EQ_INT(cer_emit_llm_kg_synced(em, &k, NULL, NULL, err, sizeof err), 0);
    k.sync_id = NULL;
    CHECK_EQ_INT(cer_emit_llm_kg_synced(em, &k, NULL, NULL, err, sizeof err), CE_EINVAL);
    CHECK_EQ_INT(cer_emitter_flush(em, 10000), 0);
    cer_emitter_destroy(em, 1000);
    CHECK_EQ_INT(delivered, 2);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_EQ_INT(system(cmd), 0);
}
