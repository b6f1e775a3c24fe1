/* Shared helpers for the sink authentication tests: a fake Kafka broker on 127.0.0.1 that speaks
 * just enough of the protocol (ApiVersions, SaslHandshake, SaslAuthenticate) to record the
 * SASL/OAUTHBEARER client message librdkafka sends, so a test can see the very token a producer
 * authenticates with; plus environment and encoding helpers. */
#ifndef CER_TEST_AUTHTEST_H
#define CER_TEST_AUTHTEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "sink/auth.h"

typedef struct sasl_stub {
    int lfd;
    pthread_t thr;
    atomic_int stop;
    atomic_int auths; /* SaslAuthenticate requests seen */
    pthread_mutex_t mu;
    char last[65536]; /* the last client message (NUL-terminated), under mu */
    size_t last_len;
    char addr[64]; /* "127.0.0.1:PORT" */
} sasl_stub;

static inline int authtest_readn(int fd, void *b, size_t n, const atomic_int *stop)
{
    size_t o = 0;
    while (o < n) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, 100);
        if (atomic_load(stop))
            return -1;
        if (r <= 0)
            continue;
        ssize_t k = read(fd, (char *)b + o, n - o);
        if (k <= 0)
            return -1;
        o += (size_t)k;
    }
    return 0;
}

static inline void authtest_put16(unsigned char *b, size_t *o, int v)
{
    b[(*o)++] = (unsigned char)(v >> 8);
    b[(*o)++] = (unsigned char)v;
}

static inline void authtest_put32(unsigned char *b, size_t *o, uint32_t v)
{
    uint32_t x = htonl(v);
    memcpy(b + *o, &x, 4);
    *o += 4;
}

/* One connection: answer ApiVersions and SaslHandshake, record SaslAuthenticate, hang up. */
static inline void sasl_stub_conn(sasl_stub *s, int fd)
{
    enum { REQ_MAX = 70000 };
    unsigned char *req = malloc(REQ_MAX);
    for (; req;) {
        unsigned char hdr[4];
        uint32_t n;
        if (authtest_readn(fd, hdr, 4, &s->stop))
            break;
        memcpy(&n, hdr, 4);
        n = ntohl(n);
        if (n < 10 || n > REQ_MAX || authtest_readn(fd, req, n, &s->stop))
            break;
        int api = (req[0] << 8) | req[1], ver = (req[2] << 8) | req[3];
        size_t body = 10 + (size_t)((req[8] << 8) | req[9]);
        unsigned char r[256];
        size_t o = 4;
        memcpy(r + o, req + 4, 4); /* correlation id */
        o += 4;
        if (api == 18 && ver > 0) {
            /* KIP-511: unsupported version, answered in v0 form: ask for v0. */
            authtest_put16(r, &o, 35);
            authtest_put32(r, &o, 1);
            authtest_put16(r, &o, 18);
            authtest_put16(r, &o, 0);
            authtest_put16(r, &o, 0);
        } else if (api == 18) {
            static const int keys[4][3] = {{18, 0, 0}, {17, 0, 1}, {36, 0, 1}, {3, 0, 2}};
            authtest_put16(r, &o, 0);
            authtest_put32(r, &o, 4);
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 3; j++)
                    authtest_put16(r, &o, keys[i][j]);
        } else if (api == 17) {
            authtest_put16(r, &o, 0);
            authtest_put32(r, &o, 1);
            authtest_put16(r, &o, 11);
            memcpy(r + o, "OAUTHBEARER", 11);
            o += 11;
        } else if (api == 36 && body + 4 <= n) {
            uint32_t l;
            memcpy(&l, req + body, 4);
            l = ntohl(l);
            if (body + 4 + l <= n && l < sizeof s->last) {
                pthread_mutex_lock(&s->mu);
                memcpy(s->last, req + body + 4, l);
                s->last[l] = '\0';
                s->last_len = l;
                pthread_mutex_unlock(&s->mu);
                atomic_fetch_add(&s->auths, 1);
            }
            break;
        } else {
            break;
        }
        size_t sz = o - 4;
        o = 0;
        authtest_put32(r, &o, (uint32_t)sz);
        if (write(fd, r, sz + 4) != (ssize_t)(sz + 4))
            break;
    }
    free(req);
    close(fd);
}

static inline void *sasl_stub_main(void *arg)
{
    sasl_stub *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {s->lfd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd >= 0)
            sasl_stub_conn(s, fd);
    }
    return NULL;
}

static inline int sasl_stub_start(sasl_stub *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) || listen(s->lfd, 8) ||
        getsockname(s->lfd, (struct sockaddr *)&sa, &sl))
        return -1;
    snprintf(s->addr, sizeof s->addr, "127.0.0.1:%d", ntohs(sa.sin_port));
    return pthread_create(&s->thr, NULL, sasl_stub_main, s);
}

static inline void sasl_stub_stop(sasl_stub *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thr, NULL);
    close(s->lfd);
    pthread_mutex_destroy(&s->mu);
}

/* Wait (at most timeout_ms) until at least `n` authentications were seen; returns the count. */
static inline int sasl_stub_wait(sasl_stub *s, int n, int timeout_ms)
{
    for (int waited = 0; atomic_load(&s->auths) < n && waited < timeout_ms; waited += 20) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return atomic_load(&s->auths);
}

/* The bearer token of the last client message ("n,,\x01auth=Bearer TOKEN\x01...\x01"), copied
 * into out; "" when none. */
static inline void sasl_stub_token(sasl_stub *s, char *out, size_t out_size)
{
    out[0] = '\0';
    pthread_mutex_lock(&s->mu);
    const char *p = strstr(s->last, "\x01"
                                    "auth=Bearer ");
    if (p) {
        p += 13;
        const char *e = strchr(p, '\x01');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n < out_size) {
            memcpy(out, p, n);
            out[n] = '\0';
        }
    }
    pthread_mutex_unlock(&s->mu);
}

/* base64url (no padding) -> bytes, NUL-terminated in a new buffer (NULL on bad input). */
static inline char *authtest_b64url_decode(const char *s)
{
    ce_buf b64, out;
    ce_buf_init(&b64);
    ce_buf_init(&out);
    for (const char *p = s; *p; p++) {
        char c = *p == '-' ? '+' : *p == '_' ? '/' : *p;
        ce_buf_append(&b64, &c, 1);
    }
    while (b64.len % 4)
        ce_buf_append(&b64, "=", 1);
    int rc = ce_base64_decode(b64.ptr, b64.len, &out);
    ce_buf_free(&b64);
    if (rc || ce_buf_append(&out, "", 1)) {
        ce_buf_free(&out);
        return NULL;
    }
    return out.ptr;
}

/* Clear every AWS variable the credential and region lookup reads. */
static inline void authtest_clear_aws_env(void)
{
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
    };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
}

/* Write `text` to a fresh file under /tmp; the path is returned in path (size >= 64). */
static inline void authtest_write_tmp(char *path, size_t path_size, const char *text)
{
    snprintf(path, path_size, "/tmp/cerelay-auth-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    size_t n = strlen(text);
    CHECK(write(fd, text, n) == (ssize_t)n);
    close(fd);
}

#endif
