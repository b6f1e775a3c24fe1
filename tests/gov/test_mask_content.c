/* Tests of masking beyond single rules: fail-closed dropping of prompt/response content and its
 * exceptions, detectors inside nested data, secret-named members, counters (per event, per
 * rule, per detector, across threads), caps, allocation failures. */
#include <pthread.h>

#include "test_mask_util.h"

TEST(content_dropped_fail_closed)
{
    cer_mask *m = mk_mask(NULL, 0, 0, false);
    cer_mask_result res;
    /* Every listed name, at any depth; other gen_ai attributes stay. */
    CHECK_EQ_STR(
        mask_data(m,
                  "{\"gen_ai.operation.name\":\"chat\",\"gen_ai.input.messages\":[{\"role\":"
                  "\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}],"
                  "\"gen_ai.output.messages\":\"[...]\",\"gen_ai.system_instructions\":[],"
                  "\"gen_ai.request.model\":\"gpt-4o\",\"resource\":{\"gen_ai.prompt\":"
                  "\"p\",\"gen_ai.completion\":\"c\",\"gen_ai.prompt.0.content\":\"x\","
                  "\"gen_ai.completion.0.role\":\"assistant\",\"gen_ai.prompt.name\":"
                  "\"triage\",\"gen_ai.tool.call.arguments\":{},\"gen_ai.tool.call.result\":"
                  "1,\"gen_ai.retrieval.query.text\":\"q\",\"gen_ai.retrieval.documents\":[]"
                  "},\"gen_ai.usage.input_tokens\":150}",
                  &res),
        "{\"gen_ai.operation.name\":\"chat\",\"gen_ai.request.model\":\"gpt-4o\","
        "\"resource\":{\"gen_ai.prompt.name\":\"triage\"},\"gen_ai.usage.input_tokens\":"
        "150}");
    CHECK_EQ_INT(res.content_dropped, 11);
    CHECK(res.changed);
    CHECK_EQ_STR(
        mask_data(m,
                  "{\"request\":{\"system_prompt\":\"s\",\"messages\":[1],\"model\":\"m\"},"
                  "\"prompt\":\"p\",\"prompts\":[],\"completion\":\"c\",\"completions\":[],"
                  "\"input.messages\":[],\"output.messages\":[],\"systemPrompt\":\"x\","
                  "\"system_instructions\":\"y\",\"promptTokens\":3,\"Prompt\":\"case\"}",
                  &res),
        "{\"request\":{\"model\":\"m\"},\"promptTokens\":3,\"Prompt\":\"case\"}");
    CHECK_EQ_INT(res.content_dropped, 10);
    /* Names are matched as members, not as array elements or values. */
    CHECK_EQ_STR(mask_data(m, "[\"prompt\",{\"k\":\"messages\"}]", &res),
                 "[\"prompt\",{\"k\":\"messages\"}]");
    CHECK(!res.changed);
    cer_mask_destroy(m);

    /* allow_content keeps them (the detectors still run inside). */
    m = mk_mask(NULL, 0, CER_CONFIG_DETECT_ALL, true);
    CHECK_EQ_STR(
        mask_data(m, "{\"messages\":[{\"role\":\"user\",\"content\":\"I am a@b.io\"}]}", &res),
        "{\"messages\":[{\"role\":\"user\",\"content\":\"I am [REDACTED:email]\"}]}");
    CHECK_EQ_INT(res.content_dropped, 0);
    cer_mask_destroy(m);
}

TEST(rule_on_content_path_overrides_drop)
{
    /* A rule naming a content member decides it instead of the drop; a rule inside it does not
     * (the member is still dropped). */
    cer_config_mask_rule r[] = {RULE("keep-prompt", "/data/prompt", TRUNCATE, 5),
                                RULE("msgs", "/data/*/messages", REDACT, 0),
                                RULE("inner", "/data/completion/text", REDACT, 0)};
    cer_mask *m = mk_mask(r, NRULES(r), 0, false);
    cer_mask_result res;
    CHECK_EQ_STR(mask_data(m,
                           "{\"prompt\":\"hello world\",\"req\":{\"messages\":[1]},\"completion\":"
                           "{\"text\":\"t\"},\"messages\":[2]}",
                           &res),
                 "{\"prompt\":\"hello\",\"req\":{\"messages\":\"[REDACTED]\"}}");
    CHECK_EQ_INT(res.rules, 2);
    CHECK_EQ_INT(res.content_dropped, 2);
    /* A truncate rule that does not apply (not a string) is no exception: dropped. */
    CHECK_EQ_STR(mask_data(m, "{\"prompt\":[\"a\"]}", &res), "{}");
    cer_mask_destroy(m);
}

