/* libFuzzer target for the JSON event format: ce_json_check, ce_json_decode and
 * ce_json_decode_batch on arbitrary bytes; every event that decodes must re-encode, decode
 * again to an equal event, and encode to the same bytes (the canonical form is a fixed point). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/ce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const ce_event *e)
{
    char err[256];
    ce_buf a, b;
    ce_buf_init(&a);
    ce_buf_init(&b);
    if (ce_json_encode(e, 0, &a, err, sizeof err) != 0)
        abort(); /* a decoded event always validates, so encoding cannot fail */
    ce_event *again = NULL;
    if (ce_json_decode(a.ptr, a.len, NULL, &again, err, sizeof err) != 0)
        abort();
    if (!ce_event_equal(e, again))
        abort();
    if (ce_json_encode(again, 0, &b, err, sizeof err) != 0 || a.len != b.len ||
        memcmp(a.ptr, b.ptr, a.len) != 0)
        abort();
    /* Compact data must decode too, and compacting is idempotent. */
    b.len = 0;
    if (ce_json_encode(e, CE_JSON_COMPACT_DATA, &b, err, sizeof err) != 0)
        abort();
    ce_event *compact = NULL;
    if (ce_json_decode(b.ptr, b.len, NULL, &compact, err, sizeof err) != 0)
        abort();
    a.len = 0;
    if (ce_json_encode(compact, 0, &a, err, sizeof err) != 0 || a.len != b.len ||
        memcmp(a.ptr, b.ptr, a.len) != 0)
        abort();
    ce_event_destroy(compact);
    ce_event_destroy(again);
    ce_buf_free(&a);
    ce_buf_free(&b);
}

static int batch_cb(void *ctx, size_t index, ce_event *ev, int err, const char *msg)
{
    (void)ctx;
    (void)index;
    if ((ev == NULL) == (err == 0) || !msg)
        abort();
    if (ev) {
        check_round_trip(ev);
        ce_event_destroy(ev);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    char err[256];
    ce_limits lim = CE_LIMITS_DEFAULT;
    lim.max_depth = 16; /* keep the interesting nesting cases within reach */
    (void)ce_json_check(buf, size, lim.max_depth, err, sizeof err);
    ce_event *e = NULL;
    if (ce_json_decode(buf, size, &lim, &e, err, sizeof err) == 0) {
        check_round_trip(e);
        ce_event_destroy(e);
    } else if (e != NULL || err[0] == 0) {
        abort(); /* a failure always says why and hands back nothing */
    }
    (void)ce_json_decode_batch(buf, size, &lim, batch_cb, NULL, err, sizeof err);
    return 0;
}
