/* HTTP sink: posts events with the HTTP protocol binding (binary, structured, or batches of
 * batch_size events) using libcurl, with retries on network errors, 429 and 5xx (honouring
 * Retry-After) and permanent failure on other 4xx. Requests are sent from poll/flush. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sink/sink.h"

#define MAX_ATTEMPTS   5
#define MAX_BACKOFF_MS 10000

typedef struct pending {
    ce_event *ev;
    void *opaque;
} pending;

struct cer_sink {
    CURL *curl;
    struct curl_slist *extra; /* configured headers, ${ENV} expanded */
    char *url;
    ce_mode mode;
    size_t batch_size;
    long timeout_ms;
    cer_delivery_cb cb;
    ce_http_msg *msg;
    pending *q;
    size_t qn, qcap;
    ce_buf resp;
    long retry_after_ms;
};

/* Expand ${VAR} from the environment; unknown variables are an error naming them. */
static int expand_env(const char *in, ce_buf *out, char *errstr, size_t errstr_size)
{
    out->len = 0;
    for (const char *p = in; *p;) {
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p + 2, '}');
            if (!end) {
                snprintf(errstr, errstr_size, "unterminated ${ in '%s'", in);
                return CE_ESYNTAX;
            }
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(end - p - 2), p + 2);
            const char *v = getenv(name);
            if (!v) {
                snprintf(errstr, errstr_size, "environment variable '%s' is not set", name);
                return CE_ENOTFOUND;
            }
            if (ce_buf_append(out, v, strlen(v)))
                return CE_ENOMEM;
            p = end + 1;
        } else {
            if (ce_buf_append(out, p, 1))
                return CE_ENOMEM;
            p++;
        }
    }
    return ce_buf_append(out, "", 1) ? CE_ENOMEM : 0;
}

static void sink_close(cer_sink *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->qn; i++) {
        if (s->cb)
            s->cb(s->q[i].opaque, CER_SINK_EPURGED, "sink closed before the event was sent");
        ce_event_destroy(s->q[i].ev);
    }
    free(s->q);
    if (s->curl)
        curl_easy_cleanup(s->curl);
    curl_slist_free_all(s->extra);
    ce_http_msg_destroy(s->msg);
    ce_buf_free(&s->resp);
    free(s->url);
    free(s);
}

static int sink_open(cer_sink **out, const cer_sink_conf *c, char *errstr, size_t errstr_size)
{
    *out = NULL;
    if (!c->url || (strncmp(c->url, "http://", 7) != 0 && strncmp(c->url, "https://", 8) != 0)) {
        snprintf(errstr, errstr_size, "http: url must start with http:// or https://");
        return CE_EINVAL;
    }
    cer_sink *s = calloc(1, sizeof *s);
    if (!s)
        return CE_ENOMEM;
    s->mode = c->mode ? c->mode : CE_MODE_STRUCTURED;
    s->batch_size = s->mode == CE_MODE_BATCH ? (c->batch_size ? c->batch_size : 50) : 1;
    s->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 30000;
    s->cb = c->on_delivery;
    s->url = strdup(c->url);
    s->msg = ce_http_msg_new(0);
    s->curl = curl_easy_init();
    s->qcap = s->batch_size;
    s->q = calloc(s->qcap, sizeof *s->q);
    ce_buf_init(&s->resp);
    if (!s->url || !s->msg || !s->curl || !s->q) {
        sink_close(s);
        return CE_ENOMEM;
    }
    ce_buf tmp;
    ce_buf_init(&tmp);
    for (const char *const *h = c->headers; h && *h; h++) {
        if (!strchr(*h, ':')) {
            snprintf(errstr, errstr_size, "http: header '%s': expected 'Name: value'", *h);
            ce_buf_free(&tmp);
            sink_close(s);
            return CE_EINVAL;
        }
        char why[200];
        int rc = expand_env(*h, &tmp, why, sizeof why);
        if (rc) {
            snprintf(errstr, errstr_size, "http: header: %s", why);
            ce_buf_free(&tmp);
            sink_close(s);
            return rc;
        }
        struct curl_slist *n = curl_slist_append(s->extra, tmp.ptr);
        if (!n) {
            ce_buf_free(&tmp);
            sink_close(s);
            return CE_ENOMEM;
        }
        s->extra = n;
    }
    ce_buf_free(&tmp);
    *out = s;
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    cer_sink *s = ud;
    size_t len = size * n;
    if (s->resp.len < 512) /* keep the start of the body for error messages */
        ce_buf_append(&s->resp, p, len < 512 - s->resp.len ? len : 512 - s->resp.len);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    cer_sink *s = ud;
    size_t len = size * n;
    if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
        long secs = strtol(p + 12, NULL, 10);
        if (secs > 0)
            s->retry_after_ms = secs * 1000;
    }
    return len;
}

