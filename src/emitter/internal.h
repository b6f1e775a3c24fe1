/* Internals of the emitter (src/emitter/): the parsed configuration, the per-event tracking
 * record, and the disk buffer's interface to the main loop. */
#ifndef CER_EMITTER_INTERNAL_H
#define CER_EMITTER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "cerelay/emitter.h"
#include "cerelay/log.h"
#include "sink/sink.h"

enum { EM_MAX_PROPS = 128 };

typedef enum { BIND_STDOUT, BIND_KAFKA, BIND_HTTP, BIND_LOG } em_binding;

typedef struct em_conf {
    em_binding binding;
    char *kafka_brokers, *kafka_topic, *kafka_key;
    ce_mode kafka_mode;
    char *kafka_props[EM_MAX_PROPS]; /* "name=value" */
    int nkafka_props;
    int kafka_timeout_set;             /* user set kafka.message.timeout.ms */
    char *kafka_headers[EM_MAX_PROPS]; /* "Name: template" (kafka.header.<Name>) */
    int nkafka_headers;
    char *http_url;
    ce_mode http_mode;
    size_t http_batch;
    long http_flush_ms;
    char *http_headers[EM_MAX_PROPS]; /* "Name: value" */
    int nhttp_headers;
    char *log_dir, *log_topic, *log_fsync;
    int log_partitions;
    bool disk;
    char *buffer_dir, *buffer_fsync;
    uint64_t buffer_max;
    bool drop_oldest;
    bool forget_after_persist; /* no delivery callback once persisted (O(1) memory per event) */
    int buffer_partitions;
    uint64_t queue_max;
    uint64_t log_sample_ms; /* log.sample_interval_ms: per-event lines, one per key per interval */
    char *dlq_dir;
    cer_route_fn route;
    void *route_ctx;
    cer_delivery_fn on_delivery;
    cer_persisted_fn on_persisted;
    cer_emitter_log_fn on_log;
    void *ctx;
} em_conf;

struct cer_emitter_conf {
    em_conf c;
};

/* One event on its way: queued, then submitted; freed after its final outcome. */
typedef struct em_trk {
    struct em_trk *next;
    cer_emitter *em;
    ce_event *ev; /* owned copy; NULL once persisted to the disk buffer */
    void *opaque;
    size_t bytes;
    int32_t partition; /* disk buffer position, -1 for memory mode */
    int64_t offset;
    void *buf; /* the disk buffer appending it (buffer.c) */
    /* cer_emitter_emit_batch_routed: the rendered destination ("topic\0key"; NULL: none) */
    char *rt;
    size_t rt_key_len;
    bool rt_has_key;
} em_trk;

/* The record header through which the disk buffer remembers a rendered destination topic. */
#define EM_ROUTE_HEADER "cerelay_route_topic"
/* Free a tracked event (its copy and route). */
void cer__em_trk_free(em_trk *t);

void cer__em_conf_copy(em_conf *dst, const em_conf *src);
void cer__em_conf_free(em_conf *c);
/* Fill a sink configuration for the remote destination; strings borrow from `c`. */
/* `extra_prop` (may be NULL or "") is one more librdkafka "name=value" applied before the
 * user's properties. props must have room for EM_MAX_PROPS + 3 entries. */
const cer_sink_ops *cer__em_remote_sink(const em_conf *c, cer_sink_conf *sc, const char **props,
                                        const char **headers, const char *extra_prop);
/* Did the user set librdkafka property `name` (kafka.<name>)? */
bool cer__em_kafka_prop_set(const em_conf *c, const char *name);
/* Write `ev` (modified: deadletterreason is set) to the dead-letter log: dead_letter.dir, else
 * buffer.dir/dead-letter with the disk buffer. Returns 0 once it is stored (fsynced),
 * CE_EINVAL when none is configured, CE_EIO. Thread-safe. */
int cer__em_dead_letter(cer_emitter *em, ce_event *ev, const char *reason);
bool cer__em_forgets_after_persist(const cer_emitter *em);
/* Rough memory footprint of an event (what the caps count). */
size_t cer__em_event_bytes(const ce_event *ev);
/* Bytes held in memory again (the disk buffer's forwarder, for events it has in flight). */
void cer__em_hold(cer_emitter *em, size_t bytes);
/* Bytes of an event no longer held in memory (persisted to the disk buffer). */
void cer__em_release(cer_emitter *em, size_t bytes);

/* Tests only: make the Kafka producer raise a fatal error on the background thread's next
 * turn (the emitter must rebuild it without losing events). */
void cer__emitter_test_fatal(cer_emitter *em);

/* Messages through the configured log callback. */
void cer__em_log(cer_emitter *em, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* librdkafka's log lines (cer_sink_conf.on_log), rate-limited per facility. */
void cer__em_rdkafka_log(void *ctx, int level, const char *fac, const char *msg);
/* A line that may repeat per event: at most one per (kind, reason) per log.sample_interval_ms,
 * with the number of occurrences since the last one appended (sink/ratelog.h). Thread-safe. */
void cer__em_log_sampled(cer_emitter *em, int level, const char *kind, const char *reason,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
