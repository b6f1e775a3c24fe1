/* Pieces of the egress policy shared between src/gov/policy*.c: the OPA client
 * (policy_opa.c) and the decision cache (policy_cache.c). Not for use outside src/gov/ and
 * its tests. */
#ifndef CER_GOV_POLICY_INTERNAL_H
#define CER_GOV_POLICY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce.h"

/* ---- OPA client (policy_opa.c) ------------------------------------------------------------ */
typedef struct cer__opa cer__opa;

/* A client for `POST {url}/v1/data/{path}` with a per-request timeout (connect included).
 * NULL with errstr on a bad argument or allocation failure. Thread-safe to use. */
cer__opa *cer__opa_new(const char *url, const char *path, uint64_t timeout_ms, char *errstr,
                       size_t errstr_size);
void cer__opa_destroy(cer__opa *o);

/* Ask OPA about (type, subject); subject.ptr NULL = the event has none (input.subject is
 * then left out). Returns 1 (allow), 0 (deny) or -1 (OPA could not be asked or answered
 * garbage; `reason` says why). For 0, `reason` may hold a note ("OPA decision undefined"). */
int cer__opa_ask(cer__opa *o, ce_slice type, ce_slice subject, char *reason, size_t reason_size);

/* The request body: {"input":{"event_type":"...","subject":"..."}}. Returns 0 or CE_ENOMEM. */
int cer__opa_input(ce_buf *out, ce_slice type, ce_slice subject);
/* Read a response body: 1 when result.allow == true or result == true, 0 for any other
 * well-formed object, -1 (reason set) when it is not a JSON object. */
int cer__opa_parse(const char *body, size_t len, char *reason, size_t reason_size);

/* ---- decision cache (policy_cache.c) ----------------------------------------------------- */
typedef struct cer__pcache cer__pcache;

/* A cache of at most `entries` (rounded up to a multiple of its associativity) verdicts keyed
 * by (type, subject), each kept ttl_ms. Least recently used entries of a set go first. NULL
 * on allocation failure. Thread-safe (lock striping). */
cer__pcache *cer__pcache_new(size_t entries, uint64_t ttl_ms);
void cer__pcache_destroy(cer__pcache *c);
/* 1 and *allow on a live hit, else 0. */
int cer__pcache_get(cer__pcache *c, ce_slice type, ce_slice subject, int64_t now_ms, int *allow);
/* Remember `allow`; silently does nothing when out of memory. */
void cer__pcache_put(cer__pcache *c, ce_slice type, ce_slice subject, int64_t now_ms, int allow);
/* Entries held now (live or expired but not yet replaced). */
size_t cer__pcache_size(cer__pcache *c);
/* Capacity in entries. */
size_t cer__pcache_capacity(const cer__pcache *c);

#endif
