/* cerelay validate: check structured CloudEvents (one event, a batch array, or NDJSON) and
 * optionally print them back as canonical JSON, one event per line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cli/cli.h"
#include "cli/evin.h"

static const char help[] =
    "usage: cerelay validate [--print] [--quiet] [--max-bytes N] [FILE|-]...\n"
    "\n"
    "Check CloudEvents 1.0 in the JSON event format. Each FILE (default: standard input)\n"
    "holds one structured event, a batch (a JSON array of events), NDJSON (one event per\n"
    "line) or pretty-printed events one after another; the first bytes decide which. Input\n"
    "of any size is read as it arrives, in bounded memory (a pipe works: tail -F | validate).\n"
    "Problems go to standard error, one per line, as\n"
    "  FILE: event K: attribute 'time': not an RFC 3339 timestamp\n"
    "  FILE: event K (line L): ...          (NDJSON and sequences)\n"
    "  FILE: byte N: <syntax error>\n"
    "Events are counted from 1. An empty input (nothing but white space) is reported as\n"
    "'FILE: no events (empty input)'; an empty batch [] holds zero events and is valid.\n"
    "Being read as a stream, a batch's events before a syntax error are checked (and\n"
    "printed) before the error is found; the exit status still says it.\n"
    "\n"
    "options:\n"
    "  --print          write every valid event to standard output as canonical JSON,\n"
    "                   one per line, as it is read (a formatter; data is compacted, never\n"
    "                   re-encoded)\n"
    "  -q, --quiet      print nothing on success\n"
    "  --max-bytes N    largest single event (default 1M; K/M/G suffixes), applied to each\n"
    "                   event of a batch or NDJSON input, never to the input as a whole\n"
    "  -h, --help       this text\n"
    "\n"
    "On success 'ok: N event(s)' goes to standard output (to standard error with --print).\n"
    "When standard error is a terminal, progress is shown there once a second.\n"
    "\n"
    "exit status:\n"
    "  0  every event valid\n"
    "  1  an event invalid, a syntax error, or an empty input\n"
    "  2  usage error, or a file that cannot be read (nothing more is printed on standard\n"
    "     output)\n";

typedef struct vstate {
    const char *file;
    int print, quiet;
    size_t valid, invalid, broken, empty;
    ce_buf out;
    cli_progress progress;
} vstate;

static void emit(vstate *st, const ce_event *ev)
{
    if (!st->print)
        return;
    char err[256];
    st->out.len = 0;
    if (ce_json_encode(ev, CE_JSON_COMPACT_DATA, &st->out, err, sizeof err) != 0) {
        fprintf(stderr, "%s: cannot encode: %s\n", st->file, err);
        return;
    }
    fwrite(st->out.ptr, 1, st->out.len, stdout);
    fputc('\n', stdout);
}

/* Check one input, streaming. Returns CLI_OK, or CLI_USAGE when it cannot be opened or read. */
static int validate_input(vstate *st, const char *path, const ce_limits *lim)
{
    char msg[1024];
    cli_evin *in;
    if (cli_evin_open(&in, path, lim, msg, sizeof msg) != 0) {
        fprintf(stderr, "cerelay validate: %s\n", msg);
        return CLI_USAGE;
    }
    int status = CLI_OK;
    for (;;) {
        ce_event *ev;
        int r = cli_evin_next(in, &ev, msg, sizeof msg);
        if (r == CLI_EVIN_MORE) {
            if (st->print) /* before waiting on a pipe: what was checked goes out now */
                fflush(stdout);
            if (cli_evin_read(in, msg, sizeof msg) < 0) {
                fprintf(stderr, "cerelay validate: %s: read error: %s\n", st->file, msg);
                status = CLI_USAGE;
                break;
            }
        } else if (r == CLI_EVIN_EVENT) {
            st->valid++;
            emit(st, ev);
            ce_event_destroy(ev);
            cli_progress_update(&st->progress, st->file, st->valid + st->invalid,
                                cli_evin_offset(in));
        } else if (r == CLI_EVIN_INVALID) {
            st->invalid++;
            cli_progress_clear(&st->progress);
            fprintf(stderr, "%s: %s\n", st->file, msg);
        } else if (r == CLI_EVIN_FATAL) {
            st->broken++;
            cli_progress_clear(&st->progress);
            fprintf(stderr, "%s: %s\n", st->file, msg);
            break;
        } else {
            break;
        }
    }
    if (status == CLI_OK && cli_evin_empty(in)) {
        st->empty++;
        fprintf(stderr, "%s: no events (empty input)\n", st->file);
    }
    cli_progress_clear(&st->progress);
    cli_evin_close(in);
    return status;
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
    cli_progress_init(&st.progress);
    int status = CLI_OK;
    for (int i = 0; i < nfiles; i++) {
        st.file = strcmp(files[i], "-") == 0 ? "<stdin>" : files[i];
        if (validate_input(&st, files[i], &lim) != CLI_OK)
            status = CLI_USAGE;
    }
    ce_buf_free(&st.out);
    fflush(stdout);
    size_t total = st.valid + st.invalid;
    int bad = st.invalid || st.broken || st.empty;
    if (status == CLI_OK && bad)
        status = CLI_INVALID;
    if (st.invalid || st.broken || (st.empty && total)) {
        fprintf(stderr, "invalid: %zu of %zu event(s)", st.invalid, total);
        if (st.broken)
            fprintf(stderr, ", %zu input(s) with a syntax error", st.broken);
        if (st.empty)
            fprintf(stderr, ", %zu empty input(s)", st.empty);
        fputc('\n', stderr);
    } else if (st.empty) {
        fprintf(stderr, "no events\n");
    } else if (status == CLI_OK && !st.quiet) {
        fprintf(st.print ? stderr : stdout, "ok: %zu event(s)\n", total);
    }
    return status;
}
