/* Tests of the egress policy against a real Open Policy Agent running the seed's
 * `acme/cloudevents-egress` Rego policy (tests/gov/opa/egress.rego). Each test starts its own
 * `opa run --server` on a free loopback port, from $CER_OPA_BIN or `scripts/opa.sh path`
 * (build it once with `scripts/opa.sh install`). A missing or failing OPA fails the test. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include <curl/curl.h>

#include "cerelay/ce.h"
#include "gov/policy.h"
#include "harness.h"

extern char **environ;

#define A    CER_CONFIG_ALLOW
#define D    CER_CONFIG_DENY
#define PATH "acme/cloudevents-egress"

typedef struct opa_server {
    pid_t pid;
    int port;
    char url[64];
} opa_server;

/* A loopback port free a moment ago (bound, then closed). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int port = -1;
    if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof a) &&
        !getsockname(fd, (struct sockaddr *)&a, &al))
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static int opa_bin(char *out, size_t n)
{
    const char *env = getenv("CER_OPA_BIN");
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return 0;
    }
    FILE *f = popen("bash '" CER_SOURCE_DIR "/scripts/opa.sh' path 2>&1", "r");
    if (!f)
        return -1;
    if (!fgets(out, (int)n, f))
        out[0] = 0;
    int st = pclose(f);
    out[strcspn(out, "\n")] = 0;
    return st == 0 ? 0 : -1;
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    ce_buf *b = ud;
    return b && ce_buf_append(b, p, s * n) ? 0 : s * n;
}

/* GET url into *body (may be NULL); returns the HTTP status or -1. */
static long http_get(const char *url, ce_buf *body)
{
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    long status = -1;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Start OPA with the fixtures; fails the test (and returns -1) when it cannot. */
static int opa_start(opa_server *s)
{
    char bin[1024], addr[64];
    if (opa_bin(bin, sizeof bin) != 0) {
        cer_test_fail(__FILE__, __LINE__,
                      "no OPA binary (%s): run scripts/opa.sh install, or set CER_OPA_BIN", bin);
        return -1;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        s->port = free_port();
        snprintf(addr, sizeof addr, "127.0.0.1:%d", s->port);
        snprintf(s->url, sizeof s->url, "http://%s", addr);
        char *argv[] = {bin,
                        "run",
                        "--server",
                        "--disable-telemetry",
                        "--log-level",
                        "error",
                        "--addr",
                        addr,
                        (char *)CER_SOURCE_DIR "/tests/gov/opa/egress.rego",
                        NULL};
        if (posix_spawn(&s->pid, bin, NULL, NULL, argv, environ) != 0) {
            cer_test_fail(__FILE__, __LINE__, "cannot run %s", bin);
            return -1;
        }
        char health[96];
        snprintf(health, sizeof health, "%s/health", s->url);
        for (int i = 0; i < 300; i++) { /* 30 s */
            if (http_get(health, NULL) == 200)
                return 0;
            int st;
            if (waitpid(s->pid, &st, WNOHANG) == s->pid)
                break; /* exited: the port may have been taken; try another */
            sleep_ms(100);
        }
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    cer_test_fail(__FILE__, __LINE__, "OPA (%s) did not start", bin);
    return -1;
}

static void opa_stop(opa_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 50 && waitpid(s->pid, NULL, WNOHANG) == 0; i++)
        sleep_ms(100);
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

/* POSTs to /v1/data the server has answered with 200, from its Prometheus metrics. */
static long opa_data_requests(const opa_server *s)
{
    char url[96];
    snprintf(url, sizeof url, "%s/metrics", s->url);
    ce_buf b;
    ce_buf_init(&b);
    long total = -1;
    if (http_get(url, &b) == 200 && ce_buf_append(&b, "", 1) == 0) {
        const char *needle = "http_request_duration_seconds_count{code=\"200\",handler=\"v1/"
                             "data\",method=\"post\"} ";
        const char *p = strstr(b.ptr, needle);
        total = p ? strtol(p + strlen(needle), NULL, 10) : 0;
    }
    ce_buf_free(&b);
    return total;
}

static atomic_llong fake_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return atomic_load(&fake_now);
}

static cer_policy *make(const opa_server *s, const char *path, uint64_t ttl_ms, int fail)
{
    cer_config_policy c = {.default_action = A};
    c.opa.url = s->url;
    c.opa.path = path;
    c.opa.timeout_ms = 5000;
    c.opa.cache_ttl_ms = ttl_ms;
    c.opa.fail = fail;
    cer_policy_opts o = {.now_ms = fake_clock};
    char err[512];
    cer_policy *p = cer_policy_new_opts(&c, &o, err, sizeof err);
    if (!p)
        cer_test_fail(__FILE__, __LINE__, "cer_policy_new: %s", err);
    return p;
}

static cer_policy_decision decide(cer_policy *p, const char *type, const char *subject)
{
    char j[512];
    snprintf(j, sizeof j,
             "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"%s\"%s%s%s}", type,
             subject ? ",\"subject\":\"" : "", subject ? subject : "", subject ? "\"" : "");
    ce_event *e = NULL;
    cer_policy_decision d = {0};
    if (ce_json_decode(j, strlen(j), NULL, &e, NULL, 0) != 0 || cer_policy_decide(p, e, &d) != 0)
        cer_test_fail(__FILE__, __LINE__, "cannot decide for %s", j);
    ce_event_destroy(e);
    return d;
}

static const struct {
    const char *type, *subject;
    int verdict;
} seed_cases[] = {
    {"io.coresdk.policy.decision", "tenant/acme/user/usr_2xK9", A},
    {"io.coresdk.auth.verified", "tenant/acme/user/usr_2xK9", A},
    {"io.coresdk.auth.denied", "tenant/acme/user/usr_2xK9", A},
    {"io.coresdk.tenant.created", "tenant/acme", A},
    {"io.coresdk.tenant.suspended", "tenant/acmeco", D},
    {"io.coresdk.secret.rotated", "tenant/acme", D},
    {"io.coresdk.error", "tenant/globex/user/u1", D},
    {"io.coresdk.error", NULL, D},
    {"eventzr.llm.usage.v1", "tenant-uuid", A},
    {"eventzr.llm.usage.v1", NULL, A},
    {"eventzr.llm.quota.low.v1", "tenant-uuid", D},
};

TEST(opa_real_seed_policy)
{
    opa_server s = {0};
    if (opa_start(&s))
        return;
    cer_policy *p = make(&s, PATH, 0, A); /* fail: allow, so a deny can only come from OPA */
    for (size_t i = 0; i < sizeof seed_cases / sizeof *seed_cases; i++) {
        cer_policy_decision d = decide(p, seed_cases[i].type, seed_cases[i].subject);
        if (d.verdict != seed_cases[i].verdict || d.opa_error || strcmp(d.rule, "opa:" PATH))
            cer_test_fail(__FILE__, __LINE__, "%s %s: %s by %s (%s)", seed_cases[i].type,
                          seed_cases[i].subject ? seed_cases[i].subject : "-",
                          cer_policy_verdict_name(d.verdict), d.rule, d.reason);
    }
    cer_policy_stats st;
    cer_policy_stats_get(p, &st, NULL, 0);
    CHECK_EQ_INT(st.opa_errors, 0);
    CHECK_EQ_INT(st.opa_requests, sizeof seed_cases / sizeof *seed_cases);
    CHECK_EQ_INT(opa_data_requests(&s), sizeof seed_cases / sizeof *seed_cases);
    cer_policy_destroy(p);
    opa_stop(&s);
}

/* A path naming the rule itself: OPA answers {"result": true|false}. */
TEST(opa_real_boolean_result)
{
    opa_server s = {0};
    if (opa_start(&s))
        return;
    cer_policy *p = make(&s, PATH "/allow", 0, A);
    CHECK_EQ_INT(decide(p, "io.coresdk.policy.decision", "tenant/acme/user/u").verdict, A);
    cer_policy_decision d = decide(p, "io.coresdk.secret.rotated", "tenant/acme");
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_INT(d.opa_error, 0);
    CHECK_EQ_STR(d.rule, "opa:" PATH "/allow");
    cer_policy_destroy(p);
    /* a path with no document: undefined, denied even with fail: allow */
    p = make(&s, "acme/no-such-policy", 0, A);
    d = decide(p, "eventzr.llm.usage.v1", "t");
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_INT(d.opa_error, 0);
    CHECK_CONTAINS(d.reason, "undefined");
    cer_policy_destroy(p);
    opa_stop(&s);
}

TEST(opa_real_cache_and_ttl)
{
    opa_server s = {0};
    if (opa_start(&s))
        return;
    atomic_store(&fake_now, 0);
    cer_policy *p = make(&s, PATH, 10000, D);
    long base = opa_data_requests(&s);
    CHECK_EQ_INT(base, 0);
    for (int i = 0; i < 20; i++)
        CHECK_EQ_INT(decide(p, "io.coresdk.auth.verified", "tenant/acme/user/u1").verdict, A);
    CHECK_EQ_INT(opa_data_requests(&s), 1); /* OPA saw one request for 20 events */
    CHECK_EQ_INT(decide(p, "io.coresdk.auth.verified", "tenant/globex/user/u1").verdict, D);
    CHECK_EQ_INT(decide(p, "io.coresdk.auth.verified", "tenant/globex/user/u1").verdict, D);
    CHECK_EQ_INT(opa_data_requests(&s), 2);
    atomic_store(&fake_now, 10000); /* both expire */
    CHECK_EQ_INT(decide(p, "io.coresdk.auth.verified", "tenant/acme/user/u1").cached, 0);
    CHECK_EQ_INT(decide(p, "io.coresdk.auth.verified", "tenant/acme/user/u1").cached, 1);
    CHECK_EQ_INT(opa_data_requests(&s), 3);
    cer_policy_stats st;
    cer_policy_stats_get(p, &st, NULL, 0);
    CHECK_EQ_INT(st.opa_requests, 3);
    CHECK_EQ_INT(st.opa_cache_hits, 19 + 1 + 1);
    cer_policy_destroy(p);
    opa_stop(&s);
}

/* OPA goes away: the configured fail verdict, counted; a cached answer still serves. */
TEST(opa_real_server_gone)
{
    opa_server s = {0};
    if (opa_start(&s))
        return;
    atomic_store(&fake_now, 0);
    cer_policy *p = make(&s, PATH, 60000, D);
    CHECK_EQ_INT(decide(p, "eventzr.llm.usage.v1", "tenant-uuid").verdict, A);
    opa_stop(&s);
    cer_policy_decision d = decide(p, "eventzr.llm.usage.v1", "tenant-uuid");
    CHECK_EQ_INT(d.verdict, A);
    CHECK_EQ_INT(d.cached, 1);
    d = decide(p, "eventzr.llm.usage.v1", "tenant-2");
    CHECK_EQ_INT(d.verdict, D);
    CHECK_EQ_INT(d.opa_error, 1);
    CHECK_CONTAINS(d.reason, "OPA unreachable");
    cer_policy_stats st;
    cer_policy_stats_get(p, &st, NULL, 0);
    CHECK_EQ_INT(st.opa_errors, 1);
    cer_policy_destroy(p);
}
