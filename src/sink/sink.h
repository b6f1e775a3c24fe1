/* Sinks: destinations for CloudEvents behind one table of functions (Kafka, HTTP, the local
 * log, stdout). `cerelay send` drives them directly; the emitter will drive them from its
 * background thread. A sink is used from one thread at a time. */
#ifndef CER_SINK_H
#define CER_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"
#include "cerelay/err.h"

#include "base/base.h"

/* Outcome of one submitted event, reported exactly once through the delivery callback.
 * err is 0 when the destination acknowledged the event; otherwise a negative ce_err code (or
 * CER_SINK_E* below) and a human-readable reason (valid only during the call). */
typedef void (*cer_delivery_cb)(void *opaque, int err, const char *reason);

/* The sinks' family (-300..-399) of the one error space, CER_SINK_ERRNO_TABLE in
 * include/cerelay/err.h; cer_strerror names them.
 *   CER_SINK_EQUEUE      local queue full: poll, then submit again
 *   CER_SINK_ETRANSPORT  the destination failed or refused the event
 *   CER_SINK_ETIMEOUT    flush timed out with events still in flight
 *   CER_SINK_EPURGED     not sent: the sink was closed or rebuilt first
 *   CER_SINK_EREJECTED   the destination can never take this event (too large, invalid, a 4xx
 *                        answer): retrying cannot succeed */
typedef enum cer_sink_err {
#define CER__SINK_ERR_ENUM(xx, prefix, name, code, msg) prefix##name = (code),
    CER_SINK_ERRNO_TABLE(CER__SINK_ERR_ENUM, )
#undef CER__SINK_ERR_ENUM
} cer_sink_err;

/* Configuration common to every sink; fields a sink does not use are ignored. */
typedef struct cer_sink_conf {
    const char *topic;          /* Kafka/log: topic name or template ("{type}") */
    const char *key;            /* Kafka/log: key template, NULL = binding default */
    ce_mode mode;               /* Kafka: binary|structured; HTTP: binary|structured|batch */
    int attr_headers;           /* Kafka structured: also send each attribute as a ce_ header */
    const char *brokers;        /* Kafka bootstrap servers */
    const char *const *props;   /* Kafka: "name=value" librdkafka properties, NULL-terminated */
    const char *url;            /* HTTP endpoint */
    const char *const *headers; /* HTTP: "Name: value" extra headers, NULL-terminated */
    /* Kafka: "Name: template" record headers, NULL-terminated. The template is rendered per
     * event as a key template ("{tenantid}", "{{" for a literal brace); a header whose
     * template names an attribute the event lacks is left out. Names starting with ce_ and
     * content-type are refused (the binding's own). */
    const char *const *kafka_headers;
    size_t batch_size;   /* HTTP batch mode: events per request (default 50) */
    long timeout_ms;     /* HTTP request timeout (default 30000) */
    int retry_forever;   /* HTTP: retry retriable failures until delivered (behind a disk buffer) */
    const char *log_dir; /* local log directory */
    int log_partitions;  /* local log: partitions for new topics (default 1) */
    const char *fsync;   /* local log: always|interval|never */
    cer_delivery_cb on_delivery;
    /* Kafka and log sinks (may be NULL): per-event routing. Returns the topic and key
     * templates for `ev` (NULL = the configured ones); the sink renders them. */
    int (*route)(void *ctx, const ce_event *ev, const char **topic_tmpl, const char **key_tmpl);
    void *route_ctx;
    /* Log sink only (may be NULL): where each appended event went, called just before its
     * successful delivery callback. */
    void (*on_position)(void *opaque, int32_t partition, int64_t offset);
    /* Kafka sink (may be NULL: librdkafka then prints to stderr itself): librdkafka's own log
     * lines, with its syslog level (0 emergency .. 7 debug), facility ("FAIL") and message.
     * Called from librdkafka's threads: must be thread-safe. */
    void (*on_log)(void *log_ctx, int level, const char *fac, const char *msg);
    void *log_ctx;
} cer_sink_conf;

typedef struct cer_sink cer_sink;

