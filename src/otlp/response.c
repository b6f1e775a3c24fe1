/* ExportLogsServiceResponse / ExportTraceServiceResponse in binary protobuf (packed by the
 * protobuf-c generated code) and in OTLP/JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ce/internal.h"
#include "ce/json.h"
#include "otlp/internal.h"

/* Copy s into out as valid UTF-8, each invalid byte replaced with '?'. */
static int append_utf8_clean(ce_buf *out, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t bad = n - i;
        if (ce__utf8_valid(s + i, n - i, &bad))
            bad = n - i;
        int rc = ce_buf_append(out, s + i, bad);
        if (rc)
            return rc;
        i += bad;
        if (i < n) {
            rc = ce_buf_append(out, "?", 1);
            if (rc)
                return rc;
            i++;
        }
    }
    return 0;
}

int cer_otlp_response(cer_otlp_signal sig, cer_otlp_encoding enc, uint64_t rejected,
                      const char *error_message, ce_buf *out, char *errstr, size_t errstr_size)
{
    if (!out || (sig != CER_OTLP_LOGS && sig != CER_OTLP_TRACES) ||
        (enc != CER_OTLP_PROTOBUF && enc != CER_OTLP_JSON))
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "invalid argument");
    if (rejected > (uint64_t)INT64_MAX)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "rejected count out of range");
    const size_t start = out->len;
    const char *msg = error_message ? error_message : "";
    bool partial = rejected > 0 || *msg;
    ce_buf clean;
    ce_buf_init(&clean);
    int rc = append_utf8_clean(&clean, msg, strlen(msg));
    if (!rc)
        rc = ce_buf_append(&clean, "", 1); /* NUL for protobuf-c */
    if (rc)
        goto done;
    if (enc == CER_OTLP_PROTOBUF) {
        size_t n;
        if (sig == CER_OTLP_LOGS) {
            Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceResponse resp =
                OPENTELEMETRY__PROTO__COLLECTOR__LOGS__V1__EXPORT_LOGS_SERVICE_RESPONSE__INIT;
            Opentelemetry__Proto__Collector__Logs__V1__ExportLogsPartialSuccess ps =
                OPENTELEMETRY__PROTO__COLLECTOR__LOGS__V1__EXPORT_LOGS_PARTIAL_SUCCESS__INIT;
            ps.rejected_log_records = (int64_t)rejected;
            ps.error_message = clean.ptr;
            if (partial)
                resp.partial_success = &ps;
            n = opentelemetry__proto__collector__logs__v1__export_logs_service_response__get_packed_size(
                &resp);
            rc = ce_buf_reserve(out, n);
            if (!rc)
                out->len +=
                    opentelemetry__proto__collector__logs__v1__export_logs_service_response__pack(
                        &resp, (uint8_t *)out->ptr + out->len);
        } else {
            Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse resp =
                OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_SERVICE_RESPONSE__INIT;
            Opentelemetry__Proto__Collector__Trace__V1__ExportTracePartialSuccess ps =
                OPENTELEMETRY__PROTO__COLLECTOR__TRACE__V1__EXPORT_TRACE_PARTIAL_SUCCESS__INIT;
            ps.rejected_spans = (int64_t)rejected;
            ps.error_message = clean.ptr;
            if (partial)
                resp.partial_success = &ps;
            n = opentelemetry__proto__collector__trace__v1__export_trace_service_response__get_packed_size(
                &resp);
            rc = ce_buf_reserve(out, n);
            if (!rc)
                out->len +=
                    opentelemetry__proto__collector__trace__v1__export_trace_service_response__pack(
                        &resp, (uint8_t *)out->ptr + out->len);
        }
        goto done;
    }
    if (!partial) {
        rc = ce_buf_append(out, "{}", 2);
        goto done;
    }
    rc = ce_buf_append(out, "{\"partialSuccess\":{", 19);
    bool comma = false;
    if (!rc && rejected) {
        char num[48];
        int k = snprintf(num, sizeof num, "\"%s\":\"%" PRIu64 "\"",
                         sig == CER_OTLP_LOGS ? "rejectedLogRecords" : "rejectedSpans", rejected);
        rc = ce_buf_append(out, num, (size_t)k);
        comma = true;
    }
    if (!rc && *msg) {
        rc =
            ce_buf_append(out, comma ? ",\"errorMessage\":" : "\"errorMessage\":", comma ? 16 : 15);
        if (!rc)
            rc = ce__json_write_string(out, clean.ptr, clean.len - 1);
    }
    if (!rc)
        rc = ce_buf_append(out, "}}", 2);
done:
    ce_buf_free(&clean);
    if (rc) {
        out->len = start;
        return cerx_errf(rc, errstr, errstr_size, "response: %s", ce_strerror(rc));
    }
    return 0;
}
