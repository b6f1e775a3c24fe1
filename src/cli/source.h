/* Event sources for the consumer commands (tail): a Kafka topic or a local-log topic, read as
 * records and decoded through the Kafka protocol binding. */
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
} src_ops;

extern const src_ops src_kafka;
extern const src_ops src_log;

#endif
