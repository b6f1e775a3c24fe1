/* Tests for src/sink/auth_oidc.c: the client credentials grant against a local token endpoint
 * (a libmicrohttpd stub in this file, answering with scripted JSON), the response and JWT
 * parsing, error reporting without secrets, and the sink end to end: the token the producer
 * sends to a fake broker, refreshed on librdkafka's background thread before it expires. */
#include <microhttpd.h>
#include <stdlib.h>

#include "authtest.h"
#include "sink/sink.h"

/* ---------------------------------------------------------------- token endpoint stub --- */

typedef struct stub {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t mu;
    int status;
    char body[200000]; /* answer; "%d" is replaced by the request number (1, 2, ...) */
    int delay_ms;
    atomic_int requests;
    char method[16], ctype[128], authz[512], form[2048], path[256]; /* last request */
} stub;

typedef struct reqbuf {
    char data[4096];
    size_t len;
} reqbuf;

static enum MHD_Result stub_handler(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version, const char *upload,
                                    size_t *upload_size, void **state)
{
    stub *s = cls;
    reqbuf *r = *state;
    if (!r) {
        *state = calloc(1, sizeof *r);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        if (r->len + n >= sizeof r->data)
            n = sizeof r->data - 1 - r->len;
        memcpy(r->data + r->len, upload, n);
        r->len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    int n = atomic_fetch_add(&s->requests, 1) + 1;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    const char *az = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    pthread_mutex_lock(&s->mu);
    snprintf(s->method, sizeof s->method, "%s", method);
    snprintf(s->path, sizeof s->path, "%s", url);
    snprintf(s->ctype, sizeof s->ctype, "%s", ct ? ct : "");
    snprintf(s->authz, sizeof s->authz, "%s", az ? az : "");
    snprintf(s->form, sizeof s->form, "%.*s", (int)r->len, r->data);
    int status = s->status;
    size_t cap = strlen(s->body) + 32;
    char *answer = malloc(cap);
    snprintf(answer, cap, s->body, n);
    int delay = s->delay_ms;
    pthread_mutex_unlock(&s->mu);
    if (delay) {
        struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(answer), answer, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void stub_completed(void *cls, struct MHD_Connection *c, void **state,
                           enum MHD_RequestTerminationCode toe)
{
    free(*state);
    *state = NULL;
}

static void stub_script(stub *s, int status, const char *body)
{
    pthread_mutex_lock(&s->mu);
    s->status = status;
    snprintf(s->body, sizeof s->body, "%s", body);
    pthread_mutex_unlock(&s->mu);
}

static int stub_start(stub *s, int status, const char *body)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    stub_script(s, status, body);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, stub_handler, s, MHD_OPTION_SOCK_ADDR, &addr,
                            MHD_OPTION_NOTIFY_COMPLETED, stub_completed, NULL, MHD_OPTION_END);
    if (!s->d)
        return -1;
    s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static void stub_stop(stub *s)
{
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
}

static void stub_url(const stub *s, char *out, size_t n)
{
    snprintf(out, n, "http://127.0.0.1:%d/oauth2/token", s->port);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An unsecured JWT {"alg":"none"}.{claims}. */
static void make_jwt(char *out, size_t n, const char *claims)
{
    ce_buf b;
    ce_buf_init(&b);
    ce_base64_encode("{\"alg\":\"none\"}", 14, &b);
    ce_buf_append(&b, ".", 1);
    ce_base64_encode(claims, strlen(claims), &b);
    ce_buf_append(&b, ".", 1);
    size_t w = 0;
    for (size_t i = 0; i < b.len && w + 1 < n; i++) {
        char c = b.ptr[i];
        if (c == '=')
            continue;
        out[w++] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    out[w] = '\0';
    ce_buf_free(&b);
}

#define SECRET "s3cr:t/+SEKRIT"

/* ------------------------------------------------------------------------- fetching --- */

TEST(fetch_with_basic_auth)
{
    stub s;
    CHECK_EQ_INT(stub_start(&s, 200,
                            "{\"access_token\":\"opaque-%d\",\"token_type\":\"Bearer\","
                            "\"expires_in\":3600,\"scope\":\"kafka write\"}"),
                 0);
    char url[128], err[512] = "";
    stub_url(&s, url, sizeof url);
    cer__oidc_conf c = {.token_url = url,
                        .client_id = "my client",
                        .client_secret = SECRET,
                        .scope = "kafka write"};
    cer__oauth_token t;
    int64_t now = wall_ms();
    CHECK_EQ_INT(cer__oidc_fetch(&c, now, &t, err, sizeof err), 0);
    CHECK_EQ_STR(t.value, "opaque-1");
    CHECK_EQ_INT(t.lifetime_ms, now + 3600 * 1000);
    CHECK_EQ_STR(t.principal, "my client");
    CHECK_EQ_STR(s.method, "POST");
    CHECK_EQ_STR(s.path, "/oauth2/token");
    CHECK_EQ_STR(s.ctype, "application/x-www-form-urlencoded");
    CHECK_EQ_STR(s.form, "grant_type=client_credentials&scope=kafka%20write");
    /* RFC 6749 2.3.1: Basic base64(formenc(id) ":" formenc(secret)) */
    ce_buf want;
    ce_buf_init(&want);
    ce_buf_append(&want, "Basic ", 6);
    const char *pair = "my%20client:s3cr%3At%2F%2BSEKRIT";
    ce_base64_encode(pair, strlen(pair), &want);
    ce_buf_append(&want, "", 1);
    CHECK_EQ_STR(s.authz, want.ptr);
    ce_buf_free(&want);
    cer__oauth_token_clear(&t);
    stub_stop(&s);
}

TEST(fetch_with_body_credentials_and_jwt_claims)
{
    char jwt[512], body[1024];
    make_jwt(jwt, sizeof jwt, "{\"sub\":\"svc-cerelay\",\"exp\":4102444800,\"iat\":1}");
    snprintf(body, sizeof body, "{\"token_type\":\"Bearer\",\"access_token\":\"%s\"}", jwt);
    stub s;
    CHECK_EQ_INT(stub_start(&s, 200, body), 0);
    char url[128], err[512] = "";
    stub_url(&s, url, sizeof url);
    cer__oidc_conf c = {
        .token_url = url, .client_id = "id", .client_secret = "p w", .client_auth_post = 1};
    cer__oauth_token t;
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), 0);
    CHECK_EQ_STR(t.value, jwt);
    CHECK_EQ_INT(t.lifetime_ms, 4102444800LL * 1000); /* no expires_in: the JWT's exp */
    CHECK_EQ_STR(t.principal, "svc-cerelay");         /* the JWT's sub */
    CHECK_EQ_STR(s.form, "grant_type=client_credentials&client_id=id&client_secret=p%20w");
    CHECK_EQ_STR(s.authz, "");
    cer__oauth_token_clear(&t);

    /* A configured principal wins. */
    c.principal = "configured";
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), 0);
    CHECK_EQ_STR(t.principal, "configured");
    cer__oauth_token_clear(&t);
    stub_stop(&s);
}

