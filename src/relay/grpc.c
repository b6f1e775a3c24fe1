/* OTLP/gRPC ingest: one epoll thread accepts connections on listen.otlp_grpc and drives an
 * nghttp2 server session per connection (h2c with prior knowledge, or TLS with ALPN h2). A
 * complete unary Export request is handled by grpc_call.c. Requests that wait for acknowledgements
 * are resumed through req->on_resume, which queues them back to this thread (an eventfd wakes it):
 * the loop never blocks. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "relay/grpc_conn.h"

/* ---- connection I/O ---------------------------------------------------------------------- */

static ssize_t conn_read(gconn *c, void *buf, size_t n)
{
    if (c->ssl) {
        int k = SSL_read(c->ssl, buf, (int)n);
        if (k > 0)
            return k;
        int e = SSL_get_error(c->ssl, k);
        c->read_wants_out = e == SSL_ERROR_WANT_WRITE; /* a handshake write the socket refused */
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return AGAIN;
        return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
    }
    ssize_t k = read(c->fd, buf, n);
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return AGAIN;
    return k;
}

static ssize_t conn_write(gconn *c, const void *buf, size_t n)
{
    if (c->fd < 0) {
        if (c->sink)
            ce_buf_append(c->sink, buf, n);
        return (ssize_t)n;
    }
    if (c->ssl) {
        int k = SSL_write(c->ssl, buf, (int)n);
        if (k > 0)
            return k;
        int e = SSL_get_error(c->ssl, k);
        /* WANT_READ (a handshake waiting for the client): retried when bytes arrive */
        return e == SSL_ERROR_WANT_WRITE ? AGAIN : e == SSL_ERROR_WANT_READ ? AGAIN_READ : -1;
    }
    ssize_t k = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return AGAIN;
    return k;
}

static void arm_out(gconn *c, bool on)
{
    if (c->fd < 0 || c->out_armed == on)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(c->g->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->out_armed = on;
}

/* Write what nghttp2 has to send, gathered into one buffer of at most WBUF_MAX (plus one frame
 * chunk) so that a burst of frames costs one write; when the socket is full, wait for
 * EPOLLOUT with that buffer kept. */
void cer__relay_grpc__flush(gconn *c)
{
    while (!c->dead) {
        while (c->wbuf.len - c->woff < WBUF_MAX) {
            const uint8_t *d;
            ssize_t n = nghttp2_session_mem_send(c->s, &d);
            if (n < 0 || (n > 0 && ce_buf_append(&c->wbuf, d, (size_t)n) != 0)) {
                c->dead = true;
                return;
            }
            if (n == 0)
                break;
        }
        if (c->wbuf.len == c->woff)
            break;
        ssize_t k = conn_write(c, c->wbuf.ptr + c->woff, c->wbuf.len - c->woff);
        if (k == AGAIN || k == AGAIN_READ) {
            arm_out(c, k == AGAIN);
            return;
        }
        if (k <= 0) {
            c->dead = true;
            return;
        }
        c->woff += (size_t)k;
        if (c->woff == c->wbuf.len)
            c->wbuf.len = c->woff = 0;
    }
    arm_out(c, c->read_wants_out);
    if (!nghttp2_session_want_read(c->s) && !nghttp2_session_want_write(c->s))
        c->dead = true;
}

/* ---- connections ---------------------------------------------------------------------------- */

static gconn *conn_new(relay_grpc *g, int fd, SSL *ssl)
{
    gconn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->g = g;
    c->fd = fd;
    c->ssl = ssl;
    c->last_rx = cer_mono_ns();
    ce_buf_init(&c->wbuf);
    nghttp2_option *opt = NULL;
    if (nghttp2_option_new(&opt) != 0) {
        free(c);
        return NULL;
    }
    nghttp2_option_set_max_send_header_block_length(opt, 16384);
    int rc = nghttp2_session_server_new2(&c->s, g->cbs, c, opt);
    nghttp2_option_del(opt);
    if (rc != 0) {
        free(c);
        return NULL;
    }
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, RELAY_GRPC_MAX_STREAMS},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)RELAY_MAX_HEADER_BYTES},
    };
    nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
    nghttp2_session_set_local_window_size(c->s, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW);
    if (atomic_load(&g->quiesce))
        nghttp2_submit_goaway(c->s, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, NULL, 0);
    c->next = g->conns;
    if (g->conns)
        g->conns->prev = c;
    g->conns = c;
    g->nconns++;
    return c;
}

