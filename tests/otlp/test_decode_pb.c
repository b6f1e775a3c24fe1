/* Tests of binary protobuf decoding (src/otlp/decode_pb.c, request.c): payloads are built with
 * the generated protobuf-c structs and packed, or written byte by byte where a malformed
 * encoding is the point. */
#include "otlptest.h"

static int decode(cer_otlp_signal sig, const void *b, size_t n, const cer_otlp_limits *lim,
                  cer_otlp_request **r, char *err, size_t errsz)
{
    return cer_otlp_decode(sig, CER_OTLP_PROTOBUF, b, n, lim, r, err, errsz);
}

static cer__otlp_logs_req *sample_logs(size_t nrec)
{
    cer__otlp_log *recs[16];
    for (size_t i = 0; i < nrec; i++) {
        cer__otlp_log *l = log_rec();
        l->time_unix_nano = 1772193600000000000ull + i;
        l->severity_number = 9;
        l->severity_text = t_str("INFO");
        l->trace_id = hexbytes("4bf92f3577b34da6a3ce929d0e0e4736");
        l->span_id = hexbytes("00f067aa0ba902b7");
        l->body = any_str("hello");
        cer__otlp_kv *a[] = {kv("k", any_int(-5)), kv("d", any_double(1.5))};
        l->n_attributes = 2;
        l->attributes = kvs(2, a);
        recs[i] = l;
    }
    cer__otlp_kv *res[] = {kv("service.name", any_str("svc"))};
    return logs_req(resource(1, res), nrec, recs);
}

TEST(logs_round_trip)
{
    size_t n;
    uint8_t *b = pack(&sample_logs(2)->base, &n);
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n, NULL, &r, err, sizeof err), 0);
    if (!r) {
        t_free_all();
        return;
    }
    CHECK_EQ_INT(cer_otlp_request_signal(r), CER_OTLP_LOGS);
    CHECK_EQ_INT(cer_otlp_request_count(r), 2);
    const cer__otlp_log *l = r->logs->resource_logs[0]->scope_logs[0]->log_records[1];
    CHECK_EQ_INT(l->time_unix_nano, 1772193600000000001ull);
    CHECK_EQ_STR(l->severity_text, "INFO");
    CHECK_EQ_INT(l->trace_id.len, 16);
    CHECK_EQ_INT(l->trace_id.data[0], 0x4b);
    CHECK_EQ_STR(l->body->string_value, "hello");
    CHECK_EQ_INT(l->attributes[0]->value->int_value, -5);
    CHECK_EQ_STR(r->logs->resource_logs[0]->resource->attributes[0]->key, "service.name");
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(traces_round_trip)
{
    cer__otlp_span *s = span_new();
    s->name = t_str("chat");
    s->kind = 3;
    s->start_time_unix_nano = 10;
    s->end_time_unix_nano = 20;
    cer__otlp_span *sp[] = {s, s, s};
    size_t n;
    uint8_t *b = pack(&trace_req(NULL, 3, sp)->base, &n);
    cer_otlp_request *r = NULL;
    CHECK_EQ_INT(decode(CER_OTLP_TRACES, b, n, NULL, &r, NULL, 0), 0);
    if (!r) {
        t_free_all();
        return;
    }
    CHECK_EQ_INT(cer_otlp_request_count(r), 3);
    const cer__otlp_span *d = r->traces->resource_spans[0]->scope_spans[0]->spans[2];
    CHECK_EQ_STR(d->name, "chat");
    CHECK_EQ_INT(d->kind, 3);
    CHECK_EQ_INT(d->end_time_unix_nano, 20);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(empty_body_is_an_empty_request)
{
    cer_otlp_request *r = NULL;
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, "", 0, NULL, &r, NULL, 0), 0);
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(cer_otlp_request_count(r), 0);
        CHECK_EQ_INT(r->logs->n_resource_logs, 0);
    }
    cer_otlp_request_destroy(r);
    cer_otlp_request_destroy(NULL);
}

TEST(truncated_inner_length_names_the_field)
{
    /* ResourceLogs > ScopeLogs > LogRecord > body(AnyValue) > string_value, whose length (5)
     * runs past the end of its AnyValue (4 bytes long, ending at byte 12). */
    static const uint8_t b[] = {0x0a, 0x0a, 0x12, 0x08, 0x12, 0x06,
                                0x2a, 0x04, 0x0a, 0x05, 'h',  'i'};
    cer_otlp_request *r = (cer_otlp_request *)1;
    char err[256];
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, sizeof b, NULL, &r, err, sizeof err), CE_ESYNTAX);
    CHECK(r == NULL);
    CHECK_EQ_STR(err, "resource_logs[0].scope_logs[0].log_records[0].body.string_value: "
                      "truncated: length 5 at byte 9 runs past the end of the enclosing message "
                      "at byte 12");
}

