/* The emitter: a bounded in-memory queue fed by cer_emitter_emit from any thread, and one
 * background thread that moves events to the destination sink (memory buffer) or first into
 * the disk buffer and from there to the destination (see buffer.c). Every event gets exactly
 * one final callback; a Kafka producer that hits a fatal error is rebuilt and its unsent
 * events are resubmitted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emitter/buffer.h"
#include "emitter/internal.h"
#include "sink/ratelog.h"

struct cer_emitter {
    em_conf c;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    pthread_t thread;
    bool thread_started, closing, stop;
    volatile int test_fatal;
    /* queue (under mu) */
    em_trk *head, *tail;
    uint64_t queue_bytes; /* held: accepted, not yet final (memory) or persisted (disk) */
    uint64_t cap;         /* queue.max_bytes less what librdkafka's own queue may hold */
    char kafka_qkb[64];   /* "queue.buffering.max.kbytes=N" for the producer */
    /* background thread only */
    cer_sink_handle sink;
    const char *props[EM_MAX_PROPS + 3], *headers[EM_MAX_PROPS + 1];
    em_trk *retry_head, *retry_tail; /* purged by a rebuild, to resubmit first (memory mode) */
    em_buffer *buf;
    int64_t last_send_ns;
    pthread_mutex_t dlq_mu;
    cer_sink_handle dlq; /* opened on the first dead letter */
    /* counters (under mu) */
    cer_emitter_stats st;
    uint64_t finished; /* events with a final outcome */
    cer_ratelog *rl;   /* per-event log lines (cer__em_log_sampled) */
};

void cer__em_log(cer_emitter *em, int level, const char *fmt, ...)
{
    if (!em->c.on_log)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    em->c.on_log(em->c.ctx, level, msg);
}

void cer__em_log_sampled(cer_emitter *em, int level, const char *kind, const char *reason,
                         const char *fmt, ...)
{
    if (!em->c.on_log)
        return;
    uint64_t n = cer_ratelog_hit(em->rl, kind, reason, SIZE_MAX);
    if (!n)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (len >= 0 && (size_t)len < sizeof msg)
        snprintf(msg + len, sizeof msg - (size_t)len, " [%llu since the last such line]",
                 (unsigned long long)n);
    em->c.on_log(em->c.ctx, level, msg);
}

/* librdkafka's lines (syslog levels; the same as the emitter's), through the log callback and
 * rate-limited per facility: a broker that stays down is one line per interval. Debug lines
 * (librdkafka's `debug` property) are not sampled. */
void cer__em_rdkafka_log(void *ctx, int level, const char *fac, const char *msg)
{
    cer_emitter *em = ctx;
    if (level >= 7)
        cer__em_log(em, level, "kafka: %s: %s", fac, msg);
    else
        cer__em_log_sampled(em, level, "kafka", fac, "kafka: %s: %s", fac, msg);
}

static void log_left(void *ctx, const char *kind, const char *reason, uint64_t n)
{
    cer__em_log(ctx, 4, "%s %s: [%llu since the last such line]", kind, reason,
                (unsigned long long)n);
}

/* Rough memory footprint of an event, for the queue cap. */
size_t cer__em_event_bytes(const ce_event *ev)
{
    size_t n = 256 + ce_event_data(ev).len, count = ce_event_attr_count(ev);
    for (size_t i = 0; i < count; i++) {
        const char *name;
        ce_value v;
        ce_event_attr_at(ev, i, &name, &v);
        n += strlen(name) + v.str.len + v.bin.len + 32;
    }
    return n;
}

/* ---- final outcomes ----------------------------------------------------------------------- */

bool cer__em_forgets_after_persist(const cer_emitter *em)
{
    return em->c.forget_after_persist && em->c.on_persisted;
}

void cer__em_hold(cer_emitter *em, size_t bytes)
{
    pthread_mutex_lock(&em->mu);
    em->queue_bytes += bytes;
    em->st.queue_bytes = em->queue_bytes;
    pthread_mutex_unlock(&em->mu);
}

