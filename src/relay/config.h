/* The relay configuration: a YAML file (docs/config.md) read into a plain typed struct. Every
 * problem is reported at once, each as "FILE:LINE:COL: key 'a.b': what is wrong"; secrets are
 * never printed. Internal API of cerelay_relay; prefix cer_config_. */
#ifndef CER_RELAY_CONFIG_H
#define CER_RELAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"
#include "gov/config.h" /* policy: and masking: (the types gov needs, one layer down) */

/* ---------------------------------------------------------------------------------------------
 * Value types. Strings are NUL-terminated and owned by the cer_config they came from (or are
 * static defaults); NULL means "not set". Sizes are bytes, durations milliseconds.
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_config_strlist {
    const char **v;
    size_t n;
} cer_config_strlist;

typedef struct cer_config_kv {
    const char *name;
    const char *value;
    bool secret; /* never printed (names like Authorization, *token*, *key*, *secret*) */
} cer_config_kv;

typedef struct cer_config_kvlist {
    cer_config_kv *v; /* in file order */
    size_t n;
} cer_config_kvlist;

typedef enum cer_config_binding {
    CER_CONFIG_BINDING_KAFKA = 1,
    CER_CONFIG_BINDING_HTTP,
    CER_CONFIG_BINDING_LOG,
    CER_CONFIG_BINDING_STDOUT
} cer_config_binding;

/* kafka.mode and http.mode hold ce_mode values (CE_MODE_BINARY, _STRUCTURED, _BATCH). */

typedef enum cer_config_sasl_mech {
    CER_CONFIG_SASL_NONE = 0,
    CER_CONFIG_SASL_PLAIN,
    CER_CONFIG_SASL_SCRAM_SHA_256,
    CER_CONFIG_SASL_SCRAM_SHA_512,
    CER_CONFIG_SASL_OAUTHBEARER,
    CER_CONFIG_SASL_AWS_MSK_IAM
} cer_config_sasl_mech;

typedef enum cer_config_compression {
    CER_CONFIG_COMPRESSION_NONE = 1,
    CER_CONFIG_COMPRESSION_GZIP,
    CER_CONFIG_COMPRESSION_SNAPPY,
    CER_CONFIG_COMPRESSION_LZ4,
    CER_CONFIG_COMPRESSION_ZSTD
} cer_config_compression;

typedef enum cer_config_fsync {
    CER_CONFIG_FSYNC_ALWAYS = 1,
    CER_CONFIG_FSYNC_INTERVAL,
    CER_CONFIG_FSYNC_NEVER
} cer_config_fsync;

typedef enum cer_config_buffer_type {
    CER_CONFIG_BUFFER_MEMORY = 1,
    CER_CONFIG_BUFFER_DISK
} cer_config_buffer_type;

typedef enum cer_config_when_full {
    CER_CONFIG_WHEN_FULL_BLOCK = 1,
    CER_CONFIG_WHEN_FULL_DROP_OLDEST
} cer_config_when_full;

typedef enum cer_config_ack {
    CER_CONFIG_ACK_REMOTE = 1,
    CER_CONFIG_ACK_LOCAL,
    CER_CONFIG_ACK_NONE
} cer_config_ack;

typedef enum cer_config_log_format {
    CER_CONFIG_LOG_TEXT = 1,
    CER_CONFIG_LOG_JSON
} cer_config_log_format;

typedef enum cer_config_log_level {
    CER_CONFIG_LEVEL_DEBUG = 1,
    CER_CONFIG_LEVEL_INFO,
    CER_CONFIG_LEVEL_WARN,
    CER_CONFIG_LEVEL_ERROR
} cer_config_log_level;

typedef enum cer_config_spans {
    CER_CONFIG_SPANS_GENAI = 1,
    CER_CONFIG_SPANS_ALL,
    CER_CONFIG_SPANS_NONE
} cer_config_spans;

/* ---------------------------------------------------------------------------------------------
 * The configuration. Field names follow the YAML keys; see docs/config.md for each.
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_config_kafka_tls {
    bool enabled;                /* `tls: true`, or any map */
    const char *ca, *cert, *key; /* file paths */
    bool verify_hostname;
} cer_config_kafka_tls;

typedef struct cer_config_sasl {
    int mechanism; /* cer_config_sasl_mech */
    const char *username;
    const char *password; /* secret */
    const char *token;    /* secret: a static OAUTHBEARER token */
    struct {
        const char *token_url, *client_id;
        const char *client_secret; /* secret */
        const char *scope;
    } oidc;
    struct {
        const char *region, *profile;
    } aws;
} cer_config_sasl;