TEST(fetch_reports_http_errors_without_secret)
{
    stub s;
    CHECK_EQ_INT(stub_start(&s, 401,
                            "{\"error\":\"invalid_client\",\"error_description\":\"Client "
                            "authentication failed\"}"),
                 0);
    char url[128], err[512] = "";
    stub_url(&s, url, sizeof url);
    cer__oidc_conf c = {.token_url = url, .client_id = "id", .client_secret = SECRET};
    cer__oauth_token t;
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), CE_EIO);
    CHECK_EQ_STR(err, "token endpoint answered HTTP 401: invalid_client: Client authentication "
                      "failed");
    CHECK(t.value == NULL);

    stub_script(&s, 503, "<html>busy</html>");
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), CE_EIO);
    CHECK_EQ_STR(err, "token endpoint answered HTTP 503");
    CHECK(!strstr(err, "SEKRIT"));
    stub_stop(&s);
}

TEST(fetch_rejects_bad_answers)
{
    stub s;
    CHECK_EQ_INT(stub_start(&s, 200, "not json"), 0);
    char url[128], err[512] = "";
    stub_url(&s, url, sizeof url);
    cer__oidc_conf c = {.token_url = url, .client_id = "id", .client_secret = SECRET};
    cer__oauth_token t;
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), CE_ESYNTAX);
    CHECK_CONTAINS(err, "not a JSON object");

    stub_script(&s, 200, "{\"token_type\":\"Bearer\",\"expires_in\":60}");
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), CE_ESYNTAX);
    CHECK_CONTAINS(err, "no access_token");

    stub_script(&s, 200, "{\"access_token\":\"opaque\"}");
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), CE_ESYNTAX);
    CHECK_CONTAINS(err, "lifetime is unknown");

    stub_script(&s, 200, "{\"access_token\":\"opaque\",\"expires_in\":-5}");
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), CE_ESYNTAX);
    CHECK_CONTAINS(err, "expires_in");

    /* Larger than CER_OIDC_MAX_BODY. */
    char *big = malloc(CER_OIDC_MAX_BODY + 100);
    memset(big, ' ', CER_OIDC_MAX_BODY + 99);
    big[0] = '{';
    memcpy(big + CER_OIDC_MAX_BODY + 97, "}", 2);
    stub_script(&s, 200, big);
    free(big);
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), CE_ETOOBIG);
    CHECK(t.value == NULL);
    stub_stop(&s);
}

