/* Tests for the HTTP protocol binding (src/ce/binding_http.c): spec examples as golden files,
 * the conformance scenarios, the header-value percent-encoding, batches and error reporting. */
#include <stdarg.h>
#include <stdlib.h>

#include "harness.h"

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"

/* ---- helpers ------------------------------------------------------------------------- */

static ce_event *ev_make(const char *name, ...)
{
    char err[256];
    ce_event *e = ce_event_new();
    va_list ap;
    va_start(ap, name);
    for (const char *n = name; n; n = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        if (ce_event_set_str(e, n, v, err, sizeof err) != 0)
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

static char *golden(const char *name, const char *ext, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/ce/golden/bindings/%s.%s", name, ext);
    return cer_test_read_file(cer_test_src_path(rel), len);
}

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

/* Collects the events of a batch decode. */
typedef struct collect {
    ce_event *ev[8];
    int err[8];
    char msg[8][256];
    size_t n;
} collect;

static int collect_cb(void *ctx, size_t index, ce_event *ev, int err, const char *msg)
{
    collect *c = ctx;
    if (index != c->n || c->n >= 8) {
        ce_event_destroy(ev);
        return -100;
    }
    c->ev[c->n] = ev;
    c->err[c->n] = err;
    snprintf(c->msg[c->n], sizeof c->msg[c->n], "%s", msg ? msg : "");
    c->n++;
    return 0;
}

static void collect_free(collect *c)
{
    for (size_t i = 0; i < c->n; i++)
        ce_event_destroy(c->ev[i]);
    c->n = 0;
}

/* Encode `e` and compare with golden `name`.{headers,body}, then decode the golden files. */
static void check_golden(const char *name, const ce_event *e, ce_mode mode, unsigned flags)
{
    char err[256] = "";
    ce_http_msg *m = ce_http_msg_new(0);
    int rc = ce_http_encode(m, e, mode, flags, err, sizeof err);
    CHECK_EQ_INT(rc, 0);
    if (rc)
        fprintf(stderr, "encode: %s\n", err);
    ce_http_message v = ce_http_msg_view(m);
    size_t hlen, glen, blen;
    char *hs = render_headers(v.headers, v.header_count, &hlen);
    char *gh = golden(name, "headers", &glen);
    char *gb = golden(name, "body", &blen);
    if (gh && gb) {
        CHECK_EQ_MEM(hs, hlen, gh, glen);
        CHECK_EQ_MEM(v.body.ptr, v.body.len, gb, blen);
        ce_header hdrs[32];
        size_t n = parse_headers(gh, glen, hdrs, 32);
        ce_http_message in = {hdrs, n, {gb, blen}};
        ce_event *d = NULL;
        rc = ce_http_decode(&in, NULL, &d, err, sizeof err);
        CHECK_EQ_INT(rc, 0);
        if (rc)
            fprintf(stderr, "decode: %s\n", err);
        CHECK(d && ce_event_equal(d, e));
        ce_event_destroy(d);
    }
    free(hs);
    free(gh);
    free(gb);
    ce_http_msg_destroy(m);
}

static void check_decode_error(const ce_header *h, size_t n, const char *body, int want,
                               const char *needle)
{
    char err[256] = "";
    ce_http_message m = {h, n, S(body)};
    ce_event *e = (ce_event *)1;
    int rc = ce_http_decode(&m, NULL, &e, err, sizeof err);
    if (rc != want)
        cer_test_fail(__FILE__, __LINE__, "rc %s (%s), want %s", ce_err_name(rc), err,
                      ce_err_name(want));
    CHECK(e == NULL);
    CHECK_CONTAINS(err, needle);
    if (rc == 0)
        ce_event_destroy(e);
}

#define REQ_HEADERS                                                                                \
    H("ce-specversion", "1.0"), H("ce-id", "1234-1234-1234"),                                      \
        H("ce-type", "com.example.someevent"), H("ce-source", "/mycontext/subcontext")

/* ---- golden files --------------------------------------------------------------------- */

static const char example_body[] = "{\n    \"message\": \"Hello World!\"\n}";

TEST(golden_binary_example)
{
    char err[256];
    ce_event *e = ev_example();
    ce_event_set_str(e, "datacontenttype", "application/json; charset=utf-8", err, sizeof err);
    CHECK_EQ_INT(
        ce_event_set_data(e, CE_DATA_JSON, example_body, strlen(example_body), err, sizeof err), 0);
    check_golden("http_binary_example", e, CE_MODE_BINARY, 0);
    ce_event_destroy(e);
}

TEST(golden_structured_example)
{
    char err[256];
    ce_event *e = ev_example();
    ce_event_set_str(e, "datacontenttype", "application/json", err, sizeof err);
    CHECK_EQ_INT(
        ce_event_set_data(e, CE_DATA_JSON, example_body, strlen(example_body), err, sizeof err), 0);
    check_golden("http_structured_example", e, CE_MODE_STRUCTURED, 0);
    ce_event_destroy(e);
}

TEST(golden_percent_example)
{
    char err[256];
    ce_event *e = ev_make("specversion", "1.0", "id", "1234-1234-1234", "source",
                          "/mycontext/subcontext?q=a%20b", "type", "com.example.someevent",
                          "subject", "Euro \xe2\x82\xac \xf0\x9f\x98\x80", "comment", "50% \"off\"",
                          "datacontenttype", "text/plain; charset=utf-8", NULL);
    const char *text = "Pr\xc3\xa9sentation \xe2\x82\xac";
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_TEXT, text, strlen(text), err, sizeof err), 0);
    check_golden("http_percent_example", e, CE_MODE_BINARY, 0);
    ce_event_destroy(e);
}

