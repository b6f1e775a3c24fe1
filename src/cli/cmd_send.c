/* cerelay send: build events from flags (or read them from a file) and deliver them to Kafka,
 * an HTTP endpoint, the local log or stdout, waiting for every delivery report. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cerelay/err.h"
#include "cli/cli.h"
#include "cli/dest.h"
#include "cli/evin.h"
#include "sink/sink.h"

static const char help[] =
    "usage: cerelay send DESTINATION [OPTIONS] (EVENT FLAGS | --file FILE|-)\n"
    "\n"
    "Deliver CloudEvents and wait for every acknowledgement. Prints\n"
    "  sent N, delivered N, failed M in S s (R ev/s)\n"
    "to standard error (never anything on standard output, except events with --stdout).\n"
    "\n"
    "destinations (exactly one):\n"
    "  --kafka BROKERS      Kafka bootstrap servers (host:port,...); needs --topic\n"
    "  --http URL           POST to an HTTP endpoint (CloudEvents HTTP binding)\n"
    "  --log DIR            append to cerelay's local log in DIR; needs --topic\n"
    "  --stdout             print each event as one line of structured JSON\n"
    "\n"
    "destination options:\n"
    "  --topic TEMPLATE     topic name, or a template such as '{type}' (one topic per type)\n"
    "  --mode MODE          kafka: binary (default) | structured\n"
    "                       http: structured (default) | binary | batch\n"
    "  --attr-headers       kafka structured mode: also send every attribute as a ce_\n"
    "                       header, so consumers can route on ce_type (seed 002's consumer)\n"
    "  --key TEMPLATE       Kafka record key, e.g. '{tenantid}'; default: the partitionkey\n"
    "                       extension, else the subject, else no key\n"
    "  -X NAME=VALUE        librdkafka property (repeatable), e.g. -X security.protocol=SSL\n"
    "  --header 'N: V'      extra HTTP header (repeatable); ${VAR} takes the environment\n"
    "  --kafka-header 'N: T'  Kafka record header (repeatable, both modes): T is a template\n"
    "                       as for --key ('{tenantid}'; '{{' for a literal brace); left out\n"
    "                       when the event lacks the attribute\n"
    "  --batch-size N       http batch mode: events per request (default 50)\n"
    "  --partitions N       log: partitions when the topic is created (default 1)\n"
    "  --fsync POLICY       log: always (default) | interval | never\n"
    "  --timeout SECONDS    how long to wait for acknowledgements at the end (default 60)\n"
    "  --linger MS          --file: send what was read once the oldest unsent event is MS\n"
    "                       old and no more input is ready (default 10; also librdkafka's\n"
    "                       linger.ms when given with --kafka); batches also go when full\n"
    "\n"
    "event flags (one event, repeated by --count):\n"
    "  --type TYPE --source URI-REF   required\n"
    "  --id ID              default: a fresh UUIDv7 per event\n"
    "  --time RFC3339       default: now\n"
    "  --subject S  --dataschema URI  --datacontenttype MEDIA-TYPE\n"
    "  --data JSON|@FILE    the data; JSON unless --datacontenttype says otherwise\n"
    "                       (--data alone implies application/json)\n"
    "  --ext NAME=VALUE     a String extension attribute (repeatable)\n"
    "  --count N            send N copies, each with a fresh id (and time)\n"
    "  --file FILE|-        instead of event flags: NDJSON, a batch array, one event, or\n"
    "                       pretty-printed events, read as a stream of any size; with '-'\n"
    "                       each event goes as soon as its line arrives (tail -F app.ndjson |\n"
    "                       cerelay send --file - ...), and at the end of the input every\n"
    "                       acknowledgement is still awaited\n"
    "  -q, --quiet          no summary line on success\n"
    "\n"
    "With --file, progress is shown on standard error once a second when it is a terminal,\n"
    "and SIGINT (Ctrl-C) or SIGTERM stops the reading: what was read is still delivered and\n"
    "awaited (a second signal stops at once).\n"
    "\n"
    "exit status:\n"
    "  0  every event delivered\n"
    "  1  an event not delivered or not valid (the first reasons are named)\n"
    "  2  usage error, or the file, the data file or the destination cannot be opened\n";

enum { MAX_REPEAT = 256, MAX_REASONS = 3 };

typedef struct send_state {
    cer_sink_handle sink;
    size_t sent, delivered, failed;
    char reasons[MAX_REASONS][256];
    size_t reason_count[MAX_REASONS];
    int nreasons;
} send_state;

static void note_failure(send_state *st, const char *reason)
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

static send_state *g_cb_state; /* the delivery callback's context (opaque is per event) */

