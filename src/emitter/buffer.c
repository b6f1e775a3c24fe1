/* The emitter's disk buffer and forwarder (see buffer.h). Three threads share it:
 *  - the emitter's thread appends (cer__em_buffer_step): write, fsync, then the persisted
 * callbacks;
 *  - the forwarder thread, woken by every append, reads what is durable and submits it to the
 *    destination at once (batches form only when there is a backlog), and serves the sink's
 *    delivery reports;
 *  - the committer thread records the forwarder's position every COMMIT_MS and deletes
 *    delivered segments, so neither fsyncs of the position file nor deletions ever hold up an
 *    append or a forward.
 * Per partition the forwarder keeps a window of offsets it submitted, [base, next); an offset's
 * outcome is recorded in a ring of flags and `base` (the committed position) advances over
 * finished offsets only, so a crash re-sends what was not yet acknowledged instead of losing
 * it. Everything below `mu` in struct em_buffer is shared and guarded by it; sink callbacks
 * (on_remote) run on the forwarder thread with `mu` held. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emitter/buffer.h"

#define TOPIC "events"
enum { WINDOW = 1 << 15, MAX_HDRS = 256 };
/* A moved position is committed at once, then the committer rests COMMIT_MS so that one write
 * covers what finishes meanwhile: with the delivery round trip this bounds what a crash
 * re-sends (docs/emitter.md). FWD_PASS: records forwarded in one pass before `mu` is released
 * for the appender. Delivered segments are deleted every DELETE_MS. */
enum { COMMIT_MS = 2, FWD_PASS = 1024, DELETE_MS = 1000 };
enum { FIN_NONE = 0, FIN_OK, FIN_DEAD, FIN_FAILED };

/* A destination rendered at emit (cer_emitter_emit_batch_routed), read back from the record:
 * buf "topic\0key" (NULL: none, the sink routes), the key's length, whether there is one. */
typedef struct route {
    char *buf;
    size_t key_len;
    bool has_key;
} route;

typedef struct ack_ent {
    int64_t offset;
    void *opaque;
    bool done; /* reported */
} ack_ent;

typedef struct part {
    cer_log_reader *rd;
    int64_t base, next, end;
    uint8_t fin[WINDOW];
    ce_event *held; /* read but refused by a full sink */
    int64_t held_off;
    route held_rt;
    ack_ent *acks; /* this process's events with an opaque, by offset */
    size_t ah, an, acap;
    bool dirty;                      /* base moved since the committer last looked */
    int64_t committed, deleted_upto; /* committer only: last position written, deleted below */
} part;

typedef struct fwd {
    em_buffer *b;
    int32_t p;
    int64_t off;
    uint64_t gen;
    ce_event *ev;
    route rt;
    size_t bytes; /* counted in the emitter's memory while in flight */
} fwd;

struct em_buffer {
    cer_emitter *em;
    const em_conf *c;
    cer_sink_handle wlog; /* the emitter's thread only */
    cer_log *log;
    cer_log_group *grp; /* the committer only (and close) */
    int np;
    pthread_t fwd_th, commit_th;
    bool fwd_started, commit_started;
    int64_t last_delete_ns; /* committer only */
    pthread_mutex_t mu;
    pthread_cond_t fwd_cv, commit_cv;
    bool stop;
    uint64_t appended; /* append passes: the forwarder waits for this to change */
    part *parts;
    uint64_t gen, in_flight;
    uint64_t fwd_bytes, fwd_cap; /* events the forwarder has in flight, and their cap */
    double avg_bytes;
};

/* ---- acknowledgements of this process's events --------------------------------------------- */

static int ack_push(part *P, int64_t off, void *opaque)
{
    if (P->an == P->acap) {
        size_t ncap = P->acap ? P->acap * 2 : 1024;
        ack_ent *n = malloc(sizeof *n * ncap);
        if (!n)
            return CE_ENOMEM;
        for (size_t i = 0; i < P->an; i++)
            n[i] = P->acks[(P->ah + i) % P->acap];
        free(P->acks);
        P->acks = n;
        P->ah = 0;
        P->acap = ncap;
    }
    P->acks[(P->ah + P->an) % P->acap] = (ack_ent){off, opaque, false};
    P->an++;
    return 0;
}