TEST(golden_batch_example)
{
    char err[256];
    ce_event *a =
        ev_make("specversion", "1.0", "id", "1234-1234-1234", "source", "/mycontext/subcontext",
                "type", "com.example.someevent", "datacontenttype", "application/json", NULL);
    ce_event *b =
        ev_make("specversion", "1.0", "id", "1234-1234-1235", "source", "/mycontext/subcontext",
                "type", "com.example.someotherevent", "datacontenttype", "application/json", NULL);
    ce_event_set_data(a, CE_DATA_JSON, "{\"message\":\"Hello World!\"}", 26, err, sizeof err);
    ce_event_set_data(b, CE_DATA_JSON, "{\"message\":\"Hello again!\"}", 26, err, sizeof err);
    const ce_event *evs[] = {a, b};
    ce_http_msg *m = ce_http_msg_new(0);
    CHECK_EQ_INT(ce_http_encode_batch(m, evs, 2, err, sizeof err), 0);
    ce_http_message v = ce_http_msg_view(m);
    size_t hlen, glen, blen;
    char *hs = render_headers(v.headers, v.header_count, &hlen);
    char *gh = golden("http_batch_example", "headers", &glen);
    char *gb = golden("http_batch_example", "body", &blen);
    if (gh && gb) {
        CHECK_EQ_MEM(hs, hlen, gh, glen);
        CHECK_EQ_MEM(v.body.ptr, v.body.len, gb, blen);
        ce_header hdrs[4];
        ce_http_message in = {hdrs, parse_headers(gh, glen, hdrs, 4), {gb, blen}};
        collect c = {0};
        CHECK_EQ_INT(ce_http_decode_batch(&in, NULL, collect_cb, &c, err, sizeof err), 0);
        CHECK_EQ_INT(c.n, 2);
        CHECK(c.n == 2 && c.ev[0] && ce_event_equal(c.ev[0], a));
        CHECK(c.n == 2 && c.ev[1] && ce_event_equal(c.ev[1], b));
        collect_free(&c);
    }
    free(hs);
    free(gh);
    free(gb);
    ce_http_msg_destroy(m);
    ce_event_destroy(a);
    ce_event_destroy(b);
}

/* ---- conformance: http-protocol-binding.feature --------------------------------------- */

static void feature_binary(const char *content_type)
{
    ce_header h[] = {H("Host", "example.com"),
                     H("ce-specversion", "1.0"),
                     H("ce-type", "com.example.someevent"),
                     H("ce-time", "2018-04-05T03:56:24Z"),
                     H("ce-id", "1234-1234-1234"),
                     H("ce-source", "/mycontext/subcontext"),
                     H("Content-Type", content_type),
                     H("Content-Length", "33")};
    ce_http_message m = {h, 8, S(example_body)};
    char err[256];
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_http_decode(&m, NULL, &e, err, sizeof err), 0);
    if (!e) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    check_str_attr(e, "id", "1234-1234-1234");
    check_str_attr(e, "specversion", "1.0");
    check_str_attr(e, "type", "com.example.someevent");
    check_str_attr(e, "source", "/mycontext/subcontext");
    check_str_attr(e, "time", "2018-04-05T03:56:24Z");
    check_str_attr(e, "datacontenttype", content_type);
    CHECK_EQ_INT(ce_event_attr_count(e), 6);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_JSON);
    ce_slice d = ce_event_data(e);
    CHECK_EQ_MEM(d.ptr, d.len, example_body, strlen(example_body));
    ce_event_destroy(e);
}

TEST(feature_binary_content_mode_json)
{
    feature_binary("application/json");
}
TEST(feature_binary_content_mode_json_charset)
{
    feature_binary("application/json; charset=utf-8");
}

static void feature_structured(const char *content_type)
{
    const char *body = "{\n"
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
    CHECK_EQ_INT(strlen(body), 266); /* the scenario's Content-Length */
    ce_header h[] = {H("Host", "example.com"), H("Content-Type", content_type),
                     H("Content-Length", "266")};
    ce_http_message m = {h, 3, S(body)};
    char err[256];
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_http_decode(&m, NULL, &e, err, sizeof err), 0);
    if (!e) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    check_str_attr(e, "id", "1234-1234-1234");
    check_str_attr(e, "specversion", "1.0");
    check_str_attr(e, "type", "com.example.someevent");
    check_str_attr(e, "source", "/mycontext/subcontext");
    check_str_attr(e, "time", "2018-04-05T03:56:24Z");
    check_str_attr(e, "datacontenttype", "application/json");
    CHECK_EQ_INT(ce_event_attr_count(e), 6);
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