/* SIGINT/SIGTERM while reading --file: stop reading, then deliver what was read as at the end
 * of the input. A second signal kills at once (SA_RESETHAND). */
static volatile sig_atomic_t g_stop;
static void on_stop_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void on_delivery(void *opaque, int err, const char *reason)
{
    send_state *st = g_cb_state;
    if (err == 0)
        st->delivered++;
    else
        note_failure(st, reason ? reason : cer_strerror(err));
}

/* Submit one event, pushing back on a full queue by serving deliveries. */
static void submit(send_state *st, const ce_event *ev)
{
    char err[512];
    st->sent++;
    for (;;) {
        int rc = st->sink.ops->submit(st->sink.s, ev, NULL, err, sizeof err);
        if (rc == CER_SINK_EQUEUE) {
            st->sink.ops->poll(st->sink.s, 100);
            continue;
        }
        if (rc)
            note_failure(st, err);
        break;
    }
    st->sink.ops->poll(st->sink.s, 0);
}

typedef struct flag_event {
    const char *type, *source, *id, *time, *subject, *dataschema, *dct, *data;
    const char *ext[MAX_REPEAT];
    int next;
    char *data_buf;
    size_t data_len;
} flag_event;

static int build_flag_event(ce_event *e, const flag_event *f, char *err, size_t errsz)
{
    char id[37], now[40];
    ce_event_clear(e);
    if (!f->id)
        cer_uuid7(id);
    if (!f->time)
        cer_now_rfc3339(now);
    struct {
        const char *name, *value;
    } attrs[] = {{"specversion", "1.0"},      {"id", f->id ? f->id : id},
                 {"source", f->source},       {"type", f->type},
                 {"datacontenttype", f->dct}, {"dataschema", f->dataschema},
                 {"subject", f->subject},     {"time", f->time ? f->time : now}};
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++) {
        if (!attrs[i].value)
            continue;
        int rc = ce_event_set_str(e, attrs[i].name, attrs[i].value, err, errsz);
        if (rc)
            return rc;
    }
    for (int i = 0; i < f->next; i++) {
        const char *eq = strchr(f->ext[i], '=');
        char name[128];
        if (!eq || eq == f->ext[i] || (size_t)(eq - f->ext[i]) >= sizeof name) {
            snprintf(err, errsz, "--ext '%s': expected NAME=VALUE", f->ext[i]);
            return CE_EINVAL;
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - f->ext[i]), f->ext[i]);
        int rc = ce_event_set(e, name, CE_TYPE_STRING, eq + 1, strlen(eq + 1), err, errsz);
        if (rc)
            return rc;
    }
    if (f->data_buf) {
        int rc;
        ce_slice dct = ce_event_get_str(e, "datacontenttype");
        if (!dct.ptr || ce_media_type_is_json(dct.ptr, dct.len))
            rc = ce_event_set_data(e, CE_DATA_JSON, f->data_buf, f->data_len, err, errsz);
        else
            rc = ce_event_set_data_auto(e, f->data_buf, f->data_len, err, errsz);
        if (rc)
            return rc;
    }
    return ce_event_validate(e, err, errsz);
}

/* Wait until the input is readable. While it is not, serve deliveries and send what was read
 * once the oldest unsent event is linger_ms old; input that is ready at once is read first
 * (the sinks send full batches themselves). */
static void wait_input(send_state *st, int fd, long linger_ms, int64_t *unsent_since)
{
    struct pollfd ready = {.fd = fd, .events = POLLIN};
    if (poll(&ready, 1, 0) > 0) /* more input at once (always, for a file): keep batching */
        return;
    for (;;) {
        int timeout = -1;
        if (*unsent_since) {
            int64_t left = *unsent_since + (int64_t)linger_ms * 1000000 - cer_mono_ns();
            if (left <= 0) {
                st->sink.ops->flush(st->sink.s, 0);
                *unsent_since = 0;
                continue;
            }
            timeout = (int)(left / 1000000) + 1;
        }
        if (st->sink.ops->poll(st->sink.s, 0) > 0 && (timeout < 0 || timeout > 10))
            timeout = 10; /* events in flight: keep serving their outcomes */
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int pr = poll(&pfd, 1, timeout);
        if (pr > 0 || (pr < 0 && errno != EINTR) || g_stop)
            return;
    }
}

/* Send every event of a file or standard input as it is read: a batch array, one event,
 * NDJSON or a sequence. Returns CLI_OK, CLI_INVALID (the rest of the input was unreadable)
 * or CLI_USAGE (the input cannot be opened or read). */
