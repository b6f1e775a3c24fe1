/* OTLP/HTTP ingest: POST /v1/logs and /v1/traces, protobuf or JSON, gzip. Each log record
 * (and each GenAI span) becomes a CloudEvent through src/otlp's mapping; the events go to the
 * emitter as one unit like a CloudEvents batch, and the answer is OTLP's Export*ServiceResponse
 * (with partial_success for records that could not be mapped) once they are acknowledged.
 * Errors are RFC 9457 problem+json (documented in docs/relay.md). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cerelay/otlp.h"
#include "relay/http.h"

typedef struct mapped {
    ce_event **evs;
    size_t n, cap;
} mapped;

static int on_event(void *ctx, const ce_event *ev)
{
    mapped *m = ctx;
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        ce_event **nv = realloc(m->evs, sizeof *nv * ncap);
        if (!nv)
            return CE_ENOMEM;
        m->evs = nv;
        m->cap = ncap;
    }
    ce_event *copy = ce_event_clone(ev);
    if (!copy)
        return CE_ENOMEM;
    m->evs[m->n++] = copy;
    return 0;
}

static int on_reject(void *ctx, const char *path, int err, const char *msg)
{
    return 0;
}

static void free_mapped(mapped *m)
{
    for (size_t i = 0; i < m->n; i++)
        ce_event_destroy(m->evs[i]);
    free(m->evs);
}

enum MHD_Result relay_handle_otlp(req *q)
{
    relay *r = q->r;
    if (strcmp(q->method, "POST") != 0)
        return problem(q, MHD_HTTP_METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed",
                       "POST OTLP export requests to this endpoint", NULL, MHD_HTTP_HEADER_ALLOW,
                       "POST");
    if (q->too_big)
        return problem(q, MHD_HTTP_CONTENT_TOO_LARGE, "too-large", "Payload too large",
                       "the body exceeds limits.max_body_bytes", NULL, NULL, NULL);
    cer_otlp_signal sig = strcmp(q->url, "/v1/logs") == 0 ? CER_OTLP_LOGS : CER_OTLP_TRACES;
    const char *ct = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Content-Type");
    const char *ce = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, "Content-Encoding");
    const cer_config *L = relay_live(r);
    cer_otlp_limits lim = {0};
    lim.max_body_bytes = L->limits.max_body_bytes;
    if (L->limits.max_batch_events > 0)
        lim.max_records = (uint32_t)L->limits.max_batch_events;
    cer_otlp_request *orq = NULL;
    cer_otlp_encoding enc = CER_OTLP_PROTOBUF;
    char err[512];
    int rc = cer_otlp_decode_http(sig, ct, ce, q->body.ptr ? q->body.ptr : "", q->body.len, &lim,
                                  &orq, &enc, err, sizeof err);
    if (rc) {
        atomic_fetch_add(
            &r->metrics.rejected[rc == CE_EUNSUPPORTED ? REJ_MEDIA_TYPE : REJ_MALFORMED], 1);
        relay_log(CER_CONFIG_LEVEL_INFO, "rejected POST %s: %s", q->url, err);
        if (rc == CE_EUNSUPPORTED)
            return problem(q, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                           "Unsupported media type", err, NULL, NULL, NULL);
        return problem(q, rc == CE_ETOOBIG ? MHD_HTTP_CONTENT_TOO_LARGE : MHD_HTTP_BAD_REQUEST,
                       rc == CE_ETOOBIG ? "too-large" : "malformed",
                       rc == CE_ETOOBIG ? "Payload too large" : "Malformed OTLP request", err, NULL,
                       NULL, NULL);
    }
    const char *tenant[] = {L->otlp.tenant_attribute, NULL};
    const char *user[] = {L->otlp.user_attribute, NULL};
    cer_otlp_map_conf mc = {0};
    mc.source = L->source;
    mc.log_type = L->otlp.default_type;
    mc.type_attr = L->otlp.event_name_attribute;
    mc.tenant_attrs = L->otlp.tenant_attribute ? tenant : NULL;
    mc.user_attrs = L->otlp.user_attribute ? user : NULL;
    mc.spans = L->otlp.spans == CER_CONFIG_SPANS_ALL    ? CER_OTLP_SPANS_ALL
               : L->otlp.spans == CER_CONFIG_SPANS_NONE ? CER_OTLP_SPANS_NONE
                                                        : CER_OTLP_SPANS_GENAI;
    mc.allow_content = L->otlp.allow_content;
    mc.max_event_bytes = L->limits.max_event_bytes;
    mapped m = {0};
    cer_otlp_map_stats st;
    rc = cer_otlp_map(orq, &mc, on_event, on_reject, &m, &st, err, sizeof err);
    cer_otlp_request_destroy(orq);
    if (rc) {
        free_mapped(&m);
        atomic_fetch_add(&r->metrics.rejected[REJ_MALFORMED], 1);
        return problem(q, MHD_HTTP_BAD_REQUEST, "malformed", "Malformed OTLP request", err, NULL,
                       NULL, NULL);
    }
    atomic_fetch_add(&r->metrics.received, m.n + st.rejected);
    q->otlp_sig = sig;
    q->otlp_enc = enc;
    q->otlp_rejected = st.rejected;
    snprintf(q->otlp_error, sizeof q->otlp_error, "%s", st.first_error);
    if (m.n == 0) {
        free(m.evs);
        return relay_otlp_answer(q);
    }
    return relay_submit(q, m.evs, m.n);
}

enum MHD_Result relay_otlp_answer(req *q)
{
    ce_buf out;
    ce_buf_init(&out);
    char err[256];
    if (cer_otlp_response(q->otlp_sig, q->otlp_enc, q->otlp_rejected,
                          q->otlp_rejected ? q->otlp_error : NULL, &out, err, sizeof err) != 0) {
        ce_buf_free(&out);
        return problem(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "Internal error", err, NULL,
                       NULL, NULL);
    }
    enum MHD_Result ret =
        send_buf(q->conn, MHD_HTTP_OK,
                 q->otlp_enc == CER_OTLP_JSON ? "application/json" : "application/x-protobuf",
                 out.ptr ? out.ptr : "", out.len, NULL, NULL);
    ce_buf_free(&out);
    return ret;
}
