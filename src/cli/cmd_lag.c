/* cerelay lag: how far behind each consumer group is, in records and in time (the age of the
 * next record it has not consumed, by broker timestamp and by CloudEvents `time`), on Kafka or
 * the local log; once, as a live table (--watch) or as a Prometheus exporter. */
#include <arpa/inet.h>
#include <getopt.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/ce.h"
#include "cli/cli.h"
#include "cli/lag.h"

static const char help[] =
    "usage: cerelay lag (--kafka BROKERS [-X NAME=VALUE ...] | --log DIR)\n"
    "                   [--group G ...] [--topic T ...] [OPTIONS]\n"
    "\n"
    "For each consumer group and partition: the committed offset, the end offset, the offset\n"
    "lag, and the time lag: now minus the timestamp of the next record the group has not\n"
    "consumed (TIME-LAG: the broker/log record timestamp; EVENT-LAG: its CloudEvents `time`).\n"
    "A group far behind on a quiet topic and one slightly behind on a stalled topic are told\n"
    "apart by time lag, not by offsets. Without --group, every group of the cluster or log is\n"
    "shown; without --topic, every topic the groups committed on. A caught-up partition has\n"
    "time lag 0; '-' means unknown (the next record is not a CloudEvent, has no time, or could\n"
    "not be fetched).\n"
    "\n"
    "options:\n"
    "  --kafka BROKERS        Kafka bootstrap servers (admin API: ListConsumerGroups,\n"
    "                         ListConsumerGroupOffsets, watermarks)\n"
    "  --log DIR              cerelay's local log (groups in DIR/groups)\n"
    "  -X NAME=VALUE          librdkafka property (repeatable)\n"
    "  --timeout SECONDS      Kafka: limit of each request to the cluster (default 10)\n"
    "  --group G, --topic T   only these groups / topics (each repeatable)\n"
    "  --json                 one JSON document per pass instead of a table\n"
    "  --max-lag-seconds S    exit 1 when any partition's time lag exceeds S seconds\n"
    "  --time-source SRC      which time lag --max-lag-seconds checks: broker (default, the\n"
    "                         record timestamp) | event (the CloudEvents time)\n"
    "  --watch [INTERVAL]     repeat every INTERVAL seconds (default 2) until Ctrl-C; on a\n"
    "                         terminal the table is redrawn in place, otherwise one table per\n"
    "                         pass; adds each partition's consume and produce rates (records/s)\n"
    "                         and an estimate of the time to catch up\n"
    "  --prometheus ADDR      serve GET /metrics on ADDR (HOST:PORT or :PORT) and keep\n"
    "                         collecting (every --watch INTERVAL, default 5 s):\n"
    "                         cerelay_group_lag_records, cerelay_group_lag_seconds,\n"
    "                         cerelay_group_event_lag_seconds, cerelay_group_committed_offset,\n"
    "                         cerelay_group_end_offset{group,topic,partition}\n"
    "\n"
    "exit status: 0 done (no partition over --max-lag-seconds), 1 a partition is over\n"
    "--max-lag-seconds (in the last pass), 2 usage error or the cluster/log cannot be read.\n";

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Time lag in seconds of a row, or NAN when unknown. `ts` is the record or event time. */
static double age_s(const lag_row *r, int64_t ts, int64_t now)
{
    if (lag_records(r) == 0)
        return 0;
    if (ts < 0)
        return NAN;
    return ts > now ? 0 : (double)(now - ts) / 1000.0;
}

typedef struct rates {
    double consume, produce; /* records/s; NAN when unknown (first pass) */
} rates;

static const lag_row *find_row(const lag_set *s, const lag_row *r)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->rows[i].partition == r->partition && strcmp(s->rows[i].topic, r->topic) == 0 &&
            strcmp(s->rows[i].group, r->group) == 0)
            return &s->rows[i];
    return NULL;
}

