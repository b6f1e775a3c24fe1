/* Tests for the Kafka protocol binding (src/ce/binding_kafka.c): spec examples as golden files,
 * the conformance scenarios, round trips, key mapping and error reporting. */
#include <stdarg.h>
#include <stdlib.h>

#include "harness.h"

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"

/* ---- helpers ------------------------------------------------------------------------- */

/* Event from name/value pairs (NULL-terminated), each set with its fixed type. */
static ce_event *ev_make(const char *name, ...)
{
    char err[256];
    ce_event *e = ce_event_new();
    va_list ap;
    va_start(ap, name);
    for (const char *n = name; n; n = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        int rc = ce_event_set_str(e, n, v, err, sizeof err);
        if (rc)
            cer_test_fail(__FILE__, __LINE__, "set %s: %s", n, err);
    }
    va_end(ap);
    return e;
}

static ce_event *ev_example(void)
{
    return ev_make("specversion", "1.0", "type", "com.example.someevent", "source",
                   "/mycontext/subcontext", "id", "1234-1234-1234", "time", "2018-04-05T03:56:24Z",
                   NULL);
}

/* Golden file contents, or NULL (without failing) when the file does not exist. */
static char *golden(const char *name, const char *ext, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/ce/golden/bindings/%s.%s", name, ext);
    const char *path = cer_test_src_path(rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fclose(f);
    return cer_test_read_file(path, len);
}

/* "name: value\n" per header. */
static char *render_headers(const ce_header *h, size_t n, size_t *len)
{
    size_t cap = 1, k = 0;
    for (size_t i = 0; i < n; i++)
        cap += h[i].name.len + h[i].value.len + 3;
    char *s = malloc(cap);
    for (size_t i = 0; i < n; i++) {
        memcpy(s + k, h[i].name.ptr, h[i].name.len);
        k += h[i].name.len;
        memcpy(s + k, ": ", 2);
        k += 2;
        memcpy(s + k, h[i].value.ptr, h[i].value.len);
        k += h[i].value.len;
        s[k++] = '\n';
    }
    s[k] = 0;
    *len = k;
    return s;
}

/* Split a golden header file into headers (slices into text). */
static size_t parse_headers(const char *text, size_t len, ce_header *out, size_t cap)
{
    size_t n = 0, i = 0;
    while (i < len && n < cap) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *line = text + i;
        size_t llen = end - i;
        const char *colon = memchr(line, ':', llen);
        if (colon && colon + 1 < line + llen && colon[1] == ' ') {
            out[n].name = (ce_slice){line, (size_t)(colon - line)};
            out[n].value = (ce_slice){colon + 2, llen - (size_t)(colon - line) - 2};
            n++;
        }
        i = end + 1;
    }
    return n;
}

static ce_header H(const char *name, const char *value)
{
    ce_header h = {{name, strlen(name)}, {value, strlen(value)}};
    return h;
}

static ce_slice S(const char *s)
{
    return (ce_slice){s, s ? strlen(s) : 0};
}

static void check_str_attr(const ce_event *e, const char *name, const char *want)
{
    ce_slice s = ce_event_get_str(e, name);
    if (!s.ptr) {
        cer_test_fail(__FILE__, __LINE__, "attribute %s missing (want \"%s\")", name, want);
        return;
    }
    CHECK_EQ_MEM(s.ptr, s.len, want, strlen(want));
}

/* Encode `e` and compare with golden files `name`.{headers,key,value}; then decode the golden
 * message and compare it with `e`. */
static void check_golden(const char *name, const ce_event *e, ce_mode mode, unsigned flags,
                         const char *key_tmpl)
{
    char err[256] = "";
    ce_kafka_msg *m = ce_kafka_msg_new(0);
    int rc = ce_kafka_encode(m, e, mode, flags, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        fprintf(stderr, "encode: %s\n", err);
    CHECK_EQ_INT(ce_kafka_msg_set_key(m, e, key_tmpl, err, sizeof err), 0);
    ce_kafka_message v = ce_kafka_msg_view(m);

    size_t hlen, glen, klen, vlen;
    char *hs = render_headers(v.headers, v.header_count, &hlen);
    char *gh = golden(name, "headers", &glen);
    char *gk = golden(name, "key", &klen);
    char *gv = golden(name, "value", &vlen);
    CHECK(gh != NULL);
    if (gh)
        CHECK_EQ_MEM(hs, hlen, gh, glen);
    if (gk) {
        CHECK(v.key.ptr != NULL);
        if (v.key.ptr)
            CHECK_EQ_MEM(v.key.ptr, v.key.len, gk, klen);
    } else {
        CHECK(v.key.ptr == NULL);
    }
    if (gv) {
        CHECK(v.value.ptr != NULL);
        if (v.value.ptr)
            CHECK_EQ_MEM(v.value.ptr, v.value.len, gv, vlen);
    } else {
        CHECK(v.value.ptr == NULL);
    }

    /* decode the golden message */
    if (gh) {
        ce_header hdrs[32];
        size_t n = parse_headers(gh, glen, hdrs, 32);
        ce_kafka_message in = {{gk, gk ? klen : 0}, {gv, gv ? vlen : 0}, hdrs, n};
        ce_event *d = NULL;
        rc = ce_kafka_decode(&in, NULL, &d, err, sizeof err);
        CHECK_EQ_INT(rc, 0);
        if (rc)
            fprintf(stderr, "decode: %s\n", err);
        CHECK(d && ce_event_equal(d, e));
        ce_event_destroy(d);
    }
    free(hs);
    free(gh);
    free(gk);
    free(gv);
    ce_kafka_msg_destroy(m);
}

static ce_event *ev_from_json_file(const char *rel)
{
    size_t len;
    char *s = cer_test_read_file(cer_test_src_path(rel), &len);
    char err[256];
    ce_event *e = NULL;
    if (s && ce_json_decode(s, len, NULL, &e, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "%s: %s", rel, err);
    free(s);
    return e;
}

/* Decode headers + value, expecting failure `want` and an error naming `needle`. */
static void check_decode_error(const ce_header *h, size_t n, ce_slice value, int want,
                               const char *needle)
{
    char err[256] = "";
    ce_kafka_message m = {{NULL, 0}, value, h, n};
    ce_event *e = (ce_event *)1;
    int rc = ce_kafka_decode(&m, NULL, &e, err, sizeof err);
    if (rc != want)
        cer_test_fail(__FILE__, __LINE__, "rc %s (%s), want %s", ce_err_name(rc), err,
                      ce_err_name(want));
    CHECK(e == NULL);
    CHECK_CONTAINS(err, needle);
    ce_event_destroy(rc == 0 ? e : NULL);
}

#define REQ_HEADERS                                                                                \
    H("ce_specversion", "1.0"), H("ce_id", "1234-1234-1234"),                                      \
        H("ce_type", "com.example.someevent"), H("ce_source", "/mycontext/subcontext")

/* ---- golden files: spec examples and seeds -------------------------------------------- */

TEST(golden_binary_example)
{
    char err[256];
    ce_event *e = ev_example();
    ce_event_set_str(e, "datacontenttype", "application/avro", err, sizeof err);
    ce_event_set_str(e, "partitionkey", "mykey", err, sizeof err);
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_BINARY, "\x18Hello World!", 13, err, sizeof err), 0);
    check_golden("kafka_binary_example", e, CE_MODE_BINARY, 0, NULL);
    ce_event_destroy(e);
}

