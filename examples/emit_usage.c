/* Example: publish LLM usage with the typed catalog API. Builds an eventzr.llm.usage.v1 event
 * from a struct, fills its cost from a price table when the producer does not know it, checks
 * it against the catalog, and hands it to the emitter, which delivers in the background.
 *
 *   emit_usage --stdout                      print the event (the default binding)
 *   emit_usage --kafka 127.0.0.1:9092        publish to topic eventzr.llm.usage.v1
 */
#include <stdio.h>
#include <string.h>

#include <cerelay/catalog.h>
#include <cerelay/emitter.h>

static void on_delivery(void *ctx, void *opaque, int err, const char *reason)
{
    (void)ctx;
    (void)opaque;
    if (err)
        fprintf(stderr, "emit_usage: not delivered: %s\n", reason);
}

int main(int argc, char **argv)
{
    char err[512];
    const char *brokers = argc > 2 && strcmp(argv[1], "--kafka") == 0 ? argv[2] : NULL;

    /* The catalog: built-in types plus a price table. */
    cer_catalog *cat = NULL;
    if (cer_catalog_new(&cat, 0, err, sizeof err) != 0) {
        fprintf(stderr, "emit_usage: %s\n", err);
        return 1;
    }
    static const char prices[] = "{\"aws-bedrock\": {\"anthropic.claude-3-sonnet-20240229-v1:0\":"
                                 " {\"input_per_1k\": 0.003, \"output_per_1k\": 0.015}}}";
    if (cer_catalog_load_prices_mem(cat, prices, sizeof prices - 1, err, sizeof err) != 0) {
        fprintf(stderr, "emit_usage: %s\n", err);
        cer_catalog_destroy(cat);
        return 1;
    }

    /* The emitter: stdout by default, Kafka with --kafka (topic = the type, key = subject). */
    cer_emitter_conf *conf = cer_emitter_conf_new();
    int rc = brokers ? cer_emitter_conf_set(conf, "binding", "kafka", err, sizeof err) : 0;
    if (!rc && brokers)
        rc = cer_emitter_conf_set(conf, "kafka.brokers", brokers, err, sizeof err);
    cer_emitter_conf_set_callbacks(conf, on_delivery, NULL, NULL, NULL);
    cer_emitter *em = NULL;
    if (!rc)
        rc = cer_emitter_new(&em, conf, err, sizeof err);
    cer_emitter_conf_destroy(conf);
    if (rc) {
        fprintf(stderr, "emit_usage: %s\n", err);
        cer_catalog_destroy(cat);
        return 1;
    }

    /* One usage event; the cost is left for the price table. */
    cer_llm_usage u = {.tenant_id = "tenant-uuid",
                       .user_id = "user-uuid",
                       .provider = "aws-bedrock",
                       .model = "anthropic.claude-3-sonnet-20240229-v1:0",
                       .use_case = "event-creation",
                       .input_tokens = 150,
                       .output_tokens = 350,
                       .latency_ms = 1250,
                       .cost_usd = CER_COST_UNKNOWN};
    ce_event *ev = NULL;
    rc = cer_llm_usage_event(&u, NULL, &ev, err, sizeof err);
    if (!rc && cer_catalog_fill_cost(cat, ev, err, sizeof err) < 0) /* costUsd 0.0057 */
        rc = -1;
    cer_catalog_result res;
    if (!rc && cer_catalog_validate(cat, ev, &res) != CER_CATALOG_VALID) {
        snprintf(err, sizeof err, "%s", res.messages[0]);
        rc = -1;
    }
    if (!rc)
        rc = cer_emitter_emit(em, ev, NULL, err, sizeof err);
    ce_event_destroy(ev);

    /* The convenience form builds and emits in one call. */
    u.cost_usd = 0.0057;
    if (!rc)
        rc = cer_emit_llm_usage(em, &u, NULL, NULL, err, sizeof err);
    if (rc)
        fprintf(stderr, "emit_usage: %s\n", err);
    if (cer_emitter_flush(em, 10000) != 0) {
        fprintf(stderr, "emit_usage: delivery timed out\n");
        rc = -1;
    }
    cer_emitter_destroy(em, 1000);
    cer_catalog_destroy(cat);
    return rc ? 1 : 0;
}
