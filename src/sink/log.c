/* Local-log sink: stores each event as a Kafka-binding binary-mode record (ce_ headers, key,
 * data as value) in cerelay's local log, partitioned by key with Kafka's murmur2 so an event
 * lands in the same partition number as it would on Kafka. Events are appended in batches
 * (one write and, under fsync=always, one fsync per partition and batch) and acknowledged only
 * after the append returned. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/log.h"
#include "sink/sink.h"

enum { BATCH_MAX = 256, BATCH_BYTES = 1 << 20, HDR_MAX = 256 };

typedef struct qrec {
    void *opaque;
    int32_t partition;
    size_t topic_off, key_off, key_len, value_off, value_len, hdr_first, hdr_count;
    int key_null, value_null;
} qrec;

typedef struct qhdr {
    size_t name_off, name_len, value_off, value_len;
} qhdr;

struct cer_sink {
    cer_log *log;
    cer_log_conf *lconf;
    ce_kafka_msg *msg;
    ce_buf topic_buf, bytes;
    int (*route)(void *ctx, const ce_event *ev, const char **topic_tmpl, const char **key_tmpl);
    void *route_ctx;
    char *topic_tmpl, *key_tmpl;
    int32_t new_partitions;
    uint32_t rr; /* round-robin for null keys */
    cer_delivery_cb cb;
    void (*on_position)(void *opaque, int32_t partition, int64_t offset);
    qrec q[BATCH_MAX];
    size_t qn;
    qhdr *hdrs;
    size_t nhdrs, hdrs_cap;
};

static int log_err(int rc, char *errstr, size_t errstr_size, const char *why)
{
    snprintf(errstr, errstr_size, "log: %s", why);
    return rc == CER_LOG_ENOMEM ? CE_ENOMEM : CE_EIO;
}

static void sink_close(cer_sink *s);

static int sink_open(cer_sink **out, const cer_sink_conf *c, char *errstr, size_t errstr_size)
{
    *out = NULL;
    char why[512];
    if (!c->log_dir || !c->topic) {
        snprintf(errstr, errstr_size, "log: a directory and a topic are required");
        return CE_EINVAL;
    }
    if (ce_kafka_key_check(c->topic, why, sizeof why)) {
        snprintf(errstr, errstr_size, "log: topic template '%s': %s", c->topic, why);
        return CE_EINVAL;
    }
    if (c->key && ce_kafka_key_check(c->key, why, sizeof why)) {
        snprintf(errstr, errstr_size, "log: key template '%s': %s", c->key, why);
        return CE_EINVAL;
    }
    cer_sink *s = calloc(1, sizeof *s);
    if (!s)
        return CE_ENOMEM;
    s->cb = c->on_delivery;
    s->on_position = c->on_position;
    s->new_partitions = c->log_partitions > 0 ? c->log_partitions : 1;
    s->topic_tmpl = strdup(c->topic);
    s->key_tmpl = c->key ? strdup(c->key) : NULL;
    s->route = c->route;
    s->route_ctx = c->route_ctx;
    s->msg = ce_kafka_msg_new(0);
    s->lconf = cer_log_conf_new();
    if (!s->topic_tmpl || (c->key && !s->key_tmpl) || !s->msg || !s->lconf) {
        sink_close(s);
        return CE_ENOMEM;
    }
    if (c->fsync && cer_log_conf_set(s->lconf, "fsync", c->fsync, why, sizeof why) != 0) {
        snprintf(errstr, errstr_size, "log: fsync: %s", why);
        sink_close(s);
        return CE_EINVAL;
    }
    int rc = cer_log_open(&s->log, c->log_dir, s->lconf, why, sizeof why);
    if (rc) {
        log_err(rc, errstr, errstr_size, why);
        sink_close(s);
        return rc == CER_LOG_ENOMEM ? CE_ENOMEM : CE_EIO;
    }
    *out = s;
    return 0;
}

static int put(cer_sink *s, const void *p, size_t n, size_t *off)
{
    *off = s->bytes.len;
    return ce_buf_append(&s->bytes, p, n);
}

static void deliver(cer_sink *s, size_t i, int err, const char *why)
{
    if (s->cb)
        s->cb(s->q[i].opaque, err, why);
}

