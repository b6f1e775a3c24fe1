/* libFuzzer target for PII masking (src/gov/mask*.c). The first two bytes choose a rule set,
 * allow_content and the detectors; the rest is the event's data, as JSON when the core accepts
 * it, else as text. After cer_mask_apply: JSON data is still one valid JSON value, text is valid
 * UTF-8, the event validates and re-decodes, id/source/type/time are unchanged, a second pass
 * with a hash- and truncate-free mask changes nothing, and unchanged data keeps its exact bytes.
 * The detector scanner alone runs over the raw bytes and must return ordered, in-bounds, disjoint
 * matches. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gov/mask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define R(n, p, a, l)                                                                              \
    {                                                                                              \
        .name = n, .path = p, .action = CER_CONFIG_MASK_##a, .length = l                           \
    }
static cer_config_mask_rule set0[] = {R("a", "/data/a", REDACT, 0), R("b", "/data/*/b", DROP, 0),
                                      R("t", "/data/*", TRUNCATE, 3), R("s", "/subject", DROP, 0)};
static cer_config_mask_rule set1[] = {R("h", "/data/0", HASH, 8), R("w", "/data/*/*", REDACT, 0),
                                      R("x", "/ext/x", HASH, 0),
                                      R("p", "/data/prompt", TRUNCATE, 2)};
static cer_config_mask_rule set2[] = {R("d", "/data", DROP, 0)};
static cer_config_mask_rule set3[] = {R("t", "/data", TRUNCATE, 5), R("s", "/subject", TRUNCATE, 1),
                                      R("e", "/data/~1~0/*/", REDACT, 0)};
static cer_config_mask_rule set4[] = {R("a", "/data/*/a", REDACT, 0), R("b", "/data/b", DROP, 0),
                                      R("s", "/subject", REDACT, 0), R("x", "/ext/n", DROP, 0)};
/* fixed: masking twice changes nothing more (no hash, whose output hashes anew; no truncate,
 * whose cut may end in something that now looks like an address) */
static const struct {
    cer_config_mask_rule *r;
    size_t n;
    bool fixed;
} sets[] = {{NULL, 0, true}, {set0, 4, false}, {set1, 4, false},
            {set2, 1, true}, {set3, 3, false}, {set4, 4, true}};

static void check_scan(const char *s, size_t n, unsigned dets)
{
    cer__mask_scan sc;
    cer__mask_hit h;
    size_t last = 0;
    cer__mask_scan_init(&sc, s, n, dets);
    while (cer__mask_next(&sc, &h)) {
        if (h.start < last || h.end <= h.start || h.end > n || h.det < 0 ||
            h.det >= CER_MASK_NDETECTORS || !(dets & (1u << h.det)))
            abort();
        last = h.end;
    }
}

static ce_event *make(const uint8_t *d, size_t n)
{
    ce_event *e = ce_event_new();
    if (!e || ce_event_set_str(e, "specversion", "1.0", NULL, 0) ||
        ce_event_set_str(e, "id", "evt-1", NULL, 0) ||
        ce_event_set_str(e, "source", "https://orders.acme.com", NULL, 0) ||
        ce_event_set_str(e, "type", "io.coresdk.policy.decision", NULL, 0) ||
        ce_event_set_str(e, "time", "2026-03-19T14:35:00Z", NULL, 0) ||
        ce_event_set_str(e, "subject", "tenant/acme/user/jane@acme.com", NULL, 0) ||
        ce_event_set_str(e, "x", "10.0.0.1", NULL, 0) || ce_event_set_int(e, "n", 7, NULL, 0))
        abort();
    if (ce_event_set_data(e, CE_DATA_JSON, d, n, NULL, 0) &&
        ce_event_set_data(e, CE_DATA_TEXT, d, n, NULL, 0)) {
        ce_event_destroy(e);
        return NULL;
    }
    return e;
}

static void same_attr(const ce_event *e, const char *name, const char *want)
{
    ce_slice s = ce_event_get_str(e, name);
    if (s.len != strlen(want) || memcmp(s.ptr, want, s.len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned sel = data[0] % (sizeof sets / sizeof *sets);
    bool allow = data[0] & 0x80;
    unsigned dets = ((unsigned)data[1] << 2 | (data[0] >> 5 & 3)) & CER_CONFIG_DETECT_ALL;
    if ((data[0] & 0x60) == 0x60)
        dets = CER_CONFIG_DETECT_ALL;
    data += 2;
    size -= 2;
    check_scan((const char *)data, size, CER_CONFIG_DETECT_ALL);

    cer_config_masking cfg = {.key = "fuzz-key",
                              .rules = sets[sel].r,
                              .nrules = sets[sel].n,
                              .detectors = dets,
                              .allow_content = allow};
    cer_mask *m = cer_mask_new(&cfg, NULL, 0);
    if (!m)
        abort();
    ce_event *e = make(data, size);
    if (!e) {
        cer_mask_destroy(m);
        return 0;
    }
    ce_data_kind kind = ce_event_data_kind(e);
    char err[256];
    cer_mask_result res;
    int rc = cer_mask_apply(m, e, &res, err, sizeof err);
    if (rc != 0 && rc != CE_ETOOBIG && rc != CE_EDEPTH)
        abort();
    if (rc == 0) {
        ce_slice d = ce_event_data(e);
        ce_data_kind k = ce_event_data_kind(e);
        if (k == CE_DATA_JSON && ce_json_check(d.ptr, d.len, CER_MASK_MAX_DEPTH, NULL, 0))
            abort();
        if (k != kind && k != CE_DATA_NONE)
            abort();
        if (!res.changed && (d.len != size || (size && memcmp(d.ptr, data, size) != 0)))
            abort();
        same_attr(e, "id", "evt-1");
        same_attr(e, "source", "https://orders.acme.com");
        same_attr(e, "type", "io.coresdk.policy.decision");
        same_attr(e, "time", "2026-03-19T14:35:00Z");
        same_attr(e, "specversion", "1.0");
        if (ce_event_validate(e, NULL, 0))
            abort();
        ce_buf enc;
        ce_buf_init(&enc);
        ce_event *back = NULL;
        if (ce_json_encode(e, 0, &enc, NULL, 0) ||
            ce_json_decode(enc.ptr, enc.len, NULL, &back, NULL, 0))
            abort();
        ce_event_destroy(back);
        ce_buf_free(&enc);
        if (sets[sel].fixed) {
            cer_mask_result again;
            if (cer_mask_apply(m, e, &again, NULL, 0) || again.changed)
                abort();
        }
    }
    ce_event_destroy(e);
    cer_mask_destroy(m);
    return 0;
}
