/* Egress-policy benchmark: a typical policy of five CESQL rules (LIKE, EXISTS, IN lists),
 * decided over the seed-000 usage event (eventzr.llm.usage.v1, allowed by the fifth rule, so
 * every rule is evaluated), on one thread and on two; plus the OPA decision-cache hit path.
 * Prints decisions per second. Called by the governance bench driver (bench/governance). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cerelay/ce.h"
#include "gov/policy.h"
#include "gov/policy_internal.h"

void bench_policy(void);

#define BENCH_SECONDS 0.5

static const char usage_event[] =
    "{\"specversion\":\"1.0\",\"type\":\"eventzr.llm.usage.v1\",\"source\":\"llm-orch-svc\","
    "\"id\":\"evt-550e8400-e29b-41d4-a716-446655440000\",\"time\":\"2026-02-27T12:00:00.000Z\","
    "\"datacontenttype\":\"application/json\",\"subject\":\"tenant-uuid\",\"data\":{"
    "\"tenantId\":\"tenant-uuid\",\"userId\":\"user-uuid\",\"provider\":\"aws-bedrock\","
    "\"model\":\"anthropic.claude-3-sonnet-20240229-v1:0\",\"useCase\":\"event-creation\","
    "\"inputTokens\":150,\"outputTokens\":350,\"totalTokens\":500,\"latencyMs\":1250,"
    "\"costUsd\":0.0025,\"cached\":false}}";

static cer_config_rule rules[] = {
    {"no-prompts", CER_CONFIG_DENY, "type LIKE 'eventzr.llm.prompt.%' OR type LIKE '%.content.v1'"},
    {"no-debug", CER_CONFIG_DENY, "EXISTS debug AND debug = 'true'"},
    {"blocked-tenants", CER_CONFIG_DENY,
     "EXISTS tenantid AND tenantid IN ('blocked-1', 'blocked-2', 'blocked-3')"},
    {"no-secrets", CER_CONFIG_DENY,
     "type IN ('io.coresdk.secret.rotated', 'io.coresdk.auth.denied', 'eventzr.llm.kg.synced.v1')"},
    {"llm-telemetry", CER_CONFIG_ALLOW,
     "type LIKE 'eventzr.llm.%' AND source = 'llm-orch-svc' AND EXISTS subject"},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct run {
    cer_policy *p;
    const ce_event *ev;
    long n;
    double secs;
    int bad;
} run;

/* Decide in batches of 4096 until BENCH_SECONDS have passed. */
static void *decide_loop(void *arg)
{
    run *r = arg;
    cer_policy_decision d;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 4096; i++)
            r->bad |= cer_policy_decide(r->p, r->ev, &d) != 0;
        r->n += 4096;
    } while ((t = now_s()) - t0 < BENCH_SECONDS);
    r->secs = t - t0;
    return NULL;
}

static void report(const char *what, long n, double secs, size_t evals)
{
    double per = secs * 1e9 / (double)n;
    printf("policy: %-44s %12.0f decisions/s  %7.1f ns/decision", what, (double)n / secs, per);
    if (evals)
        printf("  %5.1f ns/rule", per / (double)evals);
    printf("\n");
}

void bench_policy(void)
{
    char err[512];
    ce_event *ev = NULL, *other = NULL;
    if (ce_json_decode(usage_event, strlen(usage_event), NULL, &ev, err, sizeof err) != 0) {
        fprintf(stderr, "bench_policy: %s\n", err);
        return;
    }
    other = ce_event_clone(ev);
    ce_event_set_str(other, "type", "io.coresdk.policy.decision", err, sizeof err);
    cer_config_policy cfg = {.default_action = CER_CONFIG_DENY, .rules = rules, .nrules = 5};
    cer_policy *p = cer_policy_new(&cfg, err, sizeof err);
    if (!p || !other) {
        fprintf(stderr, "bench_policy: %s\n", p ? "out of memory" : err);
        cer_policy_destroy(p);
        ce_event_destroy(ev);
        ce_event_destroy(other);
        return;
    }
    cer_policy_decision d;
    cer_policy_decide(p, ev, &d);
    printf("policy: 5 CESQL rules; seed-000 usage event -> %s by '%s'\n",
           cer_policy_verdict_name(d.verdict), d.rule);

    run r = {p, ev, 0, 0, 0};
    decide_loop(&r);
    report("usage event, 1 thread (5th rule decides)", r.n, r.secs, 5);
    run o = {p, other, 0, 0, 0};
    decide_loop(&o);
    report("no rule matches, 1 thread (default)", o.n, o.secs, 5);

    run t[2] = {{p, ev, 0, 0, 0}, {p, ev, 0, 0, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, decide_loop, &t[i]);
    long total = 0;
    double secs = 0;
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        total += t[i].n;
        secs = t[i].secs > secs ? t[i].secs : secs;
    }
    report("usage event, 2 threads sharing one policy", total, secs, 0);
    if (r.bad || o.bad || t[0].bad || t[1].bad)
        fprintf(stderr, "bench_policy: a decision failed\n");

    /* The OPA decision cache on a hit (what an OPA-backed decision costs once cached). */
    cer__pcache *c = cer__pcache_new(CER_POLICY_DEFAULT_CACHE_ENTRIES, 10000);
    if (c) {
        ce_slice type = ce_event_get_str(ev, "type"), subj = ce_event_get_str(ev, "subject");
        cer__pcache_put(c, type, subj, 0, 1);
        long n = 0;
        int allow = 0;
        double t0 = now_s(), t1;
        do {
            for (int i = 0; i < 4096; i++)
                n += cer__pcache_get(c, type, subj, 1, &allow);
        } while ((t1 = now_s()) - t0 < BENCH_SECONDS);
        report("OPA decision cache hit (type, subject)", n, t1 - t0, 0);
        cer__pcache_destroy(c);
    }
    cer_policy_destroy(p);
    ce_event_destroy(ev);
    ce_event_destroy(other);
}
