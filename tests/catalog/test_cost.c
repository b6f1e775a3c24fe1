/* Tests of the cost formula and price tables (src/catalog/cost.c): exact decimal prices, the
 * documented rounding (half up to 6 decimals) with numbers, the "*" fallback, fill_cost on usage
 * and embeddings events (insert, replace null, leave alone, errors) and price-file errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cattest.h"

static cer_catalog *with_prices(const char *json)
{
    cer_catalog *c = cattest_builtin();
    char err[256];
    if (c && cer_catalog_load_prices_mem(c, json, strlen(json), err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "prices: %s", err);
    return c;
}

static const char prices[] =
    "{\"aws-bedrock\": {\"anthropic.claude-3-sonnet-20240229-v1:0\": "
    "{\"input_per_1k\": 0.003, \"output_per_1k\": 0.015},"
    " \"amazon.titan-embed-text-v2:0\": {\"input_per_1k\": 0.00002, \"output_per_1k\": 0}},"
    " \"tiny\": {\"m\": {\"input_per_1k\": 0.000001, \"output_per_1k\": 0.000000001}},"
    " \"openai\": {\"*\": {\"input_per_1k\": 2.5e-3, \"output_per_1k\": 1E-2}}}";

static int64_t cost(cer_catalog *c, const char *p, const char *m, int64_t in, int64_t out)
{
    int64_t micro = -1;
    char err[256];
    if (cer_catalog_cost(c, p, m, in, out, &micro, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "cost: %s", err);
    return micro;
}

static const char *usd(int64_t micro)
{
    static char out[4][32];
    static int slot;
    char *o = out[slot++ & 3];
    cer_catalog_format_usd(micro, o);
    return o;
}

TEST(formula_with_numbers)
{
    cer_catalog *c = with_prices(prices);
    if (!c)
        return;
    const char *sonnet = "anthropic.claude-3-sonnet-20240229-v1:0";
    /* 150 * 0.003 / 1000 + 350 * 0.015 / 1000 = 0.00045 + 0.00525 = 0.0057 */
    CHECK_EQ_INT(cost(c, "aws-bedrock", sonnet, 150, 350), 5700);
    CHECK_EQ_STR(usd(5700), "0.0057");
    /* 1,000,000 in + 1,000,000 out = 3 + 15 = 18 dollars exactly */
    CHECK_EQ_INT(cost(c, "aws-bedrock", sonnet, 1000000, 1000000), 18000000);
    CHECK_EQ_STR(usd(18000000), "18");
    /* 4096 * 0.00002 / 1000 = 0.00008192 -> 0.000082 (rounded to 6 decimals) */
    CHECK_EQ_INT(cost(c, "aws-bedrock", "amazon.titan-embed-text-v2:0", 4096, 0), 82);
    CHECK_EQ_STR(usd(82), "0.000082");
    /* Half up: 500 tokens at $0.000001/1k = $0.0000005 -> 0.000001; 499 -> 0 */
    CHECK_EQ_INT(cost(c, "tiny", "m", 500, 0), 1);
    CHECK_EQ_INT(cost(c, "tiny", "m", 499, 0), 0);
    /* Nine decimals are exact: 1e9 out tokens at $0.000000001/1k = $0.001 */
    CHECK_EQ_INT(cost(c, "tiny", "m", 0, 1000000000), 1000);
    /* Exponent notation in the price file is read exactly, and "*" is the fallback. */
    CHECK_EQ_INT(cost(c, "openai", "gpt-4o", 1000, 1000), 12500);
    CHECK_EQ_STR(usd(12500), "0.0125");
    CHECK_EQ_STR(usd(0), "0");
    CHECK_EQ_STR(usd(1), "0.000001");
    CHECK_EQ_STR(usd(123456789), "123.456789");
    CHECK_EQ_STR(usd(-1500000), "-1.5");
    int64_t m;
    char err[256];
    CHECK_EQ_INT(cer_catalog_cost(c, "aws-bedrock", "nope", 1, 1, &m, err, sizeof err),
                 CE_ENOTFOUND);
    CHECK_EQ_STR(err, "no price for provider 'aws-bedrock' model 'nope'");
    CHECK_EQ_INT(cer_catalog_cost(c, "tiny", "m", -1, 1, &m, err, sizeof err), CE_ERANGE);
    cer_catalog_destroy(c);
}

