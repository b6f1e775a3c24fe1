/* Tests for src/sink/auth_kafka.c: how the cerelay.* properties configure librdkafka, the errors
 * they give, that secrets stay out of messages and librdkafka's config dump, the static
 * OAUTHBEARER token end to end (fake SASL broker), and the refresh callback called directly. */
#include <stdlib.h>

#include "authtest.h"
#include "sink/sink.h"

static int configure(const char *const *props, rd_kafka_conf_t **conf_out, int *enabled, char *err,
                     size_t n)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = cer__auth_configure(conf, props, enabled, err, n);
    if (conf_out)
        *conf_out = conf;
    else
        rd_kafka_conf_destroy(conf);
    return rc;
}

static void conf_get(rd_kafka_conf_t *conf, const char *name, char *out, size_t n)
{
    size_t sz = n;
    if (rd_kafka_conf_get(conf, name, out, &sz) != RD_KAFKA_CONF_OK)
        snprintf(out, n, "(unset)");
}

TEST(own_props_are_recognised)
{
    CHECK(cer__auth_is_own_prop("cerelay.sasl.mechanism=AWS_MSK_IAM"));
    CHECK(cer__auth_is_own_prop("cerelay.anything"));
    CHECK(!cer__auth_is_own_prop("sasl.mechanism=PLAIN"));
    CHECK(!cer__auth_is_own_prop("cerelayx=1"));
    CHECK(!cer__auth_is_own_prop(NULL));
}

TEST(no_cerelay_props_leave_conf_alone)
{
    const char *props[] = {"security.protocol=SASL_SSL", "sasl.mechanism=PLAIN", NULL};
    rd_kafka_conf_t *conf;
    int enabled = 7;
    char err[256] = "";
    CHECK_EQ_INT(configure(props, &conf, &enabled, err, sizeof err), 0);
    CHECK_EQ_INT(enabled, 0);
    char v[256];
    conf_get(conf, "sasl.mechanisms", v, sizeof v);
    CHECK_EQ_STR(v, "GSSAPI"); /* librdkafka's default: untouched */
    rd_kafka_conf_destroy(conf);
    CHECK_EQ_INT(configure(NULL, NULL, &enabled, err, sizeof err), 0);
    CHECK_EQ_INT(enabled, 0);
}

TEST(msk_iam_sets_up_sasl_ssl_oauthbearer)
{
    authtest_clear_aws_env();
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SEKRIT-KEY", 1);
    setenv("AWS_REGION", "ap-south-1", 1);
    const char *props[] = {"cerelay.sasl.mechanism=aws_msk_iam", NULL};
    rd_kafka_conf_t *conf;
    int enabled = 0;
    char err[512] = "", v[1024];
    CHECK_EQ_INT(configure(props, &conf, &enabled, err, sizeof err), 0);
    CHECK_EQ_INT(enabled, 1);
    conf_get(conf, "security.protocol", v, sizeof v);
    CHECK_EQ_STR(v, "sasl_ssl");
    conf_get(conf, "sasl.mechanisms", v, sizeof v);
    CHECK_EQ_STR(v, "OAUTHBEARER");
    conf_get(conf, "sasl.oauthbearer.config", v, sizeof v);
    CHECK_EQ_STR(v, "cerelay-auth/1 mech=AWS_MSK_IAM region=ap-south-1"); /* region resolved */
    rd_kafka_conf_destroy(conf);

    /* A security.protocol the user chose is kept. */
    const char *props2[] = {"security.protocol=SASL_PLAINTEXT",
                            "cerelay.sasl.mechanism=AWS_MSK_IAM", "cerelay.aws.region=us-east-1",
                            NULL};
    CHECK_EQ_INT(configure(props2, &conf, &enabled, err, sizeof err), 0);
    CHECK_EQ_INT(rd_kafka_conf_set(conf, "security.protocol", "SASL_PLAINTEXT", err, sizeof err),
                 RD_KAFKA_CONF_OK); /* the sink sets user properties first */
    conf_get(conf, "security.protocol", v, sizeof v);
    CHECK_EQ_STR(v, "sasl_plaintext");
    conf_get(conf, "sasl.oauthbearer.config", v, sizeof v);
    CHECK_EQ_STR(v, "cerelay-auth/1 mech=AWS_MSK_IAM region=us-east-1");
    rd_kafka_conf_destroy(conf);
    authtest_clear_aws_env();
}