/* ---- mode detection ------------------------------------------------------------------- */

TEST(mode_detection_batch_before_structured)
{
    static const struct {
        const char *ct;
        ce_mode mode;
    } cases[] = {
        {NULL, CE_MODE_BINARY},
        {"", CE_MODE_BINARY},
        {"application/json", CE_MODE_BINARY},
        {"application/cloudevents+json", CE_MODE_STRUCTURED},
        {"application/cloudevents+json; charset=utf-8", CE_MODE_STRUCTURED},
        {"APPLICATION/CLOUDEVENTS+JSON", CE_MODE_STRUCTURED},
        {"\tapplication/cloudevents+json", CE_MODE_STRUCTURED},
        {"application/cloudevents-batch+json", CE_MODE_BATCH},
        {"application/cloudevents-batch+json; charset=UTF-8", CE_MODE_BATCH},
        {"Application/CloudEvents-Batch+JSON", CE_MODE_BATCH},
        {"application/cloudevents-batch", CE_MODE_BATCH},
        {"application/cloudevents-batc", CE_MODE_STRUCTURED},
        {"text/application/cloudevents+json", CE_MODE_BINARY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *ct = cases[i].ct;
        ce_mode got = ce_http_mode(ct, ct ? strlen(ct) : 0);
        if (got != cases[i].mode)
            cer_test_fail(__FILE__, __LINE__, "mode(%s) = %d, want %d", ct ? ct : "NULL", (int)got,
                          (int)cases[i].mode);
    }
}

/* ---- header value codec --------------------------------------------------------------- */

static void check_encode(const char *in, size_t len, const char *want)
{
    ce_buf b = {0};
    CHECK_EQ_INT(ce_http_value_encode(in, len, &b), 0);
    CHECK_EQ_MEM(b.ptr ? b.ptr : "", b.len, want, strlen(want));
    ce_buf_free(&b);
}

static void check_decode(const char *in, const char *want, size_t want_len)
{
    ce_buf b = {0};
    char err[128] = "";
    int rc = ce_http_value_decode(in, strlen(in), &b, err, sizeof err);
    if (rc)
        cer_test_fail(__FILE__, __LINE__, "decode(%s): %s", in, err);
    CHECK_EQ_MEM(b.ptr ? b.ptr : "", b.len, want, want_len);
    ce_buf_free(&b);
}

static void check_decode_fails(const char *in, int want, const char *needle)
{
    ce_buf b = {0};
    ce_buf_append(&b, "pre", 3);
    char err[128] = "";
    int rc = ce_http_value_decode(in, strlen(in), &b, err, sizeof err);
    if (rc != want)
        cer_test_fail(__FILE__, __LINE__, "decode(%s) = %s (%s), want %s", in, ce_err_name(rc), err,
                      ce_err_name(want));
    CHECK_CONTAINS(err, needle);
    CHECK_EQ_INT(b.len, 3); /* out untouched on failure */
    ce_buf_free(&b);
}

TEST(value_encode_spec_example)
{
    check_encode("Euro \xe2\x82\xac \xf0\x9f\x98\x80", 13, "Euro%20%E2%82%AC%20%F0%9F%98%80");
}

TEST(value_encode_rules)
{
    check_encode("", 0, "");
    check_encode("plain-ASCII_~!#$&'()*+,/:;<=>?@[\\]^`{|}", 39,
                 "plain-ASCII_~!#$&'()*+,/:;<=>?@[\\]^`{|}");
    check_encode(" \"%", 3, "%20%22%25");
    check_encode("\x01\x1f\x7f\t", 4, "%01%1F%7F%09");
    check_encode("\xc2\x80\xc3\xbf", 4, "%C2%80%C3%BF"); /* U+0080 (control), U+00FF */
    check_encode("a\0b", 3, "a%00b");
}

TEST(value_decode_rules)
{
    check_decode("Euro%20%E2%82%AC%20%F0%9F%98%80", "Euro \xe2\x82\xac \xf0\x9f\x98\x80", 13);
    check_decode("euro%e2%82%ac", "euro\xe2\x82\xac", 7); /* lower-case hex accepted */
    check_decode("%41%42C", "ABC", 3);                    /* unnecessary encoding accepted */
    check_decode("a%2520b", "a%20b", 5);                  /* exactly one round */
    check_decode("  spaced\t ", "spaced", 6);             /* OWS trimmed */
    check_decode("raw space", "raw space", 9);            /* older senders */
    check_decode("\"quoted value\"", "quoted value", 12);
    check_decode("\"a\\\"b\\\\c\"", "a\"b\\c", 5);
    check_decode("\"q%20p\"", "q p", 3); /* quotes removed first, then %-decoding */
    check_decode("\"\"", "", 0);
    check_decode("", "", 0);
    check_decode("caf\xc3\xa9", "caf\xc3\xa9", 5); /* raw UTF-8 (obs-text) passes */
    check_decode("%00", "\0", 1); /* decoding allows it; the String rule rejects it later */
}

TEST(value_decode_errors)
{
    check_decode_fails("%G1", CE_EHEADER, "'%G1' at byte 0");
    check_decode_fails("ab%4", CE_EHEADER, "truncated percent-escape '%4' at byte 2");
    check_decode_fails("ab%", CE_EHEADER, "truncated");
    check_decode_fails("%4g", CE_EHEADER, "bad percent-escape");
    check_decode_fails("%C0%A0", CE_EUTF8, "not valid UTF-8"); /* the spec's overlong space */
    check_decode_fails("%ED%A0%80", CE_EUTF8, "UTF-8");        /* surrogate */
    check_decode_fails("%F4%90%80%80", CE_EUTF8, "UTF-8");     /* > U+10FFFF */
    check_decode_fails("%E2%82", CE_EUTF8, "UTF-8");           /* truncated sequence */
    check_decode_fails("\xff", CE_EUTF8, "UTF-8");
    check_decode_fails("\"open", CE_EHEADER, "unterminated quoted-string");
    check_decode_fails("\"ends with backslash\\\"", CE_EHEADER, "unterminated");
    check_decode_fails("\"a\"b", CE_EHEADER, "after the closing quote");
    check_decode_fails("\"%ZZ\"", CE_EHEADER, "unquoted value");
}

TEST(value_codec_roundtrip)
{
    /* every valid UTF-8 string survives encode+decode, and encoding is printable ASCII only */
    uint32_t seed = 12345;
    for (int iter = 0; iter < 2000; iter++) {
        char in[64];
        size_t n = 0;
        int chars = (int)(seed % 12);
        for (int c = 0; c < chars; c++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t cp =
                (seed >> 8) % 5 == 0 ? 0x10000 + (seed >> 4) % 0xFFFF : (seed >> 8) % 0x800;
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 'x';
            if (cp < 0x80) {
                in[n++] = (char)cp;
            } else if (cp < 0x800) {
                in[n++] = (char)(0xC0 | cp >> 6);
                in[n++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                in[n++] = (char)(0xE0 | cp >> 12);
                in[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                in[n++] = (char)(0x80 | (cp & 0x3F));
            } else {
                in[n++] = (char)(0xF0 | cp >> 18);
                in[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                in[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                in[n++] = (char)(0x80 | (cp & 0x3F));
            }
        }
        ce_buf enc = {0}, dec = {0};
        char err[128];
        CHECK_EQ_INT(ce_http_value_encode(in, n, &enc), 0);
        for (size_t i = 0; i < enc.len; i++)
            if (enc.ptr[i] < 0x21 || enc.ptr[i] > 0x7E || enc.ptr[i] == '"')
                cer_test_fail(__FILE__, __LINE__, "unescaped byte 0x%02x", enc.ptr[i] & 0xFF);
        CHECK_EQ_INT(ce_http_value_decode(enc.ptr ? enc.ptr : "", enc.len, &dec, err, sizeof err),
                     0);
        CHECK_EQ_MEM(dec.ptr ? dec.ptr : "", dec.len, in, n);
        ce_buf_free(&enc);
        ce_buf_free(&dec);
    }
}

/* ---- binary mode decoding details ----------------------------------------------------- */

TEST(header_names_case_insensitive)
{
    ce_header h[] = {H("CE-SPECVERSION", "1.0"), H("Ce-Id", "1"),
                     H("ce-TYPE", "t"),          H("cE-sOuRcE", "/s"),
                     H("CE-MyExt", "%22q%22"),   H("content-TYPE", " text/plain "),
                     H("CONTENT-LENGTH", "2")};
    ce_http_message m = {h, 7, S("hi")};
    char err[256];
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_http_decode(&m, NULL, &e, err, sizeof err), 0);
    if (!e)
        return;
    check_str_attr(e, "id", "1");
    check_str_attr(e, "myext", "\"q\"");
    check_str_attr(e, "datacontenttype", "text/plain");
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_TEXT);
    ce_event_destroy(e);
}

TEST(percent_decoded_attribute_values)
{
    ce_header h[] = {H("ce-specversion", "1.0"),
                     H("ce-id", "%31%32"),
                     H("ce-type", "\"com.example.quoted\""),
                     H("ce-source", "/a%2525b"),
                     H("ce-subject", "Euro%20%e2%82%ac%20%F0%9F%98%80"),
                     H("ce-time", "2018-04-05T03%3A56%3A24Z")};
    ce_http_message m = {h, 6, S("")};
    char err[256];
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_http_decode(&m, NULL, &e, err, sizeof err), 0);
    if (!e) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    check_str_attr(e, "id", "12");
    check_str_attr(e, "type", "com.example.quoted");
    check_str_attr(e, "source", "/a%25b");
    check_str_attr(e, "subject", "Euro \xe2\x82\xac \xf0\x9f\x98\x80");
    check_str_attr(e, "time", "2018-04-05T03:56:24Z");
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_NONE); /* empty body: no data */
    ce_event_destroy(e);
}

TEST(decode_into_reuses_event)
{
    ce_header h[] = {REQ_HEADERS, H("ce-x", "1")};
    ce_http_message m = {h, 5, S("[1]")};
    char err[256];
    ce_event *e = ce_event_new();
    CHECK_EQ_INT(ce_http_decode_into(&m, NULL, e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_attr_count(e), 5);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_JSON);
    m.header_count = 3; /* drops ce-source */
    CHECK_EQ_INT(ce_http_decode_into(&m, NULL, e, err, sizeof err), CE_EMISSING);
    CHECK_EQ_INT(ce_event_attr_count(e), 0);
    ce_event_destroy(e);
}

/* ---- decode errors -------------------------------------------------------------------- */

TEST(error_bad_percent_escape_names_header)
{
    ce_header h[] = {REQ_HEADERS, H("ce-subject", "x%G1")};
    check_decode_error(h, 5, NULL, CE_EHEADER, "header 'ce-subject': bad percent-escape '%G1'");
    ce_header h2[] = {REQ_HEADERS, H("Ce-Subject", "x%4")};
    check_decode_error(h2, 5, NULL, CE_EHEADER, "header 'Ce-Subject': truncated");
}

TEST(error_non_utf8_names_header)
{
    ce_header h[] = {REQ_HEADERS, H("ce-subject", "%C0%A0")};
    check_decode_error(h, 5, NULL, CE_EUTF8, "ce-subject");
    ce_header h2[] = {REQ_HEADERS, H("ce-comment", "raw\xc3")};
    check_decode_error(h2, 5, NULL, CE_EUTF8, "ce-comment");
    ce_header h3[] = {REQ_HEADERS, H("Content-Type", "text/\xc3")};
    check_decode_error(h3, 5, "x", CE_EUTF8, "Content-Type");
}

TEST(error_missing_required_names_header)
{
    ce_header h[] = {H("ce-specversion", "1.0"), H("ce-id", "1"), H("ce-type", "t")};
    check_decode_error(h, 3, NULL, CE_EMISSING, "ce-source");
    check_decode_error(NULL, 0, "{}", CE_EMISSING, "ce-specversion");
}

TEST(error_typed_attributes)
{
    ce_header h[] = {REQ_HEADERS, H("CE-Time", "2018-13-05T03:56:24Z")};
    check_decode_error(h, 5, NULL, CE_EBADVALUE, "header 'CE-Time'");
    ce_header h2[] = {REQ_HEADERS, H("ce-dataschema", "%2Fno%2Fscheme")};
    check_decode_error(h2, 5, NULL, CE_EBADVALUE, "ce-dataschema");
    ce_header h3[] = {REQ_HEADERS, H("ce-subject", "%0A")};
    check_decode_error(h3, 5, NULL, CE_EBADVALUE, "ce-subject");
    ce_header h4[] = {REQ_HEADERS, H("ce-specversion", "1.0")};
    check_decode_error(h4, 5, NULL, CE_EDUPLICATE, "ce-specversion");
    ce_header h5[] = {H("ce-specversion", "1.0"), H("ce-id", "1"), H("ce-type", "t"),
                      H("ce-source", "/s"), H("CE-ID", "2")};
    check_decode_error(h5, 5, NULL, CE_EDUPLICATE, "CE-ID");
    ce_header h6[] = {REQ_HEADERS, H("ce-my_ext", "1")};
    check_decode_error(h6, 5, NULL, CE_EBADNAME, "ce-my_ext");
}

TEST(error_datacontenttype_header_forbidden)
{
    ce_header h[] = {REQ_HEADERS, H("ce-datacontenttype", "application/json")};
    check_decode_error(h, 5, "{}", CE_EHEADER, "ce-datacontenttype");
}

TEST(error_structured_body_not_a_cloudevent)
{
    ce_header h[] = {H("Content-Type", "application/cloudevents+json")};
    check_decode_error(h, 1, "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\"}",
                       CE_EMISSING, "structured body: attribute 'type'");
    check_decode_error(h, 1, "not json", CE_ESYNTAX, "structured body");
    check_decode_error(h, 1, "", CE_ESYNTAX, "structured body");
    check_decode_error(h, 1,
                       "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\","
                       "\"time\":\"noon\"}",
                       CE_EBADVALUE, "time");
}

TEST(error_mode_and_format)
{
    ce_header h[] = {H("Content-Type", "application/cloudevents-batch+json")};
    check_decode_error(h, 1, "[]", CE_EMODE, "ce_http_decode_batch");
    ce_header h2[] = {H("Content-Type", "application/cloudevents+avro")};
    check_decode_error(h2, 1, "x", CE_EUNSUPPORTED, "application/cloudevents+avro");
    ce_header h3[] = {H("Content-Type", "application/json"), H("content-type", "text/plain")};
    check_decode_error(h3, 2, "{}", CE_EDUPLICATE, "content-type");
}

/* ---- batches -------------------------------------------------------------------------- */

TEST(batch_decode_per_element_errors)
{
    ce_header h[] = {H("Content-Type", "application/cloudevents-batch+json; charset=utf-8")};
    const char *body = "[{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"},"
                       "{\"specversion\":\"1.0\",\"id\":\"2\",\"source\":\"/s\"}]";
    ce_http_message m = {h, 1, S(body)};
    collect c = {0};
    char err[256];
    CHECK_EQ_INT(ce_http_decode_batch(&m, NULL, collect_cb, &c, err, sizeof err), 0);
    CHECK_EQ_INT(c.n, 2);
    CHECK(c.ev[0] != NULL);
    CHECK_EQ_INT(c.err[0], 0);
    CHECK(c.ev[1] == NULL);
    CHECK_EQ_INT(c.err[1], CE_EMISSING);
    CHECK_CONTAINS(c.msg[1], "type");
    collect_free(&c);

    m.body = S("[{]");
    CHECK(ce_http_decode_batch(&m, NULL, collect_cb, &c, err, sizeof err) < 0);
    CHECK_EQ_INT(c.n, 0);

    m.body = S("[]");
    CHECK_EQ_INT(ce_http_decode_batch(&m, NULL, collect_cb, &c, err, sizeof err), 0);
    CHECK_EQ_INT(c.n, 0);

    ce_header h2[] = {H("Content-Type", "application/cloudevents-batch+xml")};
    m.headers = h2;
    CHECK_EQ_INT(ce_http_decode_batch(&m, NULL, collect_cb, &c, err, sizeof err), CE_EUNSUPPORTED);
}

