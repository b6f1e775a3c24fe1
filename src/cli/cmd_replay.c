/* cerelay replay: copy a range of a Kafka or local-log topic (by offsets, by time or by count)
 * to any destination `send` supports, exactly: a record is read, delivered and acknowledged
 * before its position is committed (resumable with --group), never past the range. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/ce.h"
#include "cerelay/err.h"
#include "cerelay/ce_sql.h"
#include "cli/cli.h"
#include "cli/dest.h"
#include "cli/replay.h"
#include "cli/source.h"
#include "sink/sink.h"

static const char help[] =
    "usage: cerelay replay (--from-kafka BROKERS | --from-log DIR) --topic TOPIC [RANGE]\n"
    "                      DESTINATION [OPTIONS]\n"
    "\n"
    "Copy the records of a topic range to a destination, preserving event ids and per-key\n"
    "order. Every selected record is delivered exactly once when the run completes: records are\n"
    "delivered in checkpoints (1000 records or 1 s) and, with --group, the position is\n"
    "committed only after the destination acknowledged the whole checkpoint, so a rerun with\n"
    "the same --group continues where the last one stopped, without gaps. Kafka to Kafka on\n"
    "the same cluster (same BROKERS) commits the position inside the producer's transaction:\n"
    "nothing is copied twice even after kill -9 (read the destination with\n"
    "isolation.level=read_committed, librdkafka's default). Elsewhere a crash can repeat at\n"
    "most the last checkpoint.\n"
    "\n"
    "source:\n"
    "  --from-kafka BROKERS     Kafka bootstrap servers (--from-X NAME=VALUE: librdkafka\n"
    "                           property for the source consumer, repeatable)\n"
    "  --from-log DIR           cerelay's local log\n"
    "  --topic TOPIC            the topic to read\n"
    "\n"
    "range (default: everything stored when the run starts; options combine):\n"
    "  --offsets SPEC           P:FROM-TO[,P:FROM-TO...] inclusive offsets per partition;\n"
    "                           FROM-TO alone applies to every partition; TO may be empty\n"
    "                           (to the end). Partitions not named are not copied.\n"
    "  --since RFC3339          records at or after this time\n"
    "  --until RFC3339          records before this time\n"
    "  --time-source SRC        broker (default): the record timestamp (Kafka CreateTime or\n"
    "                           LogAppendTime, the log's append time), resolved to offsets\n"
    "                           per partition; event: the CloudEvents `time` attribute, every\n"
    "                           record of the offset range is read and events without time\n"
    "                           are skipped\n"
    "  --count N                stop after N copied events\n"
    "  --group G                resume from, and commit progress to, consumer group G\n"
    "\n"
    "destination (exactly one; as for `cerelay send`):\n"
    "  --kafka BROKERS          records are copied as they are (key, value, headers,\n"
    "                           timestamp) by an idempotent producer; partitions are kept\n"
    "                           when the destination topic has the source's partition count\n"
    "                           (it is created with that count when missing), otherwise the\n"
    "                           key picks the partition (murmur2, as the Java client)\n"
    "  --http URL | --log DIR | --stdout   events are re-encoded by the destination (HTTP:\n"
    "                           one request in flight at a time, to keep the order)\n"
    "  --to-topic TOPIC         destination topic (default: the source topic's name);\n"
    "                           --log/--http/--stdout also accept --mode, --key,\n"
    "                           --attr-headers, --header, --batch-size, --partitions,\n"
    "                           --fsync as `send` does; -X NAME=VALUE: destination\n"
    "                           librdkafka property\n"
    "\n"
    "options:\n"
    "  --filter EXPR            copy only events for which the CESQL expression is true\n"
    "  --rate N                 at most N events per second\n"
    "  --timeout SECONDS        wait for acknowledgements at each checkpoint (default 60)\n"
    "  -q, --quiet              no progress bar and no summary on success\n"
    "\n"
    "A progress bar with rate and ETA is drawn on a terminal (standard error); a summary line\n"
    "ends every run. Records that are not CloudEvents are reported with their partition and\n"
    "offset and skipped. Exit status: 0 every selected record copied, 1 a record could not be\n"
    "delivered, was not a CloudEvent or the run was interrupted (rerun with --group to\n"
    "continue), 2 usage error or the source/destination cannot be opened.\n";

enum { CHECKPOINT_RECORDS = 1000, CHECKPOINT_MS = 1000, MAX_PROPS = 256 };

static volatile int stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct replay {
    /* source */
    const src_ops *sops;
    src *s;
    src_conf sc;
    int32_t nparts;
    int64_t *starts, *ends, *next; /* per partition: range and next offset to commit */
    /* destination */
    cli_dest d;
    cer_sink_handle sink; /* --http/--log/--stdout */
    rk_dest *rk;          /* --kafka */
    size_t sink_delivered, sink_failed;
    size_t http_pending; /* events submitted to the HTTP sink since its last flush */
    char sink_error[256];
    /* work */
    int event_time;
    int64_t since_ms, until_ms; /* -1: unbounded */
    long long count;
    double rate;
    int timeout_ms;
    ce_sql_prog *filter;
    size_t read, copied, filtered, invalid;
    int64_t total; /* records in the range (for progress) */
} replay;