TEST(decimal_parsing)
{
    static const struct {
        const char *tok;
        int rc;
        int64_t nano;
    } cases[] = {{"0", 0, 0},
                 {"0.003", 0, 3000000},
                 {"15", 0, 15000000000},
                 {"1e-9", 0, 1},
                 {"0.000000001", 0, 1},
                 {"1.5E+2", 0, 150000000000},
                 {"0.0000000001", CE_EBADVALUE, 0},
                 {"-1", CE_ERANGE, 0},
                 {"2000000", CE_ERANGE, 0},
                 {"0.1000000000000", 0, 100000000}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t v = -1;
        int rc = cer__decimal_nano(cases[i].tok, strlen(cases[i].tok), &v);
        CHECK_EQ_INT(rc, cases[i].rc);
        if (rc == 0)
            CHECK_EQ_INT(v, cases[i].nano);
    }
    int64_t micro;
    CHECK_EQ_INT(cer__cost_micro(INT64_MAX, 1000000000000000, INT64_MAX, 1000000000000000, &micro),
                 CE_ERANGE);
}

static ce_event *usage_event(const char *data)
{
    cer_event_meta m = {NULL, "id", "2026-01-01T00:00:00Z", "t", NULL};
    cer_catalog *c = cattest_builtin();
    ce_event *ev = NULL;
    char err[256];
    if (cer_catalog_event(c, "eventzr.llm.usage.v1", data, strlen(data), &m, &ev, err, sizeof err))
        cer_test_fail(__FILE__, __LINE__, "event: %s", err);
    cer_catalog_destroy(c);
    return ev;
}

static void expect_data(const ce_event *ev, const char *want)
{
    ce_slice d = ce_event_data(ev);
    CHECK_EQ_MEM(d.ptr, d.len, want, strlen(want));
}

