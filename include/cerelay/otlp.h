/* cerelay OTLP module: decode OTLP/HTTP log and trace export requests (binary protobuf or
 * OTLP/JSON, optionally gzip-compressed), map their records to CloudEvents, and encode the
 * export responses (with partial_success). The mapping rules are in docs/otlp.md.
 * Depends on the CloudEvents core (cerelay/ce.h); protobuf-c and zlib stay behind this header. */
#ifndef CERELAY_OTLP_H
#define CERELAY_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CER_OTLP_EXTERN __attribute__((visibility("default")))
#else
#define CER_OTLP_EXTERN
#endif

/* Errors are the core's negative ce_err codes (ce_strerror, ce_err_name). This module uses:
 * CE_ENOMEM, CE_EINVAL (bad argument or configuration), CE_ESYNTAX (malformed protobuf, JSON or
 * gzip), CE_ETYPE (a JSON value of the wrong type), CE_EBADVALUE (a value of the right type
 * that is not allowed, e.g. a 15-byte trace id), CE_ETOOBIG (a byte cap), CE_ELIMIT (a count
 * cap), CE_EDEPTH (nesting cap), CE_EDUPLICATE (a JSON field given twice), CE_EUNSUPPORTED
 * (content type or encoding), CE_EUTF8. Detail always goes into the caller's errstr. */

/* ------------------------------------------------------------------------------------------
 * Limits. Every cap has a named default; a zero field in cer_otlp_limits means "the default".
 * ------------------------------------------------------------------------------------------ */
#define CER_OTLP_DEFAULT_MAX_BODY_BYTES    ((size_t)64 << 20)  /* as received (spec: 64 MiB) */
#define CER_OTLP_DEFAULT_MAX_DECODED_BYTES ((size_t)64 << 20)  /* after gzip */
#define CER_OTLP_DEFAULT_MAX_MEMORY_BYTES  ((size_t)256 << 20) /* the decoded request tree */
#define CER_OTLP_DEFAULT_MAX_RECORDS       100000u             /* log records or spans */
#define CER_OTLP_DEFAULT_MAX_DEPTH         32u                 /* AnyValue nesting; capped at 256 */
#define CER_OTLP_DEFAULT_MAX_ATTRIBUTES    1024u               /* per attribute list */

typedef struct cer_otlp_limits {
    size_t max_body_bytes;    /* body as received, before decompression */
    size_t max_decoded_bytes; /* body after decompression (zip-bomb cap) */
    size_t max_memory_bytes;  /* memory for the decoded request (protobuf-c structs) */
    uint32_t max_records;     /* log records (logs) or spans (traces) in one request */
    uint32_t max_depth;       /* AnyValue nesting: a scalar is depth 1, [[1]] is depth 3 */
    uint32_t max_attributes;  /* entries in one attribute list, kvlist or array value */
} cer_otlp_limits;

/* ------------------------------------------------------------------------------------------
 * Decoding.
 * ------------------------------------------------------------------------------------------ */
typedef enum cer_otlp_signal {
    CER_OTLP_LOGS = 1,  /* ExportLogsServiceRequest, POST /v1/logs */
    CER_OTLP_TRACES = 2 /* ExportTraceServiceRequest, POST /v1/traces */
} cer_otlp_signal;

typedef enum cer_otlp_encoding {
    CER_OTLP_PROTOBUF = 1, /* Content-Type: application/x-protobuf */
    CER_OTLP_JSON = 2      /* Content-Type: application/json */
} cer_otlp_encoding;

/* A decoded export request. Opaque; immutable once decoded, so const calls may run from
 * several threads at once. */
typedef struct cer_otlp_request cer_otlp_request;

/* Inflate a gzip body (RFC 1952; concatenated members allowed) and append it to out. Fails with
 * CE_ETOOBIG as soon as the output would exceed max_out bytes (0 = the default
 * CER_OTLP_DEFAULT_MAX_DECODED_BYTES), so a zip bomb costs at most max_out bytes; CE_ESYNTAX
 * for a corrupt or truncated stream or trailing garbage. out->len is unchanged on failure.
 * Thread-safe. */
CER_OTLP_EXTERN int cer_otlp_gunzip(const void *in, size_t len, size_t max_out, ce_buf *out,
                                    char *errstr, size_t errstr_size);

