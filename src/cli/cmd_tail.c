/* cerelay tail: read CloudEvents from a Kafka topic or a local-log topic (binary and
 * structured mode both decoded) and print them as NDJSON or a readable view, or, with --stats,
 * print their freshness (consume time - event time) percentiles per type and tenant. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cerelay/ce.h"
#include "cerelay/ce_sql.h"
#include "cli/cli.h"
#include "cli/fresh.h"
#include "cli/source.h"
#include "sink/sink.h"

static const char help[] =
    "usage: cerelay tail (--log DIR | --kafka BROKERS) --topic TOPIC [OPTIONS]\n"
    "\n"
    "Print the CloudEvents stored in a topic. Without --follow, stops at the end of what\n"
    "exists and exits 0. Records that are not valid CloudEvents are reported on standard\n"
    "error with their partition and offset (exit status 1 at the end).\n"
    "\n"
    "options:\n"
    "  --offset POS       earliest (default) | latest | N (an offset, every partition) |\n"
    "                     @RFC3339 (the first record at or after that time)\n"
    "  --follow, -f       keep waiting for new events (Ctrl-C to stop)\n"
    "  --count N          stop after N events\n"
    "  --group NAME       resume from, and commit to, the positions of consumer group NAME\n"
    "  --format FORMAT    json (default: one structured event per line) | pretty\n"
    "  --filter EXPR      print only events for which the CESQL expression is true\n"
    "                     (e.g. \"type LIKE 'eventzr.llm.%' AND subject = 'tenant-a'\");\n"
    "                     --count counts matching events\n"
    "  --stats            print no events but their end-to-end freshness: consume time minus\n"
    "                     the CloudEvents `time`, as p50/p95/p99/max per event type and\n"
    "                     tenant (the `tenantid` extension, else the subject, else '-'; at\n"
    "                     most 100 type/tenant pairs, the rest as 'other'), cumulative since\n"
    "                     the start, once a second and at the end (--format json: one JSON\n"
    "                     object per report). With --group it consumes as that group would\n"
    "                     (and commits); with --follow it runs until Ctrl-C.\n"
    "  -X NAME=VALUE      librdkafka property for --kafka (repeatable)\n"
    "\n"
    "exit status:\n"
    "  0  every record read was a CloudEvent\n"
    "  1  a record was not a valid CloudEvent, or reading stopped on an error (both\n"
    "     reported on standard error)\n"
    "  2  usage error, or the log, topic or broker cannot be opened\n";

static volatile int stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* --stats: the statistics and a thread printing them once a second. */
typedef struct stats_printer {
    fresh *f;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, json;
    pthread_t th;
} stats_printer;

static void *stats_loop(void *arg)
{
    stats_printer *sp = arg;
    pthread_mutex_lock(&sp->mu);
    while (!sp->done) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        if (pthread_cond_timedwait(&sp->cv, &sp->mu, &until) != 0 && !sp->done)
            fresh_print(sp->f, stdout, sp->json, 0);
    }
    pthread_mutex_unlock(&sp->mu);
    return NULL;
}

static int64_t wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void print_pretty(const ce_event *ev, const src_meta *m, const char *topic)
{
    char ts[40] = "";
    if (m->timestamp_ms >= 0)
        ce_timestamp_format(m->timestamp_ms * 1000000, 3, ts);
    printf("--- %s/%d@%lld", topic, (int)m->partition, (long long)m->offset);
    if (m->key.ptr)
        printf("  key=%.*s", (int)m->key.len, m->key.ptr);
    printf("  %s\n", ts);
    size_t n = ce_event_attr_count(ev);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        ce_value v;
        ce_event_attr_at(ev, i, &name, &v);
        printf("  %-16s %.*s\n", name, (int)v.str.len, v.str.ptr);
    }
    ce_slice d = ce_event_data(ev);
    switch (ce_event_data_kind(ev)) {
    case CE_DATA_NONE:
        printf("  (no data)\n");
        break;
    case CE_DATA_JSON:
    case CE_DATA_TEXT:
        printf("  data             %.*s\n", (int)d.len, d.ptr);
        break;
    case CE_DATA_BINARY:
        printf("  data             (%zu bytes of binary)\n", d.len);
        break;
    }
}

