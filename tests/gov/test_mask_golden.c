/* Golden files for masking (tests/gov/golden/mask/): events from the seeds (the usage event,
 * CoreSDK policy.decision and auth.verified events carrying a user's e-mail, an OTLP-derived
 * event with gen_ai.input.messages), each masked with the configuration named below; the
 * expected canonical JSON (ce_json_encode) is compared byte for byte. CER_GOLDEN_WRITE=1
 * rewrites the .out.json files instead (review the diff before committing). */
#include <stdlib.h>

#include "test_mask_util.h"

static cer_config_mask_rule usage_rules[] = {RULE("user-id", "/data/userId", HASH, 16)};
static cer_config_mask_rule decision_rules[] = {
    RULE("subject", "/subject", HASH, 16), RULE("partition", "/ext/partitionkey", HASH, 16),
    RULE("user-id", "/data/user_id", HASH, 16), RULE("client-ip", "/ext/clientip", REDACT, 0)};
static cer_config_mask_rule auth_rules[] = {
    RULE("user-id", "/data/user_id", HASH, 16), RULE("email", "/data/user_email", HASH, 16),
    RULE("agent", "/data/headers/user-agent", TRUNCATE, 11)};
static cer_config_mask_rule content_rules[] = {
    RULE("short-content", "/data/gen_ai.input.messages/*/parts/*/content", TRUNCATE, 40)};

static const struct golden {
    const char *in, *out;
    cer_config_mask_rule *rules;
    size_t nrules;
    bool allow_content;
} goldens[] = {
    {"usage.in.json", "usage.out.json", usage_rules, NRULES(usage_rules), false},
    {"policy_decision.in.json", "policy_decision.out.json", decision_rules, NRULES(decision_rules),
     false},
    {"auth_verified.in.json", "auth_verified.out.json", auth_rules, NRULES(auth_rules), false},
    {"otlp_genai.in.json", "otlp_genai.out.json", NULL, 0, false},
    {"otlp_genai.in.json", "otlp_genai.allow.out.json", content_rules, NRULES(content_rules), true},
};

TEST(golden_masked_events)
{
    bool write = getenv("CER_GOLDEN_WRITE") && strcmp(getenv("CER_GOLDEN_WRITE"), "1") == 0;
    for (size_t g = 0; g < sizeof goldens / sizeof *goldens; g++) {
        const struct golden *t = &goldens[g];
        char path[512];
        snprintf(path, sizeof path, "tests/gov/golden/mask/%s", t->in);
        size_t len;
        char *in = cer_test_read_file(cer_test_src_path(path), &len);
        if (!in)
            continue;
        ce_event *e = NULL;
        char err[256];
        if (ce_json_decode(in, len, NULL, &e, err, sizeof err)) {
            cer_test_fail(__FILE__, __LINE__, "%s: %s", t->in, err);
            free(in);
            continue;
        }
        ce_value id0;
        CHECK_EQ_INT(ce_event_get(e, "id", &id0), 0);
        char id[128];
        snprintf(id, sizeof id, "%.*s", (int)id0.str.len, id0.str.ptr);
        cer_mask *m = mk_mask(t->rules, t->nrules, CER_CONFIG_DETECT_ALL, t->allow_content);
        cer_mask_result res;
        CHECK_EQ_INT(cer_mask_apply(m, e, &res, err, sizeof err), 0);
        CHECK_EQ_STR(attr_of(e, "id"), id);
        ce_buf got;
        ce_buf_init(&got);
        CHECK_EQ_INT(ce_json_encode(e, 0, &got, err, sizeof err), 0);
        CHECK_EQ_INT(ce_buf_append(&got, "\n", 1), 0);
        snprintf(path, sizeof path, "%s/tests/gov/golden/mask/%s", CER_SOURCE_DIR, t->out);
        if (write) {
            FILE *f = fopen(path, "wb");
            CHECK(f && fwrite(got.ptr, 1, got.len, f) == got.len);
            if (f)
                fclose(f);
            printf("wrote %s\n", path);
        } else {
            size_t wl;
            char *want = cer_test_read_file(path, &wl);
            if (want && (wl != got.len || memcmp(want, got.ptr, wl) != 0))
                cer_test_fail(__FILE__, __LINE__, "%s differs:\n  got:      %.*s  expected: %s",
                              t->out, (int)got.len, got.ptr, want);
            free(want);
        }
        printf("%-28s rules %u, detections %u, content dropped %u\n", t->out, res.rules,
               res.detections, res.content_dropped);
        ce_buf_free(&got);
        cer_mask_destroy(m);
        ce_event_destroy(e);
        free(in);
    }
}
