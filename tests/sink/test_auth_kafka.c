/* Authentication against the real broker of scripts/kafka.sh (ctest label `kafka`): events
 * produced through the Kafka sink (and the emitter) with cerelay.oauthbearer.token to the
 * OAUTHBEARER listener (unsecured JWTs, 127.0.0.1:9096) and with librdkafka's SCRAM-SHA-512 to
 * the SCRAM listener (127.0.0.1:9095), checking delivery reports. Addresses and the SCRAM user
 * come from `scripts/kafka.sh env` (CER_KAFKA_*), with the script's defaults. These tests fail,
 * never skip, when the broker is not reachable. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "cerelay/emitter.h"
#include "harness.h"
#include "sink/auth.h"
#include "sink/sink.h"

#define N_EVENTS 20

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* An unsecured JWT ({"alg":"none"}, no signature) as Kafka's unsecured validator accepts. */
static void unsecured_jwt(char *out, size_t n, const char *sub, int64_t exp)
{
    char claims[256];
    int64_t now = (int64_t)time(NULL);
    snprintf(claims, sizeof claims, "{\"sub\":\"%s\",\"iat\":%lld,\"exp\":%lld}", sub,
             (long long)now, (long long)exp);
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

static ce_event *make_event(int i)
{
    char err[256], id[64];
    ce_event *e = ce_event_new();
    snprintf(id, sizeof id, "auth-%lld-%d", (long long)time(NULL), i);
    ce_event_set_str(e, "specversion", "1.0", err, sizeof err);
    ce_event_set_str(e, "id", id, err, sizeof err);
    ce_event_set_str(e, "source", "cerelay-auth-test", err, sizeof err);
    ce_event_set_str(e, "type", "cerelay.test.auth.v1", err, sizeof err);
    ce_event_set_str(e, "subject", "tenant-1", err, sizeof err);
    ce_event_set_data(e, CE_DATA_JSON, "{\"n\":1}", 7, err, sizeof err);
    return e;
}

typedef struct outcome {
    atomic_int ok, failed;
    char reason[256];
} outcome;

static void on_delivery(void *opaque, int err, const char *reason)
{
    outcome *o = opaque;
    if (err) {
        snprintf(o->reason, sizeof o->reason, "%s", reason ? reason : "?");
        atomic_fetch_add(&o->failed, 1);
    } else {
        atomic_fetch_add(&o->ok, 1);
    }
}

/* Produce N_EVENTS through the Kafka sink with `props`; returns the number delivered. */
static int produce(const char *brokers, const char *const *props, outcome *o, int timeout_ms)
{
    cer_sink_conf sc = {.topic = "cerelay-auth-test",
                        .brokers = brokers,
                        .props = props,
                        .on_delivery = on_delivery};
    cer_sink *s = NULL;
    char err[512] = "";
    int rc = cer_sink_kafka.open(&s, &sc, err, sizeof err);
    if (rc) {
        fprintf(stderr, "open: %s\n", err);
        CHECK_EQ_INT(rc, 0);
        return 0;
    }
    for (int i = 0; i < N_EVENTS; i++) {
        ce_event *e = make_event(i);
        rc = cer_sink_kafka.submit(s, e, o, err, sizeof err);
        if (rc)
            fprintf(stderr, "submit: %s\n", err);
        CHECK_EQ_INT(rc, 0);
        ce_event_destroy(e);
    }
    cer_sink_kafka.flush(s, timeout_ms);
    cer_sink_kafka.close(s);
    if (atomic_load(&o->failed))
        fprintf(stderr, "%d failed, last: %s\n", atomic_load(&o->failed), o->reason);
    return atomic_load(&o->ok);
}

TEST(static_unsecured_jwt_to_oauthbearer_listener)
{
    const char *brokers = env_or("CER_KAFKA_OAUTH_BOOTSTRAP", "127.0.0.1:9096");
    char jwt[512], prop[600];
    unsecured_jwt(jwt, sizeof jwt, env_or("CER_KAFKA_OAUTH_PRINCIPAL", "cerelay"),
                  (int64_t)time(NULL) + 3600);
    snprintf(prop, sizeof prop, "cerelay.oauthbearer.token=%s", jwt);
    const char *props[] = {prop, "security.protocol=SASL_PLAINTEXT", "message.timeout.ms=20000",
                           NULL};
    outcome o = {0};
    CHECK_EQ_INT(produce(brokers, props, &o, 30000), N_EVENTS);
    CHECK_EQ_INT(atomic_load(&o.failed), 0);
}

typedef struct sasl_verdict {
    pthread_mutex_t mu;
    char reason[512];
    int n;
} sasl_verdict;

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    sasl_verdict *v = opaque;
    if (err != RD_KAFKA_RESP_ERR__AUTHENTICATION)
        return;
    pthread_mutex_lock(&v->mu);
    snprintf(v->reason, sizeof v->reason, "%s", reason);
    v->n++;
    pthread_mutex_unlock(&v->mu);
}

/* The broker really checks the token: a token that is not a JWT is refused, nothing is
 * delivered, and every event gets a failed delivery report. */
