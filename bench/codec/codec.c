/* bench_codec: decode+validate, encode and the full cycle of the JSON event format for two
 * events (the seed-000 LLM usage event and a ~4 KiB inference event with prompt metadata and
 * nested data), next to cJSON and jansson parsing and printing the same bytes. Each measurement
 * runs for about one second on one core; the codec reuses one event and one output buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cJSON.h>
#include <jansson.h>

#include "ce/json.h"
#include "cerelay/ce.h"

/* /work/shared/seeds/000: the eventzr.llm.usage.v1 envelope, as it travels (compact). */
static const char usage_event[] =
    "{\"specversion\":\"1.0\",\"id\":\"evt-550e8400-e29b-41d4-a716-446655440000\",\"source\":"
    "\"llm-orch-svc\",\"type\":\"eventzr.llm.usage.v1\",\"datacontenttype\":\"application/json\","
    "\"subject\":\"tenant-uuid\",\"time\":\"2026-02-27T12:00:00.000Z\",\"data\":{\"tenantId\":"
    "\"tenant-uuid\",\"userId\":\"user-uuid\",\"provider\":\"aws-bedrock\",\"model\":"
    "\"anthropic.claude-3-sonnet-20240229-v1:0\",\"useCase\":\"event-creation\",\"inputTokens\":"
    "150,\"outputTokens\":350,\"totalTokens\":500,\"latencyMs\":1250,\"costUsd\":0.0025,"
    "\"cached\":false}}";

/* An inference-completed event: prompt metadata as extensions, nested request/response data. */
static const char inference_event[] =
    "{\"specversion\":\"1.0\",\"id\":\"evt-8d7c5e1a-4b2f-4c9a-9f3e-1a2b3c4d5e6f\",\"source\":"
    "\"https://llm-orch-svc.eventzr.internal/v1/inference\",\"type\":\"eventzr.llm.inference."
    "completed.v1\",\"datacontenttype\":\"application/json\",\"dataschema\":\"https://schemas"
    ".eventzr.io/llm/inference-completed/v1.json\",\"subject\":\"tenant/tenant-7f3a9c2e/conve"
    "rsation/conv-2c41\",\"time\":\"2026-02-27T12:00:01.734512Z\",\"cached\":false,\"modelid\""
    ":\"anthropic.claude-3-sonnet-20240229-v1:0\",\"partitionkey\":\"tenant-7f3a9c2e\",\"prom"
    "pthash\":\"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",\"p"
    "rompttemplate\":\"support-triage@v14\",\"prompttokens\":1843,\"traceparent\":\"00-4bf92f"
    "3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\",\"data\":{\"tenantId\":\"tenant-7f3a9c2"
    "e\",\"userId\":\"user-41b8d0aa\",\"provider\":\"aws-bedrock\",\"model\":\"anthropic.clau"
    "de-3-sonnet-20240229-v1:0\",\"useCase\":\"support-triage\",\"request\":{\"system\":\"You"
    " are a support assistant for Eventzr. Answer in the customer's language.\\nNever reveal "
    "internal ticket IDs. Use \\\"plain\\\" formatting.\",\"messages\":[{\"role\":\"user\",\""
    "content\":\"Hi! My webhook deliveries to https://hooks.example.com/ce stopped at 02:14 U"
    "TC. The dashboard shows \\\"429 Too Many Requests\\\" — what should I change?\"},{\"ro"
    "le\":\"assistant\",\"content\":\"It looks like your endpoint is rate limiting us. You ca"
    "n raise the limit on your side, or set a lower delivery rate under Settings › Webhooks"
    " › Throughput. Retries continue for 24 h with exponential back-off.\"},{\"role\":\"use"
    "r\",\"content\":\"We can't change the endpoint. Can you batch events instead? Ideally 50"
    " per request, flushed every 5 s. Also: the résumé-parser events arrive twice 🙁\"},{"
    "\"role\":\"assistant\",\"content\":\"Yes: enable batched delivery (application/cloudeven"
    "ts-batch+json) with batch_size 50 and flush_interval 5. Duplicates happen when your endp"
    "oint times out after accepting a request; deduplicate on the CloudEvents id attribute.\""
    "}],\"tools\":[{\"name\":\"lookup_subscription\",\"parameters\":{\"type\":\"object\",\"pr"
    "operties\":{\"tenantId\":{\"type\":\"string\"},\"endpoint\":{\"type\":\"string\",\"forma"
    "t\":\"uri\"}},\"required\":[\"tenantId\"]}},{\"name\":\"update_delivery_settings\",\"par"
    "ameters\":{\"type\":\"object\",\"properties\":{\"batchSize\":{\"type\":\"integer\",\"min"
    "imum\":1,\"maximum\":500},\"flushIntervalMs\":{\"type\":\"integer\"},\"mode\":{\"enum\":"
    "[\"single\",\"batch\"]}}}}],\"params\":{\"temperature\":0.2,\"topP\":0.9,\"maxTokens\":1"
    "024,\"stop\":[\"\\n\\nHuman:\"],\"stream\":false}},\"response\":{\"stopReason\":\"tool_u"
    "se\",\"toolCalls\":[{\"id\":\"toolu_01A09q90qw90lq917835lq9\",\"name\":\"update_delivery"
    "_settings\",\"input\":{\"batchSize\":50,\"flushIntervalMs\":5000,\"mode\":\"batch\"}}],\""
    "text\":\"I've switched your subscription to batched delivery: up to 50 events per reques"
    "t, flushed every 5 seconds. Let me know if the 429s continue.\"},\"usage\":{\"inputToken"
    "s\":1843,\"outputTokens\":212,\"cacheReadTokens\":1024,\"cacheWriteTokens\":0,\"totalTok"
    "ens\":2055},\"latencyMs\":{\"queue\":3,\"firstToken\":412,\"total\":1730},\"costUsd\":0."
    "008709,\"cached\":false,\"guardrails\":{\"piiMasked\":[\"email\",\"ticket_id\"],\"blocke"
    "d\":false,\"policy\":\"acme/llm-egress-v3\"},\"labels\":{\"region\":\"ap-south-1\",\"env"
    "\":\"prod\",\"build\":\"2026.02.27-1c9e0f4\"},\"retrieval\":{\"index\":\"kb-support-v7\""
    ",\"k\":3,\"latencyMs\":38,\"documents\":[{\"id\":\"kb-1182\",\"score\":0.8312,\"title\":"
    "\"Webhook rate limits and back-off\",\"snippet\":\"When an endpoint answers 429, deliver"
    "ies are retried with exponential back-off (1 s, 2 s, 4 s … capped at 10 min) for up to"
    " 24 hours. Batched delivery reduces request rates by up to 50×.\"},{\"id\":\"kb-0977\","
    "\"score\":0.7905,\"title\":\"Batched delivery (application/cloudevents-batch+json)\",\"s"
    "nippet\":\"Set batch_size (1–500) and flush_interval (seconds). Each request body is a"
    " JSON array of structured CloudEvents; an empty array is valid.\"},{\"id\":\"kb-1420\",\""
    "score\":0.6121,\"title\":\"Why do I see duplicate events?\",\"snippet\":\"Delivery is at"
    "-least-once. If your endpoint times out after processing a request we retry it; deduplic"
    "ate on the \\\"id\\\" and \\\"source\\\" attributes.\"}]}}}";

