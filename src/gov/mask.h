/* PII masking at the edge (docs/masking.md): configured rules (redact, hash, truncate, drop) on
 * data members, subject and extensions; pattern detectors that replace e-mail addresses, phone
 * numbers, card numbers, IPs, SSNs, keys and tokens inside strings; and fail-closed dropping of
 * prompt/response content. Internal API of cerelay_gov; prefix cer_mask_. */
#ifndef CER_GOV_MASK_H
#define CER_GOV_MASK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"
#include "gov/config.h"

/* The detectors, in the bit order of CER_CONFIG_DETECT_* (detector d is bit 1u << d). */
typedef enum cer_mask_detector {
    CER_MASK_DET_EMAIL = 0,
    CER_MASK_DET_PHONE,
    CER_MASK_DET_CARD,
    CER_MASK_DET_IP,
    CER_MASK_DET_SSN,
    CER_MASK_DET_AWS_KEY,
    CER_MASK_DET_JWT,
    CER_MASK_DET_BEARER,
    CER_MASK_DET_API_KEY,
    CER_MASK_DET_SECRET,
    CER_MASK_NDETECTORS
} cer_mask_detector;

/* Caps. Data nested deeper than CER_MASK_MAX_DEPTH fails with CE_EDEPTH (the core accepts no
 * deeper data either); masked data may grow to max(8 x the input, CER_MASK_MIN_OUTPUT_CAP)
 * bytes before the call fails with CE_ETOOBIG. */
#define CER_MASK_MAX_DEPTH      64u
#define CER_MASK_MIN_OUTPUT_CAP ((size_t)1 << 20)
/* What replaces a value (redact) and a detected substring ("[REDACTED:email]"). */
#define CER_MASK_REDACTED "[REDACTED]"

typedef struct cer_mask cer_mask;

/* What one cer_mask_apply call did to its event. Counts only, never values. */
typedef struct cer_mask_result {
    bool changed;             /* the event was modified */
    uint32_t rules;           /* values changed or removed by rules */
    uint32_t content_dropped; /* prompt/response members removed (fail closed) */
    uint32_t detections;      /* substrings (or secret-named values) replaced by detectors */
    uint32_t by_detector[CER_MASK_NDETECTORS];
} cer_mask_result;

/* Totals since cer_mask_new, over every thread (read with relaxed atomics: each field is exact,
 * a snapshot of several fields may straddle a concurrent call). */
typedef struct cer_mask_counters {
    uint64_t events;          /* successful cer_mask_apply calls */
    uint64_t changed;         /* ... that modified their event */
    uint64_t failed;          /* calls that returned an error */
    uint64_t content_dropped; /* content members removed */
    uint64_t detector[CER_MASK_NDETECTORS];
} cer_mask_counters;

/* Compile `cfg` (NULL: every detector on, no rules, content dropped). Checks every rule and
 * reports the first problem naming the rule ("rule 'user-id': action hash needs masking.key"):
 * a missing name or path, a path that is not /data[/<JSON pointer>], /subject or /ext/<name>
 * (the eight spec attributes cannot be addressed as extensions), an unknown action, a hash rule
 * without a key, a truncate rule with length < 1, a hash rule with length < 0. The key and the
 * rules are copied: cfg may be freed afterwards. Returns NULL on error (errstr says why;
 * "out of memory" for CE_ENOMEM). */
cer_mask *cer_mask_new(const cer_config_masking *cfg, char *errstr, size_t errstr_size);

/* Free `m` (NULL is a no-op). The key is wiped first. */
void cer_mask_destroy(cer_mask *m);

