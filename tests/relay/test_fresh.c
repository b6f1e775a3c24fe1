/* Tests of the relay's freshness histograms (src/relay/fresh.c, issue 14): a real relay on the
 * local log driven through cer__relay_request; events with known `time`s, then /metrics and
 * /status are read back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ce/json.h"
#include "harness.h"
#include "relay/http.h"
#include "relay/relay.h"

typedef struct env {
    relay r;
    char dir[64];
} env;

static env *start(const char *ack)
{
    env *e = calloc(1, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/cer_fresh_XXXXXX");
    if (!mkdtemp(e->dir))
        cer_test_fail(__FILE__, __LINE__, "mkdtemp");
    char text[1024], err[1024];
    snprintf(text, sizeof text,
             "binding: log\nlog:\n  dir: %s/log\n  fsync: never\n"
             "listen:\n  events: \"\"\n  otlp: \"\"\nack: %s\nlogging:\n  level: error\n"
             "catalog:\n  mode: off\n",
             e->dir, ack);
    if (cer_config_load_string(text, strlen(text), "t.yaml", &e->r.cfg, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "config: %s", err);
    else if (cer__relay_open(&e->r, 5000, true, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "cer__relay_open: %s", err);
    return e;
}

static void finish(env *e)
{
    cer__relay_close(&e->r, 5000);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", e->dir);
    if (system(cmd) != 0)
        cer_test_fail(__FILE__, __LINE__, "rm");
    free(e);
}

static unsigned get(env *e, const char *url, ce_buf *out)
{
    ce_buf_init(out);
    unsigned st =
        cer__relay_request(&e->r, LISTEN_EVENTS, "GET", url, NULL, 0, NULL, 0, out, NULL, 0);
    ce_buf_append(out, "", 1);
    return st;
}

/* POST a batch of n events of `type`, tenant "<tenant>" (tenantid when with_tenantid, else the
 * subject), each `age_s` seconds old (no time attribute when age_s < 0). */
static unsigned post(env *e, const char *type, const char *tenant, bool with_tenantid, int n,
                     double age_s, int seq)
{
    ce_buf b;
    ce_buf_init(&b);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - (int64_t)(age_s * 1e9);
    char ts[40];
    ce_timestamp_format(ns, 3, ts);
    ce_buf_append(&b, "[", 1);
    for (int i = 0; i < n; i++) {
        char ev[512];
        int len = snprintf(ev, sizeof ev,
                           "%s{\"specversion\":\"1.0\",\"id\":\"e-%d-%d\",\"source\":\"/t\","
                           "\"type\":\"%s\",\"%s\":\"%s\"%s%s%s}",
                           i ? "," : "", seq, i, type, with_tenantid ? "tenantid" : "subject",
                           tenant, age_s >= 0 ? ",\"time\":\"" : "", age_s >= 0 ? ts : "",
                           age_s >= 0 ? "\"" : "");
        ce_buf_append(&b, ev, (size_t)len);
    }
    ce_buf_append(&b, "]", 1);
    ce_header h = {{"Content-Type", 12}, {"application/cloudevents-batch+json", 34}};
    ce_buf out;
    ce_buf_init(&out);
    unsigned st = cer__relay_request(&e->r, LISTEN_EVENTS, "POST", "/events", &h, 1, b.ptr, b.len,
                                     &out, NULL, 0);
    ce_buf_free(&out);
    ce_buf_free(&b);
    return st;
}

/* The value of the sample `name{labels}` (exact line prefix), or -1. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; (p = strstr(p, series)); p += n)
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return atof(p + n + 1);
    return -1;
}

/* A number after `key` within the JSON object of one series of /status, or -1. */
static double status_num(const char *json, const char *type, const char *tenant, const char *hist,
                         const char *key)
{
    char head[256];
    snprintf(head, sizeof head, "{\"type\":\"%s\",\"tenant\":\"%s\",", type, tenant);
    const char *p = strstr(json, head);
    if (!p || !(p = strstr(p, hist)))
        return -1;
    const char *end = strchr(p, '}');
    char k[32];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *q = strstr(p, k);
    return q && q < end ? atof(q + strlen(k)) : -1;
}

