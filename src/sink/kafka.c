/* Kafka sink: encodes each event with the Kafka protocol binding and produces it with
 * librdkafka. An event counts as delivered only on its delivery report. Defaults favour no
 * loss: idempotent producer, acks=all; every librdkafka property can be overridden. */
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sink/auth.h"
#include "sink/sink.h"

struct cer_sink {
    rd_kafka_t *rk;
    ce_kafka_msg *msg;
    ce_buf topic_buf;
    int (*route)(void *ctx, const ce_event *ev, const char **topic_tmpl, const char **key_tmpl);
    void *route_ctx;
    char *topic_tmpl;
    char *key_tmpl;
    char **hdr_name, **hdr_tmpl; /* conf.kafka_headers, split */
    size_t nhdr;
    ce_buf hdr_buf;
    ce_mode mode;
    unsigned flags;
    cer_delivery_cb cb;
    size_t in_flight;
    int fatal;
    char fatal_reason[320];
    void (*on_log)(void *log_ctx, int level, const char *fac, const char *msg);
    void *log_ctx;
};

/* Errors that no retry can cure: the record itself is refused (its size or its form). */
static bool permanent(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || e == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE ||
           e == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE || e == RD_KAFKA_RESP_ERR_INVALID_MSG ||
           e == RD_KAFKA_RESP_ERR_INVALID_RECORD;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    cer_sink *s = opaque;
    s->in_flight--;
    if (!s->cb)
        return;
    /* Purged, or failed because the producer hit a fatal error: not the event's fault; the
     * owner may resubmit it to a rebuilt producer. */
    if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT ||
        m->err == RD_KAFKA_RESP_ERR__FATAL || (s->fatal && rd_kafka_fatal_error(s->rk, NULL, 0)))
        s->cb(m->_private, CER_SINK_EPURGED, rd_kafka_err2str(m->err));
    else if (m->err)
        s->cb(m->_private, permanent(m->err) ? CER_SINK_EREJECTED : CER_SINK_ETRANSPORT,
              rd_kafka_err2str(m->err));
    else
        s->cb(m->_private, 0, NULL);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    cer_sink *s = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[200];
        rd_kafka_fatal_error(rk, why, sizeof why);
        snprintf(s->fatal_reason, sizeof s->fatal_reason, "kafka fatal error: %s", why);
        s->fatal = 1;
    }
}

/* librdkafka's log lines to the owner's logger instead of stderr. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    cer_sink *s = rd_kafka_opaque(rk);
    if (s && s->on_log)
        s->on_log(s->log_ctx, level, fac, buf);
}

static int set_prop(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr,
                    size_t errstr_size)
{
    char why[256];
    if (rd_kafka_conf_set(conf, name, value, why, sizeof why) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "kafka property '%s': %s", name, why);
        return CE_EINVAL;
    }
    return 0;
}

/* Undelivered events are purged and reported as failed before the producer goes away, so
 * every submitted event gets exactly one callback. */
static void sink_close(cer_sink *s)
{
    if (!s)
        return;
    if (s->rk) {
        /* Purged messages are reported through the delivery callback; in-flight ones once
         * their request completes or times out, so poll (bounded) until all are accounted. */
        rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        for (int i = 0; s->in_flight && i < 100; i++)
            rd_kafka_poll(s->rk, 100);
        rd_kafka_destroy(s->rk);
    }
    ce_kafka_msg_destroy(s->msg);
    ce_buf_free(&s->topic_buf);
    free(s->topic_tmpl);
    free(s->key_tmpl);
    for (size_t i = 0; i < s->nhdr; i++) {
        free(s->hdr_name[i]);
        free(s->hdr_tmpl[i]);
    }
    free(s->hdr_name);
    free(s->hdr_tmpl);
    ce_buf_free(&s->hdr_buf);
    free(s);
}

/* Split and check conf.kafka_headers ("Name: template") into s. */
static int open_headers(cer_sink *s, const char *const *h, char *errstr, size_t errstr_size)
{
    size_t n = 0;
    while (h && h[n])
        n++;
    if (!n)
        return 0;
    s->hdr_name = calloc(n, sizeof *s->hdr_name);
    s->hdr_tmpl = calloc(n, sizeof *s->hdr_tmpl);
    if (!s->hdr_name || !s->hdr_tmpl)
        return CE_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(h[i], ':');
        if (!colon || colon == h[i]) {
            snprintf(errstr, errstr_size, "kafka: header '%.64s': expected 'Name: value'", h[i]);
            return CE_EINVAL;
        }
        size_t nl = (size_t)(colon - h[i]);
        while (nl && (h[i][nl - 1] == ' ' || h[i][nl - 1] == '\t'))
            nl--;
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if ((nl >= 3 && strncasecmp(h[i], "ce_", 3) == 0) ||
            (nl == 12 && strncasecmp(h[i], "content-type", 12) == 0)) {
            snprintf(errstr, errstr_size,
                     "kafka: header '%.*s': ce_* and content-type are the CloudEvents binding's "
                     "own headers",
                     (int)nl, h[i]);
            return CE_EINVAL;
        }
        char why[200];
        if (*v && ce_kafka_key_check(v, why, sizeof why)) {
            snprintf(errstr, errstr_size, "kafka: header '%.*s': template '%.64s': %s", (int)nl,
                     h[i], v, why);
            return CE_EINVAL;
        }
        s->hdr_name[i] = strndup(h[i], nl);
        s->hdr_tmpl[i] = strdup(v);
        s->nhdr = i + 1;
        if (!s->hdr_name[i] || !s->hdr_tmpl[i])
            return CE_ENOMEM;
    }
    return 0;
}