static rates row_rates(const lag_set *prev, const lag_row *r, double dt)
{
    rates x = {NAN, NAN};
    const lag_row *p = prev && dt > 0 ? find_row(prev, r) : NULL;
    if (p) {
        x.consume = (double)(r->committed - p->committed) / dt;
        x.produce = (double)(r->end - p->end) / dt;
    }
    return x;
}

static void fmt_secs(char *out, size_t n, double s)
{
    if (isnan(s))
        snprintf(out, n, "-");
    else if (s < 100)
        snprintf(out, n, "%.1fs", s);
    else if (s < 3600 * 2)
        snprintf(out, n, "%.0fs", s);
    else if (s < 86400 * 2)
        snprintf(out, n, "%.1fh", s / 3600);
    else
        snprintf(out, n, "%.1fd", s / 86400);
}

static void print_table(FILE *f, const lag_set *s, const lag_set *prev, double dt, int watch,
                        int64_t now)
{
    if (s->n == 0) {
        fprintf(f, "no consumer group has committed offsets%s\n",
                watch ? "" : " (for the groups/topics asked)");
        return;
    }
    int gw = 5, tw = 5; /* column widths: the longest name, at most 64 */
    for (size_t i = 0; i < s->n; i++) {
        int g = (int)strlen(s->rows[i].group), t = (int)strlen(s->rows[i].topic);
        gw = g > gw ? (g > 64 ? 64 : g) : gw;
        tw = t > tw ? (t > 64 ? 64 : t) : tw;
    }
    fprintf(f, "%-*s %-*s %9s %12s %12s %10s %9s %9s", gw, "GROUP", tw, "TOPIC", "PARTITION",
            "COMMITTED", "END", "LAG", "TIME-LAG", "EVENT-LAG");
    if (watch)
        fprintf(f, " %10s %10s %9s", "CONSUME/s", "PRODUCE/s", "CATCH-UP");
    fputc('\n', f);
    for (size_t i = 0; i < s->n; i++) {
        const lag_row *r = &s->rows[i];
        char tl[32], el[32];
        fmt_secs(tl, sizeof tl, age_s(r, r->next_ts_ms, now));
        fmt_secs(el, sizeof el, age_s(r, r->next_event_ms, now));
        fprintf(f, "%-*s %-*s %9d %12lld %12lld %10lld %9s %9s", gw, r->group, tw, r->topic,
                (int)r->partition, (long long)r->committed, (long long)r->end,
                (long long)lag_records(r), tl, el);
        if (watch) {
            rates x = row_rates(prev, r, dt);
            char c[32] = "-", p[32] = "-", eta[32] = "-";
            if (!isnan(x.consume)) {
                snprintf(c, sizeof c, "%.1f", x.consume);
                snprintf(p, sizeof p, "%.1f", x.produce);
                int64_t lag = lag_records(r);
                if (lag == 0)
                    snprintf(eta, sizeof eta, "0s");
                else if (x.consume > x.produce)
                    fmt_secs(eta, sizeof eta, (double)lag / (x.consume - x.produce));
                else
                    snprintf(eta, sizeof eta, "never");
            }
            fprintf(f, " %10s %10s %9s", c, p, eta);
        }
        fputc('\n', f);
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("null", f);
    else
        fprintf(f, "%.3f", v);
}

static void print_json(FILE *f, const lag_set *s, const lag_set *prev, double dt, int64_t now)
{
    char ts[40];
    ce_timestamp_format(now * 1000000, 3, ts);
    fprintf(f, "{\"time\":\"%s\",\"partitions\":[", ts);
    for (size_t i = 0; i < s->n; i++) {
        const lag_row *r = &s->rows[i];
        fputs(i ? ",{\"group\":" : "{\"group\":", f);
        json_str(f, r->group);
        fputs(",\"topic\":", f);
        json_str(f, r->topic);
        fprintf(f,
                ",\"partition\":%d,\"committed_offset\":%lld,\"start_offset\":%lld,"
                "\"end_offset\":%lld,\"lag_records\":%lld,\"lag_seconds\":",
                (int)r->partition, (long long)r->committed, (long long)r->start, (long long)r->end,
                (long long)lag_records(r));
        json_num(f, age_s(r, r->next_ts_ms, now));
        fputs(",\"event_lag_seconds\":", f);
        json_num(f, age_s(r, r->next_event_ms, now));
        if (prev) {
            rates x = row_rates(prev, r, dt);
            fputs(",\"consume_rate\":", f);
            json_num(f, x.consume);
            fputs(",\"produce_rate\":", f);
            json_num(f, x.produce);
        }
        fputc('}', f);
    }
    fputs("]}\n", f);
}

/* ---- Prometheus exporter: the last pass rendered as text, served by libmicrohttpd ---- */

typedef struct exporter {
    pthread_mutex_t mu;
    char *text; /* malloc'ed exposition of the last pass */
    size_t len;
    struct MHD_Daemon *d;
} exporter;

static void prom_label(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fprintf(f, "\\%c", *s);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void prom_metric(FILE *f, const char *name, const char *helptext, const lag_set *s,
                        int which, int64_t now)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, helptext, name);
    for (size_t i = 0; i < s->n; i++) {
        const lag_row *r = &s->rows[i];
        double v = which == 0   ? (double)lag_records(r)
                   : which == 1 ? age_s(r, r->next_ts_ms, now)
                   : which == 2 ? age_s(r, r->next_event_ms, now)
                   : which == 3 ? (double)r->committed
                                : (double)r->end;
        if (isnan(v))
            continue;
        fprintf(f, "%s{group=\"", name);
        prom_label(f, r->group);
        fputs("\",topic=\"", f);
        prom_label(f, r->topic);
        fprintf(f, "\",partition=\"%d\"} %.*f\n", (int)r->partition,
                which == 1 || which == 2 ? 3 : 0, v);
    }
}

