/* The relay's HTTP side (libmicrohttpd): POST /events in binary, structured and batch mode,
 * /healthz, /readyz, /metrics, and the OTLP listener. Requests that wait for acknowledgement
 * are suspended (never blocking the event loop) and resumed by the emitter's callbacks, or
 * by the ack-timeout reaper. Errors are RFC 9457 application/problem+json. */
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cerelay/ce_binding.h"
#include "relay/http.h"
#include "relay/relay.h"
#include "sink/sink.h"

enum { MAX_HEADERS = 256, MAX_PROBLEMS = 100 };

static atomic_long active_requests;
long relay_http_active(void)
{
    return atomic_load(&active_requests);
}

/* ---- request lifetime -------------------------------------------------------------------- */

static void req_unref(req *q)
{
    pthread_mutex_lock(&q->mu);
    int left = --q->refs;
    pthread_mutex_unlock(&q->mu);
    if (left > 0)
        return;
    ce_buf_free(&q->body);
    ce_buf_free(&q->resp);
    ce_buf_free(&q->problems);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req *q = *con_cls;
    *con_cls = NULL;
    if (!q)
        return;
    relay_acks_forget(q);
    atomic_fetch_sub(&active_requests, 1);
    req_unref(q);
}

/* ---- responses ---------------------------------------------------------------------------- */

enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *ctype,
                         const char *body, size_t len, const char *extra_name,
                         const char *extra_value)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (extra_name)
        MHD_add_response_header(r, extra_name, extra_value);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
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

/* An RFC 9457 problem: type is a stable URN per problem kind, detail says what happened,
 * `errors` (optional, already a JSON array) names each bad event. */
enum MHD_Result problem(req *q, unsigned status, const char *kind, const char *title,
                        const char *detail, const char *errors_json, const char *extra_name,
                        const char *extra_value)
{
    ce_buf b;
    ce_buf_init(&b);
    bufprintf(&b, "{\"type\":\"urn:cerelay:problem:%s\",\"title\":", kind);
    json_str(&b, title, strlen(title));
    bufprintf(&b, ",\"status\":%u,\"detail\":", status);
    json_str(&b, detail, strlen(detail));
    if (errors_json)
        bufprintf(&b, ",\"errors\":%s", errors_json);
    ce_buf_append(&b, "}", 1);
    enum MHD_Result r = send_buf(q->conn, status, "application/problem+json", b.ptr, b.len,
                                 extra_name, extra_value);
    ce_buf_free(&b);
    return r;
}

static enum MHD_Result reject(req *q, int reason, unsigned status, const char *kind,
                              const char *title, const char *detail)
{
    atomic_fetch_add(&q->r->metrics.rejected[reason], 1);
    relay_log(CER_CONFIG_LEVEL_INFO, "rejected %s %s: %u %s: %s", q->method, q->url, status, title,
              detail);
    return problem(q, status, kind, title, detail, NULL, NULL, NULL);
}

/* ---- /events ------------------------------------------------------------------------------ */

typedef struct collect {
    req *q;
    ce_event **evs;
    size_t n, cap, bad;
    ce_buf *errors; /* JSON array under construction */
} collect;

static int on_event(void *ctx, size_t index, ce_event *ev, int err, const char *msg)
{
    collect *c = ctx;
    if (!ev) {
        c->bad++;
        if (c->bad <= MAX_PROBLEMS) {
            ce_buf_append(c->errors, c->bad > 1 ? "," : "[", 1);
            bufprintf(c->errors, "{\"index\":%zu,\"detail\":", index);
            json_str(c->errors, msg, strlen(msg));
            ce_buf_append(c->errors, "}", 1);
        }
        return 0;
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        ce_event **n = realloc(c->evs, sizeof *n * ncap);
        if (!n) {
            ce_event_destroy(ev);
            return CE_ENOMEM;
        }
        c->evs = n;
        c->cap = ncap;
    }
    c->evs[c->n++] = ev;
    return 0;
}