TEST(fill_cost_usage)
{
    cer_catalog *c = with_prices(prices);
    char err[256];
    /* As the OTLP mapper writes it (no costUsd): inserted before "cached", seed order. */
    ce_event *ev = usage_event(
        "{\"tenantId\":\"t\",\"userId\":null,\"provider\":\"aws-bedrock\",\"model\":\"anthropic."
        "claude-3-sonnet-20240229-v1:0\",\"useCase\":\"chat\",\"inputTokens\":150,"
        "\"outputTokens\":350,\"totalTokens\":500,\"latencyMs\":1250,\"cached\":false}");
    CHECK_EQ_INT(cer_catalog_fill_cost(c, ev, err, sizeof err), 1);
    expect_data(ev, "{\"tenantId\":\"t\",\"userId\":null,\"provider\":\"aws-bedrock\",\"model\":"
                    "\"anthropic.claude-3-sonnet-20240229-v1:0\",\"useCase\":\"chat\","
                    "\"inputTokens\":150,\"outputTokens\":350,\"totalTokens\":500,"
                    "\"latencyMs\":1250,\"costUsd\":0.0057,\"cached\":false}");
    cer_catalog_result res;
    CHECK_EQ_INT(cer_catalog_validate(c, ev, &res), CER_CATALOG_VALID);
    /* Already there: nothing to do. */
    CHECK_EQ_INT(cer_catalog_fill_cost(c, ev, err, sizeof err), 0);
    ce_event_destroy(ev);

    /* costUsd null is replaced in place. */
    ev = usage_event("{\"provider\":\"openai\",\"model\":\"gpt-4o\",\"inputTokens\":1000,"
                     "\"outputTokens\":1000,\"costUsd\":null,\"cached\":true}");
    CHECK_EQ_INT(cer_catalog_fill_cost(c, ev, err, sizeof err), 1);
    expect_data(ev, "{\"provider\":\"openai\",\"model\":\"gpt-4o\",\"inputTokens\":1000,"
                    "\"outputTokens\":1000,\"costUsd\":0.0125,\"cached\":true}");
    ce_event_destroy(ev);

    /* No "cached": appended at the end. */
    ev = usage_event("{ \"provider\":\"tiny\",\"model\":\"m\",\"inputTokens\":500,"
                     "\"outputTokens\":0 }");
    CHECK_EQ_INT(cer_catalog_fill_cost(c, ev, err, sizeof err), 1);
    expect_data(ev, "{ \"provider\":\"tiny\",\"model\":\"m\",\"inputTokens\":500,"
                    "\"outputTokens\":0 ,\"costUsd\":0.000001}");
    ce_event_destroy(ev);

    /* Errors name the field and leave the event unchanged. */
    const char *nul = "{\"provider\":\"openai\",\"model\":\"gpt-4o\",\"inputTokens\":null,"
                      "\"outputTokens\":3,\"cached\":false}";
    ev = usage_event(nul);
    CHECK_EQ_INT(cer_catalog_fill_cost(c, ev, err, sizeof err), CE_EMISSING);
    CHECK_EQ_STR(err, "data.inputTokens: missing or not a count, cannot compute the cost");
    expect_data(ev, nul);
    ce_event_destroy(ev);
    ev = usage_event("{\"provider\":\"acme-llm\",\"model\":\"x\",\"inputTokens\":1,"
                     "\"outputTokens\":1}");
    CHECK_EQ_INT(cer_catalog_fill_cost(c, ev, err, sizeof err), CE_ENOTFOUND);
    CHECK_EQ_STR(err, "no price for provider 'acme-llm' model 'x'");
    ce_event_destroy(ev);
    ev = usage_event("{\"model\":\"x\"}");
    CHECK_EQ_INT(cer_catalog_fill_cost(c, ev, err, sizeof err), CE_EMISSING);
    CHECK_EQ_STR(err, "data.provider: missing or not a string, cannot compute the cost");
    /* Other types are left alone. */
    ce_event_set_str(ev, "type", "io.coresdk.error", NULL, 0);
    CHECK_EQ_INT(cer_catalog_fill_cost(c, ev, err, sizeof err), 0);
    ce_event_destroy(ev);
    cer_catalog_destroy(c);
}

TEST(fill_cost_embeddings)
{
    cer_catalog *c = with_prices(prices);
    char err[256];
    cer_llm_embeddings e = {
        "t",  NULL, NULL, "aws-bedrock",   "amazon.titan-embed-text-v2:0", 32, 1024,
        4096, 1,    840,  CER_COST_UNKNOWN};
    ce_event *ev = NULL;
    CHECK_EQ_INT(cer_llm_embeddings_event(&e, NULL, &ev, err, sizeof err), 0);
    CHECK_EQ_INT(cer_catalog_fill_cost(c, ev, err, sizeof err), 1);
    ce_slice d = ce_event_data(ev);
    char *s = strndup(d.ptr, d.len);
    CHECK_CONTAINS(s, "\"latencyMs\":840,\"costUsd\":0.000082}");
    free(s);
    ce_event_destroy(ev);
    cer_catalog_destroy(c);
}

static void expect_price_error(const char *json, const char *want)
{
    cer_catalog *c = cattest_builtin();
    char err[400] = "";
    int64_t m;
    CHECK(cer_catalog_load_prices_mem(c, json, strlen(json), err, sizeof err) != 0);
    CHECK_CONTAINS(err, want);
    /* Nothing of a failed table is kept. */
    CHECK_EQ_INT(cer_catalog_cost(c, "p", "m", 1, 1, &m, NULL, 0), CE_ENOTFOUND);
    cer_catalog_destroy(c);
}

