/* Tests of src/gov/policy*.c: rule order, the default, CESQL errors, counters, compile errors,
 * a seed-002-style policy over io.coresdk types, threads, and the OPA client and its cache
 * against an in-process stub (tests/gov/opa/stub.h); the real OPA is in test_policy_opa.c. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cerelay/ce.h"
#include "gov/policy.h"
#include "gov/policy_internal.h"
#include "harness.h"
#include "opa/stub.h"

#define A CER_CONFIG_ALLOW
#define D CER_CONFIG_DENY

static ce_event *ev_json(const char *json)
{
    ce_event *e = NULL;
    char err[256];
    if (ce_json_decode(json, strlen(json), NULL, &e, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "decode: %s", err);
    return e;
}

/* An event of `type` with `subject` (NULL = none) and extra members `ext` ("" or ",\"x\":1"). */
static ce_event *ev3(const char *type, const char *subject, const char *ext)
{
    char j[1024];
    if (subject)
        snprintf(j, sizeof j,
                 "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"%s\","
                 "\"subject\":\"%s\"%s}",
                 type, subject, ext);
    else
        snprintf(j, sizeof j,
                 "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"%s\"%s}", type,
                 ext);
    return ev_json(j);
}

static cer_policy *make(cer_config_rule *rules, size_t n, int dflt)
{
    cer_config_policy c = {.default_action = dflt, .rules = rules, .nrules = n};
    char err[512];
    cer_policy *p = cer_policy_new(&c, err, sizeof err);
    if (!p)
        cer_test_fail(__FILE__, __LINE__, "cer_policy_new: %s", err);
    return p;
}

static cer_policy_decision decide(cer_policy *p, ce_event *e)
{
    cer_policy_decision d;
    int rc = cer_policy_decide(p, e, &d);
    if (rc)
        cer_test_fail(__FILE__, __LINE__, "decide: %d", rc);
    ce_event_destroy(e);
    return d;
}

TEST(rule_order_first_match_wins)
{
    cer_config_rule r[] = {
        {"no-prompts", D, "type LIKE 'eventzr.llm.prompt.%'"},
        {"llm", A, "type LIKE 'eventzr.llm.%'"},
        {"no-llm", D, "type LIKE 'eventzr.%'"},
    };
    cer_policy *p = make(r, 3, D);
    cer_policy_decision d = decide(p, ev3("eventzr.llm.prompt.v1", "t", ""));
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_STR(d.rule, "no-prompts");
    CHECK_EQ_INT(d.by, CER_POLICY_BY_RULE);
    d = decide(p, ev3("eventzr.llm.usage.v1", "t", ""));
    CHECK_EQ_INT(d.verdict, A);
    CHECK_EQ_STR(d.rule, "llm");
    d = decide(p, ev3("eventzr.billing.v1", "t", ""));
    CHECK_EQ_STR(d.rule, "no-llm");
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_STR(d.reason, "");
    cer_policy_destroy(p);
}

TEST(default_when_nothing_matches)
{
    cer_config_rule r[] = {{"debug", D, "EXISTS debug AND debug = 'true'"}};
    cer_policy *p = make(r, 1, A);
    cer_policy_decision d = decide(p, ev3("t", NULL, ""));
    CHECK_EQ_INT(d.verdict, A);
    CHECK_EQ_STR(d.rule, "default");
    CHECK_EQ_INT(d.by, CER_POLICY_BY_DEFAULT);
    d = decide(p, ev3("t", NULL, ",\"debug\":\"true\""));
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_STR(d.rule, "debug");
    cer_policy_destroy(p);
    /* no rules at all, both defaults; a zero default means allow (the config default) */
    p = make(NULL, 0, D);
    CHECK_EQ_INT(decide(p, ev3("t", NULL, "")).verdict, D);
    cer_policy_destroy(p);
    p = make(NULL, 0, 0);
    CHECK_EQ_INT(decide(p, ev3("t", NULL, "")).verdict, A);
    cer_policy_destroy(p);
}