TEST(golden_structured_example)
{
    char err[256];
    ce_event *e = ev_example();
    ce_event_set_str(e, "datacontenttype", "application/xml", err, sizeof err);
    ce_event_set_str(e, "partitionkey", "mykey", err, sizeof err);
    const char *xml = "<much wow=\"xml\"/>";
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_TEXT, xml, strlen(xml), err, sizeof err), 0);
    check_golden("kafka_structured_example", e, CE_MODE_STRUCTURED, 0, NULL);
    ce_event_destroy(e);
}

TEST(golden_tombstone)
{
    ce_event *e =
        ev_make("specversion", "1.0", "id", "1234-1234-1234", "source", "/mycontext/subcontext",
                "type", "com.example.deleted", "subject", "order-42", NULL);
    check_golden("kafka_tombstone", e, CE_MODE_BINARY, 0, NULL);
    ce_event_destroy(e);
}

TEST(golden_seed000_binary)
{
    ce_event *e = ev_from_json_file("tests/ce/golden/bindings/seed000_event.json");
    CHECK(e != NULL);
    if (e)
        check_golden("kafka_seed000_binary", e, CE_MODE_BINARY, 0, NULL);
    ce_event_destroy(e);
}

TEST(golden_seed002_structured_with_headers)
{
    ce_event *e = ev_from_json_file("tests/ce/golden/bindings/seed002_event.json");
    CHECK(e != NULL);
    if (e)
        check_golden("kafka_seed002_structured", e, CE_MODE_STRUCTURED, CE_BIND_ATTR_HEADERS, NULL);
    ce_event_destroy(e);
}

/* ---- conformance: kafka-protocol-binding.feature -------------------------------------- */

static void check_feature_attributes(const ce_event *e)
{
    check_str_attr(e, "id", "1234-1234-1234");
    check_str_attr(e, "specversion", "1.0");
    check_str_attr(e, "type", "com.example.someevent");
    check_str_attr(e, "source", "/mycontext/subcontext");
    check_str_attr(e, "time", "2018-04-05T03:56:24Z");
    check_str_attr(e, "datacontenttype", "application/json");
    CHECK_EQ_INT(ce_event_attr_count(e), 6);
}

TEST(feature_binary_content_mode)
{
    const char *payload = "{\"message\": \"Hello World!\"}";
    ce_header h[] = {H("ce_specversion", "1.0"),
                     H("ce_id", "1234-1234-1234"),
                     H("ce_type", "com.example.someevent"),
                     H("ce_source", "/mycontext/subcontext"),
                     H("ce_time", "2018-04-05T03:56:24Z"),
                     H("content-type", "application/json")};
    ce_kafka_message m = {{NULL, 0}, S(payload), h, 6};
    char err[256];
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_kafka_decode(&m, NULL, &e, err, sizeof err), 0);
    if (!e)
        return;
    check_feature_attributes(e);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_JSON);
    ce_slice d = ce_event_data(e);
    CHECK_EQ_MEM(d.ptr, d.len, payload, strlen(payload));
    ce_event_destroy(e);
}