void cer__em_release(cer_emitter *em, size_t bytes)
{
    pthread_mutex_lock(&em->mu);
    em->queue_bytes -= bytes < em->queue_bytes ? bytes : em->queue_bytes;
    em->st.queue_bytes = em->queue_bytes;
    pthread_mutex_unlock(&em->mu);
}

void cer__em_trk_free(em_trk *t)
{
    ce_event_destroy(t->ev);
    free(t->rt);
    free(t);
}

void cer__em_finish(cer_emitter *em, em_trk *t, int err, const char *reason)
{
    if (em->c.on_delivery)
        em->c.on_delivery(em->c.ctx, t->opaque, err, reason);
    pthread_mutex_lock(&em->mu);
    em->queue_bytes -= t->bytes < em->queue_bytes ? t->bytes : em->queue_bytes;
    em->st.queue_bytes = em->queue_bytes;
    if (err == 0)
        em->st.delivered++;
    else if (err == CER_EDEADLETTER)
        em->st.dead_lettered++;
    else if (err == CER_EDROPPED)
        em->st.dropped++;
    else if (err == CER_EREJECTED)
        em->st.rejected++;
    else
        em->st.failed++;
    if (em->st.in_flight)
        em->st.in_flight--;
    em->finished++;
    pthread_cond_broadcast(&em->done);
    pthread_mutex_unlock(&em->mu);
    cer__em_trk_free(t);
}

void cer__em_count_retry(cer_emitter *em)
{
    pthread_mutex_lock(&em->mu);
    em->st.retried++;
    pthread_mutex_unlock(&em->mu);
}

int cer__em_dead_letter(cer_emitter *em, ce_event *ev, const char *reason)
{
    char err[512];
    int rc = 0;
    pthread_mutex_lock(&em->dlq_mu);
    if (!em->dlq.s) {
        char dir[4096];
        if (em->c.dlq_dir)
            snprintf(dir, sizeof dir, "%s", em->c.dlq_dir);
        else if (em->c.disk && em->c.buffer_dir)
            snprintf(dir, sizeof dir, "%s/dead-letter", em->c.buffer_dir);
        else
            rc = CE_EINVAL; /* none configured */
        cer_sink_conf sc = {0};
        sc.log_dir = dir;
        sc.topic = "dead-letter";
        sc.fsync = "always";
        em->dlq.ops = &cer_sink_log;
        if (rc == 0 && em->dlq.ops->open(&em->dlq.s, &sc, err, sizeof err) != 0) {
            cer__em_log_sampled(em, 3, "dead-letter-open", dir,
                                "cannot open the dead-letter log %s: %s", dir, err);
            em->dlq.s = NULL;
            rc = CE_EIO;
        }
    }
    if (rc == 0 && ce_event_set_str(ev, "deadletterreason", reason, NULL, 0) != 0)
        rc = CE_ENOMEM;
    if (rc == 0 && em->dlq.ops->submit(em->dlq.s, ev, NULL, err, sizeof err) != 0)
        rc = CE_EIO;
    if (rc == 0)
        rc = em->dlq.ops->flush(em->dlq.s, 10000);
    pthread_mutex_unlock(&em->dlq_mu);
    return rc;
}

/* A permanent refusal in memory mode: to the dead letters when configured, else reported as
 * CER_EREJECTED; either way with the reason. */
static void finish_rejected(cer_emitter *em, em_trk *t, const char *reason)
{
    reason = reason ? reason : "rejected";
    int rc = cer__em_dead_letter(em, t->ev, reason);
    if (rc == 0)
        cer__em_log_sampled(em, 4, "dead-lettered", reason,
                            "event rejected permanently (%s): dead-lettered", reason);
    cer__em_finish(em, t, rc == 0 ? CER_EDEADLETTER : CER_EREJECTED, reason);
}

