/* cerelay CloudEvents protocol bindings: pure mappings between ce_event and Kafka records
 * (kafka-protocol-binding.md) and HTTP messages (http-protocol-binding.md). No I/O: messages
 * are plain views of headers and bytes; the library never includes librdkafka or curl.
 * Part of libcerelay-ce; see docs/bindings.md for the mapping rules with examples. */
#ifndef CERELAY_CE_BINDING_H
#define CERELAY_CE_BINDING_H

#include "cerelay/ce.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Plain value types shared by both bindings.
 * ------------------------------------------------------------------------------------------ */

/* One protocol header: borrowed name and value bytes (not NUL-terminated). */
typedef struct ce_header {
    ce_slice name;
    ce_slice value;
} ce_header;

/* Content modes (spec.md "Message"). */
typedef enum ce_mode {
    CE_MODE_BINARY = 1, /* attributes in headers, data as the body/value */
    CE_MODE_STRUCTURED, /* one event in an event format (application/cloudevents+json) */
    CE_MODE_BATCH       /* several events (application/cloudevents-batch+json); HTTP only */
} ce_mode;

/* Encoding flags. */
enum {
    /* Structured mode: also emit one header per attribute as binary mode would (both specs'
     * "Metadata Headers" MAY clause), so consumers can route on ce_type without parsing the
     * value. datacontenttype is not emitted (its binary-mode header is the content type). */
    CE_BIND_ATTR_HEADERS = 1 << 0
};

/* Default cap on the bytes an encoder builder stores itself (names, escaped values, JSON
 * bodies). Values borrowed from the event are not counted. */
#define CE_BIND_DEFAULT_MAX_BYTES ((size_t)64 << 20)

/* Content types written by the encoders. */
#define CE_BIND_CT_STRUCTURED "application/cloudevents+json; charset=UTF-8"
#define CE_BIND_CT_BATCH      "application/cloudevents-batch+json; charset=UTF-8"

/* ------------------------------------------------------------------------------------------
 * Kafka binding.
 *
 * Binary mode: each attribute `x` is the header `ce_x` with its canonical string as value,
 * except datacontenttype, which is the `content-type` header; data is the record value; an
 * event without data is a record with a null value (a tombstone). Structured mode: header
 * `content-type: application/cloudevents+json; charset=UTF-8` and the JSON event as value.
 * Kafka header names are case-sensitive: only lowercase `ce_` and `content-type` are
 * recognised. Batch mode does not exist on Kafka.
 * ------------------------------------------------------------------------------------------ */

/* A Kafka record as the binding sees it. A slice with ptr == NULL is null (Kafka tells a null
 * key/value from an empty one); headers may repeat names, in record order. */
typedef struct ce_kafka_message {
    ce_slice key;
    ce_slice value;
    const ce_header *headers;
    size_t header_count;
} ce_kafka_message;

/* The content mode a `content-type` header value selects (NULL = header absent): a value
 * starting with "application/cloudevents-batch" (case-insensitive, after leading whitespace)
 * is CE_MODE_BATCH, one starting with "application/cloudevents" CE_MODE_STRUCTURED, anything
 * else CE_MODE_BINARY. Pure function; thread-safe. */
CE_EXTERN ce_mode ce_kafka_mode(const char *content_type, size_t len);

/* Decode a record into a new event (*out, owned by the caller; NULL on failure). `lim` may be
 * NULL for defaults (zero fields too): max_event_bytes caps the value in every mode,
 * max_attributes the ce_ headers plus content-type in binary mode. The key is not consulted
 * (no attribute is ever derived from it); extensions decode as String (headers carry only
 * canonical strings).
 * Errors name the header at fault: CE_EHEADER, CE_EUTF8, CE_EBADNAME, CE_EBADVALUE,
 * CE_EDUPLICATE, CE_EMISSING, CE_ESPECVERSION, CE_ELIMIT, CE_ETOOBIG, CE_EMODE (batch),
 * CE_EUNSUPPORTED (a structured format other than JSON), CE_EDATA (structured with a null
 * value), the JSON decoder's errors, CE_ENOMEM. Thread-safe. */