static void feature_structured(const char *content_type)
{
    const char *payload = "{\n"
                          "    \"specversion\": \"1.0\",\n"
                          "    \"type\": \"com.example.someevent\",\n"
                          "    \"time\": \"2018-04-05T03:56:24Z\",\n"
                          "    \"id\": \"1234-1234-1234\",\n"
                          "    \"source\": \"/mycontext/subcontext\",\n"
                          "    \"datacontenttype\": \"application/json\",\n"
                          "    \"data\": {\n"
                          "        \"message\": \"Hello World!\"\n"
                          "    }\n"
                          "}";
    ce_header h[] = {H("content-type", content_type)};
    ce_kafka_message m = {{NULL, 0}, S(payload), h, 1};
    char err[256];
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_kafka_decode(&m, NULL, &e, err, sizeof err), 0);
    if (!e) {
        fprintf(stderr, "%s: %s\n", content_type, err);
        return;
    }
    check_feature_attributes(e);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_JSON);
    const char *want = "{\n        \"message\": \"Hello World!\"\n    }";
    ce_slice d = ce_event_data(e);
    CHECK_EQ_MEM(d.ptr, d.len, want, strlen(want));
    ce_event_destroy(e);
}

TEST(feature_structured_content_mode_plain)
{
    feature_structured("application/cloudevents+json");
}

TEST(feature_structured_content_mode_charset)
{
    feature_structured("application/cloudevents+json; charset=utf-8");
}

/* ---- content mode detection ----------------------------------------------------------- */

