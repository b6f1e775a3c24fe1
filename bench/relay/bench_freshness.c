/* bench_freshness: end-to-end freshness through the relay into Kafka, for the two Kafka modes
 * side by side: (a) ack remote + memory buffer and (b) ack local + disk buffer (fsync always).
 * For each mode and rate, this program starts `cerelay run` (catalog off, one fixed topic
 * created beforehand with 4 partitions), consumes the topic from its start with a librdkafka
 * consumer, and drives `cerelay gen --profile llm --rate R --http ... --mode batch
 * --batch-size 50` for the duration (one gen per 4,000 events/s). Freshness of a record = the time
 * the consumer got it − the event's own `time` (ce_time header; gen stamps the wall clock), same
 * machine, same clock. The first second of load is left out (connections, metadata, topic leaders).
 * Usage: bench_freshness [--rates 5000,20000] [--duration S] [--setups ab] [--cerelay PATH]
 *        (broker: CER_KAFKA_BOOTSTRAP, default 127.0.0.1:9092) */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/ce.h"
#include "loadgen.h"
#include "relay_proc.h"

#ifndef CER_RELAY_BIN
#define CER_RELAY_BIN "cerelay"
#endif

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct consumer {
    rd_kafka_t *rk;
    atomic_int stop;
    int64_t from_ns; /* events with an earlier time are warm-up */
    double *ages_ms;
    size_t n, cap, skipped, bad;
    pthread_t th;
} consumer;

static void *consume(void *arg)
{
    consumer *c = arg;
    while (!atomic_load(&c->stop)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 50);
        if (!m)
            continue;
        int64_t now = wall_ns();
        if (m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        rd_kafka_headers_t *h = NULL;
        const void *v;
        size_t vl;
        int64_t t;
        if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            rd_kafka_header_get_last(h, "ce_time", &v, &vl) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            ce_timestamp_parse(v, vl, &t) != 0) {
            c->bad++;
        } else if (t < c->from_ns) {
            c->skipped++;
        } else {
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 65536;
                c->ages_ms = realloc(c->ages_ms, c->cap * sizeof *c->ages_ms);
            }
            c->ages_ms[c->n++] = (double)(now - t) / 1e6;
        }
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static int create_topic(const char *boot, const char *topic, int parts)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", boot, err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk)
        return -1;
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, 1, err, sizeof err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    int rc = -1;
    if (ev) {
        const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
        size_t n;
        const rd_kafka_topic_result_t **tr =
            res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
        rc = tr && n == 1 && rd_kafka_topic_result_error(tr[0]) == 0 ? 0 : -1;
        if (rc)
            fprintf(stderr, "bench_freshness: create %s: %s\n", topic,
                    tr && n ? rd_kafka_topic_result_error_string(tr[0]) : "no answer");
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

static int consumer_start(consumer *c, const char *boot, const char *topic, int parts)
{
    char err[256], group[128];
    snprintf(group, sizeof group, "bench-freshness-%d-%lld", (int)getpid(), (long long)wall_ns());
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", boot, err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", group, err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!c->rk)
        return -1;
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *tl = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(tl, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c->rk, tl);
    rd_kafka_topic_partition_list_destroy(tl);
    return pthread_create(&c->th, NULL, consume, c) == 0 ? 0 : -1;
}

static void consumer_stop(consumer *c)
{
    atomic_store(&c->stop, 1);
    pthread_join(c->th, NULL);
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
}

/* Run `cerelay gen` for `duration` seconds at `rate` into the relay, split over one gen
 * process per 4,000 events/s (one gen posts one batch at a time, so one process cannot offer
 * much more than that under ack: local); returns 0 when every gen delivered everything. */
