/* Small shared helpers for sinks: topic templates, UUIDv7 ids, clocks. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

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

static pthread_mutex_t uuid_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t uuid_last_ms, uuid_seq;

void cer_uuid7(char out[37])
{
    unsigned char b[16];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        /* getrandom cannot fail for 16 bytes once the pool is initialised; fall back to time */
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)(ts.tv_nsec >> (i % 4 * 8)) ^ (unsigned char)i;
    }
    /* monotonic within a millisecond: 12-bit counter in rand_a */
    pthread_mutex_lock(&uuid_lock);
    if (ms <= uuid_last_ms) {
        ms = uuid_last_ms;
        uuid_seq++;
        if (uuid_seq > 0xFFF) {
            ms = ++uuid_last_ms;
            uuid_seq = 0;
        }
    } else {
        uuid_last_ms = ms;
        uuid_seq = 0;
    }
    uint64_t seq = uuid_seq;
    pthread_mutex_unlock(&uuid_lock);
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (seq >> 8));
    b[7] = (unsigned char)seq;
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3F));
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = 0;
}

void cer_now_rfc3339(char out[40])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ce_timestamp_format((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, 3, out);
}

int64_t cer_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
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