TEST(mode_detection)
{
    static const struct {
        const char *ct;
        ce_mode mode;
    } cases[] = {
        {NULL, CE_MODE_BINARY},
        {"application/json", CE_MODE_BINARY},
        {"application/avro", CE_MODE_BINARY},
        {"text/plain; charset=utf-8", CE_MODE_BINARY},
        {"application/cloudevents+json", CE_MODE_STRUCTURED},
        {"application/cloudevents+json; charset=UTF-8", CE_MODE_STRUCTURED},
        {"Application/CloudEvents+JSON", CE_MODE_STRUCTURED},
        {"application/cloudevents+avro", CE_MODE_STRUCTURED},
        {"  application/cloudevents+json", CE_MODE_STRUCTURED},
        {"application/cloudevents-batch+json", CE_MODE_BATCH},
        {"APPLICATION/CLOUDEVENTS-BATCH+JSON", CE_MODE_BATCH},
        {"application/cloudevent", CE_MODE_BINARY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *ct = cases[i].ct;
        ce_mode got = ce_kafka_mode(ct, ct ? strlen(ct) : 0);
        if (got != cases[i].mode)
            cer_test_fail(__FILE__, __LINE__, "mode(%s) = %d, want %d", ct ? ct : "NULL", (int)got,
                          (int)cases[i].mode);
    }
}

/* ---- round trips ---------------------------------------------------------------------- */

/* An event holding every spec attribute and an extension of every type. */
static ce_event *ev_all_types(const char *dct)
{
    char err[256];
    ce_event *e = ev_make("specversion", "1.0", "id", "id-\xc3\xa9-1", "source",
                          "https://example.com/src?x=1", "type", "com.example.all", "dataschema",
                          "https://example.com/schema.json", "subject", "sub ject \"q\" 50%",
                          "time", "2024-02-29T23:59:60.123456789+05:30", NULL);
    if (dct)
        CHECK_EQ_INT(ce_event_set_str(e, "datacontenttype", dct, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_bool(e, "extbool", 1, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_int(e, "extint", -2147483647 - 1, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "extstr", "caf\xc3\xa9 \xf0\x9f\x98\x80", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_binary(e, "extbin", "\x00\xff\x10", 3, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set(e, "exturi", CE_TYPE_URI, "urn:example:1", 13, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set(e, "exturiref", CE_TYPE_URI_REF, "../a/b#f", 8, err, sizeof err), 0);
    CHECK_EQ_INT(
        ce_event_set(e, "extts", CE_TYPE_TIMESTAMP, "1970-01-01T00:00:00Z", 20, err, sizeof err),
        0);
    return e;
}

/* Binary mode carries canonical strings only: spec attributes come back with their types,
 * extensions as Strings with the same canonical string. */
static void check_same_strings(const ce_event *a, const ce_event *b)
{
    size_t n = ce_event_attr_count(a);
    CHECK_EQ_INT(ce_event_attr_count(b), n);
    for (size_t i = 0; i < n && i < ce_event_attr_count(b); i++) {
        const char *na, *nb;
        ce_value va, vb;
        ce_event_attr_at(a, i, &na, &va);
        ce_event_attr_at(b, i, &nb, &vb);
        CHECK_EQ_STR(nb, na);
        CHECK_EQ_MEM(vb.str.ptr, vb.str.len, va.str.ptr, va.str.len);
        if (strncmp(na, "ext", 3) == 0)
            CHECK_EQ_INT(vb.type, CE_TYPE_STRING);
        else
            CHECK_EQ_INT(vb.type, va.type);
    }
    CHECK_EQ_INT(ce_event_data_kind(b), ce_event_data_kind(a));
    ce_slice da = ce_event_data(a), db = ce_event_data(b);
    CHECK_EQ_MEM(db.ptr ? db.ptr : "", db.len, da.ptr ? da.ptr : "", da.len);
}

static ce_event *kafka_roundtrip(const ce_event *e, ce_mode mode)
{
    char err[256];
    ce_kafka_msg *m = ce_kafka_msg_new(0);
    int rc = ce_kafka_encode(m, e, mode, 0, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    ce_kafka_message v = ce_kafka_msg_view(m);
    ce_event *d = NULL;
    if (!rc) {
        rc = ce_kafka_decode(&v, NULL, &d, err, sizeof err);
        CHECK_EQ_INT(rc, 0);
        if (rc)
            fprintf(stderr, "decode: %s\n", err);
    }
    ce_kafka_msg_destroy(m);
    return d;
}

static void roundtrip_data(ce_mode mode, const char *dct, ce_data_kind kind, const char *data,
                           size_t len)
{
    char err[256];
    ce_event *e = ev_all_types(dct);
    if (kind != CE_DATA_NONE)
        CHECK_EQ_INT(ce_event_set_data(e, kind, data, len, err, sizeof err), 0);
    ce_event *d = kafka_roundtrip(e, mode);
    CHECK(d != NULL);
    if (d) {
        if (mode == CE_MODE_STRUCTURED)
            CHECK(ce_event_equal(d, e));
        else
            check_same_strings(e, d);
    }
    ce_event_destroy(d);
    ce_event_destroy(e);
}

TEST(roundtrip_binary_json_data)
{
    roundtrip_data(CE_MODE_BINARY, "application/json", CE_DATA_JSON, "{\"a\": [1, 2.5, null]}", 21);
}
TEST(roundtrip_binary_text_data)
{
    roundtrip_data(CE_MODE_BINARY, "text/plain; charset=utf-8", CE_DATA_TEXT,
                   "line 1\nline \xe2\x82\xac", 15);
}
TEST(roundtrip_binary_binary_data)
{
    roundtrip_data(CE_MODE_BINARY, "application/octet-stream", CE_DATA_BINARY, "\x00\x01\xfe\xff",
                   4);
}
TEST(roundtrip_binary_no_data)
{
    roundtrip_data(CE_MODE_BINARY, NULL, CE_DATA_NONE, NULL, 0);
}
TEST(roundtrip_binary_json_without_content_type)
{
    roundtrip_data(CE_MODE_BINARY, NULL, CE_DATA_JSON, "[true]", 6);
}
TEST(roundtrip_structured_json_data)
{
    roundtrip_data(CE_MODE_STRUCTURED, "application/json", CE_DATA_JSON, "{\"a\": 1}", 8);
}
TEST(roundtrip_structured_text_data)
{
    roundtrip_data(CE_MODE_STRUCTURED, "text/plain", CE_DATA_TEXT, "h\xc3\xa9llo", 6);
}
TEST(roundtrip_structured_binary_data)
{
    roundtrip_data(CE_MODE_STRUCTURED, "image/png", CE_DATA_BINARY, "\x89PNG\x00", 5);
}
TEST(roundtrip_structured_no_data)
{
    roundtrip_data(CE_MODE_STRUCTURED, NULL, CE_DATA_NONE, NULL, 0);
}

TEST(binary_headers_carry_canonical_strings)
{
    ce_event *e = ev_all_types(NULL);
    char err[256];
    ce_kafka_msg *m = ce_kafka_msg_new(0);
    CHECK_EQ_INT(ce_kafka_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), 0);
    ce_kafka_message v = ce_kafka_msg_view(m);
    size_t len;
    char *hs = render_headers(v.headers, v.header_count, &len);
    const char *want = "ce_specversion: 1.0\n"
                       "ce_id: id-\xc3\xa9-1\n"
                       "ce_source: https://example.com/src?x=1\n"
                       "ce_type: com.example.all\n"
                       "ce_dataschema: https://example.com/schema.json\n"
                       "ce_subject: sub ject \"q\" 50%\n"
                       "ce_time: 2024-02-29T23:59:60.123456789+05:30\n"
                       "ce_extbin: AP8Q\n"
                       "ce_extbool: true\n"
                       "ce_extint: -2147483648\n"
                       "ce_extstr: caf\xc3\xa9 \xf0\x9f\x98\x80\n"
                       "ce_extts: 1970-01-01T00:00:00Z\n"
                       "ce_exturi: urn:example:1\n"
                       "ce_exturiref: ../a/b#f\n";
    CHECK_EQ_MEM(hs, len, want, strlen(want));
    CHECK(v.value.ptr == NULL); /* no data: tombstone */
    free(hs);
    ce_kafka_msg_destroy(m);
    ce_event_destroy(e);
}

TEST(empty_value_is_empty_data_not_tombstone)
{
    ce_header h[] = {REQ_HEADERS, H("content-type", "application/octet-stream")};
    ce_kafka_message in = {{NULL, 0}, {"", 0}, h, 5};
    char err[256];
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_kafka_decode(&in, NULL, &e, err, sizeof err), 0);
    if (!e)
        return;
    CHECK(ce_event_data_kind(e) != CE_DATA_NONE);
    CHECK_EQ_INT(ce_event_data(e).len, 0);
    ce_kafka_msg *m = ce_kafka_msg_new(0);
    CHECK_EQ_INT(ce_kafka_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), 0);
    ce_kafka_message v = ce_kafka_msg_view(m);
    CHECK(v.value.ptr != NULL);
    CHECK_EQ_INT(v.value.len, 0);
    ce_kafka_msg_destroy(m);
    ce_event_destroy(e);
}

TEST(null_value_is_no_data)
{
    ce_header h[] = {REQ_HEADERS, H("content-type", "application/json")};
    ce_kafka_message in = {{NULL, 0}, {NULL, 0}, h, 5};
    char err[256];
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_kafka_decode(&in, NULL, &e, err, sizeof err), 0);
    if (e) {
        CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_NONE);
        check_str_attr(e, "datacontenttype", "application/json");
    }
    ce_event_destroy(e);
}

TEST(unrelated_headers_are_ignored)
{
    ce_header h[] = {REQ_HEADERS, H("traceparent", "00-abc"), H("CE_ID", "upper-is-not-ours"),
                     H("Content-Type", "text/html"), H("x-bin", "\xff\xfe")};
    ce_kafka_message in = {{"k", 1}, {NULL, 0}, h, 8};
    char err[256];
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_kafka_decode(&in, NULL, &e, err, sizeof err), 0);
    if (e) {
        check_str_attr(e, "id", "1234-1234-1234");
        CHECK(ce_event_get_str(e, "datacontenttype").ptr == NULL);
        CHECK_EQ_INT(ce_event_attr_count(e), 4);
    }
    ce_event_destroy(e);
}

TEST(decode_into_reuses_event)
{
    ce_header h1[] = {REQ_HEADERS, H("ce_extra", "x")};
    ce_header h2[] = {REQ_HEADERS};
    ce_kafka_message m1 = {{NULL, 0}, {"1", 1}, h1, 5}, m2 = {{NULL, 0}, {NULL, 0}, h2, 4};
    char err[256];
    ce_event *e = ce_event_new();
    CHECK_EQ_INT(ce_kafka_decode_into(&m1, NULL, e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_attr_count(e), 5);
    CHECK_EQ_INT(ce_kafka_decode_into(&m2, NULL, e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_attr_count(e), 4);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_NONE);
    ce_header bad[] = {H("ce_id", "x")};
    ce_kafka_message m3 = {{NULL, 0}, {NULL, 0}, bad, 1};
    CHECK(ce_kafka_decode_into(&m3, NULL, e, err, sizeof err) != 0);
    CHECK_EQ_INT(ce_event_attr_count(e), 0); /* left cleared */
    ce_event_destroy(e);
}

/* ---- decode errors: each names the header ------------------------------------------- */

TEST(error_non_utf8_header_value)
{
    ce_header h[] = {REQ_HEADERS, H("ce_subject", "ab\xc3(")};
    check_decode_error(h, 5, S(NULL), CE_EUTF8, "ce_subject");
}

TEST(error_non_utf8_content_type)
{
    ce_header h[] = {REQ_HEADERS, H("content-type", "text/\xff")};
    check_decode_error(h, 5, S("x"), CE_EUTF8, "content-type");
}

TEST(error_missing_required)
{
    static const char *const names[] = {"ce_specversion", "ce_id", "ce_type", "ce_source"};
    for (size_t skip = 0; skip < 4; skip++) {
        ce_header all[] = {REQ_HEADERS}, h[3];
        size_t n = 0;
        for (size_t i = 0; i < 4; i++)
            if (i != skip)
                h[n++] = all[i];
        check_decode_error(h, n, S("{}"), CE_EMISSING, names[skip]);
    }
}

TEST(error_bad_time)
{
    ce_header h[] = {REQ_HEADERS, H("ce_time", "2018-04-05 03:56:24")};
    check_decode_error(h, 5, S(NULL), CE_EBADVALUE, "ce_time");
}

TEST(error_bad_dataschema)
{
    ce_header h[] = {REQ_HEADERS, H("ce_dataschema", "relative/path")};
    check_decode_error(h, 5, S(NULL), CE_EBADVALUE, "ce_dataschema");
}

TEST(error_bad_source)
{
    ce_header h[] = {H("ce_specversion", "1.0"), H("ce_id", "1"), H("ce_type", "t"),
                     H("ce_source", "a b")};
    check_decode_error(h, 4, S(NULL), CE_EBADVALUE, "ce_source");
}

TEST(error_control_character_in_string)
{
    ce_header h[] = {REQ_HEADERS, H("ce_subject", "a\x01z")};
    check_decode_error(h, 5, S(NULL), CE_EBADVALUE, "ce_subject");
}

TEST(error_empty_required_value)
{
    ce_header h[] = {H("ce_specversion", "1.0"), H("ce_id", ""), H("ce_type", "t"),
                     H("ce_source", "/s")};
    check_decode_error(h, 4, S(NULL), CE_EBADVALUE, "ce_id");
}

TEST(error_unsupported_specversion)
{
    ce_header h[] = {H("ce_specversion", "0.3"), H("ce_id", "1"), H("ce_type", "t"),
                     H("ce_source", "/s")};
    check_decode_error(h, 4, S(NULL), CE_ESPECVERSION, "ce_specversion");
}

TEST(error_bad_attribute_name)
{
    ce_header h[] = {REQ_HEADERS, H("ce_Tenant", "x")};
    check_decode_error(h, 5, S(NULL), CE_EBADNAME, "ce_Tenant");
    ce_header h2[] = {REQ_HEADERS, H("ce_", "x")};
    check_decode_error(h2, 5, S(NULL), CE_EBADNAME, "'ce_'");
    ce_header h3[] = {REQ_HEADERS, H("ce_data", "x")};
    check_decode_error(h3, 5, S(NULL), CE_EBADNAME, "ce_data");
}

TEST(error_datacontenttype_header)
{
    ce_header h[] = {REQ_HEADERS, H("ce_datacontenttype", "application/json")};
    check_decode_error(h, 5, S("{}"), CE_EHEADER, "ce_datacontenttype");
}

TEST(error_duplicate_headers)
{
    ce_header h[] = {REQ_HEADERS, H("ce_id", "again")};
    check_decode_error(h, 5, S(NULL), CE_EDUPLICATE, "ce_id");
    ce_header h2[] = {REQ_HEADERS, H("content-type", "a/b"), H("content-type", "c/d")};
    check_decode_error(h2, 6, S(NULL), CE_EDUPLICATE, "content-type");
}

TEST(error_batch_not_supported)
{
    ce_header h[] = {H("content-type", "application/cloudevents-batch+json")};
    check_decode_error(h, 1, S("[]"), CE_EMODE, "content-type");
}

TEST(error_unsupported_structured_format)
{
    ce_header h[] = {H("content-type", "application/cloudevents+avro")};
    check_decode_error(h, 1, S("\x02"), CE_EUNSUPPORTED, "application/cloudevents+avro");
}

TEST(error_structured_null_value)
{
    ce_header h[] = {H("content-type", "application/cloudevents+json")};
    check_decode_error(h, 1, S(NULL), CE_EDATA, "content-type");
}

TEST(error_structured_not_a_cloudevent)
{
    ce_header h[] = {H("content-type", "application/cloudevents+json")};
    char err[256];
    ce_kafka_message m = {{NULL, 0}, S("{\"hello\":\"world\"}"), h, 1};
    ce_event *e = NULL;
    int rc = ce_kafka_decode(&m, NULL, &e, err, sizeof err);
    CHECK(rc == CE_EMISSING);
    CHECK_CONTAINS(err, "structured value");
    CHECK_CONTAINS(err, "specversion");
    m.value = S("[1,2]");
    rc = ce_kafka_decode(&m, NULL, &e, err, sizeof err);
    CHECK(rc < 0);
    CHECK_CONTAINS(err, "structured value");
    m.value = S("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\"}");
    rc = ce_kafka_decode(&m, NULL, &e, err, sizeof err);
    CHECK_EQ_INT(rc, CE_EMISSING);
    CHECK_CONTAINS(err, "type");
    CHECK(e == NULL);
}

TEST(error_limits)
{
    ce_limits lim = ce_limits_default();
    lim.max_attributes = 5;
    ce_header h[] = {REQ_HEADERS, H("ce_a", "1"), H("ce_b", "2")};
    ce_kafka_message m = {{NULL, 0}, {NULL, 0}, h, 6};
    char err[256];
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_kafka_decode(&m, &lim, &e, err, sizeof err), CE_ELIMIT);
    CHECK_CONTAINS(err, "ce_b");
    m.header_count = 5;
    CHECK_EQ_INT(ce_kafka_decode(&m, &lim, &e, err, sizeof err), 0);
    ce_event_destroy(e);
    ce_header h2[] = {REQ_HEADERS, H("ce_a", "1"), H("content-type", "text/plain")};
    m.headers = h2;
    m.header_count = 6;
    CHECK_EQ_INT(ce_kafka_decode(&m, &lim, &e, err, sizeof err), CE_ELIMIT);

    lim = ce_limits_default();
    lim.max_event_bytes = 4;
    m.headers = h;
    m.header_count = 4;
    m.value = S("12345");
    CHECK_EQ_INT(ce_kafka_decode(&m, &lim, &e, err, sizeof err), CE_ETOOBIG);
    CHECK_CONTAINS(err, "value");
    m.value = S("1234");
    CHECK_EQ_INT(ce_kafka_decode(&m, &lim, &e, err, sizeof err), 0);
    ce_event_destroy(e);
}

/* ---- encoding ------------------------------------------------------------------------- */

TEST(encode_rejects_invalid_event_and_batch)
{
    char err[256];
    ce_kafka_msg *m = ce_kafka_msg_new(0);
    ce_event *e = ev_make("specversion", "1.0", "source", "/s", "type", "t", NULL);
    CHECK_EQ_INT(ce_kafka_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), CE_EMISSING);
    CHECK_CONTAINS(err, "id");
    ce_kafka_message v = ce_kafka_msg_view(m);
    CHECK_EQ_INT(v.header_count, 0);
    ce_event_set_str(e, "id", "1", err, sizeof err);
    CHECK_EQ_INT(ce_kafka_encode(m, e, CE_MODE_BATCH, 0, err, sizeof err), CE_EMODE);
    CHECK_EQ_INT(ce_kafka_encode(m, e, (ce_mode)0, 0, err, sizeof err), CE_EINVAL);
    CHECK_EQ_INT(ce_kafka_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), 0);
    ce_kafka_msg_destroy(m);
    ce_event_destroy(e);
}

