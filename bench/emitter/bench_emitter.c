/* bench_emitter: events/s and emit-to-delivery latency of cer_emitter_emit to Kafka, next to a
 * plain librdkafka producer loop on the same broker with the same records and settings
 * (idempotent, acks=all, linger.ms=5): the ceiling. The emitter runs with the memory buffer
 * and with the disk buffer under each buffer.fsync policy. Each variant runs in its own
 * process (so RSS and CPU are its own) and twice: a throughput run of N events with at most W
 * in flight, and a latency run at a fixed modest rate, where the latency is the path's own
 * rather than queueing. The seed-000 usage event (examples/usage-event.json), fresh ids.
 * Usage: bench_emitter [--long] [-n N] [--window W] [--rate R] [--rounds R] [--only NAME]
 * (broker: CER_KAFKA_BOOTSTRAP, default 127.0.0.1:9092) */
#include <librdkafka/rdkafka.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"
#include "cerelay/emitter.h"

static const char USAGE_EVENT[] =
    "{\"specversion\":\"1.0\",\"type\":\"eventzr.llm.usage.v1\",\"source\":\"llm-orch-svc\","
    "\"id\":\"evt-550e8400-e29b-41d4-a716-446655440000\",\"time\":\"2026-02-27T12:00:00.000Z\","
    "\"datacontenttype\":\"application/json\",\"subject\":\"tenant-uuid\",\"data\":{"
    "\"tenantId\":\"tenant-uuid\",\"userId\":\"user-uuid\",\"provider\":\"aws-bedrock\","
    "\"model\":\"anthropic.claude-3-sonnet-20240229-v1:0\",\"useCase\":\"event-creation\","
    "\"inputTokens\":150,\"outputTokens\":350,\"totalTokens\":500,\"latencyMs\":1250,"
    "\"costUsd\":0.0025,\"cached\":false}}";

typedef struct opts {
    size_t n, window, seq_n;
    double rate, rate_s;
    size_t rec_bytes; /* a record's key + value + headers */
    const char *boot, *topic, *tmp;
} opts;

/* ---- shared state of one run (one process) ------------------------------------------------ */

