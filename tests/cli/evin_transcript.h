/* Shared by tests/cli/test_evin.c and fuzz/evin: run an input through src/cli/evin.c fed in
 * pieces of `piece` bytes and write down everything it returns, so that runs with different
 * pieces can be compared (the result must not depend on where the input is split). */
#ifndef CER_TEST_EVIN_TRANSCRIPT_H
#define CER_TEST_EVIN_TRANSCRIPT_H

#include <stdio.h>
#include <string.h>

#include "cerelay/ce.h"
#include "cli/evin.h"

/* Appends "E <json>\n", "I <msg>\n", "F <msg>\n" per result, then "END <format> <empty>\n".
 * Returns 0, or -1 when the reader misbehaved (asked for input after the end, or looped). */
static inline int evin_transcript(const char *in, size_t len, size_t piece, size_t max_event,
                                  ce_buf *out)
{
    ce_limits lim = ce_limits_default();
    if (max_event)
        lim.max_event_bytes = max_event;
    cli_evin *r;
    if (cli_evin_open_feed(&r, &lim) != 0)
        return -1;
    size_t pos = 0, steps = 0;
    char msg[1024], line[1200];
    ce_buf enc;
    ce_buf_init(&enc);
    int rc = 0;
    for (;;) {
        if (++steps > 4 * len + 1000) {
            rc = -1;
            break;
        }
        ce_event *ev = NULL;
        int k = cli_evin_next(r, &ev, msg, sizeof msg);
        if (k == CLI_EVIN_MORE) {
            size_t n = len - pos < piece ? len - pos : piece;
            if (n > CLI_EVIN_CHUNK)
                n = CLI_EVIN_CHUNK;
            if (cli_evin_feed(r, in + pos, n, pos + n == len) != 0) {
                rc = -1;
                break;
            }
            pos += n;
            continue;
        }
        if (k == CLI_EVIN_EVENT) {
            enc.len = 0;
            if (ce_json_encode(ev, 0, &enc, msg, sizeof msg) != 0)
                snprintf(msg, sizeof msg, "(encode failed)");
            ce_buf_append(out, "E ", 2);
            ce_buf_append(out, enc.ptr, enc.len);
            ce_buf_append(out, "\n", 1);
            ce_event_destroy(ev);
            continue;
        }
        if (k == CLI_EVIN_INVALID || k == CLI_EVIN_FATAL) {
            int n = snprintf(line, sizeof line, "%c %s\n", k == CLI_EVIN_FATAL ? 'F' : 'I', msg);
            ce_buf_append(out, line, (size_t)n);
            if (k == CLI_EVIN_FATAL)
                continue; /* the next call must say END */
            continue;
        }
        int n = snprintf(line, sizeof line, "END %d %d\n", (int)cli_evin_get_format(r),
                         cli_evin_empty(r));
        ce_buf_append(out, line, (size_t)n);
        break;
    }
    ce_buf_free(&enc);
    cli_evin_close(r);
    return rc;
}

#endif
