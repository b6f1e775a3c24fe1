/* Tests of the OTLP to CloudEvents mapping (src/otlp/map*.c): golden NDJSON for logs and
 * spans from JSON and from protobuf, the GenAI usage event with the seed's numbers, content
 * filtering, source/subject/time/id rules, rejected records and partial-success counts. */
#include <math.h>

#include "otlptest.h"

static cer_otlp_request *decode_golden(cer_otlp_signal sig, const char *name)
{
    size_t len;
    char *body = golden_input(name, &len);
    if (!body)
        return NULL;
    cer_otlp_request *r = NULL;
    char err[512];
    int rc = cer_otlp_decode(sig, CER_OTLP_JSON, body, len, NULL, &r, err, sizeof err);
    if (rc)
        cer_test_fail(__FILE__, __LINE__, "decode %s: %s", name, err);
    free(body);
    return r;
}

static cer_otlp_request *decode_pb(cer_otlp_signal sig, const ProtobufCMessage *msg)
{
    size_t len;
    uint8_t *b = pack(msg, &len);
    cer_otlp_request *r = NULL;
    char err[512];
    int rc = cer_otlp_decode(sig, CER_OTLP_PROTOBUF, b, len, NULL, &r, err, sizeof err);
    if (rc)
        cer_test_fail(__FILE__, __LINE__, "decode protobuf: %s", err);
    return r;
}

/* Map r with conf (ids fixed) into c; returns cer_otlp_map's result. */
static int map(const cer_otlp_request *r, cer_otlp_map_conf *conf, collect *c,
               cer_otlp_map_stats *st)
{
    static int ids;
    ids = 0;
    cer_otlp_map_conf local = {0};
    if (!conf)
        conf = &local;
    if (!conf->id_fn && conf->id_mode == CER_OTLP_ID_UUID7) {
        conf->id_fn = fixed_id;
        conf->id_ctx = &ids;
    }
    char err[256] = "";
    int rc = cer_otlp_map(r, conf, on_event, on_reject, c, st, err, sizeof err);
    if (rc && rc != 7)
        fprintf(stderr, "cer_otlp_map: %s\n", err);
    return rc;
}

TEST(logs_example_json_golden)
{
    cer_otlp_request *r = decode_golden(CER_OTLP_LOGS, "logs_example.json");
    if (!r)
        return;
    CHECK_EQ_INT(cer_otlp_request_count(r), 3);
    collect c = {0};
    cer_otlp_map_stats st;
    CHECK_EQ_INT(map(r, NULL, &c, &st), 0);
    CHECK_EQ_INT(st.produced, 3);
    CHECK_EQ_INT(st.rejected, 0);
    CHECK_EQ_INT(c.rej.len, 0);
    check_golden("logs_example.ndjson", c.out.ptr, c.out.len);
    collect_free(&c);
    cer_otlp_request_destroy(r);
}

/* The request of logs_example.json built with the protobuf-c structs. */
static cer__otlp_logs_req *logs_example_pb(void)
{
    cer__otlp_log *a = log_rec();
    a->time_unix_nano = 1774010100123456789ull;
    a->observed_time_unix_nano = 1774010100200000000ull;
    a->severity_number = 9;
    a->severity_text = t_str("INFO");
    a->trace_id = hexbytes("4bf92f3577b34da6a3ce929d0e0e4736");
    a->span_id = hexbytes("00f067aa0ba902b7");
    a->flags = 1;
    a->body = any_str("order placed");
    cer__otlp_any *arr[] = {any_str("many"), any_int(2), any_str("")};
    arr[2]->value_case = CER__OTLP_ANY(_NOT_SET);
    cer__otlp_kv *deep[] = {kv("deep", any_double(NAN))};
    cer__otlp_kv *map_[] = {kv("some.map.key", any_str("some value")),
                            kv("nested", any_kvlist(1, deep))};
    static const uint8_t bytes[] = {0, 1, 2, 3, 4, 0xff};
    cer__otlp_kv *aa[] = {kv("user_id", any_str("usr_2xK9")),
                          kv("string.attribute", any_str("some \"quoted\" text\n")),
                          kv("boolean.attribute", any_bool(1)),
                          kv("int.attribute", any_int(9007199254740993ll)),
                          kv("double.attribute", any_double(637.704)),
                          kv("bytes.attribute", any_bytes(bytes, sizeof bytes)),
                          kv("array.attribute", any_array(3, arr)),
                          kv("map.attribute", any_kvlist(2, map_)),
                          kv("int.attribute", any_str("a duplicate key: the first one wins"))};
    a->n_attributes = 9;
    a->attributes = kvs(9, aa);

    cer__otlp_log *b = log_rec();
    b->observed_time_unix_nano = 1774010101000000000ull;
    b->event_name = t_str("checkout.payment.declined");
    b->severity_number = 13;
    cer__otlp_kv *reason[] = {kv("reason", any_str("insufficient funds"))};
    b->body = any_kvlist(1, reason);
    cer__otlp_kv *ba[] = {kv("event.name", any_str("loses.to.the.event_name.field")),
                          kv("body", any_str("dropped: the record's body wins")),
                          kv("gen_ai.input.messages",
                             any_str("[{\"role\":\"user\",\"content\":\"secret prompt\"}]"))};
    b->n_attributes = 3;
    b->attributes = kvs(3, ba);

    cer__otlp_log *c = log_rec();
    cer__otlp_kv *ca[] = {kv("event.name", any_str("browser.page_view"))};
    c->n_attributes = 1;
    c->attributes = kvs(1, ca);

    cer__otlp_kv *res[] = {kv("service.name", any_str("checkout")),
                           kv("tenant.id", any_str("acme"))};
    cer__otlp_log *recs[] = {a, b, c};
    return logs_req(resource(2, res), 3, recs);
}

