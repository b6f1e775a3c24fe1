/* cerelay AI event catalog: the fifteen built-in event types (eight eventzr.llm.*.v1, seven
 * io.coresdk.*) with their JSON Schemas, topics and partition keys; validation of an event's data
 * against its schema (off|warn|enforce per type); LLM cost from a price table; typed builders
 * that produce the exact events of the catalog; and a seeded traffic generator. The catalog is
 * compiled into the library and can be extended or overridden from JSON files.
 * Library: libcerelay-catalog (links the core and the emitter). Reference: docs/catalog.md. */
#ifndef CERELAY_CATALOG_H
#define CERELAY_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"
#include "cerelay/emitter.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CER_CATALOG_EXTERN __attribute__((visibility("default")))
#else
#define CER_CATALOG_EXTERN
#endif

/* Where the schemas are published (docs/schemas/ is that folder): a built-in type's dataschema
 * is CER_CATALOG_SCHEMA_BASE "<type>.json". */
#define CER_CATALOG_SCHEMA_BASE "https://cerelay.dev/schemas/"

/* Caps (named defaults; errors are the core's ce_err codes with detail in errstr). */
#define CER_CATALOG_MAX_FILE_BYTES ((size_t)16 << 20) /* a catalog, schema or price file */
#define CER_CATALOG_MAX_DEPTH      64u                /* JSON nesting of data and schemas */
#define CER_CATALOG_MAX_NODES      (1u << 20)         /* JSON values in one document */
#define CER_CATALOG_MAX_TYPES      4096u              /* types in one catalog */
#define CER_CATALOG_MAX_MESSAGES   8u                 /* messages kept in one result */
#define CER_CATALOG_MESSAGE_BYTES  256u               /* bytes per kept message */

/* ------------------------------------------------------------------------------------------
 * The catalog handle. Immutable once loaded: every const function may run from many threads
 * at once; loading and cer_catalog_set_mode must not overlap other calls on the same handle.
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_catalog cer_catalog;

enum {
    CER_CATALOG_EMPTY = 1 << 0 /* cer_catalog_new: start without the built-in types */
};

/* New catalog holding the built-in types (unless CER_CATALOG_EMPTY). Returns 0, CE_ENOMEM, or
 * (only if the build embedded a broken catalog) CE_ESYNTAX with detail. Caller owns *out. */
CER_CATALOG_EXTERN int cer_catalog_new(cer_catalog **out, unsigned flags, char *errstr,
                                       size_t errstr_size);
/* Free the catalog and everything it owns; borrowed strings die with it. NULL is a no-op. */
CER_CATALOG_EXTERN void cer_catalog_destroy(cer_catalog *cat);

/* Add or replace types from a JSON file of the catalog.json shape (docs/catalog.md): a "types"
 * array whose entries name a "schema" file (relative to the loaded file's folder) or give the
 * schema inline. The whole file is checked before anything changes: on failure the catalog is
 * as it was and errstr names the file, the type and the key or schema keyword at fault. */
CER_CATALOG_EXTERN int cer_catalog_load_file(cer_catalog *cat, const char *path, char *errstr,
                                             size_t errstr_size);
/* The same from memory; relative schema paths resolve against base_dir (NULL: only inline
 * schemas are allowed). `name` labels errors. */
CER_CATALOG_EXTERN int cer_catalog_load_mem(cer_catalog *cat, const char *name, const char *json,
                                            size_t len, const char *base_dir, char *errstr,
                                            size_t errstr_size);

typedef enum cer_catalog_mode {
    CER_CATALOG_OFF = 0,    /* not checked */
    CER_CATALOG_WARN = 1,   /* checked; violations are reported but the event passes */
    CER_CATALOG_ENFORCE = 2 /* checked; violations reject the event */
} cer_catalog_mode;

/* "off" | "warn" | "enforce"; parse returns 0 or CE_EINVAL. */
CER_CATALOG_EXTERN const char *cer_catalog_mode_name(cer_catalog_mode m);
CER_CATALOG_EXTERN int cer_catalog_mode_parse(const char *s, cer_catalog_mode *out);