static int send_file(send_state *st, const char *path, long linger_ms)
{
    char msg[1024];
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    cli_evin *in;
    if (cli_evin_open(&in, path, NULL, msg, sizeof msg) != 0) {
        fprintf(stderr, "cerelay send: %s\n", msg);
        return CLI_USAGE;
    }
    int status = CLI_OK;
    int64_t unsent_since = 0;
    cli_progress progress;
    cli_progress_init(&progress);
    g_stop = 0;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND; /* no SA_RESTART: a wait for input returns at once */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    while (!g_stop) {
        ce_event *ev;
        int r = cli_evin_next(in, &ev, msg, sizeof msg);
        if (r == CLI_EVIN_EVENT) {
            submit(st, ev);
            ce_event_destroy(ev);
            if (!unsent_since)
                unsent_since = cer_mono_ns();
            cli_progress_update(&progress, name, st->sent, cli_evin_offset(in));
        } else if (r == CLI_EVIN_INVALID || r == CLI_EVIN_FATAL) {
            cli_progress_clear(&progress);
            fprintf(stderr, "cerelay send: %s: %s\n", name, msg);
            st->sent++;
            note_failure(st, msg);
            if (r == CLI_EVIN_FATAL) {
                status = CLI_INVALID;
                break;
            }
        } else if (r == CLI_EVIN_MORE) {
            wait_input(st, cli_evin_fd(in), linger_ms, &unsent_since);
            if (g_stop)
                break;
            if (cli_evin_read(in, msg, sizeof msg) < 0) {
                fprintf(stderr, "cerelay send: %s: read error: %s\n", name, msg);
                status = CLI_USAGE;
                break;
            }
        } else {
            break;
        }
    }
    cli_progress_clear(&progress);
    if (g_stop)
        fprintf(stderr, "cerelay send: interrupted: delivering what was read\n");
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    cli_evin_close(in);
    return status;
}

static int usage_err(const char *fmt, const char *arg)
{
    fprintf(stderr, "cerelay send: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'cerelay send --help')\n");
    return CLI_USAGE;
}

