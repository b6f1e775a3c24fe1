/* A batch: the events of one request with a verdict each. The batch owns every event and
 * every rendered topic/key, on every path, so no caller ever frees an event it handed in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/internal.h"

cer_batch *cer_batch_new(void)
{
    return calloc(1, sizeof(cer_batch));
}

void cer_batch_clear(cer_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        ce_event_destroy(b->items[i].ev);
        free(b->items[i].topic);
        free(b->items[i].key);
    }
    b->n = 0;
}

void cer_batch_destroy(cer_batch *b)
{
    if (!b)
        return;
    cer_batch_clear(b);
    free(b->items);
    free(b->accepted);
    free(b);
}

static cer_item *push(cer_batch *b)
{
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 16;
        cer_item *n = realloc(b->items, ncap * sizeof *n);
        if (!n)
            return NULL;
        b->items = n;
        b->cap = ncap;
    }
    cer_item *it = &b->items[b->n++];
    memset(it, 0, sizeof *it);
    return it;
}

int cer_batch_add_take(cer_batch *b, ce_event *ev)
{
    cer_item *it = push(b);
    if (!it) {
        ce_event_destroy(ev);
        return CE_ENOMEM;
    }
    it->ev = ev;
    return 0;
}

int cer_batch_add_rejected(cer_batch *b, cer_reason reason, const char *detail)
{
    cer_item *it = push(b);
    if (!it)
        return CE_ENOMEM;
    it->verdict = CER_VERDICT_REJECTED;
    it->reason = reason;
    snprintf(it->detail, sizeof it->detail, "%s", detail ? detail : "");
    return 0;
}

size_t cer_batch_count(const cer_batch *b)
{
    return b->n;
}

const cer_item *cer_batch_item(const cer_batch *b, size_t i)
{
    return i < b->n ? &b->items[i] : NULL;
}

size_t cer_batch_count_verdict(const cer_batch *b, cer_verdict v)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++)
        k += b->items[i].verdict == v;
    return k;
}

const ce_event *const *cer_batch_accepted(cer_batch *b, size_t *n)
{
    size_t k = cer_batch_count_verdict(b, CER_VERDICT_ACCEPTED);
    *n = 0;
    if (k > b->accepted_cap || !b->accepted) { /* never NULL on success, even for none */
        const ce_event **a = realloc(b->accepted, (k ? k : 1) * sizeof *a);
        if (!a)
            return NULL;
        b->accepted = a;
        b->accepted_cap = k ? k : 1;
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].verdict == CER_VERDICT_ACCEPTED)
            b->accepted[(*n)++] = b->items[i].ev;
    return b->accepted;
}

cer_reason cer_batch_outcome(const cer_batch *b, size_t *first)
{
    cer_reason out = CER_REASON_NONE;
    for (size_t i = 0; i < b->n; i++) {
        const cer_item *it = &b->items[i];
        if (it->verdict != CER_VERDICT_REJECTED)
            continue;
        if (out == CER_REASON_NONE && first)
            *first = i;
        if (it->reason == CER_REASON_TOO_LARGE)
            out = CER_REASON_TOO_LARGE;
        else if (it->reason == CER_REASON_GOVERNANCE && out != CER_REASON_TOO_LARGE)
            out = CER_REASON_GOVERNANCE;
        else if (out == CER_REASON_NONE)
            out = CER_REASON_INVALID;
    }
    return out;
}
