/* Consumer-group positions for `cerelay lag`: per group, topic and partition the committed
 * offset, the end offset and the timestamps of the next unconsumed record, collected from a
 * Kafka cluster (admin API + one fetch per lagging partition) or from a local log directory. */
#ifndef CER_CLI_LAG_H
#define CER_CLI_LAG_H

#include <stddef.h>
#include <stdint.h>

/* Caps: names are Kafka's 249 (local log: 200) characters; rows bound the memory of one pass. */
enum { LAG_NAME_MAX = 256, LAG_MAX_ROWS = 100000, LAG_MAX_FILTER = 256 };

/* One group's position on one partition. */
typedef struct lag_row {
    char group[LAG_NAME_MAX];
    char topic[LAG_NAME_MAX];
    int32_t partition;
    int64_t committed;     /* next offset the group consumes */
    int64_t start, end;    /* first stored offset, next offset to be written */
    int64_t next_ts_ms;    /* broker/log timestamp of the next unconsumed record; -1 none */
    int64_t next_event_ms; /* its CloudEvents `time`; -1 none (caught up, not an event, no time) */
} lag_row;

/* Records still to consume: end − max(committed, start), never negative. */
int64_t lag_records(const lag_row *r);

typedef struct lag_set {
    lag_row *rows;
    size_t n, cap;
} lag_set;

/* Append a zeroed row (offsets -1). Returns NULL when LAG_MAX_ROWS is reached or on ENOMEM. */
lag_row *lag_set_add(lag_set *s);
void lag_set_free(lag_set *s);
/* Sort by group, topic, partition. */
void lag_set_sort(lag_set *s);

/* What to collect: groups and topics to keep (none named = all). */
typedef struct lag_query {
    const char *const *groups;
    int ngroups;
    const char *const *topics;
    int ntopics;
} lag_query;

/* Kafka: a handle kept across passes (--watch). props: "name=value" librdkafka properties,
 * NULL-terminated; timeout_ms bounds each request to the cluster. Returns NULL with errstr set
 * on failure. */
typedef struct lag_kafka lag_kafka;
lag_kafka *lag_kafka_new(const char *brokers, const char *const *props, int timeout_ms,
                         char *errstr, size_t errstr_size);
void lag_kafka_destroy(lag_kafka *k);
/* One pass: fills `out` (cleared first). Returns 0 or -1 with errstr naming the group/topic. */
int lag_kafka_collect(lag_kafka *k, const lag_query *q, lag_set *out, char *errstr,
                      size_t errstr_size);

/* Local log directory: groups are DIR/groups/<group>.offsets, topics DIR/<topic>.topic. Reads
 * without taking the writer lock (works while the relay writes). Returns 0 or -1. */
int lag_log_collect(const char *dir, const lag_query *q, lag_set *out, char *errstr,
                    size_t errstr_size);

/* Shared by both collectors: is `name` kept by the filter list? */
int lag_name_wanted(const char *name, const char *const *list, int n);
/* The CloudEvents `time` of a Kafka-binding record in Unix ms, or -1 when it is not an event
 * or has no time. */
struct ce_kafka_message;
int64_t lag_event_time_ms(const struct ce_kafka_message *msg);

#endif
