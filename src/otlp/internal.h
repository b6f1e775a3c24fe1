/* Internal interfaces shared between files of the OTLP module (src/otlp/). Not installed.
 * Short names for the generated protobuf-c types, the bounded arena that holds a decoded
 * request, the two decoders and the mapping helpers. */
#ifndef CER_OTLP_INTERNAL_H
#define CER_OTLP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "base/base.h"
#include "cerelay/otlp.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb-c.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#if defined(__GNUC__) || defined(__clang__)
#define CER__OTLP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CER__OTLP_PRINTF(a, b)
#endif

/* The generated names are long; these are the ones the module uses. */
typedef Opentelemetry__Proto__Common__V1__AnyValue cer__otlp_any;
typedef Opentelemetry__Proto__Common__V1__KeyValue cer__otlp_kv;
typedef Opentelemetry__Proto__Common__V1__KeyValueList cer__otlp_kvlist;
typedef Opentelemetry__Proto__Common__V1__ArrayValue cer__otlp_array;
typedef Opentelemetry__Proto__Resource__V1__Resource cer__otlp_resource;
typedef Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceRequest cer__otlp_logs_req;
typedef Opentelemetry__Proto__Logs__V1__ResourceLogs cer__otlp_res_logs;
typedef Opentelemetry__Proto__Logs__V1__ScopeLogs cer__otlp_scope_logs;
typedef Opentelemetry__Proto__Logs__V1__LogRecord cer__otlp_log;
typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest cer__otlp_trace_req;
typedef Opentelemetry__Proto__Trace__V1__ResourceSpans cer__otlp_res_spans;
typedef Opentelemetry__Proto__Trace__V1__ScopeSpans cer__otlp_scope_spans;
typedef Opentelemetry__Proto__Trace__V1__Span cer__otlp_span;

#define CER__OTLP_ANY(x) OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_##x

/* ---- arena.c: a bump allocator with a byte cap. Everything of one decoded request lives in
 * one arena and is freed at once; freeing a single block is a no-op. ---- */
typedef struct cer__otlp_chunk cer__otlp_chunk;
typedef struct cer__otlp_arena {
    cer__otlp_chunk *head; /* newest chunk first */
    char *cur;             /* next free byte in head */
    size_t left;           /* free bytes after cur */
    size_t total;          /* bytes taken from the allocator so far */
    size_t cap;            /* total may not exceed this */
    bool hit_cap;          /* an allocation failed because of cap */
    bool oom;              /* an allocation failed because the heap said no */
} cer__otlp_arena;

void cer__otlp_arena_init(cer__otlp_arena *a, size_t cap);
/* n bytes aligned to 16, or NULL (hit_cap / oom tell why). */
void *cer__otlp_arena_alloc(cer__otlp_arena *a, size_t n);
void cer__otlp_arena_free(cer__otlp_arena *a);
/* A ProtobufCAllocator drawing from `a`. */
ProtobufCAllocator cer__otlp_arena_allocator(cer__otlp_arena *a);

/* Every allocation outside the arena goes through the core's wrappers (ce_set_allocator). */
void *cer__otlp_malloc(size_t n);
void cer__otlp_free(void *p);

/* errstr formatting: cerx_errf (src/base/base.h). */

/* ---- request.c ---- */
struct cer_otlp_request {
    cer_otlp_signal sig;
    cer__otlp_arena arena;
    size_t count;
    cer_otlp_limits lim;
    cer__otlp_logs_req *logs;    /* sig == CER_OTLP_LOGS */
    cer__otlp_trace_req *traces; /* sig == CER_OTLP_TRACES */
};

/* Fill every zero field of *out (a copy of *in, or zeroes when in is NULL) with its default. */
void cer__otlp_limits_resolve(const cer_otlp_limits *in, cer_otlp_limits *out);

/* Counters the decoders keep while walking a request. */
typedef struct cer__otlp_walk {
    const cer_otlp_limits *lim;
    size_t records;
} cer__otlp_walk;

/* decode_pb.c: check the wire format of `buf` against `desc` (structure, lengths, wire types,
 * AnyValue depth, record and attribute counts) with a precise path and byte offset on failure,
 * then unpack it into the arena. *out is the unpacked message. */
int cer__otlp_decode_pb(const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                        cer__otlp_arena *arena, cer__otlp_walk *w, ProtobufCMessage **out,
                        char *errstr, size_t errstr_size);

/* decode_json.c: decode OTLP/JSON into protobuf-c structs of `desc` allocated in the arena. */
int cer__otlp_decode_json(const ProtobufCMessageDescriptor *desc, const char *buf, size_t len,
                          cer__otlp_arena *arena, cer__otlp_walk *w, ProtobufCMessage **out,
                          char *errstr, size_t errstr_size);

