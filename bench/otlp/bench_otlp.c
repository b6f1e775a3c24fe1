/* bench_otlp: throughput of the OTLP module on one core for two requests: 1000 GenAI spans
 * (the seed's usage shape) and 1000 log records with eight attributes each. For each it times
 * decoding (protobuf, OTLP/JSON, gzip+protobuf), mapping to CloudEvents (UUIDv7 ids), and the
 * whole path including encoding every event as JSON. Each measurement runs about one second. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "otlp/internal.h"

#define N 1000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void app(char **p, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void app(char **p, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(*p + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return;
        }
        *cap = *cap * 2 + (size_t)n;
        *p = realloc(*p, *cap);
    }
}

/* OTLP/JSON text of the two requests. */
static char *traces_json(size_t *len)
{
    size_t cap = 1 << 20;
    char *p = malloc(cap);
    *len = 0;
    app(&p, len, &cap,
        "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
        "{\"stringValue\":\"llm-orch-svc\"}}]},\"scopeSpans\":[{\"spans\":[");
    for (int i = 0; i < N; i++)
        app(&p, len, &cap,
            "%s{\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e%04x\",\"spanId\":\"00f067aa0ba9%04x\","
            "\"name\":\"chat\",\"kind\":3,\"startTimeUnixNano\":\"1772193598750000000\","
            "\"endTimeUnixNano\":\"1772193600000000000\",\"attributes\":["
            "{\"key\":\"tenant_id\",\"value\":{\"stringValue\":\"tenant-%d\"}},"
            "{\"key\":\"user_id\",\"value\":{\"stringValue\":\"user-%d\"}},"
            "{\"key\":\"gen_ai.provider.name\",\"value\":{\"stringValue\":\"aws-bedrock\"}},"
            "{\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":"
            "\"anthropic.claude-3-sonnet-20240229-v1:0\"}},"
            "{\"key\":\"gen_ai.operation.name\",\"value\":{\"stringValue\":\"chat\"}},"
            "{\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":\"150\"}},"
            "{\"key\":\"gen_ai.usage.output_tokens\",\"value\":{\"intValue\":\"350\"}}]}",
            i ? "," : "", i, i, i % 50, i);
    app(&p, len, &cap, "]}]}]}");
    return p;
}

static char *logs_json(size_t *len)
{
    size_t cap = 1 << 20;
    char *p = malloc(cap);
    *len = 0;
    app(&p, len, &cap,
        "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
        "{\"stringValue\":\"checkout\"}},{\"key\":\"tenant.id\",\"value\":{\"stringValue\":"
        "\"acme\"}}]},\"scopeLogs\":[{\"logRecords\":[");
    for (int i = 0; i < N; i++)
        app(&p, len, &cap,
            "%s{\"timeUnixNano\":\"%llu\",\"severityNumber\":9,\"severityText\":\"INFO\","
            "\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"spanId\":\"00f067aa0ba902b7\","
            "\"eventName\":\"io.coresdk.policy.decision\",\"body\":{\"stringValue\":"
            "\"policy evaluated for request %d\"},\"attributes\":["
            "{\"key\":\"user_id\",\"value\":{\"stringValue\":\"usr_%d\"}},"
            "{\"key\":\"action\",\"value\":{\"stringValue\":\"orders:create\"}},"
            "{\"key\":\"result\",\"value\":{\"stringValue\":\"allowed\"}},"
            "{\"key\":\"policy_latency_us\",\"value\":{\"intValue\":\"43\"}},"
            "{\"key\":\"ratio\",\"value\":{\"doubleValue\":0.25}},"
            "{\"key\":\"cached\",\"value\":{\"boolValue\":false}},"
            "{\"key\":\"tags\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":\"a\"},"
            "{\"stringValue\":\"b\"}]}}},"
            "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/v1/orders\"}}]}",
            i ? "," : "", 1774010100000000000ull + (unsigned long long)i, i, i);
    app(&p, len, &cap, "]}]}]}");
    return p;
}

static int count_event(void *ctx, const ce_event *ev)
{
    (void)ev;
    ++*(size_t *)ctx;
    return 0;
}

static int encode_event(void *ctx, const ce_event *ev)
{
    ce_buf *b = ctx;
    b->len = 0;
    return ce_json_encode(ev, CE_JSON_COMPACT_DATA, b, NULL, 0);
}

static void report(const char *what, double secs, size_t iters, size_t bytes)
{
    double recs = (double)iters * N / secs;
    printf("  %-28s %10.0f records/s  %8.1f MB/s in\n", what, recs,
           (double)bytes * (double)iters / secs / 1e6);
}

static void run(const char *name, cer_otlp_signal sig, const char *json, size_t jlen)
{
    char err[256];
    cer_otlp_request *r;
    if (cer_otlp_decode(sig, CER_OTLP_JSON, json, jlen, NULL, &r, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", name, err);
        exit(1);
    }
    const ProtobufCMessage *m =
        sig == CER_OTLP_LOGS ? &r->logs->base : (const ProtobufCMessage *)&r->traces->base;
    size_t plen = protobuf_c_message_get_packed_size(m);
    uint8_t *pb = malloc(plen);
    protobuf_c_message_pack(m, pb);
    uLongf zlen = compressBound((uLong)plen) + 64;
    uint8_t *gz = malloc(zlen);
    z_stream zs = {0};
    deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = pb;
    zs.avail_in = (uInt)plen;
    zs.next_out = gz;
    zs.avail_out = (uInt)zlen;
    deflate(&zs, Z_FINISH);
    zlen = zs.total_out;
    deflateEnd(&zs);
    printf("%s: %d records, protobuf %zu bytes, JSON %zu bytes, gzip %lu bytes\n", name, N, plen,
           jlen, (unsigned long)zlen);

    static const char *const what[] = {"decode protobuf", "decode JSON", "decode gzip+protobuf",
                                       "map (no encode)", "protobuf->events->JSON"};
    for (int k = 0; k < 5; k++) {
        size_t iters = 0, events = 0, bytes = k == 1 ? jlen : k == 2 ? zlen : plen;
        ce_buf out;
        ce_buf_init(&out);
        double t0 = now(), t;
        do {
            cer_otlp_request *q = NULL;
            int rc = 0;
            if (k == 0 || k == 4)
                rc = cer_otlp_decode(sig, CER_OTLP_PROTOBUF, pb, plen, NULL, &q, err, sizeof err);
            else if (k == 1)
                rc = cer_otlp_decode(sig, CER_OTLP_JSON, json, jlen, NULL, &q, err, sizeof err);
            else if (k == 2)
                rc = cer_otlp_decode_http(sig, "application/x-protobuf", "gzip", gz, zlen, NULL, &q,
                                          NULL, err, sizeof err);
            if (rc) {
                fprintf(stderr, "%s: %s\n", what[k], err);
                exit(1);
            }
            if (k == 3)
                cer_otlp_map(r, NULL, count_event, NULL, &events, NULL, NULL, 0);
            if (k == 4)
                cer_otlp_map(q, NULL, encode_event, NULL, &out, NULL, NULL, 0);
            cer_otlp_request_destroy(q);
            iters++;
            t = now() - t0;
        } while (t < 1.0);
        report(what[k], t, iters, bytes);
        ce_buf_free(&out);
    }
    free(pb);
    free(gz);
    cer_otlp_request_destroy(r);
}

int main(void)
{
    size_t tl, ll;
    char *t = traces_json(&tl), *l = logs_json(&ll);
    run("GenAI spans", CER_OTLP_TRACES, t, tl);
    run("log records", CER_OTLP_LOGS, l, ll);
    free(t);
    free(l);
    return 0;
}
