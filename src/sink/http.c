/* HTTP sink: posts events with the HTTP protocol binding (binary, structured, or batches of
 * batch_size events) through the libcurl multi interface. submit() only encodes and queues;
 * poll()/flush() drive up to CER_HTTP_MAX_INFLIGHT keep-alive transfers, retry with backoff and
 * report outcomes. Ordering, retries and limits are described in docs/http-sink.md. */
#include <assert.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "sink/sink.h"

#define CER_HTTP_MAX_INFLIGHT       4           /* concurrent requests (and connections) */
#define CER_HTTP_MAX_QUEUED         10000       /* unacknowledged events before EQUEUE */
#define CER_HTTP_MAX_QUEUE_BYTES    (64u << 20) /* unacknowledged body bytes before EQUEUE */
#define CER_HTTP_MAX_BATCH_BYTES    (1u << 20)  /* a batch body this big is sent at once */
#define CER_HTTP_MAX_ATTEMPTS       8           /* tries per request, the first included */
#define CER_HTTP_BACKOFF_BASE_MS    100         /* backoff ceiling after the first failure */
#define CER_HTTP_BACKOFF_MAX_MS     10000       /* ... doubling up to this */
#define CER_HTTP_MAX_RETRY_AFTER_MS 60000       /* longer Retry-After values are clamped */
#define CER_HTTP_CONNECT_TIMEOUT_MS 10000       /* capped by the request timeout */
#define CER_HTTP_DEFAULT_TIMEOUT_MS 30000
#define CER_HTTP_DEFAULT_BATCH      50
#define CER_HTTP_ERR_BODY           200 /* response bytes quoted in a failure reason */

/* Test hooks (tests/sink/test_http_sink.c), not part of the sink interface. */
void cer__http_sink_test_tune(cer_sink *s, int max_attempts, long backoff_base_ms);
long cer__http_sink_test_connects(cer_sink *s);
long cer__http_retry_after_ms(const char *v, size_t len, time_t now);

/* One request: a single event, or a batch. Owns its encoded body and (binary mode) headers. */
typedef struct hreq {
    struct hreq *next;
    uint64_t seq;   /* submission order */
    size_t n, cap;  /* events carried; capacity of opaques */
    void **opaques; /* delivery callback arguments; points at `one` when cap == 1 */
    void *one;
    ce_buf body;
    struct curl_slist *hdrs; /* NULL: the sink's common headers */
    int attempts;
    uint64_t epoch;     /* the sink's failure epoch when this attempt started */
    int64_t not_before; /* monotonic ns: earliest (re)start */
} hreq;

/* A transfer slot: one easy handle, reused for every request it carries. */
typedef struct slot {
    CURL *easy;
    hreq *r; /* NULL when idle */
    long retry_after_ms;
    ce_buf resp; /* start of the response body */
    char err[CURL_ERROR_SIZE];
} slot;

struct cer_sink {
    CURLM *multi;
    slot slots[CER_HTTP_MAX_INFLIGHT];
    int nfly;
    bool degraded;            /* after a retriable failure: one request at a time until an answer */
    uint64_t epoch;           /* retriable failures so far */
    struct curl_slist *extra; /* configured headers, ${ENV} expanded */
    struct curl_slist *common; /* structured/batch: content type + extra + "Expect:" */
    char *url;
    ce_mode mode;
    size_t batch_size;
    long timeout_ms;
    cer_delivery_cb cb;
    ce_http_msg *msg; /* binary-mode encoder */
    ce_buf line;      /* header line scratch */
    hreq *open;       /* batch being filled */
    hreq *wait_head;  /* sealed, not in flight, by seq */
    hreq *wait_tail;
    uint64_t next_seq;
    size_t nevents, nbytes; /* unacknowledged events and body bytes */
    int max_attempts;
    long backoff_base_ms;
    long connects;
    uint64_t rng;
};

/* ---- helpers --------------------------------------------------------------------------------- */

