/* Small shared helpers for sinks: topic templates (ids and clocks are in src/base/clock.c). */
#include <stdio.h>
#include <string.h>

#include "sink/sink.h"

int cer_render_topic(const ce_event *e, const char *tmpl, ce_buf *scratch, const char **topic,
                     char *errstr, size_t errstr_size)
{
    ce_slice s;
    scratch->len = 0;
    int rc = ce_kafka_key(e, tmpl, scratch, &s, errstr, errstr_size);
    if (rc)
        return rc;
    /* ce_kafka_key may return a slice borrowed from the event; copy into scratch. */
    if (s.ptr < scratch->ptr || s.ptr >= scratch->ptr + scratch->len) {
        scratch->len = 0;
        if ((rc = ce_buf_append(scratch, s.ptr, s.len)) != 0)
            return rc;
        s.ptr = scratch->ptr;
    } else {
        size_t off = (size_t)(s.ptr - scratch->ptr);
        memmove(scratch->ptr, scratch->ptr + off, s.len);
        scratch->len = s.len;
    }
    if ((rc = ce_buf_append(scratch, "", 1)) != 0)
        return rc;
    if (s.len == 0) {
        snprintf(errstr, errstr_size, "topic template '%s' gave an empty topic name", tmpl);
        return CE_EBADVALUE;
    }
    *topic = scratch->ptr;
    return 0;
}

int cer_sink_destination(int (*route)(void *ctx, const ce_event *ev, const char **topic_tmpl,
                                      const char **key_tmpl),
                         void *route_ctx, const ce_event *ev, const char *topic_tmpl,
                         const char *key_tmpl, ce_buf *scratch, const char **topic,
                         const char **key_out, char *errstr, size_t errstr_size)
{
    if (route) {
        const char *rt = NULL, *rk = NULL;
        route(route_ctx, ev, &rt, &rk);
        topic_tmpl = rt ? rt : topic_tmpl;
        key_tmpl = rk ? rk : key_tmpl;
    }
    *key_out = key_tmpl;
    return cer_render_topic(ev, topic_tmpl, scratch, topic, errstr, errstr_size);
}