/* Delivery callback of the remote sink (memory mode; buffer.c has its own). */
static void on_remote(void *opaque, int err, const char *reason)
{
    em_trk *t = opaque;
    cer_emitter *em = t->em;
    if (err == CER_SINK_EPURGED && !em->closing) {
        /* The producer is being rebuilt: resubmit this event to the new one. */
        t->next = NULL;
        if (em->retry_tail)
            em->retry_tail->next = t;
        else
            em->retry_head = t;
        em->retry_tail = t;
        cer__em_count_retry(em);
        return;
    }
    if (err == CER_SINK_EREJECTED)
        finish_rejected(em, t, reason);
    else
        cer__em_finish(em, t, err ? CER_EDELIVERY : 0, reason);
}

/* ---- the remote sink ---------------------------------------------------------------------- */

int cer__em_sink_open(cer_emitter *em, cer_delivery_cb cb, char *errstr, size_t errstr_size)
{
    cer_sink_conf sc;
    em->sink.ops = cer__em_remote_sink(&em->c, &sc, em->props, em->headers, em->kafka_qkb);
    sc.on_delivery = cb;
    sc.on_log = cer__em_rdkafka_log;
    sc.log_ctx = em;
    return em->sink.ops->open(&em->sink.s, &sc, errstr, errstr_size);
}

cer_sink_handle *cer__em_sink(cer_emitter *em)
{
    return &em->sink;
}

/* Rebuild the sink after a fatal error. Its unsent events come back through the callback as
 * purged and are resubmitted in order. */
int cer__em_sink_rebuild(cer_emitter *em, cer_delivery_cb cb)
{
    char why[512];
    if (!em->sink.ops->fatal || !em->sink.ops->fatal(em->sink.s, why, sizeof why))
        return 0;
    cer__em_log(em, 3, "rebuilding the producer: %s", why);
    em->sink.ops->close(em->sink.s);
    em->sink.s = NULL;
    pthread_mutex_lock(&em->mu);
    em->st.producer_rebuilds++;
    pthread_mutex_unlock(&em->mu);
    int rc = cer__em_sink_open(em, cb, why, sizeof why);
    if (rc)
        cer__em_log(em, 3, "cannot reopen the producer: %s", why);
    return rc ? rc : 1;
}

/* Submit one tracked event to the sink. Returns 0 (submitted or finished with an error) or
 * CER_SINK_EQUEUE (not submitted: try again later). */
static int em_submit(cer_emitter *em, em_trk *t)
{
    char err[512];
    int rc = t->rt && em->sink.ops->submit_routed
                 ? em->sink.ops->submit_routed(
                       em->sink.s, t->ev, t->rt,
                       (ce_slice){t->rt_has_key ? t->rt + strlen(t->rt) + 1 : NULL, t->rt_key_len},
                       NULL, 0, t, err, sizeof err)
                 : em->sink.ops->submit(em->sink.s, t->ev, t, err, sizeof err);
    if (rc == CER_SINK_EQUEUE)
        return rc;
    if (rc == CER_SINK_EREJECTED) {
        finish_rejected(em, t, err);
        return 0;
    }
    if (rc) {
        cer__em_finish(em, t, CER_EDELIVERY, err);
        return 0;
    }
    pthread_mutex_lock(&em->mu);
    em->st.in_flight++;
    pthread_mutex_unlock(&em->mu);
    return 0;
}

/* ---- background thread -------------------------------------------------------------------- */

static em_trk *take_queue(cer_emitter *em)
{
    em_trk *h = em->head;
    em->head = em->tail = NULL;
    return h; /* its bytes stay counted until each event is final (or persisted) */
}