TEST(batch_decode_accepts_single_modes)
{
    ce_header h[] = {REQ_HEADERS};
    ce_http_message m = {h, 4, S("")};
    collect c = {0};
    char err[256];
    CHECK_EQ_INT(ce_http_decode_batch(&m, NULL, collect_cb, &c, err, sizeof err), 0);
    CHECK_EQ_INT(c.n, 1);
    CHECK(c.ev[0] != NULL);
    collect_free(&c);
    m.header_count = 3; /* invalid single event: returned, cb not called */
    CHECK_EQ_INT(ce_http_decode_batch(&m, NULL, collect_cb, &c, err, sizeof err), CE_EMISSING);
    CHECK_CONTAINS(err, "ce-source");
    CHECK_EQ_INT(c.n, 0);
}

TEST(batch_encode_empty_and_invalid)
{
    char err[256];
    ce_http_msg *m = ce_http_msg_new(0);
    CHECK_EQ_INT(ce_http_encode_batch(m, NULL, 0, err, sizeof err), 0);
    ce_http_message v = ce_http_msg_view(m);
    CHECK_EQ_MEM(v.body.ptr, v.body.len, "[]", 2);
    CHECK_EQ_INT(v.header_count, 1);
    ce_event *ok = ev_example();
    ce_event *bad = ev_make("specversion", "1.0", "id", "1", "type", "t", NULL);
    const ce_event *evs[] = {ok, bad};
    CHECK_EQ_INT(ce_http_encode_batch(m, evs, 2, err, sizeof err), CE_EMISSING);
    CHECK_CONTAINS(err, "event 1");
    CHECK_EQ_INT(ce_http_msg_view(m).header_count, 0);
    CHECK_EQ_INT(ce_http_encode(m, ok, CE_MODE_BATCH, 0, err, sizeof err), CE_EINVAL);
    ce_event_destroy(ok);
    ce_event_destroy(bad);
    ce_http_msg_destroy(m);
}

