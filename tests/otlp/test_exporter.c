/* Real exporter payloads: request bodies captured from the OpenTelemetry Python SDK's OTLP/HTTP
 * exporters (tests/otlp/gen_fixtures.py made them; the bytes are committed), decoded with the
 * headers they were sent with and mapped to golden NDJSON. */
#include "otlptest.h"

static cer_otlp_request *decode_file(cer_otlp_signal sig, const char *name, const char *enc)
{
    size_t len;
    char *body = golden_input(name, &len);
    if (!body)
        return NULL;
    cer_otlp_request *r = NULL;
    cer_otlp_encoding e = 0;
    char err[512];
    int rc = cer_otlp_decode_http(sig, "application/x-protobuf", enc, body, len, NULL, &r, &e, err,
                                  sizeof err);
    if (rc)
        cer_test_fail(__FILE__, __LINE__, "%s: %s", name, err);
    else
        CHECK_EQ_INT(e, CER_OTLP_PROTOBUF);
    free(body);
    return r;
}

TEST(python_sdk_traces)
{
    cer_otlp_request *r = decode_file(CER_OTLP_TRACES, "py_traces.pb", NULL);
    if (!r)
        return;
    CHECK_EQ_INT(cer_otlp_request_count(r), 2);
    int ids = 0;
    cer_otlp_map_conf conf = {.spans = CER_OTLP_SPANS_ALL,
                              .use_case_attr = "app.use_case",
                              .id_fn = fixed_id,
                              .id_ctx = &ids};
    collect c = {0};
    cer_otlp_map_stats st;
    CHECK_EQ_INT(cer_otlp_map(r, &conf, on_event, on_reject, &c, &st, NULL, 0), 0);
    CHECK_EQ_INT(st.produced, 2);
    CHECK_EQ_INT(st.rejected, 0);
    /* Independent of the golden file: the seed's usage numbers and no prompt content. */
    const char *s = buf_str(&c.out);
    CHECK_CONTAINS(s, "\"data\":{\"tenantId\":\"tenant-uuid\",\"userId\":\"user-uuid\","
                      "\"provider\":\"aws-bedrock\","
                      "\"model\":\"anthropic.claude-3-sonnet-20240229-v1:0\","
                      "\"useCase\":\"event-creation\",\"inputTokens\":150,\"outputTokens\":350,"
                      "\"totalTokens\":500,\"latencyMs\":1250,\"cached\":false}");
    CHECK(strstr(s, "gen_ai.input.messages") == NULL);
    check_golden("py_traces.ndjson", c.out.ptr, c.out.len);
    collect_free(&c);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(python_sdk_logs_gzip)
{
    cer_otlp_request *r = decode_file(CER_OTLP_LOGS, "py_logs.pb.gz", "gzip");
    if (!r)
        return;
    CHECK_EQ_INT(cer_otlp_request_count(r), 2);
    int ids = 0;
    cer_otlp_map_conf conf = {.id_fn = fixed_id, .id_ctx = &ids};
    collect c = {0};
    cer_otlp_map_stats st;
    CHECK_EQ_INT(cer_otlp_map(r, &conf, on_event, on_reject, &c, &st, NULL, 0), 0);
    CHECK_EQ_INT(st.produced, 2);
    const char *s = buf_str(&c.out);
    CHECK_CONTAINS(s, "\"type\":\"io.coresdk.policy.decision\"");
    CHECK_CONTAINS(s, "\"subject\":\"tenant/acme/user/usr_2xK9\"");
    CHECK_CONTAINS(s,
                   "\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"");
    CHECK_CONTAINS(s, "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"");
    check_golden("py_logs.ndjson", c.out.ptr, c.out.len);
    collect_free(&c);
    cer_otlp_request_destroy(r);
    t_free_all();
}
