/* Tests of the relay's logging (src/relay/log.c, sink/ratelog.c; issues 19 and 17): lines that
 * can repeat per event are rate-limited and aggregated while the counters stay exact, and
 * librdkafka's own lines come through the relay's logger in its format. A real relay; its
 * standard error is captured in a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ce/json.h"
#include "harness.h"
#include "relay/http.h"
#include "relay/relay.h"

typedef struct env {
    relay r;
    char dir[64], errfile[96];
    int saved_err;
} env;

/* A relay from `yaml` (%s: the test directory, up to three times), stderr into a file. */
static env *start(const char *yaml)
{
    env *e = calloc(1, sizeof *e);
    snprintf(e->dir, sizeof e->dir, "/tmp/cer_logt_XXXXXX");
    if (!mkdtemp(e->dir))
        cer_test_fail(__FILE__, __LINE__, "mkdtemp");
    snprintf(e->errfile, sizeof e->errfile, "%s/stderr", e->dir);
    char text[2048], err[1024];
    snprintf(text, sizeof text, yaml, e->dir, e->dir, e->dir);
    fflush(stderr);
    e->saved_err = dup(2);
    FILE *f = freopen(e->errfile, "w", stderr);
    if (!f)
        cer_test_fail(__FILE__, __LINE__, "freopen");
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (cer_config_load_string(text, strlen(text), "t.yaml", &e->r.cfg, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "config: %s", err);
    else if (cer__relay_open(&e->r, 5000, true, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "cer__relay_open: %s", err);
    return e;
}

/* Close the relay, restore stderr; returns what it wrote (free it). */
static char *stop(env *e)
{
    cer__relay_close(&e->r, 5000);
    fflush(stderr);
    dup2(e->saved_err, 2);
    close(e->saved_err);
    FILE *f = fopen(e->errfile, "r");
    char *buf = calloc(1, 1 << 20);
    size_t n = f ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", e->dir);
    if (system(cmd) != 0)
        cer_test_fail(__FILE__, __LINE__, "rm");
    free(e);
    return buf;
}

static long count_lines(const char *s, const char *needle)
{
    long n = 0;
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[4096];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        if (!needle || strstr(line, needle))
            n++;
        p += len + (nl ? 1 : 0);
    }
    return n;
}

static double metric(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; (p = strstr(p, name)); p += n)
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return atof(p + n + 1);
    return -1;
}