/* One type, borrowed from the catalog (valid until the catalog is changed or destroyed). */
typedef struct cer_catalog_type {
    const char *type;          /* "eventzr.llm.usage.v1" */
    const char *description;   /* one line */
    const char *topic;         /* default topic (the type itself for the built-ins) */
    const char *partition_key; /* the attribute whose value keys the Kafka record: "subject" */
    const char *subject;       /* subject template over data fields ("{tenantId}") or "" */
    const char *source;        /* default source of the typed builders */
    const char *dataschema;    /* URI of the schema */
    const char *schema_path;   /* "schemas/<type>.json", or "" when inline */
    ce_slice schema_json;      /* the schema document as written */
    ce_slice example_json;     /* a complete example event as written */
    cer_catalog_mode mode;     /* validation mode */
} cer_catalog_type;

/* Number of types, and the idx-th in order of type name. Returns 0 or CE_ENOTFOUND. */
CER_CATALOG_EXTERN size_t cer_catalog_count(const cer_catalog *cat);
CER_CATALOG_EXTERN int cer_catalog_type_at(const cer_catalog *cat, size_t idx,
                                           cer_catalog_type *out);
/* Look a type up by name. Returns 0 or CE_ENOTFOUND. */
CER_CATALOG_EXTERN int cer_catalog_find(const cer_catalog *cat, const char *type,
                                        cer_catalog_type *out);
/* Set the validation mode of `type` (NULL: every type, and the default for types loaded
 * later without a "validation" key). Returns 0 or CE_ENOTFOUND. Not thread-safe. */
CER_CATALOG_EXTERN int cer_catalog_set_mode(cer_catalog *cat, const char *type,
                                            cer_catalog_mode mode);

/* ------------------------------------------------------------------------------------------
 * Validation.
 * ------------------------------------------------------------------------------------------ */
typedef enum cer_catalog_verdict {
    CER_CATALOG_VALID = 0,    /* checked, no violation */
    CER_CATALOG_SKIPPED = 1,  /* the type's mode is off */
    CER_CATALOG_WARNED = 2,   /* violations, mode warn: deliver, but report */
    CER_CATALOG_REJECTED = 3, /* violations, mode enforce: refuse */
    CER_CATALOG_UNKNOWN = 4   /* the type is not in the catalog (nothing checked) */
} cer_catalog_verdict;

/* "valid" | "skipped" | "warned" | "rejected" | "unknown". */
CER_CATALOG_EXTERN const char *cer_catalog_verdict_name(cer_catalog_verdict v);

/* The outcome of one validation: a plain value the caller owns (no allocation; ~2 KiB).
 * `violations` counts every violation found; the first CER_CATALOG_MAX_MESSAGES are kept, each
 * naming the field ("data.inputTokens: expected an integer >= 0, got -5"). */
typedef struct cer_catalog_result {
    cer_catalog_verdict verdict;
    size_t violations;
    size_t nmessages;
    char messages[CER_CATALOG_MAX_MESSAGES][CER_CATALOG_MESSAGE_BYTES];
} cer_catalog_result;

/* Check `ev` against its type's entry: data present, JSON (datacontenttype absent or a JSON
 * media type), valid against the schema; dataschema (if set) the type's URI; the partition-key
 * attribute set and, when the type has a subject template, equal to the one the data gives.
 * Fills *res and returns its verdict (>= 0), or a negative code (CE_ENOMEM; CE_ETOOBIG or
 * CE_EDEPTH when the data exceeds CER_CATALOG_MAX_NODES or CER_CATALOG_MAX_DEPTH, which is
 * also a violation). Thread-safe on a loaded catalog. */
CER_CATALOG_EXTERN int cer_catalog_validate(const cer_catalog *cat, const ce_event *ev,
                                            cer_catalog_result *res);
/* Check only a data document against `type`'s schema (no envelope checks, mode ignored:
 * verdict is VALID, REJECTED or UNKNOWN). */
CER_CATALOG_EXTERN int cer_catalog_validate_data(const cer_catalog *cat, const char *type,
                                                 const char *json, size_t len,
                                                 cer_catalog_result *res);

/* The record key of `ev`: the value of its type's partition-key attribute (for unknown types,
 * the subject). Returns 0 and a slice borrowed from the event, or CE_ENOTFOUND. */
CER_CATALOG_EXTERN int cer_catalog_partition_key(const cer_catalog *cat, const ce_event *ev,
                                                 ce_slice *key);