TEST(histogram_counts_and_ages_per_type_and_tenant)
{
    const char *acks[] = {"none", "local", "remote"};
    for (int a = 0; a < 3; a++) {
        env *e = start(acks[a]);
        /* 30 events 5 s old for tenant-a (tenantid), 20 events 60 s old for tenant-b (subject),
         * 7 without time, in batches of 10 or fewer */
        for (int i = 0; i < 3; i++)
            CHECK_EQ_INT(post(e, "x.usage.v1", "tenant-a", true, 10, 5.0, i), 202);
        for (int i = 0; i < 2; i++)
            CHECK_EQ_INT(post(e, "x.usage.v1", "tenant-b", false, 10, 60.0, 10 + i), 202);
        CHECK_EQ_INT(post(e, "x.other.v1", "tenant-a", true, 7, -1, 20), 202);
        ce_buf m;
        CHECK_EQ_INT(get(e, "/metrics", &m), 200);
        const char *t = m.ptr;
        CHECK_EQ_INT((long)sample(t, "cerelay_event_ingest_age_seconds_count{type=\"x.usage.v1\","
                                     "tenant=\"tenant-a\"}"),
                     30);
        CHECK_EQ_INT((long)sample(t, "cerelay_event_ingest_age_seconds_count{type=\"x.usage.v1\","
                                     "tenant=\"tenant-b\"}"),
                     20);
        /* no time: no ingest age, but an acknowledgement latency */
        CHECK(sample(t, "cerelay_event_ingest_age_seconds_count{type=\"x.other.v1\","
                        "tenant=\"tenant-a\"}") < 0);
        CHECK_EQ_INT((long)sample(t, "cerelay_events_without_time_total"), 7);
        CHECK_EQ_INT((long)sample(t, "cerelay_event_ack_latency_seconds_count{type=\"x.usage.v1\","
                                     "tenant=\"tenant-a\"}"),
                     30);
        CHECK_EQ_INT((long)sample(t, "cerelay_event_ack_latency_seconds_count{type=\"x.usage.v1\","
                                     "tenant=\"tenant-b\"}"),
                     20);
        CHECK_EQ_INT((long)sample(t, "cerelay_event_ack_latency_seconds_count{type=\"x.other.v1\","
                                     "tenant=\"tenant-a\"}"),
                     7);
        /* ages: the sum over 30 events of ~5 s (tolerance 2 s each on a loaded machine) */
        double sum = sample(t, "cerelay_event_ingest_age_seconds_sum{type=\"x.usage.v1\","
                               "tenant=\"tenant-a\"}");
        CHECK(sum >= 30 * 5.0 && sum < 30 * 7.0);
        /* bucket le=2.5 holds none of the 5 s events, le=10 all of them, le=30 none of the
         * 60 s ones, le=60 all of them (they are a few ms over 60 s: le=300) */
        CHECK_EQ_INT((long)sample(t, "cerelay_event_ingest_age_seconds_bucket{type=\"x.usage.v1\","
                                     "tenant=\"tenant-a\",le=\"2.5\"}"),
                     0);
        CHECK_EQ_INT((long)sample(t, "cerelay_event_ingest_age_seconds_bucket{type=\"x.usage.v1\","
                                     "tenant=\"tenant-a\",le=\"10\"}"),
                     30);
        CHECK_EQ_INT((long)sample(t, "cerelay_event_ingest_age_seconds_bucket{type=\"x.usage.v1\","
                                     "tenant=\"tenant-b\",le=\"30\"}"),
                     0);
        CHECK_EQ_INT((long)sample(t, "cerelay_event_ingest_age_seconds_bucket{type=\"x.usage.v1\","
                                     "tenant=\"tenant-b\",le=\"300\"}"),
                     20);
        CHECK_EQ_INT((long)sample(t, "cerelay_event_ack_latency_seconds_bucket{type=\"x.usage.v1\","
                                     "tenant=\"tenant-a\",le=\"+Inf\"}"),
                     30);
        ce_buf_free(&m);

        ce_buf s;
        CHECK_EQ_INT(get(e, "/status", &s), 200);
        size_t pos = 0;
        ce__json_err jerr;
        CHECK_EQ_INT(ce__json_skip(s.ptr, s.len - 1, &pos, 0, 64, &jerr), 0);
        CHECK_EQ_INT((long)pos, (long)(s.len - 1));
        if (pos != s.len - 1)
            fprintf(stderr, "/status: %s\n", s.ptr);
        CHECK_EQ_INT(
            (long)status_num(s.ptr, "x.usage.v1", "tenant-a", "ingest_age_seconds", "count"), 30);
        for (int k = 0; k < 3; k++) {
            const char *pk[] = {"p50", "p95", "p99"};
            double va = status_num(s.ptr, "x.usage.v1", "tenant-a", "ingest_age_seconds", pk[k]);
            double vb = status_num(s.ptr, "x.usage.v1", "tenant-b", "ingest_age_seconds", pk[k]);
            double ack = status_num(s.ptr, "x.usage.v1", "tenant-a", "ack_latency_seconds", pk[k]);
            CHECK(va > 4.8 && va < 7.0); /* 2 % buckets, + the test's own delay */
            CHECK(vb > 58.5 && vb < 62.0);
            CHECK(ack >= 0 && ack < 5.0);
        }
        CHECK_CONTAINS(s.ptr, "\"events_without_time\":7");
        ce_buf_free(&s);
        finish(e);
    }
}