TEST(truncated_body_every_prefix)
{
    /* Every strict prefix fails with CE_ESYNTAX naming a byte offset, or (cut exactly between
     * two top-level fields) decodes; nothing crashes or leaks. */
    size_t n;
    uint8_t *b = pack(&sample_logs(2)->base, &n);
    int failed = 0;
    for (size_t cut = 1; cut < n; cut++) {
        cer_otlp_request *r = NULL;
        char err[256] = "";
        int rc = decode(CER_OTLP_LOGS, b, cut, NULL, &r, err, sizeof err);
        if (rc) {
            failed++;
            CHECK_EQ_INT(rc, CE_ESYNTAX);
            CHECK_CONTAINS(err, "byte ");
            CHECK_CONTAINS(err, "truncated");
        }
        cer_otlp_request_destroy(r);
    }
    /* The request is one top-level field, so every prefix is truncated. */
    CHECK_EQ_INT(failed, (long long)n - 1);
    /* Cut one byte short: the outermost length is the first to run out. */
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n - 1, NULL, &r, err, sizeof err), CE_ESYNTAX);
    size_t inner = b[1] & 0x7f, lenbytes = 1;
    if (b[1] & 0x80) {
        inner |= (size_t)b[2] << 7;
        lenbytes = 2;
    }
    CHECK_EQ_INT(1 + lenbytes + inner, n);
    char want[160];
    snprintf(want, sizeof want,
             "resource_logs[0]: truncated: length %zu at byte 1 runs past the end of the "
             "enclosing message at byte %zu",
             inner, n - 1);
    CHECK_EQ_STR(err, want);
    t_free_all();
}

TEST(wire_type_mismatch)
{
    /* LogRecord.time_unix_nano (field 1, fixed64) sent as a varint. */
    static const uint8_t b[] = {0x0a, 0x08, 0x12, 0x06, 0x12, 0x04, 0x08, 0x96, 0x01, 0x00};
    char err[256];
    cer_otlp_request *r = NULL;
    int rc = decode(CER_OTLP_LOGS, b, sizeof b, NULL, &r, err, sizeof err);
    CHECK_EQ_INT(rc, CE_ESYNTAX);
    CHECK_EQ_STR(err, "resource_logs[0].scope_logs[0].log_records[0].time_unix_nano: wire type 0 "
                      "at byte 6, expected 1");
}

TEST(malformed_wire_encodings)
{
    static const struct {
        const char *name;
        uint8_t b[16];
        size_t n;
        const char *want;
    } cases[] = {
        {"unknown field", {0xfa, 0x01, 0x05}, 3, "<field 31>: truncated: length 5 at byte 2"},
        {"field zero", {0x00, 0x00}, 2, "invalid field number 0 at byte 0"},
        {"wire type 7", {0x0f}, 1, "invalid wire type 7 at byte 0"},
        {"varint too long",
         {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
         12,
         "malformed varint at byte 1"},
        {"truncated tag", {0x80}, 1, "truncated field tag at byte 0"},
        {"fixed64 short", {0x09, 1, 2, 3}, 4, "truncated: 8-byte fixed value at byte 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        cer_otlp_request *r = NULL;
        int rc = decode(CER_OTLP_TRACES, cases[i].b, cases[i].n, NULL, &r, err, sizeof err);
        if (rc != CE_ESYNTAX)
            cer_test_fail(__FILE__, __LINE__, "%s: rc %d", cases[i].name, rc);
        CHECK_CONTAINS(err, cases[i].want);
        CHECK(r == NULL);
    }
    /* Group wire types are refused whatever the field. */
    char err[256];
    cer_otlp_request *r = NULL;
    static const uint8_t g[] = {0x0b, 0x0c};
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, g, 2, NULL, &r, err, sizeof err), CE_ESYNTAX);
    CHECK_CONTAINS(err, "groups (wire type 3) are not supported");
}