TEST(broker_refuses_bad_token)
{
    const char *brokers = env_or("CER_KAFKA_OAUTH_BOOTSTRAP", "127.0.0.1:9096");
    const char *props[] = {"cerelay.sasl.mechanism=OAUTHBEARER",
                           "cerelay.oauthbearer.token=not-a-jwt",
                           "security.protocol=SASL_PLAINTEXT",
                           "message.timeout.ms=4000",
                           "log_level=2",
                           NULL};
    outcome o = {0};
    CHECK_EQ_INT(produce(brokers, props, &o, 15000), 0);
    CHECK_EQ_INT(atomic_load(&o.failed), N_EVENTS);

    /* ... and it is the broker saying no (not an unreachable broker): the same settings on a
     * plain producer report the broker's SASL verdict. */
    char err[512] = "";
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err);
    rd_kafka_conf_set(conf, "security.protocol", "SASL_PLAINTEXT", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    int enabled = 0;
    CHECK_EQ_INT(cer__auth_configure(conf, props, &enabled, err, sizeof err), 0);
    sasl_verdict v = {.mu = PTHREAD_MUTEX_INITIALIZER};
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, &v);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    CHECK(rk != NULL);
    if (!rk)
        return;
    CHECK_EQ_INT(cer__auth_start(rk, err, sizeof err), 0);
    for (int i = 0; i < 100 && !v.n; i++)
        rd_kafka_poll(rk, 100);
    pthread_mutex_lock(&v.mu);
    CHECK_CONTAINS(v.reason, "SASL authentication error");
    CHECK_CONTAINS(v.reason, "invalid_token");
    pthread_mutex_unlock(&v.mu);
    rd_kafka_destroy(rk);
}

TEST(scram_sha512_to_scram_listener)
{
    const char *brokers = env_or("CER_KAFKA_SCRAM_BOOTSTRAP", "127.0.0.1:9095");
    char user[200], pass[200], mech[64];
    snprintf(mech, sizeof mech, "sasl.mechanism=%s",
             env_or("CER_KAFKA_SCRAM_MECHANISM", "SCRAM-SHA-512"));
    snprintf(user, sizeof user, "sasl.username=%s", env_or("CER_KAFKA_SCRAM_USER", "cerelay"));
    snprintf(pass, sizeof pass, "sasl.password=%s",
             env_or("CER_KAFKA_SCRAM_PASSWORD", "cerelay-secret"));
    const char *props[] = {"security.protocol=SASL_PLAINTEXT", mech, user, pass,
                           "message.timeout.ms=20000",         NULL};
    outcome o = {0};
    CHECK_EQ_INT(produce(brokers, props, &o, 30000), N_EVENTS);
    CHECK_EQ_INT(atomic_load(&o.failed), 0);
}

typedef struct em_outcome {
    atomic_int ok, failed;
} em_outcome;

static void em_delivery(void *ctx, void *opaque, int err, const char *reason)
{
    em_outcome *o = ctx;
    atomic_fetch_add(err ? &o->failed : &o->ok, 1);
}

/* The emitter passes kafka.cerelay.* through to the sink like any kafka.<property>. */
TEST(emitter_static_token_to_oauthbearer_listener)
{
    char jwt[512], err[512] = "";
    unsecured_jwt(jwt, sizeof jwt, "cerelay", (int64_t)time(NULL) + 3600);
    cer_emitter_conf *c = cer_emitter_conf_new();
    const char *kv[][2] = {
        {"binding", "kafka"},
        {"kafka.brokers", env_or("CER_KAFKA_OAUTH_BOOTSTRAP", "127.0.0.1:9096")},
        {"kafka.topic", "cerelay-auth-test"},
        {"kafka.security.protocol", "SASL_PLAINTEXT"},
        {"kafka.cerelay.sasl.mechanism", "OAUTHBEARER"},
        {"kafka.cerelay.oauthbearer.token", jwt},
        {"kafka.message.timeout.ms", "20000"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++)
        CHECK_EQ_INT(cer_emitter_conf_set(c, kv[i][0], kv[i][1], err, sizeof err), 0);
    em_outcome o = {0};
    cer_emitter_conf_set_callbacks(c, em_delivery, NULL, NULL, &o);
    cer_emitter *em = NULL;
    int rc = cer_emitter_new(&em, c, err, sizeof err);
    if (rc)
        fprintf(stderr, "emitter: %s\n", err);
    CHECK_EQ_INT(rc, 0);
    cer_emitter_conf_destroy(c);
    if (!em)
        return;
    for (int i = 0; i < N_EVENTS; i++) {
        ce_event *e = make_event(i);
        CHECK_EQ_INT(cer_emitter_emit(em, e, NULL, err, sizeof err), 0);
        ce_event_destroy(e);
    }
    CHECK_EQ_INT(cer_emitter_flush(em, 30000), 0);
    cer_emitter_destroy(em, 5000);
    CHECK_EQ_INT(atomic_load(&o.ok), N_EVENTS);
    CHECK_EQ_INT(atomic_load(&o.failed), 0);
}