TEST(price_table_errors_and_files)
{
    expect_price_error("{\"p\": {\"m\": {\"input_per_1k\": 0.0000000001, \"output_per_1k\": 0}}}",
                       "prices: p.m.input_per_1k: 0.0000000001 is not a price >= 0 with at most 9 "
                       "decimals");
    expect_price_error("{\"p\": {\"m\": {\"input_per_1k\": -1, \"output_per_1k\": 0}}}",
                       "p.m.input_per_1k: -1 is not a price");
    expect_price_error("{\"p\": {\"m\": {\"input_per_1k\": 1}}}",
                       "p.m.output_per_1k: expected a number of US dollars");
    expect_price_error("{\"p\": {\"m\": {\"input_per_1k\": 1, \"output_per_1k\": 1, \"x\": 1}}}",
                       "p.m: unknown key 'x'");
    expect_price_error("{\"p\": {\"m\": 1}}", "p.m: expected {");
    expect_price_error("[]", "expected an object provider -> model -> prices");
    expect_price_error("{\"p\": {\"m\": {\"input_per_1k\": 1, \"output_per_1k\": 1}}, \"q\": 2}",
                       "prices: q: expected an object of models");
    /* The shipped example table loads and prices the catalog's usage example. */
    cer_catalog *c = cattest_builtin();
    char err[300];
    CHECK_EQ_INT(
        cer_catalog_load_prices(c, cer_test_src_path("catalog/prices.json"), err, sizeof err), 0);
    CHECK_EQ_INT(cost(c, "aws-bedrock", "anthropic.claude-3-sonnet-20240229-v1:0", 150, 350), 5700);
    CHECK_EQ_INT(cost(c, "google-vertex", "gemini-1.0-pro", 1000, 1000), 5000);
    /* A later table replaces single entries. */
    const char *upd = "{\"aws-bedrock\": {\"anthropic.claude-3-sonnet-20240229-v1:0\": "
                      "{\"input_per_1k\": 0.001, \"output_per_1k\": 0.001}}}";
    CHECK_EQ_INT(cer_catalog_load_prices_mem(c, upd, strlen(upd), err, sizeof err), 0);
    CHECK_EQ_INT(cost(c, "aws-bedrock", "anthropic.claude-3-sonnet-20240229-v1:0", 150, 350), 500);
    CHECK_EQ_INT(cer_catalog_load_prices(c, "/nonexistent.json", err, sizeof err), CE_EIO);
    cer_catalog_destroy(c);
}

/* Cache reads, cache writes and reasoning each at their own price; classes are parts of the
 * input and output totals; a class without a price of its own costs the plain price. */
