/* The relay daemon (`cerelay run`): HTTP ingest of CloudEvents (and OTLP), validation,
 * routing, delivery through the emitter with end-to-end acknowledgement, health and metrics.
 * Internal interfaces shared by src/relay/ files. */
#ifndef CER_RELAY_H
#define CER_RELAY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cerelay/ce.h"
#include "cerelay/emitter.h"
#include "relay/config.h"
#include "sink/sink.h"

/* ---- metrics (metrics.c) ----------------------------------------------------------------- */

enum {
    REJ_INVALID,    /* an event broke a CloudEvents rule */
    REJ_MALFORMED,  /* the body or headers could not be decoded */
    REJ_TOO_LARGE,  /* body over limits.max_body_bytes */
    REJ_MEDIA_TYPE, /* not a CloudEvents request */
    REJ_METHOD,     /* wrong HTTP method */
    REJ_UNAUTHORIZED,
    REJ_OVERLOADED, /* queue full: 503 */
    REJ_DELIVERY,   /* ack: remote/local and the destination failed */
    REJ_NREASONS
};

#define LAT_BUCKETS 14

typedef struct relay_metrics {
    atomic_ullong requests, received, accepted;
    atomic_ullong rejected[REJ_NREASONS];
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
} relay_metrics;

void metrics_init(relay_metrics *m);
void metrics_free(relay_metrics *m);
void metrics_observe_latency(relay_metrics *m, int64_t ns);
void metrics_count_topic(relay_metrics *m, const char *topic, size_t len);
/* Prometheus text exposition of the relay and emitter counters. */
int metrics_render(relay_metrics *m, cer_emitter *em, ce_buf *out);
const char *metrics_reason_name(int reason);

/* ---- the relay ------------------------------------------------------------------------------ */

typedef struct relay relay;

struct relay {
    cer_config cfg; /* as started: destination, buffer, ack and listen addresses come from here */
    /* What SIGHUP may change (routes, limits, auth tokens, OTLP mapping, logging, metrics):
     * read at request time with relay_live(). Replaced configurations are kept until exit,
     * because the emitter may still hold route templates borrowed from them. */
    _Atomic(const cer_config *) live;
    cer_emitter *em;
    relay_metrics metrics;
    int ack; /* cer_config_ack, after resolving "local" without a disk buffer */
    int ack_timeout_ms;
    atomic_int draining;
    struct MHD_Daemon *events_d, *otlp_d;
    int events_port, otlp_port;
};

static inline const cer_config *relay_live(relay *r)
{
    return atomic_load(&r->live);
}
/* Decoder limits from a configuration. */
ce_limits relay_limits(const cer_config *c);

/* Start the HTTP listeners (http.c). Returns 0 or -1 with errstr naming the address. */
int relay_http_start(relay *r, char *errstr, size_t errstr_size);
/* Stop accepting connections, then wait (bounded) for in-flight requests. */
void relay_http_quiesce(relay *r, int timeout_ms);
void relay_http_stop(relay *r);
/* Requests currently being processed. */
long relay_http_active(void);

/* Routing (router.c): the first route whose glob matches the type. */
int relay_route(void *ctx, const ce_event *ev, const char **topic_tmpl, const char **key_tmpl);
/* Glob match with * and ? on bytes. */
int relay_glob(const char *pat, const char *s, size_t len);

/* Governance (gov.c): masking then the egress policy. relay_govern masks evs[0..*n) in place
 * and removes (destroying) the events the policy denies; returns 0, or an error with
 * *bad_index naming the event the catalog or masking failed on (the request must then be
 * rejected). Ownership: on every return the caller owns exactly evs[0..*n) (the events not
 * destroyed, in order) and must free those and no other. */
int relay_gov_init(relay *r, const cer_config *c, char *errstr, size_t errstr_size);
int relay_govern(relay *r, ce_event **evs, size_t *n, size_t *denied, size_t *bad_index,
                 char *errstr, size_t errstr_size);
void relay_gov_metrics(ce_buf *out);
void relay_gov_close(void);

/* Emitter callbacks (ack.c). */
void relay_on_delivery(void *ctx, void *opaque, int err, const char *reason);
void relay_on_persisted(void *ctx, void *opaque, int err);

/* Logging to stderr, text or JSON (log.c). Levels as cer_config_log_level. */
void relay_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void relay_log_setup(int format, int level);

/* `cerelay run`: load, start, serve until SIGTERM/SIGINT, drain. Returns an exit status. */
int relay_main(const char *config_path, int print_ready, int ack_timeout_ms);

#endif