TEST(sql_errors_do_not_match_and_are_counted)
{
    cer_config_rule r[] = {
        {"missing", D, "debug = 'true'"}, /* missingAttribute without debug */
        {"math", D, "1 / size = 1"},      /* math error when size is 0 */
        {"cast", D, "INT(level) > 3"},    /* cast error for a non-numeric level */
        {"bare", D, "flag"},              /* a bare attribute: must be Boolean true */
        {"fine", A, "type = 'ok'"},
    };
    cer_policy *p = make(r, 5, D);
    cer_policy_decision d = decide(p, ev3("ok", NULL, ",\"size\":0,\"level\":\"high\""));
    CHECK_EQ_STR(d.rule, "fine");
    CHECK_EQ_INT(d.verdict, A);
    /* flag as a String "true" is not Boolean true: no match, no error */
    d = decide(p, ev3("ok", NULL, ",\"size\":2,\"level\":\"1\",\"flag\":\"true\""));
    CHECK_EQ_STR(d.rule, "fine");
    d = decide(p, ev3("ok", NULL, ",\"size\":2,\"level\":\"1\",\"flag\":true"));
    CHECK_EQ_STR(d.rule, "bare");
    CHECK_EQ_INT(d.verdict, D);
    cer_policy_counter c[8];
    cer_policy_stats st;
    size_t n = cer_policy_stats_get(p, &st, c, 8);
    CHECK_EQ_INT(n, 6);
    CHECK_EQ_INT(cer_policy_counter_count(p), 6);
    CHECK_EQ_STR(c[0].rule, "missing");
    CHECK_EQ_INT(c[0].errors, 3); /* no debug in any of the three */
    CHECK_EQ_STR(c[1].rule, "math");
    CHECK_EQ_INT(c[1].errors, 1);
    CHECK_EQ_STR(c[2].rule, "cast");
    CHECK_EQ_INT(c[2].errors, 1);
    CHECK_EQ_INT(c[3].errors, 1); /* flag missing in the first event only */
    CHECK_EQ_INT(c[3].denied, 1);
    CHECK_EQ_INT(c[4].allowed, 2);
    CHECK_EQ_STR(c[5].rule, "default");
    CHECK_EQ_INT(st.sql_errors, 3 + 1 + 1 + 1);
    CHECK_EQ_INT(st.decisions, 3);
    cer_policy_destroy(p);
}

