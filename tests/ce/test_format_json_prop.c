/* Property tests for src/ce/format_json.c: random events of every attribute type and data kind
 * survive encode -> decode unchanged (ce_event_equal) and encode deterministically; damaged
 * encodings never crash; every allocation failure is reported as CE_ENOMEM without leaks. */
#include <stdlib.h>

#include "ce/internal.h"
#include "ce/json.h"
#include "harness.h"

static char err[512];
static uint64_t rng = 0x243F6A8885A308D3ULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)((rng >> 11) % n) : 0;
}

/* A CloudEvents String: printable ASCII (quotes and backslashes included) and some UTF-8. */
static void rand_ce_string(char *out, size_t *len, size_t max_chars, bool non_empty)
{
    static const char *const pieces[] = {
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x8c\x8e", "\xef\xbf\xbd", "\"", "\\", "/", "\x7e"};
    size_t n = rnd((uint32_t)max_chars + 1), o = 0;
    if (non_empty && n == 0)
        n = 1;
    for (size_t k = 0; k < n; k++) {
        if (rnd(6) == 0) {
            const char *p = pieces[rnd(8)];
            memcpy(out + o, p, strlen(p));
            o += strlen(p);
        } else {
            out[o++] = (char)(0x20 + rnd(0x7f - 0x20));
        }
    }
    *len = o;
}

static void set_ok(int rc, const char *what)
{
    if (rc)
        cer_test_fail(__FILE__, __LINE__, "setting %s: %s", what, err);
}

static void rand_timestamp(char *out)
{
    static const int digits[] = {0, 3, 6, 9};
    int64_t ns = (int64_t)rnd(2000000000u) * 1000000000 + rnd(1000000000u);
    ce_timestamp_format(ns, digits[rnd(4)], out);
}

/* Random JSON text with random insignificant whitespace inside (not around: the decoder keeps
 * only the bytes of the value itself). */
static void rand_json(ce_buf *b, int depth)
{
    static const char *const ws[] = {"", "", " ", "\n  ", "\t", "\r\n"};
    const char *w = depth ? ws[rnd(6)] : "";
    ce_buf_append(b, w, strlen(w));
    int pick = (int)rnd(depth > 3 ? 5 : 7);
    char tmp[96];
    size_t n;
    switch (pick) {
    case 0:
        n = (size_t)snprintf(tmp, sizeof tmp, "%d", (int)rnd(2000000) - 1000000);
        ce_buf_append(b, tmp, n);
        break;
    case 1:
        n = (size_t)snprintf(tmp, sizeof tmp, "-%u.%03ue%d", rnd(100), rnd(1000),
                             (int)rnd(40) - 20);
        ce_buf_append(b, tmp, n);
        break;
    case 2: {
        static const char *const lits[] = {"true", "false", "null"};
        const char *l = lits[rnd(3)];
        ce_buf_append(b, l, strlen(l));
        break;
    }
    case 3:
    case 4:
        rand_ce_string(tmp, &n, 20, false);
        if (rnd(3) == 0)
            tmp[n++] = '\n'; /* control characters are fine in data strings */
        if (rnd(4) == 0) {   /* escapes the encoder itself never writes */
            const char *x = "\"\\u00e9\\/\\ud83c\\udf0e\\u001F\"";
            ce_buf_append(b, x, strlen(x));
        } else {
            ce__json_write_string(b, tmp, n);
        }
        break;
    case 5:
    case 6: {
        bool obj = pick == 5;
        ce_buf_append(b, obj ? "{" : "[", 1);
        uint32_t items = rnd(4);
        for (uint32_t k = 0; k < items; k++) {
            if (k)
                ce_buf_append(b, ",", 1);
            if (obj) {
                n = (size_t)snprintf(tmp, sizeof tmp, " \"k\\u00e9%u\" :", k);
                ce_buf_append(b, tmp, n);
            }
            rand_json(b, depth + 1);
        }
        ce_buf_append(b, obj ? "}" : "]", 1);
        break;
    }
    }
    w = depth ? ws[rnd(6)] : "";
    ce_buf_append(b, w, strlen(w));
}

