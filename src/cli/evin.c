/* Streaming input of CloudEvents in the JSON event format (see evin.h). A small state machine
 * over 64 KiB chunks: a structural scanner (brackets and strings only) finds where each event
 * ends, the event's bytes are copied into one buffer capped at max_event_bytes, and the core's
 * ce_json_decode checks them. Memory is the chunk plus one event, whatever the input's size. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/evin.h"

#define EVIN_CHUNK ((size_t)CLI_EVIN_CHUNK)

enum {
    ST_START,       /* before the first byte that is not white space */
    ST_FIRST,       /* inside the first value */
    ST_FIRST_TAIL,  /* after it, on its last line */
    ST_FIRST_AFTER, /* event 1 is done: is there more (NDJSON, a sequence) or not (single)? */
    ST_LINE_WS,     /* NDJSON: between lines */
    ST_LINE,        /* NDJSON: inside a line */
    ST_SEQ_WS,      /* sequence: between values */
    ST_SEQ_VALUE,   /* sequence: inside a value */
    ST_B_WS,        /* batch: before an element */
    ST_B_VALUE,     /* batch: inside an element */
    ST_B_AFTER,     /* batch: after an element, before ',' or ']' */
    ST_B_TRAILER,   /* batch: after the closing ']' */
    ST_DONE
};

struct cli_evin {
    int fd, own_fd, eof, state, empty;
    ce_limits lim;
    char *chunk;
    size_t clen, cpos;
    uint64_t off;  /* input offset of chunk[cpos] */
    uint64_t line; /* line number (from 1) of chunk[cpos] */
    cli_evin_format fmt, next_fmt;
    /* the current value: its bytes (at most max_event_bytes of them) and where it began */
    ce_buf val;
    uint64_t vsize, voff, vline;
    int vtoobig, vnl;
    /* its structural scan */
    int kind; /* 0 not started, '{' object or array, '"' string, 's' anything else */
    uint64_t depth;
    int in_str, esc, done;
    int first;        /* scanning the input's first value */
    int nl_pending;   /* the first value: the last byte was a newline outside a string */
    int broken_first; /* ... and a '{' began the next line: it was a broken NDJSON line */
    size_t nevents;
    int need_elem; /* batch: after ',' */
    /* event 1's problem, held until the input's shape says how to name it */
    int pending, pending_rc;
    uint64_t pending_line;
    char pending_msg[512];
};

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t ws_len(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && is_ws(p[i]))
        i++;
    return i;
}

/* Consume n bytes of the chunk without keeping them. */
static void skip(cli_evin *in, size_t n)
{
    const char *p = in->chunk + in->cpos, *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        in->line++;
        p++;
    }
    in->cpos += n;
    in->off += n;
}

/* Consume n bytes of the chunk into the current value (counted, kept while under the cap). */
static void take(cli_evin *in, size_t n)
{
    if (!in->vtoobig) {
        if (in->val.len + n > in->lim.max_event_bytes ||
            ce_buf_append(&in->val, in->chunk + in->cpos, n))
            in->vtoobig = 1;
    }
    in->vsize += n;
    skip(in, n);
}

static void vreset(cli_evin *in)
{
    in->val.len = 0;
    in->vsize = 0;
    in->voff = in->off;
    in->vline = in->line;
    in->vtoobig = in->vnl = 0;
    in->kind = 0;
    in->depth = 0;
    in->in_str = in->esc = in->done = 0;
    in->nl_pending = in->broken_first = 0;
}

/* Scan p[0..n) as the continuation of the current value; returns how many bytes belong to it
 * and sets in->done when it ends. Only brackets and strings are tracked: the decoder finds
 * every other error. */
