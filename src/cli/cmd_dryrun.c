/* cerelay dry-run: run the relay's pipeline (src/pipeline: limits, catalog, masking, policy,
 * routing; the same code the relay runs) over a file of events (NDJSON, a batch array, or one
 * event) and print the verdict for each, one JSON line per event. Nothing is ever sent to a
 * destination and nothing is dead-lettered. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"
#include "cli/cli.h"
#include "pipeline/pipeline.h"
#include "relay/config.h"

#define DEFAULT_MAX_FILE ((size_t)256 << 20)

static const char help[] =
    "usage: cerelay dry-run -c CONFIG [--no-event] [FILE|-]\n"
    "\n"
    "Run the governance and routing of the relay configuration CONFIG over the events in\n"
    "FILE (default: standard input): one structured event, a batch (a JSON array of\n"
    "events), or NDJSON (one event per line). For each event, in order, print one JSON line:\n"
    "  {\"index\":0,\"verdict\":\"allow\",\"rule\":\"default\",\"topic\":\"...\",\"key\":\"...\","
    "\"event\":{...}}\n"
    "  {\"index\":1,\"verdict\":\"deny\",\"rule\":\"no-prompts\"}\n"
    "  {\"index\":2,\"verdict\":\"invalid\",\"error\":\"attribute 'time': ...\"}\n"
    "Each event is validated (CloudEvents 1.0, the configured limits including\n"
    "limits.max_event_bytes, the event catalog), masked, decided by the policy (rules, then OPA\n"
    "if configured, then the default) and routed: the topic and key\n"
    "come from the first matching route or the binding's defaults (kafka and log bindings;\n"
    "the http and stdout bindings have neither). `event` is the event as it would leave,\n"
    "masked. A deny may carry \"reason\" (why OPA could not decide) and \"dead_letter\":true.\n"
    "Events are counted from 0. A summary goes to standard error.\n"
    "\n"
    "Nothing is sent: no Kafka, HTTP or log writes. When policy.opa is configured, OPA is\n"
    "asked for decisions (type and subject only), as the relay would.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE  the relay configuration (required)\n"
    "  --no-event         leave \"event\" out of allow lines\n"
    "  -h, --help         this text\n"
    "\n"
    "exit status: 0 every event allowed or denied; 1 an event (or the input) is invalid or\n"
    "cannot be routed; 2 usage, configuration or I/O error\n";

typedef struct dstate {
    const cer_config *cfg;
    cer_pipeline *pl;
    cer_batch *batch;
    int print_event;
    size_t index, allowed, denied, invalid;
    ce_buf line;
    int io_error;
} dstate;

/* ---- JSON output --------------------------------------------------------------------------- */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = (s[0] & 0xE0) == 0xC0   ? 2
                 : (s[0] & 0xF0) == 0xE0 ? 3
                 : (s[0] & 0xF8) == 0xF0 ? 4
                                         : 0;
    if (!len || len > n || (len == 2 && s[0] < 0xC2))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void put_str(ce_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    ce_buf_append(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            ce_buf_append(b, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ce_buf_append(b, e, 6);
        } else if (k == 0) {
            ce_buf_append(b, "\\ufffd", 6);
            k = 1;
        } else {
            ce_buf_append(b, s + i, k);
        }
        i += k ? k : 1;
    }
    ce_buf_append(b, "\"", 1);
}

static void put_cstr(ce_buf *b, const char *s)
{
    put_str(b, s, strlen(s));
}

static void put_raw(ce_buf *b, const char *s)
{
    ce_buf_append(b, s, strlen(s));
}

static void begin(dstate *st, const char *verdict)
{
    char head[64];
    st->line.len = 0;
    snprintf(head, sizeof head, "{\"index\":%zu,\"verdict\":\"%s\"", st->index, verdict);
    put_raw(&st->line, head);
}

static void finish(dstate *st)
{
    put_raw(&st->line, "}\n");
    if (fwrite(st->line.ptr, 1, st->line.len, stdout) != st->line.len)
        st->io_error = 1;
}

static void report_invalid(dstate *st, const char *what, const char *msg)
{
    begin(st, "invalid");
    put_raw(&st->line, ",\"error\":");
    if (what) {
        char m[640];
        snprintf(m, sizeof m, "%s: %s", what, msg);
        put_cstr(&st->line, m);
    } else {
        put_cstr(&st->line, msg);
    }
    finish(st);
    st->invalid++;
}

/* ---- one verdict ------------------------------------------------------------------------- */
static void print_item(dstate *st, const cer_item *it)
{
    char err[512];
    if (it->verdict == CER_VERDICT_REJECTED || it->verdict == CER_VERDICT_PENDING) {
        report_invalid(st, NULL, it->detail);
        return;
    }
    if (it->verdict == CER_VERDICT_DENIED) {
        begin(st, "deny");
        put_raw(&st->line, ",\"rule\":");
        put_cstr(&st->line, it->rule);
        if (it->detail[0]) {
            put_raw(&st->line, ",\"reason\":");
            put_cstr(&st->line, it->detail);
        }
        if (it->dead_letter)
            put_raw(&st->line, ",\"dead_letter\":true");
        finish(st);
        st->denied++;
        return;
    }
    begin(st, "allow");
    put_raw(&st->line, ",\"rule\":");
    put_cstr(&st->line, it->rule);
    if (it->detail[0]) {
        put_raw(&st->line, ",\"reason\":");
        put_cstr(&st->line, it->detail);
    }
    if (it->topic) {
        put_raw(&st->line, ",\"topic\":");
        put_cstr(&st->line, it->topic);
        put_raw(&st->line, ",\"key\":");
        if (it->key)
            put_str(&st->line, it->key, it->key_len);
        else
            put_raw(&st->line, "null");
    }
    if (st->print_event) {
        ce_buf ej;
        ce_buf_init(&ej);
        if (ce_json_encode(it->ev, CE_JSON_COMPACT_DATA, &ej, err, sizeof err) != 0) {
            ce_buf_free(&ej);
            report_invalid(st, "encode", err);
            return;
        }
        put_raw(&st->line, ",\"event\":");
        ce_buf_append(&st->line, ej.ptr, ej.len);
        ce_buf_free(&ej);
    }
    finish(st);
    st->allowed++;
}

