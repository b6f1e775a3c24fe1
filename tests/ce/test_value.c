/* Tests for src/ce/value.c and src/ce/utf8.c: RFC 3339, media types, names, UTF-8. */
#include "cerelay/ce.h"
#include "harness.h"

TEST(timestamp_parse_valid)
{
    int64_t ns;
    CHECK_EQ_INT(ce_timestamp_parse("1970-01-01T00:00:00Z", 20, &ns), 0);
    CHECK_EQ_INT(ns, 0);
    CHECK_EQ_INT(ce_timestamp_parse("2018-04-05T17:31:00Z", 20, &ns), 0);
    CHECK_EQ_INT(ns, 1522949460LL * 1000000000);
    const char *t = "2018-04-05T19:31:00.5+02:00";
    CHECK_EQ_INT(ce_timestamp_parse(t, strlen(t), &ns), 0);
    CHECK_EQ_INT(ns, 1522949460LL * 1000000000 + 500000000);
    t = "1969-12-31t23:59:59.999999999999z";
    CHECK_EQ_INT(ce_timestamp_parse(t, strlen(t), &ns), 0);
    CHECK_EQ_INT(ns, -1);
    t = "2024-02-29T00:00:00-00:00";
    CHECK_EQ_INT(ce_timestamp_parse(t, strlen(t), &ns), 0);
    t = "2016-12-31T23:59:60Z"; /* leap second */
    CHECK_EQ_INT(ce_timestamp_parse(t, strlen(t), &ns), 0);
}

TEST(timestamp_parse_invalid)
{
    static const char *const bad[] = {"2018-04-05",
                                      "2018-04-05T17:31:00",
                                      "2018-04-05 17:31:00Z",
                                      "2018-13-05T17:31:00Z",
                                      "2023-02-29T00:00:00Z",
                                      "2018-04-05T24:00:00Z",
                                      "2018-04-05T17:60:00Z",
                                      "2018-04-05T17:31:00.Z",
                                      "2018-04-05T17:31:00+0200",
                                      "2018-04-05T17:31:00+24:00",
                                      "18-04-05T17:31:00Z",
                                      "2018-04-05T17:31:00Zjunk",
                                      "2018-4-05T17:31:00Z",
                                      "2018-04-05T17:31:00+02:60"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        int rc = ce_timestamp_parse(bad[k], strlen(bad[k]), NULL);
        if (rc != CE_EBADVALUE)
            fprintf(stderr, "accepted %s\n", bad[k]);
        CHECK_EQ_INT(rc, CE_EBADVALUE);
    }
}

TEST(timestamp_format_round_trip)
{
    char out[40];
    int64_t samples[] = {0, 1, -1, 1522949460LL * 1000000000 + 123456789,
                         4102444800LL * 1000000000};
    for (size_t k = 0; k < 5; k++) {
        size_t n = ce_timestamp_format(samples[k], 9, out);
        int64_t back;
        CHECK_EQ_INT(ce_timestamp_parse(out, n, &back), 0);
        CHECK_EQ_INT(back, samples[k]);
    }
    CHECK_EQ_INT(ce_timestamp_format(1522949460LL * 1000000000 + 5000000, 3, out), 24);
    CHECK_EQ_STR(out, "2018-04-05T17:31:00.005Z");
    ce_timestamp_format(0, 0, out);
    CHECK_EQ_STR(out, "1970-01-01T00:00:00Z");
}

TEST(media_type_json)
{
    CHECK(ce_media_type_is_json("application/json", 16));
    CHECK(ce_media_type_is_json("application/json; charset=utf-8", 31));
    CHECK(ce_media_type_is_json("Application/JSON", 16));
    CHECK(ce_media_type_is_json("application/cloudevents+json", 28));
    CHECK(ce_media_type_is_json("text/json", 9));
    CHECK(!ce_media_type_is_json("application/jsonx", 17));
    CHECK(!ce_media_type_is_json("application/xml", 15));
    CHECK(!ce_media_type_is_json("json", 4));
    CHECK(!ce_media_type_is_json("application/+json", 17));
}

TEST(error_names)
{
    CHECK_EQ_STR(ce_err_name(CE_ENOMEM), "CE_ENOMEM");
    CHECK_EQ_STR(ce_err_name(CE_EMODE), "CE_EMODE");
    CHECK_EQ_STR(ce_strerror(CE_ESYNTAX), "syntax error");
    CHECK_EQ_STR(ce_strerror(0), "success");
    CHECK_EQ_STR(ce_err_name(-999), "CE_EUNKNOWN");
}

TEST(check_value_types)
{
    char err[128];
    CHECK_EQ_INT(ce_check_value(CE_TYPE_BOOLEAN, "false", 5, err, sizeof err), 0);
    CHECK_EQ_INT(ce_check_value(CE_TYPE_INTEGER, "-12", 3, err, sizeof err), 0);
    CHECK_EQ_INT(ce_check_value(CE_TYPE_INTEGER, "1e3", 3, err, sizeof err), CE_EBADVALUE);
    CHECK_EQ_INT(ce_check_value(CE_TYPE_BINARY, "aGVsbG8=", 8, err, sizeof err), 0);
    CHECK_EQ_INT(ce_check_value(CE_TYPE_BINARY, "aGVsbG8", 7, err, sizeof err), CE_EBADVALUE);
    CHECK_EQ_INT(ce_check_value(CE_TYPE_URI, "urn:x", 5, err, sizeof err), 0);
    CHECK_EQ_INT(ce_check_value(CE_TYPE_URI, "x", 1, err, sizeof err), CE_EBADVALUE);
    CHECK_CONTAINS(err, "no scheme");
    CHECK_EQ_INT(ce_check_value(CE_TYPE_STRING, "", 0, err, sizeof err), 0);
    CHECK_EQ_INT(ce_check_name("abc", 3, err, sizeof err), 0);
    CHECK_EQ_INT(ce_check_name("aBc", 3, err, sizeof err), CE_EBADNAME);
    CHECK_CONTAINS(err, "character 1");
}

/* Regression (found by the bindings fuzzer): years outside 1677..2262 overflowed int64. */
TEST(timestamp_far_years_valid_but_out_of_range)
{
    int64_t ns = 0;
    CHECK_EQ_INT(ce_timestamp_parse("9999-12-31T23:59:59Z", 20, &ns), CE_ERANGE);
    CHECK(ns == INT64_MAX);
    CHECK_EQ_INT(ce_timestamp_parse("0001-01-01T00:00:00Z", 20, &ns), CE_ERANGE);
    CHECK(ns == INT64_MIN);
    char err[128];
    CHECK_EQ_INT(ce_check_value(CE_TYPE_TIMESTAMP, "9999-12-31T23:59:59Z", 20, err, sizeof err), 0);
}