TEST(encode_builder_cap)
{
    char err[256];
    ce_kafka_msg *m = ce_kafka_msg_new(64);
    ce_event *e = ev_example();
    CHECK_EQ_INT(ce_kafka_encode(m, e, CE_MODE_STRUCTURED, 0, err, sizeof err), CE_ETOOBIG);
    ce_kafka_message v = ce_kafka_msg_view(m);
    CHECK_EQ_INT(v.header_count, 0);
    CHECK(v.value.ptr == NULL);
    CHECK_EQ_INT(ce_kafka_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), 0);
    ce_kafka_msg_destroy(m);
    ce_event_destroy(e);
    ce_kafka_msg_destroy(NULL);
}

TEST(encode_builder_reuse)
{
    char err[256];
    ce_kafka_msg *m = ce_kafka_msg_new(0);
    ce_event *big = ev_all_types("application/json");
    ce_event *small = ev_example();
    for (int round = 0; round < 3; round++) {
        CHECK_EQ_INT(
            ce_kafka_encode(m, big, CE_MODE_STRUCTURED, CE_BIND_ATTR_HEADERS, err, sizeof err), 0);
        CHECK_EQ_INT(ce_kafka_msg_view(m).header_count, 15);
        CHECK_EQ_INT(ce_kafka_encode(m, small, CE_MODE_BINARY, 0, err, sizeof err), 0);
        ce_kafka_message v = ce_kafka_msg_view(m);
        CHECK_EQ_INT(v.header_count, 5);
        ce_event *d = NULL;
        CHECK_EQ_INT(ce_kafka_decode(&v, NULL, &d, err, sizeof err), 0);
        CHECK(d && ce_event_equal(d, small));
        ce_event_destroy(d);
    }
    ce_kafka_msg_destroy(m);
    ce_event_destroy(big);
    ce_event_destroy(small);
}

