/* `cerelay scorecard`: the readiness exercise of seed 001 as one command. Shared between
 * cmd_scorecard.c (the run: topics, producer, consumer groups, replay, operations),
 * scorecard_thresholds.c (the YAML thresholds) and scorecard_report.c (table, JSON, HTML). */
#ifndef CER_CLI_SCORECARD_H
#define CER_CLI_SCORECARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Grades of one check; SC_SKIP: not run (said why in the row's note), not graded. */
typedef enum { SC_GREEN = 0, SC_YELLOW = 1, SC_RED = 2, SC_SKIP = 3 } sc_grade;

/* One threshold: a value is green when on the good side of `green`, yellow when on the good
 * side of `yellow`, red otherwise. higher_better selects which side is good. */
typedef struct sc_limit {
    double green, yellow;
    int higher_better;
} sc_limit;

/* Every configurable threshold (docs/scorecard.md lists them with their defaults). */
#define SC_THRESHOLDS(X)                                                                           \
    X(produce_ack_p99_ms, 500, 2000, 0)                                                            \
    X(alerting_freshness_p99_ms, 1000, 5000, 0)                                                    \
    X(alerting_burst_freshness_p99_ms, 3000, 10000, 0)                                             \
    X(evaluation_freshness_p99_ms, 2000, 10000, 0)                                                 \
    X(audit_freshness_p99_ms, 5000, 30000, 0)                                                      \
    X(lag_recovery_s, 5, 15, 0)                                                                    \
    X(replay_events_per_s, 1000, 200, 1)                                                           \
    X(duplicate_ratio, 0, 0.001, 0)                                                                \
    X(broker_restart_recovery_s, 15, 60, 0)

typedef struct sc_thresholds {
#define SC_FIELD(name, g, y, hb) sc_limit name;
    SC_THRESHOLDS(SC_FIELD)
#undef SC_FIELD
} sc_thresholds;

/* The defaults above. */
void sc_thresholds_default(sc_thresholds *t);
/* Parse a YAML mapping `name: {green: N, yellow: N}` (or `name: N` for green only) over the
 * defaults in *t. Unknown names, non-numbers and a yellow on the wrong side of green are
 * errors: returns -1 with "line:col: reason" in errstr, *t then unchanged. Thread-safe. */
int sc_thresholds_parse(sc_thresholds *t, const char *yaml, size_t len, char *errstr,
                        size_t errstr_size);
/* Grade v against l. */
sc_grade sc_grade_of(const sc_limit *l, double v);
const char *sc_grade_name(sc_grade g);

enum { SC_MAX_ROWS = 32 };

typedef struct sc_row {
    char id[48];     /* stable key, e.g. "freshness.alerting.steady" */
    char title[80];  /* human label */
    char value[96];  /* measured, human */
    char limit[96];  /* threshold, human */
    char note[200];  /* why / how */
    double measured; /* number for JSON (NaN: none) */
    sc_grade grade;
} sc_row;

/* One time series point per second of the run for the charts. */
typedef struct sc_point {
    double t;                /* seconds since production started */
    double ack_p50, ack_p99; /* produce ack latency, ms (NaN: none) */
    double fresh_p99[4];     /* freshness per consumer group, ms (NaN: none) */
    double rate;             /* events produced in that second */
} sc_point;

typedef struct sc_report {
    const char *brokers, *topic;
    double duration_s, rate;
    const char *burst;
    sc_row rows[SC_MAX_ROWS];
    int nrows;
    sc_point *points;
    size_t npoints;
    const char *group_names[4];
    double bursts[64][2]; /* burst windows [start, end) in seconds since start */
    int nbursts;
    sc_grade verdict;
    char verdict_text[200];
    char started[32]; /* RFC 3339 */
} sc_report;

/* Add a row; returns it (NULL when SC_MAX_ROWS is reached). */
sc_row *sc_report_add(sc_report *r, const char *id, const char *title);
/* The overall verdict (seed 001): red when any row is red or three or more are yellow, yellow
 * when one or two rows are yellow, else green. Sets r->verdict and r->verdict_text. */
void sc_report_verdict(sc_report *r);
void sc_report_table(const sc_report *r, FILE *out, int color);
/* JSON (docs/schemas/scorecard.schema.json). Returns 0 or -1 (I/O). */
int sc_report_json(const sc_report *r, FILE *out);
/* A self-contained HTML page; chartjs: the Chart.js UMD source to embed (NULL: the page says
 * the charts are missing). Returns 0 or -1. */
