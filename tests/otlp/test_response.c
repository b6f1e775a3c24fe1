/* Tests of the export responses (src/otlp/response.c) in binary protobuf and OTLP/JSON. */
#include "otlptest.h"

static const char *json_resp(cer_otlp_signal sig, uint64_t rejected, const char *msg)
{
    static char s[512];
    ce_buf b;
    ce_buf_init(&b);
    int rc = cer_otlp_response(sig, CER_OTLP_JSON, rejected, msg, &b, NULL, 0);
    snprintf(s, sizeof s, "%s", rc ? ce_err_name(rc) : b.len ? buf_str(&b) : "");
    ce_buf_free(&b);
    return s;
}

TEST(json_responses)
{
    CHECK_EQ_STR(json_resp(CER_OTLP_LOGS, 0, NULL), "{}");
    CHECK_EQ_STR(json_resp(CER_OTLP_TRACES, 0, ""), "{}");
    CHECK_EQ_STR(json_resp(CER_OTLP_LOGS, 3, "bad \"ids\"\n"),
                 "{\"partialSuccess\":{\"rejectedLogRecords\":\"3\",\"errorMessage\":"
                 "\"bad \\\"ids\\\"\\n\"}}");
    CHECK_EQ_STR(json_resp(CER_OTLP_TRACES, 9223372036854775807ull, NULL),
                 "{\"partialSuccess\":{\"rejectedSpans\":\"9223372036854775807\"}}");
    /* A warning with nothing rejected. */
    CHECK_EQ_STR(json_resp(CER_OTLP_TRACES, 0, "slow down"),
                 "{\"partialSuccess\":{\"errorMessage\":\"slow down\"}}");
    /* Invalid UTF-8 never reaches the client. */
    CHECK_EQ_STR(
        json_resp(CER_OTLP_LOGS, 1, "caf\xc3 \xff!"),
        "{\"partialSuccess\":{\"rejectedLogRecords\":\"1\",\"errorMessage\":\"caf? ?!\"}}");
    CHECK_EQ_STR(json_resp(CER_OTLP_LOGS, 9223372036854775808ull, NULL), "CE_EINVAL");
    CHECK_EQ_STR(json_resp((cer_otlp_signal)0, 0, NULL), "CE_EINVAL");
}

TEST(protobuf_responses)
{
    ce_buf b;
    ce_buf_init(&b);
    CHECK_EQ_INT(cer_otlp_response(CER_OTLP_LOGS, CER_OTLP_PROTOBUF, 0, NULL, &b, NULL, 0), 0);
    CHECK_EQ_INT(b.len, 0); /* full success: partial_success unset, an empty message */
    CHECK_EQ_INT(cer_otlp_response(CER_OTLP_LOGS, CER_OTLP_PROTOBUF, 300, "no", &b, NULL, 0), 0);
    /* partial_success(1) { rejected_log_records(1)=300, error_message(2)="no" } */
    static const uint8_t want[] = {0x0a, 0x07, 0x08, 0xac, 0x02, 0x12, 0x02, 'n', 'o'};
    CHECK_EQ_MEM(b.ptr, b.len, (const char *)want, sizeof want);
    /* And the generated decoder reads it back. */
    Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceResponse *lr =
        opentelemetry__proto__collector__logs__v1__export_logs_service_response__unpack(
            NULL, b.len, (const uint8_t *)b.ptr);
    CHECK(lr && lr->partial_success);
    if (lr && lr->partial_success) {
        CHECK_EQ_INT(lr->partial_success->rejected_log_records, 300);
        CHECK_EQ_STR(lr->partial_success->error_message, "no");
    }
    opentelemetry__proto__collector__logs__v1__export_logs_service_response__free_unpacked(lr,
                                                                                           NULL);
    b.len = 0;
    CHECK_EQ_INT(cer_otlp_response(CER_OTLP_TRACES, CER_OTLP_PROTOBUF, 2, NULL, &b, NULL, 0), 0);
    Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse *tr =
        opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
            NULL, b.len, (const uint8_t *)b.ptr);
    CHECK(tr && tr->partial_success);
    if (tr && tr->partial_success) {
        CHECK_EQ_INT(tr->partial_success->rejected_spans, 2);
        CHECK_EQ_STR(tr->partial_success->error_message, "");
    }
    opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(tr,
                                                                                             NULL);
    ce_buf_free(&b);
}

TEST(response_respects_the_buffer_cap)
{
    ce_buf b;
    ce_buf_init(&b);
    b.cap_limit = 16;
    ce_buf_append(&b, "x", 1);
    char err[128];
    CHECK_EQ_INT(cer_otlp_response(CER_OTLP_LOGS, CER_OTLP_JSON, 1, "a long error message", &b, err,
                                   sizeof err),
                 CE_ETOOBIG);
    CHECK_EQ_INT(b.len, 1);
    ce_buf_free(&b);
}
