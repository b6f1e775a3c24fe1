/* Rate-limited, aggregated log lines (see ratelog.h): a fixed open-addressed table of keys,
 * each with atomic counters and the time of its last line; a slot is claimed with one CAS. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sink/ratelog.h"
#include "sink/sink.h"

enum { EMPTY = 0, FILLING, READY };

typedef struct key {
    atomic_int state;
    uint64_t hash;
    const char *kind;
    char reason[CER_RATELOG_REASON_MAX];
    atomic_llong last_ns; /* 0: never reported */
    atomic_ullong since;  /* occurrences since the last line */
} key;

struct cer_ratelog {
    atomic_llong interval_ns;
    key keys[CER_RATELOG_KEYS];
    key other; /* when the table is full */
};

cer_ratelog *cer_ratelog_new(uint64_t interval_ms)
{
    cer_ratelog *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    cer_ratelog_set_interval(rl, interval_ms);
    rl->other.kind = "other";
    strcpy(rl->other.reason, "(other reasons)");
    atomic_store(&rl->other.state, READY);
    return rl;
}

void cer_ratelog_destroy(cer_ratelog *rl)
{
    free(rl);
}

void cer_ratelog_set_interval(cer_ratelog *rl, uint64_t interval_ms)
{
    if (rl)
        atomic_store(&rl->interval_ns,
                     (long long)(interval_ms ? interval_ms : CER_RATELOG_DEFAULT_INTERVAL_MS) *
                         1000000LL);
}

static key *find(cer_ratelog *rl, const char *kind, const char *reason, size_t n)
{
    if (n >= CER_RATELOG_REASON_MAX)
        n = CER_RATELOG_REASON_MAX - 1;
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = kind; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)reason[i]) * 1099511628211ULL;
    for (unsigned i = 0; i < CER_RATELOG_KEYS; i++) {
        key *k = &rl->keys[(h + i) % CER_RATELOG_KEYS];
        int st = atomic_load(&k->state);
        if (st == EMPTY) {
            if (atomic_compare_exchange_strong(&k->state, &st, FILLING)) {
                k->hash = h;
                k->kind = kind;
                memcpy(k->reason, reason, n);
                k->reason[n] = 0;
                atomic_store(&k->state, READY);
                return k;
            }
        }
        while (st == FILLING) /* a few stores away */
            st = atomic_load(&k->state);
        if (k->hash == h && strcmp(k->kind, kind) == 0 && strlen(k->reason) == n &&
            memcmp(k->reason, reason, n) == 0)
            return k;
    }
    return &rl->other;
}

uint64_t cer_ratelog_hit(cer_ratelog *rl, const char *kind, const char *reason, size_t reason_len)
{
    if (!rl)
        return 1;
    if (!reason)
        reason = "", reason_len = 0;
    if (reason_len == SIZE_MAX)
        reason_len = strlen(reason);
    key *k = find(rl, kind, reason, reason_len);
    atomic_fetch_add(&k->since, 1);
    long long now = (long long)cer_mono_ns(), last = atomic_load(&k->last_ns);
    if (last != 0 && now - last < atomic_load(&rl->interval_ns))
        return 0;
    if (!atomic_compare_exchange_strong(&k->last_ns, &last, now))
        return 0; /* another thread writes this line */
    uint64_t n = atomic_exchange(&k->since, 0);
    return n ? n : 1;
}

void cer_ratelog_flush(cer_ratelog *rl,
                       void (*fn)(void *ctx, const char *kind, const char *reason, uint64_t n),
                       void *ctx)
{
    if (!rl)
        return;
    for (unsigned i = 0; i <= CER_RATELOG_KEYS; i++) {
        key *k = i < CER_RATELOG_KEYS ? &rl->keys[i] : &rl->other;
        if (atomic_load(&k->state) != READY)
            continue;
        uint64_t n = atomic_exchange(&k->since, 0);
        if (n)
            fn(ctx, k->kind, k->reason, n);
    }
}
