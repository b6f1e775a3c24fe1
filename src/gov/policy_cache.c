/* The OPA decision cache: verdicts keyed by (type, subject), kept for a TTL, bounded in size.
 * Set-associative: a key hashes to one set of WAYS entries; a full set replaces an expired
 * entry, else its least recently used one. Sets are guarded by striped mutexes. */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gov/policy_internal.h"

#define WAYS    8u
#define STRIPES 64u

typedef struct centry {
    char *key; /* NULL = empty slot */
    size_t keylen;
    uint64_t hash;
    int64_t expires_ms, used_ms;
    int allow;
} centry;

struct cer__pcache {
    size_t nsets;
    uint64_t ttl_ms;
    centry *e; /* nsets * WAYS */
    atomic_size_t size;
    pthread_mutex_t mu[STRIPES];
};

/* Key bytes: the type's length (8 bytes), the type, a presence byte, the subject. */
static size_t key_len(ce_slice type, ce_slice subject)
{
    return sizeof(uint64_t) + type.len + 1 + (subject.ptr ? subject.len : 0);
}

static void key_write(char *k, ce_slice type, ce_slice subject)
{
    uint64_t tl = type.len;
    memcpy(k, &tl, sizeof tl);
    k += sizeof tl;
    if (type.len)
        memcpy(k, type.ptr, type.len);
    k += type.len;
    *k++ = subject.ptr ? 1 : 0;
    if (subject.ptr && subject.len)
        memcpy(k, subject.ptr, subject.len);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t key_hash(ce_slice type, ce_slice subject)
{
    uint64_t h = 14695981039346656037ull;
    h = fnv(h, type.ptr ? type.ptr : "", type.len);
    h = fnv(h, subject.ptr ? "\1" : "\0", 1);
    if (subject.ptr)
        h = fnv(h, subject.ptr, subject.len);
    h ^= h >> 33; /* spread the low bits used for the set index */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static int key_eq(const centry *e, uint64_t h, ce_slice type, ce_slice subject)
{
    if (!e->key || e->hash != h || e->keylen != key_len(type, subject))
        return 0;
    uint64_t tl;
    memcpy(&tl, e->key, sizeof tl);
    if (tl != type.len)
        return 0;
    const char *k = e->key + sizeof tl;
    if (type.len && memcmp(k, type.ptr, type.len) != 0)
        return 0;
    k += type.len;
    if (*k++ != (subject.ptr ? 1 : 0))
        return 0;
    return !subject.ptr || !subject.len || memcmp(k, subject.ptr, subject.len) == 0;
}

cer__pcache *cer__pcache_new(size_t entries, uint64_t ttl_ms)
{
    if (entries == 0)
        return NULL;
    cer__pcache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->nsets = (entries + WAYS - 1) / WAYS;
    c->ttl_ms = ttl_ms;
    c->e = calloc(c->nsets * WAYS, sizeof *c->e);
    if (!c->e) {
        free(c);
        return NULL;
    }
    for (unsigned i = 0; i < STRIPES; i++)
        pthread_mutex_init(&c->mu[i], NULL);
    return c;
}

void cer__pcache_destroy(cer__pcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nsets * WAYS; i++)
        free(c->e[i].key);
    for (unsigned i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&c->mu[i]);
    free(c->e);
    free(c);
}

int cer__pcache_get(cer__pcache *c, ce_slice type, ce_slice subject, int64_t now_ms, int *allow)
{
    uint64_t h = key_hash(type, subject);
    size_t set = (size_t)(h % c->nsets);
    centry *s = &c->e[set * WAYS];
    int hit = 0;
    pthread_mutex_lock(&c->mu[set % STRIPES]);
    for (unsigned i = 0; i < WAYS; i++) {
        if (key_eq(&s[i], h, type, subject)) {
            if (now_ms < s[i].expires_ms) {
                s[i].used_ms = now_ms;
                *allow = s[i].allow;
                hit = 1;
            }
            break;
        }
    }
    pthread_mutex_unlock(&c->mu[set % STRIPES]);
    return hit;
}

void cer__pcache_put(cer__pcache *c, ce_slice type, ce_slice subject, int64_t now_ms, int allow)
{
    uint64_t h = key_hash(type, subject);
    size_t set = (size_t)(h % c->nsets);
    centry *s = &c->e[set * WAYS];
    size_t klen = key_len(type, subject);
    char *k = malloc(klen); /* made before locking; freed below if an entry already matches */
    if (!k)
        return;
    key_write(k, type, subject);
    pthread_mutex_lock(&c->mu[set % STRIPES]);
    centry *victim = NULL;
    for (unsigned i = 0; i < WAYS; i++) {
        if (key_eq(&s[i], h, type, subject)) {
            victim = &s[i];
            break;
        }
        if (!s[i].key) {
            if (!victim || victim->key)
                victim = &s[i];
        } else if (!victim || (victim->key &&
                               (s[i].expires_ms <= now_ms ||
                                (victim->expires_ms > now_ms && s[i].used_ms < victim->used_ms)))) {
            victim = &s[i];
        }
    }
    assert(victim);
    if (victim->key && key_eq(victim, h, type, subject)) {
        free(k); /* same key: refresh in place */
    } else {
        if (victim->key)
            free(victim->key);
        else
            atomic_fetch_add_explicit(&c->size, 1, memory_order_relaxed);
        victim->key = k;
        victim->keylen = klen;
        victim->hash = h;
    }
    victim->allow = allow;
    victim->expires_ms = now_ms + (int64_t)c->ttl_ms;
    victim->used_ms = now_ms;
    pthread_mutex_unlock(&c->mu[set % STRIPES]);
}

size_t cer__pcache_size(cer__pcache *c)
{
    return atomic_load_explicit(&c->size, memory_order_relaxed);
}

size_t cer__pcache_capacity(const cer__pcache *c)
{
    return c->nsets * WAYS;
}