/* Decode an uncompressed request body. `lim` may be NULL for the defaults. On success *out is a
 * new request the caller owns (cer_otlp_request_destroy). On failure *out is NULL and errstr
 * says what and where: for protobuf the field path and byte offset
 * ("resource_logs[0].scope_logs[0].log_records[2].body: truncated: length 40 runs past the end
 * of the enclosing message at byte 97"); for JSON the field path
 * ("resourceLogs[0].scopeLogs[1].logRecords[3].timeUnixNano: expected an integer string") or,
 * for syntax errors, the byte offset. Unknown fields are skipped (protobuf and JSON alike).
 * Thread-safe (no shared state). */
CER_OTLP_EXTERN int cer_otlp_decode(cer_otlp_signal sig, cer_otlp_encoding enc, const void *body,
                                    size_t len, const cer_otlp_limits *lim, cer_otlp_request **out,
                                    char *errstr, size_t errstr_size);

/* Decode an OTLP/HTTP body as received: `content_type` picks the encoding
 * ("application/x-protobuf" or "application/json", parameters and case ignored; anything else
 * is CE_EUNSUPPORTED), `content_encoding` may be NULL, "" or "identity" (as is) or "gzip"
 * (inflated under max_decoded_bytes; anything else is CE_EUNSUPPORTED). A body larger than
 * max_body_bytes fails with CE_ETOOBIG before any work (an HTTP server answers 413). *enc_out,
 * when non-NULL, receives the encoding, which the response must use. Otherwise as
 * cer_otlp_decode. */
CER_OTLP_EXTERN int cer_otlp_decode_http(cer_otlp_signal sig, const char *content_type,
                                         const char *content_encoding, const void *body, size_t len,
                                         const cer_otlp_limits *lim, cer_otlp_request **out,
                                         cer_otlp_encoding *enc_out, char *errstr,
                                         size_t errstr_size);

/* Free a request. NULL is a no-op. */
CER_OTLP_EXTERN void cer_otlp_request_destroy(cer_otlp_request *r);
CER_OTLP_EXTERN cer_otlp_signal cer_otlp_request_signal(const cer_otlp_request *r);
/* Number of log records (logs) or spans (traces) in the request. */
CER_OTLP_EXTERN size_t cer_otlp_request_count(const cer_otlp_request *r);

/* ------------------------------------------------------------------------------------------
 * Mapping to CloudEvents (docs/otlp.md has the rules). A zero-initialised cer_otlp_map_conf is
 * the default configuration; every NULL or 0 field means "the default" named beside it.
 * ------------------------------------------------------------------------------------------ */
#define CER_OTLP_DEFAULT_LOG_TYPE    "io.opentelemetry.log"
#define CER_OTLP_DEFAULT_SPAN_TYPE   "io.opentelemetry.span"
#define CER_OTLP_DEFAULT_USAGE_TYPE  "eventzr.llm.usage.v1"
#define CER_OTLP_DEFAULT_SOURCE      "unknown_service"
#define CER_OTLP_DEFAULT_CACHED_ATTR "gen_ai.cached"
#define CER_OTLP_ID_MAX              64 /* bytes for an id, NUL included */

typedef enum cer_otlp_spans_mode {
    CER_OTLP_SPANS_GENAI = 0, /* GenAI spans become usage events; other spans are skipped */
    CER_OTLP_SPANS_ALL,       /* GenAI spans become usage events; others map like log records */
    CER_OTLP_SPANS_NONE       /* every span is skipped */
} cer_otlp_spans_mode;

typedef enum cer_otlp_id_mode {
    CER_OTLP_ID_UUID7 = 0,     /* a fresh RFC 9562 UUIDv7 per event (random, time-ordered) */
    CER_OTLP_ID_DETERMINISTIC, /* a UUIDv8 from SHA-256 of the event's content: a retried
                                  export produces the same ids (docs/otlp.md) */
} cer_otlp_id_mode;

/* Custom id generator (tests inject fixed ids). Write a NUL-terminated id of at most
 * CER_OTLP_ID_MAX - 1 bytes into out and return 0, or a negative ce_err to reject the record.
 * `ev` is the event built so far (every attribute but id, and its data). */
typedef int (*cer_otlp_id_fn)(void *ctx, const ce_event *ev, char out[CER_OTLP_ID_MAX]);

