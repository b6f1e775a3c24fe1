/* One OTLP/gRPC call on the listener (grpc.c): the nghttp2 callbacks collect a request's
 * headers and gRPC-framed message (counted against limits.max_body_bytes and the relay's memory
 * admission as it arrives), hand the complete message to the same handler as OTLP/HTTP
 * (cer__relay_handle), and send the answer it stored: the Export*ServiceResponse with grpc-status
 * 0, or the refusal mapped to a gRPC status (docs/otlp.md), RetryInfo when retrying helps. */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "relay/grpc_conn.h"

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

#define LOGS_PATH   "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
#define TRACES_PATH "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

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
void cer__relay_grpc__answer(gstream *st)
{
    req *q = st->q;
    if (!q->has_resp)
        cer__relay_problem(q, CER_REASON_INTERNAL, "no answer", NULL);
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

void cer__relay_grpc__stream_free(gstream *st)
{
    gconn *c = st->c;
    if (st->prev)
        st->prev->next = st->next;
    else
        c->streams = st->next;
    if (st->next)
        st->next->prev = st->prev;
    cer__relay_acks_forget(st->q);
    st->q->transport = NULL;
    cer__relay_req_unref(st->q);
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
        cer__relay_problem(q, CER_REASON_NOT_FOUND, d,
                           NULL); /* counted and logged; UNIMPLEMENTED */
        cer__relay_req_drop_body(q);
        cer__relay_grpc__answer(st);
        return;
    }
    if (strncasecmp(st->ctype, "application/grpc", 16) != 0) {
        nghttp2_nv nv[] = {NV(":status", "415")};
        atomic_fetch_add(&q->r->metrics.rejected[CER_REASON_MEDIA_TYPE], 1);
        cer__relay_req_drop_body(q);
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
            cer__relay_problem(q, CER_REASON_MALFORMED, bad, NULL); /* INVALID_ARGUMENT */
            cer__relay_req_drop_body(q);
            cer__relay_grpc__answer(st);
            return;
        }
        gz = b[0] == 1;
        if (gz && strcasecmp(st->enc, "gzip") != 0) {
            char d[160];
            snprintf(d, sizeof d, "grpc-encoding '%.32s' is not supported (gzip, identity)",
                     st->enc);
            atomic_fetch_add(&q->r->metrics.rejected[CER_REASON_MEDIA_TYPE], 1);
            cer__relay_req_drop_body(q);
            answer_status(st, GRPC_UNIMPLEMENTED, d, -1);
            return;
        }
        memmove(q->body.ptr, q->body.ptr + 5, mlen);
        q->body.len = mlen;
    }
    bool ok = cer__relay_req_add_header(q, (ce_slice){"Content-Type", 12},
                                        (ce_slice){"application/x-protobuf", 22});
    if (gz)
        ok = ok && cer__relay_req_add_header(q, (ce_slice){"Content-Encoding", 16},
                                             (ce_slice){"gzip", 4});
    if (st->auth[0])
        ok = ok && cer__relay_req_add_header(q, (ce_slice){"Authorization", 13},
                                             (ce_slice){st->auth, strlen(st->auth)});
    if (!ok) {
        answer_status(st, GRPC_RESOURCE_EXHAUSTED, "out of memory", 1);
        cer__relay_req_drop_body(q);
        return;
    }
    cer__relay_handle(q);
    cer__relay_req_drop_body(q); /* the events were copied */
    if (!q->suspended)
        cer__relay_grpc__answer(st);
}

/* ---- nghttp2 callbacks ---------------------------------------------------------------------- */

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    gconn *c = user;
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    gstream *st = calloc(1, sizeof *st);
    req *q = st ? cer__relay_req_new(c->g->r, LISTEN_OTLP, NULL, "POST", "/") : NULL;
    if (!q) {
        free(st);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* the stream is reset */
    }
    st->id = f->hd.stream_id;
    st->c = c;
    st->q = q;
    if (c->ssl) { /* mTLS: verified during the handshake (grpc.c); its subject, RFC 4514 */
        X509 *x = SSL_get1_peer_certificate(c->ssl);
        BIO *bio = x ? BIO_new(BIO_s_mem()) : NULL;
        if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
            char *p;
            long len = BIO_get_mem_data(bio, &p);
            snprintf(q->client_subject, sizeof q->client_subject, "%.*s", (int)len, p);
        }
        BIO_free(bio);
        X509_free(x);
    }
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
    if (q->header_too_big)
        return 0; /* answered once the request ends; the bytes are dropped */
    uint64_t max = relay_live(r)->limits.max_body_bytes;
    if (q->body.len + len > max + 5) {
        q->too_big = true;
    } else if (cer__relay_over_memory(r, len) || ce_buf_append(&q->body, data, len) != 0) {
        q->overloaded = true;
    } else {
        if (q->body.cap > q->body_counted) {
            atomic_fetch_add(&r->body_bytes, q->body.cap - q->body_counted);
            q->body_counted = q->body.cap;
        }
        const uint8_t *b = (const uint8_t *)q->body.ptr;
        if (q->body.len >= 5 &&
            ((uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4]) > max)
            q->too_big = true; /* the prefix declares more than the limit */
    }
    if (q->too_big || q->overloaded) {
        /* answer now (RESOURCE_EXHAUSTED): the client stops sending when it sees the trailers;
         * whatever still arrives for this stream is dropped */
        cer__relay_req_drop_body(q);
        process(st);
    }
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
        cer__relay_grpc__stream_free(st);
    return 0;
}

int cer__relay_grpc__callbacks_new(nghttp2_session_callbacks **cbs)
{
    if (nghttp2_session_callbacks_new(cbs) != 0)
        return -1;
    nghttp2_session_callbacks_set_on_begin_headers_callback(*cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(*cbs, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(*cbs, on_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(*cbs, on_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(*cbs, on_close);
    return 0;
}