static int run_gen(const char *bin, int port, long rate, double duration)
{
    char url[64], r[32], d[32];
    int procs = (int)((rate + 3999) / 4000);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/events", port);
    snprintf(r, sizeof r, "%ld", rate / procs);
    snprintf(d, sizeof d, "%.0fs", duration);
    pid_t pids[64];
    int n = 0, bad = 0;
    for (int i = 0; i < procs && i < 64; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execl(bin, bin, "gen", "--profile", "llm", "--rate", r, "--duration", d, "--http", url,
                  "--mode", "batch", "--batch-size", "50", "-q", (char *)NULL);
            _exit(127);
        }
        if (pid > 0)
            pids[n++] = pid;
        else
            bad++;
    }
    for (int i = 0; i < n; i++) {
        int st = 0;
        if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
    }
    return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *bin = CER_RELAY_BIN, *setups = "ab", *rates = "5000,20000";
    double duration = 15;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rates") && i + 1 < argc)
            rates = argv[++i];
        else if (!strcmp(argv[i], "--duration") && i + 1 < argc)
            duration = atof(argv[++i]);
        else if (!strcmp(argv[i], "--setups") && i + 1 < argc)
            setups = argv[++i];
        else if (!strcmp(argv[i], "--cerelay") && i + 1 < argc)
            bin = argv[++i];
        else {
            fprintf(stderr, "usage: bench_freshness [--rates R1,R2] [--duration S] [--setups ab] "
                            "[--cerelay PATH]\n");
            return 2;
        }
    }
    const char *boot = getenv("CER_KAFKA_BOOTSTRAP");
    if (!boot || !*boot)
        boot = "127.0.0.1:9092";
    if (!relay_reachable(boot)) {
        printf("bench_freshness: skipped: no Kafka broker at %s (scripts/kafka.sh start)\n", boot);
        return 0;
    }
    char tmp[] = "/tmp/cerelay-bench-fresh-XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("bench_freshness: mkdtemp");
        return 1;
    }
    printf("bench_freshness: %s, gen --profile llm batches of 50 over HTTP, %.0f s per point, "
           "freshness = consume time - event time; load average %.2f\n",
           bin, duration, load_avg1());
    printf("%-36s %7s %8s %8s %8s %8s %8s %8s\n", "setup", "rate", "events", "p50 ms", "p95 ms",
           "p99 ms", "max ms", "cpu%");
    static const struct {
        char id;
        const char *name, *yaml;
    } S[] = {
        {'a', "(a) ack remote, memory buffer", "ack: remote\nbuffer:\n  type: memory\n"},
        {'b', "(b) ack local, disk buffer (fsync)",
         "ack: local\nbuffer:\n  type: disk\n  dir: \"%s/buffer-%ld\"\n"},
    };
    int failures = 0;
    for (const char *rp = rates; *rp;) {
        long rate = strtol(rp, (char **)&rp, 10);
        if (*rp == ',')
            rp++;
        if (rate <= 0)
            break;
        for (size_t s = 0; s < sizeof S / sizeof *S; s++) {
            if (!strchr(setups, S[s].id))
                continue;
            char topic[96], cfg[4200], log[4200], yaml[8192], extra[4400];
            snprintf(topic, sizeof topic, "cerelay-bench-fresh-%d-%c-%ld", (int)getpid(), S[s].id,
                     rate);
            if (create_topic(boot, topic, 4) != 0) {
                failures++;
                continue;
            }
            snprintf(cfg, sizeof cfg, "%s/%c-%ld.yaml", tmp, S[s].id, rate);
            snprintf(log, sizeof log, "%s/%c-%ld.log", tmp, S[s].id, rate);
            snprintf(extra, sizeof extra, S[s].yaml, tmp, rate);
            snprintf(yaml, sizeof yaml,
                     "listen:\n  events: 127.0.0.1:0\n  otlp: \"\"\nlogging:\n  level: warn\n"
                     "shutdown:\n  drain_timeout: 10s\ncatalog:\n  mode: \"off\"\n"
                     "binding: kafka\nkafka:\n  brokers: [\"%s\"]\n  topic: \"%s\"\n%s",
                     boot, topic, extra);
            FILE *f = fopen(cfg, "w");
            if (!f || fputs(yaml, f) < 0 || fclose(f) != 0) {
                printf("%-36s cannot write %s\n", S[s].name, cfg);
                failures++;
                continue;
            }
            relay_proc proc = {0};
            consumer c = {0};
            if (relay_start(bin, cfg, log, &proc) != 0) {
                printf("%-36s the relay did not start (see %s)\n", S[s].name, log);
                relay_stop(&proc);
                failures++;
                continue;
            }
            c.from_ns = wall_ns() + 1000000000LL;
            if (consumer_start(&c, boot, topic, 4) != 0) {
                printf("%-36s cannot start the consumer\n", S[s].name);
                relay_stop(&proc);
                failures++;
                continue;
            }
            usleep(500000); /* the consumer's assignment and first fetch */
            c.from_ns = wall_ns() + 1000000000LL;
            double cpu0 = proc_cpu_s(proc.pid), t0 = mono_s();
            int grc = run_gen(bin, proc.port, rate, duration);
            double cpu1 = proc_cpu_s(proc.pid), t1 = mono_s();
            sleep(2); /* the tail reaches the consumer */
            consumer_stop(&c);
            relay_stop(&proc);
            qsort(c.ages_ms, c.n, sizeof *c.ages_ms, cmp_d);
            printf("%-36s %7ld %8zu %8.1f %8.1f %8.1f %8.1f %8.0f%s\n", S[s].name, rate, c.n,
                   pct(c.ages_ms, c.n, 50), pct(c.ages_ms, c.n, 95), pct(c.ages_ms, c.n, 99),
                   c.n ? c.ages_ms[c.n - 1] : 0, 100.0 * (cpu1 - cpu0) / (t1 - t0),
                   grc == 0 ? "" : "  (gen: not all delivered)");
            if (c.bad)
                printf("  %zu records without a readable ce_time header\n", c.bad);
            fflush(stdout);
            free(c.ages_ms);
        }
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_freshness: could not remove %s\n", tmp);
    return failures ? 1 : 0;
}