TEST(cardinality_cap_counts_the_rest_as_other)
{
    env *e = start("local");
    /* 150 tenants of one type, 2 events each: 100 series, the 50 last tenants as "other" */
    for (int i = 0; i < 150; i++) {
        char tenant[32];
        snprintf(tenant, sizeof tenant, "tenant-%03d", i);
        CHECK_EQ_INT(post(e, "x.usage.v1", tenant, true, 2, 1.0, i), 202);
    }
    /* a known pair still counts as itself after the cap */
    CHECK_EQ_INT(post(e, "x.usage.v1", "tenant-000", true, 3, 1.0, 999), 202);
    ce_buf m;
    CHECK_EQ_INT(get(e, "/metrics", &m), 200);
    int series = 0;
    long total = 0;
    for (const char *p = m.ptr; (p = strstr(p, "\ncerelay_event_ingest_age_seconds_count{")); p++) {
        series++;
        total += atol(strchr(p, '}') + 2);
    }
    CHECK_EQ_INT(series, 101);
    CHECK_EQ_INT(total, 303);
    CHECK_EQ_INT((long)sample(m.ptr, "cerelay_event_ingest_age_seconds_count{type=\"other\","
                                     "tenant=\"other\"}"),
                 100);
    CHECK_EQ_INT((long)sample(m.ptr, "cerelay_event_ingest_age_seconds_count{type=\"x.usage.v1\","
                                     "tenant=\"tenant-000\"}"),
                 5);
    CHECK(sample(m.ptr, "cerelay_event_ingest_age_seconds_count{type=\"x.usage.v1\","
                        "tenant=\"tenant-120\"}") < 0);
    ce_buf_free(&m);
    ce_buf s;
    CHECK_EQ_INT(get(e, "/status", &s), 200);
    size_t pos = 0;
    ce__json_err jerr;
    CHECK_EQ_INT(ce__json_skip(s.ptr, s.len - 1, &pos, 0, 64, &jerr), 0);
    CHECK_EQ_INT((long)status_num(s.ptr, "other", "other", "ack_latency_seconds", "count"), 100);
    ce_buf_free(&s);
    finish(e);
}
