/* Tests of the JSON Schema subset (src/catalog/schema.c, validate.c) and the DOM under it
 * (jdom.c), one keyword at a time, through cer_catalog_validate_data on inline schemas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cattest.h"

static cer_catalog *with_schema(const char *schema)
{
    cer_catalog *c = NULL;
    char err[512], json[4096];
    cer_catalog_new(&c, CER_CATALOG_EMPTY, err, sizeof err);
    snprintf(json, sizeof json, "{\"types\": [{\"type\": \"t\", \"schema\": %s}]}", schema);
    if (cer_catalog_load_mem(c, "test", json, strlen(json), NULL, err, sizeof err) != 0) {
        cer_test_fail(__FILE__, __LINE__, "schema %s: %s", schema, err);
        cer_catalog_destroy(c);
        return NULL;
    }
    return c;
}

/* data must give exactly the messages listed (none: valid). */
static void expect(cer_catalog *c, const char *data, const char *m1, const char *m2)
{
    cer_catalog_result res;
    int v = cer_catalog_validate_data(c, "t", data, strlen(data), &res);
    const char *want[2] = {m1, m2};
    size_t nwant = m2 ? 2 : m1 ? 1 : 0;
    bool ok = res.nmessages == nwant && v == (nwant ? CER_CATALOG_REJECTED : CER_CATALOG_VALID);
    for (size_t i = 0; ok && i < nwant; i++)
        ok = strcmp(res.messages[i], want[i]) == 0;
    if (!ok) {
        cer_test_fail(__FILE__, __LINE__, "data %s:", data);
        for (size_t i = 0; i < nwant; i++)
            fprintf(stderr, "  expected: %s\n", want[i]);
        for (size_t i = 0; i < res.nmessages; i++)
            fprintf(stderr, "  got:      %s\n", res.messages[i]);
    }
}

TEST(types)
{
    cer_catalog *c = with_schema("{\"type\": [\"integer\", \"boolean\", \"null\"]}");
    expect(c, "3", NULL, NULL);
    expect(c, "3.0", NULL, NULL);
    expect(c, "1e2", NULL, NULL);
    expect(c, "true", NULL, NULL);
    expect(c, "null", NULL, NULL);
    expect(c, "3.5", "data: expected an integer or a boolean or null, got 3.5", NULL);
    expect(c, "\"3\"", "data: expected an integer or a boolean or null, got \"3\"", NULL);
    expect(c, "{}", "data: expected an integer or a boolean or null, got an object", NULL);
    cer_catalog_destroy(c);
    c = with_schema("{\"type\": \"number\"}");
    expect(c, "-0.5e-3", NULL, NULL);
    expect(c, "12345678901234567890123", NULL, NULL);
    expect(c, "[1]", "data: expected a number, got an array", NULL);
    cer_catalog_destroy(c);
    c = with_schema("{}"); /* anything */
    expect(c, "[[[]]]", NULL, NULL);
    cer_catalog_destroy(c);
    c = with_schema("false");
    expect(c, "1", "data: not allowed", NULL);
    cer_catalog_destroy(c);
}

TEST(numbers)
{
    cer_catalog *c = with_schema("{\"type\": \"number\", \"exclusiveMinimum\": 0, "
                                 "\"exclusiveMaximum\": 1}");
    expect(c, "0.5", NULL, NULL);
    expect(c, "0", "data: expected a number > 0 and < 1, got 0", NULL);
    expect(c, "1", "data: expected a number > 0 and < 1, got 1", NULL);
    cer_catalog_destroy(c);
    c = with_schema("{\"type\": \"integer\", \"maximum\": 10}");
    expect(c, "10", NULL, NULL);
    expect(c, "-99", NULL, NULL);
    expect(c, "11", "data: expected an integer <= 10, got 11", NULL);
    cer_catalog_destroy(c);
}