TEST(fetch_transport_failures_are_bounded)
{
    stub s;
    CHECK_EQ_INT(stub_start(&s, 200, "{\"access_token\":\"x\",\"expires_in\":60}"), 0);
    s.delay_ms = 3000;
    char url[128], err[512] = "";
    stub_url(&s, url, sizeof url);
    cer__oidc_conf c = {
        .token_url = url, .client_id = "id", .client_secret = SECRET, .timeout_ms = 300};
    cer__oauth_token t;
    int64_t t0 = wall_ms();
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), CE_EIO);
    CHECK(wall_ms() - t0 < 2500);
    CHECK_CONTAINS(err, "token endpoint request failed");
    stub_stop(&s);

    c.token_url = "http://127.0.0.1:1/token"; /* nothing listens there */
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), CE_EIO);
    CHECK_CONTAINS(err, "token endpoint request failed");
    c.token_url = "file:///etc/passwd";
    CHECK_EQ_INT(cer__oidc_fetch(&c, wall_ms(), &t, err, sizeof err), CE_EIO);
}

/* ---------------------------------------------------------------------- parsing --- */

TEST(parse_response_variants)
{
    cer__oauth_token t;
    char err[256];
    const char *a = " {\"expires_in\":\"120\", \"nested\":{\"access_token\":\"no\"},"
                    "\"access_token\":\"a\\/b\\u0041\"} ";
    CHECK_EQ_INT(cer__oidc_parse_response(a, strlen(a), 1000, &t, err, sizeof err), 0);
    CHECK_EQ_STR(t.value, "a/bA"); /* escapes decoded; the nested member is not the token */
    CHECK_EQ_INT(t.lifetime_ms, 1000 + 120000);
    cer__oauth_token_clear(&t);
    const char *b = "{\"access_token\":\"x\",\"expires_in\":1.5}";
    CHECK_EQ_INT(cer__oidc_parse_response(b, strlen(b), 0, &t, err, sizeof err), 0);
    CHECK_EQ_INT(t.lifetime_ms, 1500);
    cer__oauth_token_clear(&t);
    const char *bad[] = {"",
                         "[]",
                         "{\"access_token\":\"x\",}",
                         "{\"access_token\":1,\"expires_in\":1}",
                         "{\"access_token\":\"\",\"expires_in\":1}",
                         "{\"access_token\":\"x\",\"expires_in\":\"soon\"}",
                         "{\"access_token\":\"x\"} trailing"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(cer__oidc_parse_response(bad[i], strlen(bad[i]), 0, &t, err, sizeof err) != 0);
        CHECK(t.value == NULL);
    }
}

TEST(jwt_claims)
{
    char jwt[512], sub[64];
    int64_t exp;
    make_jwt(jwt, sizeof jwt, "{\"sub\":\"cerelay\",\"exp\":1700000000}");
    CHECK_EQ_INT(cer__jwt_claims(jwt, &exp, sub, sizeof sub), 0);
    CHECK_EQ_INT(exp, 1700000000);
    CHECK_EQ_STR(sub, "cerelay");
    make_jwt(jwt, sizeof jwt, "{\"iss\":\"x\"}");
    CHECK_EQ_INT(cer__jwt_claims(jwt, &exp, sub, sizeof sub), 0);
    CHECK_EQ_INT(exp, -1);
    CHECK_EQ_STR(sub, "");
    make_jwt(jwt, sizeof jwt, "[1,2]");
    CHECK_EQ_INT(cer__jwt_claims(jwt, &exp, sub, sizeof sub), CE_ESYNTAX);
    CHECK_EQ_INT(cer__jwt_claims("opaque-token", &exp, sub, sizeof sub), CE_ESYNTAX);
    CHECK_EQ_INT(cer__jwt_claims("a.b", &exp, sub, sizeof sub), CE_ESYNTAX);
    CHECK_EQ_INT(cer__jwt_claims("a..c", &exp, sub, sizeof sub), CE_ESYNTAX);
    CHECK_EQ_INT(cer__jwt_claims("a.!!!!.c", &exp, sub, sizeof sub), CE_ESYNTAX);
    CHECK_EQ_INT(cer__jwt_claims("a.b.c.d", &exp, sub, sizeof sub), CE_ESYNTAX);
}

