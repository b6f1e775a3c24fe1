/* Tests for src/ce/format_json.c: golden files (spec examples, seeds, conformance events) checked
 * byte for byte, one negative test per MUST / MUST NOT of json-format.md, limits, batches, and
 * random round trips. */
#include <dirent.h>
#include <stdlib.h>

#include "ce/internal.h"
#include "ce/json.h"
#include "harness.h"

static char err[512];

#define GOLDEN_DIR "tests/ce/golden/json"

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static char *golden(const char *name, const char *suffix, size_t *len, bool must)
{
    char rel[512];
    snprintf(rel, sizeof rel, GOLDEN_DIR "/%s%s", name, suffix);
    const char *path = cer_test_src_path(rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (must)
            cer_test_fail(__FILE__, __LINE__, "missing golden file %s", rel);
        return NULL;
    }
    fclose(f);
    return cer_test_read_file(path, len);
}

static int encode_str(const ce_event *e, unsigned flags, ce_buf *b)
{
    b->len = 0;
    return ce_json_encode(e, flags, b, err, sizeof err);
}

/* One golden event: NAME.json decodes and encodes to NAME.out.json (and, when present, to
 * NAME.compact.json with CE_JSON_COMPACT_DATA), or fails as NAME.err.txt says (error name on
 * the first line, the exact message on the second). */
static void golden_event(const char *name)
{
    size_t in_len, out_len;
    char *in = golden(name, ".json", &in_len, true);
    char *want_err = golden(name, ".err.txt", NULL, false);
    char *want = golden(name, ".out.json", &out_len, want_err == NULL);
    if (!in || (!want && !want_err))
        goto out;
    ce_event *e = NULL;
    int rc = ce_json_decode(in, in_len, NULL, &e, err, sizeof err);
    if (want_err) {
        char got[600];
        snprintf(got, sizeof got, "%s\n%s\n", ce_err_name(rc), err);
        if (strcmp(got, want_err) != 0)
            cer_test_fail(__FILE__, __LINE__, "%s: got\n%sexpected\n%s", name, got, want_err);
        CHECK(e == NULL);
        goto out;
    }
    if (rc) {
        cer_test_fail(__FILE__, __LINE__, "%s: decode failed: %s %s", name, ce_err_name(rc), err);
        goto out;
    }
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(encode_str(e, 0, &b), 0);
    if (b.len != out_len || memcmp(b.ptr, want, out_len) != 0)
        cer_test_fail(__FILE__, __LINE__, "%s:\n  got:      %.*s\n  expected: %s", name, (int)b.len,
                      b.ptr, want);
    /* The canonical form is a fixed point: decoding it gives an equal event that encodes to the
     * same bytes. */
    ce_event *again = NULL;
    CHECK_EQ_INT(ce_json_decode(want, out_len, NULL, &again, err, sizeof err), 0);
    if (again) {
        CHECK(ce_event_equal(e, again));
        CHECK_EQ_INT(encode_str(again, 0, &b), 0);
        CHECK_EQ_MEM(b.ptr, b.len, want, out_len);
    }
    ce_event_destroy(again);
    size_t clen;
    char *compact = golden(name, ".compact.json", &clen, false);
    if (compact) {
        CHECK_EQ_INT(encode_str(e, CE_JSON_COMPACT_DATA, &b), 0);
        CHECK_EQ_MEM(b.ptr, b.len, compact, clen);
        free(compact);
    }
    ce_buf_free(&b);
    ce_event_destroy(e);
out:
    free(in);
    free(want);
    free(want_err);
}

struct batch_log {
    ce_buf text;
    const ce_event *ok[16];
    ce_event *owned[16];
    size_t nok;
};

static int log_cb(void *ctx, size_t index, ce_event *ev, int rc, const char *msg)
{
    struct batch_log *l = ctx;
    char line[700];
    if (ev) {
        snprintf(line, sizeof line, "%zu ok\n", index);
        if (l->nok < 16) {
            l->ok[l->nok] = ev;
            l->owned[l->nok++] = ev;
        } else {
            ce_event_destroy(ev);
        }
    } else {
        snprintf(line, sizeof line, "%zu %s %s\n", index, ce_err_name(rc), msg);
    }
    ce_buf_append(&l->text, line, strlen(line));
    return 0;
}

/* NAME.batch.json: one line per element ("N ok" or "N CE_EXXX message"), then the successful
 * events re-encoded as a batch with compact data, must equal NAME.out.txt. */
static void golden_batch(const char *name)
{
    size_t in_len, out_len;
    char *in = golden(name, ".batch.json", &in_len, true);
    char *want = golden(name, ".out.txt", &out_len, true);
    if (!in || !want)
        goto out;
    struct batch_log l;
    memset(&l, 0, sizeof l);
    CHECK_EQ_INT(ce_json_decode_batch(in, in_len, NULL, log_cb, &l, err, sizeof err), 0);
    CHECK_EQ_INT(ce_json_encode_batch(l.ok, l.nok, CE_JSON_COMPACT_DATA, &l.text, err, sizeof err),
                 0);
    ce_buf_append(&l.text, "\n", 1);
    if (l.text.len != out_len || memcmp(l.text.ptr, want, out_len) != 0)
        cer_test_fail(__FILE__, __LINE__, "%s:\n  got:\n%.*s\n  expected:\n%s", name,
                      (int)l.text.len, l.text.ptr, want);
    for (size_t k = 0; k < l.nok; k++)
        ce_event_destroy(l.owned[k]);
    ce_buf_free(&l.text);
out:
    free(in);
    free(want);
}