/* Append everything queued: one append_batch (one write and, under fsync=always, one fsync)
 * per topic and partition, with the records of each partition in the order they were
 * submitted. Interleaved keys no longer cost one append per run of equal partitions. */
static void drain(cer_sink *s)
{
    cer_log_rec recs[BATCH_MAX];
    size_t order[BATCH_MAX];
    bool taken[BATCH_MAX] = {false};
    cer_log_header *hv = NULL;
    if (s->nhdrs && !(hv = malloc(sizeof *hv * s->nhdrs))) {
        for (size_t i = 0; i < s->qn; i++)
            deliver(s, i, CE_ENOMEM, "log: out of memory");
        goto done;
    }
    for (size_t i = 0; i < s->nhdrs; i++) {
        hv[i].name = s->bytes.ptr + s->hdrs[i].name_off;
        hv[i].name_len = s->hdrs[i].name_len;
        hv[i].value = s->bytes.ptr + s->hdrs[i].value_off;
        hv[i].value_len = s->hdrs[i].value_len;
    }
    for (size_t i = 0; i < s->qn;) {
        /* the group of record i: every later record of the same topic and partition */
        const char *topic = s->bytes.ptr + s->q[i].topic_off;
        size_t n = 0;
        for (size_t j = i; j < s->qn; j++) {
            if (taken[j] || s->q[j].partition != s->q[i].partition ||
                (j != i && strcmp(s->bytes.ptr + s->q[j].topic_off, topic) != 0))
                continue;
            taken[j] = true;
            qrec *r = &s->q[j];
            recs[n] = (cer_log_rec){0};
            recs[n].key = r->key_null ? NULL : s->bytes.ptr + r->key_off;
            recs[n].key_len = r->key_len;
            recs[n].value = r->value_null ? NULL : s->bytes.ptr + r->value_off;
            recs[n].value_len = r->value_len;
            recs[n].headers = hv ? hv + r->hdr_first : NULL;
            recs[n].header_count = r->hdr_count;
            order[n++] = j;
        }
        char why[512];
        int64_t base;
        int rc =
            cer_log_append_batch(s->log, topic, s->q[i].partition, recs, n, &base, why, sizeof why);
        if (rc) {
            char msg[600];
            snprintf(msg, sizeof msg, "log: topic '%s' partition %d: %s", topic,
                     (int)s->q[i].partition, why);
            for (size_t k = 0; k < n; k++)
                deliver(s, order[k], CE_EIO, msg);
        } else {
            for (size_t k = 0; k < n; k++) {
                if (s->on_position)
                    s->on_position(s->q[order[k]].opaque, s->q[i].partition, base + (int64_t)k);
                deliver(s, order[k], 0, NULL);
            }
        }
        while (i < s->qn && taken[i])
            i++;
    }
done:
    free(hv);
    s->qn = 0;
    s->nhdrs = 0;
    s->bytes.len = 0;
}

/* Queue `ev`: the route rendered here from the templates (routed == false), or given by the
 * caller (topic and key literal). */
