/* cerelay CloudEvents 1.0 core: event model, validation and the JSON event format.
 * This header is the whole public surface of libcerelay-ce. It depends on nothing but libc;
 * the core never includes librdkafka, curl or any I/O library. */
#ifndef CERELAY_CE_H
#define CERELAY_CE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CE_EXTERN __attribute__((visibility("default")))
#else
#define CE_EXTERN
#endif

#define CE_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------------------------
 * Errors. Every function that can fail returns 0 or one of these negative codes. Human detail
 * (the attribute, rule or byte offset at fault) goes into a caller-supplied buffer
 * `char *errstr, size_t errstr_size`, which is always NUL-terminated when errstr_size > 0.
 * ------------------------------------------------------------------------------------------ */
/* The core family of cerelay's one error space (include/cerelay/err.h composes every family
 * into CER_ERRNO_MAP): codes -1..-99 belong to the core. Each row is
 * R(XX, prefix, NAME, code, message); CE_ERRNO_MAP(XX) calls XX(NAME, code, message). */
#define CE_ERRNO_TABLE(R, XX)                                                                      \
    R(XX, CE_E, NOMEM, -1, "out of memory")                                                        \
    R(XX, CE_E, INVAL, -2, "invalid argument")                                                     \
    R(XX, CE_E, SYNTAX, -3, "syntax error")                                                        \
    R(XX, CE_E, TOOBIG, -4, "input exceeds size limit")                                            \
    R(XX, CE_E, DEPTH, -5, "nesting too deep")                                                     \
    R(XX, CE_E, MISSING, -6, "required attribute missing")                                         \
    R(XX, CE_E, BADVALUE, -7, "attribute value violates its type")                                 \
    R(XX, CE_E, BADNAME, -8, "invalid attribute name")                                             \
    R(XX, CE_E, DUPLICATE, -9, "duplicate member")                                                 \
    R(XX, CE_E, UTF8, -10, "invalid UTF-8")                                                        \
    R(XX, CE_E, TYPE, -11, "wrong type")                                                           \
    R(XX, CE_E, RANGE, -12, "value out of range")                                                  \
    R(XX, CE_E, NOTFOUND, -13, "not found")                                                        \
    R(XX, CE_E, SPECVERSION, -14, "unsupported specversion")                                       \
    R(XX, CE_E, DATA, -15, "invalid data")                                                         \
    R(XX, CE_E, LIMIT, -16, "too many attributes")                                                 \
    R(XX, CE_E, IO, -17, "I/O error")                                                              \
    R(XX, CE_E, UNSUPPORTED, -18, "not supported")                                                 \
    R(XX, CE_E, HEADER, -19, "invalid protocol header")                                            \
    R(XX, CE_E, MODE, -20, "unrecognised content mode")
#define CE__ERRNO_SHORT(XX, prefix, name, code, msg) XX(name, code, msg)
#define CE_ERRNO_MAP(XX)                             CE_ERRNO_TABLE(CE__ERRNO_SHORT, XX)

typedef enum ce_err {
    CE_OK = 0,
#define CE__ERR_ENUM(name, code, msg) CE_E##name = (code),
    CE_ERRNO_MAP(CE__ERR_ENUM)
#undef CE__ERR_ENUM
} ce_err;

/* A static English description of `err` ("out of memory"); never NULL. Thread-safe. */
CE_EXTERN const char *ce_strerror(int err);
/* The symbolic name of `err` ("CE_ENOMEM"); never NULL. Thread-safe. */
CE_EXTERN const char *ce_err_name(int err);

/* ------------------------------------------------------------------------------------------
 * Plain value types.
 * ------------------------------------------------------------------------------------------ */

/* A borrowed byte range. Never owns memory; valid as long as its source says so. */
typedef struct ce_slice {
    const char *ptr;
    size_t len;
} ce_slice;

/* A growable output buffer owned by the caller. Zero-initialise it (or ce_buf_init), reuse it
 * across calls (encoders append), release it with ce_buf_free. `cap_limit` (0 = none) is the
 * largest size it may grow to; growth beyond it fails with CE_ETOOBIG. */
typedef struct ce_buf {
    char *ptr;
    size_t len;
    size_t cap;
    size_t cap_limit;
} ce_buf;

CE_EXTERN void ce_buf_init(ce_buf *b);
CE_EXTERN void ce_buf_free(ce_buf *b);
/* Make room for `extra` more bytes. Returns 0, CE_ENOMEM or CE_ETOOBIG. */
CE_EXTERN int ce_buf_reserve(ce_buf *b, size_t extra);
CE_EXTERN int ce_buf_append(ce_buf *b, const void *p, size_t n);