static void free_events(collect *c)
{
    for (size_t i = 0; i < c->n; i++)
        ce_event_destroy(c->evs[i]);
    free(c->evs);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *k,
                                      const char *v)
{
    req *q = cls;
    if (q->nhdrs < MAX_HEADERS) {
        q->hdrs[q->nhdrs].name = (ce_slice){k, strlen(k)};
        q->hdrs[q->nhdrs].value = (ce_slice){v ? v : "", v ? strlen(v) : 0};
        q->nhdrs++;
    }
    return MHD_YES;
}

enum MHD_Result answer_events_done(req *q)
{
    relay *r = q->r;
    if (q->failed) {
        atomic_fetch_add(&r->metrics.rejected[REJ_DELIVERY], 1);
        char detail[512];
        snprintf(detail, sizeof detail,
                 "%zu of %zu event(s) were not acknowledged by the destination: %s "
                 "(nothing is reported as accepted; retrying may duplicate the others)",
                 q->failed, q->nevents, q->fail_reason);
        return problem(q, q->timed_out ? MHD_HTTP_GATEWAY_TIMEOUT : MHD_HTTP_BAD_GATEWAY,
                       q->timed_out ? "ack-timeout" : "delivery-failed",
                       q->timed_out ? "Acknowledgement timed out" : "Delivery failed", detail, NULL,
                       MHD_HTTP_HEADER_RETRY_AFTER, "1");
    }
    metrics_observe_latency(&r->metrics, cer_mono_ns() - q->t0);
    if (q->listener->kind == LISTEN_OTLP)
        return relay_otlp_answer(q);
    char body[96];
    int n = q->denied ? snprintf(body, sizeof body, "{\"accepted\":%zu,\"denied\":%zu}", q->nevents,
                                 q->denied)
                      : snprintf(body, sizeof body, "{\"accepted\":%zu}", q->nevents);
    return send_buf(q->conn, MHD_HTTP_ACCEPTED, "application/json", body, (size_t)n, NULL, NULL);
}

static enum MHD_Result handle_events(req *q)
{
    relay *r = q->r;
    if (strcmp(q->method, "POST") != 0) {
        atomic_fetch_add(&r->metrics.rejected[REJ_METHOD], 1);
        return problem(q, MHD_HTTP_METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed",
                       "POST events to this endpoint", NULL, MHD_HTTP_HEADER_ALLOW, "POST");
    }
    if (q->too_big) {
        char d[160];
        snprintf(d, sizeof d, "the body exceeds limits.max_body_bytes (%llu bytes)",
                 (unsigned long long)relay_live(r)->limits.max_body_bytes);
        return reject(q, REJ_TOO_LARGE, MHD_HTTP_CONTENT_TOO_LARGE, "too-large",
                      "Payload too large", d);
    }
    MHD_get_connection_values(q->conn, MHD_HEADER_KIND, collect_header, q);
    const char *ct = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Content-Type");
    ce_mode mode = ce_http_mode(ct, ct ? strlen(ct) : 0);
    if (mode == CE_MODE_BINARY &&
        !MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "ce-specversion"))
        return reject(q, REJ_MEDIA_TYPE, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                      "Unsupported media type",
                      "expected Content-Type application/cloudevents+json or "
                      "application/cloudevents-batch+json, or a binary-mode request with a "
                      "ce-specversion header");
    ce_http_message msg = {q->hdrs, q->nhdrs, {q->body.ptr ? q->body.ptr : "", q->body.len}};
    collect c = {q, NULL, 0, 0, 0, &q->problems};
    char err[512];
    ce_limits lim = relay_limits(relay_live(r));
    int rc = ce_http_decode_batch(&msg, &lim, on_event, &c, err, sizeof err);
    if (rc) {
        free_events(&c);
        int reason = rc == CE_ETOOBIG ? REJ_TOO_LARGE : REJ_MALFORMED;
        atomic_fetch_add(&r->metrics.rejected[reason], 1);
        relay_log(CER_CONFIG_LEVEL_INFO, "rejected POST %s: %s", q->url, err);
        return problem(q, rc == CE_ETOOBIG ? MHD_HTTP_CONTENT_TOO_LARGE : MHD_HTTP_BAD_REQUEST,
                       rc == CE_ETOOBIG ? "too-large" : "malformed",
                       rc == CE_ETOOBIG ? "Payload too large" : "Malformed CloudEvents request",
                       err, NULL, NULL, NULL);
    }
    atomic_fetch_add(&r->metrics.received, c.n + c.bad);
    if (c.bad) {
        ce_buf_append(&q->problems, "]", 2); /* with its NUL: used as a C string below */
        atomic_fetch_add(&r->metrics.rejected[REJ_INVALID], 1);
        char d[200];
        snprintf(d, sizeof d,
                 "%zu of %zu event(s) are invalid; the request was rejected whole and nothing "
                 "was accepted",
                 c.bad, c.n + c.bad);
        relay_log(CER_CONFIG_LEVEL_INFO, "rejected POST %s: %s", q->url, d);
        free_events(&c);
        return problem(q, MHD_HTTP_BAD_REQUEST, "invalid-event", "Invalid CloudEvent", d,
                       q->problems.ptr, NULL, NULL);
    }
    if (c.n == 0) {
        free_events(&c);
        return send_buf(q->conn, MHD_HTTP_ACCEPTED, "application/json", "{\"accepted\":0}", 14,
                        NULL, NULL);
    }
    return relay_submit(q, c.evs, c.n);
}