TEST(ten_thousand_bad_events_few_lines_exact_counter)
{
    env *e = start("binding: log\nlog:\n  dir: %s/log\n  fsync: never\n"
                   "listen:\n  events: \"\"\n  otlp: \"\"\nack: local\n"
                   "logging:\n  level: info\n  sample_interval: 10s\n"
                   "catalog:\n  mode: warn\n");
    ce_buf b;
    ce_buf_init(&b);
    ce_header h = {{"Content-Type", 12}, {"application/cloudevents-batch+json", 34}};
    for (int r = 0; r < 100; r++) {
        b.len = 0;
        ce_buf_append(&b, "[", 1);
        for (int i = 0; i < 100; i++) {
            char ev[300];
            int n =
                snprintf(ev, sizeof ev,
                         "%s{\"specversion\":\"1.0\",\"id\":\"q-%d-%d\",\"source\":\"llm-orch\","
                         "\"type\":\"eventzr.llm.quota.low.v1\",\"subject\":\"t\","
                         "\"datacontenttype\":\"application/json\","
                         "\"data\":{\"tenantId\":\"t\"}}",
                         i ? "," : "", r, i);
            ce_buf_append(&b, ev, (size_t)n);
        }
        ce_buf_append(&b, "]", 1);
        CHECK_EQ_INT(cer__relay_request(&e->r, LISTEN_EVENTS, "POST", "/events", &h, 1, b.ptr,
                                        b.len, NULL, NULL, 0),
                     202);
    }
    /* and 50 requests rejected the same way (not JSON): one line for them too */
    for (int r = 0; r < 50; r++)
        CHECK_EQ_INT(cer__relay_request(&e->r, LISTEN_EVENTS, "POST", "/events", &h, 1, "[nope", 5,
                                        NULL, NULL, 0),
                     400);
    ce_buf m;
    ce_buf_init(&m);
    CHECK_EQ_INT(
        cer__relay_request(&e->r, LISTEN_EVENTS, "GET", "/metrics", NULL, 0, NULL, 0, &m, NULL, 0),
        200);
    ce_buf_append(&m, "", 1);
    CHECK_EQ_INT((long)metric(m.ptr, "cerelay_catalog_events_total{verdict=\"warned\"}"), 10000);
    CHECK_EQ_INT((long)metric(m.ptr, "cerelay_requests_rejected_total{reason=\"malformed\"}"), 50);
    ce_buf_free(&m);
    ce_buf_free(&b);
    char *err = stop(e);
    /* the first line at once, the rest (9999) in the line written at shutdown; the test takes
     * far less than the 10 s interval, but a slow machine may add one line */
    long cat = count_lines(err, "eventzr.llm.quota.low.v1");
    CHECK(cat >= 1 && cat <= 3);
    CHECK(count_lines(err, "rejected") >= 1 && count_lines(err, "rejected") <= 3);
    CHECK(count_lines(err, NULL) <= 12);
    /* the counts in the lines add up to the exact number */
    long sum = 0;
    for (const char *p = err; (p = strstr(p, "eventzr.llm.quota.low.v1"));) {
        const char *nl = strchr(p, '\n'), *c = strstr(p, " [");
        if (c && (!nl || c < nl))
            sum += atol(c + 2);
        p = nl ? nl : p + 1;
    }
    CHECK_EQ_INT(sum, 10000);
    if (cat > 3 || sum != 10000)
        fprintf(stderr, "stderr was:\n%s\n", err);
    free(err);
}

/* Every line parses as one JSON object. Returns the number of lines, or -1 (printed). */
static long json_lines(const char *s)
{
    long n = 0;
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p), pos = 0;
        ce__json_err jerr;
        if (len == 0 || p[0] != '{' || ce__json_skip(p, len, &pos, 0, 16, &jerr) != 0 ||
            pos != len) {
            fprintf(stderr, "not a JSON line: %.*s\n", (int)len, p);
            return -1;
        }
        n++;
        p += len + (nl ? 1 : 0);
    }
    return n;
}

TEST(rdkafka_lines_are_the_relays_json_and_rate_limited)
{
    /* a broker that is not there: librdkafka fails to connect again and again */
    env *e = start("binding: kafka\nkafka:\n  brokers: [127.0.0.1:9]\n  topic: t\n"
                   "  properties:\n    reconnect.backoff.ms: \"10\"\n"
                   "    reconnect.backoff.max.ms: \"20\"\n"
                   "buffer:\n  type: memory\nlisten:\n  events: \"\"\n  otlp: \"\"\nack: none\n"
                   "logging:\n  format: json\n  level: info\n  sample_interval: 10s\n"
                   "%.0s%.0s%.0s");
    usleep(3000000);
    char *err = stop(e);
    long lines = json_lines(err);
    CHECK(lines > 0);
    /* the connection failure, as a JSON line of the relay's logger with librdkafka's facility */
    long fail = count_lines(err, "kafka: FAIL: ");
    CHECK(fail >= 1);
    CHECK(count_lines(err, "Connect to ipv4#127.0.0.1:9 failed") >= 1);
    CHECK(strstr(err, "\"level\":\"error\"") != NULL);
    /* nothing in librdkafka's own format */
    CHECK(strstr(err, "|FAIL|") == NULL && strstr(err, "%3|") == NULL);
    /* librdkafka logs the failure again ~0.5 s later (then every 30 s): within the 10 s
     * interval that is one line at once, the rest counted in the line written at shutdown */
    CHECK_EQ_INT(fail, 1);
    if (lines < 0 || fail != 1)
        fprintf(stderr, "stderr was:\n%s\n", err);
    free(err);
}
