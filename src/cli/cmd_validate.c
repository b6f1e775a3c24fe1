/* cerelay validate: check structured CloudEvents (one event, a batch array, or NDJSON) and
 * optionally print them back as canonical JSON, one event per line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cli/cli.h"

#define DEFAULT_MAX_FILE ((size_t)256 << 20)

static const char help[] =
    "usage: cerelay validate [--print] [--quiet] [--max-bytes N] [FILE|-]...\n"
    "\n"
    "Check CloudEvents 1.0 in the JSON event format. Each FILE (default: standard input)\n"
    "holds one structured event, a batch (a JSON array of events), or NDJSON (one event\n"
    "per line). Problems go to standard error, one per line, as\n"
    "  FILE: event K: attribute 'time': not an RFC 3339 timestamp\n"
    "  FILE: byte N: <syntax error>\n"
    "Events are counted from 1.\n"
    "\n"
    "options:\n"
    "  --print          write every valid event to standard output as canonical JSON,\n"
    "                   one per line (a formatter; data is compacted, never re-encoded)\n"
    "  -q, --quiet      print nothing on success\n"
    "  --max-bytes N    largest single event accepted (default 1M; K/M/G suffixes); a\n"
    "                   batch may be as large as the file (at most 256M)\n"
    "  -h, --help       this text\n"
    "\n"
    "exit status: 0 all events valid, 1 any invalid, 2 usage or I/O error\n";

typedef struct vstate {
    const char *file;
    int print, quiet;
    size_t valid, invalid;
    size_t line_base; /* NDJSON: event numbers are lines */
    ce_buf out;
} vstate;

static int emit(vstate *st, const ce_event *ev)
{
    if (!st->print)
        return 0;
    char err[256];
    st->out.len = 0;
    int rc = ce_json_encode(ev, CE_JSON_COMPACT_DATA, &st->out, err, sizeof err);
    if (rc) {
        fprintf(stderr, "%s: cannot encode: %s\n", st->file, err);
        return rc;
    }
    fwrite(st->out.ptr, 1, st->out.len, stdout);
    fputc('\n', stdout);
    return 0;
}

static int on_event(void *ctx, size_t index, ce_event *ev, int err, const char *msg)
{
    vstate *st = ctx;
    if (ev) {
        st->valid++;
        emit(st, ev);
        ce_event_destroy(ev);
    } else {
        st->invalid++;
        fprintf(stderr, "%s: event %zu: %s\n", st->file, index + 1, msg);
    }
    return 0;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* NDJSON: returns 1 if handled as NDJSON (every non-blank line decoded on its own). */
static int try_ndjson(vstate *st, const char *buf, size_t len, const ce_limits *lim)
{
    const char *end = buf + len, *nl = memchr(buf, '\n', len);
    if (!nl || skip_ws(nl, end) == end)
        return 0; /* one line only */
    /* The first line must be a complete JSON value for this to be NDJSON. */
    const char *first = skip_ws(buf, end);
    const char *first_end = memchr(first, '\n', (size_t)(end - first));
    if (!first_end || ce_json_check(first, (size_t)(first_end - first), lim->max_depth, NULL, 0))
        return 0;
    size_t lineno = 0;
    for (const char *p = buf; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e)
            e = end;
        lineno++;
        if (skip_ws(p, e) != e) {
            ce_event *ev = NULL;
            char err[512];
            int rc = ce_json_decode(p, (size_t)(e - p), lim, &ev, err, sizeof err);
            if (rc == 0) {
                st->valid++;
                emit(st, ev);
                ce_event_destroy(ev);
            } else {
                st->invalid++;
                fprintf(stderr, "%s: event %zu (line %zu): %s\n", st->file, st->valid + st->invalid,
                        lineno, err);
            }
        }
        p = e + 1;
    }
    return 1;
}

static int validate_buf(vstate *st, const char *buf, size_t len, ce_limits lim)
{
    char err[512];
    const char *p = skip_ws(buf, buf + len);
    if (p == buf + len) {
        fprintf(stderr, "%s: empty input\n", st->file);
        st->invalid++;
        return 0;
    }
    if (*p == '[') {
        if (lim.max_event_bytes < len)
            lim.max_event_bytes = len;
        int rc = ce_json_decode_batch(buf, len, &lim, on_event, st, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", st->file, err);
            st->invalid++;
        }
        return 0;
    }
    ce_event *ev = NULL;
    int rc = ce_json_decode(buf, len, &lim, &ev, err, sizeof err);
    if (rc == 0) {
        st->valid++;
        emit(st, ev);
        ce_event_destroy(ev);
        return 0;
    }
    if (rc == CE_ESYNTAX && try_ndjson(st, buf, len, &lim))
        return 0;
    st->invalid++;
    if (rc == CE_ESYNTAX || rc == CE_EUTF8 || rc == CE_EDEPTH || rc == CE_ETOOBIG)
        fprintf(stderr, "%s: %s\n", st->file, err);
    else
        fprintf(stderr, "%s: event 1: %s\n", st->file, err);
    return 0;
}

int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"print", no_argument, NULL, 'p'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"max-bytes", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    vstate st = {0};
    ce_limits lim = ce_limits_default();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            st.print = 1;
            break;
        case 'q':
            st.quiet = 1;
            break;
        case 'm':
            if (cli_parse_size(optarg, &lim.max_event_bytes) || lim.max_event_bytes == 0) {
                fprintf(stderr, "cerelay validate: --max-bytes: not a size: '%s'\n", optarg);
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
    char *defaults[] = {"-"};
    char **files = optind < argc ? argv + optind : defaults;
    int nfiles = optind < argc ? argc - optind : 1;
    ce_buf_init(&st.out);
    int status = CLI_OK;
    for (int i = 0; i < nfiles; i++) {
        char *buf;
        size_t len;
        st.file = strcmp(files[i], "-") == 0 ? "<stdin>" : files[i];
        if (cli_read_all(files[i], DEFAULT_MAX_FILE, &buf, &len) < 0) {
            status = CLI_USAGE;
            continue;
        }
        validate_buf(&st, buf, len, lim);
        free(buf);
    }
    ce_buf_free(&st.out);
    fflush(stdout);
    if (status == CLI_OK && st.invalid)
        status = CLI_INVALID;
    size_t total = st.valid + st.invalid;
    if (st.invalid)
        fprintf(stderr, "invalid: %zu of %zu event(s)\n", st.invalid, total);
    else if (!st.quiet)
        fprintf(st.print ? stderr : stdout, "ok: %zu event(s)\n", total);
    return status;
}
