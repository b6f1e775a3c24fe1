/* stdout sink: each event as one line of canonical structured JSON (NDJSON). An event is
 * delivered once it was written in full. */
#include <stdio.h>
#include <stdlib.h>

#include "sink/sink.h"

struct cer_sink {
    ce_buf buf;
    cer_delivery_cb cb;
};

static int sink_open(cer_sink **out, const cer_sink_conf *c, char *errstr, size_t errstr_size)
{
    cer_sink *s = calloc(1, sizeof *s);
    if (!s)
        return CE_ENOMEM;
    s->cb = c->on_delivery;
    *out = s;
    return 0;
}

static int sink_submit(cer_sink *s, const ce_event *ev, void *opaque, char *errstr,
                       size_t errstr_size)
{
    s->buf.len = 0;
    int rc = ce_json_encode(ev, CE_JSON_COMPACT_DATA, &s->buf, errstr, errstr_size);
    if (rc)
        return rc;
    if (ce_buf_append(&s->buf, "\n", 1))
        return CE_ENOMEM;
    int ok = fwrite(s->buf.ptr, 1, s->buf.len, stdout) == s->buf.len;
    if (s->cb)
        s->cb(opaque, ok ? 0 : CE_EIO, ok ? NULL : "stdout: write failed");
    return 0;
}

static size_t sink_poll(cer_sink *s, int timeout_ms)
{
    return 0;
}

static int sink_flush(cer_sink *s, int timeout_ms)
{
    return fflush(stdout) == 0 ? 0 : CE_EIO;
}

static void sink_close(cer_sink *s)
{
    if (!s)
        return;
    fflush(stdout);
    ce_buf_free(&s->buf);
    free(s);
}

const cer_sink_ops cer_sink_stdout = {
    .name = "stdout",
    .open = sink_open,
    .submit = sink_submit,
    .poll = sink_poll,
    .flush = sink_flush,
    .close = sink_close,
};