static int64_t now_ns(void)
{
    return cer_mono_ns();
}

static uint64_t next_rand(cer_sink *s)
{
    /* xorshift64*: jitter only, not security */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 0x2545F4914F6CDD1DULL;
}

static const char *env_get(void *ctx, const char *name)
{
    return getenv(name);
}

/* Expand ${VAR} from the environment (cerx_expand_vars); unknown variables are an error naming
 * them. `out` gets the NUL-terminated result. */
static int expand_env(const char *in, ce_buf *out, char *errstr, size_t errstr_size)
{
    size_t n;
    out->len = 0;
    int rc = cerx_expand_vars(in, NULL, &n, 0, env_get, NULL, 0, errstr, errstr_size);
    if (rc)
        return rc;
    if (ce_buf_reserve(out, n + 1))
        return CE_ENOMEM;
    if ((rc = cerx_expand_vars(in, out->ptr, &n, 0, env_get, NULL, 0, errstr, errstr_size)))
        return rc;
    out->ptr[n] = 0;
    out->len = n + 1;
    return 0;
}

/* Append "Name: value" (or "Name;" for an empty value, which curl would otherwise drop). */
static int add_header(struct curl_slist **list, ce_buf *line, ce_slice name, ce_slice value)
{
    line->len = 0;
    if (ce_buf_append(line, name.ptr, name.len) ||
        ce_buf_append(line, value.len ? ": " : ";", value.len ? 2 : 1) ||
        ce_buf_append(line, value.ptr, value.len) || ce_buf_append(line, "", 1))
        return CE_ENOMEM;
    struct curl_slist *n = curl_slist_append(*list, line->ptr);
    if (!n)
        return CE_ENOMEM;
    *list = n;
    return 0;
}

/* Append the configured headers and "Expect:" (no 100-continue round trip) to *list. */
static int add_extra(cer_sink *s, struct curl_slist **list)
{
    for (struct curl_slist *h = s->extra; h; h = h->next) {
        struct curl_slist *n = curl_slist_append(*list, h->data);
        if (!n)
            return CE_ENOMEM;
        *list = n;
    }
    struct curl_slist *n = curl_slist_append(*list, "Expect:");
    if (!n)
        return CE_ENOMEM;
    *list = n;
    return 0;
}

