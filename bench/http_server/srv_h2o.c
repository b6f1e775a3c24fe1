/* Candidate: libh2o 2.2.5 (Debian's libh2o-evloop: h2o's own epoll loop, no libuv) on one
 * loop thread. Async answers come back through h2o_multithread_send_message. */
#include <h2o.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "srv.h"

static h2o_globalconf_t config;
static h2o_context_t ctx;
static h2o_accept_ctx_t accept_ctx;
static h2o_evloop_t *loop;
static h2o_multithread_receiver_t receiver;
static int h2_async;

typedef struct ack_msg {
    h2o_multithread_message_t super; /* first: the queue links messages through it */
    h2o_req_t *req;
} ack_msg;

static void reply(h2o_req_t *req)
{
    req->res.status = 202;
    req->res.reason = "Accepted";
    req->res.content_length = sizeof SRV_REPLY - 1; /* else h2o 2.2 closes the connection */
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
    h2o_send_inline(req, H2O_STRLIT(SRV_REPLY));
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
        return -1;
    /* req->entity holds the whole body (at most max_request_entity_size, else 413) */
    if (!h2_async) {
        reply(req);
        return 0;
    }
    ack_msg *m = malloc(sizeof *m);
    if (!m)
        abort();
    memset(&m->super, 0, sizeof m->super);
    m->req = req;
    acker_push(m);
    return 0;
}

/* Ack thread: hand the request back to the loop thread. */
static void complete(void *token)
{
    ack_msg *m = token;
    h2o_multithread_send_message(&receiver, &m->super);
}

static void on_acks(h2o_multithread_receiver_t *r, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        ack_msg *m = H2O_STRUCT_FROM_MEMBER(ack_msg, super.link, messages->next);
        h2o_linklist_unlink(&m->super.link);
        reply(m->req);
        free(m);
    }
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_socket_t *sock;
    if (err || !(sock = h2o_evloop_socket_accept(listener)))
        return;
    h2o_accept(&accept_ctx, sock);
}

static void *run(void *arg)
{
    while (h2o_evloop_run(loop, INT32_MAX) == 0)
        ;
    return NULL;
}

static int start(int async, int *port, char *errstr, size_t errstr_size)
{
    h2_async = async;
    h2o_config_init(&config);
    config.max_request_entity_size = SRV_MAX_BODY;
    h2o_hostconf_t *host =
        h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/events", 0);
    h2o_handler_t *h = h2o_create_handler(path, sizeof *h);
    h->on_req = on_req;
    loop = h2o_evloop_create();
    h2o_context_init(&ctx, loop, &config);
    accept_ctx.ctx = &ctx;
    accept_ctx.hosts = config.hosts;
    if (async) {
        h2o_multithread_queue_t *q = h2o_multithread_create_queue(loop);
        h2o_multithread_register_receiver(q, &receiver, on_acks);
        acker_start(complete);
    }
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t len = sizeof sa;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        snprintf(errstr, errstr_size, "cannot listen on 127.0.0.1");
        return -1;
    }
    *port = ntohs(sa.sin_port);
    h2o_socket_t *ls = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    h2o_socket_read_start(ls, on_accept);
    pthread_t th;
    if (pthread_create(&th, NULL, run, NULL) != 0) {
        snprintf(errstr, errstr_size, "pthread_create failed");
        return -1;
    }
    return 0;
}

const srv_ops srv_h2o = {"h2o 2.2.5 (libh2o-evloop)", "1 evloop thread", start};