TEST(strings)
{
    cer_catalog *c = with_schema("{\"type\": \"string\", \"minLength\": 2, \"maxLength\": 3}");
    expect(c, "\"ab\"", NULL, NULL);
    expect(c, "\"\\u00e9\\u00e9\\u00e9\"", NULL, NULL); /* 3 code points, 6 bytes */
    expect(c, "\"日本語\"", NULL, NULL);
    expect(c, "\"a\"", "data: expected a string of 2 to 3 characters, got \"a\"", NULL);
    expect(c, "\"abcd\"", "data: expected a string of 2 to 3 characters, got \"abcd\"", NULL);
    cer_catalog_destroy(c);
    c = with_schema("{\"type\": \"string\", \"maxLength\": 2}");
    /* Long values are cut in the message (at a character boundary) and escaped. */
    expect(c, "\"0123456789012345678901234567890123456789é-tail\"",
           "data: expected a string of at most 2 characters, got "
           "\"0123456789012345678901234567890123456789...\"",
           NULL);
    expect(c, "\"a\\\"\\n\"",
           "data: expected a string of at most 2 characters, got \"a\\\"\\u000a\"", NULL);
    cer_catalog_destroy(c);
    c = with_schema("{\"type\": \"string\", \"format\": \"date-time\"}");
    expect(c, "\"2026-02-27T12:00:00.000Z\"", NULL, NULL);
    expect(c, "\"2026-02-27T12:00:00+05:30\"", NULL, NULL);
    expect(c, "\"2026-02-30T12:00:00Z\"",
           "data: expected an RFC 3339 date-time, got \"2026-02-30T12:00:00Z\"", NULL);
    cer_catalog_destroy(c);
    c = with_schema("{\"format\": \"email\", \"type\": \"string\"}"); /* an annotation */
    expect(c, "\"x\"", NULL, NULL);
    cer_catalog_destroy(c);
}

TEST(enums_and_const)
{
    cer_catalog *c = with_schema("{\"enum\": [\"a\", 1, true, null]}");
    expect(c, "\"a\"", NULL, NULL);
    expect(c, "1.0", NULL, NULL);
    expect(c, "true", NULL, NULL);
    expect(c, "null", NULL, NULL);
    expect(c, "\"b\"", "data: expected one of \"a\", 1, true, null, got \"b\"", NULL);
    expect(c, "false", "data: expected one of \"a\", 1, true, null, got false", NULL);
    cer_catalog_destroy(c);
    c = with_schema("{\"const\": \"x\"}");
    expect(c, "\"x\"", NULL, NULL);
    expect(c, "\"y\"", "data: expected \"x\", got \"y\"", NULL);
    cer_catalog_destroy(c);
}

TEST(objects)
{
    cer_catalog *c = with_schema(
        "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": "
        "{\"type\": \"object\", \"properties\": {\"c\": {\"type\": \"string\"}}, "
        "\"required\": [\"c\"], \"additionalProperties\": false}}, \"required\": [\"a\", "
        "\"z\"], \"additionalProperties\": {\"type\": \"string\"}}");
    expect(c, "{\"a\": 1, \"z\": \"x\"}", NULL, NULL);
    expect(c, "{\"a\": 1}", "data: missing required field 'z'", NULL);
    expect(c, "{\"z\": 1}", "data.z: expected a string, got 1", "data: missing required field 'a'");
    expect(c, "{\"a\": 1, \"z\": \"\", \"b\": {\"c\": \"x\", \"d\": 1}}",
           "data.b: unexpected field 'd'", NULL);
    expect(c, "{\"a\": 1, \"z\": \"\", \"b\": {}}", "data.b: missing required field 'c'", NULL);
    expect(c, "{\"a\": 1, \"a\": 2, \"z\": \"\"}", "data: duplicate field 'a'", NULL);
    expect(c, "{\"\\u0061\": 1, \"z\": \"\"}", NULL, NULL); /* escaped names are decoded */
    cer_catalog_destroy(c);
}

TEST(arrays)
{
    cer_catalog *c = with_schema("{\"type\": \"array\", \"items\": {\"type\": \"string\"}, "
                                 "\"minItems\": 1, \"maxItems\": 2}");
    expect(c, "[\"a\"]", NULL, NULL);
    expect(c, "[]", "data: expected at least 1 item, got 0", NULL);
    expect(c, "[\"a\", \"b\", \"c\"]", "data: expected at most 2 items, got 3", NULL);
    expect(c, "[\"a\", 2]", "data[1]: expected a string, got 2", NULL);
    cer_catalog_destroy(c);
}