static size_t scan(cli_evin *in, const char *p, size_t n)
{
    size_t i = 0;
    if (!in->kind && n) {
        char c = p[0];
        if (c == '{' || c == '[')
            in->kind = '{', in->depth = 1;
        else if (c == '"')
            in->kind = '"', in->in_str = 1;
        else
            in->kind = 's';
        i = 1;
    }
    if (in->kind == 's') {
        for (; i < n; i++) {
            char c = p[i];
            if (is_ws(c) || c == ',' || c == ']' || c == '}' || c == '[' || c == '{' || c == '"') {
                in->done = 1;
                return i;
            }
        }
        return i;
    }
    for (; i < n; i++) {
        char c = p[i];
        if (in->in_str) {
            if (in->esc)
                in->esc = 0;
            else if (c == '\\')
                in->esc = 1;
            else if (c == '"') {
                in->in_str = 0;
                if (in->kind == '"') {
                    in->done = 1;
                    return i + 1;
                }
            } else if (c == '\n')
                in->vnl = 1;
            continue;
        }
        if (in->nl_pending) {
            in->nl_pending = 0;
            /* Pretty-printers never start a line with '{' inside a value: this is the next
             * event of an NDJSON input whose first line is broken (truncated). */
            if (c == '{' && in->first) {
                in->done = in->broken_first = 1;
                return i;
            }
        }
        if (c == '"')
            in->in_str = 1;
        else if (c == '{' || c == '[')
            in->depth++;
        else if (c == '}' || c == ']') {
            if (--in->depth == 0) {
                in->done = 1;
                return i + 1;
            }
        } else if (c == '\n') {
            in->vnl = 1;
            in->nl_pending = 1;
        }
    }
    return i;
}

/* Decode the current value into *ev; returns 0 or the error code with the reason in raw. */
static int decode(cli_evin *in, ce_event **ev, char *raw, size_t raw_size)
{
    *ev = NULL;
    if (in->vtoobig) {
        snprintf(raw, raw_size, "event is %" PRIu64 " bytes, more than max_event_bytes (%zu)",
                 in->vsize, in->lim.max_event_bytes);
        return CE_ETOOBIG;
    }
    return ce_json_decode(in->val.ptr ? (const char *)in->val.ptr : "", in->val.len, &in->lim, ev,
                          raw, raw_size);
}

/* Errors that are about the bytes rather than about one event's attributes. */
static int is_syntax(int rc)
{
    return rc == CE_ESYNTAX || rc == CE_EUTF8 || rc == CE_EDEPTH || rc == CE_ETOOBIG;
}

/* Copy raw to out, turning a leading "byte N:" relative to the value into an input offset. */
static void rebase(char *out, size_t out_size, const char *raw, uint64_t base)
{
    char *end;
    if (strncmp(raw, "byte ", 5) == 0) {
        unsigned long long n = strtoull(raw + 5, &end, 10);
        if (end != raw + 5 && *end == ':') {
            snprintf(out, out_size, "byte %llu%s", n + (unsigned long long)base, end);
            return;
        }
    }
    snprintf(out, out_size, "%s", raw);
}

/* The message for a one-event input: syntax errors by input offset, others as event 1. */
static void name_single(cli_evin *in, char *msg, size_t msg_size, int rc, const char *raw)
{
    if (is_syntax(rc))
        rebase(msg, msg_size, raw, in->voff);
    else
        snprintf(msg, msg_size, "event 1: %s", raw);
}

static void name_multi(char *msg, size_t msg_size, size_t k, uint64_t line, const char *raw)
{
    snprintf(msg, msg_size, "event %zu (line %" PRIu64 "): %s", k, line, raw);
}

/* Finish the current value as event k of a multi-event input. */
static int finish_multi(cli_evin *in, ce_event **ev, char *msg, size_t msg_size)
{
    char raw[512];
    size_t k = ++in->nevents;
    int rc = decode(in, ev, raw, sizeof raw);
    if (rc == 0)
        return CLI_EVIN_EVENT;
    name_multi(msg, msg_size, k, in->vline, raw);
    return CLI_EVIN_INVALID;
}

/* Finish the first value: return it if valid, else hold its message (the shape decides). */
static int finish_first(cli_evin *in, ce_event **ev, cli_evin_format next_fmt)
{
    in->nevents = 1;
    in->next_fmt = next_fmt;
    in->state = ST_FIRST_AFTER;
    int rc = decode(in, ev, in->pending_msg, sizeof in->pending_msg);
    if (rc == 0)
        return CLI_EVIN_EVENT;
    in->pending = 1;
    in->pending_rc = rc;
    in->pending_line = in->vline;
    return 0;
}

static int fatal(cli_evin *in, char *msg, size_t msg_size, const char *what)
{
    snprintf(msg, msg_size, "byte %" PRIu64 ": %s", in->off, what);
    in->state = ST_DONE;
    return CLI_EVIN_FATAL;
}