/* Memory mode: feed the sink from the retry list, then the queue; keeps what did not fit. */
static void pump_memory(cer_emitter *em, em_trk **pending)
{
    while (em->retry_head) {
        em_trk *t = em->retry_head;
        if (em_submit(em, t) == CER_SINK_EQUEUE)
            return;
        em->retry_head = t->next;
        if (!em->retry_head)
            em->retry_tail = NULL;
    }
    while (*pending) {
        em_trk *t = *pending;
        em_trk *next = t->next;
        if (em_submit(em, t) == CER_SINK_EQUEUE)
            return;
        *pending = next;
    }
}

static void *run(void *arg)
{
    cer_emitter *em = arg;
    em_trk *pending = NULL, **pending_tail = &pending;
    for (;;) {
        pthread_mutex_lock(&em->mu);
        /* With the disk buffer, events left pending mean the buffer is full (policy block):
         * wait for the forwarder to make room rather than spin. */
        bool blocked = em->buf && pending;
        if (!em->head && (!pending || blocked) && !em->stop) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            /* memory buffer: short while deliveries are pending, so callbacks are not held
             * back; the disk buffer's own threads serve its deliveries */
            ts.tv_nsec += (blocked ? 5 : em->st.in_flight && !em->buf ? 1 : 20) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&em->wake, &em->mu, &ts);
        }
        bool stop = em->stop;
        em_trk *got = take_queue(em);
        pthread_mutex_unlock(&em->mu);
        if (got) {
            *pending_tail = got;
            while (*pending_tail)
                pending_tail = &(*pending_tail)->next;
        }
        if (em->test_fatal && !em->buf && em->sink.s && em->sink.ops == &cer_sink_kafka) {
            em->test_fatal = 0;
            cer_sink_kafka_test_fatal(em->sink.s);
        }
        if (em->buf) {
            cer__em_buffer_step(em->buf, &pending);
        } else {
            pump_memory(em, &pending);
            if (em->sink.s)
                em->sink.ops->poll(em->sink.s, pending ? 10 : em->st.in_flight ? 1 : 0);
            int64_t now = cer_mono_ns();
            if (em->sink.s && em->c.binding == BIND_HTTP &&
                now - em->last_send_ns > (int64_t)em->c.http_flush_ms * 1000000) {
                em->sink.ops->flush(em->sink.s, 0);
                em->last_send_ns = now;
            }
            if (em->sink.s)
                cer__em_sink_rebuild(em, on_remote);
        }
        if (stop) {
            /* destroy() already waited for the drain timeout: what is left now fails */
            while (pending) {
                em_trk *n = pending->next;
                cer__em_finish(em, pending, CER_EDELIVERY,
                               "emitter closed before the event was sent");
                pending = n;
            }
            break;
        }
        pending_tail = &pending;
        while (*pending_tail)
            pending_tail = &(*pending_tail)->next;
    }
    return NULL;
}

/* ---- public API ----------------------------------------------------------------------------- */

