/* Decoding entry points: limits, content-type and content-encoding dispatch, and the request
 * handle that owns the decoded protobuf-c tree (one bounded arena). */
#include <ctype.h>
#include <string.h>

#include "otlp/internal.h"

#define DEPTH_CEILING 256u /* recursion stays bounded whatever the configuration says */

void cer__otlp_limits_resolve(const cer_otlp_limits *in, cer_otlp_limits *out)
{
    if (in)
        *out = *in;
    else
        memset(out, 0, sizeof *out);
    if (!out->max_body_bytes)
        out->max_body_bytes = CER_OTLP_DEFAULT_MAX_BODY_BYTES;
    if (!out->max_decoded_bytes)
        out->max_decoded_bytes = CER_OTLP_DEFAULT_MAX_DECODED_BYTES;
    if (!out->max_memory_bytes)
        out->max_memory_bytes = CER_OTLP_DEFAULT_MAX_MEMORY_BYTES;
    if (!out->max_records)
        out->max_records = CER_OTLP_DEFAULT_MAX_RECORDS;
    if (!out->max_depth)
        out->max_depth = CER_OTLP_DEFAULT_MAX_DEPTH;
    if (out->max_depth > DEPTH_CEILING)
        out->max_depth = DEPTH_CEILING;
    if (!out->max_attributes)
        out->max_attributes = CER_OTLP_DEFAULT_MAX_ATTRIBUTES;
}

int cer_otlp_decode(cer_otlp_signal sig, cer_otlp_encoding enc, const void *body, size_t len,
                    const cer_otlp_limits *lim, cer_otlp_request **out, char *errstr,
                    size_t errstr_size)
{
    if (!out)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "NULL out");
    *out = NULL;
    if (!body && len)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "NULL body");
    if (sig != CER_OTLP_LOGS && sig != CER_OTLP_TRACES)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "unknown signal %d", (int)sig);
    if (enc != CER_OTLP_PROTOBUF && enc != CER_OTLP_JSON)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "unknown encoding %d", (int)enc);
    cer_otlp_request *r = cer__otlp_malloc(sizeof *r);
    if (!r)
        return cerx_errf(CE_ENOMEM, errstr, errstr_size, "out of memory");
    memset(r, 0, sizeof *r);
    r->sig = sig;
    cer__otlp_limits_resolve(lim, &r->lim);
    if (len > r->lim.max_decoded_bytes) {
        size_t cap = r->lim.max_decoded_bytes;
        cer__otlp_free(r);
        return cerx_errf(CE_ETOOBIG, errstr, errstr_size,
                         "body of %zu bytes exceeds the %zu-byte limit", len, cap);
    }
    cer__otlp_arena_init(&r->arena, r->lim.max_memory_bytes);
    const ProtobufCMessageDescriptor *desc =
        sig == CER_OTLP_LOGS
            ? &opentelemetry__proto__collector__logs__v1__export_logs_service_request__descriptor
            : &opentelemetry__proto__collector__trace__v1__export_trace_service_request__descriptor;
    cer__otlp_walk w = {&r->lim, 0};
    ProtobufCMessage *m = NULL;
    static const char empty[1] = "";
    if (!body)
        body = empty;
    int rc = enc == CER_OTLP_PROTOBUF
                 ? cer__otlp_decode_pb(desc, body, len, &r->arena, &w, &m, errstr, errstr_size)
                 : cer__otlp_decode_json(desc, body, len, &r->arena, &w, &m, errstr, errstr_size);
    if (rc) {
        cer__otlp_arena_free(&r->arena);
        cer__otlp_free(r);
        return rc;
    }
    r->count = w.records;
    if (sig == CER_OTLP_LOGS)
        r->logs = (cer__otlp_logs_req *)m;
    else
        r->traces = (cer__otlp_trace_req *)m;
    if (errstr && errstr_size)
        errstr[0] = 0;
    *out = r;
    return 0;
}

/* Compare the media type of a header value (parameters and surrounding space ignored). */
static bool media_is(const char *v, const char *want)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = 0;
    while (v[n] && v[n] != ';' && v[n] != ' ' && v[n] != '\t')
        n++;
    if (n != strlen(want))
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)v[i]) != want[i])
            return false;
    return true;
}

int cer_otlp_decode_http(cer_otlp_signal sig, const char *content_type,
                         const char *content_encoding, const void *body, size_t len,
                         const cer_otlp_limits *lim, cer_otlp_request **out,
                         cer_otlp_encoding *enc_out, char *errstr, size_t errstr_size)
{
    if (!out)
        return cerx_errf(CE_EINVAL, errstr, errstr_size, "NULL out");
    *out = NULL;
    cer_otlp_limits l;
    cer__otlp_limits_resolve(lim, &l);
    if (len > l.max_body_bytes)
        return cerx_errf(CE_ETOOBIG, errstr, errstr_size,
                         "body of %zu bytes exceeds the %zu-byte limit", len, l.max_body_bytes);
    cer_otlp_encoding enc;
    if (content_type && media_is(content_type, "application/x-protobuf"))
        enc = CER_OTLP_PROTOBUF;
    else if (content_type && media_is(content_type, "application/json"))
        enc = CER_OTLP_JSON;
    else
        return cerx_errf(CE_EUNSUPPORTED, errstr, errstr_size,
                         "Content-Type '%s' is neither application/x-protobuf nor "
                         "application/json",
                         content_type ? content_type : "(none)");
    if (enc_out)
        *enc_out = enc;
    if (!content_encoding || !*content_encoding || media_is(content_encoding, "identity"))
        return cer_otlp_decode(sig, enc, body, len, &l, out, errstr, errstr_size);
    if (!media_is(content_encoding, "gzip"))
        return cerx_errf(CE_EUNSUPPORTED, errstr, errstr_size,
                         "Content-Encoding '%s' is not supported (gzip or identity)",
                         content_encoding);
    ce_buf plain;
    ce_buf_init(&plain);
    int rc = cer_otlp_gunzip(body, len, l.max_decoded_bytes, &plain, errstr, errstr_size);
    if (!rc)
        rc = cer_otlp_decode(sig, enc, plain.ptr, plain.len, &l, out, errstr, errstr_size);
    ce_buf_free(&plain);
    return rc;
}

void cer_otlp_request_destroy(cer_otlp_request *r)
{
    if (!r)
        return;
    cer__otlp_arena_free(&r->arena);
    cer__otlp_free(r);
}

cer_otlp_signal cer_otlp_request_signal(const cer_otlp_request *r)
{
    return r->sig;
}

size_t cer_otlp_request_count(const cer_otlp_request *r)
{
    return r->count;
}
