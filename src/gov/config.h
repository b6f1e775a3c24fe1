/* The `policy:` and `masking:` sections of the relay configuration (docs/config.md): plain
 * typed structs that src/gov consumes and src/relay/config.c fills. They live here, in the gov
 * layer, so that gov does not include the relay's headers (the relay includes this one).
 * Strings are owned by the cer_config they came from; prefix cer_config_ as in relay/config.h. */
#ifndef CER_GOV_CONFIG_H
#define CER_GOV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* policy.default, policy.rules[].action and policy.opa.fail. */
typedef enum cer_config_verdict { CER_CONFIG_ALLOW = 1, CER_CONFIG_DENY } cer_config_verdict;

typedef enum cer_config_mask_action {
    CER_CONFIG_MASK_REDACT = 1,
    CER_CONFIG_MASK_HASH,
    CER_CONFIG_MASK_TRUNCATE,
    CER_CONFIG_MASK_DROP
} cer_config_mask_action;

/* masking.detectors: a set of these bits. */
enum {
    CER_CONFIG_DETECT_EMAIL = 1u << 0,
    CER_CONFIG_DETECT_PHONE = 1u << 1,
    CER_CONFIG_DETECT_CARD = 1u << 2,
    CER_CONFIG_DETECT_IP = 1u << 3,
    CER_CONFIG_DETECT_SSN = 1u << 4,
    CER_CONFIG_DETECT_AWS_KEY = 1u << 5,
    CER_CONFIG_DETECT_JWT = 1u << 6,
    CER_CONFIG_DETECT_BEARER = 1u << 7,
    CER_CONFIG_DETECT_API_KEY = 1u << 8,
    CER_CONFIG_DETECT_SECRET = 1u << 9,
    CER_CONFIG_DETECT_ALL = (1u << 10) - 1
};

typedef struct cer_config_rule {
    const char *name;
    int action;       /* cer_config_verdict */
    const char *when; /* CESQL; compiled and checked at load time */
} cer_config_rule;

typedef struct cer_config_policy {
    int default_action; /* YAML `default`; cer_config_verdict */
    cer_config_rule *rules;
    size_t nrules;
    struct {
        const char *url, *path;
        uint64_t timeout_ms, cache_ttl_ms;
        int fail; /* cer_config_verdict */
    } opa;
    bool dead_letter;
} cer_config_policy;

typedef struct cer_config_mask_rule {
    const char *name;
    const char *path; /* /data..., /subject or /ext/NAME */
    int action;       /* cer_config_mask_action */
    int64_t length;
} cer_config_mask_rule;

typedef struct cer_config_masking {
    const char *key; /* secret: HMAC key for `hash` */
    cer_config_mask_rule *rules;
    size_t nrules;
    unsigned detectors; /* CER_CONFIG_DETECT_* */
    bool allow_content;
} cer_config_masking;

#endif
