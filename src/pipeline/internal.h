/* Internals shared by the files of src/pipeline. */
#ifndef CER_PIPELINE_INTERNAL_H
#define CER_PIPELINE_INTERNAL_H

#include "pipeline/pipeline.h"

struct cer_batch {
    cer_item *items;
    size_t n, cap;
    const ce_event **accepted; /* cer_batch_accepted's array */
    size_t accepted_cap;
};

/* dlq.c: queue n events (taken on every return) as one group. 0, or CER_PIPELINE_DLQ_FULL
 * (the events were destroyed, done is not called). */
int cer__dlq_push(cer_dlq *q, ce_event **evs, size_t n, size_t bytes, cer_dlq_done_fn done,
                  void *opaque);
/* A lower bound of an event's structured JSON size: names, values and data, no punctuation. */
size_t cer__event_size_floor(const ce_event *ev, size_t *nattrs);
/* pipeline.c: the steps' handles, for metrics.c */
struct cer_policy;
struct cer_mask;
struct cer_policy *cer__pipeline_policy(cer_pipeline *pl);
struct cer_mask *cer__pipeline_mask(cer_pipeline *pl);
cer_pipeline_shared *cer__pipeline_shared(cer_pipeline *pl);

#endif
