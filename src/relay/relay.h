/* The relay daemon (`cerelay run`): HTTP ingest of CloudEvents (and OTLP), validation,
 * routing, delivery through the emitter with end-to-end acknowledgement, health and metrics.
 * Internal interfaces shared by src/relay/ files. */
#ifndef CER_RELAY_H
#define CER_RELAY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"
#include "cerelay/emitter.h"
#include "pipeline/pipeline.h"
#include "relay/config.h"
#include "sink/sink.h"

/* ---- metrics (metrics.c) ----------------------------------------------------------------- */

#define LAT_BUCKETS 14

typedef struct relay_metrics {
    atomic_ullong requests, received, accepted;
    atomic_ullong rejected[CER_REASON_COUNT]; /* by cer_reason */
    atomic_ullong ack_failed;
    atomic_ullong lat_bucket[LAT_BUCKETS + 1]; /* ingest-to-ack seconds, cumulative at render */
    atomic_ullong lat_count;
    atomic_ullong lat_sum_us;
    pthread_mutex_t topics_mu; /* accepted events per destination topic */
    struct topic_count {
        char *name;
        unsigned long long n;
    } * topics;
    size_t ntopics, topics_cap;
    struct relay_fresh *fresh; /* per type/tenant freshness (fresh.h); NULL without memory */
} relay_metrics;

void cer__relay_metrics_init(relay_metrics *m);
void cer__relay_metrics_free(relay_metrics *m);
void cer__relay_metrics_observe_latency(relay_metrics *m, int64_t ns);
void cer__relay_metrics_count_topic(relay_metrics *m, const char *topic, size_t len);
/* Prometheus text exposition of the relay and emitter counters. */
int cer__relay_metrics_render(relay_metrics *m, cer_emitter *em, ce_buf *out);

/* ---- the relay ------------------------------------------------------------------------------ */

typedef struct relay relay;

struct relay {
    cer_config cfg; /* as started: destination, buffer, ack and listen addresses come from here */
    /* What SIGHUP may change (routes, limits, auth tokens, OTLP mapping, logging, metrics):
     * read at request time with relay_live(). Replaced configurations are kept until exit,
     * because the emitter may still hold route templates borrowed from them. */
    _Atomic(const cer_config *) live;
    cer_emitter *em;
    /* The pipeline in force (built from `live`); replaced on reload, the old ones kept until
     * exit like the configurations (requests in flight may still use them). */
    _Atomic(cer_pipeline *) pipe;
    cer_pipeline **old_pipes;
    size_t nold_pipes;
    cer_pipeline_shared pshared; /* counters and the dead-letter writer, across reloads */
    atomic_ullong body_bytes;    /* request bodies held in memory now */
    relay_metrics metrics;
    struct cer_ratelog *rl; /* per-event log lines (cer__relay_log_sampled) */
    int ack;                /* cer_config_ack, after resolving "local" without a disk buffer */
    int ack_timeout_ms;
    atomic_int draining;
    struct relay_ratelimit *ratelimit; /* limits.tenant_rate (ratelimit.c) */
    struct MHD_Daemon *events_d, *otlp_d;
    int events_port, otlp_port;
    struct relay_grpc *grpc; /* OTLP/gRPC (grpc.c), NULL when disabled */
    int grpc_port;
};

static inline const cer_config *relay_live(relay *r)
{
    return atomic_load(&r->live);
}

/* Start the HTTP listeners (http.c). Returns 0 or -1 with errstr naming the address. */
int cer__relay_http_start(relay *r, char *errstr, size_t errstr_size);
/* Stop accepting connections, then wait (bounded) for in-flight requests. */
void cer__relay_http_quiesce(relay *r, int timeout_ms);
void cer__relay_http_stop(relay *r);
/* Requests currently being processed. */
long cer__relay_http_active(void);

/* The emitter's router callback (relay.c): the live pipeline's route templates. */
int cer__relay_route(void *ctx, const ce_event *ev, const char **topic_tmpl, const char **key_tmpl);
static inline cer_pipeline *relay_pipeline(relay *r)
{
    return atomic_load(&r->pipe);
}

/* Emitter callbacks (ack.c). */
void cer__relay_on_delivery(void *ctx, void *opaque, int err, const char *reason);
void cer__relay_on_persisted(void *ctx, void *opaque, int err);

/* Logging to stderr, text or JSON (log.c). Levels as cer_config_log_level. */
void cer__relay_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cer__relay_log_setup(int format, int level);
/* A line that may repeat per event or request: at most one per (kind, reason) per
 * logging.sample_interval (r->rl, sink/ratelog.h), ending with the number of occurrences since
 * the last such line. kind: a static string. Thread-safe. */
void cer__relay_log_sampled(relay *r, int level, const char *kind, const char *reason,
                            size_t reason_len, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* The last lines of cer__relay_log_sampled (at exit). */
void cer__relay_log_flush(relay *r);

/* Bring a relay up from cfg (taken: freed by cer__relay_close, also on failure): the pipeline, the
 * dead-letter writer, the emitter and, unless no_http, the HTTP listeners. Returns 0, or a
 * non-zero exit status (2) with errstr. r must be zeroed. */
int cer__relay_open(relay *r, int ack_timeout_ms, bool no_http, char *errstr, size_t errstr_size);
/* Quiesce, drain the emitter for up to drain_ms and free everything. */
void cer__relay_close(relay *r, int drain_ms);
/* Run one request through the handler without HTTP I/O (tests, fuzzing): kind LISTEN_EVENTS or
 * LISTEN_OTLP. Waits for the acknowledgement like a client would (ack remote/local). Returns
 * the status; the body goes to *resp (appended), the Content-Type to ctype. */
unsigned cer__relay_request(relay *r, int kind, const char *method, const char *url,
                            const ce_header *hdrs, size_t nhdrs, const void *body, size_t len,
                            ce_buf *resp, char *ctype, size_t ctype_size);

/* `cerelay run`: load, start, serve until SIGTERM/SIGINT, drain. Returns an exit status. */
int cer__relay_main(const char *config_path, int print_ready, int ack_timeout_ms);

#endif