static ce_event *rand_event(void)
{
    ce_event *e = ce_event_new();
    char s[512];
    size_t n;
    set_ok(ce_event_set_str(e, "specversion", "1.0", err, sizeof err), "specversion");
    rand_ce_string(s, &n, 30, true);
    set_ok(ce_event_set(e, "id", CE_TYPE_STRING, s, n, err, sizeof err), "id");
    rand_ce_string(s, &n, 30, true);
    set_ok(ce_event_set(e, "type", CE_TYPE_STRING, s, n, err, sizeof err), "type");
    static const char *const sources[] = {"/mycontext",
                                          "https://example.com/a?b=c#d",
                                          "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
                                          "//host/path",
                                          "llm-orch-svc",
                                          "rel/path%20x"};
    set_ok(ce_event_set_str(e, "source", sources[rnd(6)], err, sizeof err), "source");
    if (rnd(2)) {
        rand_ce_string(s, &n, 40, true);
        set_ok(ce_event_set(e, "subject", CE_TYPE_STRING, s, n, err, sizeof err), "subject");
    }
    if (rnd(2)) {
        rand_timestamp(s);
        set_ok(ce_event_set_str(e, "time", s, err, sizeof err), "time");
    }
    if (rnd(3) == 0) {
        snprintf(s, sizeof s, "https://schema.example/v%u", rnd(1000));
        set_ok(ce_event_set_str(e, "dataschema", s, err, sizeof err), "dataschema");
    }
    static const char *const cts[] = {"application/json",
                                      "text/plain",
                                      "application/xml; charset=utf-8",
                                      "application/vnd.apache.thrift.binary",
                                      "application/cloudevents+json",
                                      NULL};
    const char *ct = cts[rnd(6)];
    if (ct)
        set_ok(ce_event_set_str(e, "datacontenttype", ct, err, sizeof err), "datacontenttype");
    uint32_t next = rnd(9);
    for (uint32_t k = 0; k < next; k++) {
        char name[16];
        size_t nl = 1 + rnd(12);
        for (size_t i = 0; i < nl; i++)
            name[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[rnd(36)];
        name[nl] = 0;
        if (ce__spec_attr_type(name, nl) || strcmp(name, "data") == 0)
            continue;
        switch (rnd(7)) {
        case 0:
            set_ok(ce_event_set_bool(e, name, (int)rnd(2), err, sizeof err), name);
            break;
        case 1: {
            static const int32_t edge[] = {0, 1, -1, INT32_MAX, INT32_MIN};
            int32_t v = rnd(2) ? edge[rnd(5)] : (int32_t)(rng & 0xffffffffu);
            set_ok(ce_event_set_int(e, name, v, err, sizeof err), name);
            break;
        }
        case 2:
            rand_ce_string(s, &n, 30, false);
            set_ok(ce_event_set(e, name, CE_TYPE_STRING, s, n, err, sizeof err), name);
            break;
        case 3: {
            unsigned char bin[24];
            size_t bl = rnd(24);
            for (size_t i = 0; i < bl; i++)
                bin[i] = (unsigned char)rnd(256);
            set_ok(ce_event_set_binary(e, name, bin, bl, err, sizeof err), name);
            break;
        }
        case 4:
            set_ok(
                ce_event_set(e, name, CE_TYPE_URI, "https://x.example/p?q=1", 23, err, sizeof err),
                name);
            break;
        case 5:
            set_ok(ce_event_set(e, name, CE_TYPE_URI_REF, "../up#frag", 10, err, sizeof err), name);
            break;
        default:
            rand_timestamp(s);
            set_ok(ce_event_set(e, name, CE_TYPE_TIMESTAMP, s, strlen(s), err, sizeof err), name);
        }
    }
    bool json_ct = !ct || ce_media_type_is_json(ct, strlen(ct));
    ce_buf d;
    ce_buf_init(&d);
    /* JSON data only under a JSON (or no) content type, text only under a non-JSON one:
     * the other pairings are not representable the same way after a round trip. */
    int kind = (int)rnd(4);
    if (kind == CE_DATA_JSON && !json_ct)
        kind = CE_DATA_TEXT;
    else if (kind == CE_DATA_TEXT && json_ct)
        kind = CE_DATA_JSON;
    if (kind == CE_DATA_JSON) {
        rand_json(&d, 0);
        set_ok(ce_event_set_data(e, CE_DATA_JSON, d.ptr, d.len, err, sizeof err), "json");
    } else if (kind == CE_DATA_TEXT) {
        rand_ce_string(s, &n, 60, false);
        s[n++] = '\n';
        s[n++] = '\t';
        s[n++] = 0;
        set_ok(ce_event_set_data(e, CE_DATA_TEXT, s, n, err, sizeof err), "text");
    } else if (kind == CE_DATA_BINARY) {
        unsigned char bin[64];
        size_t bl = rnd(64);
        for (size_t i = 0; i < bl; i++)
            bin[i] = (unsigned char)rnd(256);
        set_ok(ce_event_set_data(e, CE_DATA_BINARY, bin, bl, err, sizeof err), "binary");
    }
    ce_buf_free(&d);
    return e;
}

TEST(round_trip_random_events)
{
    ce_buf a, b, c;
    ce_buf_init(&a);
    ce_buf_init(&b);
    ce_buf_init(&c);
    int kinds[4] = {0};
    for (int iter = 0; iter < 3000; iter++) {
        ce_event *e = rand_event();
        kinds[ce_event_data_kind(e)]++;
        a.len = b.len = c.len = 0;
        CHECK_EQ_INT(ce_json_encode(e, 0, &a, err, sizeof err), 0);
        CHECK_EQ_INT(ce_json_encode(e, 0, &b, err, sizeof err), 0);
        CHECK_EQ_MEM(a.ptr, a.len, b.ptr, b.len); /* deterministic */
        ce_event *d = NULL;
        int rc = ce_json_decode(a.ptr, a.len, NULL, &d, err, sizeof err);
        if (rc) {
            cer_test_fail(__FILE__, __LINE__, "decode of own output failed: %s\n%.*s", err,
                          (int)a.len, a.ptr);
            ce_event_destroy(e);
            break;
        }
        if (!ce_event_equal(e, d)) {
            cer_test_fail(__FILE__, __LINE__, "round trip changed the event:\n%.*s", (int)a.len,
                          a.ptr);
            ce_event_destroy(e);
            ce_event_destroy(d);
            break;
        }
        b.len = 0;
        CHECK_EQ_INT(ce_json_encode(d, 0, &b, err, sizeof err), 0);
        CHECK_EQ_MEM(a.ptr, a.len, b.ptr, b.len);
        /* Compact data: decodes, and is a fixed point of both encodings. */
        CHECK_EQ_INT(ce_json_encode(e, CE_JSON_COMPACT_DATA, &c, err, sizeof err), 0);
        ce_event *dc = NULL;
        CHECK_EQ_INT(ce_json_decode(c.ptr, c.len, NULL, &dc, err, sizeof err), 0);
        if (dc) {
            b.len = 0;
            CHECK_EQ_INT(ce_json_encode(dc, 0, &b, err, sizeof err), 0);
            CHECK_EQ_MEM(b.ptr, b.len, c.ptr, c.len);
        }
        ce_event_destroy(dc);
        ce_event_destroy(d);
        ce_event_destroy(e);
    }
    /* the generator must actually cover every data kind */
    for (int k = 0; k < 4; k++)
        CHECK(kinds[k] > 300);
    ce_buf_free(&a);
    ce_buf_free(&b);
    ce_buf_free(&c);
}

static int collect_cb(void *ctx, size_t index, ce_event *ev, int rc, const char *msg)
{
    ce_event **out = ctx;
    if (rc)
        cer_test_fail(__FILE__, __LINE__, "element %zu: %s", index, msg);
    out[index] = ev;
    return 0;
}

TEST(round_trip_random_batches)
{
    ce_buf a, b;
    ce_buf_init(&a);
    ce_buf_init(&b);
    for (int iter = 0; iter < 200; iter++) {
        ce_event *evs[12] = {0}, *back[12] = {0};
        size_t n = rnd(12);
        for (size_t k = 0; k < n; k++)
            evs[k] = rand_event();
        a.len = b.len = 0;
        CHECK_EQ_INT(ce_json_encode_batch((const ce_event *const *)evs, n, 0, &a, err, sizeof err),
                     0);
        CHECK_EQ_INT(ce_json_decode_batch(a.ptr, a.len, NULL, collect_cb, back, err, sizeof err),
                     0);
        for (size_t k = 0; k < n; k++) {
            CHECK(back[k] && ce_event_equal(evs[k], back[k]));
            ce_event_destroy(evs[k]);
            ce_event_destroy(back[k]);
        }
    }
    ce_buf_free(&a);
    ce_buf_free(&b);
}

TEST(damaged_input_never_crashes)
{
    /* Flip, drop or duplicate bytes of valid encodings: the decoder must fail cleanly or give
     * an event that round-trips. (ASan/UBSan builds make this a memory-safety test.) */
    ce_buf a, b;
    ce_buf_init(&a);
    ce_buf_init(&b);
    ce_event *ev = ce_event_new();
    int decoded = 0;
    for (int iter = 0; iter < 3000; iter++) {
        ce_event *e = rand_event();
        a.len = 0;
        ce_json_encode(e, 0, &a, err, sizeof err);
        ce_event_destroy(e);
        char *m = malloc(a.len + 1);
        memcpy(m, a.ptr, a.len);
        size_t n = a.len, at = rnd((uint32_t)n);
        static const char junk[] = "\"\\{}[],:0-e.tnu\x80\xc3\xff \x01";
        switch (rnd(3)) {
        case 0:
            m[at] = junk[rnd(sizeof junk - 1)];
            break;
        case 1:
            n = at; /* truncate */
            break;
        default:
            memmove(m + at, m + at + 1, n - at - 1);
            n--;
        }
        if (ce__json_decode_into(m, n, NULL, ev, err, sizeof err) == 0) {
            decoded++;
            b.len = 0;
            CHECK_EQ_INT(ce_json_encode(ev, 0, &b, err, sizeof err), 0);
            ce_event *again = NULL;
            CHECK_EQ_INT(ce_json_decode(b.ptr, b.len, NULL, &again, err, sizeof err), 0);
            CHECK(again && ce_event_equal(ev, again));
            ce_event_destroy(again);
        } else {
            CHECK(strlen(err) > 0);
        }
        free(m);
    }
    CHECK(decoded > 0);
    ce_event_destroy(ev);
    ce_buf_free(&a);
    ce_buf_free(&b);
}

/* ---- allocation failures ------------------------------------------------------------------ */

static long alloc_budget = -1; /* allocations left before failing; -1 = unlimited */
static long alloc_count;

static void *fail_malloc(size_t n)
{
    alloc_count++;
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return malloc(n);
}

static void *fail_realloc(void *p, size_t n)
{
    alloc_count++;
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return realloc(p, n);
}

TEST(allocation_failures_reported)
{
    /* An event that needs every allocation path of the decoder: heap scratch for a long escaped
     * string, escaped member names, more extensions than the inline duplicate table, a Binary
     * extension and base64 data. */
    ce_buf in;
    ce_buf_init(&in);
    const char *head = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\","
                       "\"subject\":\"";
    ce_buf_append(&in, head, strlen(head));
    for (int k = 0; k < 700; k++)
        ce_buf_append(&in, "\\u00e9", 6);
    ce_buf_append(&in, "\",\"\\u0065scaped\":true", 21);
    for (int k = 0; k < 40; k++) {
        char m[32];
        int n = snprintf(m, sizeof m, ",\"e%d\":%d", k, k);
        ce_buf_append(&in, m, (size_t)n);
    }
    const char *tail = ",\"data_base64\":\"aGVsbG8gd29ybGQ=\"}";
    ce_buf_append(&in, tail, strlen(tail));
    ce_allocator fa = {fail_malloc, fail_realloc, free};
    ce_set_allocator(&fa);
    alloc_budget = -1;
    alloc_count = 0;
    ce_event *e = NULL;
    int rc = ce_json_decode(in.ptr, in.len, NULL, &e, err, sizeof err);
    long needed = alloc_count;
    ce_set_allocator(NULL);
    CHECK_EQ_INT(rc, 0);
    CHECK(needed > 5);
    ce_buf out;
    for (long budget = 0; budget <= needed + 2; budget++) {
        ce_set_allocator(&fa);
        alloc_budget = budget;
        ce_event *d = NULL;
        rc = ce_json_decode(in.ptr, in.len, NULL, &d, err, sizeof err);
        if (budget < needed) {
            if (rc != CE_ENOMEM)
                cer_test_fail(__FILE__, __LINE__, "budget %ld: rc %s (%s)", budget, ce_err_name(rc),
                              err);
            CHECK(d == NULL);
        } else {
            CHECK_EQ_INT(rc, 0);
        }
        if (d) {
            ce_buf_init(&out);
            alloc_budget = 0; /* the encoder's only allocation is the output buffer */
            CHECK_EQ_INT(ce_json_encode(d, 0, &out, err, sizeof err), CE_ENOMEM);
            CHECK_EQ_INT(out.len, 0);
            ce_buf_free(&out);
            CHECK(ce_event_equal(d, e));
        }
        ce_set_allocator(NULL);
        ce_event_destroy(d);
    }
    ce_event_destroy(e);
    ce_buf_free(&in);
}