/* Hand the request's events to the emitter as one unit and answer now (ack: none) or once
 * every event is acknowledged (the connection is suspended meanwhile). Takes ownership of
 * evs. Shared by /events and the OTLP endpoints. */
enum MHD_Result relay_submit(req *q, ce_event **evs, size_t n)
{
    relay *r = q->r;
    char err[512];
    int rc;
    size_t denied = 0, bad = 0;
    rc = relay_govern(r, evs, &n, &denied, &bad, err, sizeof err);
    collect c = {q, evs, n, n, 0, NULL};
    q->denied = denied;
    if (rc) {
        free_events(&c);
        atomic_fetch_add(&r->metrics.rejected[REJ_INVALID], 1);
        char detail[600];
        snprintf(detail, sizeof detail, "event %zu: %s; nothing was accepted", bad, err);
        return problem(q, MHD_HTTP_BAD_REQUEST, "governance", "Masking failed", detail, NULL, NULL,
                       NULL);
    }
    if (n == 0) { /* every event was denied by the policy */
        free(evs);
        return answer_events_done(q);
    }
    /* Every event carries the request as its callback argument; the request lives until the
     * last callback (refs), even if the client went away. */
    void **opaques = malloc(sizeof *opaques * c.n);
    if (!opaques) {
        free_events(&c);
        return reject(q, REJ_OVERLOADED, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded",
                      "Service unavailable", "out of memory");
    }
    for (size_t i = 0; i < c.n; i++)
        opaques[i] = q;
    bool wait = r->ack != CER_CONFIG_ACK_NONE;
    pthread_mutex_lock(&q->mu);
    q->nevents = c.n;
    q->pending = wait ? c.n : 0;
    q->refs += (int)c.n;
    q->waiting = wait;
    pthread_mutex_unlock(&q->mu);
    rc = cer_emitter_emit_batch(r->em, (const ce_event *const *)c.evs, c.n, opaques, err,
                                sizeof err);
    free(opaques);
    if (rc == 0) {
        atomic_fetch_add(&r->metrics.accepted, c.n);
        for (size_t i = 0; i < c.n; i++) {
            const char *tt = NULL, *kt = NULL, *topic;
            ce_buf tb;
            ce_buf_init(&tb);
            relay_route(r, c.evs[i], &tt, &kt);
            if (!tt)
                tt = r->cfg.binding == CER_CONFIG_BINDING_KAFKA ? r->cfg.kafka.topic : "{type}";
            if (cer_render_topic(c.evs[i], tt ? tt : "{type}", &tb, &topic, NULL, 0) == 0)
                metrics_count_topic(&r->metrics, topic, strlen(topic));
            ce_buf_free(&tb);
        }
    }
    free_events(&c);
    if (rc) {
        pthread_mutex_lock(&q->mu);
        q->refs -= (int)q->nevents;
        q->pending = 0;
        pthread_mutex_unlock(&q->mu);
        if (rc == CER_EQUEUE_FULL || rc == CER_ECLOSED)
            return problem(q, MHD_HTTP_SERVICE_UNAVAILABLE, "overloaded",
                           rc == CER_ECLOSED ? "Shutting down" : "Overloaded", err, NULL,
                           MHD_HTTP_HEADER_RETRY_AFTER, "1") == MHD_YES
                       ? (atomic_fetch_add(&r->metrics.rejected[REJ_OVERLOADED], 1), MHD_YES)
                       : MHD_NO;
        return reject(q, REJ_INVALID, MHD_HTTP_BAD_REQUEST, "invalid-event", "Invalid CloudEvent",
                      err);
    }
    if (!wait)
        return answer_events_done(q);
    pthread_mutex_lock(&q->mu);
    if (q->pending == 0) {
        pthread_mutex_unlock(&q->mu);
        return answer_events_done(q);
    }
    q->suspended = true;
    MHD_suspend_connection(q->conn);
    pthread_mutex_unlock(&q->mu);
    relay_acks_track(q);
    return MHD_YES;
}