/* The record-count and attribute-count fields the decoders watch. */
bool cer__otlp_is_record_field(const ProtobufCMessageDescriptor *d,
                               const ProtobufCFieldDescriptor *f);
bool cer__otlp_is_list_field(const ProtobufCMessageDescriptor *d,
                             const ProtobufCFieldDescriptor *f);
/* Bytes fields that OTLP/JSON writes as hex rather than base64. */
bool cer__otlp_is_hex_field(const ProtobufCFieldDescriptor *f);

/* ---- value.c: AnyValue and attribute helpers for the mapping ---- */

/* Append `v` as JSON (see docs/otlp.md). depth counts from 1; fails with CE_EDEPTH past
 * max_depth. Strings are copied as bytes (invalid UTF-8 is caught when the data is set). */
int cer__otlp_any_json(ce_buf *out, const cer__otlp_any *v, uint32_t depth, uint32_t max_depth);
/* Append a double as a JSON number ("NaN"/"Infinity"/"-Infinity" as strings). */
int cer__otlp_double_json(ce_buf *out, double d);
/* Append lowercase hex of n bytes. */
int cer__otlp_hex(ce_buf *out, const uint8_t *p, size_t n);
/* The value of key `name` in attrs, or NULL. First match wins. */
const cer__otlp_any *cer__otlp_attr(cer__otlp_kv *const *attrs, size_t n, const char *name);
/* A string view of a string or int attribute value (int formatted into tmp[24]); false for
 * other kinds or an empty string. */
bool cer__otlp_any_text(const cer__otlp_any *v, char tmp[24], const char **s, size_t *len);
/* Integer value of an int attribute, a double with no fraction, or a decimal string. */
bool cer__otlp_any_int(const cer__otlp_any *v, int64_t *out);

/* A set of keys already written into one JSON object (first occurrence wins): a linear list
 * up to 32 keys, an open-addressing hash table beyond. */
typedef struct cer__otlp_keyset {
    const char *ik[32];
    size_t il[32];
    const char **keys;
    size_t *lens;
    uint32_t *slots; /* index+1 into keys, 0 = empty */
    size_t n, cap, nslots;
} cer__otlp_keyset;
/* Room for max_keys keys. Returns 0 or CE_ENOMEM. */
int cer__otlp_keyset_init(cer__otlp_keyset *s, size_t max_keys);
void cer__otlp_keyset_free(cer__otlp_keyset *s);
/* 1 when added, 0 when already present (or the set is full). */
int cer__otlp_keyset_add(cer__otlp_keyset *s, const char *k, size_t len);

/* Decides whether an attribute key is left out of data (true = drop). */
typedef bool (*cer__otlp_key_drop)(const char *key, size_t len, const void *ctx);
/* Append the members `"key":value` of kvs (no braces) that are not dropped and not already in
 * `seen`, separated by commas; *comma says whether one is due before the first. */
int cer__otlp_kvs_members(ce_buf *out, cer__otlp_kv *const *kvs, size_t n, cer__otlp_keyset *seen,
                          cer__otlp_key_drop drop, const void *drop_ctx, uint32_t depth,
                          uint32_t max_depth, bool *comma);

/* ---- sha256.c ---- */
void cer__otlp_sha256(const void *data, size_t len, uint8_t out[32]);
typedef struct cer__otlp_sha256_ctx {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t buf[64];
    size_t nbuf;
} cer__otlp_sha256_ctx;
void cer__otlp_sha256_init(cer__otlp_sha256_ctx *c);
void cer__otlp_sha256_update(cer__otlp_sha256_ctx *c, const void *data, size_t len);
void cer__otlp_sha256_final(cer__otlp_sha256_ctx *c, uint8_t out[32]);

/* ---- id.c ---- */
/* Random bytes drawn from getrandom() in blocks, so ids cost one system call per 51 events. */
typedef struct cer__otlp_rand {
    uint8_t buf[510];
    size_t left;
} cer__otlp_rand;
/* A random RFC 9562 UUIDv7 ("018f...-7...-..."), 36 chars + NUL. Returns 0 or CE_EIO. */
int cer__otlp_uuid7(cer__otlp_rand *pool, char out[CER_OTLP_ID_MAX]);
/* A UUIDv8 made of SHA-256 over the event's type, source, subject, time and data. */
void cer__otlp_content_id(const ce_event *ev, char out[CER_OTLP_ID_MAX]);

#endif