TEST(golden_files)
{
    DIR *d = opendir(cer_test_src_path(GOLDEN_DIR));
    CHECK(d != NULL);
    if (!d)
        return;
    int events = 0, batches = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        char name[256];
        const char *f = ent->d_name;
        if (ends_with(f, ".batch.json")) {
            snprintf(name, sizeof name, "%.*s", (int)(strlen(f) - 11), f);
            golden_batch(name);
            batches++;
        } else if (ends_with(f, ".json") && !ends_with(f, ".out.json") &&
                   !ends_with(f, ".compact.json")) {
            snprintf(name, sizeof name, "%.*s", (int)(strlen(f) - 5), f);
            golden_event(name);
            events++;
        }
    }
    closedir(d);
    /* README.md lists 19 single events and 2 batches; a missing file must not pass silently. */
    CHECK_EQ_INT(events, 19);
    CHECK_EQ_INT(batches, 2);
}

/* ---- negative tests: one per rule ------------------------------------------------------ */

#define HEAD "\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\""

/* Decode `json`; expect `rc` and, when `msg` is non-NULL, exactly that message. */
static void expect(int line, const char *json, int rc, const char *msg)
{
    ce_event *e = (ce_event *)&e; /* must be reset to NULL on failure */
    int got = ce_json_decode(json, strlen(json), NULL, &e, err, sizeof err);
    if (got != rc || (msg && strcmp(err, msg) != 0))
        cer_test_fail(__FILE__, line, "%s\n  got:      %s \"%s\"\n  expected: %s \"%s\"", json,
                      ce_err_name(got), err, ce_err_name(rc), msg ? msg : "*");
    if (rc && e != NULL)
        cer_test_fail(__FILE__, line, "*out not NULL after failure");
    if (!rc && got == 0 && err[0] != 0)
        cer_test_fail(__FILE__, line, "errstr not cleared on success: %s", err);
    if (got == 0)
        ce_event_destroy(e);
}
#define EXPECT(json, rc, msg) expect(__LINE__, json, rc, msg)

TEST(duplicate_members_rejected)
{
    EXPECT("{" HEAD ",\"id\":\"2\"}", CE_EDUPLICATE, "attribute 'id': duplicate member");
    EXPECT("{" HEAD ",\"x\":1,\"x\":1}", CE_EDUPLICATE, "attribute 'x': duplicate member");
    EXPECT("{" HEAD ",\"subject\":null,\"subject\":\"a\"}", CE_EDUPLICATE,
           "attribute 'subject': duplicate member");
    EXPECT("{" HEAD ",\"x\":null,\"x\":null}", CE_EDUPLICATE, "attribute 'x': duplicate member");
    EXPECT("{" HEAD ",\"data\":1,\"data\":1}", CE_EDUPLICATE, "attribute 'data': duplicate member");
    EXPECT("{" HEAD ",\"data_base64\":\"\",\"data_base64\":\"\"}", CE_EDUPLICATE,
           "attribute 'data_base64': duplicate member");
    /* The same name spelled with an escape is the same member. */
    EXPECT("{" HEAD ",\"\\u0069d\":\"2\"}", CE_EDUPLICATE, "attribute 'id': duplicate member");
    EXPECT("{" HEAD ",\"ab\":1,\"a\\u0062\":2}", CE_EDUPLICATE, "attribute 'ab': duplicate member");
    EXPECT("{" HEAD ",\"a\\u0062\":1,\"ab\":2}", CE_EDUPLICATE, "attribute 'ab': duplicate member");
    /* Many distinct extensions (more than the inline table) stay distinct. */
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "{" HEAD);
    for (int k = 0; k < 60; k++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ",\"x%d\":%d", k, k);
    snprintf(buf + n, sizeof buf - (size_t)n, ",\"x7\":0}");
    EXPECT(buf, CE_EDUPLICATE, "attribute 'x7': duplicate member");
}

TEST(data_and_data_base64_exclusive)
{
    EXPECT("{" HEAD ",\"data\":{},\"data_base64\":\"AA==\"}", CE_EDATA,
           "members 'data' and 'data_base64' are mutually exclusive");
    EXPECT("{" HEAD ",\"data_base64\":\"AA==\",\"data\":\"x\"}", CE_EDATA,
           "members 'data' and 'data_base64' are mutually exclusive");
}

