/* Tests of OTLP/JSON decoding (src/otlp/decode_json.c): the golden example shapes, the OTLP
 * JSON rules (camelCase keys, unknown keys ignored, hex ids, integer enums, 64-bit integers as
 * strings or numbers) and type errors that name the field path. */
#include <math.h>

#include "otlptest.h"

static int decode_s(cer_otlp_signal sig, const char *json, const cer_otlp_limits *lim,
                    cer_otlp_request **r, char *err, size_t errsz)
{
    return cer_otlp_decode(sig, CER_OTLP_JSON, json, strlen(json), lim, r, err, errsz);
}

TEST(logs_example_fields)
{
    size_t len;
    char *body = golden_input("logs_example.json", &len);
    if (!body)
        return;
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(
        cer_otlp_decode(CER_OTLP_LOGS, CER_OTLP_JSON, body, len, NULL, &r, err, sizeof err), 0);
    free(body);
    if (!r)
        return;
    CHECK_EQ_INT(cer_otlp_request_count(r), 3);
    const cer__otlp_res_logs *rl = r->logs->resource_logs[0];
    CHECK_EQ_STR(rl->scope_logs[0]->scope->name, "checkout.audit");
    const cer__otlp_log *l = rl->scope_logs[0]->log_records[0];
    CHECK_EQ_INT(l->time_unix_nano, 1774010100123456789ull);
    CHECK_EQ_INT(l->severity_number, 9);
    CHECK_EQ_INT(l->flags, 1);
    CHECK_EQ_INT(l->trace_id.len, 16);
    CHECK_EQ_INT(l->trace_id.data[0], 0x4b);
    CHECK_EQ_INT(l->trace_id.data[15], 0x36);
    CHECK_EQ_INT(l->span_id.len, 8);
    CHECK_EQ_INT(l->n_attributes, 9);
    CHECK_EQ_STR(l->attributes[1]->value->string_value, "some \"quoted\" text\n");
    CHECK_EQ_INT(l->attributes[3]->value->int_value, 9007199254740993ll);
    CHECK(l->attributes[4]->value->double_value == 637.704);
    CHECK_EQ_INT(l->attributes[5]->value->bytes_value.len, 6);
    CHECK_EQ_INT(l->attributes[5]->value->bytes_value.data[5], 0xff);
    const cer__otlp_array *arr = l->attributes[6]->value->array_value;
    CHECK_EQ_INT(arr->n_values, 3);
    CHECK_EQ_INT(arr->values[1]->int_value, 2);
    CHECK_EQ_INT(arr->values[2]->value_case, CER__OTLP_ANY(_NOT_SET));
    const cer__otlp_any *deep =
        l->attributes[7]->value->kvlist_value->values[1]->value->kvlist_value->values[0]->value;
    CHECK(isnan(deep->double_value));
    const cer__otlp_log *l2 = rl->scope_logs[0]->log_records[1];
    CHECK_EQ_INT(l2->observed_time_unix_nano, 1774010101000000000ull);
    CHECK_EQ_STR(l2->event_name, "checkout.payment.declined");
    cer_otlp_request_destroy(r);
}

TEST(trace_example_fields)
{
    size_t len;
    char *body = golden_input("trace_example.json", &len);
    if (!body)
        return;
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(
        cer_otlp_decode(CER_OTLP_TRACES, CER_OTLP_JSON, body, len, NULL, &r, err, sizeof err), 0);
    free(body);
    if (!r)
        return;
    const cer__otlp_scope_spans *ss = r->traces->resource_spans[0]->scope_spans[0];
    CHECK_EQ_INT(ss->n_spans, 3);
    /* Numbers and strings for 64-bit fields; upper- and lowercase hex. */
    CHECK_EQ_INT(ss->spans[0]->start_time_unix_nano, 1772193600000000000ull);
    CHECK_EQ_INT(ss->spans[1]->start_time_unix_nano, 1772193598750000000ull);
    CHECK(memcmp(ss->spans[0]->trace_id.data, ss->spans[1]->trace_id.data, 16) == 0);
    CHECK_EQ_INT(ss->spans[0]->parent_span_id.data[7], 0x73);
    CHECK_EQ_INT(ss->spans[0]->kind, 2);
    CHECK_EQ_INT(ss->spans[0]->status->code, 1);
    CHECK_EQ_INT(ss->spans[1]->flags, 257);
    CHECK_EQ_INT(ss->spans[1]->attributes[6]->value->int_value, 350);
    cer_otlp_request_destroy(r);
}