TEST(structured_attr_headers_skip_datacontenttype)
{
    char err[256];
    ce_kafka_msg *m = ce_kafka_msg_new(0);
    ce_event *e = ev_example();
    ce_event_set_str(e, "datacontenttype", "application/json", err, sizeof err);
    CHECK_EQ_INT(ce_kafka_encode(m, e, CE_MODE_STRUCTURED, CE_BIND_ATTR_HEADERS, err, sizeof err),
                 0);
    ce_kafka_message v = ce_kafka_msg_view(m);
    size_t len;
    char *hs = render_headers(v.headers, v.header_count, &len);
    const char *want = "ce_specversion: 1.0\n"
                       "ce_id: 1234-1234-1234\n"
                       "ce_source: /mycontext/subcontext\n"
                       "ce_type: com.example.someevent\n"
                       "ce_time: 2018-04-05T03:56:24Z\n"
                       "content-type: application/cloudevents+json; charset=UTF-8\n";
    CHECK_EQ_MEM(hs, len, want, strlen(want));
    free(hs);
    ce_kafka_msg_destroy(m);
    ce_event_destroy(e);
}

/* ---- key mapping ---------------------------------------------------------------------- */

static void check_key(const ce_event *e, const char *tmpl, const char *want)
{
    char err[256] = "";
    ce_buf b;
    ce_buf_init(&b);
    ce_slice k;
    int rc = ce_kafka_key(e, tmpl, &b, &k, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        fprintf(stderr, "key(%s): %s\n", tmpl ? tmpl : "NULL", err);
    if (!want) {
        CHECK(k.ptr == NULL);
    } else {
        CHECK(k.ptr != NULL);
        if (k.ptr)
            CHECK_EQ_MEM(k.ptr, k.len, want, strlen(want));
    }
    ce_buf_free(&b);
}

TEST(key_default_rules)
{
    char err[256];
    ce_event *e = ev_example();
    check_key(e, NULL, NULL); /* neither partitionkey nor subject: null key */
    ce_event_set_str(e, "subject", "tenant-uuid", err, sizeof err);
    check_key(e, NULL, "tenant-uuid");
    ce_event_set_str(e, "partitionkey", "pk-7", err, sizeof err);
    check_key(e, NULL, "pk-7");
    ce_event_set_int(e, "partitionkey", 42, err, sizeof err); /* non-String: canonical string */
    check_key(e, NULL, "42");
    ce_event_set_str(e, "partitionkey", "", err, sizeof err);
    ce_buf b = {0};
    ce_slice k;
    CHECK_EQ_INT(ce_kafka_key(e, NULL, &b, &k, err, sizeof err), CE_EBADVALUE);
    CHECK_CONTAINS(err, "partitionkey");
    CHECK(k.ptr == NULL);
    ce_buf_free(&b);
    ce_event_destroy(e);
}

TEST(key_templates)
{
    char err[256];
    ce_event *e = ev_example();
    ce_event_set_str(e, "subject", "tenant/acme/user/usr_2xK9", err, sizeof err);
    ce_event_set_str(e, "tenantid", "acme", err, sizeof err);
    check_key(e, "{tenantid}", "acme");
    check_key(e, "tenant-{tenantid}/{subject}", "tenant-acme/tenant/acme/user/usr_2xK9");
    check_key(e, "{type}:{id}", "com.example.someevent:1234-1234-1234");
    check_key(e, "fixed", "fixed");
    check_key(e, "{{tenantid}}={tenantid}", "{tenantid}=acme");
    check_key(e, "a}}b{{", "a}b{");
    ce_event_set_binary(e, "blob", "\x01\x02", 2, err, sizeof err);
    check_key(e, "{blob}", "AQI=");

    /* "{name}" borrows the attribute's bytes and leaves scratch untouched */
    ce_buf b = {0};
    ce_buf_append(&b, "keep", 4);
    ce_slice k;
    CHECK_EQ_INT(ce_kafka_key(e, "{tenantid}", &b, &k, err, sizeof err), 0);
    CHECK(k.ptr == ce_event_get_str(e, "tenantid").ptr);
    CHECK_EQ_INT(b.len, 4);
    /* a template appends after existing scratch contents */
    CHECK_EQ_INT(ce_kafka_key(e, "t-{tenantid}", &b, &k, err, sizeof err), 0);
    CHECK_EQ_MEM(k.ptr, k.len, "t-acme", 6);
    CHECK_EQ_MEM(b.ptr, 4, "keep", 4);
    ce_buf_free(&b);
    ce_event_destroy(e);
}

TEST(key_template_missing_attribute)
{
    char err[256] = "";
    ce_event *e = ev_example();
    ce_buf b = {0};
    ce_buf_append(&b, "xy", 2);
    ce_slice k;
    CHECK_EQ_INT(ce_kafka_key(e, "tenant-{tenantid}/{subject}", &b, &k, err, sizeof err),
                 CE_EMISSING);
    CHECK_CONTAINS(err, "'tenantid'");
    CHECK_EQ_INT(b.len, 2); /* scratch restored */
    CHECK(k.ptr == NULL);
    CHECK_EQ_INT(ce_kafka_key(e, "{id}/{subject}", &b, &k, err, sizeof err), CE_EMISSING);
    CHECK_CONTAINS(err, "'subject'");
    ce_buf_free(&b);
    ce_event_destroy(e);
}

TEST(key_template_syntax)
{
    static const struct {
        const char *tmpl;
        int rc;
        const char *needle;
    } cases[] = {
        {"", CE_EINVAL, "empty"},       {"{tenantid", CE_ESYNTAX, "byte 0"},
        {"ab}c", CE_ESYNTAX, "byte 2"}, {"x-{Tenant}", CE_EBADNAME, "byte 2"},
        {"{}", CE_EBADNAME, "byte 0"},  {"{data}", CE_EBADNAME, "data"},
        {"{a-b}", CE_EBADNAME, "a-b"},  {"{tenantid}-{subject}", 0, ""},
        {"{{literal}}", 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[256] = "";
        int rc = ce_kafka_key_check(cases[i].tmpl, err, sizeof err);
        if (rc != cases[i].rc)
            cer_test_fail(__FILE__, __LINE__, "check(\"%s\") = %s (%s), want %s", cases[i].tmpl,
                          ce_err_name(rc), err, ce_err_name(cases[i].rc));
        CHECK_CONTAINS(err, cases[i].needle);
    }
    CHECK_EQ_INT(ce_kafka_key_check(NULL, NULL, 0), CE_EINVAL);
}

TEST(key_mapping_keeps_partitionkey_and_decode_ignores_key)
{
    char err[256];
    ce_event *e = ev_example();
    ce_event_set_str(e, "partitionkey", "pk", err, sizeof err);
    ce_kafka_msg *m = ce_kafka_msg_new(0);
    CHECK_EQ_INT(ce_kafka_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), 0);
    CHECK_EQ_INT(ce_kafka_msg_set_key(m, e, NULL, err, sizeof err), 0);
    ce_kafka_message v = ce_kafka_msg_view(m);
    CHECK_EQ_MEM(v.key.ptr, v.key.len, "pk", 2);
    int found = 0;
    for (size_t i = 0; i < v.header_count; i++)
        if (v.headers[i].name.len == 15 &&
            memcmp(v.headers[i].name.ptr, "ce_partitionkey", 15) == 0)
            found = 1;
    CHECK(found);                            /* the mapper must not remove the attribute */
    CHECK_EQ_INT(ce_event_attr_count(e), 6); /* ... nor modify the event */

    /* a record key without ce_partitionkey does not invent the attribute */
    ce_header h[] = {REQ_HEADERS};
    ce_kafka_message in = {{"user-key", 8}, {NULL, 0}, h, 4};
    ce_event *d = NULL;
    CHECK_EQ_INT(ce_kafka_decode(&in, NULL, &d, err, sizeof err), 0);
    CHECK(d && ce_event_get_str(d, "partitionkey").ptr == NULL);
    CHECK(d && ce_event_attr_count(d) == 4);
    ce_event_destroy(d);

    /* set_key failure leaves a null key */
    CHECK_EQ_INT(ce_kafka_msg_set_key(m, e, "{nosuch}", err, sizeof err), CE_EMISSING);
    CHECK(ce_kafka_msg_view(m).key.ptr == NULL);
    /* encode resets the key */
    CHECK_EQ_INT(ce_kafka_msg_set_key(m, e, "{id}", err, sizeof err), 0);
    CHECK(ce_kafka_msg_view(m).key.ptr != NULL);
    CHECK_EQ_INT(ce_kafka_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), 0);
    CHECK(ce_kafka_msg_view(m).key.ptr == NULL);
    ce_kafka_msg_destroy(m);
    ce_event_destroy(e);
}