long cer__http_retry_after_ms(const char *v, size_t len, time_t now)
{
    while (len && (*v == ' ' || *v == '\t'))
        v++, len--;
    while (len &&
           (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r' || v[len - 1] == '\n'))
        len--;
    if (len == 0)
        return -1;
    size_t digits = 0;
    while (digits < len && v[digits] >= '0' && v[digits] <= '9')
        digits++;
    long long secs;
    if (digits == len) { /* delta-seconds */
        secs = 0;
        for (size_t i = 0; i < len && secs <= CER_HTTP_MAX_RETRY_AFTER_MS / 1000; i++)
            secs = secs * 10 + (v[i] - '0');
    } else { /* HTTP-date */
        char date[64];
        if (len >= sizeof date)
            return -1;
        memcpy(date, v, len);
        date[len] = 0;
        time_t t = curl_getdate(date, NULL);
        if (t == (time_t)-1)
            return -1;
        secs = t > now ? (long long)(t - now) : 0;
    }
    return secs >= CER_HTTP_MAX_RETRY_AFTER_MS / 1000 ? CER_HTTP_MAX_RETRY_AFTER_MS
                                                      : (long)(secs * 1000);
}

/* ---- requests -------------------------------------------------------------------------------- */

static hreq *hreq_new(cer_sink *s, size_t cap)
{
    hreq *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    ce_buf_init(&r->body);
    r->body.cap_limit = CE_BIND_DEFAULT_MAX_BYTES; /* as the binding's own builders */
    r->cap = cap;
    r->opaques = &r->one;
    if (cap > 1 && !(r->opaques = malloc(cap * sizeof *r->opaques))) {
        free(r);
        return NULL;
    }
    r->seq = s->next_seq++;
    return r;
}

static void hreq_free(hreq *r)
{
    if (r->opaques != &r->one)
        free(r->opaques);
    ce_buf_free(&r->body);
    curl_slist_free_all(r->hdrs);
    free(r);
}

/* Put r in the waiting list, keeping submission order: new requests go to the tail, retried
 * ones (older than anything queued after them) are found from the head. */
static void enqueue(cer_sink *s, hreq *r)
{
    hreq **p = &s->wait_head;
    if (s->wait_tail && s->wait_tail->seq < r->seq)
        p = &s->wait_tail->next;
    while (*p && (*p)->seq < r->seq)
        p = &(*p)->next;
    r->next = *p;
    *p = r;
    if (!r->next)
        s->wait_tail = r;
}

static hreq *dequeue(cer_sink *s)
{
    hreq *r = s->wait_head;
    if (r) {
        s->wait_head = r->next;
        if (!s->wait_head)
            s->wait_tail = NULL;
        r->next = NULL;
    }
    return r;
}

/* Report r's outcome for each of its events and free it; r must be detached already. */
static size_t complete(cer_sink *s, hreq *r, int err, const char *reason)
{
    size_t n = r->n;
    s->nevents -= n;
    s->nbytes -= r->body.len;
    for (size_t i = 0; i < n; i++)
        if (s->cb)
            s->cb(r->opaques[i], err, reason);
    hreq_free(r);
    return n;
}

/* Close the open batch and queue it for sending. */
static void seal(cer_sink *s)
{
    hreq *r = s->open;
    if (!r || r->n == 0)
        return;
    if (ce_buf_append(&r->body, "]", 1)) {
        s->open = NULL;
        complete(s, r, CE_ENOMEM, "http: out of memory");
        return;
    }
    s->nbytes++;
    s->open = NULL;
    enqueue(s, r);
}

/* ---- transfers ------------------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    slot *sl = ud;
    size_t len = size * n;
    if (sl->resp.len < CER_HTTP_ERR_BODY)
        ce_buf_append(&sl->resp, p,
                      len < CER_HTTP_ERR_BODY - sl->resp.len ? len
                                                             : CER_HTTP_ERR_BODY - sl->resp.len);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    slot *sl = ud;
    size_t len = size * n;
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) /* a new response: forget the previous one */
        sl->retry_after_ms = -1;
    else if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0)
        sl->retry_after_ms = cer__http_retry_after_ms(p + 12, len - 12, time(NULL));
    return len;
}

static int slot_init(cer_sink *s, slot *sl)
{
    CURL *c = sl->easy = curl_easy_init();
    if (!c)
        return CE_ENOMEM;
    long connect_ms =
        s->timeout_ms < CER_HTTP_CONNECT_TIMEOUT_MS ? s->timeout_ms : CER_HTTP_CONNECT_TIMEOUT_MS;
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sl);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, sl);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, sl->err);
    curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)sl);
    return 0;
}

/* Hand r to an idle slot. Returns 0, or a negative code with r untouched. */
static int start(cer_sink *s, hreq *r)
{
    slot *sl = NULL;
    for (int i = 0; i < CER_HTTP_MAX_INFLIGHT && !sl; i++)
        if (!s->slots[i].r)
            sl = &s->slots[i];
    assert(sl);
    if (!sl->easy && slot_init(s, sl) != 0)
        return CE_ENOMEM;
    CURL *c = sl->easy;
    sl->retry_after_ms = -1;
    sl->resp.len = 0;
    sl->err[0] = 0;
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body.ptr ? r->body.ptr : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->hdrs ? r->hdrs : s->common);
    if (curl_multi_add_handle(s->multi, c) != CURLM_OK)
        return CE_ENOMEM;
    sl->r = r;
    r->attempts++;
    r->epoch = s->epoch;
    s->nfly++;
    return 0;
}

/* Start waiting requests in order while slots are free. The head of the queue holds back the
 * rest until its backoff has passed, and after a retriable failure only one request is in
 * flight until one succeeds. */