TEST(unknown_fields_are_skipped)
{
    size_t n;
    uint8_t *b = pack(&sample_logs(1)->base, &n);
    /* Append unknown top-level fields of every wire type: 15 varint, 16 fixed64, 17 bytes,
     * 18 fixed32. */
    uint8_t more[64];
    size_t m = 0;
    memcpy(more, (uint8_t[]){0x78, 0x96, 0x01}, 3);
    m += 3;
    more[m++] = 0x81;
    more[m++] = 0x01;
    for (int i = 0; i < 8; i++)
        more[m++] = (uint8_t)i;
    more[m++] = 0x8a;
    more[m++] = 0x01;
    more[m++] = 3;
    more[m++] = 'x';
    more[m++] = 'y';
    more[m++] = 'z';
    more[m++] = 0x95;
    more[m++] = 0x01;
    for (int i = 0; i < 4; i++)
        more[m++] = (uint8_t)i;
    uint8_t *all = t_alloc(n + m);
    memcpy(all, b, n);
    memcpy(all + n, more, m);
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, all, n + m, NULL, &r, err, sizeof err), 0);
    if (r)
        CHECK_EQ_INT(cer_otlp_request_count(r), 1);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(record_cap)
{
    size_t n;
    uint8_t *b = pack(&sample_logs(3)->base, &n);
    cer_otlp_limits lim = {.max_records = 2};
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n, &lim, &r, err, sizeof err), CE_ELIMIT);
    CHECK_EQ_STR(err, "resource_logs[0].scope_logs[0].log_records[2]: more than 2 records in one "
                      "request");
    lim.max_records = 3;
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n, &lim, &r, err, sizeof err), 0);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(attribute_cap)
{
    cer__otlp_log *l = log_rec();
    cer__otlp_kv *a[] = {kv("a", any_int(1)), kv("b", any_int(2)), kv("c", any_int(3))};
    l->n_attributes = 3;
    l->attributes = kvs(3, a);
    cer__otlp_log *recs[] = {l};
    size_t n;
    uint8_t *b = pack(&logs_req(NULL, 1, recs)->base, &n);
    cer_otlp_limits lim = {.max_attributes = 2};
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n, &lim, &r, err, sizeof err), CE_ELIMIT);
    CHECK_EQ_STR(err, "resource_logs[0].scope_logs[0].log_records[0].attributes[2]: more than 2 "
                      "entries in one list");
    t_free_all();
}

/* An AnyValue nested `levels` deep in arrays ([[[...]]]), as one log record's body. */
static uint8_t *nested_body(size_t levels, size_t *len)
{
    size_t cap = levels * 12 + 64, pos = cap;
    uint8_t *b = t_alloc(cap);
    /* Written back to front: innermost AnyValue is empty (0 bytes). */
    size_t inner = 0;
    for (size_t i = 1; i < levels; i++) {
        /* ArrayValue{values(1): AnyValue}, then AnyValue{array_value(5): ArrayValue}. */
        for (int step = 0; step < 2; step++) {
            uint8_t tmp[10];
            size_t k = 0;
            size_t v = inner;
            do {
                tmp[k++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                v >>= 7;
            } while (v);
            pos -= k;
            memcpy(b + pos, tmp, k);
            b[--pos] = step == 0 ? 0x0a : 0x2a;
            inner = cap - pos;
        }
    }
    /* LogRecord{body(5)}, ScopeLogs{log_records(2)}, ResourceLogs{scope_logs(2)},
     * request{resource_logs(1)}. */
    static const uint8_t tags[] = {0x2a, 0x12, 0x12, 0x0a};
    for (int t = 0; t < 4; t++) {
        uint8_t tmp[10];
        size_t k = 0, v = inner;
        do {
            tmp[k++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            v >>= 7;
        } while (v);
        pos -= k;
        memcpy(b + pos, tmp, k);
        b[--pos] = tags[t];
        inner = cap - pos;
    }
    *len = cap - pos;
    return b + pos;
}

TEST(depth_cap)
{
    size_t n;
    uint8_t *b = nested_body(5, &n);
    cer_otlp_limits lim = {.max_depth = 5};
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n, &lim, &r, err, sizeof err), 0);
    cer_otlp_request_destroy(r);
    lim.max_depth = 4;
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n, &lim, &r, err, sizeof err), CE_EDEPTH);
    CHECK_CONTAINS(err, "log_records[0].body.array_value.values[0].array_value.values[0]."
                        "array_value.values[0].array_value.values[0]: values nested deeper "
                        "than 4");
    /* A million levels fail fast on the cap (no recursion into them, no stack overflow). */
    b = nested_body(1000000, &n);
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n, NULL, &r, err, sizeof err), CE_EDEPTH);
    CHECK_CONTAINS(err, "values nested deeper than 32");
    t_free_all();
}