static replay *g_rp; /* the delivery callback's context */

static void on_delivery(void *opaque, int err, const char *reason)
{
    (void)opaque;
    replay *rp = g_rp;
    if (err == 0) {
        rp->sink_delivered++;
        return;
    }
    if (rp->sink_failed++ == 0)
        snprintf(rp->sink_error, sizeof rp->sink_error, "%s", reason ? reason : cer_strerror(err));
}

static int usage_err(const char *fmt, const char *arg)
{
    fprintf(stderr, "cerelay replay: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'cerelay replay --help')\n");
    return CLI_USAGE;
}

static int64_t mono_ms(void)
{
    return cer_mono_ns() / 1000000;
}

/* Parse --offsets into per-partition [from, to] (inclusive; to = -1: open). Entries for
 * partitions not named get from = -1. Returns 0 or -1 after printing the error. */
static int parse_offsets(const char *spec, int32_t nparts, int64_t *from, int64_t *to)
{
    int all = strchr(spec, ':') == NULL;
    for (int32_t p = 0; p < nparts; p++)
        from[p] = -1, to[p] = -1;
    const char *q = spec;
    while (*q) {
        char *end;
        long long p = -1;
        if (!all) {
            p = strtoll(q, &end, 10);
            if (end == q || *end != ':' || p < 0) {
                fprintf(stderr, "cerelay replay: --offsets: expected P:FROM-TO at '%s'\n", q);
                return -1;
            }
            if (p >= nparts) {
                fprintf(stderr,
                        "cerelay replay: --offsets: partition %lld does not exist (the "
                        "topic has %d)\n",
                        p, (int)nparts);
                return -1;
            }
            q = end + 1;
        }
        long long a = strtoll(q, &end, 10), b = -1;
        if (end == q || *end != '-' || a < 0) {
            fprintf(stderr, "cerelay replay: --offsets: expected FROM-TO at '%s'\n", q);
            return -1;
        }
        q = end + 1;
        if (*q && *q != ',') {
            b = strtoll(q, &end, 10);
            if (end == q || b < a) {
                fprintf(stderr, "cerelay replay: --offsets: TO must be a number >= FROM at '%s'\n",
                        q);
                return -1;
            }
            q = end;
        }
        for (int32_t i = 0; i < nparts; i++)
            if (all || i == p)
                from[i] = a, to[i] = b;
        if (*q == ',')
            q++;
        else if (*q) {
            fprintf(stderr, "cerelay replay: --offsets: unexpected '%s'\n", q);
            return -1;
        }
        if (all)
            break;
    }
    return 0;
}

