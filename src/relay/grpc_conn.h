/* Internal to the OTLP/gRPC listener: the state shared by grpc.c (connections, the event loop,
 * start/stop) and grpc_call.c (one call: gRPC framing, the handler, the answer and its status).
 * Everything here is owned and touched by the listener's thread only, except relay_grpc.ready
 * (guarded by relay_grpc.mu) and the counters (atomics). */
#ifndef CER_RELAY_GRPC_CONN_H
#define CER_RELAY_GRPC_CONN_H

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include "relay/grpc.h"
#include "relay/http.h"

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
    int fd; /* -1: cer__relay_grpc_feed (writes go to sink) */
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

/* grpc.c: write what nghttp2 has to send (marks c dead on an error). */
void cer__relay_grpc__flush(gconn *c);
/* grpc_call.c: send the answer stored in st->q (the response, or the refusal as a status). */
void cer__relay_grpc__answer(gstream *st);
/* grpc_call.c: free a stream and drop its reference to the request. */
void cer__relay_grpc__stream_free(gstream *st);
/* grpc_call.c: the nghttp2 callbacks of a server session (the caller frees them). */
int cer__relay_grpc__callbacks_new(nghttp2_session_callbacks **cbs);

#endif
