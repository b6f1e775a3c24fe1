/* The Kafka destination of `cerelay replay`: copies records as they are (key, value, headers,
 * timestamp) with an idempotent producer, to the same partition when the destination topic has
 * the source's partition count, and, with a consumer group on the same cluster, inside
 * transactions that also commit the group's source offsets (exactly once across crashes). */
#ifndef CER_CLI_REPLAY_H
#define CER_CLI_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "cerelay/ce_binding.h"

typedef struct rk_dest rk_dest;

/* Open a producer for `topic` on `brokers` (props: "name=value", NULL-terminated). When the
 * topic does not exist it is created with `src_parts` partitions. txn_id non-NULL: a
 * transactional producer with that transactional.id (init_transactions fences an earlier run
 * and aborts its open transaction). Returns 0 or negative with errstr set. */
int rk_dest_open(rk_dest **out, const char *brokers, const char *const *props, const char *topic,
                 int32_t src_parts, const char *txn_id, char *errstr, size_t errstr_size);
/* Does the destination keep source partitions (same partition count)? */
int rk_dest_keeps_partitions(const rk_dest *d);
/* Queue one record (copied). partition < 0: the partitioner chooses by key (murmur2, as the
 * Java client and the local log do). Waits while the local queue is full. Returns 0 or negative
 * with errstr set. */
int rk_dest_produce(rk_dest *d, const ce_kafka_message *msg, int32_t partition, int64_t ts_ms,
                    char *errstr, size_t errstr_size);
/* Serve delivery reports for up to timeout_ms. */
void rk_dest_poll(rk_dest *d, int timeout_ms);
/* Wait (<= timeout_ms) until every queued record is acknowledged. Transactional: also commit
 * `next_offsets[p]` (p < nparts, entries < 0 skipped) of `src_topic` for `group` in the same
 * transaction, then commit it. Returns 0 when everything so far is acknowledged (and committed),
 * negative with errstr naming the first failure otherwise. */
int rk_dest_checkpoint(rk_dest *d, int timeout_ms, const char *group, const char *src_topic,
                       const int64_t *next_offsets, int32_t nparts, char *errstr,
                       size_t errstr_size);
/* Records acknowledged / failed so far. */
void rk_dest_counts(const rk_dest *d, size_t *delivered, size_t *failed);
/* Abort an open transaction (records not checkpointed are dropped), close and free. */
void rk_dest_close(rk_dest *d);

#endif