/* ------------------------------------------------------------------------------------------
 * Cost. A price table is a JSON object provider -> model -> {"input_per_1k": USD,
 * "output_per_1k": USD}; model "*" is the provider's fallback. Prices are decimal numbers with
 * at most 9 fraction digits, read exactly. cost = input_tokens * input_per_1k / 1000 +
 * output_tokens * output_per_1k / 1000, computed exactly and rounded half up to 6 decimals
 * (one micro-dollar).
 * ------------------------------------------------------------------------------------------ */
/* Add or replace prices from a file / memory. On failure nothing changes. Not thread-safe. */
CER_CATALOG_EXTERN int cer_catalog_load_prices(cer_catalog *cat, const char *path, char *errstr,
                                               size_t errstr_size);
CER_CATALOG_EXTERN int cer_catalog_load_prices_mem(cer_catalog *cat, const char *json, size_t len,
                                                   char *errstr, size_t errstr_size);
/* Cost in micro-dollars (1e-6 USD). Returns 0, CE_ENOTFOUND (no price for provider/model) or
 * CE_ERANGE (negative or overflowing counts). Thread-safe. */
CER_CATALOG_EXTERN int cer_catalog_cost(const cer_catalog *cat, const char *provider,
                                        const char *model, int64_t input_tokens,
                                        int64_t output_tokens, int64_t *micro_usd, char *errstr,
                                        size_t errstr_size);
/* The token counts of one call by price class. cache_read_input and cache_creation_input are
 * part of input (as OpenTelemetry's gen_ai.usage.cache_*.input_tokens are part of
 * gen_ai.usage.input_tokens), reasoning_output part of output; 0 when unknown. */
typedef struct cer_catalog_tokens {
    int64_t input, output;
    int64_t cache_read_input, cache_creation_input, reasoning_output;
} cer_catalog_tokens;
/* Cost in micro-dollars of `t`: each class at its own price (cache_read_input_per_1k,
 * cache_creation_input_per_1k, reasoning_output_per_1k; a class without a price of its own
 * costs the input or output price), the rest of input and output at input_per_1k and
 * output_per_1k; exact, rounded half up once. Returns 0, CE_ENOTFOUND or CE_ERANGE (negative
 * counts, a class larger than the count it is part of, overflow). Thread-safe. */
CER_CATALOG_EXTERN int cer_catalog_cost_tokens(const cer_catalog *cat, const char *provider,
                                               const char *model, const cer_catalog_tokens *t,
                                               int64_t *micro_usd, char *errstr,
                                               size_t errstr_size);
/* Write micro_usd as a JSON number in dollars with no trailing zeros ("0.0057", "12", "0").
 * Returns the length (out holds at least 32 bytes). */
CER_CATALOG_EXTERN size_t cer_catalog_format_usd(int64_t micro_usd, char out[32]);
/* When `ev` is an eventzr.llm.usage.v1 or eventzr.llm.embeddings.generated.v1 event whose data
 * has no costUsd (or costUsd null), compute it from provider, model and the token counts and
 * insert it (before "cached" in usage, else at the end). Returns 1 when filled, 0 when nothing
 * was to be done (other type, cost present), or a negative code with errstr naming the field
 * (CE_ENOTFOUND: no price; CE_EMISSING: a field needed is missing or null). On failure the
 * event is unchanged. */
CER_CATALOG_EXTERN int cer_catalog_fill_cost(const cer_catalog *cat, ce_event *ev, char *errstr,
                                             size_t errstr_size);

/* ------------------------------------------------------------------------------------------
 * Building events. Every builder makes a new event (caller owns *out; NULL on failure) with
 * specversion, id, source, type, datacontenttype application/json, dataschema, subject (the
 * partition key) and time, and data written compactly in schema order. Builders check that
 * required strings are given and counts are not negative (CE_EINVAL naming the field); the
 * full schema check is cer_catalog_validate. Thread-safe.
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_event_meta {
    const char *source;     /* NULL: the type's default source (docs/catalog.md) */
    const char *id;         /* NULL: a fresh UUIDv7 */
    const char *time;       /* NULL: now (RFC 3339, milliseconds) */
    const char *subject;    /* NULL: derived from the data by the type's subject template */
    const char *dataschema; /* NULL: the type's schema URI; "": no dataschema attribute */
} cer_event_meta;

/* Any catalog type from its data (one JSON value, kept byte for byte); meta may be NULL. */
CER_CATALOG_EXTERN int cer_catalog_event(const cer_catalog *cat, const char *type,
                                         const char *data_json, size_t len,
                                         const cer_event_meta *meta, ce_event **out, char *errstr,
                                         size_t errstr_size);

