/* bench_http_server: "measure before you choose". Runs the same minimal ingest server (POST
 * /events with a 1 KiB JSON body, 202 {"accepted":1}, keep-alive) on each candidate library,
 * each in a child process (this program again, exec'd) so its CPU and memory are its own, and
 * drives it from this process with keep-alive connections at several concurrencies. Modes: sync
 * (answer inline) and async (answer from another thread, as the relay does once Kafka
 * acknowledged). cpu% and us/req are the server process's own CPU time (/proc/PID/stat), which
 * stays meaningful when other work shares the cores; req/s and latency do not. Usage:
 * bench_http_server [--long] [--only NAME] [--mode sync|async|both] [--conc 1,16,64]
 *        [--duration S] */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen.h"
#include "srv.h"

enum { BODY_BYTES = 1024, MAX_CONC = 8 };

static char req[4096];
static size_t req_len;

/* The seed-000 usage event, padded with a note to exactly BODY_BYTES of JSON. */
static void build_request(void)
{
    static const char head[] =
        "{\"specversion\":\"1.0\",\"type\":\"eventzr.llm.usage.v1\",\"source\":\"llm-orch-svc\","
        "\"id\":\"evt-550e8400-e29b-41d4-a716-446655440000\",\"time\":\"2026-02-27T12:00:00.000Z\","
        "\"datacontenttype\":\"application/json\",\"subject\":\"tenant-uuid\",\"data\":{"
        "\"tenantId\":\"tenant-uuid\",\"userId\":\"user-uuid\",\"provider\":\"aws-bedrock\","
        "\"model\":\"anthropic.claude-3-sonnet-20240229-v1:0\",\"useCase\":\"event-creation\","
        "\"inputTokens\":150,\"outputTokens\":350,\"totalTokens\":500,\"latencyMs\":1250,"
        "\"costUsd\":0.0025,\"cached\":false,\"note\":\"";
    char body[BODY_BYTES + 1];
    size_t h = sizeof head - 1, pad = BODY_BYTES - h - 3;
    memcpy(body, head, h);
    memset(body + h, 'x', pad);
    memcpy(body + h + pad, "\"}}", 3);
    body[BODY_BYTES] = 0;
    req_len = (size_t)snprintf(req, sizeof req,
                               "POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Content-Type: application/cloudevents+json\r\n"
                               "Content-Length: %d\r\n\r\n%s",
                               BODY_BYTES, body);
}

typedef struct child {
    pid_t pid;
    int ctl; /* closing it tells the child to exit */
    int port;
} child;

/* The child: a fresh image of this program (exec, so that its memory is the server's own and
 * not pages inherited from the load generator) serving candidate `idx` until ctlfd closes. */
static int serve(int idx, int async, int portfd, int ctlfd)
{
    signal(SIGPIPE, SIG_IGN);
    char err[256] = "";
    int port = 1; /* idx -1: serve nothing (the baseline memory of a child) */
    if (idx >= 0 && srv_all[idx]->start(async, &port, err, sizeof err) != 0) {
        fprintf(stderr, "bench_http_server: %s: %s\n", srv_all[idx]->name, err);
        port = -1;
    }
    if (write(portfd, &port, sizeof port) != (ssize_t)sizeof port)
        return 1;
    char b;
    while (read(ctlfd, &b, 1) < 0 && errno == EINTR)
        ;
    return 0;
}

static int spawn(int idx, int async, child *ch)
{
    int portp[2], ctlp[2];
    if (pipe(portp) != 0 || pipe(ctlp) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(portp[0]);
        close(ctlp[1]);
        char a[4][16];
        snprintf(a[0], sizeof a[0], "%d", idx);
        snprintf(a[1], sizeof a[1], "%d", async);
        snprintf(a[2], sizeof a[2], "%d", portp[1]);
        snprintf(a[3], sizeof a[3], "%d", ctlp[0]);
        execl("/proc/self/exe", "bench_http_server", "--serve", a[0], a[1], a[2], a[3],
              (char *)NULL);
        _exit(serve(idx, async, portp[1], ctlp[0])); /* no /proc: serve from the fork */
    }
    close(portp[1]);
    close(ctlp[0]);
    ch->pid = pid;
    ch->ctl = ctlp[1];
    struct pollfd pf = {portp[0], POLLIN, 0};
    int port = -1;
    if (poll(&pf, 1, 10000) == 1 && read(portp[0], &port, sizeof port) != (ssize_t)sizeof port)
        port = -1;
    close(portp[0]);
    ch->port = port;
    return port > 0 ? 0 : -1;
}

static void reap(child *ch)
{
    if (ch->ctl >= 0)
        close(ch->ctl);
    for (int i = 0; i < 40; i++) {
        if (waitpid(ch->pid, NULL, WNOHANG) == ch->pid)
            return;
        usleep(50000);
    }
    kill(ch->pid, SIGKILL); /* a library that does not stop on exit(): our own child */
    waitpid(ch->pid, NULL, 0);
}