TEST(logs_example_protobuf_golden)
{
    /* Same records, binary encoding: the events must be byte-identical to the JSON path. */
    cer_otlp_request *r = decode_pb(CER_OTLP_LOGS, &logs_example_pb()->base);
    if (!r) {
        t_free_all();
        return;
    }
    collect c = {0};
    cer_otlp_map_stats st;
    CHECK_EQ_INT(map(r, NULL, &c, &st), 0);
    CHECK_EQ_INT(st.produced, 3);
    check_golden("logs_example.ndjson", c.out.ptr, c.out.len);
    collect_free(&c);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(trace_example_genai_golden)
{
    cer_otlp_request *r = decode_golden(CER_OTLP_TRACES, "trace_example.json");
    if (!r)
        return;
    collect c = {0};
    cer_otlp_map_stats st;
    cer_otlp_map_conf conf = {.use_case_attr = "app.use_case"};
    CHECK_EQ_INT(map(r, &conf, &c, &st), 0);
    CHECK_EQ_INT(st.produced, 2);
    CHECK_EQ_INT(st.skipped, 1);
    CHECK_EQ_INT(st.rejected, 0);
    check_golden("trace_example_genai.ndjson", c.out.ptr, c.out.len);
    collect_free(&c);
    cer_otlp_request_destroy(r);
}

TEST(trace_example_all_golden)
{
    cer_otlp_request *r = decode_golden(CER_OTLP_TRACES, "trace_example.json");
    if (!r)
        return;
    collect c = {0};
    cer_otlp_map_stats st;
    cer_otlp_map_conf conf = {.spans = CER_OTLP_SPANS_ALL, .source = "https://llm.example/orch"};
    CHECK_EQ_INT(map(r, &conf, &c, &st), 0);
    CHECK_EQ_INT(st.produced, 3);
    CHECK_EQ_INT(st.skipped, 0);
    check_golden("trace_example_all.ndjson", c.out.ptr, c.out.len);
    collect_free(&c);

    collect n = {0};
    conf.spans = CER_OTLP_SPANS_NONE;
    CHECK_EQ_INT(map(r, &conf, &n, &st), 0);
    CHECK_EQ_INT(st.produced, 0);
    CHECK_EQ_INT(st.skipped, 3);
    CHECK_EQ_INT(n.out.len, 0);
    collect_free(&n);
    cer_otlp_request_destroy(r);
}

/* The seed's eventzr.llm.usage.v1 event from a GenAI span built in protobuf. */
static cer__otlp_span *seed_span(void)
{
    cer__otlp_span *s = span_new();
    s->trace_id = hexbytes("4bf92f3577b34da6a3ce929d0e0e4736");
    s->span_id = hexbytes("00f067aa0ba902b7");
    s->flags = 0x301; /* sampled, plus the is-remote bits that traceparent must not carry */
    s->name = t_str("chat");
    s->kind = 3;
    s->start_time_unix_nano = 1772193598750000000ull; /* 2026-02-27T11:59:58.75Z */
    s->end_time_unix_nano = 1772193600000000000ull;   /* 2026-02-27T12:00:00Z: 1250 ms */
    cer__otlp_kv *a[] = {
        kv("tenant_id", any_str("tenant-uuid")),
        kv("user_id", any_str("user-uuid")),
        kv("gen_ai.provider.name", any_str("aws-bedrock")),
        kv("gen_ai.request.model", any_str("anthropic.claude-3-sonnet-20240229-v1:0")),
        kv("gen_ai.operation.name", any_str("event-creation")),
        kv("gen_ai.usage.input_tokens", any_int(150)),
        kv("gen_ai.usage.output_tokens", any_int(350)),
        kv("llm.cost_usd", any_double(0.0025))};
    s->n_attributes = 8;
    s->attributes = kvs(8, a);
    return s;
}

TEST(genai_seed_usage_event)
{
    cer__otlp_span *sp[] = {seed_span()};
    cer__otlp_kv *res[] = {kv("service.name", any_str("llm-orch-svc"))};
    cer_otlp_request *r = decode_pb(CER_OTLP_TRACES, &trace_req(resource(1, res), 1, sp)->base);
    if (!r) {
        t_free_all();
        return;
    }
    collect c = {0};
    CHECK_EQ_INT(map(r, NULL, &c, NULL), 0);
    CHECK_EQ_STR(
        buf_str(&c.out),
        "{\"specversion\":\"1.0\",\"id\":\"id-1\",\"source\":\"llm-orch-svc\","
        "\"type\":\"eventzr.llm.usage.v1\",\"datacontenttype\":\"application/json\","
        "\"subject\":\"tenant-uuid\",\"time\":\"2026-02-27T12:00:00.000000000Z\","
        "\"servicename\":\"llm-orch-svc\","
        "\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\","
        "\"data\":{\"tenantId\":\"tenant-uuid\",\"userId\":\"user-uuid\","
        "\"provider\":\"aws-bedrock\",\"model\":\"anthropic.claude-3-sonnet-20240229-v1:0\","
        "\"useCase\":\"event-creation\",\"inputTokens\":150,\"outputTokens\":350,"
        "\"totalTokens\":500,\"latencyMs\":1250,\"cached\":false}}\n");
    collect_free(&c);

    /* With a cost attribute configured, costUsd appears before cached. */
    collect k = {0};
    cer_otlp_map_conf conf = {.cost_attr = "llm.cost_usd"};
    CHECK_EQ_INT(map(r, &conf, &k, NULL), 0);
    CHECK_CONTAINS(buf_str(&k.out), "\"latencyMs\":1250,\"costUsd\":0.0025,\"cached\":false}");
    collect_free(&k);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(genai_unknown_values_are_null)
{
    /* A span with only a model: no tenant (no subject), tokens and latency unknown. */
    cer__otlp_span *s = span_new();
    s->start_time_unix_nano = 1772193600000000000ull;
    cer__otlp_kv *a[] = {kv("gen_ai.request.model", any_str("gpt-4o")),
                         kv("gen_ai.cached", any_str("true"))};
    s->n_attributes = 2;
    s->attributes = kvs(2, a);
    cer__otlp_span *sp[] = {s};
    cer_otlp_request *r = decode_pb(CER_OTLP_TRACES, &trace_req(NULL, 1, sp)->base);
    if (!r) {
        t_free_all();
        return;
    }
    collect c = {0};
    CHECK_EQ_INT(map(r, NULL, &c, NULL), 0);
    CHECK_EQ_STR(buf_str(&c.out),
                 "{\"specversion\":\"1.0\",\"id\":\"id-1\",\"source\":\"unknown_service\","
                 "\"type\":\"eventzr.llm.usage.v1\",\"datacontenttype\":\"application/json\","
                 "\"time\":\"2026-02-27T12:00:00.000000000Z\",\"data\":{\"tenantId\":null,"
                 "\"userId\":null,\"provider\":null,\"model\":\"gpt-4o\",\"useCase\":null,"
                 "\"inputTokens\":null,\"outputTokens\":null,\"totalTokens\":null,"
                 "\"latencyMs\":null,\"cached\":true}}\n");
    collect_free(&c);
    cer_otlp_request_destroy(r);
    t_free_all();
}

/* Current and older GenAI attribute names give the same usage event; the token classes are
 * written after totalTokens only when reported. */
TEST(genai_conventions_old_and_new_names)
{
    static const char *const names[2][4] = {
        {"gen_ai.provider.name", "gen_ai.usage.cache_read.input_tokens",
         "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.reasoning.output_tokens"},
        {"gen_ai.system", "gen_ai.usage.cache_read_input_tokens",
         "gen_ai.usage.cache_creation_input_tokens", "gen_ai.usage.reasoning_tokens"}};
    for (int old = 0; old < 2; old++) {
        cer__otlp_span *s = span_new();
        s->start_time_unix_nano = 1772193600000000000ull;
        s->end_time_unix_nano = 1772193601000000000ull;
        cer__otlp_kv *a[] = {kv(names[old][0], any_str("anthropic")),
                             kv("gen_ai.request.model", any_str("claude-3-5-sonnet-20241022")),
                             kv("gen_ai.usage.input_tokens", any_int(10000)),
                             kv("gen_ai.usage.output_tokens", any_int(500)),
                             kv(names[old][1], any_int(8000)),
                             kv(names[old][2], any_str("1000")),
                             kv(names[old][3], any_int(120))};
        s->n_attributes = 7;
        s->attributes = kvs(7, a);
        cer__otlp_span *sp[] = {s};
        cer_otlp_request *r = decode_pb(CER_OTLP_TRACES, &trace_req(NULL, 1, sp)->base);
        if (!r) {
            t_free_all();
            return;
        }
        collect c = {0};
        CHECK_EQ_INT(map(r, NULL, &c, NULL), 0);
        CHECK_CONTAINS(buf_str(&c.out),
                       "\"data\":{\"tenantId\":null,\"userId\":null,\"provider\":\"anthropic\","
                       "\"model\":\"claude-3-5-sonnet-20241022\",\"useCase\":null,"
                       "\"inputTokens\":10000,\"outputTokens\":500,\"totalTokens\":10500,"
                       "\"cacheReadInputTokens\":8000,\"cacheCreationInputTokens\":1000,"
                       "\"reasoningOutputTokens\":120,\"latencyMs\":1000,\"cached\":false}}");
        collect_free(&c);
        cer_otlp_request_destroy(r);
        t_free_all();
    }
    /* the new name wins when both are present */
    cer__otlp_span *s = span_new();
    cer__otlp_kv *a[] = {kv("gen_ai.system", any_str("openai")),
                         kv("gen_ai.provider.name", any_str("azure.ai.openai")),
                         kv("gen_ai.usage.cache_read_input_tokens", any_int(1)),
                         kv("gen_ai.usage.cache_read.input_tokens", any_int(2)),
                         kv("gen_ai.usage.input_tokens", any_int(5))};
    s->n_attributes = 5;
    s->attributes = kvs(5, a);
    cer__otlp_span *sp[] = {s};
    cer_otlp_request *r = decode_pb(CER_OTLP_TRACES, &trace_req(NULL, 1, sp)->base);
    if (r) {
        collect c = {0};
        CHECK_EQ_INT(map(r, NULL, &c, NULL), 0);
        CHECK_CONTAINS(buf_str(&c.out), "\"provider\":\"azure.ai.openai\"");
        CHECK_CONTAINS(buf_str(&c.out), "\"cacheReadInputTokens\":2,");
        CHECK(!strstr(buf_str(&c.out), "reasoningOutputTokens"));
        collect_free(&c);
        cer_otlp_request_destroy(r);
    }
    t_free_all();
}

TEST(genai_detection)
{
    /* Provider alone (an agent span) is not usage; a token count alone is. */
    cer__otlp_span *agent = span_new();
    cer__otlp_kv *a[] = {kv("gen_ai.provider.name", any_str("openai")),
                         kv("gen_ai.operation.name", any_str("invoke_agent"))};
    agent->n_attributes = 2;
    agent->attributes = kvs(2, a);
    cer__otlp_span *tokens = span_new();
    cer__otlp_kv *b[] = {kv("gen_ai.usage.output_tokens", any_int(3))};
    tokens->n_attributes = 1;
    tokens->attributes = kvs(1, b);
    CHECK(!cer__otlp_is_genai_span(agent));
    CHECK(cer__otlp_is_genai_span(tokens));
    t_free_all();
}

/* One log record with the given attributes under a resource with service.name `svc`. */
static cer_otlp_request *one_log(const char *svc, cer__otlp_log *rec)
{
    cer__otlp_kv *res[] = {kv("service.name", any_str(svc ? svc : ""))};
    cer__otlp_log *recs[] = {rec};
    return decode_pb(CER_OTLP_LOGS, &logs_req(svc ? resource(1, res) : NULL, 1, recs)->base);
}

static const char *attr_of(const collect *c, const char *name)
{
    /* The value of "name":"..." in the first event line (test-sized parsing). */
    static char out[256];
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", name);
    const char *s = buf_str(&c->out), *p = strstr(s, pat);
    if (!p)
        return "(unset)";
    p += strlen(pat);
    size_t n = strcspn(p, "\"");
    snprintf(out, sizeof out, "%.*s", (int)n, p);
    return out;
}

/* The service's namespace and instance join its name in the source; the resource's service,
 * deployment environment and host become extensions of every event made from it, also when
 * the configuration pins the source. */
TEST(source_from_service_and_resource_extensions)
{
    for (int pinned = 0; pinned < 2; pinned++) {
        cer__otlp_kv *res[] = {kv("service.name", any_str("checkout")),
                               kv("service.namespace", any_str("shop")),
                               kv("service.instance.id", any_str("pod 7")),
                               kv("service.version", any_str("1.4.2")),
                               kv("deployment.environment", any_str("old-name")),
                               kv("deployment.environment.name", any_str("prod")),
                               kv("host.name", any_str("node-1"))};
        cer__otlp_log *recs[] = {log_rec(), log_rec()};
        cer_otlp_request *r = decode_pb(CER_OTLP_LOGS, &logs_req(resource(7, res), 2, recs)->base);
        if (!r)
            continue;
        collect c = {0};
        cer_otlp_map_conf conf = {.source = pinned ? "https://orders.acme.com" : NULL};
        CHECK_EQ_INT(map(r, &conf, &c, NULL), 0);
        CHECK_EQ_STR(attr_of(&c, "source"),
                     pinned ? "https://orders.acme.com" : "shop/checkout/pod%207");
        CHECK_EQ_STR(attr_of(&c, "servicename"), "checkout");
        CHECK_EQ_STR(attr_of(&c, "servicenamespace"), "shop");
        CHECK_EQ_STR(attr_of(&c, "serviceinstanceid"), "pod 7");
        CHECK_EQ_STR(attr_of(&c, "serviceversion"), "1.4.2");
        CHECK_EQ_STR(attr_of(&c, "deploymentenv"), "prod"); /* the current name wins */
        CHECK_EQ_STR(attr_of(&c, "hostname"), "node-1");
        /* every event of the resource carries them */
        const char *second = strchr(buf_str(&c.out), '\n');
        CHECK(second && strstr(second, "\"hostname\":\"node-1\""));
        collect_free(&c);
        cer_otlp_request_destroy(r);
    }
    /* the old deployment.environment when the new one is absent; none without a resource */
    cer__otlp_kv *res[] = {kv("deployment.environment", any_str("staging"))};
    cer__otlp_log *recs[] = {log_rec()};
    cer_otlp_request *r = decode_pb(CER_OTLP_LOGS, &logs_req(resource(1, res), 1, recs)->base);
    if (r) {
        collect c = {0};
        CHECK_EQ_INT(map(r, NULL, &c, NULL), 0);
        CHECK_EQ_STR(attr_of(&c, "deploymentenv"), "staging");
        CHECK_EQ_STR(attr_of(&c, "servicename"), "(unset)");
        CHECK_EQ_STR(attr_of(&c, "source"), "unknown_service");
        collect_free(&c);
        cer_otlp_request_destroy(r);
    }
}

TEST(source_rules)
{
    static const struct {
        const char *svc, *conf, *want;
    } cases[] = {
        {"llm-orch-svc", NULL, "llm-orch-svc"},
        {"https://orders.acme.com", NULL, "https://orders.acme.com"},
        {"unknown_service:python", NULL, "unknown_service%3Apython"},
        {"my service/ü", NULL, "my%20service%2F%C3%BC"},
        {NULL, NULL, "unknown_service"},
        {"", NULL, "unknown_service"},
        {"anything", "https://orders.acme.com", "https://orders.acme.com"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cer_otlp_request *r = one_log(cases[i].svc, log_rec());
        if (!r)
            continue;
        collect c = {0};
        cer_otlp_map_conf conf = {.source = cases[i].conf};
        CHECK_EQ_INT(map(r, &conf, &c, NULL), 0);
        CHECK_EQ_STR(attr_of(&c, "source"), cases[i].want);
        collect_free(&c);
        cer_otlp_request_destroy(r);
    }
    /* A configured source must itself be a URI-reference. */
    cer_otlp_request *r = one_log("x", log_rec());
    collect c = {0};
    cer_otlp_map_conf bad = {.source = "not a uri"};
    char err[256];
    CHECK_EQ_INT(cer_otlp_map(r, &bad, on_event, NULL, &c, NULL, err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "conf.source");
    cer_otlp_map_conf empty = {.log_type = ""};
    CHECK_EQ_INT(cer_otlp_map(r, &empty, on_event, NULL, &c, NULL, err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "conf.log_type");
    collect_free(&c);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(subject_rules)
{
    static const char *const tenant_keys[] = {"org", NULL};
    static const struct {
        const char *k1, *v1, *k2, *v2;
        int custom;
        const char *want;
    } cases[] = {
        {"tenant_id", "acme", "user_id", "u1", 0, "tenant/acme/user/u1"},
        {"tenant.id", "acme", "user.id", "u1", 0, "tenant/acme/user/u1"},
        {"tenant_id", "acme", "other", "x", 0, "tenant/acme"},
        {"user_id", "u1", "other", "x", 0, "(unset)"},
        {"tenant_id", "a/b%c", "user_id", "u/1", 0, "tenant/a%2Fb%25c/user/u%2F1"},
        {"org", "acme", "tenant_id", "ignored", 1, "tenant/acme"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cer__otlp_log *rec = log_rec();
        cer__otlp_kv *a[] = {kv(cases[i].k1, any_str(cases[i].v1)),
                             kv(cases[i].k2, any_str(cases[i].v2))};
        rec->n_attributes = 2;
        rec->attributes = kvs(2, a);
        cer_otlp_request *r = one_log("svc", rec);
        if (!r)
            continue;
        collect c = {0};
        cer_otlp_map_conf conf = {.tenant_attrs = cases[i].custom ? tenant_keys : NULL};
        CHECK_EQ_INT(map(r, &conf, &c, NULL), 0);
        CHECK_EQ_STR(attr_of(&c, "subject"), cases[i].want);
        collect_free(&c);
        cer_otlp_request_destroy(r);
    }
    /* Integer tenant ids are written in decimal; the resource is searched after the record. */
    cer__otlp_log *rec = log_rec();
    cer__otlp_kv *a[] = {kv("user_id", any_int(42))};
    rec->n_attributes = 1;
    rec->attributes = kvs(1, a);
    cer__otlp_kv *res[] = {kv("tenant.id", any_int(7))};
    cer__otlp_log *recs[] = {rec};
    cer_otlp_request *r = decode_pb(CER_OTLP_LOGS, &logs_req(resource(1, res), 1, recs)->base);
    collect c = {0};
    CHECK_EQ_INT(map(r, NULL, &c, NULL), 0);
    CHECK_EQ_STR(attr_of(&c, "subject"), "tenant/7/user/42");
    collect_free(&c);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(type_rules)
{
    /* event_name > event.name > conf.type_attr > conf.log_type > the default. */
    cer__otlp_log *rec = log_rec();
    cer__otlp_kv *a[] = {kv("my.kind", any_str("from.type.attr")), kv("event.name", any_int(5))};
    rec->n_attributes = 2;
    rec->attributes = kvs(2, a);
    cer_otlp_request *r = one_log("svc", rec);
    collect c1 = {0}, c2 = {0}, c3 = {0};
    CHECK_EQ_INT(map(r, NULL, &c1, NULL), 0);
    CHECK_EQ_STR(attr_of(&c1, "type"), "io.opentelemetry.log");
    cer_otlp_map_conf conf = {.type_attr = "my.kind"};
    CHECK_EQ_INT(map(r, &conf, &c2, NULL), 0);
    CHECK_EQ_STR(attr_of(&c2, "type"), "from.type.attr");
    cer_otlp_map_conf conf2 = {.log_type = "com.example.log"};
    CHECK_EQ_INT(map(r, &conf2, &c3, NULL), 0);
    CHECK_EQ_STR(attr_of(&c3, "type"), "com.example.log");
    collect_free(&c1);
    collect_free(&c2);
    collect_free(&c3);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(content_is_dropped_unless_allowed)
{
    cer__otlp_log *rec = log_rec();
    rec->event_name = t_str("gen_ai.user.message");
    rec->body = any_str("what is my account password?");
    cer__otlp_kv *a[] = {kv("gen_ai.input.messages", any_str("in")),
                         kv("gen_ai.output.messages", any_str("out")),
                         kv("gen_ai.system_instructions", any_str("sys")),
                         kv("gen_ai.prompt.0.content", any_str("old prompt")),
                         kv("gen_ai.completion", any_str("old completion")),
                         kv("gen_ai.tool.call.arguments", any_str("args")),
                         kv("gen_ai.tool.call.result", any_str("result")),
                         kv("gen_ai.retrieval.query.text", any_str("q")),
                         kv("gen_ai.retrieval.documents", any_str("docs")),
                         kv("gen_ai.request.model", any_str("kept"))};
    rec->n_attributes = 10;
    rec->attributes = kvs(10, a);
    cer_otlp_request *r = one_log("svc", rec);
    collect c = {0};
    CHECK_EQ_INT(map(r, NULL, &c, NULL), 0);
    CHECK_CONTAINS(buf_str(&c.out), "\"data\":{\"gen_ai.request.model\":\"kept\",\"resource\":"
                                    "{\"service.name\":\"svc\"}}}");
    collect a2 = {0};
    cer_otlp_map_conf allow = {.allow_content = 1};
    CHECK_EQ_INT(map(r, &allow, &a2, NULL), 0);
    const char *s = buf_str(&a2.out);
    CHECK_CONTAINS(s, "\"gen_ai.input.messages\":\"in\"");
    CHECK_CONTAINS(s, "\"gen_ai.prompt.0.content\":\"old prompt\"");
    CHECK_CONTAINS(s, "\"gen_ai.retrieval.documents\":\"docs\"");
    CHECK_CONTAINS(s, "\"body\":\"what is my account password?\"");
    collect_free(&c);
    collect_free(&a2);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(time_falls_back_to_observed)
{
    cer__otlp_log *rec = log_rec();
    rec->observed_time_unix_nano = 1ull; /* 1 ns after the epoch */
    cer_otlp_request *r = one_log("svc", rec);
    collect c = {0};
    CHECK_EQ_INT(map(r, NULL, &c, NULL), 0);
    CHECK_EQ_STR(attr_of(&c, "time"), "1970-01-01T00:00:00.000000001Z");
    collect_free(&c);
    cer_otlp_request_destroy(r);
    /* Neither set: no time attribute at all. */
    r = one_log("svc", log_rec());
    collect n = {0};
    CHECK_EQ_INT(map(r, NULL, &n, NULL), 0);
    CHECK_EQ_STR(attr_of(&n, "time"), "(unset)");
    collect_free(&n);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(rejected_records_and_partial_success)
{
    cer__otlp_log *ok = log_rec();
    ok->body = any_str("fine");
    cer__otlp_log *short_trace = log_rec();
    short_trace->trace_id = hexbytes("4bf92f3577b34da6a3ce929d0e0e47"); /* 15 bytes */
    short_trace->span_id = hexbytes("00f067aa0ba902b7");
    cer__otlp_log *long_span = log_rec();
    long_span->span_id = hexbytes("00f067aa0ba902b700");
    cer__otlp_log *far_time = log_rec();
    far_time->time_unix_nano = (uint64_t)INT64_MAX + 1;
    cer__otlp_log *bad_utf8 = log_rec();
    cer__otlp_kv *a[] = {kv("name", any_str("caf\xc3"))};
    bad_utf8->n_attributes = 1;
    bad_utf8->attributes = kvs(1, a);
    cer__otlp_log *huge = log_rec();
    char big[2048];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    huge->body = any_str(big);
    cer__otlp_log *bad_type = log_rec();
    bad_type->event_name = t_str("bad\x01type");
    cer__otlp_log *recs[] = {ok, short_trace, long_span, far_time, bad_utf8, huge, bad_type, ok};
    cer_otlp_request *r =
        decode_pb(CER_OTLP_LOGS, &logs_req(NULL, sizeof recs / sizeof recs[0], recs)->base);
    collect c = {0};
    cer_otlp_map_stats st;
    cer_otlp_map_conf conf = {.max_event_bytes = 1024};
    CHECK_EQ_INT(map(r, &conf, &c, &st), 0);
    CHECK_EQ_INT(st.produced, 2);
    CHECK_EQ_INT(st.rejected, 6);
    CHECK_EQ_INT(c.events, 2);
    const char *rej = buf_str(&c.rej);
    CHECK_CONTAINS(rej, "resourceLogs[0].scopeLogs[0].logRecords[1]: CE_EBADVALUE traceId: 15 "
                        "bytes, expected 16\n");
    CHECK_CONTAINS(rej, "logRecords[2]: CE_EBADVALUE spanId: 9 bytes, expected 8\n");
    CHECK_CONTAINS(rej, "logRecords[3]: CE_ERANGE timeUnixNano: 9223372036854775808 is beyond "
                        "the year 2262\n");
    CHECK_CONTAINS(rej, "logRecords[4]: CE_EDATA data: not a JSON value: byte 12: invalid UTF-8");
    CHECK_CONTAINS(rej, "logRecords[5]: CE_ETOOBIG data: larger than 1024 bytes\n");
    CHECK_CONTAINS(rej, "logRecords[6]: CE_EBADVALUE");
    CHECK_EQ_STR(st.first_error, "resourceLogs[0].scopeLogs[0].logRecords[1]: traceId: 15 bytes, "
                                 "expected 16");

    /* The counts go into the export response. */
    ce_buf resp;
    ce_buf_init(&resp);
    CHECK_EQ_INT(cer_otlp_response(CER_OTLP_LOGS, CER_OTLP_JSON, st.rejected, st.first_error, &resp,
                                   NULL, 0),
                 0);
    CHECK_EQ_STR(buf_str(&resp),
                 "{\"partialSuccess\":{\"rejectedLogRecords\":\"6\",\"errorMessage\":"
                 "\"resourceLogs[0].scopeLogs[0].logRecords[1]: traceId: 15 bytes, expected "
                 "16\"}}");
    ce_buf_free(&resp);
    collect_free(&c);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(callback_stops_mapping)
{
    cer__otlp_log *recs[] = {log_rec(), log_rec(), log_rec()};
    cer_otlp_request *r = decode_pb(CER_OTLP_LOGS, &logs_req(NULL, 3, recs)->base);
    collect c = {.stop_after = 2};
    cer_otlp_map_stats st;
    CHECK_EQ_INT(map(r, NULL, &c, &st), 7);
    CHECK_EQ_INT(st.produced, 2);
    CHECK_EQ_INT(c.events, 2);
    collect_free(&c);
    cer_otlp_request_destroy(r);
    t_free_all();
}

static int uuid_version(const char *id)
{
    return (int)strlen(id) == 36 && id[8] == '-' && id[13] == '-' ? id[14] : 0;
}

TEST(id_modes)
{
    cer__otlp_log *a = log_rec();
    a->time_unix_nano = 1772193600000000000ull;
    a->body = any_str("same");
    cer__otlp_log *b = log_rec();
    b->time_unix_nano = 1772193600000000000ull;
    b->body = any_str("same");
    cer__otlp_log *d = log_rec();
    d->time_unix_nano = 1772193600000000000ull;
    d->body = any_str("different");
    cer__otlp_log *recs[] = {a, b, d};
    cer_otlp_request *r = decode_pb(CER_OTLP_LOGS, &logs_req(NULL, 3, recs)->base);

    collect c = {0};
    cer_otlp_map_conf det = {.id_mode = CER_OTLP_ID_DETERMINISTIC};
    CHECK_EQ_INT(map(r, &det, &c, NULL), 0);
    char ids[3][64];
    const char *p = buf_str(&c.out);
    for (int i = 0; i < 3; i++) {
        const char *q = strstr(p, "\"id\":\"");
        CHECK(q != NULL);
        if (!q)
            break;
        snprintf(ids[i], 64, "%.36s", q + 6);
        p = q + 6;
        CHECK_EQ_INT(uuid_version(ids[i]), '8');
    }
    CHECK_EQ_STR(ids[0], ids[1]);
    CHECK(strcmp(ids[0], ids[2]) != 0);
    /* Stable across runs and builds. The value was computed independently (Python hashlib)
     * from the hash input documented in docs/otlp.md, "Event ids". */
    CHECK_EQ_STR(ids[0], "eb4a4d0e-4082-800b-a720-9435f41a3a8a");
    collect_free(&c);

    collect u = {0};
    cer_otlp_map_conf rnd = {0};
    char err[128];
    CHECK_EQ_INT(cer_otlp_map(r, &rnd, on_event, NULL, &u, NULL, err, sizeof err), 0);
    p = buf_str(&u.out);
    for (int i = 0; i < 3; i++) {
        const char *q = strstr(p, "\"id\":\"");
        CHECK(q != NULL);
        if (!q)
            break;
        snprintf(ids[i], 64, "%.36s", q + 6);
        p = q + 6;
        CHECK_EQ_INT(uuid_version(ids[i]), '7');
    }
    CHECK(strcmp(ids[0], ids[1]) != 0);
    collect_free(&u);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(sha256_vectors)
{
    static const struct {
        const char *in, *hex;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t h[32];
        cer__otlp_sha256(v[i].in, strlen(v[i].in), h);
        char hex[65];
        for (int j = 0; j < 32; j++)
            snprintf(hex + 2 * j, 3, "%02x", h[j]);
        CHECK_EQ_STR(hex, v[i].hex);
    }
    /* One million 'a' fed in uneven pieces. */
    cer__otlp_sha256_ctx c;
    cer__otlp_sha256_init(&c);
    char a[997];
    memset(a, 'a', sizeof a);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof a ? left : sizeof a;
        cer__otlp_sha256_update(&c, a, n);
        left -= n;
    }
    uint8_t h[32];
    cer__otlp_sha256_final(&c, h);
    char hex[65];
    for (int j = 0; j < 32; j++)
        snprintf(hex + 2 * j, 3, "%02x", h[j]);
    CHECK_EQ_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(span_all_mode_fields)
{
    cer__otlp_span *s = span_new();
    s->trace_id = hexbytes("5b8efff798038103d269b633813fc60c");
    s->span_id = hexbytes("eee19b7ec3c1b174");
    s->parent_span_id = hexbytes("eee19b7ec3c1b17");
    cer__otlp_span *sp[] = {s};
    cer_otlp_request *r = decode_pb(CER_OTLP_TRACES, &trace_req(NULL, 1, sp)->base);
    collect c = {0};
    cer_otlp_map_stats st;
    cer_otlp_map_conf conf = {.spans = CER_OTLP_SPANS_ALL};
    CHECK_EQ_INT(map(r, &conf, &c, &st), 0);
    CHECK_EQ_INT(st.rejected, 1);
    CHECK_CONTAINS(buf_str(&c.rej), "resourceSpans[0].scopeSpans[0].spans[0]: CE_EBADVALUE "
                                    "parentSpanId: 7 bytes, expected 8");
    collect_free(&c);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(map_arguments)
{
    cer__otlp_log *recs[] = {log_rec()};
    cer_otlp_request *r = decode_pb(CER_OTLP_LOGS, &logs_req(NULL, 1, recs)->base);
    char err[128];
    cer_otlp_map_stats st;
    CHECK_EQ_INT(cer_otlp_map(NULL, NULL, on_event, NULL, NULL, &st, err, sizeof err), CE_EINVAL);
    CHECK_EQ_INT(cer_otlp_map(r, NULL, NULL, NULL, NULL, &st, err, sizeof err), CE_EINVAL);
    cer_otlp_map_conf bad = {.spans = (cer_otlp_spans_mode)9};
    CHECK_EQ_INT(cer_otlp_map(r, &bad, on_event, NULL, NULL, &st, err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "conf.spans");
    cer_otlp_request_destroy(r);
    t_free_all();
}