TEST(detectors_in_nested_data)
{
    cer_mask *m = mk_mask(NULL, 0, CER_CONFIG_DETECT_ALL, false);
    cer_mask_result res;
    /* Member names are not scanned; values at every depth are; the rest of a string stays. */
    CHECK_EQ_STR(
        mask_data(m,
                  "{\"a@b.io\":{\"list\":[\"x 10.0.0.1 y\",{\"deep\":[\"SSN 123-45-6789\"]}]},"
                  "\"n\":4111111111111111,\"ok\":\"tenant-uuid\",\"esc\":\"mail\\u003a "
                  "a\\u0040b.io\\n\"}",
                  &res),
        "{\"a@b.io\":{\"list\":[\"x [REDACTED:ip] y\",{\"deep\":[\"SSN [REDACTED:ssn]\"]}]},"
        "\"n\":4111111111111111,\"ok\":\"tenant-uuid\",\"esc\":\"mail: [REDACTED:email]\\n\"}");
    CHECK_EQ_INT(res.detections, 3);
    CHECK_EQ_INT(res.by_detector[CER_MASK_DET_IP], 1);
    CHECK_EQ_INT(res.by_detector[CER_MASK_DET_SSN], 1);
    CHECK_EQ_INT(res.by_detector[CER_MASK_DET_EMAIL], 1);
    /* A JSON string at the top level. */
    CHECK_EQ_STR(mask_data(m, "\"Bearer abcdef0123456789abcdef\"", NULL),
                 "\"Bearer [REDACTED:bearer]\"");
    cer_mask_destroy(m);
    /* Only the configured detectors run. */
    m = mk_mask(NULL, 0, CER_CONFIG_DETECT_EMAIL, false);
    CHECK_EQ_STR(mask_data(m, "[\"a@b.io\",\"10.0.0.1\"]", NULL),
                 "[\"[REDACTED:email]\",\"10.0.0.1\"]");
    cer_mask_destroy(m);
    m = mk_mask(NULL, 0, 0, false);
    CHECK_EQ_STR(mask_data(m, "[\"a@b.io\"]", &res), "[\"a@b.io\"]");
    CHECK(!res.changed);
    cer_mask_destroy(m);
}

TEST(secret_named_members)
{
    cer_mask *m = mk_mask(NULL, 0, CER_CONFIG_DETECT_SECRET, false);
    cer_mask_result res;
    CHECK_EQ_STR(
        mask_data(m,
                  "{\"password\":\"hunter2\",\"apiKey\":\"abc\",\"client_secret\":\"s\","
                  "\"Authorization\":\"Basic x\",\"nested\":{\"AWS_SECRET_ACCESS_KEY\":"
                  "\"k\"},\"token_count\":\"5\",\"passwordPolicy\":\"strong\",\"pwd\":\"\","
                  "\"secret\":123,\"secret_key\":\"[REDACTED]\"}",
                  &res),
        "{\"password\":\"[REDACTED:secret]\",\"apiKey\":\"[REDACTED:secret]\","
        "\"client_secret\":\"[REDACTED:secret]\",\"Authorization\":\"[REDACTED:secret]\","
        "\"nested\":{\"AWS_SECRET_ACCESS_KEY\":\"[REDACTED:secret]\"},\"token_count\":"
        "\"5\",\"passwordPolicy\":\"strong\",\"pwd\":\"\",\"secret\":123,\"secret_key\":"
        "\"[REDACTED]\"}");
    CHECK_EQ_INT(res.by_detector[CER_MASK_DET_SECRET], 5);
    cer_mask_destroy(m);
}