int cli_evin_next(cli_evin *in, ce_event **ev, char *msg, size_t msg_size)
{
    char raw[512];
    *ev = NULL;
    if (msg_size)
        msg[0] = 0;
    for (;;) {
        const char *p = in->chunk + in->cpos;
        size_t n = in->clen - in->cpos, k;
        if (n == 0 && !in->eof && in->state != ST_DONE)
            return CLI_EVIN_MORE;
        switch (in->state) {
        case ST_START:
            if (n == 0) {
                in->empty = 1;
                in->state = ST_DONE;
                return CLI_EVIN_END;
            }
            if ((k = ws_len(p, n)) > 0) {
                skip(in, k);
                continue;
            }
            if (*p == '[') {
                in->fmt = CLI_EVIN_BATCH;
                skip(in, 1);
                in->state = ST_B_WS;
                continue;
            }
            vreset(in);
            in->first = 1;
            in->state = ST_FIRST;
            continue;
        case ST_FIRST:
            if (n == 0) { /* the input ended inside the first value */
                in->fmt = CLI_EVIN_SINGLE;
                in->nevents = 1;
                in->state = ST_DONE;
                int rc = decode(in, ev, raw, sizeof raw);
                if (rc == 0)
                    return CLI_EVIN_EVENT;
                name_single(in, msg, msg_size, rc, raw);
                return CLI_EVIN_INVALID;
            }
            take(in, scan(in, p, n));
            if (in->done)
                in->state = ST_FIRST_TAIL;
            continue;
        case ST_FIRST_TAIL:
            in->first = 0;
            if (in->broken_first) { /* event 1 is the broken line; NDJSON follows */
                if (finish_first(in, ev, CLI_EVIN_NDJSON))
                    return CLI_EVIN_EVENT;
                continue;
            }
            if (in->vnl) { /* pretty-printed: more values would make a sequence */
                if (finish_first(in, ev, CLI_EVIN_SEQ))
                    return CLI_EVIN_EVENT;
                continue;
            }
            if (n > 0) { /* one line: the rest of it belongs to event 1 */
                const char *nl = memchr(p, '\n', n);
                take(in, nl ? (size_t)(nl - p) : n);
                if (!nl)
                    continue;
                skip(in, 1);
            }
            if (finish_first(in, ev, CLI_EVIN_NDJSON))
                return CLI_EVIN_EVENT;
            continue;
        case ST_FIRST_AFTER:
            if (n == 0) {
                in->fmt = CLI_EVIN_SINGLE;
                in->state = ST_DONE;
                if (!in->pending)
                    return CLI_EVIN_END;
                in->pending = 0;
                name_single(in, msg, msg_size, in->pending_rc, in->pending_msg);
                return CLI_EVIN_INVALID;
            }
            if ((k = ws_len(p, n)) > 0) {
                skip(in, k);
                continue;
            }
            in->fmt = in->next_fmt;
            in->state = in->fmt == CLI_EVIN_NDJSON ? ST_LINE_WS : ST_SEQ_WS;
            if (in->pending) {
                in->pending = 0;
                name_multi(msg, msg_size, 1, in->pending_line, in->pending_msg);
                return CLI_EVIN_INVALID;
            }
            continue;
        case ST_LINE_WS:
        case ST_SEQ_WS:
            if (n == 0) {
                in->state = ST_DONE;
                return CLI_EVIN_END;
            }
            if ((k = ws_len(p, n)) > 0) {
                skip(in, k);
                continue;
            }
            vreset(in);
            in->state = in->state == ST_LINE_WS ? ST_LINE : ST_SEQ_VALUE;
            continue;
        case ST_LINE:
            if (n > 0) {
                const char *nl = memchr(p, '\n', n);
                take(in, nl ? (size_t)(nl - p) : n);
                if (!nl)
                    continue;
                skip(in, 1);
            }
            in->state = ST_LINE_WS;
            return finish_multi(in, ev, msg, msg_size);
        case ST_SEQ_VALUE:
            if (n > 0) {
                take(in, scan(in, p, n));
                if (!in->done)
                    continue;
            }
            in->state = n == 0 ? ST_DONE : ST_SEQ_WS;
            return finish_multi(in, ev, msg, msg_size);
        case ST_B_WS:
            if (n == 0)
                return fatal(in, msg, msg_size, "unexpected end of input: the batch has no ']'");
            if ((k = ws_len(p, n)) > 0) {
                skip(in, k);
                continue;
            }
            if (*p == ']') {
                if (in->need_elem)
                    return fatal(in, msg, msg_size, "expected an event after ','");
                skip(in, 1);
                in->state = ST_B_TRAILER;
                continue;
            }
            vreset(in);
            in->state = ST_B_VALUE;
            continue;
        case ST_B_VALUE: {
            if (n == 0) {
                snprintf(raw, sizeof raw, "unexpected end of input in event %zu", in->nevents + 1);
                return fatal(in, msg, msg_size, raw);
            }
            take(in, scan(in, p, n));
            if (!in->done)
                continue;
            in->state = ST_B_AFTER;
            size_t idx = ++in->nevents;
            int rc = decode(in, ev, raw, sizeof raw);
            if (rc == 0)
                return CLI_EVIN_EVENT;
            char where[512];
            rebase(where, sizeof where, raw, in->voff);
            snprintf(msg, msg_size, "event %zu: %s", idx, where);
            return CLI_EVIN_INVALID;
        }
        case ST_B_AFTER:
            if (n == 0)
                return fatal(in, msg, msg_size, "unexpected end of input: the batch has no ']'");
            if ((k = ws_len(p, n)) > 0) {
                skip(in, k);
                continue;
            }
            if (*p == ',' || *p == ']') {
                in->need_elem = *p == ',';
                in->state = *p == ',' ? ST_B_WS : ST_B_TRAILER;
                skip(in, 1);
                continue;
            }
            snprintf(raw, sizeof raw, "expected ',' or ']' after event %zu", in->nevents);
            return fatal(in, msg, msg_size, raw);
        case ST_B_TRAILER:
            if (n == 0) {
                in->state = ST_DONE;
                return CLI_EVIN_END;
            }
            if ((k = ws_len(p, n)) > 0) {
                skip(in, k);
                continue;
            }
            return fatal(in, msg, msg_size, "trailing characters after the batch");
        default:
            return CLI_EVIN_END;
        }
    }
}

