/* bench_relay: load on a running relay (`cerelay run`), which this program starts itself with
 * a generated configuration: (a) binding kafka, ack remote, memory buffer; (b) binding kafka,
 * ack local, disk buffer; (c) binding log (the embedded default), ack local. For each, closed-
 * loop keep-alive clients post the seed-000 usage event with fresh ids, in batches of N and
 * one by one, and the program reports accepted events/s, MB/s, request-to-acknowledgement
 * latency, and the relay's CPU (/proc/PID/stat) and peak RSS (VmHWM).
 * Usage: bench_relay [--long] [--batch N] [--conc C] [--duration S] [--setups abc]
 *        [--linger MS]  (kafka.linger_ms for (a) and (b); default: the relay's default)
 *        [--cerelay PATH]   (broker: CER_KAFKA_BOOTSTRAP, default 127.0.0.1:9092) */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen.h"
#include "relay_proc.h"

#ifndef CER_RELAY_BIN
#define CER_RELAY_BIN "cerelay"
#endif

/* examples/usage-event.json, compact; the id is rewritten for every request. */
static const char EVENT_HEAD[] = "{\"specversion\":\"1.0\",\"type\":\"eventzr.llm.usage.v1\","
                                 "\"source\":\"llm-orch-svc\",\"id\":\"";
static const char EVENT_TAIL[] =
    "\",\"time\":\"2026-02-27T12:00:00.000Z\",\"datacontenttype\":\"application/json\","
    "\"subject\":\"tenant-uuid\",\"data\":{\"tenantId\":\"tenant-uuid\",\"userId\":\"user-uuid\","
    "\"provider\":\"aws-bedrock\",\"model\":\"anthropic.claude-3-sonnet-20240229-v1:0\","
    "\"useCase\":\"event-creation\",\"inputTokens\":150,\"outputTokens\":350,"
    "\"totalTokens\":500,\"latencyMs\":1250,\"costUsd\":0.0025,\"cached\":false}}";
/* id: evt-<run 8 hex>-<request seq 12 hex>-<index 4 hex> */
enum { ID_LEN = 30, SEQ_AT = 13, SEQ_LEN = 12 };

typedef struct request {
    char *buf;
    size_t len, body_len, nevents;
    size_t *seq_off; /* where each event's request-seq digits are */
} request;

static unsigned run_nonce;

static void hex(char *p, unsigned long long v, int digits)
{
    static const char d[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        p[i] = d[v & 15];
}

static void prepare(void *ctx, char *buf, size_t len, uint64_t seq)
{
    const request *r = ctx;
    for (size_t i = 0; i < r->nevents; i++)
        hex(buf + r->seq_off[i], seq, SEQ_LEN);
}

/* n events: a batch request (n > 1) or one structured event (n == 1). */
static void build(request *r, size_t n)
{
    size_t ev_len = sizeof EVENT_HEAD - 1 + ID_LEN + sizeof EVENT_TAIL - 1;
    size_t body = n == 1 ? ev_len : 2 + n * ev_len + (n - 1);
    r->buf = malloc(body + 512);
    r->seq_off = malloc(sizeof *r->seq_off * n);
    r->nevents = n;
    r->body_len = body;
    int h = snprintf(r->buf, 512,
                     "POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     n == 1 ? "application/cloudevents+json" : "application/cloudevents-batch+json",
                     body);
    char *p = r->buf + h;
    if (n > 1)
        *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        memcpy(p, EVENT_HEAD, sizeof EVENT_HEAD - 1);
        p += sizeof EVENT_HEAD - 1;
        memcpy(p, "evt-", 4);
        hex(p + 4, run_nonce, 8);
        p[12] = '-';
        r->seq_off[i] = (size_t)(p + SEQ_AT - r->buf);
        hex(p + SEQ_AT, 0, SEQ_LEN);
        p[25] = '-';
        hex(p + 26, i, 4);
        p += ID_LEN;
        memcpy(p, EVENT_TAIL, sizeof EVENT_TAIL - 1);
        p += sizeof EVENT_TAIL - 1;
    }
    if (n > 1)
        *p++ = ']';
    r->len = (size_t)(p - r->buf);
}

