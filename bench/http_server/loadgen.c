/* The benchmarks' HTTP/1.1 load generator (see loadgen.h). Responses are framed by
 * Content-Length (every server measured sends one); a "Connection: close" makes the connection
 * reconnect, which is counted. */
#include "loadgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { RBUF = 65536 };

typedef struct conn {
    int fd;
    char *req;   /* this connection's copy of the request */
    size_t sent; /* bytes of req written */
    char *rbuf;  /* response bytes */
    size_t rlen;
    double t0; /* send time */
    int want_out;
} conn;

typedef struct worker {
    const lg_conf *c;
    conn *cs;
    int n, ep;
    pthread_t th;
    double *lat; /* ms, measured window */
    size_t nlat, cap;
    uint64_t ok, errors, reconnects;
    int bad_status;
    char bad_body[256];
} worker;

static atomic_int measuring, stopping;
static atomic_ullong seq;

double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(int port)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int ep_set(worker *w, conn *k, int out, int op)
{
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = k};
    return epoll_ctl(w->ep, op, k->fd, &ev);
}

/* Write what is left of the request; 0 done or waiting for EPOLLOUT, -1 broken. */
static int pump_out(worker *w, conn *k)
{
    while (k->sent < w->c->req_len) {
        ssize_t n = write(k->fd, k->req + k->sent, w->c->req_len - k->sent);
        if (n > 0) {
            k->sent += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (!k->want_out) {
                k->want_out = 1;
                ep_set(w, k, 1, EPOLL_CTL_MOD);
            }
            return 0;
        }
        return -1;
    }
    if (k->want_out) {
        k->want_out = 0;
        ep_set(w, k, 0, EPOLL_CTL_MOD);
    }
    return 0;
}

static int send_next(worker *w, conn *k)
{
    if (w->c->prepare)
        w->c->prepare(w->c->ctx, k->req, w->c->req_len, atomic_fetch_add(&seq, 1));
    k->sent = 0;
    k->rlen = 0;
    k->t0 = mono_s();
    return pump_out(w, k);
}

static int reconnect(worker *w, conn *k)
{
    epoll_ctl(w->ep, EPOLL_CTL_DEL, k->fd, NULL);
    close(k->fd);
    k->want_out = 0;
    k->fd = dial(w->c->port);
    if (k->fd < 0)
        return -1;
    set_nonblock(k->fd);
    if (atomic_load(&measuring))
        w->reconnects++;
    ep_set(w, k, 0, EPOLL_CTL_ADD);
    return send_next(w, k);
}

