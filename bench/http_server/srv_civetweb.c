/* Candidate: civetweb 1.15, a worker thread per connection (a keep-alive connection holds its
 * worker). It has no suspend/resume: in async mode the worker blocks until the ack thread
 * signals it, which is what the relay would have to do with civetweb. */
#include <civetweb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "srv.h"

typedef struct wait_ack {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
} wait_ack;

static int cw_async;

static void complete(void *token)
{
    wait_ack *w = token;
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static int send_status(struct mg_connection *c, int status, const char *body)
{
    char len[16];
    snprintf(len, sizeof len, "%zu", strlen(body));
    mg_response_header_start(c, status);
    mg_response_header_add(c, "Content-Type", "application/json", -1);
    mg_response_header_add(c, "Content-Length", len, -1);
    mg_response_header_send(c);
    mg_write(c, body, strlen(body));
    return status;
}

static int on_events(struct mg_connection *c, void *cbdata)
{
    const struct mg_request_info *ri = mg_get_request_info(c);
    if (strcmp(ri->request_method, "POST") != 0)
        return send_status(c, 405, "{\"error\":\"method\"}");
    if (ri->content_length > SRV_MAX_BODY)
        return send_status(c, 413, "{\"error\":\"too large\"}");
    char buf[16384];
    int n;
    while ((n = mg_read(c, buf, sizeof buf)) > 0)
        ; /* read and dropped */
    if (cw_async) {
        wait_ack w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
        acker_push(&w);
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
    }
    return send_status(c, 202, SRV_REPLY);
}

static int start(int async, int *port, char *errstr, size_t errstr_size)
{
    cw_async = async;
    if (async)
        acker_start(complete);
    mg_init_library(0);
    /* One worker per keep-alive connection: enough for the highest concurrency measured.
     * tcp_nodelay: civetweb writes headers and body separately (Nagle would add 40 ms). */
    const char *opts[] = {"listening_ports",
                          "127.0.0.1:0",
                          "num_threads",
                          "272",
                          "enable_keep_alive",
                          "yes",
                          "request_timeout_ms",
                          "60000",
                          "keep_alive_timeout_ms",
                          "60000",
                          "tcp_nodelay",
                          "1",
                          NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    struct mg_context *ctx = mg_start(&cb, NULL, opts);
    if (!ctx) {
        snprintf(errstr, errstr_size, "mg_start failed");
        return -1;
    }
    mg_set_request_handler(ctx, "/events", on_events, NULL);
    struct mg_server_port ports[4];
    int np = mg_get_server_ports(ctx, 4, ports);
    *port = np > 0 ? ports[0].port : 0;
    if (!*port) {
        snprintf(errstr, errstr_size, "civetweb did not report its port");
        return -1;
    }
    return 0;
}

const srv_ops srv_civetweb = {"civetweb 1.15", "thread per conn (272)", start};
