/* libFuzzer target for src/otlp. The first byte picks the path:
 *   bit 0    signal: logs or traces
 *   bits 1-2 0 protobuf, 1 OTLP/JSON, 2 gzip+protobuf, 3 gzip+JSON (through decode_http)
 *   bit 3    spans mode "all" (else "genai"); bit 4 allow_content; bit 5 deterministic ids
 * Oracles: every produced event encodes to JSON that the core decodes back to an equal event;
 * a decoded request re-packed with protobuf-c decodes again and maps to byte-identical
 * events (so JSON decoding and protobuf decoding agree on everything they accept); responses
 * build for the counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp/internal.h"

typedef struct out {
    ce_buf nd;
    int ids;
} out;

static int fixed_id(void *ctx, const ce_event *ev, char id[CER_OTLP_ID_MAX])
{
    (void)ev;
    snprintf(id, CER_OTLP_ID_MAX, "f-%d", ++*(int *)ctx);
    return 0;
}

static int on_event(void *ctx, const ce_event *ev)
{
    out *o = ctx;
    char err[256];
    size_t start = o->nd.len;
    if (ce_json_encode(ev, CE_JSON_COMPACT_DATA, &o->nd, err, sizeof err)) {
        fprintf(stderr, "produced an event that does not encode: %s\n", err);
        abort();
    }
    ce_event *back = NULL;
    if (ce_json_decode(o->nd.ptr + start, o->nd.len - start, NULL, &back, err, sizeof err)) {
        fprintf(stderr, "produced JSON the core cannot decode: %s\n%.*s\n", err,
                (int)(o->nd.len - start), o->nd.ptr + start);
        abort();
    }
    if (!ce_event_equal(ev, back))
        abort();
    ce_event_destroy(back);
    ce_buf_append(&o->nd, "\n", 1);
    return 0;
}

static int map_all(const cer_otlp_request *r, unsigned mode, out *o, cer_otlp_map_stats *st)
{
    cer_otlp_map_conf conf = {0};
    conf.spans = (mode & 8) ? CER_OTLP_SPANS_ALL : CER_OTLP_SPANS_GENAI;
    conf.allow_content = (mode & 16) != 0;
    conf.max_event_bytes = 64 * 1024;
    if (mode & 32) {
        conf.id_mode = CER_OTLP_ID_DETERMINISTIC;
    } else {
        o->ids = 0;
        conf.id_fn = fixed_id;
        conf.id_ctx = &o->ids;
    }
    return cer_otlp_map(r, &conf, on_event, NULL, o, st, NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    data++;
    size--;
    cer_otlp_signal sig = (mode & 1) ? CER_OTLP_TRACES : CER_OTLP_LOGS;
    unsigned path = (mode >> 1) & 3;
    cer_otlp_limits lim = {.max_decoded_bytes = 1 << 20, .max_memory_bytes = 16 << 20};
    cer_otlp_request *r = NULL;
    char err[512];
    int rc;
    if (path < 2) {
        rc = cer_otlp_decode(sig, path ? CER_OTLP_JSON : CER_OTLP_PROTOBUF, data, size, &lim, &r,
                             err, sizeof err);
    } else {
        rc = cer_otlp_decode_http(sig, path == 3 ? "application/json" : "application/x-protobuf",
                                  "gzip", data, size, &lim, &r, NULL, err, sizeof err);
    }
    if (rc) {
        if (r || strlen(err) == 0)
            abort(); /* a failure always explains itself and returns no request */
        return 0;
    }
    out a = {0}, b = {0};
    cer_otlp_map_stats sa, sb;
    int ma = map_all(r, mode, &a, &sa);
    /* Re-pack the decoded tree and decode it as protobuf: same records, same events. */
    const ProtobufCMessage *m =
        sig == CER_OTLP_LOGS ? &r->logs->base : (const ProtobufCMessage *)&r->traces->base;
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *packed = malloc(n ? n : 1);
    protobuf_c_message_pack(m, packed);
    cer_otlp_limits big = lim;
    big.max_decoded_bytes = 0;
    cer_otlp_request *r2 = NULL;
    rc = cer_otlp_decode(sig, CER_OTLP_PROTOBUF, packed, n, &big, &r2, err, sizeof err);
    if (rc == 0) {
        if (cer_otlp_request_count(r2) != cer_otlp_request_count(r))
            abort();
        int mb = map_all(r2, mode, &b, &sb);
        if (ma != mb || sa.produced != sb.produced || sa.rejected != sb.rejected ||
            a.nd.len != b.nd.len || (a.nd.len && memcmp(a.nd.ptr, b.nd.ptr, a.nd.len) != 0)) {
            fprintf(stderr, "JSON/protobuf disagree:\n%.*s\n---\n%.*s\n", (int)a.nd.len,
                    a.nd.ptr ? a.nd.ptr : "", (int)b.nd.len, b.nd.ptr ? b.nd.ptr : "");
            abort();
        }
    } else if (rc != CE_ETOOBIG) {
        /* Re-packing can only grow the memory needed (nothing else may fail). */
        fprintf(stderr, "re-packed request fails: %s\n", err);
        abort();
    }
    ce_buf resp;
    ce_buf_init(&resp);
    if (cer_otlp_response(sig, (mode & 2) ? CER_OTLP_JSON : CER_OTLP_PROTOBUF, sa.rejected,
                          sa.first_error, &resp, NULL, 0))
        abort();
    ce_buf_free(&resp);
    free(packed);
    cer_otlp_request_destroy(r2);
    cer_otlp_request_destroy(r);
    ce_buf_free(&a.nd);
    ce_buf_free(&b.nd);
    return 0;
}