static int enqueue(cer_sink *s, const ce_event *ev, bool routed, const char *topic, ce_slice key,
                   const ce_header *extra, size_t nextra, void *opaque, char *errstr,
                   size_t errstr_size)
{
    const char *ktmpl = s->key_tmpl;
    char why[512];
    int rc;
    if (!routed &&
        (rc = cer_sink_destination(s->route, s->route_ctx, ev, s->topic_tmpl, s->key_tmpl,
                                   &s->topic_buf, &topic, &ktmpl, errstr, errstr_size)) != 0)
        return rc;
    if ((rc = ce_kafka_encode(s->msg, ev, CE_MODE_BINARY, 0, errstr, errstr_size)) != 0)
        return rc;
    if (!routed && (rc = ce_kafka_msg_set_key(s->msg, ev, ktmpl, errstr, errstr_size)) != 0)
        return rc;
    int32_t nparts = cer_log_topic_partitions(s->log, topic);
    if (nparts == CER_LOG_ENOTFOUND) {
        rc = cer_log_topic_create(s->log, topic, s->new_partitions, why, sizeof why);
        if (rc)
            return log_err(rc, errstr, errstr_size, why);
        nparts = cer_log_topic_partitions(s->log, topic);
    }
    if (nparts <= 0) {
        snprintf(errstr, errstr_size, "log: topic '%s': %s", topic, cer_log_strerror(nparts));
        return CE_EIO;
    }
    ce_kafka_message m = ce_kafka_msg_view(s->msg);
    if (routed)
        m.key = key;
    if (m.header_count + nextra > HDR_MAX) {
        snprintf(errstr, errstr_size, "log: more than %d attributes", HDR_MAX);
        return CE_ELIMIT;
    }
    if (s->nhdrs + m.header_count + nextra > s->hdrs_cap) {
        size_t ncap = (s->nhdrs + m.header_count + nextra) * 2;
        qhdr *nh = realloc(s->hdrs, sizeof *nh * ncap);
        if (!nh)
            return CE_ENOMEM;
        s->hdrs = nh;
        s->hdrs_cap = ncap;
    }
    qrec r = {0};
    r.opaque = opaque;
    r.partition = m.key.ptr ? cer_log_partition_for_key(m.key.ptr, m.key.len, nparts)
                            : (int32_t)(s->rr++ % (uint32_t)nparts);
    r.key_null = m.key.ptr == NULL;
    r.value_null = m.value.ptr == NULL;
    r.key_len = m.key.len;
    r.value_len = m.value.len;
    r.hdr_first = s->nhdrs;
    r.hdr_count = m.header_count + nextra;
    size_t mark = s->bytes.len;
    rc = put(s, topic, strlen(topic) + 1, &r.topic_off);
    if (!rc)
        rc = put(s, m.key.ptr, m.key.len, &r.key_off);
    if (!rc)
        rc = put(s, m.value.ptr, m.value.len, &r.value_off);
    for (size_t i = 0; !rc && i < m.header_count + nextra; i++) {
        const ce_header *src = i < m.header_count ? &m.headers[i] : &extra[i - m.header_count];
        qhdr *h = &s->hdrs[s->nhdrs + i];
        h->name_len = src->name.len;
        h->value_len = src->value.len;
        rc = put(s, src->name.ptr, h->name_len, &h->name_off);
        if (!rc)
            rc = put(s, src->value.ptr, h->value_len, &h->value_off);
    }
    if (rc) {
        s->bytes.len = mark;
        return rc;
    }
    s->nhdrs += m.header_count + nextra;
    s->q[s->qn++] = r;
    if (s->qn == BATCH_MAX || s->bytes.len >= BATCH_BYTES)
        drain(s);
    return 0;
}

static int sink_submit(cer_sink *s, const ce_event *ev, void *opaque, char *errstr,
                       size_t errstr_size)
{
    return enqueue(s, ev, false, NULL, (ce_slice){NULL, 0}, NULL, 0, opaque, errstr, errstr_size);
}

static int sink_submit_routed(cer_sink *s, const ce_event *ev, const char *topic, ce_slice key,
                              const ce_header *extra, size_t nextra, void *opaque, char *errstr,
                              size_t errstr_size)
{
    return enqueue(s, ev, true, topic, key, extra, nextra, opaque, errstr, errstr_size);
}

/* poll(0) only serves callbacks, and this sink has none pending, so it keeps batching;
 * a caller willing to wait (timeout > 0) gets the queue appended. */
static size_t sink_poll(cer_sink *s, int timeout_ms)
{
    if (s->qn && timeout_ms > 0)
        drain(s);
    return s->qn;
}

static int sink_flush(cer_sink *s, int timeout_ms)
{
    if (s->qn)
        drain(s);
    char why[256];
    return cer_log_flush(s->log, why, sizeof why) == 0 ? 0 : CE_EIO;
}

static void sink_close(cer_sink *s)
{
    if (!s)
        return;
    if (s->qn)
        drain(s);
    if (s->log)
        cer_log_close(s->log, NULL, 0);
    cer_log_conf_destroy(s->lconf);
    ce_kafka_msg_destroy(s->msg);
    ce_buf_free(&s->topic_buf);
    ce_buf_free(&s->bytes);
    free(s->hdrs);
    free(s->topic_tmpl);
    free(s->key_tmpl);
    free(s);
}

struct cer_log *cer_sink_log_handle(cer_sink *s)
{
    return s->log;
}

const cer_sink_ops cer_sink_log = {
    .name = "log",
    .open = sink_open,
    .submit = sink_submit,
    .submit_routed = sink_submit_routed,
    .poll = sink_poll,
    .flush = sink_flush,
    .close = sink_close,
};