/* ---- emitter callbacks -------------------------------------------------------------------- */

static void settle(req *q, int err, const char *reason)
{
    pthread_mutex_lock(&q->mu);
    if (q->waiting && q->pending > 0) {
        if (err) {
            q->failed++;
            snprintf(q->fail_reason, sizeof q->fail_reason, "%s", reason ? reason : "failed");
        }
        if (--q->pending == 0 && q->suspended && !q->resumed) {
            q->resumed = true;
            MHD_resume_connection(q->conn);
        }
    }
    pthread_mutex_unlock(&q->mu);
}

void relay_on_delivery(void *ctx, void *opaque, int err, const char *reason)
{
    relay *r = ctx;
    req *q = opaque;
    if (err)
        atomic_fetch_add(&r->metrics.ack_failed, 1);
    if (!q) /* an event buffered by an earlier process */
        return;
    if (r->ack == CER_CONFIG_ACK_REMOTE || (r->ack == CER_CONFIG_ACK_LOCAL && !q->local_ack))
        settle(q, err, reason);
    req_unref(q);
}

void relay_on_persisted(void *ctx, void *opaque, int err)
{
    relay *r = ctx;
    req *q = opaque;
    if (q && r->ack == CER_CONFIG_ACK_LOCAL) {
        q->local_ack = true;
        settle(q, err, err ? "the durable append to the disk buffer failed" : NULL);
    }
}

/* Called by the reaper when a suspended request waited longer than the ack timeout. */
void relay_http_timeout(req *q)
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
        MHD_resume_connection(q->conn);
    }
    pthread_mutex_unlock(&q->mu);
}

/* ---- other endpoints ---------------------------------------------------------------------- */

