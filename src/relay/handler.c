/* What a request to the relay means, independent of the HTTP library: POST /events (through
 * the pipeline), /healthz, /readyz, /metrics, bearer auth, and every error as RFC 9457
 * application/problem+json with the one reason table (src/pipeline/reason.c). Answers are
 * stored in the request and sent by the transport (http.c, or cer__relay_request for tests). */
#include <limits.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "relay/fresh.h"
#include "relay/ratelimit.h"
#include "relay/http.h"
#include "sink/sink.h"

enum { MAX_PROBLEMS = 100 };

/* ---- request lifetime -------------------------------------------------------------------- */

req *cer__relay_req_new(relay *r, int kind, struct MHD_Connection *conn, const char *method,
                        const char *url)
{
    req *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->refs = 1;
    q->r = r;
    q->kind = kind;
    q->conn = conn;
    q->t0 = cer_mono_ns();
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    q->arrival_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    snprintf(q->method, sizeof q->method, "%s", method);
    snprintf(q->url, sizeof q->url, "%s", url);
    ce_buf_init(&q->body);
    ce_buf_init(&q->out);
    /* A request's own state counts against limits.max_memory_bytes too: under ack: remote it
     * lives until its last event's delivery report, however long the destination is away. */
    atomic_fetch_add(&r->body_bytes, sizeof *q);
    atomic_fetch_add(&r->metrics.requests, 1);
    return q;
}

bool cer__relay_req_add_header(req *q, ce_slice name, ce_slice value)
{
    if (q->nhdrs == q->hcap) {
        size_t ncap = q->hcap ? q->hcap * 2 : 16;
        if (ncap > RELAY_MAX_HEADERS)
            return false;
        ce_header *n = realloc(q->hdrs, sizeof *n * ncap);
        if (!n)
            return false;
        q->hdrs = n;
        q->hcap = ncap;
    }
    q->hdrs[q->nhdrs].name = name;
    q->hdrs[q->nhdrs].value = value;
    q->nhdrs++;
    return true;
}

void cer__relay_req_unref(req *q)
{
    pthread_mutex_lock(&q->mu);
    int left = --q->refs;
    pthread_mutex_unlock(&q->mu);
    if (left > 0)
        return;
    cer__relay_req_drop_body(q);
    ce_buf_free(&q->out);
    atomic_fetch_sub(&q->r->body_bytes, sizeof *q);
    free(q->fresh);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
}

void cer__relay_req_drop_body(req *q)
{
    atomic_fetch_sub(&q->r->body_bytes, q->body_counted);
    q->body_counted = 0;
    ce_buf_free(&q->body);
    free(q->hdrs); /* they borrow from the connection, which is done with them too */
    q->hdrs = NULL;
    q->nhdrs = q->hcap = 0;
}

const char *cer__relay_req_header(const req *q, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < q->nhdrs; i++)
        if (q->hdrs[i].name.len == n && strncasecmp(q->hdrs[i].name.ptr, name, n) == 0)
            return q->hdrs[i].value.ptr;
    return NULL;
}

/* ---- responses ---------------------------------------------------------------------------- */

void cer__relay_respond(req *q, unsigned status, const char *ctype, const char *body, size_t len,
                        const char *xname, const char *xvalue)
{
    q->has_resp = true;
    q->status = status;
    q->ctype = ctype;
    q->out.len = 0;
    ce_buf_append(&q->out, body, len);
    snprintf(q->xname, sizeof q->xname, "%s", xname ? xname : "");
    snprintf(q->xvalue, sizeof q->xvalue, "%s", xvalue ? xvalue : "");
}

/* Append s as a JSON string (the core's encoder rules: only ", \ and controls escaped). */
static void json_str(ce_buf *b, const char *s, size_t n)
{
    ce_buf_append(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            ce_buf_append(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            ce_buf_append(b, esc, 6);
        } else {
            ce_buf_append(b, &s[i], 1);
        }
    }
    ce_buf_append(b, "\"", 1);
}