/* Mask `ev` in place. Rules first (in configuration order; the first rule whose path matches a
 * value decides it), then content dropping, then detectors over what is left. id, source, type,
 * specversion, time, datacontenttype and dataschema are never changed; data that nothing
 * changes keeps its exact bytes; changed JSON data is re-serialised compactly with members in
 * their original order. `res` (may be NULL) receives the per-event counts.
 * Returns 0, CE_EINVAL (NULL m or ev), CE_EDEPTH, CE_ETOOBIG or CE_ENOMEM. On an error found
 * while the masked values are computed (all of them, in practice) the event is unchanged; if
 * memory runs out while they are stored the event may be partly masked (values already
 * replaced stay replaced, none comes back). Either way a failed event must not be forwarded.
 * errstr names the place ("data: nesting deeper than 64") and never a value.
 * Thread-safe: any number of threads may share one cer_mask (each call uses its own scratch
 * memory); one event must not be used by two threads at once. */
int cer_mask_apply(cer_mask *m, ce_event *ev, cer_mask_result *res, char *errstr,
                   size_t errstr_size);

/* Run the detectors of `m` over text s[0..n) (valid UTF-8 or not: bytes are matched as ASCII)
 * and append the masked text to `out`. Returns the number of replacements (0: out holds a
 * copy of the text), or CE_ENOMEM/CE_ETOOBIG. `by_detector` (may be NULL) gets per-detector
 * counts added. Does not touch the counters of `m`. Thread-safe. */
long cer_mask_text(const cer_mask *m, const char *s, size_t n, ce_buf *out,
                   uint32_t by_detector[CER_MASK_NDETECTORS]);

/* Copy the counters into *out and the first `n` per-rule counts (values each rule changed or
 * removed, in rule order) into rule_hits (may be NULL when n is 0). Thread-safe. */
void cer_mask_stats(const cer_mask *m, cer_mask_counters *out, uint64_t *rule_hits, size_t n);

/* Number of rules, and the name of rule i (NULL when out of range). */
size_t cer_mask_rule_count(const cer_mask *m);
const char *cer_mask_rule_name(const cer_mask *m, size_t i);

/* "email", "phone", "card", "ip", "ssn", "aws_key", "jwt", "bearer", "api_key", "secret", or
 * NULL when `det` is out of range. */
const char *cer_mask_detector_name(int det);

/* HMAC-SHA256 of msg with key (the hash action's primitive). Returns 0 or CE_ENOMEM. */
int cer_mask_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                         unsigned char out[32]);

/* ---------------------------------------------------------------------------------------------
 * Internal to src/gov/mask*.c.
 * ------------------------------------------------------------------------------------------ */

enum { CER__MASK_DATA = 1, CER__MASK_SUBJECT, CER__MASK_EXT };

/* One step of a /data path: a member name (or array index when idx >= 0), or "*". */
typedef struct cer__mask_seg {
    const char *s;
    size_t n;
    long idx; /* the segment as an array index, -1 when it is not one */
    bool wild;
} cer__mask_seg;

typedef struct cer__mask_rule {
    const char *name;
    int target;      /* CER__MASK_DATA, _SUBJECT or _EXT */
    const char *ext; /* the extension name for CER__MASK_EXT */
    cer__mask_seg *segs;
    size_t nseg;   /* 0 for /data itself */
    int action;    /* cer_config_mask_action */
    size_t length; /* truncate: characters kept; hash: hex digits kept (1-64) */
    void *mem;     /* everything above points into this block */
} cer__mask_rule;

struct cer_mask {
    unsigned char *key;
    size_t key_len;
    void *hmac_inner, *hmac_outer; /* EVP_MD_CTX: SHA-256 after (key ^ ipad), (key ^ opad) */
    cer__mask_rule *rules;
    size_t nrules;
    unsigned dets;
    bool allow_content;
    size_t max_rule_depth; /* deepest /data rule, in segments */
    _Atomic uint64_t events, changed, failed, content_dropped;
    _Atomic uint64_t det[CER_MASK_NDETECTORS];
    _Atomic uint64_t *rule_hits;
};

/* mask_json.c: mask JSON data in[0..len) (already valid JSON). On success *changed tells whether
 * anything changed; if so out holds the new data, or *dropped is set when a rule dropped /data
 * itself. Counts go to res and rule_hits[rule]. Returns 0, CE_EDEPTH, CE_ETOOBIG, CE_ENOMEM or
 * CE_ESYNTAX, with errstr naming the place, never a value. */