/* ---- round trips ---------------------------------------------------------------------- */

static ce_event *ev_all_types(const char *dct)
{
    char err[256];
    ce_event *e =
        ev_make("specversion", "1.0", "id", "id \"\xc3\xa9\" 100%", "source",
                "https://example.com/src?x=%20", "type", "com.example.all", "dataschema",
                "https://example.com/schema.json", "subject", "Euro \xe2\x82\xac \xf0\x9f\x98\x80",
                "time", "2024-02-29T23:59:60.123456789+05:30", NULL);
    if (dct)
        CHECK_EQ_INT(ce_event_set_str(e, "datacontenttype", dct, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_bool(e, "extbool", 0, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_int(e, "extint", 2147483647, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "extstr", " lead and trail ", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_binary(e, "extbin", "\xfb\xff", 2, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set(e, "exturi", CE_TYPE_URI, "urn:x:%41", 9, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set(e, "exturiref", CE_TYPE_URI_REF, "#frag", 5, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set(e, "extts", CE_TYPE_TIMESTAMP, "2000-01-01T00:00:00.5-01:00", 27, err,
                              sizeof err),
                 0);
    return e;
}

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

static void roundtrip(ce_mode mode, const char *dct, ce_data_kind kind, const char *data,
                      size_t len)
{
    char err[256];
    ce_event *e = ev_all_types(dct);
    if (kind != CE_DATA_NONE)
        CHECK_EQ_INT(ce_event_set_data(e, kind, data, len, err, sizeof err), 0);
    ce_http_msg *m = ce_http_msg_new(0);
    CHECK_EQ_INT(ce_http_encode(m, e, mode, 0, err, sizeof err), 0);
    ce_http_message v = ce_http_msg_view(m);
    for (size_t i = 0; i < v.header_count; i++) /* every header is a legal HTTP field */
        for (size_t k = 0; k < v.headers[i].value.len; k++) {
            unsigned char c = (unsigned char)v.headers[i].value.ptr[k];
            if (c < 0x20 || c > 0x7E)
                cer_test_fail(__FILE__, __LINE__, "header %zu: byte 0x%02x", i, c);
        }
    ce_event *d = NULL;
    CHECK_EQ_INT(ce_http_decode(&v, NULL, &d, err, sizeof err), 0);
    if (d) {
        if (mode == CE_MODE_STRUCTURED)
            CHECK(ce_event_equal(d, e));
        else
            check_same_strings(e, d);
    } else {
        fprintf(stderr, "decode: %s\n", err);
    }
    ce_event_destroy(d);
    ce_http_msg_destroy(m);
    ce_event_destroy(e);
}

TEST(roundtrip_binary_json)
{
    roundtrip(CE_MODE_BINARY, "application/json", CE_DATA_JSON, "1", 1);
}
TEST(roundtrip_binary_text)
{
    roundtrip(CE_MODE_BINARY, "text/csv", CE_DATA_TEXT, "a,b\n\xc3\xa9,2\n", 10);
}
TEST(roundtrip_binary_binary)
{
    roundtrip(CE_MODE_BINARY, "application/octet-stream", CE_DATA_BINARY, "\0\xff", 2);
}
TEST(roundtrip_binary_no_data)
{
    roundtrip(CE_MODE_BINARY, NULL, CE_DATA_NONE, NULL, 0);
}
TEST(roundtrip_structured_json)
{
    roundtrip(CE_MODE_STRUCTURED, "application/vnd.x+json", CE_DATA_JSON, "{\"k\":[]}", 8);
}
TEST(roundtrip_structured_text)
{
    roundtrip(CE_MODE_STRUCTURED, "text/plain", CE_DATA_TEXT, "t\xc3\xa9xt", 5);
}
TEST(roundtrip_structured_binary)
{
    roundtrip(CE_MODE_STRUCTURED, "application/octet-stream", CE_DATA_BINARY, "\x01\x02\x03", 3);
}
TEST(roundtrip_structured_no_data)
{
    roundtrip(CE_MODE_STRUCTURED, NULL, CE_DATA_NONE, NULL, 0);
}

TEST(binary_headers_percent_encoded)
{
    ce_event *e = ev_all_types(NULL);
    char err[256];
    ce_http_msg *m = ce_http_msg_new(0);
    CHECK_EQ_INT(ce_http_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), 0);
    ce_http_message v = ce_http_msg_view(m);
    size_t len;
    char *hs = render_headers(v.headers, v.header_count, &len);
    const char *want = "ce-specversion: 1.0\n"
                       "ce-id: id%20%22%C3%A9%22%20100%25\n"
                       "ce-source: https://example.com/src?x=%2520\n"
                       "ce-type: com.example.all\n"
                       "ce-dataschema: https://example.com/schema.json\n"
                       "ce-subject: Euro%20%E2%82%AC%20%F0%9F%98%80\n"
                       "ce-time: 2024-02-29T23:59:60.123456789+05:30\n"
                       "ce-extbin: +/8=\n"
                       "ce-extbool: false\n"
                       "ce-extint: 2147483647\n"
                       "ce-extstr: %20lead%20and%20trail%20\n"
                       "ce-extts: 2000-01-01T00:00:00.5-01:00\n"
                       "ce-exturi: urn:x:%2541\n"
                       "ce-exturiref: #frag\n";
    CHECK_EQ_MEM(hs, len, want, strlen(want));
    CHECK_EQ_INT(v.body.len, 0);
    free(hs);
    ce_http_msg_destroy(m);
    ce_event_destroy(e);
}

TEST(binary_content_type_must_be_ascii)
{
    char err[256];
    ce_event *e = ev_example();
    CHECK_EQ_INT(
        ce_event_set_str(e, "datacontenttype", "text/plain; name=\"caf\xc3\xa9\"", err, sizeof err),
        0);
    ce_http_msg *m = ce_http_msg_new(0);
    CHECK_EQ_INT(ce_http_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), CE_EBADVALUE);
    CHECK_CONTAINS(err, "datacontenttype");
    CHECK_EQ_INT(ce_http_msg_view(m).header_count, 0);
    CHECK_EQ_INT(ce_http_encode(m, e, CE_MODE_STRUCTURED, 0, err, sizeof err), 0);
    ce_http_msg_destroy(m);
    ce_http_msg_destroy(NULL);
    ce_event_destroy(e);
}

TEST(structured_with_attr_headers)
{
    char err[256];
    ce_event *e = ev_example();
    ce_event_set_str(e, "subject", "a b", err, sizeof err);
    ce_http_msg *m = ce_http_msg_new(0);
    CHECK_EQ_INT(ce_http_encode(m, e, CE_MODE_STRUCTURED, CE_BIND_ATTR_HEADERS, err, sizeof err),
                 0);
    ce_http_message v = ce_http_msg_view(m);
    size_t len;
    char *hs = render_headers(v.headers, v.header_count, &len);
    const char *want = "ce-specversion: 1.0\n"
                       "ce-id: 1234-1234-1234\n"
                       "ce-source: /mycontext/subcontext\n"
                       "ce-type: com.example.someevent\n"
                       "ce-subject: a%20b\n"
                       "ce-time: 2018-04-05T03:56:24Z\n"
                       "Content-Type: application/cloudevents+json; charset=UTF-8\n";
    CHECK_EQ_MEM(hs, len, want, strlen(want));
    /* the decoder takes the body, not the headers, in structured mode */
    ce_event *d = NULL;
    CHECK_EQ_INT(ce_http_decode(&v, NULL, &d, err, sizeof err), 0);
    CHECK(d && ce_event_equal(d, e));
    ce_event_destroy(d);
    free(hs);
    ce_http_msg_destroy(m);
    ce_event_destroy(e);
}

TEST(encode_builder_cap_and_reuse)
{
    char err[256];
    ce_http_msg *m = ce_http_msg_new(32);
    ce_event *e = ev_example();
    CHECK_EQ_INT(ce_http_encode(m, e, CE_MODE_STRUCTURED, 0, err, sizeof err), CE_ETOOBIG);
    CHECK_EQ_INT(ce_http_msg_view(m).header_count, 0);
    CHECK_EQ_INT(ce_http_msg_view(m).body.len, 0);
    ce_event_set_str(e, "subject", "needs escaping", err, sizeof err);
    CHECK_EQ_INT(ce_http_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), 0);
    ce_event_set_str(e, "subject", "this subject is far too long for 32 bytes", err, sizeof err);
    CHECK_EQ_INT(ce_http_encode(m, e, CE_MODE_BINARY, 0, err, sizeof err), CE_ETOOBIG);
    CHECK_CONTAINS(err, "subject");
    ce_http_msg_destroy(m);
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

/* Encode and decode with the Nth allocation failing, for every N until it succeeds; every
 * failure must be CE_ENOMEM (ASan checks for leaks and dangling pointers). */
TEST(allocation_failures)
{
    static const ce_allocator failing = {fail_malloc, fail_realloc, free};
    ce_event *e = ev_all_types("application/json");
    char err[256];
    ce_event_set_data(e, CE_DATA_JSON, "{\"a\":1}", 7, err, sizeof err);
    const ce_event *evs[] = {e, e};
    int ok_modes = 0;
    for (long n = 0; n < 3000 && ok_modes != 7; n++) {
        int which = (int)(n % 3); /* binary, structured, batch */
        ce_set_allocator(&failing);
        alloc_budget = n / 3;
        int rc = CE_ENOMEM;
        collect c = {0};
        ce_http_msg *m = ce_http_msg_new(0);
        if (m) {
            rc = which == 2 ? ce_http_encode_batch(m, evs, 2, err, sizeof err)
                            : ce_http_encode(m, e, which ? CE_MODE_STRUCTURED : CE_MODE_BINARY, 0,
                                             err, sizeof err);
            if (!rc) {
                ce_http_message v = ce_http_msg_view(m);
                rc = ce_http_decode_batch(&v, NULL, collect_cb, &c, err, sizeof err);
                for (size_t i = 0; i < c.n && !rc; i++)
                    rc = c.err[i];
            }
        }
        alloc_budget = -1;
        ce_set_allocator(NULL);
        if (rc == 0) {
            CHECK_EQ_INT(c.n, which == 2 ? 2 : 1);
            ok_modes |= 1 << which;
        } else if (rc != CE_ENOMEM) {
            cer_test_fail(__FILE__, __LINE__, "n=%ld: %s (%s)", n, ce_err_name(rc), err);
        }
        collect_free(&c);
        ce_http_msg_destroy(m);
    }
    CHECK_EQ_INT(ok_modes, 7);
    ce_event_destroy(e);
}

/* Regression (fuzz_binding, clang UBSan): a value that decodes to nothing left the output
 * buffer unallocated and the decoder did pointer arithmetic on NULL. */
TEST(blank_values_decode_to_empty)
{
    ce_buf b = {0};
    char err[128];
    CHECK_EQ_INT(ce_http_value_decode("  \t ", 4, &b, err, sizeof err), 0);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(ce_http_value_encode("", 0, &b), 0);
    CHECK_EQ_INT(b.len, 0);
    ce_buf_free(&b);
    ce_header h[] = {REQ_HEADERS, H("ce-blank", "   "), H("ce-quoted", "\"\"")};
    ce_http_message m = {h, 6, S("")};
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_http_decode(&m, NULL, &e, err, sizeof err), 0);
    if (e) {
        check_str_attr(e, "blank", "");
        check_str_attr(e, "quoted", "");
    }
    ce_event_destroy(e);
}