int cer_emitter_new(cer_emitter **out, const cer_emitter_conf *conf, char *errstr,
                    size_t errstr_size)
{
    *out = NULL;
    const em_conf *c = &conf->c;
    if (c->binding == BIND_KAFKA && !c->kafka_brokers) {
        snprintf(errstr, errstr_size, "emitter: binding kafka needs kafka.brokers");
        return CE_EINVAL;
    }
    if (c->binding == BIND_HTTP && !c->http_url) {
        snprintf(errstr, errstr_size, "emitter: binding http needs http.url");
        return CE_EINVAL;
    }
    if (c->binding == BIND_LOG && !c->log_dir) {
        snprintf(errstr, errstr_size, "emitter: binding log needs log.dir");
        return CE_EINVAL;
    }
    if (c->disk && !c->buffer_dir) {
        snprintf(errstr, errstr_size, "emitter: buffer disk needs buffer.dir");
        return CE_EINVAL;
    }
    cer_emitter *em = calloc(1, sizeof *em);
    if (!em)
        return CE_ENOMEM;
    cer__em_conf_copy(&em->c, c);
    em->rl = cer_ratelog_new(em->c.log_sample_ms);
    /* Memory stays under queue.max_bytes: the events the emitter holds, plus librdkafka's copy
     * of those it was given, capped at a quarter unless the user set the producer's cap. */
    em->cap = em->c.queue_max;
    if (em->c.binding == BIND_KAFKA &&
        !cer__em_kafka_prop_set(&em->c, "queue.buffering.max.kbytes")) {
        uint64_t kb = em->c.queue_max / 4 / 1024;
        kb = kb < 1024 ? 1024 : kb;
        snprintf(em->kafka_qkb, sizeof em->kafka_qkb, "queue.buffering.max.kbytes=%llu",
                 (unsigned long long)kb);
        em->cap =
            em->c.queue_max > kb * 1024 * 2 ? em->c.queue_max - kb * 1024 : em->c.queue_max / 2;
    }
    pthread_mutex_init(&em->mu, NULL);
    pthread_mutex_init(&em->dlq_mu, NULL);
    pthread_cond_init(&em->wake, NULL);
    pthread_cond_init(&em->done, NULL);
    int rc;
    if (em->c.disk)
        rc = cer__em_buffer_open(&em->buf, em, &em->c, errstr, errstr_size);
    else
        rc = cer__em_sink_open(em, on_remote, errstr, errstr_size);
    if (rc == 0 && pthread_create(&em->thread, NULL, run, em) != 0) {
        snprintf(errstr, errstr_size, "emitter: cannot start the background thread");
        rc = CE_ENOMEM;
    }
    if (rc) {
        if (em->buf)
            cer__em_buffer_close(em->buf);
        if (em->sink.s)
            em->sink.ops->close(em->sink.s);
        cer__em_conf_free(&em->c);
        cer_ratelog_destroy(em->rl);
        free(em);
        return rc;
    }
    em->thread_started = true;
    em->last_send_ns = cer_mono_ns();
    *out = em;
    return 0;
}

int cer_emitter_emit_batch(cer_emitter *em, const ce_event *const *evs, size_t n,
                           void *const *opaques, char *errstr, size_t errstr_size)
{
    return cer_emitter_emit_batch_routed(em, evs, n, opaques, NULL, NULL, errstr, errstr_size);
}

/* The route of event i as one block "topic\0key" (NULL when topics is NULL). */
static int copy_route(em_trk *t, const char *const *topics, const ce_slice *keys, size_t i)
{
    if (!topics || !topics[i])
        return 0;
    size_t tl = strlen(topics[i]);
    ce_slice k = keys ? keys[i] : (ce_slice){NULL, 0};
    t->rt = malloc(tl + 1 + k.len + 1);
    if (!t->rt)
        return CE_ENOMEM;
    memcpy(t->rt, topics[i], tl + 1);
    if (k.len)
        memcpy(t->rt + tl + 1, k.ptr, k.len);
    t->rt[tl + 1 + k.len] = 0;
    t->rt_key_len = k.len;
    t->rt_has_key = k.ptr != NULL;
    t->bytes += tl + k.len + 2;
    return 0;
}