typedef struct phase {
    pid_t pid;
    double cpu0, cpu1;
} phase;

static void on_phase(void *ctx, int measuring)
{
    phase *p = ctx;
    if (measuring)
        p->cpu0 = proc_cpu_s(p->pid);
    else
        p->cpu1 = proc_cpu_s(p->pid);
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--serve") == 0)
        return serve(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    int conc[MAX_CONC] = {1, 16, 64}, nconc = 3, modes = 3;
    double duration = 1.5, warmup = 0.3;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--long") == 0) {
            duration = 8, warmup = 1;
            conc[3] = 256, nconc = 4;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            i++;
            modes = strcmp(argv[i], "sync") == 0 ? 1 : strcmp(argv[i], "async") == 0 ? 2 : 3;
        } else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc) {
            duration = atof(argv[++i]);
        } else if (strcmp(argv[i], "--conc") == 0 && i + 1 < argc) {
            nconc = 0;
            for (char *p = argv[++i]; *p && nconc < MAX_CONC; p++) {
                conc[nconc++] = (int)strtol(p, &p, 10);
                if (!*p)
                    break;
            }
        } else {
            fprintf(stderr,
                    "usage: bench_http_server [--long] [--only NAME] [--mode sync|async|both] "
                    "[--conc 1,16,64] [--duration S]\n");
            return 2;
        }
    }
    build_request();
    signal(SIGPIPE, SIG_IGN);
    printf("bench_http_server: POST /events, %d-byte JSON body, keep-alive, %.1f s per point "
           "(+%.1f s warm-up); load average %.2f\n",
           BODY_BYTES, duration, warmup, load_avg1());
    child base = {-1, -1, 0};
    if (spawn(-1, 0, &base) == 0) {
        printf("a child that starts no server (every candidate library loaded): %ld KiB RSS\n",
               proc_status_kb(base.pid, "VmRSS"));
        reap(&base);
    }
    printf("%-26s %-24s %-5s %4s %9s %7s %8s %8s %8s %6s %7s %8s %8s %6s\n", "library", "model",
           "mode", "conc", "req/s", "MB/s", "p50 ms", "p99 ms", "p99.9 ms", "cpu%", "us/req",
           "idle KiB", "peak KiB", "errors");
    int failures = 0;
    for (const srv_ops *const *s = srv_all; *s; s++) {
        const srv_ops *ops = *s;
        if (only && !strstr(ops->name, only) && !strstr(ops->model, only))
            continue;
        for (int async = 0; async < 2; async++) {
            if (!(modes & (1 << async)))
                continue;
            child ch = {-1, -1, 0};
            if (spawn((int)(s - srv_all), async, &ch) != 0) {
                printf("%-26s %-24s %-5s  (did not start)\n", ops->name, ops->model,
                       async ? "async" : "sync");
                failures++;
                if (ch.pid > 0)
                    reap(&ch);
                continue;
            }
            long idle = proc_status_kb(ch.pid, "VmRSS");
            for (int k = 0; k < nconc; k++) {
                phase ph = {ch.pid, 0, 0};
                lg_conf lc = {.port = ch.port,
                              .conns = conc[k],
                              .warmup_s = warmup,
                              .duration_s = duration,
                              .req = req,
                              .req_len = req_len,
                              .expect_status = 202,
                              .on_phase = on_phase,
                              .phase_ctx = &ph};
                lg_result r;
                if (lg_run(&lc, &r) != 0) {
                    printf("%-26s %-24s %-5s %4d  (cannot connect)\n", ops->name, ops->model,
                           async ? "async" : "sync", conc[k]);
                    failures++;
                    continue;
                }
                double rps = (double)r.ok / r.secs;
                double cpu = ph.cpu1 - ph.cpu0;
                printf("%-26s %-24s %-5s %4d %9.0f %7.1f %8.3f %8.3f %8.3f %6.0f %7.1f %8ld %8ld "
                       "%6llu\n",
                       ops->name, ops->model, async ? "async" : "sync", conc[k], rps,
                       rps * BODY_BYTES / 1e6, r.p50_ms, r.p99_ms, r.p999_ms, 100.0 * cpu / r.secs,
                       r.ok ? cpu * 1e6 / (double)r.ok : 0.0, idle, proc_status_kb(ch.pid, "VmHWM"),
                       (unsigned long long)r.errors);
                if (r.bad_status)
                    printf("    first unexpected status %d: %s\n", r.bad_status, r.bad_body);
                fflush(stdout);
            }
            reap(&ch);
        }
    }
    printf("load average after: %.2f\n", load_avg1());
    return 0; /* a benchmark reports; it never fails the suite */
}
