/* Event sources for the consumer commands (tail, replay): a Kafka topic or a local-log topic,
 * read as records and decoded through the Kafka protocol binding. */
#ifndef CER_CLI_SOURCE_H
#define CER_CLI_SOURCE_H

#include <stdint.h>

#include "cerelay/ce.h"
#include "cerelay/ce_binding.h"

typedef enum src_whence { SRC_EARLIEST, SRC_LATEST, SRC_OFFSET, SRC_TIME } src_whence;

typedef struct src_conf {
    const char *brokers; /* kafka */
    const char *log_dir; /* local log */
    const char *topic;
    const char *group; /* committed positions; NULL = none */
    src_whence whence;
    int64_t arg;              /* offset, or time in ms */
    int follow;               /* wait for new records instead of stopping at the end */
    const char *const *props; /* kafka: name=value, NULL-terminated */
    int manual;               /* open without positioning: the caller calls ops->start */
} src_conf;

/* Where a record came from, for display. */
typedef struct src_meta {
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms;
    ce_slice key;
} src_meta;

typedef struct src src;

typedef struct src_ops {
    int (*open)(src **out, const src_conf *c, char *errstr, size_t errstr_size);
    /* Next record as a Kafka-binding message view, valid until the next call. Returns 1 with a
     * record, 0 at the end (no --follow) or when interrupted, negative on error. */
    int (*next)(src *s, ce_kafka_message *msg, src_meta *meta, volatile int *stop, char *errstr,
                size_t errstr_size);
    /* Record that everything returned so far was processed (commits when a group is set). */
    int (*commit)(src *s, char *errstr, size_t errstr_size);
    void (*close)(src *s);

    /* Range queries and explicit positioning (replay). */
    /* Number of partitions (numbered 0..n-1). */
    int32_t (*partitions)(src *s);
    /* First stored offset and next offset to be written of partition p. Returns 0 or negative
     * with errstr naming the partition. */
    int (*watermarks)(src *s, int32_t p, int64_t *lo, int64_t *hi, char *errstr,
                      size_t errstr_size);
    /* The first offset whose record timestamp is >= ts_ms (the end offset when none is).
     * Returns 0 or negative. */
    int (*offset_for_time)(src *s, int32_t p, int64_t ts_ms, int64_t *off, char *errstr,
                           size_t errstr_size);
    /* The group's committed offset of p: 0, CE_ENOTFOUND (none, or no group), negative. */
    int (*committed)(src *s, int32_t p, int64_t *off, char *errstr, size_t errstr_size);
    /* With conf.manual: read partition p from starts[p] up to, not including, ends[p]
     * (ends NULL or ends[p] < 0: to the end); starts[p] < 0 leaves p out. Records at or past
     * ends[p] are never returned (nor committed); next() returns 0 once every partition is
     * done. Call once. Returns 0 or negative. */
    int (*start)(src *s, const int64_t *starts, const int64_t *ends, char *errstr,
                 size_t errstr_size);
} src_ops;

extern const src_ops src_kafka;
extern const src_ops src_log;

/* First stored offset and end offset of DIR/<topic>-<p>, read without the writer lock.
 * Returns 0 or negative with errstr set. */
int src_log_range(const char *dir, const char *topic, int32_t p, int64_t *lo, int64_t *hi,
                  char *errstr, size_t errstr_size);

#endif