static void start_ready(cer_sink *s)
{
    int limit = s->degraded ? 1 : CER_HTTP_MAX_INFLIGHT;
    int64_t now = now_ns();
    while (s->wait_head && s->nfly < limit && s->wait_head->not_before <= now) {
        hreq *r = s->wait_head;
        if (start(s, r) != 0)
            break; /* out of memory: try again on the next poll */
        dequeue(s);
    }
}

static bool retriable_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_LOGIN_DENIED:
    case CURLE_REMOTE_ACCESS_DENIED:
    case CURLE_TOO_MANY_REDIRECTS:
        return false;
    default:
        return true;
    }
}

/* Full jitter: uniform in [0, min(max, base * 2^(attempts-1))] milliseconds. */
static long backoff_ms(cer_sink *s, int attempts)
{
    long ceil = s->backoff_base_ms;
    for (int i = 1; i < attempts && ceil < CER_HTTP_BACKOFF_MAX_MS; i++)
        ceil *= 2;
    if (ceil > CER_HTTP_BACKOFF_MAX_MS)
        ceil = CER_HTTP_BACKOFF_MAX_MS;
    return (long)(next_rand(s) % (uint64_t)(ceil + 1));
}

/* The start of the response body for a reason: printable ASCII, the rest as '?'. */
static void body_excerpt(const ce_buf *b, char *out, size_t out_size)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len && n + 1 < out_size; i++) {
        unsigned char ch = (unsigned char)b->ptr[i];
        out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ch == '\n' || ch == '\t' ? ' ' : '?';
    }
    out[n] = 0;
}

/* A transfer ended: deliver, fail, or schedule the retry. Returns callbacks fired. */
static size_t finished(cer_sink *s, slot *sl, CURLcode cc, long status)
{
    hreq *r = sl->r;
    sl->r = NULL;
    s->nfly--;
    /* A decisive answer to a request started after the last retriable failure ends the
     * one-at-a-time mode; answers to requests that were already in flight do not. */
    bool probe = r->epoch == s->epoch;
    if (cc == CURLE_OK && status >= 200 && status < 300) {
        if (probe)
            s->degraded = false;
        return complete(s, r, 0, NULL);
    }
    char why[CER_HTTP_ERR_BODY + CURL_ERROR_SIZE + 256];
    bool retry;
    if (cc != CURLE_OK) {
        retry = retriable_curl(cc);
        snprintf(why, sizeof why, "http: POST %s: %s", s->url,
                 sl->err[0] ? sl->err : curl_easy_strerror(cc));
    } else {
        retry = status == 408 || status == 429 || (status >= 500 && status <= 599);
        char body[CER_HTTP_ERR_BODY + 1];
        body_excerpt(&sl->resp, body, sizeof body);
        snprintf(why, sizeof why, "http: status %ld from %s: %s", status, s->url, body);
        if (!retry && probe)
            s->degraded = false; /* the server is up; this request is at fault */
    }
    if (!retry) /* a 4xx answer other than 408/429: this request can never succeed */
        return complete(s, r, cc == CURLE_OK ? CER_SINK_EREJECTED : CER_SINK_ETRANSPORT, why);
    s->degraded = true;
    s->epoch++;
    if (s->max_attempts > 0 && r->attempts >= s->max_attempts) {
        size_t len = strlen(why);
        snprintf(why + len, sizeof why - len, " (gave up after %d attempts)", r->attempts);
        return complete(s, r, CER_SINK_ETRANSPORT, why);
    }
    long wait = backoff_ms(s, r->attempts);
    if (sl->retry_after_ms > wait)
        wait = sl->retry_after_ms;
    r->not_before = now_ns() + (int64_t)wait * 1000000;
    enqueue(s, r);
    return 0;
}