/* Report the outcome of `off` to the caller who emitted it in this process, if any. Outcomes
 * may come out of order (the events of one buffer partition go to several destination
 * partitions), so the entry is looked up (entries are in offset order: appends are), marked,
 * and the ring's head moves past reported entries only. */
static void ack_report(em_buffer *b, part *P, int64_t off, int err, const char *reason)
{
    size_t lo = 0, hi = P->an;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (P->acks[(P->ah + mid) % P->acap].offset < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < P->an) {
        ack_ent *e = &P->acks[(P->ah + lo) % P->acap];
        if (e->offset == off && !e->done) {
            e->done = true;
            if (b->c->on_delivery)
                b->c->on_delivery(b->c->ctx, e->opaque, err, reason);
        }
    }
    while (P->an && P->acks[P->ah].done) {
        P->ah = (P->ah + 1) % P->acap;
        P->an--;
    }
}

/* ---- outcomes ------------------------------------------------------------------------------ */

static void advance(em_buffer *b, part *P)
{
    int64_t from = P->base;
    while (P->base < P->next && P->fin[P->base % WINDOW] != FIN_NONE) {
        uint8_t f = P->fin[P->base % WINDOW];
        P->fin[P->base % WINDOW] = FIN_NONE;
        cer__em_note_buffer_done(b->em,
                                 f == FIN_OK     ? 0
                                 : f == FIN_DEAD ? CER_EDEADLETTER
                                                 : CER_EDELIVERY,
                                 1);
        P->base++;
        P->dirty = true;
    }
    if (P->base != from)
        pthread_cond_signal(&b->commit_cv); /* the committer records it within COMMIT_MS */
}

static void on_remote(void *opaque, int err, const char *reason)
{
    fwd *f = opaque;
    em_buffer *b = f->b;
    if (f->gen != b->gen) { /* from a producer that was rebuilt: the event is re-sent */
        ce_event_destroy(f->ev);
        free(f->rt.buf);
        free(f);
        return;
    }
    b->in_flight--;
    b->fwd_bytes -= f->bytes;
    cer__em_release(b->em, f->bytes);
    part *P = &b->parts[f->p];
    if (err == CER_SINK_EPURGED || f->off < P->base) { /* closing, or dropped meanwhile */
        ce_event_destroy(f->ev);
        free(f->rt.buf);
        free(f);
        return;
    }
    uint8_t fin = FIN_OK;
    int code = 0;
    if (err) {
        if (cer__em_dead_letter(b->em, f->ev, reason ? reason : "rejected") == 0) {
            fin = FIN_DEAD;
            code = CER_EDEADLETTER;
            cer__em_log_sampled(b->em, 4, "dead-lettered", reason ? reason : "?",
                                "event at buffer %d@%lld rejected permanently (%s): dead-lettered",
                                (int)f->p, (long long)f->off, reason ? reason : "?");
        } else {
            fin = FIN_FAILED;
            code = CER_EDELIVERY;
            cer__em_log_sampled(b->em, 3, "dead-letter-failed", reason ? reason : "?",
                                "event at buffer %d@%lld rejected (%s) and the dead-letter log "
                                "failed: counted as failed",
                                (int)f->p, (long long)f->off, reason ? reason : "?");
        }
    }
    P->fin[f->off % WINDOW] = fin;
    ack_report(b, P, f->off, code, reason);
    advance(b, P);
    ce_event_destroy(f->ev);
    free(f->rt.buf);
    free(f);
}

/* After a generation change the events in flight will never report: their memory is no
 * longer the forwarder's (the stale callbacks only free them). */
static void forget_in_flight(em_buffer *b)
{
    cer__em_release(b->em, b->fwd_bytes);
    b->fwd_bytes = 0;
}

/* ---- appending ------------------------------------------------------------------------------ */

static void on_position(void *opaque, int32_t partition, int64_t offset)
{
    em_trk *t = opaque;
    t->partition = partition;
    t->offset = offset;
}

