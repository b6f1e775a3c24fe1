/* Tests for src/ce/event.c: setters, typed getters, canonical order, data kinds, validation,
 * equality, clone, and failed calls leaving the event unchanged. */
#include <stdlib.h>

#include "cerelay/ce.h"
#include "harness.h"

static char err[256];

static ce_event *minimal(void)
{
    ce_event *e = ce_event_new();
    CHECK(e != NULL);
    CHECK_EQ_INT(ce_event_set_str(e, "specversion", "1.0", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "id", "evt-1", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "source", "llm-orch-svc", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "type", "eventzr.llm.usage.v1", err, sizeof err), 0);
    return e;
}

TEST(minimal_event_validates)
{
    ce_event *e = minimal();
    CHECK_EQ_INT(ce_event_validate(e, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_attr_count(e), 4);
    ce_event_destroy(e);
    ce_event_destroy(NULL);
}

TEST(missing_required_named)
{
    static const char *const req[] = {"specversion", "id", "source", "type"};
    for (size_t k = 0; k < 4; k++) {
        ce_event *e = minimal();
        CHECK_EQ_INT(ce_event_unset(e, req[k]), 0);
        CHECK_EQ_INT(ce_event_validate(e, err, sizeof err), CE_EMISSING);
        char want[64];
        snprintf(want, sizeof want, "attribute '%s'", req[k]);
        CHECK_CONTAINS(err, want);
        ce_event_destroy(e);
    }
}

TEST(specversion_must_be_1_0)
{
    ce_event *e = minimal();
    CHECK_EQ_INT(ce_event_set_str(e, "specversion", "0.3", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_validate(e, err, sizeof err), CE_ESPECVERSION);
    CHECK_CONTAINS(err, "specversion");
    ce_event_destroy(e);
}

TEST(spec_attrs_non_empty)
{
    ce_event *e = minimal();
    static const char *const names[] = {"id",      "source",          "type", "specversion",
                                        "subject", "datacontenttype", "time", "dataschema"};
    for (size_t k = 0; k < 8; k++) {
        CHECK_EQ_INT(ce_event_set_str(e, names[k], "", err, sizeof err), CE_EBADVALUE);
        CHECK_CONTAINS(err, names[k]);
    }
    /* the failed calls left the event as it was */
    CHECK_EQ_INT(ce_event_validate(e, err, sizeof err), 0);
    ce_slice id = ce_event_get_str(e, "id");
    CHECK_EQ_MEM(id.ptr, id.len, "evt-1", 5);
    ce_event_destroy(e);
}

TEST(fixed_types_enforced)
{
    ce_event *e = minimal();
    CHECK_EQ_INT(ce_event_set_int(e, "id", 5, err, sizeof err), CE_ETYPE);
    CHECK_CONTAINS(err, "attribute 'id': must be String");
    CHECK_EQ_INT(ce_event_set(e, "time", CE_TYPE_STRING, "x", 1, err, sizeof err), CE_ETYPE);
    CHECK_EQ_INT(ce_event_set_str(e, "time", "2018-04-05T17:31:00Z", err, sizeof err), 0);
    ce_value v;
    CHECK_EQ_INT(ce_event_get(e, "time", &v), 0);
    CHECK_EQ_INT(v.type, CE_TYPE_TIMESTAMP);
    ce_event_destroy(e);
}

TEST(time_kept_exactly)
{
    ce_event *e = minimal();
    const char *ts = "2026-02-27T12:00:00.000123456789+05:30";
    CHECK_EQ_INT(ce_event_set_str(e, "time", ts, err, sizeof err), 0);
    ce_slice s = ce_event_get_str(e, "time");
    CHECK_EQ_MEM(s.ptr, s.len, ts, strlen(ts));
    CHECK_EQ_INT(ce_event_set_str(e, "time", "2026-02-27 12:00:00Z", err, sizeof err),
                 CE_EBADVALUE);
    CHECK_CONTAINS(err, "attribute 'time': not an RFC 3339 timestamp");
    ce_event_destroy(e);
}

TEST(extension_names)
{
    ce_event *e = minimal();
    CHECK_EQ_INT(ce_event_set_str(e, "Tenant", "x", err, sizeof err), CE_EBADNAME);
    CHECK_CONTAINS(err, "[a-z0-9]");
    CHECK_EQ_INT(ce_event_set_str(e, "data", "x", err, sizeof err), CE_EBADNAME);
    CHECK_CONTAINS(err, "reserved");
    CHECK_EQ_INT(ce_event_set_str(e, "", "x", err, sizeof err), CE_EBADNAME);
    CHECK_EQ_INT(ce_event_set_str(e, "ten-ant", "x", err, sizeof err), CE_EBADNAME);
    /* over 20 characters: accepted (SHOULD NOT, not MUST NOT) and kept */
    CHECK_EQ_INT(ce_event_set_str(e, "averyveryverylongextensionname", "x", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "1tenant", "x", err, sizeof err), 0);
    ce_event_destroy(e);
}

TEST(canonical_order)
{
    ce_event *e = minimal();
    CHECK_EQ_INT(ce_event_set_str(e, "zeta", "z", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_int(e, "alpha", 7, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "time", "2018-04-05T17:31:00Z", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "subject", "tenant-uuid", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_bool(e, "mid", 1, err, sizeof err), 0);
    static const char *const want[] = {"specversion", "id",    "source", "type", "subject",
                                       "time",        "alpha", "mid",    "zeta"};
    CHECK_EQ_INT(ce_event_attr_count(e), 9);
    for (size_t i = 0; i < 9; i++) {
        const char *n = NULL;
        CHECK_EQ_INT(ce_event_attr_at(e, i, &n, NULL), 0);
        CHECK_EQ_STR(n, want[i]);
    }
    CHECK_EQ_INT(ce_event_attr_at(e, 9, NULL, NULL), CE_ENOTFOUND);
    ce_event_destroy(e);
}

TEST(many_extensions_grow)
{
    ce_event *e = minimal();
    char name[16];
    for (int i = 99; i >= 0; i--) {
        snprintf(name, sizeof name, "ext%02d", i);
        CHECK_EQ_INT(ce_event_set_int(e, name, i, err, sizeof err), 0);
    }
    CHECK_EQ_INT(ce_event_attr_count(e), 104);
    for (int i = 0; i < 100; i++) {
        const char *n;
        ce_value v;
        CHECK_EQ_INT(ce_event_attr_at(e, 4 + (size_t)i, &n, &v), 0);
        snprintf(name, sizeof name, "ext%02d", i);
        CHECK_EQ_STR(n, name);
        CHECK_EQ_INT(v.i, i);
    }
    ce_event *c = ce_event_clone(e);
    CHECK(ce_event_equal(e, c));
    CHECK_EQ_INT(ce_event_unset(c, "ext50"), 0);
    CHECK(!ce_event_equal(e, c));
    CHECK_EQ_INT(ce_event_unset(c, "ext50"), CE_ENOTFOUND);
    ce_event_destroy(c);
    ce_event_destroy(e);
}

TEST(integer_canonical_and_range)
{
    ce_event *e = minimal();
    ce_value v;
    CHECK_EQ_INT(ce_event_set(e, "n", CE_TYPE_INTEGER, "-2147483648", 11, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_get(e, "n", &v), 0);
    CHECK_EQ_INT(v.i, INT32_MIN);
    CHECK_EQ_INT(ce_event_set(e, "n", CE_TYPE_INTEGER, "2147483647", 10, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set(e, "n", CE_TYPE_INTEGER, "2147483648", 10, err, sizeof err),
                 CE_EBADVALUE);
    CHECK_CONTAINS(err, "attribute 'n': Integer out of the signed 32-bit range");
    CHECK_EQ_INT(ce_event_set(e, "n", CE_TYPE_INTEGER, "1.5", 3, err, sizeof err), CE_EBADVALUE);
    CHECK_EQ_INT(ce_event_set(e, "n", CE_TYPE_INTEGER, "+1", 2, err, sizeof err), CE_EBADVALUE);
    CHECK_EQ_INT(ce_event_set(e, "n", CE_TYPE_INTEGER, "01", 2, err, sizeof err), CE_EBADVALUE);
    CHECK_EQ_INT(ce_event_set(e, "n", CE_TYPE_INTEGER, "-0", 2, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_get(e, "n", &v), 0);
    CHECK_EQ_MEM(v.str.ptr, v.str.len, "0", 1);
    ce_event_destroy(e);
}

TEST(boolean_values)
{
    ce_event *e = minimal();
    ce_value v;
    CHECK_EQ_INT(ce_event_set(e, "b", CE_TYPE_BOOLEAN, "true", 4, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_get(e, "b", &v), 0);
    CHECK_EQ_INT(v.i, 1);
    CHECK_EQ_INT(ce_event_set(e, "b", CE_TYPE_BOOLEAN, "TRUE", 4, err, sizeof err), CE_EBADVALUE);
    CHECK_CONTAINS(err, "attribute 'b': not a Boolean");
    ce_event_destroy(e);
}

TEST(binary_extension)
{
    ce_event *e = minimal();
    const unsigned char bytes[] = {0, 1, 2, 0xfe, 0xff};
    CHECK_EQ_INT(ce_event_set_binary(e, "blob", bytes, sizeof bytes, err, sizeof err), 0);
    ce_value v;
    CHECK_EQ_INT(ce_event_get(e, "blob", &v), 0);
    CHECK_EQ_INT(v.type, CE_TYPE_BINARY);
    CHECK_EQ_MEM(v.bin.ptr, v.bin.len, bytes, sizeof bytes);
    CHECK_EQ_MEM(v.str.ptr, v.str.len, "AAEC/v8=", 8);
    CHECK_EQ_INT(ce_event_set(e, "blob", CE_TYPE_BINARY, "AAEC/v8", 7, err, sizeof err),
                 CE_EBADVALUE);
    CHECK_CONTAINS(err, "attribute 'blob': not Base64");
    ce_event_destroy(e);
}

TEST(string_rules)
{
    ce_event *e = minimal();
    CHECK_EQ_INT(ce_event_set_str(e, "subject", "tenant/\xc3\xa9\xf0\x9f\x8c\x8e", err, sizeof err),
                 0);
    CHECK_EQ_INT(ce_event_set_str(e, "subject", "a\nb", err, sizeof err), CE_EBADVALUE);
    CHECK_CONTAINS(err, "attribute 'subject': control character U+000A at byte 1");
    CHECK_EQ_INT(ce_event_set_str(e, "subject", "a\x7f", err, sizeof err), CE_EBADVALUE);
    CHECK_EQ_INT(ce_event_set_str(e, "subject", "a\xc2\x85", err, sizeof err), CE_EBADVALUE);
    CHECK_CONTAINS(err, "U+0085");
    CHECK_EQ_INT(ce_event_set_str(e, "subject", "\xef\xb7\x90", err, sizeof err), CE_EBADVALUE);
    CHECK_CONTAINS(err, "noncharacter U+FDD0");
    CHECK_EQ_INT(ce_event_set_str(e, "subject", "\xef\xbf\xbf", err, sizeof err), CE_EBADVALUE);
    CHECK_EQ_INT(ce_event_set_str(e, "subject", "\xed\xa0\x80", err, sizeof err), CE_EUTF8);
    CHECK_CONTAINS(err, "invalid UTF-8 at byte 0");
    CHECK_EQ_INT(ce_event_set_str(e, "subject", "\xc0\xaf", err, sizeof err), CE_EUTF8);
    CHECK_EQ_INT(ce_event_set_str(e, "subject", "\xe2\x82", err, sizeof err), CE_EUTF8);
    ce_event_destroy(e);
}

TEST(uri_types)
{
    ce_event *e = minimal();
    static const char *const good_ref[] = {"/mycontext",
                                           "https://github.com/cloudevents",
                                           "mailto:cncf-wg-serverless@lists.cncf.io",
                                           "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
                                           "llm-orch-svc",
                                           "//host:80/p?q#f",
                                           "http://[::1]:8080/x",
                                           "a%20b",
                                           "1234-1234"};
    for (size_t k = 0; k < sizeof good_ref / sizeof *good_ref; k++) {
        int rc = ce_event_set_str(e, "source", good_ref[k], err, sizeof err);
        if (rc)
            fprintf(stderr, "rejected %s: %s\n", good_ref[k], err);
        CHECK_EQ_INT(rc, 0);
    }
    static const char *const bad_ref[] = {"a b", "a%2", "%zz", "1a:b", "x#y#z", "http://a b/"};
    for (size_t k = 0; k < sizeof bad_ref / sizeof *bad_ref; k++) {
        CHECK_EQ_INT(ce_event_set_str(e, "source", bad_ref[k], err, sizeof err), CE_EBADVALUE);
        CHECK_CONTAINS(err, "attribute 'source': not a URI-reference");
    }
    CHECK_EQ_INT(ce_event_set_str(e, "dataschema", "https://example.com/s.json", err, sizeof err),
                 0);
    CHECK_EQ_INT(ce_event_set_str(e, "dataschema", "/relative", err, sizeof err), CE_EBADVALUE);
    CHECK_CONTAINS(err, "attribute 'dataschema': not an absolute URI");
    CHECK_EQ_INT(ce_event_set_str(e, "dataschema", "http://x/s#frag", err, sizeof err),
                 CE_EBADVALUE);
    ce_event_destroy(e);
}

TEST(get_as_infers_from_string)
{
    ce_event *e = minimal();
    CHECK_EQ_INT(ce_event_set_str(e, "ref", "https://example.com/x", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "when", "2018-04-05T17:31:00Z", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "num", "5", err, sizeof err), 0);
    ce_value v;
    CHECK_EQ_INT(ce_event_get_as(e, "ref", CE_TYPE_URI, &v), 0);
    CHECK_EQ_INT(v.type, CE_TYPE_URI);
    CHECK_EQ_INT(ce_event_get_as(e, "when", CE_TYPE_TIMESTAMP, &v), 0);
    CHECK_EQ_INT(ce_event_get_as(e, "num", CE_TYPE_INTEGER, &v), CE_ETYPE);
    CHECK_EQ_INT(ce_event_get_as(e, "ref", CE_TYPE_TIMESTAMP, &v), CE_ETYPE);
    CHECK_EQ_INT(ce_event_get_as(e, "nope", CE_TYPE_STRING, &v), CE_ENOTFOUND);
    CHECK_EQ_INT(ce_event_get_as(e, "source", CE_TYPE_URI_REF, &v), 0);
    ce_event_destroy(e);
}

TEST(datacontenttype_is_media_type)
{
    ce_event *e = minimal();
    CHECK_EQ_INT(
        ce_event_set_str(e, "datacontenttype", "text/plain; charset=us-ascii", err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_str(e, "datacontenttype", "json", err, sizeof err), CE_EBADVALUE);
    CHECK_CONTAINS(err, "attribute 'datacontenttype': not a media type");
    ce_event_destroy(e);
}

TEST(data_kinds)
{
    ce_event *e = minimal();
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_NONE);
    CHECK(ce_event_data(e).ptr == NULL);
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_TEXT, "h\xc3\xa9", 3, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_TEXT, "\xff", 1, err, sizeof err), CE_EDATA);
    CHECK_CONTAINS(err, "data: invalid UTF-8 at byte 0");
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_TEXT); /* unchanged by the failed call */
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_BINARY, "\0\1", 2, err, sizeof err), 0);
    ce_slice d = ce_event_data(e);
    CHECK_EQ_MEM(d.ptr, d.len, "\0\1", 2);
    ce_event_set_data(e, CE_DATA_NONE, NULL, 0, err, sizeof err);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_NONE);
    ce_event_destroy(e);
}

TEST(data_auto_by_content_type)
{
    ce_event *e = minimal();
    /* no content type: JSON when it parses, else binary */
    CHECK_EQ_INT(ce_event_set_data_auto(e, "{\"a\": 1}", 8, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_JSON);
    CHECK_EQ_INT(ce_event_set_data_auto(e, "{oops", 5, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_BINARY);
    ce_event_set_str(e, "datacontenttype", "text/plain", err, sizeof err);
    CHECK_EQ_INT(ce_event_set_data_auto(e, "hello", 5, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_TEXT);
    ce_event_set_str(e, "datacontenttype", "application/vnd.apache.thrift.binary", err, sizeof err);
    CHECK_EQ_INT(ce_event_set_data_auto(e, "hello", 5, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_BINARY);
    ce_event_set_str(e, "datacontenttype", "application/cloudevents+json", err, sizeof err);
    CHECK_EQ_INT(ce_event_set_data_auto(e, "[1,2]", 5, err, sizeof err), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_JSON);
    ce_event_destroy(e);
}

TEST(equal_compares_repr_class)
{
    ce_event *a = minimal(), *b = minimal();
    CHECK(ce_event_equal(a, b));
    ce_event_set_str(a, "x", "5", err, sizeof err);
    ce_event_set_int(b, "x", 5, err, sizeof err);
    CHECK(!ce_event_equal(a, b));
    /* String and URI with the same text are the same on the JSON wire */
    ce_event_set(b, "x", CE_TYPE_URI_REF, "5", 1, err, sizeof err);
    CHECK(ce_event_equal(a, b));
    ce_event_set_data(a, CE_DATA_JSON, "1", 1, err, sizeof err);
    CHECK(!ce_event_equal(a, b));
    ce_event_set_data(b, CE_DATA_TEXT, "1", 1, err, sizeof err);
    CHECK(!ce_event_equal(a, b));
    ce_event_set_data(b, CE_DATA_JSON, "1", 1, err, sizeof err);
    CHECK(ce_event_equal(a, b));
    ce_event_destroy(a);
    ce_event_destroy(b);
}

TEST(clear_reuses)
{
    ce_event *e = minimal();
    for (int i = 0; i < 1000; i++) {
        ce_event_clear(e);
        CHECK_EQ_INT(ce_event_attr_count(e), 0);
        ce_event_set_str(e, "specversion", "1.0", err, sizeof err);
        ce_event_set_str(e, "id", "x", err, sizeof err);
        ce_event_set_str(e, "source", "/s", err, sizeof err);
        ce_event_set_str(e, "type", "t", err, sizeof err);
        ce_event_set_str(e, "tenantid", "acme", err, sizeof err);
    }
    CHECK_EQ_INT(ce_event_validate(e, err, sizeof err), 0);
    ce_event_destroy(e);
}

/* Fail the Nth allocation: every setter must fail cleanly and leave the event usable. */
static long alloc_budget = -1;
static void *fail_malloc(size_t n)
{
    return alloc_budget-- == 0 ? NULL : malloc(n);
}
static void *fail_realloc(void *p, size_t n)
{
    return alloc_budget-- == 0 ? NULL : realloc(p, n);
}

TEST(allocation_failures)
{
    ce_allocator a = {fail_malloc, fail_realloc, free};
    ce_set_allocator(&a);
    for (long nth = 0; nth < 40; nth++) {
        alloc_budget = nth;
        ce_event *e = ce_event_new();
        if (!e)
            continue;
        char name[16];
        int failures = 0;
        for (int i = 0; i < 20; i++) {
            snprintf(name, sizeof name, "x%d", i);
            if (ce_event_set_str(e, name, "some value that takes room in the arena", err,
                                 sizeof err) != 0)
                failures++;
        }
        ce_event *c = ce_event_clone(e);
        if (c)
            CHECK(ce_event_equal(e, c));
        ce_event_destroy(c);
        CHECK(ce_event_attr_count(e) + (size_t)failures == 20);
        ce_event_destroy(e);
    }
    alloc_budget = -1;
    ce_set_allocator(NULL);
}
