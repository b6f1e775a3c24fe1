/* cerelay emitter: publish CloudEvents from a C program without blocking, with background
 * batching and delivery to Kafka, an HTTP endpoint, cerelay's local log or stdout, and an
 * optional durable disk buffer so that no acknowledged event is lost across broker outages or
 * process restarts. Library: libcerelay-emitter (links the core, the sinks and the local log). */
#ifndef CERELAY_EMITTER_H
#define CERELAY_EMITTER_H

#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"
#include "cerelay/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes beyond the core's ce_err codes: the emitter's family (-100..-199) of the one
 * error space, CER_EMITTER_ERRNO_TABLE in include/cerelay/err.h; cer_strerror names them.
 *   CER_EQUEUE_FULL  emit: the in-memory queue is at its byte limit; retry later
 *   CER_ECLOSED      emit: the emitter is shutting down
 *   CER_ETIMEOUT     flush: events still in flight when the timeout expired
 *   CER_EDELIVERY    delivery callback: the destination refused or failed
 *   CER_EDROPPED     delivery callback: dropped by the drop_oldest buffer policy
 *   CER_EDEADLETTER  delivery callback: rejected permanently, sent to dead letters
 *   CER_EREJECTED    delivery callback: the destination can never take this event (larger than
 *                    it accepts, invalid, a 4xx answer) and no dead letter is configured:
 *                    retrying cannot succeed */
typedef enum cer_emitter_err {
#define CER__EMITTER_ERR_ENUM(xx, prefix, name, code, msg) prefix##name = (code),
    CER_EMITTER_ERRNO_TABLE(CER__EMITTER_ERR_ENUM, )
#undef CER__EMITTER_ERR_ENUM
} cer_emitter_err;

/* Configuration: string properties, set one by one (librdkafka style), so the set of settings
 * can grow without changing the ABI. Keys (defaults in brackets):
 *   binding                 kafka | http | log | stdout                         [stdout]
 *   kafka.brokers           bootstrap servers "host:port,..."
 *   kafka.topic             topic template, "{type}" gives one topic per type    [{type}]
 *   kafka.key               key template; default: partitionkey, else subject
 *   kafka.mode              binary | structured                                  [binary]
 *   kafka.header.<Name>     a record header; the value is a template rendered per event
 *                           ("{tenantid}"; "{{" for a literal brace); a header whose
 *                           attribute the event lacks is left out; ce_* and content-type
 *                           are refused (the binding's own headers)
 *   kafka.<librdkafka prop> any librdkafka property, e.g. kafka.compression.type=lz4,
 *                           kafka.security.protocol=SASL_SSL; defaults enable.idempotence=true,
 *                           acks=all, message.timeout.ms=0 (retry until delivered) when the
 *                           disk buffer is on, 300000 otherwise
 *   http.url                endpoint
 *   http.mode               batch | structured | binary                           [batch]
 *   http.batch_size         events per batch request                              [50]
 *   http.flush_interval_ms  longest wait before a partial batch is sent           [5000]
 *   http.header.<Name>      extra header; ${VAR} is taken from the environment
 *   log.dir, log.topic, log.partitions, log.fsync   destination local log
 *   buffer                  memory | disk                                         [memory]
 *   buffer.dir              disk buffer directory (one writer process per dir)
 *   buffer.max_bytes        disk buffer cap                                       [1073741824]
 *   buffer.when_full        block | drop_oldest                                   [block]
 *   buffer.fsync            always | interval | never                             [always]
 *   buffer.forget_after_persist  true: once an event's persisted callback fired, its
 *                           opaque is forgotten and it gets no delivery callback (outcomes
 *                           are counted in the stats, dead letters logged), so a backlog
 *                           of any size costs no memory per event              [false]
 *   buffer.partitions       buffer partitions: each append pass fsyncs each one it
 *                           touches; an existing buffer keeps its count           [1]
 *   queue.max_bytes         memory cap: events held (queued, or handed to the destination
 *                           and not yet final; with the disk buffer, until persisted) plus
 *                           librdkafka's own queue, which gets a quarter of it unless
 *                           kafka.queue.buffering.max.kbytes is set; beyond it emit says
 *                           CER_EQUEUE_FULL                                      [67108864]
 *   dead_letter.dir         local log directory for permanently rejected events (too large
 *                           for the destination, invalid, a 4xx answer), each with its reason
 *                           in the deadletterreason attribute
 *                           [buffer.dir/dead-letter, or none with the memory buffer: then
 *                           such events end with CER_EREJECTED]
 */
typedef struct cer_emitter_conf cer_emitter_conf;

CE_EXTERN cer_emitter_conf *cer_emitter_conf_new(void);
CE_EXTERN void cer_emitter_conf_destroy(cer_emitter_conf *c);
/* Set `key` to `value` (copied). Returns 0, or CE_EINVAL with errstr naming the key or value
 * at fault (unknown key, bad number, bad enum). */
CE_EXTERN int cer_emitter_conf_set(cer_emitter_conf *c, const char *key, const char *value,
                                   char *errstr, size_t errstr_size);

/* Outcome of one emitted event, reported exactly once, from the emitter's background thread:
 * err 0 when the destination acknowledged it, else CER_EDELIVERY, CER_EDEADLETTER, CER_EREJECTED,
 * CER_EDROPPED or a ce_err code, with a human-readable reason valid during the call. `opaque` is
 * what was passed to cer_emitter_emit. With the disk buffer, events still on disk when the process
 * ends are delivered by a later process, whose callbacks get opaque NULL. */
