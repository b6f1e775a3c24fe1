/* The emitter's disk buffer: events are appended to a local log (topic "events" in
 * buffer.dir, partitioned by the destination key so order per key is kept) before they count
 * as accepted, and a forwarder reads them back and submits them to the destination, committing
 * its position (consumer group "forwarder") only past events with a final outcome. */
#ifndef CER_EMITTER_BUFFER_H
#define CER_EMITTER_BUFFER_H

#include "emitter/internal.h"

typedef struct em_buffer em_buffer;

int cer__em_buffer_open(em_buffer **out, cer_emitter *em, const em_conf *c, char *errstr,
                        size_t errstr_size);
/* One turn of the background loop: append what is pending (unless the buffer is full and the
 * policy is block), forward from disk, serve callbacks, commit positions. Takes ownership of
 * the tracked events it appends; leaves the rest in *pending. */
void cer__em_buffer_step(em_buffer *b, em_trk **pending);
void cer__em_buffer_close(em_buffer *b);

/* Shared with emitter.c. */
int cer__em_sink_open(cer_emitter *em, cer_delivery_cb cb, char *errstr, size_t errstr_size);
cer_sink_handle *cer__em_sink(cer_emitter *em);
int cer__em_sink_rebuild(cer_emitter *em, cer_delivery_cb cb);
void cer__em_finish(cer_emitter *em, em_trk *t, int err, const char *reason);
void cer__em_count_retry(cer_emitter *em);
void cer__em_note_persisted(cer_emitter *em, em_trk *t, int err);
void cer__em_note_buffer_done(cer_emitter *em, int err, uint64_t n);
void cer__em_set_buffer_gauges(cer_emitter *em, uint64_t buffer_bytes, uint64_t buffer_events,
                               uint64_t in_flight);

#endif