TEST(kvlist_as_bare_array_is_a_type_error)
{
    /* Some published examples write "kvlistValue": [ ... ]; a KeyValueList is an object with
     * "values", so a strict decoder refuses it. */
    size_t len;
    char *body = golden_input("events_kvlist_array.json", &len);
    if (!body)
        return;
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(
        cer_otlp_decode(CER_OTLP_LOGS, CER_OTLP_JSON, body, len, NULL, &r, err, sizeof err),
        CE_ETYPE);
    CHECK_CONTAINS(err, "resourceLogs[0].scopeLogs[0].logRecords[0].body.kvlistValue: expected "
                        "an object, at byte ");
    free(body);
}

/* A logs request whose record 3 of scope 1 holds `rec` (the brief's example path). */
static char *doc_with_record(const char *rec)
{
    static char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{}]},"
             "{\"logRecords\":[{},{},{},%s]}]}]}",
             rec);
    return buf;
}

TEST(type_errors_name_the_path)
{
    static const struct {
        const char *rec;
        int err;
        const char *msg;
    } cases[] = {
        {"{\"timeUnixNano\":true}", CE_ETYPE, "timeUnixNano: expected an integer string"},
        {"{\"timeUnixNano\":\"12.5\"}", CE_ETYPE, "timeUnixNano: expected an integer string"},
        {"{\"timeUnixNano\":1.5e3}", CE_ETYPE, "timeUnixNano: expected an integer string"},
        {"{\"timeUnixNano\":\"-1\"}", CE_ERANGE,
         "timeUnixNano: negative value for an unsigned field"},
        {"{\"timeUnixNano\":\"99999999999999999999\"}", CE_ERANGE,
         "timeUnixNano: integer out of range"},
        {"{\"timeUnixNano\":\" 5\"}", CE_ETYPE, "timeUnixNano: expected an integer string"},
        {"{\"severityNumber\":\"SEVERITY_NUMBER_INFO\"}", CE_ETYPE,
         "severityNumber: expected an integer enum value"},
        {"{\"severityNumber\":2147483648}", CE_ERANGE, "severityNumber: integer out of range"},
        {"{\"droppedAttributesCount\":-1}", CE_ERANGE,
         "droppedAttributesCount: integer out of "
         "range"},
        {"{\"severityText\":7}", CE_ETYPE, "severityText: expected a string"},
        {"{\"traceId\":12}", CE_ETYPE, "traceId: expected a hex string"},
        {"{\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e473g\"}", CE_EBADVALUE,
         "traceId: expected a hex string"},
        {"{\"spanId\":\"abc\"}", CE_EBADVALUE, "spanId: odd number of hex digits"},
        {"{\"body\":\"text\"}", CE_ETYPE, "body: expected an object"},
        {"{\"body\":{\"stringValue\":5}}", CE_ETYPE, "body.stringValue: expected a string"},
        {"{\"body\":{\"boolValue\":\"true\"}}", CE_ETYPE, "body.boolValue: expected true or false"},
        {"{\"body\":{\"doubleValue\":\"1.5\"}}", CE_ETYPE, "body.doubleValue: expected a number"},
        {"{\"body\":{\"bytesValue\":\"!!\"}}", CE_EBADVALUE,
         "body.bytesValue: expected a base64 string"},
        {"{\"body\":{\"arrayValue\":{\"values\":[{\"intValue\":\"1\"},{\"intValue\":{}}]}}}",
         CE_ETYPE, "body.arrayValue.values[1].intValue: expected an integer string"},
        {"{\"attributes\":{}}", CE_ETYPE, "attributes: expected an array"},
        {"{\"attributes\":[{\"key\":\"a\",\"value\":[]}]}", CE_ETYPE,
         "attributes[0].value: expected an object"},
        {"{\"attributes\":[{\"key\":1}]}", CE_ETYPE, "attributes[0].key: expected a string"},
        {"{\"flags\":{}}", CE_ETYPE, "flags: expected an integer"},
        {"{\"severityText\":\"a\",\"severityText\":\"b\"}", CE_EDUPLICATE,
         "severityText: field given twice"},
        {"{\"body\":{\"stringValue\":\"a\",\"intValue\":\"1\"}}", CE_EDUPLICATE,
         "body.intValue: another member of the same oneof is already set"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cer_otlp_request *r = NULL;
        char err[512] = "";
        int rc = decode_s(CER_OTLP_LOGS, doc_with_record(cases[i].rec), NULL, &r, err, sizeof err);
        char want[256];
        snprintf(want, sizeof want, "resourceLogs[0].scopeLogs[1].logRecords[3].%s, at byte ",
                 cases[i].msg);
        if (rc != cases[i].err)
            cer_test_fail(__FILE__, __LINE__, "case %zu (%s): rc %s, expected %s (%s)", i,
                          cases[i].rec, ce_err_name(rc), ce_err_name(cases[i].err), err);
        CHECK_CONTAINS(err, want);
        CHECK(r == NULL);
    }
}

TEST(syntax_errors_give_the_byte)
{
    static const struct {
        const char *doc;
        int err;
        const char *msg;
    } cases[] = {
        {"{\"resourceLogs\":[", CE_ESYNTAX, "byte 17: unexpected end of input"},
        {"{\"resourceLogs\":", CE_ESYNTAX, "byte 16: unexpected end of input"},
        {"{\"resourceLogs\":[{\"scopeLogs\":x}]}", CE_ESYNTAX, "byte 30: expected a value"},
        {"{\"resourceLogs\":[]} x", CE_ESYNTAX, "byte 20: trailing characters"},
        {"{\"resourceLogs\":[]", CE_ESYNTAX, "byte 18: expected ',' or '}'"},
        {"[]", CE_ETYPE, "byte 0: expected a JSON object"},
        {"", CE_ETYPE, "byte 0: expected a JSON object"},
        {"{\"x\":[1,2,}", CE_ESYNTAX, "byte "},
        {"{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityText\":\"\\q\"}]}]}]}",
         CE_ESYNTAX, "byte "},
        {"{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"severityText\":\"\xff\"}]}]}]}",
         CE_EUTF8, "byte "},
        {"{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"boolValue\":tru}}]}]}]}",
         CE_ESYNTAX, "invalid literal"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cer_otlp_request *r = NULL;
        char err[256] = "";
        int rc = decode_s(CER_OTLP_LOGS, cases[i].doc, NULL, &r, err, sizeof err);
        if (rc != cases[i].err)
            cer_test_fail(__FILE__, __LINE__, "case %zu: rc %s, expected %s (%s)", i,
                          ce_err_name(rc), ce_err_name(cases[i].err), err);
        CHECK_CONTAINS(err, cases[i].msg);
    }
}

TEST(unknown_and_snake_case_keys_are_ignored)
{
    const char *doc = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{"
                      "\"time_unix_nano\":\"5\",\"futureField\":{\"a\":[1,{\"b\":null}]},"
                      "\"observedTimeUnixNano\":\"7\",\"x\":\"\\u00e9\",\"y\":-1.5e9}]}]}],"
                      "\"another\":true}";
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(decode_s(CER_OTLP_LOGS, doc, NULL, &r, err, sizeof err), 0);
    if (!r)
        return;
    const cer__otlp_log *l = r->logs->resource_logs[0]->scope_logs[0]->log_records[0];
    CHECK_EQ_INT(l->time_unix_nano, 0); /* snake_case is not a valid key: unknown */
    CHECK_EQ_INT(l->observed_time_unix_nano, 7);
    cer_otlp_request_destroy(r);
}

TEST(nulls_escapes_and_special_numbers)
{
    const char *doc =
        "{\"resourceLogs\":[{\"resource\":null,\"scopeLogs\":[{\"logRecords\":[{"
        "\"time\\u0055nixNano\":1,\"severityText\":null,\"attributes\":[{\"key\":\"a\","
        "\"value\":{\"doubleValue\":\"-Infinity\"}},{\"key\":\"b\",\"value\":{\"intValue\":-5}},"
        "{\"key\":\"c\",\"value\":{\"intValue\":\"-9223372036854775808\"}},"
        "{\"key\":\"d\",\"value\":{\"doubleValue\":1e308}},{\"key\":\"e\",\"value\":null}]}]}]}]}";
    cer_otlp_request *r = NULL;
    char err[256];
    CHECK_EQ_INT(decode_s(CER_OTLP_LOGS, doc, NULL, &r, err, sizeof err), 0);
    if (!r) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    const cer__otlp_log *l = r->logs->resource_logs[0]->scope_logs[0]->log_records[0];
    CHECK(r->logs->resource_logs[0]->resource == NULL);
    CHECK_EQ_INT(l->time_unix_nano, 1);
    CHECK_EQ_STR(l->severity_text, "");
    CHECK(isinf(l->attributes[0]->value->double_value) &&
          l->attributes[0]->value->double_value < 0);
    CHECK_EQ_INT(l->attributes[1]->value->int_value, -5);
    CHECK_EQ_INT(l->attributes[2]->value->int_value, INT64_MIN);
    CHECK(l->attributes[3]->value->double_value == 1e308);
    CHECK(l->attributes[4]->value == NULL);
    /* The mapping writes those as JSON. */
    collect c = {0};
    CHECK_EQ_INT(cer_otlp_map(r, NULL, on_event, on_reject, &c, NULL, err, sizeof err), 0);
    CHECK_CONTAINS(buf_str(&c.out), "\"data\":{\"a\":\"-Infinity\",\"b\":-5,"
                                    "\"c\":-9223372036854775808,\"d\":1e+308,\"e\":null}");
    collect_free(&c);
    cer_otlp_request_destroy(r);
    t_free_all();
}

TEST(json_caps)
{
    char err[512];
    cer_otlp_request *r = NULL;
    /* Depth: a scalar is depth 1; [[1]] is 3. */
    const char *deep = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":"
                       "{\"arrayValue\":{\"values\":[{\"arrayValue\":{\"values\":["
                       "{\"intValue\":1}]}}]}}}]}]}]}";
    cer_otlp_limits lim = {.max_depth = 3};
    CHECK_EQ_INT(decode_s(CER_OTLP_LOGS, deep, &lim, &r, err, sizeof err), 0);
    cer_otlp_request_destroy(r);
    lim.max_depth = 2;
    CHECK_EQ_INT(decode_s(CER_OTLP_LOGS, deep, &lim, &r, err, sizeof err), CE_EDEPTH);
    CHECK_CONTAINS(err, "resourceLogs[0].scopeLogs[0].logRecords[0].body.arrayValue.values[0]."
                        "arrayValue.values[0]: values nested deeper than 2");
    /* Records across scopes and resources add up. */
    const char *three = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{},{}]}]},"
                        "{\"scopeLogs\":[{\"logRecords\":[{}]}]}]}";
    lim = (cer_otlp_limits){.max_records = 2};
    CHECK_EQ_INT(decode_s(CER_OTLP_LOGS, three, &lim, &r, err, sizeof err), CE_ELIMIT);
    CHECK_CONTAINS(err, "resourceLogs[1].scopeLogs[0].logRecords[0]: more than 2 records");
    lim.max_records = 3;
    CHECK_EQ_INT(decode_s(CER_OTLP_LOGS, three, &lim, &r, err, sizeof err), 0);
    CHECK_EQ_INT(cer_otlp_request_count(r), 3);
    cer_otlp_request_destroy(r);
    /* Attributes per list. */
    const char *attrs = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":["
                        "{\"key\":\"a\"},{\"key\":\"b\"}]}]}]}]}";
    lim = (cer_otlp_limits){.max_attributes = 1};
    CHECK_EQ_INT(decode_s(CER_OTLP_TRACES, attrs, &lim, &r, err, sizeof err), CE_ELIMIT);
    CHECK_CONTAINS(err, "resourceSpans[0].scopeSpans[0].spans[0].attributes[1]: more than 1 "
                        "entries in one list");
    /* Memory. */
    lim = (cer_otlp_limits){.max_memory_bytes = 256};
    CHECK_EQ_INT(decode_s(CER_OTLP_TRACES, attrs, &lim, &r, err, sizeof err), CE_ETOOBIG);
    CHECK_EQ_STR(err, "decoded request needs more than 256 bytes of memory");
    cer_otlp_request_destroy(r);
    /* A deeply nested unknown value is skipped, within a nesting cap. */
    char *bomb = malloc(200010);
    strcpy(bomb, "{\"x\":");
    size_t n = 5;
    for (int i = 0; i < 100000; i++)
        bomb[n++] = '[';
    for (int i = 0; i < 100000; i++)
        bomb[n++] = ']';
    bomb[n++] = '}';
    CHECK_EQ_INT(cer_otlp_decode(CER_OTLP_LOGS, CER_OTLP_JSON, bomb, n, NULL, &r, err, sizeof err),
                 CE_EDEPTH);
    free(bomb);
}

