/* Candidate: GNU libmicrohttpd, as the relay uses it (internal polling thread with epoll,
 * suspend/resume allowed, turbo), with one polling thread or a pool of two. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "srv.h"

typedef struct mreq {
    struct MHD_Connection *conn;
    size_t got;
    int too_big, suspended;
} mreq;

static int mhd_async;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    mreq *q = *con_cls;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q)
            return MHD_NO;
        q->conn = c;
        *con_cls = q;
        return MHD_YES;
    }
    if (*upload_size) {
        q->got += *upload_size;
        if (q->got > SRV_MAX_BODY)
            q->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (q->too_big)
        return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "{\"error\":\"too large\"}");
    if (strcmp(url, "/events") != 0 || strcmp(method, "POST") != 0)
        return reply(c, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}");
    if (mhd_async && !q->suspended) {
        q->suspended = 1;
        MHD_suspend_connection(c);
        acker_push(q);
        return MHD_YES;
    }
    return reply(c, MHD_HTTP_ACCEPTED, SRV_REPLY);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    free(*con_cls);
    *con_cls = NULL;
}

static void resume(void *token)
{
    mreq *q = token;
    MHD_resume_connection(q->conn);
}

static int start(unsigned pool, int async, int *port, char *errstr, size_t errstr_size)
{
    mhd_async = async;
    if (async)
        acker_start(resume);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    struct MHD_Daemon *d =
        pool > 1 ? MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                                    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                                    MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_THREAD_POOL_SIZE,
                                    pool, MHD_OPTION_END)
                 : MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                                    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                                    MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (!d) {
        strncpy(errstr, "MHD_start_daemon failed", errstr_size - 1);
        errstr[errstr_size - 1] = 0;
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    return *port ? 0 : -1;
}

static int start_epoll(int async, int *port, char *errstr, size_t errstr_size)
{
    return start(1, async, port, errstr, errstr_size);
}

static int start_pool2(int async, int *port, char *errstr, size_t errstr_size)
{
    return start(2, async, port, errstr, errstr_size);
}

const srv_ops srv_mhd_epoll = {"libmicrohttpd 0.9.75", "1 epoll thread", start_epoll};
const srv_ops srv_mhd_pool2 = {"libmicrohttpd 0.9.75", "pool of 2 epoll threads", start_pool2};