typedef struct cer_config_kafka {
    cer_config_strlist brokers;
    const char *topic; /* topic template, default "{type}" */
    const char *key;   /* key template; NULL = partitionkey, else subject */
    int mode;          /* ce_mode: CE_MODE_BINARY or CE_MODE_STRUCTURED */
    cer_config_kafka_tls tls;
    cer_config_sasl sasl;
    int compression; /* cer_config_compression */
    int64_t linger_ms;
    cer_config_kvlist properties;       /* librdkafka passthrough */
    cer_config_kvlist headers;          /* static record headers: name -> value (literal) */
    cer_config_kvlist header_templates; /* per-event record headers: name -> key template */
} cer_config_kafka;

typedef struct cer_config_http {
    const char *endpoint;
    cer_config_kvlist headers;
    int mode; /* ce_mode: CE_MODE_BATCH, _STRUCTURED or _BINARY */
    int64_t batch_size;
    uint64_t flush_interval_ms, timeout_ms;
    struct {
        const char *ca;
        bool verify;
    } tls;
} cer_config_http;

typedef struct cer_config_log {
    const char *dir;
    int64_t partitions;
    int fsync; /* cer_config_fsync */
    uint64_t fsync_interval_ms;
    uint64_t segment_bytes;
    struct {
        uint64_t bytes;  /* 0 = no size limit */
        uint64_t age_ms; /* 0 = keep forever */
    } retention;
} cer_config_log;

typedef struct cer_config_listen {
    const char *events; /* "host:port"; "" = disabled */
    const char *otlp;
    /* OTLP/gRPC; NULL (not set) = 127.0.0.1:4317, skipped with a warning when that port is
     * taken; "" = disabled */
    const char *otlp_grpc;
    struct {
        const char *cert, *key;
        const char *client_ca; /* mTLS: clients must present a certificate it signed */
    } tls;
    struct {
        cer_config_strlist bearer_tokens; /* secret */
    } auth;
} cer_config_listen;

typedef struct cer_config_route {
    const char *match; /* glob on the event type: * and ? */
    const char *topic; /* NULL = the binding's */
    const char *key;   /* NULL = the binding's */
} cer_config_route;

typedef struct cer_config_buffer {
    int type; /* cer_config_buffer_type */
    const char *dir;
    uint64_t max_bytes;
    int when_full; /* cer_config_when_full */
} cer_config_buffer;

typedef struct cer_config_tenant_override {
    const char *tenant;  /* the bucket key this applies to */
    int64_t rate, burst; /* burst 0 = rate */
} cer_config_tenant_override;

/* limits.tenant_rate: token buckets per tenant (docs/config.md). */
typedef struct cer_config_tenant_rate {
    const char *key;         /* bucket key template, default "{tenantid}" */
    int64_t rate;            /* events per second per tenant; 0 = off (default) */
    int64_t burst;           /* bucket size; 0 = rate */
    int64_t max_buckets;     /* tenants tracked at once (LRU beyond) */
    int64_t metrics_tenants; /* tenants named in /metrics (the rest: "other") */
    cer_config_tenant_override *overrides;
    size_t noverrides;
} cer_config_tenant_rate;

typedef struct cer_config_limits {
    uint64_t max_body_bytes, max_event_bytes;
    int64_t max_batch_events;
    uint64_t max_memory_bytes;
    cer_config_tenant_rate tenant_rate;
} cer_config_limits;

typedef struct cer_config_otlp {
    const char *event_name_attribute, *default_type;
    int spans; /* cer_config_spans */
    const char *tenant_attribute, *user_attribute;
    bool allow_content;
} cer_config_otlp;

typedef enum cer_config_catalog_mode {
    CER_CONFIG_CATALOG_OFF = 1,
    CER_CONFIG_CATALOG_WARN,
    CER_CONFIG_CATALOG_ENFORCE
} cer_config_catalog_mode;

/* The AI event catalog in the relay: `data` checked against each known type's schema. */
typedef struct cer_config_catalog {
    int mode;                /* cer_config_catalog_mode for every known type (default warn) */
    cer_config_kvlist types; /* per-type override: type -> off|warn|enforce */
    const char *file;        /* extra or overriding types (catalog JSON), NULL = built-ins */
    const char *prices;      /* price table filling costUsd of usage events, NULL = none */
} cer_config_catalog;

