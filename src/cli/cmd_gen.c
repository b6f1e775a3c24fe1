/* cerelay gen: production-shaped, seeded traffic over every catalog type (the generator lives
 * in the catalog library), rate-limited by a token bucket with optional bursts, delivered to
 * the same destinations as `cerelay send` through the sinks of src/sink. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/catalog.h"
#include "cerelay/err.h"
#include "cli/burst.h"
#include "cli/cli.h"
#include "cli/dest.h"
#include "sink/sink.h"

static const char help[] =
    "usage: cerelay gen DESTINATION [--profile llm] [--tenants N] [--rate R]\n"
    "                   [--count N | --duration S] [--burst SPEC] [--seed S] [OPTIONS]\n"
    "\n"
    "Generate realistic AI telemetry over all fifteen catalog types (mostly usage; cache hits,\n"
    "embeddings, policy and auth decisions; occasional failures, outages and budget breaches),\n"
    "skewed across tenants (Zipf) and models, with large prompt-metadata extensions and error\n"
    "payloads. Every event validates against the catalog (docs/catalog.md, 'cerelay gen').\n"
    "Progress goes to standard error once a second, then\n"
    "  sent N, delivered N, failed M in S s (R ev/s)\n"
    "\n"
    "traffic:\n"
    "  --profile NAME     traffic profile (only: llm)\n"
    "  --tenants N        distinct tenants, 1..100000 (default 50)\n"
    "  --rate R           events per second, token bucket (default 100; 0 = unlimited)\n"
    "  --count N          stop after N events (default 1000 unless --duration)\n"
    "  --duration S       stop after S seconds (s, ms or m suffix allowed)\n"
    "  --burst SPEC       MULTx@PERIOD[/LENGTH]: rate x MULT for LENGTH (default 1s) every\n"
    "                     PERIOD, e.g. 5x@10s or 3x@1m/5s; the first burst starts at PERIOD\n"
    "  --seed S           reproducible output: the same seed gives the same events, ids and\n"
    "                     times (times follow a virtual clock from --start advancing 1/rate\n"
    "                     per event). Without it a random seed is used and printed, ids are\n"
    "                     fresh UUIDv7s and times are the wall clock\n"
    "  --start RFC3339    first virtual time with --seed (default 2026-01-01T00:00:00Z)\n"
    "  -q, --quiet        no progress and no summary on success\n"
    "\n"
    "destinations (exactly one) and their options, as in 'cerelay send':\n"
    "  --kafka BROKERS | --http URL | --log DIR | --stdout\n"
    "  --topic TEMPLATE   default '{type}': one topic per type\n"
    "  --mode MODE  --key TEMPLATE  --attr-headers  -X NAME=VALUE  --header 'N: V'\n"
    "               --kafka-header 'N: TEMPLATE'\n"
    "  --batch-size N  --partitions N  --fsync POLICY  --timeout SECONDS\n"
    "\n"
    "Exit status: 0 all delivered, 1 any not delivered, 2 usage error.\n";

enum { MAX_REPEAT = 256, MAX_REASONS = 3 };

typedef struct gen_state {
    cer_sink_handle sink;
    size_t sent, delivered, failed;
    char reasons[MAX_REASONS][256];
    size_t reason_count[MAX_REASONS];
    int nreasons;
} gen_state;

static gen_state *g_state; /* the delivery callback's context */
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void note_failure(gen_state *st, const char *reason)
{
    st->failed++;
    for (int i = 0; i < st->nreasons; i++)
        if (strcmp(st->reasons[i], reason) == 0) {
            st->reason_count[i]++;
            return;
        }
    if (st->nreasons < MAX_REASONS) {
        snprintf(st->reasons[st->nreasons], sizeof st->reasons[0], "%s", reason);
        st->reason_count[st->nreasons++] = 1;
    }
}

static void on_delivery(void *opaque, int err, const char *reason)
{
    if (err == 0)
        g_state->delivered++;
    else
        note_failure(g_state, reason ? reason : cer_strerror(err));
}

static void submit(gen_state *st, const ce_event *ev)
{
    char err[512];
    st->sent++;
    for (;;) {
        int rc = st->sink.ops->submit(st->sink.s, ev, NULL, err, sizeof err);
        if (rc == CER_SINK_EQUEUE) { /* push back: serve deliveries, then retry */
            st->sink.ops->poll(st->sink.s, 100);
            continue;
        }
        if (rc)
            note_failure(st, err);
        break;
    }
    st->sink.ops->poll(st->sink.s, 0);
}

static int usage_err(const char *fmt, const char *arg)
{
    fprintf(stderr, "cerelay gen: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'cerelay gen --help')\n");
    return CLI_USAGE;
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !g_stop)
        ;
}