TEST(bad_base64_rejected)
{
    static const char *const bad[] = {"\"A\"",        "\"AA=\"",   "\"A===\"",  "\"AB==\"",
                                      "\"AA==AA==\"", "\"AA AA\"", "\"YW-_\"",  "5",
                                      "true",         "{}",        "[\"AA==\"]"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char buf[256];
        snprintf(buf, sizeof buf, "{" HEAD ",\"data_base64\":%s}", bad[k]);
        EXPECT(buf, CE_EDATA, NULL);
        CHECK_CONTAINS(err, "member 'data_base64'");
    }
    /* Escapes inside the string are JSON's business, not base64's: "\/" is '/'. */
    ce_event *e;
    const char *ok = "{" HEAD ",\"data_base64\":\"\\/w\\u003d\\u003d\"}";
    CHECK_EQ_INT(ce_json_decode(ok, strlen(ok), NULL, &e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_BINARY);
    CHECK_EQ_MEM(ce_event_data(e).ptr, ce_event_data(e).len, "\xff", 1);
    ce_event_destroy(e);
}

TEST(text_content_type_needs_string_data)
{
    EXPECT("{" HEAD ",\"datacontenttype\":\"text/plain\",\"data\":{\"a\":1}}", CE_EDATA,
           "member 'data': must be a JSON string for datacontenttype 'text/plain', not an "
           "object");
    EXPECT("{" HEAD ",\"datacontenttype\":\"application/xml\",\"data\":5}", CE_EDATA,
           "member 'data': must be a JSON string for datacontenttype 'application/xml', not an "
           "integer");
    EXPECT("{" HEAD ",\"data\":[1],\"datacontenttype\":\"text/csv\"}", CE_EDATA, NULL);
    /* Order does not matter: datacontenttype after data still decides. */
    ce_event *e;
    const char *s = "{" HEAD ",\"data\":\"a\\tb\\u00e9\",\"datacontenttype\":\"text/plain\"}";
    CHECK_EQ_INT(ce_json_decode(s, strlen(s), NULL, &e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_TEXT);
    CHECK_EQ_MEM(ce_event_data(e).ptr, ce_event_data(e).len, "a\tb\xc3\xa9", 5);
    ce_event_destroy(e);
}

TEST(json_string_data_not_deserialised_again)
{
    /* json-format.md 3.1.2: a string under a JSON content type is a JSON string value; it MUST
     * NOT be parsed as a JSON document. */
    ce_event *e;
    const char *s =
        "{" HEAD ",\"datacontenttype\":\"application/json\",\"data\":\"{\\\"a\\\":1}\"}";
    CHECK_EQ_INT(ce_json_decode(s, strlen(s), NULL, &e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_JSON);
    const char *want = "\"{\\\"a\\\":1}\"";
    CHECK_EQ_MEM(ce_event_data(e).ptr, ce_event_data(e).len, want, strlen(want));
    ce_event_destroy(e);
    /* A +json suffix counts as JSON too. */
    s = "{" HEAD ",\"datacontenttype\":\"application/cloudevents+json; charset=utf-8\","
        "\"data\":[1, 2]}";
    CHECK_EQ_INT(ce_json_decode(s, strlen(s), NULL, &e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_JSON);
    CHECK_EQ_MEM(ce_event_data(e).ptr, ce_event_data(e).len, "[1, 2]", 6);
    ce_event_destroy(e);
}

TEST(null_means_unset)
{
    ce_event *e;
    const char *s = "{" HEAD ",\"subject\":null,\"time\":null,\"dataschema\":null,"
                    "\"datacontenttype\":null,\"ext\":null,\"data_base64\":null}";
    CHECK_EQ_INT(ce_json_decode(s, strlen(s), NULL, &e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_attr_count(e), 4);
    CHECK_EQ_INT(ce_event_get(e, "subject", NULL), CE_ENOTFOUND);
    CHECK_EQ_INT(ce_event_get(e, "ext", NULL), CE_ENOTFOUND);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_NONE);
    ce_event_destroy(e);
    /* "data": null is an explicit null payload, distinct from no data (3.1.1). */
    s = "{" HEAD ",\"data\":null}";
    CHECK_EQ_INT(ce_json_decode(s, strlen(s), NULL, &e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_JSON);
    CHECK_EQ_MEM(ce_event_data(e).ptr, ce_event_data(e).len, "null", 4);
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(encode_str(e, 0, &b), 0);
    const char *want = "{" HEAD ",\"data\":null}";
    CHECK_EQ_MEM(b.ptr, b.len, want, strlen(want));
    ce_buf_free(&b);
    ce_event_destroy(e);
    /* A required attribute given as null is missing. */
    EXPECT("{\"specversion\":\"1.0\",\"id\":null,\"source\":\"/s\",\"type\":\"t\"}", CE_EMISSING,
           "attribute 'id': required attribute missing");
    /* null for data with a non-JSON content type is not a string. */
    EXPECT("{" HEAD ",\"datacontenttype\":\"text/plain\",\"data\":null}", CE_EDATA, NULL);
    /* null does not excuse a bad member name. */
    EXPECT("{" HEAD ",\"Bad\":null}", CE_EBADNAME, NULL);
}

TEST(integer_extensions)
{
    ce_event *e;
    const char *s = "{" HEAD ",\"a\":2147483647,\"b\":-2147483648,\"c\":0,\"d\":-0}";
    CHECK_EQ_INT(ce_json_decode(s, strlen(s), NULL, &e, err, sizeof err), 0);
    ce_value v;
    CHECK_EQ_INT(ce_event_get(e, "a", &v), 0);
    CHECK_EQ_INT(v.type, CE_TYPE_INTEGER);
    CHECK_EQ_INT(v.i, INT32_MAX);
    CHECK_EQ_INT(ce_event_get(e, "b", &v), 0);
    CHECK_EQ_INT(v.i, INT32_MIN);
    CHECK_EQ_INT(ce_event_get(e, "d", &v), 0);
    CHECK_EQ_MEM(v.str.ptr, v.str.len, "0", 1);
    ce_event_destroy(e);
    EXPECT("{" HEAD ",\"big\":2147483648}", CE_ERANGE,
           "attribute 'big': Integer out of the signed 32-bit range");
    EXPECT("{" HEAD ",\"neg\":-2147483649}", CE_ERANGE, NULL);
    EXPECT("{" HEAD ",\"huge\":123456789012345678901234567890}", CE_ERANGE, NULL);
    /* Only the integer component is permitted (2.2). */
    EXPECT("{" HEAD ",\"f\":1.5}", CE_ETYPE,
           "attribute 'f': a non-integer number is not a valid attribute value");
    EXPECT("{" HEAD ",\"f\":5.0}", CE_ETYPE, NULL);
    EXPECT("{" HEAD ",\"f\":1e3}", CE_ETYPE, NULL);
    EXPECT("{" HEAD ",\"f\":-1E-2}", CE_ETYPE, NULL);
}

TEST(attribute_json_types)
{
    EXPECT("{\"specversion\":\"1.0\",\"id\":5,\"source\":\"/s\",\"type\":\"t\"}", CE_ETYPE,
           "attribute 'id': must be a JSON string, not an integer");
    EXPECT("{" HEAD ",\"time\":true}", CE_ETYPE,
           "attribute 'time': must be a JSON string, not a boolean");
    EXPECT("{" HEAD ",\"subject\":{}}", CE_ETYPE, NULL);
    EXPECT("{" HEAD ",\"datacontenttype\":[\"a/b\"]}", CE_ETYPE, NULL);
    EXPECT("{" HEAD ",\"ext\":{\"a\":1}}", CE_ETYPE,
           "attribute 'ext': an object is not a valid attribute value");
    EXPECT("{" HEAD ",\"ext\":[]}", CE_ETYPE,
           "attribute 'ext': an array is not a valid attribute value");
    /* Booleans map to Boolean, strings to String. */
    ce_event *e;
    const char *s = "{" HEAD ",\"t\":true,\"f\":false,\"s\":\"true\"}";
    CHECK_EQ_INT(ce_json_decode(s, strlen(s), NULL, &e, err, sizeof err), 0);
    ce_value v;
    CHECK_EQ_INT(ce_event_get(e, "f", &v), 0);
    CHECK_EQ_INT(v.type, CE_TYPE_BOOLEAN);
    CHECK_EQ_INT(v.i, 0);
    CHECK_EQ_INT(ce_event_get(e, "s", &v), 0);
    CHECK_EQ_INT(v.type, CE_TYPE_STRING);
    ce_event_destroy(e);
}

TEST(specversion_checked)
{
    EXPECT("{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}",
           CE_ESPECVERSION, "attribute 'specversion': unsupported version '0.3' (only 1.0)");
    EXPECT("{\"specversion\":1.0,\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}", CE_ETYPE,
           "attribute 'specversion': must be a JSON string, not a non-integer number");
    EXPECT("{\"specversion\":\"1.0 \",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}",
           CE_ESPECVERSION, NULL);
}

TEST(required_attributes)
{
    EXPECT("{\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\"}", CE_EMISSING,
           "attribute 'specversion': required attribute missing");
    EXPECT("{\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"}", CE_EMISSING,
           "attribute 'id': required attribute missing");
    EXPECT("{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"t\"}", CE_EMISSING,
           "attribute 'source': required attribute missing");
    EXPECT("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\"}", CE_EMISSING,
           "attribute 'type': required attribute missing");
    EXPECT("{}", CE_EMISSING, NULL);
    EXPECT("{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"/s\",\"type\":\"t\"}", CE_EBADVALUE,
           "attribute 'id': must be a non-empty string");
}

TEST(attribute_names)
{
    EXPECT("{" HEAD ",\"Upper\":\"x\"}", CE_EBADNAME, NULL);
    CHECK_CONTAINS(err, "Upper");
    EXPECT("{" HEAD ",\"with-dash\":\"x\"}", CE_EBADNAME, NULL);
    EXPECT("{" HEAD ",\"\":\"x\"}", CE_EBADNAME, NULL);
    EXPECT("{" HEAD ",\"a b\":1}", CE_EBADNAME, NULL);
    EXPECT("{" HEAD ",\"caf\\u00e9\":true}", CE_EBADNAME, NULL);
    /* Long names are a SHOULD NOT, not a MUST NOT: kept. */
    ce_event *e;
    const char *s = "{" HEAD ",\"averyveryverylongextensionname0123\":\"x\"}";
    CHECK_EQ_INT(ce_json_decode(s, strlen(s), NULL, &e, err, sizeof err), 0);
    ce_event_destroy(e);
}

TEST(string_attribute_rules)
{
    EXPECT("{" HEAD ",\"subject\":\"\\ud800\"}", CE_EUTF8, "byte 66: lone high surrogate");
    EXPECT("{" HEAD ",\"ext\":\"a\\udc00\"}", CE_EUTF8, NULL);
    EXPECT("{" HEAD ",\"subject\":\"a\\u0001b\"}", CE_EBADVALUE,
           "attribute 'subject': control character U+0001 at byte 1");
    EXPECT("{" HEAD ",\"ext\":\"a\\nb\"}", CE_EBADVALUE,
           "attribute 'ext': control character U+000A at byte 1");
    EXPECT("{" HEAD ",\"ext\":\"\\u0085\"}", CE_EBADVALUE, NULL); /* C1 control */
    EXPECT("{" HEAD ",\"ext\":\"\\ufffe\"}", CE_EBADVALUE, NULL); /* noncharacter */
    /* A raw control character is not even JSON. */
    EXPECT("{" HEAD ",\"ext\":\"a\tb\"}", CE_ESYNTAX,
           "byte 63: unescaped control character in string");
    EXPECT("{" HEAD ",\"ext\":\"\xc0\xaf\"}", CE_EUTF8, "byte 62: invalid UTF-8 in string");
    /* A proper pair is fine and comes out as raw UTF-8. */
    ce_event *e;
    const char *s = "{" HEAD ",\"ext\":\"\\ud83c\\udf0e\"}";
    CHECK_EQ_INT(ce_json_decode(s, strlen(s), NULL, &e, err, sizeof err), 0);
    ce_slice v = ce_event_get_str(e, "ext");
    CHECK_EQ_MEM(v.ptr, v.len, "\xf0\x9f\x8c\x8e", 4);
    ce_event_destroy(e);
}

TEST(semantic_errors_pass_through)
{
    EXPECT("{" HEAD ",\"time\":\"yesterday\"}", CE_EBADVALUE, NULL);
    CHECK(strncmp(err, "attribute 'time': ", 18) == 0);
    EXPECT("{" HEAD ",\"dataschema\":\"relative/ref\"}", CE_EBADVALUE, NULL);
    CHECK(strncmp(err, "attribute 'dataschema': ", 24) == 0);
    EXPECT("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"a b\",\"type\":\"t\"}", CE_EBADVALUE,
           NULL);
    CHECK(strncmp(err, "attribute 'source': ", 20) == 0);
}

TEST(syntax_errors_give_offsets)
{
    EXPECT("", CE_ESYNTAX, "byte 0: expected a value");
    EXPECT("{\"id\":}", CE_ESYNTAX, "byte 6: expected a value");
    EXPECT("{" HEAD ",}", CE_ESYNTAX, "byte 55: expected a member name");
    EXPECT("{" HEAD "} x", CE_ESYNTAX, "byte 56: trailing characters");
    EXPECT("{" HEAD ",\"data\":{\"a\":[1,}}", CE_ESYNTAX, "byte 70: expected a value");
    EXPECT("{" HEAD, CE_ESYNTAX, "byte 54: unexpected end of input");
    EXPECT("[{" HEAD "}]", CE_ETYPE, "byte 0: an event must be a JSON object");
    EXPECT("  \"event\"", CE_ETYPE, "byte 2: an event must be a JSON object");
    EXPECT("[1,", CE_ESYNTAX, "byte 3: expected a value");
}

TEST(size_limit)
{
    /* 64 KiB of data must get through with the default limits. */
    size_t cap = 80 << 10;
    char *buf = malloc(cap);
    int n = snprintf(buf, cap, "{" HEAD ",\"data\":\"");
    size_t want_total = (size_t)64 << 10;
    size_t fill = want_total - (size_t)n - 2;
    memset(buf + n, 'x', fill);
    memcpy(buf + n + fill, "\"}", 3);
    CHECK_EQ_INT(strlen(buf), want_total);
    ce_event *e;
    CHECK_EQ_INT(ce_json_decode(buf, want_total, NULL, &e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data(e).len, fill + 2);
    ce_event_destroy(e);
    ce_limits lim = CE_LIMITS_DEFAULT;
    lim.max_event_bytes = want_total - 1;
    CHECK_EQ_INT(ce_json_decode(buf, want_total, &lim, &e, err, sizeof err), CE_ETOOBIG);
    CHECK_EQ_STR(err, "byte 65535: event is 65536 bytes, more than max_event_bytes (65535)");
    CHECK(e == NULL);
    lim.max_event_bytes = want_total;
    CHECK_EQ_INT(ce_json_decode(buf, want_total, &lim, &e, err, sizeof err), 0);
    ce_event_destroy(e);
    free(buf);
}

TEST(depth_limit)
{
    /* The event object is depth 1, so data may nest max_depth - 1 levels. */
    char buf[512];
    int n = snprintf(buf, sizeof buf, "{" HEAD ",\"data\":");
    for (int k = 0; k < 63; k++)
        buf[n++] = '[';
    for (int k = 0; k < 63; k++)
        buf[n++] = ']';
    buf[n++] = '}';
    buf[n] = 0;
    ce_event *e;
    CHECK_EQ_INT(ce_json_decode(buf, (size_t)n, NULL, &e, err, sizeof err), 0);
    ce_event_destroy(e);
    ce_limits lim = CE_LIMITS_DEFAULT;
    lim.max_depth = 63;
    CHECK_EQ_INT(ce_json_decode(buf, (size_t)n, &lim, &e, err, sizeof err), CE_EDEPTH);
    CHECK_EQ_STR(err, "byte 124: nesting too deep");
    /* 64 levels of data under the default limit is one too many. */
    memmove(buf + 65, buf + 64, (size_t)n - 63);
    buf[64] = '[';
    memmove(buf + 65 + 64 + 1, buf + 65 + 64, strlen(buf + 65 + 64) + 1);
    buf[65 + 64] = ']';
    CHECK_EQ_INT(ce_json_decode(buf, strlen(buf), NULL, &e, err, sizeof err), CE_EDEPTH);
}

TEST(attribute_limit)
{
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "{" HEAD);
    for (int k = 0; k < 60; k++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ",\"x%d\":true", k);
    snprintf(buf + n, sizeof buf - (size_t)n, "}");
    ce_event *e;
    CHECK_EQ_INT(ce_json_decode(buf, strlen(buf), NULL, &e, err, sizeof err), 0); /* 64 */
    CHECK_EQ_INT(ce_event_attr_count(e), 64);
    ce_event_destroy(e);
    snprintf(buf + n, sizeof buf - (size_t)n, ",\"one\":1}");
    CHECK_EQ_INT(ce_json_decode(buf, strlen(buf), NULL, &e, err, sizeof err), CE_ELIMIT);
    CHECK_EQ_STR(err, "attribute 'one': more than 64 attributes");
    /* null members are not attributes */
    snprintf(buf + n, sizeof buf - (size_t)n, ",\"one\":null}");
    CHECK_EQ_INT(ce_json_decode(buf, strlen(buf), NULL, &e, err, sizeof err), 0);
    ce_event_destroy(e);
    /* ... but they are bounded too (twice max_attributes members in all), so that duplicate
     * detection stays cheap on hostile input. */
    n = snprintf(buf, sizeof buf, "{" HEAD);
    for (int k = 0; k < 124; k++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, ",\"n%d\":null", k);
    snprintf(buf + n, sizeof buf - (size_t)n, ",\"data\":1}");
    CHECK_EQ_INT(ce_json_decode(buf, strlen(buf), NULL, &e, err, sizeof err), 0); /* 128 */
    ce_event_destroy(e);
    snprintf(buf + n, sizeof buf - (size_t)n, ",\"last\":null}");
    CHECK_EQ_INT(ce_json_decode(buf, strlen(buf), NULL, &e, err, sizeof err), CE_ELIMIT);
    CHECK_EQ_STR(err, "attribute 'last': more than 128 members");
}

TEST(decode_into_reuses_event)
{
    ce_event *e = ce_event_new();
    const char *a = "{" HEAD ",\"x\":1,\"data\":{\"k\":[1,2]}}";
    const char *b = "{" HEAD ",\"y\":\"2\"}";
    CHECK_EQ_INT(ce__json_decode_into(a, strlen(a), NULL, e, err, sizeof err), 0);
    CHECK_EQ_INT(ce__json_decode_into(b, strlen(b), NULL, e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_get(e, "x", NULL), CE_ENOTFOUND);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_NONE);
    CHECK_EQ_INT(ce__json_decode_into("{", 1, NULL, e, err, sizeof err), CE_ESYNTAX);
    CHECK_EQ_INT(ce_event_attr_count(e), 0); /* left empty on failure */
    ce_event_destroy(e);
}

/* ---- encoding --------------------------------------------------------------------------- */

TEST(encode_requires_valid_event)
{
    ce_event *e = ce_event_new();
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(ce_buf_append(&b, "prefix", 6), 0);
    CHECK_EQ_INT(ce_json_encode(e, 0, &b, err, sizeof err), CE_EMISSING);
    CHECK_EQ_INT(b.len, 6);
    ce_event_set_str(e, "specversion", "1.0", err, sizeof err);
    ce_event_set_str(e, "id", "1", err, sizeof err);
    ce_event_set_str(e, "source", "/s", err, sizeof err);
    ce_event_set_str(e, "type", "t", err, sizeof err);
    /* Appends, and fails cleanly at the cap, leaving what was there. */
    char text[301];
    memset(text, 'x', 300);
    text[300] = 0;
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_TEXT, text, 300, err, sizeof err), 0);
    b.cap_limit = 256;
    CHECK_EQ_INT(ce_json_encode(e, 0, &b, err, sizeof err), CE_ETOOBIG);
    CHECK_EQ_INT(b.len, 6);
    CHECK_EQ_MEM(b.ptr, b.len, "prefix", 6);
    b.cap_limit = 0;
    CHECK_EQ_INT(ce_json_encode(e, 0, &b, err, sizeof err), 0);
    char want[512];
    snprintf(want, sizeof want, "prefix{" HEAD ",\"data\":\"%s\"}", text);
    CHECK_EQ_MEM(b.ptr, b.len, want, strlen(want));
    ce_buf_free(&b);
    ce_event_destroy(e);
}

TEST(encode_data_kinds_against_content_type)
{
    ce_event *e = ce_event_new();
    ce_buf b;
    ce_buf_init(&b);
    ce_event_set_str(e, "specversion", "1.0", err, sizeof err);
    ce_event_set_str(e, "id", "1", err, sizeof err);
    ce_event_set_str(e, "source", "/s", err, sizeof err);
    ce_event_set_str(e, "type", "t", err, sizeof err);
    /* Text: an escaped JSON string whatever the content type. */
    ce_event_set_data(e, CE_DATA_TEXT, "a\"\n\x01", 4, err, sizeof err);
    CHECK_EQ_INT(encode_str(e, 0, &b), 0);
    const char *w1 = "{" HEAD ",\"data\":\"a\\\"\\n\\u0001\"}";
    CHECK_EQ_MEM(b.ptr, b.len, w1, strlen(w1));
    /* JSON data under a non-JSON content type: written as its string representation. */
    ce_event_set_str(e, "datacontenttype", "text/plain", err, sizeof err);
    ce_event_set_data(e, CE_DATA_JSON, "{\"a\": 1}", 8, err, sizeof err);
    CHECK_EQ_INT(encode_str(e, 0, &b), 0);
    const char *w2 = "{" HEAD ",\"datacontenttype\":\"text/plain\",\"data\":\"{\\\"a\\\": 1}\"}";
    CHECK_EQ_MEM(b.ptr, b.len, w2, strlen(w2));
    /* JSON data is written as given, minus the insignificant whitespace around it (a body's
     * final newline would otherwise end up inside the envelope). */
    ce_event_set_str(e, "datacontenttype", "application/json", err, sizeof err);
    ce_event_set_data(e, CE_DATA_JSON, " {\"a\": 1}\r\n", 12, err, sizeof err);
    CHECK_EQ_INT(encode_str(e, 0, &b), 0);
    const char *w25 = "{" HEAD ",\"datacontenttype\":\"application/json\",\"data\":{\"a\": 1}}";
    CHECK_EQ_MEM(b.ptr, b.len, w25, strlen(w25));
    /* Binary with a JSON content type stays data_base64. */
    ce_event_set_str(e, "datacontenttype", "application/json", err, sizeof err);
    ce_event_set_data(e, CE_DATA_BINARY, "\x00\xff", 2, err, sizeof err);
    CHECK_EQ_INT(encode_str(e, 0, &b), 0);
    const char *w3 = "{" HEAD ",\"datacontenttype\":\"application/json\",\"data_base64\":\"AP8=\"}";
    CHECK_EQ_MEM(b.ptr, b.len, w3, strlen(w3));
    /* Binary extension attributes are base64 strings; Integer and Boolean are bare. */
    ce_event_set_binary(e, "bin", "hi", 2, err, sizeof err);
    ce_event_set_int(e, "num", -7, err, sizeof err);
    ce_event_set_bool(e, "flag", 1, err, sizeof err);
    ce_event_set_data(e, CE_DATA_NONE, NULL, 0, err, sizeof err);
    CHECK_EQ_INT(encode_str(e, 0, &b), 0);
    const char *w4 = "{" HEAD ",\"datacontenttype\":\"application/json\",\"bin\":\"aGk=\","
                     "\"flag\":true,\"num\":-7}";
    CHECK_EQ_MEM(b.ptr, b.len, w4, strlen(w4));
    ce_buf_free(&b);
    ce_event_destroy(e);
}

/* ---- batches ---------------------------------------------------------------------------- */

struct calls {
    int n;
    size_t idx[8];
    int rc[8];
    char msg[8][200];
    int stop_at;
};

static int calls_cb(void *ctx, size_t index, ce_event *ev, int rc, const char *msg)
{
    struct calls *c = ctx;
    if (c->n < 8) {
        c->idx[c->n] = index;
        c->rc[c->n] = rc;
        snprintf(c->msg[c->n], sizeof c->msg[0], "%s", msg);
    }
    c->n++;
    if ((rc == 0) != (ev != NULL))
        cer_test_fail(__FILE__, __LINE__, "event and error disagree at %zu", index);
    ce_event_destroy(ev);
    return c->stop_at >= 0 && (size_t)c->stop_at == index ? 7 : 0;
}

static int batch(const char *json, const ce_limits *lim, struct calls *c)
{
    memset(c, 0, sizeof *c);
    c->stop_at = -1;
    return ce_json_decode_batch(json, strlen(json), lim, calls_cb, c, err, sizeof err);
}

TEST(batch_empty_and_per_index_errors)
{
    struct calls c;
    CHECK_EQ_INT(batch(" [ ] ", NULL, &c), 0);
    CHECK_EQ_INT(c.n, 0);
    const char *s = "[{" HEAD "}, {\"specversion\":\"1.0\",\"source\":\"/s\",\"type\":\"t\"},"
                    "{" HEAD ",\"x\":1.5}, \"str\", {" HEAD ",\"data\":[1]}]";
    CHECK_EQ_INT(batch(s, NULL, &c), 0);
    CHECK_EQ_INT(c.n, 5);
    CHECK_EQ_INT(c.rc[0], 0);
    CHECK_EQ_INT(c.rc[1], CE_EMISSING);
    CHECK_EQ_STR(c.msg[1], "attribute 'id': required attribute missing");
    CHECK_EQ_INT(c.rc[2], CE_ETYPE);
    CHECK_EQ_STR(c.msg[2], "attribute 'x': a non-integer number is not a valid attribute value");
    CHECK_EQ_INT(c.rc[3], CE_ETYPE);
    CHECK_EQ_STR(c.msg[3], "byte 170: an event must be a JSON object");
    CHECK_EQ_INT(c.rc[4], 0);
    CHECK_EQ_INT(c.idx[4], 4);
}

TEST(batch_callback_can_stop)
{
    struct calls c;
    memset(&c, 0, sizeof c);
    c.stop_at = 1;
    const char *s = "[{" HEAD "},{" HEAD "},{" HEAD "}]";
    CHECK_EQ_INT(ce_json_decode_batch(s, strlen(s), NULL, calls_cb, &c, err, sizeof err), 7);
    CHECK_EQ_INT(c.n, 2);
}

TEST(batch_syntax_errors_fail_before_callbacks)
{
    struct calls c;
    const char *s = "[{" HEAD "},{" HEAD ",}]";
    CHECK_EQ_INT(batch(s, NULL, &c), CE_ESYNTAX);
    CHECK_EQ_STR(err, "byte 112: expected a member name");
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(batch("[{}", NULL, &c), CE_ESYNTAX);
    CHECK_EQ_STR(err, "byte 3: unexpected end of input");
    CHECK_EQ_INT(batch("[] []", NULL, &c), CE_ESYNTAX);
    CHECK_EQ_STR(err, "byte 3: trailing characters");
    CHECK_EQ_INT(batch("{" HEAD "}", NULL, &c), CE_ETYPE);
    CHECK_EQ_STR(err, "byte 0: a batch must be a JSON array");
    CHECK_EQ_INT(c.n, 0);
}

TEST(batch_limits)
{
    struct calls c;
    ce_limits lim = CE_LIMITS_DEFAULT;
    lim.max_batch = 2;
    CHECK_EQ_INT(batch("[{},{},{}]", &lim, &c), CE_ELIMIT);
    CHECK_EQ_STR(err, "byte 7: batch has more than 2 events");
    CHECK_EQ_INT(c.n, 0);
    CHECK_EQ_INT(batch("[{},{}]", &lim, &c), 0);
    CHECK_EQ_INT(c.n, 2);
    /* Depth counts from each event, not from the array. */
    lim = (ce_limits)CE_LIMITS_DEFAULT;
    lim.max_depth = 2;
    CHECK_EQ_INT(batch("[{" HEAD ",\"data\":[]}]", &lim, &c), 0);
    CHECK_EQ_INT(c.rc[0], 0);
    CHECK_EQ_INT(batch("[{" HEAD ",\"data\":[[]]}]", &lim, &c), CE_EDEPTH);
    lim = (ce_limits)CE_LIMITS_DEFAULT;
    lim.max_event_bytes = 5;
    CHECK_EQ_INT(batch("[{},{}]", &lim, &c), CE_ETOOBIG);
}

TEST(batch_encode)
{
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(ce_json_encode_batch(NULL, 0, 0, &b, err, sizeof err), 0);
    CHECK_EQ_MEM(b.ptr, b.len, "[]", 2);
    ce_event *e;
    const char *s = "{" HEAD "}";
    CHECK_EQ_INT(ce_json_decode(s, strlen(s), NULL, &e, err, sizeof err), 0);
    ce_event *bad = ce_event_new();
    const ce_event *two[2] = {e, e};
    b.len = 0;
    CHECK_EQ_INT(ce_json_encode_batch(two, 2, 0, &b, err, sizeof err), 0);
    const char *want = "[{" HEAD "},{" HEAD "}]";
    CHECK_EQ_MEM(b.ptr, b.len, want, strlen(want));
    const ce_event *mixed[2] = {e, bad};
    CHECK_EQ_INT(ce_json_encode_batch(mixed, 2, 0, &b, err, sizeof err), CE_EMISSING);
    CHECK_EQ_STR(err, "event 1: attribute 'specversion': required attribute missing");
    CHECK_EQ_INT(b.len, strlen(want)); /* unchanged */
    ce_event_destroy(bad);
    ce_event_destroy(e);
    ce_buf_free(&b);
}

/* Regression (found by the bindings fuzzer): a malformed number read an unset flag. */
TEST(malformed_number_in_extension)
{
    ce_event *e = NULL;
    const char *in =
        "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"a\":-0.x}";
    CHECK_EQ_INT(ce_json_decode(in, strlen(in), NULL, &e, err, sizeof err), CE_ESYNTAX);
    CHECK(e == NULL);
}