typedef struct cer_config {
    const char *source;
    int binding; /* cer_config_binding */
    cer_config_kafka kafka;
    cer_config_http http;
    cer_config_log log;
    cer_config_listen listen;
    cer_config_route *routes; /* ordered; the first match wins */
    size_t nroutes;
    cer_config_buffer buffer;
    int ack; /* cer_config_ack */
    cer_config_limits limits;
    struct {
        bool enabled;
        const char *path;
    } metrics;
    struct {
        int format;                  /* cer_config_log_format */
        int level;                   /* cer_config_log_level */
        uint64_t sample_interval_ms; /* per-event lines: one per kind/reason per interval */
    } logging;
    cer_config_otlp otlp;
    struct {
        const char *topic, *log_dir; /* at most one is set; neither = drop and count */
    } dead_letter;
    struct {
        uint64_t drain_timeout_ms;
    } shutdown;
    cer_config_policy policy;
    cer_config_masking masking;
    cer_config_catalog catalog;
    void *mem_; /* private: the memory all of the above lives in */
} cer_config;

/* ---------------------------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------------------------ */
/* Where ${NAME} values come from: returns the value or NULL when unset. */
typedef const char *(*cer_config_getenv_fn)(void *ctx, const char *name);

/* Loading options; zero-initialise for the defaults. */
typedef struct cer_config_opts {
    cer_config_getenv_fn getenv_fn; /* NULL = getenv(3) */
    void *getenv_ctx;
    size_t max_bytes;   /* 0 = 1 MiB */
    unsigned max_depth; /* 0 = 32 nested maps/lists (at most 256) */
    size_t max_nodes;   /* 0 = 100000 */
} cer_config_opts;

/* Fill `cfg` with the built-in defaults: listen on 127.0.0.1:8080 (CloudEvents) and
 * 127.0.0.1:4318 (OTLP), binding `log` to ./var/cerelay, ack `local` (docs/config.md lists
 * every default). Never allocates; cer_config_free on the result is a no-op but allowed. */
void cer_config_default(cer_config *cfg);

/* Read the YAML file `path` into `cfg` (which need not be initialised). On success returns 0
 * and cfg holds the defaults overlaid with the file; the caller frees it with cer_config_free.
 * On failure cfg holds the defaults (nothing to free) and errstr lists every problem, one per
 * line, sorted by position: "PATH:LINE:COL: key 'kafka.sasl.mechanism': expected one of ...".
 * Returns CE_EINVAL (invalid configuration), CE_EIO (cannot read: errstr "PATH: reason"),
 * CE_ETOOBIG (over max_bytes), CE_ENOMEM. Thread-safe as long as getenv is (no other global
 * state). */
int cer_config_load(const char *path, cer_config *cfg, char *errstr, size_t errstr_size);
/* As cer_config_load on text[0..len); `name` (NULL = "<config>") prefixes the messages. */
int cer_config_load_string(const char *text, size_t len, const char *name, cer_config *cfg,
                           char *errstr, size_t errstr_size);
/* The same two with options (`opts` NULL = defaults). */
int cer_config_load_opts(const char *path, const cer_config_opts *opts, cer_config *cfg,
                         char *errstr, size_t errstr_size);
int cer_config_load_string_opts(const char *text, size_t len, const char *name,
                                const cer_config_opts *opts, cer_config *cfg, char *errstr,
                                size_t errstr_size);
/* Free what a successful load allocated and reset cfg to the defaults. NULL is a no-op. */
void cer_config_free(cer_config *cfg);

/* Append the effective configuration to `out` as YAML that cer_config_load accepts, every key
 * present, secrets written as "<redacted>". Returns 0 or CE_ENOMEM. Thread-safe for distinct
 * buffers. */
int cer_config_dump(const cer_config *cfg, ce_buf *out);

/* Translate text[0..len) in the CoreSDK sidecar layout (`tenant`, `otel`, `cloud_events`: seed
 * 002's coresdk-sidecar.yaml) into a native configuration appended to `out` as YAML (${VAR}
 * references kept, not expanded). cer_config_load reads the sidecar layout directly through the
 * same translation. Returns 0, CE_EINVAL (not the sidecar layout, or a problem: errstr lists
 * them as cer_config_load does, prefixed by `name`) or CE_ENOMEM. Thread-safe. */
int cer_config_convert(const char *text, size_t len, const char *name, ce_buf *out, char *errstr,
                       size_t errstr_size);

/* Replace the allocator the configuration code uses (NULL = libc), for allocation-failure
 * tests. Call before any other cer_config_ function; not thread-safe. */
void cer_config_set_allocator(const ce_allocator *a);

/* Canonical names for the enum values ("kafka", "SCRAM-SHA-512"...), or NULL when unknown. */
const char *cer_config_binding_name(int binding);
const char *cer_config_ack_name(int ack);

#endif