static void on_persisted(void *opaque, int err, const char *reason)
{
    em_trk *t = opaque;
    cer_emitter *em = t->em;
    if (err) {
        cer__em_note_persisted(em, t, err);
        if (cer__em_forgets_after_persist(em))
            t->opaque = NULL; /* the caller was told through on_persisted */
        cer__em_finish(em, t, err, reason);
        return;
    }
    em_buffer *b = t->buf;
    cer__em_note_persisted(em, t, 0);
    cer__em_release(em, t->bytes);
    pthread_mutex_lock(&b->mu);
    part *P = &b->parts[t->partition];
    if (t->offset + 1 > P->end)
        P->end = t->offset + 1;
    int rc =
        b->c->on_delivery && !b->c->forget_after_persist ? ack_push(P, t->offset, t->opaque) : 0;
    b->avg_bytes = b->avg_bytes * 0.99 + (double)t->bytes * 0.01;
    pthread_mutex_unlock(&b->mu);
    if (rc)
        cer__em_log_sampled(em, 3, "out-of-memory", "ack tracking",
                            "out of memory tracking an acknowledgement");
    cer__em_trk_free(t);
}

static uint64_t backlog_events(em_buffer *b)
{
    uint64_t n = 0;
    for (int i = 0; i < b->np; i++)
        n += (uint64_t)(b->parts[i].end - b->parts[i].base);
    return n;
}

static void drop_oldest(em_buffer *b)
{
    int worst = 0;
    for (int i = 1; i < b->np; i++)
        if (b->parts[i].end - b->parts[i].base > b->parts[worst].end - b->parts[worst].base)
            worst = i;
    part *P = &b->parts[worst];
    int64_t backlog = P->end - P->base, k = backlog / 10 > 0 ? backlog / 10 : 1;
    if (backlog <= 0)
        return;
    int64_t nb = P->base + k;
    for (int64_t o = P->base; o < nb; o++)
        ack_report(b, P, o, CER_EDROPPED, "dropped: disk buffer full (drop_oldest)");
    cer__em_note_buffer_done(b->em, CER_EDROPPED, (uint64_t)k);
    memset(P->fin, 0, sizeof P->fin);
    P->base = nb;
    if (P->next < nb) {
        char err[256];
        ce_event_destroy(P->held);
        P->held = NULL;
        free(P->held_rt.buf);
        P->held_rt.buf = NULL;
        cer_log_reader_seek(P->rd, CER_LOG_SEEK_OFFSET, nb, err, sizeof err);
        P->next = nb;
    } else {
        /* in-flight offsets below nb will be ignored when they report; above it we lost their
         * finished flags, so re-send from nb */
        ce_event_destroy(P->held);
        P->held = NULL;
        free(P->held_rt.buf);
        P->held_rt.buf = NULL;
        char err[256];
        cer_log_reader_seek(P->rd, CER_LOG_SEEK_OFFSET, nb, err, sizeof err);
        P->next = nb;
        b->gen++;
        b->in_flight = 0;
        forget_in_flight(b);
    }
    P->dirty = true;
    cer__em_log_sampled(b->em, 4, "buffer-full", "dropped",
                        "disk buffer full: dropped the %lld oldest events of partition %d",
                        (long long)k, worst);
}

static void append_pending(em_buffer *b, em_trk **pending)
{
    bool any = false;
    while (*pending) {
        pthread_mutex_lock(&b->mu);
        uint64_t backlog = backlog_events(b);
        bool full = (double)backlog * b->avg_bytes >= (double)b->c->buffer_max;
        if (full && b->c->drop_oldest)
            drop_oldest(b);
        pthread_mutex_unlock(&b->mu);
        if (full && !b->c->drop_oldest)
            break; /* block: events wait in memory; emit() pushes back when that fills */
        em_trk *t = *pending;
        *pending = t->next;
        t->next = NULL;
        t->buf = b;
        char err[512];
        int rc;
        if (t->rt) { /* rendered at emit: the buffer keeps the key as the record key and the
                      * topic in a header, and the forwarder hands both on as they are */
            size_t tl = strlen(t->rt);
            ce_header h = {{EM_ROUTE_HEADER, sizeof EM_ROUTE_HEADER - 1}, {t->rt, tl}};
            rc = b->wlog.ops->submit_routed(
                b->wlog.s, t->ev, TOPIC,
                (ce_slice){t->rt_has_key ? t->rt + tl + 1 : NULL, t->rt_key_len}, &h, 1, t, err,
                sizeof err);
        } else {
            rc = b->wlog.ops->submit(b->wlog.s, t->ev, t, err, sizeof err);
        }
        if (rc)
            cer__em_finish(b->em, t, rc, err);
        any = true;
    }
    if (!any)
        return;
    b->wlog.ops->poll(b->wlog.s, 1); /* append (and fsync) what the log sink batched */
    pthread_mutex_lock(&b->mu);
    b->appended++;
    pthread_cond_signal(&b->fwd_cv);
    pthread_mutex_unlock(&b->mu);
}