int cmd_send(int argc, char **argv)
{
    enum {
        O_TIMEOUT = 256,
        O_TYPE,
        O_SOURCE,
        O_ID,
        O_TIME,
        O_SUBJECT,
        O_SCHEMA,
        O_DCT,
        O_DATA,
        O_EXT,
        O_COUNT,
        O_FILE,
        O_LINGER
    };
    static const struct option opts[] = {CLI_DEST_OPTIONS,
                                         {"timeout", required_argument, NULL, O_TIMEOUT},
                                         {"type", required_argument, NULL, O_TYPE},
                                         {"source", required_argument, NULL, O_SOURCE},
                                         {"id", required_argument, NULL, O_ID},
                                         {"time", required_argument, NULL, O_TIME},
                                         {"subject", required_argument, NULL, O_SUBJECT},
                                         {"dataschema", required_argument, NULL, O_SCHEMA},
                                         {"datacontenttype", required_argument, NULL, O_DCT},
                                         {"data", required_argument, NULL, O_DATA},
                                         {"ext", required_argument, NULL, O_EXT},
                                         {"count", required_argument, NULL, O_COUNT},
                                         {"file", required_argument, NULL, O_FILE},
                                         {"linger", required_argument, NULL, O_LINGER},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static flag_event f;
    memset(&f, 0, sizeof f);
    static cli_dest d;
    memset(&d, 0, sizeof d);
    d.cmd = "send";
    int quiet = 0;
    const char *file = NULL;
    long count = 1, timeout_s = 60, linger_ms = 10;
    int linger_set = 0;
    char *end;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "X:qh", opts, NULL)) != -1) {
        switch (c) {
        case O_TIMEOUT:
            timeout_s = strtol(optarg, &end, 10);
            if (*end || timeout_s < 0)
                return usage_err("--timeout: not a number of seconds: '%s'", optarg);
            break;
        case O_TYPE:
            f.type = optarg;
            break;
        case O_SOURCE:
            f.source = optarg;
            break;
        case O_ID:
            f.id = optarg;
            break;
        case O_TIME:
            f.time = optarg;
            break;
        case O_SUBJECT:
            f.subject = optarg;
            break;
        case O_SCHEMA:
            f.dataschema = optarg;
            break;
        case O_DCT:
            f.dct = optarg;
            break;
        case O_DATA:
            f.data = optarg;
            break;
        case O_EXT:
            if (f.next == MAX_REPEAT)
                return usage_err("%s", "too many --ext options");
            f.ext[f.next++] = optarg;
            break;
        case O_COUNT:
            count = strtol(optarg, &end, 10);
            if (*end || count < 1)
                return usage_err("--count: not a positive number: '%s'", optarg);
            break;
        case O_FILE:
            file = optarg;
            break;
        case O_LINGER:
            linger_ms = strtol(optarg, &end, 10);
            if (*end || optarg[0] == 0 || linger_ms < 0 || linger_ms > 900000)
                return usage_err("--linger: not a number of milliseconds (0 to 900000): '%s'",
                                 optarg);
            linger_set = 1;
            break;
        case 'q':
            quiet = 1;
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
    static char linger_prop[32];
    if (linger_set && d.ops == &cer_sink_kafka) { /* unless -X linger.ms says otherwise */
        int given = 0;
        for (int i = 0; i < d.nprops; i++)
            given |= strncmp(d.props[i], "linger.ms=", 10) == 0;
        snprintf(linger_prop, sizeof linger_prop, "linger.ms=%ld", linger_ms);
        if (!given && cli_dest_option(&d, 'X', linger_prop) < 0)
            return CLI_USAGE;
    }
    if (cli_dest_finish(&d) != 0)
        return CLI_USAGE;
    if ((d.ops == &cer_sink_kafka || d.conf.log_dir) && !d.conf.topic)
        return usage_err("%s", "--topic is required for --kafka and --log");
    if (file && (f.type || f.source || f.data || f.next || count != 1))
        return usage_err("%s", "--file cannot be combined with event flags or --count");
    if (!file && (!f.type || !f.source))
        return usage_err("%s", "--type and --source are required (or give --file)");
    if (f.id && count > 1)
        return usage_err("%s", "--id cannot be combined with --count (each copy gets a fresh id)");
    if (f.data) {
        if (f.data[0] == '@') {
            if (cli_read_all(f.data + 1, CE_DEFAULT_MAX_EVENT_BYTES, &f.data_buf, &f.data_len) < 0)
                return CLI_USAGE;
        } else {
            f.data_buf = strdup(f.data);
            f.data_len = strlen(f.data);
        }
        if (!f.dct)
            f.dct = "application/json";
    }
    d.conf.on_delivery = on_delivery;

    static send_state st;
    memset(&st, 0, sizeof st);
    g_cb_state = &st;
    char err[512];
    ce_event *ev = ce_event_new();
    if (!ev)
        return CLI_USAGE;
    /* Check the flag event before opening a connection. */
    if (!file && build_flag_event(ev, &f, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay send: %s\n", err);
        ce_event_destroy(ev);
        free(f.data_buf);
        return CLI_USAGE;
    }
    st.sink.ops = d.ops;
    int rc = d.ops->open(&st.sink.s, &d.conf, err, sizeof err);
    if (rc) {
        fprintf(stderr, "cerelay send: %s\n", err);
        ce_event_destroy(ev);
        free(f.data_buf);
        return CLI_USAGE;
    }
    int64_t t0 = cer_mono_ns();
    int status = CLI_OK;
    if (file) {
        status = send_file(&st, file, linger_ms);
    } else {
        for (long i = 0; i < count; i++) {
            if (i > 0 && build_flag_event(ev, &f, err, sizeof err) != 0) {
                st.sent++;
                note_failure(&st, err);
                continue;
            }
            submit(&st, ev);
        }
    }
    if (d.ops->flush(st.sink.s, (int)(timeout_s * 1000)) != 0)
        fprintf(stderr, "cerelay send: timed out after %ld s waiting for acknowledgements\n",
                timeout_s);
    d.ops->close(st.sink.s);
    double secs = (double)(cer_mono_ns() - t0) / 1e9;
    ce_event_destroy(ev);
    free(f.data_buf);
    size_t unacked = st.sent - st.delivered - st.failed;
    if (unacked) /* a sink that lost track would be a bug; never report it as delivered */
        st.failed += unacked;
    if ((!quiet || st.failed) && !(status == CLI_USAGE && st.sent == 0))
        fprintf(stderr, "sent %zu, delivered %zu, failed %zu in %.3f s (%.0f ev/s)\n", st.sent,
                st.delivered, st.failed, secs, secs > 0 ? (double)st.delivered / secs : 0.0);
    for (int i = 0; i < st.nreasons; i++)
        fprintf(stderr, "  failed: %s (x%zu)\n", st.reasons[i], st.reason_count[i]);
    if (status == CLI_OK && st.failed)
        status = CLI_INVALID;
    return status;
}
