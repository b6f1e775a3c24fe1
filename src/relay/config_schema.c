/* The relay configuration's schema: one table row per YAML key of docs/config.md (type, struct
 * offset, default, range, flags, enum names, nested tables) and the checks of string values
 * (URLs, host:port, templates, globs, JSON pointers, header names...). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cerelay/ce_binding.h"
#include "relay/config.h"
#include "relay/config_schema.h"

/* ---------------------------------------------------------------------------------------------
 * Value checks
 * ------------------------------------------------------------------------------------------ */
static int why(char *buf, size_t n, const char *fmt, ...) CER__PRINTF(3, 4);
static int why(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return -1;
}

static bool has_space_or_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return true;
    return false;
}

/* 1 .. 65535, or 0 too when `zero_ok` (a listener on any free port, as tests use). */
static int check_port(const char *p, bool zero_ok)
{
    if (!*p || strlen(p) > 5)
        return -1;
    long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v <= 65535 && (v > 0 || zero_ok) ? 0 : -1;
}

/* host:port, [v6]:port; a listener (`listen`) needs the port and may use 0, a broker may
 * leave it out. */
static int host_port(const char *s, bool listen)
{
    if (!*s || has_space_or_control(s) || strchr(s, ','))
        return -1;
    const char *colon;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close == s + 1)
            return -1;
        if (close[1] == '\0')
            return listen ? -1 : 0;
        if (close[1] != ':')
            return -1;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return listen ? -1 : 0;
        if (colon == s || memchr(s, ':', (size_t)(colon - s)))
            return -1;
    }
    return check_port(colon + 1, listen);
}

static int check_listen(const char *s, char *w, size_t n)
{
    if (*s == '\0' || host_port(s, true) == 0)
        return 0;
    return why(w, n,
               "expected host:port (such as 127.0.0.1:8080 or [::1]:8080), or \"\" to "
               "disable, got '%.64s'",
               s);
}

static int check_broker(const char *s, char *w, size_t n)
{
    if (host_port(s, false) == 0)
        return 0;
    return why(w, n, "expected host:port, got '%.64s'", s);
}

static int check_url(const char *s, char *w, size_t n)
{
    size_t skip = strncasecmp(s, "https://", 8) == 0  ? 8
                  : strncasecmp(s, "http://", 7) == 0 ? 7
                                                      : 0;
    if (!skip || !s[skip] || s[skip] == '/' || has_space_or_control(s))
        return why(w, n, "expected an http:// or https:// URL, got '%.64s'", s);
    return 0;
}

static int check_template(const char *s, char *w, size_t n)
{
    char e[200];
    if (ce_kafka_key_check(s, e, sizeof e) == 0)
        return 0;
    return why(w, n, "%s", e);
}

static int check_glob(const char *s, char *w, size_t n)
{
    if (has_space_or_control(s))
        return why(w, n, "a glob must not contain spaces or control characters");
    const char *b = strpbrk(s, "[]{}\\");
    if (b)
        return why(w, n, "'%c' at byte %zu: only * and ? are wildcards", *b, (size_t)(b - s));
    return 0;
}

static int check_source(const char *s, char *w, size_t n)
{
    return has_space_or_control(s) ? why(w, n, "a URI-reference has no spaces or controls") : 0;
}

static int check_http_path(const char *s, char *w, size_t n)
{
    if (s[0] != '/' || has_space_or_control(s) || strpbrk(s, "?#"))
        return why(w, n, "expected an absolute path such as /metrics, got '%.64s'", s);
    return 0;
}

static bool all_in(const char *s, const char *extra)
{
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(extra, c)))
            return false;
    }
    return true;
}

