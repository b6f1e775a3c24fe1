/* Streaming input of CloudEvents in the JSON event format, for `validate` and `send --file`:
 * one structured event, a batch (a JSON array), NDJSON (one event per line) or a sequence of
 * pretty-printed events (what `jq .` writes), read in chunks in bounded memory. The format is
 * decided from the first bytes; the per-event limit (max_event_bytes) applies to each event,
 * never to the input as a whole, so an input of any size can be read. */
#ifndef CER_CLI_EVIN_H
#define CER_CLI_EVIN_H

#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"

typedef struct cli_evin cli_evin;

/* What cli_evin_next returns. */
enum {
    CLI_EVIN_EVENT = 1, /* *ev is a new, valid event the caller owns */
    CLI_EVIN_INVALID,   /* one event was rejected; msg says which ("event 2 (line 2): ...") */
    CLI_EVIN_MORE,      /* more input is needed: call cli_evin_read (it blocks until some comes) */
    CLI_EVIN_END,       /* no more events */
    CLI_EVIN_FATAL      /* the rest of the input cannot be read as events (a batch's syntax);
                           msg says where. Events before it were already returned. */
};

/* The input's shape, known once the first event is complete (CLI_EVIN_UNKNOWN before). */
typedef enum {
    CLI_EVIN_UNKNOWN = 0,
    CLI_EVIN_SINGLE, /* one event */
    CLI_EVIN_BATCH,  /* a JSON array of events */
    CLI_EVIN_NDJSON, /* one event per line */
    CLI_EVIN_SEQ     /* JSON values one after another, not one per line (pretty-printed) */
} cli_evin_format;

/* Open `path` ("-" = standard input, not closed at the end). `lim` may be NULL for defaults;
 * its max_event_bytes caps every event and therefore the memory held. Returns 0, or -1 with
 * "PATH: reason" in errstr. */
int cli_evin_open(cli_evin **out, const char *path, const ce_limits *lim, char *errstr,
                  size_t errstr_size);
/* A reader the caller feeds instead of a file (tests, fuzzing): after cli_evin_next returned
 * CLI_EVIN_MORE, cli_evin_feed hands it the next len bytes (at most CLI_EVIN_CHUNK; they are
 * copied), eof=1 once the input has ended. Returns 0, or -1 (too many bytes, or not expected). */
enum { CLI_EVIN_CHUNK = 64 << 10 };
int cli_evin_open_feed(cli_evin **out, const ce_limits *lim);
int cli_evin_feed(cli_evin *in, const void *buf, size_t len, int eof);
/* Close; NULL is a no-op. */
void cli_evin_close(cli_evin *in);
/* The file descriptor read by cli_evin_read (to wait for input with poll()). */
int cli_evin_fd(const cli_evin *in);

/* The next event or problem, from the bytes read so far; see the enum above. msg is always
 * NUL-terminated and set for INVALID and FATAL. Never blocks. */
int cli_evin_next(cli_evin *in, ce_event **ev, char *msg, size_t msg_size);
/* Read one chunk of input (blocking unless the descriptor is readable). Call only after
 * cli_evin_next returned CLI_EVIN_MORE. Returns the bytes read, 0 at the end of the input, or
 * -1 with "reason" in errstr (a read error: the input is then treated as ended). */
long cli_evin_read(cli_evin *in, char *errstr, size_t errstr_size);

cli_evin_format cli_evin_get_format(const cli_evin *in);
/* Bytes of input consumed so far. */
uint64_t cli_evin_offset(const cli_evin *in);
/* Non-zero when the input ended before any byte other than white space. */
int cli_evin_empty(const cli_evin *in);

#endif