/* ---- forwarding ---------------------------------------------------------------------------- */

static void reset_partitions(em_buffer *b)
{
    char err[256];
    for (int i = 0; i < b->np; i++) {
        part *P = &b->parts[i];
        ce_event_destroy(P->held);
        P->held = NULL;
        free(P->held_rt.buf);
        P->held_rt.buf = NULL;
        memset(P->fin, 0, sizeof P->fin);
        cer_log_reader_seek(P->rd, CER_LOG_SEEK_OFFSET, P->base, err, sizeof err);
        P->next = P->base;
    }
}

/* One pass over the partitions: submit what is durable (offsets below `end`) and not yet
 * submitted, at most FWD_PASS records. mu held. Returns true when the pass stopped at its cap
 * (more is ready). */
static bool forward(em_buffer *b)
{
    cer_sink_handle *sink = cer__em_sink(b->em);
    if (!sink->s)
        return false;
    char err[512];
    ce_header hdrs[MAX_HDRS];
    int budget = FWD_PASS;
    for (int i = 0; i < b->np; i++) {
        part *P = &b->parts[i];
        while (P->next - P->base < WINDOW && budget > 0) {
            ce_event *ev = P->held;
            int64_t off = P->held_off;
            route rt = P->held_rt;
            P->held = NULL;
            P->held_rt.buf = NULL;
            if (!ev) {
                if (P->next >= P->end)
                    break; /* nothing durable left to read */
                if (b->fwd_bytes >= b->fwd_cap)
                    break; /* memory: wait for outcomes before reading more */
                cer_log_rec rec;
                int rc = cer_log_reader_next(P->rd, &rec, 0, err, sizeof err);
                if (rc == CER_LOG_EAGAIN)
                    break;
                if (rc) {
                    cer__em_log_sampled(b->em, 3, "buffer-read", err,
                                        "disk buffer partition %d: %s", i, err);
                    break;
                }
                off = rec.offset;
                size_t nh = rec.header_count < MAX_HDRS ? rec.header_count : MAX_HDRS;
                for (size_t k = 0; k < nh; k++) {
                    hdrs[k].name.ptr = rec.headers[k].name;
                    hdrs[k].name.len = rec.headers[k].name_len;
                    hdrs[k].value.ptr = rec.headers[k].value ? rec.headers[k].value : "";
                    hdrs[k].value.len = rec.headers[k].value_len;
                }
                ce_kafka_message m = {{rec.key, rec.key_len}, {rec.value, rec.value_len}, hdrs, nh};
                for (size_t k = 0; k < nh; k++) /* a route rendered at emit */
                    if (hdrs[k].name.len == sizeof EM_ROUTE_HEADER - 1 &&
                        memcmp(hdrs[k].name.ptr, EM_ROUTE_HEADER, hdrs[k].name.len) == 0 &&
                        (rt.buf = malloc(hdrs[k].value.len + rec.key_len + 2)) != NULL) {
                        memcpy(rt.buf, hdrs[k].value.ptr, hdrs[k].value.len);
                        rt.buf[hdrs[k].value.len] = 0;
                        if (rec.key_len)
                            memcpy(rt.buf + hdrs[k].value.len + 1, rec.key, rec.key_len);
                        rt.buf[hdrs[k].value.len + 1 + rec.key_len] = 0;
                        rt.key_len = rec.key_len;
                        rt.has_key = rec.key != NULL;
                        break;
                    }
                /* No size limit here: the event was checked when it was emitted, and the
                 * destination decides what it accepts (a refusal is a dead letter). */
                ce_limits lim = {SIZE_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
                if (ce_kafka_decode(&m, &lim, &ev, err, sizeof err) != 0) {
                    cer__em_log_sampled(b->em, 3, "buffer-skipped", "not a CloudEvent",
                                        "disk buffer %d@%lld is not a CloudEvent (%s): skipped", i,
                                        (long long)off, err);
                    free(rt.buf);
                    P->next = off + 1;
                    P->fin[off % WINDOW] = FIN_FAILED;
                    ack_report(b, P, off, CER_EDELIVERY, err);
                    advance(b, P);
                    continue;
                }
            }
            if (off >= P->end) { /* written but not yet persisted: its turn comes */
                P->held = ev, P->held_off = off, P->held_rt = rt;
                break;
            }
            fwd *f = malloc(sizeof *f);
            if (!f) {
                P->held = ev, P->held_off = off, P->held_rt = rt;
                break;
            }
            *f = (fwd){b, i, off, b->gen, ev, rt, cer__em_event_bytes(ev)};
            /* Recorded before the call: a sink may report the outcome from inside submit (the
             * local-log sink appends a full batch there), and advance() only passes offsets
             * below `next`. */
            P->next = off + 1;
            b->in_flight++;
            b->fwd_bytes += f->bytes;
            cer__em_hold(b->em, f->bytes);
            budget--;
            int rc =
                rt.buf && sink->ops->submit_routed
                    ? sink->ops->submit_routed(
                          sink->s, ev, rt.buf,
                          (ce_slice){rt.has_key ? rt.buf + strlen(rt.buf) + 1 : NULL, rt.key_len},
                          NULL, 0, f, err, sizeof err)
                    : sink->ops->submit(sink->s, ev, f, err, sizeof err);
            if (rc == CER_SINK_EQUEUE) {
                P->next = off;
                b->in_flight--;
                b->fwd_bytes -= f->bytes;
                cer__em_release(b->em, f->bytes);
                free(f);
                P->held = ev, P->held_off = off, P->held_rt = rt;
                break;
            }
            if (rc) /* refused before sending: permanent */
                on_remote(f, rc, err);
        }
        advance(b, P);
    }
    return budget == 0;
}

/* The forwarder thread: forward, serve delivery reports, sleep until the next append (or 1 ms
 * while deliveries are pending, 100 ms when idle). */
static void *forwarder(void *arg)
{
    em_buffer *b = arg;
    cer_sink_handle *sink = cer__em_sink(b->em);
    char err[512];
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        uint64_t seen = b->appended;
        bool more = forward(b);
        if (sink->s) {
            /* the local-log sink appends its batch only when asked to wait */
            sink->ops->poll(sink->s, b->c->binding == BIND_LOG && b->in_flight ? 1 : 0);
            if (b->c->binding == BIND_HTTP)
                sink->ops->flush(sink->s, 0);
            if (sink->ops->fatal && sink->ops->fatal(sink->s, err, sizeof err)) {
                b->gen++; /* callbacks from the old producer are now stale */
                b->in_flight = 0;
                forget_in_flight(b);
                if (cer__em_sink_rebuild(b->em, on_remote) > 0)
                    reset_partitions(b);
            }
        }
        if (more) { /* let the appender in between passes */
            pthread_mutex_unlock(&b->mu);
            pthread_mutex_lock(&b->mu);
            continue;
        }
        if (b->appended != seen || b->stop)
            continue;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (b->in_flight ? 1 : 100) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&b->fwd_cv, &b->mu, &ts);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* Record the positions that moved (one write of the group file) and refresh the gauges;
 * every DELETE_MS (or when forced) delete the segments wholly below the positions. Called
 * without mu. */
static void commit(em_buffer *b, bool force)
{
    char err[256];
    int32_t *ps = malloc(sizeof *ps * (size_t)b->np);
    int64_t *os = malloc(sizeof *os * (size_t)b->np);
    if (!ps || !os) {
        free(ps);
        free(os);
        return;
    }
    size_t n = 0;
    pthread_mutex_lock(&b->mu);
    for (int i = 0; i < b->np; i++) {
        if (!b->parts[i].dirty)
            continue;
        b->parts[i].dirty = false;
        ps[n] = i;
        os[n++] = b->parts[i].base;
    }
    uint64_t backlog = backlog_events(b), in_flight = b->in_flight;
    double avg = b->avg_bytes;
    pthread_mutex_unlock(&b->mu);
    if (n && cer_log_group_commit_many(b->grp, TOPIC, n, ps, os, err, sizeof err) != 0) {
        cer__em_log_sampled(b->em, 3, "buffer-commit", err,
                            "disk buffer: cannot commit its position: %s", err);
        pthread_mutex_lock(&b->mu);
        for (size_t k = 0; k < n; k++)
            b->parts[ps[k]].dirty = true;
        pthread_mutex_unlock(&b->mu);
        n = 0;
    }
    for (size_t k = 0; k < n; k++)
        b->parts[ps[k]].committed = os[k];
    int64_t now = cer_mono_ns();
    if (force || now - b->last_delete_ns >= (int64_t)DELETE_MS * 1000000) {
        b->last_delete_ns = now;
        for (int i = 0; i < b->np; i++) {
            part *P = &b->parts[i];
            if (P->committed <= P->deleted_upto)
                continue;
            if (cer_log_delete_before(b->log, TOPIC, i, P->committed, NULL, err, sizeof err) != 0)
                cer__em_log_sampled(b->em, 4, "buffer-delete", err,
                                    "disk buffer: cannot delete delivered segments: %s", err);
            P->deleted_upto = P->committed;
        }
    }
    free(ps);
    free(os);
    cer__em_set_buffer_gauges(b->em, (uint64_t)((double)backlog * avg), backlog, in_flight);
}

static bool any_dirty(const em_buffer *b)
{
    for (int i = 0; i < b->np; i++)
        if (b->parts[i].dirty)
            return true;
    return false;
}

static void *committer(void *arg)
{
    em_buffer *b = arg;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        if (!any_dirty(b)) { /* idle: still refresh the gauges every 100 ms */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&b->commit_cv, &b->mu, &ts);
        }
        if (b->stop)
            break;
        pthread_mutex_unlock(&b->mu);
        commit(b, false);
        struct timespec rest = {0, COMMIT_MS * 1000000L};
        nanosleep(&rest, NULL);
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

void cer__em_buffer_step(em_buffer *b, em_trk **pending)
{
    append_pending(b, pending);
}

/* The buffer is partitioned by the destination key so order per key survives the trip through
 * disk; its topic is always "events". */
static int route_key_only(void *ctx, const ce_event *ev, const char **topic, const char **key)
{
    const em_conf *c = ctx;
    const char *t = NULL;
    if (c->route)
        c->route(c->route_ctx, ev, &t, key);
    *topic = NULL;
    return 0;
}

/* ---- open/close ------------------------------------------------------------------------------ */

int cer__em_buffer_open(em_buffer **out, cer_emitter *em, const em_conf *c, char *errstr,
                        size_t errstr_size)
{
    *out = NULL;
    em_buffer *b = calloc(1, sizeof *b);
    if (!b)
        return CE_ENOMEM;
    b->em = em;
    b->c = c;
    b->np = c->buffer_partitions;
    b->avg_bytes = 600;
    /* The forwarder's events in flight count in the emitter's memory, up to an eighth of it
     * (librdkafka's own copies are capped at a quarter: see cer_emitter_new). */
    b->fwd_cap = c->queue_max / 8 > 65536 ? c->queue_max / 8 : 65536;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->fwd_cv, NULL);
    pthread_cond_init(&b->commit_cv, NULL);
    cer_sink_conf sc = {0};
    sc.log_dir = c->buffer_dir;
    sc.topic = TOPIC;
    sc.key = c->binding == BIND_KAFKA ? c->kafka_key : NULL;
    sc.log_partitions = b->np;
    sc.fsync = c->buffer_fsync ? c->buffer_fsync : "always";
    sc.on_delivery = on_persisted;
    sc.on_position = on_position;
    sc.route = route_key_only;
    sc.route_ctx = (void *)c;
    b->wlog.ops = &cer_sink_log;
    char why[512];
    int rc = b->wlog.ops->open(&b->wlog.s, &sc, why, sizeof why);
    if (rc) {
        snprintf(errstr, errstr_size, "disk buffer %s: %s", c->buffer_dir, why);
        pthread_cond_destroy(&b->commit_cv);
        pthread_cond_destroy(&b->fwd_cv);
        pthread_mutex_destroy(&b->mu);
        free(b);
        return rc;
    }
    b->log = cer_sink_log_handle(b->wlog.s);
    /* A buffer made by an earlier run keeps its partition count, whatever the setting says
     * now: reading fewer partitions would strand their events. */
    int32_t have = cer_log_topic_partitions(b->log, TOPIC);
    if (have > 0 && have != b->np) {
        cer__em_log(em, 6, "disk buffer %s has %d partitions (buffer.partitions is %d): keeping %d",
                    c->buffer_dir, (int)have, b->np, (int)have);
        b->np = have;
    }
    rc = have > 0 ? 0 : cer_log_topic_create(b->log, TOPIC, b->np, why, sizeof why);
    if (rc == 0)
        rc = cer_log_group_open(&b->grp, c->buffer_dir, "forwarder", why, sizeof why);
    b->parts = calloc((size_t)b->np, sizeof *b->parts);
    if (rc == 0 && !b->parts)
        rc = CE_ENOMEM, snprintf(why, sizeof why, "out of memory");
    for (int i = 0; rc == 0 && i < b->np; i++) {
        part *P = &b->parts[i];
        int64_t start = 0, end = 0, committed;
        cer_log_offsets(b->log, TOPIC, i, &start, &end);
        P->base = start;
        if (cer_log_group_committed(b->grp, TOPIC, i, &committed, NULL, 0) == 0 &&
            committed > start)
            P->base = committed > end ? end : committed;
        P->next = P->base;
        P->end = end;
        rc = cer_log_reader_open(&P->rd, c->buffer_dir, TOPIC, i, NULL, why, sizeof why);
        if (rc == 0)
            rc = cer_log_reader_seek(P->rd, CER_LOG_SEEK_OFFSET, P->base, why, sizeof why);
        if (rc == 0 && end > P->base)
            cer__em_log(em, 6, "disk buffer partition %d: %lld events left by an earlier run", i,
                        (long long)(end - P->base));
    }
    for (int i = 0; rc == 0 && i < b->np; i++)
        b->parts[i].committed = b->parts[i].deleted_upto = b->parts[i].base;
    if (rc == 0)
        rc = cer__em_sink_open(em, on_remote, why, sizeof why);
    if (rc == 0 && pthread_create(&b->fwd_th, NULL, forwarder, b) != 0)
        rc = CE_ENOMEM, snprintf(why, sizeof why, "cannot start the forwarder thread");
    b->fwd_started = rc == 0;
    if (rc == 0 && pthread_create(&b->commit_th, NULL, committer, b) != 0)
        rc = CE_ENOMEM, snprintf(why, sizeof why, "cannot start the committer thread");
    b->commit_started = rc == 0;
    if (rc) {
        snprintf(errstr, errstr_size, "disk buffer %s: %s", c->buffer_dir, why);
        *out = b;
        cer__em_buffer_close(b);
        *out = NULL;
        /* The disk buffer's failures come from the sink (ce codes) and the local log (its own
         * family, -200..-299): the emitter's callers get ce codes, so every other family maps
         * to CE_EIO, with the detail in errstr. Until 2026-12 log codes passed through as
         * whatever ce code shared their value (CER_LOG_ELOCKED came out as CE_EDEPTH). */
        return cer_err_family_of(rc) == CER_ERR_FAMILY_CORE ? rc : CE_EIO;
    }
    uint64_t backlog = backlog_events(b);
    cer__em_set_buffer_gauges(em, (uint64_t)((double)backlog * b->avg_bytes), backlog, 0);
    *out = b;
    return 0;
}

