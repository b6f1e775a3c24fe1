/* bench_http2_server: the HTTP/2 server library comparison behind the relay's OTLP/gRPC
 * listener (docs/http-server-choice.md, "HTTP/2 for OTLP/gRPC"). The same minimal unary
 * "gRPC" server on each Debian-packaged candidate: read the request body (a gRPC-framed
 * message) and drop it, answer 200 application/grpc with a 5-byte framed empty message (and,
 * where the library can, the grpc-status trailer). h2load (nghttp2-client) is the load
 * generator; bench/http2_server/run.sh runs it and reads the server's CPU from /proc.
 *
 *   bench_http2_server nghttp2|h2o PORT     (serves until killed)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_on(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0) {
        perror("listen");
        exit(1);
    }
    return fd;
}

/* ---- nghttp2: a server session per connection on our own epoll loop (as src/relay/grpc.c) */

static const uint8_t reply_msg[5] = {0, 0, 0, 0, 0};

typedef struct conn {
    int fd;
    nghttp2_session *s;
} conn;

static ssize_t read_reply(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                          nghttp2_data_source *src, void *user)
{
    memcpy(buf, reply_msg, 5);
    *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
    nghttp2_nv tr[] = {{(uint8_t *)"grpc-status", (uint8_t *)"0", 11, 1, 0}};
    nghttp2_submit_trailer(s, id, tr, 1);
    return 5;
}

static int on_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        nghttp2_nv nv[] = {{(uint8_t *)":status", (uint8_t *)"200", 7, 3, 0},
                           {(uint8_t *)"content-type", (uint8_t *)"application/grpc", 12, 16, 0}};
        nghttp2_data_provider dp = {.read_callback = read_reply};
        nghttp2_submit_response(s, f->hd.stream_id, nv, 2, &dp);
    }
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *d, size_t n,
                   void *user)
{
    return 0; /* dropped */
}

/* Gather every frame nghttp2 has into one buffer, then one send (as src/relay/grpc.c). */
static int flush(conn *c)
{
    static uint8_t out[1 << 16];
    for (;;) {
        size_t len = 0;
        const uint8_t *d;
        ssize_t n;
        while (len < sizeof out / 2 && (n = nghttp2_session_mem_send(c->s, &d)) > 0) {
            if ((size_t)n > sizeof out - len)
                return -1; /* the benchmark's frames are small */
            memcpy(out + len, d, (size_t)n);
            len += (size_t)n;
        }
        if (len == 0)
            return 0;
        for (size_t off = 0; off < len;) { /* blocking-ish: the replies are tiny */
            ssize_t k = send(c->fd, out + off, len - off, MSG_NOSIGNAL);
            if (k < 0)
                return -1;
            off += (size_t)k;
        }
    }
}

static int serve_nghttp2(int port)
{
    int lfd = listen_on(port), ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[64];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    nghttp2_session_callbacks *cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
    printf("listening\n");
    fflush(stdout);
    uint8_t buf[16384];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = calloc(1, sizeof *c);
                    c->fd = fd;
                    nghttp2_session_server_new(&c->s, cbs, c);
                    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
                    nghttp2_submit_settings(c->s, NGHTTP2_FLAG_NONE, iv, 1);
                    struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
                    flush(c);
                }
                continue;
            }
            ssize_t k;
            int dead = 0;
            while ((k = read(c->fd, buf, sizeof buf)) > 0)
                if (nghttp2_session_mem_recv(c->s, buf, (size_t)k) < 0)
                    dead = 1;
            if (k == 0 || dead || flush(c) < 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                nghttp2_session_del(c->s);
                free(c);
            }
        }
    }
    return 0;
}

/* ---- h2o 2.2 (libh2o-evloop): HTTP/2 by prior knowledge on cleartext ------------------- */
#ifdef HAVE_H2O
#include <h2o.h>

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    /* h2o 2.2 has no API for response trailers: grpc-status cannot follow the message, so a
     * real gRPC server cannot be written on it. The benchmark sends the message alone. */
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = 5;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/grpc"));
    h2o_send_inline(req, (const char *)reply_msg, 5);
    return 0;
}

static h2o_accept_ctx_t accept_ctx;

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_socket_t *sock;
    if (err || !(sock = h2o_evloop_socket_accept(listener)))
        return;
    h2o_accept(&accept_ctx, sock);
}

static int serve_h2o(int port)
{
    static h2o_globalconf_t config;
    static h2o_context_t ctx;
    h2o_config_init(&config);
    h2o_hostconf_t *host =
        h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(path, sizeof(h2o_handler_t))->on_req = on_req;
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_context_init(&ctx, loop, &config);
    accept_ctx.ctx = &ctx;
    accept_ctx.hosts = config.hosts;
    h2o_socket_t *ls = h2o_evloop_socket_create(loop, listen_on(port), H2O_SOCKET_FLAG_DONT_READ);
    h2o_socket_read_start(ls, on_accept);
    printf("listening\n");
    fflush(stdout);
    while (h2o_evloop_run(loop, INT32_MAX) == 0)
        ;
    return 0;
}
#endif

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_http2_server nghttp2|h2o PORT\n");
        return 2;
    }
    int port = atoi(argv[2]);
    if (strcmp(argv[1], "nghttp2") == 0)
        return serve_nghttp2(port);
#ifdef HAVE_H2O
    if (strcmp(argv[1], "h2o") == 0)
        return serve_h2o(port);
#endif
    fprintf(stderr, "bench_http2_server: unknown or not built: %s\n", argv[1]);
    return 2;
}