TEST(configuration_errors_name_the_property)
{
    authtest_clear_aws_env();
    static const struct {
        const char *props[6];
        const char *msg;
    } cases[] = {
        {{"cerelay.sasl.mechanizm=AWS_MSK_IAM"}, "unknown property 'cerelay.sasl.mechanizm'"},
        {{"cerelay.aws.region=us-east-1"}, "cerelay.sasl.mechanism is not set"},
        {{"cerelay.sasl.mechanism=KERBEROS"}, "not 'KERBEROS'"},
        {{"cerelay.sasl.mechanism=OAUTHBEARER_OIDC", "cerelay.oidc.client_id=x"},
         "needs cerelay.oidc.token_url"},
        {{"cerelay.sasl.mechanism=OAUTHBEARER_OIDC", "cerelay.oidc.token_url=https://idp/t",
          "cerelay.oidc.client_id=x"},
         "needs cerelay.oidc.client_secret"},
        {{"cerelay.sasl.mechanism=OAUTHBEARER_OIDC", "cerelay.oidc.token_url=ftp://idp/t",
          "cerelay.oidc.client_id=x", "cerelay.oidc.client_secret=SEKRIT"},
         "must be an http:// or https:// URL"},
        {{"cerelay.sasl.mechanism=OAUTHBEARER_OIDC", "cerelay.oidc.token_url=https://idp/t",
          "cerelay.oidc.client_id=x", "cerelay.oidc.client_secret=SEKRIT",
          "cerelay.aws.region=us-east-1"},
         "cerelay.aws.region does not apply to cerelay.sasl.mechanism=OAUTHBEARER_OIDC"},
        {{"cerelay.sasl.mechanism=OAUTHBEARER"}, "needs cerelay.oauthbearer.token"},
        {{"cerelay.oauthbearer.token=t", "sasl.mechanism=PLAIN"},
         "kafka property 'sasl.mechanism' conflicts with cerelay.sasl.mechanism=OAUTHBEARER"},
        {{"cerelay.oauthbearer.token=t", "enable.sasl.oauthbearer.unsecure.jwt=true"},
         "'enable.sasl.oauthbearer.unsecure.jwt' conflicts"},
        {{"cerelay.oauthbearer.token=t", "sasl.oauthbearer.config=x"},
         "'sasl.oauthbearer.config' conflicts"},
        {{"cerelay.sasl.mechanism=AWS_MSK_IAM"}, "set cerelay.aws.region"},
        {{"cerelay.sasl.mechanism=AWS_MSK_IAM", "cerelay.aws.region=Not A Region"},
         "is not an AWS region name"},
        {{"cerelay.sasl.mechanism"}, "expected name=value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int enabled = 0;
        char err[512] = "";
        int rc = configure(cases[i].props, NULL, &enabled, err, sizeof err);
        CHECK(rc != 0);
        CHECK_EQ_INT(enabled, 0);
        CHECK_CONTAINS(err, cases[i].msg);
        CHECK(!strstr(err, "SEKRIT"));
    }
}

typedef struct logbuf {
    pthread_mutex_t mu;
    char text[65536];
    size_t len;
} logbuf;

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    logbuf *l = rd_kafka_opaque(rk);
    pthread_mutex_lock(&l->mu);
    int n = snprintf(l->text + l->len, sizeof l->text - l->len, "%s\n", buf);
    if (n > 0 && l->len + (size_t)n < sizeof l->text)
        l->len += (size_t)n;
    pthread_mutex_unlock(&l->mu);
}

/* The settings travel in sasl.oauthbearer.config, which librdkafka marks sensitive: its debug
 * log shows "[redacted]". (rd_kafka_conf_dump and rd_kafka_conf_get show it, as they show
 * sasl.password: only the application can call those.) */
TEST(secrets_stay_out_of_librdkafka_logs)
{
    const char *props[] = {"cerelay.sasl.mechanism=OAUTHBEARER_OIDC",
                           "cerelay.oidc.token_url=http://127.0.0.1:1/token",
                           "cerelay.oidc.client_id=cerelay",
                           "cerelay.oidc.client_secret=SEKRIT value&=%",
                           "cerelay.oidc.client_auth=post",
                           "cerelay.oidc.timeout_ms=2500",
                           NULL};
    rd_kafka_conf_t *conf;
    int enabled = 0;
    char err[512] = "", v[512];
    CHECK_EQ_INT(configure(props, &conf, &enabled, err, sizeof err), 0);
    conf_get(conf, "sasl.oauthbearer.config", v, sizeof v);
    /* percent-encoded, so spaces and '=' in values cannot break the string apart */
    CHECK_EQ_STR(v, "cerelay-auth/1 mech=OAUTHBEARER_OIDC url=http%3A%2F%2F127.0.0.1%3A1%2Ftoken "
                    "id=cerelay secret=SEKRIT%20value%26%3D%25 auth=post timeout=2500");
    static logbuf l = {.mu = PTHREAD_MUTEX_INITIALIZER};
    rd_kafka_conf_set(conf, "debug", "conf,security", err, sizeof err);
    rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof err);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_opaque(conf, &l);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    CHECK(rk != NULL);
    if (rk) {
        CHECK_EQ_INT(cer__auth_start(rk, err, sizeof err), 0);
        struct timespec ts = {0, 300 * 1000000L};
        nanosleep(&ts, NULL);
        rd_kafka_destroy(rk);
    }
    pthread_mutex_lock(&l.mu);
    CHECK_CONTAINS(l.text, "sasl.oauthbearer.config = [redacted]");
    CHECK(!strstr(l.text, "SEKRIT"));
    pthread_mutex_unlock(&l.mu);
}