void cer__em_buffer_close(em_buffer *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stop = true;
    pthread_cond_broadcast(&b->fwd_cv);
    pthread_cond_broadcast(&b->commit_cv);
    pthread_mutex_unlock(&b->mu);
    if (b->fwd_started)
        pthread_join(b->fwd_th, NULL);
    if (b->commit_started)
        pthread_join(b->commit_th, NULL);
    /* Only this thread is left; mu is held as the sink callbacks expect. */
    pthread_mutex_lock(&b->mu);
    cer_sink_handle *sink = cer__em_sink(b->em);
    if (sink->s) {
        sink->ops->flush(sink->s, 0);
        sink->ops->poll(sink->s, 0);
        b->gen++; /* what is still in flight stays on disk for the next run */
        sink->ops->close(sink->s);
        sink->s = NULL;
    }
    pthread_mutex_unlock(&b->mu);
    if (b->grp && b->parts)
        commit(b, true);
    for (int i = 0; b->parts && i < b->np; i++) {
        cer_log_reader_close(b->parts[i].rd);
        ce_event_destroy(b->parts[i].held);
        free(b->parts[i].held_rt.buf);
        free(b->parts[i].acks);
    }
    free(b->parts);
    cer_log_group_close(b->grp);
    if (b->wlog.s)
        b->wlog.ops->close(b->wlog.s);
    pthread_cond_destroy(&b->commit_cv);
    pthread_cond_destroy(&b->fwd_cv);
    pthread_mutex_destroy(&b->mu);
    free(b);
}