/* Compute starts/ends from the range options and the group's committed offsets. */
static int plan(replay *rp, const char *offsets, char *err, size_t errsz)
{
    int32_t n = rp->nparts;
    int64_t *ofrom = calloc((size_t)n, sizeof *ofrom), *oto = calloc((size_t)n, sizeof *oto);
    if (!ofrom || !oto) {
        free(ofrom);
        free(oto);
        snprintf(err, errsz, "out of memory");
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    if (offsets && parse_offsets(offsets, n, ofrom, oto) != 0)
        rc = CLI_USAGE;
    rp->total = 0;
    for (int32_t p = 0; p < n && rc == CLI_OK; p++) {
        int64_t lo, hi, c;
        if (rp->sops->watermarks(rp->s, p, &lo, &hi, err, errsz) != 0) {
            rc = CLI_USAGE;
            break;
        }
        int64_t from = lo, to = hi;
        if (offsets) {
            if (ofrom[p] < 0) {
                rp->starts[p] = rp->ends[p] = -1;
                continue;
            }
            from = ofrom[p] > lo ? ofrom[p] : lo;
            if (oto[p] >= 0 && oto[p] + 1 < to)
                to = oto[p] + 1;
        }
        if (!rp->event_time && rp->since_ms >= 0) {
            int64_t o;
            if (rp->sops->offset_for_time(rp->s, p, rp->since_ms, &o, err, errsz) != 0) {
                rc = CLI_USAGE;
                break;
            }
            from = o > from ? o : from;
        }
        if (!rp->event_time && rp->until_ms >= 0) {
            int64_t o;
            if (rp->sops->offset_for_time(rp->s, p, rp->until_ms, &o, err, errsz) != 0) {
                rc = CLI_USAGE;
                break;
            }
            to = o < to ? o : to;
        }
        int cr = rp->sops->committed(rp->s, p, &c, err, errsz);
        if (cr != 0 && cr != CE_ENOTFOUND) {
            rc = CLI_USAGE;
            break;
        }
        if (cr == 0 && c > from)
            from = c; /* resume */
        rp->starts[p] = from < to ? from : -1;
        rp->ends[p] = to;
        if (from < to)
            rp->total += to - from;
    }
    free(ofrom);
    free(oto);
    return rc;
}

/* Wait until every delivery so far is acknowledged, then commit the positions. */
static int checkpoint(replay *rp, char *err, size_t errsz)
{
    if (rp->rk) {
        const char *group = rp->sc.group;
        int txn = group && rp->sc.brokers && strcmp(rp->sc.brokers, rp->d.conf.brokers) == 0;
        if (rk_dest_checkpoint(rp->rk, rp->timeout_ms, txn ? group : NULL, rp->sc.topic, rp->next,
                               rp->nparts, err, errsz) != 0)
            return -1;
        if (txn)
            return 0; /* the transaction committed the positions */
    } else {
        if (rp->sink.ops->flush(rp->sink.s, rp->timeout_ms) != 0) {
            snprintf(err, errsz, "not acknowledged within %d ms", rp->timeout_ms);
            return -1;
        }
        if (rp->sink_failed) {
            snprintf(err, errsz, "%s", rp->sink_error);
            return -1;
        }
    }
    if (rp->sc.group && rp->sops->commit(rp->s, err, errsz) != 0)
        return -1;
    return 0;
}

static void fmt_eta(char *out, size_t n, double s)
{
    if (s < 0 || s > 1e7)
        snprintf(out, n, "--:--");
    else if (s >= 3600)
        snprintf(out, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
    else
        snprintf(out, n, "%02d:%02d", (int)s / 60, (int)s % 60);
}

static void progress(const replay *rp, double secs)
{
    double frac = rp->total > 0 ? (double)rp->read / (double)rp->total : 1;
    if (frac > 1)
        frac = 1;
    double rate = secs > 0 ? (double)rp->read / secs : 0;
    char eta[32];
    fmt_eta(eta, sizeof eta, rate > 0 ? (double)(rp->total - (int64_t)rp->read) / rate : -1);
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "\r[%s] %3.0f%% %zu/%lld read, %zu copied, %.0f rec/s, ETA %s ", bar,
            frac * 100, rp->read, (long long)rp->total, rp->copied, rate, eta);
}

/* Sleep until `until_ms` while serving delivery reports. */
static void pace(replay *rp, int64_t until_ms)
{
    for (int64_t now = mono_ms(); now < until_ms && !stop_flag; now = mono_ms()) {
        int ms = (int)(until_ms - now);
        if (rp->rk)
            rk_dest_poll(rp->rk, ms);
        else
            rp->sink.ops->poll(rp->sink.s, ms);
    }
}

static int deliver(replay *rp, const ce_kafka_message *msg, const src_meta *meta,
                   const ce_event *ev, char *err, size_t errsz)
{
    if (rp->rk)
        return rk_dest_produce(rp->rk, msg, rk_dest_keeps_partitions(rp->rk) ? meta->partition : -1,
                               meta->timestamp_ms, err, errsz);
    for (;;) {
        int rc = rp->sink.ops->submit(rp->sink.s, ev, NULL, err, errsz);
        if (rc == CER_SINK_EQUEUE) {
            rp->sink.ops->poll(rp->sink.s, 50);
            continue;
        }
        if (rc || rp->sink.ops != &cer_sink_http)
            return rc;
        /* The HTTP sink runs several requests at once, which could reorder events: keep one
         * request (one event, or one batch in batch mode) in flight so the destination gets
         * the source's order. */
        size_t per_request = rp->d.conf.mode == CE_MODE_BATCH
                                 ? (rp->d.conf.batch_size ? rp->d.conf.batch_size : 50)
                                 : 1;
        if (++rp->http_pending >= per_request) {
            rp->http_pending = 0;
            if (rp->sink.ops->flush(rp->sink.s, rp->timeout_ms) != 0) {
                snprintf(err, errsz, "http: not acknowledged within %d ms", rp->timeout_ms);
                return CER_SINK_ETIMEOUT;
            }
        }
        return 0;
    }
}

/* The copy loop. Returns the exit status. */
static int run(replay *rp, int quiet)
{
    char err[1024];
    ce_event *ev = ce_event_new();
    ce_sql_ctx *sqlctx = rp->filter ? ce_sql_ctx_new(0) : NULL;
    int tty = !quiet && isatty(STDERR_FILENO);
    int64_t t0 = mono_ms(), last_cp = t0, last_bar = 0;
    size_t since_cp = 0;
    int status = CLI_OK, failed = 0;
    ce_kafka_message msg;
    src_meta meta;
    while (!stop_flag && (rp->count < 0 || (long long)rp->copied < rp->count)) {
        int rc = rp->sops->next(rp->s, &msg, &meta, &stop_flag, err, sizeof err);
        if (rc == 0)
            break;
        if (rc < 0) {
            fprintf(stderr, "%scerelay replay: %s\n", tty ? "\n" : "", err);
            status = CLI_USAGE, failed = 1;
            break;
        }
        rp->read++;
        if (meta.partition >= 0 && meta.partition < rp->nparts)
            rp->next[meta.partition] = meta.offset + 1;
        int keep = 1;
        if (ce_kafka_decode_into(&msg, NULL, ev, err, sizeof err) != 0) {
            fprintf(stderr, "%scerelay replay: %s/%d@%lld: not a CloudEvent: %s\n", tty ? "\n" : "",
                    rp->sc.topic, (int)meta.partition, (long long)meta.offset, err);
            rp->invalid++;
            keep = 0;
        }
        if (keep && rp->event_time) {
            ce_slice t = ce_event_get_str(ev, "time");
            int64_t ns;
            keep = t.ptr && ce_timestamp_parse(t.ptr, t.len, &ns) == 0 &&
                   (rp->since_ms < 0 || ns / 1000000 >= rp->since_ms) &&
                   (rp->until_ms < 0 || ns / 1000000 < rp->until_ms);
            rp->filtered += !keep;
        }
        if (keep && rp->filter && !ce_sql_filter_ctx(rp->filter, sqlctx, ev)) {
            keep = 0;
            rp->filtered++;
        }
        if (keep) {
            if (rp->rate > 0)
                pace(rp, t0 + (int64_t)((double)rp->copied * 1000.0 / rp->rate));
            if (deliver(rp, &msg, &meta, ev, err, sizeof err) != 0) {
                fprintf(stderr, "%scerelay replay: %s/%d@%lld: %s\n", tty ? "\n" : "", rp->sc.topic,
                        (int)meta.partition, (long long)meta.offset, err);
                failed = 1;
                break;
            }
            rp->copied++;
            if (!rp->rk && rp->sink_failed)
                break; /* the checkpoint below reports it; nothing more is sent */
        }
        since_cp++;
        int64_t now = mono_ms();
        if (since_cp >= CHECKPOINT_RECORDS || now - last_cp >= CHECKPOINT_MS) {
            if (checkpoint(rp, err, sizeof err) != 0) {
                fprintf(stderr, "%scerelay replay: %s\n", tty ? "\n" : "", err);
                failed = 1;
                break;
            }
            since_cp = 0, last_cp = now;
        }
        if (tty && now - last_bar >= 200) {
            progress(rp, (double)(now - t0) / 1000.0);
            last_bar = now;
        }
    }
    if (!failed && checkpoint(rp, err, sizeof err) != 0) {
        fprintf(stderr, "%scerelay replay: %s\n", tty ? "\n" : "", err);
        failed = 1;
    }
    double secs = (double)(mono_ms() - t0) / 1000.0;
    if (tty) {
        progress(rp, secs);
        fputc('\n', stderr);
    }
    size_t delivered = rp->sink_delivered, dfailed = rp->sink_failed;
    if (rp->rk)
        rk_dest_counts(rp->rk, &delivered, &dfailed);
    if (failed && status == CLI_OK)
        status = CLI_INVALID;
    if (stop_flag && status == CLI_OK) {
        fprintf(stderr, "cerelay replay: interrupted%s\n",
                rp->sc.group ? "; rerun with the same --group to continue" : "");
        status = CLI_INVALID;
    }
    if (rp->invalid && status == CLI_OK)
        status = CLI_INVALID;
    if (!quiet || status != CLI_OK)
        fprintf(stderr,
                "replayed %zu of %zu records read (%zu filtered out, %zu not CloudEvents), "
                "delivered %zu, failed %zu in %.3f s (%.1f ev/s)%s%s\n",
                rp->copied, rp->read, rp->filtered, rp->invalid, delivered, dfailed, secs,
                secs > 0 ? (double)rp->copied / secs : 0.0, rp->sc.group ? "; group " : "",
                rp->sc.group ? rp->sc.group : "");
    ce_sql_ctx_destroy(sqlctx);
    ce_event_destroy(ev);
    return status;
}

static int parse_time(const char *opt, const char *arg, int64_t *ms)
{
    int64_t ns;
    if (ce_timestamp_parse(arg, strlen(arg), &ns) != 0) {
        fprintf(stderr, "cerelay replay: %s: '%s' is not an RFC 3339 time\n", opt, arg);
        return -1;
    }
    *ms = ns / 1000000;
    return 0;
}

int cmd_replay(int argc, char **argv)
{
    enum {
        O_FROM_KAFKA = 256,
        O_FROM_LOG,
        O_FROM_X,
        O_SRC_TOPIC,
        O_OFFSETS,
        O_SINCE,
        O_UNTIL,
        O_TSRC,
        O_COUNT,
        O_GROUP,
        O_FILTER,
        O_RATE,
        O_TIMEOUT
    };
    static const struct option opts[] = {{"from-kafka", required_argument, NULL, O_FROM_KAFKA},
                                         {"from-log", required_argument, NULL, O_FROM_LOG},
                                         {"from-X", required_argument, NULL, O_FROM_X},
                                         {"topic", required_argument, NULL, O_SRC_TOPIC},
                                         {"offsets", required_argument, NULL, O_OFFSETS},
                                         {"since", required_argument, NULL, O_SINCE},
                                         {"until", required_argument, NULL, O_UNTIL},
                                         {"time-source", required_argument, NULL, O_TSRC},
                                         {"count", required_argument, NULL, O_COUNT},
                                         {"group", required_argument, NULL, O_GROUP},
                                         {"filter", required_argument, NULL, O_FILTER},
                                         {"rate", required_argument, NULL, O_RATE},
                                         {"timeout", required_argument, NULL, O_TIMEOUT},
                                         {"kafka", required_argument, NULL, CLI_DEST_KAFKA},
                                         {"http", required_argument, NULL, CLI_DEST_HTTP},
                                         {"log", required_argument, NULL, CLI_DEST_LOG},
                                         {"stdout", no_argument, NULL, CLI_DEST_STDOUT},
                                         {"to-topic", required_argument, NULL, CLI_DEST_TOPIC},
                                         {"mode", required_argument, NULL, CLI_DEST_MODE},
                                         {"key", required_argument, NULL, CLI_DEST_KEY},
                                         {"attr-headers", no_argument, NULL, CLI_DEST_ATTRH},
                                         {"header", required_argument, NULL, CLI_DEST_HEADER},
                                         {"batch-size", required_argument, NULL, CLI_DEST_BATCH},
                                         {"partitions", required_argument, NULL, CLI_DEST_PARTS},
                                         {"fsync", required_argument, NULL, CLI_DEST_FSYNC},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static replay rp;
    memset(&rp, 0, sizeof rp);
    rp.d.cmd = "replay";
    rp.since_ms = rp.until_ms = -1;
    rp.count = -1;
    rp.timeout_ms = 60000;
    static const char *from_props[MAX_PROPS + 1];
    int nfrom = 0, quiet = 0;
    const char *offsets = NULL;
    char err[1024], *end;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "X:qh", opts, NULL)) != -1) {
        switch (c) {
        case O_FROM_KAFKA:
            rp.sc.brokers = optarg;
            break;
        case O_FROM_LOG:
            rp.sc.log_dir = optarg;
            break;
        case O_FROM_X:
            if (nfrom == MAX_PROPS)
                return usage_err("%s", "too many --from-X options");
            from_props[nfrom++] = optarg;
            break;
        case O_SRC_TOPIC:
            rp.sc.topic = optarg;
            break;
        case O_OFFSETS:
            offsets = optarg;
            break;
        case O_SINCE:
            if (parse_time("--since", optarg, &rp.since_ms))
                return CLI_USAGE;
            break;
        case O_UNTIL:
            if (parse_time("--until", optarg, &rp.until_ms))
                return CLI_USAGE;
            break;
        case O_TSRC:
            if (strcmp(optarg, "event") == 0)
                rp.event_time = 1;
            else if (strcmp(optarg, "broker") != 0)
                return usage_err("--time-source: broker or event, not '%s'", optarg);
            break;
        case O_COUNT:
            rp.count = strtoll(optarg, &end, 10);
            if (*end || rp.count < 1)
                return usage_err("--count: not a positive number: '%s'", optarg);
            break;
        case O_GROUP:
            rp.sc.group = optarg;
            break;
        case O_FILTER:
            ce_sql_prog_destroy(rp.filter);
            rp.filter = NULL;
            if (ce_sql_compile(optarg, strlen(optarg), &rp.filter, err, sizeof err) != 0) {
                fprintf(stderr, "cerelay replay: --filter: %s\n", err);
                return CLI_USAGE;
            }
            break;
        case O_RATE:
            rp.rate = strtod(optarg, &end);
            if (*end || !(rp.rate > 0) || rp.rate > 1e9) {
                ce_sql_prog_destroy(rp.filter);
                return usage_err("--rate: not a positive number of events per second: '%s'",
                                 optarg);
            }
            break;
        case O_TIMEOUT: {
            long t = strtol(optarg, &end, 10);
            if (*end || t < 1 || t > 86400) {
                ce_sql_prog_destroy(rp.filter);
                return usage_err("--timeout: seconds from 1 to 86400, not '%s'", optarg);
            }
            rp.timeout_ms = (int)(t * 1000);
            break;
        }
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(help, stdout);
            ce_sql_prog_destroy(rp.filter);
            return CLI_OK;
        default: {
            int h = cli_dest_option(&rp.d, c, optarg);
            if (h > 0)
                break;
            ce_sql_prog_destroy(rp.filter);
            if (h == 0)
                fputs(help, stderr);
            return CLI_USAGE;
        }
        }
    }
    int status = CLI_USAGE;
    if (optind < argc) {
        usage_err("unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!!rp.sc.brokers + !!rp.sc.log_dir != 1 || !rp.sc.topic) {
        usage_err("%s", "give one of --from-kafka or --from-log, and --topic");
        goto out;
    }
    if (nfrom && !rp.sc.brokers) {
        usage_err("%s", "--from-X applies to --from-kafka only");
        goto out;
    }
    if (rp.since_ms >= 0 && rp.until_ms >= 0 && rp.until_ms <= rp.since_ms) {
        usage_err("%s", "--until must be later than --since");
        goto out;
    }
    if (cli_dest_finish(&rp.d) != 0)
        goto out;
    if (!rp.d.conf.topic)
        rp.d.conf.topic = rp.sc.topic;
    if (rp.d.ops == &cer_sink_kafka &&
        (rp.d.mode || rp.d.conf.key || rp.d.conf.attr_headers || strchr(rp.d.conf.topic, '{'))) {
        usage_err("%s", "--kafka copies records as they are: --mode, --key, --attr-headers and "
                        "topic templates apply to the other destinations");
        goto out;
    }
    from_props[nfrom] = NULL;
    rp.sc.props = from_props;
    rp.sc.manual = 1;
    rp.sops = rp.sc.brokers ? &src_kafka : &src_log;
    if (rp.sops->open(&rp.s, &rp.sc, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay replay: %s\n", err);
        goto out;
    }
    rp.nparts = rp.sops->partitions(rp.s);
    rp.starts = calloc((size_t)rp.nparts, sizeof *rp.starts);
    rp.ends = calloc((size_t)rp.nparts, sizeof *rp.ends);
    rp.next = calloc((size_t)rp.nparts, sizeof *rp.next);
    if (!rp.starts || !rp.ends || !rp.next)
        goto out;
    for (int32_t p = 0; p < rp.nparts; p++)
        rp.next[p] = -1;
    /* The destination first: a transactional producer fences an earlier run (and aborts its
     * open transaction) before the group's committed offsets are read. */
    g_rp = &rp;
    if (rp.d.ops == &cer_sink_kafka) {
        char txn_id[300];
        int txn = rp.sc.group && rp.sc.brokers && strcmp(rp.sc.brokers, rp.d.conf.brokers) == 0;
        snprintf(txn_id, sizeof txn_id, "cerelay-replay-%s", rp.sc.group ? rp.sc.group : "");
        if (rk_dest_open(&rp.rk, rp.d.conf.brokers, rp.d.props, rp.d.conf.topic, rp.nparts,
                         txn ? txn_id : NULL, err, sizeof err) != 0) {
            fprintf(stderr, "cerelay replay: %s\n", err);
            goto out;
        }
    } else {
        if (rp.d.ops == &cer_sink_log && !rp.d.conf.log_partitions)
            rp.d.conf.log_partitions = rp.nparts;
        rp.d.conf.on_delivery = on_delivery;
        rp.sink.ops = rp.d.ops;
        if (rp.d.ops->open(&rp.sink.s, &rp.d.conf, err, sizeof err) != 0) {
            fprintf(stderr, "cerelay replay: %s\n", err);
            goto out;
        }
    }
    err[0] = 0;
    if (plan(&rp, offsets, err, sizeof err) != CLI_OK) {
        if (err[0]) /* parse_offsets printed its own */
            fprintf(stderr, "cerelay replay: %s\n", err);
        goto out;
    }
    if (rp.sops->start(rp.s, rp.starts, rp.ends, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay replay: %s\n", err);
        goto out;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    status = run(&rp, quiet);
out:
    if (rp.sink.s)
        rp.sink.ops->close(rp.sink.s);
    rk_dest_close(rp.rk);
    if (rp.s)
        rp.sops->close(rp.s);
    free(rp.starts);
    free(rp.ends);
    free(rp.next);
    ce_sql_prog_destroy(rp.filter);
    return status;
}