static int64_t *t_emit;    /* per event: emit time (ns) */
static double *lat, *plat; /* delivery / persisted latency, ms */
static atomic_size_t nlat, nplat, delivered, failed;
static atomic_long outstanding;
static atomic_int waiting;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unsigned nonce;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
    struct timespec ts = {(time_t)(t / 1000000000), (long)(t % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
        ;
}

static void make_id(char *id, size_t i)
{
    snprintf(id, 40, "evt-%08x-%012zx", nonce, i); /* fixed length: 25 characters */
}

static void settle(size_t i, int err)
{
    if (err)
        atomic_fetch_add(&failed, 1);
    else
        atomic_fetch_add(&delivered, 1);
    lat[atomic_fetch_add(&nlat, 1)] = (double)(now_ns() - t_emit[i]) / 1e6;
    atomic_fetch_sub(&outstanding, 1);
    if (atomic_load(&waiting)) {
        pthread_mutex_lock(&mu);
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
}

/* Block while `window` events are in flight (callbacks come from another thread). */
static void wait_window(long window)
{
    if (atomic_load(&outstanding) < window)
        return;
    atomic_store(&waiting, 1);
    pthread_mutex_lock(&mu);
    while (atomic_load(&outstanding) >= window) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&cv, &mu, &ts);
    }
    pthread_mutex_unlock(&mu);
    atomic_store(&waiting, 0);
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void pct(double *v, size_t n, double *p50, double *p99)
{
    qsort(v, n, sizeof *v, cmpd);
    *p50 = n ? v[n / 2] : 0;
    *p99 = n ? v[n * 99 / 100] : 0;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long hwm_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* ---- the ceiling: plain librdkafka ----------------------------------------------------------- */

typedef struct plain {
    rd_kafka_t *rk;
    ce_kafka_message m;
    size_t id_hdr; /* index of the ce_id header */
    const char *topic;
} plain;

static void dr_plain(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    settle((size_t)(uintptr_t)m->_private, m->err != 0);
}

static void plain_send(plain *p, size_t i)
{
    char id[40];
    make_id(id, i);
    rd_kafka_headers_t *h = rd_kafka_headers_new(p->m.header_count);
    for (size_t k = 0; k < p->m.header_count; k++) {
        const ce_header *x = &p->m.headers[k];
        if (k == p->id_hdr)
            rd_kafka_header_add(h, x->name.ptr, (ssize_t)x->name.len, id, (ssize_t)strlen(id));
        else
            rd_kafka_header_add(h, x->name.ptr, (ssize_t)x->name.len, x->value.ptr,
                                (ssize_t)x->value.len);
    }
    t_emit[i] = now_ns();
    atomic_fetch_add(&outstanding, 1);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(p->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(p->m.key.ptr, p->m.key.len),
            RD_KAFKA_V_VALUE((void *)p->m.value.ptr, p->m.value.len), RD_KAFKA_V_HEADERS(h),
            RD_KAFKA_V_OPAQUE((void *)(uintptr_t)i), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(p->rk, 1);
            continue;
        }
        if (e) {
            rd_kafka_headers_destroy(h);
            atomic_fetch_sub(&outstanding, 1);
            atomic_fetch_add(&failed, 1);
        }
        break;
    }
}

/* ---- the emitter ------------------------------------------------------------------------------
 */

static void on_delivery(void *ctx, void *opaque, int err, const char *reason)
{
    if (opaque)
        settle((size_t)(uintptr_t)opaque - 1, err);
}

static void on_persisted(void *ctx, void *opaque, int err)
{
    if (opaque)
        plat[atomic_fetch_add(&nplat, 1)] =
            (double)(now_ns() - t_emit[(size_t)(uintptr_t)opaque - 1]) / 1e6;
}

static void on_log(void *ctx, int level, const char *msg)
{
    if (level <= 3)
        fprintf(stderr, "bench_emitter: emitter: %s\n", msg);
}

/* A fresh event per emit, as an application builds one: the template's copy with a new id.
 * (Setting the id again and again on one event would grow its arena without bound: every set
 * appends, and the emitter's copy copies the whole arena.) */
static int em_send(cer_emitter *em, const ce_event *tmpl, size_t i)
{
    char id[40], err[256];
    make_id(id, i);
    ce_event *ev = ce_event_clone(tmpl);
    if (!ev || ce_event_set_str(ev, "id", id, err, sizeof err) != 0)
        abort();
    t_emit[i] = now_ns();
    atomic_fetch_add(&outstanding, 1);
    for (;;) {
        int rc = cer_emitter_emit(em, ev, (void *)(uintptr_t)(i + 1), err, sizeof err);
        if (rc == CER_EQUEUE_FULL) { /* the window normally prevents this */
            wait_window(atomic_load(&outstanding));
            continue;
        }
        if (rc) {
            fprintf(stderr, "bench_emitter: emit: %s\n", err);
            atomic_fetch_sub(&outstanding, 1);
        }
        ce_event_destroy(ev);
        return rc ? -1 : 0;
    }
}

/* ---- one variant --------------------------------------------------------------------------- */

typedef struct variant {
    const char *name;
    const char *buffer, *fsync; /* NULL buffer: the plain librdkafka loop */
} variant;

static void reset(void)
{
    atomic_store(&nlat, 0);
    atomic_store(&nplat, 0);
    atomic_store(&delivered, 0);
    atomic_store(&failed, 0);
    atomic_store(&outstanding, 0);
}

typedef struct result {
    double evps;   /* delivered events/s in the throughput run */
    double us_cpu; /* process CPU time per delivered event, microseconds */
} result;

/* Runs in a child process; prints one line; returns the exit status and *res. */
static int run_variant(const variant *v, const opts *o, ce_event *ev, size_t idx, result *res)
{
    char err[512];
    size_t total = o->n + (size_t)(o->rate * o->rate_s) + o->seq_n + 16;
    t_emit = calloc(total, sizeof *t_emit);
    lat = calloc(total, sizeof *lat);
    plat = calloc(total, sizeof *plat);
    nonce = (unsigned)getpid() * 2654435761u + (unsigned)idx;
    plain p = {0};
    cer_emitter *em = NULL;
    ce_kafka_msg *km = NULL;
    if (!v->buffer) {
        km = ce_kafka_msg_new(0);
        ce_kafka_encode(km, ev, CE_MODE_BINARY, 0, err, sizeof err);
        ce_kafka_msg_set_key(km, ev, NULL, err, sizeof err);
        p.m = ce_kafka_msg_view(km);
        p.topic = o->topic;
        for (size_t k = 0; k < p.m.header_count; k++)
            if (p.m.headers[k].name.len == 5 && memcmp(p.m.headers[k].name.ptr, "ce_id", 5) == 0)
                p.id_hdr = k;
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", o->boot, err, sizeof err);
        rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err);
        rd_kafka_conf_set(conf, "acks", "all", err, sizeof err);
        rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
        rd_kafka_conf_set_dr_msg_cb(conf, dr_plain);
        p.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
        if (!p.rk) {
            fprintf(stderr, "bench_emitter: %s\n", err);
            return 1;
        }
    } else {
        cer_emitter_conf *c = cer_emitter_conf_new();
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/%zu", o->tmp, idx);
        int rc = cer_emitter_conf_set(c, "binding", "kafka", err, sizeof err);
        rc = rc ? rc : cer_emitter_conf_set(c, "kafka.brokers", o->boot, err, sizeof err);
        rc = rc ? rc : cer_emitter_conf_set(c, "kafka.topic", o->topic, err, sizeof err);
        rc = rc ? rc : cer_emitter_conf_set(c, "buffer", v->buffer, err, sizeof err);
        if (v->fsync) {
            rc = rc ? rc : cer_emitter_conf_set(c, "buffer.dir", dir, err, sizeof err);
            rc = rc ? rc : cer_emitter_conf_set(c, "buffer.fsync", v->fsync, err, sizeof err);
        }
        cer_emitter_conf_set_callbacks(c, on_delivery, on_persisted, on_log, NULL);
        rc = rc ? rc : cer_emitter_new(&em, c, err, sizeof err);
        cer_emitter_conf_destroy(c);
        if (rc) {
            fprintf(stderr, "bench_emitter: %s: %s\n", v->name, err);
            return 1;
        }
    }
    /* warm up: connect, learn the topic's partitions; not measured */
    for (size_t i = 0; i < 16; i++)
        em ? (void)em_send(em, ev, total - 16 + i) : plain_send(&p, total - 16 + i);
    if (em)
        cer_emitter_flush(em, 30000);
    else
        rd_kafka_flush(p.rk, 30000);
    reset();

    /* throughput: n events, at most `window` in flight */
    double c0 = cpu_s();
    int64_t t0 = now_ns();
    for (size_t i = 0; i < o->n; i++) {
        if (em) {
            wait_window((long)o->window);
            em_send(em, ev, i);
        } else {
            /* delivery reports are served by rd_kafka_poll on this thread */
            while (atomic_load(&outstanding) >= (long)o->window)
                rd_kafka_poll(p.rk, 1);
            plain_send(&p, i);
            rd_kafka_poll(p.rk, 0);
        }
    }
    if (em) {
        cer_emitter_flush(em, 120000);
    } else {
        while (atomic_load(&outstanding) > 0 && now_ns() - t0 < 120000000000LL)
            rd_kafka_poll(p.rk, 10);
    }
    double secs = (double)(now_ns() - t0) / 1e9, cpu = cpu_s() - c0;
    size_t nd = atomic_load(&delivered), nf = atomic_load(&failed), np = atomic_load(&nplat);
    double p50, p99, pp50 = 0, pp99 = 0;
    pct(lat, atomic_load(&nlat), &p50, &p99);
    if (np)
        pct(plat, np, &pp50, &pp99);

    /* latency at a fixed rate */
    reset();
    size_t nr = (size_t)(o->rate * o->rate_s);
    int64_t step = (int64_t)(1e9 / o->rate), r0 = now_ns();
    for (size_t i = 0; i < nr; i++) {
        sleep_until(r0 + (int64_t)i * step);
        if (em)
            em_send(em, ev, o->n + i);
        else {
            plain_send(&p, o->n + i);
            rd_kafka_poll(p.rk, 0);
        }
    }
    if (em) {
        cer_emitter_flush(em, 60000);
    } else {
        while (atomic_load(&outstanding) > 0 && now_ns() - r0 < 60000000000LL)
            rd_kafka_poll(p.rk, 5);
    }
    double r50, r99, rp50 = 0, rp99 = 0;
    size_t rnp = atomic_load(&nplat);
    pct(lat, atomic_load(&nlat), &r50, &r99);
    if (rnp)
        pct(plat, rnp, &rp50, &rp99);

    /* one at a time: emit, wait for the delivery report, emit the next (a relay client at
     * concurrency 1 with ack: remote) */
    reset();
    size_t ns = o->seq_n, base = o->n + nr;
    for (size_t i = 0; i < ns; i++) {
        if (em)
            em_send(em, ev, base + i);
        else
            plain_send(&p, base + i);
        for (int64_t until = now_ns() + 10000000000LL;
             atomic_load(&outstanding) > 0 && now_ns() < until;)
            if (em)
                wait_window(1);
            else
                rd_kafka_poll(p.rk, 1);
    }
    double s50, s99;
    pct(lat, atomic_load(&nlat), &s50, &s99);

    printf("%-28s %9.0f %6.1f %8.1f %8.1f %6.0f %6.1f %8.2f %8.2f %8.2f %8.2f", v->name,
           (double)nd / secs, (double)nd * (double)o->rec_bytes / secs / 1e6, p50, p99,
           100 * cpu / secs, nd ? cpu * 1e6 / (double)nd : 0.0, r50, r99, s50, s99);
    if (np)
        printf(" %9.2f %9.2f", rp50, rp99);
    else
        printf(" %9s %9s", "-", "-");
    printf(" %8ld %6zu\n", hwm_kb(), nf);
    res->evps = (double)nd / secs;
    res->us_cpu = nd ? cpu * 1e6 / (double)nd : 0;
    fflush(stdout);
    if (em)
        cer_emitter_destroy(em, 10000);
    else
        rd_kafka_destroy(p.rk);
    ce_kafka_msg_destroy(km);
    return 0;
}