static int check_topic(const char *s, char *w, size_t n)
{
    if (strlen(s) > 249 || !all_in(s, "._-") || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return why(w, n, "a Kafka topic is 1 to 249 of a-z A-Z 0-9 . _ -, got '%.64s'", s);
    return 0;
}

static int check_property(const char *s, char *w, size_t n)
{
    return all_in(s, "._-") ? 0 : why(w, n, "not a librdkafka property name");
}

static int check_header_name(const char *s, char *w, size_t n)
{
    return all_in(s, "!#$%&'*+-.^_`|~") ? 0 : why(w, n, "not an HTTP header name");
}

static int check_header_value(const char *s, char *w, size_t n)
{
    for (; *s; s++)
        if (((unsigned char)*s < ' ' && *s != '\t') || *s == 0x7f)
            return why(w, n, "an HTTP header value must not contain control characters");
    return 0;
}

/* A Kafka record header name: not empty, no controls, and not the binding's own. */
static int check_kafka_header_name(const char *s, char *w, size_t n)
{
    if (!*s)
        return why(w, n, "a header name is not empty");
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            return why(w, n, "a header name has no control characters");
    if (strncasecmp(s, "ce_", 3) == 0 || strcasecmp(s, "content-type") == 0)
        return why(w, n, "'%.64s': ce_* and content-type are the CloudEvents binding's own headers",
                   s);
    return 0;
}

static int check_opa_path(const char *s, char *w, size_t n)
{
    if (s[0] == '/' || !all_in(s, "/._-"))
        return why(w, n, "expected a policy path such as acme/cloudevents-egress, got '%.64s'", s);
    return 0;
}

/* /subject, /data, /data/<JSON pointer>, /ext/<attribute name> */
static int check_pointer(const char *s, char *w, size_t n)
{
    char e[160];
    for (const char *t = strchr(s, '~'); t; t = strchr(t + 1, '~'))
        if (t[1] != '0' && t[1] != '1')
            return why(w, n, "'~' at byte %zu: a JSON pointer escapes only ~0 and ~1",
                       (size_t)(t - s));
    if (strcmp(s, "/subject") == 0 || strcmp(s, "/data") == 0 || strncmp(s, "/data/", 6) == 0)
        return 0;
    if (strncmp(s, "/ext/", 5) == 0) {
        if (ce_check_name(s + 5, strlen(s + 5), e, sizeof e) == 0)
            return 0;
        return why(w, n, "extension name '%.64s': %s", s + 5, e);
    }
    return why(w, n, "expected /data/<JSON pointer>, /subject or /ext/<name>, got '%.64s'", s);
}

/* ---------------------------------------------------------------------------------------------
 * Enum names
 * ------------------------------------------------------------------------------------------ */
const cer_yenum cer__config_bindings[] = {{"kafka", CER_CONFIG_BINDING_KAFKA},
                                          {"http", CER_CONFIG_BINDING_HTTP},
                                          {"log", CER_CONFIG_BINDING_LOG},
                                          {"stdout", CER_CONFIG_BINDING_STDOUT},
                                          {NULL, 0}};
static const cer_yenum kafka_modes[] = {
    {"binary", CE_MODE_BINARY}, {"structured", CE_MODE_STRUCTURED}, {NULL, 0}};
static const cer_yenum http_modes[] = {{"batch", CE_MODE_BATCH},
                                       {"structured", CE_MODE_STRUCTURED},
                                       {"binary", CE_MODE_BINARY},
                                       {NULL, 0}};
const cer_yenum cer__config_mechanisms[] = {{"PLAIN", CER_CONFIG_SASL_PLAIN},
                                            {"SCRAM-SHA-256", CER_CONFIG_SASL_SCRAM_SHA_256},
                                            {"SCRAM-SHA-512", CER_CONFIG_SASL_SCRAM_SHA_512},
                                            {"OAUTHBEARER", CER_CONFIG_SASL_OAUTHBEARER},
                                            {"AWS_MSK_IAM", CER_CONFIG_SASL_AWS_MSK_IAM},
                                            {NULL, 0}};
static const cer_yenum compressions[] = {
    {"none", CER_CONFIG_COMPRESSION_NONE},     {"gzip", CER_CONFIG_COMPRESSION_GZIP},
    {"snappy", CER_CONFIG_COMPRESSION_SNAPPY}, {"lz4", CER_CONFIG_COMPRESSION_LZ4},
    {"zstd", CER_CONFIG_COMPRESSION_ZSTD},     {NULL, 0}};
static const cer_yenum fsyncs[] = {{"always", CER_CONFIG_FSYNC_ALWAYS},
                                   {"interval", CER_CONFIG_FSYNC_INTERVAL},
                                   {"never", CER_CONFIG_FSYNC_NEVER},
                                   {NULL, 0}};
static const cer_yenum buffer_types[] = {
    {"memory", CER_CONFIG_BUFFER_MEMORY}, {"disk", CER_CONFIG_BUFFER_DISK}, {NULL, 0}};
static const cer_yenum when_fulls[] = {{"block", CER_CONFIG_WHEN_FULL_BLOCK},
                                       {"drop_oldest", CER_CONFIG_WHEN_FULL_DROP_OLDEST},
                                       {NULL, 0}};
const cer_yenum cer__config_acks[] = {{"remote", CER_CONFIG_ACK_REMOTE},
                                      {"local", CER_CONFIG_ACK_LOCAL},
                                      {"none", CER_CONFIG_ACK_NONE},
                                      {NULL, 0}};
static const cer_yenum log_formats[] = {
    {"text", CER_CONFIG_LOG_TEXT}, {"json", CER_CONFIG_LOG_JSON}, {NULL, 0}};
static const cer_yenum log_levels[] = {{"debug", CER_CONFIG_LEVEL_DEBUG},
                                       {"info", CER_CONFIG_LEVEL_INFO},
                                       {"warn", CER_CONFIG_LEVEL_WARN},
                                       {"error", CER_CONFIG_LEVEL_ERROR},
                                       {NULL, 0}};
static const cer_yenum spans[] = {{"genai", CER_CONFIG_SPANS_GENAI},
                                  {"all", CER_CONFIG_SPANS_ALL},
                                  {"none", CER_CONFIG_SPANS_NONE},
                                  {NULL, 0}};
static const cer_yenum verdicts[] = {
    {"allow", CER_CONFIG_ALLOW}, {"deny", CER_CONFIG_DENY}, {NULL, 0}};
static const cer_yenum mask_actions[] = {{"redact", CER_CONFIG_MASK_REDACT},
                                         {"hash", CER_CONFIG_MASK_HASH},
                                         {"truncate", CER_CONFIG_MASK_TRUNCATE},
                                         {"drop", CER_CONFIG_MASK_DROP},
                                         {NULL, 0}};
static const cer_yenum detectors[] = {{"email", CER_CONFIG_DETECT_EMAIL},
                                      {"phone", CER_CONFIG_DETECT_PHONE},
                                      {"card", CER_CONFIG_DETECT_CARD},
                                      {"ip", CER_CONFIG_DETECT_IP},
                                      {"ssn", CER_CONFIG_DETECT_SSN},
                                      {"aws_key", CER_CONFIG_DETECT_AWS_KEY},
                                      {"jwt", CER_CONFIG_DETECT_JWT},
                                      {"bearer", CER_CONFIG_DETECT_BEARER},
                                      {"api_key", CER_CONFIG_DETECT_API_KEY},
                                      {"secret", CER_CONFIG_DETECT_SECRET},
                                      {NULL, 0}};

/* ---------------------------------------------------------------------------------------------
 * The schema. F() is a field of struct S; IN() one of an unnamed struct `sec` inside S.
 * ------------------------------------------------------------------------------------------ */
#define F(S, k, t, f, ...)                                                                         \
    {                                                                                              \
        .key = k, .type = t, .off = offsetof(S, f), __VA_ARGS__                                    \
    }
#define IN(S, sec, k, t, f, ...)                                                                   \
    {                                                                                              \
        .key = k, .type = t, .off = offsetof(S, sec.f) - offsetof(S, sec), __VA_ARGS__             \
    }
#define SCHEMA(name, S, ...)                                                                       \
    static const cer_yfield name##_fields[] = {__VA_ARGS__};                                       \
    static const cer_yschema name##_s = {name##_fields,                                            \
                                         sizeof name##_fields / sizeof *name##_fields, sizeof(S)}
#define KiB  1024ll
#define MiB  (1024ll * KiB)
#define GiB  (1024ll * MiB)
#define SEC  1000ll
#define HOUR (3600ll * SEC)

typedef cer_config_kafka_tls KT;
SCHEMA(kafka_tls, KT, F(KT, "ca", CER_Y_STR, ca, .flags = CER_YF_NONEMPTY),
       F(KT, "cert", CER_Y_STR, cert, .flags = CER_YF_NONEMPTY),
       F(KT, "key", CER_Y_STR, key, .flags = CER_YF_NONEMPTY),
       F(KT, "verify_hostname", CER_Y_BOOL, verify_hostname, .def = "true"));

typedef cer_config_sasl SA;
SCHEMA(sasl_oidc, SA, IN(SA, oidc, "token_url", CER_Y_STR, token_url, .check = check_url),
       IN(SA, oidc, "client_id", CER_Y_STR, client_id, .flags = CER_YF_NONEMPTY),
       IN(SA, oidc, "client_secret", CER_Y_STR, client_secret, .flags = CER_YF_SECRET),
       IN(SA, oidc, "scope", CER_Y_STR, scope, .flags = CER_YF_NONEMPTY));
SCHEMA(sasl_aws, SA, IN(SA, aws, "region", CER_Y_STR, region, .flags = CER_YF_NONEMPTY),
       IN(SA, aws, "profile", CER_Y_STR, profile, .flags = CER_YF_NONEMPTY));
SCHEMA(sasl, SA, F(SA, "mechanism", CER_Y_ENUM, mechanism, .enums = cer__config_mechanisms),
       F(SA, "username", CER_Y_STR, username, .flags = CER_YF_NONEMPTY),
       F(SA, "password", CER_Y_STR, password, .flags = CER_YF_SECRET),
       F(SA, "token", CER_Y_STR, token, .flags = CER_YF_SECRET),
       F(SA, "oidc", CER_Y_SECTION, oidc, .sub = &sasl_oidc_s),
       F(SA, "aws", CER_Y_SECTION, aws, .sub = &sasl_aws_s));

typedef cer_config_kafka KA;
SCHEMA(kafka, KA,
       F(KA, "brokers", CER_Y_STRLIST, brokers, .flags = CER_YF_COMMA, .check = check_broker),
       F(KA, "topic", CER_Y_STR, topic, .def = "{type}", .check = check_template),
       F(KA, "key", CER_Y_STR, key, .check = check_template),
       F(KA, "mode", CER_Y_ENUM, mode, .def = "binary", .enums = kafka_modes),
       F(KA, "tls", CER_Y_SECTION, tls, .flags = CER_YF_BOOL, .aux = offsetof(KA, tls.enabled),
         .def = "false", .sub = &kafka_tls_s),
       F(KA, "sasl", CER_Y_SECTION, sasl, .sub = &sasl_s),
       F(KA, "compression", CER_Y_ENUM, compression, .def = "lz4", .enums = compressions),
       F(KA, "linger_ms", CER_Y_INT, linger_ms, .def = "5", .min = 0, .max = 900000),
       F(KA, "properties", CER_Y_KVMAP, properties, .flags = CER_YF_SECRET_NAMES,
         .check_key = check_property),
       F(KA, "headers", CER_Y_KVMAP, headers, .flags = CER_YF_SECRET_NAMES,
         .check_key = check_kafka_header_name),
       F(KA, "header_templates", CER_Y_KVMAP, header_templates,
         .check_key = check_kafka_header_name, .check = check_template));

typedef cer_config_http HT;
SCHEMA(http_tls, HT, IN(HT, tls, "ca", CER_Y_STR, ca, .flags = CER_YF_NONEMPTY),
       IN(HT, tls, "verify", CER_Y_BOOL, verify, .def = "true"));
SCHEMA(http, HT, F(HT, "endpoint", CER_Y_STR, endpoint, .check = check_url),
       F(HT, "headers", CER_Y_KVMAP, headers, .flags = CER_YF_SECRET_NAMES,
         .check_key = check_header_name, .check = check_header_value),
       F(HT, "mode", CER_Y_ENUM, mode, .def = "batch", .enums = http_modes),
       F(HT, "batch_size", CER_Y_INT, batch_size, .def = "50", .min = 1, .max = 1000000),
       F(HT, "flush_interval", CER_Y_DURATION, flush_interval_ms, .def = "5", .max = HOUR),
       F(HT, "timeout", CER_Y_DURATION, timeout_ms, .def = "30s", .min = 1, .max = HOUR),
       F(HT, "tls", CER_Y_SECTION, tls, .sub = &http_tls_s));

typedef cer_config_log LG;
SCHEMA(log_retention, LG, IN(LG, retention, "bytes", CER_Y_SIZE, bytes, .def = "0"),
       IN(LG, retention, "age", CER_Y_DURATION, age_ms, .def = "168h"));
SCHEMA(log, LG, F(LG, "dir", CER_Y_STR, dir, .def = "./var/cerelay", .flags = CER_YF_NONEMPTY),
       F(LG, "partitions", CER_Y_INT, partitions, .def = "1", .min = 1, .max = 1024),
       F(LG, "fsync", CER_Y_ENUM, fsync, .def = "always", .enums = fsyncs),
       F(LG, "fsync_interval", CER_Y_DURATION, fsync_interval_ms, .def = "1s", .min = 1,
         .max = HOUR),
       F(LG, "segment_bytes", CER_Y_SIZE, segment_bytes, .def = "128MiB", .min = KiB,
         .max = 2 * GiB - 1),
       F(LG, "retention", CER_Y_SECTION, retention, .sub = &log_retention_s));

typedef cer_config_listen LI;
SCHEMA(listen_tls, LI, IN(LI, tls, "cert", CER_Y_STR, cert, .flags = CER_YF_NONEMPTY),
       IN(LI, tls, "key", CER_Y_STR, key, .flags = CER_YF_NONEMPTY),
       IN(LI, tls, "client_ca", CER_Y_STR, client_ca, .flags = CER_YF_NONEMPTY));
SCHEMA(listen_auth, LI,
       IN(LI, auth, "bearer_tokens", CER_Y_STRLIST, bearer_tokens,
          .flags = CER_YF_SECRET | CER_YF_COMMA));
SCHEMA(listen, LI,
       F(LI, "events", CER_Y_STR, events, .def = "127.0.0.1:8080", .check = check_listen),
       F(LI, "otlp", CER_Y_STR, otlp, .def = "127.0.0.1:4318", .check = check_listen),
       F(LI, "otlp_grpc", CER_Y_STR, otlp_grpc, .check = check_listen),
       F(LI, "tls", CER_Y_SECTION, tls, .sub = &listen_tls_s),
       F(LI, "auth", CER_Y_SECTION, auth, .sub = &listen_auth_s));

typedef cer_config_route RO;
SCHEMA(route, RO, F(RO, "match", CER_Y_STR, match, .flags = CER_YF_REQUIRED, .check = check_glob),
       F(RO, "topic", CER_Y_STR, topic, .check = check_template),
       F(RO, "key", CER_Y_STR, key, .check = check_template));

typedef cer_config_buffer BU;
SCHEMA(buffer, BU, F(BU, "type", CER_Y_ENUM, type, .def = "disk", .enums = buffer_types),
       F(BU, "dir", CER_Y_STR, dir, .def = "./var/cerelay/buffer", .flags = CER_YF_NONEMPTY),
       F(BU, "max_bytes", CER_Y_SIZE, max_bytes, .def = "1GiB", .min = MiB),
       F(BU, "when_full", CER_Y_ENUM, when_full, .def = "block", .enums = when_fulls));

typedef cer_config_tenant_override TO;
SCHEMA(tenant_override, TO,
       F(TO, "tenant", CER_Y_STR, tenant, .flags = CER_YF_REQUIRED | CER_YF_NONEMPTY),
       F(TO, "rate", CER_Y_INT, rate, .flags = CER_YF_REQUIRED, .min = 1, .max = 100000000),
       F(TO, "burst", CER_Y_INT, burst, .def = "0", .min = 0, .max = 100000000));
typedef cer_config_tenant_rate TR;
SCHEMA(tenant_rate, TR, F(TR, "key", CER_Y_STR, key, .def = "{tenantid}", .check = check_template),
       F(TR, "rate", CER_Y_INT, rate, .def = "0", .min = 0, .max = 100000000),
       F(TR, "burst", CER_Y_INT, burst, .def = "0", .min = 0, .max = 100000000),
       F(TR, "max_buckets", CER_Y_INT, max_buckets, .def = "10000", .min = 1, .max = 1000000),
       F(TR, "metrics_tenants", CER_Y_INT, metrics_tenants, .def = "100", .min = 0, .max = 10000),
       F(TR, "overrides", CER_Y_LIST, overrides, .aux = offsetof(TR, noverrides),
         .sub = &tenant_override_s));
typedef cer_config_limits LM;
SCHEMA(limits, LM,
       F(LM, "max_body_bytes", CER_Y_SIZE, max_body_bytes, .def = "8MiB", .min = KiB, .max = GiB),
       F(LM, "max_event_bytes", CER_Y_SIZE, max_event_bytes, .def = "1MiB", .min = KiB,
         .max = 64 * MiB),
       F(LM, "max_batch_events", CER_Y_INT, max_batch_events, .def = "10000", .min = 1,
         .max = 1000000),
       F(LM, "max_memory_bytes", CER_Y_SIZE, max_memory_bytes, .def = "256MiB", .min = MiB),
       F(LM, "tenant_rate", CER_Y_SECTION, tenant_rate, .sub = &tenant_rate_s));

typedef cer_config CF;
SCHEMA(metrics, CF, IN(CF, metrics, "enabled", CER_Y_BOOL, enabled, .def = "true"),
       IN(CF, metrics, "path", CER_Y_STR, path, .def = "/metrics", .check = check_http_path));
SCHEMA(logging, CF,
       IN(CF, logging, "format", CER_Y_ENUM, format, .def = "text", .enums = log_formats),
       IN(CF, logging, "level", CER_Y_ENUM, level, .def = "info", .enums = log_levels),
       IN(CF, logging, "sample_interval", CER_Y_DURATION, sample_interval_ms, .def = "10s",
          .min = 1, .max = 86400000));

typedef cer_config_otlp OT;
SCHEMA(otlp, OT,
       F(OT, "event_name_attribute", CER_Y_STR, event_name_attribute, .def = "event.name",
         .flags = CER_YF_NONEMPTY),
       F(OT, "default_type", CER_Y_STR, default_type, .def = "io.opentelemetry.log",
         .flags = CER_YF_NONEMPTY),
       F(OT, "spans", CER_Y_ENUM, spans, .def = "genai", .enums = spans),
       F(OT, "tenant_attribute", CER_Y_STR, tenant_attribute, .def = "tenant_id",
         .flags = CER_YF_NONEMPTY),
       F(OT, "user_attribute", CER_Y_STR, user_attribute, .def = "user_id",
         .flags = CER_YF_NONEMPTY),
       F(OT, "allow_content", CER_Y_BOOL, allow_content, .def = "false"));

SCHEMA(dead_letter, CF, IN(CF, dead_letter, "topic", CER_Y_STR, topic, .check = check_topic),
       IN(CF, dead_letter, "log_dir", CER_Y_STR, log_dir, .flags = CER_YF_NONEMPTY));
SCHEMA(shutdown, CF,
       IN(CF, shutdown, "drain_timeout", CER_Y_DURATION, drain_timeout_ms, .def = "30s",
          .max = HOUR));

typedef cer_config_rule RU;
SCHEMA(rule, RU, F(RU, "name", CER_Y_STR, name, .flags = CER_YF_REQUIRED),
       F(RU, "action", CER_Y_ENUM, action, .flags = CER_YF_REQUIRED, .enums = verdicts),
       F(RU, "when", CER_Y_STR, when, .flags = CER_YF_REQUIRED));
typedef cer_config_policy PO;
SCHEMA(opa, PO, IN(PO, opa, "url", CER_Y_STR, url, .check = check_url),
       IN(PO, opa, "path", CER_Y_STR, path, .check = check_opa_path, .flags = CER_YF_NONEMPTY),
       IN(PO, opa, "timeout", CER_Y_DURATION, timeout_ms, .def = "500ms", .min = 1,
          .max = 60 * SEC),
       IN(PO, opa, "cache_ttl", CER_Y_DURATION, cache_ttl_ms, .def = "10s", .max = HOUR),
       IN(PO, opa, "fail", CER_Y_ENUM, fail, .def = "deny", .enums = verdicts));
SCHEMA(policy, PO, F(PO, "default", CER_Y_ENUM, default_action, .def = "allow", .enums = verdicts),
       F(PO, "rules", CER_Y_LIST, rules, .aux = offsetof(PO, nrules), .sub = &rule_s),
       F(PO, "opa", CER_Y_SECTION, opa, .sub = &opa_s),
       F(PO, "dead_letter", CER_Y_BOOL, dead_letter, .def = "false"));

typedef cer_config_mask_rule MR;
SCHEMA(mask_rule, MR, F(MR, "name", CER_Y_STR, name, .flags = CER_YF_REQUIRED),
       F(MR, "path", CER_Y_STR, path, .flags = CER_YF_REQUIRED, .check = check_pointer),
       F(MR, "action", CER_Y_ENUM, action, .flags = CER_YF_REQUIRED, .enums = mask_actions),
       F(MR, "length", CER_Y_INT, length, .def = "8", .min = 1, .max = 4096));
typedef cer_config_masking MA;
SCHEMA(masking, MA, F(MA, "key", CER_Y_STR, key, .flags = CER_YF_SECRET | CER_YF_NONEMPTY),
       F(MA, "rules", CER_Y_LIST, rules, .aux = offsetof(MA, nrules), .sub = &mask_rule_s),
       F(MA, "detectors", CER_Y_ENUMSET, detectors, .flags = CER_YF_COMMA, .def = "*",
         .enums = detectors),
       F(MA, "allow_content", CER_Y_BOOL, allow_content, .def = "false"));

static const cer_yenum catalog_modes[] = {{"off", CER_CONFIG_CATALOG_OFF},
                                          {"warn", CER_CONFIG_CATALOG_WARN},
                                          {"enforce", CER_CONFIG_CATALOG_ENFORCE},
                                          {NULL, 0}};

static int check_catalog_mode(const char *s, char *w, size_t n)
{
    if (strcmp(s, "off") == 0 || strcmp(s, "warn") == 0 || strcmp(s, "enforce") == 0)
        return 0;
    return why(w, n, "expected off, warn or enforce");
}

typedef cer_config_catalog CA;
SCHEMA(catalog, CA, F(CA, "mode", CER_Y_ENUM, mode, .def = "warn", .enums = catalog_modes),
       F(CA, "types", CER_Y_KVMAP, types, .check = check_catalog_mode),
       F(CA, "file", CER_Y_STR, file, .flags = CER_YF_NONEMPTY),
       F(CA, "prices", CER_Y_STR, prices, .flags = CER_YF_NONEMPTY));

#undef SCHEMA
#define SCHEMA(name, S, ...)                                                                       \
    static const cer_yfield name##_fields[] = {__VA_ARGS__};                                       \
    const cer_yschema cer__config_schema = {                                                       \
        name##_fields, sizeof name##_fields / sizeof *name##_fields, sizeof(S)}
SCHEMA(root, CF,
       F(CF, "source", CER_Y_STR, source, .flags = CER_YF_NONEMPTY, .check = check_source),
       F(CF, "binding", CER_Y_ENUM, binding, .def = "log", .enums = cer__config_bindings),
       F(CF, "kafka", CER_Y_SECTION, kafka, .sub = &kafka_s),
       F(CF, "http", CER_Y_SECTION, http, .sub = &http_s),
       F(CF, "log", CER_Y_SECTION, log, .sub = &log_s),
       F(CF, "listen", CER_Y_SECTION, listen, .sub = &listen_s),
       F(CF, "routes", CER_Y_LIST, routes, .aux = offsetof(CF, nroutes), .sub = &route_s),
       F(CF, "buffer", CER_Y_SECTION, buffer, .sub = &buffer_s),
       F(CF, "ack", CER_Y_ENUM, ack, .def = "local", .enums = cer__config_acks),
       F(CF, "limits", CER_Y_SECTION, limits, .sub = &limits_s),
       F(CF, "metrics", CER_Y_SECTION, metrics, .sub = &metrics_s),
       F(CF, "logging", CER_Y_SECTION, logging, .sub = &logging_s),
       F(CF, "otlp", CER_Y_SECTION, otlp, .sub = &otlp_s),
       F(CF, "dead_letter", CER_Y_SECTION, dead_letter, .sub = &dead_letter_s),
       F(CF, "shutdown", CER_Y_SECTION, shutdown, .sub = &shutdown_s),
       F(CF, "policy", CER_Y_SECTION, policy, .sub = &policy_s),
       F(CF, "masking", CER_Y_SECTION, masking, .sub = &masking_s),
       F(CF, "catalog", CER_Y_SECTION, catalog, .sub = &catalog_s));