/* CloudEvents abstract attribute types (spec.md "Type System"). */
typedef enum ce_type {
    CE_TYPE_BOOLEAN = 1,
    CE_TYPE_INTEGER,
    CE_TYPE_STRING,
    CE_TYPE_BINARY,
    CE_TYPE_URI,
    CE_TYPE_URI_REF,
    CE_TYPE_TIMESTAMP
} ce_type;

/* Name of a type as the spec writes it ("URI-reference"). */
CE_EXTERN const char *ce_type_name(ce_type t);

/* A borrowed view of one attribute value. `str` is always the canonical string encoding
 * (for Binary: base64; for Boolean: "true"/"false"; for Integer: decimal). `i` holds the value
 * for Integer and Boolean (0/1); `bin` holds the decoded bytes for Binary. Slices stay valid
 * until the event is next modified or destroyed. */
typedef struct ce_value {
    ce_type type;
    ce_slice str;
    int32_t i;
    ce_slice bin;
} ce_value;

/* Limits applied by decoders. Use CE_LIMITS_DEFAULT or ce_limits_default(). */
typedef struct ce_limits {
    size_t max_event_bytes;  /* one structured event or one batch body; default 1 MiB */
    uint32_t max_depth;      /* JSON nesting depth, counting the event object; default 64 */
    uint32_t max_attributes; /* context attributes per event, extensions included; default 64 */
    uint32_t max_batch;      /* events per batch; default 10000 */
} ce_limits;

#define CE_DEFAULT_MAX_EVENT_BYTES ((size_t)1 << 20)
#define CE_MIN_MAX_EVENT_BYTES     ((size_t)64 << 10)
#define CE_DEFAULT_MAX_DEPTH       64u
#define CE_DEFAULT_MAX_ATTRIBUTES  64u
#define CE_DEFAULT_MAX_BATCH       10000u
#define CE_LIMITS_DEFAULT                                                                          \
    {                                                                                              \
        CE_DEFAULT_MAX_EVENT_BYTES, CE_DEFAULT_MAX_DEPTH, CE_DEFAULT_MAX_ATTRIBUTES,               \
            CE_DEFAULT_MAX_BATCH                                                                   \
    }

CE_EXTERN ce_limits ce_limits_default(void);

/* ------------------------------------------------------------------------------------------
 * Allocation. All memory the library takes goes through one set of functions, replaceable once
 * at start-up before any other call (not thread-safe to change while events exist).
 * ------------------------------------------------------------------------------------------ */
typedef struct ce_allocator {
    void *(*malloc_fn)(size_t);
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
} ce_allocator;

/* Install `a` (NULL restores libc). */
CE_EXTERN void ce_set_allocator(const ce_allocator *a);

/* ------------------------------------------------------------------------------------------
 * The event. Opaque; one event is not safe for concurrent mutation, but distinct events are
 * independent and const accessors may run concurrently.
 *
 * Attribute values are checked when set: a setter never stores a value that breaks its type,
 * so an event only ever holds well-formed values. ce_event_validate() then checks that the event
 * is complete (required attributes, specversion "1.0").
 *
 * Attribute names must be 1+ characters of [a-z0-9]; "data" is reserved. Names longer than the
 * spec's recommended 20 characters are accepted (SHOULD NOT, not MUST NOT) and kept as given.
 * The eight spec-defined attributes have fixed types:
 *   specversion, id, type, subject, datacontenttype: String; source: URI-reference;
 *   dataschema: URI; time: Timestamp.
 * Extensions take any type.
 * ------------------------------------------------------------------------------------------ */
typedef struct ce_event ce_event;

/* New empty event (no attributes, no data). Returns NULL on allocation failure. */
CE_EXTERN ce_event *ce_event_new(void);
/* Free `e` and everything it owns. NULL is a no-op. */
CE_EXTERN void ce_event_destroy(ce_event *e);
/* Remove all attributes and data but keep allocated memory for reuse. */
CE_EXTERN void ce_event_clear(ce_event *e);
/* Deep copy; NULL on allocation failure. */
CE_EXTERN ce_event *ce_event_clone(const ce_event *e);

/* Set attribute `name` from its canonical string encoding, parsed as type `t`. For the eight
 * spec attributes `t` must be their type (CE_ETYPE otherwise). Replaces an existing value.
 * Errors: CE_EBADNAME, CE_ETYPE, CE_EBADVALUE (message names the attribute and the rule),
 * CE_ELIMIT, CE_ENOMEM. On failure the event is unchanged.
 * Memory: values live in one per-event arena; replacing a value does not reclaim the old
 * bytes until ce_event_clear, so a loop that sets the same attribute again and again on one
 * event grows it (build a fresh event, or clear, per message). */
CE_EXTERN int ce_event_set(ce_event *e, const char *name, ce_type t, const char *value, size_t len,
                           char *errstr, size_t errstr_size);