static void progress(const gen_state *st, double secs, size_t window, double wsecs)
{
    fprintf(stderr, "gen: %.0f s: sent %zu, delivered %zu, failed %zu (%.0f ev/s)\n", secs,
            st->sent, st->delivered, st->failed, wsecs > 0 ? (double)window / wsecs : 0.0);
}

typedef struct gen_opts {
    const char *profile, *start, *burst_spec;
    uint32_t tenants;
    double rate, duration;
    long long count;
    uint64_t seed;
    int have_seed, quiet;
    long timeout_s;
} gen_opts;

/* The generation loop: token bucket on the monotonic clock, virtual or wall-clock times. */
static int run(gen_state *st, cer_catalog_gen *g, const gen_opts *o, const cli_burst *b,
               int64_t vstart_ns)
{
    int64_t t0 = cer_mono_ns(), last = t0, next_progress = t0 + 1000000000;
    size_t window_start = 0;
    int64_t window_t = t0, vt = vstart_ns;
    double tokens = 1;
    char err[512];
    int status = CLI_OK;
    while (!g_stop && (o->count < 0 || (long long)st->sent < o->count)) {
        int64_t now = cer_mono_ns();
        double elapsed = (double)(now - t0) / 1e9;
        if (o->duration > 0 && elapsed >= o->duration)
            break;
        if (now >= next_progress && !o->quiet) {
            progress(st, elapsed, st->sent - window_start, (double)(now - window_t) / 1e9);
            window_start = st->sent;
            window_t = now;
            next_progress += 1000000000;
        }
        if (o->rate > 0) {
            double r = cli_burst_rate(o->rate, b, elapsed), cap = r / 20 > 1 ? r / 20 : 1;
            tokens += (double)(now - last) / 1e9 * r;
            if (tokens > cap)
                tokens = cap;
            last = now;
            if (tokens < 1) { /* wait for the next token, serving deliveries meanwhile */
                int64_t wait = (int64_t)((1 - tokens) / r * 1e9) + 1;
                if (wait >= 2000000) /* Kafka and HTTP serve deliveries while waiting */
                    st->sink.ops->poll(st->sink.s, (int)(wait / 1000000) - 1);
                int64_t left = wait - (cer_mono_ns() - now);
                if (left > 0) /* sinks whose poll does not wait (stdout, log) */
                    sleep_ns(left);
                continue;
            }
            tokens -= 1;
        }
        int64_t stamp;
        if (o->have_seed) {
            stamp = vt;
            double vr =
                o->rate > 0 ? cli_burst_rate(o->rate, b, (double)(vt - vstart_ns) / 1e9) : 1000;
            vt += (int64_t)(1e9 / vr);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            stamp = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        }
        ce_event *ev = NULL;
        if (cer_catalog_gen_next(g, stamp, &ev, err, sizeof err) != 0) {
            fprintf(stderr, "cerelay gen: %s\n", err);
            status = CLI_INVALID;
            break;
        }
        submit(st, ev);
        ce_event_destroy(ev);
    }
    return status;
}

