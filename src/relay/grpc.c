/* OTLP/gRPC ingest: one epoll thread accepts connections on listen.otlp_grpc and drives an
 * nghttp2 server session per connection (h2c with prior knowledge, or TLS with ALPN h2). A
 * complete unary Export request (5-byte gRPC prefix + protobuf, gzip when flagged) is handed to
 * the same handler as OTLP/HTTP (relay_handle), whose stored answer is mapped to a gRPC status
 * in trailers. Requests that wait for acknowledgements are resumed through req->on_resume,
 * which queues them back to this thread (an eventfd wakes it): the loop never blocks. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/evp.h>
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

#include "relay/grpc.h"
#include "relay/http.h"

enum {
    GRPC_OK = 0,
    GRPC_INVALID_ARGUMENT = 3,
    GRPC_PERMISSION_DENIED = 7,
    GRPC_RESOURCE_EXHAUSTED = 8,
    GRPC_FAILED_PRECONDITION = 9,
    GRPC_UNIMPLEMENTED = 12,
    GRPC_INTERNAL = 13,
    GRPC_UNAVAILABLE = 14,
    GRPC_UNAUTHENTICATED = 16,
};

#define LOGS_PATH     "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
#define TRACES_PATH   "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
#define STREAM_WINDOW (1 << 20)           /* per-stream receive window */
#define CONN_WINDOW   (4 << 20)           /* per-connection receive window */
#define WBUF_MAX      (64 << 10)          /* bytes gathered from nghttp2 before a write */
#define AGAIN         (-2)                /* the socket is full: wait for EPOLLOUT */
#define AGAIN_READ    (-3)                /* TLS needs the peer's bytes first: wait for EPOLLIN */
#define IDLE_NS       (60 * 1000000000LL) /* a connection silent this long is closed */

typedef struct gconn gconn;

typedef struct gstream {
    int32_t id;
    gconn *c;
    req *q; /* one reference (the stream's) */
    char path[96], ctype[64], enc[32], auth[1024];
    bool done;   /* the request was handed to the handler */
    ce_buf resp; /* the framed response message */
    size_t resp_off;
    struct gstream *prev, *next;
} gstream;

struct gconn {
    struct relay_grpc *g;
    int fd; /* -1: relay_grpc_feed (writes go to sink) */
    SSL *ssl;
    nghttp2_session *s;
    gstream *streams;
    ce_buf
        wbuf; /* bytes nghttp2 produced that the socket did not take yet (<= WBUF_MAX + a chunk) */
    size_t woff;
    bool out_armed, dead, read_wants_out;
    int64_t last_rx; /* cer_mono_ns() of the last bytes read */
    ce_buf *sink;
    gconn *prev, *next;
};

typedef struct relay_grpc {
    relay *r;
    int lfd, ep, evfd;
    SSL_CTX *ssl;
    nghttp2_session_callbacks *cbs;
    pthread_t th;
    bool running, quiesced;
    atomic_int quiesce, stop;
    atomic_long active; /* open streams */
    pthread_mutex_t mu;
    req *ready; /* resumed requests (guarded by mu), each holding a reference */
    gconn *conns;
    size_t nconns;
    char host[128];
} relay_grpc;

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
static void flush(gconn *c)
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

/* ---- answers ------------------------------------------------------------------------------- */

static void pb_varint(ce_buf *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    do {
        t[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    ce_buf_append(b, t, n);
}

static void pb_bytes(ce_buf *b, unsigned field, const void *p, size_t n)
{
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, n);
    ce_buf_append(b, p, n);
}

/* grpc-status-details-bin: google.rpc.Status{code, message, details: [RetryInfo{delay}]},
 * base64 without padding, into out (NUL-terminated). */
static void status_details(int code, const char *msg, unsigned delay_s, char *out, size_t n)
{
    ce_buf dur, ri, any, st;
    ce_buf_init(&dur), ce_buf_init(&ri), ce_buf_init(&any), ce_buf_init(&st);
    pb_varint(&dur, 1 << 3);
    pb_varint(&dur, delay_s);
    pb_bytes(&ri, 1, dur.ptr, dur.len);
    static const char url[] = "type.googleapis.com/google.rpc.RetryInfo";
    pb_bytes(&any, 1, url, sizeof url - 1);
    pb_bytes(&any, 2, ri.ptr, ri.len);
    pb_varint(&st, 1 << 3);
    pb_varint(&st, (uint64_t)code);
    size_t ml = strlen(msg);
    pb_bytes(&st, 2, msg, ml > 160 ? 160 : ml);
    pb_bytes(&st, 3, any.ptr, any.len);
    out[0] = 0;
    if (st.ptr && (st.len + 2) / 3 * 4 + 1 <= n) {
        int k = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)st.ptr, (int)st.len);
        while (k > 0 && out[k - 1] == '=')
            out[--k] = 0;
    }
    ce_buf_free(&dur), ce_buf_free(&ri), ce_buf_free(&any), ce_buf_free(&st);
}