long cli_evin_read(cli_evin *in, char *errstr, size_t errstr_size)
{
    assert(in->cpos == in->clen);
    in->cpos = in->clen = 0;
    if (in->eof)
        return 0;
    if (in->fd < 0) {
        snprintf(errstr, errstr_size, "no file: the input is fed with cli_evin_feed");
        return -1;
    }
    for (;;) {
        ssize_t r = read(in->fd, in->chunk, EVIN_CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = {.fd = in->fd, .events = POLLIN};
            poll(&pfd, 1, -1);
            continue;
        }
        if (r < 0) {
            snprintf(errstr, errstr_size, "%s", strerror(errno));
            in->eof = 1;
            return -1;
        }
        if (r == 0)
            in->eof = 1;
        in->clen = (size_t)r;
        return (long)r;
    }
}

int cli_evin_feed(cli_evin *in, const void *buf, size_t len, int eof)
{
    if (in->fd >= 0 || in->eof || in->cpos != in->clen || len > EVIN_CHUNK)
        return -1;
    memcpy(in->chunk, buf, len);
    in->cpos = 0;
    in->clen = len;
    in->eof = eof;
    return 0;
}

int cli_evin_open_feed(cli_evin **out, const ce_limits *lim)
{
    char err[64];
    return cli_evin_open(out, NULL, lim, err, sizeof err);
}

int cli_evin_open(cli_evin **out, const char *path, const ce_limits *lim, char *errstr,
                  size_t errstr_size)
{
    *out = NULL;
    int fd = path ? 0 : -1, own = 0;
    if (path && strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
            return -1;
        }
        own = 1;
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    cli_evin *in = calloc(1, sizeof *in);
    char *chunk = malloc(EVIN_CHUNK);
    if (!in || !chunk) {
        free(in);
        free(chunk);
        if (own)
            close(fd);
        snprintf(errstr, errstr_size, "%s: out of memory", path ? path : "input");
        return -1;
    }
    in->fd = fd;
    in->own_fd = own;
    in->chunk = chunk;
    in->lim = lim ? *lim : ce_limits_default();
    in->line = 1;
    ce_buf_init(&in->val);
    *out = in;
    return 0;
}

void cli_evin_close(cli_evin *in)
{
    if (!in)
        return;
    if (in->own_fd)
        close(in->fd);
    ce_buf_free(&in->val);
    free(in->chunk);
    free(in);
}

int cli_evin_fd(const cli_evin *in)
{
    return in->fd;
}

cli_evin_format cli_evin_get_format(const cli_evin *in)
{
    return in->fmt;
}

uint64_t cli_evin_offset(const cli_evin *in)
{
    return in->off;
}

int cli_evin_empty(const cli_evin *in)
{
    return in->empty;
}
