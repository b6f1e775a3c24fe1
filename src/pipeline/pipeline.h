/* The relay's one pipeline: for one request (a batch of events), decode under the configured
 * limits, then size check -> catalog check -> masking -> egress policy -> routing, with a verdict
 * per event and the topic/key rendered once. The relay's /events and OTLP endpoints and
 * `cerelay dry-run` all go through here; nothing else implements one of these steps.
 * Also: the one classification of request failures (cer_reason) used for both the HTTP answer
 * and cerelay_requests_rejected_total, and the policy dead-letter writer (cer_dlq). */
#ifndef CER_PIPELINE_H
#define CER_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"
#include "relay/config.h"

/* ---- reasons ------------------------------------------------------------------------------ */

/* Why a request (or one of its events) is refused. Each has one HTTP status, one problem type
 * (urn:cerelay:problem:<kind>), one title and one metric label; nothing else maps them. */
typedef enum cer_reason {
    CER_REASON_NONE = 0,
    CER_REASON_INVALID,          /* 400 invalid-event: an event breaks a rule (errors[] names it) */
    CER_REASON_MALFORMED,        /* 400 malformed: the body or headers cannot be decoded */
    CER_REASON_TOO_LARGE,        /* 413 too-large: body, inflated body, event or batch count */
    CER_REASON_HEADER_TOO_LARGE, /* 431 header-too-large */
    CER_REASON_MEDIA_TYPE,       /* 415 unsupported-media-type */
    CER_REASON_METHOD,           /* 405 method-not-allowed */
    CER_REASON_NOT_FOUND,        /* 404 not-found */
    CER_REASON_UNAUTHORIZED,     /* 401 unauthorized */
    CER_REASON_GOVERNANCE,       /* 400 governance: masking failed on an event (fail closed) */
    CER_REASON_OVERLOADED,       /* 503 overloaded: memory cap reached, or shutting down */
    CER_REASON_DELIVERY,         /* 502 delivery-failed */
    CER_REASON_ACK_TIMEOUT,      /* 504 ack-timeout */
    CER_REASON_UNDELIVERABLE,    /* 422 undeliverable: the destination can never take an event
                                    (larger than it accepts, invalid; dead-lettered if set) */
    CER_REASON_RATE_LIMITED,     /* 429 rate-limited: a tenant over limits.tenant_rate */
    CER_REASON_INTERNAL,         /* 500 internal */
    CER_REASON_COUNT
} cer_reason;

typedef struct cer_reason_info {
    unsigned status;
    const char *kind;   /* problem type suffix: "invalid-event" */
    const char *title;  /* problem title: "Invalid CloudEvent" */
    const char *metric; /* cerelay_requests_rejected_total{reason=...}: "invalid" */
} cer_reason_info;

/* The row for r (CER_REASON_INTERNAL's for an out-of-range value). Never NULL. Thread-safe. */
const cer_reason_info *cer_reason_get(cer_reason r);
/* The reason a decoder error code means for a single event (CE_EMISSING -> INVALID, CE_ESYNTAX
 * -> MALFORMED, CE_ETOOBIG -> TOO_LARGE, CE_ENOMEM -> OVERLOADED). Thread-safe. */
cer_reason cer_reason_of_error(int ce_err);

/* ---- dead letters --------------------------------------------------------------------------- */

/* The policy dead-letter writer: one background thread appends handed-off events to a local
 * log (topic "policy-denied") and fsyncs once per group (group commit), so a request thread
 * never writes or fsyncs. A handed-off group is reported durable through its callback. */
typedef struct cer_dlq cer_dlq;
/* Called once per cer_pipeline_dead_letter group, from the writer thread, after the group's
 * events are fsynced (err 0) or could not be written (err < 0, reason says why). */
typedef void (*cer_dlq_done_fn)(void *opaque, int err, const char *reason);

#define CER_DLQ_DEFAULT_MAX_BYTES ((size_t)16 << 20) /* events waiting for the writer */

/* Open the dead-letter log in dir (created if missing) and start the writer. max_bytes: cap on
 * what waits in memory (0: the default). Returns 0 or CE_EIO/CE_ENOMEM with errstr. */
int cer_dlq_new(cer_dlq **out, const char *dir, size_t max_bytes, char *errstr, size_t errstr_size);
/* Write what is queued, stop the thread, close the log. NULL is a no-op. */
void cer_dlq_destroy(cer_dlq *q);
/* Bytes waiting for the writer. Thread-safe. */
size_t cer_dlq_pending_bytes(const cer_dlq *q);