static enum MHD_Result handle_ready(req *q)
{
    relay *r = q->r;
    cer_emitter_stats st;
    cer_emitter_stats_get(r->em, &st);
    const char *why = NULL;
    if (atomic_load(&r->draining))
        why = "draining";
    else if (st.queue_bytes > r->cfg.limits.max_memory_bytes / 10 * 9)
        why = "the in-memory queue is nearly full";
    else if (r->cfg.buffer.type == CER_CONFIG_BUFFER_DISK &&
             st.buffer_bytes > r->cfg.buffer.max_bytes / 10 * 9)
        why = "the disk buffer is nearly full";
    if (why) {
        char body[160];
        int n = snprintf(body, sizeof body, "{\"status\":\"not ready\",\"reason\":\"%s\"}", why);
        return send_buf(q->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", body, (size_t)n,
                        NULL, NULL);
    }
    return send_buf(q->conn, MHD_HTTP_OK, "application/json", "{\"status\":\"ready\"}", 18, NULL,
                    NULL);
}

static enum MHD_Result handle_metrics(req *q)
{
    ce_buf b;
    ce_buf_init(&b);
    metrics_render(&q->r->metrics, q->r->em, &b);
    relay_gov_metrics(&b);
    enum MHD_Result ret =
        send_buf(q->conn, MHD_HTTP_OK, "text/plain; version=0.0.4", b.ptr, b.len, NULL, NULL);
    ce_buf_free(&b);
    return ret;
}

static bool authorized(req *q)
{
    const cer_config_strlist *toks = &relay_live(q->r)->listen.auth.bearer_tokens;
    if (toks->n == 0)
        return true;
    const char *h = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    for (size_t i = 0; i < toks->n; i++)
        if (strcmp(h + 7, toks->v[i]) == 0)
            return true;
    return false;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static enum MHD_Result dispatch(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    relay_listener *L = cls;
    relay *r = L->r;
    req *q = *con_cls;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        pthread_mutex_init(&q->mu, NULL);
        q->refs = 1;
        q->r = r;
        q->conn = c;
        q->listener = L;
        q->t0 = cer_mono_ns();
        snprintf(q->method, sizeof q->method, "%s", method);
        snprintf(q->url, sizeof q->url, "%s", url);
        ce_buf_init(&q->body);
        ce_buf_init(&q->resp);
        ce_buf_init(&q->problems);
        *con_cls = q;
        atomic_fetch_add(&active_requests, 1);
        atomic_fetch_add(&r->metrics.requests, 1);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > relay_live(r)->limits.max_body_bytes)
            q->too_big = true;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!q->too_big) {
            if (q->body.len + *upload_size > relay_live(r)->limits.max_body_bytes)
                q->too_big = true;
            else if (ce_buf_append(&q->body, upload, *upload_size) != 0)
                q->too_big = true;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->answered)
        return MHD_YES;
    if (q->resumed) { /* the emitter settled every event of this request */
        q->answered = true;
        return answer_events_done(q);
    }
    if (strcmp(url, "/healthz") == 0) {
        q->answered = true;
        return send_buf(c, MHD_HTTP_OK, "application/json", "{\"status\":\"ok\"}", 15, NULL, NULL);
    }
    if (strcmp(url, "/readyz") == 0) {
        q->answered = true;
        return handle_ready(q);
    }
    const cer_config *live = relay_live(r);
    if (live->metrics.enabled && live->metrics.path && strcmp(url, live->metrics.path) == 0) {
        q->answered = true;
        return handle_metrics(q);
    }
    if (!authorized(q)) {
        q->answered = true;
        atomic_fetch_add(&r->metrics.rejected[REJ_UNAUTHORIZED], 1);
        return problem(q, MHD_HTTP_UNAUTHORIZED, "unauthorized", "Unauthorized",
                       "a valid bearer token is required (Authorization: Bearer ...)", NULL,
                       MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    }
    enum MHD_Result ret;
    if (L->kind == LISTEN_EVENTS && (strcmp(url, "/events") == 0 || strcmp(url, "/") == 0)) {
        ret = handle_events(q);
    } else if (L->kind == LISTEN_OTLP &&
               (strcmp(url, "/v1/logs") == 0 || strcmp(url, "/v1/traces") == 0)) {
        ret = relay_handle_otlp(q);
    } else {
        char d[600];
        snprintf(d, sizeof d,
                 "no endpoint %s here (CloudEvents: POST /events; OTLP: POST "
                 "/v1/logs, /v1/traces; also /healthz, /readyz, /metrics)",
                 url);
        ret = problem(q, MHD_HTTP_NOT_FOUND, "not-found", "Not found", d, NULL, NULL, NULL);
    }
    if (!q->suspended)
        q->answered = true;
    return ret;
}