typedef struct cer_sink_ops {
    const char *name;
    /* Open; returns 0 or a negative code with errstr naming the setting at fault. */
    int (*open)(cer_sink **out, const cer_sink_conf *conf, char *errstr, size_t errstr_size);
    /* Queue one event (copied or encoded before return; `ev` may be reused at once). Returns 0,
     * CER_SINK_EQUEUE (nothing queued), or another negative code (the event is rejected and
     * its callback will not be called; errstr says why). */
    int (*submit)(cer_sink *s, const ce_event *ev, void *opaque, char *errstr, size_t errstr_size);
    /* Optional (NULL: the sink has no topic or key; use submit): as submit, with the route
     * already rendered by the caller, so neither the route callback nor the templates are
     * consulted: `topic` is the literal topic, `key` the literal key (key.ptr NULL: no key).
     * `extra` (nextra entries, may be 0) are record headers added after the event's. */
    int (*submit_routed)(cer_sink *s, const ce_event *ev, const char *topic, ce_slice key,
                         const ce_header *extra, size_t nextra, void *opaque, char *errstr,
                         size_t errstr_size);
    /* Serve delivery callbacks, waiting at most timeout_ms. Returns events still in flight. */
    size_t (*poll)(cer_sink *s, int timeout_ms);
    /* Send everything queued and wait up to timeout_ms for the outcomes. Returns 0 or
     * CER_SINK_ETIMEOUT. */
    int (*flush)(cer_sink *s, int timeout_ms);
    /* Every submitted event not yet reported gets its callback with CER_SINK_EPURGED. */
    void (*close)(cer_sink *s);
    /* Optional (NULL when the sink cannot fail that way): non-zero when the sink hit an
     * unrecoverable error and must be closed and opened again (librdkafka fatal errors);
     * errstr says why. */
    int (*fatal)(cer_sink *s, char *errstr, size_t errstr_size);
} cer_sink_ops;

extern const cer_sink_ops cer_sink_kafka;
extern const cer_sink_ops cer_sink_http;
extern const cer_sink_ops cer_sink_stdout;
extern const cer_sink_ops cer_sink_log;

/* A handle pairs the ops with the sink's state. */
typedef struct cer_sink_handle {
    const cer_sink_ops *ops;
    cer_sink *s;
} cer_sink_handle;

/* The local log under a log sink (for the disk buffer's maintenance). */
struct cer_log;
struct cer_log *cer_sink_log_handle(cer_sink *s);
/* Tests only: make a Kafka sink's producer raise a fatal error. */
void cer_sink_kafka_test_fatal(cer_sink *s);

/* The local log under a log sink (for the disk buffer's maintenance). */
struct cer_log;
struct cer_log *cer_sink_log_handle(cer_sink *s);
/* Tests only: make a Kafka sink's producer raise a fatal error. */
void cer_sink_kafka_test_fatal(cer_sink *s);

/* Render a topic template ("{type}", "prefix.{tenantid}") for `e` into `scratch`; the result
 * is NUL-terminated in scratch. Returns 0 or CE_EMISSING naming the attribute. */
int cer_render_topic(const ce_event *e, const char *tmpl, ce_buf *scratch, const char **topic,
                     char *errstr, size_t errstr_size);
/* The destination of `ev` for a Kafka or log sink: the route callback's topic and key templates
 * (when `route` is set and names them), else `topic_tmpl` / `key_tmpl`; the topic is rendered
 * into `scratch` (*topic points into it), the key template is returned for the sink to render
 * with the event. Returns 0 or cer_render_topic's error. */
int cer_sink_destination(int (*route)(void *ctx, const ce_event *ev, const char **topic_tmpl,
                                      const char **key_tmpl),
                         void *route_ctx, const ce_event *ev, const char *topic_tmpl,
                         const char *key_tmpl, ce_buf *scratch, const char **topic,
                         const char **key_out, char *errstr, size_t errstr_size);

/* cer_uuid7, cer_now_rfc3339 and cer_mono_ns: src/base/base.h (included above). */

#endif
