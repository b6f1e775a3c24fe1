/* Masking benchmark: cer_mask_apply over a ~4 KiB inference event with prompt metadata (the
 * event (b) of bench/codec) and over the seed-000 usage event, with every detector on; in the
 * fail-closed default (prompt members dropped), with allow_content (every string scanned), and
 * with rules only. Each iteration decodes the event into a reused ce_event and masks it; the
 * decode alone is measured too and subtracted. Plus the detector scanner alone on prose without
 * PII and on PII-dense text. Thread CPU time, about a second per measurement. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ce/json.h"
#include "cerelay/ce.h"
#include "gov/mask.h"

void bench_mask(void);

#define SECS 1.0

/* bench/codec (b): an inference-completed event with nested request/response data. */
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

/* /work/shared/seeds/000: the eventzr.llm.usage.v1 envelope. */
static const char usage_event[] =
    "{\"specversion\":\"1.0\",\"id\":\"evt-550e8400-e29b-41d4-a716-446655440000\",\"source\":"
    "\"llm-orch-svc\",\"type\":\"eventzr.llm.usage.v1\",\"datacontenttype\":\"application/json\","
    "\"subject\":\"tenant-uuid\",\"time\":\"2026-02-27T12:00:00.000Z\",\"data\":{\"tenantId\":"
    "\"tenant-uuid\",\"userId\":\"user-uuid\",\"provider\":\"aws-bedrock\",\"model\":"
    "\"anthropic.claude-3-sonnet-20240229-v1:0\",\"useCase\":\"event-creation\",\"inputTokens\":"
    "150,\"outputTokens\":350,\"totalTokens\":500,\"latencyMs\":1250,\"costUsd\":0.0025,"
    "\"cached\":false}}";

static const char prose[] =
    "It looks like your endpoint is rate limiting us. You can raise the limit on your side, or "
    "set a lower delivery rate under Settings > Webhooks > Throughput. Retries continue for 24 h "
    "with exponential back-off (1 s, 2 s, 4 s, capped at 10 min). Model "
    "anthropic.claude-3-sonnet-20240229-v1:0, request req_011CSHoEeqs5C35K2UUqR7Fy, trace "
    "4bf92f3577b34da6a3ce929d0e0e4736, 1843 input tokens, cost $0.008709, build 2026.02.27. ";

static const char pii[] =
    "Hi, I'm jane.doe@acme.com (+44 20 7946 0958), card 4111 1111 1111 1111, from 203.0.113.7; "
    "SSN 219-09-9999. Key AKIAIOSFODNN7EXAMPLE, Authorization: Bearer abcdef0123456789abcdef, "
    "api sk-proj-abcdefghijklmnopqrstuvwx0123, password=hunter2hunter2. ";

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct ctx {
    const char *in;
    size_t len;
    ce_event *ev;
    cer_mask *m;
    ce_buf out;
    const char *text;
    size_t text_len;
    int bad;
} ctx;

typedef void (*op_fn)(ctx *c);

static double measure(op_fn op, ctx *c)
{
    for (int k = 0; k < 200; k++)
        op(c);
    long n = 0;
    double t0 = now(), t;
    do {
        for (int k = 0; k < 256; k++)
            op(c);
        n += 256;
    } while ((t = now()) - t0 < SECS);
    return (t - t0) * 1e9 / (double)n;
}

static void op_decode(ctx *c)
{
    c->bad |= ce__json_decode_into(c->in, c->len, NULL, c->ev, NULL, 0) != 0;
}

static void op_decode_mask(ctx *c)
{
    c->bad |= ce__json_decode_into(c->in, c->len, NULL, c->ev, NULL, 0) != 0;
    c->bad |= cer_mask_apply(c->m, c->ev, NULL, NULL, 0) != 0;
}

static void op_text(ctx *c)
{
    c->out.len = 0;
    c->bad |= cer_mask_text(c->m, c->text, c->text_len, &c->out, NULL) < 0;
}

static cer_config_mask_rule rules[] = {
    {.name = "user-id", .path = "/data/userId", .action = CER_CONFIG_MASK_HASH, .length = 16},
    {.name = "tenant", .path = "/ext/partitionkey", .action = CER_CONFIG_MASK_HASH, .length = 16},
    {.name = "labels", .path = "/data/labels/*", .action = CER_CONFIG_MASK_TRUNCATE, .length = 8}};

static void run_event(const char *title, const char *in, size_t len)
{
    static const struct {
        const char *what;
        unsigned dets;
        bool allow;
        size_t nrules;
    } confs[] = {
        {"all detectors, content dropped", CER_CONFIG_DETECT_ALL, false, 3},
        {"all detectors, allow_content", CER_CONFIG_DETECT_ALL, true, 3},
        {"rules only (no detectors)", 0, true, 3},
        {"nothing to do (no rules, no detectors)", 0, true, 0},
    };
    ctx c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.len = len;
    c.ev = ce_event_new();
    double dec = measure(op_decode, &c);
    printf("%s: %zu bytes; decode alone %.0f ns (subtracted below)\n", title, len, dec);
    for (size_t k = 0; k < sizeof confs / sizeof *confs; k++) {
        cer_config_masking cfg = {.key = "bench-key",
                                  .rules = rules,
                                  .nrules = confs[k].nrules,
                                  .detectors = confs[k].dets,
                                  .allow_content = confs[k].allow};
        c.m = cer_mask_new(&cfg, NULL, 0);
        cer_mask_result res;
        op_decode(&c);
        cer_mask_apply(c.m, c.ev, &res, NULL, 0);
        double both = measure(op_decode_mask, &c), ns = both - dec;
        printf("  %-40s %8.0f ns/event %10.0f events/s %8.1f MB/s   (%u rules, %u detections, "
               "%u dropped)\n",
               confs[k].what, ns, 1e9 / ns, (double)len / ns * 1e3, res.rules, res.detections,
               res.content_dropped);
        cer_mask_destroy(c.m);
    }
    if (c.bad)
        printf("  ERRORS during the run\n");
    ce_event_destroy(c.ev);
}

static void run_text(const char *title, const char *unit, size_t unit_len)
{
    ctx c;
    memset(&c, 0, sizeof c);
    char buf[8192];
    size_t n = 0;
    while (n + unit_len < sizeof buf) {
        memcpy(buf + n, unit, unit_len);
        n += unit_len;
    }
    c.text = buf;
    c.text_len = n;
    c.m = cer_mask_new(NULL, NULL, 0);
    double ns = measure(op_text, &c);
    long hits = cer_mask_text(c.m, buf, n, &c.out, NULL);
    printf("  %-40s %8.0f ns/%zu B %16.1f MB/s   (%ld detections)\n", title, ns, n,
           (double)n / ns * 1e3, hits);
    ce_buf_free(&c.out);
    cer_mask_destroy(c.m);
}

void bench_mask(void)
{
    printf("bench_mask: %.1f s of thread CPU time per measurement, one core\n\n", SECS);
    run_event("(b) inference event with prompt metadata", inference_event,
              sizeof inference_event - 1);
    printf("\n");
    run_event("(a) seed-000 eventzr.llm.usage.v1", usage_event, sizeof usage_event - 1);
    printf("\ndetector scanner alone (cer_mask_text, all detectors):\n");
    run_text("prose and ids, no PII", prose, sizeof prose - 1);
    run_text("PII-dense text", pii, sizeof pii - 1);
}