/* Convenience: set a spec attribute, or a String extension, from a NUL-terminated string
 * using the attribute's fixed type (String for unknown names). */
CE_EXTERN int ce_event_set_str(ce_event *e, const char *name, const char *value, char *errstr,
                               size_t errstr_size);
CE_EXTERN int ce_event_set_bool(ce_event *e, const char *name, int value, char *errstr,
                                size_t errstr_size);
CE_EXTERN int ce_event_set_int(ce_event *e, const char *name, int32_t value, char *errstr,
                               size_t errstr_size);
CE_EXTERN int ce_event_set_binary(ce_event *e, const char *name, const void *bytes, size_t len,
                                  char *errstr, size_t errstr_size);
/* Remove attribute `name`. Returns 0, or CE_ENOTFOUND if it was not set. */
CE_EXTERN int ce_event_unset(ce_event *e, const char *name);

/* Borrow attribute `name`. Returns 0 and fills *out, or CE_ENOTFOUND. */
CE_EXTERN int ce_event_get(const ce_event *e, const char *name, ce_value *out);
/* Borrow the canonical string of `name`, or a {NULL,0} slice when unset. */
CE_EXTERN ce_slice ce_event_get_str(const ce_event *e, const char *name);
/* Read `name` as type `want`, converting from a String value by the JSON format's inference
 * rule (a String "5" is not an Integer, but a String holding a URI can be read as URI).
 * Returns 0, CE_ENOTFOUND or CE_ETYPE. */
CE_EXTERN int ce_event_get_as(const ce_event *e, const char *name, ce_type want, ce_value *out);

/* Number of attributes set, and the idx-th in canonical order: specversion, id, source, type,
 * datacontenttype, dataschema, subject, time, then extensions sorted by name (bytewise).
 * Returns 0 or CE_ENOTFOUND when idx is out of range. */
CE_EXTERN size_t ce_event_attr_count(const ce_event *e);
CE_EXTERN int ce_event_attr_at(const ce_event *e, size_t idx, const char **name, ce_value *out);

/* Data. The runtime kind decides how the JSON format writes it:
 *   CE_DATA_NONE   no data (JSON: no member; Kafka: tombstone; HTTP: empty body)
 *   CE_DATA_JSON   the exact bytes of one JSON value, kept as given (JSON: "data": <bytes>)
 *   CE_DATA_TEXT   text, UTF-8 (JSON: "data": "<escaped string>")
 *   CE_DATA_BINARY opaque bytes (JSON: "data_base64": "<base64>")
 * An explicit JSON null payload is CE_DATA_JSON with the bytes "null". */
typedef enum ce_data_kind {
    CE_DATA_NONE = 0,
    CE_DATA_JSON,
    CE_DATA_TEXT,
    CE_DATA_BINARY
} ce_data_kind;

/* Copy `len` bytes as the event's data of kind `kind`. CE_DATA_JSON bytes must be exactly one
 * valid JSON value (RFC 8259) and CE_DATA_TEXT must be valid UTF-8, else CE_EDATA with the byte
 * offset. CE_DATA_NONE clears data. */
CE_EXTERN int ce_event_set_data(ce_event *e, ce_data_kind kind, const void *bytes, size_t len,
                                char *errstr, size_t errstr_size);
/* Set data received as a protocol body (binary content mode) and choose the kind from the
 * event's datacontenttype: JSON media types (*\/json, *\/ *+json, or absent) holding valid JSON
 * become CE_DATA_JSON; text/\* and other textual types holding valid UTF-8 become CE_DATA_TEXT;
 * everything else CE_DATA_BINARY. Call after setting datacontenttype. */
CE_EXTERN int ce_event_set_data_auto(ce_event *e, const void *bytes, size_t len, char *errstr,
                                     size_t errstr_size);
CE_EXTERN ce_data_kind ce_event_data_kind(const ce_event *e);
/* Borrow the data bytes ({NULL,0} when none). */
CE_EXTERN ce_slice ce_event_data(const ce_event *e);

/* Check completeness: id, source, specversion, type present; specversion is "1.0".
 * Returns 0, CE_EMISSING or CE_ESPECVERSION with the attribute named in errstr. */
CE_EXTERN int ce_event_validate(const ce_event *e, char *errstr, size_t errstr_size);

/* Equality as the JSON format can observe it: same attribute names; for each, the same
 * representation class (Boolean, Integer, or string-encoded: String/URI/URI-reference/
 * Timestamp/Binary) and the same canonical string; the same data kind and data bytes. */
CE_EXTERN int ce_event_equal(const ce_event *a, const ce_event *b);