/* Add the configured headers rendered for `ev` to hdrs. Returns 0, or an error other than a
 * missing attribute (which leaves that header out). */
static int add_headers(cer_sink *s, const ce_event *ev, rd_kafka_headers_t *hdrs, char *errstr,
                       size_t errstr_size)
{
    for (size_t i = 0; i < s->nhdr; i++) {
        ce_slice v = {"", 0};
        if (s->hdr_tmpl[i][0]) {
            s->hdr_buf.len = 0;
            char why[200];
            int rc = ce_kafka_key(ev, s->hdr_tmpl[i], &s->hdr_buf, &v, why, sizeof why);
            if (rc == CE_EMISSING)
                continue;
            if (rc) {
                snprintf(errstr, errstr_size, "kafka: header '%s': %s", s->hdr_name[i], why);
                return rc;
            }
        }
        rd_kafka_header_add(hdrs, s->hdr_name[i], -1, v.ptr ? v.ptr : "", (ssize_t)v.len);
    }
    return 0;
}

static int sink_open(cer_sink **out, const cer_sink_conf *c, char *errstr, size_t errstr_size)
{
    *out = NULL;
    if (!c->brokers || !*c->brokers) {
        snprintf(errstr, errstr_size, "kafka: no brokers given");
        return CE_EINVAL;
    }
    if (!c->topic || !*c->topic) {
        snprintf(errstr, errstr_size, "kafka: no topic given");
        return CE_EINVAL;
    }
    if (c->mode == CE_MODE_BATCH) {
        snprintf(errstr, errstr_size, "kafka: batch mode does not exist on Kafka");
        return CE_EMODE;
    }
    char why[256];
    if (ce_kafka_key_check(c->topic, why, sizeof why)) {
        snprintf(errstr, errstr_size, "kafka: topic template '%s': %s", c->topic, why);
        return CE_EINVAL;
    }
    if (c->key && ce_kafka_key_check(c->key, why, sizeof why)) {
        snprintf(errstr, errstr_size, "kafka: key template '%s': %s", c->key, why);
        return CE_EINVAL;
    }
    cer_sink *s = calloc(1, sizeof *s);
    if (!s)
        return CE_ENOMEM;
    s->mode = c->mode ? c->mode : CE_MODE_BINARY;
    s->flags = c->attr_headers ? CE_BIND_ATTR_HEADERS : 0;
    s->cb = c->on_delivery;
    s->topic_tmpl = strdup(c->topic);
    s->key_tmpl = c->key ? strdup(c->key) : NULL;
    s->route = c->route;
    s->route_ctx = c->route_ctx;
    s->msg = ce_kafka_msg_new(0);
    ce_buf_init(&s->topic_buf);
    ce_buf_init(&s->hdr_buf);
    if (!s->topic_tmpl || (c->key && !s->key_tmpl) || !s->msg) {
        sink_close(s);
        return CE_ENOMEM;
    }
    int hrc = open_headers(s, c->kafka_headers, errstr, errstr_size);
    if (hrc) {
        sink_close(s);
        return hrc;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = set_prop(conf, "bootstrap.servers", c->brokers, errstr, errstr_size);
    if (!rc)
        rc = set_prop(conf, "enable.idempotence", "true", errstr, errstr_size);
    if (!rc)
        rc = set_prop(conf, "acks", "all", errstr, errstr_size);
    if (!rc)
        rc = set_prop(conf, "linger.ms", "5", errstr, errstr_size);
    for (const char *const *p = c->props; !rc && p && *p; p++) {
        const char *eq = strchr(*p, '=');
        if (!eq || eq == *p) {
            snprintf(errstr, errstr_size, "kafka property '%s': expected name=value", *p);
            rc = CE_EINVAL;
            break;
        }
        if (cer__auth_is_own_prop(*p))
            continue; /* cerelay.*: read by cer__auth_configure, unknown to librdkafka */
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *p), *p);
        rc = set_prop(conf, name, eq + 1, errstr, errstr_size);
    }
    int auth = 0;
    if (!rc)
        rc = cer__auth_configure(conf, c->props, &auth, errstr, errstr_size);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        sink_close(s);
        return rc;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_opaque(conf, s);
    if (c->on_log) {
        s->on_log = c->on_log;
        s->log_ctx = c->log_ctx;
        rd_kafka_conf_set_log_cb(conf, log_cb);
    }
    s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!s->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(errstr, errstr_size, "kafka: %s", why);
        sink_close(s);
        return CE_EINVAL;
    }
    if (auth && (rc = cer__auth_start(s->rk, errstr, errstr_size)) != 0) {
        sink_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Produce `ev`: the route rendered here from the templates (routed == false), or given by
 * the caller (topic and key literal). */
static int produce(cer_sink *s, const ce_event *ev, bool routed, const char *topic, ce_slice key,
                   const ce_header *extra, size_t nextra, void *opaque, char *errstr,
                   size_t errstr_size)
{
    int rc;
    const char *ktmpl = s->key_tmpl;
    if (!routed &&
        (rc = cer_sink_destination(s->route, s->route_ctx, ev, s->topic_tmpl, s->key_tmpl,
                                   &s->topic_buf, &topic, &ktmpl, errstr, errstr_size)) != 0)
        return rc;
    rc = ce_kafka_encode(s->msg, ev, s->mode, s->flags, errstr, errstr_size);
    if (rc)
        return rc;
    if (!routed && (rc = ce_kafka_msg_set_key(s->msg, ev, ktmpl, errstr, errstr_size)) != 0)
        return rc;
    ce_kafka_message m = ce_kafka_msg_view(s->msg);
    if (routed)
        m.key = key;
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(m.header_count + nextra + s->nhdr);
    for (size_t i = 0; i < m.header_count; i++)
        rd_kafka_header_add(hdrs, m.headers[i].name.ptr, (ssize_t)m.headers[i].name.len,
                            m.headers[i].value.ptr, (ssize_t)m.headers[i].value.len);
    for (size_t i = 0; i < nextra; i++)
        rd_kafka_header_add(hdrs, extra[i].name.ptr, (ssize_t)extra[i].name.len, extra[i].value.ptr,
                            (ssize_t)extra[i].value.len);
    if ((rc = add_headers(s, ev, hdrs, errstr, errstr_size)) != 0) {
        rd_kafka_headers_destroy(hdrs);
        return rc;
    }
    rd_kafka_resp_err_t err = rd_kafka_producev(
        s->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(m.key.ptr, m.key.len), RD_KAFKA_V_VALUE((void *)m.value.ptr, m.value.len),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (err) {
        rd_kafka_headers_destroy(hdrs);
        /* A full queue, or a producer that hit a fatal error and awaits its rebuild: the event
         * was not taken, the caller submits it again later. */
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL || err == RD_KAFKA_RESP_ERR__FATAL)
            return CER_SINK_EQUEUE;
        if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
            snprintf(errstr, errstr_size,
                     "kafka: topic '%s': the record (%zu bytes of value, %zu headers) is larger "
                     "than the producer's message.max.bytes",
                     topic, m.value.len, m.header_count);
            return CER_SINK_EREJECTED;
        }
        snprintf(errstr, errstr_size, "kafka: topic '%s': %s", topic, rd_kafka_err2str(err));
        return CER_SINK_ETRANSPORT;
    }
    s->in_flight++;
    return 0;
}

