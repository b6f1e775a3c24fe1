/* Tests for the relay configuration (src/relay/config.c and the yaml_* files it uses): defaults,
 * every section, every class of error with its exact position and key, ${VAR} expansion,
 * secrets in the dump, sizes and durations, caps, and allocation failures. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"
#include "harness.h"
#include "relay/config.h"
#include "relay/yaml_schema.h"

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------ */
static const char *const test_env[][2] = {
    {"KAFKA_PASSWORD", "s3cret-kafka"},
    {"OIDC_SECRET", "s3cret-oidc"},
    {"EVENTS_TOKEN", "s3cret-events"},
    {"SECOND_TOKEN", "s3cret-bearer"},
    {"MASK_KEY", "s3cret-mask"},
    {"PORT", "9092"},
    {"EMPTY", ""},
    {"BROKERS", "a:1, b:2"},
};

static const char *fake_getenv(void *ctx, const char *name)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof test_env / sizeof *test_env; i++)
        if (strcmp(test_env[i][0], name) == 0)
            return test_env[i][1];
    return NULL;
}

static const cer_config_opts env_opts = {.getenv_fn = fake_getenv};
static char err[16384];

/* Load `yaml` with the fake environment; returns the result code, errors in `err`. */
static int load(const char *yaml, cer_config *cfg)
{
    return cer_config_load_string_opts(yaml, strlen(yaml), "t.yaml", &env_opts, cfg, err,
                                       sizeof err);
}

/* The load must fail with exactly `want` (all lines) in err. */
static void expect_errors(int line, const char *yaml, const char *want)
{
    cer_config cfg;
    int rc = load(yaml, &cfg);
    if (rc != CE_EINVAL)
        cer_test_fail(__FILE__, line, "rc %d (%s), expected CE_EINVAL; err: %s", rc,
                      ce_err_name(rc), err);
    if (strcmp(err, want) != 0)
        cer_test_fail(__FILE__, line, "errors:\n  got:      \"%s\"\n  expected: \"%s\"", err, want);
    cer_config_free(&cfg);
}
#define EXPECT_ERRORS(yaml, want) expect_errors(__LINE__, yaml, want)

static void expect_ok(int line, const char *yaml, cer_config *cfg)
{
    int rc = load(yaml, cfg);
    if (rc != 0)
        cer_test_fail(__FILE__, line, "rc %d, err: %s", rc, err);
}
#define EXPECT_OK(yaml, cfg) expect_ok(__LINE__, yaml, cfg)

static char *dump(const cer_config *cfg)
{
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(cer_config_dump(cfg, &b), 0);
    char *s = malloc(b.len + 1);
    memcpy(s, b.ptr, b.len);
    s[b.len] = '\0';
    ce_buf_free(&b);
    return s;
}

static char *golden(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/relay/golden/%s", name);
    return cer_test_read_file(cer_test_src_path(rel), NULL);
}

static size_t count_lines(const char *s)
{
    size_t n = *s != '\0';
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---------------------------------------------------------------------------------------------
 * Defaults and the full golden file
 * ------------------------------------------------------------------------------------------ */
TEST(defaults)
{
    cer_config c;
    cer_config_default(&c);
    CHECK(c.source == NULL);
    CHECK_EQ_INT(c.binding, CER_CONFIG_BINDING_LOG);
    CHECK_EQ_STR(c.listen.events, "127.0.0.1:8080");
    CHECK_EQ_STR(c.listen.otlp, "127.0.0.1:4318");
    CHECK_EQ_STR(c.log.dir, "./var/cerelay");
    CHECK_EQ_INT(c.ack, CER_CONFIG_ACK_LOCAL);
    CHECK_EQ_INT(c.kafka.brokers.n, 0);
    CHECK_EQ_STR(c.kafka.topic, "{type}");
    CHECK(c.kafka.key == NULL);
    CHECK_EQ_INT(c.kafka.mode, CE_MODE_BINARY);
    CHECK(!c.kafka.tls.enabled);
    CHECK(c.kafka.tls.verify_hostname);
    CHECK_EQ_INT(c.kafka.sasl.mechanism, CER_CONFIG_SASL_NONE);
    CHECK_EQ_INT(c.kafka.compression, CER_CONFIG_COMPRESSION_LZ4);
    CHECK_EQ_INT(c.kafka.linger_ms, 5);
    CHECK_EQ_INT(c.http.mode, CE_MODE_BATCH);
    CHECK_EQ_INT(c.http.batch_size, 50);
    CHECK_EQ_INT(c.http.flush_interval_ms, 5000);
    CHECK_EQ_INT(c.http.timeout_ms, 30000);
    CHECK(c.http.tls.verify);
    CHECK_EQ_INT(c.log.partitions, 1);
    CHECK_EQ_INT(c.log.fsync, CER_CONFIG_FSYNC_ALWAYS);
    CHECK_EQ_INT(c.log.fsync_interval_ms, 1000);
    CHECK_EQ_INT(c.log.segment_bytes, 128 << 20);
    CHECK_EQ_INT(c.log.retention.bytes, 0);
    CHECK_EQ_INT(c.log.retention.age_ms, 168 * 3600 * 1000LL);
    CHECK_EQ_INT(c.nroutes, 0);
    CHECK_EQ_INT(c.buffer.type, CER_CONFIG_BUFFER_DISK);
    CHECK_EQ_STR(c.buffer.dir, "./var/cerelay/buffer");
    CHECK_EQ_INT(c.buffer.max_bytes, 1LL << 30);
    CHECK_EQ_INT(c.buffer.when_full, CER_CONFIG_WHEN_FULL_BLOCK);
    CHECK_EQ_INT(c.limits.max_body_bytes, 8 << 20);
    CHECK_EQ_INT(c.limits.max_event_bytes, 1 << 20);
    CHECK_EQ_INT(c.limits.max_batch_events, 10000);
    CHECK_EQ_INT(c.limits.max_memory_bytes, 256 << 20);
    CHECK(c.metrics.enabled);
    CHECK_EQ_STR(c.metrics.path, "/metrics");
    CHECK_EQ_INT(c.logging.format, CER_CONFIG_LOG_TEXT);
    CHECK_EQ_INT(c.logging.level, CER_CONFIG_LEVEL_INFO);
    CHECK_EQ_STR(c.otlp.event_name_attribute, "event.name");
    CHECK_EQ_STR(c.otlp.default_type, "io.opentelemetry.log");
    CHECK_EQ_INT(c.otlp.spans, CER_CONFIG_SPANS_GENAI);
    CHECK_EQ_STR(c.otlp.tenant_attribute, "tenant_id");
    CHECK_EQ_STR(c.otlp.user_attribute, "user_id");
    CHECK(!c.otlp.allow_content);
    CHECK(c.dead_letter.topic == NULL && c.dead_letter.log_dir == NULL);
    CHECK_EQ_INT(c.shutdown.drain_timeout_ms, 30000);
    CHECK_EQ_INT(c.policy.default_action, CER_CONFIG_ALLOW);
    CHECK(c.policy.opa.url == NULL);
    CHECK_EQ_INT(c.policy.opa.timeout_ms, 500);
    CHECK_EQ_INT(c.policy.opa.cache_ttl_ms, 10000);
    CHECK_EQ_INT(c.policy.opa.fail, CER_CONFIG_DENY);
    CHECK(!c.policy.dead_letter);
    CHECK(c.masking.key == NULL);
    CHECK_EQ_INT(c.masking.detectors, CER_CONFIG_DETECT_ALL);
    CHECK(!c.masking.allow_content);
    CHECK(c.mem_ == NULL);
    CHECK_EQ_STR(cer_config_binding_name(c.binding), "log");
    CHECK_EQ_STR(cer_config_ack_name(c.ack), "local");
    CHECK(cer_config_binding_name(99) == NULL);
    cer_config_free(&c); /* allowed, a no-op */
    cer_config_free(NULL);
}

TEST(defaults_dump_golden)
{
    cer_config c;
    cer_config_default(&c);
    char *got = dump(&c), *want = golden("default.dump.yaml");
    if (want)
        CHECK_EQ_STR(got, want);
    free(got);
    free(want);
}

TEST(empty_documents_are_defaults)
{
    static const char *const docs[] = {"", "# nothing\n", "---\n", "---\n...\n", "~\n", "{}\n"};
    cer_config d;
    cer_config_default(&d);
    char *want = dump(&d);
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        cer_config c;
        EXPECT_OK(docs[i], &c);
        char *got = dump(&c);
        CHECK_EQ_STR(got, want);
        free(got);
        cer_config_free(&c);
    }
    free(want);
}

