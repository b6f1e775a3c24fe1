/* A small HTTP/1.1 load generator for the benchmarks (bench_http_server, bench_relay): a fixed
 * number of keep-alive connections spread over a few epoll threads, each sending its next
 * request as soon as the previous response is complete (closed loop), with the latency of
 * every request recorded after a warm-up. Plus /proc helpers for a server's CPU and memory. */
#ifndef BENCH_LOADGEN_H
#define BENCH_LOADGEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct lg_conf {
    int port;          /* on 127.0.0.1 */
    int conns;         /* concurrency: connections, each with one request in flight */
    int threads;       /* epoll threads driving them (0: min(conns, 2)) */
    double warmup_s;   /* not measured */
    double duration_s; /* measured */
    const char *req;   /* the whole HTTP request (headers and body), copied per connection */
    size_t req_len;
    /* Optional: rewrite a connection's copy of the request before each send (fresh ids);
     * seq is unique over the run. Called from the load threads. */
    void (*prepare)(void *ctx, char *req, size_t len, uint64_t seq);
    void *ctx;
    int expect_status; /* responses with another status count as errors */
    /* Optional: called from the calling thread when measuring starts and ends. */
    void (*on_phase)(void *phase_ctx, int measuring);
    void *phase_ctx;
} lg_conf;

typedef struct lg_result {
    uint64_t ok, errors, reconnects; /* measured window only */
    double secs;                     /* length of the measured window */
    double p50_ms, p99_ms, p999_ms, max_ms;
    int bad_status;     /* first unexpected status seen (0: none) */
    char bad_body[256]; /* and the start of its body */
} lg_result;

/* Run the load. Returns 0, or -1 when no connection could be made (errno). */
int lg_run(const lg_conf *c, lg_result *out);

/* From /proc/<pid>: utime+stime in seconds; a VmXXX field of status in KiB (-1 if absent). */
double proc_cpu_s(pid_t pid);
long proc_status_kb(pid_t pid, const char *field);
/* 1-minute load average, for the reports. */
double load_avg1(void);
double mono_s(void);

#endif