int cer_emitter_emit_batch_routed(cer_emitter *em, const ce_event *const *evs, size_t n,
                                  void *const *opaques, const char *const *topics,
                                  const ce_slice *keys, char *errstr, size_t errstr_size)
{
    char why[256];
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = ce_event_validate(evs[i], why, sizeof why);
        if (rc) {
            snprintf(errstr, errstr_size, "event %zu: %s", i, why);
            return rc;
        }
        total += cer__em_event_bytes(evs[i]);
    }
    pthread_mutex_lock(&em->mu);
    int full = em->queue_bytes + total > em->cap, closing = em->closing;
    if (full && !closing)
        em->st.rejected_full += n;
    pthread_mutex_unlock(&em->mu);
    if (closing) {
        snprintf(errstr, errstr_size, "emitter is shutting down");
        return CER_ECLOSED;
    }
    if (full) {
        snprintf(errstr, errstr_size, "emitter queue full");
        return CER_EQUEUE_FULL;
    }
    em_trk *head = NULL, **tail = &head;
    for (size_t i = 0; i < n; i++) {
        em_trk *t = calloc(1, sizeof *t);
        ce_event *copy = t ? ce_event_clone(evs[i]) : NULL;
        if (t)
            t->ev = copy;
        if (!copy || copy_route(t, topics, keys, i) != 0) {
            if (t)
                cer__em_trk_free(t);
            while (head) {
                em_trk *nx = head->next;
                cer__em_trk_free(head);
                head = nx;
            }
            snprintf(errstr, errstr_size, "out of memory");
            return CE_ENOMEM;
        }
        t->em = em;
        t->opaque = opaques ? opaques[i] : NULL;
        t->bytes += cer__em_event_bytes(evs[i]);
        t->partition = -1;
        total += t->bytes - cer__em_event_bytes(evs[i]); /* the routes count too */
        *tail = t;
        tail = &t->next;
    }
    pthread_mutex_lock(&em->mu);
    /* Checked again: another thread may have filled the queue meanwhile. Going over the cap
     * by one batch is allowed rather than failing after the copies were made. */
    if (em->closing) {
        pthread_mutex_unlock(&em->mu);
        while (head) {
            em_trk *nx = head->next;
            cer__em_trk_free(head);
            head = nx;
        }
        snprintf(errstr, errstr_size, "emitter is shutting down");
        return CER_ECLOSED;
    }
    if (n) {
        if (em->tail)
            em->tail->next = head;
        else
            em->head = head;
        em->tail = (em_trk *)((char *)tail - offsetof(em_trk, next));
    }
    em->queue_bytes += total;
    em->st.queue_bytes = em->queue_bytes;
    em->st.emitted += n;
    pthread_cond_signal(&em->wake);
    pthread_mutex_unlock(&em->mu);
    return 0;
}

int cer_emitter_emit(cer_emitter *em, const ce_event *ev, void *opaque, char *errstr,
                     size_t errstr_size)
{
    int rc = ce_event_validate(ev, errstr, errstr_size);
    if (rc)
        return rc;
    size_t bytes = cer__em_event_bytes(ev);
    pthread_mutex_lock(&em->mu);
    if (em->closing) {
        pthread_mutex_unlock(&em->mu);
        snprintf(errstr, errstr_size, "emitter is shutting down");
        return CER_ECLOSED;
    }
    if (em->queue_bytes + bytes > em->cap) {
        em->st.rejected_full++;
        pthread_mutex_unlock(&em->mu);
        snprintf(errstr, errstr_size, "emitter memory full (%llu bytes held, cap %llu)",
                 (unsigned long long)em->queue_bytes, (unsigned long long)em->cap);
        return CER_EQUEUE_FULL;
    }
    pthread_mutex_unlock(&em->mu);
    em_trk *t = calloc(1, sizeof *t);
    ce_event *copy = t ? ce_event_clone(ev) : NULL;
    if (!copy) {
        free(t);
        snprintf(errstr, errstr_size, "out of memory");
        return CE_ENOMEM;
    }
    t->em = em;
    t->ev = copy;
    t->opaque = opaque;
    t->bytes = bytes;
    t->partition = -1;
    pthread_mutex_lock(&em->mu);
    if (em->tail)
        em->tail->next = t;
    else
        em->head = t;
    em->tail = t;
    em->queue_bytes += bytes;
    em->st.queue_bytes = em->queue_bytes;
    em->st.emitted++;
    pthread_cond_signal(&em->wake);
    pthread_mutex_unlock(&em->mu);
    return 0;
}

void cer__em_note_persisted(cer_emitter *em, em_trk *t, int err)
{
    if (em->c.on_persisted)
        em->c.on_persisted(em->c.ctx, t->opaque, err);
    if (!err) {
        pthread_mutex_lock(&em->mu);
        em->st.persisted++;
        pthread_mutex_unlock(&em->mu);
    }
}