TEST(full_file_every_section)
{
    cer_config c;
    const char *path = cer_test_src_path("tests/relay/golden/full.yaml");
    int rc = cer_config_load_opts(path, &env_opts, &c, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_EQ_STR(c.source, "https://orders.acme.com");
    CHECK_EQ_INT(c.binding, CER_CONFIG_BINDING_KAFKA);
    /* kafka */
    CHECK_EQ_INT(c.kafka.brokers.n, 2);
    CHECK_EQ_STR(c.kafka.brokers.v[0], "kafka-1:9092");
    CHECK_EQ_STR(c.kafka.brokers.v[1], "kafka-2:9093");
    CHECK_EQ_STR(c.kafka.topic, "events.{type}");
    CHECK_EQ_STR(c.kafka.key, "{tenantid}/{subject}");
    CHECK_EQ_INT(c.kafka.mode, CE_MODE_STRUCTURED);
    CHECK(c.kafka.tls.enabled);
    CHECK_EQ_STR(c.kafka.tls.ca, "/etc/cerelay/ca.pem");
    CHECK_EQ_STR(c.kafka.tls.cert, "/etc/cerelay/client.pem");
    CHECK_EQ_STR(c.kafka.tls.key, "/etc/cerelay/client.key");
    CHECK(!c.kafka.tls.verify_hostname);
    CHECK_EQ_INT(c.kafka.sasl.mechanism, CER_CONFIG_SASL_OAUTHBEARER);
    CHECK_EQ_STR(c.kafka.sasl.username, "relay");
    CHECK_EQ_STR(c.kafka.sasl.password, "s3cret-kafka");
    CHECK(c.kafka.sasl.token == NULL);
    CHECK_EQ_STR(c.kafka.sasl.oidc.token_url, "https://login.acme.com/oauth2/token");
    CHECK_EQ_STR(c.kafka.sasl.oidc.client_id, "cerelay");
    CHECK_EQ_STR(c.kafka.sasl.oidc.client_secret, "s3cret-oidc");
    CHECK_EQ_STR(c.kafka.sasl.oidc.scope, "kafka");
    CHECK_EQ_STR(c.kafka.sasl.aws.region, "eu-west-1");
    CHECK_EQ_STR(c.kafka.sasl.aws.profile, "relay");
    CHECK_EQ_INT(c.kafka.compression, CER_CONFIG_COMPRESSION_ZSTD);
    CHECK_EQ_INT(c.kafka.linger_ms, 20);
    CHECK_EQ_INT(c.kafka.properties.n, 3);
    CHECK_EQ_STR(c.kafka.properties.v[0].name, "socket.timeout.ms");
    CHECK_EQ_STR(c.kafka.properties.v[0].value, "30000");
    CHECK(!c.kafka.properties.v[0].secret);
    CHECK_EQ_STR(c.kafka.properties.v[1].value, "logicalCluster=lkc-1");
    CHECK(c.kafka.properties.v[2].secret); /* ssl.key.password */
    /* http */
    CHECK_EQ_STR(c.http.endpoint, "https://events.acme.internal/ingest");
    CHECK_EQ_INT(c.http.headers.n, 3);
    CHECK_EQ_STR(c.http.headers.v[0].name, "Authorization");
    CHECK_EQ_STR(c.http.headers.v[0].value, "Bearer s3cret-events");
    CHECK(c.http.headers.v[0].secret);
    CHECK(c.http.headers.v[1].secret); /* X-Api-Key */
    CHECK(!c.http.headers.v[2].secret);
    CHECK_EQ_INT(c.http.mode, CE_MODE_STRUCTURED);
    CHECK_EQ_INT(c.http.batch_size, 100);
    CHECK_EQ_INT(c.http.flush_interval_ms, 250);
    CHECK_EQ_INT(c.http.timeout_ms, 120000);
    CHECK_EQ_STR(c.http.tls.ca, "/etc/ssl/acme.pem");
    CHECK(!c.http.tls.verify);
    /* log */
    CHECK_EQ_STR(c.log.dir, "/var/lib/cerelay");
    CHECK_EQ_INT(c.log.partitions, 3);
    CHECK_EQ_INT(c.log.fsync, CER_CONFIG_FSYNC_INTERVAL);
    CHECK_EQ_INT(c.log.fsync_interval_ms, 200);
    CHECK_EQ_INT(c.log.segment_bytes, 64 << 20);
    CHECK_EQ_INT(c.log.retention.bytes, 10LL << 30);
    CHECK_EQ_INT(c.log.retention.age_ms, 72 * 3600 * 1000LL);
    /* listen */
    CHECK_EQ_STR(c.listen.events, "0.0.0.0:9080");
    CHECK_EQ_STR(c.listen.otlp, "");
    CHECK_EQ_STR(c.listen.tls.cert, "/etc/cerelay/server.pem");
    CHECK_EQ_STR(c.listen.tls.key, "/etc/cerelay/server.key");
    CHECK_EQ_INT(c.listen.auth.bearer_tokens.n, 2);
    CHECK_EQ_STR(c.listen.auth.bearer_tokens.v[1], "s3cret-bearer");
    /* routes */
    CHECK_EQ_INT(c.nroutes, 2);
    CHECK_EQ_STR(c.routes[0].match, "eventzr.llm.*");
    CHECK_EQ_STR(c.routes[0].topic, "llm.{type}");
    CHECK_EQ_STR(c.routes[0].key, "{tenantid}");
    CHECK_EQ_STR(c.routes[1].match, "io.coresdk.?uth.*");
    CHECK(c.routes[1].topic == NULL && c.routes[1].key == NULL);
    /* buffer, ack, limits */
    CHECK_EQ_INT(c.buffer.type, CER_CONFIG_BUFFER_MEMORY);
    CHECK_EQ_STR(c.buffer.dir, "/tmp/cerelay-buffer");
    CHECK_EQ_INT(c.buffer.max_bytes, 512 << 20);
    CHECK_EQ_INT(c.buffer.when_full, CER_CONFIG_WHEN_FULL_DROP_OLDEST);
    CHECK_EQ_INT(c.ack, CER_CONFIG_ACK_REMOTE);
    CHECK_EQ_INT(c.limits.max_body_bytes, 16 << 20);
    CHECK_EQ_INT(c.limits.max_event_bytes, 2 << 20);
    CHECK_EQ_INT(c.limits.max_batch_events, 500);
    CHECK_EQ_INT(c.limits.max_memory_bytes, 1LL << 30);
    /* metrics, logging, otlp, dead_letter, shutdown */
    CHECK(!c.metrics.enabled);
    CHECK_EQ_STR(c.metrics.path, "/internal/metrics");
    CHECK_EQ_INT(c.logging.format, CER_CONFIG_LOG_JSON);
    CHECK_EQ_INT(c.logging.level, CER_CONFIG_LEVEL_DEBUG);
    CHECK_EQ_STR(c.otlp.event_name_attribute, "cloudevents.type");
    CHECK_EQ_STR(c.otlp.default_type, "com.acme.log");
    CHECK_EQ_INT(c.otlp.spans, CER_CONFIG_SPANS_ALL);
    CHECK_EQ_STR(c.otlp.tenant_attribute, "acme.tenant");
    CHECK_EQ_STR(c.otlp.user_attribute, "enduser.id");
    CHECK(c.otlp.allow_content);
    CHECK_EQ_STR(c.dead_letter.topic, "cerelay.dead-letter");
    CHECK(c.dead_letter.log_dir == NULL);
    CHECK_EQ_INT(c.shutdown.drain_timeout_ms, 90000);
    /* policy */
    CHECK_EQ_INT(c.policy.default_action, CER_CONFIG_DENY);
    CHECK_EQ_INT(c.policy.nrules, 2);
    CHECK_EQ_STR(c.policy.rules[0].name, "allow-llm");
    CHECK_EQ_INT(c.policy.rules[0].action, CER_CONFIG_ALLOW);
    CHECK_EQ_STR(c.policy.rules[0].when, "type LIKE 'eventzr.llm.%'");
    CHECK_EQ_STR(c.policy.rules[1].name, "no-debug");
    CHECK_EQ_INT(c.policy.rules[1].action, CER_CONFIG_DENY);
    CHECK_EQ_STR(c.policy.opa.url, "http://127.0.0.1:8181");
    CHECK_EQ_STR(c.policy.opa.path, "acme/cloudevents-egress");
    CHECK_EQ_INT(c.policy.opa.timeout_ms, 750);
    CHECK_EQ_INT(c.policy.opa.cache_ttl_ms, 0);
    CHECK_EQ_INT(c.policy.opa.fail, CER_CONFIG_ALLOW);
    CHECK(c.policy.dead_letter);
    /* masking */
    CHECK_EQ_STR(c.masking.key, "s3cret-mask");
    CHECK_EQ_INT(c.masking.nrules, 4);
    CHECK_EQ_STR(c.masking.rules[0].name, "user");
    CHECK_EQ_STR(c.masking.rules[0].path, "/data/userId");
    CHECK_EQ_INT(c.masking.rules[0].action, CER_CONFIG_MASK_HASH);
    CHECK_EQ_INT(c.masking.rules[0].length, 12);
    CHECK_EQ_INT(c.masking.rules[1].action, CER_CONFIG_MASK_TRUNCATE);
    CHECK_EQ_INT(c.masking.rules[2].action, CER_CONFIG_MASK_REDACT);
    CHECK_EQ_INT(c.masking.rules[2].length, 8); /* default */
    CHECK_EQ_STR(c.masking.rules[3].path, "/data/gen_ai~1prompt");
    CHECK_EQ_INT(c.masking.rules[3].action, CER_CONFIG_MASK_DROP);
    CHECK_EQ_INT(c.masking.detectors,
                 CER_CONFIG_DETECT_EMAIL | CER_CONFIG_DETECT_CARD | CER_CONFIG_DETECT_JWT);
    CHECK(c.masking.allow_content);
    CHECK(c.mem_ != NULL);
    cer_config_free(&c);
    CHECK(c.mem_ == NULL);
    CHECK(c.source == NULL); /* free resets to the defaults */
}

TEST(full_dump_golden_and_secrets_redacted)
{
    cer_config c;
    const char *path = cer_test_src_path("tests/relay/golden/full.yaml");
    CHECK_EQ_INT(cer_config_load_opts(path, &env_opts, &c, err, sizeof err), 0);
    char *got = dump(&c), *want = golden("full.dump.yaml");
    if (want)
        CHECK_EQ_STR(got, want);
    /* no secret value appears anywhere; each secret field reads "<redacted>" */
    CHECK(strstr(got, "s3cret") == NULL);
    CHECK(strstr(got, "hunter2") == NULL);
    CHECK(strstr(got, "tok-one") == NULL);
    CHECK(strstr(got, "k-123") == NULL);
    CHECK_CONTAINS(got, "    password: \"<redacted>\"\n");
    CHECK_CONTAINS(got, "      client_secret: \"<redacted>\"\n");
    CHECK_CONTAINS(got, "    \"Authorization\": \"<redacted>\"\n");
    CHECK_CONTAINS(got, "    \"X-Tenant\": \"acme\"\n");
    CHECK_CONTAINS(got, "    \"ssl.key.password\": \"<redacted>\"\n");
    CHECK_CONTAINS(got, "      - \"<redacted>\"\n      - \"<redacted>\"\n");
    CHECK_CONTAINS(got, "  key: \"<redacted>\"\n");
    CHECK_CONTAINS(got, "    token: null\n"); /* unset secrets say so */
    free(got);
    free(want);
    cer_config_free(&c);
}

TEST(dump_escapes_what_yaml_would_change)
{
    cer_config c, again;
    EXPECT_OK("kafka:\n  properties:\n    a: \"x\\x01y\\ttab\"\n    b: \"p\\Nq\\Lr\\u00e9\\\"\"\n"
              "    c: 't-$${v} $$${w}'\n",
              &c);
    CHECK_EQ_INT(c.kafka.properties.n, 3);
    if (c.kafka.properties.n != 3)
        return;
    CHECK_EQ_STR(c.kafka.properties.v[0].value, "x\x01y\ttab");
    CHECK_EQ_STR(c.kafka.properties.v[1].value, "p\xC2\x85q\xE2\x80\xA8r\xC3\xA9\"");
    CHECK_EQ_STR(c.kafka.properties.v[2].value, "t-${v} $${w}");
    char *one = dump(&c);
    CHECK_CONTAINS(one, "    \"a\": \"x\\x01y\\ttab\"\n");
    CHECK_CONTAINS(one, "    \"b\": \"p\\x85q\\u2028r\xC3\xA9\\\"\"\n");
    CHECK_CONTAINS(one, "    \"c\": \"t-$${v} $$${w}\"\n");
    EXPECT_OK(one, &again);
    char *two = dump(&again);
    CHECK_EQ_STR(two, one);
    free(one);
    free(two);
    cer_config_free(&c);
    cer_config_free(&again);
}

TEST(dump_reloads_to_the_same_dump)
{
    cer_config c, again;
    const char *path = cer_test_src_path("tests/relay/golden/full.yaml");
    CHECK_EQ_INT(cer_config_load_opts(path, &env_opts, &c, err, sizeof err), 0);
    char *one = dump(&c);
    EXPECT_OK(one, &again);
    char *two = dump(&again);
    CHECK_EQ_STR(two, one);
    free(one);
    free(two);
    cer_config_free(&c);
    cer_config_free(&again);
    /* the defaults too (every section present, most values null) */
    cer_config_default(&c);
    one = dump(&c);
    EXPECT_OK(one, &again);
    two = dump(&again);
    CHECK_EQ_STR(two, one);
    free(one);
    free(two);
    cer_config_free(&again);
}

/* ---------------------------------------------------------------------------------------------
 * Scalars
 * ------------------------------------------------------------------------------------------ */
TEST(sizes)
{
    static const struct {
        const char *s;
        uint64_t v;
    } ok[] = {{"0", 0},
              {"512", 512},
              {"512B", 512},
              {"512KiB", 512 << 10},
              {"8MiB", 8 << 20},
              {"8 MiB", 8 << 20},
              {"8mib", 8 << 20},
              {"64K", 64 << 10},
              {"1GB", 1000000000},
              {"1gb", 1000000000},
              {"10KB", 10000},
              {"1MB", 1000000},
              {"1G", 1 << 30},
              {"10GiB", 10ULL << 30},
              {"2TiB", 2ULL << 40},
              {"3TB", 3000000000000ULL},
              {"18446744073709551615", UINT64_MAX}};
    static const char *const bad[] = {"",
                                      "MiB",
                                      "-1",
                                      "1.5GiB",
                                      "8 Mb x",
                                      "1PiB",
                                      "8MiBs",
                                      " 8",
                                      "18446744073709551616",
                                      "17179869184GiB",
                                      "0x10"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        uint64_t v = 1;
        CHECK_EQ_INT(cer__yparse_size(ok[i].s, &v), 0);
        if (v != ok[i].v)
            cer_test_fail(__FILE__, __LINE__, "size '%s' = %llu", ok[i].s, (unsigned long long)v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t v;
        if (cer__yparse_size(bad[i], &v) == 0)
            cer_test_fail(__FILE__, __LINE__, "size '%s' accepted", bad[i]);
    }
    char buf[32];
    cer__yfmt_size(8 << 20, buf, sizeof buf);
    CHECK_EQ_STR(buf, "8MiB");
    cer__yfmt_size(1000000000, buf, sizeof buf);
    CHECK_EQ_STR(buf, "1000000000");
    cer__yfmt_size(1536, buf, sizeof buf);
    CHECK_EQ_STR(buf, "1536");
    cer__yfmt_size(0, buf, sizeof buf);
    CHECK_EQ_STR(buf, "0");
}

TEST(durations)
{
    static const struct {
        const char *s;
        uint64_t ms;
    } ok[] = {{"5", 5000},       {"0", 0},           {"5s", 5000},
              {"250ms", 250},    {"2m", 120000},     {"168h", 604800000},
              {"1d", 86400000},  {"1h30m", 5400000}, {"1m30s", 90000},
              {"1s500ms", 1500}, {"0ms", 0}};
    static const char *const bad[] = {"",
                                      "s",
                                      "5x",
                                      "5 s",
                                      "-5",
                                      "1.5s",
                                      "5S",
                                      "ms",
                                      "18446744073709551615",
                                      "99999999999999999999d"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        uint64_t v = 1;
        CHECK_EQ_INT(cer__yparse_duration(ok[i].s, &v), 0);
        if (v != ok[i].ms)
            cer_test_fail(__FILE__, __LINE__, "duration '%s' = %llu", ok[i].s,
                          (unsigned long long)v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t v;
        if (cer__yparse_duration(bad[i], &v) == 0)
            cer_test_fail(__FILE__, __LINE__, "duration '%s' accepted", bad[i]);
    }
    char buf[32];
    cer__yfmt_duration(604800000, buf, sizeof buf);
    CHECK_EQ_STR(buf, "168h");
    cer__yfmt_duration(90000, buf, sizeof buf);
    CHECK_EQ_STR(buf, "90s");
    cer__yfmt_duration(250, buf, sizeof buf);
    CHECK_EQ_STR(buf, "250ms");
    cer__yfmt_duration(0, buf, sizeof buf);
    CHECK_EQ_STR(buf, "0s");
}

TEST(sizes_and_durations_in_files)
{
    cer_config c;
    EXPECT_OK("log: {segment_bytes: 3072KiB, fsync_interval: 250ms, retention: {bytes: 1GB, "
              "age: 2m}}\nhttp: {flush_interval: 5, timeout: 5s}\n",
              &c);
    CHECK_EQ_INT(c.log.segment_bytes, 3 << 20);
    CHECK_EQ_INT(c.log.fsync_interval_ms, 250);
    CHECK_EQ_INT(c.log.retention.bytes, 1000000000);
    CHECK_EQ_INT(c.log.retention.age_ms, 120000);
    CHECK_EQ_INT(c.http.flush_interval_ms, 5000);
    CHECK_EQ_INT(c.http.timeout_ms, 5000);
    cer_config_free(&c);
}

TEST(booleans_enums_and_nulls)
{
    cer_config c;
    /* enum names are case-insensitive; true/false in three spellings; null keeps defaults */
    EXPECT_OK("binding: KAFKA\nkafka: {brokers: 'k:1', compression: GZip, tls: True, "
              "sasl: {mechanism: scram-sha-256, username: u, password: p}, topic: ~}\n"
              "metrics: {enabled: FALSE}\nlog: null\nack:\n",
              &c);
    CHECK_EQ_INT(c.binding, CER_CONFIG_BINDING_KAFKA);
    CHECK_EQ_INT(c.kafka.compression, CER_CONFIG_COMPRESSION_GZIP);
    CHECK_EQ_INT(c.kafka.sasl.mechanism, CER_CONFIG_SASL_SCRAM_SHA_256);
    CHECK(c.kafka.tls.enabled);
    CHECK(c.kafka.tls.verify_hostname);
    CHECK_EQ_STR(c.kafka.topic, "{type}");
    CHECK(!c.metrics.enabled);
    CHECK_EQ_STR(c.log.dir, "./var/cerelay");
    CHECK_EQ_INT(c.ack, CER_CONFIG_ACK_LOCAL);
    cer_config_free(&c);
    /* quoted "null" is a string, not null */
    EXPECT_ERRORS("binding: \"null\"\n",
                  "t.yaml:1:10: key 'binding': expected one of kafka, http, log, stdout, got "
                  "'null'");
    EXPECT_ERRORS("metrics: {enabled: yes}\n",
                  "t.yaml:1:20: key 'metrics.enabled': expected true or false, got 'yes'");
    EXPECT_ERRORS("kafka: {tls: maybe}\n",
                  "t.yaml:1:14: key 'kafka.tls': expected true, false or a map, got 'maybe'");
}

TEST(brokers_list_or_comma_string)
{
    cer_config c;
    EXPECT_OK("binding: kafka\nkafka: {brokers: \" kafka-1:9092 ,kafka-2:9092,[::1]:9093\"}\n", &c);
    CHECK_EQ_INT(c.kafka.brokers.n, 3);
    if (c.kafka.brokers.n == 3) {
        CHECK_EQ_STR(c.kafka.brokers.v[0], "kafka-1:9092");
        CHECK_EQ_STR(c.kafka.brokers.v[1], "kafka-2:9092");
        CHECK_EQ_STR(c.kafka.brokers.v[2], "[::1]:9093");
    }
    cer_config_free(&c);
    EXPECT_OK("binding: kafka\nkafka:\n  brokers:\n    - localhost\n    - \"h:${PORT}\"\n", &c);
    CHECK_EQ_INT(c.kafka.brokers.n, 2);
    if (c.kafka.brokers.n == 2)
        CHECK_EQ_STR(c.kafka.brokers.v[1], "h:9092");
    cer_config_free(&c);
    /* a list item is one broker, even when a variable puts commas in it */
    EXPECT_ERRORS("binding: kafka\nkafka:\n  brokers:\n    - localhost\n    - ${BROKERS}\n"
                  "    - ''\n    - h:0\n",
                  "t.yaml:5:7: key 'kafka.brokers[1]': expected host:port, got 'a:1, b:2'\n"
                  "t.yaml:6:7: key 'kafka.brokers[2]': must not be empty\n"
                  "t.yaml:7:7: key 'kafka.brokers[3]': expected host:port, got 'h:0'");
    EXPECT_ERRORS("kafka: {brokers: 'a:1,,b:2'}\n",
                  "t.yaml:1:18: key 'kafka.brokers': empty item in the comma-separated list");
    EXPECT_ERRORS("kafka: {brokers: {a: 1}}\n",
                  "t.yaml:1:18: key 'kafka.brokers': expected a list or a comma-separated "
                  "string, got a map");
}

/* ---------------------------------------------------------------------------------------------
 * Errors: every class, with exact positions and key paths
 * ------------------------------------------------------------------------------------------ */
TEST(unknown_keys_did_you_mean)
{
    EXPECT_ERRORS("kafak:\n  brokers: [a:1]\n",
                  "t.yaml:1:1: unknown key 'kafak' (did you mean 'kafka'?)");
    EXPECT_ERRORS("kafka:\n  bokers: [a:1]\n  sasl:\n    mechanizm: PLAIN\n",
                  "t.yaml:2:3: unknown key 'kafka.bokers' (did you mean 'kafka.brokers'?)\n"
                  "t.yaml:4:5: unknown key 'kafka.sasl.mechanizm' (did you mean "
                  "'kafka.sasl.mechanism'?)");
    EXPECT_ERRORS("frobnicate: 1\n", "t.yaml:1:1: unknown key 'frobnicate'");
    EXPECT_ERRORS("routes:\n  - match: a\n    topik: b\n",
                  "t.yaml:3:5: unknown key 'routes[0].topik' (did you mean 'routes[0].topic'?)");
    CHECK_EQ_INT(cer__yedit_distance("kafak", "kafka", 2), 2);
    CHECK_EQ_INT(cer__yedit_distance("", "ack", 2), 3);
    CHECK_EQ_INT(cer__yedit_distance("same", "same", 2), 0);
}

TEST(type_errors)
{
    EXPECT_ERRORS("source: [a, b]\n", "t.yaml:1:9: key 'source': expected a string, got a list");
    EXPECT_ERRORS("kafka: fast\n", "t.yaml:1:8: key 'kafka': expected a map, got a string");
    EXPECT_ERRORS("kafka:\n  - a\n", "t.yaml:2:3: key 'kafka': expected a map, got a list");
    EXPECT_ERRORS("routes: {match: a}\n", "t.yaml:1:9: key 'routes': expected a list, got a map");
    EXPECT_ERRORS("routes: [a]\n", "t.yaml:1:10: key 'routes[0]': expected a map, got a string");
    EXPECT_ERRORS("kafka: {linger_ms: soon}\n",
                  "t.yaml:1:20: key 'kafka.linger_ms': expected an integer, got 'soon'");
    EXPECT_ERRORS("limits: {max_body_bytes: lots}\n",
                  "t.yaml:1:26: key 'limits.max_body_bytes': expected a size (bytes, or a number "
                  "with B, KiB, MiB, GiB, TiB, KB, MB, GB, TB), got 'lots'");
    EXPECT_ERRORS("http: {headers: [a]}\n",
                  "t.yaml:1:17: key 'http.headers': expected a map, got a list");
    EXPECT_ERRORS("http: {headers: {X-A: [1]}}\n",
                  "t.yaml:1:23: key 'http.headers.X-A': expected a string, got a list");
    EXPECT_ERRORS("kafka:\n  sasl:\n    mechanism: SCRAM\n",
                  "t.yaml:3:16: key 'kafka.sasl.mechanism': expected one of PLAIN, "
                  "SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, AWS_MSK_IAM, got 'SCRAM'");
    EXPECT_ERRORS("masking: {detectors: [email, passport]}\n",
                  "t.yaml:1:30: key 'masking.detectors[1]': expected one of email, phone, card, "
                  "ip, ssn, aws_key, jwt, bearer, api_key, secret, got 'passport'");
    EXPECT_ERRORS("- a\n", "t.yaml:1:1: the top level must be a map of keys, got a list");
    EXPECT_ERRORS("just text\n", "t.yaml:1:1: the top level must be a map of keys, got a string");
}

TEST(range_errors)
{
    EXPECT_ERRORS("kafka: {linger_ms: 900001}\n",
                  "t.yaml:1:20: key 'kafka.linger_ms': must be between 0 and 900000, got 900001");
    EXPECT_ERRORS("log: {partitions: 0}\n",
                  "t.yaml:1:19: key 'log.partitions': must be between 1 and 1024, got 0");
    EXPECT_ERRORS("limits: {max_event_bytes: 100}\n",
                  "t.yaml:1:27: key 'limits.max_event_bytes': must be between 1KiB and 64MiB, "
                  "got 100");
    EXPECT_ERRORS("http: {timeout: 2h}\n",
                  "t.yaml:1:17: key 'http.timeout': must be between 1ms and 1h, got 2h");
    EXPECT_ERRORS("log: {segment_bytes: 2GiB}\n",
                  "t.yaml:1:22: key 'log.segment_bytes': must be between 1KiB and 2147483647, "
                  "got 2GiB");
    EXPECT_ERRORS("masking: {rules: [{name: a, path: /subject, action: truncate, length: "
                  "99999999999999999999}]}\n",
                  "t.yaml:1:71: key 'masking.rules[0].length': expected an integer, got "
                  "'99999999999999999999'");
}

TEST(required_and_empty)
{
    EXPECT_ERRORS("routes:\n  - topic: x\n", "t.yaml:2:5: key 'routes[0].match': required");
    EXPECT_ERRORS("routes:\n  - match:\n", "t.yaml:2:11: key 'routes[0].match': required");
    EXPECT_ERRORS("policy:\n  rules:\n    - {name: '', action: allow}\n",
                  "t.yaml:3:7: key 'policy.rules[0].when': required\n"
                  "t.yaml:3:14: key 'policy.rules[0].name': must not be empty");
    EXPECT_ERRORS("log: {dir: ''}\nsource: \"\"\n",
                  "t.yaml:1:12: key 'log.dir': must not be empty\n"
                  "t.yaml:2:9: key 'source': must not be empty");
}

TEST(value_checks)
{
    EXPECT_ERRORS("http: {endpoint: ftp://x}\n",
                  "t.yaml:1:18: key 'http.endpoint': expected an http:// or https:// URL, got "
                  "'ftp://x'");
    cer_config c;
    EXPECT_OK("listen: {events: '127.0.0.1:0', otlp: '[::1]:0'}\n", &c); /* any free port */
    cer_config_free(&c);
    EXPECT_OK("listen: {events: '127.0.0.1:0', otlp: '127.0.0.1:0'}\n", &c); /* never clash */
    cer_config_free(&c);
    EXPECT_ERRORS("listen: {events: localhost, otlp: '[::1]:99999'}\n",
                  "t.yaml:1:18: key 'listen.events': expected host:port (such as 127.0.0.1:8080 "
                  "or [::1]:8080), or \"\" to disable, got 'localhost'\n"
                  "t.yaml:1:35: key 'listen.otlp': expected host:port (such as 127.0.0.1:8080 "
                  "or [::1]:8080), or \"\" to disable, got '[::1]:99999'");
    EXPECT_ERRORS("kafka: {topic: 'a{type', key: '{not valid}'}\n",
                  "t.yaml:1:16: key 'kafka.topic': key template: unclosed '{' at byte 1\n"
                  "t.yaml:1:31: key 'kafka.key': key template: placeholder at byte 0: "
                  "attribute name 'not valid': character 3 is not [a-z0-9]");
    EXPECT_ERRORS("routes: [{match: 'llm.[ab]'}, {match: 'a b'}]\n",
                  "t.yaml:1:18: key 'routes[0].match': '[' at byte 4: only * and ? are "
                  "wildcards\n"
                  "t.yaml:1:39: key 'routes[1].match': a glob must not contain spaces or control "
                  "characters");
    EXPECT_ERRORS("masking:\n  rules:\n    - {name: a, path: /id, action: drop}\n"
                  "    - {name: b, path: /ext/Bad, action: drop}\n"
                  "    - {name: c, path: /data/a~2, action: drop}\n",
                  "t.yaml:3:23: key 'masking.rules[0].path': expected /data/<JSON pointer>, "
                  "/subject or /ext/<name>, got '/id'\n"
                  "t.yaml:4:23: key 'masking.rules[1].path': extension name 'Bad': attribute "
                  "name 'Bad': character 0 is not [a-z0-9]\n"
                  "t.yaml:5:23: key 'masking.rules[2].path': '~' at byte 7: a JSON pointer "
                  "escapes only ~0 and ~1");
    EXPECT_ERRORS("http: {headers: {'Bad Name': x, X-Ok: \"a\\nb\"}}\n",
                  "t.yaml:1:18: key 'http.headers.Bad Name': not an HTTP header name\n"
                  "t.yaml:1:39: key 'http.headers.X-Ok': an HTTP header value must not contain "
                  "control characters");
    EXPECT_ERRORS("dead_letter: {topic: 'bad topic'}\nmetrics: {path: metrics}\n",
                  "t.yaml:1:22: key 'dead_letter.topic': a Kafka topic is 1 to 249 of a-z A-Z "
                  "0-9 . _ -, got 'bad topic'\n"
                  "t.yaml:2:17: key 'metrics.path': expected an absolute path such as /metrics, "
                  "got 'metrics'");
}

TEST(yaml_syntax_errors)
{
    EXPECT_ERRORS("kafka:\n  brokers: [a:1\nhttp: {}\n",
                  "t.yaml:3:5: YAML: did not find expected ',' or ']' (while parsing a flow "
                  "sequence at line 2, column 12)");
    EXPECT_ERRORS("a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document is allowed");
    EXPECT_ERRORS("source: \"\xff\"\n", "t.yaml:1:10: YAML: invalid leading UTF-8 octet");
    EXPECT_ERRORS("source: \"a\\0b\"\n", "t.yaml:1:9: a string contains a NUL character");
    EXPECT_ERRORS("? [a]\n: 1\n", "t.yaml:1:3: a map key must be a string, not a list");
}

TEST(anchors_aliases_and_tags_rejected)
{
    EXPECT_ERRORS("base: &b {brokers: [a:1]}\nkafka: *b\n",
                  "t.yaml:1:7: anchors are not supported (&b)\n"
                  "t.yaml:2:8: aliases are not supported (*b)");
    EXPECT_ERRORS("source: !!str x\nbinding: !custom log\n",
                  "t.yaml:1:9: tags are not supported (!!str)\n"
                  "t.yaml:2:10: tags are not supported (!custom)");
}

TEST(duplicate_keys)
{
    EXPECT_ERRORS("kafka:\n  topic: a\n  key: b\n  topic: c\nkafka: {}\n",
                  "t.yaml:4:3: duplicate key 'topic' (first at line 2, column 3)\n"
                  "t.yaml:5:1: duplicate key 'kafka' (first at line 1, column 1)");
    EXPECT_ERRORS("http: {headers: {A: 1, A: 2, A: 3}}\n",
                  "t.yaml:1:24: duplicate key 'A' (first at line 1, column 18)\n"
                  "t.yaml:1:30: duplicate key 'A' (first at line 1, column 18)");
}

TEST(all_errors_reported_sorted)
{
    EXPECT_ERRORS("ack: sometimes\nkafka:\n  linger_ms: x\n  mode: batch\nsourse: a\n"
                  "log: {partitions: 2000, fsync: sometimes}\n",
                  "t.yaml:1:6: key 'ack': expected one of remote, local, none, got 'sometimes'\n"
                  "t.yaml:3:14: key 'kafka.linger_ms': expected an integer, got 'x'\n"
                  "t.yaml:4:9: key 'kafka.mode': expected one of binary, structured, got "
                  "'batch'\n"
                  "t.yaml:5:1: unknown key 'sourse' (did you mean 'source'?)\n"
                  "t.yaml:6:19: key 'log.partitions': must be between 1 and 1024, got 2000\n"
                  "t.yaml:6:32: key 'log.fsync': expected one of always, interval, never, got "
                  "'sometimes'");
}

TEST(error_buffer_truncates_whole_lines)
{
    const char *yaml = "zzz1: 1\nzzz2: 2\nzzz3: 3\nzzz4: 4\n";
    cer_config c;
    char small[90];
    CHECK_EQ_INT(cer_config_load_string(yaml, strlen(yaml), "t.yaml", &c, small, sizeof small),
                 CE_EINVAL);
    CHECK_EQ_STR(small, "t.yaml:1:1: unknown key 'zzz1'\nt.yaml: 3 more error(s) not shown");
    char tiny[4];
    CHECK_EQ_INT(cer_config_load_string(yaml, strlen(yaml), NULL, &c, tiny, sizeof tiny),
                 CE_EINVAL);
    CHECK_EQ_STR(tiny, "<co");
    CHECK_EQ_INT(cer_config_load_string(yaml, strlen(yaml), NULL, &c, NULL, 0), CE_EINVAL);
    /* more errors than are kept */
    char big[200000];
    size_t off = 0;
    for (int i = 0; i < 150; i++)
        off += (size_t)snprintf(big + off, sizeof big - off, "k%d: 1\n", i);
    CHECK_EQ_INT(cer_config_load_string(big, off, "t.yaml", &c, err, sizeof err), CE_EINVAL);
    CHECK_EQ_INT(count_lines(err), 101);
    CHECK_CONTAINS(err, "\nt.yaml: 50 more error(s) not shown");
}

/* ---------------------------------------------------------------------------------------------
 * ${VAR}
 * ------------------------------------------------------------------------------------------ */
TEST(env_expansion)
{
    cer_config c;
    EXPECT_OK("binding: kafka\nkafka:\n  brokers: ${BROKERS}\n  topic: \"t-$${type}-${PORT}\"\n"
              "  linger_ms: ${PORT}\n  sasl: {mechanism: PLAIN, username: u$, password: "
              "'${KAFKA_PASSWORD}'}\n"
              "  properties: {a.b: '${EMPTY}', c.d: '${NOT_SET:-fallback}', e: '${EMPTY:-x}'}\n"
              "source: $$PATH$\n",
              &c);
    CHECK_EQ_INT(c.kafka.brokers.n, 2); /* expanded, then split on commas */
    CHECK_EQ_STR(c.kafka.topic, "t-${type}-9092");
    CHECK_EQ_INT(c.kafka.linger_ms, 9092);
    CHECK_EQ_STR(c.kafka.sasl.username, "u$");
    CHECK_EQ_STR(c.kafka.sasl.password, "s3cret-kafka");
    CHECK_EQ_STR(c.kafka.properties.v[0].value, "");
    CHECK_EQ_STR(c.kafka.properties.v[1].value, "fallback");
    CHECK_EQ_STR(c.kafka.properties.v[2].value, ""); /* set (to "") wins over the default */
    CHECK_EQ_STR(c.source, "$$PATH$");
    cer_config_free(&c);
}

TEST(env_expansion_errors)
{
    EXPECT_ERRORS("http:\n  headers:\n    Authorization: \"Bearer ${EVENTS_TOKN}\"\n",
                  "t.yaml:3:20: key 'http.headers.Authorization': environment variable "
                  "'EVENTS_TOKN' is not set");
    EXPECT_ERRORS("listen:\n  auth:\n    bearer_tokens: [a, '${NOPE}']\n",
                  "t.yaml:3:24: key 'listen.auth.bearer_tokens[1]': environment variable 'NOPE' "
                  "is not set");
    EXPECT_ERRORS("source: x${A\nlog: {dir: '${1X}'}\nack: ${}\n",
                  "t.yaml:1:9: key 'source': bad variable reference at byte 1: expected ${NAME} "
                  "or ${NAME:-default} (NAME is letters, digits and _; write $${ for a literal "
                  "${)\n"
                  "t.yaml:2:12: key 'log.dir': bad variable reference at byte 0: expected "
                  "${NAME} or ${NAME:-default} (NAME is letters, digits and _; write $${ for a "
                  "literal ${)\n"
                  "t.yaml:3:6: key 'ack': bad variable reference at byte 0: expected ${NAME} or "
                  "${NAME:-default} (NAME is letters, digits and _; write $${ for a literal ${)");
    /* the real environment is the default source */
    setenv("CER_TEST_CONFIG_VAR", "from-env", 1);
    unsetenv("CER_TEST_CONFIG_UNSET");
    const char *yaml = "source: ${CER_TEST_CONFIG_VAR}\nlog: {dir: \"${CER_TEST_CONFIG_UNSET}\"}\n";
    cer_config c;
    CHECK_EQ_INT(cer_config_load_string(yaml, strlen(yaml), "e.yaml", &c, err, sizeof err),
                 CE_EINVAL);
    CHECK_EQ_STR(err,
                 "e.yaml:2:12: key 'log.dir': environment variable 'CER_TEST_CONFIG_UNSET' is not "
                 "set");
    yaml = "source: ${CER_TEST_CONFIG_VAR}\n";
    CHECK_EQ_INT(cer_config_load_string(yaml, strlen(yaml), "e.yaml", &c, err, sizeof err), 0);
    CHECK_EQ_STR(c.source, "from-env");
    cer_config_free(&c);
}

TEST(secrets_never_printed)
{
    cer_config c;
    EXPECT_OK("http:\n  headers:\n    authorization: a1\n    X-Auth-Token: a2\n"
              "    X-Client-Secret: a3\n    Cookie: a4\n    X-Plain: visible\n"
              "kafka:\n  properties: {sasl.password: a5, client.id: visible2}\n"
              "  sasl: {mechanism: OAUTHBEARER, token: a6}\n"
              "masking: {key: a7}\nlisten: {auth: {bearer_tokens: a8}}\n",
              &c);
    char *d = dump(&c);
    for (int i = 1; i <= 8; i++) {
        char s[4];
        snprintf(s, sizeof s, "a%d", i);
        if (strstr(d, s))
            cer_test_fail(__FILE__, __LINE__, "secret %s printed:\n%s", s, d);
    }
    CHECK_CONTAINS(d, "\"X-Plain\": \"visible\"");
    CHECK_CONTAINS(d, "\"client.id\": \"visible2\"");
    CHECK(cer__ysecret_name("Proxy-Authorization"));
    CHECK(cer__ysecret_name("x-api-key"));
    CHECK(!cer__ysecret_name("X-Tenant"));
    free(d);
    cer_config_free(&c);
}

/* ---------------------------------------------------------------------------------------------
 * Rules between keys
 * ------------------------------------------------------------------------------------------ */
TEST(binding_requirements)
{
    EXPECT_ERRORS("binding: kafka\n",
                  "t.yaml:1:10: key 'kafka.brokers': required when binding is kafka");
    EXPECT_ERRORS("binding: kafka\nkafka:\n  topic: x\n",
                  "t.yaml:2:1: key 'kafka.brokers': required when binding is kafka");
    EXPECT_ERRORS("binding: http\n",
                  "t.yaml:1:10: key 'http.endpoint': required when binding is http");
    cer_config c;
    EXPECT_OK("binding: log\nack: remote\n", &c); /* the log is the remote */
    cer_config_free(&c);
    EXPECT_OK("binding: stdout\n", &c);
    cer_config_free(&c);
    EXPECT_ERRORS("binding: http\nhttp: {endpoint: 'http://h'}\nbuffer: {type: memory}\n",
                  "t.yaml:3:16: key 'ack': 'local' promises the event is stored, but buffer.type "
                  "is memory: use a disk buffer, or ack remote or none");
    EXPECT_OK("binding: http\nhttp: {endpoint: 'http://h'}\nbuffer: {type: memory}\nack: none\n",
              &c);
    cer_config_free(&c);
}

TEST(sasl_requirements)
{
    EXPECT_ERRORS("kafka:\n  sasl:\n    mechanism: SCRAM-SHA-512\n",
                  "t.yaml:3:16: key 'kafka.sasl.username': required with mechanism "
                  "SCRAM-SHA-512\n"
                  "t.yaml:3:16: key 'kafka.sasl.password': required with mechanism "
                  "SCRAM-SHA-512");
    EXPECT_ERRORS("kafka:\n  sasl:\n    username: u\n",
                  "t.yaml:2:3: key 'kafka.sasl.mechanism': required when kafka.sasl has "
                  "credentials");
    EXPECT_ERRORS("kafka:\n  sasl:\n    mechanism: OAUTHBEARER\n",
                  "t.yaml:3:16: key 'kafka.sasl.token': required with mechanism OAUTHBEARER, "
                  "unless kafka.sasl.oidc.token_url is set");
    EXPECT_ERRORS("kafka:\n  sasl:\n    mechanism: OAUTHBEARER\n    token: t\n"
                  "    oidc: {token_url: 'https://idp/token'}\n",
                  "t.yaml:4:12: key 'kafka.sasl.token': set token or oidc, not both\n"
                  "t.yaml:5:5: key 'kafka.sasl.oidc.client_id': required with "
                  "kafka.sasl.oidc.token_url");
    EXPECT_ERRORS("kafka: {sasl: {mechanism: AWS_MSK_IAM}}\n",
                  "t.yaml:1:27: key 'kafka.sasl.aws.region': required with mechanism "
                  "AWS_MSK_IAM");
}

TEST(other_requirements)
{
    EXPECT_ERRORS("dead_letter: {topic: dlq, log_dir: /x}\n",
                  "t.yaml:1:1: key 'dead_letter': set topic or log_dir, not both\n"
                  "t.yaml:1:22: key 'dead_letter.topic': needs kafka.brokers");
    EXPECT_ERRORS("policy: {dead_letter: true}\n",
                  "t.yaml:1:23: key 'policy.dead_letter': needs dead_letter.topic or "
                  "dead_letter.log_dir");
    EXPECT_ERRORS("policy:\n  opa: {timeout: 1s}\n",
                  "t.yaml:2:3: key 'policy.opa.url': required when policy.opa is given");
    EXPECT_ERRORS("policy:\n  opa: {path: a/b}\n",
                  "t.yaml:2:3: key 'policy.opa.url': required when policy.opa is given");
    EXPECT_ERRORS("policy:\n  opa: {url: 'http://opa:8181'}\n",
                  "t.yaml:2:14: key 'policy.opa.path': required when policy.opa.url is set");
    EXPECT_ERRORS("listen: {tls: {key: /k}}\n",
                  "t.yaml:1:10: key 'listen.tls.cert': listen.tls needs both cert and key");
    EXPECT_ERRORS("listen: {otlp: '127.0.0.1:8080'}\n",
                  "t.yaml:1:16: key 'listen.otlp': same address as listen.events");
    EXPECT_ERRORS("limits: {max_event_bytes: 16MiB, max_memory_bytes: 4MiB}\n",
                  "t.yaml:1:27: key 'limits.max_event_bytes': larger than limits.max_body_bytes\n"
                  "t.yaml:1:52: key 'limits.max_body_bytes': larger than limits.max_memory_bytes");
    EXPECT_ERRORS("http: {batch_size: 200}\nlimits: {max_batch_events: 100}\n",
                  "t.yaml:1:20: key 'http.batch_size': larger than limits.max_batch_events (100)");
    EXPECT_ERRORS("log: {segment_bytes: 512KiB}\n",
                  "t.yaml:1:22: key 'log.segment_bytes': smaller than limits.max_event_bytes: a "
                  "segment must hold the largest event");
    EXPECT_ERRORS("buffer: {max_bytes: 1MiB}\nlimits: {max_event_bytes: 2MiB}\n",
                  "t.yaml:1:21: key 'buffer.max_bytes': smaller than limits.max_event_bytes");
    EXPECT_ERRORS("masking:\n  rules:\n    - {name: a, path: /subject, action: hash}\n"
                  "    - {name: a, path: /subject, action: drop}\n",
                  "t.yaml:3:41: key 'masking.rules[0].action': hash needs masking.key (the HMAC "
                  "key)\n"
                  "t.yaml:4:14: key 'masking.rules[1].name': duplicate name 'a' (also "
                  "masking.rules[0])");
    /* rules between keys are checked only once every key is valid on its own */
    EXPECT_ERRORS("binding: kafka\nack: bogus\n",
                  "t.yaml:2:6: key 'ack': expected one of remote, local, none, got 'bogus'");
}

TEST(cesql_errors_point_into_the_expression)
{
    EXPECT_ERRORS("policy:\n  rules:\n    - name: a\n      action: deny\n"
                  "      when: \"type = 'a' AND\"\n"
                  "    - name: b\n      action: deny\n      when: type = 'b' OR FOO(1)\n"
                  "    - name: c\n      action: allow\n      when: 1 + 1\n"
                  "    - name: d\n      action: allow\n      when: |\n        type =\n"
                  "          'x' AND\n",
                  "t.yaml:5:28: key 'policy.rules[0].when': CESQL: expected an expression, found "
                  "end of input at byte 14 (line 1, column 15)\n"
                  "t.yaml:8:27: key 'policy.rules[1].when': CESQL: unknown function 'FOO' at "
                  "byte 14 (line 1, column 15)\n"
                  "t.yaml:11:13: key 'policy.rules[2].when': CESQL: the expression is Integer, "
                  "not Boolean\n"
                  "t.yaml:14:13: key 'policy.rules[3].when': CESQL: expected an expression, "
                  "found end of input at byte 17 (line 3, column 1)");
    cer_config c;
    EXPECT_OK("policy: {rules: [{name: a, action: allow, when: subject}]}\n", &c);
    cer_config_free(&c);
}

/* ---------------------------------------------------------------------------------------------
 * Caps
 * ------------------------------------------------------------------------------------------ */
static char *nested(int depth)
{
    /* a root map plus depth-1 nested flow lists: "a: [[...]]" */
    char *s = malloc((size_t)depth * 2 + 8);
    size_t n = 0;
    s[n++] = 'a', s[n++] = ':', s[n++] = ' ';
    for (int i = 1; i < depth; i++)
        s[n++] = '[';
    for (int i = 1; i < depth; i++)
        s[n++] = ']';
    s[n++] = '\n';
    s[n] = '\0';
    return s;
}

TEST(depth_cap)
{
    char *ok = nested(32), *deep = nested(33);
    cer_config c;
    /* depth 32 parses (and only then fails on the unknown key) */
    CHECK_EQ_INT(load(ok, &c), CE_EINVAL);
    CHECK_EQ_STR(err, "t.yaml:1:1: unknown key 'a' (did you mean 'ack'?)");
    CHECK_EQ_INT(load(deep, &c), CE_EINVAL);
    CHECK_EQ_STR(err, "t.yaml:1:35: nesting deeper than 32 levels");
    cer_config_opts o = {.getenv_fn = fake_getenv, .max_depth = 3};
    const char *three = "kafka: {sasl: {oidc: {}}}\n";
    CHECK_EQ_INT(cer_config_load_string_opts(three, strlen(three), "t", &o, &c, err, sizeof err),
                 CE_EINVAL);
    CHECK_EQ_STR(err, "t:1:22: nesting deeper than 3 levels");
    free(ok);
    free(deep);
}

TEST(node_cap)
{
    size_t cap = 100000, len = 0;
    char *s = malloc(cap * 3 + 16);
    len += (size_t)sprintf(s, "a: [");
    for (size_t i = 0; i < cap; i++) /* root map + key 'a' + list + 100000 items > cap */
        len += (size_t)sprintf(s + len, "%s1", i ? "," : "");
    len += (size_t)sprintf(s + len, "]\n");
    cer_config c;
    CHECK_EQ_INT(cer_config_load_string(s, len, "t", &c, err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "more than 100000 YAML nodes");
    cer_config_opts o = {.max_nodes = 5};
    const char *y = "ack: local\nbinding: log\nsource: x\n"; /* 7 nodes */
    CHECK_EQ_INT(cer_config_load_string_opts(y, strlen(y), "t", &o, &c, err, sizeof err),
                 CE_EINVAL);
    CHECK_EQ_STR(err, "t:3:1: more than 5 YAML nodes");
    free(s);
}

TEST(size_cap)
{
    size_t max = (size_t)1 << 20;
    char *s = malloc(max + 2);
    memset(s, '#', max + 1);
    s[max + 1] = '\0';
    cer_config c;
    CHECK_EQ_INT(cer_config_load_string(s, max + 1, "big.yaml", &c, err, sizeof err), CE_ETOOBIG);
    CHECK_EQ_STR(err, "big.yaml: larger than 1048576 bytes");
    s[max - 1] = '\n';
    CHECK_EQ_INT(cer_config_load_string(s, max, "big.yaml", &c, err, sizeof err), 0);
    cer_config_free(&c);
    /* the file path enforces it while reading */
    char path[] = "/tmp/cer-config-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    fwrite(s, 1, max + 1, f);
    fclose(f);
    CHECK_EQ_INT(cer_config_load(path, &c, err, sizeof err), CE_ETOOBIG);
    CHECK_CONTAINS(err, ": larger than 1048576 bytes");
    unlink(path);
    free(s);
}

TEST(file_errors)
{
    cer_config c;
    CHECK_EQ_INT(cer_config_load("/nonexistent/cerelay.yaml", &c, err, sizeof err), CE_EIO);
    CHECK_EQ_STR(err, "/nonexistent/cerelay.yaml: No such file or directory");
    CHECK(c.source == NULL); /* left at the defaults */
    CHECK_EQ_INT(cer_config_load("/", &c, err, sizeof err), CE_EIO);
    CHECK_EQ_STR(err, "/: Is a directory");
    /* the annotated example is valid once its variables are set */
    setenv("KAFKA_USERNAME", "relay", 1);
    setenv("KAFKA_PASSWORD", "p", 1);
    setenv("EVENTS_TOKEN", "t", 1);
    setenv("MASK_KEY", "k", 1);
    CHECK_EQ_INT(cer_config_load(cer_test_src_path("examples/cerelay.yaml"), &c, err, sizeof err),
                 0);
    if (err[0])
        fprintf(stderr, "%s\n", err);
    cer_config_free(&c);
}

/* ---------------------------------------------------------------------------------------------
 * Allocation failures: every allocation in turn fails; the load reports CE_ENOMEM (or succeeds
 * when the failed allocation was not needed) and leaks nothing (ASan checks).
 * ------------------------------------------------------------------------------------------ */
static long alloc_budget = -1;

static void *limited_malloc(size_t n)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return malloc(n);
}

static void *limited_realloc(void *p, size_t n)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return realloc(p, n);
}

TEST(allocation_failures)
{
    char *yaml = cer_test_read_file(cer_test_src_path("tests/relay/golden/full.yaml"), NULL);
    if (!yaml)
        return;
    ce_allocator a = {limited_malloc, limited_realloc, free};
    cer_config_set_allocator(&a);
    int ok = 0, nomem = 0;
    for (long n = 0; n < 400 && !ok; n++) {
        cer_config c;
        alloc_budget = n;
        int rc = load(yaml, &c);
        alloc_budget = -1;
        if (rc == 0) {
            ok = 1;
            char *d = dump(&c);
            CHECK(strstr(d, "s3cret") == NULL);
            free(d);
            cer_config_free(&c);
        } else {
            if (rc != CE_ENOMEM)
                cer_test_fail(__FILE__, __LINE__, "budget %ld: rc %d: %s", n, rc, err);
            CHECK_CONTAINS(err, "out of memory");
            nomem++;
        }
    }
    cer_config_set_allocator(NULL);
    CHECK(ok);
    CHECK(nomem > 5);
    free(yaml);
}

TEST(listen_otlp_grpc)
{
    cer_config c;
    EXPECT_OK("listen: {otlp: ''}\n", &c); /* unset: NULL, the default address at start */
    CHECK(c.listen.otlp_grpc == NULL);
    cer_config_free(&c);
    EXPECT_OK("listen: {otlp_grpc: ''}\n", &c); /* disabled */
    CHECK_EQ_STR(c.listen.otlp_grpc, "");
    cer_config_free(&c);
    EXPECT_OK("listen: {events: '127.0.0.1:0', otlp: '127.0.0.1:0', otlp_grpc: '127.0.0.1:0'}\n",
              &c);
    cer_config_free(&c);
    EXPECT_ERRORS("listen: {otlp_grpc: '127.0.0.1:4318'}\n",
                  "t.yaml:1:21: key 'listen.otlp_grpc': same address as listen.events or "
                  "listen.otlp");
    EXPECT_ERRORS("listen: {otlp_grpc: nope}\n",
                  "t.yaml:1:21: key 'listen.otlp_grpc': expected host:port (such as "
                  "127.0.0.1:8080 or [::1]:8080), or \"\" to disable, got 'nope'");
}