/* ------------------------------------------------------------------------------------------
 * Value syntax checks, usable on their own. Each returns 0 or CE_EBADVALUE/CE_EUTF8 and, when
 * errstr is given, a rule description ("not an RFC 3339 timestamp").
 * ------------------------------------------------------------------------------------------ */
CE_EXTERN int ce_check_name(const char *name, size_t len, char *errstr, size_t errstr_size);
CE_EXTERN int ce_check_value(ce_type t, const char *value, size_t len, char *errstr,
                             size_t errstr_size);
/* Parse an RFC 3339 timestamp to nanoseconds since the Unix epoch (UTC). Returns 0,
 * CE_EBADVALUE, or CE_ERANGE for a valid timestamp outside 1677..2262 that int64 nanoseconds
 * cannot hold (*unix_nanos is then INT64_MIN or INT64_MAX). */
CE_EXTERN int ce_timestamp_parse(const char *s, size_t len, int64_t *unix_nanos);
/* Format `unix_nanos` as RFC 3339 UTC with `frac_digits` (0, 3, 6 or 9) fraction digits into
 * out (at least 36 bytes). Returns the length written. */
CE_EXTERN size_t ce_timestamp_format(int64_t unix_nanos, int frac_digits, char *out);
/* True when a media type (parameters ignored, case-insensitive) is JSON: x/json or x/y+json. */
CE_EXTERN int ce_media_type_is_json(const char *mt, size_t len);

/* Base64 (RFC 4648, standard alphabet, padded). encode appends to out; decode appends the bytes
 * and fails with CE_EBADVALUE on any character outside the alphabet or bad padding. */
CE_EXTERN int ce_base64_encode(const void *in, size_t len, ce_buf *out);
CE_EXTERN int ce_base64_decode(const char *in, size_t len, ce_buf *out);

/* ------------------------------------------------------------------------------------------
 * JSON event format (json-format.md): application/cloudevents+json and
 * application/cloudevents-batch+json.
 * ------------------------------------------------------------------------------------------ */
#define CE_MEDIA_JSON  "application/cloudevents+json"
#define CE_MEDIA_BATCH "application/cloudevents-batch+json"

/* Encoding flags. */
enum {
    /* Strip insignificant whitespace from JSON data (outside strings); used for NDJSON output.
     * The default keeps data bytes exactly as given. */
    CE_JSON_COMPACT_DATA = 1 << 0
};

/* Decode one structured event from buf[0..len). `lim` may be NULL for defaults. On success
 * *out is a new event the caller owns and has passed ce_event_validate(). On failure *out is
 * NULL and errstr names the byte offset (syntax) or the attribute and rule (semantics). */
CE_EXTERN int ce_json_decode(const char *buf, size_t len, const ce_limits *lim, ce_event **out,
                             char *errstr, size_t errstr_size);

/* Callback for batch decoding, called once per array element in order. On success `ev` is a
 * new event the callback now owns and err is 0; on a per-event error `ev` is NULL, err the code
 * and msg the detail. Return 0 to continue, non-zero to stop (the value is returned). */
typedef int (*ce_batch_cb)(void *ctx, size_t index, ce_event *ev, int err, const char *msg);

/* Decode a batch (a JSON array of structured events). The whole array is first checked as JSON
 * (syntax errors and limits fail the call with the byte offset, before any callback); then each
 * element is decoded and handed to cb. Returns 0, a negative error for the array as a whole,
 * or the callback's non-zero stop value. */
CE_EXTERN int ce_json_decode_batch(const char *buf, size_t len, const ce_limits *lim,
                                   ce_batch_cb cb, void *ctx, char *errstr, size_t errstr_size);

/* Append the structured JSON encoding of `e` to out. Deterministic: members in canonical
 * attribute order (see ce_event_attr_at), then data/data_base64; no insignificant whitespace
 * outside data. The event must validate. Returns 0, CE_ENOMEM, CE_ETOOBIG or a validation
 * error. */
CE_EXTERN int ce_json_encode(const ce_event *e, unsigned flags, ce_buf *out, char *errstr,
                             size_t errstr_size);
/* Append a JSON array of the n events. */
CE_EXTERN int ce_json_encode_batch(const ce_event *const *evs, size_t n, unsigned flags,
                                   ce_buf *out, char *errstr, size_t errstr_size);

/* Check that buf[0..len) is exactly one RFC 8259 JSON value (surrounding whitespace allowed),
 * at most max_depth deep. Returns 0, or CE_ESYNTAX/CE_EUTF8/CE_EDEPTH with the byte offset. */
CE_EXTERN int ce_json_check(const char *buf, size_t len, uint32_t max_depth, char *errstr,
                            size_t errstr_size);

#ifdef __cplusplus
}
#endif
#endif /* CERELAY_CE_H */