/* Run the pipeline over what is in the batch and print one line per event. */
static void run_batch(dstate *st)
{
    cer_pipeline_process(st->pl, st->batch, 0);
    for (size_t i = 0; i < cer_batch_count(st->batch); i++) {
        print_item(st, cer_batch_item(st->batch, i));
        st->index++;
    }
    cer_batch_clear(st->batch);
}

/* ---- input -------------------------------------------------------------------------------- */
static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* NDJSON when there are several non-blank lines and the first is one JSON value. */
static int is_ndjson(const char *buf, size_t len)
{
    const char *end = buf + len, *first = skip_ws(buf, end);
    const char *nl = memchr(first, '\n', (size_t)(end - first));
    if (!nl || skip_ws(nl, end) == end)
        return 0;
    return ce_json_check(first, (size_t)(nl - first), CE_DEFAULT_MAX_DEPTH, NULL, 0) == 0;
}

/* Decode buf[0..len) (one event or an array) through the pipeline and print its verdicts.
 * Returns 0, or -1 when the input as a whole is unusable (message on stderr). */
static int run_one(dstate *st, const char *name, const char *p, size_t len)
{
    char err[512];
    if (cer_pipeline_decode_json(st->pl, p, len, st->batch, err, sizeof err) != CER_REASON_NONE) {
        fprintf(stderr, "cerelay dry-run: %s: %s\n", name, err);
        return -1;
    }
    run_batch(st);
    return 0;
}

static int run_input(dstate *st, const char *name, const char *buf, size_t len)
{
    const char *end = buf + len, *p = skip_ws(buf, end);
    if (p == end) {
        fprintf(stderr, "cerelay dry-run: %s: empty input\n", name);
        return -1;
    }
    if (*p == '[' || !is_ndjson(buf, len))
        return run_one(st, name, buf, len);
    for (const char *q = buf; q < end;) {
        const char *e = memchr(q, '\n', (size_t)(end - q));
        if (!e)
            e = end;
        if (skip_ws(q, e) != e && skip_ws(q, e)[0] != '[' &&
            run_one(st, name, q, (size_t)(e - q)) < 0)
            return -1;
        else if (skip_ws(q, e) != e && skip_ws(q, e)[0] == '[')
            report_invalid(st, NULL, "an NDJSON line holds an array, not one event"), st->index++;
        q = e + 1;
    }
    return 0;
}

int cmd_dryrun(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"no-event", no_argument, NULL, 'E'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *config = NULL;
    int print_event = 1, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'E':
            print_event = 0;
            break;
        case 'h':
            fputs(help, stdout);
            return CLI_OK;
        default:
            fputs(help, stderr);
            return CLI_USAGE;
        }
    }
    if (!config || argc - optind > 1) {
        fprintf(stderr, "cerelay dry-run: %s\n\n",
                !config ? "-c CONFIG is required" : "at most one input file");
        fputs(help, stderr);
        return CLI_USAGE;
    }
    const char *path = optind < argc ? argv[optind] : "-";
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;

    static cer_config cfg;
    static char err[16384];
    if (cer_config_load(config, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return CLI_USAGE;
    }
    dstate st = {.cfg = &cfg, .print_event = print_event};
    if (cer_pipeline_new(&st.pl, &cfg, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "cerelay dry-run: %s: %s\n", config, err);
        cer_config_free(&cfg);
        return CLI_USAGE;
    }
    st.batch = cer_batch_new();
    char *buf = NULL;
    size_t len = 0;
    int status = CLI_OK;
    if (!st.batch || cli_read_all(path, DEFAULT_MAX_FILE, &buf, &len) < 0) {
        status = CLI_USAGE;
    } else {
        ce_buf_init(&st.line);
        if (run_input(&st, name, buf, len) < 0)
            status = CLI_INVALID;
        ce_buf_free(&st.line);
        free(buf);
        if (fflush(stdout) != 0 || st.io_error) {
            fprintf(stderr, "cerelay dry-run: cannot write the output\n");
            status = CLI_USAGE;
        }
        if (status == CLI_OK && st.invalid)
            status = CLI_INVALID;
        fprintf(stderr, "dry-run: %zu event(s): %zu allowed, %zu denied, %zu invalid\n", st.index,
                st.allowed, st.denied, st.invalid);
    }
    cer_batch_destroy(st.batch);
    cer_pipeline_destroy(st.pl);
    cer_config_free(&cfg);
    return status;
}
