/* OTLP/HTTP ingest: POST /v1/logs and /v1/traces, protobuf or JSON, gzip. The pipeline decodes
 * the request under the limits and maps each log record (and each GenAI span) to a CloudEvent;
 * the events then take the same path as a CloudEvents batch (cer__relay_submit), and the answer is
 * OTLP's Export*ServiceResponse (with partial_success for records that could not be mapped)
 * once they are acknowledged. Errors are RFC 9457 problem+json (docs/relay.md). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/otlp.h"
#include "relay/http.h"

void cer__relay_handle_otlp(req *q)
{
    relay *r = q->r;
    cer_pipeline *pl = relay_pipeline(r);
    if (strcmp(q->method, "POST") != 0) {
        cer__relay_problem(q, CER_REASON_METHOD, "POST OTLP export requests to this endpoint",
                           NULL);
        return;
    }
    if (q->too_big) {
        char d[160];
        snprintf(d, sizeof d, "the body exceeds limits.max_body_bytes (%llu bytes)",
                 (unsigned long long)cer_pipeline_config(pl)->limits.max_body_bytes);
        cer__relay_problem(q, CER_REASON_TOO_LARGE, d, NULL);
        return;
    }
    if (q->overloaded || cer__relay_over_memory(r, 0)) {
        cer__relay_problem(q, CER_REASON_OVERLOADED,
                           "the relay holds limits.max_memory_bytes of events; retry later", NULL);
        return;
    }
    cer_otlp_signal sig = strcmp(q->url, "/v1/logs") == 0 ? CER_OTLP_LOGS : CER_OTLP_TRACES;
    cer_batch *b = cer_batch_new();
    if (!b) {
        cer__relay_problem(q, CER_REASON_OVERLOADED, "out of memory", NULL);
        return;
    }
    cer_otlp_outcome oc;
    char err[512];
    cer_reason rc = cer_pipeline_decode_otlp(pl, sig, cer__relay_req_header(q, "Content-Type"),
                                             cer__relay_req_header(q, "Content-Encoding"),
                                             q->body.ptr ? q->body.ptr : "", q->body.len, b, &oc,
                                             err, sizeof err);
    if (rc != CER_REASON_NONE) {
        cer__relay_problem(q, rc, err, NULL);
        cer_batch_destroy(b);
        return;
    }
    atomic_fetch_add(&r->metrics.received, cer_batch_count(b) + oc.rejected);
    q->otlp_sig = sig;
    q->otlp_enc = oc.encoding;
    q->otlp_rejected = oc.rejected;
    snprintf(q->otlp_error, sizeof q->otlp_error, "%s", oc.first_error);
    if (cer_batch_count(b) == 0)
        cer__relay_otlp_answer(q);
    else
        cer__relay_submit(q, b);
    cer_batch_destroy(b);
}

void cer__relay_otlp_answer(req *q)
{
    ce_buf out;
    ce_buf_init(&out);
    char err[256];
    if (cer_otlp_response(q->otlp_sig, q->otlp_enc, q->otlp_rejected,
                          q->otlp_rejected ? q->otlp_error : NULL, &out, err, sizeof err) != 0) {
        ce_buf_free(&out);
        cer__relay_problem(q, CER_REASON_INTERNAL, err, NULL);
        return;
    }
    cer__relay_respond(q, MHD_HTTP_OK,
                       q->otlp_enc == CER_OTLP_JSON ? "application/json" : "application/x-protobuf",
                       out.ptr ? out.ptr : "", out.len, NULL, NULL);
    ce_buf_free(&out);
}