TEST(memory_and_size_caps)
{
    size_t n;
    uint8_t *b = pack(&sample_logs(16)->base, &n);
    cer_otlp_limits lim = {.max_memory_bytes = 4096};
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n, &lim, &r, err, sizeof err), CE_ETOOBIG);
    CHECK_EQ_STR(err, "decoded request needs more than 4096 bytes of memory");
    lim = (cer_otlp_limits){.max_decoded_bytes = n - 1};
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n, &lim, &r, err, sizeof err), CE_ETOOBIG);
    CHECK_CONTAINS(err, "exceeds the");
    lim.max_decoded_bytes = n;
    CHECK_EQ_INT(decode(CER_OTLP_LOGS, b, n, &lim, &r, err, sizeof err), 0);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(bad_arguments)
{
    cer_otlp_request *r = NULL;
    char err[128];
    CHECK_EQ_INT(
        cer_otlp_decode((cer_otlp_signal)3, CER_OTLP_PROTOBUF, "", 0, NULL, &r, err, sizeof err),
        CE_EINVAL);
    CHECK_EQ_INT(
        cer_otlp_decode(CER_OTLP_LOGS, (cer_otlp_encoding)0, "", 0, NULL, &r, err, sizeof err),
        CE_EINVAL);
    CHECK_EQ_INT(
        cer_otlp_decode(CER_OTLP_LOGS, CER_OTLP_PROTOBUF, NULL, 3, NULL, &r, err, sizeof err),
        CE_EINVAL);
    CHECK_EQ_INT(
        cer_otlp_decode(CER_OTLP_LOGS, CER_OTLP_PROTOBUF, "", 0, NULL, NULL, err, sizeof err),
        CE_EINVAL);
}

TEST(random_mutations_do_not_crash)
{
    /* A deterministic mutation loop over a valid payload: every outcome is a clean success or
     * a clean error (ASan/UBSan builds check the memory side). */
    size_t n;
    uint8_t *orig = pack(&sample_logs(3)->base, &n);
    uint8_t *b = t_alloc(n);
    uint32_t seed = 12345;
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(b, orig, n);
        int flips = 1 + iter % 4;
        for (int f = 0; f < flips; f++) {
            seed = seed * 1103515245u + 12345u;
            b[(seed >> 8) % n] = (uint8_t)(seed >> 20);
        }
        cer_otlp_request *r = NULL;
        char err[256];
        if (decode(CER_OTLP_LOGS, b, n, NULL, &r, err, sizeof err) == 0) {
            ok++;
            collect c = {0};
            cer_otlp_map(r, NULL, on_event, on_reject, &c, NULL, NULL, 0);
            collect_free(&c);
        } else {
            bad++;
        }
        cer_otlp_request_destroy(r);
    }
    CHECK(ok > 0);
    CHECK(bad > 0);
    t_free_all();
}

/* ---- allocation failure: fail the Nth allocation, for every N until a run succeeds ---- */
static long alloc_budget = -1;
static int count_event(void *ctx, const ce_event *ev)
{
    (void)ev;
    ++*(int *)ctx;
    return 0;
}
static void *fail_malloc(size_t n)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return malloc(n);
}
static void *fail_realloc(void *p, size_t n)
{
    if (alloc_budget == 0)
        return NULL;
    if (alloc_budget > 0)
        alloc_budget--;
    return realloc(p, n);
}

TEST(allocation_failures)
{
    size_t n;
    uint8_t *b = pack(&sample_logs(2)->base, &n);
    ce_allocator a = {fail_malloc, fail_realloc, free};
    ce_set_allocator(&a);
    int nomem = 0;
    for (long k = 0; k < 10000; k++) {
        alloc_budget = k;
        cer_otlp_request *r = NULL;
        char err[256];
        int rc = decode(CER_OTLP_LOGS, b, n, NULL, &r, err, sizeof err);
        if (rc == 0) {
            int events = 0;
            rc = cer_otlp_map(r, NULL, count_event, NULL, &events, NULL, err, sizeof err);
            alloc_budget = -1;
            if (rc == 0)
                CHECK_EQ_INT(events, 2);
            cer_otlp_request_destroy(r);
            if (rc == 0)
                break;
        }
        alloc_budget = -1;
        if (rc != CE_ENOMEM)
            cer_test_fail(__FILE__, __LINE__, "budget %ld: rc %s (%s)", k, ce_err_name(rc), err);
        nomem++;
    }
    alloc_budget = -1;
    ce_set_allocator(NULL);
    CHECK(nomem > 3);
    t_free_all();
}