static void conn_free(gconn *c)
{
    relay_grpc *g = c->g;
    nghttp2_session_del(c->s); /* calls no stream-close callbacks: free what is left */
    while (c->streams)
        cer__relay_grpc__stream_free(c->streams);
    if (c->fd >= 0) {
        epoll_ctl(g->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    SSL_free(c->ssl);
    ce_buf_free(&c->wbuf);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    g->nconns--;
    free(c);
}

/* A plain HTTP/1 answer (best effort, then the connection closes) saying what this port is. */
static void http1_hint(gconn *c)
{
    static const char body[] = "This port speaks OTLP/gRPC (HTTP/2). OTLP/HTTP is served on "
                               "listen.otlp (by default 127.0.0.1:4318).\n";
    char msg[320];
    int n = snprintf(msg, sizeof msg,
                     "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     sizeof body - 1, body);
    if (n > 0 && conn_write(c, msg, (size_t)n) < 0) {
        /* the client is gone: nothing to tell */
    }
}

static void on_readable(gconn *c)
{
    uint8_t buf[16384];
    while (!c->dead) {
        ssize_t n = conn_read(c, buf, sizeof buf);
        if (n == AGAIN)
            break;
        c->last_rx = cer_mono_ns();
        ssize_t rv = n > 0 ? nghttp2_session_mem_recv(c->s, buf, (size_t)n) : -1;
        if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC && n > 0 && buf[0] >= 'A' && buf[0] <= 'Z')
            http1_hint(c); /* an OTLP/HTTP client on the gRPC port */
        if (rv < 0) {
            c->dead = true;
            return;
        }
    }
    cer__relay_grpc__flush(c);
}

static void on_accept(relay_grpc *g)
{
    for (;;) {
        int fd = accept4(g->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (g->nconns >= RELAY_GRPC_MAX_CONNS) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        SSL *ssl = NULL;
        if (g->ssl) {
            ssl = SSL_new(g->ssl);
            if (!ssl || SSL_set_fd(ssl, fd) != 1) {
                SSL_free(ssl);
                close(fd);
                continue;
            }
            SSL_set_accept_state(ssl);
        }
        gconn *c = conn_new(g, fd, ssl);
        if (!c) {
            SSL_free(ssl);
            close(fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            c->fd = -1;
            close(fd);
            conn_free(c);
            continue;
        }
        /* the server's SETTINGS go out with the first answer to the client's bytes, so that an
         * HTTP/1 client can still be told in HTTP/1 where it is (http1_hint) */
    }
}

/* Answer the requests whose acknowledgements settled (or timed out). */
static void drain_ready(relay_grpc *g)
{
    pthread_mutex_lock(&g->mu);
    req *q = g->ready;
    g->ready = NULL;
    pthread_mutex_unlock(&g->mu);
    while (q) {
        req *next = q->ready_next;
        gstream *st = q->transport;
        if (st && !q->answered) {
            q->answered = true;
            cer__relay_answer_events_done(q);
            cer__relay_grpc__answer(st);
            cer__relay_grpc__flush(st->c);
        }
        cer__relay_req_unref(q);
        q = next;
    }
}

/* Whether a stream of c waits for acknowledgements (then silence is expected). */
static bool waiting(gconn *c)
{
    for (gstream *st = c->streams; st; st = st->next)
        if (st->q->suspended && !st->q->answered)
            return true;
    return false;
}

static void *loop(void *arg)
{
    relay_grpc *g = arg;
    struct epoll_event evs[64];
    while (!atomic_load(&g->stop)) {
        int n = epoll_wait(g->ep, evs, 64, 500);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &g->lfd) {
                on_accept(g);
            } else if (p == &g->evfd) {
                uint64_t v;
                if (read(g->evfd, &v, sizeof v) < 0) {
                    /* spurious wake-up */
                }
            } else {
                gconn *c = p;
                if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ||
                    ((evs[i].events & EPOLLOUT) && c->read_wants_out))
                    on_readable(c); /* reads, then flushes */
                else if (evs[i].events & EPOLLOUT)
                    cer__relay_grpc__flush(c);
            }
        }
        drain_ready(g);
        if (atomic_load(&g->quiesce) && !g->quiesced) {
            g->quiesced = true;
            if (g->lfd >= 0) {
                epoll_ctl(g->ep, EPOLL_CTL_DEL, g->lfd, NULL);
                close(g->lfd);
                g->lfd = -1;
            }
            for (gconn *c = g->conns; c; c = c->next) {
                nghttp2_submit_goaway(c->s, NGHTTP2_FLAG_NONE,
                                      nghttp2_session_get_last_proc_stream_id(c->s),
                                      NGHTTP2_NO_ERROR, NULL, 0);
                cer__relay_grpc__flush(c);
            }
        }
        int64_t now = cer_mono_ns();
        for (gconn *c = g->conns, *next; c; c = next) {
            next = c->next;
            if (!c->dead && now - c->last_rx > IDLE_NS && !waiting(c))
                c->dead = true; /* silent for a minute, nothing to answer: slowloris or idle */
            if (c->dead)
                conn_free(c);
        }
    }
    return NULL;
}

/* ---- start/stop ------------------------------------------------------------------------------ */

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    static const unsigned char h2[] = "\x02h2";
    if (SSL_select_next_proto((unsigned char **)out, outlen, h2, 3, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL; /* gRPC needs HTTP/2 */
    return SSL_TLSEXT_ERR_OK;
}

static relay_grpc *grpc_new(relay *r)
{
    relay_grpc *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->r = r;
    g->lfd = g->ep = g->evfd = -1;
    pthread_mutex_init(&g->mu, NULL);
    if (cer__relay_grpc__callbacks_new(&g->cbs) != 0) {
        pthread_mutex_destroy(&g->mu);
        free(g);
        return NULL;
    }
    return g;
}

static void grpc_free(relay_grpc *g)
{
    while (g->conns)
        conn_free(g->conns);
    drain_ready(g); /* no stream is left: this only drops the references */
    if (g->lfd >= 0)
        close(g->lfd);
    if (g->ep >= 0)
        close(g->ep);
    if (g->evfd >= 0)
        close(g->evfd);
    SSL_CTX_free(g->ssl);
    nghttp2_session_callbacks_del(g->cbs);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

static int tls_setup(relay_grpc *g, const cer_config *cfg, char *errstr, size_t n)
{
    g->ssl = SSL_CTX_new(TLS_server_method());
    if (!g->ssl || SSL_CTX_set_min_proto_version(g->ssl, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(g->ssl, cfg->listen.tls.cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(g->ssl, cfg->listen.tls.key, SSL_FILETYPE_PEM) != 1) {
        snprintf(errstr, n, "listen.tls: cannot load %s or %s for listen.otlp_grpc",
                 cfg->listen.tls.cert, cfg->listen.tls.key ? cfg->listen.tls.key : "(no key)");
        return -1;
    }
    SSL_CTX_set_mode(g->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_alpn_select_cb(g->ssl, alpn_select, NULL);
    /* mTLS (listen.tls.client_ca): OpenSSL refuses a client without a certificate signed by
     * these CAs during the handshake; the subject is stamped on the events (grpc_call.c) */
    if (cfg->listen.tls.client_ca) {
        if (SSL_CTX_load_verify_locations(g->ssl, cfg->listen.tls.client_ca, NULL) != 1) {
            snprintf(errstr, n, "listen.tls.client_ca: cannot load %s for listen.otlp_grpc",
                     cfg->listen.tls.client_ca);
            return -1;
        }
        SSL_CTX_set_verify(g->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return 0;
}

static int listen_on(relay_grpc *g, const char *addr, bool soft, char *errstr, size_t n)
{
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr) {
        snprintf(errstr, n, "listen.otlp_grpc '%s': expected host:port", addr);
        return -1;
    }
    snprintf(g->host, sizeof g->host, "%.*s", (int)(colon - addr), addr);
    char host[128];
    snprintf(host, sizeof host, "%s", g->host);
    if (host[0] == '[' && strlen(host) >= 2) { /* [::1]:4317 */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    struct addrinfo hints = {0}, *res;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    int e = getaddrinfo(host, colon + 1, &hints, &res);
    if (e) {
        snprintf(errstr, n, "listen.otlp_grpc '%s': %s", addr, gai_strerror(e));
        return -1;
    }
    g->lfd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (g->lfd >= 0)
        setsockopt(g->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (g->lfd < 0 || bind(g->lfd, res->ai_addr, res->ai_addrlen) != 0 ||
        listen(g->lfd, 128) != 0) {
        int err = errno;
        freeaddrinfo(res);
        if (soft && err == EADDRINUSE)
            return 1;
        snprintf(errstr, n, "cannot listen on %s for OTLP/gRPC: %s", addr, strerror(err));
        return -1;
    }
    freeaddrinfo(res);
    return 0;
}

int cer__relay_grpc_start(relay *r, char *errstr, size_t errstr_size)
{
    const char *addr = r->cfg.listen.otlp_grpc;
    bool soft = !addr; /* the default address: a taken port is not an error */
    if (!addr)
        addr = RELAY_GRPC_DEFAULT_ADDR;
    if (!*addr)
        return 0;
    relay_grpc *g = grpc_new(r);
    if (!g) {
        snprintf(errstr, errstr_size, "listen.otlp_grpc: out of memory");
        return -1;
    }
    int rc = r->cfg.listen.tls.cert ? tls_setup(g, &r->cfg, errstr, errstr_size) : 0;
    if (rc == 0)
        rc = listen_on(g, addr, soft, errstr, errstr_size);
    if (rc == 1) {
        cer__relay_log(CER_CONFIG_LEVEL_WARN,
                       "OTLP/gRPC: the default address %s is in use: not listening (set "
                       "listen.otlp_grpc to another address, or \"\" to disable)",
                       addr);
        grpc_free(g);
        return 0;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (rc == 0 && getsockname(g->lfd, (struct sockaddr *)&ss, &sl) == 0)
        r->grpc_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                      : ((struct sockaddr_in *)&ss)->sin_port);
    if (rc == 0) {
        g->ep = epoll_create1(EPOLL_CLOEXEC);
        g->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        struct epoll_event el = {.events = EPOLLIN, .data.ptr = &g->lfd};
        struct epoll_event ee = {.events = EPOLLIN, .data.ptr = &g->evfd};
        if (g->ep < 0 || g->evfd < 0 || epoll_ctl(g->ep, EPOLL_CTL_ADD, g->lfd, &el) != 0 ||
            epoll_ctl(g->ep, EPOLL_CTL_ADD, g->evfd, &ee) != 0) {
            snprintf(errstr, errstr_size, "listen.otlp_grpc: epoll: %s", strerror(errno));
            rc = -1;
        }
    }
    r->grpc = g;
    if (rc == 0 && pthread_create(&g->th, NULL, loop, g) != 0) {
        snprintf(errstr, errstr_size, "listen.otlp_grpc: cannot start a thread");
        rc = -1;
    }
    if (rc != 0) {
        r->grpc = NULL;
        grpc_free(g);
        return -1;
    }
    g->running = true;
    return 0;
}

static void wake(relay_grpc *g)
{
    uint64_t one = 1;
    if (write(g->evfd, &one, sizeof one) < 0) {
        /* full counter: already woken */
    }
}

void cer__relay_grpc_quiesce(relay *r, int timeout_ms)
{
    relay_grpc *g = r->grpc;
    if (!g)
        return;
    atomic_store(&g->quiesce, 1);
    wake(g);
    for (int waited = 0; atomic_load(&g->active) > 0 && waited < timeout_ms; waited += 20) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void cer__relay_grpc_stop(relay *r)
{
    relay_grpc *g = r->grpc;
    if (!g)
        return;
    atomic_store(&g->stop, 1);
    wake(g);
    if (g->running)
        pthread_join(g->th, NULL);
    r->grpc = NULL;
    grpc_free(g);
}

void cer__relay_grpc_url(relay *r, char *out, size_t out_size)
{
    if (!r->grpc) {
        snprintf(out, out_size, "disabled");
        return;
    }
    snprintf(out, out_size, "%s://%s:%d", r->grpc->ssl ? "https" : "http", r->grpc->host,
             r->grpc_port);
}

int cer__relay_grpc_feed(relay *r, const uint8_t *data, size_t len, ce_buf *out)
{
    if (r->grpc)
        return -1;
    relay_grpc *g = grpc_new(r);
    if (!g)
        return -1;
    r->grpc = g;
    int rc = -1;
    gconn *c = conn_new(g, -1, NULL);
    if (c) {
        c->sink = out;
        static const char magic[] = NGHTTP2_CLIENT_MAGIC;
        if (nghttp2_session_mem_recv(c->s, (const uint8_t *)magic, sizeof magic - 1) >= 0 &&
            nghttp2_session_mem_recv(c->s, data, len) >= 0)
            rc = 0;
        cer__relay_grpc__flush(c);
    }
    r->grpc = NULL;
    grpc_free(g);
    return rc;
}