#define CER_COST_UNKNOWN (-1.0) /* a cost_usd below zero is left out of the data */

/* eventzr.llm.usage.v1: usage after a successful inference. */
typedef struct cer_llm_usage {
    const char *tenant_id; /* required; also the subject */
    const char *user_id;   /* NULL: null */
    const char *provider;  /* required, e.g. "aws-bedrock" */
    const char *model;     /* required */
    const char *use_case;  /* NULL: null */
    int64_t input_tokens, output_tokens;
    int64_t total_tokens; /* 0: input + output */
    int64_t latency_ms;
    double cost_usd; /* CER_COST_UNKNOWN: omitted (cer_catalog_fill_cost fills it) */
    int cached;
} cer_llm_usage;

/* eventzr.llm.semantic-cache.hit.v1: a cached response served instead of a provider call. */
typedef struct cer_llm_cache_hit {
    const char *tenant_id, *user_id, *provider, *model, *use_case; /* as in usage */
    const char *cache_entry_id;                                    /* required */
    double similarity_score, similarity_threshold;                 /* 0..1 */
    int64_t saved_input_tokens, saved_output_tokens;
    double saved_cost_usd;
    int64_t latency_ms;    /* cache lookup */
    const char *cached_at; /* when the entry was stored; NULL: the event time */
} cer_llm_cache_hit;

/* eventzr.llm.quota.low.v1: credit balance below the alert threshold (20%). */
typedef struct cer_llm_quota_low {
    const char *tenant_id;
    double balance, allocation; /* remaining and allotted for the period */
    const char *unit;           /* "credits" | "usd" | "tokens"; NULL: "credits" */
    double threshold_percent;   /* 0: 20 */
    double remaining_percent;   /* 100 * balance / allocation, as the producer computed it */
    const char *period_end;     /* NULL: null */
} cer_llm_quota_low;

typedef enum cer_llm_budget_action {
    CER_LLM_REJECTED = 0,
    CER_LLM_FLAGGED = 1
} cer_llm_budget_action;

/* eventzr.llm.budget.exceeded.v1: a request would breach a budget ceiling. */
typedef struct cer_llm_budget_exceeded {
    const char *tenant_id, *user_id; /* user_id NULL: null */
    const char *budget_id;           /* required */
    const char *period;              /* "daily" | "weekly" | "monthly" | "total" */
    double limit_usd, spent_usd, request_cost_usd;
    cer_llm_budget_action action;
    const char *model, *use_case; /* NULL: null */
} cer_llm_budget_exceeded;

typedef enum cer_llm_breaker_state {
    CER_LLM_CLOSED = 0,
    CER_LLM_OPEN = 1,
    CER_LLM_HALF_OPEN = 2
} cer_llm_breaker_state;

/* eventzr.llm.provider.outage.v1: a provider circuit breaker changed state. */
typedef struct cer_llm_provider_outage {
    const char *tenant_id; /* the tenant whose call observed the transition */
    const char *provider;  /* required */
    const char *model;     /* NULL: null (provider-wide breaker) */
    const char *region;    /* NULL: null */
    cer_llm_breaker_state state, previous_state;
    const char *reason; /* required */
    double error_rate;  /* 0..1 over the breaker's window */
    int64_t consecutive_failures;
    const char *retry_at;   /* next half-open probe; NULL: null */
    const char *changed_at; /* NULL: the event time */
} cer_llm_provider_outage;

/* eventzr.llm.inference.failed.v1: failure after all retries across providers. */
typedef struct cer_llm_inference_failed {
    const char *tenant_id, *user_id, *use_case; /* user_id, use_case NULL: null */
    const char *request_id, *model;             /* required */
    const char *const *providers_tried;         /* in order; at least one */
    size_t n_providers_tried;
    int64_t attempts; /* >= 1 */
    struct {
        const char *provider, *code, *message; /* required */
        int http_status;                       /* 0: null */
        int retryable;
    } last_error;
    int64_t latency_ms; /* from the request to the final failure */
} cer_llm_inference_failed;