/* This thread's CPU time: on a shared machine it is far steadier than wall time, and the codec
 * neither sleeps nor waits, so for one thread the two agree when the core is otherwise idle. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef int (*op_fn)(void *ctx);

/* Run op for about `secs` seconds of CPU time; returns nanoseconds per call. */
static double measure(op_fn op, void *ctx, double secs)
{
    for (int k = 0; k < 1000; k++) /* warm up */
        if (op(ctx))
            return -1;
    long n = 0;
    double t0 = now(), t;
    do {
        for (int k = 0; k < 512; k++)
            if (op(ctx))
                return -1;
        n += 512;
    } while ((t = now()) - t0 < secs);
    return (t - t0) * 1e9 / (double)n;
}

typedef struct ctx {
    const char *in;
    size_t len;
    ce_event *ev;
    ce_buf out;
    cJSON *cj;
    json_t *jn;
    char *pbuf;
    size_t pbuf_size;
    char err[256];
} ctx;

/* ---- cerelay ---- */
static int ce_decode(void *p)
{
    ctx *c = p;
    return ce__json_decode_into(c->in, c->len, NULL, c->ev, c->err, sizeof c->err);
}
static int ce_encode(void *p)
{
    ctx *c = p;
    c->out.len = 0;
    return ce_json_encode(c->ev, 0, &c->out, c->err, sizeof c->err);
}
static int ce_cycle(void *p)
{
    return ce_decode(p) || ce_encode(p);
}