/* ---- start/stop ---------------------------------------------------------------------------- */

static int parse_addr(const char *addr, struct sockaddr_storage *ss, char *errstr, size_t n)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr) {
        snprintf(errstr, n, "listen address '%s': expected host:port", addr);
        return -1;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
    if (host[0] == '[') { /* [::1]:8080 */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    struct addrinfo hints = {0}, *res;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    int e = getaddrinfo(host, colon + 1, &hints, &res);
    if (e) {
        snprintf(errstr, n, "listen address '%s': %s", addr, gai_strerror(e));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

static struct MHD_Daemon *start_one(relay *r, relay_listener *L, const char *addr, int *port,
                                    char *errstr, size_t n)
{
    struct sockaddr_storage ss;
    if (parse_addr(addr, &ss, errstr, n) < 0)
        return NULL;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    char *cert = NULL, *key = NULL;
    size_t len;
    if (r->cfg.listen.tls.cert) {
        if (relay_read_file(r->cfg.listen.tls.cert, &cert, &len) ||
            relay_read_file(r->cfg.listen.tls.key, &key, &len)) {
            snprintf(errstr, n, "listen.tls: cannot read %s or %s", r->cfg.listen.tls.cert,
                     r->cfg.listen.tls.key ? r->cfg.listen.tls.key : "(no key)");
            free(cert);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_Daemon *d =
        cert ? MHD_start_daemon(flags, 0, NULL, NULL, dispatch, L, MHD_OPTION_SOCK_ADDR, &ss,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_THREAD_POOL_SIZE, 2u,
                                MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
                                MHD_OPTION_END)
             : MHD_start_daemon(flags, 0, NULL, NULL, dispatch, L, MHD_OPTION_SOCK_ADDR, &ss,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_THREAD_POOL_SIZE, 2u,
                                MHD_OPTION_END);
    free(cert);
    free(key);
    if (!d) {
        snprintf(errstr, n, "cannot listen on %s (address in use or not permitted?)", addr);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    return d;
}

static relay_listener events_l, otlp_l;

int relay_http_start(relay *r, char *errstr, size_t errstr_size)
{
    events_l = (relay_listener){r, LISTEN_EVENTS};
    otlp_l = (relay_listener){r, LISTEN_OTLP};
    if (r->cfg.listen.events && *r->cfg.listen.events) {
        r->events_d =
            start_one(r, &events_l, r->cfg.listen.events, &r->events_port, errstr, errstr_size);
        if (!r->events_d)
            return -1;
    }
    if (r->cfg.listen.otlp && *r->cfg.listen.otlp) {
        r->otlp_d = start_one(r, &otlp_l, r->cfg.listen.otlp, &r->otlp_port, errstr, errstr_size);
        if (!r->otlp_d) {
            relay_http_stop(r);
            return -1;
        }
    }
    return 0;
}

void relay_http_quiesce(relay *r, int timeout_ms)
{
    if (r->events_d)
        MHD_quiesce_daemon(r->events_d);
    if (r->otlp_d)
        MHD_quiesce_daemon(r->otlp_d);
    for (int waited = 0; relay_http_active() > 0 && waited < timeout_ms; waited += 20) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void relay_http_stop(relay *r)
{
    if (r->events_d)
        MHD_stop_daemon(r->events_d);
    if (r->otlp_d)
        MHD_stop_daemon(r->otlp_d);
    r->events_d = r->otlp_d = NULL;
}
