/* Helpers shared by the masking tests (tests/gov/test_mask*.c): events from JSON text, masks
 * from rule tables, and "mask this event, compare its canonical JSON". */
#ifndef CER_TEST_MASK_UTIL_H
#define CER_TEST_MASK_UTIL_H

#include <stdlib.h>

#include "cerelay/ce.h"
#include "gov/mask.h"
#include "harness.h"

#define RULE(n, p, a, l)                                                                           \
    {                                                                                              \
        .name = (n), .path = (p), .action = CER_CONFIG_MASK_##a, .length = (l)                     \
    }
#define NRULES(r) (sizeof(r) / sizeof *(r))

/* A mask over `rules` with key "k3y", the given detectors and allow_content; fails the test
 * (and returns NULL) when it does not compile. */
static inline cer_mask *mk_mask(cer_config_mask_rule *rules, size_t n, unsigned dets, bool allow)
{
    cer_config_masking c = {
        .key = "k3y", .rules = rules, .nrules = n, .detectors = dets, .allow_content = allow};
    char err[256];
    cer_mask *m = cer_mask_new(&c, err, sizeof err);
    if (!m)
        cer_test_fail(__FILE__, __LINE__, "cer_mask_new: %s", err);
    return m;
}

/* A structured event around `data` (JSON) with a subject and extensions given as JSON members
 * (e.g. "\"clientip\":\"10.0.0.1\","), or NULL on failure. */
static inline ce_event *mk_event(const char *extra_members, const char *data)
{
    char buf[16384];
    snprintf(buf, sizeof buf,
             "{\"specversion\":\"1.0\",\"id\":\"evt-1\",\"source\":\"https://orders.acme.com\","
             "\"type\":\"io.coresdk.policy.decision\",\"time\":\"2026-03-19T14:35:00Z\",%s"
             "\"datacontenttype\":\"application/json\",\"data\":%s}",
             extra_members ? extra_members : "", data);
    ce_event *e = NULL;
    char err[256];
    if (ce_json_decode(buf, strlen(buf), NULL, &e, err, sizeof err))
        cer_test_fail(__FILE__, __LINE__, "decode: %s", err);
    return e;
}

/* The event's data as a NUL-terminated copy (static buffer). */
static inline const char *data_of(const ce_event *e)
{
    static char buf[65536];
    ce_slice d = ce_event_data(e);
    size_t n = d.len < sizeof buf - 1 ? d.len : sizeof buf - 1;
    if (n)
        memcpy(buf, d.ptr, n);
    buf[n] = '\0';
    return buf;
}

/* Attribute `name` as a string ("" when unset; static buffer). */
static inline const char *attr_of(const ce_event *e, const char *name)
{
    static char buf[4096];
    ce_slice s = ce_event_get_str(e, name);
    size_t n = s.len < sizeof buf - 1 ? s.len : sizeof buf - 1;
    if (n)
        memcpy(buf, s.ptr, n);
    buf[n] = '\0';
    return buf;
}

/* Mask data `in` with m and return the resulting data (static buffer); rc and res optional. */
static inline const char *mask_data(cer_mask *m, const char *in, cer_mask_result *res)
{
    ce_event *e = mk_event(NULL, in);
    if (!e)
        return "";
    char err[256];
    int rc = cer_mask_apply(m, e, res, err, sizeof err);
    if (rc)
        cer_test_fail(__FILE__, __LINE__, "apply: %s", err);
    const char *out = data_of(e);
    ce_event_destroy(e);
    return out;
}

#endif