/* ------------------------------------------------------------------ static tokens --- */

static void jwt(char *out, size_t n, const char *claims)
{
    ce_buf b;
    ce_buf_init(&b);
    ce_base64_encode("{\"alg\":\"none\"}", 14, &b);
    ce_buf_append(&b, ".", 1);
    ce_base64_encode(claims, strlen(claims), &b);
    ce_buf_append(&b, ".", 1);
    size_t w = 0;
    for (size_t i = 0; i < b.len && w + 1 < n; i++)
        if (b.ptr[i] != '=')
            out[w++] = b.ptr[i] == '+' ? '-' : b.ptr[i] == '/' ? '_' : b.ptr[i];
    out[w] = '\0';
    ce_buf_free(&b);
}

TEST(sink_sends_static_token)
{
    sasl_stub b;
    CHECK_EQ_INT(sasl_stub_start(&b), 0);
    const char *props[] = {"cerelay.oauthbearer.token=static-opaque-token",
                           "cerelay.oauthbearer.principal=svc", "security.protocol=SASL_PLAINTEXT",
                           "log_level=2", NULL};
    cer_sink_conf sc = {.topic = "t", .brokers = b.addr, .props = props};
    cer_sink *s = NULL;
    char err[512] = "", tok[256];
    CHECK_EQ_INT(cer_sink_kafka.open(&s, &sc, err, sizeof err), 0);
    CHECK(sasl_stub_wait(&b, 1, 10000) >= 1);
    sasl_stub_token(&b, tok, sizeof tok);
    CHECK_EQ_STR(tok, "static-opaque-token");
    if (s)
        cer_sink_kafka.close(s);
    sasl_stub_stop(&b);
}

typedef struct errs {
    pthread_mutex_t mu;
    char last[1024];
    int n;
} errs;

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    errs *e = opaque;
    if (err != RD_KAFKA_RESP_ERR__AUTHENTICATION)
        return;
    pthread_mutex_lock(&e->mu);
    snprintf(e->last, sizeof e->last, "%s", reason);
    e->n++;
    pthread_mutex_unlock(&e->mu);
}

/* A producer with cerelay's configuration but no background callbacks: calling the refresh
 * callback directly must hand librdkafka a token or a failure. */
static rd_kafka_t *producer(const char *const *props, errs *e)
{
    char err[512] = "";
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    int enabled = 0;
    CHECK_EQ_INT(cer__auth_configure(conf, props, &enabled, err, sizeof err), 0);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, e);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    CHECK(rk != NULL);
    return rk;
}

static void poll_errors(rd_kafka_t *rk, errs *e, int want)
{
    for (int i = 0; i < 50 && e->n < want; i++)
        rd_kafka_poll(rk, 100);
}

TEST(refresh_callback_direct)
{
    errs e = {.mu = PTHREAD_MUTEX_INITIALIZER};
    char expired[256], valid[256];
    jwt(expired, sizeof expired, "{\"sub\":\"cerelay\",\"exp\":1000}");
    jwt(valid, sizeof valid, "{\"sub\":\"cerelay\",\"exp\":4102444800}");
    char prop[400];
    snprintf(prop, sizeof prop, "cerelay.oauthbearer.token=%s", valid);
    const char *props[] = {prop, NULL};
    rd_kafka_t *rk = producer(props, &e);
    if (!rk)
        return;
    /* A cerelay conf string with a valid token: accepted, no error. */
    cer__auth_refresh_cb(rk, "cerelay-auth/1 mech=OAUTHBEARER token=abc principal=p", NULL);
    /* Not cerelay's string: failure with the reason. */
    cer__auth_refresh_cb(rk, "principal=x", NULL);
    poll_errors(rk, &e, 1);
    CHECK(e.n >= 1);
    CHECK_CONTAINS(e.last, "sasl.oauthbearer.config was not written by cerelay");
    /* An expired JWT: librdkafka refuses it and the failure says so. */
    char cfg[400];
    snprintf(cfg, sizeof cfg, "cerelay-auth/1 mech=OAUTHBEARER token=%s", expired);
    int before = e.n;
    cer__auth_refresh_cb(rk, cfg, NULL);
    poll_errors(rk, &e, before + 1);
    CHECK(e.n > before);
    CHECK_CONTAINS(e.last, "cerelay OAUTHBEARER: librdkafka refused the token");
    /* MSK IAM without credentials at refresh time: the failure names what is missing. */
    authtest_clear_aws_env();
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/c", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/f", 1);
    before = e.n;
    cer__auth_refresh_cb(rk, "cerelay-auth/1 mech=AWS_MSK_IAM region=us-east-1", NULL);
    poll_errors(rk, &e, before + 1);
    CHECK_CONTAINS(e.last, "cerelay AWS_MSK_IAM: no AWS credentials");
    authtest_clear_aws_env();
    rd_kafka_destroy(rk);
}
