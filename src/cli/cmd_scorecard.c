/* cerelay scorecard: seed 001's "production-shaped exercise" against a Kafka-compatible
 * cluster as one command. Produces `gen --profile llm` traffic with bursts through the emitter,
 * runs four consumer groups, operations under load, a replay into a new group and a second
 * client's read-back, then grades every check green/yellow/red (scorecard_report.c). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cerelay/catalog.h"
#include "cerelay/emitter.h"
#include "cli/cli.h"
#include "cli/scorecard_run.h"

static const char help[] =
    "usage: cerelay scorecard --kafka BROKERS [-X NAME=VALUE ...] [--duration S] [--rate R]\n"
    "                         [--burst SPEC] [--thresholds FILE.yaml] [--json FILE]\n"
    "                         [--html FILE] [--keep] [--topic-prefix P] [--partitions N]\n"
    "                         [--ops LIST] [--broker-restart-cmd CMD] [--stall-group NAME]\n"
    "\n"
    "The readiness scorecard (docs/scorecard.md): a small production-shaped exercise against a\n"
    "Kafka-compatible cluster, graded green / yellow / red per check.\n"
    "\n"
    "  1. creates PREFIX-events (--partitions, replication min(3, brokers)) and a dev topic;\n"
    "  2. produces `gen --profile llm` traffic at --rate with --burst through the emitter\n"
    "     (binary mode, acks=all, idempotent), each event numbered by an `scseq` extension;\n"
    "  3. meanwhile four consumer groups read it: alerting (tails, must stay fresh), evaluation,\n"
    "     audit (reads everything) and throttled (at a quarter of --rate, lags by design);\n"
    "  4. operations under load (--ops): retention (AlterConfigs retention.ms=30 days, read\n"
    "     back with DescribeConfigs), partitions (CreatePartitions +2 half-way, per-key order\n"
    "     checked), broker-restart (runs --broker-restart-cmd a third of the way in), scram\n"
    "     (at 40%: runs --scram-rotate-cmd, then a new client must get in with the new\n"
    "     password and not with the old one; cerelay cannot rotate by itself: librdkafka 2.0\n"
    "     has no AlterUserScramCredentials);\n"
    "  5. after production, replays the whole window into a new group `replay`, copying it to\n"
    "     PREFIX-dev with the replay destination, and checks every id once;\n"
    "  6. client compatibility: 100 events in structured mode, then both topics are read back\n"
    "     by a second client (Python confluent_kafka when importable, else librdkafka) and\n"
    "     decoded by cerelay's Kafka binding.\n"
    "\n"
    "checks (thresholds: green / yellow, configurable):\n"
    "  produce ack latency p50/p99            produce_ack_p99_ms           500 / 2000 ms\n"
    "  freshness alerting steady p50/p99      alerting_freshness_p99_ms    1000 / 5000 ms\n"
    "  freshness alerting during bursts       alerting_burst_freshness_p99_ms  3000 / 10000\n"
    "  freshness evaluation / audit           evaluation_freshness_p99_ms  2000 / 10000 ms,\n"
    "                                         audit_freshness_p99_ms       5000 / 30000 ms\n"
    "  lag recovery after a burst (alerting)  lag_recovery_s               5 / 15 s\n"
    "  replay throughput                      replay_events_per_s          >= 1000 / >= 200\n"
    "  replay exactness, losses               every acknowledged id once: else red\n"
    "  duplicates                             duplicate_ratio              0 / 0.001\n"
    "  broker restart recovery                broker_restart_recovery_s    15 / 60 s\n"
    "  client compatibility, retention, partitions (order per key), throttled consumer\n"
    "\n"
    "options:\n"
    "  --kafka BROKERS      bootstrap servers (required)\n"
    "  -X NAME=VALUE        librdkafka property for every client (security.protocol, ...)\n"
    "  --duration S         production time (default 30s; s, ms, m suffixes)\n"
    "  --rate R             events per second (default 100)\n"
    "  --burst SPEC         MULTx@PERIOD[/LENGTH] as in `cerelay gen` (default 5x@10s/2s;\n"
    "                       'none': no bursts)\n"
    "  --thresholds FILE    YAML: `name: {green: N, yellow: N}` or `name: N` (green only)\n"
    "  --json FILE          the scorecard as JSON (docs/schemas/scorecard.schema.json)\n"
    "  --html FILE          a self-contained page with latency and freshness charts\n"
    "                       (Chart.js from --chartjs, default\n"
    "                       /usr/share/javascript/chart.js/chart.min.js, embedded)\n"
    "  --keep               keep the topics (default: deleted at the end)\n"
    "  --topic-prefix P     topic and group prefix (default scorecard-<unix time>-<pid>)\n"
    "  --partitions N       partitions of the events topic (default 3)\n"
    "  --ops LIST           comma-separated: retention, partitions, broker-restart, scram,\n"
    "                       none (default retention,partitions; broker-restart and scram are\n"
    "                       added when their command is given)\n"
    "  --broker-restart-cmd CMD   shell command that stops one broker and starts it again,\n"
    "                       e.g. 'scripts/kafka.sh cluster-stop-broker 2; sleep 5;\n"
    "                       scripts/kafka.sh cluster-start-broker 2'\n"
    "  --scram-rotate-cmd CMD  shell command that changes the SCRAM password of the user of\n"
    "                       -X sasl.username to --scram-new-password (it gets both in\n"
    "                       CER_SCORECARD_SCRAM_USER, CER_SCORECARD_SCRAM_NEW_PASSWORD), e.g.\n"
    "                       kafka-configs.sh --alter --entity-type users ... (adds scram to\n"
    "                       --ops when --ops is not given)\n"
    "  --scram-new-password P  the password after the rotation\n"
    "  --stall-group NAME   test hook: that group stops consuming from 20% of the run until\n"
    "                       production ends (its freshness row turns red)\n"
    "  --no-color           plain table even on a terminal\n"
    "\n"
    "Overall verdict (seed 001): green: clients work, lag within objective, replay\n"
    "predictable; yellow: one or two checks need runbook work; red: any red check (stale\n"
    "freshness, acknowledged losses, replay not exact) or three or more yellow.\n"
    "\n"
    "Exit status: 0 green, 1 yellow, 2 red, 3 could not run (usage, unreachable cluster).\n";

/* ---------------------------------------------------------------------- the command --- */