static void bufprintf(ce_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bufprintf(ce_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        ce_buf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* cer__relay_problem with extra members (`members`: ",\"name\":value..." or NULL) and an explicit
 * Retry-After (NULL: the reason's own). */
static void problem_ex(req *q, cer_reason r, const char *detail, const char *errors_json,
                       const char *members, const char *retry_after);

void cer__relay_problem(req *q, cer_reason r, const char *detail, const char *errors_json)
{
    problem_ex(q, r, detail, errors_json, NULL, NULL);
}

static void problem_ex(req *q, cer_reason r, const char *detail, const char *errors_json,
                       const char *members, const char *retry_after)
{
    const cer_reason_info *ri = cer_reason_get(r);
    atomic_fetch_add(&q->r->metrics.rejected[r < CER_REASON_COUNT ? r : CER_REASON_INTERNAL], 1);
    cer__relay_log_sampled(q->r, CER_CONFIG_LEVEL_INFO, "rejected", ri->kind, SIZE_MAX,
                           "rejected %s %.200s: %u %s: %s", q->method, q->url, ri->status,
                           ri->title, detail);
    snprintf(q->detail, sizeof q->detail, "%s", detail);
    ce_buf b;
    ce_buf_init(&b);
    bufprintf(&b, "{\"type\":\"urn:cerelay:problem:%s\",\"title\":", ri->kind);
    json_str(&b, ri->title, strlen(ri->title));
    bufprintf(&b, ",\"status\":%u,\"detail\":", ri->status);
    json_str(&b, detail, strlen(detail));
    if (errors_json)
        bufprintf(&b, ",\"errors\":%s", errors_json);
    if (members)
        ce_buf_append(&b, members, strlen(members));
    ce_buf_append(&b, "}", 1);
    const char *xn = NULL, *xv = NULL;
    if (retry_after)
        xn = MHD_HTTP_HEADER_RETRY_AFTER, xv = retry_after;
    else if (r == CER_REASON_OVERLOADED || r == CER_REASON_DELIVERY || r == CER_REASON_ACK_TIMEOUT)
        xn = MHD_HTTP_HEADER_RETRY_AFTER, xv = "1";
    else if (r == CER_REASON_METHOD)
        xn = MHD_HTTP_HEADER_ALLOW,
        xv = q->kind == LISTEN_EVENTS || strncmp(q->url, "/v1/", 4) == 0 ? "POST" : "GET";
    else if (r == CER_REASON_UNAUTHORIZED)
        xn = MHD_HTTP_HEADER_WWW_AUTHENTICATE, xv = "Bearer";
    cer__relay_respond(q, ri->status, "application/problem+json", b.ptr ? b.ptr : "", b.len, xn,
                       xv);
    ce_buf_free(&b);
}

/* The problem for a batch the pipeline refused: errors[] names each rejected event. */
static void batch_problem(req *q, cer_batch *b, cer_reason outcome)
{
    ce_buf e;
    ce_buf_init(&e);
    size_t bad = 0, n = cer_batch_count(b), first = 0;
    for (size_t i = 0; i < n; i++) {
        const cer_item *it = cer_batch_item(b, i);
        if (it->verdict != CER_VERDICT_REJECTED)
            continue;
        if (bad++ == 0)
            first = i;
        if (bad > MAX_PROBLEMS)
            continue;
        ce_buf_append(&e, bad > 1 ? "," : "[", 1);
        bufprintf(&e, "{\"index\":%zu,\"detail\":", i);
        json_str(&e, it->detail, strlen(it->detail));
        ce_buf_append(&e, "}", 1);
    }
    ce_buf_append(&e, "]", 2); /* with its NUL: used as a C string */
    char d[512];
    const cer_item *f = cer_batch_item(b, first);
    if (outcome == CER_REASON_TOO_LARGE)
        snprintf(d, sizeof d, "event %zu: %s; nothing was accepted", first, f->detail);
    else if (outcome == CER_REASON_GOVERNANCE)
        snprintf(d, sizeof d, "event %zu: %s; nothing was accepted", first, f->detail);
    else
        snprintf(d, sizeof d,
                 "%zu of %zu event(s) are invalid; the request was rejected whole and nothing "
                 "was accepted",
                 bad, n);
    cer__relay_problem(q, outcome, d, e.ptr);
    ce_buf_free(&e);
}

/* ---- /events ------------------------------------------------------------------------------ */

void cer__relay_answer_events_done(req *q)
{
    relay *r = q->r;
    if (q->failed) {
        char detail[512];
        snprintf(detail, sizeof detail,
                 "%zu of %zu event(s) were not acknowledged by the destination: %s "
                 "(nothing is reported as accepted; retrying may duplicate the others)",
                 q->failed, q->nevents, q->fail_reason);
        /* An event the destination can never take makes the request one that retrying cannot
         * fix: 422, without Retry-After. */
        cer__relay_problem(q,
                           q->timed_out           ? CER_REASON_ACK_TIMEOUT
                           : q->undeliverable > 0 ? CER_REASON_UNDELIVERABLE
                                                  : CER_REASON_DELIVERY,
                           detail, NULL);
        return;
    }
    int64_t lat = cer_mono_ns() - q->t0;
    cer__relay_metrics_observe_latency(&r->metrics, lat);
    for (size_t i = 0, j; q->fresh && i < q->nevents; i = j) { /* runs of one series */
        for (j = i + 1; j < q->nevents && q->fresh[j] == q->fresh[i]; j++)
            ;
        if (q->fresh[i] != UCHAR_MAX)
            cer__relay_fresh_ack(r->metrics.fresh, q->fresh[i], j - i, lat);
    }
    if (q->kind == LISTEN_OTLP) {
        cer__relay_otlp_answer(q);
        return;
    }
    char body[96];
    int n = q->denied ? snprintf(body, sizeof body, "{\"accepted\":%zu,\"denied\":%zu}", q->nevents,
                                 q->denied)
                      : snprintf(body, sizeof body, "{\"accepted\":%zu}", q->nevents);
    cer__relay_respond(q, MHD_HTTP_ACCEPTED, "application/json", body, (size_t)n, NULL, NULL);
}

/* Memory admission: the emitter's bytes (queued and in flight) plus the request bodies held
 * now, against limits.max_memory_bytes. */
bool cer__relay_over_memory(relay *r, uint64_t extra)
{
    cer_emitter_stats st;
    cer_emitter_stats_get(r->em, &st);
    return st.queue_bytes + atomic_load(&r->body_bytes) + extra > r->cfg.limits.max_memory_bytes;
}

static void handle_events(req *q)
{
    relay *r = q->r;
    cer_pipeline *pl = relay_pipeline(r);
    if (strcmp(q->method, "POST") != 0) {
        cer__relay_problem(q, CER_REASON_METHOD, "POST events to this endpoint", NULL);
        return;
    }
    if (q->too_big) {
        char d[160];
        snprintf(d, sizeof d, "the body exceeds limits.max_body_bytes (%llu bytes)",
                 (unsigned long long)cer_pipeline_config(pl)->limits.max_body_bytes);
        cer__relay_problem(q, CER_REASON_TOO_LARGE, d, NULL);
        return;
    }
    if (q->overloaded || cer__relay_over_memory(r, 0)) {
        cer__relay_problem(q, CER_REASON_OVERLOADED,
                           "the relay holds limits.max_memory_bytes of events; retry later", NULL);
        return;
    }
    ce_http_message msg = {q->hdrs, q->nhdrs, {q->body.ptr ? q->body.ptr : "", q->body.len}};
    cer_batch *b = cer_batch_new();
    if (!b) {
        cer__relay_problem(q, CER_REASON_OVERLOADED, "out of memory", NULL);
        return;
    }
    char err[512];
    cer_reason rc = cer_pipeline_decode_http(pl, &msg, b, err, sizeof err);
    if (rc != CER_REASON_NONE) {
        cer__relay_problem(q, rc, err, NULL);
        cer_batch_destroy(b);
        return;
    }
    atomic_fetch_add(&r->metrics.received, cer_batch_count(b));
    cer__relay_submit(q, b);
    cer_batch_destroy(b);
}

static void settle(req *q, int err, const char *reason);

/* The request's policy dead letters are durable (or failed): one more settled slot. */
static void dead_letters_done(void *opaque, int err, const char *reason)
{
    req *q = opaque;
    if (err)
        atomic_fetch_add(&q->r->pshared.dead_letter_failed, 1);
    settle(q, err, reason);
    cer__relay_req_unref(q);
}

/* Run the pipeline over b, then hand the accepted events to the emitter as one unit and answer
 * now (ack: none) or once every event (and the dead letters) is acknowledged; the connection is
 * suspended meanwhile. Shared by /events and the OTLP endpoints. The caller keeps b. */
/* limits.tenant_rate: true when the request may go on, else it is answered 429 naming the
 * tenant over its limit. */
static bool within_tenant_rate(req *q, cer_batch *b)
{
    relay *r = q->r;
    size_t n = cer_batch_count(b);
    if (!r->ratelimit || n == 0 || relay_live(r)->limits.tenant_rate.rate == 0)
        return true;
    for (size_t i = 0; i < n; i++) /* a request with a bad element is refused whole (400) */
        if (!cer_batch_item(b, i)->ev || cer_batch_item(b, i)->verdict == CER_VERDICT_REJECTED)
            return true;
    const ce_event **evs = malloc(n * sizeof *evs);
    if (!evs) {
        cer__relay_problem(q, CER_REASON_OVERLOADED, "out of memory", NULL);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        evs[i] = cer_batch_item(b, i)->ev;
    relay_ratelimit_refusal why;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int rc = cer__relay_ratelimit_take(r->ratelimit, relay_live(r), evs, n,
                                       (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, &why);
    free(evs);
    if (rc == 0)
        return true;
    if (rc != 1) {
        cer__relay_problem(q, CER_REASON_OVERLOADED, "out of memory", NULL);
        return false;
    }
    char detail[400], ra[16];
    ce_buf m;
    ce_buf_init(&m);
    snprintf(detail, sizeof detail,
             "tenant '%s' is over its rate limit (%lld events/s, burst %lld); retry after %u s",
             why.tenant, (long long)why.rate, (long long)why.burst, why.retry_after_s);
    ce_buf_append(&m, ",\"tenant\":", 10);
    json_str(&m, why.tenant, strlen(why.tenant));
    ce_buf_append(&m, "", 1);
    snprintf(ra, sizeof ra, "%u", why.retry_after_s);
    problem_ex(q, CER_REASON_RATE_LIMITED, detail, NULL, m.ptr, ra);
    ce_buf_free(&m);
    return false;
}

/* mTLS: every event carries the client certificate's subject as the `clientsubject`
 * extension (for routes, policy and the rate-limit key); a client cannot set it itself. */
static void stamp_client_subject(req *q, cer_batch *b)
{
    for (size_t i = 0; i < cer_batch_count(b); i++) {
        ce_event *ev = cer_batch_item(b, i)->ev;
        if (!ev)
            continue;
        if (q->client_subject[0])
            ce_event_set(ev, "clientsubject", CE_TYPE_STRING, q->client_subject,
                         strlen(q->client_subject), NULL, 0);
        else
            ce_event_unset(ev, "clientsubject");
    }
}

void cer__relay_submit(req *q, cer_batch *b)
{
    relay *r = q->r;
    stamp_client_subject(q, b);
    if (!within_tenant_rate(q, b))
        return;
    cer_pipeline *pl = relay_pipeline(r);
    cer_reason outcome = cer_pipeline_process(pl, b, CER_PIPELINE_WHOLE);
    if (outcome != CER_REASON_NONE) {
        batch_problem(q, b, outcome);
        return;
    }
    for (size_t i = 0; i < cer_batch_count(b); i++) { /* catalog warnings: type and count only */
        const cer_item *it = cer_batch_item(b, i);
        if (it->catalog_warned) {
            ce_slice t = ce_event_get_str(it->ev, "type");
            cer__relay_log_sampled(r, CER_CONFIG_LEVEL_WARN, "catalog", t.ptr, t.len,
                                   "catalog: type %.*s breaks its schema (the latest event: %zu "
                                   "violation(s)); delivered (mode warn)",
                                   (int)(t.len > 128 ? 128 : t.len), t.ptr, it->catalog_warned);
        }
        if (it->verdict == CER_VERDICT_DENIED)
            cer__relay_log_sampled(r, CER_CONFIG_LEVEL_DEBUG, "policy", it->rule, SIZE_MAX,
                                   "policy: denied by '%s'%s%s", it->rule,
                                   it->detail[0] ? ": " : "", it->detail);
    }
    size_t n = 0;
    const ce_event *const *evs = cer_batch_accepted(b, &n);
    if (!evs) {
        cer__relay_problem(q, CER_REASON_OVERLOADED, "out of memory", NULL);
        return;
    }
    /* ack none answers now: the events do not carry the request (their callbacks need not
     * find it), so nothing of the request outlives the answer but a dead-letter group */
    bool wait = r->ack != CER_CONFIG_ACK_NONE;
    size_t evrefs = wait ? n : 0;
    q->denied = cer_batch_count_verdict(b, CER_VERDICT_DENIED);
    pthread_mutex_lock(&q->mu);
    q->nevents = n;
    q->waiting = wait;
    q->pending = wait ? n + 1 : 0; /* +1: the dead letters' group, settled below */
    q->refs += (int)evrefs + 1;
    pthread_mutex_unlock(&q->mu);
    /* dead letters first: if the emitter then refuses, a retry may dead-letter twice, but a
     * dead letter is never lost */
    int dl = cer_pipeline_dead_letter(pl, b, dead_letters_done, q);
    if (dl == CER_PIPELINE_DLQ_FULL) {
        pthread_mutex_lock(&q->mu);
        q->refs -= (int)evrefs + 1;
        q->pending = 0;
        pthread_mutex_unlock(&q->mu);
        cer__relay_problem(q, CER_REASON_OVERLOADED,
                           "the dead-letter writer is behind; retry later", NULL);
        return;
    }
    if (dl == 0) { /* no group: settle its slot now */
        pthread_mutex_lock(&q->mu);
        q->refs--;
        if (wait)
            q->pending--;
        pthread_mutex_unlock(&q->mu);
    } else if (!wait) {
        /* ack none: the dead letters are written in the background; the reference they hold
         * keeps the request alive until then */
    }
    char err[512];
    int rc = 0;
    /* The routes the pipeline rendered (once, at ingest) go with the events: the emitter and
     * the sinks do not route or render them again. */
    const char **topics = NULL;
    ce_slice *keys = NULL;
    void **opaques = NULL;
    if (n > 0) {
        topics = malloc(sizeof *topics * n);
        keys = malloc(sizeof *keys * n);
        opaques = wait ? malloc(sizeof *opaques * n) : NULL;
        if (!topics || !keys || (wait && !opaques)) {
            rc = CE_ENOMEM;
            snprintf(err, sizeof err, "out of memory");
        }
    }
    size_t nk = 0;
    for (size_t i = 0; rc == 0 && i < cer_batch_count(b) && nk < n; i++) {
        const cer_item *it = cer_batch_item(b, i);
        if (it->verdict != CER_VERDICT_ACCEPTED)
            continue;
        topics[nk] = it->topic;
        keys[nk] = (ce_slice){it->key, it->key_len};
        if (opaques)
            opaques[nk] = q;
        nk++;
    }
    if (rc == 0 && n > 0)
        rc = cer_emitter_emit_batch_routed(
            r->em, evs, n, opaques, nk == n && topics[0] ? topics : NULL, keys, err, sizeof err);
    free(topics);
    free(keys);
    free(opaques);
    if (rc) {
        pthread_mutex_lock(&q->mu);
        q->refs -= (int)evrefs;
        q->pending = q->pending >= n ? q->pending - n : 0;
        q->waiting = false; /* the answer is given now; a dead-letter group may still settle */
        pthread_mutex_unlock(&q->mu);
        if (rc == CER_EQUEUE_FULL || rc == CER_ECLOSED || rc == CE_ENOMEM)
            cer__relay_problem(q, CER_REASON_OVERLOADED,
                               rc == CER_ECLOSED ? "the relay is shutting down" : err, NULL);
        else
            cer__relay_problem(q, CER_REASON_INVALID, err, NULL);
        return;
    }
    atomic_fetch_add(&r->metrics.accepted, n);
    q->fresh = r->metrics.fresh ? malloc(n ? n : 1) : NULL;
    for (size_t i = 0, k = 0; i < cer_batch_count(b);
         i++) { /* the topic rendered by the pipeline */
        const cer_item *it = cer_batch_item(b, i);
        if (it->verdict == CER_VERDICT_ACCEPTED && it->topic)
            cer__relay_metrics_count_topic(&r->metrics, it->topic, strlen(it->topic));
        if (it->verdict == CER_VERDICT_ACCEPTED && q->fresh && k < n) { /* freshness */
            int s = cer__relay_fresh_series(r->metrics.fresh, it->ev, k ? q->fresh[k - 1] : -1);
            cer__relay_fresh_ingest(r->metrics.fresh, s, it->ev, q->arrival_ns);
            q->fresh[k++] = s < 0 ? UCHAR_MAX : (unsigned char)s;
        }
    }
    if (!wait) {
        cer__relay_answer_events_done(q);
        return;
    }
    pthread_mutex_lock(&q->mu);
    if (q->pending == 0) {
        pthread_mutex_unlock(&q->mu);
        cer__relay_answer_events_done(q);
        return;
    }
    q->suspended = true;
    if (q->conn)
        MHD_suspend_connection(q->conn);
    pthread_mutex_unlock(&q->mu);
    if (q->conn || q->on_resume)
        cer__relay_acks_track(q);
}

/* ---- emitter callbacks -------------------------------------------------------------------- */

static void settle(req *q, int err, const char *reason)
{
    pthread_mutex_lock(&q->mu);
    if (q->waiting && q->pending > 0) {
        if (err) {
            q->failed++;
            bool permanent = err == CER_EREJECTED || err == CER_EDEADLETTER;
            if (permanent)
                q->undeliverable++;
            if (permanent || q->undeliverable == 0) /* the reason shown is a permanent one */
                snprintf(q->fail_reason, sizeof q->fail_reason, "%s%s",
                         err == CER_EDEADLETTER ? "dead-lettered: " : "",
                         reason ? reason : "failed");
        }
        if (--q->pending == 0) {
            if (q->suspended && !q->resumed) {
                q->resumed = true;
                if (q->conn)
                    MHD_resume_connection(q->conn);
                else if (q->on_resume)
                    q->on_resume(q);
            }
            pthread_cond_broadcast(&q->cv);
        }
    }
    pthread_mutex_unlock(&q->mu);
}

/* A failed delivery is never silent: under ack none nobody else hears of it. One line per
 * kind of failure and logging.sample_interval at most, with the number of events since the
 * last line and the latest reason. */
static void log_failure(relay *r, int err, const char *reason)
{
    const char *kind = err == CER_EDEADLETTER ? "dead-lettered"
                       : err == CER_EREJECTED ? "refused for good by the destination"
                       : err == CER_EDROPPED  ? "dropped (buffer.when_full: drop_oldest)"
                       : err == CER_EDELIVERY ? "failed"
                                              : cer_err_name(err);
    cer__relay_log_sampled(r, CER_CONFIG_LEVEL_WARN, "not-delivered", kind, SIZE_MAX,
                           "events not delivered, latest %s: %s%s", kind,
                           reason ? reason : "no reason given",
                           r->ack == CER_CONFIG_ACK_NONE && err != CER_EDEADLETTER
                               ? " (ack: none: such events are lost)"
                               : "");
}

void cer__relay_on_delivery(void *ctx, void *opaque, int err, const char *reason)
{
    relay *r = ctx;
    req *q = opaque;
    if (err) {
        atomic_fetch_add(&r->metrics.ack_failed, 1);
        log_failure(r, err, reason);
    }
    if (!q) /* ack none, or an event buffered by an earlier process */
        return;
    if (r->ack == CER_CONFIG_ACK_REMOTE || (r->ack == CER_CONFIG_ACK_LOCAL && !q->local_ack))
        settle(q, err, reason);
    cer__relay_req_unref(q);
}

void cer__relay_on_persisted(void *ctx, void *opaque, int err)
{
    relay *r = ctx;
    req *q = opaque;
    if (q && r->ack == CER_CONFIG_ACK_LOCAL) {
        q->local_ack = true;
        settle(q, err, err ? "the durable append to the disk buffer failed" : NULL);
        /* buffer.forget_after_persist (set for ack: local): no delivery callback follows, so
         * the event's reference on the request ends here */
        cer__relay_req_unref(q);
    }
}

/* Called by the reaper when a suspended request waited longer than the ack timeout. */
void cer__relay_http_timeout(req *q)
{
    pthread_mutex_lock(&q->mu);
    if (q->waiting && q->pending > 0 && q->suspended && !q->resumed) {
        q->timed_out = true;
        q->failed = q->pending;
        snprintf(q->fail_reason, sizeof q->fail_reason,
                 "no acknowledgement within %d ms (events are still being delivered)",
                 q->r->ack_timeout_ms);
        q->pending = 0;
        q->resumed = true;
        if (q->conn)
            MHD_resume_connection(q->conn);
        else if (q->on_resume)
            q->on_resume(q);
    }
    pthread_mutex_unlock(&q->mu);
}

/* ---- other endpoints ---------------------------------------------------------------------- */

static void handle_ready(req *q)
{
    relay *r = q->r;
    cer_emitter_stats st;
    cer_emitter_stats_get(r->em, &st);
    const char *why = NULL;
    uint64_t mem = st.queue_bytes + atomic_load(&r->body_bytes);
    if (atomic_load(&r->draining))
        why = "draining";
    else if (mem > r->cfg.limits.max_memory_bytes / 10 * 9)
        why = "the relay holds over 90% of limits.max_memory_bytes";
    else if (r->cfg.buffer.type == CER_CONFIG_BUFFER_DISK &&
             st.buffer_bytes > r->cfg.buffer.max_bytes / 10 * 9)
        why = "the disk buffer is nearly full";
    if (why) {
        char body[160];
        int n = snprintf(body, sizeof body, "{\"status\":\"not ready\",\"reason\":\"%s\"}", why);
        cer__relay_respond(q, MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", body, (size_t)n,
                           NULL, NULL);
        return;
    }
    cer__relay_respond(q, MHD_HTTP_OK, "application/json", "{\"status\":\"ready\"}", 18, NULL,
                       NULL);
}

static void handle_metrics(req *q)
{
    ce_buf b;
    ce_buf_init(&b);
    cer__relay_metrics_render(&q->r->metrics, q->r->em, &b);
    if (q->r->ratelimit)
        cer__relay_ratelimit_render(q->r->ratelimit, &b);
    cer_pipeline_metrics(relay_pipeline(q->r), &b);
    char tmp[512];
    int n = snprintf(
        tmp, sizeof tmp,
        "# HELP cerelay_request_body_bytes Request bodies and request state held in memory now\n"
        "# TYPE cerelay_request_body_bytes gauge\ncerelay_request_body_bytes %llu\n"
        "# HELP cerelay_memory_limit_bytes limits.max_memory_bytes\n"
        "# TYPE cerelay_memory_limit_bytes gauge\ncerelay_memory_limit_bytes %llu\n",
        atomic_load(&q->r->body_bytes), (unsigned long long)q->r->cfg.limits.max_memory_bytes);
    ce_buf_append(&b, tmp, (size_t)n);
    cer__relay_respond(q, MHD_HTTP_OK, "text/plain; version=0.0.4", b.ptr ? b.ptr : "", b.len, NULL,
                       NULL);
    ce_buf_free(&b);
}

/* GET /status: the freshness percentiles per type and tenant (relay/fresh.h) as JSON. */
static void handle_status(req *q)
{
    relay_metrics *m = &q->r->metrics;
    ce_buf b;
    ce_buf_init(&b);
    bufprintf(&b,
              "{\"status\":\"%s\",\"events_received\":%llu,\"events_accepted\":%llu,"
              "\"freshness\":",
              atomic_load(&q->r->draining) ? "draining" : "ok", atomic_load(&m->received),
              atomic_load(&m->accepted));
    cer__relay_fresh_json(m->fresh, &b);
    ce_buf_append(&b, "}", 1);
    cer__relay_respond(q, MHD_HTTP_OK, "application/json", b.ptr, b.len, NULL, NULL);
    ce_buf_free(&b);
}

static bool authorized(req *q)
{
    const cer_config_strlist *toks = &relay_live(q->r)->listen.auth.bearer_tokens;
    if (toks->n == 0)
        return true;
    const char *h = cer__relay_req_header(q, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    for (size_t i = 0; i < toks->n; i++)
        if (strcmp(h + 7, toks->v[i]) == 0)
            return true;
    return false;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

void cer__relay_handle(req *q)
{
    relay *r = q->r;
    const char *url = q->url;
    if (q->header_too_big) {
        char d[160];
        snprintf(d, sizeof d, "the request headers exceed %zu bytes", RELAY_MAX_HEADER_BYTES);
        cer__relay_problem(q, CER_REASON_HEADER_TOO_LARGE, d, NULL);
        return;
    }
    if (strcmp(url, "/healthz") == 0) {
        cer__relay_respond(q, MHD_HTTP_OK, "application/json", "{\"status\":\"ok\"}", 15, NULL,
                           NULL);
        return;
    }
    if (strcmp(url, "/readyz") == 0) {
        handle_ready(q);
        return;
    }
    if (strcmp(url, "/status") == 0) {
        handle_status(q);
        return;
    }
    const cer_config *live = relay_live(r);
    if (live->metrics.enabled && live->metrics.path && strcmp(url, live->metrics.path) == 0) {
        handle_metrics(q);
        return;
    }
    if (!authorized(q)) {
        cer__relay_problem(q, CER_REASON_UNAUTHORIZED,
                           "a valid bearer token is required (Authorization: Bearer ...)", NULL);
        return;
    }
    if (q->kind == LISTEN_EVENTS && (strcmp(url, "/events") == 0 || strcmp(url, "/") == 0)) {
        handle_events(q);
    } else if (q->kind == LISTEN_OTLP &&
               (strcmp(url, "/v1/logs") == 0 || strcmp(url, "/v1/traces") == 0)) {
        cer__relay_handle_otlp(q);
    } else {
        char d[600];
        snprintf(d, sizeof d,
                 "no endpoint %.256s here (CloudEvents: POST /events; OTLP: POST "
                 "/v1/logs, /v1/traces; also /healthz, /readyz, /metrics, /status)",
                 url);
        cer__relay_problem(q, CER_REASON_NOT_FOUND, d, NULL);
    }
}

/* ---- direct calls --------------------------------------------------------------------------- */

unsigned cer__relay_request(relay *r, int kind, const char *method, const char *url,
                            const ce_header *hdrs, size_t nhdrs, const void *body, size_t len,
                            ce_buf *resp, char *ctype, size_t ctype_size)
{
    req *q = cer__relay_req_new(r, kind, NULL, method, url);
    if (!q)
        return 0;
    size_t hbytes = 0;
    for (size_t i = 0; i < nhdrs; i++) {
        hbytes += hdrs[i].name.len + hdrs[i].value.len;
        if (!cer__relay_req_add_header(q, hdrs[i].name, hdrs[i].value))
            q->header_too_big = true;
    }
    q->header_too_big = hbytes > RELAY_MAX_HEADER_BYTES;
    const cer_config *live = relay_live(r);
    if (len > live->limits.max_body_bytes)
        q->too_big = true;
    else if (len) {
        if (cer__relay_over_memory(r, len))
            q->overloaded = true;
        else if (ce_buf_append(&q->body, body, len) != 0)
            q->overloaded = true;
        q->body_counted = q->body.cap;
        atomic_fetch_add(&r->body_bytes, q->body_counted);
    }
    cer__relay_handle(q);
    cer__relay_req_drop_body(q); /* the events were copied: the body is not needed any more */
    if (q->suspended) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += r->ack_timeout_ms / 1000;
        dl.tv_nsec += (long)(r->ack_timeout_ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L)
            dl.tv_sec++, dl.tv_nsec -= 1000000000L;
        pthread_mutex_lock(&q->mu);
        while (q->pending > 0 && pthread_cond_timedwait(&q->cv, &q->mu, &dl) == 0)
            ;
        if (q->pending > 0) {
            q->timed_out = true;
            q->failed = q->pending;
            snprintf(q->fail_reason, sizeof q->fail_reason,
                     "no acknowledgement within %d ms (events are still being delivered)",
                     r->ack_timeout_ms);
            q->pending = 0;
        }
        q->resumed = true;
        pthread_mutex_unlock(&q->mu);
        cer__relay_answer_events_done(q);
    }
    unsigned status = q->has_resp ? q->status : 500;
    if (resp && q->has_resp)
        ce_buf_append(resp, q->out.ptr ? q->out.ptr : "", q->out.len);
    if (ctype && ctype_size)
        snprintf(ctype, ctype_size, "%s", q->has_resp ? q->ctype : "");
    cer__relay_req_unref(q);
    return status;
}