static void on_phase(void *ctx, int measuring)
{
    relay_proc *rp = ctx;
    if (measuring)
        rp->cpu0 = proc_cpu_s(rp->pid);
    else
        rp->cpu1 = proc_cpu_s(rp->pid);
}

/* Start `cerelay run -c cfg --print-addresses`; its log goes to logpath. */

/* One blocking request on a fresh connection (SO_RCVTIMEO bounded); returns the status. Used
 * to wait until the destination works (Kafka creates the bench topic on first use). */
static int post_once(int port, const request *r, int timeout_s)
{
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;
    struct timeval tv = {timeout_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        prepare((void *)r, r->buf, r->len, 0xfffffffffULL);
        char resp[1024];
        ssize_t n =
            write(fd, r->buf, r->len) == (ssize_t)r->len ? read(fd, resp, sizeof resp - 1) : -1;
        if (n > 12) {
            resp[n] = 0;
            status = atoi(resp + 9);
        }
    }
    if (fd >= 0)
        close(fd);
    return status;
}

static void rm_rf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_relay: could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
    int conc = 8;
    size_t batch = 100;
    double duration = 4, warmup = 1;
    const char *setups = "abc", *bin = CER_RELAY_BIN;
    long linger = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--long") == 0)
            duration = 20, warmup = 3;
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            batch = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--conc") == 0 && i + 1 < argc)
            conc = atoi(argv[++i]);
        else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc)
            duration = atof(argv[++i]);
        else if (strcmp(argv[i], "--setups") == 0 && i + 1 < argc)
            setups = argv[++i];
        else if (strcmp(argv[i], "--cerelay") == 0 && i + 1 < argc)
            bin = argv[++i];
        else if (strcmp(argv[i], "--linger") == 0 && i + 1 < argc)
            linger = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_relay [--long] [--batch N] [--conc C] [--duration S] "
                            "[--setups abc] [--cerelay PATH] [--linger MS]\n");
            return 2;
        }
    }
    if (batch < 2)
        batch = 2;
    if (access(bin, X_OK) != 0) {
        printf("bench_relay: skipped: %s is not built\n", bin);
        return 0;
    }
    const char *boot = getenv("CER_KAFKA_BOOTSTRAP");
    if (!boot)
        boot = "127.0.0.1:9092";
    signal(SIGPIPE, SIG_IGN);
    run_nonce = (unsigned)getpid() ^ (unsigned)(mono_s() * 1e6);
    request single, multi;
    build(&single, 1);
    build(&multi, batch);
    char tmp[] = "/tmp/cerelay-bench-relay-XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("bench_relay: mkdtemp");
        return 0;
    }
    printf("bench_relay: %s, %d connections, %.0f s per point (+%.0f s warm-up), event %zu "
           "bytes, batches of %zu; load average %.2f\n",
           bin, conc, duration, warmup, single.body_len, batch, load_avg1());
    printf("%-34s %-6s %9s %7s %9s %8s %8s %6s %8s %7s\n", "setup", "req", "events/s", "MB/s",
           "req/s", "p50 ms", "p99 ms", "cpu%", "HWM KiB", "errors");
    static const struct {
        char id;
        const char *name, *yaml;
    } S[] = {
        {'a', "(a) kafka, ack remote, memory",
         "binding: kafka\nkafka:\n  brokers: [\"%s\"]\n  topic: \"%s\"\nack: remote\n"
         "buffer:\n  type: memory\n"},
        {'b', "(b) kafka, ack local, disk buffer",
         "binding: kafka\nkafka:\n  brokers: [\"%s\"]\n  topic: \"%s\"\nack: local\n"
         "buffer:\n  type: disk\n  dir: \"%s/buffer\"\n"},
        {'c', "(c) log (default), ack local",
         "binding: log\nlog:\n  dir: \"%s/log\"\n"
         "ack: local\n"},
    };
    char topic[64];
    snprintf(topic, sizeof topic, "cerelay-bench-relay-%d", (int)getpid());
    for (size_t s = 0; s < sizeof S / sizeof S[0]; s++) {
        if (!strchr(setups, S[s].id))
            continue;
        if (S[s].id != 'c' && !relay_reachable(boot)) {
            printf("%-34s skipped: no Kafka broker at %s (scripts/kafka.sh start)\n", S[s].name,
                   boot);
            continue;
        }
        char cfg[4200], log[4200], yaml[8192];
        snprintf(cfg, sizeof cfg, "%s/%c.yaml", tmp, S[s].id);
        snprintf(log, sizeof log, "%s/%c.log", tmp, S[s].id);
        int n = snprintf(yaml, sizeof yaml,
                         "listen:\n  events: 127.0.0.1:0\n  otlp: \"\"\nlogging:\n  level: warn\n"
                         "shutdown:\n  drain_timeout: 5s\n");
        if (S[s].id == 'c')
            snprintf(yaml + n, sizeof yaml - (size_t)n, S[s].yaml, tmp);
        else
            snprintf(yaml + n, sizeof yaml - (size_t)n, S[s].yaml, boot, topic, tmp);
        char *tl = S[s].id != 'c' && linger >= 0 ? strstr(yaml, "  topic: ") : NULL;
        if (tl && (tl = strchr(tl, '\n')) != NULL) { /* into the kafka: section */
            char rest[8192], line[64];
            snprintf(rest, sizeof rest, "%s", tl + 1);
            snprintf(line, sizeof line, "  linger_ms: %ld\n", linger);
            snprintf(tl + 1, sizeof yaml - (size_t)(tl + 1 - yaml), "%s%s", line, rest);
        }
        FILE *f = fopen(cfg, "w");
        if (!f || fputs(yaml, f) < 0 || fclose(f) != 0) {
            printf("%-34s cannot write %s\n", S[s].name, cfg);
            continue;
        }
        relay_proc rp = {0};
        if (relay_start(bin, cfg, log, &rp) != 0) {
            printf("%-34s the relay did not start (see %s)\n", S[s].name, log);
            relay_stop(&rp);
            continue;
        }
        int st = 0;
        for (double until = mono_s() + 30; st != 202 && mono_s() < until;)
            st = post_once(rp.port, &single, 10);
        if (st != 202)
            printf("%-34s warning: a first request got %d, not 202\n", S[s].name, st);
        const request *kinds[2] = {&multi, &single};
        for (int k = 0; k < 2; k++) {
            const request *r = kinds[k];
            lg_conf lc = {.port = rp.port,
                          .conns = conc,
                          .warmup_s = warmup,
                          .duration_s = duration,
                          .req = r->buf,
                          .req_len = r->len,
                          .prepare = prepare,
                          .ctx = (void *)r,
                          .expect_status = 202,
                          .on_phase = on_phase,
                          .phase_ctx = &rp};
            lg_result res;
            if (lg_run(&lc, &res) != 0) {
                printf("%-34s cannot connect to port %d\n", S[s].name, rp.port);
                continue;
            }
            double rps = (double)res.ok / res.secs;
            char kind[16];
            snprintf(kind, sizeof kind, "%zu", r->nevents);
            printf("%-34s %-6s %9.0f %7.1f %9.0f %8.2f %8.2f %6.0f %8ld %7llu\n", S[s].name, kind,
                   rps * (double)r->nevents, rps * (double)r->body_len / 1e6, rps, res.p50_ms,
                   res.p99_ms, 100.0 * (rp.cpu1 - rp.cpu0) / res.secs,
                   proc_status_kb(rp.pid, "VmHWM"), (unsigned long long)res.errors);
            if (res.bad_status)
                printf("    first unexpected status %d: %s\n", res.bad_status, res.bad_body);
            fflush(stdout);
        }
        relay_stop(&rp);
    }
    rm_rf(tmp);
    printf("load average after: %.2f\n", load_avg1());
    return 0; /* a benchmark reports; it never fails the suite */
}