static int reachable(const char *hostport)
{
    char host[256];
    snprintf(host, sizeof host, "%s", hostport);
    char *comma = strchr(host, ',');
    if (comma)
        *comma = 0;
    char *colon = strrchr(host, ':');
    if (!colon)
        return 0;
    *colon = 0;
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
        return 0;
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    int ok = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return ok;
}

static double load_avg1(void)
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

int main(int argc, char **argv)
{
    opts o = {.n = 100000, .window = 10000, .rate = 2000, .rate_s = 2, .seq_n = 100};
    const char *only = NULL;
    int rounds = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 1;
        else if (strcmp(argv[i], "--long") == 0)
            o.n = 1000000, o.rate_s = 10, o.seq_n = 1000, rounds = 3;
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            o.n = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
            o.window = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
            o.rate = atof(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: bench_emitter [--long] [-n N] [--window W] [--rate R] "
                            "[--rounds R] [--only NAME]\n");
            return 2;
        }
    }
    if (o.rate < 1)
        o.rate = 1;
    o.boot = getenv("CER_KAFKA_BOOTSTRAP");
    if (!o.boot)
        o.boot = "127.0.0.1:9092";
    if (!reachable(o.boot)) {
        printf("bench_emitter: skipped: no Kafka broker at %s (scripts/kafka.sh start)\n", o.boot);
        return 0;
    }
    char topic[64], tmp[] = "/tmp/cerelay-bench-emitter-XXXXXX", err[512];
    snprintf(topic, sizeof topic, "cerelay-bench-emitter-%d", (int)getpid());
    o.topic = topic;
    if (!mkdtemp(tmp)) {
        perror("bench_emitter: mkdtemp");
        return 0;
    }
    o.tmp = tmp;
    ce_event *ev = NULL;
    if (ce_json_decode(USAGE_EVENT, sizeof USAGE_EVENT - 1, NULL, &ev, err, sizeof err) != 0) {
        fprintf(stderr, "bench_emitter: %s\n", err);
        return 0;
    }
    ce_kafka_msg *km = ce_kafka_msg_new(0);
    ce_kafka_encode(km, ev, CE_MODE_BINARY, 0, err, sizeof err);
    ce_kafka_msg_set_key(km, ev, NULL, err, sizeof err);
    ce_kafka_message m = ce_kafka_msg_view(km);
    o.rec_bytes = m.key.len + m.value.len;
    for (size_t k = 0; k < m.header_count; k++)
        o.rec_bytes += m.headers[k].name.len + m.headers[k].value.len;
    ce_kafka_msg_destroy(km);
    printf("bench_emitter: %zu events (<= %zu in flight), then %.0f ev/s for %.0f s; %zu-byte "
           "binary-mode records to %s, topic %s; idempotent, acks=all, linger.ms=5; load "
           "average %.2f\n"
           "  p50/p99: emit to delivery report in the throughput run (mostly queueing), at the "
           "fixed rate (@rate), and %zu events one at a time (1by1); persist: emit to "
           "durable in the disk buffer (ack: local), at the fixed rate\n",
           o.n, o.window, o.rate, o.rate_s, o.rec_bytes, o.boot, topic, load_avg1(), o.seq_n);
    printf("%-28s %9s %6s %8s %8s %6s %6s %8s %8s %8s %8s %9s %9s %8s %6s\n", "", "events/s",
           "MB/s", "p50 ms", "p99 ms", "cpu%", "us/ev", "@rate50", "@rate99", "1by1 p50",
           "1by1 p99", "persist50", "persist99", "HWM KiB", "failed");
    static const variant V[] = {
        {"librdkafka loop (ceiling)", NULL, NULL},
        {"emitter, memory buffer", "memory", NULL},
        {"emitter, disk fsync=always", "disk", "always"},
        {"emitter, disk fsync=interval", "disk", "interval"},
        {"emitter, disk fsync=never", "disk", "never"},
    };
    enum { NV = sizeof V / sizeof V[0], MAX_ROUNDS = 16 };
    static result res[MAX_ROUNDS][NV];
    if (rounds > MAX_ROUNDS)
        rounds = MAX_ROUNDS;
    fflush(stdout);
    for (int round = 0; round < rounds; round++)
        for (size_t i = 0; i < NV; i++) {
            if (only && i && !strstr(V[i].name, only))
                continue;
            int pp[2];
            if (pipe(pp) != 0)
                break;
            pid_t pid = fork();
            if (pid == 0) {
                close(pp[0]);
                result r = {0, 0};
                int rc = run_variant(&V[i], &o, ev, i, &r);
                if (write(pp[1], &r, sizeof r) != (ssize_t)sizeof r)
                    rc = 1;
                fflush(stdout);
                _exit(rc);
            }
            close(pp[1]);
            result *r = &res[round][i];
            if (pid < 0 || read(pp[0], r, sizeof *r) != (ssize_t)sizeof *r)
                printf("%-28s (failed)\n", V[i].name);
            close(pp[0]);
            if (pid > 0)
                waitpid(pid, NULL, 0);
        }
    /* Each round's ratio to that round's ceiling (the broker and the machine drift), then the
     * median over rounds; CPU per event is the less noisy measure on a shared machine. */
    for (size_t i = 1; i < NV; i++) {
        double ratio[MAX_ROUNDS], cpu[MAX_ROUNDS];
        int k = 0;
        for (int round = 0; round < rounds; round++)
            if (res[round][0].evps > 0 && res[round][i].evps > 0) {
                ratio[k] = 100 * res[round][i].evps / res[round][0].evps;
                cpu[k++] = res[round][i].us_cpu / res[round][0].us_cpu;
            }
        if (!k)
            continue;
        qsort(ratio, (size_t)k, sizeof *ratio, cmpd);
        qsort(cpu, (size_t)k, sizeof *cpu, cmpd);
        printf("%-28s %5.1f%% of the ceiling's events/s (median of %d; range %.1f-%.1f%%; target "
               ">= 80%%), %.2fx its CPU per event\n",
               V[i].name, ratio[k / 2], k, ratio[0], ratio[k - 1], cpu[k / 2]);
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_emitter: could not remove %s\n", tmp);
    ce_event_destroy(ev);
    printf("load average after: %.2f\n", load_avg1());
    return 0; /* a benchmark reports; it never fails the suite */
}