TEST(message_cap_and_counts)
{
    cer_catalog *c = with_schema("{\"type\": \"array\", \"items\": {\"type\": \"string\"}}");
    cer_catalog_result res;
    const char *d = "[1,2,3,4,5,6,7,8,9,10,11,12]";
    CHECK_EQ_INT(cer_catalog_validate_data(c, "t", d, strlen(d), &res), CER_CATALOG_REJECTED);
    CHECK_EQ_INT(res.violations, 12);
    CHECK_EQ_INT(res.nmessages, CER_CATALOG_MAX_MESSAGES);
    CHECK_EQ_STR(res.messages[7], "data[7]: expected a string, got 8");
    cer_catalog_destroy(c);
}

TEST(caps_are_violations)
{
    cer_catalog *c = with_schema("{}");
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    cer_catalog_result res;
    CHECK_EQ_INT(cer_catalog_validate_data(c, "t", deep, sizeof deep, &res), CER_CATALOG_REJECTED);
    CHECK_EQ_STR(res.messages[0], "data: byte 64: nesting too deep (limit 64)");
    CHECK_EQ_INT(cer_catalog_validate_data(c, "t", "[1,]", 4, &res), CER_CATALOG_REJECTED);
    CHECK_EQ_STR(res.messages[0], "data: byte 3: expected a value");
    cer_catalog_destroy(c);
}

TEST(dom_offsets_and_limits)
{
    cer__jdom d;
    char err[128];
    const char *j = " {\"a\" : [1, \"x\\u00e9\"], \"b\":{}} ";
    CHECK_EQ_INT(cer__jdom_parse(&d, j, strlen(j), 8, 100, err, sizeof err), 0);
    CHECK_EQ_INT(d.n, 5);
    const cer__jnode *a = cer__j_member(&d, d.nodes, "a");
    CHECK(a && a->type == CER__J_ARRAY && a->count == 2);
    CHECK_EQ_MEM(j + a->off, a->end - a->off, "[1, \"x\\u00e9\"]", 14);
    CHECK_EQ_INT(a->key_off, 2);
    const cer__jnode *s = cer__j_next(&d, cer__j_first(&d, a));
    CHECK_EQ_MEM(s->str.ptr, s->str.len, "x\xc3\xa9", 3);
    CHECK_EQ_INT(d.nodes[0].end, strlen(j) - 1);
    cer__jdom_free(&d);
    CHECK_EQ_INT(cer__jdom_parse(&d, "[1,2,3]", 7, 8, 3, err, sizeof err), CE_ETOOBIG);
    CHECK_EQ_STR(err, "byte 5: too many JSON values (limit 3)");
    cer__jdom_free(&d);
    CHECK_EQ_INT(cer__jdom_parse(&d, "[1] x", 5, 8, 10, err, sizeof err), CE_ESYNTAX);
    CHECK_EQ_STR(err, "byte 4: trailing characters");
    cer__jdom_free(&d);
}

TEST(schema_errors)
{
    static const struct {
        const char *schema, *want;
    } cases[] = {
        {"{\"minimum\": \"0\"}", "minimum: expected a number"},
        {"{\"maxLength\": -1}", "maxLength: expected a non-negative integer"},
        {"{\"enum\": []}", "enum: expected a non-empty array"},
        {"{\"enum\": [{}]}", "enum: only strings, numbers, booleans and null are supported"},
        {"{\"items\": [{}]}", "items: expected a schema (the array form is prefixItems)"},
        {"{\"required\": [1]}", "required: expected an array of strings"},
        {"{\"oneOf\": []}", "keyword 'oneOf' is not supported"},
        {"{\"properties\": {\"a\": 1}}", "properties.a: a schema must be an object or a boolean"},
        {"[]", "type 't': schema: expected a file name or a schema"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cer_catalog *c = NULL;
        char err[512], json[1024];
        cer_catalog_new(&c, CER_CATALOG_EMPTY, err, sizeof err);
        snprintf(json, sizeof json, "{\"types\": [{\"type\": \"t\", \"schema\": %s}]}",
                 cases[i].schema);
        CHECK(cer_catalog_load_mem(c, "s", json, strlen(json), NULL, err, sizeof err) != 0);
        CHECK_CONTAINS(err, cases[i].want);
        cer_catalog_destroy(c);
    }
}