int sc_report_html(const sc_report *r, FILE *out, const char *chartjs);

#endif

/* ------------------------------------------------------------------------------------------
 * The run (scorecard_kafka.c): consumer groups, admin operations, replay and read-back on
 * librdkafka. Each consumer thread owns its sc_group until sc_group_stop returns.
 * ------------------------------------------------------------------------------------------ */
enum { SC_MAX_KEYS = 2048, SC_GROUPS = 4 };

typedef struct sc_sample {
    int64_t gen_ms, cons_ms; /* CloudEvents time and consume time, Unix ms */
} sc_sample;

typedef struct sc_group {
    const char *name;                      /* alerting, evaluation, audit, throttled */
    char group_id[300];                    /* prefix + name */
    double throttle_eps;                   /* > 0: consume at most this many events per second */
    int64_t stall_from_ms, stall_until_ms; /* test hook: no polling in [from, until) (wall) */
    volatile int stop;                     /* set by sc_group_stop */
    /* Owned by the consumer thread while it runs: */
    sc_sample *samples;
    size_t nsamples, cap_samples;
    uint8_t *seen;            /* per sequence number, saturating count */
    size_t nseq;              /* size of seen */
    volatile size_t distinct; /* sequence numbers seen at least once */
    size_t consumed, duplicates, undecodable, errors;
    char keys[SC_MAX_KEYS][48]; /* (key, partition) and (key, -1: any partition) */
    int64_t key_last_seq[SC_MAX_KEYS];
    int32_t key_last_part[SC_MAX_KEYS];
    int nkeys;
    size_t order_violations;       /* within one partition: never expected */
    size_t order_violations_moved; /* across partitions: a key moved by added partitions */
    char first_error[256];
    int started, running;
    void *impl; /* thread + client */
} sc_group;

typedef struct sc_kafka_conf {
    const char *brokers;
    const char *const *props; /* "name=value", NULL-terminated */
} sc_kafka_conf;

/* Start a consumer thread for g on `topic` (earliest offsets); waits <= timeout_ms for its
 * first partition assignment. Returns 0 or -1 with errstr set. */
int sc_group_start(sc_group *g, const sc_kafka_conf *kc, const char *topic, int timeout_ms,
                   char *errstr, size_t errstr_size);
/* Stop and join the thread, close the consumer (commits). Safe when never started. */
void sc_group_stop(sc_group *g);
void sc_group_free(sc_group *g);

/* Admin: create `topic` (partitions, replication min(3, brokers)), returns 0 or -1.
 * *nbrokers receives the broker count. */
int sc_topic_create(const sc_kafka_conf *kc, const char *topic, int partitions, int *nbrokers,
                    char *errstr, size_t errstr_size);
/* A new client asks for metadata: 0 when it answers within timeout_ms (authentication passed),
 * -1 with errstr otherwise. */
int sc_probe(const sc_kafka_conf *kc, int timeout_ms, char *errstr, size_t errstr_size);
int sc_topic_delete(const sc_kafka_conf *kc, const char *const *topics, int n, char *errstr,
                    size_t errstr_size);
/* AlterConfigs retention.ms=ms, then DescribeConfigs; *got receives the value read back. */
int sc_topic_set_retention(const sc_kafka_conf *kc, const char *topic, int64_t ms, int64_t *got,
                           char *errstr, size_t errstr_size);
/* CreatePartitions: grow `topic` to `total`. */
int sc_topic_add_partitions(const sc_kafka_conf *kc, const char *topic, int total, char *errstr,
                            size_t errstr_size);

/* Replay: a new group reads `topic` from the beginning up to the end offsets at the call and
 * copies every record to `dev_topic` (the replay destination of `cerelay replay`). seen[seq]
 * counts per sequence number (nseq entries). Returns 0 or -1. */
typedef struct sc_replay_result {
    size_t read, copied, undecodable;
    double seconds;
} sc_replay_result;
int sc_replay(const sc_kafka_conf *kc, const char *topic, const char *group, const char *dev_topic,
              uint8_t *seen, size_t nseq, sc_replay_result *res, char *errstr, size_t errstr_size);

/* Read all of `topic` with librdkafka and decode each record with the Kafka binding
 * (binary or structured). *ok counts events that decode and carry an `scseq` extension,
 * *bad the rest. Returns 0 or -1. */
int sc_read_back(const sc_kafka_conf *kc, const char *topic, size_t expect, size_t *ok, size_t *bad,
                 char *errstr, size_t errstr_size);

int64_t sc_wall_ms(void);