/* ------------------------------------------------------------------ through librdkafka --- */

/* The Kafka sink with OAUTHBEARER_OIDC: the producer's first token comes from the endpoint, and
 * with expires_in=2 librdkafka asks for a new one at 80% of the lifetime, on its background
 * thread (the test never polls the producer); the broker sees the refreshed token. */
TEST(sink_fetches_and_refreshes_oidc_token)
{
    stub s;
    CHECK_EQ_INT(stub_start(&s, 200, "{\"access_token\":\"oidc-token-%d\",\"expires_in\":2}"), 0);
    sasl_stub b;
    CHECK_EQ_INT(sasl_stub_start(&b), 0);
    char url[128], url_prop[200], err[512] = "";
    stub_url(&s, url, sizeof url);
    snprintf(url_prop, sizeof url_prop, "cerelay.oidc.token_url=%s", url);
    const char *props[] = {"cerelay.sasl.mechanism=OAUTHBEARER_OIDC",
                           url_prop,
                           "cerelay.oidc.client_id=cerelay",
                           "cerelay.oidc.client_secret=" SECRET,
                           "cerelay.oidc.scope=kafka",
                           "security.protocol=SASL_PLAINTEXT",
                           "reconnect.backoff.ms=100",
                           "reconnect.backoff.max.ms=200",
                           NULL};
    cer_sink_conf sc = {.topic = "t", .brokers = b.addr, .props = props};
    cer_sink *snk = NULL;
    int rc = cer_sink_kafka.open(&snk, &sc, err, sizeof err);
    if (rc)
        fprintf(stderr, "open: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    char tok[256];
    CHECK(sasl_stub_wait(&b, 1, 10000) >= 1);
    sasl_stub_token(&b, tok, sizeof tok);
    CHECK_EQ_INT(strncmp(tok, "oidc-token-", 11), 0);
    /* Refreshes: at least two more token requests within ~5 s, and the broker gets a newer one. */
    for (int i = 0; i < 100 && atomic_load(&s.requests) < 3; i++) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    CHECK(atomic_load(&s.requests) >= 3);
    int later = 0;
    for (int i = 0; i < 100 && !later; i++) {
        sasl_stub_token(&b, tok, sizeof tok);
        later = strcmp(tok, "oidc-token-1") != 0 && tok[0];
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    CHECK(later);
    CHECK_EQ_STR(s.form, "grant_type=client_credentials&scope=kafka");
    if (snk)
        cer_sink_kafka.close(snk);
    sasl_stub_stop(&b);
    stub_stop(&s);
}

typedef struct errors {
    pthread_mutex_t mu;
    char last[1024];
    int n;
} errors;

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    errors *e = opaque;
    if (err != RD_KAFKA_RESP_ERR__AUTHENTICATION)
        return;
    pthread_mutex_lock(&e->mu);
    snprintf(e->last, sizeof e->last, "%s", reason);
    e->n++;
    pthread_mutex_unlock(&e->mu);
}

/* A failing endpoint: the refresh callback reports set_token_failure with the reason, which the
 * application sees as an authentication error; the secret never shows. */
TEST(refresh_failure_reaches_error_callback)
{
    stub s;
    CHECK_EQ_INT(stub_start(&s, 400, "{\"error\":\"invalid_scope\"}"), 0);
    char url[128], url_prop[200], err[512] = "";
    stub_url(&s, url, sizeof url);
    snprintf(url_prop, sizeof url_prop, "cerelay.oidc.token_url=%s", url);
    const char *props[] = {"cerelay.sasl.mechanism=OAUTHBEARER_OIDC", url_prop,
                           "cerelay.oidc.client_id=cerelay", "cerelay.oidc.client_secret=" SECRET,
                           NULL};
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof err);
    int enabled = 0;
    CHECK_EQ_INT(cer__auth_configure(conf, props, &enabled, err, sizeof err), 0);
    CHECK_EQ_INT(enabled, 1);
    errors e = {.mu = PTHREAD_MUTEX_INITIALIZER};
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, &e);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    CHECK(rk != NULL);
    if (!rk)
        return;
    CHECK_EQ_INT(cer__auth_start(rk, err, sizeof err), 0);
    for (int i = 0; i < 100 && !e.n; i++)
        rd_kafka_poll(rk, 100);
    CHECK(e.n >= 1);
    CHECK_CONTAINS(e.last, "cerelay OAUTHBEARER_OIDC: token endpoint answered HTTP 400: "
                           "invalid_scope");
    CHECK(!strstr(e.last, "SEKRIT"));
    rd_kafka_destroy(rk);
    stub_stop(&s);
}