int cmd_gen(int argc, char **argv)
{
    enum {
        O_TIMEOUT = 256,
        O_PROFILE,
        O_TENANTS,
        O_RATE,
        O_COUNT,
        O_DURATION,
        O_BURST,
        O_SEED,
        O_START
    };
    static const struct option opts[] = {CLI_DEST_OPTIONS,
                                         {"timeout", required_argument, NULL, O_TIMEOUT},
                                         {"profile", required_argument, NULL, O_PROFILE},
                                         {"tenants", required_argument, NULL, O_TENANTS},
                                         {"rate", required_argument, NULL, O_RATE},
                                         {"count", required_argument, NULL, O_COUNT},
                                         {"duration", required_argument, NULL, O_DURATION},
                                         {"burst", required_argument, NULL, O_BURST},
                                         {"seed", required_argument, NULL, O_SEED},
                                         {"start", required_argument, NULL, O_START},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static cli_dest d;
    memset(&d, 0, sizeof d);
    d.cmd = "gen";
    gen_opts o = {"llm", NULL, NULL, 50, 100, 0, -1, 0, 0, 0, 60};
    char *end;
    const char *pend;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "X:qh", opts, NULL)) != -1) {
        switch (c) {
        case O_TIMEOUT:
            o.timeout_s = strtol(optarg, &end, 10);
            if (*end || o.timeout_s < 0)
                return usage_err("--timeout: not a number of seconds: '%s'", optarg);
            break;
        case O_PROFILE:
            o.profile = optarg;
            break;
        case O_TENANTS: {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v < 1 || v > 100000 || optarg[0] == '-')
                return usage_err("--tenants: not a number from 1 to 100000: '%s'", optarg);
            o.tenants = (uint32_t)v;
            break;
        }
        case O_RATE:
            o.rate = strtod(optarg, &end);
            if (*end || !(o.rate >= 0) || !isfinite(o.rate))
                return usage_err("--rate: not a number of events per second: '%s'", optarg);
            break;
        case O_COUNT:
            o.count = strtoll(optarg, &end, 10);
            if (*end || o.count < 1)
                return usage_err("--count: not a positive number: '%s'", optarg);
            break;
        case O_DURATION:
            o.duration = cli_parse_seconds(optarg, &pend);
            if (o.duration <= 0 || *pend)
                return usage_err("--duration: not a duration such as 30, 30s or 2m: '%s'", optarg);
            break;
        case O_BURST:
            o.burst_spec = optarg;
            break;
        case O_SEED:
            errno = 0;
            o.seed = strtoull(optarg, &end, 0);
            if (*end || errno || optarg[0] == '-')
                return usage_err("--seed: not a non-negative integer: '%s'", optarg);
            o.have_seed = 1;
            break;
        case O_START:
            o.start = optarg;
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'h':
            fputs(help, stdout);
            return CLI_OK;
        default: {
            int h = cli_dest_option(&d, c, optarg);
            if (h < 0)
                return CLI_USAGE;
            if (h > 0)
                break;
            fputs(help, stderr);
            return CLI_USAGE;
        }
        }
    }
    if (optind < argc)
        return usage_err("unexpected argument '%s'", argv[optind]);
    if (cli_dest_finish(&d) != 0)
        return CLI_USAGE;
    if (o.count > 0 && o.duration > 0)
        return usage_err("%s", "give --count or --duration, not both");
    if (o.count < 0 && o.duration <= 0)
        o.count = 1000;
    cli_burst b = {1, 0, 0};
    if (o.burst_spec && cli_burst_parse(o.burst_spec, &b) != 0)
        return usage_err("--burst: expected MULTx@PERIOD[/LENGTH] with LENGTH < PERIOD, e.g. "
                         "5x@10s: '%s'",
                         o.burst_spec);
    if (o.start && !o.have_seed)
        return usage_err("%s", "--start needs --seed (without it times are the wall clock)");
    int64_t vstart = 1767225600000000000LL; /* 2026-01-01T00:00:00Z */
    if (o.start && ce_timestamp_parse(o.start, strlen(o.start), &vstart) != 0)
        return usage_err("--start: not an RFC 3339 time: '%s'", o.start);
    if (!d.conf.topic)
        d.conf.topic = "{type}";
    if (!o.have_seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        o.seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^ (uint64_t)ts.tv_nsec ^
                 ((uint64_t)getpid() << 32);
        if (!o.quiet)
            fprintf(stderr, "gen: seed %llu\n", (unsigned long long)o.seed);
    }
    char err[512];
    cer_catalog_gen_conf gconf = {o.profile, o.tenants, o.seed, o.have_seed};
    cer_catalog_gen *g = NULL;
    if (cer_catalog_gen_new(&g, &gconf, err, sizeof err) != 0)
        return usage_err("%s", err);
    d.conf.on_delivery = on_delivery;
    static gen_state st;
    memset(&st, 0, sizeof st);
    g_state = &st;
    st.sink.ops = d.ops;
    if (d.ops->open(&st.sink.s, &d.conf, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay gen: %s\n", err);
        cer_catalog_gen_destroy(g);
        return CLI_USAGE;
    }
    g_stop = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int64_t t0 = cer_mono_ns();
    int status = run(&st, g, &o, &b, vstart);
    if (d.ops->flush(st.sink.s, (int)(o.timeout_s * 1000)) != 0)
        fprintf(stderr, "cerelay gen: timed out after %ld s waiting for acknowledgements\n",
                o.timeout_s);
    d.ops->close(st.sink.s);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    double secs = (double)(cer_mono_ns() - t0) / 1e9;
    cer_catalog_gen_destroy(g);
    size_t unacked = st.sent - st.delivered - st.failed;
    st.failed += unacked; /* never report an unacknowledged event as delivered */
    if (!o.quiet || st.failed)
        fprintf(stderr, "sent %zu, delivered %zu, failed %zu in %.3f s (%.0f ev/s)\n", st.sent,
                st.delivered, st.failed, secs, secs > 0 ? (double)st.delivered / secs : 0.0);
    for (int i = 0; i < st.nreasons; i++)
        fprintf(stderr, "  failed: %s (x%zu)\n", st.reasons[i], st.reason_count[i]);
    if (status == CLI_OK && st.failed)
        status = CLI_INVALID;
    return status;
}
