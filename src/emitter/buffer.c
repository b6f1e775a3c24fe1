/* The emitter's disk buffer and forwarder (see buffer.h). Per partition the forwarder keeps a
 * window of offsets it submitted, [base, next); an offset's outcome is recorded in a ring of
 * flags and `base` (the committed position) advances over finished offsets only, so a crash
 * re-sends what was not yet acknowledged instead of losing it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emitter/buffer.h"

#define TOPIC "events"
enum { WINDOW = 1 << 15, MAX_HDRS = 256 };
enum { FIN_NONE = 0, FIN_OK, FIN_DEAD, FIN_FAILED };

typedef struct ack_ent {
    int64_t offset;
    void *opaque;
} ack_ent;

typedef struct part {
    cer_log_reader *rd;
    int64_t base, next, end;
    uint8_t fin[WINDOW];
    ce_event *held; /* read but refused by a full sink */
    int64_t held_off;
    ack_ent *acks; /* this process's events with an opaque, by offset */
    size_t ah, an, acap;
    bool dirty;
} part;

typedef struct fwd {
    em_buffer *b;
    int32_t p;
    int64_t off;
    uint64_t gen;
    ce_event *ev;
} fwd;

struct em_buffer {
    cer_emitter *em;
    const em_conf *c;
    cer_sink_handle wlog;
    cer_log *log;
    cer_log_group *grp;
    part *parts;
    int np;
    uint64_t gen, in_flight;
    double avg_bytes;
    int64_t last_commit_ns;
    cer_sink_handle dlq;
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
    P->acks[(P->ah + P->an) % P->acap] = (ack_ent){off, opaque};
    P->an++;
    return 0;
}

/* Report the outcome of `off` to the caller who emitted it in this process, if any. */
static void ack_report(em_buffer *b, part *P, int64_t off, int err, const char *reason)
{
    while (P->an && P->acks[P->ah].offset < off) { /* finished without a report (dropped) */
        P->ah = (P->ah + 1) % P->acap;
        P->an--;
    }
    if (P->an && P->acks[P->ah].offset == off) {
        void *opaque = P->acks[P->ah].opaque;
        P->ah = (P->ah + 1) % P->acap;
        P->an--;
        if (b->c->on_delivery)
            b->c->on_delivery(b->c->ctx, opaque, err, reason);
    }
}

/* ---- outcomes ------------------------------------------------------------------------------ */

static void advance(em_buffer *b, part *P)
{
    while (P->base < P->next && P->fin[P->base % WINDOW] != FIN_NONE) {
        uint8_t f = P->fin[P->base % WINDOW];
        P->fin[P->base % WINDOW] = FIN_NONE;
        em_note_buffer_done(b->em,
                            f == FIN_OK     ? 0
                            : f == FIN_DEAD ? CER_EDEADLETTER
                                            : CER_EDELIVERY,
                            1);
        P->base++;
        P->dirty = true;
    }
}

/* Write a permanently rejected event to the dead-letter log, with the reason as an extension
 * attribute. Returns 0 when it is safely stored. */
static int dead_letter(em_buffer *b, ce_event *ev, const char *reason)
{
    char err[512];
    if (!b->dlq.s) {
        if (!b->c->dlq_dir && !b->c->buffer_dir)
            return CE_EINVAL;
        char dir[4096];
        if (b->c->dlq_dir)
            snprintf(dir, sizeof dir, "%s", b->c->dlq_dir);
        else
            snprintf(dir, sizeof dir, "%s/dead-letter", b->c->buffer_dir);
        cer_sink_conf sc = {0};
        sc.log_dir = dir;
        sc.topic = "dead-letter";
        sc.fsync = "always";
        b->dlq.ops = &cer_sink_log;
        if (b->dlq.ops->open(&b->dlq.s, &sc, err, sizeof err) != 0) {
            em_log(b->em, 3, "cannot open the dead-letter log %s: %s", dir, err);
            b->dlq.s = NULL;
            return CE_EIO;
        }
    }
    ce_event_set_str(ev, "deadletterreason", reason, NULL, 0);
    if (b->dlq.ops->submit(b->dlq.s, ev, NULL, err, sizeof err) != 0)
        return CE_EIO;
    return b->dlq.ops->flush(b->dlq.s, 10000);
}