TEST(counters_per_rule_detector_and_event)
{
    cer_config_mask_rule r[] = {RULE("user", "/data/userId", HASH, 16),
                                RULE("ip", "/ext/clientip", REDACT, 0),
                                RULE("never", "/data/nothere", DROP, 0)};
    cer_mask *m = mk_mask(r, NRULES(r), CER_CONFIG_DETECT_ALL, false);
    for (int i = 0; i < 3; i++) {
        ce_event *e = mk_event(
            i == 0 ? "\"clientip\":\"1.2.3.4\"," : NULL,
            i == 2 ? "{\"k\":1}" : "{\"userId\":\"u\",\"note\":\"a@b.io, c@d.io\",\"prompt\":1}");
        cer_mask_result res;
        CHECK_EQ_INT(cer_mask_apply(m, e, &res, NULL, 0), 0);
        CHECK_EQ_INT(res.changed, i != 2);
        ce_event_destroy(e);
    }
    cer_mask_counters c;
    uint64_t hits[4] = {9, 9, 9, 9};
    cer_mask_stats(m, &c, hits, 4);
    CHECK_EQ_INT(c.events, 3);
    CHECK_EQ_INT(c.changed, 2);
    CHECK_EQ_INT(c.failed, 0);
    CHECK_EQ_INT(c.content_dropped, 2);
    CHECK_EQ_INT(c.detector[CER_MASK_DET_EMAIL], 4);
    CHECK_EQ_INT(c.detector[CER_MASK_DET_IP], 0); /* the rule took the IP first */
    CHECK_EQ_INT(hits[0], 2);
    CHECK_EQ_INT(hits[1], 1);
    CHECK_EQ_INT(hits[2], 0);
    CHECK_EQ_INT(hits[3], 0); /* past the rules: zero */
    CHECK_EQ_INT(cer_mask_rule_count(m), 3);
    CHECK_EQ_STR(cer_mask_rule_name(m, 1), "ip");
    cer_mask_stats(m, NULL, NULL, 0);
    cer_mask_destroy(m);
}

typedef struct worker {
    cer_mask *m;
    int n, bad;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < w->n; i++) {
        ce_event *e = mk_event("\"subject\":\"tenant/acme/user/a@b.io\",",
                               "{\"userId\":\"usr_2xK9\",\"msg\":\"call +1 415 555 2671\"}");
        cer_mask_result res;
        if (!e || cer_mask_apply(w->m, e, &res, NULL, 0) || res.detections != 2 ||
            strcmp(attr_of(e, "subject"), "tenant/acme/user/[REDACTED:email]") != 0)
            w->bad++;
        ce_event_destroy(e);
    }
    return NULL;
}

TEST(shared_mask_across_threads)
{
    cer_config_mask_rule r[] = {RULE("user", "/data/userId", HASH, 16)};
    cer_mask *m = mk_mask(r, 1, CER_CONFIG_DETECT_ALL, false);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){m, 500, 0};
        CHECK_EQ_INT(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ_INT(w[i].bad, 0);
    }
    cer_mask_counters c;
    uint64_t hits[1];
    cer_mask_stats(m, &c, hits, 1);
    CHECK_EQ_INT(c.events, 2000);
    CHECK_EQ_INT(c.changed, 2000);
    CHECK_EQ_INT(c.detector[CER_MASK_DET_EMAIL], 2000);
    CHECK_EQ_INT(c.detector[CER_MASK_DET_PHONE], 2000);
    CHECK_EQ_INT(hits[0], 2000);
    cer_mask_destroy(m);
}

TEST(masking_twice_changes_nothing_more)
{
    cer_config_mask_rule r[] = {RULE("r", "/data/a", REDACT, 0), RULE("t", "/data/b", TRUNCATE, 3),
                                RULE("d", "/data/c", DROP, 0)};
    cer_mask *m = mk_mask(r, NRULES(r), CER_CONFIG_DETECT_ALL, false);
    char once[1024];
    snprintf(once, sizeof once, "%s",
             mask_data(m,
                       "{\"a\":1,\"b\":\"abcdef\",\"c\":2,\"d\":\"x@y.io Bearer "
                       "abcdef0123456789abcdef password=hunter2hunter2 4111111111111111\"}",
                       NULL));
    cer_mask_result res;
    CHECK_EQ_STR(mask_data(m, once, &res), once);
    CHECK(!res.changed);
    cer_mask_destroy(m);
}