int cer__mask_json(const cer_mask *m, const char *in, size_t len, ce_buf *out, bool *changed,
                   bool *dropped, cer_mask_result *res, uint32_t *rule_hits, char *errstr,
                   size_t errstr_size);

/* mask.c: write "hmac:" and the rule's number of hex digits of HMAC-SHA256(key, s[0..n)) to
 * text. Returns the length (at most CER__MASK_HASH_MAX) or CE_ENOMEM. */
#define CER__MASK_HASH_MAX (5 + 64)
int cer__mask_hash(const cer_mask *m, const cer__mask_rule *r, const char *s, size_t n,
                   char text[CER__MASK_HASH_MAX]);

/* One match: bytes [start, end) of the scanned text belong to detector `det`. */
typedef struct cer__mask_hit {
    size_t start, end;
    int det;
} cer__mask_hit;

/* The detector scanner over s[0..n): call cer__mask_next until it returns false. Matches come
 * left to right and never overlap. The text after a match is scanned as if it began there (as
 * it does in the masked output, after a placeholder's ']'), so masking twice finds nothing
 * new. Each position is tried a bounded number of times and every
 * detector reads a bounded window (or a run that the next attempt starts after), so a scan is
 * linear in n. */
typedef struct cer__mask_scan {
    const char *s;  /* the text after the last match (the whole text at first) */
    size_t n, pos;  /* its length, and where the scan goes on in it */
    size_t base;    /* offset of s in the text */
    unsigned dets;  /* bit set of cer_mask_detector */
    size_t next_at; /* cached position of the next '@' in s at or after pos (n = none) */
} cer__mask_scan;

void cer__mask_scan_init(cer__mask_scan *sc, const char *s, size_t n, unsigned dets);
bool cer__mask_next(cer__mask_scan *sc, cer__mask_hit *hit);

/* Detectors in mask_secret.c, tried at a token start i (s[i-1], if any, is not alphanumeric).
 * Each returns true and fills hit when a match starts at i (hit->start may be later: the value
 * after "Bearer " or "password="). */
bool cer__mask_jwt(const char *s, size_t n, size_t i, cer__mask_hit *hit);
bool cer__mask_bearer(const char *s, size_t n, size_t i, cer__mask_hit *hit);
bool cer__mask_api_key(const char *s, size_t n, size_t i, cer__mask_hit *hit);
bool cer__mask_aws_key(const char *s, size_t n, size_t i, cer__mask_hit *hit);
bool cer__mask_secret_kv(const char *s, size_t n, size_t i, cer__mask_hit *hit);
bool cer__mask_secret_token(const char *s, size_t n, size_t i, cer__mask_hit *hit);
bool cer__mask_pem(const char *s, size_t n, size_t i, cer__mask_hit *hit);

/* True when a JSON member name (decoded) names a secret ("password", "api_key", "clientSecret"):
 * the secret detector then replaces its whole string value. */
bool cer__mask_secret_name(const char *k, size_t n);

/* Scrub s[0..n) with detector set `dets`: when something matches, append the masked text to out
 * and return the number of replacements (counts[d] incremented per replacement); 0 when nothing
 * matched (out untouched); or CE_ENOMEM/CE_ETOOBIG. */
long cer__mask_scrub(const char *s, size_t n, unsigned dets, ce_buf *out, uint32_t *counts);

/* mask.c: run the detectors over s[0..n), then keep the first `limit` characters of the result
 * (0: all of it; a cut never splits a "[REDACTED:...]" placeholder). When the result differs
 * from s it is appended to out and *changed is set; *cut tells whether the cut removed
 * anything. Detections are counted in res. Returns 0, CE_ENOMEM or CE_ETOOBIG. */
int cer__mask_string(const cer_mask *m, const char *s, size_t n, size_t limit, ce_buf *out,
                     cer_mask_result *res, bool *cut, bool *changed);

/* Number of bytes of the first `chars` UTF-8 characters of s[0..n) (n when shorter). */
size_t cer__mask_utf8_prefix(const char *s, size_t n, size_t chars);

#endif