TEST(json_and_protobuf_agree_on_traces)
{
    /* The same span, once as OTLP/JSON and once packed: the mapped events are identical. */
    const char *doc = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
                      "\"service.name\",\"value\":{\"stringValue\":\"svc\"}}]},\"scopeSpans\":"
                      "[{\"spans\":[{\"traceId\":\"0102030405060708090A0B0C0D0E0F10\","
                      "\"spanId\":\"1112131415161718\",\"startTimeUnixNano\":\"1000000\","
                      "\"endTimeUnixNano\":\"3000000\",\"attributes\":[{\"key\":"
                      "\"gen_ai.request.model\",\"value\":{\"stringValue\":\"m\"}},{\"key\":"
                      "\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":\"4\"}}]}]}]}]}";
    cer__otlp_span *s = span_new();
    s->trace_id = hexbytes("0102030405060708090a0b0c0d0e0f10");
    s->span_id = hexbytes("1112131415161718");
    s->start_time_unix_nano = 1000000;
    s->end_time_unix_nano = 3000000;
    cer__otlp_kv *a[] = {kv("gen_ai.request.model", any_str("m")),
                         kv("gen_ai.usage.input_tokens", any_int(4))};
    s->n_attributes = 2;
    s->attributes = kvs(2, a);
    cer__otlp_kv *res[] = {kv("service.name", any_str("svc"))};
    cer__otlp_span *sp[] = {s};
    size_t n;
    uint8_t *b = pack(&trace_req(resource(1, res), 1, sp)->base, &n);
    cer_otlp_request *rj = NULL, *rp = NULL;
    char err[256];
    CHECK_EQ_INT(decode_s(CER_OTLP_TRACES, doc, NULL, &rj, err, sizeof err), 0);
    CHECK_EQ_INT(
        cer_otlp_decode(CER_OTLP_TRACES, CER_OTLP_PROTOBUF, b, n, NULL, &rp, err, sizeof err), 0);
    if (rj && rp) {
        int ids = 0;
        cer_otlp_map_conf conf = {.id_fn = fixed_id, .id_ctx = &ids};
        collect cj = {0}, cp = {0};
        CHECK_EQ_INT(cer_otlp_map(rj, &conf, on_event, on_reject, &cj, NULL, NULL, 0), 0);
        ids = 0;
        CHECK_EQ_INT(cer_otlp_map(rp, &conf, on_event, on_reject, &cp, NULL, NULL, 0), 0);
        CHECK(cj.out.len > 0);
        CHECK_EQ_MEM(cj.out.ptr, cj.out.len, cp.out.ptr, cp.out.len);
        CHECK_CONTAINS(buf_str(&cj.out), "\"latencyMs\":2,");
        collect_free(&cj);
        collect_free(&cp);
    }
    cer_otlp_request_destroy(rj);
    cer_otlp_request_destroy(rp);
    t_free_all();
}