static void on_remote(void *opaque, int err, const char *reason)
{
    fwd *f = opaque;
    em_buffer *b = f->b;
    if (f->gen != b->gen) { /* from a producer that was rebuilt: the event is re-sent */
        ce_event_destroy(f->ev);
        free(f);
        return;
    }
    b->in_flight--;
    part *P = &b->parts[f->p];
    if (err == CER_SINK_EPURGED || f->off < P->base) { /* closing, or dropped meanwhile */
        ce_event_destroy(f->ev);
        free(f);
        return;
    }
    uint8_t fin = FIN_OK;
    int code = 0;
    if (err) {
        if (dead_letter(b, f->ev, reason ? reason : "rejected") == 0) {
            fin = FIN_DEAD;
            code = CER_EDEADLETTER;
            em_log(b->em, 4, "event at buffer %d@%lld rejected permanently (%s): dead-lettered",
                   (int)f->p, (long long)f->off, reason ? reason : "?");
        } else {
            fin = FIN_FAILED;
            code = CER_EDELIVERY;
            em_log(b->em, 3,
                   "event at buffer %d@%lld rejected (%s) and the dead-letter log "
                   "failed: counted as failed",
                   (int)f->p, (long long)f->off, reason ? reason : "?");
        }
    }
    P->fin[f->off % WINDOW] = fin;
    ack_report(b, P, f->off, code, reason);
    advance(b, P);
    ce_event_destroy(f->ev);
    free(f);
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
        em_note_persisted(em, t, err);
        em_finish(em, t, err, reason);
        return;
    }
    em_buffer *b = t->buf;
    em_note_persisted(em, t, 0);
    part *P = &b->parts[t->partition];
    if (t->offset + 1 > P->end)
        P->end = t->offset + 1;
    if (b->c->on_delivery && ack_push(P, t->offset, t->opaque) != 0)
        em_log(em, 3, "out of memory tracking an acknowledgement");
    b->avg_bytes = b->avg_bytes * 0.99 + (double)t->bytes * 0.01;
    ce_event_destroy(t->ev);
    free(t);
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
    em_note_buffer_done(b->em, CER_EDROPPED, (uint64_t)k);
    memset(P->fin, 0, sizeof P->fin);
    P->base = nb;
    if (P->next < nb) {
        char err[256];
        ce_event_destroy(P->held);
        P->held = NULL;
        cer_log_reader_seek(P->rd, CER_LOG_SEEK_OFFSET, nb, err, sizeof err);
        P->next = nb;
    } else {
        /* in-flight offsets below nb will be ignored when they report; above it we lost their
         * finished flags, so re-send from nb */
        ce_event_destroy(P->held);
        P->held = NULL;
        char err[256];
        cer_log_reader_seek(P->rd, CER_LOG_SEEK_OFFSET, nb, err, sizeof err);
        P->next = nb;
        b->gen++;
        b->in_flight = 0;
    }
    P->dirty = true;
    em_log(b->em, 4, "disk buffer full: dropped the %lld oldest events of partition %d",
           (long long)k, worst);
}

static void append_pending(em_buffer *b, em_trk **pending)
{
    while (*pending) {
        uint64_t backlog = backlog_events(b);
        if ((double)backlog * b->avg_bytes >= (double)b->c->buffer_max) {
            if (!b->c->drop_oldest)
                return; /* block: events wait in memory; emit() pushes back when that fills */
            drop_oldest(b);
        }
        em_trk *t = *pending;
        *pending = t->next;
        t->next = NULL;
        t->buf = b;
        char err[512];
        int rc = b->wlog.ops->submit(b->wlog.s, t->ev, t, err, sizeof err);
        if (rc)
            em_finish(b->em, t, rc, err);
    }
    b->wlog.ops->poll(b->wlog.s, 1); /* append what the log sink batched */
}

/* ---- forwarding ---------------------------------------------------------------------------- */

static void reset_partitions(em_buffer *b)
{
    char err[256];
    for (int i = 0; i < b->np; i++) {
        part *P = &b->parts[i];
        ce_event_destroy(P->held);
        P->held = NULL;
        memset(P->fin, 0, sizeof P->fin);
        cer_log_reader_seek(P->rd, CER_LOG_SEEK_OFFSET, P->base, err, sizeof err);
        P->next = P->base;
    }
}