typedef void (*cer_delivery_fn)(void *ctx, void *opaque, int err, const char *reason);
/* Called once an event is durably stored in the disk buffer (the relay's ack: local), from the
 * background thread; err != 0 when the append failed (then the delivery callback also fires
 * with that error). Not called with the memory buffer. */
typedef void (*cer_persisted_fn)(void *ctx, void *opaque, int err);
/* Operational messages (level: 3 error, 4 warning, 6 info). */
typedef void (*cer_emitter_log_fn)(void *ctx, int level, const char *msg);

CE_EXTERN void cer_emitter_conf_set_callbacks(cer_emitter_conf *c, cer_delivery_fn on_delivery,
                                              cer_persisted_fn on_persisted,
                                              cer_emitter_log_fn on_log, void *ctx);

/* Per-event routing for the kafka and log bindings: return the topic and key templates for
 * `ev` ("{type}", "{tenantid}"; NULL = the configured kafka.topic/kafka.key). Called from the
 * background thread; must be thread-safe against the caller's own changes and return strings
 * that stay valid for the emitter's lifetime. */
typedef int (*cer_route_fn)(void *ctx, const ce_event *ev, const char **topic_tmpl,
                            const char **key_tmpl);
CE_EXTERN void cer_emitter_conf_set_router(cer_emitter_conf *c, cer_route_fn fn, void *ctx);

typedef struct cer_emitter cer_emitter;

/* Create an emitter and start its background thread. `conf` is copied; the caller keeps it.
 * With buffer=disk, a backlog left by an earlier process starts draining at once.
 * Returns 0 or a negative code with errstr naming the setting or resource at fault. */
CE_EXTERN int cer_emitter_new(cer_emitter **out, const cer_emitter_conf *conf, char *errstr,
                              size_t errstr_size);

/* Queue a copy of `ev` (which must validate) for delivery; never blocks on I/O. Returns 0,
 * CER_EQUEUE_FULL (nothing queued: the caller should push back, e.g. HTTP 429/503),
 * CER_ECLOSED, a validation error (errstr names the attribute) or CE_ENOMEM. Thread-safe. */
CE_EXTERN int cer_emitter_emit(cer_emitter *em, const ce_event *ev, void *opaque, char *errstr,
                               size_t errstr_size);

/* Queue copies of n events as one unit: either all are queued (0) or none is (CER_EQUEUE_FULL,
 * CER_ECLOSED, a validation error naming the event index and attribute, CE_ENOMEM).
 * opaques[i] (opaques may be NULL) is event i's callback argument. Thread-safe. */
CE_EXTERN int cer_emitter_emit_batch(cer_emitter *em, const ce_event *const *evs, size_t n,
                                     void *const *opaques, char *errstr, size_t errstr_size);

/* As cer_emitter_emit_batch, with each event's destination already rendered by the caller
 * (the relay's pipeline does it once at ingest): topics[i] is the literal topic and keys[i]
 * the literal key (.ptr NULL: no key), so neither the router nor the topic and key
 * templates are consulted again, in the memory buffer or through the disk buffer. Kafka and
 * log bindings; others ignore the routes. topics NULL: exactly cer_emitter_emit_batch.
 * The strings are copied. */
CE_EXTERN int cer_emitter_emit_batch_routed(cer_emitter *em, const ce_event *const *evs, size_t n,
                                            void *const *opaques, const char *const *topics,
                                            const ce_slice *keys, char *errstr, size_t errstr_size);

/* Wait until every event emitted before the call has its final outcome (or, with the disk
 * buffer, is delivered from the buffer), at most timeout_ms. Returns 0 or CER_ETIMEOUT.
 * Thread-safe; must not be called from a callback. */
CE_EXTERN int cer_emitter_flush(cer_emitter *em, int timeout_ms);

typedef struct cer_emitter_stats {
    uint64_t emitted;           /* accepted by cer_emitter_emit */
    uint64_t rejected_full;     /* refused with CER_EQUEUE_FULL */
    uint64_t persisted;         /* stored in the disk buffer */
    uint64_t delivered;         /* acknowledged by the destination */
    uint64_t failed;            /* final failures other than dead letters and drops */
    uint64_t dead_lettered;     /* permanently rejected, written to dead letters */
    uint64_t rejected;          /* permanently rejected, no dead letter configured */
    uint64_t dropped;           /* removed by buffer.when_full=drop_oldest */
    uint64_t retried;           /* resubmissions after a recoverable failure */
    uint64_t producer_rebuilds; /* Kafka producer re-created after a fatal error */
    uint64_t queue_bytes;       /* held in memory now, counted against queue.max_bytes */
    uint64_t buffer_bytes;      /* on disk, not yet delivered (estimated from record sizes) */
    uint64_t buffer_events;     /* events on disk, not yet delivered */
    uint64_t in_flight;         /* submitted to the destination, outcome pending */
} cer_emitter_stats;

/* Snapshot of the counters. Thread-safe. */
CE_EXTERN void cer_emitter_stats_get(cer_emitter *em, cer_emitter_stats *out);

/* Stop accepting events, drain for at most drain_timeout_ms, stop the thread and free. Events
 * not delivered by then get their delivery callback with CER_EDELIVERY (memory buffer) or stay
 * in the disk buffer for the next process. NULL is a no-op. Not callable from a callback. */
CE_EXTERN void cer_emitter_destroy(cer_emitter *em, int drain_timeout_ms);

#ifdef __cplusplus
}
#endif
#endif /* CERELAY_EMITTER_H */
