/* libFuzzer target for the protocol bindings: the input is split into a header list and a
 * body, decoded as an HTTP message or a Kafka record, and every event that decodes is encoded
 * again in binary and structured mode; after one normalising round trip, a second must give the
 * same event (else abort).
 *
 * Input layout: byte 0 selects the protocol and options (bit 0: HTTP, else Kafka; bit 1: Kafka
 * value is null; bit 2: Kafka key present, taken from the first header line's value), then
 * lines "name: value\n" (split at the first ':', one optional space skipped) up to an empty line,
 * then the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"

#define MAX_HEADERS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__ubsan_default_options(void);

/* The CER_FUZZ build compiles with recoverable UBSan checks; undefined behaviour must still
 * stop the run and leave a reproducer. */
const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1";
}

static size_t split(const char *p, size_t n, ce_header *h, size_t *nh, ce_slice *body)
{
    size_t i = 0;
    *nh = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - p) : n;
        if (end == i) { /* empty line: the body follows */
            i++;
            break;
        }
        if (*nh < MAX_HEADERS) {
            const char *line = p + i;
            size_t len = end - i;
            const char *colon = memchr(line, ':', len);
            size_t nlen = colon ? (size_t)(colon - line) : len;
            size_t v = colon ? nlen + 1 : len;
            if (v < len && line[v] == ' ')
                v++;
            h[*nh].name = (ce_slice){line, nlen};
            h[*nh].value = (ce_slice){line + v, len - v};
            (*nh)++;
        }
        i = end + (nl ? 1 : 0);
    }
    body->ptr = p + (i < n ? i : n);
    body->len = i < n ? n - i : 0;
    return i;
}

/* Two more round trips through (protocol, mode): the second must reproduce the first. */
static void check_stable(const ce_event *e, int http, ce_mode mode)
{
    char err[256];
    ce_event *d[2] = {NULL, NULL};
    const ce_event *src = e;
    for (int round = 0; round < 2; round++) {
        int rc;
        if (http) {
            ce_http_msg *m = ce_http_msg_new(0);
            rc = ce_http_encode(m, src, mode, CE_BIND_ATTR_HEADERS, err, sizeof err);
            if (rc == 0) {
                ce_http_message v = ce_http_msg_view(m);
                rc = ce_http_decode(&v, NULL, &d[round], err, sizeof err);
            }
            ce_http_msg_destroy(m);
        } else {
            ce_kafka_msg *m = ce_kafka_msg_new(0);
            rc = ce_kafka_encode(m, src, mode, 0, err, sizeof err);
            if (rc == 0)
                rc = ce_kafka_msg_set_key(m, src, NULL, err, sizeof err);
            if (rc == 0) {
                ce_kafka_message v = ce_kafka_msg_view(m);
                rc = ce_kafka_decode(&v, NULL, &d[round], err, sizeof err);
            }
            ce_kafka_msg_destroy(m);
        }
        /* Encoding a valid event may fail only for limits or an HTTP Content-Type that is not
         * ASCII; decoding what we encoded must succeed unless a limit was hit. */
        if (rc != 0 && rc != CE_EBADVALUE && rc != CE_ETOOBIG && rc != CE_ELIMIT)
            abort();
        if (rc != 0)
            break;
        src = d[round];
    }
    if (d[0] && d[1] && !ce_event_equal(d[0], d[1]))
        abort();
    ce_event_destroy(d[0]);
    ce_event_destroy(d[1]);
}

static int batch_cb(void *ctx, size_t index, ce_event *ev, int err, const char *msg)
{
    (void)ctx;
    (void)index;
    (void)err;
    (void)msg;
    if (ev)
        check_stable(ev, 1, CE_MODE_STRUCTURED);
    ce_event_destroy(ev);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    ce_header h[MAX_HEADERS];
    size_t nh;
    ce_slice body;
    split(p, n, h, &nh, &body);
    char err[256];
    ce_event *e = NULL;
    int http = flags & 1;
    if (http) {
        ce_http_message m = {h, nh, body};
        ce_http_mode(body.ptr, body.len < 64 ? body.len : 64);
        if (ce_http_decode(&m, NULL, &e, err, sizeof err) != 0)
            e = NULL;
        ce_http_decode_batch(&m, NULL, batch_cb, NULL, err, sizeof err);
    } else {
        ce_kafka_message m = {{NULL, 0}, body, h, nh};
        if (flags & 2)
            m.value = (ce_slice){NULL, 0};
        if ((flags & 4) && nh)
            m.key = h[0].value;
        if (ce_kafka_decode(&m, NULL, &e, err, sizeof err) != 0)
            e = NULL;
    }
    if (e) {
        check_stable(e, 0, CE_MODE_BINARY);
        check_stable(e, 0, CE_MODE_STRUCTURED);
        check_stable(e, 1, CE_MODE_BINARY);
        check_stable(e, 1, CE_MODE_STRUCTURED);
        ce_buf kb = {0};
        ce_slice key;
        ce_kafka_key(e, "t-{subject}/{id}", &kb, &key, err, sizeof err);
        ce_buf_free(&kb);
        ce_event_destroy(e);
    }
    /* the header-value codec on its own: decode(encode(x)) == x for whatever decodes */
    ce_buf a = {0}, b = {0};
    if (ce_http_value_decode(p, n, &a, err, sizeof err) == 0) {
        if (ce_http_value_encode(a.ptr ? a.ptr : "", a.len, &b) != 0)
            abort();
        ce_buf c = {0};
        if (ce_http_value_decode(b.ptr ? b.ptr : "", b.len, &c, err, sizeof err) != 0 ||
            c.len != a.len || (a.len && memcmp(a.ptr, c.ptr, a.len) != 0))
            abort();
        ce_buf_free(&c);
    }
    ce_buf_free(&a);
    ce_buf_free(&b);
    return 0;
}