int cmd_tail(int argc, char **argv)
{
    enum { O_KAFKA = 256, O_LOG, O_TOPIC, O_OFFSET, O_COUNT, O_GROUP, O_FORMAT, O_FILTER, O_STATS };
    static const struct option opts[] = {{"kafka", required_argument, NULL, O_KAFKA},
                                         {"log", required_argument, NULL, O_LOG},
                                         {"topic", required_argument, NULL, O_TOPIC},
                                         {"offset", required_argument, NULL, O_OFFSET},
                                         {"follow", no_argument, NULL, 'f'},
                                         {"count", required_argument, NULL, O_COUNT},
                                         {"group", required_argument, NULL, O_GROUP},
                                         {"format", required_argument, NULL, O_FORMAT},
                                         {"filter", required_argument, NULL, O_FILTER},
                                         {"stats", no_argument, NULL, O_STATS},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    src_conf conf = {0};
    const char *props[257] = {0};
    int nprops = 0, pretty = 0, stats = 0, json_format = 0;
    ce_sql_prog *filter = NULL;
    char ferr[512];
    long long count = -1;
    char *end;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "X:fh", opts, NULL)) != -1) {
        switch (c) {
        case O_KAFKA:
            conf.brokers = optarg;
            break;
        case O_LOG:
            conf.log_dir = optarg;
            break;
        case O_TOPIC:
            conf.topic = optarg;
            break;
        case O_OFFSET:
            if (strcmp(optarg, "earliest") == 0) {
                conf.whence = SRC_EARLIEST;
            } else if (strcmp(optarg, "latest") == 0) {
                conf.whence = SRC_LATEST;
            } else if (optarg[0] == '@') {
                int64_t ns;
                if (ce_timestamp_parse(optarg + 1, strlen(optarg + 1), &ns)) {
                    fprintf(stderr, "cerelay tail: --offset: '%s' is not an RFC 3339 time\n",
                            optarg + 1);
                    return CLI_USAGE;
                }
                conf.whence = SRC_TIME;
                conf.arg = ns / 1000000;
            } else {
                conf.arg = strtoll(optarg, &end, 10);
                if (*end || conf.arg < 0) {
                    fprintf(stderr,
                            "cerelay tail: --offset: expected earliest, latest, a number or "
                            "@RFC3339, not '%s'\n",
                            optarg);
                    return CLI_USAGE;
                }
                conf.whence = SRC_OFFSET;
            }
            break;
        case 'f':
            conf.follow = 1;
            break;
        case O_COUNT:
            count = strtoll(optarg, &end, 10);
            if (*end || count < 1) {
                fprintf(stderr, "cerelay tail: --count: not a positive number: '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case O_GROUP:
            conf.group = optarg;
            break;
        case O_FORMAT:
            json_format = strcmp(optarg, "json") == 0;
            if (strcmp(optarg, "pretty") == 0)
                pretty = 1;
            else if (!json_format) {
                fprintf(stderr, "cerelay tail: --format: json or pretty, not '%s'\n", optarg);
                return CLI_USAGE;
            }
            break;
        case O_FILTER:
            ce_sql_prog_destroy(filter);
            if (ce_sql_compile(optarg, strlen(optarg), &filter, ferr, sizeof ferr) != 0) {
                fprintf(stderr, "cerelay tail: --filter: %s\n", ferr);
                return CLI_USAGE;
            }
            break;
        case O_STATS:
            stats = 1;
            break;
        case 'X':
            if (nprops == 256) {
                fprintf(stderr, "cerelay tail: too many -X options\n");
                return CLI_USAGE;
            }
            props[nprops++] = optarg;
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
        fprintf(stderr, "cerelay tail: unexpected argument '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    if (!!conf.brokers + !!conf.log_dir != 1 || !conf.topic) {
        fprintf(stderr, "cerelay tail: give one of --kafka or --log, and --topic\n"
                        "(see 'cerelay tail --help')\n");
        return CLI_USAGE;
    }
    conf.props = props;
    const src_ops *ops = conf.brokers ? &src_kafka : &src_log;
    char err[512];
    src *s = NULL;
    if (ops->open(&s, &conf, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay tail: %s\n", err);
        return CLI_USAGE;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ce_event *ev = ce_event_new();
    ce_sql_ctx *sqlctx = filter ? ce_sql_ctx_new(0) : NULL;
    ce_buf out;
    ce_buf_init(&out);
    long long shown = 0, bad = 0;
    int status = CLI_OK;
    static stats_printer sp;
    if (stats) {
        memset(&sp, 0, sizeof sp);
        sp.f = fresh_new();
        sp.json = json_format;
        pthread_mutex_init(&sp.mu, NULL);
        pthread_cond_init(&sp.cv, NULL);
        if (!sp.f || pthread_create(&sp.th, NULL, stats_loop, &sp) != 0) {
            fprintf(stderr, "cerelay tail: --stats: cannot start\n");
            fresh_destroy(sp.f);
            stats = 0;
            status = CLI_USAGE;
            count = 0;
        }
    }
    ce_kafka_message msg;
    src_meta meta;
    while (count < 0 || shown < count) {
        int rc = ops->next(s, &msg, &meta, &stop_flag, err, sizeof err);
        if (rc == 0)
            break;
        if (rc < 0) {
            fprintf(stderr, "cerelay tail: %s\n", err);
            status = CLI_INVALID;
            break;
        }
        if (ce_kafka_decode_into(&msg, NULL, ev, err, sizeof err) != 0) {
            fprintf(stderr, "cerelay tail: %s/%d@%lld: not a CloudEvent: %s\n", conf.topic,
                    (int)meta.partition, (long long)meta.offset, err);
            bad++;
            continue;
        }
        if (filter && !ce_sql_filter_ctx(filter, sqlctx, ev))
            continue;
        if (stats) {
            int64_t now = wall_ms();
            pthread_mutex_lock(&sp.mu);
            fresh_add(sp.f, ev, now);
            pthread_mutex_unlock(&sp.mu);
        } else if (pretty) {
            print_pretty(ev, &meta, conf.topic);
        } else {
            out.len = 0;
            if (ce_json_encode(ev, CE_JSON_COMPACT_DATA, &out, err, sizeof err) == 0) {
                fwrite(out.ptr, 1, out.len, stdout);
                fputc('\n', stdout);
            }
        }
        shown++;
        if (conf.follow)
            fflush(stdout);
        if (conf.group && shown % 1000 == 0 && ops->commit(s, err, sizeof err) != 0)
            fprintf(stderr, "cerelay tail: %s\n", err);
    }
    if (stats) {
        pthread_mutex_lock(&sp.mu);
        sp.done = 1;
        pthread_cond_signal(&sp.cv);
        pthread_mutex_unlock(&sp.mu);
        pthread_join(sp.th, NULL);
        fresh_print(sp.f, stdout, sp.json, 1);
        fresh_destroy(sp.f);
    }
    fflush(stdout);
    if (conf.group && ops->commit(s, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay tail: %s\n", err);
        status = CLI_INVALID;
    }
    ops->close(s);
    ce_sql_ctx_destroy(sqlctx);
    ce_sql_prog_destroy(filter);
    ce_event_destroy(ev);
    ce_buf_free(&out);
    if (bad) {
        fprintf(stderr, "cerelay tail: %lld record(s) were not valid CloudEvents\n", bad);
        status = CLI_INVALID;
    }
    return status;
}
