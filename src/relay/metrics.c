/* Relay metrics in the Prometheus text format: requests, events received/accepted/rejected by
 * reason, the emitter's delivery counters and gauges, accepted events per topic, and the
 * ingest-to-acknowledgement latency histogram. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay/fresh.h"
#include "relay/relay.h"

static const double lat_bounds[LAT_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};

void cer__relay_metrics_init(relay_metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->topics_mu, NULL);
    m->fresh = cer__relay_fresh_new();
}

void cer__relay_metrics_free(relay_metrics *m)
{
    for (size_t i = 0; i < m->ntopics; i++)
        free(m->topics[i].name);
    free(m->topics);
    cer__relay_fresh_destroy(m->fresh);
    m->fresh = NULL;
    pthread_mutex_destroy(&m->topics_mu);
}

void cer__relay_metrics_observe_latency(relay_metrics *m, int64_t ns)
{
    double s = (double)ns / 1e9;
    int b = 0;
    while (b < LAT_BUCKETS && s > lat_bounds[b])
        b++;
    atomic_fetch_add(&m->lat_bucket[b], 1);
    atomic_fetch_add(&m->lat_count, 1);
    atomic_fetch_add(&m->lat_sum_us, (unsigned long long)(ns / 1000));
}

enum { MAX_TOPICS = 1000 }; /* bounded label cardinality; the rest count as "other" */

void cer__relay_metrics_count_topic(relay_metrics *m, const char *topic, size_t len)
{
    pthread_mutex_lock(&m->topics_mu);
    for (size_t i = 0; i < m->ntopics; i++)
        if (strlen(m->topics[i].name) == len && memcmp(m->topics[i].name, topic, len) == 0) {
            m->topics[i].n++;
            pthread_mutex_unlock(&m->topics_mu);
            return;
        }
    if (m->ntopics == MAX_TOPICS) {
        topic = "other", len = 5;
        for (size_t i = 0; i < m->ntopics; i++)
            if (strcmp(m->topics[i].name, "other") == 0) {
                m->topics[i].n++;
                pthread_mutex_unlock(&m->topics_mu);
                return;
            }
    }
    if (m->ntopics == m->topics_cap) {
        size_t ncap = m->topics_cap ? m->topics_cap * 2 : 16;
        struct topic_count *n = realloc(m->topics, sizeof *n * ncap);
        if (!n) {
            pthread_mutex_unlock(&m->topics_mu);
            return;
        }
        m->topics = n;
        m->topics_cap = ncap;
    }
    char *name = strndup(topic, len);
    if (name)
        m->topics[m->ntopics++] = (struct topic_count){name, 1};
    pthread_mutex_unlock(&m->topics_mu);
}

static void put(ce_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(ce_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        ce_buf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void counter(ce_buf *b, const char *name, const char *help, unsigned long long v)
{
    put(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, v);
}

static void gauge(ce_buf *b, const char *name, const char *help, unsigned long long v)
{
    put(b, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name, v);
}

int cer__relay_metrics_render(relay_metrics *m, cer_emitter *em, ce_buf *b)
{
    counter(b, "cerelay_http_requests_total", "HTTP requests received", atomic_load(&m->requests));
    counter(b, "cerelay_events_received_total", "CloudEvents decoded from requests",
            atomic_load(&m->received));
    counter(b, "cerelay_events_accepted_total", "CloudEvents accepted for delivery",
            atomic_load(&m->accepted));
    put(b, "# HELP cerelay_requests_rejected_total Requests rejected, by reason\n"
           "# TYPE cerelay_requests_rejected_total counter\n");
    for (int i = CER_REASON_NONE + 1; i < CER_REASON_COUNT; i++)
        put(b, "cerelay_requests_rejected_total{reason=\"%s\"} %llu\n",
            cer_reason_get((cer_reason)i)->metric, atomic_load(&m->rejected[i]));
    cer_emitter_stats st;
    cer_emitter_stats_get(em, &st);
    counter(b, "cerelay_events_delivered_total", "Events acknowledged by the destination",
            st.delivered);
    counter(b, "cerelay_events_failed_total", "Events that failed delivery", st.failed);
    counter(b, "cerelay_events_retried_total", "Resubmissions after a recoverable failure",
            st.retried);
    counter(b, "cerelay_events_dead_lettered_total", "Events rejected permanently",
            st.dead_lettered);
    counter(b, "cerelay_events_dropped_total", "Events dropped by buffer.when_full=drop_oldest",
            st.dropped);
    counter(b, "cerelay_events_persisted_total", "Events stored in the disk buffer", st.persisted);
    counter(b, "cerelay_producer_rebuilds_total", "Kafka producers rebuilt after fatal errors",
            st.producer_rebuilds);
    gauge(b, "cerelay_queue_bytes", "Bytes the emitter holds in memory (queued and in flight)",
          st.queue_bytes);
    gauge(b, "cerelay_buffer_bytes", "Bytes in the disk buffer not yet delivered", st.buffer_bytes);
    gauge(b, "cerelay_buffer_events", "Events in the disk buffer not yet delivered",
          st.buffer_events);
    gauge(b, "cerelay_in_flight_events", "Events submitted, outcome pending", st.in_flight);
    put(b, "# HELP cerelay_topic_events_accepted_total Events accepted per destination topic\n"
           "# TYPE cerelay_topic_events_accepted_total counter\n");
    pthread_mutex_lock(&m->topics_mu);
    for (size_t i = 0; i < m->ntopics; i++) {
        put(b, "cerelay_topic_events_accepted_total{topic=\"");
        for (const char *p = m->topics[i].name; *p; p++) { /* label value escaping */
            if (*p == '"' || *p == '\\')
                ce_buf_append(b, "\\", 1);
            if (*p == '\n')
                ce_buf_append(b, "\\n", 2);
            else
                ce_buf_append(b, p, 1);
        }
        put(b, "\"} %llu\n", m->topics[i].n);
    }
    pthread_mutex_unlock(&m->topics_mu);
    put(b, "# HELP cerelay_ingest_ack_seconds From request received to acknowledged\n"
           "# TYPE cerelay_ingest_ack_seconds histogram\n");
    unsigned long long cum = 0;
    for (int i = 0; i < LAT_BUCKETS; i++) {
        cum += atomic_load(&m->lat_bucket[i]);
        put(b, "cerelay_ingest_ack_seconds_bucket{le=\"%g\"} %llu\n", lat_bounds[i], cum);
    }
    cum += atomic_load(&m->lat_bucket[LAT_BUCKETS]);
    put(b, "cerelay_ingest_ack_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    put(b, "cerelay_ingest_ack_seconds_sum %.6f\n", (double)atomic_load(&m->lat_sum_us) / 1e6);
    put(b, "cerelay_ingest_ack_seconds_count %llu\n", atomic_load(&m->lat_count));
    cer__relay_fresh_render(m->fresh, b);
    return 0;
}