/* grpc-message is percent-encoded (the gRPC HTTP/2 protocol). */
static void pct_encode(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 4 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch > 0x7e || ch == '%')
            o += (size_t)snprintf(out + o, n - o, "%%%02X", ch);
        else
            out[o++] = (char)ch;
    }
    out[o] = 0;
}

#define NV(n, v)                                                                                   \
    {                                                                                              \
        (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE             \
    }

/* Trailers-Only answer: HEADERS with :status 200 and the gRPC status, END_STREAM. */
static void answer_status(gstream *st, int code, const char *msg, int retry_s)
{
    char status[12], pmsg[600], push[24], det[512];
    snprintf(status, sizeof status, "%d", code);
    pct_encode(msg, pmsg, sizeof pmsg);
    nghttp2_nv nv[7] = {NV(":status", "200"), NV("content-type", "application/grpc"),
                        NV("grpc-status", status), NV("grpc-message", pmsg)};
    size_t n = 4;
    if (retry_s >= 0) { /* the client may retry after this delay (OTLP: RetryInfo) */
        snprintf(push, sizeof push, "%d", retry_s * 1000);
        status_details(code, msg, (unsigned)retry_s, det, sizeof det);
        nv[n++] = (nghttp2_nv)NV("grpc-retry-pushback-ms", push);
        if (det[0])
            nv[n++] = (nghttp2_nv)NV("grpc-status-details-bin", det);
    }
    nghttp2_submit_response(st->c->s, st->id, nv, n, NULL);
}

static ssize_t read_resp(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
    gstream *st = src->ptr;
    size_t left = st->resp.len - st->resp_off, n = left < len ? left : len;
    memcpy(buf, st->resp.ptr + st->resp_off, n);
    st->resp_off += n;
    if (st->resp_off == st->resp.len) {
        *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
        nghttp2_nv tr[] = {NV("grpc-status", "0")};
        if (nghttp2_submit_trailer(s, id, tr, 1) != 0)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return (ssize_t)n;
}

/* Send the answer the handler stored in st->q: the Export*ServiceResponse (with its
 * partial_success) as one gRPC message and status OK, or the problem mapped to a status. */
static void answer(gstream *st)
{
    req *q = st->q;
    if (!q->has_resp)
        relay_problem(q, CER_REASON_INTERNAL, "no answer", NULL);
    if (q->status == 200) {
        uint8_t pre[5] = {0, (uint8_t)(q->out.len >> 24), (uint8_t)(q->out.len >> 16),
                          (uint8_t)(q->out.len >> 8), (uint8_t)q->out.len};
        st->resp.len = st->resp_off = 0;
        if (ce_buf_append(&st->resp, pre, 5) != 0 ||
            ce_buf_append(&st->resp, q->out.ptr ? q->out.ptr : "", q->out.len) != 0) {
            answer_status(st, GRPC_INTERNAL, "out of memory", -1);
            return;
        }
        nghttp2_nv nv[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
                           NV("grpc-accept-encoding", "gzip")};
        nghttp2_data_provider dp = {.source.ptr = st, .read_callback = read_resp};
        nghttp2_submit_response(st->c->s, st->id, nv, 3, &dp);
        return;
    }
    /* The same verdicts as OTLP/HTTP, by the HTTP status the handler chose (docs/otlp.md). */
    int code, retry = -1;
    switch (q->status) {
    case 401:
        code = GRPC_UNAUTHENTICATED;
        break;
    case 403:
        code = GRPC_PERMISSION_DENIED;
        break;
    case 404:
    case 405:
        code = GRPC_UNIMPLEMENTED;
        break;
    case 413:
    case 431:
        code = GRPC_RESOURCE_EXHAUSTED;
        break;
    case 422:
        code = GRPC_FAILED_PRECONDITION;
        break;
    case 429:
    case 503:
        code = GRPC_RESOURCE_EXHAUSTED;
        retry = strcasecmp(q->xname, "Retry-After") == 0 ? atoi(q->xvalue) : 1;
        retry = retry > 0 ? retry : 1;
        break;
    case 500:
        code = GRPC_INTERNAL;
        break;
    default:
        code = q->status >= 500 ? GRPC_UNAVAILABLE : GRPC_INVALID_ARGUMENT;
    }
    answer_status(st, code, q->detail[0] ? q->detail : "rejected", retry);
}

/* ---- requests ------------------------------------------------------------------------------ */

/* Called by the handler (with q->mu held, from any thread) when a suspended request settles. */
static void on_resume(req *q)
{
    relay_grpc *g = q->r->grpc;
    q->refs++; /* for the ready list */
    pthread_mutex_lock(&g->mu);
    q->ready_next = g->ready;
    g->ready = q;
    pthread_mutex_unlock(&g->mu);
    uint64_t one = 1;
    if (g->evfd >= 0 && write(g->evfd, &one, sizeof one) < 0) {
        /* the counter is full: the loop is woken anyway */
    }
}

static void stream_free(gstream *st)
{
    gconn *c = st->c;
    if (st->prev)
        st->prev->next = st->next;
    else
        c->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    relay_acks_forget(st->q);
    st->q->transport = NULL;
    relay_req_unref(st->q);
    ce_buf_free(&st->resp);
    atomic_fetch_sub(&c->g->active, 1);
    free(st);
}

/* A complete request: check the gRPC framing and hand the message to the OTLP handler. */
static void process(gstream *st)
{
    req *q = st->q;
    st->done = true;
    bool logs = strcmp(st->path, LOGS_PATH) == 0;
    if (!logs && strcmp(st->path, TRACES_PATH) != 0) {
        char d[300];
        snprintf(d, sizeof d,
                 "unknown method %.96s (this listener serves " LOGS_PATH " and " TRACES_PATH ")",
                 st->path);
        answer_status(st, GRPC_UNIMPLEMENTED, d, -1);
        return;
    }
    if (strncasecmp(st->ctype, "application/grpc", 16) != 0) {
        nghttp2_nv nv[] = {NV(":status", "415")};
        nghttp2_submit_response(st->c->s, st->id, nv, 1, NULL);
        return;
    }
    snprintf(q->url, sizeof q->url, "%s", logs ? "/v1/logs" : "/v1/traces");
    bool gz = false;
    if (!q->too_big && !q->overloaded && !q->header_too_big) {
        const uint8_t *b = (const uint8_t *)q->body.ptr;
        size_t len = q->body.len;
        const char *bad = NULL;
        uint32_t mlen =
            len >= 5 ? (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4] : 0;
        if (len < 5)
            bad = "the request holds no complete gRPC message (a 5-byte prefix, then the message)";
        else if (b[0] > 1)
            bad = "the gRPC message prefix has an invalid compressed flag";
        else if ((uint64_t)mlen + 5 > len)
            bad = "the gRPC message is shorter than its prefix says";
        else if ((uint64_t)mlen + 5 < len)
            bad = "more than one gRPC message in a unary request";
        if (bad) {
            answer_status(st, GRPC_INVALID_ARGUMENT, bad, -1);
            return;
        }
        gz = b[0] == 1;
        if (gz && strcasecmp(st->enc, "gzip") != 0) {
            char d[160];
            snprintf(d, sizeof d, "grpc-encoding '%.32s' is not supported (gzip, identity)",
                     st->enc);
            answer_status(st, GRPC_UNIMPLEMENTED, d, -1);
            return;
        }
        memmove(q->body.ptr, q->body.ptr + 5, mlen);
        q->body.len = mlen;
    }
    size_t n = 0;
    q->hdrs[n++] = (ce_header){{"Content-Type", 12}, {"application/x-protobuf", 22}};
    if (gz)
        q->hdrs[n++] = (ce_header){{"Content-Encoding", 16}, {"gzip", 4}};
    if (st->auth[0])
        q->hdrs[n++] = (ce_header){{"Authorization", 13}, {st->auth, strlen(st->auth)}};
    q->nhdrs = n;
    relay_handle(q);
    relay_req_drop_body(q); /* the events were copied */
    if (!q->suspended)
        answer(st);
}

/* ---- nghttp2 callbacks ---------------------------------------------------------------------- */

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    gconn *c = user;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    gstream *st = calloc(1, sizeof *st);
    req *q = st ? relay_req_new(c->g->r, LISTEN_OTLP, NULL, "POST", "/") : NULL;
    if (!q) {
        free(st);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* the stream is reset */
    }
    st->id = f->hd.stream_id;
    st->c = c;
    st->q = q;
    ce_buf_init(&st->resp);
    q->on_resume = on_resume;
    q->transport = st;
    st->next = c->streams;
    if (c->streams)
        c->streams->prev = st;
    c->streams = st;
    atomic_fetch_add(&c->g->active, 1);
    nghttp2_session_set_stream_user_data(s, st->id, st);
    return 0;
}

static void copy_field(char *dst, size_t n, const uint8_t *v, size_t len)
{
    if (len >= n) /* longer than any valid value: keep it recognisably wrong */
        len = 0;
    memcpy(dst, v, len);
    dst[len] = 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
    gstream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    if (!st || f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    req *q = st->q;
    q->header_bytes += namelen + valuelen;
    if (q->header_bytes > RELAY_MAX_HEADER_BYTES)
        q->header_too_big = true;
#define IS(lit) (namelen == sizeof(lit) - 1 && memcmp(name, lit, namelen) == 0)
    if (IS(":path"))
        copy_field(st->path, sizeof st->path, value, valuelen);
    else if (IS(":method"))
        copy_field(q->method, sizeof q->method, value, valuelen);
    else if (IS("content-type"))
        copy_field(st->ctype, sizeof st->ctype, value, valuelen);
    else if (IS("grpc-encoding"))
        copy_field(st->enc, sizeof st->enc, value, valuelen);
    else if (IS("authorization"))
        copy_field(st->auth, sizeof st->auth, value, valuelen);
#undef IS
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *user)
{
    gstream *st = nghttp2_session_get_stream_user_data(s, id);
    if (!st || st->done)
        return 0;
    req *q = st->q;
    relay *r = q->r;
    if (q->too_big || q->overloaded || q->header_too_big)
        return 0; /* answered once the request ends; the bytes are dropped */
    uint64_t max = relay_live(r)->limits.max_body_bytes;
    const uint8_t *b = (const uint8_t *)q->body.ptr;
    if (q->body.len + len > max + 5 ||
        (q->body.len >= 5 &&
         ((uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4]) > max)) {
        q->too_big = true;
    } else if (relay_over_memory(r, len) || ce_buf_append(&q->body, data, len) != 0) {
        q->overloaded = true;
    } else if (q->body.cap > q->body_counted) {
        atomic_fetch_add(&r->body_bytes, q->body.cap - q->body_counted);
        q->body_counted = q->body.cap;
    }
    if (q->too_big || q->overloaded)
        relay_req_drop_body(q);
    return 0;
}

static int on_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    if ((f->hd.type != NGHTTP2_DATA && f->hd.type != NGHTTP2_HEADERS) ||
        !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    gstream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    if (st && !st->done)
        process(st);
    return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t err, void *user)
{
    gstream *st = nghttp2_session_get_stream_user_data(s, id);
    if (st)
        stream_free(st);
    return 0;
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
        stream_free(c->streams);
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

static void on_readable(gconn *c)
{
    uint8_t buf[16384];
    while (!c->dead) {
        ssize_t n = conn_read(c, buf, sizeof buf);
        if (n == AGAIN)
            break;
        c->last_rx = cer_mono_ns();
        if (n <= 0 || nghttp2_session_mem_recv(c->s, buf, (size_t)n) < 0) {
            c->dead = true;
            return;
        }
    }
    flush(c);
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
        flush(c); /* the server's SETTINGS (with TLS: once the handshake allows) */
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
            answer_events_done(q);
            answer(st);
            flush(st->c);
        }
        relay_req_unref(q);
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
                    flush(c);
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
                flush(c);
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
    if (nghttp2_session_callbacks_new(&g->cbs) != 0) {
        free(g);
        return NULL;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(g->cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(g->cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(g->cbs, on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(g->cbs, on_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(g->cbs, on_close);
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

int relay_grpc_start(relay *r, char *errstr, size_t errstr_size)
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
        relay_log(CER_CONFIG_LEVEL_WARN,
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

void relay_grpc_quiesce(relay *r, int timeout_ms)
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

void relay_grpc_stop(relay *r)
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

void relay_grpc_url(relay *r, char *out, size_t out_size)
{
    if (!r->grpc) {
        snprintf(out, out_size, "disabled");
        return;
    }
    snprintf(out, out_size, "%s://%s:%d", r->grpc->ssl ? "https" : "http", r->grpc->host,
             r->grpc_port);
}

int relay_grpc_feed(relay *r, const uint8_t *data, size_t len, ce_buf *out)
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
        flush(c);
    }
    r->grpc = NULL;
    grpc_free(g);
    return rc;
}