void cer__em_note_buffer_done(cer_emitter *em, int err, uint64_t n)
{
    pthread_mutex_lock(&em->mu);
    if (err == 0)
        em->st.delivered += n;
    else if (err == CER_EDROPPED)
        em->st.dropped += n;
    else if (err == CER_EDEADLETTER)
        em->st.dead_lettered += n;
    else if (err == CER_EREJECTED)
        em->st.rejected += n;
    else
        em->st.failed += n;
    em->finished += n;
    pthread_cond_broadcast(&em->done);
    pthread_mutex_unlock(&em->mu);
}

void cer__em_set_buffer_gauges(cer_emitter *em, uint64_t buffer_bytes, uint64_t buffer_events,
                               uint64_t in_flight)
{
    pthread_mutex_lock(&em->mu);
    em->st.buffer_bytes = buffer_bytes;
    em->st.buffer_events = buffer_events;
    pthread_cond_broadcast(&em->done);
    em->st.in_flight = in_flight;
    pthread_mutex_unlock(&em->mu);
}

int cer_emitter_flush(cer_emitter *em, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&em->mu);
    uint64_t target = em->st.emitted;
    /* With the disk buffer, also wait until the buffer is empty (a backlog left by an earlier
     * run included). */
    while (em->finished < target || (em->buf && em->st.buffer_events > 0)) {
        if (pthread_cond_timedwait(&em->done, &em->mu, &deadline) != 0)
            break;
    }
    int rc = em->finished >= target && !(em->buf && em->st.buffer_events > 0) ? 0 : CER_ETIMEOUT;
    pthread_mutex_unlock(&em->mu);
    return rc;
}

void cer__emitter_test_fatal(cer_emitter *em)
{
    em->test_fatal = 1;
    pthread_mutex_lock(&em->mu);
    pthread_cond_signal(&em->wake);
    pthread_mutex_unlock(&em->mu);
}

void cer_emitter_stats_get(cer_emitter *em, cer_emitter_stats *out)
{
    pthread_mutex_lock(&em->mu);
    *out = em->st;
    out->queue_bytes = em->queue_bytes;
    pthread_mutex_unlock(&em->mu);
}

void cer_emitter_destroy(cer_emitter *em, int drain_timeout_ms)
{
    if (!em)
        return;
    cer_emitter_flush(em, drain_timeout_ms);
    pthread_mutex_lock(&em->mu);
    em->closing = true;
    em->stop = true;
    /* Whatever is still queued in memory gets a final failure (memory mode) or, with the disk
     * buffer, is appended by the thread before it stops. */
    em_trk *left = em->buf ? NULL : take_queue(em);
    pthread_cond_signal(&em->wake);
    pthread_mutex_unlock(&em->mu);
    while (left) {
        em_trk *n = left->next;
        cer__em_finish(em, left, CER_EDELIVERY, "emitter closed before the event was sent");
        left = n;
    }
    if (em->thread_started)
        pthread_join(em->thread, NULL);
    if (em->buf)
        cer__em_buffer_close(em->buf);
    if (em->sink.s)
        em->sink.ops->close(em->sink.s); /* reports what is still in flight as purged */
    while (em->retry_head) {
        em_trk *n = em->retry_head->next;
        cer__em_finish(em, em->retry_head, CER_EDELIVERY,
                       "emitter closed before the event was sent");
        em->retry_head = n;
    }
    if (em->dlq.s)
        em->dlq.ops->close(em->dlq.s);
    cer_ratelog_flush(em->rl, log_left, em); /* what happened since the last lines */
    cer_ratelog_destroy(em->rl);
    cer__em_conf_free(&em->c);
    pthread_mutex_destroy(&em->dlq_mu);
    pthread_cond_destroy(&em->wake);
    pthread_cond_destroy(&em->done);
    pthread_mutex_destroy(&em->mu);
    free(em);
}
