/* Tests of the relay's governance step (src/relay/gov.c): ownership of the events on every
 * return, in particular a batch [policy-denied, catalog-rejected] (a use-after-free before). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "relay/relay.h"

static const char cfg_text[] = "binding: stdout\n"
                               "catalog:\n"
                               "  mode: warn\n"
                               "  types:\n"
                               "    eventzr.llm.usage.v1: enforce\n"
                               "policy:\n"
                               "  default: allow\n"
                               "  rules:\n"
                               "    - name: no-prompts\n"
                               "      action: deny\n"
                               "      when: \"type LIKE 'eventzr.llm.prompt.%'\"\n";

static ce_event *ev(const char *json)
{
    ce_event *e = NULL;
    char err[256];
    if (ce_json_decode(json, strlen(json), NULL, &e, err, sizeof err) != 0)
        cer_test_fail(__FILE__, __LINE__, "decode: %s", err);
    return e;
}

#define PROMPT                                                                                     \
    "{\"specversion\":\"1.0\",\"id\":\"p1\",\"source\":\"/s\",\"type\":\"eventzr.llm.prompt.v1\"}"
#define BAD_USAGE                                                                                  \
    "{\"specversion\":\"1.0\",\"id\":\"u1\",\"source\":\"/s\",\"type\":\"eventzr.llm.usage.v1\","  \
    "\"datacontenttype\":\"application/json\",\"data\":{\"inputTokens\":-5}}"
#define PLAIN "{\"specversion\":\"1.0\",\"id\":\"a1\",\"source\":\"/s\",\"type\":\"t.one\"}"

/* The caller frees evs[0..n) after any return: with ASan, a double free or use-after-free
 * shows up here. */
TEST(denied_then_catalog_rejected_frees_once)
{
    static relay R;
    char err[512];
    CHECK_EQ_INT(
        cer_config_load_string(cfg_text, sizeof cfg_text - 1, "t.yaml", &R.cfg, err, sizeof err),
        0);
    atomic_store(&R.live, &R.cfg);
    CHECK_EQ_INT(relay_gov_init(&R, &R.cfg, err, sizeof err), 0);
    ce_event *evs[3] = {ev(PROMPT), ev(BAD_USAGE), ev(PLAIN)};
    size_t n = 3, denied = 0, bad = 99;
    int rc = relay_govern(&R, evs, &n, &denied, &bad, err, sizeof err);
    CHECK(rc != 0);
    CHECK_EQ_INT(bad, 1);
    CHECK_CONTAINS(err, "inputTokens");
    /* what the caller still owns: the events not destroyed */
    CHECK(n <= 3);
    for (size_t i = 0; i < n; i++) {
        CHECK(evs[i] != NULL);
        ce_event_destroy(evs[i]);
    }
    relay_gov_close();
    cer_config_free(&R.cfg);
}

TEST(denied_events_removed_on_success)
{
    static relay R;
    char err[512];
    CHECK_EQ_INT(
        cer_config_load_string(cfg_text, sizeof cfg_text - 1, "t.yaml", &R.cfg, err, sizeof err),
        0);
    atomic_store(&R.live, &R.cfg);
    CHECK_EQ_INT(relay_gov_init(&R, &R.cfg, err, sizeof err), 0);
    ce_event *evs[3] = {ev(PROMPT), ev(PLAIN), ev(PROMPT)};
    size_t n = 3, denied = 0, bad = 99;
    CHECK_EQ_INT(relay_govern(&R, evs, &n, &denied, &bad, err, sizeof err), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(denied, 2);
    ce_slice id = ce_event_get_str(evs[0], "id");
    CHECK_EQ_MEM(id.ptr, id.len, "a1", 2);
    for (size_t i = 0; i < n; i++)
        ce_event_destroy(evs[i]);
    relay_gov_close();
    cer_config_free(&R.cfg);
}