TEST(compile_errors_name_the_rule_and_offset)
{
    char err[512];
    cer_config_rule r[] = {{"ok", A, "type = 'a'"}, {"broken", D, "type = = 'x'"}};
    cer_config_policy c = {.default_action = A, .rules = r, .nrules = 2};
    CHECK(cer_policy_new(&c, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "policy.rules[1] 'broken': CESQL: ");
    CHECK_CONTAINS(err, "at byte 7");
    cer_config_rule nb[] = {{"sum", A, "1 + 2"}};
    c = (cer_config_policy){.default_action = A, .rules = nb, .nrules = 1};
    CHECK(cer_policy_new(&c, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "policy.rules[0] 'sum'");
    CHECK_CONTAINS(err, "is Integer, not Boolean");
    cer_config_rule uf[] = {{"fn", A, "NOSUCHFN(type)"}};
    c = (cer_config_policy){.default_action = A, .rules = uf, .nrules = 1};
    CHECK(cer_policy_new(&c, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "policy.rules[0] 'fn'");
    cer_config_rule bad_action[] = {{"x", 7, "true"}};
    c = (cer_config_policy){.default_action = A, .rules = bad_action, .nrules = 1};
    CHECK(cer_policy_new(&c, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "action must be allow or deny");
    c = (cer_config_policy){.default_action = A};
    c.opa.url = "http://127.0.0.1:1";
    CHECK(cer_policy_new(&c, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "policy.opa.path");
    CHECK(cer_policy_new(NULL, err, sizeof err) == NULL);
    cer_policy_destroy(NULL);
    cer_policy_decision d;
    CHECK_EQ_INT(cer_policy_decide(NULL, NULL, &d), CE_EINVAL);
}

/* Seed 002: CoreSDK's egress gate, written as CESQL rules instead of Rego. */
TEST(seed002_style_rules_over_coresdk_types)
{
    cer_config_rule r[] = {
        {"never-secrets", D, "type = 'io.coresdk.secret.rotated'"},
        {"acme-coresdk", A,
         "type LIKE 'io.coresdk.%' AND EXISTS subject AND "
         "(subject = 'tenant/acme' OR subject LIKE 'tenant/acme/%')"},
        {"llm-usage", A, "type IN ('eventzr.llm.usage.v1', 'eventzr.llm.semantic-cache.hit.v1')"},
    };
    cer_policy *p = make(r, 3, D);
    struct {
        const char *type, *subject;
        int verdict;
        const char *rule;
    } cases[] = {
        {"io.coresdk.policy.decision", "tenant/acme/user/usr_2xK9", A, "acme-coresdk"},
        {"io.coresdk.auth.verified", "tenant/acme/user/usr_2xK9", A, "acme-coresdk"},
        {"io.coresdk.auth.denied", "tenant/globex/user/u1", D, "default"},
        {"io.coresdk.tenant.created", "tenant/acme", A, "acme-coresdk"},
        {"io.coresdk.tenant.suspended", "tenant/acmeco", D, "default"},
        {"io.coresdk.secret.rotated", "tenant/acme", D, "never-secrets"},
        {"io.coresdk.error", NULL, D, "default"},
        {"eventzr.llm.usage.v1", "tenant-uuid", A, "llm-usage"},
        {"eventzr.llm.quota.low.v1", "tenant-uuid", D, "default"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cer_policy_decision d = decide(p, ev3(cases[i].type, cases[i].subject, ""));
        if (d.verdict != cases[i].verdict || strcmp(d.rule, cases[i].rule) != 0)
            cer_test_fail(__FILE__, __LINE__, "%s %s: %s by %s", cases[i].type,
                          cases[i].subject ? cases[i].subject : "-",
                          cer_policy_verdict_name(d.verdict), d.rule);
    }
    cer_policy_stats st;
    cer_policy_stats_get(p, &st, NULL, 0);
    CHECK_EQ_INT(st.decisions, 9);
    CHECK_EQ_INT(st.allowed, 4);
    CHECK_EQ_INT(st.denied, 5);
    CHECK_EQ_INT(st.sql_errors, 0);
    cer_policy_destroy(p);
}

/* ---- threads ------------------------------------------------------------------------------ */
typedef struct tharg {
    cer_policy *p;
    int bad;
} tharg;

static void *decider(void *arg)
{
    tharg *t = arg;
    ce_event *a = ev3("eventzr.llm.usage.v1", "tenant-1", "");
    ce_event *b = ev3("eventzr.llm.prompt.v1", "tenant-1", "");
    for (int i = 0; i < 20000; i++) {
        cer_policy_decision d;
        cer_policy_decide(t->p, (i & 1) ? b : a, &d);
        if (d.verdict != ((i & 1) ? D : A))
            t->bad++;
    }
    ce_event_destroy(a);
    ce_event_destroy(b);
    return NULL;
}

TEST(concurrent_decisions)
{
    cer_config_rule r[] = {{"no-prompts", D, "type LIKE '%.prompt.%' AND UPPER(subject) <> ''"},
                           {"llm", A, "type LIKE 'eventzr.llm.%'"}};
    cer_policy *p = make(r, 2, D);
    pthread_t th[4];
    tharg args[4] = {{p, 0}, {p, 0}, {p, 0}, {p, 0}};
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, decider, &args[i]);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(args[i].bad, 0);
    }
    cer_policy_counter c[3];
    cer_policy_stats st;
    cer_policy_stats_get(p, &st, c, 3);
    CHECK_EQ_INT(st.decisions, 80000);
    CHECK_EQ_INT(c[0].denied, 40000);
    CHECK_EQ_INT(c[1].allowed, 40000);
    cer_policy_destroy(p);
}

/* ---- OPA against the stub ----------------------------------------------------------------- */
static atomic_llong fake_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return atomic_load(&fake_now);
}

static cer_policy *make_opa(const char *url, const char *path, uint64_t timeout_ms, uint64_t ttl_ms,
                            int fail, cer_config_rule *rules, size_t n)
{
    cer_config_policy c = {.default_action = A, .rules = rules, .nrules = n};
    c.opa.url = url;
    c.opa.path = path;
    c.opa.timeout_ms = timeout_ms;
    c.opa.cache_ttl_ms = ttl_ms;
    c.opa.fail = fail;
    cer_policy_opts o = {.now_ms = fake_clock};
    char err[512];
    cer_policy *p = cer_policy_new_opts(&c, &o, err, sizeof err);
    if (!p)
        cer_test_fail(__FILE__, __LINE__, "cer_policy_new: %s", err);
    return p;
}

static void no_proxy(void)
{
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
}

TEST(opa_stub_allow_deny_and_input)
{
    no_proxy();
    opa_stub s;
    CHECK(stub_start(&s, STUB_RULE) == 0);
    char url[64];
    stub_url(&s, url, sizeof url);
    strcat(url, "/"); /* a trailing slash is tolerated */
    cer_policy *p = make_opa(url, "acme/cloudevents-egress", 2000, 0, D, NULL, 0);
    cer_policy_decision d = decide(p, ev3("io.coresdk.policy.decision", "tenant/acme/user/u", ""));
    CHECK_EQ_INT(d.verdict, A);
    CHECK_EQ_STR(d.rule, "opa:acme/cloudevents-egress");
    CHECK_EQ_INT(d.by, CER_POLICY_BY_OPA);
    CHECK_EQ_INT(d.opa_error, 0);
    CHECK_EQ_STR(s.last_path, "/v1/data/acme/cloudevents-egress");
    CHECK_EQ_STR(s.last_body, "{\"input\":{\"event_type\":\"io.coresdk.policy.decision\","
                              "\"subject\":\"tenant/acme/user/u\"}}");
    d = decide(p, ev3("io.coresdk.secret.rotated", "tenant/acme", ""));
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_INT(d.opa_error, 0);
    /* no subject: the member is left out */
    d = decide(p, ev3("io.coresdk.error", NULL, ""));
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_STR(s.last_body, "{\"input\":{\"event_type\":\"io.coresdk.error\"}}");
    CHECK_EQ_INT(atomic_load(&s.requests), 3);
    /* a boolean policy result */
    atomic_store(&s.mode, STUB_BOOL);
    CHECK_EQ_INT(decide(p, ev3("eventzr.llm.usage.v1", "t", "")).verdict, A);
    CHECK_EQ_INT(decide(p, ev3("eventzr.llm.other.v1", "t", "")).verdict, D);
    /* an undefined decision denies (it is not an OPA error) */
    atomic_store(&s.mode, STUB_UNDEFINED);
    d = decide(p, ev3("eventzr.llm.usage.v1", "t", ""));
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_INT(d.opa_error, 0);
    CHECK_CONTAINS(d.reason, "undefined");
    cer_policy_stats st;
    cer_policy_counter c[2];
    CHECK_EQ_INT(cer_policy_stats_get(p, &st, c, 2), 2);
    CHECK_EQ_STR(c[0].rule, "opa:acme/cloudevents-egress");
    CHECK_EQ_INT(c[0].allowed, 2);
    CHECK_EQ_INT(c[0].denied, 4);
    CHECK_EQ_STR(c[1].rule, "default");
    CHECK_EQ_INT(st.opa_requests, 6);
    CHECK_EQ_INT(st.opa_errors, 0);
    cer_policy_destroy(p);
    stub_stop(&s);
}

TEST(opa_rules_decide_first)
{
    no_proxy();
    opa_stub s;
    CHECK(stub_start(&s, STUB_RULE) == 0);
    char url[64];
    stub_url(&s, url, sizeof url);
    cer_config_rule r[] = {{"no-debug", D, "EXISTS debug"}};
    cer_policy *p = make_opa(url, "acme/cloudevents-egress", 2000, 0, D, r, 1);
    cer_policy_decision d = decide(p, ev3("eventzr.llm.usage.v1", "t", ",\"debug\":\"1\""));
    CHECK_EQ_STR(d.rule, "no-debug");
    CHECK_EQ_INT(atomic_load(&s.requests), 0);
    d = decide(p, ev3("eventzr.llm.usage.v1", "t", ""));
    CHECK_EQ_STR(d.rule, "opa:acme/cloudevents-egress");
    CHECK_EQ_INT(atomic_load(&s.requests), 1);
    cer_policy_destroy(p);
    stub_stop(&s);
}

TEST(opa_cache_hit_and_ttl)
{
    no_proxy();
    opa_stub s;
    CHECK(stub_start(&s, STUB_RULE) == 0);
    char url[64];
    stub_url(&s, url, sizeof url);
    atomic_store(&fake_now, 1000);
    cer_policy *p = make_opa(url, "acme/cloudevents-egress", 2000, 10000, D, NULL, 0);
    for (int i = 0; i < 5; i++) {
        cer_policy_decision d = decide(p, ev3("io.coresdk.auth.verified", "tenant/acme/u/1", ""));
        CHECK_EQ_INT(d.verdict, A);
        CHECK_EQ_INT(d.cached, i > 0);
    }
    CHECK_EQ_INT(atomic_load(&s.requests), 1); /* the server saw one request */
    /* a different subject, no subject, a different type: each its own key (an empty subject
     * is not a valid event; the cache tells it from none, see cache_is_bounded...) */
    CHECK_EQ_INT(decide(p, ev3("io.coresdk.auth.verified", "tenant/globex/u", "")).verdict, D);
    CHECK_EQ_INT(decide(p, ev3("io.coresdk.auth.verified", NULL, "")).verdict, D);
    CHECK_EQ_INT(decide(p, ev3("io.coresdk.auth.denied", "tenant/acme/u/1", "")).verdict, A);
    CHECK_EQ_INT(atomic_load(&s.requests), 4);
    CHECK_EQ_INT(decide(p, ev3("io.coresdk.auth.verified", "tenant/globex/u", "")).cached, 1);
    CHECK_EQ_INT(atomic_load(&s.requests), 4);
    /* just before expiry still cached; at expiry asked again */
    atomic_store(&fake_now, 1000 + 9999);
    CHECK_EQ_INT(decide(p, ev3("io.coresdk.auth.verified", "tenant/acme/u/1", "")).cached, 1);
    CHECK_EQ_INT(atomic_load(&s.requests), 4);
    atomic_store(&fake_now, 1000 + 10000);
    cer_policy_decision d = decide(p, ev3("io.coresdk.auth.verified", "tenant/acme/u/1", ""));
    CHECK_EQ_INT(d.cached, 0);
    CHECK_EQ_INT(d.verdict, A);
    CHECK_EQ_INT(atomic_load(&s.requests), 5);
    CHECK_EQ_INT(decide(p, ev3("io.coresdk.auth.verified", "tenant/acme/u/1", "")).cached, 1);
    cer_policy_stats st;
    cer_policy_stats_get(p, &st, NULL, 0);
    CHECK_EQ_INT(st.opa_requests, 5);
    CHECK_EQ_INT(st.opa_cache_hits, 4 + 1 + 1 + 1);
    CHECK_EQ_INT(st.opa_cache_size, 4);
    cer_policy_destroy(p);
    stub_stop(&s);
}

TEST(opa_unreachable_gives_fail_verdict)
{
    no_proxy();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", stub_dead_port());
    cer_policy *p = make_opa(url, "acme/cloudevents-egress", 2000, 10000, D, NULL, 0);
    cer_policy_decision d = decide(p, ev3("eventzr.llm.usage.v1", "t", ""));
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_INT(d.opa_error, 1);
    CHECK_EQ_STR(d.rule, "opa:acme/cloudevents-egress");
    CHECK_CONTAINS(d.reason, "OPA unreachable");
    /* failures are not cached */
    d = decide(p, ev3("eventzr.llm.usage.v1", "t", ""));
    CHECK_EQ_INT(d.cached, 0);
    CHECK_EQ_INT(d.opa_error, 1);
    cer_policy_stats st;
    cer_policy_counter c[2];
    cer_policy_stats_get(p, &st, c, 2);
    CHECK_EQ_INT(st.opa_errors, 2);
    CHECK_EQ_INT(c[0].errors, 2);
    CHECK_EQ_INT(c[0].denied, 2);
    CHECK_EQ_INT(st.opa_cache_size, 0);
    cer_policy_destroy(p);
    /* fail: allow */
    p = make_opa(url, "acme/cloudevents-egress", 2000, 10000, A, NULL, 0);
    d = decide(p, ev3("eventzr.llm.usage.v1", "t", ""));
    CHECK_EQ_INT(d.verdict, A);
    CHECK_EQ_INT(d.opa_error, 1);
    cer_policy_destroy(p);
}

TEST(opa_timeout_gives_fail_verdict)
{
    no_proxy();
    opa_stub s;
    CHECK(stub_start(&s, STUB_HANG) == 0);
    char url[64];
    stub_url(&s, url, sizeof url);
    cer_policy *p = make_opa(url, "acme/cloudevents-egress", 150, 10000, D, NULL, 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cer_policy_decision d = decide(p, ev3("eventzr.llm.usage.v1", "t", ""));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_INT(d.opa_error, 1);
    CHECK_CONTAINS(d.reason, "OPA timed out after 150 ms");
    CHECK(ms >= 140 && ms < 1500);
    cer_policy_destroy(p);
    atomic_store(&s.hang_ms, 0);
    stub_stop(&s);
}

TEST(opa_garbage_and_http_errors_give_fail_verdict)
{
    no_proxy();
    opa_stub s;
    CHECK(stub_start(&s, STUB_GARBAGE) == 0);
    char url[64];
    stub_url(&s, url, sizeof url);
    cer_policy *p = make_opa(url, "acme/cloudevents-egress", 2000, 10000, A, NULL, 0);
    cer_policy_decision d = decide(p, ev3("io.coresdk.secret.rotated", "tenant/acme", ""));
    CHECK_EQ_INT(d.verdict, A); /* fail: allow */
    CHECK_EQ_INT(d.opa_error, 1);
    CHECK_CONTAINS(d.reason, "OPA answered garbage");
    CHECK_CONTAINS(d.reason, "<html>502");
    atomic_store(&s.mode, STUB_HTTP500);
    d = decide(p, ev3("io.coresdk.secret.rotated", "tenant/acme", ""));
    CHECK_EQ_INT(d.verdict, A);
    CHECK_CONTAINS(d.reason, "OPA answered HTTP 500");
    CHECK_CONTAINS(d.reason, "boom");
    /* once OPA answers properly, its decision counts (errors were not cached) */
    atomic_store(&s.mode, STUB_RULE);
    d = decide(p, ev3("io.coresdk.secret.rotated", "tenant/acme", ""));
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_INT(d.opa_error, 0);
    CHECK_EQ_STR(d.reason, "");
    cer_policy_stats st;
    cer_policy_stats_get(p, &st, NULL, 0);
    CHECK_EQ_INT(st.opa_errors, 2);
    CHECK_EQ_INT(st.opa_requests, 3);
    cer_policy_destroy(p);
    stub_stop(&s);
}

static void *opa_decider(void *arg)
{
    tharg *t = arg;
    for (int i = 0; i < 200; i++) {
        char subj[32];
        snprintf(subj, sizeof subj, "tenant/acme/u/%d", i % 20);
        cer_policy_decision d;
        ce_event *e = ev3("io.coresdk.auth.verified", subj, "");
        cer_policy_decide(t->p, e, &d);
        ce_event_destroy(e);
        if (d.verdict != A || d.opa_error)
            t->bad++;
    }
    return NULL;
}

TEST(opa_concurrent_cached)
{
    no_proxy();
    opa_stub s;
    CHECK(stub_start(&s, STUB_RULE) == 0);
    char url[64];
    stub_url(&s, url, sizeof url);
    atomic_store(&fake_now, 5);
    cer_policy *p = make_opa(url, "acme/cloudevents-egress", 5000, 60000, D, NULL, 0);
    pthread_t th[4];
    tharg args[4] = {{p, 0}, {p, 0}, {p, 0}, {p, 0}};
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, opa_decider, &args[i]);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(args[i].bad, 0);
    }
    /* 20 keys; concurrent misses of one key may each ask, so at most 4 per key */
    int n = atomic_load(&s.requests);
    CHECK(n >= 20 && n <= 80);
    cer_policy_stats st;
    cer_policy_stats_get(p, &st, NULL, 0);
    CHECK_EQ_INT(st.decisions, 800);
    CHECK_EQ_INT(st.opa_requests + st.opa_cache_hits, 800);
    cer_policy_destroy(p);
    stub_stop(&s);
}

/* ---- pieces ------------------------------------------------------------------------------- */
TEST(opa_parse)
{
    char r[192];
    CHECK_EQ_INT(cer__opa_parse("{\"result\":{\"allow\":true}}", 25, r, sizeof r), 1);
    const char *cases1[] = {
        "{\"result\":true}",
        (" {\"decision_id\":\"x\", \"result\" : { \"deny\": [\"a\", {\"}\": 1}], \"allow\" : true "
         "} "
         "}"),
        "{\"result\":{\"a\\\"llow\":false,\"allow\":true}}",
    };
    for (size_t i = 0; i < 3; i++)
        if (cer__opa_parse(cases1[i], strlen(cases1[i]), r, sizeof r) != 1)
            cer_test_fail(__FILE__, __LINE__, "expected allow: %s", cases1[i]);
    const char *cases0[] = {
        "{\"result\":false}",
        "{\"result\":{\"allow\":false}}",
        "{\"result\":{}}",
        "{\"result\":\"true\"}",
        "{\"result\":{\"allow\":\"true\"}}",
        "{\"result\":{\"allow\":1}}",
        "{\"result\":[true]}",
        "{\"result\":null}",
        "{}",
        "{\"results\":true}",
        "{\"x\":{\"result\":true}}",
    };
    for (size_t i = 0; i < sizeof cases0 / sizeof *cases0; i++)
        if (cer__opa_parse(cases0[i], strlen(cases0[i]), r, sizeof r) != 0)
            cer_test_fail(__FILE__, __LINE__, "expected deny: %s", cases0[i]);
    const char *bad[] = {"", "true", "[]", "{\"result\":", "<html>", "{\"result\":tru}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (cer__opa_parse(bad[i], strlen(bad[i]), r, sizeof r) != -1)
            cer_test_fail(__FILE__, __LINE__, "expected garbage: %s", bad[i]);
    CHECK_CONTAINS(r, "OPA answered garbage");
}

TEST(opa_input_escaping)
{
    ce_buf b;
    ce_buf_init(&b);
    ce_slice t = {"a\"b\\c", 5}, s = {"x\ny\x01z\xc3\xa9", 7};
    CHECK_EQ_INT(cer__opa_input(&b, t, s), 0);
    CHECK_EQ_MEM(
        b.ptr, b.len,
        "{\"input\":{\"event_type\":\"a\\\"b\\\\c\",\"subject\":\"x\\u000ay\\u0001z\xc3\xa9\"}}",
        strlen("{\"input\":{\"event_type\":\"a\\\"b\\\\c\",\"subject\":"
               "\"x\\u000ay\\u0001z\xc3\xa9\"}}"));
    CHECK_EQ_INT(ce_json_check(b.ptr, b.len, 8, NULL, 0), 0);
    ce_buf_free(&b);
}

TEST(cache_is_bounded_and_keeps_recent)
{
    cer__pcache *c = cer__pcache_new(16, 1000);
    CHECK(c != NULL);
    CHECK_EQ_INT(cer__pcache_capacity(c), 16);
    ce_slice type = {"t", 1};
    char subj[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(subj, sizeof subj, "s%d", i);
        ce_slice s = {subj, strlen(subj)};
        cer__pcache_put(c, type, s, i, i & 1);
        /* keep s0 warm: it must survive */
        int allow = -1;
        CHECK(cer__pcache_get(c, type, (ce_slice){"s0", 2}, i, &allow) == 1);
        CHECK_EQ_INT(allow, 0);
    }
    CHECK(cer__pcache_size(c) <= 16);
    int allow = -1;
    CHECK(cer__pcache_get(c, type, (ce_slice){"s999", 4}, 999, &allow) == 1);
    CHECK_EQ_INT(allow, 1);
    /* expired at now >= put + ttl */
    CHECK(cer__pcache_get(c, type, (ce_slice){"s999", 4}, 1999, &allow) == 0);
    /* refresh in place does not grow */
    size_t before = cer__pcache_size(c);
    cer__pcache_put(c, type, (ce_slice){"s999", 4}, 2000, 0);
    CHECK_EQ_INT(cer__pcache_size(c), before);
    CHECK(cer__pcache_get(c, type, (ce_slice){"s999", 4}, 2000, &allow) == 1);
    CHECK_EQ_INT(allow, 0);
    /* an absent subject and an empty one differ; so do type/subject splits */
    cer__pcache_put(c, (ce_slice){"ab", 2}, (ce_slice){NULL, 0}, 0, 1);
    CHECK(cer__pcache_get(c, (ce_slice){"ab", 2}, (ce_slice){"", 0}, 0, &allow) == 0);
    CHECK(cer__pcache_get(c, (ce_slice){"a", 1}, (ce_slice){"b", 1}, 0, &allow) == 0);
    CHECK(cer__pcache_get(c, (ce_slice){"ab", 2}, (ce_slice){NULL, 0}, 0, &allow) == 1);
    cer__pcache_destroy(c);
    CHECK(cer__pcache_new(0, 10) == NULL);
}