/* eventzr.llm.embeddings.generated.v1: embeddings computed (single or batch). */
typedef struct cer_llm_embeddings {
    const char *tenant_id, *user_id, *use_case; /* user_id, use_case NULL: null */
    const char *provider, *model;               /* required */
    int64_t count, dimensions;                  /* >= 1 */
    int64_t input_tokens;
    int batch;
    int64_t latency_ms;
    double cost_usd; /* CER_COST_UNKNOWN: omitted */
} cer_llm_embeddings;

/* eventzr.llm.kg.synced.v1: knowledge-graph sync done, AI decisions recorded. */
typedef struct cer_llm_kg_synced {
    const char *tenant_id, *sync_id, *graph; /* required */
    int64_t nodes_synced, edges_synced, decisions_synced, duration_ms;
    const char *completed_at; /* NULL: the event time */
} cer_llm_kg_synced;

CER_CATALOG_EXTERN int cer_llm_usage_event(const cer_llm_usage *u, const cer_event_meta *meta,
                                           ce_event **out, char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_llm_cache_hit_event(const cer_llm_cache_hit *h,
                                               const cer_event_meta *meta, ce_event **out,
                                               char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_llm_quota_low_event(const cer_llm_quota_low *q,
                                               const cer_event_meta *meta, ce_event **out,
                                               char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_llm_budget_exceeded_event(const cer_llm_budget_exceeded *b,
                                                     const cer_event_meta *meta, ce_event **out,
                                                     char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_llm_provider_outage_event(const cer_llm_provider_outage *o,
                                                     const cer_event_meta *meta, ce_event **out,
                                                     char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_llm_inference_failed_event(const cer_llm_inference_failed *f,
                                                      const cer_event_meta *meta, ce_event **out,
                                                      char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_llm_embeddings_event(const cer_llm_embeddings *e,
                                                const cer_event_meta *meta, ce_event **out,
                                                char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_llm_kg_synced_event(const cer_llm_kg_synced *k,
                                               const cer_event_meta *meta, ce_event **out,
                                               char *errstr, size_t errstr_size);

/* Build and queue on an emitter (cer_emitter_emit: never blocks; CER_EQUEUE_FULL means push
 * back). `opaque` reaches the emitter's delivery callback. Thread-safe. */
CER_CATALOG_EXTERN int cer_emit_llm_usage(cer_emitter *em, const cer_llm_usage *u,
                                          const cer_event_meta *meta, void *opaque, char *errstr,
                                          size_t errstr_size);
CER_CATALOG_EXTERN int cer_emit_llm_cache_hit(cer_emitter *em, const cer_llm_cache_hit *h,
                                              const cer_event_meta *meta, void *opaque,
                                              char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_emit_llm_quota_low(cer_emitter *em, const cer_llm_quota_low *q,
                                              const cer_event_meta *meta, void *opaque,
                                              char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_emit_llm_budget_exceeded(cer_emitter *em,
                                                    const cer_llm_budget_exceeded *b,
                                                    const cer_event_meta *meta, void *opaque,
                                                    char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_emit_llm_provider_outage(cer_emitter *em,
                                                    const cer_llm_provider_outage *o,
                                                    const cer_event_meta *meta, void *opaque,
                                                    char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_emit_llm_inference_failed(cer_emitter *em,
                                                     const cer_llm_inference_failed *f,
                                                     const cer_event_meta *meta, void *opaque,
                                                     char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_emit_llm_embeddings(cer_emitter *em, const cer_llm_embeddings *e,
                                               const cer_event_meta *meta, void *opaque,
                                               char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_emit_llm_kg_synced(cer_emitter *em, const cer_llm_kg_synced *k,
                                              const cer_event_meta *meta, void *opaque,
                                              char *errstr, size_t errstr_size);

/* io.coresdk.*: the payloads of seed 002 (snake_case). Subject: tenant/{tenant_id}, plus
 * /user/{user_id} for policy, auth and error events when user_id is given. */
typedef struct cer_coresdk_policy_decision {
    const char *tenant_id, *user_id, *action; /* user_id NULL: null */
    int allowed;                              /* result "allowed" | "denied" */
    int64_t policy_latency_us;
    const char *trace_id, *span_id; /* 32 and 16 lowercase hex digits */
} cer_coresdk_policy_decision;

typedef struct cer_coresdk_auth {
    const char *tenant_id, *user_id, *auth_method; /* user_id NULL: null */
    const char *reason;   /* denied only: invalid_token | expired | wrong_audience | other */
    const char *trace_id; /* NULL: null */
} cer_coresdk_auth;

typedef struct cer_coresdk_tenant_created {
    const char *tenant_id, *name, *plan;
    const char *created_at; /* NULL: the event time */
    const char *trace_id;   /* NULL: null */
} cer_coresdk_tenant_created;

typedef struct cer_coresdk_tenant_suspended {
    const char *tenant_id, *reason;
    const char *suspended_by; /* "policy" | "operator" */
    const char *actor;        /* policy path or operator id */
    const char *suspended_at; /* NULL: the event time */
    const char *trace_id;     /* NULL: null */
} cer_coresdk_tenant_suspended;

typedef struct cer_coresdk_secret_rotated {
    const char *tenant_id, *secret_name, *vault, *version;
    const char *rotated_at;       /* NULL: the event time */
    const char *next_rotation_at; /* NULL: null */
    const char *trace_id;         /* NULL: null */
} cer_coresdk_secret_rotated;

/* io.coresdk.error: an RFC 9457 problem object with tenant_id, user_id and trace_id members. */
typedef struct cer_coresdk_error {
    const char *type;                /* problem type URI; NULL: "about:blank" */
    const char *title;               /* required */
    int status;                      /* HTTP status, 100..599 */
    const char *detail, *instance;   /* NULL: left out */
    const char *tenant_id, *user_id; /* user_id NULL: null */
    const char *trace_id;            /* NULL: null */
    const char *extra_members;       /* NULL, or more members as JSON text: "\"errors\":[...]" */
} cer_coresdk_error;

CER_CATALOG_EXTERN int cer_coresdk_policy_decision_event(const cer_coresdk_policy_decision *p,
                                                         const cer_event_meta *meta, ce_event **out,
                                                         char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_coresdk_auth_verified_event(const cer_coresdk_auth *a,
                                                       const cer_event_meta *meta, ce_event **out,
                                                       char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_coresdk_auth_denied_event(const cer_coresdk_auth *a,
                                                     const cer_event_meta *meta, ce_event **out,
                                                     char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_coresdk_tenant_created_event(const cer_coresdk_tenant_created *t,
                                                        const cer_event_meta *meta, ce_event **out,
                                                        char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_coresdk_tenant_suspended_event(const cer_coresdk_tenant_suspended *t,
                                                          const cer_event_meta *meta,
                                                          ce_event **out, char *errstr,
                                                          size_t errstr_size);
CER_CATALOG_EXTERN int cer_coresdk_secret_rotated_event(const cer_coresdk_secret_rotated *s,
                                                        const cer_event_meta *meta, ce_event **out,
                                                        char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN int cer_coresdk_error_event(const cer_coresdk_error *e,
                                               const cer_event_meta *meta, ce_event **out,
                                               char *errstr, size_t errstr_size);

/* ------------------------------------------------------------------------------------------
 * Traffic generator: seeded, production-shaped events over every built-in type (profile
 * "llm", docs/catalog.md): mostly usage, Zipf-skewed tenants and models, occasional outages
 * and budget breaches, large prompt-metadata extensions and error payloads. One generator is
 * used from one thread.
 * ------------------------------------------------------------------------------------------ */
typedef struct cer_catalog_gen cer_catalog_gen;

typedef struct cer_catalog_gen_conf {
    const char *profile;   /* "llm" (NULL: "llm") */
    uint32_t tenants;      /* distinct tenants, 1..100000 (0: 50) */
    uint64_t seed;         /* same seed, same event sequence */
    int deterministic_ids; /* ids from the seeded generator (else fresh UUIDv7s) */
} cer_catalog_gen_conf;

/* Returns 0 or CE_EINVAL (unknown profile, tenants out of range) / CE_ENOMEM. */
CER_CATALOG_EXTERN int cer_catalog_gen_new(cer_catalog_gen **out, const cer_catalog_gen_conf *conf,
                                           char *errstr, size_t errstr_size);
/* The next event, stamped with time `unix_nanos` (ids with deterministic_ids are UUIDv7s of
 * that time). Caller owns *out. */
CER_CATALOG_EXTERN int cer_catalog_gen_next(cer_catalog_gen *g, int64_t unix_nanos, ce_event **out,
                                            char *errstr, size_t errstr_size);
CER_CATALOG_EXTERN void cer_catalog_gen_destroy(cer_catalog_gen *g);

#ifdef __cplusplus
}
#endif
#endif /* CERELAY_CATALOG_H */