CE_EXTERN int ce_kafka_decode(const ce_kafka_message *msg, const ce_limits *lim, ce_event **out,
                              char *errstr, size_t errstr_size);
/* Same, reusing `e` (cleared first, memory kept). On failure `e` is left cleared. */
CE_EXTERN int ce_kafka_decode_into(const ce_kafka_message *msg, const ce_limits *lim, ce_event *e,
                                   char *errstr, size_t errstr_size);

/* Key mapping. `tmpl` NULL selects the default mapper: the `partitionkey` extension's canonical
 * string if set (CE_EBADVALUE if it is empty: the partitioning extension requires a non-empty
 * string), else `subject`, else a null key. Otherwise `tmpl` is literal text with `{name}`
 * placeholders replaced by the canonical string of attribute `name` ("tenant-{tenantid}/
 * {subject}"); `{{` and `}}` stand for literal braces. A placeholder naming an attribute the
 * event lacks fails with CE_EMISSING naming it. The event is never modified.
 * On success *key is {NULL,0} (null key) or a slice borrowing from `e` or from the bytes this
 * call appended to `scratch`; it stays valid until either is modified. Thread-safe. */
CE_EXTERN int ce_kafka_key(const ce_event *e, const char *tmpl, ce_buf *scratch, ce_slice *key,
                           char *errstr, size_t errstr_size);
/* Check a key template's syntax once (at configuration time). Returns 0, CE_EINVAL (empty),
 * CE_ESYNTAX (unbalanced brace, with the byte offset) or CE_EBADNAME (placeholder). */
CE_EXTERN int ce_kafka_key_check(const char *tmpl, char *errstr, size_t errstr_size);

/* A reusable encoder output: owns the header array and the bytes it had to build. Not
 * thread-safe; use one per thread. After warm-up, encoding allocates nothing. */
typedef struct ce_kafka_msg ce_kafka_msg;

/* New builder storing at most `max_bytes` itself (0 = CE_BIND_DEFAULT_MAX_BYTES). NULL on
 * allocation failure. */
CE_EXTERN ce_kafka_msg *ce_kafka_msg_new(size_t max_bytes);
/* Free the builder. NULL is a no-op. */
CE_EXTERN void ce_kafka_msg_destroy(ce_kafka_msg *m);

/* Encode `e` (which must validate) into `m` in CE_MODE_BINARY or CE_MODE_STRUCTURED, replacing
 * what `m` held; the key is reset to null (see ce_kafka_msg_set_key). Headers come in canonical
 * attribute order, content-type last. Returns 0 or CE_EINVAL (bad mode), CE_EMODE (batch),
 * a validation error, CE_ETOOBIG, CE_ENOMEM; on failure `m` holds an empty message. */
CE_EXTERN int ce_kafka_encode(ce_kafka_msg *m, const ce_event *e, ce_mode mode, unsigned flags,
                              char *errstr, size_t errstr_size);
/* Set the record key of the message in `m` from `e` with ce_kafka_key's rules. On failure the
 * key is null. */
CE_EXTERN int ce_kafka_msg_set_key(ce_kafka_msg *m, const ce_event *e, const char *tmpl,
                                   char *errstr, size_t errstr_size);
/* Borrow the encoded record. Its slices point into `m` and, in binary mode, into the event
 * (attribute values, data, default key): valid until `m` is next encoded or destroyed and the
 * event is neither modified nor destroyed. */
CE_EXTERN ce_kafka_message ce_kafka_msg_view(const ce_kafka_msg *m);

/* ------------------------------------------------------------------------------------------
 * HTTP binding.
 *
 * Binary mode: each attribute `x` is the header `ce-x` with its canonical string
 * percent-encoded (space, '"', '%' and every byte outside U+0021-U+007E as %XX of the UTF-8
 * bytes), datacontenttype is `Content-Type`, data is the body. Structured mode: Content-Type
 * application/cloudevents+json and the JSON event as body. Batch mode: Content-Type
 * application/cloudevents-batch+json and a JSON array. Header names are matched
 * case-insensitively on decode; the encoder writes `ce-` names in lowercase.
 * ------------------------------------------------------------------------------------------ */