/* ---- allocation failures -------------------------------------------------------------- */

static long alloc_budget = -1; /* allocations left before failing; -1 = unlimited */

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

/* Encode+key+decode with the Nth allocation failing, for every N until it succeeds: each
 * failure must be reported as CE_ENOMEM (ASan checks nothing leaks or dangles). */
TEST(allocation_failures)
{
    static const ce_allocator failing = {fail_malloc, fail_realloc, free};
    ce_event *e = ev_all_types("application/json");
    char err[256];
    ce_event_set_data(e, CE_DATA_JSON, "[1,2,3]", 7, err, sizeof err);
    int done = 0;
    for (long n = 0; n < 1000 && !done; n++) {
        ce_set_allocator(&failing);
        alloc_budget = n;
        int rc = CE_ENOMEM;
        ce_event *d = NULL;
        ce_kafka_msg *m = ce_kafka_msg_new(0);
        if (m) {
            rc = ce_kafka_encode(m, e, n % 2 ? CE_MODE_STRUCTURED : CE_MODE_BINARY,
                                 CE_BIND_ATTR_HEADERS, err, sizeof err);
            if (!rc)
                rc = ce_kafka_msg_set_key(m, e, "k-{extstr}-{id}", err, sizeof err);
            if (!rc) {
                ce_kafka_message v = ce_kafka_msg_view(m);
                rc = ce_kafka_decode(&v, NULL, &d, err, sizeof err);
            }
        }
        alloc_budget = -1;
        ce_set_allocator(NULL);
        if (rc == 0) {
            CHECK(d != NULL);
            done = n > 1; /* both modes have succeeded */
        } else {
            if (rc != CE_ENOMEM)
                cer_test_fail(__FILE__, __LINE__, "n=%ld: %s (%s)", n, ce_err_name(rc), err);
            CHECK(d == NULL);
        }
        ce_event_destroy(d);
        ce_kafka_msg_destroy(m);
    }
    CHECK(done);
    ce_event_destroy(e);
}