static int sink_submit(cer_sink *s, const ce_event *ev, void *opaque, char *errstr,
                       size_t errstr_size)
{
    return produce(s, ev, false, NULL, (ce_slice){NULL, 0}, NULL, 0, opaque, errstr, errstr_size);
}

static int sink_submit_routed(cer_sink *s, const ce_event *ev, const char *topic, ce_slice key,
                              const ce_header *extra, size_t nextra, void *opaque, char *errstr,
                              size_t errstr_size)
{
    return produce(s, ev, true, topic, key, extra, nextra, opaque, errstr, errstr_size);
}

static size_t sink_poll(cer_sink *s, int timeout_ms)
{
    rd_kafka_poll(s->rk, timeout_ms);
    return s->in_flight;
}

static int sink_flush(cer_sink *s, int timeout_ms)
{
    rd_kafka_flush(s->rk, timeout_ms);
    rd_kafka_poll(s->rk, 0);
    return s->in_flight ? CER_SINK_ETIMEOUT : 0;
}

static int sink_fatal(cer_sink *s, char *errstr, size_t errstr_size)
{
    if (s->fatal)
        snprintf(errstr, errstr_size, "%s", s->fatal_reason);
    return s->fatal;
}

void cer_sink_kafka_test_fatal(cer_sink *s)
{
    rd_kafka_test_fatal_error(s->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              "injected by a test");
}

const cer_sink_ops cer_sink_kafka = {
    .name = "kafka",
    .open = sink_open,
    .submit = sink_submit,
    .submit_routed = sink_submit_routed,
    .poll = sink_poll,
    .flush = sink_flush,
    .close = sink_close,
    .fatal = sink_fatal,
};