static void deliver_all(cer_sink *s, int err, const char *reason)
{
    for (size_t i = 0; i < s->qn; i++) {
        if (s->cb)
            s->cb(s->q[i].opaque, err, reason);
        ce_event_destroy(s->q[i].ev);
    }
    s->qn = 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Post what is queued (one event, or a batch). Every queued event gets its callback. */
static void send_queued(cer_sink *s)
{
    if (s->qn == 0)
        return;
    char why[512];
    int rc;
    if (s->mode == CE_MODE_BATCH) {
        const ce_event **evs = malloc(sizeof *evs * s->qn);
        if (!evs) {
            deliver_all(s, CE_ENOMEM, "out of memory");
            return;
        }
        for (size_t i = 0; i < s->qn; i++)
            evs[i] = s->q[i].ev;
        rc = ce_http_encode_batch(s->msg, evs, s->qn, why, sizeof why);
        free(evs);
    } else {
        rc = ce_http_encode(s->msg, s->q[0].ev, s->mode, 0, why, sizeof why);
    }
    if (rc) {
        deliver_all(s, rc, why);
        return;
    }
    ce_http_message m = ce_http_msg_view(s->msg);
    struct curl_slist *hdrs = NULL;
    ce_buf line;
    ce_buf_init(&line);
    for (size_t i = 0; i < m.header_count; i++) {
        line.len = 0;
        ce_buf_append(&line, m.headers[i].name.ptr, m.headers[i].name.len);
        ce_buf_append(&line, ": ", 2);
        ce_buf_append(&line, m.headers[i].value.ptr, m.headers[i].value.len);
        ce_buf_append(&line, "", 1);
        hdrs = curl_slist_append(hdrs, line.ptr);
    }
    ce_buf_free(&line);
    for (struct curl_slist *h = s->extra; h; h = h->next)
        hdrs = curl_slist_append(hdrs, h->data);
    hdrs = curl_slist_append(hdrs, "Expect:");
    CURL *c = s->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, m.body.ptr ? m.body.ptr : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)m.body.len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
    long backoff = 100;
    for (int attempt = 1;; attempt++) {
        s->resp.len = 0;
        s->retry_after_ms = 0;
        CURLcode cc = curl_easy_perform(c);
        long status = 0;
        if (cc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (cc == CURLE_OK && status >= 200 && status < 300) {
            deliver_all(s, 0, NULL);
            break;
        }
        int retriable = cc != CURLE_OK || status == 429 || status >= 500;
        if (cc != CURLE_OK)
            snprintf(why, sizeof why, "http: %s (attempt %d)", curl_easy_strerror(cc), attempt);
        else
            snprintf(why, sizeof why, "http: status %ld from %s (attempt %d): %.*s", status, s->url,
                     attempt, (int)s->resp.len, s->resp.ptr ? s->resp.ptr : "");
        if (!retriable || attempt == MAX_ATTEMPTS) {
            deliver_all(s, CER_SINK_ETRANSPORT, why);
            break;
        }
        long wait = s->retry_after_ms ? s->retry_after_ms : backoff + rand() % (backoff / 2 + 1);
        sleep_ms(wait > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : wait);
        backoff = backoff * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : backoff * 2;
    }
    curl_slist_free_all(hdrs);
}

static int sink_submit(cer_sink *s, const ce_event *ev, void *opaque, char *errstr,
                       size_t errstr_size)
{
    int rc = ce_event_validate(ev, errstr, errstr_size);
    if (rc)
        return rc;
    if (s->qn == s->qcap)
        return CER_SINK_EQUEUE;
    ce_event *copy = ce_event_clone(ev);
    if (!copy)
        return CE_ENOMEM;
    s->q[s->qn].ev = copy;
    s->q[s->qn].opaque = opaque;
    s->qn++;
    if (s->qn == s->batch_size)
        send_queued(s);
    return 0;
}

static size_t sink_poll(cer_sink *s, int timeout_ms)
{
    if (s->qn == s->batch_size)
        send_queued(s);
    return s->qn;
}

static int sink_flush(cer_sink *s, int timeout_ms)
{
    send_queued(s);
    return 0;
}

const cer_sink_ops cer_sink_http = {
    .name = "http",
    .open = sink_open,
    .submit = sink_submit,
    .poll = sink_poll,
    .flush = sink_flush,
    .close = sink_close,
};