/* An HTTP message (request or response) as the binding sees it; Content-Length, Host and every
 * other non-CloudEvents header are ignored. An empty body is "no data". */
typedef struct ce_http_message {
    const ce_header *headers;
    size_t header_count;
    ce_slice body;
} ce_http_message;

/* The content mode a Content-Type value selects (NULL = absent); batch is tested before
 * structured since it shares the prefix. Pure function; thread-safe. */
CE_EXTERN ce_mode ce_http_mode(const char *content_type, size_t len);

/* Decode a binary- or structured-mode message into a new event (*out, caller owns; NULL on
 * failure). A batch message fails with CE_EMODE (use ce_http_decode_batch). `lim`: as for
 * ce_kafka_decode. Errors name the header at fault (as received), as for ce_kafka_decode, plus
 * CE_EHEADER for a bad percent-escape or quoted string and for a ce-datacontenttype header.
 * Thread-safe. */
CE_EXTERN int ce_http_decode(const ce_http_message *msg, const ce_limits *lim, ce_event **out,
                             char *errstr, size_t errstr_size);
/* Same, reusing `e` (cleared first, memory kept). On failure `e` is left cleared. */
CE_EXTERN int ce_http_decode_into(const ce_http_message *msg, const ce_limits *lim, ce_event *e,
                                  char *errstr, size_t errstr_size);
/* Decode a message of any mode and hand each event to `cb` (see ce_batch_cb): a batch through
 * ce_json_decode_batch (per-element errors go to cb), a binary or structured message as one
 * call with index 0. Errors of the message as a whole (headers, a bad single event, batch
 * syntax and limits) are returned without calling cb. Returns 0, a negative error, or cb's
 * non-zero stop value. Thread-safe if cb is. */
CE_EXTERN int ce_http_decode_batch(const ce_http_message *msg, const ce_limits *lim, ce_batch_cb cb,
                                   void *ctx, char *errstr, size_t errstr_size);

/* A reusable encoder output for HTTP; same contract as ce_kafka_msg. */
typedef struct ce_http_msg ce_http_msg;

CE_EXTERN ce_http_msg *ce_http_msg_new(size_t max_bytes);
CE_EXTERN void ce_http_msg_destroy(ce_http_msg *m);
/* Encode `e` into `m` in CE_MODE_BINARY or CE_MODE_STRUCTURED (CE_MODE_BATCH: CE_EINVAL, use
 * ce_http_encode_batch). Binary mode fails with CE_EBADVALUE when datacontenttype holds a byte
 * outside printable ASCII (Content-Type cannot be percent-encoded). Otherwise as
 * ce_kafka_encode. */
CE_EXTERN int ce_http_encode(ce_http_msg *m, const ce_event *e, ce_mode mode, unsigned flags,
                             char *errstr, size_t errstr_size);
/* Encode n events (n may be 0) as one batch-mode message. */
CE_EXTERN int ce_http_encode_batch(ce_http_msg *m, const ce_event *const *evs, size_t n,
                                   char *errstr, size_t errstr_size);
/* Borrow the encoded message; lifetime as ce_kafka_msg_view. */
CE_EXTERN ce_http_message ce_http_msg_view(const ce_http_msg *m);

/* The header-value codec of the HTTP binding ("HTTP Header Values"), usable on its own.
 * encode appends the percent-encoding of s[0..len) to out (upper-case hex). decode first
 * removes surrounding whitespace and unescapes one RFC 7230 quoted-string, then
 * percent-decodes once (lower-case hex accepted) and checks the result is UTF-8; it appends
 * the bytes to out. decode returns 0, CE_EHEADER (bad escape or quoting; the byte offset in
 * errstr), CE_EUTF8, CE_ENOMEM or CE_ETOOBIG; on failure out->len is unchanged. */
CE_EXTERN int ce_http_value_encode(const char *s, size_t len, ce_buf *out);
CE_EXTERN int ce_http_value_decode(const char *s, size_t len, ce_buf *out, char *errstr,
                                   size_t errstr_size);

#ifdef __cplusplus
}
#endif
#endif /* CERELAY_CE_BINDING_H */
