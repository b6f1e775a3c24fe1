/* Candidate: libevent 2.1 evhttp on one event_base thread. Async answers come back to the loop
 * thread through a done-list and event_active (thread-safe with evthread_use_pthreads). */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "srv.h"

static struct event_base *base;
static struct event *done_ev;
static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static struct evhttp_request **done_v;
static size_t done_n, done_cap;
static int ev_async;

static void reply(struct evhttp_request *req)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_reference(b, SRV_REPLY, sizeof SRV_REPLY - 1, NULL, NULL);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evhttp_send_reply(req, 202, "Accepted", b);
    evbuffer_free(b);
}

static void on_events(struct evhttp_request *req, void *arg)
{
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        evhttp_send_error(req, 405, "Method Not Allowed");
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    evbuffer_drain(in, evbuffer_get_length(in)); /* the body is complete here */
    if (ev_async)
        acker_push(req);
    else
        reply(req);
}

/* Ack thread: queue the request for the loop thread and wake it. */
static void complete(void *token)
{
    pthread_mutex_lock(&done_mu);
    if (done_n == done_cap) {
        done_cap = done_cap ? done_cap * 2 : 256;
        done_v = realloc(done_v, sizeof *done_v * done_cap);
        if (!done_v)
            abort();
    }
    done_v[done_n++] = token;
    pthread_mutex_unlock(&done_mu);
    event_active(done_ev, EV_READ, 0);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
    static struct evhttp_request **mine;
    static size_t cap;
    pthread_mutex_lock(&done_mu);
    size_t n = done_n;
    if (n > cap) {
        cap = done_cap;
        mine = realloc(mine, sizeof *mine * cap);
        if (!mine)
            abort();
    }
    for (size_t i = 0; i < n; i++)
        mine[i] = done_v[i];
    done_n = 0;
    pthread_mutex_unlock(&done_mu);
    for (size_t i = 0; i < n; i++)
        reply(mine[i]);
}

static void *loop(void *arg)
{
    event_base_dispatch(base);
    return NULL;
}

static int start(int async, int *port, char *errstr, size_t errstr_size)
{
    ev_async = async;
    evthread_use_pthreads();
    base = event_base_new();
    struct evhttp *http = base ? evhttp_new(base) : NULL;
    if (!http) {
        snprintf(errstr, errstr_size, "evhttp_new failed");
        return -1;
    }
    evhttp_set_max_body_size(http, SRV_MAX_BODY);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_POST | EVHTTP_REQ_GET);
    evhttp_set_cb(http, "/events", on_events, NULL);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
    if (!bs) {
        snprintf(errstr, errstr_size, "evhttp_bind_socket failed");
        return -1;
    }
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    if (async) {
        done_ev = event_new(base, -1, EV_PERSIST, on_done, NULL);
        event_add(done_ev, NULL);
        acker_start(complete);
    }
    pthread_t th;
    if (pthread_create(&th, NULL, loop, NULL) != 0) {
        snprintf(errstr, errstr_size, "pthread_create failed");
        return -1;
    }
    return 0;
}

const srv_ops srv_evhttp = {"libevent 2.1.12 evhttp", "1 event_base thread", start};