static void exporter_update(exporter *x, const lag_set *s, int64_t now, int ok)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return;
    prom_metric(f, "cerelay_group_lag_records",
                "Records the group has not consumed (end offset - committed offset).", s, 0, now);
    prom_metric(f, "cerelay_group_lag_seconds",
                "Now minus the record timestamp of the next record the group has not consumed.", s,
                1, now);
    prom_metric(f, "cerelay_group_event_lag_seconds",
                "Now minus the CloudEvents time of the next record the group has not consumed.", s,
                2, now);
    prom_metric(f, "cerelay_group_committed_offset",
                "The group's committed offset (rate() of it is the consume rate).", s, 3, now);
    prom_metric(f, "cerelay_group_end_offset",
                "The partition's end offset (rate() of it is the produce rate).", s, 4, now);
    fprintf(f,
            "# HELP cerelay_lag_scrape_ok 1 when the last collection succeeded.\n"
            "# TYPE cerelay_lag_scrape_ok gauge\ncerelay_lag_scrape_ok %d\n",
            ok);
    fclose(f);
    pthread_mutex_lock(&x->mu);
    free(x->text);
    x->text = buf, x->len = len;
    pthread_mutex_unlock(&x->mu);
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload, (void)upload_size, (void)con_cls;
    exporter *x = cls;
    struct MHD_Response *resp;
    unsigned status = MHD_HTTP_OK;
    if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0) {
        static const char nf[] = "not found: GET /metrics\n";
        status = MHD_HTTP_NOT_FOUND;
        resp = MHD_create_response_from_buffer(sizeof nf - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
    } else {
        pthread_mutex_lock(&x->mu);
        resp =
            MHD_create_response_from_buffer(x->len, x->text ? x->text : "", MHD_RESPMEM_MUST_COPY);
        pthread_mutex_unlock(&x->mu);
        MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
    }
    enum MHD_Result r = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static int exporter_start(exporter *x, const char *addr)
{
    const char *colon = strrchr(addr, ':');
    char host[256] = "0.0.0.0";
    if (!colon) {
        fprintf(stderr, "cerelay lag: --prometheus: expected HOST:PORT or :PORT, not '%s'\n", addr);
        return -1;
    }
    if (colon > addr)
        snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    if (*end || port < 1 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "cerelay lag: --prometheus: '%s' is not an IPv4 HOST:PORT\n", addr);
        return -1;
    }
    sa.sin_port = htons((uint16_t)port);
    pthread_mutex_init(&x->mu, NULL);
    x->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                            serve, x, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    if (!x->d) {
        fprintf(stderr, "cerelay lag: --prometheus: cannot listen on %s\n", addr);
        return -1;
    }
    fprintf(stderr, "cerelay lag: serving http://%s:%ld/metrics\n", host, port);
    return 0;
}

