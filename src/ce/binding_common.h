/* Shared machinery of the Kafka and HTTP bindings (binding_kafka.c, binding_http.c): the
 * encoder's header builder, content-type inspection, and the binary-mode attribute codec
 * parameterised by each protocol's header rules. Not installed. */
#ifndef CE_BINDING_COMMON_H
#define CE_BINDING_COMMON_H

#include "cerelay/ce_binding.h"
#include "ce/internal.h"

/* How a protocol spells CloudEvents headers. */
typedef struct ce__proto {
    const char *prefix;  /* "ce_" / "ce-" */
    const char *ct_name; /* content-type header name as written by the encoder */
    bool names_ci;       /* header names are case-insensitive on decode (HTTP) */
    bool percent;        /* values use the HTTP percent-encoding */
    const char *body;    /* what the payload is called in messages: "value" / "body" */
} ce__proto;

extern const ce__proto ce__proto_kafka;
extern const ce__proto ce__proto_http;

/* A byte range that is either borrowed (ptr != NULL) or at `off` in the builder's arena, so
 * that arena growth never leaves dangling pointers while a message is being built. */
typedef struct ce__ref {
    const char *ptr;
    size_t off, len;
} ce__ref;

/* Encoder output: header list + the bytes the encoder had to build. Reused across messages;
 * the header arrays grow with the largest event seen, the arena up to arena.cap_limit. */
typedef struct ce__msgbuf {
    ce_buf arena;
    ce__ref *refs; /* 2 per header: name, value */
    ce_header *hdrs;
    size_t n, cap;
    ce__ref body;
    bool has_body; /* false: null body (Kafka tombstone) */
} ce__msgbuf;

void ce__msgbuf_init(ce__msgbuf *mb, size_t max_bytes);
void ce__msgbuf_free(ce__msgbuf *mb);
/* Forget the message; keep the memory. */
void ce__msgbuf_reset(ce__msgbuf *mb);
/* Append a header. Returns 0 or CE_ENOMEM. */
int ce__msgbuf_add(ce__msgbuf *mb, ce__ref name, ce__ref value);
/* Resolve every ref into mb->hdrs (call once the message is complete). */
void ce__msgbuf_finish(ce__msgbuf *mb);
/* The body as a slice ({NULL,0} when null; never NULL ptr otherwise). */
ce_slice ce__msgbuf_body(const ce__msgbuf *mb);

static inline ce__ref ce__ref_borrow(const char *p, size_t n)
{
    ce__ref r = {p ? p : "", 0, n};
    return r;
}

/* Encode the attributes of `e` as headers (canonical order). binary: datacontenttype becomes
 * the protocol's content-type header, appended last; otherwise it is skipped (structured mode
 * with CE_BIND_ATTR_HEADERS). Returns 0, CE_ENOMEM, CE_ETOOBIG or CE_EBADVALUE (HTTP
 * Content-Type not printable ASCII). */
int ce__bind_encode_attrs(const ce__proto *p, ce__msgbuf *mb, const ce_event *e, bool binary,
                          char *errstr, size_t errstr_size);

/* Find the content-type header (exact name for Kafka, case-insensitive for HTTP). Returns 0 and
 * *ct (NULL when absent), or CE_EDUPLICATE when it appears twice. */
int ce__bind_find_ct(const ce__proto *p, const ce_header *h, size_t n, const ce_header **ct,
                     char *errstr, size_t errstr_size);

/* Mode from a content-type value (NULL = absent). */
ce_mode ce__bind_mode(const char *ct, size_t len);
/* True when the media type of `ct` (parameters and surrounding whitespace ignored) is `want`,
 * compared case-insensitively. */
bool ce__bind_media_is(const char *ct, size_t len, const char *want);

/* Decode binary mode into `e` (empty on entry): ce headers, the content-type header `ct` (may
 * be NULL) and the payload `body` (ptr == NULL: no data). */
int ce__bind_decode_binary(const ce__proto *p, const ce_header *h, size_t n, const ce_header *ct,
                           ce_slice body, const ce_limits *lim, ce_event *e, char *errstr,
                           size_t errstr_size);

/* Render bytes for an error message: printable ASCII as is, other bytes as \xNN, truncated
 * with "..." to fit `size` (at least 8). Returns out. */
const char *ce__bind_printable(char *out, size_t size, const char *p, size_t n);
#define CE__PRINTABLE_MAX 96

#endif
