/* cer_emit_llm_*: build an eventzr event with its typed builder and queue it on an emitter. */
#include "catalog/internal.h"

static int emit(cer_emitter *em, int rc, ce_event *ev, void *opaque, char *errstr,
                size_t errstr_size)
{
    if (rc)
        return rc;
    rc = cer_emitter_emit(em, ev, opaque, errstr, errstr_size);
    ce_event_destroy(ev);
    return rc;
}

#define CER__EMIT(name, T)                                                                         \
    int cer_emit_llm_##name(cer_emitter *em, const T *x, const cer_event_meta *meta, void *opaque, \
                            char *errstr, size_t errstr_size)                                      \
    {                                                                                              \
        ce_event *ev = NULL;                                                                       \
        int rc = cer_llm_##name##_event(x, meta, &ev, errstr, errstr_size);                        \
        return emit(em, rc, ev, opaque, errstr, errstr_size);                                      \
    }

CER__EMIT(usage, cer_llm_usage)
CER__EMIT(cache_hit, cer_llm_cache_hit)
CER__EMIT(quota_low, cer_llm_quota_low)
CER__EMIT(budget_exceeded, cer_llm_budget_exceeded)
CER__EMIT(provider_outage, cer_llm_provider_outage)
CER__EMIT(inference_failed, cer_llm_inference_failed)
CER__EMIT(embeddings, cer_llm_embeddings)
CER__EMIT(kg_synced, cer_llm_kg_synced)