static void forward(em_buffer *b)
{
    cer_sink_handle *sink = em_sink(b->em);
    if (!sink->s)
        return;
    char err[512];
    ce_header hdrs[MAX_HDRS];
    for (int i = 0; i < b->np; i++) {
        part *P = &b->parts[i];
        while (P->next - P->base < WINDOW) {
            ce_event *ev = P->held;
            int64_t off = P->held_off;
            P->held = NULL;
            if (!ev) {
                cer_log_rec rec;
                int rc = cer_log_reader_next(P->rd, &rec, 0, err, sizeof err);
                if (rc == CER_LOG_EAGAIN)
                    break;
                if (rc) {
                    em_log(b->em, 3, "disk buffer partition %d: %s", i, err);
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
                if (ce_kafka_decode(&m, NULL, &ev, err, sizeof err) != 0) {
                    em_log(b->em, 3, "disk buffer %d@%lld is not a CloudEvent (%s): skipped", i,
                           (long long)off, err);
                    P->next = off + 1;
                    P->fin[off % WINDOW] = FIN_FAILED;
                    ack_report(b, P, off, CER_EDELIVERY, err);
                    advance(b, P);
                    continue;
                }
            }
            fwd *f = malloc(sizeof *f);
            if (!f) {
                P->held = ev, P->held_off = off;
                break;
            }
            *f = (fwd){b, i, off, b->gen, ev};
            /* Recorded before the call: a sink may report the outcome from inside submit (the
             * local-log sink appends a full batch there), and advance() only passes offsets
             * below `next`. */
            P->next = off + 1;
            b->in_flight++;
            int rc = sink->ops->submit(sink->s, ev, f, err, sizeof err);
            if (rc == CER_SINK_EQUEUE) {
                P->next = off;
                b->in_flight--;
                free(f);
                P->held = ev, P->held_off = off;
                break;
            }
            if (rc) /* refused before sending: permanent */
                on_remote(f, rc, err);
        }
        advance(b, P);
    }
    sink->ops->poll(sink->s, 0);
    if (sink->ops->fatal && sink->ops->fatal(sink->s, err, sizeof err)) {
        b->gen++; /* callbacks from the old producer are now stale */
        b->in_flight = 0;
        if (em_sink_rebuild(b->em, on_remote) > 0)
            reset_partitions(b);
    }
}

static void commit(em_buffer *b, bool force)
{
    int64_t now = cer_mono_ns();
    if (!force && now - b->last_commit_ns < 100000000)
        return;
    b->last_commit_ns = now;
    char err[256];
    for (int i = 0; i < b->np; i++) {
        part *P = &b->parts[i];
        if (!P->dirty)
            continue;
        if (cer_log_group_commit(b->grp, TOPIC, i, P->base, err, sizeof err) != 0) {
            em_log(b->em, 3, "disk buffer: cannot commit position of partition %d: %s", i, err);
            continue;
        }
        P->dirty = false;
        if (cer_log_delete_before(b->log, TOPIC, i, P->base, NULL, err, sizeof err) != 0)
            em_log(b->em, 4, "disk buffer: cannot delete delivered segments: %s", err);
    }
    uint64_t backlog = backlog_events(b);
    em_set_buffer_gauges(b->em, (uint64_t)((double)backlog * b->avg_bytes), backlog, b->in_flight);
}

void em_buffer_step(em_buffer *b, em_trk **pending)
{
    append_pending(b, pending);
    forward(b);
    cer_sink_handle *sink = em_sink(b->em);
    if (sink->s) {
        bool busy = b->in_flight > 0;
        sink->ops->poll(sink->s, busy ? 5 : 0);
        if (b->c->binding == BIND_HTTP)
            sink->ops->flush(sink->s, 0);
    }
    commit(b, false);
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

int em_buffer_open(em_buffer **out, cer_emitter *em, const em_conf *c, char *errstr,
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
        free(b);
        return rc;
    }
    b->log = cer_sink_log_handle(b->wlog.s);
    rc = cer_log_topic_create(b->log, TOPIC, b->np, why, sizeof why);
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
            em_log(em, 6, "disk buffer partition %d: %lld events left by an earlier run", i,
                   (long long)(end - P->base));
    }
    if (rc == 0)
        rc = em_sink_open(em, on_remote, why, sizeof why);
    if (rc) {
        snprintf(errstr, errstr_size, "disk buffer %s: %s", c->buffer_dir, why);
        *out = b;
        em_buffer_close(b);
        *out = NULL;
        return rc < 0 && rc > -100 ? rc : CE_EIO;
    }
    uint64_t backlog = backlog_events(b);
    em_set_buffer_gauges(em, (uint64_t)((double)backlog * b->avg_bytes), backlog, 0);
    *out = b;
    return 0;
}

void em_buffer_close(em_buffer *b)
{
    if (!b)
        return;
    cer_sink_handle *sink = em_sink(b->em);
    if (sink->s) {
        sink->ops->flush(sink->s, 0);
        sink->ops->poll(sink->s, 0);
        b->gen++; /* what is still in flight stays on disk for the next run */
        sink->ops->close(sink->s);
        sink->s = NULL;
    }
    if (b->grp && b->parts)
        commit(b, true);
    for (int i = 0; b->parts && i < b->np; i++) {
        cer_log_reader_close(b->parts[i].rd);
        ce_event_destroy(b->parts[i].held);
        free(b->parts[i].acks);
    }
    free(b->parts);
    cer_log_group_close(b->grp);
    if (b->dlq.s)
        b->dlq.ops->close(b->dlq.s);
    if (b->wlog.s)
        b->wlog.ops->close(b->wlog.s);
    free(b);
}