/* Collect finished transfers, adding the callbacks fired to *fired. Returns the transfers. */
static int reap(cer_sink *s, size_t *fired)
{
    int done = 0;
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(s->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *c = m->easy_handle;
        CURLcode cc = m->data.result; /* m is invalid once the handle is removed */
        void *priv = NULL;
        long status = 0, nconn = 0;
        curl_easy_getinfo(c, CURLINFO_PRIVATE, &priv);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nconn);
        curl_multi_remove_handle(s->multi, c);
        s->connects += nconn;
        *fired += finished(s, priv, cc, status);
        done++;
    }
    return done;
}

/* One round without waiting: start what may start, let libcurl work, report outcomes; again
 * while transfers finish (their slots are free, or a retry may be due). Every perform is
 * followed by a reap, so nothing finished is left unreported while drive() waits. Returns
 * callbacks fired. */
static size_t step(cer_sink *s)
{
    size_t fired = 0;
    for (int pass = 0; pass < 4; pass++) {
        int running;
        start_ready(s);
        curl_multi_perform(s->multi, &running);
        if (reap(s, &fired) == 0)
            break;
    }
    return fired;
}

/* Drive transfers until `deadline` (monotonic ns), everything is acknowledged, or (when
 * any_callback) at least one callback has fired. Waits only in curl_multi_poll. */
static void drive(cer_sink *s, int64_t deadline, bool any_callback)
{
    for (;;) {
        size_t fired = step(s);
        if (s->nevents == 0 || (any_callback && fired))
            return;
        int64_t now = now_ns();
        if (now >= deadline)
            return;
        int64_t wait = deadline - now;
        int limit = s->degraded ? 1 : CER_HTTP_MAX_INFLIGHT;
        if (s->wait_head && s->nfly < limit && s->wait_head->not_before - now < wait)
            wait = s->wait_head->not_before - now;
        int wait_ms = wait <= 0 ? 0 : (int)((wait + 999999) / 1000000);
        curl_multi_poll(s->multi, NULL, 0, wait_ms, NULL);
    }
}

/* ---- the sink interface ---------------------------------------------------------------------- */

static void sink_close(cer_sink *s)
{
    if (!s)
        return;
    /* Everything unacknowledged, in submission order: in flight, waiting, the open batch. */
    for (int i = 0; i < CER_HTTP_MAX_INFLIGHT; i++) {
        slot *sl = &s->slots[i];
        if (sl->r) {
            curl_multi_remove_handle(s->multi, sl->easy);
            enqueue(s, sl->r);
            sl->r = NULL;
        }
    }
    s->nfly = 0;
    if (s->open && s->open->n)
        enqueue(s, s->open);
    else if (s->open)
        hreq_free(s->open);
    s->open = NULL;
    for (hreq *r; (r = dequeue(s)) != NULL;)
        complete(s, r, CER_SINK_EPURGED, "http: sink closed before the event was acknowledged");
    for (int i = 0; i < CER_HTTP_MAX_INFLIGHT; i++) {
        if (s->slots[i].easy)
            curl_easy_cleanup(s->slots[i].easy);
        ce_buf_free(&s->slots[i].resp);
    }
    if (s->multi)
        curl_multi_cleanup(s->multi);
    curl_slist_free_all(s->extra);
    curl_slist_free_all(s->common);
    ce_http_msg_destroy(s->msg);
    ce_buf_free(&s->line);
    free(s->url);
    free(s);
    curl_global_cleanup();
}