typedef struct cer_otlp_map_conf {
    const char *source;         /* CloudEvents source for every event; NULL: from service.name */
    const char *default_source; /* when service.name is absent; NULL: CER_OTLP_DEFAULT_SOURCE */
    const char *log_type;       /* log type when no event name; NULL: CER_OTLP_DEFAULT_LOG_TYPE */
    const char *type_attr;      /* log attribute read for the type after event_name and
                                   event.name; NULL: none */
    const char *const *tenant_attrs; /* NULL-terminated; NULL: {"tenant_id", "tenant.id"} */
    const char *const *user_attrs;   /* NULL-terminated; NULL: {"user_id", "user.id"} */
    cer_otlp_spans_mode spans;
    const char *usage_type;    /* GenAI span type; NULL: CER_OTLP_DEFAULT_USAGE_TYPE */
    const char *span_type;     /* other spans (SPANS_ALL); NULL: CER_OTLP_DEFAULT_SPAN_TYPE */
    const char *use_case_attr; /* span attribute for useCase, tried before
                                  gen_ai.operation.name; NULL: none */
    const char *cached_attr;   /* span attribute for cached; NULL: CER_OTLP_DEFAULT_CACHED_ATTR */
    const char *cost_attr;     /* span attribute (double) for costUsd; NULL: costUsd omitted */
    int allow_content;         /* 1: copy prompt/response content attributes and gen_ai.* event
                                  bodies into data; 0 (default): drop them (fail closed) */
    cer_otlp_id_mode id_mode;
    cer_otlp_id_fn id_fn; /* when set, overrides id_mode */
    void *id_ctx;
    size_t max_event_bytes; /* cap on one event's data JSON; 0: CE_DEFAULT_MAX_EVENT_BYTES */
} cer_otlp_map_conf;

/* Called once per produced event, in request order. `ev` is borrowed and reused for the next
 * record: encode or ce_event_clone it before returning. Return 0 to go on, non-zero to stop
 * (cer_otlp_map returns that value). */
typedef int (*cer_otlp_event_cb)(void *ctx, const ce_event *ev);
/* Called once per record that cannot be mapped (counted in partial_success). `path` names it
 * ("resourceLogs[0].scopeLogs[0].logRecords[3]"), err is the ce_err code and msg the detail;
 * both valid only during the call. Return 0 to go on, non-zero to stop. */
typedef int (*cer_otlp_reject_cb)(void *ctx, const char *path, int err, const char *msg);

typedef struct cer_otlp_map_stats {
    uint64_t produced;     /* events handed to on_event (including the one that stopped, if any) */
    uint64_t rejected;     /* records handed to on_reject: report as rejected_log_records/spans */
    uint64_t skipped;      /* spans left out by the spans mode: accepted, not rejected */
    char first_error[256]; /* "<path>: <msg>" of the first rejected record, or "" */
} cer_otlp_map_stats;

/* Map every record of `r` to CloudEvents. `conf` may be NULL for the defaults; on_reject may
 * be NULL. `stats` (may be NULL) is zeroed first and filled as records go. Returns 0 when every
 * record was either produced, rejected or skipped; CE_EINVAL for a bad conf (errstr names the
 * field), CE_ENOMEM; or the first non-zero value a callback returned (mapping stops there).
 * Thread-safe for distinct stats; `r` may be mapped from several threads at once. */
CER_OTLP_EXTERN int cer_otlp_map(const cer_otlp_request *r, const cer_otlp_map_conf *conf,
                                 cer_otlp_event_cb on_event, cer_otlp_reject_cb on_reject,
                                 void *ctx, cer_otlp_map_stats *stats, char *errstr,
                                 size_t errstr_size);

/* ------------------------------------------------------------------------------------------
 * Responses.
 * ------------------------------------------------------------------------------------------ */

/* Append the ExportLogsServiceResponse (logs) or ExportTraceServiceResponse (traces) in `enc`
 * to out. With rejected == 0 and no error_message the response is full success
 * (partial_success unset: an empty protobuf body, or "{}" in JSON). Otherwise partial_success
 * carries rejected_log_records / rejected_spans and error_message (NULL = ""); JSON writes
 * int64 as a decimal string ({"partialSuccess":{"rejectedLogRecords":"2",
 * "errorMessage":"..."}}). Returns 0, CE_EINVAL, CE_ENOMEM or CE_ETOOBIG (out->len unchanged
 * on failure). Thread-safe. */
CER_OTLP_EXTERN int cer_otlp_response(cer_otlp_signal sig, cer_otlp_encoding enc, uint64_t rejected,
                                      const char *error_message, ce_buf *out, char *errstr,
                                      size_t errstr_size);

#ifdef __cplusplus
}
#endif
#endif /* CERELAY_OTLP_H */
