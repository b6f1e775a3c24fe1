/* A tiny stand-in for OPA's REST data API on 127.0.0.1 (plain sockets, one thread, one
 * connection at a time), for tests of src/gov/policy_opa.c that need answers a real OPA never
 * gives (garbage, HTTP 500, a hang) and an exact count of the requests it saw. Header-only:
 * include it from one test file. */
#ifndef CER_TEST_OPA_STUB_H
#define CER_TEST_OPA_STUB_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef enum stub_mode {
    STUB_RULE = 1,  /* {"result":{"allow":B}} with B from the tiny rule below */
    STUB_BOOL,      /* {"result":B} */
    STUB_UNDEFINED, /* {} */
    STUB_GARBAGE,   /* 200 with an HTML body */
    STUB_HTTP500,   /* 500 with an OPA-style error body */
    STUB_HANG       /* reads the request, answers nothing for `hang_ms` */
} stub_mode;

typedef struct opa_stub {
    int fd, port;
    pthread_t th;
    atomic_int stop, mode, hang_ms;
    atomic_int requests;
    pthread_mutex_t mu;
    char last_path[256];
    char last_body[1024];
} opa_stub;

/* The tiny rule, as the Rego policy in tests/gov/opa/egress.rego: allow io.coresdk.* (except
 * io.coresdk.secret.rotated) for subjects of tenant acme, and eventzr.llm.usage.v1 always. */
static int stub_rule(const char *body)
{
    if (strstr(body, "\"event_type\":\"eventzr.llm.usage.v1\""))
        return 1;
    if (!strstr(body, "\"event_type\":\"io.coresdk.") ||
        strstr(body, "\"event_type\":\"io.coresdk.secret.rotated\""))
        return 0;
    return strstr(body, "\"subject\":\"tenant/acme/") ||
           strstr(body, "\"subject\":\"tenant/acme\"");
}

static void stub_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void stub_serve(opa_stub *s, int c)
{
    char req[8192];
    size_t n = 0;
    char *hend = NULL;
    while (n < sizeof req - 1) {
        ssize_t r = read(c, req + n, sizeof req - 1 - n);
        if (r <= 0)
            return;
        n += (size_t)r;
        req[n] = 0;
        if ((hend = strstr(req, "\r\n\r\n")) != NULL) {
            const char *cl = strcasestr(req, "Content-Length:");
            size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
            if (n >= (size_t)(hend + 4 - req) + want)
                break;
        }
    }
    if (!hend)
        return;
    atomic_fetch_add(&s->requests, 1);
    pthread_mutex_lock(&s->mu);
    sscanf(req, "%*s %255s", s->last_path);
    snprintf(s->last_body, sizeof s->last_body, "%s", hend + 4);
    pthread_mutex_unlock(&s->mu);
    int mode = atomic_load(&s->mode), status = 200;
    char body[256];
    switch (mode) {
    case STUB_RULE:
        snprintf(body, sizeof body, "{\"result\":{\"allow\":%s}}",
                 stub_rule(hend + 4) ? "true" : "false");
        break;
    case STUB_BOOL:
        snprintf(body, sizeof body, "{\"result\":%s}", stub_rule(hend + 4) ? "true" : "false");
        break;
    case STUB_UNDEFINED:
        snprintf(body, sizeof body, "{}");
        break;
    case STUB_GARBAGE:
        snprintf(body, sizeof body, "<html>502 Bad Gateway</html>");
        break;
    case STUB_HTTP500:
        status = 500;
        snprintf(body, sizeof body, "{\"code\":\"internal_error\",\"message\":\"boom\"}");
        break;
    default: /* STUB_HANG */
        for (int waited = 0; waited < atomic_load(&s->hang_ms) && !atomic_load(&s->stop);
             waited += 10)
            stub_sleep_ms(10);
        return;
    }
    char resp[512];
    int len = snprintf(resp, sizeof resp,
                       "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                       "Connection: close\r\n\r\n%s",
                       status, strlen(body), body);
    if (write(c, resp, (size_t)len) < 0)
        return;
}

static void *stub_main(void *arg)
{
    opa_stub *s = arg;
    while (!atomic_load(&s->stop)) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        if (!atomic_load(&s->stop))
            stub_serve(s, c);
        close(c);
    }
    return NULL;
}

/* Start on a free port; returns 0 or -1. */
static int stub_start(opa_stub *s, stub_mode mode)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    atomic_store(&s->mode, mode);
    atomic_store(&s->hang_ms, 2000);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) || listen(s->fd, 16) ||
        getsockname(s->fd, (struct sockaddr *)&a, &al))
        return -1;
    s->port = ntohs(a.sin_port);
    return pthread_create(&s->th, NULL, stub_main, s) ? -1 : 0;
}

static void stub_stop(opa_stub *s)
{
    atomic_store(&s->stop, 1);
    shutdown(s->fd, SHUT_RDWR); /* wakes accept() */
    pthread_join(s->th, NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->mu);
}

static void stub_url(const opa_stub *s, char *out, size_t n)
{
    snprintf(out, n, "http://127.0.0.1:%d", s->port);
}

/* A loopback port nothing listens on (bound, then closed). */
static int stub_dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int port = -1;
    if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof a) &&
        !getsockname(fd, (struct sockaddr *)&a, &al))
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

#endif