/* ---- counters shared by the pipelines of one process (they survive a reload) --------------- */
typedef struct cer_pipeline_shared {
    _Atomic(cer_dlq *) dlq; /* NULL: dead letters are not written (set once, never cleared
                             * while pipelines run) */
    atomic_ullong cat_warned, cat_rejected, cost_filled, mask_failed, too_large, denied;
    atomic_ullong dead_lettered, dead_letter_failed;
} cer_pipeline_shared;

/* ---- batches -------------------------------------------------------------------------------- */

typedef enum cer_verdict {
    CER_VERDICT_PENDING = 0, /* not (yet) processed: another event rejected the request first */
    CER_VERDICT_ACCEPTED,    /* to be delivered to `topic` with `key` */
    CER_VERDICT_DENIED,      /* dropped by the egress policy (dead-lettered when dead_letter) */
    CER_VERDICT_REJECTED     /* breaks a rule: `reason` and `detail` say which */
} cer_verdict;

typedef struct cer_item {
    ce_event *ev; /* owned by the batch; NULL when the element could not be decoded */
    cer_verdict verdict;
    cer_reason reason; /* REJECTED: CER_REASON_INVALID, _TOO_LARGE or _GOVERNANCE */
    bool dead_letter;  /* DENIED and policy.dead_letter is set */
    const char *rule;  /* ACCEPTED/DENIED: the deciding policy rule (borrowed from the pipeline) */
    char detail[256];  /* REJECTED: what is wrong; ACCEPTED/DENIED: the policy's reason or "" */
    size_t catalog_warned; /* violations found under catalog mode warn (delivered anyway) */
    char *topic;           /* ACCEPTED: rendered topic, NULL when the binding has none (owned) */
    char *key;             /* ACCEPTED: rendered key, NULL for a null key (owned) */
    size_t key_len;
} cer_item;

typedef struct cer_batch cer_batch;

/* A new empty batch (NULL on allocation failure). It owns every event added to it. */
cer_batch *cer_batch_new(void);
/* Free the batch and every event and string it holds. NULL is a no-op. */
void cer_batch_destroy(cer_batch *b);
/* Empty the batch (freeing its events), keeping its memory for reuse. */
void cer_batch_clear(cer_batch *b);
/* Add an event at the next index. Takes ev on every return, also on failure (CE_ENOMEM:
 * ev was destroyed). */
int cer_batch_add_take(cer_batch *b, ce_event *ev);
/* Add an element that could not be decoded: REJECTED with reason and detail. 0 or CE_ENOMEM. */
int cer_batch_add_rejected(cer_batch *b, cer_reason reason, const char *detail);
size_t cer_batch_count(const cer_batch *b);
/* Borrow item i (i < count) until the batch changes. */
const cer_item *cer_batch_item(const cer_batch *b, size_t i);
/* Counts by verdict. */
size_t cer_batch_count_verdict(const cer_batch *b, cer_verdict v);
/* The accepted events, in order, as an array borrowed until the batch changes (for
 * cer_emitter_emit_batch). *n receives their count. */
const ce_event *const *cer_batch_accepted(cer_batch *b, size_t *n);
/* The request-level outcome: CER_REASON_NONE when no event is rejected, else TOO_LARGE when
 * an event is too large, else GOVERNANCE when masking failed, else INVALID. *first (may be
 * NULL) receives the index of the first rejected event. */
cer_reason cer_batch_outcome(const cer_batch *b, size_t *first);

/* ---- the pipeline --------------------------------------------------------------------------- */

typedef struct cer_pipeline cer_pipeline;

/* Build the steps from cfg: limits, the catalog (catalog.*), the masker (masking.*), the policy
 * (policy.*), the routes and the binding's default topic/key. cfg is borrowed and must outlive
 * the pipeline (route templates point into it). shared may be NULL (counters kept privately,
 * no dead letters). Returns 0 or CE_EINVAL/CE_ENOMEM with errstr naming the section at fault. */
int cer_pipeline_new(cer_pipeline **out, const cer_config *cfg, cer_pipeline_shared *shared,
                     char *errstr, size_t errstr_size);
/* NULL is a no-op. Not while a call on the pipeline is running. */
void cer_pipeline_destroy(cer_pipeline *pl);
const cer_config *cer_pipeline_config(const cer_pipeline *pl);