static int usage_err(const char *msg, const char *arg)
{
    fprintf(stderr, "cerelay scorecard: %s%s%s\n(see 'cerelay scorecard --help')\n", msg,
            arg ? ": " : "", arg ? arg : "");
    return SC_EXIT_NORUN;
}

static int parse_ops(opts *o, const char *list)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    o->op_retention = o->op_partitions = o->op_restart = o->op_scram = 0;
    for (char *s = strtok(buf, ","); s; s = strtok(NULL, ",")) {
        if (strcmp(s, "retention") == 0)
            o->op_retention = 1;
        else if (strcmp(s, "partitions") == 0)
            o->op_partitions = 1;
        else if (strcmp(s, "broker-restart") == 0)
            o->op_restart = 1;
        else if (strcmp(s, "scram") == 0)
            o->op_scram = 1;
        else if (strcmp(s, "none") != 0)
            return -1;
    }
    return 0;
}

int cmd_scorecard(int argc, char **argv)
{
    enum {
        O_KAFKA = 256,
        O_DURATION,
        O_RATE,
        O_BURST,
        O_THRESH,
        O_JSON,
        O_HTML,
        O_KEEP,
        O_PREFIX,
        O_PARTS,
        O_OPS,
        O_RESTART,
        O_STALL,
        O_NOCOLOR,
        O_CHARTJS,
        O_SCRAM_CMD,
        O_SCRAM_NEW
    };
    static const struct option lopts[] = {
        {"kafka", required_argument, NULL, O_KAFKA},
        {"duration", required_argument, NULL, O_DURATION},
        {"rate", required_argument, NULL, O_RATE},
        {"burst", required_argument, NULL, O_BURST},
        {"thresholds", required_argument, NULL, O_THRESH},
        {"json", required_argument, NULL, O_JSON},
        {"html", required_argument, NULL, O_HTML},
        {"keep", no_argument, NULL, O_KEEP},
        {"topic-prefix", required_argument, NULL, O_PREFIX},
        {"partitions", required_argument, NULL, O_PARTS},
        {"ops", required_argument, NULL, O_OPS},
        {"broker-restart-cmd", required_argument, NULL, O_RESTART},
        {"stall-group", required_argument, NULL, O_STALL},
        {"scram-rotate-cmd", required_argument, NULL, O_SCRAM_CMD},
        {"scram-new-password", required_argument, NULL, O_SCRAM_NEW},
        {"no-color", no_argument, NULL, O_NOCOLOR},
        {"chartjs", required_argument, NULL, O_CHARTJS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static opts o;
    memset(&o, 0, sizeof o);
    o.duration = 30;
    o.rate = 100;
    o.partitions = 3;
    o.burst_spec = "5x@10s/2s";
    o.op_retention = o.op_partitions = 1;
    o.color = isatty(1);
    o.chartjs = "/usr/share/javascript/chart.js/chart.min.js";
    const char *ops_list = NULL;
    char *end;
    const char *pend;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "X:h", lopts, NULL)) != -1) {
        switch (c) {
        case O_KAFKA:
            o.brokers = optarg;
            break;
        case 'X':
            if (!strchr(optarg, '=') || o.nprops == 63)
                return usage_err("-X: expected NAME=VALUE", optarg);
            o.props[o.nprops++] = optarg;
            break;
        case O_DURATION:
            o.duration = cli_parse_seconds(optarg, &pend);
            if (!(o.duration > 0) || *pend || o.duration > 3600)
                return usage_err("--duration: not a duration from 1 ms to 1 h", optarg);
            break;
        case O_RATE:
            o.rate = strtod(optarg, &end);
            if (*end || !(o.rate > 0) || o.rate > 1e6)
                return usage_err("--rate: not a positive number of events per second", optarg);
            break;
        case O_BURST:
            o.burst_spec = strcmp(optarg, "none") == 0 ? NULL : optarg;
            break;
        case O_THRESH:
            o.thresholds = optarg;
            break;
        case O_JSON:
            o.json = optarg;
            break;
        case O_HTML:
            o.html = optarg;
            break;
        case O_KEEP:
            o.keep = 1;
            break;
        case O_PREFIX:
            o.prefix = optarg;
            break;
        case O_PARTS:
            o.partitions = (int)strtol(optarg, &end, 10);
            if (*end || o.partitions < 1 || o.partitions > 1000)
                return usage_err("--partitions: not a number from 1 to 1000", optarg);
            break;
        case O_OPS:
            ops_list = optarg;
            break;
        case O_RESTART:
            o.restart_cmd = optarg;
            break;
        case O_STALL:
            o.stall = optarg;
            break;
        case O_SCRAM_CMD:
            o.scram_cmd = optarg;
            break;
        case O_SCRAM_NEW:
            o.scram_new = optarg;
            break;
        case O_NOCOLOR:
            o.color = 0;
            break;
        case O_CHARTJS:
            o.chartjs = optarg;
            break;
        case 'h':
            fputs(help, stdout);
            return 0;
        default:
            fputs(help, stderr);
            return SC_EXIT_NORUN;
        }
    }
    if (optind < argc)
        return usage_err("unexpected argument", argv[optind]);
    if (!o.brokers)
        return usage_err("--kafka BROKERS is required", NULL);
    if (ops_list && parse_ops(&o, ops_list) != 0)
        return usage_err("--ops: expected a list of retention, partitions, broker-restart, scram, "
                         "none",
                         ops_list);
    if (o.restart_cmd && !ops_list)
        o.op_restart = 1;
    if (o.op_restart && !o.restart_cmd)
        return usage_err("--ops broker-restart needs --broker-restart-cmd CMD", NULL);
    if (o.scram_cmd && !ops_list)
        o.op_scram = 1;
    if (o.op_scram) {
        o.scram_pw_index = -1;
        for (int i = 0; i < o.nprops; i++) {
            if (strncmp(o.props[i], "sasl.password=", 14) == 0)
                o.scram_pw_index = i;
            if (strncmp(o.props[i], "sasl.username=", 14) == 0)
                o.scram_user = o.props[i] + 14;
        }
        if (!o.scram_cmd || !o.scram_new || o.scram_pw_index < 0 || !o.scram_user)
            return usage_err("--ops scram needs --scram-rotate-cmd CMD, --scram-new-password P "
                             "and -X sasl.username=U -X sasl.password=OLD",
                             NULL);
        if (strchr(o.scram_new, '\'') || strchr(o.scram_user, '\''))
            return usage_err("--scram-new-password and sasl.username: no single quotes", NULL);
        snprintf(o.scram_new_prop, sizeof o.scram_new_prop, "sasl.password=%s", o.scram_new);
    }
    if (o.stall && strcmp(o.stall, "alerting") && strcmp(o.stall, "evaluation") &&
        strcmp(o.stall, "audit") && strcmp(o.stall, "throttled"))
        return usage_err("--stall-group: expected alerting, evaluation, audit or throttled",
                         o.stall);
    sc_thresholds_default(&o.th);
    char err[512];
    if (o.thresholds) {
        char *buf;
        size_t len;
        if (cli_read_all(o.thresholds, 1 << 20, &buf, &len) != 0)
            return SC_EXIT_NORUN;
        int rc = sc_thresholds_parse(&o.th, buf, len, err, sizeof err);
        free(buf);
        if (rc != 0) {
            fprintf(stderr, "cerelay scorecard: %s:%s\n", o.thresholds, err);
            return SC_EXIT_NORUN;
        }
    }
    o.b = (burst){1, 0, 0};
    if (o.burst_spec && cli_burst_parse(o.burst_spec, &o.b) != 0)
        return usage_err("--burst: expected MULTx@PERIOD[/LENGTH] with LENGTH < PERIOD",
                         o.burst_spec);
    return sc_run(&o);
}