static int sink_open(cer_sink **out, const cer_sink_conf *c, char *errstr, size_t errstr_size)
{
    *out = NULL;
    if (!c->url || (strncmp(c->url, "http://", 7) != 0 && strncmp(c->url, "https://", 8) != 0)) {
        snprintf(errstr, errstr_size, "http: url must start with http:// or https://");
        return CE_EINVAL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(errstr, errstr_size, "http: cannot initialise libcurl");
        return CE_ENOMEM;
    }
    cer_sink *s = calloc(1, sizeof *s);
    if (!s) {
        curl_global_cleanup();
        return CE_ENOMEM;
    }
    s->mode = c->mode ? c->mode : CE_MODE_STRUCTURED;
    s->batch_size =
        s->mode == CE_MODE_BATCH ? (c->batch_size ? c->batch_size : CER_HTTP_DEFAULT_BATCH) : 1;
    if (s->batch_size > CER_HTTP_MAX_QUEUED)
        s->batch_size = CER_HTTP_MAX_QUEUED;
    s->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : CER_HTTP_DEFAULT_TIMEOUT_MS;
    s->cb = c->on_delivery;
    /* 0 = no limit: behind the emitter's disk buffer the data is safe on disk, and giving up
     * would move events to the dead letters during an ordinary outage */
    s->max_attempts = c->retry_forever ? 0 : CER_HTTP_MAX_ATTEMPTS;
    s->backoff_base_ms = CER_HTTP_BACKOFF_BASE_MS;
    if (getrandom(&s->rng, sizeof s->rng, GRND_NONBLOCK) != (ssize_t)sizeof s->rng)
        s->rng = (uint64_t)now_ns();
    s->rng |= 1;
    ce_buf_init(&s->line);
    for (int i = 0; i < CER_HTTP_MAX_INFLIGHT; i++)
        ce_buf_init(&s->slots[i].resp);
    s->url = strdup(c->url);
    s->msg = ce_http_msg_new(0);
    s->multi = curl_multi_init();
    if (!s->url || !s->msg || !s->multi) {
        sink_close(s);
        return CE_ENOMEM;
    }
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)CER_HTTP_MAX_INFLIGHT);
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)CER_HTTP_MAX_INFLIGHT);
    ce_buf tmp;
    ce_buf_init(&tmp);
    int rc = 0;
    for (const char *const *h = c->headers; h && *h && !rc; h++) {
        if (!strchr(*h, ':')) {
            snprintf(errstr, errstr_size, "http: header '%s': expected 'Name: value'", *h);
            rc = CE_EINVAL;
            break;
        }
        char why[200];
        if ((rc = expand_env(*h, &tmp, why, sizeof why)) != 0) {
            snprintf(errstr, errstr_size, "http: header: %s", why);
            break;
        }
        struct curl_slist *n = curl_slist_append(s->extra, tmp.ptr);
        if (!n)
            rc = CE_ENOMEM;
        else
            s->extra = n;
    }
    ce_buf_free(&tmp);
    if (!rc && s->mode != CE_MODE_BINARY) {
        const char *ct = s->mode == CE_MODE_BATCH ? CE_BIND_CT_BATCH : CE_BIND_CT_STRUCTURED;
        ce_slice name = {"Content-Type", 12}, value = {ct, strlen(ct)};
        if (add_header(&s->common, &s->line, name, value) || add_extra(s, &s->common))
            rc = CE_ENOMEM;
    }
    if (rc) {
        if (rc == CE_ENOMEM)
            snprintf(errstr, errstr_size, "http: out of memory");
        sink_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Binary mode: encode ev into a request of its own with its own headers. */
static int encode_binary(cer_sink *s, hreq *r, const ce_event *ev, char *errstr, size_t errstr_size)
{
    int rc = ce_http_encode(s->msg, ev, CE_MODE_BINARY, 0, errstr, errstr_size);
    if (rc)
        return rc;
    ce_http_message m = ce_http_msg_view(s->msg);
    for (size_t i = 0; i < m.header_count && !rc; i++)
        rc = add_header(&r->hdrs, &s->line, m.headers[i].name, m.headers[i].value);
    if (!rc)
        rc = add_extra(s, &r->hdrs);
    if (!rc && m.body.len)
        rc = ce_buf_append(&r->body, m.body.ptr, m.body.len);
    if (rc == CE_ETOOBIG)
        snprintf(errstr, errstr_size, "http: event data exceeds %zu bytes",
                 (size_t)CE_BIND_DEFAULT_MAX_BYTES);
    else if (rc)
        snprintf(errstr, errstr_size, "http: out of memory");
    return rc;
}

/* Batch mode: append ev to the open batch (a new one if needed); send the batch once full. An
 * event too big for the rest of a non-empty batch closes it and starts the next. */
static int submit_batch(cer_sink *s, const ce_event *ev, void *opaque, char *errstr,
                        size_t errstr_size)
{
    if (!s->open) {
        size_t cap = s->batch_size < 64 ? s->batch_size : 64;
        if (!(s->open = hreq_new(s, cap)))
            return CE_ENOMEM;
    }
    hreq *r = s->open;
    if (r->n == r->cap) {
        size_t cap = r->cap * 2 < s->batch_size ? r->cap * 2 : s->batch_size;
        void **p =
            r->opaques == &r->one ? malloc(cap * sizeof *p) : realloc(r->opaques, cap * sizeof *p);
        if (!p)
            return CE_ENOMEM;
        if (r->opaques == &r->one)
            p[0] = r->one;
        r->opaques = p;
        r->cap = cap;
    }
    size_t before = r->body.len;
    int rc = ce_buf_append(&r->body, r->n ? "," : "[", 1);
    if (!rc)
        rc = ce_json_encode(ev, 0, &r->body, errstr, errstr_size);
    if (rc) {
        r->body.len = before;
        if (rc == CE_ETOOBIG && r->n > 0) {
            seal(s);
            return submit_batch(s, ev, opaque, errstr, errstr_size);
        }
        return rc;
    }
    r->opaques[r->n++] = opaque;
    s->nevents++;
    s->nbytes += r->body.len - before;
    if (r->n == s->batch_size || r->body.len >= CER_HTTP_MAX_BATCH_BYTES ||
        s->nevents >= CER_HTTP_MAX_QUEUED || s->nbytes >= CER_HTTP_MAX_QUEUE_BYTES)
        seal(s); /* full, or the queue is: send it rather than wait for a flush */
    return 0;
}

static int sink_submit(cer_sink *s, const ce_event *ev, void *opaque, char *errstr,
                       size_t errstr_size)
{
    if (s->nevents >= CER_HTTP_MAX_QUEUED || s->nbytes >= CER_HTTP_MAX_QUEUE_BYTES)
        return CER_SINK_EQUEUE;
    int rc;
    if (s->mode == CE_MODE_BATCH)
        return submit_batch(s, ev, opaque, errstr, errstr_size);
    hreq *r = hreq_new(s, 1);
    if (!r)
        return CE_ENOMEM;
    if (s->mode == CE_MODE_BINARY)
        rc = encode_binary(s, r, ev, errstr, errstr_size);
    else
        rc = ce_json_encode(ev, 0, &r->body, errstr, errstr_size);
    if (rc) {
        hreq_free(r);
        return rc;
    }
    r->one = opaque;
    r->n = 1;
    s->nevents++;
    s->nbytes += r->body.len;
    enqueue(s, r);
    return 0;
}

static size_t sink_poll(cer_sink *s, int timeout_ms)
{
    drive(s, now_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000, true);
    return s->nevents;
}

static int sink_flush(cer_sink *s, int timeout_ms)
{
    seal(s);
    drive(s, now_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000, false);
    return s->nevents ? CER_SINK_ETIMEOUT : 0;
}

void cer__http_sink_test_tune(cer_sink *s, int max_attempts, long backoff_base_ms)
{
    s->max_attempts = max_attempts > 0 ? max_attempts : CER_HTTP_MAX_ATTEMPTS;
    s->backoff_base_ms = backoff_base_ms > 0 ? backoff_base_ms : CER_HTTP_BACKOFF_BASE_MS;
}

long cer__http_sink_test_connects(cer_sink *s)
{
    return s->connects;
}

const cer_sink_ops cer_sink_http = {
    .name = "http",
    .open = sink_open,
    .submit = sink_submit,
    .poll = sink_poll,
    .flush = sink_flush,
    .close = sink_close,
};