/* ---- allocation failure: fail the Nth allocation, for every N until a run succeeds ---- */
static long budget = -1;
static void *fail_malloc(size_t n)
{
    if (budget == 0)
        return NULL;
    if (budget > 0)
        budget--;
    return malloc(n);
}
static void *fail_realloc(void *p, size_t n)
{
    if (budget == 0)
        return NULL;
    if (budget > 0)
        budget--;
    return realloc(p, n);
}

TEST(allocation_failures)
{
    size_t len;
    char *body = golden_input("logs_example.json", &len);
    if (!body)
        return;
    ce_allocator a = {fail_malloc, fail_realloc, free};
    ce_set_allocator(&a);
    int nomem = 0;
    for (long k = 0; k < 100000; k++) {
        budget = k;
        cer_otlp_request *r = NULL;
        char err[256];
        int rc =
            cer_otlp_decode(CER_OTLP_LOGS, CER_OTLP_JSON, body, len, NULL, &r, err, sizeof err);
        budget = -1;
        cer_otlp_request_destroy(r);
        if (rc == 0)
            break;
        if (rc != CE_ENOMEM)
            cer_test_fail(__FILE__, __LINE__, "budget %ld: rc %s (%s)", k, ce_err_name(rc), err);
        CHECK(r == NULL);
        nomem++;
    }
    ce_set_allocator(NULL);
    CHECK(nomem > 0);
    free(body);
}