/* ---- cJSON: parse, then the same completeness check a CloudEvents consumer needs ---- */
static int cj_check(const cJSON *root)
{
    static const char *const req[] = {"specversion", "id", "source", "type"};
    for (int k = 0; k < 4; k++)
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, req[k])))
            return 1;
    return strcmp(cJSON_GetObjectItemCaseSensitive(root, "specversion")->valuestring, "1.0") != 0;
}
static int cj_parse(void *p)
{
    ctx *c = p;
    cJSON *root = cJSON_ParseWithLength(c->in, c->len);
    int rc = !root || cj_check(root);
    cJSON_Delete(root);
    return rc;
}
static int cj_print(void *p)
{
    ctx *c = p;
    return !cJSON_PrintPreallocated(c->cj, c->pbuf, (int)c->pbuf_size, 0);
}
static int cj_cycle(void *p)
{
    ctx *c = p;
    cJSON *root = cJSON_ParseWithLength(c->in, c->len);
    int rc =
        !root || cj_check(root) || !cJSON_PrintPreallocated(root, c->pbuf, (int)c->pbuf_size, 0);
    cJSON_Delete(root);
    return rc;
}

/* ---- jansson ---- */
static int jn_check(json_t *root)
{
    static const char *const req[] = {"specversion", "id", "source", "type"};
    for (int k = 0; k < 4; k++)
        if (!json_is_string(json_object_get(root, req[k])))
            return 1;
    return strcmp(json_string_value(json_object_get(root, "specversion")), "1.0") != 0;
}
static int jn_parse(void *p)
{
    ctx *c = p;
    json_error_t e;
    json_t *root = json_loadb(c->in, c->len, 0, &e);
    int rc = !root || jn_check(root);
    json_decref(root);
    return rc;
}
static int jn_print(void *p)
{
    ctx *c = p;
    return json_dumpb(c->jn, c->pbuf, c->pbuf_size, JSON_COMPACT) == 0;
}
static int jn_cycle(void *p)
{
    ctx *c = p;
    json_error_t e;
    json_t *root = json_loadb(c->in, c->len, 0, &e);
    int rc = !root || jn_check(root) || json_dumpb(root, c->pbuf, c->pbuf_size, JSON_COMPACT) == 0;
    json_decref(root);
    return rc;
}

static void row(const char *what, double ns, size_t bytes, double ours_ns)
{
    if (ns < 0) {
        printf("  %-28s FAILED\n", what);
        return;
    }
    printf("  %-28s %9.1f ns/op %12.0f events/s %9.1f MB/s", what, ns, 1e9 / ns,
           (double)bytes / ns * 1e3);
    if (ours_ns > 0 && ours_ns != ns)
        printf("   cerelay %.1fx faster", ns / ours_ns);
    printf("\n");
}

static int run(const char *title, const char *in, size_t len, double secs)
{
    ctx c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.len = len;
    c.ev = ce_event_new();
    c.pbuf_size = 4 * len + 1024;
    c.pbuf = malloc(c.pbuf_size);
    c.cj = cJSON_ParseWithLength(in, len);
    json_error_t je;
    c.jn = json_loadb(in, len, 0, &je);
    if (!c.ev || !c.pbuf || !c.cj || !c.jn || ce_cycle(&c)) {
        fprintf(stderr, "bench_codec: %s does not decode: %s\n", title, c.err);
        return 1;
    }
    printf("%s: %zu bytes in, %zu bytes out (canonical)\n", title, len, c.out.len);
    double d = measure(ce_decode, &c, secs), e = measure(ce_encode, &c, secs),
           y = measure(ce_cycle, &c, secs);
    double cd = measure(cj_parse, &c, secs), ce = measure(cj_print, &c, secs),
           cy = measure(cj_cycle, &c, secs);
    double jd = measure(jn_parse, &c, secs), jp = measure(jn_print, &c, secs),
           jy = measure(jn_cycle, &c, secs);
    row("cerelay decode+validate", d, len, d);
    row("cJSON parse+check", cd, len, d);
    row("jansson load+check", jd, len, d);
    row("cerelay encode", e, len, e);
    row("cJSON print (prealloc)", ce, len, e);
    row("jansson dump (prealloc)", jp, len, e);
    row("cerelay cycle", y, len, y);
    row("cJSON cycle", cy, len, y);
    row("jansson cycle", jy, len, y);
    printf("\n");
    cJSON_Delete(c.cj);
    json_decref(c.jn);
    free(c.pbuf);
    ce_buf_free(&c.out);
    ce_event_destroy(c.ev);
    return 0;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    if (secs <= 0)
        secs = 1.0;
    printf("bench_codec: %.1f s of thread CPU time per measurement, one core;\n"
           "cycle = decode+validate+encode; cerelay reuses one event and one output buffer\n\n",
           secs);
    int rc = run("(a) seed-000 eventzr.llm.usage.v1", usage_event, sizeof usage_event - 1, secs);
    rc |= run("(b) inference event with prompt metadata", inference_event,
              sizeof inference_event - 1, secs);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("max RSS: %ld KiB\n", ru.ru_maxrss);
    return rc;
}