static void exporter_stop(exporter *x)
{
    if (x->d)
        MHD_stop_daemon(x->d);
    free(x->text);
}

/* Is any row older than max_s (by the chosen time)? Unknown times do not count. */
static int over_threshold(const lag_set *s, double max_s, int event_time, int64_t now)
{
    int over = 0;
    for (size_t i = 0; i < s->n; i++) {
        const lag_row *r = &s->rows[i];
        double a = age_s(r, event_time ? r->next_event_ms : r->next_ts_ms, now);
        if (!isnan(a) && a > max_s) {
            fprintf(stderr,
                    "cerelay lag: group '%s' topic '%s' partition %d is %.1f s behind (over "
                    "--max-lag-seconds %g)\n",
                    r->group, r->topic, (int)r->partition, a, max_s);
            over = 1;
        }
    }
    return over;
}

static void sleep_interruptible(double s)
{
    int64_t until = now_ms() + (int64_t)(s * 1000);
    while (!stop_flag && now_ms() < until) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
}

enum { MAX_FILTER = LAG_MAX_FILTER };

int cmd_lag(int argc, char **argv)
{
    enum { O_KAFKA = 256, O_LOG, O_GROUP, O_TOPIC, O_JSON, O_MAX, O_TSRC, O_WATCH, O_PROM, O_TMO };
    static const struct option opts[] = {{"kafka", required_argument, NULL, O_KAFKA},
                                         {"log", required_argument, NULL, O_LOG},
                                         {"group", required_argument, NULL, O_GROUP},
                                         {"topic", required_argument, NULL, O_TOPIC},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"max-lag-seconds", required_argument, NULL, O_MAX},
                                         {"time-source", required_argument, NULL, O_TSRC},
                                         {"watch", optional_argument, NULL, O_WATCH},
                                         {"prometheus", required_argument, NULL, O_PROM},
                                         {"timeout", required_argument, NULL, O_TMO},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *brokers = NULL, *logdir = NULL, *prom = NULL;
    static const char *groups[MAX_FILTER], *topics[MAX_FILTER], *props[MAX_FILTER + 1];
    int ngroups = 0, ntopics = 0, nprops = 0, json = 0, watch = 0, event_time = 0;
    double max_lag = -1, interval = -1, timeout_s = 10;
    char *end;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "X:h", opts, NULL)) != -1) {
        switch (c) {
        case O_KAFKA:
            brokers = optarg;
            break;
        case O_LOG:
            logdir = optarg;
            break;
        case O_GROUP:
        case O_TOPIC:
        case 'X': {
            int *n = c == O_GROUP ? &ngroups : c == O_TOPIC ? &ntopics : &nprops;
            const char **v = c == O_GROUP ? groups : c == O_TOPIC ? topics : props;
            if (*n == MAX_FILTER) {
                fprintf(stderr, "cerelay lag: more than %d --group, --topic or -X options\n",
                        MAX_FILTER);
                return CLI_USAGE;
            }
            v[(*n)++] = optarg;
            break;
        }
        case O_JSON:
            json = 1;
            break;
        case O_MAX:
            max_lag = strtod(optarg, &end);
            if (*end || end == optarg || !(max_lag >= 0)) {
                fprintf(stderr, "cerelay lag: --max-lag-seconds: not a number >= 0: '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case O_TSRC:
            if (strcmp(optarg, "event") == 0)
                event_time = 1;
            else if (strcmp(optarg, "broker") != 0) {
                fprintf(stderr, "cerelay lag: --time-source: broker or event, not '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case O_WATCH:
            watch = 1;
            /* optional_argument only binds "--watch=N"; also accept "--watch N". */
            if (!optarg && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
                optarg = argv[optind++];
            if (optarg) {
                interval = strtod(optarg, &end);
                if (*end || !(interval >= 0.1 && interval <= 86400)) {
                    fprintf(stderr,
                            "cerelay lag: --watch: interval from 0.1 to 86400 seconds, not "
                            "'%s'\n",
                            optarg);
                    return CLI_USAGE;
                }
            }
            break;
        case O_PROM:
            prom = optarg;
            break;
        case O_TMO:
            timeout_s = strtod(optarg, &end);
            if (*end || !(timeout_s >= 0.1 && timeout_s <= 3600)) {
                fprintf(stderr, "cerelay lag: --timeout: seconds from 0.1 to 3600, not '%s'\n",
                        optarg);
                return CLI_USAGE;
            }
            break;
        case 'h':
            fputs(help, stdout);
            return CLI_OK;
        default:
            fputs(help, stderr);
            return CLI_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cerelay lag: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    if (!!brokers + !!logdir != 1) {
        fprintf(stderr, "cerelay lag: give exactly one of --kafka or --log\n"
                        "(see 'cerelay lag --help')\n");
        return CLI_USAGE;
    }
    if (nprops && !brokers) {
        fprintf(stderr, "cerelay lag: -X applies to --kafka only\n");
        return CLI_USAGE;
    }
    if (interval < 0)
        interval = prom ? 5 : 2;
    props[nprops] = NULL;
    lag_query q = {groups, ngroups, topics, ntopics};
    char err[1024];
    lag_kafka *k = NULL;
    if (brokers && !(k = lag_kafka_new(brokers, props, (int)(timeout_s * 1000), err, sizeof err))) {
        fprintf(stderr, "cerelay lag: %s\n", err);
        return CLI_USAGE;
    }
    exporter x = {0};
    if (prom && exporter_start(&x, prom) != 0) {
        lag_kafka_destroy(k);
        return CLI_USAGE;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int tty = isatty(STDOUT_FILENO);
    int repeat = watch || prom;
    lag_set cur = {0}, prev = {0};
    int64_t prev_at = 0;
    int status = CLI_OK, passes = 0;
    while (!stop_flag) {
        int rc = k ? lag_kafka_collect(k, &q, &cur, err, sizeof err)
                   : lag_log_collect(logdir, &q, &cur, err, sizeof err);
        int64_t now = now_ms();
        if (rc != 0) {
            fprintf(stderr, "cerelay lag: %s\n", err);
            if (prom)
                exporter_update(&x, &cur, now, 0);
            status = CLI_USAGE;
            if (!repeat)
                break;
        } else {
            double dt = passes ? (double)(now - prev_at) / 1000.0 : 0;
            const lag_set *pv = passes ? &prev : NULL;
            if (prom)
                exporter_update(&x, &cur, now, 1);
            if (!prom || watch) {
                if (watch && tty && !json)
                    fputs("\033[H\033[2J", stdout);
                else if (watch && !json) {
                    char ts[40];
                    ce_timestamp_format(now * 1000000, 0, ts);
                    printf("%s\n", ts);
                }
                if (json)
                    print_json(stdout, &cur, pv, dt, now);
                else
                    print_table(stdout, &cur, pv, dt, watch, now);
                fflush(stdout);
            }
            status = max_lag >= 0 && over_threshold(&cur, max_lag, event_time, now) ? CLI_INVALID
                                                                                    : CLI_OK;
            lag_set t = prev;
            prev = cur, cur = t;
            prev_at = now;
            passes++;
        }
        if (!repeat)
            break;
        sleep_interruptible(interval);
    }
    lag_set_free(&cur);
    lag_set_free(&prev);
    if (prom)
        exporter_stop(&x);
    lag_kafka_destroy(k);
    return status;
}
