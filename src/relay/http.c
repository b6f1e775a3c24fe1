/* The relay's HTTP side on libmicrohttpd: read headers and body (capped), hand the complete
 * request to the handler (handler.c), send the answer it stored, and suspend/resume requests
 * that wait for acknowledgement (never blocking the event loop). Requests over the header cap
 * get 431 from our handler; only headers beyond the library's connection buffer
 * (RELAY_CONN_MEMORY) are answered by libmicrohttpd itself (see docs/relay.md). */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "relay/grpc.h"
#include "relay/http.h"
#include "relay/relay.h"

static atomic_long active_requests;
long cer__relay_http_active(void)
{
    return atomic_load(&active_requests);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req *q = *con_cls;
    *con_cls = NULL;
    if (!q)
        return;
    cer__relay_acks_forget(q);
    atomic_fetch_sub(&active_requests, 1);
    cer__relay_req_unref(q);
}

static enum MHD_Result send_stored(req *q)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        q->out.len, (void *)(q->out.ptr ? q->out.ptr : ""), MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, q->ctype);
    if (q->xname[0])
        MHD_add_response_header(resp, q->xname, q->xvalue);
    enum MHD_Result ret = MHD_queue_response(q->conn, q->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *k,
                                      const char *v)
{
    req *q = cls;
    size_t kl = strlen(k), vl = v ? strlen(v) : 0;
    if (!cer__relay_req_add_header(q, (ce_slice){k, kl}, (ce_slice){v ? v : "", vl}))
        q->header_too_big = true; /* more fields than we keep */
    q->header_bytes += kl + vl;
    return MHD_YES;
}

/* mTLS: verify the client's certificate chain against listen.tls.client_ca and keep its
 * subject, or say why the client is refused (answered 401 once its request is read). */
static void check_client_cert(req *q, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t s = ci ? (gnutls_session_t)ci->tls_session : NULL;
    unsigned status = 0;
    unsigned n = 0;
    const gnutls_datum_t *chain = s ? gnutls_certificate_get_peers(s, &n) : NULL;
    if (!s || !chain || n == 0) {
        q->cert_error = "a client certificate is required (listen.tls.client_ca)";
        return;
    }
    if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0) {
        q->cert_error = "the client certificate is not signed by listen.tls.client_ca (or has "
                        "expired)";
        return;
    }
    gnutls_x509_crt_t crt;
    gnutls_datum_t dn = {NULL, 0};
    if (gnutls_x509_crt_init(&crt) < 0) {
        q->cert_error = "out of memory";
        return;
    }
    if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0 ||
        gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0)
        q->cert_error = "the client certificate cannot be read";
    else
        snprintf(q->client_subject, sizeof q->client_subject, "%.*s", (int)dn.size,
                 (const char *)dn.data);
    gnutls_free(dn.data);
    gnutls_x509_crt_deinit(crt);
}

static enum MHD_Result dispatch(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    relay_listener *L = cls;
    relay *r = L->r;
    req *q = *con_cls;
    if (!q) {
        q = cer__relay_req_new(r, L->kind, c, method, url);
        if (!q)
            return MHD_NO;
        *con_cls = q;
        atomic_fetch_add(&active_requests, 1);
        MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, q);
        if (q->header_bytes > RELAY_MAX_HEADER_BYTES)
            q->header_too_big = true;
        if (r->cfg.listen.tls.client_ca)
            check_client_cert(q, c);
        const char *cl = cer__relay_req_header(q, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > relay_live(r)->limits.max_body_bytes)
            q->too_big = true;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!q->too_big && !q->overloaded && !q->header_too_big) {
            const cer_config *live = relay_live(r);
            if (q->body.len + *upload_size > live->limits.max_body_bytes) {
                q->too_big = true;
            } else if (cer__relay_over_memory(r, *upload_size)) {
                q->overloaded = true; /* answered 503 once the body is read */
            } else if (ce_buf_append(&q->body, upload, *upload_size) != 0) {
                q->overloaded = true;
            } else if (q->body.cap > q->body_counted) {
                atomic_fetch_add(&r->body_bytes, q->body.cap - q->body_counted);
                q->body_counted = q->body.cap;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->answered)
        return MHD_YES;
    if (q->resumed) { /* the emitter settled every event of this request */
        q->answered = true;
        cer__relay_answer_events_done(q);
        return send_stored(q);
    }
    if (q->cert_error)
        cer__relay_problem(q, CER_REASON_UNAUTHORIZED, q->cert_error, NULL);
    else
        cer__relay_handle(q);
    cer__relay_req_drop_body(q); /* the events were copied: the body is not needed any more */
    if (q->suspended)
        return MHD_YES;
    q->answered = true;
    if (!q->has_resp)
        cer__relay_problem(q, CER_REASON_INTERNAL, "no answer", NULL);
    return send_stored(q);
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
    char *cert = NULL, *key = NULL, *ca = NULL;
    size_t len;
    if (r->cfg.listen.tls.cert) {
        if (cer__relay_read_file(r->cfg.listen.tls.cert, &cert, &len) ||
            cer__relay_read_file(r->cfg.listen.tls.key, &key, &len)) {
            snprintf(errstr, n, "listen.tls: cannot read %s or %s", r->cfg.listen.tls.cert,
                     r->cfg.listen.tls.key ? r->cfg.listen.tls.key : "(no key)");
            free(cert);
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    if (cert && r->cfg.listen.tls.client_ca &&
        cer__relay_read_file(r->cfg.listen.tls.client_ca, &ca, &len)) {
        snprintf(errstr, n, "listen.tls.client_ca: cannot read %s", r->cfg.listen.tls.client_ca);
        free(cert);
        free(key);
        return NULL;
    }
    struct MHD_Daemon *d =
        cert ? MHD_start_daemon(flags, 0, NULL, NULL, dispatch, L, MHD_OPTION_SOCK_ADDR, &ss,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, RELAY_CONN_MEMORY,
                                MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_THREAD_POOL_SIZE, 2u,
                                MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
                                MHD_OPTION_HTTPS_MEM_TRUST, ca, MHD_OPTION_END)
             : MHD_start_daemon(flags, 0, NULL, NULL, dispatch, L, MHD_OPTION_SOCK_ADDR, &ss,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, RELAY_CONN_MEMORY,
                                MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_THREAD_POOL_SIZE, 2u,
                                MHD_OPTION_END);
    free(cert);
    free(key);
    free(ca);
    if (!d) {
        snprintf(errstr, n, "cannot listen on %s (address in use or not permitted?)", addr);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    return d;
}

static relay_listener events_l, otlp_l;

int cer__relay_http_start(relay *r, char *errstr, size_t errstr_size)
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
            cer__relay_http_stop(r);
            return -1;
        }
    }
    if (cer__relay_grpc_start(r, errstr, errstr_size) != 0) {
        cer__relay_http_stop(r);
        return -1;
    }
    return 0;
}

void cer__relay_http_quiesce(relay *r, int timeout_ms)
{
    if (r->events_d)
        MHD_quiesce_daemon(r->events_d);
    if (r->otlp_d)
        MHD_quiesce_daemon(r->otlp_d);
    cer__relay_grpc_quiesce(r, timeout_ms);
    for (int waited = 0; cer__relay_http_active() > 0 && waited < timeout_ms; waited += 20) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void cer__relay_http_stop(relay *r)
{
    if (r->events_d)
        MHD_stop_daemon(r->events_d);
    if (r->otlp_d)
        MHD_stop_daemon(r->otlp_d);
    r->events_d = r->otlp_d = NULL;
    cer__relay_grpc_stop(r);
}