TEST(token_classes_priced_separately)
{
    cer_catalog *c = with_prices(
        "{\"anthropic\": {\"claude-3-5-sonnet-20241022\": {\"input_per_1k\": 0.003, "
        "\"output_per_1k\": 0.015, \"cache_read_input_per_1k\": 0.0003, "
        "\"cache_creation_input_per_1k\": 0.00375}},"
        " \"openai\": {\"o3-mini\": {\"input_per_1k\": 0.0011, \"output_per_1k\": 0.0044, "
        "\"reasoning_output_per_1k\": 0.0088}}}");
    if (!c)
        return;
    char err[256];
    int64_t m = -1;
    /* 1000*0.003 + 8000*0.0003 + 1000*0.00375 + 500*0.015, per 1k = 0.01665 */
    cer_catalog_tokens t = {
        .input = 10000, .output = 500, .cache_read_input = 8000, .cache_creation_input = 1000};
    CHECK_EQ_INT(cer_catalog_cost_tokens(c, "anthropic", "claude-3-5-sonnet-20241022", &t, &m, err,
                                         sizeof err),
                 0);
    CHECK_EQ_STR(usd(m), "0.01665");
    /* without classes: what cer_catalog_cost gives */
    cer_catalog_tokens plain = {.input = 10000, .output = 500};
    CHECK_EQ_INT(
        cer_catalog_cost_tokens(c, "anthropic", "claude-3-5-sonnet-20241022", &plain, &m, NULL, 0),
        0);
    CHECK_EQ_INT(m, cost(c, "anthropic", "claude-3-5-sonnet-20241022", 10000, 500));
    /* reasoning: (1000-600)*0.0044 + 600*0.0088 + 2000*0.0011, per 1k = 0.00176+0.00528+0.0022 */
    cer_catalog_tokens r = {.input = 2000, .output = 1000, .reasoning_output = 600};
    CHECK_EQ_INT(cer_catalog_cost_tokens(c, "openai", "o3-mini", &r, &m, NULL, 0), 0);
    CHECK_EQ_STR(usd(m), "0.00924");
    /* no class price: cache reads at the input price (same as plain) */
    cer_catalog_tokens cr = {.input = 2000, .output = 0, .cache_read_input = 2000};
    CHECK_EQ_INT(cer_catalog_cost_tokens(c, "openai", "o3-mini", &cr, &m, NULL, 0), 0);
    CHECK_EQ_STR(usd(m), "0.0022");
    /* classes above their totals, negatives */
    cer_catalog_tokens bad = {
        .input = 10, .output = 5, .cache_read_input = 8, .cache_creation_input = 3};
    CHECK_EQ_INT(cer_catalog_cost_tokens(c, "openai", "o3-mini", &bad, &m, err, sizeof err),
                 CE_ERANGE);
    CHECK_CONTAINS(err, "cache tokens above input tokens");
    cer_catalog_tokens bad2 = {.input = 10, .output = 5, .reasoning_output = 6};
    CHECK_EQ_INT(cer_catalog_cost_tokens(c, "openai", "o3-mini", &bad2, &m, NULL, 0), CE_ERANGE);
    cer_catalog_tokens neg = {.input = 10, .output = 5, .cache_read_input = -1};
    CHECK_EQ_INT(cer_catalog_cost_tokens(c, "openai", "o3-mini", &neg, &m, NULL, 0), CE_ERANGE);
    /* a price file with a bad class price names it */
    expect_price_error("{\"p\": {\"m\": {\"input_per_1k\": 1, \"output_per_1k\": 1, "
                       "\"reasoning_output_per_1k\": -1}}}",
                       "p.m.reasoning_output_per_1k");
    expect_price_error("{\"p\": {\"m\": {\"input_per_1k\": 1, \"output_per_1k\": 1, "
                       "\"cache_read_per_1k\": 1}}}",
                       "unknown key 'cache_read_per_1k'");
    /* fill_cost reads the optional members of the usage event */
    ce_event *ev = usage_event(
        "{\"tenantId\":\"t\",\"userId\":null,\"provider\":\"anthropic\",\"model\":\"claude-3-5-"
        "sonnet-20241022\",\"useCase\":null,\"inputTokens\":10000,\"outputTokens\":500,"
        "\"totalTokens\":10500,\"cacheReadInputTokens\":8000,\"cacheCreationInputTokens\":1000,"
        "\"latencyMs\":10,\"cached\":true}");
    CHECK_EQ_INT(cer_catalog_fill_cost(c, ev, err, sizeof err), 1);
    expect_data(ev, "{\"tenantId\":\"t\",\"userId\":null,\"provider\":\"anthropic\",\"model\":"
                    "\"claude-3-5-sonnet-20241022\",\"useCase\":null,\"inputTokens\":10000,"
                    "\"outputTokens\":500,\"totalTokens\":10500,\"cacheReadInputTokens\":8000,"
                    "\"cacheCreationInputTokens\":1000,\"latencyMs\":10,\"costUsd\":0.01665,"
                    "\"cached\":true}");
    /* the event validates with the optional members (old consumers: they are optional) */
    cer_catalog_result res;
    CHECK_EQ_INT(cer_catalog_validate(c, ev, &res), CER_CATALOG_VALID);
    ce_event_destroy(ev);
    cer_catalog_destroy(c);
}