/* A complete response in k->rbuf? Returns its length, 0 if incomplete; sets *status, *close. */
static size_t framed(conn *k, int *status, int *close_after)
{
    char *end = memmem(k->rbuf, k->rlen, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t hdr = (size_t)(end - k->rbuf) + 4;
    *status = k->rlen > 12 ? atoi(k->rbuf + 9) : 0;
    long long cl = 0;
    *close_after = 0;
    for (char *p = k->rbuf; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        nl++;
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            cl = atoll(p + 15);
        else if (strncasecmp(p, "Connection:", 11) == 0 && strcasestr(p, "close") &&
                 strcasestr(p, "close") < nl)
            *close_after = 1;
        p = nl;
    }
    if (k->rlen < hdr + (size_t)cl)
        return 0;
    return hdr + (size_t)cl;
}

static void record(worker *w, double ms)
{
    if (w->nlat == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 65536;
        w->lat = realloc(w->lat, sizeof *w->lat * w->cap);
        if (!w->lat)
            abort();
    }
    w->lat[w->nlat++] = ms;
}

static int on_readable(worker *w, conn *k)
{
    for (;;) {
        if (k->rlen == RBUF)
            return -1; /* a response larger than we expect from any server here */
        ssize_t n = read(k->fd, k->rbuf + k->rlen, RBUF - k->rlen);
        if (n > 0) {
            k->rlen += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        return -1; /* closed or failed */
    }
    int status, close_after;
    size_t len = framed(k, &status, &close_after);
    if (!len)
        return 0;
    double now = mono_s();
    if (atomic_load(&measuring)) {
        if (status == w->c->expect_status) {
            w->ok++;
            record(w, (now - k->t0) * 1e3);
        } else {
            w->errors++;
            if (!w->bad_status) {
                w->bad_status = status;
                size_t h = (size_t)((char *)memmem(k->rbuf, len, "\r\n\r\n", 4) - k->rbuf) + 4;
                snprintf(w->bad_body, sizeof w->bad_body, "%.*s", (int)(len - h), k->rbuf + h);
            }
        }
    }
    if (atomic_load(&stopping))
        return 1;
    if (close_after)
        return reconnect(w, k);
    return send_next(w, k);
}

static void *work(void *arg)
{
    worker *w = arg;
    struct epoll_event evs[64];
    for (int i = 0; i < w->n; i++)
        if (send_next(w, &w->cs[i]) != 0 && reconnect(w, &w->cs[i]) != 0)
            w->errors++;
    while (!atomic_load(&stopping)) {
        int n = epoll_wait(w->ep, evs, 64, 50);
        for (int i = 0; i < n; i++) {
            conn *k = evs[i].data.ptr;
            int rc = 0;
            if (evs[i].events & EPOLLOUT)
                rc = pump_out(w, k);
            if (!rc && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                rc = on_readable(w, k);
            if (rc < 0) {
                if (atomic_load(&measuring))
                    w->errors++;
                if (!atomic_load(&stopping) && reconnect(w, k) != 0)
                    atomic_store(&stopping, 1); /* the server is gone */
            }
        }
    }
    return NULL;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int lg_run(const lg_conf *c, lg_result *out)
{
    memset(out, 0, sizeof *out);
    int nt = c->threads > 0 ? c->threads : (c->conns < 2 ? c->conns : 2);
    worker *ws = calloc((size_t)nt, sizeof *ws);
    if (!ws)
        return -1;
    atomic_store(&measuring, 0);
    atomic_store(&stopping, 0);
    int rc = 0;
    for (int t = 0; t < nt; t++) {
        worker *w = &ws[t];
        w->c = c;
        w->n = c->conns / nt + (t < c->conns % nt);
        w->cs = calloc((size_t)w->n, sizeof *w->cs);
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        for (int i = 0; i < w->n; i++) {
            conn *k = &w->cs[i];
            k->req = malloc(c->req_len);
            k->rbuf = malloc(RBUF);
            memcpy(k->req, c->req, c->req_len);
            k->fd = dial(c->port);
            if (k->fd < 0) {
                rc = -1;
                continue;
            }
            set_nonblock(k->fd);
            ep_set(w, k, 0, EPOLL_CTL_ADD);
        }
    }
    if (rc == 0) {
        for (int t = 0; t < nt; t++)
            pthread_create(&ws[t].th, NULL, work, &ws[t]);
        sleep_s(c->warmup_s);
        if (c->on_phase)
            c->on_phase(c->phase_ctx, 1);
        double t0 = mono_s();
        atomic_store(&measuring, 1);
        sleep_s(c->duration_s);
        atomic_store(&measuring, 0);
        out->secs = mono_s() - t0;
        if (c->on_phase)
            c->on_phase(c->phase_ctx, 0);
        atomic_store(&stopping, 1);
        for (int t = 0; t < nt; t++)
            pthread_join(ws[t].th, NULL);
    }
    size_t total = 0;
    for (int t = 0; t < nt; t++)
        total += ws[t].nlat;
    double *all = malloc(sizeof *all * (total ? total : 1));
    size_t k = 0;
    for (int t = 0; t < nt; t++) {
        worker *w = &ws[t];
        memcpy(all + k, w->lat, sizeof *all * w->nlat);
        k += w->nlat;
        out->ok += w->ok;
        out->errors += w->errors;
        out->reconnects += w->reconnects;
        if (!out->bad_status && w->bad_status) {
            out->bad_status = w->bad_status;
            memcpy(out->bad_body, w->bad_body, sizeof out->bad_body);
        }
        for (int i = 0; i < w->n; i++) {
            if (w->cs[i].fd >= 0)
                close(w->cs[i].fd);
            free(w->cs[i].req);
            free(w->cs[i].rbuf);
        }
        close(w->ep);
        free(w->cs);
        free(w->lat);
    }
    if (total) {
        qsort(all, total, sizeof *all, cmpd);
        out->p50_ms = all[total / 2];
        out->p99_ms = all[total * 99 / 100];
        out->p999_ms = all[total * 999 / 1000];
        out->max_ms = all[total - 1];
    }
    free(all);
    free(ws);
    return rc;
}

double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* after ") ": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
     * utime(14) stime(15) */
    unsigned long long ut = 0, st = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

long proc_status_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    size_t fl = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
            kb = atol(line + fl + 1);
            break;
        }
    fclose(f);
    return kb;
}

double load_avg1(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}
