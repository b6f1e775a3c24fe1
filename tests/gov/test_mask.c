/* Tests of the masking rules (src/gov/mask.c, mask_json.c): configuration errors, each action on
 * each target (data members, subject, extensions), wildcard and escaped paths, exact bytes when
 * nothing changes, attributes that never change, the hash action (determinism, key dependence,
 * RFC 4231 vectors for the HMAC primitive). */
#include "test_mask_util.h"

static const char *new_error(cer_config_masking *c)
{
    static char err[256];
    cer_mask *m = cer_mask_new(c, err, sizeof err);
    if (m) {
        cer_mask_destroy(m);
        return "";
    }
    return err;
}

TEST(new_rejects_bad_rules)
{
    cer_config_mask_rule r[1] = {RULE("user-id", "/data/userId", HASH, 16)};
    cer_config_masking c = {.rules = r, .nrules = 1};
    CHECK_CONTAINS(new_error(&c), "rule 'user-id': action hash needs masking.key");
    c.key = "";
    CHECK_CONTAINS(new_error(&c), "rule 'user-id': action hash needs masking.key");
    c.key = "k";
    CHECK_EQ_STR(new_error(&c), "");

    const struct {
        cer_config_mask_rule r;
        const char *msg;
    } bad[] = {
        {RULE(NULL, "/data/a", REDACT, 0), "masking.rules[0]: name missing"},
        {RULE("r", NULL, REDACT, 0), "rule 'r': path missing"},
        {RULE("r", "/dat/a", REDACT, 0), "expected /data/<JSON pointer>, /subject or /ext/<name>"},
        {RULE("r", "data/a", REDACT, 0), "expected /data/"},
        {RULE("r", "/data/a~2b", REDACT, 0), "a JSON pointer escapes only ~0 and ~1"},
        {RULE("r", "/data/a~", REDACT, 0), "'~' at byte 7"},
        {RULE("r", "/ext/Bad-Name", REDACT, 0), "not a valid extension name"},
        {RULE("r", "/ext/id", REDACT, 0), "a CloudEvents attribute, not an extension"},
        {RULE("r", "/ext/source", DROP, 0), "a CloudEvents attribute"},
        {RULE("r", "/ext/subject", DROP, 0), "write /subject"},
        {RULE("r", "/data/a", TRUNCATE, 0), "rule 'r': truncate needs length >= 1"},
        {RULE("r", "/data/a", HASH, -1), "rule 'r': hash length must be >= 0"},
        {{.name = "r", .path = "/data/a", .action = 9}, "rule 'r': unknown action 9"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cer_config_mask_rule one = bad[i].r;
        cer_config_masking cc = {.key = "k", .rules = &one, .nrules = 1};
        CHECK_CONTAINS(new_error(&cc), bad[i].msg);
    }
    /* The second rule is at fault: the message names it. */
    cer_config_mask_rule two[2] = {RULE("ok", "/subject", REDACT, 0),
                                   RULE("second", "/nowhere", DROP, 0)};
    cer_config_masking c2 = {.rules = two, .nrules = 2};
    CHECK_CONTAINS(new_error(&c2), "rule 'second'");
    /* No configuration: every detector, content dropped. */
    cer_mask *m = cer_mask_new(NULL, NULL, 0);
    CHECK(m != NULL);
    CHECK_EQ_STR(mask_data(m, "{\"a\":\"mail x@y.io\",\"prompt\":\"hi\"}", NULL),
                 "{\"a\":\"mail [REDACTED:email]\"}");
    cer_mask_destroy(m);
    cer_mask_destroy(NULL);
}

TEST(redact_every_json_type)
{
    cer_config_mask_rule r[] = {RULE("s", "/data/s", REDACT, 0), RULE("n", "/data/n", REDACT, 0),
                                RULE("o", "/data/o", REDACT, 0), RULE("a", "/data/a", REDACT, 0),
                                RULE("z", "/data/z", REDACT, 0), RULE("b", "/data/b", REDACT, 0)};
    cer_mask *m = mk_mask(r, NRULES(r), 0, false);
    cer_mask_result res;
    CHECK_EQ_STR(mask_data(m,
                           "{\"s\":\"secret\",\"n\":-1.5e3,\"o\":{\"x\":[1,2]},\"a\":[],\"z\":null,"
                           "\"b\":true,\"keep\":\"me\"}",
                           &res),
                 "{\"s\":\"[REDACTED]\",\"n\":\"[REDACTED]\",\"o\":\"[REDACTED]\",\"a\":\"["
                 "REDACTED]\",\"z\":\"[REDACTED]\",\"b\":\"[REDACTED]\",\"keep\":\"me\"}");
    CHECK(res.changed);
    CHECK_EQ_INT(res.rules, 6);
    cer_mask_destroy(m);
}

TEST(drop_members_and_elements)
{
    cer_config_mask_rule r[] = {RULE("a", "/data/a", DROP, 0), RULE("c", "/data/c", DROP, 0),
                                RULE("x1", "/data/x/1", DROP, 0)};
    cer_mask *m = mk_mask(r, NRULES(r), 0, false);
    /* first, last, middle, and every member */
    CHECK_EQ_STR(mask_data(m, "{\"a\":1,\"b\":2}", NULL), "{\"b\":2}");
    CHECK_EQ_STR(mask_data(m, "{\"b\":2,\"c\":3}", NULL), "{\"b\":2}");
    CHECK_EQ_STR(mask_data(m, "{\"b\":2,\"c\":3,\"d\":4}", NULL), "{\"b\":2,\"d\":4}");
    CHECK_EQ_STR(mask_data(m, "{ \"a\" : 1 , \"c\" : {\"deep\":[1]} }", NULL), "{}");
    CHECK_EQ_STR(mask_data(m, "{\"x\":[10,11,12]}", NULL), "{\"x\":[10,12]}");
    CHECK_EQ_STR(mask_data(m, "{\"x\":[10]}", NULL), "{\"x\":[10]}");
    cer_mask_destroy(m);

    /* A wildcard over an array drops every element; /data itself drops the data. */
    cer_config_mask_rule w[] = {RULE("all", "/data/x/*", DROP, 0)};
    m = mk_mask(w, 1, 0, false);
    CHECK_EQ_STR(mask_data(m, "{\"x\":[1,{\"a\":2},\"3\"],\"y\":[1]}", NULL),
                 "{\"x\":[],\"y\":[1]}");
    cer_mask_destroy(m);
    cer_config_mask_rule d[] = {RULE("data", "/data", DROP, 0)};
    m = mk_mask(d, 1, 0, false);
    ce_event *e = mk_event(NULL, "{\"a\":1}");
    cer_mask_result res;
    CHECK_EQ_INT(cer_mask_apply(m, e, &res, NULL, 0), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_NONE);
    CHECK(res.changed);
    CHECK_EQ_STR(attr_of(e, "datacontenttype"), "application/json");
    ce_event_destroy(e);
    cer_mask_destroy(m);
}

TEST(truncate_counts_characters)
{
    cer_config_mask_rule r[] = {RULE("t", "/data/t", TRUNCATE, 4),
                                RULE("n", "/data/n", TRUNCATE, 1),
                                RULE("t2", "/data/n", REDACT, 0)};
    cer_mask *m = mk_mask(r, NRULES(r), 0, false);
    cer_mask_result res;
    /* 4 characters of "héllo wörld" are 5 bytes; \u escapes count as the character. */
    CHECK_EQ_STR(mask_data(m, "{\"t\":\"h\\u00e9llo w\\u00f6rld\"}", &res),
                 "{\"t\":\"h\xc3\xa9ll\"}");
    CHECK_EQ_INT(res.rules, 1);
    CHECK_EQ_STR(mask_data(m,
                           "{\"t\":\"\xf0\x9f\x99\x81\xf0\x9f\x99\x81\xf0\x9f\x99\x81\xf0\x9f\x99"
                           "\x81\xf0\x9f\x99\x81\"}",
                           NULL),
                 "{\"t\":\"\xf0\x9f\x99\x81\xf0\x9f\x99\x81\xf0\x9f\x99\x81\xf0\x9f\x99\x81\"}");
    /* Short enough: unchanged, the data keeps its bytes. */
    CHECK_EQ_STR(mask_data(m, "{ \"t\" : \"abc\" }", &res), "{ \"t\" : \"abc\" }");
    CHECK(!res.changed);
    CHECK_EQ_INT(res.rules, 0);
    /* Truncate does not apply to a number: the next rule for the path does. */
    CHECK_EQ_STR(mask_data(m, "{\"n\":12345}", NULL), "{\"n\":\"[REDACTED]\"}");
    /* A truncated string still goes through the detectors. */
    /* Detectors run before the cut (so a cut cannot leave most of a card number behind, too
     * short to be recognised), and the cut does not split a placeholder. */
    cer_config_mask_rule t2[] = {RULE("t", "/data/t", TRUNCATE, 30),
                                 RULE("c", "/data/c", TRUNCATE, 16)};
    cer_mask *m2 = mk_mask(t2, 2, CER_CONFIG_DETECT_ALL, false);
    CHECK_EQ_STR(mask_data(m2, "{\"t\":\"mail a@b.io now, and more text\"}", NULL),
                 "{\"t\":\"mail [REDACTED:email] now, and\"}");
    CHECK_EQ_STR(mask_data(m2, "{\"c\":\"card 4111 1111 1111 1111 ok\"}", &res),
                 "{\"c\":\"card \"}");
    CHECK_EQ_INT(res.rules, 1);
    CHECK_EQ_INT(res.detections, 1);
    cer_mask_destroy(m2);
    cer_mask_destroy(m);
}

TEST(hash_is_deterministic_and_keyed)
{
    cer_config_mask_rule r[] = {
        RULE("u", "/data/userId", HASH, 16), RULE("s", "/subject", HASH, 16),
        RULE("full", "/data/full", HASH, 0), RULE("o", "/data/obj", HASH, 8)};
    cer_mask *m = mk_mask(r, NRULES(r), 0, false);
    ce_event *e =
        mk_event("\"subject\":\"usr_2xK9\",",
                 "{\"userId\":\"usr_2xK9\",\"full\":\"usr_2xK9\",\"obj\":{ \"a\" : [1, 2] }}");
    CHECK_EQ_INT(cer_mask_apply(m, e, NULL, NULL, 0), 0);
    /* HMAC-SHA256("k3y", "usr_2xK9"), as Python's hmac module computes it. */
    CHECK_EQ_STR(attr_of(e, "subject"), "hmac:0150d2061b62c960");
    unsigned char mac[32];
    CHECK_EQ_INT(cer_mask_hmac_sha256("k3y", 3, "usr_2xK9", 8, mac), 0);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    char want[200];
    snprintf(want, sizeof want,
             "{\"userId\":\"hmac:%.16s\",\"full\":\"hmac:%s\",\"obj\":\"hmac:", hex, hex);
    CHECK(strncmp(data_of(e), want, strlen(want)) == 0);
    char subj[32];
    snprintf(subj, sizeof subj, "hmac:%.16s", hex);
    CHECK_EQ_STR(attr_of(e, "subject"), subj); /* equal values, equal hashes: joins still work */
    /* A non-string hashes its compact JSON: whitespace does not matter. */
    CHECK_EQ_INT(cer_mask_hmac_sha256("k3y", 3, "{\"a\":[1,2]}", 11, mac), 0);
    char obj[40];
    snprintf(obj, sizeof obj, "\"obj\":\"hmac:%02x%02x%02x%02x\"}", mac[0], mac[1], mac[2], mac[3]);
    CHECK_CONTAINS(data_of(e), obj);
    ce_event_destroy(e);

    /* Same value, same key: same output; another key: another output. */
    char a[256], b[256];
    snprintf(a, sizeof a, "%s", mask_data(m, "{\"userId\":\"alice\"}", NULL));
    snprintf(b, sizeof b, "%s", mask_data(m, "{\"userId\":\"alice\"}", NULL));
    CHECK_EQ_STR(a, b);
    cer_config_masking c2 = {.key = "other", .rules = r, .nrules = 1};
    cer_mask *m2 = cer_mask_new(&c2, NULL, 0);
    snprintf(b, sizeof b, "%s", mask_data(m2, "{\"userId\":\"alice\"}", NULL));
    CHECK(strcmp(a, b) != 0);
    CHECK_EQ_INT(strlen(a), strlen("{\"userId\":\"hmac:0123456789abcdef\"}"));
    cer_mask_destroy(m2);
    cer_mask_destroy(m);
}

/* RFC 4231 test cases 1-4, 6 and 7 (HMAC-SHA-256), and case 5's truncated output. */
TEST(hmac_rfc4231_vectors)
{
    static const struct {
        const char *key_hex, *data, *mac;
        size_t data_len;
    } v[] = {
        {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 8},
        {"4a656665", "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 28},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL,
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 50},
        {"0102030405060708090a0b0c0d0e0f10111213141516171819", NULL,
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 50},
        {"0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation",
         "a3b6167473100ee06e0c796c2955552b", 20},
        {"aa*131", "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 54},
        {"aa*131",
         "This is a test using a larger than block-size key and a larger than block-size data. "
         "The key needs to be hashed before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 152},
    };
    for (size_t t = 0; t < sizeof v / sizeof *v; t++) {
        unsigned char key[131], data[160], mac[32];
        size_t kl = 0;
        if (strcmp(v[t].key_hex, "aa*131") == 0) {
            memset(key, 0xaa, 131);
            kl = 131;
        } else {
            for (const char *p = v[t].key_hex; p[0] && p[1]; p += 2) {
                unsigned x;
                sscanf(p, "%2x", &x);
                key[kl++] = (unsigned char)x;
            }
        }
        if (v[t].data)
            memcpy(data, v[t].data, v[t].data_len);
        else
            memset(data, t == 2 ? 0xdd : 0xcd, v[t].data_len);
        CHECK_EQ_INT(cer_mask_hmac_sha256(key, kl, data, v[t].data_len, mac), 0);
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", mac[i]);
        size_t want = strlen(v[t].mac);
        if (strncmp(hex, v[t].mac, want) != 0)
            cer_test_fail(__FILE__, __LINE__, "case %zu: %s, expected %s", t, hex, v[t].mac);
    }
}

/* The hash action itself (prepared HMAC states, not the one-shot primitive) on RFC 4231 cases
 * 2 and 6 (a key longer than the SHA-256 block is hashed first). */
TEST(hash_action_rfc4231_vectors)
{
    char big[132];
    memset(big, 0xaa, 131);
    big[131] = '\0';
    const struct {
        const char *key, *value, *want;
    } v[] = {{"Jefe", "what do ya want for nothing?",
              "hmac:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
             {big, "Test Using Larger Than Block-Size Key - Hash Key First",
              "hmac:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"}};
    for (size_t i = 0; i < 2; i++) {
        cer_config_mask_rule r[] = {RULE("s", "/subject", HASH, 0)};
        cer_config_masking c = {.key = v[i].key, .rules = r, .nrules = 1};
        cer_mask *m = cer_mask_new(&c, NULL, 0);
        char ext[256];
        snprintf(ext, sizeof ext, "\"subject\":\"%s\",", v[i].value);
        ce_event *e = mk_event(ext, "{}");
        CHECK_EQ_INT(cer_mask_apply(m, e, NULL, NULL, 0), 0);
        CHECK_EQ_STR(attr_of(e, "subject"), v[i].want);
        ce_event_destroy(e);
        cer_mask_destroy(m);
    }
}

TEST(subject_actions)
{
    const struct {
        cer_config_mask_rule r;
        const char *want; /* NULL: unset */
    } cases[] = {
        {RULE("s", "/subject", REDACT, 0), "[REDACTED]"},
        {RULE("s", "/subject", TRUNCATE, 11), "tenant/acme"},
        {RULE("s", "/subject", TRUNCATE, 100), "tenant/acme/user/usr_2xK9"},
        {RULE("s", "/subject", DROP, 0), NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cer_config_mask_rule r = cases[i].r;
        cer_mask *m = mk_mask(&r, 1, 0, false);
        ce_event *e = mk_event("\"subject\":\"tenant/acme/user/usr_2xK9\",", "{\"a\":1}");
        cer_mask_result res;
        CHECK_EQ_INT(cer_mask_apply(m, e, &res, NULL, 0), 0);
        ce_value v;
        if (cases[i].want) {
            CHECK_EQ_STR(attr_of(e, "subject"), cases[i].want);
        } else {
            CHECK_EQ_INT(ce_event_get(e, "subject", &v), CE_ENOTFOUND);
        }
        CHECK_EQ_INT(res.changed, i != 2);
        CHECK_EQ_STR(data_of(e), "{\"a\":1}");
        ce_event_destroy(e);
        cer_mask_destroy(m);
    }
    /* Detectors run over the subject too. */
    cer_mask *m = mk_mask(NULL, 0, CER_CONFIG_DETECT_ALL, false);
    ce_event *e = mk_event("\"subject\":\"tenant/acme/user/jane.doe@acme.com\",", "{}");
    CHECK_EQ_INT(cer_mask_apply(m, e, NULL, NULL, 0), 0);
    CHECK_EQ_STR(attr_of(e, "subject"), "tenant/acme/user/[REDACTED:email]");
    ce_event_destroy(e);
    cer_mask_destroy(m);
}

TEST(extension_actions)
{
    cer_config_mask_rule r[] = {
        RULE("ip", "/ext/clientip", REDACT, 0),  RULE("n", "/ext/count", REDACT, 0),
        RULE("b", "/ext/flag", HASH, 8),         RULE("t", "/ext/note", TRUNCATE, 3),
        RULE("tn", "/ext/num", TRUNCATE, 1),     RULE("d", "/ext/partitionkey", DROP, 0),
        RULE("missing", "/ext/nothere", DROP, 0)};
    cer_mask *m = mk_mask(r, NRULES(r), CER_CONFIG_DETECT_ALL, false);
    ce_event *e =
        mk_event("\"clientip\":\"10.1.2.3\",\"count\":42,\"flag\":true,\"note\":\"abcdef\","
                 "\"num\":7,\"partitionkey\":\"tenant-7f3a9c2e\",\"contact\":\"call +1 "
                 "415 555 2671\",\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-"
                 "00f067aa0ba902b7-01\",",
                 "{}");
    cer_mask_result res;
    CHECK_EQ_INT(cer_mask_apply(m, e, &res, NULL, 0), 0);
    ce_value v;
    CHECK_EQ_STR(attr_of(e, "clientip"), "[REDACTED]");
    CHECK_EQ_INT(ce_event_get(e, "count", &v), 0);
    CHECK_EQ_INT(v.type, CE_TYPE_STRING); /* a redacted Integer becomes a String */
    CHECK_EQ_STR(attr_of(e, "count"), "[REDACTED]");
    CHECK(strncmp(attr_of(e, "flag"), "hmac:", 5) == 0 && strlen(attr_of(e, "flag")) == 13);
    CHECK_EQ_STR(attr_of(e, "note"), "abc");
    CHECK_EQ_INT(ce_event_get(e, "num", &v), 0);
    CHECK_EQ_INT(v.type, CE_TYPE_INTEGER); /* truncate leaves non-strings alone */
    CHECK_EQ_INT(ce_event_get(e, "partitionkey", &v), CE_ENOTFOUND);
    CHECK_EQ_STR(attr_of(e, "contact"), "call [REDACTED:phone]");
    CHECK_EQ_STR(attr_of(e, "traceparent"),
                 "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    CHECK_EQ_INT(res.rules, 5);
    CHECK_EQ_INT(res.detections, 1);
    CHECK_EQ_INT(res.by_detector[CER_MASK_DET_PHONE], 1);
    ce_event_destroy(e);
    cer_mask_destroy(m);
}

TEST(wildcards_indices_and_escapes)
{
    cer_config_mask_rule r[] = {RULE("emails", "/data/users/*/email", HASH, 8),
                                RULE("second", "/data/items/1/name", REDACT, 0),
                                RULE("slash", "/data/a~1b", REDACT, 0),
                                RULE("tilde", "/data/m~0n", REDACT, 0),
                                RULE("any", "/data/*/secret", DROP, 0),
                                RULE("empty", "/data/", REDACT, 0),
                                RULE("key0", "/data/obj/0", REDACT, 0)};
    cer_mask *m = mk_mask(r, NRULES(r), 0, false);
    const char *out = mask_data(
        m,
        "{\"users\":[{\"email\":\"a@x.io\",\"n\":1},{\"n\":2},{\"email\":\"b@x.io\"}],"
        "\"items\":[{\"name\":\"zero\"},{\"name\":\"one\"}],\"a/b\":1,\"m~n\":2,\"a~1b\":3,"
        "\"x\":{\"secret\":1,\"k\":2},\"y\":[{\"secret\":1}],\"\":\"empty\",\"obj\":{\"0\":\"z\"}}",
        NULL);
    char want[1024];
    unsigned char mac[32];
    char ha[9], hb[9];
    cer_mask_hmac_sha256("k3y", 3, "a@x.io", 6, mac);
    snprintf(ha, sizeof ha, "%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3]);
    cer_mask_hmac_sha256("k3y", 3, "b@x.io", 6, mac);
    snprintf(hb, sizeof hb, "%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3]);
    snprintf(want, sizeof want,
             "{\"users\":[{\"email\":\"hmac:%s\",\"n\":1},{\"n\":2},{\"email\":\"hmac:%s\"}],"
             "\"items\":[{\"name\":\"zero\"},{\"name\":\"[REDACTED]\"}],\"a/b\":\"[REDACTED]\","
             "\"m~n\":\"[REDACTED]\",\"a~1b\":3,\"x\":{\"k\":2},\"y\":[{\"secret\":1}],"
             "\"\":\"[REDACTED]\",\"obj\":{\"0\":\"[REDACTED]\"}}",
             ha, hb);
    CHECK_EQ_STR(out, want);
    cer_mask_destroy(m);
    /* An escaped member name in the data matches its decoded form. */
    cer_config_mask_rule e[] = {RULE("esc", "/data/user\"id", REDACT, 0)};
    m = mk_mask(e, 1, 0, false);
    CHECK_EQ_STR(mask_data(m, "{\"user\\u0022id\":\"x\",\"b\":\"\\u00e9\"}", NULL),
                 "{\"user\\u0022id\":\"[REDACTED]\",\"b\":\"\\u00e9\"}");
    cer_mask_destroy(m);
}

TEST(unchanged_data_keeps_exact_bytes)
{
    cer_config_mask_rule r[] = {RULE("u", "/data/userId", HASH, 16)};
    cer_mask *m = mk_mask(r, 1, CER_CONFIG_DETECT_ALL, false);
    const char *in = "{\n  \"tenantId\" : \"tenant-uuid\",\n  \"model\": "
                     "\"anthropic.claude-3-sonnet-20240229-v1:0\", \"n\": 1.50E+2,\n"
                     "  \"esc\": \"caf\\u00e9 \\/ \\\"q\\\"\", \"arr\": [ 1 , 2 ] }";
    cer_mask_result res;
    CHECK_EQ_STR(mask_data(m, in, &res), in);
    CHECK(!res.changed);
    /* When something changes, the output is compact and everything else keeps its spelling. */
    CHECK_EQ_STR(
        mask_data(m, "{ \"a\" : 1.50E+2 , \"esc\" : \"\\u00e9\\/\" , \"userId\" : \"x\" }", &res),
        "{\"a\":1.50E+2,\"esc\":\"\\u00e9\\/\",\"userId\":\"hmac:5009475861b06a53\"}");
    CHECK(res.changed);
    cer_mask_destroy(m);
}

TEST(context_attributes_never_change)
{
    /* Rules and detectors that would match every value cannot touch the core attributes. */
    cer_config_mask_rule r[] = {RULE("all", "/data/*", REDACT, 0), RULE("s", "/subject", DROP, 0)};
    cer_mask *m = mk_mask(r, NRULES(r), CER_CONFIG_DETECT_ALL, false);
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"specversion\":\"1.0\",\"id\":\"jane.doe@acme.com\",\"source\":\"mailto:"
             "ops@acme.com\",\"type\":\"call.+14155552671\",\"time\":\"2026-03-19T14:35:00Z\","
             "\"subject\":\"x@y.io\",\"datacontenttype\":\"application/json\","
             "\"dataschema\":\"https://10.0.0.1/schema\",\"data\":{\"a\":1}}");
    ce_event *e = NULL;
    CHECK_EQ_INT(ce_json_decode(buf, strlen(buf), NULL, &e, NULL, 0), 0);
    CHECK_EQ_INT(cer_mask_apply(m, e, NULL, NULL, 0), 0);
    CHECK_EQ_STR(attr_of(e, "id"), "jane.doe@acme.com");
    CHECK_EQ_STR(attr_of(e, "source"), "mailto:ops@acme.com");
    CHECK_EQ_STR(attr_of(e, "type"), "call.+14155552671");
    CHECK_EQ_STR(attr_of(e, "specversion"), "1.0");
    CHECK_EQ_STR(attr_of(e, "time"), "2026-03-19T14:35:00Z");
    CHECK_EQ_STR(attr_of(e, "dataschema"), "https://10.0.0.1/schema");
    CHECK_EQ_STR(attr_of(e, "datacontenttype"), "application/json");
    CHECK_EQ_STR(data_of(e), "{\"a\":\"[REDACTED]\"}");
    CHECK_EQ_INT(ce_event_validate(e, NULL, 0), 0);
    ce_event_destroy(e);
    cer_mask_destroy(m);
}

TEST(text_and_binary_data)
{
    cer_mask *m = mk_mask(NULL, 0, CER_CONFIG_DETECT_ALL, false);
    ce_event *e = mk_event(NULL, "{}");
    const char *text = "Hi, I'm jane@acme.com, card 4111 1111 1111 1111. Thanks!";
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_TEXT, text, strlen(text), NULL, 0), 0);
    cer_mask_result res;
    CHECK_EQ_INT(cer_mask_apply(m, e, &res, NULL, 0), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_TEXT);
    CHECK_EQ_STR(data_of(e), "Hi, I'm [REDACTED:email], card [REDACTED:card]. Thanks!");
    CHECK_EQ_INT(res.detections, 2);
    /* Binary data is opaque: untouched. */
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_BINARY, text, strlen(text), NULL, 0), 0);
    CHECK_EQ_INT(cer_mask_apply(m, e, &res, NULL, 0), 0);
    CHECK(!res.changed);
    CHECK_EQ_STR(data_of(e), text);
    cer_mask_destroy(m);
    /* A rule on /data applies to text as a whole. */
    cer_config_mask_rule r[] = {RULE("t", "/data", TRUNCATE, 7)};
    m = mk_mask(r, 1, CER_CONFIG_DETECT_ALL, false);
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_TEXT, text, strlen(text), NULL, 0), 0);
    CHECK_EQ_INT(cer_mask_apply(m, e, &res, NULL, 0), 0);
    CHECK_EQ_STR(data_of(e), "Hi, I'm");
    CHECK_EQ_INT(res.rules, 1);
    cer_mask_destroy(m);
    cer_config_mask_rule d[] = {RULE("t", "/data", DROP, 0)};
    m = mk_mask(d, 1, 0, false);
    CHECK_EQ_INT(ce_event_set_data(e, CE_DATA_TEXT, text, strlen(text), NULL, 0), 0);
    CHECK_EQ_INT(cer_mask_apply(m, e, &res, NULL, 0), 0);
    CHECK_EQ_INT(ce_event_data_kind(e), CE_DATA_NONE);
    ce_event_destroy(e);
    cer_mask_destroy(m);
}

TEST(apply_argument_errors)
{
    cer_mask *m = mk_mask(NULL, 0, 0, false);
    char err[128];
    CHECK_EQ_INT(cer_mask_apply(NULL, NULL, NULL, err, sizeof err), CE_EINVAL);
    CHECK_EQ_INT(cer_mask_apply(m, NULL, NULL, err, sizeof err), CE_EINVAL);
    CHECK_CONTAINS(err, "NULL event");
    ce_buf out;
    ce_buf_init(&out);
    CHECK_EQ_INT(cer_mask_text(NULL, "x", 1, &out, NULL), CE_EINVAL);
    CHECK_EQ_INT(cer_mask_text(m, "plain", 5, &out, NULL), 0);
    CHECK_EQ_MEM(out.ptr, out.len, "plain", 5);
    ce_buf_free(&out);
    CHECK(cer_mask_detector_name(-1) == NULL);
    CHECK(cer_mask_detector_name(CER_MASK_NDETECTORS) == NULL);
    CHECK_EQ_STR(cer_mask_detector_name(CER_MASK_DET_API_KEY), "api_key");
    CHECK_EQ_INT(cer_mask_rule_count(m), 0);
    CHECK(cer_mask_rule_name(m, 0) == NULL);
    cer_mask_destroy(m);
}