/* Decode an HTTP CloudEvents request (binary, structured or batch mode) into b, which must be
 * empty. The body is capped by limits.max_body_bytes (the caller enforces that while reading),
 * a batch by limits.max_batch_events. Returns CER_REASON_NONE with one item per event (elements
 * that do not decode are REJECTED items with their index), or the reason the request as a
 * whole is refused (MEDIA_TYPE, MALFORMED, TOO_LARGE for too many events, OVERLOADED for out
 * of memory) with errstr; b then holds nothing. The caller owns b on every return. Thread-safe. */
cer_reason cer_pipeline_decode_http(cer_pipeline *pl, const ce_http_message *msg, cer_batch *b,
                                    char *errstr, size_t errstr_size);

/* Decode one structured event, or a batch (a JSON array), from buf into b (empty) under the same
 * limits; an element (or the single event) that does not decode is a REJECTED item with the
 * decoder's message. Returns CER_REASON_NONE, or the reason the input as a whole is refused
 * (MALFORMED for a broken array, TOO_LARGE for too many events) with errstr. Thread-safe. */
cer_reason cer_pipeline_decode_json(cer_pipeline *pl, const char *buf, size_t len, cer_batch *b,
                                    char *errstr, size_t errstr_size);

/* What an OTLP request decoded to, besides the events added to the batch. */
typedef struct cer_otlp_outcome {
    int encoding;          /* cer_otlp_encoding of the request: the response must use it */
    uint64_t rejected;     /* records the mapping refused (partial_success) */
    char first_error[256]; /* the first refused record's "<path>: <msg>" */
} cer_otlp_outcome;

/* Decode an OTLP/HTTP export request (signal: cer_otlp_signal) with its Content-Type and
 * Content-Encoding (gzip inflates under limits.max_inflated_bytes, default max_body_bytes) and
 * map it to events added to b. Returns CER_REASON_NONE, or MEDIA_TYPE, MALFORMED, TOO_LARGE
 * (body, inflated body or record count), OVERLOADED with errstr; b then holds nothing. */
cer_reason cer_pipeline_decode_otlp(cer_pipeline *pl, int signal, const char *content_type,
                                    const char *content_encoding, const void *body, size_t len,
                                    cer_batch *b, cer_otlp_outcome *out, char *errstr,
                                    size_t errstr_size);

enum {
    /* The relay's semantics: a request is accepted whole or not at all, so once the size and
     * catalog checks reject an event, masking and the policy are not run (the other events
     * stay PENDING) and nothing is dead-lettered. Without it (dry-run) every event gets its own
     * verdict. */
    CER_PIPELINE_WHOLE = 1 << 0
};

/* Run the steps over every item of b still PENDING: size (limits.max_event_bytes, measured as
 * the event's structured JSON encoding), catalog (costUsd filled; a violation under enforce
 * rejects), masking (in place; a failure rejects with GOVERNANCE: a partly masked event never
 * leaves), the policy (on the masked event; a failed decision is a deny), routing (the first
 * matching route, else the binding's defaults; a template naming a missing attribute rejects).
 * Returns cer_batch_outcome(b, NULL). Events stay owned by b. Thread-safe (OPA may block). */
cer_reason cer_pipeline_process(cer_pipeline *pl, cer_batch *b, unsigned flags);

/* Hand b's DENIED items with dead_letter set to the dead-letter writer (copies, each with a
 * `deadletterreason` naming the rule). Returns the number handed off (0: none, or no writer;
 * done is then never called), or CER_PIPELINE_DLQ_FULL when the writer's queue is over its cap
 * (nothing handed off: answer 503). done(opaque, ...) runs once when the group is durable. */
#define CER_PIPELINE_DLQ_FULL (-200)
int cer_pipeline_dead_letter(cer_pipeline *pl, cer_batch *b, cer_dlq_done_fn done, void *opaque);

/* The route templates for ev: the first route whose glob matches its type, else the binding's
 * defaults (*topic_tmpl NULL: the binding has no topic). The strings are borrowed from the
 * configuration. The emitter's router callback uses this, so routing is written once; the
 * verdicts' topic/key are rendered from the same templates. Thread-safe. */
void cer_pipeline_route(const cer_pipeline *pl, const ce_event *ev, const char **topic_tmpl,
                        const char **key_tmpl);

/* Glob match of s[0..len) against pat, with * and ? on bytes. Thread-safe. */
int cer_glob(const char *pat, const char *s, size_t len);

/* Prometheus text for the catalog, masking, policy and dead-letter counters. */
void cer_pipeline_metrics(cer_pipeline *pl, ce_buf *out);

#endif