TEST(depth_and_size_caps)
{
    /* Data as deep as the core accepts is masked; the walk is bounded by the same depth. */
    char deep[512];
    size_t k = 0;
    for (int i = 0; i < 62; i++)
        deep[k++] = '[';
    memcpy(deep + k, "\"a@b.io\"", 8);
    k += 8;
    for (int i = 0; i < 62; i++)
        deep[k++] = ']';
    deep[k] = '\0';
    cer_mask *m = mk_mask(NULL, 0, CER_CONFIG_DETECT_ALL, false);
    CHECK_CONTAINS(mask_data(m, deep, NULL), "[REDACTED:email]");
    cer_mask_destroy(m);

    /* A hash on every element of a large array of 1s grows ~35x: over the cap, refused, and
     * the event is left as it was. */
    cer_config_mask_rule r[] = {RULE("h", "/data/*", HASH, 0)};
    m = mk_mask(r, 1, 0, false);
    size_t n = 300000;
    char *big = malloc(2 * n + 2);
    big[0] = '[';
    for (size_t i = 0; i < n; i++) {
        big[1 + 2 * i] = '1';
        big[2 + 2 * i] = ',';
    }
    big[2 * n] = ']';
    big[2 * n + 1] = '\0';
    ce_event *e = mk_event(NULL, "1");
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_JSON, big, 2 * n + 1, NULL, 0), 0);
    char err[256];
    cer_mask_result res;
    CHECK_EQ_INT(cer_mask_apply(m, e, &res, err, sizeof err), CE_ETOOBIG);
    CHECK_CONTAINS(err, "data: the masked data exceeds its size cap");
    CHECK(!res.changed);
    ce_slice d = ce_event_data(e);
    CHECK_EQ_MEM(d.ptr, d.len, big, 2 * n + 1);
    cer_mask_counters c;
    cer_mask_stats(m, &c, NULL, 0);
    CHECK_EQ_INT(c.failed, 1);
    CHECK_EQ_INT(c.events, 0);
    free(big);
    ce_event_destroy(e);
    cer_mask_destroy(m);
}

/* Allocation failures: the Nth allocation fails, for every N until a call succeeds. */
static int fail_at, allocs;
static void *fail_malloc(size_t n)
{
    return ++allocs == fail_at ? NULL : malloc(n);
}
static void *fail_realloc(void *p, size_t n)
{
    return ++allocs == fail_at ? NULL : realloc(p, n);
}

TEST(allocation_failures)
{
    static const ce_allocator failing = {fail_malloc, fail_realloc, free};
    cer_config_mask_rule r[] = {RULE("u", "/data/userId", HASH, 16),
                                RULE("s", "/subject", TRUNCATE, 8),
                                RULE("x", "/ext/clientip", DROP, 0)};
    cer_config_masking cfg = {
        .key = "k3y", .rules = r, .nrules = 3, .detectors = CER_CONFIG_DETECT_ALL};
    ce_event *orig = mk_event("\"subject\":\"tenant/acme/user/a@b.io\",\"clientip\":\"1.2.3.4\","
                              "\"note\":\"x@y.io\",",
                              "{\"userId\":\"u\",\"prompt\":\"p\",\"m\":\"call +1 415 555 2671\"}");
    ce_buf want;
    ce_buf_init(&want);
    {
        cer_mask *m = cer_mask_new(&cfg, NULL, 0);
        ce_event *e = ce_event_clone(orig);
        CHECK_EQ_INT(cer_mask_apply(m, e, NULL, NULL, 0), 0);
        CHECK_EQ_INT(ce_json_encode(e, 0, &want, NULL, 0), 0);
        ce_event_destroy(e);
        cer_mask_destroy(m);
    }
    int unchanged = 0, partial = 0, done = 0;
    for (fail_at = 1; fail_at < 200 && !done; fail_at++) {
        ce_event *e = ce_event_clone(orig);
        allocs = 0;
        ce_set_allocator(&failing);
        char err[256];
        cer_mask *m = cer_mask_new(&cfg, err, sizeof err);
        int rc = m ? cer_mask_apply(m, e, NULL, err, sizeof err) : CE_ENOMEM;
        ce_set_allocator(NULL);
        if (!m) {
            CHECK_CONTAINS(err, "out of memory");
        } else if (rc == 0) {
            ce_buf got;
            ce_buf_init(&got);
            CHECK_EQ_INT(ce_json_encode(e, 0, &got, NULL, 0), 0);
            CHECK_EQ_MEM(got.ptr, got.len, want.ptr, want.len);
            ce_buf_free(&got);
            done = allocs < fail_at;
        } else {
            CHECK_EQ_INT(rc, CE_ENOMEM);
            if (ce_event_equal(e, orig))
                unchanged++;
            else
                partial++;
        }
        cer_mask_destroy(m);
        ce_event_destroy(e);
    }
    CHECK(done);
    CHECK(unchanged > 0);
    printf("allocation failures: %d left the event unchanged, %d during the final store\n",
           unchanged, partial);
    ce_buf_free(&want);
    ce_event_destroy(orig);
}
